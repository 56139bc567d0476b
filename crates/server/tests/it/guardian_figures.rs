//! The elderly safety guardian's figures for the leaders' cockpit (issue 30), from seeded data
//! worked out by hand: two elders in two towns, three devices of which one is heard, a fall closed
//! in 5 minutes and an SOS closed in 25 — so half the alarms are closed within 10 minutes, the
//! median time to scene is 9 min 30 s, and coverage is what `GET /api/guardian/coverage` counts;
//! on SQLite and (when configured) PostgreSQL.

use chrono::Duration;
use reqwest::StatusCode;
use serde_json::Value;
use serde_json::json;

use crate::helpers::ClockExt;
use crate::helpers::TestApp;
use crate::helpers::backends;

/// The ID numbers and towns of two residents aged 60 or more who live alone, in two towns.
async fn elders_in_two_towns(t: &TestApp) -> [(String, String); 2] {
    let d = domain::china_date(t.clock.now_utc());
    let people = t.state.store.welfare().people_all().await.expect("people");
    let size = |h: i64| people.iter().filter(|p| p.household == h).count();
    let alone: Vec<&store::WelfarePerson> = people.iter().filter(|p| d.years_since(p.birth_date).unwrap_or(0) >= 60 && size(p.household) == 1).collect();
    let town = |p: &store::WelfarePerson| p.division.chars().take(9).collect::<String>();
    let a = alone.first().expect("an elder living alone");
    let b = alone.iter().find(|p| town(p) != town(a)).expect("an elder living alone in another town");
    [(a.id_number.clone(), town(a)), (b.id_number.clone(), town(b))]
}

async fn enrol(t: &TestApp, centre: &str, id: &str, kinds: &[&str]) -> Vec<String> {
    let r = t
        .post(centre, "/api/guardian/elders", json!({
            "id_number": id, "basis": "living_alone", "address": "富春街道 江滨西大道 1 号", "home": {"lat": 30.0485, "lon": 119.9602},
            "contacts": [{"name": "李小明", "relation": "儿子", "phone": "13800138000"}], "consent_on": "2026-01-05"
        }))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let elder = r.body["id"].as_str().expect("id").to_owned();
    let mut devices = Vec::new();
    for kind in kinds {
        let r = t.post(centre, &format!("/api/guardian/elders/{elder}/devices"), json!({"kind": kind, "room": "卧室"})).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        devices.push(r.body["username"].as_str().expect("device").to_owned());
    }
    devices
}

/// A reading of the wearable now; the alarm it raised.
async fn reading(t: &TestApp, device: &str, seq: u64, what: &str) -> String {
    let payload = json!({"seq": seq, "ts": t.clock.now_utc().to_rfc3339(), "battery_pct": 80, what: true}).to_string();
    let got = server::areas::guardian::live::ingest(&t.state, &[(device.to_owned(), axum::body::Bytes::from(payload))]).await.expect("ingest");
    got.alarms.first().expect("an alarm").to_string()
}

async fn step(t: &TestApp, token: &str, alarm: &str, path: &str, body: Value) {
    let r = t.post(token, &format!("/api/guardian/alarms/{alarm}/{path}"), body).await;
    assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.body);
}

