//! `minsheng guardian simulate`: plays the demo's guarded homes over MQTT — every device reports
//! as the telemetry simulator's routines say, through the broker with its own credentials (from
//! `DATA_DIR/guardian-devices.csv`, written when the demo was seeded) — with scripted incidents
//! soon after the start (a fall, an SOS, a fever, an elder who stops moving), so that the console
//! shows live alarms.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use chrono::Utc;

/// `minsheng guardian …`
#[derive(Debug, clap::Args)]
pub struct GuardianArgs {
    #[command(subcommand)]
    pub command: GuardianCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum GuardianCommand {
    /// Publish the demo homes' telemetry through the broker, with incidents.
    Simulate(SimulateArgs),
}

/// The simulator's options.
#[derive(Debug, Clone, clap::Args)]
pub struct SimulateArgs {
    /// The broker (the demo's embedded one by default).
    #[arg(long, default_value = "mqtt://127.0.0.1:1884")]
    pub broker: String,
    /// The devices' credentials, as the demo wrote them.
    #[arg(long, default_value = "var/demo/guardian-devices.csv")]
    pub devices: PathBuf,
    /// Use only the first N devices' homes (0 = all).
    #[arg(long, default_value_t = 0)]
    pub limit: usize,
    /// Each device reports every this many seconds.
    #[arg(long, default_value_t = 60)]
    pub interval: u32,
    /// Stop after this many seconds (0 = run until Ctrl-C).
    #[arg(long, default_value_t = 0)]
    pub seconds: u64,
    /// The seed the demo was made with.
    #[arg(long, default_value_t = 20_261_122)]
    pub seed: u64,
}

struct Device {
    id: String,
    password: String,
}

/// Reads `sim_elder,sim_device,device,kind,password` lines (and the number of homes); an error
/// names the line.
fn read_devices(path: &PathBuf) -> anyhow::Result<(HashMap<String, Device>, u32)> {
    let text = std::fs::read_to_string(path).with_context(|| format!("{}: cannot read (run `minsheng demo` first)", path.display()))?;
    let mut out = HashMap::new();
    let mut homes = 0u32;
    for (i, line) in text.lines().enumerate().skip(1) {
        let f: Vec<&str> = line.split(',').collect();
        let elder = f.first().and_then(|e| e.parse::<u32>().ok());
        let (Some(elder), 5) = (elder, f.len()) else {
            anyhow::bail!("{}:{}: expected sim_elder,sim_device,device,kind,password", path.display(), i + 1);
        };
        if f.iter().any(|x| x.is_empty()) {
            anyhow::bail!("{}:{}: an empty field", path.display(), i + 1);
        }
        homes = homes.max(elder);
        out.insert(f[1].to_owned(), Device { id: f[2].to_owned(), password: f[4].to_owned() });
    }
    Ok((out, homes))
}

pub async fn run(args: &GuardianArgs) -> anyhow::Result<ExitCode> {
    match &args.command {
        GuardianCommand::Simulate(a) => simulate(a).await,
    }
}

async fn simulate(a: &SimulateArgs) -> anyhow::Result<ExitCode> {
    let (devices, count) = read_devices(&a.devices)?;
    // The demo enrolled its homes from the simulation with the same seed, starting today.
    let now = Utc::now();
    let today = domain::china_date(now);
    let mut cfg = demo::seed_guardian::simulation_config(count, a.seed, domain::china_start_of_day(today));
    cfg.interval_s = a.interval.max(1);
    let s = chrono::Duration::seconds;
    cfg.incidents = vec![
        guardian::Incident { elder: 0, kind: guardian::IncidentKind::Fall, at: now + s(20) },
        guardian::Incident { elder: 1.min(count.saturating_sub(1)), kind: guardian::IncidentKind::Sos, at: now + s(60) },
        guardian::Incident { elder: 2.min(count.saturating_sub(1)), kind: guardian::IncidentKind::Fever { hours: 2 }, at: now + s(90) },
    ];
    let sim = guardian::Simulation::new(&cfg);
    let mut publishers: HashMap<String, (telemetry::Publisher, String)> = HashMap::new();
    let wanted: Vec<guardian::DeviceProfile> = sim.devices();
    let limit = if a.limit == 0 { usize::MAX } else { a.limit };
    for d in wanted.iter().take(limit) {
        let Some(dev) = devices.get(&d.id) else { continue };
        // A broker just started may not listen yet: devices try again, for up to 10 s.
        let mut tries = 0;
        let client = loop {
            match telemetry::Publisher::connect(&a.broker, &dev.id, Some(telemetry::Credentials::new(dev.id.clone(), dev.password.clone())), 32).await {
                Ok(c) => break c,
                Err(e) if tries < 50 => {
                    tries += 1;
                    tracing::debug!(error = %e, "connecting again");
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                Err(e) => return Err(e).with_context(|| format!("device {} cannot connect to {}", dev.id, a.broker)),
            }
        };
        publishers.insert(d.id.clone(), (client, telemetry::topic::device_topic(&dev.id)));
    }
    println!("模拟 {} 台设备（{} 户），每 {} 秒上报一次；20 秒后跌倒、60 秒后 SOS、90 秒后发热 simulating {} devices", publishers.len(), count, cfg.interval_s, publishers.len());
    let started = std::time::Instant::now();
    let mut from = Utc::now();
    let mut sent = 0u64;
    loop {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let to = Utc::now();
        for m in sim.window(from, to) {
            if let Some((p, topic)) = publishers.get(m.device) {
                if p.send(topic, m.payload.clone()).await.is_ok() {
                    sent += 1;
                }
            }
        }
        from = to;
        if a.seconds > 0 && started.elapsed() >= Duration::from_secs(a.seconds) {
            break;
        }
        if started.elapsed().as_secs() % 30 == 0 {
            println!("已发送 {sent} 条 readings sent");
        }
    }
    for (_, (p, _)) in publishers {
        let _ = p.flush().await;
        p.disconnect().await;
    }
    println!("共发送 {sent} 条 readings sent in total");
    Ok(ExitCode::SUCCESS)
}
