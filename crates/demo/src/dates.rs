//! Dates and random picks for the generator: ages, anniversaries, random days and weighted choices.

use chrono::{DateTime, Datelike, Days, Duration, Months, NaiveDate, Utc};
use rand::Rng;

/// A date from its parts; 1970-01-01 for an impossible one (only constants are passed).
pub(crate) fn ymd(year: i32, month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(year, month, day).unwrap_or_default()
}

/// `date` moved by whole years; 29 February becomes 28 February in common years.
pub(crate) fn add_years(date: NaiveDate, years: i32) -> NaiveDate {
    let months = Months::new(years.unsigned_abs().saturating_mul(12));
    let moved = if years >= 0 {
        date.checked_add_months(months)
    } else {
        date.checked_sub_months(months)
    };
    moved.unwrap_or(date)
}

/// `date` moved by `days` days (either way).
pub(crate) fn add_days(date: NaiveDate, days: i64) -> NaiveDate {
    let moved = if days >= 0 {
        date.checked_add_days(Days::new(days.unsigned_abs()))
    } else {
        date.checked_sub_days(Days::new(days.unsigned_abs()))
    };
    moved.unwrap_or(date)
}

/// The day before `today`: the last day anything in the demo district may have happened on.
pub(crate) fn yesterday(today: NaiveDate) -> NaiveDate {
    add_days(today, -1)
}

/// Age in full years on `date`.
pub(crate) fn age_on(birth: NaiveDate, date: NaiveDate) -> u32 {
    if date <= birth {
        return 0;
    }
    let mut years = date.year() - birth.year();
    if (date.month(), date.day()) < (birth.month(), birth.day()) {
        years -= 1;
    }
    u32::try_from(years).unwrap_or(0)
}

/// A uniformly random day in `from..=to`; `from` when the range is empty.
pub(crate) fn between(rng: &mut impl Rng, from: NaiveDate, to: NaiveDate) -> NaiveDate {
    let span = (to - from).num_days();
    if span <= 0 {
        return from;
    }
    add_days(from, rng.random_range(0..=span))
}

/// A birth date of someone exactly `age` years old on `today`, born before `today`.
pub(crate) fn birth_for_age(rng: &mut impl Rng, today: NaiveDate, age: u32) -> NaiveDate {
    let age = i32::try_from(age).unwrap_or(0);
    let latest = add_years(today, -age).min(yesterday(today));
    let earliest = add_days(add_years(today, -(age + 1)), 1);
    between(rng, earliest, latest)
}

/// A moment in office hours (08:30–17:00, China time) on `date`.
pub(crate) fn office_time(rng: &mut impl Rng, date: NaiveDate) -> DateTime<Utc> {
    let minutes = rng.random_range(8 * 60 + 30..17 * 60);
    let seconds = rng.random_range(0..60);
    domain::china_start_of_day(date) + Duration::minutes(minutes) + Duration::seconds(seconds)
}

/// One of `items`, each as likely as its weight. `items` must not be empty.
pub(crate) fn weighted<'a, T>(rng: &mut impl Rng, items: &'a [(T, u32)]) -> &'a T {
    let total: u32 = items.iter().map(|(_, w)| *w).sum();
    let mut r = rng.random_range(0..total.max(1));
    for (item, w) in items {
        if r < *w {
            return item;
        }
        r -= w;
    }
    &items[items.len() - 1].0
}

/// One of `items`, uniformly. `items` must not be empty.
pub(crate) fn pick<'a, T>(rng: &mut impl Rng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

/// An age drawn from weighted bands `(lowest, highest, weight)`, uniform within a band.
pub(crate) fn age_from_bands(rng: &mut impl Rng, bands: &[(u32, u32, u32)]) -> u32 {
    let weighted_bands: Vec<((u32, u32), u32)> =
        bands.iter().map(|&(lo, hi, w)| ((lo, hi), w)).collect();
    let &(lo, hi) = weighted(rng, &weighted_bands);
    rng.random_range(lo..=hi.max(lo))
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    use super::*;

    #[test]
    fn ages_and_anniversaries() {
        let birth = ymd(2000, 2, 29);
        assert_eq!(add_years(birth, 1), ymd(2001, 2, 28));
        assert_eq!(add_years(birth, -4), ymd(1996, 2, 29));
        assert_eq!(age_on(birth, ymd(2016, 2, 28)), 15);
        assert_eq!(age_on(birth, ymd(2016, 2, 29)), 16);
        assert_eq!(age_on(birth, ymd(1999, 1, 1)), 0);
        assert_eq!(add_days(birth, -1), ymd(2000, 2, 28));
    }

    #[test]
    fn births_match_the_age_asked_for() {
        let mut rng = StdRng::seed_from_u64(1);
        let today = ymd(2026, 11, 22);
        for age in [0, 1, 15, 60, 99] {
            for _ in 0..200 {
                let b = birth_for_age(&mut rng, today, age);
                assert_eq!(age_on(b, today), age, "{b}");
                assert!(b < today);
            }
        }
    }

    #[test]
    fn random_days_stay_in_range() {
        let mut rng = StdRng::seed_from_u64(2);
        let (a, b) = (ymd(2020, 1, 1), ymd(2020, 1, 10));
        let mut seen = std::collections::HashSet::new();
        for _ in 0..500 {
            let d = between(&mut rng, a, b);
            assert!((a..=b).contains(&d));
            seen.insert(d);
        }
        assert_eq!(seen.len(), 10);
        assert_eq!(between(&mut rng, b, a), b);
    }

    #[test]
    fn office_hours_are_china_time() {
        let mut rng = StdRng::seed_from_u64(3);
        for _ in 0..100 {
            let t = office_time(&mut rng, ymd(2024, 5, 6));
            assert_eq!(domain::china_date(t), ymd(2024, 5, 6));
            let h = domain::china_time(t).format("%H%M").to_string();
            assert!(("0830".."1700").contains(&h.as_str()), "{h}");
        }
    }

    #[test]
    fn weighted_picks_follow_weights() {
        let mut rng = StdRng::seed_from_u64(4);
        let items = [("a", 1), ("b", 0), ("c", 3)];
        let mut counts = [0; 3];
        for _ in 0..4000 {
            match *weighted(&mut rng, &items) {
                "a" => counts[0] += 1,
                "b" => counts[1] += 1,
                _ => counts[2] += 1,
            }
        }
        assert_eq!(counts[1], 0);
        assert!((800..1200).contains(&counts[0]), "{counts:?}");
    }
}
