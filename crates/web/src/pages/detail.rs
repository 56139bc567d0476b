//! One application as its viewer may see it: every department's case with its state and
//! deadline, the materials with their provenance, the notices, the history (staff), and the forms
//! of what the viewer may do now — a clerk's actions (accept, approve, ask for a supplement,
//! refuse), the applicant's supplement, withdrawal and rating (好差评).

use std::collections::BTreeMap;
use axum::extract::Path;
use axum::extract::Query;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use domain::ApplicationId;
use domain::CaseId;
use maud::Markup;
use maud::html;
use onething::ActionRequest;
use onething::RatingLevel;
use onething::RatingRequest;
use serde::Deserialize;
use server::failure::Failure;
use server::areas::onething::cases::can_view;
use server::areas::onething::views::ApplicationView;
use server::areas::onething::views::CaseView;
use store::AccountKind;
use super::apply::collect_uploads;
use super::app_status_tag;
use super::case_status_tag;
use super::dept_name;
use super::item_name;
use super::opt_date;
use super::target_name;
use super::time;
use crate::Web;
use crate::ctx::Ctx;
use crate::forms::PostForm;
use crate::layout::Errors;
use crate::layout::breadcrumbs;
use crate::layout::csrf;
use crate::layout::error_summary;
use crate::layout::file_input;
use crate::layout::finish;
use crate::layout::page_status;
use crate::layout::radios;
use crate::layout::redirect;
use crate::layout::tag;
use crate::layout::textarea;

#[derive(Debug, Default, Deserialize)]
pub struct ShowQuery {
    pub filed: Option<String>,
    pub done: Option<String>,
}

/// A form of the page that came back with errors.
#[derive(Debug, Clone, Default)]
pub struct FormState {
    /// `case-<id>`, `rate` or `withdraw`.
    pub form: String,
    pub errors: Errors,
    pub values: BTreeMap<String, String>,
}

/// A history entry's detail (the JSON its hash covers) as readable pairs — departments, items
/// and channels by name — with the exact text in a tooltip for whoever checks the chain.
fn history_detail(ctx: &Ctx, c: &catalog::Catalog, detail: &str) -> Markup {
    let Ok(serde_json::Value::Object(map)) = serde_json::from_str::<serde_json::Value>(detail) else {
        return html! { @if !detail.is_empty() { code.detail { (detail) } } };
    };
    let lang = ctx.lang;
    let text = |k: &str, v: &serde_json::Value| -> String {
        let s = match v {
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Array(a) => a.iter().map(|x| x.as_str().map_or_else(|| x.to_string(), str::to_owned)).collect::<Vec<_>>().join(lang.pick("、", ", ")),
            other => other.to_string(),
        };
        match k {
            "department" => dept_name(c, &s, lang),
            "item" => item_name(c, &s, lang),
            "target" if c.bundle(&s).is_some() => target_name(c, "bundle", &s, lang),
            "target" => item_name(c, &s, lang),
            "channel" => lang.try_t(&format!("channel-{s}")).unwrap_or(s),
            _ => s,
        }
    };
    html! {
        ul.detail-list title=(detail) {
            @for (k, v) in map.iter().filter(|(_, v)| !v.is_null()) {
                li { span.muted { (lang.try_t(&format!("hist-key-{}", k.replace('_', "-"))).unwrap_or_else(|| k.clone())) (lang.pick("：", ": ")) } (text(k, v)) }
            }
        }
    }
}

fn app_id(id: &str) -> Result<ApplicationId, Failure> {
    server::areas::onething::cases::parse_id(id, "没有这个申请", "No such application")
}

fn hidden() -> Failure {
    Failure::not_found("没有这个申请，或您无权查看", "No such application, or you may not see it")
}

