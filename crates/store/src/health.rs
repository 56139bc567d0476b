//! Whether the storage takes writes now (issue 29, faults answer honestly): a write that fails
//! because the disk is full or read-only, the database is gone or shutting down marks the store
//! faulty, with when and why; only the probe the server runs while faulty clears it — a write of
//! more than a page, because a small write that fits in space a file already holds succeeds on a
//! full disk too, and would declare it healthy while the next larger write fails again.
//! `/healthz` and `/readyz` report it, and requests meet 503 `storage_unavailable` instead of 500
//! meanwhile.

use std::sync::Mutex;

use chrono::{DateTime, Utc};
use sqlx::AnyPool;

use crate::StoreError;

/// A storage fault: since when, and the error (no secrets: the database's own message).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    pub since: DateTime<Utc>,
    pub error: String,
}

/// The store's health, shared by the writer, the probe and the health checks.
#[derive(Debug, Default)]
pub struct Health {
    fault: Mutex<Option<Fault>>,
}

impl Health {
    /// Notes the outcome of a write: a storage fault marks the store faulty (keeping the first
    /// time it was seen); any other error, and success, say nothing about the storage (a small
    /// write may succeed on a full disk: only the probe clears a fault).
    pub fn saw<T>(&self, outcome: &Result<T, StoreError>) {
        if let Err(e) = outcome {
            self.failed(e);
        }
    }

    /// Notes a failed write (only a storage fault counts).
    pub fn failed(&self, e: &StoreError) {
        if e.is_unavailable() {
            let mut f = crate::locked(&self.fault);
            if f.is_none() {
                tracing::error!(error = %e, "storage unavailable: writes answer 503 until it takes writes again");
                *f = Some(Fault { since: Utc::now(), error: e.to_string() });
            }
        }
    }

    /// Notes a probe that succeeded: the storage takes writes.
    pub fn succeeded(&self) {
        let mut f = crate::locked(&self.fault);
        if let Some(old) = f.take() {
            tracing::warn!(since = %old.since, "storage takes writes again");
        }
    }

    /// The fault, if the storage is faulty now.
    pub fn fault(&self) -> Option<Fault> {
        crate::locked(&self.fault).clone()
    }
}

/// How much a probe writes: more than a page, so that a full disk cannot hide behind free space
/// in a page already allocated.
const PROBE_BYTES: usize = 16 * 1024;

/// One probe write: a row of [`PROBE_BYTES`] inserted and deleted in one transaction.
pub(crate) async fn probe(write: &AnyPool, node: u16) -> Result<(), StoreError> {
    let pad: String = (0..PROBE_BYTES).map(|i| char::from(b'a' + ((i * 7 + usize::from(node)) % 26) as u8)).collect();
    let mut tx = write.begin().await?;
    sqlx::query("DELETE FROM storage_probe WHERE node = $1").bind(i64::from(node)).execute(&mut *tx).await?;
    sqlx::query("INSERT INTO storage_probe (node, pad, at) VALUES ($1, $2, $3)")
        .bind(i64::from(node))
        .bind(pad)
        .bind(crate::codec::ts(Utc::now()))
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM storage_probe WHERE node = $1").bind(i64::from(node)).execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(())
}
