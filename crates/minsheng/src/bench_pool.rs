//! `minsheng bench-pool`: loads a million FHIR results for a hundred thousand patients (multi-row
//! inserts, with a progress bar) into SQLite in a temporary directory or a scratch PostgreSQL
//! database, starts the real server on loopback, and drives it over HTTP with concurrent
//! clients: recognition checks (医检互认), reads of results by the ordering institution, and
//! purpose-bound reads of shared records under consent — every one of them written to the
//! hash-chained access log before it is answered. Reports throughput and latency percentiles.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::{NaiveDate, Utc};
use domain::{AccountId, RecordId, ResidentId};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Serialize;
use server::Config;

use crate::bar;
use crate::bench_common::{Conn, Pacer, Phase, Scratch, Tally, cpu_model, gather, login, print_header, print_row, summarise, write_latencies};

/// The tests most results are of (and the checks ask for); one result in ten is an imaging study.
const COMMON_LAB: &[&str] = &["cbc", "urinalysis", "liver_panel", "renal_panel", "glucose_fasting", "lipid_panel"];
const IMAGING: &[&str] = &["dr_chest", "ct_head", "ct_chest", "us_abdomen", "mr_lumbar"];

#[derive(Debug, clap::Args)]
pub struct BenchPoolArgs {
    /// Use PostgreSQL: a scratch database is created on this server and dropped afterwards.
    #[arg(long)]
    database_url: Option<String>,
    /// Patients to load.
    #[arg(long, default_value_t = 100_000)]
    patients: usize,
    /// Results (DiagnosticReports and ImagingStudies) to load, spread over the patients.
    #[arg(long, default_value_t = 1_000_000)]
    results: usize,
    /// Shared records (with a consent each) for the record-read phase.
    #[arg(long, default_value_t = 20_000)]
    records: usize,
    /// Concurrent HTTP clients.
    #[arg(long, default_value_t = 64)]
    clients: usize,
    /// Seconds each phase runs.
    #[arg(long, default_value_t = 15)]
    seconds: u64,
    /// Offer this many requests per second in each phase, shared by the clients, instead of each
    /// sending again as soon as it is answered; latency then counts from each request's slot.
    #[arg(long)]
    rate: Option<f64>,
    /// Also write the figures as JSON to this file.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Also write every answered request as CSV to this file: phase, when it was due (ms since
    /// the phase began) and its latency (ms).
    #[arg(long)]
    latencies: Option<PathBuf>,
    /// Also verify the whole access log afterwards and report how long it took.
    #[arg(long)]
    verify_log: bool,
}

#[derive(Debug, Serialize)]
struct Figures {
    backend: String,
    cpus: usize,
    cpu_model: String,
    patients: usize,
    results: usize,
    fhir_rows: usize,
    load_seconds: f64,
    load_rows_per_second: f64,
    clients: usize,
    seconds: u64,
    recognition_checks: Phase,
    recognised_share: f64,
    result_reads: Phase,
    record_reads: Phase,
    access_log_entries: i64,
    verify_log_seconds: Option<f64>,
    access_log_intact: Option<bool>,
}

/// The synthetic patient number `i`: a valid, unique resident ID number.
fn patient(i: usize) -> anyhow::Result<demo::seed_pool::SynthPatient> {
    let base = NaiveDate::from_ymd_opt(1940, 1, 1).context("date")?;
    let birth = base + chrono::Days::new((i / 900) as u64 * 3 % 29_000 + (i / 900) as u64 / 10);
    let seq = u16::try_from(i % 900 + 1).unwrap_or(1);
    let region = ["330111", "330183", "330122", "330127"][(i / 900 / 9000) % 4];
    let id = ResidentId::from_parts(region, birth, seq).map_err(|e| anyhow::anyhow!("synthetic ID {i}: {e}"))?;
    Ok(demo::seed_pool::SynthPatient {
        key: id.as_str().to_owned(),
        logical_id: format!("bp{i}"),
        name: format!("患者{i}"),
        sex: if seq % 2 == 1 { "male".into() } else { "female".into() },
        birth,
    })
}

