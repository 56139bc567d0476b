//! Medical insurance payment (医保支付, issue 35): the bureau's page — the scheme's hospitals and
//! the applications to decide, the monthly settlements (preview, freeze, and approval by another
//! person) and the indicators — and a hospital's — its membership and application, its own
//! episodes and its own part of each settlement. Everything goes through
//! `server::areas::medins::cases`; money is shown in yuan, patients masked as the use cases give them.

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
use server::areas::medins::cases;
use server::areas::medins::views::ApplyBody;
use server::areas::medins::views::BudgetBody;
use server::areas::medins::views::DecisionBody;
use server::areas::medins::views::EpisodesQuery;
use server::areas::medins::views::EpisodesView;
use server::areas::medins::views::HospitalView;
use server::areas::medins::views::IndicatorsView;
use server::areas::medins::views::LinesQuery;
use server::areas::medins::views::SettlementSummaryView;
use server::areas::medins::views::SettlementView;
use server::failure::Failure;
use server::policy::Who;

use super::form_errors;
use super::on_form;
use super::date;
use super::number;
use super::signed_pct;
use super::staff::pager;
use super::time;
use super::yuan;
use crate::Web;
use crate::charts;
use crate::charts::Bar;
use crate::ctx::Ctx;
use crate::forms::PostForm;
use crate::layout::Errors;
use crate::layout::Input;
use crate::layout::csrf;
use crate::layout::error_summary;
use crate::layout::finish;
use crate::layout::input;
use crate::layout::page_status;
use crate::layout::radios;
use crate::layout::redirect;
use crate::layout::table_head;
use crate::layout::tag;
use crate::layout::text_table_head;
use crate::layout::textarea;
use super::banner_markup;
use super::named;

/// The insurance bureau (医保) and the administrator.
const BUREAU: Who = Who::INSURANCE.or(Who::ADMIN);
/// Episodes on a hospital's page, lines on a settlement's page, lines of a preview.
const EPISODES_PER_PAGE: i64 = 20;
const LINES_PER_PAGE: i64 = 50;
const PREVIEW_LINES: i64 = 20;
/// Months drawn in the indicators' charts (the table has them all).
const CHART_MONTHS: usize = 24;

#[derive(Debug, Default, Deserialize)]
pub struct MedinsQuery {
    pub offset: Option<i64>,
    /// What was just done (a banner): applied | approved | refused | frozen | settled.
    pub done: Option<String>,
}

/// Which side of the scheme the signed-in account is on.
enum Side {
    Bureau,
    Hospital(String),
}

fn side(ctx: &Ctx) -> Result<Side, Failure> {
    let p = ctx.require()?;
    if ctx.who.meets(BUREAU) {
        return Ok(Side::Bureau);
    }
    match p.department() {
        Some(d) if ctx.who.meets(Who::CLINICIAN) => Ok(Side::Hospital(d.to_owned())),
        _ => Err(Failure::forbidden("只有医保部门和医疗机构可以使用", "Only the insurance bureau and medical institutions may use this")),
    }
}

/// What a page shows beyond the use cases' data: a banner, the forms' values and errors, a preview.
#[derive(Default)]
struct Shown {
    banner: Option<String>,
    offset: i64,
    /// The preview form: its values and errors, and the preview worked out.
    month: String,
    budget: String,
    preview_errors: Errors,
    preview: Option<SettlementView>,
    /// A decision on an application that was refused.
    decision: Option<Decision>,
    /// Approving a month was refused.
    settlement_errors: Errors,
    /// Applying was refused, and the note sent.
    apply_errors: Errors,
    apply_note: String,
}

/// A decision form sent back with its errors.
struct Decision {
    hospital: String,
    errors: Errors,
    choice: String,
    since: String,
    note: String,
}

fn banner(ctx: &Ctx, done: Option<&str>) -> Option<String> {
    let key = match done? {
        "applied" => "mi-done-applied",
        "approved" => "mi-done-approved",
        "refused" => "mi-done-refused",
        "frozen" => "mi-done-frozen",
        "settled" => "mi-done-settled",
        _ => return None,
    };
    Some(ctx.t(key))
}

/// An RFC 3339 time as its date in China.
fn day_of(t: Option<&str>) -> String {
    t.and_then(|t| DateTime::parse_from_rfc3339(t).ok()).map(|t| date(domain::china_date(t.with_timezone(&chrono::Utc)))).unwrap_or_else(|| "—".to_owned())
}

/// An RFC 3339 time in China, to the minute.
fn time_of(t: Option<&str>) -> String {
    t.and_then(|t| DateTime::parse_from_rfc3339(t).ok()).map(|t| time(t.with_timezone(&chrono::Utc))).unwrap_or_else(|| "—".to_owned())
}

/// The first characters of a digest, enough to tell two apart.
fn short(digest: &str) -> &str {
    digest.get(..12).unwrap_or(digest)
}

