//! Welfare (民生保障, issue 31): benefits without applying (免申即享), payouts, proactive relief
//! and the happiness list (幸福清单). A resident's page — what they receive, every benefit's
//! decision today with its reasons, their objections and a request for help — and their
//! household's happiness list; a department's page — the catalog, monthly runs (preview, freeze,
//! approval by another person, the bank's files) and objections; a community worker's worklist of
//! households found in difficulty and their visits. Everything goes through
//! `server::areas::welfare::cases`; money in yuan, people masked as the use cases give them.

use axum::extract::Path;
use axum::extract::Query;
use axum::extract::State;
use axum::http::HeaderValue;
use axum::http::StatusCode;
use axum::http::header::CONTENT_DISPOSITION;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use axum::response::Response;
use chrono::DateTime;
use maud::Markup;
use maud::html;
use serde::Deserialize;
use server::areas::welfare::cases;
use server::areas::welfare::views::DecideObjectionBody;
use server::areas::welfare::views::DecisionView;
use server::areas::welfare::views::FlagQuery;
use server::areas::welfare::views::FlagView;
use server::areas::welfare::views::HappinessView;
use server::areas::welfare::views::HelpBody;
use server::areas::welfare::views::ObjectionBody;
use server::areas::welfare::views::ObjectionView;
use server::areas::welfare::views::PaymentView;
use server::areas::welfare::views::PeriodQuery;
use server::areas::welfare::views::ReturnedView;
use server::areas::welfare::views::RunBody;
use server::areas::welfare::views::RunView;
use server::areas::welfare::views::SweepView;
use server::areas::welfare::views::VisitBody;
use server::failure::Failure;
use server::policy::Who;

use super::form_errors;
use super::on_form;
use super::time;
use super::yuan;
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
use crate::layout::q as encode;
use crate::layout::radios;
use crate::layout::redirect;
use crate::layout::tag;
use crate::layout::textarea;
use super::banner_markup;
use super::named;

/// The departments that pay benefits (民政, 残联, 住建) and the administrator.
const STAFF: Who = Who::WELFARE.or(Who::ADMIN);
/// Households on a worklist page.
const FLAGS_PER_PAGE: i64 = 50;

#[derive(Debug, Default, Deserialize)]
pub struct WelfareQuery {
    /// What was just done (a banner): objected | helped | frozen | approved | decided | visited.
    pub done: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct HappinessQuery {
    pub from: Option<String>,
    pub to: Option<String>,
    /// `1`: the print layout.
    pub print: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct WorklistQuery {
    pub status: Option<String>,
    pub offset: Option<i64>,
    pub done: Option<String>,
}

fn banner(ctx: &Ctx, done: Option<&str>) -> Option<String> {
    let key = match done? {
        "objected" => "wf-done-objected",
        "helped" => "wf-done-helped",
        "frozen" => "wf-done-frozen",
        "approved" => "wf-done-approved",
        "decided" => "wf-done-decided",
        "visited" => "wf-done-visited",
        _ => return None,
    };
    Some(ctx.t(key))
}

/// An RFC 3339 time in China, to the minute.
fn time_of(t: Option<&str>) -> String {
    t.and_then(|t| DateTime::parse_from_rfc3339(t).ok()).map(|t| time(t.with_timezone(&chrono::Utc))).unwrap_or_else(|| "—".to_owned())
}

fn status_tag(ctx: &Ctx, status: &str) -> Markup {
    let class = match status {
        "approved" | "exported" | "returned" | "open" | "upheld" | "enrolled" | "paid" | "opened" => "ok",
        "frozen" | "preview" | "held" | "visited" => "warn",
        "failed" | "rejected" => "bad",
        "closed" => "grey",
        _ => "info",
    };
    tag(class, &named(ctx, &format!("wf-status-{status}"), status))
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

fn benefit_label(ctx: &Ctx, name: &str, name_en: &str) -> String {
    ctx.lang.pick(name, name_en).to_owned()
}

// ---------------------------------------------------------------------------------------------
// The resident's page.

/// What the resident's page shows beyond the use case's data.
#[derive(Default)]
struct Mine {
    banner: Option<String>,
    object_errors: Errors,
    benefit: String,
    reason: String,
    help_errors: Errors,
    help: String,
}

/// `GET /welfare`: the resident's benefits; department staff and community workers are sent to
/// their own pages.
pub async fn show(State(web): State<Web>, ctx: Ctx, Query(q): Query<WelfareQuery>) -> Response {
    let r = async {
        ctx.require()?;
        if ctx.who.meets(STAFF) {
            return Ok(redirect("/welfare/staff"));
        }
        if ctx.who.meets(Who::COMMUNITY) {
            return Ok(redirect("/welfare/worklist"));
        }
        render_mine(&ctx, &web, Mine { banner: banner(&ctx, q.done.as_deref()), ..Default::default() }, StatusCode::OK).await
    }
    .await;
    finish(&ctx, r)
}

async fn render_mine(ctx: &Ctx, web: &Web, s: Mine, status: StatusCode) -> Result<Response, Failure> {
    let p = ctx.require()?;
    let v = cases::mine(&web.state, p).await?;
    let catalog = cases::catalog_view(&web.state);
    let fact_label = |name: &str| {
        catalog.facts.iter().find(|f| f.name == name).map_or_else(|| name.to_owned(), |f| ctx.lang.pick(&f.label_zh, &f.label_en).to_owned())
    };
    let title = ctx.t("wf-mine-title");
    let monthly: i64 = v.receiving.iter().map(|e| e.amount_fen).sum();
    let choices: Vec<(String, String)> = std::iter::once((String::new(), ctx.t("wf-choose-benefit")))
        .chain(v.decisions.iter().map(|d| (d.benefit.clone(), benefit_label(ctx, &d.name, &d.name_en))))
        .collect();
    let body = html! {
        (banner_markup(s.banner.as_ref()))
        h1 { (title) }
        p.lead { (ctx.t("wf-mine-lead")) }
        ul.figures {
            li { span.num { (v.receiving.len()) } span.lbl { (ctx.t("wf-fig-receiving")) } }
            li { span.num { (yuan(monthly)) } span.lbl { (ctx.t("wf-fig-monthly")) } }
        }
        nav.contents aria-label=(ctx.t("wf-contents")) {
            ul.tabs {
                li { a href="#receiving" { (ctx.t("wf-receiving")) } }
                li { a href="#decisions" { (ctx.t("wf-decisions")) } }
                li { a href="#events" { (ctx.t("wf-events")) } }
                li { a href="#objections" { (ctx.t("wf-objections")) } }
                li { a href="#help" { (ctx.t("wf-help-title")) } }
                li { a href="/welfare/happiness" { (ctx.t("wf-happiness-title")) } }
            }
        }
        section #receiving aria-labelledby="h-wf-receiving" {
            h2 #h-wf-receiving { (ctx.t("wf-receiving")) }
            @if v.receiving.is_empty() { p { (ctx.t("wf-none-receiving")) } }
            @else {
                div.table-wrap { table {
                    caption.visually-hidden { (ctx.t("wf-receiving")) }
                    thead { tr {
                        th scope="col" { (ctx.t("wf-col-benefit")) }
                        th.num scope="col" { (ctx.t("wf-col-monthly")) }
                        th scope="col" { (ctx.t("wf-col-since")) }
                        th scope="col" { (ctx.t("wf-col-source")) }
                    } }
                    tbody {
                        @for e in &v.receiving {
                            tr {
                                th scope="row" { (e.benefit_name) }
                                td.num { (yuan(e.amount_fen)) }
                                td { (e.opened_on) }
                                td { (named(ctx, &format!("wf-source-{}", e.source), &e.source)) }
                            }
                        }
                    }
                } }
            }
        }
        section #decisions aria-labelledby="h-wf-decisions" {
            h2 #h-wf-decisions { (ctx.t("wf-decisions")) }
            p.muted { (ctx.ta("wf-decisions-lead", crate::args![("date", v.on.clone())])) }
            @for d in &v.decisions { (decision(ctx, d, &fact_label)) }
        }
        section #events aria-labelledby="h-wf-events" {
            h2 #h-wf-events { (ctx.t("wf-events")) }
            @if v.events.is_empty() { p { (ctx.t("wf-none-events")) } }
            @else {
                ul.timeline {
                    @for e in &v.events {
                        li {
                            strong { (time_of(Some(&e.at))) } " · " (e.benefit_name) " " (status_tag(ctx, &e.kind))
                            @if e.amount_fen > 0 { " " (yuan(e.amount_fen)) }
                            br;
                            span { (ctx.lang.pick(&e.reason_zh, &e.reason_en)) }
                        }
                    }
                }
            }
        }
        section #objections aria-labelledby="h-wf-objections" {
            h2 #h-wf-objections { (ctx.t("wf-objections")) }
            (objections_table(ctx, &v.objections, false))
            h3 #h-wf-object { (ctx.t("wf-object-title")) }
            p { (ctx.t("wf-object-lead")) }
            (error_summary(ctx, &s.object_errors, &["benefit".to_owned(), "reason".to_owned()]))
            form.stack method="post" action="/welfare/objections" novalidate {
                (csrf(ctx))
                (select(ctx, &s.object_errors, "benefit", &ctx.t("wf-object-benefit"), &choices, &s.benefit))
                (textarea(ctx, &s.object_errors, "reason", &ctx.t("wf-object-reason"), Some(&ctx.t("wf-object-reason-hint")), &s.reason, true))
                button.button type="submit" { (ctx.t("wf-object")) }
            }
        }
        section #help aria-labelledby="h-wf-help" {
            h2 #h-wf-help { (ctx.t("wf-help-title")) }
            p { (ctx.t("wf-help-lead")) }
            (error_summary(ctx, &s.help_errors, &["help".to_owned()]))
            form.stack method="post" action="/welfare/help" novalidate {
                (csrf(ctx))
                (textarea(ctx, &s.help_errors, "help", &ctx.t("wf-help-text"), Some(&ctx.t("wf-help-hint")), &s.help, true))
                button.button.button-secondary type="submit" { (ctx.t("wf-help-send")) }
            }
        }
    };
    Ok(page_status(ctx, status, &title, body))
}

