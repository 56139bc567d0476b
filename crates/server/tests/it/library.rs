//! One-click library borrowing (issue 34, E2) over HTTP, on SQLite and (when configured)
//! PostgreSQL: the catalogue imported by library staff from MARC 21 and CSV (all or nothing, each
//! barcode once); fees quoted before ordering — three books free in the 免邮月, two for 3 yuan,
//! another month three for 3 yuan, pick-up free; a resident's one click served from the fastest
//! branch, picked, packed, handed to the courier and delivered, starting the loans; holds when no
//! copy is free, a renewal of a held book refused, returns at a desk and by courier to the next
//! reader; the cockpit. Other readers, lesser roles and garbage at every step.

use reqwest::Method;
use reqwest::StatusCode;
use serde_json::Value;
use serde_json::json;

use crate::helpers::TestApp;
use crate::helpers::backends;

const HONGLOUMENG: &str = "9787020002207";
const HUOZHE: &str = "9787506365437";
const SANTI: &str = "9787536692930";
const WEICHENG: &str = "9787020090006";
const HOME: (f64, f64) = (30.0490, 119.9580);

fn sample(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/../../data/library/{name}", env!("CARGO_MANIFEST_DIR"))).expect("sample file")
}

async fn import(t: &TestApp, token: Option<&str>, format: &str, body: Vec<u8>) -> (StatusCode, Value) {
    let mut req = t.http.post(format!("{}/api/library/import?format={format}", t.url)).body(body).header("content-type", "application/octet-stream");
    if let Some(tok) = token {
        req = req.bearer_auth(tok);
    }
    let r = req.send().await.expect("import");
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn order(t: &TestApp, token: &str, isbns: &[&str]) -> crate::helpers::Resp {
    t.post(token, "/api/library/orders", json!({"isbns": isbns, "lat": HOME.0, "lon": HOME.1})).await
}

async fn act(t: &TestApp, token: &str, id: &str, action: &str) -> crate::helpers::Resp {
    t.post(token, &format!("/api/library/orders/{id}/actions"), json!({"action": action})).await
}

async fn deliver(t: &TestApp, staff: &str, id: &str) -> Value {
    for a in ["start_picking", "pack", "hand_to_courier", "deliver"] {
        let r = act(t, staff, id, a).await;
        assert_eq!(r.status, StatusCode::OK, "{a}: {}", r.body);
    }
    act(t, staff, id, "start_picking").await.body
}

#[tokio::test]
async fn the_catalogue_is_imported_by_library_staff_all_or_nothing_and_each_barcode_once() {
    for db in backends() {
        let t = TestApp::spawn(db).await;
        let staff = t.login("wgly_clerk").await;
        let (_, resident) = t.citizen().await;
        let (s, _) = import(&t, Some(&resident), "marc", sample("sample.mrc")).await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let (s, _) = import(&t, None, "marc", sample("sample.mrc")).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
        // Garbage and a bad row: refused, naming where, nothing kept.
        let (s, v) = import(&t, Some(&staff), "marc", b"00000 not a marc record".to_vec()).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        let mut csv = String::from_utf8(sample("sample.csv")).expect("utf-8");
        csv = csv.replacen("9787506365437", "9787506365438", 1);
        let (s, v) = import(&t, Some(&staff), "csv", csv.into_bytes()).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
        assert!(v["message_en"].as_str().is_some_and(|m| m.contains("line 5")) && v["field"].as_str().is_some_and(|f| f.contains("isbn")), "{v}");
        let (s, v) = import(&t, Some(&staff), "xls", b"x".to_vec()).await;
        assert_eq!((s, v["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("format")), "{v}");
        assert_eq!(t.count("city_doc").await, 0, "nothing kept");
        // MARC 21 in, then the same holdings as CSV: every barcode is taken already.
        let (s, v) = import(&t, Some(&staff), "marc", sample("sample.mrc")).await;
        assert_eq!((s, v["titles_added"].as_u64(), v["copies_added"].as_u64()), (StatusCode::CREATED, Some(10), Some(23)), "{v}");
        let (s, v) = import(&t, Some(&staff), "csv", sample("sample.csv")).await;
        assert_eq!((s, v["code"].as_str()), (StatusCode::CONFLICT, Some("already_taken")), "{v}");
        let r = t.request(Method::GET, None, &format!("/api/library/titles/{SANTI}"), None, &[]).await;
        assert_eq!((r.body["title"].as_str(), r.body["copies"].as_u64(), r.body["available"].as_u64()), (Some("三体"), Some(3), Some(3)), "{}", r.body);
        let r = t.request(Method::GET, None, "/api/library/titles?q=鲁迅", None, &[]).await;
        assert_eq!(r.body.as_array().map(Vec::len), Some(1), "{}", r.body);
        let r = t.request(Method::GET, None, "/api/library/titles?q=7536692935", None, &[]).await;
        assert_eq!(r.body[0]["isbn"], SANTI, "an ISBN-10 finds its ISBN-13: {}", r.body);

        // A copy withdrawn (剔旧) by the staff: ordering it by its barcode is refused, nothing changed.
        let path = "/api/library/copies/FY0000501/status";
        assert_eq!(t.post(&resident, path, json!({"status": "withdrawn"})).await.status, StatusCode::FORBIDDEN);
        let r = t.post(&staff, path, json!({"status": "withdrawn"})).await;
        assert_eq!((r.status, r.body["status"].as_str()), (StatusCode::OK, Some("withdrawn")), "{}", r.body);
        assert_eq!(t.post(&staff, path, json!({"status": "withdrawn"})).await.status, StatusCode::CONFLICT, "withdrawn twice");
        assert_eq!(t.post(&staff, "/api/library/copies/NOPE/status", json!({"status": "lost"})).await.status, StatusCode::NOT_FOUND);
        let before = t.count("city_doc").await;
        let r = t.post(&resident, "/api/library/orders", json!({"isbns": [], "barcodes": ["FY0000501"], "lat": HOME.0, "lon": HOME.1})).await;
        assert_eq!((r.status, r.body["code"].as_str()), (StatusCode::CONFLICT, Some("copy_withdrawn")), "{}", r.body);
        assert_eq!(t.count("city_doc").await, before, "nothing changed");
        let r = t.post(&resident, "/api/library/orders", json!({"isbns": [], "barcodes": ["NOPE1"], "lat": HOME.0, "lon": HOME.1})).await;
        assert_eq!((r.status, r.body["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("barcodes[0]")), "{}", r.body);
        // Back on the shelf, it may be ordered.
        assert_eq!(t.post(&staff, path, json!({"status": "on_shelf"})).await.body["status"], "on_shelf");
        let r = t.post(&resident, "/api/library/orders", json!({"isbns": [], "barcodes": ["FY0000501"], "lat": HOME.0, "lon": HOME.1})).await;
        assert_eq!((r.status, r.body["orders"][0]["items"][0]["barcode"].as_str()), (StatusCode::CREATED, Some("FY0000501")), "{}", r.body);
        t.shutdown().await;
    }
}

#[tokio::test]
async fn three_books_come_free_in_the_free_delivery_month_and_two_cost_three_yuan() {
    for db in backends() {
        let t = TestApp::spawn(db).await;
        t.set_china_time(chrono::NaiveDate::from_ymd_opt(2026, 12, 7).expect("date"), 10, 0);
        let staff = t.login("wgly_clerk").await;
        assert_eq!(import(&t, Some(&staff), "csv", sample("sample.csv")).await.0, StatusCode::CREATED);
        let (reader_login, reader) = t.citizen().await;
        // The quote shown before ordering.
        let q = t.request(Method::GET, None, "/api/library/quote?books=3", None, &[]).await;
        assert_eq!((q.body["fee_fen"].as_i64(), q.body["waived_fen"].as_i64(), q.body["label"].as_str()), (Some(0), Some(300), Some("免运费")), "{}", q.body);
        let q = t.request(Method::GET, None, "/api/library/quote?books=2", None, &[]).await;
        assert_eq!(q.body["fee_fen"].as_i64(), Some(300), "two books are not enough for the promotion: {}", q.body);
        let q = t.request(Method::GET, None, "/api/library/quote?books=2&delivery=false", None, &[]).await;
        assert_eq!(q.body["fee_fen"].as_i64(), Some(0), "pick-up is free: {}", q.body);
        assert_eq!(t.request(Method::GET, None, "/api/library/quote?books=0", None, &[]).await.status, StatusCode::UNPROCESSABLE_ENTITY);

        // Three books in December: free, one parcel from the branch that has all three.
        let r = order(&t, &reader, &[HONGLOUMENG, SANTI, WEICHENG]).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        assert_eq!((r.body["quote"]["fee_fen"].as_i64(), r.body["quote"]["label"].as_str()), (Some(0), Some("免运费")), "{}", r.body);
        let orders = r.body["orders"].as_array().expect("orders").clone();
        assert_eq!(orders.len(), 1, "one branch (中心馆) holds all three: {}", r.body);
        assert_eq!(orders[0]["branch"], "FY-ZG");
        let id = orders[0]["id"].as_str().expect("id").to_owned();
        let r = t.request(Method::GET, None, &format!("/api/library/titles/{SANTI}"), None, &[]).await;
        assert_eq!(r.body["available"].as_u64(), Some(2), "one copy taken: {}", r.body);

        // Others see and do nothing of it; the reader cannot take the staff's steps.
        let (_, other) = t.other_citizen(&reader_login).await;
        assert_eq!(t.get(&other, &format!("/api/library/orders/{id}")).await.status, StatusCode::NOT_FOUND);
        assert_eq!(act(&t, &other, &id, "cancel").await.status, StatusCode::NOT_FOUND);
        assert_eq!(act(&t, &reader, &id, "deliver").await.status, StatusCode::FORBIDDEN);
        let r = act(&t, &staff, &id, "deliver").await;
        assert_eq!(r.status, StatusCode::CONFLICT, "delivered before it was picked: {}", r.body);
        let r = act(&t, &staff, &id, "fly").await;
        assert_eq!((r.status, r.body["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("action")), "{}", r.body);
        // The staff's list of the branch's parcels.
        let r = t.get(&staff, "/api/library/orders?branch=FY-ZG").await;
        assert!(r.body.as_array().is_some_and(|a| a.iter().any(|o| o["id"] == id.as_str())), "{}", r.body);
        assert_eq!(t.get(&reader, "/api/library/orders?branch=FY-ZG").await.status, StatusCode::FORBIDDEN);

        // Picked, packed, with the courier, delivered: three loans, due in 30 days.
        let after = deliver(&t, &staff, &id).await;
        assert_eq!(after["code"], "library_wrong_state", "a delivered order takes no more steps: {after}");
        let loans = t.get(&reader, "/api/library/loans/mine").await.body;
        assert_eq!(loans.as_array().map(Vec::len), Some(3), "{loans}");
        assert!(loans.as_array().expect("loans").iter().all(|l| l["due"] == "2027-01-06"), "{loans}");

        // January (before the loans are due): two books cost 3 yuan.
        t.set_china_time(chrono::NaiveDate::from_ymd_opt(2027, 1, 5).expect("date"), 10, 0);
        let reader = t.login(&reader_login).await;
        let staff = t.login("wgly_clerk").await;
        let r = order(&t, &reader, &[HUOZHE, "9787020100101"]).await;
        assert_eq!((r.status, r.body["quote"]["fee_fen"].as_i64(), r.body["quote"]["label"].is_null()), (StatusCode::CREATED, Some(300), true), "{}", r.body);
        // Asking again for a book the reader has: refused, nothing changed.
        let before = t.count("city_doc").await;
        let r = order(&t, &reader, &[SANTI]).await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
        let bad = [
            (json!({"isbns": ["9787020002208"], "lat": HOME.0, "lon": HOME.1}), "isbns[0]"),
            (json!({"isbns": ["9787111111113"], "lat": HOME.0, "lon": HOME.1}), "isbns[0]"),
            (json!({"isbns": [WEICHENG]}), "lat"),
            (json!({"isbns": [WEICHENG], "branch": "NOWHERE"}), "branch"),
            (json!({"isbns": [], "lat": HOME.0, "lon": HOME.1}), "titles"),
        ];
        for (body, field) in bad {
            let r = t.post(&reader, "/api/library/orders", body.clone()).await;
            assert!(r.status == StatusCode::UNPROCESSABLE_ENTITY || r.status == StatusCode::BAD_REQUEST, "{body}: {} {}", r.status, r.body);
            assert!(r.body["field"].as_str().is_some_and(|f| f.contains(field)), "{body}: {}", r.body);
        }
        assert_eq!(t.count("city_doc").await, before, "nothing changed");
        let clerk = t.login("window").await;
        assert_eq!(order(&t, &clerk, &[WEICHENG]).await.status, StatusCode::FORBIDDEN, "staff borrow as residents");

        // The cockpit.
        let r = t.get(&staff, "/api/library/figures?from=2026-12-01&to=2027-01-31").await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!((r.body["requests"].as_u64(), r.body["loans_started"].as_u64(), r.body["fees_waived_fen"].as_i64(), r.body["fees_charged_fen"].as_i64(), r.body["new_readers"].as_u64()), (Some(2), Some(3), Some(300), Some(300), Some(1)), "{}", r.body);
        assert_eq!(t.get(&reader, "/api/library/figures").await.status, StatusCode::FORBIDDEN);
        t.shutdown().await;
    }
}

#[tokio::test]
async fn a_held_book_is_not_renewed_and_comes_back_to_the_next_reader() {
    for db in backends() {
        let t = TestApp::spawn(db).await;
        let staff = t.login("wgly_clerk").await;
        assert_eq!(import(&t, Some(&staff), "csv", sample("sample.csv")).await.0, StatusCode::CREATED);
        let (a_login, a) = t.citizen().await;
        let (b_login, b) = t.other_citizen(&a_login).await;
        let (_, c) = t.other_citizen(&b_login).await;
        // 活着 has two copies: A and B take them; C joins the queue.
        let oa = order(&t, &a, &[HUOZHE]).await;
        let ob = order(&t, &b, &[HUOZHE]).await;
        assert_eq!((oa.status, ob.status), (StatusCode::CREATED, StatusCode::CREATED), "{} {}", oa.body, ob.body);
        let id_a = oa.body["orders"][0]["id"].as_str().expect("id").to_owned();
        deliver(&t, &staff, &id_a).await;
        let oc = order(&t, &c, &[HUOZHE]).await;
        assert_eq!(oc.status, StatusCode::CREATED, "{}", oc.body);
        assert_eq!((oc.body["orders"].as_array().map(Vec::len), oc.body["holds"][0]["position"].as_u64()), (Some(0), Some(1)), "no free copy: a hold, first in the queue: {}", oc.body);
        assert!(oc.body["quote"].is_null(), "nothing sent, nothing charged: {}", oc.body);
        let r = t.get(&c, "/api/library/holds/mine").await;
        assert_eq!((r.body[0]["state"].as_str(), r.body[0]["position"].as_u64()), (Some("waiting"), Some(1)), "{}", r.body);

        // A may not renew while C waits.
        let loan = t.get(&a, "/api/library/loans/mine").await.body[0]["id"].as_str().expect("loan").to_owned();
        let r = t.post(&a, &format!("/api/library/loans/{loan}/renew"), json!({})).await;
        assert_eq!((r.status, r.body["code"].as_str()), (StatusCode::CONFLICT, Some("renewal_of_held_book")), "{}", r.body);
        assert_eq!(t.post(&b, &format!("/api/library/loans/{loan}/renew"), json!({})).await.status, StatusCode::NOT_FOUND, "not B's loan");

        // A gives it back by courier: picked up, sent home to its branch; checked in at the wrong one, refused.
        let r = t.post(&a, &format!("/api/library/loans/{loan}/return"), json!({"how": "courier"})).await;
        assert_eq!((r.status, r.body["return_state"].as_str()), (StatusCode::OK, Some("pickup_requested")), "{}", r.body);
        assert_eq!(t.post(&a, &format!("/api/library/loans/{loan}/return"), json!({"how": "courier"})).await.status, StatusCode::CONFLICT, "asked twice");
        assert_eq!(t.post(&a, &format!("/api/library/loans/{loan}/return/actions"), json!({"action": "picked_up"})).await.status, StatusCode::FORBIDDEN);
        for step in [json!({"action": "picked_up"}), json!({"action": "send"})] {
            let r = t.post(&staff, &format!("/api/library/loans/{loan}/return/actions"), step).await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        }
        let branch = t.get(&a, "/api/library/loans/mine").await.body[0]["branch"].as_str().expect("branch").to_owned();
        let wrong = if branch == "FY-ZG" { "FY-DZ" } else { "FY-ZG" };
        let r = t.post(&staff, &format!("/api/library/loans/{loan}/return/actions"), json!({"action": "check_in", "branch": wrong})).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        let r = t.post(&staff, &format!("/api/library/loans/{loan}/return/actions"), json!({"action": "check_in", "branch": branch})).await;
        assert_eq!((r.status, r.body["return_state"].as_str()), (StatusCode::OK, Some("checked_in")), "{}", r.body);
        // The copy went to C, who is told, and collects it at the desk.
        let r = t.get(&c, "/api/library/holds/mine").await;
        assert_eq!((r.body[0]["state"].as_str(), r.body[0]["branch"].as_str()), (Some("ready"), Some(branch.as_str())), "{}", r.body);
        let hold = r.body[0]["id"].as_str().expect("hold").to_owned();
        assert_eq!(t.post(&c, &format!("/api/library/holds/{hold}/collect"), json!({})).await.status, StatusCode::FORBIDDEN, "the desk records it");
        let r = t.post(&staff, &format!("/api/library/holds/{hold}/collect"), json!({})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let r = t.get(&c, "/api/library/loans/mine").await;
        assert_eq!(r.body.as_array().map(Vec::len), Some(1), "{}", r.body);
        let texts = t.strings("SELECT text_zh FROM notice ORDER BY id").await;
        assert!(texts.iter().any(|s| s.contains("预约的书已在")), "C was told: {texts:?}");
        // B cancels a hold that is not theirs: not found; C's own hold is done.
        assert_eq!(t.post(&b, &format!("/api/library/holds/{hold}/cancel"), json!({})).await.status, StatusCode::NOT_FOUND);
        t.shutdown().await;
    }
}

#[tokio::test]
async fn a_book_kept_for_a_hold_and_not_collected_goes_back_to_the_shelf() {
    for db in backends() {
        let t = TestApp::spawn(db).await;
        let staff = t.login("wgly_clerk").await;
        assert_eq!(import(&t, Some(&staff), "csv", sample("sample.csv")).await.0, StatusCode::CREATED);
        let (a_login, a) = t.citizen().await;
        let (b_login, b) = t.other_citizen(&a_login).await;
        let (_, c) = t.other_citizen(&b_login).await;
        let oa = order(&t, &a, &[HUOZHE]).await;
        assert_eq!(order(&t, &b, &[HUOZHE]).await.status, StatusCode::CREATED);
        assert_eq!(order(&t, &c, &[HUOZHE]).await.body["holds"][0]["position"].as_u64(), Some(1));
        let id_a = oa.body["orders"][0]["id"].as_str().expect("id").to_owned();
        deliver(&t, &staff, &id_a).await;
        let loan = t.get(&a, "/api/library/loans/mine").await.body[0].clone();
        // A brings it back to the owning branch's desk: it is kept for C at once.
        assert_eq!(t.post(&a, &format!("/api/library/loans/{}/return", loan["id"].as_str().expect("id")), json!({"how": "desk", "branch": loan["branch"]})).await.status, StatusCode::FORBIDDEN, "the desk records it");
        let r = t.post(&staff, &format!("/api/library/loans/{}/return", loan["id"].as_str().expect("id")), json!({"how": "desk", "branch": loan["branch"]})).await;
        assert_eq!((r.status, r.body["return_state"].as_str()), (StatusCode::OK, Some("checked_in")), "{}", r.body);
        assert_eq!(t.get(&c, "/api/library/holds/mine").await.body[0]["state"], "ready");
        let shelf = |v: &Value| v["available"].as_u64();
        assert_eq!(shelf(&t.request(Method::GET, None, &format!("/api/library/titles/{HUOZHE}"), None, &[]).await.body), Some(0));
        // Eight days on, not collected: the hold ends and the copy goes back to the shelf.
        t.clock.advance(chrono::Duration::days(8));
        server::areas::library::cases::duty(&t.state).await;
        assert_eq!(shelf(&t.request(Method::GET, None, &format!("/api/library/titles/{HUOZHE}"), None, &[]).await.body), Some(1), "back on the shelf");
        let texts = t.strings("SELECT text_zh FROM notice ORDER BY id").await;
        assert!(texts.iter().any(|s| s.contains("未在保留期内取书")), "C was told: {texts:?}");
        t.shutdown().await;
    }
}
