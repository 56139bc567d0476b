//! Community governance (社区治理, issue 33): a resident's landing page (their estates, a report
//! form, their reports), an issue with its history and the actions the caller may take, the queue
//! of what the caller must act on (issues and expenses to review), an estate's public page (parties,
//! open issues, funds, meetings), a meeting with its tallies and the owner's vote, and the
//! supervised projects. Everything goes through `server::areas::governance::{cases, civic}`.

use std::collections::BTreeMap;

use axum::extract::Path;
use axum::extract::Query;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::DateTime;
use maud::Markup;
use maud::html;
use serde::Deserialize;
use server::areas::governance::cases;
use server::areas::governance::civic;
use server::areas::governance::views::EstateQuery;
use server::areas::governance::views::EstateView;
use server::areas::governance::views::ExpenseActionBody;
use server::areas::governance::views::ExpenseView;
use server::areas::governance::views::FundsView;
use server::areas::governance::views::IssueActionBody;
use server::areas::governance::views::IssueQuery;
use server::areas::governance::views::IssueView;
use server::areas::governance::views::MeetingActionBody;
use server::areas::governance::views::ProjectView;
use server::areas::governance::views::ReportBody;
use server::areas::governance::views::TallyView;
use server::areas::governance::views::YearQuery;
use server::auth::Principal;
use server::failure::Failure;

use super::form_errors;
use super::number;
use super::on_form;
use super::time;
use super::yuan;
use crate::Web;
use crate::ctx::Ctx;
use crate::forms::PostForm;
use crate::i18n::Lang;
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

/// Actions on an issue that need the text box filled in.
const NEEDS_TEXT: [&str; 7] = ["agree", "resolve", "decline", "escalate", "reopen", "note", "record_agreement"];

#[derive(Debug, Default, Deserialize)]
pub struct DoneQuery {
    /// What was just done (a banner): reported | acted | voted | attended | reviewed | paid |
    /// vote_recorded.
    pub done: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct EstatePageQuery {
    pub year: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct ProjectsQuery {
    pub community: Option<String>,
}

fn banner(ctx: &Ctx, done: Option<&str>) -> Option<String> {
    let key = match done? {
        "reported" => "gv-done-reported",
        "acted" => "gv-done-acted",
        "voted" => "gv-done-voted",
        "attended" => "gv-done-attended",
        "reviewed" => "gv-done-reviewed",
        "paid" => "gv-done-paid",
        "vote_recorded" => "gv-done-vote-recorded",
        _ => return None,
    };
    Some(ctx.t(key))
}

/// An RFC 3339 time (as the use cases give them) in China, to the minute.
fn time_of(t: &str) -> String {
    DateTime::parse_from_rfc3339(t).ok().map(|t| time(t.with_timezone(&chrono::Utc))).unwrap_or_else(|| t.to_owned())
}

fn state_tag(ctx: &Ctx, code: &str, label: &str) -> Markup {
    let class = match code {
        "confirmed" | "resolved" | "paid" | "verified" | "completed" | "closed" => "ok",
        "declined" | "rejected" => "bad",
        "deliberating" | "mediating" | "draft" => "warn",
        _ => "info",
    };
    tag(class, &named(ctx, &format!("gv-state-{code}"), label))
}

fn level_name(ctx: &Ctx, code: &str) -> String {
    named(ctx, &format!("gv-level-{code}"), code)
}

fn yes_no(ctx: &Ctx, b: bool) -> Markup {
    if b { tag("ok", &ctx.t("gv-yes")) } else { tag("grey", &ctx.t("gv-no")) }
}

/// A drop-down with its label and error; `choices`: (group label, [(value, label)]), the group
/// label empty for options outside any group.
fn select(ctx: &Ctx, errors: &Errors, name: &str, label: &str, hint: Option<&str>, choices: &[(String, Vec<(String, String)>)], value: &str) -> Markup {
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
                @for (group, options) in choices {
                    @if group.is_empty() {
                        @for (v, l) in options { option value=(v) selected[v == value] { (l) } }
                    } @else {
                        optgroup label=(group) {
                            @for (v, l) in options { option value=(v) selected[v == value] { (l) } }
                        }
                    }
                }
            }
        }
    }
}

/// A table of issues: each links to its page.
fn issues_table(ctx: &Ctx, issues: &[IssueView], caption: &str, actions: bool) -> Markup {
    html! {
        div.table-wrap { table {
            caption.visually-hidden { (caption) }
            thead { tr {
                th scope="col" { (ctx.t("gv-col-issue")) }
                th scope="col" { (ctx.t("gv-col-estate")) }
                th scope="col" { (ctx.t("gv-col-state")) }
                th scope="col" { (ctx.t("gv-col-responsible")) }
                th scope="col" { (ctx.t("gv-col-notes")) }
                th scope="col" { (ctx.t("gv-col-reported")) }
                @if actions { th scope="col" { (ctx.t("gv-deadline")) } th scope="col" { (ctx.t("gv-col-can")) } }
            } }
            tbody {
                @for i in issues {
                    tr {
                        th scope="row" {
                            a href={ "/governance/issues/" (i.id) } { (category_name(ctx, &i.category, &i.category_name)) " " span.muted { "#" (i.id) } }
                        }
                        td { a href={ "/governance/estates/" (i.estate) } { (i.estate_name) } }
                        td {
                            (state_tag(ctx, &i.state, &i.state_label))
                            @if i.overdue { " " (tag("bad", &ctx.t("gv-overdue"))) }
                        }
                        td { (i.agency_responsible) }
                        td { (i.status_notes) }
                        td { (time_of(&i.reported_at)) }
                        @if actions {
                            td { (i.deadline.as_deref().map(time_of).unwrap_or_else(|| "—".to_owned())) }
                            td { (i.can.iter().map(|a| action_name(ctx, a)).collect::<Vec<_>>().join(ctx.lang.pick("、", ", "))) }
                        }
                    }
                }
            }
        } }
    }
}

fn category_name(ctx: &Ctx, code: &str, fallback: &str) -> String {
    cases::rules().routing.categories.iter().find(|c| c.code == code).map_or_else(|| fallback.to_owned(), |c| ctx.lang.pick(&c.name_zh, &c.name_en).to_owned())
}

/// A step's note in words: a routing step names the parties (or the level) by code.
fn step_note(ctx: &Ctx, action: &str, note: &str) -> String {
    match action {
        "route" => note.split(',').filter(|c| !c.is_empty()).map(|c| ctx.lang.try_t(&format!("gv-party-{c}")).unwrap_or_else(|| level_name(ctx, c))).collect::<Vec<_>>().join(ctx.lang.pick("、", ", ")),
        "overdue" => level_name(ctx, note),
        _ => note.to_owned(),
    }
}

/// What an attribute of a category asks (its code when the rules no longer have it).
fn attribute_label(category: &str, code: &str) -> String {
    cases::rules().routing.categories.iter().find(|c| c.code == category).and_then(|c| c.attributes.iter().find(|a| a.code == code)).map_or_else(|| code.to_owned(), |a| a.description.clone())
}

fn action_name(ctx: &Ctx, action: &str) -> String {
    named(ctx, &format!("gv-do-{action}"), action)
}

// ---------------------------------------------------------------------------------------------
// The resident's landing page and report form.

/// The report form as it was sent (re-shown with its errors).
#[derive(Default)]
struct ReportShown {
    banner: Option<String>,
    errors: Errors,
    service_code: String,
    estate: String,
    description: String,
    address: String,
    lat: String,
    long: String,
    attributes: BTreeMap<String, String>,
}

/// `GET /governance`: the resident's estates, the report form and their reports.
pub async fn home(State(web): State<Web>, ctx: Ctx, Query(q): Query<DoneQuery>) -> Response {
    let r = async { render_home(&ctx, &web, ReportShown { banner: banner(&ctx, q.done.as_deref()), ..Default::default() }, StatusCode::OK).await }.await;
    finish(&ctx, r)
}

