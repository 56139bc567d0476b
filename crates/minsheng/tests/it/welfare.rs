//! Welfare's commands: `welfare check` of the shipped catalog and of a broken one (file, line and
//! field named), `welfare sweep` on a demo district, `bench welfare` on a small district; and a
//! server killed with SIGKILL while a month's run is frozen keeps the run whole or not at all,
//! and after a restart the run is made once.

use std::time::Duration;

use serde_json::Value;
use serde_json::json;

use crate::helpers::DemoServer;
use crate::helpers::open_sqlite;
use crate::helpers::run_in;
use crate::helpers::sqlite_url;

#[tokio::test]
async fn check_a_catalog_sweep_and_benchmark() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/welfare");
    let r = run_in(dir.path(), &["welfare", "check", &root.display().to_string()]);
    r.expect_code(0, "welfare check of the shipped catalog");
    assert!(r.stdout.contains("7 项待遇 benefits"), "{}", r.stdout);

    // Overlapping bands and an unknown fact: both named with file, line and field; exit 1.
    let bad = dir.path().join("bad");
    std::fs::create_dir_all(&bad).expect("dir");
    std::fs::write(
        bad.join("benefits.toml"),
        "[[benefit]]\ncode = \"x\"\nname = \"某津贴\"\nname_en = \"X\"\ndepartment = \"mzj\"\nlegal_basis = \"test\"\neligibility = \"age >= 80 && wealth < 3\"\n\
         arrears_months = 0\nnotice_zh = \"n\"\nnotice_en = \"n\"\namount = { bands_on = \"age\", bands = [{ from = 80, to = 95, fen = 100 }, { from = 90, fen = 200 }] }\n",
    )
    .expect("write");
    let r = run_in(dir.path(), &["welfare", "check", &bad.display().to_string()]);
    r.expect_code(1, "welfare check of a broken catalog");
    assert!(r.stderr.contains("benefits.toml:7:") && r.stderr.contains("wealth"), "{}", r.stderr);
    assert!(r.stderr.contains("benefits.toml:11:") && r.stderr.contains("bands"), "{}", r.stderr);

    let data = dir.path().join("demo");
    let data_s = data.display().to_string();
    run_in(dir.path(), &["demo", "--data-dir", &data_s, "--residents", "300", "--enterprises", "10", "--history", "0", "--no-serve"]).expect_code(0, "demo --no-serve");
    let url = sqlite_url(&data.join("minsheng.db"));
    let r = run_in(dir.path(), &["welfare", "sweep", "--database-url", &url]);
    r.expect_code(0, "welfare sweep");
    assert!(r.stdout.contains("新享受 opened 0"), "the demo's entitlements are already found: {}", r.stdout);

    let r = run_in(dir.path(), &["bench", "welfare", "--people", "5000", "--changes", "5"]);
    r.expect_code(0, "bench welfare");
    for line in ["evaluate:", "sweep:", "run:", "change → notice:", "peak memory"] {
        assert!(r.stdout.contains(line), "{line}: {}", r.stdout);
    }
}

/// The run's lines as stored for a department and month: (runs, lines the runs say, lines kept).
async fn kept(db: &std::path::Path, department: &str, month: &str) -> (i64, i64, i64) {
    let pool = open_sqlite(db, true).await;
    let runs: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM welfare_run WHERE department = $1 AND month = $2").bind(department).bind(month).fetch_one(&pool).await.expect("runs");
    let said: i64 = sqlx::query_scalar("SELECT COALESCE(SUM(lines), 0) FROM welfare_run WHERE department = $1 AND month = $2")
        .bind(department)
        .bind(month)
        .fetch_one(&pool)
        .await
        .expect("lines");
    let lines: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM welfare_payment p JOIN welfare_run r ON r.id = p.run_id WHERE r.department = $1 AND r.month = $2")
        .bind(department)
        .bind(month)
        .fetch_one(&pool)
        .await
        .expect("payments");
    pool.close().await;
    (runs, said, lines)
}

#[tokio::test]
async fn a_server_killed_while_a_run_is_frozen_keeps_it_whole_or_not_at_all() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("demo");
    let db = data.join("minsheng.db");
    let http = reqwest::Client::builder().timeout(Duration::from_secs(60)).build().expect("client");
    let month = welfare::Month::of(domain::china_date(chrono::Utc::now())).to_string();
    // Killed sooner or later after the freeze was asked for, for each department that pays.
    for (i, (dept, delay_ms)) in [("mzj", 2u64), ("cl", 8), ("zjj", 25)].into_iter().enumerate() {
        let mut server = DemoServer::start(&data, dir.path(), &format!("welfare-{i}"), &[]);
        server.ready(&http, Duration::from_secs(180)).await;
        let token = crate::crash::login(&http, &server.url, &format!("{dept}_clerk")).await;
        let (url, h, t) = (server.url.clone(), http.clone(), token.clone());
        let sent = tokio::spawn(async move { h.post(format!("{url}/api/welfare/runs")).bearer_auth(&t).json(&json!({ "month": month_of() })).send().await });
        tokio::time::sleep(Duration::from_millis(delay_ms)).await;
        server.child.kill().expect("kill -9");
        server.child.wait().expect("reap");
        let acked = matches!(sent.await.expect("sender"), Ok(r) if r.status().is_success());
        let (runs, said, lines) = kept(&db, dept, &month).await;
        eprintln!("{dept}: killed after {delay_ms} ms; acknowledged {acked}; runs {runs}, lines {lines} of {said}");
        assert!(runs <= 1, "{dept}: a month's run was made twice");
        assert_eq!(lines, said, "{dept}: the run was kept in part");
        if acked {
            assert_eq!(runs, 1, "{dept}: acknowledged but not kept");
        }

        // Restarted: the run is made once — again if it was lost, refused if it was kept.
        let mut server = DemoServer::start(&data, dir.path(), &format!("welfare-{i}-again"), &[]);
        server.ready(&http, Duration::from_secs(180)).await;
        let token = crate::crash::login(&http, &server.url, &format!("{dept}_clerk")).await;
        let r = http.post(format!("{}/api/welfare/runs", server.url)).bearer_auth(&token).json(&json!({ "month": month })).send().await.expect("again");
        let status = r.status();
        let v: Value = r.json().await.expect("json");
        if runs == 1 {
            assert_eq!((status.as_u16(), v["code"].as_str()), (409, Some("run_exists")), "{dept}: {v}");
        } else {
            assert!(status.is_success(), "{dept}: {v}");
        }
        drop(server);
        let (runs, said, lines) = kept(&db, dept, &month).await;
        assert_eq!((runs, lines), (1, said), "{dept}: one whole run");
    }
    // No person is paid twice for a benefit and month.
    let pool = open_sqlite(&db, true).await;
    let twice: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM (SELECT person_key, benefit, month FROM welfare_payment GROUP BY person_key, benefit, month HAVING COUNT(*) > 1) AS d")
        .fetch_one(&pool)
        .await
        .expect("count");
    pool.close().await;
    assert_eq!(twice, 0);
}

fn month_of() -> String {
    welfare::Month::of(domain::china_date(chrono::Utc::now())).to_string()
}
