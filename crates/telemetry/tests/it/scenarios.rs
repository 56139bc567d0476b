//! The durability and load-sharing scenarios, run against the embedded broker and Mosquitto.

use std::time::Duration;

use telemetry::Publisher;
use telemetry::Subscriber;
use telemetry::SubscriberConfig;

use crate::common::WAIT;
use crate::common::collect;
use crate::common::payloads;
use crate::common::unique;

/// Where a scenario publishes: `{prefix}/{device}/up`, read through `{prefix}/+/up`.
#[derive(Debug, Clone)]
pub struct Place {
    pub url: String,
    pub prefix: String,
}

impl Place {
    pub fn filter(&self) -> String {
        format!("{}/+/up", self.prefix)
    }

    pub fn topic(&self, device: &str) -> String {
        format!("{}/{device}/up", self.prefix)
    }

    pub fn subscriber(&self, client_id: &str) -> SubscriberConfig {
        SubscriberConfig::new(self.url.clone(), client_id, self.filter())
    }

    /// Ends a persistent session for good, so a shared broker does not keep it.
    pub async fn forget(&self, client_id: &str) {
        let mut c = self.subscriber(client_id);
        c.clean_session = true;
        if let Ok((s, _rx)) = Subscriber::start(c) {
            let _ = s.wait_subscribed(WAIT).await;
            s.shutdown().await;
        }
    }
}

/// Published at QoS 1 → received with its device id → acknowledged → not sent again to the
/// same session after a reconnection.
pub async fn publish_receive_ack(place: &Place) {
    let id = unique("sub");
    let (sub, mut rx) = Subscriber::start(place.subscriber(&id)).expect("subscriber starts");
    sub.wait_subscribed(WAIT).await.expect("subscribed");
    let publisher = Publisher::connect(&place.url, &unique("pub"), None, 10).await.expect("publisher connects");
    publisher.publish(&place.topic("wear-1"), &b"reading 1"[..]).await.expect("the broker acknowledges");
    let got = collect(&mut rx, WAIT, |g| !g.is_empty()).await;
    assert_eq!(got.len(), 1, "one delivery");
    let mut got = got.into_iter();
    let Some(d) = got.next() else { return };
    assert_eq!(d.topic, place.topic("wear-1"));
    assert_eq!(d.device_id.as_deref(), Some("wear-1"));
    assert_eq!(&d.payload[..], b"reading 1");
    d.ack.ack();
    let stats = publisher.stats();
    assert_eq!((stats.sent, stats.acked, stats.lost), (1, 1, 0));
    publisher.disconnect().await;
    // The PUBACK is on the wire once the subscriber counts it; then leave politely.
    wait_for(|| sub.stats().acked == 1).await;
    sub.shutdown().await;
    let (sub, mut rx) = Subscriber::start(place.subscriber(&id)).expect("subscriber restarts");
    sub.wait_subscribed(WAIT).await.expect("subscribed again");
    let again = collect(&mut rx, Duration::from_millis(700), |_| false).await;
    assert!(again.is_empty(), "an acknowledged message came again: {:?}", payloads(&again));
    drop(sub);
    place.forget(&id).await;
}

/// What the server had not acknowledged when it died comes to its next session (same client
/// id, persistent session), and what it had acknowledged does not.
pub async fn unacked_is_redelivered(place: &Place) {
    let id = unique("sub");
    let (sub, mut rx) = Subscriber::start(place.subscriber(&id)).expect("subscriber starts");
    sub.wait_subscribed(WAIT).await.expect("subscribed");
    let publisher = Publisher::connect(&place.url, &unique("pub"), None, 10).await.expect("publisher connects");
    for i in 1..=3 {
        publisher.publish(&place.topic("pir-7"), format!("m{i}")).await.expect("acknowledged");
    }
    let got = collect(&mut rx, WAIT, |g| g.len() == 3).await;
    assert_eq!(payloads(&got), ["m1", "m2", "m3"].map(String::from).into());
    let mut held = Vec::new();
    for d in got {
        if &d.payload[..] == b"m1" {
            d.ack.ack();
        } else {
            held.push(d.ack);
        }
    }
    wait_for(|| sub.stats().acked == 1).await;
    // The server dies with m2 and m3 processed but not acknowledged.
    drop(sub);
    drop(held);
    // And a reading comes while it is away.
    publisher.publish(&place.topic("pir-7"), "m4").await.expect("acknowledged");
    let (sub, mut rx) = Subscriber::start(place.subscriber(&id)).expect("subscriber restarts");
    let again = collect(&mut rx, WAIT, |g| payloads(g).len() == 3).await;
    let extra = collect(&mut rx, Duration::from_millis(500), |_| false).await;
    let all: Vec<_> = again.iter().chain(&extra).collect();
    let seen: std::collections::BTreeSet<String> = all.iter().map(|d| String::from_utf8_lossy(&d.payload).into_owned()).collect();
    assert_eq!(seen, ["m2", "m3", "m4"].map(String::from).into(), "m1 was acknowledged, the rest was not");
    for d in again.into_iter().chain(extra) {
        d.ack.ack();
    }
    publisher.disconnect().await;
    sub.shutdown().await;
    place.forget(&id).await;
}

