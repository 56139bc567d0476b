//! Places' durable promise: a childcare application answered 201 is kept, whole with the claim
//! that keeps its child in one application, when the server is killed (kill -9) while families
//! apply; and after a restart the family finds it and the child cannot be applied for twice.

use std::time::Duration;

use chrono::Datelike;
use serde_json::Value;
use serde_json::json;

use crate::helpers::DemoServer;
use crate::helpers::open_sqlite;

const FAMILIES: usize = 80;

#[tokio::test]
async fn a_server_killed_while_families_apply_keeps_every_acknowledged_application_whole() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("demo");
    let db = data.join("minsheng.db");
    let http = reqwest::Client::builder().timeout(Duration::from_secs(60)).build().expect("client");
    let mut server = DemoServer::start(&data, dir.path(), "places-0", &[]);
    server.ready(&http, Duration::from_secs(240)).await;
    let url = server.url.clone();
    let clerk = crate::crash::login(&http, &url, "wjw_clerk").await;
    let inst = json!({
        "name": "富春街道社区托育服务中心（测试）", "kind": "community", "community": "330111001012", "lat": 30.05, "lon": 119.956,
        "opens": "07:30", "closes": "17:30", "weekdays": [1, 2, 3, 4, 5],
        "classes": [{ "class": "young_toddler", "groups": 10, "places": 150, "monthly_fee_yuan": "2200.00" }], "carers": 30,
    });
    let r: Value = http.post(format!("{url}/api/places/childcare/institutions")).bearer_auth(&clerk).json(&inst).send().await.expect("institution").json().await.expect("json");
    let inst_id = r["id"].as_str().expect("institution id").to_owned();

    // A child of 13 months registered in each of FAMILIES households with a parent who has an account.
    let today = chrono::Utc::now().with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).expect("offset")).date_naive();
    let birth = today.checked_sub_months(chrono::Months::new(13)).expect("date");
    let start = today + chrono::Days::new(30);
    let pool = open_sqlite(&db, false).await;
    let parents: Vec<(String, i64, String)> = sqlx::query_as(
        "SELECT a.login, p.household, p.division FROM account a JOIN person p ON p.id = a.person_id WHERE a.kind = 'citizen' AND p.birth_date < '2004-01-01' ORDER BY a.id",
    )
    .fetch_all(&pool)
    .await
    .expect("parents");
    let mut families = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (i, (login, household, division)) in parents.into_iter().enumerate() {
        if !seen.insert(household) {
            continue;
        }
        let id_number = format!("330111{:04}{:02}{:02}9{:03}", birth.year(), birth.month(), birth.day(), i % 1000);
        sqlx::query("INSERT INTO person (id, id_number, name, sex, birth_date, division, phone, household, relation, created_at) VALUES ($1, $2, $3, '女', $4, $5, NULL, $6, '女', '2026-01-01T00:00:00Z')")
            .bind(9_000_000_000_i64 + i as i64)
            .bind(&id_number)
            .bind(format!("测试宝宝{i}"))
            .bind(birth.to_string())
            .bind(&division)
            .bind(household)
            .execute(&pool)
            .await
            .expect("register a child");
        families.push((login, id_number));
        if families.len() == FAMILIES {
            break;
        }
    }
    pool.close().await;
    assert!(families.len() >= 40, "enough families: {}", families.len());
    let mut tokens = Vec::new();
    for (login, _) in &families {
        tokens.push(crate::crash::login(&http, &url, login).await);
    }

    // Two lanes of families applying one after another; killed once the first is acknowledged.
    let acked = std::sync::Arc::new(std::sync::Mutex::new(Vec::<(String, String)>::new()));
    let mut lanes = Vec::new();
    for lane in 0..2 {
        let (http, url, acked, inst_id) = (http.clone(), url.clone(), acked.clone(), inst_id.clone());
        let mine: Vec<(String, String)> = families.iter().zip(&tokens).skip(lane).step_by(2).map(|((_, child), tok)| (child.clone(), tok.clone())).collect();
        lanes.push(tokio::spawn(async move {
            for (child, tok) in mine {
                let body = json!({ "child": child, "start_date": start.to_string(), "preferences": [inst_id], "home_lat": 30.051, "home_lon": 119.955 });
                match http.post(format!("{url}/api/places/childcare/applications")).bearer_auth(&tok).json(&body).send().await {
                    Ok(resp) if resp.status() == reqwest::StatusCode::CREATED => {
                        let v: Value = resp.json().await.unwrap_or(Value::Null);
                        let Some(id) = v["id"].as_str() else { return };
                        acked.lock().expect("lock").push((id.to_owned(), child));
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
    tokio::time::sleep(Duration::from_millis(30)).await;
    server.child.kill().expect("kill -9");
    server.child.wait().expect("reap");
    for l in lanes {
        l.await.expect("lane");
    }
    let acked = acked.lock().expect("lock").clone();

    let pool = open_sqlite(&db, true).await;
    // This test's applications and claims (the demo has families of its own).
    let ours: std::collections::HashSet<&str> = families.iter().map(|(_, c)| c.as_str()).collect();
    let kept: Vec<(i64, String)> = sqlx::query_as("SELECT id, doc FROM place_doc WHERE kind = 'application'").fetch_all(&pool).await.expect("applications");
    let kept: Vec<(i64, String)> = kept.into_iter().filter(|(_, doc)| serde_json::from_str::<Value>(doc).is_ok_and(|v| v["child_key"].as_str().is_some_and(|c| ours.contains(c)))).collect();
    let claims: Vec<(String, i64)> = sqlx::query_as("SELECT claim, doc FROM place_claim WHERE kind = 'child'").fetch_all(&pool).await.expect("claims");
    let claims: Vec<(String, i64)> = claims.into_iter().filter(|(c, _)| ours.contains(c.as_str())).collect();
    pool.close().await;
    eprintln!("killed: {} acknowledged, {} kept, {} claims", acked.len(), kept.len(), claims.len());
    for (id, child) in &acked {
        assert!(kept.iter().any(|(k, _)| k.to_string() == *id), "application {id} was acknowledged but not kept");
        assert!(claims.iter().any(|(c, d)| c == child && d.to_string() == *id), "application {id} kept without its child's claim");
    }
    // Whole: every kept application decodes and holds its claim; no claim without its application.
    for (id, doc) in &kept {
        let v: Value = serde_json::from_str(doc).expect("a whole record");
        assert_eq!(v["state"], "waiting");
        assert!(claims.iter().any(|(_, d)| d == id), "application {id} without its claim");
    }
    for (_, d) in &claims {
        assert!(kept.iter().any(|(k, _)| k == d), "a claim without its application");
    }
    assert!(kept.len() < families.len(), "the kill came after everything: the test proved nothing");

    // Restarted: the family finds its application, and the child cannot be applied for again.
    let mut server = DemoServer::start(&data, dir.path(), "places-1", &[]);
    server.ready(&http, Duration::from_secs(240)).await;
    let (id, child) = acked.last().expect("one acknowledged").clone();
    let (login, _) = families.iter().find(|(_, c)| *c == child).expect("family");
    let tok = crate::crash::login(&http, &server.url, login).await;
    let mine: Value = http.get(format!("{}/api/places/childcare/applications/mine", server.url)).bearer_auth(&tok).send().await.expect("mine").json().await.expect("json");
    assert!(mine.as_array().is_some_and(|a| a.iter().any(|x| x["id"] == id.as_str())), "{mine}");
    let body = json!({ "child": child, "start_date": start.to_string(), "preferences": [inst_id], "home_lat": 30.051, "home_lon": 119.955 });
    let r = http.post(format!("{}/api/places/childcare/applications", server.url)).bearer_auth(&tok).json(&body).send().await.expect("again");
    assert_eq!(r.status(), reqwest::StatusCode::CONFLICT);
    drop(server);
}