/// One benefit's decision today: the outcome, and each clause with the facts it read.
fn decision(ctx: &Ctx, d: &DecisionView, fact_label: &dyn Fn(&str) -> String) -> Markup {
    let outcome = match d.outcome.as_str() {
        "entitled" => tag("ok", &ctx.t("wf-outcome-entitled")),
        "unknown" => tag("warn", &ctx.t("wf-outcome-unknown")),
        _ => tag("grey", &ctx.t("wf-outcome-not-entitled")),
    };
    html! {
        details.decision {
            summary {
                (benefit_label(ctx, &d.name, &d.name_en)) " " (outcome)
                @if let Some(a) = d.amount_fen { " " (ctx.ta("wf-per-month", crate::args![("amount", yuan(a))])) }
            }
            p.muted { (ctx.ta("wf-paid-by", crate::args![("department", d.department_name.clone())])) }
            @if !d.missing.is_empty() {
                p { (ctx.ta("wf-missing", crate::args![("facts", d.missing.iter().map(|m| fact_label(m)).collect::<Vec<_>>().join(ctx.lang.pick("、", ", ")))])) }
            }
            ul.reasons {
                @for r in &d.reasons {
                    li {
                        @match r.holds {
                            Some(true) => { (tag("ok", &ctx.t("wf-holds"))) }
                            Some(false) => { (tag("bad", &ctx.t("wf-fails"))) }
                            None => { (tag("grey", &ctx.t("wf-unknown"))) }
                        }
                        " " code { (r.clause) }
                        @if !r.values.is_empty() {
                            " — "
                            @for (i, f) in r.values.iter().enumerate() {
                                @if i > 0 { (ctx.lang.pick("，", ", ")) }
                                (ctx.lang.pick(&f.label_zh, &f.label_en)) " = " (f.value)
                            }
                        }
                    }
                }
            }
        }
    }
}

fn objections_table(ctx: &Ctx, rows: &[ObjectionView], staff: bool) -> Markup {
    html! {
        @if rows.is_empty() { p { (ctx.t("wf-none-objections")) } }
        @else {
            div.table-wrap { table {
                caption.visually-hidden { (ctx.t("wf-objections")) }
                thead { tr {
                    th scope="col" { (ctx.t("wf-col-benefit")) }
                    @if staff { th scope="col" { (ctx.t("wf-col-person")) } }
                    th scope="col" { (ctx.t("wf-col-text")) }
                    th scope="col" { (ctx.t("wf-col-status")) }
                    th scope="col" { (ctx.t("wf-col-answer")) }
                    th scope="col" { (ctx.t("wf-col-date")) }
                } }
                tbody {
                    @for o in rows {
                        tr {
                            th scope="row" { (o.benefit_name) }
                            @if staff { td { (o.person) } }
                            td { (o.text) }
                            td { (status_tag(ctx, &o.status)) }
                            td { (o.answer.as_deref().unwrap_or("—")) }
                            td { (time_of(Some(&o.created_at))) }
                        }
                    }
                }
            } }
        }
    }
}

/// `POST /welfare/objections`: the resident objects to a decision.
pub async fn object(State(web): State<Web>, ctx: Ctx, form: PostForm) -> Response {
    let r = async {
        let p = ctx.require()?;
        let benefit = form.get("benefit").unwrap_or_default();
        let reason = form.get("reason").unwrap_or_default();
        match cases::object(&web.state, p, ObjectionBody { benefit: benefit.clone(), text: reason.clone() }).await {
            Ok(_) => Ok(redirect("/welfare?done=objected#objections")),
            Err(e) if on_form(&e) => {
                let errors = form_errors(&ctx, &e, &[("benefit", "benefit".to_owned()), ("text", "reason".to_owned())]);
                render_mine(&ctx, &web, Mine { object_errors: errors, benefit, reason, ..Default::default() }, e.status()).await
            }
            Err(e) => Err(e),
        }
    }
    .await;
    finish(&ctx, r)
}

