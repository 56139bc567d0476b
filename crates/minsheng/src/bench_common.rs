//! What the HTTP benchmarks (`bench`, `bench-pool`) share: a light keep-alive HTTP/1.1 client
//! connection, the pacing of an open-loop run, the per-client tally of latencies and errors, and
//! the phase figures (throughput and latency percentiles) they report; and the scratch place each
//! runs in.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::bail;
use serde::{Deserialize, Serialize};

/// One phase's figures: requests answered as expected, errors, throughput, latency percentiles.
#[derive(Debug, Serialize)]
pub struct Phase {
    /// Requests per second offered in an open-loop run (`--rate`); none when every client sends
    /// its next request as soon as the last is answered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offered_per_second: Option<f64>,
    pub requests: usize,
    pub errors: usize,
    pub per_second: f64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    /// Each answered request: when it was due (µs since the phase began) and its latency (µs),
    /// in the order they were due (`--latencies`).
    #[serde(skip)]
    pub timeline: Vec<(u32, u32)>,
    /// When the phase began, by the clock the server's log is stamped with.
    #[serde(skip)]
    pub began: Option<chrono::DateTime<chrono::Utc>>,
}

/// One client's answers it expected (when each request was due, and its latency in µs), and its
/// errors.
#[derive(Debug, Default)]
pub struct Tally {
    pub answers: Vec<(Instant, u32)>,
    pub errors: usize,
}

impl Tally {
    /// Records an expected answer to a request sent at `sent`.
    pub fn ok(&mut self, sent: Instant) {
        self.answers.push((sent, micros(sent.elapsed())));
    }

    /// Records an error; the first two of each client are printed.
    pub fn error(&mut self, what: &str, detail: impl std::fmt::Display) {
        self.errors += 1;
        if self.errors < 3 {
            eprintln!("{what} failed: {detail}");
        }
    }

    /// Records the outcome of a request: the body when the status is one of `expect`, else an
    /// error.
    pub fn answer(&mut self, what: &str, sent: Instant, expect: &[u16], r: anyhow::Result<(u16, hyper::body::Bytes)>) -> Option<hyper::body::Bytes> {
        match r {
            Ok((status, bytes)) if expect.contains(&status) => {
                self.ok(sent);
                Some(bytes)
            }
            Ok((status, bytes)) => {
                self.error(what, format_args!("{status} {}", String::from_utf8_lossy(&bytes)));
                None
            }
            Err(e) => {
                self.error(what, e);
                None
            }
        }
    }
}

/// When one client sends its requests. Closed loop (no rate): at once, each as soon as the last is
/// answered — the way to find the most the server can do, where the latency is only the queue
/// the clients themselves make (clients ÷ throughput). Open loop (a rate shared by the clients):
/// on a fixed schedule, each client's slots spread evenly between the others', and a request's
/// latency counts from its slot, not from when it was sent, so that a slow answer that holds the
/// next request back is counted against the server ("coordinated omission").
pub struct Pacer {
    every: Option<Duration>,
    next: Instant,
}

impl Pacer {
    /// Client `i` of `clients` sharing `rate` requests per second from `start`.
    pub fn new(rate: Option<f64>, clients: usize, i: usize, start: Instant) -> Pacer {
        let every = rate.filter(|r| *r > 0.0).map(|r| Duration::from_secs_f64(clients.max(1) as f64 / r));
        let offset = every.map_or(Duration::ZERO, |e| e.mul_f64(i as f64 / clients.max(1) as f64));
        Pacer { every, next: start + offset }
    }

    /// Waits for the next slot before `deadline`; the instant the request's latency counts from,
    /// or none when the phase is over.
    pub async fn slot_before(&mut self, deadline: Instant) -> Option<Instant> {
        let t = self.slot().await;
        (t < deadline).then_some(t)
    }

    /// Waits for the next slot; the instant the request's latency counts from.
    async fn slot(&mut self) -> Instant {
        match self.every {
            None => Instant::now(),
            Some(every) => {
                let slot = self.next;
                self.next += every;
                tokio::time::sleep_until(slot.into()).await;
                slot
            }
        }
    }
}

/// The table header of a benchmark's phases.
pub fn print_header(width: usize) {
    println!(
        "{:<width$} {:>10} {:>10} {:>8} {:>10} {:>9} {:>9} {:>9}",
        "", "offered/s", "requests", "errors", "per second", "p50 ms", "p99 ms", "max ms"
    );
}

/// One phase's row in the table.
pub fn print_row(name: &str, width: usize, p: &Phase) {
    let offered = p.offered_per_second.map_or_else(|| "—".to_owned(), |r| format!("{r:.0}"));
    println!(
        "{name:<width$} {offered:>10} {:>10} {:>8} {:>10.0} {:>9.2} {:>9.2} {:>9.2}",
        p.requests, p.errors, p.per_second, p.p50_ms, p.p99_ms, p.max_ms
    );
}

/// Waits for every client of a phase and gives its figures.
pub async fn gather(tasks: Vec<tokio::task::JoinHandle<Tally>>, started: Instant, offered: Option<f64>) -> anyhow::Result<Phase> {
    let mut all = Vec::with_capacity(tasks.len());
    for t in tasks {
        all.push(t.await?);
    }
    Ok(summarise(all, started, offered))
}

