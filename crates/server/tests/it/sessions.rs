//! Sessions over HTTP: login throttling per login and client address (a stranger cannot lock a
//! resident out), the district's key shared through the database, `Secure` cookies and HSTS on an
//! https site, and state-changing requests that ride on the session cookie from another site.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{Db, Resp, TestApp, backends};

/// A server behind a trusted proxy on 127.0.0.1, so that each test plays several clients with
/// `X-Forwarded-For`.
async fn behind_proxy() -> TestApp {
    TestApp::spawn_with(Db::Sqlite, |env| env.push(("MINSHENG__AUTH__TRUSTED_PROXIES".into(), "127.0.0.1".into()))).await
}

async fn login_from(t: &TestApp, client: &str, login: &str, password: &str) -> Resp {
    let body = json!({ "login": login, "password": password });
    t.request(Method::POST, None, "/api/auth/login", Some(body), &[("x-forwarded-for", client)]).await
}

fn retry_after(r: &Resp) -> u64 {
    r.headers.get("retry-after").and_then(|v| v.to_str().ok()).and_then(|v| v.parse().ok()).unwrap_or(0)
}

#[tokio::test]
async fn six_wrong_passwords_throttle_that_address_and_not_the_account() {
    let t = behind_proxy().await;
    let (attacker, resident) = ("203.0.113.7", "198.51.100.20");
    for n in 1..=6 {
        let r = login_from(&t, attacker, "mzj_clerk", &format!("guess{n}")).await;
        assert_eq!((r.status, r.code()), (StatusCode::UNAUTHORIZED, "invalid_credentials"), "attempt {n}: {}", r.body);
    }
    // The seventh attempt is not even checked: the right password is refused like a wrong one.
    let right = login_from(&t, attacker, "mzj_clerk", "demo1234").await;
    assert_eq!(right.status, StatusCode::TOO_MANY_REQUESTS, "{}", right.body);
    assert_eq!(right.code(), "login_throttled");
    assert_eq!(retry_after(&right), 1, "the first wait is a second");
    assert!(right.body["message"].as_str().is_some_and(|m| m.contains("1 秒后再试")), "{}", right.body);
    assert!(right.body["message_en"].as_str().is_some_and(|m| m.contains("try again in 1 second")), "{}", right.body);
    assert!(right.body.get("token").is_none() && right.headers.get("set-cookie").is_none(), "no session");
    let wrong = login_from(&t, attacker, "mzj_clerk", "guess7").await;
    assert_eq!((wrong.status, &wrong.body), (right.status, &right.body), "a throttled answer does not tell a right password from a wrong one");
    assert_eq!(retry_after(&wrong), retry_after(&right));

    // The clerk signs in from her own address all the while.
    let r = login_from(&t, resident, "mzj_clerk", "demo1234").await;
    assert_eq!(r.status, StatusCode::OK, "another address is not locked: {}", r.body);

    // Once the wait is over the attacker's address may try again; one more failure doubles it.
    t.clock.advance(chrono::Duration::seconds(1));
    let r = login_from(&t, attacker, "mzj_clerk", "guess8").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.body);
    let r = login_from(&t, attacker, "mzj_clerk", "demo1234").await;
    assert_eq!((r.status, retry_after(&r)), (StatusCode::TOO_MANY_REQUESTS, 2), "{}", r.body);
    t.clock.advance(chrono::Duration::seconds(2));
    let r = login_from(&t, attacker, "mzj_clerk", "demo1234").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    // A success clears that address's count for the login.
    let r = login_from(&t, attacker, "mzj_clerk", "guess9").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.body);
    t.shutdown().await;
}

#[tokio::test]
async fn many_logins_failing_from_one_address_throttle_that_address() {
    let t = behind_proxy().await;
    let logins = t.strings("SELECT login FROM account WHERE kind = 'staff' ORDER BY login").await;
    assert!(logins.len() >= 8, "{logins:?}");
    let stuffer = "203.0.113.99";
    // Thirty-one failures over many logins (never more than four on one) from one address.
    let mut failures = 0;
    'outer: for round in 0..4 {
        for login in &logins {
            if failures == 31 {
                break 'outer;
            }
            let r = login_from(&t, stuffer, login, &format!("leaked{round}")).await;
            assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{login}: {}", r.body);
            failures += 1;
        }
    }
    assert_eq!(failures, 31);
    let r = login_from(&t, stuffer, "admin", "demo1234").await;
    assert_eq!((r.status, r.code()), (StatusCode::TOO_MANY_REQUESTS, "login_throttled"), "{}", r.body);
    assert!(retry_after(&r) >= 1);
    let r = login_from(&t, "198.51.100.1", "admin", "demo1234").await;
    assert_eq!(r.status, StatusCode::OK, "other addresses are not throttled: {}", r.body);
    t.shutdown().await;
}

