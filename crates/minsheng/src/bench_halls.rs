//! `minsheng bench halls`: the service halls (issue 36) against their targets.
//!
//! 1. **A hall day, engine alone.** `halls::simulate::simulate` plays a day of `--tickets`
//!    tickets over `--windows` windows (arrivals with a morning and an afternoon peak,
//!    appointments, priority, no-shows, lunch breaks), estimating each ticket's wait on arrival
//!    with the estimator the live server uses, `--runs` times; the median time, and the median
//!    absolute error of the estimates against the waits that happened (with its p90, the mean
//!    error and the mean and median wait).
//! 2. **The live board over HTTP.** A real server on a scratch SQLite database (or PostgreSQL with
//!    `--database-url`) with the demo's registers and a hall registered through the use case;
//!    `--calls` kiosk tickets are taken, a client follows `GET /api/halls/{id}/board/live` (SSE),
//!    and the window staff call the tickets one by one (each then started and finished, so the
//!    window is free again), each after a random pause of up to 450 ms so that the calls do not
//!    keep step with the board's polling: the delay from a call's answer to the first board event
//!    that shows the number called at that window, median and p99 (target ≤ 1 s).
//! 3. **Taking tickets over HTTP.** `--clients` kiosks take tickets in a second hall of the same
//!    size as fast as they are answered for `--take-seconds`: tickets a second and latency.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;
use std::time::Instant;

use anyhow::Context;
use anyhow::bail;
use rand::Rng;
use rand::SeedableRng;
use rand::rngs::StdRng;
use serde::Serialize;
use server::Config;
use server::areas::halls::cases;
use server::areas::halls::views::HallBody;
use server::areas::halls::views::SessionBody;
use server::areas::halls::views::WindowBody;
use server::state::AppState;

use crate::bench_common::Conn;
use crate::bench_common::Pacer;
use crate::bench_common::Phase;
use crate::bench_common::Scratch;
use crate::bench_common::Tally;
use crate::bench_common::cpu_model;
use crate::bench_common::gather;
use crate::bench_common::login;
use crate::bench_common::print_header;
use crate::bench_common::print_row;

/// The targets of issue 36.
const TARGET_SIMULATE_MS: f64 = 1000.0;
const TARGET_BOARD_MS: f64 = 1000.0;

/// The benchmark's options.
#[derive(Debug, Clone, clap::Args)]
pub struct BenchHallsArgs {
    /// Tickets in the simulated hall day.
    #[arg(long, default_value_t = 5000)]
    pub tickets: u32,
    /// Windows of the simulated hall (at least two per service line: 16).
    #[arg(long, default_value_t = 40)]
    pub windows: u32,
    /// Times the hall day is simulated (median and p99 over them).
    #[arg(long, default_value_t = 5)]
    pub runs: usize,
    /// The simulation's seed.
    #[arg(long, default_value_t = 20_261_207)]
    pub seed: u64,
    /// Calls whose live board update is timed.
    #[arg(long, default_value_t = 200)]
    pub calls: usize,
    /// Kiosks taking tickets at once.
    #[arg(long, default_value_t = 4)]
    pub clients: usize,
    /// How long the kiosks take tickets, in seconds.
    #[arg(long, default_value_t = 10)]
    pub take_seconds: u64,
    /// A PostgreSQL URL to serve from a scratch database there (default: a scratch SQLite file).
    #[arg(long)]
    pub database_url: Option<String>,
    /// Also write the figures as JSON to this file.
    #[arg(long)]
    pub json: Option<PathBuf>,
}

/// Timings in milliseconds.
#[derive(Debug, Clone, Serialize)]
struct Timing {
    n: usize,
    median_ms: f64,
    p99_ms: f64,
    max_ms: f64,
}

impl Timing {
    fn of(mut ms: Vec<f64>) -> Timing {
        ms.sort_by(f64::total_cmp);
        let n = ms.len();
        let at = |q: f64| ms.get(((q * n as f64).ceil() as usize).clamp(1, n.max(1)) - 1).copied().unwrap_or(0.0);
        let median = if n == 0 {
            0.0
        } else if n % 2 == 1 {
            ms[n / 2]
        } else {
            (ms[n / 2 - 1] + ms[n / 2]) / 2.0
        };
        Timing { n, median_ms: median, p99_ms: at(0.99), max_ms: ms.last().copied().unwrap_or(0.0) }
    }
}

