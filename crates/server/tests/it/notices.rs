//! The notice outbox: every notice written in the same transaction as the change it tells of is
//! delivered exactly once — to the JSON-lines log by default, or to a signed webhook with retries
//! and backoff — and a notice written but not yet marked delivered when the process died is not
//! written again.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode as AxumStatus};
use hmac::{Hmac, Mac};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::Sha256;

use crate::helpers::{Db, TestApp, backends};

const SECRET: &str = "a-test-secret-0123456789";

/// Files a birth application, takes it to completion and rates it badly: a story with notices to
/// the applicant, the departments and the supervisor.
async fn story(t: &TestApp) -> String {
    let (_, citizen) = t.citizen().await;
    let app = t.file(&citizen, "birth").await;
    let id = app["id"].as_str().expect("id").to_owned();
    assert_eq!(t.approve_all(&id).await["status"], "completed");
    let r = t.post(&citizen, &format!("/api/applications/{id}/rating"), json!({ "level": "very_dissatisfied", "comment": "太慢" })).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    id
}

/// Sets the log channel's file to `rel` in the test's data directory.
fn log_at(env: &mut Vec<(String, String)>, rel: &str) {
    let dir = env.iter().find(|(k, _)| k == "MINSHENG__DATA_DIR").map(|(_, v)| v.clone()).expect("data dir");
    env.push(("MINSHENG__NOTICES__LOG_PATH".into(), format!("{dir}/{rel}")));
}

fn log_lines(path: &std::path::Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("a JSON line: {e}: {l}"))).collect()
}

async fn notice_ids(t: &TestApp, status: Option<&str>) -> BTreeSet<String> {
    let sql = match status {
        Some(s) => format!("SELECT CAST(id AS TEXT) FROM notice WHERE status = '{s}'"),
        None => "SELECT CAST(id AS TEXT) FROM notice".to_owned(),
    };
    t.strings(&sql).await.into_iter().collect()
}

async fn log_channel(db: Db) {
    let t = TestApp::spawn_with(db, |env| {
        log_at(env, "outbox/notices.jsonl");
        env.push(("MINSHENG__NOTICES__BATCH".into(), "1000".into()));
    })
    .await;
    let path = t.dir.path().join("outbox/notices.jsonl");
    let id = story(&t).await;
    let rows = t.count("notice").await;
    assert!(rows >= 10, "the story wrote notices: {rows}");
    assert_eq!(notice_ids(&t, Some("pending")).await.len() as i64, rows, "nothing is sent before the worker runs");

    // One delivery writes every notice once.
    assert_eq!(t.deliver().await as i64, rows);
    let lines = log_lines(&path);
    let ids: Vec<String> = lines.iter().map(|l| l["id"].as_str().expect("id").to_owned()).collect();
    let unique: BTreeSet<String> = ids.iter().cloned().collect();
    assert_eq!(ids.len(), unique.len(), "no notice is written twice");
    assert_eq!(unique, notice_ids(&t, None).await, "every notice row is in the log");
    assert_eq!(notice_ids(&t, Some("delivered")).await.len() as i64, rows);
    for l in &lines {
        for k in ["recipient", "kind", "application", "created_at", "text_zh", "text_en"] {
            assert!(l[k].is_string(), "{k} in {l}");
        }
    }
    let kinds: BTreeSet<&str> = lines.iter().filter(|l| l["application"] == id.as_str()).filter_map(|l| l["kind"].as_str()).collect();
    for k in ["submitted", "case_approved", "finished"] {
        assert!(kinds.contains(k), "{k} in {kinds:?}");
    }
    assert!(lines.iter().any(|l| l["recipient"].as_str().is_some_and(|r| r.starts_with("dept:") && r.ends_with(":supervisor"))), "the rectification went to a supervisor");
    let attempts = t.strings("SELECT CAST(attempts AS TEXT) FROM notice").await;
    assert!(attempts.iter().all(|a| a == "1"), "{attempts:?}");

    // A second delivery writes nothing.
    let bytes = std::fs::read(&path).expect("log");
    assert_eq!(t.deliver().await, 0);
    assert_eq!(std::fs::read(&path).expect("log"), bytes);

    // A crash after writing but before marking: the rows are pending again, the log has them.
    let n = sqlx::query("UPDATE notice SET status = 'pending', delivered_at = NULL WHERE kind IN ('finished', 'case_approved')")
        .execute(t.state.store.write_pool())
        .await
        .expect("update")
        .rows_affected();
    assert!(n >= 2);
    t.deliver().await;
    assert_eq!(std::fs::read(&path).expect("log"), bytes, "the restarted worker does not write them again");
    assert!(notice_ids(&t, Some("pending")).await.is_empty(), "and marks them delivered");

    // New notices are appended, each once.
    let (_, citizen) = t.citizen().await;
    t.file(&citizen, "marriage-childbirth").await;
    let new = t.count("notice").await - rows;
    assert!(new > 0);
    assert_eq!(t.deliver().await as i64, new);
    let lines = log_lines(&path);
    assert_eq!(lines.len() as i64, rows + new);
    let unique: BTreeSet<&str> = lines.iter().filter_map(|l| l["id"].as_str()).collect();
    assert_eq!(unique.len(), lines.len());
    t.shutdown().await;
}

