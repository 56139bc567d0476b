//! Signing in and out, real-name registration in two steps (a code by text message, then the
//! password), and the language and elder-mode switches (cookies, so they hold on every page and
//! survive a restart of the browser).

use std::collections::BTreeMap;
use axum::extract::FromRequestParts;
use axum::extract::Path;
use axum::extract::Query;
use axum::extract::State;
use axum::http::header::RETRY_AFTER;
use axum::http::header::SET_COOKIE;
use axum::http::request::Parts;
use axum::http::HeaderValue;
use axum::http::StatusCode;
use axum::response::Response;
use maud::html;
use serde::Deserialize;
use server::policy::Who;
use server::auth::ClientAddr;
use server::failure::Failure;
use server::areas::identity::views::CodeRequest;
use server::areas::identity::views::RegisterRequest;
use crate::Web;
use crate::ctx::Ctx;
use crate::ctx::ELDER_COOKIE;
use crate::ctx::LANG_COOKIE;
use crate::ctx::safe_back;
use crate::forms::PostForm;
use crate::i18n::Lang;
use crate::layout::Errors;
use crate::layout::Input;
use crate::layout::csrf;
use crate::layout::error_summary;
use crate::layout::finish;
use crate::layout::input;
use crate::layout::page_status;
use crate::layout::redirect;

#[derive(Debug, Default, Deserialize)]
pub struct NextQuery {
    pub next: Option<String>,
    pub back: Option<String>,
}

fn login_page(ctx: &Ctx, next: &str, login: &str, errors: &Errors, status: StatusCode) -> Response {
    let body = html! {
        h1 { (ctx.t("login-title")) }
        (error_summary(ctx, errors, &["login".to_owned(), "password".to_owned()]))
        form.stack method="post" action="/login" novalidate {
            (csrf(ctx))
            input type="hidden" name="next" value=(next);
            (input(ctx, errors, &Input { name: "login", label: &ctx.t("login-login"), hint: Some(&ctx.t("login-login-hint")), value: login, required: true, autocomplete: Some("username"), ..Default::default() }))
            (input(ctx, errors, &Input { name: "password", label: &ctx.t("login-password"), kind: "password", required: true, autocomplete: Some("current-password"), ..Default::default() }))
            button.button type="submit" { (ctx.t("sign-in")) }
        }
        p { (ctx.t("login-no-account")) " " a href="/register" { (ctx.t("register")) } }
    };
    page_status(ctx, status, &ctx.t("login-title"), body)
}

/// `GET /login`.
pub async fn login_form(ctx: Ctx, Query(q): Query<NextQuery>) -> Response {
    let next = safe_back(q.next.as_deref());
    login_page(&ctx, &next, "", &Errors::default(), StatusCode::OK)
}

/// A new pre-session id with a sign-in or sign-out, so that no token of the browser's last state
/// works in the next.
fn new_pre_session(web: &Web, to: &mut Response) {
    if let (_, Some(v)) = crate::ctx::new_pre_session(web) {
        to.headers_mut().append(SET_COOKIE, v);
    }
}