async fn render_home(ctx: &Ctx, web: &Web, s: ReportShown, status: StatusCode) -> Result<Response, Failure> {
    let p = ctx.require()?;
    let estates = cases::estates(&web.state, Some(p), EstateQuery { community: None, mine: None }).await?;
    let (mine, others): (Vec<&EstateView>, Vec<&EstateView>) = estates.iter().partition(|e| !e.my_parts.is_empty());
    let reports = cases::mine(&web.state, p, IssueQuery { limit: Some(50), ..Default::default() }).await?;
    let title = ctx.t("gv-home-title");
    let categories = &cases::rules().routing.categories;
    let category_choices = vec![
        (String::new(), vec![(String::new(), ctx.t("gv-choose-category"))]),
        (String::new(), categories.iter().map(|c| (c.code.clone(), ctx.lang.pick(&c.name_zh, &c.name_en).to_owned())).collect()),
    ];
    let estate_label = |e: &EstateView| format!("{}（{}）", e.name, e.community_name);
    let mut estate_choices = vec![(String::new(), vec![(String::new(), ctx.t("gv-estate-by-location"))])];
    if !mine.is_empty() {
        estate_choices.push((ctx.t("gv-my-estates"), mine.iter().map(|e| (e.id.clone(), estate_label(e))).collect()));
    }
    if !others.is_empty() {
        estate_choices.push((ctx.t("gv-other-estates"), others.iter().map(|e| (e.id.clone(), estate_label(e))).collect()));
    }
    let mut known: Vec<String> = ["service_code", "estate", "description", "address", "lat", "long"].iter().map(|f| (*f).to_owned()).collect();
    // Each category's attributes (an attribute two categories share is asked once).
    let mut seen: Vec<&str> = Vec::new();
    let mut groups = Vec::new();
    for c in categories.iter().filter(|c| !c.attributes.is_empty()) {
        let attributes: Vec<_> = c.attributes.iter().filter(|a| !seen.contains(&a.code.as_str())).collect();
        seen.extend(attributes.iter().map(|a| a.code.as_str()));
        if !attributes.is_empty() {
            known.extend(attributes.iter().map(|a| format!("attribute[{}]", a.code)));
            groups.push((ctx.lang.pick(&c.name_zh, &c.name_en).to_owned(), attributes));
        }
    }
    let body = html! {
        (banner_markup(s.banner.as_ref()))
        h1 { (title) }
        p.lead { (ctx.t("gv-home-lead")) }
        nav.contents aria-label=(ctx.t("gv-contents")) {
            ul.tabs {
                li { a href="#estates" { (ctx.t("gv-my-estates")) } }
                li { a href="#report" { (ctx.t("gv-report-title")) } }
                li { a href="#reports" { (ctx.t("gv-my-reports")) } }
                li { a href="/governance/queue" { (ctx.t("gv-queue-title")) } }
                li { a href="/governance/projects" { (ctx.t("gv-projects-title")) } }
            }
        }
        section #estates aria-labelledby="h-gv-estates" {
            h2 #h-gv-estates { (ctx.t("gv-my-estates")) }
            @if mine.is_empty() { p { (ctx.t("gv-no-estates")) } }
            @else {
                div.table-wrap { table {
                    caption.visually-hidden { (ctx.t("gv-my-estates")) }
                    thead { tr {
                        th scope="col" { (ctx.t("gv-col-estate")) }
                        th scope="col" { (ctx.t("gv-col-community")) }
                        th scope="col" { (ctx.t("gv-col-my-parts")) }
                        th.num scope="col" { (ctx.t("gv-col-open-issues")) }
                    } }
                    tbody {
                        @for e in &mine {
                            tr {
                                th scope="row" { a href={ "/governance/estates/" (e.id) } { (e.name) } }
                                td { (e.community_name) }
                                td { (parts_names(ctx, &e.my_parts)) }
                                td.num { (e.open_issues) }
                            }
                        }
                    }
                } }
            }
        }
        section #report aria-labelledby="h-gv-report" {
            h2 #h-gv-report { (ctx.t("gv-report-title")) }
            p { (ctx.t("gv-report-lead")) }
            (error_summary(ctx, &s.errors, &known))
            form.stack method="post" action="/governance/report" novalidate {
                (csrf(ctx))
                (select(ctx, &s.errors, "service_code", &ctx.t("gv-category"), None, &category_choices, &s.service_code))
                (select(ctx, &s.errors, "estate", &ctx.t("gv-estate"), Some(&ctx.t("gv-estate-hint")), &estate_choices, &s.estate))
                (textarea(ctx, &s.errors, "description", &ctx.t("gv-description"), Some(&ctx.t("gv-description-hint")), &s.description, true))
                (input(ctx, &s.errors, &Input { name: "address", label: &ctx.t("gv-address"), hint: Some(&ctx.t("gv-address-hint")), value: &s.address, maxlength: Some(500), ..Default::default() }))
                (input(ctx, &s.errors, &Input { name: "lat", label: &ctx.t("gv-lat"), hint: Some(&ctx.t("gv-latlon-hint")), value: &s.lat, inputmode: Some("decimal"), width: Some("w-short"), ..Default::default() }))
                (input(ctx, &s.errors, &Input { name: "long", label: &ctx.t("gv-long"), value: &s.long, inputmode: Some("decimal"), width: Some("w-short"), ..Default::default() }))
                @for (category, attributes) in &groups {
                    div.field {
                        fieldset {
                            legend { (ctx.ta("gv-attributes-of", crate::args![("category", category.clone())])) }
                            @for a in attributes {
                                (attribute_input(ctx, &s, category, &a.code, &a.description, a.datatype.code(), a.required))
                            }
                        }
                    }
                }
                button.button type="submit" { (ctx.t("gv-report-send")) }
            }
        }
        section #reports aria-labelledby="h-gv-reports" {
            h2 #h-gv-reports { (ctx.t("gv-my-reports")) }
            @if reports.issues.is_empty() { p { (ctx.t("gv-no-reports")) } }
            @else { (issues_table(ctx, &reports.issues, &ctx.t("gv-my-reports"), false)) }
        }
    };
    Ok(page_status(ctx, status, &title, body))
}

/// An attribute of a category, as `attribute[code]`.
fn attribute_input(ctx: &Ctx, s: &ReportShown, category: &str, code: &str, description: &str, datatype: &str, required: bool) -> Markup {
    let name = format!("attribute[{code}]");
    let kind = if datatype == "datetime" { "datetime-local" } else { "text" };
    let hint = required.then(|| ctx.ta("gv-attribute-required", crate::args![("category", category.to_owned())]));
    let value = s.attributes.get(code).cloned().unwrap_or_default();
    input(ctx, &s.errors, &Input { name: &name, label: description, hint: hint.as_deref(), value: &value, kind, inputmode: (datatype == "number").then_some("decimal"), required, ..Default::default() })
}

fn parts_names(ctx: &Ctx, parts: &[String]) -> String {
    parts.iter().map(|p| named(ctx, &format!("gv-part-{}", p.replace(':', "-")), p)).collect::<Vec<_>>().join(ctx.lang.pick("、", ", "))
}

/// A `datetime-local` value (China time) as RFC 3339; anything else as given.
fn rfc3339_of_local(v: &str) -> String {
    let v = v.trim();
    for fmt in ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"] {
        if let Ok(t) = chrono::NaiveDateTime::parse_from_str(v, fmt) {
            return format!("{}+08:00", t.format("%Y-%m-%dT%H:%M:%S"));
        }
    }
    v.to_owned()
}

