//! The operator's commands: help texts, `catalog check` on the real catalog and a broken copy,
//! `db migrate`, `demo --no-serve`, `report reductions` and `verify-history` against tampering.

use std::path::Path;

use sqlx::Row;

use crate::helpers::{copy_db, open_sqlite, run_in, sqlite_url, workspace};

#[test]
fn help_describes_every_command() {
    let dir = tempfile::tempdir().expect("tempdir");
    let top = run_in(dir.path(), &["--help"]);
    top.expect_code(0, "--help");
    for cmd in ["serve", "demo", "catalog", "db", "report", "verify-history", "bench"] {
        assert!(top.stdout.lines().any(|l| l.trim_start().starts_with(cmd)), "{cmd} in\n{}", top.stdout);
    }
    assert!(top.stdout.contains("一件事") && top.stdout.contains("MINSHENG__"), "{}", top.stdout);

    // Each command says what it does and which options it takes.
    for (args, says) in [
        (&["serve"][..], &["Serve the API"][..]),
        (&["demo"], &["demo district", "--data-dir", "--residents", "--enterprises", "--history", "--no-serve", "--listen", "--fresh"]),
        (&["catalog"], &["check"]),
        (&["catalog", "check"], &["Validate a catalog", "<PATH>"]),
        (&["db"], &["migrate"]),
        (&["db", "migrate"], &["migrations", "--database-url"]),
        (&["report"], &["reductions"]),
        (&["report", "reductions"], &["item by item", "--format", "--database-url"]),
        (&["verify-history"], &["hash-chained history", "--database-url"]),
        (&["bench"], &["Benchmark", "onething", "pool", "cockpit", "circles", "--seconds"]),
        // The benchmarks live together, one per area.
        (&["bench", "onething"], &["filings", "--seconds"]),
        (&["bench", "pool"], &["recognition checks", "--clients"]),
        (&["bench", "cockpit"], &["cockpit"]),
        (&["bench", "circles"], &["--nodes", "--facilities"]),
    ] {
        let mut a = args.to_vec();
        a.push("--help");
        let r = run_in(dir.path(), &a);
        r.expect_code(0, &a.join(" "));
        assert!(r.stdout.contains(&format!("Usage: minsheng {}", args.join(" "))), "{a:?}:\n{}", r.stdout);
        for s in says {
            assert!(r.stdout.contains(s), "{a:?} mentions {s:?}:\n{}", r.stdout);
        }
    }
    let v = run_in(dir.path(), &["--version"]);
    v.expect_code(0, "--version");
    assert!(v.stdout.starts_with("minsheng "), "{}", v.stdout);
    // A mistake prints the usage and fails.
    let r = run_in(dir.path(), &["no-such-command"]);
    assert_eq!(r.code, Some(2), "{r:?}");
    assert!(r.stderr.contains("Usage"), "{}", r.stderr);
}

/// `N 个事项 items` → N.
fn count_before(text: &str, label: &str) -> u64 {
    let at = text.find(label).unwrap_or_else(|| panic!("{label:?} in {text}"));
    text[..at].split_whitespace().last().and_then(|n| n.parse().ok()).unwrap_or_else(|| panic!("a number before {label:?} in {text}"))
}

#[test]
fn catalog_check_accepts_the_repository_catalog_and_prints_counts() {
    let r = run_in(&workspace(), &["catalog", "check", "catalog"]);
    r.expect_code(0, "catalog check catalog");
    let out = &r.stdout;
    assert!(count_before(out, "个部门 departments") >= 12, "{out}");
    assert!(count_before(out, "个事项 items") >= 60, "{out}");
    assert!(count_before(out, "件一件事 bundles") >= 15, "{out}");
    assert!(count_before(out, "个流程 workflows") >= 1, "{out}");
    // One line per life stage: 9 personal and 4 enterprise.
    let stages: Vec<&str> = out.lines().filter(|l| l.starts_with("  ")).collect();
    assert_eq!(stages.len(), 13, "{out}");
    assert!(stages.iter().all(|l| l.split_whitespace().last().and_then(|n| n.parse::<u32>().ok()).is_some_and(|n| n >= 1)), "{out}");
    assert!(r.stderr.trim().is_empty(), "{}", r.stderr);
}

