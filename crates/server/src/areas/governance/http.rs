//! Community governance's HTTP handlers under `/api/governance` (estates, issues and their
//! queues, permits, funds, meetings, projects, Open311 clients, figures) and the Open311
//! GeoReport v2 endpoints under `/api/open311/v2`. The area's routes are registered here.

use axum::Json;
use axum::Router;
use axum::extract::Path;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::routing::post;
use crate::auth::MaybePrincipal;
use crate::auth::Principal;
use crate::failure::Fallible;
use crate::http_error::ErrorBody;
use crate::json::ApiJson;
use crate::json::ApiQuery;
use crate::policy::*;
use crate::state::AppState;
use super::cases;
use super::civic;
use super::open311;
use super::views::*;

/// The routes, to be nested under `/api`.
pub fn routes(_state: &AppState) -> Router<AppState> {
    Router::new()
        .route("/governance/estates", get(estates).post(save_estate))
        .route("/governance/estates/{id}", get(estate))
        .route("/governance/estates/{id}/funds", get(funds))
        .route("/governance/estates/{id}/income", post(income))
        .route("/governance/estates/{id}/lines", post(add_line))
        .route("/governance/estates/{id}/expenses", post(submit_expense))
        .route("/governance/estates/{id}/meetings", get(meetings).post(create_meeting))
        .route("/governance/issues", get(issues).post(report))
        .route("/governance/issues/mine", get(mine))
        .route("/governance/issues/queue", get(queue))
        .route("/governance/issues/{id}", get(issue))
        .route("/governance/issues/{id}/actions", post(act))
        .route("/governance/expenses/queue", get(expense_queue))
        .route("/governance/expenses/{id}/actions", post(expense_act))
        .route("/governance/meetings/{id}", get(meeting))
        .route("/governance/meetings/{id}/actions", post(meeting_act))
        .route("/governance/projects", get(projects).post(create_project))
        .route("/governance/projects/{id}", get(project))
        .route("/governance/projects/{id}/actions", post(project_act))
        .route("/governance/permits", get(permits))
        .route("/governance/clients", get(clients).post(create_client))
        .route("/governance/clients/{id}/revoke", post(revoke_client))
        .route("/governance/figures", get(figures))
        .route("/open311/v2/services.json", get(open311::services))
        .route("/open311/v2/services/{file}", get(open311::definition))
        .route("/open311/v2/requests.json", get(open311::requests).post(open311::post_request))
        .route("/open311/v2/requests/{file}", get(open311::request))
}

