//! The library's HTTP handlers under `/api/library` (being built).

use axum::Router;
use crate::policy::Route;
use crate::state::AppState;

/// The routes, to be nested under `/api`.
pub fn routes(_state: &AppState) -> Router<AppState> {
    Router::new()
}

/// The area's part of the OpenAPI document.
#[derive(utoipa::OpenApi)]
#[openapi()]
pub struct Doc;

/// Who may call each route.
pub const POLICY: &[Route] = &[];
