//! Hospital parking guidance (issue 34, E1) over HTTP and MQTT, on SQLite and (when configured)
//! PostgreSQL: a hospital, its car parks and a guidance sign registered by the parking department;
//! an operator's feed over HTTP with the lot's key and over MQTT as the lot's feed user; readings
//! refused for what they say; the stale-feed rule (unknown, never free); staff bays never counted;
//! the ranking by driving and walking time, on the real São Paulo road network too; the sign, its
//! QR answer and the guided trip; ParkAPI; the cockpit. Outsiders and lesser roles at every step.

use reqwest::Method;
use reqwest::StatusCode;
use serde_json::Value;
use serde_json::json;

use crate::helpers::ClockExt;
use crate::helpers::TestApp;
use crate::helpers::backends;

const TOWN: &str = "330111001";

fn hospital() -> Value {
    json!({"id": "fy-first", "name": "富阳区第一人民医院", "town": TOWN, "entrance": {"lat": 30.0500, "lon": 119.9600}})
}

/// The hospital's own car park (visitor and staff bays), a public garage 600 m away and street
/// bays 300 m away.
fn lots() -> Vec<Value> {
    vec![
        json!({"id": "fy-first-own", "name": "一院地下停车场", "kind": "hospital", "structure": "underground", "hospital": "fy-first", "town": TOWN,
            "location": {"lat": 30.0503, "lon": 119.9604}, "entrance": {"lat": 30.0502, "lon": 119.9602},
            "capacity": {"visitor": 100, "staff": 50, "disabled": 4, "ev": 6}, "hours": "24/7",
            "fees": {"first_hour_fen": 500, "per_hour_after_fen": 300, "daily_cap_fen": 3000, "free_minutes": 15}}),
        json!({"id": "fy-garage", "name": "江滨公共停车楼", "kind": "public_garage", "structure": "multi_storey", "town": TOWN,
            "location": {"lat": 30.0550, "lon": 119.9620}, "entrance": {"lat": 30.0548, "lon": 119.9618},
            "capacity": {"visitor": 300}, "hours": "Mo-Su 06:00-23:00"}),
        json!({"id": "fy-street", "name": "桂花路路内泊位", "kind": "street_bays", "structure": "street", "town": TOWN,
            "location": {"lat": 30.0525, "lon": 119.9590}, "entrance": {"lat": 30.0525, "lon": 119.9590},
            "capacity": {"visitor": 20}}),
    ]
}

fn sign() -> Value {
    json!({"id": "fy-first-s2", "name": "金桥北路口二级诱导屏", "level": 2, "hospital": "fy-first", "location": {"lat": 30.0580, "lon": 119.9550},
        "lots": [{"lot": "fy-first-own", "arrow": "right"}, {"lot": "fy-garage", "arrow": "ahead"}, {"lot": "fy-street", "arrow": "left"}]})
}

async fn set_up(t: &TestApp) -> String {
    let staff = t.login("zhzf_clerk").await;
    let r = t.post(&staff, "/api/parking/hospitals", hospital()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    for l in lots() {
        let r = t.post(&staff, "/api/parking/lots", l).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    }
    let r = t.post(&staff, "/api/parking/signs", sign()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    staff
}

async fn key(t: &TestApp, staff: &str, lot: &str) -> String {
    let r = t.post(staff, &format!("/api/parking/lots/{lot}/feed-key"), json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["mqtt_user"], format!("parking-{lot}"));
    r.body["key"].as_str().expect("key").to_owned()
}

fn reading(lot: &str, at: chrono::DateTime<chrono::Utc>, bays: Value) -> Value {
    json!({"lot": lot, "at": at.to_rfc3339(), "bays": bays})
}

async fn send(t: &TestApp, lot: &str, key: &str, readings: Vec<Value>) -> crate::helpers::Resp {
    t.request(Method::POST, None, &format!("/api/parking/lots/{lot}/readings"), Some(json!({"readings": readings})), &[("x-feed-key", key)]).await
}

fn by_lot<'a>(guidance: &'a Value, lot: &str) -> &'a Value {
    guidance["lots"].as_array().and_then(|a| a.iter().find(|l| l["lot"] == lot)).unwrap_or(&Value::Null)
}

