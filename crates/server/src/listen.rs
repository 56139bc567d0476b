//! The HTTP listener (issue 29, timeouts and limits): slow, idle and half-sent connections must
//! not hold the server. Each connection has a header timeout (hyper's), a body timeout (a layer of
//! the router: 408), and an idle timeout (nothing in flight, nothing sent or received); at most
//! `max_connections` are held at once — past it the one idle longest is closed, so that a new
//! client (a health probe) still gets in. At start the open-file limit is raised as far as the
//! system allows, and the cap is kept below it, so that accepting never fails for want of a file.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::ConnectInfo;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, watch};
use tower::ServiceExt;

use crate::config::ConnectionLimits;

/// Files kept free for everything else (the database, the notice log, uploads).
const FILES_KEPT: u64 = 128;

/// Raises this process's open-file limit to its hard limit; the soft limit now.
pub fn raise_file_limit() -> u64 {
    use rustix::process::{Resource, getrlimit, setrlimit};
    let mut l = getrlimit(Resource::Nofile);
    if let Some(hard) = l.maximum
        && l.current.is_some_and(|c| c < hard)
    {
        l.current = Some(hard);
        if let Err(e) = setrlimit(Resource::Nofile, l.clone()) {
            tracing::warn!(error = %e, "could not raise the open-file limit");
        }
    }
    getrlimit(Resource::Nofile).current.unwrap_or(u64::MAX)
}

/// Makes a write past the file-size limit an error (`EFBIG`, answered like a full disk) instead
/// of the signal that kills the process by default (`SIGXFSZ`). Tokio's handler, once installed,
/// stays for the life of the process, even after this runtime (and the task that logs) ends.
fn survive_file_size_limit() {
    let kind = tokio::signal::unix::SignalKind::from_raw(rustix::process::Signal::XFSZ.as_raw());
    match tokio::signal::unix::signal(kind) {
        Ok(mut s) => {
            tokio::spawn(async move {
                while s.recv().await.is_some() {
                    tracing::warn!("a write went past the file-size limit (SIGXFSZ); answered as a full disk");
                }
            });
        }
        Err(e) => tracing::warn!(error = %e, "could not take over SIGXFSZ"),
    }
}

/// The connections held at once: as configured, but never so many that the files run out.
pub fn connection_cap(configured: usize, file_limit: u64) -> usize {
    let room = if file_limit > 2 * FILES_KEPT { file_limit - FILES_KEPT } else { file_limit / 2 };
    configured.min(usize::try_from(room).unwrap_or(usize::MAX)).max(1)
}

/// What a connection has been doing, for the idle timeout and for choosing whom to close.
#[derive(Debug)]
struct Activity {
    /// Milliseconds since the listener's start at the last byte read or written.
    last: AtomicU64,
    /// Requests being answered.
    in_flight: AtomicUsize,
    /// Told to close (idle too long, or made room for another).
    close: Notify,
}

impl Activity {
    fn touch(&self, epoch: Instant) {
        self.last.store(epoch.elapsed().as_millis() as u64, Ordering::Relaxed);
    }

    fn idle_for(&self, epoch: Instant) -> Duration {
        Duration::from_millis((epoch.elapsed().as_millis() as u64).saturating_sub(self.last.load(Ordering::Relaxed)))
    }
}

/// The open connections.
#[derive(Default)]
struct Registry {
    next: u64,
    open: HashMap<u64, Arc<Activity>>,
}

impl Registry {
    /// Tells the connection idle longest (none in flight, if there is one) to close.
    fn evict_one(&self, epoch: Instant) {
        let pick = self
            .open
            .values()
            .max_by_key(|a| (a.in_flight.load(Ordering::Relaxed) == 0, a.idle_for(epoch)));
        if let Some(a) = pick {
            a.close.notify_one();
        }
    }
}

/// A TCP stream that notes each read and write.
struct Tracked {
    inner: TcpStream,
    activity: Arc<Activity>,
    epoch: Instant,
}

impl AsyncRead for Tracked {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let r = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(r, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.activity.touch(self.epoch);
        }
        r
    }
}

