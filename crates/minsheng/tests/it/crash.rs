//! Crash safety of the real binary: `minsheng demo` serves on a free port while several clients
//! file applications; it is killed with SIGKILL mid-stream, three times at different moments, and
//! restarted on the same data directory. Every acknowledged application must survive with its
//! notices, a request retried with its Idempotency-Key after the crash must not file twice, the
//! history must verify, and the notice log must hold each notice exactly once.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::Row;

use crate::helpers::{DemoServer, open_sqlite, run_in, sample, sqlite_url};

/// How long a server may take to come up, or the notices to drain, before the test gives up
/// (a guard against hanging, not a performance assertion).
const PATIENCE: Duration = Duration::from_secs(180);

const WORKERS: usize = 4;

/// A running `minsheng demo`, killed when dropped.
struct Server(DemoServer);

impl Server {
    fn start(data: &Path, logs: &Path, n: usize) -> Server {
        Server(DemoServer::start(data, logs, &n.to_string(), &[]))
    }

    fn output(&self) -> String {
        self.0.output()
    }

    /// Waits until it answers /healthz and has printed its demo log-ins; returns the resident's.
    async fn ready(&mut self, http: &reqwest::Client) -> String {
        let logins = self.0.ready(http, PATIENCE).await;
        logins.into_iter().find(|(_, who)| who.contains("居民")).map(|(l, _)| l).unwrap_or_else(|| panic!("a resident's log-in\n{}", self.output()))
    }

    /// SIGKILL, as a power cut would.
    fn kill(&mut self) {
        self.0.child.kill().expect("kill -9");
        self.0.child.wait().expect("reap");
    }
}

pub(crate) async fn login(http: &reqwest::Client, url: &str, login: &str) -> String {
    let r = http.post(format!("{url}/api/auth/login")).json(&json!({ "login": login, "password": "demo1234" })).send().await.expect("login");
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.expect("json");
    v["token"].as_str().expect("token").to_owned()
}

/// A complete birth filing: the uploads the plan asks for and a filled-in form.
pub(crate) async fn filing(http: &reqwest::Client, url: &str, token: &str) -> Value {
    let plan: Value = http.get(format!("{url}/api/plan?bundle=birth")).bearer_auth(token).send().await.expect("plan").json().await.expect("json");
    let mut materials = BTreeMap::new();
    for m in plan["materials"].as_array().unwrap_or_else(|| panic!("a plan: {plan}")) {
        if m["status"] == "to_upload" {
            let code = m["code"].as_str().expect("code");
            let r = http
                .post(format!("{url}/api/uploads?name={code}"))
                .bearer_auth(token)
                .header("content-type", "application/pdf")
                .body(format!("%PDF-1.4 {code}"))
                .send()
                .await
                .expect("upload");
            assert_eq!(r.status(), StatusCode::CREATED);
            let v: Value = r.json().await.expect("json");
            materials.insert(code.to_owned(), v["id"].as_str().expect("id").to_owned());
        }
    }
    let mut form = BTreeMap::new();
    for f in plan["fields"].as_array().expect("fields") {
        if f["required"] == true && f["prefilled"].is_null() {
            form.insert(f["key"].as_str().expect("key").to_owned(), sample(f));
        }
    }
    json!({ "bundle": "birth", "form": form, "materials": materials })
}

#[derive(Default)]
pub(crate) struct Ledger {
    /// Applications the server acknowledged with 201: (idempotency key, id).
    pub(crate) acked: Vec<(String, String)>,
    /// Idempotency keys of requests whose outcome the crash hid.
    pub(crate) unsure: Vec<String>,
    /// Anything else a live server answered.
    pub(crate) problems: Vec<String>,
}

/// Files applications from `WORKERS` tasks until the server goes away.
fn spawn_clients(http: &reqwest::Client, url: &str, token: &str, body: &Value, round: usize, ledger: &Arc<Mutex<Ledger>>) -> Vec<tokio::task::JoinHandle<()>> {
    (0..WORKERS)
        .map(|w| {
            let (http, url, token, body, ledger) = (http.clone(), url.to_owned(), token.to_owned(), body.clone(), ledger.clone());
            tokio::spawn(async move {
                for n in 0.. {
                    let key = format!("crash-{round}-{w}-{n}");
                    if !file_once(&http, &url, &token, &body, key, &ledger).await {
                        return;
                    }
                }
            })
        })
        .collect()
}

