//! Identity's HTTP handlers: log-in, log-out, the caller's account, registration, claim codes and
//! wards. The area's routes are registered here.

use axum::Json;
use axum::extract::State;
use axum::http::header::SET_COOKIE;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::response::Response;
use store::Account;
use crate::auth::ClientAddr;
use crate::auth::Principal;
use crate::failure::Fallible;
use crate::http_error::ErrorBody;
use crate::json::ApiJson;
use crate::state::AppState;
use crate::policy::*;
use axum::Router;
use axum::routing::get;
use axum::routing::post;
use super::cases;
use super::cases::*;
use super::views::*;
#[allow(unused_imports)]

/// The API's answer to a new session: the token in JSON, and the session cookie.
pub(crate) fn session_response(state: &AppState, session: &Session) -> Response {
    let body = LoginResponse { token: session.token.clone(), expires_at: session.expires_at, account: account_view(state, &session.account) };
    let mut resp = Json(body).into_response();
    if let Ok(v) = axum::http::HeaderValue::from_str(&session.cookie(state)) {
        resp.headers_mut().insert(SET_COOKIE, v);
    }
    resp
}

/// Opens a session for an account and answers with it (the API's registration).
pub async fn start_session(state: &AppState, account: &Account) -> Fallible<Response> {
    Ok(session_response(state, &open_session(state, account).await?))
}

/// Signs in with a password; returns a bearer token. Failed attempts are throttled per login and
/// client address, and per address (`auth::LoginGuard`): a throttled attempt answers 429
/// `login_throttled` with `Retry-After`, whatever the password.
#[utoipa::path(post, path = "/api/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = LoginResponse), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn login(State(state): State<AppState>, client: ClientAddr, ApiJson(req): ApiJson<LoginRequest>) -> Fallible<Response> {
    Ok(session_response(&state, &sign_in(&state, client, &req.login, &req.password).await?))
}

/// Ends the session.
#[utoipa::path(post, path = "/api/auth/logout", tag = "auth", responses((status = 204)), security(("bearer" = [])))]
pub async fn logout(State(state): State<AppState>, p: Principal) -> Fallible<Response> {
    let mut resp = StatusCode::NO_CONTENT.into_response();
    if let Ok(v) = axum::http::HeaderValue::from_str(&sign_out(&state, &p).await?) {
        resp.headers_mut().insert(SET_COOKIE, v);
    }
    Ok(resp)
}

/// The signed-in account.
#[utoipa::path(get, path = "/api/me", tag = "auth", responses((status = 200, body = MeView), (status = 401, body = ErrorBody)), security(("bearer" = [])))]
pub async fn me(State(state): State<AppState>, p: Principal) -> Fallible<Json<MeView>> {
    Ok(Json(cases::me(&state, &p).await?))
}

// ---------------------------------------------------------------------------------------------
// HTTP.

/// Step one of registration: asks for a code by text message. The answer is the same whether or
/// not the resident exists, the name matches, an account exists or the resident is a minor; the
/// code is sent only when they may register.
#[utoipa::path(post, path = "/api/auth/register/code", tag = "auth", request_body = CodeRequest,
    responses(
        (status = 202, body = CodeSent, description = "Always, for a well-formed request: a code was sent if the resident may register"),
        (status = 400, body = ErrorBody, description = "Not the JSON expected"),
        (status = 422, body = ErrorBody, description = "An invalid ID number, phone number or claim code (`field` names it)"),
        (status = 429, body = ErrorBody, description = "Too many requests from this address, for this ID number or this phone (`too_many_attempts`)",
            headers(("Retry-After" = u64, description = "Seconds to wait")))))]
pub async fn request_code_route(State(state): State<AppState>, client: ClientAddr, ApiJson(req): ApiJson<CodeRequest>) -> Fallible<Response> {
    let sent = request_code(&state, client, &req).await?;
    Ok((StatusCode::ACCEPTED, Json(sent)).into_response())
}