pub async fn run(args: &BenchPoolArgs, base: Config) -> anyhow::Result<ExitCode> {
    let (scratch, state) = Scratch::start("bench-pool", args.database_url.as_deref(), &base).await?;
    let backend = state.store.backend().name().to_owned();
    let now = Utc::now();

    // Accounts: a clinician per institution, a clerk of the public security bureau.
    let hash = server::auth::hash_password(demo::seed::DEMO_PASSWORD, state.config.argon2_memory_kib, state.config.argon2_iterations)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let institutions: Vec<String> = state.pool.recognition.institutions().map(|i| i.code.clone()).collect();
    let mut accounts = Vec::new();
    for (login, dept) in institutions.iter().map(|i| (format!("bench_{i}"), i.clone())).chain([("bench_ga".to_owned(), "ga".to_owned())]) {
        accounts.push(store::NewAccount {
            id: AccountId(state.parts.ids.next()),
            login,
            password_hash: hash.clone(),
            display_name: format!("bench {dept}"),
            kind: store::AccountKind::Staff,
            roles: vec![catalog::Role::Clerk],
            person_id: None,
            enterprise_id: None,
            department: Some(dept),
            division: None,
            phone: None,
            created_at: now,
        });
    }
    state.store.identity().insert_accounts(&accounts).await?;

    // Load: patients and results, generated on a blocking thread, inserted in multi-row batches.
    eprintln!("装载 loading {} patients and {} results into {backend} …", args.patients, args.results);
    let per_patient = args.results.div_ceil(args.patients.max(1)).max(1);
    let total_rows = (2 * args.patients + args.results) as u64;
    let pb = bar(total_rows, "load");
    let (tx, mut rx) = tokio::sync::mpsc::channel::<(Vec<store::FhirRow>, Vec<store::CareRow>)>(4);
    let gen_state = state.clone();
    let (patients, results) = (args.patients, args.results);
    let generator = tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
        let cat = &gen_state.pool.recognition;
        let insts: Vec<&pool::Institution> = cat.institutions().collect();
        let lab: Vec<&pool::RecognisableItem> = COMMON_LAB.iter().filter_map(|c| cat.item(c)).collect();
        let imaging: Vec<&pool::RecognisableItem> = IMAGING.iter().filter_map(|c| cat.item(c)).collect();
        let mut rng = StdRng::seed_from_u64(2026);
        let mut batch = Vec::with_capacity(20_000);
        let mut care = Vec::with_capacity(20_000);
        let mut made = 0usize;
        let mut row_id = 1_000_000_000_i64;
        for i in 0..patients {
            let p = patient(i)?;
            let res = demo::seed_pool::patient_resource(&p, &mut rng, cat);
            row_id += 1;
            batch.push(server::areas::fhir::cases::index_row(&gen_state, &res, row_id, &p.key, now).map_err(|e| anyhow::anyhow!("{}", e.0))?);
            // The patient's visit to one institution (patient i to institution i mod n) in the last
            // fortnight: the treatment relation that lets its clinicians check and read.
            let seen_at = now - chrono::Duration::minutes(rng.random_range(60..14 * 24 * 60));
            let visit = demo::seed_pool::visit(insts[i % insts.len()], &p.logical_id, seen_at, format!("be{i}"));
            row_id += 1;
            batch.push(server::areas::fhir::cases::index_row(&gen_state, &visit, row_id, &p.key, now).map_err(|e| anyhow::anyhow!("{}", e.0))?);
            care.extend(server::areas::fhir::cases::care_row(&gen_state, &visit, &p.key, "").map_err(|e| anyhow::anyhow!("{}", e.0))?);
            for k in 0..per_patient {
                if made >= results {
                    break;
                }
                made += 1;
                let item = if k % 10 == 9 { imaging[rng.random_range(0..imaging.len())] } else { lab[rng.random_range(0..lab.len())] };
                let qualified: Vec<&&pool::Institution> = insts.iter().filter(|x| cat.qualified(&x.code, &item.code)).collect();
                let inst = qualified[rng.random_range(0..qualified.len())];
                let at = now - chrono::Duration::minutes(rng.random_range(60..60 * 24 * 60));
                let mut n = 0;
                let mut next = || {
                    n += 1;
                    n
                };
                for mut r in demo::seed_pool::result_resources(item, inst, &p.logical_id, at, &mut rng, &mut next) {
                    // A result row per report or study; its observations are left out of the load.
                    match &mut r {
                        pool::fhir::Resource::DiagnosticReport(d) => {
                            d.id = Some(format!("b{i}-{k}"));
                            d.result.clear();
                        }
                        pool::fhir::Resource::ImagingStudy(s) => s.id = Some(format!("b{i}-{k}")),
                        _ => continue,
                    }
                    row_id += 1;
                    batch.push(server::areas::fhir::cases::index_row(&gen_state, &r, row_id, &p.key, now).map_err(|e| anyhow::anyhow!("{}", e.0))?);
                }
            }
            if batch.len() >= 20_000 {
                if tx.blocking_send((std::mem::take(&mut batch), std::mem::take(&mut care))).is_err() {
                    return Ok(());
                }
            }
        }
        if !batch.is_empty() {
            let _ = tx.blocking_send((batch, care));
        }
        Ok(())
    });
    let t0 = Instant::now();
    let mut loaded = 0usize;
    while let Some((rows, care)) = rx.recv().await {
        state.store.fhir().insert_fhir(&rows).await?;
        state.store.fhir().upsert_fhir_and_care(&[], &care).await?;
        loaded += rows.len();
        pb.set_position(loaded as u64);
    }
    generator.await??;
    let load_seconds = t0.elapsed().as_secs_f64();
    pb.finish_and_clear();
    eprintln!("装载完成 loaded {loaded} rows in {load_seconds:.1} s ({:.0} rows/s)", loaded as f64 / load_seconds);

    // Shared records with a consent each, for the record reads.
    let mut records = Vec::new();
    let mut consents = Vec::new();
    for i in 0..args.records.min(args.patients) {
        let p = patient(i)?;
        let rid = state.parts.ids.next();
        records.push(store::SharedRecord {
            id: RecordId(rid),
            record_type: "household_register".into(),
            subject_kind: "person".into(),
            subject_key: p.key.clone(),
            department: "ga".into(),
            issued_at: now,
            valid_until: None,
            application: None,
            case: None,
            data: serde_json::json!({"household_number": format!("H{i:08}"), "name": p.name, "relation": "户主", "birth": p.birth.format("%Y-%m-%d").to_string(), "division": "330111001"}),
        });
        consents.push(pool::Consent {
            id: state.parts.ids.next(),
            subject_key: p.key.clone(),
            grantee_kind: pool::GranteeKind::Org,
            grantee: "ga".into(),
            record_types: vec!["household_register".into()],
            purpose: "bench".into(),
            granted_at: now,
            valid_until: domain::china_date(now) + chrono::Days::new(30),
            revoked_at: None,
        });
    }
    for (r, c) in records.chunks(2000).zip(consents.chunks(2000)) {
        state.store.onething().insert_records(r).await?;
        state.store.pool().insert_consents(c).await?;
    }
    let reads: Arc<Vec<(i64, i64)>> = Arc::new(records.iter().zip(&consents).map(|(r, c)| (r.id.0, c.id)).collect());

    let app = server::App::serve(state, false).await?;
    let url = app.url();
    let addr = app.addr;
    let client = reqwest::Client::builder().build()?;
    let mut tokens = Vec::new();
    for i in 0..args.clients {
        let inst = &institutions[i % institutions.len()];
        tokens.push((inst.clone(), login(&client, &url, &format!("bench_{inst}")).await?));
    }
    let ga = login(&client, &url, "bench_ga").await?;
    let items: Vec<(String, String)> =
        COMMON_LAB.iter().filter_map(|c| app.state.pool.recognition.item(c)).map(|i| (i.system.clone(), i.item_code().to_owned())).collect();
    let items = Arc::new(items);

    let (rate, clients) = (args.rate, args.clients);

    // Phase 1: recognition checks.
    eprintln!("阶段一 phase 1: {} clients run recognition checks for {} s …", args.clients, args.seconds);
    let deadline = Instant::now() + Duration::from_secs(args.seconds);
    let start = Instant::now();
    let mut tasks = Vec::new();
    let n_insts = institutions.len();
    for (c, (_, token)) in tokens.iter().cloned().enumerate() {
        let items = items.clone();
        let patients = args.patients;
        // The patients of this client's institution: those that visited it.
        let own = c % n_insts;
        let treated = patients.saturating_sub(own).div_ceil(n_insts);
        let mut conn = Conn::open(addr).await?;
        tasks.push(tokio::spawn(async move {
            let mut rng = StdRng::seed_from_u64(c as u64);
            let (mut tally, mut recognised, mut checked) = (Tally::default(), 0usize, Vec::new());
            let mut pacer = Pacer::new(rate, clients, c, start);
            while let Some(t) = pacer.slot_before(deadline).await {
                let p = rng.random_range(0..treated.max(1)) * n_insts + own;
                let (system, code) = &items[rng.random_range(0..items.len())];
                let body = format!(
                    r#"{{"resourceType":"ServiceRequest","status":"active","intent":"order","code":{{"coding":[{{"system":"{system}","code":"{code}"}}]}},"subject":{{"reference":"Patient/bp{p}"}}}}"#
                );
                let r = conn.send("POST", "/fhir/ServiceRequest/$recognition-check", &token, Some(("application/fhir+json", body)), &[]).await;
                if let Some(bytes) = tally.answer("check", t, &[200], r) {
                    if bytes.windows(13).any(|w| w == b"DetectedIssue") {
                        recognised += 1;
                    }
                    checked.push(p);
                }
            }
            (tally, recognised, checked)
        }));
    }
    let (mut recognised, mut checked_by, mut tallies) = (0, Vec::new(), Vec::new());
    for t in tasks {
        let (tally, r, c) = t.await?;
        recognised += r;
        checked_by.push(c);
        tallies.push(tally);
    }
    let checks = summarise(tallies, start, rate);
    let recognised_share = recognised as f64 / checks.requests.max(1) as f64;

    // Phase 2: each institution reads the results of the patients it ordered for.
    eprintln!("阶段二 phase 2: {} clients read results (GET /fhir/…/{{id}}) for {} s …", args.clients, args.seconds);
    let deadline = Instant::now() + Duration::from_secs(args.seconds);
    let start = Instant::now();
    let mut tasks = Vec::new();
    for (c, ((_, token), mine)) in tokens.iter().cloned().zip(checked_by).enumerate() {
        let mut conn = Conn::open(addr).await?;
        tasks.push(tokio::spawn(async move {
            let mut rng = StdRng::seed_from_u64(1000 + c as u64);
            let mut tally = Tally::default();
            if mine.is_empty() {
                return tally;
            }
            let mut pacer = Pacer::new(rate, clients, c, start);
            while let Some(t) = pacer.slot_before(deadline).await {
                let p = mine[rng.random_range(0..mine.len())];
                let k = rng.random_range(0..per_patient);
                let ty = if k % 10 == 9 { "ImagingStudy" } else { "DiagnosticReport" };
                let r = conn.send("GET", &format!("/fhir/{ty}/b{p}-{k}"), &token, None, &[]).await;
                tally.answer("read", t, &[200], r);
            }
            tally
        }));
    }
    let result_reads = gather(tasks, start, rate).await?;

    // Phase 3: shared records read under the subject's consent.
    eprintln!("阶段三 phase 3: {} clients read shared records under consent for {} s …", args.clients, args.seconds);
    let deadline = Instant::now() + Duration::from_secs(args.seconds);
    let start = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..args.clients {
        let token = ga.clone();
        let reads = reads.clone();
        let mut conn = Conn::open(addr).await?;
        tasks.push(tokio::spawn(async move {
            let mut rng = StdRng::seed_from_u64(2000 + c as u64);
            let mut tally = Tally::default();
            if reads.is_empty() {
                return tally;
            }
            let mut pacer = Pacer::new(rate, clients, c, start);
            while let Some(t) = pacer.slot_before(deadline).await {
                let (rid, cid) = reads[rng.random_range(0..reads.len())];
                let r = conn.send("GET", &format!("/api/pool/records/{rid}?purpose=consent&ref={cid}"), &token, None, &[]).await;
                tally.answer("record read", t, &[200], r);
            }
            tally
        }));
    }
    let record_reads = gather(tasks, start, rate).await?;

    let [_, _, access_log_entries, _, _, _] = app.state.store.pool().pool_counts().await?;
    let (mut verify_log_seconds, mut intact) = (None, None);
    if args.verify_log {
        let t = Instant::now();
        let v = app.state.store.access_log().verify_access_log(|_, _| {}).await?;
        verify_log_seconds = Some(t.elapsed().as_secs_f64());
        intact = Some(v.broken.is_empty());
    }
    app.shutdown().await;
    scratch.remove().await?;

    let f = Figures {
        backend,
        cpus: std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1),
        cpu_model: cpu_model(),
        patients: args.patients,
        results: args.results,
        fhir_rows: loaded,
        load_seconds,
        load_rows_per_second: loaded as f64 / load_seconds,
        clients: args.clients,
        seconds: args.seconds,
        recognition_checks: checks,
        recognised_share,
        result_reads,
        record_reads,
        access_log_entries,
        verify_log_seconds,
        access_log_intact: intact,
    };
    println!(
        "minsheng bench-pool — {} on {} CPU(s) ({}), {} patients, {} results ({} rows loaded in {:.1} s, {:.0} rows/s), {} clients, {} s per phase",
        f.backend, f.cpus, f.cpu_model, f.patients, f.results, f.fhir_rows, f.load_seconds, f.load_rows_per_second, f.clients, f.seconds
    );
    print_header(34);
    for (name, p) in [
        ("recognition check (POST $check)", &f.recognition_checks),
        ("result read (GET /fhir/…/{id})", &f.result_reads),
        ("shared record read (consent)", &f.record_reads),
    ] {
        print_row(name, 34, p);
    }
    println!("checks with a recognisable result: {:.1}%; access-log entries written: {}", f.recognised_share * 100.0, f.access_log_entries);
    if let (Some(s), Some(ok)) = (f.verify_log_seconds, f.access_log_intact) {
        println!("access log verified in {s:.1} s: {}", if ok { "intact" } else { "BROKEN" });
    }
    if let Some(path) = &args.json {
        std::fs::write(path, serde_json::to_string_pretty(&f)?)?;
    }
    if let Some(path) = &args.latencies {
        write_latencies(path, &[("checks", &f.recognition_checks), ("result_reads", &f.result_reads), ("record_reads", &f.record_reads)])?;
    }
    Ok(ExitCode::SUCCESS)
}
