//! Service halls (issue 36) over HTTP, on SQLite and (when configured) PostgreSQL: a hall set up by
//! the administrator; tickets taken on the phone and at the kiosk, called by priority at the
//! windows that serve them, held, transferred, finished with the application filed, rated; the
//! estimate falling as the queue moves and the "three ahead" notice; appointments booked, full,
//! doubled and checked in; the board and its live feed; the cockpit. Outsiders, lesser roles,
//! garbage and races at every step.

use std::collections::BTreeSet;

use reqwest::Method;
use reqwest::StatusCode;
use serde_json::Value;
use serde_json::json;

use crate::helpers::TestApp;
use crate::helpers::backends;

/// A hall of 富春街道 open Monday to Friday with lunch service and Saturday mornings.
fn hall_body() -> Value {
    json!({
        "name": "富春街道便民服务中心", "level": "town", "town": "330111001", "address": "富阳区富春街道江滨西大道 1 号",
        "lat": 30.0495, "lon": 119.9520,
        "sessions": [
            { "weekdays": [1, 2, 3, 4, 5], "opens": "08:30", "closes": "17:00" },
            { "weekdays": [6], "opens": "09:00", "closes": "12:00" }
        ],
        "windows": [
            { "no": 1, "name": "社保医保", "lines": ["social_insurance"] },
            { "no": 2, "name": "社保·户政", "lines": ["social_insurance", "public_security"] },
            { "no": 3, "name": "税务", "lines": ["tax"] }
        ],
        "terminals": [{ "no": 1, "name": "自助终端", "items": [] }]
    })
}

async fn residents(t: &TestApp, n: i64) -> Vec<(String, String)> {
    let logins = t.state.store.registers().bench_citizens(n + 5).await.expect("citizens");
    let mut out = Vec::new();
    for l in logins.into_iter().take(n as usize) {
        let token = t.login(&l).await;
        out.push((l, token));
    }
    out
}

