//! Faults of the real binary (issue 29): a thousand idle connections at a 1,024-file limit, a
//! client that sends its headers a byte at a time, one that stops halfway through its body, and
//! a disk that fills up under the server and frees again. Limits are set on the running process
//! with `prlimit` (util-linux).

use std::process::Command;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::crash::{filing, login};
use crate::helpers::{DemoServer, run_in, sqlite_url};

/// A guard against hanging, not a performance assertion.
const PATIENCE: Duration = Duration::from_secs(180);

/// Sets a resource limit of the running process `pid`, e.g. `--nofile=1024:1024` (soft:hard;
/// `--fsize=1:` sets the soft limit only, which the test may raise again).
pub(crate) fn prlimit(pid: u32, setting: &str) {
    let s = Command::new("prlimit").args(["--pid", &pid.to_string(), setting]).status().expect("prlimit (util-linux) runs");
    assert!(s.success(), "prlimit {setting}: {s}");
}

/// Reads until the server closes the connection (at most `PATIENCE`); what it sent.
async fn until_closed(s: &mut (impl AsyncReadExt + Unpin)) -> String {
    let mut out = Vec::new();
    let r = tokio::time::timeout(PATIENCE, s.read_to_end(&mut out)).await;
    assert!(r.is_ok(), "the server never closed the connection; it sent: {}", String::from_utf8_lossy(&out));
    String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_slow_and_half_sent_connections_do_not_hold_the_server() {
    let dir = tempfile::tempdir().expect("tempdir");
    let env = [
        ("MINSHENG__LIMITS__HEADER_TIMEOUT_SECONDS", "2"),
        ("MINSHENG__LIMITS__BODY_TIMEOUT_SECONDS", "2"),
        ("MINSHENG__LIMITS__IDLE_TIMEOUT_SECONDS", "3"),
    ];
    let mut s = DemoServer::start(&dir.path().join("data"), dir.path(), "conn", &env);
    // The common limit the outside test ran into: ~1,000 idle connections used up its files.
    prlimit(s.child.id(), "--nofile=1024:1024");
    let http = reqwest::Client::builder().timeout(Duration::from_secs(30)).build().expect("client");
    s.ready(&http, PATIENCE).await;
    let addr = s.url.trim_start_matches("http://").to_owned();

    let mut idle = Vec::new();
    for _ in 0..1000 {
        idle.push(TcpStream::connect(&addr).await.expect("connect"));
    }
    // The health probe answers beside them (it timed out for over a minute). A probe opens a
    // connection of its own: the client's kept-alive one from before was idle longest, and the
    // server may have closed it to make room.
    let probe = reqwest::Client::builder().timeout(Duration::from_secs(30)).pool_max_idle_per_host(0).build().expect("client");
    let r = probe.get(format!("{}/healthz", s.url)).send().await.unwrap_or_else(|e| panic!("the probe beside 1,000 idle connections: {e}\n{}", s.output()));
    assert_eq!(r.status(), StatusCode::OK);
    // A client that sends its headers a line every half second never finishes them: cut off.
    let mut slow = TcpStream::connect(&addr).await.expect("connect");
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: minsheng\r\n").await.expect("write");
    let (mut slow_r, mut slow_w) = slow.into_split();
    let trickle = tokio::spawn(async move {
        for _ in 0..600 {
            tokio::time::sleep(Duration::from_millis(500)).await;
            if slow_w.write_all(b"X-Slow: 1\r\n").await.is_err() {
                return;
            }
        }
    });
    let started = Instant::now();
    let said = until_closed(&mut slow_r).await;
    assert!(!said.contains("200 OK"), "a request whose headers never ended was answered: {said}");
    trickle.abort();
    // A client that stops halfway through its body is answered 408 and cut off.
    let mut half = TcpStream::connect(&addr).await.expect("connect");
    half.write_all(b"POST /api/auth/login HTTP/1.1\r\nHost: minsheng\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"login\":").await.expect("write");
    let said = until_closed(&mut half).await;
    assert!(said.starts_with("HTTP/1.1 408") && said.contains("body_timeout"), "{said}");
    // And the idle ones are closed by now (the header timeout covers a connection that never
    // sends a request; the idle timeout one that stops sending them).
    for c in idle.iter_mut().take(20) {
        until_closed(c).await;
    }
    eprintln!("slow and idle connections were cut off within {:?}", started.elapsed());
    let r = probe.get(format!("{}/readyz", s.url)).send().await.expect("ready");
    assert_eq!(r.status(), StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_disk_answers_503_and_the_server_recovers_by_itself() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let mut s = DemoServer::start(&data, dir.path(), "full", &[("MINSHENG__NOTICES__POLL_MILLIS", "200")]);
    let http = reqwest::Client::builder().timeout(Duration::from_secs(30)).build().expect("client");
    let logins = s.ready(&http, PATIENCE).await;
    let resident = logins.into_iter().find(|(_, who)| who.contains("居民")).map(|(l, _)| l).expect("a resident");
    let token = login(&http, &s.url, &resident).await;
    let body = filing(&http, &s.url, &token).await;
    let file = |key: &str| http.post(format!("{}/api/applications", s.url)).bearer_auth(&token).header("idempotency-key", key).json(&body).send();
    assert_eq!(file("before").await.expect("file").status(), StatusCode::CREATED);

    // The disk fills up: nothing more can be written to any file.
    prlimit(s.child.id(), "--fsize=1:");
    let r = file("during").await.expect("an answer, not a dropped connection");
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE, "{}", s.output());
    assert!(r.headers().contains_key("retry-after"));
    let v: Value = r.json().await.expect("json");
    assert_eq!(v["code"], "storage_unavailable", "{v}");
    assert!(v["message"].as_str().is_some_and(|m| m.contains("稍后再试")) && v["message_en"].as_str().is_some_and(|m| m.contains("nothing was changed")), "{v}");
    let upload = http.post(format!("{}/api/uploads?name=x", s.url)).bearer_auth(&token).header("content-type", "application/pdf").body("%PDF-1.4 full").send().await.expect("upload");
    assert_eq!(upload.status(), StatusCode::SERVICE_UNAVAILABLE, "an upload on a full disk");
    let h = http.get(format!("{}/healthz", s.url)).send().await.expect("health");
    assert_eq!(h.status(), StatusCode::SERVICE_UNAVAILABLE, "/healthz no longer says ok");
    let h: Value = h.json().await.expect("json");
    assert_eq!(h["status"], "storage_unavailable", "{h}");
    assert_eq!(http.get(format!("{}/readyz", s.url)).send().await.expect("ready").status(), StatusCode::SERVICE_UNAVAILABLE);
    // Reads still work.
    let mine = http.get(format!("{}/api/applications", s.url)).bearer_auth(&token).send().await.expect("list");
    assert_eq!(mine.status(), StatusCode::OK);

    // Space returns: the server finds out by itself (its probe), and the same request succeeds.
    prlimit(s.child.id(), "--fsize=unlimited:");
    let t0 = Instant::now();
    loop {
        if http.get(format!("{}/readyz", s.url)).send().await.is_ok_and(|r| r.status() == StatusCode::OK) {
            break;
        }
        assert!(t0.elapsed() < PATIENCE, "ready again once space returned\n{}", s.output());
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let r = file("during").await.expect("file");
    assert_eq!(r.status(), StatusCode::CREATED, "the request refused on the full disk succeeds now");
    let during: Value = r.json().await.expect("json");
    let id = during["id"].as_str().expect("id").to_owned();

    // Its notices reach the notice log: whole lines only, each notice once.
    let log = data.join("notices.log");
    let t0 = Instant::now();
    loop {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        if text.contains(&id) {
            let mut ids = Vec::new();
            for line in text.lines() {
                let v: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("a whole line: {e}: {line}"));
                ids.push(v["id"].as_str().expect("id").to_owned());
            }
            let n = ids.len();
            ids.sort();
            ids.dedup();
            assert_eq!(ids.len(), n, "every notice once");
            break;
        }
        assert!(t0.elapsed() < PATIENCE, "the notices of {id} were delivered\n{}", s.output());
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    s.child.kill().expect("kill");
    s.child.wait().expect("reap");
    let r = run_in(dir.path(), &["verify-history", "--database-url", &sqlite_url(&data.join("minsheng.db"))]);
    r.expect_code(0, "verify-history after the full disk");
}
