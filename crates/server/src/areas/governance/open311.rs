//! The Open311 GeoReport v2 endpoints under `/api/open311/v2`: service list and definitions,
//! service requests read by anyone and posted by client applications with their `api_key`
//! (form-encoded as the specification has it, `attribute[code]` keys; a resident's session may
//! sign the report), errors as Open311's list of `{code, description}`. Existing Open311 clients
//! and libraries read and post without change.

use axum::Json;
use axum::body::Bytes;
use axum::extract::Path;
use axum::extract::RawQuery;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use axum::response::Response;
use chrono::DateTime;
use chrono::Utc;
use governance::Issue;
use governance::open311::Open311Error;
use governance::open311::RawRequest;
use governance::open311::RequestCreated;
use governance::open311::ServiceDefinition;
use governance::open311::ServiceRequest;
use store::GovFilter;
use crate::auth::MaybePrincipal;
use crate::failure::Failure;
use crate::state::AppState;
use super::cases;
use super::cases::rules;

/// An Open311 error answer: the status and a one-entry error list.
fn error(status: StatusCode, description: String) -> Response {
    (status, Json(vec![Open311Error { code: status.as_u16(), description }])).into_response()
}

/// A failure of the use cases in Open311's form: unknown things 404, refusals 403, the rest 400;
/// faults of ours keep our own answer (and its logging).
fn failure(f: Failure) -> Response {
    let status = match &f {
        Failure::NotFound { .. } => StatusCode::NOT_FOUND,
        Failure::Forbidden { .. } | Failure::Unauthorized => StatusCode::FORBIDDEN,
        Failure::Invalid { code: "unknown_service", .. } => StatusCode::NOT_FOUND,
        Failure::Invalid { .. } | Failure::BadRequest { .. } | Failure::Conflict { .. } => StatusCode::BAD_REQUEST,
        _ => return f.into_response(),
    };
    let (_, zh, en, field) = f.parts();
    let field = field.map(|x| format!(" ({x})")).unwrap_or_default();
    error(status, format!("{en}{field} / {zh}"))
}

type Params = Vec<(String, String)>;

fn params(query: Option<&str>) -> Result<Params, Response> {
    serde_urlencoded::from_str(query.unwrap_or("")).map_err(|_| error(StatusCode::BAD_REQUEST, "The query string is not form-encoded / 查询参数格式错误".into()))
}

fn get<'a>(p: &'a Params, key: &str) -> Option<&'a str> {
    p.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str()).filter(|v| !v.trim().is_empty())
}

/// `jurisdiction_id`, when given, must be this server's.
fn jurisdiction(state: &AppState, p: &Params) -> Result<(), Response> {
    match get(p, "jurisdiction_id") {
        Some(j) if j.trim() != state.config.governance.jurisdiction_id => Err(error(StatusCode::NOT_FOUND, format!("jurisdiction_id {j:?} is not served here / 本服务不受理该辖区"))),
        _ => Ok(()),
    }
}

/// The format from a path segment: `x.json` or `x`; `.xml` is not offered.
fn strip_format(s: &str) -> Result<&str, Response> {
    if let Some(x) = s.strip_suffix(".json") {
        return Ok(x);
    }
    if s.ends_with(".xml") {
        return Err(error(StatusCode::BAD_REQUEST, "Only the JSON format is offered / 仅提供 JSON 格式".into()));
    }
    Ok(s)
}

/// GET services: every issue category, with its group and keywords.
#[utoipa::path(get, path = "/api/open311/v2/services.json", tag = "open311", params(("jurisdiction_id" = Option<String>, Query)),
    responses((status = 200, description = "Open311 services", body = [Object]), (status = 404, description = "Open311 error list", body = [Object])))]
pub async fn services(State(state): State<AppState>, RawQuery(q): RawQuery) -> Response {
    let p = match params(q.as_deref()) {
        Ok(p) => p,
        Err(r) => return r,
    };
    if let Err(r) = jurisdiction(&state, &p) {
        return r;
    }
    Json(governance::open311::services(&rules().routing)).into_response()
}

