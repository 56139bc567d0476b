//! The JSON request extractor: a body that is not the expected JSON becomes a 400 naming the
//! field path and position, a body over the limit a 413, never axum's plain-text rejection.

use axum::body::Bytes;
use axum::extract::FromRequest;
use axum::extract::Request;
use axum::http::header::CONTENT_TYPE;
use serde::de::DeserializeOwned;
use crate::failure::Failure;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use crate::failure::Fallible;

/// Like `axum::Json`, with errors in the API's error format.
#[derive(Debug, Clone)]
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = Failure;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let json = req
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json"));
        if !json {
            return Err(Failure::UnsupportedMediaType {
                zh: "请求体必须是 JSON，并带 Content-Type: application/json".to_owned(),
                en: "The body must be JSON with Content-Type: application/json".to_owned(),
            });
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|e| body_error(&e, 0))?;
        parse(&bytes).map(ApiJson)
    }
}

/// A body that could not be read, in the API's format: over the limit (413, naming `limit` when
/// known, else 0), or cut off (400) — never axum's plain-text rejection.
pub fn body_error(e: &axum::extract::rejection::BytesRejection, limit: usize) -> Failure {
    if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        Failure::TooLarge { limit }
    } else if timed_out(e) {
        Failure::BodyTimedOut
    } else {
        Failure::BadRequest { code: "unreadable_body", zh: "无法读取请求体".to_owned(), en: format!("Could not read the body: {e}"), field: None }
    }
}

/// Whether the body stopped arriving for longer than the body timeout (the router's
/// `RequestBodyTimeoutLayer`).
fn timed_out(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut cause = Some(e);
    while let Some(c) = cause {
        if c.is::<tower_http::timeout::TimeoutError>() {
            return true;
        }
        cause = c.source();
    }
    false
}

/// Parses a request body, naming the path and position of the first problem. Every body of the
/// API is a JSON object (or, where a body is optional, `null`): an array is refused, which serde
/// would otherwise read into a struct field by field (`["admin", "secret"]` as a log-in).
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, Failure> {
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[') {
        return Err(Failure::BadRequest {
            code: "malformed_json",
            zh: "请求体须为 JSON 对象（{…}），不能是数组".to_owned(),
            en: "The body must be a JSON object ({…}), not an array".to_owned(),
            field: None,
        });
    }
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let field = if path == "." || path.is_empty() { None } else { Some(path.clone()) };
        let (zh, en) = match inner.classify() {
            serde_json::error::Category::Syntax | serde_json::error::Category::Eof => (
                format!("JSON 格式错误（第 {} 行第 {} 列）", inner.line(), inner.column()),
                format!("Malformed JSON at line {} column {}: {inner}", inner.line(), inner.column()),
            ),
            _ => (
                format!("字段「{path}」的值不正确：{inner}"),
                format!("Field '{path}' is wrong: {inner}"),
            ),
        };
        Failure::BadRequest { code: "malformed_json", zh, en, field }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        a: u32,
        inner: Inner,
    }
    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Inner {
        b: String,
    }

    #[test]
    fn errors_name_the_path() {
        let e = parse::<Body>(br#"{"a": 1, "inner": {"b": 5}}"#).expect_err("type error");
        assert_eq!(e.body().field.as_deref(), Some("inner.b"));
        let e = parse::<Body>(b"{\"a\": 1,").expect_err("syntax error");
        assert_eq!(e.body().code, "malformed_json");
        assert!(e.body().message.contains("第 1 行"));
    }

    #[test]
    fn a_body_is_an_object_never_an_array() {
        let e = parse::<Inner>(br#"["x"]"#).expect_err("an array is not an object");
        assert_eq!(e.body().code, "malformed_json");
        let e = parse::<Option<Inner>>(b"  [null]").expect_err("nor when the body is optional");
        assert_eq!(e.body().code, "malformed_json");
        assert!(parse::<Option<Inner>>(b"null").expect("null where optional").is_none());
        assert_eq!(parse::<Inner>(br#"{"b": "x"}"#).expect("an object").b, "x");
    }
}

/// Query-string parameters, with errors in the API's format.
#[derive(Debug, Clone)]
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = Failure;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let q = parts.uri.query().unwrap_or("");
        serde_urlencoded_parse(q).map(ApiQuery)
    }
}

pub(crate) fn serde_urlencoded_parse<T: serde::de::DeserializeOwned>(q: &str) -> Fallible<T> {
    // serde_urlencoded types each value by its target field: an ID number stays a string, a
    // `limit` becomes a number.
    serde_urlencoded::from_str(q).map_err(|e| Failure::BadRequest {
        code: "invalid_query",
        zh: format!("查询参数有误：{e}"),
        en: format!("Invalid query parameters: {e}"),
        field: None,
    })
}
