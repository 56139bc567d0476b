//! A QoS 1 publisher for the simulator and the benchmark: one MQTT connection, many messages in
//! flight, each counted when the broker acknowledges it.
//!
//! A simulated fleet does not open one connection per device: it models **home gateways**, each
//! one connection publishing for its devices (e.g. one per 1,000 simulated devices), on each
//! device's own topic. (On Mosquitto a gateway's account must then be allowed those topics:
//! [`crate::mosquitto::Acl::gateway`].)
//!
//! [`Publisher::publish`] returns once the broker has PUBACKed the message; [`Publisher::send`]
//! returns once it is queued, and [`Publisher::flush`] waits until every message sent is
//! acknowledged (or lost). Up to `max_inflight` messages are on the wire unacknowledged; the
//! connection is polled by a task of its own.
//!
//! A message not acknowledged when the connection drops is reported lost
//! ([`Error::Disconnected`], [`PublishStats::lost`]): it may or may not have reached the broker,
//! and the caller publishes it again if it matters (the server drops duplicates by `seq`). The
//! publisher then reconnects by itself, doubling its delay from 100 ms to 10 s.

use std::collections::HashMap;
use std::collections::VecDeque;
use std::fmt;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::MutexGuard;
use std::sync::atomic::AtomicBool;
use std::sync::atomic::AtomicU64;
use std::sync::atomic::Ordering;
use std::time::Duration;
use std::time::Instant;

use bytes::Bytes;
use rumqttc::AsyncClient;
use rumqttc::Event;
use rumqttc::Outgoing;
use rumqttc::Packet;
use rumqttc::QoS;
use tokio::sync::Notify;
use tokio::sync::oneshot;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tracing::debug;
use tracing::info;
use tracing::warn;

use crate::endpoint::Backoff;
use crate::endpoint::BrokerUrl;
use crate::endpoint::Credentials;
use crate::endpoint::mqtt_options;
use crate::error::Error;
use crate::error::Result;
use crate::topic;

/// A connection's generation while no connection is up: nothing may be queued.
const DOWN: u64 = u64::MAX;

/// How long [`Publisher::connect`] waits for the first CONNACK.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Acknowledgement times of a publisher's messages, from queueing to PUBACK.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct LatencySummary {
    /// Messages measured.
    pub count: u64,
    /// Mean, in microseconds.
    pub mean_us: f64,
    /// Median, in microseconds (upper bound of its power-of-two bucket).
    pub p50_us: u64,
    /// 99th percentile, in microseconds (upper bound of its power-of-two bucket).
    pub p99_us: u64,
    /// Longest, in microseconds.
    pub max_us: u64,
}

/// Counters of a publisher since it connected.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct PublishStats {
    /// Messages handed to the connection.
    pub sent: u64,
    /// Messages the broker acknowledged.
    pub acked: u64,
    /// Messages whose connection dropped before their PUBACK.
    pub lost: u64,
    /// Reconnections after the first connection.
    pub reconnects: u64,
    /// Queueing-to-PUBACK times.
    pub latency: LatencySummary,
}

/// Power-of-two buckets of microseconds.
#[derive(Debug, Clone)]
struct Histogram {
    buckets: [u64; 40],
    count: u64,
    sum_us: u128,
    max_us: u64,
}

impl Histogram {
    fn new() -> Self {
        Self { buckets: [0; 40], count: 0, sum_us: 0, max_us: 0 }
    }

    fn record(&mut self, d: Duration) {
        let us = u64::try_from(d.as_micros()).unwrap_or(u64::MAX);
        let b = (64 - us.leading_zeros() as usize).min(self.buckets.len() - 1);
        self.buckets[b] += 1;
        self.count += 1;
        self.sum_us += u128::from(us);
        self.max_us = self.max_us.max(us);
    }

    fn quantile(&self, q: f64) -> u64 {
        if self.count == 0 {
            return 0;
        }
        let target = ((self.count as f64) * q).ceil().max(1.0) as u64;
        let mut seen = 0;
        for (b, n) in self.buckets.iter().enumerate() {
            seen += n;
            if seen >= target {
                return if b == 0 { 0 } else { (1u64 << b) - 1 }.min(self.max_us);
            }
        }
        self.max_us
    }

    fn summary(&self) -> LatencySummary {
        LatencySummary {
            count: self.count,
            mean_us: if self.count == 0 { 0.0 } else { self.sum_us as f64 / self.count as f64 },
            p50_us: self.quantile(0.50),
            p99_us: self.quantile(0.99),
            max_us: self.max_us,
        }
    }
}

