//! Halls' use cases (A7): halls of the service network registered by the administrator; residents
//! book appointment slots and take tickets on arrival (the hall's kiosk takes them signed out);
//! window staff call the next ticket their window may serve, recall, hold, transfer, mark no-shows
//! and finish with the application filed; everyone waiting sees how many are ahead and the
//! estimated wait; those with three ahead are told; the display board follows every change; the
//! hall cockpit's figures per hall and for the district. Shared here too: the rules, errors, who
//! acts, and saving a change by version with its claims and notices in one commit.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use catalog::Role;
use chrono::DateTime;
use chrono::Datelike;
use chrono::NaiveDate;
use chrono::NaiveDateTime;
use chrono::NaiveTime;
use chrono::Utc;
use domain::Describe;
use domain::ErrorKind;
use halls::HallError;
use halls::estimate::Estimate;
use halls::estimate::ServiceStats;
use halls::hall::Hall;
use halls::hall::HallId;
use halls::hall::TicketId;
use halls::hall::HallStatus;
use halls::hall::Level;
use halls::hall::Session;
use halls::hall::Terminal;
use halls::hall::Window;
use halls::hall::local;
use halls::rules::HallRules;
use halls::ticket::PersonFacts;
use halls::ticket::Source;
use halls::ticket::Ticket;
use halls::ticket::TicketState;
use store::Doc;
use store::DocChange;
use store::DocFilter;
use store::DocSave;
use store::PlainNotice;
use crate::auth::Principal;
use crate::failure::Failure;
use crate::failure::Fallible;
use crate::state::AppState;
use super::views::*;

/// The rules as data (`data/halls/rules.toml`).
pub fn rules() -> &'static HallRules {
    static RULES: LazyLock<HallRules> = LazyLock::new(|| HallRules::embedded().unwrap_or_else(|e| panic!("the shipped hall rules are bad: {e}")));
    &RULES
}

// ---------------------------------------------------------------------------------------------
// Errors, documents and saving.

/// An engine error as the API answers it.
pub fn hall_error(e: &HallError) -> Failure {
    let (code, zh, en, field) = (e.code(), e.message_zh(), e.message_en(), e.field());
    match e.kind() {
        ErrorKind::NotFound => Failure::Invalid { code, zh, en, field },
        ErrorKind::Forbidden => Failure::Forbidden { code, zh, en, field },
        ErrorKind::Conflict => Failure::Conflict { code, zh, en, field },
        _ => Failure::Invalid { code, zh, en, field },
    }
}

pub(super) use crate::areas::governance::cases::changed_meanwhile;
pub(super) use crate::areas::governance::cases::decode;
pub(super) use crate::areas::places::cases::doc_of;

fn no_hall() -> Failure {
    Failure::not_found("没有这个服务大厅", "No such service hall")
}

fn no_ticket() -> Failure {
    Failure::not_found("没有这个排队号", "No such ticket")
}

/// Saves a change, or answers why not: 409 `concurrent_change`, or the claim held elsewhere.
pub(super) async fn save(state: &AppState, change: &DocChange, claimed: impl Fn(&str, &str, i64) -> Failure) -> Fallible<()> {
    match state.store.halls().save(change, state.now()).await? {
        DocSave::Saved => Ok(()),
        DocSave::Stale => Err(changed_meanwhile()),
        DocSave::Claimed(kind, claim, holder) => Err(claimed(&kind, &claim, holder)),
    }
}

fn parse_id(s: &str, missing: fn() -> Failure) -> Fallible<i64> {
    s.trim().parse::<i64>().ok().filter(|n| *n > 0).ok_or_else(missing)
}

fn parse_day(s: &str, field: &str) -> Fallible<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| Failure::invalid("bad_date", field, "日期格式应为 YYYY-MM-DD", "The date must be YYYY-MM-DD"))
}

/// A day as the `year` column keeps it: YYYYMMDD.
fn day_key(d: NaiveDate) -> i64 {
    i64::from(d.year()) * 10_000 + i64::from(d.month()) * 100 + i64::from(d.day())
}

fn today(state: &AppState) -> NaiveDate {
    local(state.now()).date()
}

fn hhmm(t: NaiveTime) -> String {
    t.format("%H:%M").to_string()
}

pub fn hall_doc(h: &Hall, old: Option<&Doc>, now: DateTime<Utc>) -> Fallible<Doc> {
    Ok(Doc {
        town: Some(h.town.clone()),
        state: Some(if h.status == HallStatus::Open { "open" } else { "closed" }.to_owned()),
        queue: Some(h.level.key().to_owned()),
        n: Some(h.windows.len() as i64),
        ..doc_of("hall", h.id.0, h, old, now)?
    })
}

/// A ticket as kept: the engine's ticket and the token that shows it signed out.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct StoredTicket {
    pub ticket: Ticket,
    pub token: String,
}

pub fn ticket_doc(t: &StoredTicket, town: &str, old: Option<&Doc>, now: DateTime<Utc>) -> Fallible<Doc> {
    let k = &t.ticket;
    Ok(Doc {
        parent: Some(k.hall.0),
        town: Some(town.to_owned()),
        state: Some(k.state.code().to_owned()),
        open: k.is_live() || k.state == TicketState::Booked,
        actor: k.holder,
        queue: Some(k.line.clone()),
        due_at: k.slot.map(halls::hall::utc),
        closed_at: k.finished_at,
        year: Some(day_key(k.day)),
        n: Some(i64::from(k.seq)),
        ..doc_of("ticket", k.id.0, t, old, now)?
    })
}

// ---------------------------------------------------------------------------------------------
// Reading.

/// A hall as stored, with its document.
pub struct StoredHall {
    pub hall: Hall,
    pub doc: Doc,
}

/// A hall by its id (as text).
pub async fn load_hall(state: &AppState, id: &str) -> Fallible<StoredHall> {
    let id = parse_id(id, no_hall)?;
    let doc = state.store.halls().doc("hall", id).await?.ok_or_else(no_hall)?;
    Ok(StoredHall { hall: decode(&doc)?, doc })
}

async fn all_halls(state: &AppState) -> Fallible<Vec<Hall>> {
    state.store.halls().all("hall", &DocFilter::default()).await?.iter().map(decode).collect()
}

