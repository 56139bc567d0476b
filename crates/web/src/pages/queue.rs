//! Service halls (服务大厅, issue 36): the halls of the service network with their queues on a
//! map, one hall with its lines, taking a ticket and booking an appointment, the hall's kiosk
//! (big buttons, a slip with a QR code), a ticket that follows its queue live, the display board
//! (the latest calls, live), the window console (call, start, recall, hold, transfer, no-show,
//! finish), one hall's cockpit, the cockpit's halls section, and cross-region intake (跨区域通办).
//! Everything goes through `server::areas::halls::{cases, crossregion}`; public pages carry ticket
//! numbers only, never a name.

use axum::extract::Path;
use axum::extract::Query;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::http::HeaderValue;
use axum::http::StatusCode;
use axum::http::header::CACHE_CONTROL;
use axum::http::header::CONTENT_LANGUAGE;
use axum::response::IntoResponse;
use axum::response::Html;
use axum::response::Response;
use base64::Engine as _;
use maud::DOCTYPE;
use maud::Markup;
use maud::html;
use serde::Deserialize;
use server::areas::halls::cases;
use server::areas::halls::crossregion;
use server::areas::halls::views::BookBody;
use server::areas::halls::views::BoardView;
use server::areas::halls::views::CaseView;
use server::areas::halls::views::DayQuery;
use server::areas::halls::views::ForwardBody;
use server::areas::halls::views::HallFiguresView;
use server::areas::halls::views::HallQuery;
use server::areas::halls::views::HallView;
use server::areas::halls::views::QueueRowView;
use server::areas::halls::views::RateBody;
use server::areas::halls::views::SessionBody;
use server::areas::halls::views::SlotQuery;
use server::areas::halls::views::SlotView;
use server::areas::halls::views::TakeBody;
use server::areas::halls::views::TicketActionBody;
use server::areas::halls::views::TicketView;
use server::auth::Principal;
use server::failure::Failure;
use server::policy::Who;
use store::AccountKind;

use super::form_errors;
use super::on_form;
use crate::Web;
use crate::charts;
use crate::charts::Bar;
use crate::ctx::Ctx;
use crate::forms::PostForm;
use crate::layout::Errors;
use crate::layout::Input;
use crate::layout::breadcrumbs;
use crate::layout::csrf;
use crate::layout::error_summary;
use crate::layout::finish;
use crate::layout::input;
use crate::layout::input_id;
use crate::layout::page_status;
use crate::layout::q as encode;
use crate::layout::radios;
use crate::layout::redirect;
use crate::layout::tag;
use crate::layout::textarea;
use super::banner_markup;
use super::named;

pub const CSS_URL: &str = concat!("/static/queue.css?v=", env!("CARGO_PKG_VERSION"));
pub const JS_URL: &str = concat!("/static/queue.js?v=", env!("CARGO_PKG_VERSION"));

/// The levels of the service network (1+2+22+N), in order.
const LEVELS: [&str; 4] = ["district", "central_town", "town", "village"];
/// Window staff and the administrator (the window console, cross-region intake).
const WINDOWS: Who = Who::WINDOW.or(Who::ADMIN);
/// Those who watch a hall: window staff, supervisors, the administrator.
const HALL_STAFF: Who = Who::WINDOW.or(Who::SUPERVISOR).or(Who::ADMIN);

