//! The elderly safety guardian's pages over HTTP (issue 30), as real users: the monitoring centre
//! enrols an elder living alone through the form (garbage is sent back with the field's error in
//! Chinese), registers a wearable and sees its MQTT password once; a fall read from the device
//! becomes an alarm on the console's list and map; the centre acknowledges and dispatches through
//! the forms, the responder (landing on their phone page) accepts, arrives and resolves; residents
//! and other departments' staff stay out.

use reqwest::StatusCode;

use crate::helpers::Client;
use crate::helpers::TestWeb;
use crate::helpers::api_token;

async fn signed_in(t: &TestWeb, login: &str) -> Client {
    let c = t.client();
    c.login(login).await;
    c
}

/// The ID number of a resident aged 60 or more who lives alone.
async fn elder_living_alone(t: &TestWeb) -> String {
    let today = domain::china_date(t.state.now());
    let people = t.state.store.welfare().people_all().await.expect("people");
    let size = |h: i64| people.iter().filter(|p| p.household == h).count();
    people
        .iter()
        .find(|p| today.years_since(p.birth_date).unwrap_or(0) >= 60 && size(p.household) == 1)
        .expect("an elder living alone")
        .id_number
        .clone()
}

/// The text after `key` up to the next `"` or `<`.
fn after(body: &str, key: &str) -> String {
    let i = body.find(key).unwrap_or_else(|| panic!("{key} in {body}")) + key.len();
    body[i..].split(['"', '<', '?']).next().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn an_elder_is_enrolled_a_fall_is_dispatched_and_the_responder_closes_it() {
    let t = TestWeb::spawn(0).await;
    let key = elder_living_alone(&t).await;
    // The centre keeps its responders (through the API).
    let tok = api_token(&t, "mzj_clerk").await;
    let r = reqwest::Client::new()
        .post(format!("{}/api/guardian/responders", t.url))
        .bearer_auth(&tok)
        .json(&serde_json::json!({"login": "responder", "kind": "grid_worker", "phone": "13900139000", "at": {"lat": 30.05, "lon": 119.96}}))
        .send()
        .await
        .expect("responder");
    assert_eq!(r.status(), StatusCode::OK);

    let centre = signed_in(&t, "mzj_clerk").await;
    let page = centre.get("/guardian/elders").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("<h1>守护对象</h1>") && page.body.contains("符合条件的老人") && page.body.contains("覆盖率"), "{}", page.body);
    assert!(page.body.contains("href=\"/guardian/elders\" aria-current=\"page\""), "in the centre's navigation");
    let csrf = page.csrf();
    let form = |id: &str, lat: &str, phone: &str| -> Vec<(String, String)> {
        [
            ("_csrf", csrf.as_str()),
            ("id_number", id),
            ("basis", "living_alone"),
            ("address", "富春街道 江滨西大道 1 号"),
            ("lat", lat),
            ("lon", "119.9602"),
            ("contact_name", "李小明"),
            ("contact_relation", "儿子"),
            ("contact_phone", phone),
            ("consent_on", "2026-01-05"),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
    };
    let post = |c: &Client, path: &str, f: Vec<(String, String)>| {
        let path = path.to_owned();
        let http = c.http.clone();
        let base = c.base.clone();
        async move {
            let r = http.post(format!("{base}{path}")).form(&f).send().await.expect("POST");
            let status = r.status();
            let location = r.headers().get("location").and_then(|v| v.to_str().ok()).map(str::to_owned);
            (status, location, r.text().await.expect("body"))
        }
    };

    // Garbage: each error next to its field, in Chinese; nothing stored.
    let (st, _, body) = post(&centre, "/guardian/elders", form("", "北纬三十度", "13800138000")).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.contains("id=\"f-id_number-error\"") && body.contains("请填写老人的身份证号"), "{body}");
    assert!(body.contains("id=\"f-lat-error\"") && body.contains("请填写数字形式的经纬度"), "{body}");
    let (st, _, body) = post(&centre, "/guardian/elders", form(&key, "30.0485", "快来")).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.contains("id=\"f-contact_phone-error\"") && body.contains("不是电话号码") && body.contains("href=\"#f-contact_phone\""), "{body}");
    assert!(body.contains("value=\"李小明\""), "what was typed is kept");
    assert_eq!(t.state.store.guardian().elders(None, None, store::Page { limit: 10, offset: 0 }).await.expect("elders").1, 0);

    // Enrolled.
    let (st, location, body) = post(&centre, "/guardian/elders", form(&key, "30.0485", "13800138000")).await;
    assert_eq!(st, StatusCode::SEE_OTHER, "{body}");
    let record = location.expect("location");
    assert!(record.starts_with("/guardian/elders/") && record.ends_with("?done=enrolled"), "{record}");
    let elder = record.trim_start_matches("/guardian/elders/").split('?').next().expect("id").to_owned();
    let page = centre.get(&record).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("老人已纳入守护") && page.body.contains("守护档案") && page.body.contains("13800138000"), "{}", page.body);
    let list = centre.get("/guardian/elders").await;
    assert!(!list.body.contains(&key), "ID numbers masked in the list");

    // A wearable: its MQTT password shown once.
    let csrf = page.csrf();
    let (st, _, body) = post(&centre, &format!("/guardian/elders/{elder}/devices"), vec![("_csrf".into(), csrf.clone()), ("kind".into(), "presence".into())]).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "a presence sensor needs its room: {body}");
    assert!(body.contains("id=\"f-room-error\"") && body.contains("请写明传感器所在的房间"), "{body}");
    let (st, _, body) = post(&centre, &format!("/guardian/elders/{elder}/devices"), vec![("_csrf".into(), csrf.clone()), ("kind".into(), "wearable".into())]).await;
    assert_eq!(st, StatusCode::CREATED, "{body}");
    let device = after(&body, "id=\"gd-mqtt-user\">");
    let password = after(&body, "id=\"gd-mqtt-password\">");
    assert!(device.starts_with("wearable-") && password.len() == 32, "{device} {password}");
    let again = centre.get(&format!("/guardian/elders/{elder}")).await;
    assert!(again.body.contains(&device) && !again.body.contains(&password), "the password is never shown again");

    // The device reads a fall: the console lists it and draws it.
    let now = t.state.now();
    let payload = serde_json::json!({"seq": 1, "ts": now.to_rfc3339(), "battery_pct": 80, "fall": true}).to_string();
    let got = server::areas::guardian::live::ingest(&t.state, &[(device.clone(), axum::body::Bytes::from(payload))]).await.expect("ingest");
    assert_eq!(got.alarms.len(), 1, "one alarm raised");
    let alarm = got.alarms[0].to_string();
    let console = centre.get("/guardian").await;
    assert_eq!(console.status, StatusCode::OK, "{}", console.body);
    assert!(console.body.contains("<h1>安全守护监护中心</h1>") && console.body.contains("跌倒") && console.body.contains("待确认"), "{}", console.body);
    assert!(console.body.contains(&format!("href=\"/guardian/alarms/{alarm}\"")), "{}", console.body);
    assert!(console.body.contains("<svg") && console.body.contains("<circle"), "on the map");
    assert!(console.body.contains("data-feed=\"/api/guardian/alarms/live\"") && console.body.contains("/static/guardian.js"), "live");
    assert!(console.body.contains("江滨西大道"), "the address");
    let js = centre.get("/static/guardian.js").await;
    assert!(js.status == StatusCode::OK && js.body.contains("EventSource"), "the script");

    // The alarm: its readings and steps; acknowledged and dispatched through the forms.
    let path = format!("/guardian/alarms/{alarm}");
    let page = centre.get(&path).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("报警依据") && page.body.contains("fall") && page.body.contains("记录完整"), "{}", page.body);
    let csrf = page.csrf();
    let act = format!("{path}/act");
    let (st, _, body) = post(&centre, &act, vec![("_csrf".into(), csrf.clone()), ("action".into(), "resolve".into())]).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.contains("id=\"f-outcome-error\"") && body.contains("请选择处置结果"), "{body}");
    let (st, location, body) = post(&centre, &act, vec![("_csrf".into(), csrf.clone()), ("action".into(), "acknowledge".into())]).await;
    assert_eq!((st, location.as_deref()), (StatusCode::SEE_OTHER, Some(format!("{path}?done=acknowledge").as_str())), "{body}");
    let page = centre.get(&format!("{path}?done=acknowledge")).await;
    assert!(page.body.contains("报警已确认") && page.body.contains("监护中心确认") && page.body.contains("约 "), "{}", page.body);
    // No street network is loaded here: each responder's time says it is a straight-line estimate.
    assert!(page.body.contains("（按直线距离估算）"), "the method beside each responder: {}", page.body);
    let (st, _, body) = post(&centre, &act, vec![("_csrf".into(), csrf.clone()), ("action".into(), "dispatch".into()), ("responder".into(), "".into())]).await;
    assert_eq!(st, StatusCode::SEE_OTHER, "{body}");

    // The responder lands on their phone page, accepts, arrives and resolves.
    let responder = t.client();
    let landed = responder.login("responder").await;
    assert_eq!(landed.location.as_deref(), Some("/guardian/respond"));
    let page = responder.get("/guardian/respond").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("<h1>我的应急响应</h1>") && page.body.contains("江滨西大道") && page.body.contains("button-large"), "{}", page.body);
    let csrf = page.csrf();
    let go = format!("/guardian/respond/{alarm}");
    for step in ["accept", "arrive"] {
        let (st, location, body) = post(&responder, &go, vec![("_csrf".into(), csrf.clone()), ("action".into(), step.into())]).await;
        assert_eq!((st, location), (StatusCode::SEE_OTHER, Some(format!("/guardian/respond?done={step}"))), "{step}: {body}");
    }
    let (st, _, body) = post(&responder, &go, vec![("_csrf".into(), csrf.clone()), ("action".into(), "resolve".into())]).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.contains(&format!("id=\"f-outcome-{alarm}-error\"")) && body.contains("请选择处置结果"), "{body}");
    let (st, _, body) = post(&responder, &go, vec![("_csrf".into(), csrf.clone()), ("action".into(), "resolve".into()), (format!("outcome-{alarm}"), "helped_at_home".into())]).await;
    assert_eq!(st, StatusCode::SEE_OTHER, "{body}");
    let page = centre.get(&path).await;
    assert!(page.body.contains("已处置") && page.body.contains("已在家中处置") && page.body.contains("响应人到场"), "{}", page.body);
    assert!(!page.body.contains("action=\"/guardian/alarms/"), "no more actions on a closed alarm");
    let console = centre.get("/guardian").await;
    assert!(!console.body.contains(&format!("href=\"/guardian/alarms/{alarm}\"")), "no longer open");
    // The availability toggle.
    let (st, location, _) = post(&responder, "/guardian/respond/availability", vec![("_csrf".into(), csrf.clone()), ("available".into(), "false".into())]).await;
    assert_eq!((st, location.as_deref()), (StatusCode::SEE_OTHER, Some("/guardian/respond?done=available")));
    let page = responder.get("/guardian/respond").await;
    assert!(page.body.contains("暂不能出动") && page.body.contains("我现在可以出动"), "{}", page.body);

    // Outsiders: a resident, another department's clerk, the responder on the centre's pages.
    let resident = signed_in(&t, &t.citizen().await).await;
    let other = signed_in(&t, "ga_clerk").await;
    for (c, who) in [(&resident, "resident"), (&other, "ga_clerk"), (&responder, "responder")] {
        for p in ["/guardian".to_owned(), path.clone(), format!("/guardian/elders/{elder}"), "/guardian/elders".to_owned()] {
            let r = c.get(&p).await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{who} {p}: {}", r.body);
        }
    }
    let r = resident.get("/guardian/respond").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = centre.get("/guardian/alarms/999999").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // In English.
    centre.get("/prefs/lang/en?back=/").await;
    let console = centre.get("/guardian").await;
    assert!(console.body.contains("<h1>Safety guardian monitoring centre</h1>"), "{}", console.body);
    t.shutdown().await;
}

