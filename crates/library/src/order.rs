//! One-click borrowing (一键借阅): a reader chooses 1 to N titles and home delivery or pick-up at
//! a desk; [`plan`] takes copies from the branch that can serve fastest — one branch holding every
//! available title if there is one (one parcel), else as few branches as it can — and turns the
//! titles with no free copy into holds; [`place`] reserves the copies as one [`Order`] per parcel,
//! and each order walks placed → picking → packed → with the courier → delivered, or → ready for
//! pick-up → collected, or is cancelled before the courier has it. Loans start on delivery or
//! collection. Every step checks everything first and changes nothing on an error.
//!
//! How fast a branch serves: its picking minutes plus the straight-line distance to the reader's
//! home (or to the pick-up branch) at the rules' courier speed; a pick-up at the branch that holds
//! the books adds no travel. The estimate only ranks branches; it is not a promise.
//!
//! Fees: the request is quoted once by its number of books ([`crate::fees::quote`]); when it is
//! split across branches the first (fastest) parcel's order carries the whole fee and waiver and
//! the others carry none — the split is the library's choice and costs the reader nothing more.

use std::collections::BTreeMap;
use std::collections::HashSet;

use chrono::DateTime;
use chrono::Utc;
use domain::Fen;
use serde::Deserialize;
use serde::Serialize;

use crate::catalogue::Barcode;
use crate::catalogue::Branch;
use crate::catalogue::BranchCode;
use crate::catalogue::Catalogue;
use crate::catalogue::Isbn;
use crate::catalogue::ShelfStatus;
use crate::catalogue::distance_km;
use crate::error::LibraryError;
use crate::fees::Handover;
use crate::fees::Quote;
use crate::holds::CheckIn;
use crate::holds::HoldId;
use crate::holds::Holds;
use crate::loan::Loan;
use crate::rules::LibraryRules;

/// A reader: an opaque id from the identity area (1–64 characters, no spaces or control characters).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ReaderId(String);

impl ReaderId {
    /// Reads one.
    pub fn parse(s: &str) -> Result<ReaderId, LibraryError> {
        let n = s.chars().count();
        if n == 0 || n > 64 || s.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(LibraryError::invalid("reader", "读者编号应为 1–64 个字符，不含空格", "a reader id has 1-64 characters and no spaces"));
        }
        Ok(ReaderId(s.to_owned()))
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for ReaderId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for ReaderId {
    type Error = LibraryError;
    fn try_from(s: String) -> Result<ReaderId, LibraryError> {
        ReaderId::parse(&s)
    }
}

impl From<ReaderId> for String {
    fn from(r: ReaderId) -> String {
        r.0
    }
}

/// What the reader asks for: any copy of a title, or one copy by its barcode.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "by", content = "id", rename_all = "snake_case")]
pub enum Wanted {
    /// Any copy of the title.
    Title(Isbn),
    /// This copy (withdrawn or lost: refused; on loan or reserved: the reader joins the title's
    /// hold queue).
    Copy(Barcode),
}

/// Where the books go.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "to", rename_all = "snake_case")]
pub enum Destination {
    /// Delivered to the reader's address.
    Home {
        /// Latitude of the address.
        lat: f64,
        /// Longitude of the address.
        lon: f64,
    },
    /// Collected at a branch desk.
    Branch {
        /// The branch.
        branch: BranchCode,
    },
}

impl Destination {
    /// Delivery or pick-up.
    pub fn handover(&self) -> Handover {
        match self {
            Destination::Home { .. } => Handover::Delivery,
            Destination::Branch { .. } => Handover::Pickup,
        }
    }
}

/// What the engine needs to know about the reader (gathered by the caller).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReaderFacts {
    /// Titles on loan to the reader or in an open order of theirs.
    pub holding: Vec<Isbn>,
    /// Items on loan or in open orders (the loan limit counts these).
    pub items: u32,
    /// Loans overdue today.
    pub overdue: u32,
}

impl ReaderFacts {
    /// The facts of a reader from their loans and orders.
    pub fn of(reader: &ReaderId, loans: &[Loan], orders: &[Order], today: chrono::NaiveDate) -> ReaderFacts {
        let mut f = ReaderFacts::default();
        for l in loans.iter().filter(|l| &l.reader == reader && l.is_open()) {
            f.holding.push(l.isbn.clone());
            f.items += 1;
            if l.days_overdue(today) > 0 {
                f.overdue += 1;
            }
        }
        for o in orders.iter().filter(|o| &o.reader == reader && o.state.is_open()) {
            for p in &o.items {
                f.holding.push(p.isbn.clone());
                f.items += 1;
            }
        }
        f
    }
}

/// One copy taken for an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pick {
    /// The title.
    pub isbn: Isbn,
    /// The copy.
    pub barcode: Barcode,
}

