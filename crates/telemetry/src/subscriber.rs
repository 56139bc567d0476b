//! The server's subscriber: readings in, and a PUBACK for each only once the server has made it
//! durable.
//!
//! [`Subscriber::start`] connects with `clean_session = false` (by default), so the broker keeps
//! the subscription and every unacknowledged message while the server is away, and subscribes
//! at QoS 1 (through `$share/{group}/…` when a group is given). Each message comes out of the
//! returned channel as a [`Delivery`] whose [`Ack`] the caller fires after processing:
//!
//! - **An acknowledged reading is never lost, an unacknowledged one comes back.** The PUBACK
//!   goes out only from [`Ack::ack`]. An [`Ack`] dropped without being fired (its processing
//!   failed) makes the subscriber reconnect (after 100 ms, doubling while failures repeat with
//!   no ack between them, up to 10 s), and the broker sends again everything this session had
//!   not acknowledged; so does a lost connection or a crashed server (same client id). So fire
//!   the [`Ack`] of bad input too (malformed, unknown device, another device's topic) once it
//!   is counted: dropping it would bring it back for ever. Drop an [`Ack`] only when trying
//!   again later may succeed (the storage is down).
//! - **In order.** PUBACKs go out in the order the messages came (an ack waits for those before
//!   it): rumqttd refuses acks out of order, and a failed message must not be passed over.
//! - **Never a stale ack.** An [`Ack`] from an earlier connection is ignored: its packet id means
//!   another message now. That message is delivered again on the new connection.
//! - **Duplicates are expected** (QoS 1 is at least once): the server de-duplicates by the
//!   payload's per-device `seq`.
//!
//! **Shared subscriptions with persistent sessions** (found with Mosquitto 2.0.11): Mosquitto
//! goes on handing a persistent member of a group its turn while it is offline, and queues those
//! messages for its return (with two servers, one dead, half the readings wait). So a server's
//! client id must come back: derive it from something a restarted or replacement server takes
//! again (its leased node number, `minsheng-{node}`), not from a random id or a process id. The
//! embedded rumqttd instead takes an offline member out of the group (and see
//! [`crate::EmbeddedBroker`] on shared groups there).
//!
//! It reconnects forever, doubling its delay from 100 ms to 10 s, and subscribes again each time.
//! Deliveries come through a bounded channel: `recv_many` takes a batch at once. When the channel
//! is full the subscriber stops reading from the broker (backpressure); keep the time a batch
//! takes well under the keep-alive, or the broker drops the connection (and sends again).

use std::collections::VecDeque;
use std::fmt;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::MutexGuard;
use std::sync::atomic::AtomicBool;
use std::sync::atomic::AtomicU64;
use std::sync::atomic::Ordering;
use std::time::Duration;

use bytes::Bytes;
use rumqttc::AsyncClient;
use rumqttc::ConnectionError;
use rumqttc::Event;
use rumqttc::EventLoop;
use rumqttc::Outgoing;
use rumqttc::Packet;
use rumqttc::QoS;
use rumqttc::SubscribeReasonCode;
use tokio::sync::mpsc;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tracing::debug;
use tracing::error;
use tracing::info;
use tracing::warn;

use crate::endpoint::Backoff;
use crate::endpoint::BrokerUrl;
use crate::endpoint::Credentials;
use crate::endpoint::mqtt_options;
use crate::error::Error;
use crate::error::Result;
use crate::topic;

