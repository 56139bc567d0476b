//! Welfare's HTTP handlers under `/api/welfare`: the benefit catalog, a person's benefits and
//! why, objections, entitlements, monthly payout runs with the bank's payment and return files
//! (CSV), the worklist of households in difficulty and visits, happiness lists, the relief
//! directory in Open Referral HSDS and the figures. The area's routes are registered here.

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::Path;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::http::header::CONTENT_DISPOSITION;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use axum::response::Response;
use axum::routing::get;
use axum::routing::post;
use crate::auth::Principal;
use crate::failure::Failure;
use crate::failure::Fallible;
use crate::http_error::ErrorBody;
use crate::json::ApiJson;
use crate::json::ApiQuery;
use crate::policy::*;
use crate::state::AppState;
use super::cases;
use super::views::*;

/// The routes, to be nested under `/api`.
pub fn routes(_state: &AppState) -> Router<AppState> {
    Router::new()
        .route("/welfare/benefits", get(benefits))
        .route("/welfare/directory", get(directory))
        .route("/welfare/mine", get(mine))
        .route("/welfare/mine/happiness", get(my_happiness))
        .route("/welfare/help", post(help))
        .route("/welfare/people/{id_number}", get(person))
        .route("/welfare/entitlements", get(entitlements))
        .route("/welfare/sweep", post(sweep))
        .route("/welfare/objections", get(objections).post(object))
        .route("/welfare/objections/{id}/decision", post(decide_objection))
        .route("/welfare/runs", get(runs).post(freeze))
        .route("/welfare/runs/preview", post(preview))
        .route("/welfare/runs/{id}", get(run))
        .route("/welfare/runs/{id}/approve", post(approve))
        .route("/welfare/runs/{id}/bank-file", get(bank_file))
        .route("/welfare/runs/{id}/returns", post(returns))
        .route("/welfare/failed", get(failed))
        .route("/welfare/flags", get(flags))
        .route("/welfare/flags/{household}/visit", post(visit))
        .route("/welfare/households/{household}/happiness", get(household_happiness))
        .route("/welfare/figures", get(figures))
}

/// The benefits paid without applying, the facts their rules read and the standards they use.
#[utoipa::path(get, path = "/api/welfare/benefits", tag = "welfare", responses((status = 200, body = CatalogView)))]
pub async fn benefits(State(state): State<AppState>) -> Json<CatalogView> {
    Json(cases::catalog_view(&state))
}