/// `POST /welfare/help`: the resident asks for help (the household goes on the worklist).
pub async fn help(State(web): State<Web>, ctx: Ctx, form: PostForm) -> Response {
    let r = async {
        let p = ctx.require()?;
        let text = form.get("help").unwrap_or_default();
        match cases::ask_help(&web.state, p, HelpBody { text: text.clone() }).await {
            Ok(_) => Ok(redirect("/welfare?done=helped")),
            Err(e) if on_form(&e) => {
                let errors = form_errors(&ctx, &e, &[("text", "help".to_owned())]);
                render_mine(&ctx, &web, Mine { help_errors: errors, help: text, ..Default::default() }, e.status()).await
            }
            Err(e) => Err(e),
        }
    }
    .await;
    finish(&ctx, r)
}

// ---------------------------------------------------------------------------------------------
// The happiness list.

fn period(q: &HappinessQuery) -> PeriodQuery {
    PeriodQuery { from: q.from.clone().filter(|s| !s.trim().is_empty()), to: q.to.clone().filter(|s| !s.trim().is_empty()) }
}

/// `GET /welfare/happiness`: the resident's household's happiness list.
pub async fn my_happiness(State(web): State<Web>, ctx: Ctx, Query(q): Query<HappinessQuery>) -> Response {
    let r = async {
        let p = ctx.require()?;
        let result = cases::my_happiness(&web.state, p, period(&q)).await;
        happiness_page(&ctx, result, &q, "/welfare/happiness", None)
    }
    .await;
    finish(&ctx, r)
}

/// `GET /welfare/households/{household}/happiness`: a household's list, for its community worker
/// and the departments.
pub async fn household_happiness(State(web): State<Web>, ctx: Ctx, Path(household): Path<String>, Query(q): Query<HappinessQuery>) -> Response {
    let r = async {
        let p = ctx.require()?;
        let result = cases::household_happiness(&web.state, p, &household, period(&q)).await;
        let here = format!("/welfare/households/{}/happiness", q_path(&household));
        happiness_page(&ctx, result, &q, &here, Some("/welfare/worklist"))
    }
    .await;
    finish(&ctx, r)
}

/// A path segment, kept to safe characters.
fn q_path(s: &str) -> String {
    s.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-').collect()
}

fn happiness_page(ctx: &Ctx, result: Result<HappinessView, Failure>, q: &HappinessQuery, here: &str, back: Option<&str>) -> Result<Response, Failure> {
    let print = q.print.as_deref() == Some("1");
    let (v, errors, status) = match result {
        Ok(v) => (Some(v), Errors::default(), StatusCode::OK),
        Err(e @ Failure::Invalid { .. }) => {
            let errors = form_errors(ctx, &e, &[("from", "from".to_owned()), ("to", "to".to_owned())]);
            (None, errors, e.status())
        }
        Err(e) => return Err(e),
    };
    let title = ctx.t("wf-happiness-title");
    let from = v.as_ref().map_or_else(|| q.from.clone().unwrap_or_default(), |v| v.from.clone());
    let to = v.as_ref().map_or_else(|| q.to.clone().unwrap_or_default(), |v| v.to.clone());
    let print_href = format!("{here}?print=1&from={}&to={}", encode(&from), encode(&to));
    let body = html! {
        @if let Some(b) = back { p.no-print { a href=(b) { (ctx.t("wf-back-worklist")) } } }
        @else if !print { p.no-print { a href="/welfare" { (ctx.t("wf-back-mine")) } } }
        div class=(if print { "happiness print-sheet" } else { "happiness" }) {
            h1 { (title) }
            @if let Some(v) = &v {
                p.lead { (ctx.ta("wf-happiness-period", crate::args![("from", v.from.clone()), ("to", v.to.clone())])) }
            }
            @if !print {
                div.no-print {
                    (error_summary(ctx, &errors, &["from".to_owned(), "to".to_owned()]))
                    form.actions method="get" action=(here) novalidate {
                        (input(ctx, &errors, &Input { name: "from", label: &ctx.t("wf-from"), hint: Some(&ctx.t("wf-month-hint")), value: &from, autocomplete: Some("off"), maxlength: Some(7), width: Some("w-short"), ..Default::default() }))
                        (input(ctx, &errors, &Input { name: "to", label: &ctx.t("wf-to"), hint: Some(&ctx.t("wf-month-hint")), value: &to, autocomplete: Some("off"), maxlength: Some(7), width: Some("w-short"), ..Default::default() }))
                        button.button.button-secondary type="submit" { (ctx.t("wf-show")) }
                    }
                    p {
                        button.button.button-secondary type="button" data-print hidden { (ctx.t("wf-print")) }
                        " "
                        a href=(print_href) { (ctx.t("wf-print-version")) }
                    }
                }
            }
            @if let Some(v) = &v { (happiness_body(ctx, v)) }
        }
    };
    Ok(page_status(ctx, status, &title, body))
}

fn happiness_body(ctx: &Ctx, v: &HappinessView) -> Markup {
    let allowances: Vec<_> = v.received.iter().filter(|l| l.kind == "allowance").collect();
    let relief: Vec<_> = v.received.iter().filter(|l| l.kind == "relief").collect();
    let records: Vec<_> = v.received.iter().filter(|l| l.kind == "record").collect();
    // What the household might be entitled to, by item and reason, with the members it concerns.
    let mut possible: Vec<(&server::areas::welfare::views::PossibleView, Vec<String>)> = Vec::new();
    for x in &v.possible {
        let who = format!("{} {}", x.name, x.person);
        match possible.iter_mut().find(|(p, _)| p.item == x.item && p.how_zh == x.how_zh) {
            Some((_, list)) => list.push(who),
            None => possible.push((x, vec![who])),
        }
    }
    let months = |m: &[String]| match (m.first(), m.last()) {
        (Some(a), Some(b)) if a != b => ctx.ta("wf-months-range", crate::args![("from", a.clone()), ("to", b.clone()), ("n", m.len())]),
        (Some(a), _) => a.clone(),
        _ => "—".to_owned(),
    };
    html! {
        section aria-labelledby="h-wf-members" {
            h2 #h-wf-members { (ctx.t("wf-members")) }
            (members_table(ctx, &v.members))
        }
        section aria-labelledby="h-wf-received" {
            h2 #h-wf-received { (ctx.t("wf-received")) }
            ul.figures {
                li { span.num { (yuan(v.total_fen)) } span.lbl { (ctx.t("wf-total")) } }
                li { span.num { (v.received.len()) } span.lbl { (ctx.t("wf-items")) } }
            }
            h3 { (ctx.t("wf-allowances")) }
            @if allowances.is_empty() { p { (ctx.t("wf-none")) } }
            @else {
                div.table-wrap { table {
                    caption.visually-hidden { (ctx.t("wf-allowances")) }
                    thead { tr {
                        th scope="col" { (ctx.t("wf-col-item")) }
                        th scope="col" { (ctx.t("wf-col-member")) }
                        th scope="col" { (ctx.t("wf-col-source")) }
                        th scope="col" { (ctx.t("wf-col-months")) }
                        th.num scope="col" { (ctx.t("wf-col-amount")) }
                    } }
                    tbody {
                        @for l in &allowances {
                            tr {
                                th scope="row" { (ctx.lang.pick(&l.item, &l.item_en)) }
                                td { (l.name) " " span.muted { (l.person) } }
                                td { (l.source) }
                                td { (months(&l.months)) }
                                td.num { (l.amount_fen.map(yuan).unwrap_or_default()) }
                            }
                        }
                    }
                    tfoot { tr { th scope="row" colspan="4" { (ctx.t("wf-total")) } td.num { strong { (yuan(v.total_fen)) } } } }
                } }
            }
            h3 { (ctx.t("wf-relief")) }
            @if relief.is_empty() { p { (ctx.t("wf-none")) } }
            @else { ul { @for l in &relief { li { (ctx.lang.pick(&l.item, &l.item_en)) " — " (l.source) @if !l.months.is_empty() { " (" (months(&l.months)) ")" } } } } }
            h3 { (ctx.t("wf-records")) }
            @if records.is_empty() { p { (ctx.t("wf-none")) } }
            @else { ul { @for l in &records { li { (ctx.lang.pick(&l.item, &l.item_en)) " — " (l.name) " " span.muted { (l.person) } " · " (l.source) " · " (months(&l.months)) } } } }
        }
        section aria-labelledby="h-wf-possible" {
            h2 #h-wf-possible { (ctx.t("wf-possible")) }
            @if possible.is_empty() { p { (ctx.t("wf-none-possible")) } }
            @else {
                ul {
                    @for (x, who) in &possible {
                        li { strong { (ctx.lang.pick(&x.item, &x.item_en)) } " — " (who.join(ctx.lang.pick("、", ", "))) br; (ctx.lang.pick(&x.how_zh, &x.how_en)) }
                    }
                }
            }
        }
    }
}