/// A hall's tickets of a day, with their documents.
pub async fn day_tickets(state: &AppState, hall: HallId, day: NaiveDate) -> Fallible<Vec<(StoredTicket, Doc)>> {
    let f = DocFilter { parent: Some(hall.0), year: Some(day_key(day)), ..Default::default() };
    let docs = state.store.halls().all("ticket", &f).await?;
    docs.into_iter().map(|d| Ok((decode::<StoredTicket>(&d)?, d))).collect()
}

/// What changes whenever one of a hall's tickets of the day does.
pub async fn board_mark(state: &AppState, hall: HallId) -> Fallible<(i64, i64)> {
    let f = DocFilter { parent: Some(hall.0), year: Some(day_key(today(state))), ..Default::default() };
    Ok(state.store.halls().mark_of("ticket", &f).await?)
}

fn estimates(hall: &Hall, tickets: &[Ticket], now: DateTime<Utc>) -> BTreeMap<TicketId, Estimate> {
    estimates_with(hall, &ServiceStats::from_tickets(tickets), tickets, now)
}

fn estimates_with(hall: &Hall, stats: &ServiceStats, tickets: &[Ticket], now: DateTime<Utc>) -> BTreeMap<TicketId, Estimate> {
    halls::estimate::estimate_all(hall, rules(), stats, tickets, now)
}

/// The longest estimate among a line's waiting tickets, in seconds (0 when none wait).
fn last_wait<'a>(waiting: impl Iterator<Item = &'a Ticket>, est: &BTreeMap<TicketId, Estimate>) -> u32 {
    waiting.filter_map(|t| est.get(&t.id)).map(|e| e.wait_seconds).max().unwrap_or(0)
}

fn line_name(code: &str) -> String {
    rules().line(code).map_or_else(|| code.to_owned(), |l| l.name_zh.clone())
}

// ---------------------------------------------------------------------------------------------
// Who acts.

fn admin(p: &Principal) -> Fallible<()> {
    if p.is_admin() {
        Ok(())
    } else {
        Err(Failure::forbidden("只有区政务服务管理员可以设置服务大厅", "Only the district administrator sets up halls"))
    }
}

/// Staff of the hall: window staff whose division covers the hall's town, and the administrator.
fn hall_staff(p: &Principal, hall: &Hall) -> bool {
    if p.is_admin() {
        return true;
    }
    if !(p.has(Role::Window) || p.has(Role::Supervisor)) {
        return false;
    }
    match p.account.division.as_deref() {
        None => true,
        Some(d) => hall.town.starts_with(d) || d.starts_with(&hall.town),
    }
}

/// Window staff acting at `window` of `hall`: of the hall, and the window's own staff if it has one.
fn at_window(p: &Principal, hall: &Hall, window: u32) -> Fallible<()> {
    if !(p.is_admin() || (p.has(Role::Window) && hall_staff(p, hall))) {
        return Err(Failure::forbidden("只有本大厅的窗口人员可以在窗口叫号办理", "Only window staff of this hall act at its windows"));
    }
    let w = hall.window(window).ok_or_else(|| hall_error(&HallError::NotFound { what: "window", id: window.to_string() }))?;
    if let Some(s) = w.staff
        && s != p.id().0
        && !p.is_admin()
    {
        return Err(Failure::forbidden(format!("{window} 号窗口由其他工作人员值守"), format!("Window {window} is worked by another member of staff")));
    }
    Ok(())
}

/// May `p` (or the holder of `token`) see this ticket?
fn may_see(p: Option<&Principal>, token: Option<&str>, t: &StoredTicket, hall: &Hall) -> bool {
    if token.is_some_and(|k| !k.is_empty() && constant_eq(k, &t.token)) {
        return true;
    }
    match p {
        Some(p) => t.ticket.holder == Some(p.id().0) || hall_staff(p, hall),
        None => false,
    }
}

fn constant_eq(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn new_token() -> String {
    let mut raw = [0u8; 16];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut raw);
    hex::encode(raw)
}

/// A resident's age and disability from the shared registers (for the priority rules).
async fn person_facts(state: &AppState, p: &Principal, day: NaiveDate) -> Fallible<PersonFacts> {
    let Some(pid) = p.account.person_id else { return Ok(PersonFacts { age: None, disabled: false }) };
    let Some(person) = state.store.registers().person(pid).await? else { return Ok(PersonFacts { age: None, disabled: false }) };
    let age = day.years_since(person.birth_date);
    let records = state.store.welfare().fact_records(&["disability_certificate"], Some(std::slice::from_ref(&person.id_number))).await?;
    let disabled = records.iter().any(|r| r.valid_until.is_none_or(|u| u >= day));
    Ok(PersonFacts { age, disabled })
}

// ---------------------------------------------------------------------------------------------
// Halls.

/// The service lines of the rules.
pub fn lines() -> Vec<LineRuleView> {
    rules()
        .lines
        .iter()
        .map(|l| LineRuleView {
            code: l.code.clone(),
            name_zh: l.name_zh.clone(),
            name_en: l.name_en.clone(),
            prefix: l.prefix.to_string(),
            departments: l.departments.clone(),
            items: l.items.clone(),
            service_minutes: l.service_minutes,
        })
        .collect()
}

