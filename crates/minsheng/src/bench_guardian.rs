//! `minsheng bench guardian`: the elderly safety guardian under a district's load — 100,000
//! simulated devices (about 15,000 homes) reporting through a real MQTT broker at QoS 1 to one
//! or two minsheng servers on one database, with SOS presses spread over the run — and the
//! figures issue 30 asks for: readings taken per second (committed, then acknowledged), the time
//! from an SOS's publish to its alarm pushed on the console's live feed (server-sent events),
//! and the memory a device costs a server.
//!
//! The broker is by default a private Mosquitto the benchmark starts with the production files
//! the telemetry crate writes (passwords, ACLs, persistence), or the embedded broker (one server).
//! Devices are played by a few load-generator connections, each allowed every device topic (the
//! simulator ACL): a machine cannot hold 100,000 TCP connections and serve them too.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::Mutex;
use std::time::Duration;
use std::time::Instant;

use anyhow::Context;
use anyhow::bail;
use chrono::DateTime;
use chrono::Utc;
use domain::AccountId;
use serde::Serialize;
use server::Config;
use server::state::AppState;

use crate::bench_common::Scratch;
use crate::bench_common::cpu_model;
use crate::bench_common::login;

/// The benchmark's options.
#[derive(Debug, Clone, clap::Args)]
pub struct BenchGuardianArgs {
    /// Devices (about 6.5 a home).
    #[arg(long, default_value_t = 100_000)]
    pub devices: u32,
    /// Each device reports every this many seconds (100,000 devices every 2 s offer 50,000
    /// readings a second).
    #[arg(long, default_value_t = 2)]
    pub interval: u32,
    /// Seconds the devices report.
    #[arg(long, default_value_t = 30)]
    pub seconds: u64,
    /// SOS presses a second (each by another elder), whose alarms are timed.
    #[arg(long, default_value_t = 20)]
    pub sos_per_second: u32,
    /// minsheng servers on the one database, splitting the readings through a shared
    /// subscription (two need `--broker mosquitto`).
    #[arg(long, default_value_t = 1)]
    pub servers: usize,
    /// `mosquitto` (a private Mosquitto with authentication, ACLs and persistence, started by
    /// the benchmark) or `embedded` (the broker inside the server).
    #[arg(long, default_value = "mosquitto")]
    pub broker: String,
    /// Load-generator connections.
    #[arg(long, default_value_t = 4)]
    pub publishers: usize,
    /// Messages each connection may have awaiting their PUBACK.
    #[arg(long, default_value_t = 1000)]
    pub inflight: u16,
    /// A PostgreSQL URL to run on a scratch database there (default: a scratch SQLite file).
    #[arg(long)]
    pub database_url: Option<String>,
    /// Also write the figures as JSON to this file.
    #[arg(long)]
    pub json: Option<PathBuf>,
}

#[derive(Debug, Serialize)]
struct Figures {
    backend: String,
    broker: String,
    servers: usize,
    cpus: usize,
    cpu_model: String,
    devices: usize,
    homes: usize,
    interval_s: u32,
    seconds: u64,
    offered_per_second: f64,
    published: u64,
    acknowledged: u64,
    taken: u64,
    /// Readings taken a second, each second of the run: the median, the lowest.
    taken_per_second_median: f64,
    taken_per_second_min: f64,
    /// From the first publish to the last reading taken.
    taken_per_second_overall: f64,
    /// How long after the last publish the servers had taken every reading.
    drain_seconds: f64,
    puback_p50_ms: f64,
    puback_p99_ms: f64,
    sos_sent: usize,
    sos_alarms: usize,
    alarm_p50_ms: f64,
    alarm_p90_ms: f64,
    alarm_p99_ms: f64,
    alarm_max_ms: f64,
    monitor_bytes_per_device: f64,
    /// The server's resident memory grown by loading the devices, a device.
    rss_load_bytes_per_device: f64,
    /// … and by the end of the run (caches of the database, buffers), a device and server.
    rss_end_bytes_per_device: f64,
    peak_rss_mib: f64,
}

fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// A Mosquitto on a free loopback port from the telemetry crate's production files: the servers'
/// account, one load-generator account per connection.
fn private_mosquitto(dir: &std::path::Path, publishers: usize) -> anyhow::Result<(String, telemetry::mosquitto::LocalBroker, telemetry::Credentials, Vec<telemetry::Credentials>)> {
    use telemetry::mosquitto::Acl;
    use telemetry::mosquitto::PasswordFile;
    let dir = dir.join("mosquitto");
    std::fs::create_dir_all(&dir)?;
    let mut passwords = PasswordFile::new();
    let mut acl = Acl::new();
    let server_password = telemetry::mosquitto::generate_password();
    passwords.add("minsheng-servers", &server_password)?;
    acl.server("minsheng-servers")?;
    let mut generators = Vec::new();
    for c in 0..publishers {
        let user = format!("bench-load-{c}");
        let password = telemetry::mosquitto::generate_password();
        passwords.add(&user, &password)?;
        acl.simulator(&user)?;
        generators.push(telemetry::Credentials::new(user, password));
    }
    let pw = dir.join("passwords");
    let acl_path = dir.join("acl");
    passwords.write(&pw)?;
    acl.write(&acl_path)?;
    let broker = telemetry::mosquitto::LocalBroker::start(&dir, &pw, &acl_path).context("mosquitto (Debian's package mosquitto) could not be started")?;
    Ok((broker.url(), broker, telemetry::Credentials::new("minsheng-servers", server_password), generators))
}

fn rss_bytes() -> u64 {
    circles::bench::rss_bytes().unwrap_or(0)
}

fn percentile(sorted: &[f64], p: usize) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[(sorted.len() * p / 100).min(sorted.len() - 1)]
}

/// One second's messages for one load generator: (topic, payload, the device if it is an SOS).
type Slice = Vec<(String, Vec<u8>, Option<u64>)>;

/// Enrols the simulation's homes and devices straight into the store (as a bulk load would).
async fn enrol(state: &AppState, sim: &guardian::Simulation, now: DateTime<Utc>) -> anyhow::Result<()> {
    let elders: Vec<store::GuardianElderRow> = sim
        .elders()
        .iter()
        .map(|e| store::GuardianElderRow {
            id: i64::try_from(e.id.0).unwrap_or(0),
            person_key: format!("BENCH{:012}", e.id.0),
            name: format!("长者{}", e.id.0),
            division: demo::seed_guardian::PILOT.to_owned(),
            household: 0,
            basis: "living_alone".into(),
            address: format!("富春街道 {} 号", e.id.0),
            home_e6: e.home.map(|(a, b)| ((a * 1e6).round() as i64, (b * 1e6).round() as i64)),
            contacts: "[]".into(),
            overrides: "{}".into(),
            consent_on: domain::china_date(now).to_string(),
            status: "guarded".into(),
            enrolled_by: 0,
            enrolled_at: now,
            withdrawn_at: None,
            withdrawn_reason: None,
            version: 1,
        })
        .collect();
    for chunk in elders.chunks(2000) {
        state.store.guardian().insert_elders(chunk).await?;
    }
    let devices: Vec<store::GuardianDeviceRow> = sim
        .devices()
        .into_iter()
        .map(|d| store::GuardianDeviceRow {
            // The devices never sign in themselves: the load generators publish for them.
            secret_hash: String::new(),
            id: d.id,
            elder: i64::try_from(d.elder.0).unwrap_or(0),
            kind: d.kind.code().to_owned(),
            room: d.room,
            status: "active".into(),
            installed_at: now,
        })
        .collect();
    for chunk in devices.chunks(5000) {
        state.store.guardian().insert_devices(chunk).await?;
    }
    Ok(())
}

/// Listens to a server's live alarm feed and notes when each SOS alarm (by elder) arrived.
async fn listen(url: String, token: String, arrived: Arc<Mutex<HashMap<u64, Instant>>>, ready: tokio::sync::oneshot::Sender<()>) -> anyhow::Result<()> {
    let client = reqwest::Client::new();
    let mut resp = client.get(format!("{url}/api/guardian/alarms/live")).bearer_auth(token).send().await?;
    if !resp.status().is_success() {
        bail!("the live feed answered {}", resp.status());
    }
    let _ = ready.send(());
    let mut buf = String::new();
    while let Some(chunk) = resp.chunk().await? {
        let at = Instant::now();
        buf.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = buf.find("\n\n") {
            let event: String = buf.drain(..end + 2).collect();
            for line in event.lines() {
                let Some(data) = line.strip_prefix("data:") else { continue };
                let Ok(v) = serde_json::from_str::<serde_json::Value>(data.trim()) else { continue };
                if v["kind"] == "sos" {
                    if let Some(elder) = v["elder"].as_str().and_then(|e| e.parse::<u64>().ok()) {
                        arrived.lock().unwrap_or_else(std::sync::PoisonError::into_inner).entry(elder).or_insert(at);
                    }
                }
            }
        }
    }
    Ok(())
}

