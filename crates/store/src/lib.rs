//! Persistence of minsheng on SQLite (embedded default) or PostgreSQL (scale-out) through one code
//! path: sqlx's `Any` driver (and, on an SQLite file, rusqlite for the hot point look-ups, see
//! `lookup`), one set of portable migrations, a group-commit writer for the application
//! aggregates, and the queries the API and the reports need. Only this crate knows SQL.

pub mod aggregate;
pub mod codec;
pub mod handles;
pub mod health;
pub mod lease;
pub mod lookup;
pub mod queries;
pub mod sync;
pub mod wal;
pub mod writer;

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use domain::IdGenerator;
use sqlx::{AnyPool, ConnectOptions, Executor};

pub use handles::*;
pub use queries::*;
pub use lookup::Cols;
pub use sync::Durable;
pub use aggregate::{Aggregate, Wanted};
pub use writer::{Job, Saved, UnitOfWork, UowError};

/// Which database is behind the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn from_url(url: &str) -> Option<Backend> {
        if url.starts_with("sqlite:") {
            Some(Backend::Sqlite)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Some(Backend::Postgres)
        } else {
            None
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("unsupported database URL (expected sqlite:… or postgres://…): {0}")]
    BadUrl(String),
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("not found: {0}")]
    NotFound(String),
    #[error("conflicting concurrent change; try again")]
    Conflict,
    #[error("duplicate: {0}")]
    Duplicate(String),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    #[error("the store is shutting down")]
    Closed,
    #[error("node number {node} is held by another live server ({holder}, last heartbeat {heartbeat_at}); give each server its own database.node, or leave it unset to take a free one")]
    NodeTaken { node: u16, holder: String, heartbeat_at: String },
    #[error("node number {0} is out of range: database.node must be 0..=1023")]
    NodeOutOfRange(u16),
    #[error("every node number (0..=1023) is held by a live server")]
    NoFreeNode,
    #[error("another server took this server's node number (it was stopped longer than the lease); restart it")]
    NodeLost,
    #[error("committed, but the write-ahead log could not be flushed to disk: {0}")]
    Flush(String),
}

impl StoreError {
    /// Whether the error is a unique-constraint violation.
    pub fn is_unique_violation(&self) -> bool {
        match self {
            StoreError::Db(sqlx::Error::Database(e)) => e.is_unique_violation(),
            StoreError::Sqlite(rusqlite::Error::SqliteFailure(e, _)) => {
                matches!(e.extended_code, rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY | rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE)
            }
            StoreError::Duplicate(_) => true,
            _ => false,
        }
    }

    /// Whether the storage cannot take this now, through no fault of the request: the disk is
    /// full or read-only, the database cannot be reached or is shutting down, a write could not
    /// be made durable, or this server lost its node lease. Answered 503 `storage_unavailable`.
    pub fn is_unavailable(&self) -> bool {
        match self {
            StoreError::Db(e) => sqlx_unavailable(e),
            StoreError::Sqlite(rusqlite::Error::SqliteFailure(e, _)) => sqlite_unavailable(e.extended_code),
            StoreError::Flush(_) | StoreError::Closed | StoreError::NodeLost => true,
            _ => false,
        }
    }

    /// Whether trying the same change again may succeed: another writer (a server beside this
    /// one) changed the same rows first, or held a lock too long. The writer retries these.
    pub fn is_contention(&self) -> bool {
        if self.is_unique_violation() {
            return true;
        }
        match self {
            StoreError::Conflict => true,
            // Serialisation failure, deadlock, lock not available.
            StoreError::Db(sqlx::Error::Database(e)) => matches!(e.code().as_deref(), Some("40001" | "40P01" | "55P03")),
            StoreError::Sqlite(rusqlite::Error::SqliteFailure(e, _)) => {
                matches!(e.extended_code & 0xff, rusqlite::ffi::SQLITE_BUSY | rusqlite::ffi::SQLITE_LOCKED)
            }
            _ => false,
        }
    }
}