/// Registers or changes a hall (the administrator).
pub async fn save_hall(state: &AppState, p: &Principal, body: HallBody) -> Fallible<HallView> {
    admin(p)?;
    let now = state.now();
    let old = match body.id.as_deref() {
        Some(id) => Some(load_hall(state, id).await?),
        None => None,
    };
    let time = |s: &str, field: String| NaiveTime::parse_from_str(s.trim(), "%H:%M").map_err(|_| Failure::invalid("bad_time", &field, "时间格式应为 HH:MM", "The time must be HH:MM"));
    let mut sessions = Vec::new();
    for (i, s) in body.sessions.iter().enumerate() {
        sessions.push(Session { weekdays: s.weekdays.clone(), opens: time(&s.opens, format!("sessions[{i}].opens"))?, closes: time(&s.closes, format!("sessions[{i}].closes"))? });
    }
    let mut windows = Vec::new();
    for (i, w) in body.windows.iter().enumerate() {
        let staff = match w.staff.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(s) => {
                let id = s.parse::<i64>().map_err(|_| Failure::invalid("bad_staff", &format!("windows[{i}].staff"), "工作人员账号编号应为数字", "The staff account must be a number"))?;
                let acc = state.store.identity().account(domain::AccountId(id)).await?;
                if !acc.is_some_and(|a| a.has(Role::Window)) {
                    return Err(Failure::invalid("not_window_staff", &format!("windows[{i}].staff"), "该账号不是窗口人员", "The account is not window staff"));
                }
                Some(id)
            }
            None => None,
        };
        windows.push(Window { no: w.no, name: w.name.trim().to_owned(), lines: w.lines.clone(), open: w.open, staff });
    }
    let status = match body.status.as_deref().map(str::trim) {
        None | Some("") | Some("open") => HallStatus::Open,
        Some("closed") => HallStatus::Closed,
        Some(_) => return Err(Failure::invalid("bad_status", "status", "状态应为 open 或 closed", "status must be open or closed")),
    };
    let level = Level::parse(&body.level).map_err(|e| hall_error(&e))?;
    let id = old.as_ref().map_or_else(|| HallId(state.parts.ids.next()), |o| o.hall.id);
    let hall = Hall {
        id,
        name: body.name.trim().to_owned(),
        level,
        town: body.town.trim().to_owned(),
        address: body.address.trim().to_owned(),
        lat: body.lat,
        lon: body.lon,
        status,
        sessions,
        windows,
        terminals: body.terminals.iter().map(|t| Terminal { no: t.no, name: t.name.trim().to_owned(), items: t.items.clone() }).collect(),
    };
    hall.validate(rules()).map_err(|e| hall_error(&e))?;
    if state.store.welfare().division_name(&hall.town).await?.is_none() {
        return Err(Failure::invalid("unknown_town", "town", "本区没有这个镇街", "No such town in the district"));
    }
    let doc = hall_doc(&hall, old.as_ref().map(|o| &o.doc), now)?;
    save(state, &DocChange { docs: vec![doc], ..Default::default() }, |_, _, _| changed_meanwhile()).await?;
    hall_view(state, Some(p), &hall).await
}

/// The halls, with their queues now.
pub async fn halls_list(state: &AppState, q: HallQuery) -> Fallible<Vec<HallView>> {
    let level = match q.level.as_deref() {
        Some(l) => Some(Level::parse(l).map_err(|e| hall_error(&e))?),
        None => None,
    };
    let mut out = Vec::new();
    for h in all_halls(state).await? {
        if q.town.as_deref().is_some_and(|t| !h.town.starts_with(t)) || level.is_some_and(|l| l != h.level) {
            continue;
        }
        out.push(hall_view(state, None, &h).await?);
    }
    out.sort_by(|a, b| a.level.cmp(&b.level).then(a.town.cmp(&b.town)).then(a.name.cmp(&b.name)));
    Ok(out)
}

/// One hall.
pub async fn hall(state: &AppState, p: Option<&Principal>, id: &str) -> Fallible<HallView> {
    let h = load_hall(state, id).await?;
    hall_view(state, p, &h.hall).await
}

async fn hall_view(state: &AppState, p: Option<&Principal>, h: &Hall) -> Fallible<HallView> {
    let now = state.now();
    let at = local(now);
    let tickets: Vec<Ticket> = day_tickets(state, h.id, at.date()).await?.into_iter().map(|(t, _)| t.ticket).collect();
    let stats = ServiceStats::from_tickets(&tickets);
    let est = estimates_with(h, &stats, &tickets, now);
    let staff = p.is_some_and(|p| hall_staff(p, h));
    let lines = h
        .lines()
        .iter()
        .filter_map(|code| {
            let rule = rules().line(code)?;
            let waiting: Vec<&Ticket> = tickets.iter().filter(|t| t.state == TicketState::Waiting && &t.line == code).collect();
            let last = last_wait(waiting.iter().copied(), &est);
            let windows_open = h.windows_serving(code).count() as u32;
            let service = stats.mean(rules(), code);
            let next = f64::from(last) + if waiting.is_empty() { 0.0 } else { service / f64::from(windows_open.max(1)) };
            Some(LineView {
                code: code.clone(),
                name_zh: rule.name_zh.clone(),
                name_en: rule.name_en.clone(),
                prefix: rule.prefix.to_string(),
                windows_open,
                waiting: waiting.len() as u32,
                estimate_minutes: (next / 60.0).ceil() as u32,
            })
        })
        .collect();
    let current = |no: u32| tickets.iter().find(|t| t.window == Some(no) && matches!(t.state, TicketState::Called | TicketState::Serving)).map(|t| t.number.clone());
    Ok(HallView {
        id: h.id.0.to_string(),
        name: h.name.clone(),
        level: h.level.key().to_owned(),
        level_zh: h.level.name_zh().to_owned(),
        town: h.town.clone(),
        town_name: state.store.welfare().division_name(&h.town).await?,
        address: h.address.clone(),
        lat: h.lat,
        lon: h.lon,
        status: if h.status == HallStatus::Open { "open" } else { "closed" }.to_owned(),
        open_now: h.status == HallStatus::Open && h.is_open_at(at),
        next_opening: if h.status == HallStatus::Open && !h.is_open_at(at) { h.next_opening(at).map(|t| t.format("%Y-%m-%d %H:%M").to_string()) } else { None },
        offers_lunch: h.offers_lunch(),
        offers_weekend: h.offers_weekend(),
        sessions: h.sessions.iter().map(|s| SessionBody { weekdays: s.weekdays.clone(), opens: hhmm(s.opens), closes: hhmm(s.closes) }).collect(),
        windows: h
            .windows
            .iter()
            .map(|w| WindowView { no: w.no, name: w.name.clone(), lines: w.lines.clone(), open: w.open, current: current(w.no), staff: if staff { w.staff.map(|s| s.to_string()) } else { None } })
            .collect(),
        terminals: h.terminals.iter().map(|t| TerminalBody { no: t.no, name: t.name.clone(), items: t.items.clone() }).collect(),
        lines,
        waiting: tickets.iter().filter(|t| t.state == TicketState::Waiting).count() as u32,
    })
}

