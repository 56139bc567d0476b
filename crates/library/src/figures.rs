//! The library cockpit: requests and parcels by day and month (delivery or pick-up), books sent,
//! loans started and out, new readers (their first request in the period), delivery fees charged
//! and waived by promotions, holds waiting and ready, loans overdue, parcels to pick per branch —
//! pure functions over slices of records.

use std::collections::BTreeMap;
use std::collections::BTreeSet;
use std::collections::HashMap;

use chrono::Datelike;
use chrono::NaiveDate;
use domain::Fen;
use serde::Deserialize;
use serde::Serialize;

use crate::catalogue::BranchCode;
use crate::fees::Handover;
use crate::holds::HoldState;
use crate::holds::Holds;
use crate::loan::Loan;
use crate::order::Order;
use crate::order::OrderState;
use crate::order::ReaderId;

/// Requests of one day or month.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Count {
    /// The day (`2026-12-07`) or month (`2026-12`).
    pub period: String,
    /// Requests (a reader's one click, however many parcels).
    pub requests: u32,
    /// … delivered home.
    pub delivery: u32,
    /// … collected at a desk.
    pub pickup: u32,
    /// Books in them.
    pub books: u32,
}

/// The cockpit's figures for a period.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LibraryFigures {
    /// The first day (Beijing dates).
    pub from: NaiveDate,
    /// The last day.
    pub to: NaiveDate,
    /// Requests placed in the period.
    pub requests: u32,
    /// Parcels (orders) placed in the period.
    pub parcels: u32,
    /// Requests delivered home.
    pub delivery: u32,
    /// Requests collected at a desk.
    pub pickup: u32,
    /// Parcels cancelled (of those placed in the period).
    pub cancelled: u32,
    /// Per day, oldest first.
    pub by_day: Vec<Count>,
    /// Per month, oldest first.
    pub by_month: Vec<Count>,
    /// Loans started in the period.
    pub loans_started: u32,
    /// Loans out on the last day.
    pub loans_out: u32,
    /// Readers whose first request ever falls in the period.
    pub new_readers: u32,
    /// Delivery fees charged (orders not cancelled).
    pub fees_charged: Fen,
    /// Delivery fees waived by promotions.
    pub fees_waived: Fen,
    /// Requests whose fee a promotion waived.
    pub requests_free: u32,
    /// Readers waiting in hold queues now.
    pub holds_waiting: u32,
    /// Copies put aside for holds now.
    pub holds_ready: u32,
    /// Loans overdue on the last day.
    pub overdue: u32,
    /// Readers with an overdue loan on the last day (borrowing suspended).
    pub readers_suspended: u32,
    /// Open parcels not yet packed, per branch (the staff's picking list).
    pub to_pick: BTreeMap<BranchCode, u32>,
}