/// A message queued or in flight: when it was queued, and who waits for its PUBACK.
struct Waiter {
    id: u64,
    queued: Instant,
    done: Option<oneshot::Sender<Result<()>>>,
}

impl Waiter {
    fn finish(self, r: Result<()>) {
        if let Some(tx) = self.done {
            let _ = tx.send(r);
        }
    }
}

/// The connection's bookkeeping: which message each packet id stands for.
struct Track {
    generation: u64,
    /// Queued to the client, not yet given a packet id, in queueing order.
    queued: VecDeque<Waiter>,
    /// On the wire, by packet id.
    inflight: HashMap<u16, Waiter>,
    /// Given a packet id still in use (the broker acked out of order): sent after that ack.
    collided: Option<(u16, Waiter)>,
    latency: Histogram,
}

impl Track {
    fn outstanding(&self) -> usize {
        self.queued.len() + self.inflight.len() + usize::from(self.collided.is_some())
    }

    fn take_all(&mut self) -> Vec<Waiter> {
        let mut all: Vec<Waiter> = self.queued.drain(..).collect();
        all.extend(self.inflight.drain().map(|(_, w)| w));
        all.extend(self.collided.take().map(|(_, w)| w));
        all
    }
}

struct Inner {
    /// The current client and its generation; publishers queue under this lock, one at a time,
    /// so that queueing order is the order the client sees.
    send: tokio::sync::Mutex<(AsyncClient, u64)>,
    track: Mutex<Track>,
    /// Woken whenever nothing is outstanding.
    idle: Notify,
    /// The connection's generation, [`DOWN`] between connections (queueing waits for the next).
    up: watch::Sender<u64>,
    closed: AtomicBool,
    next_id: AtomicU64,
    sent: AtomicU64,
    acked: AtomicU64,
    lost: AtomicU64,
    reconnects: AtomicU64,
}

impl Inner {
    fn track(&self) -> MutexGuard<'_, Track> {
        self.track.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// One MQTT connection publishing at QoS 1. Cheap to share by reference across tasks.
pub struct Publisher {
    inner: Arc<Inner>,
    task: Option<JoinHandle<()>>,
    client_id: String,
}

impl fmt::Debug for Publisher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Publisher").field("client_id", &self.client_id).field("stats", &self.stats()).finish_non_exhaustive()
    }
}

impl Publisher {
    /// Connects (`clean_session = true`) and returns once the broker has accepted the
    /// connection; fails if it cannot be reached or refuses (bad credentials among others)
    /// within 10 s. `max_inflight` messages may await their PUBACK at once (1..=65535).
    pub async fn connect(url: &str, client_id: &str, credentials: Option<Credentials>, max_inflight: u16) -> Result<Self> {
        let url = BrokerUrl::parse(url)?;
        if client_id.is_empty() || client_id.contains(['+', '#', '/']) {
            return Err(Error::InvalidConfig(format!("client id {client_id:?}")));
        }
        if max_inflight == 0 {
            return Err(Error::InvalidConfig("max_inflight must be at least 1".to_owned()));
        }
        let mut options = mqtt_options(&url, client_id, credentials.as_ref(), Duration::from_secs(30), 64 * 1024);
        options.set_inflight(max_inflight);
        let cap = usize::from(max_inflight).max(64);
        let (client, eventloop) = AsyncClient::new(options.clone(), cap);
        let inner = Arc::new(Inner {
            send: tokio::sync::Mutex::new((client, 0)),
            track: Mutex::new(Track {
                generation: 0,
                queued: VecDeque::new(),
                inflight: HashMap::new(),
                collided: None,
                latency: Histogram::new(),
            }),
            idle: Notify::new(),
            up: watch::Sender::new(0),
            closed: AtomicBool::new(false),
            next_id: AtomicU64::new(0),
            sent: AtomicU64::new(0),
            acked: AtomicU64::new(0),
            lost: AtomicU64::new(0),
            reconnects: AtomicU64::new(0),
        });
        let (ready_tx, ready_rx) = oneshot::channel();
        let driver = Driver { inner: Arc::clone(&inner), options, cap, url: url.to_string(), client_id: client_id.to_owned() };
        let task = tokio::spawn(driver.run(eventloop, ready_tx));
        let publisher = Self { inner, task: Some(task), client_id: client_id.to_owned() };
        match tokio::time::timeout(CONNECT_TIMEOUT, ready_rx).await {
            Ok(Ok(Ok(()))) => Ok(publisher),
            Ok(Ok(Err(e))) => Err(e),
            Ok(Err(_)) => Err(Error::Connect("the connection task ended".to_owned())),
            Err(_) => Err(Error::Connect(format!("no CONNACK within {CONNECT_TIMEOUT:?}"))),
        }
    }