fn level_name(ctx: &Ctx, h: &HospitalView) -> String {
    named(ctx, &format!("mi-level-{}", h.level), &h.level_zh)
}

fn membership_tag(ctx: &Ctx, h: &HospitalView) -> Markup {
    let class = match h.membership.as_str() {
        "included" | "approved" => "ok",
        "applied" => "warn",
        "refused" => "bad",
        _ => "grey",
    };
    tag(class, &named(ctx, &format!("mi-membership-{}", h.membership), &h.membership_zh))
}

fn status_tag(ctx: &Ctx, status: &str) -> Markup {
    let class = match status {
        "approved" => "ok",
        "frozen" => "warn",
        _ => "info",
    };
    tag(class, &named(ctx, &format!("mi-status-{status}"), status))
}

// ---------------------------------------------------------------------------------------------
// Pages.

async fn render(ctx: &Ctx, web: &Web, s: Shown, status: StatusCode) -> Result<Response, Failure> {
    let (title, body) = match side(ctx)? {
        Side::Bureau => (ctx.t("mi-title"), bureau_page(ctx, web, &s).await?),
        Side::Hospital(code) => hospital_page(ctx, web, &code, &s).await?,
    };
    let body = html! { (banner_markup(s.banner.as_ref())) (body) };
    Ok(page_status(ctx, status, &title, body))
}

/// `GET /medins`: the bureau's page, or a hospital's.
pub async fn show(State(web): State<Web>, ctx: Ctx, Query(q): Query<MedinsQuery>) -> Response {
    let r = async {
        let s = Shown { banner: banner(&ctx, q.done.as_deref()), offset: q.offset.unwrap_or(0).max(0), ..Default::default() };
        render(&ctx, &web, s, StatusCode::OK).await
    }
    .await;
    finish(&ctx, r)
}

async fn bureau_page(ctx: &Ctx, web: &Web, s: &Shown) -> Result<Markup, Failure> {
    let p = ctx.require()?;
    let hospitals = cases::hospitals(&web.state, p).await?;
    let settlements = cases::settlements(&web.state, p).await?;
    let indicators = cases::indicators(&web.state, p).await?;
    let pending: Vec<&HospitalView> = hospitals.iter().filter(|h| h.membership == "applied").collect();
    let in_scheme = hospitals.iter().filter(|h| matches!(h.membership.as_str(), "included" | "approved")).count();
    let awaiting = settlements.iter().filter(|x| x.status == "frozen").count();
    // The month to settle is usually the last one.
    let month = if s.month.is_empty() && s.preview_errors.is_empty() {
        let today = domain::china_date(web.state.now());
        today.checked_sub_months(chrono::Months::new(1)).unwrap_or(today).format("%Y-%m").to_string()
    } else {
        s.month.clone()
    };
    Ok(html! {
        h1 { (ctx.t("mi-title")) }
        p.lead { (ctx.t("mi-lead")) }
        ul.figures {
            li { span.num { (in_scheme) } span.lbl { (ctx.ta("mi-fig-in-scheme", crate::args![("n", hospitals.len())])) } }
            li { span.num { (pending.len()) } span.lbl { (ctx.t("mi-fig-pending")) } }
            li { span.num { (settlements.len()) } span.lbl { (ctx.t("mi-fig-settled")) } }
            li { span.num { (awaiting) } span.lbl { (ctx.t("mi-fig-awaiting")) } }
        }
        nav.contents aria-label=(ctx.t("mi-contents")) {
            ul.tabs {
                li { a href="#applications" { (ctx.t("mi-pending")) } }
                li { a href="#settlements" { (ctx.t("mi-settlements")) } }
                li { a href="#preview" { (ctx.t("mi-preview-title")) } }
                li { a href="#indicators" { (ctx.t("mi-indicators")) } }
                li { a href="#hospitals" { (ctx.t("mi-hospitals")) } }
            }
        }
        section #applications aria-labelledby="h-mi-pending" {
            h2 #h-mi-pending { (ctx.t("mi-pending")) }
            @if pending.is_empty() { p { (ctx.t("mi-no-pending")) } }
            @for h in &pending { (decision_form(ctx, h, s.decision.as_ref())) }
        }
        section #settlements aria-labelledby="h-mi-settlements" {
            h2 #h-mi-settlements { (ctx.t("mi-settlements")) }
            (error_summary(ctx, &s.settlement_errors, &[]))
            (settlements_table(ctx, &settlements, true))
        }
        section #preview aria-labelledby="h-mi-preview" {
            h2 #h-mi-preview { (ctx.t("mi-preview-title")) }
            p { (ctx.t("mi-preview-lead")) }
            (preview_form(ctx, s, &month))
            @if let Some(v) = &s.preview { (preview_result(ctx, v, &s.budget)) }
        }
        section #indicators aria-labelledby="h-mi-indicators" {
            h2 #h-mi-indicators { (ctx.t("mi-indicators")) }
            (indicators_section(ctx, &indicators, &hospitals))
        }
        section #hospitals aria-labelledby="h-mi-hospitals" {
            h2 #h-mi-hospitals { (ctx.t("mi-hospitals")) }
            (hospitals_table(ctx, &hospitals))
        }
    })
}

