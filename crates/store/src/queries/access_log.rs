//! The access log's batched appender and its queries. Reads happen at thousands per second, so
//! entries are never written one transaction each: the appender takes whatever has queued, seals
//! the entries onto this process's hash chain, writes them (and any recognition offers that go with
//! them) plus the chain head in ONE transaction, commits, and answers each caller once the commit
//! is flushed to disk — a read is served only once its log entry is durable. The next batch is
//! written after that, so the entries that arrive meanwhile share its commit.

use crate::handles::*;
use std::time::Duration;

use chrono::{DateTime, Utc};
use pool::{AccessEntry, ChainBreak, GENESIS, Outcome};
use sqlx::Row;
use sqlx::any::AnyRow;
use tokio::sync::{mpsc, oneshot};

use crate::codec::{self, Value};
use crate::writer::Script;
use crate::{Result, Store, StoreError};

pub const ACCESS_COLUMNS: &[&str] = &[
    "chain", "seq", "at", "reader", "reader_org", "subject_key", "resource", "purpose", "purpose_ref", "basis", "outcome", "prev_hash", "hash",
];

fn entry_values(e: &AccessEntry) -> Vec<Value> {
    vec![
        Value::I(e.chain),
        Value::I(e.seq),
        Value::S(codec::ts(e.at)),
        Value::OptI(e.reader),
        Value::OptS(e.reader_org.clone()),
        Value::S(e.subject_key.clone()),
        Value::S(e.resource.clone()),
        Value::S(e.purpose.clone()),
        Value::OptS(e.purpose_ref.clone()),
        Value::S(e.basis.clone()),
        Value::S(e.outcome.code().into()),
        Value::S(e.prev_hash.clone()),
        Value::S(e.hash.clone()),
    ]
}

pub fn entry_from_row(r: &AnyRow) -> Result<AccessEntry> {
    let outcome: String = r.try_get("outcome")?;
    Ok(AccessEntry {
        chain: r.try_get("chain")?,
        seq: r.try_get("seq")?,
        at: codec::parse_ts(&r.try_get::<String, _>("at")?)?,
        reader: r.try_get("reader")?,
        reader_org: r.try_get("reader_org")?,
        subject_key: r.try_get("subject_key")?,
        resource: r.try_get("resource")?,
        purpose: r.try_get("purpose")?,
        purpose_ref: r.try_get("purpose_ref")?,
        basis: r.try_get("basis")?,
        outcome: Outcome::parse(&outcome).ok_or_else(|| StoreError::Corrupt(format!("access outcome {outcome:?}")))?,
        prev_hash: r.try_get("prev_hash")?,
        hash: r.try_get("hash")?,
    })
}

/// A recognition offer, written with the access-log entry of the check that made it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfferRow {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub patient_key: String,
    pub item: String,
    pub ordering_institution: String,
    pub clinician: Option<i64>,
    pub result_type: String,
    pub result_id: String,
    pub result_institution: String,
    pub price_fen: i64,
}

pub const OFFER_COLUMNS: &[&str] = &[
    "id", "at", "patient_key", "item", "ordering_institution", "clinician", "result_type", "result_id", "result_institution", "price_fen",
    "decision",
];

fn offer_values(o: &OfferRow) -> Vec<Value> {
    vec![
        Value::I(o.id),
        Value::S(codec::ts(o.at)),
        Value::S(o.patient_key.clone()),
        Value::S(o.item.clone()),
        Value::S(o.ordering_institution.clone()),
        Value::OptI(o.clinician),
        Value::S(o.result_type.clone()),
        Value::S(o.result_id.clone()),
        Value::S(o.result_institution.clone()),
        Value::I(o.price_fen),
        Value::S("pending".into()),
    ]
}

struct Msg {
    entries: Vec<AccessEntry>,
    offers: Vec<OfferRow>,
    reply: oneshot::Sender<Result<Vec<AccessEntry>>>,
}