/// Settings of a [`Subscriber`]. [`SubscriberConfig::new`] gives the defaults.
#[derive(Debug, Clone)]
pub struct SubscriberConfig {
    /// The broker, `mqtt://host:port`.
    pub url: String,
    /// The client id. It names the persistent session: a server that comes back with the same
    /// id gets what it had not acknowledged. Give each server process its own.
    pub client_id: String,
    /// User name and password, if the broker asks for them.
    pub credentials: Option<Credentials>,
    /// The filter, e.g. [`topic::DEVICE_FILTER`]; the device id is the level under its `+`.
    pub filter: String,
    /// The shared-subscription group (`$share/{group}/{filter}`), so that several servers split
    /// the messages; `None` for a plain subscription.
    pub shared_group: Option<String>,
    /// `false` (the default): a persistent session, kept by the broker while disconnected.
    pub clean_session: bool,
    /// Deliveries buffered between the subscriber and the caller (default 4,096).
    pub capacity: usize,
    /// The MQTT keep-alive (default 30 s).
    pub keep_alive: Duration,
    /// Largest packet accepted, in bytes (default 64 KiB).
    pub max_packet_size: usize,
    /// First reconnection delay (default 100 ms).
    pub reconnect_min: Duration,
    /// Longest reconnection delay (default 10 s).
    pub reconnect_max: Duration,
}

impl SubscriberConfig {
    /// Defaults: persistent session, no shared group, no credentials.
    pub fn new(url: impl Into<String>, client_id: impl Into<String>, filter: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            client_id: client_id.into(),
            credentials: None,
            filter: filter.into(),
            shared_group: None,
            clean_session: false,
            capacity: 4096,
            keep_alive: Duration::from_secs(30),
            max_packet_size: 64 * 1024,
            reconnect_min: Duration::from_millis(100),
            reconnect_max: Duration::from_secs(10),
        }
    }

    fn validate(&self) -> Result<BrokerUrl> {
        let url = BrokerUrl::parse(&self.url)?;
        if self.client_id.is_empty() || self.client_id.len() > 256 || self.client_id.contains(['+', '#', '/']) {
            return Err(Error::InvalidConfig(format!("client id {:?}", self.client_id)));
        }
        if !topic::valid_filter(&self.filter) || self.filter.starts_with('$') {
            return Err(Error::InvalidTopic(self.filter.clone()));
        }
        if let Some(g) = self.shared_group.as_deref().filter(|g| g.is_empty() || g.contains(['/', '+', '#'])) {
            return Err(Error::InvalidConfig(format!("shared group {g:?}")));
        }
        if self.capacity == 0 {
            return Err(Error::InvalidConfig("capacity must be at least 1".to_owned()));
        }
        if self.keep_alive < Duration::from_secs(1) {
            return Err(Error::InvalidConfig("keep_alive must be at least 1 s".to_owned()));
        }
        Ok(url)
    }
}

/// One message from the broker.
pub struct Delivery {
    /// The topic it was published on.
    pub topic: String,
    /// The device id read from the topic (the level under the filter's `+`); `None` when the
    /// topic does not have the filter's shape or the level is not a valid device id.
    pub device_id: Option<String>,
    /// The payload, as published.
    pub payload: Bytes,
    /// Whether the broker marked it as sent before (DUP).
    pub redelivered: bool,
    /// Fire it once the message is processed and durable.
    pub ack: Ack,
}

impl fmt::Debug for Delivery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Delivery")
            .field("topic", &self.topic)
            .field("device_id", &self.device_id)
            .field("payload_len", &self.payload.len())
            .field("redelivered", &self.redelivered)
            .finish_non_exhaustive()
    }
}

/// The acknowledgement of one [`Delivery`]. [`Ack::ack`] sends the PUBACK (in order, see the
/// module); dropping it unfired means "processing failed": the subscriber reconnects and the
/// broker delivers it again.
#[must_use = "an Ack dropped without ack() makes the broker deliver the message again"]
pub struct Ack {
    shared: Option<Arc<Shared>>,
    generation: u64,
    seq: u64,
}

impl Ack {
    /// The message is processed: acknowledge it to the broker.
    pub fn ack(mut self) {
        if let Some(shared) = self.shared.take() {
            shared.settle(self.generation, self.seq, true);
        }
    }

    /// An ack that does nothing (for a QoS 0 message, which has none).
    fn none() -> Self {
        Self { shared: None, generation: 0, seq: 0 }
    }
}

impl Drop for Ack {
    fn drop(&mut self) {
        if let Some(shared) = self.shared.take() {
            shared.settle(self.generation, self.seq, false);
        }
    }
}

