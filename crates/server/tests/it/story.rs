//! The main story over HTTP, on SQLite and (when configured) PostgreSQL: a resident applies for
//! 出生一件事 with only the materials government does not hold, departments handle their items in
//! parallel and in order, a supplement pauses the clock, the bundle completes, a bad rating is
//! rectified and re-rated, and the reductions report and the history chain reflect all of it.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Db, TestApp, backends};

fn case<'a>(app: &'a Value, item: &str) -> &'a Value {
    app["cases"].as_array().and_then(|cs| cs.iter().find(|c| c["item"] == item)).unwrap_or_else(|| panic!("case {item}"))
}

async fn birth_story(t: &TestApp) {
    let (_, citizen) = t.citizen().await;

    // Collect once: the plan says what is filled from shared data, with provenance.
    let plan = t.get(&citizen, "/api/plan?bundle=birth").await;
    assert_eq!(plan.status, StatusCode::OK, "{}", plan.body);
    let mats = plan.body["materials"].as_array().expect("materials");
    let shared: Vec<&Value> = mats.iter().filter(|m| m["status"] == "shared").collect();
    assert!(!shared.is_empty(), "some materials come from shared data: {mats:?}");
    for m in &shared {
        assert!(m["record_id"].is_string() && m["department_name"].is_string() && m["issued_at"].is_string(), "{m}");
    }
    assert!(mats.iter().any(|m| m["status"] == "issued_in_bundle"), "the birth certificate is issued inside the bundle");
    let to_upload = plan.body["to_upload"].as_u64().expect("to_upload");
    assert!(to_upload < plan.body["item_by_item_materials"].as_u64().expect("n"), "{}", plan.body);

    // Filing without the remaining uploads names exactly what is missing, and writes nothing.
    let before = t.counts().await;
    let (form, materials) = t.filing(&citizen, "bundle=birth").await;
    if !materials.is_empty() {
        let r = t.post(&citizen, "/api/applications", json!({ "bundle": "birth", "form": form })).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(r.code(), "missing_materials");
        assert!(r.body["field"].as_str().unwrap_or("").starts_with("materials."));
        assert_eq!(t.counts().await, before);
    }

    // Filing twice with one Idempotency-Key creates one application.
    let body = json!({ "bundle": "birth", "form": form, "materials": materials });
    let first = t.request(reqwest::Method::POST, Some(&citizen), "/api/applications", Some(body.clone()), &[("idempotency-key", "birth-1")]).await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.body);
    let again = t.request(reqwest::Method::POST, Some(&citizen), "/api/applications", Some(body), &[("idempotency-key", "birth-1")]).await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(again.headers.get("idempotent-replayed").and_then(|v| v.to_str().ok()), Some("true"));
    assert_eq!(again.body["id"], first.body["id"]);
    let other = t
        .request(reqwest::Method::POST, Some(&citizen), "/api/applications", Some(json!({ "bundle": "marriage-childbirth" })), &[("idempotency-key", "birth-1")])
        .await;
    assert_eq!(other.status, StatusCode::CONFLICT);
    assert_eq!(other.code(), "idempotency_key_reused");
    assert_eq!(t.count("application").await, before[0] + 1);

    let app = first.body;
    let id = app["id"].as_str().expect("id").to_owned();
    assert_eq!(app["status"], "in_progress");
    // The birth certificate starts at once; household registration waits for it.
    assert_eq!(case(&app, "wjw-birth-cert")["status"], "active");
    assert_eq!(case(&app, "ga-hukou-birth")["status"], "waiting");
    assert!(app["deadline"].is_string());
    let departments: std::collections::BTreeSet<&str> = app["cases"].as_array().expect("cases").iter().filter_map(|c| c["department"].as_str()).collect();
    assert!(departments.len() >= 3, "several departments: {departments:?}");

    // The health clerk approves the birth certificate: household registration starts by itself,
    // and its material is linked to the record just issued.
    let mut app = app;
    while case(&app, "wjw-birth-cert")["status"] == "active" {
        app = t.advance_case(&id, case(&app, "wjw-birth-cert")).await;
    }
    assert_eq!(case(&app, "wjw-birth-cert")["status"], "approved");
    assert_eq!(case(&app, "ga-hukou-birth")["status"], "active");
    let issued = app["materials"].as_array().expect("materials").iter().find(|m| m["source"] == "issued_in_bundle").expect("issued material");
    assert!(issued["record_id"].is_string(), "linked to the issued record: {issued}");

    // The police clerk asks for a supplement: the clock pauses and the resident is told.
    let ga = t.login("ga_clerk").await;
    let hukou = case(&app, "ga-hukou-birth").clone();
    let mut hukou_view = t.get(&ga, &format!("/api/applications/{id}")).await.body;
    let mut guard = 0;
    while !case(&hukou_view, "ga-hukou-birth")["actions"].as_array().expect("actions").iter().any(|a| a["code"] == "request_supplement") {
        hukou_view = t.advance_case(&id, case(&hukou_view, "ga-hukou-birth")).await;
        guard += 1;
        assert!(guard < 5, "no supplement step in {hukou}");
    }
    let no_reason = t.post(&ga, &format!("/api/applications/{id}/cases/{}/actions", hukou["id"].as_str().expect("id")), json!({ "action": "request_supplement" })).await;
    assert_eq!(no_reason.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(no_reason.code(), "comment_required");
    let r = t
        .post(&ga, &format!("/api/applications/{id}/cases/{}/actions", hukou["id"].as_str().expect("id")), json!({ "action": "request_supplement", "comment": "请补充父母结婚证复印件" }))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["status"], "supplementing");
    assert_eq!(case(&r.body, "ga-hukou-birth")["status"], "paused");
    let deadline_before = case(&r.body, "ga-hukou-birth")["promised_deadline"].clone();

    // Three working days later the resident supplies it; the deadline moves on by three.
    t.clock.advance(chrono::Duration::days(3));
    let expired = t.get(&citizen, &format!("/api/applications/{id}")).await;
    assert_eq!(expired.status, StatusCode::UNAUTHORIZED, "sessions expire after 8 hours");
    let (_, citizen) = t.citizen().await;
    let mine = t.get(&citizen, &format!("/api/applications/{id}")).await.body;
    let resume = case(&mine, "ga-hukou-birth")["actions"].as_array().expect("actions").first().expect("an applicant action").clone();
    let r = t.post(&citizen, &format!("/api/applications/{id}/cases/{}/actions", hukou["id"].as_str().expect("id")), json!({ "action": resume["code"] })).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(case(&r.body, "ga-hukou-birth")["status"], "active");
    assert_ne!(case(&r.body, "ga-hukou-birth")["promised_deadline"], deadline_before, "the pause moved the deadline");
    assert!(case(&r.body, "ga-hukou-birth")["paused_days"].as_u64().expect("paused") >= 1);

    // Everyone else finishes.
    let app = t.approve_all(&id).await;
    assert_eq!(app["status"], "completed", "{app}");
    let mine = t.get(&citizen, &format!("/api/applications/{id}")).await.body;
    assert_eq!(mine["can_rate"], true);
    assert_eq!(mine["this_application"]["materials"].as_u64(), Some(materials.len() as u64));

    // Notices reached the resident at each step.
    let notices = t.get(&citizen, &format!("/api/applications/{id}/notices")).await.body;
    let kinds: Vec<&str> = notices.as_array().expect("notices").iter().filter_map(|n| n["kind"].as_str()).collect();
    for k in ["submitted", "case_approved", "supplement_requested", "finished"] {
        assert!(kinds.contains(&k), "notice {k} in {kinds:?}");
    }

    // A bad rating opens rectifications; a supervisor answers; the re-rating closes them.
    let r = t.post(&citizen, &format!("/api/applications/{id}/rating"), json!({ "level": "dissatisfied", "comment": "补正要求说得不清楚", "departments": ["ga"] })).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["rectifications"].as_array().expect("rects").len(), 1);
    let twice = t.post(&citizen, &format!("/api/applications/{id}/rating"), json!({ "level": "satisfied" })).await;
    assert_eq!(twice.status, StatusCode::CONFLICT);
    assert_eq!(twice.code(), "already_rated");
    let sup = t.login("ga_supervisor").await;
    let list = t.get(&sup, "/api/rectifications?status=open").await;
    assert_eq!(list.status, StatusCode::OK);
    let rect = list.body.as_array().expect("list").iter().find(|x| x["application"] == id.as_str()).expect("our rectification").clone();
    let other_sup = t.login("wjw_supervisor").await;
    let denied = t.post(&other_sup, &format!("/api/rectifications/{}/response", rect["id"].as_str().expect("id")), json!({ "response": "x" })).await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);
    let r = t.post(&sup, &format!("/api/rectifications/{}/response", rect["id"].as_str().expect("id")), json!({ "response": "已向窗口明确补正告知书写规范" })).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = t.post(&citizen, &format!("/api/applications/{id}/rating"), json!({ "level": "very_satisfied" })).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["rectifications"][0]["status"], "closed");
    assert_eq!(r.body["ratings"].as_array().expect("ratings").len(), 2);

    // The reductions report counts it, computed from the case.
    let admin = t.login("admin").await;
    let rep = t.get(&admin, "/api/reports/reductions").await;
    assert_eq!(rep.status, StatusCode::OK);
    let birth = rep.body["bundles"].as_array().expect("bundles").iter().find(|b| b["bundle"] == "birth").expect("birth line").clone();
    assert_eq!(birth["applications"], 1);
    assert!(birth["reduction"]["materials"].as_f64().expect("pct") > 0.0, "{birth}");
    assert!(birth["baseline"]["materials"].as_u64() > birth["actual"]["materials"].as_u64());

    // The satisfaction report counts the first (bad) rating against the police.
    let ov = t.get(&admin, "/api/reports/overview").await.body;
    let ga_sat = ov["satisfaction"].as_array().expect("sat").iter().find(|d| d["department"] == "ga").expect("ga").clone();
    assert_eq!(ga_sat["bad"], 1);

    // The history is complete and verifies.
    let h = t.get(&citizen, &format!("/api/applications/{id}/history")).await.body;
    let actions: Vec<&str> = h.as_array().expect("history").iter().filter_map(|e| e["action"].as_str()).collect();
    for a in ["submitted", "started", "request_supplement", "rated", "rectification_opened", "rectification_responded", "rectification_closed"] {
        assert!(actions.contains(&a), "{a} in {actions:?}");
    }
    let report = t.state.store.onething().verify_histories(|_, _| {}).await.expect("verify");
    assert!(report.broken.is_empty(), "{:?}", report.broken);
    assert!(report.entries >= h.as_array().expect("h").len() as u64);
}

