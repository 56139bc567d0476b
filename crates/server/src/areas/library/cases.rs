//! One-click library borrowing's use cases: the branches and the catalogue (imported by library
//! staff from CSV or MARC 21, all or nothing, each barcode once in the district); the delivery fee
//! quoted before ordering; a resident's one click planned by the `library` engine (copies from the
//! fastest branch, holds for titles with no free copy) and kept with the copies it took in one
//! commit; the staff's steps of an order (picking, packing, the courier, delivery or the desk),
//! which start the loans; renewals, returns by courier or at any desk (in transit home, then to
//! the next hold or the shelf), holds; overdue and hold notices; the library cockpit.
//!
//! A title is kept whole with its copies and its hold queue (`title`, id = its ISBN-13), so that
//! every change to a title's copies is one versioned save: two servers cannot lend one copy twice.

use std::collections::BTreeMap;
use std::collections::HashMap;
use std::sync::OnceLock;

use chrono::DateTime;
use chrono::NaiveDate;
use chrono::SecondsFormat;
use chrono::Utc;
use domain::Describe;
use library::Barcode;
use library::BranchCode;
use library::Catalogue;
use library::FeeRules;
use library::Handover;
use library::Holds;
use library::Isbn;
use library::LibraryError;
use library::LibraryRules;
use library::Loan;
use library::Order;
use library::OrderState;
use library::Quote;
use library::ReaderId;
use library::ShelfStatus;
use library::Title;
use library::catalogue::Copy;
use library::holds::CheckIn;
use library::holds::Hold;
use library::holds::HoldId;
use library::holds::HoldState;
use library::loan::Return;
use library::order::Destination;
use library::order::ReaderFacts;
use library::order::Wanted;
use serde::Deserialize;
use serde::Serialize;
use store::Doc;
use store::DocChange;
use store::DocFilter;
use store::DocSave;
use store::PlainNotice;

use crate::areas::governance::cases::decode;
use crate::auth::Principal;
use crate::failure::Failure;
use crate::failure::Fallible;
use crate::policy::Who;
use crate::state::AppState;
use super::views::*;

/// The most copies one import may add.
pub const MAX_IMPORT_COPIES: usize = 20_000;

// ---------------------------------------------------------------------------------------------
// What is kept, and the rules.

/// A title as kept: its copies and its hold queue with it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredTitle {
    pub title: Title,
    pub copies: Vec<Copy>,
    #[serde(default)]
    pub holds: Vec<Hold>,
}

/// A loan as kept, with its return when one is under way.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredLoan {
    pub loan: Loan,
    pub account: i64,
    #[serde(default)]
    pub ret: Option<Return>,
    /// Overdue notices sent (the days they were for).
    #[serde(default)]
    pub noticed: Vec<NaiveDate>,
}

/// An order as kept.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredOrder {
    pub order: Order,
    pub account: i64,
}

struct Rules {
    branches: Vec<library::Branch>,
    fees: FeeRules,
    rules: LibraryRules,
}

fn rules() -> Fallible<&'static Rules> {
    static R: OnceLock<Result<Rules, String>> = OnceLock::new();
    let r = R.get_or_init(|| {
        Ok(Rules {
            branches: library::catalogue::embedded_branches().map_err(|e| e.to_string())?,
            fees: FeeRules::embedded().map_err(|e| e.to_string())?,
            rules: LibraryRules::embedded().map_err(|e| e.to_string())?,
        })
    });
    r.as_ref().map_err(|e| Failure::internal(std::io::Error::other(format!("library rules: {e}"))))
}

fn engine_error(e: &LibraryError) -> Failure {
    match e.kind() {
        domain::ErrorKind::NotFound => Failure::Invalid { code: e.code(), zh: e.message_zh(), en: e.message_en(), field: e.field() },
        k => Failure::of_engine(k, e as &dyn Describe, e.field()),
    }
}

fn no_order() -> Failure {
    Failure::not_found("没有这个借阅订单", "No such borrowing order")
}

fn no_loan() -> Failure {
    Failure::not_found("没有这笔借阅", "No such loan")
}

fn no_hold() -> Failure {
    Failure::not_found("没有这个预约", "No such hold")
}

fn no_title() -> Failure {
    Failure::not_found("馆藏中没有这本书", "No such title in the catalogue")
}

fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn library_staff(state: &AppState, p: &Principal) -> Fallible<()> {
    if crate::areas::places::cases::is_staff(state, p, Who::LIBRARY) {
        Ok(())
    } else {
        Err(Failure::Forbidden { code: "library_staff_only", zh: "只有公共图书馆的工作人员可以做这件事".into(), en: "Only the public libraries' staff may do this".into(), field: None })
    }
}

/// The signed-in resident as a reader.
fn reader_of(p: &Principal) -> Fallible<ReaderId> {
    if p.account.kind != store::AccountKind::Citizen {
        return Err(Failure::forbidden("借书请用居民账号登录（读者即居民，一个身份）", "Borrow with a resident's account (readers are residents: one identity)"));
    }
    ReaderId::parse(&format!("account:{}", p.id().0)).map_err(|e| engine_error(&e))
}

fn account_of(reader: &ReaderId) -> Option<i64> {
    reader.as_str().strip_prefix("account:").and_then(|n| n.parse().ok())
}

fn notice(state: &AppState, account: i64, zh: String, en: String) -> PlainNotice {
    (state.parts.ids.next(), format!("account:{account}"), "library".to_owned(), zh, en)
}

/// A reader told that a copy is kept for their hold.
fn ready_notice(state: &AppState, account: i64, branch: &BranchCode, until: NaiveDate) -> PlainNotice {
    notice(state, account, format!("您预约的书已在{}为您保留，请于 {until} 前取书", branch_name(branch)), format!("A book you reserved is kept for you at {branch} until {until}"))
}

fn isbn_id(isbn: &Isbn) -> Fallible<i64> {
    isbn.as_str().parse().map_err(|_| Failure::internal(std::io::Error::other("an ISBN-13 is digits")))
}

fn parse_isbn(s: &str, field: &str) -> Fallible<Isbn> {
    Isbn::parse(s.trim()).map_err(|e| {
        let f = engine_error(&e);
        match f {
            Failure::Invalid { code, zh, en, .. } => Failure::Invalid { code, zh, en, field: Some(field.to_owned()) },
            other => other,
        }
    })
}

fn branch_name(code: &BranchCode) -> String {
    rules().ok().and_then(|r| r.branches.iter().find(|b| &b.code == code)).map_or_else(|| code.to_string(), |b| b.name.clone())
}

// ---------------------------------------------------------------------------------------------
// Titles loaded for a change, and saved back.

/// Titles read for a change: their records (for the versions), the engine's catalogue of them and
/// their hold queues.
struct Loaded {
    docs: HashMap<Isbn, Doc>,
    before: HashMap<Isbn, String>,
    catalogue: Catalogue,
    holds: Holds,
}

