//! The group-commit writer. Jobs that change application aggregates queue up; a writer task takes
//! whatever has queued, loads the aggregates they touch in one transaction, runs the jobs in order
//! on in-memory copies, writes every change with a few multi-row statements and commits once, then
//! answers each job. A job is acknowledged only after its commit, so an acknowledged request is
//! durable. If the batch fails (a concurrent writer on PostgreSQL changed an aggregate, or a unique
//! key clashed), each job is retried alone so that one bad job never fails the others.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use domain::{AccountId, ApplicationId, IdGenerator};
use onething::{Application, Effects, Touched};
use sqlx::any::AnyArguments;
use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyConnection, AnyPool, Arguments, Row};
use tokio::sync::{Mutex, mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::codec::{self, Value};
use crate::sync::{Durable, Flusher, again};
use crate::{Result, StoreError};

/// A unit of work on application aggregates, run by the writer inside a batch.
pub trait Job: Send + 'static {
    type Output: Send + 'static;
    /// The applications to load before `run`.
    fn applications(&self) -> Vec<ApplicationId> {
        Vec::new()
    }
    /// The idempotency key to look up before `run`.
    fn idempotency(&self) -> Option<(AccountId, String)> {
        None
    }
    /// Jobs with the same route always go to the same writer task (PostgreSQL runs several).
    fn route(&self) -> u64;
    /// Applies the job to the unit of work. May run more than once (after a failed batch), each
    /// time on freshly loaded state; must not have effects outside `uow`.
    fn run(&mut self, uow: &mut UnitOfWork) -> Self::Output;
}

/// Why a change through the unit of work did not happen.
#[derive(Debug)]
pub enum UowError<E> {
    NotFound(ApplicationId),
    Job(E),
}

/// A remembered idempotency key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Saved {
    pub request_hash: String,
    pub application: ApplicationId,
}

/// The state a batch works on: loaded aggregates, their changes and the effects to write.
#[derive(Debug, Default)]
pub struct UnitOfWork {
    apps: HashMap<ApplicationId, Application>,
    loaded_versions: HashMap<ApplicationId, i64>,
    changed: BTreeSet<ApplicationId>,
    idem: HashMap<(AccountId, String), Saved>,
    new_idem: Vec<(AccountId, String, Saved)>,
    effects: Effects,
}

impl UnitOfWork {
    pub fn get(&self, id: ApplicationId) -> Option<&Application> {
        self.apps.get(&id)
    }

    /// Runs `f` on a copy of the application; keeps the copy and the effects only if `f` succeeds,
    /// so a failed job leaves nothing half-changed.
    pub fn change<T, E>(
        &mut self,
        id: ApplicationId,
        f: impl FnOnce(&mut Application) -> std::result::Result<(T, Effects), E>,
    ) -> std::result::Result<T, UowError<E>> {
        let current = self.apps.get(&id).ok_or(UowError::NotFound(id))?;
        let mut copy = current.clone();
        let (out, effects) = f(&mut copy).map_err(UowError::Job)?;
        self.apps.insert(id, copy);
        self.changed.insert(id);
        self.effects.extend(effects);
        Ok(out)
    }

    /// Adds a new application with the effects of its filing.
    pub fn insert(&mut self, mut app: Application, effects: Effects) {
        app.mark_all_touched();
        self.changed.insert(app.id);
        self.apps.insert(app.id, app);
        self.effects.extend(effects);
    }

    pub fn idempotency(&self, account: AccountId, key: &str) -> Option<&Saved> {
        self.idem.get(&(account, key.to_owned()))
    }

    /// Remembers an idempotency key with the application it created.
    pub fn remember(&mut self, account: AccountId, key: &str, request_hash: &str, application: ApplicationId) {
        let saved = Saved { request_hash: request_hash.to_owned(), application };
        self.idem.insert((account, key.to_owned()), saved.clone());
        self.new_idem.push((account, key.to_owned(), saved));
    }
}

