//! Keeps SQLite's write-ahead log short. A background task copies the log back into the database
//! (PASSIVE checkpoints on a reader connection, so commits never wait for them); but SQLite starts
//! the log over only when a transaction begins with every frame already copied, which a steady
//! stream of commits never allows: the log then grew without end (gigabytes in a benchmark), and
//! every commit paid for new file blocks. So once the log is longer than its bound
//! ([`BOUND_FRAMES`] unless configured), the same task takes the one write connection between two
//! transactions and starts the log over with a RESTART checkpoint — with little left to copy, since
//! the PASSIVE ones keep up.
//!
//! SQLite syncs the database file only after a checkpoint that copied the whole log, which under a
//! steady stream of commits is only the RESTART: the PASSIVE copies stayed in the page cache, and
//! the RESTART's sync wrote every page copied since the last start-over while it held the writer
//! back (60–70 ms with the log at its bound, stopping every client). So after each copy the task
//! syncs the database file itself, with nothing held; the RESTART then has a second's pages at the
//! most to write.

use std::path::{Path, PathBuf};
use std::time::Duration;

use sqlx::{AnyPool, Row};

/// Frames (pages) the log may hold before the checkpointer starts it over: 256 MiB of 4 KiB pages
/// (at the most a benchmark writes, one restart every three seconds or so).
pub const BOUND_FRAMES: i64 = 65_536;

/// How often the background task copies the log back. Each copy ends with a sync of the database
/// file ([`crate::sync::sync_file`]), and while the disk writes those pages the log's own syncs — which
/// every acknowledged request waits for — queue behind them: copied every 50 ms, about ten of the
/// log's syncs a second took over 5 ms (p99 3.7 ms) and reads had p99 12 ms (`minsheng bench-pool`,
/// 16 clients); copied once a second, about one (p99 1.2 ms), and reads had p99 6–9 ms. Copied and
/// synced every 250 ms, filings at a fixed rate had a shorter tail still (README, Performance), but
/// the pool's reads had p99 12–17 ms.
pub const CHECKPOINT_EVERY: Duration = Duration::from_secs(1);

/// Starts the checkpointer: PASSIVE checkpoints on `read` (a reader connection: they never block
/// the writer), each that copied frames followed by a sync of the database file `db` (none in
/// memory), and a RESTART on `write` once the log holds more than `bound_frames` frames. The
/// RESTART takes the write connection from its pool like any other user, so it runs between two
/// transactions; it waits at most a few milliseconds for readers in the middle of a read, else it
/// is tried again after the next checkpoint.
pub fn spawn_checkpointer(read: &AnyPool, write: &AnyPool, db: Option<PathBuf>, bound_frames: i64, every: Duration) {
    let mut c = Checkpointer::new(read, write, db, bound_frames);
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(every).await;
            if c.read.is_closed() || c.write.is_closed() {
                return;
            }
            match c.round().await {
                Ok(_) => {}
                Err(_) if c.read.is_closed() => return,
                Err(e) => tracing::warn!(error = %e, "WAL checkpoint"),
            }
        }
    });
}

/// The checkpointer's connections and what it saw of the log last time.
pub(crate) struct Checkpointer {
    read: AnyPool,
    write: AnyPool,
    db: Option<PathBuf>,
    bound_frames: i64,
    /// Frames in the log and frames copied, as the last PASSIVE checkpoint found them (SQLite
    /// counts the frames copied since the log started over, not those this checkpoint copied).
    last: (i64, i64),
}

/// What one round of the checkpointer did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Tick {
    /// Frames in the log, and how many this round copied into the database.
    log: i64,
    copied: i64,
    /// Whether the database file was synced after the copy (nothing copied, no file, or the sync
    /// failed: no).
    synced: bool,
    /// Whether the log was past its bound, so that a RESTART was tried.
    restarted: bool,
    /// Whether the log was quiet and its file long, so that a TRUNCATE was tried.
    truncated: bool,
}