/// `POST /governance/report`: the resident reports an issue.
pub async fn report(State(web): State<Web>, ctx: Ctx, form: PostForm) -> Response {
    let r = async {
        let p = ctx.require()?;
        let attributes: BTreeMap<String, String> = form.prefixed("attribute[").into_iter().map(|(k, v)| (k.trim_end_matches(']').to_owned(), v)).collect();
        let s = ReportShown {
            service_code: form.get("service_code").unwrap_or_default(),
            estate: form.get("estate").unwrap_or_default(),
            description: form.get("description").unwrap_or_default(),
            address: form.get("address").unwrap_or_default(),
            lat: form.get("lat").unwrap_or_default(),
            long: form.get("long").unwrap_or_default(),
            attributes,
            ..Default::default()
        };
        let mut errors = Errors::default();
        let category = cases::rules().routing.categories.iter().find(|c| c.code == s.service_code);
        if category.is_none() {
            errors.push("service_code", ctx.t("gv-category-required"));
        }
        if s.description.is_empty() {
            errors.push("description", ctx.t("gv-description-required"));
        }
        let mut coordinate = |field: &str, v: &str| -> Option<f64> {
            if v.is_empty() {
                return None;
            }
            let x = v.parse::<f64>().ok().filter(|x| x.is_finite());
            if x.is_none() {
                errors.push(field, ctx.t("gv-coordinate-invalid"));
            }
            x
        };
        let lat = coordinate("lat", &s.lat);
        let long = coordinate("long", &s.long);
        if !errors.is_empty() {
            return render_home(&ctx, &web, ReportShown { errors, ..s }, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
        // Only the chosen category's attributes are sent; a datetime from the browser's picker is
        // China time.
        let mut attributes = BTreeMap::new();
        if let Some(c) = category {
            for a in &c.attributes {
                if let Some(v) = s.attributes.get(&a.code) {
                    let v = if a.datatype.code() == "datetime" { rfc3339_of_local(v) } else { v.clone() };
                    attributes.insert(a.code.clone(), v);
                }
            }
        }
        // Without a point nor an address, a chosen estate is the place.
        let mut address = Some(s.address.clone()).filter(|a| !a.is_empty());
        if address.is_none()
            && lat.is_none()
            && long.is_none()
            && !s.estate.is_empty()
            && let Ok(e) = cases::estate(&web.state, Some(p), &s.estate).await
        {
            address = Some(e.name);
        }
        let body = ReportBody {
            service_code: s.service_code.clone(),
            estate: Some(s.estate.clone()).filter(|e| !e.is_empty()),
            lat,
            long,
            address_string: address,
            description: Some(s.description.clone()),
            media_url: None,
            attributes,
        };
        match cases::report(&web.state, p, body).await {
            Ok(v) => Ok(redirect(&format!("/governance/issues/{}?done=reported", encode(&v.id)))),
            Err(e) if on_form(&e) => {
                let mut rename: Vec<(&str, String)> = ["service_code", "estate", "description", "lat", "long"].iter().map(|f| (*f, (*f).to_owned())).collect();
                rename.push(("address_string", "address".to_owned()));
                let names: Vec<String> = category.map(|c| c.attributes.iter().map(|a| format!("attribute[{}]", a.code)).collect()).unwrap_or_default();
                for n in &names {
                    rename.push((n.as_str(), n.clone()));
                }
                let errors = form_errors(&ctx, &e, &rename);
                render_home(&ctx, &web, ReportShown { errors, ..s }, e.status()).await
            }
            Err(e) => Err(e),
        }
    }
    .await;
    finish(&ctx, r)
}

// ---------------------------------------------------------------------------------------------
// An issue.

#[derive(Default)]
struct IssueShown {
    banner: Option<String>,
    errors: Errors,
    text: String,
    signatories: String,
}

/// `GET /governance/issues/{id}`: an issue, its history and what the caller may do.
pub async fn issue(State(web): State<Web>, ctx: Ctx, Path(id): Path<String>, Query(q): Query<DoneQuery>) -> Response {
    let r = async { render_issue(&ctx, &web, &id, IssueShown { banner: banner(&ctx, q.done.as_deref()), ..Default::default() }, StatusCode::OK).await }.await;
    finish(&ctx, r)
}

async fn render_issue(ctx: &Ctx, web: &Web, id: &str, s: IssueShown, status: StatusCode) -> Result<Response, Failure> {
    let v = cases::issue(&web.state, ctx.user.as_ref(), id).await?;
    let category = category_name(ctx, &v.category, &v.category_name);
    let title = ctx.ta("gv-issue-title", crate::args![("category", category.clone()), ("id", v.id.clone())]);
    let action = format!("/governance/issues/{}/act", v.id);
    let known = vec!["text".to_owned(), "signatories".to_owned()];
    let body = html! {
        (breadcrumbs(ctx, &[("/governance", ctx.t("gv-home-title")), ("", title.clone())]))
        (banner_markup(s.banner.as_ref()))
        h1 { (title) }
        ul.figures {
            li { span.num { (state_tag(ctx, &v.state, &v.state_label)) } span.lbl { (ctx.t("gv-col-state")) } }
            li { span.num { (level_name(ctx, &v.level)) } span.lbl { (ctx.t("gv-level")) } }
            li {
                span.num { (v.deadline.as_deref().map(time_of).unwrap_or_else(|| "—".to_owned())) }
                span.lbl { (ctx.t("gv-deadline")) @if v.overdue { " " (tag("bad", &ctx.t("gv-overdue"))) } }
            }
        }
        dl.summary {
            dt { (ctx.t("gv-description")) } dd { (v.description) }
            dt { (ctx.t("gv-col-estate")) } dd { a href={ "/governance/estates/" (v.estate) } { (v.estate_name) } }
            @if let Some(a) = &v.address { dt { (ctx.t("gv-address")) } dd { (a) } }
            dt { (ctx.t("gv-location")) } dd { (number(v.lat, 5)) ", " (number(v.lon, 5)) }
            @for (k, val) in &v.attributes { dt { (attribute_label(&v.category, k)) } dd { (val) } }
            dt { (ctx.t("gv-col-responsible")) } dd { (v.agency_responsible) }
            @if !v.parties.is_empty() { dt { (ctx.t("gv-parties")) } dd { (v.parties.join(ctx.lang.pick("、", ", "))) } }
            @if !v.agreed.is_empty() { dt { (ctx.t("gv-agreed")) } dd { (v.agreed.join(ctx.lang.pick("、", ", "))) } }
            @if let Some(plan) = &v.plan { dt { (ctx.t("gv-plan")) } dd { (plan) } }
            dt { (ctx.t("gv-department")) } dd { (v.department) }
            dt { (ctx.t("gv-col-notes")) } dd { (v.status_notes) }
            dt { (ctx.t("gv-col-reported")) } dd { (time_of(&v.reported_at)) }
            dt { (ctx.t("gv-updated")) } dd { (time_of(&v.updated_at)) }
            @if v.escalations > 0 { dt { (ctx.t("gv-escalations")) } dd { (v.escalations) } }
            @if v.reopened > 0 { dt { (ctx.t("gv-reopened")) } dd { (v.reopened) } }
            @if let Some(a) = &v.agreement { dt { (ctx.t("gv-agreement")) } dd { (a) } }
            @if !v.permits.is_empty() { dt { (ctx.t("gv-permits")) } dd { (v.permits.join(", ")) } }
            @if !v.decisions.is_empty() { dt { (ctx.t("gv-decisions")) } dd { (v.decisions.join(", ")) } }
        }
        @if let Some(d) = &v.declined {
            section #declined aria-labelledby="h-gv-declined" {
                h2 #h-gv-declined { (ctx.t("gv-declined-title")) }
                dl.summary {
                    dt { (ctx.t("gv-declined-by")) } dd { (d.by) " · " (level_name(ctx, &d.level)) }
                    dt { (ctx.t("gv-declined-reason")) } dd { (d.reason) }
                    dt { (ctx.t("gv-col-when")) } dd { (time_of(&d.at)) }
                }
            }
        }
        section #actions aria-labelledby="h-gv-actions" {
            h2 #h-gv-actions { (ctx.t("gv-actions")) }
            @if v.can.is_empty() { (error_summary(ctx, &s.errors, &[])) }
            @if ctx.user.is_none() {
                p { a href={ "/login?next=" (encode(&ctx.here)) } { (ctx.t("gv-sign-in-to-act")) } }
            } @else if v.can.is_empty() {
                p { (ctx.t("gv-nothing-to-do")) }
            } @else {
                (error_summary(ctx, &s.errors, &known))
                form.stack method="post" action=(action) novalidate {
                    (csrf(ctx))
                    (textarea(ctx, &s.errors, "text", &ctx.t("gv-text"), Some(&ctx.t("gv-text-hint")), &s.text, false))
                    @if v.can.iter().any(|a| a == "record_agreement") {
                        (input(ctx, &s.errors, &Input { name: "signatories", label: &ctx.t("gv-signatories"), hint: Some(&ctx.t("gv-signatories-hint")), value: &s.signatories, ..Default::default() }))
                    }
                    div.actions {
                        @for a in &v.can {
                            @let secondary = matches!(a.as_str(), "note" | "decline" | "escalate" | "reopen");
                            button class={ "button" @if secondary { " button-secondary" } } type="submit" name="action" value=(a) { (action_name(ctx, a)) }
                        }
                    }
                }
            }
        }
        section #history aria-labelledby="h-gv-history" {
            h2 #h-gv-history { (ctx.t("gv-history")) }
            div.table-wrap { table {
                caption.visually-hidden { (ctx.t("gv-history")) }
                thead { tr {
                    th scope="col" { (ctx.t("gv-col-when")) }
                    th scope="col" { (ctx.t("gv-col-who")) }
                    th scope="col" { (ctx.t("gv-col-what")) }
                    th scope="col" { (ctx.t("gv-col-state")) }
                    th scope="col" { (ctx.t("gv-col-note")) }
                } }
                tbody {
                    @for h in &v.history {
                        tr {
                            th scope="row" { (time_of(&h.at)) }
                            td { (h.by) }
                            td { (named(ctx, &format!("gv-step-{}", h.action), &h.action_label)) }
                            td { (named(ctx, &format!("gv-state-{}", h.state), &h.state)) }
                            td { (step_note(ctx, &h.action, &h.note)) }
                        }
                    }
                }
            } }
        }
    };
    Ok(page_status(ctx, status, &title, body))
}