fn members_table(ctx: &Ctx, members: &[server::areas::welfare::views::MemberView]) -> Markup {
    html! {
        div.table-wrap { table {
            caption.visually-hidden { (ctx.t("wf-members")) }
            thead { tr {
                th scope="col" { (ctx.t("wf-col-member")) }
                th scope="col" { (ctx.t("wf-col-id")) }
                th scope="col" { (ctx.t("wf-col-relation")) }
                th.num scope="col" { (ctx.t("wf-col-age")) }
            } }
            tbody {
                @for m in members {
                    tr { th scope="row" { (m.name) } td { (m.person) } td { (m.relation) } td.num { (m.age) } }
                }
            }
        } }
    }
}

// ---------------------------------------------------------------------------------------------
// The department's page.

#[derive(Default)]
struct StaffShown {
    banner: Option<String>,
    month: String,
    department: String,
    run_errors: Errors,
    preview: Option<RunView>,
    /// An objection's answer sent back: (id, errors, uphold, answer).
    decision: Option<(String, Errors, String, String)>,
    sweep: Option<SweepView>,
}

/// `GET /welfare/staff`: the department's page.
pub async fn staff(State(web): State<Web>, ctx: Ctx, Query(q): Query<WelfareQuery>) -> Response {
    let r = async { render_staff(&ctx, &web, StaffShown { banner: banner(&ctx, q.done.as_deref()), ..Default::default() }, StatusCode::OK).await }.await;
    finish(&ctx, r)
}

fn last_month(web: &Web) -> String {
    let today = domain::china_date(web.state.now());
    today.checked_sub_months(chrono::Months::new(1)).unwrap_or(today).format("%Y-%m").to_string()
}

async fn render_staff(ctx: &Ctx, web: &Web, s: StaffShown, status: StatusCode) -> Result<Response, Failure> {
    let p = ctx.require()?;
    let runs = cases::runs(&web.state, p).await?;
    let objections = cases::objections(&web.state, p).await?;
    let catalog = cases::catalog_view(&web.state);
    let admin = ctx.who.meets(Who::ADMIN);
    let own = p.department().map(str::to_owned);
    let benefits: Vec<_> = catalog.benefits.iter().filter(|b| admin || own.as_deref() == Some(b.department.as_str())).collect();
    let open: Vec<&ObjectionView> = objections.iter().filter(|o| o.status == "open").collect();
    let answered: Vec<ObjectionView> = objections.iter().filter(|o| o.status != "open").cloned().collect();
    let month = if s.month.is_empty() && s.run_errors.is_empty() { last_month(web) } else { s.month.clone() };
    let mut departments: Vec<(String, String)> = Vec::new();
    for b in &catalog.benefits {
        if !departments.iter().any(|(c, _)| *c == b.department) {
            departments.push((b.department.clone(), b.department_name.clone()));
        }
    }
    let title = ctx.t("wf-staff-title");
    let awaiting = runs.iter().filter(|r| r.status == "frozen").count();
    let body = html! {
        (banner_markup(s.banner.as_ref()))
        h1 { (title) }
        p.lead { (ctx.t("wf-staff-lead")) }
        ul.figures {
            li { span.num { (benefits.len()) } span.lbl { (ctx.t("wf-fig-benefits")) } }
            li { span.num { (runs.len()) } span.lbl { (ctx.t("wf-fig-runs")) } }
            li { span.num { (awaiting) } span.lbl { (ctx.t("wf-fig-awaiting")) } }
            li { span.num { (open.len()) } span.lbl { (ctx.t("wf-fig-open-objections")) } }
        }
        nav.contents aria-label=(ctx.t("wf-contents")) {
            ul.tabs {
                li { a href="#runs" { (ctx.t("wf-runs")) } }
                li { a href="#objections" { (ctx.t("wf-objections")) } }
                li { a href="#sweep" { (ctx.t("wf-sweep-title")) } }
                li { a href="#catalog" { (ctx.t("wf-catalog")) } }
                li { a href="/welfare/worklist" { (ctx.t("wf-worklist-title")) } }
            }
        }
        section #runs aria-labelledby="h-wf-runs" {
            h2 #h-wf-runs { (ctx.t("wf-runs")) }
            p { (ctx.t("wf-runs-lead")) }
            (error_summary(ctx, &s.run_errors, &["month".to_owned(), "department".to_owned()]))
            form.stack method="post" action="/welfare/runs/preview" novalidate {
                (csrf(ctx))
                (input(ctx, &s.run_errors, &Input { name: "month", label: &ctx.t("wf-month"), hint: Some(&ctx.t("wf-month-hint")), value: &month, required: true, autocomplete: Some("off"), maxlength: Some(7), width: Some("w-short"), ..Default::default() }))
                @if admin { (select(ctx, &s.run_errors, "department", &ctx.t("wf-department"), &departments, &s.department)) }
                button.button type="submit" { (ctx.t("wf-preview")) }
            }
            @if let Some(v) = &s.preview {
                div.result #preview-result tabindex="-1" data-autofocus {
                    h3 { (ctx.ta("wf-preview-of", crate::args![("month", v.month.clone()), ("department", v.department_name.clone())])) }
                    (run_body(ctx, v, true))
                    form.stack method="post" action="/welfare/runs" novalidate {
                        (csrf(ctx))
                        input type="hidden" name="month" value=(v.month);
                        @if admin { input type="hidden" name="department" value=(v.department); }
                        p.hint { (ctx.t("wf-freeze-hint")) }
                        button.button.button-warning type="submit" { (ctx.ta("wf-freeze", crate::args![("month", v.month.clone())])) }
                    }
                }
            }
            h3 { (ctx.t("wf-run-list")) }
            @if runs.is_empty() { p { (ctx.t("wf-none-runs")) } }
            @else {
                div.table-wrap { table {
                    caption.visually-hidden { (ctx.t("wf-run-list")) }
                    thead { tr {
                        th scope="col" { (ctx.t("wf-col-month")) }
                        th scope="col" { (ctx.t("wf-col-department")) }
                        th scope="col" { (ctx.t("wf-col-status")) }
                        th.num scope="col" { (ctx.t("wf-col-lines")) }
                        th.num scope="col" { (ctx.t("wf-col-amount")) }
                        th.num scope="col" { (ctx.t("wf-col-recoveries")) }
                    } }
                    tbody {
                        @for r in &runs {
                            tr {
                                th scope="row" { a href={ "/welfare/runs/" (r.id) } { (r.month) span.visually-hidden { " " (r.department_name) } } }
                                td { (r.department_name) }
                                td { (status_tag(ctx, &r.status)) }
                                td.num { (r.lines) }
                                td.num { (yuan(r.amount_fen)) }
                                td.num { (yuan(r.recoveries_fen)) }
                            }
                        }
                    }
                } }
            }
        }
        section #objections aria-labelledby="h-wf-objections" {
            h2 #h-wf-objections { (ctx.t("wf-objections")) }
            @if open.is_empty() { p { (ctx.t("wf-none-open-objections")) } }
            @for o in &open { (objection_form(ctx, o, s.decision.as_ref())) }
            @if !answered.is_empty() {
                h3 { (ctx.t("wf-answered")) }
                (objections_table(ctx, &answered, true))
            }
        }
        section #sweep aria-labelledby="h-wf-sweep" {
            h2 #h-wf-sweep { (ctx.t("wf-sweep-title")) }
            p { (ctx.t("wf-sweep-lead")) }
            @if let Some(v) = &s.sweep {
                div.result role="status" tabindex="-1" data-autofocus {
                    p { strong { (ctx.ta("wf-sweep-done", crate::args![("people", v.people), ("opened", v.opened), ("closed", v.closed), ("changed", v.changed), ("flagged", v.flagged)])) } }
                }
            }
            form method="post" action="/welfare/sweep" {
                (csrf(ctx))
                button.button.button-secondary type="submit" { (ctx.t("wf-sweep")) }
            }
        }
        section #catalog aria-labelledby="h-wf-catalog" {
            h2 #h-wf-catalog { (ctx.t("wf-catalog")) }
            div.table-wrap { table {
                caption.visually-hidden { (ctx.t("wf-catalog")) }
                thead { tr {
                    th scope="col" { (ctx.t("wf-col-benefit")) }
                    th scope="col" { (ctx.t("wf-col-department")) }
                    th scope="col" { (ctx.t("wf-col-rule")) }
                    th scope="col" { (ctx.t("wf-col-amount")) }
                    th scope="col" { (ctx.t("wf-col-basis")) }
                } }
                tbody {
                    @for b in &benefits {
                        tr {
                            th scope="row" { (benefit_label(ctx, &b.name, &b.name_en)) }
                            td { (b.department_name) }
                            td { code { (b.eligibility) } }
                            td { (b.amount) }
                            td { (b.legal_basis) }
                        }
                    }
                }
            } }
        }
    };
    Ok(page_status(ctx, status, &title, body))
}