fn case_form(ctx: &Ctx, web: &Web, v: &ApplicationView, k: &CaseView, fs: Option<&FormState>) -> Markup {
    let lang = ctx.lang;
    let key = format!("case-{}", k.id);
    let empty = FormState::default();
    let fs = fs.filter(|f| f.form == key).unwrap_or(&empty);
    let choices: Vec<(String, String)> = k.actions.iter().map(|a| (a.code.clone(), lang.pick(&a.name, &a.name_en).to_owned())).collect();
    let chosen = fs.values.get("action").cloned().unwrap_or_else(|| if choices.len() == 1 { choices[0].0.clone() } else { String::new() });
    let needs_comment: Vec<String> = k.actions.iter().filter(|a| a.requires_comment).map(|a| lang.pick(&a.name, &a.name_en).to_owned()).collect();
    let resubmit = k.actions.iter().any(|a| a.code == "resubmit" || a.code == "supplement");
    let c = web.state.catalog();
    let item_materials: Vec<(String, String)> = c
        .item(&k.item)
        .map(|i| {
            i.materials
                .iter()
                .filter_map(|m| c.material(m))
                .filter(|m| v.materials.iter().any(|x| x.code == m.code && (x.source == "upload" || x.source == "reused")))
                .map(|m| (m.code.clone(), lang.pick(&m.name, &m.name_en).to_owned()))
                .collect()
        })
        .unwrap_or_default();
    let comment_hint = if needs_comment.is_empty() {
        None
    } else {
        Some(ctx.ta("action-comment-hint", crate::args![("actions", needs_comment.join(ctx.t("list-sep").as_str()))]))
    };
    let legend = ctx.ta("action-legend", crate::args![("item", lang.pick(&k.item_name, &k.item_name_en).to_owned())]);
    html! {
        div.case-action {
            h3 #{ "act-" (k.id) } { (legend) }
            (error_summary(ctx, &fs.errors, &["action".to_owned(), "comment".to_owned()]))
            form method="post" action={ "/applications/" (v.id) "/cases/" (k.id) "/act" } enctype="multipart/form-data" novalidate {
                (csrf(ctx))
                (radios(ctx, &fs.errors, "action", &ctx.t("action-choose"), &choices, &chosen, true))
                (textarea(ctx, &fs.errors, "comment", &ctx.t("action-comment"), comment_hint.as_deref(), fs.values.get("comment").map(String::as_str).unwrap_or(""), false))
                @if resubmit && !item_materials.is_empty() {
                    @for (code, name) in &item_materials {
                        (file_input(ctx, &fs.errors, &format!("materials.{code}"), &ctx.ta("action-replace-file", crate::args![("name", name.clone())]), None, false))
                    }
                }
                button.button type="submit" { (ctx.t("action-submit")) }
            }
        }
    }
}

fn rate_form(ctx: &Ctx, web: &Web, v: &ApplicationView, fs: Option<&FormState>) -> Markup {
    let empty = FormState::default();
    let fs = fs.filter(|f| f.form == "rate").unwrap_or(&empty);
    let levels: Vec<(String, String)> = RatingLevel::ALL.iter().map(|l| (l.code().to_owned(), ctx.lang.pick(l.name_zh(), l.name_en()).to_owned())).collect();
    let c = web.state.catalog();
    let mut depts: Vec<&str> = v.cases.iter().map(|k| k.department.as_str()).collect();
    depts.dedup();
    depts.sort_unstable();
    depts.dedup();
    let rerate = !v.ratings.is_empty();
    html! {
        section #rate aria-labelledby="h-rate" {
            h2 #h-rate { (ctx.t(if rerate { "rate-again-title" } else { "rate-title" })) }
            p { (ctx.t("rate-lead")) }
            (error_summary(ctx, &fs.errors, &["level".to_owned(), "comment".to_owned()]))
            form.stack method="post" action={ "/applications/" (v.id) "/rate" } novalidate {
                (csrf(ctx))
                (radios(ctx, &fs.errors, "level", &ctx.t("rate-level"), &levels, fs.values.get("level").map(String::as_str).unwrap_or(""), true))
                (textarea(ctx, &fs.errors, "comment", &ctx.t("rate-comment"), Some(&ctx.t("rate-comment-hint")), fs.values.get("comment").map(String::as_str).unwrap_or(""), false))
                @if !rerate && depts.len() > 1 {
                    fieldset.field {
                        legend { (ctx.t("rate-departments")) span.optional { " " (ctx.t("form-optional")) } }
                        p.hint { (ctx.t("rate-departments-hint")) }
                        div.checks {
                            @for (i, d) in depts.iter().enumerate() {
                                div.check {
                                    input #{ "f-dept-" (i) } type="checkbox" name={ "dept." (d) } value="1" checked[fs.values.contains_key(&format!("dept.{d}"))];
                                    label for={ "f-dept-" (i) } { (dept_name(c, d, ctx.lang)) }
                                }
                            }
                        }
                    }
                }
                button.button type="submit" { (ctx.t("rate-submit")) }
            }
        }
    }
}

