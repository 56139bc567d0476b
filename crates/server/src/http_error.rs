//! The one place a `Failure` becomes an HTTP answer: its kind picks the status, and the body is
//! JSON with a stable `code`, a Chinese `message`, an English `message_en` and, where it applies,
//! the offending `field`. Unexpected errors are logged with their whole cause chain and shown as a
//! generic 500.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use domain::ErrorKind;
use serde::Serialize;
use utoipa::ToSchema;

use crate::failure::Failure;

/// The JSON body of every error response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, ToSchema)]
pub struct ErrorBody {
    /// Stable, machine-readable code, e.g. `invalid_id_number`.
    pub code: String,
    /// 中文说明：错在哪里、怎么改。
    pub message: String,
    /// The same in English.
    pub message_en: String,
    /// The request field at fault, as a JSON path (`form.child_name`, `materials.id_card`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

/// The status of each kind of failure.
pub fn status_of(kind: ErrorKind) -> StatusCode {
    match kind {
        ErrorKind::Malformed => StatusCode::BAD_REQUEST,
        ErrorKind::Unauthenticated | ErrorKind::BadCredentials => StatusCode::UNAUTHORIZED,
        ErrorKind::Forbidden => StatusCode::FORBIDDEN,
        ErrorKind::NotFound => StatusCode::NOT_FOUND,
        ErrorKind::Conflict => StatusCode::CONFLICT,
        ErrorKind::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        ErrorKind::UnsupportedMedia => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ErrorKind::Invalid => StatusCode::UNPROCESSABLE_ENTITY,
        ErrorKind::TooMany => StatusCode::TOO_MANY_REQUESTS,
        ErrorKind::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        ErrorKind::TimedOut => StatusCode::REQUEST_TIMEOUT,
        ErrorKind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

impl Failure {
    /// The HTTP status of this failure.
    pub fn status(&self) -> StatusCode {
        status_of(self.kind())
    }

    /// The JSON body of this failure.
    pub fn body(&self) -> ErrorBody {
        let (code, message, message_en, field) = self.parts();
        ErrorBody { code: code.to_owned(), message, message_en, field }
    }
}

impl IntoResponse for Failure {
    fn into_response(self) -> Response {
        if let Failure::Internal(e) = &self {
            let mut chain = vec![e.to_string()];
            let mut src = e.source();
            while let Some(s) = src {
                chain.push(s.to_string());
                src = s.source();
            }
            tracing::error!(error = %chain.join(": "), "internal error");
        }
        if let Failure::Unavailable { cause, .. } = &self {
            tracing::warn!(cause = %cause, "answered 503: storage unavailable");
        }
        let retry_after = match &self {
            Failure::TooManyRequests { retry_after, .. } | Failure::Unavailable { retry_after, .. } => Some(*retry_after),
            _ => None,
        };
        let mut resp = (self.status(), Json(self.body())).into_response();
        if let Some(secs) = retry_after {
            resp.headers_mut().insert(axum::http::header::RETRY_AFTER, axum::http::HeaderValue::from(secs.max(1)));
        }
        resp
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use onething::EngineError;

    #[test]
    fn engine_errors_map_to_statuses() {
        let e: Failure = EngineError::NotApplicant.into();
        assert_eq!(e.status(), StatusCode::FORBIDDEN);
        let e: Failure = EngineError::AlreadyRated.into();
        assert_eq!(e.status(), StatusCode::CONFLICT);
        let e: Failure = EngineError::UnknownBundle("x".into()).into();
        assert_eq!(e.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(e.body().field.as_deref(), Some("bundle"));
        assert!(e.body().message.contains("一件事"));
    }
}
