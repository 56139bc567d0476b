//! The one-thing area's HTTP handlers under `/api` (catalog, plan, uploads, applications, cases,
//! rectifications, notices, reports): each extracts, calls one use case and answers with the
//! area's views. The area's routes are registered here.

use catalog::Role;
use domain::CaseId;
use domain::RectificationId;
use onething::ActionRequest;
use onething::RatingRequest;
use store::Account;
use crate::failure::Failure;
use crate::failure::Fallible;
use crate::state::AppState;
use axum::Json;
use axum::body::Bytes;
use axum::extract::Path;
use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::http::HeaderMap;
use axum::http::HeaderValue;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::response::Response;
use catalog::LifeStage;
use onething::RatingLevel;
use store::AppFilter;
use store::CaseFilter;
use crate::auth::Principal;
use crate::http_error::ErrorBody;
use crate::json::ApiJson;
use crate::areas::onething::cases::SubmitBody;
use crate::areas::onething::views::ApplicationView;
use crate::areas::onething::views::AppSummaryView;
use crate::areas::onething::views::CaseRowView;
use crate::areas::onething::views::HistoryView;
use crate::areas::onething::views::NoticeView;
use crate::areas::onething::views::PlanView;
use crate::ids::app_id;
use crate::ids::page;
use crate::json::ApiQuery;
use super::cases::*;
use super::views::*;

/// Life stages with their bundles (9 personal, 4 enterprise).
#[utoipa::path(get, path = "/api/catalog/stages", tag = "catalog",
    responses((status = 200, body = [Object], description = "Each stage: code, name, name_en, subject and its bundles in brief")), security(("bearer" = [])))]
pub async fn stages(State(state): State<AppState>, _p: Principal) -> Json<serde_json::Value> {
    let c = state.catalog();
    let list: Vec<serde_json::Value> = LifeStage::ALL
        .iter()
        .map(|s| {
            serde_json::json!({
                "code": s.code(), "name": s.name_zh(), "name_en": s.name_en(), "subject": s.subject(),
                "bundles": c.bundles_in_stage(*s).map(|b| bundle_brief(c, b)).collect::<Vec<_>>(),
            })
        })
        .collect();
    Json(serde_json::Value::Array(list))
}

/// One bundle: its items, departments, limits, de-duplicated materials, form and designed reductions.
#[utoipa::path(get, path = "/api/catalog/bundles/{code}", tag = "catalog", params(("code" = String, Path)),
    responses((status = 200, body = Object), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn bundle(State(state): State<AppState>, _p: Principal, Path(code): Path<String>) -> Fallible<Json<serde_json::Value>> {
    let c = state.catalog();
    let b = c.bundle(&code).ok_or_else(|| Failure::not_found("没有这个一件事", "No such bundle"))?;
    let items: Vec<serde_json::Value> = b
        .topo_order()
        .iter()
        .filter_map(|i| c.item(i))
        .map(|i| {
            serde_json::json!({
                "code": i.code, "name": i.name, "name_en": i.name_en, "department": i.department,
                "department_name": c.department(&i.department).map(|d| d.name.clone()),
                "legal_days": i.legal_days, "promised_days": i.promised_days, "levels": i.levels,
                "online": i.online, "visits": i.visits, "materials": i.materials, "outputs": i.outputs,
                "prerequisites": b.prerequisites_of(&i.code),
            })
        })
        .collect();
    let materials: Vec<serde_json::Value> = b
        .materials(c)
        .into_iter()
        .map(|m| {
            let mat = c.material(&m.material);
            serde_json::json!({
                "code": m.material, "name": mat.map(|x| x.name.clone()), "name_en": mat.map(|x| x.name_en.clone()),
                "needed_by": m.needed_by, "issued_in_bundle_by": m.issued_in_bundle_by,
                "satisfied_by": mat.and_then(|x| x.satisfied_by.clone()), "reusable": mat.map(|x| x.reusable),
            })
        })
        .collect();
    let fields: Vec<crate::areas::onething::views::FieldView> = b.form_fields(c).iter().map(|f| crate::areas::onething::views::field_view(f, None)).collect();
    let mut v = bundle_brief(c, b);
    if let serde_json::Value::Object(o) = &mut v {
        o.insert("items".into(), serde_json::Value::Array(items));
        o.insert("materials".into(), serde_json::Value::Array(materials));
        o.insert("fields".into(), serde_json::to_value(fields).unwrap_or_default());
        o.insert("on_reject".into(), serde_json::to_value(b.on_reject).unwrap_or_default());
        o.insert("departments".into(), serde_json::to_value(b.departments(c)).unwrap_or_default());
    }
    Ok(Json(v))
}

/// Items (事项), optionally of one department.
#[utoipa::path(get, path = "/api/catalog/items", tag = "catalog", params(ItemsQuery),
    responses((status = 200, body = [Object], description = "The items as the catalog declares them")), security(("bearer" = [])))]
