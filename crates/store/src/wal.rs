//! Keeps SQLite's write-ahead log short. A background task copies the log back into the database
//! (PASSIVE checkpoints on a reader connection, so commits never wait for them); but SQLite starts
//! the log over only when a transaction begins with every frame already copied, which a steady
//! stream of commits never allows: the log then grew without end (gigabytes in a benchmark), and
//! every commit paid for new file blocks. So once the log is longer than its bound ([`BOUND_FRAMES`] unless
//! configured), the
//! users of the one write connection (the writer, the access-log appender, and every other write
//! through `Store::flushed`) run one checkpoint
//! on it between two transactions — it has little left to copy, since the background task keeps
//! up — and the next transaction starts the log over.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use sqlx::{AnyPool, Row};

/// Frames (pages) the log may hold before the write connection checkpoints it: 256 MiB of 4 KiB pages
/// (at the most a benchmark writes, one such checkpoint every three seconds or so).
pub const BOUND_FRAMES: i64 = 65_536;

/// How often the background task copies the log back while it keeps growing; idle, once a second.
const BUSY_TICK: Duration = Duration::from_millis(50);
const IDLE_TICK: Duration = Duration::from_secs(1);

/// Shared between the background checkpointer and the write connection's users (cheap to clone).
#[derive(Debug, Clone)]
pub struct WalBound {
    frames: i64,
    restart: Arc<AtomicBool>,
}

impl WalBound {
    /// A log bounded to about `frames` frames.
    pub fn new(frames: i64) -> WalBound {
        WalBound { frames: frames.max(1), restart: Arc::default() }
    }

    /// Runs by whoever holds the write pool between two of its transactions: if the log has grown
    /// past its bound, checkpoint it on the write connection and start it over (RESTART: the
    /// background task has left little to copy). Readers in the middle of a read may hold the
    /// restart back; it waits for them a few milliseconds at most, else tries again after the next
    /// background checkpoint. A failure is logged and retried the same way.
    pub async fn between_transactions(&self, write: &AnyPool) {
        if !self.restart.swap(false, Ordering::AcqRel) {
            return;
        }
        let t0 = std::time::Instant::now();
        match restart(write).await {
            Ok((busy, log)) => tracing::debug!(busy, log, us = t0.elapsed().as_micros() as u64, "write-ahead log started over"),
            Err(e) => tracing::warn!(error = %e, "write-ahead log restart on the write connection"),
        }
    }

    /// Starts the background checkpointer on `read` (a reader connection: it never blocks the writer).
    pub fn spawn_checkpointer(&self, read: &AnyPool) {
        let (bound, pool) = (self.clone(), read.clone());
        tokio::spawn(async move {
            let mut tick = BUSY_TICK;
            loop {
                tokio::time::sleep(tick).await;
                if pool.is_closed() {
                    return;
                }
                let t0 = std::time::Instant::now();
                match checkpoint(&pool).await {
                    Ok((log, copied)) => {
                        tracing::trace!(log, copied, us = t0.elapsed().as_micros() as u64, "write-ahead log checkpointed");
                        // -1: this connection has not opened the log yet; ask again soon.
                        tick = if log == 0 { IDLE_TICK } else { BUSY_TICK };
                        if log > bound.frames {
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

/// A RESTART checkpoint on the write connection, waiting at most `RESTART_WAIT_MS` for readers:
/// (busy, frames in the log). The connection's usual busy timeout is set back afterwards.
async fn restart(write: &AnyPool) -> sqlx::Result<(bool, i64)> {
    let mut conn = write.acquire().await?;
    sqlx::query(sqlx::AssertSqlSafe(format!("PRAGMA busy_timeout={RESTART_WAIT_MS}"))).fetch_all(&mut *conn).await?;
    let row = sqlx::query("PRAGMA wal_checkpoint(RESTART)").fetch_one(&mut *conn).await;
    let reset = sqlx::query(sqlx::AssertSqlSafe(format!("PRAGMA busy_timeout={}", crate::BUSY_TIMEOUT_MS))).fetch_all(&mut *conn).await;
    let row = row?;
    reset?;
    Ok((row.try_get::<i64, _>(0)? != 0, row.try_get(1)?))
}

/// How long the write connection waits for readers before giving up on a restart this time.
const RESTART_WAIT_MS: u32 = 5;

#[cfg(test)]
mod tests {
    use crate::{Store, StoreOptions};

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_log_starts_over_under_a_steady_stream_of_commits_and_reads() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("w.db");
        let url = format!("sqlite://{}", db.display());
        // 256 frames: 1 MiB of log before the writer checkpoints it.
        let store = Store::open(&StoreOptions { wal_bound_frames: 256, ..StoreOptions::new(&url) }).await.unwrap();
        sqlx::query("CREATE TABLE scratch (id INTEGER PRIMARY KEY, body TEXT NOT NULL)").execute(store.write_pool()).await.unwrap();
        // Short reads all the time, as in service.
        let reading = store.clone();
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let halt = stop.clone();
        let reader = tokio::spawn(async move {
            let mut n = 0i64;
            while !halt.load(std::sync::atomic::Ordering::Relaxed) {
                n += 7;
                sqlx::query("SELECT body FROM scratch WHERE id = $1").bind(n % 1000).fetch_optional(reading.read_pool()).await.unwrap();
            }
        });
        // Commits one after another, each its own transaction: ~4 MiB of pages a hundred times over.
        let body = "x".repeat(2000);
        let mut id = 0i64;
        let started = std::time::Instant::now();
        while started.elapsed() < std::time::Duration::from_secs(3) {
            let rows: Vec<Vec<crate::codec::Value>> = (0..64)
                .map(|_| {
                    id += 1;
                    vec![crate::codec::Value::I(id), crate::codec::Value::S(body.clone())]
                })
                .collect();
            store.insert_all("scratch", &["id", "body"], &rows, "").await.unwrap();
        }
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        reader.await.unwrap();
        let written = id * 2000;
        let log = std::fs::metadata(dir.path().join("w.db-wal")).unwrap().len() as i64;
        assert!(written > 64 << 20, "wrote only {written} bytes; the test proves nothing");
        assert!(log < 16 << 20, "the log is {log} bytes after {written} bytes were written: it never started over");
        store.close().await;
    }
}