#[tokio::test]
async fn the_log_channel_writes_each_notice_exactly_once_on_every_backend() {
    for db in backends() {
        log_channel(db).await;
    }
}

/// What the webhook receiver saw.
#[derive(Debug, Clone)]
struct Received {
    key: String,
    signature: String,
    body: Vec<u8>,
    answered: u16,
}

#[derive(Clone)]
struct Hook {
    seen: Arc<Mutex<Vec<Received>>>,
    /// Fail this many attempts of each notice before accepting it (`usize::MAX`: always fail).
    fail_first: usize,
}

async fn hook(State(h): State<Hook>, headers: HeaderMap, body: Bytes) -> AxumStatus {
    let header = |k: &str| headers.get(k).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    let key = header("idempotency-key");
    let mut seen = h.seen.lock().expect("lock");
    let before = seen.iter().filter(|r| r.key == key).count();
    let status = if before < h.fail_first { AxumStatus::SERVICE_UNAVAILABLE } else { AxumStatus::OK };
    seen.push(Received { key, signature: header("x-minsheng-signature"), body: body.to_vec(), answered: status.as_u16() });
    status
}

/// Starts a webhook receiver on a free port; returns its URL and what it saw.
async fn receiver(fail_first: usize) -> (String, Arc<Mutex<Vec<Received>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let app = axum::Router::new().route("/hook", axum::routing::post(hook)).with_state(Hook { seen: seen.clone(), fail_first });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (format!("http://{addr}/hook"), seen)
}

async fn webhook_app(url: &str, extra: &[(&str, &str)]) -> TestApp {
    let url = url.to_owned();
    let extra: Vec<(String, String)> = extra.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    TestApp::spawn_with(Db::Sqlite, move |env| {
        env.push(("MINSHENG__NOTICES__CHANNEL".into(), "webhook".into()));
        env.push(("MINSHENG__NOTICES__WEBHOOK_URL".into(), url));
        env.push(("MINSHENG__NOTICES__WEBHOOK_SECRET".into(), SECRET.into()));
        env.push(("MINSHENG__NOTICES__BATCH".into(), "1000".into()));
        env.extend(extra);
    })
    .await
}

fn snapshot(seen: &Arc<Mutex<Vec<Received>>>) -> Vec<Received> {
    seen.lock().expect("lock").clone()
}

#[tokio::test]
async fn the_webhook_gets_each_notice_signed_and_retried_until_accepted_once() {
    let (url, seen) = receiver(2).await;
    let t = webhook_app(&url, &[]).await;
    let (_, citizen) = t.citizen().await;
    let app = t.file(&citizen, "marriage-childbirth").await;
    t.approve_all(app["id"].as_str().expect("id")).await;
    let ids = notice_ids(&t, None).await;
    let n = ids.len();
    assert!(n >= 2, "{n} notices");

    // First attempt: the receiver fails; the notices stay pending with one attempt counted.
    assert_eq!(t.deliver().await, 0);
    assert_eq!(snapshot(&seen).len(), n);
    assert_eq!(notice_ids(&t, Some("pending")).await, ids);
    // Within the backoff (5 s after the first failure) nothing is tried again.
    t.clock.advance(chrono::Duration::seconds(4));
    assert_eq!(t.deliver().await, 0);
    assert_eq!(snapshot(&seen).len(), n, "not retried before the backoff");
    // After it, the second attempt fails too; the next wait is 10 s.
    t.clock.advance(chrono::Duration::seconds(2));
    assert_eq!(t.deliver().await, 0);
    assert_eq!(snapshot(&seen).len(), 2 * n);
    t.clock.advance(chrono::Duration::seconds(6));
    assert_eq!(t.deliver().await, 0);
    assert_eq!(snapshot(&seen).len(), 2 * n, "the backoff grew");
    // The third attempt is accepted.
    t.clock.advance(chrono::Duration::seconds(5));
    assert_eq!(t.deliver().await, n);
    assert_eq!(notice_ids(&t, Some("delivered")).await, ids);
    let attempts = t.strings("SELECT CAST(attempts AS TEXT) FROM notice").await;
    assert!(attempts.iter().all(|a| a == "3"), "attempts counted: {attempts:?}");
    // And never sent again.
    t.clock.advance(chrono::Duration::hours(2));
    assert_eq!(t.deliver().await, 0);

    let got = snapshot(&seen);
    assert_eq!(got.len(), 3 * n);
    let mut accepted: BTreeMap<String, usize> = BTreeMap::new();
    for r in &got {
        // The idempotency key names the notice in the body.
        let body: Value = serde_json::from_slice(&r.body).expect("a JSON body");
        let id = body["id"].as_str().expect("id");
        assert_eq!(r.key, format!("notice-{id}"));
        assert!(ids.contains(id), "{id}");
        assert_eq!(body["application"], app["id"]);
        assert!(body["text_zh"].is_string() && body["kind"].is_string(), "{body}");
        // The signature is an HMAC-SHA256 of the exact body with the shared secret.
        let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).expect("key");
        mac.update(&r.body);
        let want = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
        assert_eq!(r.signature, want, "signature of {id}");
        if r.answered == 200 {
            *accepted.entry(r.key.clone()).or_default() += 1;
        }
    }
    assert_eq!(accepted.len(), n, "every notice was accepted");
    assert!(accepted.values().all(|c| *c == 1), "and accepted once: {accepted:?}");

    // A wrong secret would not verify.
    let mut mac = Hmac::<Sha256>::new_from_slice(b"another-secret-0123456789").expect("key");
    mac.update(&got[0].body);
    assert_ne!(got[0].signature, format!("sha256={}", hex::encode(mac.finalize().into_bytes())));
    t.shutdown().await;
}

