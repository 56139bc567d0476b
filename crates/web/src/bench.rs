//! The cockpit benchmark (`minsheng bench-cockpit`): fills a fresh SQLite district with simulated
//! applications run through the real engine (some 100,000 by default), then measures the cold
//! snapshot (the SQL aggregates) and the median time to render `/cockpit` through the router, as
//! a leader's browser would get it; and the two lists people open most, a clerk's queue and a
//! resident's own applications, which must not slow down as applications accumulate.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use serde::Serialize;
use tower::ServiceExt;

use crate::{WebOptions, router_with};

#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    #[error(transparent)]
    Server(#[from] server::ServerError),
    #[error(transparent)]
    Store(#[from] store::StoreError),
    #[error("{0}")]
    Other(String),
}

/// What to measure.
#[derive(Debug, Clone)]
pub struct BenchOptions {
    /// Applications to simulate.
    pub applications: usize,
    /// Page renders to time.
    pub renders: usize,
    /// Keep the database here instead of a temporary directory (reused when it exists).
    pub dir: Option<PathBuf>,
}

/// The figures.
#[derive(Debug, Clone, Serialize)]
pub struct BenchReport {
    pub applications: i64,
    pub cases: i64,
    pub fill_seconds: f64,
    /// Computing the snapshot (all SQL aggregates), median of 3.
    pub snapshot_ms: f64,
    /// The first page render, which computes the snapshot.
    pub cold_render_ms: f64,
    /// Rendering `/cockpit` from the snapshot: median and 90th percentile of `renders`.
    pub render_median_ms: f64,
    pub render_p90_ms: f64,
    /// The same for one town's page.
    pub town_render_median_ms: f64,
    /// A police clerk's queue (`/staff`), median.
    pub queue_render_median_ms: f64,
    /// The administrator's queue of every department (`/staff`), median.
    pub admin_queue_render_median_ms: f64,
    /// The administrator's supervision of every department (`/supervision`), median.
    pub supervision_render_median_ms: f64,
    /// A resident's own applications (`/applications`), median.
    pub mine_render_median_ms: f64,
    pub renders: usize,
    pub cpus: usize,
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn quantile(v: &mut [f64], q: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    if v.is_empty() {
        return 0.0;
    }
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss, clippy::cast_precision_loss)]
    let i = ((v.len() as f64 - 1.0) * q).round() as usize;
    v[i.min(v.len() - 1)]
}

async fn get(app: &axum::Router, path: &str, cookie: &str) -> Result<(Duration, usize), BenchError> {
    let req = Request::get(path).header(header::COOKIE, cookie).body(Body::empty()).map_err(|e| BenchError::Other(e.to_string()))?;
    let t = Instant::now();
    let resp = app.clone().oneshot(req).await.map_err(|e| BenchError::Other(e.to_string()))?;
    let status = resp.status();
    let body = axum::body::to_bytes(resp.into_body(), usize::MAX).await.map_err(|e| BenchError::Other(e.to_string()))?;
    let took = t.elapsed();
    if status != StatusCode::OK {
        return Err(BenchError::Other(format!("GET {path}: {status}")));
    }
    Ok((took, body.len()))
}

/// A session for `login`, as the browser would carry it (its cookie).
async fn session(state: &server::AppState, login: &str) -> Result<String, BenchError> {
    let (account, _) = state.store.identity().account_for_login(login).await?.ok_or_else(|| BenchError::Other(format!("no account {login}")))?;
    let (token, hash) = server::auth::new_token();
    let now = state.now();
    state.store.identity().create_session(&hash, account.id, now, now + chrono::Duration::hours(1)).await?;
    Ok(format!("{}={token}", server::auth::SESSION_COOKIE))
}