/// The estates (小区), of a community or the caller's own, with their parties.
#[utoipa::path(get, path = "/api/governance/estates", tag = "governance", params(EstateQuery),
    responses((status = 200, body = [EstateView]), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn estates(State(state): State<AppState>, MaybePrincipal(p): MaybePrincipal, ApiQuery(q): ApiQuery<EstateQuery>) -> Fallible<Json<Vec<EstateView>>> {
    Ok(Json(cases::estates(&state, p.as_ref(), q).await?))
}

/// Registers or replaces an estate with its party branch, committee (业委会 or 物管会), property
/// company, stationed worker, helpers and owners (a community worker of its community or town).
#[utoipa::path(post, path = "/api/governance/estates", tag = "governance", request_body = EstateBody,
    responses((status = 200, body = EstateView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn save_estate(State(state): State<AppState>, p: Principal, ApiJson(body): ApiJson<EstateBody>) -> Fallible<Json<EstateView>> {
    Ok(Json(cases::save_estate(&state, &p, body).await?))
}

/// An estate.
#[utoipa::path(get, path = "/api/governance/estates/{id}", tag = "governance", params(("id" = String, Path)),
    responses((status = 200, body = EstateView), (status = 404, body = ErrorBody)))]
pub async fn estate(State(state): State<AppState>, MaybePrincipal(p): MaybePrincipal, Path(id): Path<String>) -> Fallible<Json<EstateView>> {
    Ok(Json(cases::estate(&state, p.as_ref(), &id).await?))
}

/// An estate's public funds for a year (业财公开): ledger, budget lines, applications.
#[utoipa::path(get, path = "/api/governance/estates/{id}/funds", tag = "governance", params(("id" = String, Path), YearQuery),
    responses((status = 200, body = FundsView), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn funds(State(state): State<AppState>, Path(id): Path<String>, ApiQuery(q): ApiQuery<YearQuery>) -> Fallible<Json<FundsView>> {
    Ok(Json(civic::funds(&state, &id, q).await?))
}

/// The committee or the property company records public income.
#[utoipa::path(post, path = "/api/governance/estates/{id}/income", tag = "governance", params(("id" = String, Path)), request_body = IncomeBody,
    responses((status = 200, body = FundsView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn income(State(state): State<AppState>, p: Principal, Path(id): Path<String>, ApiJson(body): ApiJson<IncomeBody>) -> Fallible<Json<FundsView>> {
    Ok(Json(civic::record_income(&state, &p, &id, body).await?))
}

/// The committee adds a budget line.
#[utoipa::path(post, path = "/api/governance/estates/{id}/lines", tag = "governance", params(("id" = String, Path)), request_body = LineBody,
    responses((status = 201, body = LineView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn add_line(State(state): State<AppState>, p: Principal, Path(id): Path<String>, ApiJson(body): ApiJson<LineBody>) -> Fallible<(StatusCode, Json<LineView>)> {
    Ok((StatusCode::CREATED, Json(civic::add_line(&state, &p, &id, body).await?)))
}

/// A party applies to spend public funds, with receipts.
#[utoipa::path(post, path = "/api/governance/estates/{id}/expenses", tag = "governance", params(("id" = String, Path)), request_body = ExpenseBody,
    responses((status = 201, body = ExpenseView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn submit_expense(State(state): State<AppState>, p: Principal, Path(id): Path<String>, ApiJson(body): ApiJson<ExpenseBody>) -> Fallible<(StatusCode, Json<ExpenseView>)> {
    Ok((StatusCode::CREATED, Json(civic::submit_expense(&state, &p, &id, body).await?)))
}

/// An estate's meetings.
#[utoipa::path(get, path = "/api/governance/estates/{id}/meetings", tag = "governance", params(("id" = String, Path)),
    responses((status = 200, body = [MeetingView]), (status = 404, body = ErrorBody)))]
pub async fn meetings(State(state): State<AppState>, MaybePrincipal(p): MaybePrincipal, Path(id): Path<String>) -> Fallible<Json<Vec<MeetingView>>> {
    Ok(Json(civic::meetings(&state, p.as_ref(), &id).await?))
}

/// Convenes an owners' assembly, a council or an open consultation.
#[utoipa::path(post, path = "/api/governance/estates/{id}/meetings", tag = "governance", params(("id" = String, Path)), request_body = MeetingBody,
    responses((status = 201, body = MeetingView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn create_meeting(State(state): State<AppState>, p: Principal, Path(id): Path<String>, ApiJson(body): ApiJson<MeetingBody>) -> Fallible<(StatusCode, Json<MeetingView>)> {
    Ok((StatusCode::CREATED, Json(civic::create_meeting(&state, &p, &id, body).await?)))
}

/// Issues, newest first: an estate's notice board (the reporter is never named).
#[utoipa::path(get, path = "/api/governance/issues", tag = "governance", params(IssueQuery),
    responses((status = 200, body = IssuesView), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn issues(State(state): State<AppState>, MaybePrincipal(p): MaybePrincipal, ApiQuery(q): ApiQuery<IssueQuery>) -> Fallible<Json<IssuesView>> {
    Ok(Json(cases::issues(&state, p.as_ref(), q).await?))
}

/// A resident reports an issue; it is routed at once.
#[utoipa::path(post, path = "/api/governance/issues", tag = "governance", request_body = ReportBody,
    responses((status = 201, body = IssueView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn report(State(state): State<AppState>, p: Principal, ApiJson(body): ApiJson<ReportBody>) -> Fallible<(StatusCode, Json<IssueView>)> {
    Ok((StatusCode::CREATED, Json(cases::report(&state, &p, body).await?)))
}

/// The resident's own reports.
#[utoipa::path(get, path = "/api/governance/issues/mine", tag = "governance", params(IssueQuery),
    responses((status = 200, body = IssuesView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn mine(State(state): State<AppState>, p: Principal, ApiQuery(q): ApiQuery<IssueQuery>) -> Fallible<Json<IssuesView>> {
    Ok(Json(cases::mine(&state, &p, q).await?))
}

/// What the caller must act on now: as an estate's party, a community or street office, or a
/// district department.
#[utoipa::path(get, path = "/api/governance/issues/queue", tag = "governance", params(IssueQuery),
    responses((status = 200, body = IssuesView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn queue(State(state): State<AppState>, p: Principal, ApiQuery(q): ApiQuery<IssueQuery>) -> Fallible<Json<IssuesView>> {
    Ok(Json(cases::queue(&state, &p, q).await?))
}

/// An issue with its history: who did what, who declined it and why.
#[utoipa::path(get, path = "/api/governance/issues/{id}", tag = "governance", params(("id" = String, Path)),
    responses((status = 200, body = IssueView), (status = 404, body = ErrorBody)))]
pub async fn issue(State(state): State<AppState>, MaybePrincipal(p): MaybePrincipal, Path(id): Path<String>) -> Fallible<Json<IssueView>> {
    Ok(Json(cases::issue(&state, p.as_ref(), &id).await?))
}

/// Acts on an issue as the side responsible now (accept, agree, resolve, decline, escalate,
/// start_mediation, record_agreement, note) or as its reporter (confirm, reopen).
#[utoipa::path(post, path = "/api/governance/issues/{id}/actions", tag = "governance", params(("id" = String, Path)), request_body = IssueActionBody,
    responses((status = 200, body = IssueView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn act(State(state): State<AppState>, p: Principal, Path(id): Path<String>, ApiJson(body): ApiJson<IssueActionBody>) -> Fallible<Json<IssueView>> {
    Ok(Json(cases::act(&state, &p, &id, body).await?))
}

/// The expense applications waiting for the caller's review or payment.
#[utoipa::path(get, path = "/api/governance/expenses/queue", tag = "governance",
    responses((status = 200, body = [ExpenseView]), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn expense_queue(State(state): State<AppState>, p: Principal) -> Fallible<Json<Vec<ExpenseView>>> {
    Ok(Json(civic::expense_queue(&state, &p).await?))
}

/// Reviews an expense at the level owed (estate self-check, community re-check, street
/// verification), records the owners' decision, or pays it.
#[utoipa::path(post, path = "/api/governance/expenses/{id}/actions", tag = "governance", params(("id" = String, Path)), request_body = ExpenseActionBody,
    responses((status = 200, body = ExpenseView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn expense_act(State(state): State<AppState>, p: Principal, Path(id): Path<String>, ApiJson(body): ApiJson<ExpenseActionBody>) -> Fallible<Json<ExpenseView>> {
    Ok(Json(civic::expense_act(&state, &p, &id, body).await?))
}

/// A meeting with its agenda and tallies.
#[utoipa::path(get, path = "/api/governance/meetings/{id}", tag = "governance", params(("id" = String, Path)),
    responses((status = 200, body = MeetingView), (status = 404, body = ErrorBody)))]
pub async fn meeting(State(state): State<AppState>, MaybePrincipal(p): MaybePrincipal, Path(id): Path<String>) -> Fallible<Json<MeetingView>> {
    Ok(Json(civic::meeting(&state, p.as_ref(), &id).await?))
}

/// Proposes an item, opens, attends, votes, closes (counting art. 278's double majority),
/// writes or approves the minutes.
#[utoipa::path(post, path = "/api/governance/meetings/{id}/actions", tag = "governance", params(("id" = String, Path)), request_body = MeetingActionBody,
    responses((status = 200, body = MeetingView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn meeting_act(State(state): State<AppState>, p: Principal, Path(id): Path<String>, ApiJson(body): ApiJson<MeetingActionBody>) -> Fallible<Json<MeetingView>> {
    Ok(Json(civic::meeting_act(&state, &p, &id, body).await?))
}

/// Livelihood projects under supervision, of a community and below.
#[utoipa::path(get, path = "/api/governance/projects", tag = "governance", params(EstateQuery),
    responses((status = 200, body = [ProjectView]), (status = 400, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn projects(State(state): State<AppState>, ApiQuery(q): ApiQuery<EstateQuery>) -> Fallible<Json<Vec<ProjectView>>> {
    Ok(Json(civic::projects(&state, q.community.as_deref()).await?))
}

/// Registers a project to supervise, with its milestones.
#[utoipa::path(post, path = "/api/governance/projects", tag = "governance", request_body = ProjectBody,
    responses((status = 201, body = ProjectView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn create_project(State(state): State<AppState>, p: Principal, ApiJson(body): ApiJson<ProjectBody>) -> Fallible<(StatusCode, Json<ProjectView>)> {
    Ok((StatusCode::CREATED, Json(civic::create_project(&state, &p, body).await?)))
}

/// A project with its milestones, problems and ratings.
#[utoipa::path(get, path = "/api/governance/projects/{id}", tag = "governance", params(("id" = String, Path)),
    responses((status = 200, body = ProjectView), (status = 404, body = ErrorBody)))]
pub async fn project(State(state): State<AppState>, Path(id): Path<String>) -> Fallible<Json<ProjectView>> {
    Ok(Json(civic::project(&state, &id).await?))
}

/// Reaches a milestone, inspects (problems with photos), reports or closes a rectification,
/// completes, or rates the project.
#[utoipa::path(post, path = "/api/governance/projects/{id}/actions", tag = "governance", params(("id" = String, Path)), request_body = ProjectActionBody,
    responses((status = 200, body = ProjectView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn project_act(State(state): State<AppState>, p: Principal, Path(id): Path<String>, ApiJson(body): ApiJson<ProjectActionBody>) -> Fallible<Json<ProjectView>> {
    Ok(Json(civic::project_act(&state, &p, &id, body).await?))
}

/// The night-construction permits pushed to the caller's department (the administrator: all).
#[utoipa::path(get, path = "/api/governance/permits", tag = "governance", params(IssueQuery),
    responses((status = 200, body = [PermitView]), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn permits(State(state): State<AppState>, p: Principal, ApiQuery(q): ApiQuery<IssueQuery>) -> Fallible<Json<Vec<PermitView>>> {
    Ok(Json(cases::permits(&state, &p, q).await?))
}

/// The Open311 client applications.
#[utoipa::path(get, path = "/api/governance/clients", tag = "governance",
    responses((status = 200, body = [ClientView]), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn clients(State(state): State<AppState>) -> Fallible<Json<Vec<ClientView>>> {
    Ok(Json(civic::clients(&state).await?))
}

/// Registers an Open311 client application; the answer carries its api_key, shown only once.
#[utoipa::path(post, path = "/api/governance/clients", tag = "governance", request_body = ClientBody,
    responses((status = 201, body = ClientView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn create_client(State(state): State<AppState>, p: Principal, ApiJson(body): ApiJson<ClientBody>) -> Fallible<(StatusCode, Json<ClientView>)> {
    Ok((StatusCode::CREATED, Json(civic::create_client(&state, &p, body).await?)))
}

/// Revokes a client application's api_key.
#[utoipa::path(post, path = "/api/governance/clients/{id}/revoke", tag = "governance", params(("id" = String, Path)),
    responses((status = 200, body = ClientView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn revoke_client(State(state): State<AppState>, Path(id): Path<String>) -> Fallible<Json<ClientView>> {
    Ok(Json(civic::revoke_client(&state, &id).await?))
}

/// The area's figures for the cockpit: issues per town and month, time to settle, escalations,
/// fund spending, projects on time, complaints per permit.
#[utoipa::path(get, path = "/api/governance/figures", tag = "governance",
    responses((status = 200, body = FiguresView), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn figures(State(state): State<AppState>) -> Fallible<Json<FiguresView>> {
    Ok(Json(civic::figures(&state).await?))
}

/// The area's part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(estates, save_estate, estate, funds, income, add_line, submit_expense, meetings, create_meeting, issues, report, mine, queue, issue, act, expense_queue, expense_act,
        meeting, meeting_act, projects, create_project, project, project_act, permits, clients, create_client, revoke_client, figures,
        open311::services, open311::definition, open311::requests, open311::post_request, open311::request),
    tags((name = "governance", description = "Community governance (三方协同、业财治理、议事协商、项目监督, F1–F4)"),
        (name = "open311", description = "Open311 GeoReport v2: residents' issues for existing Open311 apps and libraries")),
)]
pub struct Doc;

/// Estates and projects are registered by community workers (of the estate's community or town)
/// and the administrator.
const REGISTRARS: Who = Who::COMMUNITY.or(Who::ADMIN);

/// Who may call each route, and the data scope its use case applies.
pub const POLICY: &[Route] = &[
    api("GET", "/api/governance/estates", ANYONE, Scope::Public),
    api("POST", "/api/governance/estates", REGISTRARS, Scope::Division),
    api("GET", "/api/governance/estates/{id}", ANYONE, Scope::Public),
    api("GET", "/api/governance/estates/{id}/funds", ANYONE, Scope::Public),
    api("POST", "/api/governance/estates/{id}/income", SIGNED_IN, Scope::Record),
    api("POST", "/api/governance/estates/{id}/lines", SIGNED_IN, Scope::Record),
    api("POST", "/api/governance/estates/{id}/expenses", SIGNED_IN, Scope::Record),
    api("GET", "/api/governance/estates/{id}/meetings", ANYONE, Scope::Public),
    api("POST", "/api/governance/estates/{id}/meetings", SIGNED_IN, Scope::Record),
    api("GET", "/api/governance/issues", ANYONE, Scope::Public),
    api("POST", "/api/governance/issues", RESIDENT, Scope::Own),
    api("GET", "/api/governance/issues/mine", RESIDENT, Scope::Own),
    api("GET", "/api/governance/issues/queue", SIGNED_IN, Scope::Record),
    api("GET", "/api/governance/issues/{id}", ANYONE, Scope::Public),
    api("POST", "/api/governance/issues/{id}/actions", SIGNED_IN, Scope::Record),
    api("GET", "/api/governance/expenses/queue", SIGNED_IN, Scope::Record),
    api("POST", "/api/governance/expenses/{id}/actions", SIGNED_IN, Scope::Record),
    api("GET", "/api/governance/meetings/{id}", ANYONE, Scope::Public),
    api("POST", "/api/governance/meetings/{id}/actions", SIGNED_IN, Scope::Record),
    api("GET", "/api/governance/projects", ANYONE, Scope::Public),
    api("POST", "/api/governance/projects", REGISTRARS, Scope::Division),
    api("GET", "/api/governance/projects/{id}", ANYONE, Scope::Public),
    api("POST", "/api/governance/projects/{id}/actions", SIGNED_IN, Scope::Record),
    api("GET", "/api/governance/permits", DEPARTMENT.or(ADMIN), Scope::Department),
    api("GET", "/api/governance/clients", ADMIN, Scope::Public),
    api("POST", "/api/governance/clients", ADMIN, Scope::Public),
    api("POST", "/api/governance/clients/{id}/revoke", ADMIN, Scope::Public),
    api("GET", "/api/governance/figures", OVERSIGHT, Scope::Public),
    api("GET", "/api/open311/v2/services.json", ANYONE, Scope::Public),
    api("GET", "/api/open311/v2/services/{file}", ANYONE, Scope::Public),
    api("GET", "/api/open311/v2/requests.json", ANYONE, Scope::Public),
    api("POST", "/api/open311/v2/requests.json", ANYONE, Scope::Own),
    api("GET", "/api/open311/v2/requests/{file}", ANYONE, Scope::Public),
];