fn hospitals_table(ctx: &Ctx, hospitals: &[HospitalView]) -> Markup {
    html! {
        div.table-wrap { table {
            (text_table_head(ctx, "mi-hospitals", "mi-col-hospital", &["mi-col-level", "mi-col-membership", "mi-col-since", "mi-col-applied", "mi-col-note"]))
            tbody {
                @for h in hospitals {
                    tr {
                        th scope="row" { (h.name) br; span.muted { (h.code) } }
                        td { (level_name(ctx, h)) }
                        td { (membership_tag(ctx, h)) }
                        td { (h.since.as_deref().unwrap_or("—")) }
                        td { (day_of(h.applied_at.as_deref())) }
                        td { (h.note.as_deref().unwrap_or("")) }
                    }
                }
            }
        } }
    }
}

/// The bureau's decision on one application: approve (from a date) or refuse (with the reason).
fn decision_form(ctx: &Ctx, h: &HospitalView, failed: Option<&Decision>) -> Markup {
    let code = &h.code;
    let failed = failed.filter(|d| d.hospital == *code);
    let none = Errors::default();
    let errors = failed.map_or(&none, |d| &d.errors);
    let value = |f: fn(&Decision) -> &str| failed.map_or("", f);
    let fields = [format!("decision-{code}"), format!("since-{code}"), format!("note-{code}")];
    let choices = vec![("approve".to_owned(), ctx.t("mi-decision-approve")), ("refuse".to_owned(), ctx.t("mi-decision-refuse"))];
    html! {
        div.case-action #{ "decide-" (code) } {
            h3 { (h.name) " " (membership_tag(ctx, h)) }
            p { (ctx.ta("mi-applied-line", crate::args![("level", level_name(ctx, h)), ("date", day_of(h.applied_at.as_deref()))])) }
            @if let Some(n) = &h.note { p { (ctx.ta("mi-applicant-note", crate::args![("note", n.clone())])) } }
            (error_summary(ctx, errors, &fields))
            form.stack method="post" action={ "/medins/hospitals/" (code) "/decision" } novalidate {
                (csrf(ctx))
                (radios(ctx, errors, &fields[0], &ctx.t("mi-decision"), &choices, value(|d| d.choice.as_str()), true))
                (input(ctx, errors, &Input { name: &fields[1], label: &ctx.t("mi-since"), hint: Some(&ctx.t("mi-since-hint")), value: value(|d| d.since.as_str()), kind: "date", width: Some("w-short"), ..Default::default() }))
                (textarea(ctx, errors, &fields[2], &ctx.t("mi-note"), Some(&ctx.t("mi-note-hint")), value(|d| d.note.as_str()), false))
                button.button type="submit" { (ctx.t("mi-decide")) span.visually-hidden { " " (h.name) } }
            }
        }
    }
}

/// The months settled; for the bureau, a frozen month's approval.
fn settlements_table(ctx: &Ctx, rows: &[SettlementSummaryView], bureau: bool) -> Markup {
    html! {
        @if rows.is_empty() { p { (ctx.t("mi-no-settlements")) } }
        @else {
            @if bureau { p.muted { (ctx.t("mi-approve-hint")) } }
            div.table-wrap { table {
                caption.visually-hidden { (ctx.t("mi-settlements")) }
                thead { tr {
                    th scope="col" { (ctx.t("mi-col-month")) }
                    th scope="col" { (ctx.t("mi-col-status")) }
                    th.num scope="col" { (ctx.t("mi-col-budget")) }
                    th.num scope="col" { (ctx.t("mi-col-episodes")) }
                    th scope="col" { (ctx.t("mi-col-digest")) }
                    th scope="col" { (ctx.t("mi-col-action")) }
                } }
                tbody {
                    @for r in rows {
                        tr {
                            th scope="row" { a href={ "/medins/settlements/" (r.month) } { (r.month) } }
                            td { (status_tag(ctx, &r.status)) }
                            td.num { (yuan(r.budget_fen)) }
                            td.num { (r.episodes) }
                            td { code { (short(&r.digest)) } }
                            td {
                                @if bureau && r.status == "frozen" {
                                    form method="post" action={ "/medins/settlements/" (r.month) "/approve" } {
                                        (csrf(ctx))
                                        button.button.button-secondary type="submit" { (ctx.t("mi-approve")) span.visually-hidden { " " (r.month) } }
                                    }
                                } @else {
                                    a href={ "/medins/settlements/" (r.month) } { (ctx.t(if bureau { "mi-view" } else { "mi-view-own" })) span.visually-hidden { " " (r.month) } }
                                }
                            }
                        }
                    }
                }
            } }
        }
    }
}