/// `POST /login`.
pub async fn login(State(web): State<Web>, ctx: Ctx, form: PostForm) -> Response {
    let login = form.get("login").unwrap_or_default();
    let password = form.fields.get("password").cloned().unwrap_or_default();
    let next = safe_back(form.get("next").as_deref());
    let mut errors = Errors::default();
    if login.is_empty() {
        errors.push("login", ctx.t("login-login-required"));
    }
    if password.is_empty() {
        errors.push("password", ctx.t("login-password-required"));
    }
    if !errors.is_empty() {
        return login_page(&ctx, &next, &login, &errors, StatusCode::UNPROCESSABLE_ENTITY);
    }
    match server::areas::identity::cases::sign_in(&web.state, ctx.client, &login, &password).await {
        Ok(session) => {
            // Government staff go to their workbench (administrators to the cockpit, community workers
            // to their worklist, responders to their alarms); clinicians
            // and platforms, whose work is done through the API, to the hall.
            let who = Who::of(&web.state, Some(&session.account));
            let to = if next != "/" {
                next
            } else if who.meets(Who::ADMIN) {
                "/cockpit".to_owned()
            } else if who.meets(Who::HANDLER) {
                "/staff".to_owned()
            } else if who.meets(Who::COMMUNITY) {
                "/welfare/worklist".to_owned()
            } else if who.meets(Who::RESPONDER) {
                "/guardian/respond".to_owned()
            } else {
                "/".to_owned()
            };
            let mut r = redirect(&to);
            if let Ok(v) = axum::http::HeaderValue::from_str(&session.cookie(&web.state)) {
                r.headers_mut().append(SET_COOKIE, v);
            }
            new_pre_session(&web, &mut r);
            r
        }
        Err(e @ (Failure::BadCredentials | Failure::Forbidden { .. })) => {
            errors.push("password", crate::layout::message(ctx.lang, &e));
            login_page(&ctx, &next, &login, &errors, e.status())
        }
        Err(e @ Failure::TooManyRequests { retry_after, .. }) => {
            errors.push("password", crate::layout::message(ctx.lang, &e));
            let mut r = login_page(&ctx, &next, &login, &errors, e.status());
            r.headers_mut().insert(RETRY_AFTER, HeaderValue::from(retry_after.max(1)));
            r
        }
        Err(e) => finish(&ctx, Err(e)),
    }
}

/// The client address of a page request (registration's limits per address), as the API takes it.
#[derive(Debug, Clone, Copy)]
pub struct PageClient(pub ClientAddr);

impl FromRequestParts<Web> for PageClient {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, web: &Web) -> Result<Self, Self::Rejection> {
        Ok(PageClient(ClientAddr::of(parts, &web.state.config.trusted_proxies)))
    }
}

/// The fields of step one, which step two carries in hidden fields.
const STEP1: [&str; 4] = ["id_number", "name", "phone", "claim_code"];

/// An API error on a registration form: next to its field when the form shows it, else on top.
fn form_errors(ctx: &Ctx, e: &Failure, shown: &[&str]) -> Errors {
    let mut errors = Errors::from_api(ctx.lang, e);
    for (f, _) in &mut errors.0 {
        if !shown.contains(&f.as_str()) {
            f.clear();
        }
    }
    errors
}

/// Step one: ID number, name, phone and (for an account a window opened) the claim code.
fn register_page(ctx: &Ctx, values: &BTreeMap<String, String>, errors: &Errors, status: StatusCode) -> Response {
    let v = |k: &str| values.get(k).cloned().unwrap_or_default();
    let body = html! {
        h1 { (ctx.t("register-title")) }
        p.lead { (ctx.t("register-lead")) }
        (error_summary(ctx, errors, &STEP1.map(str::to_owned)))
        form.stack method="post" action="/register/code" novalidate {
            (csrf(ctx))
            h2 { (ctx.t("register-step1")) }
            (input(ctx, errors, &Input { name: "id_number", label: &ctx.t("register-id-number"), hint: Some(&ctx.t("hint-id-number")), value: &v("id_number"), required: true, autocomplete: Some("off"), maxlength: Some(18), ..Default::default() }))
            (input(ctx, errors, &Input { name: "name", label: &ctx.t("register-name"), value: &v("name"), required: true, autocomplete: Some("name"), maxlength: Some(50), ..Default::default() }))
            (input(ctx, errors, &Input { name: "phone", label: &ctx.t("register-phone"), hint: Some(&ctx.t("hint-phone")), value: &v("phone"), kind: "tel", required: true, autocomplete: Some("tel"), inputmode: Some("tel"), width: Some("w-short"), ..Default::default() }))
            (input(ctx, errors, &Input { name: "claim_code", label: &ctx.t("register-claim-code"), hint: Some(&ctx.t("register-claim-code-hint")), value: &v("claim_code"), autocomplete: Some("off"), maxlength: Some(12), width: Some("w-short"), ..Default::default() }))
            p.hint { (ctx.t("register-minors")) }
            button.button type="submit" { (ctx.t("register-send-code")) }
        }
    };
    page_status(ctx, status, &ctx.t("register-title"), body)
}

