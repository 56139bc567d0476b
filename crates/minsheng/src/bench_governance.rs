//! `minsheng bench governance`: community governance (issue 33) under a district's load. A scratch
//! server (SQLite, or a scratch PostgreSQL database) gets the demo's registers, a few hundred
//! estates registered through the area's use case (their parties and owners real residents'
//! accounts), their public income and budget lines, and an Open311 client application; then
//!
//! 1. Open311 reports are posted over HTTP (`POST /api/open311/v2/requests.json`, form-encoded
//!    with the client's api_key, as an existing Open311 app sends them) at a fixed offered rate by
//!    concurrent clients, open loop: reports taken a second and their latency from each one's slot;
//! 2. a million issues of the synthetic district (`governance::synth`, each walked through the
//!    engine) are loaded on those estates, and an estate's open issues
//!    (`GET /api/governance/issues?estate=…&open=true`), its public funds
//!    (`GET /api/governance/estates/{id}/funds`) and Open311's list of a service's open requests
//!    are timed, one request after another.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;
use std::time::Instant;

use anyhow::Context;
use anyhow::bail;
use chrono::DateTime;
use chrono::Utc;
use governance::Estate;
use governance::synth::SynthConfig;
use serde::Serialize;
use server::Config;
use server::areas::governance::cases;
use server::areas::governance::civic;
use server::areas::governance::views::ClientBody;
use server::areas::governance::views::EstateBody;
use server::areas::governance::views::IncomeBody;
use server::areas::governance::views::LineBody;
use server::areas::governance::views::OwnerBody;
use server::areas::governance::views::PartyBody;
use server::areas::governance::views::UnitBody;
use server::auth::Principal;
use server::state::AppState;
use store::GovDoc;
use store::GovFilter;

use crate::bench_common::Pacer;
use crate::bench_common::Phase;
use crate::bench_common::Conn;
use crate::bench_common::Scratch;
use crate::bench_common::Tally;
use crate::bench_common::cpu_model;
use crate::bench_common::gather;
use crate::bench_common::print_header;
use crate::bench_common::print_row;
use crate::bench_common::summarise;

/// The district's villages and communities (the national division table the demo embeds).
const VILLAGES: &str = include_str!("../../../data/divisions/villages-330111.csv");

/// The Open311 jurisdiction the server answers for by default.
const JURISDICTION: &str = "330111";

/// The targets of issue 33, for the verdict under the table.
const TARGET_POSTS_PER_SECOND: f64 = 1000.0;
const TARGET_POST_P99_MS: f64 = 20.0;
const TARGET_READ_MS: f64 = 5.0;

/// The benchmark's options.
#[derive(Debug, Clone, clap::Args)]
pub struct BenchGovernanceArgs {
    /// Estates registered (each with its party branch, committee, property company, stationed
    /// worker, mediator and owners, all residents' accounts).
    #[arg(long, default_value_t = 300)]
    pub estates: u32,
    /// Owners registered in each estate (one unit each).
    #[arg(long, default_value_t = 20)]
    pub owners: u32,
    /// Public income entries recorded for each estate over the last year (its funds page).
    #[arg(long, default_value_t = 12)]
    pub incomes: u32,
    /// Open311 reports offered a second, shared by the clients (open loop).
    #[arg(long, default_value_t = 1000.0)]
    pub rate: f64,
    /// Seconds the reports are posted.
    #[arg(long, default_value_t = 20)]
    pub seconds: u64,
    /// Concurrent Open311 clients (keep-alive connections).
    #[arg(long, default_value_t = 64)]
    pub clients: usize,
    /// Synthetic issues loaded before the reads are timed.
    #[arg(long, default_value_t = 1_000_000)]
    pub issues: u64,
    /// Requests timed for each read (one after another).
    #[arg(long, default_value_t = 300)]
    pub reads: usize,
    /// Seconds to wait after loading before the reads are timed: on PostgreSQL, for autovacuum
    /// (or an operator) to ANALYZE the loaded table — straight after a bulk load its planner
    /// still takes it for a small one, and an estate's issues are read by a full scan.
    #[arg(long, default_value_t = 0)]
    pub settle: u64,
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
    cpus: usize,
    cpu_model: String,
    estates: usize,
    owners_per_estate: u32,
    clients: usize,
    seconds: u64,
    /// Reports answered 200 and reports stored.
    posted: usize,
    stored: i64,
    posts: Phase,
    issues_loaded: u64,
    /// Seconds waited after loading before the reads.
    settle_seconds: u64,
    load_seconds: f64,
    load_per_second: f64,
    /// The SQLite file with its WAL after loading (none on PostgreSQL).
    database_mib: Option<f64>,
    estate_open_issues: Phase,
    estate_funds: Phase,
    open311_open_requests: Phase,
}

