//! `Failure`, what every use case returns when it does not do what was asked: a kind (the shared
//! `domain::ErrorKind`), a stable code, a Chinese and an English message and, where it applies, the
//! field at fault. It knows nothing of HTTP: `http_error` maps it to a status and a JSON body, in
//! one place, and the web pages show it on the page. Unexpected errors carry their cause, which is
//! logged and never shown.

use domain::{Describe, ErrorKind};
use onething::EngineError;

#[derive(Debug)]
pub enum Failure {
    /// The body is not the JSON the endpoint expects.
    BadRequest { code: &'static str, zh: String, en: String, field: Option<String> },
    /// No valid session.
    Unauthorized,
    /// Wrong login or password.
    BadCredentials,
    /// Authenticated but not allowed.
    Forbidden { code: &'static str, zh: String, en: String, field: Option<String> },
    /// Not found, or not the caller's to know of.
    NotFound { zh: &'static str, en: &'static str },
    /// Not possible in the current state.
    Conflict { code: &'static str, zh: String, en: String, field: Option<String> },
    /// Over a size limit.
    TooLarge { limit: usize },
    /// The body is not of the media type the endpoint takes.
    UnsupportedMediaType { zh: String, en: String },
    /// Well-formed but wrong.
    Invalid { code: &'static str, zh: String, en: String, field: Option<String> },
    /// Too many attempts; try again after `retry_after` seconds.
    TooManyRequests { code: &'static str, zh: String, en: String, retry_after: u64 },
    /// The client stopped sending the body for longer than the body timeout.
    BodyTimedOut,
    /// The storage cannot take this now; nothing was changed; try again after `retry_after`
    /// seconds. The cause is logged, never shown.
    Unavailable { retry_after: u64, cause: String },
    /// Our fault: logged with its cause chain, never shown.
    Internal(Box<dyn std::error::Error + Send + Sync>),
}

impl Failure {
    pub fn invalid(code: &'static str, field: &str, zh: impl Into<String>, en: impl Into<String>) -> Failure {
        Failure::Invalid { code, zh: zh.into(), en: en.into(), field: Some(field.to_owned()) }
    }

    pub fn forbidden(zh: impl Into<String>, en: impl Into<String>) -> Failure {
        Failure::Forbidden { code: "forbidden", zh: zh.into(), en: en.into(), field: None }
    }

    pub fn not_found(zh: &'static str, en: &'static str) -> Failure {
        Failure::NotFound { zh, en }
    }

    /// A domain parse error (ID number, credit code, phone …) about `field`.
    pub fn from_describe(e: &dyn Describe, field: &str) -> Failure {
        Failure::Invalid { code: e.code(), zh: e.message_zh(), en: e.message_en(), field: Some(field.to_owned()) }
    }

    /// An engine's error of `kind` (codes and messages from its [`Describe`]), about `field`.
    pub fn of_engine(kind: ErrorKind, e: &dyn Describe, field: Option<String>) -> Failure {
        let (code, zh, en) = (e.code(), e.message_zh(), e.message_en());
        match kind {
            ErrorKind::Forbidden => Failure::Forbidden { code, zh, en, field },
            ErrorKind::Conflict => Failure::Conflict { code, zh, en, field },
            _ => Failure::Invalid { code, zh, en, field },
        }
    }

    /// An unexpected error, unless it is the storage's being unavailable (a full disk, the
    /// database out of reach), which is not a bug and is answered as [`Failure::Unavailable`].
    pub fn internal(e: impl std::error::Error + Send + Sync + 'static) -> Failure {
        let boxed: Box<dyn std::error::Error + Send + Sync> = Box::new(e);
        let boxed = match boxed.downcast::<store::StoreError>() {
            Ok(e) => return Failure::from(*e),
            Err(other) => other,
        };
        match boxed.downcast::<std::io::Error>() {
            // A file (an upload, the notice log) that cannot be written for want of space.
            Ok(e) if disk_fault(&e) => Failure::unavailable(&e),
            Ok(e) => Failure::Internal(e),
            Err(other) => Failure::Internal(other),
        }
    }

    /// The storage is unavailable (see [`store::StoreError::is_unavailable`]).
    pub fn unavailable(cause: impl std::fmt::Display) -> Failure {
        Failure::Unavailable { retry_after: UNAVAILABLE_RETRY_SECONDS, cause: cause.to_string() }
    }

    /// What sort of failure this is.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Failure::BadRequest { .. } => ErrorKind::Malformed,
            Failure::Unauthorized => ErrorKind::Unauthenticated,
            Failure::BadCredentials => ErrorKind::BadCredentials,
            Failure::Forbidden { .. } => ErrorKind::Forbidden,
            Failure::NotFound { .. } => ErrorKind::NotFound,
            Failure::Conflict { .. } => ErrorKind::Conflict,
            Failure::TooLarge { .. } => ErrorKind::TooLarge,
            Failure::UnsupportedMediaType { .. } => ErrorKind::UnsupportedMedia,
            Failure::Invalid { .. } => ErrorKind::Invalid,
            Failure::TooManyRequests { .. } => ErrorKind::TooMany,
            Failure::BodyTimedOut => ErrorKind::TimedOut,
            Failure::Unavailable { .. } => ErrorKind::Unavailable,
            Failure::Internal(_) => ErrorKind::Internal,
        }
    }

    /// The stable code, the Chinese and English messages and the field at fault.
    pub fn parts(&self) -> (&'static str, String, String, Option<String>) {
        let (code, zh, en, field) = match self {
            Failure::BadRequest { code, zh, en, field }
            | Failure::Invalid { code, zh, en, field }
            | Failure::Conflict { code, zh, en, field }
            | Failure::Forbidden { code, zh, en, field } => (*code, zh.clone(), en.clone(), field.clone()),
            Failure::UnsupportedMediaType { zh, en } => ("unsupported_media_type", zh.clone(), en.clone(), None),
            Failure::TooManyRequests { code, zh, en, .. } => (*code, zh.clone(), en.clone(), None),
            Failure::Unauthorized => (
                "unauthorized",
                "请先登录（会话不存在或已过期）".to_owned(),
                "Please sign in (no session, or it has expired)".to_owned(),
                None,
            ),
            Failure::BadCredentials => (
                "invalid_credentials",
                "账号或密码不正确".to_owned(),
                "Wrong login or password".to_owned(),
                None,
            ),
            Failure::NotFound { zh, en } => ("not_found", (*zh).to_owned(), (*en).to_owned(), None),
            Failure::TooLarge { limit: 0 } => (
                "too_large",
                "请求内容过大".to_owned(),
                "The request is too large".to_owned(),
                None,
            ),
            Failure::TooLarge { limit } => (
                "too_large",
                format!("请求内容过大，上限为 {} KB", limit / 1024),
                format!("The request is too large; the limit is {} KB", limit / 1024),
                None,
            ),
            Failure::BodyTimedOut => (
                "body_timeout",
                "请求内容发送超时，请重试".to_owned(),
                "The request body stopped arriving; please send it again".to_owned(),
                None,
            ),
            Failure::Unavailable { .. } => (
                "storage_unavailable",
                "系统存储暂时无法写入，本次操作未生效，请稍后再试".to_owned(),
                "Storage is unavailable for now; nothing was changed; please try again shortly".to_owned(),
                None,
            ),
            Failure::Internal(_) => (
                "internal",
                "服务器内部错误，请稍后再试；如持续出现请联系管理员".to_owned(),
                "Internal error; please try again later".to_owned(),
                None,
            ),
        };
        (code, zh, en, field)
    }
}

impl From<EngineError> for Failure {
    fn from(e: EngineError) -> Failure {
        let (code, zh, en, field) = (e.code(), e.message_zh(), e.message_en(), e.field());
        match e.kind() {
            ErrorKind::Invalid => Failure::Invalid { code, zh, en, field },
            ErrorKind::Forbidden => Failure::Forbidden { code, zh, en, field },
            ErrorKind::Conflict => Failure::Conflict { code, zh, en, field },
            ErrorKind::NotFound => match e {
                EngineError::UnknownBundle(_) | EngineError::UnknownItem(_) => Failure::Invalid { code, zh, en, field },
                _ => Failure::Conflict { code, zh, en, field },
            },
            // The engine uses only the four kinds above.
            _ => Failure::Invalid { code, zh, en, field },
        }
    }
}

impl From<store::StoreError> for Failure {
    fn from(e: store::StoreError) -> Failure {
        match e {
            store::StoreError::NotFound(_) => Failure::not_found("要找的记录不存在", "Not found"),
            // Another server changed the same thing first, again and again (the writer retried).
            e if e.is_contention() => Failure::Conflict {
                code: "concurrent_change",
                zh: "数据正被他人同时修改，请刷新后重试".to_owned(),
                en: "Someone changed this at the same time; reload and try again".to_owned(),
                field: None,
            },
            other if other.is_unavailable() => Failure::unavailable(&other),
            other => Failure::Internal(Box::new(other)),
        }
    }
}

/// Whether an I/O error is the disk's: full, read-only, over a size or quota limit.
pub fn disk_fault(e: &std::io::Error) -> bool {
    use std::io::ErrorKind as K;
    matches!(e.kind(), K::StorageFull | K::ReadOnlyFilesystem | K::FileTooLarge | K::QuotaExceeded)
}

/// How long a client is asked to wait when the storage is unavailable.
const UNAVAILABLE_RETRY_SECONDS: u64 = 5;

/// Chinese first, then English, then the field: how the command line shows a failure.
impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (_, zh, en, field) = self.parts();
        write!(f, "{zh} ({en})")?;
        if let Some(field) = field {
            write!(f, " at {field}")?;
        }
        Ok(())
    }
}

/// What a use case answers.
pub type Fallible<T> = Result<T, Failure>;