/// Without `auth.secret` the key of CSRF tokens is a random one kept in the database: every server
/// on one database uses the same one, and two starting at once end with the same key.
#[tokio::test]
async fn the_districts_key_is_kept_in_the_database_and_shared() {
    for db in backends() {
        let t = TestApp::spawn(db).await;
        let store = &t.state.store;
        let kept = t.strings("SELECT value FROM server_secret WHERE name = 'auth'").await;
        assert_eq!(kept.len(), 1, "{db:?}");
        assert!(kept[0].len() >= 43, "{db:?}: 32 random bytes");
        assert_eq!(store.identity().server_secret("auth", "another value").await.expect("secret"), kept[0], "{db:?}: the first value stays");
        let (a, b) = tokio::join!(store.identity().server_secret("race", "first"), store.identity().server_secret("race", "second"));
        let (a, b) = (a.expect("secret"), b.expect("secret"));
        assert_eq!(a, b, "{db:?}: both starters read the same key");
        assert!(a == "first" || a == "second");

        // A second server on the same database signs alike.
        let other = server::build_state(t.state.config.clone(), std::sync::Arc::new(t.clock.clone())).await.expect("second server");
        assert_eq!(other.secret.tag("csrf", b"x"), t.state.secret.tag("csrf", b"x"), "{db:?}");
        other.store.close().await;
        // A configured secret is used instead.
        let mut config = t.state.config.clone();
        config.auth_secret = Some(server::config::Secret::new("a configured secret of at least 32 characters"));
        let configured = server::build_state(config, std::sync::Arc::new(t.clock.clone())).await.expect("configured server");
        let expected = server::auth::SiteKey::from_bytes(b"a configured secret of at least 32 characters").expect("key");
        assert_eq!(configured.secret.tag("csrf", b"x"), expected.tag("csrf", b"x"), "{db:?}");
        assert_ne!(configured.secret.tag("csrf", b"x"), t.state.secret.tag("csrf", b"x"), "{db:?}");
        configured.store.close().await;
        assert!(!format!("{:?}", t.state.secret).contains(&kept[0]), "the key never prints");
        t.shutdown().await;
    }
}

#[tokio::test]
async fn an_https_site_sets_secure_cookies_and_hsts() {
    let https = TestApp::spawn_with(Db::Sqlite, |env| env.push(("MINSHENG__PUBLIC_URL".into(), "https://fy.example.gov.cn".into()))).await;
    let plain = TestApp::spawn(Db::Sqlite).await;
    for (t, on) in [(&https, true), (&plain, false)] {
        let r = t.try_login("admin", "demo1234").await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let cookie = r.headers.get("set-cookie").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
        assert!(cookie.starts_with("ms_session=") && cookie.contains("HttpOnly"), "{cookie}");
        assert_eq!(cookie.contains("; Secure"), on, "{cookie}");
        let token = r.body["token"].as_str().expect("token").to_owned();
        for (path, resp) in [
            ("/healthz", t.request(Method::GET, None, "/healthz", None, &[]).await),
            ("/api/me", t.get(&token, "/api/me").await),
            ("/api/nowhere", t.get(&token, "/api/nowhere").await),
            ("/fhir/metadata", t.request(Method::GET, None, "/fhir/metadata", None, &[]).await),
            ("/api/auth/login", r),
        ] {
            let hsts = resp.headers.get("strict-transport-security").and_then(|v| v.to_str().ok());
            assert_eq!(hsts, on.then_some("max-age=31536000; includeSubDomains"), "{path}");
        }
        let out = t.request(Method::POST, Some(&token), "/api/auth/logout", None, &[]).await;
        assert_eq!(out.status, StatusCode::NO_CONTENT, "{}", out.body);
        let cookie = out.headers.get("set-cookie").and_then(|v| v.to_str().ok()).unwrap_or("");
        assert!(cookie.contains("Max-Age=0") && cookie.contains("; Secure") == on, "{cookie}");
    }
    https.shutdown().await;
    plain.shutdown().await;
}

/// The session cookie rides along with any request a browser sends, whoever made the page: a
/// state-changing request authenticated by it (not by a bearer token) must come from the site.
#[tokio::test]
async fn changes_made_with_the_session_cookie_must_come_from_the_site() {
    let t = TestApp::spawn(Db::Sqlite).await;
    let token = t.login("admin").await;
    let cookie = format!("ms_session={token}");
    let logout = |headers: Vec<(&'static str, String)>| {
        let t = &t;
        async move {
            let h: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
            t.request(Method::POST, None, "/api/auth/logout", None, &h).await
        }
    };
    for (what, headers) in [
        ("no Origin or Referer", vec![("cookie", cookie.clone())]),
        ("another site", vec![("cookie", cookie.clone()), ("origin", "https://evil.example".to_owned())]),
        ("a page of another site", vec![("cookie", cookie.clone()), ("referer", "https://evil.example/page".to_owned())]),
        ("an opaque origin", vec![("cookie", cookie.clone()), ("origin", "null".to_owned())]),
    ] {
        let r = logout(headers).await;
        assert_eq!((r.status, r.code()), (StatusCode::FORBIDDEN, "cross_origin"), "{what}: {}", r.body);
        assert!(r.body["message_en"].as_str().is_some_and(|m| m.contains("Bearer")), "{}", r.body);
    }
    // FHIR answers the same refusal as an OperationOutcome.
    let r = t.raw(Method::POST, None, "/fhir", Some("application/fhir+json"), b"{}".to_vec(), &[("cookie", &cookie), ("origin", "https://evil.example")]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert_eq!(r.body["resourceType"], "OperationOutcome", "{}", r.body);
    // Reading with the cookie needs no origin; a bearer token needs none for anything.
    let r = t.request(Method::GET, None, "/api/me", None, &[("cookie", &cookie)]).await;
    assert_eq!(r.status, StatusCode::OK, "the session is still there: {}", r.body);
    let bearer = t.login("admin").await;
    let r = t.request(Method::POST, Some(&bearer), "/api/auth/logout", None, &[("origin", "https://evil.example")]).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    // From the site itself, by Origin or else by Referer.
    let r = logout(vec![("cookie", cookie.clone()), ("origin", t.url.clone())]).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    let again = t.login("admin").await;
    let r = logout(vec![("cookie", format!("ms_session={again}")), ("referer", format!("{}/applications", t.url))]).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    t.shutdown().await;
}