/// The department's answer to one objection.
fn objection_form(ctx: &Ctx, o: &ObjectionView, failed: Option<&(String, Errors, String, String)>) -> Markup {
    let id = &o.id;
    let failed = failed.filter(|d| d.0 == *id);
    let none = Errors::default();
    let errors = failed.map_or(&none, |d| &d.1);
    let fields = [format!("uphold-{id}"), format!("answer-{id}")];
    let choices = vec![("yes".to_owned(), ctx.t("wf-uphold-yes")), ("no".to_owned(), ctx.t("wf-uphold-no"))];
    html! {
        div.case-action #{ "objection-" (id) } {
            h3 { (o.benefit_name) " · " (o.person) " " (status_tag(ctx, &o.status)) }
            p { (ctx.ta("wf-objection-line", crate::args![("date", time_of(Some(&o.created_at))), ("text", o.text.clone())])) }
            (error_summary(ctx, errors, &fields))
            form.stack method="post" action={ "/welfare/objections/" (id) "/decision" } novalidate {
                (csrf(ctx))
                (radios(ctx, errors, &fields[0], &ctx.t("wf-uphold"), &choices, failed.map_or("", |d| d.2.as_str()), true))
                (textarea(ctx, errors, &fields[1], &ctx.t("wf-answer"), Some(&ctx.t("wf-answer-hint")), failed.map_or("", |d| d.3.as_str()), true))
                button.button type="submit" { (ctx.t("wf-decide")) span.visually-hidden { " " (o.benefit_name) " " (o.person) } }
            }
        }
    }
}

/// A run's figures, its totals per benefit, its first lines and its recoveries.
fn run_body(ctx: &Ctx, v: &RunView, nested: bool) -> Markup {
    let heading = |key: &str| html! { @if nested { h4 { (ctx.t(key)) } } @else { h2 { (ctx.t(key)) } } };
    html! {
        dl.summary {
            dt { (ctx.t("wf-col-status")) } dd { (status_tag(ctx, &v.status)) }
            dt { (ctx.t("wf-col-department")) } dd { (v.department_name) }
            dt { (ctx.t("wf-col-lines")) } dd { (v.lines) }
            dt { (ctx.t("wf-col-amount")) } dd { (yuan(v.amount_fen)) }
            dt { (ctx.t("wf-col-recoveries")) } dd { (yuan(v.recoveries_fen)) }
            dt { (ctx.t("wf-held")) } dd { (v.held) }
            @if v.paid > 0 || v.failed > 0 {
                dt { (ctx.t("wf-paid")) } dd { (v.paid) }
                dt { (ctx.t("wf-failed")) } dd { (v.failed) }
            }
            @if !v.digest.is_empty() { dt { (ctx.t("wf-digest")) } dd { code { (v.digest.get(..12).unwrap_or(&v.digest)) } } }
            @if v.frozen_at.is_some() { dt { (ctx.t("wf-frozen-at")) } dd { (time_of(v.frozen_at.as_deref())) } }
            @if v.approved_at.is_some() { dt { (ctx.t("wf-approved-at")) } dd { (time_of(v.approved_at.as_deref())) } }
            @if v.exported_at.is_some() { dt { (ctx.t("wf-exported-at")) } dd { (time_of(v.exported_at.as_deref())) } }
            @if v.returned_at.is_some() { dt { (ctx.t("wf-returned-at")) } dd { (time_of(v.returned_at.as_deref())) } }
        }
        (heading("wf-totals"))
        @if v.totals.is_empty() { p { (ctx.t("wf-none")) } }
        @else {
            div.table-wrap { table {
                caption.visually-hidden { (ctx.t("wf-totals")) }
                thead { tr {
                    th scope="col" { (ctx.t("wf-col-benefit")) }
                    th.num scope="col" { (ctx.t("wf-col-people")) }
                    th.num scope="col" { (ctx.t("wf-col-lines")) }
                    th.num scope="col" { (ctx.t("wf-col-amount")) }
                    th.num scope="col" { (ctx.t("wf-col-recoveries")) }
                } }
                tbody {
                    @for t in &v.totals {
                        tr { th scope="row" { (t.benefit_name) } td.num { (t.people) } td.num { (t.lines) } td.num { (yuan(t.amount_fen)) } td.num { (yuan(t.recoveries_fen)) } }
                    }
                }
            } }
        }
        (heading("wf-lines"))
        @if v.payments.is_empty() { p { (ctx.t("wf-none")) } }
        @else {
            @if (v.payments.len() as i64) < v.lines { p.muted { (ctx.ta("wf-lines-first", crate::args![("n", v.payments.len()), ("total", v.lines)])) } }
            (payments_table(ctx, &v.payments))
        }
        (heading("wf-recoveries"))
        @if v.recoveries.is_empty() { p { (ctx.t("wf-none-recoveries")) } }
        @else {
            div.table-wrap { table {
                caption.visually-hidden { (ctx.t("wf-recoveries")) }
                thead { tr {
                    th scope="col" { (ctx.t("wf-col-person")) }
                    th scope="col" { (ctx.t("wf-col-benefit")) }
                    th scope="col" { (ctx.t("wf-col-month")) }
                    th.num scope="col" { (ctx.t("wf-col-amount")) }
                    th scope="col" { (ctx.t("wf-col-reason")) }
                } }
                tbody {
                    @for r in &v.recoveries {
                        tr { th scope="row" { (r.person) } td { (r.benefit) } td { (r.month) } td.num { (yuan(r.amount_fen)) } td { (ctx.lang.pick(&r.reason_zh, &r.reason_en)) } }
                    }
                }
            } }
        }
    }
}