/// The appointment slots of a line on a day.
pub async fn slots(state: &AppState, id: &str, q: SlotQuery) -> Fallible<Vec<SlotView>> {
    let h = load_hall(state, id).await?.hall;
    let rule = rules().line(q.line.trim()).ok_or_else(|| hall_error(&HallError::NotFound { what: "line", id: q.line.clone() }))?;
    let now = state.now();
    let at = local(now);
    let day = match q.day.as_deref() {
        Some(d) => parse_day(d, "day")?,
        None => at.date(),
    };
    let capacity = h.windows_serving(&rule.code).count() as u32 * rules().appointments.per_window_per_slot;
    let booked = booked_per_slot(state, h.id, day, &rule.code).await?;
    let step = chrono::Duration::minutes(i64::from(rules().appointments.slot_minutes.max(5)));
    let wd = day.weekday().number_from_monday() as u8;
    let mut out = Vec::new();
    for s in h.sessions.iter().filter(|s| s.weekdays.contains(&wd)) {
        let mut start = day.and_time(s.opens);
        while start + step <= day.and_time(s.closes) {
            let n = booked.get(&start).copied().unwrap_or(0);
            let ahead_ok = start > at && (start.date() - at.date()).num_days() <= i64::from(rules().appointments.days_ahead);
            out.push(SlotView { start: start.format("%Y-%m-%dT%H:%M").to_string(), capacity, booked: n, bookable: h.status == HallStatus::Open && ahead_ok && n < capacity });
            start += step;
        }
    }
    Ok(out)
}

async fn booked_per_slot(state: &AppState, hall: HallId, day: NaiveDate, line: &str) -> Fallible<BTreeMap<NaiveDateTime, u32>> {
    let mut m = BTreeMap::new();
    for (t, _) in day_tickets(state, hall, day).await? {
        if t.ticket.line == line
            && t.ticket.source == Source::Appointment
            && t.ticket.state != TicketState::Cancelled
            && let Some(s) = t.ticket.slot
        {
            *m.entry(s).or_insert(0) += 1;
        }
    }
    Ok(m)
}

// ---------------------------------------------------------------------------------------------
// Tickets.

fn ticket_view(h: &Hall, t: &StoredTicket, est: Option<&Estimate>, show_token: bool, holder: bool) -> TicketView {
    let k = &t.ticket;
    let mut can = Vec::new();
    if holder || show_token {
        if k.state == TicketState::Booked {
            can.push("check_in".to_owned());
        }
        if matches!(k.state, TicketState::Booked | TicketState::Waiting) {
            can.push("cancel".to_owned());
        }
        if k.state == TicketState::Done && k.rating.is_none() {
            can.push("rate".to_owned());
        }
    }
    TicketView {
        id: k.id.0.to_string(),
        hall: h.id.0.to_string(),
        hall_name: h.name.clone(),
        line: k.line.clone(),
        line_name: line_name(&k.line),
        number: k.number.clone(),
        day: k.day.to_string(),
        source: k.source.code().to_owned(),
        state: k.state.code().to_owned(),
        state_zh: k.state.label_zh().to_owned(),
        slot: k.slot.map(|s| s.format("%Y-%m-%dT%H:%M").to_string()),
        priority: k.priority.reasons.clone(),
        ahead: est.map(|e| e.ahead),
        estimate_seconds: est.map(|e| e.wait_seconds),
        window: k.window,
        application: k.application.map(|a| a.to_string()),
        rating: k.rating,
        token: show_token.then(|| t.token.clone()),
        can,
        steps: k
            .steps
            .iter()
            .map(|s| TicketStepView { at: halls::hall::show(local(s.at)), action: s.action.clone(), window: s.window, note: s.note.clone() })
            .collect(),
    }
}

fn claim_error(kind: &str, _claim: &str, _holder: i64) -> Failure {
    match kind {
        "booking" => hall_error(&HallError::SlotTaken),
        "slot" => Failure::Conflict { code: "slot_full", zh: "这个时段刚刚约满，请选择其他时段".into(), en: "The slot has just filled up; choose another".into(), field: Some("slot".into()) },
        _ => changed_meanwhile(),
    }
}

/// Books an appointment slot (a resident).
pub async fn book(state: &AppState, p: &Principal, hall_id: &str, body: BookBody) -> Fallible<TicketView> {
    if p.account.person_id.is_none() {
        return Err(Failure::forbidden("只有实名登记的居民可以预约", "Only residents in the register may book"));
    }
    let h = load_hall(state, hall_id).await?.hall;
    let slot = NaiveDateTime::parse_from_str(body.slot.trim(), "%Y-%m-%dT%H:%M").map_err(|_| Failure::invalid("bad_slot", "slot", "时段格式应为 YYYY-MM-DDTHH:MM", "The slot must be YYYY-MM-DDTHH:MM"))?;
    let line = body.line.trim().to_owned();
    let now = state.now();
    for _ in 0..4 {
        let booked = booked_per_slot(state, h.id, slot.date(), &line).await?;
        let n = booked.get(&slot).copied().unwrap_or(0);
        let id = TicketId(state.parts.ids.next());
        let ticket = Ticket::book(rules(), &h, id, &line, p.id().0, slot, n, now).map_err(|e| hall_error(&e))?;
        let stored = StoredTicket { ticket, token: new_token() };
        let claims = vec![
            ("booking".to_owned(), format!("{}:{}:{}:{}", p.id().0, h.id.0, line, slot.date()), id.0),
            ("slot".to_owned(), format!("{}:{}:{}:{}", h.id.0, line, slot.format("%Y-%m-%dT%H:%M"), n + 1), id.0),
        ];
        let change = DocChange { docs: vec![ticket_doc(&stored, &h.town, None, now)?], claims, ..Default::default() };
        match state.store.halls().save(&change, now).await? {
            DocSave::Saved => return Ok(ticket_view(&h, &stored, None, true, true)),
            // Someone took that place in the slot meanwhile: count again.
            DocSave::Claimed(kind, _, _) if kind == "slot" => continue,
            DocSave::Claimed(kind, claim, holder) => return Err(claim_error(&kind, &claim, holder)),
            DocSave::Stale => return Err(changed_meanwhile()),
        }
    }
    Err(claim_error("slot", "", 0))
}

