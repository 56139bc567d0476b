//! `minsheng parking simulate`: plays the demo's car parks' occupancy feeds over MQTT — every lot
//! publishes its counts every `--interval` seconds as its own feed user (`parking-{lot}` with the
//! lot's key, from `DATA_DIR/parking-feeds.csv`, written when the demo was seeded), following a
//! day as hospitals live it (mornings fill by 9–10, a dip at lunch, empty evenings; staff bays
//! full in working hours; garages and street bays take the overflow), with a lot or two going
//! silent now and then so that signs and guidance show them as unknown. `minsheng demo` runs the
//! same simulator in-process against its embedded broker.

use std::path::Path;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use chrono::DateTime;
use chrono::Datelike;
use chrono::NaiveDateTime;
use chrono::SecondsFormat;
use chrono::Timelike;
use chrono::Utc;
use demo::seed_parking::DemoKind;
use demo::seed_parking::DemoLot;
use rand::Rng;
use rand::SeedableRng;
use rand::rngs::StdRng;

/// `minsheng parking …`
#[derive(Debug, clap::Args)]
pub struct ParkingArgs {
    #[command(subcommand)]
    pub command: ParkingCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum ParkingCommand {
    /// Publish the demo car parks' occupancy through the broker, each lot as its own feed user.
    Simulate(SimulateArgs),
}

/// The simulator's options.
#[derive(Debug, Clone, clap::Args)]
pub struct SimulateArgs {
    /// The broker (the demo's embedded one by default).
    #[arg(long, default_value = "mqtt://127.0.0.1:1884")]
    pub broker: String,
    /// The lots' feed users and keys, as the demo wrote them.
    #[arg(long, default_value = "var/demo/parking-feeds.csv")]
    pub feeds: PathBuf,
    /// Each lot publishes every this many seconds.
    #[arg(long, default_value_t = 30)]
    pub interval: u64,
    /// Stop after this many seconds (0 = run until Ctrl-C).
    #[arg(long, default_value_t = 0)]
    pub seconds: u64,
    /// How many lots go silent now and then (12 minutes in every 30: unknown after 5 silent minutes).
    #[arg(long, default_value_t = 2)]
    pub silent: usize,
    /// The seed of the counts' small random wobble.
    #[arg(long, default_value_t = 20_261_207)]
    pub seed: u64,
}

/// One lot's feed: its id, MQTT user, topic and key.
#[derive(Debug, Clone)]
pub struct Feed {
    pub lot: String,
    pub user: String,
    pub topic: String,
    pub key: String,
}

/// Reads `lot,user,topic,key` lines; an error names the line.
pub fn read_feeds(path: &Path) -> anyhow::Result<Vec<Feed>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("{}: cannot read (run `minsheng demo` first)", path.display()))?;
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate().skip(1) {
        if line.trim().is_empty() {
            continue;
        }
        let f: Vec<&str> = line.split(',').map(str::trim).collect();
        if f.len() != 4 || f.iter().any(|x| x.is_empty()) {
            anyhow::bail!("{}:{}: expected lot,user,topic,key", path.display(), i + 1);
        }
        out.push(Feed { lot: f[0].to_owned(), user: f[1].to_owned(), topic: f[2].to_owned(), key: f[3].to_owned() });
    }
    Ok(out)
}

