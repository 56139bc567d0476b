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