pub async fn items(State(state): State<AppState>, _p: Principal, ApiQuery(q): ApiQuery<ItemsQuery>) -> Json<serde_json::Value> {
    let c = state.catalog();
    let list: Vec<&catalog::Item> = match &q.department {
        Some(d) => c.items_of_department(d).collect(),
        None => c.items().collect(),
    };
    Json(serde_json::to_value(list).unwrap_or_default())
}

/// One item with its materials and workflow.
#[utoipa::path(get, path = "/api/catalog/items/{code}", tag = "catalog", params(("code" = String, Path)),
    responses((status = 200, body = Object), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn item(State(state): State<AppState>, _p: Principal, Path(code): Path<String>) -> Fallible<Json<serde_json::Value>> {
    let c = state.catalog();
    let i = c.item(&code).ok_or_else(|| Failure::not_found("没有这个事项", "No such item"))?;
    Ok(Json(serde_json::json!({
        "item": i,
        "department_name": c.department(&i.department).map(|d| d.name.clone()),
        "workflow": c.workflow(&i.workflow),
        "materials": i.materials.iter().filter_map(|m| c.material(m)).collect::<Vec<_>>(),
        "bundles": c.bundles_with_item(&i.code).map(|b| b.code.clone()).collect::<Vec<_>>(),
    })))
}

/// Departments.
#[utoipa::path(get, path = "/api/catalog/departments", tag = "catalog", responses((status = 200, body = [DepartmentView])), security(("bearer" = [])))]
pub async fn departments(State(state): State<AppState>, _p: Principal) -> Json<Vec<DepartmentView>> {
    let c = state.catalog();
    Json(
        c.departments()
            .map(|d| DepartmentView { code: d.code.clone(), name: d.name.clone(), name_en: d.name_en.clone(), items: c.items_of_department(&d.code).count() })
            .collect(),
    )
}

/// Collect once: what the applicant must still upload for a bundle or item, what is filled in
/// from shared data (with provenance) or reused from the last application, and the pre-filled form.
#[utoipa::path(get, path = "/api/plan", tag = "applications", params(PlanQuery),
    responses((status = 200, body = PlanView), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn plan(State(state): State<AppState>, p: Principal, ApiQuery(q): ApiQuery<PlanQuery>) -> Fallible<Json<PlanView>> {
    Ok(Json(plan_view(&state, &p, q).await?))
}

/// Uploads one material file (the raw bytes as the body). Returns the id to cite in a filing.
#[utoipa::path(post, path = "/api/uploads", tag = "applications", params(UploadQuery),
    request_body(description = "The file's raw bytes, of the type its Content-Type declares (checked against its content)",
        content((FileBytes = "application/pdf"), (FileBytes = "image/jpeg"), (FileBytes = "image/png"), (FileBytes = "image/webp"),
            (FileBytes = "application/ofd"), (FileBytes = "text/plain"))),
    responses((status = 201, body = UploadView), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn upload(
    State(state): State<AppState>,
    p: Principal,
    ApiQuery(q): ApiQuery<UploadQuery>,
    headers: HeaderMap,
    body: Bytes,
) -> Fallible<Response> {
    let content_type = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default();
    let view = store_upload(&state, &p.account, q.name, content_type, body).await?;
    Ok((StatusCode::CREATED, Json(view)).into_response())
}

/// The route of `upload`: a body over the upload limit becomes the API's JSON 413.
pub async fn upload_route(
    state: State<AppState>,
    p: Principal,
    q: ApiQuery<UploadQuery>,
    headers: HeaderMap,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> Fallible<Response> {
    let body = body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            Failure::TooLarge { limit: state.config.upload_bytes }
        } else {
            Failure::BadRequest {
                code: "unreadable_body",
                zh: "无法读取上传的文件".to_owned(),
                en: format!("Could not read the upload: {e}"),
                field: None,
            }
        }
    })?;
    upload(state, p, q, headers, body).await
}

// ---------------------------------------------------------------------------------------------
// Applications.

/// Whether the client asked for `Prefer: return=minimal`.
pub(crate) fn wants_minimal(headers: &HeaderMap) -> bool {
    headers
        .get_all("prefer")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.split(',').any(|p| p.trim().eq_ignore_ascii_case("return=minimal")))
}

