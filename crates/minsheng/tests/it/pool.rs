//! The shared data pool's commands on a demo district: `cert verify` offline (the data
//! directory's key or a published one), with a forged, an expired and a revoked certificate;
//! `fhir import` of a good and a malformed Bundle; `pool verify-log` before and after tampering.

use chrono::Utc;
use pool::cert::{CredentialBody, RecordCert, short_hash};
use serde_json::json;

use crate::helpers::{run_in, sqlite_url};

#[tokio::test]
async fn cert_verify_fhir_import_and_verify_log() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("demo");
    let data_s = data.display().to_string();
    run_in(dir.path(), &["demo", "--data-dir", &data_s, "--residents", "150", "--enterprises", "10", "--history", "30", "--no-serve"])
        .expect_code(0, "demo --no-serve");
    let key_file = data.join("pool-signing.key");
    assert!(key_file.is_file(), "the signing key is generated into the data directory");
    let key = pool::DistrictKey::from_text(&std::fs::read_to_string(&key_file).expect("key")).expect("a key");
    let db = data.join("minsheng.db");
    let url = sqlite_url(&db);

    // A certificate of a record in the demo's pool, as the server issues it.
    let store = store::Store::open(&store::StoreOptions::new(&url)).await.expect("store");
    let (record, subject) = {
        use sqlx::Row;
        let r = sqlx::query("SELECT id, subject_key FROM shared_record WHERE record_type = 'resident_id_card' ORDER BY id LIMIT 1")
            .fetch_one(store.read_pool())
            .await
            .expect("a record");
        (r.try_get::<i64, _>("id").expect("id"), r.try_get::<String, _>("subject_key").expect("key"))
    };
    let now = Utc::now().timestamp();
    let body = |id: i64, exp: Option<i64>| {
        CredentialBody::Record(RecordCert {
            id: id.to_string(),
            rid: record.to_string(),
            v: 1,
            rt: "resident_id_card".into(),
            rn: "居民身份证".into(),
            iss: "ga".into(),
            isn: "杭州市公安局富阳区分局".into(),
            hn: "测*".into(),
            hk: domain::mask::id_number(&subject),
            hh: short_hash(&[&id.to_string(), &subject]),
            dh: short_hash(&["{}"]),
            iat: now,
            exp,
        })
    };
    let cred = key.sign(&body(900_001, Some(now + 86_400)));
    let short = key.sign(&body(900_002, Some(now + 60)));
    store
        .pool().insert_credentials(&[store::CredentialRow {
            id: 900_001,
            kind: "certificate".into(),
            record_id: Some(record),
            rider_id: None,
            subject_key: subject.clone(),
            issued_at: Utc::now(),
            valid_until: None,
            key_id: key.public().key_id(),
            payload: cred.text.clone(),
            revoked_at: None,
            revoked_reason: None,
        }])
        .await
        .expect("credential");
    store.close().await;

    // Offline with the data directory's key (from the configuration's data_dir), and with the published key.
    let cred_file = dir.path().join("cert.txt");
    std::fs::write(&cred_file, &cred.text).expect("write");
    let with_dir = |args: &[&str]| {
        let mut c = crate::helpers::minsheng(args);
        c.current_dir(dir.path()).env("MINSHENG__DATA_DIR", &data_s);
        crate::helpers::run(&mut c)
    };
    let r = with_dir(&["cert", "verify", &cred_file.display().to_string()]);
    r.expect_code(0, "valid offline");
    assert!(r.stdout.contains("VALID") && r.stdout.contains("居民身份证") && r.stdout.contains("revocation not checked"), "{}", r.stdout);
    let pk = key.public().to_text();
    run_in(dir.path(), &["cert", "verify", &cred.text, "--public-key", &pk]).expect_code(0, "valid with the published key");
    let other = pool::DistrictKey::from_seed(&[9; 32]).public().to_text();
    let r = run_in(dir.path(), &["cert", "verify", &cred.text, "--public-key", &other]);
    r.expect_code(1, "another district's key");
    // A base64url key may begin with '-': it is still the option's value (exit 1, not a usage error).
    let dashed = (0u8..=255)
        .map(|i| pool::DistrictKey::from_seed(&[i; 32]).public().to_text())
        .find(|t| t.starts_with('-'))
        .expect("a key beginning with '-'");
    run_in(dir.path(), &["cert", "verify", &cred.text, "--public-key", &dashed]).expect_code(1, "a key beginning with '-'");

    // Forged: one character changed.
    let mut chars: Vec<char> = cred.text.chars().collect();
    let i = chars.len() - 20;
    chars[i] = if chars[i] == '0' { '1' } else { '0' };
    let forged: String = chars.into_iter().collect();
    let r = run_in(dir.path(), &["cert", "verify", &forged, "--public-key", &pk, "--json"]);
    r.expect_code(1, "forged");
    let v: serde_json::Value = serde_json::from_str(&r.stdout).expect("json");
    assert!(matches!(v["code"].as_str(), Some("credential_forged" | "credential_malformed")), "{v}");

    // Expired.
    let later = (Utc::now() + chrono::Duration::hours(1)).to_rfc3339();
    let r = run_in(dir.path(), &["cert", "verify", &short.text, "--public-key", &pk, "--at", &later]);
    r.expect_code(1, "expired");
    assert!(r.stdout.contains("INVALID") && r.stdout.contains("expired"), "{}", r.stdout);

    // Revoked: only a verifier with the database knows.
    let store = store::Store::open(&store::StoreOptions::new(&url)).await.expect("store");
    assert!(store.pool().revoke_record(domain::RecordId(record), Utc::now(), "测试撤销").await.expect("revoke"));
    store.close().await;
    run_in(dir.path(), &["cert", "verify", &cred.text, "--public-key", &pk]).expect_code(0, "offline cannot know");
    let r = run_in(dir.path(), &["cert", "verify", &cred.text, "--public-key", &pk, "--database-url", &url]);
    r.expect_code(1, "revoked");
    assert!(r.stdout.contains("revoked"), "{}", r.stdout);

    // fhir import: a Bundle with a patient and a result; a malformed one fails and writes nothing.
    let bundle = json!({"resourceType": "Bundle", "type": "batch", "entry": [
        {"fullUrl": "urn:uuid:p1", "resource": {"resourceType": "Patient", "identifier": [{"system": "urn:oid:2.16.156.10011.1.1", "value": "330183199001011232"}]}},
        {"resource": {"resourceType": "DiagnosticReport", "id": "cli-dr-1", "status": "final",
            "code": {"coding": [{"system": "http://loinc.org", "code": "24331-1"}]}, "subject": {"reference": "urn:uuid:p1"},
            "effectiveDateTime": "2026-03-01T08:00:00+08:00",
            "performer": [{"identifier": {"system": "https://minsheng.fuyang.gov.cn/fhir/sid/institution", "value": "fy-1h"}}]}}
    ]});
    let good = dir.path().join("bundle.json");
    std::fs::write(&good, bundle.to_string()).expect("write");
    let r = run_in(dir.path(), &["fhir", "import", &good.display().to_string(), "--database-url", &url]);
    r.expect_code(0, "fhir import");
    assert!(r.stdout.contains("1 个患者 patients, 1 条结果 results"), "{}", r.stdout);
    let mut broken = bundle.clone();
    broken["entry"][1]["resource"]["status"] = json!("finished");
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, broken.to_string()).expect("write");
    let r = run_in(dir.path(), &["fhir", "import", &bad.display().to_string(), "--database-url", &url]);
    r.expect_code(1, "invalid bundle");
    assert!(r.stderr.contains("entry[1].resource.status"), "{}", r.stderr);

    // The access log: intact, then an entry edited.
    let intact = run_in(dir.path(), &["pool", "verify-log", "--database-url", &url]);
    intact.expect_code(0, "intact log");
    assert!(intact.stdout.contains("agree with their versions"), "{}", intact.stdout);
    let pool_db = crate::helpers::open_sqlite(&db, false).await;
    // A record published by a case, moved under another application (what an id clash did): the
    // rows, not only the chain, are checked (issue 29).
    let moved: i64 = sqlx::query_scalar("SELECT id FROM shared_record WHERE case_id IS NOT NULL ORDER BY id LIMIT 1").fetch_one(&pool_db).await.expect("a record a case published");
    sqlx::query("UPDATE shared_record SET application_id = application_id + 1 WHERE id = $1").bind(moved).execute(&pool_db).await.expect("tamper");
    let r = run_in(dir.path(), &["pool", "verify-log", "--database-url", &url]);
    r.expect_code(1, "a record's row differs");
    assert!(r.stdout.contains(&format!("record {moved}: the case that published it")), "{}", r.stdout);
    sqlx::query("UPDATE shared_record SET application_id = application_id - 1 WHERE id = $1").bind(moved).execute(&pool_db).await.expect("undo");
    let n = sqlx::query("UPDATE access_log SET basis = 'consent' WHERE seq = 1").execute(&pool_db).await.expect("tamper").rows_affected();
    assert_eq!(n, 1, "the demo's history left entries in the access log");
    pool_db.close().await;
    let r = run_in(dir.path(), &["pool", "verify-log", "--database-url", &url]);
    r.expect_code(1, "tampered log");
    assert!(r.stdout.contains("changed"), "{}", r.stdout);
}
