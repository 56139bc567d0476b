//! A queue ticket's life (排队号): booked for a slot online or taken on arrival at a kiosk or
//! phone page, checked in, waiting in its service line, called to a window, recalled, served,
//! held while the applicant fetches a document, transferred to another line or window, done or
//! no-show, cancelled, rated, and linked to the application it leads to. Every transition checks
//! everything first and leaves the ticket unchanged on an error; each appends a [`Step`].

use chrono::DateTime;
use chrono::Duration;
use chrono::NaiveDate;
use chrono::NaiveDateTime;
use chrono::Timelike;
use chrono::Utc;
use serde::Deserialize;
use serde::Serialize;

use crate::error::HallError;
use crate::hall::Hall;
use crate::hall::HallId;
use crate::hall::HallStatus;
use crate::hall::TicketId;
use crate::hall::local;
use crate::hall::show;
use crate::hall::utc;
use crate::rules::HallRules;
use crate::rules::LineRule;

/// The longest note of a step (what the applicant fetches, why a transfer).
pub const MAX_NOTE_CHARS: usize = 200;

/// How a ticket was taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// Booked online for a slot (网上预约), then checked in on arrival.
    Appointment,
    /// Taken on arrival on the phone page (现场扫码取号).
    WalkIn,
    /// Taken on arrival at the hall's kiosk (取号机).
    Kiosk,
}

impl Source {
    /// The stable code.
    pub fn code(self) -> &'static str {
        match self {
            Source::Appointment => "appointment",
            Source::WalkIn => "walk_in",
            Source::Kiosk => "kiosk",
        }
    }
}

/// Where a ticket is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TicketState {
    /// An appointment not yet checked in.
    Booked,
    /// In the queue.
    Waiting,
    /// Called to a window, not yet there.
    Called,
    /// Being served at a window.
    Serving,
    /// Served in part; the applicant fetches a document and keeps their place.
    Held,
    /// Served.
    Done,
    /// Called and did not come (过号).
    NoShow,
    /// Cancelled before being called.
    Cancelled,
}

impl TicketState {
    /// The stable code.
    pub fn code(self) -> &'static str {
        match self {
            TicketState::Booked => "booked",
            TicketState::Waiting => "waiting",
            TicketState::Called => "called",
            TicketState::Serving => "serving",
            TicketState::Held => "held",
            TicketState::Done => "done",
            TicketState::NoShow => "no_show",
            TicketState::Cancelled => "cancelled",
        }
    }

    /// The Chinese label a board or a phone shows.
    pub fn label_zh(self) -> &'static str {
        match self {
            TicketState::Booked => "已预约待签到",
            TicketState::Waiting => "排队等候中",
            TicketState::Called => "已叫号，请到窗口",
            TicketState::Serving => "办理中",
            TicketState::Held => "暂停办理（补材料）",
            TicketState::Done => "已办结",
            TicketState::NoShow => "过号未到",
            TicketState::Cancelled => "已取消",
        }
    }
}

/// What the priority rules look at about the person holding a ticket (from their account or
/// told at the kiosk; the caller gathers them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PersonFacts {
    /// Age in whole years, when known.
    pub age: Option<u32>,
    /// Whether they hold a disability certificate (持残疾人证).
    pub disabled: bool,
}

/// A ticket's priority: its rank (0 = none; higher is called first) and why.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Priority {
    /// The highest rank among the classes that apply.
    pub rank: u32,
    /// The Chinese reasons of all classes that apply, highest first (`预约准时签到`, `70周岁以上老年人`).
    pub reasons: Vec<String>,
}

/// One step of a ticket's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    /// When.
    pub at: DateTime<Utc>,
    /// The action's code (`book`, `check_in`, `walk_in`, `call`, `recall`, `start`, `hold`,
    /// `resume`, `transfer`, `no_show`, `finish`, `cancel`, `rate`, `link`, `notify`).
    pub action: String,
    /// The window concerned.
    pub window: Option<u32>,
    /// Who did it (the window's clerk on a call; the caller may fill it in for other steps).
    pub by: Option<i64>,
    /// A note (what the applicant fetches, why a late check-in queues as a walk-in).
    pub note: Option<String>,
}