/// The application as the viewer sees it, or its brief form when the client prefers.
/// Staff shown the whole application are logged in the applicant's access log first.
pub(crate) async fn app_response(state: &AppState, viewer: &Account, app: &onething::Application, minimal: bool, status: StatusCode) -> Fallible<Response> {
    if minimal {
        let mut resp = (status, Json(crate::areas::onething::views::application_brief(app))).into_response();
        resp.headers_mut().insert("preference-applied", HeaderValue::from_static("return=minimal"));
        Ok(resp)
    } else {
        crate::areas::pool::cases::log_application_read(state, viewer, app).await?;
        Ok((status, Json(crate::areas::onething::views::application_view(state, viewer, app))).into_response())
    }
}

/// Files an application for a bundle (一件事) or a single item. Send an `Idempotency-Key` header:
/// a retried request with the same key returns the first application instead of filing again.
#[utoipa::path(post, path = "/api/applications", tag = "applications", request_body = SubmitBody,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe"),
        ("Prefer" = Option<String>, Header, description = "return=minimal answers with an ApplicationBrief")),
    responses((status = 201, body = ApplicationView), (status = 200, body = ApplicationView, description = "A replay of an earlier request with the same Idempotency-Key"),
        (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn submit(State(state): State<AppState>, p: Principal, headers: HeaderMap, ApiJson(body): ApiJson<SubmitBody>) -> Fallible<Response> {
    let key = headers.get("idempotency-key").map(|v| v.to_str().map(str::to_owned)).transpose().map_err(|_| {
        Failure::invalid("invalid_idempotency_key", "Idempotency-Key", "Idempotency-Key 含有非法字符", "Bad Idempotency-Key")
    })?;
    let filed = crate::areas::onething::cases::submit(&state, &p.account, body, key).await?;
    let minimal = wants_minimal(&headers);
    if filed.replayed {
        let mut resp = app_response(&state, &p.account, &filed.application, minimal, StatusCode::OK).await?;
        resp.headers_mut().insert("idempotent-replayed", HeaderValue::from_static("true"));
        Ok(resp)
    } else if let Some(claim) = filed.claim_code {
        // Window intake that found the resident's account unclaimed: the claim code to hand over.
        if minimal {
            let brief = crate::areas::onething::views::ApplicationBrief { claim_code: Some(claim), ..crate::areas::onething::views::application_brief(&filed.application) };
            let mut resp = (StatusCode::CREATED, Json(brief)).into_response();
            resp.headers_mut().insert("preference-applied", HeaderValue::from_static("return=minimal"));
            Ok(resp)
        } else {
            let view = ApplicationView { claim_code: Some(claim), ..crate::areas::onething::views::application_view(&state, &p.account, &filed.application) };
            Ok((StatusCode::CREATED, Json(view)).into_response())
        }
    } else {
        app_response(&state, &p.account, &filed.application, minimal, StatusCode::CREATED).await
    }
}

/// Applications the caller may see: their own; their department's; their window's; all (admin).
#[utoipa::path(get, path = "/api/applications", tag = "applications", params(ListQuery),
    responses((status = 200, body = Vec<AppSummaryView>), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn list_applications(State(state): State<AppState>, p: Principal, ApiQuery(q): ApiQuery<ListQuery>) -> Fallible<Json<Vec<AppSummaryView>>> {
    if let Some(s) = q.status.as_deref().filter(|s| !s.is_empty())
        && onething::AppStatus::parse(s).is_none()
    {
        return Err(Failure::invalid("invalid_status", "status", "申请状态取值有误", "Unknown application status"));
    }
    let mut f = AppFilter { status: q.status, target: q.target, ..Default::default() };
    let own = !p.is_staff();
    if own {
        f.applicant_account = Some(p.id());
    } else if !p.is_admin() {
        match p.department() {
            Some(d) => f.department = Some(d.to_owned()),
            None if p.has(Role::Window) => {}
            None => return Err(Failure::forbidden("无权查看申请列表", "You may not list applications")),
        }
        f.division = p.account.division.clone();
    }
    let rows = state.store.applications(&f, page(q.limit, q.offset)).await?;
    Ok(Json(rows.iter().map(|s| crate::areas::onething::views::summary_view(state.catalog(), s, own)).collect()))
}

/// One application with its cases, materials (with provenance), deadlines, ratings and the
/// actions the caller may take.
#[utoipa::path(get, path = "/api/applications/{id}", tag = "applications", params(("id" = String, Path)),
    responses((status = 200, body = ApplicationView), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn get_application(State(state): State<AppState>, p: Principal, Path(id): Path<String>) -> Fallible<Json<ApplicationView>> {
    let app = load_visible(&state, &p, &id).await?;
    crate::areas::pool::cases::log_application_read(&state, &p.account, &app).await?;
    Ok(Json(crate::areas::onething::views::application_view(&state, &p.account, &app)))
}

/// The hash-chained history of an application.
#[utoipa::path(get, path = "/api/applications/{id}/history", tag = "applications", params(("id" = String, Path)),
    responses((status = 200, body = Vec<HistoryView>), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn history(State(state): State<AppState>, p: Principal, Path(id): Path<String>) -> Fallible<Json<Vec<HistoryView>>> {
    let app = load_visible(&state, &p, &id).await?;
    let entries = state.store.history(app.id).await?;
    Ok(Json(entries.iter().map(crate::areas::onething::views::history_view).collect()))
}

/// The notices written for an application.
#[utoipa::path(get, path = "/api/applications/{id}/notices", tag = "applications", params(("id" = String, Path)),
    responses((status = 200, body = Vec<NoticeView>), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn application_notices(State(state): State<AppState>, p: Principal, Path(id): Path<String>) -> Fallible<Json<Vec<NoticeView>>> {
    let app = load_visible(&state, &p, &id).await?;
    let list = state.store.notices_of_application(app.id).await?;
    let mine = format!("account:{}", p.id());
    let shown: Vec<NoticeView> = list
        .iter()
        .filter(|n| p.is_staff() || n.recipient == mine)
        .map(crate::areas::onething::views::notice_view)
        .collect();
    Ok(Json(shown))
}

/// Takes a workflow action on one case of an application.
#[utoipa::path(post, path = "/api/applications/{id}/cases/{case}/actions", tag = "applications",
    params(("id" = String, Path), ("case" = String, Path),
        ("Prefer" = Option<String>, Header, description = "return=minimal answers with an ApplicationBrief")),
    request_body = ActionBody,
    responses((status = 200, body = ApplicationView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn act(
    State(state): State<AppState>,
    p: Principal,
    Path((id, case)): Path<(String, String)>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<ActionBody>,
) -> Fallible<Response> {
    let id = app_id(&id)?;
    let case: CaseId = crate::areas::onething::cases::parse_id(&case, "本申请中没有这个办件", "No such case")?;
    if body.action.len() > 64 {
        return Err(Failure::invalid("unknown_action", "action", "没有这个操作", "No such action"));
    }
    let uploads = crate::areas::onething::cases::parse_uploads(&body.materials, "materials")?;
    crate::areas::onething::cases::check_uploads(&state, &uploads, p.id(), "materials").await?;
    let req = ActionRequest { case, action: body.action.trim().to_owned(), comment: body.comment, uploads };
    let app = crate::areas::onething::cases::act(&state, &p.account, id, req).await?;
    app_response(&state, &p.account, &app, wants_minimal(&headers), StatusCode::OK).await
}

/// The applicant withdraws an unfinished application.
#[utoipa::path(post, path = "/api/applications/{id}/withdraw", tag = "applications", params(("id" = String, Path)),
    request_body = WithdrawBody, responses((status = 200, body = ApplicationView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn withdraw(State(state): State<AppState>, p: Principal, Path(id): Path<String>, ApiJson(body): ApiJson<WithdrawBody>) -> Fallible<Json<ApplicationView>> {
    let app = crate::areas::onething::cases::withdraw(&state, &p.account, app_id(&id)?, body.reason).await?;
    Ok(Json(crate::areas::onething::views::application_view(&state, &p.account, &app)))
}

/// Rates a finished application (好差评); a bad rating opens a rectification.
#[utoipa::path(post, path = "/api/applications/{id}/rating", tag = "ratings", params(("id" = String, Path)),
    request_body = RatingBody, responses((status = 200, body = ApplicationView), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn rate(State(state): State<AppState>, p: Principal, Path(id): Path<String>, ApiJson(body): ApiJson<RatingBody>) -> Fallible<Json<ApplicationView>> {
    let level = RatingLevel::parse(body.level.trim())
        .or_else(|| body.level.trim().parse::<i64>().ok().and_then(RatingLevel::from_score))
        .ok_or_else(|| {
            Failure::invalid(
                "invalid_rating",
                "level",
                "评价等级应为：非常满意(very_satisfied)、满意(satisfied)、基本满意(basic)、不满意(dissatisfied)、非常不满意(very_dissatisfied)",
                "level must be very_satisfied, satisfied, basic, dissatisfied or very_dissatisfied (or 5..1)",
            )
        })?;
    let req = RatingRequest { level, comment: body.comment, departments: body.departments };
    let app = crate::areas::onething::cases::rate(&state, &p.account, app_id(&id)?, req).await?;
    Ok(Json(crate::areas::onething::views::application_view(&state, &p.account, &app)))
}

/// The department supervisor answers a rectification opened by a bad rating.
#[utoipa::path(post, path = "/api/rectifications/{id}/response", tag = "ratings", params(("id" = String, Path)),
    request_body = RectificationBody, responses((status = 200, body = ApplicationView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn respond(State(state): State<AppState>, p: Principal, Path(id): Path<String>, ApiJson(body): ApiJson<RectificationBody>) -> Fallible<Json<ApplicationView>> {
    let rid: RectificationId = crate::areas::onething::cases::parse_id(&id, "没有这个整改单", "No such rectification")?;
    let app = crate::areas::onething::cases::respond_rectification(&state, &p.account, rid, body.response).await?;
    Ok(Json(crate::areas::onething::views::application_view(&state, &p.account, &app)))
}

/// The department's case queue, most urgent first (overdue, then by promised deadline).
#[utoipa::path(get, path = "/api/cases", tag = "staff", params(CaseQuery),
    responses((status = 200, body = Vec<CaseRowView>), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn cases(State(state): State<AppState>, p: Principal, ApiQuery(q): ApiQuery<CaseQuery>) -> Fallible<Json<Vec<CaseRowView>>> {
    let department = staff_department(&p, q.department)?;
    let today = domain::china_date(state.now());
    let due_by = q.due_within.map(|n| state.calendar().add_working_days(today, u32::try_from(n.clamp(0, 365)).unwrap_or(0)));
    if let Some(s) = &q.status
        && onething::CaseStatus::parse(s).is_none()
    {
        return Err(Failure::invalid("invalid_status", "status", "办件状态取值有误", "Unknown case status"));
    }
    let f = CaseFilter {
        department,
        division: p.account.division.clone(),
        statuses: q.status.into_iter().collect(),
        overdue_only: q.overdue.unwrap_or(false),
        due_by,
    };
    let rows = state.store.case_queue(&f, page(q.limit, q.offset)).await?;
    Ok(Json(rows.iter().map(|r| crate::areas::onething::views::case_row_view(&state, r)).collect()))
}

/// Overdue cases escalated to the supervisor (督办).
#[utoipa::path(get, path = "/api/supervision/overdue", tag = "staff", params(CaseQuery),
    responses((status = 200, body = Vec<CaseRowView>), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn overdue(State(state): State<AppState>, p: Principal, ApiQuery(q): ApiQuery<CaseQuery>) -> Fallible<Json<Vec<CaseRowView>>> {
    p.require_any(&[Role::Supervisor, Role::Admin])?;
    let department = staff_department(&p, q.department)?;
    let f = CaseFilter {
        department,
        division: p.account.division.clone(),
        statuses: vec![],
        overdue_only: true,
        due_by: None,
    };
    let rows = state.store.case_queue(&f, page(q.limit, q.offset)).await?;
    Ok(Json(rows.iter().map(|r| crate::areas::onething::views::case_row_view(&state, r)).collect()))
}

/// Rectifications opened by bad ratings, for the department's supervisor.
#[utoipa::path(get, path = "/api/rectifications", tag = "ratings", params(RectQuery),
    responses((status = 200, body = Vec<RectificationRowView>), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn rectifications(State(state): State<AppState>, p: Principal, ApiQuery(q): ApiQuery<RectQuery>) -> Fallible<Json<Vec<RectificationRowView>>> {
    p.require_any(&[Role::Supervisor, Role::Admin])?;
    let department = staff_department(&p, q.department)?;
    let rows = state.store.rectifications(department.as_deref(), q.status.as_deref(), page(q.limit, q.offset)).await?;
    let c = state.catalog();
    Ok(Json(
        rows.iter()
            .map(|r| RectificationRowView {
                id: r.id.to_string(),
                application: r.application.to_string(),
                department_name: c.department(&r.department).map(|d| d.name.clone()).unwrap_or_default(),
                department: r.department.clone(),
                status_name: onething::RectificationStatus::parse(&r.status).map(|s| s.name_zh().to_owned()).unwrap_or_default(),
                status: r.status.clone(),
                opened_at: r.opened_at,
                due_on: r.due_on,
                overdue: r.overdue,
                response: r.response.clone(),
                target: crate::areas::onething::views::target_view(c, "bundle", &r.target_code),
                applicant_name: domain::mask::name(&r.applicant_name),
                rating: r.first_rating,
            })
            .collect(),
    ))
}

/// The caller's notices: their own, and for staff those to their department role or the district.
#[utoipa::path(get, path = "/api/notices", tag = "notices", params(NoticeQuery),
    responses((status = 200, body = Vec<NoticeView>)), security(("bearer" = [])))]
pub async fn notices(State(state): State<AppState>, p: Principal, ApiQuery(q): ApiQuery<NoticeQuery>) -> Fallible<Json<Vec<NoticeView>>> {
    let list = state.store.notices_for(&crate::areas::onething::cases::notice_recipients(&p), page(q.limit, q.offset)).await?;
    Ok(Json(list.iter().map(crate::areas::onething::views::notice_view).collect()))
}

/// Reductions of trips, materials and days against applying item by item, per bundle and in total.
#[utoipa::path(get, path = "/api/reports/reductions", tag = "reports",
    responses((status = 200, body = ReductionReport), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn reductions(State(state): State<AppState>, p: Principal) -> Fallible<Json<ReductionReport>> {
    if !p.is_staff() {
        return Err(Failure::forbidden("统计报表仅向工作人员开放", "Reports are for staff"));
    }
    Ok(Json(reduction_report(&state).await?))
}

/// Applications by status, the notice outbox and satisfaction per department.
#[utoipa::path(get, path = "/api/reports/overview", tag = "reports",
    responses((status = 200, body = Overview), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn overview(State(state): State<AppState>, p: Principal) -> Fallible<Json<Overview>> {
    p.require_any(&[Role::Supervisor, Role::Admin])?;
    Ok(Json(Overview {
        applications_by_status: state.store.applications_by_status().await?,
        notices: serde_json::to_value(state.store.outbox_counts().await?).unwrap_or_default(),
        satisfaction: serde_json::to_value(state.store.satisfaction_by_department().await?).unwrap_or_default(),
    }))
}
