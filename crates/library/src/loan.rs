//! Loans: due dates from the rules, renewals (refused for a book another reader waits for, when
//! too long overdue, when used up), the notices due on a day (due soon, overdue every week — no
//! fines: borrowing is suspended while a loan is overdue), and returns — by courier pick-up
//! (requested → picked up → in transit → checked in at the owning branch) or at any branch desk
//! (checked in there, or in transit back when another branch owns the copy); a copy checked in
//! goes to the next hold or the shelf.

use chrono::DateTime;
use chrono::Duration;
use chrono::NaiveDate;
use chrono::Utc;
use serde::Deserialize;
use serde::Serialize;

use crate::catalogue::Barcode;
use crate::catalogue::BranchCode;
use crate::catalogue::Catalogue;
use crate::catalogue::Copy;
use crate::catalogue::Isbn;
use crate::catalogue::ShelfStatus;
use crate::error::LibraryError;
use crate::holds::CheckIn;
use crate::holds::Holds;
use crate::order::ReaderId;
use crate::rules::LibraryRules;

/// A loan's id (`{order}/{barcode}` or `{hold}/{barcode}`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct LoanId(pub String);

impl std::fmt::Display for LoanId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A copy lent to a reader.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Loan {
    /// Its id.
    pub id: LoanId,
    /// The reader.
    pub reader: ReaderId,
    /// The title.
    pub isbn: Isbn,
    /// The copy.
    pub barcode: Barcode,
    /// The branch that owns the copy.
    pub branch: BranchCode,
    /// The order it came with (none for a hold collected at a desk).
    pub order: Option<String>,
    /// The day it started (delivered, or collected at a desk; Beijing date).
    pub started: NaiveDate,
    /// The day it is due back.
    pub due: NaiveDate,
    /// Renewals used.
    pub renewals: u32,
    /// The day the reader gave it back (to the courier or at a desk).
    pub returned: Option<NaiveDate>,
}

impl Loan {
    /// A loan of `copy` starting on `today`, due `loan_days` later.
    pub fn start(id: String, reader: ReaderId, copy: &Copy, order: Option<String>, today: NaiveDate, rules: &LibraryRules) -> Loan {
        Loan {
            id: LoanId(id),
            reader,
            isbn: copy.isbn.clone(),
            barcode: copy.barcode.clone(),
            branch: copy.branch.clone(),
            order,
            started: today,
            due: today + Duration::days(rules.loan_days),
            renewals: 0,
            returned: None,
        }
    }

    /// Not yet given back.
    pub fn is_open(&self) -> bool {
        self.returned.is_none()
    }

    /// Days past the due date on `today` (0 when not overdue or given back).
    pub fn days_overdue(&self, today: NaiveDate) -> i64 {
        if self.is_open() { (today - self.due).num_days().max(0) } else { 0 }
    }

    /// Renews the loan on `today`: refused when another reader waits for the title, when it is
    /// more than `renew_max_overdue_days` overdue, or when the renewals are used up. The loan is
    /// then due `renewal_days` after `today` (never earlier than it was).
    pub fn renew(&mut self, today: NaiveDate, holds: &Holds, rules: &LibraryRules) -> Result<NaiveDate, LibraryError> {
        if !self.is_open() {
            return Err(LibraryError::WrongState { what: "loan", state: "returned", action: "renew" });
        }
        let waiting = holds.waiting_others(&self.isbn, &self.reader);
        if waiting > 0 {
            return Err(LibraryError::RenewalHeld { isbn: self.isbn.to_string(), waiting });
        }
        let days = self.days_overdue(today);
        if days > rules.renew_max_overdue_days {
            return Err(LibraryError::TooOverdue { days, max: rules.renew_max_overdue_days });
        }
        if self.renewals >= rules.max_renewals {
            return Err(LibraryError::RenewalsUsedUp { max: rules.max_renewals });
        }
        self.due = self.due.max(today + Duration::days(rules.renewal_days));
        self.renewals += 1;
        Ok(self.due)
    }
}

/// What a notice says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum NoticeKind {
    /// Due in `days` days.
    DueSoon {
        /// Days left.
        days: i64,
    },
    /// `days` days overdue: borrowing is suspended until it is back (no fine).
    Overdue {
        /// Days overdue.
        days: i64,
    },
}

/// A notice due to a reader today.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notice {
    /// The loan.
    pub loan: LoanId,
    /// The reader.
    pub reader: ReaderId,
    /// The title.
    pub isbn: Isbn,
    /// Its due date.
    pub due: NaiveDate,
    /// What it says.
    pub kind: NoticeKind,
}