/// Step two of registration: the code from the text message and a password; creates the account
/// (or claims the one a window opened, with its claim code) and signs in.
#[utoipa::path(post, path = "/api/auth/register", tag = "auth", request_body = RegisterRequest,
    responses(
        (status = 200, body = crate::areas::identity::views::LoginResponse, description = "Registered and signed in; also sets the session cookie"),
        (status = 400, body = ErrorBody, description = "Not the JSON expected"),
        (status = 422, body = ErrorBody, description = "`weak_password`; an invalid ID number, phone, code or claim code; or `registration_failed` (field `code`) for a wrong or used code or details that do not match"),
        (status = 429, body = ErrorBody, description = "Too many attempts from this address (`too_many_attempts`)",
            headers(("Retry-After" = u64, description = "Seconds to wait")))))]
pub async fn register_route(State(state): State<AppState>, client: ClientAddr, ApiJson(req): ApiJson<RegisterRequest>) -> Fallible<Response> {
    let account = register(&state, client, &req).await?;
    crate::areas::identity::http::start_session(&state, &account).await
}

/// Window staff issue a new claim code for a resident of their division whose window-opened
/// account is still unclaimed (a lost slip); the earlier code stops working.
#[utoipa::path(post, path = "/api/accounts/claim-codes", tag = "auth", request_body = ClaimCodeRequest,
    responses(
        (status = 201, body = ClaimCodeView),
        (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody, description = "Not window staff, or the resident is outside the window's division"),
        (status = 409, body = ErrorBody, description = "No window-opened account, already claimed, or a minor"),
        (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn claim_codes_route(State(state): State<AppState>, p: Principal, ApiJson(req): ApiJson<ClaimCodeRequest>) -> Fallible<Response> {
    let view = reissue_claim_code(&state, &p.account, &req.applicant).await?;
    Ok((StatusCode::CREATED, Json(view)).into_response())
}

/// The minors the signed-in resident is guardian of, by the household register.
#[utoipa::path(get, path = "/api/me/wards", tag = "auth",
    responses((status = 200, body = Vec<WardView>), (status = 401, body = ErrorBody)), security(("bearer" = [])))]
pub async fn my_wards(State(state): State<AppState>, p: Principal) -> Fallible<Json<Vec<WardView>>> {
    Ok(Json(wards(&state, &p.account).await?))
}

/// The area's routes, under `/api`.
pub fn routes(_state: &AppState) -> Router<AppState> {
    Router::new()
        .route("/auth/login", post(login))
        .route("/auth/register/code", post(request_code_route))
        .route("/auth/register", post(register_route))
        .route("/auth/logout", post(logout))
        .route("/me", get(me))
        .route("/me/wards", get(my_wards))
        .route("/accounts/claim-codes", post(claim_codes_route))
}

/// The area's part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(login, request_code_route, register_route, logout, me, my_wards, claim_codes_route),
    tags(
        (name = "auth", description = "Sign in, real-name registration in two steps (a code by text message, then the account), claim codes of accounts opened at a window, guardians' wards, sessions"),
    )
)]
pub struct Doc;

/// Who may call each of the area's routes, and the data scope its use case applies: the area's
/// part of the policy table (`crate::policy::ROUTES`).
pub const POLICY: &[Route] = &[
    api("POST", "/api/auth/login", ANYONE, Scope::Public),
    api("POST", "/api/auth/register/code", ANYONE, Scope::Public),
    api("POST", "/api/auth/register", ANYONE, Scope::Public),
    api("POST", "/api/auth/logout", SIGNED_IN, Scope::Own),
    api("GET", "/api/me", SIGNED_IN, Scope::Own),
    api("GET", "/api/me/wards", SIGNED_IN, Scope::Own),
    api("POST", "/api/accounts/claim-codes", Who::WINDOW, Scope::Division),
];