/// The copies one branch sends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Parcel {
    /// The branch.
    pub branch: BranchCode,
    /// Its copies.
    pub picks: Vec<Pick>,
    /// Straight-line km from the branch to the destination.
    pub distance_km: f64,
    /// Estimated minutes to the reader's door or desk: picking plus travel.
    pub minutes: f64,
}

/// How a request will be served.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// The parcels, fastest first (none when every title is held).
    pub parcels: Vec<Parcel>,
    /// Titles with no free copy anywhere: the reader joins their hold queues.
    pub holds: Vec<Isbn>,
    /// Books that will be sent (what the fee is quoted on).
    pub books: u32,
    /// When the last parcel arrives, in minutes (none when nothing is sent).
    pub minutes: Option<f64>,
    /// Where the books go.
    pub destination: Destination,
}

/// What placing a request made: an order per parcel and a hold per title with no free copy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Placed {
    /// The orders, fastest parcel first.
    pub orders: Vec<Order>,
    /// The holds placed for the plan's held titles.
    pub holds: Vec<HoldId>,
}

/// The minutes a branch needs to get a parcel to `to`.
fn minutes(branch: &Branch, to: &Destination, catalogue: &Catalogue, rules: &LibraryRules) -> (f64, f64) {
    let (lat, lon) = match to {
        Destination::Home { lat, lon } => (*lat, *lon),
        Destination::Branch { branch: b } if b == &branch.code => return (0.0, f64::from(branch.picking_minutes)),
        Destination::Branch { branch: b } => catalogue.branch(b).map_or((branch.lat, branch.lon), |x| (x.lat, x.lon)),
    };
    let km = distance_km(branch.lat, branch.lon, lat, lon);
    (km, f64::from(branch.picking_minutes) + km / rules.courier_speed_kmh * 60.0)
}

