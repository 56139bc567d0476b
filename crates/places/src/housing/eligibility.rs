//! Eligibility for public rental housing from register facts: each criterion with the fact's value,
//! the threshold, whether it is met and a Chinese and an English sentence, and the verdict.

use chrono::NaiveDate;
use domain::AccountId;
use serde::Deserialize;
use serde::Serialize;

use crate::housing::error::HousingError;
use crate::housing::household::Area;
use crate::housing::household::Household;
use crate::housing::rules::HousingRules;

/// One criterion as decided for one household.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Criterion {
    /// Stable code: `income`, `assets`, `area_per_head`, `no_home_elsewhere`, `residence`.
    pub code: String,
    /// The fact's value as shown (e.g. `2000.00 元`).
    pub value: String,
    /// The threshold as shown (e.g. `≤ 4300.00 元`).
    pub threshold: String,
    /// Met or not.
    pub met: bool,
    /// The sentence in Chinese.
    pub zh: String,
    /// The sentence in English.
    pub en: String,
    /// Where the kind of rule comes from.
    pub source: String,
}

/// Why a household is or is not eligible.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Explanation {
    /// The applicant.
    pub applicant: AccountId,
    /// The day it was decided on.
    pub on: NaiveDate,
    /// Every criterion, in order.
    pub criteria: Vec<Criterion>,
    /// The verdict: every criterion met.
    pub eligible: bool,
    /// The verdict in Chinese.
    pub verdict_zh: String,
    /// The verdict in English.
    pub verdict_en: String,
}

impl Explanation {
    /// The codes of the criteria not met, comma-separated.
    pub fn failed(&self) -> String {
        self.criteria.iter().filter(|c| !c.met).map(|c| c.code.as_str()).collect::<Vec<_>>().join(",")
    }

    /// `Ok` when eligible, else [`HousingError::NotEligible`] naming the criteria not met.
    pub fn require(&self) -> Result<(), HousingError> {
        if self.eligible { Ok(()) } else { Err(HousingError::NotEligible { applicant: self.applicant.0, criteria: self.failed() }) }
    }
}

fn yes_no(b: bool) -> (&'static str, &'static str) {
    if b { ("是", "yes") } else { ("否", "no") }
}

fn met_words(met: bool) -> (&'static str, &'static str) {
    if met { ("符合", "met") } else { ("不符合", "not met") }
}

/// The codes of the criteria, in the order of [`Explanation::criteria`].
pub const CRITERIA: [&str; 5] = ["income", "assets", "area_per_head", "no_home_elsewhere", "residence"];

/// Whether each criterion of [`CRITERIA`] is met (no validation, no text): the one place the
/// decisions are made, shared by [`eligibility`] and [`is_eligible`].
fn decide(rules: &HousingRules, household: &Household) -> [bool; 5] {
    let r = &rules.eligibility;
    let f = &household.facts;
    let n = i64::try_from(household.size()).unwrap_or(i64::MAX);
    [
        f.income_per_head_month <= r.income_per_head_month_max,
        f.assets <= r.assets_max,
        // Per head below the maximum, exactly: area < max × members.
        f.housing_area.0 < r.area_per_head_max.0.saturating_mul(n),
        !f.owns_home_elsewhere,
        f.registered_in_district || f.social_insurance_months_in_district >= r.social_insurance_months_min,
    ]
}

/// The verdict alone, without the explanation's text (for large draws); the household is validated.
pub fn is_eligible(rules: &HousingRules, household: &Household, today: NaiveDate) -> Result<bool, HousingError> {
    household.validate(today)?;
    Ok(decide(rules, household).iter().all(|m| *m))
}