fn payments_table(ctx: &Ctx, rows: &[PaymentView]) -> Markup {
    html! {
        div.table-wrap { table {
            caption.visually-hidden { (ctx.t("wf-lines")) }
            thead { tr {
                th scope="col" { (ctx.t("wf-col-line")) }
                th scope="col" { (ctx.t("wf-col-person")) }
                th scope="col" { (ctx.t("wf-col-benefit")) }
                th scope="col" { (ctx.t("wf-col-month")) }
                th scope="col" { (ctx.t("wf-col-kind")) }
                th.num scope="col" { (ctx.t("wf-col-amount")) }
                th scope="col" { (ctx.t("wf-col-status")) }
            } }
            tbody {
                @for l in rows {
                    tr {
                        th scope="row" { (l.line) }
                        td { (l.name) " " span.muted { (l.person) } }
                        td { (l.benefit_name) }
                        td { (l.month) }
                        td { (named(ctx, &format!("wf-kind-{}", l.kind), &l.kind)) }
                        td.num { (yuan(l.amount_fen)) }
                        td { (status_tag(ctx, &l.status)) @if let Some(f) = &l.failure { " " (f) } }
                    }
                }
            }
        } }
    }
}

/// The run form's month and department.
fn run_body_of(form: &PostForm) -> (String, String, RunBody) {
    let month = form.get("month").unwrap_or_default();
    let department = form.get("department").unwrap_or_default();
    let body = RunBody { month: month.clone(), department: (!department.is_empty()).then(|| department.clone()) };
    (month, department, body)
}

fn run_fields() -> [(&'static str, String); 2] {
    [("month", "month".to_owned()), ("department", "department".to_owned())]
}

/// `POST /welfare/runs/preview`: what a month's run would pay, not kept.
pub async fn preview(State(web): State<Web>, ctx: Ctx, form: PostForm) -> Response {
    let r = async {
        let p = ctx.require()?;
        let (month, department, body) = run_body_of(&form);
        let mut s = StaffShown { month, department, ..Default::default() };
        match cases::preview(&web.state, p, body).await {
            Ok(v) => {
                s.preview = Some(v);
                render_staff(&ctx, &web, s, StatusCode::OK).await
            }
            Err(e) if on_form(&e) => {
                s.run_errors = form_errors(&ctx, &e, &run_fields());
                render_staff(&ctx, &web, s, e.status()).await
            }
            Err(e) => Err(e),
        }
    }
    .await;
    finish(&ctx, r)
}

/// `POST /welfare/runs`: a month's run frozen (its approval is another person's).
pub async fn freeze(State(web): State<Web>, ctx: Ctx, form: PostForm) -> Response {
    let r = async {
        let p = ctx.require()?;
        let (month, department, body) = run_body_of(&form);
        match cases::freeze(&web.state, p, body).await {
            Ok(v) => Ok(redirect(&format!("/welfare/runs/{}?done=frozen", v.id))),
            Err(e) if on_form(&e) => {
                let s = StaffShown { month, department, run_errors: form_errors(&ctx, &e, &run_fields()), ..Default::default() };
                render_staff(&ctx, &web, s, e.status()).await
            }
            Err(e) => Err(e),
        }
    }
    .await;
    finish(&ctx, r)
}

/// `POST /welfare/objections/{id}/decision`: the department answers an objection.
pub async fn decide(State(web): State<Web>, ctx: Ctx, Path(id): Path<String>, form: PostForm) -> Response {
    let r = async {
        let p = ctx.require()?;
        let fields = [format!("uphold-{id}"), format!("answer-{id}")];
        let choice = form.get(&fields[0]).unwrap_or_default();
        let answer = form.get(&fields[1]).unwrap_or_default();
        let uphold = match choice.as_str() {
            "yes" => true,
            "no" => false,
            _ => {
                let mut errors = Errors::default();
                errors.push(&fields[0], ctx.t("wf-uphold-required"));
                let s = StaffShown { decision: Some((id.clone(), errors, choice, answer)), ..Default::default() };
                return render_staff(&ctx, &web, s, StatusCode::UNPROCESSABLE_ENTITY).await;
            }
        };
        match cases::decide_objection(&web.state, p, &id, DecideObjectionBody { uphold, answer: answer.clone() }).await {
            Ok(_) => Ok(redirect("/welfare/staff?done=decided#objections")),
            Err(e) if on_form(&e) => {
                let errors = form_errors(&ctx, &e, &[("answer", fields[1].clone()), ("uphold", fields[0].clone())]);
                let s = StaffShown { decision: Some((id.clone(), errors, choice, answer)), ..Default::default() };
                render_staff(&ctx, &web, s, e.status()).await
            }
            Err(e) => Err(e),
        }
    }
    .await;
    finish(&ctx, r)
}

/// `POST /welfare/sweep`: everyone re-evaluated now; the counts shown.
pub async fn sweep(State(web): State<Web>, ctx: Ctx, _form: PostForm) -> Response {
    let r = async {
        let p = ctx.require()?;
        let v = cases::sweep(&web.state, p).await?;
        render_staff(&ctx, &web, StaffShown { sweep: Some(v), ..Default::default() }, StatusCode::OK).await
    }
    .await;
    finish(&ctx, r)
}

// ---------------------------------------------------------------------------------------------
// A run.

#[derive(Default)]
struct RunShown {
    banner: Option<String>,
    approve_errors: Errors,
    returns_errors: Errors,
    returned: Option<ReturnedView>,
}

/// `GET /welfare/runs/{id}`: a run, its approval and its bank files.
pub async fn run(State(web): State<Web>, ctx: Ctx, Path(id): Path<String>, Query(q): Query<WelfareQuery>) -> Response {
    let r = async { render_run(&ctx, &web, &id, RunShown { banner: banner(&ctx, q.done.as_deref()), ..Default::default() }, StatusCode::OK).await }.await;
    finish(&ctx, r)
}

async fn render_run(ctx: &Ctx, web: &Web, id: &str, s: RunShown, status: StatusCode) -> Result<Response, Failure> {
    let p = ctx.require()?;
    let v = match &s.returned {
        Some(r) => r.run.clone(),
        None => cases::run(&web.state, p, id).await?,
    };
    let title = ctx.ta("wf-run-title", crate::args![("month", v.month.clone()), ("department", v.department_name.clone())]);
    let body = html! {
        p { a href="/welfare/staff#runs" { (ctx.t("wf-back-staff")) } }
        (banner_markup(s.banner.as_ref()))
        h1 { (title) }
        @if let Some(r) = &s.returned {
            div.banner role="status" tabindex="-1" data-autofocus {
                p { strong { (ctx.ta("wf-returned", crate::args![("paid", r.paid), ("failed", r.failed), ("unanswered", r.unanswered)])) } }
            }
        }
        @if v.status == "frozen" {
            section #approve aria-labelledby="h-wf-approve" {
                h2 #h-wf-approve { (ctx.t("wf-approve-title")) }
                p { (ctx.t("wf-approve-hint")) }
                (error_summary(ctx, &s.approve_errors, &[]))
                form method="post" action={ "/welfare/runs/" (v.id) "/approve" } {
                    (csrf(ctx))
                    button.button type="submit" { (ctx.t("wf-approve")) }
                }
            }
        }
        @if matches!(v.status.as_str(), "approved" | "exported" | "returned") {
            section #bank aria-labelledby="h-wf-bank" {
                h2 #h-wf-bank { (ctx.t("wf-bank-title")) }
                p { a.button.button-secondary href={ "/welfare/runs/" (v.id) "/bank-file" } download { (ctx.t("wf-bank-file")) } }
                @if v.status == "exported" || !s.returns_errors.is_empty() {
                    h3 { (ctx.t("wf-returns-title")) }
                    p { (ctx.t("wf-returns-lead")) }
                    (error_summary(ctx, &s.returns_errors, &["file".to_owned()]))
                    form.stack method="post" action={ "/welfare/runs/" (v.id) "/returns" } enctype="multipart/form-data" novalidate {
                        (csrf(ctx))
                        (return_file_input(ctx, &s.returns_errors))
                        button.button type="submit" { (ctx.t("wf-returns-send")) }
                    }
                }
            }
        }
        (run_body(ctx, &v, false))
    };
    Ok(page_status(ctx, status, &title, body))
}