impl fmt::Debug for Ack {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ack").field("generation", &self.generation).field("seq", &self.seq).finish()
    }
}

/// Acknowledges a batch (in the order given: give them in the order they came).
pub fn ack_all(acks: impl IntoIterator<Item = Ack>) {
    for a in acks {
        a.ack();
    }
}

/// Counters of a subscriber since it started.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SubscriberStats {
    /// Messages received (duplicates included).
    pub received: u64,
    /// PUBACKs written to the connection.
    pub acked: u64,
    /// Acks dropped unfired (processing failed), each leading to a reconnection.
    pub failed: u64,
    /// Connections made (the first included).
    pub connections: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SlotState {
    Pending,
    Done,
    Failed,
}

#[derive(Debug)]
struct Slot {
    seq: u64,
    pkid: u16,
    qos: QoS,
    state: SlotState,
}

/// What the acks and the driver share, under one lock.
#[derive(Debug)]
struct AckState {
    /// The connection the acks in flight belong to; bumped at every connection lost.
    generation: u64,
    next_seq: u64,
    /// The messages of this connection not yet acknowledged to the broker, in arrival order.
    window: VecDeque<Slot>,
    /// A failed message asked for a reconnection, not done yet.
    redeliver: bool,
    /// Acks ready but the client's request queue was full: flush again shortly.
    backlog: bool,
}

struct Shared {
    client: AsyncClient,
    state: Mutex<AckState>,
    closing: AtomicBool,
    received: AtomicU64,
    acked: AtomicU64,
    failed: AtomicU64,
    connections: AtomicU64,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, AckState> {
        // A panic while holding the lock leaves no invariant half-done that matters more than
        // the acks: carry on with the state as it is.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Marks message `seq` of `generation` done (or failed) and sends the PUBACKs that are due.
    fn settle(self: &Arc<Self>, generation: u64, seq: u64, ok: bool) {
        let mut st = self.lock();
        if st.generation != generation {
            return; // a stale ack: its message comes again on the new connection
        }
        let Some(front) = st.window.front().map(|s| s.seq) else { return };
        let Some(idx) = seq.checked_sub(front).and_then(|i| usize::try_from(i).ok()) else { return };
        let Some(slot) = st.window.get_mut(idx) else { return };
        if slot.state != SlotState::Pending {
            return;
        }
        if ok {
            slot.state = SlotState::Done;
            self.flush(&mut st);
        } else {
            slot.state = SlotState::Failed;
            self.failed.fetch_add(1, Ordering::Relaxed);
            if !st.redeliver && !self.closing.load(Ordering::Relaxed) {
                st.redeliver = true;
                // Reconnect: the broker sends the unacknowledged messages again. The DISCONNECT
                // queues behind the acks already handed over, which go out first.
                if self.client.try_disconnect().is_err() && !st.backlog {
                    debug!("the disconnect for a redelivery is queued behind a full request queue; retrying");
                    st.backlog = true;
                    self.retry_later();
                }
            }
        }
    }

    /// Sends the PUBACKs of the done messages at the front of the window; when the client's
    /// request queue is full, one task (and only one: `backlog` says it runs) tries again.
    fn flush(self: &Arc<Self>, st: &mut AckState) {
        if !Self::send_due(&self.client, st) && !st.backlog {
            st.backlog = true;
            self.retry_later();
        }
    }

    /// Sends the PUBACKs of the done messages at the front of the window; `false` if the
    /// client's request queue was full before they all went.
    fn send_due(client: &AsyncClient, st: &mut AckState) -> bool {
        while let Some(front) = st.window.front() {
            if front.state != SlotState::Done {
                break;
            }
            let mut p = rumqttc::Publish::new("", front.qos, Vec::new());
            p.pkid = front.pkid;
            if client.try_ack(&p).is_err() {
                return false;
            }
            st.window.pop_front();
        }
        true
    }

    /// The one task that retries the acks (or the redelivery's disconnect) that met a full
    /// request queue, every millisecond until they went; `backlog` stays set while it runs, so
    /// that nobody starts another.
    fn retry_later(self: &Arc<Self>) {
        let Ok(handle) = tokio::runtime::Handle::try_current() else {
            warn!("acks left unsent: no Tokio runtime to retry them on; they will be redelivered");
            return;
        };
        let shared = Arc::clone(self);
        handle.spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_millis(1)).await;
                let mut st = shared.lock();
                let mut blocked = !Self::send_due(&shared.client, &mut st);
                if st.redeliver && !shared.closing.load(Ordering::Relaxed) && shared.client.try_disconnect().is_err() {
                    blocked = true;
                }
                if !blocked {
                    st.backlog = false;
                    break;
                }
            }
        });
    }
}

