//! The shared data pool's HTTP handlers under `/api/pool`: each extracts, calls one use case and
//! answers with the area's views. The area's routes are registered here; verification is public.

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::Path;
use axum::extract::State;
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use axum::response::Response;
use axum::routing::get;
use axum::routing::post;
use domain::ResidentId;
use domain::china_date;
use crate::json::ApiQuery;
use crate::auth::Principal;
use crate::failure::Failure;
use crate::failure::Fallible;
use crate::http_error::ErrorBody;
use crate::json::ApiJson;
use crate::state::AppState;
use crate::policy::*;
use super::cases;
use super::cases::*;
use super::views::*;

// ---------------------------------------------------------------------------------------------
// Routes.

pub fn routes(_state: &AppState) -> Router<AppState> {
    Router::new()
        .route("/pool/public-key", get(public_key))
        .route("/pool/verify", post(verify))
        .route("/pool/gate", post(gate))
        .route("/pool/revocations", get(revocations))
        .route("/pool/institutions", get(institutions))
        .route("/pool/recognition/items", get(recognition_items))
        .route("/pool/recognition/figures", get(recognition_figures))
        .route("/pool/recognition/offers/{id}/decision", post(decide_offer))
        .route("/pool/records", post(publish).get(list_records))
        .route("/pool/records/{id}", get(read_record))
        .route("/pool/records/{id}/corrections", post(correct))
        .route("/pool/records/{id}/revoke", post(revoke))
        .route("/pool/records/{id}/certificate", post(issue_certificate))
        .route("/pool/me/access-log", get(my_access_log))
        .route("/pool/me/consents", post(grant_consent).get(my_consents))
        .route("/pool/me/consents/{id}/revoke", post(withdraw_consent))
        .route("/pool/me/rider-codes", get(my_rider_codes))
        .route("/pool/me/riders", get(my_riders))
        .route("/pool/me/riders/{id}/confirm", post(confirm_rider))
        .route("/pool/me/riders/{id}/decline", post(decline_rider))
        .route("/pool/access-log/verify", get(verify_log))
        .route("/pool/registers/persons/{id_number}", get(person_register))
        .route("/pool/registers/enterprises/{code}", get(enterprise_register))
        .route("/pool/estates", get(estates))
        .route("/pool/riders", post(register_rider).get(list_riders))
        .route("/pool/riders/summary", get(rider_summary))
        .route("/pool/riders/notices", post(rider_notices))
        .route("/pool/riders/{id}/code", get(rider_code))
        .route("/pool/riders/{id}/revoke", post(revoke_rider))
        .route("/pool/health-records/{id_number}", get(health_record))
}

// ---- public: keys and verification

/// The district's public key for offline verification of e-certificates and rider codes.
#[utoipa::path(get, path = "/api/pool/public-key", tag = "pool", responses((status = 200, body = Object)))]
pub async fn public_key(State(state): State<AppState>) -> Fallible<Json<serde_json::Value>> {
    Ok(Json(cases::public_key(&state).await?))
}

/// Verifies an e-certificate or rider code (public). A forged, altered, expired or revoked
/// credential is a 422 with its reason.
#[utoipa::path(post, path = "/api/pool/verify", tag = "pool", request_body = VerifyBody,
    responses((status = 200, body = VerifyView), (status = 422, body = ErrorBody)))]
pub async fn verify(State(state): State<AppState>, ApiJson(body): ApiJson<VerifyBody>) -> Fallible<Json<VerifyView>> {
    Ok(Json(cases::verify(&state, body).await?))
}

