//! Welfare's commands: `minsheng welfare check DIR` (a benefit catalog's files validated, every
//! error with file, line, column and field), `minsheng welfare sweep` (everyone re-evaluated and
//! every household screened now, as the daily duty does) and `minsheng bench welfare` (every
//! benefit decided for a million people; on a scratch database of that many residents: the daily
//! sweep, one register change to its notice, and a month's durable run; peak memory).

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use anyhow::bail;
use chrono::Utc;
use domain::AccountId;
use domain::HouseholdId;
use domain::PersonId;
use domain::RecordId;
use domain::china_date;
use server::Config;
use server::auth::Principal;
use serde_json::json;

use crate::bench_common::Scratch;

/// `minsheng welfare …`
#[derive(Debug, clap::Args)]
pub struct WelfareArgs {
    #[command(subcommand)]
    pub command: WelfareCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum WelfareCommand {
    /// Validate a benefit catalog folder (`*.toml`: benefits, parameters, discovery weights,
    /// the relief directory); every error names file, line, column and field.
    Check { dir: PathBuf },
    /// Re-evaluate everyone's benefits and screen every household now (the leading server does
    /// it once a day by itself).
    Sweep {
        #[arg(long, env = "MINSHENG_DATABASE_URL")]
        database_url: Option<String>,
    },
}

/// The benchmark's options.
#[derive(Debug, Clone, clap::Args)]
pub struct BenchWelfareArgs {
    /// Residents of the synthetic district.
    #[arg(long, default_value_t = 1_000_000)]
    pub people: usize,
    /// Register changes to time from the record to its notice.
    #[arg(long, default_value_t = 100)]
    pub changes: usize,
    /// A PostgreSQL URL to run on a scratch database there (default: a scratch SQLite file).
    #[arg(long)]
    pub database_url: Option<String>,
}

pub async fn run(args: &WelfareArgs, mut config: Config) -> anyhow::Result<ExitCode> {
    match &args.command {
        WelfareCommand::Check { dir } => match welfare::Catalog::load_dir(dir) {
            Ok(c) => {
                println!(
                    "{}: {} 项待遇 benefits, {} 个参数 parameters, {} 项救助服务 relief services — 无错误 no errors",
                    dir.display(),
                    c.benefits.len(),
                    c.params.len(),
                    c.directory.len()
                );
                Ok(ExitCode::SUCCESS)
            }
            Err(errors) => {
                for e in &errors {
                    eprintln!("{}:{}:{}: {}: {} ({})", e.file, e.line, e.column, e.field, e.message_zh, e.message_en);
                }
                eprintln!("{} 处错误 error(s)", errors.len());
                Ok(ExitCode::from(1))
            }
        },
        WelfareCommand::Sweep { database_url } => {
            if let Some(u) = database_url {
                config.database_url = server::config::Secret::new(u.clone());
            }
            let state = server::build_state(config, Arc::new(domain::SystemClock)).await?;
            let r = server::areas::welfare::cases::full_sweep(&state).await;
            state.store.close().await;
            match r {
                Ok(v) => {
                    println!("{} 人 people: 新享受 opened {}, 停止 closed {}, 金额调整 changed {}; 困难家庭 households flagged {}", v.people, v.opened, v.closed, v.changed, v.flagged);
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => {
                    let b = e.body();
                    bail!("{} ({})", b.message, b.message_en)
                }
            }
        }
    }
}

fn peak_mib() -> String {
    circles::bench::peak_rss_bytes().map_or_else(|| "?".to_owned(), |b| format!("{:.0} MiB", b as f64 / 1_048_576.0))
}

fn median_ms(mut v: Vec<f64>) -> (f64, f64) {
    v.sort_by(f64::total_cmp);
    if v.is_empty() {
        return (0.0, 0.0);
    }
    (v[v.len() / 2], v[(v.len() * 99 / 100).min(v.len() - 1)])
}

/// `minsheng bench welfare`.
pub async fn bench(args: &BenchWelfareArgs, base: Config) -> anyhow::Result<ExitCode> {
    let today = china_date(Utc::now());
    // 1. The engine alone: every benefit for everyone.
    let n = args.people;
    let r = tokio::task::spawn_blocking(move || welfare::bench_evaluate(n, today)).await?;
    println!("evaluate: {} people × {} benefits in {:.2} s ({} entitled) — target ≤ 5 s", r.people, r.benefits, r.seconds, r.entitled);

    // 2. A district of that many residents in a scratch database.
    let (scratch, state) = Scratch::start("bench-welfare", args.database_url.as_deref(), &base).await?;
    let backend = state.store.backend().name().to_owned();
    let people = tokio::task::spawn_blocking(move || welfare::synth::people(n, 7, today)).await?;
    let now = Utc::now();
    let mut persons = Vec::with_capacity(people.len());
    let mut records = Vec::new();
    let rec = |ids: &domain::IdGenerator, t: &str, dept: &str, key: &str, data: serde_json::Value| store::SharedRecord {
        id: RecordId(ids.next()),
        record_type: t.into(),
        subject_kind: "person".into(),
        subject_key: key.to_owned(),
        department: dept.into(),
        issued_at: now,
        valid_until: None,
        application: None,
        case: None,
        data,
    };
    let ids = &state.parts.ids;
    for (i, p) in people.iter().enumerate() {
        let f = &p.facts;
        persons.push(store::Person {
            id: PersonId(ids.next()),
            id_number: p.key.clone(),
            name: format!("居民{i}"),
            sex: if i % 2 == 0 { "male".into() } else { "female".into() },
            birth_date: f.birth_date,
            division: format!("330111{:03}{:03}", 1 + i % 24, 1 + i % 15),
            phone: None,
            household: HouseholdId(i as i64 + 1),
            relation: "户主".into(),
        });
        records.push(rec(ids, "social_security_card", "rsj", &p.key, json!({ "name": "x", "card_number": format!("A{i:08}"), "bank": "中国农业银行富阳支行", "account": format!("6228{i:015}") })));
        if let Some(d) = f.death_date {
            records.push(rec(ids, "death_medical_cert", "wjw", &p.key, json!({ "name": "x", "death_date": d.to_string() })));
        }
        if let Some(d) = f.moved_out_on {
            records.push(rec(ids, "household_cancellation", "ga", &p.key, json!({ "name": "x", "reason": "迁出", "cancelled_on": d.to_string() })));
        }
        if let Some(g) = f.disability_grade {
            records.push(rec(ids, "disability_cert", "cl", &p.key, json!({ "name": "x", "grade": g })));
        }
        if let Some(income) = f.income_per_head_fen {
            records.push(rec(ids, "household_finance_check", "mzj", &p.key, json!({ "name": "x", "income_per_head_fen": income, "checked_on": today.to_string() })));
        }
        if f.dibao {
            records.push(rec(ids, "low_income_status", "mzj", &p.key, json!({ "name": "x" })));
        }
        if f.in_institution {
            records.push(rec(ids, "institution_care", "mzj", &p.key, json!({ "name": "x", "institution": "福利中心", "since": today.to_string() })));
        }
        if f.rent_subsidy_qualified {
            records.push(rec(ids, "rent_subsidy", "zjj", &p.key, json!({ "name": "x" })));
        }
        if f.unemployed {
            records.push(rec(ids, "unemployment_registration", "rsj", &p.key, json!({ "name": "x" })));
        }
    }
    eprintln!("装载 loading {} residents and {} records into {backend} …", persons.len(), records.len());
    let t = Instant::now();
    for chunk in persons.chunks(20_000) {
        state.store.registers().insert_persons(chunk, now).await?;
    }
    for chunk in records.chunks(20_000) {
        state.store.pool().publish_records(chunk, None).await?;
    }
    eprintln!("loaded in {:.1} s", t.elapsed().as_secs_f64());

    // Accounts: the bureau's clerk, the health commission's clerk, and elders to be told.
    let hash = server::auth::hash_password(demo::seed::DEMO_PASSWORD, state.config.argon2_memory_kib, state.config.argon2_iterations)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let staff = |login: &str, dept: &str| store::NewAccount {
        id: AccountId(ids.next()),
        login: login.to_owned(),
        password_hash: hash.clone(),
        display_name: login.to_owned(),
        kind: store::AccountKind::Staff,
        roles: vec![catalog::Role::Clerk],
        person_id: None,
        enterprise_id: None,
        department: Some(dept.to_owned()),
        division: None,
        phone: None,
        created_at: now,
    };
    let mut accounts = vec![staff("bench_mzj", "mzj"), staff("bench_cl", "cl")];
    let elders: Vec<store::Person> = persons
        .iter()
        .zip(&people)
        .filter(|(_, p)| {
            let f = &p.facts;
            f.alive(today) && f.resident(today) && (80..99).contains(&f.age(today)) && !f.in_institution && f.disability_grade.is_none()
        })
        .map(|(row, _)| row.clone())
        .take(args.changes)
        .collect();
    // What the generator made is in the database now: the server's own memory is what is measured.
    drop((people, persons, records));
    for e in &elders {
        accounts.push(store::NewAccount {
            kind: store::AccountKind::Citizen,
            roles: vec![catalog::Role::Applicant],
            person_id: Some(e.id),
            department: None,
            login: e.id_number.clone(),
            ..staff("x", "x")
        });
    }
    state.store.identity().insert_accounts(&accounts).await?;
    let principal = |login: &str| {
        let state = state.clone();
        let login = login.to_owned();
        async move {
            let (account, _) = state.store.identity().account_for_login(&login).await?.context("bench account")?;
            anyhow::Ok(Principal { account, token_hash: String::new() })
        }
    };
    let mzj = principal("bench_mzj").await?;
    let cl = principal("bench_cl").await?;

    // 3. The daily sweep: everyone decided, entitlements opened, households screened.
    let t = Instant::now();
    let v = server::areas::welfare::cases::full_sweep(&state).await.map_err(|e| anyhow::anyhow!("{}", e.body().message_en))?;
    let sweep_s = t.elapsed().as_secs_f64();
    println!("sweep: {} people re-evaluated, {} entitlements opened, {} households flagged in {sweep_s:.1} s ({backend})", v.people, v.opened, v.flagged);
    let t = Instant::now();
    let v = server::areas::welfare::cases::full_sweep(&state).await.map_err(|e| anyhow::anyhow!("{}", e.body().message_en))?;
    println!("sweep again (the daily duty when nothing changed): {} people, {} opened, {} closed in {:.1} s", v.people, v.opened, v.closed, t.elapsed().as_secs_f64());

    // 4. A month's run for every beneficiary, frozen durably.
    let month = welfare::Month::of(today);
    let t = Instant::now();
    let run = server::areas::welfare::cases::freeze(&state, &mzj, server::areas::welfare::views::RunBody { month: month.to_string(), department: None })
        .await
        .map_err(|e| anyhow::anyhow!("{}", e.body().message_en))?;
    let run_s = t.elapsed().as_secs_f64();
    println!("run: {} lines, {:.2} yuan, frozen durably in {run_s:.1} s — target ≤ 30 s", run.lines, run.amount_fen as f64 / 100.0);

    // 5. One register change to its notice: a disability certificate of grade 1 published for an
    // elder, the care subsidy opened with its event and the notice to the elder written, in the
    // publishing request.
    let mut times = Vec::new();
    for e in &elders {
        let t = Instant::now();
        server::areas::pool::cases::publish(
            &state,
            &cl,
            server::areas::pool::views::PublishBody {
                record_type: "disability_cert".into(),
                subject: e.id_number.clone(),
                data: json!({ "name": e.name, "grade": 1, "kind": "肢体" }),
                valid_until: None,
            },
        )
        .await
        .map_err(|x| anyhow::anyhow!("{}", x.body().message_en))?;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let told = state.store.welfare().notices_of_kind("welfare_opened").await?;
    let (median, p99) = median_ms(times);
    println!("change → notice: {} disability certificates published, {told} notices of a benefit opened; median {median:.1} ms, p99 {p99:.1} ms — target ≤ 100 ms", elders.len());
    println!("peak memory (VmHWM): {}", peak_mib());
    state.store.close().await;
    scratch.remove().await?;
    Ok(ExitCode::SUCCESS)
}
