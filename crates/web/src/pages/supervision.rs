//! Supervision (督办): overdue cases and cases at risk of running late, and the rectifications
//! opened by bad ratings (差评整改), which the department's supervisor answers here.

use std::collections::BTreeMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use catalog::Role;
use domain::RectificationId;
use maud::{Markup, html};
use serde::Deserialize;
use server::failure::Failure;
use store::{CaseFilter, CaseRow, Page};

use super::{dept_name, opt_date, target_name};
use crate::Web;
use crate::ctx::Ctx;
use crate::forms::PostForm;
use crate::layout::{Errors, csrf, error_summary, finish, page_status, redirect, tag, textarea};

#[derive(Debug, Default, Deserialize)]
pub struct SupQuery {
    pub department: Option<String>,
    pub done: Option<String>,
}

/// The department a supervisor sees (admins: all, or the one asked for).
fn scope(ctx: &Ctx, web: &Web, asked: Option<String>) -> Result<Option<String>, Failure> {
    let p = ctx.require()?;
    p.require_any(&[Role::Supervisor, Role::Admin])?;
    if p.is_admin() {
        return Ok(asked.filter(|d| web.state.catalog().department(d).is_some()));
    }
    p.department().map(|d| Some(d.to_owned())).ok_or_else(|| Failure::forbidden("您的账号不属于任何部门", "Your account belongs to no department"))
}

fn case_table(ctx: &Ctx, web: &Web, caption: &str, rows: &[CaseRow]) -> Markup {
    let c = web.state.catalog();
    let lang = ctx.lang;
    html! {
        @if rows.is_empty() { p { (ctx.t("queue-empty")) } }
        @else {
            div.table-wrap { table {
                caption.visually-hidden { (caption) }
                thead { tr {
                    th scope="col" { (ctx.t("col-urgency")) } th scope="col" { (ctx.t("col-item")) } th scope="col" { (ctx.t("col-department")) }
                    th scope="col" { (ctx.t("col-applicant")) } th scope="col" { (ctx.t("col-promised-deadline")) } th scope="col" { (ctx.t("col-legal-deadline")) }
                } }
                tbody {
                    @for r in rows {
                        @let v = server::areas::onething::views::case_row_view(&web.state, r);
                        tr {
                            td { (super::deadline_tag(lang, v.days_left, v.overdue, v.warned)) @if v.legal_overdue { " " (tag("bad", &ctx.t("deadline-legal-overdue"))) } }
                            th scope="row" { a href={ "/applications/" (v.application) "#case-" (v.id) } { (super::item_name(c, &v.item, lang)) } }
                            td { (dept_name(c, &v.department, lang)) }
                            td { (v.applicant_name) }
                            td { (opt_date(v.promised_deadline)) }
                            td { (opt_date(v.legal_deadline)) }
                        }
                    }
                }
            } }
        }
    }
}

