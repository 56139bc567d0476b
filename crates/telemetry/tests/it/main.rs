//! The telemetry crate's integration tests: the embedded broker always, a real Mosquitto when
//! `MINSHENG_TEST_MQTT` names one (and the `mosquitto` binary for the private brokers).

mod common;
mod embedded;
mod mosquitto;
mod scenarios;
