//! Real-name registration in two steps, as an outsider sees it: a code by text message to the
//! phone, the same answer whoever asks, codes that work once and die after five wrong tries or ten
//! minutes, limits per client address, ID number and phone (across servers), accounts opened at a
//! window claimed with the code handed over there, minors left to their guardians, and codes to
//! phones that never reach anyone's inbox.

use chrono::NaiveDate;
use domain::{HouseholdId, PersonId, ResidentId};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{Db, Resp, TestApp, backends};

/// A new adult in the population register, without an account: (ID number, name).
pub async fn new_resident(t: &TestApp, name: &str, birth: NaiveDate) -> String {
    let division = t.strings("SELECT division FROM person ORDER BY id LIMIT 1").await.remove(0);
    for seq in 700..999u16 {
        let id = ResidentId::from_parts("330183", birth, seq).expect("a valid number");
        if t.state.store.registers().person_by_id_number(id.as_str()).await.expect("query").is_some() {
            continue;
        }
        let p = store::Person {
            id: PersonId(t.state.parts.ids.next()),
            id_number: id.as_str().to_owned(),
            name: name.to_owned(),
            sex: "female".to_owned(),
            birth_date: birth,
            division,
            phone: None,
            household: HouseholdId(t.state.parts.ids.next()),
            relation: "户主".to_owned(),
        };
        t.state.store.registers().insert_persons(&[p], t.state.now()).await.expect("insert a resident");
        return id.as_str().to_owned();
    }
    panic!("no free ID number");
}

pub async fn ask_code(t: &TestApp, id_number: &str, name: &str, phone: &str, claim: Option<&str>) -> Resp {
    let mut body = json!({ "id_number": id_number, "name": name, "phone": phone });
    if let Some(c) = claim {
        body["claim_code"] = json!(c);
    }
    t.request(Method::POST, None, "/api/auth/register/code", Some(body), &[]).await
}

/// Step two without a claim code.
pub async fn finish(t: &TestApp, id_number: &str, name: &str, phone: &str, code: &str, password: &str) -> Resp {
    let body = json!({ "id_number": id_number, "name": name, "phone": phone, "code": code, "password": password });
    t.request(Method::POST, None, "/api/auth/register", Some(body), &[]).await
}

/// Step two for an account a window opened, with its claim code (password `abc12345`).
pub async fn finish_claiming(t: &TestApp, id_number: &str, name: &str, phone: &str, code: &str, claim: &str) -> Resp {
    let body = json!({ "id_number": id_number, "name": name, "phone": phone, "code": code, "password": "abc12345", "claim_code": claim });
    t.request(Method::POST, None, "/api/auth/register", Some(body), &[]).await
}

/// The codes sent to a phone, newest first (read from the outbox, as the SMS gateway would).
pub async fn codes_sent_to(t: &TestApp, phone: &str) -> Vec<String> {
    let texts = t.strings(&format!("SELECT text_zh FROM notice WHERE recipient = 'phone:{phone}' ORDER BY created_at DESC, id DESC")).await;
    texts
        .iter()
        .map(|s| {
            let digits: String = s.split("验证码为 ").nth(1).expect("a code in the text").chars().take_while(char::is_ascii_digit).collect();
            assert_eq!(digits.len(), 6, "{s}");
            digits
        })
        .collect()
}

/// The one code sent to `phone` by now.
pub async fn the_code(t: &TestApp, phone: &str) -> String {
    let codes = codes_sent_to(t, phone).await;
    assert_eq!(codes.len(), 1, "one code to {phone}: {codes:?}");
    codes[0].clone()
}

/// Registers a new resident through both steps; their token.
pub async fn register_new(t: &TestApp, id_number: &str, name: &str, phone: &str) -> String {
    let r = ask_code(t, id_number, name, phone, None).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
    let code = codes_sent_to(t, phone).await.into_iter().next().expect("a code");
    let r = finish(t, id_number, name, phone, &code, "abc12345").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.body["token"].as_str().expect("token").to_owned()
}

