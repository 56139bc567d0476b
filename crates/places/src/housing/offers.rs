//! Homes and offers (配租): units and their states, who is next in line for a vacant unit, the
//! offer with its deadline, acceptance (which makes the lease), refusal and expiry (each counted;
//! one more than the rules allow bars the household for the rules' months).

use chrono::Days;
use chrono::Months;
use chrono::NaiveDate;
use domain::AccountId;
use domain::Fen;
use serde::Deserialize;
use serde::Serialize;

use crate::housing::LeaseId;
use crate::housing::OfferId;
use crate::housing::UnitId;
use crate::housing::eligibility::eligibility;
use crate::housing::error::HousingError;
use crate::housing::household::Area;
use crate::housing::household::Household;
use crate::housing::lease::Lease;
use crate::housing::lease::LeaseState;
use crate::housing::lease::rent_for;
use crate::housing::rules::HousingRules;

/// A unit's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "status")]
pub enum UnitStatus {
    /// Free to offer.
    Vacant,
    /// Offered, waiting for the answer.
    Offered {
        /// The open offer.
        offer: OfferId,
    },
    /// Let under a lease.
    Let {
        /// The lease.
        lease: LeaseId,
    },
    /// Being repaired; not offered.
    UnderRepair,
}

impl UnitStatus {
    /// The state's code.
    pub fn code(&self) -> &'static str {
        match self {
            UnitStatus::Vacant => "vacant",
            UnitStatus::Offered { .. } => "offered",
            UnitStatus::Let { .. } => "let",
            UnitStatus::UnderRepair => "under_repair",
        }
    }
}

/// A public rental home.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unit {
    /// The unit's id.
    pub id: UnitId,
    /// The estate (小区).
    pub estate: String,
    /// The building (幢).
    pub building: String,
    /// The unit's number (室).
    pub number: String,
    /// Floor area.
    pub floor_area: Area,
    /// Rooms (居室).
    pub rooms: u8,
    /// Market rent per month (同地段同类住房市场租金).
    pub market_rent: Fen,
    /// Its state.
    pub status: UnitStatus,
}

impl Unit {
    /// A vacant unit, its values checked.
    pub fn new(id: UnitId, estate: &str, building: &str, number: &str, floor_area: Area, rooms: u8, market_rent: Fen) -> Result<Unit, HousingError> {
        for (field, v) in [("estate", estate), ("building", building), ("number", number)] {
            if v.trim().is_empty() {
                return Err(HousingError::invalid(field, "不能为空", "must not be empty"));
            }
        }
        if floor_area.0 <= 0 || floor_area.0 > 50_000 {
            return Err(HousingError::invalid("floor_area", "建筑面积应在 0–500 平方米之间", "the floor area is between 0 and 500 m²"));
        }
        if !(1..=10).contains(&rooms) {
            return Err(HousingError::invalid("rooms", "居室数应为 1–10", "rooms are 1 to 10"));
        }
        if market_rent.0 <= 0 {
            return Err(HousingError::invalid("market_rent", "市场租金应大于 0", "the market rent must be positive"));
        }
        Ok(Unit {
            id,
            estate: estate.trim().to_owned(),
            building: building.trim().to_owned(),
            number: number.trim().to_owned(),
            floor_area,
            rooms,
            market_rent,
            status: UnitStatus::Vacant,
        })
    }

    /// Takes a vacant unit out for repair.
    pub fn start_repair(&mut self) -> Result<(), HousingError> {
        if self.status != UnitStatus::Vacant {
            return Err(HousingError::WrongState { action: "start_repair", state: self.status.code() });
        }
        self.status = UnitStatus::UnderRepair;
        Ok(())
    }

    /// Puts a repaired unit back as vacant.
    pub fn finish_repair(&mut self) -> Result<(), HousingError> {
        if self.status != UnitStatus::UnderRepair {
            return Err(HousingError::WrongState { action: "finish_repair", state: self.status.code() });
        }
        self.status = UnitStatus::Vacant;
        Ok(())
    }
}

/// A household's record of refusals and bars.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Standing {
    /// The applicant.
    pub applicant: AccountId,
    /// Refusals (expiries included) since the last bar.
    pub refusals: u32,
    /// Barred from offers before this day.
    pub barred_until: Option<NaiveDate>,
}

