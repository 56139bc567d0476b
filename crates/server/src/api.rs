//! The HTTP handlers of the JSON API under `/api`. Every handler but login, registration, health
//! and the OpenAPI document requires a session; each checks the caller's role and data scope.
//! (Registration's handlers are in `register`.)

use std::collections::BTreeMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::header::{CONTENT_TYPE, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use catalog::{LifeStage, Role};
use chrono::{DateTime, NaiveDate, Utc};
use domain::{ApplicationId, CaseId, RectificationId, ResidentId, UploadId};
use onething::{ActionRequest, Known, RatingLevel, RatingRequest, Target};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use store::{Account, AppFilter, CaseFilter, Page};
use utoipa::{IntoParams, ToSchema};

use crate::auth::{self, ClientAddr, Principal, SESSION_COOKIE};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::json::ApiJson;
use crate::service::{self, SubmitBody, can_view};
use crate::state::AppState;
use crate::views::{self, ApplicationView, AppSummaryView, CaseRowView, HistoryView, NoticeView, PlanView};

/// Query-string parameters, with errors in the API's format.
#[derive(Debug, Clone)]
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let q = parts.uri.query().unwrap_or("");
        serde_urlencoded_parse(q).map(ApiQuery)
    }
}

fn serde_urlencoded_parse<T: serde::de::DeserializeOwned>(q: &str) -> ApiResult<T> {
    // serde_urlencoded types each value by its target field: an ID number stays a string, a
    // `limit` becomes a number.
    serde_urlencoded::from_str(q).map_err(|e| ApiError::BadRequest {
        code: "invalid_query",
        zh: format!("查询参数有误：{e}"),
        en: format!("Invalid query parameters: {e}"),
        field: None,
    })
}

fn page(limit: Option<i64>, offset: Option<i64>) -> Page {
    Page::new(limit.unwrap_or(50), offset.unwrap_or(0))
}

fn app_id(s: &str) -> ApiResult<ApplicationId> {
    service::parse_id(s, "没有这个申请", "No such application")
}

// ---------------------------------------------------------------------------------------------
// Health and authentication.

#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    pub status: String,
    pub database: String,
    pub version: String,
}

