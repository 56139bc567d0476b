//! The one-thing area's HTTP handlers under `/api` (catalog, plan, uploads, applications, cases,
//! rectifications, notices, reports): each extracts, calls one use case and answers with the
//! area's views. The area's routes are registered here.

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
use onething::RatingLevel;
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
use crate::json::ApiQuery;
use crate::policy::*;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use axum::routing::post;
use super::cases;
use super::cases::*;
use super::views::*;
#[allow(unused_imports)]

/// Life stages with their bundles (9 personal, 4 enterprise).
#[utoipa::path(get, path = "/api/catalog/stages", tag = "catalog",
    responses((status = 200, body = [Object], description = "Each stage: code, name, name_en, subject and its bundles in brief")), security(("bearer" = [])))]
pub async fn stages(State(state): State<AppState>, _p: Principal) -> Fallible<Json<serde_json::Value>> {
    Ok(Json(cases::stages(&state).await?))
}

/// One bundle: its items, departments, limits, de-duplicated materials, form and designed reductions.
#[utoipa::path(get, path = "/api/catalog/bundles/{code}", tag = "catalog", params(("code" = String, Path)),
    responses((status = 200, body = Object), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn bundle(State(state): State<AppState>, _p: Principal, Path(code): Path<String>) -> Fallible<Json<serde_json::Value>> {
    Ok(Json(cases::bundle(&state, code).await?))
}

/// Items (事项), optionally of one department.
#[utoipa::path(get, path = "/api/catalog/items", tag = "catalog", params(ItemsQuery),
    responses((status = 200, body = [Object], description = "The items as the catalog declares them")), security(("bearer" = [])))]
pub async fn items(State(state): State<AppState>, _p: Principal, ApiQuery(q): ApiQuery<ItemsQuery>) -> Fallible<Json<serde_json::Value>> {
    Ok(Json(cases::items(&state, q).await?))
}

/// One item with its materials and workflow.
#[utoipa::path(get, path = "/api/catalog/items/{code}", tag = "catalog", params(("code" = String, Path)),
    responses((status = 200, body = Object), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn item(State(state): State<AppState>, _p: Principal, Path(code): Path<String>) -> Fallible<Json<serde_json::Value>> {
    Ok(Json(cases::item(&state, code).await?))
}

/// Departments.
#[utoipa::path(get, path = "/api/catalog/departments", tag = "catalog", responses((status = 200, body = [DepartmentView])), security(("bearer" = [])))]
pub async fn departments(State(state): State<AppState>, _p: Principal) -> Fallible<Json<Vec<DepartmentView>>> {
    Ok(Json(cases::departments(&state).await?))
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
    Ok(Json(cases::list_applications(&state, &p, q).await?))
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
    Ok(Json(cases::history(&state, &p, id).await?))
}

/// The notices written for an application.
#[utoipa::path(get, path = "/api/applications/{id}/notices", tag = "applications", params(("id" = String, Path)),
    responses((status = 200, body = Vec<NoticeView>), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn application_notices(State(state): State<AppState>, p: Principal, Path(id): Path<String>) -> Fallible<Json<Vec<NoticeView>>> {
    Ok(Json(cases::application_notices(&state, &p, id).await?))
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
    Ok(Json(cases::cases(&state, &p, q).await?))
}

/// Overdue cases escalated to the supervisor (督办).
#[utoipa::path(get, path = "/api/supervision/overdue", tag = "staff", params(CaseQuery),
    responses((status = 200, body = Vec<CaseRowView>), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn overdue(State(state): State<AppState>, p: Principal, ApiQuery(q): ApiQuery<CaseQuery>) -> Fallible<Json<Vec<CaseRowView>>> {
    Ok(Json(cases::overdue(&state, &p, q).await?))
}

/// Rectifications opened by bad ratings, for the department's supervisor.
#[utoipa::path(get, path = "/api/rectifications", tag = "ratings", params(RectQuery),
    responses((status = 200, body = Vec<RectificationRowView>), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn rectifications(State(state): State<AppState>, p: Principal, ApiQuery(q): ApiQuery<RectQuery>) -> Fallible<Json<Vec<RectificationRowView>>> {
    Ok(Json(cases::rectifications(&state, &p, q).await?))
}

/// The caller's notices: their own, and for staff those to their department role or the district.
#[utoipa::path(get, path = "/api/notices", tag = "notices", params(NoticeQuery),
    responses((status = 200, body = Vec<NoticeView>)), security(("bearer" = [])))]
pub async fn notices(State(state): State<AppState>, p: Principal, ApiQuery(q): ApiQuery<NoticeQuery>) -> Fallible<Json<Vec<NoticeView>>> {
    Ok(Json(cases::notices(&state, &p, q).await?))
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
    Ok(Json(cases::overview(&state, &p).await?))
}

/// The area's routes, under `/api`.
pub fn routes(state: &AppState) -> Router<AppState> {
    let upload_limit = state.config.upload_bytes;
    Router::new()
        .route("/catalog/stages", get(stages))
        .route("/catalog/bundles/{code}", get(bundle))
        .route("/catalog/items", get(items))
        .route("/catalog/items/{code}", get(item))
        .route("/catalog/departments", get(departments))
        .route("/plan", get(plan))
        .route("/uploads", post(upload_route).layer(DefaultBodyLimit::max(upload_limit)))
        .route("/applications", post(submit).get(list_applications))
        .route("/applications/{id}", get(get_application))
        .route("/applications/{id}/history", get(history))
        .route("/applications/{id}/notices", get(application_notices))
        .route("/applications/{id}/cases/{case}/actions", post(act))
        .route("/applications/{id}/withdraw", post(withdraw))
        .route("/applications/{id}/rating", post(rate))
        .route("/rectifications", get(rectifications))
        .route("/rectifications/{id}/response", post(respond))
        .route("/cases", get(cases))
        .route("/supervision/overdue", get(overdue))
        .route("/notices", get(notices))
        .route("/reports/reductions", get(reductions))
        .route("/reports/overview", get(overview))
}

/// The area's part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(stages, bundle, items, item, departments, plan, upload, submit, list_applications, get_application, history, application_notices, act, withdraw, rate, respond, cases, overdue, rectifications, notices, reductions, overview),
    components(schemas(SubmitBody, ApplicationView, ApplicationBrief, PlanView)),
    tags(
        (name = "catalog", description = "Life stages, bundles (一件事), items (事项), departments"),
        (name = "applications", description = "Filing, following and acting on applications"),
        (name = "ratings", description = "好差评 and rectifications"),
        (name = "staff", description = "Department queues and supervision"),
        (name = "notices", description = "Notices to applicants and staff"),
        (name = "reports", description = "Reductions and overview"),
    )
)]
pub struct Doc;