/// GET services/{code}.json: a service's attributes.
#[utoipa::path(get, path = "/api/open311/v2/services/{file}", tag = "open311", params(("file" = String, Path, description = "service_code.json"), ("jurisdiction_id" = Option<String>, Query)),
    responses((status = 200, description = "Open311 service definition", body = Object), (status = 400, description = "Open311 error list", body = [Object]), (status = 404, description = "Open311 error list", body = [Object])))]
pub async fn definition(State(state): State<AppState>, Path(file): Path<String>, RawQuery(q): RawQuery) -> Response {
    let p = match params(q.as_deref()) {
        Ok(p) => p,
        Err(r) => return r,
    };
    if let Err(r) = jurisdiction(&state, &p) {
        return r;
    }
    let code = match strip_format(&file) {
        Ok(c) => c,
        Err(r) => return r,
    };
    match governance::open311::definition(&rules().routing, code) {
        Ok(d) => Json::<ServiceDefinition>(d).into_response(),
        Err(_) => error(StatusCode::NOT_FOUND, format!("service_code {code:?} not found / 没有这类诉求")),
    }
}

fn parse_time(p: &Params, key: &str) -> Result<Option<DateTime<Utc>>, Response> {
    match get(p, key) {
        None => Ok(None),
        Some(s) => DateTime::parse_from_rfc3339(s.trim())
            .map(|t| Some(t.with_timezone(&Utc)))
            .map_err(|_| error(StatusCode::BAD_REQUEST, format!("{key} {s:?} is not a W3C datetime such as 2026-01-01T00:00:00Z / 时间格式错误"))),
    }
}

async fn requests_of(state: &AppState, issues: Vec<Issue>) -> Result<Vec<ServiceRequest>, Failure> {
    let mut estates = std::collections::BTreeMap::new();
    let mut out = Vec::new();
    for i in issues {
        let key = i.estate.0 as i64;
        if !estates.contains_key(&key) {
            estates.insert(key, cases::estate_of(state, key).await?);
        }
        if let Some(e) = estates.get(&key) {
            out.push(ServiceRequest::of(&i, e, &rules().routing));
        }
    }
    Ok(out)
}

/// GET requests: by ids (comma-separated), or by service codes, status and a date range of at
/// most 90 days (the last 90 by default); newest first, at most 1,000.
#[utoipa::path(get, path = "/api/open311/v2/requests.json", tag = "open311",
    params(("service_request_id" = Option<String>, Query), ("service_code" = Option<String>, Query), ("start_date" = Option<String>, Query), ("end_date" = Option<String>, Query), ("status" = Option<String>, Query), ("jurisdiction_id" = Option<String>, Query)),
    responses((status = 200, description = "Open311 service requests", body = [Object]), (status = 400, description = "Open311 error list", body = [Object]), (status = 404, description = "Open311 error list", body = [Object])))]
pub async fn requests(State(state): State<AppState>, RawQuery(q): RawQuery) -> Response {
    match list(&state, q.as_deref()).await {
        Ok(r) | Err(r) => r,
    }
}