/// The notices due on `today`: "due soon" `before_due_days` before the due date, then "overdue"
/// on `overdue_first_day` after it and every `overdue_every_days` while it stays out.
pub fn overdue(loans: &[Loan], today: NaiveDate, rules: &LibraryRules) -> Vec<Notice> {
    let n = &rules.notices;
    loans
        .iter()
        .filter(|l| l.is_open())
        .filter_map(|l| {
            let d = (today - l.due).num_days();
            let kind = if d == -n.before_due_days && n.before_due_days > 0 {
                NoticeKind::DueSoon { days: n.before_due_days }
            } else if d >= n.overdue_first_day && (d - n.overdue_first_day) % n.overdue_every_days == 0 {
                NoticeKind::Overdue { days: d }
            } else {
                return None;
            };
            Some(Notice { loan: l.id.clone(), reader: l.reader.clone(), isbn: l.isbn.clone(), due: l.due, kind })
        })
        .collect()
}

/// How a copy comes back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "by", rename_all = "snake_case")]
pub enum ReturnRoute {
    /// A courier picks it up at the reader's door.
    Courier,
    /// The reader brings it to a branch desk.
    Desk {
        /// The branch.
        branch: BranchCode,
    },
}

/// Where a return is.
#[derive(Debug, Clone, std::marker::Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReturnState {
    /// The reader asked for a courier pick-up.
    PickupRequested,
    /// The courier has it (the loan is over).
    PickedUp,
    /// On its way to the owning branch.
    InTransit,
    /// Checked in at the owning branch: on the shelf or put aside for a hold.
    CheckedIn,
}

impl ReturnState {
    /// The stable code.
    pub fn code(self) -> &'static str {
        match self {
            ReturnState::PickupRequested => "pickup_requested",
            ReturnState::PickedUp => "picked_up",
            ReturnState::InTransit => "in_transit",
            ReturnState::CheckedIn => "checked_in",
        }
    }
}

/// A copy's way back to its branch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Return {
    /// The loan.
    pub loan: LoanId,
    /// The copy.
    pub barcode: Barcode,
    /// The branch it goes back to.
    pub owner: BranchCode,
    /// How it comes back.
    pub route: ReturnRoute,
    /// Where it is.
    pub state: ReturnState,
    /// Each state reached, with its time.
    pub steps: Vec<(ReturnState, DateTime<Utc>)>,
    /// Where the copy went when checked in.
    pub outcome: Option<CheckIn>,
}

impl Return {
    fn wrong(&self, action: &'static str) -> LibraryError {
        LibraryError::WrongState { what: "return", state: self.state.code(), action }
    }

    fn step(&mut self, s: ReturnState, now: DateTime<Utc>) {
        self.state = s;
        self.steps.push((s, now));
    }

    /// The reader asks a courier to pick up a loan at home.
    pub fn request_pickup(loan: &Loan, now: DateTime<Utc>) -> Result<Return, LibraryError> {
        if !loan.is_open() {
            return Err(LibraryError::WrongState { what: "loan", state: "returned", action: "return" });
        }
        Ok(Return {
            loan: loan.id.clone(),
            barcode: loan.barcode.clone(),
            owner: loan.branch.clone(),
            route: ReturnRoute::Courier,
            state: ReturnState::PickupRequested,
            steps: vec![(ReturnState::PickupRequested, now)],
            outcome: None,
        })
    }

    /// The courier has the copy: the loan ends today, the copy is in transit.
    pub fn picked_up(&mut self, loan: &mut Loan, catalogue: &mut Catalogue, now: DateTime<Utc>) -> Result<(), LibraryError> {
        if self.state != ReturnState::PickupRequested {
            return Err(self.wrong("pick_up"));
        }
        if loan.id != self.loan || !loan.is_open() {
            return Err(LibraryError::not_found("loan", self.loan.0.as_str()));
        }
        catalogue.copy(&self.barcode).ok_or_else(|| LibraryError::not_found("copy", self.barcode.as_str()))?;
        catalogue.set_status(&self.barcode, ShelfStatus::InTransit)?;
        loan.returned = Some(domain::china_date(now));
        self.step(ReturnState::PickedUp, now);
        Ok(())
    }

    /// The courier sets off for the owning branch.
    pub fn send(&mut self, now: DateTime<Utc>) -> Result<(), LibraryError> {
        if self.state != ReturnState::PickedUp {
            return Err(self.wrong("send"));
        }
        self.step(ReturnState::InTransit, now);
        Ok(())
    }

