//! Indicators: average cost per stay (次均费用), average length of stay (平均住院日), the
//! re-admission rate and the case-mix index per hospital and month, whether the hospital was in
//! the bed-day scheme that month, and the roll-ups by level, by year and before/after joining —
//! so that figures such as Hangzhou's (cost per stay −7.5 % in 2021 and −2.12 % in 2022, stay
//! 11.53 → 9.44 days, −18.13 %) can be computed from episodes.

use std::collections::BTreeMap;
use std::collections::HashMap;

use chrono::NaiveDate;
use domain::Fen;
use rayon::prelude::*;
use serde::Serialize;

use crate::episode::Episode;
use crate::grouper::Grouper;
use crate::hospital::Hospital;
use crate::hospital::HospitalLevel;
use crate::month::Month;
use crate::readmission;
use crate::readmission::Stay;
use crate::scheme::Scheme;

/// Sums from which averages and rates are computed exactly.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Totals {
    /// Episodes.
    pub episodes: u64,
    /// Their total cost.
    pub total_cost: Fen,
    /// Their lengths of stay added up (days).
    pub bed_days: u64,
    /// Of which flagged as re-admissions.
    pub readmissions: u64,
}

impl Totals {
    /// Adds another set of sums.
    pub fn add(&mut self, o: &Totals) {
        self.episodes += o.episodes;
        self.total_cost += o.total_cost;
        self.bed_days += o.bed_days;
        self.readmissions += o.readmissions;
    }

    /// Average cost per stay, rounded to the fen (0 without episodes).
    pub fn avg_cost(&self) -> Fen {
        if self.episodes == 0 {
            return Fen::ZERO;
        }
        let n = i128::from(self.episodes);
        let t = i128::from(self.total_cost.0);
        Fen(i64::try_from((2 * t + n).div_euclid(2 * n)).unwrap_or(i64::MAX))
    }

    /// Average cost per stay in fen, unrounded (for changes in %).
    pub fn avg_cost_exact(&self) -> f64 {
        if self.episodes == 0 { 0.0 } else { self.total_cost.0 as f64 / self.episodes as f64 }
    }

    /// Average length of stay in days (0 without episodes).
    pub fn avg_los(&self) -> f64 {
        if self.episodes == 0 { 0.0 } else { self.bed_days as f64 / self.episodes as f64 }
    }

    /// Re-admissions ÷ episodes (0 without episodes).
    pub fn readmission_rate(&self) -> f64 {
        if self.episodes == 0 { 0.0 } else { self.readmissions as f64 / self.episodes as f64 }
    }
}

/// One hospital's figures for one month (by discharge date).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IndicatorRow {
    /// The hospital's code.
    pub hospital: String,
    /// Its level.
    pub level: HospitalLevel,
    /// The month.
    pub month: Month,
    /// Episodes discharged in the month.
    pub episodes: u32,
    /// Average cost per stay.
    pub avg_cost: Fen,
    /// Average length of stay, days.
    pub avg_los: f64,
    /// Re-admissions ÷ episodes.
    pub readmission_rate: f64,
    /// Whether the hospital was in the bed-day scheme on the month's first day.
    pub in_scheme: bool,
    /// Episodes that are long-stay chronic by the scheme's rule.
    pub long_stay: u32,
    /// Case-mix index: the average DRG weight of the episodes that grouped to a real DRG.
    pub cmi: f64,
    /// The sums behind the averages.
    pub totals: Totals,
}

/// The indicators of `episodes` per hospital and month, ordered by hospital and month.
/// Re-admissions are looked for among all the episodes given (give the months before too for
/// the first month's). Episodes of hospitals not in `hospitals` are left out; episodes the
/// grouper refuses count in every figure but the case-mix index.
pub fn indicators(episodes: &[Episode], hospitals: &[Hospital], grouper: &Grouper, scheme: &Scheme) -> Vec<IndicatorRow> {
    let by_code: HashMap<&str, &Hospital> = hospitals.iter().map(|h| (h.code.as_str(), h)).collect();
    let stays: Vec<Stay> = episodes.iter().enumerate().map(|(i, e)| Stay::of(e, Some(i))).collect();
    let readmitted = readmission::find(scheme.readmission(), stays, episodes.len());
    let weights: Vec<Option<f64>> = episodes
        .par_iter()
        .map(|e| grouper.group_fast(e).ok().filter(|g| g.ungroupable.is_none()).map(|g| grouper.drg_at(g.drg).weight))
        .collect();

    #[derive(Default)]
    struct Acc {
        totals: Totals,
        long_stay: u32,
        weight_sum: f64,
        grouped: u64,
    }
    let mut acc: BTreeMap<(&str, Month), Acc> = BTreeMap::new();
    for ((e, re), w) in episodes.iter().zip(&readmitted).zip(&weights) {
        if !by_code.contains_key(e.hospital.as_str()) {
            continue;
        }
        let a = acc.entry((e.hospital.as_str(), Month::of(e.discharged))).or_default();
        a.totals.episodes += 1;
        a.totals.total_cost += e.total_cost();
        a.totals.bed_days += u64::from(e.length_of_stay());
        a.totals.readmissions += u64::from(re.is_some());
        a.long_stay += u32::from(scheme.is_long_stay_chronic(e));
        if let Some(w) = w {
            a.weight_sum += w;
            a.grouped += 1;
        }
    }
    acc.into_iter()
        .filter_map(|((code, month), a)| {
            let h = by_code.get(code)?;
            Some(IndicatorRow {
                hospital: code.to_owned(),
                level: h.level,
                month,
                episodes: u32::try_from(a.totals.episodes).unwrap_or(u32::MAX),
                avg_cost: a.totals.avg_cost(),
                avg_los: a.totals.avg_los(),
                readmission_rate: a.totals.readmission_rate(),
                in_scheme: h.in_scheme_on(month.first_day()),
                long_stay: a.long_stay,
                cmi: if a.grouped == 0 { 0.0 } else { a.weight_sum / a.grouped as f64 },
                totals: a.totals,
            })
        })
        .collect()
}