fn preview_form(ctx: &Ctx, s: &Shown, month: &str) -> Markup {
    let fields = ["month".to_owned(), "budget".to_owned()];
    html! {
        (error_summary(ctx, &s.preview_errors, &fields))
        form.stack method="post" action="/medins/settlements/preview" novalidate {
            (csrf(ctx))
            (input(ctx, &s.preview_errors, &Input { name: "month", label: &ctx.t("mi-month"), hint: Some(&ctx.t("mi-month-hint")), value: month, required: true, autocomplete: Some("off"), maxlength: Some(7), width: Some("w-short"), ..Default::default() }))
            (input(ctx, &s.preview_errors, &Input { name: "budget", label: &ctx.t("mi-budget"), hint: Some(&ctx.t("mi-budget-hint")), value: &s.budget, required: true, autocomplete: Some("off"), inputmode: Some("decimal"), ..Default::default() }))
            button.button type="submit" { (ctx.t("mi-preview")) }
        }
    }
}

/// A worked-out preview, with the form that freezes it.
fn preview_result(ctx: &Ctx, v: &SettlementView, budget: &str) -> Markup {
    html! {
        div.result #preview-result tabindex="-1" data-autofocus {
            h3 { (ctx.ta("mi-preview-of", crate::args![("month", v.month.clone())])) }
            (settlement_body(ctx, v, true, 0, true))
            form.stack method="post" action={ "/medins/settlements/" (v.month) "/freeze" } novalidate {
                (csrf(ctx))
                input type="hidden" name="budget" value=(budget);
                p.hint { (ctx.t("mi-freeze-hint")) }
                button.button.button-warning type="submit" { (ctx.ta("mi-freeze", crate::args![("month", v.month.clone())])) }
            }
        }
    }
}

/// A settlement's figures, its payments by hospital (those with episodes) and a page of its lines
/// (from `offset`);
/// `nested`: under a third-level heading, else at the page's top.
fn settlement_body(ctx: &Ctx, v: &SettlementView, bureau: bool, offset: i64, nested: bool) -> Markup {
    let heading = |key: &str| html! { @if nested { h4 { (ctx.t(key)) } } @else { h2 { (ctx.t(key)) } } };
    let readmissions: usize = v.hospitals.iter().map(|h| h.readmissions).sum();
    let outliers: usize = v.hospitals.iter().map(|h| h.outliers).sum();
    let from = usize::try_from(offset).unwrap_or(0);
    let lines_caption = if from == 0 && v.lines.len() < v.lines_total {
        ctx.ta("mi-lines-first", crate::args![("n", v.lines.len()), ("total", v.lines_total)])
    } else {
        ctx.ta("mi-lines-range", crate::args![("from", (from + 1).min(v.lines_total)), ("to", from + v.lines.len()), ("total", v.lines_total)])
    };
    html! {
        dl.summary {
            dt { (ctx.t("mi-col-status")) } dd { (status_tag(ctx, &v.status)) }
            dt { (ctx.t("mi-col-budget")) } dd { (yuan(v.budget_fen)) }
            dt { (ctx.t("mi-point-value")) } dd { (number(v.point_value / 100.0, 4)) }
            dt { (ctx.t("mi-total-points")) } dd { (number(v.total_points, 2)) }
            dt { (ctx.t("mi-col-episodes")) } dd { (v.episodes) }
            dt { (ctx.t("mi-col-digest")) } dd { code { (short(&v.digest)) } }
            @if v.frozen_at.is_some() { dt { (ctx.t("mi-frozen-at")) } dd { (time_of(v.frozen_at.as_deref())) } }
            @if v.approved_at.is_some() { dt { (ctx.t("mi-approved-at")) } dd { (time_of(v.approved_at.as_deref())) } }
        }
        ul.figures {
            li { span.num { (readmissions) } span.lbl { (ctx.t("mi-readmissions")) } }
            li { span.num { (outliers) } span.lbl { (ctx.t("mi-outliers")) } }
        }
        (heading("mi-payments"))
        @if v.hospitals.iter().all(|h| h.episodes == 0) { p { (ctx.t("mi-no-lines")) } }
        @else { div.table-wrap { table {
            (table_head(ctx, "mi-payments", "mi-col-hospital", &["mi-col-episodes", "mi-col-bed-day", "mi-col-points", "mi-col-payment", "mi-col-share", "mi-col-readmissions", "mi-col-outliers"]))
            tbody {
                @for h in v.hospitals.iter().filter(|h| h.episodes > 0) {
                    tr {
                        th scope="row" { (if h.name.is_empty() { h.hospital.clone() } else { h.name.clone() }) }
                        td.num { (h.episodes) }
                        td.num { (h.bed_day_episodes) }
                        td.num { (number(h.points, 2)) }
                        td.num { (yuan(h.payment_fen)) }
                        td.num { (yuan(h.patient_share_fen)) }
                        td.num { (h.readmissions) }
                        td.num { (h.outliers) }
                    }
                }
            }
        } } }
        (heading("mi-lines"))
        @if v.lines.is_empty() { p { (ctx.t("mi-no-lines")) } }
        @else {
            p.muted { (lines_caption) }
            div.table-wrap { table {
                caption.visually-hidden { (ctx.t("mi-lines")) " " (lines_caption) }
                thead { tr {
                    th scope="col" { (ctx.t("mi-col-episode")) }
                    @if bureau { th scope="col" { (ctx.t("mi-col-hospital")) } }
                    th scope="col" { (ctx.t("mi-col-patient")) }
                    th scope="col" { (ctx.t("mi-col-drg")) }
                    th scope="col" { (ctx.t("mi-col-kind")) }
                    th.num scope="col" { (ctx.t("mi-col-points")) }
                    th.num scope="col" { (ctx.t("mi-col-payment")) }
                    th.num scope="col" { (ctx.t("mi-col-share")) }
                    th scope="col" { (ctx.t("mi-col-flags")) }
                } }
                tbody {
                    @for l in &v.lines {
                        tr {
                            th scope="row" { (l.episode) }
                            @if bureau { td { (l.hospital) } }
                            td { (l.patient) }
                            td { (l.drg) " " span.muted { (l.drg_name) } }
                            td { (named(ctx, &format!("mi-kind-{}", l.kind), &l.kind)) }
                            td.num { (number(l.points, 2)) }
                            td.num { (yuan(l.payment_fen)) }
                            td.num { (yuan(l.patient_share_fen)) }
                            td {
                                @if let Some(o) = &l.outlier { (tag("warn", &named(ctx, &format!("mi-outlier-{o}"), o))) " " }
                                @if let Some(r) = &l.readmission_of { (tag("warn", &ctx.ta("mi-readmission-of", crate::args![("episode", r.clone())]))) }
                            }
                        }
                    }
                }
            } }
        }
    }
}