async fn load(state: &AppState, isbns: &[Isbn]) -> Fallible<Loaded> {
    let r = rules()?;
    let ids: Vec<i64> = isbns.iter().map(isbn_id).collect::<Fallible<_>>()?;
    let docs = state.store.city().docs("title", &ids).await?;
    let mut titles = Vec::with_capacity(docs.len());
    let mut copies = Vec::new();
    let mut holds = Vec::new();
    let mut by_isbn = HashMap::new();
    let mut before = HashMap::new();
    for d in docs {
        let t: StoredTitle = decode(&d)?;
        by_isbn.insert(t.title.isbn.clone(), d.clone());
        before.insert(t.title.isbn.clone(), d.doc.clone());
        titles.push(t.title);
        copies.extend(t.copies);
        holds.extend(t.holds);
    }
    let catalogue = Catalogue::from_parts(r.branches.clone(), titles, copies).map_err(|e| engine_error(&e))?;
    // Hold ids from the district's id generator: no two servers give the same.
    let holds = Holds::from_holds(holds, state.parts.ids.next().unsigned_abs());
    Ok(Loaded { docs: by_isbn, before, catalogue, holds })
}

fn title_doc(t: &StoredTitle, old: Option<&Doc>, now: DateTime<Utc>) -> Fallible<Doc> {
    let mut d = crate::areas::places::cases::doc_of("title", isbn_id(&t.title.isbn)?, t, old, now)?;
    d.state = Some(t.title.subject.clone());
    d.n = Some(t.copies.len() as i64);
    d.open = true;
    Ok(d)
}

impl Loaded {
    /// The titles whose copies or holds changed, as new versions.
    fn changed(&self, now: DateTime<Utc>) -> Fallible<Vec<Doc>> {
        let mut out = Vec::new();
        for (isbn, doc) in &self.docs {
            let Some(title) = self.catalogue.title(isbn) else { continue };
            let t = StoredTitle { title: title.clone(), copies: self.catalogue.copies_of(isbn).cloned().collect(), holds: self.holds.of_title(isbn) };
            let d = title_doc(&t, Some(doc), now)?;
            if self.before.get(isbn) != Some(&d.doc) {
                out.push(d);
            }
        }
        Ok(out)
    }

    fn title_name(&self, isbn: &Isbn) -> String {
        self.catalogue.title(isbn).map_or_else(|| isbn.to_string(), |t| t.title.clone())
    }
}

/// Saves a change, or tells the caller to read again and retry (`None`).
async fn save(state: &AppState, change: DocChange) -> Fallible<Option<()>> {
    match state.store.city().save(&change, state.now()).await? {
        DocSave::Saved => Ok(Some(())),
        DocSave::Stale => Ok(None),
        DocSave::Claimed(kind, claim, _) => Err(Failure::Conflict {
            code: "already_taken",
            zh: format!("{claim} 已被占用（{kind}）"),
            en: format!("{claim} is taken ({kind})"),
            field: None,
        }),
    }
}

fn changed_meanwhile() -> Failure {
    crate::areas::governance::cases::changed_meanwhile()
}

// ---------------------------------------------------------------------------------------------
// Branches, the catalogue and imports.

/// The district's public libraries.
pub fn branches() -> Fallible<Vec<BranchView>> {
    Ok(rules()?
        .branches
        .iter()
        .map(|b| BranchView { code: b.code.to_string(), name: b.name.clone(), lat: b.lat, lon: b.lon, pickup_desk: b.pickup_desk, picking_minutes: b.picking_minutes })
        .collect())
}

fn title_view(t: &StoredTitle) -> TitleView {
    let mut by_branch: BTreeMap<String, (u32, u32)> = BTreeMap::new();
    for c in &t.copies {
        if c.status.is_gone() {
            continue;
        }
        let e = by_branch.entry(c.branch.to_string()).or_default();
        e.0 += 1;
        if c.status == ShelfStatus::OnShelf {
            e.1 += 1;
        }
    }
    TitleView {
        isbn: t.title.isbn.to_string(),
        title: t.title.title.clone(),
        author: t.title.author.clone(),
        subject: t.title.subject.clone(),
        publisher: t.title.publisher.clone(),
        year: t.title.year,
        copies: by_branch.values().map(|v| v.0).sum(),
        available: by_branch.values().map(|v| v.1).sum(),
        holds_waiting: t.holds.iter().filter(|h| h.state == HoldState::Waiting).count() as u32,
        branches: by_branch.into_iter().map(|(branch, (copies, available))| BranchCopiesView { branch, copies, available }).collect(),
    }
}

/// The catalogue: titles matching words of the title or author, an ISBN or a subject (at most 100).
pub async fn titles(state: &AppState, q: TitleQuery) -> Fallible<Vec<TitleView>> {
    let words = q.q.as_deref().map(str::trim).filter(|w| !w.is_empty()).map(str::to_lowercase);
    let subject = q.subject.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned);
    if let Some(isbn) = words.as_deref().and_then(|w| Isbn::parse(w).ok()) {
        return Ok(match state.store.city().doc("title", isbn_id(&isbn)?).await? {
            Some(d) => vec![title_view(&decode(&d)?)],
            None => Vec::new(),
        });
    }
    let filter = DocFilter { state: subject, ..Default::default() };
    let mut out = Vec::new();
    for d in state.store.city().all("title", &filter).await? {
        let t: StoredTitle = decode(&d)?;
        let hit = words.as_deref().is_none_or(|w| t.title.title.to_lowercase().contains(w) || t.title.author.to_lowercase().contains(w));
        if hit {
            out.push(title_view(&t));
            if out.len() == 100 {
                break;
            }
        }
    }
    Ok(out)
}

/// One title with its copies by branch.
pub async fn title(state: &AppState, isbn: &str) -> Fallible<TitleView> {
    let isbn = Isbn::parse(isbn.trim()).map_err(|_| no_title())?;
    let d = state.store.city().doc("title", isbn_id(&isbn)?).await?.ok_or_else(no_title)?;
    Ok(title_view(&decode(&d)?))
}

