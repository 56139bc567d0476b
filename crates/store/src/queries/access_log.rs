//! The access log's batched appender and its queries. Reads happen at thousands per second, so
//! entries are never written one transaction each: the appender task takes whatever has queued,
//! seals the entries onto this process's hash chain, writes them (and any recognition offers that
//! go with them) with multi-row statements plus the chain head in ONE transaction, commits, and
//! answers each caller once the commit is flushed to disk — a read is served only once its log
//! entry is durable. The next batch is written while the last one's flush is under way.

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
    /// Starts the appender of process `node` with `lanes` parallel lanes (1 on SQLite, which has
    /// one writer; several on PostgreSQL, whose commits then share disk flushes). Lane `l`
    /// appends to chain `node * 16 + l`, continuing from the chain's stored head.
    pub async fn start(store: &Store, node: i64, batch_max: usize, lanes: usize) -> Result<Appender> {
        let lanes = if store.backend() == crate::Backend::Sqlite { 1 } else { lanes.clamp(1, 16) };
        let mut senders = Vec::with_capacity(lanes);
        for lane in 0..lanes {
            let chain = chain_of(node, lane);
            let head = store.chain_head(chain).await?.unwrap_or((0, GENESIS.to_owned()));
            let (tx, rx) = mpsc::channel::<Msg>(batch_max.max(1) * 16);
            tokio::spawn(run(store.clone(), chain, head, rx, batch_max.max(1)));
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

async fn run(store: Store, chain: i64, mut head: (i64, String), mut rx: mpsc::Receiver<Msg>, batch_max: usize) {
    let mut batch: Vec<Msg> = Vec::with_capacity(batch_max);
    while let Some(first) = rx.recv().await {
        batch.push(first);
        while batch.len() < batch_max {
            match rx.try_recv() {
                Ok(m) => batch.push(m),
                Err(_) => break,
            }
        }
        let msgs = std::mem::take(&mut batch);
        // Seal onto a copy of the head; the head moves only when the batch commits.
        let (mut seq, mut hash) = head.clone();
        let mut sealed: Vec<Vec<AccessEntry>> = Vec::with_capacity(msgs.len());
        for m in &msgs {
            let mut out = Vec::with_capacity(m.entries.len());
            for e in &m.entries {
                let mut e = e.clone();
                e.chain = chain;
                let s = e.seal(seq, &hash);
                seq = s.seq;
                hash = s.hash.clone();
                out.push(s);
            }
            sealed.push(out);
        }
        let rows: Vec<Vec<Value>> = sealed.iter().flatten().map(entry_values).collect();
        let offers: Vec<Vec<Value>> = msgs.iter().flat_map(|m| m.offers.iter().map(offer_values)).collect();
        let t0 = std::time::Instant::now();
        match write_batch(&store, chain, &rows, &offers, seq, &hash).await {
            Ok(()) => {
                head = (seq, hash);
                tracing::debug!(entries = rows.len(), us = t0.elapsed().as_micros() as u64, "access log batch");
                // The next batch is written once these entries are on disk: the entries that
                // arrive meanwhile share its commit (the table's last page, its key's and the chain
                // head are written once per commit, whether it holds one entry or fifty).
                let r = store.durable().wait().await;
                for (m, s) in msgs.into_iter().zip(sealed) {
                    let _ = m.reply.send(crate::sync::again(&r).map(|()| s));
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, entries = rows.len(), "access log batch failed");
                // Another process may have written this chain (same node number): reload the head.
                if let Ok(Some(h)) = store.chain_head(chain).await {
                    head = h;
                }
                for m in msgs {
                    let _ = m.reply.send(Err(StoreError::Corrupt(format!("the access log could not be written: {e}"))));
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
    }
}

async fn write_batch(store: &Store, chain: i64, rows: &[Vec<Value>], offers: &[Vec<Value>], seq: i64, hash: &str) -> Result<()> {
    let mut conn = store.write_pool().acquire().await?;
    let mut script = Script::new(&conn);
    script.insert("access_log", ACCESS_COLUMNS, rows, "")?;
    script.insert("recognition_offer", OFFER_COLUMNS, offers, "")?;
    script.insert(
        "access_log_head",
        &["chain", "seq", "hash"],
        &[vec![Value::I(chain), Value::I(seq), Value::S(hash.to_owned())]],
        "ON CONFLICT (chain) DO UPDATE SET seq = excluded.seq, hash = excluded.hash",
    )?;
    script.commit(&mut conn).await?;
    Ok(())
}

/// The result of verifying every chain of the access log.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct LogVerification {
    pub chains: usize,
    pub entries: u64,
    pub broken: Vec<ChainBreak>,
}

impl Store {
    /// The stored head (seq, hash) of a chain.
    pub async fn chain_head(&self, chain: i64) -> Result<Option<(i64, String)>> {
        let row = sqlx::query("SELECT seq, hash FROM access_log_head WHERE chain = $1").bind(chain).fetch_optional(self.write_pool()).await?;
        row.map(|r| Ok((r.try_get("seq")?, r.try_get("hash")?))).transpose()
    }

    /// Who read a subject's data and why, newest first.
    pub async fn access_log_of(&self, subject_key: &str, limit: i64, offset: i64) -> Result<Vec<AccessEntry>> {
        let rows = sqlx::query("SELECT * FROM access_log WHERE subject_key = $1 ORDER BY at DESC, chain, seq DESC LIMIT $2 OFFSET $3")
            .bind(subject_key)
            .bind(limit)
            .bind(offset)
            .fetch_all(self.read_pool())
            .await?;
        rows.iter().map(entry_from_row).collect()
    }

    /// Whether a clinician of `org` ordered a test for the subject (ran a recognition check with
    /// an order) since `since`: the treatment relation that lets the institution read results.
    pub async fn has_treatment_relation(&self, org: &str, subject_key: &str, since: DateTime<Utc>) -> Result<bool> {
        let found = self
            .lookup_one(
                "SELECT 1 AS x FROM access_log WHERE reader_org = $1 AND subject_key = $2 AND at >= $3 AND purpose = 'treatment' AND outcome = 'allowed' AND purpose_ref LIKE 'order:%' LIMIT 1",
                &[Value::S(org.to_owned()), Value::S(subject_key.to_owned()), Value::S(codec::ts(since))],
                |_| Ok(()),
            )
            .await?;
        Ok(found.is_some())
    }

    /// Verifies every chain from its first entry to its stored head, `progress(done, total)`.
    pub async fn verify_access_log(&self, mut progress: impl FnMut(u64, u64)) -> Result<LogVerification> {
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