/// `application/x-www-form-urlencoded` of one value.
fn form_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'*' => out.push(b as char),
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

fn form(fields: &[(String, String)]) -> String {
    fields.iter().map(|(k, v)| format!("{}={}", form_encode(k), form_encode(v))).collect::<Vec<_>>().join("&")
}

/// The district's communities and villages (12-digit codes), in code order.
fn communities() -> Vec<String> {
    let mut out: Vec<String> = VILLAGES
        .lines()
        .skip(1)
        .filter_map(|l| l.split(',').next())
        .filter(|c| c.len() == 12 && c.starts_with(JURISDICTION) && c.bytes().all(|b| b.is_ascii_digit()))
        .map(str::to_owned)
        .collect();
    out.sort();
    out.dedup();
    out
}

/// The principal of an account, for calling the use cases as that person.
async fn principal(state: &AppState, login: &str) -> anyhow::Result<Principal> {
    let (account, _) = state.store.identity().account_for_login(login).await?.with_context(|| format!("no account {login}"))?;
    Ok(Principal { account, token_hash: String::new() })
}

/// What a use case's refusal says, for the benchmark's error.
fn refused(what: &str, f: &server::failure::Failure) -> anyhow::Error {
    let (code, _, en, field) = f.parts();
    anyhow::anyhow!("{what}: {code}: {en}{}", field.map(|x| format!(" ({x})")).unwrap_or_default())
}

