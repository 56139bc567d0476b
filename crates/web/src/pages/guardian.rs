//! The elderly safety guardian's pages (空巢老人安全守护, issue 30): the monitoring centre's console
//! of open alarms (a list and a map, kept live by server-sent events through a small static
//! script, a refresh link without it), one alarm with its readings, its hash-chained steps and the
//! centre's actions; the responder's phone page (availability, accept, decline, arrived, resolve);
//! the responder's view of an alarm dispatched to them; the enrolment of elders with the coverage
//! figures, and an elder's care record (contacts, devices with their MQTT credentials shown once,
//! their latest alarms, withdrawal); the responders, registered and updated. Everything goes
//! through `server::areas::guardian::{cases, alarms}`; names and phones masked as they give them.

use axum::extract::Path;
use axum::extract::Query;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::DateTime;
use chrono::Utc;
use maud::Markup;
use maud::html;
use serde::Deserialize;
use server::areas::guardian::alarms;
use server::areas::guardian::cases;
use server::areas::guardian::views::AlarmActionBody;
use server::areas::guardian::views::AlarmQuery;
use server::areas::guardian::views::AlarmView;
use server::areas::guardian::views::AvailabilityBody;
use server::areas::guardian::views::CandidateQuery;
use server::areas::guardian::views::ContactBody;
use server::areas::guardian::views::DeviceBody;
use server::areas::guardian::views::ElderAlarmQuery;
use server::areas::guardian::views::ElderQuery;
use server::areas::guardian::views::EnrolBody;
use server::areas::guardian::views::NewDeviceView;
use server::areas::guardian::views::PointView;
use server::areas::guardian::views::RankedResponderView;
use server::areas::guardian::views::ResponderBody;
use server::areas::guardian::views::WithdrawBody;
use server::failure::Failure;

use super::form_errors;
use super::on_form;
use super::time;
use crate::Web;
use crate::ctx::Ctx;
use crate::forms::PostForm;
use crate::layout::Errors;
use crate::layout::Input;
use crate::layout::csrf;
use crate::layout::error_summary;
use crate::layout::finish;
use crate::layout::input;
use crate::layout::input_id;
use crate::layout::page_status;
use crate::layout::radios;
use crate::layout::redirect;
use crate::layout::tag;
use crate::layout::textarea;
use super::banner_markup;
use super::named;

/// The console's script (the live feed), with the crate's version for caching.
pub const JS_URL: &str = concat!("/static/guardian.js?v=", env!("CARGO_PKG_VERSION"));
/// The outcomes of a resolved alarm.
const OUTCOMES: &[&str] = &["false_alarm", "helped_at_home", "sent_to_hospital", "other"];
/// Alarms on one list.
const LIST_LIMIT: i64 = 200;
/// An elder's latest alarms on their care record.
const RECENT_LIMIT: i64 = 20;

#[derive(Debug, Default, Deserialize)]
pub struct DoneQuery {
    /// What was just done (a banner).
    pub done: Option<String>,
}

fn banner(ctx: &Ctx, done: Option<&str>) -> Option<String> {
    let key = match done? {
        "acknowledge" => "gd-done-acknowledge",
        "dispatch" => "gd-done-dispatch",
        "resolve" => "gd-done-resolve",
        "cancel" => "gd-done-cancel",
        "note" => "gd-done-note",
        "accept" => "gd-done-accept",
        "decline" => "gd-done-decline",
        "arrive" => "gd-done-arrive",
        "available" => "gd-done-available",
        "enrolled" => "gd-done-enrolled",
        "withdrawn" => "gd-done-withdrawn",
        "responder-saved" => "gd-done-responder-saved",
        _ => return None,
    };
    Some(ctx.t(key))
}

fn parse_time(t: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(t).ok().map(|t| t.with_timezone(&Utc))
}

/// An RFC 3339 time in China, to the minute.
fn time_of(t: Option<&str>) -> String {
    t.and_then(parse_time).map(time).unwrap_or_else(|| "—".to_owned())
}

/// An RFC 3339 time in China, to the second (the steps of an alarm).
fn seconds_of(t: &str) -> String {
    parse_time(t).map(|t| domain::china_time(t).format("%Y-%m-%d %H:%M:%S").to_string()).unwrap_or_else(|| t.to_owned())
}

/// How long ago, in minutes.
fn since(ctx: &Ctx, web: &Web, t: &str) -> String {
    match parse_time(t) {
        Some(t) => ctx.ta("gd-minutes-ago", crate::args![("n", (web.state.now() - t).num_minutes().max(0))]),
        None => "—".to_owned(),
    }
}

fn kind_name(ctx: &Ctx, a: &AlarmView) -> String {
    named(ctx, &format!("gd-kind-{}", a.kind), if a.kind_label.is_empty() { &a.kind } else { &a.kind_label })
}

fn state_tag(ctx: &Ctx, state: &str) -> Markup {
    let class = match state {
        "raised" => "bad",
        "acknowledged" | "dispatched" => "warn",
        "accepted" | "on_scene" => "info",
        "resolved" => "ok",
        _ => "grey",
    };
    tag(class, &named(ctx, &format!("gd-state-{state}"), state))
}

fn outcome_choices(ctx: &Ctx) -> Vec<(String, String)> {
    OUTCOMES.iter().map(|o| ((*o).to_owned(), ctx.t(&format!("gd-outcome-{o}")))).collect()
}

/// A drop-down with its label and error.
fn select(ctx: &Ctx, errors: &Errors, name: &str, label: &str, choices: &[(String, String)], value: &str) -> Markup {
    let id = input_id(name);
    let err = errors.of(name);
    html! {
        div class={ "field" @if err.is_some() { " field-error" } } {
            label for=(id) { (label) }
            @if let Some(m) = err { p.error-message #{ (id) "-error" } { span.visually-hidden { (ctx.t("form-error-prefix")) } (m) } }
            select #(id).input name=(name) aria-invalid=[err.map(|_| "true")] aria-describedby=[err.map(|_| format!("{id}-error"))] {
                @for (v, l) in choices { option value=(v) selected[v == value] { (l) } }
            }
        }
    }
}

/// A value of the evidence or a step's detail, in one line.
fn value_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => "—".to_owned(),
        serde_json::Value::Object(m) => m.iter().filter(|(_, x)| !x.is_null()).map(|(k, x)| format!("{k}={}", value_text(x))).collect::<Vec<_>>().join(", "),
        other => other.to_string(),
    }
}

