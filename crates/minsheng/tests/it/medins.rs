//! Medical insurance's commands on a demo district: `medins load` of a CSV as a hospital's
//! account (a re-load changes nothing; a bad amount and an unknown diagnosis name file, line and
//! column and load nothing; an unknown account is refused) and `bench medins`; and a server
//! killed with SIGKILL while hospitals send episodes keeps each request whole or not at all.

use std::time::Duration;

use serde_json::Value;
use serde_json::json;

use crate::helpers::DemoServer;
use crate::helpers::open_sqlite;
use crate::helpers::run_in;
use crate::helpers::sqlite_url;

const HEAD: &str = "hospital,id,patient,admitted,discharged,age,sex,principal_dx,other_dx,procedures,insurance,bed,consultation,examination,laboratory,treatment,surgery,nursing,materials,western_medicine,chinese_patent_medicine,chinese_herbal_medicine,other";

#[tokio::test]
async fn load_a_csv_of_episodes_and_benchmark() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("demo");
    let data_s = data.display().to_string();
    run_in(dir.path(), &["demo", "--data-dir", &data_s, "--residents", "150", "--enterprises", "10", "--history", "0", "--no-serve"])
        .expect_code(0, "demo --no-serve");
    let url = sqlite_url(&data.join("minsheng.db"));
    let store = store::Store::open(&store::StoreOptions::new(&url)).await.expect("store");
    let patient: String = sqlx::query_scalar("SELECT id_number FROM person ORDER BY id LIMIT 1").fetch_one(store.read_pool()).await.expect("a person");
    let before: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM medins_episode").fetch_one(store.read_pool()).await.expect("count");
    assert!(before > 1000, "the demo has a year of episodes: {before}");
    store.close().await;

    let today = chrono::Utc::now().date_naive();
    let admitted = today - chrono::Duration::days(4);
    let line = |id: &str, dx: &str, bed: &str| format!("fy-1h,{id},{patient},{admitted},{today},58,male,{dx},,,employee,{bed},,,,,,,,2400.50,,,");
    let good = dir.path().join("episodes.csv");
    std::fs::write(&good, format!("{HEAD}\r\n{}\r\n{}\r\n", line("CLI-1", "J18.9", "800"), line("CLI-2", "I63.9", "1200"))).expect("write");
    let load = |file: &std::path::Path, login: &str| run_in(dir.path(), &["medins", "load", &file.display().to_string(), "--as", login, "--database-url", &url]);
    let r = load(&good, "fy-1h_doctor");
    r.expect_code(0, "medins load");
    assert!(r.stdout.contains("received 2 条新病例") && r.stdout.contains(", 0 条此前已报送"), "{}", r.stdout);
    let r = load(&good, "fy-1h_doctor");
    r.expect_code(0, "medins load again");
    assert!(r.stdout.contains("received 0 条新病例") && r.stdout.contains(", 2 条此前已报送"), "{}", r.stdout);

    // A bad amount: the CSV's own line and column.
    let bad = dir.path().join("bad-amount.csv");
    std::fs::write(&bad, format!("{HEAD}\n{}\n{}\n", line("CLI-3", "J18.9", "800"), line("CLI-4", "J18.9", "8OO"))).expect("write");
    let r = load(&bad, "fy-1h_doctor");
    r.expect_code(1, "a bad amount");
    assert!(r.stderr.contains("bad-amount.csv") && r.stderr.contains("Line 3") && r.stderr.contains("bed"), "{}", r.stderr);
    // An unknown diagnosis on the second episode: line 3, its field.
    let unknown = dir.path().join("unknown-dx.csv");
    std::fs::write(&unknown, format!("{HEAD}\n{}\n{}\n", line("CLI-5", "J18.9", "800"), line("CLI-6", "X99.9", "800"))).expect("write");
    let r = load(&unknown, "fy-1h_doctor");
    r.expect_code(1, "an unknown diagnosis");
    assert!(r.stderr.contains("unknown-dx.csv: line 3") && r.stderr.contains("principal_dx") && r.stderr.contains("nothing was loaded"), "{}", r.stderr);
    // Another hospital's account may not send fy-1h's episodes; an unknown account is refused.
    let other = dir.path().join("other.csv");
    std::fs::write(&other, format!("{HEAD}\n{}\n", line("CLI-7", "J18.9", "800"))).expect("write");
    let r = load(&other, "fy-2h_doctor");
    r.expect_code(1, "another hospital");
    assert!(r.stderr.contains("not_your_hospital") || r.stderr.contains("your own"), "{}", r.stderr);
    load(&other, "nobody").expect_code(1, "an unknown account");

    let store = store::Store::open(&store::StoreOptions::new(&url)).await.expect("store");
    let after: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM medins_episode").fetch_one(store.read_pool()).await.expect("count");
    store.close().await;
    assert_eq!(after, before + 2, "only the good file's two episodes were kept");

    let r = run_in(dir.path(), &["bench", "medins", "--episodes", "20000"]);
    r.expect_code(0, "bench medins");
    assert!(r.stdout.contains("20000") || r.stdout.contains("20,000"), "{}", r.stdout);
}

