//! The `minsheng` command: runs the server, the demo district, and the operator's tools
//! (catalog check, migrations, reports, history verification, benchmarks).

mod bench;
mod bench_common;
mod bench_governance;
mod bench_guardian;
mod bench_halls;
mod bench_library;
mod bench_parking;
mod bench_places;
mod bench_pool;
mod medins_cli;
mod welfare_cli;
mod guardian_cli;
mod parking_cli;
mod pool_cli;
mod report;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use server::{App, Config};

/// Prints a line to standard output, stopping quietly when the reader has gone away
/// (`minsheng report reductions | head` must not panic on the closed pipe).
macro_rules! say {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout().lock(), $($t)*);
    }};
}

/// mimalloc: the server allocates many small, short-lived objects on several threads, where
/// glibc's allocator spends a large share of the time (measured with `minsheng bench`).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Debug, Parser)]
#[command(
    name = "minsheng",
    version,
    about = "民生 minsheng — a district's one-thing public services platform",
    long_about = "民生 minsheng: a district government's platform for one-thing services (一件事).\n\n\
Start with `minsheng demo`: it creates the demo district (富阳区) on an embedded SQLite database, \
serves it at http://127.0.0.1:8080 and prints log-ins. `minsheng serve` runs a real deployment from \
a configuration file; every setting can also be given as a MINSHENG__SECTION__KEY environment variable \
(e.g. MINSHENG__DATABASE__URL=postgres://…)."
)]
struct Cli {
    /// A TOML configuration file (defaults are built in; MINSHENG__… variables override both).
    #[arg(long, global = true, env = "MINSHENG_CONFIG")]
    config: Option<PathBuf>,
    /// How log lines are written to standard error: plain (one line of text each) or json (one
    /// object per line). RUST_LOG chooses what is logged. Either way control characters are
    /// escaped and ID numbers, phone numbers and credit codes masked.
    #[arg(long, global = true, env = "MINSHENG_LOG_FORMAT", default_value = "plain")]
    log_format: server::logging::LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the API with the configured database and catalog.
    Serve,
    /// Create (once) and serve the demo district on embedded SQLite.
    Demo(DemoArgs),
    /// Check a service catalog directory; every error names file, line and field.
    Catalog {
        #[command(subcommand)]
        command: CatalogCommand,
    },
    /// Database maintenance.
    Db {
        #[command(subcommand)]
        command: DbCommand,
    },
    /// Reports computed from the catalog and the recorded cases.
    Report {
        #[command(subcommand)]
        command: ReportCommand,
    },
    /// Check every application's hash-chained history; exits 1 if any entry was edited or deleted.
    VerifyHistory(DbArgs),
    /// Benchmarks, one per area: `bench` (or `bench onething`) files and acts on applications over
    /// HTTP; `bench pool`, `bench cockpit`, `bench circles`.
    #[command(args_conflicts_with_subcommands = true)]
    Bench {
        #[command(subcommand)]
        area: Option<BenchArea>,
        #[command(flatten)]
        args: bench::BenchArgs,
    },
    /// The same as `bench pool`.
    #[command(hide = true)]
    BenchPool(bench_pool::BenchPoolArgs),
    /// E-certificates and rider codes: verify one offline (and its revocation with a database).
    Cert(pool_cli::CertArgs),
    /// HL7 FHIR R4: import Bundles of patients and results.
    Fhir(pool_cli::FhirArgs),
    /// The shared data pool: verify the hash-chained access log.
    Pool(pool_cli::PoolArgs),
    /// The same as `bench cockpit`.
    #[command(hide = true)]
    BenchCockpit(BenchCockpitArgs),
    /// Medical insurance for in-patients: load episodes from CSV.
    Medins(medins_cli::MedinsArgs),
    /// Welfare: check a benefit catalog's files, re-evaluate everyone's benefits now.
    Welfare(welfare_cli::WelfareArgs),
    /// The elderly safety guardian: `guardian simulate` plays the demo homes' devices over MQTT.
    Guardian(guardian_cli::GuardianArgs),
    /// Hospital parking guidance: `parking simulate` plays the demo car parks' occupancy feeds over MQTT.
    Parking(parking_cli::ParkingArgs),
    /// 15-minute service circles: analyse a street network, write a synthetic one, benchmark.
    Circles {
        #[command(subcommand)]
        cmd: circles::cli::CirclesCommand,
    },
}

