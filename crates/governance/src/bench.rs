//! The engine's own measurement, without a database or HTTP: how fast the synthetic district's
//! issues are made (each reported, routed and walked through the engine) and measured for the
//! cockpit. (`minsheng bench governance`, still to come, measures the Open311 path and the store;
//! this is its floor.) Time is measured with `Instant`.

use std::time::Duration;
use std::time::Instant;

use serde::Serialize;

use crate::measures::Measures;
use crate::routing::Routing;
use crate::synth::SynthConfig;
use crate::synth::estates;
use crate::synth::issues;

/// What [`bench_engine`] measured.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EngineBench {
    /// Estates in the district.
    pub estates: usize,
    /// Issues made.
    pub issues: u64,
    /// Seconds to make them (report, route and every action through the engine).
    pub generate_s: f64,
    /// Issues made a second.
    pub generate_per_s: f64,
    /// Seconds to measure them (per town and month).
    pub measure_s: f64,
    /// Town-months measured.
    pub town_months: usize,
}

/// Makes the issues of `cfg`'s district and measures them.
pub fn bench_engine(cfg: &SynthConfig, routing: &Routing) -> EngineBench {
    let es = estates(cfg);
    // One pass, without holding the issues (a million of them with their histories would not fit
    // a small machine): the time to make each and the time to count it are summed apart.
    let (mut generate, mut measure) = (Duration::ZERO, Duration::ZERO);
    let mut m = Measures::new();
    let mut stream = issues(cfg, &es, routing);
    let mut n = 0u64;
    loop {
        let t = Instant::now();
        let Some(i) = stream.next() else { break };
        let t2 = Instant::now();
        generate += t2 - t;
        m.add_issue(&i);
        n += 1;
        measure += t2.elapsed();
    }
    let t = Instant::now();
    let town_months = m.finish().len();
    measure += t.elapsed();
    let generate_s = generate.as_secs_f64();
    EngineBench {
        estates: es.len(),
        issues: n,
        generate_s,
        generate_per_s: if generate_s > 0.0 { n as f64 / generate_s } else { 0.0 },
        measure_s: measure.as_secs_f64(),
        town_months,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::issue::tests::t0;

    #[test]
    fn a_tiny_run_reports_what_it_did() {
        let cfg = SynthConfig { seed: 1, towns: 2, estates_per_town: 2, owners_per_estate: 4, issues: 500, start: t0(), days: 31 };
        let b = bench_engine(&cfg, &Routing::embedded().expect("rules"));
        assert_eq!((b.estates, b.issues), (4, 500));
        assert!(b.town_months >= 2 && b.generate_s >= 0.0);
    }
}
