//! Sets `gated_mqtt` when `MINSHENG_TEST_MQTT` names a broker, so that the tests that need a real
//! Mosquitto (and its `mosquitto` binary) are reported as skipped (ignored) in the run's summary
//! when it does not, not as passed.
fn main() {
    println!("cargo::rustc-check-cfg=cfg(gated_mqtt)");
    println!("cargo::rerun-if-env-changed=MINSHENG_TEST_MQTT");
    if std::env::var("MINSHENG_TEST_MQTT").is_ok_and(|v| !v.is_empty() && v != "0") {
        println!("cargo::rustc-cfg=gated_mqtt");
    }
}