/// A property gate's check of a rider code for its estate (public; the same check runs offline
/// with the published key and the revocation list).
#[utoipa::path(post, path = "/api/pool/gate", tag = "pool", request_body = VerifyBody,
    responses((status = 200, body = Object), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn gate(State(state): State<AppState>, ApiJson(body): ApiJson<VerifyBody>) -> Fallible<Json<serde_json::Value>> {
    Ok(Json(cases::gate(&state, body).await?))
}

/// Revoked credential ids, for gates and verifiers that work offline (public).
#[utoipa::path(get, path = "/api/pool/revocations", tag = "pool", params(SinceQuery), responses((status = 200, body = Object), (status = 422, body = ErrorBody)))]
pub async fn revocations(State(state): State<AppState>, ApiQuery(q): ApiQuery<SinceQuery>) -> Fallible<Json<serde_json::Value>> {
    Ok(Json(cases::revocations(&state, q).await?))
}

/// The district's medical institutions, their level and the items their results are recognised
/// for (the HR mark).
#[utoipa::path(get, path = "/api/pool/institutions", tag = "recognition", responses((status = 200, body = [InstitutionView])))]
pub async fn institutions(State(state): State<AppState>) -> Fallible<Json<Vec<InstitutionView>>> {
    Ok(Json(cases::institutions(&state).await?))
}

/// The recognisable items: codes, validity window and price.
#[utoipa::path(get, path = "/api/pool/recognition/items", tag = "recognition",
    responses((status = 200, body = [Object], description = "Each item: code, name, LOINC or local code, validity in days, price")))]
pub async fn recognition_items(State(state): State<AppState>) -> Fallible<Json<serde_json::Value>> {
    Ok(Json(cases::recognition_items(&state).await?))
}