/// Files `body` once with idempotency key `key` and notes the outcome in `ledger`: acknowledged,
/// refused by a live server (a problem), or hidden by the server's going away (unsure). Whether
/// the client may go on (only after an acknowledgement).
pub(crate) async fn file_once(http: &reqwest::Client, url: &str, token: &str, body: &Value, key: String, ledger: &Mutex<Ledger>) -> bool {
    let sent = http.post(format!("{url}/api/applications")).bearer_auth(token).header("idempotency-key", &key).json(body).send().await;
    let outcome = match sent {
        Ok(r) if r.status() == StatusCode::CREATED => r.json::<Value>().await.map_err(|_| ()).map(|v| Ok(v["id"].as_str().unwrap_or("").to_owned())),
        Ok(r) => {
            let status = r.status();
            Ok(Err(format!("{key}: {status} {}", r.text().await.unwrap_or_default())))
        }
        Err(_) => Err(()),
    };
    let mut l = ledger.lock().expect("lock");
    match outcome {
        Ok(Ok(id)) => {
            l.acked.push((key, id));
            true
        }
        Ok(Err(problem)) => {
            l.problems.push(problem);
            false
        }
        Err(()) => {
            l.unsure.push(key);
            false
        }
    }
}

async fn count(db: &Path, sql: &str) -> i64 {
    let pool = open_sqlite(db, true).await;
    let n: i64 = sqlx::query(sqlx::AssertSqlSafe(sql.to_owned())).fetch_one(&pool).await.expect("count").get(0);
    pool.close().await;
    n
}