    /// Publishes at QoS 1 and returns once the broker has acknowledged it.
    pub async fn publish(&self, topic: &str, payload: impl Into<Bytes>) -> Result<()> {
        let (tx, rx) = oneshot::channel();
        self.queue(topic, payload.into(), Some(tx)).await?;
        rx.await.unwrap_or(Err(Error::Disconnected))
    }

    /// Queues a QoS 1 message and returns (waiting only while `max_inflight` messages and the
    /// queue are full); its PUBACK is counted in [`Publisher::stats`]. See [`Publisher::flush`].
    pub async fn send(&self, topic: &str, payload: impl Into<Bytes>) -> Result<()> {
        self.queue(topic, payload.into(), None).await
    }

    /// Waits until every message queued so far has been acknowledged or lost.
    pub async fn flush(&self) {
        loop {
            let idle = self.inner.idle.notified();
            tokio::pin!(idle);
            idle.as_mut().enable();
            if self.inner.track().outstanding() == 0 {
                return;
            }
            idle.await;
        }
    }

    /// Counters since connect.
    pub fn stats(&self) -> PublishStats {
        let latency = self.inner.track().latency.summary();
        PublishStats {
            sent: self.inner.sent.load(Ordering::Relaxed),
            acked: self.inner.acked.load(Ordering::Relaxed),
            lost: self.inner.lost.load(Ordering::Relaxed),
            reconnects: self.inner.reconnects.load(Ordering::Relaxed),
            latency,
        }
    }

    /// Waits for the messages in flight (at most 5 s), then disconnects.
    pub async fn disconnect(mut self) {
        let _ = tokio::time::timeout(Duration::from_secs(5), self.flush()).await;
        self.inner.closed.store(true, Ordering::Relaxed);
        let client = self.inner.send.lock().await.0.clone();
        let _ = client.try_disconnect();
        let Some(mut task) = self.task.take() else { return };
        if tokio::time::timeout(Duration::from_secs(2), &mut task).await.is_err() {
            task.abort();
        }
    }

    async fn queue(&self, topic: &str, payload: Bytes, mut done: Option<oneshot::Sender<Result<()>>>) -> Result<()> {
        if !topic::valid_publish_topic(topic) {
            return Err(Error::InvalidTopic(topic.to_owned()));
        }
        if self.inner.closed.load(Ordering::Relaxed) {
            return Err(Error::Closed);
        }
        // Between connections, wait for the next one (the caller's own timeout bounds this).
        let mut up = self.inner.up.subscribe();
        let (send, id) = loop {
            if self.inner.closed.load(Ordering::Relaxed) {
                return Err(Error::Closed);
            }
            if *up.borrow_and_update() == DOWN {
                if up.changed().await.is_err() {
                    return Err(Error::Closed);
                }
                continue;
            }
            let send = self.inner.send.lock().await;
            let id = self.inner.next_id.fetch_add(1, Ordering::Relaxed);
            let mut track = self.inner.track();
            if track.generation != send.1 {
                continue; // the connection dropped meanwhile
            }
            track.queued.push_back(Waiter { id, queued: Instant::now(), done: done.take() });
            drop(track);
            break (send, id);
        };
        let client = &send.0;
        match client.publish_bytes(topic, QoS::AtLeastOnce, false, payload).await {
            Ok(()) => {
                self.inner.sent.fetch_add(1, Ordering::Relaxed);
                Ok(())
            }
            Err(_) => {
                // The connection is gone (its queue closed). Our waiter is the last queued, if
                // the driver has not failed it already.
                let mut track = self.inner.track();
                if track.queued.back().is_some_and(|w| w.id == id) {
                    track.queued.pop_back();
                    if track.outstanding() == 0 {
                        self.inner.idle.notify_waiters();
                    }
                }
                Err(Error::Disconnected)
            }
        }
    }
}