/// Registers `n` estates on a grid over the district (a few kilometres apart, so that a report
/// within 800 m of one is of that one), each with six residents as its parties and `owners`
/// more as owners; the estates as registered (id, lat, lon).
async fn register_estates(state: &AppState, admin: &Principal, citizens: &[String], n: u32, owners: u32, incomes: u32) -> anyhow::Result<Vec<(u64, f64, f64)>> {
    let codes = communities();
    if codes.is_empty() {
        bail!("no community codes in the division table");
    }
    let need = 6 + owners as usize;
    if citizens.len() < need {
        bail!("{} residents with accounts; an estate needs {need}", citizens.len());
    }
    // Inside 富阳区's bounds (29.70–30.25 N, 119.50–120.25 E), away from the edges.
    let cols = f64::from(n).sqrt().ceil().max(1.0) as u32;
    let rows = n.div_ceil(cols).max(1);
    let (lat0, lat1, lon0, lon1) = (29.76, 30.19, 119.56, 120.19);
    let today = domain::china_date(state.now());
    let mut out = Vec::new();
    for i in 0..n {
        let (r, c) = (i / cols, i % cols);
        let lat = lat0 + (lat1 - lat0) * f64::from(r) / f64::from(rows.max(2) - 1);
        let lon = lon0 + (lon1 - lon0) * f64::from(c) / f64::from(cols.max(2) - 1);
        let (lat, lon) = ((lat * 1e6).round() / 1e6, (lon * 1e6).round() / 1e6);
        let base = (i as usize * 6) % citizens.len();
        let who = |k: usize| citizens[(base + k) % citizens.len()].clone();
        let id = 100 + u64::from(i);
        let name = format!("基准小区{i}");
        let body = EstateBody {
            id,
            name: name.clone(),
            community: codes[i as usize % codes.len()].clone(),
            lat,
            lon,
            party_branch: Some(PartyBody { name: format!("{name}党支部"), members: vec![who(0)] }),
            committee_kind: "owners_committee".into(),
            committee: PartyBody { name: format!("{name}业主委员会"), members: vec![who(1), who(2)] },
            property_company: Some(PartyBody { name: format!("{name}物业"), members: vec![who(3)] }),
            worker: Some(who(4)),
            helpers: BTreeMap::from([("mediator".to_owned(), vec![who(5)])]),
            owners: (0..owners as usize)
                .map(|k| OwnerBody { login: who(6 + k), units: vec![UnitBody { number: format!("{}-{}", k / 12 + 1, k % 12 + 101), area_m2: format!("{}.50", 60 + (k * 7) % 80) }] })
                .collect(),
        };
        cases::save_estate(state, admin, body).await.map_err(|f| refused(&format!("registering estate {id}"), &f))?;
        // Its public funds: income over the last year and this year's budget lines.
        let committee = principal(state, &who(1)).await?;
        for k in 0..incomes {
            let on = today - chrono::Days::new(u64::from(k) * 365 / u64::from(incomes.max(1)));
            let body = IncomeBody {
                source: if k % 2 == 0 { "parking".into() } else { "advertising".into() },
                amount: format!("{}.00", 800 + (k * 131 + i * 17) % 4000),
                date: on.to_string(),
                note: format!("第 {} 期", k + 1),
            };
            civic::record_income(state, &committee, &id.to_string(), body).await.map_err(|f| refused(&format!("income of estate {id}"), &f))?;
        }
        if incomes > 0 {
            for (line, amount) in [("公共设施维修", "20000.00"), ("绿化养护", "8000.00")] {
                let body = LineBody { year: chrono::Datelike::year(&today), name: line.into(), amount: amount.into() };
                civic::add_line(state, &committee, &id.to_string(), body).await.map_err(|f| refused(&format!("budget line of estate {id}"), &f))?;
            }
        }
        out.push((id, lat, lon));
    }
    Ok(out)
}

/// The form of one Open311 report: a service (cycling through them all, required attributes
/// given) a little way from an estate.
fn report_form(key: &str, estates: &[(u64, f64, f64)], services: &[(String, Vec<(String, String)>)], client: usize, n: u64) -> String {
    let e = estates[(client * 7919 + n as usize) % estates.len()];
    let (code, attributes) = &services[(client + n as usize) % services.len()];
    // Up to ±0.002° (about 200 m) off the estate's point.
    let jitter = |k: u64| ((k * 37) % 41) as f64 * 0.0001 - 0.002;
    let mut fields = vec![
        ("api_key".to_owned(), key.to_owned()),
        ("jurisdiction_id".to_owned(), JURISDICTION.to_owned()),
        ("service_code".to_owned(), code.clone()),
        ("lat".to_owned(), format!("{:.6}", e.1 + jitter(n))),
        ("long".to_owned(), format!("{:.6}", e.2 + jitter(n + 13))),
        ("description".to_owned(), format!("压测诉求 {client}-{n}：楼道灯坏了，晚上看不见")),
        ("account_id".to_owned(), format!("bench-{client}")),
    ];
    for (a, v) in attributes {
        fields.push((format!("attribute[{a}]"), v.clone()));
    }
    form(&fields)
}

