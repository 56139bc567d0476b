//! Applying: the form of a bundle or item with the collect-once plan (what is filled in, what
//! remains to upload), the pre-filled fields of a repeat, the uploads, and the filing itself —
//! for a resident or an enterprise agent, or for a person at the window (一窗受理).

use std::collections::BTreeMap;
use axum::extract::Path;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use base64::Engine as _;
use maud::Markup;
use maud::html;
use rand::RngCore;
use server::auth::Principal;
use server::failure::Failure;
use server::areas::onething::cases::SubmitBody;
use server::areas::onething::views::FieldView;
use super::hall::plan_for;
use super::hall::plan_table;
use super::item_name;
use crate::Web;
use crate::ctx::Ctx;
use crate::forms::FileField;
use crate::forms::PostForm;
use crate::layout;
use crate::layout::Errors;
use crate::layout::Input;
use crate::layout::breadcrumbs;
use crate::layout::csrf;
use crate::layout::error_summary;
use crate::layout::file_input;
use crate::layout::finish;
use crate::layout::input;
use crate::layout::page_status;
use crate::layout::radios;
use crate::layout::redirect;
use crate::layout::textarea;

/// What the form shows again after a failed attempt.
#[derive(Debug, Clone, Default)]
pub struct Kept {
    pub values: BTreeMap<String, String>,
    /// Material code → (upload id, file name) already uploaded in an earlier attempt.
    pub uploaded: BTreeMap<String, (String, String)>,
    pub idem: String,
    /// Window intake: the ID number or credit code of the person at the window.
    pub applicant: Option<String>,
}