fn failed(r: &Resp) {
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(r.code(), "registration_failed", "{}", r.body);
    assert_eq!(r.body["field"], "code");
    assert_eq!(r.body["message"], "验证码不正确或已失效，或所填信息与人口库不一致。请核对后重试，或重新获取验证码");
}

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).expect("date")
}

/// A minor (子/女 of the head of a household) whose head has an account: (child's ID number,
/// child's name, head's ID number).
pub async fn minor_with_parent(t: &TestApp) -> (String, String, String) {
    let rows = t
        .strings(
            "SELECT c.id_number || '|' || c.name || '|' || h.id_number FROM person c
               JOIN person h ON h.household = c.household AND h.relation = '户主'
              WHERE c.relation IN ('子', '女') AND c.birth_date > '2012-01-01' AND h.birth_date < '1995-01-01'
                AND EXISTS (SELECT 1 FROM account a WHERE a.login = h.id_number)
              ORDER BY c.id LIMIT 1",
        )
        .await;
    let parts: Vec<String> = rows.first().expect("a minor with a parent").split('|').map(str::to_owned).collect();
    (parts[0].clone(), parts[1].clone(), parts[2].clone())
}

#[tokio::test]
async fn a_resident_registers_with_a_code_sent_to_the_phone() {
    for db in backends() {
        let t = TestApp::spawn(db).await;
        let id = new_resident(&t, "周晓燕", d(1990, 5, 1)).await;
        let phone = "13912341234";
        let r = ask_code(&t, &id, "周晓燕", phone, None).await;
        assert_eq!(r.status, StatusCode::ACCEPTED, "{db:?}: {}", r.body);
        assert_eq!(r.body["sent_to"], "139****1234");
        assert_eq!(r.body["expires_in_seconds"], 600);
        assert!(r.body["message"].as_str().is_some_and(|m| m.contains("139****1234") && m.contains("10 分钟")), "{}", r.body);
        assert!(r.body["message_en"].as_str().is_some_and(|m| m.contains("139****1234")), "{}", r.body);
        let texts = t.strings(&format!("SELECT text_zh FROM notice WHERE recipient = 'phone:{phone}'")).await;
        assert_eq!(texts.len(), 1, "{texts:?}");
        assert!(texts[0].starts_with("【富阳区政务服务】您的注册验证码为 ") && texts[0].contains("10 分钟内有效"), "{}", texts[0]);
        let code = the_code(&t, phone).await;
        // The code is kept only hashed.
        let stored = t.strings("SELECT code_hash FROM registration_challenge").await;
        assert!(stored.iter().all(|h| !h.contains(&code) && h.len() == 64), "{stored:?}");

        // A weak password says nothing about the person and costs no try.
        let r = finish(&t, &id, "周晓燕", phone, &code, "short").await;
        assert_eq!(r.code(), "weak_password", "{}", r.body);
        assert_eq!(r.body["field"], "password");
        let accounts = t.count("account").await;
        let r = finish(&t, &id, "周晓燕", phone, &code, "abc12345").await;
        assert_eq!(r.status, StatusCode::OK, "{db:?}: {}", r.body);
        assert_eq!(t.count("account").await, accounts + 1);
        let token = r.body["token"].as_str().expect("token").to_owned();
        let me = t.get(&token, "/api/me").await.body;
        assert_eq!(me["person"]["id_number"], id.as_str());
        assert_eq!(me["account"]["kind"], "citizen");
        assert_eq!(t.strings(&format!("SELECT phone FROM account WHERE login = '{id}'")).await, [phone]);
        assert_eq!(t.try_login(&id, "abc12345").await.status, StatusCode::OK);

        // The code worked once; a registered resident gets the same answer and no new code.
        failed(&finish(&t, &id, "周晓燕", phone, &code, "abc12345").await);
        let again = ask_code(&t, &id, "周晓燕", phone, None).await;
        assert_eq!((again.status, &again.body), (StatusCode::ACCEPTED, &r_body_of(&t, phone).await));
        assert_eq!(codes_sent_to(&t, phone).await.len(), 1, "no code for an account that exists");

        // The code went out through the notice channel like any notice, and reached nobody's inbox.
        assert_eq!(t.deliver().await, 1);
        let log = std::fs::read_to_string(t.dir.path().join("notices.log")).expect("the notice log");
        assert!(log.contains(&format!("\"recipient\":\"phone:{phone}\"")), "{log}");
        for who in [token.clone(), t.login("admin").await, t.login("mzj_clerk").await, t.citizen().await.1] {
            let inbox = t.get(&who, "/api/notices?limit=200").await;
            assert_eq!(inbox.status, StatusCode::OK);
            assert!(!inbox.body.to_string().contains("验证码"), "{}", inbox.body);
        }
        assert_eq!(t.get(&token, "/api/applications/0/notices").await.status, StatusCode::NOT_FOUND);
        t.shutdown().await;
    }
}