impl Standing {
    /// A clean record.
    pub fn new(applicant: AccountId) -> Standing {
        Standing { applicant, refusals: 0, barred_until: None }
    }

    /// Whether the household is barred on `today`.
    pub fn barred_on(&self, today: NaiveDate) -> bool {
        self.barred_until.is_some_and(|d| today < d)
    }

    /// Counts one refusal on `today`; one more than allowed bars the household and starts the count again.
    fn count_refusal(&mut self, rules: &HousingRules, today: NaiveDate) {
        self.refusals += 1;
        if self.refusals > rules.offers.refusals_allowed {
            self.barred_until = Some(today.checked_add_months(Months::new(rules.offers.bar_months)).unwrap_or(NaiveDate::MAX));
            self.refusals = 0;
        }
    }
}

/// How an offer ended, or that it is open.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "state")]
pub enum OfferState {
    /// Waiting for the household's answer.
    Open,
    /// Accepted: a lease was made.
    Accepted {
        /// The day.
        on: NaiveDate,
        /// The lease.
        lease: LeaseId,
    },
    /// Refused by the household.
    Refused {
        /// The day.
        on: NaiveDate,
        /// The reason, if given.
        reason: Option<String>,
    },
    /// Not answered by the deadline (counts as a refusal).
    Expired {
        /// The day it was marked.
        on: NaiveDate,
    },
}

impl OfferState {
    /// The state's code.
    pub fn code(&self) -> &'static str {
        match self {
            OfferState::Open => "open",
            OfferState::Accepted { .. } => "accepted",
            OfferState::Refused { .. } => "refused",
            OfferState::Expired { .. } => "expired",
        }
    }
}

/// An offer of a unit to a household.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Offer {
    /// The offer's id.
    pub id: OfferId,
    /// The unit.
    pub unit: UnitId,
    /// The household's applicant.
    pub applicant: AccountId,
    /// The day it was made.
    pub made_on: NaiveDate,
    /// The last day to answer.
    pub deadline: NaiveDate,
    /// Its state.
    pub state: OfferState,
}

/// The first household in `order` (waiting-list or lottery order) that a vacant unit fits on
/// `today`: its size fits the unit's rooms, it is not barred and not already in public housing.
/// Eligibility is checked when the offer is made ([`make_offer`]).
pub fn next_in_line(rules: &HousingRules, unit: &Unit, order: &[AccountId], households: &[Household], standings: &[Standing], today: NaiveDate) -> Option<AccountId> {
    order.iter().copied().find(|a| {
        let Some(h) = households.iter().find(|h| h.applicant == *a) else { return false };
        let barred = standings.iter().any(|s| s.applicant == *a && s.barred_on(today));
        rules.fits(unit.rooms, h.size()) && !barred && !h.facts.in_public_housing
    })
}

fn check_unit_is(unit: &Unit, offer: &Offer, action: &'static str) -> Result<(), HousingError> {
    if unit.id != offer.unit || unit.status != (UnitStatus::Offered { offer: offer.id }) {
        return Err(HousingError::WrongState { action, state: unit.status.code() });
    }
    Ok(())
}

/// Offers a vacant unit to a household on `today`. The facts are re-checked now: a household no
/// longer eligible gets [`HousingError::NotEligible`] and nothing changes.
pub fn make_offer(rules: &HousingRules, unit: &mut Unit, household: &Household, standing: &Standing, id: OfferId, today: NaiveDate) -> Result<Offer, HousingError> {
    if standing.applicant != household.applicant {
        return Err(HousingError::invalid("standing", "记录不属于该申请人", "the standing is another applicant's"));
    }
    if unit.status != UnitStatus::Vacant {
        return Err(HousingError::WrongState { action: "offer", state: unit.status.code() });
    }
    eligibility(rules, household, today)?.require()?;
    if household.facts.in_public_housing {
        return Err(HousingError::WrongState { action: "offer", state: "in_public_housing" });
    }
    if !rules.fits(unit.rooms, household.size()) {
        return Err(HousingError::UnitDoesNotFit { rooms: unit.rooms, members: household.size() });
    }
    if let Some(until) = standing.barred_until.filter(|_| standing.barred_on(today)) {
        return Err(HousingError::Barred { applicant: household.applicant.0, until });
    }
    let deadline = today.checked_add_days(Days::new(u64::from(rules.offers.deadline_days))).unwrap_or(NaiveDate::MAX);
    unit.status = UnitStatus::Offered { offer: id };
    Ok(Offer { id, unit: unit.id, applicant: household.applicant, made_on: today, deadline, state: OfferState::Open })
}

