//! Leases (租赁合同): the rent from the household's income band, annual re-qualification on new
//! facts (continue, rent adjusted to a new band, or not eligible: notice to leave within the
//! grace period) and move-out, which ends the lease and frees the unit.

use chrono::Days;
use chrono::Months;
use chrono::NaiveDate;
use domain::AccountId;
use domain::Fen;
use serde::Deserialize;
use serde::Serialize;

use crate::housing::LeaseId;
use crate::housing::UnitId;
use crate::housing::eligibility::Explanation;
use crate::housing::eligibility::eligibility;
use crate::housing::error::HousingError;
use crate::housing::household::Household;
use crate::housing::offers::Unit;
use crate::housing::offers::UnitStatus;
use crate::housing::rules::HousingRules;

/// A lease's state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "state")]
pub enum LeaseState {
    /// Running.
    Active,
    /// No longer qualified: must leave by a day.
    NoticeToLeave {
        /// The day the notice was given.
        given_on: NaiveDate,
        /// The last day to leave (the grace period's end).
        leave_by: NaiveDate,
        /// The criteria not met, comma-separated.
        criteria: String,
    },
    /// Ended by moving out.
    Ended {
        /// The day.
        on: NaiveDate,
    },
}

impl LeaseState {
    /// The state's code.
    pub fn code(&self) -> &'static str {
        match self {
            LeaseState::Active => "active",
            LeaseState::NoticeToLeave { .. } => "notice_to_leave",
            LeaseState::Ended { .. } => "ended",
        }
    }
}

/// A lease of a unit to a household.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lease {
    /// The lease's id.
    pub id: LeaseId,
    /// The unit.
    pub unit: UnitId,
    /// The household's applicant.
    pub applicant: AccountId,
    /// The first day.
    pub start: NaiveDate,
    /// The last day of the term.
    pub end: NaiveDate,
    /// The unit's market rent when the rent was set.
    pub market_rent: Fen,
    /// The income band's code.
    pub rent_band: String,
    /// The band's share of the market rent, in percent.
    pub rent_percent: u32,
    /// What the household pays per month.
    pub monthly_rent: Fen,
    /// When the household is next re-qualified.
    pub next_requalification: NaiveDate,
    /// Its state.
    pub state: LeaseState,
}

/// A rent as computed: band, percent and amount.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rent {
    /// The band's code.
    pub band: String,
    /// The share of the market rent, in percent.
    pub percent: u32,
    /// The monthly amount: market rent × percent / 100, rounded to the nearest fen (halves up).
    pub amount: Fen,
}

/// The rent a household pays for a unit of `market_rent` (低保/特困 take their band).
pub fn rent_for(rules: &HousingRules, market_rent: Fen, household: &Household) -> Result<Rent, HousingError> {
    let f = &household.facts;
    let band = rules
        .rent_band(f.income_per_head_month, f.dibao || f.tekun)
        .ok_or_else(|| HousingError::NotFound { what: "rent_band", id: f.income_per_head_month.to_yuan_string() })?;
    let amount = (i128::from(market_rent.0) * i128::from(band.rent_percent) + 50) / 100;
    Ok(Rent { band: band.code.clone(), percent: band.rent_percent, amount: Fen(i64::try_from(amount).unwrap_or(i64::MAX)) })
}

/// What a re-qualification decided.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "outcome")]
pub enum Outcome {
    /// Still qualified, same band: the lease continues.
    Continue,
    /// Still qualified in another band: the rent changes.
    RentAdjusted {
        /// The old rent.
        from: Fen,
        /// The new rent.
        to: Fen,
        /// The new band.
        band: String,
    },
    /// No longer qualified: notice to leave.
    NoticeToLeave {
        /// The last day to leave.
        leave_by: NaiveDate,
    },
}

/// A re-qualification's result with the eligibility explanation it rests on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Requalification {
    /// What was decided.
    pub outcome: Outcome,
    /// Why.
    pub explanation: Explanation,
}

