//! `ApiError`, the only place that picks HTTP status codes. Every error body is JSON with a stable
//! `code`, a Chinese `message`, an English `message_en` and, where it applies, the offending
//! `field`. Unexpected errors are logged with their whole cause chain and shown as a generic 500.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use domain::Describe;
use onething::{EngineError, ErrorKind};
use serde::Serialize;
use utoipa::ToSchema;

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

#[derive(Debug)]
pub enum ApiError {
    /// 400: the body is not the JSON the endpoint expects.
    BadRequest { code: &'static str, zh: String, en: String, field: Option<String> },
    /// 401: no valid session.
    Unauthorized,
    /// 401: wrong login or password.
    BadCredentials,
    /// 403: authenticated but not allowed.
    Forbidden { code: &'static str, zh: String, en: String, field: Option<String> },
    /// 404.
    NotFound { zh: &'static str, en: &'static str },
    /// 409: not possible in the current state.
    Conflict { code: &'static str, zh: String, en: String, field: Option<String> },
    /// 413.
    TooLarge { limit: usize },
    /// 415: the body is not of the media type the endpoint takes.
    UnsupportedMediaType { zh: String, en: String },
    /// 422: well-formed but wrong.
    Invalid { code: &'static str, zh: String, en: String, field: Option<String> },
    /// 429: too many attempts; try again after `retry_after` seconds (sent as `Retry-After`).
    TooManyRequests { code: &'static str, zh: String, en: String, retry_after: u64 },
    /// 500: logged with its cause chain, never shown.
    Internal(Box<dyn std::error::Error + Send + Sync>),
}

impl ApiError {
    pub fn invalid(code: &'static str, field: &str, zh: impl Into<String>, en: impl Into<String>) -> ApiError {
        ApiError::Invalid { code, zh: zh.into(), en: en.into(), field: Some(field.to_owned()) }
    }

    pub fn forbidden(zh: impl Into<String>, en: impl Into<String>) -> ApiError {
        ApiError::Forbidden { code: "forbidden", zh: zh.into(), en: en.into(), field: None }
    }

    pub fn not_found(zh: &'static str, en: &'static str) -> ApiError {
        ApiError::NotFound { zh, en }
    }

    /// A domain parse error (ID number, credit code, phone …) about `field`.
    pub fn from_describe(e: &dyn Describe, field: &str) -> ApiError {
        ApiError::Invalid { code: e.code(), zh: e.message_zh(), en: e.message_en(), field: Some(field.to_owned()) }
    }

    pub fn internal(e: impl std::error::Error + Send + Sync + 'static) -> ApiError {
        ApiError::Internal(Box::new(e))
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized | ApiError::BadCredentials => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden { .. } => StatusCode::FORBIDDEN,
            ApiError::NotFound { .. } => StatusCode::NOT_FOUND,
            ApiError::Conflict { .. } => StatusCode::CONFLICT,
            ApiError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType { .. } => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn body(&self) -> ErrorBody {
        let (code, zh, en, field) = match self {
            ApiError::BadRequest { code, zh, en, field }
            | ApiError::Invalid { code, zh, en, field }
            | ApiError::Conflict { code, zh, en, field }
            | ApiError::Forbidden { code, zh, en, field } => (*code, zh.clone(), en.clone(), field.clone()),
            ApiError::UnsupportedMediaType { zh, en } => ("unsupported_media_type", zh.clone(), en.clone(), None),
            ApiError::TooManyRequests { code, zh, en, .. } => (*code, zh.clone(), en.clone(), None),
            ApiError::Unauthorized => (
                "unauthorized",
                "请先登录（会话不存在或已过期）".to_owned(),
                "Please sign in (no session, or it has expired)".to_owned(),
                None,
            ),
            ApiError::BadCredentials => (
                "invalid_credentials",
                "账号或密码不正确".to_owned(),
                "Wrong login or password".to_owned(),
                None,
            ),
            ApiError::NotFound { zh, en } => ("not_found", (*zh).to_owned(), (*en).to_owned(), None),
            ApiError::TooLarge { limit: 0 } => (
                "too_large",
                "请求内容过大".to_owned(),
                "The request is too large".to_owned(),
                None,
            ),
            ApiError::TooLarge { limit } => (
                "too_large",
                format!("请求内容过大，上限为 {} KB", limit / 1024),
                format!("The request is too large; the limit is {} KB", limit / 1024),
                None,
            ),
            ApiError::Internal(_) => (
                "internal",
                "服务器内部错误，请稍后再试；如持续出现请联系管理员".to_owned(),
                "Internal error; please try again later".to_owned(),
                None,
            ),
        };
        ErrorBody { code: code.to_owned(), message: zh, message_en: en, field }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let ApiError::Internal(e) = &self {
            let mut chain = vec![e.to_string()];
            let mut src = e.source();
            while let Some(s) = src {
                chain.push(s.to_string());
                src = s.source();
            }
            tracing::error!(error = %chain.join(": "), "internal error");
        }
        let retry_after = match &self {
            ApiError::TooManyRequests { retry_after, .. } => Some(*retry_after),
            _ => None,
        };
        let mut resp = (self.status(), Json(self.body())).into_response();
        if let Some(secs) = retry_after {
            resp.headers_mut().insert(axum::http::header::RETRY_AFTER, axum::http::HeaderValue::from(secs.max(1)));
        }
        resp
    }
}

impl From<EngineError> for ApiError {
    fn from(e: EngineError) -> ApiError {
        let (code, zh, en, field) = (e.code(), e.message_zh(), e.message_en(), e.field());
        match e.kind() {
            ErrorKind::Invalid => ApiError::Invalid { code, zh, en, field },
            ErrorKind::Forbidden => ApiError::Forbidden { code, zh, en, field },
            ErrorKind::Conflict => ApiError::Conflict { code, zh, en, field },
            ErrorKind::NotFound => match e {
                EngineError::UnknownBundle(_) | EngineError::UnknownItem(_) => ApiError::Invalid { code, zh, en, field },
                _ => ApiError::Conflict { code, zh, en, field },
            },
        }
    }
}

impl From<store::StoreError> for ApiError {
    fn from(e: store::StoreError) -> ApiError {
        match e {
            store::StoreError::NotFound(_) => ApiError::not_found("要找的记录不存在", "Not found"),
            store::StoreError::Conflict => ApiError::Conflict {
                code: "concurrent_change",
                zh: "数据正被他人同时修改，请刷新后重试".to_owned(),
                en: "Someone changed this at the same time; reload and try again".to_owned(),
                field: None,
            },
            other => ApiError::internal(other),
        }
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engine_errors_map_to_statuses() {
        let e: ApiError = EngineError::NotApplicant.into();
        assert_eq!(e.status(), StatusCode::FORBIDDEN);
        let e: ApiError = EngineError::AlreadyRated.into();
        assert_eq!(e.status(), StatusCode::CONFLICT);
        let e: ApiError = EngineError::UnknownBundle("x".into()).into();
        assert_eq!(e.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(e.body().field.as_deref(), Some("bundle"));
        assert!(e.body().message.contains("一件事"));
    }
}