#[derive(Debug, Default, Deserialize)]
pub struct DoneQuery {
    pub done: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct HallPageQuery {
    pub line: Option<String>,
    pub day: Option<String>,
    pub done: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct TicketQuery {
    pub token: Option<String>,
    pub done: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct KioskQuery {
    pub ticket: Option<String>,
    pub token: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct WindowQuery {
    pub window: Option<String>,
    pub done: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct FiguresQuery {
    pub day: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Shared helpers.

fn banner(ctx: &Ctx, done: Option<&str>) -> Option<String> {
    ctx.lang.try_t(&format!("q-done-{}", done?))
}

fn is_resident(p: Option<&Principal>) -> bool {
    p.is_some_and(|p| p.account.kind == AccountKind::Citizen)
}

fn line_name(ctx: &Ctx, code: &str, zh: &str) -> String {
    cases::rules().lines.iter().find(|l| l.code == code).map_or_else(|| zh.to_owned(), |l| ctx.lang.pick(&l.name_zh, &l.name_en).to_owned())
}

fn level_name(ctx: &Ctx, level: &str, zh: &str) -> String {
    named(ctx, &format!("q-level-{level}"), zh)
}

/// A priority reason (the rules' Chinese name) in the page's language.
fn reason(ctx: &Ctx, zh: &str) -> String {
    cases::rules().priority.classes.iter().find(|c| c.name_zh == zh).map_or_else(|| zh.to_owned(), |c| ctx.lang.pick(&c.name_zh, &c.name_en).to_owned())
}

fn reasons(ctx: &Ctx, list: &[String]) -> String {
    list.iter().map(|r| reason(ctx, r)).collect::<Vec<_>>().join(ctx.lang.pick("、", ", "))
}

fn state_tag(ctx: &Ctx, state: &str, zh: &str) -> Markup {
    let class = match state {
        "called" | "serving" => "warn",
        "done" => "ok",
        "no_show" => "bad",
        "cancelled" => "grey",
        _ => "info",
    };
    tag(class, &named(ctx, &format!("q-state-{state}"), zh))
}

/// Minutes of waiting, from seconds (rounded up).
fn wait_minutes(ctx: &Ctx, seconds: u32) -> String {
    ctx.ta("q-minutes", crate::args![("n", seconds.div_ceil(60))])
}

fn minutes_seconds(ctx: &Ctx, s: Option<f64>) -> String {
    let Some(s) = s.filter(|s| s.is_finite() && *s >= 0.0) else { return "—".to_owned() };
    let s = s.round() as u64;
    ctx.ta("q-min-sec", crate::args![("m", s / 60), ("s", s % 60)])
}

/// The weekdays of a session, consecutive days as a range: 周一至周五.
fn weekdays(ctx: &Ctx, days: &[u8]) -> String {
    let mut d: Vec<u8> = days.to_vec();
    d.sort_unstable();
    d.dedup();
    let name = |n: u8| ctx.t(&format!("q-weekday-{n}"));
    let consecutive = d.windows(2).all(|w| w[1] == w[0] + 1);
    match (d.first(), d.last()) {
        (Some(a), Some(b)) if d.len() > 2 && consecutive => ctx.ta("q-weekday-range", crate::args![("from", name(*a)), ("to", name(*b))]),
        _ => d.iter().map(|n| name(*n)).collect::<Vec<_>>().join(ctx.lang.pick("、", ", ")),
    }
}

fn hours(ctx: &Ctx, sessions: &[SessionBody]) -> String {
    sessions.iter().map(|s| format!("{} {}–{}", weekdays(ctx, &s.weekdays), s.opens, s.closes)).collect::<Vec<_>>().join(ctx.lang.pick("；", "; "))
}

fn open_tag(ctx: &Ctx, h: &HallView) -> Markup {
    if h.status != "open" {
        return tag("bad", &ctx.t("q-hall-closed"));
    }
    if h.open_now {
        return tag("ok", &ctx.t("q-open-now"));
    }
    match &h.next_opening {
        Some(t) => tag("grey", &ctx.ta("q-next-opening", crate::args![("at", t.clone())])),
        None => tag("grey", &ctx.t("q-closed-now")),
    }
}

fn extended(ctx: &Ctx, h: &HallView) -> Markup {
    html! {
        @if h.offers_lunch { (tag("info", &ctx.t("q-lunch"))) " " }
        @if h.offers_weekend { (tag("info", &ctx.t("q-weekend"))) }
        @if !h.offers_lunch && !h.offers_weekend { span.muted { "—" } }
    }
}

/// A drop-down with its label and error.
fn select(ctx: &Ctx, errors: &Errors, name: &str, label: &str, hint: Option<&str>, choices: &[(String, String)], value: &str) -> Markup {
    let id = input_id(name);
    let err = errors.of(name);
    let described: Vec<String> = [hint.map(|_| format!("{id}-hint")), err.map(|_| format!("{id}-error"))].into_iter().flatten().collect();
    let described = described.join(" ");
    html! {
        div class={ "field" @if err.is_some() { " field-error" } } {
            label for=(id) { (label) }
            @if let Some(h) = hint { p.hint #{ (id) "-hint" } { (h) } }
            @if let Some(m) = err { p.error-message #{ (id) "-error" } { span.visually-hidden { (ctx.t("form-error-prefix")) } (m) } }
            select #(id).input name=(name) aria-invalid=[err.map(|_| "true")] aria-describedby=[(!described.is_empty()).then_some(described.as_str())] {
                @for (v, l) in choices { option value=(v) selected[v == value] { (l) } }
            }
        }
    }
}

/// The live part of a page: `queue.js` follows the hall's board feed and swaps it in.
fn live_attrs(hall: &str) -> String {
    format!("/api/halls/{}/board/live", encode(hall))
}

/// A window number as typed: 1–999.
fn window_no(ctx: &Ctx, errors: &mut Errors, field: &str, v: &str) -> Option<u32> {
    let n = v.trim().parse::<u32>().ok().filter(|n| (1..=999).contains(n));
    if n.is_none() {
        errors.push(field, ctx.t("q-window-invalid"));
    }
    n
}

fn mask_name(name: &str) -> String {
    let mut c = name.chars();
    match c.next() {
        Some(first) => format!("{first}{}", "*".repeat(c.count().max(1))),
        None => String::new(),
    }
}

/// An RFC 3339 time (as the use cases give them) in China, to the minute.
fn time_of(t: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(t).ok().map(|t| super::time(t.with_timezone(&chrono::Utc))).unwrap_or_else(|| t.to_owned())
}

// ---------------------------------------------------------------------------------------------
// The halls of the network.

/// `GET /queue`: the halls by level with their queues, on a map; a resident's tickets and
/// cross-region cases.
pub async fn home(State(web): State<Web>, ctx: Ctx, Query(q): Query<DoneQuery>) -> Response {
    let r = async {
        let halls = cases::halls_list(&web.state, HallQuery::default()).await?;
        let user = ctx.user.as_ref();
        let resident = is_resident(user);
        let (tickets, xr) = match user.filter(|_| resident) {
            Some(p) => (cases::my_tickets(&web.state, p).await?, crossregion::my_cases(&web.state, p).await?),
            None => (Vec::new(), Vec::new()),
        };
        let title = ctx.t("q-home-title");
        let points: Vec<charts::Point> = halls.iter().enumerate().map(|(i, h)| charts::Point { label: (i + 1).to_string(), lat: h.lat, lon: h.lon, marked: !h.open_now }).collect();
        let body = html! {
            (banner_markup(banner(&ctx, q.done.as_deref()).as_ref()))
            h1 { (title) }
            p.lead { (ctx.t("q-home-lead")) }
            @if resident {
                section #mine aria-labelledby="h-q-mine" {
                    h2 #h-q-mine { (ctx.t("q-mine-title")) }
                    @if tickets.is_empty() { p { (ctx.t("q-mine-none")) } } @else {
                        div.table-wrap { table {
                            caption.visually-hidden { (ctx.t("q-mine-title")) }
                            thead { tr {
                                th scope="col" { (ctx.t("q-col-number")) }
                                th scope="col" { (ctx.t("q-col-hall")) }
                                th scope="col" { (ctx.t("q-col-line")) }
                                th scope="col" { (ctx.t("q-col-day")) }
                                th scope="col" { (ctx.t("q-col-state")) }
                            } }
                            tbody {
                                @for t in &tickets {
                                    tr {
                                        th scope="row" { a href={ "/queue/tickets/" (encode(&t.id)) } { (ticket_label(&ctx, t)) } }
                                        td { (t.hall_name) }
                                        td { (line_name(&ctx, &t.line, &t.line_name)) }
                                        td { (t.day) }
                                        td { (state_tag(&ctx, &t.state, &t.state_zh)) }
                                    }
                                }
                            }
                        } }
                    }
                }
                section #crossregion aria-labelledby="h-q-xr-mine" {
                    h2 #h-q-xr-mine { (ctx.t("q-xr-mine-title")) }
                    @if xr.is_empty() { p { (ctx.t("q-xr-mine-none")) } } @else { (cases_list(&ctx, &xr, false)) }
                }
            }
            section #halls aria-labelledby="h-q-halls" {
                h2 #h-q-halls { (ctx.t("q-halls-title")) }
                @if halls.is_empty() { p { (ctx.t("q-no-halls")) } } @else {
                    figure.chart {
                        (charts::points("q-map", &ctx.t("q-map-title"), &ctx.ta("q-map-desc", crate::args![("n", halls.len())]), &points))
                        figcaption.muted { (ctx.t("q-map-caption")) }
                    }
                    @for level in LEVELS {
                        @let group: Vec<(usize, &HallView)> = halls.iter().enumerate().filter(|(_, h)| h.level == level).collect();
                        @if !group.is_empty() {
                            h3 { (level_name(&ctx, level, &group[0].1.level_zh)) " " span.muted { "(" (group.len()) ")" } }
                            div.table-wrap { table {
                                caption.visually-hidden { (level_name(&ctx, level, &group[0].1.level_zh)) }
                                thead { tr {
                                    th scope="col" { (ctx.t("q-col-hall")) }
                                    th scope="col" { (ctx.t("q-col-open")) }
                                    th scope="col" { (ctx.t("q-col-extended")) }
                                    th scope="col" { (ctx.t("q-col-waiting")) }
                                } }
                                tbody {
                                    @for (i, h) in &group {
                                        tr {
                                            th scope="row" {
                                                (i + 1) ". " a href={ "/queue/halls/" (encode(&h.id)) } { (h.name) }
                                                br;
                                                span.muted { (h.town_name.clone().unwrap_or_else(|| h.town.clone())) " · " (h.address) }
                                            }
                                            td { (open_tag(&ctx, h)) br; span.muted { (hours(&ctx, &h.sessions)) } }
                                            td { (extended(&ctx, h)) }
                                            td {
                                                @if h.lines.is_empty() { "—" }
                                                ul.detail-list {
                                                    @for l in &h.lines {
                                                        li { (line_name(&ctx, &l.code, &l.name_zh)) "：" (ctx.ta("q-line-waiting", crate::args![("n", l.waiting), ("m", l.estimate_minutes)])) }
                                                    }
                                                }
                                            }
                                        }
                                    }
                                }
                            } }
                        }
                    }
                }
            }
            @if ctx.user.is_none() {
                p { a href={ "/login?next=" (encode("/queue")) } { (ctx.t("q-sign-in-to-take")) } }
            }
        };
        Ok::<_, Failure>(page_status(&ctx, StatusCode::OK, &title, body))
    }
    .await;
    finish(&ctx, r)
}

fn ticket_label(ctx: &Ctx, t: &TicketView) -> String {
    if t.number.is_empty() {
        ctx.ta("q-appointment-at", crate::args![("slot", t.slot.clone().unwrap_or_default().replace('T', " "))])
    } else {
        t.number.clone()
    }
}

// ---------------------------------------------------------------------------------------------
// One hall: lines, taking a ticket, booking.

#[derive(Default)]
struct HallShown {
    banner: Option<String>,
    take_errors: Errors,
    book_errors: Errors,
    line: String,
    day: String,
}

/// `GET /queue/halls/{id}`: the hall, its lines with waiting and estimate; a resident takes a
/// ticket or books (`?line=&day=` shows the free slots).
pub async fn hall(State(web): State<Web>, ctx: Ctx, Path(id): Path<String>, Query(q): Query<HallPageQuery>) -> Response {
    let s = HallShown { banner: banner(&ctx, q.done.as_deref()), line: q.line.unwrap_or_default(), day: q.day.unwrap_or_default(), ..Default::default() };
    let r = render_hall(&ctx, &web, &id, s, StatusCode::OK).await;
    finish(&ctx, r)
}

async fn render_hall(ctx: &Ctx, web: &Web, id: &str, s: HallShown, status: StatusCode) -> Result<Response, Failure> {
    let user = ctx.user.as_ref();
    let h = cases::hall(&web.state, user, id).await?;
    let resident = is_resident(user);
    let mut book_errors = s.book_errors.clone();
    let today = domain::china_date(web.state.now());
    let slots: Option<Vec<SlotView>> = if resident && !s.line.trim().is_empty() {
        let day = s.day.trim();
        match cases::slots(&web.state, id, SlotQuery { line: s.line.trim().to_owned(), day: (!day.is_empty()).then(|| day.to_owned()) }).await {
            Ok(list) => Some(list),
            Err(e) if on_form(&e) => {
                book_errors.0.extend(form_errors(ctx, &e, &[("line", "line".to_owned()), ("day", "day".to_owned())]).0);
                None
            }
            Err(e) => return Err(e),
        }
    } else {
        None
    };
    let title = h.name.clone();
    let here = format!("/queue/halls/{}", encode(&h.id));
    let line_choices: Vec<(String, String)> = std::iter::once((String::new(), ctx.t("q-choose-line"))).chain(h.lines.iter().map(|l| (l.code.clone(), line_name(ctx, &l.code, &l.name_zh)))).collect();
    let days = i64::from(cases::rules().appointments.days_ahead);
    let day_choices: Vec<(String, String)> = (0..=days).map(|d| today + chrono::Duration::days(d)).map(|d| (d.to_string(), format!("{} {}", d, ctx.t(&format!("q-weekday-{}", chrono::Datelike::weekday(&d).number_from_monday()))))).collect();
    let day_value = if s.day.trim().is_empty() { today.to_string() } else { s.day.trim().to_owned() };
    let bookable: Vec<&SlotView> = slots.iter().flatten().filter(|x| x.bookable).collect();
    let slot_choices: Vec<(String, String)> = bookable.iter().map(|x| (x.start.clone(), ctx.ta("q-slot-label", crate::args![("at", x.start.replace('T', " ")), ("free", x.capacity.saturating_sub(x.booked))]))).collect();
    let staff = ctx.who.meets(WINDOWS);
    let watcher = ctx.who.meets(HALL_STAFF);
    let body = html! {
        (breadcrumbs(ctx, &[("/queue", ctx.t("q-home-title")), ("", title.clone())]))
        (banner_markup(s.banner.as_ref()))
        h1 { (title) " " (open_tag(ctx, &h)) }
        dl.summary {
            dt { (ctx.t("q-level")) } dd { (level_name(ctx, &h.level, &h.level_zh)) }
            dt { (ctx.t("q-town")) } dd { (h.town_name.clone().unwrap_or_else(|| h.town.clone())) }
            dt { (ctx.t("q-address")) } dd { (h.address) }
            dt { (ctx.t("q-hours")) } dd { (hours(ctx, &h.sessions)) }
            dt { (ctx.t("q-col-extended")) } dd { (extended(ctx, &h)) }
            dt { (ctx.t("q-waiting-total")) } dd { (h.waiting) }
        }
        ul.tabs {
            li { a href={ (here) "/board" } { (ctx.t("q-board-link")) } }
            li { a href={ (here) "/kiosk" } { (ctx.t("q-kiosk-link")) } }
            @if staff { li { a href={ (here) "/window" } { (ctx.t("q-window-link")) } } }
            @if watcher { li { a href={ (here) "/cockpit" } { (ctx.t("q-cockpit-link")) } } }
        }
        section #lines aria-labelledby="h-q-lines" {
            h2 #h-q-lines { (ctx.t("q-lines-title")) }
            (error_summary(ctx, &s.take_errors, &[]))
            div.table-wrap { table {
                caption.visually-hidden { (ctx.t("q-lines-title")) }
                thead { tr {
                    th scope="col" { (ctx.t("q-col-line")) }
                    th.num scope="col" { (ctx.t("q-col-windows")) }
                    th.num scope="col" { (ctx.t("q-col-waiting")) }
                    th.num scope="col" { (ctx.t("q-col-estimate")) }
                    @if resident { th scope="col" { (ctx.t("q-col-take")) } }
                } }
                tbody {
                    @for l in &h.lines {
                        @let name = line_name(ctx, &l.code, &l.name_zh);
                        tr {
                            th scope="row" { (name) " " span.muted { "(" (l.prefix) ")" } }
                            td.num { (l.windows_open) }
                            td.num { (l.waiting) }
                            td.num { (ctx.ta("q-minutes", crate::args![("n", l.estimate_minutes)])) }
                            @if resident {
                                td {
                                    form method="post" action={ (here) "/take" } {
                                        (csrf(ctx))
                                        input type="hidden" name="line" value=(l.code);
                                        button.button type="submit" { (ctx.t("q-take")) span.visually-hidden { " " (name) } }
                                    }
                                }
                            }
                        }
                    }
                }
            } }
            @if user.is_none() {
                p { a href={ "/login?next=" (encode(&here)) } { (ctx.t("q-sign-in-to-take")) } }
            } @else if !resident {
                p.muted { (ctx.t("q-staff-no-take")) }
            }
        }
        @if resident {
            section #book aria-labelledby="h-q-book" {
                h2 #h-q-book { (ctx.t("q-book-title")) }
                p { (ctx.t("q-book-lead")) }
                (error_summary(ctx, &book_errors, &["line".to_owned(), "day".to_owned(), "slot".to_owned()]))
                form.stack method="get" action={ (here) "#book" } novalidate {
                    (select(ctx, &book_errors, "line", &ctx.t("q-col-line"), None, &line_choices, s.line.trim()))
                    (select(ctx, &book_errors, "day", &ctx.t("q-col-day"), None, &day_choices, &day_value))
                    button.button.button-secondary type="submit" { (ctx.t("q-show-slots")) }
                }
                @if slots.is_some() {
                    @if slot_choices.is_empty() {
                        p { strong { (ctx.t("q-no-slots")) } }
                    } @else {
                        form.stack method="post" action={ (here) "/book" } novalidate {
                            (csrf(ctx))
                            input type="hidden" name="line" value=(s.line.trim());
                            input type="hidden" name="day" value=(day_value);
                            (radios(ctx, &book_errors, "slot", &ctx.t("q-slot"), &slot_choices, "", true))
                            button.button type="submit" { (ctx.t("q-book")) }
                        }
                    }
                }
            }
        }
        section #windows aria-labelledby="h-q-windows" {
            h2 #h-q-windows { (ctx.t("q-windows-title")) }
            div.table-wrap { table {
                caption.visually-hidden { (ctx.t("q-windows-title")) }
                thead { tr {
                    th scope="col" { (ctx.t("q-col-window")) }
                    th scope="col" { (ctx.t("q-col-line")) }
                    th scope="col" { (ctx.t("q-col-state")) }
                    th scope="col" { (ctx.t("q-col-current")) }
                } }
                tbody {
                    @for w in &h.windows {
                        tr {
                            th scope="row" { (ctx.ta("q-window-n", crate::args![("n", w.no)])) " " (w.name) }
                            td { (w.lines.iter().map(|c| line_name(ctx, c, c)).collect::<Vec<_>>().join(ctx.lang.pick("、", ", "))) }
                            td { @if w.open { (tag("ok", &ctx.t("q-window-open"))) } @else { (tag("grey", &ctx.t("q-window-shut"))) } }
                            td { (w.current.clone().unwrap_or_else(|| "—".to_owned())) }
                        }
                    }
                }
            } }
        }
    };
    Ok(page_status(ctx, status, &h.name, body))
}

/// `POST /queue/halls/{id}/take`: a resident takes a ticket now.
pub async fn take(State(web): State<Web>, ctx: Ctx, Path(id): Path<String>, form: PostForm) -> Response {
    let r = async {
        let p = ctx.require()?;
        let line = form.get("line").unwrap_or_default();
        match cases::take(&web.state, Some(p), &id, TakeBody { line }).await {
            Ok(t) => Ok(redirect(&format!("/queue/tickets/{}?done=taken", encode(&t.id)))),
            Err(e) if on_form(&e) => {
                let errors = form_errors(&ctx, &e, &[]);
                render_hall(&ctx, &web, &id, HallShown { take_errors: errors, ..Default::default() }, e.status()).await
            }
            Err(e) => Err(e),
        }
    }
    .await;
    finish(&ctx, r)
}

/// `POST /queue/halls/{id}/book`: a resident books a free slot.
pub async fn book(State(web): State<Web>, ctx: Ctx, Path(id): Path<String>, form: PostForm) -> Response {
    let r = async {
        let p = ctx.require()?;
        let line = form.get("line").unwrap_or_default();
        let day = form.get("day").unwrap_or_default();
        let shown = |errors: Errors| HallShown { book_errors: errors, line: line.clone(), day: day.clone(), ..Default::default() };
        let Some(slot) = form.get("slot") else {
            let mut errors = Errors::default();
            errors.push("slot", ctx.t("q-slot-required"));
            return render_hall(&ctx, &web, &id, shown(errors), StatusCode::UNPROCESSABLE_ENTITY).await;
        };
        match cases::book(&web.state, p, &id, BookBody { line: line.clone(), slot }).await {
            Ok(t) => Ok(redirect(&format!("/queue/tickets/{}?done=booked", encode(&t.id)))),
            Err(e) if on_form(&e) => {
                let errors = form_errors(&ctx, &e, &[("line", "line".to_owned()), ("slot", "slot".to_owned())]);
                render_hall(&ctx, &web, &id, shown(errors), e.status()).await
            }
            Err(e) => Err(e),
        }
    }
    .await;
    finish(&ctx, r)
}

// ---------------------------------------------------------------------------------------------
// A ticket.

/// `GET /queue/tickets/{id}`: its holder's (or the slip's `?token=`) ticket, live.
pub async fn ticket(State(web): State<Web>, ctx: Ctx, Path(id): Path<String>, Query(q): Query<TicketQuery>) -> Response {
    let r = render_ticket(&ctx, &web, &id, q.token.as_deref(), banner(&ctx, q.done.as_deref()), Errors::default(), StatusCode::OK).await;
    finish(&ctx, r)
}

fn is_live(state: &str) -> bool {
    matches!(state, "booked" | "waiting" | "called" | "serving" | "held")
}

async fn render_ticket(ctx: &Ctx, web: &Web, id: &str, token: Option<&str>, banner_text: Option<String>, errors: Errors, status: StatusCode) -> Result<Response, Failure> {
    let user = ctx.user.as_ref();
    let token = token.map(str::trim).filter(|t| !t.is_empty());
    let t = cases::ticket(&web.state, user, id, token).await?;
    let resident = is_resident(user);
    let title = if t.number.is_empty() { ctx.t("q-ticket-title-booked") } else { ctx.ta("q-ticket-title", crate::args![("number", t.number.clone())]) };
    let tq = token.map(|k| format!("?token={}", encode(k))).unwrap_or_default();
    let action = |what: &str| format!("/queue/tickets/{}/{what}", encode(&t.id));
    let can = |what: &str| t.can.iter().any(|c| c == what);
    let rate_choices: Vec<(String, String)> = (1..=5).rev().map(|n: u8| (n.to_string(), format!("{n} · {}", ctx.t(&format!("q-rate-{n}"))))).collect();
    let live = is_live(&t.state);
    let body = html! {
        (breadcrumbs(ctx, &[("/queue", ctx.t("q-home-title")), (&format!("/queue/halls/{}", encode(&t.hall)), t.hall_name.clone()), ("", title.clone())]))
        (banner_markup(banner_text.as_ref()))
        h1 { (title) }
        div #q-live data-feed=[live.then(|| live_attrs(&t.hall))] {
            div.q-ticket {
                @if !t.number.is_empty() { p.q-number { span.visually-hidden { (ctx.t("q-col-number")) " " } (t.number) } }
                p { (state_tag(ctx, &t.state, &t.state_zh)) }
                @if t.state == "waiting" {
                    ul.figures {
                        li { span.num { (t.ahead.unwrap_or(0)) } span.lbl { (ctx.t("q-ahead")) } }
                        li { span.num { (t.estimate_seconds.map_or_else(|| "—".to_owned(), |s| wait_minutes(ctx, s))) } span.lbl { (ctx.t("q-estimate")) } }
                    }
                }
                @if matches!(t.state.as_str(), "called" | "serving") {
                    @if let Some(w) = t.window { p.q-call-me { strong { (ctx.ta("q-go-to-window", crate::args![("number", t.number.clone()), ("window", w)])) } } }
                }
                @if !t.priority.is_empty() { p { (ctx.t("q-priority")) "：" (reasons(ctx, &t.priority)) } }
            }
            dl.summary {
                dt { (ctx.t("q-col-hall")) } dd { a href={ "/queue/halls/" (encode(&t.hall)) } { (t.hall_name) } }
                dt { (ctx.t("q-col-line")) } dd { (line_name(ctx, &t.line, &t.line_name)) }
                dt { (ctx.t("q-col-day")) } dd { (t.day) }
                @if let Some(s) = &t.slot { dt { (ctx.t("q-slot")) } dd { (s.replace('T', " ")) } }
                dt { (ctx.t("q-source")) } dd { (named(ctx, &format!("q-source-{}", t.source), &t.source)) }
                @if let Some(a) = &t.application { dt { (ctx.t("q-application")) } dd { (a) } }
                @if let Some(r) = t.rating { dt { (ctx.t("q-rating")) } dd { (r) " · " (ctx.t(&format!("q-rate-{r}"))) } }
            }
            @if live {
                p.muted { (ctx.t("q-live-hint")) " " a href={ "/queue/tickets/" (encode(&t.id)) (tq) } { (ctx.t("q-refresh")) } }
                noscript { meta http-equiv="refresh" content="30"; }
            }
        }
        (error_summary(ctx, &errors, &["score".to_owned()]))
        div.actions {
            @if resident && can("check_in") {
                form method="post" action=(action("check-in")) {
                    (csrf(ctx))
                    button.button type="submit" { (ctx.t("q-check-in")) }
                }
            }
            @if resident && can("cancel") {
                form method="post" action=(action("cancel")) {
                    (csrf(ctx))
                    @if let Some(k) = token { input type="hidden" name="token" value=(k); }
                    button.button.button-secondary type="submit" data-confirm=(ctx.t("q-cancel-confirm")) { (ctx.t("q-cancel")) }
                }
            }
        }
        @if can("rate") {
            section #rate aria-labelledby="h-q-rate" {
                h2 #h-q-rate { (ctx.t("q-rate-title")) }
                form.stack method="post" action=(action("rate")) novalidate {
                    (csrf(ctx))
                    @if let Some(k) = token { input type="hidden" name="token" value=(k); }
                    (radios(ctx, &errors, "score", &ctx.t("q-rate-legend"), &rate_choices, "", true))
                    button.button type="submit" { (ctx.t("q-rate-send")) }
                }
            }
        }
        @if !t.steps.is_empty() {
            section aria-labelledby="h-q-steps" {
                h2 #h-q-steps { (ctx.t("q-steps-title")) }
                ol {
                    @for st in &t.steps {
                        li {
                            (st.at) " · " (named(ctx, &format!("q-step-{}", st.action), &st.action))
                            @if let Some(w) = st.window { " · " (ctx.ta("q-window-n", crate::args![("n", w)])) }
                            @if let Some(n) = &st.note { " · " (n) }
                        }
                    }
                }
            }
        }
        script src=(JS_URL) defer {}
    };
    Ok(page_status(ctx, status, &title, body))
}