// ---------------------------------------------------------------------------------------------
// Type erasure, so one queue carries jobs of every kind.

trait Erased: Send {
    fn applications(&self) -> Vec<ApplicationId>;
    fn idempotency(&self) -> Option<(AccountId, String)>;
    fn run(&mut self, uow: &mut UnitOfWork);
    fn finish(self: Box<Self>, result: Result<()>);
}

struct Wrap<J: Job> {
    job: J,
    out: Option<J::Output>,
    reply: oneshot::Sender<Result<J::Output>>,
}

impl<J: Job> Erased for Wrap<J> {
    fn applications(&self) -> Vec<ApplicationId> {
        self.job.applications()
    }
    fn idempotency(&self) -> Option<(AccountId, String)> {
        self.job.idempotency()
    }
    fn run(&mut self, uow: &mut UnitOfWork) {
        self.out = Some(self.job.run(uow));
    }
    fn finish(self: Box<Self>, result: Result<()>) {
        let msg = match (result, self.out) {
            (Ok(()), Some(out)) => Ok(out),
            (Ok(()), None) => Err(StoreError::Closed),
            (Err(e), _) => Err(e),
        };
        // The caller may have gone away (client disconnected); the work is committed regardless.
        let _ = self.reply.send(msg);
    }
}

type Queue = mpsc::Sender<Box<dyn Erased>>;

/// The handle to the writer tasks.
#[derive(Clone)]
pub(crate) struct WriterHandle {
    queues: Arc<Mutex<Vec<Queue>>>,
    senders: Arc<Vec<Queue>>,
    tasks: Arc<Mutex<Vec<JoinHandle<()>>>>,
    next: Arc<AtomicUsize>,
}

impl WriterHandle {
    pub(crate) fn spawn(pool: AnyPool, ids: Arc<IdGenerator>, writers: usize, batch_max: usize, flusher: Option<Flusher>) -> WriterHandle {
        let mut senders = Vec::with_capacity(writers);
        let mut tasks = Vec::with_capacity(writers);
        for n in 0..writers {
            let (tx, rx) = mpsc::channel::<Box<dyn Erased>>(batch_max * 8);
            senders.push(tx);
            let w = Writer { pool: pool.clone(), ids: ids.clone(), flusher: flusher.clone() };
            tasks.push(tokio::spawn(async move {
                writer_loop(n, w, rx, batch_max).await;
            }));
        }
        WriterHandle {
            queues: Arc::new(Mutex::new(senders.clone())),
            senders: Arc::new(senders),
            tasks: Arc::new(Mutex::new(tasks)),
            next: Arc::new(AtomicUsize::new(0)),
        }
    }

    pub(crate) async fn submit<J: Job>(&self, job: J) -> Result<J::Output> {
        let n = self.senders.len();
        let route = job.route();
        let idx = if route == 0 {
            self.next.fetch_add(1, Ordering::Relaxed) % n
        } else {
            usize::try_from(route % n as u64).unwrap_or(0)
        };
        let (tx, rx) = oneshot::channel();
        let boxed: Box<dyn Erased> = Box::new(Wrap { job, out: None, reply: tx });
        self.senders[idx].send(boxed).await.map_err(|_| StoreError::Closed)?;
        rx.await.map_err(|_| StoreError::Closed)?
    }

    pub(crate) async fn shutdown(&self) {
        self.queues.lock().await.clear();
        let tasks: Vec<JoinHandle<()>> = self.tasks.lock().await.drain(..).collect();
        for t in tasks {
            t.abort();
            let _ = t.await;
        }
    }
}

/// Aggregates the writer saved last, with their documents as written, so that the next job on
/// the same application needs no read. Safe on every backend: a stale entry fails the version
/// check on save, and any failed batch empties the cache.
#[derive(Default)]
struct Cache {
    apps: HashMap<ApplicationId, Application>,
}

impl Cache {
    const MAX: usize = 50_000;
}