/// The benchmarks, by area.
#[derive(Debug, Subcommand)]
enum BenchArea {
    /// One-thing services: filings and item actions over HTTP with concurrent clients (the default).
    Onething(bench::BenchArgs),
    /// The shared data pool over HTTP: recognition checks and record reads on a million results.
    Pool(bench_pool::BenchPoolArgs),
    /// The cockpit page and the busiest lists (a clerk's queue, a resident's applications) on a
    /// district filled with simulated applications.
    Cockpit(BenchCockpitArgs),
    /// 15-minute circles: import, nearest facility, counts within 15 minutes, E2SFCA and memory.
    Circles(circles::cli::BenchArgs),
    /// Medical insurance: group and settle a million synthetic in-patient episodes as one month.
    Medins(medins_cli::BenchMedinsArgs),
    /// Welfare: every benefit for a million residents; on a scratch database of them, the daily
    /// sweep, one register change to its notice and a month's durable run.
    Welfare(welfare_cli::BenchWelfareArgs),
    /// The elderly safety guardian: 100,000 devices through a real MQTT broker to one or two
    /// servers — readings taken a second, SOS publish to alarm pushed, memory per device.
    Guardian(bench_guardian::BenchGuardianArgs),
    /// Community governance: Open311 reports posted over HTTP at a fixed rate (taken a second,
    /// latency), then an estate's open issues and funds read among a million issues.
    Governance(bench_governance::BenchGovernanceArgs),
    /// Places: 20,000 childcare applicants allocated over 500 institutions (the engine, and a whole
    /// round through the use case over the store), a housing lottery of 50,000 committed, drawn,
    /// verified and reproduced from its seed.
    Places(bench_places::BenchPlacesArgs),
    /// Service halls: a hall day of 5,000 tickets over 40 windows simulated with its waiting-time
    /// estimates (and their error against the simulated waits); over HTTP, the live board's delay
    /// after a call and tickets taken a second.
    Halls(bench_halls::BenchHallsArgs),
    /// Hospital parking guidance: guidance over HTTP at a paced 2,000 requests a second (by sign,
    /// by hospital, and from a driver's position with a road-network search each), and occupancy
    /// readings taken a second over HTTP and over MQTT.
    Parking(bench_parking::BenchParkingArgs),
    /// One-click library borrowing: residents' orders over HTTP (planned from the fastest branch,
    /// quoted and saved with the copies they take), median and p99; the engine alone.
    Library(bench_library::BenchLibraryArgs),
}

#[derive(Debug, clap::Args)]
struct BenchCockpitArgs {
    /// Applications to simulate through the engine (about four in five get filed: the default
    /// gives some 100,000 applications and 380,000 item cases).
    #[arg(long, default_value_t = 127_000)]
    applications: usize,
    /// Page renders to time.
    #[arg(long, default_value_t = 200)]
    renders: usize,
    /// Keep (and reuse) the database in this directory instead of a temporary one.
    #[arg(long)]
    dir: Option<PathBuf>,
    /// Also write the figures as JSON to this file.
    #[arg(long)]
    json: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
struct DemoArgs {
    /// Where the demo keeps its database, uploads and notice log.
    #[arg(long, default_value = "var/demo")]
    data_dir: PathBuf,
    /// Address to serve on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: String,
    /// Delete the demo data first and create it anew.
    #[arg(long)]
    fresh: bool,
    /// Residents to generate.
    #[arg(long, default_value_t = 5000)]
    residents: usize,
    /// Enterprises to generate.
    #[arg(long, default_value_t = 400)]
    enterprises: usize,
    /// Past applications to simulate through the engine.
    #[arg(long, default_value_t = 1500)]
    history: usize,
    /// Create the data and exit instead of serving.
    #[arg(long)]
    no_serve: bool,
    /// Where the demo's embedded MQTT broker listens (the guardian's devices publish there).
    #[arg(long, default_value = "127.0.0.1:1884")]
    mqtt_listen: String,
    /// Do not start the second demo district (上城区, 330102), the cross-region peer.
    #[arg(long)]
    no_peer: bool,
    /// Where the second district (上城区) serves (default: the demo's port + 1).
    #[arg(long)]
    peer_listen: Option<String>,
    /// Do not play the demo car parks' occupancy feeds (`minsheng parking simulate` does it apart).
    #[arg(long)]
    no_parking_feeds: bool,
    /// Each demo car park publishes its occupancy every this many seconds.
    #[arg(long, default_value_t = 30)]
    parking_interval: u64,
}

#[derive(Debug, Subcommand)]
enum CatalogCommand {
    /// Validate a catalog directory (or file) without starting anything.
    Check {
        /// The directory of TOML files, e.g. `catalog`.
        path: PathBuf,
    },
}

#[derive(Debug, clap::Args)]
struct DbArgs {
    /// The database URL (sqlite://… or postgres://…); defaults to the configuration's.
    #[arg(long, env = "MINSHENG_DATABASE_URL")]
    database_url: Option<String>,
}

#[derive(Debug, Subcommand)]
enum DbCommand {
    /// Apply the embedded migrations.
    Migrate(DbArgs),
}

#[derive(Debug, Subcommand)]
enum ReportCommand {
    /// Trips, materials and days saved against applying item by item, per bundle and in total.
    Reductions {
        #[command(flatten)]
        db: DbArgs,
        /// table or json
        #[arg(long, default_value = "table")]
        format: String,
    },
}

fn load_config(cli: &Cli) -> anyhow::Result<Config> {
    Ok(Config::load(cli.config.as_deref(), std::env::vars())?)
}

fn with_database(mut config: Config, db: &DbArgs) -> Config {
    if let Some(url) = &db.database_url {
        config.database_url = server::config::Secret::new(url.clone());
    }
    config
}

/// A progress callback for work in named stages: each new stage restarts the bar under its name.
fn staged(pb: &ProgressBar) -> impl FnMut(&str, u64, u64) + '_ {
    let mut stage = String::new();
    move |s: &str, done, total| {
        if s != stage {
            stage = s.to_owned();
            pb.set_prefix(s.to_owned());
            pb.reset();
        }
        pb.set_length(total);
        pb.set_position(done);
    }
}

