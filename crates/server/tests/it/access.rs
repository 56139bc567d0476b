//! People and access over HTTP: sessions, password guessing, logout, and the data scope of each
//! role — citizens see only their own applications, clerks only their department's, window
//! staff take applications in for residents — with personal data masked in lists, and
//! registration with real-name checks.

use std::collections::BTreeSet;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{Db, TestApp, backends};

/// The endpoints anyone may call without a session.
const PUBLIC: &[&str] = &["/healthz", "/api/openapi.json", "/api/auth/login", "/api/auth/register/code", "/api/auth/register"];

fn ids_of(list: &Value) -> BTreeSet<String> {
    list.as_array().expect("a list").iter().filter_map(|a| a["id"].as_str().map(str::to_owned)).collect()
}

/// The ids of `rows`, in their order.
fn ids_in<'a>(rows: impl IntoIterator<Item = &'a Value>) -> Vec<String> {
    rows.into_iter().map(|r| r["id"].as_str().expect("id").to_owned()).collect()
}

/// The ids of a list answer, in its order.
fn ordered_ids(list: &Value) -> Vec<String> {
    ids_in(list.as_array().expect("a list"))
}

fn case_of<'a>(app: &'a Value, item: &str) -> &'a Value {
    app["cases"].as_array().and_then(|cs| cs.iter().find(|c| c["item"] == item)).unwrap_or_else(|| panic!("case {item}"))
}

/// `330183199001011232` → `330183********1232`, written out here rather than taken from the code
/// under test.
fn masked_id(id: &str) -> String {
    format!("{}{}{}", &id[..6], "*".repeat(8), &id[14..])
}

/// `张三丰` → `张*丰`, `张三` → `张*`, `欧阳娜娜` → `欧**娜`.
fn masked_name(name: &str) -> String {
    let c: Vec<char> = name.chars().collect();
    match c.len() {
        0 | 1 => "*".repeat(c.len()),
        2 => format!("{}*", c[0]),
        n => format!("{}{}{}", c[0], "*".repeat(n - 2), c[n - 1]),
    }
}

#[test]
fn the_masks_written_here_match_the_examples() {
    assert_eq!(masked_id("330183199001011232"), "330183********1232");
    assert_eq!(masked_name("张三丰"), "张*丰");
    assert_eq!(masked_name("张三"), "张*");
    assert_eq!(masked_name("欧阳娜娜"), "欧**娜");
}

/// The operations of issue 2's API (one-thing services), which all need a session but `PUBLIC`.
const ONE_THING: &[&str] = &[
    "POST /api/auth/logout", "GET /api/me", "GET /api/catalog/stages", "GET /api/catalog/bundles/{code}", "GET /api/catalog/items",
    "GET /api/catalog/items/{code}", "GET /api/catalog/departments", "GET /api/plan", "POST /api/uploads", "POST /api/applications",
    "GET /api/applications", "GET /api/applications/{id}", "GET /api/applications/{id}/history", "GET /api/applications/{id}/notices",
    "POST /api/applications/{id}/cases/{case}/actions", "POST /api/applications/{id}/withdraw", "POST /api/applications/{id}/rating",
    "GET /api/rectifications", "POST /api/rectifications/{id}/response", "GET /api/cases", "GET /api/supervision/overdue",
    "GET /api/notices", "GET /api/reports/reductions", "GET /api/reports/overview",
];

