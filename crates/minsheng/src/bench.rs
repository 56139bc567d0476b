//! `minsheng bench`: starts the real server on loopback (SQLite in a temporary directory, or a
//! scratch PostgreSQL database), then drives it over HTTP with concurrent clients — first filing
//! bundles, then completing their items through the clerks' actions — and reports throughput and
//! latency percentiles.

use std::collections::{BTreeMap, VecDeque};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use catalog::{Outcome, Role};
use serde::{Deserialize, Serialize};
use server::Config;
use tokio::sync::Mutex;

use crate::bench_common::{Conn, Pacer, Phase, Scratch, Tally, cpu_model, gather, login, print_header, print_row, write_latencies};

#[derive(Debug, clap::Args)]
pub struct BenchArgs {
    /// Use PostgreSQL: a scratch database is created on this server and dropped afterwards.
    /// Without it the benchmark runs on SQLite in a temporary directory.
    #[arg(long)]
    database_url: Option<String>,
    /// Concurrent clients filing applications.
    #[arg(long, default_value_t = 64)]
    clients: usize,
    /// Concurrent clerk clients taking actions (default: as many as --clients).
    #[arg(long)]
    action_clients: Option<usize>,
    /// Offer this many submissions per second, shared by the clients, instead of each sending
    /// again as soon as it is answered; latency then counts from each request's slot.
    #[arg(long)]
    rate: Option<f64>,
    /// Offer this many item actions per second (see --rate).
    #[arg(long)]
    action_rate: Option<f64>,
    /// Seconds each phase runs (filing, then actions).
    #[arg(long, default_value_t = 15)]
    seconds: u64,
    /// The bundle the clients file.
    #[arg(long, default_value = "birth")]
    bundle: String,
    /// Also write the figures as JSON to this file.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Also write every answered request as CSV to this file: phase, when it was due (ms since
    /// the phase began) and its latency (ms).
    #[arg(long)]
    latencies: Option<PathBuf>,
    /// Ask for the full application in every answer instead of `Prefer: return=minimal`.
    #[arg(long)]
    full: bool,
    /// Servers on the one database (each with its own store, writer and port, in this process),
    /// the clients spread over them in turn: the scale-out figure (issue 29).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=16))]
    servers: u16,
}

#[derive(Debug, Serialize)]
struct Figures {
    backend: String,
    servers: u16,
    clients: usize,
    action_clients: usize,
    seconds: u64,
    bundle: String,
    representation: String,
    cpus: usize,
    cpu_model: String,
    submissions: Phase,
    actions: Phase,
}

