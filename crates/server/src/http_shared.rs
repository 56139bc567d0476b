//! What every area's HTTP shares: the health check and the answers for an unknown route or method.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::response::Response;
use serde::Serialize;
use utoipa::ToSchema;
use crate::failure::Failure;
use crate::http_error::ErrorBody;
use crate::state::AppState;

// ---------------------------------------------------------------------------------------------
// Health and authentication.

#[derive(Debug, Serialize, serde::Deserialize, ToSchema)]
pub struct Health {
    /// `ok`; or why not: `storage_unavailable` (writes fail: a full or read-only disk),
    /// `database_unreachable` (reads fail too), `lease_lost` (another server took this one's node
    /// number: restart it).
    pub status: String,
    pub database: String,
    pub version: String,
    /// This server's node number, leased from the database.
    pub node: Option<u16>,
    /// Whether this server runs the shared periodic duties (deadline ticks) now.
    pub leads: bool,
    /// The guardian's MQTT subscription: `off` (not configured), `subscribed` (the broker took
    /// this server's subscription) or `waiting` (the broker has not answered yet).
    pub telemetry: String,
    /// Since when the storage has not taken writes, and the error (absent when it does).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub storage_fault: Option<StorageFault>,
}

#[derive(Debug, Serialize, serde::Deserialize, ToSchema)]
pub struct StorageFault {
    pub since: String,
    pub error: String,
}

/// What is wrong with this server now, if anything: (status code, detail).
async fn trouble(state: &AppState) -> (Option<&'static str>, Option<StorageFault>) {
    let fault = state.store.storage_fault().map(|f| StorageFault { since: store::codec::ts(f.since), error: f.error });
    if state.store.lease_lost() {
        return (Some("lease_lost"), fault);
    }
    if state.store.ping().await.is_err() {
        return (Some("database_unreachable"), fault);
    }
    (fault.as_ref().map(|_| "storage_unavailable"), fault)
}

/// Health: the database in use, this server's node and, when it cannot serve, why (503).
#[utoipa::path(get, path = "/healthz", tag = "system", responses((status = 200, body = Health), (status = 503, description = "The server cannot serve now; `status` says why", body = Health)))]
pub async fn health(State(state): State<AppState>) -> Response {
    let (bad, storage_fault) = trouble(&state).await;
    let body = Health {
        status: bad.unwrap_or("ok").into(),
        database: state.store.backend().name().into(),
        version: env!("CARGO_PKG_VERSION").into(),
        node: state.store.node(),
        leads: state.store.leads(),
        telemetry: match (&state.config.guardian.telemetry, state.guardian.subscribed()) {
            (crate::config::Telemetry::Off, _) => "off",
            (_, true) => "subscribed",
            (_, false) => "waiting",
        }
        .into(),
        storage_fault,
    };
    let status = if bad.is_some() { StatusCode::SERVICE_UNAVAILABLE } else { StatusCode::OK };
    (status, Json(body)).into_response()
}

/// Readiness, for a load balancer: 200 `ready` while this server can take requests, 503 with the
/// reason while it cannot (its storage takes no writes, the database is out of reach, it lost its
/// node lease); it becomes ready again by itself.
#[utoipa::path(get, path = "/readyz", tag = "system", responses((status = 200, description = "Ready", content_type = "text/plain"), (status = 503, description = "Not ready; the body says why", content_type = "text/plain")))]
pub async fn ready(State(state): State<AppState>) -> Response {
    match trouble(&state).await.0 {
        None => (StatusCode::OK, "ready\n").into_response(),
        Some(why) => (StatusCode::SERVICE_UNAVAILABLE, [(axum::http::header::RETRY_AFTER, "5")], format!("{why}\n")).into_response(),
    }
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
