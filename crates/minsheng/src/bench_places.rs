//! `minsheng bench places`: childcare allocation and the housing lottery (issue 32) at a district's
//! size.
//!
//! 1. **Childcare.** A synthetic district (`places::childcare::synth::instance`: institutions with
//!    three age classes each, about half publishing priority rules of their own, families with
//!    1–5 preferences mostly near home, siblings, hardship and employers) is allocated by deferred
//!    acceptance, engine alone, `--runs` times; then the same institutions and applications are
//!    loaded as documents into a scratch store (SQLite, or a scratch PostgreSQL database with
//!    `--database-url`) and a whole round is planned through the use case `plan_round` (read and
//!    decode every document, allocate, build every offer, place and notice) `--rounds` times, and
//!    the last plan saved in its one transaction — what `run_round` does.
//! 2. **Housing lottery.** Eligible synthetic households (`places::housing::synth::households`)
//!    are committed to a draw (groups, homes, applicant digests), drawn from a seed and the draw
//!    re-verified from the seed, `--runs` times each; the draw is made twice from the same seed and
//!    the orders compared, and the digest of the order printed, so that anyone re-running the
//!    command gets the same one.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use anyhow::bail;
use domain::AccountId;
use places::childcare::Institution;
use places::childcare::InstitutionStatus;
use places::housing::DrawId;
use serde::Serialize;
use server::Config;
use server::areas::places::cases;
use server::state::AppState;
use store::Doc;

use crate::bench_common::Scratch;
use crate::bench_common::cpu_model;

/// The targets of issue 32.
const TARGET_ALLOCATION_MS: f64 = 1000.0;
const TARGET_LOTTERY_MS: f64 = 1000.0;

/// The benchmark's options.
#[derive(Debug, Clone, clap::Args)]
pub struct BenchPlacesArgs {
    /// Families applying for a childcare place.
    #[arg(long, default_value_t = 20_000)]
    pub applicants: usize,
    /// Childcare institutions (each with the three age classes).
    #[arg(long, default_value_t = 500)]
    pub institutions: usize,
    /// Households in the housing lottery.
    #[arg(long, default_value_t = 50_000)]
    pub lottery: usize,
    /// Homes the lottery allocates.
    #[arg(long, default_value_t = 3_400)]
    pub homes: u32,
    /// Times each engine step is timed (median and p99 over them).
    #[arg(long, default_value_t = 11)]
    pub runs: usize,
    /// Times a whole round is planned through the use case over the store.
    #[arg(long, default_value_t = 3)]
    pub rounds: usize,
    /// The seed of the synthetic district and of the draw.
    #[arg(long, default_value_t = 32)]
    pub seed: u64,
    /// A PostgreSQL URL to run the round on a scratch database there (default: a scratch SQLite file).
    #[arg(long)]
    pub database_url: Option<String>,
    /// Also write the figures as JSON to this file.
    #[arg(long)]
    pub json: Option<PathBuf>,
}

/// Timings of a step over its runs, in milliseconds.
#[derive(Debug, Clone, Serialize)]
struct Timing {
    runs: usize,
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
        Timing { runs: n, median_ms: median, p99_ms: at(0.99), max_ms: ms.last().copied().unwrap_or(0.0) }
    }
}

fn ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1000.0
}

#[derive(Debug, Serialize)]
struct Figures {
    backend: String,
    cpus: usize,
    cpu_model: String,
    seed: u64,
    institutions: usize,
    applicants: usize,
    licensed_places: u64,
    offered: usize,
    waiting: usize,
    allocation: Timing,
    documents_loaded: u64,
    load_seconds: f64,
    plan_round: Timing,
    /// The use case's median less the engine's median: reading, decoding, building the documents.
    beyond_engine_ms: f64,
    /// Saving the planned round (offers, places, applications, notices) in its one transaction.
    save_round_ms: f64,
    documents_saved: usize,
    lottery_households: usize,
    lottery_homes: u32,
    lottery_groups: Vec<(String, usize, u32)>,
    commit: Timing,
    draw: Timing,
    verify: Timing,
    /// Median commit + draw + verify.
    lottery_ms: f64,
    draw_seed: String,
    order_digest: String,
    reproducible: bool,
}