/// SQLite's codes for a storage that cannot take writes: full, I/O error, read-only, cannot open.
fn sqlite_unavailable(extended: i32) -> bool {
    matches!(
        extended & 0xff,
        rusqlite::ffi::SQLITE_FULL | rusqlite::ffi::SQLITE_IOERR | rusqlite::ffi::SQLITE_READONLY | rusqlite::ffi::SQLITE_CANTOPEN
    )
}

/// The same through sqlx: SQLite's codes, PostgreSQL's classes 53 (insufficient resources), 58
/// (system error), 57P (shutting down) and read-only transactions, and a database out of reach.
fn sqlx_unavailable(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Database(d) => match d.code() {
            Some(code) => match code.parse::<i32>() {
                // SQLite reports its (extended) result code as a number.
                Ok(n) => sqlite_unavailable(n),
                // PostgreSQL's SQLSTATE.
                Err(_) => code.starts_with("53") || code.starts_with("58") || code.starts_with("57P") || code == "25006",
            },
            None => false,
        },
        sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::WorkerCrashed => true,
        _ => false,
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// How long an SQLite connection waits for a lock before it gives up.
pub(crate) const BUSY_TIMEOUT_MS: u32 = 10_000;

/// The settings of a connection that writes an SQLite file (`synchronous` NORMAL when a flusher
/// or the writer itself syncs the log before anything is acknowledged, FULL otherwise).
pub(crate) fn writer_setup(sync_mode: &str) -> String {
    format!("PRAGMA journal_mode=WAL; PRAGMA synchronous={sync_mode}; PRAGMA busy_timeout={BUSY_TIMEOUT_MS}; PRAGMA foreign_keys=ON; PRAGMA cache_size=-16384; PRAGMA temp_store=MEMORY; PRAGMA wal_autocheckpoint=0; PRAGMA journal_size_limit=536870912")
}

/// The settings of every SQLite reader connection, the read pool's and the look-ups' alike.
pub(crate) fn reader_setup() -> String {
    format!("PRAGMA busy_timeout={BUSY_TIMEOUT_MS}; PRAGMA query_only=ON; PRAGMA cache_size=-16384")
}

/// On an SQLite file, the one rusqlite connection the store's writing threads (the group-commit
/// writer's and the access log's) write with, each while it holds the write pool's connection as
/// its turn (so the lock is never contended). One connection has one page cache, which stays
/// warm: a commit by any other connection makes a connection drop its whole cache at its next
/// transaction (measured with `minsheng bench`: re-reading and re-allocating the pages took about
/// a third of the writer's time while filings' look-ups were being logged beside it).
pub(crate) type ThreadConn = Arc<std::sync::Mutex<rusqlite::Connection>>;

/// A lock the store's threads share (the thread connection, the writers' notice feed); a thread
/// that panicked holding it left nothing half-done (SQLite rolls back an unfinished transaction).
pub(crate) fn locked<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A rusqlite connection to the SQLite file at `path` (used by one thread at a time) with the
/// settings `setup`: the look-ups' and the access log's, beside sqlx's pools.
pub(crate) fn open_sqlite(path: &str, setup: &str) -> rusqlite::Result<rusqlite::Connection> {
    let c = rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX)?;
    c.execute_batch(setup)?;
    Ok(c)
}

/// How to open the store.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    pub url: String,
    /// Read connections (SQLite) or connections in all (PostgreSQL).
    pub max_connections: u32,
    /// Writer tasks: always 1 on SQLite (one writer at a time is all SQLite allows).
    pub writers: usize,
    /// Most jobs one group commit takes.
    pub batch_max: usize,
    /// This process's node number for id generation (distinct per process sharing a database).
    /// The node number of ids: `None` takes the lowest free one from the database's leases; a
    /// number is taken only if no live server holds it.
    pub node: Option<u16>,
    /// SQLite: frames the write-ahead log may hold before the checkpointer starts it over (see
    /// `wal`).
    pub wal_bound_frames: i64,
    /// SQLite: how often the checkpointer copies a growing log back into the database (see `wal`).
    pub checkpoint_every: Duration,
}