fn back_to_ticket(id: &str, token: Option<&str>, done: &str) -> String {
    match token {
        Some(k) => format!("/queue/tickets/{}?token={}&done={done}", encode(id), encode(k)),
        None => format!("/queue/tickets/{}?done={done}", encode(id)),
    }
}

/// `POST /queue/tickets/{id}/check-in`: the holder checks in an appointment on arrival.
pub async fn check_in(State(web): State<Web>, ctx: Ctx, Path(id): Path<String>, _form: PostForm) -> Response {
    let r = async {
        let p = ctx.require()?;
        match cases::check_in(&web.state, p, &id).await {
            Ok(t) => Ok(redirect(&back_to_ticket(&t.id, None, "checked_in"))),
            Err(e) if on_form(&e) => render_ticket(&ctx, &web, &id, None, None, form_errors(&ctx, &e, &[]), e.status()).await,
            Err(e) => Err(e),
        }
    }
    .await;
    finish(&ctx, r)
}

/// `POST /queue/tickets/{id}/cancel`: the holder cancels a booking or a waiting ticket.
pub async fn cancel(State(web): State<Web>, ctx: Ctx, Path(id): Path<String>, form: PostForm) -> Response {
    let r = async {
        let p = ctx.require()?;
        let token = form.get("token");
        match cases::cancel(&web.state, p, &id, token.as_deref()).await {
            Ok(t) => Ok(redirect(&back_to_ticket(&t.id, token.as_deref(), "cancelled"))),
            Err(e) if on_form(&e) => render_ticket(&ctx, &web, &id, token.as_deref(), None, form_errors(&ctx, &e, &[]), e.status()).await,
            Err(e) => Err(e),
        }
    }
    .await;
    finish(&ctx, r)
}