/// `POST /governance/issues/{id}/act`: the caller acts on an issue.
pub async fn act(State(web): State<Web>, ctx: Ctx, Path(id): Path<String>, form: PostForm) -> Response {
    let r = async {
        let p = ctx.require()?;
        let action = form.get("action").unwrap_or_default();
        let s = IssueShown { text: form.get("text").unwrap_or_default(), signatories: form.get("signatories").unwrap_or_default(), ..Default::default() };
        if NEEDS_TEXT.contains(&action.as_str()) && s.text.is_empty() {
            let mut errors = Errors::default();
            errors.push("text", ctx.ta("gv-text-required", crate::args![("action", action_name(&ctx, &action))]));
            return render_issue(&ctx, &web, &id, IssueShown { errors, ..s }, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
        let signatories = s.signatories.split([',', '，', ' ', '、', '\n']).map(str::trim).filter(|l| !l.is_empty()).map(str::to_owned).collect();
        let body = IssueActionBody { action: action.clone(), as_: None, text: Some(s.text.clone()).filter(|t| !t.is_empty()), signatories };
        match cases::act(&web.state, p, &id, body).await {
            Ok(v) => Ok(redirect(&format!("/governance/issues/{}?done=acted", encode(&v.id)))),
            Err(e) if on_form(&e) => {
                let rename = [("plan", "text".to_owned()), ("note", "text".to_owned()), ("reason", "text".to_owned()), ("text", "text".to_owned()), ("signatories", "signatories".to_owned())];
                let errors = form_errors(&ctx, &e, &rename);
                render_issue(&ctx, &web, &id, IssueShown { errors, ..s }, e.status()).await
            }
            Err(e) => Err(e),
        }
    }
    .await;
    finish(&ctx, r)
}

// ---------------------------------------------------------------------------------------------
// The queue.

/// The queue as shown: the expense whose form was sent back (with its errors and what was typed).
#[derive(Default)]
struct QueueShown {
    banner: Option<String>,
    errors: Errors,
    /// The expense whose form was sent, and the action.
    expense: Option<String>,
    action: String,
    passed: String,
    note: String,
    date: String,
    meeting: String,
    item: String,
}

/// The name of an expense form's input: one per expense on the page (`note-123`).
fn expense_field(name: &str, id: &str) -> String {
    format!("{name}-{id}")
}

/// `GET /governance/queue`: the issues the caller must act on and the expenses awaiting their
/// review.
pub async fn queue(State(web): State<Web>, ctx: Ctx, Query(q): Query<DoneQuery>) -> Response {
    let r = async { render_queue(&ctx, &web, QueueShown { banner: banner(&ctx, q.done.as_deref()), ..Default::default() }, StatusCode::OK).await }.await;
    finish(&ctx, r)
}

async fn render_queue(ctx: &Ctx, web: &Web, s: QueueShown, status: StatusCode) -> Result<Response, Failure> {
    let p = ctx.require()?;
    let issues = cases::queue(&web.state, p, IssueQuery { limit: Some(200), ..Default::default() }).await?;
    let expenses = civic::expense_queue(&web.state, p).await?;
    let title = ctx.t("gv-queue-title");
    let body = html! {
        (banner_markup(s.banner.as_ref()))
        h1 { (title) }
        p.lead { (ctx.t("gv-queue-lead")) }
        ul.figures {
            li { span.num { (issues.issues.len()) } span.lbl { (ctx.t("gv-queue-issues")) } }
            li { span.num { (issues.issues.iter().filter(|i| i.overdue).count()) } span.lbl { (ctx.t("gv-overdue")) } }
            li { span.num { (expenses.len()) } span.lbl { (ctx.t("gv-queue-expenses")) } }
        }
        section #issues aria-labelledby="h-gv-queue-issues" {
            h2 #h-gv-queue-issues { (ctx.t("gv-queue-issues")) }
            @if issues.issues.is_empty() { p { (ctx.t("gv-queue-none")) } }
            @else { (issues_table(ctx, &issues.issues, &ctx.t("gv-queue-issues"), true)) }
        }
        section #expenses aria-labelledby="h-gv-queue-expenses" {
            h2 #h-gv-queue-expenses { (ctx.t("gv-queue-expenses")) }
            @if expenses.is_empty() { p { (ctx.t("gv-queue-no-expenses")) } }
            @else {
                (expenses_table(ctx, &expenses, &ctx.t("gv-queue-expenses"), true))
                @for x in &expenses { (expense_forms(ctx, x, &s)) }
            }
        }
    };
    Ok(page_status(ctx, status, &title, body))
}