/// Posts Open311 reports at `rate` a second from `clients` connections for `seconds`.
async fn post_reports(addr: SocketAddr, key: &str, estates: &[(u64, f64, f64)], args: &BenchGovernanceArgs) -> anyhow::Result<Phase> {
    let now = domain::china_time(Utc::now()).to_rfc3339_opts(chrono::SecondsFormat::Secs, false);
    let services: Vec<(String, Vec<(String, String)>)> = cases::rules()
        .routing
        .categories
        .iter()
        .map(|c| {
            let attributes = c
                .attributes
                .iter()
                .filter(|a| a.required)
                .map(|a| {
                    let v = match a.datatype.code() {
                        "datetime" => now.clone(),
                        "number" => "1".to_owned(),
                        _ => "压测".to_owned(),
                    };
                    (a.code.clone(), v)
                })
                .collect();
            (c.code.clone(), attributes)
        })
        .collect();
    let estates = Arc::new(estates.to_vec());
    let services = Arc::new(services);
    let mut conns = Vec::new();
    for _ in 0..args.clients {
        conns.push(Conn::open(addr).await?);
    }
    let start = Instant::now() + Duration::from_millis(200);
    let deadline = start + Duration::from_secs(args.seconds);
    let mut tasks = Vec::new();
    for (i, mut conn) in conns.into_iter().enumerate() {
        let (estates, services, key) = (estates.clone(), services.clone(), key.to_owned());
        let (rate, clients) = (args.rate, args.clients);
        tasks.push(tokio::spawn(async move {
            let mut tally = Tally::default();
            let mut pacer = Pacer::new(Some(rate), clients, i, start);
            let mut n = 0u64;
            while let Some(t) = pacer.slot_before(deadline).await {
                n += 1;
                let body = report_form(&key, &estates, &services, i, n);
                let r = conn.send("POST", "/api/open311/v2/requests.json", "", Some(("application/x-www-form-urlencoded", body)), &[]).await;
                tally.answer("Open311 report", t, &[200], r);
            }
            tally
        }));
    }
    // Taken a second: answered over the time from the first slot to the last answer.
    gather(tasks, start, Some(args.rate)).await
}

/// Every issue, for counting them (newest first by the report's time, which an index serves).
fn every_issue() -> GovFilter {
    GovFilter { by_created: true, ..Default::default() }
}

/// Makes `count` synthetic issues on the registered estates (the engine walks each) and loads them
/// in batches while the next are made; how many were loaded.
async fn load_issues(state: &AppState, count: u64, start: DateTime<Utc>) -> anyhow::Result<u64> {
    let docs = state.store.governance().all("estate", &GovFilter::default()).await?;
    let estates: Vec<Estate> = docs.iter().map(|d| serde_json::from_str(&d.doc)).collect::<Result<_, _>>()?;
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Vec<GovDoc>>(4);
    let maker = tokio::task::spawn_blocking(move || -> anyhow::Result<u64> {
        let routing = &cases::rules().routing;
        // A few in a hundred walks fall out of the engine (a step the estate's parties cannot
        // take): more are drawn so that `count` are made, over about a year.
        let drawn = count + count / 10 + 10;
        let cfg = SynthConfig { seed: 33, towns: 0, estates_per_town: 0, owners_per_estate: 0, issues: drawn, start, days: 400 };
        let by_id: BTreeMap<u64, &Estate> = estates.iter().map(|e| (e.id.0, e)).collect();
        let mut batch = Vec::with_capacity(2000);
        let mut made = 0u64;
        for issue in governance::synth::issues(&cfg, &estates, routing).take(usize::try_from(count)?) {
            let estate = by_id.get(&issue.estate.0).context("an issue of an unknown estate")?;
            batch.push(cases::issue_doc(&issue, estate, None).map_err(|e| anyhow::anyhow!(e.body().message_en))?);
            made += 1;
            if batch.len() == 2000 && tx.blocking_send(std::mem::replace(&mut batch, Vec::with_capacity(2000))).is_err() {
                bail!("the loader stopped");
            }
        }
        if !batch.is_empty() && tx.blocking_send(batch).is_err() {
            bail!("the loader stopped");
        }
        Ok(made)
    });
    let g = state.store.governance();
    let (_, before) = g.list("issue", &every_issue(), store::Page::new(0, 0)).await?;
    let mut sent = 0u64;
    let mut shown = 0u64;
    while let Some(batch) = rx.recv().await {
        g.load(&batch).await?;
        sent += batch.len() as u64;
        if sent >= shown + 100_000 {
            shown = sent;
            eprintln!("  … {sent} issues loaded");
        }
    }
    let made = maker.await??;
    let (_, after) = g.list("issue", &every_issue(), store::Page::new(0, 0)).await?;
    let loaded = u64::try_from(after - before)?;
    if made != loaded {
        bail!("{made} issues made, {loaded} loaded");
    }
    Ok(loaded)
}