/// The district's average stay and cost per stay by month (charts and their table), and each
/// hospital's before and after it joined.
fn indicators_section(ctx: &Ctx, ind: &IndicatorsView, hospitals: &[HospitalView]) -> Markup {
    // month → (episodes, cost × episodes, stay × episodes): the averages weighted by episodes.
    let mut months: BTreeMap<&str, (usize, f64, f64)> = BTreeMap::new();
    for r in &ind.rows {
        let m = months.entry(r.month.as_str()).or_default();
        m.0 += r.episodes;
        m.1 += r.avg_cost_fen as f64 * r.episodes as f64;
        m.2 += r.avg_length_of_stay * r.episodes as f64;
    }
    let avgs: Vec<(&str, usize, f64, f64)> = months
        .into_iter()
        .filter(|(_, (n, _, _))| *n > 0)
        .map(|(m, (n, cost, los))| (m, n, cost / n as f64, los / n as f64))
        .collect();
    let drawn = &avgs[avgs.len().saturating_sub(CHART_MONTHS)..];
    let label = |m: &str| m.get(2..).unwrap_or(m).to_owned();
    let los_bars: Vec<Bar> = drawn.iter().map(|(m, _, _, los)| Bar { label: label(m), value: *los, text: format!("{los:.1}") }).collect();
    let cost_bars: Vec<Bar> = drawn.iter().map(|(m, _, cost, _)| Bar { label: label(m), value: *cost, text: format!("{:.0}", cost / 100.0) }).collect();
    let los_desc = drawn.iter().map(|(m, _, _, los)| format!("{m}: {los:.1}")).collect::<Vec<_>>().join(", ");
    let cost_desc = drawn.iter().map(|(m, _, cost, _)| format!("{m}: {}", yuan(cost.round() as i64))).collect::<Vec<_>>().join(", ");
    let name = |code: &str| hospitals.iter().find(|h| h.code == code).map(|h| h.name.clone()).unwrap_or_else(|| code.to_owned());
    html! {
        @if avgs.is_empty() { p { (ctx.t("mi-no-indicators")) } }
        @else {
            div.charts {
                figure.chart {
                    figcaption { (ctx.t("mi-los-chart")) }
                    (charts::vbars("mi-los", &ctx.t("mi-los-chart"), &los_desc, &los_bars))
                }
                figure.chart {
                    figcaption { (ctx.t("mi-cost-chart")) }
                    (charts::vbars("mi-cost", &ctx.t("mi-cost-chart"), &cost_desc, &cost_bars))
                }
            }
            details {
                summary { (ctx.t("mi-monthly-table")) }
                div.table-wrap { table {
                    (table_head(ctx, "mi-monthly-table", "mi-col-month", &["mi-col-episodes", "mi-col-avg-los", "mi-col-avg-cost"]))
                    tbody {
                        @for (m, n, cost, los) in &avgs {
                            tr { th scope="row" { (m) } td.num { (n) } td.num { (number(*los, 2)) } td.num { (yuan(cost.round() as i64)) } }
                        }
                    }
                } }
            }
        }
        h3 { (ctx.t("mi-before-after")) }
        @if ind.before_after.is_empty() { p { (ctx.t("mi-no-before-after")) } }
        @else {
            p.muted { (ctx.t("mi-before-after-lead")) }
            div.table-wrap { table {
                (table_head(ctx, "mi-before-after", "mi-col-hospital", &["mi-col-cost-before", "mi-col-cost-after", "mi-col-change", "mi-col-los-before", "mi-col-los-after", "mi-col-change"]))
                tbody {
                    @for b in &ind.before_after {
                        tr {
                            th scope="row" { (name(&b.hospital)) }
                            td.num { (yuan(b.before_avg_cost_fen)) }
                            td.num { (yuan(b.after_avg_cost_fen)) }
                            td.num { (signed_pct(b.cost_change_pct)) }
                            td.num { (number(b.before_avg_length_of_stay, 2)) }
                            td.num { (number(b.after_avg_length_of_stay, 2)) }
                            td.num { (signed_pct(b.length_of_stay_change_pct)) }
                        }
                    }
                }
            } }
        }
    }
}