/// What the caller may do to an expense in their queue: review it at the level due, or (verified)
/// pay it and record the owners' vote; the forms of the one sent back keep what was typed and
/// show its errors.
fn expense_forms(ctx: &Ctx, x: &ExpenseView, s: &QueueShown) -> Markup {
    let none = QueueShown::default();
    let s = if s.expense.as_deref() == Some(x.id.as_str()) { s } else { &none };
    let action = format!("/governance/expenses/{}/act", x.id);
    let f = |name: &str| expense_field(name, &x.id);
    let level = match x.state.as_str() {
        "submitted" => Some("estate_self_check"),
        "self_checked" => Some("community_recheck"),
        "rechecked" => Some("street_verification"),
        _ => None,
    };
    let of = |a: &str| if s.action == a { &s.errors } else { &none.errors };
    let known: Vec<String> = ["passed", "note", "date", "meeting", "item"].iter().map(|n| f(n)).collect();
    let passed_choices = vec![("yes".to_owned(), ctx.t("gv-review-pass")), ("no".to_owned(), ctx.t("gv-review-send-back"))];
    let which = ctx.ta("gv-expense-which", crate::args![("id", x.id.clone())]);
    html! {
        article.case-action #{ "expense-" (x.id) } aria-labelledby={ "h-gv-expense-" (x.id) } {
            h3 #{ "h-gv-expense-" (x.id) } { (ctx.ta("gv-expense-title", crate::args![("id", x.id.clone()), ("purpose", x.purpose.clone())])) " " span.muted { (yuan(x.amount_fen)) } }
            (error_summary(ctx, &s.errors, &known))
            @if let Some(level) = level {
                form.stack method="post" action=(action) novalidate {
                    (csrf(ctx))
                    input type="hidden" name="action" value="review";
                    (radios(ctx, of("review"), &f("passed"), &ctx.ta("gv-review-at", crate::args![("level", named(ctx, &format!("gv-review-{level}"), level))]), &passed_choices, &s.passed, true))
                    (textarea(ctx, of("review"), &f("note"), &ctx.t("gv-review-note"), Some(&ctx.t("gv-review-note-hint")), &s.note, false))
                    button.button type="submit" { (ctx.t("gv-expense-do-review")) span.visually-hidden { " " (which) } }
                }
            } @else if x.state == "verified" {
                form.stack method="post" action=(action) novalidate {
                    (csrf(ctx))
                    input type="hidden" name="action" value="pay";
                    p { (ctx.t("gv-pay-lead")) }
                    (input(ctx, of("pay"), &Input { name: &f("date"), label: &ctx.t("gv-pay-date"), hint: Some(&ctx.t("gv-pay-date-hint")), value: &s.date, kind: "date", width: Some("w-short"), ..Default::default() }))
                    button.button type="submit" { (ctx.t("gv-expense-do-pay")) span.visually-hidden { " " (which) } }
                }
                form.stack method="post" action=(action) novalidate {
                    (csrf(ctx))
                    input type="hidden" name="action" value="record_vote";
                    p { (ctx.t("gv-record-vote-lead")) }
                    (input(ctx, of("record_vote"), &Input { name: &f("meeting"), label: &ctx.t("gv-vote-meeting"), hint: Some(&ctx.t("gv-vote-meeting-hint")), value: &s.meeting, inputmode: Some("numeric"), width: Some("w-short"), required: true, ..Default::default() }))
                    (input(ctx, of("record_vote"), &Input { name: &f("item"), label: &ctx.t("gv-vote-item"), value: &s.item, inputmode: Some("numeric"), width: Some("w-short"), maxlength: Some(4), required: true, ..Default::default() }))
                    button.button.button-secondary type="submit" { (ctx.t("gv-expense-do-record-vote")) span.visually-hidden { " " (which) } }
                }
            }
        }
    }
}

/// `POST /governance/expenses/{id}/act`: the caller reviews an expense in their queue, pays it or
/// records the owners' vote that approved it; back to the queue with a banner, or the queue with
/// the errors next to the expense's fields. A refusal of an expense the caller has nothing to do
/// with is an error page.
pub async fn expense_act(State(web): State<Web>, ctx: Ctx, Path(id): Path<String>, form: PostForm) -> Response {
    let r = async {
        let p = ctx.require()?;
        let action = form.get("action").unwrap_or_default();
        let f = |name: &str| expense_field(name, &id);
        let s = QueueShown {
            expense: Some(id.clone()),
            action: action.clone(),
            passed: form.get(&f("passed")).unwrap_or_default(),
            note: form.get(&f("note")).unwrap_or_default(),
            date: form.get(&f("date")).unwrap_or_default(),
            meeting: form.get(&f("meeting")).unwrap_or_default(),
            item: form.get(&f("item")).unwrap_or_default(),
            ..Default::default()
        };
        let body = match action.as_str() {
            "review" => {
                let passed = match s.passed.as_str() {
                    "yes" => Some(true),
                    "no" => Some(false),
                    _ => None,
                };
                ExpenseActionBody { action: action.clone(), passed, note: Some(s.note.clone()).filter(|n| !n.is_empty()), meeting: None, item: None, date: None }
            }
            "pay" => ExpenseActionBody { action: action.clone(), passed: None, note: None, meeting: None, item: None, date: Some(s.date.clone()).filter(|d| !d.is_empty()) },
            "record_vote" => ExpenseActionBody { action: action.clone(), passed: None, note: None, meeting: Some(s.meeting.clone()), item: s.item.parse::<u32>().ok(), date: None },
            _ => return Err(Failure::invalid("unknown_action", "action", "没有这个操作", "No such action")),
        };
        match civic::expense_act(&web.state, p, &id, body).await {
            Ok(_) => {
                let done = match action.as_str() {
                    "review" => "reviewed",
                    "pay" => "paid",
                    _ => "vote_recorded",
                };
                Ok(redirect(&format!("/governance/queue?done={done}")))
            }
            // Not found when recording a vote, of an expense in the queue: the meeting typed.
            Err(Failure::NotFound { zh, en }) if action == "record_vote" => {
                let mut errors = Errors::default();
                errors.push(&f("meeting"), ctx.lang.pick(zh, en).to_owned());
                refused(&ctx, &web, p, s, errors, StatusCode::UNPROCESSABLE_ENTITY, Failure::NotFound { zh, en }).await
            }
            Err(e) if on_form(&e) => {
                let rename: Vec<(&str, String)> = ["passed", "note", "date", "meeting", "item"].iter().map(|n| (*n, f(n))).collect();
                let errors = form_errors(&ctx, &e, &rename);
                let status = e.status();
                refused(&ctx, &web, p, s, errors, status, e).await
            }
            Err(e) => Err(e),
        }
    }
    .await;
    finish(&ctx, r)
}

/// The queue with an expense's form sent back; when the expense is not in the caller's queue (they
/// have nothing to do with it, or it does not exist), the use case's refusal `e` as an error page
/// instead.
async fn refused(ctx: &Ctx, web: &Web, p: &Principal, s: QueueShown, errors: Errors, status: StatusCode, e: Failure) -> Result<Response, Failure> {
    let id = s.expense.clone().unwrap_or_default();
    if !civic::expense_queue(&web.state, p).await?.iter().any(|x| x.id == id) {
        return Err(e);
    }
    render_queue(ctx, web, QueueShown { errors, ..s }, status).await
}

fn expenses_table(ctx: &Ctx, rows: &[ExpenseView], caption: &str, estate: bool) -> Markup {
    html! {
        div.table-wrap { table {
            caption.visually-hidden { (caption) }
            thead { tr {
                th scope="col" { (ctx.t("gv-col-purpose")) }
                @if estate { th scope="col" { (ctx.t("gv-col-estate")) } }
                th scope="col" { (ctx.t("gv-col-line")) }
                th.num scope="col" { (ctx.t("gv-col-amount")) }
                th scope="col" { (ctx.t("gv-col-state")) }
                th scope="col" { (ctx.t("gv-col-reviews")) }
                th scope="col" { (ctx.t("gv-col-submitted")) }
            } }
            tbody {
                @for x in rows {
                    tr {
                        th scope="row" {
                            // In the queue, each links to what may be done to it.
                            @if estate { a href={ "#expense-" (x.id) } { (x.purpose) } } @else { (x.purpose) }
                            @if x.needs_vote { br; span.muted { (ctx.t("gv-needs-vote")) @if let Some(v) = &x.vote { " " (v) } } }
                        }
                        @if estate { td { a href={ "/governance/estates/" (x.estate) } { (x.estate) } } }
                        td { (x.line_name) }
                        td.num { (yuan(x.amount_fen)) }
                        td { (state_tag(ctx, &x.state, &x.state_label)) }
                        td {
                            @if x.reviews.is_empty() { "—" }
                            @else {
                                ul.detail-list {
                                    @for r in &x.reviews {
                                        li {
                                            (named(ctx, &format!("gv-review-{}", r.level), &r.level_label)) " "
                                            (if r.passed { tag("ok", &ctx.t("gv-review-passed")) } else { tag("bad", &ctx.t("gv-review-returned")) })
                                            " " (time_of(&r.at))
                                            @if !r.note.is_empty() { " — " (r.note) }
                                        }
                                    }
                                }
                            }
                        }
                        td { (time_of(&x.submitted_at)) @if let Some(d) = &x.paid_on { br; (ctx.ta("gv-paid-on", crate::args![("date", d.clone())])) } }
                    }
                }
            }
        } }
    }
}