#[derive(Debug, Serialize)]
struct Figures {
    backend: String,
    cpus: usize,
    cpu_model: String,
    seed: u64,
    tickets: u32,
    windows: u32,
    simulate: Timing,
    served: u32,
    no_shows: u32,
    appointments: u32,
    estimated: u32,
    median_abs_error_s: f64,
    p90_abs_error_s: f64,
    mean_error_s: f64,
    mean_wait_s: f64,
    median_wait_s: f64,
    max_wait_s: f64,
    /// From a call's answer to the board event showing it.
    board_update: Timing,
    /// The call request itself.
    call_request: Timing,
    board_events: usize,
    take: Phase,
    tickets_in_take_hall: usize,
}

/// `minsheng bench halls`.
pub async fn run(args: &BenchHallsArgs, base: Config) -> anyhow::Result<ExitCode> {
    if args.tickets == 0 || args.windows < 16 || args.runs == 0 || args.calls == 0 || args.clients == 0 || args.take_seconds == 0 {
        bail!("--tickets, --runs, --calls, --clients and --take-seconds must be more than zero, --windows at least 16");
    }
    let (scratch, state) = Scratch::start("bench-halls", args.database_url.as_deref(), &base).await?;
    // The scratch place goes however the run ends.
    let measured = measure(args, state).await;
    scratch.remove().await?;
    let f = measured?;
    report(args, &f)
}

async fn measure(args: &BenchHallsArgs, state: AppState) -> anyhow::Result<Figures> {
    // 1. The hall day, engine alone.
    eprintln!("大厅一日 hall day: {} tickets over {} windows, {} runs …", args.tickets, args.windows, args.runs);
    let cfg = halls::simulate::SimConfig { tickets: args.tickets, windows: args.windows, seed: args.seed, ..Default::default() };
    let runs = args.runs;
    let (times, sim) = tokio::task::spawn_blocking(move || -> anyhow::Result<(Vec<f64>, halls::simulate::SimReport)> {
        let mut times = Vec::with_capacity(runs);
        let mut last = None;
        for _ in 0..runs {
            let t = Instant::now();
            let r = halls::simulate::simulate(cases::rules(), &cfg).map_err(|e| anyhow::anyhow!("simulate: {e}"))?;
            times.push(t.elapsed().as_secs_f64() * 1000.0);
            last = Some(r);
        }
        Ok((times, last.context("no simulated day")?))
    })
    .await??;
    let simulate = Timing::of(times);

    // 2 and 3: a real server.
    let backend = state.store.backend().name().to_owned();
    eprintln!("准备数据 preparing the registers and two halls on {backend} …");
    let opts = demo::seed::SeedOptions { residents: 300, enterprises: 10, history: 0, medins: false, welfare: false, guardian: false, governance: false, places: false, halls: false, parking: false, library: false, ..Default::default() };
    demo::seed::seed_demo(&state, &opts, &mut |_, _, _| {}).await?;
    let (account, _) = state.store.identity().account_for_login("admin").await?.context("no admin account")?;
    let admin = server::auth::Principal { account, token_hash: String::new() };
    let board_hall = cases::save_hall(&state, &admin, bench_hall("基准大厅（叫号）", args.windows)).await.map_err(refused("the board's hall"))?.id;
    let take_hall = cases::save_hall(&state, &admin, bench_hall("基准大厅（取号）", args.windows)).await.map_err(refused("the kiosks' hall"))?.id;
    let app = server::App::serve(state, true).await?;
    let url = app.url();
    let addr = app.addr;
    let result = over_http(args, &url, addr, &board_hall, &take_hall).await;
    let tickets_in_take_hall = match &result {
        Ok(_) => {
            let day = halls::hall::local(app.state.now()).date();
            let id = take_hall.parse::<i64>().unwrap_or_default();
            cases::day_tickets(&app.state, halls::hall::HallId(id), day).await.map(|t| t.len()).unwrap_or(0)
        }
        Err(_) => 0,
    };
    app.shutdown().await;
    let (board_update, call_request, board_events, take) = result?;
    Ok(Figures {
        backend,
        cpus: std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
        cpu_model: cpu_model(),
        seed: args.seed,
        tickets: args.tickets,
        windows: args.windows,
        simulate,
        served: sim.served,
        no_shows: sim.no_shows,
        appointments: sim.appointments,
        estimated: sim.estimated,
        median_abs_error_s: sim.median_abs_error_s,
        p90_abs_error_s: sim.p90_abs_error_s,
        mean_error_s: sim.mean_error_s,
        mean_wait_s: sim.mean_wait_s,
        median_wait_s: sim.median_wait_s,
        max_wait_s: sim.max_wait_s,
        board_update,
        call_request,
        board_events,
        take,
        tickets_in_take_hall,
    })
}

fn refused(what: &str) -> impl Fn(server::failure::Failure) -> anyhow::Error + '_ {
    move |f| {
        let (code, _, en, field) = f.parts();
        anyhow::anyhow!("{what}: {code}: {en}{}", field.map(|x| format!(" ({x})")).unwrap_or_default())
    }
}

