//! The elderly safety guardian (空巢老人安全守护) as plain Rust over plain data — no database,
//! HTTP, MQTT or clock (`now` is always a parameter).
//!
//! Sensors in an elder's home (a presence sensor per room, a door contact, water and electricity
//! meters, a wearable with location, body temperature, fall detection and an SOS button) publish
//! readings ([`reading`]: the wire payload and its parser). The [`monitor`] keeps every elder's
//! and device's state, compact enough for 100,000 devices in well under 1 KiB each, and raises
//! alarms by the [`rules`], which are data (`data/guardian/rules.toml`) with per-elder overrides
//! and inactivity thresholds learned from each elder's own day. Each alarm becomes a [`Case`]
//! walked through the closed loop ([`alarm`]: acknowledged, dispatched, accepted, on scene,
//! resolved), whose timers escalate (reminders, the next responder, the family, 120/110) and
//! whose every step is hash-chained. [`dispatch::rank`] orders the responders by travel time
//! (by electric bicycle through the streets the caller measured, [`dispatch::travel`]),
//! [`measures`] gives the figures per town and month, and [`simulate`] produces deterministic
//! telemetry with scripted incidents for the demo, the tests and the benchmark.
//!
//! The caller (the server's `guardian` area and the `telemetry` ingester) owns everything else:
//! the transport, persisting cases and snapshots of the monitor's state, notices and pages.

pub mod alarm;
pub mod bench;
pub mod device;
pub mod dispatch;
pub mod error;
pub mod measures;
pub mod monitor;
pub mod reading;
pub mod rules;
pub mod simulate;

pub use alarm::Action;
pub use alarm::Case;
pub use alarm::CaseState;
pub use alarm::ChainHead;
pub use alarm::Escalation;
pub use alarm::EscalationKind;
pub use alarm::Outcome;
pub use alarm::Step;
pub use alarm::apply;
pub use alarm::due;
pub use alarm::verify_chain;
pub use bench::EngineBench;
pub use bench::bench_engine;
pub use device::DeviceKind;
pub use device::ElderId;
pub use dispatch::Candidate;
pub use dispatch::Method;
pub use dispatch::ResponderKind;
pub use dispatch::Street;
pub use dispatch::Travel;
pub use dispatch::rank;
pub use dispatch::travel;
pub use error::ErrorKind;
pub use error::GuardianError;
pub use measures::CoverageCount;
pub use measures::Durations;
pub use measures::TownMonth;
pub use measures::measure;
pub use monitor::DeviceHealth;
pub use monitor::DeviceProfile;
pub use monitor::DeviceSnapshot;
pub use monitor::ElderProfile;
pub use monitor::ElderSnapshot;
pub use monitor::Evaluation;
pub use monitor::Evidence;
pub use monitor::InactivityThreshold;
pub use monitor::Monitor;
pub use monitor::Raised;
pub use reading::Reading;
pub use reading::Values;
pub use reading::device_of_topic;
pub use reading::parse_reading;
pub use reading::topic;
pub use rules::AlarmKind;
pub use rules::ElderRules;
pub use rules::Rules;
pub use rules::Severity;
pub use rules::Thresholds;
pub use simulate::Incident;
pub use simulate::IncidentKind;
pub use simulate::Message;
pub use simulate::SimConfig;
pub use simulate::Simulation;
pub use simulate::standard_incidents;