// ---------------------------------------------------------------------------------------------
// An estate.

/// `GET /governance/estates/{id}`: an estate's parties, open issues, funds and meetings.
pub async fn estate(State(web): State<Web>, ctx: Ctx, Path(id): Path<String>, Query(q): Query<EstatePageQuery>) -> Response {
    let r = async {
        let ctx = &ctx;
        let user = ctx.user.as_ref();
        let e = cases::estate(&web.state, user, &id).await?;
        let issues = cases::issues(&web.state, user, IssueQuery { estate: Some(e.id.clone()), open: Some(true), limit: Some(100), offset: None }).await?;
        let meetings = civic::meetings(&web.state, user, &e.id).await?;
        let year_text = q.year.clone().map(|y| y.trim().to_owned()).filter(|y| !y.is_empty());
        let mut year_errors = Errors::default();
        let year = match year_text.as_deref().map(str::parse::<i32>) {
            None => None,
            Some(Ok(y)) => Some(y),
            Some(Err(_)) => {
                year_errors.push("year", ctx.t("gv-year-invalid"));
                None
            }
        };
        let funds: Option<FundsView> = if year_errors.is_empty() {
            match civic::funds(&web.state, &e.id, YearQuery { year }).await {
                Ok(f) => Some(f),
                Err(err) if on_form(&err) => {
                    year_errors = form_errors(ctx, &err, &[("year", "year".to_owned())]);
                    None
                }
                Err(err) => return Err(err),
            }
        } else {
            None
        };
        let status = if year_errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
        let title = e.name.clone();
        let year_value = year_text.clone().or_else(|| funds.as_ref().map(|f| f.year.to_string())).unwrap_or_default();
        let here = format!("/governance/estates/{}", encode(&e.id));
        let body = html! {
            (breadcrumbs(ctx, &[("/governance", ctx.t("gv-home-title")), ("", title.clone())]))
            h1 { (title) }
            p.lead { (e.community_name) " · " (e.town_name) }
            ul.figures {
                li { span.num { (e.owners) } span.lbl { (ctx.t("gv-owners")) } }
                li { span.num { (number(e.floor_area_m2, 2)) " m²" } span.lbl { (ctx.t("gv-floor-area")) } }
                li { span.num { (e.open_issues) } span.lbl { (ctx.t("gv-col-open-issues")) } }
                @if let Some(f) = &funds { li { span.num { (yuan(f.balance_fen)) } span.lbl { (ctx.t("gv-balance")) } } }
            }
            nav.contents aria-label=(ctx.t("gv-contents")) {
                ul.tabs {
                    li { a href="#parties" { (ctx.t("gv-parties-title")) } }
                    li { a href="#issues" { (ctx.t("gv-open-issues")) } }
                    li { a href="#funds" { (ctx.t("gv-funds-title")) } }
                    li { a href="#meetings" { (ctx.t("gv-meetings-title")) } }
                }
            }
            section #parties aria-labelledby="h-gv-parties" {
                h2 #h-gv-parties { (ctx.t("gv-parties-title")) }
                dl.summary {
                    @for party in &e.parties {
                        dt { (if ctx.lang == Lang::En { named(ctx, &format!("gv-party-{}", party.kind), &party.kind_label) } else { party.kind_label.clone() }) }
                        dd { (party.name) " " span.muted { (ctx.ta("gv-members", crate::args![("n", party.members)])) } }
                    }
                    @if !e.helpers.is_empty() { dt { (ctx.t("gv-helpers")) } dd { (e.helpers.join("、")) } }
                    dt { (ctx.t("gv-location")) } dd { (number(e.lat, 5)) ", " (number(e.lon, 5)) }
                    @if !e.my_parts.is_empty() { dt { (ctx.t("gv-col-my-parts")) } dd { (parts_names(ctx, &e.my_parts)) } }
                }
            }
            section #issues aria-labelledby="h-gv-open-issues" {
                h2 #h-gv-open-issues { (ctx.t("gv-open-issues")) }
                @if issues.issues.is_empty() { p { (ctx.t("gv-no-open-issues")) } }
                @else { (issues_table(ctx, &issues.issues, &ctx.t("gv-open-issues"), false)) }
            }
            section #funds aria-labelledby="h-gv-funds" {
                h2 #h-gv-funds { (ctx.t("gv-funds-title")) }
                p { (ctx.t("gv-funds-lead")) }
                (error_summary(ctx, &year_errors, &["year".to_owned()]))
                form.actions method="get" action=(here) {
                    (input(ctx, &year_errors, &Input { name: "year", label: &ctx.t("gv-year"), value: &year_value, inputmode: Some("numeric"), width: Some("w-short"), maxlength: Some(4), required: true, ..Default::default() }))
                    button.button.button-secondary type="submit" { (ctx.t("gv-show")) }
                }
                @if let Some(f) = &funds { (funds_body(ctx, f)) }
            }
            section #meetings aria-labelledby="h-gv-meetings" {
                h2 #h-gv-meetings { (ctx.t("gv-meetings-title")) }
                @if meetings.is_empty() { p { (ctx.t("gv-no-meetings")) } }
                @else {
                    div.table-wrap { table {
                        caption.visually-hidden { (ctx.t("gv-meetings-title")) }
                        thead { tr {
                            th scope="col" { (ctx.t("gv-col-meeting")) }
                            th scope="col" { (ctx.t("gv-col-kind")) }
                            th scope="col" { (ctx.t("gv-col-state")) }
                            th.num scope="col" { (ctx.t("gv-col-items")) }
                        } }
                        tbody {
                            @for m in &meetings {
                                tr {
                                    th scope="row" { a href={ "/governance/meetings/" (m.id) } { (m.title) } }
                                    td { (named(ctx, &format!("gv-meeting-kind-{}", m.kind), &m.kind_label)) }
                                    td { (state_tag(ctx, &format!("meeting-{}", m.state), &m.state)) }
                                    td.num { (m.agenda.len()) }
                                }
                            }
                        }
                    } }
                }
            }
        };
        Ok(page_status(ctx, status, &e.name, body))
    }
    .await;
    finish(&ctx, r)
}

fn funds_body(ctx: &Ctx, f: &FundsView) -> Markup {
    html! {
        h3 { (ctx.ta("gv-statement", crate::args![("year", i64::from(f.year))])) }
        dl.summary {
            dt { (ctx.t("gv-opening")) } dd { (yuan(f.opening_fen)) }
            dt { (ctx.t("gv-income")) } dd { (yuan(f.income_fen)) }
            dt { (ctx.t("gv-expense")) } dd { (yuan(f.expense_fen)) }
            dt { (ctx.t("gv-closing")) } dd { (yuan(f.closing_fen)) }
            dt { (ctx.t("gv-balance")) } dd { (yuan(f.balance_fen)) }
        }
        h3 { (ctx.t("gv-ledger")) }
        @if f.entries.is_empty() { p { (ctx.t("gv-no-entries")) } }
        @else {
            div.table-wrap { table {
                caption.visually-hidden { (ctx.t("gv-ledger")) }
                thead { tr {
                    th scope="col" { (ctx.t("gv-col-date")) }
                    th scope="col" { (ctx.t("gv-col-kind")) }
                    th.num scope="col" { (ctx.t("gv-col-amount")) }
                    th scope="col" { (ctx.t("gv-col-note")) }
                } }
                tbody {
                    @for x in &f.entries {
                        tr {
                            th scope="row" { (x.date) }
                            td {
                                @if x.kind == "income" { (tag("ok", &ctx.t("gv-income"))) " " } @else { (tag("info", &ctx.t("gv-expense"))) " " }
                                (match &x.source { Some(src) => named(ctx, &format!("gv-source-{src}"), &x.label), None => named(ctx, "gv-expense", &x.label) })
                            }
                            td.num { (yuan(x.amount_fen)) }
                            td { (x.note) }
                        }
                    }
                }
            } }
        }
        h3 { (ctx.t("gv-lines")) }
        @if f.lines.is_empty() { p { (ctx.t("gv-no-lines")) } }
        @else {
            div.table-wrap { table {
                caption.visually-hidden { (ctx.t("gv-lines")) }
                thead { tr {
                    th scope="col" { (ctx.t("gv-col-line")) }
                    th.num scope="col" { (ctx.t("gv-col-budget")) }
                    th.num scope="col" { (ctx.t("gv-col-spent")) }
                    th.num scope="col" { (ctx.t("gv-col-committed")) }
                    th.num scope="col" { (ctx.t("gv-col-remaining")) }
                } }
                tbody {
                    @for l in &f.lines {
                        tr {
                            th scope="row" { (l.name) }
                            td.num { (yuan(l.budget_fen)) }
                            td.num { (yuan(l.spent_fen)) }
                            td.num { (yuan(l.committed_fen)) }
                            td.num { (yuan(l.remaining_fen)) }
                        }
                    }
                }
            } }
        }
        h3 { (ctx.t("gv-expenses")) }
        @if f.expenses.is_empty() { p { (ctx.t("gv-no-expenses")) } }
        @else { (expenses_table(ctx, &f.expenses, &ctx.t("gv-expenses"), false)) }
    }
}