/// Plans a request: checks it (known titles, no withdrawn copy named, not too many titles, the
/// loan limit — every title asked for counts, held ones too —, no title the reader already has,
/// borrowing not suspended) and picks the copies.
pub fn plan(catalogue: &Catalogue, rules: &LibraryRules, reader: &ReaderFacts, wanted: &[Wanted], to: &Destination) -> Result<Plan, LibraryError> {
    if wanted.is_empty() {
        return Err(LibraryError::invalid("titles", "至少选择一本书", "choose at least one book"));
    }
    let asked = wanted.len() as u32;
    if asked > rules.max_titles_per_order {
        return Err(LibraryError::TooManyTitles { max: rules.max_titles_per_order, asked });
    }
    if let Destination::Home { lat, lon } = to
        && !(lat.is_finite() && lon.is_finite() && (-90.0..=90.0).contains(lat) && (-180.0..=180.0).contains(lon))
    {
        return Err(LibraryError::invalid("address", "送书地址的坐标无效", "the address's coordinates are not valid"));
    }
    if let Destination::Branch { branch } = to {
        let b = catalogue.branch(branch).ok_or_else(|| LibraryError::not_found("branch", branch.as_str()))?;
        if !b.pickup_desk {
            return Err(LibraryError::invalid(
                "branch",
                format!("{}没有取书服务台，请选择其他分馆或送书到家", b.name),
                format!("{} has no pick-up desk", b.code),
            ));
        }
    }
    // Resolve: the title of each wish, and the copy when one is named.
    let mut items: Vec<(Isbn, Option<Barcode>)> = Vec::with_capacity(wanted.len());
    let mut seen: HashSet<Isbn> = HashSet::new();
    for w in wanted {
        let (isbn, named) = match w {
            Wanted::Title(isbn) => {
                catalogue.title(isbn).ok_or_else(|| LibraryError::not_found("title", isbn.as_str()))?;
                (isbn.clone(), None)
            }
            Wanted::Copy(bc) => {
                let c = catalogue.copy(bc).ok_or_else(|| LibraryError::not_found("copy", bc.as_str()))?;
                if c.status.is_gone() {
                    return Err(LibraryError::CopyWithdrawn { barcode: bc.to_string(), status: c.status.code() });
                }
                (c.isbn.clone(), Some(bc.clone()))
            }
        };
        if !seen.insert(isbn.clone()) {
            return Err(LibraryError::invalid("titles", format!("ISBN {isbn} 选了两次"), format!("{isbn} is asked for twice")));
        }
        items.push((isbn, named));
    }
    if rules.overdue.suspend_borrowing && reader.overdue > 0 {
        return Err(LibraryError::Suspended { overdue: reader.overdue });
    }
    if let Some((isbn, _)) = items.iter().find(|(i, _)| reader.holding.contains(i)) {
        return Err(LibraryError::AlreadyOnLoan { isbn: isbn.to_string() });
    }
    let wanted_total = reader.items + asked;
    if wanted_total > rules.max_loans {
        return Err(LibraryError::LoanLimit { limit: rules.max_loans, current: reader.items, wanted: wanted_total });
    }

    // Free copies per branch: branch index → (title index → first free copy there).
    let branches = catalogue.branches();
    let mut free: Vec<BTreeMap<usize, Barcode>> = vec![BTreeMap::new(); branches.len()];
    let mut holds: Vec<Isbn> = Vec::new();
    let mut available: Vec<usize> = Vec::new();
    for (t, (isbn, named)) in items.iter().enumerate() {
        let mut any = false;
        for c in catalogue.copies_of(isbn) {
            if c.status != ShelfStatus::OnShelf || named.as_ref().is_some_and(|n| n != &c.barcode) {
                continue;
            }
            if let Some(bi) = branches.iter().position(|b| b.code == c.branch) {
                free[bi].entry(t).or_insert_with(|| c.barcode.clone());
                any = true;
            }
        }
        if any {
            available.push(t);
        } else {
            holds.push(isbn.clone());
        }
    }
    let speed: Vec<(f64, f64)> = branches.iter().map(|b| minutes(b, to, catalogue, rules)).collect();
    let faster = |a: usize, b: usize| speed[a].1.total_cmp(&speed[b].1).then_with(|| branches[a].code.cmp(&branches[b].code));

    // Choose branches: one that holds everything available if any (the fastest such), else a
    // greedy cover — the branch with most titles still unserved, the faster on a tie.
    let mut chosen: Vec<usize> = Vec::new();
    let all: Vec<usize> = (0..branches.len()).filter(|&b| available.iter().all(|t| free[b].contains_key(t))).collect();
    if available.is_empty() {
        // Every title is held (and `all` is every branch): nothing to send.
    } else if let Some(&b) = all.iter().min_by(|a, b| faster(**a, **b)) {
        chosen.push(b);
    } else {
        let mut left: Vec<usize> = available.clone();
        while !left.is_empty() {
            let best = (0..branches.len())
                .filter(|b| !chosen.contains(b))
                .map(|b| (b, left.iter().filter(|t| free[b].contains_key(t)).count()))
                .filter(|(_, n)| *n > 0)
                .min_by(|(a, na), (b, nb)| nb.cmp(na).then_with(|| faster(*a, *b)));
            let Some((b, _)) = best else { break };
            chosen.push(b);
            left.retain(|t| !free[b].contains_key(t));
        }
    }
    // Each title from the fastest chosen branch that has it.
    let mut by_branch: BTreeMap<usize, Vec<Pick>> = BTreeMap::new();
    for &t in &available {
        if let Some(&b) = chosen.iter().filter(|b| free[**b].contains_key(&t)).min_by(|a, b| faster(**a, **b))
            && let Some(bc) = free[b].get(&t)
        {
            by_branch.entry(b).or_default().push(Pick { isbn: items[t].0.clone(), barcode: bc.clone() });
        }
    }
    let mut parcels: Vec<Parcel> =
        by_branch.into_iter().map(|(b, picks)| Parcel { branch: branches[b].code.clone(), picks, distance_km: speed[b].0, minutes: speed[b].1 }).collect();
    parcels.sort_by(|a, b| a.minutes.total_cmp(&b.minutes).then_with(|| a.branch.cmp(&b.branch)));
    let books = parcels.iter().map(|p| p.picks.len() as u32).sum();
    let minutes = parcels.iter().map(|p| p.minutes).reduce(f64::max);
    Ok(Plan { parcels, holds, books, minutes, destination: to.clone() })
}

/// Where an order is.
#[derive(Debug, Clone, std::marker::Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderState {
    /// Placed: the copies are reserved.
    Placed,
    /// Staff are taking the copies off the shelf.
    Picking,
    /// Packed.
    Packed,
    /// The courier has it (to the reader's door, or to another branch's desk).
    WithCourier,
    /// Delivered: the loans have started.
    Delivered,
    /// Waiting at the desk.
    ReadyForPickup,
    /// Collected at the desk: the loans have started.
    Collected,
    /// Cancelled before the courier had it: the copies went back.
    Cancelled,
}

impl OrderState {
    /// The stable code.
    pub fn code(self) -> &'static str {
        match self {
            OrderState::Placed => "placed",
            OrderState::Picking => "picking",
            OrderState::Packed => "packed",
            OrderState::WithCourier => "with_courier",
            OrderState::Delivered => "delivered",
            OrderState::ReadyForPickup => "ready_for_pickup",
            OrderState::Collected => "collected",
            OrderState::Cancelled => "cancelled",
        }
    }

    /// Not yet delivered, collected or cancelled.
    pub fn is_open(self) -> bool {
        !matches!(self, OrderState::Delivered | OrderState::Collected | OrderState::Cancelled)
    }
}

