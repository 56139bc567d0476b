//! The test harness: a real server on port 0 with a fresh database (SQLite in a temporary
//! directory, or a scratch PostgreSQL database when `MINSHENG_TEST_POSTGRES` gives a server URL),
//! a small demo district, a manual clock, and an HTTP client.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use domain::ManualClock;
use reqwest::StatusCode;
use serde_json::{Value, json};
use server::{App, AppState, Config, Options};

/// The environment variable naming a PostgreSQL server for the backend-generic tests.
pub const PG_ENV: &str = "MINSHENG_TEST_POSTGRES";

/// Which database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Db {
    Sqlite,
    Postgres,
}

/// The backends to run a backend-generic test on: SQLite always, PostgreSQL when configured.
pub fn backends() -> Vec<Db> {
    let mut v = vec![Db::Sqlite];
    if std::env::var(PG_ENV).is_ok_and(|u| !u.is_empty()) {
        v.push(Db::Postgres);
    }
    v
}

/// Monday 2 March 2026, 09:00 in Hangzhou.
pub fn start_time() -> DateTime<Utc> {
    chrono::FixedOffset::east_opt(8 * 3600)
        .and_then(|tz| tz.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).single())
        .map(|t| t.with_timezone(&Utc))
        .expect("valid start time")
}

pub struct TestApp {
    pub url: String,
    pub http: reqwest::Client,
    pub clock: ManualClock,
    pub state: AppState,
    app: Option<App>,
    pub dir: tempfile::TempDir,
    pg: Option<(String, String)>,
}

pub struct Resp {
    pub status: StatusCode,
    pub body: Value,
    pub headers: reqwest::header::HeaderMap,
}

impl Resp {
    pub fn code(&self) -> &str {
        self.body["code"].as_str().unwrap_or("")
    }
}

static COUNTER: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);

impl TestApp {
    pub async fn spawn(db: Db) -> TestApp {
        Self::spawn_with(db, |_| {}).await
    }

    /// Starts a server; `adjust` may change the configuration first.
    pub async fn spawn_with(db: Db, adjust: impl FnOnce(&mut Vec<(String, String)>)) -> TestApp {
        let dir = tempfile::tempdir().expect("tempdir");
        let (url, pg) = match db {
            Db::Sqlite => (format!("sqlite://{}", dir.path().join("t.db").display()), None),
            Db::Postgres => {
                let base = std::env::var(PG_ENV).expect("postgres url");
                let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let name = format!("minsheng_t{}_{n}", std::process::id());
                let url = store::create_scratch_database(&base, &name).await.expect("scratch database");
                (url, Some((base, name)))
            }
        };
        let mut env: Vec<(String, String)> = vec![
            ("MINSHENG__DATA_DIR".into(), dir.path().display().to_string()),
            ("MINSHENG__DATABASE__URL".into(), url),
            ("MINSHENG__LISTEN".into(), "127.0.0.1:0".into()),
            ("MINSHENG__DATABASE__MAX_CONNECTIONS".into(), "4".into()),
            ("MINSHENG__AUTH__ARGON2_MEMORY_KIB".into(), "64".into()),
            ("MINSHENG__AUTH__ARGON2_ITERATIONS".into(), "1".into()),
        ];
        adjust(&mut env);
        let config = Config::load(None, env).expect("config");
        let clock = ManualClock::new(start_time());
        let state = server::build_state(config, Arc::new(clock.clone())).await.expect("state");
        let opts = demo::seed::SeedOptions { residents: 400, enterprises: 30, history: 0, medins: false, welfare: false, guardian: false, governance: false, places: false, halls: false, parking: false, library: false, ..Default::default() };
        demo::seed::seed_demo(&state, &opts, &mut |_, _, _| {}).await.expect("seed");
        let _ = Options::default();
        let app = App::serve(state.clone(), false).await.expect("serve");
        // The address bound, even when `public_url` names another.
        let url = format!("http://{}", app.addr);
        TestApp { url, http: reqwest::Client::new(), clock, state, app: Some(app), dir, pg }
    }

    pub async fn shutdown(mut self) {
        if let Some(app) = self.app.take() {
            app.shutdown().await;
        }
        if let Some((base, name)) = self.pg.take() {
            store::drop_scratch_database(&base, &name).await.expect("drop scratch database");
        }
    }

