//! The FHIR R4 handlers under `/fhir`: capability statement, read, search, `$everything`,
//! `$recognition-check` and Bundle import, answering `application/fhir+json` and
//! OperationOutcome errors. The area's routes are registered here.

use axum::Router;
use axum::body::Bytes;
use axum::extract::Path;
use axum::extract::RawQuery;
use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::http::header::HOST;
use axum::http::HeaderMap;
use axum::http::HeaderValue;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::response::Response;
use axum::routing::get;
use axum::routing::post;
use pool::fhir;
use pool::fhir::OperationOutcome;
use pool::fhir::Resource;
use crate::auth::Principal;
use crate::failure::Failure;
use crate::state::AppState;
use crate::policy::*;
use super::cases;
use super::cases::*;

impl IntoResponse for FhirError {
    fn into_response(self) -> Response {
        let status = self.0.status();
        let body = self.0.body();
        if let Failure::Internal(_) = &self.0 {
            // Logged with its cause chain by Failure's own response.
            let _ = self.0.into_response();
        }
        let code = match status.as_u16() {
            400 => "structure",
            401 => "login",
            403 => "forbidden",
            404 => "not-found",
            409 => "conflict",
            413 => "too-costly",
            422 => "invalid",
            _ => "exception",
        };
        let oo = OperationOutcome::error(code, &body.message, &body.message_en, body.field.as_deref(), &body.code);
        let json = serde_json::to_vec(&Resource::OperationOutcome(oo)).unwrap_or_default();
        (status, [(CONTENT_TYPE, HeaderValue::from_static(fhir::FHIR_JSON))], json).into_response()
    }
}

pub(crate) fn fhir_json(status: StatusCode, body: String) -> Response {
    (status, [(CONTENT_TYPE, HeaderValue::from_static(fhir::FHIR_JSON))], body).into_response()
}

pub fn routes(_state: &AppState) -> Router<AppState> {
    Router::new()
        .route("/", post(import))
        .route("/metadata", get(metadata))
        .route("/ServiceRequest/$recognition-check", post(recognition_check))
        .route("/Patient/{id}/$everything", get(everything))
        .route("/{rtype}", get(search))
        .route("/{rtype}/{id}", get(read))
        .fallback(|| async { FhirError(Failure::not_found("FHIR 接口中没有这个资源或操作", "No such FHIR resource type or operation")) })
}

/// The base URL of the FHIR interface as the client reached it.
pub fn base_url(state: &AppState, headers: &HeaderMap) -> String {
    if let Some(u) = &state.config.public_url {
        return format!("{}/fhir", u.trim_end_matches('/'));
    }
    let host = headers.get(HOST).and_then(|h| h.to_str().ok()).filter(|h| h.chars().all(|c| c.is_ascii_graphic())).unwrap_or("localhost");
    format!("http://{host}/fhir")
}

// ---- capability statement

/// The CapabilityStatement: what this FHIR interface supports.
pub async fn metadata(State(state): State<AppState>) -> Response {
    fhir_json(StatusCode::OK, cases::capability_statement(&state).to_string())
}

// ---- read and search

/// Reads one resource; logged (refusals too).
pub async fn read(
    State(state): State<AppState>,
    p: Result<Principal, Failure>,
    Path((rtype, id)): Path<(String, String)>,
    RawQuery(q): RawQuery,
) -> FhirResult<Response> {
    let p = p?;
    let (data, version) = cases::read(&state, &p, &rtype, &id, q.as_deref()).await?;
    let mut resp = fhir_json(StatusCode::OK, data);
    if let Ok(v) = HeaderValue::from_str(&format!("W/\"{version}\"")) {
        resp.headers_mut().insert(axum::http::header::ETAG, v);
    }
    Ok(resp)
}

/// Searches resources of a patient: `patient` (required), `code`, `date` (repeatable, with
/// ge/gt/le/lt/eq prefixes), `_count` (≤ 200), `_offset`. Patient: `identifier` or `_id`.
pub async fn search(
    State(state): State<AppState>,
    p: Result<Principal, Failure>,
    Path(rtype): Path<String>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
) -> FhirResult<Response> {
    let p = p?;
    let body = cases::search(&state, &p, &rtype, q.as_deref(), &base_url(&state, &headers)).await?;
    Ok(fhir_json(StatusCode::OK, body))
}