/// `minsheng bench places`.
pub async fn run(args: &BenchPlacesArgs, base: Config) -> anyhow::Result<ExitCode> {
    if args.applicants == 0 || args.institutions == 0 || args.lottery == 0 || args.homes == 0 || args.runs == 0 || args.rounds == 0 {
        bail!("--applicants, --institutions, --lottery, --homes, --runs and --rounds must be more than zero");
    }
    let (scratch, state) = Scratch::start("bench-places", args.database_url.as_deref(), &base).await?;
    // The scratch place goes however the run ends.
    let measured = measure(args, &state).await;
    state.store.close().await;
    scratch.remove().await?;
    let f = measured?;
    report(args, &f)
}

/// 64 hex characters from the seed (SplitMix64), the lottery's secret.
fn draw_seed(seed: u64) -> String {
    let mut r = places::housing::synth::SplitMix::new(seed ^ 0x0107_7E4B);
    (0..4).map(|_| format!("{:016x}", r.next_u64())).collect()
}

fn institution_doc(i: &Institution, now: chrono::DateTime<chrono::Utc>) -> anyhow::Result<Doc> {
    Ok(Doc {
        kind: "institution".into(),
        id: i.id.0,
        parent: None,
        community: Some(i.community.clone()),
        town: Some(i.town.clone()),
        state: Some(if i.status == InstitutionStatus::Open { "open" } else { "suspended" }.into()),
        open: false,
        actor: None,
        queue: None,
        created_at: now,
        updated_at: now,
        due_at: None,
        closed_at: None,
        year: None,
        n: Some(i.licensed_places() as i64),
        doc: serde_json::to_string(i)?,
        version: 1,
    })
}

fn application_doc(f: &cases::Filed) -> anyhow::Result<Doc> {
    Ok(Doc {
        kind: "application".into(),
        id: f.app.id.0,
        parent: None,
        community: None,
        town: Some(f.town.clone()),
        state: Some(f.state.clone()),
        open: true,
        actor: Some(f.app.family.0),
        queue: None,
        created_at: f.submitted_at,
        updated_at: f.submitted_at,
        due_at: None,
        closed_at: None,
        year: None,
        n: Some(f.app.preferences.len() as i64),
        doc: serde_json::to_string(f)?,
        version: 1,
    })
}