/// What a writer task writes with.
struct Writer {
    pool: AnyPool,
    ids: Arc<IdGenerator>,
    flusher: Option<Flusher>,
}

async fn writer_loop(n: usize, w: Writer, mut rx: mpsc::Receiver<Box<dyn Erased>>, batch_max: usize) {
    let mut batch: Vec<Box<dyn Erased>> = Vec::with_capacity(batch_max);
    let mut cache = Cache::default();
    while let Some(first) = rx.recv().await {
        batch.push(first);
        while batch.len() < batch_max {
            match rx.try_recv() {
                Ok(j) => batch.push(j),
                Err(_) => break,
            }
        }
        let jobs = std::mem::take(&mut batch);
        let size = jobs.len();
        match run_batch(&w, &mut cache, jobs).await {
            Ok(()) => {}
            Err((e, jobs)) => {
                tracing::warn!(writer = n, size, error = %e, "batch failed; retrying its jobs one by one");
                cache.apps.clear();
                for job in jobs {
                    if let Err((e, mut rest)) = run_batch(&w, &mut cache, vec![job]).await {
                        cache.apps.clear();
                        if let Some(j) = rest.pop() {
                            j.finish(Err(e));
                        }
                    }
                }
            }
        }
    }
}

/// Runs one batch; on failure hands the jobs back unanswered. Once the batch has committed the
/// writer goes on to the next while the jobs wait, apart, for the flush that makes theirs durable.
async fn run_batch(w: &Writer, cache: &mut Cache, mut jobs: Vec<Box<dyn Erased>>) -> std::result::Result<(), (StoreError, Vec<Box<dyn Erased>>)> {
    match try_batch(w, cache, &mut jobs).await {
        Ok(()) => {
            Durable::of(w.flusher.as_ref()).then(move |r| {
                for j in jobs {
                    j.finish(again(&r));
                }
            });
            Ok(())
        }
        Err(e) => Err((e, jobs)),
    }
}

