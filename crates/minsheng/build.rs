//! Sets `gated_postgres` when `MINSHENG_TEST_POSTGRES` is set (and `gated_mqtt` when
//! `MINSHENG_TEST_MQTT` is), so that the tests that need PostgreSQL (or Mosquitto) are reported as
//! skipped (ignored) in the run's summary without it, never as passed.
fn main() {
    println!("cargo::rustc-check-cfg=cfg(gated_postgres)");
    println!("cargo::rerun-if-env-changed=MINSHENG_TEST_POSTGRES");
    if std::env::var("MINSHENG_TEST_POSTGRES").is_ok_and(|v| !v.is_empty() && v != "0") {
        println!("cargo::rustc-cfg=gated_postgres");
    }
    println!("cargo::rustc-check-cfg=cfg(gated_mqtt)");
    println!("cargo::rerun-if-env-changed=MINSHENG_TEST_MQTT");
    if std::env::var("MINSHENG_TEST_MQTT").is_ok_and(|v| !v.is_empty() && v != "0") {
        println!("cargo::rustc-cfg=gated_mqtt");
    }
}
