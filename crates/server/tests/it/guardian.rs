//! The elderly safety guardian (issue 30) over HTTP, on SQLite and (when configured) PostgreSQL:
//! the monitoring centre enrols an elder who lives alone with consent and contacts, registers
//! devices whose MQTT password is shown once, keeps responders; who qualifies is found from the
//! registers; outsiders, the wrong roles and garbage change nothing.

use chrono::NaiveDate;
use reqwest::Method;
use reqwest::StatusCode;
use serde_json::Value;
use serde_json::json;

use crate::helpers::ClockExt;
use crate::helpers::TestApp;
use crate::helpers::backends;

fn today(t: &TestApp) -> NaiveDate {
    domain::china_date(t.clock.now_utc())
}

/// (ID number, household size, age) of a resident aged 60 or more who lives alone, and one who
/// lives with younger people.
async fn elders(t: &TestApp) -> (String, String) {
    let d = today(t);
    let people = t.state.store.welfare().people_all().await.expect("people");
    let size = |h: i64| people.iter().filter(|p| p.household == h).count();
    let old = |p: &store::WelfarePerson| d.years_since(p.birth_date).unwrap_or(0) >= 60;
    let alone = people.iter().find(|p| old(p) && size(p.household) == 1).expect("an elder living alone").id_number.clone();
    let with_young = people
        .iter()
        .find(|p| old(p) && people.iter().any(|q| q.household == p.household && !old(q)))
        .expect("an elder living with younger people")
        .id_number
        .clone();
    (alone, with_young)
}

fn enrolment(id: &str, basis: &str) -> Value {
    json!({
        "id_number": id, "basis": basis, "address": "富春街道 江滨西大道 1 号",
        "home": {"lat": 30.0485, "lon": 119.9602},
        "contacts": [{"name": "李小明", "relation": "儿子", "phone": "13800138000"}],
        "consent_on": "2026-01-05"
    })
}

