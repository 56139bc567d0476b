//! The 15-minute service circles over HTTP, on the São Paulo sample: an analysis started in the
//! background and polled to the end, its summary (517,570 residents, the grid's 59 schools), its
//! areas as JSON, GeoJSON and CSV, the five-colour map as SVG, the 1+2+22+N service network, the
//! result served again by a restarted server, a failing analysis that says why, and access.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{Db, Resp, TestApp};

fn repo(path: &str) -> String {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..").join(path).display().to_string()
}

/// The São Paulo sample with absolute paths (tests do not run from the repository root).
async fn spawn_sao_paulo(osm: &str) -> TestApp {
    let osm = osm.to_owned();
    TestApp::spawn_with(Db::Sqlite, move |env| {
        env.push(("MINSHENG__CIRCLES__OSM".into(), osm));
        env.push(("MINSHENG__CIRCLES__POPULATION".into(), repo("data/osm/sao-paulo-hexgrid-population.csv")));
        env.push(("MINSHENG__CIRCLES__CENTRES".into(), repo("data/circles/sao-paulo-centres.csv")));
    })
    .await
}

/// Polls an analysis until it is no longer running.
async fn wait(t: &TestApp, token: &str, id: &str) -> Value {
    for _ in 0..1200 {
        let r = t.get(token, &format!("/api/circles/analyses/{id}")).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        if r.body["status"] != "running" {
            return r.body;
        }
        assert!(r.body["progress"]["stage"].is_string() && r.body["progress"]["done"].is_u64(), "{}", r.body);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("analysis {id} did not finish in 2 minutes");
}

fn content_type(r: &Resp) -> &str {
    r.headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("")
}

fn text(r: &Resp) -> &str {
    r.body.as_str().unwrap_or_else(|| panic!("a text body, got {}", r.body))
}

fn share(v: &Value) -> f64 {
    let x = v.as_f64().unwrap_or_else(|| panic!("a number: {v}"));
    assert!((0.0..=1.0).contains(&x), "{x} within [0, 1]");
    x
}

#[tokio::test]
async fn sao_paulo_analysis_through_the_api() {
    let t = spawn_sao_paulo(&repo("data/osm/sao-paulo-centre.osm.pbf")).await;
    let admin = t.login("admin").await;
    let (_, citizen) = t.citizen().await;
    let clerk = t.login("ga_clerk").await;

    // Staff only; nothing has run yet.
    for token in [&citizen, &clerk] {
        let r = t.post(token, "/api/circles/analyses", json!({})).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
        assert_eq!(t.get(token, "/api/circles/latest").await.status, StatusCode::FORBIDDEN);
    }
    let r = t.get(&admin, "/api/circles/latest").await;
    assert_eq!((r.status, r.code()), (StatusCode::NOT_FOUND, "not_found"));
    // Bad requests are refused before anything starts.
    let r = t.post(&admin, "/api/circles/analyses", json!({ "profile": "cyclist" })).await;
    assert_eq!((r.status, r.code(), r.body["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, "unknown_profile", Some("profile")));
    let r = t.post(&admin, "/api/circles/analyses", json!({ "categories": ["primary_school", "casino"] })).await;
    assert_eq!((r.status, r.body["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("categories[1]")), "{}", r.body);
    let r = t.post(&admin, "/api/circles/analyses", json!({ "colour": "red" })).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);

    // Started in the background: 202 with where to follow it. A second start while it runs is 409.
    let r = t.post(&admin, "/api/circles/analyses", json!({})).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
    let id = r.body["id"].as_str().expect("id").to_owned();
    let progress_url = r.body["progress_url"].as_str().expect("progress url").to_owned();
    assert_eq!(progress_url, format!("/api/circles/analyses/{id}"));
    assert_eq!(r.headers.get("location").and_then(|v| v.to_str().ok()), Some(progress_url.as_str()));
    // A second start is refused while the first runs. Whichever way the race goes, the answers
    // must agree: a 409 names the running analysis; a 202 is only possible once it has finished.
    let again = t.post(&admin, "/api/circles/analyses", json!({})).await;
    if again.status == StatusCode::CONFLICT {
        assert_eq!(again.code(), "analysis_running", "{}", again.body);
        assert!(again.body["message"].as_str().is_some_and(|m| m.contains(&id)), "{}", again.body);
    } else {
        assert_eq!(again.status, StatusCode::ACCEPTED, "{}", again.body);
        let first = t.get(&admin, &progress_url).await;
        assert_ne!(first.body["status"], "running", "a second analysis started while the first ran: {}", first.body);
        let second = again.body["id"].as_str().expect("id").to_owned();
        wait(&t, &admin, &second).await;
    }

    // Supervisors may follow it too.
    let supervisor = t.login("ga_supervisor").await;
    let done = wait(&t, &supervisor, &id).await;
    assert_eq!(done["status"], "done", "{done}");
    // Issue 37: the sample city is labelled as such, and no server path is shown.
    assert_eq!((done["inputs"]["sample"].as_bool(), done["inputs"]["osm"].as_str()), (Some(true), Some("sao-paulo-centre.osm.pbf")), "{}", done["inputs"]);
    assert!(!done["inputs"].to_string().contains(env!("CARGO_MANIFEST_DIR")), "{}", done["inputs"]);
    assert_eq!(done["requested_by"], "admin");
    assert!(done["finished_at"].is_string() && done["saved"] == true, "{done}");
    let stages: Vec<&str> = done["progress"]["stages"].as_array().expect("stages").iter().filter_map(Value::as_str).collect();
    for s in ["service network", "save results"] {
        assert!(stages.contains(&s), "{s} in {stages:?}");
    }

    // The summary: the grid's residents and schools on the real street network.
    let sum = &done["summary"];
    let inputs = &sum["inputs"];
    assert_eq!(inputs["population_total"].as_f64().map(f64::round), Some(517_570.0), "{inputs}");
    assert_eq!(inputs["population_placed"].as_f64().map(f64::round), Some(517_570.0));
    assert_eq!(inputs["area_count"], 319);
    assert_eq!((inputs["graph_nodes"].as_u64(), inputs["graph_edges"].as_u64()), (Some(6019), Some(9239)));
    let cats = sum["categories"].as_array().expect("categories");
    let school = cats.iter().find(|c| c["key"] == "primary_school").expect("primary_school");
    assert_eq!((school["analysed"].as_bool(), school["facilities"].as_u64()), (Some(true), Some(59)));
    let cov: Vec<f64> = school["district"]["coverage"].as_array().expect("coverage").iter().map(share).collect();
    assert!(cov[0] <= cov[1] && cov[1] <= cov[2], "coverage grows with the threshold: {cov:?}");
    // 22.7 %, 70.9 % and 89.4 % of residents within 5, 10 and 15 minutes of a school.
    assert_eq!(cov.iter().map(|c| (c * 1000.0).round()).collect::<Vec<_>>(), vec![227.0, 709.0, 894.0]);
    let colours: u64 = school["colour_counts"].as_array().expect("counts").iter().filter_map(Value::as_u64).sum();
    assert_eq!(colours, 319);
    assert_eq!(sum["overall_colour_counts"].as_array().expect("overall").iter().filter_map(Value::as_u64).sum::<u64>(), 319);

    // Areas as JSON: every area with its indicators per category.
    let base = format!("/api/circles/analyses/{id}");
    let r = t.get(&admin, &format!("{base}/areas")).await;
    assert_eq!(r.status, StatusCode::OK);
    let areas = r.body.as_array().expect("areas");
    assert_eq!(areas.len(), 319);
    let pop: f64 = areas.iter().filter_map(|a| a["population"].as_f64()).sum();
    assert!((pop - 517_570.0).abs() < 1.0, "{pop}");
    for a in areas {
        let s = &a["categories"]["primary_school"];
        let c: Vec<f64> = s["coverage"].as_array().expect("coverage").iter().map(share).collect();
        assert!(c[0] <= c[1] + 1e-12 && c[1] <= c[2] + 1e-12, "{a}");
        assert!(s["colour"].is_string(), "{a}");
    }

    // GeoJSON with colours.
    let r = t.get(&admin, &format!("{base}/areas.geojson")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(content_type(&r).starts_with("application/geo+json"), "{}", content_type(&r));
    assert_eq!(r.body["type"], "FeatureCollection");
    let features = r.body["features"].as_array().expect("features");
    assert_eq!(features.len(), 319);
    for f in features {
        let p = &f["properties"];
        assert!(["Polygon", "MultiPolygon"].contains(&f["geometry"]["type"].as_str().unwrap_or("")), "{f}");
        assert!(["green", "blue", "yellow", "orange", "red"].contains(&p["primary_school_colour"].as_str().unwrap_or("")), "{p}");
        assert!(p["overall_fill"].as_str().is_some_and(|h| h.starts_with('#')), "{p}");
    }
    let r = t.get(&admin, &format!("{base}/facilities.geojson")).await;
    assert!(content_type(&r).starts_with("application/geo+json"));
    assert_eq!(r.body["features"].as_array().map(Vec::len), Some(59));

    // CSV with a header.
    let r = t.get(&admin, &format!("{base}/areas.csv")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(content_type(&r).starts_with("text/csv"), "{}", content_type(&r));
    let csv = text(&r);
    let header = csv.lines().next().expect("header");
    assert!(header.contains("category") && header.contains("coverage"), "{header}");
    assert!(csv.lines().count() > 319, "a row per area and category");

    // The map.
    for q in ["", "?category=primary_school", "?category=小学"] {
        let r = t.get(&admin, &format!("{base}/map.svg{q}")).await;
        assert_eq!(r.status, StatusCode::OK, "{q}: {}", r.body);
        assert!(content_type(&r).starts_with("image/svg+xml"));
        assert!(text(&r).starts_with("<svg") && text(&r).trim_end().ends_with("</svg>"), "{q}");
    }
    let r = t.get(&admin, &format!("{base}/map.svg?category=casino")).await;
    assert_eq!((r.status, r.code()), (StatusCode::UNPROCESSABLE_ENTITY, "unknown_category"));
    let r = t.get(&admin, &format!("{base}/map.svg?category=hospital")).await;
    assert_eq!((r.status, r.code()), (StatusCode::UNPROCESSABLE_ENTITY, "category_not_analysed"));

    // Point 9: the service network against the catalog's personal items.
    let personal = t.state.catalog().items().filter(|i| i.subject == catalog::Subject::Person).count();
    let r = t.get(&admin, &format!("{base}/service-network")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let net = &r.body;
    assert_eq!(net["items"].as_u64(), Some(personal as u64));
    assert_eq!((net["minutes"].as_f64(), net["target"].as_f64()), (Some(15.0), Some(0.8)));
    let centres: u64 = net["levels"].as_array().expect("levels").iter().filter_map(|l| l["centres"].as_u64()).sum();
    assert_eq!(centres, 60, "{net}");
    let d = share(&net["district"]["share"]);
    share(&net["district"]["meeting_target"]);
    share(&net["share_below_district"]);
    assert_eq!(net["areas"].as_array().map(Vec::len), Some(319));
    for a in net["areas"].as_array().expect("areas") {
        share(&a["share"]);
        share(&a["meeting_target"]);
    }
    // Homes reach a village station more often than a town centre, and that more often than the
    // one district centre.
    let reach = |level: &str| {
        net["levels"].as_array().and_then(|ls| ls.iter().find(|l| l["level"] == level)).map(|l| share(&l["residents_within"]))
    };
    assert!(reach("district") < reach("town") && reach("town") < reach("village"), "{net}");
    assert!(d > 0.0 && d < 1.0, "{d}");
    assert_eq!(done["service_network"]["district"], net["district"], "the status carries the headline");
    assert!(done["service_network"]["areas"].is_null());
    // Coverage is monotone in the threshold, per area and overall.
    let mut last: Option<Value> = None;
    for minutes in [5, 10, 15, 30] {
        let r = t.get(&admin, &format!("{base}/service-network?minutes={minutes}")).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        if let Some(prev) = &last {
            assert!(share(&prev["district"]["share"]) <= share(&r.body["district"]["share"]));
            assert!(share(&prev["district"]["meeting_target"]) <= share(&r.body["district"]["meeting_target"]));
            let (pa, ra) = (prev["areas"].as_array().expect("a"), r.body["areas"].as_array().expect("a"));
            assert!(pa.iter().zip(ra).all(|(p, q)| share(&p["share"]) <= share(&q["share"]) + 1e-12));
        }
        last = Some(r.body);
    }
    let r = t.get(&admin, &format!("{base}/service-network?minutes=15&target_percent=50")).await;
    assert!(share(&r.body["district"]["meeting_target"]) >= share(&net["district"]["meeting_target"]), "a lower target is met by more");
    for q in ["minutes=0", "minutes=61", "target_percent=0", "target_percent=101"] {
        let r = t.get(&admin, &format!("{base}/service-network?{q}")).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{q}: {}", r.body);
    }

    // The newest, unknown ids, and citizens.
    let r = t.get(&admin, "/api/circles/latest").await;
    assert_eq!((r.status, r.body["id"].as_str()), (StatusCode::OK, Some(id.as_str())));
    for path in ["", "/areas", "/areas.geojson", "/facilities.geojson", "/areas.csv", "/map.svg", "/service-network"] {
        let r = t.get(&admin, &format!("/api/circles/analyses/0123456789abcdef{path}")).await;
        assert_eq!((r.status, r.code()), (StatusCode::NOT_FOUND, "not_found"), "{path}");
        assert_ne!(r.body["message_en"], "No such endpoint");
        let r = t.get(&citizen, &format!("{base}{path}")).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{path}");
    }

    // Saved under the data directory: a restarted server serves the newest result.
    let saved = t.dir.path().join("circles/latest");
    for f in ["analysis.json", "summary.json", "areas.geojson", "areas.json", "areas.csv", "map.svg", "service-network.json"] {
        assert!(saved.join(f).is_file(), "{f} saved");
    }
    let state = server::build_state(t.state.config.clone(), Arc::new(t.clock.clone())).await.expect("state");
    let app = server::App::serve(state, false).await.expect("serve");
    let restarted = TestUrl(app.url());
    let token = restarted.login(&t.http).await;
    let r = restarted.get(&t.http, &token, "/api/circles/latest").await;
    assert_eq!((r.0, r.1["id"].as_str(), r.1["status"].as_str()), (StatusCode::OK, Some(id.as_str()), Some("done")), "{}", r.1);
    assert_eq!(r.1["summary"], done["summary"]);
    let r = restarted.get(&t.http, &token, &format!("{base}/areas.geojson")).await;
    assert_eq!((r.0, r.1["features"].as_array().map(Vec::len)), (StatusCode::OK, Some(319)));
    let r = restarted.get(&t.http, &token, &format!("{base}/service-network")).await;
    assert_eq!(r.1["district"], net["district"]);
    let r = restarted.get(&t.http, &token, &format!("{base}/service-network?minutes=5")).await;
    assert_eq!((r.0, r.1["code"].as_str()), (StatusCode::CONFLICT, Some("analysis_not_in_memory")));
    let r = restarted.get(&t.http, &token, &format!("{base}/map.svg?category=primary_school")).await;
    assert!(r.1.as_str().is_some_and(|s| s.starts_with("<svg")));
    app.shutdown().await;
    t.shutdown().await;
}

/// A second server on the same database and data directory.
struct TestUrl(String);

impl TestUrl {
    async fn login(&self, http: &reqwest::Client) -> String {
        let r = http
            .post(format!("{}/api/auth/login", self.0))
            .json(&json!({ "login": "admin", "password": "demo1234" }))
            .send()
            .await
            .expect("login");
        let v: Value = r.json().await.expect("json");
        v["token"].as_str().expect("token").to_owned()
    }

    async fn get(&self, http: &reqwest::Client, token: &str, path: &str) -> (StatusCode, Value) {
        let r = http.get(format!("{}{path}", self.0)).bearer_auth(token).send().await.expect("get");
        let status = r.status();
        let text = r.text().await.expect("body");
        (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }
}

#[tokio::test]
async fn a_failing_analysis_says_why_in_both_languages() {
    let missing = repo("data/osm/no-such-district.osm.pbf");
    let t = spawn_sao_paulo(&missing).await;
    let admin = t.login("admin").await;
    let r = t.request(Method::POST, Some(&admin), "/api/circles/analyses", None, &[]).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "no body is fine: {}", r.body);
    let id = r.body["id"].as_str().expect("id").to_owned();
    let done = wait(&t, &admin, &id).await;
    assert_eq!(done["status"], "failed", "{done}");
    let e = &done["error"];
    assert_eq!((e["code"].as_str(), e["field"].as_str()), (Some("input_unreadable"), Some("circles.osm")), "{e}");
    assert!(e["message"].as_str().is_some_and(|m| m.contains("分析失败") && m.contains("无法读取")), "{e}");
    assert!(e["message_en"].as_str().is_some_and(|m| m.contains("no-such-district.osm.pbf") && m.contains("circles.osm")), "{e}");
    // The file by its name and setting; never the server's directories (issue 37).
    for m in [&e["message"], &e["message_en"], &done["inputs"]["osm"]] {
        assert!(!m.as_str().unwrap_or_default().contains('/'), "a server path is shown: {m}");
    }
    assert_eq!(done["inputs"]["sample"], false, "another city's file is not the sample");
    assert!(done["summary"].is_null());
    // Its results do not exist; the failure is repeated.
    let r = t.get(&admin, &format!("/api/circles/analyses/{id}/areas.geojson")).await;
    assert_eq!((r.status, r.code()), (StatusCode::CONFLICT, "analysis_failed"));
    assert_eq!(t.get(&admin, "/api/circles/latest").await.status, StatusCode::NOT_FOUND);
    // A failed run does not block the next one.
    let r = t.post(&admin, "/api/circles/analyses", json!({ "profile": "elderly" })).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
    let next = wait(&t, &admin, r.body["id"].as_str().expect("id")).await;
    assert_eq!((next["status"].as_str(), next["inputs"]["profile"].as_str()), (Some("failed"), Some("elderly")));
    // The body is optional: `null` is no body, as documented; an array is no body at all (serde
    // would read `[null, null]` as the two fields).
    let r = t.raw(Method::POST, Some(&admin), "/api/circles/analyses", Some("application/json"), b"null".to_vec(), &[]).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
    wait(&t, &admin, r.body["id"].as_str().expect("id")).await;
    let r = t.raw(Method::POST, Some(&admin), "/api/circles/analyses", Some("application/json"), b"[null, null]".to_vec(), &[]).await;
    assert_eq!((r.status, r.code()), (StatusCode::BAD_REQUEST, "malformed_json"), "{}", r.body);
    t.shutdown().await;
}

/// The circles' map counts the childcare institutions the places area registers, and only those:
/// the same institutions, with their licensed places, as the places figures.
#[tokio::test]
async fn the_map_counts_the_registered_childcare_institutions() {
    let t = spawn_sao_paulo(&repo("data/osm/sao-paulo-centre.osm.pbf")).await;
    let clerk = t.login("wjw_clerk").await;
    for (name, lat, lon, places) in [("社区托育 甲", -23.5505, -46.6333, 15), ("社区托育 乙", -23.5450, -46.6400, 10)] {
        let body = json!({
            "name": name, "kind": "community", "community": "330111001012", "lat": lat, "lon": lon,
            "opens": "07:30", "closes": "17:30", "weekdays": [1, 2, 3, 4, 5],
            "classes": [{ "class": "young_toddler", "groups": 1, "places": places, "monthly_fee_yuan": "2000.00" }], "carers": 3,
        });
        let r = t.post(&clerk, "/api/places/childcare/institutions", body).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    }
    let admin = t.login("admin").await;
    let r = t.post(&admin, "/api/circles/analyses", json!({ "categories": ["childcare"] })).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
    let id = r.body["id"].as_str().expect("id").to_owned();
    let done = wait(&t, &admin, &id).await;
    assert_eq!(done["status"], "done", "{done}");
    assert_eq!(done["inputs"]["registers"][0], "childcare-register.csv", "{}", done["inputs"]);
    let childcare = done["summary"]["categories"].as_array().expect("categories").iter().find(|c| c["key"] == "childcare").cloned().expect("childcare");
    assert_eq!(childcare["facilities"].as_u64(), Some(2), "{childcare}");
    let f = t.get(&admin, &format!("/api/circles/analyses/{id}/facilities.geojson")).await;
    let names: Vec<&str> = f.body["features"].as_array().expect("features").iter().filter_map(|x| x["properties"]["name"].as_str()).collect();
    assert!(names.contains(&"社区托育 甲") && names.contains(&"社区托育 乙"), "{names:?}");
    t.shutdown().await;
}
