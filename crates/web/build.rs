//! Sets `gated_browser` when `MINSHENG_BROWSER_TESTS` is set, so that the tests that need headless Chromium are reported
//! as skipped (ignored) in the run's summary without it, never as passed.
fn main() {
    println!("cargo::rustc-check-cfg=cfg(gated_browser)");
    println!("cargo::rerun-if-env-changed=MINSHENG_BROWSER_TESTS");
    if std::env::var("MINSHENG_BROWSER_TESTS").is_ok_and(|v| !v.is_empty() && v != "0") {
        println!("cargo::rustc-cfg=gated_browser");
    }
}