async fn hospital_page(ctx: &Ctx, web: &Web, code: &str, s: &Shown) -> Result<(String, Markup), Failure> {
    let p = ctx.require()?;
    let own = cases::hospitals(&web.state, p).await?.into_iter().find(|h| h.code == code).ok_or(Failure::not_found("没有这家医疗机构", "No such hospital"))?;
    let q = EpisodesQuery { hospital: None, month: None, limit: Some(EPISODES_PER_PAGE), offset: Some(s.offset) };
    let episodes = cases::episodes(&web.state, p, q).await?;
    let settlements = cases::settlements(&web.state, p).await?;
    let title = ctx.ta("mi-title-hospital", crate::args![("hospital", own.name.clone())]);
    let may_apply = own.level == "tertiary" && matches!(own.membership.as_str(), "not_in" | "refused");
    let body = html! {
        h1 { (title) }
        section aria-labelledby="h-mi-own" {
            h2 #h-mi-own { (ctx.t("mi-own")) }
            dl.summary {
                dt { (ctx.t("mi-col-level")) } dd { (level_name(ctx, &own)) }
                dt { (ctx.t("mi-col-membership")) } dd { (membership_tag(ctx, &own)) }
                dt { (ctx.t("mi-col-since")) } dd { (own.since.as_deref().unwrap_or("—")) }
                @if own.applied_at.is_some() { dt { (ctx.t("mi-col-applied")) } dd { (day_of(own.applied_at.as_deref())) } }
                @if let Some(n) = &own.note {
                    dt { (ctx.t(if own.decided_at.is_some() { "mi-bureau-note" } else { "mi-own-note" })) } dd { (n) }
                }
            }
            @if own.level != "tertiary" { p.muted { (ctx.t("mi-included-note")) } }
        }
        @if may_apply { (apply_form(ctx, &own, s)) }
        section #episodes aria-labelledby="h-mi-episodes" {
            h2 #h-mi-episodes { (ctx.t("mi-episodes")) }
            p.muted { (ctx.t("mi-episodes-lead")) }
            (episodes_table(ctx, &episodes, s.offset))
        }
        section #settlements aria-labelledby="h-mi-settlements" {
            h2 #h-mi-settlements { (ctx.t("mi-own-settlements")) }
            (settlements_table(ctx, &settlements, false))
        }
    };
    Ok((title, body))
}

fn apply_form(ctx: &Ctx, own: &HospitalView, s: &Shown) -> Markup {
    html! {
        section #apply aria-labelledby="h-mi-apply" {
            h2 #h-mi-apply { (ctx.t("mi-apply-title")) }
            p { (ctx.t("mi-apply-lead")) }
            (error_summary(ctx, &s.apply_errors, &["note".to_owned()]))
            form.stack method="post" action={ "/medins/hospitals/" (own.code) "/apply" } novalidate {
                (csrf(ctx))
                (textarea(ctx, &s.apply_errors, "note", &ctx.t("mi-apply-note"), Some(&ctx.t("mi-apply-note-hint")), &s.apply_note, false))
                button.button type="submit" { (ctx.t("mi-apply")) }
            }
        }
    }
}

/// Whether there is a page after this one, as `pager` counts it (a full page means "maybe more").
fn shown_for_pager(offset: i64, shown: usize, total: i64, limit: i64) -> usize {
    if offset + i64::try_from(shown).unwrap_or(0) < total { usize::try_from(limit).unwrap_or(0) } else { 0 }
}