async fn set_up(t: &TestApp) -> String {
    let admin = t.login("admin").await;
    let r = t.post(&admin, "/api/halls", hall_body()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.body["id"].as_str().expect("id").to_owned()
}

#[tokio::test]
async fn a_hall_is_set_up_by_the_administrator_only_and_bad_halls_change_nothing() {
    for db in backends() {
        let t = TestApp::spawn(db).await;
        let admin = t.login("admin").await;
        let (_, resident) = t.citizen().await;
        let window = t.login("window").await;
        for token in [&resident, &window] {
            let r = t.post(token, "/api/halls", hall_body()).await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
        }
        let bad: Vec<(Value, &str)> = vec![
            (json!({ "windows": [{ "no": 1, "name": "x", "lines": ["no_such_line"] }] }), "lines"),
            (json!({ "windows": [] }), "windows"),
            (json!({ "town": "330111999" }), "town"),
            (json!({ "lat": 95.0 }), "lat"),
            (json!({ "level": "province" }), "level"),
            (json!({ "sessions": [{ "weekdays": [1], "opens": "08:30", "closes": "25:00" }] }), "closes"),
            (json!({ "sessions": [{ "weekdays": [1], "opens": "09:00", "closes": "08:00" }] }), "sessions"),
        ];
        for (change, field) in bad {
            let mut body = hall_body();
            for (k, v) in change.as_object().expect("object") {
                body[k] = v.clone();
            }
            let r = t.post(&admin, "/api/halls", body).await;
            assert!(r.status == StatusCode::UNPROCESSABLE_ENTITY || r.status == StatusCode::BAD_REQUEST, "{field}: {} {}", r.status, r.body);
            assert!(r.body["field"].as_str().unwrap_or("").contains(field), "{field}: {}", r.body);
        }
        assert_eq!(t.count("hall_doc").await, 0, "nothing kept");
        let id = set_up(&t).await;
        let r = t.request(Method::GET, None, &format!("/api/halls/{id}"), None, &[]).await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!((r.body["open_now"].as_bool(), r.body["offers_lunch"].as_bool(), r.body["offers_weekend"].as_bool()), (Some(true), Some(true), Some(true)), "{}", r.body);
        assert_eq!(r.body["windows"][0]["staff"], Value::Null, "staff accounts are not shown to the public");
        let r = t.request(Method::GET, None, "/api/halls?level=town", None, &[]).await;
        assert_eq!(r.body.as_array().map(Vec::len), Some(1));
        let r = t.request(Method::GET, None, "/api/halls/lines", None, &[]).await;
        assert!(r.body.as_array().is_some_and(|l| l.iter().any(|x| x["code"] == "tax")), "{}", r.body);
        for garbage in ["/api/halls/abc", "/api/halls/0", "/api/halls/99999"] {
            let r = t.request(Method::GET, None, garbage, None, &[]).await;
            assert_eq!(r.status, StatusCode::NOT_FOUND, "{garbage}");
        }
        t.shutdown().await;
    }
}

#[tokio::test]
async fn tickets_are_called_by_priority_at_the_windows_that_serve_them_and_the_estimate_falls() {
    for db in backends() {
        let t = TestApp::spawn(db).await;
        let hall = set_up(&t).await;
        let people = residents(&t, 5).await;
        let staff = t.login("window").await;
        // Five residents and the kiosk take social-insurance numbers, one a tax number.
        let mut tickets = Vec::new();
        for (_, token) in &people {
            let r = t.post(token, &format!("/api/halls/{hall}/tickets"), json!({ "line": "social_insurance" })).await;
            assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
            tickets.push(r.body.clone());
        }
        let numbers: Vec<&str> = tickets.iter().filter_map(|x| x["number"].as_str()).collect();
        assert_eq!(numbers, ["A001", "A002", "A003", "A004", "A005"]);
        let kiosk = t.request(Method::POST, None, &format!("/api/halls/{hall}/tickets"), Some(json!({ "line": "tax" })), &[]).await;
        assert_eq!(kiosk.status, StatusCode::CREATED, "{}", kiosk.body);
        assert_eq!(kiosk.body["number"], "E001");
        let token = kiosk.body["token"].as_str().expect("the slip's token").to_owned();
        let kid = kiosk.body["id"].as_str().expect("id").to_owned();
        // The slip's token shows it signed out; nobody else sees it.
        let r = t.request(Method::GET, None, &format!("/api/halls/tickets/{kid}?token={token}"), None, &[]).await;
        assert_eq!((r.status, r.body["number"].as_str()), (StatusCode::OK, Some("E001")), "{}", r.body);
        for path in [format!("/api/halls/tickets/{kid}"), format!("/api/halls/tickets/{kid}?token={}", "0".repeat(32))] {
            let r = t.request(Method::GET, None, &path, None, &[]).await;
            assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}");
        }
        let first = tickets[0]["id"].as_str().expect("id");
        let r = t.get(&people[1].1, &format!("/api/halls/tickets/{first}")).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "another resident's ticket");
        // The fifth waits behind four, on two windows.
        let last = tickets[4]["id"].as_str().expect("id").to_owned();
        let before = t.get(&people[4].1, &format!("/api/halls/tickets/{last}")).await;
        assert_eq!(before.body["ahead"], 4, "{}", before.body);
        let wait_before = before.body["estimate_seconds"].as_u64().expect("an estimate");
        assert!(wait_before > 0);
        // Staff may not take tickets; a resident may not call; another town's window may not call.
        let r = t.post(&staff, &format!("/api/halls/{hall}/tickets"), json!({ "line": "tax" })).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        let r = t.post(&people[0].1, &format!("/api/halls/{hall}/windows/1/call"), json!({})).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        let yinhu = t.login("window_yinhu").await;
        let r = t.post(&yinhu, &format!("/api/halls/{hall}/windows/1/call"), json!({})).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
        // Window 3 serves tax only: it calls E001, then has nothing to call.
        let r = t.post(&staff, &format!("/api/halls/{hall}/windows/3/call"), json!({})).await;
        assert_eq!((r.status, r.body["number"].as_str()), (StatusCode::OK, Some("E001")), "{}", r.body);
        let r = t.post(&staff, &format!("/api/halls/tickets/{kid}/actions"), json!({ "action": "start", "window": 3 })).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        t.clock.advance(chrono::Duration::minutes(6));
        let r = t.post(&staff, &format!("/api/halls/tickets/{kid}/actions"), json!({ "action": "finish", "window": 3 })).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let r = t.post(&staff, &format!("/api/halls/{hall}/windows/3/call"), json!({})).await;
        assert_eq!((r.status, r.body["code"].as_str()), (StatusCode::CONFLICT, Some("nothing_to_call")), "{}", r.body);
        for w in ["99", "abc"] {
            let r = t.post(&staff, &format!("/api/halls/{hall}/windows/{w}/call"), json!({})).await;
            assert!(r.status.is_client_error(), "{w}: {}", r.status);
        }
        // The kiosk slip rates the service once.
        let r = t.request(Method::POST, None, &format!("/api/halls/tickets/{kid}/rate"), Some(json!({ "score": 5, "token": token })), &[]).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let r = t.request(Method::POST, None, &format!("/api/halls/tickets/{kid}/rate"), Some(json!({ "score": 1, "token": token })), &[]).await;
        assert_eq!((r.status, r.body["code"].as_str()), (StatusCode::CONFLICT, Some("already_rated")));
        // Windows 1 and 2 call A001 and A002; the window is busy until it finishes.
        let r = t.post(&staff, &format!("/api/halls/{hall}/windows/1/call"), json!({})).await;
        assert_eq!(r.body["number"], "A001", "{}", r.body);
        let r = t.post(&staff, &format!("/api/halls/{hall}/windows/1/call"), json!({})).await;
        assert_eq!((r.status, r.body["code"].as_str()), (StatusCode::CONFLICT, Some("window_busy")), "{}", r.body);
        let r = t.post(&staff, &format!("/api/halls/{hall}/windows/2/call"), json!({})).await;
        assert_eq!(r.body["number"], "A002");
        // Five minutes into their service, A005's wait has fallen by about as much.
        t.clock.advance(chrono::Duration::minutes(5));
        let after = t.get(&people[4].1, &format!("/api/halls/tickets/{last}")).await;
        assert_eq!(after.body["ahead"], 2, "{}", after.body);
        let wait_after = after.body["estimate_seconds"].as_u64().expect("estimate");
        assert!(wait_after + 240 <= wait_before, "the estimate falls: {wait_before} then {wait_after}");
        // A005 has two ahead now: told once, through its holder's notices.
        let told = t.strings(&format!("SELECT text_zh FROM notice WHERE recipient = 'account:{}' AND kind = 'hall_queue'", account_of(&t, &people[4].0).await)).await;
        assert_eq!(told.iter().filter(|x| x.contains("前面还有")).count(), 1, "{told:?}");
        // A001 is held (a document fetched), A002 transferred to the tax window and line.
        let a1 = tickets[0]["id"].as_str().expect("id");
        let r = t.post(&staff, &format!("/api/halls/tickets/{a1}/actions"), json!({ "action": "start", "window": 1 })).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let r = t.post(&staff, &format!("/api/halls/tickets/{a1}/actions"), json!({ "action": "hold", "window": 1, "note": "回家取户口本" })).await;
        assert_eq!((r.status, r.body["state"].as_str()), (StatusCode::OK, Some("held")), "{}", r.body);
        let r = t.post(&staff, &format!("/api/halls/tickets/{a1}/actions"), json!({ "action": "start", "window": 2 })).await;
        assert_eq!(r.status, StatusCode::CONFLICT, "not at window 2: {}", r.body);
        let a2 = tickets[1]["id"].as_str().expect("id");
        let r = t.post(&staff, &format!("/api/halls/tickets/{a2}/actions"), json!({ "action": "transfer", "window": 2, "line": "tax" })).await;
        assert_eq!((r.status, r.body["state"].as_str(), r.body["line"].as_str()), (StatusCode::OK, Some("waiting"), Some("tax")), "{}", r.body);
        let r = t.post(&staff, &format!("/api/halls/{hall}/windows/3/call"), json!({})).await;
        assert_eq!(r.body["id"].as_str(), Some(a2), "the transferred ticket goes to the tax window: {}", r.body);
        // Garbage actions.
        for body in [json!({ "action": "dance", "window": 1 }), json!({ "action": "start" }), json!({ "action": "start", "window": -1 })] {
            let r = t.post(&staff, &format!("/api/halls/tickets/{a1}/actions"), body.clone()).await;
            assert!(r.status.is_client_error(), "{body}: {}", r.status);
        }
        // Resumed, A001 goes back to the front for window 1, and is finished there with the
        // resident's own application; another's application is refused.
        let r = t.post(&staff, &format!("/api/halls/tickets/{a1}/actions"), json!({ "action": "resume", "window": 1 })).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let r = t.post(&staff, &format!("/api/halls/{hall}/windows/1/call"), json!({})).await;
        assert_eq!(r.body["id"].as_str(), Some(a1), "{}", r.body);
        t.post(&staff, &format!("/api/halls/tickets/{a1}/actions"), json!({ "action": "start", "window": 1 })).await;
        let theirs = file_for(&t, &people[1].1).await;
        let r = t.post(&staff, &format!("/api/halls/tickets/{a1}/actions"), json!({ "action": "finish", "window": 1, "application": theirs })).await;
        assert_eq!((r.status, r.body["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("not_holders_application")), "{}", r.body);
        let mine = file_for(&t, &people[0].1).await;
        let r = t.post(&staff, &format!("/api/halls/tickets/{a1}/actions"), json!({ "action": "finish", "window": 1, "application": mine })).await;
        assert_eq!((r.status, r.body["application"].as_str()), (StatusCode::OK, Some(mine.as_str())), "{}", r.body);
        // The board: numbers and windows only.
        let board = t.request(Method::GET, None, &format!("/api/halls/{hall}/board"), None, &[]).await;
        assert_eq!(board.status, StatusCode::OK);
        let text = board.body.to_string();
        for (login, _) in &people {
            assert!(!text.contains(login.as_str()), "no ID number on the board");
        }
        assert!(board.body["called"].as_array().is_some_and(|c| !c.is_empty()), "{}", board.body);
        // The cockpit: staff and supervisors, not residents.
        let r = t.get(&people[0].1, &format!("/api/halls/{hall}/figures")).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        let admin = t.login("admin").await;
        let f = t.get(&admin, &format!("/api/halls/{hall}/figures")).await;
        assert_eq!(f.status, StatusCode::OK, "{}", f.body);
        assert_eq!((f.body["served"].as_u64(), f.body["waiting_now"].as_u64()), (Some(2), Some(3)), "{}", f.body);
        let d = t.get(&admin, "/api/halls/figures").await;
        assert_eq!((d.status, d.body["halls"].as_u64()), (StatusCode::OK, Some(1)), "{}", d.body);
        t.shutdown().await;
    }
}

async fn account_of(t: &TestApp, login: &str) -> i64 {
    t.state.store.identity().account_for_login(login).await.expect("q").expect("account").0.id.0
}

/// Files an application for the resident (a birth registration bundle): its id.
async fn file_for(t: &TestApp, token: &str) -> String {
    t.file(token, "birth").await["id"].as_str().expect("id").to_owned()
}

#[tokio::test]
async fn appointments_are_booked_once_within_capacity_and_hours_and_checked_in_first() {
    for db in backends() {
        let t = TestApp::spawn(db).await;
        let hall = set_up(&t).await;
        // Window 3 alone serves tax: 3 appointments a slot.
        let people = residents(&t, 5).await;
        let slot = "2026-03-02T10:00";
        let mut booked = Vec::new();
        for (i, (_, token)) in people.iter().enumerate() {
            let r = t.post(token, &format!("/api/halls/{hall}/appointments"), json!({ "line": "tax", "slot": slot })).await;
            if i < 3 {
                assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
                assert_eq!((r.body["state"].as_str(), r.body["number"].as_str()), (Some("booked"), Some("")));
                booked.push(r.body["id"].as_str().expect("id").to_owned());
            } else {
                assert_eq!((r.status, r.body["code"].as_str()), (StatusCode::CONFLICT, Some("slot_full")), "{}", r.body);
            }
        }
        let r = t.post(&people[0].1, &format!("/api/halls/{hall}/appointments"), json!({ "line": "tax", "slot": "2026-03-02T11:00" })).await;
        assert_eq!((r.status, r.body["code"].as_str()), (StatusCode::CONFLICT, Some("slot_taken")), "one a day and line: {}", r.body);
        let slots = t.request(Method::GET, None, &format!("/api/halls/{hall}/slots?line=tax&day=2026-03-02"), None, &[]).await;
        let ten = slots.body.as_array().and_then(|s| s.iter().find(|x| x["start"] == slot)).cloned().expect("the 10:00 slot");
        assert_eq!((ten["booked"].as_u64(), ten["bookable"].as_bool()), (Some(3), Some(false)), "{ten}");
        for (body, code) in [
            (json!({ "line": "tax", "slot": "2026-03-02T20:00" }), "outside_opening_hours"),
            (json!({ "line": "tax", "slot": "2026-03-08T10:00" }), "outside_opening_hours"),
            (json!({ "line": "tax", "slot": "2026-03-02T10:10" }), ""),
            (json!({ "line": "tax", "slot": "2026-03-02T08:30" }), ""),
            (json!({ "line": "tax", "slot": "2026-04-30T10:00" }), ""),
            (json!({ "line": "housing_fund", "slot": "2026-03-03T10:00" }), "line_not_served"),
            (json!({ "line": "tax", "slot": "tomorrow" }), "bad_slot"),
        ] {
            let r = t.post(&people[3].1, &format!("/api/halls/{hall}/appointments"), body.clone()).await;
            assert!(r.status.is_client_error(), "{body}: {} {}", r.status, r.body);
            if !code.is_empty() {
                assert_eq!(r.body["code"].as_str(), Some(code), "{body}: {}", r.body);
            }
        }
        // A cancelled booking frees its place.
        let r = t.post(&people[2].1, &format!("/api/halls/tickets/{}/cancel", booked[2]), json!({})).await;
        assert_eq!((r.status, r.body["state"].as_str()), (StatusCode::OK, Some("cancelled")), "{}", r.body);
        let r = t.post(&people[3].1, &format!("/api/halls/{hall}/appointments"), json!({ "line": "tax", "slot": slot })).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        // A walk-in at 09:00; the appointment holder checks in at 09:45 and is called first.
        let walk = t.post(&people[4].1, &format!("/api/halls/{hall}/tickets"), json!({ "line": "tax" })).await;
        assert_eq!(walk.status, StatusCode::CREATED, "{}", walk.body);
        let r = t.post(&people[1].1, &format!("/api/halls/tickets/{}/check-in", booked[0]), json!({})).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "not the holder's");
        let r = t.post(&people[0].1, &format!("/api/halls/tickets/{}/check-in", booked[0]), json!({})).await;
        assert!(r.status.is_client_error(), "too early: {}", r.body);
        t.clock.advance(chrono::Duration::minutes(45));
        let r = t.post(&people[0].1, &format!("/api/halls/tickets/{}/check-in", booked[0]), json!({})).await;
        assert_eq!((r.status, r.body["state"].as_str()), (StatusCode::OK, Some("waiting")), "{}", r.body);
        assert!(r.body["priority"].as_array().is_some_and(|p| !p.is_empty()), "{}", r.body);
        let r = t.post(&people[0].1, &format!("/api/halls/tickets/{}/check-in", booked[0]), json!({})).await;
        assert_eq!(r.status, StatusCode::CONFLICT, "checked in twice");
        let staff = t.login("window").await;
        let r = t.post(&staff, &format!("/api/halls/{hall}/windows/3/call"), json!({})).await;
        assert_eq!(r.body["id"].as_str(), Some(booked[0].as_str()), "the on-time appointment first: {}", r.body);
        let mine = t.get(&people[0].1, "/api/halls/tickets/mine").await;
        assert!(mine.body.as_array().is_some_and(|l| l.iter().any(|x| x["id"] == booked[0].as_str())), "{}", mine.body);
        t.shutdown().await;
    }
}

#[tokio::test]
async fn a_closed_hall_and_closed_hours_take_no_tickets() {
    let t = TestApp::spawn(crate::helpers::Db::Sqlite).await;
    let hall = set_up(&t).await;
    let (_, resident) = t.citizen().await;
    // 20:00: closed for the day.
    t.clock.advance(chrono::Duration::hours(11));
    let r = t.post(&resident, &format!("/api/halls/{hall}/tickets"), json!({ "line": "tax" })).await;
    assert_eq!((r.status, r.body["code"].as_str()), (StatusCode::CONFLICT, Some("outside_opening_hours")), "{}", r.body);
    let h = t.request(Method::GET, None, &format!("/api/halls/{hall}"), None, &[]).await;
    assert_eq!((h.body["open_now"].as_bool(), h.body["next_opening"].as_str()), (Some(false), Some("2026-03-03 08:30")), "{}", h.body);
    t.clock.advance(chrono::Duration::hours(14));
    let admin = t.login("admin").await;
    let mut body = hall_body();
    body["id"] = json!(hall);
    body["status"] = json!("closed");
    let r = t.post(&admin, "/api/halls", body).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = t.post(&resident, &format!("/api/halls/{hall}/tickets"), json!({ "line": "tax" })).await;
    assert_eq!((r.status, r.body["code"].as_str()), (StatusCode::CONFLICT, Some("hall_closed")), "{}", r.body);
    assert_eq!(t.count("hall_claim").await, 0, "nothing claimed");
    t.shutdown().await;
}

#[tokio::test]
async fn two_windows_calling_at_once_never_call_the_same_ticket() {
    for db in backends() {
        let t = TestApp::spawn(db).await;
        let hall = set_up(&t).await;
        for _ in 0..12 {
            let r = t.request(Method::POST, None, &format!("/api/halls/{hall}/tickets"), Some(json!({ "line": "social_insurance" })), &[]).await;
            assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        }
        let staff = t.login("window").await;
        let mut called = BTreeSet::new();
        for _ in 0..6 {
            let (w1, w2) = (format!("/api/halls/{hall}/windows/1/call"), format!("/api/halls/{hall}/windows/2/call"));
            let (a, b) = tokio::join!(t.post(&staff, &w1, json!({})), t.post(&staff, &w2, json!({})));
            for (r, w) in [(a, 1), (b, 2)] {
                if r.status == StatusCode::OK {
                    assert!(called.insert(r.body["id"].as_str().expect("id").to_owned()), "called twice: {}", r.body);
                    let id = r.body["id"].as_str().expect("id");
                    t.post(&staff, &format!("/api/halls/tickets/{id}/actions"), json!({ "action": "no_show", "window": w })).await;
                } else {
                    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
                }
            }
        }
        assert!(called.len() >= 6, "{called:?}");
        // Numbers taken at once from the kiosk are all different.
        let path = format!("/api/halls/{hall}/tickets");
        let takes = futures::future::join_all((0..8).map(|_| t.request(Method::POST, None, &path, Some(json!({ "line": "tax" })), &[]))).await;
        let numbers: BTreeSet<String> = takes.iter().filter(|r| r.status == StatusCode::CREATED).filter_map(|r| r.body["number"].as_str().map(str::to_owned)).collect();
        assert_eq!(numbers.len(), takes.iter().filter(|r| r.status == StatusCode::CREATED).count(), "{numbers:?}");
        t.shutdown().await;
    }
}

#[tokio::test]
async fn the_board_feed_sends_the_board_at_once_and_again_within_a_second_of_a_call() {
    let t = TestApp::spawn(crate::helpers::Db::Sqlite).await;
    let hall = set_up(&t).await;
    t.request(Method::POST, None, &format!("/api/halls/{hall}/tickets"), Some(json!({ "line": "tax" })), &[]).await;
    let mut resp = reqwest::Client::new().get(format!("{}/api/halls/{hall}/board/live", t.url)).send().await.expect("feed");
    assert_eq!(resp.headers().get("content-type").and_then(|v| v.to_str().ok()), Some("text/event-stream"));
    let first = next_event(&mut resp).await;
    assert!(first.contains("event: board") && first.contains("E001"), "{first}");
    let staff = t.login("window").await;
    let started = std::time::Instant::now();
    let r = t.post(&staff, &format!("/api/halls/{hall}/windows/3/call"), json!({})).await;
    assert_eq!(r.status, StatusCode::OK);
    let second = next_event(&mut resp).await;
    let took = started.elapsed();
    assert!(second.contains("\"window\":3"), "{second}");
    assert!(took < std::time::Duration::from_secs(2), "the board followed the call in {took:?}");
    drop(resp);
    let r = reqwest::Client::new().get(format!("{}/api/halls/12345/board/live", t.url)).send().await.expect("feed");
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    t.shutdown().await;
}

async fn next_event(resp: &mut reqwest::Response) -> String {
    let mut buf = String::new();
    while !buf.contains("\n\n") {
        let chunk = tokio::time::timeout(std::time::Duration::from_secs(5), resp.chunk()).await.expect("an event in time").expect("read").expect("more");
        buf.push_str(&String::from_utf8_lossy(&chunk));
        if buf.starts_with(':') && buf.contains("\n\n") && !buf.contains("event:") {
            buf.clear();
        }
    }
    buf
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_on_one_database_number_call_and_show_the_same_queue() {
    for db in backends() {
        let one = TestApp::spawn(db).await;
        let url = one.state.config.database_url.expose().to_owned();
        // The second server opens the first's database (its registers are there: it seeds nothing).
        let two = TestApp::spawn_with(crate::helpers::Db::Sqlite, move |e| e.push(("MINSHENG__DATABASE__URL".into(), url))).await;
        let hall = set_up(&one).await;
        // Tickets taken on both servers at once: every number once.
        let path = format!("/api/halls/{hall}/tickets");
        let body = json!({ "line": "social_insurance" });
        let takes = futures::future::join_all((0..10).map(|i| {
            let t = if i % 2 == 0 { &one } else { &two };
            t.request(Method::POST, None, &path, Some(body.clone()), &[])
        }))
        .await;
        let numbers: BTreeSet<String> = takes.iter().filter(|r| r.status == StatusCode::CREATED).filter_map(|r| r.body["number"].as_str().map(str::to_owned)).collect();
        let created = takes.iter().filter(|r| r.status == StatusCode::CREATED).count();
        assert_eq!(numbers.len(), created, "{db:?}: {numbers:?}");
        assert!(created >= 8, "{db:?}: most were taken: {:?}", takes.iter().map(|r| r.status).collect::<Vec<_>>());
        // The board on the second server follows a call made on the first.
        let mut feed = reqwest::Client::new().get(format!("{}/api/halls/{hall}/board/live", two.url)).send().await.expect("feed");
        next_event(&mut feed).await;
        let (s1, s2) = (one.login("window").await, two.login("window").await);
        let (w1, w2) = (format!("/api/halls/{hall}/windows/1/call"), format!("/api/halls/{hall}/windows/2/call"));
        let (a, b) = tokio::join!(one.post(&s1, &w1, json!({})), two.post(&s2, &w2, json!({})));
        let called: Vec<&str> = [&a, &b].iter().filter(|r| r.status == StatusCode::OK).filter_map(|r| r.body["id"].as_str()).collect();
        assert!(!called.is_empty(), "{db:?}: {} {}", a.body, b.body);
        if called.len() == 2 {
            assert_ne!(called[0], called[1], "{db:?}: one ticket called at two windows");
        }
        let shown = next_event(&mut feed).await;
        assert!(shown.contains("\"window\":1") || shown.contains("\"window\":2"), "{db:?}: {shown}");
        drop(feed);
        two.shutdown().await;
        one.shutdown().await;
    }
}
