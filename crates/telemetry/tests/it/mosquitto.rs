//! A real Mosquitto: the shared one `MINSHENG_TEST_MQTT` names, and private ones started from
//! this crate's generated files (the `mosquitto` binary must be on the PATH).

use std::path::Path;
use std::time::Duration;

use telemetry::Credentials;
use telemetry::Error;
use telemetry::Publisher;
use telemetry::Subscriber;
use telemetry::SubscriberConfig;
use telemetry::mosquitto::Acl;
use telemetry::mosquitto::LocalBroker;
use telemetry::mosquitto::PasswordFile;
use telemetry::topic;

use crate::common::WAIT;
use crate::common::collect;
use crate::common::mqtt_url;
use crate::common::payloads;
use crate::common::unique;
use crate::scenarios;
use crate::scenarios::Place;

fn shared(url: String) -> Place {
    // Each test its own topics: tests run at once against the one broker.
    Place { url, prefix: format!("minsheng-test/{}", unique("t")) }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(gated_mqtt), ignore = "skipped: set MINSHENG_TEST_MQTT (a Mosquitto broker, e.g. mqtt://127.0.0.1:1883)")]
async fn mosquitto_published_received_and_acknowledged() {
    let Some(url) = mqtt_url() else {
        eprintln!("skipped: MINSHENG_TEST_MQTT not set");
        return;
    };
    scenarios::publish_receive_ack(&shared(url)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(gated_mqtt), ignore = "skipped: set MINSHENG_TEST_MQTT (a Mosquitto broker, e.g. mqtt://127.0.0.1:1883)")]
async fn mosquitto_what_was_not_acknowledged_comes_to_the_next_session() {
    let Some(url) = mqtt_url() else {
        eprintln!("skipped: MINSHENG_TEST_MQTT not set");
        return;
    };
    scenarios::unacked_is_redelivered(&shared(url)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(gated_mqtt), ignore = "skipped: set MINSHENG_TEST_MQTT (a Mosquitto broker, e.g. mqtt://127.0.0.1:1883)")]
async fn mosquitto_a_failed_delivery_comes_again() {
    let Some(url) = mqtt_url() else {
        eprintln!("skipped: MINSHENG_TEST_MQTT not set");
        return;
    };
    scenarios::a_failed_delivery_comes_again(&shared(url)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(gated_mqtt), ignore = "skipped: set MINSHENG_TEST_MQTT (a Mosquitto broker, e.g. mqtt://127.0.0.1:1883)")]
async fn mosquitto_a_shared_group_splits_the_messages() {
    let Some(url) = mqtt_url() else {
        eprintln!("skipped: MINSHENG_TEST_MQTT not set");
        return;
    };
    scenarios::a_shared_group_splits_the_messages(&shared(url)).await;
}

/// A Mosquitto of our own, on a free loopback port, from the generated files; killed (-9) when
/// dropped.
struct PrivateBroker(LocalBroker);

impl PrivateBroker {
    fn start(dir: &Path, users: &[(&str, &str)], servers: &[&str]) -> Self {
        let pw = dir.join("passwords");
        let acl_path = dir.join("acl");
        let mut passwords = PasswordFile::new();
        for (u, p) in users {
            passwords.add(u, p).expect("valid user");
        }
        passwords.write(&pw).expect("password file written");
        let mut acl = Acl::new();
        for s in servers {
            acl.server(s).expect("valid user");
        }
        acl.write(&acl_path).expect("ACL written");
        Self(LocalBroker::start(dir, &pw, &acl_path).expect("the mosquitto binary runs (install mosquitto)"))
    }

    fn url(&self) -> String {
        self.0.url()
    }

    /// kill -9 and start again on the same files.
    fn kill_and_restart(&mut self) {
        self.0.kill_and_restart().expect("mosquitto starts again");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(gated_mqtt), ignore = "skipped: set MINSHENG_TEST_MQTT (a Mosquitto broker, e.g. mqtt://127.0.0.1:1883)")]
