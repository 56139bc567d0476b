//! The payment scheme (B5) as data: which cases are long-stay chronic, the per-diem tariffs by
//! hospital level with a daily rate that steps down as the stay grows and a ceiling per stay,
//! the very-high and very-low cost rules, how money converts to points, the patient's share by
//! insurance type and level, and the re-admission window. The hospitals and their membership
//! (tertiary by application, the others by inclusion) live in `hospital` and are re-exported
//! here.

use std::sync::OnceLock;

use domain::Fen;
use serde::Deserialize;
use serde::Serialize;
use toml::Spanned;

pub use crate::hospital::Hospital;
pub use crate::hospital::HospitalLevel;
pub use crate::hospital::Membership;

use crate::data;
use crate::episode::Episode;
use crate::episode::InsuranceType;
use crate::error::MedinsError;

/// The shipped scheme (illustrative values; see the file's header).
pub const EMBEDDED_SCHEME: &str = include_str!("../../../data/medins/scheme.toml");

const FILE: &str = "scheme.toml";

/// Where the scheme comes from, as its data file says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SchemeSource {
    /// The scheme's Chinese title.
    pub title_zh: String,
    /// What it is modelled on.
    pub based_on: String,
    /// Whether its values are official.
    pub values: String,
}

/// A value for each hospital level.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PerLevel<T> {
    /// For tertiary hospitals.
    pub tertiary: T,
    /// For secondary hospitals.
    pub secondary: T,
    /// For primary hospitals and health centres.
    pub primary: T,
}

impl<T: Copy> PerLevel<T> {
    /// The value for `level`.
    pub fn get(&self, level: HospitalLevel) -> T {
        match level {
            HospitalLevel::Tertiary => self.tertiary,
            HospitalLevel::Secondary => self.secondary,
            HospitalLevel::Primary => self.primary,
        }
    }
}

/// One step of a per-diem tariff: the daily rate from `from_day` of the stay on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Tier {
    /// The first day of the stay (1-based) the rate applies to.
    pub from_day: u32,
    /// The daily rate.
    pub per_day: Fen,
}

/// The per-diem tariff of a hospital level.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Tariff {
    /// The steps, the first from day 1, rates stepping down.
    pub tiers: Vec<Tier>,
    /// The most a stay is paid.
    pub ceiling: Fen,
}

/// A family of principal diagnoses whose long stays are paid per bed-day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LongStayFamily {
    /// An ICD-10 prefix, e.g. `I69`.
    pub prefix: String,
    /// `脑血管病后遗症`.
    pub name_zh: String,
}

/// The very-high and very-low cost rule of one kind of payment.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutlierRule {
    /// A case costing more than this times its reference cost is a high outlier.
    pub high_multiple: f64,
    /// The share of the excess over that line paid (0: flagged for review only).
    pub high_pay_ratio: f64,
    /// A case costing less than this times its reference cost is a low outlier, paid in
    /// proportion to its cost.
    pub low_multiple: f64,
}

/// The re-admission rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReadmissionRule {
    /// A case admitted at most this many days after the same patient's previous discharge is a
    /// re-admission.
    pub window_days: u32,
    /// Whether only a previous stay at the same hospital counts.
    pub same_hospital: bool,
    /// Principal-diagnosis prefixes of planned stays that are never flagged (chemotherapy).
    pub exempt: Vec<String>,
}

/// What the patient pays, for one insurance type.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ShareRule {
    /// The deductible per stay (起付线).
    pub deductible: PerLevel<Fen>,
    /// The co-insurance on the rest (个人自付比例), 0–1.
    pub coinsurance: PerLevel<f64>,
}

/// One line of a bed-day standard: the days of a stay that fall in one tier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct BedDayLine {
    /// The first day of the stay in this tier.
    pub from_day: u32,
    /// The last day of the stay in this tier.
    pub to_day: u32,
    /// How many days.
    pub days: u32,
    /// The daily rate.
    pub per_day: Fen,
    /// days × rate.
    pub amount: Fen,
}