/// The share of a lot's visitor bays taken at a local time of day (hours, 0–24), by what it is.
fn visitor_share(kind: DemoKind, hour: f64) -> f64 {
    // (hour, share) points of a weekday, joined by straight lines.
    const HOSPITAL: &[(f64, f64)] = &[
        (0.0, 0.10), (6.0, 0.12), (7.0, 0.35), (8.0, 0.75), (9.0, 0.93), (10.0, 0.99), (11.0, 0.97), (11.75, 0.88), (12.5, 0.72),
        (13.5, 0.85), (14.5, 0.94), (15.5, 0.88), (16.5, 0.70), (17.5, 0.45), (19.0, 0.28), (21.0, 0.16), (24.0, 0.10),
    ];
    // Garages near a hospital take its overflow, and the evening's shoppers.
    const GARAGE: &[(f64, f64)] = &[
        (0.0, 0.08), (7.0, 0.15), (8.0, 0.35), (9.0, 0.65), (10.0, 0.88), (11.0, 0.85), (12.5, 0.60), (14.0, 0.78), (15.5, 0.70),
        (17.0, 0.50), (19.0, 0.58), (21.0, 0.35), (23.0, 0.12), (24.0, 0.08),
    ];
    const STREET: &[(f64, f64)] = &[
        (0.0, 0.05), (7.0, 0.30), (8.0, 0.70), (9.5, 0.97), (11.5, 0.92), (12.5, 0.70), (14.0, 0.92), (16.0, 0.85), (18.0, 0.60),
        (21.0, 0.30), (24.0, 0.05),
    ];
    let curve = match kind {
        DemoKind::Hospital => HOSPITAL,
        DemoKind::Garage => GARAGE,
        DemoKind::Street => STREET,
    };
    let h = hour.clamp(0.0, 24.0);
    for w in curve.windows(2) {
        let ((h0, s0), (h1, s1)) = (w[0], w[1]);
        if h <= h1 {
            return s0 + (s1 - s0) * (h - h0) / (h1 - h0);
        }
    }
    curve.last().map_or(0.0, |p| p.1)
}

/// Occupied bays (visitor, staff, disabled, EV) of a lot at a local time, `wobble` in −1..1 moving
/// the shares a little.
pub fn occupancy(lot: &DemoLot, local: NaiveDateTime, wobble: f64) -> (u32, u32, u32, u32) {
    let hour = f64::from(local.hour()) + f64::from(local.minute()) / 60.0 + f64::from(local.second()) / 3600.0;
    let weekday = local.weekday().num_days_from_monday();
    // Saturday mornings still have clinics; Sundays are quiet.
    let day = match weekday {
        5 => 0.75,
        6 => 0.55,
        _ => 1.0,
    };
    let visitor = (visitor_share(lot.kind, hour) * day + 0.03 * wobble).clamp(0.0, 1.0);
    let working = weekday < 5 && (7.5..17.5).contains(&hour);
    let staff = if working { 0.97 + 0.03 * wobble.abs() } else { 0.25 + 0.05 * wobble };
    let (cv, cs, cd, ce) = lot.bays;
    let of = |cap: u32, share: f64| ((f64::from(cap) * share.clamp(0.0, 1.0)).round() as u32).min(cap);
    (of(cv, visitor), of(cs, staff), of(cd, visitor * 0.6), of(ce, visitor * 0.85))
}

/// Whether the `rank`-th silent lot (of those chosen to go silent) says nothing at `now`: 12
/// minutes in every 30, the lots taking turns.
fn is_silent(rank: Option<usize>, now: DateTime<Utc>) -> bool {
    let Some(rank) = rank else { return false };
    let minute = now.timestamp().div_euclid(60) + (rank as i64) * 15;
    minute.rem_euclid(30) < 12
}

/// The JSON of one reading.
fn payload(lot: &DemoLot, at: DateTime<Utc>, counts: (u32, u32, u32, u32)) -> String {
    let (v, s, d, e) = counts;
    let (cv, cs, cd, ce) = lot.bays;
    let mut bays = serde_json::Map::new();
    for (name, cap, n) in [("visitor", cv, v), ("staff", cs, s), ("disabled", cd, d), ("ev", ce, e)] {
        if cap > 0 {
            bays.insert(name.to_owned(), serde_json::json!({ "occupied": n }));
        }
    }
    serde_json::json!({ "lot": lot.id, "at": at.to_rfc3339_opts(SecondsFormat::Millis, true), "bays": bays }).to_string()
}