/// Numbers a ticket: the next sequence number of its line today, claimed so that two servers
/// never hand out the same number.
fn next_seq(tickets: &[(StoredTicket, Doc)], line: &str) -> u32 {
    tickets.iter().filter(|(t, _)| t.ticket.line == line).map(|(t, _)| t.ticket.seq).max().unwrap_or(0) + 1
}

fn number_claim(h: &Hall, day: NaiveDate, line: &str, seq: u32, id: i64) -> (String, String, i64) {
    ("number".to_owned(), format!("{}:{day}:{line}:{seq}", h.id.0), id)
}

/// Takes a ticket on arrival: a signed-in resident on the phone page, or the hall's kiosk
/// (signed out: the slip's QR code carries the token).
pub async fn take(state: &AppState, p: Option<&Principal>, hall_id: &str, body: TakeBody) -> Fallible<TicketView> {
    if let Some(p) = p
        && p.is_staff()
    {
        return Err(Failure::forbidden("工作人员请在窗口为群众取号（叫号系统的自助机可匿名取号）", "Staff take tickets for people at the kiosk, signed out"));
    }
    let h = load_hall(state, hall_id).await?.hall;
    let now = state.now();
    let day = local(now).date();
    let line = body.line.trim().to_owned();
    let (facts, source, holder) = match p {
        Some(p) => (person_facts(state, p, day).await?, Source::WalkIn, Some(p.id().0)),
        None => (PersonFacts { age: None, disabled: false }, Source::Kiosk, None),
    };
    let tickets = day_tickets(state, h.id, day).await?;
    let mut seq = next_seq(&tickets, &line);
    // The number is a claim: taken by a ticket saved meanwhile on another server, the next one is
    // tried (the claims, not the tickets read, say which numbers are taken).
    for _ in 0..64 {
        let id = TicketId(state.parts.ids.next());
        let ticket = Ticket::walk_in(rules(), &h, id, &line, seq, holder, &facts, source, now).map_err(|e| hall_error(&e))?;
        let stored = StoredTicket { ticket, token: new_token() };
        let change = DocChange { docs: vec![ticket_doc(&stored, &h.town, None, now)?], claims: vec![number_claim(&h, day, &line, seq, id.0)], ..Default::default() };
        match state.store.halls().save(&change, now).await? {
            DocSave::Saved => {
                let mut all: Vec<Ticket> = day_tickets(state, h.id, day).await?.into_iter().map(|(t, _)| t.ticket).collect();
                if !all.iter().any(|t| t.id == id) {
                    all.push(stored.ticket.clone());
                }
                let est = estimates(&h, &all, now);
                return Ok(ticket_view(&h, &stored, est.get(&id), true, true));
            }
            DocSave::Claimed(..) | DocSave::Stale => seq += 1,
        }
    }
    Err(changed_meanwhile())
}

async fn load_ticket(state: &AppState, id: &str) -> Fallible<(StoredTicket, Doc, Hall)> {
    let id = parse_id(id, no_ticket)?;
    let doc = state.store.halls().doc("ticket", id).await?.ok_or_else(no_ticket)?;
    let t: StoredTicket = decode(&doc)?;
    let hdoc = state.store.halls().doc("hall", t.ticket.hall.0).await?.ok_or_else(no_hall)?;
    Ok((t, doc, decode(&hdoc)?))
}

/// A ticket with its place in the queue and the estimate (its holder, the slip's token, or staff
/// of the hall).
pub async fn ticket(state: &AppState, p: Option<&Principal>, id: &str, token: Option<&str>) -> Fallible<TicketView> {
    let (t, _, h) = load_ticket(state, id).await?;
    if !may_see(p, token, &t, &h) {
        return Err(no_ticket());
    }
    let holder = p.is_some_and(|p| t.ticket.holder == Some(p.id().0));
    let by_token = token.is_some_and(|k| constant_eq(k, &t.token));
    let est = if t.ticket.state == TicketState::Waiting {
        let all: Vec<Ticket> = day_tickets(state, h.id, t.ticket.day).await?.into_iter().map(|(t, _)| t.ticket).collect();
        estimates(&h, &all, state.now()).get(&t.ticket.id).cloned()
    } else {
        None
    };
    Ok(ticket_view(&h, &t, est.as_ref(), holder || by_token, holder || by_token))
}

/// The signed-in resident's tickets, newest first.
pub async fn my_tickets(state: &AppState, p: &Principal) -> Fallible<Vec<TicketView>> {
    let f = DocFilter { actor: Some(p.id().0), by_created: true, ..Default::default() };
    let (docs, _) = state.store.halls().list("ticket", &f, store::Page { limit: 50, offset: 0 }).await?;
    let mut halls_seen: BTreeMap<i64, Hall> = BTreeMap::new();
    let mut out = Vec::new();
    for d in docs {
        let t: StoredTicket = decode(&d)?;
        let h = match halls_seen.get(&t.ticket.hall.0) {
            Some(h) => h.clone(),
            None => {
                let Some(hd) = state.store.halls().doc("hall", t.ticket.hall.0).await? else { continue };
                let h: Hall = decode(&hd)?;
                halls_seen.insert(h.id.0, h.clone());
                h
            }
        };
        let est = if t.ticket.state == TicketState::Waiting {
            let all: Vec<Ticket> = day_tickets(state, h.id, t.ticket.day).await?.into_iter().map(|(t, _)| t.ticket).collect();
            estimates(&h, &all, state.now()).get(&t.ticket.id).cloned()
        } else {
            None
        };
        out.push(ticket_view(&h, &t, est.as_ref(), true, true));
    }
    Ok(out)
}

/// Checks in an appointment on arrival (its holder).
pub async fn check_in(state: &AppState, p: &Principal, id: &str) -> Fallible<TicketView> {
    let now = state.now();
    let (first, _, h) = load_ticket(state, id).await?;
    if first.ticket.holder != Some(p.id().0) {
        return Err(no_ticket());
    }
    let day = first.ticket.day;
    let facts = person_facts(state, p, day).await?;
    let mut seq = next_seq(&day_tickets(state, h.id, day).await?, &first.ticket.line);
    for _ in 0..64 {
        let (mut t, doc, _) = load_ticket(state, id).await?;
        t.ticket.check_in(rules(), &h, seq, &facts, now).map_err(|e| hall_error(&e))?;
        let change = DocChange { docs: vec![ticket_doc(&t, &h.town, Some(&doc), now)?], claims: vec![number_claim(&h, day, &t.ticket.line, seq, t.ticket.id.0)], ..Default::default() };
        match state.store.halls().save(&change, now).await? {
            DocSave::Saved => return ticket(state, Some(p), id, None).await,
            DocSave::Claimed(..) => seq += 1,
            DocSave::Stale => return Err(changed_meanwhile()),
        }
    }
    Err(changed_meanwhile())
}

