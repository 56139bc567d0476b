//! The embedded MQTT broker (rumqttd, in-process) that lets `minsheng demo` run with nothing else.
//!
//! What rumqttd 0.20 does and does not do, found by reading its source and by this crate's tests:
//!
//! - **Authentication**: yes, per connection, by a handler of (client id, user name, password);
//!   a refused client is disconnected without a CONNACK. [`EmbeddedConfig::auth`] is that handler.
//!   It runs on the broker's I/O thread: keep it cheap (a map look-up, not a password hash).
//! - **Topic ACLs**: no. Any client that is let in may publish on any topic and subscribe to any
//!   filter. This crate therefore reads each connection's packets through a protocol of its own
//!   (`Acl`, rumqttd's MQTT 3.1.1 codec underneath) that, when [`EmbeddedConfig::publish_acl`] is
//!   set, remembers the user name of the CONNECT and ends the connection at the first PUBLISH on a
//!   topic that user may not write (the guardian: only the device's own topic; found by the
//!   independent paho-mqtt check, `tools/mqtt-check`, where one wearable's SOS on another's topic
//!   raised an alarm for the other elder). Subscriptions are not checked. Mosquitto enforces the
//!   same rule with its ACL file ([`crate::mosquitto`]). Publishing on a topic that no log holds
//!   disconnects the publisher unless [`EmbeddedConfig::dynamic_filters`] is on (see there).
//! - **QoS 1**: yes. A publisher's PUBACK is sent once the message is in the broker's in-memory
//!   log. Towards a subscriber rumqttd keeps at most 100 messages in flight (a constant of
//!   rumqttd) and takes PUBACKs only in the order it sent the messages: an ack out of order
//!   disconnects the subscriber ([`crate::Subscriber`] always acks in order).
//! - **Persistent sessions**: in memory only. A client with `clean_session = false` that
//!   disconnects keeps its subscriptions, and its unacknowledged messages are sent again when it
//!   comes back; messages published meanwhile wait in the log. Nothing is on disk: a restart of
//!   the process loses every session and message, and the log is a ring
//!   ([`EmbeddedConfig::log_segment_bytes`] × [`EmbeddedConfig::log_segments`]): a subscriber
//!   away for longer than the ring holds misses the oldest messages.
//! - **Shared subscriptions** (`$share/group/filter`): yes, round robin (or random, or sticky)
//!   among the group's connected members. Beware: when the last member of a group leaves with
//!   messages unacknowledged and a persistent session, rumqttd 0.20 panics its router (an
//!   `expect("group must exists")` in `handle_disconnection`), which stops the whole broker. So
//!   with the embedded broker, the one server of the demo subscribes **without** a shared group
//!   (`shared_group: None`); shared subscriptions over several servers are for Mosquitto.
//! - **Stopping**: rumqttd's own `Broker::start` never returns and cannot be stopped. This crate
//!   therefore runs rumqttd's router and one v4 (MQTT 3.1.1) `Server` itself: [`EmbeddedBroker::stop`]
//!   (or dropping it) closes the listener and every connection by dropping the runtime they run
//!   on. The router's thread cannot be stopped (it keeps a sender to its own queue, so the queue
//!   never closes): it stays parked on that queue, holding its in-memory log, until the process
//!   exits. Harmless for the demo and for tests (each test its own broker on its own port), but
//!   do not start brokers in a loop.
//!
//! rumqttd logs ordinary disconnections at ERROR level under the `rumqttd` target; a server
//! running the embedded broker may want `rumqttd=off` or `rumqttd=warn` in its log filter
//! (it logs neither passwords nor payloads).

use std::fmt;
use std::net::SocketAddr;
use std::net::TcpListener;
use std::net::TcpStream;
use std::sync::Arc;
use std::thread;
use std::time::Duration;
use std::time::Instant;

use tokio::sync::oneshot;
use tracing::info;
use tracing::warn;

use crate::error::Error;
use crate::error::Result;
use crate::topic;

/// Decides whether a client may connect: `(client_id, username, password) -> allowed`.
pub type AuthFn = Arc<dyn Fn(&str, &str, &str) -> bool + Send + Sync>;