impl StoreOptions {
    pub fn new(url: &str) -> StoreOptions {
        StoreOptions { url: url.to_owned(), max_connections: 8, writers: 4, batch_max: 256, node: None, wal_bound_frames: wal::BOUND_FRAMES, checkpoint_every: wal::CHECKPOINT_EVERY }
    }
}

/// The store: a pool for reads, a pool for writes, the group-commit writer, and (on an SQLite
/// file) the connections for look-ups on the calling thread.
#[derive(Clone)]
pub struct Store {
    backend: Backend,
    read: AnyPool,
    write: AnyPool,
    writer: writer::WriterHandle,
    ids: Arc<IdGenerator>,
    flusher: Option<sync::Flusher>,
    lookups: Option<Arc<lookup::Lookups>>,
    thread_conn: Option<ThreadConn>,
    /// This server's node number, leased from the database (`open`).
    lease: Arc<std::sync::OnceLock<lease::Lease>>,
    /// Whether the storage takes writes now.
    health: Arc<health::Health>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("backend", &self.backend).finish()
    }
}

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!();

/// The migrations as SQLite runs them: a column declared `BIGINT PRIMARY KEY` is created as
/// `INTEGER PRIMARY KEY`, which SQLite makes the row's own key (its row id). Otherwise SQLite keeps
/// a hidden row id and a separate unique index on the id, so that every look-up or update by id
/// walks two B-trees and every insert writes both. The files say BIGINT because PostgreSQL's
/// INTEGER has 32 bits. Each migration keeps its file's checksum, so a database made before this
/// rewrite migrates on as before (its tables keep their separate index on the id). Made once, at
/// the first SQLite store's migration.
static SQLITE_MIGRATOR: std::sync::LazyLock<sqlx::migrate::Migrator> = std::sync::LazyLock::new(sqlite_migrator);

/// The migrations of [`SQLITE_MIGRATOR`].
fn sqlite_migrator() -> sqlx::migrate::Migrator {
    let migrations = MIGRATOR
        .iter()
        .map(|m| sqlx::migrate::Migration {
            sql: sqlx::SqlSafeStr::into_sql_str(sqlx::AssertSqlSafe(sqlite_dialect(m.sql.as_str()))),
            ..m.clone()
        })
        .collect::<Vec<_>>();
    sqlx::migrate::Migrator {
        migrations: migrations.into(),
        ignore_missing: MIGRATOR.ignore_missing,
        no_tx: MIGRATOR.no_tx,
        locking: MIGRATOR.locking,
        ..sqlx::migrate::Migrator::DEFAULT
    }
}

/// `sql` in SQLite's dialect (see [`SQLITE_MIGRATOR`]).
fn sqlite_dialect(sql: &str) -> String {
    sql.replace("BIGINT PRIMARY KEY", "INTEGER PRIMARY KEY")
}

/// Statements longer than this are not kept prepared on their connection.
const CACHEABLE_SQL: usize = 2048;

/// A query whose prepared statement is kept on its connection only when its text is short. The
/// texts of multi-row inserts and long `IN` lists change with their row counts, so a kept one is
/// seldom used again, and each holds its compiled program (megabytes for thousands of rows): a
/// hundred kept on each connection (sqlx's default) could hold gigabytes for nothing.
pub(crate) fn query_with<'q, A: sqlx::IntoArguments<sqlx::Any> + 'q>(sql: String, args: A) -> sqlx::query::Query<'q, sqlx::Any, A> {
    let keep = sql.len() <= CACHEABLE_SQL;
    sqlx::query_with(sqlx::AssertSqlSafe(sql), args).persistent(keep)
}

impl Store {
    /// Opens (and for SQLite creates) the database and runs the migrations.
    /// Then takes this server's node number from the database's leases (`lease`): the configured
    /// one if it is free, else the lowest free one; fails if it cannot.
    pub async fn open(opts: &StoreOptions) -> Result<Store> {
        let store = Store::connect(opts).await?;
        store.migrate().await?;
        let held = match lease::take(&store.write, opts.node).await {
            Ok(l) => l,
            Err(e) => {
                store.close().await;
                return Err(e);
            }
        };
        store.ids.set_node(held.node);
        let _ = store.lease.set(held);
        Ok(store)
    }

