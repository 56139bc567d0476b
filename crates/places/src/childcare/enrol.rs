//! Places after allocation: an offer accepted becomes an enrolment (start date, class, monthly
//! fee), an offer declined gives the place back, a withdrawal with its last day frees the seat, and
//! the fee for a month is charged pro rata by the calendar days enrolled.

use std::collections::HashMap;

use chrono::Datelike;
use chrono::NaiveDate;
use domain::AccountId;
use domain::Fen;
use domain::Month;
use domain::PersonId;
use serde::Deserialize;
use serde::Serialize;

use super::allocate::Allocation;
use super::allocate::Assignment;
use super::allocate::SeatCount;
use super::application::Application;
use super::application::ChildcareApplicationId;
use super::error::ChildcareError;
use super::institution::Institution;
use super::institution::InstitutionId;
use super::rules::AgeClass;

/// Where a place stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PlaceState {
    /// Offered by an allocation run; the family has not answered.
    Offered,
    /// Accepted: the child is enrolled.
    Enrolled,
    /// The family declined the offer: the place is free again.
    Declined,
    /// The child left; the place is free after `last_day`.
    Withdrawn,
}

impl PlaceState {
    /// The stable code.
    pub fn code(self) -> &'static str {
        match self {
            PlaceState::Offered => "offered",
            PlaceState::Enrolled => "enrolled",
            PlaceState::Declined => "declined",
            PlaceState::Withdrawn => "withdrawn",
        }
    }
}

/// A childcare place offered to, or held by, a child.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Place {
    /// The application it answers.
    pub application: ChildcareApplicationId,
    /// The family.
    pub family: AccountId,
    /// The child.
    pub child: PersonId,
    /// The institution.
    pub institution: InstitutionId,
    /// The class.
    pub class: AgeClass,
    /// The monthly fee when offered (kept for the enrolment).
    pub monthly_fee: Fen,
    /// When it was offered.
    pub offered_on: NaiveDate,
    /// Its state.
    pub state: PlaceState,
    /// The first day enrolled, once accepted.
    pub start_date: Option<NaiveDate>,
    /// The last day enrolled, once withdrawn.
    pub last_day: Option<NaiveDate>,
}

impl Place {
    /// The offer an allocation run's assignment makes, with the institution's fee for the class.
    pub fn offer(application: &Application, assignment: &Assignment, institution: &Institution, today: NaiveDate) -> Result<Place, ChildcareError> {
        if institution.id != assignment.institution {
            return Err(ChildcareError::invalid("institution", "机构与录取结果不符", "not the institution of the assignment"));
        }
        let offer = institution
            .offer(assignment.class)
            .ok_or(ChildcareError::ClassNotOffered { field: "class".into(), id: institution.id.0, class: assignment.class.code() })?;
        Ok(Place {
            application: application.id,
            family: application.family,
            child: application.child,
            institution: institution.id,
            class: assignment.class,
            monthly_fee: offer.monthly_fee,
            offered_on: today,
            state: PlaceState::Offered,
            start_date: None,
            last_day: None,
        })
    }

    /// Accepts the offer: the child is enrolled from `start` (not before the offer).
    pub fn accept(&mut self, start: NaiveDate) -> Result<(), ChildcareError> {
        self.expect(PlaceState::Offered, "accept")?;
        if start < self.offered_on {
            return Err(ChildcareError::invalid("start_date", "入托日期不能早于录取日期", "must not be before the offer"));
        }
        self.state = PlaceState::Enrolled;
        self.start_date = Some(start);
        Ok(())
    }

    /// Declines the offer: the place returns to the institution.
    pub fn decline(&mut self) -> Result<(), ChildcareError> {
        self.expect(PlaceState::Offered, "decline")?;
        self.state = PlaceState::Declined;
        Ok(())
    }