/// The handle to this process's access-log appender (cheap to clone).
#[derive(Clone)]
pub struct Appender {
    lanes: std::sync::Arc<Vec<mpsc::Sender<Msg>>>,
    next: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    node: i64,
}

impl std::fmt::Debug for Appender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Appender").field("node", &self.node).field("lanes", &self.lanes.len()).finish()
    }
}

/// The chain a lane of a node appends to.
pub fn chain_of(node: i64, lane: usize) -> i64 {
    node * 16 + i64::try_from(lane).unwrap_or(0)
}

impl Appender {
    /// Starts the appender of process `node`: lane `l` appends to chain `node * 16 + l`,
    /// continuing from the chain's stored head. On an SQLite file the lane is a thread of its own
    /// (see [`run_on_thread`]); otherwise a task.
    pub async fn start(store: &Store, node: i64, opts: AppenderOptions) -> Result<Appender> {
        let lanes = if store.backend() == crate::Backend::Sqlite { 1 } else { opts.lanes.clamp(1, 16) };
        let batch_max = opts.batch_max.max(1);
        let mut senders = Vec::with_capacity(lanes);
        for lane in 0..lanes {
            let chain = chain_of(node, lane);
            let head = store.access_log().chain_head(chain).await?.unwrap_or((0, GENESIS.to_owned()));
            let (tx, rx) = mpsc::channel::<Msg>(batch_max * 16);
            let lane = Lane { store: store.clone(), chain, head, rx, batch_max, interval: opts.interval };
            match (store.file(), store.thread_conn()) {
                (Some(file), Some(conn)) => {
                    let conn = conn.clone();
                    let rt = tokio::runtime::Handle::current();
                    let wal = crate::sync::wal_of(file);
                    std::thread::Builder::new()
                        .name("access-log".into())
                        .spawn(move || run_on_thread(lane, conn, &wal, &rt))
                        .map_err(|e| StoreError::Corrupt(format!("could not start the access log's thread: {e}")))?;
                }
                _ => {
                    tokio::spawn(run(lane));
                }
            }
            senders.push(tx);
        }
        Ok(Appender { lanes: std::sync::Arc::new(senders), next: std::sync::Arc::default(), node })
    }

    /// Appends entries (their chain, seq and hashes are filled in) with the offers that go with
    /// them; returns the sealed entries once committed.
    pub async fn append(&self, entries: Vec<AccessEntry>, offers: Vec<OfferRow>) -> Result<Vec<AccessEntry>> {
        let (reply, rx) = oneshot::channel();
        let i = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed) % self.lanes.len().max(1);
        let lane = self.lanes.get(i).ok_or(StoreError::Closed)?;
        lane.send(Msg { entries, offers, reply }).await.map_err(|_| StoreError::Closed)?;
        rx.await.map_err(|_| StoreError::Closed)?
    }
}

/// How the access log is appended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AppenderOptions {
    /// Most entries one commit takes.
    pub batch_max: usize,
    /// Parallel lanes, each its own hash chain: 1 on SQLite, which has one writer; on PostgreSQL
    /// several, whose commits then share disk flushes.
    pub lanes: usize,
    /// On an SQLite file, the least time from one batch's start to the next one's.
    pub interval: Duration,
}

/// One lane of the appender: its chain, the chain's head as last committed, and its queue.
struct Lane {
    store: Store,
    chain: i64,
    head: (i64, String),
    rx: mpsc::Receiver<Msg>,
    batch_max: usize,
    interval: Duration,
}

/// A batch of callers' entries sealed onto the chain (not yet written).
struct Batch {
    msgs: Vec<Msg>,
    sealed: Vec<Vec<AccessEntry>>,
    rows: Vec<Vec<Value>>,
    offers: Vec<Vec<Value>>,
    /// The chain's head once the batch is written.
    head: (i64, String),
}