#[tokio::test]
async fn every_endpoint_but_the_public_ones_needs_a_session() {
    let t = TestApp::spawn(Db::Sqlite).await;
    let doc = t.request(Method::GET, None, "/api/openapi.json", None, &[]).await;
    assert_eq!(doc.status, StatusCode::OK);
    let paths = doc.body["paths"].as_object().expect("paths");

    // A session that has expired and one that never existed are no better than none.
    let (_, expired) = t.citizen().await;
    t.clock.advance(chrono::Duration::hours(9));
    let mut walked = Vec::new();
    let mut declared_public = Vec::new();
    for (path, ops) in paths {
        for (method, op) in ops.as_object().expect("operations") {
            let name = format!("{} {path}", method.to_ascii_uppercase());
            let method = Method::from_bytes(method.to_ascii_uppercase().as_bytes()).expect("method");
            let secured = op["security"].as_array().is_some_and(|s| !s.is_empty());
            if PUBLIC.contains(&path.as_str()) {
                assert!(!secured, "{name} is public and documented so");
                continue;
            }
            if !secured {
                // Endpoints of other capabilities that the document declares public (e.g. a
                // gate checking a credential of its own); none of the one-thing API may be.
                declared_public.push(name);
                continue;
            }
            // Ids of things that exist would do no better: the session is checked first.
            let url = path.replace("{id}", "1").replace("{case}", "1").replace("{code}", "birth");
            let body = (method == Method::POST).then(|| json!({}));
            for token in [None, Some("not-a-token"), Some(expired.as_str())] {
                let r = t.request(method.clone(), token, &url, body.clone(), &[]).await;
                assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{name} with {token:?}: {}", r.body);
                assert_eq!(r.code(), "unauthorized", "{name}");
                assert!(r.body["message"].as_str().is_some_and(|m| m.contains("登录")), "{}", r.body);
            }
            walked.push(name);
        }
    }
    for op in ONE_THING {
        assert!(walked.iter().any(|w| w == op), "{op} is documented as needing a session and refuses without one: walked {walked:?}, public {declared_public:?}");
    }
    // Uploads are checked before their bytes are read.
    let r = t.raw(Method::POST, None, "/api/uploads?name=a.pdf", Some("application/pdf"), b"%PDF".to_vec(), &[]).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);

    // The public ones answer without one.
    let h = t.request(Method::GET, None, "/healthz", None, &[]).await;
    assert_eq!(h.status, StatusCode::OK, "{}", h.body);
    assert_eq!(h.body["status"], "ok");
    let r = t.try_login("admin", "demo1234").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = t.request(Method::POST, None, "/api/auth/register/code", Some(json!({ "id_number": "1", "name": "x", "phone": "1" })), &[]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "registration needs no session: {}", r.body);
    let r = t.request(Method::POST, None, "/api/auth/register", Some(json!({ "id_number": "1", "name": "x", "phone": "1", "code": "1", "password": "x" })), &[]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "registration needs no session: {}", r.body);
    t.shutdown().await;
}

#[tokio::test]
async fn wrong_passwords_are_refused_and_six_throttle_that_client() {
    let t = TestApp::spawn(Db::Sqlite).await;
    let r = t.try_login("mzj_clerk", "demo12345").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.code(), "invalid_credentials");
    let unknown = t.try_login("nobody_at_all", "demo1234").await;
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
    assert_eq!(unknown.body, r.body, "an unknown login reads the same as a wrong password");

    // One failure above, five more make six: this client must wait before it tries that login
    // again, even with the right password (sessions.rs: other clients are not affected).
    for _ in 0..5 {
        let r = t.try_login("mzj_clerk", "guess").await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{}", r.body);
    }
    let r = t.try_login("mzj_clerk", "demo1234").await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.body);
    assert_eq!(r.code(), "login_throttled");
    assert!(r.headers.contains_key("retry-after"));
    // Other logins are not affected.
    let r = t.try_login("mzj_supervisor", "demo1234").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    t.shutdown().await;
}

#[tokio::test]
async fn logout_ends_that_session_only() {
    let t = TestApp::spawn(Db::Sqlite).await;
    let (login, one) = t.citizen().await;
    let two = t.login(&login).await;
    let me = t.get(&one, "/api/me").await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.body);
    let r = t.request(Method::POST, Some(&one), "/api/auth/logout", None, &[]).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    let r = t.get(&one, "/api/me").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "the ended session is refused: {}", r.body);
    let r = t.request(Method::POST, Some(&one), "/api/auth/logout", None, &[]).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(t.get(&two, "/api/me").await.status, StatusCode::OK, "the other session goes on");
    t.shutdown().await;
}