impl Checkpointer {
    pub(crate) fn new(read: &AnyPool, write: &AnyPool, db: Option<PathBuf>, bound_frames: i64) -> Checkpointer {
        Checkpointer { read: read.clone(), write: write.clone(), db, bound_frames, last: (0, 0) }
    }

    /// The size of the log's file (0 in memory or when there is none).
    fn wal_bytes(&self) -> u64 {
        self.db.as_ref().and_then(|db| std::fs::metadata(format!("{}-wal", db.display())).ok()).map_or(0, |m| m.len())
    }

    /// One round: a PASSIVE checkpoint; a sync of the database file if it copied anything; a
    /// RESTART if the log is longer than its bound.
    pub(crate) async fn round(&mut self) -> sqlx::Result<Tick> {
        let t0 = std::time::Instant::now();
        let (log, backfilled) = checkpoint(&self.read).await?;
        // The log started over since the last round (its counts begin again): all of it is new. A
        // start-over that lands on the very counts of the last round looks like no change, and that
        // round does not sync; harmless, since SQLite starts the log over only after a checkpoint
        // that copied all of it, and such a checkpoint syncs the file itself.
        let copied = if log < self.last.0 || backfilled < self.last.1 { backfilled } else { backfilled - self.last.1 };
        self.last = (log, backfilled);
        tracing::trace!(log, copied, us = t0.elapsed().as_micros() as u64, "write-ahead log checkpointed");
        let synced = match &self.db {
            Some(db) if copied > 0 => flush_logged(db).await,
            _ => false,
        };
        let restarted = log > self.bound_frames.max(1);
        if restarted {
            restart_logged(&self.write, "RESTART").await;
        }
        // Quiet, and all of the log copied: a log file left long by a spike (or by a disk that
        // was full, when no checkpoint could finish) is cut back to nothing.
        let truncated = !restarted && copied == 0 && log > 0 && backfilled == log && self.wal_bytes() > SHRINK_BYTES;
        if truncated {
            restart_logged(&self.write, "TRUNCATE").await;
        }
        Ok(Tick { log, copied, synced, restarted, truncated })
    }
}

/// [`restart`], with what it did (or why it failed) in the log; quiet once the store is closed.
async fn restart_logged(write: &AnyPool, mode: &'static str) {
    let t0 = std::time::Instant::now();
    match restart(write, mode).await {
        Ok((busy, log)) => tracing::debug!(mode, busy, log, us = t0.elapsed().as_micros() as u64, "write-ahead log started over"),
        Err(_) if write.is_closed() => {}
        Err(e) => tracing::warn!(error = %e, "write-ahead log restart on the write connection"),
    }
}

/// Writes the pages a checkpoint copied into the database file at `db` to the disk
/// ([`crate::sync::sync_file`], on a blocking thread), with what it took (or why it failed) in the
/// log; whether it succeeded. A failed flush loses nothing: SQLite syncs the file itself before it
/// lets the log start over.
async fn flush_logged(db: &Path) -> bool {
    let t0 = std::time::Instant::now();
    let path = db.to_path_buf();
    match tokio::task::spawn_blocking(move || crate::sync::sync_file(&path)).await {
        Ok(Ok(())) => {
            tracing::trace!(us = t0.elapsed().as_micros() as u64, "database file synced");
            true
        }
        Ok(Err(e)) => {
            tracing::warn!(error = %e, file = %db.display(), "syncing the database file after a checkpoint");
            false
        }
        Err(e) => {
            tracing::warn!(error = %e, "the database file's sync did not finish");
            false
        }
    }
}

/// One PASSIVE checkpoint: (frames in the log, frames copied into the database).
async fn checkpoint(pool: &AnyPool) -> sqlx::Result<(i64, i64)> {
    let row = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)").fetch_one(pool).await?;
    Ok((row.try_get(1)?, row.try_get(2)?))
}