fn new_key() -> String {
    let mut b = [0u8; 18];
    rand::rng().fill_bytes(&mut b);
    format!("web-{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b))
}

fn check_target(web: &Web, kind: &str, code: &str) -> Result<String, Failure> {
    let c = web.state.catalog();
    match kind {
        "bundle" if c.bundle(code).is_some() => Ok(kind.to_owned()),
        "item" if c.item(code).is_some() => Ok(kind.to_owned()),
        _ => Err(Failure::not_found("没有这个一件事或事项", "No such bundle or item")),
    }
}

fn field_input(ctx: &Ctx, errors: &Errors, f: &FieldView, value: &str) -> Markup {
    let name = format!("form.{}", f.key);
    let label = ctx.lang.pick(&f.label, &f.label_en).to_owned();
    let prefilled_hint = f.prefilled.as_ref().map(|_| ctx.t("form-prefilled"));
    match f.kind.as_str() {
        "long_text" => textarea(ctx, errors, &name, &label, prefilled_hint.as_deref(), value, f.required),
        "choice" => {
            let choices: Vec<(String, String)> = f.choices.iter().map(|c| (c.value.clone(), ctx.lang.pick(&c.label, &c.label_en).to_owned())).collect();
            radios(ctx, errors, &name, &label, &choices, value, f.required)
        }
        kind => {
            let (ty, mode, auto, width, hint) = match kind {
                "date" => ("date", None, None, Some("w-short"), None),
                "datetime" => ("datetime-local", None, None, Some("w-short"), None),
                "number" => ("text", Some("decimal"), None, Some("w-short"), None),
                "phone" => ("tel", Some("tel"), Some("tel"), Some("w-short"), Some(ctx.t("hint-phone"))),
                "id_number" => ("text", None, Some("off"), None, Some(ctx.t("hint-id-number"))),
                "credit_code" => ("text", None, Some("off"), None, Some(ctx.t("hint-credit-code"))),
                _ => ("text", None, None, None, None),
            };
            let hint = match (hint, prefilled_hint) {
                (Some(h), Some(p)) => Some(format!("{h} {p}")),
                (h, p) => h.or(p),
            };
            input(
                ctx,
                errors,
                &Input {
                    name: &name,
                    label: &label,
                    hint: hint.as_deref(),
                    value,
                    kind: ty,
                    required: f.required,
                    autocomplete: auto,
                    inputmode: mode,
                    maxlength: f.max_len,
                    width,
                },
            )
        }
    }
}

/// The application form; `applicant` is set for a window intake.
pub async fn render(ctx: &Ctx, web: &Web, kind: &str, code: &str, kept: &Kept, errors: &Errors, status: StatusCode) -> Result<Response, Failure> {
    let p = ctx.require()?;
    let applicant = kept.applicant.clone();
    let kind = check_target(web, kind, code)?;
    let plan = plan_for(web, p, &kind, code, applicant.clone()).await?;
    let lang = ctx.lang;
    let name = lang.pick(&plan.target.name, &plan.target.name_en).to_owned();
    let c = web.state.catalog();
    let idem = if kept.idem.is_empty() { new_key() } else { kept.idem.clone() };
    let mut known: Vec<String> = plan.fields.iter().map(|f| format!("form.{}", f.key)).collect();
    known.extend(plan.materials.iter().map(|m| format!("materials.{}", m.code)));
    let title = ctx.ta("apply-title", crate::args![("name", name.clone())]);
    let back = if applicant.is_some() { "/staff/intake".to_owned() } else { format!("/{}s/{code}", kind) };
    let body = html! {
        (breadcrumbs(ctx, &[("/", ctx.t("nav-hall")), (&back, name.clone()), ("", ctx.t("apply-crumb"))]))
        h1 { (title) }
        (error_summary(ctx, errors, &known))
        form.stack method="post" action={ "/apply/" (kind) "/" (code) } enctype="multipart/form-data" novalidate {
            (csrf(ctx))
            input type="hidden" name="idem" value=(idem);
            @if let Some(a) = &applicant { input type="hidden" name="applicant" value=(a); }
            h2 { (ctx.t("apply-applicant")) }
            dl.summary {
                dt { (ctx.t("apply-applicant-name")) } dd { (plan.applicant.name) }
                dt { (ctx.t(if plan.applicant.subject == "enterprise" { "apply-credit-code" } else { "apply-id-number" })) } dd { (plan.applicant.key) }
                @if applicant.is_some() { dt { (ctx.t("apply-channel")) } dd { (ctx.t("channel-window")) } }
            }
            h2 { (ctx.t("apply-materials")) }
            (plan_table(ctx, web, &plan))
            @let to_upload: Vec<_> = plan.materials.iter().filter(|m| m.status == "to_upload").collect();
            @if to_upload.is_empty() {
                div.panel.panel-green { p { (ctx.t("apply-nothing-to-upload")) } }
            } @else {
                h3 { (ctx.t("apply-upload-title")) }
                p.hint { (ctx.t("apply-upload-hint")) }
                @for m in to_upload {
                    @let field = format!("materials.{}", m.code);
                    @let label = lang.pick(&m.name, &m.name_en).to_owned();
                    @let needed = ctx.ta("apply-needed-by", crate::args![("items", m.needed_by.iter().map(|i| item_name(c, i, lang)).collect::<Vec<_>>().join(ctx.t("list-sep").as_str()))]);
                    @if let Some((id, file)) = kept.uploaded.get(&m.code) {
                        input type="hidden" name={ "uploaded." (m.code) } value=(id);
                        input type="hidden" name={ "uploaded_name." (m.code) } value=(file);
                        (file_input(ctx, errors, &field, &label, Some(&format!("{needed} {}", ctx.ta("apply-already-uploaded", crate::args![("file", file.clone())]))), false))
                    } @else {
                        (file_input(ctx, errors, &field, &label, Some(&needed), true))
                    }
                }
            }
            @if !plan.fields.is_empty() {
                h2 { (ctx.t("apply-form")) }
                @if plan.prior.is_some() { div.panel.panel-green { p { (ctx.t("plan-repeat")) } } }
                @for f in &plan.fields {
                    @let v = kept.values.get(&f.key).cloned().or_else(|| f.prefilled.clone()).unwrap_or_default();
                    (field_input(ctx, errors, f, &v))
                }
            }
            h2 { (ctx.t("apply-declare-title")) }
            p { (ctx.t("apply-declare")) }
            button.button type="submit" { (ctx.t(if applicant.is_some() { "apply-submit-window" } else { "apply-submit" })) }
        }
    };
    Ok(page_status(ctx, status, &title, body))
}

/// `GET /apply/{kind}/{code}`: residents and enterprise agents.
pub async fn form(State(web): State<Web>, ctx: Ctx, Path((kind, code)): Path<(String, String)>) -> Response {
    let r = async {
        let p = ctx.require()?;
        if p.is_staff() {
            return Ok(redirect("/staff/intake"));
        }
        render(&ctx, &web, &kind, &code, &Kept::default(), &Errors::default(), StatusCode::OK).await
    }
    .await;
    finish(&ctx, r)
}

/// Stores one chosen file through the API's upload use case (same checks, same storage).
pub async fn save_upload(web: &Web, p: &Principal, f: &FileField) -> Result<String, Failure> {
    let view = server::areas::onething::cases::store_upload(&web.state, &p.account, Some(f.file_name.clone()), &f.content_type, f.bytes.clone()).await?;
    Ok(view.id)
}

/// Uploads the files of a form whose names start with `prefix`; returns material code →
/// (upload id, file name), with earlier uploads kept in hidden fields, and per-field errors.
pub async fn collect_uploads(ctx: &Ctx, web: &Web, p: &Principal, form: &PostForm, prefix: &str, errors: &mut Errors) -> BTreeMap<String, (String, String)> {
    let mut out: BTreeMap<String, (String, String)> = BTreeMap::new();
    for (code, id) in form.prefixed("uploaded.") {
        let name = form.get(&format!("uploaded_name.{code}")).unwrap_or_default();
        out.insert(code, (id, name));
    }
    for f in &form.files {
        let Some(code) = f.field.strip_prefix(prefix) else { continue };
        match save_upload(web, p, f).await {
            Ok(id) => {
                out.insert(code.to_owned(), (id, f.file_name.clone()));
            }
            Err(e) => errors.push(&f.field, layout::message(ctx.lang, &e)),
        }
    }
    out
}

/// Checks the whole form against the plan: every required field, every value's format, every
/// material still to upload. The engine checks all of it again when filing.
async fn precheck(ctx: &Ctx, web: &Web, p: &Principal, kind: &str, code: &str, kept: &Kept) -> Result<Errors, Failure> {
    let plan = plan_for(web, p, kind, code, kept.applicant.clone()).await?;
    let c = web.state.catalog();
    let lang = ctx.lang;
    let mut errors = Errors::default();
    for m in plan.materials.iter().filter(|m| m.status == "to_upload") {
        if !kept.uploaded.contains_key(&m.code) {
            errors.push(&format!("materials.{}", m.code), ctx.ta("apply-upload-missing", crate::args![("name", lang.pick(&m.name, &m.name_en).to_owned())]));
        }
    }
    let fields = match kind {
        "bundle" => c.bundle(code).map(|b| b.form_fields(c)).unwrap_or_default(),
        _ => c.item(code).map(|i| i.fields.clone()).unwrap_or_default(),
    };
    for f in &fields {
        let name = format!("form.{}", f.key);
        let label = lang.pick(&f.label, &f.label_en).to_owned();
        match kept.values.get(&f.key).map(|v| v.trim()).filter(|v| !v.is_empty()) {
            None if f.required => errors.push(&name, ctx.ta("apply-field-missing", crate::args![("label", label)])),
            None => {}
            Some(v) => {
                if let Err((zh, en)) = onething::form::check_value_on(f, v, domain::china_date(web.state.now())) {
                    let msg = match lang {
                        crate::i18n::Lang::Zh => format!("「{}」{zh}", f.label),
                        crate::i18n::Lang::En => format!("{} {en}", f.label_en),
                    };
                    errors.push(&name, msg);
                }
            }
        }
    }
    Ok(errors)
}

/// `POST /apply/{kind}/{code}`: files the application.
pub async fn submit(State(web): State<Web>, ctx: Ctx, Path((kind, code)): Path<(String, String)>, form: PostForm) -> Response {
    let r = async {
        let p = ctx.require()?.clone();
        let kind = check_target(&web, &kind, &code)?;
        let applicant = form.get("applicant");
        let mut errors = Errors::default();
        let uploaded = collect_uploads(&ctx, &web, &p, &form, "materials.", &mut errors).await;
        let kept = Kept { values: form.prefixed("form."), uploaded: uploaded.clone(), idem: form.get("idem").unwrap_or_default(), applicant: applicant.clone() };
        if !errors.is_empty() {
            return render(&ctx, &web, &kind, &code, &kept, &errors, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
        // Every missing or wrong field at once (the engine stops at the first).
        let errors = precheck(&ctx, &web, &p, &kind, &code, &kept).await?;
        if !errors.is_empty() {
            return render(&ctx, &web, &kind, &code, &kept, &errors, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
        let body = SubmitBody {
            bundle: (kind == "bundle").then(|| code.clone()),
            item: (kind == "item").then(|| code.clone()),
            form: kept.values.clone(),
            materials: uploaded.iter().map(|(k, (id, _))| (k.clone(), id.clone())).collect(),
            applicant: applicant.clone(),
            division: None,
        };
        let key = (!kept.idem.is_empty()).then(|| kept.idem.clone());
        match server::areas::onething::cases::submit(&web.state, &p.account, body, key).await {
            Ok(filed) => match filed.claim_code {
                // A window intake that opened the resident's account: the claim slip, shown once.
                Some(slip) => Ok(super::staff::filed_with_slip(&ctx, &filed.application.id.to_string(), &slip)),
                None => Ok(redirect(&format!("/applications/{}?filed=1", filed.application.id))),
            },
            Err(e @ (Failure::Invalid { .. } | Failure::Conflict { .. } | Failure::BadRequest { .. })) => {
                let errors = Errors::from_api(ctx.lang, &e);
                render(&ctx, &web, &kind, &code, &kept, &errors, StatusCode::UNPROCESSABLE_ENTITY).await
            }
            Err(e) => Err(e),
        }
    }
    .await;
    finish(&ctx, r)
}
