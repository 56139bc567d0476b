//! Community governance's durable promise: an Open311 report answered with its id is kept, and a
//! server killed (kill -9) while reports arrive keeps each whole or not at all.

use std::time::Duration;

use serde_json::Value;
use serde_json::json;

use crate::helpers::DemoServer;
use crate::helpers::open_sqlite;

const REPORTS: usize = 400;

#[tokio::test]
async fn a_server_killed_while_open311_reports_arrive_keeps_every_acknowledged_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("demo");
    let db = data.join("minsheng.db");
    let http = reqwest::Client::builder().timeout(Duration::from_secs(60)).build().expect("client");
    let mut server = DemoServer::start(&data, dir.path(), "gov-0", &[]);
    server.ready(&http, Duration::from_secs(180)).await;
    let url = server.url.clone();
    let admin = crate::crash::login(&http, &url, "admin").await;
    let citizens: Vec<String> = {
        let pool = open_sqlite(&db, true).await;
        let c = sqlx::query_scalar("SELECT login FROM account WHERE kind = 'citizen' ORDER BY id LIMIT 3").fetch_all(&pool).await.expect("citizens");
        pool.close().await;
        c
    };
    let estate = json!({ "id": 1, "name": "江滨锦苑", "community": "330111001012", "lat": 30.05, "lon": 119.956, "committee_kind": "owners_committee",
        "committee": { "name": "业委会", "members": [citizens[0]] }, "property_company": { "name": "物业", "members": [citizens[1]] } });
    let r = http.post(format!("{url}/api/governance/estates")).bearer_auth(&admin).json(&estate).send().await.expect("estate");
    assert!(r.status().is_success(), "estate: {}", r.text().await.unwrap_or_default());
    let c: Value = http.post(format!("{url}/api/governance/clients")).bearer_auth(&admin).json(&json!({ "name": "随手拍" })).send().await.expect("client").json().await.expect("json");
    let key = c["api_key"].as_str().expect("key").to_owned();

    // Two client applications posting one after another; killed once the first report is in.
    let acked = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let mut senders = Vec::new();
    for lane in 0..2 {
        let (http, url, key, acked) = (http.clone(), url.clone(), key.clone(), acked.clone());
        senders.push(tokio::spawn(async move {
            for r in (lane..REPORTS).step_by(2) {
                let form = [("api_key", key.as_str()), ("service_code", "street_lamp"), ("lat", "30.0503"), ("long", "119.9561"), ("description", &format!("路灯不亮 #{r}"))];
                match http.post(format!("{url}/api/open311/v2/requests.json")).form(&form).send().await {
                    Ok(resp) if resp.status().is_success() => {
                        let v: Value = resp.json().await.unwrap_or(Value::Null);
                        let Some(id) = v[0]["service_request_id"].as_str() else { return };
                        acked.lock().expect("lock").push(id.to_owned());
                    }
                    _ => return,
                }
            }
        }));
    }
    let started = std::time::Instant::now();
    while acked.lock().expect("lock").is_empty() {
        assert!(started.elapsed() < Duration::from_secs(120), "nothing acknowledged\n{}", server.output());
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    tokio::time::sleep(Duration::from_millis(40)).await;
    server.child.kill().expect("kill -9");
    server.child.wait().expect("reap");
    for s in senders {
        s.await.expect("sender");
    }
    let acked: Vec<String> = acked.lock().expect("lock").clone();
    let pool = open_sqlite(&db, true).await;
    // The reports of this test (the demo may have issues of its own).
    let kept: Vec<(i64, String)> = sqlx::query_as("SELECT id, doc FROM gov_doc WHERE kind = 'issue' AND doc LIKE '%路灯不亮 #%'").fetch_all(&pool).await.expect("issues");
    let notices: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM notice WHERE kind = 'governance_routed' AND text_zh LIKE '%路灯不亮 #%'").fetch_one(&pool).await.expect("notices");
    pool.close().await;
    eprintln!("killed: {} acknowledged, {} kept, {notices} notices", acked.len(), kept.len());
    for id in &acked {
        assert!(kept.iter().any(|(k, _)| k.to_string() == *id), "report {id} was acknowledged but not kept");
    }
    // Each kept report is whole: its record decodes, and it came with its notice to the property company.
    for (_, doc) in &kept {
        let v: Value = serde_json::from_str(doc).expect("a whole record");
        assert_eq!((v["category"].as_str(), v["state"].as_str()), (Some("street_lamp"), Some("routed")));
    }
    assert_eq!(notices, kept.len() as i64, "every kept report with its notice, and no notice without its report");
    assert!(kept.len() < REPORTS, "the kill came after everything: the test proved nothing");

    // Restarted, the kept reports are there over Open311.
    let mut server = DemoServer::start(&data, dir.path(), "gov-1", &[]);
    server.ready(&http, Duration::from_secs(180)).await;
    if let Some(id) = acked.last() {
        let r = http.get(format!("{}/api/open311/v2/requests/{id}.json", server.url)).send().await.expect("get");
        assert!(r.status().is_success(), "{id}: {}", r.status());
    }
    drop(server);
}