/// Offers a vacant unit to the next household in `order` that fits it ([`next_in_line`]), its facts
/// re-checked now ([`make_offer`]): a household no longer eligible gets
/// [`HousingError::NotEligible`] and nothing changes (the caller takes it off the list and asks again).
#[allow(clippy::too_many_arguments)]
pub fn offer_next(
    rules: &HousingRules,
    unit: &mut Unit,
    order: &[AccountId],
    households: &[Household],
    standings: &[Standing],
    id: OfferId,
    today: NaiveDate,
) -> Result<Offer, HousingError> {
    if unit.status != UnitStatus::Vacant {
        return Err(HousingError::WrongState { action: "offer", state: unit.status.code() });
    }
    let next = next_in_line(rules, unit, order, households, standings, today).ok_or(HousingError::NotFound { what: "household", id: "next_in_line".to_owned() })?;
    let household = households.iter().find(|h| h.applicant == next).ok_or(HousingError::NotFound { what: "household", id: next.to_string() })?;
    let fresh = Standing::new(next);
    let standing = standings.iter().find(|s| s.applicant == next).unwrap_or(&fresh);
    make_offer(rules, unit, household, standing, id, today)
}

/// The household accepts on `today`: a lease from `start` for the rules' term at the rent of the
/// household's band (facts re-checked now).
pub fn accept(
    rules: &HousingRules,
    offer: &mut Offer,
    unit: &mut Unit,
    household: &Household,
    lease: LeaseId,
    start: NaiveDate,
    today: NaiveDate,
) -> Result<Lease, HousingError> {
    if offer.state != OfferState::Open {
        return Err(HousingError::WrongState { action: "accept", state: offer.state.code() });
    }
    if household.applicant != offer.applicant {
        return Err(HousingError::NotAllowed { actor: household.applicant.0, action: "accept", why_zh: "配租对象不是该户", why_en: "the offer is to another household" });
    }
    check_unit_is(unit, offer, "accept")?;
    if today > offer.deadline {
        return Err(HousingError::OfferExpired { deadline: offer.deadline });
    }
    if start < today {
        return Err(HousingError::invalid("start", "起租日不能早于今天", "the lease cannot start before today"));
    }
    eligibility(rules, household, today)?.require()?;
    let rent = rent_for(rules, unit.market_rent, household)?;
    let end = start.checked_add_months(Months::new(rules.lease.term_years * 12)).and_then(|d| d.pred_opt()).unwrap_or(NaiveDate::MAX);
    let next = start.checked_add_months(Months::new(rules.lease.requalify_every_months)).unwrap_or(NaiveDate::MAX);
    let made = Lease {
        id: lease,
        unit: unit.id,
        applicant: household.applicant,
        start,
        end,
        market_rent: unit.market_rent,
        rent_band: rent.band,
        rent_percent: rent.percent,
        monthly_rent: rent.amount,
        next_requalification: next,
        state: LeaseState::Active,
    };
    unit.status = UnitStatus::Let { lease };
    offer.state = OfferState::Accepted { on: today, lease };
    Ok(made)
}

/// The household refuses on `today` (before the deadline), with or without a reason; the unit is
/// vacant again and the refusal counts.
pub fn refuse(rules: &HousingRules, offer: &mut Offer, unit: &mut Unit, standing: &mut Standing, reason: Option<&str>, today: NaiveDate) -> Result<(), HousingError> {
    if offer.state != OfferState::Open {
        return Err(HousingError::WrongState { action: "refuse", state: offer.state.code() });
    }
    if standing.applicant != offer.applicant {
        return Err(HousingError::invalid("standing", "记录不属于该申请人", "the standing is another applicant's"));
    }
    check_unit_is(unit, offer, "refuse")?;
    if today > offer.deadline {
        return Err(HousingError::OfferExpired { deadline: offer.deadline });
    }
    let reason = reason.map(str::trim).filter(|r| !r.is_empty());
    if reason.is_some_and(|r| r.chars().count() > 500) {
        return Err(HousingError::invalid("reason", "理由不超过 500 字", "a reason has at most 500 characters"));
    }
    standing.count_refusal(rules, today);
    unit.status = UnitStatus::Vacant;
    offer.state = OfferState::Refused { on: today, reason: reason.map(str::to_owned) };
    Ok(())
}