async fn try_batch(w: &Writer, cache: &mut Cache, jobs: &mut [Box<dyn Erased>]) -> Result<()> {
    let (pool, ids) = (&w.pool, &*w.ids);
    let t0 = std::time::Instant::now();
    let mut tx = pool.begin().await?;
    let mut uow = UnitOfWork::default();
    let wanted: BTreeSet<ApplicationId> = jobs.iter().flat_map(|j| j.applications()).collect();
    let mut missing = Vec::new();
    for id in wanted {
        match cache.apps.get(&id) {
            Some(app) => {
                uow.loaded_versions.insert(id, app.version);
                uow.apps.insert(id, app.clone());
            }
            None => missing.push(id),
        }
    }
    load_applications(&mut tx, &missing, &mut uow).await?;
    let keys: Vec<(AccountId, String)> = jobs.iter().filter_map(|j| j.idempotency()).collect();
    load_idempotency(&mut tx, &keys, &mut uow).await?;
    let t1 = std::time::Instant::now();
    for j in jobs.iter_mut() {
        j.run(&mut uow);
    }
    let t2 = std::time::Instant::now();
    let saved = save(&mut tx, ids, &uow).await?;
    let t3 = std::time::Instant::now();
    tx.commit().await?;
    let t4 = std::time::Instant::now();
    if cache.apps.len() + saved.len() > Cache::MAX {
        cache.apps.clear();
    }
    for id in saved {
        if let Some(mut app) = uow.apps.remove(&id) {
            app.touched = Touched::default();
            app.version = uow.loaded_versions.get(&id).map_or(1, |v| v + 1);
            cache.apps.insert(id, app);
        }
    }
    tracing::debug!(jobs = jobs.len(), load_us = (t1 - t0).as_micros() as u64, run_us = (t2 - t1).as_micros() as u64,
        save_us = (t3 - t2).as_micros() as u64, commit_us = (t4 - t3).as_micros() as u64, "batch");
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Loading.

/// Pads an id list to the next power of two (repeating the last id) so that the statement cache
/// sees a handful of distinct SQL texts instead of one per batch size.
fn padded(ids: &[i64]) -> Vec<i64> {
    let mut v = ids.to_vec();
    if let Some(&last) = ids.last() {
        v.resize(ids.len().next_power_of_two(), last);
    }
    v
}

/// `n` bind placeholders numbered from `from`: `$1,$2,…` on PostgreSQL, anonymous `?` on SQLite
/// (SQLite looks numbered parameters up by name in a list, which makes statements with thousands
/// of them quadratic to bind).
fn placeholders(from: usize, n: usize, anonymous: bool) -> String {
    if anonymous {
        let mut s = "?,".repeat(n);
        s.pop();
        s
    } else {
        (from..from + n).map(|i| format!("${i}")).collect::<Vec<_>>().join(",")
    }
}

fn is_sqlite(conn: &AnyConnection) -> bool {
    conn.backend_name() == "SQLite"
}

/// `{sql_prefix} (…ids…) {sql_suffix}` for one chunk of ids, with its arguments.
fn in_list(conn: &AnyConnection, sql_prefix: &str, sql_suffix: &str, chunk: &[i64]) -> Result<(String, AnyArguments)> {
    let ids = padded(chunk);
    let sql = format!("{sql_prefix} ({}) {sql_suffix}", placeholders(1, ids.len(), is_sqlite(conn)));
    let mut args = AnyArguments::default();
    for id in &ids {
        args.add(*id).map_err(sqlx::Error::Encode)?;
    }
    Ok((sql, args))
}

async fn fetch_in(conn: &mut AnyConnection, sql_prefix: &str, sql_suffix: &str, ids: &[i64]) -> Result<Vec<sqlx::any::AnyRow>> {
    let mut out = Vec::new();
    for chunk in ids.chunks(512) {
        let (sql, args) = in_list(conn, sql_prefix, sql_suffix, chunk)?;
        out.extend(sqlx::query_with(sqlx::AssertSqlSafe(sql), args).fetch_all(&mut *conn).await?);
    }
    Ok(out)
}

/// Runs a statement on a list of ids (`DELETE FROM t WHERE id IN`), in chunks; rows affected.
pub(crate) async fn execute_in(conn: &mut AnyConnection, sql_prefix: &str, ids: &[i64]) -> Result<u64> {
    let mut affected = 0;
    for chunk in ids.chunks(512) {
        let (sql, args) = in_list(conn, sql_prefix, "", chunk)?;
        affected += sqlx::query_with(sqlx::AssertSqlSafe(sql), args).execute(&mut *conn).await?.rows_affected();
    }
    Ok(affected)
}

/// Loads whole application aggregates (application, cases, rectifications).
pub(crate) async fn load_applications(conn: &mut AnyConnection, ids: &[ApplicationId], uow: &mut UnitOfWork) -> Result<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let raw: Vec<i64> = ids.iter().map(|i| i.0).collect();
    for app in load_aggregates(conn, &raw).await? {
        uow.loaded_versions.insert(app.id, app.version);
        uow.apps.insert(app.id, app);
    }
    Ok(())
}

