//! Places (托育与公租房, issue 32): childcare near home (institutions by walking time on a map, a
//! family's applications with their rank and why, offers to accept or decline, the apply form),
//! a family's public rental housing (eligibility criterion by criterion, the apply form, points,
//! rank, draws, an offer, the lease, 善居 works), a lottery draw as published with its check, and
//! the staff pages of the childcare department (卫健) and the housing department (住建). Everything
//! goes through `server::areas::places::{cases, housing}`.

use axum::extract::Path;
use axum::extract::Query;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::DateTime;
use maud::Markup;
use maud::html;
use serde::Deserialize;
use server::areas::places::cases;
use server::areas::places::housing;
use server::areas::places::views::ApplicationView;
use server::areas::places::views::ChildcareActionBody;
use server::areas::places::views::ChildcareApplyBody;
use server::areas::places::views::ClassBody;
use server::areas::places::views::DrawBody;
use server::areas::places::views::DrawView;
use server::areas::places::views::HouseholdView;
use server::areas::places::views::HousingApplyBody;
use server::areas::places::views::InspectionBody;
use server::areas::places::views::InstitutionBody;
use server::areas::places::views::InstitutionQuery;
use server::areas::places::views::InstitutionView;
use server::areas::places::views::LeaseActionBody;
use server::areas::places::views::OfferAnswerBody;
use server::areas::places::views::RoundBody;
use server::areas::places::views::ShanjuActionBody;
use server::areas::places::views::ShanjuBody;
use server::areas::places::views::ShanjuItemBody;
use server::areas::places::views::ShanjuView;
use server::areas::places::views::UnitBody;
use server::areas::places::views::VerifyQuery;
use server::auth::Principal;
use server::failure::Failure;
use server::policy::Who;
use store::AccountKind;

use super::form_errors;
use super::on_form;
use super::time;
use crate::Web;
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

/// The age classes, in order.
const CLASSES: [&str; 3] = ["infant", "young_toddler", "older_toddler"];
/// The institution kinds.
const KINDS: [&str; 5] = ["public", "community", "kindergarten", "employer", "private"];
/// The priority criteria an institution may publish.
const CRITERIA: [&str; 4] = ["sibling", "hardship", "workplace", "walking"];
/// Preferences a family may rank.
const MAX_PREFERENCES: usize = 5;

#[derive(Debug, Default, Deserialize)]
pub struct HomeQuery {
    pub lat: Option<String>,
    pub lon: Option<String>,
    pub done: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct DoneQuery {
    pub done: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct StaffQuery {
    pub done: Option<String>,
    /// An institution to edit in the register form.
    pub edit: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct DrawQuery {
    pub seed: Option<String>,
}

fn banner(ctx: &Ctx, done: Option<&str>) -> Option<String> {
    let done = done?;
    ctx.lang.try_t(&format!("pl-done-{done}"))
}

/// An RFC 3339 time (as the use cases give them) in China, to the minute.
fn time_of(t: &str) -> String {
    DateTime::parse_from_rfc3339(t).ok().map(|t| time(t.with_timezone(&chrono::Utc))).unwrap_or_else(|| t.to_owned())
}

fn class_name(ctx: &Ctx, code: &str, fallback: &str) -> String {
    named(ctx, &format!("pl-class-{code}"), fallback)
}

fn state_tag(ctx: &Ctx, code: &str, label: &str) -> Markup {
    let class = match code.rsplit('-').next().unwrap_or(code) {
        "enrolled" | "housed" | "accepted" | "open" | "active" | "completed" | "closed_works" => "ok",
        "refused" | "expired" | "closed" | "suspended" | "notice_to_leave" => "bad",
        "offered" | "applied" => "warn",
        "withdrawn" | "ended" | "declined" => "grey",
        _ => "info",
    };
    tag(class, &named(ctx, &format!("pl-state-{code}"), label))
}

/// A lottery group's name in the page's language, by its code or its Chinese name.
fn group_name(ctx: &Ctx, code_or_label: &str) -> String {
    cases::rules().housing.lottery.groups.iter().find(|g| g.code == code_or_label || g.label_zh == code_or_label).map_or_else(|| code_or_label.to_owned(), |g| ctx.lang.pick(&g.label_zh, &g.label_en).to_owned())
}

fn yes_no(ctx: &Ctx, b: bool) -> Markup {
    if b { tag("ok", &ctx.t("pl-yes")) } else { tag("grey", &ctx.t("pl-no")) }
}

/// A person's name masked for a list: its first character and a star for each other.
fn mask_name(name: &str) -> String {
    let mut c = name.chars();
    match c.next() {
        Some(first) => format!("{first}{}", "*".repeat(c.count().max(1))),
        None => String::new(),
    }
}

fn join(ctx: &Ctx, parts: impl IntoIterator<Item = String>) -> String {
    parts.into_iter().collect::<Vec<_>>().join(ctx.lang.pick("、", ", "))
}

/// Whether the caller is a resident (a citizen account).
fn is_resident(p: Option<&Principal>) -> bool {
    p.is_some_and(|p| p.account.kind == AccountKind::Citizen)
}

fn is_staff(web: &Web, p: Option<&Principal>, duty: Who) -> bool {
    let who = Who::of(&web.state, p.map(|p| &p.account));
    who.meets(duty) || who.meets(Who::ADMIN)
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

/// A coordinate typed in a form: none when empty, an error when not a number.
fn coordinate(ctx: &Ctx, errors: &mut Errors, field: &str, v: &str) -> Option<f64> {
    let v = v.trim();
    if v.is_empty() {
        return None;
    }
    let x = v.parse::<f64>().ok().filter(|x| x.is_finite());
    if x.is_none() {
        errors.push(field, ctx.t("pl-coordinate-invalid"));
    }
    x
}

fn weekdays_text(ctx: &Ctx, days: &[u8]) -> String {
    join(ctx, days.iter().map(|d| ctx.t(&format!("pl-weekday-{d}"))))
}

// ---------------------------------------------------------------------------------------------
// Childcare: the landing page.

/// The page as shown: what was typed in the apply form, or in an application's form.
#[derive(Default)]
struct HomeShown {
    banner: Option<String>,
    lat: String,
    lon: String,
    /// Errors of the search form.
    find_errors: Errors,
    /// Errors of the apply form, and what was typed.
    errors: Errors,
    child: String,
    start_date: String,
    preferences: Vec<String>,
    home_lat: String,
    home_lon: String,
    /// The application whose form was sent back, with its errors.
    app: Option<String>,
    app_errors: Errors,
}

/// `GET /places`: childcare institutions near home; a resident's applications and apply form.
pub async fn home(State(web): State<Web>, ctx: Ctx, Query(q): Query<HomeQuery>) -> Response {
    let r = async {
        let s = HomeShown { banner: banner(&ctx, q.done.as_deref()), lat: q.lat.clone().unwrap_or_default(), lon: q.lon.clone().unwrap_or_default(), ..Default::default() };
        render_home(&ctx, &web, s, StatusCode::OK).await
    }
    .await;
    finish(&ctx, r)
}

/// The children of the resident's household under three (the use case's list). The form names a
/// child by its place in this list, so no ID number is put in the page.
async fn household_children(web: &Web, p: &Principal) -> Result<Vec<(String, String, String)>, Failure> {
    cases::household_children(&web.state, p).await
}

async fn render_home(ctx: &Ctx, web: &Web, s: HomeShown, status: StatusCode) -> Result<Response, Failure> {
    let user = ctx.user.as_ref();
    let mut find_errors = s.find_errors.clone();
    let lat = coordinate(ctx, &mut find_errors, "lat", &s.lat);
    let lon = coordinate(ctx, &mut find_errors, "lon", &s.lon);
    if lat.is_some() != lon.is_some() && find_errors.is_empty() {
        find_errors.push(if lat.is_none() { "lat" } else { "lon" }, ctx.t("pl-point-both"));
    }
    let home = if find_errors.is_empty() { lat.zip(lon) } else { None };
    let list = match cases::institutions(&web.state, user, InstitutionQuery { lat: home.map(|h| h.0), lon: home.map(|h| h.1), ..Default::default() }).await {
        Ok(l) => l,
        Err(e) if on_form(&e) => {
            find_errors.0.extend(form_errors(ctx, &e, &[("lat", "lat".to_owned()), ("lon", "lon".to_owned())]).0);
            cases::institutions(&web.state, user, InstitutionQuery::default()).await?
        }
        Err(e) => return Err(e),
    };
    let resident = is_resident(user);
    let (apps, children) = match user.filter(|_| resident) {
        Some(p) => (cases::my_applications(&web.state, p).await?, household_children(web, p).await?),
        None => (Vec::new(), Vec::new()),
    };
    let title = ctx.t("pl-home-title");
    let staff = is_staff(web, user, Who::CHILDCARE);
    let body = html! {
        (banner_markup(s.banner.as_ref()))
        h1 { (title) }
        p.lead { (ctx.t("pl-home-lead")) }
        nav.contents aria-label=(ctx.t("pl-contents")) {
            ul.tabs {
                li { a href="#find" { (ctx.t("pl-find-title")) } }
                @if resident {
                    li { a href="#mine" { (ctx.t("pl-mine-title")) } }
                    li { a href="#apply" { (ctx.t("pl-apply-title")) } }
                    li { a href="/places/housing" { (ctx.t("pl-housing-title")) } }
                }
                @if staff { li { a href="/places/childcare/staff" { (ctx.t("pl-cc-staff-title")) } } }
                @if is_staff(web, user, Who::HOUSING) { li { a href="/places/housing/staff" { (ctx.t("pl-h-staff-title")) } } }
            }
        }
        @if resident {
            section #mine aria-labelledby="h-pl-mine" {
                h2 #h-pl-mine { (ctx.t("pl-mine-title")) }
                @if apps.is_empty() { p { (ctx.t("pl-mine-none")) } }
                @for a in &apps { (application_card(ctx, a, &s)) }
            }
        }
        section #find aria-labelledby="h-pl-find" {
            h2 #h-pl-find { (ctx.t("pl-find-title")) }
            p { (ctx.t("pl-find-lead")) }
            (error_summary(ctx, &find_errors, &["lat".to_owned(), "lon".to_owned()]))
            form.stack method="get" action="/places#find" novalidate {
                (input(ctx, &find_errors, &Input { name: "lat", label: &ctx.t("pl-lat"), hint: Some(&ctx.t("pl-latlon-hint")), value: &s.lat, inputmode: Some("decimal"), width: Some("w-short"), ..Default::default() }))
                (input(ctx, &find_errors, &Input { name: "lon", label: &ctx.t("pl-lon"), value: &s.lon, inputmode: Some("decimal"), width: Some("w-short"), ..Default::default() }))
                button.button.button-secondary type="submit" { (ctx.t("pl-find-button")) }
            }
            (institutions_list(ctx, &list, home.is_some()))
        }
        @if resident {
            (apply_form(ctx, &list, &children, &s, home))
        } @else if user.is_none() {
            p { a href={ "/login?next=" (encode("/places")) } { (ctx.t("pl-sign-in-to-apply")) } }
        }
    };
    Ok(page_status(ctx, status, &title, body))
}

/// Institutions on a map and in a table (by walking time when a home is given).
fn institutions_list(ctx: &Ctx, list: &[InstitutionView], walking: bool) -> Markup {
    if list.is_empty() {
        return html! { p { (ctx.t("pl-no-institutions")) } };
    }
    let points: Vec<crate::charts::Point> = list.iter().enumerate().map(|(i, x)| crate::charts::Point { label: (i + 1).to_string(), lat: x.lat, lon: x.lon, marked: x.classes.iter().any(|c| c.free > 0) }).collect();
    html! {
        figure.chart {
            (crate::charts::points("pl-map", &ctx.t("pl-map-title"), &ctx.ta("pl-map-desc", crate::args![("n", list.len())]), &points))
            figcaption.muted { (ctx.t("pl-map-caption")) }
        }
        div.table-wrap { table {
            caption.visually-hidden { (ctx.t("pl-find-title")) }
            thead { tr {
                th scope="col" { (ctx.t("pl-col-institution")) }
                @if walking { th.num scope="col" { (ctx.t("pl-col-walking")) } }
                th scope="col" { (ctx.t("pl-col-places")) }
                th scope="col" { (ctx.t("pl-col-hours")) }
                th scope="col" { (ctx.t("pl-col-priority")) }
            } }
            tbody {
                @for (i, x) in list.iter().enumerate() {
                    tr {
                        th scope="row" {
                            (i + 1) ". " (x.name)
                            br;
                            span.muted { (named(ctx, &format!("pl-kind-{}", x.kind), &x.kind_label)) " · " (x.town_name) }
                            @if x.status != "open" { " " (state_tag(ctx, &format!("inst-{}", x.status), &x.status_label)) }
                        }
                        @if walking {
                            td.num {
                                @if let Some(m) = x.walking_minutes { (ctx.ta("pl-minutes", crate::args![("n", m)])) } @else { "—" }
                                @if let Some(how) = &x.walking_method { br; span.muted { (named(ctx, &format!("pl-walk-{how}"), how)) } }
                            }
                        }
                        td {
                            ul.detail-list {
                                @for c in &x.classes {
                                    li { (ctx.ta("pl-class-places", crate::args![("class", class_name(ctx, &c.class, &c.class_label)), ("free", c.free), ("places", c.places), ("fee", c.monthly_fee_yuan.clone())])) }
                                }
                            }
                        }
                        td { (x.hours) br; span.muted { (weekdays_text(ctx, &x.weekdays)) } }
                        td {
                            ol {
                                @for c in &x.priority { li { (ctx.lang.pick(&c.label, &c.label_en)) } }
                            }
                        }
                    }
                }
            }
        } }
    }
}

/// One application: its state, preferences, rank and why, the place and what the family may do.
fn application_card(ctx: &Ctx, a: &ApplicationView, s: &HomeShown) -> Markup {
    let none = Errors::default();
    let errors = if s.app.as_deref() == Some(a.id.as_str()) { &s.app_errors } else { &none };
    let action = format!("/places/childcare/applications/{}/act", a.id);
    let which = ctx.ta("pl-application-of", crate::args![("name", a.child_name.clone())]);
    html! {
        article.case-action #{ "application-" (a.id) } aria-labelledby={ "h-pl-app-" (a.id) } {
            h3 #{ "h-pl-app-" (a.id) } { (which) " " (state_tag(ctx, &a.state, &a.state_label)) }
            (error_summary(ctx, errors, &[format!("last_day-{}", a.id)]))
            dl.summary {
                dt { (ctx.t("pl-child")) } dd { (a.child_name) " " span.muted { (a.child) } }
                dt { (ctx.t("pl-birth-date")) } dd { (a.birth_date) }
                dt { (ctx.t("pl-class")) } dd { (class_name(ctx, &a.class, &a.class_label)) }
                dt { (ctx.t("pl-start-date")) } dd { (a.start_date) }
                dt { (ctx.t("pl-submitted")) } dd { (time_of(&a.submitted_at)) }
                dt { (ctx.t("pl-preferences")) }
                dd {
                    ol {
                        @for p in &a.preferences {
                            li { (p.name) @if let Some(m) = p.walking_minutes { " " span.muted { (ctx.ta("pl-minutes-walk", crate::args![("n", m)])) } } }
                        }
                    }
                }
                @if a.hardship { dt { (ctx.t("pl-hardship")) } dd { (yes_no(ctx, true)) } }
            }
            @if a.round.is_none() && a.state == "waiting" { p { (ctx.t("pl-wait-for-round")) } }
            @if !a.why.is_empty() {
                h4 { (ctx.t("pl-why-title")) }
                ul {
                    @for w in &a.why {
                        li {
                            strong { (ctx.ta("pl-why-preference", crate::args![("n", w.preference), ("name", w.institution_name.clone())])) }
                            @if let Some(r) = w.waiting_rank { " " (tag("info", &ctx.ta("pl-waiting-rank", crate::args![("n", r)]))) }
                            br;
                            (ctx.lang.pick(&w.text, &w.text_en))
                        }
                    }
                }
            }
            @if let Some(pl) = &a.place {
                h4 { (ctx.t("pl-place-title")) }
                dl.summary {
                    dt { (ctx.t("pl-col-institution")) } dd { (pl.institution_name) " · " (class_name(ctx, &a.class, &pl.class_label)) }
                    dt { (ctx.t("pl-col-state")) } dd { (state_tag(ctx, &format!("place-{}", pl.state), &pl.state_label)) }
                    dt { (ctx.t("pl-monthly-fee")) } dd { "¥" (pl.monthly_fee_yuan) }
                    dt { (ctx.t("pl-offered-on")) } dd { (pl.offered_on) }
                    @if let Some(d) = &pl.start_date { dt { (ctx.t("pl-start-date")) } dd { (d) } }
                    @if let Some(d) = &pl.last_day { dt { (ctx.t("pl-last-day")) } dd { (d) } }
                    @if let Some(f) = &pl.fee_this_month_yuan { dt { (ctx.t("pl-fee-this-month")) } dd { "¥" (f) } }
                }
            }
            @if a.state == "offered" {
                div.actions {
                    form method="post" action=(action) {
                        (csrf(ctx))
                        button.button type="submit" name="action" value="accept" { (ctx.t("pl-accept")) span.visually-hidden { " " (which) } }
                    }
                    form method="post" action=(action) {
                        (csrf(ctx))
                        button.button.button-secondary type="submit" name="action" value="decline" { (ctx.t("pl-decline")) span.visually-hidden { " " (which) } }
                    }
                }
            }
            @if a.state == "waiting" {
                form method="post" action=(action) {
                    (csrf(ctx))
                    button.button.button-secondary type="submit" name="action" value="withdraw" { (ctx.t("pl-withdraw")) span.visually-hidden { " " (which) } }
                }
            }
            @if a.state == "enrolled" {
                form.stack method="post" action=(action) novalidate {
                    (csrf(ctx))
                    input type="hidden" name="action" value="leave";
                    (input(ctx, errors, &Input { name: &format!("last_day-{}", a.id), label: &ctx.t("pl-last-day"), hint: Some(&ctx.t("pl-last-day-hint")), value: "", kind: "date", width: Some("w-short"), ..Default::default() }))
                    button.button.button-secondary type="submit" { (ctx.t("pl-leave")) span.visually-hidden { " " (which) } }
                }
            }
        }
    }
}

fn apply_form(ctx: &Ctx, list: &[InstitutionView], children: &[(String, String, String)], s: &HomeShown, home: Option<(f64, f64)>) -> Markup {
    let mut known: Vec<String> = ["child", "start_date", "home_lat", "home_lon"].iter().map(|f| (*f).to_owned()).collect();
    known.extend((1..=MAX_PREFERENCES).map(|i| format!("pref-{i}")));
    let mut child_choices = vec![(String::new(), ctx.t("pl-choose-child"))];
    child_choices.extend(children.iter().enumerate().map(|(i, (_, name, born))| ((i + 1).to_string(), format!("{name}（{born}）"))));
    let mut inst_choices = vec![(String::new(), ctx.t("pl-choose-institution"))];
    inst_choices.extend(list.iter().filter(|x| x.status == "open").map(|x| (x.id.clone(), match x.walking_minutes {
        Some(m) => format!("{}（{}）", x.name, ctx.ta("pl-minutes-walk", crate::args![("n", m)])),
        None => x.name.clone(),
    })));
    // What was typed, else the home searched from.
    let typed = !s.home_lat.is_empty() || !s.home_lon.is_empty();
    let home_lat = if typed { s.home_lat.clone() } else { home.map(|h| h.0.to_string()).unwrap_or_default() };
    let home_lon = if typed { s.home_lon.clone() } else { home.map(|h| h.1.to_string()).unwrap_or_default() };
    html! {
        section #apply aria-labelledby="h-pl-apply" {
            h2 #h-pl-apply { (ctx.t("pl-apply-title")) }
            p { (ctx.t("pl-apply-lead")) }
            @if children.is_empty() { p { strong { (ctx.t("pl-no-children")) } } }
            (error_summary(ctx, &s.errors, &known))
            form.stack method="post" action="/places/childcare/apply" novalidate {
                (csrf(ctx))
                (select(ctx, &s.errors, "child", &ctx.t("pl-child"), Some(&ctx.t("pl-child-hint")), &child_choices, &s.child))
                (input(ctx, &s.errors, &Input { name: "start_date", label: &ctx.t("pl-start-date"), hint: Some(&ctx.t("pl-start-date-hint")), value: &s.start_date, kind: "date", width: Some("w-short"), required: true, ..Default::default() }))
                div.field {
                    fieldset {
                        legend { (ctx.t("pl-preferences")) }
                        p.hint { (ctx.t("pl-preferences-hint")) }
                        @for i in 1..=MAX_PREFERENCES {
                            (select(ctx, &s.errors, &format!("pref-{i}"), &ctx.ta("pl-preference-n", crate::args![("n", i)]), None, &inst_choices, s.preferences.get(i - 1).map(String::as_str).unwrap_or("")))
                        }
                    }
                }
                (input(ctx, &s.errors, &Input { name: "home_lat", label: &ctx.t("pl-home-lat"), hint: Some(&ctx.t("pl-home-latlon-hint")), value: &home_lat, inputmode: Some("decimal"), width: Some("w-short"), ..Default::default() }))
                (input(ctx, &s.errors, &Input { name: "home_lon", label: &ctx.t("pl-home-lon"), value: &home_lon, inputmode: Some("decimal"), width: Some("w-short"), ..Default::default() }))
                button.button type="submit" { (ctx.t("pl-apply-send")) }
            }
        }
    }
}

