//! The HL7 FHIR R4 interface at `/fhir` (`application/fhir+json`): read and search Patient,
//! Observation, DiagnosticReport and ImagingStudy (`patient`, `code`, `date=ge…/le…`, `_count`,
//! `_offset`, paging links), `Patient/{id}/$everything` (the health-record look-up), the import of
//! Bundles, and `ServiceRequest/$recognition-check` (医检互认). Every read of a patient's data is
//! purpose-bound and logged; errors are OperationOutcomes with the status `ApiError` chooses.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::header::{CONTENT_TYPE, HOST};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::{DateTime, Utc};
use domain::{ResidentId, china_date};
use pool::fhir::{self, Bundle, BundleEntry, BundleResponse, Meta, OperationOutcome, Patient, Reference, Resource, ServiceRequest, systems};
use pool::recognition::{self, fhir_time};
use pool::{Purpose, ReadFacts, Reader, ReaderKind};
use store::{FhirQuery, FhirRow, OfferRow};

use crate::auth::Principal;
use crate::error::ApiError;
use crate::pool_api::{self, entry, reader_of, refusal};
use crate::state::AppState;

/// An `ApiError` answered as a FHIR OperationOutcome (same status code).
#[derive(Debug)]
pub struct FhirError(pub ApiError);

impl From<ApiError> for FhirError {
    fn from(e: ApiError) -> FhirError {
        FhirError(e)
    }
}

impl From<store::StoreError> for FhirError {
    fn from(e: store::StoreError) -> FhirError {
        FhirError(e.into())
    }
}