#[tokio::test]
async fn the_cockpit_figures_per_town_from_the_measures() {
    for db in backends() {
        let t = TestApp::spawn(db).await;
        let centre = t.login("mzj_clerk").await;
        let [(a, town_a), (b, town_b)] = elders_in_two_towns(&t).await;
        let devices = enrol(&t, &centre, &a, &["wearable", "presence"]).await;
        enrol(&t, &centre, &b, &["door"]).await;
        let r = t.post(&centre, "/api/guardian/responders", json!({"login": "responder", "kind": "grid_worker", "phone": "13900139000", "at": {"lat": 30.05, "lon": 119.96}})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let responder = t.login("responder").await;

        // A fall: acknowledged and dispatched at once, on scene at 4 minutes, closed at 5.
        let fall = reading(&t, &devices[0], 1, "fall").await;
        step(&t, &centre, &fall, "actions", json!({"action": "acknowledge"})).await;
        step(&t, &centre, &fall, "actions", json!({"action": "dispatch"})).await;
        step(&t, &responder, &fall, "responses", json!({"action": "accept"})).await;
        t.clock.advance(Duration::minutes(4));
        step(&t, &responder, &fall, "responses", json!({"action": "arrive"})).await;
        t.clock.advance(Duration::minutes(1));
        step(&t, &responder, &fall, "responses", json!({"action": "resolve", "outcome": "helped_at_home"})).await;
        // An SOS: on scene at 15 minutes, closed at 25 — late.
        let sos = reading(&t, &devices[0], 2, "sos").await;
        step(&t, &centre, &sos, "actions", json!({"action": "acknowledge"})).await;
        step(&t, &centre, &sos, "actions", json!({"action": "dispatch"})).await;
        step(&t, &responder, &sos, "responses", json!({"action": "accept"})).await;
        t.clock.advance(Duration::minutes(15));
        step(&t, &responder, &sos, "responses", json!({"action": "arrive"})).await;
        t.clock.advance(Duration::minutes(10));
        step(&t, &responder, &sos, "responses", json!({"action": "resolve", "outcome": "sent_to_hospital"})).await;

        let f = server::areas::guardian::figures::cockpit(&t.state).await.expect("figures");
        assert_eq!(f.month, "2026-03");
        let d = &f.district;
        // Three devices; only the wearable has been heard (20 minutes ago, within its 30).
        assert_eq!((d.guarded, d.devices, d.devices_online), (2, 3, 1), "{d:?}");
        assert_eq!(d.online_share, Some(1.0 / 3.0));
        let m = d.month.as_ref().expect("the district's month");
        assert_eq!((m.alarms, m.technical, m.open), (2, 0, 0), "{m:?}");
        let kinds: Vec<(&str, u32)> = m.by_kind.iter().map(|(k, n)| (k.code(), *n)).collect();
        assert_eq!(kinds, [("sos", 1), ("fall", 1)]);
        // One of the two closed within 10 minutes; on scene at 240 s and 900 s.
        assert_eq!((m.closed_10min, m.closed_10min_share), (1, Some(0.5)));
        assert_eq!((m.life_safety, m.life_safety_on_scene_10min, m.on_scene_10min_share), (2, 1, Some(0.5)));
        assert_eq!((m.to_scene.n, m.to_scene.median_s), (2, Some(570.0)));
        assert_eq!(m.to_close.median_s, Some(900.0), "(300 + 1,500) / 2");

        // Per town: the fall and the SOS in the first, nothing but an unheard door contact in the other.
        let ta = f.towns.iter().find(|x| x.town == town_a).expect("the first town");
        let tb = f.towns.iter().find(|x| x.town == town_b).expect("the second town");
        assert_eq!((ta.guarded, ta.devices, ta.devices_online, ta.online_share), (1, 2, 1, Some(0.5)));
        assert_eq!((tb.guarded, tb.devices, tb.devices_online, tb.online_share), (1, 1, 0, Some(0.0)));
        assert_eq!(ta.month.as_ref().map(|m| (m.alarms, m.closed_10min_share)), Some((2, Some(0.5))));
        assert_eq!(tb.month.as_ref().map(|m| (m.alarms, m.closed_10min_share)), Some((0, None)));

        // Coverage as the centre's coverage counts it: for the district and for each town, and the
        // same in the measures the centre reads.
        let r = t.get(&centre, "/api/guardian/coverage").await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let (guarded, qualifying) = (r.body["guarded"].as_u64().expect("guarded"), r.body["qualifying"].as_u64().expect("qualifying"));
        assert_eq!((guarded, m.guarded.map(u64::from), m.qualifying.map(u64::from)), (2, Some(2), Some(qualifying)));
        assert_eq!(m.coverage, Some(2.0 / qualifying as f64));
        let r = t.get(&centre, "/api/guardian/measures?month=2026-03").await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        for (town, figures) in [(&town_a, ta), (&town_b, tb)] {
            let c = t.get(&centre, &format!("/api/guardian/coverage?division={town}")).await.body;
            let row = r.body.as_array().expect("towns").iter().find(|x| x["town"] == town.as_str()).cloned().unwrap_or_else(|| panic!("{town} in {}", r.body));
            assert_eq!((row["guarded"].clone(), row["qualifying"].clone()), (c["guarded"].clone(), c["qualifying"].clone()), "{row}");
            let tm = figures.month.as_ref().expect("month");
            assert_eq!((tm.guarded.map(u64::from), tm.qualifying.map(u64::from)), (c["guarded"].as_u64(), c["qualifying"].as_u64()));
        }
        // A past month without alarms has nothing: its coverage was not counted then.
        let r = t.get(&centre, "/api/guardian/measures?month=2026-02").await;
        assert_eq!(r.body, json!([]), "{}", r.body);
        t.shutdown().await;
    }
}