/// The fields of a JSON object as "name = value" items.
fn fields_of(v: &serde_json::Value) -> Markup {
    html! {
        @match v {
            serde_json::Value::Object(m) => {
                @for (i, (k, x)) in m.iter().filter(|(k, x)| !x.is_null() && k.as_str() != "evidence").enumerate() {
                    @if i > 0 { "; " }
                    code { (k) } " = " (value_text(x))
                }
            }
            other => { (value_text(other)) }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The map.

/// The alarms' home points on an inline SVG map; each circle carries the number of its row in
/// the list.
fn map(ctx: &Ctx, list: &[(usize, &AlarmView, PointView)]) -> Markup {
    if list.is_empty() {
        return html! { p.muted { (ctx.t("gd-map-none")) } };
    }
    let points: Vec<crate::charts::Point> = list.iter().map(|(n, a, p)| crate::charts::Point { label: n.to_string(), lat: p.lat, lon: p.lon, marked: a.state == "raised" }).collect();
    html! {
        figure.chart.guardian-map {
            (crate::charts::points("gd-map", &ctx.t("gd-map-title"), &ctx.ta("gd-map-desc", crate::args![("n", list.len())]), &points))
            figcaption.muted { (ctx.t("gd-map-caption")) }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The console.

/// `GET /guardian`: the monitoring centre's console of open alarms, live.
pub async fn console(State(web): State<Web>, ctx: Ctx, Query(q): Query<DoneQuery>) -> Response {
    let r = async {
        let p = ctx.require()?;
        let people = alarms::alarms(&web.state, p, AlarmQuery { open: Some(true), technical: Some(false), limit: Some(LIST_LIMIT), ..Default::default() }).await?;
        let technical = alarms::alarms(&web.state, p, AlarmQuery { open: Some(true), technical: Some(true), limit: Some(LIST_LIMIT), ..Default::default() }).await?;
        let title = ctx.t("gd-console-title");
        let numbered: Vec<(usize, &AlarmView)> = people.alarms.iter().enumerate().map(|(i, a)| (i + 1, a)).collect();
        let points: Vec<(usize, &AlarmView, PointView)> = numbered.iter().filter_map(|(n, a)| a.home.map(|h| (*n, *a, h))).collect();
        let waiting = people.alarms.iter().filter(|a| a.state == "raised").count();
        let b = banner(&ctx, q.done.as_deref());
        let body = html! {
            (banner_markup(b.as_ref()))
            h1 { (title) }
            p.lead { (ctx.t("gd-console-lead")) }
            p.no-print {
                a href="/guardian" { (ctx.t("gd-refresh")) }
                " · " a href="/guardian/elders" { (ctx.t("gd-elders-title")) }
                " · " a href="/guardian/responders" { (ctx.t("gd-responders-title")) }
            }
            p #gd-live-status.muted role="status" aria-live="polite" data-updated=(ctx.t("gd-live-updated")) { (ctx.t("gd-live-off")) }
            div #gd-live data-feed="/api/guardian/alarms/live" {
                ul.figures {
                    li { span.num { (people.alarms.len()) } span.lbl { (ctx.t("gd-fig-open")) } }
                    li { span.num { (waiting) } span.lbl { (ctx.t("gd-fig-waiting")) } }
                    li { span.num { (technical.alarms.len()) } span.lbl { (ctx.t("gd-fig-technical")) } }
                }
                section aria-labelledby="h-gd-alarms" {
                    h2 #h-gd-alarms { (ctx.t("gd-alarms")) }
                    @if people.alarms.is_empty() { p { (ctx.t("gd-none-alarms")) } }
                    @else {
                        div.table-wrap { table {
                            caption.visually-hidden { (ctx.t("gd-alarms")) }
                            thead { tr {
                                th.num scope="col" { (ctx.t("gd-col-n")) }
                                th scope="col" { (ctx.t("gd-col-kind")) }
                                th scope="col" { (ctx.t("gd-col-elder")) }
                                th scope="col" { (ctx.t("gd-col-address")) }
                                th scope="col" { (ctx.t("gd-col-state")) }
                                th scope="col" { (ctx.t("gd-col-raised")) }
                                th scope="col" { (ctx.t("gd-col-since")) }
                            } }
                            tbody {
                                @for (n, a) in &numbered {
                                    tr #{ "alarm-" (a.id) } data-alarm=(a.id) {
                                        td.num { (n) }
                                        th scope="row" { a href={ "/guardian/alarms/" (a.id) } { (kind_name(&ctx, a)) span.visually-hidden { " " (a.elder_name) } } }
                                        td { (a.elder_name) }
                                        td { (a.address) }
                                        td { (state_tag(&ctx, &a.state)) }
                                        td { (time_of(Some(&a.raised_at))) }
                                        td { (since(&ctx, &web, &a.raised_at)) }
                                    }
                                }
                            }
                        } }
                    }
                }
                section aria-labelledby="h-gd-map" {
                    h2 #h-gd-map { (ctx.t("gd-map-title")) }
                    (map(&ctx, &points))
                }
                section aria-labelledby="h-gd-maintenance" {
                    h2 #h-gd-maintenance { (ctx.t("gd-maintenance")) }
                    @if technical.alarms.is_empty() { p { (ctx.t("gd-none-technical")) } }
                    @else {
                        div.table-wrap { table {
                            caption.visually-hidden { (ctx.t("gd-maintenance")) }
                            thead { tr {
                                th scope="col" { (ctx.t("gd-col-kind")) }
                                th scope="col" { (ctx.t("gd-col-device")) }
                                th scope="col" { (ctx.t("gd-col-elder")) }
                                th scope="col" { (ctx.t("gd-col-address")) }
                                th scope="col" { (ctx.t("gd-col-raised")) }
                            } }
                            tbody {
                                @for a in &technical.alarms {
                                    tr data-alarm=(a.id) {
                                        th scope="row" { a href={ "/guardian/alarms/" (a.id) } { (kind_name(&ctx, a)) span.visually-hidden { " " (a.device.as_deref().unwrap_or("")) } } }
                                        td { code { (a.device.as_deref().unwrap_or("—")) } }
                                        td { (a.elder_name) }
                                        td { (a.address) }
                                        td { (time_of(Some(&a.raised_at))) }
                                    }
                                }
                            }
                        } }
                    }
                }
            }
            script src=(JS_URL) defer {}
        };
        Ok(page_status(&ctx, StatusCode::OK, &title, body))
    }
    .await;
    finish(&ctx, r)
}

// ---------------------------------------------------------------------------------------------
// One alarm.

/// A centre's form sent back: its errors and what was typed.
#[derive(Default)]
struct AlarmShown {
    banner: Option<String>,
    errors: Errors,
    responder: String,
    outcome: String,
    outcome_text: String,
    cancel_text: String,
    note_text: String,
}

/// `GET /guardian/alarms/{id}`: an alarm's readings, steps and the centre's actions.
pub async fn alarm(State(web): State<Web>, ctx: Ctx, Path(id): Path<String>, Query(q): Query<DoneQuery>) -> Response {
    let r = async { render_alarm(&ctx, &web, &id, AlarmShown { banner: banner(&ctx, q.done.as_deref()), ..Default::default() }, StatusCode::OK).await }.await;
    finish(&ctx, r)
}

fn candidate_label(ctx: &Ctx, c: &RankedResponderView) -> String {
    let travel = match c.travel_s {
        Some(s) => ctx.ta("gd-travel-minutes", crate::args![("n", i64::from(s.div_ceil(60)))]),
        None => ctx.t("gd-travel-unknown"),
    };
    // How the time was reckoned: over the street network, or the straight line when there is none.
    let method = named(ctx, &format!("gd-method-{}", c.method), &c.method);
    format!("{} · {} · {}（{}）", c.responder.name, named(ctx, &format!("gd-responder-{}", c.responder.kind), &c.responder.kind), travel, method)
}

async fn render_alarm(ctx: &Ctx, web: &Web, id: &str, s: AlarmShown, status: StatusCode) -> Result<Response, Failure> {
    let p = ctx.require()?;
    let a = alarms::alarm(&web.state, p, id).await?;
    let open = a.closed_at.is_none() && a.state != "resolved" && a.state != "cancelled";
    let candidates = if open && !a.technical { alarms::candidates(&web.state, p, &a.id).await? } else { Vec::new() };
    let title = ctx.ta("gd-alarm-title", crate::args![("kind", kind_name(ctx, &a)), ("name", a.elder_name.clone())]);
    let action = format!("/guardian/alarms/{}/act", a.id);
    let mut choices = vec![(String::new(), ctx.t("gd-dispatch-nearest"))];
    choices.extend(candidates.iter().map(|c| (c.responder.id.clone(), candidate_label(ctx, c))));
    let known: Vec<String> = ["responder", "outcome", "outcome_text", "cancel_text", "note_text"].iter().map(|s| (*s).to_owned()).collect();
    let body = html! {
        p { a href="/guardian" { (ctx.t("gd-back-console")) } }
        (banner_markup(s.banner.as_ref()))
        h1 { (title) }
        ul.figures {
            li { span.num { (state_tag(ctx, &a.state)) } span.lbl { (ctx.t("gd-col-state")) } }
            li { span.num { (time_of(Some(&a.raised_at))) } span.lbl { (ctx.t("gd-col-raised")) } }
            li { span.num { (since(ctx, web, &a.raised_at)) } span.lbl { (ctx.t("gd-col-since")) } }
        }
        dl.summary {
            dt { (ctx.t("gd-col-elder")) } dd { a href={ "/guardian/elders/" (a.elder) } { (a.elder_name) } }
            dt { (ctx.t("gd-col-address")) } dd { (a.address) }
            @if let Some(d) = &a.device { dt { (ctx.t("gd-col-device")) } dd { code { (d) } } }
            @if let Some(o) = &a.outcome { dt { (ctx.t("gd-outcome")) } dd { (named(ctx, &format!("gd-outcome-{o}"), o)) } }
        }
        @if open {
            section #actions aria-labelledby="h-gd-actions" {
                h2 #h-gd-actions { (ctx.t("gd-actions")) }
                (error_summary(ctx, &s.errors, &known))
                @if a.state == "raised" {
                    form.case-action method="post" action=(action) {
                        (csrf(ctx))
                        input type="hidden" name="action" value="acknowledge";
                        p { (ctx.t("gd-ack-hint")) }
                        button.button type="submit" { (ctx.t("gd-ack")) }
                    }
                }
                @if !a.technical && matches!(a.state.as_str(), "raised" | "acknowledged") {
                    form.case-action.stack method="post" action=(action) novalidate {
                        (csrf(ctx))
                        input type="hidden" name="action" value="dispatch";
                        h3 { (ctx.t("gd-dispatch-title")) }
                        @if candidates.is_empty() { p { (ctx.t("gd-no-candidates")) } }
                        (radios(ctx, &s.errors, "responder", &ctx.t("gd-dispatch-to"), &choices, &s.responder, false))
                        button.button type="submit" { (ctx.t("gd-dispatch")) }
                    }
                }
                @if a.technical {
                    form.case-action.stack method="post" action=(action) novalidate {
                        (csrf(ctx))
                        input type="hidden" name="action" value="cancel";
                        h3 { (ctx.t("gd-cancel-title")) }
                        (textarea(ctx, &s.errors, "cancel_text", &ctx.t("gd-cancel-text"), None, &s.cancel_text, false))
                        button.button.button-secondary type="submit" { (ctx.t("gd-cancel")) }
                    }
                } @else {
                    form.case-action.stack method="post" action=(action) novalidate {
                        (csrf(ctx))
                        input type="hidden" name="action" value="resolve";
                        h3 { (ctx.t("gd-resolve-title")) }
                        (radios(ctx, &s.errors, "outcome", &ctx.t("gd-outcome"), &outcome_choices(ctx), &s.outcome, true))
                        (textarea(ctx, &s.errors, "outcome_text", &ctx.t("gd-outcome-text"), Some(&ctx.t("gd-outcome-text-hint")), &s.outcome_text, false))
                        button.button type="submit" { (ctx.t("gd-resolve")) }
                    }
                }
                form.case-action.stack method="post" action=(action) novalidate {
                    (csrf(ctx))
                    input type="hidden" name="action" value="note";
                    h3 { (ctx.t("gd-note-title")) }
                    (textarea(ctx, &s.errors, "note_text", &ctx.t("gd-note-text"), None, &s.note_text, true))
                    button.button.button-secondary type="submit" { (ctx.t("gd-note")) }
                }
            }
        }
        (evidence_and_steps(ctx, &a))
    };
    Ok(page_status(ctx, status, &title, body))
}

/// An alarm's readings and its hash-chained steps (the centre's page and the responder's).
fn evidence_and_steps(ctx: &Ctx, a: &AlarmView) -> Markup {
    let evidence: Vec<serde_json::Value> = match &a.evidence {
        serde_json::Value::Array(v) => v.clone(),
        serde_json::Value::Null => Vec::new(),
        other => vec![other.clone()],
    };
    html! {
        section aria-labelledby="h-gd-evidence" {
            h2 #h-gd-evidence { (ctx.t("gd-evidence")) }
            @if evidence.is_empty() { p { (ctx.t("gd-none-evidence")) } }
            @else { ul.reasons { @for e in &evidence { li { (fields_of(e)) } } } }
        }
        section aria-labelledby="h-gd-steps" {
            h2 #h-gd-steps { (ctx.t("gd-steps")) }
            @match a.chain_intact {
                Some(true) => { p { (tag("ok", &ctx.t("gd-chain-intact"))) } }
                Some(false) => { p { (tag("bad", &ctx.t("gd-chain-broken"))) } }
                None => {}
            }
            ol.timeline {
                @for st in &a.steps {
                    li {
                        strong { (seconds_of(&st.at)) } " · " (named(ctx, &format!("gd-step-{}", st.action), &st.action)) " · " span.muted { (st.actor) }
                        @if st.detail.as_object().is_some_and(|m| !m.is_empty()) { br; span.muted { (fields_of(&st.detail)) } }
                    }
                }
            }
        }
    }
}

/// `POST /guardian/alarms/{id}/act`: the centre acknowledges, dispatches, resolves, cancels or
/// notes.
pub async fn act(State(web): State<Web>, ctx: Ctx, Path(id): Path<String>, form: PostForm) -> Response {
    let r = async {
        let p = ctx.require()?;
        let action = form.get("action").unwrap_or_default();
        let s = AlarmShown {
            responder: form.get("responder").unwrap_or_default(),
            outcome: form.get("outcome").unwrap_or_default(),
            outcome_text: form.get("outcome_text").unwrap_or_default(),
            cancel_text: form.get("cancel_text").unwrap_or_default(),
            note_text: form.get("note_text").unwrap_or_default(),
            ..Default::default()
        };
        let (text, text_field) = match action.as_str() {
            "resolve" => (s.outcome_text.clone(), "outcome_text"),
            "cancel" => (s.cancel_text.clone(), "cancel_text"),
            _ => (s.note_text.clone(), "note_text"),
        };
        let mut errors = Errors::default();
        if action == "resolve" && s.outcome.is_empty() {
            errors.push("outcome", ctx.t("gd-outcome-required"));
        }
        if action == "note" && s.note_text.is_empty() {
            errors.push("note_text", ctx.t("gd-note-required"));
        }
        if !errors.is_empty() {
            return render_alarm(&ctx, &web, &id, AlarmShown { errors, ..s }, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
        let body = AlarmActionBody {
            action: action.clone(),
            responder: Some(s.responder.clone()).filter(|r| !r.is_empty()),
            outcome: Some(s.outcome.clone()).filter(|o| !o.is_empty()),
            text: Some(text).filter(|t| !t.is_empty()),
        };
        match alarms::act(&web.state, p, &id, body).await {
            Ok(v) => Ok(redirect(&format!("/guardian/alarms/{}?done={}", v.id, crate::layout::q(&action)))),
            Err(e) if on_form(&e) => {
                let errors = form_errors(&ctx, &e, &[("responder", "responder".to_owned()), ("outcome", "outcome".to_owned()), ("text", text_field.to_owned())]);
                render_alarm(&ctx, &web, &id, AlarmShown { errors, ..s }, e.status()).await
            }
            Err(e) => Err(e),
        }
    }
    .await;
    finish(&ctx, r)
}

// ---------------------------------------------------------------------------------------------
// The responder's phone page.

/// A responder's form sent back: (alarm, errors, outcome, text).
type FailedResponse = (String, Errors, String, String);

/// `GET /guardian/respond`: the responder's alarms and availability.
pub async fn respond_page(State(web): State<Web>, ctx: Ctx, Query(q): Query<DoneQuery>) -> Response {
    let r = async { render_respond(&ctx, &web, banner(&ctx, q.done.as_deref()), None, Errors::default(), StatusCode::OK).await }.await;
    finish(&ctx, r)
}

async fn render_respond(ctx: &Ctx, web: &Web, b: Option<String>, failed: Option<FailedResponse>, top: Errors, status: StatusCode) -> Result<Response, Failure> {
    let p = ctx.require()?;
    let title = ctx.t("gd-respond-title");
    let me = cases::me(&web.state, p).await?;
    let Some(me) = me else {
        let body = html! { h1 { (title) } p.lead { (ctx.t("gd-not-responder")) } };
        return Ok(page_status(ctx, status, &title, body));
    };
    let all = alarms::alarms(&web.state, p, AlarmQuery { limit: Some(50), ..Default::default() }).await?;
    let (open, closed): (Vec<&AlarmView>, Vec<&AlarmView>) = all.alarms.iter().partition(|a| a.closed_at.is_none() && a.state != "resolved" && a.state != "cancelled");
    let body = html! {
        (banner_markup(b.as_ref()))
        h1 { (title) }
        (error_summary(ctx, &top, &[]))
        section.responder aria-labelledby="h-gd-available" {
            h2 #h-gd-available { (ctx.t("gd-availability")) }
            p { (if me.available { tag("ok", &ctx.t("gd-available-yes")) } else { tag("grey", &ctx.t("gd-available-no")) }) }
            form method="post" action="/guardian/respond/availability" {
                (csrf(ctx))
                input type="hidden" name="available" value=(if me.available { "false" } else { "true" });
                button.button.button-large.button-secondary type="submit" { (if me.available { ctx.t("gd-set-unavailable") } else { ctx.t("gd-set-available") }) }
            }
        }
        section.responder aria-labelledby="h-gd-mine" {
            h2 #h-gd-mine { (ctx.t("gd-my-alarms")) }
            @if open.is_empty() { p { (ctx.t("gd-none-mine")) } }
            @for a in &open { (response_card(ctx, web, a, failed.as_ref())) }
        }
        @if !closed.is_empty() {
            section aria-labelledby="h-gd-closed" {
                h2 #h-gd-closed { (ctx.t("gd-closed")) }
                ul {
                    @for a in closed.iter().take(10) {
                        li { a href={ "/guardian/respond/alarms/" (a.id) } { (kind_name(ctx, a)) } " · " (a.address) " · " (time_of(a.closed_at.as_deref())) " " (state_tag(ctx, &a.state)) }
                    }
                }
            }
        }
    };
    Ok(page_status(ctx, status, &title, body))
}

fn response_card(ctx: &Ctx, web: &Web, a: &AlarmView, failed: Option<&FailedResponse>) -> Markup {
    html! {
        article.case-action.responder-card #{ "alarm-" (a.id) } aria-labelledby={ "h-alarm-" (a.id) } {
            h3 #{ "h-alarm-" (a.id) } { a href={ "/guardian/respond/alarms/" (a.id) } { (kind_name(ctx, a)) } " " (state_tag(ctx, &a.state)) }
            p.address { strong { (a.address) } }
            p { (a.elder_name) " · " (ctx.ta("gd-raised-at", crate::args![("time", time_of(Some(&a.raised_at))), ("since", since(ctx, web, &a.raised_at))])) }
            (response_actions(ctx, a, failed))
        }
    }
}

/// The dispatched responder's buttons for where an alarm stands (accept or decline, arrived,
/// resolve), with a failed form's errors.
fn response_actions(ctx: &Ctx, a: &AlarmView, failed: Option<&FailedResponse>) -> Markup {
    let failed = failed.filter(|f| f.0 == a.id);
    let none = Errors::default();
    let errors = failed.map_or(&none, |f| &f.1);
    let action = format!("/guardian/respond/{}", a.id);
    let fields = [format!("outcome-{}", a.id), format!("text-{}", a.id)];
    html! {
        (error_summary(ctx, errors, &fields))
        @match a.state.as_str() {
            "dispatched" => {
                div.actions {
                    form method="post" action=(action) {
                        (csrf(ctx))
                        input type="hidden" name="action" value="accept";
                        button.button.button-large type="submit" { (ctx.t("gd-accept")) }
                    }
                    form method="post" action=(action) {
                        (csrf(ctx))
                        input type="hidden" name="action" value="decline";
                        button.button.button-large.button-secondary type="submit" { (ctx.t("gd-decline")) }
                    }
                }
            }
            "accepted" => {
                form method="post" action=(action) {
                    (csrf(ctx))
                    input type="hidden" name="action" value="arrive";
                    button.button.button-large type="submit" { (ctx.t("gd-arrive")) }
                }
            }
            "on_scene" => {
                form.stack method="post" action=(action) novalidate {
                    (csrf(ctx))
                    input type="hidden" name="action" value="resolve";
                    (radios(ctx, errors, &fields[0], &ctx.t("gd-outcome"), &outcome_choices(ctx), failed.map_or("", |f| f.2.as_str()), true))
                    (textarea(ctx, errors, &fields[1], &ctx.t("gd-outcome-text"), Some(&ctx.t("gd-outcome-text-hint")), failed.map_or("", |f| f.3.as_str()), false))
                    button.button.button-large type="submit" { (ctx.t("gd-resolve")) }
                }
            }
            _ => {}
        }
    }
}

/// `GET /guardian/respond/alarms/{id}`: the responder's view of an alarm dispatched to them —
/// whom to see and where, what the devices read, every step — with their buttons while it is
/// theirs. Another responder's alarm, or one never dispatched to them, is not found; the read of
/// the elder's data is logged (in the use case).
pub async fn respond_alarm(State(web): State<Web>, ctx: Ctx, Path(id): Path<String>) -> Response {
    let r = async {
        let p = ctx.require()?;
        let a = alarms::alarm(&web.state, p, &id).await?;
        let me = cases::me(&web.state, p).await?;
        let mine = me.as_ref().is_some_and(|m| a.responder.as_deref() == Some(m.id.as_str()));
        let open = a.closed_at.is_none() && a.state != "resolved" && a.state != "cancelled";
        let title = ctx.ta("gd-alarm-title", crate::args![("kind", kind_name(&ctx, &a)), ("name", a.elder_name.clone())]);
        let body = html! {
            p { a href="/guardian/respond" { (ctx.t("gd-back-respond")) } }
            h1 { (title) }
            ul.figures {
                li { span.num { (state_tag(&ctx, &a.state)) } span.lbl { (ctx.t("gd-col-state")) } }
                li { span.num { (time_of(Some(&a.raised_at))) } span.lbl { (ctx.t("gd-col-raised")) } }
                li { span.num { (since(&ctx, &web, &a.raised_at)) } span.lbl { (ctx.t("gd-col-since")) } }
            }
            dl.summary {
                dt { (ctx.t("gd-col-elder")) } dd { (a.elder_name) }
                dt { (ctx.t("gd-col-address")) } dd.address { strong { (a.address) } }
                dt { (ctx.t("gd-home")) } dd {
                    @if let Some(h) = a.home {
                        (format!("{:.5}, {:.5}", h.lat, h.lon)) " · " a href=(format!("geo:{:.6},{:.6}", h.lat, h.lon)) { (ctx.t("gd-open-map")) }
                    } @else { "—" }
                }
                @if let Some(d) = &a.device { dt { (ctx.t("gd-col-device")) } dd { code { (d) } } }
                @if let Some(o) = &a.outcome { dt { (ctx.t("gd-outcome")) } dd { (named(&ctx, &format!("gd-outcome-{o}"), o)) } }
            }
            @if open && mine {
                section.responder #actions aria-labelledby="h-gd-actions" {
                    h2 #h-gd-actions { (ctx.t("gd-actions")) }
                    (response_actions(&ctx, &a, None))
                }
            } @else if open {
                p { (tag("grey", &ctx.t("gd-respond-not-yours"))) }
            }
            (evidence_and_steps(&ctx, &a))
        };
        Ok(page_status(&ctx, StatusCode::OK, &title, body))
    }
    .await;
    finish(&ctx, r)
}

/// `POST /guardian/respond/availability`: the responder can go now, or cannot.
pub async fn availability(State(web): State<Web>, ctx: Ctx, form: PostForm) -> Response {
    let r = async {
        let p = ctx.require()?;
        let available = form.get("available").as_deref() == Some("true");
        match cases::availability(&web.state, p, AvailabilityBody { available, at: None }).await {
            Ok(_) => Ok(redirect("/guardian/respond?done=available")),
            Err(e) if on_form(&e) => {
                let errors = form_errors(&ctx, &e, &[]);
                render_respond(&ctx, &web, None, None, errors, e.status()).await
            }
            Err(e) => Err(e),
        }
    }
    .await;
    finish(&ctx, r)
}

/// `POST /guardian/respond/{id}`: the responder accepts, declines, arrives or resolves.
pub async fn respond(State(web): State<Web>, ctx: Ctx, Path(id): Path<String>, form: PostForm) -> Response {
    let r = async {
        let p = ctx.require()?;
        let action = form.get("action").unwrap_or_default();
        let fields = [format!("outcome-{id}"), format!("text-{id}")];
        let outcome = form.get(&fields[0]).unwrap_or_default();
        let text = form.get(&fields[1]).unwrap_or_default();
        if action == "resolve" && outcome.is_empty() {
            let mut errors = Errors::default();
            errors.push(&fields[0], ctx.t("gd-outcome-required"));
            return render_respond(&ctx, &web, None, Some((id.clone(), errors, outcome, text)), Errors::default(), StatusCode::UNPROCESSABLE_ENTITY).await;
        }
        let body = AlarmActionBody { action: action.clone(), responder: None, outcome: Some(outcome.clone()).filter(|o| !o.is_empty()), text: Some(text.clone()).filter(|t| !t.is_empty()) };
        match alarms::respond(&web.state, p, &id, body).await {
            Ok(_) => Ok(redirect(&format!("/guardian/respond?done={}", crate::layout::q(&action)))),
            Err(e) if on_form(&e) => {
                let errors = form_errors(&ctx, &e, &[("outcome", fields[0].clone()), ("text", fields[1].clone())]);
                render_respond(&ctx, &web, None, Some((id.clone(), errors, outcome, text)), Errors::default(), e.status()).await
            }
            Err(e) => Err(e),
        }
    }
    .await;
    finish(&ctx, r)
}

// ---------------------------------------------------------------------------------------------
// Responders.

/// The responder form's fields.
const RESPONDER_FIELDS: &[&str] = &["login", "kind", "phone", "lat", "lon"];

#[derive(Debug, Default, Deserialize)]
pub struct RespondersQuery {
    /// What was just done (a banner).
    pub done: Option<String>,
    /// A responder to edit: the form is filled in with them.
    pub edit: Option<String>,
}

#[derive(Default)]
struct RespondersShown {
    banner: Option<String>,
    errors: Errors,
    values: std::collections::BTreeMap<String, String>,
    /// The name of the responder being edited.
    editing: Option<String>,
}

/// `GET /guardian/responders`: the responders (kind, masked phone, position, availability) and
/// the form to register one or update them.
pub async fn responders(State(web): State<Web>, ctx: Ctx, Query(q): Query<RespondersQuery>) -> Response {
    let r = async {
        let p = ctx.require()?;
        let mut shown = RespondersShown { banner: banner(&ctx, q.done.as_deref()), ..Default::default() };
        if let Some(id) = q.edit.as_deref().filter(|id| !id.is_empty()) {
            let rec = cases::responder(&web.state, p, id).await?;
            let at = rec.responder.at;
            shown.values = [
                ("login", rec.login),
                ("kind", rec.responder.kind.clone()),
                ("phone", rec.responder.phone.clone()),
                ("lat", at.lat.to_string()),
                ("lon", at.lon.to_string()),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect();
            shown.editing = Some(rec.responder.name);
        }
        render_responders(&ctx, &web, shown, StatusCode::OK).await
    }
    .await;
    finish(&ctx, r)
}

async fn render_responders(ctx: &Ctx, web: &Web, s: RespondersShown, status: StatusCode) -> Result<Response, Failure> {
    let p = ctx.require()?;
    let list = cases::responders(&web.state, p).await?;
    let title = ctx.t("gd-responders-title");
    let v = |k: &str| s.values.get(k).cloned().unwrap_or_default();
    let kinds: Vec<(String, String)> = cases::RESPONDER_KINDS.iter().map(|k| ((*k).to_owned(), named(ctx, &format!("gd-responder-{k}"), k))).collect();
    let known: Vec<String> = RESPONDER_FIELDS.iter().map(|f| (*f).to_owned()).collect();
    let body = html! {
        p { a href="/guardian" { (ctx.t("gd-back-console")) } }
        (banner_markup(s.banner.as_ref()))
        h1 { (title) }
        p.lead { (ctx.t("gd-responders-lead")) }
        section aria-labelledby="h-gd-responders" {
            h2 #h-gd-responders { (ctx.t("gd-responders-list")) }
            @if list.is_empty() { p { (ctx.t("gd-none-responders")) } }
            @else {
                div.table-wrap { table {
                    caption.visually-hidden { (ctx.t("gd-responders-list")) }
                    thead { tr {
                        th scope="col" { (ctx.t("gd-col-name")) }
                        th scope="col" { (ctx.t("gd-col-responder-kind")) }
                        th scope="col" { (ctx.t("gd-col-phone")) }
                        th scope="col" { (ctx.t("gd-col-division")) }
                        th scope="col" { (ctx.t("gd-col-position")) }
                        th scope="col" { (ctx.t("gd-col-available")) }
                        th scope="col" { (ctx.t("gd-col-edit")) }
                    } }
                    tbody {
                        @for r in &list {
                            tr #{ "responder-" (r.id) } {
                                th scope="row" { (r.name) }
                                td { (named(ctx, &format!("gd-responder-{}", r.kind), &r.kind)) }
                                td { (r.phone) }
                                td { (r.division) }
                                td { (format!("{:.5}, {:.5}", r.at.lat, r.at.lon)) }
                                td { (if r.available { tag("ok", &ctx.t("gd-available-yes")) } else { tag("grey", &ctx.t("gd-available-no")) }) }
                                td { a href={ "/guardian/responders?edit=" (r.id) "#register" } { (ctx.t("gd-edit")) span.visually-hidden { " " (r.name) } } }
                            }
                        }
                    }
                } }
            }
        }
        section #register aria-labelledby="h-gd-register" {
            h2 #h-gd-register { (ctx.t("gd-responder-form-title")) }
            p { (ctx.t("gd-responder-form-lead")) }
            @if let Some(n) = &s.editing { p { strong { (ctx.ta("gd-responder-editing", crate::args![("name", n.clone())])) } } }
            (error_summary(ctx, &s.errors, &known))
            form.stack method="post" action="/guardian/responders" novalidate {
                (csrf(ctx))
                (input(ctx, &s.errors, &Input { name: "login", label: &ctx.t("gd-responder-login"), hint: Some(&ctx.t("gd-responder-login-hint")), value: &v("login"), required: true, autocomplete: Some("off"), maxlength: Some(40), width: None, ..Default::default() }))
                (radios(ctx, &s.errors, "kind", &ctx.t("gd-responder-kind"), &kinds, &v("kind"), true))
                (input(ctx, &s.errors, &Input { name: "phone", label: &ctx.t("gd-responder-phone"), value: &v("phone"), kind: "tel", required: true, autocomplete: Some("off"), maxlength: Some(15), width: None, ..Default::default() }))
                (input(ctx, &s.errors, &Input { name: "lat", label: &ctx.t("gd-responder-lat"), hint: Some(&ctx.t("gd-responder-lat-hint")), value: &v("lat"), required: true, inputmode: Some("decimal"), autocomplete: Some("off"), width: Some("w-short"), ..Default::default() }))
                (input(ctx, &s.errors, &Input { name: "lon", label: &ctx.t("gd-responder-lon"), hint: Some(&ctx.t("gd-lon-hint")), value: &v("lon"), required: true, inputmode: Some("decimal"), autocomplete: Some("off"), width: Some("w-short"), ..Default::default() }))
                button.button type="submit" { (ctx.t("gd-responder-save")) }
            }
        }
    };
    Ok(page_status(ctx, status, &title, body))
}

/// `POST /guardian/responders`: the centre registers a responder, or updates one (the same
/// account again); the use case's refusals are shown beside their fields.
pub async fn save_responder(State(web): State<Web>, ctx: Ctx, form: PostForm) -> Response {
    let r = async {
        let p = ctx.require()?;
        let values: std::collections::BTreeMap<String, String> = RESPONDER_FIELDS.iter().map(|f| ((*f).to_owned(), form.get(f).unwrap_or_default().trim().to_owned())).collect();
        let v = |k: &str| values.get(k).cloned().unwrap_or_default();
        let mut errors = Errors::default();
        if v("login").is_empty() {
            errors.push("login", ctx.t("gd-responder-login-required"));
        }
        if v("kind").is_empty() {
            errors.push("kind", ctx.t("gd-responder-kind-required"));
        }
        if v("phone").is_empty() {
            errors.push("phone", ctx.t("gd-responder-phone-required"));
        }
        let lat = coordinate(&ctx, &mut errors, "lat", &v("lat"));
        let lon = coordinate(&ctx, &mut errors, "lon", &v("lon"));
        for (field, x) in [("lat", lat), ("lon", lon)] {
            if x.is_none() && errors.of(field).is_none() {
                errors.push(field, ctx.t("gd-coordinate-required"));
            }
        }
        let (Some(lat), Some(lon), true) = (lat, lon, errors.is_empty()) else {
            return render_responders(&ctx, &web, RespondersShown { errors, values, ..Default::default() }, StatusCode::UNPROCESSABLE_ENTITY).await;
        };
        let body = ResponderBody { login: v("login"), kind: v("kind"), phone: v("phone"), at: PointView { lat, lon } };
        match cases::save_responder(&web.state, p, body).await {
            Ok(_) => Ok(redirect("/guardian/responders?done=responder-saved")),
            Err(e) if on_form(&e) => {
                let rename: Vec<(&str, String)> = vec![("login", "login".to_owned()), ("kind", "kind".to_owned()), ("phone", "phone".to_owned()), ("at", "lat".to_owned())];
                let errors = form_errors(&ctx, &e, &rename);
                render_responders(&ctx, &web, RespondersShown { errors, values, ..Default::default() }, e.status()).await
            }
            Err(e) => Err(e),
        }
    }
    .await;
    finish(&ctx, r)
}

// ---------------------------------------------------------------------------------------------
// Enrolment.

/// The enrolment form's fields.
const ENROL_FIELDS: &[&str] = &["id_number", "basis", "address", "lat", "lon", "contact_name", "contact_relation", "contact_phone", "contact_login", "consent_on"];

#[derive(Default)]
struct EnrolShown {
    banner: Option<String>,
    errors: Errors,
    values: std::collections::BTreeMap<String, String>,
}

/// `GET /guardian/elders`: the elders under guard, coverage and the enrolment form.
pub async fn elders(State(web): State<Web>, ctx: Ctx, Query(q): Query<DoneQuery>) -> Response {
    let r = async { render_elders(&ctx, &web, EnrolShown { banner: banner(&ctx, q.done.as_deref()), ..Default::default() }, StatusCode::OK).await }.await;
    finish(&ctx, r)
}

async fn render_elders(ctx: &Ctx, web: &Web, s: EnrolShown, status: StatusCode) -> Result<Response, Failure> {
    let p = ctx.require()?;
    let list = cases::elders(&web.state, p, ElderQuery { limit: Some(LIST_LIMIT), ..Default::default() }).await?;
    let cover = cases::coverage(&web.state, p, CandidateQuery::default()).await?;
    let title = ctx.t("gd-elders-title");
    let v = |k: &str| s.values.get(k).cloned().unwrap_or_default();
    let bases: Vec<(String, String)> = cases::BASES.iter().map(|(c, zh, en)| ((*c).to_owned(), ctx.lang.pick(zh, en).to_owned())).collect();
    let known: Vec<String> = ENROL_FIELDS.iter().map(|f| (*f).to_owned()).collect();
    let today = domain::china_date(web.state.now()).format("%Y-%m-%d").to_string();
    let consent = if s.values.contains_key("consent_on") { v("consent_on") } else { today };
    let body = html! {
        p { a href="/guardian" { (ctx.t("gd-back-console")) } }
        (banner_markup(s.banner.as_ref()))
        h1 { (title) }
        p.lead { (ctx.t("gd-elders-lead")) }
        ul.figures {
            li { span.num { (cover.qualifying) } span.lbl { (ctx.t("gd-fig-qualifying")) } }
            li { span.num { (cover.guarded) } span.lbl { (ctx.t("gd-fig-guarded")) } }
            li { span.num { (format!("{:.1}%", cover.percent)) } span.lbl { (ctx.t("gd-fig-percent")) } }
        }
        section aria-labelledby="h-gd-list" {
            h2 #h-gd-list { (ctx.t("gd-elders-list")) }
            @if list.elders.is_empty() { p { (ctx.t("gd-none-elders")) } }
            @else {
                div.table-wrap { table {
                    caption.visually-hidden { (ctx.t("gd-elders-list")) }
                    thead { tr {
                        th scope="col" { (ctx.t("gd-col-elder")) }
                        th scope="col" { (ctx.t("gd-col-id")) }
                        th.num scope="col" { (ctx.t("gd-col-age")) }
                        th scope="col" { (ctx.t("gd-col-basis")) }
                        th scope="col" { (ctx.t("gd-col-address")) }
                        th scope="col" { (ctx.t("gd-col-status")) }
                    } }
                    tbody {
                        @for e in &list.elders {
                            tr {
                                th scope="row" { a href={ "/guardian/elders/" (e.id) } { (e.name) } }
                                td { (e.id_number) }
                                td.num { (e.age) }
                                td { (bases.iter().find(|(c, _)| *c == e.basis).map_or(e.basis.as_str(), |(_, l)| l.as_str())) }
                                td { (e.address) }
                                td { (tag(if e.status == "guarded" { "ok" } else { "grey" }, &named(ctx, &format!("gd-elder-{}", e.status), &e.status))) }
                            }
                        }
                    }
                } }
            }
        }
        section #enrol aria-labelledby="h-gd-enrol" {
            h2 #h-gd-enrol { (ctx.t("gd-enrol-title")) }
            p { (ctx.t("gd-enrol-lead")) }
            (error_summary(ctx, &s.errors, &known))
            form.stack method="post" action="/guardian/elders" novalidate {
                (csrf(ctx))
                (input(ctx, &s.errors, &Input { name: "id_number", label: &ctx.t("gd-id-number"), value: &v("id_number"), required: true, autocomplete: Some("off"), maxlength: Some(18), width: None, ..Default::default() }))
                (radios(ctx, &s.errors, "basis", &ctx.t("gd-basis"), &bases, &v("basis"), true))
                (input(ctx, &s.errors, &Input { name: "address", label: &ctx.t("gd-address"), value: &v("address"), required: true, autocomplete: Some("street-address"), maxlength: Some(120), ..Default::default() }))
                (input(ctx, &s.errors, &Input { name: "lat", label: &ctx.t("gd-lat"), hint: Some(&ctx.t("gd-lat-hint")), value: &v("lat"), inputmode: Some("decimal"), autocomplete: Some("off"), width: Some("w-short"), ..Default::default() }))
                (input(ctx, &s.errors, &Input { name: "lon", label: &ctx.t("gd-lon"), hint: Some(&ctx.t("gd-lon-hint")), value: &v("lon"), inputmode: Some("decimal"), autocomplete: Some("off"), width: Some("w-short"), ..Default::default() }))
                fieldset {
                    legend { (ctx.t("gd-contact")) }
                    (input(ctx, &s.errors, &Input { name: "contact_name", label: &ctx.t("gd-contact-name"), value: &v("contact_name"), required: true, autocomplete: Some("off"), maxlength: Some(40), width: None, ..Default::default() }))
                    (input(ctx, &s.errors, &Input { name: "contact_relation", label: &ctx.t("gd-contact-relation"), hint: Some(&ctx.t("gd-contact-relation-hint")), value: &v("contact_relation"), required: true, autocomplete: Some("off"), maxlength: Some(20), width: Some("w-short"), ..Default::default() }))
                    (input(ctx, &s.errors, &Input { name: "contact_phone", label: &ctx.t("gd-contact-phone"), value: &v("contact_phone"), kind: "tel", required: true, autocomplete: Some("off"), maxlength: Some(15), width: None, ..Default::default() }))
                    (input(ctx, &s.errors, &Input { name: "contact_login", label: &ctx.t("gd-contact-login"), hint: Some(&ctx.t("gd-contact-login-hint")), value: &v("contact_login"), autocomplete: Some("off"), maxlength: Some(40), width: None, ..Default::default() }))
                }
                (input(ctx, &s.errors, &Input { name: "consent_on", label: &ctx.t("gd-consent-on"), hint: Some(&ctx.t("gd-date-hint")), value: &consent, required: true, autocomplete: Some("off"), maxlength: Some(10), width: Some("w-short"), ..Default::default() }))
                button.button type="submit" { (ctx.t("gd-enrol")) }
            }
        }
    };
    Ok(page_status(ctx, status, &title, body))
}

/// A coordinate typed in a form: `Err` with the message when it is not a number.
fn coordinate(ctx: &Ctx, errors: &mut Errors, field: &str, v: &str) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    match v.parse::<f64>() {
        Ok(x) if x.is_finite() => Some(x),
        _ => {
            errors.push(field, ctx.t("gd-coordinate-bad"));
            None
        }
    }
}