/// Runs the benchmark; `progress` gets (stage, done, total).
pub async fn cockpit(opts: &BenchOptions, progress: &mut (dyn FnMut(&str, u64, u64) + Send)) -> Result<BenchReport, BenchError> {
    let tmp;
    let dir = match &opts.dir {
        Some(d) => {
            std::fs::create_dir_all(d).map_err(|e| BenchError::Other(format!("{}: {e}", d.display())))?;
            d.clone()
        }
        None => {
            tmp = tempfile::tempdir().map_err(|e| BenchError::Other(e.to_string()))?;
            tmp.path().to_path_buf()
        }
    };
    let env: Vec<(String, String)> = vec![
        ("MINSHENG__DATA_DIR".into(), dir.display().to_string()),
        ("MINSHENG__DATABASE__URL".into(), format!("sqlite://{}", dir.join("bench.db").display())),
        ("MINSHENG__LISTEN".into(), "127.0.0.1:0".into()),
    ];
    let config = server::Config::load(None, env).map_err(|e| BenchError::Other(e.to_string()))?;
    let state = server::build_state(config, Arc::new(domain::SystemClock)).await?;
    let started = Instant::now();
    let seed = demo::seed::SeedOptions { history: opts.applications, history_days: 360, medins: false, welfare: false, guardian: false, governance: false, places: false, halls: false, parking: false, library: false, ..Default::default() };
    demo::seed::seed_demo(&state, &seed, progress).await?;
    let fill_seconds = started.elapsed().as_secs_f64();
    // Item cases finished or open (cancelled ones are not counted).
    let cases: i64 = state.store.cockpit().cockpit_cases().await?.iter().map(|r| r.finished + r.open).sum();
    let applications: i64 = state.store.cockpit().cockpit_applications().await?.iter().map(|a| a.applications).sum();

    let mut snaps = Vec::new();
    for i in 0..3 {
        progress("snapshot", i, 3);
        let t = Instant::now();
        crate::cockpit::compute(&state).await?;
        snaps.push(ms(t.elapsed()));
    }
    let cookie = session(&state, "admin").await?;
    let app = router_with(state.clone(), WebOptions { cockpit_max_age: Duration::from_secs(3600) });
    let (cold, _) = get(&app, "/cockpit", &cookie).await?;
    let mut times = Vec::with_capacity(opts.renders);
    for i in 0..opts.renders {
        if i % 10 == 0 {
            progress("render /cockpit", i as u64, opts.renders as u64);
        }
        times.push(ms(get(&app, "/cockpit", &cookie).await?.0));
    }
    let mut town_times = Vec::new();
    for _ in 0..opts.renders.clamp(1, 50) {
        town_times.push(ms(get(&app, "/cockpit?town=330111001", &cookie).await?.0));
    }
    // The lists people open most, which must not slow down as applications accumulate.
    let clerk = session(&state, "ga_clerk").await?;
    let resident = match state.store.registers().demo_citizen(domain::china_date(state.now())).await? {
        Some((login, _)) => session(&state, &login).await?,
        None => return Err(BenchError::Other("no resident to log in as".into())),
    };
    let lists = opts.renders.clamp(1, 50);
    let mut queue_times = Vec::new();
    let mut mine_times = Vec::new();
    let mut admin_queue_times = Vec::new();
    let mut supervision_times = Vec::new();
    for _ in 0..lists {
        queue_times.push(ms(get(&app, "/staff", &clerk).await?.0));
        mine_times.push(ms(get(&app, "/applications", &resident).await?.0));
        admin_queue_times.push(ms(get(&app, "/staff", &cookie).await?.0));
        supervision_times.push(ms(get(&app, "/supervision", &cookie).await?.0));
    }
    state.store.close().await;
    let render_median_ms = quantile(&mut times, 0.5);
    Ok(BenchReport {
        applications,
        cases,
        fill_seconds,
        snapshot_ms: quantile(&mut snaps, 0.5),
        cold_render_ms: ms(cold),
        render_median_ms,
        render_p90_ms: quantile(&mut times, 0.9),
        town_render_median_ms: quantile(&mut town_times, 0.5),
        queue_render_median_ms: quantile(&mut queue_times, 0.5),
        admin_queue_render_median_ms: quantile(&mut admin_queue_times, 0.5),
        supervision_render_median_ms: quantile(&mut supervision_times, 0.5),
        mine_render_median_ms: quantile(&mut mine_times, 0.5),
        renders: opts.renders,
        cpus: std::thread::available_parallelism().map(std::num::NonZero::get).unwrap_or(1),
    })
}
