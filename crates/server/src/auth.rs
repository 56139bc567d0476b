//! Authentication: argon2 password hashes, random bearer tokens stored only as their SHA-256, a
//! short-lived session cache, a guard against password guessing, the district's HMAC key, the
//! check that a cookie-borne change comes from the site's own origin, and the `Principal`
//! extractor every protected handler takes.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use base64::Engine as _;
use catalog::Role;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};
use store::{Account, AccountKind};

use crate::config::Config;
use crate::failure::Failure;
use crate::state::AppState;
use crate::throttle::{Backoff, seconds};

/// The cookie the web pages use; the API also takes `Authorization: Bearer <token>`.
pub const SESSION_COOKIE: &str = "ms_session";

/// Hashes a password with Argon2id.
pub fn hash_password(password: &str, memory_kib: u32, iterations: u32) -> Result<String, Failure> {
    let params = Params::new(memory_kib, iterations, 1, None).map_err(|e| Failure::internal(std::io::Error::other(e.to_string())))?;
    let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params);
    let mut salt_bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut salt_bytes);
    let salt = SaltString::encode_b64(&salt_bytes).map_err(|e| Failure::internal(std::io::Error::other(e.to_string())))?;
    argon
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| Failure::internal(std::io::Error::other(e.to_string())))
}

/// Checks a password against a stored hash (the parameters travel inside the hash).
pub fn verify_password(hash: &str, password: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
}

