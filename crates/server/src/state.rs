//! The shared state of a running server: configuration, store, catalog, calendar, clock, engine
//! rules, session cache, login guard, the district's HMAC key and upload directory.

use std::path::PathBuf;
use std::sync::Arc;

use catalog::Catalog;
use chrono::{DateTime, Utc};
use domain::{Clock, IdGenerator, WorkCalendar};
use onething::{Engine, Rules};
use store::Store;

use crate::auth::{LoginGuard, SessionCache, SiteKey};
use crate::config::Config;

/// What the engine needs, shareable with jobs that run on the writer task.
#[derive(Clone)]
pub struct EngineParts {
    pub catalog: Arc<Catalog>,
    pub calendar: Arc<WorkCalendar>,
    pub ids: Arc<IdGenerator>,
    pub rules: Arc<Rules>,
}

impl EngineParts {
    pub fn engine(&self) -> Engine<'_> {
        Engine { catalog: &self.catalog, calendar: &self.calendar, ids: &self.ids, rules: &self.rules }
    }
}

pub struct Inner {
    pub config: Config,
    pub store: Store,
    pub parts: EngineParts,
    pub clock: Arc<dyn Clock>,
    pub sessions: SessionCache,
    pub login_guard: LoginGuard,
    /// The key of the web pages' CSRF tokens (loaded once at start; never logged).
    pub secret: SiteKey,
    /// Registration's limits per client address.
    pub registration: crate::areas::identity::cases::Limits,
    pub upload_dir: PathBuf,
    pub circles: Arc<crate::areas::circles::cases::Registry>,
    pub pool: Arc<crate::areas::pool::cases::PoolState>,
    /// The guardian's monitor and live alarm feed.
    pub guardian: Arc<crate::areas::guardian::live::Live>,
    /// Community governance's estates, read once and kept while the database says they are the same.
    pub governance: Arc<crate::areas::governance::cases::EstateCache>,
    /// Parking guidance's car parks, live occupancy, feed keys and road network.
    pub parking: Arc<crate::areas::parking::cases::Live>,
}

/// The server state handed to every handler (cheap to clone).
#[derive(Clone)]
pub struct AppState(pub Arc<Inner>);

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl AppState {
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }
    pub fn catalog(&self) -> &Catalog {
        &self.parts.catalog
    }
    pub fn calendar(&self) -> &WorkCalendar {
        &self.parts.calendar
    }
    pub fn engine(&self) -> Engine<'_> {
        self.parts.engine()
    }
}