/// The change from `before` to `after` in per cent (`None` when `before` is 0).
pub fn change_pct(before: f64, after: f64) -> Option<f64> {
    if before == 0.0 || !before.is_finite() || !after.is_finite() { None } else { Some((after - before) / before * 100.0) }
}

/// A level's figures for one month.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LevelRow {
    /// The level.
    pub level: HospitalLevel,
    /// The month.
    pub month: Month,
    /// Hospitals with episodes that month.
    pub hospitals: u32,
    /// Of which in the bed-day scheme.
    pub in_scheme: u32,
    /// The sums.
    pub totals: Totals,
}

/// The rows rolled up by level and month.
pub fn by_level(rows: &[IndicatorRow]) -> Vec<LevelRow> {
    let mut acc: BTreeMap<(HospitalLevel, Month), LevelRow> = BTreeMap::new();
    for r in rows {
        let e = acc.entry((r.level, r.month)).or_insert(LevelRow { level: r.level, month: r.month, hospitals: 0, in_scheme: 0, totals: Totals::default() });
        e.hospitals += 1;
        e.in_scheme += u32::from(r.in_scheme);
        e.totals.add(&r.totals);
    }
    acc.into_values().collect()
}

/// The district's figures for one year.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct YearRow {
    /// The year.
    pub year: i32,
    /// The sums.
    pub totals: Totals,
    /// The change of the average cost per stay against the year before, in %.
    pub cost_change_pct: Option<f64>,
    /// The change of the average length of stay against the year before, in %.
    pub los_change_pct: Option<f64>,
}

/// The rows rolled up by year for the whole district, with changes against the year before
/// (when that year is present).
pub fn by_year(rows: &[IndicatorRow]) -> Vec<YearRow> {
    let mut acc: BTreeMap<i32, Totals> = BTreeMap::new();
    for r in rows {
        acc.entry(r.month.year).or_default().add(&r.totals);
    }
    let mut out: Vec<YearRow> = Vec::with_capacity(acc.len());
    for (year, totals) in acc {
        let prev = out.last().filter(|p| p.year == year - 1).map(|p| p.totals);
        out.push(YearRow {
            year,
            totals,
            cost_change_pct: prev.and_then(|p| change_pct(p.avg_cost_exact(), totals.avg_cost_exact())),
            los_change_pct: prev.and_then(|p| change_pct(p.avg_los(), totals.avg_los())),
        });
    }
    out
}

/// A hospital before and after it joined the bed-day scheme.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BeforeAfter {
    /// The hospital's code.
    pub hospital: String,
    /// Its level.
    pub level: HospitalLevel,
    /// The day it joined, if it has.
    pub joined: Option<NaiveDate>,
    /// Months not in the scheme.
    pub before: Totals,
    /// Months in the scheme.
    pub after: Totals,
    /// The change of the average cost per stay, in % (when both sides have episodes).
    pub cost_change_pct: Option<f64>,
    /// The change of the average length of stay, in %.
    pub los_change_pct: Option<f64>,
    /// The change of the re-admission rate, in percentage points.
    pub readmission_change_pts: Option<f64>,
}

/// Each hospital's months before and after joining the bed-day scheme (a month counts as "in"
/// when the hospital was in on its first day), ordered by hospital.
pub fn before_after(rows: &[IndicatorRow], hospitals: &[Hospital]) -> Vec<BeforeAfter> {
    let joined: HashMap<&str, Option<NaiveDate>> = hospitals.iter().map(|h| (h.code.as_str(), h.membership.since())).collect();
    let mut acc: BTreeMap<&str, (HospitalLevel, Totals, Totals)> = BTreeMap::new();
    for r in rows {
        let e = acc.entry(r.hospital.as_str()).or_insert((r.level, Totals::default(), Totals::default()));
        if r.in_scheme { e.2.add(&r.totals) } else { e.1.add(&r.totals) }
    }
    acc.into_iter()
        .map(|(code, (level, before, after))| {
            let both = before.episodes > 0 && after.episodes > 0;
            BeforeAfter {
                hospital: code.to_owned(),
                level,
                joined: joined.get(code).copied().flatten(),
                before,
                after,
                cost_change_pct: if both { change_pct(before.avg_cost_exact(), after.avg_cost_exact()) } else { None },
                los_change_pct: if both { change_pct(before.avg_los(), after.avg_los()) } else { None },
                readmission_change_pts: if both { Some((after.readmission_rate() - before.readmission_rate()) * 100.0) } else { None },
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn averages_and_changes() {
        let t = Totals { episodes: 3, total_cost: Fen(1000), bed_days: 10, readmissions: 1 };
        assert_eq!(t.avg_cost(), Fen(333));
        assert_eq!(Totals { episodes: 2, total_cost: Fen(3), ..t }.avg_cost(), Fen(2));
        assert!((t.avg_los() - 10.0 / 3.0).abs() < 1e-12);
        assert_eq!(Totals::default().avg_cost(), Fen::ZERO);
        assert_eq!(change_pct(0.0, 1.0), None);
        let c = change_pct(11.53, 9.44).expect("a change");
        assert_eq!(format!("{c:.1}%"), "-18.1%");
        assert_eq!(format!("{c:.2}"), "-18.13");
    }
}
