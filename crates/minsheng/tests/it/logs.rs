//! The logs of a whole story hold no personal identifier in plain form and no forged line. The
//! real binary serves a small demo district with `RUST_LOG=debug` (every line the server can
//! write) and its standard error in a file; a story runs over HTTP — a resident's filing, a
//! clerk's action, purpose-bound reads of the shared data pool (an ID number and a credit code in
//! the path), a FHIR search, an enterprise's login, and failed logins with an ID number, a
//! mistyped one, a password, a phone number and a login that forges a log line with a newline and
//! an ANSI escape — and the log is searched once the server has stopped, in both log formats.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::Row;

use crate::helpers::{DemoServer, open_sqlite, sample};

/// How long the server may take to come up or stop (a guard against hanging).
const PATIENCE: Duration = Duration::from_secs(180);

/// The forged log line's marker; the text before it ends the real line with a newline.
const FORGED: &str = "FORGED-7f3a";
const FORGED_STAMP: &str = "2026-01-01T00:00:00.000000Z";

/// A password typed into the login field.
const TYPED_PASSWORD: &str = "Wo3Ai4Ni5Beijing!";

/// `minsheng demo` with debug logs in `format`.
struct Server(DemoServer);

impl Server {
    fn start(data: &Path, logs: &Path, format: &str) -> Server {
        Server(DemoServer::start(data, logs, format, &[("RUST_LOG", "debug"), ("MINSHENG_LOG_FORMAT", format)]))
    }

