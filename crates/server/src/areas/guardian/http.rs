//! The elderly safety guardian's HTTP handlers under `/api/guardian`: enrolment of elders with
//! consent and contacts, their devices and MQTT credentials, their alarms, responders and their
//! availability, coverage of those who qualify, and the payloads refused per device. The area's
//! routes are registered here.

use axum::Json;
use axum::Router;
use axum::extract::Path;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::routing::post;
use crate::auth::Principal;
use crate::failure::Fallible;
use crate::http_error::ErrorBody;
use crate::json::ApiJson;
use crate::json::ApiQuery;
use crate::policy::*;
use crate::state::AppState;
use super::alarms;
use super::cases;
use super::views::*;

/// The routes, to be nested under `/api`.
pub fn routes(_state: &AppState) -> Router<AppState> {
    Router::new()
        .route("/guardian/elders", get(elders).post(enrol))
        .route("/guardian/elders/{id}", get(elder))
        .route("/guardian/elders/{id}/withdraw", post(withdraw))
        .route("/guardian/elders/{id}/devices", get(devices).post(add_device))
        .route("/guardian/elders/{id}/alarms", get(elder_alarms))
        .route("/guardian/coverage", get(coverage))
        .route("/guardian/responders", get(responders).post(save_responder))
        .route("/guardian/me/availability", post(availability))
        .route("/guardian/rejections", get(rejections))
        .route("/guardian/alarms", get(alarms))
        .route("/guardian/alarms/live", get(live))
        .route("/guardian/alarms/{id}", get(alarm))
        .route("/guardian/alarms/{id}/actions", post(act))
        .route("/guardian/alarms/{id}/responses", post(respond))
        .route("/guardian/alarms/{id}/candidates", get(candidates))
        .route("/guardian/measures", get(measures))
}