/// A hall open all day every day with `windows` windows spread over every line.
fn bench_hall(name: &str, windows: u32) -> HallBody {
    let lines: Vec<String> = cases::rules().lines.iter().map(|l| l.code.clone()).collect();
    HallBody {
        id: None,
        name: name.into(),
        level: "district".into(),
        town: "330111001".into(),
        address: "杭州市富阳区富春街道（基准）".into(),
        lat: 30.049,
        lon: 119.954,
        status: None,
        sessions: vec![SessionBody { weekdays: vec![1, 2, 3, 4, 5, 6, 7], opens: "00:00".into(), closes: "23:59".into() }],
        windows: (1..=windows).map(|no| WindowBody { no, name: format!("{no}号窗口"), lines: vec![lines[(no as usize - 1) % lines.len()].clone()], open: true, staff: None }).collect(),
        terminals: Vec::new(),
    }
}

/// The board's delay after calls, the calls themselves, and taking tickets.
async fn over_http(args: &BenchHallsArgs, url: &str, addr: std::net::SocketAddr, board_hall: &str, take_hall: &str) -> anyhow::Result<(Timing, Timing, usize, Phase)> {
    let http = reqwest::Client::new();
    let staff = login(&http, url, "window").await?;
    let lines: Vec<String> = cases::rules().lines.iter().map(|l| l.code.clone()).collect();
    let windows = args.windows.min(u32::try_from(args.calls).unwrap_or(u32::MAX)).max(1);

    // The tickets to call: a kiosk takes them, each on the line its window serves.
    eprintln!("实时叫号屏 live board: {} tickets taken, then called one by one …", args.calls);
    let mut conn = Conn::open(addr).await?;
    for i in 0..args.calls {
        let line = &lines[(i % windows as usize) % lines.len()];
        let (status, body) = conn.send("POST", &format!("/api/halls/{board_hall}/tickets"), "", Some(("application/json", serde_json::json!({ "line": line }).to_string())), &[]).await?;
        if status != 201 {
            bail!("taking a ticket: {status} {}", String::from_utf8_lossy(&body));
        }
    }

    // The board, followed as a display would.
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(Instant, serde_json::Value)>();
    let sse = http.get(format!("{url}/api/halls/{board_hall}/board/live")).header("accept", "text/event-stream").send().await?;
    if !sse.status().is_success() {
        bail!("the live board: {}", sse.status());
    }
    let follower = tokio::spawn(follow(sse, tx));
    // The first event is the board as it is.
    tokio::time::timeout(Duration::from_secs(10), rx.recv()).await.context("no first board event")?;

    let mut delays = Vec::with_capacity(args.calls);
    let mut requests = Vec::with_capacity(args.calls);
    let mut events = 1;
    let mut rng = StdRng::seed_from_u64(args.seed);
    for i in 0..args.calls {
        let no = (i as u32 % windows) + 1;
        // Staff call when they are ready, not in step with the board's polling.
        tokio::time::sleep(Duration::from_millis(rng.random_range(0..450))).await;
        let sent = Instant::now();
        let (status, body) = conn.send("POST", &format!("/api/halls/{board_hall}/windows/{no}/call"), &staff, None, &[]).await?;
        let answered = Instant::now();
        if status != 200 {
            bail!("call {i} at window {no}: {status} {}", String::from_utf8_lossy(&body));
        }
        requests.push((answered - sent).as_secs_f64() * 1000.0);
        let t: serde_json::Value = serde_json::from_slice(&body)?;
        let (number, id) = (t["number"].as_str().unwrap_or_default().to_owned(), t["id"].as_str().unwrap_or_default().to_owned());
        let shown = |b: &serde_json::Value| b["called"].as_array().is_some_and(|c| c.iter().any(|x| x["number"] == number.as_str() && x["window"] == no));
        let deadline = answered + Duration::from_secs(10);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let (at, board) = tokio::time::timeout(left, rx.recv()).await.with_context(|| format!("the board did not show {number} at window {no} within 10 s"))?.context("the live board ended")?;
            events += 1;
            if shown(&board) {
                delays.push(at.saturating_duration_since(answered).as_secs_f64() * 1000.0);
                break;
            }
        }
        // Served: the window is free for its next call.
        for action in ["start", "finish"] {
            let body = serde_json::json!({ "action": action, "window": no }).to_string();
            let (status, b) = conn.send("POST", &format!("/api/halls/tickets/{id}/actions"), &staff, Some(("application/json", body)), &[]).await?;
            if status != 200 {
                bail!("{action} {number}: {status} {}", String::from_utf8_lossy(&b));
            }
        }
    }
    follower.abort();

    // Kiosks taking tickets as fast as they are answered.
    eprintln!("取号 taking tickets: {} kiosks for {} s …", args.clients, args.take_seconds);
    let started = Instant::now();
    let deadline = started + Duration::from_secs(args.take_seconds);
    let mut tasks = Vec::with_capacity(args.clients);
    for c in 0..args.clients {
        let mut conn = Conn::open(addr).await?;
        let path = format!("/api/halls/{take_hall}/tickets");
        let lines = lines.clone();
        tasks.push(tokio::spawn(async move {
            let mut tally = Tally::default();
            let mut pacer = Pacer::new(None, 1, 0, started);
            let mut k = c;
            while let Some(sent) = pacer.slot_before(deadline).await {
                let body = serde_json::json!({ "line": lines[k % lines.len()] }).to_string();
                k += 1;
                let r = conn.send("POST", &path, "", Some(("application/json", body)), &[]).await;
                tally.answer("take", sent, &[201], r);
            }
            tally
        }));
    }
    let take = gather(tasks, started, None).await?;
    Ok((Timing::of(delays), Timing::of(requests), events, take))
}

