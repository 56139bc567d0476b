//! The node number of this server, leased from the database (issue 29). Ids are snowflakes with
//! 10 bits of node: two servers with one number make the same ids. So a server takes its number
//! from the `node_lease` table when it opens the store — the one configured, if it is free, or else
//! the lowest free one — renews the lease with a heartbeat, and gives it back when it closes. A
//! lease whose heartbeat is older than [`TTL`] is free (its server died). A server that cannot
//! take its number does not start; one that finds its lease taken over (it was stopped longer
//! than the TTL) stops writing.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::time::Duration;

use chrono::Utc;
use sqlx::{AnyPool, Row};

use crate::codec;
use crate::{Result, StoreError};

/// How long a lease lives without a heartbeat.
pub const TTL: Duration = Duration::from_secs(30);
/// How often the heartbeat renews it.
pub const HEARTBEAT: Duration = Duration::from_secs(5);
/// The node numbers (10 bits).
const NODES: u16 = 1024;

/// A held lease.
#[derive(Debug)]
pub(crate) struct Lease {
    pub(crate) node: u16,
    holder: String,
    lost: Arc<AtomicBool>,
    /// When (Unix milliseconds) the lease table last showed no other live server; 0: it did not.
    alone_at: Arc<AtomicI64>,
    /// Whether the lease table last showed no live server with a lower number.
    leads: Arc<AtomicBool>,
    heartbeat: tokio::task::JoinHandle<()>,
}

fn holder() -> String {
    let host = std::fs::read_to_string("/etc/hostname").map(|h| h.trim().to_owned()).unwrap_or_else(|_| "host".into());
    format!("{host}:{}:{:016x}", std::process::id(), rand::random::<u64>())
}

/// Tries to take `node` for `holder`: free, or its lease expired. Whether it is now ours.
async fn try_take(pool: &AnyPool, node: u16, holder: &str) -> Result<bool> {
    let now = Utc::now();
    let expired = codec::ts(now - chrono::Duration::from_std(TTL).unwrap_or_default());
    sqlx::query(
        "INSERT INTO node_lease (node, holder, started_at, heartbeat_at) VALUES ($1, $2, $3, $3) \
         ON CONFLICT (node) DO UPDATE SET holder = excluded.holder, started_at = excluded.started_at, heartbeat_at = excluded.heartbeat_at \
         WHERE node_lease.heartbeat_at < $4",
    )
    .bind(i64::from(node))
    .bind(holder)
    .bind(codec::ts(now))
    .bind(expired)
    .execute(pool)
    .await?;
    let row = sqlx::query("SELECT holder FROM node_lease WHERE node = $1").bind(i64::from(node)).fetch_optional(pool).await?;
    Ok(row.map(|r| r.try_get::<String, _>("holder")).transpose()?.as_deref() == Some(holder))
}

/// Who holds `node` and since when it last said so.
async fn held_by(pool: &AnyPool, node: u16) -> Result<Option<(String, String)>> {
    let row = sqlx::query("SELECT holder, heartbeat_at FROM node_lease WHERE node = $1").bind(i64::from(node)).fetch_optional(pool).await?;
    Ok(row.map(|r| Ok::<_, sqlx::Error>((r.try_get("holder")?, r.try_get("heartbeat_at")?))).transpose()?)
}

/// Takes the node: `wanted`, or the lowest free one; starts its heartbeat.
pub(crate) async fn take(pool: &AnyPool, wanted: Option<u16>) -> Result<Lease> {
    let holder = holder();
    let node = match wanted {
        Some(n) => {
            if n >= NODES {
                return Err(StoreError::NodeOutOfRange(n));
            }
            if !try_take(pool, n, &holder).await? {
                let (h, at) = held_by(pool, n).await?.unwrap_or_default();
                return Err(StoreError::NodeTaken { node: n, holder: h, heartbeat_at: at });
            }
            n
        }
        None => {
            let live: std::collections::BTreeSet<i64> =
                sqlx::query("SELECT node FROM node_lease WHERE heartbeat_at >= $1")
                    .bind(codec::ts(Utc::now() - chrono::Duration::from_std(TTL).unwrap_or_default()))
                    .fetch_all(pool)
                    .await?
                    .iter()
                    .map(|r| r.try_get::<i64, _>("node"))
                    .collect::<std::result::Result<_, _>>()?;
            let mut taken = None;
            for n in (0..NODES).filter(|n| !live.contains(&i64::from(*n))) {
                if try_take(pool, n, &holder).await? {
                    taken = Some(n);
                    break;
                }
            }
            taken.ok_or(StoreError::NoFreeNode)?
        }
    };
    let lost = Arc::new(AtomicBool::new(false));
    let alone_at = Arc::new(AtomicI64::new(0));
    let (others, lowest) = others_live(pool, node).await?;
    let leads = Arc::new(AtomicBool::new(lowest.is_none_or(|l| l > i64::from(node))));
    if others == 0 {
        alone_at.store(Utc::now().timestamp_millis(), Ordering::SeqCst);
    } else {
        // The servers already running cache what only the database can tell once they are not
        // alone (sessions): wait until each has seen this lease in a heartbeat of its own, or
        // has gone too long without one to trust being alone.
        tracing::info!(node, others, "other servers share the database; waiting for them to see this one");
        tokio::time::sleep(ALONE_FOR + Duration::from_secs(1)).await;
    }
    let heartbeat = tokio::spawn(beat(pool.clone(), node, holder.clone(), lost.clone(), alone_at.clone(), leads.clone()));
    tracing::info!(node, "took node number");
    Ok(Lease { node, holder, lost, alone_at, leads, heartbeat })
}