async fn measure(args: &BenchPlacesArgs, state: &AppState) -> anyhow::Result<Figures> {
    let backend = state.store.backend().name().to_owned();
    let rules = cases::rules();
    let now = state.now();
    let today = domain::china_date(now);
    let start = today + chrono::Days::new(30);
    let seed = format!("bench-places-{}", args.seed);

    // 1. Childcare: the engine alone.
    eprintln!("托育 childcare: {} applicants over {} institutions …", args.applicants, args.institutions);
    let inst = places::childcare::synth::instance(&rules.childcare, args.seed, args.institutions, args.applicants, start);
    let licensed_places: u64 = inst.institutions.iter().map(Institution::licensed_places).sum();
    let mut times = Vec::with_capacity(args.runs);
    let mut allocation = None;
    for _ in 0..args.runs {
        let t = Instant::now();
        let a = places::childcare::allocate(&rules.childcare, &inst.institutions, &inst.applications, &[], &seed).map_err(|e| anyhow::anyhow!("allocation: {e:?}"))?;
        times.push(ms(t));
        allocation = Some(a);
    }
    let allocation_t = Timing::of(times);
    let a = allocation.context("no allocation")?;
    let offered = a.outcomes.iter().filter(|o| o.assigned.is_some()).count();
    let waiting = a.outcomes.len() - offered;

    // The same district as documents in the store, and a whole round through the use case.
    eprintln!("  loading {} institutions and {} applications into {backend} …", inst.institutions.len(), inst.applications.len());
    let t = Instant::now();
    let mut docs = Vec::with_capacity(inst.institutions.len() + inst.applications.len());
    for i in &inst.institutions {
        docs.push(institution_doc(i, now)?);
    }
    for (k, app) in inst.applications.iter().enumerate() {
        let town = places::childcare::synth::towns()[k % 12].clone();
        let f = cases::Filed {
            app: app.clone(),
            state: "waiting".into(),
            child_key: format!("bench-child-{}", app.child.0),
            child_name: format!("合成儿童{}", app.child.0),
            town,
            submitted_at: now - chrono::Duration::minutes(k as i64 % 10_000),
            round: None,
            outcome: None,
            place: None,
        };
        docs.push(application_doc(&f)?);
    }
    for chunk in docs.chunks(2000) {
        state.store.places().load(chunk).await?;
    }
    state.store.places().analyze().await?;
    let (institutions_stored, _) = state.store.places().mark("institution").await?;
    let (applications_stored, _) = state.store.places().mark("application").await?;
    let loaded = u64::try_from(institutions_stored + applications_stored)?;
    if loaded != docs.len() as u64 {
        bail!("{} documents made, {loaded} stored", docs.len());
    }
    let load_seconds = t.elapsed().as_secs_f64();
    eprintln!("  {loaded} documents in {load_seconds:.1} s; planning {} rounds through the use case …", args.rounds);
    let mut times = Vec::with_capacity(args.rounds);
    let mut plan = None;
    for _ in 0..args.rounds {
        let t = Instant::now();
        let p = cases::plan_round(state, AccountId(1), seed.clone()).await.map_err(|f| {
            let (code, _, en, _) = f.parts();
            anyhow::anyhow!("plan_round: {code}: {en}")
        })?;
        times.push(ms(t));
        plan = Some(p);
    }
    let plan_t = Timing::of(times);
    let plan = plan.context("no round")?;
    if plan.round.offered != offered {
        bail!("the round through the store offered {} places, the engine alone {offered}", plan.round.offered);
    }
    let documents_saved = plan.change.docs.len();
    let t = Instant::now();
    let saved = state.store.places().save(&plan.change, now).await?;
    let save_round_ms = ms(t);
    if saved != store::PlaceSave::Saved {
        bail!("the round was not saved: {saved:?}");
    }

    // 2. The housing lottery.
    eprintln!("公租房摇号 housing lottery: {} households, {} homes …", args.lottery, args.homes);
    let households = places::housing::synth::households(args.seed, args.lottery, today);
    let secret = draw_seed(args.seed);
    let commitment = places::housing::seed_commitment(&secret).map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let title = "基准 公共租赁住房公开摇号";
    let mut times = Vec::with_capacity(args.runs);
    let mut committed = None;
    for _ in 0..args.runs {
        let t = Instant::now();
        let d = places::housing::commit(&rules.housing, DrawId(1), title, &households, args.homes, &commitment, today, now).map_err(|e| anyhow::anyhow!("commit: {e:?}"))?;
        times.push(ms(t));
        committed = Some(d);
    }
    let commit_t = Timing::of(times);
    let committed = committed.context("no draw")?;
    let mut times = Vec::with_capacity(args.runs);
    let mut drawn = Vec::new();
    for _ in 0..args.runs.max(2) {
        let mut d = committed.clone();
        let t = Instant::now();
        d.draw(&secret, now).map_err(|e| anyhow::anyhow!("draw: {e:?}"))?;
        times.push(ms(t));
        if drawn.len() < 2 {
            drawn.push(d);
        }
    }
    let draw_t = Timing::of(times);
    let mut times = Vec::with_capacity(args.runs);
    for _ in 0..args.runs {
        let t = Instant::now();
        places::housing::verify(&drawn[0], &secret).map_err(|e| anyhow::anyhow!("verify: {e:?}"))?;
        times.push(ms(t));
    }
    let verify_t = Timing::of(times);
    let order = |d: &places::housing::Draw| d.groups.iter().flat_map(|g| g.order.iter().copied()).collect::<Vec<AccountId>>();
    let (first, second) = (order(&drawn[0]), order(&drawn[1]));
    let reproducible = first == second && drawn[0] == drawn[1] && first.len() == args.lottery;
    let order_digest = places::housing::lottery::applicants_digest(&first);
    let lottery_groups = drawn[0].groups.iter().map(|g| (g.code.clone(), g.applicants.len(), g.homes)).collect();
    Ok(Figures {
        backend,
        cpus: std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
        cpu_model: cpu_model(),
        seed: args.seed,
        institutions: inst.institutions.len(),
        applicants: inst.applications.len(),
        licensed_places,
        offered,
        waiting,
        beyond_engine_ms: plan_t.median_ms - allocation_t.median_ms,
        allocation: allocation_t,
        documents_loaded: loaded,
        load_seconds,
        plan_round: plan_t,
        save_round_ms,
        documents_saved,
        lottery_households: households.len(),
        lottery_homes: args.homes,
        lottery_groups,
        lottery_ms: commit_t.median_ms + draw_t.median_ms + verify_t.median_ms,
        commit: commit_t,
        draw: draw_t,
        verify: verify_t,
        draw_seed: secret,
        order_digest,
        reproducible,
    })
}