/// Imports a catalogue file (library staff): every row or record is checked first; then all of it
/// is added in one commit, or nothing (a barcode the district has already is a 409).
pub async fn import(state: &AppState, p: &Principal, format: &str, body: &[u8]) -> Fallible<ImportView> {
    library_staff(state, p)?;
    let r = rules()?;
    let mut fresh = Catalogue::new(r.branches.clone()).map_err(|e| engine_error(&e))?;
    let report = match format.trim() {
        "csv" => {
            let text = std::str::from_utf8(body).map_err(|_| Failure::invalid("not_utf8", "body", "CSV 文件应为 UTF-8 编码", "The CSV file must be UTF-8"))?;
            fresh.import_csv(text)
        }
        "marc" => fresh.import_marc(body),
        other => return Err(Failure::invalid("bad_format", "format", format!("format 应为 csv 或 marc，收到 {other}"), format!("format is csv or marc, got {other}"))),
    }
    .map_err(|e| engine_error(&e))?;
    if fresh.copies().len() > MAX_IMPORT_COPIES {
        return Err(Failure::invalid("too_many_copies", "body", format!("一次最多导入 {MAX_IMPORT_COPIES} 册"), format!("at most {MAX_IMPORT_COPIES} copies at a time")));
    }
    let isbns: Vec<Isbn> = fresh.titles().map(|t| t.isbn.clone()).collect();
    let now = state.now();
    for _ in 0..5 {
        let loaded = load(state, &isbns).await?;
        let mut change = DocChange::default();
        let mut titles_added = 0;
        for isbn in &isbns {
            let Some(new) = fresh.title(isbn) else { continue };
            let new_copies: Vec<Copy> = fresh.copies_of(isbn).cloned().collect();
            let (stored, old) = match loaded.docs.get(isbn) {
                Some(d) => {
                    let mut t: StoredTitle = decode(d)?;
                    // A barcode of the title already (its claim is the title's own, so the claim
                    // alone would not say so).
                    if let Some(c) = new_copies.iter().find(|c| t.copies.iter().any(|o| o.barcode == c.barcode)) {
                        return Err(Failure::Conflict { code: "already_taken", zh: format!("条码 {} 已在馆藏中", c.barcode), en: format!("barcode {} is in the catalogue already", c.barcode), field: Some("barcode".into()) });
                    }
                    t.copies.extend(new_copies.iter().cloned());
                    (t, Some(d))
                }
                None => {
                    titles_added += 1;
                    (StoredTitle { title: new.clone(), copies: new_copies.clone(), holds: Vec::new() }, None)
                }
            };
            let doc = title_doc(&stored, old, now)?;
            change.claims.extend(new_copies.iter().map(|c| ("barcode".to_owned(), c.barcode.to_string(), doc.id)));
            change.docs.push(doc);
        }
        if save(state, change).await?.is_some() {
            return Ok(ImportView { titles_added, copies_added: report.copies_added });
        }
    }
    Err(changed_meanwhile())
}

/// The title a copy belongs to, by its barcode's claim (the title's record holds it).
async fn copy_title(state: &AppState, barcode: &Barcode) -> Fallible<Option<Isbn>> {
    match state.store.city().claim("barcode", barcode.as_str()).await? {
        Some(id) => Ok(Isbn::parse(&id.to_string()).ok()),
        None => Ok(None),
    }
}

/// Takes a copy off the shelf (`withdrawn` from the shelf; `lost` from the shelf, a loan or
/// transit) or puts a withdrawn or lost one back (`on_shelf`): library staff.
pub async fn set_copy_status(state: &AppState, p: &Principal, barcode: &str, body: CopyStatusBody) -> Fallible<CopyView> {
    library_staff(state, p)?;
    let not_found = || Failure::not_found("没有这个条码的馆藏", "No copy with this barcode");
    let code = Barcode::parse(barcode.trim()).map_err(|_| not_found())?;
    let isbn = copy_title(state, &code).await?.ok_or_else(not_found)?;
    let to = match body.status.trim() {
        "withdrawn" => ShelfStatus::Withdrawn,
        "lost" => ShelfStatus::Lost,
        "on_shelf" => ShelfStatus::OnShelf,
        other => return Err(Failure::invalid("bad_status", "status", format!("状态应为 withdrawn、lost 或 on_shelf，收到 {other}"), format!("status is withdrawn, lost or on_shelf, got {other}"))),
    };
    for _ in 0..5 {
        let mut loaded = load(state, std::slice::from_ref(&isbn)).await?;
        let now = state.now();
        let from = loaded.catalogue.copy(&code).map(|c| c.status).ok_or_else(not_found)?;
        let allowed = match to {
            ShelfStatus::Withdrawn => from == ShelfStatus::OnShelf,
            ShelfStatus::Lost => matches!(from, ShelfStatus::OnShelf | ShelfStatus::OnLoan | ShelfStatus::InTransit),
            _ => from.is_gone(),
        };
        if !allowed {
            return Err(Failure::Conflict { code: "copy_wrong_state", zh: format!("这册书当前为「{}」，不能改为「{}」", from.code(), to.code()), en: format!("the copy is {}; it cannot become {}", from.code(), to.code()), field: Some("status".into()) });
        }
        if to == ShelfStatus::OnShelf {
            // Back in the collection: to the next reader waiting, else the shelf.
            loaded.catalogue.set_status(&code, ShelfStatus::InTransit).map_err(|e| engine_error(&e))?;
            loaded.holds.copy_back(&mut loaded.catalogue, &code, domain::china_date(now), &rules()?.rules).map_err(|e| engine_error(&e))?;
        } else {
            loaded.catalogue.set_status(&code, to).map_err(|e| engine_error(&e))?;
        }
        let change = DocChange { docs: loaded.changed(now)?, ..Default::default() };
        if save(state, change).await?.is_some() {
            let c = loaded.catalogue.copy(&code).ok_or_else(not_found)?;
            return Ok(CopyView { barcode: c.barcode.to_string(), isbn: c.isbn.to_string(), branch: c.branch.to_string(), status: c.status.code().into() });
        }
    }
    Err(changed_meanwhile())
}

// ---------------------------------------------------------------------------------------------
// Quotes and orders.

fn quote_view(q: &Quote) -> QuoteView {
    QuoteView {
        books: q.books,
        fee_fen: q.fee_fen.0,
        base_fen: q.base_fen.0,
        waived_fen: q.waived_fen.0,
        rule: q.rule_applied.id.clone(),
        rule_zh: q.rule_applied.name_zh.clone(),
        rule_en: q.rule_applied.name_en.clone(),
        label: q.label.clone(),
    }
}

/// What delivering `books` costs today (pick-up is free), shown before ordering.
pub fn quote(state: &AppState, q: QuoteQuery) -> Fallible<QuoteView> {
    let r = rules()?;
    if q.books == 0 || q.books > r.rules.max_titles_per_order {
        return Err(Failure::invalid("bad_books", "books", format!("一次借 1 到 {} 本", r.rules.max_titles_per_order), format!("borrow 1 to {} books at a time", r.rules.max_titles_per_order)));
    }
    let handover = if q.delivery.unwrap_or(true) { Handover::Delivery } else { Handover::Pickup };
    let qt = library::fees::quote(&r.fees, q.books, domain::china_date(state.now()), handover).map_err(|e| engine_error(&e))?;
    Ok(quote_view(&qt))
}