/// One parcel of a request, from one branch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Order {
    /// Its id (given by the caller).
    pub id: String,
    /// The request it belongs to (the reader's one click; the same for every parcel of it).
    pub request: String,
    /// The reader.
    pub reader: ReaderId,
    /// The branch that sends it.
    pub branch: BranchCode,
    /// Where it goes.
    pub destination: Destination,
    /// Its copies.
    pub items: Vec<Pick>,
    /// Its fee (the whole request's on its first parcel, nothing on the others).
    pub quote: Quote,
    /// Where it is.
    pub state: OrderState,
    /// When it was placed.
    pub placed_at: DateTime<Utc>,
    /// Every state reached, with its time.
    pub steps: Vec<(OrderState, DateTime<Utc>)>,
}

/// Places a planned request: the plan's copies must all still be on the shelf and the reader in
/// none of the held titles' queues yet (else nothing changes); the copies are reserved, one order
/// per parcel is made (ids `{request}-1`, `-2`, …) and the reader joins the held titles' queues.
/// `quote` is the fee quoted for the plan's books (none when the plan sends nothing).
pub fn place(
    catalogue: &mut Catalogue,
    holds: &mut Holds,
    plan: &Plan,
    request: &str,
    reader: &ReaderId,
    quote: Option<&Quote>,
    now: DateTime<Utc>,
) -> Result<Placed, LibraryError> {
    if request.trim().is_empty() {
        return Err(LibraryError::invalid("request", "订单号为空", "the request id is empty"));
    }
    let quote = match quote {
        Some(q) if q.books == plan.books => q,
        None if plan.books == 0 => &Quote::nothing(),
        _ => return Err(LibraryError::invalid("quote", "运费报价的册数与订单不符，请重新报价", "the quote is for another number of books; quote again")),
    };
    for p in plan.parcels.iter().flat_map(|p| &p.picks) {
        let c = catalogue.copy(&p.barcode).ok_or_else(|| LibraryError::not_found("copy", p.barcode.as_str()))?;
        if c.status != ShelfStatus::OnShelf {
            return Err(LibraryError::WrongState { what: "copy", state: c.status.code(), action: "order" });
        }
    }
    for isbn in &plan.holds {
        if catalogue.title(isbn).is_none() {
            return Err(LibraryError::not_found("title", isbn.as_str()));
        }
        if holds.queue(isbn).iter().any(|h| &h.reader == reader && h.state.is_open()) {
            return Err(LibraryError::AlreadyHeld { isbn: isbn.to_string() });
        }
    }
    for p in plan.parcels.iter().flat_map(|p| &p.picks) {
        catalogue.set_status(&p.barcode, ShelfStatus::ReservedForOrder)?;
    }
    let mut held = Vec::with_capacity(plan.holds.len());
    for isbn in &plan.holds {
        held.push(holds.place(catalogue, isbn, reader, now)?);
    }
    let orders = plan
        .parcels
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let mut q = quote.clone();
            q.books = p.picks.len() as u32;
            if i > 0 {
                (q.fee_fen, q.base_fen, q.waived_fen, q.label) = (Fen(0), Fen(0), Fen(0), None);
            }
            Order {
                id: format!("{request}-{}", i + 1),
                request: request.to_owned(),
                reader: reader.clone(),
                branch: p.branch.clone(),
                destination: plan.destination.clone(),
                items: p.picks.clone(),
                quote: q,
                state: OrderState::Placed,
                placed_at: now,
                steps: vec![(OrderState::Placed, now)],
            }
        })
        .collect();
    Ok(Placed { orders, holds: held })
}

impl Order {
    fn wrong(&self, action: &'static str) -> LibraryError {
        LibraryError::WrongState { what: "order", state: self.state.code(), action }
    }

    fn step(&mut self, s: OrderState, now: DateTime<Utc>) {
        self.state = s;
        self.steps.push((s, now));
    }

    /// Whether the parcel is collected at the branch that sends it (no courier).
    fn at_own_desk(&self) -> bool {
        matches!(&self.destination, Destination::Branch { branch } if branch == &self.branch)
    }

    /// Staff start taking the copies off the shelf.
    pub fn start_picking(&mut self, now: DateTime<Utc>) -> Result<(), LibraryError> {
        if self.state != OrderState::Placed {
            return Err(self.wrong("pick"));
        }
        self.step(OrderState::Picking, now);
        Ok(())
    }

    /// Packed.
    pub fn pack(&mut self, now: DateTime<Utc>) -> Result<(), LibraryError> {
        if self.state != OrderState::Picking {
            return Err(self.wrong("pack"));
        }
        self.step(OrderState::Packed, now);
        Ok(())
    }

