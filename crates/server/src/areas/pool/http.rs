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
use catalog::Role;
use chrono::DateTime;
use chrono::Utc;
use domain::CreditCode;
use domain::RecordId;
use domain::ResidentId;
use domain::china_date;
use domain::mask;
use pool::rider;
use pool::rider::GateResult;
use pool::Consent;
use pool::Decision;
use pool::GranteeKind;
use pool::PoolError;
use pool::Purpose;
use pool::ReadFacts;
use pool::ReaderKind;
use store::Rider;
use store::SharedRecord;
use crate::json::ApiQuery;
use crate::auth::Principal;
use crate::failure::Failure;
use crate::failure::Fallible;
use crate::http_error::ErrorBody;
use crate::json::ApiJson;
use crate::state::AppState;
use super::cases::*;
use super::views::*;

// ---------------------------------------------------------------------------------------------
// Routes.

pub fn routes() -> Router<AppState> {
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
pub async fn public_key(State(state): State<AppState>) -> Json<serde_json::Value> {
    Json(state.pool.public().document(&state.pool.issuer))
}

/// Verifies an e-certificate or rider code (public). A forged, altered, expired or revoked
/// credential is a 422 with its reason.
#[utoipa::path(post, path = "/api/pool/verify", tag = "pool", request_body = VerifyBody,
    responses((status = 200, body = VerifyView), (status = 422, body = ErrorBody)))]
pub async fn verify(State(state): State<AppState>, ApiJson(body): ApiJson<VerifyBody>) -> Fallible<Json<VerifyView>> {
    let (v, record_status) = verify_credential(&state, &body.credential).await?;
    Ok(Json(VerifyView {
        valid: true,
        kind: v.body.kind().into(),
        key_id: v.key_id.clone(),
        body: serde_json::to_value(&v.body).unwrap_or_default(),
        record_status,
    }))
}

/// A property gate's check of a rider code for its estate (public; the same check runs offline
/// with the published key and the revocation list).
#[utoipa::path(post, path = "/api/pool/gate", tag = "pool", request_body = VerifyBody,
    responses((status = 200, body = Object), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn gate(State(state): State<AppState>, ApiJson(body): ApiJson<VerifyBody>) -> Fallible<Json<serde_json::Value>> {
    let estate = body.estate.as_deref().map(str::trim).filter(|e| !e.is_empty()).ok_or_else(|| {
        Failure::invalid("estate_required", "estate", "请给出小区编号", "Give the estate code")
    })?;
    // Online: revocation from the database; then the same check a gate runs offline.
    verify_credential(&state, &body.credential).await?;
    match rider::gate_check(&body.credential, &state.pool.keys, estate, state.now(), |_| false) {
        GateResult::Admit { rider } => {
            Ok(Json(serde_json::json!({ "result": "admit", "platform": rider.p, "platform_name": rider::platform_name(&rider.p), "rider": rider.n, "valid_until": DateTime::from_timestamp(rider.exp, 0) })))
        }
        GateResult::Deny { code, reason_zh, reason_en } => Err(Failure::Forbidden { code, zh: reason_zh, en: reason_en, field: None }),
    }
}

/// Revoked credential ids, for gates and verifiers that work offline (public).
#[utoipa::path(get, path = "/api/pool/revocations", tag = "pool", params(SinceQuery), responses((status = 200, body = Object), (status = 422, body = ErrorBody)))]
pub async fn revocations(State(state): State<AppState>, ApiQuery(q): ApiQuery<SinceQuery>) -> Fallible<Json<serde_json::Value>> {
    let since = match q.since.as_deref() {
        None => None,
        Some(s) => Some(
            DateTime::parse_from_rfc3339(s)
                .map(|t| t.with_timezone(&Utc))
                .map_err(|_| Failure::invalid("invalid_time", "since", "since 须为 RFC 3339 时间", "since must be an RFC 3339 time"))?,
        ),
    };
    let list = state.store.revoked_credentials(since).await?;
    Ok(Json(serde_json::json!({
        "as_of": state.now(),
        "key_id": state.pool.public().key_id(),
        "revoked": list.iter().map(|(id, at)| serde_json::json!({ "id": id.to_string(), "revoked_at": at })).collect::<Vec<_>>(),
    })))
}

/// The district's medical institutions, their level and the items their results are recognised
/// for (the HR mark).
#[utoipa::path(get, path = "/api/pool/institutions", tag = "recognition", responses((status = 200, body = [InstitutionView])))]
pub async fn institutions(State(state): State<AppState>) -> Json<Vec<InstitutionView>> {
    Json(
        state
            .pool
            .recognition
            .institutions()
            .map(|i| InstitutionView {
                code: i.code.clone(),
                name: i.name.clone(),
                level: i.level.code().to_owned(),
                level_name: i.level.name_zh().to_owned(),
                kind: i.kind.clone(),
                division: i.division.clone(),
                hr_items: i.hr_items.clone(),
            })
            .collect(),
    )
}

/// The recognisable items: codes, validity window and price.
#[utoipa::path(get, path = "/api/pool/recognition/items", tag = "recognition",
    responses((status = 200, body = [Object], description = "Each item: code, name, LOINC or local code, validity in days, price")))]
