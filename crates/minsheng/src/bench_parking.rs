//! `minsheng bench parking`: hospital parking guidance (issue 34) against its targets.
//!
//! A real server on a scratch SQLite database (or PostgreSQL with `--database-url`) with its
//! embedded MQTT broker, the demo's parking data (six hospitals, 18 lots, 14 signs, registered
//! through the use cases as the demo does) and a live reading for every lot; a hospital with lots
//! in central São Paulo too, the one city whose road network the repository carries, so that a
//! driver's position costs a real search on it.
//!
//! 1. **Guidance over HTTP.** `GET /api/parking/guidance?sign=…` and `?hospital=…` (taking turns
//!    over every sign and hospital) paced at `--rate` requests a second for `--seconds` seconds
//!    over `--clients` keep-alive connections (open loop: a late answer counts from its slot):
//!    the rate achieved, median and p99 latency (target p99 ≤ 5 ms). Then the same from a
//!    driver's position (`?hospital=…&lat=…&lon=…`, one search on the road network each), reported
//!    apart.
//! 2. **Occupancy readings taken.** `--lots` lots each send `--batches` batches of `--batch`
//!    readings through `POST /api/parking/lots/{id}/readings` with their keys (`--http-clients`
//!    connections); then every lot's feed user publishes `--mqtt-readings` readings to the
//!    embedded broker, timed until every one is durable (the server shows a lot's reading only
//!    once it is written): readings a second each way (target ≥ 10,000).
//!
//! The library's orders have a benchmark of their own: `minsheng bench library`.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;
use std::time::Instant;

use anyhow::Context;
use anyhow::bail;
use chrono::DateTime;
use chrono::SecondsFormat;
use chrono::Utc;
use rand::Rng;
use rand::SeedableRng;
use rand::rngs::StdRng;
use serde::Serialize;
use server::Config;
use server::areas::parking::cases;
use server::areas::parking::views::BaysView;
use server::areas::parking::views::GuidanceQuery;
use server::areas::parking::views::HospitalBody;
use server::areas::parking::views::LotBody;
use server::areas::parking::views::PointView;
use server::auth::Principal;
use server::state::AppState;

use crate::bench_common::Conn;
use crate::bench_common::Pacer;
use crate::bench_common::Phase;
use crate::bench_common::Scratch;
use crate::bench_common::Tally;
use crate::bench_common::cpu_model;
use crate::bench_common::gather;
use crate::bench_common::print_header;
use crate::bench_common::print_row;
use crate::parking_cli::Feed;

/// The targets of issue 34.
const TARGET_P99_MS: f64 = 5.0;
const TARGET_READINGS_PER_S: f64 = 10_000.0;

/// The benchmark's options.
#[derive(Debug, Clone, clap::Args)]
pub struct BenchParkingArgs {
    /// Guidance requests a second offered (open loop).
    #[arg(long, default_value_t = 2000.0)]
    pub rate: f64,
    /// How long each guidance phase runs, in seconds.
    #[arg(long, default_value_t = 10)]
    pub seconds: u64,
    /// Keep-alive connections sharing the guidance rate.
    #[arg(long, default_value_t = 32)]
    pub clients: usize,
    /// Lots sending readings in the ingest phases.
    #[arg(long, default_value_t = 200)]
    pub lots: usize,
    /// Readings in each HTTP request.
    #[arg(long, default_value_t = 50)]
    pub batch: usize,
    /// HTTP requests each lot sends.
    #[arg(long, default_value_t = 5)]
    pub batches: usize,
    /// Connections sending the lots' HTTP requests.
    #[arg(long, default_value_t = 8)]
    pub http_clients: usize,
    /// Readings each lot's feed user publishes over MQTT, one a message.
    #[arg(long, default_value_t = 100)]
    pub mqtt_readings: usize,
    /// A PostgreSQL URL to serve from a scratch database there (default: a scratch SQLite file).
    #[arg(long)]
    pub database_url: Option<String>,
    /// Also write the figures as JSON to this file.
    #[arg(long)]
    pub json: Option<PathBuf>,
}