/// The bed-day standard of a stay: Σ over its days of the tier's daily rate, capped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BedDayStandard {
    /// The length of stay.
    pub days: u32,
    /// The days in each tier.
    pub lines: Vec<BedDayLine>,
    /// The sum before the ceiling.
    pub uncapped: Fen,
    /// The standard: the sum, at most the ceiling.
    pub amount: Fen,
    /// Whether the ceiling applied.
    pub capped: bool,
}

/// The scheme's rules, checked when loaded.
#[derive(Debug, Clone, PartialEq)]
pub struct Scheme {
    source: SchemeSource,
    points_per_weight: f64,
    fen_per_point: i64,
    long_stay_days: u32,
    families: Vec<LongStayFamily>,
    tariff_tertiary: Tariff,
    tariff_secondary: Tariff,
    tariff_primary: Tariff,
    drg_outliers: OutlierRule,
    bed_day_outliers: OutlierRule,
    ungroupable_pay_ratio: f64,
    readmission: ReadmissionRule,
    employee: ShareRule,
    resident: ShareRule,
    digest: String,
}

// ---- the file's shape ------------------------------------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SchemeFile {
    source: SchemeSource,
    points: Spanned<PointsRaw>,
    long_stay: Spanned<LongStayRaw>,
    bed_day: BedDayRaw,
    outliers: OutliersRaw,
    ungroupable: Spanned<UngroupableRaw>,
    readmission: Spanned<ReadmissionRule>,
    patient_share: ShareFileRaw,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PointsRaw {
    points_per_weight: f64,
    fen_per_point: i64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LongStayRaw {
    longer_than_days: u32,
    families: Vec<LongStayFamily>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct BedDayRaw {
    tertiary: Spanned<TariffRaw>,
    secondary: Spanned<TariffRaw>,
    primary: Spanned<TariffRaw>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TariffRaw {
    tiers: Vec<Spanned<TierRaw>>,
    ceiling_fen: i64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TierRaw {
    from_day: u32,
    fen_per_day: i64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct OutliersRaw {
    drg: Spanned<OutlierRule>,
    bed_day: Spanned<OutlierRule>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct UngroupableRaw {
    pay_ratio: f64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ShareFileRaw {
    employee: Spanned<ShareRaw>,
    resident: Spanned<ShareRaw>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ShareRaw {
    deductible_fen: PerLevel<i64>,
    coinsurance: PerLevel<f64>,
}

fn ratio_ok(x: f64) -> bool {
    x.is_finite() && (0.0..=1.0).contains(&x)
}

impl Scheme {
    /// The shipped scheme. Its data is checked by a unit test; should it ever fail to load, this
    /// gives a scheme with no long-stay families (every case paid by DRG), never a panic.
    pub fn embedded() -> Scheme {
        Scheme::shared().clone()
    }

    /// The shipped scheme, loaded once per process.
    pub fn shared() -> &'static Scheme {
        static SHARED: OnceLock<Scheme> = OnceLock::new();
        SHARED.get_or_init(|| Scheme::from_toml(EMBEDDED_SCHEME).unwrap_or_else(|_| Scheme::fallback()))
    }

    /// A scheme from the caller's file (the shape of `data/medins/scheme.toml`). Every error
    /// names the line and the field.
    pub fn from_toml(text: &str) -> Result<Scheme, MedinsError> {
        let f: SchemeFile = data::parse(FILE, text)?;
        let err = |span: std::ops::Range<usize>, field: &str, msg: String| MedinsError::data(FILE, Some(data::line_of(text, span.start)), field, msg);

        let p = f.points.get_ref();
        if !(p.points_per_weight.is_finite() && p.points_per_weight > 0.0) {
            return Err(err(f.points.span(), "points.points_per_weight", "must be a positive number".into()));
        }
        if p.fen_per_point <= 0 {
            return Err(err(f.points.span(), "points.fen_per_point", "must be positive".into()));
        }
        let ls = f.long_stay.get_ref();
        if ls.longer_than_days == 0 {
            return Err(err(f.long_stay.span(), "long_stay.longer_than_days", "must be at least 1".into()));
        }
        if let Some(x) = ls.families.iter().find(|x| x.prefix.len() < 3) {
            return Err(err(f.long_stay.span(), "long_stay.families", format!("{:?} is shorter than an ICD-10 category", x.prefix)));
        }
        let tariff = |t: &Spanned<TariffRaw>, level: &str| -> Result<Tariff, MedinsError> {
            let raw = t.get_ref();
            let field = format!("bed_day.{level}");
            if raw.tiers.is_empty() {
                return Err(err(t.span(), &format!("{field}.tiers"), "needs at least one tier".into()));
            }
            let mut tiers: Vec<Tier> = Vec::new();
            for (i, s) in raw.tiers.iter().enumerate() {
                let tier = s.get_ref();
                let tf = format!("{field}.tiers[{i}]");
                if i == 0 && tier.from_day != 1 {
                    return Err(err(s.span(), &format!("{tf}.from_day"), "the first tier starts on day 1".into()));
                }
                if tier.fen_per_day <= 0 {
                    return Err(err(s.span(), &format!("{tf}.fen_per_day"), "the daily rate must be positive".into()));
                }
                if let Some(prev) = tiers.last() {
                    if tier.from_day <= prev.from_day {
                        return Err(err(s.span(), &format!("{tf}.from_day"), format!("must come after day {}", prev.from_day)));
                    }
                    if tier.fen_per_day > prev.per_day.0 {
                        return Err(err(s.span(), &format!("{tf}.fen_per_day"), "the daily rate steps down as the stay grows: it may not rise".into()));
                    }
                }
                tiers.push(Tier { from_day: tier.from_day, per_day: Fen(tier.fen_per_day) });
            }
            if raw.ceiling_fen <= 0 {
                return Err(err(t.span(), &format!("{field}.ceiling_fen"), "must be positive".into()));
            }
            Ok(Tariff { tiers, ceiling: Fen(raw.ceiling_fen) })
        };
        let tariff_tertiary = tariff(&f.bed_day.tertiary, "tertiary")?;
        let tariff_secondary = tariff(&f.bed_day.secondary, "secondary")?;
        let tariff_primary = tariff(&f.bed_day.primary, "primary")?;
        for (o, name) in [(&f.outliers.drg, "outliers.drg"), (&f.outliers.bed_day, "outliers.bed_day")] {
            let r = o.get_ref();
            if !(r.high_multiple.is_finite() && r.high_multiple > 1.0) {
                return Err(err(o.span(), &format!("{name}.high_multiple"), "must be above 1".into()));
            }
            if !ratio_ok(r.high_pay_ratio) {
                return Err(err(o.span(), &format!("{name}.high_pay_ratio"), "must be between 0 and 1".into()));
            }
            if !(r.low_multiple.is_finite() && r.low_multiple > 0.0 && r.low_multiple < 1.0) {
                return Err(err(o.span(), &format!("{name}.low_multiple"), "must be between 0 and 1 (exclusive)".into()));
            }
        }
        let u = f.ungroupable.get_ref();
        if !ratio_ok(u.pay_ratio) {
            return Err(err(f.ungroupable.span(), "ungroupable.pay_ratio", "must be between 0 and 1".into()));
        }
        if f.readmission.get_ref().window_days == 0 {
            return Err(err(f.readmission.span(), "readmission.window_days", "must be at least 1".into()));
        }
        let share = |s: &Spanned<ShareRaw>, name: &str| -> Result<ShareRule, MedinsError> {
            let r = s.get_ref();
            for level in HospitalLevel::ALL {
                if r.deductible_fen.get(level) < 0 {
                    return Err(err(s.span(), &format!("patient_share.{name}.deductible_fen.{}", level.code()), "must not be negative".into()));
                }
                if !ratio_ok(r.coinsurance.get(level)) {
                    return Err(err(s.span(), &format!("patient_share.{name}.coinsurance.{}", level.code()), "must be between 0 and 1".into()));
                }
            }
            let d = r.deductible_fen;
            Ok(ShareRule { deductible: PerLevel { tertiary: Fen(d.tertiary), secondary: Fen(d.secondary), primary: Fen(d.primary) }, coinsurance: r.coinsurance })
        };
        let employee = share(&f.patient_share.employee, "employee")?;
        let resident = share(&f.patient_share.resident, "resident")?;
        let f_points = f.points.into_inner();
        let f_long = f.long_stay.into_inner();
        Ok(Scheme {
            source: f.source,
            points_per_weight: f_points.points_per_weight,
            fen_per_point: f_points.fen_per_point,
            long_stay_days: f_long.longer_than_days,
            families: f_long.families,
            tariff_tertiary,
            tariff_secondary,
            tariff_primary,
            drg_outliers: f.outliers.drg.into_inner(),
            bed_day_outliers: f.outliers.bed_day.into_inner(),
            ungroupable_pay_ratio: f.ungroupable.into_inner().pay_ratio,
            readmission: f.readmission.into_inner(),
            employee,
            resident,
            digest: data::digest_texts(&[text]),
        })
    }

    fn fallback() -> Scheme {
        let tariff = Tariff { tiers: vec![Tier { from_day: 1, per_day: Fen(1) }], ceiling: Fen(1) };
        let share = ShareRule {
            deductible: PerLevel { tertiary: Fen::ZERO, secondary: Fen::ZERO, primary: Fen::ZERO },
            coinsurance: PerLevel { tertiary: 0.0, secondary: 0.0, primary: 0.0 },
        };
        let outliers = OutlierRule { high_multiple: 3.0, high_pay_ratio: 0.0, low_multiple: 0.4 };
        Scheme {
            source: SchemeSource { title_zh: String::new(), based_on: String::new(), values: String::new() },
            points_per_weight: 100.0,
            fen_per_point: 10_000,
            long_stay_days: u32::MAX,
            families: Vec::new(),
            tariff_tertiary: tariff.clone(),
            tariff_secondary: tariff.clone(),
            tariff_primary: tariff,
            drg_outliers: outliers,
            bed_day_outliers: outliers,
            ungroupable_pay_ratio: 1.0,
            readmission: ReadmissionRule { window_days: 15, same_hospital: true, exempt: Vec::new() },
            employee: share,
            resident: share,
            digest: String::new(),
        }
    }

    /// Where the scheme comes from.
    pub fn source(&self) -> &SchemeSource {
        &self.source
    }

    /// The SHA-256 (hex) of the scheme's file; part of a settlement's digest.
    pub fn digest(&self) -> &str {
        &self.digest
    }

    /// DRG points per unit of relative weight (100 in CHS-DRG style).
    pub fn points_per_weight(&self) -> f64 {
        self.points_per_weight
    }

    /// Fen per point for converting money into points.
    pub fn fen_per_point(&self) -> i64 {
        self.fen_per_point
    }

    /// A long-stay chronic case stays longer than this many days.
    pub fn long_stay_days(&self) -> u32 {
        self.long_stay_days
    }

    /// The diagnosis families of long-stay chronic cases.
    pub fn long_stay_families(&self) -> &[LongStayFamily] {
        &self.families
    }

    /// The per-diem tariff of a level.
    pub fn tariff(&self, level: HospitalLevel) -> &Tariff {
        match level {
            HospitalLevel::Tertiary => &self.tariff_tertiary,
            HospitalLevel::Secondary => &self.tariff_secondary,
            HospitalLevel::Primary => &self.tariff_primary,
        }
    }

    /// The very-high and very-low cost rule of DRG cases.
    pub fn drg_outliers(&self) -> OutlierRule {
        self.drg_outliers
    }

    /// The very-high and very-low cost rule of bed-day cases.
    pub fn bed_day_outliers(&self) -> OutlierRule {
        self.bed_day_outliers
    }

    /// The share of an ungroupable case's cost converted to points.
    pub fn ungroupable_pay_ratio(&self) -> f64 {
        self.ungroupable_pay_ratio
    }

    /// The re-admission rule.
    pub fn readmission(&self) -> &ReadmissionRule {
        &self.readmission
    }

    /// The patient-share rule of an insurance type.
    pub fn share_rule(&self, insurance: InsuranceType) -> &ShareRule {
        match insurance {
            InsuranceType::Employee => &self.employee,
            InsuranceType::Resident => &self.resident,
        }
    }

    /// The long-stay family of a principal diagnosis, if it is in one.
    pub fn long_stay_family(&self, principal_dx: &str) -> Option<&LongStayFamily> {
        self.families.iter().find(|f| principal_dx.starts_with(f.prefix.as_str()))
    }

    /// Whether an episode is a long-stay chronic case: its principal diagnosis is in a long-stay
    /// family and it stayed longer than the scheme's days. (Whether it is paid per bed-day also
    /// depends on its hospital's membership on the discharge date.)
    pub fn is_long_stay_chronic(&self, e: &Episode) -> bool {
        e.length_of_stay() > self.long_stay_days && self.long_stay_family(&e.principal_dx).is_some()
    }

    /// The bed-day standard of a stay of `days` days at a hospital of `level`: each day of the
    /// stay at the rate of the tier it falls in, the sum capped at the level's ceiling.
    pub fn bed_day_standard(&self, level: HospitalLevel, days: u32) -> BedDayStandard {
        let t = self.tariff(level);
        let mut lines = Vec::new();
        let mut total = Fen::ZERO;
        for (i, tier) in t.tiers.iter().enumerate() {
            if days < tier.from_day {
                break;
            }
            let next = t.tiers.get(i + 1).map_or(u32::MAX, |n| n.from_day);
            let to_day = days.min(next.saturating_sub(1));
            let n = to_day - tier.from_day + 1;
            let amount = Fen(tier.per_day.0.saturating_mul(i64::from(n)));
            total += amount;
            lines.push(BedDayLine { from_day: tier.from_day, to_day, days: n, per_day: tier.per_day, amount });
        }
        let capped = total > t.ceiling;
        BedDayStandard { days, lines, uncapped: total, amount: if capped { t.ceiling } else { total }, capped }
    }

    /// What the patient pays of a case costing `cost` (the deductible, then co-insurance on the
    /// rest, rounded to the fen; never more than the cost).
    pub fn patient_share(&self, insurance: InsuranceType, level: HospitalLevel, cost: Fen) -> Fen {
        if cost.0 <= 0 {
            return Fen::ZERO;
        }
        let rule = self.share_rule(insurance);
        let deductible = rule.deductible.get(level).0.clamp(0, cost.0);
        let rest = cost.0 - deductible;
        let co = (rest as f64 * rule.coinsurance.get(level)).round() as i64;
        Fen(deductible.saturating_add(co.clamp(0, rest)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_scheme_loads() {
        let s = Scheme::from_toml(EMBEDDED_SCHEME).expect("the shipped scheme is valid");
        assert_eq!(s.readmission().window_days, 15);
        assert_eq!(s.long_stay_days(), 60);
        assert_eq!(s.fen_per_point(), 10_000);
        assert!(s.source().values.contains("not official"));
        assert_eq!(s.digest().len(), 64);
        assert_eq!(Scheme::embedded(), s);
    }

    #[test]
    fn patient_share_is_deductible_then_coinsurance() {
        let s = Scheme::embedded();
        // Employee at a secondary hospital: 600 yuan, then 12% of the rest.
        assert_eq!(s.patient_share(InsuranceType::Employee, HospitalLevel::Secondary, Fen(1_000_000)), Fen(60_000 + 112_800));
        // Resident at a tertiary hospital, below the deductible: all of it.
        assert_eq!(s.patient_share(InsuranceType::Resident, HospitalLevel::Tertiary, Fen(50_000)), Fen(50_000));
        assert_eq!(s.patient_share(InsuranceType::Resident, HospitalLevel::Tertiary, Fen(0)), Fen(0));
    }
}
