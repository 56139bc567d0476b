//! Authentication: argon2 password hashes, random bearer tokens stored only as their SHA-256, a
//! short-lived session cache, a guard against password guessing, and the `Principal` extractor
//! every protected handler takes.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use base64::Engine as _;
use catalog::Role;
use chrono::{DateTime, Utc};
use rand::RngCore;
use sha2::{Digest, Sha256};
use store::{Account, AccountKind};

use crate::error::ApiError;
use crate::state::AppState;

/// The cookie the web pages use; the API also takes `Authorization: Bearer <token>`.
pub const SESSION_COOKIE: &str = "ms_session";

/// Hashes a password with Argon2id.
pub fn hash_password(password: &str, memory_kib: u32, iterations: u32) -> Result<String, ApiError> {
    let params = Params::new(memory_kib, iterations, 1, None).map_err(|e| ApiError::internal(std::io::Error::other(e.to_string())))?;
    let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
    let mut salt_bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut salt_bytes);
    let salt = SaltString::encode_b64(&salt_bytes).map_err(|e| ApiError::internal(std::io::Error::other(e.to_string())))?;
    argon
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| ApiError::internal(std::io::Error::other(e.to_string())))
}

/// Checks a password against a stored hash (the parameters travel inside the hash).
pub fn verify_password(hash: &str, password: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
}

/// The rules a new password must meet.
pub fn check_password_strength(password: &str) -> Result<(), ApiError> {
    let n = password.chars().count();
    let letters = password.chars().any(|c| c.is_ascii_alphabetic());
    let digits = password.chars().any(|c| c.is_ascii_digit());
    if !(8..=128).contains(&n) || !letters || !digits {
        return Err(ApiError::invalid(
            "weak_password",
            "password",
            "密码须为 8–128 位，且同时包含字母和数字",
            "The password must be 8–128 characters with both letters and digits",
        ));
    }
    Ok(())
}

/// A new random session token and the hash under which it is stored.
pub fn new_token() -> (String, String) {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let token = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes);
    let hash = token_hash(&token);
    (token, hash)
}

pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Sessions seen recently, so that not every request reads the database. Entries live at most
/// `ttl`; a logout removes its entry at once (other processes see it within `ttl`).
#[derive(Debug)]
pub struct SessionCache {
    ttl: Duration,
    map: Mutex<HashMap<String, (Account, DateTime<Utc>, Instant)>>,
}

impl SessionCache {
    pub fn new(ttl: Duration) -> SessionCache {
        SessionCache { ttl, map: Mutex::new(HashMap::new()) }
    }

    fn get(&self, hash: &str, now: DateTime<Utc>) -> Option<Account> {
        let map = self.map.lock().ok()?;
        let (acc, expires, cached) = map.get(hash)?;
        (cached.elapsed() < self.ttl && *expires > now).then(|| acc.clone())
    }

    fn put(&self, hash: String, account: Account, expires: DateTime<Utc>) {
        if let Ok(mut map) = self.map.lock() {
            if map.len() > 100_000 {
                map.clear();
            }
            map.insert(hash, (account, expires, Instant::now()));
        }
    }

    pub fn remove(&self, hash: &str) {
        if let Ok(mut map) = self.map.lock() {
            map.remove(hash);
        }
    }
}

/// Slows down password guessing: after 5 failures a login is locked for a minute.
#[derive(Debug, Default)]
pub struct LoginGuard {
    failures: Mutex<HashMap<String, (u32, Instant)>>,
}

impl LoginGuard {
    const MAX: u32 = 5;
    const LOCK: Duration = Duration::from_secs(60);

    pub fn check(&self, login: &str) -> Result<(), ApiError> {
        let Ok(map) = self.failures.lock() else { return Ok(()) };
        if let Some((n, since)) = map.get(login)
            && *n >= Self::MAX
            && since.elapsed() < Self::LOCK
        {
            return Err(ApiError::Forbidden {
                code: "login_locked",
                zh: "密码错误次数过多，请 1 分钟后再试".to_owned(),
                en: "Too many wrong passwords; try again in a minute".to_owned(),
                field: None,
            });
        }
        Ok(())
    }

    pub fn failed(&self, login: &str) {
        if let Ok(mut map) = self.failures.lock() {
            if map.len() > 100_000 {
                map.clear();
            }
            let e = map.entry(login.to_owned()).or_insert((0, Instant::now()));
            if e.1.elapsed() >= Self::LOCK {
                *e = (0, Instant::now());
            }
            e.0 += 1;
            e.1 = Instant::now();
        }
    }

    pub fn succeeded(&self, login: &str) {
        if let Ok(mut map) = self.failures.lock() {
            map.remove(login);
        }
    }
}

/// The signed-in account making the request.
#[derive(Debug, Clone)]
pub struct Principal {
    pub account: Account,
    pub token_hash: String,
}

impl Principal {
    pub fn id(&self) -> domain::AccountId {
        self.account.id
    }
    pub fn has(&self, role: Role) -> bool {
        self.account.has(role)
    }
    pub fn is_staff(&self) -> bool {
        self.account.kind == AccountKind::Staff
    }
    pub fn is_admin(&self) -> bool {
        self.has(Role::Admin)
    }
    /// Staff of a department (clerk, reviewer, approver, supervisor).
    pub fn department(&self) -> Option<&str> {
        self.account.department.as_deref()
    }
    /// Requires one of `roles`, else 403.
    pub fn require_any(&self, roles: &[Role]) -> Result<(), ApiError> {
        if roles.iter().any(|r| self.has(*r)) {
            Ok(())
        } else {
            Err(ApiError::forbidden(
                format!(
                    "您的账号无权访问此功能，需要以下岗位之一：{}",
                    roles.iter().map(|r| r.name_zh()).collect::<Vec<_>>().join("、")
                ),
                format!(
                    "Your account may not use this; it needs one of: {}",
                    roles.iter().map(|r| r.code()).collect::<Vec<_>>().join(", ")
                ),
            ))
        }
    }
}