/// Times `n` GETs of the paths `path(k)` one after another on one connection.
async fn time_reads(addr: SocketAddr, n: usize, what: &str, path: impl Fn(usize) -> String) -> anyhow::Result<Phase> {
    let mut conn = Conn::open(addr).await?;
    // A few first, not counted (the connection, the caches).
    for k in 0..5.min(n) {
        conn.send("GET", &path(k + n), "", None, &[]).await?;
    }
    let mut tally = Tally::default();
    let start = Instant::now();
    for k in 0..n {
        let t = Instant::now();
        let r = conn.send("GET", &path(k), "", None, &[]).await;
        tally.answer(what, t, &[200], r);
    }
    Ok(summarise([tally], start, None))
}

fn sqlite_mib(dir: &std::path::Path) -> Option<f64> {
    let size = |p: PathBuf| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
    let main = size(dir.join("bench.db"));
    (main > 0).then(|| (main + size(dir.join("bench.db-wal"))) as f64 / 1_048_576.0)
}

/// `minsheng bench governance`.
pub async fn run(args: &BenchGovernanceArgs, base: Config) -> anyhow::Result<ExitCode> {
    if args.estates == 0 || args.clients == 0 || args.seconds == 0 || args.rate <= 0.0 || args.reads == 0 {
        bail!("--estates, --clients, --seconds, --rate and --reads must be more than zero");
    }
    let (scratch, state) = Scratch::start("bench-governance", args.database_url.as_deref(), &base).await?;
    // The scratch place goes however the run ends.
    let measured = measure(args, state, &scratch).await;
    scratch.remove().await?;
    let f = measured?;
    report(args, &f)
}

/// Prepares the district, serves it and measures.
async fn measure(args: &BenchGovernanceArgs, state: AppState, scratch: &Scratch) -> anyhow::Result<Figures> {
    let backend = state.store.backend().name().to_owned();
    eprintln!("准备数据 preparing the registers on {backend} …");
    let opts = demo::seed::SeedOptions { residents: 1000, enterprises: 10, history: 0, medins: false, welfare: false, guardian: false, governance: false, places: false, halls: false, parking: false, library: false, ..Default::default() };
    demo::seed::seed_demo(&state, &opts, &mut |_, _, _| {}).await?;
    let citizens = state.store.registers().bench_citizens(2000).await?;
    let admin = principal(&state, "admin").await?;
    eprintln!("登记小区 registering {} estates ({} owners each, {} income entries) …", args.estates, args.owners, args.incomes);
    let t = Instant::now();
    let estates = register_estates(&state, &admin, &citizens, args.estates, args.owners, args.incomes).await?;
    eprintln!("  {} estates in {:.1} s", estates.len(), t.elapsed().as_secs_f64());
    let client = civic::create_client(&state, &admin, ClientBody { name: "minsheng bench governance".into() }).await.map_err(|f| refused("the Open311 client", &f))?;
    let key = client.api_key.context("the new client's api_key")?;

    let app = server::App::serve(state, true).await?;
    let addr = app.addr;
    eprintln!("阶段一 phase 1: {} Open311 clients post {:.0} reports a second for {} s …", args.clients, args.rate, args.seconds);
    let posts = post_reports(addr, &key, &estates, args).await?;
    let g = app.state.store.governance();
    let (_, stored) = g.list("issue", &every_issue(), store::Page::new(0, 0)).await?;

    eprintln!("阶段二 phase 2: loading {} synthetic issues …", args.issues);
    let t = Instant::now();
    let loaded = load_issues(&app.state, args.issues, Utc::now() - chrono::Duration::days(365)).await?;
    app.state.store.governance().analyze().await?;
    let load_seconds = t.elapsed().as_secs_f64();
    let settle = args.settle;
    if settle > 0 {
        eprintln!("  {loaded} issues in {load_seconds:.1} s; waiting {settle} s for the database to settle …");
        tokio::time::sleep(Duration::from_secs(settle)).await;
    }
    eprintln!("  {loaded} issues in {load_seconds:.1} s; timing the reads ({} each) …", args.reads);
    let ids: Vec<u64> = estates.iter().map(|e| e.0).collect();
    let pick = |k: usize| ids[(k * 7) % ids.len()];
    let estate_open_issues = time_reads(addr, args.reads, "an estate's open issues", |k| format!("/api/governance/issues?estate={}&open=true", pick(k))).await?;
    let estate_funds = time_reads(addr, args.reads, "an estate's funds", |k| format!("/api/governance/estates/{}/funds", pick(k))).await?;
    let codes: Vec<String> = cases::rules().routing.categories.iter().map(|c| c.code.clone()).collect();
    let open311_open_requests = time_reads(addr, (args.reads / 10).max(5), "Open311 open requests", |k| {
        format!("/api/open311/v2/requests.json?service_code={}&status=open", codes[k % codes.len()])
    })
    .await?;
    let database_mib = sqlite_mib(&scratch.dir);
    app.shutdown().await;
    Ok(Figures {
        backend,
        cpus: std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
        cpu_model: cpu_model(),
        estates: estates.len(),
        owners_per_estate: args.owners,
        clients: args.clients,
        seconds: args.seconds,
        posted: posts.requests,
        stored,
        posts,
        issues_loaded: loaded,
        settle_seconds: settle,
        load_seconds,
        load_per_second: loaded as f64 / load_seconds.max(0.001),
        database_mib,
        estate_open_issues,
        estate_funds,
        open311_open_requests,
    })
}