/// The first column of each row of a query, as text.
async fn strings(t: &TestWeb, sql: &str) -> Vec<String> {
    use sqlx::Row;
    sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()))
        .fetch_all(t.state.store.read_pool())
        .await
        .expect("query")
        .iter()
        .map(|r| r.try_get::<String, _>(0).expect("a text column"))
        .collect()
}

/// The ID numbers of `n` residents aged 60 or more who live alone.
async fn elders_living_alone(t: &TestWeb, n: usize) -> Vec<String> {
    let today = domain::china_date(t.state.now());
    let people = t.state.store.welfare().people_all().await.expect("people");
    let size = |h: i64| people.iter().filter(|p| p.household == h).count();
    let found: Vec<String> = people.iter().filter(|p| today.years_since(p.birth_date).unwrap_or(0) >= 60 && size(p.household) == 1).take(n).map(|p| p.id_number.clone()).collect();
    assert_eq!(found.len(), n);
    found
}

#[tokio::test]
async fn the_centre_registers_and_updates_responders_through_the_form_with_the_apis_errors() {
    let t = TestWeb::spawn(0).await;
    let centre = signed_in(&t, "mzj_clerk").await;
    let console = centre.get("/guardian").await;
    assert!(console.body.contains("href=\"/guardian/responders\""), "linked from the console: {}", console.body);
    let page = centre.get("/guardian/responders").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("<h1>应急响应人</h1>") && page.body.contains("还没有登记响应人") && page.body.contains("登记或修改响应人"), "{}", page.body);
    assert!(page.body.contains("href=\"/guardian\" aria-current=\"page\""), "under the centre's navigation");
    let csrf = page.csrf();
    let send = |login: &str, kind: &str, phone: &str, lat: &str, lon: &str| {
        let f: Vec<(String, String)> = [("_csrf", csrf.as_str()), ("login", login), ("kind", kind), ("phone", phone), ("lat", lat), ("lon", lon)]
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let http = centre.http.clone();
        let url = format!("{}/guardian/responders", centre.base);
        async move {
            let r = http.post(url).form(&f).send().await.expect("POST");
            let status = r.status();
            let location = r.headers().get("location").and_then(|v| v.to_str().ok()).map(str::to_owned);
            (status, location, r.text().await.expect("body"))
        }
    };

    // What the form checks itself: each error beside its field, linked from the summary.
    let (st, _, body) = send("", "", "13900139000", "北纬三十度", "").await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.contains("id=\"f-login-error\"") && body.contains("请填写响应人的登录账号") && body.contains("href=\"#f-login\""), "{body}");
    assert!(body.contains("id=\"f-kind-error\"") && body.contains("请选择响应人类型"), "{body}");
    assert!(body.contains("id=\"f-lat-error\"") && body.contains("请填写数字形式的经纬度"), "{body}");
    assert!(body.contains("id=\"f-lon-error\"") && body.contains("请填写纬度和经度"), "{body}");
    assert!(body.contains("value=\"13900139000\""), "what was typed is kept");
    let (st, _, body) = send("responder", "grid_worker", "", "30.05", "119.96").await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.contains("id=\"f-phone-error\"") && body.contains("请填写响应人的手机号码") && body.contains("value=\"responder\""), "{body}");
    // What the use case refuses, as the API words it, beside the form's field.
    for (login, kind, phone, lat, field, message) in [
        ("nobody_here", "grid_worker", "13900139000", "30.05", "login", "没有这个账号"),
        ("window", "grid_worker", "13900139000", "30.05", "login", "这个账号没有应急响应人角色"),
        ("responder", "toaster", "13900139000", "30.05", "kind", "响应人类型只能是"),
        ("responder", "grid_worker", "13900139000", "91", "lat", "位置不是有效的经纬度"),
        ("responder", "grid_worker", "快来", "30.05", "phone", "不是电话号码"),
    ] {
        let (st, _, body) = send(login, kind, phone, lat, "119.96").await;
        assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{login} {kind} {phone} {lat}: {body}");
        assert!(body.contains(&format!("id=\"f-{field}-error\"")) && body.contains(message), "{field}: {message} in {body}");
    }
    assert!(t.state.store.guardian().responders().await.expect("responders").is_empty(), "nothing stored");

    // Registered: listed with the phone masked.
    let (st, location, body) = send("responder", "grid_worker", "13900139000", "30.05", "119.959").await;
    assert_eq!((st, location.as_deref()), (StatusCode::SEE_OTHER, Some("/guardian/responders?done=responder-saved")), "{body}");
    let page = centre.get("/guardian/responders?done=responder-saved").await;
    assert!(page.body.contains("响应人已保存") && page.body.contains("富春街道 网格员（应急响应）") && page.body.contains("网格员") && page.body.contains("可以出动"), "{}", page.body);
    assert!(page.body.contains("30.05000, 119.95900"), "the position: {}", page.body);
    assert!(!page.body.contains("13900139000") && page.body.contains("139****9000"), "the phone masked in the list: {}", page.body);
    let saved = t.state.store.guardian().responders().await.expect("responders");
    assert_eq!(saved.len(), 1);
    let id = saved[0].id;

    // Updated through the form filled in from the record (the phone in full there).
    let edit = centre.get(&format!("/guardian/responders?edit={id}")).await;
    assert_eq!(edit.status, StatusCode::OK, "{}", edit.body);
    assert!(edit.body.contains("正在修改") && edit.body.contains("value=\"responder\"") && edit.body.contains("value=\"13900139000\""), "{}", edit.body);
    assert!(edit.body.contains("value=\"grid_worker\" checked"), "{}", edit.body);
    let (st, _, body) = send("responder", "village_doctor", "13900139001", "30.044", "119.966").await;
    assert_eq!(st, StatusCode::SEE_OTHER, "{body}");
    let saved = t.state.store.guardian().responders().await.expect("responders");
    assert_eq!((saved.len(), saved[0].id, saved[0].kind.as_str(), saved[0].phone.as_str(), saved[0].lat_e6), (1, id, "village_doctor", "13900139001", 30_044_000));
    let page = centre.get("/guardian/responders").await;
    assert!(page.body.contains("村医") && page.body.contains("30.04400, 119.96600"), "{}", page.body);
    assert_eq!(centre.get("/guardian/responders?edit=424242").await.status, StatusCode::NOT_FOUND);

    // In English, the same errors in English.
    centre.get("/prefs/lang/en?back=/").await;
    let page = centre.get("/guardian/responders").await;
    assert!(page.body.contains("<h1>Responders</h1>") && page.body.contains("Village doctor"), "{}", page.body);
    let (_, _, body) = send("", "grid_worker", "13900139000", "30.05", "119.96").await;
    assert!(body.contains("Enter the responder&#39;s login") || body.contains("Enter the responder's login"), "{body}");
    let (_, _, body) = send("window", "grid_worker", "13900139000", "30.05", "119.96").await;
    assert!(body.contains("This account does not have the responder role"), "{body}");

    // Nobody else sees or changes the list.
    let resident = signed_in(&t, &t.citizen().await).await;
    let other = signed_in(&t, "ga_clerk").await;
    let responder = signed_in(&t, "responder").await;
    for (c, who) in [(&resident, "resident"), (&other, "ga_clerk"), (&responder, "responder")] {
        let r = c.get("/guardian/responders").await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{who}: {}", r.body);
        let csrf = c.get("/notices").await.csrf();
        let r = c.post("/guardian/responders", &[("_csrf", &csrf), ("login", "responder_medic"), ("kind", "volunteer"), ("phone", "13900139000"), ("lat", "30"), ("lon", "120")]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{who}: {}", r.body);
    }
    assert_eq!(t.state.store.guardian().responders().await.expect("responders").len(), 1);
    t.shutdown().await;
}