/// The bearer token of a request: the `Authorization` header, else the session cookie.
pub fn request_token(parts: &Parts) -> Option<String> {
    if let Some(v) = parts.headers.get(axum::http::header::AUTHORIZATION).and_then(|v| v.to_str().ok())
        && let Some(t) = v.strip_prefix("Bearer ")
    {
        return Some(t.trim().to_owned());
    }
    let cookies = parts.headers.get_all(axum::http::header::COOKIE);
    for c in cookies {
        let Ok(s) = c.to_str() else { continue };
        for kv in s.split(';') {
            if let Some((k, v)) = kv.trim().split_once('=')
                && k == SESSION_COOKIE
            {
                return Some(v.to_owned());
            }
        }
    }
    None
}

impl FromRequestParts<AppState> for Principal {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        // Already looked up by the route's guard (`policy::authorise`).
        if let Some(p) = parts.extensions.get::<Principal>() {
            return Ok(p.clone());
        }
        let token = request_token(parts).ok_or(ApiError::Unauthorized)?;
        if token.len() > 200 {
            return Err(ApiError::Unauthorized);
        }
        let hash = token_hash(&token);
        let now = state.now();
        if let Some(account) = state.sessions.get(&hash, now) {
            return Ok(Principal { account, token_hash: hash });
        }
        let (account, expires) = state.store.session_account(&hash, now).await?.ok_or(ApiError::Unauthorized)?;
        state.sessions.put(hash.clone(), account.clone(), expires);
        Ok(Principal { account, token_hash: hash })
    }
}

/// The address of the client a request came from: the connection's peer, or — when the peer is
/// one of `auth.trusted_proxies` — the last address its `X-Forwarded-For` names. Requests handed
/// to a router without a connection (tests of a page handler) count as `0.0.0.0`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ClientAddr(pub std::net::IpAddr);

impl ClientAddr {
    /// The client address of a request's parts.
    pub fn of(parts: &Parts, trusted_proxies: &[std::net::IpAddr]) -> ClientAddr {
        let peer = parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map_or(std::net::IpAddr::from([0, 0, 0, 0]), |c| c.0.ip());
        if trusted_proxies.contains(&peer)
            && let Some(forwarded) = parts.headers.get_all("x-forwarded-for").iter().filter_map(|v| v.to_str().ok()).last()
            && let Some(last) = forwarded.rsplit(',').next()
            && let Ok(ip) = last.trim().parse()
        {
            return ClientAddr(ip);
        }
        ClientAddr(peer)
    }
}

impl FromRequestParts<AppState> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        Ok(ClientAddr::of(parts, &state.config.trusted_proxies))
    }
}

/// An optional principal, for pages that work signed in or not.
#[derive(Debug, Clone)]
pub struct MaybePrincipal(pub Option<Principal>);

impl FromRequestParts<AppState> for MaybePrincipal {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        match Principal::from_request_parts(parts, state).await {
            Ok(p) => Ok(MaybePrincipal(Some(p))),
            Err(ApiError::Unauthorized) => Ok(MaybePrincipal(None)),
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_and_verify() {
        let h = hash_password("abc12345", 64, 1).expect("hash");
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password(&h, "abc12345"));
        assert!(!verify_password(&h, "abc12346"));
        assert!(!verify_password("not a hash", "abc12345"));
    }

    #[test]
    fn tokens_are_random_and_hashed() {
        let (a, ha) = new_token();
        let (b, _) = new_token();
        assert_ne!(a, b);
        assert_eq!(ha, token_hash(&a));
        assert_eq!(ha.len(), 64);
    }

    #[test]
    fn weak_passwords_are_refused() {
        assert!(check_password_strength("short1").is_err());
        assert!(check_password_strength("onlyletters").is_err());
        assert!(check_password_strength("letters123").is_ok());
    }

    #[test]
    fn the_client_is_the_peer_unless_a_trusted_proxy_names_it() {
        let parts = |peer: &str, xff: Option<&str>| {
            let mut b = axum::http::Request::builder().uri("/");
            if let Some(x) = xff {
                b = b.header("x-forwarded-for", x);
            }
            let (mut parts, ()) = b.body(()).expect("request").into_parts();
            parts.extensions.insert(axum::extract::ConnectInfo(peer.parse::<std::net::SocketAddr>().expect("addr")));
            parts
        };
        let proxy: std::net::IpAddr = "10.0.0.1".parse().expect("ip");
        let ip = |s: &str| ClientAddr(s.parse().expect("ip"));
        assert_eq!(ClientAddr::of(&parts("10.0.0.9:5000", Some("1.2.3.4")), &[proxy]), ip("10.0.0.9"), "an untrusted peer's header is ignored");
        assert_eq!(ClientAddr::of(&parts("10.0.0.1:5000", Some("9.9.9.9, 1.2.3.4")), &[proxy]), ip("1.2.3.4"), "the proxy's own entry is last");
        assert_eq!(ClientAddr::of(&parts("10.0.0.1:5000", Some("garbage")), &[proxy]), ip("10.0.0.1"));
        assert_eq!(ClientAddr::of(&parts("10.0.0.1:5000", None), &[proxy]), ip("10.0.0.1"));
    }

    #[test]
    fn guard_locks_after_five_failures() {
        let g = LoginGuard::default();
        for _ in 0..5 {
            assert!(g.check("u").is_ok());
            g.failed("u");
        }
        assert!(g.check("u").is_err());
        g.succeeded("u");
        assert!(g.check("u").is_ok());
    }
}