/// A RESTART (or TRUNCATE: the same, and the file cut to nothing) checkpoint on the write
/// connection, waiting at most `RESTART_WAIT_MS` for readers: (busy, frames in the log). The
/// connection's usual busy timeout is set back afterwards.
async fn restart(write: &AnyPool, mode: &'static str) -> sqlx::Result<(bool, i64)> {
    let t0 = std::time::Instant::now();
    let mut conn = write.acquire().await?;
    tracing::trace!(us = t0.elapsed().as_micros() as u64, "write connection taken for the restart");
    sqlx::query(sqlx::AssertSqlSafe(format!("PRAGMA busy_timeout={RESTART_WAIT_MS}"))).fetch_all(&mut *conn).await?;
    let row = sqlx::query(sqlx::AssertSqlSafe(format!("PRAGMA wal_checkpoint({mode})"))).fetch_one(&mut *conn).await;
    let reset = sqlx::query(sqlx::AssertSqlSafe(format!("PRAGMA busy_timeout={}", crate::BUSY_TIMEOUT_MS))).fetch_all(&mut *conn).await;
    if reset.is_err() {
        // Never hand the connection back with the short timeout.
        conn.close_on_drop();
    }
    let row = row?;
    reset?;
    Ok((row.try_get::<i64, _>(0)? != 0, row.try_get(1)?))
}

/// A quiet log's file longer than this is cut back (TRUNCATE). Under load the file keeps its
/// length up to the bound, so that commits do not pay for new blocks.
const SHRINK_BYTES: u64 = 4 * 1024 * 1024;

/// How long the write connection waits for readers before giving up on a restart this time.
const RESTART_WAIT_MS: u32 = 5;

#[cfg(test)]
mod tests {
    use crate::{Store, StoreOptions};

