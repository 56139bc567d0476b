//! Bad input over HTTP: every mistake gets a 4xx JSON error with a stable `code`, a Chinese
//! `message`, an English `message_en` and the offending `field`, and writes nothing.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{Db, Resp, TestApp};

/// Who sends a request.
#[derive(Debug, Clone, Copy)]
enum Who {
    Citizen,
    Window,
    Staff(&'static str),
}

#[derive(Debug, Clone)]
enum Body {
    None,
    Json(Value),
    Raw(&'static str, Vec<u8>),
}

/// One bad request and the error it must get.
#[derive(Debug, Clone)]
struct Row {
    name: &'static str,
    who: Who,
    method: Method,
    path: String,
    body: Body,
    headers: Vec<(&'static str, String)>,
    status: StatusCode,
    code: &'static str,
    field: Option<String>,
    zh: Vec<String>,
    en: Vec<String>,
}

impl Row {
    fn new(name: &'static str, who: Who, method: Method, path: impl Into<String>, body: Body) -> Row {
        Row {
            name,
            who,
            method,
            path: path.into(),
            body,
            headers: vec![],
            status: StatusCode::IM_A_TEAPOT,
            code: "",
            field: None,
            zh: vec![],
            en: vec![],
        }
    }
    fn post(name: &'static str, who: Who, path: impl Into<String>, body: Value) -> Row {
        Row::new(name, who, Method::POST, path, Body::Json(body))
    }
    fn get(name: &'static str, who: Who, path: impl Into<String>) -> Row {
        Row::new(name, who, Method::GET, path, Body::None)
    }
    fn expect(mut self, status: u16, code: &'static str, field: Option<&str>) -> Row {
        self.status = StatusCode::from_u16(status).expect("status");
        self.code = code;
        self.field = field.map(str::to_owned);
        self
    }
    fn zh(mut self, s: impl Into<String>) -> Row {
        self.zh.push(s.into());
        self
    }
    fn en(mut self, s: impl Into<String>) -> Row {
        self.en.push(s.into());
        self
    }
    fn header(mut self, k: &'static str, v: impl Into<String>) -> Row {
        self.headers.push((k, v.into()));
        self
    }
}

/// Whether a message is written in Chinese.
fn has_cjk(s: &str) -> bool {
    s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
}

/// Checks the shape every error body must have.
fn assert_error_shape(what: &str, r: &Resp) {
    assert!(r.status.is_client_error(), "{what}: {} {}", r.status, r.body);
    let ct = r.headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("");
    assert!(ct.starts_with("application/json"), "{what}: content-type {ct:?}");
    let code = r.body["code"].as_str().unwrap_or("");
    assert!(!code.is_empty() && code.chars().all(|c| c.is_ascii_lowercase() || c == '_'), "{what}: code {:?}", r.body);
    let zh = r.body["message"].as_str().unwrap_or("");
    assert!(has_cjk(zh), "{what}: the message is Chinese: {}", r.body);
    let en = r.body["message_en"].as_str().unwrap_or("");
    assert!(!en.is_empty() && !has_cjk(en.split(['\'', '"', '「']).next().unwrap_or(en)), "{what}: the English message: {}", r.body);
}

/// What a failed request must leave untouched.
async fn snapshot(t: &TestApp, admin: &str, app: &str) -> (Vec<i64>, Value) {
    let mut n = t.counts().await.to_vec();
    for table in ["upload", "rectification", "shared_record", "account", "application_doc"] {
        n.push(t.count(table).await);
    }
    let view = t.get(admin, &format!("/api/applications/{app}")).await.body;
    (n, view)
}

async fn send(t: &TestApp, token: &str, row: &Row) -> Resp {
    let headers: Vec<(&str, &str)> = row.headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
    match &row.body {
        Body::None => t.request(row.method.clone(), Some(token), &row.path, None, &headers).await,
        Body::Json(v) => t.request(row.method.clone(), Some(token), &row.path, Some(v.clone()), &headers).await,
        Body::Raw(ct, bytes) => t.raw(row.method.clone(), Some(token), &row.path, Some(ct), bytes.clone(), &headers).await,
    }
}

/// A valid resident ID number for the first 17 digits (ISO 7064 MOD 11-2), computed here rather
/// than by the code under test.
pub fn with_check_digit(first17: &str) -> String {
    const W: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = first17.chars().zip(W).map(|(c, w)| c.to_digit(10).expect("digit") * w).sum();
    let check = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'][(sum % 11) as usize];
    format!("{first17}{check}")
}

fn case_id(app: &Value, item: &str) -> String {
    app["cases"]
        .as_array()
        .and_then(|cs| cs.iter().find(|c| c["item"] == item))
        .and_then(|c| c["id"].as_str())
        .unwrap_or_else(|| panic!("case {item} in {app}"))
        .to_owned()
}

#[test]
fn the_check_digit_helper_agrees_with_the_standard_example() {
    // GB 11643's published example.
    assert_eq!(with_check_digit("11010519491231002"), "11010519491231002X");
}

#[tokio::test]
async fn bad_input_gets_a_json_error_naming_the_problem_and_writes_nothing() {
    let t = TestApp::spawn(Db::Sqlite).await;
    let (citizen_login, citizen) = t.citizen().await;
    let window = t.login("window").await;
    let admin = t.login("admin").await;

    // A filed application whose cases the action rows aim at.
    let app = t.file(&citizen, "birth").await;
    let id = app["id"].as_str().expect("id").to_owned();
    let cert = case_id(&app, "wjw-birth-cert");
    let hukou = case_id(&app, "ga-hukou-birth");

    // A careful applicant's filing, to break one thing at a time.
    let plan = t.get(&citizen, "/api/plan?bundle=birth").await.body;
    let (form, materials) = t.filing(&citizen, "bundle=birth").await;
    assert!(!materials.is_empty(), "the birth bundle needs some uploads: {plan}");
    let shared = plan["materials"]
        .as_array()
        .expect("materials")
        .iter()
        .find(|m| m["status"] == "shared")
        .and_then(|m| m["code"].as_str())
        .expect("a material filled from shared data")
        .to_owned();
    let an_upload = materials.values().next().expect("an upload").clone();
    let filing = |change: &dyn Fn(&mut Value)| {
        let mut v = json!({ "bundle": "birth", "form": form, "materials": materials });
        change(&mut v);
        v
    };

    // ID numbers: one with a wrong check digit, a legacy one, a valid one nobody in Fuyang has.
    let good = citizen_login.clone();
    let right = good.chars().last().expect("check digit");
    let wrong = if right == '0' { '1' } else { '0' };
    let bad_check = format!("{}{wrong}", &good[..17]);
    let outsider = with_check_digit("11010519491231002");

    let too_long_comment = "字".repeat(2001);
    let rows = vec![
        // The body is not the JSON the endpoint expects.
        Row::new("malformed JSON", Who::Citizen, Method::POST, "/api/applications",
            Body::Raw("application/json", b"{\n  \"bundle\": \"birth\"\n  \"form\": {}\n}".to_vec()))
            .expect(400, "malformed_json", None).zh("第 3 行").en("line 3"),
        Row::new("truncated JSON", Who::Citizen, Method::POST, "/api/applications",
            Body::Raw("application/json", b"{\"bundle\": \"birth\",".to_vec()))
            .expect(400, "malformed_json", None).zh("第 1 行"),
        Row::post("wrong JSON type", Who::Citizen, "/api/applications", json!({ "bundle": 5 }))
            .expect(400, "malformed_json", Some("bundle")),
        Row::post("wrong nested JSON type", Who::Citizen, "/api/applications", json!({ "bundle": "birth", "form": { "child_name": 5 } }))
            .expect(400, "malformed_json", Some("form.child_name")),
        Row::post("a list for an action", Who::Staff("wjw_clerk"), format!("/api/applications/{id}/cases/{cert}/actions"), json!({ "action": ["accept"] }))
            .expect(400, "malformed_json", Some("action")),
        Row::new("wrong content type", Who::Citizen, Method::POST, "/api/applications",
            Body::Raw("text/plain", br#"{"bundle": "birth"}"#.to_vec()))
            .expect(415, "unsupported_media_type", None).en("application/json"),
        // What to apply for.
        Row::post("unknown bundle", Who::Citizen, "/api/applications", json!({ "bundle": "moon-landing" }))
            .expect(422, "unknown_bundle", Some("bundle")).zh("moon-landing"),
        Row::post("unknown item", Who::Citizen, "/api/applications", json!({ "item": "no-such-item" }))
            .expect(422, "unknown_item", Some("item")).en("no-such-item"),
        Row::post("bundle and item", Who::Citizen, "/api/applications", json!({ "bundle": "birth", "item": "wjw-birth-cert" }))
            .expect(422, "bundle_or_item", Some("bundle")),
        Row::post("neither bundle nor item", Who::Citizen, "/api/applications", json!({}))
            .expect(422, "bundle_or_item", Some("bundle")),
        Row::get("unknown bundle in a plan", Who::Citizen, "/api/plan?bundle=moon-landing")
            .expect(422, "unknown_bundle", Some("bundle")),
        Row::get("unknown query parameter", Who::Citizen, "/api/plan?bundle=birth&colour=red")
            .expect(400, "invalid_query", None),
        // Window intake (一窗受理): who came to the window.
        Row::post("wrong check digit", Who::Window, "/api/applications", json!({ "bundle": "birth", "applicant": bad_check }))
            .expect(422, "invalid_id_number", Some("applicant"))
            .zh(format!("应为 {right}")).en(format!("should be {right} but is {wrong}")),
        Row::post("15-digit legacy number", Who::Window, "/api/applications", json!({ "bundle": "birth", "applicant": "330183900101123" }))
            .expect(422, "invalid_id_number", Some("applicant")).zh("15 位").en("15-digit"),
        Row::post("ID number not in the register", Who::Window, "/api/applications", json!({ "bundle": "birth", "applicant": outsider }))
            .expect(422, "not_in_register", Some("applicant")).zh("人口库"),
        Row::post("credit code not in the register", Who::Window, "/api/applications", json!({ "bundle": "night-construction", "applicant": "91330000742906207U" }))
            .expect(422, "not_in_register", Some("applicant")).zh("法人库"),
        Row::post("a citizen filing for someone else", Who::Citizen, "/api/applications", json!({ "bundle": "birth", "applicant": good }))
            .expect(422, "applicant_not_allowed", Some("applicant")),
        // The form and the materials.
        Row::post("missing materials", Who::Citizen, "/api/applications", filing(&|v| v["materials"] = json!({})))
            .expect(422, "missing_materials", None).zh("还缺少"),
        Row::post("an upload for a material filled from shared data", Who::Citizen, "/api/applications",
            filing(&|v| v["materials"][shared.as_str()] = json!(an_upload)))
            .expect(422, "material_already_filled", Some(&format!("materials.{shared}"))).zh("无需上传"),
        Row::post("an upload for a material nobody needs", Who::Citizen, "/api/applications",
            filing(&|v| v["materials"]["marriage_cert_of_the_moon"] = json!(an_upload)))
            .expect(422, "material_not_needed", Some("materials.marriage_cert_of_the_moon")),
        Row::post("an upload id that is not one", Who::Citizen, "/api/applications",
            filing(&|v| v["materials"][shared.as_str()] = json!("abc")))
            .expect(422, "invalid_upload", Some(&format!("materials.{shared}"))),
        Row::post("somebody else's upload", Who::Window, "/api/applications",
            json!({ "bundle": "birth", "applicant": good, "materials": { shared.as_str(): an_upload } }))
            .expect(422, "unknown_upload", Some(&format!("materials.{shared}"))),
        Row::post("unknown form field", Who::Citizen, "/api/applications", filing(&|v| v["form"]["shoe_size"] = json!("42")))
            .expect(422, "unknown_field", Some("form.shoe_size")).zh("shoe_size"),
        Row::post("missing form field", Who::Citizen, "/api/applications",
            filing(&|v| { v["form"].as_object_mut().expect("form").remove("child_name"); }))
            .expect(422, "missing_field", Some("form.child_name")).zh("新生儿姓名"),
        Row::post("a date that does not exist", Who::Citizen, "/api/applications", filing(&|v| v["form"]["birth_date"] = json!("2026-02-30")))
            .expect(422, "invalid_field", Some("form.birth_date")).zh("出生日期"),
        Row::post("over-long text", Who::Citizen, "/api/applications", filing(&|v| v["form"]["child_name"] = json!("名".repeat(51))))
            .expect(422, "invalid_field", Some("form.child_name")).zh("50").en("50"),
        Row::post("a choice that is not offered", Who::Citizen, "/api/applications", filing(&|v| v["form"]["child_gender"] = json!("robot")))
            .expect(422, "invalid_field", Some("form.child_gender")),
        Row::post("over-long idempotency key", Who::Citizen, "/api/applications", filing(&|_| {}))
            .header("idempotency-key", "k".repeat(129))
            .expect(422, "invalid_idempotency_key", Some("Idempotency-Key")),
        // Actions on cases.
        Row::post("over-long comment", Who::Staff("wjw_clerk"), format!("/api/applications/{id}/cases/{cert}/actions"),
            json!({ "action": "accept", "comment": too_long_comment }))
            .expect(422, "too_long", Some("comment")).zh("2000"),
        Row::post("a supplement request without a reason", Who::Staff("wjw_clerk"), format!("/api/applications/{id}/cases/{cert}/actions"),
            json!({ "action": "request_supplement" }))
            .expect(422, "comment_required", Some("comment")),
        Row::post("an action the role may not take", Who::Citizen, format!("/api/applications/{id}/cases/{cert}/actions"), json!({ "action": "accept" }))
            .expect(403, "role_not_allowed", Some("action")).zh("受理"),
        Row::post("an action in the wrong state", Who::Staff("wjw_clerk"), format!("/api/applications/{id}/cases/{cert}/actions"), json!({ "action": "approve" }))
            .expect(409, "wrong_state", Some("action")).zh("待受理").zh("accept").en("possible now: accept"),
        Row::post("an action on a waiting case", Who::Staff("ga_clerk"), format!("/api/applications/{id}/cases/{hukou}/actions"), json!({ "action": "accept" }))
            .expect(409, "wrong_state", Some("action")).en("'waiting'"),
        Row::post("an unknown action", Who::Staff("wjw_clerk"), format!("/api/applications/{id}/cases/{cert}/actions"), json!({ "action": "teleport" }))
            .expect(422, "unknown_action", Some("action")).zh("teleport").en("accept"),
        Row::post("an over-long withdrawal reason", Who::Citizen, format!("/api/applications/{id}/withdraw"), json!({ "reason": "理".repeat(2001) }))
            .expect(422, "too_long", Some("reason")),
        // Things that do not exist.
        Row::get("no such application", Who::Citizen, "/api/applications/1").expect(404, "not_found", None),
        Row::get("an application id that is not a number", Who::Citizen, "/api/applications/abc").expect(404, "not_found", None),
        Row::post("an action on no such application", Who::Staff("wjw_clerk"), "/api/applications/1/cases/1/actions", json!({ "action": "accept" }))
            .expect(404, "not_found", None),
        Row::post("no such case", Who::Staff("wjw_clerk"), format!("/api/applications/{id}/cases/1/actions"), json!({ "action": "accept" }))
            .expect(404, "not_found", None),
        Row::post("a case id that is not a number", Who::Staff("wjw_clerk"), format!("/api/applications/{id}/cases/x/actions"), json!({ "action": "accept" }))
            .expect(404, "not_found", None),
        Row::get("no such bundle in the catalog", Who::Citizen, "/api/catalog/bundles/moon-landing").expect(404, "not_found", None),
        Row::post("no such rectification", Who::Staff("ga_supervisor"), "/api/rectifications/1/response", json!({ "response": "已整改" }))
            .expect(404, "not_found", None),
        Row::get("no such API path", Who::Citizen, "/api/no/such/thing").expect(404, "not_found", None),
        Row::post("no such API path (POST)", Who::Citizen, "/api/applications/x/y/z", json!({})).expect(404, "not_found", None),
        // Ratings.
        Row::post("rating an unfinished application", Who::Citizen, format!("/api/applications/{id}/rating"), json!({ "level": "satisfied" }))
            .expect(409, "not_finished", None).zh("办结"),
        Row::post("an invalid rating level", Who::Citizen, format!("/api/applications/{id}/rating"), json!({ "level": "great" }))
            .expect(422, "invalid_rating", Some("level")).en("very_satisfied"),
        // Uploads.
        Row::new("a disallowed file type", Who::Citizen, Method::POST, "/api/uploads?name=setup.exe",
            Body::Raw("application/x-msdownload", b"MZ\x90\x00".to_vec()))
            .expect(422, "unsupported_file_type", Some("Content-Type")).en("application/x-msdownload"),
        Row::new("an empty file", Who::Citizen, Method::POST, "/api/uploads?name=empty.pdf", Body::Raw("application/pdf", vec![]))
            .expect(422, "empty_file", Some("body")),
        Row::new("a file name with a path", Who::Citizen, Method::POST, "/api/uploads?name=..%2F..%2Fetc%2Fpasswd",
            Body::Raw("application/pdf", b"%PDF-1.4".to_vec()))
            .expect(422, "invalid_file_name", Some("name")),
    ];

    let clerks: std::collections::BTreeMap<&str, String> = {
        let mut m = std::collections::BTreeMap::new();
        for r in &rows {
            if let Who::Staff(login) = r.who
                && !m.contains_key(login)
            {
                m.insert(login, t.login(login).await);
            }
        }
        m
    };
    let mut failures = Vec::new();
    for row in &rows {
        let token = match row.who {
            Who::Citizen => citizen.as_str(),
            Who::Window => window.as_str(),
            Who::Staff(l) => clerks[l].as_str(),
        };
        let before = snapshot(&t, &admin, &id).await;
        let r = send(&t, token, row).await;
        let after = snapshot(&t, &admin, &id).await;
        let name = row.name;
        if r.status != row.status || r.code() != row.code {
            failures.push(format!("{name}: got {} {}, want {} {}", r.status, r.body, row.status, row.code));
            continue;
        }
        assert_error_shape(name, &r);
        let field = r.body["field"].as_str().map(str::to_owned);
        match &row.field {
            Some(f) if field.as_ref() != Some(f) => failures.push(format!("{name}: field {field:?}, want {f:?}: {}", r.body)),
            None if row.code == "missing_materials" => {
                let f = field.unwrap_or_default();
                let code = f.strip_prefix("materials.").unwrap_or("");
                if !materials.contains_key(code) {
                    failures.push(format!("{name}: field {f:?} names none of the materials to upload {materials:?}"));
                }
            }
            _ => {}
        }
        let (zh, en) = (r.body["message"].as_str().unwrap_or(""), r.body["message_en"].as_str().unwrap_or(""));
        for s in &row.zh {
            if !zh.contains(s.as_str()) {
                failures.push(format!("{name}: message {zh:?} should mention {s:?}"));
            }
        }
        for s in &row.en {
            if !en.contains(s.as_str()) {
                failures.push(format!("{name}: message_en {en:?} should mention {s:?}"));
            }
        }
        if before != after {
            failures.push(format!("{name}: the failed request changed the data: {:?} → {:?}", before.0, after.0));
        }
    }
    assert!(failures.is_empty(), "{} of {} rows failed:\n{}", failures.len(), rows.len(), failures.join("\n"));

    // The same filing without the mistakes goes through, so the rows failed for their own reason.
    let ok = t.post(&citizen, "/api/applications", filing(&|_| {})).await;
    assert_eq!(ok.status, StatusCode::CREATED, "{}", ok.body);
    let accept = t.post(&clerks["wjw_clerk"], &format!("/api/applications/{id}/cases/{cert}/actions"), json!({ "action": "accept", "comment": "字".repeat(2000) })).await;
    assert_eq!(accept.status, StatusCode::OK, "a 2000-character comment is allowed: {}", accept.body);
    t.shutdown().await;
}

/// Bodies over the configured limit are refused with 413 before anything is parsed or written;
/// uploads have their own, larger limit.
#[tokio::test]
async fn bodies_over_the_limit_get_413_in_json() {
    let t = TestApp::spawn_with(Db::Sqlite, |env| {
        env.push(("MINSHENG__LIMITS__JSON_BODY_BYTES".into(), "4096".into()));
        env.push(("MINSHENG__LIMITS__UPLOAD_BYTES".into(), "65536".into()));
    })
    .await;
    let (_, citizen) = t.citizen().await;
    let admin = t.login("admin").await;
    let app = t.file(&citizen, "marriage-childbirth").await;
    let id = app["id"].as_str().expect("id");
    let before = snapshot(&t, &admin, id).await;

    let big = json!({ "bundle": "birth", "form": { "child_name": "名".repeat(3000) } });
    let r = t.post(&citizen, "/api/applications", big).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.body);
    assert_eq!(r.code(), "too_large");
    assert_error_shape("a JSON body over the limit", &r);

    let r = t.post(&citizen, &format!("/api/applications/{id}/withdraw"), json!({ "reason": "x".repeat(5000) })).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.body);
    assert_eq!(snapshot(&t, &admin, id).await, before, "nothing was written");

    // Just under the limit is parsed (and fails for its content, not its size).
    let r = t.post(&citizen, "/api/applications", json!({ "bundle": "birth", "form": { "child_name": "x".repeat(3500) } })).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);