fn withdraw_form(ctx: &Ctx, v: &ApplicationView, fs: Option<&FormState>) -> Markup {
    let empty = FormState::default();
    let fs = fs.filter(|f| f.form == "withdraw").unwrap_or(&empty);
    html! {
        details #withdraw open[!fs.errors.is_empty()] {
            summary { (ctx.t("withdraw-title")) }
            (error_summary(ctx, &fs.errors, &["reason".to_owned()]))
            form.stack method="post" action={ "/applications/" (v.id) "/withdraw" } {
                (csrf(ctx))
                (textarea(ctx, &fs.errors, "reason", &ctx.t("withdraw-reason"), None, fs.values.get("reason").map(String::as_str).unwrap_or(""), false))
                button.button.button-warning type="submit" data-confirm=(ctx.t("withdraw-confirm")) { (ctx.t("withdraw-submit")) }
            }
        }
    }
}

/// The page of one application.
pub async fn render(ctx: &Ctx, web: &Web, id: &str, banner: Option<String>, fs: Option<&FormState>, status: StatusCode) -> Result<Response, Failure> {
    let p = ctx.require()?;
    let id = app_id(id)?;
    let app = match web.state.store.onething().application(id).await? {
        Some(a) if can_view(&p.account, &a) => a,
        _ => return Err(hidden()),
    };
    server::areas::pool::cases::log_application_read(&web.state, &p.account, &app).await?;
    let v = server::areas::onething::views::application_view(&web.state, &p.account, &app);
    let c = web.state.catalog();
    let lang = ctx.lang;
    let staff = p.account.kind == AccountKind::Staff;
    let history = if staff { web.state.store.onething().history(app.id).await? } else { Vec::new() };
    let mine = format!("account:{}", p.id());
    let notices: Vec<store::Notice> =
        web.state.store.notices().notices_of_application(app.id).await?.into_iter().filter(|n| staff || n.recipient == mine).collect();
    let name = target_name(c, &v.target.kind, &v.target.code, lang);
    let today = domain::china_date(web.state.now());
    let done = v.cases.iter().filter(|k| k.status == "approved").count();
    let mut actionable: Vec<&CaseView> = v.cases.iter().filter(|k| !k.actions.is_empty()).collect();
    actionable.sort_by_key(|k| k.promised_deadline);
    let crumbs = if staff { ("/staff", ctx.t("nav-workbench")) } else { ("/applications", ctx.t("nav-mine")) };
    let body = html! {
        (breadcrumbs(ctx, &[(crumbs.0, crumbs.1.clone()), ("", name.clone())]))
        @if let Some(b) = &banner { div.banner role="status" tabindex="-1" data-autofocus { p { strong { (b) } } } }
        h1 { (name) " " (app_status_tag(lang, &v.status)) }
        dl.summary {
            dt { (ctx.t("app-number")) } dd { (v.id) }
            dt { (ctx.t("apply-applicant-name")) } dd { (v.applicant.name) " · " (v.applicant.key) }
            dt { (ctx.t("app-channel")) } dd { (ctx.t(if v.channel == "window" { "channel-window" } else { "channel-online" })) }
            dt { (ctx.t("app-submitted")) } dd { (time(v.submitted_at)) }
            dt { (ctx.t("app-deadline")) } dd { (opt_date(v.deadline)) }
            @if let Some(f) = v.finished_at { dt { (ctx.t("app-finished")) } dd { (time(f)) } }
            dt { (ctx.t("app-progress")) } dd { (ctx.ta("app-progress-value", crate::args![("done", done), ("total", v.cases.len())])) }
        }
        @if !actionable.is_empty() {
            section aria-labelledby="h-todo" {
                h2 #h-todo { (ctx.t(if staff { "app-todo-staff" } else { "app-todo-applicant" })) }
                @for k in &actionable { (case_form(ctx, web, &v, k, fs)) }
            }
        }
        section aria-labelledby="h-cases" {
            h2 #h-cases { (ctx.t("app-cases")) }
            div.table-wrap {
                table {
                    caption.visually-hidden { (ctx.t("app-cases")) }
                    thead { tr {
                        th scope="col" { (ctx.t("col-item")) } th scope="col" { (ctx.t("col-department")) }
                        th scope="col" { (ctx.t("col-state")) } th scope="col" { (ctx.t("col-promised-deadline")) }
                        th scope="col" { (ctx.t("col-finished")) }
                    } }
                    tbody {
                        @for k in &v.cases {
                            tr #{ "case-" (k.id) } {
                                th scope="row" { (lang.pick(&k.item_name, &k.item_name_en)) }
                                td { (lang.pick(&k.department_name, &dept_name(c, &k.department, lang))) }
                                td {
                                    (case_status_tag(lang, &k.status, if lang == crate::i18n::Lang::En { k.state_name_en.as_deref() } else { k.state_name.as_deref() }))
                                    @if k.status == "waiting" && !k.prerequisites.is_empty() {
                                        br; span.muted { (ctx.ta("case-waits-for", crate::args![("items", k.prerequisites.iter().map(|i| item_name(c, i, lang)).collect::<Vec<_>>().join(ctx.t("list-sep").as_str()))])) }
                                    }
                                }
                                td {
                                    (opt_date(k.promised_deadline))
                                    @if k.status == "active" || k.status == "paused" {
                                        " " (super::deadline_tag(lang, k.promised_deadline.map(|d| web.state.calendar().working_days_between(today, d)), k.overdue, k.warned))
                                    }
                                }
                                td { (k.finished_at.map(time).unwrap_or_else(|| "—".to_owned())) }
                            }
                        }
                    }
                }
            }
        }
        @if v.status == "completed" || v.status == "partially_completed" {
            div.panel.panel-green {
                h2 { (ctx.t("app-saved-title")) }
                p { (ctx.ta("app-saved", crate::args![
                    ("materials", v.this_application.materials), ("materials_base", v.item_by_item.materials),
                    ("trips", v.this_application.trips), ("trips_base", v.item_by_item.trips),
                    ("days", v.this_application.days.unwrap_or(0)), ("days_base", v.item_by_item.days.unwrap_or(0)),
                ])) }
            }
        }
        @if v.can_rate { (rate_form(ctx, web, &v, fs)) }
        @if !v.ratings.is_empty() || !v.rectifications.is_empty() {
            section aria-labelledby="h-ratings" {
                h2 #h-ratings { (ctx.t("app-ratings")) }
                ul {
                    @for r in &v.ratings {
                        @let level = RatingLevel::parse(&r.level);
                        li {
                            (tag(if r.score <= 2 { "bad" } else if r.score == 3 { "warn" } else { "ok" }, &level.map(|l| lang.pick(l.name_zh(), l.name_en()).to_owned()).unwrap_or_default()))
                            " " (time(r.at))
                            @if let Some(cm) = &r.comment { " — " (cm) }
                        }
                    }
                }
                @for r in &v.rectifications {
                    @let st = onething::RectificationStatus::parse(&r.status);
                    div.panel.panel-amber {
                        p { strong { (ctx.ta("rect-line", crate::args![("department", dept_name(c, &r.department, lang)), ("status", st.map(|s| lang.pick(s.name_zh(), s.name_en()).to_owned()).unwrap_or_default()), ("due", super::date(r.due_on))])) } }
                        @if let Some(resp) = &r.response { p { (ctx.t("rect-response")) ": " (resp) } }
                    }
                }
            }
        }
        section aria-labelledby="h-materials" {
            h2 #h-materials { (ctx.t("app-materials")) }
            div.table-wrap {
                table {
                    caption.visually-hidden { (ctx.t("app-materials")) }
                    thead { tr { th scope="col" { (ctx.t("plan-material")) } th scope="col" { (ctx.t("plan-source")) } } }
                    tbody {
                        @for m in &v.materials {
                            tr {
                                th scope="row" { (lang.pick(&m.name, &m.name_en)) }
                                td {
                                    @match m.source.as_str() {
                                        "shared" => {
                                            (tag("ok", &ctx.t("source-shared"))) " "
                                            span.muted { (ctx.ta("source-shared-from", crate::args![
                                                ("record", m.record_type.as_deref().and_then(|r| c.record_type(r)).map(|r| lang.pick(&r.name, &r.name_en).to_owned()).unwrap_or_default()),
                                                ("department", m.department.as_deref().map(|d| dept_name(c, d, lang)).unwrap_or_default()),
                                                ("date", m.issued_at.map(time).unwrap_or_default()),
                                            ])) }
                                        }
                                        "issued_in_bundle" => {
                                            (tag("info", &ctx.t("source-issued"))) " "
                                            span.muted { (ctx.ta("source-issued-by", crate::args![("item", m.item.as_deref().map(|i| item_name(c, i, lang)).unwrap_or_default())])) }
                                        }
                                        "reused" => { (tag("ok", &ctx.t("source-reused"))) }
                                        _ => { (tag("info", &ctx.t("source-uploaded"))) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        @if !v.form.is_empty() {
            section aria-labelledby="h-form" {
                h2 #h-form { (ctx.t("apply-form")) }
                @let fields = match c.bundle(&v.target.code) { Some(b) if v.target.kind == "bundle" => b.form_fields(c), _ => c.item(&v.target.code).map(|i| i.fields.clone()).unwrap_or_default() };
                dl.summary {
                    @for (k, val) in &v.form {
                        @let f = fields.iter().find(|f| &f.key == k);
                        dt { (f.map(|f| lang.pick(&f.label, &f.label_en).to_owned()).unwrap_or(k.clone())) }
                        dd {
                            @match f.map(|f| &f.kind) {
                                Some(catalog::FieldKind::Choice { choices }) => {
                                    (choices.iter().find(|c| &c.value == val).map(|c| lang.pick(&c.label, &c.label_en).to_owned()).unwrap_or(val.clone()))
                                }
                                _ => { (val) }
                            }
                        }
                    }
                }
            }
        }
        section aria-labelledby="h-notices" {
            h2 #h-notices { (ctx.t("app-notices")) }
            @if notices.is_empty() { p.muted { (ctx.t("notices-empty")) } }
            ol.notices {
                @for n in notices.iter().rev() {
                    li { span.muted { (time(n.created_at)) } " " (lang.pick(&n.text_zh, &n.text_en)) }
                }
            }
        }
        @if staff && !history.is_empty() {
            section aria-labelledby="h-history" {
                h2 #h-history { (ctx.t("app-history")) }
                div.table-wrap {
                    table {
                        caption.visually-hidden { (ctx.t("app-history")) }
                        thead { tr { th scope="col" { "#" } th scope="col" { (ctx.t("col-time")) } th scope="col" { (ctx.t("col-role")) } th scope="col" { (ctx.t("col-action")) } th scope="col" { (ctx.t("col-detail")) } } }
                        tbody {
                            @for h in &history {
                                tr {
                                    td.num { (h.seq) }
                                    td { (time(h.at)) }
                                    td { (h.role.parse::<catalog::Role>().map(|r| lang.pick(r.name_zh(), r.name_en()).to_owned()).unwrap_or(h.role.clone())) }
                                    @let wf = h.case.and_then(|k| app.case(k)).and_then(|k| c.workflow(&k.workflow));
                                    @let state_name = |s: &str| wf.and_then(|w| w.state(s)).map(|x| lang.pick(&x.name, &x.name_en).to_owned()).unwrap_or_else(|| s.to_owned());
                                    td {
                                        (wf.and_then(|w| w.action(&h.action)).map(|a| lang.pick(&a.name, &a.name_en).to_owned())
                                            .or_else(|| ctx.lang.try_t(&format!("hist-{}", h.action.replace('_', "-"))))
                                            .unwrap_or_else(|| h.action.clone()))
                                        @if let (Some(f), Some(t)) = (&h.from_state, &h.to_state) { br; span.muted { (state_name(f)) " → " (state_name(t)) } }
                                    }
                                    td { (history_detail(ctx, c, &h.detail)) }
                                }
                            }
                        }
                    }
                }
            }
        }
        @if v.can_withdraw { (withdraw_form(ctx, &v, fs)) }
    };
    Ok(page_status(ctx, status, &name, body))
}

/// `GET /applications/{id}`.
pub async fn show(State(web): State<Web>, ctx: Ctx, Path(id): Path<String>, Query(q): Query<ShowQuery>) -> Response {
    let banner = if q.filed.is_some() {
        Some(ctx.t("banner-filed"))
    } else {
        q.done.as_deref().map(|d| match d {
            "rate" => ctx.t("banner-rated"),
            "withdraw" => ctx.t("banner-withdrawn"),
            _ => ctx.t("banner-acted"),
        })
    };
    let r = render(&ctx, &web, &id, banner, None, StatusCode::OK).await;
    finish(&ctx, r)
}

async fn after(ctx: &Ctx, web: &Web, id: &str, r: Result<std::sync::Arc<onething::Application>, Failure>, fs: FormState, done: &str) -> Result<Response, Failure> {
    match r {
        Ok(app) => Ok(redirect(&format!("/applications/{}?done={done}", app.id))),
        Err(e @ (Failure::Invalid { .. } | Failure::Conflict { .. } | Failure::BadRequest { .. } | Failure::Forbidden { .. })) => {
            let status = e.status();
            let mut fs = fs;
            let mut errs = Errors::from_api(ctx.lang, &e);
            // An error about no field this form shows goes next to the form's first field.
            let known: &[&str] = match fs.form.as_str() {
                "rate" => &["level", "comment"],
                "withdraw" => &["reason"],
                _ => &["action", "comment"],
            };
            for (f, _) in &mut errs.0 {
                if !known.contains(&f.as_str()) && !f.starts_with("materials.") {
                    known[0].clone_into(f);
                }
            }
            fs.errors = errs;
            render(ctx, web, id, None, Some(&fs), status).await
        }
        Err(e) => Err(e),
    }
}

/// `POST /applications/{id}/cases/{case}/act`: a workflow action (or the applicant's supplement).
pub async fn act(State(web): State<Web>, ctx: Ctx, Path((id, case)): Path<(String, String)>, form: PostForm) -> Response {
    let r = async {
        let p = ctx.require()?.clone();
        let app = app_id(&id)?;
        let case_id: CaseId = server::areas::onething::cases::parse_id(&case, "本申请中没有这个办件", "No such case")?;
        let mut fs = FormState { form: format!("case-{case}"), errors: Errors::default(), values: form.fields.clone() };
        let Some(action) = form.get("action") else {
            fs.errors.push("action", ctx.t("action-required"));
            return render(&ctx, &web, &id, None, Some(&fs), StatusCode::UNPROCESSABLE_ENTITY).await;
        };
        let mut errors = Errors::default();
        let uploads = collect_uploads(&ctx, &web, &p, &form, "materials.", &mut errors).await;
        if !errors.is_empty() {
            fs.errors = errors;
            return render(&ctx, &web, &id, None, Some(&fs), StatusCode::UNPROCESSABLE_ENTITY).await;
        }
        let uploads: BTreeMap<String, String> = uploads.into_iter().map(|(k, (v, _))| (k, v)).collect();
        let uploads = server::areas::onething::cases::parse_uploads(&uploads, "materials")?;
        let req = ActionRequest { case: case_id, action: action.chars().take(64).collect(), comment: form.get("comment"), uploads };
        let r = server::areas::onething::cases::act(&web.state, &p.account, app, req).await;
        after(&ctx, &web, &id, r, fs, "act").await
    }
    .await;
    finish(&ctx, r)
}

/// `POST /applications/{id}/rate`: 好差评.
pub async fn rate(State(web): State<Web>, ctx: Ctx, Path(id): Path<String>, form: PostForm) -> Response {
    let r = async {
        let p = ctx.require()?.clone();
        let app = app_id(&id)?;
        let mut fs = FormState { form: "rate".into(), errors: Errors::default(), values: form.fields.clone() };
        let Some(level) = form.get("level").and_then(|l| RatingLevel::parse(&l)) else {
            fs.errors.push("level", ctx.t("rate-level-required"));
            return render(&ctx, &web, &id, None, Some(&fs), StatusCode::UNPROCESSABLE_ENTITY).await;
        };
        let departments: Vec<String> = form.prefixed("dept.").into_keys().collect();
        let req = RatingRequest { level, comment: form.get("comment"), departments };
        let r = server::areas::onething::cases::rate(&web.state, &p.account, app, req).await;
        after(&ctx, &web, &id, r, fs, "rate").await
    }
    .await;
    finish(&ctx, r)
}

/// `POST /applications/{id}/withdraw`.
pub async fn withdraw(State(web): State<Web>, ctx: Ctx, Path(id): Path<String>, form: PostForm) -> Response {
    let r = async {
        let p = ctx.require()?.clone();
        let app = app_id(&id)?;
        let fs = FormState { form: "withdraw".into(), errors: Errors::default(), values: form.fields.clone() };
        let r = server::areas::onething::cases::withdraw(&web.state, &p.account, app, form.get("reason")).await;
        after(&ctx, &web, &id, r, fs, "withdraw").await
    }
    .await;
    finish(&ctx, r)
}
