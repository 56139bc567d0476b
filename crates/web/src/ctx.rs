//! The context of a page request: language, elder mode, the signed-in account (if any), the CSRF
//! token, and the path (for "back" links); and the middleware that gives every browser a CSRF
//! cookie.

use axum::extract::{FromRequestParts, Request};
use axum::http::header::{COOKIE, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use rand::RngCore;
use server::auth::Principal;
use server::error::ApiError;

use crate::Web;
use crate::i18n::Lang;

pub const LANG_COOKIE: &str = "ms_lang";
pub const ELDER_COOKIE: &str = "ms_elder";
pub const CSRF_COOKIE: &str = "ms_csrf";
/// The hidden field every form carries.
pub const CSRF_FIELD: &str = "_csrf";

/// The value of cookie `name` in the request's headers.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    for c in headers.get_all(COOKIE) {
        let Ok(s) = c.to_str() else { continue };
        for kv in s.split(';') {
            if let Some((k, v)) = kv.trim().split_once('=')
                && k == name
            {
                return Some(v.to_owned());
            }
        }
    }
    None
}

/// A CSRF token handed out with this response (the browser had none).
#[derive(Debug, Clone)]
pub struct NewCsrf(pub String);

fn valid_token(t: &str) -> bool {
    t.len() == 43 && t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Gives a browser without one a random CSRF token in a cookie (double-submit: every form
/// repeats it in a hidden field, and a POST is refused unless both agree).
pub async fn csrf_cookie(mut req: Request, next: Next) -> Response {
    let have = cookie(req.headers(), CSRF_COOKIE).filter(|t| valid_token(t));
    let fresh = if have.is_none() {
        let mut b = [0u8; 32];
        rand::rng().fill_bytes(&mut b);
        let t = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b);
        req.extensions_mut().insert(NewCsrf(t.clone()));
        Some(t)
    } else {
        None
    };
    let mut resp = next.run(req).await;
    if let Some(t) = fresh
        && let Ok(v) = HeaderValue::from_str(&format!("{CSRF_COOKIE}={t}; Path=/; HttpOnly; SameSite=Lax"))
    {
        resp.headers_mut().append(SET_COOKIE, v);
    }
    resp
}

/// The CSRF token of a request: the cookie's, or the one the middleware just handed out.
pub fn csrf_of(parts: &Parts) -> String {
    if let Some(t) = cookie(&parts.headers, CSRF_COOKIE).filter(|t| valid_token(t)) {
        return t;
    }
    parts.extensions.get::<NewCsrf>().map(|n| n.0.clone()).unwrap_or_default()
}

/// Whether a submitted token matches the browser's cookie (compared in constant time).
pub fn csrf_ok(headers: &HeaderMap, submitted: &str) -> bool {
    let Some(c) = cookie(headers, CSRF_COOKIE).filter(|t| valid_token(t)) else { return false };
    c.len() == submitted.len() && c.bytes().zip(submitted.bytes()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
}

/// The request context every page handler takes.
#[derive(Debug, Clone)]
pub struct Ctx {
    pub lang: Lang,
    pub elder: bool,
    pub user: Option<Principal>,
    pub csrf: String,
    /// The path and query of this request, for "back" and sign-in redirects.
    pub here: String,
    pub path: String,
}

impl Ctx {
    pub fn t(&self, key: &str) -> String {
        self.lang.t(key)
    }

    pub fn ta(&self, key: &str, args: &[(&str, crate::i18n::Arg)]) -> String {
        self.lang.ta(key, args)
    }

    /// The account, or an error that sends the browser to sign in.
    pub fn require(&self) -> Result<&Principal, ApiError> {
        self.user.as_ref().ok_or(ApiError::Unauthorized)
    }
}

/// Only local paths are followed after a switch or a sign-in (no open redirects).
pub fn safe_back(back: Option<&str>) -> String {
    match back {
        Some(b) if b.starts_with('/') && !b.starts_with("//") && !b.contains('\\') && !b.starts_with("/api") => b.to_owned(),
        _ => "/".to_owned(),
    }
}

impl FromRequestParts<Web> for Ctx {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, web: &Web) -> Result<Self, Self::Rejection> {
        let lang = cookie(&parts.headers, LANG_COOKIE).and_then(|l| Lang::parse(&l)).unwrap_or_default();
        let elder = cookie(&parts.headers, ELDER_COOKIE).is_some_and(|v| v == "1");
        let user = match Principal::from_request_parts(parts, &web.state).await {
            Ok(p) => Some(p),
            Err(ApiError::Unauthorized) => None,
            Err(e) => return Err(e.into_response()),
        };
        let here = parts.uri.path_and_query().map(|p| p.as_str().to_owned()).unwrap_or_else(|| "/".to_owned());
        Ok(Ctx { lang, elder, user, csrf: csrf_of(parts), here, path: parts.uri.path().to_owned() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn back_links_stay_on_the_site() {
        assert_eq!(safe_back(Some("/bundles/birth")), "/bundles/birth");
        assert_eq!(safe_back(Some("//evil.example")), "/");
        assert_eq!(safe_back(Some("https://evil.example")), "/");
        assert_eq!(safe_back(Some("/\\evil")), "/");
        assert_eq!(safe_back(None), "/");
    }

    #[test]
    fn csrf_tokens_must_match_the_cookie() {
        let t = "a".repeat(43);
        let mut h = HeaderMap::new();
        h.insert(COOKIE, HeaderValue::from_str(&format!("x=1; {CSRF_COOKIE}={t}")).expect("header"));
        assert!(csrf_ok(&h, &t));
        assert!(!csrf_ok(&h, &"b".repeat(43)));
        assert!(!csrf_ok(&h, ""));
        assert!(!csrf_ok(&HeaderMap::new(), &t));
    }
}