/// `POST /places/childcare/apply`: a family applies for a place.
pub async fn childcare_apply(State(web): State<Web>, ctx: Ctx, form: PostForm) -> Response {
    let r = async {
        let p = ctx.require()?;
        let preferences: Vec<String> = (1..=MAX_PREFERENCES).map(|i| form.get(&format!("pref-{i}")).unwrap_or_default().trim().to_owned()).collect();
        let home_lat = form.get("home_lat").unwrap_or_default();
        let home_lon = form.get("home_lon").unwrap_or_default();
        let s = HomeShown { child: form.get("child").unwrap_or_default(), start_date: form.get("start_date").unwrap_or_default(), preferences: preferences.clone(), home_lat: home_lat.clone(), home_lon: home_lon.clone(), ..Default::default() };
        let mut errors = Errors::default();
        let children = household_children(&web, p).await?;
        let child = s.child.trim().parse::<usize>().ok().and_then(|i| i.checked_sub(1)).and_then(|i| children.get(i));
        if child.is_none() {
            errors.push("child", ctx.t("pl-child-required"));
        }
        if s.start_date.trim().is_empty() {
            errors.push("start_date", ctx.t("pl-start-date-required"));
        }
        let chosen: Vec<(usize, String)> = preferences.iter().enumerate().filter(|(_, v)| !v.is_empty()).map(|(i, v)| (i, v.clone())).collect();
        if chosen.is_empty() {
            errors.push("pref-1", ctx.t("pl-preference-required"));
        }
        let lat = coordinate(&ctx, &mut errors, "home_lat", &home_lat);
        let lon = coordinate(&ctx, &mut errors, "home_lon", &home_lon);
        if lat.is_some() != lon.is_some() && errors.of("home_lat").is_none() && errors.of("home_lon").is_none() {
            errors.push(if lat.is_none() { "home_lat" } else { "home_lon" }, ctx.t("pl-point-both"));
        }
        let Some((key, _, _)) = child.filter(|_| errors.is_empty()) else {
            return render_home(&ctx, &web, HomeShown { errors, ..s }, StatusCode::UNPROCESSABLE_ENTITY).await;
        };
        let body = ChildcareApplyBody { child: key.clone(), start_date: s.start_date.trim().to_owned(), preferences: chosen.iter().map(|(_, v)| v.clone()).collect(), home_lat: lat, home_lon: lon };
        match cases::apply(&web.state, p, body).await {
            Ok(a) => Ok(redirect(&format!("/places?done=applied#application-{}", encode(&a.id)))),
            Err(e) if on_form(&e) => {
                // The use case's preferences[i] is the i-th chosen, which is the form's pref-(n).
                let mut rename: Vec<(String, String)> = vec![("child".into(), "child".into()), ("start_date".into(), "start_date".into()), ("home_lat".into(), "home_lat".into()), ("lat".into(), "home_lat".into()), ("preferences".into(), "pref-1".into())];
                for (i, (n, _)) in chosen.iter().enumerate() {
                    rename.insert(0, (format!("preferences[{i}]"), format!("pref-{}", n + 1)));
                }
                let rename: Vec<(&str, String)> = rename.iter().map(|(a, b)| (a.as_str(), b.clone())).collect();
                let errors = form_errors(&ctx, &e, &rename);
                render_home(&ctx, &web, HomeShown { errors, ..s }, e.status()).await
            }
            Err(e) => Err(e),
        }
    }
    .await;
    finish(&ctx, r)
}