/// Marks an offer not answered by its deadline as expired (on a day after the deadline); it
/// counts as a refusal and the unit is vacant again.
pub fn expire(rules: &HousingRules, offer: &mut Offer, unit: &mut Unit, standing: &mut Standing, today: NaiveDate) -> Result<(), HousingError> {
    if offer.state != OfferState::Open {
        return Err(HousingError::WrongState { action: "expire", state: offer.state.code() });
    }
    if standing.applicant != offer.applicant {
        return Err(HousingError::invalid("standing", "记录不属于该申请人", "the standing is another applicant's"));
    }
    check_unit_is(unit, offer, "expire")?;
    if today <= offer.deadline {
        return Err(HousingError::OfferStillOpen { deadline: offer.deadline });
    }
    standing.count_refusal(rules, today);
    unit.status = UnitStatus::Vacant;
    offer.state = OfferState::Expired { on: today };
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::housing::household::tests::day;
    use crate::housing::household::tests::family;

    fn unit(rooms: u8) -> Result<Unit, HousingError> {
        Unit::new(UnitId(1), "丁桥公租房", "3幢", "1201", Area::from_m2(50), rooms, Fen::from_yuan(2400))
    }

    #[test]
    fn an_offer_accepted_makes_a_lease_at_the_band_rent() -> Result<(), HousingError> {
        let rules = HousingRules::embedded()?;
        let today = day(2026, 12, 7);
        let mut u = unit(2)?;
        let h = family(1);
        let st = Standing::new(h.applicant);
        let big = {
            let mut b = family(2);
            for k in 2..6 {
                b.members.push(crate::housing::household::Member { person: domain::PersonId(20 + k), birth_date: day(2000, 1, 1), disability_grade: None });
            }
            b
        };
        assert_eq!(next_in_line(&rules, &u, &[big.applicant, h.applicant], &[big.clone(), h.clone()], &[], today), Some(h.applicant));
        assert!(matches!(make_offer(&rules, &mut u, &big, &Standing::new(big.applicant), OfferId(1), today), Err(HousingError::UnitDoesNotFit { .. })));
        let mut offer = make_offer(&rules, &mut u, &h, &st, OfferId(1), today)?;
        assert_eq!(offer.deadline, day(2026, 12, 14));
        assert_eq!(u.status, UnitStatus::Offered { offer: OfferId(1) });
        assert!(matches!(make_offer(&rules, &mut u, &h, &st, OfferId(2), today), Err(HousingError::WrongState { .. })));
        let lease = accept(&rules, &mut offer, &mut u, &h, LeaseId(1), day(2027, 1, 1), day(2026, 12, 10))?;
        // 2,000 yuan a head is band b: 30 % of 2,400.
        assert_eq!(lease.monthly_rent, Fen::from_yuan(720));
        assert_eq!(lease.end, day(2029, 12, 31));
        assert_eq!(u.status, UnitStatus::Let { lease: LeaseId(1) });
        assert!(matches!(offer.state, OfferState::Accepted { .. }));
        Ok(())
    }

    #[test]
    fn a_household_no_longer_eligible_gets_no_offer_and_nothing_changes() -> Result<(), HousingError> {
        let rules = HousingRules::embedded()?;
        let mut u = unit(2)?;
        let mut h = family(1);
        h.facts.owns_home_elsewhere = true;
        let before = u.clone();
        let e = make_offer(&rules, &mut u, &h, &Standing::new(h.applicant), OfferId(1), day(2026, 12, 7));
        assert!(matches!(e, Err(HousingError::NotEligible { ref criteria, .. }) if criteria == "no_home_elsewhere"), "{e:?}");
        assert_eq!(u, before);
        Ok(())
    }

    #[test]
    fn refusals_beyond_the_allowance_bar_the_household_and_expiry_counts() -> Result<(), HousingError> {
        let rules = HousingRules::embedded()?;
        let h = family(1);
        let mut st = Standing::new(h.applicant);
        let mut u = unit(2)?;
        let today = day(2026, 12, 7);
        let mut o = make_offer(&rules, &mut u, &h, &st, OfferId(1), today)?;
        refuse(&rules, &mut o, &mut u, &mut st, Some("离工作单位太远"), today)?;
        assert!(matches!(&o.state, OfferState::Refused { reason: Some(r), .. } if r == "离工作单位太远"));
        assert_eq!(u.status, UnitStatus::Vacant);
        let mut o = make_offer(&rules, &mut u, &h, &st, OfferId(2), today)?;
        assert!(matches!(expire(&rules, &mut o, &mut u, &mut st, day(2026, 12, 14)), Err(HousingError::OfferStillOpen { .. })));
        assert!(matches!(refuse(&rules, &mut o, &mut u, &mut st, None, day(2026, 12, 15)), Err(HousingError::OfferExpired { .. })));
        expire(&rules, &mut o, &mut u, &mut st, day(2026, 12, 15))?;
        assert_eq!(st.refusals, 2);
        assert!(!st.barred_on(today));
        let mut o = make_offer(&rules, &mut u, &h, &st, OfferId(3), today)?;
        refuse(&rules, &mut o, &mut u, &mut st, None, today)?;
        assert_eq!(st.barred_until, Some(day(2027, 12, 7)));
        assert!(matches!(refuse(&rules, &mut o, &mut u, &mut st, None, today), Err(HousingError::WrongState { .. })));
        assert!(matches!(make_offer(&rules, &mut u, &h, &st, OfferId(4), day(2027, 6, 1)), Err(HousingError::Barred { .. })));
        assert_eq!(next_in_line(&rules, &u, &[h.applicant], std::slice::from_ref(&h), std::slice::from_ref(&st), day(2027, 6, 1)), None);
        assert!(make_offer(&rules, &mut u, &h, &st, OfferId(4), day(2027, 12, 7)).is_ok());
        Ok(())
    }

    #[test]
    fn the_next_fitting_household_gets_the_offer_and_records_round_trip_through_json() -> Result<(), HousingError> {
        let rules = HousingRules::embedded()?;
        let today = day(2026, 12, 7);
        let mut u = unit(1)?;
        let mut single = family(3);
        single.members.truncate(1);
        single.facts.housing_area = Area::from_m2(8);
        let mut gone = family(4);
        gone.members.truncate(1);
        gone.facts.income_per_head_month = Fen::from_yuan(8000);
        let mut three = family(1);
        three.members.push(crate::housing::household::Member { person: domain::PersonId(12), birth_date: day(2018, 3, 1), disability_grade: None });
        let households = [three, gone.clone(), single.clone()];
        let order = [AccountId(1), AccountId(4), AccountId(3)];
        // Household 1 (three people) does not fit one room; 4 is next and no longer eligible.
        let before = u.clone();
        assert!(matches!(offer_next(&rules, &mut u, &order, &households, &[], OfferId(1), today), Err(HousingError::NotEligible { applicant: 4, .. })));
        assert_eq!(u, before);
        let o = offer_next(&rules, &mut u, &[AccountId(1), AccountId(3)], &households, &[], OfferId(1), today)?;
        assert_eq!(o.applicant, AccountId(3));
        let json = serde_json::to_string(&(&u, &o)).map_err(|e| HousingError::invalid("json", "", e.to_string()))?;
        let back: (Unit, Offer) = serde_json::from_str(&json).map_err(|e| HousingError::invalid("json", "", e.to_string()))?;
        assert_eq!(back, (u.clone(), o));
        assert!(matches!(offer_next(&rules, &mut u, &order, &households, &[], OfferId(2), today), Err(HousingError::WrongState { .. })));
        Ok(())
    }

    #[test]
    fn units_are_checked_and_repaired_only_when_vacant() -> Result<(), HousingError> {
        assert!(Unit::new(UnitId(1), " ", "1", "1", Area::from_m2(40), 1, Fen::from_yuan(1000)).is_err());
        assert!(Unit::new(UnitId(1), "a", "1", "1", Area(0), 1, Fen::from_yuan(1000)).is_err());
        let mut u = unit(1)?;
        u.start_repair()?;
        assert!(u.start_repair().is_err());
        u.finish_repair()?;
        assert_eq!(u.status, UnitStatus::Vacant);
        Ok(())
    }
}