async fn ids(db: &Path, sql: &str) -> Vec<i64> {
    let pool = open_sqlite(db, true).await;
    let rows = sqlx::query(sqlx::AssertSqlSafe(sql.to_owned())).fetch_all(&pool).await.expect("ids");
    pool.close().await;
    rows.iter().map(|r| r.get::<i64, _>(0)).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn acknowledged_work_survives_kill_9_and_notices_are_sent_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("demo");
    let db = data.join("minsheng.db");
    let http = reqwest::Client::builder().timeout(Duration::from_secs(30)).build().expect("client");
    let ledger = Arc::new(Mutex::new(Ledger::default()));
    // Every application we know to exist: acknowledged, or resolved by a retry after the crash.
    let mut known: BTreeSet<String> = BTreeSet::new();
    let mut resident = String::new();

    // Kill when this many applications have been acknowledged in all: right after the start, a
    // little later, and well into the stream.
    for (round, kill_at) in [3usize, 30, 120].into_iter().enumerate() {
        let mut server = Server::start(&data, dir.path(), round);
        resident = server.ready(&http).await;
        let token = login(&http, &server.0.url, &resident).await;
        check_survivors(&http, &server.0.url, &token, &db, &ledger, &mut known, &resident).await;
        let body = filing(&http, &server.0.url, &token).await;
        let clients = spawn_clients(&http, &server.0.url, &token, &body, round, &ledger);
        let started = Instant::now();
        while ledger.lock().expect("lock").acked.len() < kill_at {
            assert!(started.elapsed() < PATIENCE, "only {} applications filed\n{}", ledger.lock().expect("lock").acked.len(), server.output());
            assert!(clients.iter().any(|c| !c.is_finished()), "the clients stopped: {:?}", ledger.lock().expect("lock").problems);
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        server.kill();
        let log = std::fs::metadata(data.join("notices.log")).map(|m| m.len()).unwrap_or(0);
        eprintln!("round {round}: killed after {} acknowledged, notice log {log} bytes", ledger.lock().expect("lock").acked.len());
        for c in clients {
            c.await.expect("client task");
        }
        let problems = ledger.lock().expect("lock").problems.clone();
        assert!(problems.is_empty(), "the live server refused filings: {problems:?}");
        let (unsure, last_acked) = {
            let mut l = ledger.lock().expect("lock");
            (std::mem::take(&mut l.unsure), l.acked.last().cloned().expect("something was acknowledged"))
        };
        let mut server = Server::start(&data, dir.path(), 10 + round);
        server.ready(&http).await;
        let token = login(&http, &server.0.url, &resident).await;
        let resend = |key: String| {
            let (http, url, token, body) = (http.clone(), server.0.url.clone(), token.clone(), body.clone());
            async move {
                let r = http.post(format!("{url}/api/applications")).bearer_auth(&token).header("idempotency-key", &key).json(&body).send().await.expect("retry");
                let (status, replayed) = (r.status(), r.headers().contains_key("idempotent-replayed"));
                let v: Value = r.json().await.expect("json");
                eprintln!("round {round}: resent {key}: {status}");
                (status, replayed, v["id"].as_str().unwrap_or_else(|| panic!("{key}: {status} {v}")).to_owned())
            }
        };
        // A request acknowledged before the crash, sent again with its key, is the same one.
        let (status, replayed, id) = resend(last_acked.0.clone()).await;
        assert_eq!((status, replayed, id), (StatusCode::OK, true, last_acked.1.clone()), "the idempotency key survived the crash");
        // Retry what the crash left unsure with the same keys: filed now, or found filed.
        for key in unsure {
            let (status, replayed, id) = resend(key.clone()).await;
            assert!(status == StatusCode::CREATED || (status == StatusCode::OK && replayed), "retry {key}: {status}");
            known.insert(id);
        }
        check_survivors(&http, &server.0.url, &token, &db, &ledger, &mut known, &resident).await;
        drop(server);
    }

    // A last start: the notice worker drains the outbox, each notice once.
    let mut server = Server::start(&data, dir.path(), 99);
    server.ready(&http).await;
    let token = login(&http, &server.0.url, &resident).await;
    check_survivors(&http, &server.0.url, &token, &db, &ledger, &mut known, &resident).await;
    let started = Instant::now();
    // Notices leased by a killed worker come back when the lease ends (a minute).
    while count(&db, "SELECT COUNT(*) FROM notice WHERE status = 'pending'").await > 0 {
        assert!(started.elapsed() < PATIENCE, "notices still pending\n{}", server.output());
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert_eq!(count(&db, "SELECT COUNT(*) FROM notice WHERE status = 'failed'").await, 0);
    eprintln!("drained after {:?}: {} applications, {} notices", started.elapsed(), known.len(), count(&db, "SELECT COUNT(*) FROM notice").await);
    server.kill();

    let log = std::fs::read_to_string(data.join("notices.log")).expect("the notice log");
    let mut written: BTreeMap<i64, usize> = BTreeMap::new();
    for line in log.lines() {
        let v: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("a whole JSON line: {e}: {line:?}"));
        let id: i64 = v["id"].as_str().and_then(|s| s.parse().ok()).expect("an id");
        *written.entry(id).or_default() += 1;
    }
    let twice: Vec<(&i64, &usize)> = written.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "notices written more than once: {twice:?}");
    let delivered: BTreeSet<i64> = ids(&db, "SELECT id FROM notice WHERE status = 'delivered'").await.into_iter().collect();
    let logged: BTreeSet<i64> = written.keys().copied().collect();
    assert_eq!(logged, delivered, "the log holds exactly the delivered notices");
    assert!(delivered.len() >= known.len(), "at least a receipt per application");

    let r = run_in(dir.path(), &["verify-history", "--database-url", &sqlite_url(&db)]);
    r.expect_code(0, "verify-history after three crashes");
}

/// Every application known so far exists with its target, its applicant and its receipt notice,
/// and nothing else was filed.
async fn check_survivors(
    http: &reqwest::Client,
    url: &str,
    token: &str,
    db: &Path,
    ledger: &Arc<Mutex<Ledger>>,
    known: &mut BTreeSet<String>,
    resident: &str,
) {
    known.extend(ledger.lock().expect("lock").acked.iter().map(|(_, id)| id.clone()));
    for id in known.iter() {
        let r = http.get(format!("{url}/api/applications/{id}")).bearer_auth(token).send().await.expect("get");
        assert_eq!(r.status(), StatusCode::OK, "acknowledged application {id} is lost");
        let v: Value = r.json().await.expect("json");
        assert_eq!(v["target"]["code"], "birth", "{id}");
        assert_eq!(v["applicant"]["key"], resident, "{id}");
    }
    let in_db: BTreeSet<String> = ids(db, "SELECT id FROM application WHERE target_code = 'birth'").await.into_iter().map(|i| i.to_string()).collect();
    assert_eq!(&in_db, known, "the database holds exactly the applications the clients know of");
    let with_receipt = count(db, "SELECT COUNT(DISTINCT n.application_id) FROM notice n JOIN application a ON a.id = n.application_id WHERE n.kind = 'submitted' AND a.target_code = 'birth'").await;
    assert_eq!(with_receipt as usize, known.len(), "each application's receipt notice was written with it");
}
