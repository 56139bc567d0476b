//! The library's HTTP handlers under `/api/library` (branches, the catalogue and its import, fee
//! quotes, one-click orders and their steps, loans, renewals, returns, holds, the cockpit). Its
//! routes and their policy are declared here.

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::Path;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::routing::post;
use crate::auth::Principal;
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
        .route("/library/branches", get(branches))
        .route("/library/titles", get(titles))
        .route("/library/titles/{isbn}", get(title))
        .route("/library/import", post(import))
        .route("/library/copies/{barcode}/status", post(copy_status))
        .route("/library/quote", get(quote))
        .route("/library/orders", get(work).post(place))
        .route("/library/orders/mine", get(my_orders))
        .route("/library/orders/{id}", get(order))
        .route("/library/orders/{id}/actions", post(act))
        .route("/library/loans/mine", get(my_loans))
        .route("/library/loans/{id}/renew", post(renew))
        .route("/library/loans/{id}/return", post(give_back))
        .route("/library/loans/{id}/return/actions", post(return_step))
        .route("/library/holds/mine", get(my_holds))
        .route("/library/holds/{id}/cancel", post(cancel_hold))
        .route("/library/holds/{id}/collect", post(collect_hold))
        .route("/library/figures", get(figures))
}

/// The district's public libraries.
#[utoipa::path(get, path = "/api/library/branches", tag = "library", responses((status = 200, body = [BranchView])))]
pub async fn branches() -> Fallible<Json<Vec<BranchView>>> {
    Ok(Json(cases::branches()?))
}

/// The catalogue: titles by words of the title or author, an ISBN, or a subject, with copies and
/// copies on the shelf per branch.
#[utoipa::path(get, path = "/api/library/titles", tag = "library", params(TitleQuery), responses((status = 200, body = [TitleView]), (status = 400, body = ErrorBody)))]
pub async fn titles(State(state): State<AppState>, ApiQuery(q): ApiQuery<TitleQuery>) -> Fallible<Json<Vec<TitleView>>> {
    Ok(Json(cases::titles(&state, q).await?))
}

/// One title with its copies per branch.
#[utoipa::path(get, path = "/api/library/titles/{isbn}", tag = "library", params(("isbn" = String, Path)), responses((status = 200, body = TitleView), (status = 404, body = ErrorBody)))]
pub async fn title(State(state): State<AppState>, Path(isbn): Path<String>) -> Fallible<Json<TitleView>> {
    Ok(Json(cases::title(&state, &isbn).await?))
}