/// A department publishes a record about a person or enterprise (validated against its type's
/// schema).
#[utoipa::path(post, path = "/api/pool/records", tag = "pool", request_body = PublishBody,
    responses((status = 201, body = RecordView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn publish(State(state): State<AppState>, p: Principal, ApiJson(body): ApiJson<PublishBody>) -> Fallible<Response> {
    Ok((StatusCode::CREATED, Json(cases::publish(&state, &p, body).await?)).into_response())
}

/// Reads one record version for a purpose; the read (or its refusal) is logged.
#[utoipa::path(get, path = "/api/pool/records/{id}", tag = "pool", params(("id" = String, Path), ReadQuery),
    responses((status = 200, body = RecordView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn read_record(State(state): State<AppState>, p: Principal, Path(id): Path<String>, ApiQuery(q): ApiQuery<ReadQuery>) -> Fallible<Json<RecordView>> {
    Ok(Json(cases::read_record(&state, &p, id, q).await?))
}

/// Lists the records about a subject (yours without `subject`) for a purpose; each record shown
/// is logged as read.
#[utoipa::path(get, path = "/api/pool/records", tag = "pool", params(PurposeQuery),
    responses((status = 200, body = [RecordView]), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn list_records(State(state): State<AppState>, p: Principal, ApiQuery(q): ApiQuery<PurposeQuery>) -> Fallible<Json<Vec<RecordView>>> {
    Ok(Json(records_of(&state, &p.account, &q).await?))
}

/// The publishing department corrects a record: a new version supersedes it (never overwritten).
#[utoipa::path(post, path = "/api/pool/records/{id}/corrections", tag = "pool", params(("id" = String, Path)), request_body = CorrectBody,
    responses((status = 201, body = RecordView), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn correct(State(state): State<AppState>, p: Principal, Path(id): Path<String>, ApiJson(body): ApiJson<CorrectBody>) -> Fallible<Response> {
    Ok((StatusCode::CREATED, Json(cases::correct(&state, &p, id, body).await?)).into_response())
}

/// The publishing department revokes a record version (and its e-certificates).
#[utoipa::path(post, path = "/api/pool/records/{id}/revoke", tag = "pool", params(("id" = String, Path)), request_body = ReasonBody,
    responses((status = 200, body = RecordView), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn revoke(State(state): State<AppState>, p: Principal, Path(id): Path<String>, ApiJson(body): ApiJson<ReasonBody>) -> Fallible<Json<RecordView>> {
    Ok(Json(cases::revoke(&state, &p, id, body).await?))
}

/// Issues (or returns the live) e-certificate of a record: for its subject or its publishing
/// department.
#[utoipa::path(post, path = "/api/pool/records/{id}/certificate", tag = "pool", params(("id" = String, Path)),
    request_body(content = Option<EmptyBody>),
    responses((status = 201, body = CredentialView, description = "A new e-certificate"), (status = 200, body = CredentialView, description = "The record's live e-certificate, issued before"),
        (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)), security(("bearer" = [])))]
pub async fn issue_certificate(State(state): State<AppState>, p: Principal, Path(id): Path<String>, raw: Bytes) -> Fallible<Response> {
    // The request carries nothing: no body, `null` or an empty JSON object.
    if !raw.is_empty() {
        let _: Option<EmptyBody> = crate::json::parse(&raw)?;
    }
    let (view, new) = cases::issue_certificate(&state, &p, id).await?;
    Ok((if new { StatusCode::CREATED } else { StatusCode::OK }, Json(view)).into_response())
}

/// Who read my data and why (and who was refused), newest first.
#[utoipa::path(get, path = "/api/pool/me/access-log", tag = "pool", params(PageQuery),
    responses((status = 200, body = [AccessView])), security(("bearer" = [])))]
pub async fn my_access_log(State(state): State<AppState>, p: Principal, ApiQuery(q): ApiQuery<PageQuery>) -> Fallible<Json<Vec<AccessView>>> {
    Ok(Json(access_log_of(&state, &p.account, &q).await?))
}

/// A citizen or enterprise consents to a grantee reading some of their records.
#[utoipa::path(post, path = "/api/pool/me/consents", tag = "pool", request_body = ConsentBody,
    responses((status = 201, body = ConsentView), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn grant_consent(State(state): State<AppState>, p: Principal, ApiJson(body): ApiJson<ConsentBody>) -> Fallible<Response> {
    Ok((StatusCode::CREATED, Json(cases::grant_consent(&state, &p, body).await?)).into_response())
}

/// My consents, newest first.
#[utoipa::path(get, path = "/api/pool/me/consents", tag = "pool", responses((status = 200, body = [ConsentView])), security(("bearer" = [])))]
pub async fn my_consents(State(state): State<AppState>, p: Principal) -> Fallible<Json<Vec<ConsentView>>> {
    Ok(Json(cases::my_consents(&state, &p).await?))
}

/// Withdraws one of my consents.
#[utoipa::path(post, path = "/api/pool/me/consents/{id}/revoke", tag = "pool", params(("id" = String, Path)),
    responses((status = 200, body = ConsentView), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn withdraw_consent(State(state): State<AppState>, p: Principal, Path(id): Path<String>) -> Fallible<Json<ConsentView>> {
    Ok(Json(cases::withdraw_consent(&state, &p, id).await?))
}

/// Verifies every chain of the access log (administrators).
#[utoipa::path(get, path = "/api/pool/access-log/verify", tag = "pool", responses((status = 200, body = Object)), security(("bearer" = [])))]
pub async fn verify_log(State(state): State<AppState>, p: Principal) -> Fallible<Json<LogVerificationView>> {
    Ok(Json(cases::verify_log(&state, &p).await?))
}

// ---- registers

/// A person in the population register with their household (户籍), for a lawful purpose; logged.
#[utoipa::path(get, path = "/api/pool/registers/persons/{id_number}", tag = "pool", params(("id_number" = String, Path, pattern = "^[0-9]{17}[0-9Xx]$"), ReadQuery),
    responses((status = 200, body = Object), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn person_register(
    State(state): State<AppState>,
    p: Principal,
    Path(id_number): Path<String>,
    ApiQuery(q): ApiQuery<ReadQuery>,
) -> Fallible<Json<serde_json::Value>> {
    Ok(Json(cases::person_register(&state, &p, id_number, q).await?))
}

/// An enterprise in the legal-entity register with its legal representative (public
/// registration facts; the representative masked).
#[utoipa::path(get, path = "/api/pool/registers/enterprises/{code}", tag = "pool", params(("code" = String, Path, pattern = "^[0-9A-HJ-NPQRTUWXYa-hj-npqrtuwxy]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXYa-hj-npqrtuwxy]{10}$")),
    responses((status = 200, body = Object), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn enterprise_register(State(state): State<AppState>, _p: Principal, Path(code): Path<String>) -> Fallible<Json<serde_json::Value>> {
    Ok(Json(cases::enterprise_register(&state, code).await?))
}

// ---- riders

/// The estates riders may be allowed into.
#[utoipa::path(get, path = "/api/pool/estates", tag = "riders", responses((status = 200, body = [Object])), security(("bearer" = [])))]
pub async fn estates(State(state): State<AppState>, _p: Principal) -> Fallible<Json<Vec<EstateView>>> {
    Ok(Json(cases::estates(&state).await?))
}

/// A platform registers one of its riders, pending the rider's consent: the rider confirms in
/// their own account (`POST /api/pool/me/riders/{id}/confirm`), which issues the rider code. The
/// platform's look-up of the person is logged where the person sees it.
#[utoipa::path(post, path = "/api/pool/riders", tag = "riders", request_body = RiderBody,
    responses((status = 201, body = Object), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn register_rider(State(state): State<AppState>, p: Principal, ApiJson(body): ApiJson<RiderBody>) -> Fallible<Response> {
    Ok((StatusCode::CREATED, Json(cases::register_rider(&state, &p, body).await?)).into_response())
}

/// A platform's registrations of me as its rider (pending, active, revoked, declined).
#[utoipa::path(get, path = "/api/pool/me/riders", tag = "riders", responses((status = 200, body = [RiderView]), (status = 401, body = ErrorBody)), security(("bearer" = [])))]
pub async fn my_riders(State(state): State<AppState>, p: Principal) -> Fallible<Json<Vec<RiderView>>> {
    Ok(Json(cases::my_riders(&state, &p).await?))
}

/// I confirm a platform's registration of me as its rider; the rider code is issued.
#[utoipa::path(post, path = "/api/pool/me/riders/{id}/confirm", tag = "riders", params(("id" = String, Path)),
    responses((status = 200, body = CredentialView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)), security(("bearer" = [])))]
pub async fn confirm_rider(State(state): State<AppState>, p: Principal, Path(id): Path<String>) -> Fallible<Json<CredentialView>> {
    Ok(Json(cases::confirm_rider(&state, &p, id).await?))
}

/// I decline a platform's registration of me as its rider.
#[utoipa::path(post, path = "/api/pool/me/riders/{id}/decline", tag = "riders", params(("id" = String, Path)),
    responses((status = 200, body = RiderView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)), security(("bearer" = [])))]
pub async fn decline_rider(State(state): State<AppState>, p: Principal, Path(id): Path<String>) -> Fallible<Json<RiderView>> {
    Ok(Json(cases::decline_rider(&state, &p, id).await?))
}

/// Riders (masked): a platform sees its own, the regulator every platform's.
#[utoipa::path(get, path = "/api/pool/riders", tag = "riders", params(RiderQuery),
    responses((status = 200, body = [RiderView]), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn list_riders(State(state): State<AppState>, p: Principal, ApiQuery(q): ApiQuery<RiderQuery>) -> Fallible<Json<Vec<RiderView>>> {
    Ok(Json(cases::list_riders(&state, &p, q).await?))
}

/// Riders per platform and status (the regulator's view).
#[utoipa::path(get, path = "/api/pool/riders/summary", tag = "riders",
    responses((status = 200, body = [Object], description = "Per platform: platform, platform_name and the riders in each status (active, revoked, …)"),
        (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn rider_summary(State(state): State<AppState>, p: Principal) -> Fallible<Json<serde_json::Value>> {
    Ok(Json(cases::rider_summary(&state, &p).await?))
}

/// The rider code of a rider: for the rider themself and their platform.
#[utoipa::path(get, path = "/api/pool/riders/{id}/code", tag = "riders", params(("id" = String, Path)),
    responses((status = 200, body = CredentialView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn rider_code(State(state): State<AppState>, p: Principal, Path(id): Path<String>) -> Fallible<Json<CredentialView>> {
    Ok(Json(cases::rider_code(&state, &p, id).await?))
}

/// My rider codes (a rider may ride for several platforms).
#[utoipa::path(get, path = "/api/pool/me/rider-codes", tag = "riders", responses((status = 200, body = [CredentialView])), security(("bearer" = [])))]
pub async fn my_rider_codes(State(state): State<AppState>, p: Principal) -> Fallible<Json<Vec<CredentialView>>> {
    Ok(Json(cases::my_rider_codes(&state, &p).await?))
}

/// The platform (or the regulator) revokes a rider and their code.
#[utoipa::path(post, path = "/api/pool/riders/{id}/revoke", tag = "riders", params(("id" = String, Path)), request_body = ReasonBody,
    responses((status = 200, body = RiderView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn revoke_rider(State(state): State<AppState>, p: Principal, Path(id): Path<String>, ApiJson(body): ApiJson<ReasonBody>) -> Fallible<Json<RiderView>> {
    Ok(Json(cases::revoke_rider(&state, &p, id, body).await?))
}

/// The regulator (or a platform, to its own riders) sends a welfare or policy notice to riders.
#[utoipa::path(post, path = "/api/pool/riders/notices", tag = "riders", request_body = RiderNoticeBody,
    responses((status = 202, body = Object), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn rider_notices(State(state): State<AppState>, p: Principal, ApiJson(body): ApiJson<RiderNoticeBody>) -> Fallible<Response> {
    Ok((StatusCode::ACCEPTED, Json(cases::rider_notices(&state, &p, body).await?)).into_response())
}

/// The ordering clinician records the decision on a recognition offer (the DetectedIssue id).
#[utoipa::path(post, path = "/api/pool/recognition/offers/{id}/decision", tag = "recognition", params(("id" = String, Path)), request_body = DecisionBody,
    responses((status = 200, body = Object), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn decide_offer(State(state): State<AppState>, p: Principal, Path(id): Path<String>, ApiJson(body): ApiJson<DecisionBody>) -> Fallible<Json<OfferView>> {
    Ok(Json(cases::decide_offer(&state, &p, id, body).await?))
}

/// Recognitions and money saved per institution, and look-ups in all (health staff, clinicians,
/// administrators).
#[utoipa::path(get, path = "/api/pool/recognition/figures", tag = "recognition", responses((status = 200, body = Object), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn recognition_figures(State(state): State<AppState>, p: Principal) -> Fallible<Json<serde_json::Value>> {
    Ok(Json(cases::recognition_figures(&state, &p).await?))
}

/// B4: an authorised clinician reads a patient's health record (Patient and recent results as a
/// FHIR Bundle); the read is logged in the patient's access log.
#[utoipa::path(get, path = "/api/pool/health-records/{id_number}", tag = "recognition", params(("id_number" = String, Path, pattern = "^[0-9]{17}[0-9Xx]$")),
    responses((status = 200, description = "A FHIR R4 Bundle: the Patient and their recent results", content_type = "application/fhir+json"),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn health_record(State(state): State<AppState>, p: Principal, Path(id_number): Path<String>, headers: axum::http::HeaderMap) -> Fallible<Response> {
    let key = ResidentId::parse_on(id_number.trim(), china_date(state.now())).map_err(|e| Failure::from_describe(&e, "id_number"))?;
    let base = crate::areas::fhir::http::base_url(&state, &headers);
    let bundle = crate::areas::fhir::cases::patient_everything(&state, &p, key.as_str(), &base).await?;
    Ok(([(CONTENT_TYPE, pool::fhir::FHIR_JSON)], bundle).into_response())
}

/// The area's part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(public_key, verify, gate, revocations, publish, list_records, read_record, correct, revoke, issue_certificate, my_access_log, grant_consent, my_consents, withdraw_consent, verify_log, person_register, enterprise_register, estates, register_rider, list_riders, rider_summary, rider_code, my_rider_codes, my_riders, confirm_rider, decline_rider, revoke_rider, rider_notices, institutions, recognition_items, decide_offer, recognition_figures, health_record),
    tags(
        (name = "pool", description = "数据同池: publish, correct and revoke records; purpose-bound, logged reads; consents; e-certificates and public verification. FHIR R4 is at /fhir (see /fhir/metadata)"),
        (name = "riders", description = "富春小哥码: riders, their platforms, rider codes, gate checks, notices"),
        (name = "recognition", description = "医检互认: institutions, recognisable items, decisions, figures; health-record look-up"),
    )
)]
pub struct Doc;

/// Who may call each of the area's routes, and the data scope its use case applies: the area's
/// part of the policy table (`crate::policy::ROUTES`).
pub const POLICY: &[Route] = &[
    api("GET", "/api/pool/public-key", ANYONE, Scope::Public),
    api("POST", "/api/pool/verify", ANYONE, Scope::Public),
    api("POST", "/api/pool/gate", ANYONE, Scope::Public),
    api("GET", "/api/pool/revocations", ANYONE, Scope::Public),
    api("GET", "/api/pool/institutions", ANYONE, Scope::Public),
    api("GET", "/api/pool/recognition/items", ANYONE, Scope::Public),
    api("POST", "/api/pool/records", DEPARTMENT, Scope::Department),
    api("GET", "/api/pool/records", SIGNED_IN, Scope::Purpose),
    api("GET", "/api/pool/records/{id}", SIGNED_IN, Scope::Purpose),
    api("POST", "/api/pool/records/{id}/corrections", DEPARTMENT, Scope::Department),
    api("POST", "/api/pool/records/{id}/revoke", DEPARTMENT, Scope::Department),
    api("POST", "/api/pool/records/{id}/certificate", APPLICANT.or(DEPARTMENT), Scope::Record),
    api("GET", "/api/pool/registers/persons/{id_number}", SIGNED_IN, Scope::Purpose),
    api("GET", "/api/pool/registers/enterprises/{code}", SIGNED_IN, Scope::Public),
    api("GET", "/api/pool/me/access-log", APPLICANT, Scope::Own),
    api("POST", "/api/pool/me/consents", APPLICANT, Scope::Own),
    api("GET", "/api/pool/me/consents", APPLICANT, Scope::Own),
    api("POST", "/api/pool/me/consents/{id}/revoke", APPLICANT, Scope::Own),
    api("GET", "/api/pool/me/rider-codes", RESIDENT, Scope::Own),
    api("GET", "/api/pool/me/riders", RESIDENT, Scope::Own),
    api("POST", "/api/pool/me/riders/{id}/confirm", RESIDENT, Scope::Own),
    api("POST", "/api/pool/me/riders/{id}/decline", RESIDENT, Scope::Own),
    api("GET", "/api/pool/access-log/verify", ADMIN, Scope::Public),
    api("GET", "/api/pool/estates", SIGNED_IN, Scope::Public),
    api("POST", "/api/pool/riders", PLATFORM, Scope::Platform),
    api("GET", "/api/pool/riders", RIDER_MANAGERS, Scope::Platform),
    api("GET", "/api/pool/riders/summary", RIDER_OVERSIGHT, Scope::Public),
    api("POST", "/api/pool/riders/notices", RIDER_MANAGERS, Scope::Platform),
    api("GET", "/api/pool/riders/{id}/code", PLATFORM.or(RESIDENT), Scope::Record),
    api("POST", "/api/pool/riders/{id}/revoke", RIDER_MANAGERS, Scope::Platform),
    api("GET", "/api/pool/recognition/figures", RECOGNITION, Scope::Public),
    api("POST", "/api/pool/recognition/offers/{id}/decision", CLINICIAN, Scope::Record),
    api("GET", "/api/pool/health-records/{id_number}", SIGNED_IN, Scope::Purpose),
];