/// The rules a new password must meet.
pub fn check_password_strength(password: &str) -> Result<(), Failure> {
    let n = password.chars().count();
    let letters = password.chars().any(|c| c.is_ascii_alphabetic());
    let digits = password.chars().any(|c| c.is_ascii_digit());
    if !(8..=128).contains(&n) || !letters || !digits {
        return Err(Failure::invalid(
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

    /// Forgets every session (another server shares the database now).
    pub fn clear(&self) {
        if let Ok(mut map) = self.map.lock()
            && !map.is_empty()
        {
            map.clear();
        }
    }
}

/// Slows down password guessing without letting a stranger lock a resident out. Failures are
/// counted per login *and* client address: after 5 from one address, that address waits 1 s,
/// 2 s, 4 s … (at most 15 minutes) before it may try that login again, while the same login from
/// any other address is untouched. Failures are also counted per address across all logins
/// (credential stuffing): after 30, each further one makes the address wait the same way. A
/// throttled attempt is answered `login_throttled` (429 with `Retry-After`) before the password is
/// looked at; a success clears its login-and-address count. The counts live in this process's
/// memory and run on the server's clock (so tests hold them still); each process of a district
/// counts on its own.
#[derive(Debug)]
pub struct LoginGuard {
    /// The clock's reading when the guard was made, and the instant that stands for it.
    start: (DateTime<Utc>, Instant),
    pairs: Backoff<(String, IpAddr)>,
    addresses: Backoff<IpAddr>,
}

impl LoginGuard {
    /// Failures of one login from one address before it backs off.
    pub const PAIR_FREE: u32 = 5;
    /// Failures from one address, over all logins, before it backs off.
    pub const ADDRESS_FREE: u32 = 30;
    const FIRST_WAIT: Duration = Duration::from_secs(1);
    const LONGEST_WAIT: Duration = Duration::from_secs(15 * 60);
    const FORGET: Duration = Duration::from_secs(60 * 60);

    /// A guard whose clock reads `now`.
    pub fn new(now: DateTime<Utc>) -> LoginGuard {
        LoginGuard {
            start: (now, Instant::now()),
            pairs: Backoff::new(Self::PAIR_FREE, Self::FIRST_WAIT, Self::LONGEST_WAIT, Self::FORGET),
            addresses: Backoff::new(Self::ADDRESS_FREE, Self::FIRST_WAIT, Self::LONGEST_WAIT, Self::FORGET),
        }
    }

    /// The instant standing for the clock's `now` (a clock set back counts as the start).
    fn instant(&self, now: DateTime<Utc>) -> Instant {
        self.start.1 + (now - self.start.0).to_std().unwrap_or_default()
    }

    /// `login_throttled` while `login` from `client`, or `client` itself, must wait.
    pub fn check(&self, login: &str, client: ClientAddr, now: DateTime<Utc>) -> Result<(), Failure> {
        let at = self.instant(now);
        let pair = self.pairs.check(&(login.to_owned(), client.0), at);
        let address = self.addresses.check(&client.0, at);
        let wait = match (pair, address) {
            (Ok(()), Ok(())) => return Ok(()),
            (Err(a), Err(b)) => a.max(b),
            (Err(w), Ok(())) | (Ok(()), Err(w)) => w,
        };
        let secs = seconds(wait);
        let (zh, en) = if secs < 60 {
            (format!("{secs} 秒"), format!("{secs} second{}", if secs == 1 { "" } else { "s" }))
        } else {
            let min = secs.div_ceil(60);
            (format!("{min} 分钟"), format!("{min} minute{}", if min == 1 { "" } else { "s" }))
        };
        Err(Failure::TooManyRequests {
            code: "login_throttled",
            zh: format!("登录失败次数过多，请 {zh}后再试"),
            en: format!("Too many failed sign-ins; try again in {en}"),
            retry_after: secs,
        })
    }

    /// Counts a failed attempt at `login` from `client`.
    pub fn failed(&self, login: &str, client: ClientAddr, now: DateTime<Utc>) {
        let at = self.instant(now);
        self.pairs.fail(&(login.to_owned(), client.0), at);
        self.addresses.fail(&client.0, at);
    }

    /// Forgets the failures of `login` from `client` (the address's own count stays).
    pub fn succeeded(&self, login: &str, client: ClientAddr) {
        self.pairs.clear(&(login.to_owned(), client.0));
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
    pub fn require_any(&self, roles: &[Role]) -> Result<(), Failure> {
        if roles.iter().any(|r| self.has(*r)) {
            Ok(())
        } else {
            Err(Failure::forbidden(
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
    bearer_token(parts).or_else(|| session_cookie(parts))
}

/// The token of an `Authorization: Bearer` header.
fn bearer_token(parts: &Parts) -> Option<String> {
    let v = parts.headers.get(axum::http::header::AUTHORIZATION)?.to_str().ok()?;
    v.strip_prefix("Bearer ").map(|t| t.trim().to_owned())
}

/// The session cookie's token.
fn session_cookie(parts: &Parts) -> Option<String> {
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

/// `; Secure` when cookies must carry it (`auth.secure_cookies`), else nothing: appended to
/// every cookie the server sets.
pub fn cookie_secure(config: &Config) -> &'static str {
    if config.secure_cookies { "; Secure" } else { "" }
}

/// The origin of a URL — `scheme://host[:port]`, lower case, without a default port — or `None`
/// when it has none (`null`, a path, another scheme, a user name in it).
pub fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.trim().split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    let default_port = match scheme.as_str() {
        "http" => ":80",
        "https" => ":443",
        _ => return None,
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or("").to_ascii_lowercase();
    if host.is_empty() || host.contains('@') || !host.bytes().all(|b| b.is_ascii_graphic()) {
        return None;
    }
    let host = host.strip_suffix(default_port).unwrap_or(&host);
    Some(format!("{scheme}://{host}"))
}

/// The site's own origin: `public_url`'s when it is set; else the request's `Host` with the
/// scheme in use (`http`, which the server speaks, unless a trusted proxy says
/// `X-Forwarded-Proto: https`).
pub fn site_origin(parts: &Parts, config: &Config) -> Option<String> {
    if let Some(u) = &config.public_url {
        return origin_of(u);
    }
    let host = parts.headers.get(axum::http::header::HOST)?.to_str().ok()?;
    let peer = parts.extensions.get::<axum::extract::ConnectInfo<std::net::SocketAddr>>().map(|c| c.0.ip());
    let https = peer.is_some_and(|p| config.trusted_proxies.contains(&p))
        && parts
            .headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.rsplit(',').next().is_some_and(|p| p.trim().eq_ignore_ascii_case("https")));
    origin_of(&format!("{}://{host}", if https { "https" } else { "http" }))
}

/// Whether a request comes from the site's own pages: its `Origin` header — or, when it has
/// none, its `Referer` — names the site's origin. A request with neither is refused: browsers
/// send `Origin` with every POST, so only other clients omit both, and they sign in with a bearer
/// token instead of the cookie.
pub fn same_origin(parts: &Parts, config: &Config) -> bool {
    let Some(site) = site_origin(parts, config) else { return false };
    let header = |name| parts.headers.get(name).and_then(|v: &axum::http::HeaderValue| v.to_str().ok());
    let from = match header(axum::http::header::ORIGIN) {
        Some(o) => origin_of(o),
        None => header(axum::http::header::REFERER).and_then(origin_of),
    };
    from.is_some_and(|f| f == site)
}

/// The refusal of a state-changing request that rode on the session cookie from another site.
pub fn cross_origin() -> Failure {
    Failure::Forbidden {
        code: "cross_origin",
        zh: "请求不是从本站页面发出的（Origin 或 Referer 不是本站），已拒绝；程序调用接口请使用 Authorization: Bearer 令牌".to_owned(),
        en: "Refused: the request does not come from this site's pages (its Origin or Referer is not this site); programs call the API with an Authorization: Bearer token".to_owned(),
        field: None,
    }
}

impl FromRequestParts<AppState> for Principal {
    type Rejection = Failure;

    /// The session of the bearer token, else of the session cookie. A request that changes
    /// something on the strength of the cookie alone is as exposed to cross-site forgery as a
    /// page's form, so it must come from the site's own origin (`same_origin`); bearer tokens are
    /// never sent by a browser on its own.
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        // Already looked up by the route's guard (`policy::authorise`), origin check included.
        if let Some(p) = parts.extensions.get::<Principal>() {
            return Ok(p.clone());
        }
        let token = match bearer_token(parts) {
            Some(t) => t,
            None => {
                let t = session_cookie(parts).ok_or(Failure::Unauthorized)?;
                if !parts.method.is_safe() && !same_origin(parts, &state.config) {
                    return Err(cross_origin());
                }
                t
            }
        };
        if token.len() > 200 {
            return Err(Failure::Unauthorized);
        }
        let hash = token_hash(&token);
        let now = state.now();
        // The cache may hold only what it can invalidate: while this server is the only one on
        // the database, every sign-out passes through it; beside others, the database decides
        // each time (issue 29: a sign-out on one server left the token valid on another).
        let alone = state.store.alone();
        if alone {
            if let Some(account) = state.sessions.get(&hash, now) {
                return Ok(Principal { account, token_hash: hash });
            }
        } else {
            state.sessions.clear();
        }
        let (account, expires) = state.store.identity().session_account(&hash, now).await?.ok_or(Failure::Unauthorized)?;
        if alone {
            state.sessions.put(hash.clone(), account.clone(), expires);
        }
        Ok(Principal { account, token_hash: hash })
    }
}

/// The district's key for HMAC-SHA256 tags (the web pages' CSRF tokens, one-time codes):
/// `auth.secret` when it is configured, else a random key kept in the database
/// (`Store::server_secret`), so that every server on one database shares it. Prints as
/// `[redacted]`.
#[derive(Clone)]
pub struct SiteKey(Hmac<Sha256>);

impl std::fmt::Debug for SiteKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SiteKey([redacted])")
    }
}

impl SiteKey {
    /// The key a server starts with (see the type).
    pub async fn load(config: &Config, store: &store::Store) -> Result<SiteKey, crate::ServerError> {
        let unusable = || crate::ServerError::Io("auth.secret".into(), std::io::Error::other("not usable as an HMAC key"));
        if let Some(s) = &config.auth_secret {
            return SiteKey::from_bytes(s.expose().as_bytes()).ok_or_else(unusable);
        }
        let mut fresh = [0u8; 32];
        rand::rng().fill_bytes(&mut fresh);
        let fresh = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(fresh);
        let kept = store.identity().server_secret("auth", &fresh).await?;
        SiteKey::from_bytes(kept.as_bytes()).ok_or_else(unusable)
    }

    /// A key of these bytes (HMAC takes any length; `None` is not expected).
    pub fn from_bytes(key: &[u8]) -> Option<SiteKey> {
        <Hmac<Sha256> as Mac>::new_from_slice(key).ok().map(SiteKey)
    }

    fn mac(&self, purpose: &str, message: &[u8]) -> Hmac<Sha256> {
        let mut mac = self.0.clone();
        mac.update(purpose.as_bytes());
        mac.update(&[0]);
        mac.update(message);
        mac
    }

    /// The tag of `message` for `purpose` (each purpose its own tags), base64url.
    pub fn tag(&self, purpose: &str, message: &[u8]) -> String {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(self.mac(purpose, message).finalize().into_bytes())
    }

    /// Whether `tag` is the tag of `message` for `purpose` (compared in constant time).
    pub fn verify(&self, purpose: &str, message: &[u8], tag: &str) -> bool {
        let Ok(bytes) = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(tag.as_bytes()) else { return false };
        self.mac(purpose, message).verify_slice(&bytes).is_ok()
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
    type Rejection = Failure;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        match Principal::from_request_parts(parts, state).await {
            Ok(p) => Ok(MaybePrincipal(Some(p))),
            Err(Failure::Unauthorized) => Ok(MaybePrincipal(None)),
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
    fn the_guard_backs_off_per_login_and_address_and_per_address() {
        let t0 = DateTime::parse_from_rfc3339("2026-03-02T01:00:00Z").expect("time").with_timezone(&Utc);
        let g = LoginGuard::new(t0);
        let (a, b) = (ClientAddr("10.0.0.1".parse().expect("ip")), ClientAddr("10.0.0.2".parse().expect("ip")));
        for _ in 0..LoginGuard::PAIR_FREE {
            assert!(g.check("u", a, t0).is_ok());
            g.failed("u", a, t0);
        }
        assert!(g.check("u", a, t0).is_ok(), "five failures are free");
        g.failed("u", a, t0);
        let Err(Failure::TooManyRequests { code, retry_after, zh, en }) = g.check("u", a, t0) else { panic!("the sixth failure locks") };
        assert_eq!((code, retry_after), ("login_throttled", 1));
        assert!(zh.contains("请 1 秒后再试") && en.ends_with("try again in 1 second"), "{zh} / {en}");
        assert!(g.check("u", b, t0).is_ok(), "the same login from another address is not locked");
        assert!(g.check("v", a, t0).is_ok(), "another login from the same address is not locked");
        let t1 = t0 + chrono::Duration::seconds(1);
        assert!(g.check("u", a, t1).is_ok(), "the wait is over");
        g.failed("u", a, t1);
        assert!(matches!(g.check("u", a, t1), Err(Failure::TooManyRequests { retry_after: 2, .. })), "the next wait doubles");
        g.succeeded("u", a);
        assert!(g.check("u", a, t1).is_ok(), "a success clears the login and address");

        // Many logins from one address: the address backs off, for every login; others do not.
        let g = LoginGuard::new(t0);
        for n in 0..=LoginGuard::ADDRESS_FREE {
            assert!(g.check(&format!("user{n}"), a, t0).is_ok());
            g.failed(&format!("user{n}"), a, t0);
        }
        assert!(g.check("someone-else", a, t0).is_err(), "the address is throttled");
        assert!(g.check("someone-else", b, t0).is_ok());

        // Long waits are told in minutes; a clock set back counts as the start.
        let g = LoginGuard::new(t0);
        for _ in 0..LoginGuard::PAIR_FREE + 12 {
            g.failed("u", a, t0);
        }
        let Err(Failure::TooManyRequests { retry_after, zh, en, .. }) = g.check("u", a, t0 - chrono::Duration::hours(1)) else { panic!("locked") };
        assert_eq!(retry_after, 15 * 60, "at most 15 minutes");
        assert!(zh.contains("15 分钟") && en.contains("15 minutes"), "{zh} / {en}");
    }

    #[test]
    fn origins_are_compared_by_scheme_host_and_port() {
        assert_eq!(origin_of("https://Gov.Example:443/path?q#f").as_deref(), Some("https://gov.example"));
        assert_eq!(origin_of("http://127.0.0.1:8080/x").as_deref(), Some("http://127.0.0.1:8080"));
        assert_eq!(origin_of("http://[::1]:80").as_deref(), Some("http://[::1]"));
        for bad in ["null", "", "/relative", "ftp://x", "https://user@evil.example", "https://", "javascript:alert(1)"] {
            assert_eq!(origin_of(bad), None, "{bad}");
        }
        let parts = |headers: &[(&str, &str)]| {
            let mut b = axum::http::Request::builder().method("POST").uri("/login");
            for (k, v) in headers {
                b = b.header(*k, *v);
            }
            b.body(()).expect("request").into_parts().0
        };
        let mut c = Config::load(None, Vec::<(String, String)>::new()).expect("config");
        let host = ("host", "127.0.0.1:8080");
        assert!(same_origin(&parts(&[host, ("origin", "http://127.0.0.1:8080")]), &c));
        assert!(same_origin(&parts(&[host, ("referer", "http://127.0.0.1:8080/login?next=/")]), &c), "Referer when there is no Origin");
        assert!(!same_origin(&parts(&[host, ("origin", "https://evil.example")]), &c));
        assert!(!same_origin(&parts(&[host, ("origin", "null")]), &c));
        assert!(!same_origin(&parts(&[host, ("origin", "https://evil.example"), ("referer", "http://127.0.0.1:8080/")]), &c), "Origin wins");
        assert!(!same_origin(&parts(&[host, ("origin", "https://127.0.0.1:8080")]), &c), "another scheme is another origin");
        assert!(!same_origin(&parts(&[host]), &c), "neither header: refused");
        assert!(!same_origin(&parts(&[("origin", "http://127.0.0.1:8080")]), &c), "no Host, no origin of our own");
        c.public_url = Some("https://gov.example/".into());
        assert!(same_origin(&parts(&[host, ("origin", "https://gov.example")]), &c), "the public URL is the origin");
        assert!(!same_origin(&parts(&[host, ("origin", "http://127.0.0.1:8080")]), &c));
    }

    #[test]
    fn site_key_tags_are_per_key_purpose_and_message() {
        let k = SiteKey::from_bytes(b"k".repeat(32).as_slice()).expect("key");
        let other = SiteKey::from_bytes(b"x".repeat(32).as_slice()).expect("key");
        let t = k.tag("csrf", b"session:1");
        assert_eq!(t.len(), 43);
        assert!(k.verify("csrf", b"session:1", &t));
        assert!(!k.verify("csrf", b"session:2", &t));
        assert!(!k.verify("code", b"session:1", &t));
        assert!(!other.verify("csrf", b"session:1", &t));
        assert!(!k.verify("csrf", b"session:1", "garbage!"));
        assert!(!k.verify("csrf", b"session:1", ""));
        assert_eq!(format!("{k:?}"), "SiteKey([redacted])");
    }
}
