//! Synthetic demo data for a county district like Fuyang (富阳区): its hospitals (three tertiary
//! hospitals joining the bed-day scheme by application, secondary hospitals and town health
//! centres included from 2021) and a period's in-patient episodes with a realistic case mix —
//! pneumonia (children and adults), COPD, stroke and its sequelae, heart failure, diabetes,
//! joint replacements, fractures, appendectomies, cholecystectomies, deliveries, kidney
//! disease, chemotherapy cycles, long-stay chronic cases — with complications, outliers,
//! re-admissions and valid resident ID numbers. Once a hospital is in the scheme its stays get
//! shorter and its cost per stay falls, in the manner of Hangzhou's figures. Deterministic for a
//! seed; the numbers are made up.

use std::collections::HashMap;

use chrono::Datelike;
use chrono::Days;
use chrono::NaiveDate;
use domain::Fen;

use crate::episode::CostCategory;
use crate::episode::Episode;
use crate::episode::InsuranceType;
use crate::episode::Sex;
use crate::hospital::Hospital;
use crate::hospital::HospitalLevel;
use crate::hospital::Membership;
use crate::month::Month;

/// A small deterministic random number generator (SplitMix64).
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator for `seed`.
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x5DEE_CE66_D1CE_4E5B)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform in `lo..=hi` (`lo` if the range is empty).
    pub fn between(&mut self, lo: i64, hi: i64) -> i64 {
        if hi <= lo {
            return lo;
        }
        let span = (hi - lo) as u64 + 1;
        lo + (self.next_u64() % span) as i64
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// A standard normal deviate (Box–Muller).
    pub fn normal(&mut self) -> f64 {
        let u1 = 1.0 - self.unit();
        let u2 = self.unit();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }

    /// A log-normal factor with mean 1.
    pub fn spread(&mut self, sigma: f64) -> f64 {
        (sigma * self.normal() - sigma * sigma / 2.0).exp()
    }

    /// One of `items` (the empty string for none).
    pub fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        if items.is_empty() {
            return "";
        }
        items[(self.next_u64() % items.len() as u64) as usize]
    }
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or(NaiveDate::MIN)
}

/// The demo district's in-patient hospitals, with the codes and names of the shared data pool's
/// institutions: three tertiary hospitals (one approved from July 2021, one from January 2022,
/// one whose application is pending), four secondary hospitals and eight town health centres
/// included from January 2021. The list is fixed; `seed` is accepted for symmetry with
/// [`episodes`] and changes nothing.
pub fn hospitals(seed: u64) -> Vec<Hospital> {
    let _ = seed;
    let included = Membership::Included { since: date(2021, 1, 1) };
    let list: [(&str, &str, HospitalLevel, Membership); 15] = [
        ("fy-1h", "杭州市富阳区第一人民医院", HospitalLevel::Tertiary, Membership::Approved { since: date(2021, 7, 1) }),
        ("fy-tcm", "杭州市富阳区中医院", HospitalLevel::Tertiary, Membership::Approved { since: date(2022, 1, 1) }),
        ("fy-ortho", "杭州市富阳区中医骨伤医院", HospitalLevel::Tertiary, Membership::Applied),
        ("fy-mch", "杭州市富阳区妇幼保健院", HospitalLevel::Secondary, included),
        ("fy-2h", "杭州市富阳区第二人民医院", HospitalLevel::Secondary, included),
        ("fy-3h", "杭州市富阳区第三人民医院", HospitalLevel::Secondary, included),
        ("fy-rehab", "杭州市富阳区康复医院", HospitalLevel::Secondary, included),
        ("fy-hc-001", "杭州市富阳区富春街道社区卫生服务中心", HospitalLevel::Primary, included),
        ("fy-hc-100", "杭州市富阳区万市镇卫生院", HospitalLevel::Primary, included),
        ("fy-hc-101", "杭州市富阳区洞桥镇卫生院", HospitalLevel::Primary, included),
        ("fy-hc-110", "杭州市富阳区场口镇中心卫生院", HospitalLevel::Primary, included),
        ("fy-hc-112", "杭州市富阳区龙门镇卫生院", HospitalLevel::Primary, included),
        ("fy-hc-115", "杭州市富阳区新登镇中心卫生院", HospitalLevel::Primary, included),
        ("fy-hc-116", "杭州市富阳区胥口镇卫生院", HospitalLevel::Primary, included),
        ("fy-hc-118", "杭州市富阳区灵桥镇卫生院", HospitalLevel::Primary, included),
    ];
    list.into_iter()
        .map(|(code, name, level, membership)| Hospital { code: code.into(), name: name.into(), level, membership })
        .collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Medical,
    Surgical,
    Child,
    Delivery,
    Chemo,
    LongStay,
}