/// The answer every well-formed request for `phone` gets.
async fn r_body_of(_t: &TestApp, phone: &str) -> Value {
    let masked = format!("{}****{}", &phone[..3], &phone[7..]);
    json!({
        "sent_to": masked,
        "expires_in_seconds": 600,
        "message": format!("如所填信息与人口库一致，验证码已发送至 {masked}，10 分钟内有效。已注册的请直接登录；在窗口办理过业务的，请一并填写窗口交给您的认领码。未收到短信请核对身份证号码、姓名和手机号码后重新获取。未满 18 周岁的居民不能自行注册，由父母等监护人代为办理。"),
        "message_en": format!("If the details match the population register, a code has been sent to {masked}; it is valid for 10 minutes. If you have registered before, sign in instead; if an account was opened for you at a service window, also enter the claim code the window gave you. No text message? Check your ID number, name and phone number and ask again. Residents under 18 cannot register themselves: a parent or other guardian acts for them."),
    })
}

/// Finding 4's oracle: 409 `already_registered` against 422 `real_name_mismatch`. Now a wrong
/// name, a number not in the register, a resident with an account, a minor and a window's account
/// without its claim code all get the answer a resident who may register gets, and no code.
#[tokio::test]
async fn every_code_request_gets_the_same_answer_and_only_the_right_one_a_code() {
    let t = TestApp::spawn(Db::Sqlite).await;
    let phone = "13800138000";
    let expected = r_body_of(&t, phone).await;
    let id = new_resident(&t, "陈思远", d(1988, 8, 8)).await;
    let (citizen, _) = t.citizen().await;
    let citizen_name = t.strings(&format!("SELECT name FROM person WHERE id_number = '{citizen}'")).await.remove(0);
    let (minor, minor_name, _) = minor_with_parent(&t).await;
    let unknown = ResidentId::from_parts("330183", d(1991, 1, 1), 998).expect("valid").as_str().to_owned();
    assert!(t.state.store.registers().person_by_id_number(&unknown).await.expect("query").is_none());
    let notices = t.count("notice").await;
    for (what, id, name) in [
        ("wrong name", id.as_str(), "陈思远不是我"),
        ("not in the register", unknown.as_str(), "陈思远"),
        ("registered already", citizen.as_str(), citizen_name.as_str()),
        ("a minor", minor.as_str(), minor_name.as_str()),
    ] {
        let r = ask_code(&t, id, name, phone, None).await;
        assert_eq!(r.status, StatusCode::ACCEPTED, "{what}: {}", r.body);
        assert_eq!(r.body, expected, "{what}");
        // And step two cannot tell them apart either.
        failed(&finish(&t, id, name, phone, "123456", "abc12345").await);
    }
    assert_eq!(t.count("notice").await, notices, "no code was sent");
    assert_eq!(t.count("registration_challenge").await, 4, "each request counts against its number and phone");
    let r = ask_code(&t, &id, "陈思远", phone, None).await;
    assert_eq!(r.body, expected);
    assert_eq!(codes_sent_to(&t, phone).await.len(), 1, "the one that may register gets a code");
    t.shutdown().await;
}