#[tokio::test]
async fn car_parks_are_registered_by_the_parking_department_only_and_bad_ones_change_nothing() {
    for db in backends() {
        let t = TestApp::spawn(db).await;
        let (_, resident) = t.citizen().await;
        let clerk = t.login("wjw_clerk").await;
        for token in [&resident, &clerk] {
            let r = t.post(token, "/api/parking/hospitals", hospital()).await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
        }
        let r = t.request(Method::POST, None, "/api/parking/lots", Some(lots()[0].clone()), &[]).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        let staff = set_up(&t).await;
        let before = t.count("city_doc").await;
        let bad: Vec<(Value, &str)> = vec![
            (json!({"id": "Not A Slug"}), "id"),
            (json!({"hospital": "no-such-hospital"}), "hospital"),
            (json!({"capacity": {"staff": 10}}), "capacity"),
            (json!({"hours": "whenever"}), "hours"),
            (json!({"town": "330111999"}), "town"),
            (json!({"location": {"lat": 95.0, "lon": 119.96}}), "location"),
            (json!({"kind": "castle"}), "kind"),
        ];
        for (change, field) in bad {
            let mut body = lots()[0].clone();
            body["id"] = json!("fy-new");
            for (k, v) in change.as_object().expect("object") {
                body[k] = v.clone();
            }
            let r = t.post(&staff, "/api/parking/lots", body).await;
            assert!(r.status == StatusCode::UNPROCESSABLE_ENTITY || r.status == StatusCode::BAD_REQUEST, "{field}: {} {}", r.status, r.body);
            assert!(r.body["field"].as_str().unwrap_or("").contains(field), "{field}: {}", r.body);
            assert!(r.body["message"].as_str().is_some_and(|m| !m.is_empty()) && r.body["message_en"].as_str().is_some_and(|m| !m.is_empty()), "{}", r.body);
        }
        let mut s = sign();
        s["lots"][0]["lot"] = json!("no-such-lot");
        let r = t.post(&staff, "/api/parking/signs", s).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert_eq!(t.count("city_doc").await, before, "nothing changed");
        // Changing a lot keeps one record.
        let mut body = lots()[2].clone();
        body["capacity"]["visitor"] = json!(24);
        let r = t.post(&staff, "/api/parking/lots", body).await;
        assert_eq!((r.status, r.body["capacity"]["visitor"].as_u64()), (StatusCode::OK, Some(24)), "{}", r.body);
        assert_eq!(t.count("city_doc").await, before);
        // Anyone sees the lots; a feed key is the department's to issue.
        let r = t.get(&resident, "/api/parking/lots?hospital=fy-first").await;
        assert_eq!(r.body.as_array().map(Vec::len), Some(3), "{}", r.body);
        assert!(r.body.as_array().expect("lots").iter().all(|l| l["status"] == "unknown" && l["free"].is_null()), "no reading yet: unknown, never free: {}", r.body);
        let r = t.post(&resident, "/api/parking/lots/fy-garage/feed-key", json!({})).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        t.shutdown().await;
    }
}