fn episodes_table(ctx: &Ctx, v: &EpisodesView, offset: i64) -> Markup {
    html! {
        @if v.episodes.is_empty() { p { (ctx.t("mi-no-episodes")) } }
        @else {
            p.muted { (ctx.ta("mi-lines-range", crate::args![("from", offset + 1), ("to", offset + i64::try_from(v.episodes.len()).unwrap_or(0)), ("total", v.total)])) }
            div.table-wrap { table {
                caption.visually-hidden { (ctx.t("mi-episodes")) }
                thead { tr {
                    th scope="col" { (ctx.t("mi-col-episode")) }
                    th scope="col" { (ctx.t("mi-col-patient")) }
                    th scope="col" { (ctx.t("mi-col-admitted")) }
                    th scope="col" { (ctx.t("mi-col-discharged")) }
                    th.num scope="col" { (ctx.t("mi-col-los")) }
                    th scope="col" { (ctx.t("mi-col-dx")) }
                    th scope="col" { (ctx.t("mi-col-drg")) }
                    th.num scope="col" { (ctx.t("mi-col-total")) }
                    th scope="col" { (ctx.t("mi-col-insurance")) }
                } }
                tbody {
                    @for e in &v.episodes {
                        tr {
                            th scope="row" { (e.id) }
                            td { (e.patient) }
                            td { (e.admitted) }
                            td { (e.discharged) }
                            td.num { (e.length_of_stay) }
                            td { (e.principal_dx) }
                            td { (e.drg) " " span.muted { (e.drg_name) } }
                            td.num { (yuan(e.total_fen)) }
                            td { (named(ctx, &format!("mi-insurance-{}", e.insurance), &e.insurance)) }
                        }
                    }
                }
            } }
            (pager(ctx, "/medins?", offset, EPISODES_PER_PAGE, shown_for_pager(offset, v.episodes.len(), v.total, EPISODES_PER_PAGE)))
        }
    }
}

/// `GET /medins/settlements/{month}`: a month's settlement (a hospital: its own part), its lines
/// paged.
pub async fn settlement(State(web): State<Web>, ctx: Ctx, Path(month): Path<String>, Query(q): Query<MedinsQuery>) -> Response {
    let r = async {
        let bureau = matches!(side(&ctx)?, Side::Bureau);
        let p = ctx.require()?;
        let offset = q.offset.unwrap_or(0).max(0);
        let v = cases::settlement(&web.state, p, &month, LinesQuery { limit: Some(LINES_PER_PAGE), offset: Some(offset) }).await?;
        let title = ctx.ta("mi-settlement-title", crate::args![("month", v.month.clone())]);
        let total = i64::try_from(v.lines_total).unwrap_or(0);
        let body = html! {
            p { a href="/medins#settlements" { (ctx.t("mi-back")) } }
            h1 { (title) }
            (settlement_body(&ctx, &v, bureau, offset, false))
            (pager(&ctx, &format!("/medins/settlements/{}?", v.month), offset, LINES_PER_PAGE, shown_for_pager(offset, v.lines.len(), total, LINES_PER_PAGE)))
        };
        Ok(page_status(&ctx, StatusCode::OK, &title, body))
    }
    .await;
    finish(&ctx, r)
}

// ---------------------------------------------------------------------------------------------
// Forms.

/// `POST /medins/hospitals/{code}/apply`: a tertiary hospital applies to join.
pub async fn apply(State(web): State<Web>, ctx: Ctx, Path(code): Path<String>, form: PostForm) -> Response {
    let r = async {
        let p = ctx.require()?;
        let note = form.get("note").unwrap_or_default();
        match cases::apply(&web.state, p, &code, ApplyBody { note: Some(note.clone()) }).await {
            Ok(_) => Ok(redirect("/medins?done=applied")),
            Err(e) if on_form(&e) => {
                let s = Shown { apply_errors: form_errors(&ctx, &e, &[("note", "note".to_owned())]), apply_note: note, ..Default::default() };
                render(&ctx, &web, s, e.status()).await
            }
            Err(e) => Err(e),
        }
    }
    .await;
    finish(&ctx, r)
}

/// `POST /medins/hospitals/{code}/decision`: the bureau approves (from a date) or refuses (with the
/// reason) an application.
pub async fn decide(State(web): State<Web>, ctx: Ctx, Path(code): Path<String>, form: PostForm) -> Response {
    let r = async {
        let p = ctx.require()?;
        let fields = [format!("decision-{code}"), format!("since-{code}"), format!("note-{code}")];
        let choice = form.get(&fields[0]).unwrap_or_default();
        let since = form.get(&fields[1]).unwrap_or_default();
        let note = form.get(&fields[2]).unwrap_or_default();
        let failed = |errors: Errors| Shown {
            decision: Some(Decision { hospital: code.clone(), errors, choice: choice.clone(), since: since.clone(), note: note.clone() }),
            ..Default::default()
        };
        let approve = match choice.as_str() {
            "approve" => true,
            "refuse" => false,
            _ => {
                let mut errors = Errors::default();
                errors.push(&fields[0], ctx.t("mi-decision-required"));
                return render(&ctx, &web, failed(errors), StatusCode::UNPROCESSABLE_ENTITY).await;
            }
        };
        let body = DecisionBody { approve, since: (approve && !since.is_empty()).then(|| since.clone()), note: Some(note.clone()) };
        match cases::decide(&web.state, p, &code, body).await {
            Ok(_) => Ok(redirect(if approve { "/medins?done=approved" } else { "/medins?done=refused" })),
            Err(e) if on_form(&e) => {
                let errors = form_errors(&ctx, &e, &[("since", fields[1].clone()), ("note", fields[2].clone())]);
                render(&ctx, &web, failed(errors), e.status()).await
            }
            Err(e) => Err(e),
        }
    }
    .await;
    finish(&ctx, r)
}

