//! Holds (预约排队): per title a first-come-first-served queue of readers waiting for a copy. A
//! copy that comes back (returned, or freed by a cancelled order or an expired hold) goes to the
//! next reader in its title's queue — put aside at its branch and the reader notified — rather
//! than to the shelf; a copy put aside and not collected within the rules' days expires and moves on.

use std::collections::BTreeMap;
use std::collections::HashMap;

use chrono::DateTime;
use chrono::Duration;
use chrono::NaiveDate;
use chrono::Utc;
use serde::Deserialize;
use serde::Serialize;

use crate::catalogue::Barcode;
use crate::catalogue::BranchCode;
use crate::catalogue::Catalogue;
use crate::catalogue::Isbn;
use crate::catalogue::ShelfStatus;
use crate::error::LibraryError;
use crate::loan::Loan;
use crate::order::ReaderId;
use crate::rules::LibraryRules;

/// A hold's id (`H000042`), given by [`Holds::place`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct HoldId(pub String);

impl std::fmt::Display for HoldId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Where a hold is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum HoldState {
    /// In the queue.
    Waiting,
    /// A copy is put aside for the reader at a branch until `until` (included).
    Ready {
        /// The copy.
        barcode: Barcode,
        /// Where it waits.
        branch: BranchCode,
        /// The last day to collect it.
        until: NaiveDate,
    },
    /// Collected: a loan started.
    Collected,
    /// Not collected in time.
    Expired,
    /// Cancelled by the reader.
    Cancelled,
}

impl HoldState {
    /// The stable code.
    pub fn code(&self) -> &'static str {
        match self {
            HoldState::Waiting => "waiting",
            HoldState::Ready { .. } => "ready",
            HoldState::Collected => "collected",
            HoldState::Expired => "expired",
            HoldState::Cancelled => "cancelled",
        }
    }

    /// Waiting or ready: still in the queue.
    pub fn is_open(&self) -> bool {
        matches!(self, HoldState::Waiting | HoldState::Ready { .. })
    }
}

/// One reader's place in a title's queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hold {
    /// Its id.
    pub id: HoldId,
    /// The title.
    pub isbn: Isbn,
    /// The reader.
    pub reader: ReaderId,
    /// When it was placed (the queue's order).
    pub placed_at: DateTime<Utc>,
    /// Where it is.
    pub state: HoldState,
}

/// What became of a copy that came back to its branch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "to", rename_all = "snake_case")]
pub enum CheckIn {
    /// Back on the shelf.
    Shelf,
    /// Put aside for the next hold: notify the reader.
    Hold {
        /// The hold.
        hold: HoldId,
        /// Whom to notify.
        reader: ReaderId,
        /// Where to collect it.
        branch: BranchCode,
        /// The last day to collect it.
        until: NaiveDate,
    },
}

/// A hold that expired, and where its copy went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Expiry {
    /// The expired hold.
    pub hold: HoldId,
    /// Its reader.
    pub reader: ReaderId,
    /// Its copy.
    pub barcode: Barcode,
    /// Where the copy went.
    pub then: CheckIn,
}

/// Every title's hold queue.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holds {
    queues: BTreeMap<Isbn, Vec<Hold>>,
    index: HashMap<HoldId, Isbn>,
    next: u64,
}

impl Holds {
    /// No holds.
    pub fn new() -> Holds {
        Holds::default()
    }

    /// The holds kept (of some titles, in any order: each queue is put back in the order placed),
    /// with the next ids drawn from `next` (a caller with several servers gives a number no other
    /// server gives, so that ids never clash).
    pub fn from_holds(holds: Vec<Hold>, next: u64) -> Holds {
        let mut h = Holds { next, ..Holds::default() };
        for hold in holds {
            h.index.insert(hold.id.clone(), hold.isbn.clone());
            h.queues.entry(hold.isbn.clone()).or_default().push(hold);
        }
        for q in h.queues.values_mut() {
            q.sort_by(|a, b| a.placed_at.cmp(&b.placed_at).then_with(|| a.id.cmp(&b.id)));
        }
        h
    }