/// The 1-based line of the first line of `file` containing `needle`.
fn line_of(file: &Path, needle: &str) -> usize {
    let text = std::fs::read_to_string(file).expect("read");
    text.lines().position(|l| l.contains(needle)).map(|i| i + 1).unwrap_or_else(|| panic!("{needle:?} in {}", file.display()))
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read dir") {
        let e = e.expect("entry");
        let target = to.join(e.file_name());
        if e.file_type().expect("type").is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).expect("copy");
        }
    }
}

fn edit(file: &Path, f: impl FnOnce(String) -> String) {
    let text = std::fs::read_to_string(file).expect("read");
    let new = f(text.clone());
    assert_ne!(new, text, "the edit of {} changed it", file.display());
    std::fs::write(file, new).expect("write");
}

#[test]
fn catalog_check_names_file_line_and_field_of_each_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cat = dir.path().join("catalog");
    copy_dir(&workspace().join("catalog"), &cat);
    let (wjw, ga, cl) = (cat.join("items/wjw.toml"), cat.join("items/ga.toml"), cat.join("items/cl.toml"));
    // A promise longer than the law allows (wjw-birth-cert: legal 20 days).
    edit(&wjw, |t| {
        let at = t.find("code = \"wjw-birth-cert\"").expect("the item");
        let (head, tail) = t.split_at(at);
        format!("{head}{}", tail.replacen("promised_days = 1\n", "promised_days = 30\n", 1))
    });
    // A value of the wrong type.
    edit(&cl, |t| t.replacen("online = false", "online = \"sometimes\"", 1));
    // A second item with an existing code, carrying a key the catalog does not know.
    edit(&ga, |t| {
        format!(
            "{t}\n[[item]]\ncode = \"wjw-birth-cert\"\nname = \"重复的事项\"\nname_en = \"Duplicate\"\ndepartment = \"ga\"\nsubject = \"person\"\n\
             legal_days = 20\npromised_days = 1\nlevels = [\"district\"]\nonline = false\nvisits = 1\nworkflow = \"standard\"\n\
             materials = [\"id_card\"]\ncolour = \"red\"\n"
        )
    });

    let r = run_in(dir.path(), &["catalog", "check", "catalog"]);
    r.expect_code(1, "a broken catalog");
    let err = &r.stderr;
    let find = |file: &str, line: usize, field: &str| {
        let at = format!("{file}:{line}:");
        err.lines()
            .find(|l| l.contains(&at) && l.contains(field))
            .unwrap_or_else(|| panic!("an error at {at} about {field}:\n{err}"))
            .to_owned()
    };
    let promised = find("items/wjw.toml", line_of(&wjw, "promised_days = 30"), "item[wjw-birth-cert].promised_days");
    assert!(promised.contains("30") && promised.contains("20"), "{promised}");
    let typed = find("items/cl.toml", line_of(&cl, "online = \"sometimes\""), ".online");
    assert!(typed.contains("boolean") || typed.contains("布尔"), "{typed}");
    let unknown = find("items/ga.toml", line_of(&ga, "colour = \"red\""), ".colour");
    assert!(unknown.contains("colour"), "{unknown}");
    // The duplicate names both places it is defined.
    let dup_ga = line_of(&ga, "name = \"重复的事项\"") - 1;
    let dup = err
        .lines()
        .find(|l| l.contains("wjw-birth-cert") && l.contains(".code") && (l.contains("重复") || l.contains("duplicate")))
        .unwrap_or_else(|| panic!("a duplicate-code error:\n{err}"));
    assert!(dup.contains(&format!("items/ga.toml:{dup_ga}")), "{dup}");
    assert!(dup.contains(&format!("items/wjw.toml:{}", line_of(&wjw, "code = \"wjw-birth-cert\""))), "{dup}");
    // Every error is on its own line, in both languages, and the total is told.
    assert!(err.contains("4 error(s)"), "{err}");
    assert!(r.stdout.trim().is_empty(), "nothing claims success: {}", r.stdout);

    // A path that does not exist is an error too, not an empty catalog.
    let r = run_in(dir.path(), &["catalog", "check", "no-such-dir"]);
    r.expect_code(1, "a missing catalog");
    assert!(r.stderr.contains("no-such-dir"), "{}", r.stderr);
}

async fn tables(db: &Path) -> Vec<String> {
    let pool = open_sqlite(db, true).await;
    let rows = sqlx::query("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").fetch_all(&pool).await.expect("tables");
    pool.close().await;
    rows.iter().map(|r| r.get::<String, _>("name")).collect()
}