#[tokio::test]
async fn five_wrong_codes_void_the_code_and_an_old_code_expires() {
    let t = TestApp::spawn(Db::Sqlite).await;
    let id = new_resident(&t, "李明", d(1980, 1, 20)).await;
    let phone = "13700001111";
    ask_code(&t, &id, "李明", phone, None).await;
    let code = the_code(&t, phone).await;
    let wrong = if code == "000000" { "000001" } else { "000000" };
    for _ in 0..5 {
        failed(&finish(&t, &id, "李明", phone, wrong, "abc12345").await);
    }
    failed(&finish(&t, &id, "李明", phone, &code, "abc12345").await);
    assert!(t.state.store.identity().account_for_login(&id).await.expect("query").is_none());

    // A new code works, but not after ten minutes.
    ask_code(&t, &id, "李明", phone, None).await;
    let code = codes_sent_to(&t, phone).await.remove(0);
    t.clock.advance(chrono::Duration::minutes(10));
    failed(&finish(&t, &id, "李明", phone, &code, "abc12345").await);
    // Nor for another phone than the one it was sent to; and a right code with another name than
    // the register's is used up.
    ask_code(&t, &id, "李明", phone, None).await;
    let code = codes_sent_to(&t, phone).await.remove(0);
    failed(&finish(&t, &id, "李明", "13700002222", &code, "abc12345").await);
    failed(&finish(&t, &id, "李明明", phone, &code, "abc12345").await);
    failed(&finish(&t, &id, "李明", phone, &code, "abc12345").await);
    // A fresh code, right after four wrong tries.
    ask_code(&t, &id, "李明", phone, None).await;
    let code = codes_sent_to(&t, phone).await.remove(0);
    let wrong = if code == "000000" { "000001" } else { "000000" };
    for _ in 0..4 {
        failed(&finish(&t, &id, "李明", phone, wrong, "abc12345").await);
    }
    let r = finish(&t, &id, "李明", phone, &code, "abc12345").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    t.shutdown().await;
}