/// Enrols an elder under guard with their consent and emergency contacts: they qualify from the
/// registers (aged 60 or more, living alone or only with elders, or in dispersed 特困 support).
#[utoipa::path(post, path = "/api/guardian/elders", tag = "guardian", request_body = EnrolBody,
    responses((status = 201, body = ElderView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn enrol(State(state): State<AppState>, p: Principal, ApiJson(body): ApiJson<EnrolBody>) -> Fallible<(StatusCode, Json<ElderView>)> {
    Ok((StatusCode::CREATED, Json(cases::enrol(&state, &p, body).await?)))
}

/// The elders, by division and status (names, ID numbers and phones masked).
#[utoipa::path(get, path = "/api/guardian/elders", tag = "guardian", params(ElderQuery),
    responses((status = 200, body = EldersView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn elders(State(state): State<AppState>, p: Principal, ApiQuery(q): ApiQuery<ElderQuery>) -> Fallible<Json<EldersView>> {
    Ok(Json(cases::elders(&state, &p, q).await?))
}

/// An elder's record, for the monitoring centre, the elder and their emergency contacts.
#[utoipa::path(get, path = "/api/guardian/elders/{id}", tag = "guardian", params(("id" = String, Path)),
    responses((status = 200, body = ElderView), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn elder(State(state): State<AppState>, p: Principal, Path(id): Path<String>) -> Fallible<Json<ElderView>> {
    Ok(Json(cases::elder(&state, &p, &id).await?))
}

/// Withdraws an elder from guarding; their devices are removed.
#[utoipa::path(post, path = "/api/guardian/elders/{id}/withdraw", tag = "guardian", params(("id" = String, Path)), request_body = WithdrawBody,
    responses((status = 200, body = ElderView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn withdraw(State(state): State<AppState>, p: Principal, Path(id): Path<String>, ApiJson(body): ApiJson<WithdrawBody>) -> Fallible<Json<ElderView>> {
    Ok(Json(cases::withdraw(&state, &p, &id, body).await?))
}

/// An elder's devices and what each last showed.
#[utoipa::path(get, path = "/api/guardian/elders/{id}/devices", tag = "guardian", params(("id" = String, Path)),
    responses((status = 200, body = [DeviceView]), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn devices(State(state): State<AppState>, p: Principal, Path(id): Path<String>) -> Fallible<Json<Vec<DeviceView>>> {
    Ok(Json(cases::devices(&state, &p, &id).await?))
}

/// An elder's alarms, newest first, a page at a time (names masked), for the monitoring centre,
/// the elder and their emergency contacts.
#[utoipa::path(get, path = "/api/guardian/elders/{id}/alarms", tag = "guardian", params(("id" = String, Path), ElderAlarmQuery),
    responses((status = 200, body = AlarmsView), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn elder_alarms(State(state): State<AppState>, p: Principal, Path(id): Path<String>, ApiQuery(q): ApiQuery<ElderAlarmQuery>) -> Fallible<Json<AlarmsView>> {
    Ok(Json(cases::elder_alarms(&state, &p, &id, q).await?))
}

/// Registers a device in the elder's home; the answer carries its MQTT password, shown only once.
#[utoipa::path(post, path = "/api/guardian/elders/{id}/devices", tag = "guardian", params(("id" = String, Path)), request_body = DeviceBody,
    responses((status = 201, body = NewDeviceView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn add_device(State(state): State<AppState>, p: Principal, Path(id): Path<String>, ApiJson(body): ApiJson<DeviceBody>) -> Fallible<(StatusCode, Json<NewDeviceView>)> {
    Ok((StatusCode::CREATED, Json(cases::add_device(&state, &p, &id, body).await?)))
}

/// Who qualifies for guarding and who of them is guarded.
#[utoipa::path(get, path = "/api/guardian/coverage", tag = "guardian", params(CandidateQuery),
    responses((status = 200, body = CoverageView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn coverage(State(state): State<AppState>, p: Principal, ApiQuery(q): ApiQuery<CandidateQuery>) -> Fallible<Json<CoverageView>> {
    Ok(Json(cases::coverage(&state, &p, q).await?))
}

/// The responders (phones masked).
#[utoipa::path(get, path = "/api/guardian/responders", tag = "guardian",
    responses((status = 200, body = [ResponderView]), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn responders(State(state): State<AppState>, p: Principal) -> Fallible<Json<Vec<ResponderView>>> {
    Ok(Json(cases::responders(&state, &p).await?))
}

/// Registers or updates a responder (a staff account with the responder role).
#[utoipa::path(post, path = "/api/guardian/responders", tag = "guardian", request_body = ResponderBody,
    responses((status = 200, body = ResponderView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn save_responder(State(state): State<AppState>, p: Principal, ApiJson(body): ApiJson<ResponderBody>) -> Fallible<Json<ResponderView>> {
    Ok(Json(cases::save_responder(&state, &p, body).await?))
}

/// A responder says whether they can go now, and where they are.
#[utoipa::path(post, path = "/api/guardian/me/availability", tag = "guardian", request_body = AvailabilityBody,
    responses((status = 200, body = ResponderView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn availability(State(state): State<AppState>, p: Principal, ApiJson(body): ApiJson<AvailabilityBody>) -> Fallible<Json<ResponderView>> {
    Ok(Json(cases::availability(&state, &p, body).await?))
}

/// The payloads refused, per device and reason (for maintenance).
#[utoipa::path(get, path = "/api/guardian/rejections", tag = "guardian",
    responses((status = 200, body = [RejectionView]), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn rejections(State(state): State<AppState>, p: Principal) -> Fallible<Json<Vec<RejectionView>>> {
    Ok(Json(cases::rejections(&state, &p).await?))
}

/// Alarms, newest first: the centre's (all, open ones, by division, technical or not); a
/// responder's own.
#[utoipa::path(get, path = "/api/guardian/alarms", tag = "guardian", params(AlarmQuery),
    responses((status = 200, body = AlarmsView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn alarms(State(state): State<AppState>, p: Principal, ApiQuery(q): ApiQuery<AlarmQuery>) -> Fallible<Json<AlarmsView>> {
    Ok(Json(alarms::alarms(&state, &p, q).await?))
}

/// The console's live feed: server-sent events, one `alarm` event (JSON: alarm, elder, division,
/// kind, technical, state, at) each time an alarm is raised or moves on; a comment every 15 s
/// keeps the connection open.
#[utoipa::path(get, path = "/api/guardian/alarms/live", tag = "guardian",
    responses((status = 200, description = "text/event-stream of `alarm` events", content_type = "text/event-stream", body = String), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn live(State(state): State<AppState>, p: Principal) -> Fallible<axum::response::Sse<impl futures::Stream<Item = Result<axum::response::sse::Event, std::convert::Infallible>>>> {
    let rx = alarms::feed(&state, &p)?;
    let stream = futures::stream::unfold(rx, |mut rx| async move {
        match rx.recv().await {
            Ok(ev) => {
                let data = serde_json::to_string(&ev).unwrap_or_default();
                Some((Ok(axum::response::sse::Event::default().event("alarm").data(data)), rx))
            }
            // A slow console missed some: it is told to reload the list.
            Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => Some((Ok(axum::response::sse::Event::default().event("reload").data("{}")), rx)),
            Err(tokio::sync::broadcast::error::RecvError::Closed) => None,
        }
    });
    Ok(axum::response::Sse::new(stream).keep_alive(axum::response::sse::KeepAlive::new().interval(std::time::Duration::from_secs(15))))
}

/// An alarm with the readings that raised it and every step, its hash chain checked.
#[utoipa::path(get, path = "/api/guardian/alarms/{id}", tag = "guardian", params(("id" = String, Path)),
    responses((status = 200, body = AlarmView), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn alarm(State(state): State<AppState>, p: Principal, Path(id): Path<String>) -> Fallible<Json<AlarmView>> {
    Ok(Json(alarms::alarm(&state, &p, &id).await?))
}

/// The monitoring centre acts on an alarm: `acknowledge`, `dispatch` (a named responder, or the
/// nearest available), `resolve`, `cancel` (technical), `note`.
#[utoipa::path(post, path = "/api/guardian/alarms/{id}/actions", tag = "guardian", params(("id" = String, Path)), request_body = AlarmActionBody,
    responses((status = 200, body = AlarmView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn act(State(state): State<AppState>, p: Principal, Path(id): Path<String>, ApiJson(body): ApiJson<AlarmActionBody>) -> Fallible<Json<AlarmView>> {
    Ok(Json(alarms::act(&state, &p, &id, body).await?))
}

/// The dispatched responder: `accept`, `decline`, `arrive`, `resolve`.
#[utoipa::path(post, path = "/api/guardian/alarms/{id}/responses", tag = "guardian", params(("id" = String, Path)), request_body = AlarmActionBody,
    responses((status = 200, body = AlarmView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn respond(State(state): State<AppState>, p: Principal, Path(id): Path<String>, ApiJson(body): ApiJson<AlarmActionBody>) -> Fallible<Json<AlarmView>> {
    Ok(Json(alarms::respond(&state, &p, &id, body).await?))
}

/// The responders an alarm could go to, nearest first, with their travel time.
#[utoipa::path(get, path = "/api/guardian/alarms/{id}/candidates", tag = "guardian", params(("id" = String, Path)),
    responses((status = 200, body = [RankedResponderView]), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn candidates(State(state): State<AppState>, p: Principal, Path(id): Path<String>) -> Fallible<Json<Vec<RankedResponderView>>> {
    Ok(Json(alarms::candidates(&state, &p, &id).await?))
}

/// The month's measures per town: alarms by kind, false-alarm share, times to acknowledge,
/// dispatch, scene and close, the share of life-safety alarms with someone on scene in 10 minutes.
#[utoipa::path(get, path = "/api/guardian/measures", tag = "guardian", params(MeasureQuery),
    responses((status = 200, description = "One object per town", body = [Object]), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn measures(State(state): State<AppState>, p: Principal, ApiQuery(q): ApiQuery<MeasureQuery>) -> Fallible<Json<Vec<serde_json::Value>>> {
    Ok(Json(alarms::measures(&state, &p, q).await?))
}

/// The area's part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(enrol, elders, elder, withdraw, devices, add_device, elder_alarms, coverage, responders, save_responder, availability, rejections, alarms, live, alarm, act, respond, candidates, measures),
    tags((name = "guardian", description = "Elderly safety guardian (空巢老人安全守护, C1): elders under guard, their devices, responders")),
)]
pub struct Doc;

/// The monitoring centre (a department with the elderly-safety duty) and the administrator.
const CENTRE: Who = Who::GUARDIAN.or(Who::ADMIN);

/// Who may call each route, and the data scope its use case applies.
pub const POLICY: &[Route] = &[
    api("GET", "/api/guardian/elders", CENTRE, Scope::Department),
    api("POST", "/api/guardian/elders", CENTRE, Scope::Department),
    api("GET", "/api/guardian/elders/{id}", CENTRE.or(Who::RESIDENT), Scope::Record),
    api("POST", "/api/guardian/elders/{id}/withdraw", CENTRE, Scope::Department),
    api("GET", "/api/guardian/elders/{id}/devices", CENTRE.or(Who::RESIDENT), Scope::Record),
    api("POST", "/api/guardian/elders/{id}/devices", CENTRE, Scope::Department),
    api("GET", "/api/guardian/elders/{id}/alarms", CENTRE.or(Who::RESIDENT), Scope::Record),
    api("GET", "/api/guardian/coverage", CENTRE, Scope::Department),
    api("GET", "/api/guardian/responders", CENTRE, Scope::Department),
    api("POST", "/api/guardian/responders", CENTRE, Scope::Department),
    api("POST", "/api/guardian/me/availability", Who::RESPONDER, Scope::Own),
    api("GET", "/api/guardian/rejections", CENTRE, Scope::Department),
    api("GET", "/api/guardian/alarms", CENTRE.or(Who::RESPONDER), Scope::Record),
    api("GET", "/api/guardian/alarms/live", CENTRE, Scope::Department),
    api("GET", "/api/guardian/alarms/{id}", CENTRE.or(Who::RESPONDER).or(Who::RESIDENT), Scope::Record),
    api("POST", "/api/guardian/alarms/{id}/actions", CENTRE, Scope::Department),
    api("POST", "/api/guardian/alarms/{id}/responses", Who::RESPONDER, Scope::Record),
    api("GET", "/api/guardian/alarms/{id}/candidates", CENTRE, Scope::Department),
    api("GET", "/api/guardian/measures", CENTRE, Scope::Department),
];
