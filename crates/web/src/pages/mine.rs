//! A resident's or an enterprise agent's own pages: their applications, their notices, and their
//! data in the shared pool with everyone who read it (数据调阅记录), and the minors in their care.

use axum::extract::{Query, State};
use axum::response::Response;
use maud::html;
use serde::Deserialize;
use server::failure::Failure;
use store::{AppFilter, Page};

use super::{app_status_tag, opt_date, target_name, time};
use crate::layout::tag;
use crate::Web;
use crate::ctx::Ctx;
use crate::layout::{finish, page, redirect, text_table_head};

#[derive(Debug, Default, Deserialize)]
pub struct PageQuery {
    pub offset: Option<i64>,
}

impl PageQuery {
    /// Where the page starts (never negative).
    fn offset(&self) -> i64 {
        self.offset.unwrap_or(0).max(0)
    }
}

/// The signed-in resident or enterprise agent; `None` for staff, whose pages these are not.
fn applicant(ctx: &Ctx) -> Result<Option<&server::auth::Principal>, Failure> {
    let p = ctx.require()?;
    Ok((!p.is_staff()).then_some(p))
}

/// `/applications`: my applications, newest first.
pub async fn list(State(web): State<Web>, ctx: Ctx, Query(q): Query<PageQuery>) -> Response {
    let r = async {
        let Some(p) = applicant(&ctx)? else { return Ok(redirect("/staff")) };
        let offset = q.offset();
        let f = AppFilter { applicant_account: Some(p.id()), ..Default::default() };
        let rows = web.state.store.onething().applications(&f, Page::new(20, offset)).await?;
        let c = web.state.catalog();
        let lang = ctx.lang;
        let body = html! {
            h1 { (ctx.t("mine-title")) }
            @if rows.is_empty() && offset == 0 {
                p { (ctx.t("mine-empty")) " " a href="/" { (ctx.t("nav-hall")) } }
            } @else {
                div.table-wrap {
                    table {
                        (text_table_head(&ctx, "mine-title", "col-application", &["app-submitted", "col-status", "app-deadline"]))
                        tbody {
                            @for a in &rows {
                                tr {
                                    th scope="row" { a href={ "/applications/" (a.id) } { (target_name(c, &a.target_kind, &a.target_code, lang)) } }
                                    td { (time(a.submitted_at)) }
                                    td { (app_status_tag(lang, &a.status)) }
                                    td { (opt_date(a.deadline)) }
                                }
                            }
                        }
                    }
                }
                (super::staff::pager(&ctx, "/applications?", offset, 20, rows.len()))
            }
        };
        Ok(page(&ctx, &ctx.t("mine-title"), body))
    }
    .await;
    finish(&ctx, r)
}

/// `/notices`: the account's notices (and, for staff, those to their department role).
pub async fn notices(State(web): State<Web>, ctx: Ctx, Query(q): Query<PageQuery>) -> Response {
    let r = async {
        let p = ctx.require()?;
        let keys = server::areas::onething::cases::notice_recipients(p);
        let offset = q.offset();
        let list = web.state.store.notices().notices_for(&keys, Page::new(30, offset)).await?;
        let body = html! {
            h1 { (ctx.t("notices-title")) }
            @if list.is_empty() { p { (ctx.t("notices-empty")) } }
            ol.notices {
                @for n in &list {
                    li {
                        span.muted { (time(n.created_at)) } " "
                        (ctx.lang.pick(&n.text_zh, &n.text_en)) " "
                        a href={ "/applications/" (n.application) } { (ctx.t("notices-open")) span.visually-hidden { " " (n.application) } }
                    }
                }
            }
            (super::staff::pager(&ctx, "/notices?", offset, 30, list.len()))
        };
        Ok::<_, Failure>(page(&ctx, &ctx.t("notices-title"), body))
    }
    .await;
    finish(&ctx, r)
}