pub async fn recognition_items(State(state): State<AppState>) -> Json<serde_json::Value> {
    Json(serde_json::to_value(state.pool.recognition.items().collect::<Vec<_>>()).unwrap_or_default())
}

/// A department publishes a record about a person or enterprise (validated against its type's
/// schema).
#[utoipa::path(post, path = "/api/pool/records", tag = "pool", request_body = PublishBody,
    responses((status = 201, body = RecordView), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn publish(State(state): State<AppState>, p: Principal, ApiJson(body): ApiJson<PublishBody>) -> Fallible<Response> {
    let dept = publisher_department(&p, &state)?;
    let rt = state.catalog().record_type(body.record_type.trim()).ok_or_else(|| pool_error(PoolError::UnknownRecordType(body.record_type.clone())))?;
    if rt.department != dept {
        return Err(Failure::forbidden(
            format!("「{}」由{}发布，您的部门不能发布", rt.name, org_name(&state, &rt.department)),
            format!("{} records are published by {}, not your department", rt.code, rt.department),
        ));
    }
    let subject = parse_subject(&state, &body.subject, "subject")?;
    let kind = if CreditCode::parse(&subject).is_ok() { "enterprise" } else { "person" };
    if kind != catalog_subject(rt.subject) {
        return Err(pool_error(PoolError::InvalidSubject(subject)));
    }
    state.pool.schemas.validate(&rt.code, &body.data).map_err(pool_error)?;
    let now = state.now();
    let rec = SharedRecord {
        id: RecordId(state.parts.ids.next()),
        record_type: rt.code.clone(),
        subject_kind: kind.into(),
        subject_key: subject,
        department: dept.to_owned(),
        issued_at: now,
        valid_until: body.valid_until.or_else(|| rt.validity_days.map(|d| china_date(now) + chrono::Days::new(u64::from(d)))),
        application: None,
        case: None,
        data: body.data,
    };
    state.store.publish_records(std::slice::from_ref(&rec), Some(p.id().0)).await?;
    let stored = state.store.pool_record(rec.id).await?.ok_or_else(|| Failure::not_found("没有这条数据", "No such record"))?;
    Ok((StatusCode::CREATED, Json(record_view(&state, &stored))).into_response())
}

/// Reads one record version for a purpose; the read (or its refusal) is logged.
#[utoipa::path(get, path = "/api/pool/records/{id}", tag = "pool", params(("id" = String, Path), ReadQuery),
    responses((status = 200, body = RecordView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn read_record(State(state): State<AppState>, p: Principal, Path(id): Path<String>, ApiQuery(q): ApiQuery<ReadQuery>) -> Fallible<Json<RecordView>> {
    let id = parse_num(&id, "没有这条数据", "No such record")?;
    let purpose = parse_purpose(q.purpose.as_deref(), value_text(&q.reference).as_deref())?;
    let no_record = || Failure::not_found("没有这条数据", "No such record");
    let reader = reader_of(&state, &p.account).await?;
    let resource = vec![format!("shared_record:{id}")];
    let (rec, facts) = if let Some(Purpose::Consent { consent }) = &purpose {
        // The record and the consent in one round trip: the most common read by another department.
        let (rec, consent) = state.store.pool_record_and_consent(RecordId(id), *consent).await?.ok_or_else(no_record)?;
        (rec, ReadFacts { consent, ..Default::default() })
    } else {
        let rec = state.store.pool_record(RecordId(id)).await?.ok_or_else(no_record)?;
        let facts = facts_for(&state, &reader, purpose.as_ref(), &rec.record.subject_key, &rec.record.record_type).await?;
        (rec, facts)
    };
    let d = decide_and_log_with(&state, &reader, &rec.record.subject_key, &rec.record.record_type, resource, purpose.as_ref(), &facts).await?;
    if !d.is_allowed() {
        return Err(refusal(&d));
    }
    Ok(Json(record_view(&state, &rec)))
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
    let dept = publisher_department(&p, &state)?.to_owned();
    let id = parse_num(&id, "没有这条数据", "No such record")?;
    let reason = body.reason.trim();
    if reason.is_empty() || reason.chars().count() > 500 {
        return Err(Failure::invalid("reason_required", "reason", "请填写更正理由（500 字以内）", "Give the reason for the correction (up to 500 characters)"));
    }
    let old = state.store.pool_record(RecordId(id)).await?.ok_or_else(|| Failure::not_found("没有这条数据", "No such record"))?;
    old.meta().check_correctable(&dept).map_err(pool_error)?;
    state.pool.schemas.validate(&old.record.record_type, &body.data).map_err(pool_error)?;
    let now = state.now();
    let meta = old.meta().corrected(state.parts.ids.next(), now, body.valid_until);
    let mut data = body.data;
    if let serde_json::Value::Object(m) = &mut data
        && !state.pool.schemas.has_own(&old.record.record_type)
    {
        m.insert("correction_reason".into(), serde_json::Value::String(reason.to_owned()));
    }
    let new = SharedRecord {
        id: RecordId(meta.id),
        issued_at: now,
        valid_until: meta.valid_until,
        data,
        ..old.record.clone()
    };
    // The certificates of the old version no longer stand: revoked in the same transaction.
    let revoked = format!("更正为第 {} 版：{reason}", meta.version);
    state.store.correct_record(old.record.id, &new, meta.version, Some(p.id().0), now, &revoked).await?;
    let stored = state.store.pool_record(new.id).await?.ok_or_else(|| Failure::not_found("没有这条数据", "No such record"))?;
    Ok((StatusCode::CREATED, Json(record_view(&state, &stored))).into_response())
}

/// The publishing department revokes a record version (and its e-certificates).
#[utoipa::path(post, path = "/api/pool/records/{id}/revoke", tag = "pool", params(("id" = String, Path)), request_body = ReasonBody,
    responses((status = 200, body = RecordView), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn revoke(State(state): State<AppState>, p: Principal, Path(id): Path<String>, ApiJson(body): ApiJson<ReasonBody>) -> Fallible<Json<RecordView>> {
    let dept = publisher_department(&p, &state)?.to_owned();
    let reason = reason_of(&body)?;
    let id = parse_num(&id, "没有这条数据", "No such record")?;
    let rec = state.store.pool_record(RecordId(id)).await?.ok_or_else(|| Failure::not_found("没有这条数据", "No such record"))?;
    if rec.record.department != dept {
        return Err(Failure::Forbidden {
            code: "not_publisher",
            zh: format!("这条数据由{}发布，只有发布部门可以撤销", org_name(&state, &rec.record.department)),
            en: format!("This record was published by {}; only the publishing department may revoke it", rec.record.department),
            field: None,
        });
    }
    if rec.revoked_at.is_some() || !state.store.revoke_record(rec.record.id, state.now(), &reason).await? {
        return Err(pool_error(PoolError::Revoked));
    }
    let stored = state.store.pool_record(rec.record.id).await?.ok_or_else(|| Failure::not_found("没有这条数据", "No such record"))?;
    Ok(Json(record_view(&state, &stored)))
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
    let id = parse_num(&id, "没有这条数据", "No such record")?;
    let rec = state.store.pool_record(RecordId(id)).await?.ok_or_else(|| Failure::not_found("没有这条数据", "No such record"))?;
    let reader = reader_of(&state, &p.account).await?;
    let own = reader.own_key.as_deref() == Some(rec.record.subject_key.as_str());
    let publisher = reader.kind == ReaderKind::Department && reader.org.as_deref() == Some(rec.record.department.as_str());
    if !own && !publisher {
        return Err(Failure::forbidden("只有数据主体本人或发布部门可以生成电子证照", "Only the subject or the publishing department may issue its e-certificate"));
    }
    match rec.meta().status(china_date(state.now())) {
        pool::RecordStatus::Current => {}
        pool::RecordStatus::Superseded => return Err(pool_error(PoolError::Superseded)),
        pool::RecordStatus::Revoked => return Err(pool_error(PoolError::Revoked)),
        pool::RecordStatus::Expired => {
            return Err(Failure::Conflict { code: "record_expired", zh: "该数据已过期，不能生成电子证照".into(), en: "The record has expired".into(), field: None });
        }
    }
    if let Some(c) = state.store.certificate_of_record(rec.record.id).await? {
        return Ok((StatusCode::OK, Json(credential_view(&c))).into_response());
    }
    let holder = rec.record.data.get("name").and_then(|v| v.as_str()).unwrap_or("").to_owned();
    let row = sign_record(&state, &rec, &holder, state.parts.ids.next());
    state.store.insert_credentials(std::slice::from_ref(&row)).await?;
    Ok((StatusCode::CREATED, Json(credential_view(&row))).into_response())
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
    let reader = reader_of(&state, &p.account).await?;
    let key = reader.own_key.ok_or_else(|| Failure::forbidden("只有居民和企业可以授权", "Only residents and enterprises give consents"))?;
    let kind = match body.grantee_kind.as_str() {
        "org" => {
            let known = state.catalog().department(&body.grantee).is_some()
                || state.pool.recognition.institution(&body.grantee).is_some()
                || rider::platform_name(&body.grantee).is_some();
            if !known {
                return Err(Failure::invalid("unknown_grantee", "grantee", "没有这个部门、医疗机构或平台", "No such department, institution or platform"));
            }
            GranteeKind::Org
        }
        "account" => {
            let id: i64 = body.grantee.trim().parse().map_err(|_| Failure::invalid("unknown_grantee", "grantee", "账号编号无效", "Invalid account id"))?;
            if state.store.account(domain::AccountId(id)).await?.is_none() {
                return Err(Failure::invalid("unknown_grantee", "grantee", "没有这个账号", "No such account"));
            }
            GranteeKind::Account
        }
        _ => return Err(Failure::invalid("invalid_grantee_kind", "grantee_kind", "授权对象类型须为 org 或 account", "grantee_kind must be org or account")),
    };
    let types: Vec<String> = body.record_types.iter().map(|t| t.trim().to_owned()).filter(|t| !t.is_empty()).collect();
    if types.is_empty() {
        return Err(Failure::invalid("record_types_required", "record_types", "请选择授权的数据类型", "Name the record types the consent covers"));
    }
    for t in &types {
        if t != "*" && t != "health" && state.catalog().record_type(t).is_none() {
            return Err(Failure::invalid("unknown_record_type", "record_types", format!("没有这种数据类型：{t}"), format!("No record type {t}")));
        }
    }
    let days = pool::validity::days(body.valid_days).map_err(|e| Failure::from_describe(&e, "valid_days"))?;
    let purpose = body.purpose.trim();
    if purpose.is_empty() || purpose.chars().count() > 200 {
        return Err(Failure::invalid("purpose_required", "purpose", "请写明授权用途（200 字以内）", "Say what the consent is for (up to 200 characters)"));
    }
    let now = state.now();
    let c = Consent {
        id: state.parts.ids.next(),
        subject_key: key,
        grantee_kind: kind,
        grantee: body.grantee.trim().to_owned(),
        record_types: types,
        purpose: purpose.to_owned(),
        granted_at: now,
        valid_until: china_date(now) + chrono::Days::new(days),
        revoked_at: None,
    };
    state.store.insert_consents(std::slice::from_ref(&c)).await?;
    Ok((StatusCode::CREATED, Json(consent_view(&state, &c))).into_response())
}

/// My consents, newest first.
#[utoipa::path(get, path = "/api/pool/me/consents", tag = "pool", responses((status = 200, body = [ConsentView])), security(("bearer" = [])))]
pub async fn my_consents(State(state): State<AppState>, p: Principal) -> Fallible<Json<Vec<ConsentView>>> {
    let reader = reader_of(&state, &p.account).await?;
    let key = reader.own_key.ok_or_else(|| Failure::forbidden("只有居民和企业有授权", "Only residents and enterprises have consents"))?;
    let list = state.store.consents_of(&key).await?;
    Ok(Json(list.iter().map(|c| consent_view(&state, c)).collect()))
}

/// Withdraws one of my consents.
#[utoipa::path(post, path = "/api/pool/me/consents/{id}/revoke", tag = "pool", params(("id" = String, Path)),
    responses((status = 200, body = ConsentView), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn withdraw_consent(State(state): State<AppState>, p: Principal, Path(id): Path<String>) -> Fallible<Json<ConsentView>> {
    let id = parse_num(&id, "没有这个授权", "No such consent")?;
    let reader = reader_of(&state, &p.account).await?;
    let key = reader.own_key.ok_or_else(|| Failure::not_found("没有这个授权", "No such consent"))?;
    if !state.store.revoke_consent(id, &key, state.now()).await? {
        return Err(Failure::not_found("没有这个有效的授权", "No such active consent of yours"));
    }
    let c = state.store.consent(id).await?.ok_or_else(|| Failure::not_found("没有这个授权", "No such consent"))?;
    Ok(Json(consent_view(&state, &c)))
}

/// Verifies every chain of the access log (administrators).
#[utoipa::path(get, path = "/api/pool/access-log/verify", tag = "pool", responses((status = 200, body = Object)), security(("bearer" = [])))]
pub async fn verify_log(State(state): State<AppState>, p: Principal) -> Fallible<Json<store::LogVerification>> {
    p.require_any(&[Role::Admin])?;
    Ok(Json(state.store.verify_access_log(|_, _| {}).await?))
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
    let key = ResidentId::parse_on(id_number.trim(), china_date(state.now())).map_err(|e| Failure::from_describe(&e, "id_number"))?;
    let purpose = parse_purpose(q.purpose.as_deref(), value_text(&q.reference).as_deref())?;
    // Decided (and logged) before the look-up, so that a refusal never tells whether the person
    // is in the register.
    let reader = reader_of(&state, &p.account).await?;
    let d = decide_and_log(&state, &reader, key.as_str(), "household_register", vec![format!("person:{}", mask::id_number(key.as_str()))], purpose.as_ref()).await?;
    if !d.is_allowed() {
        return Err(refusal(&d));
    }
    let person = state.store.person_by_id_number(key.as_str()).await?.ok_or_else(|| Failure::not_found("人口库中没有此人", "Not in the population register"))?;
    let members = state.store.household_members(person.household).await?;
    Ok(Json(serde_json::json!({
        "id_number": person.id_number, "name": person.name, "sex": person.sex, "birth_date": person.birth_date,
        "division": person.division, "household": person.household.to_string(), "relation": person.relation,
        "household_members": members.iter().map(|m| serde_json::json!({
            "name": mask::name(&m.name), "id_number": mask::id_number(&m.id_number), "relation": m.relation,
        })).collect::<Vec<_>>(),
    })))
}

/// An enterprise in the legal-entity register with its legal representative (public
/// registration facts; the representative masked).
#[utoipa::path(get, path = "/api/pool/registers/enterprises/{code}", tag = "pool", params(("code" = String, Path, pattern = "^[0-9A-HJ-NPQRTUWXYa-hj-npqrtuwxy]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXYa-hj-npqrtuwxy]{10}$")),
    responses((status = 200, body = Object), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn enterprise_register(State(state): State<AppState>, _p: Principal, Path(code): Path<String>) -> Fallible<Json<serde_json::Value>> {
    let code = CreditCode::parse(code.trim()).map_err(|e| Failure::from_describe(&e, "code"))?;
    let e = state.store.enterprise_by_credit_code(code.as_str()).await?.ok_or_else(|| Failure::not_found("法人库中没有此企业", "Not in the legal-entity register"))?;
    let rep = state.store.person(e.legal_rep).await?;
    Ok(Json(serde_json::json!({
        "credit_code": e.credit_code, "name": e.name, "kind": e.kind, "division": e.division, "established_on": e.established_on,
        "legal_representative": rep.map(|r| serde_json::json!({ "name": mask::name(&r.name), "id_number": mask::id_number(&r.id_number) })),
    })))
}

// ---- riders

/// The estates riders may be allowed into.
#[utoipa::path(get, path = "/api/pool/estates", tag = "riders", responses((status = 200, body = [Object])), security(("bearer" = [])))]
pub async fn estates(State(state): State<AppState>, _p: Principal) -> Fallible<Json<Vec<store::Estate>>> {
    Ok(Json(state.store.estates().await?))
}

/// A platform registers one of its riders, pending the rider's consent: the rider confirms in
/// their own account (`POST /api/pool/me/riders/{id}/confirm`), which issues the rider code. The
/// platform's look-up of the person is logged where the person sees it.
#[utoipa::path(post, path = "/api/pool/riders", tag = "riders", request_body = RiderBody,
    responses((status = 201, body = Object), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn register_rider(State(state): State<AppState>, p: Principal, ApiJson(body): ApiJson<RiderBody>) -> Fallible<Response> {
    let platform = rider_scope(&state, &p)?.ok_or_else(|| Failure::forbidden("骑手由其所属平台登记", "Riders are registered by their platform"))?;
    let id = ResidentId::parse_on(body.id_number.trim(), china_date(state.now())).map_err(|e| Failure::from_describe(&e, "id_number"))?;
    let person = state.store.person_by_id_number(id.as_str()).await?.ok_or_else(|| {
        Failure::invalid("not_in_register", "id_number", "人口库中没有此身份证号码", "This ID number is not in the population register")
    })?;
    pool::validity::rider_age(&id, china_date(state.now())).map_err(|e| Failure::from_describe(&e, "id_number"))?;
    let phone = match body.phone.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => Some(domain::Phone::parse(s).map_err(|e| Failure::from_describe(&e, "phone"))?.as_str().to_owned()),
        None => person.phone.clone(),
    };
    let known: Vec<String> = state.store.estates().await?.into_iter().map(|e| e.code).collect();
    let estates: Vec<String> = body.estates.iter().map(|e| e.trim().to_owned()).filter(|e| !e.is_empty()).collect();
    if estates.is_empty() {
        return Err(Failure::invalid("estates_required", "estates", "请至少选择一个小区（或 *）", "Name at least one estate, or *"));
    }
    for e in &estates {
        if e != "*" && !known.contains(e) {
            return Err(Failure::invalid("unknown_estate", "estates", format!("没有这个小区：{e}"), format!("No estate {e}")));
        }
    }
    let days = pool::validity::days(body.valid_days).map_err(|e| Failure::from_describe(&e, "valid_days"))?;
    let now = state.now();
    if state.store.riders_of_person(id.as_str()).await?.iter().any(|r| (r.status == "active" || r.status == "pending") && r.platform == platform) {
        return Err(Failure::Conflict {
            code: "rider_exists",
            zh: "该骑手已在本平台登记".into(),
            en: "This rider is already registered on your platform".into(),
            field: Some("id_number".into()),
        });
    }
    let r = Rider {
        id: state.parts.ids.next(),
        person_key: id.as_str().to_owned(),
        name: person.name,
        phone,
        platform,
        estates,
        valid_from: now,
        valid_until: now + chrono::Days::new(days),
        status: "pending".into(),
        created_by: Some(p.id().0),
        created_at: now,
        revoked_at: None,
    };
    // The platform read the person's name and phone from the register: logged for the person.
    let reader = reader_of(&state, &p.account).await?;
    let looked_up = entry(&reader, now, id.as_str(), format!("rider-registration:{}", r.id), Some(&Purpose::Supervision), &Decision::Allowed { basis: pool::Basis::Supervision });
    state.pool.appender.append(vec![looked_up], Vec::new()).await.map_err(store_log_error)?;
    state.store.insert_riders(std::slice::from_ref(&r), &[]).await?;
    let platform_name = rider::platform_name(&r.platform).unwrap_or(&r.platform).to_owned();
    let to: Vec<(i64, String, String, String, String)> = state
        .store
        .accounts_of_subject(Some(person.id), None)
        .await?
        .iter()
        .map(|a| {
            (
                state.parts.ids.next(),
                format!("account:{}", a.id),
                "rider_invitation".to_owned(),
                format!("【富春小哥】{platform_name}申请将您登记为其骑手。如属实，请在「我的小哥码」中确认后领取小哥码；如不知情，请拒绝。"),
                format!("{platform_name} asks to register you as its rider. If so, confirm under 'My rider codes' to get your code; if not, decline."),
            )
        })
        .collect();
    state.store.queue_plain_notices(&to, now).await?;
    Ok((StatusCode::CREATED, Json(serde_json::json!({ "rider": rider_view(&r), "code": null }))).into_response())
}

/// A platform's registrations of me as its rider (pending, active, revoked, declined).
#[utoipa::path(get, path = "/api/pool/me/riders", tag = "riders", responses((status = 200, body = [RiderView]), (status = 401, body = ErrorBody)), security(("bearer" = [])))]
pub async fn my_riders(State(state): State<AppState>, p: Principal) -> Fallible<Json<Vec<RiderView>>> {
    let reader = reader_of(&state, &p.account).await?;
    let Some(key) = reader.own_key else { return Ok(Json(Vec::new())) };
    Ok(Json(state.store.riders_of_person(&key).await?.iter().map(rider_view).collect()))
}

/// I confirm a platform's registration of me as its rider; the rider code is issued.
#[utoipa::path(post, path = "/api/pool/me/riders/{id}/confirm", tag = "riders", params(("id" = String, Path)),
    responses((status = 200, body = CredentialView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)), security(("bearer" = [])))]
pub async fn confirm_rider(State(state): State<AppState>, p: Principal, Path(id): Path<String>) -> Fallible<Json<CredentialView>> {
    let (key, r) = my_rider(&state, &p, &id).await?;
    if r.status != "pending" {
        return Err(Failure::Conflict { code: "rider_not_pending", zh: "该登记已处理".into(), en: "This registration was already answered".into(), field: None });
    }
    let cred = sign_rider(&state, &r, state.parts.ids.next());
    if !state.store.confirm_rider(r.id, &key, &cred).await? {
        return Err(Failure::Conflict { code: "rider_not_pending", zh: "该登记已处理".into(), en: "This registration was already answered".into(), field: None });
    }
    Ok(Json(credential_view(&cred)))
}

/// I decline a platform's registration of me as its rider.
#[utoipa::path(post, path = "/api/pool/me/riders/{id}/decline", tag = "riders", params(("id" = String, Path)),
    responses((status = 200, body = RiderView), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)), security(("bearer" = [])))]
pub async fn decline_rider(State(state): State<AppState>, p: Principal, Path(id): Path<String>) -> Fallible<Json<RiderView>> {
    let (key, r) = my_rider(&state, &p, &id).await?;
    if !state.store.decline_rider(r.id, &key, state.now()).await? {
        return Err(Failure::Conflict { code: "rider_not_pending", zh: "该登记已处理".into(), en: "This registration was already answered".into(), field: None });
    }
    let r = state.store.rider(r.id).await?.ok_or_else(|| Failure::not_found("没有这个骑手登记", "No such rider registration"))?;
    Ok(Json(rider_view(&r)))
}

/// Riders (masked): a platform sees its own, the regulator every platform's.
#[utoipa::path(get, path = "/api/pool/riders", tag = "riders", params(RiderQuery),
    responses((status = 200, body = [RiderView]), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn list_riders(State(state): State<AppState>, p: Principal, ApiQuery(q): ApiQuery<RiderQuery>) -> Fallible<Json<Vec<RiderView>>> {
    let scope = rider_scope(&state, &p)?;
    let platform = match (&scope, q.platform.as_deref()) {
        (Some(mine), Some(other)) if mine != other => {
            return Err(Failure::forbidden("只能查看本平台的骑手", "You may see only your platform's riders"));
        }
        (Some(mine), _) => Some(mine.clone()),
        (None, asked) => asked.map(str::to_owned),
    };
    let list = state.store.riders(platform.as_deref(), q.limit.unwrap_or(50).clamp(1, 500), q.offset.unwrap_or(0).max(0)).await?;
    Ok(Json(list.iter().map(rider_view).collect()))
}

/// Riders per platform and status (the regulator's view).
#[utoipa::path(get, path = "/api/pool/riders/summary", tag = "riders",
    responses((status = 200, body = [Object], description = "Per platform: platform, platform_name and the riders in each status (active, revoked, …)"),
        (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn rider_summary(State(state): State<AppState>, p: Principal) -> Fallible<Json<serde_json::Value>> {
    if rider_scope(&state, &p)?.is_some() {
        return Err(Failure::forbidden("只有监管部门可以查看各平台的骑手", "Only the regulator sees every platform"));
    }
    let counts = state.store.rider_counts().await?;
    let mut by: std::collections::BTreeMap<String, serde_json::Value> = std::collections::BTreeMap::new();
    for (platform, status, n) in counts {
        let e = by.entry(platform.clone()).or_insert_with(|| {
            serde_json::json!({ "platform": platform, "platform_name": rider::platform_name(&platform), "active": 0, "revoked": 0 })
        });
        e[status.as_str()] = serde_json::Value::from(n);
    }
    Ok(Json(serde_json::Value::Array(by.into_values().collect())))
}

/// The rider code of a rider: for the rider themself and their platform.
#[utoipa::path(get, path = "/api/pool/riders/{id}/code", tag = "riders", params(("id" = String, Path)),
    responses((status = 200, body = CredentialView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn rider_code(State(state): State<AppState>, p: Principal, Path(id): Path<String>) -> Fallible<Json<CredentialView>> {
    let id = parse_num(&id, "没有这个骑手", "No such rider")?;
    let r = state.store.rider(id).await?.ok_or_else(|| Failure::not_found("没有这个骑手", "No such rider"))?;
    let reader = reader_of(&state, &p.account).await?;
    let own = reader.own_key.as_deref() == Some(r.person_key.as_str());
    let platform = p.department() == Some(r.platform.as_str());
    if !own && !platform {
        return Err(Failure::not_found("没有这个骑手", "No such rider"));
    }
    if r.status == "pending" {
        return Err(Failure::Conflict {
            code: "rider_pending",
            zh: "骑手本人尚未确认登记，小哥码还未签发".into(),
            en: "The rider has not confirmed the registration yet; no code was issued".into(),
            field: None,
        });
    }
    let c = state.store.credential_of_rider(r.id).await?.ok_or_else(|| Failure::Conflict {
        code: "rider_revoked",
        zh: "该骑手的小哥码已被撤销".into(),
        en: "This rider's code was revoked".into(),
        field: None,
    })?;
    Ok(Json(credential_view(&c)))
}

/// My rider codes (a rider may ride for several platforms).
#[utoipa::path(get, path = "/api/pool/me/rider-codes", tag = "riders", responses((status = 200, body = [CredentialView])), security(("bearer" = [])))]
pub async fn my_rider_codes(State(state): State<AppState>, p: Principal) -> Fallible<Json<Vec<CredentialView>>> {
    let reader = reader_of(&state, &p.account).await?;
    let Some(key) = reader.own_key else { return Ok(Json(Vec::new())) };
    let mut out = Vec::new();
    for r in state.store.riders_of_person(&key).await? {
        if let Some(c) = state.store.credential_of_rider(r.id).await? {
            out.push(credential_view(&c));
        }
    }
    Ok(Json(out))
}

/// The platform (or the regulator) revokes a rider and their code.
#[utoipa::path(post, path = "/api/pool/riders/{id}/revoke", tag = "riders", params(("id" = String, Path)), request_body = ReasonBody,
    responses((status = 200, body = RiderView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn revoke_rider(State(state): State<AppState>, p: Principal, Path(id): Path<String>, ApiJson(body): ApiJson<ReasonBody>) -> Fallible<Json<RiderView>> {
    let scope = rider_scope(&state, &p)?;
    let reason = reason_of(&body)?;
    let id = parse_num(&id, "没有这个骑手", "No such rider")?;
    let r = state.store.rider(id).await?.ok_or_else(|| Failure::not_found("没有这个骑手", "No such rider"))?;
    if scope.as_deref().is_some_and(|s| s != r.platform) {
        return Err(Failure::not_found("没有这个骑手", "No such rider"));
    }
    if !state.store.revoke_rider(r.id, state.now(), &reason).await? {
        return Err(Failure::Conflict { code: "rider_revoked", zh: "该骑手已被撤销".into(), en: "The rider was already revoked".into(), field: None });
    }
    let r = state.store.rider(id).await?.ok_or_else(|| Failure::not_found("没有这个骑手", "No such rider"))?;
    Ok(Json(rider_view(&r)))
}

/// The regulator (or a platform, to its own riders) sends a welfare or policy notice to riders.
#[utoipa::path(post, path = "/api/pool/riders/notices", tag = "riders", request_body = RiderNoticeBody,
    responses((status = 202, body = Object), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn rider_notices(State(state): State<AppState>, p: Principal, ApiJson(body): ApiJson<RiderNoticeBody>) -> Fallible<Response> {
    let scope = rider_scope(&state, &p)?;
    let kind = match body.kind.as_str() {
        "welfare" => "rider_welfare",
        "policy" => "rider_policy",
        _ => return Err(Failure::invalid("invalid_notice_kind", "kind", "通知类型须为 welfare 或 policy", "kind must be welfare or policy")),
    };
    let text = body.text.trim();
    if text.is_empty() || text.chars().count() > 500 {
        return Err(Failure::invalid("text_required", "text", "请填写通知内容（500 字以内）", "Write the notice (up to 500 characters)"));
    }
    let platform = match (&scope, body.platform.as_deref()) {
        (Some(mine), Some(other)) if mine != other => return Err(Failure::forbidden("只能通知本平台的骑手", "You may notify only your platform's riders")),
        (Some(mine), _) => Some(mine.clone()),
        (None, Some(pl)) if rider::platform_name(pl).is_none() => {
            return Err(Failure::invalid("unknown_platform", "platform", "没有这个平台", "No such platform"));
        }
        (None, pl) => pl.map(str::to_owned),
    };
    let accounts = state.store.rider_accounts(platform.as_deref()).await?;
    let en = body.text_en.as_deref().map(str::trim).filter(|t| !t.is_empty()).unwrap_or(text).to_owned();
    let rows: Vec<(i64, String, String, String, String)> = accounts
        .iter()
        .map(|a| (state.parts.ids.next(), format!("account:{a}"), kind.to_owned(), format!("【富春小哥】{text}"), en.clone()))
        .collect();
    state.store.queue_plain_notices(&rows, state.now()).await?;
    Ok((StatusCode::ACCEPTED, Json(serde_json::json!({ "queued": rows.len(), "platform": platform, "kind": kind }))).into_response())
}

/// The ordering clinician records the decision on a recognition offer (the DetectedIssue id).
#[utoipa::path(post, path = "/api/pool/recognition/offers/{id}/decision", tag = "recognition", params(("id" = String, Path)), request_body = DecisionBody,
    responses((status = 200, body = Object), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn decide_offer(State(state): State<AppState>, p: Principal, Path(id): Path<String>, ApiJson(body): ApiJson<DecisionBody>) -> Fallible<Json<store::Offer>> {
    let id = parse_num(&id, "没有这条互认提示", "No such recognition offer")?;
    let offer = state.store.offer(id).await?.ok_or_else(|| Failure::not_found("没有这条互认提示", "No such recognition offer"))?;
    if p.department() != Some(offer.ordering_institution.as_str()) {
        return Err(Failure::not_found("没有这条互认提示", "No such recognition offer"));
    }
    let d = pool::RecognitionDecision::parse(body.decision.trim(), body.reason.as_deref(), body.note.as_deref()).map_err(|e| match e {
        PoolError::InvalidField { field, message, message_zh } => Failure::Invalid { code: "invalid_decision", zh: message_zh, en: message, field: Some(field) },
        other => pool_error(other),
    })?;
    let (reason, note) = match &d {
        pool::RecognitionDecision::Accepted => (None, None),
        pool::RecognitionDecision::Retest { reason, note } => (Some(reason.code()), note.clone()),
    };
    if !state.store.decide_offer(id, d.code(), reason, note.as_deref(), state.now(), p.id().0).await? {
        return Err(Failure::Conflict { code: "already_decided", zh: "该互认提示已有处理结果".into(), en: "This offer was already decided".into(), field: None });
    }
    Ok(Json(state.store.offer(id).await?.ok_or_else(|| Failure::not_found("没有这条互认提示", "No such recognition offer"))?))
}

/// Recognitions and money saved per institution, and look-ups in all (health staff, clinicians,
/// administrators).
#[utoipa::path(get, path = "/api/pool/recognition/figures", tag = "recognition", responses((status = 200, body = Object), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn recognition_figures(State(state): State<AppState>, p: Principal) -> Fallible<Json<serde_json::Value>> {
    let pays_or_keeps = |d: &catalog::Department| d.has(catalog::Duty::HealthRecords) || d.has(catalog::Duty::MedicalInsurance);
    let allowed = p.is_admin()
        || p.department().is_some_and(|d| state.catalog().department(d).is_some_and(pays_or_keeps) || state.pool.recognition.institution(d).is_some());
    if !allowed {
        return Err(Failure::forbidden("只有卫健、医保部门、医疗机构和管理员可以查看互认统计", "Only health and insurance staff, institutions and administrators see these figures"));
    }
    let figures = state.store.recognition_figures().await?;
    let lookups = state.store.health_lookups().await?;
    let (mut offered, mut accepted, mut saved) = (0i64, 0i64, 0i64);
    let rows: Vec<serde_json::Value> = figures
        .iter()
        .map(|f| {
            offered += f.offered;
            accepted += f.accepted;
            saved += f.saved_fen;
            let inst = state.pool.recognition.institution(&f.institution);
            serde_json::json!({
                "institution": f.institution, "name": inst.map(|i| i.name.clone()), "level": inst.map(|i| i.level.name_zh()),
                "offered": f.offered, "accepted": f.accepted, "retested": f.retested,
                "saved_fen": f.saved_fen, "saved_yuan": domain::Fen(f.saved_fen).to_yuan_string(),
                "recognised_elsewhere": f.recognised_elsewhere,
            })
        })
        .collect();
    Ok(Json(serde_json::json!({
        "institutions": state.pool.recognition.institutions().count(),
        "health_record_lookups": lookups,
        "offers": offered, "recognitions": accepted, "saved_fen": saved, "saved_yuan": domain::Fen(saved).to_yuan_string(),
        "by_institution": rows,
    })))
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
