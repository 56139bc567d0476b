//! Hospital parking guidance (停车诱导, issue 34): where to park for a hospital (找车位: the car
//! parks ranked by driving plus walking time, each with its verdict, free bays now and at arrival,
//! how each time was measured, fees, navigation links and a map), the page a guidance sign's QR
//! code opens (what the sign shows, the best lot with room and big navigation buttons that count
//! the trip), a car park's page (bays by type, the last 24 hours drawn), the parking department's
//! page (lots and their feeds, registering hospitals, lots and signs, issuing a feed key, today's
//! figures) and the cockpit's parking section. Everything goes through `server::areas::parking::cases`.

use std::collections::BTreeMap;

use axum::extract::Path;
use axum::extract::Query;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use maud::Markup;
use maud::html;
use serde::Deserialize;
use server::areas::parking::cases;
use server::areas::parking::views::BaysView;
use server::areas::parking::views::FreeBaysView;
use server::areas::parking::views::FeedKeyView;
use server::areas::parking::views::FeesView;
use server::areas::parking::views::GuidanceQuery;
use server::areas::parking::views::GuidanceView;
use server::areas::parking::views::GuidedLotView;
use server::areas::parking::views::HistoryQuery;
use server::areas::parking::views::HistoryView;
use server::areas::parking::views::HospitalBody;
use server::areas::parking::views::LotBody;
use server::areas::parking::views::LotView;
use server::areas::parking::views::NavView;
use server::areas::parking::views::NavigateBody;
use server::areas::parking::views::ParkingFiguresQuery;
use server::areas::parking::views::PointView;
use server::areas::parking::views::SignBody;
use server::areas::parking::views::SignLotBody;
use server::areas::parking::views::SignView;
use server::auth::Principal;
use server::failure::Failure;
use server::policy::Who;

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
use crate::layout::redirect;
use crate::layout::tag;
use crate::layout::textarea;
use super::banner_markup;
use super::named;

pub const CSS_URL: &str = concat!("/static/parking.css?v=", env!("CARGO_PKG_VERSION"));
pub const JS_URL: &str = concat!("/static/parking.js?v=", env!("CARGO_PKG_VERSION"));

/// The parking department and the administrator.
const STAFF: Who = Who::PARKING.or(Who::ADMIN);

/// The map apps a driver may choose, in order: (form value, message key).
const APPS: [(&str, &str); 4] = [("geo", "pk-app-geo"), ("amap", "pk-app-amap"), ("baidu", "pk-app-baidu"), ("apple", "pk-app-apple")];

#[derive(Debug, Default, Deserialize)]
pub struct FindQuery {
    pub hospital: Option<String>,
    pub lat: Option<String>,
    pub lon: Option<String>,
    pub disabled: Option<String>,
    pub ev: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct DoneQuery {
    pub done: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Shared helpers.

fn banner(ctx: &Ctx, done: Option<&str>) -> Option<String> {
    ctx.lang.try_t(&format!("pk-done-{}", done?))
}

/// Text that exists in Chinese only (names and fees from the data), marked as such on English pages.
fn zh(ctx: &Ctx, s: &str) -> Markup {
    html! {
        @if ctx.lang == crate::i18n::Lang::En { span lang="zh-CN" { (s) } } @else { (s) }
    }
}

fn verdict_class(v: &str) -> &'static str {
    match v {
        "room" => "ok",
        "nearly_full" => "warn",
        "full" => "bad",
        _ => "grey",
    }
}

fn verdict_tag(ctx: &Ctx, v: &str) -> Markup {
    tag(verdict_class(v), &named(ctx, &format!("pk-verdict-{v}"), v))
}

/// A lot's status now: open (room), full, unknown (a silent feed) or closed.
fn status_tag(ctx: &Ctx, s: &str) -> Markup {
    let class = match s {
        "open" => "ok",
        "full" => "bad",
        _ => "grey",
    };
    tag(class, &named(ctx, &format!("pk-status-{s}"), s))
}

/// The colour of a verdict on the map (white text on each has at least 4.5:1).
fn verdict_fill(v: &str) -> &'static str {
    match v {
        "room" | "open" => "#00703c",
        "nearly_full" => "#8a4b00",
        "full" => "#b0281a",
        "closed" => "#1b1b1b",
        _ => "#505a5f",
    }
}

fn minutes(ctx: &Ctx, m: Option<f64>) -> String {
    match m.filter(|m| m.is_finite() && *m >= 0.0) {
        Some(m) => ctx.ta("pk-minutes", crate::args![("n", super::number(m, 1))]),
        None => "—".to_owned(),
    }
}

fn count(n: Option<u32>) -> String {
    n.map_or_else(|| "—".to_owned(), |n| n.to_string())
}

fn measured(ctx: &Ctx, how: &str) -> Markup {
    let word = named(ctx, &format!("pk-measured-{how}"), how);
    if how == "straight_line" { tag("warn", &word) } else { html! { span.muted { (word) } } }
}

/// An RFC 3339 time (as the use cases give them) in China, to the minute.
fn time_of(t: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(t).ok().map(|t| super::time(t.with_timezone(&chrono::Utc))).unwrap_or_else(|| t.to_owned())
}

fn nav_link<'a>(nav: &'a NavView, app: &str) -> &'a str {
    match app {
        "amap" => &nav.amap,
        "baidu" => &nav.baidu_web,
        "apple" => &nav.apple,
        _ => &nav.geo,
    }
}

/// The navigation links to a lot (each names the lot for screen readers).
fn nav_links(ctx: &Ctx, name: &str, nav: &NavView) -> Markup {
    html! {
        ul.detail-list.pk-nav {
            @for (app, key) in APPS {
                li { a href=(nav_link(nav, app)) rel="noopener" { (ctx.t(key)) span.visually-hidden { " · " (name) } } }
            }
        }
    }
}

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

fn checkbox(name: &str, label: &str, checked: bool) -> Markup {
    let id = input_id(name);
    html! {
        div.check {
            input #(id) type="checkbox" name=(name) value="1" checked[checked];
            label for=(id) { (label) }
        }
    }
}

fn ticked(v: Option<&str>) -> bool {
    matches!(v.map(str::trim), Some("1" | "on" | "true" | "yes"))
}

/// An optional coordinate as typed: empty is none.
fn coordinate(ctx: &Ctx, errors: &mut Errors, field: &str, v: Option<&str>) -> Option<f64> {
    let v = v.map(str::trim).filter(|v| !v.is_empty())?;
    match v.parse::<f64>() {
        Ok(x) if x.is_finite() => Some(x),
        _ => {
            errors.push(field, ctx.t("pk-number-invalid"));
            None
        }
    }
}

/// A number as typed (`label`: the input's label key, named in the message).
fn number_of<T: std::str::FromStr>(ctx: &Ctx, errors: &mut Errors, field: &str, label: &str, v: &str, required: bool) -> Option<T> {
    let v = v.trim();
    if v.is_empty() {
        if required {
            errors.push(field, ctx.ta("pk-required", crate::args![("field", ctx.t(label))]));
        }
        return None;
    }
    match v.parse::<T>() {
        Ok(x) => Some(x),
        Err(_) => {
            errors.push(field, ctx.ta("pk-number-invalid-field", crate::args![("field", ctx.t(label))]));
            None
        }
    }
}

