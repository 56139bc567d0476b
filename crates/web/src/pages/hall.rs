//! The service hall's public pages: life stages and their bundles, a bundle with its items,
//! departments, time limits and de-duplicated materials (and, signed in, what is already filled
//! in from shared data and from where), a single item, the accessibility statement, 404.

use axum::extract::Path;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use catalog::Bundle;
use catalog::LifeStage;
use catalog::Subject;
use maud::Markup;
use maud::html;
use server::areas::onething::views::PlanQuery;
use server::auth::Principal;
use server::failure::Failure;
use server::areas::onething::views::PlanView;
use store::AccountKind;
use super::dept_name;
use super::item_name;
use super::pct;
use crate::Web;
use crate::ctx::Ctx;
use crate::layout::breadcrumbs;
use crate::layout::finish;
use crate::layout::page;
use crate::layout::page_status;
use crate::layout::q;
use crate::layout::tag;

fn bundle_card(ctx: &Ctx, c: &catalog::Catalog, b: &Bundle) -> Markup {
    let d = onething::reduction::designed(b, c);
    html! {
        li {
            a href={ "/bundles/" (b.code) } { (ctx.lang.pick(&b.name, &b.name_en)) }
            br;
            span.muted {
                (ctx.ta("hall-bundle-brief", crate::args![("items", b.items.len()), ("departments", b.departments(c).len()), ("materials", pct(d.reduction.materials))]))
            }
        }
    }
}

fn stage_cards(ctx: &Ctx, c: &catalog::Catalog, subject: Subject) -> Markup {
    html! {
        ul.grid role="list" {
            @for s in LifeStage::ALL.iter().filter(|s| s.subject() == subject) {
                @let bundles: Vec<&Bundle> = c.bundles_in_stage(*s).collect();
                li.card id={ "stage-" (s.code()) } {
                    h3 { (ctx.lang.pick(s.name_zh(), s.name_en())) }
                    @if bundles.is_empty() {
                        p.muted { (ctx.t("hall-stage-empty")) }
                    } @else {
                        ul { @for b in bundles { (bundle_card(ctx, c, b)) } }
                    }
                }
            }
        }
    }
}

/// `/`: the service hall.
pub async fn home(State(web): State<Web>, ctx: Ctx) -> Response {
    let c = web.state.catalog();
    let staff = ctx.user.as_ref().is_some_and(|p| p.is_staff());
    let enterprise = ctx.user.as_ref().is_some_and(|p| p.account.kind == AccountKind::Enterprise);
    let personal = html! {
        section aria-labelledby="h-personal" {
            h2 #h-personal { (ctx.t("hall-personal")) }
            (stage_cards(&ctx, c, Subject::Person))
        }
    };
    let business = html! {
        section aria-labelledby="h-enterprise" {
            h2 #h-enterprise { (ctx.t("hall-enterprise")) }
            (stage_cards(&ctx, c, Subject::Enterprise))
        }
    };
    let body = html! {
        h1 { (ctx.t("site-name")) }
        p.lead { (ctx.t("hall-lead")) }
        @if staff {
            div.panel { p { (ctx.t("hall-staff-hint")) " " a href="/staff" { (ctx.t("nav-workbench")) } } }
        } @else if ctx.user.is_none() {
            div.panel {
                p { (ctx.t("hall-sign-in-hint")) }
                p.actions { a.button href="/login" { (ctx.t("sign-in")) } a.button.button-secondary href="/register" { (ctx.t("register")) } }
            }
        } @else {
            div.panel { p { (ctx.t("hall-mine-hint")) " " a href="/applications" { (ctx.t("nav-mine")) } } }
        }
        // Enterprise agents see the enterprise stages first.
        @if enterprise { (business) (personal) } @else { (personal) (business) }
    };
    page(&ctx, &ctx.t("site-name"), body)
}

/// The plan for the signed-in applicant, or why there is none.
pub async fn plan_for(web: &Web, p: &Principal, kind: &str, code: &str, applicant: Option<String>) -> Result<PlanView, Failure> {
    let q = PlanQuery {
        bundle: (kind == "bundle").then(|| code.to_owned()),
        item: (kind == "item").then(|| code.to_owned()),
        applicant,
    };
    server::areas::onething::cases::plan_view(&web.state, p, q).await
}

