//! The waiting list by points (轮候排序): each household's points with the breakdown (criterion,
//! value, points) and the ranked list, ties broken by application time, then applicant id.

use chrono::DateTime;
use chrono::Datelike;
use chrono::NaiveDate;
use chrono::Utc;
use domain::AccountId;
use serde::Deserialize;
use serde::Serialize;

use crate::housing::eligibility::eligibility;
use crate::housing::error::HousingError;
use crate::housing::household::Household;
use crate::housing::household::check_unique;
use crate::housing::rules::HousingRules;

/// One line of a household's points.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PointsLine {
    /// The criterion's code: `members`, `months_waited` or a hardship's code.
    pub criterion: String,
    /// Chinese label.
    pub label_zh: String,
    /// English label.
    pub label_en: String,
    /// The value counted (members, months, or 1 for a hardship).
    pub value: u32,
    /// Points for it.
    pub points: u32,
}

/// A household's points with the breakdown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Points {
    /// The sum of the lines.
    pub total: u32,
    /// The lines.
    pub lines: Vec<PointsLine>,
}

/// Whole months from `from` to `to` (0 when `to` is earlier).
pub fn whole_months(from: NaiveDate, to: NaiveDate) -> u32 {
    let m = (i64::from(to.year()) - i64::from(from.year())) * 12 + i64::from(to.month()) - i64::from(from.month()) - i64::from(to.day() < from.day());
    u32::try_from(m.max(0)).unwrap_or(u32::MAX)
}

/// A household's points on `today` (validated first).
pub fn points(rules: &HousingRules, household: &Household, today: NaiveDate) -> Result<Points, HousingError> {
    household.validate(today)?;
    let p = &rules.points;
    let members = u32::try_from(household.size()).unwrap_or(u32::MAX);
    let months = whole_months(domain::china_date(household.applied_at), today).min(p.months_waited_cap);
    let mut lines = vec![
        PointsLine {
            criterion: "members".into(),
            label_zh: "家庭人口".into(),
            label_en: "household members".into(),
            value: members,
            points: members.saturating_mul(p.per_member),
        },
        PointsLine {
            criterion: "months_waited".into(),
            label_zh: format!("轮候月数（最多计 {} 个月）", p.months_waited_cap),
            label_en: format!("months waited (at most {} counted)", p.months_waited_cap),
            value: months,
            points: months.saturating_mul(p.per_month_waited),
        },
    ];
    for h in household.hardships(today) {
        let pts = rules.hardship_points(h);
        if pts > 0 {
            lines.push(PointsLine { criterion: h.code().into(), label_zh: h.label_zh().into(), label_en: h.label_en().into(), value: 1, points: pts });
        }
    }
    let total = lines.iter().fold(0u32, |a, l| a.saturating_add(l.points));
    Ok(Points { total, lines })
}

/// One household's place on the waiting list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ranked {
    /// 1-based rank.
    pub rank: u32,
    /// The applicant.
    pub applicant: AccountId,
    /// When they applied (the first tie-break).
    pub applied_at: DateTime<Utc>,
    /// Their points.
    pub points: Points,
}

/// The waiting list on a day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WaitingList {
    /// The day it was ranked on.
    pub on: NaiveDate,
    /// Eligible households, best first: points descending, then earlier application, then lower id.
    pub ranked: Vec<Ranked>,
    /// Applicants left off because they are not eligible on the day.
    pub not_eligible: Vec<AccountId>,
}

/// Ranks the households on `today`. Every household is validated and no person may be in two.
pub fn waiting_list(rules: &HousingRules, households: &[Household], today: NaiveDate) -> Result<WaitingList, HousingError> {
    check_unique(households)?;
    let mut ranked = Vec::with_capacity(households.len());
    let mut not_eligible = Vec::new();
    for h in households {
        if eligibility(rules, h, today)?.eligible {
            ranked.push(Ranked { rank: 0, applicant: h.applicant, applied_at: h.applied_at, points: points(rules, h, today)? });
        } else {
            not_eligible.push(h.applicant);
        }
    }
    ranked.sort_by(|a, b| b.points.total.cmp(&a.points.total).then(a.applied_at.cmp(&b.applied_at)).then(a.applicant.cmp(&b.applicant)));
    for (i, r) in ranked.iter_mut().enumerate() {
        r.rank = u32::try_from(i + 1).unwrap_or(u32::MAX);
    }
    not_eligible.sort();
    Ok(WaitingList { on: today, ranked, not_eligible })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::housing::household::tests::day;
    use crate::housing::household::tests::family;
    use domain::Fen;

    #[test]
    fn points_have_a_breakdown_and_ties_go_to_the_earlier_application() -> Result<(), HousingError> {
        let rules = HousingRules::embedded()?;
        let today = day(2026, 12, 7);
        let a = family(1);
        let p = points(&rules, &a, today)?;
        // 2 members × 10, 22 months × 1 (15 Jan 2025 → 7 Dec 2026), single parent 15.
        assert_eq!(p.total, 20 + 22 + 15, "{p:?}");
        assert_eq!(p.lines.iter().map(|l| l.criterion.as_str()).collect::<Vec<_>>(), ["members", "months_waited", "single_parent"]);

        let mut b = family(2);
        b.applied_at = domain::china_start_of_day(day(2025, 1, 20));
        let mut c = family(3);
        c.applied_at = a.applied_at;
        let mut rich = family(4);
        rich.facts.income_per_head_month = Fen::from_yuan(9000);
        let list = waiting_list(&rules, &[c.clone(), b, rich, a], today)?;
        let order: Vec<i64> = list.ranked.iter().map(|r| r.applicant.0).collect();
        // 1 and 3 tie on points and time: the lower id first; 2 applied 5 days later (same months).
        assert_eq!(order, [1, 3, 2]);
        assert_eq!(list.not_eligible, [AccountId(4)]);
        assert_eq!(list.ranked[2].rank, 3);
        assert_eq!(whole_months(day(2025, 1, 31), day(2025, 2, 28)), 0);
        assert_eq!(whole_months(day(2025, 1, 15), day(2026, 1, 15)), 12);
        let mut twice = c.clone();
        twice.applicant = AccountId(99);
        assert!(matches!(waiting_list(&rules, &[c, twice], today), Err(HousingError::ApplicantInTwoHouseholds { .. })));
        Ok(())
    }
}