    /// The copy arrives at `branch`, which must be its owner: it goes to the next hold or the shelf.
    pub fn check_in(
        &mut self,
        branch: &BranchCode,
        catalogue: &mut Catalogue,
        holds: &mut Holds,
        now: DateTime<Utc>,
        rules: &LibraryRules,
    ) -> Result<CheckIn, LibraryError> {
        if self.state != ReturnState::InTransit {
            return Err(self.wrong("check_in"));
        }
        if branch != &self.owner {
            return Err(LibraryError::invalid(
                "branch",
                format!("这册书属于 {}，应送回该馆入库", self.owner),
                format!("the copy belongs to {} and is checked in there", self.owner),
            ));
        }
        let out = holds.copy_back(catalogue, &self.barcode, domain::china_date(now), rules)?;
        self.outcome = Some(out.clone());
        self.step(ReturnState::CheckedIn, now);
        Ok(out)
    }

    /// The reader hands a loan in at a branch desk: the loan ends today; at the owning branch the
    /// copy is checked in at once (next hold or shelf), elsewhere it goes in transit back.
    pub fn at_desk(
        loan: &mut Loan,
        branch: &BranchCode,
        catalogue: &mut Catalogue,
        holds: &mut Holds,
        now: DateTime<Utc>,
        rules: &LibraryRules,
    ) -> Result<Return, LibraryError> {
        if !loan.is_open() {
            return Err(LibraryError::WrongState { what: "loan", state: "returned", action: "return" });
        }
        if catalogue.branch(branch).is_none() {
            return Err(LibraryError::not_found("branch", branch.as_str()));
        }
        catalogue.copy(&loan.barcode).ok_or_else(|| LibraryError::not_found("copy", loan.barcode.as_str()))?;
        let mut r = Return {
            loan: loan.id.clone(),
            barcode: loan.barcode.clone(),
            owner: loan.branch.clone(),
            route: ReturnRoute::Desk { branch: branch.clone() },
            state: ReturnState::InTransit,
            steps: Vec::new(),
            outcome: None,
        };
        if branch == &loan.branch {
            let out = holds.copy_back(catalogue, &loan.barcode, domain::china_date(now), rules)?;
            r.outcome = Some(out);
            r.step(ReturnState::CheckedIn, now);
        } else {
            catalogue.set_status(&loan.barcode, ShelfStatus::InTransit)?;
            r.step(ReturnState::InTransit, now);
        }
        loan.returned = Some(domain::china_date(now));
        Ok(r)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::holds::tests::at;
    use crate::holds::tests::r;
    use crate::holds::tests::sample;

    fn day(m: u32, d: u32) -> NaiveDate {
        let y = if m == 12 { 2026 } else { 2027 };
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn lend(c: &mut Catalogue, rules: &LibraryRules, barcode: &str, reader: &str, start: NaiveDate) -> Loan {
        let bc = Barcode::parse(barcode).unwrap();
        c.set_status(&bc, ShelfStatus::OnLoan).unwrap();
        Loan::start(format!("o1/{barcode}"), r(reader), c.copy(&bc).unwrap(), Some("o1".into()), start, rules)
    }

    #[test]
    fn renewal_of_a_held_book_is_refused_and_nothing_changes() {
        let (mut c, rules) = sample();
        let mut loan = lend(&mut c, &rules, "FY0000201", "reader-a", day(12, 1));
        assert_eq!(loan.due, day(12, 31));
        let mut holds = Holds::new();
        // The reader's own hold does not block; another reader's does.
        holds.place(&c, &loan.isbn, &r("reader-b"), at(2, 1)).unwrap();
        let before = loan.clone();
        let e = loan.renew(day(12, 20), &holds, &rules).unwrap_err();
        assert_eq!(e.code_str(), "renewal_of_held_book");
        assert!(e.message_zh().contains("1 位其他读者"), "{}", e.message_zh());
        assert_eq!(loan, before);
    }

    #[test]
    fn renewals_run_out_and_a_long_overdue_loan_cannot_be_renewed() {
        let (mut c, rules) = sample();
        let holds = Holds::new();
        let mut loan = lend(&mut c, &rules, "FY0000201", "reader-a", day(12, 1));
        assert_eq!(loan.renew(day(12, 20), &holds, &rules).unwrap(), day(1, 19));
        assert_eq!(loan.renew(day(1, 18), &holds, &rules).unwrap(), day(2, 17));
        assert_eq!(loan.renew(day(2, 1), &holds, &rules).unwrap_err().code_str(), "renewals_used_up");
        let mut late = lend(&mut c, &rules, "FY0000202", "reader-a", day(12, 1));
        assert_eq!(late.renew(day(1, 15), &holds, &rules).unwrap(), day(2, 14), "15 days overdue is still allowed");
        let mut later = lend(&mut c, &rules, "FY0000101", "reader-a", day(12, 1));
        let e = later.renew(day(1, 16), &holds, &rules).unwrap_err();
        assert_eq!(e.code_str(), "too_overdue_to_renew");
    }

    #[test]
    fn notices_come_three_days_before_and_weekly_when_overdue() {
        let (mut c, rules) = sample();
        let loan = lend(&mut c, &rules, "FY0000201", "reader-a", day(12, 1));
        let kinds = |d: NaiveDate| overdue(std::slice::from_ref(&loan), d, &rules).into_iter().map(|n| n.kind).collect::<Vec<_>>();
        assert_eq!(kinds(day(12, 28)), vec![NoticeKind::DueSoon { days: 3 }]);
        assert!(kinds(day(12, 29)).is_empty());
        assert!(kinds(day(12, 31)).is_empty());
        assert_eq!(kinds(day(1, 1)), vec![NoticeKind::Overdue { days: 1 }]);
        assert!(kinds(day(1, 2)).is_empty());
        assert_eq!(kinds(day(1, 8)), vec![NoticeKind::Overdue { days: 8 }]);
        assert_eq!(kinds(day(1, 15)), vec![NoticeKind::Overdue { days: 15 }]);
        assert_eq!(loan.days_overdue(day(1, 15)), 15);
    }

    #[test]
    fn a_courier_return_goes_picked_up_in_transit_checked_in_and_to_the_next_hold() {
        let (mut c, rules) = sample();
        let mut holds = Holds::new();
        let mut loan = lend(&mut c, &rules, "FY0000201", "reader-a", day(12, 1));
        let h = holds.place(&c, &loan.isbn, &r("reader-b"), at(2, 1)).unwrap();
        let mut ret = Return::request_pickup(&loan, at(10, 1)).unwrap();
        let zg = BranchCode::parse("FY-ZG").unwrap();
        assert_eq!(ret.check_in(&zg, &mut c, &mut holds, at(10, 2), &rules).unwrap_err().code_str(), "library_wrong_state");
        assert_eq!(ret.send(at(10, 2)).unwrap_err().code_str(), "library_wrong_state");
        ret.picked_up(&mut loan, &mut c, at(10, 3)).unwrap();
        assert_eq!(loan.returned, Some(day(12, 10)));
        assert_eq!(c.copy(&loan.barcode).unwrap().status, ShelfStatus::InTransit);
        ret.send(at(10, 4)).unwrap();
        let dz = BranchCode::parse("FY-DZ").unwrap();
        assert!(ret.check_in(&dz, &mut c, &mut holds, at(10, 5), &rules).is_err(), "FY0000201 belongs to the main library");
        let out = ret.check_in(&zg, &mut c, &mut holds, at(10, 6), &rules).unwrap();
        assert!(matches!(out, CheckIn::Hold { hold, .. } if hold == h));
        assert_eq!(c.copy(&loan.barcode).unwrap().status, ShelfStatus::ReservedForHold);
        let states: Vec<&str> = ret.steps.iter().map(|(s, _)| s.code()).collect();
        assert_eq!(states, ["pickup_requested", "picked_up", "in_transit", "checked_in"]);
    }

    #[test]
    fn a_return_at_another_branch_travels_back_and_one_at_home_is_shelved() {
        let (mut c, rules) = sample();
        let mut holds = Holds::new();
        let mut loan = lend(&mut c, &rules, "FY0000201", "reader-a", day(12, 1));
        let dz = BranchCode::parse("FY-DZ").unwrap();
        let mut ret = Return::at_desk(&mut loan, &dz, &mut c, &mut holds, at(5, 1), &rules).unwrap();
        assert_eq!(ret.state, ReturnState::InTransit);
        assert_eq!(c.copy(&loan.barcode).unwrap().status, ShelfStatus::InTransit);
        assert!(!loan.is_open());
        assert!(Return::at_desk(&mut loan, &dz, &mut c, &mut holds, at(5, 1), &rules).is_err(), "returned twice");
        let zg = BranchCode::parse("FY-ZG").unwrap();
        assert_eq!(ret.check_in(&zg, &mut c, &mut holds, at(6, 1), &rules).unwrap(), CheckIn::Shelf);
        assert_eq!(c.copy(&loan.barcode).unwrap().status, ShelfStatus::OnShelf);

        let mut home = lend(&mut c, &rules, "FY0000202", "reader-a", day(12, 1));
        let ret = Return::at_desk(&mut home, &dz, &mut c, &mut holds, at(5, 1), &rules).unwrap();
        assert_eq!((ret.state, ret.outcome), (ReturnState::CheckedIn, Some(CheckIn::Shelf)));
    }

    use domain::Describe;
}