/// What the simulator is told.
#[derive(Debug, Clone)]
pub struct Options {
    pub broker: String,
    pub interval: Duration,
    pub silent: usize,
    pub seed: u64,
    /// Stop after this long (`None`: until `stop`).
    pub run_for: Option<Duration>,
    /// Print what it does (the command) or only log it (inside the demo).
    pub verbose: bool,
}

/// Connects each lot's feed user (trying for up to 30 s while a broker starts), then publishes
/// every lot's counts every interval until `stop` (or `run_for`); the readings sent.
pub async fn run_feeds(feeds: Vec<Feed>, opts: Options, mut stop: tokio::sync::watch::Receiver<bool>) -> anyhow::Result<u64> {
    let mut lots: Vec<(&'static DemoLot, Feed, telemetry::Publisher)> = Vec::new();
    for f in feeds {
        let Some(lot) = demo::seed_parking::lot(&f.lot) else {
            tracing::warn!(lot = %f.lot, "parking simulate: not a demo lot (its bays are unknown); left out");
            continue;
        };
        let mut tries = 0;
        let client = loop {
            match telemetry::Publisher::connect(&opts.broker, &f.user, Some(telemetry::Credentials::new(f.user.clone(), f.key.clone())), 8).await {
                Ok(c) => break c,
                Err(e) if tries < 150 => {
                    tries += 1;
                    tracing::debug!(error = %e, lot = %f.lot, "connecting again");
                    tokio::select! {
                        _ = tokio::time::sleep(Duration::from_millis(200)) => {}
                        _ = stop.changed() => return Ok(0),
                    }
                }
                Err(e) => return Err(e).with_context(|| format!("lot {} cannot connect to {} as {}", f.lot, opts.broker, f.user)),
            }
        };
        lots.push((lot, f, client));
    }
    let n = lots.len();
    // The lots that go silent now and then: spread over the list, chosen by the seed.
    let silent: Vec<usize> = if n == 0 { Vec::new() } else { (0..opts.silent.min(n)).map(|k| (opts.seed as usize + k * n.div_ceil(opts.silent.max(1))) % n).collect() };
    let rank_of = |i: usize| silent.iter().position(|s| *s == i);
    let names: Vec<&str> = silent.iter().map(|i| lots[*i].0.id).collect();
    if opts.verbose {
        println!(
            "模拟 {n} 个停车场的数据接入，每 {} 秒上报一次；{} 不时中断（5 分钟无数据即显示“—”） simulating {n} car parks' feeds",
            opts.interval.as_secs(),
            names.join("、")
        );
    }
    tracing::info!(lots = n, silent = ?names, interval_s = opts.interval.as_secs(), "parking simulate: feeds publishing");
    let mut rng = StdRng::seed_from_u64(opts.seed);
    // A slow swing of each lot around the curve, so that lots of a kind do not move in step.
    let phase: Vec<f64> = (0..n).map(|_| rng.random_range(0.0..std::f64::consts::TAU)).collect();
    let started = tokio::time::Instant::now();
    let mut tick = tokio::time::interval(opts.interval.max(Duration::from_secs(1)));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let (mut sent, mut failed) = (0u64, 0u64);
    let mut last_report = started;
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stop.changed() => break,
        }
        if opts.run_for.is_some_and(|d| started.elapsed() >= d) {
            break;
        }
        let now = Utc::now();
        let local = parking_local(now);
        let minutes = now.timestamp() as f64 / 60.0;
        for (i, (lot, feed, client)) in lots.iter().enumerate() {
            if is_silent(rank_of(i), now) {
                continue;
            }
            let wobble = (0.6 * (minutes / 47.0 + phase[i]).sin() + 0.4 * rng.random_range(-1.0..1.0)).clamp(-1.0, 1.0);
            let body = payload(lot, now, occupancy(lot, local, wobble));
            match client.send(&feed.topic, body).await {
                Ok(()) => sent += 1,
                Err(e) => {
                    failed += 1;
                    tracing::debug!(error = %e, lot = %feed.lot, "parking simulate: not sent");
                }
            }
        }
        if opts.verbose && last_report.elapsed() >= Duration::from_secs(300) {
            last_report = tokio::time::Instant::now();
            println!("已发送 {sent} 条读数 readings sent ({failed} not sent)");
        }
    }
    for (_, _, client) in lots {
        client.disconnect().await;
    }
    if opts.verbose {
        println!("共发送 {sent} 条读数 readings sent in total ({failed} not sent)");
    }
    Ok(sent)
}

