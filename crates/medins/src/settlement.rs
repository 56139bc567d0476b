//! The monthly settlement: every episode discharged in the month gets its points — a DRG case
//! its group's weight × 100, a long-stay chronic case at a hospital in the bed-day scheme its
//! bed-day standard converted to points, both adjusted for very high or very low cost — the point
//! value is the fund's budget ÷ the total points, and each episode's payment is its points × the
//! point value (shared out to the fen so that the payments add up to the budget exactly); the
//! patient's share by insurance type; re-admissions within 15 days flagged; a digest of the
//! canonical input so that a re-run proves it reproduces.

use std::collections::BTreeMap;
use std::collections::HashMap;
use std::collections::HashSet;

use domain::Fen;
use rayon::prelude::*;
use serde::Deserialize;
use serde::Serialize;

use crate::digest;
use crate::digest::Canon;
use crate::digest::Feed;
use crate::episode::Episode;
use crate::error::MedinsError;
use crate::grouper::Grouped;
use crate::grouper::Grouper;
use crate::hospital::Hospital;
use crate::hospital::HospitalLevel;
use crate::readmission;
use crate::readmission::Stay;
use crate::scheme::OutlierRule;
use crate::scheme::Scheme;

pub use crate::month::Month;

/// Points are kept as whole ten-thousandths of a point, so that sums are exact.
pub const POINT_SCALE: f64 = 10_000.0;

/// What a settlement is computed from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SettlementInput {
    /// The month: every episode to settle was discharged in it.
    pub month: Month,
    /// The fund's budget for the month's in-patient cases.
    pub budget: Fen,
    /// The hospitals of the district's settlement (定点医疗机构) with their bed-day membership.
    pub hospitals: Vec<Hospital>,
    /// The episodes to settle.
    pub episodes: Vec<Episode>,
    /// Earlier episodes (at least the 15 days before the month), only to find re-admissions;
    /// they are not settled. One with the same hospital and id as an episode to settle is
    /// ignored.
    pub earlier: Vec<Episode>,
}

/// How an episode is paid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentKind {
    /// By DRG points (ungroupable cases too, by their cost).
    Drg,
    /// Per bed-day (a long-stay chronic case at a hospital in the bed-day scheme).
    BedDay,
}

impl PaymentKind {
    /// The Chinese name.
    pub fn name_zh(self) -> &'static str {
        match self {
            PaymentKind::Drg => "DRG点数付费",
            PaymentKind::BedDay => "按床日付费",
        }
    }
}

/// A very-high or very-low cost case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outlier {
    /// Cost above the high line (高倍率病例).
    High,
    /// Cost below the low line (低倍率病例).
    Low,
}

impl Outlier {
    /// The Chinese name.
    pub fn name_zh(self) -> &'static str {
        match self {
            Outlier::High => "高倍率病例",
            Outlier::Low => "低倍率病例",
        }
    }
}

/// One settled episode.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpisodeSettlement {
    /// The hospital's code.
    pub hospital: String,
    /// The hospital's episode id.
    pub episode_id: String,
    /// The patient.
    pub patient: String,
    /// The DRG the case grouped to (also for bed-day cases, for information).
    pub drg: String,
    /// The DRG's Chinese name.
    pub drg_name_zh: String,
    /// How it is paid.
    pub kind: PaymentKind,
    /// Whether the case is ungroupable (`0000`, `xQY`): paid by its cost, to be reviewed.
    pub ungroupable: bool,
    /// The length of stay in days.
    pub los: u32,
    /// The case's total cost.
    pub total_cost: Fen,
    /// The cost the case is measured against: the DRG's benchmark cost or the bed-day standard.
    pub reference_cost: Fen,
    /// The points before any outlier adjustment.
    pub reference_points: f64,
    /// The points paid (to 4 decimals).
    pub points: f64,
    /// A very-high or very-low cost case.
    pub outlier: Option<Outlier>,
    /// The earlier episode (of the same patient, within the window) this one re-admits, flagged
    /// for review; the payment is not changed.
    pub readmission_of: Option<String>,
    /// The fund's payment to the hospital for the case.
    pub payment: Fen,
    /// What the patient pays.
    pub patient_share: Fen,
}