    /// Whether this server is the only live one on the database (so that a cache of what every
    /// server may change, such as sessions, can be trusted); `false` without a lease.
    pub fn alone(&self) -> bool {
        self.lease.get().is_some_and(lease::Lease::alone)
    }

    /// The node number this server holds (`None` before `open` took one).
    pub fn node(&self) -> Option<u16> {
        self.lease.get().map(|l| l.node)
    }

    /// Opens the database without migrating it or taking a node number: for commands that only
    /// read or migrate (ids made through it use the configured node, unchecked).
    pub async fn connect(opts: &StoreOptions) -> Result<Store> {
        sqlx::any::install_default_drivers();
        let backend = Backend::from_url(&opts.url).ok_or_else(|| StoreError::BadUrl(redact_url(&opts.url)))?;
        let url = match backend {
            Backend::Sqlite if !opts.url.contains("mode=") => {
                let sep = if opts.url.contains('?') { '&' } else { '?' };
                format!("{}{sep}mode=rwc", opts.url)
            }
            _ => opts.url.clone(),
        };
        let connect_opts = AnyConnectOptions::from_str(&url)?
            .log_statements(tracing::log::LevelFilter::Trace)
            .log_slow_statements(tracing::log::LevelFilter::Warn, Duration::from_millis(500));
        // The database file (SQLite, not in memory): its log gets a flusher, its look-ups run here.
        let file = match backend {
            Backend::Sqlite => sqlite_file(&opts.url),
            Backend::Postgres => None,
        };
        let flusher = file.as_deref().map(sync::Flusher::start).transpose()?;
        let (read, write, writers) = match backend {
            Backend::Sqlite => {
                // WAL lets readers run beside the one writer. With a flusher (a database file) the
                // writer commits without waiting for the disk and the flusher makes each commit
                // durable before it is acknowledged (see `sync`); the log is then synced as it
                // grows, so the checkpointer's sync stays short. Without one, synchronous=FULL syncs
                // the log at every commit. Checkpoints are not automatic: `wal` keeps the log short
                // without making commits wait (the size limit shrinks a log that grew while the
                // process was down). No ping before each acquire: a round trip to the connection's
                // thread for every write.
                let sync_mode: &'static str = if flusher.is_some() { "NORMAL" } else { "FULL" };
                let write = AnyPoolOptions::new()
                    .max_connections(1)
                    .min_connections(1)
                    .acquire_timeout(Duration::from_secs(30))
                    .test_before_acquire(false)
                    .after_connect(move |c, _| {
                        Box::pin(async move {
                            c.execute(sqlx::AssertSqlSafe(writer_setup(sync_mode))).await?;
                            Ok(())
                        })
                    })
                    .connect_with(connect_opts.clone())
                    .await?;
                // Readers: no ping before each acquire (a round trip to the connection's thread per
                // query), and a page cache of their own instead of a memory map: the log keeps growing
                // the file, and each growth made every reader remap and refault its pages (measured
                // with `minsheng bench-pool`: 7,900 → 8,500 result reads/s, p99 13.5 → 11.7 ms).
                let read = AnyPoolOptions::new()
                    .max_connections(opts.max_connections.max(1))
                    .acquire_timeout(Duration::from_secs(30))
                    .test_before_acquire(false)
                    .after_connect(|c, _| {
                        Box::pin(async move {
                            c.execute(sqlx::AssertSqlSafe(reader_setup())).await?;
                            Ok(())
                        })
                    })
                    .connect_with(connect_opts)
                    .await?;
                (read, write, 1)
            }
            Backend::Postgres => {
                let pool = AnyPoolOptions::new()
                    .max_connections(opts.max_connections.max(2))
                    .acquire_timeout(Duration::from_secs(30))
                    .connect_with(connect_opts)
                    .await?;
                (pool.clone(), pool, opts.writers.max(1))
            }
        };
        if backend == Backend::Sqlite {
            wal::spawn_checkpointer(&read, &write, file.as_deref().map(std::path::PathBuf::from), opts.wal_bound_frames, opts.checkpoint_every);
        }
        let ids = Arc::new(IdGenerator::new(opts.node.unwrap_or(0)));
        let thread_conn = match file.as_deref() {
            Some(f) => {
                let c = open_sqlite(f, &writer_setup("NORMAL"))?;
                c.set_prepared_statement_cache_capacity(64);
                Some(Arc::new(std::sync::Mutex::new(c)))
            }
            None => None,
        };
        let health = Arc::new(health::Health::default());
        let writer = writer::WriterHandle::spawn(write.clone(), ids.clone(), writers, opts.batch_max.max(1), flusher.clone(), thread_conn.as_ref(), health.clone())?;
        let lookups = file.as_deref().map(|f| Arc::new(lookup::Lookups::new(f)));
        Ok(Store { backend, read, write, writer, ids, flusher, lookups, thread_conn, lease: Arc::default(), health })
    }