/// `POST /queue/tickets/{id}/rate`: the holder (or the slip's token, signed out) rates 1–5.
pub async fn rate(State(web): State<Web>, ctx: Ctx, Path(id): Path<String>, form: PostForm) -> Response {
    let r = async {
        let token = form.get("token");
        let score = form.get("score").and_then(|s| s.parse::<u8>().ok()).filter(|s| (1..=5).contains(s));
        let Some(score) = score else {
            let mut errors = Errors::default();
            errors.push("score", ctx.t("q-rate-required"));
            return render_ticket(&ctx, &web, &id, token.as_deref(), None, errors, StatusCode::UNPROCESSABLE_ENTITY).await;
        };
        match cases::rate(&web.state, ctx.user.as_ref(), &id, RateBody { score, token: token.clone() }).await {
            Ok(t) => Ok(redirect(&back_to_ticket(&t.id, token.as_deref(), "rated"))),
            Err(e) if on_form(&e) => render_ticket(&ctx, &web, &id, token.as_deref(), None, form_errors(&ctx, &e, &[("score", "score".to_owned())]), e.status()).await,
            Err(e) => Err(e),
        }
    }
    .await;
    finish(&ctx, r)
}

// ---------------------------------------------------------------------------------------------
// The kiosk and the board: pages of their own (no site navigation), large and high in contrast.

fn screen(ctx: &Ctx, status: StatusCode, title: &str, class: &str, refresh: Option<u32>, body: Markup) -> Response {
    let other = ctx.lang.other();
    let back = encode(&ctx.here);
    let doc = html! {
        (DOCTYPE)
        html lang=(ctx.lang.html()) class=(if ctx.elder { "elder" } else { "" }) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " - " (ctx.t("site-name")) }
                link rel="stylesheet" href=(crate::assets::CSS_URL);
                link rel="stylesheet" href=(CSS_URL);
                script src=(crate::assets::JS_URL) defer {}
                script src=(JS_URL) defer {}
                @if let Some(s) = refresh { noscript { meta http-equiv="refresh" content=(s); } }
            }
            body class=(class) {
                main #main.wrap tabindex="-1" {
                    (body)
                    p.q-screen-switch {
                        a href={ "/prefs/lang/" (other.code()) "?back=" (back) } lang=(other.html()) hreflang=(other.html()) { (ctx.t("lang-switch")) }
                    }
                }
            }
        }
    };
    let mut resp = (status, Html(doc.into_string())).into_response();
    resp.headers_mut().insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp.headers_mut().insert(CONTENT_LANGUAGE, HeaderValue::from_static(ctx.lang.html()));
    resp
}

/// The site's address as the kiosk's slip links it: `public_url`, else the request's host.
fn site(web: &Web, headers: &HeaderMap) -> String {
    if let Some(u) = web.state.config.public_url.as_deref().filter(|u| !u.is_empty()) {
        return u.trim_end_matches('/').to_owned();
    }
    let host = headers.get(axum::http::header::HOST).and_then(|h| h.to_str().ok()).filter(|h| h.bytes().all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b))).unwrap_or("localhost");
    format!("http://{host}")
}