#[derive(Debug, Serialize)]
struct Ingest {
    readings: usize,
    seconds: f64,
    per_second: f64,
    /// Readings not taken (refused, or not durable within the wait).
    missing: usize,
}

#[derive(Debug, Serialize)]
struct Figures {
    backend: String,
    cpus: usize,
    cpu_model: String,
    /// Whether the driver's-position phase searched a road network (else straight-line estimates).
    road_network: bool,
    guidance: Phase,
    guidance_from_position: Phase,
    ingest_http: Ingest,
    ingest_mqtt: Ingest,
}

fn refused(what: &str) -> impl Fn(server::failure::Failure) -> anyhow::Error + '_ {
    move |f| {
        let (code, _, en, field) = f.parts();
        anyhow::anyhow!("{what}: {code}: {en}{}", field.map(|x| format!(" ({x})")).unwrap_or_default())
    }
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind(("127.0.0.1", 0))?.local_addr()?.port())
}

/// `minsheng bench parking`.
pub async fn run(args: &BenchParkingArgs, base: Config) -> anyhow::Result<ExitCode> {
    if args.rate <= 0.0 || args.seconds == 0 || args.clients == 0 || args.lots == 0 || args.batch == 0 || args.batches == 0 || args.http_clients == 0 || args.mqtt_readings == 0 {
        bail!("every count and --rate must be more than zero");
    }
    if args.batch > cases::MAX_READINGS {
        bail!("--batch: at most {} readings a request", cases::MAX_READINGS);
    }
    if (args.batch * args.batches + args.mqtt_readings) as i64 > 3000 {
        bail!("--batch × --batches + --mqtt-readings: at most 3,000 readings a lot (one a second over the last hour)");
    }
    let listen = std::net::SocketAddr::from(([127, 0, 0, 1], free_port()?));
    let settings = vec![
        ("MINSHENG__GUARDIAN__MQTT".to_owned(), "embedded".to_owned()),
        ("MINSHENG__GUARDIAN__EMBEDDED_LISTEN".to_owned(), listen.to_string()),
        ("MINSHENG__GUARDIAN__PASSWORD".to_owned(), telemetry::mosquitto::generate_password()),
    ];
    let (scratch, state) = Scratch::start_with("bench-parking", args.database_url.as_deref(), &base, settings).await?;
    let measured = measure(args, state, &scratch.dir, &format!("mqtt://{listen}")).await;
    scratch.remove().await?;
    let f = measured?;
    report(args, &f)
}