// ---------------------------------------------------------------------------------------------
// A meeting.

#[derive(Default)]
struct MeetingShown {
    banner: Option<String>,
    errors: Errors,
    /// The item whose vote was sent back, and the choice sent.
    item: Option<u32>,
    choice: String,
}

/// `GET /governance/meetings/{id}`: a meeting, its agenda and tallies, and the vote.
pub async fn meeting(State(web): State<Web>, ctx: Ctx, Path(id): Path<String>, Query(q): Query<DoneQuery>) -> Response {
    let r = async { render_meeting(&ctx, &web, &id, MeetingShown { banner: banner(&ctx, q.done.as_deref()), ..Default::default() }, StatusCode::OK).await }.await;
    finish(&ctx, r)
}

fn tally_table(ctx: &Ctx, no: u32, t: &TallyView) -> Markup {
    let rows = [("gv-entitled", &t.entitled), ("gv-voted", &t.voted), ("gv-choice-for", &t.for_), ("gv-choice-against", &t.against), ("gv-choice-abstain", &t.abstained)];
    html! {
        div.table-wrap { table {
            caption { (ctx.ta("gv-tally-of", crate::args![("no", no)])) }
            thead { tr {
                th scope="col" { (ctx.t("gv-col-count")) }
                th.num scope="col" { (ctx.t("gv-col-people")) }
                th.num scope="col" { (ctx.t("gv-col-area")) }
            } }
            tbody {
                @for (k, c) in rows {
                    tr { th scope="row" { (ctx.t(k)) } td.num { (c.people) } td.num { (number(c.area_m2, 2)) } }
                }
            }
        } }
        p { (ctx.t("gv-quorum")) " " (yes_no(ctx, t.quorum)) " · " (ctx.t("gv-passed")) " " (yes_no(ctx, t.passed)) " · " span.muted { (t.threshold) } }
    }
}

async fn render_meeting(ctx: &Ctx, web: &Web, id: &str, s: MeetingShown, status: StatusCode) -> Result<Response, Failure> {
    let user = ctx.user.as_ref();
    let m = civic::meeting(&web.state, user, id).await?;
    let e = cases::estate(&web.state, user, &m.estate).await?;
    let open = m.state == "open";
    // An owners' assembly is voted by owners; a council or consultation by those present (the
    // use case refuses anyone else).
    let may_vote = user.is_some() && open && (m.kind != "owners_assembly" || e.my_parts.iter().any(|p| p == "owner"));
    let action = format!("/governance/meetings/{}/act", m.id);
    let choices = vec![("for".to_owned(), ctx.t("gv-choice-for")), ("against".to_owned(), ctx.t("gv-choice-against")), ("abstain".to_owned(), ctx.t("gv-choice-abstain"))];
    let title = m.title.clone();
    let none = Errors::default();
    let body = html! {
        (breadcrumbs(ctx, &[(&format!("/governance/estates/{}", m.estate), m.estate_name.clone()), ("", title.clone())]))
        (banner_markup(s.banner.as_ref()))
        h1 { (title) }
        ul.figures {
            li { span.num { (named(ctx, &format!("gv-meeting-kind-{}", m.kind), &m.kind_label)) } span.lbl { (ctx.t("gv-col-kind")) } }
            li { span.num { (state_tag(ctx, &format!("meeting-{}", m.state), &m.state)) } span.lbl { (ctx.t("gv-col-state")) } }
            li { span.num { (m.attendance) } span.lbl { (ctx.t("gv-attendance")) } }
        }
        @if user.is_none() && open {
            p { a href={ "/login?next=" (encode(&ctx.here)) } { (ctx.t("gv-sign-in-to-vote")) } }
        }
        @if user.is_some() && open {
            (error_summary(ctx, &s.errors, &s.item.map(|i| vec![format!("choice-{i}")]).unwrap_or_default()))
            form method="post" action=(action) {
                (csrf(ctx))
                input type="hidden" name="action" value="attend";
                p { (ctx.t("gv-attend-hint")) }
                button.button.button-secondary type="submit" { (ctx.t("gv-attend")) }
            }
        }
        section #agenda aria-labelledby="h-gv-agenda" {
            h2 #h-gv-agenda { (ctx.t("gv-agenda")) }
            @if m.agenda.is_empty() { p { (ctx.t("gv-no-agenda")) } }
            @for a in &m.agenda {
                article.case-action aria-labelledby={ "h-gv-item-" (a.no) } {
                    h3 #{ "h-gv-item-" (a.no) } { (ctx.ta("gv-item", crate::args![("no", a.no), ("title", a.title.clone())])) }
                    @if let Some(label) = &a.matter_label { p { (ctx.t("gv-matter")) " " (label) } }
                    @if !a.issues.is_empty() {
                        p { (ctx.t("gv-settles")) " "
                            @for (i, issue) in a.issues.iter().enumerate() {
                                @if i > 0 { ", " }
                                a href={ "/governance/issues/" (issue) } { "#" (issue) }
                            }
                        }
                    }
                    p { (ctx.ta("gv-ballots", crate::args![("n", a.ballots)])) }
                    @if let Some(v) = &a.my_vote { p { strong { (ctx.t("gv-my-vote")) } " " (named(ctx, &format!("gv-choice-{v}"), v)) } }
                    @if let Some(t) = &a.tally { (tally_table(ctx, a.no, t)) }
                    @if may_vote && a.my_vote.is_none() {
                        @let field = format!("choice-{}", a.no);
                        @let errors = if s.item == Some(a.no) { &s.errors } else { &none };
                        form.stack method="post" action=(action) novalidate {
                            (csrf(ctx))
                            input type="hidden" name="action" value="vote";
                            input type="hidden" name="item" value=(a.no);
                            (radios(ctx, errors, &field, &ctx.ta("gv-vote-on", crate::args![("no", a.no)]), &choices, if s.item == Some(a.no) { &s.choice } else { "" }, true))
                            button.button type="submit" { (ctx.t("gv-vote")) span.visually-hidden { " " (ctx.ta("gv-vote-on", crate::args![("no", a.no)])) } }
                        }
                    }
                }
            }
        }
        @if let Some(minutes) = &m.minutes {
            section #minutes aria-labelledby="h-gv-minutes" {
                h2 #h-gv-minutes { (ctx.t("gv-minutes")) }
                p { (minutes) }
                p.muted { (ctx.ta("gv-minutes-versions", crate::args![("n", m.minutes_versions)])) " · " (if m.minutes_approved { ctx.t("gv-minutes-approved") } else { ctx.t("gv-minutes-draft") }) }
            }
        }
    };
    Ok(page_status(ctx, status, &m.title, body))
}