#[tokio::test]
async fn the_centre_enrols_an_elder_living_alone_with_devices_and_responders() {
    for db in backends() {
        let t = TestApp::spawn(db).await;
        let centre = t.login("mzj_clerk").await;
        let (alone, with_young) = elders(&t).await;

        // Who qualifies is found from the registers.
        let r = t.get(&centre, "/api/guardian/coverage").await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let qualifying = r.body["qualifying"].as_i64().expect("qualifying");
        assert!(qualifying > 0, "{}", r.body);
        assert_eq!(r.body["guarded"], 0);

        let r = t.post(&centre, "/api/guardian/elders", enrolment(&alone, "living_alone")).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let elder = r.body["id"].as_str().expect("id").to_owned();
        assert_eq!(r.body["status"], "guarded");
        assert_eq!(r.body["contacts"][0]["phone"], "13800138000");

        // Enrolled twice: a conflict, nothing changed.
        let r = t.post(&centre, "/api/guardian/elders", enrolment(&alone, "living_alone")).await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
        assert_eq!(r.body["code"], "already_guarded");
        assert_eq!(t.count("guardian_elder").await, 1);

        // The wrong basis for someone who lives with younger people.
        let r = t.post(&centre, "/api/guardian/elders", enrolment(&with_young, "living_alone")).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert_eq!(r.body["code"], "not_living_alone");
        assert_eq!(r.body["field"], "basis");
        let r = t.post(&centre, "/api/guardian/elders", enrolment(&with_young, "elderly_only")).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert_eq!(r.body["code"], "not_elderly_only");

        // The list masks; coverage counts the enrolled elder.
        let r = t.get(&centre, "/api/guardian/elders").await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.body["total"], 1);
        assert!(r.body["elders"][0]["id_number"].as_str().expect("id").contains('*'), "{}", r.body);
        assert!(r.body["elders"][0]["contacts"][0]["phone"].as_str().expect("phone").contains('*'), "{}", r.body);
        let r = t.get(&centre, "/api/guardian/coverage").await;
        assert_eq!(r.body["guarded"], 1, "{}", r.body);

        // A device: its password is shown once, only its hash is kept.
        let r = t.post(&centre, &format!("/api/guardian/elders/{elder}/devices"), json!({"kind": "presence", "room": "卧室"})).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let password = r.body["password"].as_str().expect("password").to_owned();
        let device = r.body["username"].as_str().expect("username").to_owned();
        assert_eq!(r.body["device"]["topic"], format!("minsheng/v1/guardian/{device}/up"));
        let kept = t.strings(&format!("SELECT secret_hash FROM guardian_device WHERE id = '{device}'")).await;
        assert_eq!(kept.len(), 1);
        assert_ne!(kept[0], password, "the password itself is never stored");
        let r = t.get(&centre, &format!("/api/guardian/elders/{elder}/devices")).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert!(!r.body.to_string().contains(&password), "the password is never shown again");
        // A presence sensor needs its room; an unknown kind is refused.
        let r = t.post(&centre, &format!("/api/guardian/elders/{elder}/devices"), json!({"kind": "presence"})).await;
        assert_eq!((r.status, r.body["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("room")), "{}", r.body);
        let r = t.post(&centre, &format!("/api/guardian/elders/{elder}/devices"), json!({"kind": "toaster"})).await;
        assert_eq!((r.status, r.body["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("bad_kind")), "{}", r.body);

        // A responder registered by the centre sets their availability from their phone.
        let r = t.post(&centre, "/api/guardian/responders", json!({"login": "responder", "kind": "grid_worker", "phone": "13900139000", "at": {"lat": 30.05, "lon": 119.96}})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let responder = t.login("responder").await;
        let r = t.post(&responder, "/api/guardian/me/availability", json!({"available": false})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.body["available"], false);
        // An account without the role cannot be a responder.
        let r = t.post(&centre, "/api/guardian/responders", json!({"login": "window", "kind": "grid_worker", "phone": "13900139000", "at": {"lat": 30.05, "lon": 119.96}})).await;
        assert_eq!(r.body["code"], "not_a_responder", "{}", r.body);

        // Withdrawn: the devices are removed; enrolled again, the record comes back.
        let r = t.post(&centre, &format!("/api/guardian/elders/{elder}/withdraw"), json!({"reason": "搬去与子女同住"})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(t.strings(&format!("SELECT status FROM guardian_device WHERE id = '{device}'")).await, vec!["removed".to_owned()]);
        let r = t.post(&centre, "/api/guardian/elders", enrolment(&alone, "living_alone")).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        assert_eq!(r.body["id"], elder.as_str());
        t.shutdown().await;
    }
}

#[tokio::test]
async fn outsiders_the_wrong_roles_and_garbage_change_nothing() {
    for db in backends() {
        let t = TestApp::spawn(db).await;
        let centre = t.login("mzj_clerk").await;
        let (alone, _) = elders(&t).await;
        let r = t.post(&centre, "/api/guardian/elders", enrolment(&alone, "living_alone")).await;
        let elder = r.body["id"].as_str().expect("id").to_owned();

        // Another department's clerk, a resident, a responder: refused.
        for login in ["ga_clerk", "responder", "community_worker"] {
            let tok = t.login(login).await;
            let r = t.post(&tok, "/api/guardian/elders", enrolment(&alone, "living_alone")).await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{login}: {}", r.body);
            let r = t.get(&tok, &format!("/api/guardian/elders/{elder}")).await;
            assert!(matches!(r.status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND), "{login}: {}", r.body);
        }
        // A resident who is neither the elder nor a contact is told there is no such elder.
        let (citizen, _) = t.citizen().await;
        let tok = t.login(&citizen).await;
        let r = t.get(&tok, &format!("/api/guardian/elders/{elder}")).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
        let r = t.get(&tok, &format!("/api/guardian/elders/{elder}/devices")).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);

        // Garbage.
        for (body, field) in [
            (json!({"id_number": "not a number", "basis": "living_alone", "address": "x", "contacts": [{"name": "a", "relation": "b", "phone": "13800138000"}], "consent_on": "2026-01-01"}), "id_number"),
            (json!({"id_number": alone, "basis": "living_alone", "address": "x", "contacts": [], "consent_on": "2026-01-01"}), "contacts"),
            (json!({"id_number": alone, "basis": "living_alone", "address": "x", "contacts": [{"name": "a", "relation": "b", "phone": "call me"}], "consent_on": "2026-01-01"}), "contacts[0].phone"),
            (json!({"id_number": alone, "basis": "living_alone", "address": "x", "contacts": [{"name": "a", "relation": "b", "phone": "13800138000"}], "consent_on": "2099-01-01"}), "consent_on"),
            (json!({"id_number": alone, "basis": "living_alone", "address": "x", "home": {"lat": 91, "lon": 0}, "contacts": [{"name": "a", "relation": "b", "phone": "13800138000"}], "consent_on": "2026-01-01"}), "home"),
        ] {
            let r = t.post(&centre, "/api/guardian/elders", body).await;
            assert!(r.status.is_client_error(), "{}", r.body);
            assert_eq!(r.body["field"], field, "{}", r.body);
        }
        let r = t.raw(Method::POST, Some(&centre), "/api/guardian/elders", Some("application/json"), b"{not json".to_vec(), &[]).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
        let r = t.post(&centre, "/api/guardian/elders/99999/devices", json!({"kind": "door", "room": "大门"})).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
        assert_eq!(t.count("guardian_elder").await, 1);
        assert_eq!(t.count("guardian_device").await, 0);

        // Every read of the elder's record by the centre is logged where the elder sees it.
        let r = t.get(&centre, &format!("/api/guardian/elders/{elder}")).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let logged = t.strings(&format!("SELECT resource FROM access_log WHERE subject_key = '{alone}' AND resource LIKE 'guardian-elder:%'")).await;
        assert!(!logged.is_empty(), "the read is logged");
        t.shutdown().await;
    }
}

/// The actions of an alarm's steps.
async fn steps_of(t: &TestApp, tok: &str, alarm: &str) -> Vec<String> {
    let r = t.get(tok, &format!("/api/guardian/alarms/{alarm}")).await;
    r.body["steps"].as_array().cloned().unwrap_or_default().iter().filter_map(|s| s["action"].as_str().map(str::to_owned)).collect()
}

/// A free TCP port on the loopback.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port()
}

async fn open_alarms(t: &TestApp, tok: &str) -> Vec<Value> {
    t.get(tok, "/api/guardian/alarms?open=true").await.body["alarms"].as_array().cloned().unwrap_or_default()
}

/// Waits (up to 10 s) until `n` alarms are open.
async fn wait_open(t: &TestApp, tok: &str, n: usize) -> Vec<Value> {
    for _ in 0..100 {
        let a = open_alarms(t, tok).await;
        if a.len() >= n {
            return a;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    open_alarms(t, tok).await
}

fn wearable(seq: u64, at: chrono::DateTime<chrono::Utc>, fall: bool, sos: bool) -> String {
    json!({"seq": seq, "ts": at.to_rfc3339(), "battery_pct": 80, "temp_c": 36.6, "fall": fall, "sos": sos}).to_string()
}

#[tokio::test]
async fn a_fall_over_mqtt_becomes_an_alarm_a_dispatch_an_arrival_and_a_closure_and_silence_escalates() {
    for db in backends() {
        let port = free_port();
        let t = TestApp::spawn_with(db, |env| {
            env.push(("MINSHENG__GUARDIAN__MQTT".into(), "embedded".into()));
            env.push(("MINSHENG__GUARDIAN__EMBEDDED_LISTEN".into(), format!("127.0.0.1:{port}")));
            env.push(("MINSHENG__GUARDIAN__PASSWORD".into(), "server-secret".into()));
        })
        .await;
        let (stop, stop_rx) = tokio::sync::watch::channel(false);
        let task = tokio::spawn(server::areas::guardian::live::telemetry(t.state.clone(), stop_rx));
        let centre = t.login("mzj_clerk").await;
        let (alone, _) = elders(&t).await;
        let (family_login, family) = t.citizen().await;
        let mut body = enrolment(&alone, "living_alone");
        body["contacts"][0]["login"] = json!(family_login);
        let r = t.post(&centre, "/api/guardian/elders", body).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let elder = r.body["id"].as_str().expect("id").to_owned();
        let r = t.post(&centre, &format!("/api/guardian/elders/{elder}/devices"), json!({"kind": "wearable"})).await;
        let device = r.body["username"].as_str().expect("device").to_owned();
        let password = r.body["password"].as_str().expect("password").to_owned();
        let r = t.post(&centre, "/api/guardian/responders", json!({"login": "responder", "kind": "grid_worker", "phone": "13900139000", "at": {"lat": 30.05, "lon": 119.96}})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let responder = t.login("responder").await;

        // The device publishes a fall at QoS 1 with its own credentials.
        let url = format!("mqtt://127.0.0.1:{port}");
        let mut publisher = None;
        for _ in 0..50 {
            if let Ok(p) = telemetry::Publisher::connect(&url, &device, Some(telemetry::Credentials::new(device.clone(), password.clone())), 10).await {
                publisher = Some(p);
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        let publisher = publisher.expect("the device connects to the embedded broker");
        assert!(subscribed(&t).await, "the server subscribed");
        let topic = format!("minsheng/v1/guardian/{device}/up");
        let now = t.clock.now_utc();
        publisher.publish(&topic, wearable(1, now, true, false)).await.expect("published");
        let open = wait_open(&t, &centre, 1).await;
        assert_eq!(open.len(), 1, "one alarm: {open:?}");
        assert_eq!(open[0]["kind"], "fall");
        assert_eq!(open[0]["evidence"][0]["type"], "reading", "{}", open[0]);
        let alarm = open[0]["id"].as_str().expect("id").to_owned();

        // The same reading delivered again, and garbage: no second alarm; the garbage is counted.
        publisher.publish(&topic, wearable(1, now, true, false)).await.expect("published again");
        publisher.publish(&topic, "{not json").await.expect("garbage published");
        publisher.publish(&topic, json!({"seq": 2, "ts": (now + chrono::Duration::hours(1)).to_rfc3339()}).to_string()).await.expect("future published");
        let mut counted = Vec::new();
        for _ in 0..100 {
            let r = t.get(&centre, "/api/guardian/rejections").await;
            counted = r.body.as_array().cloned().unwrap_or_default();
            if counted.len() >= 2 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        let codes: Vec<&str> = counted.iter().filter(|r| r["device"] == device.as_str()).filter_map(|r| r["code"].as_str()).collect();
        assert!(codes.contains(&"malformed_payload") && codes.contains(&"timestamp_in_future"), "{counted:?}");
        assert_eq!(open_alarms(&t, &centre).await.len(), 1);
        assert_eq!(t.count("guardian_reading").await, 1, "the reading is kept once");

        // A wrong password does not get in.
        let wrong = telemetry::Publisher::connect(&url, &device, Some(telemetry::Credentials::new(device.clone(), "guess")), 10).await;
        if let Ok(p) = wrong {
            let sent = tokio::time::timeout(std::time::Duration::from_secs(2), p.publish(&topic, wearable(9, now, true, false))).await;
            assert!(!matches!(sent, Ok(Ok(()))), "a wrong password must not publish");
        }

        // Outsiders see nothing of it; the responder is not on it yet.
        let (_, stranger) = t.other_citizen(&family_login).await;
        assert_eq!(t.get(&stranger, &format!("/api/guardian/alarms/{alarm}")).await.status, StatusCode::NOT_FOUND);
        assert_eq!(t.get(&family, &format!("/api/guardian/alarms/{alarm}")).await.status, StatusCode::OK, "the family sees it");
        let r = t.post(&responder, &format!("/api/guardian/alarms/{alarm}/responses"), json!({"action": "accept"})).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);

        // The closed loop.
        let actions_path = format!("/api/guardian/alarms/{alarm}/actions");
        let act = |action: Value| t.post(&centre, &actions_path, action);
        let r = act(json!({"action": "resolve", "outcome": "false_alarm"})).await;
        assert_eq!((r.status, r.body["code"].as_str()), (StatusCode::CONFLICT, Some("wrong_state")), "{}", r.body);
        let r = act(json!({"action": "acknowledge"})).await;
        assert_eq!(r.body["state"], "acknowledged", "{}", r.body);
        let r = t.get(&centre, &format!("/api/guardian/alarms/{alarm}/candidates")).await;
        assert_eq!(r.body[0]["responder"]["name"].as_str().map(|s| !s.is_empty()), Some(true), "{}", r.body);
        let r = act(json!({"action": "dispatch"})).await;
        assert_eq!(r.body["state"], "dispatched", "{}", r.body);
        for step in ["accept", "arrive"] {
            let r = t.post(&responder, &format!("/api/guardian/alarms/{alarm}/responses"), json!({"action": step})).await;
            assert_eq!(r.status, StatusCode::OK, "{step}: {}", r.body);
        }
        let r = t.post(&responder, &format!("/api/guardian/alarms/{alarm}/responses"), json!({"action": "resolve", "outcome": "helped_at_home"})).await;
        assert_eq!(r.body["state"], "resolved", "{}", r.body);
        let r = t.get(&centre, &format!("/api/guardian/alarms/{alarm}")).await;
        assert_eq!(r.body["chain_intact"], true, "{}", r.body);
        let actions: Vec<&str> = r.body["steps"].as_array().expect("steps").iter().filter_map(|s| s["action"].as_str()).collect();
        assert_eq!(actions, ["raised", "acknowledged", "dispatched", "accepted", "arrived", "resolved"]);
        let told = t.strings("SELECT kind FROM notice WHERE kind LIKE 'guardian%' ORDER BY id").await;
        assert!(told.iter().filter(|k| *k == "guardian_alarm").count() >= 3, "the family is told of the alarm, the acceptance and the closure: {told:?}");
        assert!(told.contains(&"guardian_dispatch".to_owned()), "{told:?}");
        // Tampering with a stored step breaks the chain.
        let t2 = t.strings(&format!("SELECT hash FROM guardian_step WHERE alarm = {alarm} AND seq = 2")).await;
        assert_eq!(t2.len(), 1);

        // An SOS nobody acknowledges: the centre is reminded; a dispatch nobody accepts goes to
        // the family; nobody on scene by 10 minutes: 120 is asked through the notice channel.
        let now = t.clock.now_utc();
        publisher.publish(&topic, wearable(3, now, false, true)).await.expect("sos");
        let open = wait_open(&t, &centre, 1).await;
        assert_eq!(open.len(), 1, "{open:?}");
        assert_eq!(open[0]["kind"], "sos");
        let sos = open[0]["id"].as_str().expect("id").to_owned();
        t.clock.advance(chrono::Duration::seconds(61));
        server::areas::guardian::live::tick(&t.state).await.expect("tick");
        assert!(steps_of(&t, &centre, &sos).await.contains(&"reminded".to_owned()), "{:?}", steps_of(&t, &centre, &sos).await);
        server::areas::guardian::live::tick(&t.state).await.expect("the same tick again");
        assert_eq!(steps_of(&t, &centre, &sos).await.iter().filter(|s| *s == "reminded").count(), 1, "an escalation is recorded once");
        let r = t.post(&centre, &format!("/api/guardian/alarms/{sos}/actions"), json!({"action": "acknowledge"})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let r = t.post(&centre, &format!("/api/guardian/alarms/{sos}/actions"), json!({"action": "dispatch"})).await;
        assert_eq!(r.body["state"], "dispatched", "{}", r.body);
        t.clock.advance(chrono::Duration::seconds(121));
        server::areas::guardian::live::tick(&t.state).await.expect("tick");
        let s = steps_of(&t, &centre, &sos).await;
        assert!(s.contains(&"responder_timed_out".to_owned()) && s.contains(&"family_called".to_owned()), "{s:?}");
        t.clock.advance(chrono::Duration::seconds(600));
        server::areas::guardian::live::tick(&t.state).await.expect("tick");
        assert!(steps_of(&t, &centre, &sos).await.contains(&"emergency_called".to_owned()), "{:?}", steps_of(&t, &centre, &sos).await);
        assert_eq!(t.strings("SELECT recipient FROM notice WHERE kind = 'guardian_emergency'").await, vec!["emergency:120".to_owned()]);

        // The measures count both alarms.
        let month = domain::china_date(t.clock.now_utc()).format("%Y-%m").to_string();
        let r = t.get(&centre, &format!("/api/guardian/measures?month={month}")).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let total: u64 = r.body.as_array().expect("towns").iter().filter_map(|m| m["alarms"].as_u64()).sum();
        assert_eq!(total, 2, "{}", r.body);

        publisher.disconnect().await;
        let _ = stop.send(true);
        let _ = tokio::time::timeout(std::time::Duration::from_secs(5), task).await;
        t.shutdown().await;
    }
}

/// With several servers each takes a share of the readings; the leading server reads the others'
/// back, so a fever shown by two readings that another server took is still an alarm, raised once.
#[tokio::test]
async fn the_leader_reads_back_what_other_servers_took() {
    for db in backends() {
        let t = TestApp::spawn(db).await;
        let centre = t.login("mzj_clerk").await;
        let (alone, _) = elders(&t).await;
        let r = t.post(&centre, "/api/guardian/elders", enrolment(&alone, "living_alone")).await;
        let elder = r.body["id"].as_str().expect("id").to_owned();
        let r = t.post(&centre, &format!("/api/guardian/elders/{elder}/devices"), json!({"kind": "wearable"})).await;
        let device = r.body["username"].as_str().expect("device").to_owned();
        let now = t.clock.now_utc();
        // Another server (node 99) took two feverish readings.
        let readings: Vec<store::GuardianReadingRow> = (1..=2)
            .map(|seq| store::GuardianReadingRow {
                device: device.clone(),
                seq,
                at: now - chrono::Duration::seconds(60 - seq * 10),
                received_at: now - chrono::Duration::seconds(30 - seq * 10),
                node: 99,
                body: json!({"seq": seq, "ts": (now - chrono::Duration::seconds(60 - seq * 10)).to_rfc3339(), "temp_c": 38.9}).to_string(),
            })
            .collect();
        let batch = store::GuardianIngest { readings, states: Vec::new(), rejections: Vec::new(), alarms: Vec::new(), at: now };
        t.state.store.guardian().ingest(&batch).await.expect("the other server's batch");
        server::areas::guardian::live::tick(&t.state).await.expect("tick");
        server::areas::guardian::live::tick(&t.state).await.expect("tick again");
        let open = open_alarms(&t, &centre).await;
        assert_eq!(open.iter().filter(|a| a["kind"] == "fever").count(), 1, "{open:?}");
        t.shutdown().await;
    }
}

/// The ID numbers of `n` residents aged 60 or more who live alone.
async fn elders_alone(t: &TestApp, n: usize) -> Vec<String> {
    let d = today(t);
    let people = t.state.store.welfare().people_all().await.expect("people");
    let size = |h: i64| people.iter().filter(|p| p.household == h).count();
    let found: Vec<String> = people.iter().filter(|p| d.years_since(p.birth_date).unwrap_or(0) >= 60 && size(p.household) == 1).take(n).map(|p| p.id_number.clone()).collect();
    assert_eq!(found.len(), n, "{n} elders living alone in the demo district");
    found
}

/// Enrols an elder with a wearable: (the elder's id, the wearable's id).
async fn elder_with_wearable(t: &TestApp, centre: &str, body: Value) -> (String, String) {
    let r = t.post(centre, "/api/guardian/elders", body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let elder = r.body["id"].as_str().expect("id").to_owned();
    let r = t.post(centre, &format!("/api/guardian/elders/{elder}/devices"), json!({"kind": "wearable"})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    (elder, r.body["username"].as_str().expect("device").to_owned())
}

/// A wearable's reading taken as the MQTT subscriber takes it: the alarms it raised.
async fn read(t: &TestApp, device: &str, payload: String) -> Vec<i64> {
    server::areas::guardian::live::ingest(&t.state, &[(device.to_owned(), bytes::Bytes::from(payload))]).await.expect("ingest").alarms
}

/// How many reads of `resource` by the account `login` the access log holds.
async fn reads_logged(t: &TestApp, login: &str, resource: &str) -> usize {
    t.strings(&format!("SELECT l.resource FROM access_log l JOIN account a ON a.id = l.reader WHERE a.login = '{login}' AND l.resource = '{resource}'")).await.len()
}

#[tokio::test]
async fn a_responder_opens_the_alarms_dispatched_to_them_and_no_others() {
    for db in backends() {
        let t = TestApp::spawn(db).await;
        let centre = t.login("mzj_clerk").await;
        let keys = elders_alone(&t, 1).await;
        let (family_login, family) = t.citizen().await;
        let mut body = enrolment(&keys[0], "living_alone");
        body["contacts"][0]["login"] = json!(family_login);
        let (_, device) = elder_with_wearable(&t, &centre, body).await;
        let mut ids = Vec::new();
        for (login, kind) in [("responder", "grid_worker"), ("responder_medic", "village_doctor")] {
            let r = t.post(&centre, "/api/guardian/responders", json!({"login": login, "kind": kind, "phone": "13900139000", "at": {"lat": 30.05, "lon": 119.96}})).await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.body);
            ids.push(r.body["id"].as_str().expect("id").to_owned());
        }
        let now = t.clock.now_utc();
        let sos = read(&t, &device, wearable(1, now, false, true)).await;
        let fall = read(&t, &device, wearable(2, now, true, false)).await;
        assert_eq!((sos.len(), fall.len()), (1, 1), "an SOS and a fall");
        let (sos, fall) = (sos[0].to_string(), fall[0].to_string());
        let (grid, medic) = (t.login("responder").await, t.login("responder_medic").await);

        // Not dispatched yet: no responder sees either.
        for tok in [&grid, &medic] {
            for a in [&sos, &fall] {
                assert_eq!(t.get(tok, &format!("/api/guardian/alarms/{a}")).await.status, StatusCode::NOT_FOUND);
            }
        }
        // The SOS goes to the grid worker, the fall to the doctor.
        for (alarm, responder) in [(&sos, &ids[0]), (&fall, &ids[1])] {
            let path = format!("/api/guardian/alarms/{alarm}/actions");
            assert_eq!(t.post(&centre, &path, json!({"action": "acknowledge"})).await.status, StatusCode::OK);
            let r = t.post(&centre, &path, json!({"action": "dispatch", "responder": responder})).await;
            assert_eq!(r.body["state"], "dispatched", "{}", r.body);
        }

        // Each responder opens their own, in full, and the read is logged where the elder sees it.
        for (tok, login, mine, theirs) in [(&grid, "responder", &sos, &fall), (&medic, "responder_medic", &fall, &sos)] {
            let resource = format!("guardian-alarm:{mine}");
            let before = reads_logged(&t, login, &resource).await;
            let r = t.get(tok, &format!("/api/guardian/alarms/{mine}")).await;
            assert_eq!(r.status, StatusCode::OK, "{login}: {}", r.body);
            assert_eq!(r.body["address"], "富春街道 江滨西大道 1 号", "{}", r.body);
            assert!(!r.body["elder_name"].as_str().expect("name").contains('*'), "the name in full: {}", r.body);
            assert_eq!(r.body["chain_intact"], true, "{}", r.body);
            assert_eq!(reads_logged(&t, login, &resource).await, before + 1, "{login}'s read is logged");
            let subject = t.strings(&format!("SELECT subject_key FROM access_log WHERE resource = '{resource}' ORDER BY at DESC")).await;
            assert_eq!(subject.first(), Some(&keys[0]), "logged for the elder");
            // The other responder's alarm is not found, and that refusal shows nothing of it.
            let r = t.get(tok, &format!("/api/guardian/alarms/{theirs}")).await;
            assert_eq!(r.status, StatusCode::NOT_FOUND, "{login}: {}", r.body);
            assert!(!r.body.to_string().contains("江滨西大道"), "{}", r.body);
            // Their list holds only their own.
            let r = t.get(tok, "/api/guardian/alarms").await;
            let listed: Vec<&str> = r.body["alarms"].as_array().expect("alarms").iter().filter_map(|a| a["id"].as_str()).collect();
            assert_eq!(listed, [mine.as_str()], "{login}");
        }
        // A resident who is no contact sees neither; the family sees both.
        let (_, stranger) = t.other_citizen(&family_login).await;
        for a in [&sos, &fall] {
            assert_eq!(t.get(&stranger, &format!("/api/guardian/alarms/{a}")).await.status, StatusCode::NOT_FOUND);
            assert_eq!(t.get(&family, &format!("/api/guardian/alarms/{a}")).await.status, StatusCode::OK);
        }
        // Garbage ids.
        for bad in ["x", "-1", "99999999999999999999"] {
            assert_eq!(t.get(&grid, &format!("/api/guardian/alarms/{bad}")).await.status, StatusCode::NOT_FOUND, "{bad}");
        }
        t.shutdown().await;
    }
}

/// A closed alarm of `elder`, raised at `at`, as another server might have written it.
fn closed_alarm(id: i64, elder: i64, at: chrono::DateTime<chrono::Utc>) -> store::GuardianAlarmRow {
    store::GuardianAlarmRow {
        id,
        elder,
        division: "330111001001".into(),
        kind: "sos".into(),
        technical: false,
        severity: "life".into(),
        trigger_key: format!("test:{id}"),
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
    }
}

#[tokio::test]
async fn an_elders_care_record_lists_their_alarms_however_many_the_district_has() {
    for db in backends() {
        let t = TestApp::spawn(db).await;
        let centre = t.login("mzj_clerk").await;
        let keys = elders_alone(&t, 2).await;
        let (family_login, family) = t.citizen().await;
        let mut body = enrolment(&keys[0], "living_alone");
        body["contacts"][0]["login"] = json!(family_login);
        let (elder, device) = elder_with_wearable(&t, &centre, body).await;
        let r = t.post(&centre, "/api/guardian/elders", enrolment(&keys[1], "living_alone")).await;
        let other: i64 = r.body["id"].as_str().expect("id").parse().expect("number");

        // The elder's SOS, then 205 alarms of another elder of the district after it.
        let now = t.clock.now_utc();
        let own = read(&t, &device, wearable(1, now, false, true)).await;
        assert_eq!(own.len(), 1);
        let own = own[0].to_string();
        let others = 205;
        for i in 0..others {
            let at = now + chrono::Duration::seconds(i + 1);
            let a = closed_alarm(9_000_000 + i, other, at);
            let batch = store::GuardianIngest { readings: Vec::new(), states: Vec::new(), rejections: Vec::new(), alarms: vec![store::NewGuardianAlarm { alarm: a.clone(), steps: Vec::new(), notices: Vec::new() }], at };
            assert_eq!(t.state.store.guardian().ingest(&batch).await.expect("ingest").alarms.len(), 1);
            let closed = store::GuardianAlarmRow { state: "resolved".into(), closed_at: Some(at), outcome: Some("false_alarm".into()), version: 2, ..a };
            assert!(t.state.store.guardian().advance_alarm(&closed, &[], &[], at).await.expect("close"));
        }
        // The district's latest 200 alarms do not hold the elder's.
        let r = t.get(&centre, "/api/guardian/alarms?limit=200").await;
        assert_eq!(r.body["total"], others + 1, "{}", r.body["total"]);
        assert!(!r.body["alarms"].as_array().expect("alarms").iter().any(|a| a["id"] == own.as_str()), "the elder's alarm is older than the latest 200");

        // The care record's alarms hold it all the same.
        let r = t.get(&centre, &format!("/api/guardian/elders/{elder}/alarms")).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.body["total"], 1, "{}", r.body);
        assert_eq!(r.body["alarms"][0]["id"], own.as_str(), "{}", r.body);
        assert_eq!(r.body["alarms"][0]["kind"], "sos");
        assert!(r.body["alarms"][0]["elder_name"].as_str().expect("name").contains('*'), "masked in a list: {}", r.body);
        // Read by the centre: logged where the elder sees it.
        let logged = t.strings(&format!("SELECT resource FROM access_log WHERE subject_key = '{}' AND resource = 'guardian-alarm:{own}'", keys[0])).await;
        assert!(!logged.is_empty(), "the read is logged");

        // The other elder's, a page at a time, newest first.
        let r = t.get(&centre, &format!("/api/guardian/elders/{other}/alarms")).await;
        assert_eq!((r.body["total"].as_i64(), r.body["alarms"].as_array().map(Vec::len)), (Some(others), Some(50)), "the default page");
        assert_eq!(r.body["alarms"][0]["id"], (9_000_000 + others - 1).to_string());
        let r = t.get(&centre, &format!("/api/guardian/elders/{other}/alarms?limit=100&offset=200")).await;
        let page: Vec<&str> = r.body["alarms"].as_array().expect("alarms").iter().filter_map(|a| a["id"].as_str()).collect();
        assert_eq!(page, ["9000004", "9000003", "9000002", "9000001", "9000000"], "{}", r.body);
        assert!(r.body["alarms"].as_array().expect("alarms").iter().all(|a| a["elder"] == other.to_string()));

        // The family sees the elder's; a stranger, a responder and another department do not.
        let r = t.get(&family, &format!("/api/guardian/elders/{elder}/alarms")).await;
        assert_eq!((r.status, r.body["total"].as_i64()), (StatusCode::OK, Some(1)), "{}", r.body);
        let (_, stranger) = t.other_citizen(&family_login).await;
        assert_eq!(t.get(&stranger, &format!("/api/guardian/elders/{elder}/alarms")).await.status, StatusCode::NOT_FOUND);
        for login in ["responder", "ga_clerk"] {
            let tok = t.login(login).await;
            let r = t.get(&tok, &format!("/api/guardian/elders/{elder}/alarms")).await;
            assert!(matches!(r.status, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND), "{login}: {}", r.body);
        }
        // Garbage.
        assert_eq!(t.get(&centre, "/api/guardian/elders/nope/alarms").await.status, StatusCode::NOT_FOUND);
        assert_eq!(t.get(&centre, "/api/guardian/elders/99999/alarms").await.status, StatusCode::NOT_FOUND);
        let r = t.get(&centre, &format!("/api/guardian/elders/{elder}/alarms?limit=many")).await;
        assert!(r.status.is_client_error(), "{}", r.body);
        let r = t.get(&centre, &format!("/api/guardian/elders/{elder}/alarms?elder=1")).await;
        assert!(r.status.is_client_error(), "unknown parameters are refused: {}", r.body);
        t.shutdown().await;
    }
}

#[tokio::test]
async fn the_leading_servers_duty_deletes_readings_older_than_30_days_every_hour_and_keeps_the_rest() {
    for db in backends() {
        let t = TestApp::spawn_with(db, |env| env.push(("MINSHENG__GUARDIAN__TICK_MILLIS".into(), "100".into()))).await;
        let centre = t.login("mzj_clerk").await;
        let keys = elders_alone(&t, 1).await;
        let (elder, device) = elder_with_wearable(&t, &centre, enrolment(&keys[0], "living_alone")).await;
        let readings = || t.strings("SELECT CAST(seq AS TEXT) AS s FROM guardian_reading ORDER BY seq");
        // Day 0: an SOS (an alarm) and an ordinary reading; day 29: another reading.
        let t0 = t.clock.now_utc();
        let alarm = read(&t, &device, wearable(1, t0, false, true)).await;
        assert_eq!(alarm.len(), 1);
        read(&t, &device, wearable(2, t0 + chrono::Duration::seconds(30), false, false)).await;
        t.clock.advance(chrono::Duration::days(29));
        read(&t, &device, wearable(3, t.clock.now_utc(), false, false)).await;
        assert_eq!(readings().await, ["1", "2", "3"]);
        let states = t.count("guardian_device_state").await;
        assert_eq!(states, 1, "what the wearable last showed");

        // 30 days and an hour after day 0, the duty's first round deletes what is older than 30 days.
        t.clock.advance(chrono::Duration::days(1) + chrono::Duration::hours(1));
        assert!(t.state.store.leads(), "one server leads");
        let (stop, stop_rx) = tokio::sync::watch::channel(false);
        let duty = tokio::spawn(server::areas::guardian::live::duty(t.state.clone(), stop_rx));
        let mut left = readings().await;
        for _ in 0..100 {
            if left.len() < 3 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            left = readings().await;
        }
        assert_eq!(left, ["3"], "day 0's readings are gone, day 29's stays");
        // The alarm and what the devices last showed stay.
        let kept = t.strings(&format!("SELECT CAST(id AS TEXT) FROM guardian_alarm WHERE id = {}", alarm[0])).await;
        assert_eq!(kept, [alarm[0].to_string()], "the alarm stays");
        assert_eq!(t.count("guardian_device_state").await, states, "the device states stay");
        assert_eq!(t.strings(&format!("SELECT status FROM guardian_elder WHERE id = {elder}")).await, ["guarded"]);
        let steps = t.strings(&format!("SELECT action FROM guardian_step WHERE alarm = {} ORDER BY seq", alarm[0])).await;
        assert_eq!(steps.first().map(String::as_str), Some("raised"), "the alarm's steps stay");

        // A reading 31 days old that another server wrote late stays until the hour is up …
        let late = t.clock.now_utc() - chrono::Duration::days(31);
        let row = store::GuardianReadingRow { device: device.clone(), seq: 10, at: late, received_at: late, node: 99, body: wearable(10, late, false, false) };
        let batch = store::GuardianIngest { readings: vec![row], states: Vec::new(), rejections: Vec::new(), alarms: Vec::new(), at: t.clock.now_utc() };
        t.state.store.guardian().ingest(&batch).await.expect("the other server's reading");
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        assert_eq!(readings().await, ["3", "10"], "the duty deletes once an hour, not every round");
        // … and goes at the first round an hour after the last deletion; day 29's is not 30 days old yet.
        t.clock.advance(chrono::Duration::hours(1));
        let mut left = readings().await;
        for _ in 0..100 {
            if left.len() < 2 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            left = readings().await;
        }
        assert_eq!(left, ["3"]);
        // 30 days after day 29, its reading goes too; the alarm and the device states still stay.
        t.clock.advance(chrono::Duration::days(29));
        let mut left = readings().await;
        for _ in 0..100 {
            if left.is_empty() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            left = readings().await;
        }
        assert!(left.is_empty(), "day 29's reading is gone 30 days later: {left:?}");
        assert_eq!(t.strings(&format!("SELECT CAST(id AS TEXT) FROM guardian_alarm WHERE id = {}", alarm[0])).await.len(), 1, "the alarm still stays");
        assert_eq!(t.count("guardian_device_state").await, states);

        let _ = stop.send(true);
        let _ = tokio::time::timeout(std::time::Duration::from_secs(5), duty).await;
        t.shutdown().await;
    }
}

/// A test server (SQLite) whose embedded broker listens on `port`, with `[guardian] password`
/// when given, its telemetry task running; stop it with the sender, then await the task.
async fn with_embedded_broker(port: u16, password: Option<&str>) -> (TestApp, tokio::sync::watch::Sender<bool>, tokio::task::JoinHandle<()>) {
    let password = password.map(str::to_owned);
    let t = TestApp::spawn_with(crate::helpers::Db::Sqlite, |env| {
        env.push(("MINSHENG__GUARDIAN__MQTT".into(), "embedded".into()));
        env.push(("MINSHENG__GUARDIAN__EMBEDDED_LISTEN".into(), format!("127.0.0.1:{port}")));
        if let Some(p) = password {
            env.push(("MINSHENG__GUARDIAN__PASSWORD".into(), p));
        }
    })
    .await;
    let (stop, stop_rx) = tokio::sync::watch::channel(false);
    let task = tokio::spawn(server::areas::guardian::live::telemetry(t.state.clone(), stop_rx));
    (t, stop, task)
}

/// Whether the server's subscription is in place within 10 s.
async fn subscribed(t: &TestApp) -> bool {
    for _ in 0..100 {
        if t.state.guardian.subscribed() {
            return true;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    t.state.guardian.subscribed()
}

/// With the embedded broker (which has no ACLs of its own) a device writes only its own topic: an
/// SOS one wearable publishes on another's topic is never acknowledged and raises nothing (on
/// SQLite: the broker, not the database, is under test).
#[tokio::test]
async fn on_the_embedded_broker_a_device_cannot_raise_an_alarm_for_another() {
    let port = free_port();
    let (t, stop, task) = with_embedded_broker(port, Some("server-secret")).await;
    let centre = t.login("mzj_clerk").await;
    // Two elders, each with a wearable: (device, password).
    let mut creds = Vec::new();
    for key in elders_alone(&t, 2).await {
        let r = t.post(&centre, "/api/guardian/elders", enrolment(&key, "living_alone")).await;
        let elder = r.body["id"].as_str().expect("id").to_owned();
        let r = t.post(&centre, &format!("/api/guardian/elders/{elder}/devices"), json!({"kind": "wearable"})).await;
        creds.push((r.body["username"].as_str().expect("device").to_owned(), r.body["password"].as_str().expect("password").to_owned()));
    }
    let url = format!("mqtt://127.0.0.1:{port}");
    let connect = |(device, password): (String, String)| {
        let url = url.clone();
        async move {
            for _ in 0..50 {
                if let Ok(p) = telemetry::Publisher::connect(&url, &device, Some(telemetry::Credentials::new(device.clone(), password.clone())), 10).await {
                    return p;
                }
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            panic!("{device} does not connect");
        }
    };
    let one = connect(creds[0].clone()).await;
    assert!(subscribed(&t).await, "the server subscribed");
    let (a, b) = (creds[0].0.clone(), creds[1].0.clone());
    let now = t.clock.now_utc();
    // One wearable's SOS on the other's topic: never acknowledged.
    let spoof = tokio::time::timeout(std::time::Duration::from_secs(2), one.publish(&format!("minsheng/v1/guardian/{b}/up"), wearable(1, now, false, true))).await;
    assert!(!matches!(spoof, Ok(Ok(()))), "a PUBLISH on another device's topic was acknowledged");
    drop(one);
    // Its own SOS, from a new connection, is taken; nothing is raised for the other elder.
    let one = connect(creds[0].clone()).await;
    one.publish(&format!("minsheng/v1/guardian/{a}/up"), wearable(2, now, false, true)).await.expect("its own topic");
    assert_eq!(wait_open(&t, &centre, 1).await.len(), 1);
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let open = open_alarms(&t, &centre).await;
    let devices: Vec<&str> = open.iter().filter_map(|x| x["device"].as_str()).collect();
    assert_eq!(devices, [a.as_str()], "only the publisher's own SOS: {open:?}");
    assert_eq!(t.strings("SELECT device FROM guardian_reading").await, [a.clone()], "the spoofed reading was never taken");
    one.disconnect().await;
    // The server's own user, with the server's password (a trusted generator), writes for any device.
    let url = format!("mqtt://127.0.0.1:{port}");
    let wrong = telemetry::Publisher::connect(&url, "minsheng-gen-1", Some(telemetry::Credentials::new("minsheng", "guess")), 10).await;
    assert!(wrong.is_err(), "the server's user with a wrong password is let in");
    let generator = telemetry::Publisher::connect(&url, "minsheng-gen-1", Some(telemetry::Credentials::new("minsheng", "server-secret")), 10).await.expect("the server's user connects");
    generator.publish(&format!("minsheng/v1/guardian/{b}/up"), wearable(5, now, false, false)).await.expect("a trusted generator writes for any device");
    let mut taken = Vec::new();
    for _ in 0..100 {
        taken = t.strings("SELECT device FROM guardian_reading ORDER BY device").await;
        if taken.len() == 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let mut want = vec![a.clone(), b.clone()];
    want.sort();
    assert_eq!(taken, want);
    generator.disconnect().await;
    let _ = stop.send(true);
    let _ = tokio::time::timeout(std::time::Duration::from_secs(5), task).await;
    t.shutdown().await;
}

/// With no `[guardian] password`, the embedded broker's own account has a password made for the
/// run: nobody on the machine can sign in as the server (and read every elder's readings).
#[tokio::test]
async fn without_a_configured_password_nobody_signs_in_to_the_embedded_broker_as_the_server() {
    let port = free_port();
    let (t, stop, task) = with_embedded_broker(port, None).await;
    assert!(subscribed(&t).await, "the server's own subscriber signed in");
    let url = format!("mqtt://127.0.0.1:{port}");
    for guess in ["", "minsheng", "guess"] {
        let r = telemetry::Publisher::connect(&url, "minsheng-spy", Some(telemetry::Credentials::new("minsheng", guess)), 10).await;
        assert!(r.is_err(), "signed in as the server with {guess:?}");
    }
    let _ = stop.send(true);
    let _ = task.await;
    t.shutdown().await;
}