    /// Withdraws an enrolled child; `last_day` is the last day enrolled (not before the start).
    pub fn withdraw(&mut self, last_day: NaiveDate) -> Result<(), ChildcareError> {
        self.expect(PlaceState::Enrolled, "withdraw")?;
        if self.start_date.is_some_and(|s| last_day < s) {
            return Err(ChildcareError::invalid("last_day", "退托日期不能早于入托日期", "must not be before the start date"));
        }
        self.state = PlaceState::Withdrawn;
        self.last_day = Some(last_day);
        Ok(())
    }

    /// Whether the place is held on `on`: enrolled (from any start), or withdrawn with its last
    /// day on or after `on`. An offer not yet accepted holds nothing: its application takes part
    /// in a re-run and keeps its place there (see `allocate`).
    pub fn holds_seat_on(&self, on: NaiveDate) -> bool {
        match self.state {
            PlaceState::Enrolled => true,
            PlaceState::Withdrawn => self.last_day.is_some_and(|d| d >= on),
            PlaceState::Offered | PlaceState::Declined => false,
        }
    }

    /// Days enrolled in `month`.
    pub fn days_in(&self, month: Month) -> u32 {
        let Some(start) = self.start_date else { return 0 };
        if !matches!(self.state, PlaceState::Enrolled | PlaceState::Withdrawn) {
            return 0;
        }
        let from = start.max(month.first_day());
        let to = match self.last_day {
            Some(l) => l.min(month.last_day()),
            None => month.last_day(),
        };
        if to < from { 0 } else { u32::try_from((to - from).num_days() + 1).unwrap_or(0) }
    }

    /// The fee for `month`: the monthly fee × days enrolled ÷ days in the month, in fen, rounded
    /// half up (a whole month is the whole fee; none enrolled is nothing).
    pub fn fee_for(&self, month: Month) -> Fen {
        let days = i128::from(self.days_in(month));
        let all = i128::from(month.last_day().day());
        let fee = i128::from(self.monthly_fee.0);
        let v = (2 * fee * days + all) / (2 * all);
        Fen(i64::try_from(v).unwrap_or(i64::MAX))
    }

    fn expect(&self, want: PlaceState, action: &'static str) -> Result<(), ChildcareError> {
        if self.state == want { Ok(()) } else { Err(ChildcareError::WrongState { action, state: self.state.code() }) }
    }
}

/// The offers an allocation run makes on `today`: one [`Place`] per application assigned, in the
/// run's order. Checks first that every assignment's application and institution are given.
pub fn offers(allocation: &Allocation, applications: &[Application], institutions: &[Institution], today: NaiveDate) -> Result<Vec<Place>, ChildcareError> {
    let apps: HashMap<ChildcareApplicationId, &Application> = applications.iter().map(|a| (a.id, a)).collect();
    let insts: HashMap<InstitutionId, &Institution> = institutions.iter().map(|i| (i.id, i)).collect();
    let mut out = Vec::new();
    for (i, o) in allocation.outcomes.iter().enumerate() {
        let Some(assignment) = &o.assigned else { continue };
        let a = apps.get(&o.application).ok_or_else(|| {
            ChildcareError::invalid(format!("outcomes[{i}].application"), "找不到该申请", "no such application among those given")
        })?;
        let inst = insts
            .get(&assignment.institution)
            .ok_or(ChildcareError::UnknownInstitution { field: format!("outcomes[{i}].assigned.institution"), id: assignment.institution.0 })?;
        out.push(Place::offer(a, assignment, inst, today).map_err(|e| e.within(&format!("outcomes[{i}]")))?);
    }
    Ok(out)
}