/// `POST /places/childcare/applications/{id}/act`: accept, decline, withdraw or leave.
pub async fn childcare_act(State(web): State<Web>, ctx: Ctx, Path(id): Path<String>, form: PostForm) -> Response {
    let r = async {
        let p = ctx.require()?;
        let action = form.get("action").unwrap_or_default();
        // One leave form per enrolled child: the field is named after the application.
        let field = format!("last_day-{id}");
        let last_day = form.get(&field).map(|d| d.trim().to_owned()).filter(|d| !d.is_empty());
        if action == "leave" && last_day.is_none() {
            let mut errors = Errors::default();
            errors.push(&field, ctx.t("pl-last-day-required"));
            return render_home(&ctx, &web, HomeShown { app: Some(id.clone()), app_errors: errors, ..Default::default() }, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
        let body = ChildcareActionBody { action: action.clone(), start_date: None, last_day };
        match cases::act(&web.state, p, &id, body).await {
            Ok(a) => Ok(redirect(&format!("/places?done={}#application-{}", encode(&action), encode(&a.id)))),
            Err(e) if on_form(&e) => {
                let errors = form_errors(&ctx, &e, &[("last_day", field.clone())]);
                render_home(&ctx, &web, HomeShown { app: Some(id.clone()), app_errors: errors, ..Default::default() }, e.status()).await
            }
            Err(e) => Err(e),
        }
    }
    .await;
    finish(&ctx, r)
}

// ---------------------------------------------------------------------------------------------
// Housing: the family's page.

#[derive(Default)]
struct HousingShown {
    banner: Option<String>,
    errors: Errors,
    route: String,
    phone: String,
    /// The offer or project whose form was sent back.
    target: Option<String>,
    target_errors: Errors,
}

/// `GET /places/housing`: eligibility, the family's application, points, draws, offer and lease.
pub async fn housing_home(State(web): State<Web>, ctx: Ctx, Query(q): Query<DoneQuery>) -> Response {
    let r = async { render_housing(&ctx, &web, HousingShown { banner: banner(&ctx, q.done.as_deref()), ..Default::default() }, StatusCode::OK).await }.await;
    finish(&ctx, r)
}

async fn render_housing(ctx: &Ctx, web: &Web, s: HousingShown, status: StatusCode) -> Result<Response, Failure> {
    let p = ctx.require()?;
    let eligibility = housing::eligibility(&web.state, p).await;
    let households = housing::mine(&web.state, p).await?;
    let projects = housing::projects(&web.state, p).await?;
    let live = households.iter().any(|h| matches!(h.state.as_str(), "applied" | "waiting" | "offered" | "housed"));
    let title = ctx.t("pl-housing-title");
    let route_choices = vec![("home".to_owned(), ctx.t("pl-route-home")), ("subsidy".to_owned(), ctx.t("pl-route-subsidy"))];
    let body = html! {
        (breadcrumbs(ctx, &[("/places", ctx.t("pl-home-title")), ("", title.clone())]))
        (banner_markup(s.banner.as_ref()))
        h1 { (title) }
        p.lead { (ctx.t("pl-housing-lead")) }
        section #eligibility aria-labelledby="h-pl-elig" {
            h2 #h-pl-elig { (ctx.t("pl-elig-title")) }
            @match &eligibility {
                Ok(e) => {
                    p { (if e.eligible { tag("ok", &ctx.t("pl-elig-yes")) } else { tag("bad", &ctx.t("pl-elig-no")) }) " " (ctx.lang.pick(&e.verdict, &e.verdict_en)) }
                    p.muted { (ctx.ta("pl-elig-on", crate::args![("on", e.on.clone())])) }
                    div.table-wrap { table {
                        caption.visually-hidden { (ctx.t("pl-elig-title")) }
                        thead { tr {
                            th scope="col" { (ctx.t("pl-col-criterion")) }
                            th scope="col" { (ctx.t("pl-col-met")) }
                            th scope="col" { (ctx.t("pl-col-value")) }
                            th scope="col" { (ctx.t("pl-col-threshold")) }
                            th scope="col" { (ctx.t("pl-col-source")) }
                        } }
                        tbody {
                            @for c in &e.criteria {
                                tr {
                                    th scope="row" { (ctx.lang.pick(&c.text, &c.text_en)) }
                                    td { (if c.met { tag("ok", &ctx.t("pl-met")) } else { tag("bad", &ctx.t("pl-not-met")) }) }
                                    td { (c.value) }
                                    td { (c.threshold) }
                                    td { (c.source) }
                                }
                            }
                        }
                    } }
                }
                Err(e) => { p { (crate::layout::message(ctx.lang, e)) } }
            }
        }
        @for h in &households { (household_card(ctx, h, &s)) }
        @if !live {
            section #apply aria-labelledby="h-pl-h-apply" {
                h2 #h-pl-h-apply { (ctx.t("pl-h-apply-title")) }
                p { (ctx.t("pl-h-apply-lead")) }
                (error_summary(ctx, &s.errors, &["route".to_owned(), "phone".to_owned()]))
                form.stack method="post" action="/places/housing/apply" novalidate {
                    (csrf(ctx))
                    (radios(ctx, &s.errors, "route", &ctx.t("pl-route"), &route_choices, &s.route, true))
                    (input(ctx, &s.errors, &Input { name: "phone", label: &ctx.t("pl-phone"), hint: Some(&ctx.t("pl-phone-hint")), value: &s.phone, kind: "tel", autocomplete: Some("tel"), inputmode: Some("tel"), width: Some("w-short"), ..Default::default() }))
                    button.button type="submit" { (ctx.t("pl-h-apply-send")) }
                }
            }
        }
        @if !projects.is_empty() {
            section #shanju aria-labelledby="h-pl-shanju-mine" {
                h2 #h-pl-shanju-mine { (ctx.t("pl-shanju-title")) }
                @for pr in &projects { (project_card(ctx, pr, false, &s.target, &s.target_errors)) }
            }
        }
    };
    Ok(page_status(ctx, status, &title, body))
}

fn household_card(ctx: &Ctx, h: &HouseholdView, s: &HousingShown) -> Markup {
    let none = Errors::default();
    html! {
        section #{ "household-" (h.id) } aria-labelledby={ "h-pl-hh-" (h.id) } {
            h2 #{ "h-pl-hh-" (h.id) } { (ctx.t("pl-household-title")) " " (state_tag(ctx, &h.state, &h.state_label)) }
            ul.figures {
                li { span.num { (h.points) } span.lbl { (ctx.t("pl-points")) } }
                li { span.num { (h.rank.map_or_else(|| "—".to_owned(), |r| r.to_string())) } span.lbl { (ctx.t("pl-rank")) } }
                li { span.num { (h.members) } span.lbl { (ctx.t("pl-members")) } }
            }
            dl.summary {
                dt { (ctx.t("pl-route")) } dd { (named(ctx, &format!("pl-route-{}", h.route), &h.route)) }
                dt { (ctx.t("pl-applied-at")) } dd { (time_of(&h.applied_at)) }
                @if let Some(q) = &h.qualified_at { dt { (ctx.t("pl-qualified-at")) } dd { (time_of(q)) } }
                @if let Some(a) = &h.application { dt { (ctx.t("pl-filing")) } dd { a href={ "/applications/" (a) } { (ctx.t("pl-filing-link")) } } }
                @if let Some(g) = &h.group { dt { (ctx.t("pl-group")) } dd { (group_name(ctx, g)) } }
                dt { (ctx.t("pl-subsidy")) } dd { (yes_no(ctx, h.subsidy)) }
                @if h.refusals > 0 { dt { (ctx.t("pl-refusals")) } dd { (h.refusals) } }
                @if let Some(b) = &h.barred_until { dt { (ctx.t("pl-barred-until")) } dd { (b) } }
            }
            @if h.state == "applied" { p { (ctx.t("pl-applied-wait")) } }
            h3 { (ctx.t("pl-points-title")) }
            div.table-wrap { table {
                caption.visually-hidden { (ctx.t("pl-points-title")) }
                thead { tr { th scope="col" { (ctx.t("pl-col-criterion")) } th.num scope="col" { (ctx.t("pl-col-value")) } th.num scope="col" { (ctx.t("pl-points")) } } }
                tbody {
                    @for l in &h.points_lines { tr { th scope="row" { (named(ctx, &format!("pl-points-{}", l.criterion), &l.label)) } td.num { (l.value) } td.num { (l.points) } } }
                    tr { th scope="row" { (ctx.t("pl-total")) } td.num { "" } td.num { strong { (h.points) } } }
                }
            } }
            @if !h.draws.is_empty() {
                h3 { (ctx.t("pl-draws-title")) }
                ul {
                    @for d in &h.draws {
                        li {
                            a href={ "/places/draws/" (d.id) } { (d.title) }
                            @for g in &d.groups {
                                @if let Some(pos) = g.my_position {
                                    " · " (ctx.ta("pl-my-position", crate::args![("group", group_name(ctx, &g.code)), ("n", pos), ("homes", g.homes)]))
                                    " " (if pos <= g.homes as usize { tag("ok", &ctx.t("pl-won")) } else { tag("info", &ctx.t("pl-reserve")) })
                                }
                            }
                            @if d.drawn_at.is_none() { " " (tag("warn", &ctx.t("pl-not-drawn"))) }
                        }
                    }
                }
            }
            @if let Some(o) = &h.offer {
                @let errors = if s.target.as_deref() == Some(o.id.as_str()) { &s.target_errors } else { &none };
                h3 { (ctx.t("pl-offer-title")) " " (state_tag(ctx, &format!("offer-{}", o.state), &o.state)) }
                @if let Some(u) = &o.unit {
                    p { (ctx.ta("pl-unit", crate::args![("estate", u.estate.clone()), ("building", u.building.clone()), ("number", u.number.clone()), ("area", u.floor_area_m2.clone()), ("rooms", u32::from(u.rooms))])) }
                }
                p { (ctx.ta("pl-offer-deadline", crate::args![("made", o.made_on.clone()), ("deadline", o.deadline.clone())])) }
                @if o.state == "open" {
                    (error_summary(ctx, errors, &["reason".to_owned()]))
                    form method="post" action={ "/places/housing/offers/" (o.id) "/answer" } {
                        (csrf(ctx))
                        button.button type="submit" name="action" value="accept" { (ctx.t("pl-offer-accept")) }
                    }
                    form.stack method="post" action={ "/places/housing/offers/" (o.id) "/answer" } novalidate {
                        (csrf(ctx))
                        (textarea(ctx, errors, "reason", &ctx.t("pl-refuse-reason"), Some(&ctx.t("pl-refuse-hint")), "", false))
                        button.button.button-secondary type="submit" name="action" value="refuse" { (ctx.t("pl-offer-refuse")) }
                    }
                }
            }
            @if let Some(l) = &h.lease {
                h3 { (ctx.t("pl-lease-title")) " " (state_tag(ctx, &format!("lease-{}", l.state), &l.state)) }
                dl.summary {
                    @if let Some(u) = &l.unit { dt { (ctx.t("pl-home")) } dd { (ctx.ta("pl-unit", crate::args![("estate", u.estate.clone()), ("building", u.building.clone()), ("number", u.number.clone()), ("area", u.floor_area_m2.clone()), ("rooms", u32::from(u.rooms))])) } }
                    dt { (ctx.t("pl-lease-term")) } dd { (l.start) " – " (l.end) }
                    dt { (ctx.t("pl-rent")) } dd { "¥" (l.monthly_rent_yuan) " " span.muted { (ctx.ta("pl-rent-of-market", crate::args![("pct", l.rent_percent), ("market", l.market_rent_yuan.clone())])) } }
                    dt { (ctx.t("pl-next-requalification")) } dd { (l.next_requalification) }
                    @if let Some(b) = &l.leave_by { dt { (ctx.t("pl-leave-by")) } dd { (b) } }
                }
            }
        }
    }
}