    // An upload of 32 KB is over the JSON limit but within the upload limit.
    let mut pdf = b"%PDF-1.4\n".to_vec();
    pdf.resize(32 * 1024, b'%');
    let r = t.raw(Method::POST, Some(&citizen), "/api/uploads?name=scan.pdf", Some("application/pdf"), pdf, &[]).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    t.shutdown().await;
}

/// A mistyped credit code in a form names the credit code and its expected check character.
#[tokio::test]
async fn an_invalid_credit_code_in_a_form_is_named() {
    let t = TestApp::spawn(Db::Sqlite).await;
    let (_, firm) = t.enterprise().await;
    let (mut form, materials) = t.filing(&firm, "bundle=night-construction").await;
    let before = t.counts().await;
    // 91330000742906207U is valid; its check character is U.
    form.insert("contractor_credit_code".into(), "91330000742906207X".into());
    let r = t.post(&firm, "/api/applications", json!({ "bundle": "night-construction", "form": form, "materials": materials })).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(r.code(), "invalid_field");
    assert_eq!(r.body["field"], "form.contractor_credit_code");
    assert_error_shape("a bad credit code", &r);
    let zh = r.body["message"].as_str().unwrap_or("");
    assert!(zh.contains("统一社会信用代码") && zh.contains("应为 U"), "{zh}");
    assert_eq!(t.counts().await, before);
    form.insert("contractor_credit_code".into(), "91330000742906207U".into());
    let r = t.post(&firm, "/api/applications", json!({ "bundle": "night-construction", "form": form, "materials": materials })).await;
    assert_eq!(r.status, StatusCode::CREATED, "the same filing with the right code goes through: {}", r.body);
    t.shutdown().await;
}

/// A refused action names the field it is about (`action`), like every other error of a body.
#[tokio::test]
async fn an_action_the_role_may_not_take_names_the_action_field() {
    let t = TestApp::spawn(Db::Sqlite).await;
    let (_, citizen) = t.citizen().await;
    let app = t.file(&citizen, "birth").await;
    let (id, cert) = (app["id"].as_str().expect("id"), case_id(&app, "wjw-birth-cert"));
    let r = t.post(&citizen, &format!("/api/applications/{id}/cases/{cert}/actions"), json!({ "action": "accept" })).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.code(), "role_not_allowed");
    assert_eq!(r.body["field"], "action", "{}", r.body);
    t.shutdown().await;
}

#[tokio::test]
async fn a_mistyped_credit_code_at_the_window_is_named_as_a_credit_code() {
    let t = TestApp::spawn(Db::Sqlite).await;
    let window = t.login("window").await;
    let before = t.counts().await;
    let r = t.post(&window, "/api/applications", json!({ "bundle": "night-construction", "applicant": "91330000742906207X" })).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.code(), "invalid_credit_code", "{}", r.body);
    assert_eq!(r.body["field"], "applicant");
    assert!(r.body["message"].as_str().unwrap_or("").contains("应为 U"), "{}", r.body);
    assert_eq!(t.counts().await, before);
    t.shutdown().await;
}