fn order_view(o: &Order, id: i64, names: &dyn Fn(&Isbn) -> String) -> LibraryOrderView {
    let (to, to_branch) = match &o.destination {
        Destination::Home { .. } => ("home", None),
        Destination::Branch { branch } => ("branch", Some(branch.to_string())),
    };
    LibraryOrderView {
        id: id.to_string(),
        request: o.request.clone(),
        branch: o.branch.to_string(),
        branch_name: branch_name(&o.branch),
        state: o.state.code().into(),
        to: to.into(),
        to_branch,
        items: o.items.iter().map(|p| PickView { isbn: p.isbn.to_string(), title: names(&p.isbn), barcode: p.barcode.to_string() }).collect(),
        quote: quote_view(&o.quote),
        placed_at: ts(o.placed_at),
        steps: o.steps.iter().map(|(s, at)| StepView { state: s.code().into(), at: ts(*at) }).collect(),
    }
}

fn hold_view(h: &Hold, holds: Option<&Holds>, title: String) -> HoldView {
    let (branch, until) = match &h.state {
        HoldState::Ready { branch, until, .. } => (Some(branch.to_string()), Some(until.to_string())),
        _ => (None, None),
    };
    HoldView { id: format!("{}.{}", h.isbn, h.id), isbn: h.isbn.to_string(), title, state: h.state.code().into(), position: holds.and_then(|q| q.position(&h.id)), branch, until }
}

fn order_doc(o: &StoredOrder, id: i64, old: Option<&Doc>, now: DateTime<Utc>) -> Fallible<Doc> {
    let mut d = crate::areas::places::cases::doc_of("order", id, o, old, now)?;
    d.actor = Some(o.account);
    d.queue = Some(o.order.branch.to_string());
    d.state = Some(o.order.state.code().into());
    d.open = o.order.state.is_open();
    d.year = Some(i64::from(chrono::Datelike::year(&domain::china_date(o.order.placed_at))));
    d.n = Some(o.order.items.len() as i64);
    d.closed_at = (!o.order.state.is_open()).then_some(now);
    Ok(d)
}

fn loan_doc(l: &StoredLoan, id: i64, old: Option<&Doc>, now: DateTime<Utc>) -> Fallible<Doc> {
    let mut d = crate::areas::places::cases::doc_of("loan", id, l, old, now)?;
    d.actor = Some(l.account);
    d.queue = Some(l.loan.branch.to_string());
    let returning = l.ret.as_ref().map(|r| r.state.code());
    d.state = Some(returning.unwrap_or(if l.loan.is_open() { "open" } else { "returned" }).into());
    d.open = l.ret.as_ref().is_none_or(|r| r.state != library::loan::ReturnState::CheckedIn);
    d.due_at = l.loan.is_open().then(|| l.loan.due.and_hms_opt(16, 0, 0).map(|t| t.and_utc())).flatten();
    d.year = Some(i64::from(chrono::Datelike::year(&l.loan.started)));
    d.n = Some(i64::from(l.loan.renewals));
    Ok(d)
}

/// The reader's open loans and orders (what the loan limit and "already has it" count).
async fn reader_facts(state: &AppState, account: i64, reader: &ReaderId) -> Fallible<ReaderFacts> {
    let city = state.store.city();
    let mine = DocFilter { actor: Some(account), open: Some(true), ..Default::default() };
    let loans: Vec<Loan> = city.all("loan", &mine).await?.iter().map(|d| decode::<StoredLoan>(d).map(|l| l.loan)).collect::<Fallible<_>>()?;
    let orders: Vec<Order> = city.all("order", &mine).await?.iter().map(|d| decode::<StoredOrder>(d).map(|o| o.order)).collect::<Fallible<_>>()?;
    Ok(ReaderFacts::of(reader, &loans, &orders, domain::china_date(state.now())))
}

/// One click: the titles, delivered home or collected at a desk. The engine plans it (copies from
/// the fastest branch; a hold for each title with no free copy), the fee is quoted, and the
/// orders, the copies they take and the holds are saved in one commit.
pub async fn place(state: &AppState, p: &Principal, body: OrderBody) -> Fallible<RequestView> {
    let reader = reader_of(p)?;
    let r = rules()?;
    let mut wanted = Vec::with_capacity(body.isbns.len());
    for (i, s) in body.isbns.iter().enumerate() {
        wanted.push(parse_isbn(s, &format!("isbns[{i}]"))?);
    }
    // Copies asked for by barcode: their titles are read with the others.
    let mut copies = Vec::with_capacity(body.barcodes.len());
    for (i, b) in body.barcodes.iter().enumerate() {
        let field = format!("barcodes[{i}]");
        let code = Barcode::parse(b.trim()).map_err(|_| Failure::invalid("unknown_copy", &field, format!("没有条码为 {b} 的馆藏"), format!("No copy with barcode {b}")))?;
        let title = copy_title(state, &code).await?.ok_or_else(|| Failure::invalid("unknown_copy", &field, format!("没有条码为 {b} 的馆藏"), format!("No copy with barcode {b}")))?;
        copies.push((code, title));
    }
    let to = match (body.lat, body.lon, body.branch.as_deref().map(str::trim).filter(|b| !b.is_empty())) {
        (Some(lat), Some(lon), None) if lat.is_finite() && lon.is_finite() && (-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon) => Destination::Home { lat, lon },
        (None, None, Some(b)) => Destination::Branch { branch: BranchCode::parse(b).map_err(|e| engine_error(&e))? },
        _ => return Err(Failure::invalid("bad_destination", "lat", "请给出送书地址（lat、lon）或自取的分馆（branch），二选一", "Give a delivery address (lat, lon) or a branch to collect at (branch), one of them")),
    };
    let account = p.id().0;
    let now = state.now();
    let titles: Vec<Isbn> = wanted.iter().cloned().chain(copies.iter().map(|(_, t)| t.clone())).collect();
    for _ in 0..5 {
        let mut loaded = load(state, &titles).await?;
        if let Some(missing) = wanted.iter().position(|i| !loaded.docs.contains_key(i)) {
            return Err(Failure::invalid("unknown_title", &format!("isbns[{missing}]"), format!("馆藏中没有 ISBN {}", wanted[missing]), format!("No title with ISBN {} in the catalogue", wanted[missing])));
        }
        let facts = reader_facts(state, account, &reader).await?;
        let asked: Vec<Wanted> = wanted.iter().cloned().map(Wanted::Title).chain(copies.iter().map(|(b, _)| Wanted::Copy(b.clone()))).collect();
        let plan = library::order::plan(&loaded.catalogue, &r.rules, &facts, &asked, &to).map_err(|e| engine_error(&e))?;
        let quote = if plan.books > 0 { Some(library::fees::quote(&r.fees, plan.books, domain::china_date(now), to.handover()).map_err(|e| engine_error(&e))?) } else { None };
        let request = state.parts.ids.next().to_string();
        let placed = library::order::place(&mut loaded.catalogue, &mut loaded.holds, &plan, &request, &reader, quote.as_ref(), now).map_err(|e| engine_error(&e))?;
        let mut change = DocChange { docs: loaded.changed(now)?, ..Default::default() };
        let mut orders = Vec::new();
        for o in &placed.orders {
            let id = state.parts.ids.next();
            let stored = StoredOrder { order: o.clone(), account };
            change.docs.push(order_doc(&stored, id, None, now)?);
            orders.push((id, o.clone()));
        }
        let books = plan.books;
        if books > 0 {
            let fee = quote.as_ref().map_or(0, |q| q.fee_fen.0);
            change.notices.push(notice(
                state,
                account,
                format!("借书订单已提交：{books} 本，运费 {}，送达前可查看进度", yuan(fee)),
                format!("Your borrowing order is in: {books} book(s), delivery {}; follow it until it arrives", yuan(fee)),
            ));
        }
        if save(state, change).await?.is_none() {
            continue;
        }
        let names = |i: &Isbn| loaded.title_name(i);
        return Ok(RequestView {
            request,
            quote: quote.as_ref().map(quote_view),
            orders: orders.iter().map(|(id, o)| order_view(o, *id, &names)).collect(),
            holds: placed.holds.iter().filter_map(|h| loaded.holds.get(h)).map(|h| hold_view(h, Some(&loaded.holds), loaded.title_name(&h.isbn))).collect(),
        });
    }
    Err(changed_meanwhile())
}