async fn mosquitto_refuses_a_wrong_password_and_drops_a_publish_on_another_device_s_topic() {
    if mqtt_url().is_none() {
        eprintln!("skipped: MINSHENG_TEST_MQTT not set");
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let users = [("dev-a", "pw-a"), ("dev-b", "pw-b"), ("minsheng-server", "pw-s")];
    let broker = PrivateBroker::start(dir.path(), &users, &["minsheng-server"]);
    let url = broker.url();

    for creds in [None, Some(Credentials::new("dev-a", "pw-b")), Some(Credentials::new("dev-c", "pw-a"))] {
        let r = Publisher::connect(&url, "dev-a", creds.clone(), 10).await;
        assert!(matches!(r, Err(Error::Connect(_))), "{creds:?} was let in");
    }

    let mut c = SubscriberConfig::new(url.clone(), "minsheng-1", topic::DEVICE_FILTER);
    c.shared_group = Some(topic::SHARE_GROUP.to_owned());
    c.credentials = Some(Credentials::new("minsheng-server", "pw-s"));
    let (server, mut rx) = Subscriber::start(c).expect("starts");
    server.wait_subscribed(WAIT).await.expect("the server's account may subscribe");

    let a = Publisher::connect(&url, "dev-a", Some(Credentials::new("dev-a", "pw-a")), 10).await.expect("dev-a connects");
    a.publish(&topic::device_topic("dev-a"), "own 1").await.expect("acknowledged");
    // Mosquitto acknowledges a publish the ACL denies (MQTT 3.1.1 cannot refuse one) and drops it.
    a.publish(&topic::device_topic("dev-b"), "forged").await.expect("acknowledged, then dropped");
    a.publish(&topic::device_topic("dev-a"), "own 2").await.expect("acknowledged");
    let got = collect(&mut rx, WAIT, |g| g.len() >= 2).await;
    let late = collect(&mut rx, Duration::from_millis(500), |_| false).await;
    let all: Vec<_> = got.into_iter().chain(late).collect();
    assert_eq!(payloads(&all), ["own 1".to_owned(), "own 2".to_owned()].into(), "the forged reading was delivered");
    assert!(all.iter().all(|d| d.device_id.as_deref() == Some("dev-a")));
    for d in all {
        d.ack.ack();
    }

    // A device may not read the others' readings either.
    let mut spy = SubscriberConfig::new(url.clone(), "dev-b", topic::DEVICE_FILTER);
    spy.credentials = Some(Credentials::new("dev-b", "pw-b"));
    spy.clean_session = true;
    let (spy, mut spy_rx) = Subscriber::start(spy).expect("starts");
    let _ = spy.wait_subscribed(Duration::from_secs(2)).await;
    a.publish(&topic::device_topic("dev-a"), "own 3").await.expect("acknowledged");
    let spied = collect(&mut spy_rx, Duration::from_millis(700), |_| false).await;
    assert!(spied.is_empty(), "a device read another's reading");
    let got = collect(&mut rx, WAIT, |g| !g.is_empty()).await;
    assert_eq!(payloads(&got), ["own 3".to_owned()].into());
    for d in got {
        d.ack.ack();
    }
    a.disconnect().await;
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(gated_mqtt), ignore = "skipped: set MINSHENG_TEST_MQTT (a Mosquitto broker, e.g. mqtt://127.0.0.1:1883)")]
async fn mosquitto_kill_9_keeps_what_the_persistent_session_had_not_acknowledged() {
    if mqtt_url().is_none() {
        eprintln!("skipped: MINSHENG_TEST_MQTT not set");
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let users = [("dev-a", "pw-a"), ("minsheng-server", "pw-s")];
    let mut broker = PrivateBroker::start(dir.path(), &users, &["minsheng-server"]);
    let url = broker.url();
    let server_config = || {
        let mut c = SubscriberConfig::new(url.clone(), "minsheng-1", topic::DEVICE_FILTER);
        c.shared_group = Some(topic::SHARE_GROUP.to_owned());
        c.credentials = Some(Credentials::new("minsheng-server", "pw-s"));
        c
    };
    let device = || Publisher::connect(&url, "dev-a", Some(Credentials::new("dev-a", "pw-a")), 10);

    let (server, mut rx) = Subscriber::start(server_config()).expect("starts");
    server.wait_subscribed(WAIT).await.expect("subscribed");
    let a = device().await.expect("connects");
    a.publish(&topic::device_topic("dev-a"), "in flight").await.expect("acknowledged");
    let got = collect(&mut rx, WAIT, |g| !g.is_empty()).await;
    assert_eq!(payloads(&got), ["in flight".to_owned()].into());
    // The server dies before it acknowledges; a reading comes while it is away.
    drop(server);
    drop(got);
    a.publish(&topic::device_topic("dev-a"), "queued").await.expect("acknowledged");
    a.disconnect().await;
    // Past an autosave (1 s), the broker dies too, and comes back.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    broker.kill_and_restart();

    let (server, mut rx) = Subscriber::start(server_config()).expect("starts");
    let got = collect(&mut rx, WAIT, |g| payloads(g).len() == 2).await;
    assert_eq!(payloads(&got), ["in flight".to_owned(), "queued".to_owned()].into(), "lost across kill -9 of the broker");
    for d in got {
        d.ack.ack();
    }
    // Acknowledged now: after another save and another kill, nothing comes again.
    tokio::time::sleep(Duration::from_millis(300)).await;
    server.shutdown().await;
    tokio::time::sleep(Duration::from_millis(2500)).await;
    broker.kill_and_restart();
    let (server, mut rx) = Subscriber::start(server_config()).expect("starts");
    server.wait_subscribed(WAIT).await.expect("subscribed");
    let again = collect(&mut rx, Duration::from_millis(700), |_| false).await;
    assert!(again.is_empty(), "acknowledged readings came again: {:?}", payloads(&again));
    server.shutdown().await;
}
