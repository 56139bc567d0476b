//! `minsheng bench library`: one-click borrowing (issue 34) against its target, a borrowing order
//! answered with p99 ≤ 20 ms.
//!
//! A real server on a scratch SQLite database (or PostgreSQL with `--database-url`) with the demo's
//! registers and the synthetic district catalogue (`--titles` titles, 1–4 copies each at ten
//! branches) imported as MARC 21 through the use case. `--clients` residents, each signed in, place
//! orders of one to three random titles delivered home (`POST /api/library/orders`) as fast as
//! they are answered, until `--orders` are placed: each is planned by the engine (the fastest
//! branch, holds for titles with no free copy), quoted, and saved with the copies it takes in one
//! durable commit. A reader who reaches the loan limit, or asks for a title they hold, is answered
//! 409/422 and counted apart. Also the engine alone: `plan` + `place` on the same catalogue.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;
use std::time::Instant;

use anyhow::Context;
use anyhow::bail;
use serde::Serialize;
use server::Config;
use server::state::AppState;

use crate::bench_common::Conn;
use crate::bench_common::Phase;
use crate::bench_common::Scratch;
use crate::bench_common::Tally;
use crate::bench_common::cpu_model;
use crate::bench_common::gather;
use crate::bench_common::login;
use crate::bench_common::print_header;
use crate::bench_common::print_row;

/// The target of issue 34.
const TARGET_ORDER_P99_MS: f64 = 20.0;

/// The benchmark's options.
#[derive(Debug, Clone, clap::Args)]
pub struct BenchLibraryArgs {
    /// Titles of the synthetic catalogue.
    #[arg(long, default_value_t = 2000)]
    pub titles: usize,
    /// Orders to place over HTTP.
    #[arg(long, default_value_t = 2000)]
    pub orders: usize,
    /// Residents ordering at once.
    #[arg(long, default_value_t = 8)]
    pub clients: usize,
    /// Residents in all (each keeps within the loan limit of 20 items).
    #[arg(long, default_value_t = 400)]
    pub readers: usize,
    /// The catalogue's and the orders' seed.
    #[arg(long, default_value_t = 20_261_207)]
    pub seed: u64,
    /// A PostgreSQL URL to serve from a scratch database there (default: a scratch SQLite file).
    #[arg(long)]
    pub database_url: Option<String>,
    /// Also write the figures as JSON to this file.
    #[arg(long)]
    pub json: Option<PathBuf>,
}

#[derive(Debug, Serialize)]
struct Figures {
    backend: String,
    cpus: usize,
    cpu_model: String,
    titles: usize,
    copies: usize,
    /// The engine alone: plan + place of one order, microseconds (median, p99).
    engine_median_us: f64,
    engine_p99_us: f64,
    /// Orders placed over HTTP (201).
    orders: Phase,
    /// Answers 409/422 (loan limit, a title held already).
    refused: usize,
}

/// `minsheng bench library`.
pub async fn run(args: &BenchLibraryArgs, base: Config) -> anyhow::Result<ExitCode> {
    if args.titles == 0 || args.orders == 0 || args.clients == 0 || args.readers < args.clients {
        bail!("--titles, --orders and --clients must be more than zero, --readers at least --clients");
    }
    let (scratch, state) = Scratch::start("bench-library", args.database_url.as_deref(), &base).await?;
    let measured = measure(args, state).await;
    scratch.remove().await?;
    let f = measured?;
    report(args, &f)
}

fn refused(what: &str) -> impl Fn(server::failure::Failure) -> anyhow::Error + '_ {
    move |f| {
        let (code, _, en, field) = f.parts();
        anyhow::anyhow!("{what}: {code}: {en}{}", field.map(|x| format!(" ({x})")).unwrap_or_default())
    }
}

fn percentile(mut v: Vec<f64>, q: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    let n = v.len();
    v.get(((q * n as f64).ceil() as usize).clamp(1, n.max(1)) - 1).copied().unwrap_or(0.0)
}