/// `POST /governance/meetings/{id}/act`: the caller attends or votes.
pub async fn meeting_act(State(web): State<Web>, ctx: Ctx, Path(id): Path<String>, form: PostForm) -> Response {
    let r = async {
        let p = ctx.require()?;
        let action = form.get("action").unwrap_or_default();
        let item = form.get("item").and_then(|i| i.parse::<u32>().ok());
        let field = item.map(|i| format!("choice-{i}")).unwrap_or_default();
        let choice = form.get(&field).unwrap_or_default();
        let s = MeetingShown { item, choice: choice.clone(), ..Default::default() };
        let body = match action.as_str() {
            "attend" => MeetingActionBody { action: action.clone(), title: None, matter: None, issues: Vec::new(), item: None, choice: None, text: None, reason: None },
            "vote" => {
                if item.is_none() || choice.is_empty() {
                    let mut errors = Errors::default();
                    errors.push(&field, ctx.t("gv-choice-required"));
                    return render_meeting(&ctx, &web, &id, MeetingShown { errors, ..s }, StatusCode::UNPROCESSABLE_ENTITY).await;
                }
                MeetingActionBody { action: action.clone(), title: None, matter: None, issues: Vec::new(), item, choice: Some(choice.clone()), text: None, reason: None }
            }
            _ => return Err(Failure::invalid("unknown_action", "action", "没有这个操作", "No such action")),
        };
        match civic::meeting_act(&web.state, p, &id, body).await {
            Ok(v) => Ok(redirect(&format!("/governance/meetings/{}?done={}", encode(&v.id), if action == "vote" { "voted" } else { "attended" }))),
            Err(e) if on_form(&e) => {
                let errors = form_errors(&ctx, &e, &[("choice", field.clone())]);
                render_meeting(&ctx, &web, &id, MeetingShown { errors, ..s }, e.status()).await
            }
            Err(e) => Err(e),
        }
    }
    .await;
    finish(&ctx, r)
}

// ---------------------------------------------------------------------------------------------
// Projects.

/// `GET /governance/projects`: the livelihood projects under supervision.
pub async fn projects(State(web): State<Web>, ctx: Ctx, Query(q): Query<ProjectsQuery>) -> Response {
    let r = async {
        let ctx = &ctx;
        let community = q.community.clone().map(|c| c.trim().to_owned()).filter(|c| !c.is_empty());
        let list = civic::projects(&web.state, community.as_deref()).await?;
        let title = ctx.t("gv-projects-title");
        let body = html! {
            h1 { (title) }
            p.lead { (ctx.t("gv-projects-lead")) }
            form.actions method="get" action="/governance/projects" {
                (input(ctx, &Errors::default(), &Input { name: "community", label: &ctx.t("gv-col-community"), hint: Some(&ctx.t("gv-community-hint")), value: community.as_deref().unwrap_or(""), inputmode: Some("numeric"), maxlength: Some(12), ..Default::default() }))
                button.button.button-secondary type="submit" { (ctx.t("gv-show")) }
            }
            @if list.is_empty() { p { (ctx.t("gv-no-projects")) } }
            @else {
                @let points: Vec<crate::charts::Point> = list.iter().enumerate().map(|(i, pr)| crate::charts::Point { label: (i + 1).to_string(), lat: pr.lat, lon: pr.lon, marked: pr.state != "completed" }).collect();
                figure.chart {
                    (crate::charts::points("gv-map", &ctx.t("gv-map-title"), &ctx.ta("gv-map-desc", crate::args![("n", list.len())]), &points))
                    figcaption.muted { (ctx.t("gv-map-caption")) }
                }
                div.table-wrap { table {
                    caption.visually-hidden { (title) }
                    thead { tr {
                        th scope="col" { (ctx.t("gv-col-project")) }
                        th scope="col" { (ctx.t("gv-col-community")) }
                        th scope="col" { (ctx.t("gv-location")) }
                        th scope="col" { (ctx.t("gv-col-state")) }
                        th.num scope="col" { (ctx.t("gv-col-open-problems")) }
                        th scope="col" { (ctx.t("gv-col-rating")) }
                    } }
                    tbody {
                        @for (i, pr) in list.iter().enumerate() {
                            tr {
                                th scope="row" { (i + 1) ". " a href={ "#project-" (pr.id) } { (pr.title) } }
                                td { (pr.community) }
                                td { (number(pr.lat, 5)) ", " (number(pr.lon, 5)) }
                                td { (state_tag(ctx, &pr.state, &pr.state)) }
                                td.num { (pr.open_problems) }
                                td { (rating(ctx, pr)) }
                            }
                        }
                    }
                } }
                @for pr in &list { (project_card(ctx, pr)) }
            }
        };
        Ok(page_status(ctx, StatusCode::OK, &title, body))
    }
    .await;
    finish(&ctx, r)
}

fn rating(ctx: &Ctx, pr: &ProjectView) -> String {
    match pr.mean_rating {
        Some(m) => ctx.ta("gv-rating", crate::args![("mean", number(m, 1)), ("n", pr.ratings)]),
        None => "—".to_owned(),
    }
}

fn project_card(ctx: &Ctx, pr: &ProjectView) -> Markup {
    html! {
        article.case-action #{ "project-" (pr.id) } aria-labelledby={ "h-gv-project-" (pr.id) } {
            h2 #{ "h-gv-project-" (pr.id) } { (pr.title) " " (state_tag(ctx, &pr.state, &pr.state)) }
            dl.summary {
                dt { (ctx.t("gv-col-community")) } dd { (pr.community) }
                dt { (ctx.t("gv-location")) } dd { (number(pr.lat, 5)) ", " (number(pr.lon, 5)) }
                @if let Some(d) = &pr.completed_on { dt { (ctx.t("gv-completed-on")) } dd { (d) } }
                @if let Some(on_time) = pr.on_time { dt { (ctx.t("gv-on-time")) } dd { (yes_no(ctx, on_time)) } }
                dt { (ctx.t("gv-col-rating")) } dd { (rating(ctx, pr)) }
                @if !pr.issues.is_empty() {
                    dt { (ctx.t("gv-settles")) }
                    dd {
                        @for (i, issue) in pr.issues.iter().enumerate() {
                            @if i > 0 { ", " }
                            a href={ "/governance/issues/" (issue) } { "#" (issue) }
                        }
                    }
                }
            }
            h3 { (ctx.t("gv-milestones")) }
            @if pr.milestones.is_empty() { p { "—" } }
            @else {
                div.table-wrap { table {
                    caption.visually-hidden { (ctx.t("gv-milestones")) " " (pr.title) }
                    thead { tr {
                        th scope="col" { (ctx.t("gv-col-milestone")) }
                        th scope="col" { (ctx.t("gv-col-due")) }
                        th scope="col" { (ctx.t("gv-col-reached")) }
                    } }
                    tbody {
                        @for m in &pr.milestones {
                            tr {
                                th scope="row" { (m.name) }
                                td { (m.due) }
                                td { (m.reached.as_deref().unwrap_or("—")) @if m.late { " " (tag("bad", &ctx.t("gv-late"))) } }
                            }
                        }
                    }
                } }
            }
            h3 { (ctx.t("gv-problems")) }
            @if pr.problems.is_empty() { p { (ctx.t("gv-no-problems")) } }
            @else {
                div.table-wrap { table {
                    caption.visually-hidden { (ctx.t("gv-problems")) " " (pr.title) }
                    thead { tr {
                        th scope="col" { (ctx.t("gv-col-problem")) }
                        th scope="col" { (ctx.t("gv-col-found")) }
                        th scope="col" { (ctx.t("gv-col-rectify-by")) }
                        th scope="col" { (ctx.t("gv-col-fixed")) }
                        th scope="col" { (ctx.t("gv-col-closed")) }
                    } }
                    tbody {
                        @for x in &pr.problems {
                            tr {
                                th scope="row" { (x.no) ". " (x.text) }
                                td { (x.found_on) }
                                td { (x.rectify_by) }
                                td { (x.fixed.as_deref().unwrap_or("—")) }
                                td { (x.closed_on.as_deref().unwrap_or("—")) }
                            }
                        }
                    }
                } }
            }
        }
    }
}
