//! The 15-minute circles' HTTP handlers under `/api/circles`: start, status, latest, areas as
//! JSON, GeoJSON and CSV, the SVG map and the service network. The area's routes are registered
//! here.

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::Path as UrlPath;
use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::http::header::LOCATION;
use axum::http::HeaderValue;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::response::Response;
use axum::routing::get;
use axum::routing::post;
use crate::json::ApiQuery;
use crate::auth::Principal;
use crate::failure::Failure;
use crate::failure::Fallible;
use crate::http_error::ErrorBody;
use crate::state::AppState;
use crate::policy::*;
use super::cases;
use super::cases::*;
use super::views::*;

/// The routes, to be nested under `/api`.
pub fn routes(_state: &AppState) -> Router<AppState> {
    Router::new()
        .route("/circles/analyses", post(start))
        .route("/circles/latest", get(latest))
        .route("/circles/analyses/{id}", get(status))
        .route("/circles/analyses/{id}/areas", get(areas))
        .route("/circles/analyses/{id}/areas.geojson", get(areas_geojson))
        .route("/circles/analyses/{id}/facilities.geojson", get(facilities_geojson))
        .route("/circles/analyses/{id}/areas.csv", get(areas_csv))
        .route("/circles/analyses/{id}/map.svg", get(map_svg))
        .route("/circles/analyses/{id}/service-network", get(service_network))
}