/// A delivery whose processing failed (its Ack dropped) comes again on the same subscriber,
/// which reconnects for it.
pub async fn a_failed_delivery_comes_again(place: &Place) {
    let id = unique("sub");
    let (sub, mut rx) = Subscriber::start(place.subscriber(&id)).expect("subscriber starts");
    sub.wait_subscribed(WAIT).await.expect("subscribed");
    let publisher = Publisher::connect(&place.url, &unique("pub"), None, 10).await.expect("publisher connects");
    publisher.publish(&place.topic("door-3"), "open").await.expect("acknowledged");
    let first = collect(&mut rx, WAIT, |g| !g.is_empty()).await;
    assert_eq!(payloads(&first), ["open".to_owned()].into());
    drop(first); // processing failed
    let second = collect(&mut rx, WAIT, |g| !g.is_empty()).await;
    assert_eq!(payloads(&second), ["open".to_owned()].into(), "the failed message came again");
    for d in second {
        d.ack.ack();
    }
    let stats = sub.stats();
    assert_eq!(stats.failed, 1);
    assert!(stats.connections >= 2, "{stats:?}");
    publisher.disconnect().await;
    sub.shutdown().await;
    place.forget(&id).await;
}

/// Two subscribers in one shared group split the messages: each message to exactly one.
pub async fn a_shared_group_splits_the_messages(place: &Place) {
    let group = unique("grp");
    let ids = [unique("sub-a"), unique("sub-b")];
    let mut subs = Vec::new();
    let mut rxs = Vec::new();
    for id in &ids {
        let mut c = place.subscriber(id);
        c.shared_group = Some(group.clone());
        let (s, rx) = Subscriber::start(c).expect("subscriber starts");
        s.wait_subscribed(WAIT).await.expect("subscribed");
        subs.push(s);
        rxs.push(rx);
    }
    let publisher = Publisher::connect(&place.url, &unique("pub"), None, 100).await.expect("publisher connects");
    let n = 200;
    for i in 0..n {
        publisher.send(&place.topic(&format!("dev-{}", i % 10)), format!("r{i}")).await.expect("queued");
    }
    publisher.flush().await;
    assert_eq!(publisher.stats().acked, n);
    // Acknowledge each as it comes, as the server does.
    let (mut a, mut b) = (Vec::new(), Vec::new());
    let deadline = std::time::Instant::now() + WAIT;
    while a.len() + b.len() < n as usize && std::time::Instant::now() < deadline {
        let [ra, rb] = &mut rxs[..] else { return };
        tokio::select! {
            Some(d) = ra.recv() => a.push(take(d)),
            Some(d) = rb.recv() => b.push(take(d)),
            _ = tokio::time::sleep(Duration::from_millis(100)) => {}
        }
    }
    let mut late = Vec::new();
    for rx in &mut rxs {
        late.extend(collect(rx, Duration::from_millis(300), |_| false).await);
    }
    let pa: std::collections::BTreeSet<&String> = a.iter().collect();
    let pb: std::collections::BTreeSet<&String> = b.iter().collect();
    assert_eq!(pa.len(), a.len(), "a duplicate in one subscriber");
    assert_eq!(pb.len(), b.len(), "a duplicate in the other");
    assert!(pa.is_disjoint(&pb), "a message went to both");
    assert_eq!(pa.len() + pb.len(), n as usize, "every message arrived");
    assert!(late.is_empty(), "more messages than were sent");
    assert!(!pa.is_empty() && !pb.is_empty(), "both got some: {} and {}", pa.len(), pb.len());
    publisher.disconnect().await;
    for s in subs {
        s.shutdown().await;
    }
    for id in &ids {
        place.forget(id).await;
    }
}

/// Acknowledges a delivery and keeps its payload.
fn take(d: telemetry::Delivery) -> String {
    let text = String::from_utf8_lossy(&d.payload).into_owned();
    d.ack.ack();
    text
}

/// Polls `f` until it holds (or the wait runs out, which the next assertion reports).
pub async fn wait_for(mut f: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + WAIT;
    while !f() && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
