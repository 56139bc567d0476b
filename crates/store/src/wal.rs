//! Keeps SQLite's write-ahead log short. A background task copies the log back into the database
//! (PASSIVE checkpoints on a reader connection, so commits never wait for them); but SQLite starts
//! the log over only when a transaction begins with every frame already copied, which a steady
//! stream of commits never allows: the log then grew without end (gigabytes in a benchmark), and
//! every commit paid for new file blocks. So once the log is longer than [`BOUND_FRAMES`], the
//! users of the one write connection (the writer and the access-log appender) run one checkpoint
//! on it between two transactions — it has little left to copy, since the background task keeps
//! up — and the next transaction starts the log over.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use sqlx::{AnyPool, Row};

/// Frames (pages) the log may hold before the write connection checkpoints it: 128 MiB of 4 KiB pages.
pub const BOUND_FRAMES: i64 = 32_768;

/// How often the background task copies the log back while it keeps growing; idle, once a second.
const BUSY_TICK: Duration = Duration::from_millis(50);
const IDLE_TICK: Duration = Duration::from_secs(1);

/// Shared between the background checkpointer and the write connection's users (cheap to clone).
#[derive(Debug, Clone, Default)]
pub struct WalBound {
    restart: Arc<AtomicBool>,
}

impl WalBound {
    /// Runs by whoever holds the write pool between two of its transactions: if the log has grown
    /// past its bound, checkpoint it on the write connection so that the next transaction starts
    /// it over. A failure is logged and retried at the next bound.
    pub async fn between_transactions(&self, write: &AnyPool) {
        if !self.restart.swap(false, Ordering::AcqRel) {
            return;
        }
        let t0 = std::time::Instant::now();
        match checkpoint(write).await {
            Ok((log, copied)) => tracing::debug!(log, copied, us = t0.elapsed().as_micros() as u64, "write-ahead log checkpointed by the writer"),
            Err(e) => tracing::warn!(error = %e, "write-ahead log checkpoint on the write connection"),
        }
    }

    /// Starts the background checkpointer on `read` (a reader connection: it never blocks the writer).
    pub fn spawn_checkpointer(&self, read: &AnyPool) {
        let (bound, pool) = (self.clone(), read.clone());
        tokio::spawn(async move {
            let mut tick = IDLE_TICK;
            loop {
                tokio::time::sleep(tick).await;
                if pool.is_closed() {
                    return;
                }
                let t0 = std::time::Instant::now();
                match checkpoint(&pool).await {
                    Ok((log, copied)) => {
                        tracing::trace!(log, copied, us = t0.elapsed().as_micros() as u64, "write-ahead log checkpointed");
                        tick = if log > 0 { BUSY_TICK } else { IDLE_TICK };
                        if log > BOUND_FRAMES {
                            bound.restart.store(true, Ordering::Release);
                        }
                    }
                    Err(e) => {
                        if pool.is_closed() {
                            return;
                        }
                        tracing::warn!(error = %e, "WAL checkpoint");
                        tick = IDLE_TICK;
                    }
                }
            }
        });
    }
}

/// One PASSIVE checkpoint: (frames in the log, frames copied into the database).
async fn checkpoint(pool: &AnyPool) -> sqlx::Result<(i64, i64)> {
    let row = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)").fetch_one(pool).await?;
    Ok((row.try_get(1)?, row.try_get(2)?))
}
