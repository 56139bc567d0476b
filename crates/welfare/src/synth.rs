//! Synthetic people for tests, demos and the benchmark: a county's age mix (about a quarter 60+,
//! ~4% aged 80+, a few centenarians), 2% disabled, 3% with a household finance check below the
//! dibao standard, deaths and moves not yet acted on, and some payment history. Deterministic
//! for a seed.

use std::collections::HashSet;

use chrono::Datelike;
use chrono::Days;
use chrono::NaiveDate;

use crate::facts::Facts;
use crate::month::Month;
use crate::run::Paid;
use crate::run::PersonInput;

/// The dibao standard the synthetic incomes are drawn around (fen; the shipped catalog's).
pub const SYNTH_DIBAO_STANDARD: i64 = 123_600;

/// SplitMix64: small, fast and deterministic.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        #[allow(clippy::cast_precision_loss)]
        let x = (self.next() >> 11) as f64;
        x / (1u64 << 53) as f64
    }

    /// Uniform in `lo..=hi`.
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        let span = u64::try_from(hi - lo + 1).unwrap_or(1).max(1);
        lo + i64::try_from(self.next() % span).unwrap_or(0)
    }

    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }
}

/// An 18-digit resident ID number of Fuyang (330111) with a valid check digit.
pub fn id_number(birth: NaiveDate, seq: u32) -> String {
    let body = format!("330111{:04}{:02}{:02}{:03}", birth.year(), birth.month(), birth.day(), seq % 1000);
    const W: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = body.bytes().zip(W).map(|(b, w)| u32::from(b - b'0') * w).sum();
    let check = b"10X98765432"[(sum % 11) as usize] as char;
    format!("{body}{check}")
}

fn days_back(today: NaiveDate, days: i64) -> NaiveDate {
    today.checked_sub_days(Days::new(u64::try_from(days).unwrap_or(0))).unwrap_or(today)
}

/// `n` synthetic people as of `today`, deterministic for `seed`, sorted by key.
pub fn people(n: usize, seed: u64, today: NaiveDate) -> Vec<PersonInput> {
    let mut rng = Rng(seed ^ 0x005E_ED0F_F0A1);
    let mut keys = HashSet::with_capacity(n);
    let this_month = Month::of(today);
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let u = rng.unit();
        let age = if u < 0.000_05 {
            rng.range(100, 104)
        } else if u < 0.04 {
            rng.range(80, 99)
        } else if u < 0.25 {
            rng.range(60, 79)
        } else if u < 0.41 {
            rng.range(0, 17)
        } else {
            rng.range(18, 59)
        };
        let birth = days_back(today, age * 365 + age / 4 + rng.range(0, 364));
        let disability_grade = rng.chance(0.02).then(|| u8::try_from(rng.range(1, 4)).unwrap_or(4));
        let r = rng.unit();
        let income_per_head_fen = if r < 0.03 {
            Some(rng.range(0, SYNTH_DIBAO_STANDARD - 1))
        } else if r < 0.10 {
            Some(rng.range(SYNTH_DIBAO_STANDARD, SYNTH_DIBAO_STANDARD * 3))
        } else {
            None
        };
        let dibao = income_per_head_fen.is_some_and(|i| i < SYNTH_DIBAO_STANDARD) && rng.chance(0.7);
        let household_size = u32::try_from(rng.range(1, 5)).unwrap_or(1);
        let lives_alone = household_size == 1;
        let capable_adults = if lives_alone || rng.chance(0.3) { 0 } else { u32::try_from(rng.range(1, 2)).unwrap_or(1) };
        let death_date = (rng.chance(if age >= 80 { 0.02 } else { 0.002 })).then(|| days_back(today, rng.range(0, 120)));
        let moved_out_on = rng.chance(0.002).then(|| days_back(today, rng.range(0, 120)));
        let facts = Facts {
            birth_date: birth,
            registered_in_district: rng.chance(0.97),
            moved_out_on,
            death_date,
            in_institution: age >= 80 && rng.chance(0.05),
            disability_grade,
            dibao,
            income_per_head_fen,
            household_size,
            household_elders_only: age >= 60 && capable_adults == 0,
            lives_alone,
            capable_adults,
            rent_subsidy_qualified: rng.chance(0.005),
            unemployed: (18..60).contains(&age) && rng.chance(0.02),
        };
        let mut paid = Vec::new();
        let old_enough = |m: Month| facts.age(m.first_day()) >= 80 && facts.age(m.first_day()) < 100;
        if rng.chance(0.6) {
            for back in 1..=2 {
                let m = this_month.back(back);
                if old_enough(m) {
                    paid.push(Paid { benefit: "old_age_allowance".to_owned(), month: m, amount_fen: 6000 });
                }
            }
        }
        let mut seq = u32::try_from(rng.range(0, 999)).unwrap_or(0);
        let mut key = id_number(birth, seq);
        while !keys.insert(key.clone()) {
            seq = (seq + 1) % 1000;
            key = id_number(birth, seq);
        }
        out.push(PersonInput { key, facts, paid });
    }
    out.sort_by(|a, b| a.key.cmp(&b.key));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mix_is_realistic_and_deterministic() {
        let today = NaiveDate::from_ymd_opt(2026, 6, 1).expect("a date");
        let a = people(20_000, 1, today);
        assert_eq!(a, people(20_000, 1, today));
        assert_ne!(a, people(20_000, 2, today));
        let share = |f: &dyn Fn(&PersonInput) -> bool| a.iter().filter(|p| f(p)).count() as f64 / a.len() as f64;
        let over60 = share(&|p| p.facts.age(today) >= 60);
        let over80 = share(&|p| p.facts.age(today) >= 80);
        let disabled = share(&|p| p.facts.disability_grade.is_some());
        let low = share(&|p| p.facts.income_per_head_fen.is_some_and(|i| i < SYNTH_DIBAO_STANDARD));
        assert!((0.22..0.28).contains(&over60), "{over60}");
        assert!((0.03..0.05).contains(&over80), "{over80}");
        assert!((0.015..0.025).contains(&disabled), "{disabled}");
        assert!((0.02..0.04).contains(&low), "{low}");
        assert!(a.iter().any(|p| !p.paid.is_empty()));
        let keys: HashSet<&str> = a.iter().map(|p| p.key.as_str()).collect();
        assert_eq!(keys.len(), a.len());
        assert!(a.iter().all(|p| p.key.len() == 18 && p.key.starts_with("330111")));
        assert_eq!(id_number(NaiveDate::from_ymd_opt(1946, 1, 15).expect("d"), 1), "33011119460115001".to_owned() + &id_number(NaiveDate::from_ymd_opt(1946, 1, 15).expect("d"), 1)[17..]);
    }
}