/// The seats held on `on`, per institution and class: the `taken` input of a re-run and the
/// `enrolled` input of the supply figures.
pub fn seats_held(places: &[Place], on: NaiveDate) -> Vec<SeatCount> {
    let mut out: Vec<SeatCount> = Vec::new();
    for p in places.iter().filter(|p| p.holds_seat_on(on)) {
        match out.iter_mut().find(|s| s.institution == p.institution && s.class == p.class) {
            Some(s) => s.count += 1,
            None => out.push(SeatCount { institution: p.institution, class: p.class, count: 1 }),
        }
    }
    out.sort_by_key(|s| (s.institution, s.class));
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::childcare::application::tests::app;
    use crate::childcare::institution::tests::d;
    use crate::childcare::institution::tests::sample;

    fn offered() -> Place {
        let a = app(1, &[1]);
        let inst = sample(1);
        Place::offer(&a, &Assignment { institution: inst.id, class: AgeClass::YoungToddler, preference: 1 }, &inst, d(2026, 8, 20)).unwrap()
    }

    #[test]
    fn accept_then_withdraw_and_the_seat_frees_after_the_last_day() {
        let mut p = offered();
        assert_eq!(p.monthly_fee, Fen(250_000));
        assert!(!p.holds_seat_on(d(2026, 9, 1)));
        assert_eq!(p.accept(d(2026, 8, 1)).unwrap_err().field().as_deref(), Some("start_date"));
        p.accept(d(2026, 9, 1)).unwrap();
        assert_eq!(p.accept(d(2026, 9, 1)).unwrap_err(), ChildcareError::WrongState { action: "accept", state: "enrolled" });
        assert_eq!(p.decline().unwrap_err(), ChildcareError::WrongState { action: "decline", state: "enrolled" });
        assert_eq!(seats_held(std::slice::from_ref(&p), d(2026, 9, 1)), [SeatCount { institution: InstitutionId(1), class: AgeClass::YoungToddler, count: 1 }]);
        let before = p.clone();
        assert!(p.withdraw(d(2026, 8, 31)).is_err());
        assert_eq!(p, before);
        p.withdraw(d(2026, 10, 15)).unwrap();
        assert!(p.holds_seat_on(d(2026, 10, 15)));
        assert!(!p.holds_seat_on(d(2026, 10, 16)));
        assert_eq!(p.withdraw(d(2026, 10, 20)).unwrap_err(), ChildcareError::WrongState { action: "withdraw", state: "withdrawn" });
    }

    #[test]
    fn a_declined_offer_holds_nothing_and_cannot_be_withdrawn() {
        let mut p = offered();
        p.decline().unwrap();
        assert_eq!(p.state, PlaceState::Declined);
        assert!(seats_held(&[p.clone()], d(2026, 9, 1)).is_empty());
        assert_eq!(p.withdraw(d(2026, 9, 1)).unwrap_err(), ChildcareError::WrongState { action: "withdraw", state: "declined" });
        let mut q = offered();
        assert_eq!(q.withdraw(d(2026, 9, 1)).unwrap_err(), ChildcareError::WrongState { action: "withdraw", state: "offered" });
    }

    #[test]
    fn fees_are_pro_rata_by_calendar_days_rounded_half_up() {
        let mut p = offered();
        p.monthly_fee = Fen(100_001);
        let sep = Month::new(2026, 9).unwrap();
        assert_eq!(p.fee_for(sep), Fen(0));
        p.accept(d(2026, 9, 16)).unwrap();
        // 15 of 30 days: 100,001 / 2 = 50,000.5 → 50,001.
        assert_eq!(p.days_in(sep), 15);
        assert_eq!(p.fee_for(sep), Fen(50_001));
        assert_eq!(p.fee_for(Month::new(2026, 10).unwrap()), Fen(100_001));
        assert_eq!(p.fee_for(Month::new(2026, 8).unwrap()), Fen(0));
        p.withdraw(d(2026, 11, 10)).unwrap();
        // 10 of 30 days: 33,333.67 → 33,334.
        assert_eq!(p.fee_for(Month::new(2026, 11).unwrap()), Fen(33_334));
        assert_eq!(p.fee_for(Month::new(2026, 12).unwrap()), Fen(0));
        // February 2028 has 29 days; one day of 2,900.00 yuan is 100.00.
        let mut q = offered();
        q.monthly_fee = Fen(290_000);
        q.accept(d(2028, 2, 29)).unwrap();
        assert_eq!(q.fee_for(Month::new(2028, 2).unwrap()), Fen(10_000));
    }
}