/// A queue ticket (or an appointment, before check-in).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ticket {
    /// Its id.
    pub id: TicketId,
    /// The hall.
    pub hall: HallId,
    /// The service line's code.
    pub line: String,
    /// Its sequence number in the line that day (0 while booked).
    pub seq: u32,
    /// The number shown and called: the line's prefix and the sequence, `A023` (empty while booked).
    pub number: String,
    /// The local day it is for.
    pub day: NaiveDate,
    /// How it was taken.
    pub source: Source,
    /// The account holding it, if signed in.
    pub holder: Option<i64>,
    /// The appointment slot's local start.
    pub slot: Option<NaiveDateTime>,
    /// Its priority.
    pub priority: Priority,
    /// When it was taken or booked.
    pub issued_at: DateTime<Utc>,
    /// When it joined the queue: at a walk-in or a late check-in, then; an appointment checked in
    /// on time queues from its slot's start (so among appointments the earlier slot goes first,
    /// and checking in early gains nothing over others of the same slot). Kept through holds and
    /// transfers.
    pub queued_at: Option<DateTime<Utc>>,
    /// Where it is in its life.
    pub state: TicketState,
    /// The window it was last called to (while called, serving or held).
    pub window: Option<u32>,
    /// The window it waits for (after a hold or a transfer to a window): that window calls it first.
    pub target_window: Option<u32>,
    /// When it was first called (the end of its wait).
    pub called_at: Option<DateTime<Utc>>,
    /// When it was last called (a call or a recall).
    pub last_called_at: Option<DateTime<Utc>>,
    /// Recalls since the last call.
    pub recalls: u32,
    /// When its (last) service started.
    pub started_at: Option<DateTime<Utc>>,
    /// When it was done, marked no-show or cancelled.
    pub finished_at: Option<DateTime<Utc>>,
    /// The application it led to.
    pub application: Option<i64>,
    /// The applicant's rating of the service, 1–5.
    pub rating: Option<u8>,
    /// Whether the "few ahead" notice has been sent.
    pub notified_ahead: bool,
    /// Its history, oldest first.
    pub steps: Vec<Step>,
}

/// The number of a line's `seq`-th ticket: `A023`.
pub fn number(line: &LineRule, seq: u32) -> String {
    format!("{}{seq:03}", line.prefix)
}

/// How many appointments of a hall are booked (and not cancelled) in a line's slot: what
/// [`Ticket::book`] takes as `booked_on_slot`.
pub fn booked_on_slot(existing: &[Ticket], hall: HallId, line: &str, slot: NaiveDateTime) -> u32 {
    let n = existing.iter().filter(|t| t.hall == hall && t.source == Source::Appointment && t.slot == Some(slot) && t.line == line && t.state != TicketState::Cancelled).count();
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Refuses a second appointment (or ticket) of the same person for the same day and line while
/// the first is still open (booked or live): [`HallError::SlotTaken`].
pub fn check_not_double_booked(existing: &[Ticket], holder: i64, day: NaiveDate, line: &str) -> Result<(), HallError> {
    let taken = existing.iter().any(|t| t.holder == Some(holder) && t.day == day && t.line == line && (t.state == TicketState::Booked || t.is_live()));
    if taken { Err(HallError::SlotTaken) } else { Ok(()) }
}

/// Checks a hall takes tickets in a line now-or-then: status open and an open window serving the line.
fn check_line<'r>(rules: &'r HallRules, hall: &Hall, line: &str) -> Result<&'r LineRule, HallError> {
    if hall.status == HallStatus::Closed {
        return Err(HallError::HallClosed { hall: hall.name.clone() });
    }
    let rule = rules.require_line(line)?;
    if hall.windows_serving(line).next().is_none() {
        return Err(HallError::LineNotServed { line: rule.name_zh.clone() });
    }
    Ok(rule)
}

fn check_seq(seq: u32) -> Result<(), HallError> {
    if seq == 0 || seq > 99_999 {
        return Err(HallError::invalid("seq", "序号应为 1～99999", "must be 1–99,999"));
    }
    Ok(())
}

fn note_of(note: &str) -> Result<Option<String>, HallError> {
    let n = note.trim();
    if n.chars().count() > MAX_NOTE_CHARS {
        return Err(HallError::invalid("note", "说明不能超过 200 个字", "at most 200 characters"));
    }
    Ok(if n.is_empty() { None } else { Some(n.to_owned()) })
}

impl Ticket {
    fn blank(id: TicketId, hall: HallId, line: &str, day: NaiveDate, source: Source, now: DateTime<Utc>) -> Ticket {
        Ticket {
            id,
            hall,
            line: line.to_owned(),
            seq: 0,
            number: String::new(),
            day,
            source,
            holder: None,
            slot: None,
            priority: Priority::default(),
            issued_at: now,
            queued_at: None,
            state: TicketState::Booked,
            window: None,
            target_window: None,
            called_at: None,
            last_called_at: None,
            recalls: 0,
            started_at: None,
            finished_at: None,
            application: None,
            rating: None,
            notified_ahead: false,
            steps: Vec::new(),
        }
    }

    fn step(&mut self, at: DateTime<Utc>, action: &str, window: Option<u32>, by: Option<i64>, note: Option<String>) {
        self.steps.push(Step { at, action: action.to_owned(), window, by, note });
    }

    fn wrong(&self, action: &'static str) -> HallError {
        HallError::WrongState { what: "ticket", state: self.state.code(), action }
    }

    fn same_hall(&self, hall: &Hall) -> Result<(), HallError> {
        if self.hall != hall.id {
            return Err(HallError::invalid("hall", format!("该号属于另一个服务大厅（{}）", self.hall), format!("the ticket belongs to hall {}", self.hall)));
        }
        Ok(())
    }