/// Decides whether a signed-in client may publish on a topic: `(username, topic) -> allowed`.
pub type PublishAclFn = Arc<dyn Fn(&str, &str) -> bool + Send + Sync>;

/// How shared subscriptions hand out messages among a group's members.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ShareStrategy {
    /// One message to each member in turn.
    #[default]
    RoundRobin,
    /// Each batch to a member picked at random.
    Random,
    /// Everything to one member while it is connected.
    Sticky,
}

/// Settings of the embedded broker. [`EmbeddedConfig::new`] gives sane defaults.
#[derive(Clone)]
pub struct EmbeddedConfig {
    /// Where to listen. Port 0 picks a free port (see [`EmbeddedBroker::local_addr`]).
    pub listen: SocketAddr,
    /// Who may connect; `None` lets anyone in, without credentials.
    pub auth: Option<AuthFn>,
    /// Where a client that signed in with a user name may publish; a PUBLISH elsewhere ends its
    /// connection (unacknowledged). `None`: anywhere. Clients without a user name are not checked
    /// (with `auth` set, none gets in).
    pub publish_acl: Option<PublishAclFn>,
    /// Most clients connected at once (default 110,000: 100,000 devices and room to spare).
    pub max_connections: usize,
    /// Largest PUBLISH payload accepted, in bytes (default 16 KiB; a reading is ~150 bytes).
    pub max_payload_size: usize,
    /// Packets read from one connection before the router gets them (rumqttd's
    /// `max_inflight_count`; default 500).
    pub max_read_batch: usize,
    /// How long a new connection may take to send CONNECT (default 10 s).
    pub connect_timeout: Duration,
    /// Filters whose logs exist from the start (default: [`topic::DEVICE_FILTER`] and
    /// [`topic::PARKING_FILTER`]), so that
    /// readings published before the server subscribes are accepted (and kept in the ring).
    pub filters: Vec<String>,
    /// Whether a PUBLISH on a topic that no log or subscription matches creates a log for that
    /// exact topic (true) or disconnects the publisher (false, the default: bounded memory, and
    /// devices can only publish on the guardian's topics).
    pub dynamic_filters: bool,
    /// How a shared subscription's messages are split.
    pub share_strategy: ShareStrategy,
    /// Size of one segment of a filter's in-memory log (default 16 MiB).
    pub log_segment_bytes: usize,
    /// Segments kept per filter (default 16: 256 MiB, ~1.3 million readings of ~200 bytes).
    pub log_segments: usize,
    /// Threads of the runtime that serves the connections (default 1, as rumqttd itself does;
    /// the router has a thread of its own besides).
    pub io_threads: usize,
}

impl EmbeddedConfig {
    /// Defaults for listening on `listen`.
    pub fn new(listen: SocketAddr) -> Self {
        Self {
            listen,
            auth: None,
            publish_acl: None,
            max_connections: 110_000,
            max_payload_size: 16 * 1024,
            max_read_batch: 500,
            connect_timeout: Duration::from_secs(10),
            filters: vec![topic::DEVICE_FILTER.to_owned(), topic::PARKING_FILTER.to_owned()],
            dynamic_filters: false,
            share_strategy: ShareStrategy::RoundRobin,
            log_segment_bytes: 16 * 1024 * 1024,
            log_segments: 16,
            io_threads: 1,
        }
    }

    fn validate(&self) -> Result<()> {
        let bad = |m: &str| Err(Error::InvalidConfig(m.to_owned()));
        if self.max_connections == 0 {
            return bad("max_connections must be at least 1");
        }
        if self.max_payload_size < 128 {
            return bad("max_payload_size must be at least 128 bytes");
        }
        if self.max_read_batch == 0 {
            return bad("max_read_batch must be at least 1");
        }
        if self.log_segment_bytes < 1024 || self.log_segments == 0 {
            // rumqttd panics on segments smaller than 1 KiB.
            return bad("log_segment_bytes must be at least 1024 and log_segments at least 1");
        }
        if self.io_threads == 0 {
            return bad("io_threads must be at least 1");
        }
        if self.connect_timeout.is_zero() || self.connect_timeout > Duration::from_millis(u64::from(u16::MAX)) {
            return bad("connect_timeout must be between 1 ms and 65 s");
        }
        if let Some(f) = self.filters.iter().find(|f| !topic::valid_filter(f) || f.starts_with('$')) {
            return Err(Error::InvalidTopic(f.clone()));
        }
        Ok(())
    }