/// Imports a catalogue file (library staff): CSV, or MARC 21 in ISO 2709 with holdings in 852; all
/// or nothing, errors naming the line or record and the field.
#[utoipa::path(post, path = "/api/library/import", tag = "library", params(ImportQuery), request_body(content = String, content_type = "application/octet-stream"),
    responses((status = 201, body = ImportView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 413, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn import(State(state): State<AppState>, p: Principal, ApiQuery(q): ApiQuery<ImportQuery>, body: Bytes) -> Fallible<(StatusCode, Json<ImportView>)> {
    Ok((StatusCode::CREATED, Json(cases::import(&state, &p, &q.format, &body).await?)))
}

/// Takes a copy off the shelf (withdrawn, lost) or puts it back (library staff).
#[utoipa::path(post, path = "/api/library/copies/{barcode}/status", tag = "library", params(("barcode" = String, Path)), request_body = CopyStatusBody,
    responses((status = 200, body = CopyView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn copy_status(State(state): State<AppState>, p: Principal, Path(barcode): Path<String>, ApiJson(body): ApiJson<CopyStatusBody>) -> Fallible<Json<CopyView>> {
    Ok(Json(cases::set_copy_status(&state, &p, &barcode, body).await?))
}

/// What delivery costs today (3 yuan for 1–3 books; free in a promotion; pick-up free), shown before ordering.
#[utoipa::path(get, path = "/api/library/quote", tag = "library", params(QuoteQuery), responses((status = 200, body = QuoteView), (status = 400, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn quote(State(state): State<AppState>, ApiQuery(q): ApiQuery<QuoteQuery>) -> Fallible<Json<QuoteView>> {
    Ok(Json(cases::quote(&state, q)?))
}

/// One-click borrowing (a resident): the books, delivered home or collected at a desk; copies from
/// the fastest branch, a hold for each title with no free copy.
#[utoipa::path(post, path = "/api/library/orders", tag = "library", request_body = OrderBody,
    responses((status = 201, body = RequestView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn place(State(state): State<AppState>, p: Principal, ApiJson(body): ApiJson<OrderBody>) -> Fallible<(StatusCode, Json<RequestView>)> {
    Ok((StatusCode::CREATED, Json(cases::place(&state, &p, body).await?)))
}

/// The staff's work list: a branch's parcels to pick, pack and hand over.
#[utoipa::path(get, path = "/api/library/orders", tag = "library", params(LibraryOrdersQuery),
    responses((status = 200, body = [LibraryOrderView]), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn work(State(state): State<AppState>, p: Principal, ApiQuery(q): ApiQuery<LibraryOrdersQuery>) -> Fallible<Json<Vec<LibraryOrderView>>> {
    Ok(Json(cases::work(&state, &p, q).await?))
}

/// The reader's orders.
#[utoipa::path(get, path = "/api/library/orders/mine", tag = "library", responses((status = 200, body = [LibraryOrderView]), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn my_orders(State(state): State<AppState>, p: Principal) -> Fallible<Json<Vec<LibraryOrderView>>> {
    Ok(Json(cases::my_orders(&state, &p).await?))
}

/// One order (its reader, library staff).
#[utoipa::path(get, path = "/api/library/orders/{id}", tag = "library", params(("id" = String, Path)),
    responses((status = 200, body = LibraryOrderView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn order(State(state): State<AppState>, p: Principal, Path(id): Path<String>) -> Fallible<Json<LibraryOrderView>> {
    Ok(Json(cases::order(&state, &p, &id).await?))
}

/// A step of an order (library staff; its reader may cancel it before picking starts).
#[utoipa::path(post, path = "/api/library/orders/{id}/actions", tag = "library", params(("id" = String, Path)), request_body = OrderActionBody,
    responses((status = 200, body = LibraryOrderView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn act(State(state): State<AppState>, p: Principal, Path(id): Path<String>, ApiJson(body): ApiJson<OrderActionBody>) -> Fallible<Json<LibraryOrderView>> {
    Ok(Json(cases::act(&state, &p, &id, body).await?))
}

/// The reader's loans.
#[utoipa::path(get, path = "/api/library/loans/mine", tag = "library", responses((status = 200, body = [LibraryLoanView]), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn my_loans(State(state): State<AppState>, p: Principal) -> Fallible<Json<Vec<LibraryLoanView>>> {
    Ok(Json(cases::my_loans(&state, &p).await?))
}

/// Renews a loan (its reader); refused while another reader waits for the title.
#[utoipa::path(post, path = "/api/library/loans/{id}/renew", tag = "library", params(("id" = String, Path)),
    responses((status = 200, body = LibraryLoanView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn renew(State(state): State<AppState>, p: Principal, Path(id): Path<String>) -> Fallible<Json<LibraryLoanView>> {
    Ok(Json(cases::renew(&state, &p, &id).await?))
}

/// Gives a book back: a courier pick-up (its reader) or at a desk (library staff).
#[utoipa::path(post, path = "/api/library/loans/{id}/return", tag = "library", params(("id" = String, Path)), request_body = ReturnBody,
    responses((status = 200, body = LibraryLoanView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn give_back(State(state): State<AppState>, p: Principal, Path(id): Path<String>, ApiJson(body): ApiJson<ReturnBody>) -> Fallible<Json<LibraryLoanView>> {
    Ok(Json(cases::give_back(&state, &p, &id, body).await?))
}

/// A step of a courier return (library staff): picked up, sent home, checked in.
#[utoipa::path(post, path = "/api/library/loans/{id}/return/actions", tag = "library", params(("id" = String, Path)), request_body = ReturnActionBody,
    responses((status = 200, body = LibraryLoanView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn return_step(State(state): State<AppState>, p: Principal, Path(id): Path<String>, ApiJson(body): ApiJson<ReturnActionBody>) -> Fallible<Json<LibraryLoanView>> {
    Ok(Json(cases::return_step(&state, &p, &id, body).await?))
}

/// The reader's holds with their place in the queue.
#[utoipa::path(get, path = "/api/library/holds/mine", tag = "library", responses((status = 200, body = [HoldView]), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn my_holds(State(state): State<AppState>, p: Principal) -> Fallible<Json<Vec<HoldView>>> {
    Ok(Json(cases::my_holds(&state, &p).await?))
}

/// Cancels a hold (its reader).
#[utoipa::path(post, path = "/api/library/holds/{id}/cancel", tag = "library", params(("id" = String, Path)),
    responses((status = 200, body = HoldView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn cancel_hold(State(state): State<AppState>, p: Principal, Path(id): Path<String>) -> Fallible<Json<HoldView>> {
    Ok(Json(cases::cancel_hold(&state, &p, &id).await?))
}

/// A book kept for a hold is collected at the desk (library staff): the loan starts.
#[utoipa::path(post, path = "/api/library/holds/{id}/collect", tag = "library", params(("id" = String, Path)),
    responses((status = 200, body = LibraryLoanView), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn collect_hold(State(state): State<AppState>, p: Principal, Path(id): Path<String>) -> Fallible<Json<LibraryLoanView>> {
    Ok(Json(cases::collect_hold(&state, &p, &id).await?))
}

/// The library cockpit: requests, parcels, loans, new readers, fees charged and waived, holds, overdue.
#[utoipa::path(get, path = "/api/library/figures", tag = "library", params(LibraryFiguresQuery),
    responses((status = 200, body = LibraryFiguresView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn figures(State(state): State<AppState>, p: Principal, ApiQuery(q): ApiQuery<LibraryFiguresQuery>) -> Fallible<Json<LibraryFiguresView>> {
    Ok(Json(cases::figures(&state, &p, q).await?))
}

/// The area's part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(branches, titles, title, import, copy_status, quote, place, work, my_orders, order, act, my_loans, renew, give_back, return_step, my_holds, cancel_hold, collect_hold, figures),
    tags((name = "library", description = "One-click library borrowing with home delivery (E2): catalogue, fee quotes, orders, loans, returns, holds")),
)]
pub struct Doc;

/// Library staff and the administrator.
const LIBRARY_STAFF: Who = Who::LIBRARY.or(Who::ADMIN);

/// Who may call each route, and the data scope its use case applies.
pub const POLICY: &[Route] = &[
    api("GET", "/api/library/branches", ANYONE, Scope::Public),
    api("GET", "/api/library/titles", ANYONE, Scope::Public),
    api("GET", "/api/library/titles/{isbn}", ANYONE, Scope::Public),
    api("POST", "/api/library/import", LIBRARY_STAFF, Scope::Department),
    api("POST", "/api/library/copies/{barcode}/status", LIBRARY_STAFF, Scope::Department),
    api("GET", "/api/library/quote", ANYONE, Scope::Public),
    api("POST", "/api/library/orders", Who::RESIDENT, Scope::Own),
    api("GET", "/api/library/orders", LIBRARY_STAFF, Scope::Department),
    api("GET", "/api/library/orders/mine", Who::RESIDENT, Scope::Own),
    api("GET", "/api/library/orders/{id}", Who::RESIDENT.or(LIBRARY_STAFF), Scope::Record),
    api("POST", "/api/library/orders/{id}/actions", Who::RESIDENT.or(LIBRARY_STAFF), Scope::Record),
    api("GET", "/api/library/loans/mine", Who::RESIDENT, Scope::Own),
    api("POST", "/api/library/loans/{id}/renew", Who::RESIDENT, Scope::Record),
    api("POST", "/api/library/loans/{id}/return", Who::RESIDENT.or(LIBRARY_STAFF), Scope::Record),
    api("POST", "/api/library/loans/{id}/return/actions", LIBRARY_STAFF, Scope::Department),
    api("GET", "/api/library/holds/mine", Who::RESIDENT, Scope::Own),
    api("POST", "/api/library/holds/{id}/cancel", Who::RESIDENT, Scope::Record),
    api("POST", "/api/library/holds/{id}/collect", LIBRARY_STAFF, Scope::Department),
    api("GET", "/api/library/figures", Who::LIBRARY.or(Who::SUPERVISOR).or(Who::ADMIN), Scope::Department),
];