/// Reads the board's server-sent events and hands each board on with when it arrived.
async fn follow(mut sse: reqwest::Response, tx: tokio::sync::mpsc::UnboundedSender<(Instant, serde_json::Value)>) {
    let mut buf = String::new();
    while let Ok(Some(chunk)) = sse.chunk().await {
        let at = Instant::now();
        buf.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = buf.find("\n\n") {
            let event: String = buf.drain(..end + 2).collect();
            let data: String = event.lines().filter_map(|l| l.strip_prefix("data:")).map(str::trim_start).collect::<Vec<_>>().join("\n");
            if data.is_empty() {
                continue;
            }
            if let Ok(v) = serde_json::from_str(&data)
                && tx.send((at, v)).is_err()
            {
                return;
            }
        }
    }
}

fn row(what: &str, t: &Timing) {
    println!("{what:<58} {:>6} {:>10.1} {:>9.1} {:>9.1}", t.n, t.median_ms, t.p99_ms, t.max_ms);
}

/// Prints the table and the verdict (and writes the JSON).
fn report(args: &BenchHallsArgs, f: &Figures) -> anyhow::Result<ExitCode> {
    println!("minsheng bench halls — {} on {} CPU(s) ({})", f.backend, f.cpus, f.cpu_model);
    let given: Vec<String> = std::env::args().skip(1).collect();
    println!("command: minsheng {}", given.join(" "));
    println!(
        "hall day (engine): {} tickets over {} windows, seed {}: served {}, no-shows {}, appointments {}, estimates compared {}",
        f.tickets, f.windows, f.seed, f.served, f.no_shows, f.appointments, f.estimated
    );
    println!("{:<58} {:>6} {:>10} {:>9} {:>9}", "step", "n", "median ms", "p99 ms", "max ms");
    row("simulate (the day, an estimate at each arrival)", &f.simulate);
    row("call → live board event showing it (SSE)", &f.board_update);
    row("call (POST /api/halls/{id}/windows/{no}/call)", &f.call_request);
    println!(
        "  estimate vs actual wait: median |error| {:.0} s (p90 {:.0} s), mean error {:+.0} s; wait: mean {:.0} s, median {:.0} s, longest {:.0} s",
        f.median_abs_error_s, f.p90_abs_error_s, f.mean_error_s, f.mean_wait_s, f.median_wait_s, f.max_wait_s
    );
    println!("  board events read: {}", f.board_events);
    println!("tickets taken over HTTP ({} kiosks, {} s; {} tickets in the hall at the end):", args.clients, args.take_seconds, f.tickets_in_take_hall);
    print_header(24);
    print_row("take (POST tickets)", 24, &f.take);
    let yes = |b: bool| if b { "met" } else { "NOT met" };
    println!(
        "targets: a hall day of {} tickets over {} windows ≤ {TARGET_SIMULATE_MS:.0} ms (median {:.1} ms) — {}; live board ≤ {TARGET_BOARD_MS:.0} ms after a call (p99 {:.1} ms) — {}",
        f.tickets,
        f.windows,
        f.simulate.median_ms,
        yes(f.simulate.median_ms <= TARGET_SIMULATE_MS),
        f.board_update.p99_ms,
        yes(f.board_update.p99_ms <= TARGET_BOARD_MS)
    );
    if let Some(path) = &args.json {
        std::fs::write(path, serde_json::to_string_pretty(f)?).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(ExitCode::SUCCESS)
}