#[tokio::test]
async fn db_migrate_creates_the_schema_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("data/x.db");
    let url = sqlite_url(&db);
    let r = run_in(dir.path(), &["db", "migrate", "--database-url", &url]);
    r.expect_code(0, "db migrate");
    assert!(r.stdout.contains("SQLite"), "{}", r.stdout);
    let t = tables(&db).await;
    for want in ["_sqlx_migrations", "account", "application", "history", "item_case", "notice", "idempotency", "person"] {
        assert!(t.iter().any(|x| x == want), "{want} in {t:?}");
    }
    // Again: nothing to do, nothing broken.
    run_in(dir.path(), &["db", "migrate", "--database-url", &url]).expect_code(0, "db migrate again");
    assert_eq!(tables(&db).await, t);
    let pool = open_sqlite(&db, true).await;
    let applied: i64 = sqlx::query("SELECT COUNT(*) AS n FROM _sqlx_migrations WHERE success").fetch_one(&pool).await.expect("count").get("n");
    pool.close().await;
    let files = std::fs::read_dir(workspace().join("crates/store/migrations")).expect("migrations").count();
    assert_eq!(applied as usize, files, "every migration in the repository, once");

    let r = run_in(dir.path(), &["db", "migrate", "--database-url", "mysql://localhost/x"]);
    r.expect_code(1, "an unsupported database");
    assert!(r.stderr.contains("mysql://localhost/x") && r.stderr.contains("sqlite"), "{}", r.stderr);
}

/// An application with at least `n` history entries: (id, number of entries).
async fn app_with_history(db: &Path, n: i64) -> (i64, i64) {
    let pool = open_sqlite(db, true).await;
    // A finished one: its cases were started and its status set by its history.
    let row = sqlx::query(
        "SELECT application_id, COUNT(*) AS n FROM history
         WHERE application_id IN (SELECT application_id FROM history WHERE case_id IS NULL AND to_state IS NOT NULL)
         GROUP BY application_id HAVING COUNT(*) >= $1 ORDER BY application_id LIMIT 1",
    )
        .bind(n)
        .fetch_one(&pool)
        .await
        .expect("an application with a history");
    pool.close().await;
    (row.get("application_id"), row.get("n"))
}

async fn tamper(from: &Path, to: &Path, sql: &str, app: i64, seq: i64) {
    copy_db(from, to);
    let pool = open_sqlite(to, false).await;
    let r = sqlx::query(sqlx::AssertSqlSafe(sql.to_owned())).bind(app).bind(seq).execute(&pool).await.expect("tamper");
    assert_eq!(r.rows_affected(), 1, "{sql}");
    pool.close().await;
}