/// `GET /queue/halls/{id}/kiosk`: big buttons per line; after taking one (`?ticket=&token=`), the
/// slip: number, wait, and a QR code of the ticket's page.
pub async fn kiosk(State(web): State<Web>, ctx: Ctx, headers: HeaderMap, Path(id): Path<String>, Query(q): Query<KioskQuery>) -> Response {
    let r = render_kiosk(&ctx, &web, &headers, &id, q.ticket.as_deref().zip(q.token.as_deref()), Errors::default(), StatusCode::OK).await;
    finish(&ctx, r)
}

async fn render_kiosk(ctx: &Ctx, web: &Web, headers: &HeaderMap, id: &str, slip: Option<(&str, &str)>, errors: Errors, status: StatusCode) -> Result<Response, Failure> {
    let h = cases::hall(&web.state, None, id).await?;
    let here = format!("/queue/halls/{}/kiosk", encode(&h.id));
    let ticket = match slip {
        Some((t, k)) => Some((cases::ticket(&web.state, None, t, Some(k)).await?, k.to_owned())),
        None => None,
    };
    let title = ctx.ta("q-kiosk-title", crate::args![("hall", h.name.clone())]);
    let body = html! {
        @match &ticket {
            Some((t, k)) => {
                @let path = format!("/queue/tickets/{}?token={}", encode(&t.id), encode(k));
                @let url = format!("{}{path}", site(web, headers));
                h1 { (ctx.t("q-slip-title")) }
                div.q-slip role="status" {
                    p.q-number { span.visually-hidden { (ctx.t("q-col-number")) " " } (t.number) }
                    p.q-big { (line_name(ctx, &t.line, &t.line_name)) }
                    p.q-big { (ctx.ta("q-slip-wait", crate::args![("n", t.ahead.unwrap_or(0)), ("m", t.estimate_seconds.unwrap_or(0).div_ceil(60))])) }
                    @if let Some(svg) = pool::qr::svg(&url) {
                        p.q-qr { img src={ "data:image/svg+xml;base64," (base64::engine::general_purpose::STANDARD.encode(svg.as_bytes())) } alt=(ctx.t("q-qr-alt")) width="240" height="240"; }
                    }
                    p { (ctx.t("q-slip-url")) }
                    p.q-url { a href=(path) { (url) } }
                }
                p { a.button.button-large href=(here) { (ctx.t("q-kiosk-done")) } }
            }
            None => {
                h1 { (h.name) }
                p.q-big { (ctx.t("q-kiosk-lead")) " " (open_tag(ctx, &h)) }
                (error_summary(ctx, &errors, &[]))
                ul.q-kiosk-lines {
                    @for l in &h.lines {
                        @let name = line_name(ctx, &l.code, &l.name_zh);
                        li {
                            form method="post" action=(here) {
                                (csrf(ctx))
                                input type="hidden" name="line" value=(l.code);
                                button.q-kiosk-button type="submit" {
                                    span.q-kiosk-name { (name) }
                                    span.q-kiosk-wait { (ctx.ta("q-line-waiting", crate::args![("n", l.waiting), ("m", l.estimate_minutes)])) }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(screen(ctx, status, &title, "q-kiosk", None, body))
}

/// `POST /queue/halls/{id}/kiosk`: the kiosk takes a ticket (always as a slip, signed out: the
/// kiosk is shared by everyone in the hall) and shows it.
pub async fn kiosk_take(State(web): State<Web>, ctx: Ctx, headers: HeaderMap, Path(id): Path<String>, form: PostForm) -> Response {
    let r = async {
        let line = form.get("line").unwrap_or_default();
        match cases::take(&web.state, None, &id, TakeBody { line }).await {
            Ok(t) => {
                let token = t.token.clone().unwrap_or_default();
                Ok(redirect(&format!("/queue/halls/{}/kiosk?ticket={}&token={}", encode(&t.hall), encode(&t.id), encode(&token))))
            }
            Err(e) if on_form(&e) => render_kiosk(&ctx, &web, &headers, &id, None, form_errors(&ctx, &e, &[]), e.status()).await,
            Err(e) => Err(e),
        }
    }
    .await;
    finish(&ctx, r)
}

/// `GET /queue/halls/{id}/board`: the display board: the latest calls large, each line's next
/// numbers and wait, a clock; live through the board's feed (without script: every 15 seconds).
pub async fn board(State(web): State<Web>, ctx: Ctx, Path(id): Path<String>) -> Response {
    let r = async {
        let b = cases::board(&web.state, &id).await?;
        let title = ctx.ta("q-board-title", crate::args![("hall", b.name.clone())]);
        Ok::<_, Failure>(screen(&ctx, StatusCode::OK, &title, "q-board", Some(15), board_body(&ctx, &b, web.state.now().timestamp_millis())))
    }
    .await;
    finish(&ctx, r)
}

/// The board: `now_ms` (the server's clock) sets the clock's time, so that a screen whose own
/// clock or time zone is wrong still shows China time; the latest call is also announced in a
/// live region that stays while the board's content is swapped.
fn board_body(ctx: &Ctx, b: &BoardView, now_ms: i64) -> Markup {
    let now = b.now.split(' ').nth(1).unwrap_or(&b.now).to_owned();
    let latest = b.called.first().map(|c| ctx.ta("q-call-text", crate::args![("number", c.number.clone()), ("window", c.window)])).unwrap_or_default();
    html! {
        div.q-board-head {
            h1 { (b.name) }
            p.q-clock { span.visually-hidden { (ctx.t("q-clock")) " " } time #q-clock data-now=(now_ms) { (now) } }
        }
        div #q-announce.visually-hidden aria-live="polite" aria-atomic="true" { (latest) }
        div #q-live data-feed=(live_attrs(&b.hall)) {
            @if !b.open_now { p.q-big { (ctx.t("q-closed-now")) } }
            section aria-labelledby="h-q-calls" {
                h2 #h-q-calls { (ctx.t("q-calls-title")) }
                @match b.called.first() {
                    Some(c) => {
                        p.q-call { (ctx.ta("q-call-text", crate::args![("number", c.number.clone()), ("window", c.window)])) }
                        @if b.called.len() > 1 {
                            ul.q-calls {
                                @for c in b.called.iter().skip(1) {
                                    li { strong { (c.number) } " → " (ctx.ta("q-window-n", crate::args![("n", c.window)])) " " span.q-dim { (c.at) } }
                                }
                            }
                        }
                    }
                    None => { p.q-big { (ctx.t("q-no-calls")) } }
                }
            }
            section aria-labelledby="h-q-board-lines" {
                h2 #h-q-board-lines { (ctx.t("q-lines-title")) }
                table {
                    caption.visually-hidden { (ctx.t("q-lines-title")) }
                    thead { tr {
                        th scope="col" { (ctx.t("q-col-line")) }
                        th.num scope="col" { (ctx.t("q-col-waiting")) }
                        th scope="col" { (ctx.t("q-col-next")) }
                        th.num scope="col" { (ctx.t("q-col-estimate")) }
                    } }
                    tbody {
                        @for l in &b.lines {
                            tr {
                                th scope="row" { (line_name(ctx, &l.code, &l.name_zh)) }
                                td.num { (l.waiting) }
                                td { @if l.next.is_empty() { "—" } @else { (l.next.join(" ")) } }
                                td.num { (ctx.ta("q-minutes", crate::args![("n", l.estimate_minutes)])) }
                            }
                        }
                    }
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The window console.

#[derive(Default)]
struct WindowShown {
    banner: Option<String>,
    window: String,
    errors: Errors,
}

/// `GET /queue/halls/{id}/window?window=N`: window staff call the next number and act on the
/// ticket at their window; the waiting list (numbers, priority, estimate; no names).
pub async fn window(State(web): State<Web>, ctx: Ctx, Path(id): Path<String>, Query(q): Query<WindowQuery>) -> Response {
    let s = WindowShown { banner: banner(&ctx, q.done.as_deref()), window: q.window.unwrap_or_default(), ..Default::default() };
    let r = render_window(&ctx, &web, &id, s, StatusCode::OK).await;
    finish(&ctx, r)
}

async fn render_window(ctx: &Ctx, web: &Web, id: &str, s: WindowShown, status: StatusCode) -> Result<Response, Failure> {
    let p = ctx.require()?;
    let h = cases::hall(&web.state, Some(p), id).await?;
    let queue = cases::queue(&web.state, p, id).await?;
    let mut errors = s.errors.clone();
    let chosen = if s.window.trim().is_empty() {
        None
    } else {
        let n = s.window.trim().parse::<u32>().ok().filter(|n| h.windows.iter().any(|w| w.no == *n));
        if n.is_none() && errors.of("window").is_none() {
            errors.push("window", ctx.t("q-window-unknown"));
        }
        n
    };
    let here = format!("/queue/halls/{}/window", encode(&h.id));
    let title = ctx.ta("q-window-title", crate::args![("hall", h.name.clone())]);
    let window_choices: Vec<(String, String)> = std::iter::once((String::new(), ctx.t("q-choose-window"))).chain(h.windows.iter().map(|w| (w.no.to_string(), format!("{} {}", ctx.ta("q-window-n", crate::args![("n", w.no)]), w.name)))).collect();
    let current: Option<&QueueRowView> = chosen.and_then(|n| queue.live.iter().find(|r| r.window == Some(n) && matches!(r.state.as_str(), "called" | "serving")));
    let held: Vec<&QueueRowView> = chosen.map(|n| queue.live.iter().filter(|r| r.state == "held" && (r.window == Some(n) || r.target_window == Some(n))).collect()).unwrap_or_default();
    let line_choices: Vec<(String, String)> = std::iter::once((String::new(), ctx.t("q-same-line"))).chain(h.lines.iter().map(|l| (l.code.clone(), line_name(ctx, &l.code, &l.name_zh)))).collect();
    let to_window_choices: Vec<(String, String)> = std::iter::once((String::new(), ctx.t("q-any-window"))).chain(h.windows.iter().filter(|w| Some(w.no) != chosen).map(|w| (w.no.to_string(), format!("{} {}", ctx.ta("q-window-n", crate::args![("n", w.no)]), w.name)))).collect();
    let known: Vec<String> = ["window", "note", "line", "to_window", "application"].iter().map(|s| (*s).to_owned()).collect();
    let act_form = |row: &QueueRowView, action: &str, label: String, secondary: bool, extra: Markup| {
        html! {
            form.stack method="post" action={ (here) "/act" } novalidate {
                (csrf(ctx))
                input type="hidden" name="ticket" value=(row.id);
                input type="hidden" name="window" value=(chosen.unwrap_or(0));
                input type="hidden" name="action" value=(action);
                (extra)
                button.button.button-secondary[secondary] type="submit" { (label) span.visually-hidden { " " (row.number) } }
            }
        }
    };
    let body = html! {
        (breadcrumbs(ctx, &[("/queue", ctx.t("q-home-title")), (&format!("/queue/halls/{}", encode(&h.id)), h.name.clone()), ("", ctx.t("q-window-link"))]))
        (banner_markup(s.banner.as_ref()))
        h1 { (title) }
        (error_summary(ctx, &errors, &known))
        form.actions method="get" action=(here) novalidate {
            (select(ctx, &errors, "window", &ctx.t("q-col-window"), None, &window_choices, s.window.trim()))
            button.button.button-secondary type="submit" { (ctx.t("q-choose")) }
        }
        @if let Some(n) = chosen {
            section aria-labelledby="h-q-current" {
                h2 #h-q-current { (ctx.ta("q-window-n", crate::args![("n", n)])) }
                @match current {
                    None => {
                        p { (ctx.t("q-window-free")) }
                        form method="post" action={ (here) "/call" } {
                            (csrf(ctx))
                            input type="hidden" name="window" value=(n);
                            button.button.button-large type="submit" { (ctx.t("q-call-next")) }
                        }
                    }
                    Some(row) => {
                        p.q-number { (row.number) }
                        p { (state_tag(ctx, &row.state, &row.state_zh)) " " (line_name(ctx, &row.line, &row.line)) @if !row.priority.is_empty() { " · " (reasons(ctx, &row.priority)) } }
                        div.actions {
                            @if row.state == "called" {
                                (act_form(row, "start", ctx.t("q-act-start"), false, html! {}))
                                (act_form(row, "recall", ctx.t("q-act-recall"), true, html! {}))
                                (act_form(row, "no_show", ctx.t("q-act-no_show"), true, html! {}))
                            }
                        }
                        @if row.state == "serving" {
                            (act_form(row, "finish", ctx.t("q-act-finish"), false, input(ctx, &errors, &Input { name: "application", label: &ctx.t("q-application"), hint: Some(&ctx.t("q-application-hint")), value: "", inputmode: Some("numeric"), width: Some("w-short"), ..Default::default() })))
                            (act_form(row, "hold", ctx.t("q-act-hold"), true, input(ctx, &errors, &Input { name: "note", label: &ctx.t("q-note"), hint: Some(&ctx.t("q-note-hint")), value: "", ..Default::default() })))
                        }
                        (act_form(row, "transfer", ctx.t("q-act-transfer"), true, html! {
                            (select(ctx, &errors, "line", &ctx.t("q-transfer-line"), None, &line_choices, ""))
                            (select(ctx, &errors, "to_window", &ctx.t("q-transfer-window"), None, &to_window_choices, ""))
                        }))
                    }
                }
                @if !held.is_empty() {
                    h3 { (ctx.t("q-held-title")) }
                    ul {
                        @for row in &held {
                            li { strong { (row.number) } " " (act_form(row, "resume", ctx.t("q-act-resume"), true, html! {})) }
                        }
                    }
                }
            }
        }
        div #q-live data-feed=(live_attrs(&h.id)) {
            section aria-labelledby="h-q-waiting" {
                h2 #h-q-waiting { (ctx.ta("q-waiting-title", crate::args![("n", queue.waiting.len())])) }
                @if queue.waiting.is_empty() { p { (ctx.t("q-nobody-waiting")) } } @else {
                    div.table-wrap { table {
                        caption.visually-hidden { (ctx.t("q-waiting-caption")) }
                        thead { tr {
                            th scope="col" { (ctx.t("q-col-number")) }
                            th scope="col" { (ctx.t("q-col-line")) }
                            th scope="col" { (ctx.t("q-priority")) }
                            th.num scope="col" { (ctx.t("q-col-estimate")) }
                            th.num scope="col" { (ctx.t("q-col-waited")) }
                        } }
                        tbody {
                            @for row in &queue.waiting {
                                tr {
                                    th scope="row" { (row.number) }
                                    td { (line_name(ctx, &row.line, &row.line)) }
                                    td { @if row.priority.is_empty() { "—" } @else { (reasons(ctx, &row.priority)) } }
                                    td.num { (row.estimate_seconds.map_or_else(|| "—".to_owned(), |s| wait_minutes(ctx, s))) }
                                    td.num { (ctx.ta("q-minutes", crate::args![("n", row.waited_minutes)])) }
                                }
                            }
                        }
                    } }
                }
            }
            section aria-labelledby="h-q-live-list" {
                h2 #h-q-live-list { (ctx.t("q-live-title")) }
                @if queue.live.is_empty() { p { (ctx.t("q-nobody-live")) } } @else {
                    ul {
                        @for row in &queue.live {
                            li { strong { (row.number) } " " (state_tag(ctx, &row.state, &row.state_zh)) @if let Some(w) = row.window { " " (ctx.ta("q-window-n", crate::args![("n", w)])) } }
                        }
                    }
                }
            }
        }
        script src=(JS_URL) defer {}
    };
    Ok(page_status(ctx, status, &title, body))
}

/// `POST /queue/halls/{id}/window/call`: 叫下一位.
pub async fn call(State(web): State<Web>, ctx: Ctx, Path(id): Path<String>, form: PostForm) -> Response {
    let r = async {
        let p = ctx.require()?;
        let typed = form.get("window").unwrap_or_default();
        let mut errors = Errors::default();
        let Some(n) = window_no(&ctx, &mut errors, "window", &typed) else {
            return render_window(&ctx, &web, &id, WindowShown { window: typed, errors, ..Default::default() }, StatusCode::UNPROCESSABLE_ENTITY).await;
        };
        match cases::call_next(&web.state, p, &id, n).await {
            Ok(_) => Ok(redirect(&format!("/queue/halls/{}/window?window={n}&done=called", encode(&id)))),
            Err(e) if on_form(&e) => {
                let errors = form_errors(&ctx, &e, &[("window", "window".to_owned())]);
                render_window(&ctx, &web, &id, WindowShown { window: typed, errors, ..Default::default() }, e.status()).await
            }
            Err(e) => Err(e),
        }
    }
    .await;
    finish(&ctx, r)
}

/// `POST /queue/halls/{id}/window/act`: start, recall, hold, resume, transfer, no-show or finish
/// the ticket at the window.
pub async fn act(State(web): State<Web>, ctx: Ctx, Path(id): Path<String>, form: PostForm) -> Response {
    let r = async {
        let p = ctx.require()?;
        let typed = form.get("window").unwrap_or_default();
        let mut errors = Errors::default();
        let n = window_no(&ctx, &mut errors, "window", &typed);
        let to_window = match form.get("to_window") {
            Some(v) => window_no(&ctx, &mut errors, "to_window", &v),
            None => None,
        };
        let (Some(n), true) = (n, errors.is_empty()) else {
            return render_window(&ctx, &web, &id, WindowShown { window: typed, errors, ..Default::default() }, StatusCode::UNPROCESSABLE_ENTITY).await;
        };
        let ticket = form.get("ticket").unwrap_or_default();
        let action = form.get("action").unwrap_or_default();
        let body = TicketActionBody { action: action.clone(), window: n, line: form.get("line"), to_window, application: form.get("application"), note: form.get("note") };
        match cases::act(&web.state, p, &ticket, body).await {
            Ok(_) => Ok(redirect(&format!("/queue/halls/{}/window?window={n}&done={}", encode(&id), encode(&format!("act-{action}"))))),
            Err(e) if on_form(&e) => {
                let rename: Vec<(&str, String)> = ["window", "note", "line", "to_window", "application"].iter().map(|f| (*f, (*f).to_owned())).collect();
                let errors = form_errors(&ctx, &e, &rename);
                render_window(&ctx, &web, &id, WindowShown { window: typed, errors, ..Default::default() }, e.status()).await
            }
            Err(e) => Err(e),
        }
    }
    .await;
    finish(&ctx, r)
}

// ---------------------------------------------------------------------------------------------
// Figures: one hall's cockpit and the cockpit's section.

fn figures_kpis(ctx: &Ctx, f: &HallFiguresView) -> Markup {
    html! {
        ul.figures {
            li { span.num { (f.waiting_now) } span.lbl { (ctx.t("q-fig-waiting")) } }
            li { span.num { (f.serving_now) } span.lbl { (ctx.t("q-fig-serving")) } }
            li { span.num { (f.served) } span.lbl { (ctx.t("q-fig-served")) } }
            li { span.num { (minutes_seconds(ctx, f.avg_wait_s)) } span.lbl { (ctx.t("q-fig-avg-wait")) } }
            li { span.num { (minutes_seconds(ctx, f.longest_wait_s.map(|s| s as f64))) } span.lbl { (ctx.t("q-fig-longest-wait")) } }
            li { span.num { (f.no_shows) } span.lbl { (ctx.t("q-fig-no-shows")) } }
            li { span.num { (f.appointments) } span.lbl { (ctx.t("q-fig-appointments")) } }
        }
    }
}

fn per_hour(ctx: &Ctx, id: &str, f: &HallFiguresView) -> Markup {
    let bars: Vec<Bar> = f.per_hour.iter().map(|h| Bar { label: format!("{}", h.hour), value: f64::from(h.served), text: h.served.to_string() }).collect();
    let desc = f.per_hour.iter().map(|h| ctx.ta("q-hour-desc", crate::args![("hour", h.hour), ("issued", h.issued), ("served", h.served)])).collect::<Vec<_>>().join(ctx.lang.pick("；", "; "));
    let title = ctx.t("q-per-hour-title");
    html! {
        @if !bars.is_empty() {
            div.charts {
                figure.chart {
                    figcaption { (title) }
                    (charts::vbars(id, &title, &desc, &bars))
                }
            }
            div.table-wrap { table {
                caption.visually-hidden { (title) }
                thead { tr { th scope="col" { (ctx.t("q-col-hour")) } th.num scope="col" { (ctx.t("q-col-issued")) } th.num scope="col" { (ctx.t("q-col-served")) } } }
                tbody { @for h in &f.per_hour { tr { th scope="row" { (ctx.ta("q-hour", crate::args![("hour", h.hour)])) } td.num { (h.issued) } td.num { (h.served) } } } }
            } }
        }
    }
}

fn satisfaction(x: Option<f64>) -> String {
    x.map_or_else(|| "—".to_owned(), |v| super::number(v, 2))
}

/// `GET /queue/halls/{id}/cockpit?day=`: one hall's day per window and per line (staff of the
/// hall, supervisors, the administrator).
pub async fn hall_cockpit(State(web): State<Web>, ctx: Ctx, Path(id): Path<String>, Query(q): Query<FiguresQuery>) -> Response {
    let r = async {
        let p = ctx.require()?;
        let mut errors = Errors::default();
        let day = q.day.clone().map(|d| d.trim().to_owned()).filter(|d| !d.is_empty());
        let f = match cases::hall_figures(&web.state, p, &id, DayQuery { day: day.clone() }).await {
            Ok(f) => f,
            Err(e) if on_form(&e) && day.is_some() => {
                errors = form_errors(&ctx, &e, &[("day", "day".to_owned())]);
                cases::hall_figures(&web.state, p, &id, DayQuery::default()).await?
            }
            Err(e) => return Err(e),
        };
        let title = ctx.ta("q-hall-cockpit-title", crate::args![("hall", f.name.clone())]);
        let body = html! {
            (breadcrumbs(&ctx, &[("/queue", ctx.t("q-home-title")), (&format!("/queue/halls/{}", encode(&id)), f.name.clone()), ("", ctx.t("q-cockpit-link"))]))
            h1 { (title) }
            (error_summary(&ctx, &errors, &["day".to_owned()]))
            form.actions method="get" action={ "/queue/halls/" (encode(&id)) "/cockpit" } novalidate {
                (input(&ctx, &errors, &Input { name: "day", label: &ctx.t("q-col-day"), value: day.as_deref().unwrap_or(&f.day), kind: "date", width: Some("w-short"), required: true, ..Default::default() }))
                button.button.button-secondary type="submit" { (ctx.t("q-choose")) }
            }
            p.muted { (ctx.ta("q-figures-of", crate::args![("day", f.day.clone())])) }
            (figures_kpis(&ctx, &f))
            (per_hour(&ctx, "q-hall-hours", &f))
            h2 { (ctx.t("q-per-window-title")) }
            div.table-wrap { table {
                caption.visually-hidden { (ctx.t("q-per-window-title")) }
                thead { tr {
                    th scope="col" { (ctx.t("q-col-window")) }
                    th.num scope="col" { (ctx.t("q-col-served")) }
                    th.num scope="col" { (ctx.t("q-col-avg-service")) }
                    th.num scope="col" { (ctx.t("q-col-ratings")) }
                    th.num scope="col" { (ctx.t("q-col-satisfaction")) }
                } }
                tbody {
                    @for w in &f.per_window {
                        tr {
                            th scope="row" { (ctx.ta("q-window-n", crate::args![("n", w.no)])) " " (w.name) }
                            td.num { (w.served) }
                            td.num { (minutes_seconds(&ctx, w.avg_service_s)) }
                            td.num { (w.ratings) }
                            td.num { (satisfaction(w.satisfaction)) }
                        }
                    }
                }
            } }
            h2 { (ctx.t("q-per-line-title")) }
            div.table-wrap { table {
                caption.visually-hidden { (ctx.t("q-per-line-title")) }
                thead { tr {
                    th scope="col" { (ctx.t("q-col-line")) }
                    th.num scope="col" { (ctx.t("q-col-issued")) }
                    th.num scope="col" { (ctx.t("q-col-served")) }
                    th.num scope="col" { (ctx.t("q-fig-avg-wait")) }
                    th.num scope="col" { (ctx.t("q-col-avg-service")) }
                } }
                tbody {
                    @for l in &f.per_line {
                        tr {
                            th scope="row" { (line_name(&ctx, &l.code, &l.name_zh)) }
                            td.num { (l.issued) }
                            td.num { (l.served) }
                            td.num { (minutes_seconds(&ctx, l.avg_wait_s)) }
                            td.num { (minutes_seconds(&ctx, l.avg_service_s)) }
                        }
                    }
                }
            } }
        };
        Ok::<_, Failure>(page_status(&ctx, StatusCode::OK, &title, body))
    }
    .await;
    finish(&ctx, r)
}

/// The cockpit's 服务大厅 section: per hall waiting now, served, average wait, no-shows and
/// satisfaction, and the district's throughput per hour (`cases::district_figures`).
pub async fn cockpit_section(ctx: &Ctx, web: &Web, p: &Principal) -> Markup {
    let f = cases::district_figures(&web.state, p, DayQuery::default()).await;
    if let Err(e) = &f {
        tracing::warn!(error = %e.body().message_en, "the cockpit's hall figures");
    }
    html! {
        section aria-labelledby="h-halls" {
            h2 #h-halls { (ctx.t("q-cockpit-title")) }
            @match &f {
                Ok(f) => {
                    p.muted { (ctx.ta("q-figures-of", crate::args![("day", f.day.clone())])) " · " (ctx.ta("q-halls-n", crate::args![("n", f.halls)])) }
                    (figures_kpis(ctx, f))
                    @if !f.per_hall.is_empty() {
                        div.table-wrap { table {
                            caption { (ctx.t("q-per-hall-title")) }
                            thead { tr {
                                th scope="col" { (ctx.t("q-col-hall")) }
                                th.num scope="col" { (ctx.t("q-fig-waiting")) }
                                th.num scope="col" { (ctx.t("q-col-served")) }
                                th.num scope="col" { (ctx.t("q-fig-avg-wait")) }
                                th.num scope="col" { (ctx.t("q-fig-no-shows")) }
                                th.num scope="col" { (ctx.t("q-col-satisfaction")) }
                            } }
                            tbody {
                                @for h in &f.per_hall {
                                    tr {
                                        th scope="row" { a href={ "/queue/halls/" (encode(&h.id)) "/cockpit" } { (h.name) } br; span.muted { (level_name(ctx, level_key(&h.level_zh), &h.level_zh)) } }
                                        td.num { (h.waiting_now) }
                                        td.num { (h.served) }
                                        td.num { (minutes_seconds(ctx, h.avg_wait_s)) }
                                        td.num { (h.no_shows) }
                                        td.num { (satisfaction(h.satisfaction)) }
                                    }
                                }
                            }
                        } }
                    }
                    (per_hour(ctx, "ck-halls-hours", f))
                }
                Err(_) => { p.muted { (ctx.t("q-cockpit-unavailable")) } }
            }
        }
    }
}

/// A level's key from its Chinese name (the district's rows carry only the name).
fn level_key(zh: &str) -> &'static str {
    match zh {
        "区级政务服务中心" => "district",
        "中心镇便民服务中心" => "central_town",
        "镇（街）便民服务中心" => "town",
        "村（社）便民服务站" => "village",
        _ => "",
    }
}

// ---------------------------------------------------------------------------------------------
// Cross-region intake (跨区域通办).

#[derive(Default)]
struct CrossShown {
    banner: Option<String>,
    errors: Errors,
    district: String,
    item: String,
    applicant: String,
    applicant_name: String,
    phone: String,
    form: String,
}

/// `GET /crossregion`: the intake form for a peer district's item and the cases taken in here.
pub async fn crossregion_page(State(web): State<Web>, ctx: Ctx, Query(q): Query<DoneQuery>) -> Response {
    let r = render_cross(&ctx, &web, CrossShown { banner: banner(&ctx, q.done.as_deref()), ..Default::default() }, StatusCode::OK).await;
    finish(&ctx, r)
}

async fn render_cross(ctx: &Ctx, web: &Web, s: CrossShown, status: StatusCode) -> Result<Response, Failure> {
    let p = ctx.require()?;
    let list = crossregion::cases(&web.state, p, Default::default()).await?;
    let peers = &web.state.config.halls.peers;
    let title = ctx.t("q-xr-title");
    let peer_choices: Vec<(String, String)> = std::iter::once((String::new(), ctx.t("q-xr-choose-peer"))).chain(peers.iter().map(|x| (x.district.clone(), format!("{}（{}）", x.name, x.district)))).collect();
    let known: Vec<String> = ["district", "item", "applicant", "applicant_name", "phone", "form"].iter().map(|s| (*s).to_owned()).collect();
    let body = html! {
        (banner_markup(s.banner.as_ref()))
        h1 { (title) }
        p.lead { (ctx.ta("q-xr-lead", crate::args![("district", web.state.config.halls.district_name.clone())])) }
        section #intake aria-labelledby="h-q-xr-intake" {
            h2 #h-q-xr-intake { (ctx.t("q-xr-intake-title")) }
            @if peers.is_empty() { p.warning role="note" { (ctx.t("q-xr-no-peers")) } }
            (error_summary(ctx, &s.errors, &known))
            form.stack method="post" action="/crossregion" novalidate {
                (csrf(ctx))
                (select(ctx, &s.errors, "district", &ctx.t("q-xr-peer"), None, &peer_choices, &s.district))
                (input(ctx, &s.errors, &Input { name: "item", label: &ctx.t("q-xr-item"), hint: Some(&ctx.t("q-xr-item-hint")), value: &s.item, required: true, width: Some("w-short"), ..Default::default() }))
                (input(ctx, &s.errors, &Input { name: "applicant", label: &ctx.t("q-xr-applicant"), hint: Some(&ctx.t("q-xr-applicant-hint")), value: &s.applicant, required: true, autocomplete: Some("off"), maxlength: Some(18), ..Default::default() }))
                (input(ctx, &s.errors, &Input { name: "applicant_name", label: &ctx.t("q-xr-name"), value: &s.applicant_name, required: true, autocomplete: Some("off"), ..Default::default() }))
                (input(ctx, &s.errors, &Input { name: "phone", label: &ctx.t("q-xr-phone"), value: &s.phone, kind: "tel", inputmode: Some("tel"), autocomplete: Some("off"), width: Some("w-short"), ..Default::default() }))
                (textarea(ctx, &s.errors, "form", &ctx.t("q-xr-form"), Some(&ctx.t("q-xr-form-hint")), &s.form, false))
                button.button type="submit" { (ctx.t("q-xr-send")) }
            }
        }
        section #cases aria-labelledby="h-q-xr-cases" {
            h2 #h-q-xr-cases { (ctx.t("q-xr-cases-title")) }
            @if list.is_empty() { p { (ctx.t("q-xr-cases-none")) } } @else { (cases_list(ctx, &list, true)) }
        }
    };
    Ok(page_status(ctx, status, &title, body))
}

fn cases_list(ctx: &Ctx, list: &[CaseView], staff: bool) -> Markup {
    html! {
        @for c in list {
            article.case-action #{ "case-" (c.id) } aria-labelledby={ "h-q-case-" (c.id) } {
                h3 #{ "h-q-case-" (c.id) } {
                    (c.district_name) " · " (c.item) " "
                    (tag(if c.state == "refused" { "bad" } else if c.settled { "ok" } else { "info" }, &named(ctx, &format!("q-xr-state-{}", c.state), &c.state_zh)))
                }
                dl.summary {
                    @if staff {
                        dt { (ctx.t("q-xr-applicant")) } dd { (c.applicant) " " (mask_name(&c.applicant_name)) }
                    }
                    dt { (ctx.t("q-xr-taken-in")) } dd { (c.taken_in_at) " · " (time_of(&c.created_at)) }
                    @if let Some(a) = &c.remote_application { dt { (ctx.t("q-xr-remote")) } dd { (a) } }
                    @if !c.outputs.is_empty() { dt { (ctx.t("q-xr-outputs")) } dd { (c.outputs.join(ctx.lang.pick("、", ", "))) } }
                    @if let Some(r) = &c.refused_reason { dt { (ctx.t("q-xr-refused")) } dd { (r) } }
                    @if staff { dt { (ctx.t("q-xr-attempts")) } dd { (c.attempts) } }
                }
                details {
                    summary { (ctx.t("q-xr-history")) }
                    ol {
                        @for h in &c.history {
                            li { (time_of(&h.at)) " · " (h.state_zh) @if let Some(n) = &h.note { " · " (n) } }
                        }
                    }
                }
            }
        }
    }
}

/// Form fields typed as `key=value` lines.
fn form_fields(text: &str) -> Option<serde_json::Map<String, serde_json::Value>> {
    let mut m = serde_json::Map::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let (k, v) = line.split_once('=')?;
        let k = k.trim();
        if k.is_empty() {
            return None;
        }
        m.insert(k.to_owned(), serde_json::Value::String(v.trim().to_owned()));
    }
    Some(m)
}

/// `POST /crossregion`: window staff take in an application for a peer district's item.
pub async fn forward(State(web): State<Web>, ctx: Ctx, form: PostForm) -> Response {
    let r = async {
        let p = ctx.require()?;
        let s = CrossShown {
            district: form.get("district").unwrap_or_default(),
            item: form.get("item").unwrap_or_default(),
            applicant: form.get("applicant").unwrap_or_default(),
            applicant_name: form.get("applicant_name").unwrap_or_default(),
            phone: form.get("phone").unwrap_or_default(),
            form: form.get("form").unwrap_or_default(),
            ..Default::default()
        };
        let mut errors = Errors::default();
        if s.district.is_empty() {
            errors.push("district", ctx.t("q-xr-peer-required"));
        }
        for (f, k) in [("item", "q-xr-item-required"), ("applicant", "q-xr-applicant-required"), ("applicant_name", "q-xr-name-required")] {
            if form.get(f).is_none() {
                errors.push(f, ctx.t(k));
            }
        }
        let fields = form_fields(&s.form);
        if fields.is_none() {
            errors.push("form", ctx.t("q-xr-form-invalid"));
        }
        let Some(fields) = fields.filter(|_| errors.is_empty()) else {
            return render_cross(&ctx, &web, CrossShown { errors, ..s }, StatusCode::UNPROCESSABLE_ENTITY).await;
        };
        let body = ForwardBody {
            district: s.district.clone(),
            item: s.item.clone(),
            applicant: s.applicant.clone(),
            applicant_name: s.applicant_name.clone(),
            phone: (!s.phone.is_empty()).then(|| s.phone.clone()),
            form: fields,
            materials_seen: Vec::new(),
            ticket: None,
        };
        match crossregion::forward(&web.state, p, body).await {
            Ok(c) => Ok(redirect(&format!("/crossregion?done=forwarded#case-{}", encode(&c.id)))),
            Err(e) if on_form(&e) => {
                let rename: Vec<(&str, String)> = ["district", "item", "applicant", "applicant_name", "phone", "form"].iter().map(|f| (*f, (*f).to_owned())).collect();
                let errors = form_errors(&ctx, &e, &rename);
                render_cross(&ctx, &web, CrossShown { errors, ..s }, e.status()).await
            }
            Err(e) => Err(e),
        }
    }
    .await;
    finish(&ctx, r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_fields_are_key_value_lines() {
        let m = form_fields("a=1\n\n b = two words \n").expect("fields");
        assert_eq!(m.get("a").and_then(|v| v.as_str()), Some("1"));
        assert_eq!(m.get("b").and_then(|v| v.as_str()), Some("two words"));
        assert!(form_fields("no equals sign").is_none());
        assert!(form_fields("=value").is_none());
        assert!(form_fields("").is_some_and(|m| m.is_empty()));
    }

    #[test]
    fn names_are_masked_and_levels_known() {
        assert_eq!(mask_name("张三丰"), "张**");
        assert_eq!(mask_name("李"), "李*");
        assert_eq!(level_key("区级政务服务中心"), "district");
    }
}