/// The bank's return file (CSV).
fn return_file_input(ctx: &Ctx, errors: &Errors) -> Markup {
    let id = input_id("file");
    let err = errors.of("file");
    let described = if err.is_some() { format!("{id}-hint {id}-error") } else { format!("{id}-hint") };
    html! {
        div class={ "field" @if err.is_some() { " field-error" } } {
            label for=(id) { (ctx.t("wf-returns-file")) }
            p.hint #{ (id) "-hint" } { (ctx.t("wf-returns-hint")) }
            @if let Some(m) = err { p.error-message #{ (id) "-error" } { span.visually-hidden { (ctx.t("form-error-prefix")) } (m) } }
            input #(id).file name="file" type="file" required accept=".csv,.txt,text/csv" aria-invalid=[err.map(|_| "true")] aria-describedby=(described);
        }
    }
}

/// `POST /welfare/runs/{id}/approve`: another person approves a frozen run.
pub async fn approve(State(web): State<Web>, ctx: Ctx, Path(id): Path<String>, _form: PostForm) -> Response {
    let r = async {
        let p = ctx.require()?;
        match cases::approve(&web.state, p, &id).await {
            Ok(v) => Ok(redirect(&format!("/welfare/runs/{}?done=approved", v.id))),
            Err(e) if on_form(&e) => {
                let s = RunShown { approve_errors: form_errors(&ctx, &e, &[]), ..Default::default() };
                render_run(&ctx, &web, &id, s, e.status()).await
            }
            Err(e) => Err(e),
        }
    }
    .await;
    finish(&ctx, r)
}

/// `GET /welfare/runs/{id}/bank-file`: the bank's payment file, as a download.
pub async fn bank_file(State(web): State<Web>, ctx: Ctx, Path(id): Path<String>) -> Response {
    let r = async {
        let p = ctx.require()?;
        let (name, file) = cases::bank_file(&web.state, p, &id).await?;
        let mut resp = file.into_response();
        let h = resp.headers_mut();
        h.insert(CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8"));
        if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{}\"", name.replace(['"', '\\'], ""))) {
            h.insert(CONTENT_DISPOSITION, v);
        }
        Ok(resp)
    }
    .await;
    finish(&ctx, r)
}

/// `POST /welfare/runs/{id}/returns`: the bank's return file in.
pub async fn returns(State(web): State<Web>, ctx: Ctx, Path(id): Path<String>, form: PostForm) -> Response {
    let r = async {
        let p = ctx.require()?;
        let refused = |msg: String| {
            let mut errors = Errors::default();
            errors.push("file", msg);
            RunShown { returns_errors: errors, ..Default::default() }
        };
        let Some(file) = form.files.iter().find(|f| f.field == "file") else {
            return render_run(&ctx, &web, &id, refused(ctx.t("wf-returns-required")), StatusCode::UNPROCESSABLE_ENTITY).await;
        };
        let Ok(text) = std::str::from_utf8(&file.bytes) else {
            return render_run(&ctx, &web, &id, refused(ctx.t("wf-returns-utf8")), StatusCode::UNPROCESSABLE_ENTITY).await;
        };
        match cases::returns(&web.state, p, &id, text).await {
            Ok(v) => render_run(&ctx, &web, &id, RunShown { returned: Some(v), ..Default::default() }, StatusCode::OK).await,
            Err(e) if on_form(&e) => {
                let msg = crate::layout::message(ctx.lang, &e);
                render_run(&ctx, &web, &id, refused(msg), e.status()).await
            }
            Err(e) => Err(e),
        }
    }
    .await;
    finish(&ctx, r)
}

// ---------------------------------------------------------------------------------------------
// The community worker's worklist.

/// A visit form sent back: (household, errors, outcome, note, services).
type FailedVisit = (String, Errors, String, String, Vec<String>);

/// `GET /welfare/worklist`: households found in difficulty.
pub async fn worklist(State(web): State<Web>, ctx: Ctx, Query(q): Query<WorklistQuery>) -> Response {
    let r = async {
        let b = banner(&ctx, q.done.as_deref());
        render_worklist(&ctx, &web, &q, b, None, StatusCode::OK).await
    }
    .await;
    finish(&ctx, r)
}