/// One hospital's total for the month.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HospitalPayment {
    /// The hospital's code.
    pub hospital: String,
    /// Its level.
    pub level: HospitalLevel,
    /// Episodes settled.
    pub episodes: u32,
    /// Of which paid per bed-day.
    pub bed_day_episodes: u32,
    /// Their points.
    pub points: f64,
    /// The fund's payment.
    pub payment: Fen,
    /// What the patients pay.
    pub patient_share: Fen,
    /// The episodes' total cost.
    pub total_cost: Fen,
    /// Episodes flagged as re-admissions.
    pub readmissions: u32,
    /// Very-high and very-low cost episodes.
    pub outliers: u32,
    /// Ungroupable episodes.
    pub ungroupable: u32,
}

/// A month's settlement. The same input in any order gives an equal settlement, digest included.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Settlement {
    /// The month.
    pub month: Month,
    /// The fund's budget.
    pub budget: Fen,
    /// Fen per point: the budget ÷ the total points (0 when there are no points).
    pub point_value: f64,
    /// The total points.
    pub total_points: f64,
    /// Every episode, by hospital and id.
    pub episodes: Vec<EpisodeSettlement>,
    /// Every hospital of the input, by code.
    pub hospitals: Vec<HospitalPayment>,
    /// SHA-256 (hex) of the canonical input and of the grouper's and the scheme's data.
    pub digest: String,
}

impl Settlement {
    /// Whether settling `input` again with `grouper` and `scheme` gives this very settlement,
    /// field by field, digest included (the check before approving, or years later).
    pub fn reproduces(&self, grouper: &Grouper, scheme: &Scheme, input: &SettlementInput) -> Result<bool, MedinsError> {
        Ok(settle(grouper, scheme, input)? == *self)
    }
}

/// A settlement's state: computed (draft), frozen for review, approved. Only a draft may be
/// recomputed; an approved settlement is final.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SettlementStatus {
    /// Computed, may be recomputed.
    Draft,
    /// Frozen: its input and result are fixed while it is reviewed.
    Frozen,
    /// Approved: final.
    Approved,
}

impl SettlementStatus {
    /// The stable code.
    pub fn code(self) -> &'static str {
        match self {
            SettlementStatus::Draft => "draft",
            SettlementStatus::Frozen => "frozen",
            SettlementStatus::Approved => "approved",
        }
    }

    /// Draft → frozen.
    pub fn freeze(self) -> Result<SettlementStatus, MedinsError> {
        match self {
            SettlementStatus::Draft => Ok(SettlementStatus::Frozen),
            s => Err(MedinsError::SettlementState { action: "freeze", state: s.code() }),
        }
    }

    /// Frozen → approved.
    pub fn approve(self) -> Result<SettlementStatus, MedinsError> {
        match self {
            SettlementStatus::Frozen => Ok(SettlementStatus::Approved),
            s => Err(MedinsError::SettlementState { action: "approve", state: s.code() }),
        }
    }

    /// Frozen → draft (the review sends it back to be recomputed).
    pub fn reopen(self) -> Result<SettlementStatus, MedinsError> {
        match self {
            SettlementStatus::Frozen => Ok(SettlementStatus::Draft),
            s => Err(MedinsError::SettlementState { action: "reopen", state: s.code() }),
        }
    }
}

/// A case's points against a reference (the DRG's weight × 100 and benchmark cost, or the bed-day
/// standard in points and money): above `high_multiple` × the reference cost, the excess over
/// that line is added at `high_pay_ratio`, converted at the reference's own points per fen;
/// below `low_multiple` × the reference cost, points in proportion to cost.
pub fn outlier_points(rule: OutlierRule, reference_points: f64, reference_cost: Fen, cost: Fen) -> (f64, Option<Outlier>) {
    let r = reference_cost.0 as f64;
    let c = cost.0 as f64;
    if r <= 0.0 || !reference_points.is_finite() {
        return (reference_points.max(0.0), None);
    }
    let high_line = rule.high_multiple * r;
    if c > high_line {
        (reference_points + (c - high_line) * rule.high_pay_ratio * reference_points / r, Some(Outlier::High))
    } else if c < rule.low_multiple * r {
        (reference_points * c / r, Some(Outlier::Low))
    } else {
        (reference_points, None)
    }
}

