//! The engine's own benchmark, without a broker or a database: how fast the simulator produces
//! payloads and how fast the monitor parses and evaluates them, and the resident state per device.
//! (`minsheng bench guardian` measures the whole path through the broker; this is its floor.)
//! Time is measured with `Instant`; the simulated clock starts at `start`.

use std::time::Instant;

use chrono::DateTime;
use chrono::Duration;
use chrono::Utc;
use serde::Serialize;

use crate::monitor::Monitor;
use crate::rules::Rules;
use crate::simulate::SimConfig;
use crate::simulate::Simulation;

/// What [`bench_engine`] measured.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EngineBench {
    /// Elders simulated.
    pub elders: usize,
    /// Devices simulated.
    pub devices: usize,
    /// Messages produced and evaluated.
    pub messages: u64,
    /// Payload bytes produced.
    pub bytes: u64,
    /// Seconds to produce them.
    pub generate_s: f64,
    /// Seconds to parse and evaluate them (ingest, without producing).
    pub ingest_s: f64,
    /// Messages produced a second.
    pub generate_per_s: f64,
    /// Messages parsed and evaluated a second.
    pub ingest_per_s: f64,
    /// Milliseconds of one tick over every elder and device.
    pub tick_ms: f64,
    /// Alarms raised (the simulated district's normal day raises none).
    pub raised: usize,
    /// The monitor's estimate of its memory, per device.
    pub resident_bytes_per_device: usize,
}

/// Simulates about `devices` devices reporting every `interval_s` seconds for `seconds` simulated
/// seconds from `start` (after a warm-up of one interval), and measures producing, then parsing
/// and evaluating, every message.
pub fn bench_engine(devices: u32, interval_s: u32, seconds: u32, start: DateTime<Utc>) -> EngineBench {
    let cfg = SimConfig {
        elders: SimConfig::elders_for_devices(devices),
        seed: 7,
        interval_s: interval_s.max(1),
        epoch: start - Duration::days(1),
        first_elder: 1,
        incidents: Vec::new(),
    };
    let sim = Simulation::new(&cfg);
    let mut monitor = Monitor::new(Rules::embedded());
    for e in sim.elders() {
        let _ = monitor.add_elder(e);
    }
    for d in sim.devices() {
        let _ = monitor.add_device(d);
    }
    // Warm up: every device reports once, so the state is as it would be in a running district.
    let warm = start + Duration::seconds(i64::from(cfg.interval_s));
    let mut raised = 0;
    for m in sim.window(start, warm) {
        if let Ok(ev) = monitor.ingest(m.device, &m.payload, m.ts) {
            raised += ev.raised.len();
        }
    }
    let end = warm + Duration::seconds(i64::from(seconds));
    let t = Instant::now();
    let (mut messages, mut bytes) = (0u64, 0u64);
    for m in sim.window(warm, end) {
        messages += 1;
        bytes += m.payload.len() as u64;
    }
    let generate_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
    for m in sim.window(warm, end) {
        if let Ok(ev) = monitor.ingest(m.device, &m.payload, m.ts) {
            raised += ev.raised.len();
        }
    }
    let ingest_s = (t.elapsed().as_secs_f64() - generate_s).max(1e-9);
    let t = Instant::now();
    raised += monitor.tick(end).len();
    let tick_ms = t.elapsed().as_secs_f64() * 1000.0;
    EngineBench {
        elders: sim.elder_count(),
        devices: sim.device_count(),
        messages,
        bytes,
        generate_s,
        ingest_s,
        generate_per_s: messages as f64 / generate_s.max(1e-9),
        ingest_per_s: messages as f64 / ingest_s,
        tick_ms,
        raised,
        resident_bytes_per_device: monitor.resident_bytes() / monitor.device_count().max(1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_small_run_measures_every_message_and_raises_nothing() {
        let start: DateTime<Utc> = "2026-03-02T02:00:00Z".parse().expect("a time");
        let b = bench_engine(1000, 10, 20, start);
        eprintln!("{b:?}");
        assert!((950..=1050).contains(&b.devices), "{b:?}");
        assert_eq!(b.messages, b.devices as u64 * 2, "each device twice in 20 s");
        assert!(b.bytes > b.messages * 50);
        assert_eq!(b.raised, 0, "a normal morning");
        assert!(b.resident_bytes_per_device < 1024);
    }
}
