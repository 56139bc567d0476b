//! Cross-region handling (issue 36, 跨区域通办) between two minsheng servers on loopback: 富阳区
//! (330111) takes in an application at a window for an item of 上城区 (330102) while 上城区 is down;
//! the message is retried until 上城区 acknowledges it with a signed receipt; 上城区 files it through
//! its own engine, approves it, and the status and outputs flow back to the applicant in 富阳区.
//! Forged signatures, replays, a reused id, stale messages and unknown items change nothing.

use base64::Engine;
use ed25519_dalek::SigningKey;
use reqwest::Method;
use reqwest::StatusCode;
use serde_json::Value;
use serde_json::json;

use crate::helpers::Db;
use crate::helpers::TestApp;

const FUYANG: &str = "330111";
const SHANGCHENG: &str = "330102";
const SEED_A: [u8; 32] = [11; 32];
const SEED_B: [u8; 32] = [22; 32];

fn seed_text(seed: &[u8; 32]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(seed)
}

fn public(seed: &[u8; 32]) -> String {
    halls::crossregion::key_text(&SigningKey::from_bytes(seed).verifying_key())
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map(|a| a.port()).expect("a free port")
}

/// A district's server: its code and name, key, port, and its one peer.
async fn district(db: Db, code: &str, name: &str, seed: &[u8; 32], port: u16, peer: (&str, &str, u16, &[u8; 32])) -> TestApp {
    let (pcode, pname, pport, pseed) = peer;
    let env = vec![
        ("MINSHENG__LISTEN".to_owned(), format!("127.0.0.1:{port}")),
        ("MINSHENG__POOL__SIGNING_KEY".to_owned(), seed_text(seed)),
        ("MINSHENG__HALLS__DISTRICT".to_owned(), code.to_owned()),
        ("MINSHENG__HALLS__DISTRICT_NAME".to_owned(), name.to_owned()),
        (format!("MINSHENG__HALLS__PEERS__{pcode}__NAME"), pname.to_owned()),
        (format!("MINSHENG__HALLS__PEERS__{pcode}__URL"), format!("http://127.0.0.1:{pport}")),
        (format!("MINSHENG__HALLS__PEERS__{pcode}__PUBLIC_KEY"), public(pseed)),
    ];
    TestApp::spawn_with(db, move |e| e.extend(env)).await
}

async fn resident_with_id(t: &TestApp) -> (String, String, String) {
    let (login, token) = t.citizen().await;
    let person = t.state.store.registers().person_by_id_number(&login).await.expect("q").expect("in the register");
    (login, token, person.name)
}

