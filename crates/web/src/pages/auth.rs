//! Signing in and out, registering with real-name checks, and the language and elder-mode
//! switches (cookies, so they hold on every page and survive a restart of the browser).

use std::collections::BTreeMap;

use axum::extract::{Path, Query, State};
use axum::http::header::{RETRY_AFTER, SET_COOKIE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::Response;
use maud::html;
use serde::Deserialize;
use server::api::{self, LoginRequest, RegisterRequest};
use server::error::ApiError;
use server::json::ApiJson;
use store::AccountKind;

use crate::Web;
use crate::ctx::{Ctx, ELDER_COOKIE, LANG_COOKIE, safe_back};
use crate::forms::PostForm;
use crate::i18n::Lang;
use crate::layout::{Errors, Input, csrf, error_summary, finish, input, page_status, redirect};

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

fn copy_cookie(from: &Response, to: &mut Response) {
    for v in from.headers().get_all(SET_COOKIE) {
        to.headers_mut().append(SET_COOKIE, v.clone());
    }
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
    match api::login(State(web.state.clone()), ctx.client, ApiJson(LoginRequest { login: login.clone(), password })).await {
        Ok(resp) => {
            let mut cookies = Response::default();
            copy_cookie(&resp, &mut cookies);
            let body = axum::body::to_bytes(resp.into_body(), 1 << 16).await.ok();
            let v: serde_json::Value = body.and_then(|b| serde_json::from_slice(&b).ok()).unwrap_or_default();
            let kind = v["account"]["kind"].as_str().unwrap_or("");
            let roles: Vec<&str> = v["account"]["roles"].as_array().map(|a| a.iter().filter_map(|r| r.as_str()).collect()).unwrap_or_default();
            let to = if next != "/" {
                next
            } else if kind == AccountKind::Staff.code() {
                if roles.contains(&"admin") { "/cockpit".to_owned() } else { "/staff".to_owned() }
            } else {
                "/".to_owned()
            };
            let mut r = redirect(&to);
            copy_cookie(&cookies, &mut r);
            new_pre_session(&web, &mut r);
            r
        }
        Err(e @ (ApiError::BadCredentials | ApiError::Forbidden { .. })) => {
            errors.push("password", crate::layout::message(ctx.lang, &e));
            login_page(&ctx, &next, &login, &errors, e.status())
        }
        Err(e @ ApiError::TooManyRequests { retry_after, .. }) => {
            errors.push("password", crate::layout::message(ctx.lang, &e));
            let mut r = login_page(&ctx, &next, &login, &errors, e.status());
            r.headers_mut().insert(RETRY_AFTER, HeaderValue::from(retry_after.max(1)));
            r
        }
        Err(e) => finish(&ctx, Err(e)),
    }
}

fn register_page(ctx: &Ctx, values: &BTreeMap<String, String>, errors: &Errors, status: StatusCode) -> Response {
    let v = |k: &str| values.get(k).cloned().unwrap_or_default();
    let body = html! {
        h1 { (ctx.t("register-title")) }
        p.lead { (ctx.t("register-lead")) }
        (error_summary(ctx, errors, &["id_number".to_owned(), "name".to_owned(), "phone".to_owned(), "password".to_owned()]))
        form.stack method="post" action="/register" novalidate {
            (csrf(ctx))
            (input(ctx, errors, &Input { name: "id_number", label: &ctx.t("register-id-number"), hint: Some(&ctx.t("hint-id-number")), value: &v("id_number"), required: true, autocomplete: Some("off"), maxlength: Some(18), ..Default::default() }))
            (input(ctx, errors, &Input { name: "name", label: &ctx.t("register-name"), value: &v("name"), required: true, autocomplete: Some("name"), ..Default::default() }))
            (input(ctx, errors, &Input { name: "phone", label: &ctx.t("register-phone"), hint: Some(&ctx.t("hint-phone")), value: &v("phone"), kind: "tel", required: true, autocomplete: Some("tel"), inputmode: Some("tel"), width: Some("w-short"), ..Default::default() }))
            (input(ctx, errors, &Input { name: "password", label: &ctx.t("register-password"), hint: Some(&ctx.t("register-password-hint")), kind: "password", required: true, autocomplete: Some("new-password"), ..Default::default() }))
            button.button type="submit" { (ctx.t("register-submit")) }
        }
    };
    page_status(ctx, status, &ctx.t("register-title"), body)
}

/// `GET /register`.
pub async fn register_form(ctx: Ctx) -> Response {
    register_page(&ctx, &BTreeMap::new(), &Errors::default(), StatusCode::OK)
}

/// `POST /register`: real-name registration (or claiming the account a window opened).
pub async fn register(State(web): State<Web>, ctx: Ctx, form: PostForm) -> Response {
    let mut values = form.fields.clone();
    values.remove("password");
    let req = RegisterRequest {
        id_number: form.get("id_number").unwrap_or_default(),
        name: form.get("name").unwrap_or_default(),
        phone: form.get("phone").unwrap_or_default(),
        password: form.fields.get("password").cloned().unwrap_or_default(),
    };
    match api::register(State(web.state.clone()), ApiJson(req)).await {
        Ok(resp) => {
            let mut r = redirect("/");
            copy_cookie(&resp, &mut r);
            r
        }
        Err(e @ (ApiError::Invalid { .. } | ApiError::Conflict { .. } | ApiError::BadRequest { .. })) => {
            let mut errors = Errors::from_api(ctx.lang, &e);
            for (f, _) in &mut errors.0 {
                if !["id_number", "name", "phone", "password"].contains(&f.as_str()) {
                    "id_number".clone_into(f);
                }
            }
            register_page(&ctx, &values, &errors, e.status())
        }
        Err(e) => finish(&ctx, Err(e)),
    }
}

/// `POST /logout`.
pub async fn logout(State(web): State<Web>, ctx: Ctx, _form: PostForm) -> Response {
    let Some(p) = ctx.user.clone() else { return redirect("/") };
    match api::logout(State(web.state.clone()), p).await {
        Ok(resp) => {
            let mut r = redirect("/");
            copy_cookie(&resp, &mut r);
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