#[tokio::test]
async fn citizens_see_only_their_own_applications() {
    let t = TestApp::spawn(Db::Sqlite).await;
    let (a_login, a) = t.citizen().await;
    let (b_login, b) = t.other_citizen(&a_login).await;
    let a1 = t.file(&a, "birth").await;
    let a2 = t.file(&a, "marriage-childbirth").await;
    let b1 = t.file(&b, "marriage-childbirth").await;
    let a_ids: BTreeSet<String> = [&a1, &a2].iter().map(|x| x["id"].as_str().expect("id").to_owned()).collect();
    let b_id = b1["id"].as_str().expect("id").to_owned();

    let mine = t.get(&a, "/api/applications").await;
    assert_eq!(mine.status, StatusCode::OK);
    assert_eq!(ids_of(&mine.body), a_ids, "A's list is A's applications, all of them");
    let theirs = t.get(&b, "/api/applications").await;
    assert_eq!(ids_of(&theirs.body), BTreeSet::from([b_id.clone()]));

    for id in &a_ids {
        for path in [format!("/api/applications/{id}"), format!("/api/applications/{id}/history"), format!("/api/applications/{id}/notices")] {
            let r = t.get(&b, &path).await;
            assert_eq!(r.status, StatusCode::NOT_FOUND, "B asks for {path}: {}", r.body);
            assert_eq!(r.code(), "not_found");
        }
    }
    // B can neither act on, withdraw nor rate A's application, and learns nothing of it.
    let a1_id = a1["id"].as_str().expect("id");
    let cert = case_of(&a1, "wjw-birth-cert")["id"].as_str().expect("case");
    let before = t.counts().await;
    for (path, body) in [
        (format!("/api/applications/{a1_id}/cases/{cert}/actions"), json!({ "action": "accept" })),
        (format!("/api/applications/{a1_id}/withdraw"), json!({})),
        (format!("/api/applications/{a1_id}/rating"), json!({ "level": "satisfied" })),
    ] {
        let r = t.post(&b, &path, body).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}: {}", r.body);
    }
    assert_eq!(t.counts().await, before);
    // Citizens have no staff views.
    for path in ["/api/cases", "/api/supervision/overdue", "/api/reports/reductions", "/api/reports/overview", "/api/rectifications"] {
        let r = t.get(&a, path).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{path}: {}", r.body);
    }
    // A's own detail shows A's data unmasked; A's notices are A's.
    let own = t.get(&a, &format!("/api/applications/{a1_id}")).await.body;
    assert_eq!(own["applicant"]["key"], a_login.as_str());
    let notices = t.get(&a, "/api/notices").await.body;
    assert!(notices.as_array().expect("notices").iter().all(|n| a_ids.contains(n["application"].as_str().unwrap_or(""))), "{notices}");
    assert!(!b_login.is_empty());
    t.shutdown().await;
}

#[tokio::test]
async fn clerks_see_and_act_only_on_their_departments_cases() {
    let t = TestApp::spawn(Db::Sqlite).await;
    let (_, citizen) = t.citizen().await;
    let birth = t.file(&citizen, "birth").await;
    let id = birth["id"].as_str().expect("id").to_owned();
    let cert = case_of(&birth, "wjw-birth-cert")["id"].as_str().expect("case").to_owned();
    // 婚育一件事 involves the civil-affairs bureau (mzj), which has nothing to do with births.
    let marriage = t.file(&citizen, "marriage-childbirth").await;
    let m_id = marriage["id"].as_str().expect("id").to_owned();
    assert!(!birth["cases"].as_array().expect("cases").iter().any(|c| c["department"] == "mzj"));

    let wjw = t.login("wjw_clerk").await;
    let ga = t.login("ga_clerk").await;
    let mzj = t.login("mzj_clerk").await;

    // Seeing: the departments of the bundle see it, the others get 404.
    assert_eq!(t.get(&wjw, &format!("/api/applications/{id}")).await.status, StatusCode::OK);
    assert_eq!(t.get(&ga, &format!("/api/applications/{id}")).await.status, StatusCode::OK);
    let r = t.get(&mzj, &format!("/api/applications/{id}")).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    assert_eq!(t.get(&mzj, &format!("/api/applications/{id}/history")).await.status, StatusCode::NOT_FOUND);
    let listed = ids_of(&t.get(&mzj, "/api/applications").await.body);
    assert!(listed.contains(&m_id) && !listed.contains(&id), "mzj lists only what it handles: {listed:?}");

    // The queue holds only the department's cases, the birth certificate among them.
    let queue = t.get(&wjw, "/api/cases").await;
    assert_eq!(queue.status, StatusCode::OK, "{}", queue.body);
    let rows = queue.body.as_array().expect("rows");
    assert!(rows.iter().any(|r| r["id"] == cert.as_str()), "{rows:?}");
    assert!(rows.iter().all(|r| r["department"] == "wjw"), "{rows:?}");
    let mine = t.get(&wjw, "/api/cases?department=wjw").await;
    assert_eq!(mine.status, StatusCode::OK);
    let sup = t.login("ga_supervisor").await;
    for (who, token, path) in [
        ("a clerk", &wjw, "/api/cases?department=ga"),
        ("a supervisor", &sup, "/api/supervision/overdue?department=wjw"),
        ("a supervisor", &sup, "/api/rectifications?department=wjw"),
    ] {
        let r = t.get(token, path).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{who}: {path}: {}", r.body);
    }
    // A clerk may not use the supervisor's view.
    assert_eq!(t.get(&wjw, "/api/supervision/overdue").await.status, StatusCode::FORBIDDEN);

    // Acting: the police clerk sees the application but may not touch the health bureau's case;
    // the civil-affairs clerk does not even see it.
    let before = t.counts().await;
    let path = format!("/api/applications/{id}/cases/{cert}/actions");
    let r = t.post(&ga, &path, json!({ "action": "accept" })).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert_eq!(r.code(), "role_not_allowed");
    let r = t.post(&mzj, &path, json!({ "action": "accept" })).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    assert_eq!(t.counts().await, before, "refused actions write nothing");
    // The police clerk is not offered the health bureau's actions either.
    let seen = t.get(&ga, &format!("/api/applications/{id}")).await.body;
    assert_eq!(case_of(&seen, "wjw-birth-cert")["actions"], json!([]));
    let r = t.post(&wjw, &path, json!({ "action": "accept" })).await;
    assert_eq!(r.status, StatusCode::OK, "the health clerk may: {}", r.body);
    t.shutdown().await;
}