async fn list(state: &AppState, q: Option<&str>) -> Result<Response, Response> {
    let p = params(q)?;
    jurisdiction(state, &p)?;
    let g = state.store.governance();
    if let Some(ids) = get(&p, "service_request_id") {
        let ids: Vec<i64> = ids.split(',').filter_map(|s| s.trim().parse::<i64>().ok()).take(100).collect();
        let docs = g.docs("issue", &ids).await.map_err(|e| failure(e.into()))?;
        let issues: Vec<Issue> = docs.iter().map(cases::decode).collect::<Result<_, _>>().map_err(failure)?;
        return Ok(Json(requests_of(state, issues).await.map_err(failure)?).into_response());
    }
    let end = parse_time(&p, "end_date")?.unwrap_or_else(|| state.now());
    let start = parse_time(&p, "start_date")?.unwrap_or(end - chrono::Duration::days(90));
    if start > end || end - start > chrono::Duration::days(90) {
        return Err(error(StatusCode::BAD_REQUEST, "start_date to end_date may span at most 90 days / 时间范围不能超过 90 天".into()));
    }
    let codes: Vec<String> = get(&p, "service_code").map(|s| s.split(',').map(|c| c.trim().to_owned()).filter(|c| !c.is_empty()).collect()).unwrap_or_default();
    for c in &codes {
        if rules().routing.category(c).is_err() {
            return Err(error(StatusCode::NOT_FOUND, format!("service_code {c:?} not found / 没有这类诉求")));
        }
    }
    let statuses: Vec<String> = get(&p, "status").map(|s| s.split(',').map(|c| c.trim().to_owned()).collect()).unwrap_or_default();
    if statuses.iter().any(|s| s != "open" && s != "closed") {
        return Err(error(StatusCode::BAD_REQUEST, "status must be open or closed / status 须为 open 或 closed".into()));
    }
    let open = match (statuses.iter().any(|s| s == "open"), statuses.iter().any(|s| s == "closed")) {
        (true, false) => Some(true),
        (false, true) => Some(false),
        _ => None,
    };
    let f = GovFilter { open, created_from: Some(start), created_until: Some(end + chrono::Duration::seconds(1)), by_created: true, ..Default::default() };
    let (docs, _) = g.list("issue", &f, store::Page::new(1000, 0)).await.map_err(|e| failure(e.into()))?;
    let mut issues: Vec<Issue> = docs.iter().map(cases::decode).collect::<Result<_, _>>().map_err(failure)?;
    if !codes.is_empty() {
        issues.retain(|i| codes.contains(&i.category));
    }
    // "open" in Open311 is work owed; a resolved issue waiting for its reporter is not closed yet.
    if open == Some(false) {
        issues.retain(|i| i.state.is_closed());
    }
    Ok(Json(requests_of(state, issues).await.map_err(failure)?).into_response())
}

/// GET requests/{id}.json: one request, in a list as the specification has it.
#[utoipa::path(get, path = "/api/open311/v2/requests/{file}", tag = "open311", params(("file" = String, Path, description = "service_request_id.json"), ("jurisdiction_id" = Option<String>, Query)),
    responses((status = 200, description = "A list of one Open311 service request", body = [Object]), (status = 400, description = "Open311 error list", body = [Object]), (status = 404, description = "Open311 error list", body = [Object])))]
pub async fn request(State(state): State<AppState>, Path(file): Path<String>, RawQuery(q): RawQuery) -> Response {
    let run = async {
        let p = params(q.as_deref())?;
        jurisdiction(&state, &p)?;
        let id = strip_format(&file)?;
        let not_found = || error(StatusCode::NOT_FOUND, format!("service_request_id {id:?} not found / 没有这条诉求"));
        let n = id.trim().parse::<i64>().map_err(|_| not_found())?;
        let doc = state.store.governance().doc("issue", n).await.map_err(|e| failure(e.into()))?.ok_or_else(not_found)?;
        let issue: Issue = cases::decode(&doc).map_err(failure)?;
        Ok::<Response, Response>(Json(requests_of(&state, vec![issue]).await.map_err(failure)?).into_response())
    };
    match run.await {
        Ok(r) | Err(r) => r,
    }
}