/// Prints the table and the verdict (and writes the JSON); exit 1 when a request failed or a
/// report answered was not stored.
fn report(args: &BenchGovernanceArgs, f: &Figures) -> anyhow::Result<ExitCode> {
    println!(
        "minsheng bench governance — {} on {} CPU(s) ({}); {} estates ({} owners each); Open311 reports offered at {:.0}/s by {} clients for {} s; reads on {} loaded issues",
        f.backend, f.cpus, f.cpu_model, f.estates, f.owners_per_estate, args.rate, f.clients, f.seconds, f.issues_loaded
    );
    const W: usize = 42;
    print_header(W);
    print_row("POST open311 requests.json (form)", W, &f.posts);
    print_row("GET issues?estate=…&open=true", W, &f.estate_open_issues);
    print_row("GET estates/{id}/funds", W, &f.estate_funds);
    print_row("GET open311 requests.json?service_code&open", W, &f.open311_open_requests);
    println!(
        "reports answered {} and stored {}; {} synthetic issues made and loaded in {:.1} s ({:.0}/s), the reads timed {} s later{}",
        f.posted,
        f.stored,
        f.issues_loaded,
        f.load_seconds,
        f.load_per_second,
        f.settle_seconds,
        f.database_mib.map(|m| format!("; database {m:.0} MiB")).unwrap_or_default()
    );
    let yes = |b: bool| if b { "met" } else { "NOT met" };
    let posts_ok = f.posts.per_second >= TARGET_POSTS_PER_SECOND * 0.99 && f.posts.errors == 0 && f.posts.p99_ms <= TARGET_POST_P99_MS;
    let reads_ok = [&f.estate_open_issues, &f.estate_funds].iter().all(|p| p.p99_ms <= TARGET_READ_MS && p.errors == 0);
    println!(
        "targets: {TARGET_POSTS_PER_SECOND:.0} reports/s with p99 ≤ {TARGET_POST_P99_MS:.0} ms — {}; an estate's open issues and funds, median and p99 ≤ {TARGET_READ_MS:.0} ms — {}",
        yes(posts_ok),
        yes(reads_ok)
    );
    if let Some(path) = &args.json {
        std::fs::write(path, serde_json::to_string_pretty(f)?)?;
    }
    let errors = f.posts.errors + f.estate_open_issues.errors + f.estate_funds.errors + f.open311_open_requests.errors;
    if errors > 0 || i64::try_from(f.posted)? > f.stored {
        eprintln!("错误 {errors} requests failed, or reports answered were not stored");
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}