fn row(what: &str, t: &Timing) {
    println!("{what:<52} {:>5} {:>11.1} {:>9.1} {:>9.1}", t.runs, t.median_ms, t.p99_ms, t.max_ms);
}

/// Prints the table and the verdict (and writes the JSON); exit 1 when the draw was not
/// reproduced.
fn report(args: &BenchPlacesArgs, f: &Figures) -> anyhow::Result<ExitCode> {
    println!("minsheng bench places — {} on {} CPU(s) ({}); seed {}", f.backend, f.cpus, f.cpu_model, f.seed);
    let args_given: Vec<String> = std::env::args().skip(1).collect();
    println!("command: minsheng {}", args_given.join(" "));
    println!(
        "childcare allocation: {} applicants over {} institutions (3 age classes each, {} licensed places, priority rules per institution); offered {}, waiting {}",
        f.applicants, f.institutions, f.licensed_places, f.offered, f.waiting
    );
    println!("{:<52} {:>5} {:>11} {:>9} {:>9}", "step", "runs", "median ms", "p99 ms", "max ms");
    row("allocate (engine: deferred acceptance)", &f.allocation);
    row(&format!("plan_round (use case over {} docs in {})", f.documents_loaded, f.backend), &f.plan_round);
    println!(
        "  plan_round beyond the engine: {:.1} ms (reading and decoding the documents, building offers, places and notices); saving the round: {:.1} ms ({} documents, one transaction); loading: {:.1} s",
        f.beyond_engine_ms, f.save_round_ms, f.documents_saved, f.load_seconds
    );
    let groups: Vec<String> = f.lottery_groups.iter().map(|(c, n, h)| format!("{c} {n} applicants / {h} homes")).collect();
    println!("housing lottery: {} households, {} homes ({})", f.lottery_households, f.lottery_homes, groups.join(", "));
    row("commit (groups, homes, applicant digests)", &f.commit);
    row("draw (seed checked, keys, order)", &f.draw);
    row("verify (re-run from the published seed)", &f.verify);
    println!("  commit + draw + verify: {:.1} ms (medians)", f.lottery_ms);
    println!(
        "reproducible: the draw made twice from seed {} gave {} orders; order digest (SHA-256, one id a line) {}",
        f.draw_seed,
        if f.reproducible { "the same" } else { "DIFFERENT" },
        f.order_digest
    );
    let yes = |b: bool| if b { "met" } else { "NOT met" };
    println!(
        "targets: allocation of {} applicants ≤ {TARGET_ALLOCATION_MS:.0} ms (engine median {:.1} ms) — {}; lottery of {} ≤ {TARGET_LOTTERY_MS:.0} ms (commit + draw + verify {:.1} ms) — {}; reproducible bit for bit — {}",
        f.applicants,
        f.allocation.median_ms,
        yes(f.allocation.median_ms <= TARGET_ALLOCATION_MS),
        f.lottery_households,
        f.lottery_ms,
        yes(f.lottery_ms <= TARGET_LOTTERY_MS),
        yes(f.reproducible)
    );
    if let Some(path) = &args.json {
        std::fs::write(path, serde_json::to_string_pretty(f)?)?;
    }
    if !f.reproducible {
        eprintln!("错误 the draw was not reproduced from its seed");
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}