/// `POST /guardian/elders`: the centre enrols an elder.
pub async fn enrol(State(web): State<Web>, ctx: Ctx, form: PostForm) -> Response {
    let r = async {
        let p = ctx.require()?;
        let values: std::collections::BTreeMap<String, String> = ENROL_FIELDS.iter().map(|f| ((*f).to_owned(), form.get(f).unwrap_or_default())).collect();
        let v = |k: &str| values.get(k).cloned().unwrap_or_default();
        let mut errors = Errors::default();
        if v("id_number").is_empty() {
            errors.push("id_number", ctx.t("gd-id-number-required"));
        }
        if v("basis").is_empty() {
            errors.push("basis", ctx.t("gd-basis-required"));
        }
        let lat = coordinate(&ctx, &mut errors, "lat", &v("lat"));
        let lon = coordinate(&ctx, &mut errors, "lon", &v("lon"));
        let home = match (lat, lon) {
            (Some(lat), Some(lon)) => Some(PointView { lat, lon }),
            (None, None) => None,
            (Some(_), None) if errors.of("lon").is_none() => {
                errors.push("lon", ctx.t("gd-coordinate-pair"));
                None
            }
            (None, Some(_)) if errors.of("lat").is_none() => {
                errors.push("lat", ctx.t("gd-coordinate-pair"));
                None
            }
            _ => None,
        };
        if !errors.is_empty() {
            return render_elders(&ctx, &web, EnrolShown { errors, values, ..Default::default() }, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
        let body = EnrolBody {
            id_number: v("id_number"),
            basis: v("basis"),
            address: v("address"),
            home,
            contacts: vec![ContactBody { name: v("contact_name"), relation: v("contact_relation"), phone: v("contact_phone"), login: Some(v("contact_login")).filter(|l| !l.is_empty()) }],
            consent_on: v("consent_on"),
            overrides: None,
        };
        match cases::enrol(&web.state, p, body).await {
            Ok(e) => Ok(redirect(&format!("/guardian/elders/{}?done=enrolled", e.id))),
            Err(e) if on_form(&e) => {
                let rename: Vec<(&str, String)> = vec![
                    ("id_number", "id_number".to_owned()),
                    ("basis", "basis".to_owned()),
                    ("address", "address".to_owned()),
                    ("home", "lat".to_owned()),
                    ("contacts[0].name", "contact_name".to_owned()),
                    ("contacts[0].relation", "contact_relation".to_owned()),
                    ("contacts[0].phone", "contact_phone".to_owned()),
                    ("contacts[0].login", "contact_login".to_owned()),
                    ("contacts", "contact_name".to_owned()),
                    ("consent_on", "consent_on".to_owned()),
                ];
                let errors = form_errors(&ctx, &e, &rename);
                render_elders(&ctx, &web, EnrolShown { errors, values, ..Default::default() }, e.status()).await
            }
            Err(e) => Err(e),
        }
    }
    .await;
    finish(&ctx, r)
}

// ---------------------------------------------------------------------------------------------
// An elder's care record.

#[derive(Default)]
struct ElderShown {
    banner: Option<String>,
    device_errors: Errors,
    kind: String,
    room: String,
    created: Option<NewDeviceView>,
    withdraw_errors: Errors,
    reason: String,
}

/// `GET /guardian/elders/{id}`: an elder's care record.
pub async fn elder(State(web): State<Web>, ctx: Ctx, Path(id): Path<String>, Query(q): Query<DoneQuery>) -> Response {
    let r = async { render_elder(&ctx, &web, &id, ElderShown { banner: banner(&ctx, q.done.as_deref()), ..Default::default() }, StatusCode::OK).await }.await;
    finish(&ctx, r)
}

async fn render_elder(ctx: &Ctx, web: &Web, id: &str, s: ElderShown, status: StatusCode) -> Result<Response, Failure> {
    let p = ctx.require()?;
    let e = cases::elder(&web.state, p, id).await?;
    let devices = cases::devices(&web.state, p, id).await?;
    let recent = cases::elder_alarms(&web.state, p, id, ElderAlarmQuery { limit: Some(RECENT_LIMIT), offset: None }).await?;
    let title = ctx.ta("gd-elder-title", crate::args![("name", e.name.clone())]);
    let kinds: Vec<(String, String)> = cases::DEVICE_KINDS.iter().map(|k| ((*k).to_owned(), named(ctx, &format!("gd-device-{k}"), k))).collect();
    let basis = cases::BASES.iter().find(|(c, _, _)| *c == e.basis).map_or(e.basis.clone(), |(_, zh, en)| ctx.lang.pick(zh, en).to_owned());
    let guarded = e.status == "guarded";
    let body = html! {
        p { a href="/guardian/elders" { (ctx.t("gd-back-elders")) } }
        (banner_markup(s.banner.as_ref()))
        h1 { (title) }
        @if let Some(n) = &s.created {
            div.banner role="status" tabindex="-1" data-autofocus {
                h2 { (ctx.t("gd-device-created")) }
                p { (ctx.t("gd-device-once")) }
                dl.summary {
                    dt { (ctx.t("gd-mqtt-user")) } dd { code #gd-mqtt-user { (n.username) } }
                    dt { (ctx.t("gd-mqtt-password")) } dd { code #gd-mqtt-password { (n.password) } }
                    dt { (ctx.t("gd-mqtt-topic")) } dd { code { (n.device.topic) } }
                }
            }
        }
        section aria-labelledby="h-gd-profile" {
            h2 #h-gd-profile { (ctx.t("gd-profile")) }
            dl.summary {
                dt { (ctx.t("gd-col-id")) } dd { (e.id_number) }
                dt { (ctx.t("gd-col-age")) } dd { (e.age) }
                dt { (ctx.t("gd-col-basis")) } dd { (basis) }
                dt { (ctx.t("gd-col-address")) } dd { (e.address) }
                dt { (ctx.t("gd-home")) } dd { @if let Some(h) = e.home { (format!("{:.5}, {:.5}", h.lat, h.lon)) } @else { "—" } }
                dt { (ctx.t("gd-consent-on")) } dd { (e.consent_on) }
                dt { (ctx.t("gd-col-status")) } dd { (tag(if guarded { "ok" } else { "grey" }, &named(ctx, &format!("gd-elder-{}", e.status), &e.status))) @if let Some(r) = &e.withdrawn_reason { " " (r) } }
            }
        }
        section aria-labelledby="h-gd-contacts" {
            h2 #h-gd-contacts { (ctx.t("gd-contacts")) }
            ul { @for c in &e.contacts { li { (c.name) " · " (c.relation) " · " (c.phone) } } }
        }
        section aria-labelledby="h-gd-devices" {
            h2 #h-gd-devices { (ctx.t("gd-devices")) }
            @if devices.is_empty() { p { (ctx.t("gd-none-devices")) } }
            @else {
                div.table-wrap { table {
                    caption.visually-hidden { (ctx.t("gd-devices")) }
                    thead { tr {
                        th scope="col" { (ctx.t("gd-col-device")) }
                        th scope="col" { (ctx.t("gd-col-device-kind")) }
                        th scope="col" { (ctx.t("gd-room")) }
                        th scope="col" { (ctx.t("gd-col-last-seen")) }
                        th.num scope="col" { (ctx.t("gd-col-battery")) }
                        th scope="col" { (ctx.t("gd-col-status")) }
                    } }
                    tbody {
                        @for d in &devices {
                            tr {
                                th scope="row" { code { (d.id) } }
                                td { (named(ctx, &format!("gd-device-{}", d.kind), &d.kind)) }
                                td { (d.room.as_deref().unwrap_or("—")) }
                                td { (time_of(d.last_seen.as_deref())) }
                                td.num { @if let Some(b) = d.battery_pct { (b) "%" } @else { "—" } }
                                td { (named(ctx, &format!("gd-device-status-{}", d.status), &d.status)) }
                            }
                        }
                    }
                } }
            }
            @if guarded {
                h3 { (ctx.t("gd-device-add")) }
                (error_summary(ctx, &s.device_errors, &["kind".to_owned(), "room".to_owned()]))
                form.stack method="post" action={ "/guardian/elders/" (e.id) "/devices" } novalidate {
                    (csrf(ctx))
                    (select(ctx, &s.device_errors, "kind", &ctx.t("gd-col-device-kind"), &kinds, &s.kind))
                    (input(ctx, &s.device_errors, &Input { name: "room", label: &ctx.t("gd-room"), hint: Some(&ctx.t("gd-room-hint")), value: &s.room, autocomplete: Some("off"), maxlength: Some(20), width: Some("w-short"), ..Default::default() }))
                    button.button type="submit" { (ctx.t("gd-device-register")) }
                }
            }
        }
        section aria-labelledby="h-gd-recent" {
            h2 #h-gd-recent { (ctx.t("gd-recent")) }
            @if recent.alarms.is_empty() { p { (ctx.t("gd-none-recent")) } }
            @else {
                p.muted { (ctx.ta("gd-recent-total", crate::args![("n", recent.total), ("shown", recent.alarms.len())])) }
                ul {
                    @for a in &recent.alarms {
                        li { a href={ "/guardian/alarms/" (a.id) } { (kind_name(ctx, a)) } " · " (time_of(Some(&a.raised_at))) " " (state_tag(ctx, &a.state)) }
                    }
                }
            }
        }
        @if guarded {
            section aria-labelledby="h-gd-withdraw" {
                h2 #h-gd-withdraw { (ctx.t("gd-withdraw-title")) }
                (error_summary(ctx, &s.withdraw_errors, &["reason".to_owned()]))
                form.stack method="post" action={ "/guardian/elders/" (e.id) "/withdraw" } novalidate {
                    (csrf(ctx))
                    (textarea(ctx, &s.withdraw_errors, "reason", &ctx.t("gd-withdraw-reason"), None, &s.reason, true))
                    button.button.button-warning type="submit" data-confirm=(ctx.t("gd-withdraw-confirm")) { (ctx.t("gd-withdraw")) }
                }
            }
        }
    };
    Ok(page_status(ctx, status, &title, body))
}

/// `POST /guardian/elders/{id}/devices`: a device registered; its MQTT password shown this once.
pub async fn add_device(State(web): State<Web>, ctx: Ctx, Path(id): Path<String>, form: PostForm) -> Response {
    let r = async {
        let p = ctx.require()?;
        let kind = form.get("kind").unwrap_or_default();
        let room = form.get("room").unwrap_or_default();
        match cases::add_device(&web.state, p, &id, DeviceBody { kind: kind.clone(), room: Some(room.clone()).filter(|r| !r.is_empty()) }).await {
            Ok(n) => render_elder(&ctx, &web, &id, ElderShown { created: Some(n), ..Default::default() }, StatusCode::CREATED).await,
            Err(e) if on_form(&e) => {
                let errors = form_errors(&ctx, &e, &[("kind", "kind".to_owned()), ("room", "room".to_owned())]);
                render_elder(&ctx, &web, &id, ElderShown { device_errors: errors, kind, room, ..Default::default() }, e.status()).await
            }
            Err(e) => Err(e),
        }
    }
    .await;
    finish(&ctx, r)
}

/// `POST /guardian/elders/{id}/withdraw`: the elder leaves guarding.
pub async fn withdraw(State(web): State<Web>, ctx: Ctx, Path(id): Path<String>, form: PostForm) -> Response {
    let r = async {
        let p = ctx.require()?;
        let reason = form.get("reason").unwrap_or_default();
        match cases::withdraw(&web.state, p, &id, WithdrawBody { reason: reason.clone() }).await {
            Ok(e) => Ok(redirect(&format!("/guardian/elders/{}?done=withdrawn", e.id))),
            Err(e) if on_form(&e) => {
                let errors = form_errors(&ctx, &e, &[("reason", "reason".to_owned())]);
                render_elder(&ctx, &web, &id, ElderShown { withdraw_errors: errors, reason, ..Default::default() }, e.status()).await
            }
            Err(e) => Err(e),
        }
    }
    .await;
    finish(&ctx, r)
}
