//! The benchmark: every benefit of the shipped catalog decided for `n` synthetic people, in
//! parallel, timed (the figure is in the README).

use std::time::Instant;

use chrono::NaiveDate;
use rayon::prelude::*;
use serde::Serialize;

use crate::catalog::Catalog;
use crate::evaluate::Outcome;
use crate::evaluate::decide;
use crate::facts::FactValues;

/// What a benchmark run measured.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BenchReport {
    /// People evaluated.
    pub people: usize,
    /// Benefits per person.
    pub benefits: usize,
    /// Wall-clock seconds of the evaluation (not of generating the people).
    pub seconds: f64,
    /// (person, benefit) pairs entitled.
    pub entitled: u64,
}

/// Generates `n` people (seed 42) and decides every benefit for everyone on `today`, timing the
/// decisions (the same path as a payment run, without the reasons).
pub fn bench_evaluate(n: usize, today: NaiveDate) -> BenchReport {
    let catalog = Catalog::demo();
    let people = crate::synth::people(n, 42, today);
    let start = Instant::now();
    let entitled: u64 = people
        .par_iter()
        .map(|p| {
            let v = FactValues::new(&p.facts, today);
            catalog.benefits.iter().filter(|b| matches!(decide(b, &v), Outcome::Entitled { .. })).count() as u64
        })
        .sum();
    BenchReport { people: people.len(), benefits: catalog.benefits.len(), seconds: start.elapsed().as_secs_f64(), entitled }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_small_bench_counts() {
        let today = NaiveDate::from_ymd_opt(2026, 6, 1).expect("a date");
        let r = bench_evaluate(2_000, today);
        assert_eq!(r.people, 2_000);
        assert_eq!(r.benefits, 7);
        assert!(r.entitled > 50 && r.entitled < 1_000, "{}", r.entitled);
    }

    /// `cargo test -p welfare --release -- --ignored --nocapture`
    #[test]
    #[ignore = "benchmark: run in release"]
    fn bench_a_million() {
        let today = NaiveDate::from_ymd_opt(2026, 6, 1).expect("a date");
        let r = bench_evaluate(1_000_000, today);
        println!("{r:?}");
        assert!(r.seconds <= 5.0, "{r:?}");
    }
}