/// The figures of a phase from its clients' tallies (`offered`: the open-loop rate, if any).
pub fn summarise(tallies: impl IntoIterator<Item = Tally>, started: Instant, offered: Option<f64>) -> Phase {
    let elapsed = started.elapsed();
    let (mut timeline, mut errors) = (Vec::new(), 0);
    for one in tallies {
        timeline.extend(one.answers.iter().map(|(sent, lat)| (micros(sent.saturating_duration_since(started)), *lat)));
        errors += one.errors;
    }
    timeline.sort_unstable();
    let lat = timeline.iter().map(|&(_, lat)| lat).collect();
    let began = chrono::Duration::from_std(elapsed).ok().map(|d| chrono::Utc::now() - d);
    Phase { timeline, began, ..phase(lat, errors, elapsed, offered) }
}

/// A duration in whole microseconds, saturating.
fn micros(d: Duration) -> u32 {
    u32::try_from(d.as_micros()).unwrap_or(u32::MAX)
}

/// Writes every answered request of `phases` as CSV (`phase,sent_utc,sent_ms,latency_ms`, by
/// when each was due; `sent_utc` stamped as the server's log lines are, so that the two sort
/// together): to see when the slow ones were sent, beside what the server was doing.
pub fn write_latencies(path: &std::path::Path, phases: &[(&str, &Phase)]) -> anyhow::Result<()> {
    use std::fmt::Write;
    let mut out = String::from("phase,sent_utc,sent_ms,latency_ms\n");
    for (name, p) in phases {
        for (sent, lat) in &p.timeline {
            let utc = p.began.map(|b| (b + chrono::Duration::microseconds(i64::from(*sent))).format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string());
            writeln!(out, "{name},{},{:.3},{:.3}", utc.unwrap_or_default(), f64::from(*sent) / 1000.0, f64::from(*lat) / 1000.0)?;
        }
    }
    std::fs::write(path, out).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}

fn phase(mut lat: Vec<u32>, errors: usize, elapsed: Duration, offered: Option<f64>) -> Phase {
    lat.sort_unstable();
    let pick = |q: f64| -> f64 {
        if lat.is_empty() {
            return 0.0;
        }
        let i = ((lat.len() as f64 - 1.0) * q).round() as usize;
        f64::from(lat[i.min(lat.len() - 1)]) / 1000.0
    };
    Phase {
        offered_per_second: offered,
        requests: lat.len(),
        errors,
        per_second: lat.len() as f64 / elapsed.as_secs_f64(),
        p50_ms: pick(0.50),
        p90_ms: pick(0.90),
        p99_ms: pick(0.99),
        max_ms: pick(1.0),
        timeline: Vec::new(),
        began: None,
    }
}

/// The machine's CPU model, for the report.
pub fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("model name")).map(|l| l.split(':').nth(1).unwrap_or("").trim().to_owned()))
        .unwrap_or_default()
}

#[derive(Debug, Deserialize)]
struct Token {
    token: String,
}

/// Signs a demo account in; its bearer token.
pub async fn login(client: &reqwest::Client, url: &str, login: &str) -> anyhow::Result<String> {
    let r = client
        .post(format!("{url}/api/auth/login"))
        .json(&serde_json::json!({ "login": login, "password": demo::seed::DEMO_PASSWORD }))
        .send()
        .await?;
    if !r.status().is_success() {
        bail!("login {login}: {}", r.text().await.unwrap_or_default());
    }
    Ok(r.json::<Token>().await?.token)
}

/// One keep-alive HTTP/1.1 connection driven directly with hyper: a lighter load generator than
/// a pooled client, so that more of the two cores go to the server being measured.
pub struct Conn {
    sender: hyper::client::conn::http1::SendRequest<http_body_util::Full<hyper::body::Bytes>>,
    host: String,
}

impl Conn {
    pub async fn open(addr: std::net::SocketAddr) -> anyhow::Result<Conn> {
        let stream = tokio::net::TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        let (sender, conn) = hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
        Ok(Conn { sender, host: addr.to_string() })
    }