/// Decides eligibility on `today` from the household's facts (validated first).
pub fn eligibility(rules: &HousingRules, household: &Household, today: NaiveDate) -> Result<Explanation, HousingError> {
    household.validate(today)?;
    let r = &rules.eligibility;
    let f = &household.facts;
    let n = i64::try_from(household.size()).unwrap_or(i64::MAX);
    let decided = decide(rules, household);
    let mut criteria = Vec::with_capacity(5);

    let met = decided[0];
    let (v, t) = (f.income_per_head_month.to_yuan_string(), r.income_per_head_month_max.to_yuan_string());
    let (mz, me) = met_words(met);
    criteria.push(Criterion {
        code: "income".into(),
        value: format!("{v} 元"),
        threshold: format!("≤ {t} 元"),
        met,
        zh: format!("家庭月人均收入 {v} 元，上限 {t} 元：{mz}"),
        en: format!("monthly income per head {v} yuan, at most {t} yuan: {me}"),
        source: r.income_source.clone(),
    });

    let met = decided[1];
    let (v, t) = (f.assets.to_yuan_string(), r.assets_max.to_yuan_string());
    let (mz, me) = met_words(met);
    criteria.push(Criterion {
        code: "assets".into(),
        value: format!("{v} 元"),
        threshold: format!("≤ {t} 元"),
        met,
        zh: format!("家庭总资产 {v} 元，上限 {t} 元：{mz}"),
        en: format!("total household assets {v} yuan, at most {t} yuan: {me}"),
        source: r.assets_source.clone(),
    });

    let met = decided[2];
    let per_head = Area((f.housing_area.0 * 2 + n) / (2 * n.max(1)));
    let (mz, me) = met_words(met);
    criteria.push(Criterion {
        code: "area_per_head".into(),
        value: format!("{per_head} m²"),
        threshold: format!("< {} m²", r.area_per_head_max),
        met,
        zh: format!("现住房人均建筑面积 {per_head} 平方米（{} 平方米 / {n} 人），应低于 {} 平方米：{mz}", f.housing_area, r.area_per_head_max),
        en: format!("housing area per head {per_head} m² ({} m² / {n}), below {} m²: {me}", f.housing_area, r.area_per_head_max),
        source: r.area_source.clone(),
    });

    let met = decided[3];
    let (yz, ye) = yes_no(f.owns_home_elsewhere);
    let (mz, me) = met_words(met);
    criteria.push(Criterion {
        code: "no_home_elsewhere".into(),
        value: yz.into(),
        threshold: "否".into(),
        met,
        zh: format!("家庭成员名下有其他住房：{yz}，{mz}"),
        en: format!("a member owns housing elsewhere: {ye}, {me}"),
        source: r.no_home_elsewhere_source.clone(),
    });

    let months = f.social_insurance_months_in_district;
    let met = decided[4];
    let (rz, re) = yes_no(f.registered_in_district);
    let (mz, me) = met_words(met);
    criteria.push(Criterion {
        code: "residence".into(),
        value: format!("本区户籍：{rz}；本区社保 {months} 个月"),
        threshold: format!("本区户籍，或本区社保 ≥ {} 个月", r.social_insurance_months_min),
        met,
        zh: format!("本区户籍：{rz}；在本区缴纳社保 {months} 个月（新市民须满 {} 个月）：{mz}", r.social_insurance_months_min),
        en: format!("registered in the district: {re}; {months} months of social insurance here (new citizens need {}): {me}", r.social_insurance_months_min),
        source: r.residence_source.clone(),
    });

    let eligible = criteria.iter().all(|c| c.met);
    let (verdict_zh, verdict_en) = if eligible {
        ("符合公租房保障条件".to_owned(), "eligible for public rental housing".to_owned())
    } else {
        let zh: Vec<&str> = criteria.iter().filter(|c| !c.met).map(|c| c.zh.as_str()).collect();
        let en: Vec<&str> = criteria.iter().filter(|c| !c.met).map(|c| c.en.as_str()).collect();
        (format!("不符合公租房保障条件：{}", zh.join("；")), format!("not eligible for public rental housing: {}", en.join("; ")))
    };
    Ok(Explanation { applicant: household.applicant, on: today, criteria, eligible, verdict_zh, verdict_en })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::housing::household::tests::day;
    use crate::housing::household::tests::family;
    use domain::Fen;

    #[test]
    fn each_criterion_shows_value_threshold_and_verdict() -> Result<(), HousingError> {
        let rules = HousingRules::embedded()?;
        let today = day(2026, 12, 7);
        let ok = eligibility(&rules, &family(1), today)?;
        assert!(ok.eligible, "{ok:?}");
        assert_eq!(ok.criteria.iter().map(|c| c.code.as_str()).collect::<Vec<_>>(), CRITERIA);
        assert!(is_eligible(&rules, &family(1), today)?);
        assert_eq!(ok.criteria[2].value, "10.00 m²");
        assert!(ok.require().is_ok());

        let mut rich = family(2);
        rich.facts.income_per_head_month = Fen::from_yuan(5000);
        rich.facts.registered_in_district = false;
        rich.facts.social_insurance_months_in_district = 6;
        let no = eligibility(&rules, &rich, today)?;
        assert!(!no.eligible);
        assert_eq!(no.failed(), "income,residence");
        assert!(no.verdict_zh.contains("5000.00") || no.verdict_zh.contains("5,000.00"), "{}", no.verdict_zh);
        assert!(matches!(no.require(), Err(HousingError::NotEligible { criteria, .. }) if criteria == "income,residence"));

        let mut new_citizen = family(3);
        new_citizen.facts.registered_in_district = false;
        new_citizen.facts.social_insurance_months_in_district = 12;
        assert!(eligibility(&rules, &new_citizen, today)?.eligible);
        let mut big = family(4);
        big.facts.housing_area = Area::from_m2(30);
        assert!(!eligibility(&rules, &big, today)?.eligible, "30 m² for two is 15 a head: not below 15");
        Ok(())
    }
}
