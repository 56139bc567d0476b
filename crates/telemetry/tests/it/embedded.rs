//! The embedded broker (rumqttd): always run.

use std::net::TcpStream;
use std::sync::Arc;
use std::time::Duration;

use telemetry::Credentials;
use telemetry::EmbeddedBroker;
use telemetry::EmbeddedConfig;
use telemetry::Error;
use telemetry::Publisher;
use telemetry::Subscriber;
use telemetry::SubscriberConfig;
use telemetry::topic;

use crate::common::WAIT;
use crate::common::any_port;
use crate::common::collect;
use crate::scenarios;
use crate::scenarios::Place;

async fn broker() -> (EmbeddedBroker, Place) {
    let b = EmbeddedBroker::start(EmbeddedConfig::new(any_port())).await.expect("the embedded broker starts");
    let place = Place { url: b.url(), prefix: "minsheng/v1/guardian".to_owned() };
    (b, place)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn published_received_and_acknowledged() {
    let (_b, place) = broker().await;
    scenarios::publish_receive_ack(&place).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_was_not_acknowledged_comes_to_the_next_session() {
    let (_b, place) = broker().await;
    scenarios::unacked_is_redelivered(&place).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_delivery_comes_again() {
    let (_b, place) = broker().await;
    scenarios::a_failed_delivery_comes_again(&place).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shared_group_splits_the_messages() {
    let (_b, place) = broker().await;
    scenarios::a_shared_group_splits_the_messages(&place).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_auth_handler_refuses_bad_credentials() {
    let mut config = EmbeddedConfig::new(any_port());
    config.auth = Some(Arc::new(|client_id: &str, user: &str, pass: &str| {
        (user == "wear-1" && pass == "right" && client_id == "wear-1") || (user == "server" && pass == "s3cret")
    }));
    let b = EmbeddedBroker::start(config).await.expect("starts");
    let url = b.url();
    for creds in [None, Some(Credentials::new("wear-1", "wrong")), Some(Credentials::new("nobody", "right"))] {
        let r = Publisher::connect(&url, "wear-1", creds.clone(), 10).await;
        assert!(matches!(r, Err(Error::Connect(_))), "{creds:?} let in");
    }
    let mut c = SubscriberConfig::new(url.clone(), "server-1", topic::DEVICE_FILTER);
    c.credentials = Some(Credentials::new("server", "wrong"));
    let (sub, _rx) = Subscriber::start(c).expect("starts");
    assert!(sub.wait_subscribed(Duration::from_millis(800)).await.is_err(), "a server with a wrong password subscribed");
    drop(sub);
    let mut c = SubscriberConfig::new(url.clone(), "server-1", topic::DEVICE_FILTER);
    c.credentials = Some(Credentials::new("server", "s3cret"));
    let (sub, mut rx) = Subscriber::start(c).expect("starts");
    sub.wait_subscribed(WAIT).await.expect("the right password subscribes");
    let device = Publisher::connect(&url, "wear-1", Some(Credentials::new("wear-1", "right")), 10).await.expect("the right password connects");
    device.publish(&topic::device_topic("wear-1"), "sos").await.expect("acknowledged");
    let got = collect(&mut rx, WAIT, |g| !g.is_empty()).await;
    assert_eq!(got.len(), 1);
    for d in got {
        d.ack.ack();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_a_publish_acl_a_device_writes_only_its_own_topic() {
    let mut config = EmbeddedConfig::new(any_port());
    config.auth = Some(Arc::new(|client_id: &str, user: &str, pass: &str| {
        (client_id == user && ((user == "wear-1" && pass == "one") || (user == "wear-2" && pass == "two"))) || (user == "server" && pass == "s3cret")
    }));
    config.publish_acl = Some(Arc::new(|user: &str, t: &str| t == topic::device_topic(user)));
    let b = EmbeddedBroker::start(config).await.expect("starts");
    let url = b.url();
    let mut c = SubscriberConfig::new(url.clone(), "server-1", topic::DEVICE_FILTER);
    c.credentials = Some(Credentials::new("server", "s3cret"));
    let (sub, mut rx) = Subscriber::start(c).expect("starts");
    sub.wait_subscribed(WAIT).await.expect("subscribed");
    let one = Publisher::connect(&url, "wear-1", Some(Credentials::new("wear-1", "one")), 10).await.expect("wear-1 connects");
    let two = Publisher::connect(&url, "wear-2", Some(Credentials::new("wear-2", "two")), 10).await.expect("wear-2 connects");
    one.publish(&topic::device_topic("wear-1"), "mine").await.expect("its own topic: acknowledged");
    // On another device's topic: the connection is closed, the message never acknowledged.
    let spoof = tokio::time::timeout(Duration::from_secs(2), one.publish(&topic::device_topic("wear-2"), "spoof")).await;
    assert!(!matches!(spoof, Ok(Ok(()))), "a PUBLISH on another device's topic was acknowledged");
    drop(one);
    two.publish(&topic::device_topic("wear-2"), "theirs").await.expect("the other device is not affected");
    let got = collect(&mut rx, WAIT, |g| crate::common::payloads(g).contains("theirs")).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mut all = got;
    while let Ok(d) = rx.try_recv() {
        all.push(d);
    }
    let payloads = crate::common::payloads(&all);
    assert!(payloads.contains("mine") && payloads.contains("theirs"), "{payloads:?}");
    assert!(!payloads.contains("spoof"), "the spoofed reading reached the subscriber: {payloads:?}");
    for d in all {
        d.ack.ack();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_broker_closes_its_port_and_clients_come_back_to_the_next() {
    let b = EmbeddedBroker::start(EmbeddedConfig::new(any_port())).await.expect("starts");
    let addr = b.local_addr();
    assert_ne!(addr.port(), 0, "a port was picked");
    let url = b.url();
    let (sub, mut rx) = Subscriber::start(SubscriberConfig::new(url.clone(), "server-1", topic::DEVICE_FILTER)).expect("starts");
    sub.wait_subscribed(WAIT).await.expect("subscribed");
    let publisher = Publisher::connect(&url, "dev-1", None, 10).await.expect("connects");
    publisher.publish(&topic::device_topic("dev-1"), "x").await.expect("acknowledged");
    for d in collect(&mut rx, WAIT, |g| !g.is_empty()).await {
        d.ack.ack();
    }
    b.stop();
    assert!(TcpStream::connect_timeout(&addr, Duration::from_millis(300)).is_err(), "the port still accepts");
    // Lost with the connection, or waiting for a broker that does not come back: never acknowledged.
    let r = tokio::time::timeout(Duration::from_secs(2), publisher.publish(&topic::device_topic("dev-1"), "y")).await;
    assert!(matches!(r, Err(_) | Ok(Err(Error::Disconnected))), "{r:?}");
    // A new broker on the port (the old one's sessions died with it): both clients come back.
    let b2 = EmbeddedBroker::start(EmbeddedConfig::new(addr)).await.expect("the port is free again");
    assert_eq!(b2.local_addr(), addr);
    sub.wait_subscribed(WAIT).await.expect("subscribed again");
    tokio::time::timeout(WAIT, publisher.publish(&topic::device_topic("dev-1"), "z")).await.expect("in time").expect("acknowledged");
    assert!(publisher.stats().reconnects >= 1);
    let got = collect(&mut rx, WAIT, |g| crate::common::payloads(g).contains("z")).await;
    assert!(crate::common::payloads(&got).contains("z"), "the reading after the restart arrived");
    assert!(sub.stats().connections >= 2);
    for d in got {
        d.ack.ack();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_taken_port_or_a_bad_setting_is_an_error() {
    let b = EmbeddedBroker::start(EmbeddedConfig::new(any_port())).await.expect("starts");
    let r = EmbeddedBroker::start(EmbeddedConfig::new(b.local_addr())).await;
    assert!(matches!(r, Err(Error::BrokerStart { .. })), "{r:?}");
    let mut bad = EmbeddedConfig::new(any_port());
    bad.filters = vec!["a/#/b".to_owned()];
    assert!(matches!(EmbeddedBroker::start(bad).await, Err(Error::InvalidTopic(_))));
    let mut bad = EmbeddedConfig::new(any_port());
    bad.log_segment_bytes = 10;
    assert!(matches!(EmbeddedBroker::start(bad).await, Err(Error::InvalidConfig(_))));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_client_settings_are_errors_not_panics() {
    assert!(matches!(Publisher::connect("http://x", "c", None, 10).await, Err(Error::InvalidUrl(_))));
    assert!(matches!(Publisher::connect("mqtt://127.0.0.1:1", "c", None, 0).await, Err(Error::InvalidConfig(_))));
    assert!(matches!(Publisher::connect("mqtt://127.0.0.1:1", "a/b", None, 1).await, Err(Error::InvalidConfig(_))));
    let nobody = Publisher::connect(&format!("mqtt://127.0.0.1:{}", crate::common::free_port()), "c", None, 1).await;
    assert!(matches!(nobody, Err(Error::Connect(_))), "{nobody:?}");
    for (filter, group) in [("a/#/b", None), ("$SYS/x", None), ("a/+", Some("g/h"))] {
        let mut c = SubscriberConfig::new("mqtt://127.0.0.1:1883", "s", filter);
        c.shared_group = group.map(str::to_owned);
        assert!(Subscriber::start(c).is_err(), "{filter} {group:?}");
    }
    let (b, place) = broker().await;
    let p = Publisher::connect(&b.url(), "p", None, 10).await.expect("connects");
    assert!(matches!(p.publish("a/+/b", "x").await, Err(Error::InvalidTopic(_))));
    let _ = place;
}