async fn measure(args: &BenchLibraryArgs, state: AppState) -> anyhow::Result<Figures> {
    let catalogue = library::synth::catalogue(args.seed, args.titles).map_err(|e| anyhow::anyhow!("catalogue: {e}"))?;
    let isbns: Vec<String> = catalogue.titles().map(|t| t.isbn.to_string()).collect();
    let copies = catalogue.copies().len();

    // The engine alone.
    let engine = {
        let mut cat = catalogue.clone();
        let rules = library::LibraryRules::embedded().map_err(|e| anyhow::anyhow!("{e}"))?;
        let fees = library::FeeRules::embedded().map_err(|e| anyhow::anyhow!("{e}"))?;
        let homes = library::synth::homes(args.seed, 1000).map_err(|e| anyhow::anyhow!("{e}"))?;
        let mut holds = library::Holds::new();
        let mut times = Vec::with_capacity(1000);
        let now = chrono::Utc::now();
        for (i, home) in homes.iter().enumerate() {
            let reader = library::ReaderId::parse(&format!("r{i}")).map_err(|e| anyhow::anyhow!("{e}"))?;
            let wanted: Vec<library::order::Wanted> = (0..1 + i % 3).filter_map(|k| library::Isbn::parse(&isbns[(i * 7 + k * 13) % isbns.len()]).ok().map(library::order::Wanted::Title)).collect();
            let t = Instant::now();
            let plan = library::order::plan(&cat, &rules, &library::order::ReaderFacts::default(), &wanted, home);
            if let Ok(plan) = plan {
                let quote = (plan.books > 0).then(|| library::fees::quote(&fees, plan.books, domain::china_date(now), home.handover()).ok()).flatten();
                let _ = library::order::place(&mut cat, &mut holds, &plan, &format!("q{i}"), &reader, quote.as_ref(), now);
            }
            times.push(t.elapsed().as_secs_f64() * 1e6);
        }
        times
    };

    let backend = state.store.backend().name().to_owned();
    eprintln!("准备数据 preparing the registers and the catalogue ({} titles, {copies} copies) on {backend} …", args.titles);
    let opts = demo::seed::SeedOptions { residents: (args.readers * 2).max(300), enterprises: 10, history: 0, medins: false, welfare: false, guardian: false, governance: false, places: false, halls: false, parking: false, library: false, ..Default::default() };
    demo::seed::seed_demo(&state, &opts, &mut |_, _, _| {}).await?;
    let (account, _) = state.store.identity().account_for_login(demo::seed_library::CLERK).await?.context("no library clerk")?;
    let clerk = server::auth::Principal { account, token_hash: String::new() };
    let marc = library::marc::write_catalogue(&catalogue).map_err(|e| anyhow::anyhow!("MARC: {e}"))?;
    server::areas::library::cases::import(&state, &clerk, "marc", &marc).await.map_err(refused("import"))?;
    let readers = state.store.registers().bench_citizens(args.readers as i64).await?;
    if readers.len() < args.clients {
        bail!("only {} residents with accounts", readers.len());
    }
    let app = server::App::serve(state, true).await?;
    let url = app.url();
    let addr = app.addr;
    let http = reqwest::Client::new();
    let mut tokens = Vec::with_capacity(readers.len());
    for r in &readers {
        tokens.push(login(&http, &url, r).await?);
    }
    eprintln!("借阅 ordering: {} orders by {} residents at once …", args.orders, args.clients);
    let per_client = args.orders.div_ceil(args.clients);
    let started = Instant::now();
    let refusals = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut tasks = Vec::with_capacity(args.clients);
    for c in 0..args.clients {
        let mut conn = Conn::open(addr).await?;
        let mine: Vec<String> = tokens.iter().skip(c).step_by(args.clients).cloned().collect();
        let isbns = isbns.clone();
        let refusals = refusals.clone();
        let seed = args.seed as usize;
        tasks.push(tokio::spawn(async move {
            let mut tally = Tally::default();
            for k in 0..per_client {
                let token = &mine[k % mine.len()];
                let n = 1 + (k + c) % 3;
                let picks: Vec<&String> = (0..n).map(|j| &isbns[(seed + c * 7919 + k * 104_729 + j * 15_485_863) % isbns.len()]).collect();
                let lat = 30.0 + ((k * 37 + c) % 100) as f64 / 1000.0;
                let body = serde_json::json!({"isbns": picks, "lat": lat, "lon": 119.95}).to_string();
                let sent = Instant::now();
                match conn.send("POST", "/api/library/orders", token, Some(("application/json", body)), &[]).await {
                    Ok((201, _)) => tally.ok(sent),
                    Ok((409 | 422, _)) => {
                        refusals.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    }
                    Ok((s, b)) => tally.error("order", format!("{s} {}", String::from_utf8_lossy(&b))),
                    Err(e) => tally.error("order", e),
                }
            }
            tally
        }));
    }
    let orders = gather(tasks, started, None).await?;
    app.shutdown().await;
    tokio::time::sleep(Duration::from_millis(10)).await;
    Ok(Figures {
        backend,
        cpus: std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
        cpu_model: cpu_model(),
        titles: args.titles,
        copies,
        engine_median_us: percentile(engine.clone(), 0.5),
        engine_p99_us: percentile(engine, 0.99),
        orders,
        refused: refusals.load(std::sync::atomic::Ordering::Relaxed),
    })
}

fn report(args: &BenchLibraryArgs, f: &Figures) -> anyhow::Result<ExitCode> {
    println!("minsheng bench library — {} on {} CPU(s) ({})", f.backend, f.cpus, f.cpu_model);
    let given: Vec<String> = std::env::args().skip(1).collect();
    println!("command: minsheng {}", given.join(" "));
    println!("catalogue: {} titles, {} copies at 10 branches", f.titles, f.copies);
    println!("engine alone (plan + place, 1–3 titles): median {:.1} µs, p99 {:.1} µs", f.engine_median_us, f.engine_p99_us);
    println!("orders over HTTP ({} residents at once; {} refused for the loan limit or a title held):", args.clients, f.refused);
    print_header(28);
    print_row("order (POST /api/library/orders)", 28, &f.orders);
    let met = f.orders.p99_ms <= TARGET_ORDER_P99_MS && f.orders.errors == 0;
    println!("target: a borrowing order p99 ≤ {TARGET_ORDER_P99_MS:.0} ms (p99 {:.1} ms) — {}", f.orders.p99_ms, if met { "met" } else { "NOT met" });
    if let Some(path) = &args.json {
        std::fs::write(path, serde_json::to_string_pretty(f)?)?;
    }
    Ok(if met { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}