#[tokio::test]
async fn an_operators_feed_is_checked_reading_by_reading_and_a_silent_feed_turns_unknown_never_free() {
    for db in backends() {
        let t = TestApp::spawn(db).await;
        let staff = set_up(&t).await;
        let own = key(&t, &staff, "fy-first-own").await;
        let garage = key(&t, &staff, "fy-garage").await;
        let now = t.clock.now_utc();
        let m = |n: i64| now - chrono::Duration::minutes(n);

        // Refused, whole: a wrong key, another lot's reading, above capacity, negative, unknown bay, future.
        let r = send(&t, "fy-first-own", "guess", vec![reading("fy-first-own", m(1), json!({"visitor": {"occupied": 10}}))]).await;
        assert_eq!((r.status, r.body["code"].as_str()), (StatusCode::FORBIDDEN, Some("bad_feed_key")), "{}", r.body);
        let r = send(&t, "fy-first-own", &garage, vec![reading("fy-first-own", m(1), json!({"visitor": {"occupied": 10}}))]).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "the garage's key is not the hospital lot's: {}", r.body);
        let r = send(&t, "fy-first-own", &own, vec![reading("fy-garage", m(1), json!({"visitor": {"occupied": 10}}))]).await;
        assert_eq!((r.status, r.body["code"].as_str()), (StatusCode::FORBIDDEN, Some("other_lot")), "{}", r.body);
        let bad = [
            (json!({"visitor": {"occupied": 101}}), "bays.visitor"),
            (json!({"visitor": {"occupied": -1}}), "bays.visitor"),
            (json!({"visitor": {"free": 120}}), "bays.visitor"),
            (json!({"helipad": {"occupied": 1}}), "bays.helipad"),
        ];
        for (bays, field) in bad {
            let r = send(&t, "fy-first-own", &own, vec![reading("fy-first-own", m(3), json!({"visitor": {"occupied": 5}})), reading("fy-first-own", m(2), bays.clone())]).await;
            assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{bays}: {}", r.body);
            assert_eq!(r.body["field"], format!("readings[1].{field}"), "{}", r.body);
        }
        let r = send(&t, "fy-first-own", &own, vec![reading("fy-first-own", now + chrono::Duration::minutes(10), json!({"visitor": {"occupied": 5}}))]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        let r = t.request(Method::POST, None, "/api/parking/lots/no-such-lot/readings", Some(json!({"readings": []})), &[("x-feed-key", own.as_str())]).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        assert_eq!(t.count("parking_reading").await, 0, "nothing was kept");

        // The hospital lot: visitor bays full, staff bays free — full for visitors. The garage has room.
        let r = send(&t, "fy-first-own", &own, vec![reading("fy-first-own", m(3), json!({"visitor": {"occupied": 98}, "staff": {"occupied": 10}})), reading("fy-first-own", m(1), json!({"visitor": {"occupied": 100}, "staff": {"occupied": 10}, "disabled": {"free": 2}}))]).await;
        assert_eq!((r.status, r.body["accepted"].as_u64()), (StatusCode::OK, Some(2)), "{}", r.body);
        let r = send(&t, "fy-garage", &garage, vec![reading("fy-garage", now, json!({"visitor": {"free": 120}}))]).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        // Out of order and replays: refused, nothing changed.
        let r = send(&t, "fy-first-own", &own, vec![reading("fy-first-own", m(1), json!({"visitor": {"occupied": 50}}))]).await;
        assert_eq!((r.status, r.body["code"].as_str()), (StatusCode::CONFLICT, Some("reading_out_of_order")), "{}", r.body);
        let r = send(&t, "fy-first-own", &own, vec![reading("fy-first-own", m(2), json!({"visitor": {"occupied": 50}}))]).await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
        assert_eq!(t.count("parking_reading").await, 3);

        let r = t.get(&staff, "/api/parking/lots/fy-first-own").await;
        assert_eq!((r.body["status"].as_str(), r.body["free"]["visitor"].as_u64(), r.body["free"]["staff"].as_u64()), (Some("full"), Some(0), Some(40)), "{}", r.body);
        assert_eq!((r.body["free"]["disabled"].as_u64(), r.body["free"]["ev"].is_null()), (Some(2), true), "EV bays the feed does not count are not 0 free: {}", r.body);
        let g = t.request(Method::GET, None, "/api/parking/guidance?hospital=fy-first", None, &[]).await;
        assert_eq!(g.status, StatusCode::OK, "{}", g.body);
        assert_eq!(g.body["lots"][0]["lot"], "fy-garage", "the garage has room; the hospital's own is full for visitors: {}", g.body);
        assert_eq!(by_lot(&g.body, "fy-first-own")["verdict"], "full", "staff bays never count for a visitor: {}", g.body);
        assert_eq!(by_lot(&g.body, "fy-street")["verdict"], "unknown", "{}", g.body);
        // A driver with a disability permit may use the 2 free disabled bays: the nearest lot with room.
        let g = t.request(Method::GET, None, "/api/parking/guidance?hospital=fy-first&disabled=true", None, &[]).await;
        assert_eq!(by_lot(&g.body, "fy-first-own")["free_now"].as_u64(), Some(2), "{}", g.body);
        // Every answer has navigation links.
        let first = &g.body["lots"][0];
        assert!(first["nav"]["geo"].as_str().is_some_and(|u| u.starts_with("geo:30.05")), "{first}");
        assert!(first["nav"]["amap"].as_str().is_some_and(|u| u.starts_with("https://uri.amap.com/navigation?to=119.9")), "{first}");

        // The sign shows visitor bays: 满 for the hospital lot, the count for the garage, — for the silent street.
        let s = t.request(Method::GET, None, "/api/parking/signs/fy-first-s2", None, &[]).await;
        let shown: Vec<&str> = s.body["rows"].as_array().expect("rows").iter().filter_map(|r| r["shown"].as_str()).collect();
        assert_eq!(shown, vec!["满", "120", "—"], "{}", s.body);
        assert!(s.body["qr_url"].as_str().is_some_and(|u| u.ends_with("/parking/signs/fy-first-s2")), "{}", s.body);

        // ParkAPI: realtime where fresh.
        let p = t.request(Method::GET, None, "/api/parking/parkapi/v3/parking-sites", None, &[]).await;
        let garage_site = p.body["items"].as_array().and_then(|a| a.iter().find(|s| s["uid"] == "fy-garage")).cloned().expect("garage");
        assert_eq!(garage_site["realtime_free_capacity"].as_u64(), Some(120), "{garage_site}");

        // Five minutes of silence: unknown, never free — in the lot, the guidance, the sign and ParkAPI.
        t.clock.advance(chrono::Duration::minutes(4));
        let r = t.get(&staff, "/api/parking/lots/fy-garage").await;
        assert_eq!(r.body["status"], "open", "4 minutes after the reading it is fresh: {}", r.body);
        t.clock.advance(chrono::Duration::minutes(1));
        let r = t.get(&staff, "/api/parking/lots/fy-garage").await;
        assert_eq!((r.body["status"].as_str(), r.body["free"].is_null()), (Some("unknown"), true), "{}", r.body);
        let g = t.request(Method::GET, None, "/api/parking/guidance?hospital=fy-first", None, &[]).await;
        assert!(g.body["lots"].as_array().expect("lots").iter().all(|l| l["verdict"] != "room"), "no lot is offered with room on silent feeds: {}", g.body);
        let s = t.request(Method::GET, None, "/api/parking/signs/fy-first-s2", None, &[]).await;
        assert_eq!(s.body["rows"][1]["shown"], "—", "{}", s.body);
        let p = t.request(Method::GET, None, "/api/parking/parkapi/v3/parking-sites", None, &[]).await;
        let garage_site = p.body["items"].as_array().and_then(|a| a.iter().find(|s| s["uid"] == "fy-garage")).cloned().expect("garage");
        assert!(garage_site.get("realtime_free_capacity").is_none_or(Value::is_null), "a stale lot reports no free capacity: {garage_site}");
        t.shutdown().await;
    }
}