/// Points to whole ten-thousandths.
fn units(points: f64) -> u64 {
    if points.is_finite() && points > 0.0 { (points * POINT_SCALE).round() as u64 } else { 0 }
}

/// What one episode comes to before the budget is shared out.
#[derive(Debug, Clone)]
struct Priced {
    grouped: Grouped,
    kind: PaymentKind,
    los: u32,
    cost: Fen,
    reference_cost: Fen,
    reference_points: f64,
    units: u64,
    outlier: Option<Outlier>,
    share: Fen,
}

/// Validates, groups and prices one episode. The checks run in a fixed order: text fields, the
/// hospital, codes, dates, age, costs, the month.
fn price(grouper: &Grouper, scheme: &Scheme, hospitals: &HashMap<&str, &Hospital>, month: Month, e: &Episode) -> Result<Priced, MedinsError> {
    e.check_fields()?;
    let Some(h) = hospitals.get(e.hospital.as_str()) else {
        return Err(MedinsError::HospitalNotInScheme { hospital: e.hospital.clone(), episode: e.id.clone() });
    };
    let grouped = grouper.group_fast(e)?;
    let cost = e.check_dates_age_costs()?;
    if !month.contains(e.discharged) {
        return Err(MedinsError::EpisodeOutsideMonth { episode: e.id.clone(), discharged: e.discharged, month: month.to_string() });
    }
    let los = e.length_of_stay();
    let fen_per_point = scheme.fen_per_point() as f64;
    let bed_day = scheme.is_long_stay_chronic(e) && h.in_scheme_on(e.discharged);
    let (kind, reference_cost, reference_points, points, outlier) = if bed_day {
        let standard = scheme.bed_day_standard(h.level, los).amount;
        let rp = standard.0 as f64 / fen_per_point;
        let (p, o) = outlier_points(scheme.bed_day_outliers(), rp, standard, cost);
        (PaymentKind::BedDay, standard, rp, p, o)
    } else if grouped.ungroupable.is_some() {
        let p = cost.0 as f64 / fen_per_point * scheme.ungroupable_pay_ratio();
        (PaymentKind::Drg, cost, p, p, None)
    } else {
        let d = grouper.drg_at(grouped.drg);
        let rp = d.weight * scheme.points_per_weight();
        let (p, o) = outlier_points(scheme.drg_outliers(), rp, d.benchmark_cost, cost);
        (PaymentKind::Drg, d.benchmark_cost, rp, p, o)
    };
    Ok(Priced {
        grouped,
        kind,
        los,
        cost,
        reference_cost,
        reference_points: units(reference_points) as f64 / POINT_SCALE,
        units: units(points),
        outlier,
        share: scheme.patient_share(e.insurance, h.level, cost),
    })
}

/// Shares `budget` out in proportion to `units`, to the fen, so that the shares add up to the
/// budget exactly: each gets the floor of its exact share, and the fen left over go one each to
/// the largest remainders (ties to the earlier index).
pub(crate) fn allocate(budget: i64, units: &[u64]) -> Vec<i64> {
    let total: u128 = units.iter().map(|&u| u128::from(u)).sum();
    if total == 0 || budget <= 0 {
        return vec![0; units.len()];
    }
    let b = budget as u128;
    let mut pay = Vec::with_capacity(units.len());
    let mut rems: Vec<(u128, usize)> = Vec::with_capacity(units.len());
    let mut given: u128 = 0;
    for (i, &u) in units.iter().enumerate() {
        let num = b * u128::from(u);
        let q = num / total;
        given += q;
        pay.push(i64::try_from(q).unwrap_or(i64::MAX));
        rems.push((num % total, i));
    }
    let left = usize::try_from(b.saturating_sub(given)).unwrap_or(0).min(rems.len());
    if left > 0 {
        let order = |a: &(u128, usize), b: &(u128, usize)| b.0.cmp(&a.0).then(a.1.cmp(&b.1));
        if left < rems.len() {
            rems.select_nth_unstable_by(left - 1, order);
        }
        for &(_, i) in &rems[..left] {
            if let Some(p) = pay.get_mut(i) {
                *p += 1;
            }
        }
    }
    pay
}

