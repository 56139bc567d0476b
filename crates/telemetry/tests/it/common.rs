//! Helpers shared by the tests: unique names, free ports, collecting deliveries.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::net::TcpListener;
use std::sync::atomic::AtomicU64;
use std::sync::atomic::Ordering;
use std::time::Duration;
use std::time::Instant;
use std::time::SystemTime;

use telemetry::Delivery;
use tokio::sync::mpsc;

/// How long a test waits for something that should come.
pub const WAIT: Duration = Duration::from_secs(10);

/// A name no other test, nor an earlier run against the same broker, has used.
pub fn unique(what: &str) -> String {
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    format!("{what}-{}-{:x}-{}", std::process::id(), nanos % 0xffff_ffff, N.fetch_add(1, Ordering::Relaxed))
}

/// A port free on loopback a moment ago.
pub fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    l.local_addr().expect("its address").port()
}

/// Loopback on port 0: the broker picks.
pub fn any_port() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

/// Receives deliveries until `done` says so or `within` passes; returns what came.
pub async fn collect(rx: &mut mpsc::Receiver<Delivery>, within: Duration, mut done: impl FnMut(&[Delivery]) -> bool) -> Vec<Delivery> {
    let deadline = Instant::now() + within;
    let mut got = Vec::new();
    while !done(&got) {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, rx.recv()).await {
            Ok(Some(d)) => got.push(d),
            Ok(None) | Err(_) => break,
        }
    }
    got
}

/// The payloads of some deliveries, as text.
pub fn payloads(ds: &[Delivery]) -> BTreeSet<String> {
    ds.iter().map(|d| String::from_utf8_lossy(&d.payload).into_owned()).collect()
}

/// The MQTT broker of the gated tests, if any.
pub fn mqtt_url() -> Option<String> {
    std::env::var("MINSHENG_TEST_MQTT").ok().filter(|v| !v.is_empty() && v != "0")
}
