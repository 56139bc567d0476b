//! Places' HTTP handlers under `/api/places`: childcare institutions, applications, allocation
//! rounds and figures; public rental housing eligibility, applications, the waiting list, lottery
//! draws anyone can verify, homes, offers, leases and figures; 善居 projects. The area's routes
//! and their policy are declared here.

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
use super::housing;
use super::views::*;

/// The routes, to be nested under `/api`.
pub fn routes(_state: &AppState) -> Router<AppState> {
    Router::new()
        .route("/places/childcare/institutions", get(institutions).post(save_institution))
        .route("/places/childcare/institutions/{id}", get(institution))
        .route("/places/childcare/institutions/{id}/inspections", post(inspect))
        .route("/places/childcare/applications", post(apply))
        .route("/places/childcare/applications/mine", get(my_applications))
        .route("/places/childcare/applications/queue", get(queue))
        .route("/places/childcare/applications/{id}", get(application))
        .route("/places/childcare/applications/{id}/actions", post(act))
        .route("/places/childcare/rounds", get(rounds).post(run_round))
        .route("/places/childcare/figures", get(childcare_figures))
        .route("/places/housing/eligibility", get(eligibility))
        .route("/places/housing/applications", post(housing_apply))
        .route("/places/housing/applications/mine", get(housing_mine))
        .route("/places/housing/waiting-list", get(waiting_list))
        .route("/places/housing/draws", get(draws).post(create_draw))
        .route("/places/housing/draws/{id}", get(draw))
        .route("/places/housing/draws/{id}/draw", post(run_draw))
        .route("/places/housing/draws/{id}/verify", get(verify))
        .route("/places/housing/homes", get(units).post(add_unit))
        .route("/places/housing/homes/{id}/offer", post(offer))
        .route("/places/housing/offers/{id}/answer", post(answer_offer))
        .route("/places/housing/leases", get(leases))
        .route("/places/housing/leases/{id}/actions", post(lease_act))
        .route("/places/housing/figures", get(housing_figures))
        .route("/places/shanju", get(projects).post(open_project))
        .route("/places/shanju/{id}/actions", post(project_act))
}