    /// Sends one request (with a body of the given content type, and extra headers; signed in when
    /// `token` is not empty); the status and the whole body.
    pub async fn send(
        &mut self,
        method: &str,
        path: &str,
        token: &str,
        body: Option<(&'static str, String)>,
        headers: &[(&'static str, &str)],
    ) -> anyhow::Result<(u16, hyper::body::Bytes)> {
        use http_body_util::BodyExt;
        self.sender.ready().await?;
        let mut req = hyper::Request::builder().method(method).uri(path).header(hyper::header::HOST, &self.host);
        // No token: a caller with no credentials (an Open311 client application, a passer-by).
        if !token.is_empty() {
            req = req.header(hyper::header::AUTHORIZATION, format!("Bearer {token}"));
        }
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        let payload = match body {
            Some((ct, b)) => {
                req = req.header(hyper::header::CONTENT_TYPE, ct);
                hyper::body::Bytes::from(b)
            }
            None => hyper::body::Bytes::new(),
        };
        let resp = self.sender.send_request(req.body(http_body_util::Full::new(payload))?).await?;
        let status = resp.status().as_u16();
        let bytes = resp.into_body().collect().await?.to_bytes();
        Ok((status, bytes))
    }
}

/// Where a benchmark runs: a temporary data directory and either SQLite in it or a scratch
/// PostgreSQL database, both removed by [`Scratch::remove`].
pub struct Scratch {
    pub dir: PathBuf,
    postgres: Option<(String, String)>,
}

impl Scratch {
    /// Creates the place (`name` tells benchmarks apart) and the server's state on it: the
    /// configuration's pool size, the deadline scheduler idle (the benchmarks measure requests).
    pub async fn start(name: &str, database_url: Option<&str>, base: &server::Config) -> anyhow::Result<(Scratch, server::AppState)> {
        Scratch::start_with(name, database_url, base, Vec::new()).await
    }

    /// [`Scratch::start`] with more settings (`MINSHENG__…` names and values) for the server.
    pub async fn start_with(name: &str, database_url: Option<&str>, base: &server::Config, settings: Vec<(String, String)>) -> anyhow::Result<(Scratch, server::AppState)> {
        let dir = std::env::temp_dir().join(format!("minsheng-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        let (db_url, postgres) = match database_url {
            Some(url) if url.starts_with("postgres") => {
                let db = format!("minsheng_{}_{}", name.replace('-', "_"), std::process::id());
                (store::create_scratch_database(url, &db).await?, Some((url.to_owned(), db)))
            }
            Some(url) => (url.to_owned(), None),
            None => (format!("sqlite://{}", dir.join("bench.db").display()), None),
        };
        // Settings from the environment (MINSHENG__NOTICES__BATCH=…) apply, except where the
        // scratch place must be.
        let mut env: Vec<(String, String)> = std::env::vars().filter(|(k, _)| k.starts_with("MINSHENG__")).collect();
        env.extend([
            ("MINSHENG__DATA_DIR".to_owned(), dir.display().to_string()),
            ("MINSHENG__DATABASE__URL".to_owned(), db_url),
            ("MINSHENG__LISTEN".to_owned(), "127.0.0.1:0".to_owned()),
            ("MINSHENG__DEADLINES__TICK_SECONDS".to_owned(), "3600".to_owned()),
        ]);
        env.extend(settings);
        let mut config = server::Config::load(None, env)?;
        config.max_connections = base.max_connections;
        let state = server::build_state(config, Arc::new(domain::SystemClock)).await?;
        Ok((Scratch { dir, postgres }, state))
    }

    /// Drops the scratch database and the directory.
    pub async fn remove(self) -> anyhow::Result<()> {
        if let Some((url, name)) = &self.postgres {
            store::drop_scratch_database(url, name).await?;
        }
        let _ = std::fs::remove_dir_all(&self.dir);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_open_loop_client_keeps_its_own_schedule_however_late_the_answers() {
        // 4 clients sharing 100 requests/s: each every 40 ms, client 1 a quarter of that after 0.
        let start = Instant::now() - Duration::from_secs(1);
        let mut p = Pacer::new(Some(100.0), 4, 1, start);
        let slots = [p.slot().await, p.slot().await, p.slot().await];
        assert_eq!(slots[0], start + Duration::from_millis(10));
        assert_eq!(slots[1], start + Duration::from_millis(50));
        assert_eq!(slots[2], start + Duration::from_millis(90), "a late client does not shift its slots");
        // Closed loop: now.
        let mut closed = Pacer::new(None, 4, 1, start);
        assert!(closed.slot().await >= start + Duration::from_secs(1));
    }

    #[test]
    fn the_latencies_file_lists_each_answer_by_when_it_was_due() {
        let start = Instant::now();
        let at = |ms| start + Duration::from_millis(ms);
        let a = Tally { answers: vec![(at(30), 2_500), (at(10), 40_000)], errors: 1 };
        let b = Tally { answers: vec![(at(20), 1_000)], errors: 0 };
        let mut p = summarise([a, b], start, None);
        assert_eq!((p.requests, p.errors), (3, 1));
        assert_eq!(p.timeline, vec![(10_000, 40_000), (20_000, 1_000), (30_000, 2_500)]);
        let began = p.began.expect("the phase's start by the wall clock");
        assert!((chrono::Utc::now() - began).num_seconds() < 60, "{began}");
        p.began = Some(chrono::DateTime::parse_from_rfc3339("2026-11-24T04:00:00Z").unwrap().to_utc());
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("lat.csv");
        write_latencies(&file, &[("actions", &p)]).unwrap();
        let text = std::fs::read_to_string(&file).unwrap();
        assert_eq!(
            text,
            "phase,sent_utc,sent_ms,latency_ms\n\
             actions,2026-11-24T04:00:00.010000Z,10.000,40.000\n\
             actions,2026-11-24T04:00:00.020000Z,20.000,1.000\n\
             actions,2026-11-24T04:00:00.030000Z,30.000,2.500\n"
        );
    }
}
