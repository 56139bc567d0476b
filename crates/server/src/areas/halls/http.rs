//! Halls' HTTP handlers under `/api/halls` (halls, slots, tickets, windows, the display board with
//! its live feed, the cockpit) and `/api/crossregion` (this district's key, cases taken in for a
//! peer district, cases forwarded here, and the signed server-to-server message endpoint). The
//! area's routes and their policy are declared here.

use std::convert::Infallible;
use std::time::Duration;

use axum::Json;
use axum::Router;
use axum::extract::Path;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Sse;
use axum::response::sse::Event;
use axum::response::sse::KeepAlive;
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
use super::crossregion;
use super::views::*;

/// The routes, to be nested under `/api`.
pub fn routes(_state: &AppState) -> Router<AppState> {
    Router::new()
        .route("/halls", get(halls).post(save_hall))
        .route("/halls/lines", get(lines))
        .route("/halls/figures", get(district_figures))
        .route("/halls/tickets/mine", get(my_tickets))
        .route("/halls/tickets/{id}", get(ticket))
        .route("/halls/tickets/{id}/check-in", post(check_in))
        .route("/halls/tickets/{id}/cancel", post(cancel))
        .route("/halls/tickets/{id}/rate", post(rate))
        .route("/halls/tickets/{id}/actions", post(act))
        .route("/halls/{id}", get(hall))
        .route("/halls/{id}/slots", get(slots))
        .route("/halls/{id}/appointments", post(book))
        .route("/halls/{id}/tickets", post(take))
        .route("/halls/{id}/windows/{no}/call", post(call))
        .route("/halls/{id}/queue", get(queue))
        .route("/halls/{id}/board", get(board))
        .route("/halls/{id}/board/live", get(board_live))
        .route("/halls/{id}/figures", get(hall_figures))
        .route("/crossregion/key", get(key))
        .route("/crossregion/messages", post(receive))
        .route("/crossregion/cases", get(cases_list).post(forward))
        .route("/crossregion/cases/mine", get(my_cases))
        .route("/crossregion/cases/{id}", get(case))
        .route("/crossregion/inbound", get(inbound))
}

