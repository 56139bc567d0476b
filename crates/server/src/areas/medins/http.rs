//! Medical insurance's HTTP handlers under `/api/medins`: the scheme's hospitals and their
//! applications, in-patient episodes in (JSON, or the documented CSV), monthly settlements
//! (preview, freeze, approve, read) and indicators. The area's routes are registered here.

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::Path;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::http::header::CONTENT_TYPE;
use axum::routing::get;
use axum::routing::post;
use crate::auth::Principal;
use crate::failure::Failure;
use crate::failure::Fallible;
use crate::http_error::ErrorBody;
use crate::json::ApiJson;
use crate::json::ApiQuery;
use crate::policy::*;
use crate::state::AppState;
use crate::areas::fhir::cases::FhirError;
use super::cases;
use super::csv::parse_episodes_csv;
use super::views::*;

/// The routes, to be nested under `/api`.
pub fn routes(_state: &AppState) -> Router<AppState> {
    Router::new()
        .route("/medins/hospitals", get(hospitals))
        .route("/medins/hospitals/{code}/apply", post(apply))
        .route("/medins/hospitals/{code}/decision", post(decide))
        .route("/medins/episodes", get(episodes).post(receive))
        .route("/medins/settlements", get(settlements))
        .route("/medins/settlements/{month}", get(settlement))
        .route("/medins/settlements/{month}/preview", post(preview))
        .route("/medins/settlements/{month}/freeze", post(freeze))
        .route("/medins/settlements/{month}/approve", post(approve))
        .route("/medins/indicators", get(indicators))
}