fn yuan(fen: i64) -> String {
    if fen == 0 { "免费".to_owned() } else { format!("{}.{:02} 元", fen / 100, fen % 100) }
}

async fn titles_named(state: &AppState, isbns: Vec<Isbn>) -> Fallible<HashMap<Isbn, String>> {
    let ids: Vec<i64> = isbns.iter().map(isbn_id).collect::<Fallible<_>>()?;
    let mut out = HashMap::new();
    for d in state.store.city().docs("title", &ids).await? {
        let t: StoredTitle = decode(&d)?;
        out.insert(t.title.isbn.clone(), t.title.title);
    }
    Ok(out)
}

async fn orders_view(state: &AppState, docs: &[Doc]) -> Fallible<Vec<LibraryOrderView>> {
    let orders: Vec<(i64, StoredOrder)> = docs.iter().map(|d| decode(d).map(|o| (d.id, o))).collect::<Fallible<_>>()?;
    let isbns: Vec<Isbn> = orders.iter().flat_map(|(_, o)| o.order.items.iter().map(|p| p.isbn.clone())).collect();
    let names = titles_named(state, isbns).await?;
    let name = |i: &Isbn| names.get(i).cloned().unwrap_or_else(|| i.to_string());
    Ok(orders.iter().map(|(id, o)| order_view(&o.order, *id, &name)).collect())
}

/// The reader's orders, newest first.
pub async fn my_orders(state: &AppState, p: &Principal) -> Fallible<Vec<LibraryOrderView>> {
    reader_of(p)?;
    let (docs, _) = state.store.city().list("order", &DocFilter { actor: Some(p.id().0), by_created: true, ..Default::default() }, store::Page { limit: 100, offset: 0 }).await?;
    orders_view(state, &docs).await
}

/// The staff's work list: a branch's parcels to pick, pack and hand over (library staff).
pub async fn work(state: &AppState, p: &Principal, q: LibraryOrdersQuery) -> Fallible<Vec<LibraryOrderView>> {
    library_staff(state, p)?;
    let branch = match q.branch.as_deref().map(str::trim).filter(|b| !b.is_empty()) {
        Some(b) => Some(BranchCode::parse(b).map_err(|e| engine_error(&e))?.to_string()),
        None => None,
    };
    let f = DocFilter { queue: branch, open: Some(q.open.unwrap_or(true)), by_created: true, ..Default::default() };
    let (docs, _) = state.store.city().list("order", &f, store::Page { limit: 500, offset: 0 }).await?;
    orders_view(state, &docs).await
}

async fn load_order(state: &AppState, id: &str) -> Fallible<(Doc, StoredOrder)> {
    let id: i64 = id.trim().parse().map_err(|_| no_order())?;
    let d = state.store.city().doc("order", id).await?.ok_or_else(no_order)?;
    let o = decode(&d)?;
    Ok((d, o))
}

/// One order: its reader or library staff (anyone else: not found).
pub async fn order(state: &AppState, p: &Principal, id: &str) -> Fallible<LibraryOrderView> {
    let (d, o) = load_order(state, id).await?;
    if o.account != p.id().0 && !crate::areas::places::cases::is_staff(state, p, Who::LIBRARY) {
        return Err(no_order());
    }
    Ok(orders_view(state, &[d]).await?.remove(0))
}

/// A step of an order. Library staff take every step; the reader may cancel their own order
/// until picking starts. Delivery and collection start the loans, saved with the order and the
/// copies in one commit; a cancellation puts the copies back (to the next hold, or the shelf).
pub async fn act(state: &AppState, p: &Principal, id: &str, body: OrderActionBody) -> Fallible<LibraryOrderView> {
    let r = rules()?;
    let staff = crate::areas::places::cases::is_staff(state, p, Who::LIBRARY);
    let action = body.action.trim().to_owned();
    for _ in 0..5 {
        let (d, mut o) = load_order(state, id).await?;
        let own = o.account == p.id().0;
        if !staff && !own {
            return Err(no_order());
        }
        let may_cancel = action == "cancel" && o.order.state == OrderState::Placed;
        if !staff && !may_cancel {
            return Err(Failure::forbidden("读者只能在备书开始前取消自己的订单", "A reader may only cancel their own order before picking starts"));
        }
        let isbns: Vec<Isbn> = o.order.items.iter().map(|p| p.isbn.clone()).collect();
        let mut loaded = load(state, &isbns).await?;
        let now = state.now();
        let mut loans = Vec::new();
        let mut notices = Vec::new();
        let step = match action.as_str() {
            "start_picking" => o.order.start_picking(now),
            "pack" => o.order.pack(now),
            "hand_to_courier" => o.order.hand_to_courier(now),
            "ready_for_pickup" => o.order.ready_for_pickup(now),
            "deliver" => o.order.deliver(&mut loaded.catalogue, now, &r.rules).map(|l| loans = l),
            "collect" => o.order.collect(&mut loaded.catalogue, now, &r.rules).map(|l| loans = l),
            "cancel" => o.order.cancel(&mut loaded.catalogue, &mut loaded.holds, now, &r.rules).map(|back| {
                for c in back.into_iter().filter_map(|(_, c)| c) {
                    if let CheckIn::Hold { reader, branch, until, .. } = c
                        && let Some(a) = account_of(&reader)
                    {
                        notices.push((a, branch, until));
                    }
                }
            }),
            other => {
                return Err(Failure::invalid(
                    "bad_action",
                    "action",
                    format!("不认识的操作 {other}：应为 start_picking、pack、hand_to_courier、deliver、ready_for_pickup、collect 或 cancel"),
                    format!("unknown action {other}: start_picking, pack, hand_to_courier, deliver, ready_for_pickup, collect or cancel"),
                ));
            }
        };
        step.map_err(|e| engine_error(&e))?;
        let mut change = DocChange { docs: loaded.changed(now)?, ..Default::default() };
        change.docs.push(order_doc(&o, d.id, Some(&d), now)?);
        for l in &loans {
            change.docs.push(loan_doc(&StoredLoan { loan: l.clone(), account: o.account, ret: None, noticed: Vec::new() }, state.parts.ids.next(), None, now)?);
        }
        let account = o.account;
        match o.order.state {
            OrderState::WithCourier => change.notices.push(notice(state, account, "您借的书已交给快递，正在送来".into(), "Your books are with the courier, on their way".into())),
            OrderState::ReadyForPickup => change.notices.push(notice(state, account, format!("您借的书已在{}服务台备好，请凭身份证取书", branch_name(&o.order.branch)), format!("Your books are ready at {}'s desk", o.order.branch))),
            OrderState::Delivered | OrderState::Collected => {
                if let Some(due) = loans.first().map(|l| l.due) {
                    change.notices.push(notice(state, account, format!("借阅开始：{} 本，{due} 前归还（可续借）", loans.len()), format!("Your loans started: {} book(s), due {due} (renewable)", loans.len())));
                }
            }
            _ => {}
        }
        for (a, branch, until) in notices {
            change.notices.push(ready_notice(state, a, &branch, until));
        }
        if save(state, change).await?.is_some() {
            return order(state, p, id).await;
        }
    }
    Err(changed_meanwhile())
}