    fn rumqttd(&self, listen: SocketAddr) -> (rumqttd::RouterConfig, rumqttd::ServerSettings) {
        let router = rumqttd::RouterConfig {
            max_connections: self.max_connections,
            max_outgoing_packet_count: 200,
            max_segment_size: self.log_segment_bytes,
            max_segment_count: self.log_segments,
            custom_segment: None,
            initialized_filters: Some(self.filters.clone()),
            shared_subscriptions_strategy: match self.share_strategy {
                ShareStrategy::RoundRobin => rumqttd::Strategy::RoundRobin,
                ShareStrategy::Random => rumqttd::Strategy::Random,
                ShareStrategy::Sticky => rumqttd::Strategy::Sticky,
            },
        };
        let connect_ms = u16::try_from(self.connect_timeout.as_millis()).unwrap_or(u16::MAX);
        let mut connections = rumqttd::ConnectionSettings {
            connection_timeout_ms: connect_ms,
            max_payload_size: self.max_payload_size,
            max_inflight_count: self.max_read_batch,
            auth: None,
            external_auth: None,
            dynamic_filters: self.dynamic_filters,
        };
        if let Some(auth) = self.auth.clone() {
            connections.set_auth_handler(move |client_id: String, user: String, pass: String| {
                std::future::ready(auth(&client_id, &user, &pass))
            });
        }
        let server = rumqttd::ServerSettings {
            name: "minsheng-embedded-v4".to_owned(),
            listen,
            tls: None,
            next_connection_delay_ms: 0,
            connections,
        };
        (router, server)
    }
}

impl fmt::Debug for EmbeddedConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmbeddedConfig")
            .field("listen", &self.listen)
            .field("auth", &self.auth.is_some())
            .field("publish_acl", &self.publish_acl.is_some())
            .field("max_connections", &self.max_connections)
            .field("max_payload_size", &self.max_payload_size)
            .field("filters", &self.filters)
            .field("dynamic_filters", &self.dynamic_filters)
            .field("share_strategy", &self.share_strategy)
            .field("log_segment_bytes", &self.log_segment_bytes)
            .field("log_segments", &self.log_segments)
            .field("io_threads", &self.io_threads)
            .finish_non_exhaustive()
    }
}

/// A running embedded broker. Stops (closes its listener and connections) when dropped.
#[derive(Debug)]
pub struct EmbeddedBroker {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<thread::JoinHandle<()>>,
}

impl EmbeddedBroker {
    /// Starts the broker; when this returns, its port accepts connections. Fails if the address
    /// is taken or the listener is not up within 10 seconds.
    pub async fn start(config: EmbeddedConfig) -> Result<Self> {
        config.validate()?;
        let requested = config.listen;
        // Bind once ourselves: this finds a free port for port 0, and tells "address in use"
        // apart from a slow start (rumqttd's server thread would only log it).
        let addr = TcpListener::bind(requested)
            .and_then(|l| l.local_addr())
            .map_err(|e| Error::BrokerStart { addr: requested, reason: e.to_string() })?;
        let (router_config, server_settings) = config.rumqttd(addr);
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        let threads = config.io_threads;
        let protocol = Acl { v4: rumqttd::protocol::v4::V4, rule: config.publish_acl.clone(), user: None };
        let thread = thread::Builder::new()
            .name("mqtt-broker".to_owned())
            .spawn(move || serve(router_config, server_settings, protocol, threads, stop_rx))
            .map_err(|e| Error::BrokerStart { addr, reason: e.to_string() })?;
        let mut broker = Self { addr, stop: Some(stop_tx), thread: Some(thread) };
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            // A bare TCP connection that closes at once: rumqttd logs it as a failed CONNECT.
            let probe = addr;
            let up = tokio::task::spawn_blocking(move || TcpStream::connect_timeout(&probe, Duration::from_millis(200)).is_ok())
                .await
                .unwrap_or(false);
            if up {
                break;
            }
            if broker.thread.as_ref().is_some_and(|t| t.is_finished()) || Instant::now() > deadline {
                broker.shutdown();
                return Err(Error::BrokerStart { addr, reason: "the listener did not come up".to_owned() });
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        info!(%addr, max_connections = config.max_connections, auth = config.auth.is_some(), "embedded MQTT broker listening");
        Ok(broker)
    }

    /// The address it listens on (with the port picked when 0 was asked for).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// `mqtt://host:port` for clients on this machine (an unspecified listen address becomes
    /// loopback).
    pub fn url(&self) -> String {
        let ip = if self.addr.ip().is_unspecified() {
            match self.addr {
                SocketAddr::V4(_) => "127.0.0.1".to_owned(),
                SocketAddr::V6(_) => "[::1]".to_owned(),
            }
        } else if self.addr.is_ipv6() {
            format!("[{}]", self.addr.ip())
        } else {
            self.addr.ip().to_string()
        };
        format!("mqtt://{ip}:{}", self.addr.port())
    }

    /// Closes the listener and every connection, and waits for them to close. The router's
    /// thread stays parked until the process exits (see the module's documentation).
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            if thread.join().is_err() {
                warn!(addr = %self.addr, "the embedded broker's thread panicked");
            }
            info!(addr = %self.addr, "embedded MQTT broker stopped");
        }
    }
}