#[derive(Debug, Clone, Deserialize)]
struct CaseLite {
    id: String,
    item: String,
    department: String,
    status: String,
    state: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
struct AppLite {
    id: String,
    cases: Vec<CaseLite>,
}

#[derive(Debug, Deserialize)]
struct PlanLite {
    materials: Vec<PlanMaterial>,
    fields: Vec<FieldLite>,
}

#[derive(Debug, Deserialize)]
struct FieldLite {
    key: String,
    #[serde(rename = "type")]
    kind: String,
    required: bool,
    prefilled: Option<String>,
    min: Option<f64>,
    #[serde(default)]
    choices: Vec<ChoiceLite>,
}

#[derive(Debug, Deserialize)]
struct ChoiceLite {
    value: String,
}

/// A valid value for a form field, as a careful applicant would type it.
fn field_value(f: &FieldLite) -> String {
    let day = chrono::Utc::now().date_naive() + chrono::Days::new(7);
    match f.kind.as_str() {
        "date" => day.format("%Y-%m-%d").to_string(),
        "datetime" => format!("{}T{}:00", day.format("%Y-%m-%d"), if f.key.contains("end") { "23" } else { "22" }),
        "number" => format!("{}", f.min.unwrap_or(0.0).max(1.0)),
        "choice" => f.choices.first().map(|c| c.value.clone()).unwrap_or_default(),
        "phone" => "13912345678".to_owned(),
        "id_number" => "330183199001011237".to_owned(),
        "credit_code" => "91330000742906207U".to_owned(),
        _ => "压测".to_owned(),
    }
}

#[derive(Debug, Deserialize)]
struct PlanMaterial {
    code: String,
    status: String,
}

#[derive(Debug, Deserialize)]
struct UploadLite {
    id: String,
}

pub async fn run(args: &BenchArgs, base: Config) -> anyhow::Result<()> {
    let (scratch, state) = Scratch::start("bench", args.database_url.as_deref(), &base).await?;
    let backend = state.store.backend().name().to_owned();
    eprintln!("准备数据 preparing the registers on {backend} …");
    let opts = demo::seed::SeedOptions { residents: 3000, enterprises: 20, history: 0, medins: false, welfare: false, guardian: false, governance: false, places: false, halls: false, parking: false, library: false, ..Default::default() };
    demo::seed::seed_demo(&state, &opts, &mut |_, _, _| {}).await?;
    // One account per department holding every staff role, for the clerk clients.
    let hash = server::auth::hash_password(demo::seed::DEMO_PASSWORD, state.config.argon2_memory_kib, state.config.argon2_iterations)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut staff = Vec::new();
    for d in state.catalog().departments() {
        staff.push(store::NewAccount {
            id: domain::AccountId(state.parts.ids.next()),
            login: format!("bench_{}", d.code),
            password_hash: hash.clone(),
            display_name: format!("bench {}", d.code),
            kind: store::AccountKind::Staff,
            roles: vec![Role::Window, Role::Clerk, Role::Reviewer, Role::Approver],
            person_id: None,
            enterprise_id: None,
            department: Some(d.code.clone()),
            division: None,
            phone: None,
            created_at: chrono::Utc::now(),
        });
    }
    state.store.identity().insert_accounts(&staff).await?;
    let citizens = state.store.registers().bench_citizens(args.clients as i64).await?;
    if citizens.len() < args.clients {
        bail!("only {} residents with accounts for {} clients", citizens.len(), args.clients);
    }
    // Where each item's approvals lead.
    let mut next_action: BTreeMap<(String, String), String> = BTreeMap::new();
    for item in state.catalog().items() {
        if let Some(wf) = state.catalog().workflow(&item.workflow) {
            for s in &wf.states {
                if s.outcome.is_none()
                    && !s.pauses_clock
                    && let Some(a) = demo::seed::toward_approval(wf, &s.code)
                {
                    next_action.insert((item.code.clone(), s.code.clone()), a.code.clone());
                }
            }
            let _ = Outcome::Approved;
        }
    }
    // The other servers on the same database (and data directory), each taking its own node.
    let mut others = Vec::new();
    for n in 1..args.servers {
        let mut config = state.config.clone();
        config.listen = "127.0.0.1:0".parse()?;
        eprintln!("第 {} 台服务器 server {} joins the database …", n + 1, n + 1);
        let other = server::build_state(config, std::sync::Arc::new(domain::SystemClock)).await?;
        others.push(server::App::serve(other, true).await?);
    }
    let app = server::App::serve(state, true).await?;
    let url = app.url();
    let addrs: Vec<std::net::SocketAddr> = std::iter::once(app.addr).chain(others.iter().map(|o| o.addr)).collect();
    let client = reqwest::Client::builder().pool_max_idle_per_host(args.clients.max(args.action_clients.unwrap_or(0)) * 2).build()?;

    let mut dept_tokens = BTreeMap::new();
    for d in app.state.catalog().departments() {
        dept_tokens.insert(d.code.clone(), login(&client, &url, &format!("bench_{}", d.code)).await?);
    }
    let dept_tokens = Arc::new(dept_tokens);
    let next_action = Arc::new(next_action);

    // Phase 1: filing.
    eprintln!("阶段一 phase 1: {} clients file '{}' for {} s …", args.clients, args.bundle, args.seconds);
    let mut prepared = Vec::new();
    for login_name in citizens.iter().take(args.clients) {
        let token = login(&client, &url, login_name).await?;
        let up: UploadLite = client
            .post(format!("{url}/api/uploads?name=bench.pdf"))
            .bearer_auth(&token)
            .header("content-type", "application/pdf")
            .body(b"%PDF-1.4\n%%EOF\n".to_vec())
            .send()
            .await?
            .json()
            .await
            .context("upload")?;
        let plan: PlanLite = client
            .get(format!("{url}/api/plan?bundle={}", args.bundle))
            .bearer_auth(&token)
            .send()
            .await?
            .json()
            .await
            .context("plan")?;
        let materials: BTreeMap<String, String> =
            plan.materials.iter().filter(|m| m.status == "to_upload").map(|m| (m.code.clone(), up.id.clone())).collect();
        let form: BTreeMap<String, String> =
            plan.fields.iter().filter(|f| f.required && f.prefilled.is_none()).map(|f| (f.key.clone(), field_value(f))).collect();
        prepared.push((token, materials, form));
    }
    let filed: Arc<Mutex<VecDeque<AppLite>>> = Arc::new(Mutex::new(VecDeque::new()));
    let deadline = Instant::now() + Duration::from_secs(args.seconds);
    let start = Instant::now();
    let mut tasks = Vec::new();
    let (rate, clients) = (args.rate, args.clients);
    for (i, (token, materials, form)) in prepared.into_iter().enumerate() {
        let bundle = args.bundle.clone();
        let filed = filed.clone();
        let prefer = if args.full { "return=representation" } else { "return=minimal" };
        let mut conn = Conn::open(addrs[i % addrs.len()]).await?;
        tasks.push(tokio::spawn(async move {
            let body = serde_json::json!({ "bundle": bundle, "materials": materials, "form": form }).to_string();
            let mut tally = Tally::default();
            let mut n = 0u64;
            let mut pacer = Pacer::new(rate, clients, i, start);
            while let Some(t) = pacer.slot_before(deadline).await {
                n += 1;
                let key = format!("bench-{i}-{n}");
                let r = conn
                    .send("POST", "/api/applications", &token, Some(("application/json", body.clone())), &[("idempotency-key", &key), ("prefer", prefer)])
                    .await;
                if let Some(bytes) = tally.answer("filing", t, &[201], r)
                    && let Ok(app) = serde_json::from_slice::<AppLite>(&bytes)
                {
                    filed.lock().await.push_back(app);
                }
            }
            tally
        }));
    }
    let submissions = gather(tasks, start, args.rate).await?;

    // Phase 2: clerks complete the items.
    let action_clients = args.action_clients.unwrap_or(args.clients);
    eprintln!("阶段二 phase 2: {action_clients} clerk clients act on {} applications for {} s …", filed.lock().await.len(), args.seconds);
    let deadline = Instant::now() + Duration::from_secs(args.seconds);
    let start = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..action_clients {
        let rate = args.action_rate;
        let filed = filed.clone();
        let tokens = dept_tokens.clone();
        let next_action = next_action.clone();
        let prefer = if args.full { "return=representation" } else { "return=minimal" };
        let mut conn = Conn::open(addrs[c % addrs.len()]).await?;
        tasks.push(tokio::spawn(async move {
            let mut tally = Tally::default();
            let mut current: Option<AppLite> = None;
            let mut pacer = Pacer::new(rate, action_clients, c, start);
            loop {
                // The next action to take, found before the slot so that a finished application
                // does not use one up.
                let app = match current.take() {
                    Some(a) => a,
                    None => match filed.lock().await.pop_front() {
                        Some(a) => a,
                        None => break,
                    },
                };
                let Some((case, action)) = app.cases.iter().find_map(|c| {
                    if c.status != "active" {
                        return None;
                    }
                    let st = c.state.clone()?;
                    next_action.get(&(c.item.clone(), st)).map(|a| (c.clone(), a.clone()))
                }) else {
                    continue;
                };
                let Some(token) = tokens.get(&case.department) else { continue };
                let Some(t) = pacer.slot_before(deadline).await else { break };
                let path = format!("/api/applications/{}/cases/{}/actions", app.id, case.id);
                let r = conn.send("POST", &path, token, Some(("application/json", format!("{{\"action\":\"{action}\"}}"))), &[("prefer", prefer)]).await;
                current = tally.answer("action", t, &[200, 201], r).and_then(|bytes| serde_json::from_slice::<AppLite>(&bytes).ok());
            }
            tally
        }));
    }
    let actions = gather(tasks, start, args.action_rate).await?;
    for o in others {
        o.shutdown().await;
    }
    app.shutdown().await;
    scratch.remove().await?;

    let f = Figures {
        backend,
        servers: args.servers,
        clients: args.clients,
        action_clients,
        seconds: args.seconds,
        bundle: args.bundle.clone(),
        representation: if args.full { "full".into() } else { "minimal".into() },
        cpus: std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
        cpu_model: cpu_model(),
        submissions,
        actions,
    };
    println!(
        "minsheng bench — {} server(s) on {} on {} CPU(s) ({}), {} filing clients, {} clerk clients, {} s per phase, {} answers",
        f.servers, f.backend, f.cpus, f.cpu_model, f.clients, f.action_clients, f.seconds, f.representation
    );
    print_header(24);
    for (name, p) in [("bundle submissions", &f.submissions), ("item actions", &f.actions)] {
        print_row(name, 24, p);
    }
    if let Some(path) = &args.json {
        std::fs::write(path, serde_json::to_string_pretty(&f)?)?;
    }
    if let Some(path) = &args.latencies {
        write_latencies(path, &[("submissions", &f.submissions), ("actions", &f.actions)])?;
    }
    Ok(())
}