/// The halls of the service network (1+2+22+N) with their queues now.
#[utoipa::path(get, path = "/api/halls", tag = "halls", params(HallQuery),
    responses((status = 200, body = [HallView]), (status = 400, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn halls(State(state): State<AppState>, ApiQuery(q): ApiQuery<HallQuery>) -> Fallible<Json<Vec<HallView>>> {
    Ok(Json(cases::halls_list(&state, q).await?))
}

/// Registers or changes a hall with its windows, terminals and opening hours (the administrator).
#[utoipa::path(post, path = "/api/halls", tag = "halls", request_body = HallBody,
    responses((status = 200, body = HallView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn save_hall(State(state): State<AppState>, p: Principal, ApiJson(body): ApiJson<HallBody>) -> Fallible<Json<HallView>> {
    Ok(Json(cases::save_hall(&state, &p, body).await?))
}

/// The service lines (rules as data).
#[utoipa::path(get, path = "/api/halls/lines", tag = "halls", responses((status = 200, body = [LineRuleView])))]
pub async fn lines() -> Json<Vec<LineRuleView>> {
    Json(cases::lines())
}

/// The district's hall cockpit of a day, with a line per hall.
#[utoipa::path(get, path = "/api/halls/figures", tag = "halls", params(DayQuery),
    responses((status = 200, body = HallFiguresView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn district_figures(State(state): State<AppState>, p: Principal, ApiQuery(q): ApiQuery<DayQuery>) -> Fallible<Json<HallFiguresView>> {
    Ok(Json(cases::district_figures(&state, &p, q).await?))
}

/// The signed-in resident's tickets and appointments.
#[utoipa::path(get, path = "/api/halls/tickets/mine", tag = "halls",
    responses((status = 200, body = [TicketView]), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn my_tickets(State(state): State<AppState>, p: Principal) -> Fallible<Json<Vec<TicketView>>> {
    Ok(Json(cases::my_tickets(&state, &p).await?))
}

/// A ticket with how many are ahead and the estimated wait (its holder, the slip's token, or
/// staff of the hall).
#[utoipa::path(get, path = "/api/halls/tickets/{id}", tag = "halls", params(("id" = String, Path), TokenQuery),
    responses((status = 200, body = TicketView), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn ticket(State(state): State<AppState>, MaybePrincipal(p): MaybePrincipal, Path(id): Path<String>, ApiQuery(q): ApiQuery<TokenQuery>) -> Fallible<Json<TicketView>> {
    Ok(Json(cases::ticket(&state, p.as_ref(), &id, q.token.as_deref()).await?))
}

/// Checks in an appointment on arrival (its holder): it joins the queue, first if on time.
#[utoipa::path(post, path = "/api/halls/tickets/{id}/check-in", tag = "halls", params(("id" = String, Path)),
    responses((status = 200, body = TicketView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn check_in(State(state): State<AppState>, p: Principal, Path(id): Path<String>) -> Fallible<Json<TicketView>> {
    Ok(Json(cases::check_in(&state, &p, &id).await?))
}

/// Cancels a booking or a waiting ticket (its holder).
#[utoipa::path(post, path = "/api/halls/tickets/{id}/cancel", tag = "halls", params(("id" = String, Path)),
    responses((status = 200, body = TicketView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn cancel(State(state): State<AppState>, p: Principal, Path(id): Path<String>) -> Fallible<Json<TicketView>> {
    Ok(Json(cases::cancel(&state, &p, &id, None).await?))
}

/// Rates a finished service, 1–5 (its holder, or the kiosk slip's token signed out).
#[utoipa::path(post, path = "/api/halls/tickets/{id}/rate", tag = "halls", params(("id" = String, Path)), request_body = RateBody,
    responses((status = 200, body = TicketView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn rate(State(state): State<AppState>, MaybePrincipal(p): MaybePrincipal, Path(id): Path<String>, ApiJson(body): ApiJson<RateBody>) -> Fallible<Json<TicketView>> {
    Ok(Json(cases::rate(&state, p.as_ref(), &id, body).await?))
}

/// Acts on a ticket at a window: `recall`, `start`, `hold`, `resume`, `transfer`, `no_show`, `finish`.
#[utoipa::path(post, path = "/api/halls/tickets/{id}/actions", tag = "halls", params(("id" = String, Path)), request_body = TicketActionBody,
    responses((status = 200, body = TicketView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn act(State(state): State<AppState>, p: Principal, Path(id): Path<String>, ApiJson(body): ApiJson<TicketActionBody>) -> Fallible<Json<TicketView>> {
    Ok(Json(cases::act(&state, &p, &id, body).await?))
}

/// A hall: its windows, terminals, hours and lines with the queue now.
#[utoipa::path(get, path = "/api/halls/{id}", tag = "halls", params(("id" = String, Path)),
    responses((status = 200, body = HallView), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn hall(State(state): State<AppState>, MaybePrincipal(p): MaybePrincipal, Path(id): Path<String>) -> Fallible<Json<HallView>> {
    Ok(Json(cases::hall(&state, p.as_ref(), &id).await?))
}

/// The appointment slots of a line on a day, with what is left in each.
#[utoipa::path(get, path = "/api/halls/{id}/slots", tag = "halls", params(("id" = String, Path), SlotQuery),
    responses((status = 200, body = [SlotView]), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn slots(State(state): State<AppState>, Path(id): Path<String>, ApiQuery(q): ApiQuery<SlotQuery>) -> Fallible<Json<Vec<SlotView>>> {
    Ok(Json(cases::slots(&state, &id, q).await?))
}

/// Books an appointment slot (a resident).
#[utoipa::path(post, path = "/api/halls/{id}/appointments", tag = "halls", params(("id" = String, Path)), request_body = BookBody,
    responses((status = 201, body = TicketView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn book(State(state): State<AppState>, p: Principal, Path(id): Path<String>, ApiJson(body): ApiJson<BookBody>) -> Fallible<(StatusCode, Json<TicketView>)> {
    Ok((StatusCode::CREATED, Json(cases::book(&state, &p, &id, body).await?)))
}

/// Takes a ticket on arrival: a resident's phone page, or the hall's kiosk signed out (the answer
/// carries the token the slip's QR code opens).
#[utoipa::path(post, path = "/api/halls/{id}/tickets", tag = "halls", params(("id" = String, Path)), request_body = TakeBody,
    responses((status = 201, body = TicketView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn take(State(state): State<AppState>, MaybePrincipal(p): MaybePrincipal, Path(id): Path<String>, ApiJson(body): ApiJson<TakeBody>) -> Fallible<(StatusCode, Json<TicketView>)> {
    Ok((StatusCode::CREATED, Json(cases::take(&state, p.as_ref(), &id, body).await?)))
}

/// Calls the next ticket the window may serve (window staff at that window).
#[utoipa::path(post, path = "/api/halls/{id}/windows/{no}/call", tag = "halls", params(("id" = String, Path), ("no" = u32, Path, minimum = 1, maximum = 999)),
    responses((status = 200, body = TicketView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn call(State(state): State<AppState>, p: Principal, Path((id, no)): Path<(String, String)>) -> Fallible<Json<TicketView>> {
    let no = no.trim().parse::<u32>().map_err(|_| crate::failure::Failure::invalid("bad_window", "no", "窗口号应为数字", "The window number must be a number"))?;
    Ok(Json(cases::call_next(&state, &p, &id, no).await?))
}

/// The hall's queue as a window sees it (staff of the hall).
#[utoipa::path(get, path = "/api/halls/{id}/queue", tag = "halls", params(("id" = String, Path)),
    responses((status = 200, body = QueueView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn queue(State(state): State<AppState>, p: Principal, Path(id): Path<String>) -> Fallible<Json<QueueView>> {
    Ok(Json(cases::queue(&state, &p, &id).await?))
}

/// What the hall's display board shows: the latest calls and each line's next numbers and wait.
#[utoipa::path(get, path = "/api/halls/{id}/board", tag = "halls", params(("id" = String, Path)),
    responses((status = 200, body = BoardView), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn board(State(state): State<AppState>, Path(id): Path<String>) -> Fallible<Json<BoardView>> {
    Ok(Json(cases::board(&state, &id).await?))
}

/// How often a board's live feed looks for a change.
const BOARD_POLL: Duration = Duration::from_millis(400);

/// The board's live feed: server-sent events, a `board` event (the board as JSON) at once and
/// whenever a ticket of the hall changes on any server (looked for every 0.4 s); a comment every
/// 15 s keeps the connection open.
#[utoipa::path(get, path = "/api/halls/{id}/board/live", tag = "halls", params(("id" = String, Path)),
    responses((status = 200, description = "text/event-stream of `board` events", content_type = "text/event-stream", body = String), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn board_live(State(state): State<AppState>, Path(id): Path<String>) -> Fallible<Sse<impl futures::Stream<Item = Result<Event, Infallible>>>> {
    let h = cases::load_hall(&state, &id).await?.hall;
    let stream = futures::stream::unfold((state, h.id, None::<(i64, i64)>, id), |(state, hall, last, id)| async move {
        loop {
            if last.is_some() {
                tokio::time::sleep(BOARD_POLL).await;
            }
            let mark = cases::board_mark(&state, hall).await.ok();
            if mark.is_some() && mark == last {
                continue;
            }
            let data = match cases::board(&state, &id).await {
                Ok(b) => serde_json::to_string(&b).unwrap_or_default(),
                Err(_) => return None,
            };
            return Some((Ok(Event::default().event("board").data(data)), (state, hall, mark, id)));
        }
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}

/// One hall's cockpit of a day (staff of the hall, supervisors, the administrator).
#[utoipa::path(get, path = "/api/halls/{id}/figures", tag = "halls", params(("id" = String, Path), DayQuery),
    responses((status = 200, body = HallFiguresView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn hall_figures(State(state): State<AppState>, p: Principal, Path(id): Path<String>, ApiQuery(q): ApiQuery<DayQuery>) -> Fallible<Json<HallFiguresView>> {
    Ok(Json(cases::hall_figures(&state, &p, &id, q).await?))
}

/// This district's code, name and Ed25519 public key — what a peer configures to trust its
/// messages (the administrator also sees the peers and their unacknowledged messages).
#[utoipa::path(get, path = "/api/crossregion/key", tag = "crossregion", responses((status = 200, body = DistrictKeyView)))]
pub async fn key(State(state): State<AppState>, MaybePrincipal(p): MaybePrincipal) -> Fallible<Json<DistrictKeyView>> {
    Ok(Json(crossregion::key_document(&state, p.as_ref()).await?))
}

/// A peer district's signed message (server to server): answered with a receipt signed by this
/// district; a replay gets the first receipt and changes nothing.
#[utoipa::path(post, path = "/api/crossregion/messages", tag = "crossregion", request_body = EnvelopeBody,
    responses((status = 200, body = ReceiptView), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn receive(State(state): State<AppState>, ApiJson(body): ApiJson<EnvelopeBody>) -> Fallible<Json<ReceiptView>> {
    Ok(Json(crossregion::receive(&state, body).await?))
}

/// Cross-region cases taken in here (window staff: their own; the administrator: all).
#[utoipa::path(get, path = "/api/crossregion/cases", tag = "crossregion", params(CaseQuery),
    responses((status = 200, body = [CaseView]), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn cases_list(State(state): State<AppState>, p: Principal, ApiQuery(q): ApiQuery<CaseQuery>) -> Fallible<Json<Vec<CaseView>>> {
    Ok(Json(crossregion::cases(&state, &p, q).await?))
}

/// Takes in an application for a peer district's item at a window; it is forwarded at once and
/// retried until the peer acknowledges it.
#[utoipa::path(post, path = "/api/crossregion/cases", tag = "crossregion", request_body = ForwardBody,
    responses((status = 201, body = CaseView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn forward(State(state): State<AppState>, p: Principal, ApiJson(body): ApiJson<ForwardBody>) -> Fallible<(StatusCode, Json<CaseView>)> {
    Ok((StatusCode::CREATED, Json(crossregion::forward(&state, &p, body).await?)))
}

/// The signed-in resident's cross-region cases.
#[utoipa::path(get, path = "/api/crossregion/cases/mine", tag = "crossregion",
    responses((status = 200, body = [CaseView]), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)), security(("bearer" = [])))]
pub async fn my_cases(State(state): State<AppState>, p: Principal) -> Fallible<Json<Vec<CaseView>>> {
    Ok(Json(crossregion::my_cases(&state, &p).await?))
}

/// A cross-region case with its history (its applicant, window staff, the administrator).
#[utoipa::path(get, path = "/api/crossregion/cases/{id}", tag = "crossregion", params(("id" = String, Path)),
    responses((status = 200, body = CaseView), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn case(State(state): State<AppState>, p: Principal, Path(id): Path<String>) -> Fallible<Json<CaseView>> {
    Ok(Json(crossregion::case(&state, &p, &id).await?))
}

/// Cases peer districts forwarded here, with their applications (administrators, supervisors).
#[utoipa::path(get, path = "/api/crossregion/inbound", tag = "crossregion", params(CaseQuery),
    responses((status = 200, body = [InboundView]), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)), security(("bearer" = [])))]
pub async fn inbound(State(state): State<AppState>, p: Principal, ApiQuery(q): ApiQuery<CaseQuery>) -> Fallible<Json<Vec<InboundView>>> {
    Ok(Json(crossregion::inbound(&state, &p, q).await?))
}

/// The area's part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi(
    paths(halls, save_hall, lines, district_figures, my_tickets, ticket, check_in, cancel, rate, act, hall, slots, book, take, call, queue, board, board_live, hall_figures,
        key, receive, cases_list, forward, my_cases, case, inbound),
    tags((name = "halls", description = "Service halls (A7): queue tickets, appointments, waiting-time estimates, the display board and the hall cockpit"),
        (name = "crossregion", description = "Cross-region handling (跨区域通办, A5): cases taken in for another district and the signed messages districts exchange")),
)]
pub struct Doc;

/// Window staff and the administrator.
const WINDOWS: Who = Who::WINDOW.or(Who::ADMIN);
/// Staff of a hall who watch it: window staff, supervisors, the administrator.
const HALL_STAFF: Who = Who::WINDOW.or(Who::SUPERVISOR).or(Who::ADMIN);

/// Who may call each route, and the data scope its use case applies.
pub const POLICY: &[Route] = &[
    api("GET", "/api/halls", ANYONE, Scope::Public),
    api("POST", "/api/halls", Who::ADMIN, Scope::Department),
    api("GET", "/api/halls/lines", ANYONE, Scope::Public),
    api("GET", "/api/halls/figures", Who::SUPERVISOR.or(Who::ADMIN), Scope::Department),
    api("GET", "/api/halls/tickets/mine", Who::RESIDENT, Scope::Own),
    api("GET", "/api/halls/tickets/{id}", ANYONE, Scope::Record),
    api("POST", "/api/halls/tickets/{id}/check-in", Who::RESIDENT, Scope::Record),
    api("POST", "/api/halls/tickets/{id}/cancel", Who::RESIDENT, Scope::Record),
    api("POST", "/api/halls/tickets/{id}/rate", Who::RESIDENT.or(Who::ANONYMOUS), Scope::Record),
    api("POST", "/api/halls/tickets/{id}/actions", WINDOWS, Scope::Division),
    api("GET", "/api/halls/{id}", ANYONE, Scope::Public),
    api("GET", "/api/halls/{id}/slots", ANYONE, Scope::Public),
    api("POST", "/api/halls/{id}/appointments", Who::RESIDENT, Scope::Own),
    api("POST", "/api/halls/{id}/tickets", Who::RESIDENT.or(Who::ANONYMOUS), Scope::Own),
    api("POST", "/api/halls/{id}/windows/{no}/call", WINDOWS, Scope::Division),
    api("GET", "/api/halls/{id}/queue", HALL_STAFF, Scope::Division),
    api("GET", "/api/halls/{id}/board", ANYONE, Scope::Public),
    api("GET", "/api/halls/{id}/board/live", ANYONE, Scope::Public),
    api("GET", "/api/halls/{id}/figures", HALL_STAFF, Scope::Division),
    api("GET", "/api/crossregion/key", ANYONE, Scope::Public),
    api("POST", "/api/crossregion/messages", ANYONE, Scope::Peer),
    api("GET", "/api/crossregion/cases", WINDOWS, Scope::Own),
    api("POST", "/api/crossregion/cases", WINDOWS, Scope::Purpose),
    api("GET", "/api/crossregion/cases/mine", Who::RESIDENT, Scope::Own),
    api("GET", "/api/crossregion/cases/{id}", Who::RESIDENT.or(WINDOWS), Scope::Record),
    api("GET", "/api/crossregion/inbound", Who::SUPERVISOR.or(Who::ADMIN), Scope::Department),
];