impl Drop for EmbeddedBroker {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// The broker's thread: starts rumqttd's router (a thread of its own) and serves MQTT 3.1.1 on a
/// runtime of its own until told to stop; dropping the runtime closes every connection.
fn serve(router_config: rumqttd::RouterConfig, settings: rumqttd::ServerSettings, protocol: Acl, threads: usize, stop: oneshot::Receiver<()>) {
    let listen = settings.listen;
    let runtime = if threads == 1 {
        tokio::runtime::Builder::new_current_thread().enable_all().build()
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads)
            .thread_name("mqtt-broker-io")
            .enable_all()
            .build()
    };
    let runtime = match runtime {
        Ok(r) => r,
        Err(e) => {
            warn!(%listen, error = %e, "the embedded broker's runtime did not start");
            return;
        }
    };
    let router_tx = rumqttd::Router::new(0, router_config).spawn();
    let mut server = rumqttd::Server::new(settings, router_tx, protocol);
    runtime.block_on(async move {
        tokio::select! {
            r = server.start(rumqttd::LinkType::Remote) => {
                if let Err(e) = r {
                    warn!(%listen, error = %e, "the embedded broker stopped listening");
                }
            }
            _ = stop => {}
        }
    });
    runtime.shutdown_timeout(Duration::from_secs(1));
}

/// MQTT 3.1.1 (rumqttd's codec) with the publish rule on top: each connection reads through a
/// copy of its own, which keeps the user name its CONNECT gave and refuses a PUBLISH the rule does
/// not allow with a protocol error, on which rumqttd closes the connection without a PUBACK.
#[derive(Clone)]
struct Acl {
    v4: rumqttd::protocol::v4::V4,
    rule: Option<PublishAclFn>,
    user: Option<String>,
}

impl rumqttd::protocol::Protocol for Acl {
    fn read_mut(&mut self, stream: &mut bytes::BytesMut, max_size: usize) -> std::result::Result<rumqttd::protocol::Packet, rumqttd::protocol::Error> {
        let packet = self.v4.read_mut(stream, max_size)?;
        if let Some(rule) = &self.rule {
            match &packet {
                rumqttd::protocol::Packet::Connect(_, _, _, _, login) => self.user = login.as_ref().map(|l| l.username.clone()),
                rumqttd::protocol::Packet::Publish(p, _) => {
                    if let Some(user) = &self.user {
                        let topic = String::from_utf8_lossy(&p.topic);
                        if !rule(user, &topic) {
                            warn!(user = %user, topic = %topic, "embedded MQTT broker: a PUBLISH on a topic this client may not write; its connection is closed");
                            return Err(rumqttd::protocol::Error::InvalidProtocol);
                        }
                    }
                }
                _ => {}
            }
        }
        Ok(packet)
    }

    fn write(&self, packet: rumqttd::protocol::Packet, write: &mut bytes::BytesMut) -> std::result::Result<usize, rumqttd::protocol::Error> {
        self.v4.write(packet, write)
    }
}