/// The budget as typed, in yuan, as fen (its error against the `budget` input).
fn budget_fen(ctx: &Ctx, budget: &str, errors: &mut Errors) -> Option<i64> {
    if budget.is_empty() {
        errors.push("budget", ctx.t("mi-budget-required"));
        return None;
    }
    match domain::Fen::parse_yuan(budget) {
        Ok(f) => Some(f.0),
        Err(e) => {
            errors.push("budget", ctx.lang.pick(&domain::Describe::message_zh(&e), &domain::Describe::message_en(&e)).to_owned());
            None
        }
    }
}

/// The use cases' fields of the preview and freeze forms, as its inputs.
fn budget_fields() -> [(&'static str, String); 2] {
    [("month", "month".to_owned()), ("budget_fen", "budget".to_owned())]
}

/// The preview and freeze forms' month and budget checked: what the page shows again, and the
/// budget in fen when both are right (else the errors are in `preview_errors`).
fn budget_form(ctx: &Ctx, month: &str, budget: String) -> (Shown, Option<i64>) {
    let mut errors = Errors::default();
    if month.is_empty() {
        errors.push("month", ctx.t("mi-month-required"));
    }
    let fen = budget_fen(ctx, &budget, &mut errors).filter(|_| errors.is_empty());
    (Shown { month: month.to_owned(), budget, preview_errors: errors, ..Default::default() }, fen)
}

/// A preview or freeze the use case refused: on the form when it is about its inputs.
async fn budget_refused(ctx: &Ctx, web: &Web, mut s: Shown, e: Failure) -> Result<Response, Failure> {
    if !on_form(&e) {
        return Err(e);
    }
    s.preview_errors = form_errors(ctx, &e, &budget_fields());
    render(ctx, web, s, e.status()).await
}

/// `POST /medins/settlements/preview`: a month worked out for a budget, not kept.
pub async fn preview(State(web): State<Web>, ctx: Ctx, form: PostForm) -> Response {
    let r = async {
        let p = ctx.require()?;
        let month = form.get("month").unwrap_or_default();
        let (mut s, fen) = budget_form(&ctx, &month, form.get("budget").unwrap_or_default());
        let Some(fen) = fen else {
            return render(&ctx, &web, s, StatusCode::UNPROCESSABLE_ENTITY).await;
        };
        let lines = LinesQuery { limit: Some(PREVIEW_LINES), offset: None };
        match cases::preview(&web.state, p, &month, BudgetBody { budget_fen: fen }, lines).await {
            Ok(v) => {
                s.preview = Some(v);
                render(&ctx, &web, s, StatusCode::OK).await
            }
            Err(e) => budget_refused(&ctx, &web, s, e).await,
        }
    }
    .await;
    finish(&ctx, r)
}

/// `POST /medins/settlements/{month}/freeze`: the previewed month frozen with its budget.
pub async fn freeze(State(web): State<Web>, ctx: Ctx, Path(month): Path<String>, form: PostForm) -> Response {
    let r = async {
        let p = ctx.require()?;
        let (s, fen) = budget_form(&ctx, &month, form.get("budget").unwrap_or_default());
        let Some(fen) = fen else {
            return render(&ctx, &web, s, StatusCode::UNPROCESSABLE_ENTITY).await;
        };
        // The use case answers with a page of the lines, logged as read: one, since none is shown.
        let lines = LinesQuery { limit: Some(1), offset: None };
        match cases::freeze(&web.state, p, &month, BudgetBody { budget_fen: fen }, lines).await {
            Ok(_) => Ok(redirect("/medins?done=frozen")),
            Err(e) => budget_refused(&ctx, &web, s, e).await,
        }
    }
    .await;
    finish(&ctx, r)
}

/// `POST /medins/settlements/{month}/approve`: a frozen month approved by another person.
pub async fn approve(State(web): State<Web>, ctx: Ctx, Path(month): Path<String>, _form: PostForm) -> Response {
    let r = async {
        let p = ctx.require()?;
        let lines = LinesQuery { limit: Some(1), offset: None };
        match cases::approve(&web.state, p, &month, lines).await {
            Ok(_) => Ok(redirect("/medins?done=settled")),
            Err(e) if on_form(&e) => {
                let s = Shown { settlement_errors: form_errors(&ctx, &e, &[]), ..Default::default() };
                render(&ctx, &web, s, e.status()).await
            }
            Err(e) => Err(e),
        }
    }
    .await;
    finish(&ctx, r)
}
