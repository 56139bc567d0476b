//! The workbench of window staff and department clerks: the department's case queue sorted by
//! deadline with warnings (open / due within two working days / overdue), the window's recent
//! intakes, one-window intake (一窗受理) of any bundle or item for a person who came in, and the
//! claim slips of the online accounts such an intake opens.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use catalog::{LifeStage, Role};
use maud::{Markup, html};
use serde::Deserialize;
use server::failure::Failure;
use server::areas::identity::views::ClaimCodeView;
use store::{AppFilter, CaseFilter, Page};

use super::{app_status_tag, dept_name, opt_date, target_name, time};
use crate::Web;
use crate::ctx::Ctx;
use crate::forms::PostForm;
use crate::layout::{Errors, Input, csrf, error_summary, finish, input, input_id, page, page_status};

/// Previous / next links of a paged list.
pub fn pager(ctx: &Ctx, base: &str, offset: i64, limit: i64, shown: usize) -> Markup {
    let more = i64::try_from(shown).unwrap_or(0) >= limit;
    html! {
        @if offset > 0 || more {
            nav.pager aria-label=(ctx.t("pager-label")) {
                @if offset > 0 { a href={ (base) "offset=" ((offset - limit).max(0)) } { (ctx.t("pager-prev")) } }
                @if more { a href={ (base) "offset=" (offset + limit) } { (ctx.t("pager-next")) } }
            }
        }
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct QueueQuery {
    /// open | soon | overdue
    pub view: Option<String>,
    pub department: Option<String>,
    pub offset: Option<i64>,
}

fn forbidden_staff() -> Failure {
    Failure::forbidden("只有工作人员可以使用工作台", "Only staff use the workbench")
}

/// `/staff`.
pub async fn queue(State(web): State<Web>, ctx: Ctx, Query(q): Query<QueueQuery>) -> Response {
    let r = async {
        let p = ctx.require()?;
        if !p.is_staff() {
            return Err(forbidden_staff());
        }
        let c = web.state.catalog();
        let lang = ctx.lang;
        let offset = q.offset.unwrap_or(0).max(0);
        // Window staff without a department: intake, and what their window took in.
        if p.department().is_none() && !p.is_admin() {
            let f = AppFilter { division: p.account.division.clone(), ..Default::default() };
            let rows = web.state.store.onething().applications(&f, Page::new(30, offset)).await?;
            let body = html! {
                h1 { (ctx.t("workbench-window-title")) }
                p { a.button href="/staff/intake" { (ctx.t("nav-intake")) } }
                h2 { (ctx.t("workbench-window-recent")) }
                div.table-wrap { table {
                    caption.visually-hidden { (ctx.t("workbench-window-recent")) }
                    thead { tr { th scope="col" { (ctx.t("col-application")) } th scope="col" { (ctx.t("col-applicant")) } th scope="col" { (ctx.t("app-submitted")) } th scope="col" { (ctx.t("col-status")) } th scope="col" { (ctx.t("app-deadline")) } } }
                    tbody {
                        @for a in &rows {
                            @let v = server::areas::onething::views::summary_view(c, a, false);
                            tr {
                                th scope="row" { a href={ "/applications/" (a.id) } { (target_name(c, &a.target_kind, &a.target_code, lang)) } }
                                td { (v.applicant_name) " " span.muted { (v.applicant_key) } }
                                td { (time(a.submitted_at)) }
                                td { (app_status_tag(lang, &a.status)) }
                                td { (opt_date(a.deadline)) }
                            }
                        }
                    }
                } }
                (pager(&ctx, "/staff?", offset, 30, rows.len()))
            };
            return Ok(page(&ctx, &ctx.t("workbench-window-title"), body));
        }
        let department = if p.is_admin() { q.department.clone().filter(|d| c.department(d).is_some()) } else { p.department().map(str::to_owned) };
        let view = q.view.clone().unwrap_or_else(|| "open".into());
        let today = domain::china_date(web.state.now());
        let f = CaseFilter {
            department: department.clone(),
            division: p.account.division.clone(),
            statuses: vec![],
            overdue_only: view == "overdue",
            due_by: (view == "soon").then(|| web.state.calendar().add_working_days(today, 2)),
        };
        let rows = web.state.store.onething().case_queue(&f, Page::new(50, offset)).await?;
        let title = match &department {
            Some(d) => ctx.ta("workbench-title", crate::args![("department", dept_name(c, d, lang))]),
            None => ctx.t("workbench-title-all"),
        };
        let dept_q = department.as_deref().filter(|_| p.is_admin()).map(|d| format!("&department={}", crate::layout::q(d))).unwrap_or_default();
        let tab = |v: &str, key: &str| -> Markup {
            let href = format!("/staff?view={v}{dept_q}");
            html! { li { @if view == v { a href=(href) aria-current="page" { (ctx.t(key)) } } @else { a href=(href) { (ctx.t(key)) } } } }
        };
        let body = html! {
            h1 { (title) }
            @if p.is_admin() {
                form.actions method="get" action="/staff" {
                    input type="hidden" name="view" value=(view);
                    div.field {
                        label for="f-department" { (ctx.t("workbench-department")) }
                        select #f-department.input name="department" {
                            option value="" { (ctx.t("workbench-all-departments")) }
                            @for d in c.departments() {
                                option value=(d.code) selected[department.as_deref() == Some(d.code.as_str())] { (lang.pick(&d.name, &d.name_en)) }
                            }
                        }
                    }
                    button.button.button-secondary type="submit" { (ctx.t("workbench-filter")) }
                }
            }
            ul.tabs { (tab("open", "queue-open")) (tab("soon", "queue-soon")) (tab("overdue", "queue-overdue")) }
            p.muted { (ctx.t("queue-order")) }
            @if rows.is_empty() { p { (ctx.t("queue-empty")) } }
            @else {
                div.table-wrap { table {
                    caption.visually-hidden { (title) }
                    thead { tr {
                        th scope="col" { (ctx.t("col-urgency")) } th scope="col" { (ctx.t("col-item")) }
                        th scope="col" { (ctx.t("col-applicant")) } th scope="col" { (ctx.t("col-state")) }
                        th scope="col" { (ctx.t("col-promised-deadline")) } th scope="col" { (ctx.t("app-channel")) }
                        th scope="col" { span.visually-hidden { (ctx.t("col-open")) } }
                    } }
                    tbody {
                        @for r in &rows {
                            @let v = server::areas::onething::views::case_row_view(&web.state, r);
                            tr {
                                td { (super::deadline_tag(lang, v.days_left, v.overdue, v.warned)) }
                                th scope="row" { (super::item_name(c, &v.item, lang)) br; span.muted { (target_name(c, &r.target_kind, &r.target_code, lang)) } }
                                td { (v.applicant_name) br; span.muted { (v.applicant_key) } }
                                td { (super::case_status_tag(lang, &v.status, v.state_name.as_deref().filter(|_| lang == crate::i18n::Lang::Zh))) }
                                td { (opt_date(v.promised_deadline)) }
                                td { (ctx.t(if v.channel == "window" { "channel-window" } else { "channel-online" })) }
                                td { a href={ "/applications/" (v.application) "#act-" (v.id) } { (ctx.t("queue-handle")) span.visually-hidden { " " (super::item_name(c, &v.item, lang)) " " (v.applicant_name) } } }
                            }
                        }
                    }
                } }
                (pager(&ctx, &format!("/staff?view={view}{dept_q}&"), offset, 50, rows.len()))
            }
        };
        Ok(page(&ctx, &title, body))
    }
    .await;
    finish(&ctx, r)
}

fn intake_page(ctx: &Ctx, web: &Web, applicant: &str, target: &str, errors: &Errors, status: StatusCode) -> Response {
    let c = web.state.catalog();
    let lang = ctx.lang;
    let err = errors.of("target");
    let body = html! {
        h1 { (ctx.t("intake-title")) }
        p.lead { (ctx.t("intake-lead")) }
        (error_summary(ctx, errors, &["applicant".to_owned(), "target".to_owned()]))
        form.stack method="post" action="/staff/intake" novalidate {
            (csrf(ctx))
            (input(ctx, errors, &Input { name: "applicant", label: &ctx.t("intake-applicant"), hint: Some(&ctx.t("intake-applicant-hint")), value: applicant, required: true, autocomplete: Some("off"), ..Default::default() }))
            div class={ "field" @if err.is_some() { " field-error" } } {
                label for=(input_id("target")) { (ctx.t("intake-target")) }
                @if let Some(m) = err { p.error-message #f-target-error { (m) } }
                select #(input_id("target")).input name="target" required aria-invalid=[err.map(|_| "true")] aria-describedby=[err.map(|_| "f-target-error")] {
                    option value="" { (ctx.t("intake-choose")) }
                    @for s in LifeStage::ALL {
                        @let bundles: Vec<_> = c.bundles_in_stage(*s).collect();
                        @if !bundles.is_empty() {
                            optgroup label={ (ctx.t("intake-bundles")) " · " (lang.pick(s.name_zh(), s.name_en())) } {
                                @for b in bundles {
                                    @let v = format!("bundle:{}", b.code);
                                    option value=(v) selected[target == v] { (lang.pick(&b.name, &b.name_en)) }
                                }
                            }
                        }
                    }
                    @for d in c.departments() {
                        @let items: Vec<_> = c.items_of_department(&d.code).collect();
                        @if !items.is_empty() {
                            optgroup label={ (ctx.t("intake-items")) " · " (lang.pick(&d.name, &d.name_en)) } {
                                @for i in items {
                                    @let v = format!("item:{}", i.code);
                                    option value=(v) selected[target == v] { (lang.pick(&i.name, &i.name_en)) }
                                }
                            }
                        }
                    }
                }
            }
            button.button type="submit" { (ctx.t("intake-next")) }
        }
        (claim_form(ctx, &Errors::default(), ""))
    };
    page_status(ctx, status, &ctx.t("intake-title"), body)
}

/// The form that issues a new claim code (a lost slip).
fn claim_form(ctx: &Ctx, errors: &Errors, applicant: &str) -> Markup {
    // Its input has a name of its own, so that its errors never stand next to the intake's.
    html! {
        section aria-labelledby="h-claim" {
            h2 #h-claim { (ctx.t("intake-claim-title")) }
            p { (ctx.t("intake-claim-lead")) }
            form.stack method="post" action="/staff/claim-code" novalidate {
                (csrf(ctx))
                (input(ctx, errors, &Input { name: "resident", label: &ctx.t("intake-claim-applicant"), hint: Some(&ctx.t("hint-id-number")), value: applicant, required: true, autocomplete: Some("off"), maxlength: Some(18), ..Default::default() }))
                button.button.button-secondary type="submit" { (ctx.t("intake-claim-submit")) }
            }
        }
    }
}

/// A claim slip to print and hand over: the resident's name, the code, until when, and how to use it.
fn claim_slip(ctx: &Ctx, slip: &ClaimCodeView) -> Markup {
    html! {
        section.panel.slip aria-labelledby="h-slip" {
            h2 #h-slip { (ctx.t("intake-slip-title")) }
            p { (ctx.t("intake-slip-lead")) }
            dl.summary {
                dt { (ctx.t("intake-slip-name")) } dd { (slip.name) }
                dt { (ctx.t("intake-slip-code")) } dd { strong.claim-code { (slip.code) } }
                dt { (ctx.t("intake-slip-valid")) } dd { (super::date(domain::china_date(slip.expires_at))) }
            }
            p { (ctx.lang.pick(&slip.instructions, &slip.instructions_en)) }
            p.muted.no-print { (ctx.t("intake-slip-once")) }
            p.no-print { button.button.button-secondary type="button" data-print hidden { (ctx.t("intake-slip-print")) } }
        }
    }
}

/// The answer to a window intake that opened the resident's account: filed, and the claim slip
/// (shown this once; the application's page never shows it).
pub fn filed_with_slip(ctx: &Ctx, app_id: &str, slip: &ClaimCodeView) -> Response {
    let body = html! {
        h1 { (ctx.t("intake-filed-title")) }
        div.panel.panel-green.no-print role="status" { p { (ctx.t("intake-filed-lead")) " " a href={ "/applications/" (app_id) } { (ctx.t("intake-open-application")) } } }
        (claim_slip(ctx, slip))
    };
    page_status(ctx, StatusCode::CREATED, &ctx.t("intake-filed-title"), body)
}

/// `POST /staff/claim-code`: a new claim code for a resident of the window's division whose
/// window-opened account is unclaimed (the same use case as `POST /api/accounts/claim-codes`).
pub async fn claim_code(State(web): State<Web>, ctx: Ctx, form: PostForm) -> Response {
    let r = async {
        let p = ctx.require()?;
        require_window(&ctx)?;
        let resident = form.get("resident").unwrap_or_default();
        match server::areas::identity::cases::reissue_claim_code(&web.state, &p.account, &resident).await {
            Ok(slip) => {
                let body = html! {
                    h1 { (ctx.t("intake-claim-title")) }
                    (claim_slip(&ctx, &slip))
                    p.no-print { a href="/staff/intake" { (ctx.t("nav-intake")) } }
                };
                Ok(page_status(&ctx, StatusCode::CREATED, &ctx.t("intake-claim-title"), body))
            }
            Err(e @ (Failure::Invalid { .. } | Failure::Conflict { .. } | Failure::Forbidden { .. })) => {
                let mut errors = Errors::from_api(ctx.lang, &e);
                for (f, _) in &mut errors.0 {
                    "resident".clone_into(f);
                }
                let body = html! {
                    h1 { (ctx.t("intake-claim-title")) }
                    (error_summary(&ctx, &errors, &["resident".to_owned()]))
                    (claim_form(&ctx, &errors, &resident))
                };
                Ok(page_status(&ctx, e.status(), &ctx.t("intake-claim-title"), body))
            }
            Err(e) => Err(e),
        }
    }
    .await;
    finish(&ctx, r)
}

fn require_window(ctx: &Ctx) -> Result<(), Failure> {
    let p = ctx.require()?;
    if !p.has(Role::Window) {
        return Err(Failure::forbidden("只有窗口人员可以代为受理申请", "Only window staff may take in applications"));
    }
    Ok(())
}

/// `GET /staff/intake`.
pub async fn intake_form(State(web): State<Web>, ctx: Ctx) -> Response {
    let r = require_window(&ctx).map(|()| intake_page(&ctx, &web, "", "", &Errors::default(), StatusCode::OK));
    finish(&ctx, r)
}

/// `POST /staff/intake`: checks the person and the chosen bundle or item, then shows the
/// application form with the plan for that person (the ID number never goes into a URL).
pub async fn intake_start(State(web): State<Web>, ctx: Ctx, form: PostForm) -> Response {
    let r = async {
        require_window(&ctx)?;
        let applicant = form.get("applicant").unwrap_or_default();
        let target = form.get("target").unwrap_or_default();
        let mut errors = Errors::default();
        if applicant.is_empty() {
            errors.push("applicant", ctx.t("intake-applicant-required"));
        }
        let parsed = target.split_once(':').filter(|(k, _)| *k == "bundle" || *k == "item");
        if parsed.is_none() {
            errors.push("target", ctx.t("intake-target-required"));
        }
        let Some((kind, code)) = parsed.filter(|_| errors.is_empty()) else {
            return Ok(intake_page(&ctx, &web, &applicant, &target, &errors, StatusCode::UNPROCESSABLE_ENTITY));
        };
        let kept = super::apply::Kept { applicant: Some(applicant.clone()), ..Default::default() };
        match super::apply::render(&ctx, &web, kind, code, &kept, &Errors::default(), StatusCode::OK).await {
            Ok(r) => Ok(r),
            Err(e @ (Failure::Invalid { .. } | Failure::Conflict { .. } | Failure::Forbidden { .. } | Failure::NotFound { .. })) => {
                let mut errors = Errors::from_api(ctx.lang, &e);
                for (f, _) in &mut errors.0 {
                    *f = if f == "applicant" || f.is_empty() && !matches!(e, Failure::NotFound { .. }) { "applicant".to_owned() } else { "target".to_owned() };
                }
                Ok(intake_page(&ctx, &web, &applicant, &target, &errors, StatusCode::UNPROCESSABLE_ENTITY))
            }
            Err(e) => Err(e),
        }
    }
    .await;
    finish(&ctx, r)
}