    /// Books an appointment for `holder` in `line` at the local `slot` start. Checks: the hall is
    /// open (status), an open window serves the line, the slot is on the slot grid, in the future,
    /// at most `days_ahead` days ahead, wholly inside one opening session, and not full (open
    /// windows serving the line × `per_window_per_slot`, against `booked_on_slot`, the
    /// appointments the caller counts in that slot and line). Whether the person already holds
    /// one that day is the caller's to check ([`HallError::SlotTaken`]).
    #[allow(clippy::too_many_arguments)]
    pub fn book(rules: &HallRules, hall: &Hall, id: TicketId, line: &str, holder: i64, slot: NaiveDateTime, booked_on_slot: u32, now: DateTime<Utc>) -> Result<Ticket, HallError> {
        check_line(rules, hall, line)?;
        let a = &rules.appointments;
        let slot_secs = i64::from(a.slot_minutes) * 60;
        if i64::from(slot.time().num_seconds_from_midnight()) % slot_secs != 0 || slot.time().nanosecond() != 0 {
            return Err(HallError::invalid(
                "slot",
                format!("预约时段应从整 {} 分钟开始（如 09:00、09:30）", a.slot_minutes),
                format!("a slot starts on a multiple of {} minutes (09:00, 09:30)", a.slot_minutes),
            ));
        }
        let today = local(now);
        if slot <= today {
            return Err(HallError::invalid("slot", "只能预约今后的时段", "the slot must be in the future"));
        }
        if (slot.date() - today.date()).num_days() > i64::from(a.days_ahead) {
            return Err(HallError::invalid("slot", format!("最多可预约 {} 天内的时段", a.days_ahead), format!("at most {} days ahead", a.days_ahead)));
        }
        let end = slot + Duration::minutes(i64::from(a.slot_minutes));
        if hall.session_covering(slot, end).is_none() {
            return Err(HallError::OutsideHours { at: show(slot) });
        }
        let windows = u32::try_from(hall.windows_serving(line).count()).unwrap_or(u32::MAX);
        if booked_on_slot >= windows.saturating_mul(a.per_window_per_slot) {
            return Err(HallError::SlotFull { slot: show(slot) });
        }
        let mut t = Ticket::blank(id, hall.id, line, slot.date(), Source::Appointment, now);
        t.holder = Some(holder);
        t.slot = Some(slot);
        t.step(now, "book", None, None, None);
        Ok(t)
    }

    /// Takes a ticket on arrival (phone page or kiosk): the hall is open (status) and open now, an
    /// open window serves the line; the ticket waits at once with its number and the priority of
    /// the person's facts.
    #[allow(clippy::too_many_arguments)]
    pub fn walk_in(rules: &HallRules, hall: &Hall, id: TicketId, line: &str, seq: u32, holder: Option<i64>, facts: &PersonFacts, source: Source, now: DateTime<Utc>) -> Result<Ticket, HallError> {
        if hall.status == HallStatus::Closed {
            return Err(HallError::HallClosed { hall: hall.name.clone() });
        }
        let here = local(now);
        if !hall.is_open_at(here) {
            return Err(HallError::OutsideHours { at: show(here) });
        }
        let rule = check_line(rules, hall, line)?;
        if source == Source::Appointment {
            return Err(HallError::invalid("source", "现场取号的来源应为取号机或扫码取号", "a ticket taken on arrival comes from a kiosk or the phone page"));
        }
        check_seq(seq)?;
        let mut t = Ticket::blank(id, hall.id, line, here.date(), source, now);
        t.holder = holder;
        t.seq = seq;
        t.number = number(rule, seq);
        t.priority = rules.priority.priority(facts, false);
        t.queued_at = Some(now);
        t.state = TicketState::Waiting;
        t.step(now, "walk_in", None, None, None);
        Ok(t)
    }

    /// Checks in a booked appointment on arrival, giving it number `seq`. From `on_time_early`
    /// minutes before the slot to `on_time_late` minutes after its start it is on time: it takes
    /// the appointment priority and queues from the slot's start. Earlier is refused (with the time
    /// check-in opens); later, the same day while the hall is open, it queues as a walk-in from now
    /// without the appointment priority (the step's note says so).
    pub fn check_in(&mut self, rules: &HallRules, hall: &Hall, seq: u32, facts: &PersonFacts, now: DateTime<Utc>) -> Result<(), HallError> {
        if self.state != TicketState::Booked {
            return Err(self.wrong("check_in"));
        }
        self.same_hall(hall)?;
        if hall.status == HallStatus::Closed {
            return Err(HallError::HallClosed { hall: hall.name.clone() });
        }
        let rule = rules.require_line(&self.line)?;
        check_seq(seq)?;
        let Some(slot) = self.slot else {
            return Err(HallError::invalid("slot", "该预约没有时段", "the appointment has no slot"));
        };
        let p = &rules.priority;
        let here = local(now);
        let opens = slot - Duration::minutes(p.on_time_early_minutes);
        if here < opens {
            return Err(HallError::invalid(
                "slot",
                format!("还没到签到时间：您预约的是 {}，请于 {} 以后签到", show(slot), opens.format("%H:%M")),
                format!("too early: the appointment is at {}; check-in opens at {}", show(slot), opens.format("%H:%M")),
            ));
        }
        let on_time = here <= slot + Duration::minutes(p.on_time_late_minutes);
        let note = if on_time {
            None
        } else {
            if here.date() != self.day {
                return Err(HallError::invalid("slot", format!("预约（{}）已过期，请重新预约或现场取号", show(slot)), format!("the appointment ({}) has expired", show(slot))));
            }
            if !hall.is_open_at(here) {
                return Err(HallError::OutsideHours { at: show(here) });
            }
            Some(format!("签到迟于预约时段开始 {} 分钟以上，按现场取号排队", p.on_time_late_minutes))
        };
        self.seq = seq;
        self.number = number(rule, seq);
        self.priority = p.priority(facts, on_time);
        self.queued_at = Some(if on_time { utc(slot) } else { now });
        self.state = TicketState::Waiting;
        self.step(now, "check_in", None, None, note);
        Ok(())
    }