    /// Every hold of a title, oldest first (what a caller keeps).
    pub fn of_title(&self, isbn: &Isbn) -> Vec<Hold> {
        self.queue(isbn).to_vec()
    }

    /// Puts a reader at the end of a title's queue.
    pub fn place(&mut self, catalogue: &Catalogue, isbn: &Isbn, reader: &ReaderId, now: DateTime<Utc>) -> Result<HoldId, LibraryError> {
        if catalogue.title(isbn).is_none() {
            return Err(LibraryError::not_found("title", isbn.as_str()));
        }
        if self.queue(isbn).iter().any(|h| &h.reader == reader && h.state.is_open()) {
            return Err(LibraryError::AlreadyHeld { isbn: isbn.to_string() });
        }
        self.next += 1;
        let id = HoldId(format!("H{:06}", self.next));
        self.queues.entry(isbn.clone()).or_default().push(Hold {
            id: id.clone(),
            isbn: isbn.clone(),
            reader: reader.clone(),
            placed_at: now,
            state: HoldState::Waiting,
        });
        self.index.insert(id.clone(), isbn.clone());
        Ok(id)
    }

    /// A title's queue, oldest first (closed holds included).
    pub fn queue(&self, isbn: &Isbn) -> &[Hold] {
        self.queues.get(isbn).map_or(&[], Vec::as_slice)
    }

    /// Every hold.
    pub fn all(&self) -> impl Iterator<Item = &Hold> {
        self.queues.values().flatten()
    }

    /// A hold by id.
    pub fn get(&self, id: &HoldId) -> Option<&Hold> {
        let isbn = self.index.get(id)?;
        self.queue(isbn).iter().find(|h| &h.id == id)
    }

    fn get_mut(&mut self, id: &HoldId) -> Result<&mut Hold, LibraryError> {
        let isbn = self.index.get(id).ok_or_else(|| LibraryError::not_found("hold", id.0.as_str()))?;
        self.queues.get_mut(isbn).and_then(|q| q.iter_mut().find(|h| &h.id == id)).ok_or_else(|| LibraryError::not_found("hold", id.0.as_str()))
    }

    /// Readers waiting for a title (not yet given a copy).
    pub fn waiting(&self, isbn: &Isbn) -> u32 {
        self.queue(isbn).iter().filter(|h| h.state == HoldState::Waiting).count() as u32
    }

    /// Readers other than `reader` waiting for a title.
    pub fn waiting_others(&self, isbn: &Isbn, reader: &ReaderId) -> u32 {
        self.queue(isbn).iter().filter(|h| h.state == HoldState::Waiting && &h.reader != reader).count() as u32
    }

    /// The 1-based place of a waiting hold in its queue.
    pub fn position(&self, id: &HoldId) -> Option<u32> {
        let isbn = self.index.get(id)?;
        let waiting: Vec<&Hold> = self.queue(isbn).iter().filter(|h| h.state == HoldState::Waiting).collect();
        waiting.iter().position(|h| &h.id == id).map(|p| p as u32 + 1)
    }

    /// A copy is back at its own branch (returned, freed by a cancelled order or an expired hold):
    /// it goes to the oldest waiting hold of its title, else to the shelf.
    pub fn copy_back(&mut self, catalogue: &mut Catalogue, barcode: &Barcode, today: NaiveDate, rules: &LibraryRules) -> Result<CheckIn, LibraryError> {
        let copy = catalogue.copy(barcode).ok_or_else(|| LibraryError::not_found("copy", barcode.as_str()))?.clone();
        if copy.status.is_gone() {
            return Err(LibraryError::CopyWithdrawn { barcode: barcode.to_string(), status: copy.status.code() });
        }
        let until = today + Duration::days(rules.hold_keep_days);
        let next = self.queues.get_mut(&copy.isbn).and_then(|q| q.iter_mut().find(|h| h.state == HoldState::Waiting));
        match next {
            Some(h) => {
                h.state = HoldState::Ready { barcode: barcode.clone(), branch: copy.branch.clone(), until };
                let out = CheckIn::Hold { hold: h.id.clone(), reader: h.reader.clone(), branch: copy.branch.clone(), until };
                catalogue.set_status(barcode, ShelfStatus::ReservedForHold)?;
                Ok(out)
            }
            None => {
                catalogue.set_status(barcode, ShelfStatus::OnShelf)?;
                Ok(CheckIn::Shelf)
            }
        }
    }