/// The hospitals of the bed-day and DRG payment scheme, with their membership.
#[utoipa::path(get, path = "/api/medins/hospitals", tag = "medins",
    responses((status = 200, body = [HospitalView]), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn hospitals(State(state): State<AppState>, p: Principal) -> Fallible<Json<Vec<HospitalView>>> {
    Ok(Json(cases::hospitals(&state, &p).await?))
}

/// A tertiary hospital applies to join the scheme (its own staff).
#[utoipa::path(post, path = "/api/medins/hospitals/{code}/apply", tag = "medins", params(("code" = String, Path, description = "Hospital code")),
    request_body = ApplyBody,
    responses((status = 200, body = HospitalView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn apply(State(state): State<AppState>, p: Principal, Path(code): Path<String>, ApiJson(body): ApiJson<ApplyBody>) -> Fallible<Json<HospitalView>> {
    Ok(Json(cases::apply(&state, &p, &code, body).await?))
}

/// The bureau approves (from a date) or refuses (with the reason) an application.
#[utoipa::path(post, path = "/api/medins/hospitals/{code}/decision", tag = "medins", params(("code" = String, Path, description = "Hospital code")),
    request_body = DecisionBody,
    responses((status = 200, body = HospitalView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn decide(State(state): State<AppState>, p: Principal, Path(code): Path<String>, ApiJson(body): ApiJson<DecisionBody>) -> Fallible<Json<HospitalView>> {
    Ok(Json(cases::decide(&state, &p, &code, body).await?))
}

/// In-patient episodes in, all or none: JSON (`{"episodes": […]}`) or the documented CSV
/// (`text/csv`, one episode per line; see docs/areas/medins.md). A hospital sends its own.
#[utoipa::path(post, path = "/api/medins/episodes", tag = "medins",
    request_body(content = EpisodesBody, description = "JSON, or text/csv with the documented columns"),
    responses((status = 200, body = ReceivedView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn receive(State(state): State<AppState>, p: Principal, headers: HeaderMap, body: Result<Bytes, axum::extract::rejection::BytesRejection>) -> Fallible<Json<ReceivedView>> {
    let body = body.map_err(|e| crate::json::body_error(&e, state.config.json_body_bytes))?;
    let ct = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let (episodes, source) = if ct.starts_with("text/csv") {
        (parse_episodes_csv(&body)?, "csv")
    } else if ct.starts_with("application/json") {
        (crate::json::parse::<EpisodesBody>(&body)?.episodes, "api")
    } else {
        return Err(Failure::UnsupportedMediaType {
            zh: "请求体须为 JSON（application/json）或 CSV（text/csv）".into(),
            en: "The body must be JSON (application/json) or CSV (text/csv)".into(),
        });
    };
    Ok(Json(cases::receive(&state, &p, source, episodes).await?))
}

/// A page of episodes, newest discharge first (a hospital: its own); patients masked, and each
/// episode shown logged in its patient's access log.
#[utoipa::path(get, path = "/api/medins/episodes", tag = "medins", params(EpisodesQuery),
    responses((status = 200, body = EpisodesView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn episodes(State(state): State<AppState>, p: Principal, ApiQuery(q): ApiQuery<EpisodesQuery>) -> Fallible<Json<EpisodesView>> {
    Ok(Json(cases::episodes(&state, &p, q).await?))
}

/// The months settled, newest first.
#[utoipa::path(get, path = "/api/medins/settlements", tag = "medins",
    responses((status = 200, body = [SettlementSummaryView]), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn settlements(State(state): State<AppState>, p: Principal) -> Fallible<Json<Vec<SettlementSummaryView>>> {
    Ok(Json(cases::settlements(&state, &p).await?))
}

/// A month's settlement (a hospital: its own payment and episodes), its lines paged.
#[utoipa::path(get, path = "/api/medins/settlements/{month}", tag = "medins", params(("month" = String, Path, description = "YYYY-MM"), LinesQuery),
    responses((status = 200, body = SettlementView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn settlement(State(state): State<AppState>, p: Principal, Path(month): Path<String>, ApiQuery(q): ApiQuery<LinesQuery>) -> Fallible<Json<SettlementView>> {
    Ok(Json(cases::settlement(&state, &p, &month, q).await?))
}

/// A month's settlement worked out now and not kept, for the budget given.
#[utoipa::path(post, path = "/api/medins/settlements/{month}/preview", tag = "medins", params(("month" = String, Path, description = "YYYY-MM"), LinesQuery),
    request_body = BudgetBody,
    responses((status = 200, body = SettlementView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn preview(State(state): State<AppState>, p: Principal, Path(month): Path<String>, ApiQuery(q): ApiQuery<LinesQuery>, ApiJson(body): ApiJson<BudgetBody>) -> Fallible<Json<SettlementView>> {
    Ok(Json(cases::preview(&state, &p, &month, body, q).await?))
}

/// Freezes a month's settlement once the month is over; the same again is no change, other data
/// or budget is refused (nothing is settled twice).
#[utoipa::path(post, path = "/api/medins/settlements/{month}/freeze", tag = "medins", params(("month" = String, Path, description = "YYYY-MM"), LinesQuery),
    request_body = BudgetBody,
    responses((status = 200, body = SettlementView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn freeze(State(state): State<AppState>, p: Principal, Path(month): Path<String>, ApiQuery(q): ApiQuery<LinesQuery>, ApiJson(body): ApiJson<BudgetBody>) -> Fallible<Json<SettlementView>> {
    Ok(Json(cases::freeze(&state, &p, &month, body, q).await?))
}

/// Approves a frozen settlement: another person than who froze it, the month's episodes unchanged.
#[utoipa::path(post, path = "/api/medins/settlements/{month}/approve", tag = "medins", params(("month" = String, Path, description = "YYYY-MM"), LinesQuery),
    request_body = ApproveBody,
    responses((status = 200, body = SettlementView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn approve(
    State(state): State<AppState>,
    p: Principal,
    Path(month): Path<String>,
    ApiQuery(q): ApiQuery<LinesQuery>,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Fallible<Json<SettlementView>> {
    let body = body.map_err(|e| crate::json::body_error(&e, state.config.json_body_bytes))?;
    if !body.is_empty() {
        crate::json::parse::<ApproveBody>(&body)?;
    }
    Ok(Json(cases::approve(&state, &p, &month, q).await?))
}

/// Cost per stay, length of stay and re-admissions per hospital and month, and before and after
/// each hospital joined.
#[utoipa::path(get, path = "/api/medins/indicators", tag = "medins",
    responses((status = 200, body = IndicatorsView), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn indicators(State(state): State<AppState>, p: Principal) -> Fallible<Json<IndicatorsView>> {
    Ok(Json(cases::indicators(&state, &p).await?))
}

/// The area's FHIR routes, to be nested under `/fhir`.
pub fn fhir_routes(_state: &AppState) -> Router<AppState> {
    Router::new().route("/Claim/$submit", post(submit_claim)).route("/ClaimResponse/{id}", get(claim_response))
}

/// `Claim/$submit`: an in-patient stay as a FHIR Claim (or a Bundle holding one); answered with
/// a ClaimResponse, `queued` for the month's settlement. Errors are OperationOutcomes naming the
/// Claim's element.
pub async fn submit_claim(
    State(state): State<AppState>,
    p: Result<Principal, Failure>,
    headers: HeaderMap,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<axum::response::Response, FhirError> {
    let p = p?;
    let body = body.map_err(|e| crate::areas::fhir::http::body_error(&state, &e))?;
    let value: serde_json::Value = crate::areas::fhir::http::parse_body(&headers, &body)?;
    let r = super::fhir::submit(&state, &p, &value).await?;
    Ok(crate::areas::fhir::http::fhir_json(axum::http::StatusCode::OK, serde_json::to_string(&r).map_err(Failure::internal)?))
}

/// A stay's ClaimResponse (`{hospital}.{episode number}`): `complete` with the payment once its
/// month is settled.
pub async fn claim_response(State(state): State<AppState>, p: Result<Principal, Failure>, Path(id): Path<String>) -> Result<axum::response::Response, FhirError> {
    let p = p?;
    let r = super::fhir::claim_response(&state, &p, &id).await?;
    Ok(crate::areas::fhir::http::fhir_json(axum::http::StatusCode::OK, serde_json::to_string(&r).map_err(Failure::internal)?))
}

/// The area's part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(hospitals, apply, decide, receive, episodes, settlements, settlement, preview, freeze, approve, indicators),
    tags((name = "medins", description = "Medical insurance: bed-day payment for long-stay chronic in-patients with DRG points (B5)")),
)]
pub struct Doc;

/// The bureau (医保) and the administrator.
const BUREAU: Who = Who::INSURANCE.or(Who::ADMIN);
/// The bureau and the hospitals.
const MEDINS: Who = BUREAU.or(Who::CLINICIAN);

/// Who may call each of the area's routes, and the data scope its use case applies: the area's
/// part of the policy table (`crate::policy::ROUTES`).
pub const POLICY: &[Route] = &[
    api("GET", "/api/medins/hospitals", MEDINS, Scope::Public),
    api("POST", "/api/medins/hospitals/{code}/apply", CLINICIAN, Scope::Own),
    api("POST", "/api/medins/hospitals/{code}/decision", BUREAU, Scope::Record),
    api("POST", "/api/medins/episodes", MEDINS, Scope::Department),
    api("GET", "/api/medins/episodes", MEDINS, Scope::Department),
    api("GET", "/api/medins/settlements", MEDINS, Scope::Public),
    api("GET", "/api/medins/settlements/{month}", MEDINS, Scope::Department),
    api("POST", "/api/medins/settlements/{month}/preview", BUREAU, Scope::Department),
    api("POST", "/api/medins/settlements/{month}/freeze", BUREAU, Scope::Department),
    api("POST", "/api/medins/settlements/{month}/approve", BUREAU, Scope::Department),
    api("GET", "/api/medins/indicators", BUREAU, Scope::Public),
];

/// The policy of the area's FHIR routes.
pub const FHIR_POLICY: &[Route] = &[
    fhir("POST", "/fhir/Claim/$submit", MEDINS, Scope::Department),
    fhir("GET", "/fhir/ClaimResponse/{id}", MEDINS, Scope::Record),
];