    /// Calls a waiting ticket to a window: the window exists, is open, and serves the ticket's
    /// line or is the window it waits for. The step records the window's clerk.
    pub fn call(&mut self, hall: &Hall, window: u32, now: DateTime<Utc>) -> Result<(), HallError> {
        if self.state != TicketState::Waiting {
            return Err(self.wrong("call"));
        }
        self.same_hall(hall)?;
        let w = hall.window(window).ok_or_else(|| HallError::NotFound { what: "window", id: window.to_string() })?;
        if !w.open {
            return Err(HallError::WindowClosed { window });
        }
        if !w.serves(&self.line) && self.target_window != Some(window) {
            return Err(HallError::NotServing { window, line: self.line.clone() });
        }
        let by = w.staff;
        self.state = TicketState::Called;
        self.window = Some(window);
        if self.called_at.is_none() {
            self.called_at = Some(now);
        }
        self.last_called_at = Some(now);
        self.recalls = 0;
        self.step(now, "call", Some(window), by, None);
        Ok(())
    }

    /// Calls a called ticket again (the applicant has not come): at most `recall_limit` times.
    pub fn recall(&mut self, rules: &HallRules, now: DateTime<Utc>) -> Result<(), HallError> {
        if self.state != TicketState::Called {
            return Err(self.wrong("recall"));
        }
        if self.recalls >= rules.recall_limit {
            return Err(HallError::RecallLimit { limit: rules.recall_limit });
        }
        self.recalls += 1;
        self.last_called_at = Some(now);
        let w = self.window;
        self.step(now, "recall", w, None, None);
        Ok(())
    }

    /// The applicant has come to the window: service starts.
    pub fn start(&mut self, now: DateTime<Utc>) -> Result<(), HallError> {
        if self.state != TicketState::Called {
            return Err(self.wrong("start"));
        }
        self.state = TicketState::Serving;
        self.started_at = Some(now);
        let w = self.window;
        self.step(now, "start", w, None, None);
        Ok(())
    }

    /// Holds the service while the applicant fetches a document (`note`: what, required); they
    /// keep their place and the window calls them back first.
    pub fn hold(&mut self, note: &str, now: DateTime<Utc>) -> Result<(), HallError> {
        if self.state != TicketState::Serving {
            return Err(self.wrong("hold"));
        }
        let Some(n) = note_of(note)? else {
            return Err(HallError::invalid("note", "请写明需要补充的材料", "say what the applicant is to fetch"));
        };
        self.state = TicketState::Held;
        let w = self.window;
        self.step(now, "hold", w, None, Some(n));
        Ok(())
    }

    /// The applicant is back: the ticket waits again, for the window that held it, in its old place.
    pub fn resume(&mut self, now: DateTime<Utc>) -> Result<(), HallError> {
        if self.state != TicketState::Held {
            return Err(self.wrong("resume"));
        }
        let w = self.window;
        self.state = TicketState::Waiting;
        self.target_window = w;
        self.window = None;
        self.step(now, "resume", w, None, None);
        Ok(())
    }

    /// Transfers a called or serving ticket to another line and/or a specific window (at least
    /// one of them, and not to where it is): a new line must be known and served by an open
    /// window; a window must exist and be open (it need not serve the line: it was chosen). The
    /// ticket waits again with its number, priority and queue time.
    pub fn transfer(&mut self, rules: &HallRules, hall: &Hall, line: Option<&str>, window: Option<u32>, now: DateTime<Utc>) -> Result<(), HallError> {
        if !matches!(self.state, TicketState::Called | TicketState::Serving) {
            return Err(self.wrong("transfer"));
        }
        self.same_hall(hall)?;
        if line.is_none() && window.is_none() {
            return Err(HallError::invalid("line", "请选择转入的业务类别或窗口", "give the line or the window to transfer to"));
        }
        let new_line = line.unwrap_or(&self.line).to_owned();
        if let Some(l) = line {
            rules.require_line(l)?;
            if window.is_none() && hall.windows_serving(l).next().is_none() {
                return Err(HallError::LineNotServed { line: l.to_owned() });
            }
        }
        if let Some(no) = window {
            let w = hall.window(no).ok_or_else(|| HallError::NotFound { what: "window", id: no.to_string() })?;
            if !w.open {
                return Err(HallError::WindowClosed { window: no });
            }
        }
        if new_line == self.line && (window.is_none() || window == self.window) {
            return Err(HallError::invalid("window", "转入的业务类别和窗口与当前相同", "the transfer goes nowhere"));
        }
        let from = self.window;
        let note = format!("转至{}{}", rules.line(&new_line).map_or(new_line.as_str(), |l| l.name_zh.as_str()), window.map(|w| format!(" {w} 号窗口")).unwrap_or_default());
        self.line = new_line;
        self.state = TicketState::Waiting;
        self.window = None;
        self.target_window = window;
        self.recalls = 0;
        self.step(now, "transfer", from, None, Some(note));
        Ok(())
    }

