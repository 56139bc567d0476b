//! The rent subsidy (住房租赁补贴) for qualified households not in public housing: (standard area
//! per head × members − current area) × the band's yuan per m² per month, capped, with its
//! breakdown. The server pays it through the welfare payout runs.

use domain::AccountId;
use domain::Fen;
use domain::Month;
use serde::Deserialize;
use serde::Serialize;

use crate::housing::eligibility::eligibility;
use crate::housing::error::HousingError;
use crate::housing::household::Area;
use crate::housing::household::Household;
use crate::housing::rules::HousingRules;

/// One month's subsidy for one household, with how it was computed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubsidyLine {
    /// The applicant (paid to).
    pub applicant: AccountId,
    /// The month paid for (decided on its first day).
    pub month: Month,
    /// Household members.
    pub members: u32,
    /// The standard area per head.
    pub standard_area_per_head: Area,
    /// Standard area per head × members.
    pub standard_area: Area,
    /// The housing area the household has now.
    pub current_area: Area,
    /// Standard area − current area, at least 0.
    pub shortfall: Area,
    /// The income band's code.
    pub band: String,
    /// Yuan per m² per month of the band.
    pub per_m2_month: Fen,
    /// Shortfall × rate, rounded to the nearest fen (halves up).
    pub uncapped: Fen,
    /// The monthly cap.
    pub cap: Fen,
    /// What is paid: the smaller of `uncapped` and `cap`.
    pub amount: Fen,
    /// The computation in Chinese.
    pub zh: String,
    /// The computation in English.
    pub en: String,
}

/// The subsidy for `month`: the household must be eligible on the month's first day and not in
/// public housing.
pub fn monthly_subsidy(rules: &HousingRules, household: &Household, month: Month) -> Result<SubsidyLine, HousingError> {
    if !month.is_valid() {
        return Err(HousingError::invalid("month", "月份无效", "not a valid month"));
    }
    let on = month.first_day();
    eligibility(rules, household, on)?.require()?;
    if household.facts.in_public_housing {
        return Err(HousingError::WrongState { action: "rent_subsidy", state: "in_public_housing" });
    }
    let s = &rules.subsidy;
    let f = &household.facts;
    let band = rules.subsidy_band(f.income_per_head_month).ok_or_else(|| HousingError::NotFound { what: "subsidy_band", id: f.income_per_head_month.to_yuan_string() })?;
    let members = u32::try_from(household.size()).unwrap_or(u32::MAX);
    let standard_area = Area(s.standard_area_per_head.0.saturating_mul(i64::from(members)));
    let shortfall = Area((standard_area.0 - f.housing_area.0).max(0));
    let uncapped = Fen(i64::try_from((i128::from(shortfall.0) * i128::from(band.per_m2_month.0) + 50) / 100).unwrap_or(i64::MAX));
    let amount = uncapped.min(s.cap);
    let (y, c, r, a) = (uncapped.to_yuan_string(), s.cap.to_yuan_string(), band.per_m2_month.to_yuan_string(), amount.to_yuan_string());
    let zh = format!(
        "（{} 平方米 × {members} 人 − 现住 {} 平方米）= {} 平方米 × {r} 元/平方米·月 = {y} 元，上限 {c} 元，发放 {a} 元",
        s.standard_area_per_head, f.housing_area, shortfall
    );
    let en = format!(
        "({} m² × {members} − {} m² now) = {} m² × {r} yuan per m² a month = {y} yuan, capped at {c}: {a} yuan",
        s.standard_area_per_head, f.housing_area, shortfall
    );
    Ok(SubsidyLine {
        applicant: household.applicant,
        month,
        members,
        standard_area_per_head: s.standard_area_per_head,
        standard_area,
        current_area: f.housing_area,
        shortfall,
        band: band.code.clone(),
        per_m2_month: band.per_m2_month,
        uncapped,
        cap: s.cap,
        amount,
        zh,
        en,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::housing::household::tests::family;

    #[test]
    fn the_subsidy_is_the_shortfall_times_the_band_rate_capped() -> Result<(), HousingError> {
        let rules = HousingRules::embedded()?;
        let month = Month::new(2026, 12).map_err(|_| HousingError::invalid("month", "", ""))?;
        let mut h = family(1);
        h.facts.housing_area = Area(1250);
        // (15 × 2 − 12.5) = 17.5 m² × 30 yuan (band b) = 525 yuan.
        let line = monthly_subsidy(&rules, &h, month)?;
        assert_eq!((line.shortfall, line.band.as_str(), line.amount), (Area(1750), "b", Fen::from_yuan(525)));
        assert!(line.zh.contains("525.00"), "{}", line.zh);
        h.facts.income_per_head_month = Fen::from_yuan(1000);
        h.facts.housing_area = Area(0);
        for _ in 0..4 {
            h.members.push(crate::housing::household::Member { person: domain::PersonId(h.members.len() as i64 + 100), birth_date: h.members[1].birth_date, disability_grade: None });
        }
        // 90 m² × 40 = 3,600: capped at 1,800.
        let line = monthly_subsidy(&rules, &h, month)?;
        assert_eq!((line.uncapped, line.amount), (Fen::from_yuan(3600), Fen::from_yuan(1800)));
        h.facts.in_public_housing = true;
        assert!(matches!(monthly_subsidy(&rules, &h, month), Err(HousingError::WrongState { .. })));
        h.facts.in_public_housing = false;
        h.facts.assets = Fen::from_yuan(1_000_000);
        assert!(matches!(monthly_subsidy(&rules, &h, month), Err(HousingError::NotEligible { .. })));
        Ok(())
    }
}