impl Lane {
    /// `first` and whatever else has queued (up to the batch size), sealed onto a copy of the
    /// head: the head moves only when the batch commits.
    fn batch(&mut self, first: Msg) -> Batch {
        let mut msgs = Vec::with_capacity(self.batch_max);
        msgs.push(first);
        while msgs.len() < self.batch_max {
            match self.rx.try_recv() {
                Ok(m) => msgs.push(m),
                Err(_) => break,
            }
        }
        let (mut seq, mut hash) = self.head.clone();
        let mut sealed: Vec<Vec<AccessEntry>> = Vec::with_capacity(msgs.len());
        for m in &msgs {
            let mut out = Vec::with_capacity(m.entries.len());
            for e in &m.entries {
                let mut e = e.clone();
                e.chain = self.chain;
                let s = e.seal(seq, &hash);
                seq = s.seq;
                hash = s.hash.clone();
                out.push(s);
            }
            sealed.push(out);
        }
        let rows: Vec<Vec<Value>> = sealed.iter().flatten().map(entry_values).collect();
        let offers: Vec<Vec<Value>> = msgs.iter().flat_map(|m| m.offers.iter().map(offer_values)).collect();
        Batch { msgs, sealed, rows, offers, head: (seq, hash) }
    }

    /// Answers the batch's callers once its commit is durable (`flushed`), or with why not.
    fn committed(&mut self, b: Batch, flushed: &Result<()>, us: u128) {
        tracing::debug!(entries = b.rows.len(), us = us as u64, "access log batch");
        self.head = b.head;
        for (m, s) in b.msgs.into_iter().zip(b.sealed) {
            let _ = m.reply.send(crate::sync::again(flushed).map(|()| s));
        }
    }

    /// Answers the batch's callers with the failure; `head` is the chain's stored head, reloaded
    /// because another process may have written this chain (same node number).
    fn failed(&mut self, b: Batch, e: &StoreError, head: Option<(i64, String)>) {
        tracing::warn!(error = %e, entries = b.rows.len(), "access log batch failed");
        if let Some(h) = head {
            self.head = h;
        }
        for m in b.msgs {
            let _ = m.reply.send(Err(StoreError::Corrupt(format!("the access log could not be written: {e}"))));
        }
    }
}