async fn measure(args: &BenchParkingArgs, state: AppState, dir: &std::path::Path, broker: &str) -> anyhow::Result<Figures> {
    let backend = state.store.backend().name().to_owned();
    eprintln!("准备数据 preparing the demo's car parks and {} more on {backend} …", args.lots);
    let opts = demo::seed::SeedOptions { residents: 300, enterprises: 10, history: 0, medins: false, welfare: false, guardian: false, governance: false, places: false, halls: false, parking: true, library: false, ..Default::default() };
    demo::seed::seed_demo(&state, &opts, &mut |_, _, _| {}).await?;
    let demo_feeds = crate::parking_cli::read_feeds(&dir.join(demo::seed_parking::FEEDS_FILE))?;
    let (account, _) = state.store.identity().account_for_login(demo::seed_parking::CLERK).await?.context("no parking clerk")?;
    let clerk = Principal { account, token_hash: String::new() };
    let sp_lots = sao_paulo(&state, &clerk).await?;
    let ingest_feeds = ingest_lots(&state, &clerk, args.lots).await?;

    let app = server::App::serve(state, true).await?;
    let addr = app.addr;
    let result = async {
        // A live reading for every demo lot and the São Paulo lots, a minute old.
        let at = Utc::now() - chrono::Duration::minutes(1);
        let local = (at + chrono::Duration::hours(8)).naive_utc();
        let mut conn = Conn::open(addr).await?;
        for f in &demo_feeds {
            let Some(lot) = demo::seed_parking::lot(&f.lot) else { continue };
            let (v, s, d, e) = crate::parking_cli::occupancy(lot, local, 0.0);
            let body = serde_json::json!({"readings": [{"lot": f.lot, "at": ts(at), "bays": {"visitor": {"occupied": v}, "staff": {"occupied": s}, "disabled": {"occupied": d}, "ev": {"occupied": e}}}]});
            send_readings(&mut conn, f, body).await?;
        }
        for f in &sp_lots {
            let body = serde_json::json!({"readings": [{"lot": f.lot, "at": ts(at), "bays": {"visitor": {"occupied": 120}}}]});
            send_readings(&mut conn, f, body).await?;
        }
        let road_network = wait_for_roads(&app.state).await;

        // 1. Guidance by sign and by hospital.
        let mut paths: Vec<String> = demo::seed_parking::SIGNS.iter().map(|s| format!("/api/parking/guidance?sign={}", s.id)).collect();
        paths.extend(demo::seed_parking::HOSPITALS.iter().map(|h| format!("/api/parking/guidance?hospital={}", h.id)));
        eprintln!("诱导 guidance by sign and hospital: {} requests/s for {} s …", args.rate, args.seconds);
        let guidance = paced(addr, args, Arc::new(paths)).await?;
        // From a driver's position in central São Paulo: a search on the road network each.
        let mut rng = StdRng::seed_from_u64(20_261_207);
        let from: Vec<String> = (0..512)
            .map(|_| format!("/api/parking/guidance?hospital=sp-bench&lat={:.5}&lon={:.5}", rng.random_range(-23.585..-23.475), rng.random_range(-46.70..-46.59)))
            .collect();
        eprintln!("诱导 guidance from a driver's position ({}): {} requests/s for {} s …", if road_network { "road network" } else { "NO road network: straight lines" }, args.rate, args.seconds);
        let guidance_from_position = paced(addr, args, Arc::new(from)).await?;

        // 2. Readings over HTTP, then over MQTT.
        let base = Utc::now() - chrono::Duration::hours(1);
        eprintln!("读数 readings over HTTP: {} lots × {} requests of {} …", args.lots, args.batches, args.batch);
        let ingest_http = over_http(addr, args, &ingest_feeds, base).await?;
        eprintln!("读数 readings over MQTT: {} lots × {} …", args.lots, args.mqtt_readings);
        let from_s = (args.batch * args.batches) as i64;
        let ingest_mqtt = over_mqtt(&app.state, broker, args, &ingest_feeds, base, from_s).await?;
        anyhow::Ok((road_network, guidance, guidance_from_position, ingest_http, ingest_mqtt))
    }
    .await;
    app.shutdown().await;
    let (road_network, guidance, guidance_from_position, ingest_http, ingest_mqtt) = result?;
    Ok(Figures {
        backend,
        cpus: std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
        cpu_model: cpu_model(),
        road_network,
        guidance,
        guidance_from_position,
        ingest_http,
        ingest_mqtt,
    })
}

fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

async fn send_readings(conn: &mut Conn, f: &Feed, body: serde_json::Value) -> anyhow::Result<()> {
    let (status, b) = conn.send("POST", &format!("/api/parking/lots/{}/readings", f.lot), "", Some(("application/json", body.to_string())), &[("x-feed-key", &f.key)]).await?;
    if status != 200 {
        bail!("readings of {}: {status} {}", f.lot, String::from_utf8_lossy(&b));
    }
    Ok(())
}