#[tokio::test]
async fn demo_report_and_verify_history() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("demo");
    let data_s = data.display().to_string();
    let r = run_in(dir.path(), &["demo", "--data-dir", &data_s, "--residents", "300", "--enterprises", "20", "--history", "200", "--no-serve"]);
    r.expect_code(0, "demo --no-serve");
    assert!(r.stdout.contains("300 名居民") && r.stdout.contains("20 家企业"), "{}", r.stdout);
    let db = data.join("minsheng.db");
    let url = sqlite_url(&db);
    // Running it again keeps the data.
    let again = run_in(dir.path(), &["demo", "--data-dir", &data_s, "--no-serve"]);
    again.expect_code(0, "demo again");
    assert!(again.stdout.contains("已存在") || again.stdout.contains("already"), "{}", again.stdout);

    // The report as a table, with a total line.
    let table = run_in(dir.path(), &["report", "reductions", "--database-url", &url]);
    table.expect_code(0, "report reductions");
    let total = table.stdout.lines().find(|l| l.starts_with("全部一件事")).unwrap_or_else(|| panic!("a total line:\n{}", table.stdout));
    assert!(total.contains('%') && total.contains('→'), "{total}");
    assert!(table.stdout.contains("出生一件事"), "{}", table.stdout);
    assert!(table.stdout.contains("formula") || table.stdout.contains("公式"), "{}", table.stdout);

    // And as JSON: the total is the sum of the bundles, computed from the cases.
    let json = run_in(dir.path(), &["report", "reductions", "--database-url", &url, "--format", "json"]);
    json.expect_code(0, "report reductions --format json");
    let v: serde_json::Value = serde_json::from_str(&json.stdout).unwrap_or_else(|e| panic!("{e}: {}", json.stdout));
    let n = v["total"]["applications"].as_i64().expect("total.applications");
    assert!(n > 0, "{}", v["total"]);
    let bundles = v["bundles"].as_array().expect("bundles");
    assert_eq!(bundles.iter().map(|b| b["applications"].as_i64().unwrap_or(0)).sum::<i64>(), n);
    for k in ["materials", "trips", "days"] {
        let sum: i64 = bundles.iter().map(|b| b["baseline"][k].as_i64().unwrap_or(0)).sum();
        assert_eq!(v["total"]["baseline"][k].as_i64(), Some(sum), "total baseline {k}");
        let r = v["total"]["reduction"][k].as_f64().expect("a reduction");
        assert!((0.0..=1.0).contains(&r), "{k}: {r}");
    }
    let pool = open_sqlite(&db, true).await;
    let completed: i64 = sqlx::query("SELECT COUNT(*) AS n FROM application WHERE target_kind = 'bundle' AND status = 'completed'")
        .fetch_one(&pool)
        .await
        .expect("count")
        .get("n");
    pool.close().await;
    assert!(completed > 0 && n <= completed, "measured over completed bundles: {n} of {completed}");
    let r = run_in(dir.path(), &["report", "reductions", "--database-url", &url, "--format", "yaml"]);
    assert_eq!(r.code, Some(1), "an unknown format fails: {r:?}");

    // The untouched history verifies.
    let ok = run_in(dir.path(), &["verify-history", "--database-url", &url]);
    ok.expect_code(0, "verify-history");
    assert!(ok.stdout.contains("intact"), "{}", ok.stdout);

    // Three kinds of tampering, each on its own copy, each found and named.
    let (app, entries) = app_with_history(&db, 4).await;
    for (name, sql, seq) in [
        ("an edited entry", "UPDATE history SET detail = detail || ' ' WHERE application_id = $1 AND seq = $2", 2),
        ("the last entry deleted", "DELETE FROM history WHERE application_id = $1 AND seq = $2", entries),
        ("a middle entry deleted", "DELETE FROM history WHERE application_id = $1 AND seq = $2", entries / 2),
    ] {
        let copy = dir.path().join(format!("{}.db", name.replace(' ', "-")));
        tamper(&db, &copy, sql, app, seq).await;
        let r = run_in(dir.path(), &["verify-history", "--database-url", &sqlite_url(&copy)]);
        r.expect_code(1, name);
        let named: Vec<&str> = r.stdout.lines().filter(|l| l.contains("application ")).filter(|l| !l.contains("checked")).collect();
        assert_eq!(named.len(), 1, "{name}: one application is named:\n{}", r.stdout);
        assert!(named[0].contains(&app.to_string()), "{name}: {}", r.stdout);
    }
    // Rows that no longer match their history (issue 29: two servers with one node number
    // overwrote cases, and the chain alone still verified), each found and the application named.
    for (name, sql) in [
        ("a case's state rewritten", "UPDATE item_case SET state = 'forged' WHERE id = (SELECT MIN(id) FROM item_case WHERE application_id = $1 AND state IS NOT NULL) AND $2 > 0"),
        ("a case's status rewritten", "UPDATE item_case SET status = 'waiting' WHERE id = (SELECT MIN(id) FROM item_case WHERE application_id = $1 AND state IS NOT NULL) AND $2 > 0"),
        ("a case taken over by another application", "UPDATE item_case SET application_id = (SELECT MIN(id) FROM application WHERE id <> $1) WHERE id = (SELECT MIN(id) FROM item_case WHERE application_id = $1) AND $2 > 0"),
        ("an application's status rewritten", "UPDATE application SET status = 'withdrawn' WHERE id = $1 AND $2 > 0 AND EXISTS (SELECT 1 FROM history WHERE application_id = $1 AND case_id IS NULL AND to_state IS NOT NULL)"),
    ] {
        let copy = dir.path().join(format!("{}.db", name.replace(' ', "-").replace('\'', "")));
        tamper(&db, &copy, sql, app, 1).await;
        let r = run_in(dir.path(), &["verify-history", "--database-url", &sqlite_url(&copy)]);
        r.expect_code(1, name);
        let named: Vec<&str> = r.stdout.lines().filter(|l| l.contains("application ")).filter(|l| !l.contains("checked")).collect();
        assert!(named.iter().any(|l| l.contains(&app.to_string()) && l.contains("history says")), "{name}: the application is named:\n{}", r.stdout);
    }
    // The original is still intact (the copies were tampered with, not it).
    run_in(dir.path(), &["verify-history", "--database-url", &url]).expect_code(0, "the original");
}