impl Drop for Publisher {
    fn drop(&mut self) {
        self.inner.closed.store(true, Ordering::Relaxed);
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

/// The task that polls the connection and matches PUBACKs to messages.
struct Driver {
    inner: Arc<Inner>,
    options: rumqttc::MqttOptions,
    cap: usize,
    url: String,
    client_id: String,
}

impl Driver {
    async fn run(self, first: rumqttc::EventLoop, ready: oneshot::Sender<Result<()>>) {
        let mut ready = Some(ready);
        let mut eventloop = first;
        let mut generation = 0u64;
        let mut backoff = Backoff::new(Duration::from_millis(100), Duration::from_secs(10));
        loop {
            let error = loop {
                match eventloop.poll().await {
                    Ok(Event::Incoming(Packet::ConnAck(_))) => {
                        backoff.reset();
                        if let Some(r) = ready.take() {
                            let _ = r.send(Ok(()));
                            debug!(url = %self.url, client_id = %self.client_id, "MQTT publisher connected");
                        } else {
                            info!(url = %self.url, client_id = %self.client_id, "MQTT publisher reconnected");
                        }
                    }
                    Ok(Event::Outgoing(Outgoing::Publish(pkid))) => self.on_sent(pkid),
                    Ok(Event::Outgoing(Outgoing::AwaitAck(pkid))) => {
                        let mut t = self.inner.track();
                        if let Some(w) = t.queued.pop_front() {
                            t.collided = Some((pkid, w));
                        }
                    }
                    Ok(Event::Incoming(Packet::PubAck(ack))) => self.on_acked(ack.pkid),
                    Ok(Event::Outgoing(Outgoing::Disconnect)) if self.inner.closed.load(Ordering::Relaxed) => {
                        let _ = tokio::time::timeout(Duration::from_millis(200), eventloop.poll()).await;
                        break None;
                    }
                    Ok(_) => {}
                    Err(e) => break Some(e),
                }
            };
            // The connection is over: its queue closes with the event loop, and whatever it had
            // not acknowledged is lost to the caller.
            drop(eventloop);
            let lost = {
                let mut t = self.inner.track();
                t.generation = DOWN;
                t.take_all()
            };
            self.inner.up.send_replace(DOWN);
            if !lost.is_empty() {
                self.inner.lost.fetch_add(lost.len() as u64, Ordering::Relaxed);
                for w in lost {
                    w.finish(Err(Error::Disconnected));
                }
            }
            self.inner.idle.notify_waiters();
            let Some(error) = error else {
                self.inner.closed.store(true, Ordering::Relaxed);
                return;
            };
            if let Some(r) = ready.take() {
                let _ = r.send(Err(Error::Connect(error.to_string())));
                self.inner.closed.store(true, Ordering::Relaxed);
                return;
            }
            if self.inner.closed.load(Ordering::Relaxed) {
                return;
            }
            let delay = backoff.next_delay();
            warn!(url = %self.url, client_id = %self.client_id, error = %error, retry_in_ms = delay.as_millis() as u64, "MQTT publisher lost its connection; reconnecting");
            tokio::time::sleep(delay).await;
            generation += 1;
            self.inner.reconnects.fetch_add(1, Ordering::Relaxed);
            let (client, next) = AsyncClient::new(self.options.clone(), self.cap);
            {
                let mut send = self.inner.send.lock().await;
                *send = (client, generation);
                self.inner.track().generation = generation;
            }
            self.inner.up.send_replace(generation);
            eventloop = next;
        }
    }

    fn on_sent(&self, pkid: u16) {
        let mut t = self.inner.track();
        if t.inflight.contains_key(&pkid) {
            return; // sent again after a reconnection of the same client: already tracked
        }
        if t.collided.as_ref().is_some_and(|(p, _)| *p == pkid) {
            if let Some((p, w)) = t.collided.take() {
                t.inflight.insert(p, w);
            }
            return;
        }
        if let Some(w) = t.queued.pop_front() {
            t.inflight.insert(pkid, w);
        }
    }

    fn on_acked(&self, pkid: u16) {
        let done = {
            let mut t = self.inner.track();
            let w = t.inflight.remove(&pkid);
            if let Some(w) = &w {
                t.latency.record(w.queued.elapsed());
            }
            (w, t.outstanding() == 0)
        };
        if let (Some(w), idle) = done {
            self.inner.acked.fetch_add(1, Ordering::Relaxed);
            w.finish(Ok(()));
            if idle {
                self.inner.idle.notify_waiters();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_histogram_summarises() {
        let mut h = Histogram::new();
        for us in [1u64, 2, 3, 100, 1000] {
            h.record(Duration::from_micros(us));
        }
        let s = h.summary();
        assert_eq!(s.count, 5);
        assert_eq!(s.max_us, 1000);
        assert!((s.mean_us - 221.2).abs() < 1e-9);
        assert_eq!(s.p50_us, 3);
        assert_eq!(s.p99_us, 1000);
        assert_eq!(Histogram::new().summary().p99_us, 0);
    }
}