/// An episode's place in the canonical order: its hospital's rank (hospital codes sorted), the
/// first 16 bytes of its id (zero-padded), then, only where those are equal, the whole id.
#[derive(Debug, Clone, Copy)]
struct Key {
    rank: u32,
    head: [u8; 16],
    idx: usize,
}

impl Key {
    /// Compares `self` (an index into `mine`) with `other` (an index into `theirs`).
    fn cmp_with(&self, other: &Key, mine: &[Episode], theirs: &[Episode]) -> std::cmp::Ordering {
        self.rank.cmp(&other.rank).then(self.head.cmp(&other.head)).then_with(|| {
            let a = mine.get(self.idx).map_or("", |e| e.id.as_str());
            let b = theirs.get(other.idx).map_or("", |e| e.id.as_str());
            a.cmp(b)
        })
    }
}

fn head16(s: &str) -> [u8; 16] {
    let mut h = [0u8; 16];
    let b = s.as_bytes();
    let n = b.len().min(16);
    h[..n].copy_from_slice(&b[..n]);
    h
}

/// The rank of every hospital code that appears (known or not), in code order.
fn hospital_ranks<'a>(hospitals: &[&'a Hospital], episodes: &'a [Episode], earlier: &'a [Episode]) -> HashMap<&'a str, u32> {
    let known: HashSet<&str> = hospitals.iter().map(|h| h.code.as_str()).collect();
    let mut codes: HashSet<&str> = known.clone();
    for e in episodes.iter().chain(earlier) {
        if !known.contains(e.hospital.as_str()) {
            codes.insert(&e.hospital);
        }
    }
    let mut codes: Vec<&str> = codes.into_iter().collect();
    codes.sort_unstable();
    codes.into_iter().enumerate().map(|(i, c)| (c, u32::try_from(i).unwrap_or(u32::MAX))).collect()
}

fn keys_of(episodes: &[Episode], rank: &HashMap<&str, u32>) -> Vec<Key> {
    episodes
        .par_iter()
        .enumerate()
        .map(|(idx, e)| Key { rank: rank.get(e.hospital.as_str()).copied().unwrap_or(u32::MAX), head: head16(&e.id), idx })
        .collect()
}