    /// The courier takes the parcel (to the reader's door, or to another branch's desk).
    pub fn hand_to_courier(&mut self, now: DateTime<Utc>) -> Result<(), LibraryError> {
        if self.state != OrderState::Packed || self.at_own_desk() {
            return Err(self.wrong("hand_to_courier"));
        }
        self.step(OrderState::WithCourier, now);
        Ok(())
    }

    fn lend(&self, catalogue: &mut Catalogue, now: DateTime<Utc>, rules: &LibraryRules) -> Result<Vec<Loan>, LibraryError> {
        let today = domain::china_date(now);
        let mut loans = Vec::with_capacity(self.items.len());
        for p in &self.items {
            let c = catalogue.copy(&p.barcode).ok_or_else(|| LibraryError::not_found("copy", p.barcode.as_str()))?;
            loans.push(Loan::start(format!("{}/{}", self.id, p.barcode), self.reader.clone(), c, Some(self.id.clone()), today, rules));
        }
        for p in &self.items {
            catalogue.set_status(&p.barcode, ShelfStatus::OnLoan)?;
        }
        Ok(loans)
    }

    /// The courier delivered it to the reader's door: the loans start today.
    pub fn deliver(&mut self, catalogue: &mut Catalogue, now: DateTime<Utc>, rules: &LibraryRules) -> Result<Vec<Loan>, LibraryError> {
        if self.state != OrderState::WithCourier || self.destination.handover() != Handover::Delivery {
            return Err(self.wrong("deliver"));
        }
        let loans = self.lend(catalogue, now, rules)?;
        self.step(OrderState::Delivered, now);
        Ok(loans)
    }

    /// The parcel waits at the pick-up desk (packed at that branch, or brought there by courier).
    pub fn ready_for_pickup(&mut self, now: DateTime<Utc>) -> Result<(), LibraryError> {
        let ok = match self.state {
            OrderState::Packed => self.at_own_desk(),
            OrderState::WithCourier => self.destination.handover() == Handover::Pickup,
            _ => false,
        };
        if !ok {
            return Err(self.wrong("ready_for_pickup"));
        }
        self.step(OrderState::ReadyForPickup, now);
        Ok(())
    }

    /// The reader collected it at the desk: the loans start today.
    pub fn collect(&mut self, catalogue: &mut Catalogue, now: DateTime<Utc>, rules: &LibraryRules) -> Result<Vec<Loan>, LibraryError> {
        if self.state != OrderState::ReadyForPickup {
            return Err(self.wrong("collect"));
        }
        let loans = self.lend(catalogue, now, rules)?;
        self.step(OrderState::Collected, now);
        Ok(loans)
    }