/// Liveness and the database in use.
#[utoipa::path(get, path = "/healthz", tag = "system", responses((status = 200, body = Health)))]
pub async fn health(State(state): State<AppState>) -> ApiResult<Json<Health>> {
    state.store.ping().await?;
    Ok(Json(Health {
        status: "ok".into(),
        database: state.store.backend().name().into(),
        version: env!("CARGO_PKG_VERSION").into(),
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// A resident's ID number, an enterprise's credit code, or a staff username.
    pub login: String,
    pub password: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AccountView {
    pub id: String,
    pub login: String,
    pub display_name: String,
    /// citizen | enterprise | staff
    pub kind: String,
    pub roles: Vec<String>,
    pub role_names: Vec<String>,
    pub department: Option<String>,
    pub department_name: Option<String>,
    pub division: Option<String>,
}

fn account_view(state: &AppState, a: &Account) -> AccountView {
    AccountView {
        id: a.id.to_string(),
        login: views::mask_key(&a.login),
        display_name: a.display_name.clone(),
        kind: a.kind.code().into(),
        roles: a.roles.iter().map(|r| r.code().to_owned()).collect(),
        role_names: a.roles.iter().map(|r| r.name_zh().to_owned()).collect(),
        department_name: a.department.as_deref().and_then(|d| state.catalog().department(d)).map(|d| d.name.clone()),
        department: a.department.clone(),
        division: a.division.clone(),
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LoginResponse {
    /// Send as `Authorization: Bearer <token>`; the response also sets the `ms_session` cookie.
    pub token: String,
    pub expires_at: DateTime<Utc>,
    pub account: AccountView,
}

fn normalise_login(login: &str) -> String {
    let t = login.trim();
    match ResidentId::parse(t) {
        Ok(id) => id.as_str().to_owned(),
        Err(_) => domain::CreditCode::parse(t).map(|c| c.as_str().to_owned()).unwrap_or_else(|_| t.to_owned()),
    }
}

/// A new session of an account: the bearer token (given once, stored only as its hash) and when
/// it ends.
#[derive(Debug, Clone)]
pub struct Session {
    pub account: Account,
    pub token: String,
    pub expires_at: DateTime<Utc>,
}

impl Session {
    /// The `Set-Cookie` value that carries the session to a browser.
    pub fn cookie(&self, state: &AppState) -> Option<HeaderValue> {
        let cookie = format!(
            "{SESSION_COOKIE}={}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{}",
            self.token,
            state.config.session_hours * 3600,
            auth::cookie_secure(&state.config)
        );
        HeaderValue::from_str(&cookie).ok()
    }
}

/// Opens a session for an account that has just proved who it is.
pub async fn open_session(state: &AppState, account: &Account) -> ApiResult<Session> {
    let (token, hash) = auth::new_token();
    let now = state.now();
    let expires_at = now + chrono::Duration::hours(state.config.session_hours);
    state.store.create_session(&hash, account.id, now, expires_at).await?;
    Ok(Session { account: account.clone(), token, expires_at })
}

/// The API's answer to a new session: the token in JSON, and the session cookie.
fn session_response(state: &AppState, session: &Session) -> Response {
    let body = LoginResponse { token: session.token.clone(), expires_at: session.expires_at, account: account_view(state, &session.account) };
    let mut resp = Json(body).into_response();
    if let Some(v) = session.cookie(state) {
        resp.headers_mut().insert(SET_COOKIE, v);
    }
    resp
}

/// Opens a session for an account and answers with it (the API's registration).
pub async fn start_session(state: &AppState, account: &Account) -> ApiResult<Response> {
    Ok(session_response(state, &open_session(state, account).await?))
}

/// Signing in with a password (the use case behind the API's and the page's log-in). Failed
/// attempts are throttled per login and client address, and per address (`auth::LoginGuard`):
/// a throttled attempt is refused with 429 `login_throttled`, whatever the password.
pub async fn sign_in(state: &AppState, client: ClientAddr, login: &str, password: &str) -> ApiResult<Session> {
    let login = normalise_login(login);
    if login.is_empty() || login.len() > 100 || password.len() > 200 {
        return Err(ApiError::BadCredentials);
    }
    state.login_guard.check(&login, client, state.now())?;
    let found = state.store.account_for_login(&login).await?;
    let password = password.to_owned();
    let (account, ok) = match found {
        Some((account, hash)) => {
            let ok = tokio::task::spawn_blocking(move || auth::verify_password(&hash, &password))
                .await
                .map_err(ApiError::internal)?;
            (Some(account), ok)
        }
        None => {
            // Spend the same time as a real check so that logins cannot be probed by timing.
            let _ = tokio::task::spawn_blocking(move || auth::verify_password(DUMMY_HASH, &password)).await;
            (None, false)
        }
    };
    let known = account.as_ref().map(|a| a.id.0);
    let Some(account) = account.filter(|_| ok) else {
        state.login_guard.failed(&login, client, state.now());
        // Never what was typed (a mistyped ID number, a password in the wrong field): its shape.
        tracing::info!(kind = login_kind(&login), found = known.is_some(), account = known, "login failed");
        return Err(ApiError::BadCredentials);
    };
    if account.disabled {
        return Err(ApiError::forbidden("账号已停用，请联系管理员", "The account is disabled"));
    }
    state.login_guard.succeeded(&login, client);
    open_session(state, &account).await
}

/// Signs in with a password; returns a bearer token. Failed attempts are throttled per login and
/// client address, and per address (`auth::LoginGuard`): a throttled attempt answers 429
/// `login_throttled` with `Retry-After`, whatever the password.
#[utoipa::path(post, path = "/api/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = LoginResponse), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn login(State(state): State<AppState>, client: ClientAddr, ApiJson(req): ApiJson<LoginRequest>) -> ApiResult<Response> {
    Ok(session_response(&state, &sign_in(&state, client, &req.login, &req.password).await?))
}

/// What a login looks like, for the log of a failed one: `id_number` (15 or 18 characters,
/// digits but a final X, valid or not), `credit_code` (18 characters of a credit code's alphabet)
/// or `username` (anything else, such as a password typed into the wrong field).
fn login_kind(login: &str) -> &'static str {
    let b = login.as_bytes();
    let digits = |n: usize| b.get(..n).is_some_and(|d| d.iter().all(u8::is_ascii_digit));
    if (b.len() == 18 && digits(17) && matches!(b[17], b'0'..=b'9' | b'X' | b'x')) || (b.len() == 15 && digits(15)) {
        "id_number"
    } else if b.len() == 18 && b.iter().all(|c| c.is_ascii_digit() || (c.is_ascii_uppercase() && !b"IOSVZ".contains(c))) {
        "credit_code"
    } else {
        "username"
    }
}

/// A valid argon2 hash of a random password, used to equalise timing for unknown logins.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$2Ou7RZCVNVjVAdOwOeFrN8jKEJJb6JMfv3IbX1y7nzo";

/// Ends the session.
#[utoipa::path(post, path = "/api/auth/logout", tag = "auth", responses((status = 204)), security(("bearer" = [])))]
pub async fn logout(State(state): State<AppState>, p: Principal) -> ApiResult<Response> {
    let mut resp = StatusCode::NO_CONTENT.into_response();
    if let Some(v) = sign_out(&state, &p).await? {
        resp.headers_mut().insert(SET_COOKIE, v);
    }
    Ok(resp)
}

/// Ends a session (the use case behind the API's and the page's sign-out); the `Set-Cookie`
/// value that clears the browser's session cookie.
pub async fn sign_out(state: &AppState, p: &Principal) -> ApiResult<Option<HeaderValue>> {
    state.store.delete_session(&p.token_hash).await?;
    state.sessions.remove(&p.token_hash);
    let cookie = format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{}", auth::cookie_secure(&state.config));
    Ok(HeaderValue::from_str(&cookie).ok())
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MeView {
    pub account: AccountView,
    /// The resident behind a citizen account (their own data, unmasked).
    pub person: Option<serde_json::Value>,
    pub enterprise: Option<serde_json::Value>,
}

/// The signed-in account.
#[utoipa::path(get, path = "/api/me", tag = "auth", responses((status = 200, body = MeView), (status = 401, body = ErrorBody)), security(("bearer" = [])))]
pub async fn me(State(state): State<AppState>, p: Principal) -> ApiResult<Json<MeView>> {
    let person = match p.account.person_id {
        Some(id) => state.store.person(id).await?.map(|x| serde_json::to_value(x).unwrap_or_default()),
        None => None,
    };
    let enterprise = match p.account.enterprise_id {
        Some(id) => state.store.enterprise(id).await?.map(|x| serde_json::to_value(x).unwrap_or_default()),
        None => None,
    };
    Ok(Json(MeView { account: account_view(&state, &p.account), person, enterprise }))
}

// ---------------------------------------------------------------------------------------------
// Catalog.

fn bundle_brief(c: &catalog::Catalog, b: &catalog::Bundle) -> serde_json::Value {
    let d = onething::reduction::designed(b, c);
    serde_json::json!({
        "code": b.code, "name": b.name, "name_en": b.name_en, "stage": b.stage.code(),
        "subject": b.subject, "items": b.items.len(), "departments": b.departments(c).len(),
        "description": b.description, "designed": d,
    })
}

/// Life stages with their bundles (9 personal, 4 enterprise).
#[utoipa::path(get, path = "/api/catalog/stages", tag = "catalog",
    responses((status = 200, body = [Object], description = "Each stage: code, name, name_en, subject and its bundles in brief")), security(("bearer" = [])))]
pub async fn stages(State(state): State<AppState>, _p: Principal) -> Json<serde_json::Value> {
    let c = state.catalog();
    let list: Vec<serde_json::Value> = LifeStage::ALL
        .iter()
        .map(|s| {
            serde_json::json!({
                "code": s.code(), "name": s.name_zh(), "name_en": s.name_en(), "subject": s.subject(),
                "bundles": c.bundles_in_stage(*s).map(|b| bundle_brief(c, b)).collect::<Vec<_>>(),
            })
        })
        .collect();
    Json(serde_json::Value::Array(list))
}

/// One bundle: its items, departments, limits, de-duplicated materials, form and designed reductions.
#[utoipa::path(get, path = "/api/catalog/bundles/{code}", tag = "catalog", params(("code" = String, Path)),
    responses((status = 200, body = Object), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn bundle(State(state): State<AppState>, _p: Principal, Path(code): Path<String>) -> ApiResult<Json<serde_json::Value>> {
    let c = state.catalog();
    let b = c.bundle(&code).ok_or_else(|| ApiError::not_found("没有这个一件事", "No such bundle"))?;
    let items: Vec<serde_json::Value> = b
        .topo_order()
        .iter()
        .filter_map(|i| c.item(i))
        .map(|i| {
            serde_json::json!({
                "code": i.code, "name": i.name, "name_en": i.name_en, "department": i.department,
                "department_name": c.department(&i.department).map(|d| d.name.clone()),
                "legal_days": i.legal_days, "promised_days": i.promised_days, "levels": i.levels,
                "online": i.online, "visits": i.visits, "materials": i.materials, "outputs": i.outputs,
                "prerequisites": b.prerequisites_of(&i.code),
            })
        })
        .collect();
    let materials: Vec<serde_json::Value> = b
        .materials(c)
        .into_iter()
        .map(|m| {
            let mat = c.material(&m.material);
            serde_json::json!({
                "code": m.material, "name": mat.map(|x| x.name.clone()), "name_en": mat.map(|x| x.name_en.clone()),
                "needed_by": m.needed_by, "issued_in_bundle_by": m.issued_in_bundle_by,
                "satisfied_by": mat.and_then(|x| x.satisfied_by.clone()), "reusable": mat.map(|x| x.reusable),
            })
        })
        .collect();
    let fields: Vec<views::FieldView> = b.form_fields(c).iter().map(|f| views::field_view(f, None)).collect();
    let mut v = bundle_brief(c, b);
    if let serde_json::Value::Object(o) = &mut v {
        o.insert("items".into(), serde_json::Value::Array(items));
        o.insert("materials".into(), serde_json::Value::Array(materials));
        o.insert("fields".into(), serde_json::to_value(fields).unwrap_or_default());
        o.insert("on_reject".into(), serde_json::to_value(b.on_reject).unwrap_or_default());
        o.insert("departments".into(), serde_json::to_value(b.departments(c)).unwrap_or_default());
    }
    Ok(Json(v))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ItemsQuery {
    pub department: Option<String>,
}

/// Items (事项), optionally of one department.
#[utoipa::path(get, path = "/api/catalog/items", tag = "catalog", params(ItemsQuery),
    responses((status = 200, body = [Object], description = "The items as the catalog declares them")), security(("bearer" = [])))]
pub async fn items(State(state): State<AppState>, _p: Principal, ApiQuery(q): ApiQuery<ItemsQuery>) -> Json<serde_json::Value> {
    let c = state.catalog();
    let list: Vec<&catalog::Item> = match &q.department {
        Some(d) => c.items_of_department(d).collect(),
        None => c.items().collect(),
    };
    Json(serde_json::to_value(list).unwrap_or_default())
}

/// One item with its materials and workflow.
#[utoipa::path(get, path = "/api/catalog/items/{code}", tag = "catalog", params(("code" = String, Path)),
    responses((status = 200, body = Object), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn item(State(state): State<AppState>, _p: Principal, Path(code): Path<String>) -> ApiResult<Json<serde_json::Value>> {
    let c = state.catalog();
    let i = c.item(&code).ok_or_else(|| ApiError::not_found("没有这个事项", "No such item"))?;
    Ok(Json(serde_json::json!({
        "item": i,
        "department_name": c.department(&i.department).map(|d| d.name.clone()),
        "workflow": c.workflow(&i.workflow),
        "materials": i.materials.iter().filter_map(|m| c.material(m)).collect::<Vec<_>>(),
        "bundles": c.bundles_with_item(&i.code).map(|b| b.code.clone()).collect::<Vec<_>>(),
    })))
}

/// Departments.
#[utoipa::path(get, path = "/api/catalog/departments", tag = "catalog", responses((status = 200, body = [DepartmentView])), security(("bearer" = [])))]
pub async fn departments(State(state): State<AppState>, _p: Principal) -> Json<Vec<DepartmentView>> {
    let c = state.catalog();
    Json(
        c.departments()
            .map(|d| DepartmentView { code: d.code.clone(), name: d.name.clone(), name_en: d.name_en.clone(), items: c.items_of_department(&d.code).count() })
            .collect(),
    )
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DepartmentView {
    pub code: String,
    pub name: String,
    pub name_en: String,
    /// How many items (事项) it handles.
    pub items: usize,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PlanQuery {
    pub bundle: Option<String>,
    pub item: Option<String>,
    /// Window staff: the applicant's ID number or credit code.
    #[param(pattern = "^([0-9]{17}[0-9Xx]|[0-9A-HJ-NPQRTUWXYa-hj-npqrtuwxy]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXYa-hj-npqrtuwxy]{10})$")]
    pub applicant: Option<String>,
}

/// Collect once: what the applicant must still upload for a bundle or item, what is filled in
/// from shared data (with provenance) or reused from the last application, and the pre-filled form.
#[utoipa::path(get, path = "/api/plan", tag = "applications", params(PlanQuery),
    responses((status = 200, body = PlanView), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn plan(State(state): State<AppState>, p: Principal, ApiQuery(q): ApiQuery<PlanQuery>) -> ApiResult<Json<PlanView>> {
    Ok(Json(plan_view(&state, &p, q).await?))
}

/// The plan of a filing for the signed-in applicant (or, for window staff, the applicant named):
/// the use case behind `GET /api/plan` and the pages' plans.
pub async fn plan_view(state: &AppState, p: &Principal, q: PlanQuery) -> ApiResult<PlanView> {
    let target = match (q.bundle, q.item) {
        (Some(b), None) => Target::Bundle(b),
        (None, Some(i)) => Target::Item(i),
        _ => {
            return Err(ApiError::invalid("bundle_or_item", "bundle", "请指定 bundle 或 item 之一", "Give either bundle or item"));
        }
    };
    let (applicant, _) = service::applicant_for(state, &p.account, q.applicant.as_deref()).await?;
    let records = state.store.records_of(&applicant.key).await?;
    let prior = state.store.prior_application(&applicant.key, target.code()).await?;
    let today = domain::china_date(state.now());
    let c = state.catalog();
    let plan = onething::plan::plan(c, &target, Known { records: &records, prior: prior.as_ref() }, today)?;
    if plan.subject != applicant.subject {
        return Err(onething::EngineError::WrongSubject {
            target: views::target_view(c, target.kind(), target.code()).name,
            expected: store::codec::subject_code(plan.subject),
        }
        .into());
    }
    Ok(PlanView {
        target: views::target_view(c, target.kind(), target.code()),
        applicant: views::ApplicantView {
            subject: store::codec::subject_code(applicant.subject).into(),
            name: applicant.name.clone(),
            key: if p.is_staff() { applicant.key.clone() } else { views::mask_key(&applicant.key) },
        },
        items: plan.items.clone(),
        materials: plan.materials.iter().map(|m| views::planned_material_view(c, m)).collect(),
        fields: plan.fields.iter().map(|f| views::field_view(&f.field, f.prefilled.clone())).collect(),
        prior: plan.prior.map(|x| x.to_string()),
        item_by_item_materials: plan.item_by_item_materials(c),
        to_upload: plan.to_upload().count(),
    })
}

// ---------------------------------------------------------------------------------------------
// Uploads.

#[derive(Debug, Serialize, ToSchema)]
pub struct UploadView {
    pub id: String,
    pub sha256: String,
    pub size: i64,
    pub content_type: String,
    pub file_name: String,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct UploadQuery {
    /// The file's name as the applicant knows it.
    pub name: Option<String>,
}

/// A file's raw bytes, as the body of an upload (for the document only: the handler reads `Bytes`).
#[derive(Debug, ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct FileBytes(pub Vec<u8>);

const ALLOWED_TYPES: &[&str] = &["application/pdf", "image/jpeg", "image/png", "image/webp", "application/ofd", "text/plain"];

/// Whether a file's first bytes are those of the type it was declared as (its signature): a
/// declared type is never trusted on its own, since the file is later served to staff as that type.
pub fn content_matches(content_type: &str, bytes: &[u8]) -> bool {
    match content_type {
        "application/pdf" => bytes.starts_with(b"%PDF-"),
        "image/jpeg" => bytes.starts_with(&[0xFF, 0xD8, 0xFF]),
        "image/png" => bytes.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]),
        "image/webp" => bytes.len() >= 12 && bytes.starts_with(b"RIFF") && &bytes[8..12] == b"WEBP",
        // OFD (GB/T 33190) is a ZIP container.
        "application/ofd" => bytes.starts_with(b"PK\x03\x04"),
        "text/plain" => std::str::from_utf8(bytes).is_ok_and(|t| !t.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))),
        _ => false,
    }
}

fn type_name_zh(content_type: &str) -> &'static str {
    match content_type {
        "application/pdf" => "PDF",
        "image/jpeg" => "JPG",
        "image/png" => "PNG",
        "image/webp" => "WEBP",
        "application/ofd" => "OFD",
        _ => "文本",
    }
}

/// Uploads one material file (the raw bytes as the body). Returns the id to cite in a filing.
#[utoipa::path(post, path = "/api/uploads", tag = "applications", params(UploadQuery),
    request_body(description = "The file's raw bytes, of the type its Content-Type declares (checked against its content)",
        content((FileBytes = "application/pdf"), (FileBytes = "image/jpeg"), (FileBytes = "image/png"), (FileBytes = "image/webp"),
            (FileBytes = "application/ofd"), (FileBytes = "text/plain"))),
    responses((status = 201, body = UploadView), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn upload(
    State(state): State<AppState>,
    p: Principal,
    ApiQuery(q): ApiQuery<UploadQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    let content_type = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let view = store_upload(&state, &p.account, q.name, content_type, body).await?;
    Ok((StatusCode::CREATED, Json(view)).into_response())
}

/// Stores one material file of an account (its type checked against its content; written to
/// disk durably before it is recorded): the use case behind `POST /api/uploads` and the pages'
/// file fields.
pub async fn store_upload(state: &AppState, account: &Account, name: Option<String>, content_type: &str, body: Bytes) -> ApiResult<UploadView> {
    let content_type = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    if !ALLOWED_TYPES.contains(&content_type.as_str()) {
        return Err(ApiError::invalid(
            "unsupported_file_type",
            "Content-Type",
            format!("只接受 PDF、JPG、PNG、WEBP、OFD 或 TXT 文件（收到 {content_type:?}）"),
            format!("Only PDF, JPEG, PNG, WEBP, OFD or text files are accepted (got {content_type:?})"),
        ));
    }
    if body.is_empty() {
        return Err(ApiError::invalid("empty_file", "body", "文件是空的", "The file is empty"));
    }
    if !content_matches(&content_type, &body) {
        return Err(ApiError::invalid(
            "file_content_mismatch",
            "body",
            format!("文件内容不是声明的 {} 格式，请上传真实的 {} 文件", type_name_zh(&content_type), type_name_zh(&content_type)),
            format!("The file's content is not {content_type}; upload a real file of that type"),
        ));
    }
    let name = name.unwrap_or_else(|| "材料".into());
    if name.chars().count() > 200 || name.contains(['/', '\\', '\0']) {
        return Err(ApiError::invalid("invalid_file_name", "name", "文件名过长或含有非法字符", "Bad file name"));
    }
    let sha = hex::encode(Sha256::digest(&body));
    let dir = state.upload_dir.join(&sha[..2]);
    let path = dir.join(&sha);
    let bytes = body.clone();
    tokio::task::spawn_blocking(move || -> std::io::Result<()> {
        if path.exists() {
            return Ok(());
        }
        std::fs::create_dir_all(&dir)?;
        let tmp = dir.join(format!(".{}.tmp", rand_suffix()));
        {
            use std::io::Write;
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(&bytes)?;
            f.sync_all()?;
        }
        std::fs::rename(&tmp, &path)?;
        std::fs::File::open(&dir)?.sync_all()
    })
    .await
    .map_err(ApiError::internal)?
    .map_err(ApiError::internal)?;
    let u = store::Upload {
        id: UploadId(state.parts.ids.next()),
        account: account.id,
        sha256: sha.clone(),
        size: i64::try_from(body.len()).unwrap_or(i64::MAX),
        content_type: content_type.clone(),
        file_name: name.clone(),
        created_at: state.now(),
    };
    state.store.insert_upload(&u).await?;
    Ok(UploadView { id: u.id.to_string(), sha256: sha, size: u.size, content_type, file_name: name })
}

/// The route of `upload`: a body over the upload limit becomes the API's JSON 413.
pub async fn upload_route(
    state: State<AppState>,
    p: Principal,
    q: ApiQuery<UploadQuery>,
    headers: HeaderMap,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> ApiResult<Response> {
    let body = body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::TooLarge { limit: state.config.upload_bytes }
        } else {
            ApiError::BadRequest {
                code: "unreadable_body",
                zh: "无法读取上传的文件".to_owned(),
                en: format!("Could not read the upload: {e}"),
                field: None,
            }
        }
    })?;
    upload(state, p, q, headers, body).await
}

fn rand_suffix() -> String {
    use rand::RngCore;
    format!("{:016x}", rand::rng().next_u64())
}

// ---------------------------------------------------------------------------------------------
// Applications.

/// Whether the client asked for `Prefer: return=minimal`.
fn wants_minimal(headers: &HeaderMap) -> bool {
    headers
        .get_all("prefer")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.split(',').any(|p| p.trim().eq_ignore_ascii_case("return=minimal")))
}

/// The application as the viewer sees it, or its brief form when the client prefers.
/// Staff shown the whole application are logged in the applicant's access log first.
async fn app_response(state: &AppState, viewer: &Account, app: &onething::Application, minimal: bool, status: StatusCode) -> ApiResult<Response> {
    if minimal {
        let mut resp = (status, Json(views::application_brief(app))).into_response();
        resp.headers_mut().insert("preference-applied", HeaderValue::from_static("return=minimal"));
        Ok(resp)
    } else {
        crate::pool_api::log_application_read(state, viewer, app).await?;
        Ok((status, Json(views::application_view(state, viewer, app))).into_response())
    }
}

/// Files an application for a bundle (一件事) or a single item. Send an `Idempotency-Key` header:
/// a retried request with the same key returns the first application instead of filing again.
#[utoipa::path(post, path = "/api/applications", tag = "applications", request_body = SubmitBody,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe"),
        ("Prefer" = Option<String>, Header, description = "return=minimal answers with an ApplicationBrief")),
    responses((status = 201, body = ApplicationView), (status = 200, body = ApplicationView, description = "A replay of an earlier request with the same Idempotency-Key"),
        (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn submit(State(state): State<AppState>, p: Principal, headers: HeaderMap, ApiJson(body): ApiJson<SubmitBody>) -> ApiResult<Response> {
    let key = headers.get("idempotency-key").map(|v| v.to_str().map(str::to_owned)).transpose().map_err(|_| {
        ApiError::invalid("invalid_idempotency_key", "Idempotency-Key", "Idempotency-Key 含有非法字符", "Bad Idempotency-Key")
    })?;
    let filed = service::submit(&state, &p.account, body, key).await?;
    let minimal = wants_minimal(&headers);
    if filed.replayed {
        let mut resp = app_response(&state, &p.account, &filed.application, minimal, StatusCode::OK).await?;
        resp.headers_mut().insert("idempotent-replayed", HeaderValue::from_static("true"));
        Ok(resp)
    } else if let Some(claim) = filed.claim_code {
        // Window intake that found the resident's account unclaimed: the claim code to hand over.
        if minimal {
            let brief = views::ApplicationBrief { claim_code: Some(claim), ..views::application_brief(&filed.application) };
            let mut resp = (StatusCode::CREATED, Json(brief)).into_response();
            resp.headers_mut().insert("preference-applied", HeaderValue::from_static("return=minimal"));
            Ok(resp)
        } else {
            let view = ApplicationView { claim_code: Some(claim), ..views::application_view(&state, &p.account, &filed.application) };
            Ok((StatusCode::CREATED, Json(view)).into_response())
        }
    } else {
        app_response(&state, &p.account, &filed.application, minimal, StatusCode::CREATED).await
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    pub status: Option<String>,
    pub target: Option<String>,
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

/// Applications the caller may see: their own; their department's; their window's; all (admin).
#[utoipa::path(get, path = "/api/applications", tag = "applications", params(ListQuery),
    responses((status = 200, body = Vec<AppSummaryView>), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn list_applications(State(state): State<AppState>, p: Principal, ApiQuery(q): ApiQuery<ListQuery>) -> ApiResult<Json<Vec<AppSummaryView>>> {
    if let Some(s) = q.status.as_deref().filter(|s| !s.is_empty())
        && onething::AppStatus::parse(s).is_none()
    {
        return Err(ApiError::invalid("invalid_status", "status", "申请状态取值有误", "Unknown application status"));
    }
    let mut f = AppFilter { status: q.status, target: q.target, ..Default::default() };
    let own = !p.is_staff();
    if own {
        f.applicant_account = Some(p.id());
    } else if !p.is_admin() {
        match p.department() {
            Some(d) => f.department = Some(d.to_owned()),
            None if p.has(Role::Window) => {}
            None => return Err(ApiError::forbidden("无权查看申请列表", "You may not list applications")),
        }
        f.division = p.account.division.clone();
    }
    let rows = state.store.applications(&f, page(q.limit, q.offset)).await?;
    Ok(Json(rows.iter().map(|s| views::summary_view(state.catalog(), s, own)).collect()))
}

async fn load_visible(state: &AppState, p: &Principal, id: &str) -> ApiResult<onething::Application> {
    let id = app_id(id)?;
    match state.store.application(id).await? {
        Some(app) if can_view(&p.account, &app) => Ok(app),
        _ => Err(ApiError::not_found("没有这个申请，或您无权查看", "No such application, or you may not see it")),
    }
}

/// One application with its cases, materials (with provenance), deadlines, ratings and the
/// actions the caller may take.
#[utoipa::path(get, path = "/api/applications/{id}", tag = "applications", params(("id" = String, Path)),
    responses((status = 200, body = ApplicationView), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn get_application(State(state): State<AppState>, p: Principal, Path(id): Path<String>) -> ApiResult<Json<ApplicationView>> {
    let app = load_visible(&state, &p, &id).await?;
    crate::pool_api::log_application_read(&state, &p.account, &app).await?;
    Ok(Json(views::application_view(&state, &p.account, &app)))
}

/// The hash-chained history of an application.
#[utoipa::path(get, path = "/api/applications/{id}/history", tag = "applications", params(("id" = String, Path)),
    responses((status = 200, body = Vec<HistoryView>), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn history(State(state): State<AppState>, p: Principal, Path(id): Path<String>) -> ApiResult<Json<Vec<HistoryView>>> {
    let app = load_visible(&state, &p, &id).await?;
    let entries = state.store.history(app.id).await?;
    Ok(Json(entries.iter().map(views::history_view).collect()))
}

/// The notices written for an application.
#[utoipa::path(get, path = "/api/applications/{id}/notices", tag = "applications", params(("id" = String, Path)),
    responses((status = 200, body = Vec<NoticeView>), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn application_notices(State(state): State<AppState>, p: Principal, Path(id): Path<String>) -> ApiResult<Json<Vec<NoticeView>>> {
    let app = load_visible(&state, &p, &id).await?;
    let list = state.store.notices_of_application(app.id).await?;
    let mine = format!("account:{}", p.id());
    let shown: Vec<NoticeView> = list
        .iter()
        .filter(|n| p.is_staff() || n.recipient == mine)
        .map(views::notice_view)
        .collect();
    Ok(Json(shown))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionBody {
    /// The action code, e.g. `accept`, `approve`, `request_supplement`, `supplement`, `reject`.
    pub action: String,
    /// Opinion or reason (required for rejections and supplement requests).
    pub comment: Option<String>,
    /// Supplementary uploads by material code (for the `supplement` action).
    #[serde(default)]
    pub materials: BTreeMap<String, String>,
}

/// Takes a workflow action on one case of an application.
#[utoipa::path(post, path = "/api/applications/{id}/cases/{case}/actions", tag = "applications",
    params(("id" = String, Path), ("case" = String, Path),
        ("Prefer" = Option<String>, Header, description = "return=minimal answers with an ApplicationBrief")),
    request_body = ActionBody,
    responses((status = 200, body = ApplicationView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn act(
    State(state): State<AppState>,
    p: Principal,
    Path((id, case)): Path<(String, String)>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<ActionBody>,
) -> ApiResult<Response> {
    let id = app_id(&id)?;
    let case: CaseId = service::parse_id(&case, "本申请中没有这个办件", "No such case")?;
    if body.action.len() > 64 {
        return Err(ApiError::invalid("unknown_action", "action", "没有这个操作", "No such action"));
    }
    let uploads = service::parse_uploads(&body.materials, "materials")?;
    service::check_uploads(&state, &uploads, p.id(), "materials").await?;
    let req = ActionRequest { case, action: body.action.trim().to_owned(), comment: body.comment, uploads };
    let app = service::act(&state, &p.account, id, req).await?;
    app_response(&state, &p.account, &app, wants_minimal(&headers), StatusCode::OK).await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WithdrawBody {
    pub reason: Option<String>,
}

/// The applicant withdraws an unfinished application.
#[utoipa::path(post, path = "/api/applications/{id}/withdraw", tag = "applications", params(("id" = String, Path)),
    request_body = WithdrawBody, responses((status = 200, body = ApplicationView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn withdraw(State(state): State<AppState>, p: Principal, Path(id): Path<String>, ApiJson(body): ApiJson<WithdrawBody>) -> ApiResult<Json<ApplicationView>> {
    let app = service::withdraw(&state, &p.account, app_id(&id)?, body.reason).await?;
    Ok(Json(views::application_view(&state, &p.account, &app)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RatingBody {
    /// very_satisfied 非常满意 | satisfied 满意 | basic 基本满意 | dissatisfied 不满意 | very_dissatisfied 非常不满意
    /// (or the score, 5 to 1)
    #[schema(schema_with = crate::openapi::rating_levels)]
    pub level: String,
    pub comment: Option<String>,
    /// For a bad rating: the departments it is about (default: all that handled it).
    #[serde(default)]
    pub departments: Vec<String>,
}

/// Rates a finished application (好差评); a bad rating opens a rectification.
#[utoipa::path(post, path = "/api/applications/{id}/rating", tag = "ratings", params(("id" = String, Path)),
    request_body = RatingBody, responses((status = 200, body = ApplicationView), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn rate(State(state): State<AppState>, p: Principal, Path(id): Path<String>, ApiJson(body): ApiJson<RatingBody>) -> ApiResult<Json<ApplicationView>> {
    let level = RatingLevel::parse(body.level.trim())
        .or_else(|| body.level.trim().parse::<i64>().ok().and_then(RatingLevel::from_score))
        .ok_or_else(|| {
            ApiError::invalid(
                "invalid_rating",
                "level",
                "评价等级应为：非常满意(very_satisfied)、满意(satisfied)、基本满意(basic)、不满意(dissatisfied)、非常不满意(very_dissatisfied)",
                "level must be very_satisfied, satisfied, basic, dissatisfied or very_dissatisfied (or 5..1)",
            )
        })?;
    let req = RatingRequest { level, comment: body.comment, departments: body.departments };
    let app = service::rate(&state, &p.account, app_id(&id)?, req).await?;
    Ok(Json(views::application_view(&state, &p.account, &app)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RectificationBody {
    /// What was found and put right (整改情况).
    pub response: String,
}

/// The department supervisor answers a rectification opened by a bad rating.
#[utoipa::path(post, path = "/api/rectifications/{id}/response", tag = "ratings", params(("id" = String, Path)),
    request_body = RectificationBody, responses((status = 200, body = ApplicationView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn respond(State(state): State<AppState>, p: Principal, Path(id): Path<String>, ApiJson(body): ApiJson<RectificationBody>) -> ApiResult<Json<ApplicationView>> {
    let rid: RectificationId = service::parse_id(&id, "没有这个整改单", "No such rectification")?;
    let app = service::respond_rectification(&state, &p.account, rid, body.response).await?;
    Ok(Json(views::application_view(&state, &p.account, &app)))
}

// ---------------------------------------------------------------------------------------------
// Staff queues and supervision.

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CaseQuery {
    /// waiting | active | paused | approved | rejected | cancelled (default: the open ones)
    pub status: Option<String>,
    pub overdue: Option<bool>,
    /// Only cases due within this many working days.
    pub due_within: Option<i64>,
    /// Admins: one department.
    pub department: Option<String>,
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

fn staff_department(p: &Principal, asked: Option<String>) -> ApiResult<Option<String>> {
    if !p.is_staff() {
        return Err(ApiError::forbidden("只有工作人员可以查看办件队列", "Only staff see case queues"));
    }
    if p.is_admin() {
        return Ok(asked);
    }
    match (p.department(), asked) {
        (Some(mine), Some(a)) if a != mine => Err(ApiError::forbidden("只能查看本部门的办件", "You can only see your department's cases")),
        (Some(mine), _) => Ok(Some(mine.to_owned())),
        (None, _) => Err(ApiError::forbidden("您的账号不属于任何部门", "Your account belongs to no department")),
    }
}

/// The department's case queue, most urgent first (overdue, then by promised deadline).
#[utoipa::path(get, path = "/api/cases", tag = "staff", params(CaseQuery),
    responses((status = 200, body = Vec<CaseRowView>), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn cases(State(state): State<AppState>, p: Principal, ApiQuery(q): ApiQuery<CaseQuery>) -> ApiResult<Json<Vec<CaseRowView>>> {
    let department = staff_department(&p, q.department)?;
    let today = domain::china_date(state.now());
    let due_by = q.due_within.map(|n| state.calendar().add_working_days(today, u32::try_from(n.clamp(0, 365)).unwrap_or(0)));
    if let Some(s) = &q.status
        && onething::CaseStatus::parse(s).is_none()
    {
        return Err(ApiError::invalid("invalid_status", "status", "办件状态取值有误", "Unknown case status"));
    }
    let f = CaseFilter {
        department,
        division: p.account.division.clone(),
        statuses: q.status.into_iter().collect(),
        overdue_only: q.overdue.unwrap_or(false),
        due_by,
    };
    let rows = state.store.case_queue(&f, page(q.limit, q.offset)).await?;
    Ok(Json(rows.iter().map(|r| views::case_row_view(&state, r)).collect()))
}

/// Overdue cases escalated to the supervisor (督办).
#[utoipa::path(get, path = "/api/supervision/overdue", tag = "staff", params(CaseQuery),
    responses((status = 200, body = Vec<CaseRowView>), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn overdue(State(state): State<AppState>, p: Principal, ApiQuery(q): ApiQuery<CaseQuery>) -> ApiResult<Json<Vec<CaseRowView>>> {
    p.require_any(&[Role::Supervisor, Role::Admin])?;
    let department = staff_department(&p, q.department)?;
    let f = CaseFilter {
        department,
        division: p.account.division.clone(),
        statuses: vec![],
        overdue_only: true,
        due_by: None,
    };
    let rows = state.store.case_queue(&f, page(q.limit, q.offset)).await?;
    Ok(Json(rows.iter().map(|r| views::case_row_view(&state, r)).collect()))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct RectQuery {
    /// open | responded | closed
    pub status: Option<String>,
    pub department: Option<String>,
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RectificationRowView {
    pub id: String,
    pub application: String,
    pub department: String,
    pub department_name: String,
    pub status: String,
    pub status_name: String,
    pub opened_at: DateTime<Utc>,
    pub due_on: NaiveDate,
    pub overdue: bool,
    pub response: Option<String>,
    pub target: views::TargetView,
    pub applicant_name: String,
    pub rating: Option<i64>,
}

/// Rectifications opened by bad ratings, for the department's supervisor.
#[utoipa::path(get, path = "/api/rectifications", tag = "ratings", params(RectQuery),
    responses((status = 200, body = Vec<RectificationRowView>), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn rectifications(State(state): State<AppState>, p: Principal, ApiQuery(q): ApiQuery<RectQuery>) -> ApiResult<Json<Vec<RectificationRowView>>> {
    p.require_any(&[Role::Supervisor, Role::Admin])?;
    let department = staff_department(&p, q.department)?;
    let rows = state.store.rectifications(department.as_deref(), q.status.as_deref(), page(q.limit, q.offset)).await?;
    let c = state.catalog();
    Ok(Json(
        rows.iter()
            .map(|r| RectificationRowView {
                id: r.id.to_string(),
                application: r.application.to_string(),
                department_name: c.department(&r.department).map(|d| d.name.clone()).unwrap_or_default(),
                department: r.department.clone(),
                status_name: onething::RectificationStatus::parse(&r.status).map(|s| s.name_zh().to_owned()).unwrap_or_default(),
                status: r.status.clone(),
                opened_at: r.opened_at,
                due_on: r.due_on,
                overdue: r.overdue,
                response: r.response.clone(),
                target: views::target_view(c, "bundle", &r.target_code),
                applicant_name: domain::mask::name(&r.applicant_name),
                rating: r.first_rating,
            })
            .collect(),
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct NoticeQuery {
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

/// The caller's notices: their own, and for staff those to their department role or the district.
#[utoipa::path(get, path = "/api/notices", tag = "notices", params(NoticeQuery),
    responses((status = 200, body = Vec<NoticeView>)), security(("bearer" = [])))]
pub async fn notices(State(state): State<AppState>, p: Principal, ApiQuery(q): ApiQuery<NoticeQuery>) -> ApiResult<Json<Vec<NoticeView>>> {
    let list = state.store.notices_for(&service::notice_recipients(&p), page(q.limit, q.offset)).await?;
    Ok(Json(list.iter().map(views::notice_view).collect()))
}

// ---------------------------------------------------------------------------------------------
// Reports.

#[derive(Debug, Serialize, ToSchema)]
pub struct ReductionLine {
    pub bundle: String,
    pub name: String,
    pub name_en: String,
    /// Completed applications measured.
    pub applications: i64,
    /// Σ item by item over those applications.
    pub baseline: serde_json::Value,
    /// Σ what the applicants actually did.
    pub actual: serde_json::Value,
    /// 1 − actual ÷ baseline for materials, trips and days (0.8 = −80%).
    pub reduction: serde_json::Value,
    /// The same as designed in the catalog, for one application.
    pub designed: serde_json::Value,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReductionReport {
    pub total: ReductionLine,
    pub bundles: Vec<ReductionLine>,
    pub formula: String,
}

pub const REDUCTION_FORMULA: &str = "reduction = 1 − Σ actual ÷ Σ item-by-item, over completed bundle applications; \
item-by-item: materials = Σ materials of each item, trips = Σ in-person visits of each item, days = Σ promised working days; \
actual: materials uploaded by the applicant, trips = 1 for window filing (0 online) + supplements handed in at a window, \
days = working days from filing to completion";

/// Measured reductions (减材料、减跑动、减时间) per bundle and in total.
pub async fn reduction_report(state: &AppState) -> ApiResult<ReductionReport> {
    let c = state.catalog();
    let sums = state.store.reduction_sums().await?;
    let mut total_b = onething::reduction::Figures::default();
    let mut total_a = onething::reduction::Figures::default();
    let mut total_n = 0;
    let mut lines = Vec::new();
    for b in c.bundles() {
        let s = sums.iter().find(|s| s.bundle == b.code);
        let (n, base, act) = s.map(|s| (s.applications, s.baseline, s.actual)).unwrap_or_default();
        total_b.add(base);
        total_a.add(act);
        total_n += n;
        lines.push(ReductionLine {
            bundle: b.code.clone(),
            name: b.name.clone(),
            name_en: b.name_en.clone(),
            applications: n,
            baseline: serde_json::to_value(base).unwrap_or_default(),
            actual: serde_json::to_value(act).unwrap_or_default(),
            reduction: serde_json::to_value(onething::reduction::Percentages::of(base, act)).unwrap_or_default(),
            designed: serde_json::to_value(onething::reduction::designed(b, c)).unwrap_or_default(),
        });
    }
    Ok(ReductionReport {
        total: ReductionLine {
            bundle: "*".into(),
            name: "全部一件事".into(),
            name_en: "All bundles".into(),
            applications: total_n,
            baseline: serde_json::to_value(total_b).unwrap_or_default(),
            actual: serde_json::to_value(total_a).unwrap_or_default(),
            reduction: serde_json::to_value(onething::reduction::Percentages::of(total_b, total_a)).unwrap_or_default(),
            designed: serde_json::Value::Null,
        },
        bundles: lines,
        formula: REDUCTION_FORMULA.into(),
    })
}

/// Reductions of trips, materials and days against applying item by item, per bundle and in total.
#[utoipa::path(get, path = "/api/reports/reductions", tag = "reports",
    responses((status = 200, body = ReductionReport), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn reductions(State(state): State<AppState>, p: Principal) -> ApiResult<Json<ReductionReport>> {
    if !p.is_staff() {
        return Err(ApiError::forbidden("统计报表仅向工作人员开放", "Reports are for staff"));
    }
    Ok(Json(reduction_report(&state).await?))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Overview {
    pub applications_by_status: BTreeMap<String, i64>,
    pub notices: serde_json::Value,
    pub satisfaction: serde_json::Value,
}

/// Applications by status, the notice outbox and satisfaction per department.
#[utoipa::path(get, path = "/api/reports/overview", tag = "reports",
    responses((status = 200, body = Overview), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn overview(State(state): State<AppState>, p: Principal) -> ApiResult<Json<Overview>> {
    p.require_any(&[Role::Supervisor, Role::Admin])?;
    Ok(Json(Overview {
        applications_by_status: state.store.applications_by_status().await?,
        notices: serde_json::to_value(state.store.outbox_counts().await?).unwrap_or_default(),
        satisfaction: serde_json::to_value(state.store.satisfaction_by_department().await?).unwrap_or_default(),
    }))
}

/// JSON 405 for a known path asked with the wrong method.
pub async fn method_not_allowed(method: axum::http::Method) -> Response {
    let body = ErrorBody {
        code: "method_not_allowed".into(),
        message: format!("此接口不支持 {method} 方法"),
        message_en: format!("This endpoint does not accept {method}"),
        field: None,
    };
    (StatusCode::METHOD_NOT_ALLOWED, Json(body)).into_response()
}

/// JSON 404 for unknown paths.
pub async fn fallback() -> ApiError {
    ApiError::not_found("没有这个接口", "No such endpoint")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_files_content_must_be_of_its_declared_type() {
        assert!(content_matches("application/pdf", b"%PDF-1.7\n..."));
        assert!(!content_matches("application/pdf", b"<html><script>alert(1)</script>"));
        assert!(content_matches("image/png", &[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0]));
        assert!(!content_matches("image/png", b"%PDF-1.7"));
        assert!(content_matches("image/jpeg", &[0xFF, 0xD8, 0xFF, 0xE0]));
        assert!(content_matches("image/webp", b"RIFF\x10\x00\x00\x00WEBPVP8 "));
        assert!(!content_matches("image/webp", b"RIFF\x10\x00\x00\x00WAVEfmt "));
        assert!(content_matches("application/ofd", b"PK\x03\x04\x14\x00"));
        assert!(content_matches("text/plain", "情况说明\r\n第二行\t完".as_bytes()));
        assert!(!content_matches("text/plain", b"MZ\x90\x00\x03"), "binary is not text");
        assert!(!content_matches("text/plain", &[0xff, 0xfe, 0x00]));
        assert!(!content_matches("application/x-msdownload", b"MZ"));
    }

    #[test]
    fn a_failed_login_is_logged_by_its_shape() {
        for (login, kind) in [
            ("330183199001011232", "id_number"),
            ("330183199001011231", "id_number"),
            ("33018319900101123x", "id_number"),
            ("330183900101123", "id_number"),
            ("91330000742906207U", "credit_code"),
            ("admin", "username"),
            ("wjw_clerk", "username"),
            ("Wo3Ai4Ni5Beijing!", "username"),
            ("3301831990010112\n2", "username"),
        ] {
            assert_eq!(login_kind(login), kind, "{login:?}");
        }
    }
}
