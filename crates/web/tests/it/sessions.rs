//! Sessions in the pages: CSRF tokens bound to the browser's session (or pre-session), the
//! `Origin` / `Referer` check on every form, `Secure` cookies and HSTS on an https site, and the
//! login throttle's message next to the field.

use reqwest::StatusCode;

use crate::helpers::{Client, TestWeb};

const PASSWORD: &str = demo::seed::DEMO_PASSWORD;

/// Whether `page` is the CSRF refusal.
fn refused(page: &crate::helpers::Page) -> bool {
    page.status == StatusCode::FORBIDDEN && page.body.contains("页面已过期")
}

/// Whether the client is signed in (the home page offers to sign out).
async fn signed_in(c: &Client) -> bool {
    c.get("/").await.body.contains("action=\"/logout\"")
}

#[tokio::test]
async fn a_token_of_another_session_is_refused() {
    let t = TestWeb::spawn(0).await;
    let (mine, theirs) = (t.client(), t.client());
    mine.login("admin").await;
    theirs.login("admin").await;
    // The same account in two browsers: each session has its own tokens.
    let foreign = theirs.get("/").await.csrf();
    let own = mine.get("/").await.csrf();
    assert_ne!(foreign, own);
    let r = mine.post("/logout", &[("_csrf", &foreign)]).await;
    assert!(refused(&r), "{} {}", r.status, r.body);
    assert!(signed_in(&mine).await);
    let r = mine.post("/logout", &[("_csrf", &own)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert!(!signed_in(&mine).await);
    assert!(signed_in(&theirs).await, "the other session goes on");
    t.shutdown().await;
}

/// The value of cookie `name` set by a response.
fn set_cookie(page: &crate::helpers::Page, name: &str) -> String {
    let prefix = format!("{name}=");
    page.headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| c.strip_prefix(&prefix).and_then(|rest| rest.split(';').next()))
        .unwrap_or_else(|| panic!("no {name} cookie"))
        .to_owned()
}

/// A double-submit token is only as good as the cookie: someone who can plant a cookie in the
/// victim's browser (a sibling subdomain, plain http on the way) pairs it with a token of their
/// own. A token bound to the victim's session cannot be made that way.
#[tokio::test]
async fn a_planted_cookie_does_not_bring_its_token_into_a_session() {
    let t = TestWeb::spawn(0).await;
    let attacker = t.client();
    let page = attacker.get("/login").await;
    let (their_id, their_token) = (set_cookie(&page, "ms_csrf"), page.csrf());
    let victim = t.client();
    let session = set_cookie(&victim.login("admin").await, "ms_session");
    let raw = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client");
    let r = raw
        .post(format!("{}/logout", t.url))
        .header("origin", t.origin())
        .header("cookie", format!("ms_session={session}; ms_csrf={their_id}"))
        .form(&[("_csrf", their_token.as_str())])
        .send()
        .await
        .expect("POST");
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(signed_in(&victim).await, "the victim is still signed in");
    t.shutdown().await;
}

#[tokio::test]
async fn tokens_change_with_signing_in_and_out() {
    let t = TestWeb::spawn(0).await;
    let c = t.client();
    let before = c.get("/login").await.csrf();
    assert_eq!(c.get("/login").await.csrf(), before, "stable while nothing changes");
    c.login("admin").await;
    let during = c.get("/").await.csrf();
    assert_ne!(during, before);
    let r = c.post("/logout", &[("_csrf", &before)]).await;
    assert!(refused(&r), "a token from before the sign-in: {} {}", r.status, r.body);
    assert!(signed_in(&c).await);
    let r = c.post("/logout", &[("_csrf", &during)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let after = c.get("/login").await.csrf();
    assert!(after != before && after != during, "a sign-out starts a new pre-session");
    for (what, old) in [("before the sign-in", &before), ("while signed in", &during)] {
        let r = c.post("/login", &[("_csrf", old), ("login", "admin"), ("password", PASSWORD), ("next", "/")]).await;
        assert!(refused(&r), "a token from {what}: {} {}", r.status, r.body);
    }
    let r = c.post("/login", &[("_csrf", &after), ("login", "admin"), ("password", PASSWORD), ("next", "/")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    t.shutdown().await;
}

#[tokio::test]
async fn forms_from_another_origin_are_refused_even_with_a_valid_token() {
    let t = TestWeb::spawn(0).await;
    let site = t.origin();
    let cases = [
        ("another site's Origin", vec![("origin", "https://evil.example".to_owned())], false),
        ("another scheme", vec![("origin", site.replacen("http://", "https://", 1))], false),
        ("an opaque Origin", vec![("origin", "null".to_owned())], false),
        ("another site's page as Referer", vec![("referer", "https://evil.example/form.html".to_owned())], false),
        ("neither Origin nor Referer", vec![], false),
        ("the site's own page as Referer", vec![("referer", format!("{site}/login"))], true),
        ("the site's Origin", vec![("origin", site.clone())], true),
    ];
    for (what, headers, ok) in cases {
        let h: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let c = t.client_with(&h);
        let token = c.get("/login").await.csrf();
        let r = c.post("/login", &[("_csrf", &token), ("login", "admin"), ("password", PASSWORD), ("next", "/")]).await;
        if ok {
            assert_eq!(r.status, StatusCode::SEE_OTHER, "{what}: {}", r.body);
        } else {
            assert!(refused(&r), "{what}: {} {}", r.status, r.body);
            assert!(r.headers.get("set-cookie").is_none_or(|v| !v.to_str().unwrap_or("").starts_with("ms_session")), "{what}: no session");
        }
    }
    // A signed-in browser's form posted from another site: refused, nothing changes.
    let c = t.client();
    c.login("admin").await;
    let token = c.get("/").await.csrf();
    let r = c.http.post(format!("{}/logout", c.base)).header("origin", "https://evil.example").form(&[("_csrf", &token)]).send().await.expect("POST");
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(r.text().await.expect("body").contains("页面已过期"));
    assert!(signed_in(&c).await);
    t.shutdown().await;
}

#[tokio::test]
async fn an_https_site_sets_secure_cookies_and_hsts_on_pages() {
    let https = TestWeb::spawn_with(0, |env| env.push(("MINSHENG__PUBLIC_URL".into(), "https://fy.example.gov.cn".into()))).await;
    let plain = TestWeb::spawn(0).await;
    for (t, on) in [(&https, true), (&plain, false)] {
        let c = t.client();
        let first = c.get("/login").await;
        let hsts = first.headers.get("strict-transport-security").and_then(|v| v.to_str().ok());
        assert_eq!(hsts, on.then_some("max-age=31536000; includeSubDomains"));
        let missing = c.get("/no/such/page").await;
        assert_eq!(missing.headers.contains_key("strict-transport-security"), on, "the fallback too");
        let mut cookies: Vec<String> = first.headers.get_all("set-cookie").iter().filter_map(|v| v.to_str().ok().map(str::to_owned)).collect();
        for path in ["/prefs/lang/en?back=/", "/prefs/elder/on?back=/"] {
            let r = c.get(path).await;
            cookies.extend(r.headers.get_all("set-cookie").iter().filter_map(|v| v.to_str().ok().map(str::to_owned)));
        }
        // A browser does not send a Secure cookie back over plain http, so sign in by hand.
        let token = first.csrf();
        let pre = cookies.iter().find(|c| c.starts_with("ms_csrf=")).expect("a pre-session cookie").clone();
        let pre = pre.split(';').next().expect("pair").to_owned();
        let r = c
            .http
            .post(format!("{}/login", c.base))
            .header("cookie", &pre)
            .form(&[("_csrf", token.as_str()), ("login", "admin"), ("password", PASSWORD), ("next", "/")])
            .send()
            .await
            .expect("POST");
        assert_eq!(r.status(), StatusCode::SEE_OTHER);
        cookies.extend(r.headers().get_all("set-cookie").iter().filter_map(|v| v.to_str().ok().map(str::to_owned)));
        for name in ["ms_csrf=", "ms_lang=", "ms_elder=", "ms_session="] {
            let found: Vec<&String> = cookies.iter().filter(|c| c.starts_with(name)).collect();
            assert!(!found.is_empty(), "{name} in {cookies:?}");
            for c in found {
                assert_eq!(c.contains("; Secure"), on, "{c}");
            }
        }
    }
    https.shutdown().await;
    plain.shutdown().await;
}

#[tokio::test]
async fn too_many_wrong_passwords_are_told_next_to_the_field() {
    let t = TestWeb::spawn(0).await;
    let c = t.client();
    for _ in 0..6 {
        let token = c.get("/login").await.csrf();
        let r = c.post("/login", &[("_csrf", &token), ("login", "admin"), ("password", "wrong-pass1"), ("next", "/")]).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.body);
    }
    let token = c.get("/login").await.csrf();
    let r = c.post("/login", &[("_csrf", &token), ("login", "admin"), ("password", PASSWORD), ("next", "/")]).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.body);
    assert_eq!(r.headers.get("retry-after").and_then(|v| v.to_str().ok()), Some("1"));
    assert!(r.body.contains("id=\"f-password-error\"") && r.body.contains("登录失败次数过多，请 1 秒后再试"), "{}", r.body);
    c.get("/prefs/lang/en?back=/").await;
    let token = c.get("/login").await.csrf();
    let r = c.post("/login", &[("_csrf", &token), ("login", "admin"), ("password", PASSWORD), ("next", "/")]).await;
    assert!(r.body.contains("Too many failed sign-ins; try again in 1 second"), "{}", r.body);
    t.shutdown().await;
}