impl IntoResponse for FhirError {
    fn into_response(self) -> Response {
        let status = self.0.status();
        let body = self.0.body();
        if let ApiError::Internal(_) = &self.0 {
            // Logged with its cause chain by ApiError's own response.
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

type FhirResult<T> = Result<T, FhirError>;

fn fhir_json(status: StatusCode, body: String) -> Response {
    (status, [(CONTENT_TYPE, HeaderValue::from_static(fhir::FHIR_JSON))], body).into_response()
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", post(import))
        .route("/metadata", get(metadata))
        .route("/ServiceRequest/$recognition-check", post(recognition_check))
        .route("/Patient/{id}/$everything", get(everything))
        .route("/{rtype}", get(search))
        .route("/{rtype}/{id}", get(read))
        .fallback(|| async { FhirError(ApiError::not_found("FHIR 接口中没有这个资源或操作", "No such FHIR resource type or operation")) })
}

/// The base URL of the FHIR interface as the client reached it.
pub fn base_url(state: &AppState, headers: &HeaderMap) -> String {
    if let Some(u) = &state.config.public_url {
        return format!("{}/fhir", u.trim_end_matches('/'));
    }
    let host = headers.get(HOST).and_then(|h| h.to_str().ok()).filter(|h| h.chars().all(|c| c.is_ascii_graphic())).unwrap_or("localhost");
    format!("http://{host}/fhir")
}

const READABLE: &[&str] = &["Patient", "Observation", "DiagnosticReport", "ImagingStudy"];

fn check_type(rtype: &str) -> FhirResult<()> {
    if READABLE.contains(&rtype) {
        Ok(())
    } else {
        Err(FhirError(ApiError::not_found(
            "只支持 Patient、Observation、DiagnosticReport、ImagingStudy",
            "Supported types: Patient, Observation, DiagnosticReport, ImagingStudy",
        )))
    }
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                match s.get(i + 1..i + 3).and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/:".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The query's parameters in order (repeats kept: `date=ge…&date=le…`).
fn params(q: Option<&str>) -> Vec<(String, String)> {
    q.unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

fn bad(code: &'static str, field: &str, zh: impl Into<String>, en: impl Into<String>) -> FhirError {
    FhirError(ApiError::BadRequest { code, zh: zh.into(), en: en.into(), field: Some(field.to_owned()) })
}

/// A date or dateTime search value as the (from, to) instants it covers.
fn date_range(v: &str) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    if let Ok(d) = chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d") {
        let from = domain::china_start_of_day(d);
        return Some((from, from + chrono::Duration::days(1) - chrono::Duration::microseconds(1)));
    }
    let t = DateTime::parse_from_rfc3339(v).ok()?.with_timezone(&Utc);
    Some((t, t))
}

/// The patient key behind a `Patient/<id>` reference or id.
async fn patient_key(state: &AppState, reference: &str) -> FhirResult<Option<(String, String)>> {
    let id = reference.rsplit('/').next().unwrap_or(reference).trim();
    if fhir::check_id("patient", id).is_err() {
        return Ok(None);
    }
    if let Some(found) = state.pool.cached_patient(id) {
        return Ok(Some(found));
    }
    let found = state.store.fhir_get("Patient", id).await?.map(|p| (p.patient_key, p.logical_id));
    if let Some(f) = &found {
        state.pool.cache_patient(id, f);
    }
    Ok(found)
}

/// The purpose of a FHIR read: as given (`purpose`, `ref`), else treatment for clinicians and own
/// for the patient.
fn fhir_purpose(reader: &Reader, subject: &str, given: Option<(&str, Option<&str>)>) -> FhirResult<Option<Purpose>> {
    if let Some((k, r)) = given {
        return pool_api::parse_purpose(Some(k), r).map_err(FhirError);
    }
    Ok(match reader.kind {
        ReaderKind::Clinician => Some(Purpose::Treatment { order: None }),
        ReaderKind::Subject if reader.own_key.as_deref() == Some(subject) => Some(Purpose::Own),
        _ => None,
    })
}

async fn lawful_read(state: &AppState, reader: &Reader, subject: &str, resource: String, given: Option<(&str, Option<&str>)>) -> FhirResult<()> {
    let purpose = fhir_purpose(reader, subject, given)?;
    let d = pool_api::decide_and_log(state, reader, subject, "health", vec![resource], purpose.as_ref()).await?;
    if d.is_allowed() { Ok(()) } else { Err(FhirError(refusal(&d))) }
}

fn given_purpose(ps: &[(String, String)]) -> Option<(&str, Option<&str>)> {
    let p = ps.iter().find(|(k, _)| k == "purpose").map(|(_, v)| v.as_str())?;
    Some((p, ps.iter().find(|(k, _)| k == "ref").map(|(_, v)| v.as_str())))
}

// ---- capability statement

/// The CapabilityStatement: what this FHIR interface supports.
pub async fn metadata(State(state): State<AppState>) -> Response {
    let search = |extra: &[(&str, &str)]| -> serde_json::Value {
        let mut v = vec![
            serde_json::json!({"name": "patient", "type": "reference"}),
            serde_json::json!({"name": "_count", "type": "number"}),
        ];
        for (n, t) in extra {
            v.push(serde_json::json!({"name": n, "type": t}));
        }
        serde_json::Value::Array(v)
    };
    let result = |ty: &str| {
        serde_json::json!({"type": ty, "interaction": [{"code": "read"}, {"code": "search-type"}],
            "searchParam": search(&[("code", "token"), ("date", "date")])})
    };
    let doc = serde_json::json!({
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": fhir_time(state.now()),
        "publisher": state.pool.issuer,
        "kind": "instance",
        "software": {"name": "minsheng", "version": env!("CARGO_PKG_VERSION")},
        "fhirVersion": "4.0.1",
        "format": ["json"],
        "rest": [{
            "mode": "server",
            "resource": [
                {"type": "Patient", "interaction": [{"code": "read"}, {"code": "search-type"}],
                 "searchParam": [{"name": "identifier", "type": "token"}, {"name": "_id", "type": "token"}],
                 "operation": [{"name": "everything", "definition": "http://hl7.org/fhir/OperationDefinition/Patient-everything"}]},
                result("Observation"), result("DiagnosticReport"), result("ImagingStudy"),
                {"type": "ServiceRequest", "operation": [{"name": "recognition-check", "definition": "https://minsheng.fuyang.gov.cn/fhir/OperationDefinition/recognition-check"}]}
            ],
            "interaction": [{"code": "batch"}, {"code": "transaction"}]
        }]
    });
    fhir_json(StatusCode::OK, doc.to_string())
}

// ---- read and search

/// Reads one resource; logged (refusals too).
pub async fn read(
    State(state): State<AppState>,
    p: Result<Principal, ApiError>,
    Path((rtype, id)): Path<(String, String)>,
    RawQuery(q): RawQuery,
) -> FhirResult<Response> {
    let p = p?;
    check_type(&rtype)?;
    let stored = state.store.fhir_get(&rtype, &id).await?.ok_or_else(|| FhirError(ApiError::not_found("没有这个资源", "No such resource")))?;
    let reader = reader_of(&state, &p.account).await?;
    let ps = params(q.as_deref());
    lawful_read(&state, &reader, &stored.patient_key, format!("{rtype}/{id}"), given_purpose(&ps)).await?;
    let mut resp = fhir_json(StatusCode::OK, stored.data);
    if let Ok(v) = HeaderValue::from_str(&format!("W/\"{}\"", stored.version)) {
        resp.headers_mut().insert(axum::http::header::ETAG, v);
    }
    Ok(resp)
}

/// Searches resources of a patient: `patient` (required), `code`, `date` (repeatable, with
/// ge/gt/le/lt/eq prefixes), `_count` (≤ 200), `_offset`. Patient: `identifier` or `_id`.
pub async fn search(
    State(state): State<AppState>,
    p: Result<Principal, ApiError>,
    Path(rtype): Path<String>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
) -> FhirResult<Response> {
    let p = p?;
    check_type(&rtype)?;
    let ps = params(q.as_deref());
    let base = base_url(&state, &headers);
    let mut count: i64 = 20;
    let mut offset: i64 = 0;
    let mut query = FhirQuery { resource_type: rtype.clone(), ..Default::default() };
    let mut subject: Option<(String, String)> = None;
    for (k, v) in &ps {
        match k.as_str() {
            "patient" | "subject" | "subject:Patient" => {
                subject = Some(patient_key(&state, v).await?.ok_or_else(|| FhirError(ApiError::not_found("没有这个患者", "No such patient")))?);
            }
            "identifier" if rtype == "Patient" => {
                let value = v.rsplit('|').next().unwrap_or(v).trim();
                let key = match ResidentId::parse(value) {
                    Ok(id) => id.as_str().to_owned(),
                    Err(_) => v.trim().to_owned(),
                };
                let found = state.store.fhir_patient_of(&key).await?;
                subject = Some(found.map(|f| (f.patient_key, f.logical_id)).ok_or_else(|| FhirError(ApiError::not_found("没有这个患者", "No such patient")))?);
            }
            "_id" if rtype == "Patient" => {
                subject = Some(patient_key(&state, v).await?.ok_or_else(|| FhirError(ApiError::not_found("没有这个患者", "No such patient")))?);
            }
            "code" => {
                if v.trim().is_empty() || v.contains(',') {
                    return Err(bad("invalid_search", "code", "code 须为一个编码（system|code 或 code）", "code takes one token: system|code or code"));
                }
                query.code = Some(v.trim().to_owned());
            }
            "date" => {
                let (prefix, value) = if v.len() > 2 && v.is_char_boundary(2) && v[..2].chars().all(|c| c.is_ascii_lowercase()) { v.split_at(2) } else { ("eq", v.as_str()) };
                let (from, to) = date_range(value)
                    .ok_or_else(|| bad("invalid_search", "date", format!("日期「{v}」无效"), format!("date {v:?} is not a FHIR date (e.g. ge2026-03-01)")))?;
                match prefix {
                    "ge" | "gt" => query.from = Some(from),
                    "le" | "lt" => query.to = Some(to),
                    "eq" => {
                        query.from = Some(from);
                        query.to = Some(to);
                    }
                    _ => return Err(bad("invalid_search", "date", "日期前缀须为 ge、gt、le、lt 或 eq", "date prefixes: ge, gt, le, lt, eq")),
                }
            }
            "_count" => {
                count = v.parse::<i64>().ok().filter(|c| (1..=200).contains(c)).ok_or_else(|| bad("invalid_search", "_count", "_count 须为 1–200", "_count must be 1–200"))?;
            }
            "_offset" => {
                offset = v.parse::<i64>().ok().filter(|c| *c >= 0).ok_or_else(|| bad("invalid_search", "_offset", "_offset 须为非负整数", "_offset must be ≥ 0"))?;
            }
            "purpose" | "ref" | "_format" => {}
            other => {
                return Err(bad("unsupported_search_parameter", other, format!("不支持的查询参数：{other}"), format!("Unsupported search parameter: {other}")));
            }
        }
    }
    let Some((key, patient_id)) = subject else {
        return Err(bad("patient_required", "patient", "查询须指定患者（patient=Patient/…）", "A search needs the patient (patient=Patient/…)"));
    };
    let reader = reader_of(&state, &p.account).await?;
    lawful_read(&state, &reader, &key, format!("{rtype}?patient=Patient/{patient_id}"), given_purpose(&ps)).await?;
    query.patient_key = key;
    query.limit = count;
    query.offset = offset;
    let (rows, total) = state.store.fhir_search(&query).await?;
    // The self link repeats the query; next/previous move the offset.
    let kept: Vec<(String, String)> = ps.iter().filter(|(k, _)| k != "_offset" && k != "_count").cloned().collect();
    let link = |off: i64| -> String {
        let mut parts: Vec<String> = kept.iter().map(|(k, v)| format!("{}={}", percent_encode(k), percent_encode(v))).collect();
        parts.push(format!("_count={count}"));
        parts.push(format!("_offset={off}"));
        format!("{base}/{rtype}?{}", parts.join("&"))
    };
    let mut links = vec![format!(r#"{{"relation":"self","url":{}}}"#, json_str(&link(offset)))];
    if offset + count < total {
        links.push(format!(r#"{{"relation":"next","url":{}}}"#, json_str(&link(offset + count))));
    }
    if offset > 0 {
        links.push(format!(r#"{{"relation":"previous","url":{}}}"#, json_str(&link((offset - count).max(0)))));
    }
    let entries: Vec<String> = rows
        .iter()
        .map(|(id, data)| format!(r#"{{"fullUrl":{},"resource":{data},"search":{{"mode":"match"}}}}"#, json_str(&format!("{base}/{rtype}/{id}"))))
        .collect();
    let mut body = format!(
        r#"{{"resourceType":"Bundle","type":"searchset","timestamp":{},"total":{total},"link":[{}]"#,
        json_str(&fhir_time(state.now())),
        links.join(",")
    );
    if !entries.is_empty() {
        body.push_str(&format!(r#","entry":[{}]"#, entries.join(",")));
    }
    body.push('}');
    Ok(fhir_json(StatusCode::OK, body))
}

fn json_str(s: &str) -> String {
    serde_json::Value::String(s.to_owned()).to_string()
}

/// The patient's record: Patient and recent results as a searchset Bundle, read for treatment
/// (or by the patient) and logged. `key` is the patient's ID number.
pub async fn patient_everything(state: &AppState, p: &Principal, key: &str, base: &str) -> Result<String, ApiError> {
    let patient = state.store.fhir_patient_of(key).await?.ok_or_else(|| ApiError::not_found("没有这个患者的健康档案", "No health record for this patient"))?;
    let reader = reader_of(state, &p.account).await?;
    let purpose = fhir_purpose(&reader, key, None).map_err(|e| e.0)?;
    let d = pool_api::decide_and_log(state, &reader, key, "health", vec![format!("Patient/{}/$everything", patient.logical_id)], purpose.as_ref()).await?;
    if !d.is_allowed() {
        return Err(refusal(&d));
    }
    let recent = state.store.fhir_recent(key, 100).await?;
    let mut entries = vec![format!(
        r#"{{"fullUrl":{},"resource":{},"search":{{"mode":"match"}}}}"#,
        json_str(&format!("{base}/Patient/{}", patient.logical_id)),
        patient.data
    )];
    for (t, id, data) in &recent {
        entries.push(format!(r#"{{"fullUrl":{},"resource":{data},"search":{{"mode":"include"}}}}"#, json_str(&format!("{base}/{t}/{id}"))));
    }
    Ok(format!(
        r#"{{"resourceType":"Bundle","type":"searchset","timestamp":{},"total":1,"link":[{{"relation":"self","url":{}}}],"entry":[{}]}}"#,
        json_str(&fhir_time(state.now())),
        json_str(&format!("{base}/Patient/{}/$everything", patient.logical_id)),
        entries.join(",")
    ))
}

/// `Patient/{id}/$everything`: the health-record look-up (B4).
pub async fn everything(State(state): State<AppState>, p: Result<Principal, ApiError>, Path(id): Path<String>, headers: HeaderMap) -> FhirResult<Response> {
    let p = p?;
    let (key, _) = patient_key(&state, &id).await?.ok_or_else(|| FhirError(ApiError::not_found("没有这个患者", "No such patient")))?;
    let body = patient_everything(&state, &p, &key, &base_url(&state, &headers)).await?;
    Ok(fhir_json(StatusCode::OK, body))
}

// ---- parsing bodies

fn parse_body<T: serde::de::DeserializeOwned>(headers: &HeaderMap, bytes: &[u8]) -> FhirResult<T> {
    let ct = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    if !(ct.starts_with(fhir::FHIR_JSON) || ct.starts_with("application/json")) {
        return Err(FhirError(ApiError::UnsupportedMediaType {
            zh: "请求体须为 FHIR JSON（Content-Type: application/fhir+json）".into(),
            en: "The body must be FHIR JSON (Content-Type: application/fhir+json)".into(),
        }));
    }
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        FhirError(ApiError::BadRequest {
            code: "malformed_fhir",
            zh: format!("FHIR JSON 格式错误（{path}）：{inner}"),
            en: format!("Malformed FHIR JSON at {path}: {inner}"),
            field: (path != ".").then_some(path),
        })
    })
}

fn invalid(e: pool::PoolError) -> FhirError {
    use domain::Describe;
    let field = e.field_path();
    FhirError(ApiError::Invalid { code: e.code(), zh: e.message_zh(), en: e.message_en(), field })
}

// ---- the recognition check

/// `ServiceRequest/$recognition-check`: a clinician about to order a test gets the patient's
/// still-valid results from qualified institutions as a Bundle with a DetectedIssue (whose id is
/// the offer to decide on); the look-up is logged.
pub async fn recognition_check(State(state): State<AppState>, p: Result<Principal, ApiError>, headers: HeaderMap, body: Bytes) -> FhirResult<Response> {
    let p = p?;
    let reader = reader_of(&state, &p.account).await?;
    let org = match (reader.kind, reader.org.clone()) {
        (ReaderKind::Clinician, Some(o)) => o,
        _ => return Err(FhirError(ApiError::forbidden("只有医疗机构的医生可以做互认查询", "Only clinicians of a medical institution run the recognition check"))),
    };
    let req: ServiceRequest = match parse_body::<Resource>(&headers, &body)? {
        Resource::ServiceRequest(r) => r,
        other => {
            return Err(bad("wrong_resource_type", "resourceType", "请求体须为 ServiceRequest", format!("Expected a ServiceRequest, got {}", other.type_name())));
        }
    };
    let item = recognition::check_request(&state.pool.recognition, &req).map_err(invalid)?.clone();
    let key = if let Some(id) = req.subject.id_of("Patient") {
        patient_key(&state, id).await?.map(|(k, _)| k)
    } else {
        req.subject.identifier.as_ref().and_then(|i| i.value.as_deref()).and_then(|v| ResidentId::parse(v).ok()).map(|r| r.as_str().to_owned())
    };
    let key = key.ok_or_else(|| FhirError(ApiError::not_found("没有这个患者", "No such patient")))?;
    let patient_ref = req.subject.reference.clone().unwrap_or_else(|| "Patient".into());
    let now = state.now();
    let since = now - chrono::Duration::days(i64::from(item.validity_days)) - chrono::Duration::seconds(1);
    let candidates = state.store.results_for_item(&key, &item.code, since).await?;
    let summaries: Vec<pool::ResultSummary> = candidates.iter().map(|(s, _)| s.clone()).collect();
    let found = recognition::recognisable(&state.pool.recognition, &item, &summaries, now);
    let mut results = Vec::with_capacity(found.len());
    for r in found {
        if let Some((_, data)) = candidates.iter().find(|(s, _)| s.row == r.result.row)
            && let Ok(res) = serde_json::from_str::<Resource>(data)
        {
            results.push((r, res));
        }
    }
    let purpose = Purpose::Treatment { order: Some(format!("order:{}:{}", item.code, req.id.as_deref().unwrap_or("-"))) };
    let facts = ReadFacts { treatment_relation: true, ..Default::default() };
    let d = pool::access::decide(&reader, &key, "health", Some(&purpose), &facts, china_date(now));
    let issue_id = state.parts.ids.next();
    let offers: Vec<OfferRow> = results
        .first()
        .map(|(r, _)| OfferRow {
            id: issue_id,
            at: now,
            patient_key: key.clone(),
            item: item.code.clone(),
            ordering_institution: org.clone(),
            clinician: Some(p.id().0),
            result_type: r.result.resource_type.clone(),
            result_id: r.result.logical_id.clone(),
            result_institution: r.result.institution.clone(),
            price_fen: r.price_fen,
        })
        .into_iter()
        .collect();
    let log = entry(&reader, now, &key, format!("recognition-check:{}", item.code), Some(&purpose), &d);
    state.pool.appender.append(vec![log], offers).await.map_err(|e| FhirError(ApiError::internal(e)))?;
    if !d.is_allowed() {
        return Err(FhirError(refusal(&d)));
    }
    state.pool.remember_order(&org, &key, now);
    let base = base_url(&state, &headers);
    let bundle = recognition::check_bundle(&base, &patient_ref, &item, &state.pool.recognition, &issue_id.to_string(), &org, &results, now);
    let json = serde_json::to_string(&Resource::Bundle(Box::new(bundle))).map_err(|e| FhirError(ApiError::internal(e)))?;
    Ok(fhir_json(StatusCode::OK, json))
}

// ---- import

/// What an import did.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct ImportReport {
    pub patients: usize,
    pub results: usize,
}

/// The stored row of a resource: its JSON and the columns search and the recognition check use.
pub fn index_row(state: &AppState, res: &Resource, id: i64, key: &str, now: DateTime<Utc>) -> FhirResult<FhirRow> {
    let code = res.code().and_then(|c| c.coding.first()).map(|c| format!("{}|{}", c.system.clone().unwrap_or_default(), c.code.clone().unwrap_or_default()));
    // Reports and imaging studies are the results a recognition stands on, not their observations.
    let item = match res {
        Resource::DiagnosticReport(_) | Resource::ImagingStudy(_) => res.code().and_then(|c| state.pool.recognition.item_for(c)).map(|i| i.code.clone()),
        _ => None,
    };
    let effective = match res.effective() {
        Some(e) => Some(
            date_range(e)
                .or_else(|| date_range(&format!("{e}-01")))
                .map(|(f, _)| f)
                .ok_or_else(|| invalid(pool::PoolError::fhir("effective", format!("{e:?} is not a dateTime"))))?,
        ),
        None => None,
    };
    Ok(FhirRow {
        id,
        resource_type: res.type_name().to_owned(),
        logical_id: res.id().unwrap_or_default().to_owned(),
        patient_key: key.to_owned(),
        code,
        item,
        institution: res.institution().map(str::to_owned),
        effective,
        status: res.status().map(str::to_owned),
        updated_at: now,
        data: serde_json::to_string(res).map_err(|e| FhirError(ApiError::internal(e)))?,
    })
}

/// The patient key of a Patient: its resident ID number, else `system|value` of its first
/// identifier.
pub fn patient_key_of(p: &Patient) -> Option<String> {
    if let Some(v) = p.identifier_value(systems::RESIDENT_ID) {
        return ResidentId::parse(v).ok().map(|r| r.as_str().to_owned());
    }
    p.identifier.first().and_then(|i| Some(format!("{}|{}", i.system.clone().unwrap_or_default(), i.value.clone()?)))
}

/// Imports a Bundle (transaction, batch or collection) of Patients and results, all or nothing.
/// `institution`: the importing clinician's institution, which every result must name.
pub async fn import_bundle(state: &AppState, bundle: Bundle, institution: Option<&str>) -> FhirResult<(Bundle, ImportReport)> {
    if !matches!(bundle.type_.as_str(), "transaction" | "batch" | "collection") {
        return Err(invalid(pool::PoolError::fhir("type", "import a transaction, batch or collection Bundle")));
    }
    fhir::validate(&Resource::Bundle(Box::new(bundle.clone())), "").map_err(invalid)?;
    let now = state.now();
    let mut rows: Vec<FhirRow> = Vec::new();
    let mut report = ImportReport::default();
    // Patients first: reference (fullUrl or Patient/id) → (key, logical id).
    let mut patients: std::collections::HashMap<String, (String, String)> = std::collections::HashMap::new();
    let mut seen: std::collections::HashSet<(String, String)> = std::collections::HashSet::new();
    for (i, e) in bundle.entry.iter().enumerate() {
        let Some(Resource::Patient(p)) = &e.resource else { continue };
        let key = patient_key_of(p).ok_or_else(|| invalid(pool::PoolError::fhir(format!("entry[{i}].resource.identifier"), "a patient needs an identifier")))?;
        let existing = state.store.fhir_patient_of(&key).await?;
        let logical = match (&existing, &p.id) {
            (Some(x), _) => x.logical_id.clone(),
            (None, Some(id)) => id.clone(),
            (None, None) => format!("p{}", state.parts.ids.next()),
        };
        let mut res = Resource::Patient(p.clone());
        res.set_id(logical.clone());
        set_meta(&mut res, now, None);
        if let Some(u) = &e.full_url {
            patients.insert(u.clone(), (key.clone(), logical.clone()));
        }
        if let Some(id) = &p.id {
            patients.insert(format!("Patient/{id}"), (key.clone(), logical.clone()));
        }
        patients.insert(format!("Patient/{logical}"), (key.clone(), logical.clone()));
        if seen.insert(("Patient".into(), logical.clone())) {
            rows.push(index_row(state, &res, state.parts.ids.next(), &key, now)?);
            report.patients += 1;
        }
    }
    for (i, e) in bundle.entry.iter().enumerate() {
        let Some(res) = &e.resource else { continue };
        if matches!(res, Resource::Patient(_)) {
            continue;
        }
        if !matches!(res, Resource::Observation(_) | Resource::DiagnosticReport(_) | Resource::ImagingStudy(_)) {
            return Err(invalid(pool::PoolError::fhir(format!("entry[{i}].resource.resourceType"), "import Patient, Observation, DiagnosticReport or ImagingStudy")));
        }
        let path = format!("entry[{i}].resource.subject");
        let subject = res.subject().cloned().unwrap_or_default();
        let resolved = match subject.reference.as_deref() {
            Some(r) if patients.contains_key(r) => patients.get(r).cloned(),
            Some(r) => patient_key(state, r).await?,
            None => None,
        };
        let resolved = match resolved {
            Some(x) => x,
            None => {
                // A resident ID number in the reference's identifier will do if the patient is known.
                let key = subject.identifier.as_ref().and_then(|i| i.value.as_deref()).and_then(|v| ResidentId::parse(v).ok()).map(|r| r.as_str().to_owned());
                match key {
                    Some(k) => match state.store.fhir_patient_of(&k).await? {
                        Some(p) => (p.patient_key, p.logical_id),
                        None => return Err(invalid(pool::PoolError::fhir(path, "the patient is neither in the Bundle nor on this server"))),
                    },
                    None => return Err(invalid(pool::PoolError::fhir(path, "the patient is neither in the Bundle nor on this server"))),
                }
            }
        };
        let mut res = res.clone();
        let inst = res.institution().map(str::to_owned);
        match (&inst, institution) {
            (Some(a), Some(b)) if a != b => {
                return Err(FhirError(ApiError::forbidden(format!("第 {i} 项结果不是本机构出具的"), format!("entry[{i}] was not produced by your institution"))));
            }
            (None, _) => {
                return Err(invalid(pool::PoolError::fhir(format!("entry[{i}].resource.performer"), "a result must name its institution (performer, or the accession's assigner for ImagingStudy)")));
            }
            (Some(a), _) if state.pool.recognition.institution(a).is_none() => {
                return Err(invalid(pool::PoolError::fhir(format!("entry[{i}].resource.performer"), format!("unknown institution {a}"))));
            }
            _ => {}
        }
        if res.id().is_none() {
            res.set_id(format!("{}{}", res.type_name().chars().next().unwrap_or('r').to_ascii_lowercase(), state.parts.ids.next()));
        }
        if let Some(s) = res.subject_mut() {
            *s = Some(Reference::to(&format!("Patient/{}", resolved.1)));
        }
        if let Resource::ImagingStudy(x) = &mut res {
            x.subject = Reference::to(&format!("Patient/{}", resolved.1));
        }
        let hr = res.code().and_then(|c| state.pool.recognition.item_for(c)).zip(inst.as_deref()).is_some_and(|(it, ins)| state.pool.recognition.qualified(ins, &it.code));
        set_meta(&mut res, now, hr.then_some(()));
        if !seen.insert((res.type_name().to_owned(), res.id().unwrap_or_default().to_owned())) {
            return Err(invalid(pool::PoolError::fhir(format!("entry[{i}].resource.id"), "the Bundle holds this resource twice")));
        }
        rows.push(index_row(state, &res, state.parts.ids.next(), &resolved.0, now)?);
        report.results += 1;
    }
    state.store.upsert_fhir(&rows).await?;
    if report.patients > 0 {
        state.pool.forget_patients();
    }
    let response_type = if bundle.type_ == "transaction" { "transaction-response" } else { "batch-response" };
    let out = Bundle {
        id: None,
        meta: None,
        type_: response_type.into(),
        timestamp: Some(fhir_time(now)),
        total: None,
        link: Vec::new(),
        entry: rows
            .iter()
            .map(|r| BundleEntry {
                full_url: None,
                resource: None,
                search: None,
                request: None,
                response: Some(BundleResponse { status: "200 OK".into(), location: Some(format!("{}/{}", r.resource_type, r.logical_id)) }),
            })
            .collect(),
    };
    Ok((out, report))
}

fn set_meta(res: &mut Resource, now: DateTime<Utc>, hr: Option<()>) {
    if let Some(meta) = res.meta_mut() {
        let mut m = meta.take().unwrap_or_default();
        m.last_updated = Some(fhir_time(now));
        m.tag.retain(|t| t.system.as_deref() != Some(systems::MARK));
        if hr.is_some() {
            m.tag.push(fhir::Coding::new(systems::MARK, "HR", "互认"));
        }
        *meta = Some(Meta { version_id: None, ..m });
    }
}

/// `POST /fhir`: imports a Bundle (health commission staff, or clinicians for their institution's
/// results); all or nothing.
pub async fn import(State(state): State<AppState>, p: Result<Principal, ApiError>, headers: HeaderMap, body: Bytes) -> FhirResult<Response> {
    let p = p?;
    let reader = reader_of(&state, &p.account).await?;
    let institution = match (reader.kind, reader.org.as_deref()) {
        (ReaderKind::Clinician, Some(o)) => Some(o.to_owned()),
        (ReaderKind::Department, Some("wjw")) | (ReaderKind::Admin, _) => None,
        _ => return Err(FhirError(ApiError::forbidden("只有卫健部门和医疗机构可以导入检查检验结果", "Only the health commission and institutions import results"))),
    };
    let bundle = match parse_body::<Resource>(&headers, &body)? {
        Resource::Bundle(b) => *b,
        other => return Err(bad("wrong_resource_type", "resourceType", "请求体须为 Bundle", format!("Expected a Bundle, got {}", other.type_name()))),
    };
    let (out, _) = import_bundle(&state, bundle, institution.as_deref()).await?;
    let json = serde_json::to_string(&Resource::Bundle(Box::new(out))).map_err(|e| FhirError(ApiError::internal(e)))?;
    Ok(fhir_json(StatusCode::OK, json))
}
