//! Issue 30 with several servers and failures, with real processes: two `minsheng` servers on one
//! PostgreSQL database take the devices' readings from a private Mosquitto (the production files
//! the telemetry crate writes: per-device passwords, ACLs, persistence) through the shared
//! subscription `$share/minsheng/…`, and both take a share. A server killed with SIGKILL while
//! readings stream in, and Mosquitto killed with SIGKILL and restarted from its persistence
//! while a server is down, lose nothing: every reading the broker acknowledged is stored exactly
//! once, and the SOS pressed meanwhile is one alarm. Gated on `MINSHENG_TEST_POSTGRES` and
//! `MINSHENG_TEST_MQTT` (which says Mosquitto is installed), as `.ci/run` sets them.

use std::path::Path;
use std::time::Duration;
use std::time::Instant;

use serde_json::Value;

use crate::helpers::DemoServer;

const PATIENCE: Duration = Duration::from_secs(240);
const SERVER_USER: &str = "minsheng-servers";
const SERVER_PASSWORD: &str = "servers-password-for-the-test";

/// A Mosquitto of this test's own on a free port, from the telemetry crate's files: the servers'
/// account may read every device topic; devices (added later) write their own.
fn start_mosquitto(dir: &Path) -> telemetry::mosquitto::LocalBroker {
    std::fs::create_dir_all(dir).expect("dir");
    write_passwords(dir, &[]);
    let mut acl = telemetry::mosquitto::Acl::new();
    acl.server(SERVER_USER).expect("acl");
    acl.write(&dir.join("acl")).expect("acl file");
    telemetry::mosquitto::LocalBroker::start(dir, &dir.join("passwords"), &dir.join("acl")).expect("mosquitto (the package mosquitto) starts")
}

fn write_passwords(dir: &Path, devices: &[(String, String)]) {
    let mut pw = telemetry::mosquitto::PasswordFile::new();
    pw.add(SERVER_USER, SERVER_PASSWORD).expect("password");
    for (id, password) in devices {
        pw.add(id, password).expect("password");
    }
    pw.write(&dir.join("passwords")).expect("password file");
}

/// `(device, kind, password)` of the devices the demo registered.
fn devices(data: &Path) -> Vec<(String, String, String)> {
    let text = std::fs::read_to_string(data.join("guardian-devices.csv")).expect("the demo wrote the devices' credentials");
    text.lines()
        .skip(1)
        .filter_map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f.len() == 5).then(|| (f[2].to_owned(), f[3].to_owned(), f[4].to_owned()))
        })
        .collect()
}

async fn health(http: &reqwest::Client, url: &str) -> Value {
    match http.get(format!("{url}/healthz")).send().await {
        Ok(r) => r.json().await.unwrap_or(Value::Null),
        Err(_) => Value::Null,
    }
}