#[tokio::test]
async fn a_notice_that_keeps_failing_is_given_up_after_the_configured_attempts() {
    let (url, seen) = receiver(usize::MAX).await;
    let t = webhook_app(&url, &[("MINSHENG__NOTICES__MAX_ATTEMPTS", "2")]).await;
    let (_, citizen) = t.citizen().await;
    t.file(&citizen, "marriage-childbirth").await;
    let n = t.count("notice").await as usize;
    assert_eq!(t.deliver().await, 0);
    t.clock.advance(chrono::Duration::seconds(6));
    assert_eq!(t.deliver().await, 0);
    assert_eq!(notice_ids(&t, Some("failed")).await.len(), n, "given up after 2 attempts");
    t.clock.advance(chrono::Duration::hours(2));
    assert_eq!(t.deliver().await, 0);
    assert_eq!(snapshot(&seen).len(), 2 * n, "no third attempt");
    let admin = t.login("admin").await;
    let ov = t.get(&admin, "/api/reports/overview").await.body;
    assert_eq!(ov["notices"]["failed"], n as u64, "{ov}");
    t.shutdown().await;
}

/// The outbox worker delivers the notices the writer hands it as soon as they are durable,
/// without polling for them; a notice handed to a worker that went away is polled for once the
/// lease it was written with has run out, and not before.
async fn handed_over(db: Db) {
    let t = TestApp::spawn_with(db, |env| {
        log_at(env, "notices.jsonl");
        // An hour: any delivery within the test is the hand-over's, not a poll's.
        env.push(("MINSHENG__NOTICES__POLL_MILLIS".into(), "3600000".into()));
    })
    .await;
    let path = t.dir.path().join("notices.jsonl");
    let channel = server::background::Channel::open(&t.state.config.notice_channel).expect("channel");
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let worker = tokio::spawn(server::background::notifier(t.state.clone(), channel, stopped));
    // The worker asks for its feed before its first (immediate, empty) poll.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    story(&t).await;
    let rows = t.count("notice").await;
    assert!(rows >= 10, "the story wrote notices: {rows}");
    let waited = std::time::Instant::now();
    while !notice_ids(&t, Some("pending")).await.is_empty() {
        assert!(waited.elapsed() < std::time::Duration::from_secs(20), "the worker delivers what it is handed");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let lines = log_lines(&path);
    let ids: BTreeSet<String> = lines.iter().map(|l| l["id"].as_str().expect("id").to_owned()).collect();
    assert_eq!(lines.len(), ids.len(), "no notice is written twice");
    assert_eq!(ids, notice_ids(&t, None).await, "every notice is in the log");
    stop.send(true).expect("stop");
    worker.await.expect("worker");

    // A feed nobody reads: its notices are written leased, and polling leaves them alone until
    // the lease has run out.
    let feed = t.state.store.notices().notice_feed(chrono::Duration::seconds(15));
    let (_, citizen) = t.citizen().await;
    t.file(&citizen, "marriage-childbirth").await;
    drop(feed);
    let leased = t.count("notice").await - rows;
    assert!(leased > 0);
    assert_eq!(t.deliver().await, 0, "leased to the worker that was handed them");
    t.clock.advance(chrono::Duration::seconds(16));
    assert_eq!(t.deliver().await as i64, leased, "polled for once the lease ran out");
    assert!(notice_ids(&t, Some("pending")).await.is_empty());
    // Once no feed listens, notices are written for polling at once.
    t.file(&citizen, "birth").await;
    assert!(t.deliver().await > 0);
    assert_eq!(log_lines(&path).len() as i64, t.count("notice").await);
    t.shutdown().await;
}

#[tokio::test]
async fn the_worker_delivers_what_the_writer_hands_it_and_polls_for_lapsed_leases() {
    for db in backends() {
        handed_over(db).await;
    }
}