impl AsyncWrite for Tracked {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, data: &[u8]) -> Poll<std::io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write(cx, data);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch(self.epoch);
        }
        r
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// Serves `app` on `listener` until `stop` fires; then lets the connections finish what they
/// are answering (at most 10 s).
pub async fn serve(listener: TcpListener, app: Router, limits: ConnectionLimits, mut stop: watch::Receiver<bool>) {
    // Once per process, however many servers it runs (the tests run many).
    static FILE_LIMIT: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    let files = *FILE_LIMIT.get_or_init(|| {
        survive_file_size_limit();
        raise_file_limit()
    });
    let cap = connection_cap(limits.max_connections, files);
    tracing::info!(cap, header_timeout = ?limits.header_timeout, body_timeout = ?limits.body_timeout, idle_timeout = ?limits.idle_timeout, "listening");
    let epoch = Instant::now();
    let registry = Arc::new(Mutex::new(Registry::default()));
    let mut tasks = tokio::task::JoinSet::new();
    loop {
        let accepted = tokio::select! {
            a = listener.accept() => a,
            _ = stop.changed() => break,
        };
        // Reap the finished ones, so the set does not grow.
        while tasks.try_join_next().is_some() {}
        let (tcp, peer) = match accepted {
            Ok(a) => a,
            Err(e) => {
                // Out of files (the cap keeps clear of it, but the process has other files):
                // make room and wait a moment instead of spinning.
                tracing::warn!(error = %e, "accepting a connection");
                crate::locked(&registry).evict_one(epoch);
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        // Each answer goes out as soon as it is written, not held back for the client's
        // acknowledgement of the last one (Nagle's algorithm).
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!(error = %e, "TCP_NODELAY not set on a connection");
        }
        let activity = Arc::new(Activity { last: AtomicU64::new(0), in_flight: AtomicUsize::new(0), close: Notify::new() });
        activity.touch(epoch);
        let id = {
            let mut r = crate::locked(&registry);
            if r.open.len() >= cap {
                r.evict_one(epoch);
            }
            r.next += 1;
            let id = r.next;
            r.open.insert(id, activity.clone());
            id
        };
        let (app, registry) = (app.clone(), registry.clone());
        tasks.spawn(async move {
            connection(tcp, peer, app, limits, activity, epoch).await;
            crate::locked(&registry).open.remove(&id);
        });
    }
    // Stopping: idle connections close now, busy ones once they have answered.
    for a in crate::locked(&registry).open.values() {
        a.close.notify_one();
    }
    let _ = tokio::time::timeout(Duration::from_secs(10), async { while tasks.join_next().await.is_some() {} }).await;
}

/// Serves one connection until it ends, times out, or is told to close.
async fn connection(tcp: TcpStream, peer: SocketAddr, app: Router, limits: ConnectionLimits, activity: Arc<Activity>, epoch: Instant) {
    let io = TokioIo::new(Tracked { inner: tcp, activity: activity.clone(), epoch });
    let counted = activity.clone();
    let service = hyper::service::service_fn(move |mut req: hyper::Request<hyper::body::Incoming>| {
        // The peer's address travels with each request (`auth::ClientAddr`: rate limits).
        req.extensions_mut().insert(ConnectInfo(peer));
        let (app, counted) = (app.clone(), counted.clone());
        counted.in_flight.fetch_add(1, Ordering::Relaxed);
        async move {
            let answer = app.oneshot(req.map(axum::body::Body::new)).await;
            counted.in_flight.fetch_sub(1, Ordering::Relaxed);
            answer
        }
    });
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout)
        .serve_connection(io, service);
    tokio::pin!(conn);
    let mut check = tokio::time::interval((limits.idle_timeout / 4).clamp(Duration::from_millis(100), Duration::from_secs(1)));
    check.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // When a close was asked for: a connection that does not finish its answer within the body
    // timeout after that is dropped.
    let mut closing: Option<Instant> = None;
    loop {
        tokio::select! {
            r = conn.as_mut() => {
                if let Err(e) = r {
                    tracing::debug!(error = %e, "connection ended");
                }
                return;
            }
            _ = activity.close.notified(), if closing.is_none() => {
                conn.as_mut().graceful_shutdown();
                closing = Some(Instant::now());
            }
            _ = check.tick() => {
                let idle = activity.in_flight.load(Ordering::Relaxed) == 0 && activity.idle_for(epoch) >= limits.idle_timeout;
                match closing {
                    None if idle => {
                        conn.as_mut().graceful_shutdown();
                        closing = Some(Instant::now());
                    }
                    Some(at) if at.elapsed() >= limits.body_timeout || (idle && at.elapsed() >= Duration::from_secs(1)) => return,
                    _ => {}
                }
            }
        }
    }
}


#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_keeps_clear_of_the_open_file_limit() {
        assert_eq!(connection_cap(4096, 1_048_576), 4096);
        assert_eq!(connection_cap(4096, 1024), 896);
        assert_eq!(connection_cap(4096, 100), 50);
        assert_eq!(connection_cap(10, 1024), 10);
    }
}