/// A running subscriber. Dropping it drops the connection at once (as a crash would: the
/// broker keeps the persistent session); [`Subscriber::shutdown`] disconnects politely.
pub struct Subscriber {
    shared: Arc<Shared>,
    task: Option<JoinHandle<()>>,
    subscribed: watch::Receiver<u64>,
}

impl fmt::Debug for Subscriber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Subscriber").field("stats", &self.stats()).finish_non_exhaustive()
    }
}

impl Subscriber {
    /// Starts the subscriber (on the current Tokio runtime) and returns it with the channel its
    /// deliveries come out of. It does not wait for the broker: it connects, and reconnects,
    /// in the background ([`Subscriber::wait_subscribed`] waits for the subscription).
    pub fn start(config: SubscriberConfig) -> Result<(Self, mpsc::Receiver<Delivery>)> {
        let url = config.validate()?;
        let handle = tokio::runtime::Handle::try_current()
            .map_err(|_| Error::InvalidConfig("Subscriber::start needs a Tokio runtime".to_owned()))?;
        let mut options = mqtt_options(&url, &config.client_id, config.credentials.as_ref(), config.keep_alive, config.max_packet_size);
        options.set_clean_session(config.clean_session);
        options.set_manual_acks(true);
        // The request queue holds our PUBACKs; the broker never has more than its in-flight
        // window unacknowledged, so this is never the bottleneck.
        let (client, eventloop) = AsyncClient::new(options, 65_536);
        let shared = Arc::new(Shared {
            client,
            state: Mutex::new(AckState { generation: 0, next_seq: 0, window: VecDeque::new(), redeliver: false, backlog: false }),
            closing: AtomicBool::new(false),
            received: AtomicU64::new(0),
            acked: AtomicU64::new(0),
            failed: AtomicU64::new(0),
            connections: AtomicU64::new(0),
        });
        let (tx, rx) = mpsc::channel(config.capacity);
        let (sub_tx, sub_rx) = watch::channel(0u64);
        let driver = Driver {
            shared: Arc::clone(&shared),
            eventloop,
            tx,
            subscribed: sub_tx,
            subscription: topic::subscription(&config.filter, config.shared_group.as_deref()),
            filter: config.filter.clone(),
            url: url.to_string(),
            client_id: config.client_id.clone(),
            backoff: Backoff::new(config.reconnect_min, config.reconnect_max),
            redeliver_backoff: Backoff::new(config.reconnect_min, config.reconnect_max),
        };
        let task = handle.spawn(driver.run());
        Ok((Self { shared, task: Some(task), subscribed: sub_rx }, rx))
    }

    /// Waits until the filter is subscribed on the current connection (a SUBACK granting it).
    pub async fn wait_subscribed(&self, timeout: Duration) -> Result<()> {
        let mut rx = self.subscribed.clone();
        let wait = async {
            loop {
                if *rx.borrow_and_update() > 0 {
                    return Ok(());
                }
                if rx.changed().await.is_err() {
                    return Err(Error::Closed);
                }
            }
        };
        match tokio::time::timeout(timeout, wait).await {
            Ok(r) => r,
            Err(_) => Err(Error::Connect(format!("not subscribed within {timeout:?}"))),
        }
    }