/// Re-qualifies an active lease's household on `today` from new facts.
pub fn requalify(rules: &HousingRules, lease: &mut Lease, household: &Household, today: NaiveDate) -> Result<Requalification, HousingError> {
    if lease.state != LeaseState::Active {
        return Err(HousingError::WrongState { action: "requalify", state: lease.state.code() });
    }
    if household.applicant != lease.applicant {
        return Err(HousingError::invalid("household", "家庭不是该合同的承租人", "the household is not the lease's tenant"));
    }
    let explanation = eligibility(rules, household, today)?;
    let next = today.checked_add_months(Months::new(rules.lease.requalify_every_months)).unwrap_or(NaiveDate::MAX);
    if !explanation.eligible {
        let leave_by = today.checked_add_days(Days::new(u64::from(rules.lease.grace_days))).unwrap_or(NaiveDate::MAX);
        lease.state = LeaseState::NoticeToLeave { given_on: today, leave_by, criteria: explanation.failed() };
        return Ok(Requalification { outcome: Outcome::NoticeToLeave { leave_by }, explanation });
    }
    let rent = rent_for(rules, lease.market_rent, household)?;
    let outcome = if rent.amount == lease.monthly_rent && rent.band == lease.rent_band {
        Outcome::Continue
    } else {
        Outcome::RentAdjusted { from: lease.monthly_rent, to: rent.amount, band: rent.band.clone() }
    };
    lease.rent_band = rent.band;
    lease.rent_percent = rent.percent;
    lease.monthly_rent = rent.amount;
    lease.next_requalification = next;
    Ok(Requalification { outcome, explanation })
}

/// Renews an active lease for another term from the day after its end, on `today` within the
/// last `requalify_every_months` of the term; the household must still be eligible (facts checked
/// now) and the rent follows its band.
pub fn renew(rules: &HousingRules, lease: &mut Lease, household: &Household, today: NaiveDate) -> Result<Rent, HousingError> {
    if lease.state != LeaseState::Active {
        return Err(HousingError::WrongState { action: "renew", state: lease.state.code() });
    }
    if household.applicant != lease.applicant {
        return Err(HousingError::invalid("household", "家庭不是该合同的承租人", "the household is not the lease's tenant"));
    }
    let window = lease.end.checked_sub_months(Months::new(rules.lease.requalify_every_months)).unwrap_or(NaiveDate::MIN);
    if today <= window || today > lease.end {
        return Err(HousingError::invalid(
            "on",
            format!("续租应在 {window} 之后、合同到期日 {} 之前办理", lease.end),
            format!("a renewal is made after {window} and by the lease's end {}", lease.end),
        ));
    }
    eligibility(rules, household, today)?.require()?;
    let rent = rent_for(rules, lease.market_rent, household)?;
    let start = lease.end.succ_opt().unwrap_or(NaiveDate::MAX);
    lease.end = start.checked_add_months(Months::new(rules.lease.term_years * 12)).and_then(|d| d.pred_opt()).unwrap_or(NaiveDate::MAX);
    lease.rent_band = rent.band.clone();
    lease.rent_percent = rent.percent;
    lease.monthly_rent = rent.amount;
    lease.next_requalification = today.checked_add_months(Months::new(rules.lease.requalify_every_months)).unwrap_or(NaiveDate::MAX);
    Ok(rent)
}