/// Reads application aggregates by id, in any order.
pub(crate) async fn load_aggregates(conn: &mut AnyConnection, ids: &[i64]) -> Result<Vec<Application>> {
    let rows = fetch_in(conn, "SELECT * FROM application WHERE id IN", "", ids).await?;
    let docs = fetch_in(conn, "SELECT * FROM application_doc WHERE application_id IN", "", ids).await?;
    let mut by_id: HashMap<i64, &sqlx::any::AnyRow> = HashMap::with_capacity(docs.len());
    for d in &docs {
        by_id.insert(d.try_get("application_id")?, d);
    }
    let mut apps: HashMap<ApplicationId, Application> = HashMap::with_capacity(rows.len());
    for r in &rows {
        let id: i64 = r.try_get("id")?;
        let doc = by_id.get(&id).ok_or_else(|| StoreError::Corrupt(format!("application {id} has no documents")))?;
        let app = codec::application_from_rows(r, doc)?;
        apps.insert(app.id, app);
    }
    if apps.is_empty() {
        return Ok(Vec::new());
    }
    let found: Vec<i64> = apps.keys().map(|k| k.0).collect();
    let rows = fetch_in(conn, "SELECT * FROM item_case WHERE application_id IN", "ORDER BY application_id, pos", &found).await?;
    let mut seen = BTreeSet::new();
    for r in &rows {
        let (aid, _, c) = codec::case_from_row(r)?;
        if seen.insert(c.id)
            && let Some(a) = apps.get_mut(&aid)
        {
            a.cases.push(c);
        }
    }
    let rows = fetch_in(conn, "SELECT * FROM rectification WHERE application_id IN", "ORDER BY opened_at, id", &found).await?;
    let mut seen = BTreeSet::new();
    for r in &rows {
        let (aid, rect) = codec::rectification_from_row(r)?;
        if seen.insert(rect.id)
            && let Some(a) = apps.get_mut(&aid)
        {
            a.rectifications.push(rect);
        }
    }
    Ok(apps.into_values().collect())
}

