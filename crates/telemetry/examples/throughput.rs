//! A short throughput check of the MQTT path (not a timed test): N publisher connections send
//! QoS 1 readings of ~150 bytes for simulated devices, one subscriber receives them in batches
//! and acknowledges each, and the rates are printed.
//!
//! ```text
//! cargo run --release -p telemetry --example throughput -- embedded [messages] [connections] [inflight]
//! cargo run --release -p telemetry --example throughput -- mosquitto [messages] [connections] [inflight]
//! cargo run --release -p telemetry --example throughput -- mqtt://127.0.0.1:1883 [messages] [connections] [inflight]
//! ```
//!
//! `embedded` starts the embedded broker in this process; `mosquitto` starts a private
//! Mosquitto on a free loopback port from this crate's generated files (password file, ACL,
//! `mosquitto.conf` with persistence); a URL uses that broker as it is, anonymously. Defaults:
//! 200,000 messages, 4 connections, 1,000 in flight per connection.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use std::time::Instant;

use telemetry::Credentials;
use telemetry::EmbeddedBroker;
use telemetry::EmbeddedConfig;
use telemetry::Publisher;
use telemetry::Subscriber;
use telemetry::SubscriberConfig;
use telemetry::mosquitto::Acl;
use telemetry::mosquitto::LocalBroker;
use telemetry::mosquitto::PasswordFile;
use telemetry::topic;

const DEVICES: usize = 100_000;

/// Where the run's broker is, and what keeps it alive.
enum Broker {
    Embedded(EmbeddedBroker),
    Private(LocalBroker, tempfile::TempDir),
    External,
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let which = args.first().cloned().unwrap_or_else(|| "embedded".to_owned());
    let messages: usize = args.get(1).map(|s| s.parse()).transpose()?.unwrap_or(200_000);
    let connections: usize = args.get(2).map(|s| s.parse()).transpose()?.unwrap_or(4).max(1);
    let inflight: u16 = args.get(3).map(|s| s.parse()).transpose()?.unwrap_or(1000).max(1);

    let (url, broker, server_creds, gateway_creds) = match which.as_str() {
        "embedded" => {
            let b = EmbeddedBroker::start(EmbeddedConfig::new(SocketAddr::from(([127, 0, 0, 1], 0)))).await?;
            (b.url(), Broker::Embedded(b), None, Vec::new())
        }
        "mosquitto" => private_mosquitto(connections)?,
        url => (url.to_owned(), Broker::External, None, Vec::new()),
    };
    let label = match &broker {
        Broker::Embedded(_) => "embedded rumqttd",
        Broker::Private(..) => "private Mosquitto (generated conf, persistence on)",
        Broker::External => "external broker",
    };

    let id = format!("bench-server-{}", std::process::id());
    let mut config = SubscriberConfig::new(url.clone(), id.clone(), topic::DEVICE_FILTER);
    config.credentials = server_creds.clone();
    let (sub, mut rx) = Subscriber::start(config)?;
    sub.wait_subscribed(Duration::from_secs(10)).await?;

    let mut publishers = Vec::new();
    for c in 0..connections {
        let creds = gateway_creds.get(c).cloned();
        publishers.push(Arc::new(Publisher::connect(&url, &format!("bench-gw-{c}-{}", std::process::id()), creds, inflight).await?));
    }
    let payload_of = |i: usize| {
        let body = format!(
            r#"{{"seq":{i},"ts":"2026-12-07T03:00:00.000Z","kind":"wearable","hr":72,"temp_c":36.6,"lat":30.0493,"lon":119.9602,"fall":false,"sos":false,"battery":87}}"#
        );
        bytes::Bytes::from(body)
    };
    let topics: Arc<Vec<String>> = Arc::new((0..DEVICES).map(|d| topic::device_topic(&format!("dev-{d:06}"))).collect());
    let size = payload_of(messages).len();

    let started = Instant::now();
    let mut tasks = Vec::new();
    for (c, p) in publishers.iter().enumerate() {
        let p = Arc::clone(p);
        let topics = Arc::clone(&topics);
        tasks.push(tokio::spawn(async move {
            let mut i = c;
            while i < messages {
                if p.send(&topics[i % DEVICES], payload_of(i)).await.is_err() {
                    break;
                }
                i += connections;
            }
            p.flush().await;
        }));
    }
    let receiving = tokio::spawn(async move {
        let mut batch = Vec::with_capacity(1024);
        let mut received = 0usize;
        while received < messages {
            batch.clear();
            match tokio::time::timeout(Duration::from_secs(10), rx.recv_many(&mut batch, 1024)).await {
                Ok(0) | Err(_) => break,
                Ok(n) => received += n,
            }
            telemetry::ack_all(batch.drain(..).map(|d| d.ack));
        }
        (received, Instant::now())
    });
    for t in tasks {
        t.await?;
    }
    let published = started.elapsed();
    let (received, last) = receiving.await?;
    let end_to_end = last.duration_since(started);

    let mut acked = 0;
    let mut lost = 0;
    let mut p99 = 0;
    for p in &publishers {
        let s = p.stats();
        acked += s.acked;
        lost += s.lost;
        p99 = p99.max(s.latency.p99_us);
    }
    println!("broker: {label} at {url}");
    println!("{messages} QoS 1 messages of {size} bytes over {connections} connections ({inflight} in flight each), {DEVICES} device topics");
    println!(
        "published and PUBACKed: {acked} in {:.2} s = {:.0} messages/s (lost {lost}; ack p99 <= {:.1} ms)",
        published.as_secs_f64(),
        acked as f64 / published.as_secs_f64(),
        p99 as f64 / 1000.0
    );
    println!(
        "received and acknowledged by one subscriber: {received} in {:.2} s = {:.0} messages/s",
        end_to_end.as_secs_f64(),
        received as f64 / end_to_end.as_secs_f64()
    );
    sub.shutdown().await;
    // Leave no session behind on a shared broker.
    let mut config = SubscriberConfig::new(url.clone(), id, topic::DEVICE_FILTER);
    config.clean_session = true;
    config.credentials = server_creds;
    let (s, _rx) = Subscriber::start(config)?;
    let _ = s.wait_subscribed(Duration::from_secs(5)).await;
    s.shutdown().await;
    match broker {
        Broker::Embedded(b) => b.stop(),
        // Dropping the broker kills it, before its directory goes.
        Broker::Private(broker, dir) => {
            drop(broker);
            drop(dir);
        }
        Broker::External => {}
    }
    Ok(())
}

type Setup = (String, Broker, Option<Credentials>, Vec<Credentials>);

/// A Mosquitto on a free loopback port with a server account and one load-generator account per
/// connection (each allowed every device topic: a gateway's one ACL line per device would make
/// Mosquitto's check of each publish as long as its list).
fn private_mosquitto(connections: usize) -> Result<Setup, Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let mut passwords = PasswordFile::new();
    let mut acl = Acl::new();
    passwords.add("bench-server", "server-pw")?;
    acl.server("bench-server")?;
    let mut gateways = Vec::new();
    for c in 0..connections {
        let user = format!("gw-{c}");
        let password = telemetry::mosquitto::generate_password();
        passwords.add(&user, &password)?;
        acl.simulator(&user)?;
        gateways.push(Credentials::new(user, password));
    }
    let pw = dir.path().join("passwords");
    let acl_path = dir.path().join("acl");
    passwords.write(&pw)?;
    acl.write(&acl_path)?;
    let broker = LocalBroker::start(dir.path(), &pw, &acl_path)?;
    Ok((broker.url(), Broker::Private(broker, dir), Some(Credentials::new("bench-server", "server-pw")), gateways))
}