#[tokio::test]
async fn bad_input_gets_its_field_and_writes_nothing() {
    let t = TestApp::spawn(Db::Sqlite).await;
    let id = new_resident(&t, "王芳", d(1992, 2, 2)).await;
    for (body, code, field) in [
        (json!({ "id_number": "330183199001011233", "name": "王芳", "phone": "13900001234" }), "invalid_id_number", "id_number"),
        (json!({ "id_number": id, "name": "王芳", "phone": "1390000123" }), "invalid_phone", "phone"),
        (json!({ "id_number": id, "name": " ", "phone": "13900001234" }), "invalid_name", "name"),
        (json!({ "id_number": id, "name": "王芳", "phone": "13900001234", "claim_code": "OOOO-0000" }), "invalid_claim_code", "claim_code"),
    ] {
        let r = t.request(Method::POST, None, "/api/auth/register/code", Some(body), &[]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert_eq!((r.code(), r.body["field"].as_str()), (code, Some(field)), "{}", r.body);
    }
    let r = t.request(Method::POST, None, "/api/auth/register/code", Some(json!({ "id_number": id, "name": "王芳", "phone": "13900001234", "admin": true })), &[]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    let r = finish(&t, &id, "王芳", "13900001234", "12345", "abc12345").await;
    assert_eq!((r.status, r.code()), (StatusCode::UNPROCESSABLE_ENTITY, "invalid_code"), "{}", r.body);
    assert_eq!(t.count("registration_challenge").await, 0, "refused requests leave nothing");
    t.shutdown().await;
}

#[tokio::test]
async fn code_requests_are_limited_per_number_and_phone_across_servers() {
    // (This test's many requests come from one address; that limit has a test of its own.)
    let t = TestApp::spawn_with(Db::Sqlite, |env| env.push(("MINSHENG__AUTH__REGISTER_CODES_PER_ADDRESS".into(), "100".into()))).await;
    let id = new_resident(&t, "赵磊", d(1985, 3, 3)).await;
    // Three requests here, two through a second server on the same database (another address).
    for i in 0..3 {
        let r = ask_code(&t, &id, "赵磊", &format!("1360000000{i}"), None).await;
        assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
    }
    let other = server::build_state(t.state.config.clone(), std::sync::Arc::new(t.clock.clone())).await.expect("a second server");
    let there = server::auth::ClientAddr("10.1.2.3".parse().expect("ip"));
    for i in 3..5 {
        let req = server::areas::identity::views::CodeRequest { id_number: id.clone(), name: "赵磊".into(), phone: format!("1360000000{i}"), claim_code: None };
        server::areas::identity::cases::request_code(&other, there, &req).await.expect("accepted");
    }
    let r = ask_code(&t, &id, "赵磊", "13600000009", None).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.body);
    assert_eq!(r.code(), "too_many_attempts");
    let wait: u64 = r.headers.get("retry-after").and_then(|v| v.to_str().ok()).and_then(|v| v.parse().ok()).expect("Retry-After");
    assert!((3500..=3600).contains(&wait), "{wait}");
    // The same for someone else asking about that number; another number is not held up.
    let req = server::areas::identity::views::CodeRequest { id_number: id.clone(), name: "赵磊".into(), phone: "13600000008".into(), claim_code: None };
    assert!(matches!(server::areas::identity::cases::request_code(&other, there, &req).await, Err(server::failure::Failure::TooManyRequests { .. })));
    other.store.close().await;
    let someone = new_resident(&t, "钱多", d(1970, 7, 7)).await;
    assert_eq!(ask_code(&t, &someone, "钱多", "13600000007", None).await.status, StatusCode::ACCEPTED);

    // Per phone: four more requests for 13600000007 (other numbers), then no more.
    for i in 0..4 {
        let n = ResidentId::from_parts("330183", d(1960, 1, 1), 900 + i).expect("valid");
        assert_eq!(ask_code(&t, n.as_str(), "某人", "13600000007", None).await.status, StatusCode::ACCEPTED);
    }
    let fresh = ResidentId::from_parts("330183", d(1960, 1, 1), 904).expect("valid");
    let r = ask_code(&t, fresh.as_str(), "某人", "13600000007", None).await;
    assert_eq!((r.status, r.code()), (StatusCode::TOO_MANY_REQUESTS, "too_many_attempts"), "{}", r.body);
    // An hour later the number may ask again.
    t.clock.advance(chrono::Duration::minutes(61));
    assert_eq!(ask_code(&t, &id, "赵磊", "13600000009", None).await.status, StatusCode::ACCEPTED);
    t.shutdown().await;
}

#[tokio::test]
async fn requests_are_limited_per_client_address() {
    let t = TestApp::spawn_with(Db::Sqlite, |env| {
        env.push(("MINSHENG__AUTH__REGISTER_CODES_PER_ADDRESS".into(), "3".into()));
        env.push(("MINSHENG__AUTH__REGISTER_ATTEMPTS_PER_ADDRESS".into(), "4".into()));
    })
    .await;
    for i in 0..3u16 {
        let n = ResidentId::from_parts("330183", d(1975, 1, 1), 800 + i).expect("valid");
        let r = ask_code(&t, n.as_str(), "某人", &format!("1350000000{i}"), None).await;
        assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
    }
    let n = ResidentId::from_parts("330183", d(1975, 1, 1), 810).expect("valid");
    let r = ask_code(&t, n.as_str(), "某人", "13500000009", None).await;
    assert_eq!((r.status, r.code()), (StatusCode::TOO_MANY_REQUESTS, "too_many_attempts"), "{}", r.body);
    assert!(r.headers.get("retry-after").is_some());
    assert_eq!(t.count("registration_challenge").await, 3, "a refused request leaves nothing");
    // Guessing codes from one address: four tries in the hour, then 429 even for the right code.
    for _ in 0..4 {
        failed(&finish(&t, n.as_str(), "某人", "13500000009", "111111", "abc12345").await);
    }
    let r = finish(&t, n.as_str(), "某人", "13500000009", "111111", "abc12345").await;
    assert_eq!((r.status, r.code()), (StatusCode::TOO_MANY_REQUESTS, "too_many_attempts"), "{}", r.body);
    t.shutdown().await;
}

#[tokio::test]
async fn an_account_opened_at_a_window_is_claimed_with_its_claim_code_once() {
    for db in backends() {
        let t = TestApp::spawn(db).await;
        let window = t.login("window").await;
        let id = new_resident(&t, "孙丽", d(1979, 9, 9)).await;
        let (form, materials) = t.filing(&window, &format!("bundle=medical&applicant={id}")).await;
        let r = t.post(&window, "/api/applications", json!({ "bundle": "medical", "applicant": id, "form": form, "materials": materials })).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let app_id = r.body["id"].as_str().expect("id").to_owned();
        let slip = r.body["claim_code"].clone();
        let claim = slip["code"].as_str().unwrap_or_else(|| panic!("a claim code in {}", r.body)).to_owned();
        assert_eq!(claim.len(), 9, "{claim}");
        assert_eq!(slip["name"], "孙丽");
        assert!(slip["instructions"].as_str().is_some_and(|m| m.contains(&claim)), "{slip}");
        // Stored only hashed; the application's own answers never show it.
        assert!(t.strings("SELECT code_hash FROM claim_code").await.iter().all(|h| !h.contains(&claim.replace('-', ""))));
        assert!(t.get(&window, &format!("/api/applications/{app_id}")).await.body.get("claim_code").is_none());
        // A second filing while the slip is live issues no other code.
        let (form, materials) = t.filing(&window, &format!("bundle=medical&applicant={id}")).await;
        let r = t.post(&window, "/api/applications", json!({ "bundle": "medical", "applicant": id, "form": form, "materials": materials })).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        assert!(r.body.get("claim_code").is_none(), "{}", r.body);

        // Without the claim code, or with a wrong one, nobody gets a code for that account.
        let phone = "13311112222";
        assert_eq!(ask_code(&t, &id, "孙丽", phone, None).await.status, StatusCode::ACCEPTED);
        assert_eq!(ask_code(&t, &id, "孙丽", phone, Some("ABCD-EFGH")).await.status, StatusCode::ACCEPTED);
        assert!(codes_sent_to(&t, phone).await.is_empty());
        // With it (typed in lower case), the resident gets a code and claims the account.
        assert_eq!(ask_code(&t, &id, "孙丽", phone, Some(&claim.to_lowercase())).await.status, StatusCode::ACCEPTED);
        let code = the_code(&t, phone).await;
        failed(&finish(&t, &id, "孙丽", phone, &code, "abc12345").await);
        ask_code(&t, &id, "孙丽", phone, Some(&claim)).await;
        let code = codes_sent_to(&t, phone).await.remove(0);
        let r = finish_claiming(&t, &id, "孙丽", phone, &code, &claim).await;
        assert_eq!(r.status, StatusCode::OK, "{db:?}: {}", r.body);
        let token = r.body["token"].as_str().expect("token").to_owned();
        let mine = t.get(&token, "/api/applications").await.body;
        assert!(mine.as_array().expect("list").iter().any(|a| a["id"] == app_id.as_str()), "the window's intake is theirs: {mine}");
        assert_eq!(t.strings(&format!("SELECT phone FROM account WHERE login = '{id}'")).await, [phone]);

        // The claim code worked once: no code for the claimed account, whatever is given.
        let n = codes_sent_to(&t, phone).await.len();
        ask_code(&t, &id, "孙丽", phone, Some(&claim)).await;
        assert_eq!(codes_sent_to(&t, phone).await.len(), n);
        // Nor can the window issue another.
        let r = t.post(&window, "/api/accounts/claim-codes", json!({ "applicant": id })).await;
        assert_eq!((r.status, r.code()), (StatusCode::CONFLICT, "already_claimed"), "{}", r.body);
        t.shutdown().await;
    }
}

#[tokio::test]
async fn a_window_issues_a_new_claim_code_for_a_lost_slip_in_its_division_only() {
    let t = TestApp::spawn(Db::Sqlite).await;
    let window = t.login("window").await;
    let id = new_resident(&t, "吴刚", d(1966, 6, 6)).await;
    let (form, materials) = t.filing(&window, &format!("bundle=medical&applicant={id}")).await;
    let r = t.post(&window, "/api/applications", json!({ "bundle": "medical", "applicant": id, "form": form, "materials": materials })).await;
    let first = r.body["claim_code"]["code"].as_str().expect("claim code").to_owned();

    let (_, citizen) = t.citizen().await;
    let clerk = t.login("mzj_clerk").await;
    for who in [&citizen, &clerk] {
        let r = t.post(who, "/api/accounts/claim-codes", json!({ "applicant": id })).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    }
    let r = t.request(Method::POST, None, "/api/accounts/claim-codes", Some(json!({ "applicant": id })), &[]).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    // A town's window serves its own town's residents.
    let division = t.strings(&format!("SELECT division FROM person WHERE id_number = '{id}'")).await.remove(0);
    let other_town = if division.starts_with("330111001") { "window_yinhu" } else { "window_fuchun" };
    let r = t.post(&t.login(other_town).await, "/api/accounts/claim-codes", json!({ "applicant": id })).await;
    assert_eq!((r.status, r.body["field"].as_str()), (StatusCode::FORBIDDEN, Some("applicant")), "{}", r.body);
    for (applicant, status, code) in [
        ("330183199001011233", StatusCode::UNPROCESSABLE_ENTITY, "invalid_id_number"),
        (t.citizen().await.0.as_str(), StatusCode::CONFLICT, "already_claimed"),
    ] {
        let r = t.post(&window, "/api/accounts/claim-codes", json!({ "applicant": applicant })).await;
        assert_eq!((r.status, r.code()), (status, code), "{}", r.body);
    }
    let (minor, _, _) = minor_with_parent(&t).await;
    let r = t.post(&window, "/api/accounts/claim-codes", json!({ "applicant": minor })).await;
    assert_eq!((r.status, r.code()), (StatusCode::CONFLICT, "minor_cannot_register"), "{}", r.body);
    let nobody = new_resident(&t, "郑好", d(1999, 9, 9)).await;
    let r = t.post(&window, "/api/accounts/claim-codes", json!({ "applicant": nobody })).await;
    assert_eq!((r.status, r.code()), (StatusCode::CONFLICT, "no_window_account"), "{}", r.body);

    let r = t.post(&window, "/api/accounts/claim-codes", json!({ "applicant": id })).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let second = r.body["code"].as_str().expect("code").to_owned();
    assert_ne!(first, second);
    // The lost slip's code stops working; the new one works.
    let phone = "13322223333";
    ask_code(&t, &id, "吴刚", phone, Some(&first)).await;
    assert!(codes_sent_to(&t, phone).await.is_empty());
    ask_code(&t, &id, "吴刚", phone, Some(&second)).await;
    let code = the_code(&t, phone).await;
    let r = finish_claiming(&t, &id, "吴刚", phone, &code, &second).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    t.shutdown().await;
}

#[tokio::test]
async fn a_minor_cannot_register_and_the_parent_sees_the_child() {
    let t = TestApp::spawn(Db::Sqlite).await;
    let (minor, name, parent) = minor_with_parent(&t).await;
    let phone = "13455556666";
    let r = ask_code(&t, &minor, &name, phone, None).await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    assert!(codes_sent_to(&t, phone).await.is_empty(), "no code for a minor");
    failed(&finish(&t, &minor, &name, phone, "000000", "abc12345").await);
    assert!(t.strings(&format!("SELECT login FROM account WHERE login = '{minor}'")).await.is_empty());

    let token = t.login(&parent).await;
    let wards = t.get(&token, "/api/me/wards").await;
    assert_eq!(wards.status, StatusCode::OK, "{}", wards.body);
    let masked = format!("{}********{}", &minor[..6], &minor[14..]);
    let child = wards.body.as_array().expect("a list").iter().find(|w| w["id_number"] == masked.as_str()).unwrap_or_else(|| panic!("{masked} in {}", wards.body)).clone();
    assert_eq!(child["name"], name.as_str());
    assert!(child["age"].as_u64().is_some_and(|a| a < 18), "{child}");
    assert!(!wards.body.to_string().contains(&minor), "ID numbers are masked");
    // The same as the store's link, both ways.
    let today = domain::china_date(t.state.now());
    assert!(t.state.store.identity().is_guardian(&parent, &minor, today).await.expect("query"));
    assert!(!t.state.store.identity().is_guardian(&minor, &parent, today).await.expect("query"));
    // An adult of another household is not; staff have no wards.
    let other = t
        .strings(&format!("SELECT id_number FROM person WHERE household <> (SELECT household FROM person WHERE id_number = '{minor}') AND birth_date < '1990-01-01' ORDER BY id LIMIT 1"))
        .await
        .remove(0);
    assert!(!t.state.store.identity().is_guardian(&other, &minor, today).await.expect("query"));
    assert_eq!(t.get(&t.login("window").await, "/api/me/wards").await.body, json!([]));
    assert_eq!(t.request(Method::GET, None, "/api/me/wards", None, &[]).await.status, StatusCode::UNAUTHORIZED);
    t.shutdown().await;
}

#[tokio::test]
async fn the_document_shows_registrations_answers() {
    let t = TestApp::spawn(Db::Sqlite).await;
    let doc = t.request(Method::GET, None, "/api/openapi.json", None, &[]).await.body;
    let code = &doc["paths"]["/api/auth/register/code"]["post"];
    for status in ["202", "400", "422", "429"] {
        assert!(code["responses"][status].is_object(), "{status} in {code}");
    }
    assert!(code["responses"]["429"]["headers"]["Retry-After"].is_object(), "{code}");
    assert!(code.get("security").is_none_or(|s| s.as_array().is_some_and(Vec::is_empty)), "public: {code}");
    let step2 = &doc["paths"]["/api/auth/register"]["post"];
    for status in ["200", "422", "429"] {
        assert!(step2["responses"][status].is_object(), "{status} in {step2}");
    }
    let schemas = &doc["components"]["schemas"];
    assert!(schemas["RegisterRequest"]["properties"]["code"].is_object() && schemas["CodeSent"]["properties"]["sent_to"].is_object(), "{schemas}");
    assert_eq!(schemas["CodeRequest"]["properties"]["id_number"]["pattern"], "^[0-9]{17}[0-9Xx]$");
    for (path, method) in [("/api/accounts/claim-codes", "post"), ("/api/me/wards", "get")] {
        assert!(doc["paths"][path][method]["security"].as_array().is_some_and(|s| !s.is_empty()), "{path} needs a session");
    }
    t.shutdown().await;
}