async fn load_idempotency(conn: &mut AnyConnection, keys: &[(AccountId, String)], uow: &mut UnitOfWork) -> Result<()> {
    let anonymous = is_sqlite(conn);
    for chunk in keys.chunks(256) {
        // (account_id, idem_key) IN (VALUES (…), …): one primary-key probe per key, one statement.
        let mut sql = String::from(
            "SELECT account_id, idem_key, request_hash, application_id FROM idempotency WHERE (account_id, idem_key) IN (VALUES ",
        );
        let mut args = AnyArguments::default();
        for (i, (account, key)) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push(',');
            }
            sql.push('(');
            sql.push_str(&placeholders(2 * i + 1, 2, anonymous));
            sql.push(')');
            args.add(account.0).map_err(sqlx::Error::Encode)?;
            args.add(key.clone()).map_err(sqlx::Error::Encode)?;
        }
        sql.push(')');
        for r in sqlx::query_with(sqlx::AssertSqlSafe(sql), args).fetch_all(&mut *conn).await? {
            uow.idem.insert(
                (AccountId(r.try_get("account_id")?), r.try_get("idem_key")?),
                Saved { request_hash: r.try_get("request_hash")?, application: ApplicationId(r.try_get("application_id")?) },
            );
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Saving.

pub(crate) fn bind(args: &mut AnyArguments, v: &Value) -> Result<()> {
    let r = match v {
        Value::I(i) => args.add(*i),
        Value::OptI(i) => args.add(*i),
        Value::S(s) => args.add(s.clone()),
        Value::OptS(s) => args.add(s.clone()),
    };
    r.map_err(|e| StoreError::Db(sqlx::Error::Encode(e)))
}

/// Inserts rows with multi-row statements, in power-of-two chunks (for the statement cache) that
/// stay under both databases' limits on bind parameters. Returns the rows affected.
pub(crate) async fn insert_rows(
    conn: &mut AnyConnection,
    table: &str,
    columns: &[&str],
    rows: &[Vec<Value>],
    tail: &str,
) -> Result<u64> {
    let mut script = Script::new(conn);
    script.insert(table, columns, rows, tail)?;
    script.execute(conn).await
}

/// Statements sent to the database together. On SQLite they become one multi-statement text run
/// in one round trip to the connection's thread (its anonymous `?` parameters are taken in order
/// across the statements); PostgreSQL's extended protocol takes one statement at a time, so there
/// they run one after another.
pub(crate) struct Script {
    sqlite: bool,
    statements: Vec<(String, AnyArguments)>,
}

impl Script {
    pub(crate) fn new(conn: &AnyConnection) -> Script {
        Script { sqlite: is_sqlite(conn), statements: Vec::new() }
    }

    /// The text and arguments the next statement goes into: on SQLite the one script's (after a
    /// separator), elsewhere a statement of its own.
    fn next(&mut self) -> &mut (String, AnyArguments) {
        match self.statements.last_mut() {
            Some(last) if self.sqlite => last.0.push_str(";\n"),
            _ => self.statements.push((String::new(), AnyArguments::default())),
        }
        self.statements.last_mut().expect("a statement was just ensured")
    }

    /// Adds multi-row inserts of `rows`, in power-of-two chunks (for the statement cache) that
    /// stay under both databases' limits on bind parameters; `tail` follows each (ON CONFLICT …).
    pub(crate) fn insert(&mut self, table: &str, columns: &[&str], rows: &[Vec<Value>], tail: &str) -> Result<()> {
        let max_rows = (30_000 / columns.len().max(1)).max(1);
        let anonymous = self.sqlite;
        let cols = columns.join(", ");
        let mut start = 0;
        while start < rows.len() {
            let left = rows.len() - start;
            let take = prev_power_of_two(left.min(max_rows));
            let chunk = &rows[start..start + take];
            let (sql, args) = self.next();
            sql.push_str("INSERT INTO ");
            sql.push_str(table);
            sql.push_str(" (");
            sql.push_str(&cols);
            sql.push_str(") VALUES ");
            let mut p = 1;
            for (i, row) in chunk.iter().enumerate() {
                if i > 0 {
                    sql.push(',');
                }
                sql.push('(');
                sql.push_str(&placeholders(p, row.len(), anonymous));
                sql.push(')');
                p += row.len();
                for v in row {
                    bind(args, v)?;
                }
            }
            if !tail.is_empty() {
                sql.push(' ');
                sql.push_str(tail);
            }
            start += take;
        }
        Ok(())
    }

    /// Runs the statements in a transaction of their own and commits it; the rows affected. On
    /// SQLite the transaction's BEGIN and COMMIT travel in the same one round trip (and a failed
    /// script is rolled back before the connection goes back to its pool).
    pub(crate) async fn commit(self, conn: &mut PoolConnection<Any>) -> Result<u64> {
        if self.sqlite {
            let Some((sql, args)) = self.statements.into_iter().next() else { return Ok(0) };
            let script = format!("BEGIN IMMEDIATE;\n{sql};\nCOMMIT");
            match sqlx::query_with(sqlx::AssertSqlSafe(script), args).execute(&mut **conn).await.map(|r| r.rows_affected()) {
                Ok(n) => Ok(n),
                Err(e) => {
                    // Ends the transaction if the script began one; if even that fails, the
                    // connection is not handed back in an unknown state.
                    if sqlx::query("ROLLBACK").execute(&mut **conn).await.is_err() {
                        conn.close_on_drop();
                    }
                    Err(e.into())
                }
            }
        } else {
            let mut tx = sqlx::Connection::begin(&mut **conn).await?;
            let n = self.execute(&mut tx).await?;
            tx.commit().await?;
            Ok(n)
        }
    }

    /// Runs the statements; the rows they return, in order.
    pub(crate) async fn fetch(self, conn: &mut AnyConnection) -> Result<Vec<sqlx::any::AnyRow>> {
        let mut rows = Vec::new();
        for (sql, args) in self.statements {
            rows.extend(sqlx::query_with(sqlx::AssertSqlSafe(sql), args).fetch_all(&mut *conn).await?);
        }
        Ok(rows)
    }

    /// Runs the statements; the rows affected by all of them.
    pub(crate) async fn execute(self, conn: &mut AnyConnection) -> Result<u64> {
        let mut affected = 0;
        for (sql, args) in self.statements {
            affected += sqlx::query_with(sqlx::AssertSqlSafe(sql), args).execute(&mut *conn).await?.rows_affected();
        }
        Ok(affected)
    }
}

impl crate::Store {
    /// Inserts rows into `table` in one transaction of multi-row statements (one [`Script`]),
    /// outside the writer: bulk loads and the data pool's own tables.
    pub(crate) async fn insert_all(&self, table: &str, columns: &[&str], rows: &[Vec<Value>], tail: &str) -> Result<u64> {
        let mut conn = self.write_pool().acquire().await?;
        let mut script = Script::new(&conn);
        script.insert(table, columns, rows, tail)?;
        let n = script.commit(&mut conn).await?;
        drop(conn);
        self.flushed(n).await
    }
}

fn prev_power_of_two(n: usize) -> usize {
    if n == 0 { 0 } else { 1 << (usize::BITS - 1 - n.leading_zeros()) }
}

fn upsert_tail(conflict: &str, set: &[&str], guard: &str) -> String {
    let sets: Vec<String> = set.iter().map(|c| format!("{c} = excluded.{c}")).collect();
    format!("ON CONFLICT ({conflict}) DO UPDATE SET {} {guard}", sets.join(", "))
}

/// Writes the batch's changes; returns the applications saved.
async fn save(conn: &mut AnyConnection, ids: &IdGenerator, uow: &UnitOfWork) -> Result<Vec<ApplicationId>> {
    let mut new_apps = Vec::new();
    let mut filed = Vec::new();
    let mut updated_apps = Vec::new();
    let mut doc_rows = Vec::new();
    let mut case_rows = Vec::new();
    let mut rect_rows = Vec::new();
    let mut saved = Vec::with_capacity(uow.changed.len());
    for id in &uow.changed {
        let Some(app) = uow.apps.get(id) else { continue };
        match uow.loaded_versions.get(id) {
            None => {
                new_apps.push(codec::application_values(app, 1));
                filed.push(vec![Value::I(id.0)]);
            }
            Some(v) => updated_apps.push(codec::application_values(app, v + 1)),
        }
        if app.touched.created || app.touched.docs {
            let [form, materials, ratings] = codec::doc_values(app);
            doc_rows.push(vec![Value::I(id.0), Value::S(form), Value::S(materials), Value::S(ratings)]);
        }
        saved.push(*id);
        for (pos, c) in app.cases.iter().enumerate() {
            if app.touched.created || app.touched.cases.contains(&c.id) {
                case_rows.push(codec::case_values(app, pos, c));
            }
        }
        for r in &app.rectifications {
            if app.touched.created || app.touched.rectifications.contains(&r.id) {
                rect_rows.push(codec::rectification_values(app, r));
            }
        }
    }
    // Every statement goes in one script (one round trip on SQLite). Only the update of existing
    // applications returns rows: one per application whose stored version was the one loaded.
    let mut script = Script::new(conn);
    if !new_apps.is_empty() {
        script.insert("application", codec::APPLICATION_COLUMNS, &new_apps, "")?;
        // Queued for the access log's record of the look-ups the filing was filled from.
        script.insert("pool_filing_pending", &["application_id"], &filed, "")?;
    }
    if !updated_apps.is_empty() {
        let tail = upsert_tail("id", codec::APPLICATION_MUTABLE, "WHERE application.version = excluded.version - 1");
        script.insert("application", codec::APPLICATION_COLUMNS, &updated_apps, &format!("{tail} RETURNING id"))?;
    }
    if !doc_rows.is_empty() {
        let tail = upsert_tail("application_id", &codec::DOC_COLUMNS[1..], "");
        script.insert("application_doc", codec::DOC_COLUMNS, &doc_rows, &tail)?;
    }
    if !case_rows.is_empty() {
        let tail = upsert_tail("id", codec::CASE_MUTABLE, "");
        script.insert("item_case", codec::CASE_COLUMNS, &case_rows, &tail)?;
    }
    if !rect_rows.is_empty() {
        let tail = upsert_tail("id", codec::RECTIFICATION_MUTABLE, "");
        script.insert("rectification", codec::RECTIFICATION_COLUMNS, &rect_rows, &tail)?;
    }
    let e = &uow.effects;
    if !e.history.is_empty() {
        let rows: Vec<Vec<Value>> = e.history.iter().map(history_values).collect();
        script.insert("history", HISTORY_COLUMNS, &rows, "")?;
    }
    if !e.notices.is_empty() {
        let rows: Vec<Vec<Value>> = e
            .notices
            .iter()
            .map(|n| {
                let created = codec::ts(n.at);
                vec![
                    Value::I(ids.next()),
                    Value::S(n.recipient.key()),
                    Value::S(n.kind.clone()),
                    Value::I(n.application.0),
                    Value::OptI(n.case.map(|c| c.0)),
                    Value::S(n.text_zh.clone()),
                    Value::S(n.text_en.clone()),
                    Value::S(created.clone()),
                    Value::S("pending".into()),
                    Value::I(0),
                    Value::S(created),
                ]
            })
            .collect();
        script.insert("notice", NOTICE_COLUMNS, &rows, "")?;
    }
    if !e.records.is_empty() {
        let rows: Vec<Vec<Value>> = e
            .records
            .iter()
            .map(|r| {
                vec![
                    Value::I(r.id.0),
                    Value::S(r.record_type.clone()),
                    Value::S(codec::subject_code(r.subject).into()),
                    Value::S(r.subject_key.clone()),
                    Value::S(r.department.clone()),
                    Value::S(codec::ts(r.issued_at)),
                    Value::OptS(codec::date_opt(r.valid_until)),
                    Value::OptI(Some(r.application.0)),
                    Value::OptI(Some(r.case.0)),
                    Value::S(r.data.to_string()),
                ]
            })
            .collect();
        script.insert("shared_record", crate::queries::records::RECORD_COLUMNS, &rows, "")?;
    }
    if !uow.new_idem.is_empty() {
        let now = codec::ts(chrono::Utc::now());
        let rows: Vec<Vec<Value>> = uow
            .new_idem
            .iter()
            .map(|(a, k, s)| {
                vec![
                    Value::I(a.0),
                    Value::S(k.clone()),
                    Value::S(s.request_hash.clone()),
                    Value::I(s.application.0),
                    Value::S(now.clone()),
                ]
            })
            .collect();
        script.insert("idempotency", &["account_id", "idem_key", "request_hash", "application_id", "created_at"], &rows, "")?;
    }
    let updated = script.fetch(conn).await?.len();
    if updated != updated_apps.len() {
        return Err(StoreError::Conflict);
    }
    Ok(saved)
}

const HISTORY_COLUMNS: &[&str] = &[
    "application_id", "seq", "case_id", "at", "actor", "role", "action", "from_state", "to_state", "detail",
    "prev_hash", "hash",
];

fn history_values(h: &onething::HistoryEntry) -> Vec<Value> {
    vec![
        Value::I(h.application.0),
        Value::I(h.seq),
        Value::OptI(h.case.map(|c| c.0)),
        Value::S(codec::ts(h.at)),
        Value::OptI(h.actor.map(|a| a.0)),
        Value::S(h.role.clone()),
        Value::S(h.action.clone()),
        Value::OptS(h.from_state.clone()),
        Value::OptS(h.to_state.clone()),
        Value::S(h.detail.clone()),
        Value::S(h.prev_hash.clone()),
        Value::S(h.hash.clone()),
    ]
}

const NOTICE_COLUMNS: &[&str] = &[
    "id", "recipient", "kind", "application_id", "case_id", "text_zh", "text_en", "created_at", "status",
    "attempts", "next_attempt_at",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_are_powers_of_two() {
        assert_eq!(prev_power_of_two(1), 1);
        assert_eq!(prev_power_of_two(7), 4);
        assert_eq!(prev_power_of_two(8), 8);
        assert_eq!(padded(&[5, 6, 7]), vec![5, 6, 7, 7]);
        assert_eq!(padded(&[]), Vec::<i64>::new());
    }
}