#[tokio::test]
async fn window_staff_take_applications_in_for_residents() {
    let t = TestApp::spawn(Db::Sqlite).await;
    let (resident, citizen) = t.citizen().await;
    let window = t.login("window").await;
    // The resident's own plan says what to bring (see the BUG note below on the window's plan).
    let app = t.take_in(&window, &citizen, &resident, "birth").await;
    assert_eq!(app["channel"], "window");
    assert_eq!(app["applicant"]["key"], resident.as_str());
    let id = app["id"].as_str().expect("id").to_owned();

    // The resident follows it online as their own.
    let list = t.get(&citizen, "/api/applications").await.body;
    let row = list.as_array().expect("list").iter().find(|a| a["id"] == id.as_str()).unwrap_or_else(|| panic!("in {list}")).clone();
    assert_eq!(row["channel"], "window");
    let detail = t.get(&citizen, &format!("/api/applications/{id}")).await;
    assert_eq!(detail.status, StatusCode::OK);
    assert_eq!(detail.body["can_withdraw"], true, "it is theirs to withdraw");
    let notices = t.get(&citizen, &format!("/api/applications/{id}/notices")).await.body;
    assert!(notices.as_array().expect("notices").iter().any(|n| n["kind"] == "submitted"), "{notices}");
    // The history says who took it in.
    let h = t.get(&citizen, &format!("/api/applications/{id}/history")).await.body;
    assert_eq!(h[0]["action"], "submitted");
    assert_eq!(h[0]["role"], "window");

    // Only window staff take applications in, and only for someone.
    let clerk = t.login("wjw_clerk").await;
    let r = t.post(&clerk, "/api/applications", json!({ "bundle": "birth", "applicant": resident })).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let r = t.post(&window, "/api/applications", json!({ "bundle": "birth" })).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.code(), "applicant_required");
    t.shutdown().await;
}

/// A town's window lists what it took in, and another town's window does not see it (the list is
/// filtered by division code: a range of the applications' index by division, which must order
/// alike under PostgreSQL's collation).
#[tokio::test]
async fn a_town_window_lists_what_it_took_in_and_no_other_towns() {
    for db in backends() {
        town_windows(db).await;
    }
}