    pub async fn migrate(&self) -> Result<()> {
        let migrator: &sqlx::migrate::Migrator = match self.backend {
            Backend::Sqlite => &SQLITE_MIGRATOR,
            Backend::Postgres => &MIGRATOR,
        };
        migrator.run(&self.write).await?;
        Ok(())
    }

    /// The id generator every id of this process comes from.
    pub fn ids(&self) -> &IdGenerator {
        &self.ids
    }

    /// A shared handle to the id generator.
    pub fn id_generator(&self) -> Arc<IdGenerator> {
        self.ids.clone()
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The SQLite database file, when there is one (not PostgreSQL, not in memory).
    pub(crate) fn file(&self) -> Option<&str> {
        self.lookups.as_deref().map(lookup::Lookups::path)
    }

    /// The pool for reads (on SQLite, read-only connections beside the writer).
    pub fn read_pool(&self) -> &AnyPool {
        &self.read
    }

    /// The pool for writes outside the group-commit writer (accounts, sessions, uploads, notices).
    pub fn write_pool(&self) -> &AnyPool {
        &self.write
    }

    /// Runs a job on the application aggregates through the group-commit writer; returns once its
    /// changes are committed (durable) or have failed.
    pub async fn run<J: Job>(&self, job: J) -> Result<J::Output> {
        if self.lease_lost() {
            return Err(StoreError::NodeLost);
        }
        self.writer.submit(job).await
    }

    /// Whether the storage takes writes now: the fault, if it does not.
    pub fn storage_fault(&self) -> Option<health::Fault> {
        self.health.fault()
    }

    /// Notes the outcome of a write made outside the writer (the outbox's bookkeeping).
    pub fn saw_write<T>(&self, outcome: &Result<T>) {
        self.health.saw(outcome);
    }

    /// Writes a probe row and takes it back: whether the storage takes writes (noted in
    /// [`Store::storage_fault`]).
    pub async fn probe_storage(&self) -> Result<()> {
        let r = health::probe(&self.write, self.node().unwrap_or(0)).await;
        let r = match r {
            Ok(()) => self.flushed(()).await,
            Err(e) => Err(e),
        };
        match &r {
            Ok(()) => self.health.succeeded(),
            Err(e) => self.health.failed(e),
        }
        r
    }

    /// The token of this server's node lease (unique per start), which it puts on what it leases
    /// in the database (notices being delivered) so that only it may hand them back.
    pub fn holder(&self) -> String {
        self.lease.get().map_or_else(|| "unleased".to_owned(), |l| l.holder().to_owned())
    }

    /// Whether this server runs the periodic duties shared by the servers on this database (it
    /// has the lowest live node number); alone, or without a lease, it does.
    pub fn leads(&self) -> bool {
        self.lease.get().is_none_or(lease::Lease::leads)
    }

    /// Whether this server holds its node lease (it lost it if it was stopped longer than the
    /// lease's TTL and another server took its number).
    pub fn lease_lost(&self) -> bool {
        self.lease.get().is_some_and(lease::Lease::lost)
    }

    /// On an SQLite file, the connection the store's writing threads share.
    pub(crate) fn thread_conn(&self) -> Option<&ThreadConn> {
        self.thread_conn.as_ref()
    }

    /// Asks that everything committed so far be made durable; wait on the answer before
    /// acknowledging a change. (PostgreSQL flushes at commit: the answer is immediate.)
    pub fn durable(&self) -> Durable {
        Durable::of(self.flusher.as_ref())
    }

    /// `value` once everything committed so far is durable: every write of the store that does
    /// not go through the writer or the appender answers through here.
    pub(crate) async fn flushed<T>(&self, value: T) -> Result<T> {
        self.durable().wait().await?;
        Ok(value)
    }

    /// Closes the pools after the writer drained its queue.
    pub async fn close(&self) {
        self.writer.shutdown().await;
        let _ = self.durable().wait().await;
        if let Some(l) = self.lease.get() {
            l.release(&self.write).await;
        }
        if let Some(f) = &self.flusher {
            f.close();
        }
        self.read.close().await;
        self.write.close().await;
    }
}

/// The file of an SQLite URL (`sqlite://var/x.db`, `sqlite:x.db?mode=rwc`); none in memory.
fn sqlite_file(url: &str) -> Option<String> {
    let rest = url.strip_prefix("sqlite:")?;
    let rest = rest.strip_prefix("//").unwrap_or(rest);
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    let memory = path.is_empty() || path == ":memory:" || query.split('&').any(|kv| kv == "mode=memory");
    (!memory).then(|| path.to_owned())
}

/// Creates an empty PostgreSQL database `name` on the server of `base_url` and returns its URL
/// (tests and benchmarks each get a fresh one).
pub async fn create_scratch_database(base_url: &str, name: &str) -> Result<String> {
    sqlx::any::install_default_drivers();
    if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(StoreError::BadUrl(format!("database name {name:?}")));
    }
    let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(base_url).await?;
    conn.execute(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name}"))).await?;
    conn.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"))).await?;
    let (no_query, query) = match base_url.split_once('?') {
        Some((a, q)) => (a, format!("?{q}")),
        None => (base_url, String::new()),
    };
    let (head, _) = no_query.rsplit_once('/').ok_or_else(|| StoreError::BadUrl(redact_url(base_url)))?;
    Ok(format!("{head}/{name}{query}"))
}