/// Step two: what was sent (the same message whoever asked), then the code and the password, with
/// the details of step one in hidden fields.
fn code_page(ctx: &Ctx, values: &BTreeMap<String, String>, sent: Option<&str>, errors: &Errors, status: StatusCode) -> Response {
    let v = |k: &str| values.get(k).cloned().unwrap_or_default();
    let hidden = html! {
        @for k in STEP1 { input type="hidden" name=(k) value=(v(k)); }
    };
    let claim = v("claim_code");
    let body = html! {
        h1 { (ctx.t("register-title")) }
        @if let Some(m) = sent {
            div.panel role="status" data-autofocus[errors.is_empty()] tabindex="-1" {
                h2 { (ctx.t("register-sent-title")) }
                p { (m) }
            }
        }
        (error_summary(ctx, errors, &["code".to_owned(), "password".to_owned()]))
        h2 { (ctx.t("register-details")) }
        dl.summary {
            dt { (ctx.t("register-id-number")) } dd { (domain::mask::id_number(&v("id_number"))) }
            dt { (ctx.t("register-name")) } dd { (v("name")) }
            dt { (ctx.t("register-phone")) } dd { (domain::mask::phone(&v("phone"))) }
            @if !claim.is_empty() { dt { (ctx.t("register-claim-code")) } dd { (claim) } }
        }
        p { a href="/register" { (ctx.t("register-change")) } }
        form.stack method="post" action="/register" novalidate {
            (csrf(ctx))
            (hidden)
            h2 { (ctx.t("register-step2")) }
            (input(ctx, errors, &Input { name: "code", label: &ctx.t("register-code"), hint: Some(&ctx.t("register-code-hint")), required: true, autocomplete: Some("one-time-code"), inputmode: Some("numeric"), maxlength: Some(6), width: Some("w-short"), ..Default::default() }))
            (input(ctx, errors, &Input { name: "password", label: &ctx.t("register-password"), hint: Some(&ctx.t("register-password-hint")), kind: "password", required: true, autocomplete: Some("new-password"), ..Default::default() }))
            button.button type="submit" { (ctx.t("register-submit")) }
        }
        form.actions method="post" action="/register/code" {
            (csrf(ctx))
            (hidden)
            button.button.button-secondary type="submit" { (ctx.t("register-resend")) }
        }
    };
    page_status(ctx, status, &ctx.t("register-title"), body)
}

/// The details of step one as the form sent them.
fn step1_values(form: &PostForm) -> BTreeMap<String, String> {
    STEP1.iter().map(|k| ((*k).to_owned(), form.get(k).unwrap_or_default())).collect()
}

/// `GET /register`.
pub async fn register_form(ctx: Ctx) -> Response {
    register_page(&ctx, &BTreeMap::new(), &Errors::default(), StatusCode::OK)
}

/// `POST /register/code`: step one — asks for a code by text message (the same use case as the
/// API's), then shows step two with the one message every request gets.
pub async fn register_code(State(web): State<Web>, ctx: Ctx, PageClient(client): PageClient, form: PostForm) -> Response {
    let values = step1_values(&form);
    let v = |k: &str| values.get(k).cloned().unwrap_or_default();
    let mut errors = Errors::default();
    if v("name").is_empty() {
        errors.push("name", ctx.t("register-name-required"));
    }
    if !errors.is_empty() {
        return register_page(&ctx, &values, &errors, StatusCode::UNPROCESSABLE_ENTITY);
    }
    let req = CodeRequest { id_number: v("id_number"), name: v("name"), phone: v("phone"), claim_code: Some(v("claim_code")).filter(|c| !c.is_empty()) };
    match server::areas::identity::cases::request_code(&web.state, client, &req).await {
        Ok(sent) => code_page(&ctx, &values, Some(ctx.lang.pick(&sent.message, &sent.message_en)), &Errors::default(), StatusCode::OK),
        Err(e @ (Failure::Invalid { .. } | Failure::BadRequest { .. } | Failure::TooManyRequests { .. })) => {
            let status = e.status();
            let mut r = register_page(&ctx, &values, &form_errors(&ctx, &e, &STEP1), status);
            copy_retry_after(&e, &mut r);
            r
        }
        Err(e) => finish(&ctx, Err(e)),
    }
}