    /// The reader collects the copy put aside for a ready hold: the loan starts.
    pub fn collect(
        &mut self,
        catalogue: &mut Catalogue,
        id: &HoldId,
        reader: &ReaderId,
        now: DateTime<Utc>,
        rules: &LibraryRules,
    ) -> Result<Loan, LibraryError> {
        let h = self.get(id).ok_or_else(|| LibraryError::not_found("hold", id.0.as_str()))?;
        if &h.reader != reader {
            return Err(LibraryError::not_found("hold", id.0.as_str()));
        }
        let HoldState::Ready { barcode, .. } = &h.state else {
            return Err(LibraryError::WrongState { what: "hold", state: h.state.code(), action: "collect_hold" });
        };
        let copy = catalogue.copy(barcode).ok_or_else(|| LibraryError::not_found("copy", barcode.as_str()))?.clone();
        let loan = Loan::start(format!("{}/{}", id.0, copy.barcode), reader.clone(), &copy, None, domain::china_date(now), rules);
        catalogue.set_status(&copy.barcode, ShelfStatus::OnLoan)?;
        self.get_mut(id)?.state = HoldState::Collected;
        Ok(loan)
    }

    /// The reader cancels a hold; a copy put aside for it goes to the next hold or the shelf.
    pub fn cancel(&mut self, catalogue: &mut Catalogue, id: &HoldId, today: NaiveDate, rules: &LibraryRules) -> Result<Option<CheckIn>, LibraryError> {
        let h = self.get(id).ok_or_else(|| LibraryError::not_found("hold", id.0.as_str()))?;
        let freed = match &h.state {
            HoldState::Waiting => None,
            HoldState::Ready { barcode, .. } => Some(barcode.clone()),
            s => return Err(LibraryError::WrongState { what: "hold", state: s.code(), action: "cancel" }),
        };
        self.get_mut(id)?.state = HoldState::Cancelled;
        match freed {
            Some(b) => self.copy_back(catalogue, &b, today, rules).map(Some),
            None => Ok(None),
        }
    }

    /// Ends the ready holds whose last day is before `today`; each copy goes to the next hold or
    /// the shelf.
    pub fn expire(&mut self, catalogue: &mut Catalogue, today: NaiveDate, rules: &LibraryRules) -> Result<Vec<Expiry>, LibraryError> {
        let due: Vec<(HoldId, ReaderId, Barcode)> = self
            .all()
            .filter_map(|h| match &h.state {
                HoldState::Ready { barcode, until, .. } if *until < today => Some((h.id.clone(), h.reader.clone(), barcode.clone())),
                _ => None,
            })
            .collect();
        let mut out = Vec::with_capacity(due.len());
        for (id, reader, barcode) in due {
            self.get_mut(&id)?.state = HoldState::Expired;
            let then = self.copy_back(catalogue, &barcode, today, rules)?;
            out.push(Expiry { hold: id, reader, barcode, then });
        }
        Ok(out)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
pub(crate) mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::catalogue::embedded_branches;

    pub(crate) fn sample() -> (Catalogue, LibraryRules) {
        let mut c = Catalogue::new(embedded_branches().unwrap()).unwrap();
        c.import_csv(crate::data::SAMPLE_CSV).unwrap();
        (c, LibraryRules::embedded().unwrap())
    }

    pub(crate) fn at(day: u32, hour: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, day, hour, 0, 0).unwrap()
    }

    pub(crate) fn r(s: &str) -> ReaderId {
        ReaderId::parse(s).unwrap()
    }

