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