/// `POST /places/housing/apply`: a family applies for public rental housing.
pub async fn housing_apply(State(web): State<Web>, ctx: Ctx, form: PostForm) -> Response {
    let r = async {
        let p = ctx.require()?;
        let s = HousingShown { route: form.get("route").unwrap_or_default(), phone: form.get("phone").unwrap_or_default(), ..Default::default() };
        if !matches!(s.route.as_str(), "home" | "subsidy") {
            let mut errors = Errors::default();
            errors.push("route", ctx.t("pl-route-required"));
            return render_housing(&ctx, &web, HousingShown { errors, ..s }, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
        let body = HousingApplyBody { route: s.route.clone(), contact_phone: Some(s.phone.trim().to_owned()).filter(|x| !x.is_empty()) };
        match housing::apply(&web.state, p, body).await {
            Ok(_) => Ok(redirect("/places/housing?done=housing_applied")),
            Err(e) if on_form(&e) => {
                let errors = form_errors(&ctx, &e, &[("route", "route".to_owned()), ("contact_phone", "phone".to_owned())]);
                render_housing(&ctx, &web, HousingShown { errors, ..s }, e.status()).await
            }
            Err(e) => Err(e),
        }
    }
    .await;
    finish(&ctx, r)
}

/// `POST /places/housing/offers/{id}/answer`: the family accepts or refuses the home offered.
pub async fn answer_offer(State(web): State<Web>, ctx: Ctx, Path(id): Path<String>, form: PostForm) -> Response {
    let r = async {
        let p = ctx.require()?;
        let action = form.get("action").unwrap_or_default();
        let body = OfferAnswerBody { action: action.clone(), reason: form.get("reason").map(|r| r.trim().to_owned()).filter(|r| !r.is_empty()) };
        match housing::answer_offer(&web.state, p, &id, body).await {
            Ok(_) => Ok(redirect(&format!("/places/housing?done=offer_{}", if action == "accept" { "accepted" } else { "refused" }))),
            Err(e) if on_form(&e) => {
                let errors = form_errors(&ctx, &e, &[("reason", "reason".to_owned())]);
                render_housing(&ctx, &web, HousingShown { target: Some(id.clone()), target_errors: errors, ..Default::default() }, e.status()).await
            }
            Err(e) => Err(e),
        }
    }
    .await;
    finish(&ctx, r)
}

// ---------------------------------------------------------------------------------------------
// A draw as published.

/// `GET /places/draws/{id}?seed=…`: a lottery draw as published, and its check.
pub async fn draw_page(State(web): State<Web>, ctx: Ctx, Path(id): Path<String>, Query(q): Query<DrawQuery>) -> Response {
    let r = async {
        let d = housing::draw_public(&web.state, ctx.user.as_ref(), &id).await?;
        let seed = q.seed.map(|s| s.trim().to_owned());
        let mut errors = Errors::default();
        let check = match &seed {
            Some(s) => match housing::verify(&web.state, &d.id, VerifyQuery { seed: Some(s.clone()) }).await {
                Ok(v) => Some(v),
                Err(e) if on_form(&e) => {
                    errors.push("seed", crate::layout::message(ctx.lang, &e));
                    None
                }
                Err(e) => return Err(e),
            },
            None => None,
        };
        let title = d.title.clone();
        let back = if is_staff(&web, ctx.user.as_ref(), Who::HOUSING) { ("/places/housing/staff", ctx.t("pl-h-staff-title")) } else { ("/places/housing", ctx.t("pl-housing-title")) };
        let body = html! {
            (breadcrumbs(&ctx, &[back.clone(), ("", title.clone())]))
            h1 { (title) }
            p.lead { (ctx.t("pl-draw-lead")) }
            (draw_summary(&ctx, &d))
            section #verify aria-labelledby="h-pl-verify" {
                h2 #h-pl-verify { (ctx.t("pl-verify-title")) }
                @if let Some(v) = &check {
                    div.banner role="status" tabindex="-1" data-autofocus {
                        p { strong { (if v.reproduced { tag("ok", &ctx.t("pl-verify-ok")) } else { tag("bad", &ctx.t("pl-verify-bad")) }) " " (ctx.lang.pick(&v.text, &v.text_en)) } }
                    }
                }
                p { (ctx.t("pl-verify-lead")) }
                @if d.seed.is_none() { p { (ctx.t("pl-verify-not-yet")) } }
                (error_summary(&ctx, &errors, &["seed".to_owned()]))
                form.stack method="get" action={ "/places/draws/" (d.id) "#verify" } novalidate {
                    (input(&ctx, &errors, &Input { name: "seed", label: &ctx.t("pl-seed"), hint: Some(&ctx.t("pl-seed-hint")), value: seed.as_deref().or(d.seed.as_deref()).unwrap_or(""), maxlength: Some(64), autocomplete: Some("off"), ..Default::default() }))
                    button.button type="submit" { (ctx.t("pl-verify-button")) }
                }
                h3 { (ctx.t("pl-verify-yourself")) }
                p { (ctx.t("pl-verify-yourself-lead")) }
                ol {
                    li { (ctx.t("pl-verify-step-download")) " " a href={ "/api/places/housing/draws/" (d.id) } download="draw.json" { (ctx.t("pl-verify-download")) } }
                    li { (ctx.t("pl-verify-step-run")) br; code.detail { "python3 tools/lottery-verify/verify.py draw.json" } }
                }
            }
        };
        Ok(page_status(&ctx, StatusCode::OK, &d.title, body))
    }
    .await;
    finish(&ctx, r)
}

fn draw_summary(ctx: &Ctx, d: &DrawView) -> Markup {
    html! {
        dl.summary {
            dt { (ctx.t("pl-homes-total")) } dd { (d.homes_total) }
            dt { (ctx.t("pl-commitment")) } dd { code.detail { (d.seed_sha256) } }
            dt { (ctx.t("pl-committed-at")) } dd { (time_of(&d.committed_at)) }
            dt { (ctx.t("pl-seed")) } dd { @if let Some(s) = &d.seed { code.detail { (s) } } @else { (ctx.t("pl-seed-secret")) } }
            @if let Some(t) = &d.drawn_at { dt { (ctx.t("pl-drawn-at")) } dd { (time_of(t)) } }
        }
        h2 { (ctx.t("pl-groups-title")) }
        @if d.groups.is_empty() { p { (ctx.t("pl-groups-none")) } }
        @for g in &d.groups {
            section aria-labelledby={ "h-pl-group-" (d.id) "-" (g.code) } {
                h3 #{ "h-pl-group-" (d.id) "-" (g.code) } { (group_name(ctx, &g.code)) " " span.muted { (ctx.ta("pl-group-share", crate::args![("pct", g.share_percent), ("homes", g.homes), ("n", g.applicants.len())])) } }
                dl.summary {
                    dt { (ctx.t("pl-applicants-digest")) } dd { code.detail { (g.applicants_digest) } }
                    @if let Some(pos) = g.my_position { dt { (ctx.t("pl-your-position")) } dd { strong { (pos) } } }
                }
                details {
                    summary { (ctx.ta("pl-applicant-list", crate::args![("n", g.applicants.len())])) }
                    p { code.detail { (g.applicants.join(", ")) } }
                }
                @if !g.order.is_empty() {
                    div.table-wrap { table {
                        caption { (ctx.ta("pl-order-of", crate::args![("group", group_name(ctx, &g.code))])) }
                        thead { tr { th.num scope="col" { (ctx.t("pl-col-position")) } th scope="col" { (ctx.t("pl-col-applicant")) } th scope="col" { (ctx.t("pl-col-result")) } } }
                        tbody {
                            @for (i, a) in g.order.iter().enumerate() {
                                tr {
                                    th.num scope="row" { (i + 1) }
                                    td { (a) @if g.my_position == Some(i + 1) { " " (tag("info", &ctx.t("pl-you"))) } }
                                    td { (if i < g.homes as usize { tag("ok", &ctx.t("pl-won")) } else { tag("grey", &ctx.t("pl-reserve")) }) }
                                }
                            }
                        }
                    } }
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Childcare staff.

/// The institution form as sent back.
#[derive(Default, Clone)]
struct InstitutionForm {
    id: String,
    name: String,
    kind: String,
    employer: String,
    community: String,
    lat: String,
    lon: String,
    status: String,
    opens: String,
    closes: String,
    weekdays: Vec<u8>,
    /// Per class: groups, places, fee.
    classes: [(String, String, String); 3],
    carers: String,
    health_staff: String,
    priority: [String; 4],
}

impl InstitutionForm {
    fn of(v: &InstitutionView) -> InstitutionForm {
        let mut classes: [(String, String, String); 3] = Default::default();
        for c in &v.classes {
            if let Some(i) = CLASSES.iter().position(|x| *x == c.class) {
                classes[i] = (c.groups.to_string(), c.places.to_string(), c.monthly_fee_yuan.clone());
            }
        }
        let mut priority: [String; 4] = Default::default();
        for (i, c) in v.priority.iter().filter(|c| c.code != "tie_break").take(4).enumerate() {
            priority[i] = c.code.clone();
        }
        let (opens, closes) = v.hours.split_once('–').map(|(a, b)| (a.to_owned(), b.to_owned())).unwrap_or_default();
        InstitutionForm {
            id: v.id.clone(),
            name: v.name.clone(),
            kind: v.kind.clone(),
            employer: v.employer.clone().unwrap_or_default(),
            community: v.community.clone(),
            lat: v.lat.to_string(),
            lon: v.lon.to_string(),
            status: v.status.clone(),
            opens,
            closes,
            weekdays: v.weekdays.clone(),
            classes,
            carers: v.carers.to_string(),
            health_staff: v.health_staff.to_string(),
            priority,
        }
    }

    fn read(form: &PostForm) -> InstitutionForm {
        let g = |k: &str| form.get(k).unwrap_or_default();
        let mut classes: [(String, String, String); 3] = Default::default();
        for (i, c) in CLASSES.iter().enumerate() {
            classes[i] = (g(&format!("groups-{c}")), g(&format!("places-{c}")), g(&format!("fee-{c}")));
        }
        let mut priority: [String; 4] = Default::default();
        for (i, p) in priority.iter_mut().enumerate() {
            *p = g(&format!("priority-{}", i + 1));
        }
        InstitutionForm {
            id: g("id"),
            name: g("name"),
            kind: g("kind"),
            employer: g("employer"),
            community: g("community"),
            lat: g("lat"),
            lon: g("lon"),
            status: g("status"),
            opens: g("opens"),
            closes: g("closes"),
            weekdays: (1..=7u8).filter(|d| form.get(&format!("weekday-{d}")).is_some()).collect(),
            classes,
            carers: g("carers"),
            health_staff: g("health_staff"),
            priority,
        }
    }
}

#[derive(Default)]
struct CcStaffShown {
    banner: Option<String>,
    /// Which form was sent back: institution | inspection | round.
    form: String,
    errors: Errors,
    inst: Option<InstitutionForm>,
    inspection: (String, String, String, String),
    seed: String,
}

/// `GET /places/childcare/staff`: the childcare department's page.
pub async fn childcare_staff(State(web): State<Web>, ctx: Ctx, Query(q): Query<StaffQuery>) -> Response {
    let r = async {
        let mut s = CcStaffShown { banner: banner(&ctx, q.done.as_deref()), ..Default::default() };
        if let Some(id) = q.edit.as_deref().filter(|e| !e.is_empty()) {
            s.inst = Some(InstitutionForm::of(&cases::institution(&web.state, id).await?));
        }
        render_cc_staff(&ctx, &web, s, StatusCode::OK).await
    }
    .await;
    finish(&ctx, r)
}

async fn render_cc_staff(ctx: &Ctx, web: &Web, s: CcStaffShown, status: StatusCode) -> Result<Response, Failure> {
    let p = ctx.require()?;
    let list = cases::institutions(&web.state, Some(p), InstitutionQuery { all: Some(true), ..Default::default() }).await?;
    let queue = cases::queue(&web.state, p, None).await?;
    let rounds = cases::rounds(&web.state, p).await?;
    let title = ctx.t("pl-cc-staff-title");
    let none = Errors::default();
    let of = |f: &str| if s.form == f { &s.errors } else { &none };
    let f = s.inst.clone().unwrap_or_else(|| InstitutionForm { status: "open".into(), opens: "07:30".into(), closes: "17:30".into(), weekdays: vec![1, 2, 3, 4, 5], ..Default::default() });
    let kinds: Vec<(String, String)> = std::iter::once((String::new(), ctx.t("pl-choose-kind"))).chain(KINDS.iter().map(|k| ((*k).to_owned(), ctx.t(&format!("pl-kind-{k}"))))).collect();
    let statuses: Vec<(String, String)> = ["open", "suspended", "closed"].iter().map(|k| ((*k).to_owned(), ctx.t(&format!("pl-state-inst-{k}")))).collect();
    let criteria: Vec<(String, String)> = std::iter::once((String::new(), ctx.t("pl-criterion-none"))).chain(CRITERIA.iter().map(|k| ((*k).to_owned(), ctx.t(&format!("pl-criterion-{k}"))))).collect();
    let inst_choices: Vec<(String, String)> = std::iter::once((String::new(), ctx.t("pl-choose-institution"))).chain(list.iter().map(|x| (x.id.clone(), x.name.clone()))).collect();
    let results = vec![("pass".to_owned(), ctx.t("pl-inspection-pass")), ("fail".to_owned(), ctx.t("pl-inspection-fail"))];
    let mut inst_known: Vec<String> = ["name", "kind", "employer", "community", "lat", "lon", "status", "opens", "closes", "carers", "health_staff"].iter().map(|x| (*x).to_owned()).collect();
    for c in CLASSES {
        inst_known.extend([format!("groups-{c}"), format!("places-{c}"), format!("fee-{c}")]);
    }
    let body = html! {
        (banner_markup(s.banner.as_ref()))
        h1 { (title) }
        p.lead { (ctx.t("pl-cc-staff-lead")) }
        nav.contents aria-label=(ctx.t("pl-contents")) {
            ul.tabs {
                li { a href="#institutions" { (ctx.t("pl-institutions-title")) } }
                li { a href="#register" { (ctx.t("pl-register-title")) } }
                li { a href="#inspect" { (ctx.t("pl-inspect-title")) } }
                li { a href="#queue" { (ctx.t("pl-queue-title")) } }
                li { a href="#rounds" { (ctx.t("pl-rounds-title")) } }
            }
        }
        section #institutions aria-labelledby="h-pl-insts" {
            h2 #h-pl-insts { (ctx.t("pl-institutions-title")) }
            @if list.is_empty() { p { (ctx.t("pl-no-institutions")) } }
            @else {
                div.table-wrap { table {
                    caption.visually-hidden { (ctx.t("pl-institutions-title")) }
                    thead { tr {
                        th scope="col" { (ctx.t("pl-col-institution")) }
                        th scope="col" { (ctx.t("pl-col-state")) }
                        th scope="col" { (ctx.t("pl-col-places")) }
                        th scope="col" { (ctx.t("pl-col-staff")) }
                        th scope="col" { (ctx.t("pl-col-inspections")) }
                        th scope="col" { (ctx.t("pl-col-edit")) }
                    } }
                    tbody {
                        @for x in &list {
                            tr {
                                th scope="row" { (x.name) br; span.muted { (named(ctx, &format!("pl-kind-{}", x.kind), &x.kind_label)) " · " (x.town_name) " · " (x.hours) } }
                                td { (state_tag(ctx, &format!("inst-{}", x.status), &x.status_label)) }
                                td { ul.detail-list { @for c in &x.classes { li { (ctx.ta("pl-class-held", crate::args![("class", class_name(ctx, &c.class, &c.class_label)), ("enrolled", c.enrolled), ("offered", c.offered), ("places", c.places)])) } } } }
                                td { (ctx.ta("pl-staff-counts", crate::args![("carers", x.carers), ("health", x.health_staff)])) }
                                td {
                                    @if x.inspections.is_empty() { "—" }
                                    @for i in x.inspections.iter().rev().take(2) { (i.date) " " (match i.result.as_str() { "合格" => ctx.t("pl-inspection-pass"), "不合格" => ctx.t("pl-inspection-fail"), r => r.to_owned() }) @if !i.findings.is_empty() { "：" (i.findings.join("；")) } br; }
                                }
                                td { a href={ "/places/childcare/staff?edit=" (x.id) "#register" } { (ctx.t("pl-edit")) span.visually-hidden { " " (x.name) } } }
                            }
                        }
                    }
                } }
            }
        }
        section #register aria-labelledby="h-pl-register" {
            h2 #h-pl-register { @if f.id.is_empty() { (ctx.t("pl-register-title")) } @else { (ctx.ta("pl-edit-title", crate::args![("name", f.name.clone())])) } }
            (error_summary(ctx, of("institution"), &inst_known))
            form.stack method="post" action="/places/childcare/institutions" novalidate {
                (csrf(ctx))
                @if !f.id.is_empty() { input type="hidden" name="id" value=(f.id); }
                (input(ctx, of("institution"), &Input { name: "name", label: &ctx.t("pl-inst-name"), value: &f.name, required: true, maxlength: Some(100), ..Default::default() }))
                (select(ctx, of("institution"), "kind", &ctx.t("pl-inst-kind"), None, &kinds, &f.kind))
                (input(ctx, of("institution"), &Input { name: "employer", label: &ctx.t("pl-inst-employer"), hint: Some(&ctx.t("pl-inst-employer-hint")), value: &f.employer, maxlength: Some(18), ..Default::default() }))
                (input(ctx, of("institution"), &Input { name: "community", label: &ctx.t("pl-inst-community"), hint: Some(&ctx.t("pl-inst-community-hint")), value: &f.community, inputmode: Some("numeric"), maxlength: Some(12), width: Some("w-short"), required: true, ..Default::default() }))
                (input(ctx, of("institution"), &Input { name: "lat", label: &ctx.t("pl-lat"), value: &f.lat, inputmode: Some("decimal"), width: Some("w-short"), required: true, ..Default::default() }))
                (input(ctx, of("institution"), &Input { name: "lon", label: &ctx.t("pl-lon"), value: &f.lon, inputmode: Some("decimal"), width: Some("w-short"), required: true, ..Default::default() }))
                (select(ctx, of("institution"), "status", &ctx.t("pl-inst-status"), None, &statuses, &f.status))
                (input(ctx, of("institution"), &Input { name: "opens", label: &ctx.t("pl-opens"), value: &f.opens, kind: "time", width: Some("w-short"), ..Default::default() }))
                (input(ctx, of("institution"), &Input { name: "closes", label: &ctx.t("pl-closes"), value: &f.closes, kind: "time", width: Some("w-short"), ..Default::default() }))
                div.field {
                    fieldset {
                        legend { (ctx.t("pl-weekdays")) }
                        div.checks {
                            @for d in 1..=7u8 {
                                div.check {
                                    input #{ "f-weekday-" (d) } type="checkbox" name={ "weekday-" (d) } value="1" checked[f.weekdays.contains(&d)];
                                    label for={ "f-weekday-" (d) } { (ctx.t(&format!("pl-weekday-{d}"))) }
                                }
                            }
                        }
                    }
                }
                @for (i, c) in CLASSES.iter().enumerate() {
                    div.field {
                        fieldset {
                            legend { (ctx.t(&format!("pl-class-{c}"))) }
                            p.hint { (ctx.t("pl-class-hint")) }
                            (input(ctx, of("institution"), &Input { name: &format!("groups-{c}"), label: &ctx.t("pl-groups"), value: &f.classes[i].0, inputmode: Some("numeric"), width: Some("w-short"), ..Default::default() }))
                            (input(ctx, of("institution"), &Input { name: &format!("places-{c}"), label: &ctx.t("pl-places"), value: &f.classes[i].1, inputmode: Some("numeric"), width: Some("w-short"), ..Default::default() }))
                            (input(ctx, of("institution"), &Input { name: &format!("fee-{c}"), label: &ctx.t("pl-fee"), value: &f.classes[i].2, inputmode: Some("decimal"), width: Some("w-short"), ..Default::default() }))
                        }
                    }
                }
                (input(ctx, of("institution"), &Input { name: "carers", label: &ctx.t("pl-carers"), value: &f.carers, inputmode: Some("numeric"), width: Some("w-short"), required: true, ..Default::default() }))
                (input(ctx, of("institution"), &Input { name: "health_staff", label: &ctx.t("pl-health-staff"), value: &f.health_staff, inputmode: Some("numeric"), width: Some("w-short"), ..Default::default() }))
                div.field {
                    fieldset {
                        legend { (ctx.t("pl-priority")) }
                        p.hint { (ctx.t("pl-priority-hint")) }
                        @for i in 0..4 {
                            (select(ctx, of("institution"), &format!("priority-{}", i + 1), &ctx.ta("pl-priority-n", crate::args![("n", i + 1)]), None, &criteria, &f.priority[i]))
                        }
                    }
                }
                button.button type="submit" { @if f.id.is_empty() { (ctx.t("pl-register-send")) } @else { (ctx.t("pl-save")) } }
                @if !f.id.is_empty() { " " a href="/places/childcare/staff#register" { (ctx.t("pl-new-instead")) } }
            }
        }
        section #inspect aria-labelledby="h-pl-inspect" {
            h2 #h-pl-inspect { (ctx.t("pl-inspect-title")) }
            p { (ctx.t("pl-inspect-lead")) }
            (error_summary(ctx, of("inspection"), &["institution".to_owned(), "date".to_owned(), "result".to_owned(), "findings".to_owned()]))
            form.stack method="post" action="/places/childcare/inspections" novalidate {
                (csrf(ctx))
                (select(ctx, of("inspection"), "institution", &ctx.t("pl-col-institution"), None, &inst_choices, &s.inspection.0))
                (input(ctx, of("inspection"), &Input { name: "date", label: &ctx.t("pl-inspection-date"), value: &s.inspection.1, kind: "date", width: Some("w-short"), required: true, ..Default::default() }))
                (radios(ctx, of("inspection"), "result", &ctx.t("pl-inspection-result"), &results, &s.inspection.2, true))
                (textarea(ctx, of("inspection"), "findings", &ctx.t("pl-findings"), Some(&ctx.t("pl-findings-hint")), &s.inspection.3, false))
                button.button type="submit" { (ctx.t("pl-inspect-send")) }
            }
        }
        section #queue aria-labelledby="h-pl-queue" {
            h2 #h-pl-queue { (ctx.t("pl-queue-title")) " " span.muted { "(" (queue.len()) ")" } }
            @if queue.is_empty() { p { (ctx.t("pl-queue-none")) } }
            @else {
                div.table-wrap { table {
                    caption.visually-hidden { (ctx.t("pl-queue-title")) }
                    thead { tr {
                        th scope="col" { (ctx.t("pl-child")) }
                        th scope="col" { (ctx.t("pl-class")) }
                        th scope="col" { (ctx.t("pl-start-date")) }
                        th scope="col" { (ctx.t("pl-col-state")) }
                        th scope="col" { (ctx.t("pl-preferences")) }
                        th scope="col" { (ctx.t("pl-submitted")) }
                    } }
                    tbody {
                        @for a in &queue {
                            tr {
                                th scope="row" { (mask_name(&a.child_name)) br; span.muted { (a.child) } }
                                td { (class_name(ctx, &a.class, &a.class_label)) }
                                td { (a.start_date) }
                                td { (state_tag(ctx, &a.state, &a.state_label)) @if a.hardship { " " (tag("info", &ctx.t("pl-hardship"))) } }
                                td { (join(ctx, a.preferences.iter().map(|p| p.name.clone()))) }
                                td { (time_of(&a.submitted_at)) }
                            }
                        }
                    }
                } }
            }
        }
        section #rounds aria-labelledby="h-pl-rounds" {
            h2 #h-pl-rounds { (ctx.t("pl-rounds-title")) }
            p { (ctx.t("pl-round-lead")) }
            (error_summary(ctx, of("round"), &["seed".to_owned()]))
            form.stack method="post" action="/places/childcare/rounds" novalidate {
                (csrf(ctx))
                (input(ctx, of("round"), &Input { name: "seed", label: &ctx.t("pl-round-seed"), hint: Some(&ctx.t("pl-round-seed-hint")), value: &s.seed, maxlength: Some(64), autocomplete: Some("off"), ..Default::default() }))
                button.button type="submit" { (ctx.t("pl-round-run")) }
            }
            @if rounds.is_empty() { p { (ctx.t("pl-rounds-none")) } }
            @else {
                div.table-wrap { table {
                    caption.visually-hidden { (ctx.t("pl-rounds-title")) }
                    thead { tr {
                        th scope="col" { (ctx.t("pl-col-when")) }
                        th.num scope="col" { (ctx.t("pl-col-applications")) }
                        th.num scope="col" { (ctx.t("pl-col-offered")) }
                        th.num scope="col" { (ctx.t("pl-col-waiting")) }
                        th.num scope="col" { (ctx.t("pl-col-seats-left")) }
                        th scope="col" { (ctx.t("pl-seed")) }
                    } }
                    tbody {
                        @for r in &rounds {
                            tr {
                                th scope="row" { (time_of(&r.at)) }
                                td.num { (r.applications) }
                                td.num { (r.offered) }
                                td.num { (r.waiting) }
                                td.num { (r.seats_left) }
                                td { code.detail { (r.seed) } }
                            }
                        }
                    }
                } }
            }
        }
    };
    Ok(page_status(ctx, status, &title, body))
}

/// `POST /places/childcare/institutions`: registers or changes an institution.
pub async fn save_institution(State(web): State<Web>, ctx: Ctx, form: PostForm) -> Response {
    let r = async {
        let p = ctx.require()?;
        let f = InstitutionForm::read(&form);
        let mut errors = Errors::default();
        if f.name.trim().is_empty() {
            errors.push("name", ctx.t("pl-inst-name-required"));
        }
        if !KINDS.contains(&f.kind.as_str()) {
            errors.push("kind", ctx.t("pl-inst-kind-required"));
        }
        let mut num = |field: &str, v: &str, required: bool| -> u32 {
            let v = v.trim();
            if v.is_empty() && !required {
                return 0;
            }
            v.parse::<u32>().unwrap_or_else(|_| {
                errors.push(field, ctx.t("pl-whole-number"));
                0
            })
        };
        let carers = num("carers", &f.carers, true);
        let health = num("health_staff", &f.health_staff, false);
        let mut classes = Vec::new();
        for (i, c) in CLASSES.iter().enumerate() {
            let (groups, places, fee) = &f.classes[i];
            if groups.trim().is_empty() && places.trim().is_empty() && fee.trim().is_empty() {
                continue;
            }
            let g = num(&format!("groups-{c}"), groups, true);
            let pl = num(&format!("places-{c}"), places, true);
            classes.push(ClassBody { class: (*c).to_owned(), groups: g, places: pl, monthly_fee_yuan: fee.trim().to_owned() });
        }
        let lat = coordinate(&ctx, &mut errors, "lat", &f.lat);
        let lon = coordinate(&ctx, &mut errors, "lon", &f.lon);
        if lat.is_none() && errors.of("lat").is_none() {
            errors.push("lat", ctx.t("pl-coordinate-required"));
        }
        if lon.is_none() && errors.of("lon").is_none() {
            errors.push("lon", ctx.t("pl-coordinate-required"));
        }
        let id = match f.id.trim() {
            "" => None,
            s => match s.parse::<u64>() {
                Ok(n) => Some(n),
                Err(_) => return Err(Failure::not_found("没有这家托育机构", "No such childcare institution")),
            },
        };
        let (Some(lat), Some(lon)) = (lat, lon) else {
            return render_cc_staff(&ctx, &web, CcStaffShown { form: "institution".into(), errors, inst: Some(f), ..Default::default() }, StatusCode::UNPROCESSABLE_ENTITY).await;
        };
        if !errors.is_empty() {
            return render_cc_staff(&ctx, &web, CcStaffShown { form: "institution".into(), errors, inst: Some(f), ..Default::default() }, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
        let body = InstitutionBody {
            id,
            name: f.name.trim().to_owned(),
            kind: f.kind.clone(),
            employer: Some(f.employer.trim().to_owned()).filter(|e| !e.is_empty()),
            community: f.community.trim().to_owned(),
            lat,
            lon,
            status: Some(f.status.clone()).filter(|s| !s.is_empty()),
            opens: f.opens.clone(),
            closes: f.closes.clone(),
            weekdays: f.weekdays.clone(),
            classes,
            carers,
            health_staff: health,
            priority: f.priority.iter().filter(|c| !c.is_empty()).cloned().collect(),
        };
        match cases::save_institution(&web.state, p, body).await {
            Ok(_) => Ok(redirect("/places/childcare/staff?done=institution_saved#institutions")),
            Err(e) if on_form(&e) => {
                let mut rename: Vec<(String, String)> = ["name", "kind", "employer", "community", "lat", "lon", "status", "opens", "closes"].iter().map(|x| ((*x).to_owned(), (*x).to_owned())).collect();
                rename.push(("staff.carers".into(), "carers".into()));
                rename.push(("carers".into(), "carers".into()));
                for (i, c) in CLASSES.iter().filter(|c| f.classes[CLASSES.iter().position(|x| x == *c).unwrap_or(0)] != Default::default()).enumerate() {
                    rename.push((format!("classes[{i}].places"), format!("places-{c}")));
                    rename.push((format!("classes[{i}].groups"), format!("groups-{c}")));
                    rename.push((format!("classes[{i}].monthly_fee_yuan"), format!("fee-{c}")));
                    rename.push((format!("classes[{i}]"), format!("places-{c}")));
                }
                let rename: Vec<(&str, String)> = rename.iter().map(|(a, b)| (a.as_str(), b.clone())).collect();
                let errors = form_errors(&ctx, &e, &rename);
                render_cc_staff(&ctx, &web, CcStaffShown { form: "institution".into(), errors, inst: Some(f), ..Default::default() }, e.status()).await
            }
            Err(e) => Err(e),
        }
    }
    .await;
    finish(&ctx, r)
}

/// `POST /places/childcare/inspections`: records an inspection.
pub async fn inspect(State(web): State<Web>, ctx: Ctx, form: PostForm) -> Response {
    let r = async {
        let p = ctx.require()?;
        let g = |k: &str| form.get(k).unwrap_or_default();
        let shown = (g("institution"), g("date"), g("result"), g("findings"));
        let mut errors = Errors::default();
        if shown.0.trim().is_empty() {
            errors.push("institution", ctx.t("pl-institution-required"));
        }
        if shown.1.trim().is_empty() {
            errors.push("date", ctx.t("pl-date-required"));
        }
        if !matches!(shown.2.as_str(), "pass" | "fail") {
            errors.push("result", ctx.t("pl-result-required"));
        }
        if !errors.is_empty() {
            return render_cc_staff(&ctx, &web, CcStaffShown { form: "inspection".into(), errors, inspection: shown, ..Default::default() }, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
        let body = InspectionBody { date: shown.1.trim().to_owned(), result: shown.2.clone(), findings: shown.3.lines().map(|l| l.trim().to_owned()).filter(|l| !l.is_empty()).collect() };
        match cases::inspect(&web.state, p, &shown.0, body).await {
            Ok(_) => Ok(redirect("/places/childcare/staff?done=inspected#institutions")),
            Err(e) if on_form(&e) || matches!(e, Failure::NotFound { .. }) => {
                let errors = form_errors(&ctx, &e, &[("date", "date".to_owned()), ("result", "result".to_owned()), ("findings", "findings".to_owned())]);
                let errors = if matches!(e, Failure::NotFound { .. }) { Errors(vec![("institution".into(), crate::layout::message(ctx.lang, &e))]) } else { errors };
                let status = e.status();
                render_cc_staff(&ctx, &web, CcStaffShown { form: "inspection".into(), errors, inspection: shown, ..Default::default() }, if status == StatusCode::NOT_FOUND { StatusCode::UNPROCESSABLE_ENTITY } else { status }).await
            }
            Err(e) => Err(e),
        }
    }
    .await;
    finish(&ctx, r)
}

/// `POST /places/childcare/rounds`: runs an allocation round.
pub async fn run_round(State(web): State<Web>, ctx: Ctx, form: PostForm) -> Response {
    let r = async {
        let p = ctx.require()?;
        let seed = form.get("seed").unwrap_or_default();
        match cases::run_round(&web.state, p, RoundBody { seed: Some(seed.trim().to_owned()).filter(|s| !s.is_empty()) }).await {
            Ok(_) => Ok(redirect("/places/childcare/staff?done=round_run#rounds")),
            Err(e) if on_form(&e) => {
                let errors = form_errors(&ctx, &e, &[("seed", "seed".to_owned())]);
                render_cc_staff(&ctx, &web, CcStaffShown { form: "round".into(), errors, seed, ..Default::default() }, e.status()).await
            }
            Err(e) => Err(e),
        }
    }
    .await;
    finish(&ctx, r)
}

// ---------------------------------------------------------------------------------------------
// Housing staff.

#[derive(Default)]
struct HStaffShown {
    banner: Option<String>,
    /// Which form was sent back: draw | unit | project | `act-<id>` (a row's button or a
    /// project's step).
    form: String,
    errors: Errors,
    fields: std::collections::BTreeMap<String, String>,
}

impl HStaffShown {
    fn v(&self, k: &str) -> &str {
        self.fields.get(k).map(String::as_str).unwrap_or("")
    }
}

/// `GET /places/housing/staff`: the housing department's page.
pub async fn housing_staff(State(web): State<Web>, ctx: Ctx, Query(q): Query<DoneQuery>) -> Response {
    let r = async { render_h_staff(&ctx, &web, HStaffShown { banner: banner(&ctx, q.done.as_deref()), ..Default::default() }, StatusCode::OK).await }.await;
    finish(&ctx, r)
}

async fn render_h_staff(ctx: &Ctx, web: &Web, s: HStaffShown, status: StatusCode) -> Result<Response, Failure> {
    let p = ctx.require()?;
    let waiting = housing::waiting_list(&web.state, p).await?;
    let draws = housing::draws(&web.state).await?;
    let units = housing::units(&web.state, p).await?;
    let leases = housing::leases(&web.state, p).await?;
    let projects = housing::projects(&web.state, p).await?;
    let title = ctx.t("pl-h-staff-title");
    let none = Errors::default();
    let of = |f: &str| if s.form == f { &s.errors } else { &none };
    let row_error = |id: &str| if s.form == format!("act-{id}") { s.errors.0.first().map(|(_, m)| m.clone()) } else { None };
    let body = html! {
        (banner_markup(s.banner.as_ref()))
        h1 { (title) }
        p.lead { (ctx.t("pl-h-staff-lead")) }
        nav.contents aria-label=(ctx.t("pl-contents")) {
            ul.tabs {
                li { a href="#waiting" { (ctx.t("pl-waiting-title")) } }
                li { a href="#draws" { (ctx.t("pl-draws-title")) } }
                li { a href="#homes" { (ctx.t("pl-homes-title")) } }
                li { a href="#leases" { (ctx.t("pl-leases-title")) } }
                li { a href="#shanju" { (ctx.t("pl-shanju-title")) } }
            }
        }
        section #waiting aria-labelledby="h-pl-waiting" {
            h2 #h-pl-waiting { (ctx.t("pl-waiting-title")) " " span.muted { "(" (waiting.len()) ")" } }
            @if waiting.is_empty() { p { (ctx.t("pl-waiting-none")) } }
            @else {
                div.table-wrap { table {
                    caption.visually-hidden { (ctx.t("pl-waiting-title")) }
                    thead { tr {
                        th.num scope="col" { (ctx.t("pl-rank")) }
                        th scope="col" { (ctx.t("pl-head")) }
                        th.num scope="col" { (ctx.t("pl-members")) }
                        th scope="col" { (ctx.t("pl-route")) }
                        th.num scope="col" { (ctx.t("pl-points")) }
                        th scope="col" { (ctx.t("pl-group")) }
                        th scope="col" { (ctx.t("pl-subsidy")) }
                        th scope="col" { (ctx.t("pl-applied-at")) }
                    } }
                    tbody {
                        @for h in &waiting {
                            tr {
                                td.num { (h.rank.map_or_else(|| "—".to_owned(), |r| r.to_string())) }
                                th scope="row" { (h.head) br; span.muted { (h.head_id_number) } }
                                td.num { (h.members) }
                                td { (named(ctx, &format!("pl-route-{}", h.route), &h.route)) }
                                td.num { (h.points) }
                                td { (h.group.as_deref().map(|g| group_name(ctx, g)).unwrap_or_else(|| "—".to_owned())) }
                                td { (yes_no(ctx, h.subsidy)) }
                                td { (time_of(&h.applied_at)) }
                            }
                        }
                    }
                } }
            }
        }
        section #draws aria-labelledby="h-pl-hdraws" {
            h2 #h-pl-hdraws { (ctx.t("pl-draws-title")) }
            p { (ctx.t("pl-draws-lead")) }
            (error_summary(ctx, of("draw"), &["title".to_owned(), "homes".to_owned()]))
            form.stack method="post" action="/places/housing/draws" novalidate {
                (csrf(ctx))
                (input(ctx, of("draw"), &Input { name: "title", label: &ctx.t("pl-draw-title"), value: s.v("title"), required: true, maxlength: Some(100), ..Default::default() }))
                (input(ctx, of("draw"), &Input { name: "homes", label: &ctx.t("pl-draw-homes"), value: s.v("homes"), inputmode: Some("numeric"), width: Some("w-short"), required: true, ..Default::default() }))
                button.button type="submit" { (ctx.t("pl-draw-commit")) }
            }
            @if draws.is_empty() { p { (ctx.t("pl-draws-none")) } }
            @else {
                div.table-wrap { table {
                    caption.visually-hidden { (ctx.t("pl-draws-title")) }
                    thead { tr {
                        th scope="col" { (ctx.t("pl-draw-title")) }
                        th.num scope="col" { (ctx.t("pl-homes-total")) }
                        th scope="col" { (ctx.t("pl-committed-at")) }
                        th scope="col" { (ctx.t("pl-drawn-at")) }
                        th scope="col" { (ctx.t("pl-col-do")) }
                    } }
                    tbody {
                        @for d in &draws {
                            tr {
                                th scope="row" { a href={ "/places/draws/" (d.id) } { (d.title) } }
                                td.num { (d.homes_total) }
                                td { (time_of(&d.committed_at)) }
                                td { (d.drawn_at.as_deref().map(time_of).unwrap_or_else(|| "—".to_owned())) }
                                td {
                                    @if let Some(m) = row_error(&d.id) { p.error-message { (m) } }
                                    @if d.drawn_at.is_none() {
                                        form method="post" action={ "/places/housing/draws/" (d.id) "/draw" } {
                                            (csrf(ctx))
                                            button.button.button-secondary type="submit" { (ctx.t("pl-draw-now")) span.visually-hidden { " " (d.title) } }
                                        }
                                    }
                                }
                            }
                        }
                    }
                } }
            }
        }
        section #homes aria-labelledby="h-pl-homes" {
            h2 #h-pl-homes { (ctx.t("pl-homes-title")) }
            @if units.is_empty() { p { (ctx.t("pl-homes-none")) } }
            @else {
                div.table-wrap { table {
                    caption.visually-hidden { (ctx.t("pl-homes-title")) }
                    thead { tr {
                        th scope="col" { (ctx.t("pl-home")) }
                        th.num scope="col" { (ctx.t("pl-area")) }
                        th.num scope="col" { (ctx.t("pl-rooms")) }
                        th.num scope="col" { (ctx.t("pl-market-rent")) }
                        th scope="col" { (ctx.t("pl-col-state")) }
                        th scope="col" { (ctx.t("pl-col-do")) }
                    } }
                    tbody {
                        @for u in &units {
                            tr {
                                th scope="row" { (u.estate) " " (u.building) "-" (u.number) }
                                td.num { (u.floor_area_m2) }
                                td.num { (u.rooms) }
                                td.num { "¥" (u.market_rent_yuan) }
                                td { (state_tag(ctx, &format!("unit-{}", u.status), &u.status)) }
                                td {
                                    @if let Some(m) = row_error(&u.id) { p.error-message { (m) } }
                                    @if u.status == "vacant" {
                                        form method="post" action={ "/places/housing/homes/" (u.id) "/offer" } {
                                            (csrf(ctx))
                                            button.button.button-secondary type="submit" { (ctx.t("pl-offer-next")) span.visually-hidden { " " (u.estate) " " (u.building) "-" (u.number) } }
                                        }
                                    }
                                }
                            }
                        }
                    }
                } }
            }
            h3 { (ctx.t("pl-add-home")) }
            @let unit_fields = ["estate", "building", "number", "floor_area_m2", "rooms", "market_rent_yuan"];
            (error_summary(ctx, of("unit"), &unit_fields.iter().map(|x| (*x).to_owned()).collect::<Vec<_>>()))
            form.stack method="post" action="/places/housing/homes" novalidate {
                (csrf(ctx))
                (input(ctx, of("unit"), &Input { name: "estate", label: &ctx.t("pl-estate"), value: s.v("estate"), required: true, ..Default::default() }))
                (input(ctx, of("unit"), &Input { name: "building", label: &ctx.t("pl-building"), value: s.v("building"), width: Some("w-short"), required: true, ..Default::default() }))
                (input(ctx, of("unit"), &Input { name: "number", label: &ctx.t("pl-number"), value: s.v("number"), width: Some("w-short"), required: true, ..Default::default() }))
                (input(ctx, of("unit"), &Input { name: "floor_area_m2", label: &ctx.t("pl-area"), hint: Some(&ctx.t("pl-area-hint")), value: s.v("floor_area_m2"), inputmode: Some("decimal"), width: Some("w-short"), required: true, ..Default::default() }))
                (input(ctx, of("unit"), &Input { name: "rooms", label: &ctx.t("pl-rooms"), value: s.v("rooms"), inputmode: Some("numeric"), width: Some("w-short"), required: true, ..Default::default() }))
                (input(ctx, of("unit"), &Input { name: "market_rent_yuan", label: &ctx.t("pl-market-rent"), hint: Some(&ctx.t("pl-yuan-hint")), value: s.v("market_rent_yuan"), inputmode: Some("decimal"), width: Some("w-short"), required: true, ..Default::default() }))
                button.button type="submit" { (ctx.t("pl-add-home-send")) }
            }
        }
        section #leases aria-labelledby="h-pl-leases" {
            h2 #h-pl-leases { (ctx.t("pl-leases-title")) }
            @if leases.is_empty() { p { (ctx.t("pl-leases-none")) } }
            @else {
                div.table-wrap { table {
                    caption.visually-hidden { (ctx.t("pl-leases-title")) }
                    thead { tr {
                        th scope="col" { (ctx.t("pl-home")) }
                        th scope="col" { (ctx.t("pl-lease-term")) }
                        th.num scope="col" { (ctx.t("pl-rent")) }
                        th scope="col" { (ctx.t("pl-next-requalification")) }
                        th scope="col" { (ctx.t("pl-col-state")) }
                        th scope="col" { (ctx.t("pl-col-do")) }
                    } }
                    tbody {
                        @for l in &leases {
                            @let home = l.unit.as_ref().map(|u| format!("{} {}-{}", u.estate, u.building, u.number)).unwrap_or_else(|| l.id.clone());
                            tr {
                                th scope="row" { (home) }
                                td { (l.start) " – " (l.end) }
                                td.num { "¥" (l.monthly_rent_yuan) br; span.muted { (l.rent_band) " " (l.rent_percent) "%" } }
                                td { (l.next_requalification) }
                                td { (state_tag(ctx, &format!("lease-{}", l.state), &l.state)) @if let Some(b) = &l.leave_by { br; (ctx.t("pl-leave-by")) " " (b) } }
                                td {
                                    @if let Some(m) = row_error(&l.id) { p.error-message { (m) } }
                                    @if l.state != "ended" {
                                        div.actions {
                                            form method="post" action={ "/places/housing/leases/" (l.id) "/act" } {
                                                (csrf(ctx))
                                                button.button.button-secondary type="submit" name="action" value="requalify" { (ctx.t("pl-requalify")) span.visually-hidden { " " (home) } }
                                            }
                                            form method="post" action={ "/places/housing/leases/" (l.id) "/act" } {
                                                (csrf(ctx))
                                                button.button.button-secondary type="submit" name="action" value="move_out" { (ctx.t("pl-move-out")) span.visually-hidden { " " (home) } }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                } }
            }
        }
        section #shanju aria-labelledby="h-pl-shanju" {
            h2 #h-pl-shanju { (ctx.t("pl-shanju-title")) }
            p { (ctx.t("pl-shanju-lead")) }
            (error_summary(ctx, of("project"), &["resident".to_owned(), "address".to_owned(), "basis".to_owned()]))
            form.stack method="post" action="/places/housing/shanju" novalidate {
                (csrf(ctx))
                (input(ctx, of("project"), &Input { name: "resident", label: &ctx.t("pl-resident-id"), hint: Some(&ctx.t("pl-resident-id-hint")), value: s.v("resident"), maxlength: Some(18), autocomplete: Some("off"), required: true, ..Default::default() }))
                (input(ctx, of("project"), &Input { name: "address", label: &ctx.t("pl-address"), value: s.v("address"), required: true, ..Default::default() }))
                (input(ctx, of("project"), &Input { name: "basis", label: &ctx.t("pl-basis"), hint: Some(&ctx.t("pl-basis-hint")), value: s.v("basis"), required: true, ..Default::default() }))
                button.button type="submit" { (ctx.t("pl-shanju-open")) }
            }
            @if projects.is_empty() { p { (ctx.t("pl-shanju-none")) } }
            @let target = s.form.strip_prefix("act-").map(str::to_owned);
            @for pr in &projects { (project_card(ctx, pr, true, &target, &s.errors)) }
        }
    };
    Ok(page_status(ctx, status, &title, body))
}

/// A 善居 project with the step its state allows (staff) or the rating (the resident).
fn project_card(ctx: &Ctx, pr: &ShanjuView, staff: bool, target: &Option<String>, errors: &Errors) -> Markup {
    let none = Errors::default();
    let errors = if target.as_deref() == Some(pr.id.as_str()) { errors } else { &none };
    let action = format!("/places/shanju/{}/act", pr.id);
    let which = ctx.ta("pl-project-which", crate::args![("id", pr.id.clone())]);
    let f = |n: &str| format!("{n}-{}", pr.id);
    let step: Option<&str> = if staff {
        match pr.state.as_str() {
            "opened" => Some("survey"),
            "surveyed" => Some("plan"),
            "planned" => Some("engage"),
            "contracted" => Some("start"),
            "in_progress" | "rectifying" => Some("inspect"),
            "completed" => Some("close"),
            _ => None,
        }
    } else if matches!(pr.state.as_str(), "completed" | "closed") && pr.satisfaction.is_none() {
        Some("rate")
    } else {
        None
    };
    let known: Vec<String> = ["notes", "items", "budget", "contractor", "credit_code", "passed", "cost", "score", "comment"].iter().map(|n| f(n)).collect();
    let passed = vec![("yes".to_owned(), ctx.t("pl-inspection-pass")), ("no".to_owned(), ctx.t("pl-inspection-fail"))];
    let scores: Vec<(String, String)> = (1..=5).rev().map(|n| (n.to_string(), ctx.t(&format!("pl-score-{n}")))).collect();
    html! {
        article.case-action #{ "project-" (pr.id) } aria-labelledby={ "h-pl-project-" (pr.id) } {
            h3 #{ "h-pl-project-" (pr.id) } { (which) " " (tag(if pr.state == "closed" || pr.state == "completed" { "ok" } else { "info" }, &named(ctx, &format!("pl-shanju-{}", pr.state), &pr.state))) }
            dl.summary {
                @if staff { dt { (ctx.t("pl-resident-id")) } dd { (pr.resident) } }
                dt { (ctx.t("pl-address")) } dd { (pr.address) }
                dt { (ctx.t("pl-basis")) } dd { (pr.basis) }
                dt { (ctx.t("pl-opened-on")) } dd { (pr.opened_on) }
                @if !pr.findings.is_empty() { dt { (ctx.t("pl-findings")) } dd { (pr.findings.join("；")) } }
                @if !pr.items.is_empty() { dt { (ctx.t("pl-items")) } dd { (pr.items.join("；")) } }
                @if let Some(b) = &pr.budget_yuan { dt { (ctx.t("pl-budget")) } dd { "¥" (b) } }
                @if let Some(c) = &pr.contractor { dt { (ctx.t("pl-contractor")) } dd { (c) } }
                @if !pr.inspections.is_empty() { dt { (ctx.t("pl-col-inspections")) } dd { (pr.inspections.join("；")) } }
                @if let Some(d) = &pr.completed_on { dt { (ctx.t("pl-completed-on")) } dd { (d) } }
                @if let Some(c) = &pr.actual_cost_yuan { dt { (ctx.t("pl-cost")) } dd { "¥" (c) } }
                @if let Some(n) = pr.satisfaction { dt { (ctx.t("pl-satisfaction")) } dd { (n) " / 5" } }
            }
            @if let Some(step) = step {
                (error_summary(ctx, errors, &known))
                form.stack method="post" action=(action) novalidate {
                    (csrf(ctx))
                    input type="hidden" name="action" value=(step);
                    @match step {
                        "survey" => { (textarea(ctx, errors, &f("notes"), &ctx.t("pl-survey-notes"), Some(&ctx.t("pl-lines-hint")), "", true)) }
                        "plan" => {
                            (textarea(ctx, errors, &f("items"), &ctx.t("pl-plan-items"), Some(&ctx.t("pl-plan-items-hint")), "", true))
                            (input(ctx, errors, &Input { name: &f("budget"), label: &ctx.t("pl-budget"), hint: Some(&ctx.t("pl-yuan-hint")), value: "", inputmode: Some("decimal"), width: Some("w-short"), required: true, ..Default::default() }))
                        }
                        "engage" => {
                            (input(ctx, errors, &Input { name: &f("contractor"), label: &ctx.t("pl-contractor"), value: "", required: true, ..Default::default() }))
                            (input(ctx, errors, &Input { name: &f("credit_code"), label: &ctx.t("pl-credit-code"), value: "", maxlength: Some(18), required: true, ..Default::default() }))
                        }
                        "inspect" => {
                            (radios(ctx, errors, &f("passed"), &ctx.t("pl-inspection-result"), &passed, "", true))
                            (textarea(ctx, errors, &f("notes"), &ctx.t("pl-rectify"), Some(&ctx.t("pl-lines-hint")), "", false))
                        }
                        "close" => { (input(ctx, errors, &Input { name: &f("cost"), label: &ctx.t("pl-cost"), hint: Some(&ctx.t("pl-yuan-hint")), value: "", inputmode: Some("decimal"), width: Some("w-short"), required: true, ..Default::default() })) }
                        "rate" => {
                            (radios(ctx, errors, &f("score"), &ctx.t("pl-score"), &scores, "", true))
                            (textarea(ctx, errors, &f("comment"), &ctx.t("pl-comment"), None, "", false))
                        }
                        _ => {}
                    }
                    button.button type="submit" { (ctx.t(&format!("pl-step-{step}"))) span.visually-hidden { " " (which) } }
                }
            }
        }
    }
}

/// Redirect or re-show the housing staff page for a row's action.
async fn h_staff_result<T>(ctx: &Ctx, web: &Web, r: Result<T, Failure>, done: &str, form: String, fields: std::collections::BTreeMap<String, String>, rename: &[(&str, String)]) -> Result<Response, Failure> {
    match r {
        Ok(_) => Ok(redirect(&format!("/places/housing/staff?done={done}"))),
        Err(e) if on_form(&e) => {
            let mut errors = form_errors(ctx, &e, rename);
            if form.starts_with("act-") && errors.0.iter().all(|(f, _)| f.is_empty()) {
                // A row's button: the message beside it.
                for (f, _) in &mut errors.0 {
                    *f = "row".into();
                }
            }
            render_h_staff(ctx, web, HStaffShown { form, errors, fields, ..Default::default() }, e.status()).await
        }
        Err(e) => Err(e),
    }
}

fn fields_of(form: &PostForm, names: &[&str]) -> std::collections::BTreeMap<String, String> {
    names.iter().map(|n| ((*n).to_owned(), form.get(n).unwrap_or_default())).collect()
}

/// `POST /places/housing/draws`: commits a draw.
pub async fn create_draw(State(web): State<Web>, ctx: Ctx, form: PostForm) -> Response {
    let r = async {
        let p = ctx.require()?;
        let fields = fields_of(&form, &["title", "homes"]);
        let mut errors = Errors::default();
        let title = fields["title"].trim().to_owned();
        if title.is_empty() {
            errors.push("title", ctx.t("pl-draw-title-required"));
        }
        let homes = fields["homes"].trim().parse::<u32>().ok().filter(|n| *n > 0);
        if homes.is_none() {
            errors.push("homes", ctx.t("pl-whole-number"));
        }
        let Some(homes) = homes.filter(|_| errors.is_empty()) else {
            return render_h_staff(&ctx, &web, HStaffShown { form: "draw".into(), errors, fields, ..Default::default() }, StatusCode::UNPROCESSABLE_ENTITY).await;
        };
        let r = housing::create_draw(&web.state, p, DrawBody { title, homes }).await;
        h_staff_result(&ctx, &web, r, "draw_committed#draws", "draw".into(), fields, &[("title", "title".to_owned()), ("homes_total", "homes".to_owned()), ("homes", "homes".to_owned())]).await
    }
    .await;
    finish(&ctx, r)
}

/// `POST /places/housing/draws/{id}/draw`: draws (the seed revealed).
pub async fn run_draw(State(web): State<Web>, ctx: Ctx, Path(id): Path<String>) -> Response {
    let r = async {
        let p = ctx.require()?;
        let r = housing::draw(&web.state, p, &id).await;
        h_staff_result(&ctx, &web, r, "drawn#draws", format!("act-{id}"), Default::default(), &[]).await
    }
    .await;
    finish(&ctx, r)
}

/// `POST /places/housing/homes`: adds a home.
pub async fn add_unit(State(web): State<Web>, ctx: Ctx, form: PostForm) -> Response {
    let r = async {
        let p = ctx.require()?;
        let names = ["estate", "building", "number", "floor_area_m2", "rooms", "market_rent_yuan"];
        let fields = fields_of(&form, &names);
        let mut errors = Errors::default();
        for n in ["estate", "building", "number", "floor_area_m2", "market_rent_yuan"] {
            if fields[n].trim().is_empty() {
                errors.push(n, ctx.t("pl-required"));
            }
        }
        let rooms = fields["rooms"].trim().parse::<u8>().ok();
        if rooms.is_none() {
            errors.push("rooms", ctx.t("pl-whole-number"));
        }
        let Some(rooms) = rooms.filter(|_| errors.is_empty()) else {
            return render_h_staff(&ctx, &web, HStaffShown { form: "unit".into(), errors, fields, ..Default::default() }, StatusCode::UNPROCESSABLE_ENTITY).await;
        };
        let body = UnitBody { estate: fields["estate"].clone(), building: fields["building"].clone(), number: fields["number"].clone(), floor_area_m2: fields["floor_area_m2"].trim().to_owned(), rooms, market_rent_yuan: fields["market_rent_yuan"].trim().to_owned() };
        let r = housing::add_unit(&web.state, p, body).await;
        let rename: Vec<(&str, String)> = names.iter().map(|n| (*n, (*n).to_owned())).collect();
        h_staff_result(&ctx, &web, r, "home_added#homes", "unit".into(), fields, &rename).await
    }
    .await;
    finish(&ctx, r)
}

/// `POST /places/housing/homes/{id}/offer`: offers a home to the next household in line.
pub async fn offer(State(web): State<Web>, ctx: Ctx, Path(id): Path<String>) -> Response {
    let r = async {
        let p = ctx.require()?;
        let r = housing::offer(&web.state, p, &id).await;
        h_staff_result(&ctx, &web, r, "offered#homes", format!("act-{id}"), Default::default(), &[]).await
    }
    .await;
    finish(&ctx, r)
}

/// `POST /places/housing/leases/{id}/act`: re-qualifies a lease or records the move-out.
pub async fn lease_act(State(web): State<Web>, ctx: Ctx, Path(id): Path<String>, form: PostForm) -> Response {
    let r = async {
        let p = ctx.require()?;
        let action = form.get("action").unwrap_or_default();
        let r = housing::lease_act(&web.state, p, &id, LeaseActionBody { action }).await;
        h_staff_result(&ctx, &web, r, "lease_done#leases", format!("act-{id}"), Default::default(), &[]).await
    }
    .await;
    finish(&ctx, r)
}

/// `POST /places/housing/shanju`: opens a 善居 project.
pub async fn open_project(State(web): State<Web>, ctx: Ctx, form: PostForm) -> Response {
    let r = async {
        let p = ctx.require()?;
        let fields = fields_of(&form, &["resident", "address", "basis"]);
        let mut errors = Errors::default();
        for n in ["resident", "address", "basis"] {
            if fields[n].trim().is_empty() {
                errors.push(n, ctx.t("pl-required"));
            }
        }
        if !errors.is_empty() {
            return render_h_staff(&ctx, &web, HStaffShown { form: "project".into(), errors, fields, ..Default::default() }, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
        let body = ShanjuBody { resident: fields["resident"].trim().to_owned(), address: fields["address"].trim().to_owned(), basis: fields["basis"].trim().to_owned() };
        let r = housing::open_project(&web.state, p, body).await;
        h_staff_result(&ctx, &web, r, "project_opened#shanju", "project".into(), fields, &[("resident", "resident".to_owned()), ("address", "address".to_owned()), ("basis", "basis".to_owned())]).await
    }
    .await;
    finish(&ctx, r)
}

/// `POST /places/shanju/{id}/act`: a step of a 善居 project (the housing department), or the
/// resident's rating.
pub async fn project_act(State(web): State<Web>, ctx: Ctx, Path(id): Path<String>, form: PostForm) -> Response {
    let r = async {
        let p = ctx.require()?;
        let staff = is_staff(&web, Some(p), Who::HOUSING);
        let action = form.get("action").unwrap_or_default();
        let g = |n: &str| form.get(&format!("{n}-{id}")).unwrap_or_default();
        let lines = |v: String| v.lines().map(|l| l.trim().to_owned()).filter(|l| !l.is_empty()).collect::<Vec<_>>();
        let mut items = Vec::new();
        for l in lines(g("items")) {
            // "description, cost" per line.
            let (d, c) = l.rsplit_once([',', '，', ' ']).unwrap_or((l.as_str(), ""));
            items.push(ShanjuItemBody { description: d.trim().to_owned(), cost_yuan: c.trim().to_owned() });
        }
        let body = ShanjuActionBody {
            action: action.clone(),
            notes: lines(g("notes")),
            items,
            budget_yuan: Some(g("budget").trim().to_owned()).filter(|x| !x.is_empty()),
            contractor: Some(g("contractor").trim().to_owned()).filter(|x| !x.is_empty()),
            credit_code: Some(g("credit_code").trim().to_owned()).filter(|x| !x.is_empty()),
            passed: match g("passed").as_str() {
                "yes" => Some(true),
                "no" => Some(false),
                _ => None,
            },
            cost_yuan: Some(g("cost").trim().to_owned()).filter(|x| !x.is_empty()),
            score: g("score").trim().parse::<u8>().ok(),
            comment: Some(g("comment").trim().to_owned()).filter(|x| !x.is_empty()),
        };
        let mut errors = Errors::default();
        match action.as_str() {
            "inspect" if body.passed.is_none() => errors.push(&format!("passed-{id}"), ctx.t("pl-result-required")),
            "rate" if body.score.is_none() => errors.push(&format!("score-{id}"), ctx.t("pl-score-required")),
            _ => {}
        }
        let (errors, status) = if !errors.is_empty() {
            (errors, StatusCode::UNPROCESSABLE_ENTITY)
        } else {
            match housing::project_act(&web.state, p, &id, body).await {
                Ok(_) if staff => return Ok(redirect(&format!("/places/housing/staff?done=step#project-{}", encode(&id)))),
                Ok(_) => return Ok(redirect(&format!("/places/housing?done=rated#project-{}", encode(&id)))),
                Err(e) if on_form(&e) => {
                    let rename: Vec<(String, String)> = [("notes", "notes"), ("items", "items"), ("budget_yuan", "budget"), ("contractor", "contractor"), ("credit_code", "credit_code"), ("passed", "passed"), ("cost_yuan", "cost"), ("score", "score"), ("comment", "comment")]
                        .iter()
                        .map(|(a, b)| ((*a).to_owned(), format!("{b}-{id}")))
                        .collect();
                    let rename: Vec<(&str, String)> = rename.iter().map(|(a, b)| (a.as_str(), b.clone())).collect();
                    (form_errors(&ctx, &e, &rename), e.status())
                }
                Err(e) => return Err(e),
            }
        };
        if staff {
            render_h_staff(&ctx, &web, HStaffShown { form: format!("act-{id}"), errors, ..Default::default() }, status).await
        } else {
            render_housing(&ctx, &web, HousingShown { target: Some(id.clone()), target_errors: errors, ..Default::default() }, status).await
        }
    }
    .await;
    finish(&ctx, r)
}