    /// Counters since start.
    pub fn stats(&self) -> SubscriberStats {
        SubscriberStats {
            received: self.shared.received.load(Ordering::Relaxed),
            acked: self.shared.acked.load(Ordering::Relaxed),
            failed: self.shared.failed.load(Ordering::Relaxed),
            connections: self.shared.connections.load(Ordering::Relaxed),
        }
    }

    /// Sends DISCONNECT after the acks already given (the broker keeps a persistent session and
    /// what it holds unacknowledged) and waits, at most 2 s, for the connection to close.
    pub async fn shutdown(mut self) {
        self.shared.closing.store(true, Ordering::Relaxed);
        let _ = self.shared.client.try_disconnect();
        let Some(mut task) = self.task.take() else { return };
        if tokio::time::timeout(Duration::from_secs(2), &mut task).await.is_err() {
            task.abort();
        }
    }
}

impl Drop for Subscriber {
    fn drop(&mut self) {
        self.shared.closing.store(true, Ordering::Relaxed);
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

/// The task that polls the connection.
struct Driver {
    shared: Arc<Shared>,
    eventloop: EventLoop,
    tx: mpsc::Sender<Delivery>,
    subscribed: watch::Sender<u64>,
    subscription: String,
    filter: String,
    url: String,
    client_id: String,
    backoff: Backoff,
    /// Delays the reconnection asked for by a failed message, so that a failure that repeats
    /// (the storage down) does not spin; reset by the next ack written.
    redeliver_backoff: Backoff,
}

impl Driver {
    async fn run(mut self) {
        let mut failures: u64 = 0;
        loop {
            match self.eventloop.poll().await {
                Ok(Event::Incoming(Packet::ConnAck(ack))) => {
                    self.shared.connections.fetch_add(1, Ordering::Relaxed);
                    self.backoff.reset();
                    failures = 0;
                    info!(url = %self.url, client_id = %self.client_id, session_present = ack.session_present, "MQTT subscriber connected");
                    if let Err(e) = self.shared.client.try_subscribe(self.subscription.clone(), QoS::AtLeastOnce) {
                        error!(error = %e, "cannot queue the subscription; reconnecting");
                        self.new_connection();
                    }
                }
                Ok(Event::Incoming(Packet::SubAck(ack))) => {
                    if ack.return_codes.iter().any(|c| matches!(c, SubscribeReasonCode::Failure)) {
                        error!(subscription = %self.subscription, client_id = %self.client_id, "the broker refused the subscription (not allowed by its ACL?)");
                    } else {
                        debug!(subscription = %self.subscription, "subscribed");
                        self.subscribed.send_modify(|n| *n += 1);
                    }
                }
                Ok(Event::Incoming(Packet::Publish(p))) => {
                    self.shared.received.fetch_add(1, Ordering::Relaxed);
                    let ack = if p.qos == QoS::AtMostOnce {
                        Ack::none()
                    } else {
                        let mut st = self.shared.lock();
                        let seq = st.next_seq;
                        st.next_seq += 1;
                        st.window.push_back(Slot { seq, pkid: p.pkid, qos: p.qos, state: SlotState::Pending });
                        Ack { shared: Some(Arc::clone(&self.shared)), generation: st.generation, seq }
                    };
                    let topic = p.topic;
                    let device_id = topic::device_of(&self.filter, &topic);
                    let delivery = Delivery { topic, device_id, payload: p.payload, redelivered: p.dup, ack };
                    if self.tx.send(delivery).await.is_err() {
                        // Nobody takes deliveries any more: leave, keeping the session.
                        self.shared.closing.store(true, Ordering::Relaxed);
                        info!(client_id = %self.client_id, "delivery channel closed; MQTT subscriber stops");
                        let _ = self.shared.client.try_disconnect();
                        let _ = tokio::time::timeout(Duration::from_secs(1), self.eventloop.poll()).await;
                        return;
                    }
                }
                Ok(Event::Outgoing(Outgoing::PubAck(_))) => {
                    self.shared.acked.fetch_add(1, Ordering::Relaxed);
                    self.redeliver_backoff.reset();
                }
                Ok(Event::Outgoing(Outgoing::Disconnect)) => {
                    if self.shared.closing.load(Ordering::Relaxed) {
                        // Let the DISCONNECT reach the wire, then stop.
                        let _ = tokio::time::timeout(Duration::from_millis(200), self.eventloop.poll()).await;
                        info!(client_id = %self.client_id, "MQTT subscriber disconnected");
                        return;
                    }
                    let delay = self.redeliver_backoff.next_delay();
                    debug!(client_id = %self.client_id, delay_ms = delay.as_millis() as u64, "reconnecting for the broker to send again what failed");
                    self.new_connection();
                    tokio::time::sleep(delay).await;
                }
                Ok(_) => {}
                Err(e) => {
                    if self.shared.closing.load(Ordering::Relaxed) {
                        return;
                    }
                    self.new_connection();
                    failures += 1;
                    let delay = self.backoff.next_delay();
                    log_connection_error(&e, &self.url, &self.client_id, failures, delay);
                    tokio::time::sleep(delay).await;
                }
            }
        }
    }

    /// Starts afresh: every ack of the old connection becomes stale, and what sat in the request
    /// queue is dropped (under the ack lock, so that no ack slips in between).
    fn new_connection(&mut self) {
        let mut st = self.shared.lock();
        st.generation += 1;
        st.window.clear();
        st.redeliver = false;
        self.eventloop.clean();
        // `clean` keeps requests other than acks (a subscription, a disconnect) for the next
        // connection; a stale DISCONNECT would end the new one at once.
        self.eventloop.pending.retain(|r| !matches!(r, rumqttc::Request::Disconnect(_) | rumqttc::Request::Subscribe(_)));
        drop(st);
        self.subscribed.send_replace(0);
    }
}

fn log_connection_error(e: &ConnectionError, url: &str, client_id: &str, failures: u64, delay: Duration) {
    // rumqttc's errors carry no credentials.
    if failures == 1 {
        warn!(%url, %client_id, error = %e, retry_in_ms = delay.as_millis() as u64, "MQTT connection lost or refused; reconnecting");
    } else {
        debug!(%url, %client_id, error = %e, failures, retry_in_ms = delay.as_millis() as u64, "MQTT reconnection failed");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Acks that meet a full request queue are retried by one task however long it stays full
    /// (each retry used to start another task: millions of them, gigabytes, under 50,000 readings
    /// a second).
    #[tokio::test(flavor = "current_thread")]
    async fn acks_meeting_a_full_request_queue_are_retried_by_one_task() {
        // Nobody polls the event loop: the request queue (one place) stays full.
        let (client, _eventloop) = AsyncClient::new(rumqttc::MqttOptions::new("t", "127.0.0.1", 1), 1);
        let shared = Arc::new(Shared {
            client,
            state: Mutex::new(AckState { generation: 0, next_seq: 10, window: VecDeque::new(), redeliver: false, backlog: false }),
            closing: AtomicBool::new(false),
            received: AtomicU64::new(0),
            acked: AtomicU64::new(0),
            failed: AtomicU64::new(0),
            connections: AtomicU64::new(0),
        });
        shared.lock().window.extend((0..10).map(|seq| Slot { seq, pkid: u16::try_from(seq + 1).unwrap_or(1), qos: QoS::AtLeastOnce, state: SlotState::Pending }));
        let metrics = tokio::runtime::Handle::current().metrics();
        let before = metrics.num_alive_tasks();
        for seq in 0..10 {
            shared.settle(0, seq, true);
        }
        tokio::time::sleep(Duration::from_millis(30)).await;
        let st = shared.lock();
        assert_eq!(st.window.len(), 9, "the first ack took the queue's one place");
        assert!(st.backlog, "a retry is under way");
        drop(st);
        assert_eq!(metrics.num_alive_tasks() - before, 1, "one task retries");
    }
}