/// Cancels a booking or a waiting ticket (its holder); the slot's place is freed.
pub async fn cancel(state: &AppState, p: &Principal, id: &str, token: Option<&str>) -> Fallible<TicketView> {
    let now = state.now();
    let (mut t, doc, h) = load_ticket(state, id).await?;
    let mine = t.ticket.holder == Some(p.id().0) || token.is_some_and(|k| constant_eq(k, &t.token));
    if !mine {
        return Err(no_ticket());
    }
    t.ticket.cancel(now).map_err(|e| hall_error(&e))?;
    let mut releases = Vec::new();
    if t.ticket.source == Source::Appointment
        && let Some(slot) = t.ticket.slot
    {
        releases.push(("booking".to_owned(), format!("{}:{}:{}:{}", p.id().0, h.id.0, t.ticket.line, slot.date())));
        {
            // Its place in the slot: whichever k it holds.
            let prefix = format!("{}:{}:{}:", h.id.0, t.ticket.line, slot.format("%Y-%m-%dT%H:%M"));
            let capacity = h.windows_serving(&t.ticket.line).count() as u32 * rules().appointments.per_window_per_slot;
            for k in 1..=capacity.max(1) {
                let c = format!("{prefix}{k}");
                if state.store.halls().claim("slot", &c).await? == Some(t.ticket.id.0) {
                    releases.push(("slot".to_owned(), c));
                    break;
                }
            }
        }
    }
    save(state, &DocChange { docs: vec![ticket_doc(&t, &h.town, Some(&doc), now)?], releases, ..Default::default() }, claim_error).await?;
    Ok(ticket_view(&h, &t, None, true, true))
}

/// Rates a finished service (its holder, or the slip's token).
pub async fn rate(state: &AppState, p: Option<&Principal>, id: &str, body: RateBody) -> Fallible<TicketView> {
    let now = state.now();
    let (mut t, doc, h) = load_ticket(state, id).await?;
    let mine = p.is_some_and(|p| t.ticket.holder == Some(p.id().0)) || body.token.as_deref().is_some_and(|k| constant_eq(k, &t.token));
    if !mine {
        return Err(no_ticket());
    }
    t.ticket.rate(body.score, now).map_err(|e| hall_error(&e))?;
    save(state, &DocChange { docs: vec![ticket_doc(&t, &h.town, Some(&doc), now)?], ..Default::default() }, claim_error).await?;
    Ok(ticket_view(&h, &t, None, true, true))
}

/// After the queue moved: the waiting tickets with few enough ahead that were not told yet are
/// told ("three ahead"), in the same change.
fn tell_the_next(state: &AppState, h: &Hall, tickets: &mut [(StoredTicket, Doc)], now: DateTime<Utc>, change: &mut DocChange) -> Fallible<()> {
    let all: Vec<Ticket> = tickets.iter().map(|(t, _)| t.ticket.clone()).collect();
    let est = estimates(h, &all, now);
    for (t, doc) in tickets.iter_mut() {
        let Some(e) = est.get(&t.ticket.id) else { continue };
        if t.ticket.state != TicketState::Waiting || !t.ticket.notice_due(rules(), e.ahead) {
            continue;
        }
        if t.ticket.mark_notified(now).is_err() {
            continue;
        }
        if let Some(holder) = t.ticket.holder {
            let minutes = e.wait_seconds.div_ceil(60);
            change.notices.push(notice(
                state,
                format!("account:{holder}"),
                format!("【{}】您的 {} 号前面还有 {} 位，预计约 {minutes} 分钟后叫号，请回到大厅留意叫号屏。", h.name, t.ticket.number, e.ahead),
                format!("[{}] {} people are ahead of number {}; you should be called in about {minutes} minutes. Please return to the hall.", h.name, e.ahead, t.ticket.number),
            ));
        }
        change.docs.push(ticket_doc(t, &h.town, Some(doc), now)?);
    }
    Ok(())
}

fn notice(state: &AppState, to: String, zh: String, en: String) -> PlainNotice {
    (state.parts.ids.next(), to, "hall_queue".to_owned(), zh, en)
}

/// Calls the next ticket a window may serve (window staff at that window).
pub async fn call_next(state: &AppState, p: &Principal, hall_id: &str, window: u32) -> Fallible<TicketView> {
    let h = load_hall(state, hall_id).await?.hall;
    at_window(p, &h, window)?;
    let now = state.now();
    let day = local(now).date();
    for _ in 0..5 {
        let mut tickets = day_tickets(state, h.id, day).await?;
        let all: Vec<Ticket> = tickets.iter().map(|(t, _)| t.ticket.clone()).collect();
        if all.iter().any(|t| t.window == Some(window) && matches!(t.state, TicketState::Called | TicketState::Serving)) {
            return Err(Failure::Conflict {
                code: "window_busy",
                zh: format!("{window} 号窗口还有未办结的号，请先办结、暂停或记为过号"),
                en: format!("Window {window} still has a ticket called or in service; finish, hold or mark it first"),
                field: Some("window".into()),
            });
        }
        let next = halls::queue::next_for_window(&h, window, &all).map_err(|e| hall_error(&e))?;
        let Some(i) = tickets.iter().position(|(t, _)| t.ticket.id == next) else { return Err(no_ticket()) };
        tickets[i].0.ticket.call(&h, window, now).map_err(|e| hall_error(&e))?;
        let called = tickets[i].0.clone();
        let mut change = DocChange { docs: vec![ticket_doc(&called, &h.town, Some(&tickets[i].1), now)?], ..Default::default() };
        if let Some(holder) = called.ticket.holder {
            let w = h.window(window).map_or_else(String::new, |w| w.name.clone());
            change.notices.push(notice(
                state,
                format!("account:{holder}"),
                format!("【{}】请 {} 号到 {window} 号窗口（{w}）办理。", h.name, called.ticket.number),
                format!("[{}] Number {}, please go to window {window}.", h.name, called.ticket.number),
            ));
        }
        // The called ticket is no longer waiting: those now close to the front are told.
        tell_the_next(state, &h, &mut tickets, now, &mut change)?;
        match save(state, &change, claim_error).await {
            Ok(()) => return Ok(ticket_view(&h, &called, None, false, false)),
            Err(Failure::Conflict { code: "concurrent_change", .. }) => continue,
            Err(e) => return Err(e),
        }
    }
    Err(changed_meanwhile())
}