    #[tokio::test]
    async fn a_round_that_copies_the_log_syncs_the_database_file_and_one_with_nothing_to_copy_does_not() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("t.db");
        // The background checkpointer waits an hour: the test runs the rounds itself.
        let opts = StoreOptions { checkpoint_every: std::time::Duration::from_secs(3600), ..StoreOptions::new(&format!("sqlite://{}", db.display())) };
        let store = Store::open(&opts).await.unwrap();
        let (read, write) = (store.read_pool(), store.write_pool());
        let mut c = super::Checkpointer::new(read, write, Some(db.clone()), super::BOUND_FRAMES);
        let round = c.round().await.unwrap();
        assert!(round.copied > 0 && round.synced, "the migrations' pages were copied and synced: {round:?}");
        let round = c.round().await.unwrap();
        assert_eq!((round.copied, round.synced, round.restarted), (0, false, false), "nothing new: {round:?}");
        sqlx::query("CREATE TABLE scratch (id INTEGER PRIMARY KEY, body TEXT NOT NULL)").execute(write).await.unwrap();
        let round = c.round().await.unwrap();
        assert!(round.copied > 0 && round.synced && !round.restarted, "a commit's pages are copied and synced: {round:?}");
        // Past its bound the log is started over (SQLite's RESTART syncs the file as well) …
        // (Rows of several pages each, so that the log's counts cannot land on the last round's
        // after SQLite began the log again; see `round`.)
        for id in 10..13 {
            sqlx::query("INSERT INTO scratch (id, body) VALUES ($1, $2)").bind(id).bind("x".repeat(6000)).execute(write).await.unwrap();
        }
        c.bound_frames = 2;
        let round = c.round().await.unwrap();
        assert!(round.copied > 0 && round.synced && round.restarted, "{round:?}");
        // … and the next commit's frames count as new although the log's counts began again (the
        // first round after a start-over may find them not yet copyable: the next one copies them).
        c.bound_frames = super::BOUND_FRAMES;
        sqlx::query("INSERT INTO scratch (id, body) VALUES (2, 'y')").execute(write).await.unwrap();
        let (a, b) = (c.round().await.unwrap(), c.round().await.unwrap());
        assert!(a.log < 10 && a.copied + b.copied > 0, "{a:?} {b:?}");
        assert_eq!((a.synced, b.synced), (a.copied > 0, b.copied > 0), "{a:?} {b:?}");
        // Without a file (in memory) there is nothing to sync.
        for id in 3..5 {
            sqlx::query("INSERT INTO scratch (id, body) VALUES ($1, 'z')").bind(id).execute(write).await.unwrap();
        }
        c.db = None;
        let round = c.round().await.unwrap();
        assert!(round.copied > 0 && !round.synced, "{round:?}");
        store.close().await;
    }

    /// Issue 29: after a spike the log's file was left at its peak length for good.
    #[tokio::test]
    async fn a_quiet_log_left_long_by_a_spike_is_cut_back() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("s.db");
        let opts = StoreOptions { checkpoint_every: std::time::Duration::from_secs(3600), ..StoreOptions::new(&format!("sqlite://{}", db.display())) };
        let store = Store::open(&opts).await.unwrap();
        let (read, write) = (store.read_pool(), store.write_pool());
        let mut c = super::Checkpointer::new(read, write, Some(db.clone()), super::BOUND_FRAMES);
        sqlx::query("CREATE TABLE scratch (id INTEGER PRIMARY KEY, body TEXT NOT NULL)").execute(write).await.unwrap();
        // A spike: 12 MiB of rows, with no checkpoint meanwhile.
        for id in 0..3000 {
            sqlx::query("INSERT INTO scratch (id, body) VALUES ($1, $2)").bind(id).bind("s".repeat(4000)).execute(write).await.unwrap();
        }
        let wal = dir.path().join("s.db-wal");
        let peak = std::fs::metadata(&wal).unwrap().len();
        assert!(peak > super::SHRINK_BYTES, "the spike grew the log: {peak}");
        // The first round copies it; the next, finding it quiet, cuts it back.
        let a = c.round().await.unwrap();
        assert!(a.copied > 0 && !a.truncated, "{a:?}");
        let b = c.round().await.unwrap();
        assert!(b.truncated, "{b:?}");
        let after = std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0);
        assert!(after < 64 * 1024, "the log's file was cut back from {peak} to {after} bytes");
        // Nothing was lost.
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM scratch").fetch_one(read).await.unwrap();
        assert_eq!(n, 3000);
        store.close().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_log_starts_over_under_a_steady_stream_of_commits_and_reads() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("w.db");
        let url = format!("sqlite://{}", db.display());
        // 256 frames: 1 MiB of log before the checkpointer starts it over.
        let store = Store::open(&StoreOptions {
            wal_bound_frames: 256,
            checkpoint_every: std::time::Duration::from_millis(50),
            ..StoreOptions::new(&url)
        })
        .await
        .unwrap();
        sqlx::query("CREATE TABLE scratch (id INTEGER PRIMARY KEY, body TEXT NOT NULL)").execute(store.write_pool()).await.unwrap();
        // Short reads all the time, as in service.
        let reading = store.clone();
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let halt = stop.clone();
        let reader = tokio::spawn(async move {
            let mut n = 0i64;
            while !halt.load(std::sync::atomic::Ordering::Relaxed) {
                n += 7;
                // Through the read pool and through a look-up on this thread, in turn.
                if n % 2 == 0 {
                    sqlx::query("SELECT body FROM scratch WHERE id = $1").bind(n % 1000).fetch_optional(reading.read_pool()).await.unwrap();
                } else {
                    reading.lookup_one("SELECT body FROM scratch WHERE id = $1", &[crate::codec::Value::I(n % 1000)], |r| r.text("body")).await.unwrap();
                    // A look-up finishes without waiting: yield as a request does between look-ups.
                    tokio::task::yield_now().await;
                }
            }
        });
        // Commits one after another, each its own transaction: ~4 MiB of pages a hundred times over.
        let body = "x".repeat(2000);
        let mut id = 0i64;
        // 80 MiB in all, however long a busy machine takes to write it.
        while id * 2000 < 80 << 20 {
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
        // A log that never starts over holds all of it (and more: frame headers); one that does holds
        // what is written between two checkpoint ticks and during a restart — 10–12 MiB when the
        // test runs alone on 2 cores (the file keeps its longest length); under the whole suite's
        // load, when a restart waits longer for a quiet moment, 21 MiB was seen. Half of what was
        // written still tells the two apart.
        assert!(log < written / 2, "the log is {log} bytes after {written} bytes were written: it never started over");
        store.close().await;
    }
}