fn bar(len: u64, prefix: &str) -> ProgressBar {
    let pb = ProgressBar::new(len);
    pb.set_style(
        ProgressStyle::with_template("{prefix:.bold} [{bar:40.cyan/blue}] {pos}/{len} {elapsed}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    pb.set_prefix(prefix.to_owned());
    pb
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    // Every command logs through the one writer that escapes and masks (`server::logging`).
    if let Err(e) = server::logging::init(cli.log_format) {
        eprintln!("错误 error: logging: {e}");
        return ExitCode::FAILURE;
    }
    match run(cli).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("错误 error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match &cli.command {
        Command::Serve => {
            let config = load_config(&cli)?;
            server::run_with(config, web::router).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Demo(args) => demo(&cli, args).await,
        Command::Catalog { command: CatalogCommand::Check { path } } => Ok(catalog_check(path)),
        Command::Db { command: DbCommand::Migrate(db) } => {
            let config = with_database(load_config(&cli)?, db);
            let store = server::open_store(&config).await?;
            println!("数据库已迁移至最新版本 migrated: {}", store.backend().name());
            store.close().await;
            Ok(ExitCode::SUCCESS)
        }
        Command::Report { command: ReportCommand::Reductions { db, format } } => {
            let config = with_database(load_config(&cli)?, db);
            let state = server::build_state(config, Arc::new(domain::SystemClock)).await?;
            let r = server::areas::onething::cases::reduction_report(&state).await.map_err(|e| anyhow::anyhow!("{e}"))?;
            match format.as_str() {
                "json" => say!("{}", serde_json::to_string_pretty(&r)?),
                "table" => say!("{}", report::reductions_table(&r).trim_end()),
                other => anyhow::bail!("--format {other}: expected table or json"),
            }
            state.store.close().await;
            Ok(ExitCode::SUCCESS)
        }
        Command::VerifyHistory(db) => {
            let config = with_database(load_config(&cli)?, db);
            let store = server::open_store(&config).await?;
            let pb = bar(0, "verify");
            let report = store
                .onething().verify_histories(|done, total| {
                    pb.set_length(total);
                    pb.set_position(done);
                })
                .await?;
            pb.finish_and_clear();
            say!(
                "已核验 {} 件申请的 {} 条历史记录 checked {} entries of {} applications",
                report.applications, report.entries, report.entries, report.applications
            );
            store.close().await;
            if report.broken.is_empty() && report.orphans == 0 {
                say!("历史记录完整，未发现篡改或删除 the history is intact");
                Ok(ExitCode::SUCCESS)
            } else {
                for (app, why) in &report.broken {
                    say!("申请 application {app}: {why}");
                }
                if report.orphans > 0 {
                    say!("{} 条历史记录所属的申请已被删除 entries belong to deleted applications", report.orphans);
                }
                say!("发现 {} 处篡改 tampering found", report.broken.len() + usize::from(report.orphans > 0));
                Ok(ExitCode::from(1))
            }
        }
        Command::Bench { area: Some(BenchArea::Onething(args)), .. } | Command::Bench { area: None, args } => {
            bench::run(args, load_config(&cli)?).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Bench { area: Some(BenchArea::Pool(args)), .. } => bench_pool::run(args, load_config(&cli)?).await,
        Command::Bench { area: Some(BenchArea::Cockpit(args)), .. } => bench_cockpit(args).await,
        Command::Bench { area: Some(BenchArea::Welfare(args)), .. } => welfare_cli::bench(args, load_config(&cli)?).await,
        Command::Bench { area: Some(BenchArea::Guardian(args)), .. } => bench_guardian::run(args, load_config(&cli)?).await,
        Command::Bench { area: Some(BenchArea::Governance(args)), .. } => bench_governance::run(args, load_config(&cli)?).await,
        Command::Bench { area: Some(BenchArea::Places(args)), .. } => bench_places::run(args, load_config(&cli)?).await,
        Command::Bench { area: Some(BenchArea::Halls(args)), .. } => bench_halls::run(args, load_config(&cli)?).await,
        Command::Bench { area: Some(BenchArea::Parking(args)), .. } => bench_parking::run(args, load_config(&cli)?).await,
        Command::Bench { area: Some(BenchArea::Library(args)), .. } => bench_library::run(args, load_config(&cli)?).await,
        Command::Bench { area: Some(BenchArea::Medins(args)), .. } => {
            let args = args.clone();
            tokio::task::spawn_blocking(move || medins_cli::bench(&args)).await?
        }
        Command::Bench { area: Some(BenchArea::Circles(args)), .. } => {
            let cmd = circles::cli::CirclesCommand::Bench(args.clone());
            tokio::task::spawn_blocking(move || circles::cli::run(cmd)).await??;
            Ok(ExitCode::SUCCESS)
        }
        Command::BenchPool(args) => bench_pool::run(args, load_config(&cli)?).await,
        Command::Cert(args) => pool_cli::cert(args, load_config(&cli)?).await,
        Command::Fhir(args) => pool_cli::fhir(args, load_config(&cli)?).await,
        Command::Pool(args) => pool_cli::pool_command(args, load_config(&cli)?).await,
        Command::Medins(args) => medins_cli::run(args, load_config(&cli)?).await,
        Command::Welfare(args) => welfare_cli::run(args, load_config(&cli)?).await,
        Command::Guardian(args) => guardian_cli::run(args).await,
        Command::Parking(args) => parking_cli::run(args).await,
        Command::BenchCockpit(args) => bench_cockpit(args).await,
        Command::Circles { cmd } => {
            let cmd = cmd.clone();
            tokio::task::spawn_blocking(move || circles::cli::run(cmd)).await??;
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn catalog_check(path: &std::path::Path) -> ExitCode {
    match catalog::Catalog::load_dir(path) {
        Ok(c) => {
            let s = c.stats();
            say!(
                "目录有效 catalog OK: {} 个部门 departments, {} 个事项 items, {} 件一件事 bundles, {} 种材料 materials, {} 类共享记录 record types, {} 个流程 workflows",
                s.departments, s.items, s.bundles, s.materials, s.record_types, s.workflows
            );
            for (stage, n) in &s.bundles_per_stage {
                say!("  {:<8} {:<28} {n}", stage.name_zh(), stage.name_en());
            }
            ExitCode::SUCCESS
        }
        Err(errors) => {
            for e in &errors.0 {
                eprintln!("{e}");
            }
            eprintln!("目录有 {} 处错误 the catalog has {} error(s)", errors.0.len(), errors.0.len());
            ExitCode::from(1)
        }
    }
}

/// The second demo district, the cross-region peer (跨区域通办) `minsheng demo` starts beside 富阳区.
const PEER_CODE: &str = "330102";
const PEER_NAME: &str = "上城区";
/// The demo district's own code and name (the configuration's defaults).
const DEMO_CODE: &str = "330111";
const DEMO_NAME: &str = "富阳区";

/// A district's signing seed, made once and kept in `dir/pool-signing.key` (base64url, mode 0600):
/// the file the server keeps its key in, so that a demo made before keeps its key, and
/// `minsheng cert verify` reads the same key offline.
fn district_seed(dir: &std::path::Path) -> anyhow::Result<[u8; 32]> {
    use base64::Engine as _;
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let path = dir.join("pool-signing.key");
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    if path.exists() {
        let text = std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
        let bytes = b64.decode(text.trim()).with_context(|| format!("{} is not base64url", path.display()))?;
        return <[u8; 32]>::try_from(bytes.as_slice()).map_err(|_| anyhow::anyhow!("{} is not a 32-byte key", path.display()));
    }
    let mut seed = [0u8; 32];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut seed);
    let mut f = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&path).with_context(|| format!("creating {}", path.display()))?;
    f.write_all(b64.encode(seed).as_bytes())?;
    Ok(seed)
}

fn seed_text(seed: &[u8; 32]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(seed)
}

/// The public key a peer configures for the district signing with `seed`.
fn public_key(seed: &[u8; 32]) -> String {
    halls::crossregion::key_text(&ed25519_dalek::SigningKey::from_bytes(seed).verifying_key())
}

/// A district's own code, name and key, and its one peer's code, name, URL and key, as settings.
fn district_env(code: &str, name: &str, seed: &[u8; 32], peer: (&str, &str, &str, &[u8; 32])) -> Vec<(String, String)> {
    let (pcode, pname, purl, pseed) = peer;
    vec![
        ("MINSHENG__POOL__SIGNING_KEY".into(), seed_text(seed)),
        ("MINSHENG__HALLS__DISTRICT".into(), code.into()),
        ("MINSHENG__HALLS__DISTRICT_NAME".into(), name.into()),
        (format!("MINSHENG__HALLS__PEERS__{pcode}__NAME"), pname.into()),
        (format!("MINSHENG__HALLS__PEERS__{pcode}__URL"), purl.into()),
        (format!("MINSHENG__HALLS__PEERS__{pcode}__PUBLIC_KEY"), public_key(pseed)),
    ]
}

/// A free loopback port (for a demo asked to listen on port 0 beside its peer: each must know
/// the other's address before it starts).
fn free_port(ip: std::net::IpAddr) -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind((ip, 0))?.local_addr()?.port())
}

/// The URL of an address to listen on (a wildcard address is reached on loopback).
fn url_of(addr: std::net::SocketAddr) -> String {
    let ip = if addr.ip().is_unspecified() { std::net::IpAddr::from([127, 0, 0, 1]) } else { addr.ip() };
    format!("http://{}", std::net::SocketAddr::new(ip, addr.port()))
}

/// Where the demo and its peer listen: the demo's address (a port picked when 0) and the peer's
/// (`--peer-listen`, else the demo's port + 1).
fn demo_addresses(args: &DemoArgs) -> anyhow::Result<(String, Option<std::net::SocketAddr>)> {
    if args.no_peer {
        return Ok((args.listen.clone(), None));
    }
    let mut main: std::net::SocketAddr = args.listen.parse().with_context(|| format!("--listen {}: expected IP:port (or give --no-peer)", args.listen))?;
    if main.port() == 0 {
        main.set_port(free_port(main.ip())?);
    }
    let peer: std::net::SocketAddr = match &args.peer_listen {
        Some(p) => p.parse().with_context(|| format!("--peer-listen {p}: expected IP:port"))?,
        None => std::net::SocketAddr::new(main.ip(), main.port().checked_add(1).context("--listen: no port after it for the peer")?),
    };
    let peer = if peer.port() == 0 { std::net::SocketAddr::new(peer.ip(), free_port(peer.ip())?) } else { peer };
    Ok((main.to_string(), Some(peer)))
}

async fn demo(cli: &Cli, args: &DemoArgs) -> anyhow::Result<ExitCode> {
    if args.fresh && args.data_dir.exists() {
        std::fs::remove_dir_all(&args.data_dir).with_context(|| format!("removing {}", args.data_dir.display()))?;
    }
    std::fs::create_dir_all(&args.data_dir).with_context(|| format!("creating {}", args.data_dir.display()))?;
    let db = args.data_dir.join("minsheng.db");
    let (listen, peer_addr) = demo_addresses(args)?;
    // The peer is started only to be served: `--no-serve` creates the demo district alone.
    let peer_addr = peer_addr.filter(|_| !args.no_serve);
    let peer_dir = args.data_dir.join("peer");
    // Each district's key: kept in its data directory, given to it as its signing key and to the
    // other as its peer's public key.
    let own_seed = district_seed(&args.data_dir)?;
    let mut env: Vec<(String, String)> = vec![
        ("MINSHENG__DATA_DIR".into(), args.data_dir.display().to_string()),
        ("MINSHENG__DATABASE__URL".into(), format!("sqlite://{}", db.display())),
        ("MINSHENG__LISTEN".into(), listen.clone()),
        // The guardian's devices publish to a broker inside the demo.
        ("MINSHENG__GUARDIAN__MQTT".into(), "embedded".into()),
        ("MINSHENG__GUARDIAN__EMBEDDED_LISTEN".into(), args.mqtt_listen.clone()),
        ("MINSHENG__POOL__SIGNING_KEY".into(), seed_text(&own_seed)),
    ];
    let peer = match peer_addr {
        Some(addr) => {
            std::fs::create_dir_all(&peer_dir).with_context(|| format!("creating {}", peer_dir.display()))?;
            let peer_seed = district_seed(&peer_dir)?;
            env.extend(district_env(DEMO_CODE, DEMO_NAME, &own_seed, (PEER_CODE, PEER_NAME, &url_of(addr), &peer_seed)));
            Some((addr, peer_seed))
        }
        None => None,
    };
    env.extend(std::env::vars().filter(|(k, _)| k.starts_with("MINSHENG__")));
    let config = Config::load(cli.config.as_deref(), env)?;
    let state = server::build_state(config, Arc::new(domain::SystemClock)).await?;
    let opts = demo::seed::SeedOptions {
        residents: args.residents,
        enterprises: args.enterprises,
        history: args.history,
        ..Default::default()
    };
    let pb = bar(0, "demo");
    let report = demo::seed::seed_demo(&state, &opts, &mut staged(&pb)).await?;
    pb.finish_and_clear();
    if report.already_seeded {
        println!("演示数据已存在（使用 --fresh 重新生成） demo data already present in {}", args.data_dir.display());
    } else {
        println!(
            "已生成富阳区演示数据：{} 个行政区划、{} 名居民、{} 家企业、{} 条共享数据、{} 个账号、{} 件历史办件",
            report.divisions, report.persons, report.enterprises, report.records, report.accounts, report.applications
        );
    }
    if args.no_serve {
        state.store.close().await;
        return Ok(ExitCode::SUCCESS);
    }
    let pages = web::router(state.clone());
    let app = App::serve_with(state, true, pages).await?;
    let url = app.url();
    // The second district: its own data, the same registers; a failure leaves the demo running alone.
    let peer_app = match peer {
        Some((addr, peer_seed)) => match start_peer(cli, &opts, &peer_dir, addr, &peer_seed, (&url, &own_seed)).await {
            Ok(p) => Some(p),
            Err(e) => {
                eprintln!("警告 warning: the second district {PEER_NAME} did not start ({e:#}); the demo runs alone");
                None
            }
        },
        None => None,
    };
    println!();
    println!("民生 minsheng 演示区 富阳区 is running:");
    println!("  网上办事大厅 service hall  {url}/");
    println!("  工作台 workbench           {url}/staff");
    println!("  数字驾驶舱 cockpit          {url}/cockpit");
    println!("  API        {url}/api");
    println!("  OpenAPI    {url}/api/openapi.json");
    println!("  Health     {url}/healthz");
    if let server::config::Telemetry::Embedded(mqtt) = &app.state.config.guardian.telemetry {
        println!("  MQTT       mqtt://{mqtt}   (minsheng guardian simulate --devices {}/guardian-devices.csv)", args.data_dir.display());
    }
    if let Ok(Some(centre)) = demo::seed_halls::district_centre(&app.state).await {
        println!("  叫号屏 hall board           {url}/api/halls/{centre}/board/live   (服务大厅 halls: {url}/api/halls)");
        if let Ok(h) = server::areas::halls::cases::load_hall(&app.state, &centre.to_string()).await
            && let Some((day, _, _)) = demo::seed_halls::history_day(&h.hall, app.state.now())
        {
            println!("  大厅驾驶舱 hall figures     {url}/api/halls/{centre}/figures?day={day}   ({} 的取号记录 the day's tickets, admin)", demo::seed_halls::DISTRICT_CENTRE);
        }
    }
    let feeds = start_parking_feeds(args, &app);
    if let Ok(hospitals) = server::areas::parking::cases::hospitals(&app.state).await
        && let Some(h) = hospitals.first()
    {
        let sign = demo::seed_parking::SIGNS.iter().find(|s| s.hospital == h.id).map_or("", |s| s.id);
        println!("  停车诱导 parking guidance   {url}/api/parking/guidance?hospital={}   (诱导屏 sign: {url}/api/parking/signs/{sign}; ParkAPI: {url}/api/parking/parkapi/v3/parking-sites)", h.id);
        match &feeds {
            Some((n, _, _)) => println!("                             {n} 个停车场每 {} 秒经 MQTT 上报车位（模拟）, {n} car parks' feeds simulated; hospitals: {url}/api/parking/hospitals", args.parking_interval),
            None => println!("                             停车场数据未模拟 feeds not simulated (minsheng parking simulate --feeds {}/{})", args.data_dir.display(), demo::seed_parking::FEEDS_FILE),
        }
    }
    if let Some(p) = &peer_app {
        print_peer(&app, p).await;
    }
    println!();
    println!("演示账号 demo log-ins (password 密码: {}):", demo::seed::DEMO_PASSWORD);
    for l in &report.logins {
        println!("  {:<22} {}", l.login, l.who);
    }
    println!();
    println!("例如 e.g.: curl -s {url}/api/auth/login -H 'content-type: application/json' -d '{{\"login\":\"admin\",\"password\":\"{}\"}}'", demo::seed::DEMO_PASSWORD);
    println!("按 Ctrl-C 停止 press Ctrl-C to stop");
    let stop = app.stopper();
    let peer_stop = peer_app.as_ref().map(App::stopper);
    tokio::spawn(async move {
        server::shutdown_signal().await;
        // The car parks' feeds sign off before their broker goes.
        if let Some((_, task, feeds_stop)) = feeds {
            let _ = feeds_stop.send(true);
            let _ = tokio::time::timeout(std::time::Duration::from_secs(3), task).await;
        }
        let _ = stop.send(true);
        if let Some(s) = peer_stop {
            let _ = s.send(true);
        }
    });
    app.wait().await;
    if let Some(p) = peer_app {
        let _ = p.stopper().send(true);
        p.wait().await;
    }
    Ok(ExitCode::SUCCESS)
}

/// Plays the demo car parks' occupancy feeds in-process through the embedded broker, until told
/// to stop (or the demo stops): how many lots publish, the task and its stopper (`None`: not
/// started — no embedded broker, no feeds file, or `--no-parking-feeds`).
fn start_parking_feeds(args: &DemoArgs, app: &App) -> Option<(usize, tokio::task::JoinHandle<()>, tokio::sync::watch::Sender<bool>)> {
    if args.no_parking_feeds {
        return None;
    }
    let server::config::Telemetry::Embedded(mqtt) = &app.state.config.guardian.telemetry else { return None };
    let path = args.data_dir.join(demo::seed_parking::FEEDS_FILE);
    if !path.exists() {
        eprintln!("提示 note: {} is missing (demo data made before parking guidance: start with --fresh); the car parks' feeds are not simulated", path.display());
        return None;
    }
    let feeds = match parking_cli::read_feeds(&path) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("警告 warning: the car parks' feeds are not simulated: {e:#}");
            return None;
        }
    };
    let n = feeds.len();
    let opts = parking_cli::Options {
        broker: format!("mqtt://{}", if mqtt.ip().is_unspecified() { std::net::SocketAddr::new(std::net::IpAddr::from([127, 0, 0, 1]), mqtt.port()) } else { *mqtt }),
        interval: std::time::Duration::from_secs(args.parking_interval.max(1)),
        silent: 2,
        seed: 20_261_207,
        run_for: None,
        verbose: false,
    };
    let (own_stop, stop) = tokio::sync::watch::channel(false);
    let mut demo_stop = app.stopper().subscribe();
    let task = tokio::spawn(async move {
        let run = parking_cli::run_feeds(feeds, opts, stop);
        tokio::pin!(run);
        // Stopped by the demo's own stopper too (the server stopped some other way).
        let outcome = tokio::select! {
            r = &mut run => Some(r),
            _ = demo_stop.changed() => None,
        };
        if let Some(Err(e)) = outcome {
            tracing::warn!(error = %format!("{e:#}"), "the demo car parks' feeds stopped");
        }
    });
    Some((n, task, own_stop))
}

/// Starts 上城区 beside the demo: its own data directory and SQLite database, the same demo
/// registers (the same seed and sizes, so the same residents exist there; its own history and
/// areas are left out), configured with 富阳区 as its peer.
async fn start_peer(cli: &Cli, opts: &demo::seed::SeedOptions, dir: &std::path::Path, addr: std::net::SocketAddr, seed: &[u8; 32], main: (&str, &[u8; 32])) -> anyhow::Result<App> {
    let (main_url, main_seed) = main;
    // The demo's own settings are not the peer's; the rest (argon2, poll intervals, …) are shared.
    let mine = ["MINSHENG__DATA_DIR", "MINSHENG__DATABASE__URL", "MINSHENG__LISTEN", "MINSHENG__POOL__SIGNING_KEY", "MINSHENG__POOL__KEY_FILE", "MINSHENG__HALLS__DISTRICT", "MINSHENG__HALLS__PEERS__", "MINSHENG__GUARDIAN__"];
    let mut env: Vec<(String, String)> = std::env::vars().filter(|(k, _)| k.starts_with("MINSHENG__") && !mine.iter().any(|m| k.starts_with(m))).collect();
    env.extend([
        ("MINSHENG__DATA_DIR".to_owned(), dir.display().to_string()),
        ("MINSHENG__DATABASE__URL".to_owned(), format!("sqlite://{}", dir.join("minsheng.db").display())),
        ("MINSHENG__LISTEN".to_owned(), addr.to_string()),
    ]);
    env.extend(district_env(PEER_CODE, PEER_NAME, seed, (DEMO_CODE, DEMO_NAME, main_url, main_seed)));
    let config = Config::load(cli.config.as_deref(), env)?;
    let state = server::build_state(config, Arc::new(domain::SystemClock)).await?;
    let peer_opts = demo::seed::SeedOptions { history: 0, medins: false, welfare: false, guardian: false, governance: false, places: false, halls: false, parking: false, library: false, ..opts.clone() };
    let pb = bar(0, PEER_NAME);
    let seeded = demo::seed::seed_demo(&state, &peer_opts, &mut staged(&pb)).await;
    pb.finish_and_clear();
    seeded?;
    // The same people: the generator is a function of the seed, the sizes and the day.
    let today = domain::china_date(state.now());
    if let Some((login, _)) = state.store.registers().demo_citizen(today).await?
        && state.store.registers().person_by_id_number(&login).await?.is_none()
    {
        eprintln!("警告 warning: {PEER_NAME}'s register was made on another day or with other sizes; start with --fresh for the same residents in both");
    }
    let pages = web::router(state.clone());
    Ok(App::serve_with(state, true, pages).await?)
}

/// The second district's addresses and how a case goes across and back.
async fn print_peer(app: &App, peer: &App) {
    let (url, purl) = (app.url(), peer.url());
    let pw = demo::seed::DEMO_PASSWORD;
    let today = domain::china_date(app.state.now());
    let who = app.state.store.registers().demo_citizen(today).await.ok().flatten().unwrap_or_else(|| ("<身份证号 ID number>".into(), "<姓名 name>".into()));
    println!();
    println!("第二个演示区 {PEER_NAME}（{PEER_CODE}），跨区域通办的对端 the second demo district, the cross-region peer:");
    println!("  网上办事大厅 service hall  {purl}/");
    println!("  工作台 workbench           {purl}/staff");
    println!("  区公钥 district key         {purl}/api/crossregion/key   ({DEMO_NAME}: {url}/api/crossregion/key)");
    println!("跨区域通办示例 a window in {DEMO_NAME} hands a case to {PEER_NAME}:");
    println!(
        "  TOKEN=$(curl -s {url}/api/auth/login -H 'content-type: application/json' -d '{{\"login\":\"window\",\"password\":\"{pw}\"}}' | sed -E 's/.*\"token\":\"([^\"]+)\".*/\\1/')"
    );
    println!(
        "  curl -s {url}/api/crossregion/cases -H \"authorization: Bearer $TOKEN\" -H 'content-type: application/json' -d '{{\"district\":\"{PEER_CODE}\",\"item\":\"zgj-housing-status\",\"applicant\":\"{}\",\"applicant_name\":\"{}\",\"phone\":\"13905710001\"}}'",
        who.0, who.1
    );
    println!("  {PEER_NAME} files it through its own engine: admin sees it at {purl}/api/crossregion/inbound, zgj_clerk/zgj_reviewer/zgj_approver handle it at {purl}/staff");
    println!("  the result comes back to {DEMO_NAME}: {url}/api/crossregion/cases (window), {url}/api/crossregion/cases/mine (the resident {})", who.0);
}

async fn bench_cockpit(args: &BenchCockpitArgs) -> anyhow::Result<ExitCode> {
    let opts = web::bench::BenchOptions { applications: args.applications, renders: args.renders, dir: args.dir.clone() };
    let pb = bar(0, "fill");
    let report = web::bench::cockpit(&opts, &mut staged(&pb)).await?;
    pb.finish_and_clear();
    println!("驾驶舱基准 cockpit benchmark ({} CPUs)", report.cpus);
    println!("  applications 办件            {}", report.applications);
    println!("  item cases 事项办件          {}", report.cases);
    println!("  fill 生成用时                {:.1} s", report.fill_seconds);
    println!("  snapshot 统计快照 (median)   {:.1} ms", report.snapshot_ms);
    println!("  first render 首次渲染        {:.1} ms", report.cold_render_ms);
    println!("  /cockpit render median      {:.2} ms (p90 {:.2} ms, {} renders)", report.render_median_ms, report.render_p90_ms, report.renders);
    println!("  /cockpit?town= median       {:.2} ms", report.town_render_median_ms);
    println!("  /staff (clerk queue) median {:.2} ms", report.queue_render_median_ms);
    println!("  /applications (resident)    {:.2} ms", report.mine_render_median_ms);
    println!("  /staff (all departments)    {:.2} ms", report.admin_queue_render_median_ms);
    println!("  /supervision (all)          {:.2} ms", report.supervision_render_median_ms);
    if let Some(path) = &args.json {
        std::fs::write(path, serde_json::to_string_pretty(&report)?).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(ExitCode::SUCCESS)
}
