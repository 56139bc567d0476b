//! What every area's HTTP shares: the health check and the answers for an unknown route or method.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::response::Response;
use serde::Serialize;
use utoipa::ToSchema;
use crate::failure::Failure;
use crate::failure::Fallible;
use crate::http_error::ErrorBody;
use crate::state::AppState;

// ---------------------------------------------------------------------------------------------
// Health and authentication.

#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    pub status: String,
    pub database: String,
    pub version: String,
}

/// Liveness and the database in use.
#[utoipa::path(get, path = "/healthz", tag = "system", responses((status = 200, body = Health)))]
pub async fn health(State(state): State<AppState>) -> Fallible<Json<Health>> {
    state.store.ping().await?;
    Ok(Json(Health {
        status: "ok".into(),
        database: state.store.backend().name().into(),
        version: env!("CARGO_PKG_VERSION").into(),
    }))
}

/// JSON 405 for a known path asked with the wrong method.
pub async fn method_not_allowed(method: axum::http::Method) -> Response {
    let body = ErrorBody {
        code: "method_not_allowed".into(),
        message: format!("此接口不支持 {method} 方法"),
        message_en: format!("This endpoint does not accept {method}"),
        field: None,
    };
    (StatusCode::METHOD_NOT_ALLOWED, Json(body)).into_response()
}

/// JSON 404 for unknown paths.
pub async fn fallback() -> Failure {
    Failure::not_found("没有这个接口", "No such endpoint")
}
