//! The context of a page request: language, elder mode, the signed-in account (if any), the
//! client's address, the CSRF token, and the path (for "back" links); the middleware that gives
//! every browser a pre-session id, and the one that refuses state-changing requests from other
//! sites.
//!
//! A CSRF token is the HMAC (under the district's `SiteKey`) of what the browser's requests are
//! bound to: the hash of its session token when it is signed in, else its pre-session id (a random
//! cookie). A token from another browser, or from before a sign-in or sign-out, is refused.

use axum::extract::{FromRequestParts, Request, State};
use axum::http::header::{COOKIE, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use rand::RngCore;
use server::auth::{ClientAddr, Principal};
use server::failure::Failure;
use server::policy::Who;

use crate::Web;
use crate::i18n::Lang;

pub const LANG_COOKIE: &str = "ms_lang";
pub const ELDER_COOKIE: &str = "ms_elder";
/// The pre-session id of a browser that is not signed in (HttpOnly): anonymous forms' CSRF
/// tokens are bound to it. (Its name is older than its use.)
pub const PRE_SESSION_COOKIE: &str = "ms_csrf";
/// The hidden field every form carries.
pub const CSRF_FIELD: &str = "_csrf";
/// The purpose under which CSRF tokens are tagged with the site key.
const CSRF_PURPOSE: &str = "csrf";

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

/// A pre-session id handed out with this response (the browser had none).
#[derive(Debug, Clone)]
pub struct NewPreSession(pub String);

fn valid_id(t: &str) -> bool {
    t.len() == 43 && t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// A new random pre-session id and its cookie.
pub fn new_pre_session(web: &Web) -> (String, Option<HeaderValue>) {
    let mut b = [0u8; 32];
    rand::rng().fill_bytes(&mut b);
    let id = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b);
    let secure = server::auth::cookie_secure(&web.state.config);
    let cookie = HeaderValue::from_str(&format!("{PRE_SESSION_COOKIE}={id}; Path=/; HttpOnly; SameSite=Lax{secure}")).ok();
    (id, cookie)
}

/// Gives a browser without one a random pre-session id in a cookie.
pub async fn pre_session_cookie(State(web): State<Web>, mut req: Request, next: Next) -> Response {
    let have = cookie(req.headers(), PRE_SESSION_COOKIE).is_some_and(|t| valid_id(&t));
    let fresh = if have {
        None
    } else {
        let (id, cookie) = new_pre_session(&web);
        req.extensions_mut().insert(NewPreSession(id));
        cookie
    };
    let mut resp = next.run(req).await;
    if let Some(v) = fresh {
        resp.headers_mut().append(SET_COOKIE, v);
    }
    resp
}

/// Refuses every state-changing request (anything but GET, HEAD, OPTIONS) whose `Origin` — or,
/// without one, `Referer` — is not the site's own origin (`server::auth::same_origin`), with the
/// CSRF error page. A request with neither header is refused too: browsers send `Origin` with
/// every POST.
pub async fn same_origin_only(State(web): State<Web>, req: Request, next: Next) -> Response {
    if req.method().is_safe() {
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    if !server::auth::same_origin(&parts, &web.state.config) {
        let lang = cookie(&parts.headers, LANG_COOKIE).and_then(|l| Lang::parse(&l)).unwrap_or_default();
        return crate::layout::bare_error(lang, StatusCode::FORBIDDEN, &lang.t("error-csrf")).into_response();
    }
    next.run(Request::from_parts(parts, body)).await
}

/// What a browser's CSRF tokens are bound to (kept in the request's extensions once known).
#[derive(Debug, Clone)]
pub struct Binding(String);

fn binding_of(user: Option<&Principal>, parts: &Parts) -> Binding {
    match user {
        Some(p) => Binding(format!("session:{}", p.token_hash)),
        None => {
            let id = cookie(&parts.headers, PRE_SESSION_COOKIE)
                .filter(|t| valid_id(t))
                .or_else(|| parts.extensions.get::<NewPreSession>().map(|n| n.0.clone()))
                .unwrap_or_default();
            Binding(format!("anonymous:{id}"))
        }
    }
}

/// What the request's CSRF tokens are bound to: its session, else its pre-session id.
pub async fn csrf_binding(parts: &mut Parts, web: &Web) -> Result<Binding, Failure> {
    if let Some(b) = parts.extensions.get::<Binding>() {
        return Ok(b.clone());
    }
    let user = match Principal::from_request_parts(parts, &web.state).await {
        Ok(p) => Some(p),
        Err(Failure::Unauthorized) => None,
        Err(e) => return Err(e),
    };
    Ok(binding_of(user.as_ref(), parts))
}

impl Binding {
    /// Whether `submitted` is the CSRF token of this binding (compared in constant time).
    pub fn accepts(&self, web: &Web, submitted: &str) -> bool {
        !self.0.ends_with(':') && web.state.secret.verify(CSRF_PURPOSE, self.0.as_bytes(), submitted)
    }
}

/// The request context every page handler takes.
#[derive(Debug, Clone)]
pub struct Ctx {
    pub lang: Lang,
    pub elder: bool,
    pub user: Option<Principal>,
    /// The client's address (`server::auth::ClientAddr`: login throttling).
    pub client: ClientAddr,
    pub csrf: String,
    /// The path and query of this request, for "back" and sign-in redirects.
    pub here: String,
    pub path: String,
    /// The audiences the account belongs to (`Who::ANONYMOUS` without one): what the navigation
    /// offers.
    pub who: Who,
}

impl Ctx {
    pub fn t(&self, key: &str) -> String {
        self.lang.t(key)
    }

    pub fn ta(&self, key: &str, args: &[(&str, crate::i18n::Arg)]) -> String {
        self.lang.ta(key, args)
    }

    /// The account, or an error that sends the browser to sign in.
    pub fn require(&self) -> Result<&Principal, Failure> {
        self.user.as_ref().ok_or(Failure::Unauthorized)
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
            Err(Failure::Unauthorized) => None,
            Err(e) => return Err(e.into_response()),
        };
        let here = parts.uri.path_and_query().map(|p| p.as_str().to_owned()).unwrap_or_else(|| "/".to_owned());
        let client = ClientAddr::of(parts, &web.state.config.trusted_proxies);
        let binding = binding_of(user.as_ref(), parts);
        let csrf = web.state.secret.tag(CSRF_PURPOSE, binding.0.as_bytes());
        parts.extensions.insert(binding);
        let who = Who::of(&web.state, user.as_ref().map(|p| &p.account));
        Ok(Ctx { lang, elder, user, client, csrf, here, path: parts.uri.path().to_owned(), who })
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
    fn bindings_follow_the_session_else_the_pre_session() {
        let id = "a".repeat(43);
        let req = axum::http::Request::builder().header(COOKIE, format!("x=1; {PRE_SESSION_COOKIE}={id}")).body(()).expect("request");
        let (parts, ()) = req.into_parts();
        assert_eq!(binding_of(None, &parts).0, format!("anonymous:{id}"));
        let (bare, ()) = axum::http::Request::builder().body(()).expect("request").into_parts();
        assert_eq!(binding_of(None, &bare).0, "anonymous:", "no id: binds to nothing, which no token matches");
        let (mut fresh, ()) = axum::http::Request::builder().header(COOKIE, format!("{PRE_SESSION_COOKIE}=short")).body(()).expect("request").into_parts();
        fresh.extensions.insert(NewPreSession("b".repeat(43)));
        assert_eq!(binding_of(None, &fresh).0, format!("anonymous:{}", "b".repeat(43)), "a malformed id is replaced");
    }
}
