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
use domain::ResidentId;
use domain::china_date;
use pool::fhir;
use pool::fhir::OperationOutcome;
use pool::fhir::Resource;
use pool::fhir::ServiceRequest;
use pool::recognition;
use pool::recognition::fhir_time;
use pool::Purpose;
use pool::ReadFacts;
use pool::ReaderKind;
use store::FhirQuery;
use store::OfferRow;
use crate::auth::Principal;
use crate::failure::Failure;
use crate::areas::pool::cases::entry;
use crate::areas::pool::cases::reader_of;
use crate::areas::pool::cases::refusal;
use crate::state::AppState;
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

pub fn routes() -> Router<AppState> {
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
    // Care records (treatment relations): imported in Bundles, read and searched by patient and date.
    let care = |ty: &str| serde_json::json!({"type": ty, "interaction": [{"code": "read"}, {"code": "search-type"}], "searchParam": search(&[("date", "date")])});
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
                care("Encounter"), care("EpisodeOfCare"),
                {"type": "ServiceRequest", "interaction": [{"code": "read"}, {"code": "search-type"}],
                 "searchParam": search(&[("date", "date")]),
                 "operation": [{"name": "recognition-check", "definition": "https://minsheng.fuyang.gov.cn/fhir/OperationDefinition/recognition-check"}]}
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
    p: Result<Principal, Failure>,
    Path((rtype, id)): Path<(String, String)>,
    RawQuery(q): RawQuery,
) -> FhirResult<Response> {
    let p = p?;
    check_type(&rtype)?;
    let reader = reader_of(&state, &p.account).await?;
    let ps = params(q.as_deref());
    let Some(stored) = state.store.fhir_get(&rtype, &id).await? else {
        if rtype == "Patient" {
            let asked = format!("Patient/{}", id.trim());
            return Err(unknown_patient(&state, &reader, &asked, asked.clone(), given_purpose(&ps)).await);
        }
        return Err(FhirError(Failure::not_found("没有这个资源", "No such resource")));
    };
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
    p: Result<Principal, Failure>,
    Path(rtype): Path<String>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
) -> FhirResult<Response> {
    let p = p?;
    check_type(&rtype)?;
    let ps = params(q.as_deref());
    let base = base_url(&state, &headers);
    let reader = reader_of(&state, &p.account).await?;
    let mut count: i64 = 20;
    let mut offset: i64 = 0;
    let mut query = FhirQuery { resource_type: rtype.clone(), ..Default::default() };
    let mut subject: Option<(String, String)> = None;
    for (k, v) in &ps {
        match k.as_str() {
            "patient" | "subject" | "subject:Patient" | "_id" if k != "_id" || rtype == "Patient" => match patient_key(&state, v).await? {
                Some(found) => subject = Some(found),
                None => {
                    let asked = format!("Patient/{}", v.rsplit('/').next().unwrap_or(v).trim());
                    return Err(unknown_patient(&state, &reader, &asked, format!("{rtype}?{k}={asked}"), given_purpose(&ps)).await);
                }
            },
            "identifier" if rtype == "Patient" => {
                let value = v.rsplit('|').next().unwrap_or(v).trim();
                let key = match ResidentId::parse(value) {
                    Ok(id) => id.as_str().to_owned(),
                    Err(_) => v.trim().to_owned(),
                };
                match state.store.fhir_patient_of(&key).await? {
                    Some(f) => subject = Some((f.patient_key, f.logical_id)),
                    None => {
                        let resource = format!("Patient?identifier={}", domain::mask::id_number(&key));
                        return Err(unknown_patient(&state, &reader, &key, resource, given_purpose(&ps)).await);
                    }
                }
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

/// `Patient/{id}/$everything`: the health-record look-up (B4).
pub async fn everything(State(state): State<AppState>, p: Result<Principal, Failure>, Path(id): Path<String>, headers: HeaderMap) -> FhirResult<Response> {
    let p = p?;
    let Some((key, _)) = patient_key(&state, &id).await? else {
        let reader = reader_of(&state, &p.account).await?;
        let asked = format!("Patient/{}", id.trim());
        return Err(unknown_patient(&state, &reader, &asked, format!("{asked}/$everything"), None).await);
    };
    let body = patient_everything(&state, &p, &key, &base_url(&state, &headers)).await?;
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
    let reader = reader_of(&state, &p.account).await?;
    let org = match (reader.kind, reader.org.clone()) {
        (ReaderKind::Clinician, Some(o)) => o,
        _ => return Err(FhirError(Failure::forbidden("只有医疗机构的医生可以做互认查询", "Only clinicians of a medical institution run the recognition check"))),
    };
    let body = body.map_err(|e| body_error(&state, &e))?;
    let req: ServiceRequest = match parse_body::<Resource>(&headers, &body)? {
        Resource::ServiceRequest(r) => r,
        other => {
            return Err(bad("wrong_resource_type", "resourceType", "请求体须为 ServiceRequest", format!("Expected a ServiceRequest, got {}", other.type_name())));
        }
    };
    let item = recognition::check_request(&state.pool.recognition, &req).map_err(invalid)?.clone();
    let found = if let Some(id) = req.subject.id_of("Patient") {
        patient_key(&state, id).await?
    } else {
        match req.subject.identifier.as_ref().and_then(|i| i.value.as_deref()).and_then(|v| ResidentId::parse(v).ok()) {
            Some(k) => state.store.fhir_patient_of(k.as_str()).await?.map(|x| (x.patient_key, x.logical_id)),
            None => None,
        }
    };
    let now = state.now();
    let purpose = Purpose::Treatment { order: Some(format!("order:{}:{}", item.code, req.id.as_deref().unwrap_or("-"))) };
    // An unknown patient is refused like a patient the institution does not treat.
    let (key, patient_id) = match found {
        Some(f) => f,
        None => {
            let subject = req.subject.reference.clone().unwrap_or_else(|| "Patient?identifier".into());
            let d = pool::access::decide(&reader, &subject, "health", Some(&purpose), &ReadFacts::default(), china_date(now));
            let log = entry(&reader, now, &subject, format!("recognition-check:{}", item.code), Some(&purpose), &d);
            state.pool.appender.append(vec![log], Vec::new()).await.map_err(|e| FhirError(Failure::internal(e)))?;
            return Err(FhirError(refusal(&d)));
        }
    };
    let facts = ReadFacts { treatment_relation: crate::areas::pool::cases::treatment_relation(&state, &org, &key, "health").await?, ..Default::default() };
    let d = pool::access::decide(&reader, &key, "health", Some(&purpose), &facts, china_date(now));
    let log = entry(&reader, now, &key, format!("recognition-check:{}", item.code), Some(&purpose), &d);
    if !d.is_allowed() {
        state.pool.appender.append(vec![log], Vec::new()).await.map_err(|e| FhirError(Failure::internal(e)))?;
        return Err(FhirError(refusal(&d)));
    }
    let since = now - chrono::Duration::days(i64::from(item.validity_days)) - chrono::Duration::seconds(1);
    let candidates = state.store.results_for_item(&key, &item.code, since).await?;
    let summaries: Vec<pool::ResultSummary> = candidates.iter().map(|(s, _)| s.clone()).collect();
    let recognisable = recognition::recognisable(&state.pool.recognition, &item, &summaries, now);
    let mut results = Vec::with_capacity(recognisable.len());
    for r in recognisable {
        if let Some((_, data)) = candidates.iter().find(|(s, _)| s.row == r.result.row)
            && let Ok(res) = serde_json::from_str::<Resource>(data)
        {
            results.push((r, res));
        }
    }
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
    state.pool.appender.append(vec![log], offers).await.map_err(|e| FhirError(Failure::internal(e)))?;
    let base = base_url(&state, &headers);
    let bundle = recognition::check_bundle(&base, &format!("Patient/{patient_id}"), &item, &state.pool.recognition, &issue_id.to_string(), &org, &results, now);
    let json = serde_json::to_string(&Resource::Bundle(Box::new(bundle))).map_err(|e| FhirError(Failure::internal(e)))?;
    Ok(fhir_json(StatusCode::OK, json))
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
    let reader = reader_of(&state, &p.account).await?;
    let institution = match (reader.kind, reader.org.as_deref()) {
        (ReaderKind::Clinician, Some(o)) => Some(o.to_owned()),
        (ReaderKind::Department, Some(d)) if state.catalog().department(d).is_some_and(|d| d.has(catalog::Duty::HealthRecords)) => None,
        (ReaderKind::Admin, _) => None,
        _ => return Err(FhirError(Failure::forbidden("只有卫健部门和医疗机构可以导入诊疗记录", "Only the health commission and institutions import health records"))),
    };
    let body = body.map_err(|e| body_error(&state, &e))?;
    let bundle = match parse_body::<Resource>(&headers, &body)? {
        Resource::Bundle(b) => *b,
        other => return Err(bad("wrong_resource_type", "resourceType", "请求体须为 Bundle", format!("Expected a Bundle, got {}", other.type_name()))),
    };
    let (out, _) = import_bundle(&state, bundle, &Importer { reader, institution }).await?;
    let json = serde_json::to_string(&Resource::Bundle(Box::new(out))).map_err(|e| FhirError(Failure::internal(e)))?;
    Ok(fhir_json(StatusCode::OK, json))
}
