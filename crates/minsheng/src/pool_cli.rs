//! The shared data pool's commands: `minsheng cert verify` (offline against the district's public
//! key; revocation too when given a database), `minsheng fhir import` (Bundles of Patients and
//! results, one per file or one per line), `minsheng pool verify-log` (the access log's chains).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, bail};
use domain::Describe as _;
use pool::PublicKey;
use pool::cert::{self, CredentialBody};
use server::Config;

use crate::bar;

#[derive(Debug, clap::Args)]
pub struct CertArgs {
    #[command(subcommand)]
    pub command: CertCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum CertCommand {
    /// Verify an e-certificate or rider code offline: signature and validity against the
    /// district's public key; with --database-url also revocation and the record's status.
    /// Exits 0 if valid, 1 if not.
    Verify {
        /// The credential text (MS1:…), or a file holding it.
        credential: String,
        /// The district's public key: base64url, the JSON of /api/pool/public-key, or a file
        /// holding either. Default: the key in the data directory (or the configured one).
        /// (A base64url key may begin with '-'; it is still taken as the value.)
        #[arg(long, allow_hyphen_values = true)]
        public_key: Option<String>,
        /// Check revocation in this database (sqlite://… or postgres://…).
        #[arg(long, env = "MINSHENG_DATABASE_URL")]
        database_url: Option<String>,
        /// Verify as of this RFC 3339 time instead of now.
        #[arg(long)]
        at: Option<String>,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, clap::Args)]
pub struct FhirArgs {
    #[command(subcommand)]
    pub command: FhirCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum FhirCommand {
    /// Import FHIR R4 Bundles (transaction, batch or collection) of Patients, Observations,
    /// DiagnosticReports and ImagingStudies: a JSON file holding one Bundle, or NDJSON with one
    /// Bundle per line. Each Bundle is all or nothing.
    Import {
        file: PathBuf,
        #[arg(long, env = "MINSHENG_DATABASE_URL")]
        database_url: Option<String>,
    },
}

#[derive(Debug, clap::Args)]
pub struct PoolArgs {
    #[command(subcommand)]
    pub command: PoolCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum PoolCommand {
    /// Check every chain of the access log from its first entry to its stored head; exits 1 if
    /// an entry was edited, inserted or deleted.
    VerifyLog {
        #[arg(long, env = "MINSHENG_DATABASE_URL")]
        database_url: Option<String>,
    },
}

fn with_db(mut config: Config, url: &Option<String>) -> Config {
    if let Some(u) = url {
        config.database_url = server::config::Secret::new(u.clone());
    }
    config
}

/// Text given directly, or read from the file it names.
fn text_or_file(s: &str) -> anyhow::Result<String> {
    let p = Path::new(s.trim());
    if !s.trim().starts_with(cert::PREFIX) && !s.trim().starts_with('{') && p.is_file() {
        return Ok(std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?.trim().to_owned());
    }
    Ok(s.trim().to_owned())
}

fn public_key(config: &Config, given: Option<&str>) -> anyhow::Result<PublicKey> {
    if let Some(k) = given {
        let text = text_or_file(k)?;
        return PublicKey::parse(&text).context("--public-key: expected base64url of 32 bytes or the JSON of /api/pool/public-key");
    }
    if let Some(s) = &config.pool.signing_key {
        return pool::DistrictKey::from_text(s.expose()).map(|k| k.public()).context("pool.signing_key is not a key");
    }
    let path = server::areas::pool::cases::key_path(config);
    let text = std::fs::read_to_string(&path).with_context(|| format!("no --public-key and no key file {} (start the server once, or pass the published key)", path.display()))?;
    pool::DistrictKey::from_text(&text).map(|k| k.public()).with_context(|| format!("{} is not a signing key", path.display()))
}

pub async fn cert(args: &CertArgs, config: Config) -> anyhow::Result<ExitCode> {
    let CertCommand::Verify { credential, public_key: pk, database_url, at, json } = &args.command;
    let text = text_or_file(credential)?;
    let key = public_key(&config, pk.as_deref())?;
    let now = match at {
        Some(s) => chrono::DateTime::parse_from_rfc3339(s).context("--at: expected an RFC 3339 time")?.with_timezone(&chrono::Utc),
        None => chrono::Utc::now(),
    };
    // Revocation and record status need the database; without one the check is offline.
    let mut revoked = false;
    let mut record_status: Option<String> = None;
    let mut checked_revocation = false;
    if let Some(url) = database_url {
        let opened = cert::open(&text, &[key]);
        if let Ok(v) = &opened {
            let cfg = with_db(config.clone(), &Some(url.clone()));
            let store = server::open_store(&cfg).await?;
            if let Ok(id) = v.body.id().parse::<i64>() {
                revoked = store.pool().credential(id).await?.is_some_and(|c| c.revoked_at.is_some());
            }
            if let CredentialBody::Record(c) = &v.body
                && let Ok(rid) = c.rid.parse::<i64>()
                && let Some(r) = store.pool().pool_record(domain::RecordId(rid)).await?
            {
                record_status = Some(r.meta().status(domain::china_date(now)).code().to_owned());
            }
            store.close().await;
            checked_revocation = true;
        }
    }
    let result = cert::verify(&text, &[key], now, |_| revoked);
    let ok = result.is_ok();
    if *json {
        let v = match &result {
            Ok(v) => serde_json::json!({"valid": true, "key_id": v.key_id, "kind": v.body.kind(), "body": v.body, "revocation_checked": checked_revocation, "record_status": record_status}),
            Err(e) => serde_json::json!({"valid": false, "code": e.code(), "message": e.message_zh(), "message_en": e.message_en(), "revocation_checked": checked_revocation}),
        };
        println!("{}", serde_json::to_string_pretty(&v)?);
    } else {
        match &result {
            Ok(v) => {
                println!("有效 VALID — 由本区密钥 {} 签发 signed by the district's key {}", v.key_id, v.key_id);
                match &v.body {
                    CredentialBody::Record(c) => {
                        println!("  电子证照 e-certificate {}: {} ({}), 第 {} 版 version {}", c.id, c.rn, c.rt, c.v, c.v);
                        println!("  持证人 holder: {} {}", c.hn, c.hk);
                        println!("  签发部门 issuer: {} ({})", c.isn, c.iss);
                        if let Some(s) = &record_status {
                            println!("  数据状态 record status: {s}");
                        }
                    }
                    CredentialBody::Rider(r) => {
                        println!("  小哥码 rider code {}: {} {}, 平台 platform {}", r.id, r.n, r.k, pool::rider::platform_name(&r.p).unwrap_or(&r.p));
                        println!("  可进入小区 estates: {}", r.e.join(", "));
                    }
                }
                if !checked_revocation {
                    println!("  （离线核验，未查询撤销状态；加 --database-url 查询 offline: revocation not checked)");
                }
            }
            Err(e) => {
                println!("无效 INVALID — {} ({})", e.message_zh(), e.message_en());
            }
        }
    }
    Ok(if ok { ExitCode::SUCCESS } else { ExitCode::from(1) })
}

pub async fn fhir(args: &FhirArgs, config: Config) -> anyhow::Result<ExitCode> {
    let FhirCommand::Import { file, database_url } = &args.command;
    let text = std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let bundles: Vec<&str> = if text.trim_start().starts_with('{') && serde_json::from_str::<serde_json::Value>(&text).is_ok() {
        vec![text.as_str()]
    } else {
        text.lines().filter(|l| !l.trim().is_empty()).collect()
    };
    let state = server::build_state(with_db(config, database_url), Arc::new(domain::SystemClock)).await?;
    let pb = bar(bundles.len() as u64, "fhir import");
    let (mut patients, mut results, mut care) = (0usize, 0usize, 0usize);
    for (i, b) in bundles.iter().enumerate() {
        let bundle: pool::fhir::Bundle = match serde_json::from_str::<pool::fhir::Resource>(b) {
            Ok(pool::fhir::Resource::Bundle(b)) => *b,
            Ok(other) => {
                pb.abandon();
                bail!("{} bundle {}: expected a Bundle, found {}", file.display(), i + 1, other.type_name());
            }
            Err(e) => {
                pb.abandon();
                bail!("{} bundle {}: not FHIR JSON: {e}", file.display(), i + 1);
            }
        };
        match server::areas::fhir::cases::import_bundle(&state, bundle, &server::areas::fhir::cases::Importer::command_line()).await {
            Ok((_, r)) => {
                patients += r.patients;
                results += r.results;
                care += r.care;
            }
            Err(e) => {
                pb.abandon();
                bail!("{} bundle {}: {}", file.display(), i + 1, e.0);
            }
        }
        pb.inc(1);
    }
    pb.finish_and_clear();
    println!("已导入 imported {} 个患者 patients, {} 条结果 results, {} 条诊疗记录 care records from {} bundle(s)", patients, results, care, bundles.len());
    state.store.close().await;
    Ok(ExitCode::SUCCESS)
}

pub async fn pool_command(args: &PoolArgs, config: Config) -> anyhow::Result<ExitCode> {
    let PoolCommand::VerifyLog { database_url } = &args.command;
    let config = with_db(config, database_url);
    let store = server::open_store(&config).await?;
    let pb = bar(0, "verify-log");
    let report = store
        .access_log().verify_access_log(|done, total| {
            pb.set_length(total);
            pb.set_position(done);
        })
        .await?;
    pb.finish_and_clear();
    let records = store.access_log().verify_records().await?;
    store.close().await;
    println!("已核验 {} 条调阅记录（{} 条链） checked {} access-log entries in {} chain(s)", report.entries, report.chains, report.entries, report.chains);
    for b in &report.broken {
        println!("链 chain {} 第 {} 条 entry {}: {}", b.chain, b.seq, b.seq, b.problem);
    }
    if report.broken.is_empty() {
        println!("调阅日志完整 the access log is intact");
    }
    for (id, problem) in &records {
        println!("共享数据 record {id}: {problem} (数据与版本链不符 the row differs from its version chain)");
    }
    if records.is_empty() {
        println!("共享数据的版本链与办件一致 the shared records agree with their versions and cases");
    }
    Ok(if report.broken.is_empty() && records.is_empty() { ExitCode::SUCCESS } else { ExitCode::from(1) })
}