// ---------------------------------------------------------------------------------------------
// Loans, renewals and returns.

async fn loans_view(state: &AppState, docs: &[Doc]) -> Fallible<Vec<LibraryLoanView>> {
    let loans: Vec<(i64, StoredLoan)> = docs.iter().map(|d| decode(d).map(|l| (d.id, l))).collect::<Fallible<_>>()?;
    let names = titles_named(state, loans.iter().map(|(_, l)| l.loan.isbn.clone()).collect()).await?;
    let today = domain::china_date(state.now());
    Ok(loans
        .iter()
        .map(|(id, l)| LibraryLoanView {
            id: id.to_string(),
            isbn: l.loan.isbn.to_string(),
            title: names.get(&l.loan.isbn).cloned().unwrap_or_else(|| l.loan.isbn.to_string()),
            barcode: l.loan.barcode.to_string(),
            branch: l.loan.branch.to_string(),
            started: l.loan.started.to_string(),
            due: l.loan.due.to_string(),
            renewals: l.loan.renewals,
            overdue_days: l.loan.days_overdue(today).max(0),
            returned: l.loan.returned.map(|d| d.to_string()),
            return_state: l.ret.as_ref().map(|r| r.state.code().to_owned()),
            return_steps: l.ret.as_ref().map(|r| r.steps.iter().map(|(s, at)| StepView { state: s.code().into(), at: ts(*at) }).collect()).unwrap_or_default(),
        })
        .collect())
}

/// A loan as it is now (after a change saved).
async fn loan_now(state: &AppState, id: i64) -> Fallible<LibraryLoanView> {
    let d = state.store.city().doc("loan", id).await?.ok_or_else(no_loan)?;
    loans_view(state, &[d]).await?.pop().ok_or_else(no_loan)
}

/// The reader's loans, newest first.
pub async fn my_loans(state: &AppState, p: &Principal) -> Fallible<Vec<LibraryLoanView>> {
    reader_of(p)?;
    let (docs, _) = state.store.city().list("loan", &DocFilter { actor: Some(p.id().0), by_created: true, ..Default::default() }, store::Page { limit: 200, offset: 0 }).await?;
    loans_view(state, &docs).await
}

async fn load_loan(state: &AppState, id: &str) -> Fallible<(Doc, StoredLoan)> {
    let id: i64 = id.trim().parse().map_err(|_| no_loan())?;
    let d = state.store.city().doc("loan", id).await?.ok_or_else(no_loan)?;
    let l = decode(&d)?;
    Ok((d, l))
}

/// Renews a loan (its reader): refused while another reader waits for the title, when long
/// overdue or when the renewals are used up.
pub async fn renew(state: &AppState, p: &Principal, id: &str) -> Fallible<LibraryLoanView> {
    let r = rules()?;
    for _ in 0..5 {
        let (d, mut l) = load_loan(state, id).await?;
        if l.account != p.id().0 {
            return Err(no_loan());
        }
        let loaded = load(state, std::slice::from_ref(&l.loan.isbn)).await?;
        let now = state.now();
        l.loan.renew(domain::china_date(now), &loaded.holds, &r.rules).map_err(|e| engine_error(&e))?;
        // The title is read again on save: a hold placed meanwhile makes this stale.
        let title = loaded.docs.get(&l.loan.isbn).cloned();
        let mut change = DocChange { docs: vec![loan_doc(&l, d.id, Some(&d), now)?], ..Default::default() };
        if let Some(t) = title {
            let mut same = t.clone();
            same.version += 1;
            same.updated_at = now;
            change.docs.push(same);
        }
        if save(state, change).await?.is_some() {
            return loan_now(state, d.id).await;
        }
    }
    Err(changed_meanwhile())
}

/// Gives a book back: `courier` (its reader asks for a pick-up at home) or `desk` (library staff
/// record it at any branch's desk: checked in there when it is the owning branch, else in transit
/// home). A copy checked in goes to the next hold (whose reader is told) or the shelf.
pub async fn give_back(state: &AppState, p: &Principal, id: &str, body: ReturnBody) -> Fallible<LibraryLoanView> {
    let r = rules()?;
    let staff = crate::areas::places::cases::is_staff(state, p, Who::LIBRARY);
    for _ in 0..5 {
        let (d, mut l) = load_loan(state, id).await?;
        if !staff && l.account != p.id().0 {
            return Err(no_loan());
        }
        if l.ret.is_some() {
            return Err(Failure::Conflict { code: "already_returning", zh: "这本书已在归还中".into(), en: "This book is being returned already".into(), field: None });
        }
        let now = state.now();
        let mut loaded = load(state, std::slice::from_ref(&l.loan.isbn)).await?;
        let ret = match body.how.trim() {
            "courier" => {
                if l.account != p.id().0 {
                    return Err(Failure::forbidden("上门取书由读者本人预约", "A pick-up at home is asked for by the reader"));
                }
                Return::request_pickup(&l.loan, now)
            }
            "desk" => {
                if !staff {
                    return Err(Failure::forbidden("到馆还书由图书馆服务台登记", "A return at a desk is recorded by the library's staff"));
                }
                let b = body.branch.as_deref().map(str::trim).unwrap_or_default();
                let branch = BranchCode::parse(b).map_err(|e| engine_error(&e))?;
                Return::at_desk(&mut l.loan, &branch, &mut loaded.catalogue, &mut loaded.holds, now, &r.rules)
            }
            other => return Err(Failure::invalid("bad_how", "how", format!("还书方式应为 courier 或 desk，收到 {other}"), format!("how is courier or desk, got {other}"))),
        }
        .map_err(|e| engine_error(&e))?;
        let notify = match &ret.outcome {
            Some(CheckIn::Hold { reader, branch, until, .. }) => account_of(reader).map(|a| (a, branch.clone(), *until)),
            _ => None,
        };
        l.ret = Some(ret);
        let mut change = DocChange { docs: loaded.changed(now)?, ..Default::default() };
        change.docs.push(loan_doc(&l, d.id, Some(&d), now)?);
        if let Some((a, branch, until)) = notify {
            change.notices.push(ready_notice(state, a, &branch, until));
        }
        if save(state, change).await?.is_some() {
            return loan_now(state, d.id).await;
        }
    }
    Err(changed_meanwhile())
}