    #[test]
    fn a_returned_copy_goes_to_the_oldest_hold_first_in_first_out() {
        let (mut c, rules) = sample();
        let isbn = Isbn::parse("9787506365437").unwrap();
        let mut h = Holds::new();
        let a = h.place(&c, &isbn, &r("reader-a"), at(1, 1)).unwrap();
        let b = h.place(&c, &isbn, &r("reader-b"), at(1, 2)).unwrap();
        assert_eq!(h.place(&c, &isbn, &r("reader-a"), at(1, 3)).unwrap_err().code_str(), "already_held");
        assert_eq!((h.position(&a), h.position(&b), h.waiting(&isbn)), (Some(1), Some(2), 2));
        let bc = Barcode::parse("FY0000201").unwrap();
        c.set_status(&bc, ShelfStatus::OnLoan).unwrap();
        let d = NaiveDate::from_ymd_opt(2026, 12, 5).unwrap();
        let out = h.copy_back(&mut c, &bc, d, &rules).unwrap();
        assert!(matches!(&out, CheckIn::Hold { hold, until, .. } if *hold == a && *until == NaiveDate::from_ymd_opt(2026, 12, 12).unwrap()));
        assert_eq!(c.copy(&bc).unwrap().status, ShelfStatus::ReservedForHold);
        assert_eq!(h.position(&b), Some(1));
        // reader-b cannot collect reader-a's copy; reader-a can.
        assert!(h.collect(&mut c, &a, &r("reader-b"), at(6, 2), &rules).is_err());
        let loan = h.collect(&mut c, &a, &r("reader-a"), at(6, 2), &rules).unwrap();
        assert_eq!(loan.due, NaiveDate::from_ymd_opt(2027, 1, 5).unwrap());
        assert_eq!(c.copy(&bc).unwrap().status, ShelfStatus::OnLoan);
        // The next copy back goes to reader-b; nothing waits after that: the shelf.
        let bc2 = Barcode::parse("FY0000202").unwrap();
        assert!(matches!(h.copy_back(&mut c, &bc2, d, &rules).unwrap(), CheckIn::Hold { hold, .. } if hold == b));
        c.set_status(&bc2, ShelfStatus::OnLoan).unwrap();
        assert_eq!(h.copy_back(&mut c, &bc2, d, &rules).unwrap(), CheckIn::Shelf);
    }

    #[test]
    fn an_uncollected_hold_expires_and_its_copy_moves_on() {
        let (mut c, rules) = sample();
        let isbn = Isbn::parse("9787506365437").unwrap();
        let mut h = Holds::new();
        let a = h.place(&c, &isbn, &r("reader-a"), at(1, 1)).unwrap();
        let b = h.place(&c, &isbn, &r("reader-b"), at(1, 2)).unwrap();
        let bc = Barcode::parse("FY0000201").unwrap();
        let d = NaiveDate::from_ymd_opt(2026, 12, 5).unwrap();
        h.copy_back(&mut c, &bc, d, &rules).unwrap();
        assert!(h.expire(&mut c, NaiveDate::from_ymd_opt(2026, 12, 12).unwrap(), &rules).unwrap().is_empty(), "the last day is included");
        let ex = h.expire(&mut c, NaiveDate::from_ymd_opt(2026, 12, 13).unwrap(), &rules).unwrap();
        assert_eq!(ex.len(), 1);
        assert_eq!(ex[0].hold, a);
        assert!(matches!(&ex[0].then, CheckIn::Hold { hold, .. } if *hold == b));
        assert_eq!(h.get(&a).unwrap().state, HoldState::Expired);
        // reader-b cancels: the copy goes back to the shelf.
        assert_eq!(h.cancel(&mut c, &b, d, &rules).unwrap(), Some(CheckIn::Shelf));
        assert_eq!(c.copy(&bc).unwrap().status, ShelfStatus::OnShelf);
        assert_eq!(h.cancel(&mut c, &b, d, &rules).unwrap_err().code_str(), "library_wrong_state");
    }

    impl LibraryError {
        pub(crate) fn code_str(&self) -> &'static str {
            domain::Describe::code(self)
        }
    }
}
