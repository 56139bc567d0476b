//! Medical insurance's commands on a demo district: `medins load` of a CSV as a hospital's
//! account (a re-load changes nothing; a bad amount and an unknown diagnosis name file, line and
//! column and load nothing; an unknown account is refused) and `bench medins`.

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
