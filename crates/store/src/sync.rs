//! Group flushes of the SQLite write-ahead log, apart from the commits. The write connection
//! commits without waiting for the disk (`synchronous=NORMAL`), so the one writer can start its
//! next transaction at once; a flusher thread then makes everything committed so far durable with
//! one `fdatasync` of the log, shared by every commit that asked since the last one. Whoever
//! acknowledges a change (the group-commit writer, the access-log appender, every other write of
//! the store) waits for a flush that began after its commit, so an acknowledged change survives a
//! power cut — as with `synchronous=FULL`, but the disk wait no longer holds the writer.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex};

use tokio::sync::oneshot;

use crate::{Result, StoreError};

/// The flusher of one SQLite database's write-ahead log (cheap to clone).
#[derive(Clone)]
pub(crate) struct Flusher {
    shared: Arc<Shared>,
}

struct Shared {
    wal: PathBuf,
    state: Mutex<State>,
    wake: Condvar,
}

#[derive(Default)]
struct State {
    waiting: Vec<oneshot::Sender<std::result::Result<(), String>>>,
    closed: bool,
}

impl Flusher {
    /// Starts the flusher thread of the database at `db` (its log is `{db}-wal`).
    pub(crate) fn start(db: &str) -> Result<Flusher> {
        let shared = Arc::new(Shared { wal: wal_of(db), state: Mutex::default(), wake: Condvar::new() });
        let s = shared.clone();
        std::thread::Builder::new()
            .name("wal-flusher".into())
            .spawn(move || run(&s))
            .map_err(|e| StoreError::Corrupt(format!("could not start the log flusher: {e}")))?;
        Ok(Flusher { shared })
    }

    /// Asks for a flush of everything committed so far; the answer comes once it is on disk.
    pub(crate) fn ask(&self) -> Durable {
        let (tx, rx) = oneshot::channel();
        if let Ok(mut st) = self.shared.state.lock() {
            if st.closed {
                let _ = tx.send(Err("the store is shutting down".into()));
            } else {
                st.waiting.push(tx);
                self.shared.wake.notify_one();
            }
        }
        Durable(Some(rx))
    }

    /// Flushes what is waiting and stops the thread.
    pub(crate) fn close(&self) {
        if let Ok(mut st) = self.shared.state.lock() {
            st.closed = true;
            self.shared.wake.notify_one();
        }
    }
}

/// A pending flush: resolves once the changes committed before it was asked for are durable.
pub struct Durable(Option<oneshot::Receiver<std::result::Result<(), String>>>);

impl Durable {
    /// A flush of `flusher`'s log, or none needed (PostgreSQL flushes at commit; no flusher).
    pub(crate) fn of(flusher: Option<&Flusher>) -> Durable {
        flusher.map_or(Durable(None), Flusher::ask)
    }

    /// Calls `answer` with the flush's outcome, on a task of its own, so that whoever committed
    /// may go on at once.
    pub(crate) fn then(self, answer: impl FnOnce(Result<()>) + Send + 'static) {
        tokio::spawn(async move { answer(self.wait().await) });
    }

    pub async fn wait(self) -> Result<()> {
        match self.0 {
            None => Ok(()),
            Some(rx) => match rx.await {
                Ok(Ok(())) => Ok(()),
                Ok(Err(e)) => Err(StoreError::Flush(e)),
                Err(_) => Err(StoreError::Closed),
            },
        }
    }
}

/// The same outcome again, for each of the callers one flush answers.
pub(crate) fn again(outcome: &Result<()>) -> Result<()> {
    match outcome {
        Ok(()) => Ok(()),
        Err(StoreError::Flush(e)) => Err(StoreError::Flush(e.clone())),
        Err(_) => Err(StoreError::Closed),
    }
}

/// Makes everything committed to the write-ahead log at `wal` so far durable (`fdatasync`). The
/// log is opened afresh each time: SQLite deletes and recreates it when the last connection
/// closes, and a kept descriptor would then flush a file nobody writes.
pub(crate) fn sync_log(wal: &Path) -> std::result::Result<(), String> {
    let r = match sync_file(wal) {
        Ok(()) => Ok(()),
        // No log: everything is in the database file, which SQLite synced when it checkpointed.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(format!("{}: {e}", wal.display())),
    };
    if let Err(e) = &r {
        tracing::error!(error = %e, "flushing the write-ahead log failed");
    }
    r
}

/// Writes what was written to the file at `path` to the disk (`fdatasync`), opening it afresh.
pub(crate) fn sync_file(path: &Path) -> std::io::Result<()> {
    std::fs::File::open(path)?.sync_data()
}

/// The write-ahead log of the SQLite database at `db`.
pub(crate) fn wal_of(db: &str) -> PathBuf {
    PathBuf::from(format!("{db}-wal"))
}

fn run(shared: &Shared) {
    loop {
        let batch = {
            let Ok(mut st) = shared.state.lock() else { return };
            while st.waiting.is_empty() && !st.closed {
                st = match shared.wake.wait(st) {
                    Ok(s) => s,
                    Err(_) => return,
                };
            }
            if st.waiting.is_empty() && st.closed {
                return;
            }
            std::mem::take(&mut st.waiting)
        };
        let t0 = std::time::Instant::now();
        let r = sync_log(&shared.wal);
        tracing::trace!(us = t0.elapsed().as_micros() as u64, commits = batch.len(), "log synced");
        for w in batch {
            let _ = w.send(r.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_database_file_is_synced_and_a_missing_one_says_so() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("f.db");
        std::fs::write(&db, b"pages").unwrap();
        sync_file(&db).unwrap();
        let e = sync_file(&dir.path().join("gone.db")).unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::NotFound);
    }

    #[tokio::test]
    async fn a_flush_answers_every_waiter_and_a_failed_one_says_why() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("x.db");
        std::fs::write(dir.path().join("x.db-wal"), b"frames").unwrap();
        let f = Flusher::start(db.to_str().unwrap()).unwrap();
        let waits: Vec<Durable> = (0..50).map(|_| f.ask()).collect();
        for w in waits {
            w.wait().await.unwrap();
        }
        // No log at all: nothing to flush.
        let g = Flusher::start(dir.path().join("none.db").to_str().unwrap()).unwrap();
        g.ask().wait().await.unwrap();
        // A log that cannot be opened fails the wait (the change is not acknowledged).
        let h = Flusher::start(dir.path().join("x.db-wal/inside.db").to_str().unwrap()).unwrap();
        let e = h.ask().wait().await.unwrap_err();
        assert!(matches!(e, StoreError::Flush(ref m) if m.contains("inside.db-wal")), "{e}");
        // After closing, asking fails instead of hanging.
        f.close();
        assert!(matches!(f.ask().wait().await, Err(StoreError::Flush(_))));
    }
}
