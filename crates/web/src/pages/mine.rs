//! A resident's or an enterprise agent's own pages: their applications and their notices.

use axum::extract::{Query, State};
use axum::response::Response;
use catalog::Role;
use maud::html;
use serde::Deserialize;
use server::error::ApiError;
use store::{AppFilter, Page};

use super::{app_status_tag, opt_date, target_name, time};
use crate::Web;
use crate::ctx::Ctx;
use crate::layout::{finish, page, redirect};

#[derive(Debug, Default, Deserialize)]
pub struct PageQuery {
    pub offset: Option<i64>,
}

/// `/applications`: my applications, newest first.
pub async fn list(State(web): State<Web>, ctx: Ctx, Query(q): Query<PageQuery>) -> Response {
    let r = async {
        let p = ctx.require()?;
        if p.is_staff() {
            return Ok(redirect("/staff"));
        }
        let offset = q.offset.unwrap_or(0).max(0);
        let f = AppFilter { applicant_account: Some(p.id()), ..Default::default() };
        let rows = web.state.store.applications(&f, Page::new(20, offset)).await?;
        let c = web.state.catalog();
        let lang = ctx.lang;
        let body = html! {
            h1 { (ctx.t("mine-title")) }
            @if rows.is_empty() && offset == 0 {
                p { (ctx.t("mine-empty")) " " a href="/" { (ctx.t("nav-hall")) } }
            } @else {
                div.table-wrap {
                    table {
                        caption.visually-hidden { (ctx.t("mine-title")) }
                        thead { tr {
                            th scope="col" { (ctx.t("col-application")) } th scope="col" { (ctx.t("app-submitted")) }
                            th scope="col" { (ctx.t("col-status")) } th scope="col" { (ctx.t("app-deadline")) }
                        } }
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
        let mut keys = vec![format!("account:{}", p.id())];
        if let Some(d) = p.department() {
            if p.has(Role::Supervisor) {
                keys.push(format!("dept:{d}:supervisor"));
            }
            if p.has(Role::Clerk) || p.has(Role::Reviewer) || p.has(Role::Approver) {
                keys.push(format!("dept:{d}:clerk"));
            }
        }
        if p.is_admin() {
            keys.push("district".into());
        }
        let offset = q.offset.unwrap_or(0).max(0);
        let list = web.state.store.notices_for(&keys, Page::new(30, offset)).await?;
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
        Ok::<_, ApiError>(page(&ctx, &ctx.t("notices-title"), body))
    }
    .await;
    finish(&ctx, r)
}
