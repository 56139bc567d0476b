//! The harness: the server with its pages on port 0, a small seeded district, a manual clock,
//! and a cookie-keeping HTTP client that reads CSRF tokens from the pages and sends `Origin` like
//! a browser.

use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use domain::ManualClock;
use server::{App, AppState, Config};

/// Monday 2 March 2026, 09:00 in Hangzhou.
pub fn start_time() -> DateTime<Utc> {
    chrono::FixedOffset::east_opt(8 * 3600)
        .and_then(|tz| tz.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).single())
        .map(|t| t.with_timezone(&Utc))
        .expect("valid start time")
}

pub struct TestWeb {
    pub url: String,
    pub state: AppState,
    /// The server's clock, to move on.
    pub clock: ManualClock,
    app: Option<App>,
    _dir: tempfile::TempDir,
}

impl TestWeb {
    /// A server with `history` simulated past applications.
    pub async fn spawn(history: usize) -> TestWeb {
        Self::spawn_with(history, |_| {}).await
    }

    /// Like `spawn`; `adjust` may change the configuration first.
    pub async fn spawn_with(history: usize, adjust: impl FnOnce(&mut Vec<(String, String)>)) -> TestWeb {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut env: Vec<(String, String)> = vec![
            ("MINSHENG__DATA_DIR".into(), dir.path().display().to_string()),
            ("MINSHENG__DATABASE__URL".into(), format!("sqlite://{}", dir.path().join("t.db").display())),
            ("MINSHENG__LISTEN".into(), "127.0.0.1:0".into()),
            ("MINSHENG__DATABASE__MAX_CONNECTIONS".into(), "4".into()),
            ("MINSHENG__AUTH__ARGON2_MEMORY_KIB".into(), "64".into()),
            ("MINSHENG__AUTH__ARGON2_ITERATIONS".into(), "1".into()),
        ];
        adjust(&mut env);
        let config = Config::load(None, env).expect("config");
        let clock = ManualClock::new(start_time());
        let state = server::build_state(config, Arc::new(clock.clone())).await.expect("state");
        let opts = demo::seed::SeedOptions { residents: 400, enterprises: 30, history, history_days: 40, medins: false, guardian: false, governance: false, places: false, halls: false, parking: false, library: false, ..Default::default() };
        demo::seed::seed_demo(&state, &opts, &mut |_, _, _| {}).await.expect("seed");
        let pages = web::router_with(state.clone(), web::WebOptions { cockpit_max_age: std::time::Duration::ZERO });
        let app = App::serve_with(state.clone(), false, pages).await.expect("serve");
        // The address bound, even when `public_url` names another.
        let url = format!("http://{}", app.addr);
        TestWeb { url, state, clock, app: Some(app), _dir: dir }
    }

    pub async fn shutdown(mut self) {
        if let Some(app) = self.app.take() {
            app.shutdown().await;
        }
    }

    /// The demo resident (a woman of 25–35) and her ID number.
    pub async fn citizen(&self) -> String {
        let today = domain::china_date(self.state.now());
        self.state.store.registers().demo_citizen(today).await.expect("query").expect("a demo citizen").0
    }

    /// The site's origin, as a browser on its pages sends it.
    pub fn origin(&self) -> String {
        self.state.config.public_url.clone().unwrap_or_else(|| self.url.clone())
    }

    /// A browser-like client on the site's pages: keeps cookies, sends `Origin`, does not follow
    /// redirects.
    pub fn client(&self) -> Client {
        self.client_with(&[("origin", &self.origin())])
    }

    /// A client sending `headers` with every request (say, another site's `Origin`).
    pub fn client_with(&self, headers: &[(&str, &str)]) -> Client {
        let mut h = reqwest::header::HeaderMap::new();
        for (k, v) in headers {
            h.insert(reqwest::header::HeaderName::from_bytes(k.as_bytes()).expect("name"), v.parse().expect("value"));
        }
        let http = reqwest::Client::builder()
            .cookie_store(true)
            .default_headers(h)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        Client { base: self.url.clone(), http }
    }
}

pub struct Client {
    pub base: String,
    pub http: reqwest::Client,
}

pub struct Page {
    pub status: reqwest::StatusCode,
    pub location: Option<String>,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
}

impl Page {
    /// The CSRF token of the first form of the page.
    pub fn csrf(&self) -> String {
        let key = "name=\"_csrf\" value=\"";
        let i = self.body.find(key).expect("a form with a CSRF field") + key.len();
        self.body[i..].split('"').next().expect("token").to_owned()
    }
}

impl Client {
    pub async fn get(&self, path: &str) -> Page {
        let r = self.http.get(format!("{}{path}", self.base)).send().await.expect("GET");
        Self::page(r).await
    }

    pub async fn post(&self, path: &str, form: &[(&str, &str)]) -> Page {
        let r = self.http.post(format!("{}{path}", self.base)).form(form).send().await.expect("POST");
        Self::page(r).await
    }

    async fn page(r: reqwest::Response) -> Page {
        let status = r.status();
        let location = r.headers().get("location").and_then(|v| v.to_str().ok()).map(str::to_owned);
        let headers = r.headers().clone();
        let body = r.text().await.expect("body");
        Page { status, location, headers, body }
    }

    /// Signs in through the login page.
    pub async fn login(&self, login: &str) -> Page {
        let form = self.get("/login").await;
        let csrf = form.csrf();
        let r = self.post("/login", &[("_csrf", &csrf), ("login", login), ("password", demo::seed::DEMO_PASSWORD), ("next", "/")]).await;
        assert_eq!(r.status, reqwest::StatusCode::SEE_OTHER, "login {login}: {}", r.body);
        r
    }
}

/// A bearer token of the JSON API for a demo log-in.
pub async fn api_token(t: &TestWeb, login: &str) -> String {
    let r = reqwest::Client::new()
        .post(format!("{}/api/auth/login", t.url))
        .json(&serde_json::json!({"login": login, "password": demo::seed::DEMO_PASSWORD}))
        .send()
        .await
        .expect("login");
    assert_eq!(r.status(), reqwest::StatusCode::OK, "login {login}");
    r.json::<serde_json::Value>().await.expect("json")["token"].as_str().expect("token").to_owned()
}
