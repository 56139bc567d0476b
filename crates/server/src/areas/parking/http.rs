//! Parking guidance's HTTP handlers under `/api/parking` (hospitals, car parks with their live
//! state and history, the operators' feed, guidance, signs, the ParkAPI feed, the cockpit). Its
//! routes and their policy are declared here.

use axum::Json;
use axum::Router;
use axum::extract::Path;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::get;
use axum::routing::post;
use crate::auth::Principal;
use crate::failure::Fallible;
use crate::http_error::ErrorBody;
use crate::json::ApiJson;
use crate::json::ApiQuery;
use crate::policy::*;
use crate::state::AppState;
use super::cases;
use super::views::*;

/// The routes, to be nested under `/api`.
pub fn routes(_state: &AppState) -> Router<AppState> {
    Router::new()
        .route("/parking/hospitals", get(hospitals).post(save_hospital))
        .route("/parking/lots", get(lots).post(save_lot))
        .route("/parking/lots/{id}", get(lot))
        .route("/parking/lots/{id}/history", get(history))
        .route("/parking/lots/{id}/feed-key", post(issue_key))
        .route("/parking/lots/{id}/readings", post(readings))
        .route("/parking/guidance", get(guidance))
        .route("/parking/navigate", post(navigate))
        .route("/parking/signs", post(save_sign))
        .route("/parking/signs/{id}", get(sign))
        .route("/parking/parkapi/v3/parking-sites", get(parkapi))
        .route("/parking/figures", get(figures))
}

/// Hospitals with the car parks offered for each.
#[utoipa::path(get, path = "/api/parking/hospitals", tag = "parking", responses((status = 200, body = [HospitalView])))]
pub async fn hospitals(State(state): State<AppState>) -> Fallible<Json<Vec<HospitalView>>> {
    Ok(Json(cases::hospitals(&state).await?))
}