/// A lane as a task, writing through the store's write pool (PostgreSQL, in-memory SQLite).
async fn run(mut lane: Lane) {
    while let Some(first) = lane.rx.recv().await {
        let b = lane.batch(first);
        let t0 = std::time::Instant::now();
        match write_batch(&lane.store, lane.chain, &b).await {
            Ok(()) => {
                // The next batch is written once these entries are on disk: the entries that
                // arrive meanwhile share its commit (the table's last page, its key's and the chain
                // head are written once per commit, whether it holds one entry or fifty).
                let flushed = lane.store.durable().wait().await;
                lane.committed(b, &flushed, t0.elapsed().as_micros());
            }
            Err(e) => {
                let head = lane.store.access_log().chain_head(lane.chain).await.ok().flatten();
                lane.failed(b, &e, head);
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    }
}

async fn write_batch(store: &Store, chain: i64, b: &Batch) -> Result<()> {
    let mut conn = store.write_pool().acquire().await?;
    let mut script = Script::new(&conn);
    script.insert("access_log", ACCESS_COLUMNS, &b.rows, "")?;
    script.insert("recognition_offer", OFFER_COLUMNS, &b.offers, "")?;
    script.insert("access_log_head", HEAD_COLUMNS, &[head_values(chain, b)], HEAD_UPSERT)?;
    script.commit(&mut conn).await?;
    Ok(())
}

const HEAD_COLUMNS: &[&str] = &["chain", "seq", "hash", "health_reads"];
const HEAD_UPSERT: &str =
    "ON CONFLICT (chain) DO UPDATE SET seq = excluded.seq, hash = excluded.hash, health_reads = access_log_head.health_reads + excluded.health_reads";

/// The head row a batch writes: the chain's new head, and how many of the batch's entries are
/// health-record reads ([`AccessEntry::is_health_read`]), to add to the head's count.
fn head_values(chain: i64, b: &Batch) -> Vec<Value> {
    let health_reads = b.sealed.iter().flatten().filter(|e| e.is_health_read()).count();
    vec![Value::I(chain), Value::I(b.head.0), Value::S(b.head.1.clone()), Value::I(i64::try_from(health_reads).unwrap_or(i64::MAX))]
}

/// A lane on an SQLite file, as a thread: it writes each batch with the store's thread connection
/// (the writer's too) and then syncs the log itself, so a batch costs no hand-off to sqlx's connection thread or to the
/// flusher and back (measured with `minsheng bench-pool`, see the README). SQLite lets one
/// connection write at a time: the lane holds the store's one write connection (the write pool's
/// only one) while it writes, so it waits its turn like every other writer instead of meeting
/// a locked database.
fn run_on_thread(mut lane: Lane, conn: crate::ThreadConn, wal: &std::path::Path, rt: &tokio::runtime::Handle) {
    let sql = InsertSql::new();
    while let Some(first) = lane.rx.blocking_recv() {
        let b = lane.batch(first);
        let t0 = std::time::Instant::now();
        // In the runtime's context: acquiring the write connection and handing it back are async.
        let written = rt.block_on(async {
            let turn = lane.store.write_pool().acquire().await?;
            let r = insert_batch(&mut crate::locked(&conn), &sql, lane.chain, &b);
            drop(turn);
            r
        });
        match written {
            Ok(()) => {
                let flushed = crate::sync::sync_log(wal).map_err(StoreError::Flush);
                lane.committed(b, &flushed, t0.elapsed().as_micros());
                // A commit and a sync cost the machine about the same however few entries they
                // carry: batches closer together than `interval` would take that time from the
                // requests, and their entries wait in the queue instead.
                if let Some(rest) = lane.interval.checked_sub(t0.elapsed()) {
                    std::thread::sleep(rest);
                }
            }
            Err(e) => {
                let head = rt.block_on(lane.store.access_log().chain_head(lane.chain)).ok().flatten();
                lane.failed(b, &e, head);
                std::thread::sleep(Duration::from_millis(10));
            }
        }
    }
}

/// The one-row statements a thread lane writes with, made once.
struct InsertSql {
    entry: String,
    offer: String,
    head: String,
}

impl InsertSql {
    fn new() -> InsertSql {
        let one_row = crate::writer::one_row_insert;
        InsertSql {
            entry: one_row("access_log", ACCESS_COLUMNS, ""),
            offer: one_row("recognition_offer", OFFER_COLUMNS, ""),
            head: one_row("access_log_head", HEAD_COLUMNS, HEAD_UPSERT),
        }
    }
}

/// Writes a batch in one transaction with prepared one-row statements (rolled back on error).
fn insert_batch(conn: &mut rusqlite::Connection, sql: &InsertSql, chain: i64, b: &Batch) -> Result<()> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    for (sql, rows) in [(&sql.entry, b.rows.as_slice()), (&sql.offer, b.offers.as_slice()), (&sql.head, &[head_values(chain, b)][..])] {
        let mut stmt = tx.prepare_cached(sql)?;
        for row in rows {
            stmt.execute(rusqlite::params_from_iter(row.iter()))?;
        }
    }
    tx.commit()?;
    Ok(())
}

/// The result of verifying every chain of the access log.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct LogVerification {
    pub chains: usize,
    pub entries: u64,
    pub broken: Vec<ChainBreak>,
}