/// One kind of case in the mix.
struct CaseType {
    /// Relative frequency.
    weight: u32,
    principal: &'static [&'static str],
    /// Added to every case.
    procedures: &'static [&'static str],
    /// Each added with probability 0.35.
    extra: &'static [&'static str],
    age: (i64, i64),
    female: bool,
    /// Relative weights of tertiary, secondary, primary hospitals.
    levels: [u32; 3],
    /// Mean stay at a secondary hospital before the scheme, days.
    los: f64,
    /// Mean cost at a secondary hospital before the scheme, yuan.
    cost: f64,
    kind: Kind,
}

/// A row of the case-mix table (a table row has many columns).
#[allow(clippy::too_many_arguments)]
const fn ct(
    weight: u32,
    principal: &'static [&'static str],
    procedures: &'static [&'static str],
    extra: &'static [&'static str],
    age: (i64, i64),
    levels: [u32; 3],
    los: f64,
    cost: f64,
    kind: Kind,
) -> CaseType {
    CaseType { weight, principal, procedures, extra, age, female: matches!(kind, Kind::Delivery), levels, los, cost, kind }
}

const MIX: &[CaseType] = &[
    ct(110, &["J18.9", "J15.9", "J18.0", "J12.9"], &[], &["87.44", "88.38"], (45, 95), [35, 40, 25], 9.5, 8_000.0, Kind::Medical),
    ct(55, &["J18.0", "J12.9", "J18.9"], &[], &["87.44"], (1, 14), [30, 60, 10], 6.0, 4_000.0, Kind::Child),
    ct(70, &["J44.1", "J44.0", "J44.9"], &[], &["87.44", "88.38"], (55, 95), [30, 40, 30], 10.5, 9_000.0, Kind::Medical),
    ct(90, &["I63.9", "I63.3", "I63.5", "I63.4", "G45.9"], &[], &["88.91", "88.38", "93.39"], (45, 95), [55, 35, 10], 11.0, 11_500.0, Kind::Medical),
    ct(20, &["I61.9"], &[], &["88.38", "96.04", "96.71"], (45, 90), [80, 20, 0], 15.0, 22_000.0, Kind::Medical),
    ct(60, &["I50.0", "I50.9", "I50.1", "I11.0"], &[], &["89.52"], (55, 95), [40, 40, 20], 9.5, 10_000.0, Kind::Medical),
    ct(40, &["I10"], &[], &["89.52"], (40, 90), [20, 40, 40], 7.5, 5_500.0, Kind::Medical),
    ct(25, &["I48.9", "I25.1"], &[], &["89.52"], (50, 90), [40, 40, 20], 7.0, 7_000.0, Kind::Medical),
    ct(50, &["E11.2", "E11.4", "E11.5", "E11.7", "E11.9"], &[], &[], (40, 90), [35, 40, 25], 9.5, 8_000.0, Kind::Medical),
    ct(15, &["M16.9"], &["81.51"], &["93.39", "99.04"], (50, 88), [80, 20, 0], 13.0, 55_000.0, Kind::Surgical),
    ct(15, &["M17.9"], &["81.54"], &["93.39"], (50, 88), [80, 20, 0], 12.0, 52_000.0, Kind::Surgical),
    ct(10, &["S72.0"], &["81.52"], &["99.04"], (65, 95), [75, 25, 0], 14.0, 45_000.0, Kind::Surgical),
    ct(20, &["S72.1"], &["79.35"], &["99.04"], (40, 95), [70, 30, 0], 13.0, 38_000.0, Kind::Surgical),
    ct(12, &["S82.2"], &["79.36"], &[], (18, 80), [70, 30, 0], 11.0, 30_000.0, Kind::Surgical),
    ct(15, &["S52.5"], &["79.32"], &[], (18, 85), [60, 40, 0], 8.0, 24_000.0, Kind::Surgical),
    ct(20, &["S52.5", "S82.2"], &[], &["88.38"], (18, 90), [40, 40, 20], 7.0, 6_500.0, Kind::Medical),
    ct(40, &["K35.8"], &["47.01"], &[], (8, 70), [50, 50, 0], 5.0, 7_500.0, Kind::Surgical),
    ct(8, &["K35.3", "K35.2"], &["47.09"], &[], (8, 75), [60, 40, 0], 7.5, 11_000.0, Kind::Surgical),
    ct(40, &["K80.1", "K81.1", "K81.0"], &["51.23"], &[], (30, 85), [60, 40, 0], 6.0, 10_500.0, Kind::Surgical),
    ct(15, &["K80.2", "K81.0"], &[], &["88.38"], (30, 85), [30, 40, 30], 6.0, 5_500.0, Kind::Medical),
    ct(55, &["O80.0"], &[], &["73.59", "75.69"], (22, 40), [30, 70, 0], 3.5, 4_300.0, Kind::Delivery),
    ct(40, &["O82.0", "O82.1"], &["74.1"], &[], (22, 42), [40, 60, 0], 5.0, 7_800.0, Kind::Delivery),
    ct(25, &["N18.5", "N18.4"], &[], &["38.93"], (40, 90), [60, 40, 0], 10.0, 10_500.0, Kind::Medical),
    ct(15, &["N18.5"], &["39.95"], &["38.93"], (40, 90), [70, 30, 0], 9.0, 11_500.0, Kind::Medical),
    ct(20, &["N39.0"], &[], &[], (20, 95), [20, 40, 40], 6.5, 4_800.0, Kind::Medical),
    ct(70, &["Z51.1"], &["99.25"], &["38.93"], (35, 80), [85, 15, 0], 4.5, 5_500.0, Kind::Chemo),
    ct(10, &["C34.9"], &[], &["88.38"], (45, 85), [80, 20, 0], 9.0, 10_000.0, Kind::Medical),
    ct(20, &["M17.9", "M16.9"], &[], &["93.39"], (45, 90), [30, 40, 30], 8.0, 5_500.0, Kind::Medical),
    ct(10, &["K92.2"], &[], &[], (30, 90), [50, 40, 10], 7.0, 7_000.0, Kind::Medical),
    ct(
        38,
        &["I69.3", "I69.4", "I69.1", "G81.9", "G82.2", "Z50.9", "Z50.1", "F01.9", "F03", "G30.9", "G20", "J96.1"],
        &[],
        &["93.39", "93.89", "93.83"],
        (55, 98),
        [15, 45, 40],
        0.0,
        320.0,
        Kind::LongStay,
    ),
    // A cholecystectomy during a pneumonia stay: the procedure is outside the MDC (歧义组 EQY).
    ct(3, &["J18.9"], &["51.23"], &[], (40, 85), [70, 30, 0], 10.0, 16_000.0, Kind::Surgical),
];