    pub async fn request(&self, method: reqwest::Method, token: Option<&str>, path: &str, body: Option<Value>, headers: &[(&str, &str)]) -> Resp {
        let mut rb = self.http.request(method, format!("{}{path}", self.url));
        if let Some(t) = token {
            rb = rb.bearer_auth(t);
        }
        for (k, v) in headers {
            rb = rb.header(*k, *v);
        }
        if let Some(b) = body {
            rb = rb.json(&b);
        }
        let r = rb.send().await.expect("request");
        let status = r.status();
        let headers = r.headers().clone();
        let text = r.text().await.expect("body");
        let body = if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap_or(Value::String(text)) };
        Resp { status, body, headers }
    }

    /// Sends raw bytes with an explicit `Content-Type` (or none), for bodies that are not JSON.
    pub async fn raw(
        &self,
        method: reqwest::Method,
        token: Option<&str>,
        path: &str,
        content_type: Option<&str>,
        body: Vec<u8>,
        headers: &[(&str, &str)],
    ) -> Resp {
        let mut rb = self.http.request(method, format!("{}{path}", self.url));
        if let Some(t) = token {
            rb = rb.bearer_auth(t);
        }
        if let Some(ct) = content_type {
            rb = rb.header("content-type", ct);
        }
        for (k, v) in headers {
            rb = rb.header(*k, *v);
        }
        let r = rb.body(body).send().await.expect("request");
        let status = r.status();
        let headers = r.headers().clone();
        let text = r.text().await.expect("body");
        let body = if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap_or(Value::String(text)) };
        Resp { status, body, headers }
    }

    /// A login attempt with any password; the raw response.
    pub async fn try_login(&self, login: &str, password: &str) -> Resp {
        self.request(reqwest::Method::POST, None, "/api/auth/login", Some(json!({ "login": login, "password": password })), &[]).await
    }

    /// Runs one query on the read pool and returns the first column of each row as text.
    pub async fn strings(&self, sql: &str) -> Vec<String> {
        use sqlx::Row;
        sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()))
            .fetch_all(self.state.store.read_pool())
            .await
            .expect("query")
            .iter()
            .map(|r| r.try_get::<String, _>(0).expect("a text column"))
            .collect()
    }

    /// Sets the clock to `date` at `hh:mm` in Hangzhou.
    pub fn set_china_time(&self, date: chrono::NaiveDate, hh: u32, mm: u32) {
        let t = chrono::FixedOffset::east_opt(8 * 3600)
            .and_then(|tz| tz.from_local_datetime(&date.and_hms_opt(hh, mm, 0).expect("time")).single())
            .expect("a valid local time")
            .with_timezone(&Utc);
        self.clock.set(t);
    }

    pub async fn get(&self, token: &str, path: &str) -> Resp {
        self.request(reqwest::Method::GET, Some(token), path, None, &[]).await
    }

    pub async fn post(&self, token: &str, path: &str, body: Value) -> Resp {
        self.request(reqwest::Method::POST, Some(token), path, Some(body), &[]).await
    }

    pub async fn login(&self, login: &str) -> String {
        let r = self
            .request(reqwest::Method::POST, None, "/api/auth/login", Some(json!({ "login": login, "password": "demo1234" })), &[])
            .await;
        assert_eq!(r.status, StatusCode::OK, "login {login}: {}", r.body);
        r.body["token"].as_str().expect("token").to_owned()
    }

    /// A resident with an account (a woman aged 25–35): (login, token).
    pub async fn citizen(&self) -> (String, String) {
        let today = domain::china_date(self.clock.now_utc());
        let (login, _) = self.state.store.registers().demo_citizen(today).await.expect("query").expect("a demo citizen");
        let token = self.login(&login).await;
        (login, token)
    }

    /// Another resident with an account, different from `not`.
    pub async fn other_citizen(&self, not: &str) -> (String, String) {
        let logins = self.state.store.registers().bench_citizens(5).await.expect("citizens");
        let login = logins.into_iter().find(|l| l != not).expect("another citizen");
        let token = self.login(&login).await;
        (login, token)
    }

    pub async fn enterprise(&self) -> (String, String) {
        let (login, _) = self.state.store.registers().demo_enterprise().await.expect("query").expect("a demo enterprise");
        let token = self.login(&login).await;
        (login, token)
    }

    pub async fn upload(&self, token: &str, name: &str) -> String {
        let r = self
            .http
            .post(format!("{}/api/uploads?name={name}", self.url))
            .bearer_auth(token)
            .header("content-type", "application/pdf")
            .body(format!("%PDF-1.4 {name}").into_bytes())
            .send()
            .await
            .expect("upload");
        assert_eq!(r.status(), StatusCode::CREATED);
        let v: Value = r.json().await.expect("json");
        v["id"].as_str().expect("id").to_owned()
    }

    /// The form values and uploads a careful applicant provides for `target` (`bundle=birth`).
    pub async fn filing(&self, token: &str, target: &str) -> (BTreeMap<String, String>, BTreeMap<String, String>) {
        self.filing_for(token, token, target).await
    }

    /// Like `filing`, reading the plan as `planner` and uploading as `uploader` (a window takes
    /// in what the resident's plan asks for).
    pub async fn filing_for(&self, planner: &str, uploader: &str, target: &str) -> (BTreeMap<String, String>, BTreeMap<String, String>) {
        let token = uploader;
        let plan = self.get(planner, &format!("/api/plan?{target}")).await;
        assert_eq!(plan.status, StatusCode::OK, "{}", plan.body);
        let mut materials = BTreeMap::new();
        for m in plan.body["materials"].as_array().expect("materials") {
            if m["status"] == "to_upload" {
                let code = m["code"].as_str().expect("code").to_owned();
                let id = self.upload(token, &code).await;
                materials.insert(code, id);
            }
        }
        let mut form = BTreeMap::new();
        for f in plan.body["fields"].as_array().expect("fields") {
            if f["required"] == true && f["prefilled"].is_null() {
                form.insert(f["key"].as_str().expect("key").to_owned(), sample(f));
            }
        }
        (form, materials)
    }

    /// Files `target` for the holder of `token`; returns the application view.
    pub async fn file(&self, token: &str, bundle: &str) -> Value {
        let (form, materials) = self.filing(token, &format!("bundle={bundle}")).await;
        let r = self.post(token, "/api/applications", json!({ "bundle": bundle, "form": form, "materials": materials })).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        r.body
    }

    /// Window staff (`window`) take in `bundle` for a resident (`resident`, logged in as `citizen`,
    /// whose own plan says what to bring); the created application.
    pub async fn take_in(&self, window: &str, citizen: &str, resident: &str, bundle: &str) -> Value {
        let (form, materials) = self.filing_for(citizen, window, &format!("bundle={bundle}")).await;
        let r = self
            .post(window, "/api/applications", json!({ "bundle": bundle, "applicant": resident, "form": form, "materials": materials }))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        r.body
    }

    /// Moves every open case of an application to approval, each by its own department's staff.
    pub async fn approve_all(&self, app_id: &str) -> Value {
        for _ in 0..60 {
            let admin = self.login("admin").await;
            let app = self.get(&admin, &format!("/api/applications/{app_id}")).await.body;
            let Some(case) = app["cases"].as_array().expect("cases").iter().find(|c| c["status"] == "active").cloned() else {
                return app;
            };
            self.advance_case(app_id, &case).await;
        }
        panic!("application {app_id} did not complete");
    }

    /// Takes the next step toward approval on one case, as whichever of its department's staff may.
    pub async fn advance_case(&self, app_id: &str, case: &Value) -> Value {
        let dept = case["department"].as_str().expect("department");
        let item = case["item"].as_str().expect("item");
        let state = case["state"].as_str().expect("state");
        let catalog = self.state.catalog();
        let wf = catalog.item(item).and_then(|i| catalog.workflow(&i.workflow)).expect("workflow");
        let action = demo::seed::toward_approval(wf, state).expect("a way to approval").code.clone();
        for role in ["clerk", "reviewer", "approver"] {
            let token = self.login(&format!("{dept}_{role}")).await;
            let view = self.get(&token, &format!("/api/applications/{app_id}")).await;
            let mine = view.body["cases"].as_array().and_then(|cs| cs.iter().find(|c| c["id"] == case["id"]).cloned());
            let can = mine.is_some_and(|c| c["actions"].as_array().is_some_and(|a| a.iter().any(|x| x["code"] == action.as_str())));
            if can {
                let r = self
                    .post(&token, &format!("/api/applications/{app_id}/cases/{}/actions", case["id"].as_str().expect("id")), json!({ "action": action }))
                    .await;
                assert_eq!(r.status, StatusCode::OK, "{}", r.body);
                return r.body;
            }
        }
        panic!("nobody in {dept} may take {action} on {item} in {state}");
    }

    pub async fn tick(&self) -> onething::TickOutcome {
        server::areas::onething::cases::tick(&self.state).await.expect("tick")
    }

    /// Delivers due notices through the configured channel once.
    pub async fn deliver(&self) -> usize {
        let ch = server::background::Channel::open(&self.state.config.notice_channel).expect("channel");
        server::background::deliver_once(&self.state, &ch).await.expect("deliver")
    }

    /// Counts rows of a table, to check that failed requests wrote nothing.
    pub async fn count(&self, table: &str) -> i64 {
        use sqlx::Row;
        let sql = format!("SELECT COUNT(*) AS n FROM {table}");
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .fetch_one(self.state.store.read_pool())
            .await
            .expect("count")
            .try_get("n")
            .expect("n")
    }

    pub async fn counts(&self) -> [i64; 5] {
        [
            self.count("application").await,
            self.count("item_case").await,
            self.count("history").await,
            self.count("notice").await,
            self.count("idempotency").await,
        ]
    }
}

/// A valid value for a form field described by the plan.
pub fn sample(f: &Value) -> String {
    match f["type"].as_str().unwrap_or("text") {
        "date" => "2026-03-10".into(),
        "datetime" => if f["key"].as_str().unwrap_or("").contains("end") { "2026-03-11T05:00".into() } else { "2026-03-10T22:00".into() },
        "number" => format!("{}", f["min"].as_f64().unwrap_or(1.0).max(1.0)),
        "choice" => f["choices"][0]["value"].as_str().unwrap_or("").to_owned(),
        "phone" => "13900001234".into(),
        // A valid number (check digit 2).
        "id_number" => "330183199001011232".into(),
        "credit_code" => "91330000742906207U".into(),
        _ => "测试".into(),
    }
}

pub trait ClockExt {
    fn now_utc(&self) -> DateTime<Utc>;
}

impl ClockExt for ManualClock {
    fn now_utc(&self) -> DateTime<Utc> {
        domain::Clock::now(self)
    }
}