/// The checks of the shared records' rows against their version chains and the cases that
/// published them: (what is wrong, the SQL that finds the records it is wrong with).
const RECORD_CHECKS: &[(&str, &str)] = &[
    (
        "its successor does not name it, is not the next version, or is about another subject or record type",
        "SELECT a.id FROM shared_record a JOIN shared_record b ON b.id = a.superseded_by
         WHERE b.supersedes IS NULL OR b.supersedes <> a.id OR b.version <> a.version + 1
            OR b.subject_key <> a.subject_key OR b.record_type <> a.record_type ORDER BY a.id",
    ),
    ("it names a superseded version that does not name it back", "SELECT a.id FROM shared_record a WHERE a.supersedes IS NOT NULL AND NOT EXISTS (SELECT 1 FROM shared_record b WHERE b.id = a.supersedes AND b.superseded_by = a.id) ORDER BY a.id"),
    ("its successor is missing", "SELECT a.id FROM shared_record a WHERE a.superseded_by IS NOT NULL AND NOT EXISTS (SELECT 1 FROM shared_record b WHERE b.id = a.superseded_by) ORDER BY a.id"),
    ("a first version that supersedes another, or a later one that supersedes none", "SELECT id FROM shared_record WHERE (supersedes IS NULL AND version <> 1) OR (supersedes IS NOT NULL AND version = 1) ORDER BY id"),
    (
        "the case that published it is not a case of its application",
        "SELECT r.id FROM shared_record r WHERE r.case_id IS NOT NULL
         AND NOT EXISTS (SELECT 1 FROM item_case c WHERE c.id = r.case_id AND c.application_id = r.application_id) ORDER BY r.id",
    ),
];