#[tokio::test]
async fn a_falling_trend_is_forecast_and_the_answer_avoids_the_last_few_spaces() {
    for db in backends() {
        let t = TestApp::spawn(db).await;
        let staff = set_up(&t).await;
        let street = key(&t, &staff, "fy-street").await;
        let garage = key(&t, &staff, "fy-garage").await;
        let now = t.clock.now_utc();
        // The street bays, nearest, fill a bay a minute: 1 free now, none in 15 minutes.
        let readings: Vec<Value> = (0..8).map(|i| reading("fy-street", now - chrono::Duration::minutes(7 - i), json!({"visitor": {"occupied": 12 + i}}))).collect();
        assert_eq!(send(&t, "fy-street", &street, readings).await.status, StatusCode::OK);
        assert_eq!(send(&t, "fy-garage", &garage, vec![reading("fy-garage", now, json!({"visitor": {"occupied": 100}}))]).await.status, StatusCode::OK);
        let r = t.get(&staff, "/api/parking/lots/fy-street").await;
        assert_eq!(r.body["free"]["visitor"].as_u64(), Some(1), "{}", r.body);
        assert_eq!(r.body["forecast_free"].as_u64(), Some(0), "filling a bay a minute: {}", r.body);
        // From the sign 1 km away, the street bays would be gone on arrival: the garage comes first.
        let g = t.request(Method::GET, None, "/api/parking/guidance?sign=fy-first-s2", None, &[]).await;
        assert_eq!(g.body["lots"][0]["lot"], "fy-garage", "{}", g.body);
        assert_eq!(by_lot(&g.body, "fy-street")["verdict"], "nearly_full", "{}", g.body);
        // The guided trip and the cockpit: the department sees searches and trips; a resident does not.
        let id = g.body["id"].as_str().expect("id");
        let r = t.request(Method::POST, None, "/api/parking/navigate", Some(json!({"guidance": id, "lot": "fy-garage"})), &[]).await;
        assert!(r.status == StatusCode::OK && r.body["geo"].as_str().is_some_and(|g| g.starts_with("geo:")), "{}", r.body);
        let r = t.request(Method::POST, None, "/api/parking/navigate", Some(json!({"guidance": id, "lot": "nowhere"})), &[]).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        server::areas::parking::cases::sync(&t.state).await.expect("sync");
        let r = t.get(&staff, "/api/parking/figures").await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!((r.body["total_searches"].as_u64(), r.body["total_guided_trips"].as_u64()), (Some(1), Some(1)), "{}", r.body);
        assert!(r.body["rate"].as_array().is_some_and(|a| a.len() == 24 && a.iter().any(|v| v.as_f64().is_some())), "occupancy by hour: {}", r.body);
        let (_, resident) = t.citizen().await;
        assert_eq!(t.get(&resident, "/api/parking/figures").await.status, StatusCode::FORBIDDEN);
        let r = t.get(&staff, "/api/parking/lots/fy-street/history?hours=1").await;
        assert_eq!(r.body["samples"].as_array().map(Vec::len), Some(8), "{}", r.body);
        assert_eq!(t.get(&staff, "/api/parking/lots/fy-street/history?hours=0").await.status, StatusCode::UNPROCESSABLE_ENTITY);
        t.shutdown().await;
    }
}