#[tokio::test]
async fn a_case_taken_in_here_is_handled_there_and_its_outputs_come_back() {
    let (pa, pb) = (free_port(), free_port());
    let a = district(Db::Sqlite, FUYANG, "富阳区", &SEED_A, pa, (SHANGCHENG, "上城区", pb, &SEED_B)).await;
    let (login, resident, name) = resident_with_id(&a).await;
    let window = a.login("window").await;
    // The key documents: what each side configured is what the other publishes.
    let k = a.request(Method::GET, None, "/api/crossregion/key", None, &[]).await;
    assert_eq!((k.body["district"].as_str(), k.body["public_key"].as_str()), (Some(FUYANG), Some(public(&SEED_A).as_str())), "{}", k.body);
    assert_eq!(k.body["peers"].as_array().map(Vec::len), Some(0), "peers are the administrator's to see");
    // Bad intake: an unknown peer, garbage applicant; residents may not take in.
    let body = |district: &str, item: &str, applicant: &str| json!({ "district": district, "item": item, "applicant": applicant, "applicant_name": name, "phone": "13905710001" });
    for (b, code) in [(body("330106", "zgj-housing-status", &login), "unknown_peer"), (body(SHANGCHENG, "zgj-housing-status", "123"), "bad_applicant"), (body(SHANGCHENG, "a b", &login), "bad_item")] {
        let r = a.post(&window, "/api/crossregion/cases", b).await;
        assert_eq!((r.status, r.body["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some(code)), "{}", r.body);
    }
    let r = a.post(&resident, "/api/crossregion/cases", body(SHANGCHENG, "zgj-housing-status", &login)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // 上城区 is down: the case is kept and waits.
    let r = a.post(&window, "/api/crossregion/cases", body(SHANGCHENG, "zgj-housing-status", &login)).await;
    assert_eq!((r.status, r.body["state"].as_str()), (StatusCode::CREATED, Some("sending")), "{}", r.body);
    assert_eq!(r.body["attempts"], 1, "{}", r.body);
    let case = r.body["id"].as_str().expect("id").to_owned();
    assert!(!r.body["applicant"].as_str().unwrap_or("").contains(&login[6..14]), "the ID number is masked: {}", r.body);
    // 上城区 comes up. Its first try had filed the application and died before keeping the
    // inbound case and its receipt (the crash window): the retry must find that application, not
    // file a second one.
    let b = district(Db::Sqlite, SHANGCHENG, "上城区", &SEED_B, pb, (FUYANG, "富阳区", pa, &SEED_A)).await;
    let sent = first_envelope(&a).await;
    let case_body: halls::crossregion::CaseBody = serde_json::from_str(sent["body"].as_str().expect("body")).expect("a case body");
    let crashed = server::areas::halls::crossregion::file_case(&b.state, FUYANG, &case_body, sent["id"].as_str().expect("id")).await.expect("filed before the crash");
    let filed_before = b.count("application").await;
    a.clock.advance(chrono::Duration::seconds(30));
    server::areas::halls::crossregion::duty(&a.state).await;
    let r = a.get(&resident, &format!("/api/crossregion/cases/{case}")).await;
    assert_eq!((r.status, r.body["state"].as_str()), (StatusCode::OK, Some("accepted")), "{}", r.body);
    let remote = r.body["remote_application"].as_str().expect("上城区's application").to_owned();
    assert_eq!(remote, crashed.application.id.0.to_string(), "the application filed before the crash");
    assert_eq!(b.count("application").await, filed_before, "filed once");
    // 上城区 filed it through its own engine, for the person of its register, as its desk for 富阳区.
    let admin_b = b.login("admin").await;
    let app = b.get(&admin_b, &format!("/api/applications/{remote}")).await;
    assert_eq!(app.status, StatusCode::OK, "{}", app.body);
    let inbound = b.get(&admin_b, "/api/crossregion/inbound").await;
    assert_eq!(inbound.body.as_array().map(Vec::len), Some(1), "{}", inbound.body);
    assert_eq!(inbound.body[0]["from"], FUYANG);
    assert!(!inbound.body.to_string().contains(&login), "the ID number is masked");
    // The administrator's read of the applicant is logged where the applicant sees it.
    let mut logged = Vec::new();
    for _ in 0..50 {
        logged = b.strings(&format!("SELECT resource FROM access_log WHERE subject_key = '{login}' AND resource LIKE 'crossregion_inbound/%'")).await;
        if !logged.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(logged.len(), 1, "{logged:?}");
    // A replay of the very message changes nothing and gets the first receipt.
    let again = b.request(Method::POST, None, "/api/crossregion/messages", Some(sent.clone()), &[]).await;
    assert_eq!((again.status, again.body["reference"].as_str()), (StatusCode::OK, Some(remote.as_str())), "{}", again.body);
    assert_eq!(b.count("application").await, applications_before(&b).await, "no second application");
    // The same id with another body, signed properly, is refused.
    let mut other = sent.clone();
    other["body"] = json!(sent["body"].as_str().expect("body").replace("zgj-housing-status", "rsj-employment-cert"));
    resign(&mut other, &SEED_A);
    let r = b.request(Method::POST, None, "/api/crossregion/messages", Some(other), &[]).await;
    assert_eq!((r.status, r.body["code"].as_str()), (StatusCode::CONFLICT, Some("message_id_reused")), "{}", r.body);
    // Forged, altered, stale, misaddressed: refused, nothing kept.
    let received = b.count("hall_doc").await;
    let mut forged = sent.clone();
    forged["id"] = json!("f".repeat(32));
    resign(&mut forged, &[99; 32]);
    let mut altered = sent.clone();
    altered["id"] = json!("e".repeat(32));
    resign(&mut altered, &SEED_A);
    altered["body"] = json!(sent["body"].as_str().expect("body").replace(&name, "别人"));
    let mut stale = sent.clone();
    stale["id"] = json!("d".repeat(32));
    stale["sent_at"] = json!("2026-03-01T00:00:00.000Z");
    resign(&mut stale, &SEED_A);
    let mut elsewhere = sent.clone();
    elsewhere["id"] = json!("c".repeat(32));
    elsewhere["to"] = json!("330106");
    resign(&mut elsewhere, &SEED_A);
    for (m, status, code) in [
        (forged, StatusCode::FORBIDDEN, "bad_signature"),
        (altered, StatusCode::FORBIDDEN, "bad_signature"),
        (stale, StatusCode::CONFLICT, "stale_message"),
        (elsewhere, StatusCode::UNPROCESSABLE_ENTITY, "wrong_receiver"),
        (json!({ "id": "x" }), StatusCode::BAD_REQUEST, ""),
    ] {
        let r = b.request(Method::POST, None, "/api/crossregion/messages", Some(m), &[]).await;
        assert_eq!(r.status, status, "{}", r.body);
        if !code.is_empty() {
            assert_eq!(r.body["code"].as_str(), Some(code), "{}", r.body);
        }
    }
    assert_eq!(b.count("hall_doc").await, received, "nothing kept");
    // 上城区 approves; its round sends the status back; 富阳区's applicant sees it with the outputs.
    let done = b.approve_all(&remote).await;
    assert_eq!(done["status"], "completed", "{done}");
    b.clock.advance(chrono::Duration::seconds(1));
    server::areas::halls::crossregion::duty(&b.state).await;
    let mine = a.get(&resident, "/api/crossregion/cases/mine").await;
    let c = mine.body.as_array().and_then(|l| l.iter().find(|x| x["id"] == case.as_str())).cloned().expect("the resident's case");
    assert_eq!((c["state"].as_str(), c["settled"].as_bool()), (Some("completed"), Some(true)), "{c}");
    assert!(c["outputs"].as_array().is_some_and(|o| !o.is_empty()), "{c}");
    let told = a.strings("SELECT text_zh FROM notice WHERE kind = 'crossregion' AND recipient LIKE 'account:%'").await;
    assert!(told.iter().any(|x| x.contains("上城区")), "{told:?}");
    // Once more: nothing new to send; a later round changes nothing.
    server::areas::halls::crossregion::duty(&b.state).await;
    let inbound = b.get(&admin_b, "/api/crossregion/inbound").await;
    assert_eq!((inbound.body[0]["settled"].as_bool(), inbound.body[0]["pending"].as_u64()), (Some(true), Some(0)), "{}", inbound.body);
    // Another resident of 富阳区 does not see the case.
    let other = a.state.store.registers().bench_citizens(3).await.expect("q").into_iter().find(|l| *l != login).expect("another");
    let other = a.login(&other).await;
    let r = a.get(&other, &format!("/api/crossregion/cases/{case}")).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // An item 上城区 does not have: refused with a signed reason, nothing filed there.
    let before = b.count("application").await;
    let r = a.post(&window, "/api/crossregion/cases", body(SHANGCHENG, "no-such-item", &login)).await;
    assert_eq!((r.status, r.body["state"].as_str()), (StatusCode::CREATED, Some("refused")), "{}", r.body);
    assert!(r.body["refused_reason"].as_str().is_some_and(|x| x.contains("no-such-item")), "{}", r.body);
    assert_eq!(b.count("application").await, before);
    b.shutdown().await;
    a.shutdown().await;
}

async fn applications_before(t: &TestApp) -> i64 {
    t.count("application").await
}

/// The first message 富阳区 sent, as kept in its outbox.
async fn first_envelope(a: &TestApp) -> Value {
    let docs = a.strings("SELECT doc FROM hall_doc WHERE kind = 'xr_outbox' ORDER BY created_at").await;
    let out: Value = serde_json::from_str(&docs[0]).expect("json");
    out["envelope"].clone()
}

/// Signs an envelope again with `seed`, after its fields were changed.
fn resign(m: &mut Value, seed: &[u8; 32]) {
    use sha2::Digest;
    use ed25519_dalek::Signer;
    let body = m["body"].as_str().unwrap_or("");
    let text = format!(
        "{}\n{}\n{}\n{}\n{}\n{}\n{}",
        halls::crossregion::MESSAGE_DOMAIN,
        m["id"].as_str().unwrap_or(""),
        m["from"].as_str().unwrap_or(""),
        m["to"].as_str().unwrap_or(""),
        m["kind"].as_str().unwrap_or(""),
        m["sent_at"].as_str().unwrap_or(""),
        hex::encode(sha2::Sha256::digest(body.as_bytes()))
    );
    let sig = SigningKey::from_bytes(seed).sign(text.as_bytes());
    m["signature"] = json!(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sig.to_bytes()));
}

#[tokio::test]
async fn a_peer_must_be_configured_with_a_valid_key() {
    let bad = server::config::Config::load(None, vec![("MINSHENG__HALLS__PEERS__330102__NAME".to_owned(), "x".to_owned()), ("MINSHENG__HALLS__PEERS__330102__URL".to_owned(), "http://127.0.0.1:1".to_owned()), ("MINSHENG__HALLS__PEERS__330102__PUBLIC_KEY".to_owned(), "short".to_owned())]);
    assert!(bad.is_err_and(|e| e.to_string().contains("halls.peers.330102.public_key")));
    let own = server::config::Config::load(None, vec![("MINSHENG__HALLS__PEERS__330111__NAME".to_owned(), "x".to_owned()), ("MINSHENG__HALLS__PEERS__330111__URL".to_owned(), "http://127.0.0.1:1".to_owned()), ("MINSHENG__HALLS__PEERS__330111__PUBLIC_KEY".to_owned(), public(&SEED_A))]);
    assert!(own.is_err(), "a district is not its own peer");
}