const CC: &[&str] = &["E87.1", "E87.6", "D64.9", "I48.9", "N39.0", "K92.2", "I50.9", "J18.9", "E11.2", "J44.1", "N18.5"];
const MCC: &[&str] = &["J96.0", "A41.9", "N17.9", "R40.2", "E43", "J69.0", "I26.9", "G93.1"];
const COMORBID: &[&str] = &["I10", "E11.9", "E78.5", "I25.1"];
const CANCERS: &[&str] = &["C34.9", "C16.9", "C18.9", "C50.9"];

/// A stay's complications: none, CC or MCC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Severity {
    None,
    Cc,
    Mcc,
}

/// Unique resident ID numbers, consistent with the birth date and sex.
struct Ids {
    used: HashMap<(u8, NaiveDate, bool), u16>,
}

const REGIONS: [&str; 4] = ["330183", "330111", "330122", "330106"];
const ID_WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const ID_CHECK: &[u8; 11] = b"10X98765432";

impl Ids {
    fn new() -> Ids {
        Ids { used: HashMap::new() }
    }

    /// A new person born around `age` years before `on`: (ID number, exact age at `on`).
    fn person(&mut self, rng: &mut Rng, on: NaiveDate, age: i64, sex: Sex) -> (String, u8) {
        let back = age.max(0) * 365 + age.max(0) / 4 + rng.between(0, 364);
        let mut birth = on.checked_sub_days(Days::new(back as u64)).unwrap_or(on);
        // Fuyang's people mostly keep the former county-level city's code 330183 (changed to
        // 330111 in 2015); children born since carry the new one; a few come from elsewhere.
        let region: u8 = if birth.year() >= 2015 { 1 } else if rng.chance(0.88) { 0 } else { 2 + (rng.next_u64() % 2) as u8 };
        let male = sex == Sex::Male;
        let seq = loop {
            let n = self.used.entry((region, birth, male)).or_insert(0);
            if *n < 500 {
                *n += 1;
                break (*n - 1) * 2 + u16::from(male);
            }
            birth = birth.pred_opt().unwrap_or(birth);
        };
        let body = format!("{}{:04}{:02}{:02}{:03}", REGIONS[usize::from(region)], birth.year(), birth.month(), birth.day(), seq);
        let sum: u32 = body.bytes().zip(ID_WEIGHTS).map(|(b, w)| u32::from(b - b'0') * w).sum();
        let check = char::from(ID_CHECK[(sum % 11) as usize]);
        let mut years = on.year() - birth.year();
        if (on.month(), on.day()) < (birth.month(), birth.day()) {
            years -= 1;
        }
        (format!("{body}{check}"), years.clamp(0, 120) as u8)
    }
}