fn copy_retry_after(e: &Failure, to: &mut Response) {
    if let Failure::TooManyRequests { retry_after, .. } = e {
        to.headers_mut().insert(axum::http::header::RETRY_AFTER, HeaderValue::from((*retry_after).max(1)));
    }
}

/// `POST /register`: step two — the code and the password; creates the account (or claims the
/// one a window opened) and signs in.
pub async fn register(State(web): State<Web>, ctx: Ctx, PageClient(client): PageClient, form: PostForm) -> Response {
    let values = step1_values(&form);
    let v = |k: &str| values.get(k).cloned().unwrap_or_default();
    let req = RegisterRequest {
        id_number: v("id_number"),
        name: v("name"),
        phone: v("phone"),
        code: form.get("code").unwrap_or_default(),
        password: form.fields.get("password").cloned().unwrap_or_default(),
        claim_code: Some(v("claim_code")).filter(|c| !c.is_empty()),
    };
    let r = async {
        let account = server::areas::identity::cases::register(&web.state, client, &req).await?;
        server::areas::identity::cases::open_session(&web.state, &account).await
    }
    .await;
    match r {
        Ok(session) => {
            let mut r = redirect("/");
            if let Ok(v) = axum::http::HeaderValue::from_str(&session.cookie(&web.state)) {
                r.headers_mut().append(SET_COOKIE, v);
            }
            r
        }
        Err(e @ (Failure::Invalid { .. } | Failure::BadRequest { .. } | Failure::TooManyRequests { .. })) => {
            let status = e.status();
            let mut r = code_page(&ctx, &values, None, &form_errors(&ctx, &e, &["code", "password"]), status);
            copy_retry_after(&e, &mut r);
            r
        }
        Err(e) => finish(&ctx, Err(e)),
    }
}

/// `POST /logout`.
pub async fn logout(State(web): State<Web>, ctx: Ctx, _form: PostForm) -> Response {
    let Some(p) = ctx.user.clone() else { return redirect("/") };
    match server::areas::identity::cases::sign_out(&web.state, &p).await {
        Ok(cookie) => {
            let mut r = redirect("/");
            if let Ok(v) = HeaderValue::from_str(&cookie) {
                r.headers_mut().append(SET_COOKIE, v);
            }
            new_pre_session(&web, &mut r);
            r
        }
        Err(e) => finish(&ctx, Err(e)),
    }
}

fn pref_cookie(web: &Web, name: &str, value: &str, back: Option<&str>) -> Response {
    let mut r = redirect(&safe_back(back));
    let secure = server::auth::cookie_secure(&web.state.config);
    if let Ok(v) = HeaderValue::from_str(&format!("{name}={value}; Path=/; SameSite=Lax; Max-Age=31536000{secure}")) {
        r.headers_mut().append(SET_COOKIE, v);
    }
    r
}

/// `GET /prefs/lang/{zh|en}?back=…`.
pub async fn set_lang(State(web): State<Web>, ctx: Ctx, Path(lang): Path<String>, Query(q): Query<NextQuery>) -> Response {
    match Lang::parse(&lang) {
        Some(l) => pref_cookie(&web, LANG_COOKIE, l.code(), q.back.as_deref()),
        None => super::hall::not_found(ctx).await,
    }
}

/// `GET /prefs/elder/{on|off}?back=…`: the large-text elder mode (适老化).
pub async fn set_elder(State(web): State<Web>, ctx: Ctx, Path(on): Path<String>, Query(q): Query<NextQuery>) -> Response {
    match on.as_str() {
        "on" => pref_cookie(&web, ELDER_COOKIE, "1", q.back.as_deref()),
        "off" => pref_cookie(&web, ELDER_COOKIE, "0", q.back.as_deref()),
        _ => super::hall::not_found(ctx).await,
    }
}