async fn wait_subscribed(http: &reqwest::Client, s: &DemoServer) {
    let started = Instant::now();
    while health(http, &s.url).await["telemetry"] != "subscribed" {
        assert!(started.elapsed() < PATIENCE, "not subscribed\n{}", s.output());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Devices publishing with their own credentials.
async fn connect(url: &str, devices: &[(String, String, String)]) -> Vec<(String, telemetry::Publisher)> {
    let mut out = Vec::new();
    for (id, _, password) in devices {
        let p = telemetry::Publisher::connect(url, id, Some(telemetry::Credentials::new(id.clone(), password.clone())), 64).await.expect("a device connects");
        out.push((id.clone(), p));
    }
    out
}

fn door(seq: u32) -> String {
    format!(r#"{{"seq":{seq},"ts":"{}","open":{}}}"#, chrono::Utc::now().to_rfc3339(), seq % 2 == 0)
}

/// Publishes `seqs` from every door, each acknowledged by the broker; how many.
async fn publish_doors(doors: &[(String, telemetry::Publisher)], seqs: std::ops::RangeInclusive<u32>, pace: Duration) -> u64 {
    let mut n = 0;
    for seq in seqs {
        for (id, p) in doors {
            p.publish(&telemetry::topic::device_topic(id), door(seq)).await.expect("PUBACK");
            n += 1;
        }
        tokio::time::sleep(pace).await;
    }
    n
}

async fn count(db: &sqlx::PgPool, sql: &'static str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(db).await.expect("count")
}

async fn wait_count(db: &sqlx::PgPool, sql: &'static str, want: i64, servers: &[&DemoServer]) {
    let started = Instant::now();
    loop {
        let n = count(db, sql).await;
        if n == want {
            return;
        }
        assert!(n < want, "{sql}: {n} > {want}");
        if started.elapsed() > PATIENCE {
            let out: Vec<String> = servers.iter().map(|s| s.output()).collect();
            panic!("{sql}: {n} of {want}\n{}", out.join("\n"));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[cfg_attr(not(all(gated_postgres, gated_mqtt)), ignore = "skipped: set MINSHENG_TEST_POSTGRES and MINSHENG_TEST_MQTT (PostgreSQL and Mosquitto)")]
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_servers_share_the_readings_and_kills_of_a_server_and_the_broker_lose_none() {
    let (Some(base), Some(_)) = (std::env::var("MINSHENG_TEST_POSTGRES").ok().filter(|u| !u.is_empty()), std::env::var("MINSHENG_TEST_MQTT").ok().filter(|u| !u.is_empty())) else {
        eprintln!("skipped: MINSHENG_TEST_POSTGRES and MINSHENG_TEST_MQTT are not both set");
        return;
    };
    let name = format!("guardian_share_{}", std::process::id());
    let url = store::create_scratch_database(&base, &name).await.expect("scratch database");
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("shared");
    let mut broker = start_mosquitto(&dir.path().join("mosquitto"));
    let mqtt = broker.url();
    let env = |client: &'static str| {
        vec![
            ("MINSHENG__DATABASE__URL", url.clone()),
            ("MINSHENG__GUARDIAN__MQTT", mqtt.clone()),
            ("MINSHENG__GUARDIAN__USERNAME", SERVER_USER.to_owned()),
            ("MINSHENG__GUARDIAN__PASSWORD", SERVER_PASSWORD.to_owned()),
            // One persistent session per server, whatever node number it takes after a restart.
            ("MINSHENG__GUARDIAN__CLIENT_ID", client.to_owned()),
            ("RUST_LOG", "warn,rumqttd=off".to_owned()),
        ]
    };
    let start = |n: &str, client: &'static str| {
        let e = env(client);
        let refs: Vec<(&str, &str)> = e.iter().map(|(k, v)| (*k, v.as_str())).collect();
        DemoServer::start(&data, dir.path(), n, &refs)
    };
    let http = reqwest::Client::builder().timeout(Duration::from_secs(30)).build().expect("client");

    // The first server seeds the district and its devices; the broker learns their passwords.
    let mut a = start("a", "minsheng-a");
    a.ready(&http, PATIENCE).await;
    let all = devices(&data);
    write_passwords(&dir.path().join("mosquitto"), &all.iter().map(|(id, _, pw)| (id.clone(), pw.clone())).collect::<Vec<_>>());
    broker.reload().expect("SIGHUP");
    let mut b = start("b", "minsheng-b");
    b.ready(&http, PATIENCE).await;
    wait_subscribed(&http, &a).await;
    wait_subscribed(&http, &b).await;
    let db = sqlx::PgPool::connect(&url).await.expect("connect");
    let doors: Vec<(String, String, String)> = all.iter().filter(|(_, k, _)| k == "door").cloned().collect();
    let wearable: Vec<(String, String, String)> = all.iter().filter(|(_, k, _)| k == "wearable").take(1).cloned().collect();
    assert!(doors.len() >= 3 && wearable.len() == 1, "the demo has doors and wearables: {}", all.len());
    let readings = "SELECT COUNT(*) FROM guardian_reading";

    // 1. Both servers take a share.
    let pubs = connect(&mqtt, &doors).await;
    let mut acked = publish_doors(&pubs, 1..=30, Duration::from_millis(5)).await;
    wait_count(&db, readings, i64::try_from(acked).expect("n"), &[&a, &b]).await;
    let nodes = count(&db, "SELECT COUNT(DISTINCT node) FROM guardian_reading").await;
    assert_eq!(nodes, 2, "both servers took readings from the shared subscription");

    // 2. Server b is killed with SIGKILL while readings stream in, and comes back; an SOS is pressed
    //    while it is down.
    let stream = tokio::spawn(async move {
        let n = publish_doors(&pubs, 31..=130, Duration::from_millis(10)).await;
        (pubs, n)
    });
    tokio::time::sleep(Duration::from_millis(400)).await;
    b.child.kill().expect("kill -9 b");
    b.child.wait().expect("reap");
    let sos = connect(&mqtt, &wearable).await;
    let payload = format!(r#"{{"seq":1,"ts":"{}","sos":true,"lat":30.05,"lon":119.96}}"#, chrono::Utc::now().to_rfc3339());
    sos[0].1.publish(&telemetry::topic::device_topic(&sos[0].0), payload).await.expect("PUBACK");
    acked += 1;
    let (pubs, n) = stream.await.expect("stream");
    acked += n;
    let mut b = start("b2", "minsheng-b");
    b.ready(&http, PATIENCE).await;
    wait_count(&db, readings, i64::try_from(acked).expect("n"), &[&a, &b]).await;
    wait_count(&db, "SELECT COUNT(*) FROM guardian_alarm WHERE kind = 'sos'", 1, &[&a, &b]).await;

    // 3. With b down again, readings queue in the broker for its session; the broker is killed
    //    with SIGKILL after it saved them (autosave every second) and restarted; then b.
    b.child.kill().expect("kill -9 b");
    b.child.wait().expect("reap");
    acked += publish_doors(&pubs, 131..=160, Duration::from_millis(5)).await;
    tokio::time::sleep(Duration::from_millis(2500)).await;
    broker.kill_and_restart().expect("mosquitto starts again");
    let mut b = start("b3", "minsheng-b");
    b.ready(&http, PATIENCE).await;
    // a reconnects by itself; its queue and b's come from the broker's persistence.
    wait_count(&db, readings, i64::try_from(acked).expect("n"), &[&a, &b]).await;
    for (_, p) in pubs {
        p.disconnect().await;
    }
    let pubs = connect(&mqtt, &doors).await;
    acked += publish_doors(&pubs, 161..=170, Duration::from_millis(5)).await;
    wait_count(&db, readings, i64::try_from(acked).expect("n"), &[&a, &b]).await;
    // Exactly once: every (device, seq) once, the SOS one alarm.
    assert_eq!(count(&db, "SELECT COUNT(*) FROM (SELECT DISTINCT device, seq FROM guardian_reading) AS k").await, i64::try_from(acked).expect("n"));
    assert_eq!(count(&db, "SELECT COUNT(*) FROM guardian_alarm WHERE kind = 'sos'").await, 1);
    drop(pubs);
    db.close().await;
    drop(a);
    drop(b);
    drop(broker);
    store::drop_scratch_database(&base, &name).await.expect("drop scratch database");
}