impl AccessLogQueries<'_> {
    /// The shared records whose rows do not agree with their version chains or with the case that
    /// published them (issue 29: verify the data, not only the chain): (record id, what is wrong).
    pub async fn verify_records(self) -> Result<Vec<(i64, &'static str)>> {
        let mut out = Vec::new();
        for (problem, sql) in RECORD_CHECKS {
            for r in sqlx::query(*sql).fetch_all(self.read_pool()).await? {
                out.push((r.try_get::<i64, _>(0)?, *problem));
            }
        }
        Ok(out)
    }

    /// The stored head (seq, hash) of a chain.
    pub async fn chain_head(self, chain: i64) -> Result<Option<(i64, String)>> {
        let row = sqlx::query("SELECT seq, hash FROM access_log_head WHERE chain = $1").bind(chain).fetch_optional(self.write_pool()).await?;
        row.map(|r| Ok((r.try_get("seq")?, r.try_get("hash")?))).transpose()
    }

    /// Who read a subject's data and why, newest first.
    pub async fn access_log_of(self, subject_key: &str, limit: i64, offset: i64) -> Result<Vec<AccessEntry>> {
        let rows = sqlx::query("SELECT * FROM access_log WHERE subject_key = $1 ORDER BY at DESC, chain, seq DESC LIMIT $2 OFFSET $3")
            .bind(subject_key)
            .bind(limit)
            .bind(offset)
            .fetch_all(self.read_pool())
            .await?;
        rows.iter().map(entry_from_row).collect()
    }

    /// Verifies every chain from its first entry to its stored head, `progress(done, total)`.
    pub async fn verify_access_log(self, mut progress: impl FnMut(u64, u64)) -> Result<LogVerification> {
        let heads = sqlx::query("SELECT chain, seq, hash FROM access_log_head ORDER BY chain").fetch_all(self.read_pool()).await?;
        let total: i64 = sqlx::query("SELECT COUNT(*) AS n FROM access_log").fetch_one(self.read_pool()).await?.try_get("n")?;
        let mut out = LogVerification::default();
        let mut done = 0u64;
        let mut chains: Vec<i64> = sqlx::query("SELECT DISTINCT chain FROM access_log")
            .fetch_all(self.read_pool())
            .await?
            .iter()
            .map(|r| r.try_get::<i64, _>("chain"))
            .collect::<std::result::Result<_, _>>()?;
        for h in &heads {
            let c: i64 = h.try_get("chain")?;
            if !chains.contains(&c) {
                chains.push(c);
            }
        }
        for chain in chains {
            out.chains += 1;
            let head = heads.iter().find(|h| h.try_get::<i64, _>("chain").ok() == Some(chain));
            let (mut seq, mut hash) = (0i64, GENESIS.to_owned());
            let mut broken = None;
            loop {
                let rows = sqlx::query("SELECT * FROM access_log WHERE chain = $1 AND seq > $2 ORDER BY seq LIMIT 5000")
                    .bind(chain)
                    .bind(seq)
                    .fetch_all(self.read_pool())
                    .await?;
                if rows.is_empty() {
                    break;
                }
                let entries: Vec<AccessEntry> = rows.iter().map(entry_from_row).collect::<Result<_>>()?;
                match pool::log::verify(&entries, seq, &hash) {
                    Ok((s, h)) => {
                        seq = s;
                        hash = h;
                    }
                    Err(b) => {
                        broken = Some(b);
                        break;
                    }
                }
                done += entries.len() as u64;
                progress(done, u64::try_from(total).unwrap_or(0));
            }
            out.entries += u64::try_from(seq).unwrap_or(0);
            if let Some(b) = broken {
                out.broken.push(b);
                continue;
            }
            match head {
                Some(h) => {
                    let hs: i64 = h.try_get("seq")?;
                    let hh: String = h.try_get("hash")?;
                    if hs != seq || hh != hash {
                        out.broken.push(ChainBreak {
                            chain,
                            seq: seq + 1,
                            problem: format!("the chain ends at entry {seq} but its head says {hs}: entries were deleted"),
                        });
                    }
                }
                None => out.broken.push(ChainBreak { chain, seq, problem: "the chain has no stored head".into() }),
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::StoreOptions;

    fn entry(subject: &str, resource: String) -> AccessEntry {
        AccessEntry {
            chain: 0,
            seq: 0,
            at: Utc::now(),
            reader: Some(7),
            reader_org: Some("wjw".into()),
            subject_key: subject.into(),
            resource,
            purpose: "consent".into(),
            purpose_ref: Some("consent:1".into()),
            basis: "consent".into(),
            outcome: Outcome::Allowed,
            prev_hash: String::new(),
            hash: String::new(),
        }
    }

    const OPTS: AppenderOptions = AppenderOptions { batch_max: 64, lanes: 4, interval: Duration::ZERO };

    /// Many callers append while the store's write connection is busy with other writes: every
    /// entry is chained exactly once, the chain verifies, and a restarted appender continues it.
    async fn appends_take_turns_with_other_writers(store: Store) {
        sqlx::query("CREATE TABLE other (n INTEGER PRIMARY KEY)").execute(store.write_pool()).await.unwrap();
        let log = Appender::start(&store, 3, OPTS).await.unwrap();
        let busy = {
            let store = store.clone();
            tokio::spawn(async move {
                for n in 0..200i64 {
                    store.insert_all("other", &["n"], &[vec![Value::I(n)]], "").await.unwrap();
                }
            })
        };
        let mut callers = Vec::new();
        for c in 0..16 {
            let log = log.clone();
            callers.push(tokio::spawn(async move {
                let mut seqs = Vec::new();
                for i in 0..20 {
                    let mut e = entry("330102199001011234", format!("shared_record:{c}-{i}"));
                    // A quarter of the callers read health data for treatment, half of those refused.
                    if c % 4 == 0 {
                        e.purpose = "treatment".into();
                        e.outcome = if c % 8 == 0 { Outcome::Allowed } else { Outcome::Refused };
                    }
                    let sealed = log.append(vec![e], Vec::new()).await.unwrap();
                    assert_eq!(sealed.len(), 1);
                    assert_eq!(sealed[0].chain, chain_of(3, 0));
                    seqs.push(sealed[0].seq);
                }
                seqs
            }));
        }
        let mut seqs: Vec<i64> = Vec::new();
        for c in callers {
            seqs.extend(c.await.unwrap());
        }
        busy.await.unwrap();
        seqs.sort_unstable();
        assert_eq!(seqs, (1..=320).collect::<Vec<i64>>(), "each entry has its own place on the chain");
        let v = store.access_log().verify_access_log(|_, _| {}).await.unwrap();
        assert_eq!((v.chains, v.entries, v.broken.len()), (1, 320, 0));
        assert_eq!(store.fhir().health_lookups().await.unwrap(), 40, "callers 0 and 8 read health data, 20 times each");
        drop(log);
        let again = Appender::start(&store, 3, OPTS).await.unwrap();
        let sealed = again.append(vec![entry("330102199001011234", "shared_record:last".into())], Vec::new()).await.unwrap();
        assert_eq!(sealed[0].seq, 321);
        let v = store.access_log().verify_access_log(|_, _| {}).await.unwrap();
        assert_eq!((v.entries, v.broken.len()), (321, 0));
        let of = store.access_log().access_log_of("330102199001011234", 1, 0).await.unwrap();
        assert_eq!(of.len(), 1);
    }

    use crate::file_store;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_file_appender_takes_turns_with_other_writers() {
        let dir = tempfile::tempdir().unwrap();
        appends_take_turns_with_other_writers(file_store(&dir).await).await;
    }

    #[tokio::test]
    async fn a_file_appender_works_beside_a_single_threaded_runtime() {
        let dir = tempfile::tempdir().unwrap();
        appends_take_turns_with_other_writers(file_store(&dir).await).await;
    }

    /// On PostgreSQL (when `MINSHENG_TEST_POSTGRES` names a server) the lanes are tasks writing
    /// through the pool, four chains of one node.
    #[cfg_attr(not(gated_postgres), ignore = "skipped: set MINSHENG_TEST_POSTGRES (a PostgreSQL server)")]
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_postgres_appender_writes_through_the_pool() {
        let Some(base) = std::env::var("MINSHENG_TEST_POSTGRES").ok().filter(|u| !u.is_empty()) else {
            eprintln!("skipped: MINSHENG_TEST_POSTGRES is not set");
            return;
        };
        let name = format!("appender_{}_{}", std::process::id(), Utc::now().timestamp_micros());
        let url = crate::create_scratch_database(&base, &name).await.unwrap();
        let store = Store::open(&StoreOptions::new(&url)).await.unwrap();
        assert!(store.file().is_none());
        let log = Appender::start(&store, 2, OPTS).await.unwrap();
        let mut callers = Vec::new();
        for c in 0..8 {
            let log = log.clone();
            callers.push(tokio::spawn(async move {
                for i in 0..10 {
                    let mut e = entry("330102199001011234", format!("r:{c}-{i}"));
                    if c % 2 == 0 {
                        e.purpose = "treatment".into();
                    }
                    log.append(vec![e], Vec::new()).await.unwrap();
                }
            }));
        }
        for c in callers {
            c.await.unwrap();
        }
        let v = store.access_log().verify_access_log(|_, _| {}).await.unwrap();
        assert_eq!((v.entries, v.broken.len()), (80, 0));
        assert!(v.chains > 1, "several lanes on PostgreSQL");
        assert_eq!(store.fhir().health_lookups().await.unwrap(), 40, "the lanes' heads count the health-record reads between them");
    }

    /// Another process wrote this chain (same node number): the batch fails with a clear error,
    /// nothing is half-written, and the appender continues from the stored head.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_clash_on_the_chain_fails_the_batch_and_the_next_one_continues() {
        let dir = tempfile::tempdir().unwrap();
        let store = file_store(&dir).await;
        let first = Appender::start(&store, 5, OPTS).await.unwrap();
        let second = Appender::start(&store, 5, OPTS).await.unwrap();
        first.append(vec![entry("330102199001011234", "a".into())], Vec::new()).await.unwrap();
        let clash = second.append(vec![entry("330102199001011234", "b".into())], Vec::new()).await;
        assert!(matches!(&clash, Err(StoreError::Corrupt(m)) if m.contains("could not be written")), "{clash:?}");
        let sealed = second.append(vec![entry("330102199001011234", "c".into())], Vec::new()).await.unwrap();
        assert_eq!(sealed[0].seq, 2);
        let v = store.access_log().verify_access_log(|_, _| {}).await.unwrap();
        assert_eq!((v.entries, v.broken.len()), (2, 0));
    }
}