    /// Stops it as an operator would (SIGTERM) and returns its log.
    fn stop(self) -> String {
        let mut s = self.0;
        let pid = s.child.id().to_string();
        let _ = std::process::Command::new("kill").args(["-TERM", &pid]).status();
        let started = Instant::now();
        while s.child.try_wait().ok().flatten().is_none() {
            if started.elapsed() > Duration::from_secs(30) {
                let _ = s.child.kill();
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = s.child.wait();
        std::fs::read_to_string(&s.stderr).expect("the log")
    }
}

struct Api<'a> {
    http: &'a reqwest::Client,
    url: &'a str,
}

impl Api<'_> {
    async fn send(&self, method: reqwest::Method, token: Option<&str>, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        let mut rb = self.http.request(method, format!("{}{path}", self.url));
        if let Some(t) = token {
            rb = rb.bearer_auth(t);
        }
        if let Some(b) = body {
            rb = rb.json(&b);
        }
        let r = rb.send().await.expect("request");
        let status = r.status();
        let text = r.text().await.expect("body");
        (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }

    async fn get(&self, token: &str, path: &str) -> (StatusCode, Value) {
        self.send(reqwest::Method::GET, Some(token), path, None).await
    }

    async fn post(&self, token: &str, path: &str, body: Value) -> (StatusCode, Value) {
        self.send(reqwest::Method::POST, Some(token), path, Some(body)).await
    }

    async fn try_login(&self, login: &str, password: &str) -> StatusCode {
        self.send(reqwest::Method::POST, None, "/api/auth/login", Some(json!({ "login": login, "password": password }))).await.0
    }

    async fn login(&self, login: &str, tokens: &mut Vec<String>) -> String {
        let (status, v) = self.send(reqwest::Method::POST, None, "/api/auth/login", Some(json!({ "login": login, "password": "demo1234" }))).await;
        assert_eq!(status, StatusCode::OK, "login {login}: {v}");
        let token = v["token"].as_str().expect("token").to_owned();
        tokens.push(token.clone());
        token
    }
}

/// The identifiers of the story: who logged in, what was filed and typed.
#[derive(Default)]
struct Seen {
    resident: String,
    enterprise: String,
    /// Bearer tokens handed out: secrets, never logged.
    tokens: Vec<String>,
    /// Identifiers typed into forms and login fields.
    typed: Vec<String>,
}

/// The whole story, as a resident, staff and an enterprise would go through it.
async fn story(api: &Api<'_>, logins: &[(String, String)], seen: &mut Seen) {
    let find = |what: &str| logins.iter().find(|(_, who)| who.contains(what)).map(|(l, _)| l.clone()).unwrap_or_else(|| panic!("a {what} log-in in {logins:?}"));
    seen.resident = find("resident");
    seen.enterprise = find("enterprise agent");
    let resident = api.login(&seen.resident, &mut seen.tokens).await;

    // A filing: the plan, the uploads it asks for, the form.
    let (status, plan) = api.get(&resident, "/api/plan?bundle=birth").await;
    assert_eq!(status, StatusCode::OK, "{plan}");
    let mut materials = serde_json::Map::new();
    for m in plan["materials"].as_array().expect("materials") {
        if m["status"] == "to_upload" {
            let code = m["code"].as_str().expect("code");
            let r = api
                .http
                .post(format!("{}/api/uploads?name={code}", api.url))
                .bearer_auth(&resident)
                .header("content-type", "application/pdf")
                .body(format!("%PDF-1.4 {code}"))
                .send()
                .await
                .expect("upload");
            assert_eq!(r.status(), StatusCode::CREATED);
            let v: Value = r.json().await.expect("json");
            materials.insert(code.to_owned(), v["id"].clone());
        }
    }
    let mut form = serde_json::Map::new();
    for f in plan["fields"].as_array().expect("fields") {
        if f["required"] == true && f["prefilled"].is_null() {
            let value = sample(f);
            if matches!(f["type"].as_str(), Some("phone" | "id_number" | "credit_code")) {
                seen.typed.push(value.clone());
            }
            form.insert(f["key"].as_str().expect("key").to_owned(), Value::String(value));
        }
    }
    let (status, app) = api.post(&resident, "/api/applications", json!({ "bundle": "birth", "form": form, "materials": materials })).await;
    assert_eq!(status, StatusCode::CREATED, "{app}");
    let app_id = app["id"].as_str().expect("id").to_owned();

    // A clerk's action: the next step toward approval on an active case, by whichever of its
    // department's staff may take it.
    let case = app["cases"].as_array().and_then(|cs| cs.iter().find(|c| c["status"] == "active")).cloned().expect("an active case");
    let catalog = catalog::Catalog::demo();
    let wf = catalog.item(case["item"].as_str().expect("item")).and_then(|i| catalog.workflow(&i.workflow)).expect("workflow");
    let action = demo::seed::toward_approval(wf, case["state"].as_str().expect("state")).expect("a way to approval").code.clone();
    let dept = case["department"].as_str().expect("department");
    let mut acted = false;
    for role in ["clerk", "reviewer", "approver"] {
        let staff = api.login(&format!("{dept}_{role}"), &mut seen.tokens).await;
        let (_, view) = api.get(&staff, &format!("/api/applications/{app_id}")).await;
        let mine = view["cases"].as_array().and_then(|cs| cs.iter().find(|c| c["id"] == case["id"]).cloned());
        if mine.is_some_and(|c| c["actions"].as_array().is_some_and(|a| a.iter().any(|x| x["code"] == action.as_str()))) {
            let path = format!("/api/applications/{app_id}/cases/{}/actions", case["id"].as_str().expect("id"));
            let (status, v) = api.post(&staff, &path, json!({ "action": action })).await;
            assert_eq!(status, StatusCode::OK, "{v}");
            acted = true;
            break;
        }
    }
    assert!(acted, "nobody in {dept} took {action}");

    // The shared data pool: the resident's own register (the ID number in the path), and a
    // clerk's read with the purpose the resident consented to.
    let (status, v) = api.get(&resident, &format!("/api/pool/registers/persons/{}", seen.resident)).await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let (status, records) = api.get(&resident, "/api/pool/records").await;
    assert_eq!(status, StatusCode::OK, "{records}");
    let card = records.as_array().and_then(|l| l.iter().find(|r| r["record_type"] == "resident_id_card")).expect("an ID card record");
    let consent = json!({"grantee_kind": "org", "grantee": "ga", "record_types": ["resident_id_card"], "purpose": "办理租房备案", "valid_days": 30});
    let (status, c) = api.post(&resident, "/api/pool/me/consents", consent).await;
    assert_eq!(status, StatusCode::CREATED, "{c}");
    let ga = api.login("ga_clerk", &mut seen.tokens).await;
    let read = format!("/api/pool/records/{}?purpose=consent&ref={}", card["id"].as_str().expect("id"), c["id"].as_str().expect("id"));
    let (status, v) = api.get(&ga, &read).await;
    assert_eq!(status, StatusCode::OK, "{v}");

    // A FHIR search (the ID number in the query string).
    let (status, v) = api.get(&resident, &format!("/fhir/Patient?identifier={}", seen.resident)).await;
    assert!(status == StatusCode::OK || status == StatusCode::NOT_FOUND, "{status} {v}");

    // An enterprise signs in with its credit code and reads its register entry (the code in the
    // path).
    let enterprise = api.login(&seen.enterprise, &mut seen.tokens).await;
    let (status, v) = api.get(&enterprise, &format!("/api/pool/registers/enterprises/{}", seen.enterprise)).await;
    assert_eq!(status, StatusCode::OK, "{v}");

    // Failed logins: a real ID number with a wrong password, the same number mistyped, a phone
    // number, a credit code, a password typed into the login field, and a forged log line.
    let last = seen.resident.chars().last().expect("a check digit");
    let mistyped = format!("{}{}", &seen.resident[..17], if last == '0' { '1' } else { '0' });
    let forged = format!("x\n{FORGED_STAMP}  INFO {FORGED} admin logged in\u{1b}[2J\u{1b}[31m");
    for login in [seen.resident.clone(), mistyped.clone(), "13900001234".into(), seen.enterprise.clone(), TYPED_PASSWORD.into(), forged] {
        assert_eq!(api.try_login(&login, "wrong-password-1").await, StatusCode::UNAUTHORIZED, "{login:?}");
    }
    seen.typed.extend([mistyped, "13900001234".into()]);
}

/// Every personal identifier the district holds: ID numbers and phones of its people and
/// accounts, credit codes of its enterprises.
async fn identifiers(db: &Path) -> BTreeSet<String> {
    let pool = open_sqlite(db, true).await;
    let mut all = BTreeSet::new();
    for sql in [
        "SELECT id_number FROM person",
        "SELECT phone FROM person WHERE phone IS NOT NULL",
        "SELECT credit_code FROM enterprise",
        "SELECT phone FROM account WHERE phone IS NOT NULL",
        "SELECT login FROM account WHERE kind <> 'staff'",
    ] {
        for row in sqlx::query(sql).fetch_all(&pool).await.expect(sql) {
            all.insert(row.get::<String, _>(0));
        }
    }
    pool.close().await;
    all.retain(|s| s.len() >= 11);
    all
}

/// Unmasked identifier-shaped text in a line, found without `domain::mask`: 11 digits of a
/// mobile number, a valid ID number of someone born before today, a credit code with letters
/// that passes its checks.
fn shaped(line: &str) -> Vec<String> {
    let today = chrono::Utc::now().date_naive();
    let mut found = Vec::new();
    for word in line.split(|c: char| !c.is_ascii_alphanumeric()).filter(|w| w.len() >= 11) {
        if word.len() == 18 && word.bytes().any(|b| b.is_ascii_alphabetic()) && domain::CreditCode::parse(word).is_ok() {
            found.push(word.to_owned());
        }
        let b = word.as_bytes();
        let mut i = 0;
        while i < b.len() {
            let from = i;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            let len = i - from;
            if len == 11 && b[from] == b'1' && (b'3'..=b'9').contains(&b[from + 1]) {
                found.push(word[from..i].to_owned());
            }
            let id_end = if len == 17 && matches!(b.get(i), Some(b'X' | b'x')) { i + 1 } else { i };
            if (len == 18 || id_end > i) && domain::ResidentId::parse(&word[from..id_end]).is_ok_and(|id| id.birth_date() <= today) {
                found.push(word[from..id_end].to_owned());
            }
            i = i.max(from + 1);
        }
    }
    found
}

/// Checks a log: no identifier of the district, no identifier-shaped text, no secret, no forged
/// line, no control character; the failed logins logged by their kind. Returns the lines.
fn check_log(log: &str, format: &str, known: &BTreeSet<String>, seen: &Seen) -> Vec<String> {
    let lines: Vec<String> = log.lines().map(str::to_owned).collect();
    let requests = lines.iter().filter(|l| l.contains("started processing request")).count();
    assert!(requests >= 20, "{format}: a debug log of the story's requests, not {requests}:\n{log}");
    let mut problems = Vec::new();
    for (n, line) in lines.iter().enumerate() {
        let n = n + 1;
        for id in known.iter().chain(&seen.typed) {
            if line.contains(id.as_str()) {
                problems.push(format!("line {n}: {id} in plain form: {line}"));
            }
        }
        for s in shaped(line) {
            problems.push(format!("line {n}: unmasked {s}: {line}"));
        }
        for secret in seen.tokens.iter().map(String::as_str).chain(["demo1234", "wrong-password-1", TYPED_PASSWORD]) {
            if line.contains(secret) {
                problems.push(format!("line {n}: a secret ({secret}): {line}"));
            }
        }
        if line.starts_with(FORGED_STAMP) || line.contains(FORGED) {
            problems.push(format!("line {n}: the forged login: {line}"));
        }
        if line.chars().any(|c| c.is_control()) {
            problems.push(format!("line {n}: a control character: {line:?}"));
        }
        if format == "json" && serde_json::from_str::<Value>(line).is_err() {
            problems.push(format!("line {n}: not JSON: {line}"));
        }
    }
    assert!(problems.is_empty(), "{format}: {} problems in the log:\n{}", problems.len(), problems.join("\n"));
    let failed: Vec<&String> = lines.iter().filter(|l| l.contains("login failed")).collect();
    assert_eq!(failed.len(), 6, "{format}: each failed login logged once: {failed:#?}");
    for kind in ["id_number", "credit_code", "username"] {
        let (plain, json) = (format!("kind=\"{kind}\""), format!("\"kind\":\"{kind}\""));
        assert!(failed.iter().any(|l| l.contains(&plain) || l.contains(&json)), "{format}: a failed login of kind {kind}: {failed:#?}");
    }
    lines
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_story_s_debug_log_holds_no_identifier_secret_or_forged_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("demo");
    let http = reqwest::Client::builder().timeout(Duration::from_secs(30)).build().expect("client");
    // The same story in both formats; the second start finds the district already made.
    for format in ["plain", "json"] {
        let mut server = Server::start(&data, dir.path(), format);
        let logins = server.0.ready(&http, PATIENCE).await;
        let mut seen = Seen::default();
        story(&Api { http: &http, url: &server.0.url }, &logins, &mut seen).await;
        let url = server.0.url.clone();
        let log = server.stop();
        let known = identifiers(&data.join("minsheng.db")).await;
        assert!(known.contains(&seen.resident) && known.contains(&seen.enterprise), "the story's log-ins are among the identifiers");
        let lines = check_log(&log, format, &known, &seen);
        // What the writer masked was there to mask: the ID number in a path, at debug level.
        let masked_path = format!("/api/pool/registers/persons/{}", domain::mask::id_number(&seen.resident));
        assert!(lines.iter().any(|l| l.contains(&masked_path)), "{format}: {masked_path} in the log of {url}");
    }
}