    /// A called applicant did not come (过号).
    pub fn no_show(&mut self, now: DateTime<Utc>) -> Result<(), HallError> {
        if self.state != TicketState::Called {
            return Err(self.wrong("no_show"));
        }
        self.state = TicketState::NoShow;
        self.finished_at = Some(now);
        let w = self.window;
        self.step(now, "no_show", w, None, None);
        Ok(())
    }

    /// The service is done, leading to `application` when it filed one.
    pub fn finish(&mut self, application: Option<i64>, now: DateTime<Utc>) -> Result<(), HallError> {
        if self.state != TicketState::Serving {
            return Err(self.wrong("finish"));
        }
        self.state = TicketState::Done;
        self.finished_at = Some(now);
        if application.is_some() {
            self.application = application;
        }
        let w = self.window;
        self.step(now, "finish", w, None, application.map(|a| format!("申请 {a}")));
        Ok(())
    }

    /// Links the application a serving or done ticket led to (once; the same one again is fine).
    pub fn link(&mut self, application: i64, now: DateTime<Utc>) -> Result<(), HallError> {
        if !matches!(self.state, TicketState::Serving | TicketState::Done) {
            return Err(self.wrong("link"));
        }
        match self.application {
            Some(a) if a == application => return Ok(()),
            Some(a) => return Err(HallError::invalid("application", format!("该号已关联申请 {a}"), format!("the ticket is linked to application {a} already"))),
            None => {}
        }
        self.application = Some(application);
        let w = self.window;
        self.step(now, "link", w, None, Some(format!("申请 {application}")));
        Ok(())
    }

    /// Cancels a booked or waiting ticket.
    pub fn cancel(&mut self, now: DateTime<Utc>) -> Result<(), HallError> {
        if !matches!(self.state, TicketState::Booked | TicketState::Waiting) {
            return Err(self.wrong("cancel"));
        }
        self.state = TicketState::Cancelled;
        self.finished_at = Some(now);
        self.step(now, "cancel", None, None, None);
        Ok(())
    }

    /// The applicant rates a done service, 1–5, once.
    pub fn rate(&mut self, score: u8, now: DateTime<Utc>) -> Result<(), HallError> {
        if self.state != TicketState::Done {
            return Err(self.wrong("rate"));
        }
        if self.rating.is_some() {
            return Err(HallError::AlreadyRated);
        }
        if !(1..=5).contains(&score) {
            return Err(HallError::invalid("rating", "评价应为 1～5 分", "must be 1–5"));
        }
        self.rating = Some(score);
        let w = self.window;
        self.step(now, "rate", w, None, Some(score.to_string()));
        Ok(())
    }

    /// Whether the "few ahead" notice is due: waiting, held by an account, not yet notified, and
    /// at most `notice_ahead` people ahead.
    pub fn notice_due(&self, rules: &HallRules, ahead: u32) -> bool {
        self.state == TicketState::Waiting && self.holder.is_some() && !self.notified_ahead && ahead <= rules.notice_ahead
    }

    /// Records that the "few ahead" notice was sent (waiting tickets only; once).
    pub fn mark_notified(&mut self, now: DateTime<Utc>) -> Result<(), HallError> {
        if self.state != TicketState::Waiting {
            return Err(self.wrong("notify"));
        }
        if !self.notified_ahead {
            self.notified_ahead = true;
            self.step(now, "notify", None, None, None);
        }
        Ok(())
    }

    /// Seconds from joining the queue to the first call (0 when called before its queue time, as
    /// an appointment checked in early may be).
    pub fn wait_seconds(&self) -> Option<i64> {
        Some((self.called_at? - self.queued_at?).num_seconds().max(0))
    }

    /// Seconds from the (last) start of service to its end, for a done ticket.
    pub fn service_seconds(&self) -> Option<i64> {
        if self.state != TicketState::Done {
            return None;
        }
        Some((self.finished_at? - self.started_at?).num_seconds().max(0))
    }