/// Episodes per request, and requests, in the kill test.
const PER_REQUEST: usize = 800;
const REQUESTS: usize = 8;

fn request_body(patients: &[String], r: usize, today: chrono::NaiveDate) -> Value {
    let admitted = today - chrono::Duration::days(3);
    let episodes: Vec<Value> = (0..PER_REQUEST)
        .map(|i| {
            json!({"hospital": "fy-1h", "id": format!("K{r}-{i:04}"), "patient": patients[(r * PER_REQUEST + i) % patients.len()],
                "admitted": admitted.to_string(), "discharged": today.to_string(), "age": 60, "sex": "female",
                "principal_dx": "J18.9", "other_dx": [], "procedures": [],
                "costs": [{"category": "bed", "fen": 120_000}, {"category": "western_medicine", "fen": 480_000}], "insurance": "resident"})
        })
        .collect();
    json!({ "episodes": episodes })
}

async fn kept_per_request(db: &std::path::Path) -> Vec<i64> {
    let pool = open_sqlite(db, true).await;
    let mut out = Vec::new();
    for r in 0..REQUESTS {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM medins_episode WHERE hospital = 'fy-1h' AND episode_id LIKE $1")
            .bind(format!("K{r}-%"))
            .fetch_one(&pool)
            .await
            .expect("count");
        out.push(n);
    }
    pool.close().await;
    out
}

#[tokio::test]
async fn a_server_killed_while_episodes_arrive_keeps_each_request_whole_or_not_at_all() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("demo");
    let db = data.join("minsheng.db");
    let http = reqwest::Client::builder().timeout(Duration::from_secs(60)).build().expect("client");
    let mut server = DemoServer::start(&data, dir.path(), "medins-0", &[]);
    server.ready(&http, Duration::from_secs(180)).await;
    let url = server.url.clone();
    let token = crate::crash::login(&http, &url, "fy-1h_doctor").await;
    let patients: Vec<String> = {
        let pool = open_sqlite(&db, true).await;
        let p = sqlx::query_scalar("SELECT id_number FROM person ORDER BY id LIMIT 200").fetch_all(&pool).await.expect("people");
        pool.close().await;
        p
    };
    let today = chrono::Utc::now().date_naive();
    let bodies: Vec<Value> = (0..REQUESTS).map(|r| request_body(&patients, r, today)).collect();
    // Two hospitals' systems sending one after another; killed once the first request is in.
    let acked = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let mut senders = Vec::new();
    for lane in 0..2 {
        let (http, url, token, bodies, acked) = (http.clone(), url.clone(), token.clone(), bodies.clone(), acked.clone());
        senders.push(tokio::spawn(async move {
            for r in (lane..REQUESTS).step_by(2) {
                match http.post(format!("{url}/api/medins/episodes")).bearer_auth(&token).json(&bodies[r]).send().await {
                    Ok(resp) if resp.status().is_success() => acked.lock().expect("lock").push(r),
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
    let acked: Vec<usize> = acked.lock().expect("lock").clone();
    let kept = kept_per_request(&db).await;
    eprintln!("killed: acknowledged {acked:?}, kept per request {kept:?}");
    for (r, n) in kept.iter().enumerate() {
        assert!(*n == 0 || *n == PER_REQUEST as i64, "request {r} was kept in part: {n} of {PER_REQUEST}");
        if acked.contains(&r) {
            assert_eq!(*n, PER_REQUEST as i64, "request {r} was acknowledged but not kept");
        }
    }
    assert!(kept.iter().any(|n| *n == 0), "the kill came after everything: the test proved nothing ({kept:?})");

    // Restarted, every request sent again: what was kept is unchanged, the rest is received, once.
    let mut server = DemoServer::start(&data, dir.path(), "medins-1", &[]);
    server.ready(&http, Duration::from_secs(180)).await;
    let token = crate::crash::login(&http, &server.url, "fy-1h_doctor").await;
    for (r, body) in bodies.iter().enumerate() {
        let resp = http.post(format!("{}/api/medins/episodes", server.url)).bearer_auth(&token).json(body).send().await.expect("resend");
        assert!(resp.status().is_success(), "resend {r}: {}", resp.status());
        let v: Value = resp.json().await.expect("json");
        let (received, unchanged) = (v["received"].as_i64().unwrap_or(-1), v["unchanged"].as_i64().unwrap_or(-1));
        assert_eq!(received + unchanged, PER_REQUEST as i64, "resend {r}: {v}");
        assert_eq!(unchanged, kept[r], "resend {r}: what was kept is unchanged: {v}");
    }
    drop(server);
    assert!(kept_per_request(&db).await.iter().all(|n| *n == PER_REQUEST as i64));
}