/// `minsheng bench guardian`.
pub async fn run(args: &BenchGuardianArgs, base: Config) -> anyhow::Result<ExitCode> {
    if args.servers == 0 || args.publishers == 0 || args.devices == 0 || args.interval == 0 {
        bail!("--servers, --publishers, --devices and --interval must be at least 1");
    }
    let embedded = match args.broker.as_str() {
        "mosquitto" => false,
        "embedded" if args.servers == 1 => true,
        "embedded" => bail!("the embedded broker serves one server (rumqttd's shared subscriptions are not safe): use --broker mosquitto for --servers {}", args.servers),
        other => bail!("--broker {other}: must be mosquitto or embedded"),
    };
    let now = Utc::now();
    let homes = guardian::SimConfig::elders_for_devices(args.devices);
    let sos_count = usize::try_from(u64::from(args.sos_per_second) * args.seconds.saturating_sub(4)).unwrap_or(0).min(homes as usize);
    // The run starts on a whole second a little ahead; the SOS presses are spread from its 3rd second.
    let t0 = DateTime::from_timestamp(now.timestamp() + 8, 0).context("clock")?;
    let incidents: Vec<guardian::Incident> = (0..sos_count)
        .map(|i| guardian::Incident {
            elder: u32::try_from(i * homes as usize / sos_count.max(1)).unwrap_or(0),
            kind: guardian::IncidentKind::Sos,
            at: t0 + chrono::Duration::milliseconds(3000 + (i as i64 * 1000) / i64::from(args.sos_per_second.max(1))),
        })
        .collect();
    let cfg = guardian::SimConfig { elders: homes, seed: 7, interval_s: args.interval, epoch: domain::china_start_of_day(domain::china_date(now)), first_elder: 1, incidents };
    let sim = Arc::new(guardian::Simulation::new(&cfg));
    let devices = sim.device_count();

    let scratch_dir = std::env::temp_dir().join(format!("minsheng-bench-guardian-{}", std::process::id()));
    std::fs::create_dir_all(&scratch_dir)?;
    // The broker and the servers' settings.
    let mut settings = vec![("MINSHENG__GUARDIAN__BATCH".to_owned(), "4096".to_owned())];
    let generator_creds: Vec<telemetry::Credentials>;
    let (broker_url, _broker): (String, Option<telemetry::mosquitto::LocalBroker>) = if embedded {
        let listen = SocketAddr::from(([127, 0, 0, 1], free_port()?));
        settings.push(("MINSHENG__GUARDIAN__MQTT".to_owned(), "embedded".to_owned()));
        settings.push(("MINSHENG__GUARDIAN__EMBEDDED_LISTEN".to_owned(), listen.to_string()));
        // The embedded broker lets devices write only their own topics; the load generators
        // sign in as the server's own user, which may write any device's.
        let password = telemetry::mosquitto::generate_password();
        settings.push(("MINSHENG__GUARDIAN__PASSWORD".to_owned(), password.clone()));
        generator_creds = (0..args.publishers).map(|_| telemetry::Credentials::new("minsheng", password.clone())).collect();
        (format!("mqtt://{listen}"), None)
    } else {
        let (url, broker, server, generators) = private_mosquitto(&scratch_dir, args.publishers)?;
        settings.push(("MINSHENG__GUARDIAN__MQTT".to_owned(), url.clone()));
        settings.push(("MINSHENG__GUARDIAN__USERNAME".to_owned(), server.username.clone()));
        settings.push(("MINSHENG__GUARDIAN__PASSWORD".to_owned(), server.password.clone()));
        generator_creds = generators;
        (url, Some(broker))
    };

    let (scratch, state) = Scratch::start_with("bench-guardian", args.database_url.as_deref(), &base, settings.clone()).await?;
    let backend = state.store.backend().name().to_owned();
    eprintln!("登记 enrolling {homes} homes with {devices} devices into {backend} …");
    enrol(&state, &sim, now).await?;
    // The console's account.
    let hash = server::auth::hash_password(demo::seed::DEMO_PASSWORD, state.config.argon2_memory_kib, state.config.argon2_iterations).map_err(|e| anyhow::anyhow!("{e}"))?;
    state
        .store
        .identity()
        .insert_accounts(&[store::NewAccount {
            id: AccountId(state.parts.ids.next()),
            login: "bench_centre".into(),
            password_hash: hash,
            display_name: "bench monitoring centre".into(),
            kind: store::AccountKind::Staff,
            roles: vec![catalog::Role::Clerk],
            person_id: None,
            enterprise_id: None,
            department: Some("mzj".into()),
            division: None,
            phone: None,
            created_at: now,
        }])
        .await?;
    let rss_before = rss_bytes();
    state.guardian.sync(&state.store).await?;
    let rss_loaded = rss_bytes();

    // The servers.
    let mut apps = vec![server::App::serve(state, true).await?];
    for k in 1..args.servers {
        let dir = scratch.dir.join(format!("server-{k}"));
        std::fs::create_dir_all(&dir)?;
        let mut env = settings.clone();
        env.extend([
            ("MINSHENG__DATA_DIR".to_owned(), dir.display().to_string()),
            ("MINSHENG__DATABASE__URL".to_owned(), apps[0].state.config.database_url.expose().to_owned()),
            ("MINSHENG__LISTEN".to_owned(), "127.0.0.1:0".to_owned()),
            ("MINSHENG__DEADLINES__TICK_SECONDS".to_owned(), "3600".to_owned()),
        ]);
        let mut config = Config::load(None, env)?;
        config.max_connections = base.max_connections;
        let s = server::build_state(config, Arc::new(domain::SystemClock)).await?;
        s.guardian.sync(&s.store).await?;
        apps.push(server::App::serve(s, true).await?);
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    while !apps.iter().all(|a| a.state.guardian.subscribed()) {
        if Instant::now() > deadline {
            bail!("the servers did not subscribe to {broker_url} within 30 s");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // The console listens on every server (each pushes the alarms it raised).
    let arrived: Arc<Mutex<HashMap<u64, Instant>>> = Arc::default();
    let http = reqwest::Client::new();
    let mut listeners = Vec::new();
    for a in &apps {
        let token = login(&http, &a.url(), "bench_centre").await?;
        let (tx, rx) = tokio::sync::oneshot::channel();
        listeners.push(tokio::spawn(listen(a.url(), token, arrived.clone(), tx)));
        rx.await.context("the live feed did not open")?;
    }

    // The load generators.
    let mut publishers = Vec::new();
    for (c, creds) in generator_creds.iter().enumerate() {
        let id = if embedded { format!("minsheng-load-{c}") } else { format!("bench-load-{c}") };
        publishers.push(Arc::new(telemetry::Publisher::connect(&broker_url, &id, Some(creds.clone()), args.inflight).await?));
    }
    let p = publishers.len();
    let wear_of: Arc<HashMap<String, u64>> = Arc::new(sim.devices().into_iter().filter(|d| d.kind == guardian::DeviceKind::Wearable).map(|d| (d.id, d.elder.0)).collect());
    let sent_at: Arc<Mutex<HashMap<u64, Instant>>> = Arc::default();
    let (mut txs, mut rxs) = (Vec::new(), Vec::new());
    for _ in 0..p {
        let (tx, rx) = tokio::sync::mpsc::channel::<(i64, Slice)>(3);
        txs.push(tx);
        rxs.push(rx);
    }
    // Wall-clock second `s` begins at this instant.
    let (base_instant, base_wall) = (Instant::now(), Utc::now());
    let instant_of = move |sec: i64| base_instant + Duration::from_millis(u64::try_from((sec * 1000 - base_wall.timestamp_millis()).max(0)).unwrap_or(0));
    let end_sec = t0.timestamp() + i64::try_from(args.seconds).unwrap_or(30);
    // One thread makes each second's messages a second ahead and deals them out by device.
    let gen_sim = sim.clone();
    let gen_wear = wear_of.clone();
    let generator = std::thread::spawn(move || {
        for sec in t0.timestamp()..end_sec {
            let due = instant_of(sec - 1);
            if let Some(wait) = due.checked_duration_since(Instant::now()) {
                std::thread::sleep(wait);
            }
            let mut slices: Vec<Slice> = (0..p).map(|_| Vec::new()).collect();
            let from = DateTime::from_timestamp(sec, 0).unwrap_or_default();
            for m in gen_sim.window(from, from + chrono::Duration::seconds(1)) {
                let k = (m.device.bytes().fold(0u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b))) % p as u64) as usize;
                let sos = (m.kind == guardian::DeviceKind::Wearable && m.payload.windows(10).any(|w| w == b"\"sos\":true")).then(|| gen_wear.get(m.device).copied()).flatten();
                slices[k].push((telemetry::topic::device_topic(m.device), m.payload, sos));
            }
            for (tx, slice) in txs.iter().zip(slices) {
                if tx.blocking_send((sec, slice)).is_err() {
                    return;
                }
            }
        }
    });
    eprintln!("发布 {devices} devices report every {} s for {} s through {broker_url} to {} server(s) ({} load connections) …", args.interval, args.seconds, args.servers, p);
    let mut tasks = Vec::new();
    for (publisher, mut rx) in publishers.iter().cloned().zip(rxs) {
        let sent_at = sent_at.clone();
        tasks.push(tokio::spawn(async move {
            let mut late = Duration::ZERO;
            while let Some((sec, slice)) = rx.recv().await {
                // Spread over the second in 50 steps, as devices' clocks are.
                let start = instant_of(sec);
                let n = slice.len();
                for (i, (topic, payload, sos)) in slice.into_iter().enumerate() {
                    let due = start + Duration::from_millis((i * 1000 / n.max(1)) as u64 / 20 * 20);
                    let now = Instant::now();
                    if due > now {
                        tokio::time::sleep_until(due.into()).await;
                    } else {
                        late = late.max(now - due);
                    }
                    if let Some(elder) = sos {
                        sent_at.lock().unwrap_or_else(std::sync::PoisonError::into_inner).insert(elder, Instant::now());
                    }
                    let _ = publisher.send(&topic, payload).await;
                }
            }
            late
        }));
    }
    // Sample what the servers took, each second.
    let taken = |apps: &[server::App]| apps.iter().map(|a| a.state.guardian.readings_taken()).sum::<u64>();
    let start_taken = taken(&apps);
    let first_publish = instant_of(t0.timestamp());
    tokio::time::sleep_until(first_publish.into()).await;
    let mut per_second = Vec::new();
    let mut last = taken(&apps);
    for _ in 0..args.seconds {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let t = taken(&apps);
        per_second.push((t - last) as f64);
        last = t;
    }
    let mut late = Duration::ZERO;
    for t in tasks {
        late = late.max(t.await?);
    }
    let _ = generator.join();
    let last_publish = Instant::now();
    for p in &publishers {
        let _ = tokio::time::timeout(Duration::from_secs(60), p.flush()).await;
    }
    let stats: Vec<telemetry::PublishStats> = publishers.iter().map(|p| p.stats()).collect();
    let published: u64 = stats.iter().map(|s| s.sent).sum();
    let acknowledged: u64 = stats.iter().map(|s| s.acked).sum();
    // Wait for the servers to take the rest (at most a minute).
    let drain_deadline = Instant::now() + Duration::from_secs(60);
    let mut done_at = Instant::now();
    loop {
        let t = taken(&apps) - start_taken;
        if t >= acknowledged || Instant::now() > drain_deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
        done_at = Instant::now();
    }
    let total_taken = taken(&apps) - start_taken;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (monitor_devices, monitor_bytes) = apps[0].state.guardian.monitor_size();
    let rss_end = rss_bytes();

    // Latencies of the SOS alarms.
    let sent = sent_at.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone();
    let got = arrived.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone();
    let mut lat: Vec<f64> = sent.iter().filter_map(|(e, s)| got.get(e).map(|a| a.saturating_duration_since(*s).as_secs_f64() * 1000.0)).collect();
    lat.sort_by(f64::total_cmp);
    let mut rates = per_second.clone();
    rates.sort_by(f64::total_cmp);
    let puback: Vec<f64> = stats.iter().map(|s| s.latency.p50_us as f64 / 1000.0).collect();
    let puback99 = stats.iter().map(|s| s.latency.p99_us).max().unwrap_or(0) as f64 / 1000.0;

    for p in publishers {
        if let Ok(p) = Arc::try_unwrap(p) {
            p.disconnect().await;
        }
    }
    for l in listeners {
        l.abort();
    }
    for a in apps {
        a.shutdown().await;
    }
    drop(_broker);
    scratch.remove().await?;
    let _ = std::fs::remove_dir_all(&scratch_dir);

    let f = Figures {
        backend,
        broker: if embedded { "embedded (rumqttd)".into() } else { "mosquitto (auth, ACL, persistence)".into() },
        servers: args.servers,
        cpus: std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
        cpu_model: cpu_model(),
        devices,
        homes: homes as usize,
        interval_s: args.interval,
        seconds: args.seconds,
        offered_per_second: devices as f64 / f64::from(args.interval),
        published,
        acknowledged,
        taken: total_taken,
        taken_per_second_median: percentile(&rates, 50),
        taken_per_second_min: rates.first().copied().unwrap_or(0.0),
        taken_per_second_overall: total_taken as f64 / done_at.saturating_duration_since(first_publish).as_secs_f64().max(0.001),
        drain_seconds: done_at.saturating_duration_since(last_publish).as_secs_f64(),
        puback_p50_ms: puback.iter().copied().fold(0.0, f64::max),
        puback_p99_ms: puback99,
        sos_sent: sent.len(),
        sos_alarms: lat.len(),
        alarm_p50_ms: percentile(&lat, 50),
        alarm_p90_ms: percentile(&lat, 90),
        alarm_p99_ms: percentile(&lat, 99),
        alarm_max_ms: lat.last().copied().unwrap_or(0.0),
        monitor_bytes_per_device: monitor_bytes as f64 / monitor_devices.max(1) as f64,
        rss_load_bytes_per_device: rss_loaded.saturating_sub(rss_before) as f64 / devices.max(1) as f64,
        rss_end_bytes_per_device: rss_end.saturating_sub(rss_before) as f64 / devices.max(1) as f64 / args.servers as f64,
        peak_rss_mib: circles::bench::peak_rss_bytes().unwrap_or(0) as f64 / 1_048_576.0,
    };
    println!(
        "minsheng bench guardian — {} on {} CPU(s) ({}), broker {}, {} server(s); {} devices in {} homes, each every {} s ({:.0} offered/s), {} s",
        f.backend, f.cpus, f.cpu_model, f.broker, f.servers, f.devices, f.homes, f.interval_s, f.offered_per_second, f.seconds
    );
    println!("published {} (PUBACKed {}; queue→PUBACK p50 ≤{:.1} ms, p99 ≤{:.1} ms); the load generators fell behind by at most {:.0} ms", f.published, f.acknowledged, f.puback_p50_ms, f.puback_p99_ms, late.as_secs_f64() * 1000.0);
    println!(
        "taken (committed, then PUBACKed to the broker): {} — {:.0}/s median second, {:.0}/s slowest second, {:.0}/s overall; the last {:.1} s after the last publish",
        f.taken, f.taken_per_second_median, f.taken_per_second_min, f.taken_per_second_overall, f.drain_seconds
    );
    println!(
        "SOS publish → alarm pushed on the live feed: {} of {} — p50 {:.1} ms, p90 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        f.sos_alarms, f.sos_sent, f.alarm_p50_ms, f.alarm_p90_ms, f.alarm_p99_ms, f.alarm_max_ms
    );
    println!(
        "memory per device: monitor state {:.0} B; resident memory grown by loading them {:.0} B, by the end of the run {:.0} B a server; peak RSS {:.0} MiB (the servers and load generators, broker outside)",
        f.monitor_bytes_per_device, f.rss_load_bytes_per_device, f.rss_end_bytes_per_device, f.peak_rss_mib
    );
    if let Some(path) = &args.json {
        std::fs::write(path, serde_json::to_string_pretty(&f)?)?;
    }
    let lost = f.acknowledged.saturating_sub(f.taken);
    if lost > 0 {
        eprintln!("未入库 {lost} readings acknowledged by the broker were not taken within a minute");
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}