/// Registers or changes a hospital (the parking department).
#[utoipa::path(post, path = "/api/parking/hospitals", tag = "parking", request_body = HospitalBody,
    responses((status = 200, body = HospitalView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn save_hospital(State(state): State<AppState>, p: Principal, ApiJson(body): ApiJson<HospitalBody>) -> Fallible<Json<HospitalView>> {
    Ok(Json(cases::save_hospital(&state, &p, body).await?))
}

/// The query of the car parks' list.
#[derive(Debug, Clone, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LotsQuery {
    /// Only the lots offered for this hospital.
    #[serde(default)]
    pub hospital: Option<String>,
}

/// Car parks now: free bays by type from fresh readings only (a feed silent for 5 minutes makes a lot `unknown`, never free) and the 15-minute forecast.
#[utoipa::path(get, path = "/api/parking/lots", tag = "parking", params(LotsQuery),
    responses((status = 200, body = [LotView]), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn lots(State(state): State<AppState>, ApiQuery(q): ApiQuery<LotsQuery>) -> Fallible<Json<Vec<LotView>>> {
    Ok(Json(cases::lots(&state, q.hospital.as_deref()).await?))
}

/// Registers or changes a car park (the parking department).
#[utoipa::path(post, path = "/api/parking/lots", tag = "parking", request_body = LotBody,
    responses((status = 200, body = LotView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn save_lot(State(state): State<AppState>, p: Principal, ApiJson(body): ApiJson<LotBody>) -> Fallible<Json<LotView>> {
    Ok(Json(cases::save_lot(&state, &p, body).await?))
}

/// One car park now.
#[utoipa::path(get, path = "/api/parking/lots/{id}", tag = "parking", params(("id" = String, Path)),
    responses((status = 200, body = LotView), (status = 404, body = ErrorBody)))]
pub async fn lot(State(state): State<AppState>, Path(id): Path<String>) -> Fallible<Json<LotView>> {
    Ok(Json(cases::lot(&state, &id).await?))
}

/// A car park's readings over the last hours.
#[utoipa::path(get, path = "/api/parking/lots/{id}/history", tag = "parking", params(("id" = String, Path), HistoryQuery),
    responses((status = 200, body = HistoryView), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn history(State(state): State<AppState>, Path(id): Path<String>, ApiQuery(q): ApiQuery<HistoryQuery>) -> Fallible<Json<HistoryView>> {
    Ok(Json(cases::history(&state, &id, q).await?))
}

/// Issues a new feed key for a car park's operator (shown once; the old one stops working).
#[utoipa::path(post, path = "/api/parking/lots/{id}/feed-key", tag = "parking", params(("id" = String, Path)),
    responses((status = 200, body = FeedKeyView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)), security(("bearer" = [])))]
pub async fn issue_key(State(state): State<AppState>, p: Principal, Path(id): Path<String>) -> Fallible<Json<FeedKeyView>> {
    Ok(Json(cases::issue_key(&state, &p, &id).await?))
}

/// A car park's operator sends occupancy readings (oldest first) with the lot's feed key in the
/// `X-Feed-Key` header; all or nothing. MQTT: publish the same JSON on
/// `minsheng/v1/parking/{id}/occupancy` as user `parking-{id}` with the key as password.
#[utoipa::path(post, path = "/api/parking/lots/{id}/readings", tag = "parking", params(("id" = String, Path), ("X-Feed-Key" = Option<String>, Header, description = "The lot's feed key")), request_body = ReadingsBody,
    responses((status = 200, body = IngestView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn readings(State(state): State<AppState>, Path(id): Path<String>, headers: HeaderMap, ApiJson(body): ApiJson<ReadingsBody>) -> Fallible<Json<IngestView>> {
    let key = headers.get("x-feed-key").and_then(|v| v.to_str().ok());
    Ok(Json(cases::take_http(&state, &id, key, body).await?))
}

/// Where to park for a hospital (or a point): the lots with room ranked by driving time on the
/// road network plus walking time to the entrance, with the 15-minute forecast; the others after,
/// each with why.
#[utoipa::path(get, path = "/api/parking/guidance", tag = "parking", params(GuidanceQuery),
    responses((status = 200, body = GuidanceView), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn guidance(State(state): State<AppState>, ApiQuery(q): ApiQuery<GuidanceQuery>) -> Fallible<Json<GuidanceView>> {
    Ok(Json(cases::guidance(&state, q).await?))
}

/// A driver sets off to a lot from a guidance answer (a guided trip): its navigation links.
#[utoipa::path(post, path = "/api/parking/navigate", tag = "parking", request_body = NavigateBody,
    responses((status = 200, body = NavView), (status = 400, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn navigate(State(state): State<AppState>, ApiJson(body): ApiJson<NavigateBody>) -> Fallible<Json<NavView>> {
    Ok(Json(cases::navigate(&state, body).await?))
}

/// Registers or changes a guidance sign (the parking department).
#[utoipa::path(post, path = "/api/parking/signs", tag = "parking", request_body = SignBody,
    responses((status = 200, body = SignView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn save_sign(State(state): State<AppState>, p: Principal, ApiJson(body): ApiJson<SignBody>) -> Fallible<Json<SignView>> {
    Ok(Json(cases::save_sign(&state, &p, body).await?))
}

/// What a guidance sign shows now (free visitor bays, 满, — for unknown) and its QR page.
#[utoipa::path(get, path = "/api/parking/signs/{id}", tag = "parking", params(("id" = String, Path)),
    responses((status = 200, body = SignView), (status = 404, body = ErrorBody)))]
pub async fn sign(State(state): State<AppState>, Path(id): Path<String>) -> Fallible<Json<SignView>> {
    Ok(Json(cases::sign_view(&state, &id).await?))
}

/// Every car park in the ParkAPI v3 shape (`{"items": [ParkingSite…]}`), for parking apps.
#[utoipa::path(get, path = "/api/parking/parkapi/v3/parking-sites", tag = "parking",
    responses((status = 200, description = "ParkAPI v3 parking sites (static and realtime fields)", body = serde_json::Value)))]
pub async fn parkapi(State(state): State<AppState>) -> Fallible<Json<::parking::parkapi::ParkingSiteList>> {
    Ok(Json(cases::parkapi(&state).await?))
}

/// The parking cockpit of a day: occupancy by hour, searches and guided trips by hour, lots now.
#[utoipa::path(get, path = "/api/parking/figures", tag = "parking", params(ParkingFiguresQuery),
    responses((status = 200, body = ParkingFiguresView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn figures(State(state): State<AppState>, p: Principal, ApiQuery(q): ApiQuery<ParkingFiguresQuery>) -> Fallible<Json<ParkingFiguresView>> {
    Ok(Json(cases::figures(&state, &p, q).await?))
}

/// The area's part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(hospitals, save_hospital, lots, save_lot, lot, history, issue_key, readings, guidance, navigate, save_sign, sign, parkapi, figures),
    tags((name = "parking", description = "Hospital parking guidance (E1): car parks, live occupancy feeds, guidance by driving and walking time, signs, ParkAPI")),
)]
pub struct Doc;

/// The parking department and the administrator.
const PARKING_STAFF: Who = Who::PARKING.or(Who::ADMIN);

/// Who may call each route, and the data scope its use case applies.
pub const POLICY: &[Route] = &[
    api("GET", "/api/parking/hospitals", ANYONE, Scope::Public),
    api("POST", "/api/parking/hospitals", PARKING_STAFF, Scope::Department),
    api("GET", "/api/parking/lots", ANYONE, Scope::Public),
    api("POST", "/api/parking/lots", PARKING_STAFF, Scope::Department),
    api("GET", "/api/parking/lots/{id}", ANYONE, Scope::Public),
    api("GET", "/api/parking/lots/{id}/history", ANYONE, Scope::Public),
    api("POST", "/api/parking/lots/{id}/feed-key", PARKING_STAFF, Scope::Department),
    api("POST", "/api/parking/lots/{id}/readings", ANYONE, Scope::Key),
    api("GET", "/api/parking/guidance", ANYONE, Scope::Public),
    api("POST", "/api/parking/navigate", ANYONE, Scope::Public),
    api("POST", "/api/parking/signs", PARKING_STAFF, Scope::Department),
    api("GET", "/api/parking/signs/{id}", ANYONE, Scope::Public),
    api("GET", "/api/parking/parkapi/v3/parking-sites", ANYONE, Scope::Public),
    api("GET", "/api/parking/figures", Who::PARKING.or(Who::SUPERVISOR).or(Who::ADMIN), Scope::Department),
];
