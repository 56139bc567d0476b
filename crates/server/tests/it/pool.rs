//! The shared data pool over HTTP, on SQLite and (when configured) PostgreSQL: purpose-bound reads
//! with every read and refusal in the subject's access log, consents, corrections and revocation,
//! e-certificates that verify offline and fail when forged, expired or revoked, the filing's
//! look-ups logged, the hash-chained log's tamper detection, and rider codes at a gate.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{ClockExt, Db, TestApp, backends};

async fn refused_count(t: &TestApp) -> usize {
    t.strings("SELECT hash FROM access_log WHERE outcome = 'refused'").await.len()
}

fn record_of<'a>(list: &'a Value, record_type: &str) -> &'a Value {
    list.as_array().and_then(|l| l.iter().find(|r| r["record_type"] == record_type)).unwrap_or_else(|| panic!("{record_type} in {list}"))
}

async fn records_story(t: &TestApp) {
    let (me, citizen) = t.citizen().await;
    let own = t.get(&citizen, "/api/pool/records").await;
    assert_eq!(own.status, StatusCode::OK, "{}", own.body);
    let card = record_of(&own.body, "resident_id_card");
    let rid = card["id"].as_str().expect("id").to_owned();
    assert_eq!(card["data"]["id_number"], me.as_str());
    assert_eq!(card["status"], "current");

    // A clerk without a purpose is refused, and the refusal is logged.
    let ga = t.login("ga_clerk").await;
    let before = refused_count(t).await;
    let r = t.get(&ga, &format!("/api/pool/records/{rid}")).await;
    assert_eq!((r.status, r.code()), (StatusCode::FORBIDDEN, "purpose_required"), "{}", r.body);
    assert_eq!(refused_count(t).await, before + 1, "the refusal is in the access log");
    let r = t.get(&ga, &format!("/api/pool/records/{rid}?purpose=case&ref=12345")).await;
    assert_eq!((r.status, r.code()), (StatusCode::FORBIDDEN, "unknown_case"));
    let r = t.get(&ga, &format!("/api/pool/records/{rid}?purpose=curiosity")).await;
    assert_eq!((r.status, r.code()), (StatusCode::UNPROCESSABLE_ENTITY, "invalid_purpose"));

    // With the subject's consent the read is lawful — for the grantee only, while it lasts.
    let c = t
        .post(&citizen, "/api/pool/me/consents", json!({"grantee_kind": "org", "grantee": "ga", "record_types": ["resident_id_card"], "purpose": "办理租房备案", "valid_days": 30}))
        .await;
    assert_eq!(c.status, StatusCode::CREATED, "{}", c.body);
    let cid = c.body["id"].as_str().expect("consent id").to_owned();
    let r = t.get(&ga, &format!("/api/pool/records/{rid}?purpose=consent&ref={cid}")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["data"]["id_number"], me.as_str());
    let mzj = t.login("mzj_clerk").await;
    let r = t.get(&mzj, &format!("/api/pool/records/{rid}?purpose=consent&ref={cid}")).await;
    assert_eq!((r.status, r.code()), (StatusCode::FORBIDDEN, "consent_not_yours"));
    // The record and the consent are looked up together: a consent that does not exist is a
    // logged refusal, a record that does not exist a 404 whatever the consent.
    let before = refused_count(t).await;
    let r = t.get(&ga, &format!("/api/pool/records/{rid}?purpose=consent&ref=987654321")).await;
    assert_eq!((r.status, r.code()), (StatusCode::FORBIDDEN, "unknown_consent"), "{}", r.body);
    assert_eq!(refused_count(t).await, before + 1);
    let r = t.get(&ga, &format!("/api/pool/records/987654321?purpose=consent&ref={cid}")).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    let bad = t.post(&citizen, "/api/pool/me/consents", json!({"grantee_kind": "org", "grantee": "nobody", "record_types": ["*"], "purpose": "x", "valid_days": 3})).await;
    assert_eq!((bad.status, bad.code()), (StatusCode::UNPROCESSABLE_ENTITY, "unknown_grantee"));
    let w = t.post(&citizen, &format!("/api/pool/me/consents/{cid}/revoke"), json!({})).await;
    assert_eq!(w.status, StatusCode::OK, "{}", w.body);
    assert_eq!(w.body["active"], false);
    let r = t.get(&ga, &format!("/api/pool/records/{rid}?purpose=consent&ref={cid}")).await;
    assert_eq!((r.status, r.code()), (StatusCode::FORBIDDEN, "consent_inactive"));

    // The citizen sees who read their data and why, refusals included.
    let log = t.get(&citizen, "/api/pool/me/access-log?limit=50").await;
    assert_eq!(log.status, StatusCode::OK);
    let entries = log.body.as_array().expect("entries");
    assert!(entries.iter().any(|e| e["reader_org"] == "ga" && e["outcome"] == "allowed" && e["purpose"] == "consent" && e["purpose_ref"] == cid.as_str()), "{entries:?}");
    assert!(entries.iter().any(|e| e["reader_org"] == "mzj" && e["outcome"] == "refused"));
    assert!(entries.iter().any(|e| e["reader_org"] == "ga" && e["basis"] == "purpose_required" && e["purpose_name"] == "未说明用途"), "{entries:?}");
    assert!(entries.iter().filter(|e| e["basis"] == "own_data").all(|e| e["purpose_name"] == "本人查询"), "{entries:?}");
    assert!(entries.iter().all(|e| e["hash"].as_str().is_some_and(|h| h.len() == 64)));
    assert!(entries.iter().any(|e| e["reader_org_name"].as_str().is_some_and(|n| n.contains("公安"))));

    // Publishing: the right department, a valid subject, data matching the schema.
    let body = json!({"record_type": "marriage_registration", "subject": me, "data": {"name": "测试", "spouse_name": "王二", "registered_on": "2025-05-20", "certificate_number": "J330111-2025-0001"}});
    let r = t.post(&ga, "/api/pool/records", body.clone()).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let mut wrong = body.clone();
    wrong["subject"] = json!("330183199001011231");
    let r = t.post(&mzj, "/api/pool/records", wrong).await;
    assert_eq!((r.status, r.body["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("subject")), "{}", r.body);
    let mut missing = body.clone();
    missing["data"].as_object_mut().map(|m| m.remove("registered_on"));
    let r = t.post(&mzj, "/api/pool/records", missing).await;
    assert_eq!((r.status, r.code(), r.body["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, "invalid_record_field", Some("data.registered_on")));
    let before = t.count("shared_record").await;
    let v1 = t.post(&mzj, "/api/pool/records", body).await;
    assert_eq!(v1.status, StatusCode::CREATED, "{}", v1.body);
    assert_eq!(t.count("shared_record").await, before + 1);
    let v1id = v1.body["id"].as_str().expect("id").to_owned();

    // Corrections make versions; the old one is never overwritten.
    let fix = json!({"data": {"name": "测试", "spouse_name": "王三", "registered_on": "2025-05-20", "certificate_number": "J330111-2025-0001"}, "reason": "配偶姓名录入错误"});
    let v2 = t.post(&mzj, &format!("/api/pool/records/{v1id}/corrections"), fix.clone()).await;
    assert_eq!(v2.status, StatusCode::CREATED, "{}", v2.body);
    assert_eq!((v2.body["version"].as_i64(), v2.body["supersedes"].as_str()), (Some(2), Some(v1id.as_str())));
    let again = t.post(&mzj, &format!("/api/pool/records/{v1id}/corrections"), fix).await;
    assert_eq!((again.status, again.code()), (StatusCode::CONFLICT, "record_superseded"));
    let v2id = v2.body["id"].as_str().expect("id").to_owned();
    let current = t.get(&citizen, "/api/pool/records").await.body;
    let marriages: Vec<&Value> = current.as_array().expect("list").iter().filter(|r| r["record_type"] == "marriage_registration").collect();
    assert!(marriages.iter().any(|r| r["id"] == v2id.as_str()) && !marriages.iter().any(|r| r["id"] == v1id.as_str()), "{marriages:?}");
    let history = t.get(&citizen, "/api/pool/records?history=true").await.body;
    let old = history.as_array().expect("list").iter().find(|r| r["id"] == v1id.as_str()).expect("v1 kept");
    assert_eq!((old["status"].as_str(), old["data"]["spouse_name"].as_str()), (Some("superseded"), Some("王二")));
    // The engine fills in current versions only.
    let refs = t.state.store.onething().records_of(&me).await.expect("records_of");
    assert!(refs.iter().any(|r| r.id.to_string() == v2id) && !refs.iter().any(|r| r.id.to_string() == v1id));

    let rv = t.post(&mzj, &format!("/api/pool/records/{v2id}/revoke"), json!({"reason": "登记撤销"})).await;
    assert_eq!((rv.status, rv.body["status"].as_str()), (StatusCode::OK, Some("revoked")), "{}", rv.body);
    let rv = t.post(&mzj, &format!("/api/pool/records/{v2id}/revoke"), json!({"reason": "again"})).await;
    assert_eq!((rv.status, rv.code()), (StatusCode::CONFLICT, "record_revoked"));
    let refs = t.state.store.onething().records_of(&me).await.expect("records_of");
    assert!(!refs.iter().any(|r| r.id.to_string() == v2id), "a revoked record is not filled in");

    // The log's chain verifies, and an edited entry is found.
    let admin = t.login("admin").await;
    let v = t.get(&admin, "/api/pool/access-log/verify").await;
    assert_eq!(v.status, StatusCode::OK, "{}", v.body);
    assert_eq!(v.body["broken"], json!([]), "{}", v.body);
    assert!(v.body["entries"].as_u64().unwrap_or(0) >= 8);
    sqlx::query("UPDATE access_log SET outcome = 'allowed' WHERE outcome = 'refused' AND reader_org = 'mzj'")
        .execute(t.state.store.write_pool())
        .await
        .expect("tamper");
    let v = t.get(&admin, "/api/pool/access-log/verify").await;
    assert_eq!(v.body["broken"].as_array().map(Vec::len), Some(1), "{}", v.body);
    assert!(v.body["broken"][0]["problem"].as_str().unwrap_or("").contains("changed"));
    let v = t.get(&citizen, "/api/pool/access-log/verify").await;
    assert_eq!(v.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn shared_records_are_read_for_a_purpose_and_every_read_is_logged() {
    for db in backends() {
        let t = TestApp::spawn(db).await;
        records_story(&t).await;
        t.shutdown().await;
    }
}

async fn certificate_story(t: &TestApp) {
    let (me, citizen) = t.citizen().await;
    let own = t.get(&citizen, "/api/pool/records").await.body;
    let rid = record_of(&own, "household_register")["id"].as_str().expect("id").to_owned();
    let c = t.post(&citizen, &format!("/api/pool/records/{rid}/certificate"), json!({})).await;
    assert_eq!(c.status, StatusCode::CREATED, "{}", c.body);
    let cred = c.body["credential"].as_str().expect("credential").to_owned();
    assert!(cred.starts_with("MS1:") && c.body["qr_svg"].as_str().is_some_and(|s| s.contains("<svg")), "{}", c.body);
    // Issuing again returns the live certificate.
    let again = t.post(&citizen, &format!("/api/pool/records/{rid}/certificate"), json!({})).await;
    assert_eq!((again.status, again.body["credential"].as_str()), (StatusCode::OK, Some(cred.as_str())));
    let (_, other) = t.other_citizen(&me).await;
    let r = t.post(&other, &format!("/api/pool/records/{rid}/certificate"), json!({})).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    // Anyone verifies, online; and offline with the published key.
    let v = t.request(Method::POST, None, "/api/pool/verify", Some(json!({"credential": cred})), &[]).await;
    assert_eq!(v.status, StatusCode::OK, "{}", v.body);
    assert_eq!((v.body["valid"].as_bool(), v.body["kind"].as_str(), v.body["record_status"].as_str()), (Some(true), Some("certificate"), Some("current")));
    assert!(v.body["body"]["hk"].as_str().is_some_and(|k| k.contains('*') && !k.contains(&me[6..14])), "masked: {}", v.body);
    let key = t.request(Method::GET, None, "/api/pool/public-key", None, &[]).await;
    let pk = pool::PublicKey::parse(&key.body.to_string()).expect("published key");
    assert!(pool::cert::verify(&cred, &[pk], t.clock.now_utc(), |_| false).is_ok());

    // One changed character: forged.
    let mut chars: Vec<char> = cred.chars().collect();
    let i = chars.len() - 10;
    chars[i] = if chars[i] == 'A' { 'B' } else { 'A' };
    let forged: String = chars.into_iter().collect();
    let v = t.request(Method::POST, None, "/api/pool/verify", Some(json!({"credential": forged})), &[]).await;
    assert_eq!(v.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", v.body);
    assert!(matches!(v.code(), "credential_forged" | "credential_malformed"), "{}", v.body);
    let v = t.request(Method::POST, None, "/api/pool/verify", Some(json!({"credential": "hello"})), &[]).await;
    assert_eq!((v.status, v.code()), (StatusCode::UNPROCESSABLE_ENTITY, "credential_malformed"));

    // Expiry: a residence permit (365 days) verified a year and a half later.
    let ga = t.login("ga_clerk").await;
    let p = t.post(&ga, "/api/pool/records", json!({"record_type": "residence_permit", "subject": me, "data": {"name": "测试", "address": "富春街道"}})).await;
    assert_eq!(p.status, StatusCode::CREATED, "{}", p.body);
    let pid = p.body["id"].as_str().expect("id");
    let pc = t.post(&citizen, &format!("/api/pool/records/{pid}/certificate"), json!({})).await;
    assert_eq!(pc.status, StatusCode::CREATED, "{}", pc.body);
    let permit = pc.body["credential"].as_str().expect("credential").to_owned();

    // Revocation by the publisher reaches the certificate.
    let r = t.post(&ga, &format!("/api/pool/records/{rid}/revoke"), json!({"reason": "户籍迁出"})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let v = t.request(Method::POST, None, "/api/pool/verify", Some(json!({"credential": cred})), &[]).await;
    assert_eq!((v.status, v.code()), (StatusCode::UNPROCESSABLE_ENTITY, "credential_revoked"), "{}", v.body);
    let list = t.request(Method::GET, None, "/api/pool/revocations", None, &[]).await;
    assert!(list.body["revoked"].as_array().is_some_and(|l| l.iter().any(|x| x["id"] == c.body["id"])), "{}", list.body);
    // `since` is an RFC 3339 time, as documented; an empty one is not.
    let r = t.request(Method::GET, None, "/api/pool/revocations?since=", None, &[]).await;
    assert_eq!((r.status, r.code()), (StatusCode::UNPROCESSABLE_ENTITY, "invalid_time"), "{}", r.body);
    let r = t.request(Method::GET, None, "/api/pool/revocations?since=2020-01-01T00:00:00Z", None, &[]).await;
    assert_eq!(r.body["revoked"], list.body["revoked"], "{}", r.body);

    t.clock.advance(chrono::Duration::days(550));
    let v = t.request(Method::POST, None, "/api/pool/verify", Some(json!({"credential": permit})), &[]).await;
    assert_eq!((v.status, v.code()), (StatusCode::UNPROCESSABLE_ENTITY, "credential_expired"), "{}", v.body);
}

#[tokio::test]
async fn certificates_verify_offline_and_fail_when_forged_expired_or_revoked() {
    for db in backends() {
        let t = TestApp::spawn(db).await;
        certificate_story(&t).await;
        t.shutdown().await;
    }
}

#[tokio::test]
async fn a_filings_shared_data_look_ups_are_logged_with_the_filing_as_purpose() {
    let t = TestApp::spawn(Db::Sqlite).await;
    let (_, citizen) = t.citizen().await;
    let app = t.file(&citizen, "birth").await;
    let id = app["id"].as_str().expect("id").to_owned();
    let shared = app["materials"].as_array().expect("materials").iter().filter(|m| m["source"] == "shared" || m["status"] == "shared").count();
    let n = server::areas::pool::cases::log_filing_reads(&t.state).await.expect("log");
    assert!(n >= 1);
    assert_eq!(server::areas::pool::cases::log_filing_reads(&t.state).await.expect("again"), 0, "each filing is logged once");
    let log = t.get(&citizen, "/api/pool/me/access-log").await.body;
    let filing: Vec<&Value> = log.as_array().expect("log").iter().filter(|e| e["purpose"] == "filing" && e["purpose_ref"] == id.as_str()).collect();
    assert!(!filing.is_empty(), "{log}");
    assert!(filing.iter().all(|e| e["outcome"] == "allowed" && e["basis"] == "own_filing"));
    if shared > 0 {
        assert_eq!(filing.len(), shared, "one entry per record filled in");
    }
    t.shutdown().await;
}

async fn rider_story(t: &TestApp) {
    let (me, _) = t.citizen().await;
    let (rider_login, rider) = t.other_citizen(&me).await;
    let ops = t.login("meituan_ops").await;
    let estates = t.get(&ops, "/api/pool/estates").await.body;
    let codes: Vec<String> = estates.as_array().expect("estates").iter().map(|e| e["code"].as_str().expect("code").to_owned()).collect();
    assert!(codes.len() >= 10);
    let before = t.count("rider").await;
    let bad = t.post(&ops, "/api/pool/riders", json!({"id_number": "330183199001011231", "estates": [codes[0]], "valid_days": 30})).await;
    assert_eq!((bad.status, bad.body["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("id_number")));
    let bad = t.post(&ops, "/api/pool/riders", json!({"id_number": rider_login, "estates": ["E999"], "valid_days": 30})).await;
    assert_eq!((bad.status, bad.code()), (StatusCode::UNPROCESSABLE_ENTITY, "unknown_estate"));
    assert_eq!(t.count("rider").await, before, "bad input changes nothing");
    let r = t.post(&ops, "/api/pool/riders", json!({"id_number": rider_login, "estates": [codes[0], codes[1]], "valid_days": 30})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let rid = r.body["rider"]["id"].as_str().expect("rider id").to_owned();
    assert!(r.body["rider"]["id_number"].as_str().is_some_and(|s| s.contains('*')), "masked");
    // The code is issued once the rider consents (issue 27).
    let c = t.post(&rider, &format!("/api/pool/me/riders/{rid}/confirm"), json!({})).await;
    assert_eq!(c.status, StatusCode::OK, "{}", c.body);
    let code = c.body["credential"].as_str().expect("code").to_owned();

    // A gate admits listed estates, online and offline.
    let g = t.request(Method::POST, None, "/api/pool/gate", Some(json!({"credential": code, "estate": codes[0]})), &[]).await;
    assert_eq!((g.status, g.body["result"].as_str(), g.body["platform"].as_str()), (StatusCode::OK, Some("admit"), Some("meituan")), "{}", g.body);
    let g = t.request(Method::POST, None, "/api/pool/gate", Some(json!({"credential": code, "estate": codes[5]})), &[]).await;
    assert_eq!((g.status, g.code()), (StatusCode::FORBIDDEN, "estate_not_allowed"));
    let key = t.request(Method::GET, None, "/api/pool/public-key", None, &[]).await;
    let pk = pool::PublicKey::parse(&key.body.to_string()).expect("key");
    assert!(matches!(pool::rider::gate_check(&code, &[pk], &codes[1], t.clock.now_utc(), |_| false), pool::rider::GateResult::Admit { .. }));

    // The rider sees their code; another platform does not see this platform's riders.
    let mine = t.get(&rider, "/api/pool/me/rider-codes").await;
    assert!(mine.body.as_array().is_some_and(|l| l.iter().any(|c| c["credential"] == code.as_str())), "{}", mine.body);
    let eleme = t.login("eleme_ops").await;
    let r = t.get(&eleme, "/api/pool/riders?platform=meituan").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = t.get(&eleme, &format!("/api/pool/riders/{rid}/code")).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let regulator = t.login("scjg_supervisor").await;
    let s = t.get(&regulator, "/api/pool/riders/summary").await;
    assert_eq!(s.status, StatusCode::OK, "{}", s.body);
    assert!(s.body.as_array().is_some_and(|l| l.iter().any(|p| p["platform"] == "meituan" && p["active"].as_i64().unwrap_or(0) >= 1)));
    let s = t.get(&ops, "/api/pool/riders/summary").await;
    assert_eq!(s.status, StatusCode::FORBIDDEN);

    // Welfare notices reach the riders.
    let n = t.post(&regulator, "/api/pool/riders/notices", json!({"kind": "welfare", "platform": "meituan", "text": "富春小哥续能驿站本周六免费体检"})).await;
    assert_eq!(n.status, StatusCode::ACCEPTED, "{}", n.body);
    assert!(n.body["queued"].as_u64().unwrap_or(0) >= 1);
    let inbox = t.get(&rider, "/api/notices").await.body;
    assert!(inbox.as_array().is_some_and(|l| l.iter().any(|x| x["kind"] == "rider_welfare" && x["text"].as_str().is_some_and(|s| s.contains("免费体检")))), "{inbox}");

    // The platform revokes; the gate refuses.
    let rv = t.post(&ops, &format!("/api/pool/riders/{rid}/revoke"), json!({"reason": "离职"})).await;
    assert_eq!((rv.status, rv.body["status"].as_str()), (StatusCode::OK, Some("revoked")), "{}", rv.body);
    let g = t.request(Method::POST, None, "/api/pool/gate", Some(json!({"credential": code, "estate": codes[0]})), &[]).await;
    assert_eq!((g.status, g.code()), (StatusCode::UNPROCESSABLE_ENTITY, "credential_revoked"));
}

#[tokio::test]
async fn riders_codes_are_issued_checked_at_gates_and_revoked() {
    for db in backends() {
        let t = TestApp::spawn(db).await;
        rider_story(&t).await;
        t.shutdown().await;
    }
}

/// Correcting a record revokes its e-certificates in the same transaction: when the revocation
/// fails (a trigger makes it fail here), the correction is not made either, and the certificate of
/// the old version never stands beside a newer one.
async fn correction_story(t: &TestApp, db: Db) {
    use sqlx::Executor;
    let (_, citizen) = t.citizen().await;
    let own = t.get(&citizen, "/api/pool/records").await.body;
    let card = record_of(&own, "resident_id_card").clone();
    let rid = card["id"].as_str().expect("id").to_owned();
    let c = t.post(&citizen, &format!("/api/pool/records/{rid}/certificate"), json!({})).await;
    assert_eq!(c.status, StatusCode::CREATED, "{}", c.body);
    let credential = c.body["credential"].as_str().expect("credential").to_owned();
    let clerk = t.login(&format!("{}_clerk", card["department"].as_str().expect("dept"))).await;
    let fail = match db {
        Db::Sqlite => vec!["CREATE TRIGGER fail_revoke BEFORE UPDATE ON credential BEGIN SELECT RAISE(ABORT, 'the disk is on fire'); END".to_owned()],
        Db::Postgres => vec![
            "CREATE FUNCTION fail_revoke() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'the disk is on fire'; END $$ LANGUAGE plpgsql".to_owned(),
            "CREATE TRIGGER fail_revoke BEFORE UPDATE ON credential FOR EACH ROW EXECUTE FUNCTION fail_revoke()".to_owned(),
        ],
    };
    for sql in fail {
        t.state.store.write_pool().execute(sqlx::AssertSqlSafe(sql)).await.expect("trigger");
    }
    let versions = t.count("shared_record").await;
    let body = json!({"data": card["data"], "reason": "更正住址"});
    let r = t.post(&clerk, &format!("/api/pool/records/{rid}/corrections"), body.clone()).await;
    assert_eq!(r.status, StatusCode::INTERNAL_SERVER_ERROR, "{}", r.body);
    assert_eq!(t.count("shared_record").await, versions, "no new version");
    assert_eq!(t.get(&citizen, &format!("/api/pool/records/{rid}")).await.body["status"], "current", "the old version stands");
    let v = t.request(Method::POST, None, "/api/pool/verify", Some(json!({"credential": credential})), &[]).await;
    assert_eq!(v.status, StatusCode::OK, "its certificate too: {}", v.body);

    let drop = if db == Db::Postgres { "DROP TRIGGER fail_revoke ON credential" } else { "DROP TRIGGER fail_revoke" };
    t.state.store.write_pool().execute(drop).await.expect("drop");
    let r = t.post(&clerk, &format!("/api/pool/records/{rid}/corrections"), body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(t.get(&citizen, &format!("/api/pool/records/{rid}")).await.body["status"], "superseded");
    let v = t.request(Method::POST, None, "/api/pool/verify", Some(json!({"credential": credential})), &[]).await;
    assert_eq!((v.status, v.code()), (StatusCode::UNPROCESSABLE_ENTITY, "credential_revoked"), "{}", v.body);
}

#[tokio::test]
async fn a_correction_and_the_revocation_of_its_certificates_are_one_transaction() {
    for db in backends() {
        let t = TestApp::spawn(db).await;
        correction_story(&t, db).await;
        t.shutdown().await;
    }
}