/// The materials of a plan: what is filled in (and from where), what remains to upload.
pub fn plan_table(ctx: &Ctx, web: &Web, plan: &PlanView) -> Markup {
    let c = web.state.catalog();
    let lang = ctx.lang;
    html! {
        div.table-wrap {
            table {
                caption { (ctx.t("plan-caption")) }
                thead { tr { th scope="col" { (ctx.t("plan-material")) } th scope="col" { (ctx.t("plan-source")) } th scope="col" { (ctx.t("plan-needed-by")) } } }
                tbody {
                    @for m in &plan.materials {
                        tr {
                            th scope="row" { (lang.pick(&m.name, &m.name_en)) }
                            td {
                                @match m.status.as_str() {
                                    "shared" => {
                                        (tag("ok", &ctx.t("source-shared")))
                                        br;
                                        span.muted {
                                            (ctx.ta("source-shared-from", crate::args![
                                                ("record", m.record_type.as_deref().and_then(|r| c.record_type(r)).map(|r| lang.pick(&r.name, &r.name_en).to_owned()).unwrap_or_default()),
                                                ("department", m.department.as_deref().map(|d| dept_name(c, d, lang)).unwrap_or_default()),
                                                ("date", m.issued_at.map(super::time).unwrap_or_default()),
                                            ]))
                                        }
                                    }
                                    "issued_in_bundle" => {
                                        (tag("info", &ctx.t("source-issued")))
                                        br;
                                        span.muted { (ctx.ta("source-issued-by", crate::args![("item", m.item.as_deref().map(|i| item_name(c, i, lang)).unwrap_or_default())])) }
                                    }
                                    "reused" => {
                                        (tag("ok", &ctx.t("source-reused")))
                                    }
                                    _ => { (tag("warn", &ctx.t("source-to-upload"))) }
                                }
                            }
                            td { (m.needed_by.iter().map(|i| item_name(c, i, lang)).collect::<Vec<_>>().join(ctx.t("list-sep").as_str())) }
                        }
                    }
                }
            }
        }
        p {
            (ctx.ta("plan-summary", crate::args![("upload", plan.to_upload), ("total", u64::from(plan.item_by_item_materials))]))
        }
    }
}

fn subject_ok(p: &Principal, subject: Subject) -> bool {
    match p.account.kind {
        AccountKind::Citizen => subject == Subject::Person,
        AccountKind::Enterprise => subject == Subject::Enterprise,
        AccountKind::Staff => false,
    }
}

/// What a visitor can do next on a bundle or item page.
async fn apply_box(ctx: &Ctx, web: &Web, kind: &str, code: &str, subject: Subject) -> Markup {
    let Some(p) = &ctx.user else {
        return html! {
            div.panel {
                p { (ctx.t("bundle-sign-in-to-apply")) }
                a.button href={ "/login?next=" (q(&ctx.here)) } { (ctx.t("sign-in-to-apply")) }
            }
        };
    };
    if p.is_staff() {
        return html! { div.panel { p { (ctx.t("bundle-staff-intake")) " " a href="/staff/intake" { (ctx.t("nav-intake")) } } } };
    }
    if !subject_ok(p, subject) {
        return html! { div.panel.panel-amber { p { (ctx.t(if subject == Subject::Enterprise { "bundle-for-enterprises" } else { "bundle-for-persons" })) } } };
    }
    match plan_for(web, p, kind, code, None).await {
        Ok(plan) => html! {
            h2 { (ctx.t("bundle-your-materials")) }
            @if plan.prior.is_some() { div.panel.panel-green { p { (ctx.t("plan-repeat")) } } }
            (plan_table(ctx, web, &plan))
            a.button href={ "/apply/" (kind) "/" (code) } { (ctx.t("bundle-apply")) }
        },
        Err(e) => html! { div.panel.panel-amber { p { (crate::layout::message(ctx.lang, &e)) } } },
    }
}

