//! The minsheng server: the HTTP API over the one-thing engine and the store, with roles and data
//! scope on every endpoint, the deadline scheduler and the notice worker. `App::build` starts the
//! whole server (tests start it on port 0), `run` serves until interrupted. Only this crate knows
//! HTTP and JSON.

pub mod areas;
pub mod auth;
pub mod background;
pub mod config;
pub mod failure;
pub mod http_error;
pub mod http_shared;
pub mod ids;
pub mod json;
pub mod listen;
pub mod logging;
pub mod openapi;
pub mod policy;
pub mod state;
pub mod throttle;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, Request, header};
use axum::response::IntoResponse;
use axum::routing::get;
use catalog::Catalog;
use domain::{Clock, SystemClock, WorkCalendar};
use onething::{Rules, TickOutcome};
use store::{Store, StoreOptions};
use tokio::task::JoinHandle;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

pub use config::Config;

/// The lock of `m`, poisoned or not (what the server guards with a mutex stays consistent when a
/// holder panics: it is only ever extended or replaced whole).
pub(crate) fn locked<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}
pub use state::AppState;

use crate::auth::{LoginGuard, SessionCache, SiteKey};
use crate::state::{EngineParts, Inner};

#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error(transparent)]
    Config(#[from] config::ConfigError),
    #[error("the service catalog has errors:\n{0}")]
    Catalog(#[from] catalog::CatalogErrors),
    #[error("the working-day calendar {0}: {1}")]
    Calendar(String, String),
    #[error(transparent)]
    Store(#[from] store::StoreError),
    #[error("{0}: {1}")]
    Io(String, std::io::Error),
    /// The demo district's data could not be made (a use case refused it).
    #[error("the demo data: {0}")]
    Seed(String),
}

/// How to build an app beyond its configuration.
pub struct Options {
    pub clock: Arc<dyn Clock>,
    /// Run the deadline scheduler and the notice worker.
    pub background: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options { clock: Arc::new(SystemClock), background: true }
    }
}

/// A running server.
pub struct App {
    pub state: AppState,
    pub addr: SocketAddr,
    stop: tokio::sync::watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

/// Loads the catalog named by the configuration, or the embedded demo catalog.
pub fn load_catalog(config: &Config) -> Result<Catalog, ServerError> {
    Ok(match &config.catalog_path {
        Some(p) => Catalog::load_dir(p)?,
        None => Catalog::try_demo()?,
    })
}

pub fn load_calendar(config: &Config) -> Result<WorkCalendar, ServerError> {
    match &config.calendar_path {
        Some(p) => {
            let text = std::fs::read_to_string(p).map_err(|e| ServerError::Io(p.display().to_string(), e))?;
            WorkCalendar::from_toml(&text).map_err(|e| ServerError::Calendar(p.display().to_string(), e.to_string()))
        }
        None => Ok(WorkCalendar::china()),
    }
}

/// Opens the store named by the configuration (creating the data directory for SQLite).
pub async fn open_store(config: &Config) -> Result<Store, ServerError> {
    let url = config.database_url.expose();
    if url.starts_with("sqlite:") {
        let path = url.trim_start_matches("sqlite://").trim_start_matches("sqlite:");
        let path = path.split('?').next().unwrap_or("");
        if let Some(dir) = std::path::Path::new(path).parent()
            && !dir.as_os_str().is_empty()
        {
            std::fs::create_dir_all(dir).map_err(|e| ServerError::Io(dir.display().to_string(), e))?;
        }
    }
    let opts = StoreOptions {
        url: url.to_owned(),
        max_connections: config.max_connections,
        writers: config.writers,
        batch_max: config.batch_max,
        node: config.node,
        ..StoreOptions::new(url)
    };
    Ok(Store::open(&opts).await?)
}

/// Builds the state of a server without listening.
pub async fn build_state(config: Config, clock: Arc<dyn Clock>) -> Result<AppState, ServerError> {
    let catalog = load_catalog(&config)?;
    let calendar = load_calendar(&config)?;
    let store = open_store(&config).await?;
    let upload_dir = config.data_dir.join("uploads");
    std::fs::create_dir_all(&upload_dir).map_err(|e| ServerError::Io(upload_dir.display().to_string(), e))?;
    let rules = Rules {
        warn_working_days: config.warn_working_days,
        rectification_days: config.rectification_days,
        ..Rules::default()
    };
    let parts = EngineParts {
        catalog: Arc::new(catalog),
        calendar: Arc::new(calendar),
        ids: store.id_generator(),
        rules: Arc::new(rules),
    };
    let pool = Arc::new(crate::areas::pool::cases::PoolState::load(&config, &store).await?);
    let secret = SiteKey::load(&config, &store).await?;
    let login_guard = LoginGuard::new(clock.now());
    let registration = crate::areas::identity::cases::Limits::new(&config.registration);
    let guardian = Arc::new(crate::areas::guardian::live::Live::load(&store).await?);
    Ok(AppState(Arc::new(Inner {
        config,
        store,
        parts,
        clock,
        sessions: SessionCache::new(Duration::from_secs(30)),
        login_guard,
        secret,
        registration,
        upload_dir,
        circles: Arc::default(),
        pool,
        guardian,
        governance: Arc::default(),
        parking: Arc::default(),
    })))
}

/// The `Strict-Transport-Security` of every answer (API, FHIR and pages) when `auth.hsts` is on:
/// browsers then reach the site over https only, for a year, subdomains included.
pub fn hsts(config: &Config) -> Option<HeaderValue> {
    config.hsts.then_some(HeaderValue::from_static("max-age=31536000; includeSubDomains"))
}

/// The routes of the API.
pub fn router(state: AppState) -> Router {
    let json_limit = state.config.json_body_bytes;
    let _upload_limit = state.config.upload_bytes;
    let api = Router::new()
        .merge(areas::api_routes(&state))
        .route("/openapi.json", get(|| async { axum::Json(openapi::document()) }))
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), policy::api_guard))
        .fallback(crate::http_shared::fallback)
        .method_not_allowed_fallback(crate::http_shared::method_not_allowed)
        .layer(SetResponseHeaderLayer::overriding(header::CACHE_CONTROL, HeaderValue::from_static("no-store")));
    Router::new()
        .nest("/api", api)
        .nest("/fhir", areas::fhir_routes(&state).route_layer(axum::middleware::from_fn_with_state(state.clone(), policy::fhir_guard)))
        .route("/healthz", get(crate::http_shared::health).route_layer(axum::middleware::from_fn_with_state(state.clone(), policy::api_guard)))
        .route("/readyz", get(crate::http_shared::ready).route_layer(axum::middleware::from_fn_with_state(state.clone(), policy::api_guard)))
        .layer(DefaultBodyLimit::max(json_limit))
        // A body that stops arriving ends the request (408 `body_timeout`), not holds it.
        .layer(tower_http::timeout::RequestBodyTimeoutLayer::new(state.config.connections.body_timeout))
        .layer(SetResponseHeaderLayer::overriding(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
        .layer(SetResponseHeaderLayer::overriding(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
        .layer(SetResponseHeaderLayer::overriding(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer")))
        .layer(SetResponseHeaderLayer::overriding(header::STRICT_TRANSPORT_SECURITY, {
            let hsts = hsts(&state.config);
            move |_: &axum::response::Response| hsts.clone()
        }))
        .layer(CatchPanicLayer::custom(|_| {
            failure::Failure::internal(std::io::Error::other("a request handler panicked")).into_response()
        }))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request<_>| {
            // The path only: query strings may carry ID numbers.
            tracing::info_span!("http", method = %req.method(), path = %req.uri().path())
        }))
        .with_state(state)
}

impl App {
    /// Builds the state, binds `config.listen` (port 0 picks a free port) and starts serving.
    pub async fn build(config: Config, opts: Options) -> Result<App, ServerError> {
        let state = build_state(config, opts.clock).await?;
        App::serve(state, opts.background).await
    }

    /// Starts serving an already built state on its configured address.
    pub async fn serve(state: AppState, background: bool) -> Result<App, ServerError> {
        App::serve_with(state, background, Router::new()).await
    }

    /// Like `serve`, with `extra` routes (the web pages) merged beside the API's.
    pub async fn serve_with(state: AppState, background: bool, extra: Router) -> Result<App, ServerError> {
        let listen = state.config.listen;
        let channel = background::Channel::open(&state.config.notice_channel).map_err(|e| ServerError::Io("notice channel".into(), e))?;
        let listener = tokio::net::TcpListener::bind(listen).await.map_err(|e| ServerError::Io(listen.to_string(), e))?;
        let addr = listener.local_addr().map_err(|e| ServerError::Io(listen.to_string(), e))?;
        let (stop, stop_rx) = tokio::sync::watch::channel(false);
        let mut tasks = Vec::new();
        let app = router(state.clone()).merge(extra);
        let limits = state.config.connections;
        tasks.push(tokio::spawn(listen::serve(listener, app, limits, stop_rx.clone())));
        tasks.push(tokio::spawn(background::storage_watch(state.clone(), Duration::from_secs(2), stop_rx.clone())));
        if background {
            tasks.push(tokio::spawn(background::scheduler(state.clone(), stop_rx.clone())));
            tasks.push(tokio::spawn(crate::areas::pool::cases::filing_reads_logger(state.clone(), stop_rx.clone())));
            tasks.push(tokio::spawn(crate::areas::guardian::live::duty(state.clone(), stop_rx.clone())));
            tasks.push(tokio::spawn(crate::areas::guardian::live::telemetry(state.clone(), stop_rx.clone())));
            tasks.push(tokio::spawn(crate::areas::halls::crossregion::worker(state.clone(), stop_rx.clone())));
            tasks.push(tokio::spawn(crate::areas::parking::cases::worker(state.clone(), stop_rx.clone())));
            tasks.push(tokio::spawn(background::notifier(state.clone(), channel, stop_rx)));
        }
        Ok(App { state, addr, stop, tasks })
    }

    pub fn url(&self) -> String {
        self.state.config.base_url(self.addr)
    }

    /// Runs one deadline tick now.
    pub async fn tick(&self) -> Result<TickOutcome, failure::Failure> {
        crate::areas::onething::cases::tick(&self.state).await
    }

    /// Stops serving and the background tasks, and closes the store.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        for t in self.tasks {
            let _ = tokio::time::timeout(Duration::from_secs(10), t).await;
        }
        self.state.store.close().await;
    }

    /// Waits until the task serving HTTP ends.
    pub async fn wait(mut self) {
        if !self.tasks.is_empty() {
            let server = self.tasks.remove(0);
            let _ = server.await;
        }
        self.shutdown().await;
    }

    /// Asks the server to stop (for signal handlers).
    pub fn stopper(&self) -> tokio::sync::watch::Sender<bool> {
        self.stop.clone()
    }
}

/// Serves with the system clock until Ctrl-C or SIGTERM.
pub async fn run(config: Config) -> Result<(), ServerError> {
    run_with(config, |_| Router::new()).await
}

/// Like `run`, with extra routes (the web pages) built from the state merged beside the API's.
pub async fn run_with(config: Config, extra: impl FnOnce(AppState) -> Router) -> Result<(), ServerError> {
    let state = build_state(config, Options::default().clock).await?;
    let routes = extra(state.clone());
    let app = App::serve_with(state, true, routes).await?;
    tracing::info!(url = %app.url(), database = app.state.store.backend().name(), "minsheng serving");
    let stop = app.stopper();
    tokio::spawn(async move {
        shutdown_signal().await;
        let _ = stop.send(true);
    });
    app.wait().await;
    Ok(())
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}