/// Acts on a ticket at a window: recall, start, hold, resume, transfer, no-show, finish.
pub async fn act(state: &AppState, p: &Principal, id: &str, body: TicketActionBody) -> Fallible<TicketView> {
    let now = state.now();
    let (mut t, doc, h) = load_ticket(state, id).await?;
    if !hall_staff(p, &h) {
        return Err(no_ticket());
    }
    at_window(p, &h, body.window)?;
    let k = &mut t.ticket;
    let here = k.window == Some(body.window) || (body.action == "resume" && k.target_window == Some(body.window));
    if !here && body.action != "resume" {
        return Err(Failure::Conflict {
            code: "not_this_window",
            zh: format!("该号不在 {} 号窗口办理", body.window),
            en: format!("The ticket is not at window {}", body.window),
            field: Some("window".into()),
        });
    }
    let e = |e: HallError| hall_error(&e);
    match body.action.as_str() {
        "recall" => k.recall(rules(), now).map_err(e)?,
        "start" => k.start(now).map_err(e)?,
        "hold" => k.hold(body.note.as_deref().unwrap_or(""), now).map_err(e)?,
        "resume" => k.resume(now).map_err(e)?,
        "transfer" => k.transfer(rules(), &h, body.line.as_deref(), body.to_window, now).map_err(e)?,
        "no_show" => k.no_show(now).map_err(e)?,
        "finish" => {
            let app = match body.application.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
                Some(a) => Some(check_application(state, k, a).await?),
                None => None,
            };
            k.finish(app, now).map_err(e)?;
        }
        other => {
            return Err(Failure::invalid(
                "unknown_action",
                "action",
                format!("未知操作「{other}」，可用：recall、start、hold、resume、transfer、no_show、finish"),
                format!("Unknown action {other:?}; use recall, start, hold, resume, transfer, no_show or finish"),
            ));
        }
    }
    let mut change = DocChange { docs: vec![ticket_doc(&t, &h.town, Some(&doc), now)?], ..Default::default() };
    if matches!(body.action.as_str(), "transfer" | "resume") {
        // The queue changed: those now close to the front are told (the ticket itself, back in
        // the queue, is already in the change and is left out here).
        let mut all: Vec<(StoredTicket, Doc)> = day_tickets(state, h.id, t.ticket.day).await?.into_iter().filter(|(o, _)| o.ticket.id != t.ticket.id).collect();
        all.push((t.clone(), doc.clone()));
        let mut tell = DocChange::default();
        tell_the_next(state, &h, &mut all, now, &mut tell)?;
        for d in tell.docs {
            if d.id == t.ticket.id.0 {
                change.docs[0] = d;
            } else {
                change.docs.push(d);
            }
        }
        change.notices.extend(tell.notices);
    }
    save(state, &change, claim_error).await?;
    Ok(ticket_view(&h, &t, None, false, false))
}

/// The application a finished ticket led to: it exists and, for a resident's ticket, is theirs.
async fn check_application(state: &AppState, t: &Ticket, id: &str) -> Fallible<i64> {
    let n = id.parse::<i64>().map_err(|_| Failure::invalid("bad_application", "application", "申请编号应为数字", "The application id must be a number"))?;
    let app = state
        .store
        .onething()
        .application(domain::ApplicationId(n))
        .await?
        .ok_or_else(|| Failure::invalid("unknown_application", "application", "没有这份申请", "No such application"))?;
    if let Some(holder) = t.holder
        && app.applicant.account.0 != holder
    {
        return Err(Failure::invalid("not_holders_application", "application", "这份申请不是取号人本人的", "The application is not the ticket holder's"));
    }
    Ok(n)
}

/// A hall's queue as a window sees it: waiting tickets in order with their estimates, and those
/// called or in service.
pub async fn queue(state: &AppState, p: &Principal, hall_id: &str) -> Fallible<QueueView> {
    let h = load_hall(state, hall_id).await?.hall;
    if !hall_staff(p, &h) {
        return Err(Failure::forbidden("只有本大厅的工作人员可以查看排队情况", "Only staff of this hall see its queue"));
    }
    let now = state.now();
    let all: Vec<Ticket> = day_tickets(state, h.id, local(now).date()).await?.into_iter().map(|(t, _)| t.ticket).collect();
    let est = estimates(&h, &all, now);
    let row = |t: &Ticket| QueueRowView {
        id: t.id.0.to_string(),
        number: t.number.clone(),
        line: t.line.clone(),
        state: t.state.code().to_owned(),
        state_zh: t.state.label_zh().to_owned(),
        priority: t.priority.reasons.clone(),
        window: t.window,
        target_window: t.target_window,
        estimate_seconds: est.get(&t.id).map(|e| e.wait_seconds),
        waited_minutes: t.queued_at.map_or(0, |q| (now - q).num_minutes().max(0)),
    };
    let waiting: Vec<QueueRowView> = halls::queue::ordered(&all).into_iter().filter(|t| t.state == TicketState::Waiting).map(row).collect();
    let live = all.iter().filter(|t| matches!(t.state, TicketState::Called | TicketState::Serving | TicketState::Held)).map(row).collect();
    Ok(QueueView { hall: h.id.0.to_string(), waiting, live })
}

// ---------------------------------------------------------------------------------------------
// The board and the figures.