/// How long a heartbeat's finding that no other server is live holds.
const ALONE_FOR: Duration = Duration::from_secs(HEARTBEAT.as_secs() + 1);

/// Live leases other than `node`'s: how many, and the lowest node number among them.
async fn others_live(pool: &AnyPool, node: u16) -> Result<(i64, Option<i64>)> {
    let expired = codec::ts(Utc::now() - chrono::Duration::from_std(TTL).unwrap_or_default());
    let row = sqlx::query("SELECT COUNT(*) AS n, MIN(node) AS lowest FROM node_lease WHERE node <> $1 AND heartbeat_at >= $2")
        .bind(i64::from(node))
        .bind(expired)
        .fetch_one(pool)
        .await?;
    Ok((row.try_get::<i64, _>("n")?, row.try_get::<Option<i64>, _>("lowest")?))
}

/// Renews the lease every [`HEARTBEAT`] and notes whether other servers are live; marks it lost
/// if another server holds it now.
async fn beat(pool: AnyPool, node: u16, holder: String, lost: Arc<AtomicBool>, alone_at: Arc<AtomicI64>, leads: Arc<AtomicBool>) {
    loop {
        tokio::time::sleep(HEARTBEAT).await;
        let done = sqlx::query("UPDATE node_lease SET heartbeat_at = $1 WHERE node = $2 AND holder = $3")
            .bind(codec::ts(Utc::now()))
            .bind(i64::from(node))
            .bind(&holder)
            .execute(&pool)
            .await;
        match done {
            Ok(r) if r.rows_affected() == 1 => match others_live(&pool, node).await {
                Ok((others, lowest)) => {
                    alone_at.store(if others == 0 { Utc::now().timestamp_millis() } else { 0 }, Ordering::SeqCst);
                    leads.store(lowest.is_none_or(|l| l > i64::from(node)), Ordering::SeqCst);
                }
                Err(e) => tracing::warn!(node, error = %e, "could not count the other servers"),
            },
            Ok(_) => {
                tracing::error!(node, "another server took this server's node number (its heartbeat stopped for longer than the lease); writes stop");
                lost.store(true, Ordering::SeqCst);
                leads.store(false, Ordering::SeqCst);
                return;
            }
            // A passing database error: the lease lives on for its TTL; try again.
            Err(e) => tracing::warn!(node, error = %e, "node lease heartbeat failed"),
        }
    }
}

impl Lease {
    /// The holder token: which process holds the lease, unique per start.
    pub(crate) fn holder(&self) -> &str {
        &self.holder
    }

    /// Whether another server took the node over.
    pub(crate) fn lost(&self) -> bool {
        self.lost.load(Ordering::SeqCst)
    }

    /// Whether this server has the lowest node number of the live ones, as the last heartbeat
    /// found: the one that runs the district's periodic duties (deadline ticks, logging filings'
    /// look-ups), so that servers beside each other do not do them twice.
    pub(crate) fn leads(&self) -> bool {
        self.leads.load(Ordering::SeqCst)
    }

    /// Whether no other server is live on the database, as a heartbeat found within [`ALONE_FOR`].
    pub(crate) fn alone(&self) -> bool {
        let at = self.alone_at.load(Ordering::SeqCst);
        at > 0 && Utc::now().timestamp_millis() - at < i64::try_from(ALONE_FOR.as_millis()).unwrap_or(i64::MAX)
    }

    /// Stops the heartbeat and gives the node back.
    pub(crate) async fn release(&self, pool: &AnyPool) {
        self.heartbeat.abort();
        let r = sqlx::query("DELETE FROM node_lease WHERE node = $1 AND holder = $2").bind(i64::from(self.node)).bind(&self.holder).execute(pool).await;
        if let Err(e) = r {
            tracing::warn!(node = self.node, error = %e, "could not give the node number back; it frees itself when its lease runs out");
        }
    }
}