async fn town_windows(db: Db) {
    let t = TestApp::spawn(db).await;
    let (resident, citizen) = t.citizen().await;
    let fuchun = t.login("window_fuchun").await;
    let app = t.take_in(&fuchun, &citizen, &resident, "birth").await;
    let id = app["id"].as_str().expect("id").to_owned();
    let listed = |list: serde_json::Value| list.as_array().expect("list").iter().any(|a| a["id"] == id.as_str());
    assert!(listed(t.get(&fuchun, "/api/applications").await.body), "the window that took it in");
    let yinhu = t.login("window_yinhu").await;
    assert!(!listed(t.get(&yinhu, "/api/applications").await.body), "another town's window");
    let district = t.login("window").await;
    assert!(listed(t.get(&district, "/api/applications").await.body), "the district's window");
    t.shutdown().await;
}

/// An administrator's queue holds every department's open cases in one order: each department's
/// own queue is that order's part for the department, and pages of it follow on from each other
/// (the queue is merged from each department's and status's first entries, see `case_queue`).
#[tokio::test]
async fn an_administrators_queue_merges_every_departments_in_order() {
    for db in backends() {
        administrators_queue(db).await;
    }
}

async fn administrators_queue(db: Db) {
    let t = TestApp::spawn(db).await;
    let (_, citizen) = t.citizen().await;
    for bundle in ["birth", "marriage-childbirth", "birth"] {
        t.file(&citizen, bundle).await;
    }
    let admin = t.login("admin").await;
    let all = t.get(&admin, "/api/cases?limit=500").await;
    assert_eq!(all.status, StatusCode::OK, "{}", all.body);
    let rows = all.body.as_array().expect("rows").clone();
    let mut departments: Vec<String> = rows.iter().map(|r| r["department"].as_str().expect("department").to_owned()).collect();
    departments.sort();
    departments.dedup();
    assert!(departments.len() >= 3, "{departments:?}");
    assert!(rows.iter().all(|r| ["waiting", "active", "paused"].contains(&r["status"].as_str().unwrap_or(""))), "{rows:?}");
    // Most urgent first across departments: overdue, then by promised deadline, none last.
    let key = |r: &serde_json::Value| (r["overdue"] != true, r["promised_deadline"].is_null(), r["promised_deadline"].as_str().unwrap_or("").to_owned());
    assert!(rows.windows(2).all(|w| key(&w[0]) <= key(&w[1])), "{rows:?}");
    let first_with_deadline: Vec<&str> = rows.iter().take_while(|r| !r["promised_deadline"].is_null()).map(|r| r["department"].as_str().unwrap_or("")).collect();
    assert!(first_with_deadline.windows(2).any(|w| w[0] != w[1]), "departments interleave by deadline: {rows:?}");
    for d in &departments {
        let own = ordered_ids(&t.get(&admin, &format!("/api/cases?department={d}&limit=500")).await.body);
        assert_eq!(own, ids_in(rows.iter().filter(|r| r["department"] == d.as_str())), "{d}");
    }
    let mut paged = Vec::new();
    for offset in (0..rows.len() + 3).step_by(3) {
        paged.extend(ordered_ids(&t.get(&admin, &format!("/api/cases?limit=3&offset={offset}")).await.body));
    }
    assert_eq!(paged, ordered_ids(&all.body));
    // One status, and the supervisor's overdue view over every department (none is late yet).
    let waiting = ordered_ids(&t.get(&admin, "/api/cases?status=waiting&limit=500").await.body);
    assert!(!waiting.is_empty());
    assert_eq!(waiting, ids_in(rows.iter().filter(|r| r["status"] == "waiting")));
    let overdue = t.get(&admin, "/api/supervision/overdue").await;
    assert_eq!(overdue.status, StatusCode::OK, "{}", overdue.body);
    assert_eq!(overdue.body, serde_json::json!([]));
    t.shutdown().await;
}

/// Lists filtered by status, for the applicant, a department and the administrator, hold exactly
/// the applications of that status (each filter combination reads its own index, see
/// `applications_query`).
#[tokio::test]
async fn application_lists_filter_by_status_for_every_viewer() {
    for db in backends() {
        lists_by_status(db).await;
    }
}