/// A hospital in central São Paulo with five lots around it (the road network the repository
/// carries is São Paulo's); their keys.
async fn sao_paulo(state: &AppState, clerk: &Principal) -> anyhow::Result<Vec<Feed>> {
    let p = |lat, lon| PointView { lat, lon };
    let body = HospitalBody { id: "sp-bench".into(), name: "基准医院（圣保罗路网）".into(), town: "330111001".into(), entrance: p(-23.5505, -46.6333) };
    cases::save_hospital(state, clerk, body).await.map_err(refused("the São Paulo hospital"))?;
    let mut out = Vec::new();
    for (k, (dlat, dlon)) in [(0.002, 0.001), (-0.003, 0.002), (0.004, -0.004), (-0.001, -0.006), (0.006, 0.005)].into_iter().enumerate() {
        let id = format!("sp-bench-{k}");
        let at = p(-23.5505 + dlat, -46.6333 + dlon);
        let lot = LotBody {
            id: id.clone(),
            name: format!("基准停车场 {k}"),
            kind: if k == 0 { "hospital".into() } else { "public_garage".into() },
            structure: "surface".into(),
            hospital: (k == 0).then(|| "sp-bench".to_owned()),
            town: "330111001".into(),
            location: at,
            entrance: at,
            capacity: BaysView { visitor: 300, staff: 0, disabled: 0, ev: 0 },
            hours: None,
            fees: None,
            address: None,
            operator: None,
        };
        cases::save_lot(state, clerk, lot).await.map_err(refused("a São Paulo lot"))?;
        let key = cases::issue_key(state, clerk, &id).await.map_err(refused("a São Paulo lot's key"))?;
        out.push(Feed { lot: id, user: key.mqtt_user, topic: key.mqtt_topic, key: key.key });
    }
    Ok(out)
}

/// `n` lots for the ingest phases, away from the hospitals (so guidance does not offer them); their keys.
async fn ingest_lots(state: &AppState, clerk: &Principal, n: usize) -> anyhow::Result<Vec<Feed>> {
    let mut out = Vec::with_capacity(n);
    for k in 0..n {
        let id = format!("bench-lot-{k:04}");
        let at = PointView { lat: 30.20 + (k / 20) as f64 * 0.002, lon: 119.80 + (k % 20) as f64 * 0.002 };
        let lot = LotBody {
            id: id.clone(),
            name: format!("基准停车场 {k}"),
            kind: "public_garage".into(),
            structure: "surface".into(),
            hospital: None,
            town: "330111001".into(),
            location: at,
            entrance: at,
            capacity: BaysView { visitor: 500, staff: 0, disabled: 0, ev: 0 },
            hours: None,
            fees: None,
            address: None,
            operator: None,
        };
        cases::save_lot(state, clerk, lot).await.map_err(refused("an ingest lot"))?;
        let key = cases::issue_key(state, clerk, &id).await.map_err(refused("an ingest lot's key"))?;
        out.push(Feed { lot: id, user: key.mqtt_user, topic: key.mqtt_topic, key: key.key });
    }
    Ok(out)
}