/// `Patient/{id}/$everything`: the health-record look-up (B4).
pub async fn everything(State(state): State<AppState>, p: Result<Principal, Failure>, Path(id): Path<String>, headers: HeaderMap) -> FhirResult<Response> {
    let p = p?;
    let body = cases::everything(&state, &p, &id, &base_url(&state, &headers)).await?;
    Ok(fhir_json(StatusCode::OK, body))
}

// ---- parsing bodies

pub(crate) fn parse_body<T: serde::de::DeserializeOwned>(headers: &HeaderMap, bytes: &[u8]) -> FhirResult<T> {
    let ct = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    if !(ct.starts_with(fhir::FHIR_JSON) || ct.starts_with("application/json")) {
        return Err(FhirError(Failure::UnsupportedMediaType {
            zh: "请求体须为 FHIR JSON（Content-Type: application/fhir+json）".into(),
            en: "The body must be FHIR JSON (Content-Type: application/fhir+json)".into(),
        }));
    }
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        FhirError(Failure::BadRequest {
            code: "malformed_fhir",
            zh: format!("FHIR JSON 格式错误（{path}）：{inner}"),
            en: format!("Malformed FHIR JSON at {path}: {inner}"),
            field: (path != ".").then_some(path),
        })
    })
}

// ---- the recognition check

/// `ServiceRequest/$recognition-check`: a clinician about to order a test for a patient their
/// institution treats gets the patient's still-valid results from qualified institutions as a
/// Bundle with a DetectedIssue (whose id is the offer to decide on); the look-up is logged. The
/// check needs the treatment relation (care or consent) and never creates one.
pub async fn recognition_check(
    State(state): State<AppState>,
    p: Result<Principal, Failure>,
    headers: HeaderMap,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> FhirResult<Response> {
    let p = p?;
    let base = base_url(&state, &headers);
    let read = || resource_of(&state, &headers, body);
    let json = cases::recognition_check(&state, &p, &base, read).await?;
    Ok(fhir_json(StatusCode::OK, json))
}

/// The request's body as a FHIR resource, read when the use case asks for it (after the caller
/// is known to be allowed).
fn resource_of(state: &AppState, headers: &HeaderMap, body: Result<Bytes, axum::extract::rejection::BytesRejection>) -> FhirResult<Resource> {
    let body = body.map_err(|e| body_error(state, &e))?;
    parse_body::<Resource>(headers, &body)
}

/// A body that could not be read: too large (413), or cut off (400); as an OperationOutcome.
pub fn body_error(state: &AppState, e: &axum::extract::rejection::BytesRejection) -> FhirError {
    FhirError(crate::json::body_error(e, state.config.json_body_bytes))
}

/// `POST /fhir`: imports a Bundle (health commission staff and administrators for any
/// institution, clinicians for their own institution's records); all or nothing.
pub async fn import(
    State(state): State<AppState>,
    p: Result<Principal, Failure>,
    headers: HeaderMap,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> FhirResult<Response> {
    let p = p?;
    let read = || resource_of(&state, &headers, body);
    let out = cases::import(&state, &p, read).await?;
    let json = serde_json::to_string(&Resource::Bundle(Box::new(out))).map_err(|e| FhirError(Failure::internal(e)))?;
    Ok(fhir_json(StatusCode::OK, json))
}

/// Who may call each of the area's routes, and the data scope its use case applies: the area's
/// part of the policy table (`crate::policy::ROUTES`).
pub const POLICY: &[Route] = &[
    fhir("GET", "/fhir/metadata", ANYONE, Scope::Public),
    fhir("POST", "/fhir", IMPORTER, Scope::Record),
    fhir("POST", "/fhir/ServiceRequest/$recognition-check", CLINICIAN, Scope::Purpose),
    fhir("GET", "/fhir/Patient/{id}/$everything", SIGNED_IN, Scope::Purpose),
    fhir("GET", "/fhir/{rtype}", SIGNED_IN, Scope::Purpose),
    fhir("GET", "/fhir/{rtype}/{id}", SIGNED_IN, Scope::Purpose),
];