    /// Whether it is in the hall's live queue: waiting, called, serving or held.
    pub fn is_live(&self) -> bool {
        matches!(self.state, TicketState::Waiting | TicketState::Called | TicketState::Serving | TicketState::Held)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
pub(crate) mod tests {
    use super::*;
    use crate::hall::tests::at;
    use crate::hall::tests::sample;

    pub(crate) fn rules() -> HallRules {
        HallRules::embedded().unwrap()
    }

    /// The UTC instant of a local time on 2026-12-`day`.
    pub(crate) fn u(day: u32, h: u32, m: u32) -> DateTime<Utc> {
        utc(at(day, h, m))
    }

    const ADULT: PersonFacts = PersonFacts { age: Some(40), disabled: false };

    pub(crate) fn walk(id: i64, line: &str, seq: u32, now: DateTime<Utc>) -> Ticket {
        Ticket::walk_in(&rules(), &sample(), TicketId(id), line, seq, Some(id), &ADULT, Source::Kiosk, now).unwrap()
    }

    /// Runs `f` on a copy and checks that on an error the copy is unchanged.
    fn refused(t: &Ticket, f: impl FnOnce(&mut Ticket) -> Result<(), HallError>) -> HallError {
        let mut c = t.clone();
        let e = f(&mut c).unwrap_err();
        assert_eq!(&c, t, "changed on error {e:?}");
        e
    }

    #[test]
    fn a_walk_in_goes_through_its_whole_life() {
        let r = rules();
        let h = sample();
        let mut t = walk(1, "social_insurance", 23, u(7, 9, 0));
        assert_eq!(t.number, "A023");
        assert_eq!(t.state, TicketState::Waiting);
        assert_eq!(t.day, at(7, 0, 0).date());
        assert_eq!(t.priority.rank, 0);
        t.call(&h, 1, u(7, 9, 10)).unwrap();
        assert_eq!(t.steps.last().unwrap().by, Some(101));
        t.recall(&r, u(7, 9, 11)).unwrap();
        t.recall(&r, u(7, 9, 12)).unwrap();
        assert!(matches!(refused(&t, |t| t.recall(&r, u(7, 9, 13))), HallError::RecallLimit { limit: 2 }));
        t.start(u(7, 9, 13)).unwrap();
        t.hold("户口簿原件", u(7, 9, 15)).unwrap();
        assert_eq!(t.state, TicketState::Held);
        t.resume(u(7, 9, 30)).unwrap();
        assert_eq!((t.state, t.target_window, t.window), (TicketState::Waiting, Some(1), None));
        t.call(&h, 1, u(7, 9, 31)).unwrap();
        t.start(u(7, 9, 32)).unwrap();
        t.finish(Some(77), u(7, 9, 40)).unwrap();
        assert_eq!(t.wait_seconds(), Some(600));
        assert_eq!(t.service_seconds(), Some(480));
        assert_eq!(t.application, Some(77));
        assert!(!t.is_live());
        t.rate(5, u(7, 9, 41)).unwrap();
        assert!(matches!(refused(&t, |t| t.rate(4, u(7, 9, 42))), HallError::AlreadyRated));
        let actions: Vec<&str> = t.steps.iter().map(|s| s.action.as_str()).collect();
        assert_eq!(actions, ["walk_in", "call", "recall", "recall", "start", "hold", "resume", "call", "start", "finish", "rate"]);
    }

    #[test]
    fn a_ticket_for_a_closed_hall_or_outside_hours_is_refused() {
        let r = rules();
        let mut h = sample();
        let take = |h: &Hall, line: &str, now| Ticket::walk_in(&r, h, TicketId(1), line, 1, None, &ADULT, Source::WalkIn, now);
        assert!(matches!(take(&h, "social_insurance", u(7, 12, 30)), Err(HallError::OutsideHours { at }) if at == "2026-12-07 12:30"));
        assert!(matches!(take(&h, "social_insurance", u(13, 10, 0)), Err(HallError::OutsideHours { .. })));
        assert!(matches!(take(&h, "real_estate", u(7, 10, 0)), Err(HallError::LineNotServed { .. })));
        assert!(matches!(take(&h, "nothing", u(7, 10, 0)), Err(HallError::NotFound { what: "line", .. })));
        assert!(matches!(Ticket::walk_in(&r, &h, TicketId(1), "tax", 0, None, &ADULT, Source::WalkIn, u(7, 10, 0)), Err(HallError::Invalid { field, .. }) if field == "seq"));
        assert!(matches!(Ticket::walk_in(&r, &h, TicketId(1), "tax", 1, None, &ADULT, Source::Appointment, u(7, 10, 0)), Err(HallError::Invalid { field, .. }) if field == "source"));
        h.status = HallStatus::Closed;
        let e = take(&h, "social_insurance", u(7, 10, 0)).unwrap_err();
        assert_eq!(domain::Describe::code(&e), "hall_closed");
        assert!(matches!(Ticket::book(&r, &h, TicketId(2), "tax", 9, at(8, 9, 0), 0, u(7, 10, 0)), Err(HallError::HallClosed { .. })));
        let elder = Ticket::walk_in(&r, &sample(), TicketId(1), "tax", 1, None, &PersonFacts { age: Some(75), disabled: false }, Source::WalkIn, u(7, 10, 0)).unwrap();
        assert_eq!(elder.priority.rank, 2);
    }

    #[test]
    fn appointments_are_checked_against_the_grid_the_hours_and_the_capacity() {
        let r = rules();
        let h = sample();
        let now = u(7, 10, 0);
        let book = |slot, n| Ticket::book(&r, &h, TicketId(5), "social_insurance", 9, slot, n, now);
        let t = book(at(8, 9, 0), 0).unwrap();
        assert_eq!((t.state, t.number.as_str(), t.slot, t.day), (TicketState::Booked, "", Some(at(8, 9, 0)), at(8, 0, 0).date()));
        assert!(matches!(book(at(8, 9, 15), 0), Err(HallError::Invalid { field, .. }) if field == "slot"));
        assert!(matches!(book(at(7, 9, 30), 0), Err(HallError::Invalid { field, .. }) if field == "slot"));
        assert!(matches!(book(at(15, 9, 0), 0), Err(HallError::Invalid { field, .. }) if field == "slot"));
        assert!(book(at(14, 9, 0), 0).is_ok());
        assert!(matches!(book(at(8, 12, 0), 0), Err(HallError::OutsideHours { at }) if at == "2026-12-08 12:00"));
        assert!(matches!(book(at(8, 17, 0), 0), Err(HallError::OutsideHours { .. })));
        assert!(matches!(book(at(13, 9, 0), 0), Err(HallError::OutsideHours { .. })));
        assert!(book(at(8, 11, 30), 0).is_ok());
        assert!(book(at(12, 9, 0), 0).is_ok());
        // Three open windows serve social insurance: 3 × 3 = 9 per slot.
        assert!(book(at(8, 9, 0), 8).is_ok());
        assert!(matches!(book(at(8, 9, 0), 9), Err(HallError::SlotFull { slot }) if slot == "2026-12-08 09:00"));
        assert!(matches!(Ticket::book(&r, &h, TicketId(5), "real_estate", 9, at(8, 9, 0), 0, now), Err(HallError::LineNotServed { .. })));
        // Double booking: the caller counts and checks with the engine's helpers.
        let mut cancelled = book(at(8, 9, 0), 0).unwrap();
        cancelled.cancel(now).unwrap();
        let existing = vec![t.clone(), cancelled];
        assert_eq!(booked_on_slot(&existing, h.id, "social_insurance", at(8, 9, 0)), 1);
        assert_eq!(booked_on_slot(&existing, h.id, "social_insurance", at(8, 9, 30)), 0);
        assert_eq!(check_not_double_booked(&existing, 9, at(8, 0, 0).date(), "social_insurance"), Err(HallError::SlotTaken));
        assert!(check_not_double_booked(&existing, 9, at(8, 0, 0).date(), "tax").is_ok());
        assert!(check_not_double_booked(&existing, 10, at(8, 0, 0).date(), "social_insurance").is_ok());
    }

    #[test]
    fn check_in_on_time_early_and_late() {
        let r = rules();
        let h = sample();
        let booked = Ticket::book(&r, &h, TicketId(5), "tax", 9, at(8, 9, 0), 0, u(7, 10, 0)).unwrap();
        let e = refused(&booked, |t| t.check_in(&r, &h, 4, &ADULT, u(8, 8, 29)));
        let e = domain::Describe::message_zh(&e);
        assert!(e.contains("08:30"), "{e}");
        let mut t = booked.clone();
        t.check_in(&r, &h, 4, &ADULT, u(8, 8, 30)).unwrap();
        assert_eq!((t.state, t.number.as_str(), t.priority.rank, t.queued_at), (TicketState::Waiting, "E004", 3, Some(u(8, 9, 0))));
        let mut t = booked.clone();
        t.check_in(&r, &h, 4, &ADULT, u(8, 9, 10)).unwrap();
        assert_eq!((t.priority.rank, t.queued_at), (3, Some(u(8, 9, 0))));
        let mut t = booked.clone();
        t.check_in(&r, &h, 4, &PersonFacts { age: Some(71), disabled: false }, u(8, 9, 11)).unwrap();
        assert_eq!((t.priority.rank, t.queued_at), (2, Some(u(8, 9, 11))));
        assert!(t.steps.last().unwrap().note.as_deref().unwrap().contains("按现场取号排队"));
        assert!(matches!(refused(&t, |t| t.check_in(&r, &h, 4, &ADULT, u(8, 9, 12))), HallError::WrongState { action: "check_in", .. }));
        assert!(matches!(refused(&booked, |t| t.check_in(&r, &h, 4, &ADULT, u(8, 12, 30))), HallError::OutsideHours { .. }));
        assert!(matches!(refused(&booked, |t| t.check_in(&r, &h, 4, &ADULT, u(9, 9, 0))), HallError::Invalid { .. }));
        let mut other = sample();
        other.id = HallId(2);
        assert!(matches!(refused(&booked, |t| t.check_in(&r, &other, 4, &ADULT, u(8, 9, 0))), HallError::Invalid { field, .. } if field == "hall"));
    }

    #[test]
    fn calls_at_windows_that_may_not_are_refused() {
        let h = sample();
        let t = walk(1, "tax", 1, u(7, 9, 0));
        assert!(matches!(refused(&t, |t| t.call(&h, 1, u(7, 9, 1))), HallError::NotServing { window: 1, .. }));
        assert!(matches!(refused(&t, |t| t.call(&h, 5, u(7, 9, 1))), HallError::WindowClosed { window: 5 }));
        assert!(matches!(refused(&t, |t| t.call(&h, 9, u(7, 9, 1))), HallError::NotFound { what: "window", .. }));
        assert!(matches!(refused(&t, |t| t.start(u(7, 9, 1))), HallError::WrongState { .. }));
        assert!(matches!(refused(&t, |t| t.no_show(u(7, 9, 1))), HallError::WrongState { .. }));
        assert!(matches!(refused(&t, |t| t.finish(None, u(7, 9, 1))), HallError::WrongState { .. }));
        assert!(matches!(refused(&t, |t| t.hold("x", u(7, 9, 1))), HallError::WrongState { .. }));
        assert!(matches!(refused(&t, |t| t.resume(u(7, 9, 1))), HallError::WrongState { .. }));
        assert!(matches!(refused(&t, |t| t.rate(5, u(7, 9, 1))), HallError::WrongState { .. }));
        let mut c = t.clone();
        c.call(&h, 4, u(7, 9, 1)).unwrap();
        assert!(matches!(refused(&c, |t| t.call(&h, 4, u(7, 9, 2))), HallError::WrongState { .. }));
        assert!(matches!(refused(&c, |t| t.cancel(u(7, 9, 2))), HallError::WrongState { .. }));
        c.no_show(u(7, 9, 5)).unwrap();
        assert_eq!(c.state, TicketState::NoShow);
    }

    #[test]
    fn transfers_keep_the_place_and_check_the_target() {
        let r = rules();
        let h = sample();
        let mut t = walk(1, "social_insurance", 1, u(7, 9, 0));
        t.call(&h, 1, u(7, 9, 5)).unwrap();
        t.start(u(7, 9, 6)).unwrap();
        assert!(matches!(refused(&t, |t| t.transfer(&r, &h, None, None, u(7, 9, 7))), HallError::Invalid { .. }));
        assert!(matches!(refused(&t, |t| t.transfer(&r, &h, Some("real_estate"), None, u(7, 9, 7))), HallError::LineNotServed { .. }));
        assert!(matches!(refused(&t, |t| t.transfer(&r, &h, None, Some(5), u(7, 9, 7))), HallError::WindowClosed { window: 5 }));
        assert!(matches!(refused(&t, |t| t.transfer(&r, &h, None, Some(1), u(7, 9, 7))), HallError::Invalid { .. }));
        assert!(matches!(refused(&t, |t| t.transfer(&r, &h, Some("nope"), None, u(7, 9, 7))), HallError::NotFound { .. }));
        let mut a = t.clone();
        a.transfer(&r, &h, Some("tax"), None, u(7, 9, 7)).unwrap();
        assert_eq!((a.state, a.line.as_str(), a.number.as_str(), a.queued_at, a.target_window), (TicketState::Waiting, "tax", "A001", Some(u(7, 9, 0)), None));
        let mut b = t.clone();
        b.transfer(&r, &h, None, Some(3), u(7, 9, 7)).unwrap();
        assert_eq!(b.target_window, Some(3));
        // Window 3 serves tax only, but the ticket was sent to it.
        b.call(&h, 3, u(7, 9, 8)).unwrap();
        assert_eq!(b.called_at, Some(u(7, 9, 5)));
        assert_eq!(b.last_called_at, Some(u(7, 9, 8)));
        assert_eq!(b.wait_seconds(), Some(300));
    }

    #[test]
    fn cancel_rate_link_and_notices() {
        let r = rules();
        let h = sample();
        let mut t = walk(1, "tax", 1, u(7, 9, 0));
        assert!(t.notice_due(&r, 3) && !t.notice_due(&r, 4));
        t.mark_notified(u(7, 9, 1)).unwrap();
        assert!(!t.notice_due(&r, 1));
        let mut c = t.clone();
        c.cancel(u(7, 9, 2)).unwrap();
        assert_eq!(c.state, TicketState::Cancelled);
        t.call(&h, 3, u(7, 9, 3)).unwrap();
        t.start(u(7, 9, 4)).unwrap();
        assert!(matches!(refused(&t, |t| t.hold("  ", u(7, 9, 5))), HallError::Invalid { .. }));
        t.finish(None, u(7, 9, 9)).unwrap();
        assert!(matches!(refused(&t, |t| t.rate(0, u(7, 9, 10))), HallError::Invalid { .. }));
        assert!(matches!(refused(&t, |t| t.rate(6, u(7, 9, 10))), HallError::Invalid { .. }));
        t.link(8, u(7, 9, 10)).unwrap();
        t.link(8, u(7, 9, 10)).unwrap();
        assert!(matches!(refused(&t, |t| t.link(9, u(7, 9, 10))), HallError::Invalid { .. }));
        assert_eq!(TicketState::NoShow.code(), "no_show");
        assert_eq!(TicketState::Held.label_zh(), "暂停办理（补材料）");
    }
}
