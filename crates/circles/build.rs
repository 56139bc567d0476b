//! Sets `gated_slow` when `MINSHENG_SLOW_TESTS` is set, so that the tests that need the large synthetic networks are reported
//! as skipped (ignored) in the run's summary without it, never as passed.
fn main() {
    println!("cargo::rustc-check-cfg=cfg(gated_slow)");
    println!("cargo::rerun-if-env-changed=MINSHENG_SLOW_TESTS");
    if std::env::var("MINSHENG_SLOW_TESTS").is_ok_and(|v| !v.is_empty() && v != "0") {
        println!("cargo::rustc-cfg=gated_slow");
    }
}