/// Waits (up to a minute) for the road network to load: true once a guidance from a position in
/// São Paulo drives on it.
async fn wait_for_roads(state: &AppState) -> bool {
    let q = || GuidanceQuery { hospital: Some("sp-bench".into()), sign: None, lat: Some(-23.54), lon: Some(-46.64), to_lat: None, to_lon: None, disabled: None, ev: None };
    for _ in 0..120 {
        if let Ok(g) = cases::guidance(state, q()).await
            && g.lots.iter().any(|l| l.drive_measured == "road_network")
        {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    false
}

/// GETs `paths` in turn at the paced rate for the phase's seconds.
async fn paced(addr: std::net::SocketAddr, args: &BenchParkingArgs, paths: Arc<Vec<String>>) -> anyhow::Result<Phase> {
    let mut conns = Vec::with_capacity(args.clients);
    for _ in 0..args.clients {
        conns.push(Conn::open(addr).await?);
    }
    let started = Instant::now();
    let deadline = started + Duration::from_secs(args.seconds);
    let clients = args.clients;
    let rate = args.rate;
    let tasks = conns
        .into_iter()
        .enumerate()
        .map(|(c, mut conn)| {
            let paths = paths.clone();
            tokio::spawn(async move {
                let mut tally = Tally::default();
                let mut pacer = Pacer::new(Some(rate), clients, c, started);
                let mut k = c;
                while let Some(sent) = pacer.slot_before(deadline).await {
                    let path = &paths[k % paths.len()];
                    k += clients;
                    let r = conn.send("GET", path, "", None, &[]).await;
                    tally.answer("guidance", sent, &[200], r);
                }
                tally
            })
        })
        .collect();
    gather(tasks, started, Some(rate)).await
}

/// Each lot sends its batches over HTTP as fast as they are answered.
async fn over_http(addr: std::net::SocketAddr, args: &BenchParkingArgs, feeds: &[Feed], base: DateTime<Utc>) -> anyhow::Result<Ingest> {
    let groups: Vec<Vec<Feed>> = (0..args.http_clients).map(|c| feeds.iter().skip(c).step_by(args.http_clients).cloned().collect()).collect();
    let mut conns = Vec::with_capacity(groups.len());
    for _ in 0..groups.len() {
        conns.push(Conn::open(addr).await?);
    }
    let (batch, batches) = (args.batch, args.batches);
    let started = Instant::now();
    let tasks: Vec<_> = groups
        .into_iter()
        .zip(conns)
        .map(|(group, mut conn)| {
            tokio::spawn(async move {
                let mut tally = Tally::default();
                for b in 0..batches {
                    for f in &group {
                        let readings: Vec<serde_json::Value> = (0..batch)
                            .map(|i| {
                                let s = (b * batch + i) as i64;
                                serde_json::json!({"lot": f.lot, "at": ts(base + chrono::Duration::seconds(s)), "bays": {"visitor": {"occupied": (s * 7) % 500}}})
                            })
                            .collect();
                        let body = serde_json::json!({ "readings": readings }).to_string();
                        let sent = Instant::now();
                        let r = conn.send("POST", &format!("/api/parking/lots/{}/readings", f.lot), "", Some(("application/json", body)), &[("x-feed-key", &f.key)]).await;
                        tally.answer("readings", sent, &[200], r);
                    }
                }
                tally
            })
        })
        .collect();
    let phase = gather(tasks, started, None).await?;
    let seconds = started.elapsed().as_secs_f64();
    let readings = phase.requests * batch;
    let wanted = feeds.len() * batch * batches;
    Ok(Ingest { readings, seconds, per_second: readings as f64 / seconds, missing: wanted - readings })
}

/// Every lot's feed user publishes its readings (one a message) to the broker; timed until the
/// server shows every lot's last reading, which it does only once it is written.
async fn over_mqtt(state: &AppState, broker: &str, args: &BenchParkingArgs, feeds: &[Feed], base: DateTime<Utc>, from_s: i64) -> anyhow::Result<Ingest> {
    for _ in 0..300 {
        if state.parking.subscribed.load(Ordering::Acquire) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    if !state.parking.subscribed.load(Ordering::Acquire) {
        bail!("the server did not subscribe to the parking feeds within 30 s");
    }
    let mut publishers = Vec::with_capacity(feeds.len());
    for f in feeds {
        let p = telemetry::Publisher::connect(broker, &f.user, Some(telemetry::Credentials::new(f.user.clone(), f.key.clone())), 64).await.with_context(|| format!("{} connects", f.user))?;
        publishers.push((f.clone(), p));
    }
    let n = args.mqtt_readings;
    let last: HashMap<String, String> = feeds.iter().map(|f| (f.lot.clone(), ts(base + chrono::Duration::seconds(from_s + n as i64 - 1)))).collect();
    let started = Instant::now();
    let tasks: Vec<_> = publishers
        .into_iter()
        .map(|(f, p)| {
            tokio::spawn(async move {
                let mut sent = 0usize;
                for i in 0..n {
                    let s = from_s + i as i64;
                    let body = serde_json::json!({"lot": f.lot, "at": ts(base + chrono::Duration::seconds(s)), "bays": {"visitor": {"occupied": (s * 7) % 500}}}).to_string();
                    if p.send(&f.topic, body).await.is_ok() {
                        sent += 1;
                    }
                }
                p.flush().await;
                (sent, p)
            })
        })
        .collect();
    let mut clients = Vec::new();
    let mut sent = 0;
    for t in tasks {
        let (s, p) = t.await?;
        sent += s;
        clients.push(p);
    }
    // Until every lot's last reading is shown (written), or a minute without progress.
    let mut done = 0;
    let mut last_progress = Instant::now();
    while done < feeds.len() {
        let lots = cases::lots(state, None).await.map_err(refused("the lots"))?;
        let now_done = lots.iter().filter(|l| last.get(&l.id).is_some_and(|want| l.updated_at.as_deref() == Some(want.as_str()))).count();
        if now_done > done {
            done = now_done;
            last_progress = Instant::now();
        } else if last_progress.elapsed() > Duration::from_secs(60) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let seconds = started.elapsed().as_secs_f64();
    for p in clients {
        p.disconnect().await;
    }
    // What was written, counted in the database.
    let until = Utc::now() + chrono::Duration::minutes(5);
    let rows = state.store.parking().history(None, base, until, 10_000_000).await?;
    let taken = rows.iter().filter(|r| r.source == "mqtt").count();
    let wanted = feeds.len() * n;
    if sent < wanted {
        eprintln!("警告 warning: {} of {wanted} readings could not be published", wanted - sent);
    }
    Ok(Ingest { readings: taken, seconds, per_second: taken as f64 / seconds, missing: wanted.saturating_sub(taken) })
}

/// Prints the table and the verdict (and writes the JSON).
fn report(args: &BenchParkingArgs, f: &Figures) -> anyhow::Result<ExitCode> {
    println!("minsheng bench parking — {} on {} CPU(s) ({})", f.backend, f.cpus, f.cpu_model);
    let given: Vec<String> = std::env::args().skip(1).collect();
    println!("command: minsheng {}", given.join(" "));
    println!("guidance over HTTP ({} connections, {} s a phase, open loop):", args.clients, args.seconds);
    print_header(34);
    print_row("by sign or hospital", 34, &f.guidance);
    print_row(if f.road_network { "from a position (road network)" } else { "from a position (straight line!)" }, 34, &f.guidance_from_position);
    println!("occupancy readings taken:");
    println!("{:<34} {:>10} {:>9} {:>12} {:>8}", "", "readings", "seconds", "readings/s", "missing");
    let row = |name: &str, i: &Ingest| println!("{name:<34} {:>10} {:>9.2} {:>12.0} {:>8}", i.readings, i.seconds, i.per_second, i.missing);
    row(&format!("HTTP ({} lots × {}×{})", args.lots, args.batches, args.batch), &f.ingest_http);
    row(&format!("MQTT ({} lots × {}, until written)", args.lots, args.mqtt_readings), &f.ingest_mqtt);
    let yes = |b: bool| if b { "met" } else { "NOT met" };
    println!(
        "targets: guidance p99 ≤ {TARGET_P99_MS:.0} ms at {:.0}/s (by sign or hospital: {:.0}/s achieved, p99 {:.2} ms) — {}; readings ≥ {TARGET_READINGS_PER_S:.0}/s (HTTP {:.0}/s — {}; MQTT {:.0}/s — {})",
        args.rate,
        f.guidance.per_second,
        f.guidance.p99_ms,
        yes(f.guidance.p99_ms <= TARGET_P99_MS && f.guidance.errors == 0 && f.guidance.per_second >= args.rate * 0.95),
        f.ingest_http.per_second,
        yes(f.ingest_http.per_second >= TARGET_READINGS_PER_S && f.ingest_http.missing == 0),
        f.ingest_mqtt.per_second,
        yes(f.ingest_mqtt.per_second >= TARGET_READINGS_PER_S && f.ingest_mqtt.missing == 0),
    );
    if let Some(path) = &args.json {
        std::fs::write(path, serde_json::to_string_pretty(f)?).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(ExitCode::SUCCESS)
}