/// What the hall's display board shows (public: numbers and windows only).
pub async fn board(state: &AppState, hall_id: &str) -> Fallible<BoardView> {
    let h = load_hall(state, hall_id).await?.hall;
    let now = state.now();
    let at = local(now);
    let tickets = day_tickets(state, h.id, at.date()).await?;
    let mark: i64 = tickets.iter().map(|(_, d)| d.version).sum();
    let all: Vec<Ticket> = tickets.into_iter().map(|(t, _)| t.ticket).collect();
    let est = estimates(&h, &all, now);
    let mut called: Vec<&Ticket> = all.iter().filter(|t| matches!(t.state, TicketState::Called | TicketState::Serving) && t.called_at.is_some()).collect();
    called.sort_by_key(|t| std::cmp::Reverse(t.called_at));
    let order = halls::queue::ordered(&all);
    let lines = h
        .lines()
        .iter()
        .filter_map(|code| {
            let rule = rules().line(code)?;
            let waiting: Vec<&&Ticket> = order.iter().filter(|t| t.state == TicketState::Waiting && &t.line == code).collect();
            let last = last_wait(waiting.iter().map(|t| **t), &est);
            Some(BoardLineView {
                code: code.clone(),
                name_zh: rule.name_zh.clone(),
                waiting: waiting.len() as u32,
                next: waiting.iter().take(5).map(|t| t.number.clone()).collect(),
                estimate_minutes: last.div_ceil(60),
            })
        })
        .collect();
    Ok(BoardView {
        hall: h.id.0.to_string(),
        name: h.name.clone(),
        now: at.format("%Y-%m-%d %H:%M:%S").to_string(),
        open_now: h.status == HallStatus::Open && h.is_open_at(at),
        called: called
            .iter()
            .take(8)
            .filter_map(|t| {
                let w = t.window?;
                Some(CalledView {
                    number: t.number.clone(),
                    window: w,
                    window_name: h.window(w).map_or_else(String::new, |x| x.name.clone()),
                    at: t.called_at.map(|c| local(c).format("%H:%M:%S").to_string()).unwrap_or_default(),
                })
            })
            .collect(),
        lines,
        version: format!("{}-{mark}", all.len()),
    })
}

fn figures_view(hall: Option<&Hall>, name: String, day: NaiveDate, halls_n: u32, f: &halls::figures::HallFigures) -> HallFiguresView {
    HallFiguresView {
        hall: hall.map(|h| h.id.0.to_string()),
        name,
        day: day.to_string(),
        halls: halls_n,
        waiting_now: f.waiting_now,
        serving_now: f.serving_now,
        longest_waiting_now_s: f.longest_waiting_now_s,
        avg_wait_s: f.avg_wait_s,
        longest_wait_s: f.longest_wait_s,
        served: f.served,
        no_shows: f.no_shows,
        appointments: f.appointments,
        per_window: f
            .per_window
            .iter()
            .map(|w| WindowFigureView { no: w.no, name: w.name.clone(), served: w.served, avg_service_s: w.avg_service_s, ratings: w.ratings, satisfaction: w.satisfaction })
            .collect(),
        per_line: f
            .per_line
            .iter()
            .map(|l| LineFigureView { code: l.code.clone(), name_zh: l.name_zh.clone(), issued: l.issued, served: l.served, avg_wait_s: l.avg_wait_s, avg_service_s: l.avg_service_s })
            .collect(),
        per_hour: f.per_hour.iter().map(|h| HourFigureView { hour: h.hour, issued: h.issued, served: h.served }).collect(),
        per_hall: Vec::new(),
    }
}

fn may_see_figures(p: &Principal, h: Option<&Hall>) -> Fallible<()> {
    let ok = p.is_admin() || p.has(Role::Supervisor) || h.is_some_and(|h| hall_staff(p, h));
    if ok {
        Ok(())
    } else {
        Err(Failure::forbidden("只有大厅管理人员和督查人员可以查看大厅驾驶舱", "Only hall managers and supervisors see the hall cockpit"))
    }
}

/// One hall's figures of a day (staff of the hall, supervisors, the administrator).
pub async fn hall_figures(state: &AppState, p: &Principal, hall_id: &str, q: DayQuery) -> Fallible<HallFiguresView> {
    let h = load_hall(state, hall_id).await?.hall;
    may_see_figures(p, Some(&h))?;
    let day = match q.day.as_deref() {
        Some(d) => parse_day(d, "day")?,
        None => today(state),
    };
    let all: Vec<Ticket> = day_tickets(state, h.id, day).await?.into_iter().map(|(t, _)| t.ticket).collect();
    let f = halls::figures::hall_figures(&h, rules(), &all, state.now());
    Ok(figures_view(Some(&h), h.name.clone(), day, 1, &f))
}

/// The district's figures of a day: every hall summed, and a line per hall.
pub async fn district_figures(state: &AppState, p: &Principal, q: DayQuery) -> Fallible<HallFiguresView> {
    may_see_figures(p, None)?;
    let day = match q.day.as_deref() {
        Some(d) => parse_day(d, "day")?,
        None => today(state),
    };
    let now = state.now();
    let mut per_hall = Vec::new();
    let mut every: Vec<Vec<Ticket>> = Vec::new();
    let halls = all_halls(state).await?;
    for h in &halls {
        let all: Vec<Ticket> = day_tickets(state, h.id, day).await?.into_iter().map(|(t, _)| t.ticket).collect();
        let f = halls::figures::hall_figures(h, rules(), &all, now);
        let rated: Vec<u8> = all.iter().filter_map(|t| t.rating).collect();
        per_hall.push(HallRowView {
            id: h.id.0.to_string(),
            name: h.name.clone(),
            level_zh: h.level.name_zh().to_owned(),
            waiting_now: f.waiting_now,
            served: f.served,
            avg_wait_s: f.avg_wait_s,
            no_shows: f.no_shows,
            satisfaction: (!rated.is_empty()).then(|| rated.iter().map(|r| f64::from(*r)).sum::<f64>() / rated.len() as f64),
        });
        every.push(all);
    }
    let pairs: Vec<(&Hall, &[Ticket])> = halls.iter().zip(every.iter()).map(|(h, t)| (h, t.as_slice())).collect();
    let f = halls::figures::district_figures(&pairs, rules(), now);
    let mut v = figures_view(None, state.config.halls.district_name.clone(), day, halls.len() as u32, &f);
    v.per_hall = per_hall;
    Ok(v)
}