/// The household moves out on `today`: the lease ends and the unit is vacant.
pub fn move_out(lease: &mut Lease, unit: &mut Unit, today: NaiveDate) -> Result<(), HousingError> {
    if matches!(lease.state, LeaseState::Ended { .. }) {
        return Err(HousingError::WrongState { action: "move_out", state: lease.state.code() });
    }
    if unit.id != lease.unit || unit.status != (UnitStatus::Let { lease: lease.id }) {
        return Err(HousingError::WrongState { action: "move_out", state: unit.status.code() });
    }
    if today < lease.start {
        return Err(HousingError::invalid("on", "退租日早于起租日", "the move-out is before the lease's start"));
    }
    lease.state = LeaseState::Ended { on: today };
    unit.status = UnitStatus::Vacant;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::housing::OfferId;
    use crate::housing::household::Area;
    use crate::housing::household::tests::day;
    use crate::housing::household::tests::family;
    use crate::housing::offers::Standing;
    use crate::housing::offers::accept;
    use crate::housing::offers::make_offer;

    fn let_unit(rules: &HousingRules, h: &Household) -> Result<(Lease, Unit), HousingError> {
        let mut u = Unit::new(UnitId(7), "丁桥公租房", "3幢", "1201", Area::from_m2(50), 2, Fen::from_yuan(2400))?;
        let today = day(2026, 12, 7);
        let mut o = make_offer(rules, &mut u, h, &Standing::new(h.applicant), OfferId(1), today)?;
        let l = accept(rules, &mut o, &mut u, h, LeaseId(9), today, today)?;
        Ok((l, u))
    }

    #[test]
    fn a_lease_is_renewed_near_its_end_while_eligible() -> Result<(), HousingError> {
        let rules = HousingRules::embedded()?;
        let mut h = family(1);
        let (mut lease, _unit) = let_unit(&rules, &h)?;
        assert_eq!(lease.end, day(2029, 12, 6));
        assert!(matches!(renew(&rules, &mut lease, &h, day(2028, 12, 6)), Err(HousingError::Invalid { .. })));
        h.facts.owns_home_elsewhere = true;
        let before = lease.clone();
        assert!(matches!(renew(&rules, &mut lease, &h, day(2029, 6, 1)), Err(HousingError::NotEligible { .. })));
        assert_eq!(lease, before);
        h.facts.owns_home_elsewhere = false;
        renew(&rules, &mut lease, &h, day(2029, 6, 1))?;
        assert_eq!(lease.end, day(2032, 12, 6));
        Ok(())
    }

    #[test]
    fn requalification_continues_adjusts_or_gives_notice() -> Result<(), HousingError> {
        let rules = HousingRules::embedded()?;
        let mut h = family(1);
        let (mut lease, mut unit) = let_unit(&rules, &h)?;
        let later = day(2027, 12, 1);
        assert_eq!(requalify(&rules, &mut lease, &h, later)?.outcome, Outcome::Continue);
        assert_eq!(lease.next_requalification, day(2028, 12, 1));
        h.facts.dibao = true;
        let r = requalify(&rules, &mut lease, &h, later)?;
        assert_eq!(r.outcome, Outcome::RentAdjusted { from: Fen::from_yuan(720), to: Fen::from_yuan(240), band: "a".into() });
        assert_eq!(lease.monthly_rent, Fen::from_yuan(240));
        h.facts.income_per_head_month = Fen::from_yuan(6000);
        h.facts.dibao = false;
        let r = requalify(&rules, &mut lease, &h, later)?;
        assert_eq!(r.outcome, Outcome::NoticeToLeave { leave_by: day(2028, 2, 29) });
        assert!(matches!(&lease.state, LeaseState::NoticeToLeave { criteria, .. } if criteria == "income"));
        assert!(matches!(requalify(&rules, &mut lease, &h, later), Err(HousingError::WrongState { .. })));
        assert!(matches!(renew(&rules, &mut lease, &h, day(2029, 6, 1)), Err(HousingError::WrongState { .. })));
        move_out(&mut lease, &mut unit, day(2028, 2, 1))?;
        assert_eq!(unit.status, UnitStatus::Vacant);
        assert!(matches!(move_out(&mut lease, &mut unit, day(2028, 2, 1)), Err(HousingError::WrongState { .. })));
        Ok(())
    }
}