#[tokio::test]
async fn readings_published_over_mqtt_by_the_lots_feed_user_are_taken_once_and_others_refused() {
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port();
    let t = TestApp::spawn_with(crate::helpers::Db::Sqlite, |env| {
        env.push(("MINSHENG__GUARDIAN__MQTT".into(), "embedded".into()));
        env.push(("MINSHENG__GUARDIAN__EMBEDDED_LISTEN".into(), format!("127.0.0.1:{port}")));
        env.push(("MINSHENG__GUARDIAN__PASSWORD".into(), "server-secret".into()));
    })
    .await;
    let staff = set_up(&t).await;
    let own = key(&t, &staff, "fy-first-own").await;
    let (stop, stop_rx) = tokio::sync::watch::channel(false);
    let task = tokio::spawn(server::areas::guardian::live::telemetry(t.state.clone(), stop_rx));
    let url = format!("mqtt://127.0.0.1:{port}");
    let user = "parking-fy-first-own";
    let mut publisher = None;
    for _ in 0..50 {
        if let Ok(p) = telemetry::Publisher::connect(&url, user, Some(telemetry::Credentials::new(user, own.clone())), 10).await {
            publisher = Some(p);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let publisher = publisher.expect("the feed user connects with the lot's key");
    for _ in 0..100 {
        if t.state.parking.subscribed.load(std::sync::atomic::Ordering::Acquire) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let topic = "minsheng/v1/parking/fy-first-own/occupancy";
    let now = t.clock.now_utc();
    publisher.publish(topic, reading("fy-first-own", now - chrono::Duration::minutes(1), json!({"visitor": {"occupied": 40}})).to_string()).await.expect("published");
    // The same again (a redelivery), garbage, and a reading above capacity: refused and counted.
    publisher.publish(topic, reading("fy-first-own", now - chrono::Duration::minutes(1), json!({"visitor": {"occupied": 40}})).to_string()).await.expect("published");
    publisher.publish(topic, "{not json").await.expect("published");
    publisher.publish(topic, reading("fy-first-own", now, json!({"visitor": {"occupied": 400}})).to_string()).await.expect("published");
    let mut free = None;
    for _ in 0..100 {
        let r = t.get(&staff, "/api/parking/lots/fy-first-own").await;
        free = r.body["free"]["visitor"].as_u64();
        if free.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(free, Some(60), "100 visitor bays, 40 occupied");
    let mut refused = 0;
    for _ in 0..100 {
        let r = t.get(&staff, "/api/parking/figures").await;
        refused = r.body["readings_refused"].as_u64().unwrap_or(0);
        if refused >= 3 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(refused, 3, "the replay, the garbage and the reading above capacity");
    assert_eq!(t.count("parking_reading").await, 1, "the reading is kept once");
    // Another lot's topic: the broker lets the hospital lot's feed user write its own topic only.
    let garage = key(&t, &staff, "fy-garage").await;
    let sent = tokio::time::timeout(std::time::Duration::from_secs(2), publisher.publish("minsheng/v1/parking/fy-garage/occupancy", reading("fy-garage", now, json!({"visitor": {"occupied": 1}})).to_string())).await;
    let _ = sent;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert_eq!(t.get(&staff, "/api/parking/lots/fy-garage").await.body["status"], "unknown", "nothing reached the garage");
    // A wrong key does not get in.
    let wrong = telemetry::Publisher::connect(&url, "parking-fy-garage", Some(telemetry::Credentials::new("parking-fy-garage", "guess")), 10).await;
    if let Ok(p) = wrong {
        let sent = tokio::time::timeout(std::time::Duration::from_secs(2), p.publish("minsheng/v1/parking/fy-garage/occupancy", "{}")).await;
        assert!(!matches!(sent, Ok(Ok(()))), "a wrong key must not publish");
    }
    assert!(!garage.is_empty());
    let _ = stop.send(true);
    let _ = task.await;
    t.shutdown().await;
}

#[tokio::test]
async fn on_the_real_road_network_driving_and_walking_times_rank_real_car_parks() {
    // Central Helsinki (a sample extract with 43 real car parks, and no hospital: the hospital
    // here is a point among them). Driving is on its real road network, one-way streets and all.
    let pbf = format!("{}/../../data/osm/helsinki-centre.osm.pbf", env!("CARGO_MANIFEST_DIR"));
    let found = circles::drive::osm_parking(std::path::Path::new(&pbf)).expect("car parks");
    assert!(found.len() >= 10, "the extract's car parks: {}", found.len());
    let n = found.len() as f64;
    let (clat, clon) = (found.iter().map(|l| l.lat).sum::<f64>() / n, found.iter().map(|l| l.lon).sum::<f64>() / n);
    let dist = |l: &circles::drive::OsmParking| ((l.lat - clat).powi(2) + ((l.lon - clon) * 0.5).powi(2)).sqrt() * 111_000.0;
    let mut by_distance: Vec<&circles::drive::OsmParking> = found.iter().collect();
    by_distance.sort_by(|a, b| dist(a).total_cmp(&dist(b)));
    let near: Vec<_> = by_distance.iter().filter(|l| dist(l) < 1_200.0).take(6).copied().collect();
    let far = by_distance.last().copied().expect("a far car park");
    let t = TestApp::spawn_with(crate::helpers::Db::Sqlite, |env| env.push(("MINSHENG__PARKING__OSM".into(), pbf.clone()))).await;
    server::areas::parking::cases::load_roads(&t.state).await;
    let staff = t.login("zhzf_clerk").await;
    let r = t.post(&staff, "/api/parking/hospitals", json!({"id": "hc", "name": "中心医院", "town": TOWN, "entrance": {"lat": clat, "lon": clon}})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(near.len() >= 3, "car parks within 1.2 km of the centre: {}", near.len());
    for (i, l) in near.iter().enumerate() {
        let body = json!({"id": format!("hk-{i}"), "name": l.name.clone().unwrap_or_else(|| format!("停车场 {i}")), "kind": "public_garage", "structure": "surface", "hospital": "hc", "town": TOWN,
            "location": {"lat": l.lat, "lon": l.lon}, "entrance": {"lat": l.lat, "lon": l.lon}, "capacity": {"visitor": 50}});
        let r = t.post(&staff, "/api/parking/lots", body).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let k = key(&t, &staff, &format!("hk-{i}")).await;
        let r = send(&t, &format!("hk-{i}"), &k, vec![reading(&format!("hk-{i}"), t.clock.now_utc(), json!({"visitor": {"occupied": 10}}))]).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    }
    // From the car park farthest from the centre.
    let g = t.request(Method::GET, None, &format!("/api/parking/guidance?hospital=hc&lat={}&lon={}", far.lat, far.lon), None, &[]).await;
    assert_eq!(g.status, StatusCode::OK, "{}", g.body);
    let ranked = g.body["lots"].as_array().expect("lots");
    assert_eq!(ranked.len(), near.len(), "{}", g.body);
    assert!(ranked.iter().all(|l| l["drive_measured"] == "road_network"), "driving on the road network: {}", g.body);
    let totals: Vec<f64> = ranked.iter().filter(|l| l["verdict"] == "room").filter_map(|l| l["total_minutes"].as_f64()).collect();
    assert_eq!(totals.len(), near.len(), "{}", g.body);
    assert!(totals.windows(2).all(|w| w[0] <= w[1] + 0.1), "ranked by driving + walking: {totals:?}");
    let straight_km = dist(far) / 1000.0;
    let d = ranked[0]["drive_minutes"].as_f64().expect("drive");
    assert!(d > straight_km, "{straight_km:.1} km in a straight line is more than {d} minutes' drive through a city centre");
    t.shutdown().await;
}