/// An amount in yuan as typed (`5`, `2.5`) in fen.
fn fen_of(ctx: &Ctx, errors: &mut Errors, field: &str, label: &str, v: &str) -> Option<u32> {
    let v = v.trim();
    if v.is_empty() {
        return None;
    }
    match v.parse::<f64>() {
        Ok(x) if x.is_finite() && (0.0..=100_000.0).contains(&x) => Some((x * 100.0).round() as u32),
        _ => {
            errors.push(field, ctx.ta("pk-yuan-invalid", crate::args![("field", ctx.t(label))]));
            None
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The map.

/// One thing on the map.
struct Mark {
    label: String,
    lat: f64,
    lon: f64,
    fill: &'static str,
    shape: Shape,
}

#[derive(PartialEq)]
enum Shape {
    Lot,
    Hospital,
    You,
}

fn fmt(v: f64) -> String {
    format!("{v:.1}")
}

/// The hospital (a blue square), the driver (a triangle) and the lots (circles coloured by their
/// verdict, numbered as in the table beside it), scaled to their bounding box.
fn map(id: &str, title: &str, desc: &str, marks: &[Mark]) -> Markup {
    let (w, h, pad) = (640.0_f64, 360.0_f64, 30.0_f64);
    let (mut lat0, mut lat1, mut lon0, mut lon1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for m in marks {
        lat0 = lat0.min(m.lat);
        lat1 = lat1.max(m.lat);
        lon0 = lon0.min(m.lon);
        lon1 = lon1.max(m.lon);
    }
    let (mid_lat, mid_lon) = ((lat0 + lat1) / 2.0, (lon0 + lon1) / 2.0);
    let k = mid_lat.to_radians().cos().max(0.1);
    let span_lon = ((lon1 - lon0) * k).max(0.004);
    let span_lat = (lat1 - lat0).max(0.004);
    let scale = ((w - 2.0 * pad) / span_lon).min((h - 2.0 * pad) / span_lat);
    let x = |lon: f64| w / 2.0 + (lon - mid_lon) * k * scale;
    let y = |lat: f64| h / 2.0 - (lat - mid_lat) * scale;
    // The scale: how many pixels 500 m is.
    let px_500 = 500.0 / 111_320.0 * scale;
    html! {
        svg.pk-map viewBox={ "0 0 " (w) " " (h) } role="img" aria-labelledby={ (id) "-t " (id) "-d" } xmlns="http://www.w3.org/2000/svg" {
            title id={ (id) "-t" } { (title) }
            desc id={ (id) "-d" } { (desc) }
            rect x="0" y="0" width=(w) height=(h) fill="#f3f6f8" stroke="#b1b4b6" {}
            @if px_500.is_finite() && px_500 < w / 2.0 {
                line x1="14" x2=(fmt(14.0 + px_500)) y1=(fmt(h - 14.0)) y2=(fmt(h - 14.0)) stroke="#1b1b1b" stroke-width="2" {}
                text.svg-muted x="14" y=(fmt(h - 20.0)) { "500 m" }
            }
            @for m in marks.iter().filter(|m| m.shape == Shape::Hospital) {
                @let (cx, cy) = (x(m.lon), y(m.lat));
                rect x=(fmt(cx - 13.0)) y=(fmt(cy - 13.0)) width="26" height="26" fill="#0b4ea2" stroke="#fff" stroke-width="2" {}
                text.pk-map-label x=(fmt(cx)) y=(fmt(cy + 5.0)) text-anchor="middle" fill="#fff" { (m.label) }
            }
            @for m in marks.iter().filter(|m| m.shape == Shape::You) {
                @let (cx, cy) = (x(m.lon), y(m.lat));
                polygon points={ (fmt(cx)) "," (fmt(cy - 14.0)) " " (fmt(cx - 12.0)) "," (fmt(cy + 9.0)) " " (fmt(cx + 12.0)) "," (fmt(cy + 9.0)) } fill="#1b1b1b" stroke="#fff" stroke-width="2" {}
                text.svg-text x=(fmt(cx + 16.0)) y=(fmt(cy + 5.0)) { (m.label) }
            }
            @for m in marks.iter().filter(|m| m.shape == Shape::Lot) {
                @let (cx, cy) = (x(m.lon), y(m.lat));
                circle cx=(fmt(cx)) cy=(fmt(cy)) r="12" fill=(m.fill) stroke="#fff" stroke-width="2" {}
                text.pk-map-label x=(fmt(cx)) y=(fmt(cy + 5.0)) text-anchor="middle" fill="#fff" { (m.label) }
            }
        }
    }
}

fn legend(ctx: &Ctx) -> Markup {
    html! {
        ul.pk-legend {
            li { span.pk-swatch.pk-hospital aria-hidden="true" {} (ctx.t("pk-legend-hospital")) }
            @for v in ["room", "nearly_full", "full", "unknown", "closed"] {
                li { span class={ "pk-swatch pk-v-" (v) } aria-hidden="true" {} (ctx.t(&format!("pk-verdict-{v}"))) }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// 找车位: where to park for a hospital.

/// `GET /parking`: choose a hospital (and, optionally, start from here, a disability permit, an
/// EV bay): the car parks ranked, on a map.
pub async fn home(State(web): State<Web>, ctx: Ctx, Query(q): Query<FindQuery>) -> Response {
    let r = async {
        let hospitals = cases::hospitals(&web.state).await?;
        let mut errors = Errors::default();
        let hospital = q.hospital.as_deref().map(str::trim).filter(|h| !h.is_empty()).map(str::to_owned);
        let lat = coordinate(&ctx, &mut errors, "lat", q.lat.as_deref());
        let lon = coordinate(&ctx, &mut errors, "lon", q.lon.as_deref());
        let (disabled, ev) = (ticked(q.disabled.as_deref()), ticked(q.ev.as_deref()));
        let mut status = StatusCode::OK;
        let answer = match &hospital {
            Some(h) if errors.is_empty() => {
                let gq = GuidanceQuery { hospital: Some(h.clone()), sign: None, lat, lon, to_lat: None, to_lon: None, disabled: Some(disabled), ev: Some(ev) };
                match cases::guidance(&web.state, gq).await {
                    Ok(g) => Some(g),
                    Err(e) if on_form(&e) || e.status() == StatusCode::NOT_FOUND => {
                        status = e.status();
                        errors.0.extend(form_errors(&ctx, &e, &[("hospital", "hospital".to_owned()), ("lat", "lat".to_owned()), ("lon", "lat".to_owned())]).0);
                        None
                    }
                    Err(e) => return Err(e),
                }
            }
            _ => None,
        };
        if !errors.is_empty() && status == StatusCode::OK {
            status = StatusCode::UNPROCESSABLE_ENTITY;
        }
        let title = ctx.t("pk-home-title");
        let choices: Vec<(String, String)> = std::iter::once((String::new(), ctx.t("pk-choose-hospital"))).chain(hospitals.iter().map(|h| (h.id.clone(), h.name.clone()))).collect();
        let from_here = lat.is_some() && lon.is_some();
        let body = html! {
            link rel="stylesheet" href=(CSS_URL);
            h1 { (title) }
            p.lead { (ctx.t("pk-home-lead")) }
            (error_summary(&ctx, &errors, &["hospital".to_owned(), "lat".to_owned()]))
            @if hospitals.is_empty() {
                p { (ctx.t("pk-no-hospitals")) }
            } @else {
                form.stack #pk-find method="get" action="/parking" novalidate {
                    (select(&ctx, &errors, "hospital", &ctx.t("pk-hospital"), None, &choices, hospital.as_deref().unwrap_or("")))
                    div.field {
                        fieldset {
                            legend { (ctx.t("pk-needs")) }
                            div.checks {
                                (checkbox("disabled", &ctx.t("pk-need-disabled"), disabled))
                                (checkbox("ev", &ctx.t("pk-need-ev"), ev))
                            }
                        }
                    }
                    div class={ "field" @if errors.of("lat").is_some() { " field-error" } } #pk-where {
                        @if let Some(m) = errors.of("lat") { p.error-message #f-lat-error { span.visually-hidden { (ctx.t("form-error-prefix")) } (m) } }
                        input #f-lat type="hidden" name="lat" value=(lat.filter(|_| from_here).map(|v| v.to_string()).unwrap_or_default());
                        input #f-lon type="hidden" name="lon" value=(lon.filter(|_| from_here).map(|v| v.to_string()).unwrap_or_default());
                        @if from_here {
                            p { (ctx.t("pk-from-here")) " " a href={ "/parking?hospital=" (encode(hospital.as_deref().unwrap_or(""))) } { (ctx.t("pk-from-entrance-link")) } }
                        } @else {
                            p.hint { (ctx.t("pk-from-entrance")) }
                        }
                        button.button.button-secondary #pk-locate type="button" hidden data-locating=(ctx.t("pk-locating")) data-failed=(ctx.t("pk-locate-failed")) { (ctx.t("pk-use-location")) }
                        p.muted #pk-locate-status role="status" {}
                    }
                    button.button type="submit" { (ctx.t("pk-find")) }
                }
            }
            @if let Some(g) = &answer { (answer_section(&ctx, g, from_here)) }
            p { a href="/parking/staff" { (ctx.t("pk-staff-link")) } }
            script src=(JS_URL) defer {}
        };
        Ok::<_, Failure>(page_status(&ctx, status, &title, body))
    }
    .await;
    finish(&ctx, r)
}

/// The ranked lots of a guidance answer: a table, the same on a map, and how times were measured.
fn answer_section(ctx: &Ctx, g: &GuidanceView, from_here: bool) -> Markup {
    let hospital = g.hospital_name.clone().unwrap_or_default();
    let mut marks: Vec<Mark> = g.lots.iter().enumerate().map(|(i, l)| Mark { label: (i + 1).to_string(), lat: l.location.lat, lon: l.location.lon, fill: verdict_fill(&l.verdict), shape: Shape::Lot }).collect();
    marks.push(Mark { label: ctx.t("pk-map-hospital-mark"), lat: g.to.lat, lon: g.to.lon, fill: "#0b4ea2", shape: Shape::Hospital });
    if from_here {
        marks.push(Mark { label: ctx.t("pk-map-you"), lat: g.from.lat, lon: g.from.lon, fill: "#1b1b1b", shape: Shape::You });
    }
    let desc = g.lots.iter().enumerate().map(|(i, l)| format!("{} {}：{}", i + 1, l.name, named(ctx, &format!("pk-verdict-{}", l.verdict), &l.verdict))).collect::<Vec<_>>().join(ctx.lang.pick("；", "; "));
    let estimated = g.lots.iter().any(|l| l.drive_measured == "straight_line" || l.walk_measured == "straight_line");
    let best = g.lots.iter().find(|l| l.verdict == "room");
    html! {
        section #answer aria-labelledby="h-pk-answer" {
            h2 #h-pk-answer { (ctx.ta("pk-answer-title", crate::args![("hospital", hospital.clone())])) }
            p.muted { (ctx.ta("pk-answer-at", crate::args![("at", time_of(&g.at))])) }
            @match best {
                Some(b) => { p.pk-best { strong { (ctx.ta("pk-best", crate::args![("lot", b.name.clone()), ("free", count(b.free_at_arrival)), ("total", minutes(ctx, b.total_minutes))])) } } }
                None => { p.warning role="note" { (ctx.t("pk-no-room")) } }
            }
            @if g.lots.is_empty() {
                p { (ctx.t("pk-no-lots")) }
            } @else {
                div.table-wrap { table.pk-lots {
                    caption.visually-hidden { (ctx.ta("pk-answer-title", crate::args![("hospital", hospital.clone())])) }
                    thead { tr {
                        th scope="col" { (ctx.t("pk-col-lot")) }
                        th scope="col" { (ctx.t("pk-col-verdict")) }
                        th.num scope="col" { (ctx.t("pk-col-free-now")) }
                        th.num scope="col" { (ctx.t("pk-col-free-arrival")) }
                        th scope="col" { (ctx.t("pk-col-drive")) }
                        th scope="col" { (ctx.t("pk-col-walk")) }
                        th scope="col" { (ctx.t("pk-col-fees")) }
                        th scope="col" { (ctx.t("pk-col-nav")) }
                    } }
                    tbody {
                        @for (i, l) in g.lots.iter().enumerate() {
                            tr {
                                th scope="row" {
                                    (i + 1) ". " a href={ "/parking/lots/" (encode(&l.lot)) } { (zh(ctx, &l.name)) }
                                    br; span.muted { (zh(ctx, &l.kind_zh)) }
                                }
                                td { (verdict_tag(ctx, &l.verdict)) }
                                td.num { (count(l.free_now)) }
                                td.num { (count(l.free_at_arrival)) }
                                td { (minutes(ctx, l.drive_minutes)) br; (measured(ctx, &l.drive_measured)) }
                                td { (minutes(ctx, Some(l.walk_minutes))) br; (measured(ctx, &l.walk_measured)) }
                                td { (zh(ctx, &l.fees_zh)) }
                                td { (nav_links(ctx, &l.name, &l.nav)) }
                            }
                        }
                    }
                } }
                @if estimated { p.hint { (ctx.t("pk-estimate-note")) } }
                figure.chart {
                    figcaption { (ctx.t("pk-map-title")) }
                    (map("pk-map", &ctx.t("pk-map-title"), &desc, &marks))
                    (legend(ctx))
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// A guidance sign's QR page.

/// `GET /parking/signs/{id}`: what the sign shows now, and the best lot with room from it.
pub async fn sign(State(web): State<Web>, ctx: Ctx, Path(id): Path<String>) -> Response {
    let r = render_sign(&ctx, &web, &id, Errors::default(), StatusCode::OK).await;
    finish(&ctx, r)
}

fn arrow_word(ctx: &Ctx, arrow: &str) -> String {
    named(ctx, &format!("pk-arrow-{arrow}"), arrow)
}

/// What a sign shows in the page's words (the count, full, unknown or closed).
fn shown(ctx: &Ctx, s: &str) -> String {
    match s {
        "满" => ctx.t("pk-shown-full"),
        "—" | "-" => ctx.t("pk-shown-unknown"),
        "关闭" => ctx.t("pk-shown-closed"),
        other => other.to_owned(),
    }
}

fn sign_rows(ctx: &Ctx, s: &SignView) -> Markup {
    html! {
        div.table-wrap { table.pk-sign #pk-sign-rows data-sign=(s.id) {
            caption.visually-hidden { (ctx.t("pk-sign-shows")) }
            thead { tr {
                th scope="col" { (ctx.t("pk-col-lot")) }
                th scope="col" { (ctx.t("pk-col-arrow")) }
                th.num scope="col" { (ctx.t("pk-col-free")) }
            } }
            tbody {
                @for row in &s.rows {
                    tr {
                        th scope="row" { a href={ "/parking/lots/" (encode(&row.lot)) } { (zh(ctx, &row.name)) } }
                        td { span.pk-arrow aria-hidden="true" { (row.arrow_symbol) } " " (arrow_word(ctx, &row.arrow)) }
                        td.num.pk-shown data-lot=(row.lot) { (shown(ctx, &row.shown)) }
                    }
                }
            }
        } }
    }
}

fn go_form(ctx: &Ctx, sign: &str, guidance: &str, l: &GuidedLotView, big: bool) -> Markup {
    html! {
        form.actions method="post" action={ "/parking/signs/" (encode(sign)) "/go" } {
            (csrf(ctx))
            input type="hidden" name="guidance" value=(guidance);
            input type="hidden" name="lot" value=(l.lot);
            @if big {
                @for (app, key) in APPS {
                    button type="submit" name="app" value=(app) class={ "button button-large" @if app != "geo" { " button-secondary" } } {
                        (ctx.t(key)) span.visually-hidden { " · " (l.name) }
                    }
                }
            } @else {
                button.button.button-secondary type="submit" name="app" value="geo" { (ctx.t("pk-go")) span.visually-hidden { " · " (l.name) } }
            }
        }
    }
}

async fn render_sign(ctx: &Ctx, web: &Web, id: &str, errors: Errors, status: StatusCode) -> Result<Response, Failure> {
    let s = cases::sign_view(&web.state, id).await?;
    let gq = GuidanceQuery { hospital: None, sign: Some(s.id.clone()), lat: None, lon: None, to_lat: None, to_lon: None, disabled: None, ev: None };
    let g = cases::guidance(&web.state, gq).await?;
    let best = g.lots.iter().find(|l| l.verdict == "room");
    let others: Vec<&GuidedLotView> = g.lots.iter().filter(|l| l.verdict == "room" || l.verdict == "nearly_full").filter(|l| best.is_none_or(|b| b.lot != l.lot)).collect();
    let title = s.name.clone();
    let body = html! {
        link rel="stylesheet" href=(CSS_URL);
        (breadcrumbs(ctx, &[("/parking", ctx.t("pk-home-title")), ("", title.clone())]))
        h1 { (zh(ctx, &title)) }
        p.lead { (ctx.ta("pk-sign-lead", crate::args![("hospital", s.hospital_name.clone()), ("level", u32::from(s.level))])) }
        (error_summary(ctx, &errors, &[]))
        section aria-labelledby="h-pk-best" {
            h2 #h-pk-best { (ctx.t("pk-best-title")) }
            @match best {
                Some(b) => {
                    div.pk-best-card {
                        p.pk-best-name { strong { (zh(ctx, &b.name)) } " " (verdict_tag(ctx, &b.verdict)) }
                        ul.figures {
                            li { span.num { (count(b.free_at_arrival)) } span.lbl { (ctx.t("pk-col-free-arrival")) } }
                            li { span.num { (minutes(ctx, b.drive_minutes)) } span.lbl { (ctx.t("pk-col-drive")) " · " (named(ctx, &format!("pk-measured-{}", b.drive_measured), &b.drive_measured)) } }
                            li { span.num { (minutes(ctx, Some(b.walk_minutes))) } span.lbl { (ctx.t("pk-col-walk")) " · " (named(ctx, &format!("pk-measured-{}", b.walk_measured), &b.walk_measured)) } }
                        }
                        p { (ctx.t("pk-col-fees")) "：" (zh(ctx, &b.fees_zh)) }
                        p { (ctx.t("pk-go-lead")) }
                        (go_form(ctx, &s.id, &g.id, b, true))
                    }
                }
                None => { p.warning role="note" { (ctx.t("pk-no-room")) } }
            }
        }
        section aria-labelledby="h-pk-sign" {
            h2 #h-pk-sign { (ctx.t("pk-sign-shows")) }
            div #pk-live data-api={ "/api/parking/signs/" (encode(&s.id)) } data-full=(ctx.t("pk-shown-full")) data-unknown=(ctx.t("pk-shown-unknown")) data-closed=(ctx.t("pk-shown-closed")) {
                (sign_rows(ctx, &s))
                p.muted { (ctx.ta("pk-as-of", crate::args![("at", time_of(&s.at))])) " " span #pk-refreshed {} " " a href={ "/parking/signs/" (encode(&s.id)) } { (ctx.t("pk-refresh")) } }
            }
        }
        @if !others.is_empty() {
            section aria-labelledby="h-pk-others" {
                h2 #h-pk-others { (ctx.t("pk-others-title")) }
                ul.pk-others {
                    @for l in &others {
                        li {
                            strong { (zh(ctx, &l.name)) } " " (verdict_tag(ctx, &l.verdict)) " · "
                            (ctx.ta("pk-other-line", crate::args![("free", count(l.free_at_arrival)), ("total", minutes(ctx, l.total_minutes))]))
                            (go_form(ctx, &s.id, &g.id, l, false))
                        }
                    }
                }
            }
        }
        p { a href={ "/parking?hospital=" (encode(&s.hospital)) } { (ctx.t("pk-all-lots")) } }
        script src=(JS_URL) defer {}
    };
    Ok(page_status(ctx, status, &title, body))
}

/// `POST /parking/signs/{id}/go`: the driver sets off to a lot (a guided trip, counted) and is
/// sent to the map app chosen (`app`: `geo` by default, `amap`, `baidu`, `apple`).
pub async fn go(State(web): State<Web>, ctx: Ctx, Path(id): Path<String>, form: PostForm) -> Response {
    let r = async {
        // The sign must exist (its page is where the error is shown).
        cases::sign_view(&web.state, &id).await?;
        let body = NavigateBody { guidance: form.get("guidance").unwrap_or_default(), lot: form.get("lot").unwrap_or_default() };
        let app = form.get("app").unwrap_or_default();
        match cases::navigate(&web.state, body).await {
            Ok(nav) => Ok(redirect(nav_link(&nav, app.trim()))),
            Err(e) if on_form(&e) => render_sign(&ctx, &web, &id, form_errors(&ctx, &e, &[]), e.status()).await,
            Err(e) => Err(e),
        }
    }
    .await;
    finish(&ctx, r)
}

// ---------------------------------------------------------------------------------------------
// A car park.

/// `GET /parking/lots/{id}`: its status, bays by type, the last 24 hours, hours and fees.
pub async fn lot(State(web): State<Web>, ctx: Ctx, Path(id): Path<String>) -> Response {
    let r = async {
        let l = cases::lot(&web.state, &id).await?;
        let h = cases::history(&web.state, &id, HistoryQuery { hours: Some(24) }).await?;
        let title = l.name.clone();
        let free = l.free.unwrap_or_default();
        let fresh = l.free.is_some();
        let rows: [(&str, u32, Option<u32>, bool); 4] = [("visitor", l.capacity.visitor, Some(free.visitor), true), ("disabled", l.capacity.disabled, free.disabled, true), ("ev", l.capacity.ev, free.ev, true), ("staff", l.capacity.staff, free.staff, false)];
        let body = html! {
            link rel="stylesheet" href=(CSS_URL);
            (breadcrumbs(&ctx, &[("/parking", ctx.t("pk-home-title")), ("", title.clone())]))
            h1 { (zh(&ctx, &title)) " " (status_tag(&ctx, &l.status)) }
            dl.summary {
                dt { (ctx.t("pk-kind")) } dd { (zh(&ctx, &l.kind_zh)) }
                @if let Some(a) = &l.address { dt { (ctx.t("pk-address")) } dd { (zh(&ctx, a)) } }
                dt { (ctx.t("pk-hours")) } dd { (hours_text(&ctx, &l.hours)) }
                dt { (ctx.t("pk-col-fees")) } dd { (zh(&ctx, &l.fees_zh)) }
                dt { (ctx.t("pk-forecast")) } dd { (count(l.forecast_free)) }
                dt { (ctx.t("pk-updated")) } dd { (l.updated_at.as_deref().map(time_of).unwrap_or_else(|| ctx.t("pk-never"))) }
            }
            @if !fresh { p.warning role="note" { (ctx.t("pk-unknown-note")) } }
            section aria-labelledby="h-pk-bays" {
                h2 #h-pk-bays { (ctx.t("pk-bays-title")) }
                div.table-wrap { table {
                    caption.visually-hidden { (ctx.t("pk-bays-title")) }
                    thead { tr {
                        th scope="col" { (ctx.t("pk-col-bay")) }
                        th.num scope="col" { (ctx.t("pk-col-capacity")) }
                        th.num scope="col" { (ctx.t("pk-col-free")) }
                    } }
                    tbody {
                        @for (kind, cap, free_n, public) in rows {
                            @if cap > 0 {
                                tr {
                                    th scope="row" { (ctx.t(&format!("pk-bay-{kind}"))) @if !public { br; span.muted { (ctx.t("pk-bay-staff-note")) } } }
                                    td.num { (cap) }
                                    td.num { @if let (true, Some(n)) = (fresh, free_n) { (n) } @else { "—" } }
                                }
                            }
                        }
                    }
                } }
            }
            (history_section(&ctx, &web, &h))
        };
        Ok::<_, Failure>(page_status(&ctx, StatusCode::OK, &title, body))
    }
    .await;
    finish(&ctx, r)
}

fn hours_text(ctx: &Ctx, osm: &str) -> String {
    if osm.trim() == "24/7" { ctx.t("pk-always-open") } else { osm.to_owned() }
}

/// The last 24 hours of a lot's visitor bays: occupied over time (a line, broken where no reading
/// was taken) and the hourly averages as a table.
fn history_section(ctx: &Ctx, web: &Web, h: &HistoryView) -> Markup {
    let now = web.state.now();
    let start = now - chrono::Duration::hours(24);
    let cap = f64::from(h.capacity.visitor.max(1));
    let points: Vec<(f64, Option<f64>)> = h
        .samples
        .iter()
        .filter_map(|s| {
            let at = chrono::DateTime::parse_from_rfc3339(&s.at).ok()?.with_timezone(&chrono::Utc);
            let x = (at - start).num_seconds() as f64 / 86_400.0;
            Some((x.clamp(0.0, 1.0), s.visitor.map(|v| f64::from(v) / cap)))
        })
        .collect();
    // Hourly averages in China time.
    let mut by_hour: BTreeMap<String, (f64, u32)> = BTreeMap::new();
    for s in &h.samples {
        let (Some(v), Ok(at)) = (s.visitor, chrono::DateTime::parse_from_rfc3339(&s.at)) else { continue };
        let key = domain::china_time(at.with_timezone(&chrono::Utc)).format("%m-%d %H:00").to_string();
        let e = by_hour.entry(key).or_insert((0.0, 0));
        e.0 += f64::from(v);
        e.1 += 1;
    }
    let title = ctx.t("pk-history-title");
    let (w, ht, left, top, bottom) = (640.0_f64, 220.0_f64, 44.0_f64, 12.0_f64, 28.0_f64);
    let plot_w = w - left - 12.0;
    let plot_h = ht - top - bottom;
    let px = |x: f64| left + x * plot_w;
    let py = |r: f64| top + plot_h - r.clamp(0.0, 1.0) * plot_h;
    let mut segments: Vec<Vec<(f64, f64)>> = vec![Vec::new()];
    for (x, r) in &points {
        match r {
            Some(r) => {
                if let Some(seg) = segments.last_mut() {
                    seg.push((px(*x), py(*r)));
                }
            }
            None => segments.push(Vec::new()),
        }
    }
    let rates: Vec<f64> = points.iter().filter_map(|(_, r)| *r).collect();
    let desc = if rates.is_empty() {
        ctx.t("pk-history-none")
    } else {
        let max = rates.iter().copied().fold(0.0, f64::max);
        let min = rates.iter().copied().fold(1.0, f64::min);
        let last = rates.last().copied().unwrap_or(0.0);
        ctx.ta("pk-history-desc", crate::args![("n", rates.len()), ("min", super::pct(Some(min))), ("max", super::pct(Some(max))), ("last", super::pct(Some(last)))])
    };
    let hour_label = |hours_ago: i64| domain::china_time(now - chrono::Duration::hours(hours_ago)).format("%H:%M").to_string();
    html! {
        section aria-labelledby="h-pk-history" {
            h2 #h-pk-history { (title) }
            figure.chart {
                figcaption { (ctx.t("pk-history-caption")) }
                svg viewBox={ "0 0 " (w) " " (ht) } role="img" aria-labelledby="pk-hist-t pk-hist-d" xmlns="http://www.w3.org/2000/svg" {
                    title #pk-hist-t { (title) }
                    desc #pk-hist-d { (desc) }
                    @for r in [0.0, 0.5, 1.0] {
                        line x1=(fmt(left)) x2=(fmt(left + plot_w)) y1=(fmt(py(r))) y2=(fmt(py(r))) stroke="#b1b4b6" {}
                        text.svg-muted x=(fmt(left - 6.0)) y=(fmt(py(r) + 4.0)) text-anchor="end" { (format!("{:.0}%", r * 100.0)) }
                    }
                    @for (i, ago) in [24_i64, 18, 12, 6, 0].iter().enumerate() {
                        text.svg-muted x=(fmt(px(i as f64 / 4.0))) y=(fmt(ht - 8.0)) text-anchor=(if *ago == 0 { "end" } else { "middle" }) { (hour_label(*ago)) }
                    }
                    @for seg in segments.iter().filter(|s| !s.is_empty()) {
                        @if seg.len() == 1 {
                            circle cx=(fmt(seg[0].0)) cy=(fmt(seg[0].1)) r="3" fill="#0b4ea2" {}
                        } @else {
                            polyline fill="none" stroke="#0b4ea2" stroke-width="2" points=(seg.iter().map(|(x, y)| format!("{},{}", fmt(*x), fmt(*y))).collect::<Vec<_>>().join(" ")) {}
                        }
                    }
                }
            }
            @if by_hour.is_empty() {
                p { (ctx.t("pk-history-none")) }
            } @else {
                details {
                    summary { (ctx.t("pk-history-table")) }
                    div.table-wrap { table {
                        caption.visually-hidden { (ctx.t("pk-history-table")) }
                        thead { tr { th scope="col" { (ctx.t("pk-col-hour")) } th.num scope="col" { (ctx.t("pk-col-occupied")) } th.num scope="col" { (ctx.t("pk-col-rate")) } } }
                        tbody {
                            @for (hour, (sum, n)) in &by_hour {
                                @let avg = sum / f64::from((*n).max(1));
                                tr { th scope="row" { (hour) } td.num { (super::number(avg, 0)) } td.num { (super::pct(Some(avg / cap))) } }
                            }
                        }
                    } }
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The parking department's page.

/// What the staff page shows besides the lists: a banner, the form that failed with its errors
/// and values, a key just issued.
#[derive(Default)]
struct StaffShown {
    banner: Option<String>,
    form: &'static str,
    errors: Errors,
    values: BTreeMap<String, String>,
    key: Option<FeedKeyView>,
}

impl StaffShown {
    fn errors_of(&self, form: &str) -> &Errors {
        static NONE: std::sync::OnceLock<Errors> = std::sync::OnceLock::new();
        if self.form == form { &self.errors } else { NONE.get_or_init(Errors::default) }
    }
    fn value(&self, form: &str, name: &str) -> String {
        if self.form == form { self.values.get(name).cloned().unwrap_or_default() } else { String::new() }
    }
}

/// `GET /parking/staff`: the lots with their status and feed, the signs, and the forms.
pub async fn staff(State(web): State<Web>, ctx: Ctx, Query(q): Query<DoneQuery>) -> Response {
    let shown = StaffShown { banner: banner(&ctx, q.done.as_deref()), ..Default::default() };
    let r = render_staff(&ctx, &web, shown, StatusCode::OK).await;
    finish(&ctx, r)
}

fn require_staff(ctx: &Ctx) -> Result<&Principal, Failure> {
    let p = ctx.require()?;
    if ctx.who.meets(STAFF) { Ok(p) } else { Err(Failure::forbidden("只有停车诱导的主管部门和管理员可以打开此页", "Only the parking department and the administrator may open this page")) }
}

async fn render_staff(ctx: &Ctx, web: &Web, s: StaffShown, status: StatusCode) -> Result<Response, Failure> {
    let p = require_staff(ctx)?;
    // The department's own figures (the district cockpit shows the same section to its leaders).
    let figures = cockpit_section(ctx, web, p).await;
    let hospitals = cases::hospitals(&web.state).await?;
    let lots = cases::lots(&web.state, None).await?;
    let world = cases::refresh(&web.state).await?;
    let title = ctx.t("pk-staff-title");
    let hospital_choices: Vec<(String, String)> = std::iter::once((String::new(), ctx.t("pk-none"))).chain(hospitals.iter().map(|h| (h.id.clone(), h.name.clone()))).collect();
    let sign_hospitals: Vec<(String, String)> = hospitals.iter().map(|h| (h.id.clone(), h.name.clone())).collect();
    let kinds: Vec<(String, String)> = ["hospital", "public_garage", "street_bays"].iter().map(|k| ((*k).to_owned(), ctx.t(&format!("pk-kind-{k}")))).collect();
    let structures: Vec<(String, String)> = ["surface", "multi_storey", "underground", "street"].iter().map(|k| ((*k).to_owned(), ctx.t(&format!("pk-structure-{k}")))).collect();
    let levels: Vec<(String, String)> = [("2", "pk-level-2"), ("3", "pk-level-3")].iter().map(|(v, k)| ((*v).to_owned(), ctx.t(k))).collect();
    let he = s.errors_of("hospital");
    let le = s.errors_of("lot");
    let se = s.errors_of("sign");
    let hv = |n: &str| s.value("hospital", n);
    let lv = |n: &str| s.value("lot", n);
    let sv = |n: &str| s.value("sign", n);
    let text = |errors: &Errors, name: &str, label: String, value: String, required: bool, hint: Option<String>| {
        let i = Input { name, label: &label, value: &value, required, hint: hint.as_deref(), ..Default::default() };
        input(ctx, errors, &i)
    };
    let short = |errors: &Errors, name: &str, label: String, value: String, required: bool| {
        let i = Input { name, label: &label, value: &value, required, inputmode: Some("decimal"), width: Some("w-short"), ..Default::default() };
        input(ctx, errors, &i)
    };
    let body = html! {
        (breadcrumbs(ctx, &[("/parking", ctx.t("pk-home-title")), ("", title.clone())]))
        (banner_markup(s.banner.as_ref()))
        h1 { (title) }
        @if let Some(k) = &s.key {
            section.banner #pk-key role="status" tabindex="-1" data-autofocus aria-labelledby="h-pk-key" {
                h2 #h-pk-key { (ctx.ta("pk-key-title", crate::args![("lot", k.lot.clone())])) }
                p { strong { (ctx.t("pk-key-once")) } }
                dl.summary {
                    dt { (ctx.t("pk-key")) } dd { code { (k.key) } }
                    dt { (ctx.t("pk-key-mqtt-user")) } dd { code { (k.mqtt_user) } }
                    dt { (ctx.t("pk-key-mqtt-topic")) } dd { code { (k.mqtt_topic) } }
                    dt { (ctx.t("pk-key-http")) } dd { code { "POST /api/parking/lots/" (k.lot) "/readings" } br; code { "X-Feed-Key: " (k.key) } }
                }
            }
        }
        section aria-labelledby="h-pk-lots" {
            h2 #h-pk-lots { (ctx.t("pk-lots-title")) }
            @if lots.is_empty() { p { (ctx.t("pk-no-lots")) } } @else {
                div.table-wrap { table {
                    caption.visually-hidden { (ctx.t("pk-lots-title")) }
                    thead { tr {
                        th scope="col" { (ctx.t("pk-col-lot")) }
                        th scope="col" { (ctx.t("pk-col-status")) }
                        th.num scope="col" { (ctx.t("pk-col-free")) }
                        th scope="col" { (ctx.t("pk-col-feed")) }
                        th scope="col" { (ctx.t("pk-col-updated")) }
                        th scope="col" { (ctx.t("pk-col-key")) }
                    } }
                    tbody {
                        @for l in &lots {
                            tr {
                                th scope="row" { a href={ "/parking/lots/" (encode(&l.id)) } { (zh(ctx, &l.name)) } br; span.muted { code { (l.id) } } }
                                td { (status_tag(ctx, &l.status)) }
                                td.num { (free_of(l)) }
                                td { @if l.feed { (tag("ok", &ctx.t("pk-feed-yes"))) } @else { (tag("grey", &ctx.t("pk-feed-no"))) } }
                                td { (l.updated_at.as_deref().map(time_of).unwrap_or_else(|| "—".to_owned())) }
                                td {
                                    form method="post" action={ "/parking/staff/lots/" (encode(&l.id)) "/key" } {
                                        (csrf(ctx))
                                        button.button.button-secondary type="submit" data-confirm=[l.feed.then(|| ctx.t("pk-key-confirm"))] {
                                            (ctx.t("pk-issue-key")) span.visually-hidden { " · " (l.name) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                } }
            }
        }
        section aria-labelledby="h-pk-signs" {
            h2 #h-pk-signs { (ctx.t("pk-signs-title")) }
            @if world.signs.is_empty() { p { (ctx.t("pk-no-signs")) } } @else {
                ul {
                    @for sg in &world.signs {
                        li { a href={ "/parking/signs/" (encode(sg.id.as_str())) } { (zh(ctx, &sg.name)) } " " span.muted { "(" (sg.id.as_str()) " · " (ctx.t(&format!("pk-level-{}", sg.level))) ")" } }
                    }
                }
            }
        }
        section aria-labelledby="h-pk-new-hospital" {
            h2 #h-pk-new-hospital { (ctx.t("pk-new-hospital")) }
            (error_summary(ctx, he, &["h_id", "h_name", "h_town", "h_lat", "h_lon"].map(str::to_owned)))
            form.stack method="post" action="/parking/staff/hospitals" novalidate {
                (csrf(ctx))
                (text(he, "h_id", ctx.t("pk-f-id"), hv("h_id"), true, Some(ctx.t("pk-f-id-hint"))))
                (text(he, "h_name", ctx.t("pk-f-name"), hv("h_name"), true, None))
                (text(he, "h_town", ctx.t("pk-f-town"), hv("h_town"), true, Some(ctx.t("pk-f-town-hint"))))
                (short(he, "h_lat", ctx.t("pk-f-entrance-lat"), hv("h_lat"), true))
                (short(he, "h_lon", ctx.t("pk-f-entrance-lon"), hv("h_lon"), true))
                button.button type="submit" { (ctx.t("pk-save-hospital")) }
            }
        }
        section aria-labelledby="h-pk-new-lot" {
            h2 #h-pk-new-lot { (ctx.t("pk-new-lot")) }
            (error_summary(ctx, le, &LOT_FIELDS.map(str::to_owned)))
            form.stack method="post" action="/parking/staff/lots" novalidate {
                (csrf(ctx))
                (text(le, "l_id", ctx.t("pk-f-id"), lv("l_id"), true, Some(ctx.t("pk-f-lot-id-hint"))))
                (text(le, "l_name", ctx.t("pk-f-name"), lv("l_name"), true, None))
                (select(ctx, le, "l_kind", &ctx.t("pk-kind"), None, &kinds, &lv("l_kind")))
                (select(ctx, le, "l_structure", &ctx.t("pk-structure"), None, &structures, &lv("l_structure")))
                (select(ctx, le, "l_hospital", &ctx.t("pk-f-serves"), None, &hospital_choices, &lv("l_hospital")))
                (text(le, "l_town", ctx.t("pk-f-town"), lv("l_town"), true, Some(ctx.t("pk-f-town-hint"))))
                (short(le, "l_lat", ctx.t("pk-f-lat"), lv("l_lat"), true))
                (short(le, "l_lon", ctx.t("pk-f-lon"), lv("l_lon"), true))
                (short(le, "l_entrance_lat", ctx.t("pk-f-entrance-lat"), lv("l_entrance_lat"), true))
                (short(le, "l_entrance_lon", ctx.t("pk-f-entrance-lon"), lv("l_entrance_lon"), true))
                div.field {
                    fieldset {
                        legend { (ctx.t("pk-bays-title")) }
                        @for kind in ["visitor", "disabled", "ev", "staff"] {
                            (short(le, &format!("l_{kind}"), ctx.t(&format!("pk-bay-{kind}")), lv(&format!("l_{kind}")), kind == "visitor"))
                        }
                    }
                }
                (text(le, "l_hours", ctx.t("pk-hours"), lv("l_hours"), false, Some(ctx.t("pk-f-hours-hint"))))
                div.field {
                    fieldset {
                        legend { (ctx.t("pk-col-fees")) }
                        p.hint { (ctx.t("pk-f-fees-hint")) }
                        (short(le, "l_first_hour", ctx.t("pk-f-first-hour"), lv("l_first_hour"), false))
                        (short(le, "l_per_hour", ctx.t("pk-f-per-hour"), lv("l_per_hour"), false))
                        (short(le, "l_daily_cap", ctx.t("pk-f-daily-cap"), lv("l_daily_cap"), false))
                        (short(le, "l_free_minutes", ctx.t("pk-f-free-minutes"), lv("l_free_minutes"), false))
                    }
                }
                (text(le, "l_address", ctx.t("pk-address"), lv("l_address"), false, None))
                (text(le, "l_operator", ctx.t("pk-f-operator"), lv("l_operator"), false, None))
                button.button type="submit" { (ctx.t("pk-save-lot")) }
            }
        }
        section aria-labelledby="h-pk-new-sign" {
            h2 #h-pk-new-sign { (ctx.t("pk-new-sign")) }
            @if sign_hospitals.is_empty() { p { (ctx.t("pk-sign-needs-hospital")) } } @else {
                (error_summary(ctx, se, &["s_id", "s_name", "s_level", "s_hospital", "s_lat", "s_lon", "s_lots"].map(str::to_owned)))
                form.stack method="post" action="/parking/staff/signs" novalidate {
                    (csrf(ctx))
                    (text(se, "s_id", ctx.t("pk-f-id"), sv("s_id"), true, Some(ctx.t("pk-f-id-hint"))))
                    (text(se, "s_name", ctx.t("pk-f-name"), sv("s_name"), true, None))
                    (select(ctx, se, "s_level", &ctx.t("pk-f-level"), None, &levels, &sv("s_level")))
                    (select(ctx, se, "s_hospital", &ctx.t("pk-hospital"), None, &sign_hospitals, &sv("s_hospital")))
                    (short(se, "s_lat", ctx.t("pk-f-lat"), sv("s_lat"), true))
                    (short(se, "s_lon", ctx.t("pk-f-lon"), sv("s_lon"), true))
                    (textarea(ctx, se, "s_lots", &ctx.t("pk-f-sign-lots"), Some(&ctx.t("pk-f-sign-lots-hint")), &sv("s_lots"), true))
                    button.button type="submit" { (ctx.t("pk-save-sign")) }
                }
            }
        }
        (figures)
    };
    Ok(page_status(ctx, status, &title, body))
}

fn free_of(l: &LotView) -> String {
    l.free.map_or_else(|| "—".to_owned(), |f: FreeBaysView| f.visitor.to_string())
}

const LOT_FIELDS: [&str; 20] = [
    "l_id", "l_name", "l_kind", "l_structure", "l_hospital", "l_town", "l_lat", "l_lon", "l_entrance_lat", "l_entrance_lon", "l_visitor", "l_disabled", "l_ev", "l_staff", "l_hours", "l_first_hour", "l_per_hour", "l_daily_cap", "l_free_minutes", "l_address",
];

fn values_of(form: &PostForm, names: &[&str]) -> BTreeMap<String, String> {
    names.iter().map(|n| ((*n).to_owned(), form.get(n).unwrap_or_default())).collect()
}

/// Shows the staff page again with a form's errors (422 for the page's own checks).
async fn refused(ctx: &Ctx, web: &Web, form: &'static str, errors: Errors, values: BTreeMap<String, String>, status: StatusCode) -> Result<Response, Failure> {
    render_staff(ctx, web, StaffShown { form, errors, values, ..Default::default() }, status).await
}

/// A use case's fields → the form's inputs.
fn renames(pairs: &[(&'static str, &str)]) -> Vec<(&'static str, String)> {
    pairs.iter().map(|(from, to)| (*from, (*to).to_owned())).collect()
}

/// `POST /parking/staff/hospitals`: registers or changes a hospital.
pub async fn save_hospital(State(web): State<Web>, ctx: Ctx, form: PostForm) -> Response {
    let r = async {
        let p = require_staff(&ctx)?;
        let values = values_of(&form, &["h_id", "h_name", "h_town", "h_lat", "h_lon"]);
        let v = |n: &str| values.get(n).cloned().unwrap_or_default();
        let mut errors = Errors::default();
        let lat = number_of::<f64>(&ctx, &mut errors, "h_lat", "pk-f-entrance-lat", &v("h_lat"), true);
        let lon = number_of::<f64>(&ctx, &mut errors, "h_lon", "pk-f-entrance-lon", &v("h_lon"), true);
        let (Some(lat), Some(lon)) = (lat, lon) else {
            return refused(&ctx, &web, "hospital", errors, values, StatusCode::UNPROCESSABLE_ENTITY).await;
        };
        let body = HospitalBody { id: v("h_id"), name: v("h_name"), town: v("h_town"), entrance: PointView { lat, lon } };
        match cases::save_hospital(&web.state, p, body).await {
            Ok(_) => Ok(redirect("/parking/staff?done=hospital")),
            Err(e) if on_form(&e) => {
                let rn = renames(&[("id", "h_id"), ("name", "h_name"), ("town", "h_town"), ("entrance", "h_lat"), ("entrance.lat", "h_lat"), ("entrance.lon", "h_lon"), ("lat", "h_lat")]);
                let errors = form_errors(&ctx, &e, &rn);
                refused(&ctx, &web, "hospital", errors, values, e.status()).await
            }
            Err(e) => Err(e),
        }
    }
    .await;
    finish(&ctx, r)
}

/// `POST /parking/staff/lots`: registers or changes a car park (its feed key is kept).
pub async fn save_lot(State(web): State<Web>, ctx: Ctx, form: PostForm) -> Response {
    let r = async {
        let p = require_staff(&ctx)?;
        let mut names: Vec<&str> = LOT_FIELDS.to_vec();
        names.push("l_operator");
        let values = values_of(&form, &names);
        let v = |n: &str| values.get(n).cloned().unwrap_or_default();
        let mut errors = Errors::default();
        let lat = number_of::<f64>(&ctx, &mut errors, "l_lat", "pk-f-lat", &v("l_lat"), true);
        let lon = number_of::<f64>(&ctx, &mut errors, "l_lon", "pk-f-lon", &v("l_lon"), true);
        let elat = number_of::<f64>(&ctx, &mut errors, "l_entrance_lat", "pk-f-entrance-lat", &v("l_entrance_lat"), true);
        let elon = number_of::<f64>(&ctx, &mut errors, "l_entrance_lon", "pk-f-entrance-lon", &v("l_entrance_lon"), true);
        let visitor = number_of::<u32>(&ctx, &mut errors, "l_visitor", "pk-bay-visitor", &v("l_visitor"), true);
        let disabled = number_of::<u32>(&ctx, &mut errors, "l_disabled", "pk-bay-disabled", &v("l_disabled"), false);
        let ev = number_of::<u32>(&ctx, &mut errors, "l_ev", "pk-bay-ev", &v("l_ev"), false);
        let staff = number_of::<u32>(&ctx, &mut errors, "l_staff", "pk-bay-staff", &v("l_staff"), false);
        let first = fen_of(&ctx, &mut errors, "l_first_hour", "pk-f-first-hour", &v("l_first_hour"));
        let per = fen_of(&ctx, &mut errors, "l_per_hour", "pk-f-per-hour", &v("l_per_hour"));
        let cap = fen_of(&ctx, &mut errors, "l_daily_cap", "pk-f-daily-cap", &v("l_daily_cap"));
        let free_minutes = number_of::<u32>(&ctx, &mut errors, "l_free_minutes", "pk-f-free-minutes", &v("l_free_minutes"), false);
        let (Some(lat), Some(lon), Some(elat), Some(elon), Some(visitor)) = (lat, lon, elat, elon, visitor) else {
            return refused(&ctx, &web, "lot", errors, values, StatusCode::UNPROCESSABLE_ENTITY).await;
        };
        if !errors.is_empty() {
            return refused(&ctx, &web, "lot", errors, values, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
        let fees = (first.is_some() || per.is_some() || cap.is_some() || free_minutes.is_some()).then(|| FeesView { first_hour_fen: first.unwrap_or(0), per_hour_after_fen: per.unwrap_or(0), daily_cap_fen: cap, free_minutes: free_minutes.unwrap_or(0) });
        let opt = |n: &str| Some(v(n)).map(|s| s.trim().to_owned()).filter(|s| !s.is_empty());
        let body = LotBody {
            id: v("l_id"),
            name: v("l_name"),
            kind: v("l_kind"),
            structure: v("l_structure"),
            hospital: opt("l_hospital"),
            town: v("l_town"),
            location: PointView { lat, lon },
            entrance: PointView { lat: elat, lon: elon },
            capacity: BaysView { visitor, staff: staff.unwrap_or(0), disabled: disabled.unwrap_or(0), ev: ev.unwrap_or(0) },
            hours: opt("l_hours"),
            fees,
            address: opt("l_address"),
            operator: opt("l_operator"),
        };
        match cases::save_lot(&web.state, p, body).await {
            Ok(_) => Ok(redirect("/parking/staff?done=lot")),
            Err(e) if on_form(&e) => {
                let rn = renames(&[
                    ("id", "l_id"),
                    ("name", "l_name"),
                    ("kind", "l_kind"),
                    ("structure", "l_structure"),
                    ("hospital", "l_hospital"),
                    ("town", "l_town"),
                    ("location", "l_lat"),
                    ("location.lat", "l_lat"),
                    ("location.lon", "l_lon"),
                    ("entrance", "l_entrance_lat"),
                    ("entrance.lat", "l_entrance_lat"),
                    ("entrance.lon", "l_entrance_lon"),
                    ("capacity", "l_visitor"),
                    ("capacity.visitor", "l_visitor"),
                    ("hours", "l_hours"),
                    ("fees", "l_first_hour"),
                    ("fees.daily_cap", "l_daily_cap"),
                    ("fees.free_minutes", "l_free_minutes"),
                    ("address", "l_address"),
                ]);
                let errors = form_errors(&ctx, &e, &rn);
                refused(&ctx, &web, "lot", errors, values, e.status()).await
            }
            Err(e) => Err(e),
        }
    }
    .await;
    finish(&ctx, r)
}

/// The lots of a sign as typed: a line each, `lot arrow` (arrow `left`, `ahead` or `right`).
fn sign_lots(text: &str) -> Vec<SignLotBody> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| {
            let mut parts = l.split(|c: char| c.is_whitespace() || c == ',' || c == '，');
            let lot = parts.next().unwrap_or_default().to_owned();
            let arrow = parts.find(|p| !p.is_empty()).unwrap_or("ahead").to_owned();
            SignLotBody { lot, arrow }
        })
        .collect()
}

/// `POST /parking/staff/signs`: registers or changes a guidance sign.
pub async fn save_sign(State(web): State<Web>, ctx: Ctx, form: PostForm) -> Response {
    let r = async {
        let p = require_staff(&ctx)?;
        let values = values_of(&form, &["s_id", "s_name", "s_level", "s_hospital", "s_lat", "s_lon", "s_lots"]);
        let v = |n: &str| values.get(n).cloned().unwrap_or_default();
        let mut errors = Errors::default();
        let lat = number_of::<f64>(&ctx, &mut errors, "s_lat", "pk-f-lat", &v("s_lat"), true);
        let lon = number_of::<f64>(&ctx, &mut errors, "s_lon", "pk-f-lon", &v("s_lon"), true);
        let level = number_of::<u8>(&ctx, &mut errors, "s_level", "pk-f-level", &v("s_level"), true);
        let lots = sign_lots(&v("s_lots"));
        if lots.is_empty() {
            errors.push("s_lots", ctx.t("pk-f-sign-lots-required"));
        }
        let (Some(lat), Some(lon), Some(level), true) = (lat, lon, level, errors.is_empty()) else {
            return refused(&ctx, &web, "sign", errors, values, StatusCode::UNPROCESSABLE_ENTITY).await;
        };
        let body = SignBody { id: v("s_id"), name: v("s_name"), level, hospital: v("s_hospital"), location: PointView { lat, lon }, lots };
        match cases::save_sign(&web.state, p, body).await {
            Ok(_) => Ok(redirect("/parking/staff?done=sign")),
            Err(e) if on_form(&e) => {
                let rn = renames(&[("id", "s_id"), ("name", "s_name"), ("level", "s_level"), ("hospital", "s_hospital"), ("location", "s_lat"), ("location.lat", "s_lat"), ("location.lon", "s_lon"), ("lots", "s_lots")]);
                let errors = form_errors(&ctx, &e, &rn);
                refused(&ctx, &web, "sign", errors, values, e.status()).await
            }
            Err(e) => Err(e),
        }
    }
    .await;
    finish(&ctx, r)
}

/// `POST /parking/staff/lots/{id}/key`: issues a new feed key, shown once on the page answered.
pub async fn issue_key(State(web): State<Web>, ctx: Ctx, Path(id): Path<String>, _form: PostForm) -> Response {
    let r = async {
        let p = require_staff(&ctx)?;
        let key = cases::issue_key(&web.state, p, &id).await?;
        render_staff(&ctx, &web, StaffShown { key: Some(key), ..Default::default() }, StatusCode::OK).await
    }
    .await;
    finish(&ctx, r)
}

// ---------------------------------------------------------------------------------------------
// The cockpit's parking section.

/// The cockpit's 停车诱导 section: lots now open, full, unknown and closed; occupancy by hour;
/// guidance asked for and guided trips by hour (`cases::figures`, today).
pub async fn cockpit_section(ctx: &Ctx, web: &Web, p: &Principal) -> Markup {
    let f = cases::figures(&web.state, p, ParkingFiguresQuery { day: None }).await;
    if let Err(e) = &f {
        tracing::warn!(error = %e.body().message_en, "the cockpit's parking figures");
    }
    html! {
        section aria-labelledby="h-parking" {
            h2 #h-parking { (ctx.t("pk-cockpit-title")) }
            @match &f {
                Ok(f) => {
                    p.muted { (ctx.ta("pk-figures-of", crate::args![("day", f.day.clone()), ("n", f.lots.len())])) }
                    ul.figures {
                        li { span.num { (f.now_open) } span.lbl { (ctx.t("pk-now-open")) } }
                        li { span.num { (f.now_full) } span.lbl { (ctx.t("pk-now-full")) } }
                        li { span.num { (f.now_unknown) } span.lbl { (ctx.t("pk-now-unknown")) } }
                        li { span.num { (f.now_closed) } span.lbl { (ctx.t("pk-now-closed")) } }
                        li { span.num { (f.total_searches) } span.lbl { (ctx.t("pk-searches")) } }
                        li { span.num { (f.total_guided_trips) } span.lbl { (ctx.t("pk-trips")) } }
                    }
                    @let occ: Vec<Bar> = f.rate.iter().enumerate().map(|(h, r)| Bar { label: h.to_string(), value: r.unwrap_or(0.0) * 100.0, text: r.map_or_else(|| "—".to_owned(), |r| format!("{:.0}", r * 100.0)) }).collect();
                    @let occ_desc = f.rate.iter().enumerate().map(|(h, r)| format!("{h}:00 {}", super::pct(*r))).collect::<Vec<_>>().join(ctx.lang.pick("；", "; "));
                    @let searches: Vec<Bar> = f.searches.iter().enumerate().map(|(h, n)| Bar { label: h.to_string(), value: f64::from(*n), text: n.to_string() }).collect();
                    @let trips: Vec<Bar> = f.guided_trips.iter().enumerate().map(|(h, n)| Bar { label: h.to_string(), value: f64::from(*n), text: n.to_string() }).collect();
                    @let g_desc = f.searches.iter().zip(&f.guided_trips).enumerate().map(|(h, (s, t))| ctx.ta("pk-hour-desc", crate::args![("hour", h), ("searches", *s), ("trips", *t)])).collect::<Vec<_>>().join(ctx.lang.pick("；", "; "));
                    div.charts {
                        figure.chart {
                            figcaption { (ctx.t("pk-occupancy-by-hour")) }
                            (charts::vbars("ck-pk-occ", &ctx.t("pk-occupancy-by-hour"), &occ_desc, &occ))
                        }
                        figure.chart {
                            figcaption { (ctx.t("pk-searches-by-hour")) }
                            (charts::vbars("ck-pk-search", &ctx.t("pk-searches-by-hour"), &g_desc, &searches))
                        }
                        figure.chart {
                            figcaption { (ctx.t("pk-trips-by-hour")) }
                            (charts::vbars("ck-pk-trips", &ctx.t("pk-trips-by-hour"), &g_desc, &trips))
                        }
                    }
                    details {
                        summary { (ctx.t("pk-by-hour-table")) }
                        div.table-wrap { table {
                            caption.visually-hidden { (ctx.t("pk-by-hour-table")) }
                            thead { tr {
                                th scope="col" { (ctx.t("pk-col-hour")) }
                                th.num scope="col" { (ctx.t("pk-col-rate")) }
                                th.num scope="col" { (ctx.t("pk-searches")) }
                                th.num scope="col" { (ctx.t("pk-trips")) }
                            } }
                            tbody {
                                @for h in 0..24usize {
                                    tr {
                                        th scope="row" { (format!("{h:02}:00")) }
                                        td.num { (super::pct(f.rate.get(h).copied().flatten())) }
                                        td.num { (f.searches.get(h).copied().unwrap_or(0)) }
                                        td.num { (f.guided_trips.get(h).copied().unwrap_or(0)) }
                                    }
                                }
                            }
                        } }
                    }
                    @if !f.lots.is_empty() {
                        div.table-wrap { table {
                            caption { (ctx.t("pk-per-lot-title")) }
                            thead { tr {
                                th scope="col" { (ctx.t("pk-col-lot")) }
                                th.num scope="col" { (ctx.t("pk-col-capacity")) }
                                th.num scope="col" { (ctx.t("pk-col-peak")) }
                            } }
                            tbody {
                                @for l in &f.lots {
                                    tr {
                                        th scope="row" { a href={ "/parking/lots/" (encode(&l.lot)) } { (zh(ctx, &l.name)) } }
                                        td.num { (l.capacity) }
                                        td.num { (super::pct(l.rate.iter().flatten().copied().reduce(f64::max))) }
                                    }
                                }
                            }
                        } }
                    }
                }
                Err(_) => { p.muted { (ctx.t("pk-cockpit-unavailable")) } }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signs_lots_are_read_a_line_each_with_ahead_by_default() {
        let lots = sign_lots("fy-own right\n\n fy-garage，left \nfy-street\n");
        let got: Vec<(&str, &str)> = lots.iter().map(|l| (l.lot.as_str(), l.arrow.as_str())).collect();
        assert_eq!(got, vec![("fy-own", "right"), ("fy-garage", "left"), ("fy-street", "ahead")]);
    }

    #[test]
    fn the_map_escapes_names_and_draws_every_mark() {
        let marks = vec![
            Mark { label: "<1>".into(), lat: 30.05, lon: 119.96, fill: verdict_fill("room"), shape: Shape::Lot },
            Mark { label: "H".into(), lat: 30.051, lon: 119.961, fill: "#0b4ea2", shape: Shape::Hospital },
        ];
        let svg = map("m", "t", "d", &marks).into_string();
        assert!(svg.contains("&lt;1&gt;") && svg.contains("<circle") && svg.contains("<rect x="), "{svg}");
        assert_eq!(verdict_fill("nearly_full"), "#8a4b00");
    }
}