#[tokio::test]
async fn a_responder_opens_the_alarm_dispatched_to_them_and_the_care_record_lists_the_elders_own() {
    let t = TestWeb::spawn(0).await;
    let keys = elders_living_alone(&t, 2).await;
    let tok = api_token(&t, "mzj_clerk").await;
    let http = reqwest::Client::new();
    let api = |path: &str, body: serde_json::Value| {
        let rb = http.post(format!("{}{path}", t.url)).bearer_auth(&tok).json(&body);
        async move {
            let r = rb.send().await.expect("API");
            assert!(r.status().is_success(), "{}", r.status());
            r.json::<serde_json::Value>().await.expect("json")
        }
    };
    let mut responders = Vec::new();
    for (login, kind) in [("responder", "grid_worker"), ("responder_medic", "village_doctor")] {
        let v = api("/api/guardian/responders", serde_json::json!({"login": login, "kind": kind, "phone": "13900139000", "at": {"lat": 30.05, "lon": 119.96}})).await;
        responders.push(v["id"].as_str().expect("id").to_owned());
    }
    let enrol = |key: &str| serde_json::json!({"id_number": key, "basis": "living_alone", "address": "富春街道 江滨西大道 1 号", "home": {"lat": 30.0485, "lon": 119.9602},
        "contacts": [{"name": "李小明", "relation": "儿子", "phone": "13800138000"}], "consent_on": "2026-01-05"});
    let elder = api("/api/guardian/elders", enrol(&keys[0])).await["id"].as_str().expect("elder").to_owned();
    let other: i64 = api("/api/guardian/elders", enrol(&keys[1])).await["id"].as_str().expect("elder").parse().expect("id");
    let device = api(&format!("/api/guardian/elders/{elder}/devices"), serde_json::json!({"kind": "wearable"})).await["username"].as_str().expect("device").to_owned();
    let name = t.state.store.guardian().elder(elder.parse().expect("id")).await.expect("elder").expect("elder").name;
    let now = t.state.now();
    let mut raised = Vec::new();
    for (seq, fall, sos) in [(1, false, true), (2, true, false)] {
        let payload = serde_json::json!({"seq": seq, "ts": now.to_rfc3339(), "battery_pct": 80, "fall": fall, "sos": sos}).to_string();
        let got = server::areas::guardian::live::ingest(&t.state, &[(device.clone(), axum::body::Bytes::from(payload))]).await.expect("ingest");
        raised.push(got.alarms[0].to_string());
    }
    let (sos, fall) = (raised[0].clone(), raised[1].clone());
    for (alarm, responder) in [(&sos, &responders[0]), (&fall, &responders[1])] {
        api(&format!("/api/guardian/alarms/{alarm}/actions"), serde_json::json!({"action": "acknowledge"})).await;
        api(&format!("/api/guardian/alarms/{alarm}/actions"), serde_json::json!({"action": "dispatch", "responder": responder})).await;
    }

    // The responder opens theirs from their phone page: whom, where, what was read, the steps.
    let grid = signed_in(&t, "responder").await;
    let page = grid.get("/guardian/respond").await;
    assert!(page.body.contains(&format!("href=\"/guardian/respond/alarms/{sos}\"")) && !page.body.contains(&format!("/guardian/respond/alarms/{fall}")), "{}", page.body);
    let logged = format!("SELECT l.resource FROM access_log l JOIN account a ON a.id = l.reader WHERE a.login = 'responder' AND l.resource = 'guardian-alarm:{sos}'");
    let before = strings(&t, &logged).await.len();
    let detail = grid.get(&format!("/guardian/respond/alarms/{sos}")).await;
    assert_eq!(detail.status, StatusCode::OK, "{}", detail.body);
    assert!(detail.body.contains(&format!("一键呼救报警：{name}")) && detail.body.contains("江滨西大道") && detail.body.contains("geo:30.048500,119.960200"), "{}", detail.body);
    assert!(detail.body.contains("报警依据") && detail.body.contains("处置经过") && detail.body.contains("记录完整") && detail.body.contains("派单"), "{}", detail.body);
    assert!(detail.body.contains(&format!("action=\"/guardian/respond/{sos}\"")) && detail.body.contains("接单"), "their buttons: {}", detail.body);
    assert!(!detail.body.contains("/guardian/alarms/") && !detail.body.contains("/guardian/elders/"), "none of the centre's controls or links: {}", detail.body);
    assert!(detail.body.contains("href=\"/guardian/respond\" aria-current=\"page\""), "under the responder's navigation");
    assert_eq!(strings(&t, &logged).await.len(), before + 1, "the read of the elder's data is logged");
    // Accepted from the detail's button; the detail then offers the arrival.
    let csrf = detail.csrf();
    let r = grid.post(&format!("/guardian/respond/{sos}"), &[("_csrf", &csrf), ("action", "accept")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let detail = grid.get(&format!("/guardian/respond/alarms/{sos}")).await;
    assert!(detail.body.contains("我已到场") && detail.body.contains("已接单"), "{}", detail.body);
    // Not the other responder's alarm, nor theirs his.
    let r = grid.get(&format!("/guardian/respond/alarms/{fall}")).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    assert!(!r.body.contains("江滨西大道"), "{}", r.body);
    let medic = signed_in(&t, "responder_medic").await;
    assert_eq!(medic.get(&format!("/guardian/respond/alarms/{sos}")).await.status, StatusCode::NOT_FOUND);
    let r = medic.get(&format!("/guardian/respond/alarms/{fall}")).await;
    assert!(r.status == StatusCode::OK && r.body.contains("跌倒报警"), "{}", r.body);
    assert_eq!(grid.get("/guardian/respond/alarms/nope").await.status, StatusCode::NOT_FOUND);
    // A resident and the centre do not use the responder's page.
    let resident = signed_in(&t, &t.citizen().await).await;
    let centre = signed_in(&t, "mzj_clerk").await;
    for c in [&resident, &centre] {
        assert_eq!(c.get(&format!("/guardian/respond/alarms/{sos}")).await.status, StatusCode::FORBIDDEN);
    }

    // The care record lists the elder's alarms from the store, though the district has 205 newer ones.
    for i in 0..205_i64 {
        let at = now + chrono::Duration::seconds(i + 1);
        let a = store::GuardianAlarmRow {
            id: 9_000_000 + i,
            elder: other,
            division: "330111001001".into(),
            kind: "sos".into(),
            technical: false,
            severity: "life".into(),
            trigger_key: format!("test:{i}"),
            device: None,
            state: "raised".into(),
            responder: None,
            tried: "[]".into(),
            raised_at: at,
            acknowledged_at: None,
            dispatched_at: None,
            accepted_at: None,
            on_scene_at: None,
            closed_at: None,
            outcome: None,
            evidence: "[]".into(),
            case_json: "{}".into(),
            head_seq: 0,
            head_hash: String::new(),
            version: 1,
        };
        let batch = store::GuardianIngest { readings: Vec::new(), states: Vec::new(), rejections: Vec::new(), alarms: vec![store::NewGuardianAlarm { alarm: a.clone(), steps: Vec::new(), notices: Vec::new() }], at };
        t.state.store.guardian().ingest(&batch).await.expect("ingest");
        let closed = store::GuardianAlarmRow { state: "resolved".into(), closed_at: Some(at), version: 2, ..a };
        assert!(t.state.store.guardian().advance_alarm(&closed, &[], &[], at).await.expect("close"));
    }
    let record = centre.get(&format!("/guardian/elders/{elder}")).await;
    assert_eq!(record.status, StatusCode::OK, "{}", record.body);
    for a in [&sos, &fall] {
        assert!(record.body.contains(&format!("href=\"/guardian/alarms/{a}\"")), "{a} on the care record: {}", record.body);
    }
    assert!(record.body.contains("共 2 条报警"), "{}", record.body);
    assert!(!record.body.contains("/guardian/alarms/9000"), "no other elder's alarm");
    let record = centre.get(&format!("/guardian/elders/{other}")).await;
    assert!(record.body.contains("共 205 条报警，以下是最近的 20 条") && record.body.contains("href=\"/guardian/alarms/9000204\""), "{}", record.body);
    t.shutdown().await;
}