async fn render_worklist(ctx: &Ctx, web: &Web, q: &WorklistQuery, banner: Option<String>, failed: Option<FailedVisit>, status: StatusCode) -> Result<Response, Failure> {
    let p = ctx.require()?;
    let offset = q.offset.unwrap_or(0).max(0);
    let wanted = q.status.clone().filter(|s| !s.is_empty());
    let fq = FlagQuery { division: None, status: wanted.clone(), limit: Some(FLAGS_PER_PAGE), offset: Some(offset) };
    let flags = cases::flags(&web.state, p, fq).await?;
    let worker = ctx.who.meets(Who::COMMUNITY) && !ctx.who.meets(STAFF);
    let title = ctx.t("wf-worklist-title");
    let statuses = ["", "open", "visited", "enrolled", "closed"];
    let base = match &wanted {
        Some(s) => format!("/welfare/worklist?status={}&", encode(s)),
        None => "/welfare/worklist?".to_owned(),
    };
    let body = html! {
        (banner_markup(banner.as_ref()))
        h1 { (title) }
        p.lead { (ctx.t("wf-worklist-lead")) }
        @if let Some(d) = p.account.division.as_deref().filter(|d| !d.is_empty()) { p.muted { (ctx.ta("wf-worklist-division", crate::args![("division", d.to_owned())])) } }
        form.actions method="get" action="/welfare/worklist" {
            (select(ctx, &Errors::default(), "status", &ctx.t("wf-filter-status"), &statuses.iter().map(|s| (s.to_string(), if s.is_empty() { ctx.t("wf-all") } else { named(ctx, &format!("wf-status-{s}"), s) })).collect::<Vec<_>>(), wanted.as_deref().unwrap_or("")))
            button.button.button-secondary type="submit" { (ctx.t("wf-show")) }
        }
        @if flags.is_empty() { p { (ctx.t("wf-none-flags")) } }
        @for f in &flags { (flag_card(ctx, f, worker, failed.as_ref())) }
        (super::staff::pager(ctx, &base, offset, FLAGS_PER_PAGE, flags.len()))
    };
    Ok(page_status(ctx, status, &title, body))
}

fn flag_card(ctx: &Ctx, f: &FlagView, worker: bool, failed: Option<&FailedVisit>) -> Markup {
    let hh = &f.household;
    let failed = failed.filter(|x| x.0 == *hh);
    let none = Errors::default();
    let errors = failed.map_or(&none, |x| &x.1);
    let fields = [format!("outcome-{hh}"), format!("note-{hh}"), format!("services-{hh}")];
    let outcomes = vec![
        ("enrolled".to_owned(), ctx.t("wf-outcome-enrolled")),
        ("no_need".to_owned(), ctx.t("wf-outcome-no-need")),
        ("referred".to_owned(), ctx.t("wf-outcome-referred")),
    ];
    let services_id = input_id(&fields[2]);
    let services_err = errors.of(&fields[2]);
    html! {
        article.case-action #{ "household-" (hh) } aria-labelledby={ "h-hh-" (hh) } {
            h2 #{ "h-hh-" (hh) } {
                (ctx.ta("wf-household", crate::args![("household", hh.clone())])) " · " (f.division_name) " "
                (status_tag(ctx, &f.status)) " " (tag("info", &named(ctx, &format!("wf-origin-{}", f.origin), &f.origin)))
            }
            p { (ctx.ta("wf-score", crate::args![("score", f.score)])) " · " (ctx.ta("wf-found", crate::args![("date", time_of(Some(&f.found_at)))])) }
            h3 { (ctx.t("wf-reasons")) }
            ul { @for r in &f.reasons { li { (ctx.lang.pick(&r.zh, &r.en)) @if let Some(p) = &r.person { " " span.muted { (p) } } } } }
            h3 { (ctx.t("wf-members")) }
            (members_table(ctx, &f.members))
            @if let Some(o) = &f.outcome {
                p { strong { (ctx.t("wf-visit-note")) } " " (o) " · " (time_of(f.visited_at.as_deref())) }
            }
            @if !f.services.is_empty() { p { strong { (ctx.t("wf-enrolled-services")) } " " (f.services.join(ctx.lang.pick("、", ", "))) } }
            p { a href={ "/welfare/households/" (hh) "/happiness" } { (ctx.t("wf-happiness-link")) span.visually-hidden { " " (hh) } } }
            @if worker {
                h3 { (ctx.t("wf-visit-title")) }
                (error_summary(ctx, errors, &fields))
                form.stack method="post" action={ "/welfare/flags/" (hh) "/visit" } novalidate {
                    (csrf(ctx))
                    (radios(ctx, errors, &fields[0], &ctx.t("wf-visit-outcome"), &outcomes, failed.map_or("", |x| x.2.as_str()), true))
                    (textarea(ctx, errors, &fields[1], &ctx.t("wf-visit-note"), Some(&ctx.t("wf-visit-note-hint")), failed.map_or("", |x| x.3.as_str()), true))
                    div class={ "field" @if services_err.is_some() { " field-error" } } {
                        fieldset #(services_id) aria-describedby=[services_err.map(|_| format!("{services_id}-error"))] {
                            legend { (ctx.t("wf-visit-services")) span.optional { " " (ctx.t("form-optional")) } }
                            @if let Some(m) = services_err { p.error-message #{ (services_id) "-error" } { span.visually-hidden { (ctx.t("form-error-prefix")) } (m) } }
                            @if f.suggested.is_empty() { p.muted { (ctx.t("wf-no-suggested")) } }
                            div.checks {
                                @for (i, s) in f.suggested.iter().enumerate() {
                                    div.check {
                                        input #{ (services_id) "-" (i) } type="checkbox" name={ "service-" (hh) "-" (s.id) } value="1"
                                            checked[failed.is_some_and(|x| x.4.contains(&s.id))];
                                        label for={ (services_id) "-" (i) } { (s.name) " — " (s.provider) }
                                    }
                                }
                            }
                        }
                    }
                    button.button type="submit" { (ctx.t("wf-visit-save")) span.visually-hidden { " " (hh) } }
                }
            }
        }
    }
}

/// `POST /welfare/flags/{household}/visit`: the community worker records a visit.
pub async fn visit(State(web): State<Web>, ctx: Ctx, Path(household): Path<String>, form: PostForm) -> Response {
    let r = async {
        let p = ctx.require()?;
        let hh = household.clone();
        let fields = [format!("outcome-{hh}"), format!("note-{hh}"), format!("services-{hh}")];
        let outcome = form.get(&fields[0]).unwrap_or_default();
        let note = form.get(&fields[1]).unwrap_or_default();
        let services: Vec<String> = form.prefixed(&format!("service-{hh}-")).into_keys().collect();
        if outcome.is_empty() {
            let mut errors = Errors::default();
            errors.push(&fields[0], ctx.t("wf-visit-outcome-required"));
            let failed = (hh, errors, outcome, note, services);
            return render_worklist(&ctx, &web, &WorklistQuery::default(), None, Some(failed), StatusCode::UNPROCESSABLE_ENTITY).await;
        }
        let body = VisitBody { outcome: outcome.clone(), note: note.clone(), services: services.clone() };
        match cases::visit(&web.state, p, &household, body).await {
            Ok(_) => Ok(redirect("/welfare/worklist?done=visited")),
            Err(e) if on_form(&e) => {
                let errors = form_errors(&ctx, &e, &[("outcome", fields[0].clone()), ("note", fields[1].clone()), ("services", fields[2].clone())]);
                let failed = (hh, errors, outcome, note, services);
                render_worklist(&ctx, &web, &WorklistQuery::default(), None, Some(failed), e.status()).await
            }
            Err(e) => Err(e),
        }
    }
    .await;
    finish(&ctx, r)
}
