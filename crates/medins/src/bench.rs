//! The benchmark: synthesise a month of episodes for the demo district, time one grouping at a
//! time on one core (the median over a sample) and the whole settlement (validation, grouping,
//! re-admissions, points, payments and digest, on all cores through rayon), and report the peak
//! memory from `/proc/self/status` (VmHWM) — the crate's one read of a file, here only.

use std::time::Instant;

use serde::Serialize;

use crate::error::MedinsError;
use crate::grouper::Grouper;
use crate::month::Month;
use crate::scheme::Scheme;
use crate::settlement::PaymentKind;
use crate::settlement::SettlementInput;
use crate::settlement::settle;
use crate::synth;

/// How many episodes are timed one by one.
const GROUP_SAMPLE: usize = 20_000;

/// What the benchmark measured.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BenchReport {
    /// Episodes settled.
    pub episodes: usize,
    /// Earlier episodes given for re-admissions.
    pub earlier: usize,
    /// Threads rayon used.
    pub threads: usize,
    /// Seconds to synthesise the input (not part of the target).
    pub synth_seconds: f64,
    /// Episodes timed one at a time.
    pub group_sample: usize,
    /// Median time of one `Grouper::group` on one core, nanoseconds.
    pub group_ns_per_episode_median: f64,
    /// 99th percentile of the same, nanoseconds.
    pub group_ns_per_episode_p99: f64,
    /// Seconds for `settle` of all the episodes as one month.
    pub settle_seconds: f64,
    /// Episodes paid per bed-day.
    pub bed_day_episodes: usize,
    /// Episodes flagged as re-admissions.
    pub readmissions: usize,
    /// Very-high and very-low cost episodes.
    pub outliers: usize,
    /// The month's point value, fen per point.
    pub point_value: f64,
    /// Peak resident memory of the process (VmHWM), if the platform reports it.
    pub peak_rss_bytes: Option<u64>,
}

/// Peak resident set size in bytes (VmHWM), if the platform reports it.
pub fn peak_rss_bytes() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

fn percentile(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted.get(i).copied().unwrap_or(0) as f64
}

/// Synthesises `n_episodes` episodes discharged in one month (and a quarter as many in the
/// month before, for re-admissions), times the grouping of a sample one at a time and the
/// settlement of all of them.
pub fn run(n_episodes: usize) -> Result<BenchReport, MedinsError> {
    let grouper = Grouper::embedded();
    let scheme = Scheme::embedded();
    let hospitals = synth::hospitals(1);
    let month = Month::new(2024, 3)?;

    let t = Instant::now();
    let episodes = synth::month_episodes(&hospitals, month, n_episodes, 202_403);
    let cutoff = month.first_day().checked_sub_days(chrono::Days::new(20)).unwrap_or(month.first_day());
    let earlier: Vec<_> = synth::month_episodes(&hospitals, month.prev(), n_episodes / 4, 202_402).into_iter().filter(|e| e.discharged >= cutoff).collect();
    let synth_seconds = t.elapsed().as_secs_f64();

    let sample = &episodes[..episodes.len().min(GROUP_SAMPLE)];
    let mut times: Vec<u64> = Vec::with_capacity(sample.len());
    for e in sample {
        let t = Instant::now();
        let g = grouper.group(e);
        let ns = t.elapsed().as_nanos();
        std::hint::black_box(&g);
        times.push(u64::try_from(ns).unwrap_or(u64::MAX));
    }
    times.sort_unstable();

    let input = SettlementInput { month, budget: synth::budget(&episodes), hospitals, episodes, earlier };
    let t = Instant::now();
    let s = settle(&grouper, &scheme, &input)?;
    let settle_seconds = t.elapsed().as_secs_f64();

    Ok(BenchReport {
        episodes: input.episodes.len(),
        earlier: input.earlier.len(),
        threads: rayon::current_num_threads(),
        synth_seconds,
        group_sample: times.len(),
        group_ns_per_episode_median: percentile(&times, 0.5),
        group_ns_per_episode_p99: percentile(&times, 0.99),
        settle_seconds,
        bed_day_episodes: s.episodes.iter().filter(|e| e.kind == PaymentKind::BedDay).count(),
        readmissions: s.episodes.iter().filter(|e| e.readmission_of.is_some()).count(),
        outliers: s.episodes.iter().filter(|e| e.outlier.is_some()).count(),
        point_value: s.point_value,
        peak_rss_bytes: peak_rss_bytes(),
    })
}

impl BenchReport {
    /// The figures as a plain-text table, with the targets.
    pub fn table(&self) -> String {
        let mb = self.peak_rss_bytes.map_or_else(|| "n/a".to_owned(), |b| format!("{:.0} MB", b as f64 / 1_048_576.0));
        let rows = [
            ("episodes settled (one month)", format!("{}", self.episodes)),
            ("earlier episodes (re-admissions)", format!("{}", self.earlier)),
            ("threads", format!("{}", self.threads)),
            ("synthesis (not timed in the target)", format!("{:.2} s", self.synth_seconds)),
            ("group one episode, median (1 core)", format!("{:.0} ns  (target ≤ 50,000 ns)", self.group_ns_per_episode_median)),
            ("group one episode, p99 (1 core)", format!("{:.0} ns", self.group_ns_per_episode_p99)),
            ("settle all (group, price, re-admissions, pay, digest)", format!("{:.2} s  (target ≤ 10 s for 1,000,000)", self.settle_seconds)),
            ("bed-day episodes", format!("{}", self.bed_day_episodes)),
            ("re-admissions flagged", format!("{}", self.readmissions)),
            ("outliers", format!("{}", self.outliers)),
            ("point value", format!("{:.2} fen/point", self.point_value)),
            ("peak memory (VmHWM)", mb),
        ];
        let width = rows.iter().map(|(k, _)| k.chars().count()).max().unwrap_or(0);
        let mut out = String::new();
        for (k, v) in rows {
            let pad = width - k.chars().count();
            out.push_str(&format!("{k}{}  {v}\n", " ".repeat(pad)));
        }
        out
    }
}
