//! The guardian's dispatch on the street network (issue 30): with the circles' network of a small
//! hand-made town loaded, a grid worker 140 m from the elder across a river (3.1 km by the bridge)
//! ranks after a doctor 500 m away on the elder's bank, and the nearest-responder dispatch sends the
//! doctor; before the network is loaded, and for a responder off it, the straight line decides,
//! and each candidate says which way its time was found.

use std::path::Path;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::Value;
use serde_json::json;

use crate::helpers::ClockExt;
use crate::helpers::Db;
use crate::helpers::TestApp;

/// The town's centre (lon, lat): 富阳 by the 富春江.
const LON0: f64 = 119.96;
const LAT0: f64 = 30.05;

/// `(lat, lon)` of a point `x` metres east and `y` metres north of the centre.
fn at(x: f64, y: f64) -> (f64, f64) {
    let ky = 6_371_008.8_f64.to_radians();
    let kx = ky * LAT0.to_radians().cos();
    (LAT0 + y / ky, LON0 + x / kx)
}

/// Two streets along the banks of a river that runs east–west through the centre (50 m either
/// side of it), joined only by a bridge 1.5 km east; a side street off each; residents by the
/// south street. Written as OSM PBF with the circles engine's writer.
fn write_town(dir: &Path) -> (String, String) {
    let osm = dir.join("river-town.osm.pbf");
    let file = std::fs::File::create(&osm).expect("create");
    let mut w = circles::pbf_write::PbfWriter::new(std::io::BufWriter::new(file)).expect("pbf");
    let nodes: [(i64, f64, f64); 10] = [
        (1, -1000.0, -50.0),
        (2, -700.0, -50.0),
        (3, 1500.0, -50.0),
        (4, -1000.0, 50.0),
        (5, 300.0, 50.0),
        (6, 1500.0, 50.0),
        (7, -700.0, -400.0),
        (8, 300.0, 400.0),
        (9, -1200.0, 0.0),
        (10, 1700.0, 0.0),
    ];
    for (id, x, y) in nodes {
        let (lat, lon) = at(x, y);
        w.node(id, circles::geom::to_fixed(lon, lat), &[]).expect("node");
    }
    let street = [("highway", "residential")];
    w.way(100, &[1, 2, 3], &street).expect("south street");
    w.way(101, &[4, 5, 6], &street).expect("north street");
    w.way(102, &[3, 6], &[("highway", "residential"), ("bridge", "yes")]).expect("bridge");
    w.way(103, &[2, 7], &street).expect("south side street");
    w.way(104, &[5, 8], &street).expect("north side street");
    w.way(105, &[9, 10], &[("waterway", "river"), ("name", "富春江")]).expect("river");
    w.finish().expect("finish");
    let population = dir.join("river-town-population.csv");
    let mut csv = String::from("lon,lat,population\n");
    for x in [-800.0, -300.0, 200.0, 700.0] {
        let (lat, lon) = at(x, -80.0);
        csv.push_str(&format!("{lon:.7},{lat:.7},120\n"));
    }
    std::fs::write(&population, csv).expect("population");
    (osm.display().to_string(), population.display().to_string())
}

fn point(p: (f64, f64)) -> Value {
    json!({"lat": p.0, "lon": p.1})
}