/// The fields of a POST, from the query string and the form (or JSON) body.
fn raw_request(query: &Params, headers: &HeaderMap, body: &[u8]) -> Result<(RawRequest, Params), Response> {
    let json = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| v.starts_with("application/json"));
    let mut fields: Params = query.clone();
    if json {
        let v: serde_json::Map<String, serde_json::Value> = serde_json::from_slice(body).map_err(|_| error(StatusCode::BAD_REQUEST, "The body is not a JSON object / 请求体不是 JSON 对象".into()))?;
        for (k, v) in v {
            let text = match v {
                serde_json::Value::String(s) => s,
                serde_json::Value::Number(n) => n.to_string(),
                serde_json::Value::Bool(b) => b.to_string(),
                serde_json::Value::Object(m) if k == "attribute" => {
                    for (ak, av) in m {
                        fields.push((format!("attribute[{ak}]"), av.as_str().map(str::to_owned).unwrap_or_else(|| av.to_string())));
                    }
                    continue;
                }
                _ => continue,
            };
            fields.push((k, text));
        }
    } else {
        let form: Params = serde_urlencoded::from_bytes(body).map_err(|_| error(StatusCode::BAD_REQUEST, "The body is not form-encoded / 请求体格式错误".into()))?;
        fields.extend(form);
    }
    let mut raw = RawRequest::default();
    for (k, v) in &fields {
        let v = v.clone();
        match k.as_str() {
            "service_code" => raw.service_code = Some(v),
            "lat" => raw.lat = Some(v),
            "long" => raw.long = Some(v),
            "address_string" => raw.address_string = Some(v),
            "address_id" => raw.address_id = Some(v),
            "description" => raw.description = Some(v),
            "media_url" => raw.media_url = Some(v),
            "email" => raw.email = Some(v),
            "device_id" => raw.device_id = Some(v),
            "account_id" => raw.account_id = Some(v),
            "first_name" => raw.first_name = Some(v),
            "last_name" => raw.last_name = Some(v),
            "phone" => raw.phone = Some(v),
            other => {
                if let Some(code) = other.strip_prefix("attribute[").and_then(|r| r.strip_suffix(']')) {
                    // A multivaluelist may repeat a code (attribute[x][]=a&attribute[x][]=b).
                    let code = code.trim_end_matches("][");
                    raw.attributes.insert(code.to_owned(), v);
                }
            }
        }
    }
    Ok((raw, fields))
}

/// POST requests: a client application (its `api_key`) reports an issue; signed by the
/// resident's session when one is sent, else by the application. Answers the new request's id.
#[utoipa::path(post, path = "/api/open311/v2/requests.json", tag = "open311",
    params(("api_key" = Option<String>, Query), ("jurisdiction_id" = Option<String>, Query)),
    request_body(content = Object, description = "Open311 fields, form-encoded: service_code, lat, long, address_string, description, media_url, attribute[code], email, account_id, …", content_type = "application/x-www-form-urlencoded"),
    responses((status = 200, description = "A list of one created request", body = [Object]), (status = 400, description = "Open311 error list", body = [Object]), (status = 403, description = "Open311 error list", body = [Object]), (status = 404, description = "Open311 error list", body = [Object])))]
pub async fn post_request(State(state): State<AppState>, MaybePrincipal(who): MaybePrincipal, RawQuery(q): RawQuery, headers: HeaderMap, body: Bytes) -> Response {
    let run = async {
        let query = params(q.as_deref())?;
        let (raw, fields) = raw_request(&query, &headers, &body)?;
        jurisdiction(&state, &fields)?;
        let key = get(&fields, "api_key").ok_or_else(|| error(StatusCode::FORBIDDEN, "api_key is required to post requests / 提交诉求须提供 api_key".into()))?;
        let client = state.store.governance().client_by_key(&super::civic::key_hash(key.trim())).await.map_err(|e| failure(e.into()))?;
        let client = match client {
            Some(c) if c.revoked_at.is_none() => c,
            _ => return Err(error(StatusCode::FORBIDDEN, "Invalid api_key / api_key 无效或已停用".into())),
        };
        let reporter = match &who {
            Some(p) if p.account.kind == store::AccountKind::Citizen => p.id().0,
            _ => client.account,
        };
        let checked = cases::check(&state, &raw).map_err(failure)?;
        let (issue, estate) = cases::report_checked(&state, reporter, None, checked).await.map_err(failure)?;
        let sr = ServiceRequest::of(&issue, &estate, &rules().routing);
        tracing::info!(client = client.id, request = %issue.id, "open311 request posted");
        Ok::<Response, Response>((StatusCode::OK, Json(vec![RequestCreated { service_request_id: sr.service_request_id, service_notice: sr.service_notice, account_id: raw.account_id }])).into_response())
    };
    match run.await {
        Ok(r) | Err(r) => r,
    }
}