/// A step of a return under way (library staff): the courier `picked_up` the book, `send` it
/// home, `check_in` at the owning `branch`.
pub async fn return_step(state: &AppState, p: &Principal, id: &str, body: ReturnActionBody) -> Fallible<LibraryLoanView> {
    library_staff(state, p)?;
    let r = rules()?;
    for _ in 0..5 {
        let (d, mut l) = load_loan(state, id).await?;
        let Some(mut ret) = l.ret.clone() else {
            return Err(Failure::Conflict { code: "no_return", zh: "这本书还没有开始归还".into(), en: "No return is under way for this book".into(), field: None });
        };
        let now = state.now();
        let mut loaded = load(state, std::slice::from_ref(&l.loan.isbn)).await?;
        let step = match body.action.trim() {
            "picked_up" => ret.picked_up(&mut l.loan, &mut loaded.catalogue, now).map(|()| None),
            "send" => ret.send(now).map(|()| None),
            "check_in" => {
                let b = body.branch.as_deref().map(str::trim).unwrap_or_default();
                let branch = BranchCode::parse(b).map_err(|e| engine_error(&e))?;
                ret.check_in(&branch, &mut loaded.catalogue, &mut loaded.holds, now, &r.rules).map(Some)
            }
            other => return Err(Failure::invalid("bad_action", "action", format!("不认识的操作 {other}：应为 picked_up、send 或 check_in"), format!("unknown action {other}: picked_up, send or check_in"))),
        };
        let outcome = step.map_err(|e| engine_error(&e))?;
        l.ret = Some(ret);
        let mut change = DocChange { docs: loaded.changed(now)?, ..Default::default() };
        change.docs.push(loan_doc(&l, d.id, Some(&d), now)?);
        if let Some(CheckIn::Hold { reader, branch, until, .. }) = outcome
            && let Some(a) = account_of(&reader)
        {
            change.notices.push(ready_notice(state, a, &branch, until));
        }
        if save(state, change).await?.is_some() {
            return loan_now(state, d.id).await;
        }
    }
    Err(changed_meanwhile())
}

// ---------------------------------------------------------------------------------------------
// Holds.

/// The reader's holds, with their place in the queue.
pub async fn my_holds(state: &AppState, p: &Principal) -> Fallible<Vec<HoldView>> {
    let reader = reader_of(p)?;
    // The titles the reader asked for: from their orders' requests and loans are not enough (a
    // hold has no order), so the titles holding them are found by their queue.
    let mut out = Vec::new();
    for d in state.store.city().all("title", &DocFilter::default()).await? {
        if !d.doc.contains(reader.as_str()) {
            continue;
        }
        let t: StoredTitle = decode(&d)?;
        let holds = Holds::from_holds(t.holds.clone(), 0);
        for h in t.holds.iter().filter(|h| h.reader == reader) {
            out.push(hold_view(h, Some(&holds), t.title.title.clone()));
        }
    }
    Ok(out)
}

fn split_hold(id: &str) -> Fallible<(Isbn, HoldId)> {
    let (isbn, hold) = id.trim().split_once('.').ok_or_else(no_hold)?;
    Ok((Isbn::parse(isbn).map_err(|_| no_hold())?, HoldId(hold.to_owned())))
}

/// Cancels a hold (its reader); a copy kept for it goes to the next reader or the shelf.
pub async fn cancel_hold(state: &AppState, p: &Principal, id: &str) -> Fallible<HoldView> {
    let reader = reader_of(p)?;
    let r = rules()?;
    let (isbn, hold) = split_hold(id)?;
    for _ in 0..5 {
        let mut loaded = load(state, std::slice::from_ref(&isbn)).await?;
        if loaded.holds.get(&hold).is_none_or(|h| h.reader != reader) {
            return Err(no_hold());
        }
        let now = state.now();
        let freed = loaded.holds.cancel(&mut loaded.catalogue, &hold, domain::china_date(now), &r.rules).map_err(|e| engine_error(&e))?;
        let mut change = DocChange { docs: loaded.changed(now)?, ..Default::default() };
        if let Some(CheckIn::Hold { reader, branch, until, .. }) = freed
            && let Some(a) = account_of(&reader)
        {
            change.notices.push(ready_notice(state, a, &branch, until));
        }
        if save(state, change).await?.is_some() {
            let h = loaded.holds.get(&hold).ok_or_else(no_hold)?;
            return Ok(hold_view(h, None, loaded.title_name(&isbn)));
        }
    }
    Err(changed_meanwhile())
}

/// The reader collects a book kept for their hold at the desk (library staff record it): the loan starts.
pub async fn collect_hold(state: &AppState, p: &Principal, id: &str) -> Fallible<LibraryLoanView> {
    library_staff(state, p)?;
    let r = rules()?;
    let (isbn, hold) = split_hold(id)?;
    for _ in 0..5 {
        let mut loaded = load(state, std::slice::from_ref(&isbn)).await?;
        let h = loaded.holds.get(&hold).cloned().ok_or_else(no_hold)?;
        let account = account_of(&h.reader).ok_or_else(no_hold)?;
        let now = state.now();
        let loan = loaded.holds.collect(&mut loaded.catalogue, &hold, &h.reader, now, &r.rules).map_err(|e| engine_error(&e))?;
        let id = state.parts.ids.next();
        let mut change = DocChange { docs: loaded.changed(now)?, ..Default::default() };
        change.docs.push(loan_doc(&StoredLoan { loan: loan.clone(), account, ret: None, noticed: Vec::new() }, id, None, now)?);
        change.notices.push(notice(state, account, format!("借阅开始：《{}》，{} 前归还", loaded.title_name(&isbn), loan.due), format!("Your loan started, due {}", loan.due)));
        if save(state, change).await?.is_some() {
            return loan_now(state, id).await;
        }
    }
    Err(changed_meanwhile())
}