/// Drops a database made by `create_scratch_database`.
pub async fn drop_scratch_database(base_url: &str, name: &str) -> Result<()> {
    if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(StoreError::BadUrl(format!("database name {name:?}")));
    }
    let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(base_url).await?;
    conn.execute(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))).await?;
    Ok(())
}

/// A database URL with its password replaced, for messages and logs.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.find(':') {
                Some(c) => format!("{}{}:[redacted]{}", &url[..s + 3], &creds[..c], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// A store on an SQLite file in `dir`, where the writer and the access log run on threads of
/// their own (tests of both).
#[cfg(test)]
pub(crate) async fn file_store(dir: &tempfile::TempDir) -> Store {
    let store = Store::open(&StoreOptions::new(&format!("sqlite://{}", dir.path().join("t.db").display()))).await.unwrap();
    assert!(store.file().is_some(), "an SQLite file: the writer and the access log run on threads of their own");
    store
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_redacted_from_urls() {
        assert_eq!(redact_url("postgres://u:secret@h:5432/db"), "postgres://u:[redacted]@h:5432/db");
        assert_eq!(redact_url("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(redact_url("sqlite://var/x.db"), "sqlite://var/x.db");
    }

    /// `.cargo/config.toml` compiles SQLite without the two process-wide locks (see there); a
    /// build that lost the setting (a cargo run from outside the workspace, an overriding
    /// `LIBSQLITE3_FLAGS`) would still work, only slower, so this is where it shows.
    #[test]
    fn sqlite_is_built_without_the_process_wide_locks() {
        let c = rusqlite::Connection::open_in_memory().unwrap();
        let mut stmt = c.prepare("PRAGMA compile_options").unwrap();
        let options: Vec<String> = stmt.query_map([], |r| r.get(0)).unwrap().collect::<rusqlite::Result<_>>().unwrap();
        assert!(options.iter().any(|o| o == "DEFAULT_MEMSTATUS=0"), "{options:?}");
        assert!(!options.iter().any(|o| o == "ENABLE_MEMORY_MANAGEMENT"), "{options:?}");
    }

    /// On SQLite the id-keyed tables are keyed by their id (no separate unique index on it), and
    /// a database whose tables were made from the files as written (an index on each id) still
    /// migrates: SQLite's migrations keep the files' checksums.
    #[tokio::test]
    async fn sqlite_tables_are_keyed_by_their_id_and_older_databases_still_migrate() {
        let dir = tempfile::tempdir().unwrap();
        let store = file_store(&dir).await;
        for table in ["application", "item_case", "notice", "shared_record", "fhir_resource"] {
            assert_eq!(id_indexes(&store, table).await, 0, "{table} is keyed by its id");
        }
        assert_eq!(id_indexes(&store, "history").await, 1, "a key of two columns keeps its index");
        store.close().await;

        let old = Store::connect(&StoreOptions::new(&format!("sqlite://{}", dir.path().join("old.db").display()))).await.unwrap();
        MIGRATOR.run(old.write_pool()).await.unwrap();
        old.migrate().await.unwrap();
        assert_eq!(id_indexes(&old, "application").await, 1);
        old.close().await;
    }

    /// A database whose access log was written before the heads counted health-record reads
    /// (migration 0009) counts the entries it already holds when it migrates.
    #[tokio::test]
    async fn the_health_reads_of_an_older_access_log_are_counted_when_it_migrates() {
        let dir = tempfile::tempdir().unwrap();
        let old = Store::connect(&StoreOptions::new(&format!("sqlite://{}", dir.path().join("old.db").display()))).await.unwrap();
        let before = sqlx::migrate::Migrator {
            migrations: SQLITE_MIGRATOR.iter().filter(|m| m.version < 9).cloned().collect::<Vec<_>>().into(),
            ..sqlx::migrate::Migrator::DEFAULT
        };
        before.run(old.write_pool()).await.unwrap();
        for (chain, seq, purpose, outcome) in [(1, 1, "treatment", "allowed"), (1, 2, "treatment", "refused"), (1, 3, "consent", "allowed"), (2, 1, "treatment", "allowed"), (2, 2, "treatment", "allowed")] {
            sqlx::query(
                "INSERT INTO access_log (chain, seq, at, subject_key, resource, purpose, basis, outcome, prev_hash, hash)
                 VALUES ($1, $2, '2026-11-24T00:00:00Z', 'k', 'r', $3, 'b', $4, '', '')",
            )
            .bind(chain)
            .bind(seq)
            .bind(purpose)
            .bind(outcome)
            .execute(old.write_pool())
            .await
            .unwrap();
        }
        sqlx::query("INSERT INTO access_log_head (chain, seq, hash) VALUES (1, 3, ''), (2, 2, '')").execute(old.write_pool()).await.unwrap();
        old.migrate().await.unwrap();
        assert_eq!(old.fhir().health_lookups().await.unwrap(), 3);
        old.close().await;
    }

    /// SQLite's own unique indexes on `table` (one per primary key that is not the row id).
    async fn id_indexes(store: &Store, table: &str) -> i64 {
        let sql = "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND tbl_name = $1 AND name LIKE 'sqlite_autoindex%'";
        sqlx::query_scalar(sql).bind(table).fetch_one(store.read_pool()).await.unwrap()
    }

    #[test]
    fn sqlite_files_are_found_in_urls() {
        assert_eq!(sqlite_file("sqlite://var/x.db").as_deref(), Some("var/x.db"));
        assert_eq!(sqlite_file("sqlite:///tmp/b/bench.db?mode=rwc").as_deref(), Some("/tmp/b/bench.db"));
        assert_eq!(sqlite_file("sqlite:x.db").as_deref(), Some("x.db"));
        assert_eq!(sqlite_file("sqlite::memory:"), None);
        assert_eq!(sqlite_file("sqlite://x.db?mode=memory&cache=shared"), None);
        assert_eq!(sqlite_file("postgres://u@h/db"), None);
    }
}