#[tokio::test]
async fn birth_story_on_every_backend() {
    for db in backends() {
        let t = TestApp::spawn(db).await;
        birth_story(&t).await;
        t.shutdown().await;
    }
}

/// 夜间施工一件事: five departments; the repeat application needs only the new time window.
#[tokio::test]
async fn night_construction_repeat_needs_only_the_time_window() {
    let t = TestApp::spawn(Db::Sqlite).await;
    let (_, firm) = t.enterprise().await;
    let plan = t.get(&firm, "/api/plan?bundle=night-construction").await.body;
    let uploads: Vec<&Value> = plan["materials"].as_array().expect("m").iter().filter(|m| m["status"] == "to_upload").collect();
    assert_eq!(uploads.len(), 3, "the first application uploads 3 materials: {plan}");
    let first = t.file(&firm, "night-construction").await;
    let depts: std::collections::BTreeSet<&str> = first["cases"].as_array().expect("cases").iter().filter_map(|c| c["department"].as_str()).collect();
    assert_eq!(depts.len(), 5);
    let id = first["id"].as_str().expect("id");
    assert_eq!(t.approve_all(id).await["status"], "completed");

    let repeat = t.get(&firm, "/api/plan?bundle=night-construction").await.body;
    assert_eq!(repeat["to_upload"], 0, "{repeat}");
    assert_eq!(repeat["prior"], id);
    let asked: Vec<&str> = repeat["fields"]
        .as_array()
        .expect("fields")
        .iter()
        .filter(|f| f["required"] == true && f["prefilled"].is_null())
        .filter_map(|f| f["key"].as_str())
        .collect();
    assert_eq!(asked, vec!["work_start", "work_end"], "{repeat}");
    let r = t
        .post(&firm, "/api/applications", json!({ "bundle": "night-construction", "form": { "work_start": "2026-03-20T22:00", "work_end": "2026-03-21T05:00" } }))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.body["this_application"]["materials"], 0);
    assert!(r.body["materials"].as_array().expect("m").iter().any(|m| m["source"] == "reused"));
    t.shutdown().await;
}