/// Settles a month. Refuses the whole input, settling nothing, on the first problem in canonical
/// order (episodes by hospital and id): an invalid month or a negative budget, a hospital twice
/// or with a membership that does not fit its level, an episode twice (`duplicate_episode`), an
/// episode of a hospital not among the input's hospitals (`hospital_not_in_scheme`), unknown
/// codes, discharge before admission, an age or costs out of range, a discharge outside the
/// month.
pub fn settle(grouper: &Grouper, scheme: &Scheme, input: &SettlementInput) -> Result<Settlement, MedinsError> {
    let month = input.month;
    if !month.is_valid() {
        return Err(MedinsError::InvalidMonth { input: format!("{:04}-{:02}", month.year, month.month) });
    }
    if input.budget.is_negative() {
        return Err(MedinsError::InvalidBudget { budget: input.budget.0 });
    }
    let mut hospitals: Vec<&Hospital> = input.hospitals.iter().collect();
    hospitals.sort_by(|a, b| a.code.cmp(&b.code));
    if let Some(w) = hospitals.windows(2).find(|w| w[0].code == w[1].code) {
        return Err(MedinsError::DuplicateHospital { hospital: w[0].code.clone() });
    }
    for h in &hospitals {
        h.check()?;
    }
    let by_code: HashMap<&str, &Hospital> = hospitals.iter().map(|h| (h.code.as_str(), *h)).collect();
    let rank = hospital_ranks(&hospitals, &input.episodes, &input.earlier);

    // The canonical order: by hospital, then id.
    let mut keys = keys_of(&input.episodes, &rank);
    keys.par_sort_unstable_by(|a, b| a.cmp_with(b, &input.episodes, &input.episodes));
    let episodes: Vec<&Episode> = keys.iter().filter_map(|k| input.episodes.get(k.idx)).collect();
    if let Some(w) = episodes.windows(2).find(|w| w[0].hospital == w[1].hospital && w[0].id == w[1].id) {
        return Err(MedinsError::DuplicateEpisode { hospital: w[0].hospital.clone(), episode: w[0].id.clone() });
    }

    let priced: Vec<Result<Priced, MedinsError>> = episodes.par_iter().map(|e| price(grouper, scheme, &by_code, month, e)).collect();
    let mut ok = Vec::with_capacity(priced.len());
    for p in priced {
        ok.push(p?);
    }
    let priced = ok;

    // Earlier episodes: context for re-admissions only; the same key as an episode to settle is
    // ignored, a repeated key is kept once (the first in canonical order).
    let mut earlier_keys = keys_of(&input.earlier, &rank);
    earlier_keys.retain(|k| keys.binary_search_by(|probe| probe.cmp_with(k, &input.episodes, &input.earlier)).is_err());
    let mut earlier: Vec<(Key, [u8; 32])> = earlier_keys
        .into_par_iter()
        .map_init(|| Vec::with_capacity(512), |buf, k| input.earlier.get(k.idx).map(|e| (k, digest::episode_with(buf, e))))
        .flatten()
        .collect();
    earlier.par_sort_unstable_by(|a, b| a.0.cmp_with(&b.0, &input.earlier, &input.earlier).then(a.1.cmp(&b.1)));
    earlier.dedup_by(|b, a| a.0.cmp_with(&b.0, &input.earlier, &input.earlier).is_eq());
    let earlier: Vec<(&Episode, [u8; 32])> = earlier.into_iter().filter_map(|(k, h)| input.earlier.get(k.idx).map(|e| (e, h))).collect();
    if let Some((e, _)) = earlier.iter().find(|(e, _)| e.discharged < e.admitted) {
        return Err(MedinsError::DischargeBeforeAdmission { episode: e.id.clone(), admitted: e.admitted, discharged: e.discharged });
    }

    let mut stays: Vec<Stay> = episodes.iter().enumerate().map(|(i, e)| Stay::of(e, Some(i))).collect();
    stays.extend(earlier.iter().map(|(e, _)| Stay::of(e, None)));
    let readmissions = readmission::find(scheme.readmission(), stays, episodes.len());

    let point_units: Vec<u64> = priced.iter().map(|p| p.units).collect();
    let total_units: u128 = point_units.iter().map(|&u| u128::from(u)).sum();
    let payments = allocate(input.budget.0, &point_units);
    let total_points = total_units as f64 / POINT_SCALE;
    let point_value = if total_units == 0 { 0.0 } else { input.budget.0 as f64 / total_points };

    let settled: Vec<EpisodeSettlement> = episodes
        .par_iter()
        .zip(priced.par_iter())
        .zip(payments.par_iter())
        .zip(readmissions.par_iter())
        .map(|(((e, p), pay), re)| {
            let d = grouper.drg_at(p.grouped.drg);
            EpisodeSettlement {
                hospital: e.hospital.clone(),
                episode_id: e.id.clone(),
                patient: e.patient.clone(),
                drg: d.code.clone(),
                drg_name_zh: d.name_zh.clone(),
                kind: p.kind,
                ungroupable: p.grouped.ungroupable.is_some(),
                los: p.los,
                total_cost: p.cost,
                reference_cost: p.reference_cost,
                reference_points: p.reference_points,
                points: p.units as f64 / POINT_SCALE,
                outlier: p.outlier,
                readmission_of: re.map(|(_, id)| id.to_owned()),
                payment: Fen(*pay),
                patient_share: p.share,
            }
        })
        .collect();

    let mut per_hospital: BTreeMap<&str, (HospitalPayment, u128)> = hospitals
        .iter()
        .map(|h| {
            let row = HospitalPayment {
                hospital: h.code.clone(),
                level: h.level,
                episodes: 0,
                bed_day_episodes: 0,
                points: 0.0,
                payment: Fen::ZERO,
                patient_share: Fen::ZERO,
                total_cost: Fen::ZERO,
                readmissions: 0,
                outliers: 0,
                ungroupable: 0,
            };
            (h.code.as_str(), (row, 0))
        })
        .collect();
    for (s, p) in settled.iter().zip(&priced) {
        if let Some((row, units)) = per_hospital.get_mut(s.hospital.as_str()) {
            row.episodes += 1;
            row.bed_day_episodes += u32::from(s.kind == PaymentKind::BedDay);
            *units += u128::from(p.units);
            row.payment += s.payment;
            row.patient_share += s.patient_share;
            row.total_cost += s.total_cost;
            row.readmissions += u32::from(s.readmission_of.is_some());
            row.outliers += u32::from(s.outlier.is_some());
            row.ungroupable += u32::from(s.ungroupable);
        }
    }
    let hospital_rows: Vec<HospitalPayment> = per_hospital
        .into_values()
        .map(|(mut row, units)| {
            row.points = units as f64 / POINT_SCALE;
            row
        })
        .collect();

    // The digest: the data, the month, the budget, the hospitals, every episode and every
    // earlier episode, in canonical order.
    let hashes: Vec<[u8; 32]> = episodes.par_iter().map_init(|| Vec::with_capacity(512), |buf, e| digest::episode_with(buf, e)).collect();
    let mut c = Canon::new("minsheng/medins settlement v1");
    c.str(grouper.digest());
    c.str(scheme.digest());
    c.str(&month.to_string());
    c.i64(input.budget.0);
    c.u64(hospitals.len() as u64);
    for h in &hospitals {
        digest::hospital(&mut c, h);
    }
    c.u64(hashes.len() as u64);
    for h in &hashes {
        c.put(h);
    }
    c.u64(earlier.len() as u64);
    for (_, h) in &earlier {
        c.put(h);
    }

    Ok(Settlement {
        month,
        budget: input.budget,
        point_value,
        total_points,
        episodes: settled,
        hospitals: hospital_rows,
        digest: hex::encode(c.finish()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allocation_adds_up_to_the_budget_exactly() {
        assert_eq!(allocate(100, &[1, 1, 1]), vec![34, 33, 33]);
        assert_eq!(allocate(10, &[0, 0]), vec![0, 0]);
        assert_eq!(allocate(0, &[5, 5]), vec![0, 0]);
        // 7 × (2, 1, 1) / 4 = 3.5, 1.75, 1.75: floors 3, 1, 1 and the 2 fen left to the largest remainders.
        assert_eq!(allocate(7, &[2, 1, 1]), vec![3, 2, 2]);
        let units: Vec<u64> = (1..=1000u64).map(|i| i * 7919 % 1013 + 1).collect();
        let pay = allocate(123_456_789, &units);
        assert_eq!(pay.iter().sum::<i64>(), 123_456_789);
        assert_eq!(allocate(i64::MAX, &[u64::MAX, 1]).iter().map(|&p| i128::from(p)).sum::<i128>(), i128::from(i64::MAX));
    }

    #[test]
    fn outliers_both_ways() {
        let rule = OutlierRule { high_multiple: 3.0, high_pay_ratio: 0.9, low_multiple: 0.4 };
        // Weight 1.00 = 100 points against 10,000 yuan.
        let r = Fen(1_000_000);
        assert_eq!(outlier_points(rule, 100.0, r, Fen(1_000_000)), (100.0, None));
        // 40,000 yuan: 10,000 yuan over the 30,000 line, 90% of it at 100 points per 10,000 yuan.
        assert_eq!(outlier_points(rule, 100.0, r, Fen(4_000_000)), (190.0, Some(Outlier::High)));
        // 3,000 yuan: 30% of the points.
        assert_eq!(outlier_points(rule, 100.0, r, Fen(300_000)), (30.0, Some(Outlier::Low)));
        // Exactly on the lines: not outliers.
        assert_eq!(outlier_points(rule, 100.0, r, Fen(3_000_000)).1, None);
        assert_eq!(outlier_points(rule, 100.0, r, Fen(400_000)).1, None);
    }

    #[test]
    fn settlement_states() {
        let s = SettlementStatus::Draft.freeze().expect("freeze");
        assert_eq!(s.reopen(), Ok(SettlementStatus::Draft));
        let s = s.approve().expect("approve");
        assert_eq!(s, SettlementStatus::Approved);
        assert!(s.freeze().is_err() && s.reopen().is_err() && SettlementStatus::Draft.approve().is_err());
    }
}