/// Childcare institutions (open ones; childcare staff may ask for all), with free places per age
/// class and walking minutes from a home.
#[utoipa::path(get, path = "/api/places/childcare/institutions", tag = "places", params(InstitutionQuery),
    responses((status = 200, body = [InstitutionView]), (status = 400, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn institutions(State(state): State<AppState>, MaybePrincipal(p): MaybePrincipal, ApiQuery(q): ApiQuery<InstitutionQuery>) -> Fallible<Json<Vec<InstitutionView>>> {
    Ok(Json(cases::institutions(&state, p.as_ref(), q).await?))
}

/// Registers or changes a childcare institution (卫健).
#[utoipa::path(post, path = "/api/places/childcare/institutions", tag = "places", request_body = InstitutionBody,
    responses((status = 200, body = InstitutionView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn save_institution(State(state): State<AppState>, p: Principal, ApiJson(body): ApiJson<InstitutionBody>) -> Fallible<Json<InstitutionView>> {
    Ok(Json(cases::save_institution(&state, &p, body).await?))
}

/// A childcare institution.
#[utoipa::path(get, path = "/api/places/childcare/institutions/{id}", tag = "places", params(("id" = String, Path)),
    responses((status = 200, body = InstitutionView), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn institution(State(state): State<AppState>, Path(id): Path<String>) -> Fallible<Json<InstitutionView>> {
    Ok(Json(cases::institution(&state, &id).await?))
}

/// Records an inspection (a failed one suspends the institution).
#[utoipa::path(post, path = "/api/places/childcare/institutions/{id}/inspections", tag = "places", params(("id" = String, Path)), request_body = InspectionBody,
    responses((status = 200, body = InstitutionView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn inspect(State(state): State<AppState>, p: Principal, Path(id): Path<String>, ApiJson(body): ApiJson<InspectionBody>) -> Fallible<Json<InstitutionView>> {
    Ok(Json(cases::inspect(&state, &p, &id, body).await?))
}

/// A family applies for a place for a child of its household, up to five institutions in order.
#[utoipa::path(post, path = "/api/places/childcare/applications", tag = "places", request_body = ChildcareApplyBody,
    responses((status = 201, body = ApplicationView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn apply(State(state): State<AppState>, p: Principal, ApiJson(body): ApiJson<ChildcareApplyBody>) -> Fallible<(StatusCode, Json<ApplicationView>)> {
    Ok((StatusCode::CREATED, Json(cases::apply(&state, &p, body).await?)))
}

/// The caller's childcare applications, with rank and why.
#[utoipa::path(get, path = "/api/places/childcare/applications/mine", tag = "places",
    responses((status = 200, body = [ApplicationView]), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn my_applications(State(state): State<AppState>, p: Principal) -> Fallible<Json<Vec<ApplicationView>>> {
    Ok(Json(cases::my_applications(&state, &p).await?))
}

/// The applications waiting or offered (卫健), of a town or all.
#[utoipa::path(get, path = "/api/places/childcare/applications/queue", tag = "places", params(TownQuery),
    responses((status = 200, body = [ApplicationView]), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn queue(State(state): State<AppState>, p: Principal, ApiQuery(q): ApiQuery<TownQuery>) -> Fallible<Json<Vec<ApplicationView>>> {
    Ok(Json(cases::queue(&state, &p, q.town).await?))
}

/// One application: its family's, or the childcare department's (the read is logged).
#[utoipa::path(get, path = "/api/places/childcare/applications/{id}", tag = "places", params(("id" = String, Path)),
    responses((status = 200, body = ApplicationView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn application(State(state): State<AppState>, p: Principal, Path(id): Path<String>) -> Fallible<Json<ApplicationView>> {
    Ok(Json(cases::application(&state, &p, &id).await?))
}

/// The family accepts or declines an offered place, withdraws the application, or leaves.
#[utoipa::path(post, path = "/api/places/childcare/applications/{id}/actions", tag = "places", params(("id" = String, Path)), request_body = ChildcareActionBody,
    responses((status = 200, body = ApplicationView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn act(State(state): State<AppState>, p: Principal, Path(id): Path<String>, ApiJson(body): ApiJson<ChildcareActionBody>) -> Fallible<Json<ApplicationView>> {
    Ok(Json(cases::act(&state, &p, &id, body).await?))
}

/// The allocation rounds (卫健).
#[utoipa::path(get, path = "/api/places/childcare/rounds", tag = "places",
    responses((status = 200, body = [RoundView]), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn rounds(State(state): State<AppState>, p: Principal) -> Fallible<Json<Vec<RoundView>>> {
    Ok(Json(cases::rounds(&state, &p).await?))
}

/// Runs an allocation round by deferred acceptance over the waiting applications (卫健).
#[utoipa::path(post, path = "/api/places/childcare/rounds", tag = "places", request_body = RoundBody,
    responses((status = 201, body = RoundView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn run_round(State(state): State<AppState>, p: Principal, ApiJson(body): ApiJson<RoundBody>) -> Fallible<(StatusCode, Json<RoundView>)> {
    Ok((StatusCode::CREATED, Json(cases::run_round(&state, &p, body).await?)))
}

/// Childcare supply per town: places per 1,000 residents against the norm, per child under 3,
/// utilisation and families waiting.
#[utoipa::path(get, path = "/api/places/childcare/figures", tag = "places",
    responses((status = 200, body = ChildcareFiguresView)))]
pub async fn childcare_figures(State(state): State<AppState>) -> Fallible<Json<ChildcareFiguresView>> {
    Ok(Json(cases::figures(&state).await?))
}

/// Whether the caller's household qualifies for public rental housing, criterion by criterion.
#[utoipa::path(get, path = "/api/places/housing/eligibility", tag = "places",
    responses((status = 200, body = EligibilityView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn eligibility(State(state): State<AppState>, p: Principal) -> Fallible<Json<EligibilityView>> {
    Ok(Json(housing::eligibility(&state, &p).await?))
}

/// A family applies for public rental housing (the `public-rental` bundle is filed).
#[utoipa::path(post, path = "/api/places/housing/applications", tag = "places", request_body = HousingApplyBody,
    responses((status = 201, body = HouseholdView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn housing_apply(State(state): State<AppState>, p: Principal, ApiJson(body): ApiJson<HousingApplyBody>) -> Fallible<(StatusCode, Json<HouseholdView>)> {
    Ok((StatusCode::CREATED, Json(housing::apply(&state, &p, body).await?)))
}

/// The caller's housing applications, with points, rank, draws, offer and lease.
#[utoipa::path(get, path = "/api/places/housing/applications/mine", tag = "places",
    responses((status = 200, body = [HouseholdView]), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn housing_mine(State(state): State<AppState>, p: Principal) -> Fallible<Json<Vec<HouseholdView>>> {
    Ok(Json(housing::mine(&state, &p).await?))
}

/// The waiting list by points (住建); names and ID numbers masked, the reads logged.
#[utoipa::path(get, path = "/api/places/housing/waiting-list", tag = "places",
    responses((status = 200, body = [HouseholdView]), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn waiting_list(State(state): State<AppState>, p: Principal) -> Fallible<Json<Vec<HouseholdView>>> {
    Ok(Json(housing::waiting_list(&state, &p).await?))
}

/// The lottery draws as published.
#[utoipa::path(get, path = "/api/places/housing/draws", tag = "places",
    responses((status = 200, body = [DrawView])))]
pub async fn draws(State(state): State<AppState>) -> Fallible<Json<Vec<DrawView>>> {
    Ok(Json(housing::draws(&state).await?))
}

/// Commits a draw: the seed's SHA-256 and the applicant lists are published now (住建).
#[utoipa::path(post, path = "/api/places/housing/draws", tag = "places", request_body = DrawBody,
    responses((status = 201, body = DrawView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn create_draw(State(state): State<AppState>, p: Principal, ApiJson(body): ApiJson<DrawBody>) -> Fallible<(StatusCode, Json<DrawView>)> {
    Ok((StatusCode::CREATED, Json(housing::create_draw(&state, &p, body).await?)))
}

/// A draw as published (the caller's own position shown to a signed-in applicant).
#[utoipa::path(get, path = "/api/places/housing/draws/{id}", tag = "places", params(("id" = String, Path)),
    responses((status = 200, body = DrawView), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn draw(State(state): State<AppState>, MaybePrincipal(p): MaybePrincipal, Path(id): Path<String>) -> Fallible<Json<DrawView>> {
    Ok(Json(housing::draw_public(&state, p.as_ref(), &id).await?))
}

/// Draws: the seed is revealed and each group's order fixed (住建).
#[utoipa::path(post, path = "/api/places/housing/draws/{id}/draw", tag = "places", params(("id" = String, Path)),
    responses((status = 200, body = DrawView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn run_draw(State(state): State<AppState>, p: Principal, Path(id): Path<String>) -> Fallible<Json<DrawView>> {
    Ok(Json(housing::draw(&state, &p, &id).await?))
}

/// Anyone re-runs a drawn draw from a seed.
#[utoipa::path(get, path = "/api/places/housing/draws/{id}/verify", tag = "places", params(("id" = String, Path), VerifyQuery),
    responses((status = 200, body = VerifyView), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn verify(State(state): State<AppState>, Path(id): Path<String>, ApiQuery(q): ApiQuery<VerifyQuery>) -> Fallible<Json<VerifyView>> {
    Ok(Json(housing::verify(&state, &id, q).await?))
}

/// The homes (住建).
#[utoipa::path(get, path = "/api/places/housing/homes", tag = "places",
    responses((status = 200, body = [UnitView]), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn units(State(state): State<AppState>, p: Principal) -> Fallible<Json<Vec<UnitView>>> {
    Ok(Json(housing::units(&state, &p).await?))
}

/// Adds a home (住建).
#[utoipa::path(post, path = "/api/places/housing/homes", tag = "places", request_body = UnitBody,
    responses((status = 201, body = UnitView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn add_unit(State(state): State<AppState>, p: Principal, ApiJson(body): ApiJson<UnitBody>) -> Fallible<(StatusCode, Json<UnitView>)> {
    Ok((StatusCode::CREATED, Json(housing::add_unit(&state, &p, body).await?)))
}

/// Offers a vacant home to the next household in line that fits it and still qualifies (住建).
#[utoipa::path(post, path = "/api/places/housing/homes/{id}/offer", tag = "places", params(("id" = String, Path)),
    responses((status = 201, body = OfferView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn offer(State(state): State<AppState>, p: Principal, Path(id): Path<String>) -> Fallible<(StatusCode, Json<OfferView>)> {
    Ok((StatusCode::CREATED, Json(housing::offer(&state, &p, &id).await?)))
}

/// The household accepts (a lease starts) or refuses its offer.
#[utoipa::path(post, path = "/api/places/housing/offers/{id}/answer", tag = "places", params(("id" = String, Path)), request_body = OfferAnswerBody,
    responses((status = 200, body = HouseholdView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn answer_offer(State(state): State<AppState>, p: Principal, Path(id): Path<String>, ApiJson(body): ApiJson<OfferAnswerBody>) -> Fallible<Json<HouseholdView>> {
    Ok(Json(housing::answer_offer(&state, &p, &id, body).await?))
}

/// The leases (住建).
#[utoipa::path(get, path = "/api/places/housing/leases", tag = "places",
    responses((status = 200, body = [LeaseView]), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn leases(State(state): State<AppState>, p: Principal) -> Fallible<Json<Vec<LeaseView>>> {
    Ok(Json(housing::leases(&state, &p).await?))
}

/// Re-qualifies a lease on today's register facts, or records the move-out (住建).
#[utoipa::path(post, path = "/api/places/housing/leases/{id}/actions", tag = "places", params(("id" = String, Path)), request_body = LeaseActionBody,
    responses((status = 200, body = LeaseView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn lease_act(State(state): State<AppState>, p: Principal, Path(id): Path<String>, ApiJson(body): ApiJson<LeaseActionBody>) -> Fallible<Json<LeaseView>> {
    Ok(Json(housing::lease_act(&state, &p, &id, body).await?))
}

/// Housing figures: households waiting, offers, leases, draws, 善居 projects.
#[utoipa::path(get, path = "/api/places/housing/figures", tag = "places",
    responses((status = 200, body = HousingFiguresView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn housing_figures(State(state): State<AppState>) -> Fallible<Json<HousingFiguresView>> {
    Ok(Json(housing::figures(&state).await?))
}

/// 善居 projects: the housing department's all, a resident's own.
#[utoipa::path(get, path = "/api/places/shanju", tag = "places",
    responses((status = 200, body = [ShanjuView]), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn projects(State(state): State<AppState>, p: Principal) -> Fallible<Json<Vec<ShanjuView>>> {
    Ok(Json(housing::projects(&state, &p).await?))
}

/// Opens a 善居 project for the home of a family in difficulty (住建).
#[utoipa::path(post, path = "/api/places/shanju", tag = "places", request_body = ShanjuBody,
    responses((status = 201, body = ShanjuView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn open_project(State(state): State<AppState>, p: Principal, ApiJson(body): ApiJson<ShanjuBody>) -> Fallible<(StatusCode, Json<ShanjuView>)> {
    Ok((StatusCode::CREATED, Json(housing::open_project(&state, &p, body).await?)))
}

/// A step of a 善居 project (住建), or the resident's rating.
#[utoipa::path(post, path = "/api/places/shanju/{id}/actions", tag = "places", params(("id" = String, Path)), request_body = ShanjuActionBody,
    responses((status = 200, body = ShanjuView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn project_act(State(state): State<AppState>, p: Principal, Path(id): Path<String>, ApiJson(body): ApiJson<ShanjuActionBody>) -> Fallible<Json<ShanjuView>> {
    Ok(Json(housing::project_act(&state, &p, &id, body).await?))
}

/// The area's part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(institutions, save_institution, institution, inspect, apply, my_applications, queue, application, act, rounds, run_round, childcare_figures,
        eligibility, housing_apply, housing_mine, waiting_list, draws, create_draw, draw, run_draw, verify, units, add_unit, offer, answer_offer, leases, lease_act,
        housing_figures, projects, open_project, project_act),
    tags((name = "places", description = "Places: childcare (托育, C4) and public rental housing (公租房, C5), 善居工程")),
)]
pub struct Doc;

/// The childcare department (卫健) and the administrator.
const CHILDCARE_STAFF: Who = Who::CHILDCARE.or(Who::ADMIN);
/// The housing security department (住建) and the administrator.
const HOUSING_STAFF: Who = Who::HOUSING.or(Who::ADMIN);

/// Who may call each route, and the data scope its use case applies.
pub const POLICY: &[Route] = &[
    api("GET", "/api/places/childcare/institutions", ANYONE, Scope::Public),
    api("POST", "/api/places/childcare/institutions", CHILDCARE_STAFF, Scope::Department),
    api("GET", "/api/places/childcare/institutions/{id}", ANYONE, Scope::Public),
    api("POST", "/api/places/childcare/institutions/{id}/inspections", CHILDCARE_STAFF, Scope::Department),
    api("POST", "/api/places/childcare/applications", RESIDENT, Scope::Own),
    api("GET", "/api/places/childcare/applications/mine", RESIDENT, Scope::Own),
    api("GET", "/api/places/childcare/applications/queue", CHILDCARE_STAFF, Scope::Purpose),
    api("GET", "/api/places/childcare/applications/{id}", RESIDENT.or(CHILDCARE_STAFF), Scope::Record),
    api("POST", "/api/places/childcare/applications/{id}/actions", RESIDENT, Scope::Record),
    api("GET", "/api/places/childcare/rounds", CHILDCARE_STAFF, Scope::Department),
    api("POST", "/api/places/childcare/rounds", CHILDCARE_STAFF, Scope::Department),
    api("GET", "/api/places/childcare/figures", ANYONE, Scope::Public),
    api("GET", "/api/places/housing/eligibility", RESIDENT, Scope::Own),
    api("POST", "/api/places/housing/applications", RESIDENT, Scope::Own),
    api("GET", "/api/places/housing/applications/mine", RESIDENT, Scope::Own),
    api("GET", "/api/places/housing/waiting-list", HOUSING_STAFF, Scope::Purpose),
    api("GET", "/api/places/housing/draws", ANYONE, Scope::Public),
    api("POST", "/api/places/housing/draws", HOUSING_STAFF, Scope::Department),
    api("GET", "/api/places/housing/draws/{id}", ANYONE, Scope::Public),
    api("POST", "/api/places/housing/draws/{id}/draw", HOUSING_STAFF, Scope::Department),
    api("GET", "/api/places/housing/draws/{id}/verify", ANYONE, Scope::Public),
    api("GET", "/api/places/housing/homes", HOUSING_STAFF, Scope::Department),
    api("POST", "/api/places/housing/homes", HOUSING_STAFF, Scope::Department),
    api("POST", "/api/places/housing/homes/{id}/offer", HOUSING_STAFF, Scope::Department),
    api("POST", "/api/places/housing/offers/{id}/answer", RESIDENT, Scope::Record),
    api("GET", "/api/places/housing/leases", HOUSING_STAFF, Scope::Department),
    api("POST", "/api/places/housing/leases/{id}/actions", HOUSING_STAFF, Scope::Department),
    api("GET", "/api/places/housing/figures", OVERSIGHT.or(HOUSING_STAFF), Scope::Public),
    api("GET", "/api/places/shanju", RESIDENT.or(HOUSING_STAFF), Scope::Record),
    api("POST", "/api/places/shanju", HOUSING_STAFF, Scope::Department),
    api("POST", "/api/places/shanju/{id}/actions", RESIDENT.or(HOUSING_STAFF), Scope::Record),
];