/// Who may call each of the area's routes, and the data scope its use case applies: the area's
/// part of the policy table (`crate::policy::ROUTES`).
pub const POLICY: &[Route] = &[
    api("GET", "/api/catalog/stages", SIGNED_IN, Scope::Public),
    api("GET", "/api/catalog/bundles/{code}", SIGNED_IN, Scope::Public),
    api("GET", "/api/catalog/items", SIGNED_IN, Scope::Public),
    api("GET", "/api/catalog/items/{code}", SIGNED_IN, Scope::Public),
    api("GET", "/api/catalog/departments", SIGNED_IN, Scope::Public),
    api("GET", "/api/plan", FILER, Scope::Own),
    api("POST", "/api/uploads", UPLOADER, Scope::Own),
    api("POST", "/api/applications", FILER, Scope::Own),
    api("GET", "/api/applications", VIEWER, Scope::Department),
    api("GET", "/api/applications/{id}", VIEWER, Scope::Record),
    api("GET", "/api/applications/{id}/history", VIEWER, Scope::Record),
    api("GET", "/api/applications/{id}/notices", VIEWER, Scope::Record),
    api("POST", "/api/applications/{id}/cases/{case}/actions", VIEWER, Scope::Record),
    api("POST", "/api/applications/{id}/withdraw", APPLICANT, Scope::Record),
    api("POST", "/api/applications/{id}/rating", APPLICANT, Scope::Record),
    api("GET", "/api/rectifications", OVERSIGHT, Scope::Department),
    api("POST", "/api/rectifications/{id}/response", OVERSIGHT, Scope::Record),
    api("GET", "/api/cases", DEPARTMENT.or(ADMIN), Scope::Department),
    api("GET", "/api/supervision/overdue", OVERSIGHT, Scope::Department),
    api("GET", "/api/notices", SIGNED_IN, Scope::Own),
    api("GET", "/api/reports/reductions", HANDLER, Scope::Public),
    api("GET", "/api/reports/overview", OVERSIGHT, Scope::Public),
];