/// What a follow-up stay inherits.
#[derive(Debug, Clone)]
struct Follow {
    patient: String,
    age: u8,
    sex: Sex,
    hospital: usize,
    after: NaiveDate,
    case: usize,
    insurance: InsuranceType,
    gap: (i64, i64),
}

struct Gen<'h> {
    rng: Rng,
    hospitals: &'h [Hospital],
    by_level: [Vec<usize>; 3],
    start: NaiveDate,
    end: NaiveDate,
    tag: String,
    ids: Ids,
    total_weight: u32,
}

fn level_index(l: HospitalLevel) -> usize {
    match l {
        HospitalLevel::Tertiary => 0,
        HospitalLevel::Secondary => 1,
        HospitalLevel::Primary => 2,
    }
}

impl Gen<'_> {
    fn pick_case(&mut self) -> usize {
        let mut r = (self.rng.next_u64() % u64::from(self.total_weight.max(1))) as u32;
        for (i, c) in MIX.iter().enumerate() {
            if r < c.weight {
                return i;
            }
            r -= c.weight;
        }
        0
    }

    fn pick_hospital(&mut self, c: &CaseType) -> usize {
        let weights: [u32; 3] = std::array::from_fn(|i| if self.by_level[i].is_empty() { 0 } else { c.levels[i] });
        let total: u32 = weights.iter().sum();
        if total == 0 {
            return (self.rng.next_u64() % self.hospitals.len() as u64) as usize;
        }
        let mut r = (self.rng.next_u64() % u64::from(total)) as u32;
        let mut level = 0;
        for (i, w) in weights.iter().enumerate() {
            if r < *w {
                level = i;
                break;
            }
            r -= w;
        }
        let list = &self.by_level[level];
        list[(self.rng.next_u64() % list.len() as u64) as usize]
    }

    fn severity(&mut self, kind: Kind, age: u8) -> Severity {
        let older = (f64::from(age) - 50.0).max(0.0);
        let (mcc, cc) = match kind {
            Kind::Child | Kind::Delivery => (0.01, 0.05),
            Kind::LongStay => (0.06, 0.35),
            _ => (0.04 + 0.0012 * older, 0.20 + 0.003 * older),
        };
        let u = self.rng.unit();
        if u < mcc {
            Severity::Mcc
        } else if u < mcc + cc {
            Severity::Cc
        } else {
            Severity::None
        }
    }

    fn other_dx(&mut self, principal: &str, kind: Kind, age: u8, sev: Severity) -> Vec<String> {
        let family = principal.get(..3).unwrap_or(principal);
        let mut out: Vec<String> = Vec::new();
        let add = |code: &str, out: &mut Vec<String>| {
            if !code.is_empty() && code.get(..3) != Some(family) && !out.iter().any(|c| c == code) {
                out.push(code.to_owned());
            }
        };
        match sev {
            Severity::Mcc => {
                let c = self.rng.pick(MCC);
                add(c, &mut out);
            }
            Severity::Cc => {
                let c = self.rng.pick(CC);
                add(c, &mut out);
            }
            Severity::None => {}
        }
        match kind {
            Kind::Delivery => add("Z37.0", &mut out),
            Kind::Chemo => {
                let c = self.rng.pick(CANCERS);
                add(c, &mut out);
            }
            Kind::LongStay if self.rng.chance(0.15) => add("L89.9", &mut out),
            _ => {}
        }
        if age >= 50 && kind != Kind::Delivery {
            for _ in 0..self.rng.between(0, 2) {
                let c = self.rng.pick(COMORBID);
                add(c, &mut out);
            }
        }
        out
    }

    fn costs(&mut self, total: i64, kind: Kind) -> Vec<(CostCategory, Fen)> {
        use CostCategory as C;
        let shares: &[(CostCategory, f64)] = match kind {
            Kind::Surgical => &[(C::Surgery, 0.18), (C::Materials, 0.28), (C::WesternMedicine, 0.18), (C::Laboratory, 0.08), (C::Examination, 0.08), (C::Treatment, 0.08), (C::Nursing, 0.05), (C::Bed, 0.05)],
            Kind::LongStay => &[(C::Bed, 0.22), (C::Nursing, 0.24), (C::Treatment, 0.22), (C::WesternMedicine, 0.18), (C::ChineseHerbalMedicine, 0.05), (C::Laboratory, 0.05), (C::Other, 0.04)],
            Kind::Delivery => &[(C::Surgery, 0.15), (C::Materials, 0.15), (C::WesternMedicine, 0.2), (C::Laboratory, 0.12), (C::Examination, 0.12), (C::Nursing, 0.14), (C::Bed, 0.12)],
            _ => &[(C::WesternMedicine, 0.32), (C::Laboratory, 0.12), (C::Examination, 0.13), (C::Treatment, 0.14), (C::Nursing, 0.08), (C::Bed, 0.09), (C::Materials, 0.06), (C::ChinesePatentMedicine, 0.06)],
        };
        let mut out = Vec::with_capacity(shares.len());
        let mut left = total;
        for (i, (cat, share)) in shares.iter().enumerate() {
            let jitter = 0.8 + 0.4 * self.rng.unit();
            let amount = if i + 1 == shares.len() { left } else { ((total as f64) * share * jitter).round() as i64 };
            let amount = amount.min(left - (shares.len() - i - 1) as i64);
            if amount > 0 {
                out.push((*cat, Fen(amount)));
                left -= amount;
            }
        }
        if out.is_empty() {
            out.push((CostCategory::Other, Fen(total.max(1))));
        }
        out
    }

    /// One episode, fresh or following an earlier stay; `None` when it would fall outside the
    /// period.
    fn episode(&mut self, seq: usize, follow: Option<&Follow>) -> Option<(Episode, Option<Follow>)> {
        let case_i = follow.map_or_else(|| self.pick_case(), |f| f.case);
        let c = &MIX[case_i];
        let hospital_i = match follow {
            Some(f) if self.rng.chance(0.9) => f.hospital,
            _ => self.pick_hospital(c),
        };
        let h = &self.hospitals[hospital_i];
        let level = level_index(h.level);
        // Dates: a fresh stay is discharged uniformly in the period; a follow-up is admitted a
        // few days after the stay it follows.
        let long_stay = c.kind == Kind::LongStay;
        let los_base: f64 = if long_stay {
            if self.rng.chance(0.7) { 61.0 + (-70.0 * (1.0 - self.rng.unit()).ln()).min(420.0) } else { self.rng.between(20, 60) as f64 }
        } else {
            c.los * [1.05, 1.0, 0.95][level] * self.rng.spread(0.45)
        };
        let (sex, given_age) = match follow {
            Some(f) => (f.sex, Some(f.age)),
            None => (if c.female { Sex::Female } else if self.rng.chance(0.5) { Sex::Male } else { Sex::Female }, None),
        };
        let age_guess = given_age.map_or_else(|| self.rng.between(c.age.0, c.age.1), i64::from);
        let sev = self.severity(c.kind, age_guess.clamp(0, 120) as u8);
        let sev_los = match sev {
            Severity::Mcc => 1.35,
            Severity::Cc => 1.15,
            Severity::None => 1.0,
        };
        // Discharge date first, so that the hospital's membership on it decides the scheme's
        // effect.
        let (admitted, discharged, in_scheme) = match follow {
            Some(f) => {
                let gap = self.rng.between(f.gap.0, f.gap.1);
                let admitted = f.after.checked_add_days(Days::new(gap.max(0) as u64))?;
                let provisional = admitted.checked_add_days(Days::new((los_base * sev_los).round().max(1.0) as u64))?;
                let in_scheme = h.in_scheme_on(provisional);
                let factor = if in_scheme { 0.77 } else { 1.0 };
                let los = (los_base * sev_los * factor).round().max(1.0) as u64;
                let discharged = admitted.checked_add_days(Days::new(los))?;
                if discharged > self.end {
                    return None;
                }
                (admitted, discharged, in_scheme)
            }
            None => {
                let span = (self.end - self.start).num_days();
                let discharged = self.start.checked_add_days(Days::new(self.rng.between(0, span) as u64))?;
                let in_scheme = h.in_scheme_on(discharged);
                let factor = if in_scheme { 0.77 } else { 1.0 };
                let los = (los_base * sev_los * factor).round().max(1.0) as u64;
                (discharged.checked_sub_days(Days::new(los))?, discharged, in_scheme)
            }
        };
        let (patient, age) = match follow {
            Some(f) => (f.patient.clone(), f.age),
            None => self.ids.person(&mut self.rng, admitted, age_guess, sex),
        };
        let principal = self.rng.pick(c.principal).to_owned();
        let other_dx = self.other_dx(&principal, c.kind, age, sev);
        let mut procedures: Vec<String> = c.procedures.iter().map(|p| (*p).to_owned()).collect();
        for p in c.extra {
            if self.rng.chance(0.35) {
                procedures.push((*p).to_owned());
            }
        }
        let los = (discharged - admitted).num_days().max(1) as f64;
        let level_cost = [1.20, 1.0, 0.72][level];
        let scheme_cost = if in_scheme { 0.905 } else { 1.0 };
        let total_yuan = if long_stay {
            c.cost * los * level_cost * scheme_cost * self.rng.spread(0.25)
        } else {
            let sev_cost = match sev {
                Severity::Mcc => 1.6,
                Severity::Cc => 1.22,
                Severity::None => 1.0,
            };
            c.cost * level_cost * scheme_cost * sev_cost * self.rng.spread(0.40)
        };
        let total = (total_yuan * 100.0).round().max(1_000.0) as i64;
        let costs = self.costs(total, c.kind);
        let insurance = match follow {
            Some(f) => f.insurance,
            None if age < 18 => InsuranceType::Resident,
            None if age < 60 => if self.rng.chance(0.7) { InsuranceType::Employee } else { InsuranceType::Resident },
            None => if self.rng.chance(0.55) { InsuranceType::Employee } else { InsuranceType::Resident },
        };
        let episode = Episode {
            id: format!("ZY{}{:07}", self.tag, seq),
            patient: patient.clone(),
            hospital: h.code.clone(),
            admitted,
            discharged,
            age,
            sex,
            principal_dx: principal,
            other_dx,
            procedures,
            costs,
            insurance,
        };
        // What follows: chemotherapy's next cycle, or now and then a re-admission.
        let next = match c.kind {
            Kind::Chemo if self.rng.chance(0.7) => Some((19, 24)),
            Kind::Delivery | Kind::LongStay | Kind::Chemo => None,
            _ if self.rng.chance(if in_scheme { 0.03 } else { 0.05 }) => Some((0, 30)),
            _ => None,
        };
        let follow = next.map(|gap| Follow { patient, age, sex, hospital: hospital_i, after: discharged, case: case_i, insurance, gap });
        Some((episode, follow))
    }

    fn run(&mut self, n: usize) -> Vec<Episode> {
        let mut out = Vec::with_capacity(n);
        let mut follow: Option<Follow> = None;
        let mut attempts = 0usize;
        while out.len() < n && attempts < n.saturating_mul(4).max(16) {
            attempts += 1;
            let f = follow.take();
            if let Some((e, next)) = self.episode(out.len() + 1, f.as_ref()) {
                out.push(e);
                follow = next;
            }
        }
        out
    }
}