async fn lists_by_status(db: Db) {
    let t = TestApp::spawn(db).await;
    let (_, citizen) = t.citizen().await;
    let kept = t.file(&citizen, "birth").await["id"].as_str().expect("id").to_owned();
    let gone = t.file(&citizen, "birth").await["id"].as_str().expect("id").to_owned();
    let r = t.post(&citizen, &format!("/api/applications/{gone}/withdraw"), json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    for login in ["citizen", "wjw_clerk", "admin"] {
        let token = if login == "citizen" { citizen.clone() } else { t.login(login).await };
        let withdrawn = ordered_ids(&t.get(&token, "/api/applications?status=withdrawn&limit=500").await.body);
        assert!(withdrawn.contains(&gone) && !withdrawn.contains(&kept), "{login}: {withdrawn:?}");
        let open = t.get(&token, "/api/applications?status=in_progress&limit=500").await.body;
        assert!(ordered_ids(&open).contains(&kept) && !ordered_ids(&open).contains(&gone), "{login}: {open}");
        assert!(open.as_array().expect("rows").iter().all(|a| a["status"] == "in_progress"), "{login}: {open}");
        let birth = ordered_ids(&t.get(&token, "/api/applications?status=withdrawn&target=birth&limit=500").await.body);
        assert_eq!(birth, withdrawn, "{login}");
        let r = t.get(&token, "/api/applications?status=bogus").await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{login}: {}", r.body);
        assert_eq!(r.code(), "invalid_status");
    }
    t.shutdown().await;
}

#[tokio::test]
async fn personal_data_is_masked_in_lists_but_not_in_the_applicants_own_detail() {
    let t = TestApp::spawn(Db::Sqlite).await;
    let (resident, citizen) = t.citizen().await;
    let app = t.file(&citizen, "birth").await;
    let id = app["id"].as_str().expect("id");
    let name = app["applicant"]["name"].as_str().expect("name").to_owned();
    assert!(name.chars().count() >= 2, "{name}");
    let (key_masked, name_masked) = (masked_id(&resident), masked_name(&name));

    // Lists for staff: masked keys and names.
    for login in ["admin", "wjw_clerk", "window"] {
        let token = t.login(login).await;
        let list = t.get(&token, "/api/applications").await.body;
        let row = list.as_array().expect("list").iter().find(|a| a["id"] == id).unwrap_or_else(|| panic!("{login}: {list}")).clone();
        assert_eq!(row["applicant_key"], key_masked.as_str(), "{login}");
        assert_eq!(row["applicant_name"], name_masked.as_str(), "{login}");
    }
    let clerk = t.login("wjw_clerk").await;
    let queue = t.get(&clerk, "/api/cases").await.body;
    let row = queue.as_array().expect("queue").iter().find(|r| r["application"] == id).expect("our case").clone();
    assert_eq!(row["applicant_key"], key_masked.as_str());
    assert_eq!(row["applicant_name"], name_masked.as_str());
    // The resident's own list masks the number too (lists are shown on screens); their name is theirs.
    let own_list = t.get(&citizen, "/api/applications").await.body;
    assert_eq!(own_list[0]["applicant_key"], key_masked.as_str());
    // Nowhere in a list does the whole number appear.
    for body in [&own_list, &queue] {
        assert!(!body.to_string().contains(&resident), "{body}");
    }

    // The applicant's own detail is whole.
    let own = t.get(&citizen, &format!("/api/applications/{id}")).await.body;
    assert_eq!(own["applicant"]["key"], resident.as_str());
    assert_eq!(own["applicant"]["name"], name.as_str());
    let me = t.get(&citizen, "/api/me").await.body;
    assert_eq!(me["person"]["id_number"], resident.as_str());
    // Staff who handle the case see it whole too; staff who do not cannot see it at all.
    let handler = t.get(&clerk, &format!("/api/applications/{id}")).await.body;
    assert_eq!(handler["applicant"]["key"], resident.as_str());
    assert_eq!(t.get(&t.login("mzj_clerk").await, &format!("/api/applications/{id}")).await.status, StatusCode::NOT_FOUND);
    t.shutdown().await;
}

/// Registration checks the resident against the population register. Rewritten for the two steps
/// of issue 27 (finding 4): a wrong name was 422 `real_name_mismatch` and a second registration 409
/// `already_registered`, which told a stranger who exists and who has an account; both now get
/// step one's one answer with no code sent, and step two's one `registration_failed`. The
/// resident it took (the first without an account) was a child, and minors no longer register:
/// it takes a new adult.
#[tokio::test]
async fn residents_register_with_real_name_checks() {
    use crate::register::{ask_code, codes_sent_to, finish, new_resident, register_new};
    let t = TestApp::spawn(Db::Sqlite).await;
    let name = "黄小明";
    let id_number = new_resident(&t, name, chrono::NaiveDate::from_ymd_opt(1994, 4, 4).expect("date")).await;
    let phone = "13900001234";
    let accounts = t.count("account").await;

    let r = ask_code(&t, &id_number, "王小明不是我", phone, None).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
    assert!(codes_sent_to(&t, phone).await.is_empty(), "no code for a wrong name");
    for weak in ["abc123", "abcdefghij", "1234567890"] {
        let r = finish(&t, &id_number, name, phone, "123456", weak).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{weak}: {}", r.body);
        assert_eq!(r.code(), "weak_password");
        assert_eq!(r.body["field"], "password");
    }
    let r = ask_code(&t, "330183900101123", name, phone, None).await;
    assert_eq!(r.code(), "invalid_id_number");
    assert_eq!(r.body["field"], "id_number");
    assert_eq!(t.count("account").await, accounts, "refused registrations write nothing");

    let token = register_new(&t, &id_number, name, phone).await;
    let me = t.get(&token, "/api/me").await.body;
    assert_eq!(me["person"]["id_number"], id_number.as_str());
    assert_eq!(me["account"]["kind"], "citizen");
    assert_eq!(t.try_login(&id_number, "abc12345").await.status, StatusCode::OK);

    let r = ask_code(&t, &id_number, name, phone, None).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
    let codes = codes_sent_to(&t, phone).await;
    assert_eq!(codes.len(), 1, "no new code for a registered resident");
    let r = finish(&t, &id_number, name, phone, &codes[0], "abc12345").await;
    assert_eq!((r.status, r.code()), (StatusCode::UNPROCESSABLE_ENTITY, "registration_failed"), "{}", r.body);
    assert_eq!(t.count("account").await, accounts + 1);
    t.shutdown().await;
}

/// A resident whom a window took in before they had an account claims it by registering.
/// Rewritten for issue 27: claiming needed only the ID number and name; it now needs the claim
/// code the window handed over and a code sent to the phone. The resident it took was a child
/// without an account; minors no longer register, so it takes a new adult.
#[tokio::test]
async fn registering_claims_the_account_a_window_opened() {
    use crate::register::{ask_code, finish_claiming, new_resident, the_code};
    let t = TestApp::spawn(Db::Sqlite).await;
    let window = t.login("window").await;
    let name = "林雪";
    let id_number = new_resident(&t, name, chrono::NaiveDate::from_ymd_opt(1983, 3, 8).expect("date")).await;
    let (form, materials) = t.filing(&window, &format!("bundle=medical&applicant={id_number}")).await;
    let r = t.post(&window, "/api/applications", json!({ "bundle": "medical", "applicant": id_number, "form": form, "materials": materials })).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let app_id = r.body["id"].as_str().expect("id").to_owned();
    let claim = r.body["claim_code"]["code"].as_str().expect("a claim code for the window to hand over").to_owned();
    // The account the window opened has no usable password.
    assert_eq!(t.try_login(&id_number, "").await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(t.try_login(&id_number, "!").await.status, StatusCode::UNAUTHORIZED);

    let phone = "13900001234";
    assert_eq!(ask_code(&t, &id_number, name, phone, Some(&claim)).await.status, StatusCode::ACCEPTED);
    let code = the_code(&t, phone).await;
    let r = finish_claiming(&t, &id_number, name, phone, &code, &claim).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let token = r.body["token"].as_str().expect("token");
    let list = t.get(token, "/api/applications").await.body;
    assert_eq!(ids_of(&list), BTreeSet::from([app_id]), "the window's intake is theirs");
    t.shutdown().await;
}

#[tokio::test]
async fn a_window_reads_the_plan_of_any_resident() {
    let t = TestApp::spawn(Db::Sqlite).await;
    let (resident, _) = t.citizen().await;
    assert!(resident.ends_with(|c: char| c.is_ascii_digit()), "{resident}");
    let window = t.login("window").await;
    let r = t.get(&window, &format!("/api/plan?bundle=birth&applicant={resident}")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["applicant"]["key"], resident.as_str());
    t.shutdown().await;
}