#[tokio::test]
async fn a_wrong_method_gets_a_json_405() {
    let t = TestApp::spawn(Db::Sqlite).await;
    let (_, citizen) = t.citizen().await;
    for (method, path) in [(Method::GET, "/api/auth/login"), (Method::DELETE, "/api/applications")] {
        let r = t.request(method.clone(), Some(&citizen), path, None, &[]).await;
        assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
        assert_error_shape(&format!("{method} {path}"), &r);
    }
    t.shutdown().await;
}

/// A body is a JSON object: an array with the fields in order (which serde would read into the
/// struct) is refused, even one that would sign in.
#[tokio::test]
async fn a_json_array_is_not_a_body() {
    let t = TestApp::spawn(Db::Sqlite).await;
    let r = t.raw(Method::POST, None, "/api/auth/login", Some("application/json"), br#"["admin", "demo1234"]"#.to_vec(), &[]).await;
    assert_eq!((r.status, r.code()), (StatusCode::BAD_REQUEST, "malformed_json"), "{}", r.body);
    assert_error_shape("an array as the log-in", &r);
    let (_, citizen) = t.citizen().await;
    let r = t.raw(Method::POST, Some(&citizen), "/api/pool/records/1/certificate", Some("application/json"), b"[]".to_vec(), &[]).await;
    assert_eq!((r.status, r.code()), (StatusCode::BAD_REQUEST, "malformed_json"), "{}", r.body);
    t.shutdown().await;
}

/// An upload over its own limit gets the same JSON 413 as any other body.
#[tokio::test]
async fn uploads_over_their_limit_get_413_in_json() {
    let t = TestApp::spawn_with(Db::Sqlite, |env| {
        env.push(("MINSHENG__LIMITS__UPLOAD_BYTES".into(), "65536".into()));
    })
    .await;
    let (_, citizen) = t.citizen().await;
    let before = t.count("upload").await;
    let r = t.raw(Method::POST, Some(&citizen), "/api/uploads?name=scan.pdf", Some("application/pdf"), vec![b'%'; 100 * 1024], &[]).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(r.code(), "too_large", "{}", r.body);
    assert_error_shape("an upload over the limit", &r);
    assert_eq!(t.count("upload").await, before);
    t.shutdown().await;
}