fn generate(hospitals: &[Hospital], start: NaiveDate, end: NaiveDate, tag: String, n: usize, seed: u64) -> Vec<Episode> {
    if hospitals.is_empty() || n == 0 {
        return Vec::new();
    }
    let mut by_level: [Vec<usize>; 3] = [Vec::new(), Vec::new(), Vec::new()];
    for (i, h) in hospitals.iter().enumerate() {
        by_level[level_index(h.level)].push(i);
    }
    let mut g = Gen {
        rng: Rng::new(seed),
        hospitals,
        by_level,
        start,
        end,
        tag,
        ids: Ids::new(),
        total_weight: MIX.iter().map(|c| c.weight).sum(),
    };
    g.run(n)
}

/// `n` episodes discharged in `year` at `hospitals` (ids `ZY{year}{seq:07}`).
pub fn episodes(hospitals: &[Hospital], year: i32, n: usize, seed: u64) -> Vec<Episode> {
    let (start, end) = (date(year, 1, 1), date(year, 12, 31));
    generate(hospitals, start, end, format!("{year:04}"), n, seed)
}

/// `n` episodes discharged in `month` at `hospitals` (ids `ZY{yyyymm}{seq:07}`).
pub fn month_episodes(hospitals: &[Hospital], month: Month, n: usize, seed: u64) -> Vec<Episode> {
    generate(hospitals, month.first_day(), month.last_day(), format!("{:04}{:02}", month.year, month.month), n, seed)
}

/// A plausible monthly fund budget for `episodes`: 70 % of their total cost.
pub fn budget(episodes: &[Episode]) -> Fen {
    let total: i128 = episodes.iter().map(|e| i128::from(e.total_cost().0)).sum();
    Fen(i64::try_from(total * 7 / 10).unwrap_or(i64::MAX))
}