/// Starts an analysis of the district's configured data in the background (one at a time).
#[utoipa::path(post, path = "/api/circles/analyses", tag = "circles", request_body(content = Option<StartRequest>),
    responses((status = 202, body = StartedView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn start(State(state): State<AppState>, p: Principal, body: Result<Bytes, axum::extract::rejection::BytesRejection>) -> Fallible<Response> {
    staff(&p)?;
    let body = body.map_err(|e| crate::json::body_error(&e, state.config.json_body_bytes))?;
    // No body, `null` and `{}` all mean "as configured" (white space alone is not JSON).
    let req: StartRequest = if body.is_empty() {
        StartRequest::default()
    } else {
        crate::json::parse::<Option<StartRequest>>(&body)?.unwrap_or_default()
    };
    let started = cases::start(&state, &p, req).await?;
    let location = HeaderValue::from_str(&started.links.this).map_err(Failure::internal)?;
    Ok((StatusCode::ACCEPTED, [(LOCATION, location)], Json(started)).into_response())
}

pub(crate) fn typed(content_type: &'static str, body: impl Into<axum::body::Body>) -> Response {
    ([(CONTENT_TYPE, HeaderValue::from_static(content_type))], body.into()).into_response()
}

/// An analysis: status, progress (stage, done/total) and, when done, its summary.
#[utoipa::path(get, path = "/api/circles/analyses/{id}", tag = "circles", params(("id" = String, Path, description = "Analysis id")),
    responses((status = 200, body = AnalysisView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn status(State(state): State<AppState>, p: Principal, UrlPath(id): UrlPath<String>) -> Fallible<Json<AnalysisView>> {
    Ok(Json(cases::status(&state, &p, id).await?))
}

/// The newest finished analysis (after a restart: the one saved under the data directory).
#[utoipa::path(get, path = "/api/circles/latest", tag = "circles",
    responses((status = 200, body = AnalysisView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn latest(State(state): State<AppState>, p: Principal) -> Fallible<Json<AnalysisView>> {
    staff(&p)?;
    latest_view(&state).map(Json)
}

/// The areas with every indicator per category (coverage within 5/10/15 minutes and the norm,
/// mean minutes, supply per 1,000, balance ratio, colour).
#[utoipa::path(get, path = "/api/circles/analyses/{id}/areas", tag = "circles", params(("id" = String, Path, description = "Analysis id")),
    responses((status = 200, description = "A JSON array of areas", content_type = "application/json"), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn areas(State(state): State<AppState>, p: Principal, UrlPath(id): UrlPath<String>) -> Fallible<Response> {
    Ok(typed("application/json", cases::output(&state, &p, &id, Output::Areas)?))
}

/// The areas as a GeoJSON FeatureCollection with every indicator and colour (fill) as properties.
#[utoipa::path(get, path = "/api/circles/analyses/{id}/areas.geojson", tag = "circles", params(("id" = String, Path, description = "Analysis id")),
    responses((status = 200, description = "GeoJSON FeatureCollection", content_type = "application/geo+json"), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn areas_geojson(State(state): State<AppState>, p: Principal, UrlPath(id): UrlPath<String>) -> Fallible<Response> {
    Ok(typed("application/geo+json", cases::output(&state, &p, &id, Output::AreasGeojson)?))
}

/// The facilities placed on the network, as GeoJSON points with category and capacity.
#[utoipa::path(get, path = "/api/circles/analyses/{id}/facilities.geojson", tag = "circles", params(("id" = String, Path, description = "Analysis id")),
    responses((status = 200, description = "GeoJSON FeatureCollection", content_type = "application/geo+json"), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn facilities_geojson(State(state): State<AppState>, p: Principal, UrlPath(id): UrlPath<String>) -> Fallible<Response> {
    Ok(typed("application/geo+json", cases::output(&state, &p, &id, Output::FacilitiesGeojson)?))
}

/// One row per area and analysed category (and `*` for the whole area), as CSV.
#[utoipa::path(get, path = "/api/circles/analyses/{id}/areas.csv", tag = "circles", params(("id" = String, Path, description = "Analysis id")),
    responses((status = 200, description = "CSV with a header row", content_type = "text/csv"), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn areas_csv(State(state): State<AppState>, p: Principal, UrlPath(id): UrlPath<String>) -> Fallible<Response> {
    Ok(typed("text/csv; charset=utf-8", cases::output(&state, &p, &id, Output::AreasCsv)?))
}

/// The five-colour warning map (预警五色图) over the street network, as SVG.
#[utoipa::path(get, path = "/api/circles/analyses/{id}/map.svg", tag = "circles", params(("id" = String, Path, description = "Analysis id"), MapQuery),
    responses((status = 200, description = "SVG image", content_type = "image/svg+xml"), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn map_svg(
    State(state): State<AppState>,
    p: Principal,
    UrlPath(id): UrlPath<String>,
    ApiQuery(q): ApiQuery<MapQuery>,
) -> Fallible<Response> {
    Ok(typed("image/svg+xml", cases::map_svg(&state, &p, &id, q.category).await?))
}

/// The "1+2+22+N" service network (point 9): per area and for the district, the share of personal
/// items of the catalog that residents can have handled within the time limit of home, and the
/// share of residents for whom that reaches the target (the seeds' 80 %).
#[utoipa::path(get, path = "/api/circles/analyses/{id}/service-network", tag = "circles", params(("id" = String, Path, description = "Analysis id"), NetworkQuery),
    responses((status = 200, description = "The service-network report with its areas", content_type = "application/json"), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn service_network(
    State(state): State<AppState>,
    p: Principal,
    UrlPath(id): UrlPath<String>,
    ApiQuery(q): ApiQuery<NetworkQuery>,
) -> Fallible<Response> {
    Ok(typed("application/json", cases::service_network(&state, &p, &id, q).await?))
}

/// The area's part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(start, status, latest, areas, areas_geojson, facilities_geojson, areas_csv, map_svg, service_network),
    tags(
        (name = "circles", description = "15-minute service circles: reach, balance index, five-colour warning map, 1+2+22+N service network"),
    )
)]
pub struct Doc;

/// Who may call each of the area's routes, and the data scope its use case applies: the area's
/// part of the policy table (`crate::policy::ROUTES`).
pub const POLICY: &[Route] = &[
    api("POST", "/api/circles/analyses", OVERSIGHT, Scope::Public),
    api("GET", "/api/circles/latest", OVERSIGHT, Scope::Public),
    api("GET", "/api/circles/analyses/{id}", OVERSIGHT, Scope::Record),
    api("GET", "/api/circles/analyses/{id}/areas", OVERSIGHT, Scope::Record),
    api("GET", "/api/circles/analyses/{id}/areas.geojson", OVERSIGHT, Scope::Record),
    api("GET", "/api/circles/analyses/{id}/facilities.geojson", OVERSIGHT, Scope::Record),
    api("GET", "/api/circles/analyses/{id}/areas.csv", OVERSIGHT, Scope::Record),
    api("GET", "/api/circles/analyses/{id}/map.svg", OVERSIGHT, Scope::Record),
    api("GET", "/api/circles/analyses/{id}/service-network", OVERSIGHT, Scope::Record),
];