/// An elder living alone, enrolled at `home` with a wearable: (elder id, wearable id).
async fn elder_at(t: &TestApp, centre: &str, home: (f64, f64)) -> (String, String) {
    let d = domain::china_date(t.clock.now_utc());
    let people = t.state.store.welfare().people_all().await.expect("people");
    let size = |h: i64| people.iter().filter(|p| p.household == h).count();
    let key = people.iter().find(|p| d.years_since(p.birth_date).unwrap_or(0) >= 60 && size(p.household) == 1).expect("an elder living alone").id_number.clone();
    let r = t
        .post(centre, "/api/guardian/elders", json!({
            "id_number": key, "basis": "living_alone", "address": "富春街道 江滨西大道 1 号", "home": point(home),
            "contacts": [{"name": "李小明", "relation": "儿子", "phone": "13800138000"}], "consent_on": "2026-01-05"
        }))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let elder = r.body["id"].as_str().expect("id").to_owned();
    let r = t.post(centre, &format!("/api/guardian/elders/{elder}/devices"), json!({"kind": "wearable"})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    (elder, r.body["username"].as_str().expect("device").to_owned())
}

/// (responder id, method, travel_s, distance_m) of each candidate, in order.
async fn candidates(t: &TestApp, centre: &str, alarm: &str) -> Vec<(String, String, u64, u64)> {
    let r = t.get(centre, &format!("/api/guardian/alarms/{alarm}/candidates")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.body
        .as_array()
        .expect("candidates")
        .iter()
        .map(|c| {
            (
                c["responder"]["id"].as_str().expect("id").to_owned(),
                c["method"].as_str().expect("method").to_owned(),
                c["travel_s"].as_u64().unwrap_or_else(|| panic!("a time: {c}")),
                c["distance_m"].as_u64().unwrap_or_else(|| panic!("a distance: {c}")),
            )
        })
        .collect()
}

#[tokio::test]
async fn dispatch_follows_the_streets_once_the_network_is_loaded() {
    let files = tempfile::tempdir().expect("tempdir");
    let (osm, population) = write_town(files.path());
    let t = TestApp::spawn_with(Db::Sqlite, move |env| {
        env.push(("MINSHENG__CIRCLES__OSM".into(), osm));
        env.push(("MINSHENG__CIRCLES__POPULATION".into(), population));
        env.push(("MINSHENG__CIRCLES__FACILITY_COLUMNS".into(), String::new()));
        env.push(("MINSHENG__CIRCLES__CENTRES".into(), String::new()));
    })
    .await;
    let centre = t.login("mzj_clerk").await;
    let admin = t.login("admin").await;
    // The elder 20 m south of the south street; the grid worker 20 m north of the north street,
    // 140 m away across the river; the doctor by the south street 500 m west.
    let (_, wearable) = elder_at(&t, &centre, at(0.0, -70.0)).await;
    let mut ids = Vec::new();
    for (login, kind, p) in [("responder", "grid_worker", at(0.0, 70.0)), ("responder_medic", "village_doctor", at(-500.0, -70.0))] {
        let r = t.post(&centre, "/api/guardian/responders", json!({"login": login, "kind": kind, "phone": "13900139000", "at": point(p)})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        ids.push(r.body["id"].as_str().expect("id").to_owned());
    }
    let (grid, doctor) = (ids[0].clone(), ids[1].clone());
    let payload = json!({"seq": 1, "ts": t.clock.now_utc().to_rfc3339(), "battery_pct": 80, "fall": true}).to_string();
    let got = server::areas::guardian::live::ingest(&t.state, &[(wearable, axum::body::Bytes::from(payload))]).await.expect("ingest");
    let alarm = got.alarms.first().expect("a fall alarm").to_string();

    // No network loaded yet: the straight line × 1.3 at 15 km/h sends the grid worker
    // (182 m: 44 s) before the doctor (650 m: 156 s).
    let c = candidates(&t, &centre, &alarm).await;
    assert_eq!(c.iter().map(|x| (x.0.as_str(), x.1.as_str())).collect::<Vec<_>>(), [(grid.as_str(), "straight_line_e_bike"), (doctor.as_str(), "straight_line_e_bike")], "{c:?}");
    assert_eq!((c[0].2, c[0].3, c[1].2, c[1].3), (44, 182, 156, 650), "{c:?}");

    // The circles' analysis of the town loads its street network.
    let r = t.post(&admin, "/api/circles/analyses", json!({})).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
    let id = r.body["id"].as_str().expect("id").to_owned();
    let mut done = Value::Null;
    for _ in 0..600 {
        done = t.get(&admin, &format!("/api/circles/analyses/{id}")).await.body;
        if done["status"] != "running" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(done["status"], "done", "{done}");

    // Now the doctor (500 m along the street, 20 m off it at each end: 540 m, 130 s) goes before
    // the grid worker (1.5 km to the bridge and 1.5 km back: 3,140 m, 754 s).
    let c = candidates(&t, &centre, &alarm).await;
    assert_eq!(c.iter().map(|x| (x.0.as_str(), x.1.as_str())).collect::<Vec<_>>(), [(doctor.as_str(), "street_network_e_bike"), (grid.as_str(), "street_network_e_bike")], "{c:?}");
    assert!(c[0].3.abs_diff(540) <= 3 && c[0].2.abs_diff(130) <= 1, "{c:?}");
    assert!(c[1].3.abs_diff(3140) <= 5 && c[1].2.abs_diff(754) <= 1, "{c:?}");

    // A responder 2 km from any street keeps the straight line's estimate, beside the other's
    // street time.
    let medic = t.login("responder_medic").await;
    let r = t.post(&medic, "/api/guardian/me/availability", json!({"available": true, "at": point(at(0.0, -2000.0))})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let c = candidates(&t, &centre, &alarm).await;
    let doc = c.iter().find(|x| x.0 == doctor).expect("the doctor");
    assert_eq!((doc.1.as_str(), doc.3), ("straight_line_e_bike", 2509), "1,930 m × 1.3: {c:?}");
    assert_eq!(c.iter().find(|x| x.0 == grid).map(|x| x.1.as_str()), Some("street_network_e_bike"), "{c:?}");

    // Back by the street: the nearest-responder dispatch sends the doctor, not the grid worker
    // across the river.
    let r = t.post(&medic, "/api/guardian/me/availability", json!({"available": true, "at": point(at(-500.0, -70.0))})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let act = format!("/api/guardian/alarms/{alarm}/actions");
    let r = t.post(&centre, &act, json!({"action": "acknowledge"})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = t.post(&centre, &act, json!({"action": "dispatch"})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!((r.body["state"].as_str(), r.body["responder"].as_str()), (Some("dispatched"), Some(doctor.as_str())), "{}", r.body);
    // The doctor asked, the grid worker is next.
    let c = candidates(&t, &centre, &alarm).await;
    assert_eq!(c.iter().map(|x| x.0.as_str()).collect::<Vec<_>>(), [grid.as_str()], "{c:?}");
    t.shutdown().await;
}