// ---------------------------------------------------------------------------------------------
// Notices and the cockpit.

/// The lead server's duty: overdue and due-soon notices (each once), and ready holds not collected
/// in time expired (their copies to the next reader or the shelf).
pub async fn duty(state: &AppState) {
    if let Err(e) = notices_due(state).await {
        tracing::warn!(error = ?e, "library: overdue notices");
    }
    if let Err(e) = expire_holds(state).await {
        tracing::warn!(error = ?e, "library: expiring holds");
    }
}

/// Ready holds not collected by their last day end; each copy goes to the next reader (told) or
/// the shelf.
async fn expire_holds(state: &AppState) -> Fallible<()> {
    let r = rules()?;
    let now = state.now();
    let today = domain::china_date(now);
    let mut due = Vec::new();
    for d in state.store.city().all("title", &DocFilter::default()).await? {
        if !d.doc.contains("\"state\":\"ready\"") {
            continue;
        }
        let t: StoredTitle = decode(&d)?;
        if t.holds.iter().any(|h| matches!(&h.state, HoldState::Ready { until, .. } if *until < today)) {
            due.push(t.title.isbn);
        }
    }
    for isbn in due {
        let mut loaded = load(state, std::slice::from_ref(&isbn)).await?;
        let ended = loaded.holds.expire(&mut loaded.catalogue, today, &r.rules).map_err(|e| engine_error(&e))?;
        let mut change = DocChange { docs: loaded.changed(now)?, ..Default::default() };
        for e in &ended {
            if let Some(a) = account_of(&e.reader) {
                change.notices.push(notice(state, a, format!("您预约的《{}》未在保留期内取书，预约已失效", loaded.title_name(&isbn)), "A book kept for your hold was not collected in time; the hold has ended".into()));
            }
            if let CheckIn::Hold { reader, branch, until, .. } = &e.then
                && let Some(a) = account_of(reader)
            {
                change.notices.push(ready_notice(state, a, branch, *until));
            }
        }
        // Changed meanwhile: the next tick tries again.
        let _ = save(state, change).await?;
    }
    Ok(())
}

async fn notices_due(state: &AppState) -> Fallible<()> {
    let r = rules()?;
    let now = state.now();
    let today = domain::china_date(now);
    // Loans due within the notice lead time, or overdue.
    let soon = (today + chrono::Duration::days(r.rules.notices.before_due_days + 1)).and_hms_opt(16, 0, 0).map(|t| t.and_utc()).unwrap_or(now);
    for d in state.store.city().due("loan", soon, 500).await? {
        let mut l: StoredLoan = decode(&d)?;
        let due = library::loan::overdue(std::slice::from_ref(&l.loan), today, &r.rules);
        let Some(n) = due.first() else { continue };
        if l.noticed.contains(&today) {
            continue;
        }
        l.noticed.push(today);
        let title = titles_named(state, vec![l.loan.isbn.clone()]).await?.remove(&l.loan.isbn).unwrap_or_default();
        let (zh, en) = if l.loan.days_overdue(today) > 0 {
            (format!("《{title}》已逾期 {} 天，请尽快归还；逾期期间暂停借书（不收滞纳金）", l.loan.days_overdue(today)), format!("{title} is {} day(s) overdue; borrowing is suspended until it is back (no fines)", l.loan.days_overdue(today)))
        } else {
            (format!("《{title}》将于 {} 到期，可在线续借或预约上门取书", l.loan.due), format!("{title} is due {}; renew online or ask for a pick-up", l.loan.due))
        };
        let _ = n;
        let change = DocChange { docs: vec![loan_doc(&l, d.id, Some(&d), now)?], notices: vec![notice(state, l.account, zh, en)], ..Default::default() };
        let _ = save(state, change).await?;
    }
    Ok(())
}

fn day(s: Option<&str>, field: &str, default: NaiveDate) -> Fallible<NaiveDate> {
    match s.map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| Failure::invalid("bad_date", field, "日期格式应为 YYYY-MM-DD", "A date is YYYY-MM-DD")),
        None => Ok(default),
    }
}

/// The library cockpit of a period (library staff, supervisors, the administrator).
pub async fn figures(state: &AppState, p: &Principal, q: LibraryFiguresQuery) -> Fallible<LibraryFiguresView> {
    let who = Who::of(state, Some(&p.account));
    if !(who.meets(Who::LIBRARY) || who.meets(Who::SUPERVISOR) || who.meets(Who::ADMIN)) {
        return Err(Failure::forbidden("只有图书馆、督办人和管理员可以查看图书馆驾驶舱", "Only library staff, supervisors and the administrator see the library cockpit"));
    }
    let today = domain::china_date(state.now());
    let to = day(q.to.as_deref(), "to", today)?;
    let from = day(q.from.as_deref(), "from", to - chrono::Duration::days(30))?;
    if from > to || (to - from).num_days() > 366 {
        return Err(Failure::invalid("bad_period", "from", "起止日期应在一年之内，且起始不晚于截止", "The period is at most a year, from before to"));
    }
    let city = state.store.city();
    let all = DocFilter::default();
    let orders: Vec<Order> = city.all("order", &all).await?.iter().map(|d| decode::<StoredOrder>(d).map(|o| o.order)).collect::<Fallible<_>>()?;
    let loans: Vec<Loan> = city.all("loan", &all).await?.iter().map(|d| decode::<StoredLoan>(d).map(|l| l.loan)).collect::<Fallible<_>>()?;
    let mut holds = Vec::new();
    for d in city.all("title", &all).await? {
        if d.doc.contains("\"holds\":[{") {
            holds.extend(decode::<StoredTitle>(&d)?.holds);
        }
    }
    let f = library::figures::figures(&orders, &loans, &Holds::from_holds(holds, 0), from, to);
    Ok(LibraryFiguresView {
        from: f.from.to_string(),
        to: f.to.to_string(),
        requests: f.requests,
        parcels: f.parcels,
        delivery: f.delivery,
        pickup: f.pickup,
        cancelled: f.cancelled,
        by_day: f.by_day.iter().map(|c| PeriodCountView { period: c.period.clone(), count: c.requests }).collect(),
        loans_started: f.loans_started,
        loans_out: f.loans_out,
        new_readers: f.new_readers,
        fees_charged_fen: f.fees_charged.0,
        fees_waived_fen: f.fees_waived.0,
        requests_free: f.requests_free,
        holds_waiting: f.holds_waiting,
        holds_ready: f.holds_ready,
        overdue: f.overdue,
        to_pick: f.to_pick.iter().map(|(b, n)| BranchCopiesView { branch: b.to_string(), copies: *n, available: 0 }).collect(),
    })
}