    /// Cancels the order before the courier has it (or when it was never collected from the
    /// desk): each copy goes back — at its own branch to the next hold or the shelf, from another
    /// branch's desk in transit home (check it in there with [`Holds::copy_back`]).
    pub fn cancel(
        &mut self,
        catalogue: &mut Catalogue,
        holds: &mut Holds,
        now: DateTime<Utc>,
        rules: &LibraryRules,
    ) -> Result<Vec<(Barcode, Option<CheckIn>)>, LibraryError> {
        if !matches!(self.state, OrderState::Placed | OrderState::Picking | OrderState::Packed | OrderState::ReadyForPickup) {
            return Err(self.wrong("cancel"));
        }
        for p in &self.items {
            let c = catalogue.copy(&p.barcode).ok_or_else(|| LibraryError::not_found("copy", p.barcode.as_str()))?;
            if c.status.is_gone() {
                return Err(LibraryError::CopyWithdrawn { barcode: p.barcode.to_string(), status: c.status.code() });
            }
        }
        let away = self.state == OrderState::ReadyForPickup && !self.at_own_desk();
        let today = domain::china_date(now);
        let mut out = Vec::with_capacity(self.items.len());
        for p in &self.items {
            if away {
                catalogue.set_status(&p.barcode, ShelfStatus::InTransit)?;
                out.push((p.barcode.clone(), None));
            } else {
                out.push((p.barcode.clone(), Some(holds.copy_back(catalogue, &p.barcode, today, rules)?)));
            }
        }
        self.step(OrderState::Cancelled, now);
        Ok(out)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use chrono::NaiveDate;

    use super::*;
    use crate::fees::FeeRules;
    use crate::fees::quote;
    use crate::holds::tests::at;
    use crate::holds::tests::r;
    use crate::holds::tests::sample;

    const HONGLOUMENG: &str = "9787020002207";
    const HUOZHE: &str = "9787506365437";
    const SANTI: &str = "9787536692930";
    const PINGFAN: &str = "9787530212004";

    fn t(s: &str) -> Wanted {
        Wanted::Title(Isbn::parse(s).unwrap())
    }

    /// Near the main library (富春街道).
    fn home() -> Destination {
        Destination::Home { lat: 30.05, lon: 119.955 }
    }

    #[test]
    fn one_branch_holding_every_title_sends_one_parcel() {
        let (c, rules) = sample();
        let p = plan(&c, &rules, &ReaderFacts::default(), &[t(HONGLOUMENG), t(HUOZHE), t(SANTI)], &home()).unwrap();
        assert_eq!(p.parcels.len(), 1);
        assert_eq!(p.parcels[0].branch.as_str(), "FY-ZG");
        assert_eq!(p.books, 3);
        assert!(p.holds.is_empty());
        assert!(p.parcels[0].minutes >= 30.0 && p.parcels[0].minutes < 35.0, "{}", p.parcels[0].minutes);
    }

    #[test]
    fn titles_nowhere_together_are_split_and_titles_with_no_free_copy_are_held() {
        let (mut c, rules) = sample();
        // 平凡的世界 is at 银湖 and 场口 only; 红楼梦 at the main library, 银湖 and 新登.
        let p = plan(&c, &rules, &ReaderFacts::default(), &[t(HONGLOUMENG), t(PINGFAN)], &home()).unwrap();
        assert_eq!(p.parcels.len(), 1, "银湖 holds both");
        assert_eq!(p.parcels[0].branch.as_str(), "FY-YH");
        // 活着 (main library, 东洲) with 平凡的世界 (银湖, 场口): two parcels.
        let p = plan(&c, &rules, &ReaderFacts::default(), &[t(HUOZHE), t(PINGFAN)], &home()).unwrap();
        assert_eq!(p.parcels.len(), 2);
        assert_eq!(p.parcels[0].branch.as_str(), "FY-ZG");
        // Every copy of 活着 out: it becomes a hold.
        for bc in ["FY0000201", "FY0000202"] {
            c.set_status(&Barcode::parse(bc).unwrap(), ShelfStatus::OnLoan).unwrap();
        }
        let p = plan(&c, &rules, &ReaderFacts::default(), &[t(HUOZHE), t(SANTI)], &home()).unwrap();
        assert_eq!(p.holds, vec![Isbn::parse(HUOZHE).unwrap()]);
        assert_eq!(p.books, 1);
        let fees = FeeRules::embedded().unwrap();
        let q = quote(&fees, p.books, NaiveDate::from_ymd_opt(2027, 1, 10).unwrap(), Handover::Delivery).unwrap();
        let mut holds = Holds::new();
        let placed = place(&mut c, &mut holds, &p, "R5", &r("reader-a"), Some(&q), at(7, 1)).unwrap();
        assert_eq!(placed.holds.len(), 1);
        assert_eq!(holds.waiting(&Isbn::parse(HUOZHE).unwrap()), 1);
        // The same title held again by the same reader: refused before anything changes.
        let p2 = plan(&c, &rules, &ReaderFacts::default(), &[t(HUOZHE), t(HONGLOUMENG)], &home()).unwrap();
        let q2 = quote(&fees, p2.books, NaiveDate::from_ymd_opt(2027, 1, 10).unwrap(), Handover::Delivery).unwrap();
        let before = c.copies().to_vec();
        assert_eq!(place(&mut c, &mut holds, &p2, "R6", &r("reader-a"), Some(&q2), at(7, 2)).unwrap_err().code_str(), "already_held");
        assert_eq!(c.copies(), before.as_slice());
    }

    #[test]
    fn bad_requests_are_refused() {
        let (mut c, rules) = sample();
        let none = ReaderFacts::default();
        let e = plan(&c, &rules, &none, &[Wanted::Title(Isbn::complete("978711111111").unwrap())], &home()).unwrap_err();
        assert_eq!((e.code_str(), e.field().as_deref()), ("library_not_found", Some("title")));
        let bc = Barcode::parse("FY0000101").unwrap();
        c.set_status(&bc, ShelfStatus::Withdrawn).unwrap();
        let e = plan(&c, &rules, &none, &[Wanted::Copy(bc)], &home()).unwrap_err();
        assert_eq!(e.code_str(), "copy_withdrawn");
        let full = ReaderFacts { holding: vec![], items: 19, overdue: 0 };
        let e = plan(&c, &rules, &full, &[t(HUOZHE), t(SANTI)], &home()).unwrap_err();
        assert_eq!(e, LibraryError::LoanLimit { limit: 20, current: 19, wanted: 21 });
        let has = ReaderFacts { holding: vec![Isbn::parse(SANTI).unwrap()], items: 1, overdue: 0 };
        assert_eq!(plan(&c, &rules, &has, &[t(SANTI)], &home()).unwrap_err().code_str(), "already_on_loan");
        let late = ReaderFacts { holding: vec![], items: 1, overdue: 1 };
        assert_eq!(plan(&c, &rules, &late, &[t(SANTI)], &home()).unwrap_err().code_str(), "borrowing_suspended");
        assert_eq!(plan(&c, &rules, &none, &[t(SANTI), t(SANTI)], &home()).unwrap_err().field().as_deref(), Some("titles"));
        assert_eq!(plan(&c, &rules, &none, &[], &home()).unwrap_err().field().as_deref(), Some("titles"));
        let eleven: Vec<Wanted> = (0..11).map(|_| t(SANTI)).collect();
        assert_eq!(plan(&c, &rules, &none, &eleven, &home()).unwrap_err().code_str(), "too_many_titles");
        let ws = Destination::Branch { branch: BranchCode::parse("FY-WS").unwrap() };
        assert_eq!(plan(&c, &rules, &none, &[t(SANTI)], &ws).unwrap_err().field().as_deref(), Some("branch"));
    }

    #[test]
    fn a_delivered_order_walks_every_state_and_starts_loans() {
        let (mut c, rules) = sample();
        let fees = FeeRules::embedded().unwrap();
        let p = plan(&c, &rules, &ReaderFacts::default(), &[t(HONGLOUMENG), t(HUOZHE), t(SANTI)], &home()).unwrap();
        let q = quote(&fees, p.books, NaiveDate::from_ymd_opt(2026, 12, 7).unwrap(), Handover::Delivery).unwrap();
        assert_eq!(q.label.as_deref(), Some("免运费"));
        let mut holds = Holds::new();
        let mut orders = place(&mut c, &mut holds, &p, "R1", &r("reader-a"), Some(&q), at(7, 1)).unwrap().orders;
        assert_eq!(orders.len(), 1);
        let o = &mut orders[0];
        assert_eq!(c.copy(&o.items[0].barcode).unwrap().status, ShelfStatus::ReservedForOrder);
        // Placing the same plan again: its copies are taken, nothing changes.
        assert_eq!(place(&mut c, &mut holds, &p, "R2", &r("reader-b"), Some(&q), at(7, 1)).unwrap_err().code_str(), "library_wrong_state");
        let before = o.clone();
        assert_eq!(o.pack(at(7, 2)).unwrap_err().to_string(), "cannot pack: the order is placed");
        assert_eq!(*o, before);
        o.start_picking(at(7, 2)).unwrap();
        o.pack(at(7, 3)).unwrap();
        assert!(o.ready_for_pickup(at(7, 3)).is_err(), "a delivery does not wait at a desk");
        o.hand_to_courier(at(7, 4)).unwrap();
        assert_eq!(o.cancel(&mut c, &mut holds, at(7, 4), &rules).unwrap_err().code_str(), "library_wrong_state");
        let loans = o.deliver(&mut c, at(7, 6), &rules).unwrap();
        assert_eq!(loans.len(), 3);
        assert_eq!(loans[0].due, NaiveDate::from_ymd_opt(2027, 1, 6).unwrap());
        assert!(o.items.iter().all(|p| c.copy(&p.barcode).unwrap().status == ShelfStatus::OnLoan));
        let states: Vec<&str> = o.steps.iter().map(|(s, _)| s.code()).collect();
        assert_eq!(states, ["placed", "picking", "packed", "with_courier", "delivered"]);
        assert!(o.deliver(&mut c, at(7, 7), &rules).is_err());
        // The reader now holds these titles.
        let f = ReaderFacts::of(&r("reader-a"), &loans, &orders, NaiveDate::from_ymd_opt(2026, 12, 8).unwrap());
        assert_eq!(f.items, 3);
    }

    #[test]
    fn a_pickup_at_another_branch_travels_by_courier_and_a_cancel_there_sends_copies_home() {
        let (mut c, rules) = sample();
        let fees = FeeRules::embedded().unwrap();
        // 三体 is at the main library, 银湖 and 春江; 东洲 has a desk but no copy.
        let dz = Destination::Branch { branch: BranchCode::parse("FY-DZ").unwrap() };
        let p = plan(&c, &rules, &ReaderFacts::default(), &[t(SANTI)], &dz).unwrap();
        assert_eq!(p.parcels[0].branch.as_str(), "FY-ZG", "the main library picks fastest");
        assert!(p.parcels[0].minutes > 30.0);
        let q = quote(&fees, p.books, NaiveDate::from_ymd_opt(2027, 1, 10).unwrap(), Handover::Pickup).unwrap();
        assert_eq!(q.fee_fen, Fen(0));
        let mut holds = Holds::new();
        let mut o = place(&mut c, &mut holds, &p, "R4", &r("reader-a"), Some(&q), at(7, 1)).unwrap().orders.remove(0);
        o.start_picking(at(7, 2)).unwrap();
        o.pack(at(7, 3)).unwrap();
        assert!(o.ready_for_pickup(at(7, 3)).is_err(), "the parcel is not at 东洲 yet");
        o.hand_to_courier(at(7, 4)).unwrap();
        assert!(o.deliver(&mut c, at(7, 5), &rules).is_err(), "a pick-up is not delivered home");
        o.ready_for_pickup(at(7, 6)).unwrap();
        let back = o.cancel(&mut c, &mut holds, at(14, 1), &rules).unwrap();
        assert_eq!(back[0].1, None);
        assert_eq!(c.copy(&back[0].0).unwrap().status, ShelfStatus::InTransit);
        assert_eq!(holds.copy_back(&mut c, &back[0].0, NaiveDate::from_ymd_opt(2026, 12, 15).unwrap(), &rules).unwrap(), CheckIn::Shelf);
    }

    #[test]
    fn orders_plans_and_holds_survive_a_json_round_trip() {
        let (mut c, rules) = sample();
        let fees = FeeRules::embedded().unwrap();
        let p = plan(&c, &rules, &ReaderFacts::default(), &[t(HUOZHE), t(PINGFAN)], &home()).unwrap();
        let q = quote(&fees, p.books, NaiveDate::from_ymd_opt(2027, 1, 10).unwrap(), Handover::Delivery).unwrap();
        let mut holds = Holds::new();
        holds.place(&c, &Isbn::parse(SANTI).unwrap(), &r("reader-b"), at(7, 1)).unwrap();
        let placed = place(&mut c, &mut holds, &p, "R7", &r("reader-a"), Some(&q), at(7, 1)).unwrap();
        let json = serde_json::to_string(&placed).unwrap();
        assert_eq!(serde_json::from_str::<Placed>(&json).unwrap(), placed);
        assert_eq!(serde_json::from_str::<Plan>(&serde_json::to_string(&p).unwrap()).unwrap(), p);
        let hj = serde_json::to_string(&holds).unwrap();
        assert_eq!(serde_json::from_str::<Holds>(&hj).unwrap(), holds);
        // A stored ISBN with a wrong check digit does not come back.
        assert!(serde_json::from_str::<Isbn>("\"9787536692931\"").is_err());
        let w: Wanted = serde_json::from_str(r#"{"by":"title","id":"9787536692930"}"#).unwrap();
        assert_eq!(w, t(SANTI));
    }

    #[test]
    fn two_books_cost_3_yuan_outside_a_promotion_and_a_split_charges_once() {
        let (mut c, rules) = sample();
        let fees = FeeRules::embedded().unwrap();
        let p = plan(&c, &rules, &ReaderFacts::default(), &[t(HUOZHE), t(PINGFAN)], &home()).unwrap();
        let q = quote(&fees, p.books, NaiveDate::from_ymd_opt(2027, 1, 10).unwrap(), Handover::Delivery).unwrap();
        assert_eq!(q.fee_fen, Fen(300));
        let orders = place(&mut c, &mut Holds::new(), &p, "R9", &r("reader-a"), Some(&q), at(7, 1)).unwrap().orders;
        assert_eq!(orders.len(), 2);
        assert_eq!(orders.iter().map(|o| o.quote.fee_fen.0).sum::<i64>(), 300);
        assert_eq!(orders[1].id, "R9-2");
    }

    #[test]
    fn a_pickup_order_waits_at_the_desk_and_a_cancel_gives_copies_to_holds() {
        let (mut c, rules) = sample();
        let fees = FeeRules::embedded().unwrap();
        let zg = Destination::Branch { branch: BranchCode::parse("FY-ZG").unwrap() };
        let p = plan(&c, &rules, &ReaderFacts::default(), &[t(HUOZHE)], &zg).unwrap();
        assert_eq!(p.parcels[0].minutes, 30.0);
        let q = quote(&fees, p.books, NaiveDate::from_ymd_opt(2026, 12, 7).unwrap(), Handover::Pickup).unwrap();
        let mut holds = Holds::new();
        let mut o = place(&mut c, &mut holds, &p, "R3", &r("reader-a"), Some(&q), at(7, 1)).unwrap().orders.remove(0);
        o.start_picking(at(7, 2)).unwrap();
        o.pack(at(7, 3)).unwrap();
        assert!(o.hand_to_courier(at(7, 3)).is_err(), "collected where it was packed");
        o.ready_for_pickup(at(7, 4)).unwrap();
        let h = holds.place(&c, &Isbn::parse(HUOZHE).unwrap(), &r("reader-b"), at(7, 5)).unwrap();
        let back = o.cancel(&mut c, &mut holds, at(9, 1), &rules).unwrap();
        assert!(matches!(&back[0].1, Some(CheckIn::Hold { hold, .. }) if *hold == h));
        assert_eq!(o.state, OrderState::Cancelled);
        assert!(o.collect(&mut c, at(9, 2), &rules).is_err());
    }
}