/// `/bundles/{code}`.
pub async fn bundle(State(web): State<Web>, ctx: Ctx, Path(code): Path<String>) -> Response {
    let c = web.state.catalog();
    let Some(b) = c.bundle(&code) else {
        return finish(&ctx, Err(Failure::not_found("没有这个一件事", "No such bundle")));
    };
    let lang = ctx.lang;
    let d = onething::reduction::designed(b, c);
    let depts = b.departments(c);
    let name = lang.pick(&b.name, &b.name_en).to_owned();
    let apply = apply_box(&ctx, &web, "bundle", &b.code, b.subject).await;
    let body = html! {
        (breadcrumbs(&ctx, &[("/", ctx.t("nav-hall")), (&format!("/#stage-{}", b.stage.code()), lang.pick(b.stage.name_zh(), b.stage.name_en()).to_owned()), ("", name.clone())]))
        h1 { (name) }
        @if let Some(desc) = &b.description { p.lead lang="zh-CN" { (desc) } }
        ul.figures {
            li { span.num { (b.items.len()) } span.lbl { (ctx.t("bundle-items")) } }
            li { span.num { (depts.len()) } span.lbl { (ctx.t("bundle-departments")) } }
            li { span.num { (d.bundled.materials) " / " (d.item_by_item.materials) } span.lbl { (ctx.t("bundle-materials-vs")) } }
            li { span.num { (d.bundled.trips) " / " (d.item_by_item.trips) } span.lbl { (ctx.t("bundle-trips-vs")) } }
            li { span.num { (d.bundled.days) " / " (d.item_by_item.days) } span.lbl { (ctx.t("bundle-days-vs")) } }
        }
        h2 { (ctx.t("bundle-items-title")) }
        div.table-wrap {
            table {
                caption.visually-hidden { (ctx.t("bundle-items-title")) }
                thead { tr {
                    th scope="col" { (ctx.t("col-item")) } th scope="col" { (ctx.t("col-department")) }
                    th scope="col" .num { (ctx.t("col-promised-days")) } th scope="col" .num { (ctx.t("col-legal-days")) }
                    th scope="col" { (ctx.t("col-online")) } th scope="col" { (ctx.t("col-after")) }
                } }
                tbody {
                    @for code in b.topo_order() {
                        @if let Some(i) = c.item(&code) {
                            tr {
                                th scope="row" { a href={ "/items/" (i.code) } { (lang.pick(&i.name, &i.name_en)) } }
                                td { (dept_name(c, &i.department, lang)) }
                                td.num { (i.promised_days) }
                                td.num { (i.legal_days) }
                                td { (if i.online { ctx.t("yes") } else { ctx.t("no") }) }
                                td { (b.prerequisites_of(&i.code).iter().map(|x| item_name(c, x, lang)).collect::<Vec<_>>().join(ctx.t("list-sep").as_str())) }
                            }
                        }
                    }
                }
            }
        }
        p.muted { (ctx.t("bundle-days-note")) }
        @if ctx.user.as_ref().is_none_or(|p| p.is_staff() || !subject_ok(p, b.subject)) {
            h2 { (ctx.t("bundle-materials-title")) }
            ul {
                @for m in b.materials(c) {
                    @let mat = c.material(&m.material);
                    li {
                        (mat.map(|x| lang.pick(&x.name, &x.name_en).to_owned()).unwrap_or(m.material.clone()))
                        @if m.issued_in_bundle_by.is_some() { " — " span.muted { (ctx.t("source-issued")) } }
                        @else if mat.is_some_and(|x| x.satisfied_by.is_some()) { " — " span.muted { (ctx.t("bundle-material-shared")) } }
                    }
                }
            }
        }
        (apply)
    };
    page(&ctx, &name, body)
}

/// `/items/{code}`: one item, applied for on its own.
pub async fn item(State(web): State<Web>, ctx: Ctx, Path(code): Path<String>) -> Response {
    let c = web.state.catalog();
    let Some(i) = c.item(&code) else {
        return finish(&ctx, Err(Failure::not_found("没有这个事项", "No such item")));
    };
    let lang = ctx.lang;
    let name = lang.pick(&i.name, &i.name_en).to_owned();
    let apply = apply_box(&ctx, &web, "item", &i.code, i.subject).await;
    let bundles: Vec<&Bundle> = c.bundles_with_item(&i.code).collect();
    let body = html! {
        (breadcrumbs(&ctx, &[("/", ctx.t("nav-hall")), ("", name.clone())]))
        h1 { (name) }
        dl.summary {
            dt { (ctx.t("col-department")) } dd { (dept_name(c, &i.department, lang)) }
            dt { (ctx.t("col-promised-days")) } dd { (i.promised_days) }
            dt { (ctx.t("col-legal-days")) } dd { (i.legal_days) }
            dt { (ctx.t("col-online")) } dd { (if i.online { ctx.t("yes") } else { ctx.t("no") }) }
            dt { (ctx.t("item-visits")) } dd { (i.visits) }
            dt { (ctx.t("item-materials")) } dd {
                (i.materials.iter().filter_map(|m| c.material(m)).map(|m| lang.pick(&m.name, &m.name_en).to_owned()).collect::<Vec<_>>().join(ctx.t("list-sep").as_str()))
            }
        }
        @if !bundles.is_empty() {
            div.panel.panel-green {
                p { (ctx.t("item-in-bundles")) }
                ul { @for b in bundles { li { a href={ "/bundles/" (b.code) } { (lang.pick(&b.name, &b.name_en)) } } } }
            }
        }
        (apply)
    };
    page(&ctx, &name, body)
}

/// `/accessibility`: the accessibility statement (无障碍声明).
pub async fn accessibility(ctx: Ctx) -> Response {
    let body = html! {
        h1 { (ctx.t("a11y-title")) }
        p.lead { (ctx.t("a11y-lead")) }
        ul {
            li { (ctx.t("a11y-keyboard")) }
            li { (ctx.t("a11y-elder")) }
            li { (ctx.t("a11y-zoom")) }
            li { (ctx.t("a11y-screen-reader")) }
            li { (ctx.t("a11y-lang")) }
        }
        p { (ctx.t("a11y-contact")) }
    };
    page(&ctx, &ctx.t("a11y-title"), body)
}

/// Any other path: 404 as a page.
pub async fn not_found(ctx: Ctx) -> Response {
    let body = html! {
        h1 { (ctx.t("error-not-found-title")) }
        p.lead { (ctx.t("error-not-found")) }
        p { a href="/" { (ctx.t("error-home")) } }
    };
    page_status(&ctx, StatusCode::NOT_FOUND, &ctx.t("error-not-found-title"), body)
}