async fn render(ctx: &Ctx, web: &Web, department: Option<String>, banner: Option<String>, failed: Option<(String, Errors, String)>, status: StatusCode) -> Result<Response, Failure> {
    let p = ctx.require()?;
    let c = web.state.catalog();
    let lang = ctx.lang;
    let today = domain::china_date(web.state.now());
    let base = CaseFilter { department: department.clone(), division: p.account.division.clone(), statuses: vec![], overdue_only: false, due_by: None };
    let overdue = web.state.store.onething().case_queue(&CaseFilter { overdue_only: true, ..base.clone() }, Page::new(100, 0)).await?;
    let soon_by = web.state.calendar().add_working_days(today, 2);
    let at_risk: Vec<CaseRow> = web
        .state
        .store
        .onething().case_queue(&CaseFilter { due_by: Some(soon_by), ..base.clone() }, Page::new(100, 0))
        .await?
        .into_iter()
        .filter(|r| !r.overdue)
        .collect();
    let rects = web.state.store.onething().rectifications(department.as_deref(), None, Page::new(100, 0)).await?;
    let may_answer = |dept: &str| p.is_admin() || (p.has(Role::Supervisor) && p.department() == Some(dept));
    let title = match &department {
        Some(d) => ctx.ta("sup-title", crate::args![("department", dept_name(c, d, lang))]),
        None => ctx.t("sup-title-all"),
    };
    let body = html! {
        @if let Some(b) = &banner { div.banner role="status" tabindex="-1" data-autofocus { p { strong { (b) } } } }
        h1 { (title) }
        ul.figures {
            li { span.num { (overdue.len()) } span.lbl { (ctx.t("sup-overdue")) } }
            li { span.num { (at_risk.len()) } span.lbl { (ctx.t("sup-at-risk")) } }
            li { span.num { (rects.iter().filter(|r| r.status == "open").count()) } span.lbl { (ctx.t("sup-rect-open")) } }
        }
        section aria-labelledby="h-overdue" {
            h2 #h-overdue { (ctx.t("sup-overdue")) }
            (case_table(ctx, web, &ctx.t("sup-overdue"), &overdue))
        }
        section aria-labelledby="h-risk" {
            h2 #h-risk { (ctx.t("sup-at-risk")) }
            p.muted { (ctx.t("sup-at-risk-hint")) }
            (case_table(ctx, web, &ctx.t("sup-at-risk"), &at_risk))
        }
        section aria-labelledby="h-rect" {
            h2 #h-rect { (ctx.t("sup-rects")) }
            @if rects.is_empty() { p { (ctx.t("sup-rects-empty")) } }
            @for r in &rects {
                @let st = onething::RectificationStatus::parse(&r.status);
                @let key = r.id.to_string();
                div.case-action id={ "rect-" (r.id) } {
                    h3 {
                        a href={ "/applications/" (r.application) } { (target_name(c, "bundle", &r.target_code, lang)) }
                        " · " (dept_name(c, &r.department, lang)) " "
                        (tag(match r.status.as_str() { "open" => "bad", "responded" => "warn", _ => "ok" }, &st.map(|s| lang.pick(s.name_zh(), s.name_en()).to_owned()).unwrap_or_default()))
                    }
                    p {
                        (ctx.ta("sup-rect-line", crate::args![
                            ("applicant", domain::mask::name(&r.applicant_name)),
                            ("rating", r.first_rating.and_then(onething::RatingLevel::from_score).map(|l| lang.pick(l.name_zh(), l.name_en()).to_owned()).unwrap_or_default()),
                            ("opened", super::time(r.opened_at)),
                            ("due", super::date(r.due_on)),
                        ]))
                        @if r.overdue { " " (tag("bad", &ctx.t("deadline-overdue"))) }
                    }
                    @if let Some(resp) = &r.response { p { strong { (ctx.t("rect-response")) ": " } (resp) } }
                    @if r.status == "open" && may_answer(&r.department) {
                        @let (errs, value) = match &failed { Some((k, e, v)) if *k == key => (e.clone(), v.clone()), _ => (Errors::default(), String::new()) };
                        @let field = format!("response-{key}");
                        (error_summary(ctx, &errs, std::slice::from_ref(&field)))
                        form.stack method="post" action={ "/supervision/rectifications/" (r.id) } novalidate {
                            (csrf(ctx))
                            (textarea(ctx, &errs, &field, &ctx.t("sup-response"), Some(&ctx.t("sup-response-hint")), &value, true))
                            button.button type="submit" { (ctx.t("sup-respond")) }
                        }
                    }
                }
            }
        }
    };
    Ok(page_status(ctx, status, &title, body))
}

/// `/supervision`.
pub async fn show(State(web): State<Web>, ctx: Ctx, Query(q): Query<SupQuery>) -> Response {
    let r = async {
        let dept = scope(&ctx, &web, q.department)?;
        let banner = q.done.map(|_| ctx.t("banner-responded"));
        render(&ctx, &web, dept, banner, None, StatusCode::OK).await
    }
    .await;
    finish(&ctx, r)
}

/// `POST /supervision/rectifications/{id}`: the supervisor's answer (整改情况).
pub async fn respond(State(web): State<Web>, ctx: Ctx, Path(id): Path<String>, form: PostForm) -> Response {
    let r = async {
        let dept = scope(&ctx, &web, None)?;
        let p = ctx.require()?.clone();
        let rid: RectificationId = server::areas::onething::cases::parse_id(&id, "没有这个整改单", "No such rectification")?;
        let field = format!("response-{id}");
        let text = form.get(&field).unwrap_or_default();
        let values: BTreeMap<String, String> = BTreeMap::new();
        let _ = values;
        if text.is_empty() {
            let mut e = Errors::default();
            e.push(&field, ctx.t("sup-response-required"));
            return render(&ctx, &web, dept, None, Some((id.clone(), e, text)), StatusCode::UNPROCESSABLE_ENTITY).await;
        }
        match server::areas::onething::cases::respond_rectification(&web.state, &p.account, rid, text.clone()).await {
            Ok(_) => Ok(redirect(&format!("/supervision?done=1#rect-{id}"))),
            Err(e @ (Failure::Invalid { .. } | Failure::Conflict { .. } | Failure::Forbidden { .. })) => {
                let mut errs = Errors::from_api(ctx.lang, &e);
                for (f, _) in &mut errs.0 {
                    f.clone_from(&field);
                }
                render(&ctx, &web, dept, None, Some((id.clone(), errs, text)), e.status()).await
            }
            Err(e) => Err(e),
        }
    }
    .await;
    finish(&ctx, r)
}