/// The figures of `from..=to` (Beijing dates) from all the orders, loans and holds on record.
pub fn figures(orders: &[Order], loans: &[Loan], holds: &Holds, from: NaiveDate, to: NaiveDate) -> LibraryFigures {
    let mut f = LibraryFigures { from, to, ..LibraryFigures::default() };
    let day_of = |o: &Order| domain::china_date(o.placed_at);
    let within = |d: NaiveDate| from <= d && d <= to;

    let mut first: HashMap<&ReaderId, NaiveDate> = HashMap::new();
    for o in orders {
        let d = day_of(o);
        first.entry(&o.reader).and_modify(|x| *x = (*x).min(d)).or_insert(d);
    }
    f.new_readers = first.values().filter(|d| within(**d)).count() as u32;

    let mut requests: BTreeSet<&str> = BTreeSet::new();
    let mut free: BTreeSet<&str> = BTreeSet::new();
    let mut days: BTreeMap<NaiveDate, Count> = BTreeMap::new();
    let mut months: BTreeMap<(i32, u32), Count> = BTreeMap::new();
    for o in orders.iter().filter(|o| within(day_of(o))) {
        let d = day_of(o);
        f.parcels += 1;
        let books = o.items.len() as u32;
        let new_request = requests.insert(o.request.as_str());
        let pickup = o.destination.handover() == Handover::Pickup;
        for c in [days.entry(d).or_default(), months.entry((d.year(), d.month())).or_default()] {
            c.books += books;
            if new_request {
                c.requests += 1;
                if pickup { c.pickup += 1 } else { c.delivery += 1 }
            }
        }
        if new_request {
            if pickup { f.pickup += 1 } else { f.delivery += 1 }
        }
        if o.state == OrderState::Cancelled {
            f.cancelled += 1;
            continue;
        }
        f.fees_charged += o.quote.fee_fen;
        f.fees_waived += o.quote.waived_fen;
        if o.quote.waived_fen.0 > 0 {
            free.insert(o.request.as_str());
        }
    }
    f.requests = requests.len() as u32;
    f.requests_free = free.len() as u32;
    f.by_day = days.into_iter().map(|(d, c)| Count { period: d.to_string(), ..c }).collect();
    f.by_month = months.into_iter().map(|((y, m), c)| Count { period: format!("{y}-{m:02}"), ..c }).collect();

    f.loans_started = loans.iter().filter(|l| within(l.started)).count() as u32;
    let out: Vec<&Loan> = loans.iter().filter(|l| l.started <= to && l.returned.is_none_or(|r| r > to)).collect();
    f.loans_out = out.len() as u32;
    let late: Vec<&&Loan> = out.iter().filter(|l| l.due < to).collect();
    f.overdue = late.len() as u32;
    f.readers_suspended = late.iter().map(|l| &l.reader).collect::<BTreeSet<_>>().len() as u32;

    for h in holds.all() {
        match h.state {
            HoldState::Waiting => f.holds_waiting += 1,
            HoldState::Ready { .. } => f.holds_ready += 1,
            _ => {}
        }
    }
    for o in orders.iter().filter(|o| matches!(o.state, OrderState::Placed | OrderState::Picking)) {
        *f.to_pick.entry(o.branch.clone()).or_default() += 1;
    }
    f
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::catalogue::Isbn;
    use crate::fees::FeeRules;
    use crate::fees::quote;
    use crate::holds::tests::at;
    use crate::holds::tests::r;
    use crate::holds::tests::sample;
    use crate::order::Destination;
    use crate::order::ReaderFacts;
    use crate::order::Wanted;
    use crate::order::place;
    use crate::order::plan;

    #[test]
    fn the_cockpit_counts_requests_readers_fees_and_waivers() {
        let (mut c, rules) = sample();
        let fees = FeeRules::embedded().unwrap();
        let home = Destination::Home { lat: 30.05, lon: 119.955 };
        let t = |s: &str| Wanted::Title(Isbn::parse(s).unwrap());
        let mut orders = Vec::new();
        let mut loans = Vec::new();
        // reader-a: three books in the free delivery month (free), delivered.
        let p = plan(&c, &rules, &ReaderFacts::default(), &[t("9787020002207"), t("9787506365437"), t("9787536692930")], &home).unwrap();
        let q = quote(&fees, p.books, NaiveDate::from_ymd_opt(2026, 12, 7).unwrap(), p_handover(&home)).unwrap();
        let mut holds = Holds::new();
        let mut o = place(&mut c, &mut holds, &p, "A1", &r("reader-a"), Some(&q), at(7, 1)).unwrap().orders;
        o[0].start_picking(at(7, 2)).unwrap();
        o[0].pack(at(7, 3)).unwrap();
        o[0].hand_to_courier(at(7, 4)).unwrap();
        loans.extend(o[0].deliver(&mut c, at(7, 6), &rules).unwrap());
        orders.extend(o);
        // reader-b: two books, 3 yuan, still to pick.
        let p = plan(&c, &rules, &ReaderFacts::default(), &[t("9787020090006"), t("9787101138702")], &home).unwrap();
        let q = quote(&fees, p.books, NaiveDate::from_ymd_opt(2026, 12, 8).unwrap(), p_handover(&home)).unwrap();
        orders.extend(place(&mut c, &mut holds, &p, "B1", &r("reader-b"), Some(&q), at(8, 1)).unwrap().orders);
        let f = figures(&orders, &loans, &holds, NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(), NaiveDate::from_ymd_opt(2026, 12, 31).unwrap());
        assert_eq!((f.requests, f.parcels, f.delivery, f.pickup), (2, 2, 2, 0));
        assert_eq!((f.fees_charged, f.fees_waived, f.requests_free), (Fen(300), Fen(300), 1));
        assert_eq!((f.new_readers, f.loans_started, f.loans_out, f.overdue), (2, 3, 3, 0));
        assert_eq!(f.by_day.len(), 2);
        assert_eq!(f.by_month, vec![Count { period: "2026-12".into(), requests: 2, delivery: 2, pickup: 0, books: 5 }]);
        assert_eq!(f.to_pick.values().sum::<u32>(), 1);
        // A month later reader-a's loans are overdue, and nobody is new.
        let jan = figures(&orders, &loans, &holds, NaiveDate::from_ymd_opt(2027, 1, 1).unwrap(), NaiveDate::from_ymd_opt(2027, 1, 31).unwrap());
        assert_eq!((jan.requests, jan.new_readers, jan.overdue, jan.readers_suspended), (0, 0, 3, 1));
    }

    fn p_handover(d: &Destination) -> Handover {
        d.handover()
    }
}