/// `/me/data`: my records in the shared data pool, and who read my data, when, why, and whether it
/// was allowed — every read the access log holds about me, refusals included.
pub async fn data(State(web): State<Web>, ctx: Ctx, Query(q): Query<PageQuery>) -> Response {
    let r = async {
        let Some(p) = applicant(&ctx)? else { return Ok(redirect("/staff")) };
        let offset = q.offset();
        let records = server::areas::pool::cases::records_of(&web.state, &p.account, &server::areas::pool::views::PurposeQuery::default()).await?;
        let page_q = server::areas::pool::views::PageQuery { limit: Some(PER_PAGE), offset: Some(offset) };
        let log = server::areas::pool::cases::access_log_of(&web.state, &p.account, &page_q).await?;
        let wards = server::areas::identity::cases::wards(&web.state, &p.account).await?;
        let record_name = |resource: &str| -> String {
            match resource.strip_prefix("shared_record:") {
                Some(id) => records.iter().find(|r| r.id == id).map_or_else(|| ctx.t("data-a-record"), |r| r.record_type_name.clone()),
                None if resource.starts_with("recognition-check:") => ctx.t("data-health-results"),
                None if resource.contains('/') => ctx.t("data-health-record"),
                None => resource.to_owned(),
            }
        };
        let body = html! {
            h1 { (ctx.t("data-title")) }
            p { (ctx.t("data-intro")) }
            @if !wards.is_empty() {
                section aria-labelledby="h-wards" {
                    h2 #h-wards { (ctx.t("data-wards")) }
                    p { (ctx.t("data-wards-intro")) }
                    div.table-wrap { table {
                        (text_table_head(&ctx, "data-wards", "data-ward-name", &["data-ward-id", "data-ward-birth", "data-ward-age"]))
                        tbody {
                            @for w in &wards {
                                tr {
                                    th scope="row" { (w.name) }
                                    td { (w.id_number) }
                                    td { (super::date(w.birth_date)) }
                                    td { (ctx.ta("data-ward-years", crate::args![("age", i64::from(w.age))])) }
                                }
                            }
                        }
                    } }
                }
            }
            section aria-labelledby="h-records" {
                h2 #h-records { (ctx.t("data-records")) }
                @if records.is_empty() { p { (ctx.t("data-no-records")) } }
                @else {
                    div.table-wrap { table {
                        (text_table_head(&ctx, "data-records", "data-record-type", &["data-issuer", "data-issued", "col-status"]))
                        tbody {
                            @for r in &records {
                                tr {
                                    th scope="row" { (r.record_type_name) }
                                    td { (r.department_name.clone().unwrap_or_else(|| r.department.clone())) }
                                    td { (time(r.issued_at)) }
                                    td { (tag(if r.status == "current" { "ok" } else { "grey" }, &r.status_name)) }
                                }
                            }
                        }
                    } }
                }
            }
            section aria-labelledby="h-reads" {
                h2 #h-reads { (ctx.t("data-reads")) }
                @if log.is_empty() && offset == 0 { p { (ctx.t("data-no-reads")) } }
                @else {
                    div.table-wrap { table {
                        (text_table_head(&ctx, "data-reads", "col-time", &["data-reader", "data-what", "data-purpose", "data-outcome"]))
                        tbody {
                            @for e in &log {
                                tr {
                                    td { (time(e.at)) }
                                    td {
                                        @if let Some(org) = &e.reader_org_name { (org) br; }
                                        span.muted { (e.reader.clone().unwrap_or_default()) }
                                    }
                                    td { (record_name(&e.resource)) }
                                    td { (purpose_name(&ctx, e)) }
                                    td {
                                        @if e.outcome == "allowed" { (tag("ok", &ctx.t("data-allowed"))) }
                                        @else { (tag("bad", &ctx.t("data-refused"))) }
                                    }
                                }
                            }
                        }
                    } }
                    (super::staff::pager(&ctx, "/me/data?", offset, PER_PAGE, log.len()))
                }
                p.muted { (ctx.t("data-chain")) }
            }
        };
        Ok::<_, Failure>(page(&ctx, &ctx.t("data-title"), body))
    }
    .await;
    finish(&ctx, r)
}

/// A read's purpose in the page's language (the API gives it in Chinese).
fn purpose_name(ctx: &Ctx, e: &server::areas::pool::views::AccessView) -> String {
    let code = server::areas::pool::cases::shown_purpose(&e.purpose, &e.basis);
    ctx.lang.try_t(&format!("purpose-{code}")).unwrap_or_else(|| e.purpose_name.clone())
}

/// Access-log entries per page of `/me/data`.
const PER_PAGE: i64 = 30;