/// The relief directory (社会救助服务目录) as Open Referral HSDS 3.0 services, searched by words,
/// town and the difficulty a service helps with.
#[utoipa::path(get, path = "/api/welfare/directory", tag = "welfare", params(DirectoryQuery),
    responses((status = 200, description = "An array of HSDS 3.0 service objects", body = [Object]), (status = 400, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn directory(ApiQuery(q): ApiQuery<DirectoryQuery>) -> Fallible<Json<serde_json::Value>> {
    Ok(Json(cases::directory(&q)?))
}

/// The resident's benefits: what they receive, every benefit's decision today with the facts
/// it read, what changed and their objections.
#[utoipa::path(get, path = "/api/welfare/mine", tag = "welfare",
    responses((status = 200, body = PersonBenefitsView), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn mine(State(state): State<AppState>, p: Principal) -> Fallible<Json<PersonBenefitsView>> {
    Ok(Json(cases::mine(&state, &p).await?))
}

/// The resident's household's happiness list (幸福清单).
#[utoipa::path(get, path = "/api/welfare/mine/happiness", tag = "welfare", params(PeriodQuery),
    responses((status = 200, body = HappinessView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn my_happiness(State(state): State<AppState>, p: Principal, ApiQuery(q): ApiQuery<PeriodQuery>) -> Fallible<Json<HappinessView>> {
    Ok(Json(cases::my_happiness(&state, &p, q).await?))
}

/// A resident asks for help: the household goes on the community's worklist.
#[utoipa::path(post, path = "/api/welfare/help", tag = "welfare", request_body = HelpBody,
    responses((status = 200, body = FlagView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn help(State(state): State<AppState>, p: Principal, ApiJson(body): ApiJson<HelpBody>) -> Fallible<Json<FlagView>> {
    Ok(Json(cases::ask_help(&state, &p, body).await?))
}

/// Someone's benefits and why (the paying departments; a community worker for their division).
#[utoipa::path(get, path = "/api/welfare/people/{id_number}", tag = "welfare", params(("id_number" = String, Path, description = "ID number")),
    responses((status = 200, body = PersonBenefitsView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn person(State(state): State<AppState>, p: Principal, Path(id_number): Path<String>) -> Fallible<Json<PersonBenefitsView>> {
    Ok(Json(cases::person(&state, &p, &id_number).await?))
}

/// A page of entitlements (a department's own benefits; a worker's division).
#[utoipa::path(get, path = "/api/welfare/entitlements", tag = "welfare", params(EntitlementQuery),
    responses((status = 200, body = EntitlementsView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn entitlements(State(state): State<AppState>, p: Principal, ApiQuery(q): ApiQuery<EntitlementQuery>) -> Fallible<Json<EntitlementsView>> {
    Ok(Json(cases::entitlements(&state, &p, q).await?))
}

/// Re-evaluates everyone now and screens every household (the daily duty does the same).
#[utoipa::path(post, path = "/api/welfare/sweep", tag = "welfare",
    responses((status = 200, body = SweepView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)), security(("bearer" = [])))]
pub async fn sweep(State(state): State<AppState>, p: Principal) -> Fallible<Json<SweepView>> {
    Ok(Json(cases::sweep(&state, &p).await?))
}

/// The department's objections, open first.
#[utoipa::path(get, path = "/api/welfare/objections", tag = "welfare",
    responses((status = 200, body = [ObjectionView]), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn objections(State(state): State<AppState>, p: Principal) -> Fallible<Json<Vec<ObjectionView>>> {
    Ok(Json(cases::objections(&state, &p).await?))
}

/// A resident objects to a decision about them.
#[utoipa::path(post, path = "/api/welfare/objections", tag = "welfare", request_body = ObjectionBody,
    responses((status = 200, body = ObjectionView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn object(State(state): State<AppState>, p: Principal, ApiJson(body): ApiJson<ObjectionBody>) -> Fallible<Json<ObjectionView>> {
    Ok(Json(cases::object(&state, &p, body).await?))
}

/// The department answers an objection.
#[utoipa::path(post, path = "/api/welfare/objections/{id}/decision", tag = "welfare", params(("id" = String, Path, description = "Objection id")), request_body = DecideObjectionBody,
    responses((status = 200, body = ObjectionView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn decide_objection(State(state): State<AppState>, p: Principal, Path(id): Path<String>, ApiJson(body): ApiJson<DecideObjectionBody>) -> Fallible<Json<ObjectionView>> {
    Ok(Json(cases::decide_objection(&state, &p, &id, body).await?))
}

/// The department's payout runs.
#[utoipa::path(get, path = "/api/welfare/runs", tag = "welfare",
    responses((status = 200, body = [RunView]), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn runs(State(state): State<AppState>, p: Principal) -> Fallible<Json<Vec<RunView>>> {
    Ok(Json(cases::runs(&state, &p).await?))
}

/// What a month's run would pay (nothing stored).
#[utoipa::path(post, path = "/api/welfare/runs/preview", tag = "welfare", request_body = RunBody,
    responses((status = 200, body = RunView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn preview(State(state): State<AppState>, p: Principal, ApiJson(body): ApiJson<RunBody>) -> Fallible<Json<RunView>> {
    Ok(Json(cases::preview(&state, &p, body).await?))
}

/// Freezes a month's run (once per month and department).
#[utoipa::path(post, path = "/api/welfare/runs", tag = "welfare", request_body = RunBody,
    responses((status = 200, body = RunView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn freeze(State(state): State<AppState>, p: Principal, ApiJson(body): ApiJson<RunBody>) -> Fallible<Json<RunView>> {
    Ok(Json(cases::freeze(&state, &p, body).await?))
}

/// A run with its lines and recoveries.
#[utoipa::path(get, path = "/api/welfare/runs/{id}", tag = "welfare", params(("id" = String, Path, description = "Run id")),
    responses((status = 200, body = RunView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn run(State(state): State<AppState>, p: Principal, Path(id): Path<String>) -> Fallible<Json<RunView>> {
    Ok(Json(cases::run(&state, &p, &id).await?))
}

/// Another person approves a frozen run.
#[utoipa::path(post, path = "/api/welfare/runs/{id}/approve", tag = "welfare", params(("id" = String, Path, description = "Run id")),
    responses((status = 200, body = RunView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)), security(("bearer" = [])))]
pub async fn approve(State(state): State<AppState>, p: Principal, Path(id): Path<String>) -> Fallible<Json<RunView>> {
    Ok(Json(cases::approve(&state, &p, &id).await?))
}

/// The bank's payment file of an approved run (CSV, documented in docs/areas/welfare.md).
#[utoipa::path(get, path = "/api/welfare/runs/{id}/bank-file", tag = "welfare", params(("id" = String, Path, description = "Run id")),
    responses((status = 200, description = "The payment file", content_type = "text/csv", body = String), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn bank_file(State(state): State<AppState>, p: Principal, Path(id): Path<String>) -> Fallible<Response> {
    let (name, file) = cases::bank_file(&state, &p, &id).await?;
    Ok(([(CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()), (CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\""))], file).into_response())
}

/// The bank's return file (CSV): lines paid and failed.
#[utoipa::path(post, path = "/api/welfare/runs/{id}/returns", tag = "welfare", params(("id" = String, Path, description = "Run id")),
    request_body(content = String, content_type = "text/csv", description = "The bank's return file"),
    responses((status = 200, body = ReturnedView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn returns(State(state): State<AppState>, p: Principal, Path(id): Path<String>, headers: HeaderMap, body: Result<Bytes, axum::extract::rejection::BytesRejection>) -> Fallible<Json<ReturnedView>> {
    let body = body.map_err(|e| crate::json::body_error(&e, state.config.json_body_bytes))?;
    let ct = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    if !ct.starts_with("text/csv") && !ct.starts_with("text/plain") {
        return Err(Failure::UnsupportedMediaType { zh: "回盘文件请以 text/csv 上传".into(), en: "Send the return file as text/csv".into() });
    }
    let text = std::str::from_utf8(&body).map_err(|_| Failure::invalid("not_utf8", "body", "回盘文件应为 UTF-8 编码", "The return file must be UTF-8"))?;
    Ok(Json(cases::returns(&state, &p, &id, text).await?))
}

/// Which department's failed lines.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DepartmentQuery {
    /// The department (administrators only).
    pub department: Option<String>,
}

/// Lines the bank could not pay and lines held for want of an account.
#[utoipa::path(get, path = "/api/welfare/failed", tag = "welfare", params(DepartmentQuery),
    responses((status = 200, body = [PaymentView]), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn failed(State(state): State<AppState>, p: Principal, ApiQuery(q): ApiQuery<DepartmentQuery>) -> Fallible<Json<Vec<PaymentView>>> {
    Ok(Json(cases::failed(&state, &p, q.department.as_deref()).await?))
}

/// The worklist of households found in difficulty (a worker's own division).
#[utoipa::path(get, path = "/api/welfare/flags", tag = "welfare", params(FlagQuery),
    responses((status = 200, body = [FlagView]), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn flags(State(state): State<AppState>, p: Principal, ApiQuery(q): ApiQuery<FlagQuery>) -> Fallible<Json<Vec<FlagView>>> {
    Ok(Json(cases::flags(&state, &p, q).await?))
}

/// A community worker records a visit.
#[utoipa::path(post, path = "/api/welfare/flags/{household}/visit", tag = "welfare", params(("household" = String, Path, description = "Household id")), request_body = VisitBody,
    responses((status = 200, body = FlagView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn visit(State(state): State<AppState>, p: Principal, Path(household): Path<String>, ApiJson(body): ApiJson<VisitBody>) -> Fallible<Json<FlagView>> {
    Ok(Json(cases::visit(&state, &p, &household, body).await?))
}

/// A household's happiness list (its community worker, the welfare departments).
#[utoipa::path(get, path = "/api/welfare/households/{household}/happiness", tag = "welfare", params(("household" = String, Path, description = "Household id"), PeriodQuery),
    responses((status = 200, body = HappinessView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn household_happiness(State(state): State<AppState>, p: Principal, Path(household): Path<String>, ApiQuery(q): ApiQuery<PeriodQuery>) -> Fallible<Json<HappinessView>> {
    Ok(Json(cases::household_happiness(&state, &p, &household, q).await?))
}

/// Beneficiaries and money per benefit and town, the proactive share, the seed's indicator.
#[utoipa::path(get, path = "/api/welfare/figures", tag = "welfare",
    responses((status = 200, body = WelfareFiguresView), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn figures(State(state): State<AppState>, p: Principal) -> Fallible<Json<WelfareFiguresView>> {
    Ok(Json(cases::figures(&state, &p).await?))
}

/// The area's part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(benefits, directory, mine, my_happiness, help, person, entitlements, sweep, objections, object, decide_objection, runs, preview, freeze, run, approve, bank_file, returns, failed, flags, visit, household_happiness, figures),
    tags((name = "welfare", description = "Welfare: benefits without applying (免申即享), payouts, proactive relief and happiness lists (C2, C3)")),
)]
pub struct Doc;

/// The departments that pay benefits, and the administrator.
const STAFF: Who = Who::WELFARE.or(Who::ADMIN);
/// Those and the community workers.
const CARE: Who = STAFF.or(Who::COMMUNITY);

/// Who may call each of the area's routes, and the data scope its use case applies: the area's
/// part of the policy table (`crate::policy::ROUTES`).
pub const POLICY: &[Route] = &[
    api("GET", "/api/welfare/benefits", ANYONE, Scope::Public),
    api("GET", "/api/welfare/directory", ANYONE, Scope::Public),
    api("GET", "/api/welfare/mine", RESIDENT, Scope::Own),
    api("GET", "/api/welfare/mine/happiness", RESIDENT, Scope::Own),
    api("POST", "/api/welfare/help", RESIDENT, Scope::Own),
    api("GET", "/api/welfare/people/{id_number}", CARE.or(Who::RESIDENT), Scope::Purpose),
    api("GET", "/api/welfare/entitlements", CARE, Scope::Department),
    api("POST", "/api/welfare/sweep", STAFF, Scope::Public),
    api("GET", "/api/welfare/objections", STAFF, Scope::Department),
    api("POST", "/api/welfare/objections", RESIDENT, Scope::Own),
    api("POST", "/api/welfare/objections/{id}/decision", STAFF, Scope::Department),
    api("GET", "/api/welfare/runs", STAFF, Scope::Department),
    api("POST", "/api/welfare/runs", STAFF, Scope::Department),
    api("POST", "/api/welfare/runs/preview", STAFF, Scope::Department),
    api("GET", "/api/welfare/runs/{id}", STAFF, Scope::Department),
    api("POST", "/api/welfare/runs/{id}/approve", STAFF, Scope::Department),
    api("GET", "/api/welfare/runs/{id}/bank-file", STAFF, Scope::Department),
    api("POST", "/api/welfare/runs/{id}/returns", STAFF, Scope::Department),
    api("GET", "/api/welfare/failed", STAFF, Scope::Department),
    api("GET", "/api/welfare/flags", CARE, Scope::Division),
    api("POST", "/api/welfare/flags/{household}/visit", Who::COMMUNITY, Scope::Division),
    api("GET", "/api/welfare/households/{household}/happiness", CARE, Scope::Division),
    api("GET", "/api/welfare/figures", STAFF, Scope::Public),
];
