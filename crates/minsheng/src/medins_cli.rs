//! Medical insurance's commands: `minsheng medins load FILE.csv --as LOGIN` (a bulk load of
//! in-patient episodes in the documented CSV, all or none, as the account named) and
//! `minsheng bench medins` (grouping and settling synthetic episodes).

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use anyhow::bail;
use server::Config;
use server::auth::Principal;

/// `minsheng medins …`
#[derive(Debug, clap::Args)]
pub struct MedinsArgs {
    #[command(subcommand)]
    pub command: MedinsCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum MedinsCommand {
    /// Load in-patient episodes from a CSV file (the columns of docs/areas/medins.md), all or
    /// none, as a hospital's or the bureau's account; every error names the line and column.
    Load {
        file: PathBuf,
        /// The account the episodes are sent as (a hospital's staff: its own only; the bureau:
        /// any hospital). It is who the patients' access logs name.
        #[arg(long = "as", value_name = "LOGIN")]
        login: String,
        #[arg(long, env = "MINSHENG_DATABASE_URL")]
        database_url: Option<String>,
    },
}

/// The benchmark's options.
#[derive(Debug, Clone, clap::Args)]
pub struct BenchMedinsArgs {
    /// Episodes to group and settle as one month.
    #[arg(long, default_value_t = 1_000_000)]
    pub episodes: usize,
}

/// Where an error about `episodes[i]…` is in the file: its line (the header is line 1).
fn line_of(field: Option<&str>) -> Option<usize> {
    let rest = field?.strip_prefix("episodes[")?;
    let i: usize = rest.split(']').next()?.parse().ok()?;
    Some(i + 2)
}

pub async fn run(args: &MedinsArgs, mut config: Config) -> anyhow::Result<ExitCode> {
    let MedinsCommand::Load { file, login, database_url } = &args.command;
    if let Some(u) = database_url {
        config.database_url = server::config::Secret::new(u.clone());
    }
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let episodes = match server::areas::medins::csv::parse_episodes_csv(&bytes) {
        Ok(e) => e,
        Err(e) => {
            let b = e.body();
            bail!("{}: {} ({})", file.display(), b.message, b.message_en);
        }
    };
    let state = server::build_state(config, Arc::new(domain::SystemClock)).await?;
    let Some((account, _)) = state.store.identity().account_for_login(login).await? else {
        state.store.close().await;
        bail!("--as {login}: no such account");
    };
    let p = Principal { account, token_hash: String::new() };
    let n = episodes.len();
    let result = server::areas::medins::cases::receive(&state, &p, "csv", episodes).await;
    state.store.close().await;
    match result {
        Ok(r) => {
            println!("已接收 received {} 条新病例 new episode(s), {} 条此前已报送且无变化 unchanged, from {} line(s) of {}", r.received, r.unchanged, n, file.display());
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            let b = e.body();
            let at = match line_of(b.field.as_deref()) {
                Some(l) => format!("line {l}, {}", b.field.as_deref().unwrap_or("")),
                None => b.field.clone().unwrap_or_default(),
            };
            bail!("{}: {at}: {} ({}) — nothing was loaded", file.display(), b.message, b.message_en)
        }
    }
}

/// `minsheng bench medins`: group and settle synthetic episodes; prints the figures.
pub fn bench(args: &BenchMedinsArgs) -> anyhow::Result<ExitCode> {
    let report = medins::bench::run(args.episodes).map_err(|e| anyhow::anyhow!("{e}"))?;
    println!("{}", report.table());
    Ok(ExitCode::SUCCESS)
}