/// China local time, as the lots' hours and the curves are read.
fn parking_local(now: DateTime<Utc>) -> NaiveDateTime {
    (now + chrono::Duration::hours(8)).naive_utc()
}

pub async fn run(args: &ParkingArgs) -> anyhow::Result<ExitCode> {
    match &args.command {
        ParkingCommand::Simulate(a) => {
            let feeds = read_feeds(&a.feeds)?;
            let opts = Options {
                broker: a.broker.clone(),
                interval: Duration::from_secs(a.interval.max(1)),
                silent: a.silent,
                seed: a.seed,
                run_for: (a.seconds > 0).then(|| Duration::from_secs(a.seconds)),
                verbose: true,
            };
            let (stop, stop_rx) = tokio::sync::watch::channel(false);
            tokio::spawn(async move {
                server::shutdown_signal().await;
                let _ = stop.send(true);
            });
            run_feeds(feeds, opts, stop_rx).await?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(day: u32, h: u32, m: u32) -> NaiveDateTime {
        // 2026-12-07 is a Monday.
        chrono::NaiveDate::from_ymd_opt(2026, 12, day).and_then(|d| d.and_hms_opt(h, m, 0)).expect("time")
    }

    #[test]
    fn a_hospital_fills_by_ten_dips_at_lunch_and_empties_at_night() {
        let lot = demo::seed_parking::lot("fy-first-p").expect("lot");
        let share = |t| f64::from(occupancy(lot, t, 0.0).0) / f64::from(lot.bays.0);
        assert!(share(at(7, 10, 0)) > 0.95, "full by ten");
        assert!(share(at(7, 12, 30)) < share(at(7, 10, 0)) - 0.15, "the lunch dip");
        assert!(share(at(7, 22, 0)) < 0.2 && share(at(7, 3, 0)) < 0.2, "empty evenings");
        assert!(share(at(13, 10, 0)) < share(at(7, 10, 0)), "a quieter Sunday");
        let staff = |t| occupancy(lot, t, 0.0).1;
        assert!(staff(at(7, 11, 0)) >= lot.bays.1 * 95 / 100, "staff bays full in working hours");
        assert!(staff(at(7, 23, 0)) < lot.bays.1 / 2);
    }

    #[test]
    fn counts_never_pass_capacity_and_silence_comes_and_goes() {
        for lot in demo::seed_parking::LOTS {
            for h in 0..24 {
                for w in [-1.0, 0.0, 1.0] {
                    let (v, s, d, e) = occupancy(lot, at(8, h, 17), w);
                    let (cv, cs, cd, ce) = lot.bays;
                    assert!(v <= cv && s <= cs && d <= cd && e <= ce, "{}", lot.id);
                }
            }
        }
        let t0 = DateTime::parse_from_rfc3339("2026-12-07T02:00:00Z").expect("t").to_utc();
        let silent: Vec<bool> = (0..30).map(|m| is_silent(Some(0), t0 + chrono::Duration::minutes(m))).collect();
        assert_eq!(silent.iter().filter(|s| **s).count(), 12);
        assert!(!is_silent(None, t0));
        let p: serde_json::Value = serde_json::from_str(&payload(demo::seed_parking::lot("fy-third-street").expect("lot"), t0, (3, 0, 0, 0))).expect("json");
        assert_eq!(p["bays"], serde_json::json!({"visitor": {"occupied": 3}}), "only the bay types the lot has");
    }
}
