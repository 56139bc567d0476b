//! Places (issue 32) over HTTP, on SQLite and (when configured) PostgreSQL: childcare institutions
//! registered by the health bureau, families applying for their own children, an allocation round
//! by deferred acceptance with ranks and reasons, offers accepted and declined and the freed place
//! going to the next family; public rental housing eligibility from the registers, the bundle filed
//! and approved, the waiting list, a lottery committed, drawn and re-verified, a home offered and a
//! lease; 善居 from survey to rating. Outsiders, lesser roles, garbage and replays at every step.

use reqwest::Method;
use reqwest::StatusCode;
use serde_json::Value;
use serde_json::json;

use crate::helpers::ClockExt;
use crate::helpers::TestApp;
use crate::helpers::backends;

const COMMUNITY: &str = "330111001012";
const LAT: f64 = 30.0500;
const LON: f64 = 119.9560;

/// A child born on `birth` added to the household of the citizen `login` (a birth registered):
/// the child's ID number.
async fn child_of(t: &TestApp, login: &str, birth: chrono::NaiveDate, seq: u32) -> String {
    let (account, _) = t.state.store.identity().account_for_login(login).await.expect("q").expect("account");
    let parent = t.state.store.registers().person(account.person_id.expect("a person")).await.expect("q").expect("person");
    let id_number = welfare::synth::id_number(birth, 900 + seq);
    let child = store::Person {
        id: domain::PersonId(t.state.parts.ids.next()),
        id_number: id_number.clone(),
        name: format!("测试宝宝{seq}"),
        sex: "女".into(),
        birth_date: birth,
        division: parent.division.clone(),
        phone: None,
        household: parent.household,
        relation: "女".into(),
    };
    t.state.store.registers().insert_persons(&[child], t.clock.now_utc()).await.expect("insert child");
    id_number
}

/// An institution as the health bureau registers it.
fn institution(name: &str, places: u32, lat: f64) -> Value {
    json!({
        "name": name, "kind": "community", "community": COMMUNITY, "lat": lat, "lon": LON,
        "opens": "07:30", "closes": "17:30", "weekdays": [1, 2, 3, 4, 5],
        "classes": [{ "class": "young_toddler", "groups": 1, "places": places, "monthly_fee_yuan": "2200.00" }],
        "carers": 3, "health_staff": 1,
    })
}

#[tokio::test]
async fn families_apply_are_allocated_by_deferred_acceptance_see_why_and_a_freed_place_goes_to_the_next() {
    for db in backends() {
        let t = TestApp::spawn(db).await;
        let clerk = t.login("wjw_clerk").await;
        let r = t.post(&clerk, "/api/places/childcare/institutions", institution("富春街道社区托育服务中心", 2, LAT)).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let a = r.body["id"].as_str().expect("id").to_owned();
        assert_eq!((r.body["town"].as_str(), r.body["classes"][0]["free"].as_u64()), (Some("330111001"), Some(2)), "{}", r.body);
        let r = t.post(&clerk, "/api/places/childcare/institutions", institution("春江托育园", 1, LAT + 0.02)).await;
        let b = r.body["id"].as_str().expect("id").to_owned();

        // A resident, a housing clerk, garbage: refused, nothing saved.
        let before = t.count("place_doc").await;
        let (_, resident) = t.citizen().await;
        for tok in [&resident, &t.login("zjj_clerk").await] {
            let r = t.post(tok, "/api/places/childcare/institutions", institution("冒名托育", 5, LAT)).await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
        }
        let mut bad = institution("超额托育", 30, LAT);
        let r = t.post(&clerk, "/api/places/childcare/institutions", bad.clone()).await;
        assert_eq!((r.status, r.code()), (StatusCode::UNPROCESSABLE_ENTITY, "places_over_class_size"), "{}", r.body);
        bad["kind"] = json!("casino");
        assert_eq!(t.post(&clerk, "/api/places/childcare/institutions", bad.clone()).await.code(), "bad_institution_kind");
        bad["kind"] = json!("community");
        bad["community"] = json!("330111999999");
        assert_eq!(t.post(&clerk, "/api/places/childcare/institutions", bad).await.code(), "unknown_community");
        assert_eq!(t.count("place_doc").await, before, "nothing saved by a refusal");

        // Four families with a child of 13 months; each applies for A then B.
        let logins = t.state.store.registers().bench_citizens(40).await.expect("citizens");
        let mut families = Vec::new();
        let mut used_households = std::collections::HashSet::new();
        for l in &logins {
            let (acct, _) = t.state.store.identity().account_for_login(l).await.expect("q").expect("account");
            let p = t.state.store.registers().person(acct.person_id.expect("person")).await.expect("q").expect("person");
            if !used_households.insert(p.household) {
                continue;
            }
            families.push(l.clone());
            if families.len() == 4 {
                break;
            }
        }
        let birth = chrono::NaiveDate::from_ymd_opt(2025, 1, 20).expect("date");
        let mut children = Vec::new();
        let mut tokens = Vec::new();
        for (i, l) in families.iter().enumerate() {
            children.push(child_of(&t, l, birth, i as u32).await);
            tokens.push(t.login(l).await);
        }
        // Mistakes first: a child not of the household, an unknown institution, too many, a child
        // too young on the start day — each refused with its field, nothing saved.
        let apply = |child: &str, prefs: Vec<&str>| json!({ "child": child, "start_date": "2026-04-01", "preferences": prefs, "home_lat": LAT + 0.001, "home_lon": LON });
        let r = t.post(&tokens[0], "/api/places/childcare/applications", apply(&children[1], vec![&a])).await;
        assert_eq!((r.status, r.code()), (StatusCode::UNPROCESSABLE_ENTITY, "not_your_child"), "{}", r.body);
        let r = t.post(&tokens[0], "/api/places/childcare/applications", apply(&children[0], vec![&a, "999999"])).await;
        assert_eq!((r.status, r.body["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("preferences[1]")), "{}", r.body);
        let r = t.post(&tokens[0], "/api/places/childcare/applications", apply(&children[0], vec![&a, &a])).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        let r = t.post(&tokens[0], "/api/places/childcare/applications", json!({ "child": children[0], "start_date": "yesterday", "preferences": [a] })).await;
        assert_eq!((r.status, r.code()), (StatusCode::UNPROCESSABLE_ENTITY, "bad_date"), "{}", r.body);
        let r = t.post(&clerk, "/api/places/childcare/applications", apply(&children[0], vec![&a])).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
        assert_eq!(t.count("place_doc").await, before, "only the two institutions");

        let mut apps = Vec::new();
        for (i, tok) in tokens.iter().enumerate() {
            let r = t.post(tok, "/api/places/childcare/applications", apply(&children[i], vec![&a, &b])).await;
            assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
            assert_eq!((r.body["state"].as_str(), r.body["class"].as_str()), (Some("waiting"), Some("young_toddler")), "{}", r.body);
            assert!(r.body["preferences"][0]["walking_minutes"].as_u64().is_some(), "{}", r.body);
            assert!(!r.body.to_string().contains(&children[i]), "the child's ID number is masked");
            apps.push(r.body["id"].as_str().expect("id").to_owned());
        }
        // The same child twice: refused.
        let r = t.post(&tokens[0], "/api/places/childcare/applications", apply(&children[0], vec![&b])).await;
        assert_eq!((r.status, r.code()), (StatusCode::CONFLICT, "child_already_applied"), "{}", r.body);
        // Another family reads or acts on an application that is not theirs: not found.
        assert_eq!(t.get(&tokens[1], &format!("/api/places/childcare/applications/{}", apps[0])).await.status, StatusCode::NOT_FOUND);
        let r = t.post(&tokens[1], &format!("/api/places/childcare/applications/{}/actions", apps[0]), json!({ "action": "withdraw" })).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
        // Only the health bureau runs rounds.
        assert_eq!(t.post(&tokens[0], "/api/places/childcare/rounds", json!({})).await.status, StatusCode::FORBIDDEN);
        let r = t.post(&clerk, "/api/places/childcare/rounds", json!({ "seed": "2026-春季-第1轮" })).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        assert_eq!((r.body["applications"].as_u64(), r.body["offered"].as_u64(), r.body["waiting"].as_u64()), (Some(4), Some(3), Some(1)), "{}", r.body);

        // Every family sees its state; the one left waits first on both lists and is told why.
        let mut offered = Vec::new();
        let mut waiting = None;
        for (i, tok) in tokens.iter().enumerate() {
            let r = t.get(tok, "/api/places/childcare/applications/mine").await;
            let mine = &r.body[0];
            match mine["state"].as_str() {
                Some("offered") => offered.push(i),
                Some("waiting") => waiting = Some(i),
                other => panic!("unexpected state {other:?}: {}", r.body),
            }
        }
        let w = waiting.expect("one family waits");
        let r = t.get(&tokens[w], "/api/places/childcare/applications/mine").await;
        let why = r.body[0]["why"].as_array().expect("why");
        assert_eq!(why.len(), 2, "{}", r.body);
        assert!(why[0]["waiting_rank"].as_u64().is_some_and(|r| (1..=2).contains(&r)), "rank on A (the family holding B may stand before it): {}", r.body);
        assert!(!why[0]["text"].as_str().unwrap_or("").is_empty() && !why[0]["cutoff"].as_array().expect("cutoff").is_empty(), "{}", r.body);
        let (account, _) = t.state.store.identity().account_for_login(&families[w]).await.expect("q").expect("account");
        let told = t.strings(&format!("SELECT kind FROM notice WHERE recipient = 'account:{}'", account.id.0)).await;
        assert!(told.iter().any(|k| k == "childcare_waiting"), "the waiting family is told where it stands: {told:?}");
        // Free places are gone.
        let r = t.request(Method::GET, None, &format!("/api/places/childcare/institutions/{a}"), None, &[]).await;
        assert_eq!((r.body["classes"][0]["offered"].as_u64(), r.body["classes"][0]["free"].as_u64()), (Some(2), Some(0)), "{}", r.body);

        // The first offered family accepts; the second declines; a decline twice is refused.
        let acc = offered[0];
        let r = t.post(&tokens[acc], &format!("/api/places/childcare/applications/{}/actions", apps[acc]), json!({ "action": "accept" })).await;
        assert_eq!((r.status, r.body["state"].as_str()), (StatusCode::OK, Some("enrolled")), "{}", r.body);
        assert!(r.body["place"]["fee_this_month_yuan"].is_string(), "{}", r.body);
        let dec = offered[1];
        let r = t.post(&tokens[dec], &format!("/api/places/childcare/applications/{}/actions", apps[dec]), json!({ "action": "decline" })).await;
        assert_eq!((r.status, r.body["state"].as_str()), (StatusCode::OK, Some("withdrawn")), "{}", r.body);
        let r = t.post(&tokens[dec], &format!("/api/places/childcare/applications/{}/actions", apps[dec]), json!({ "action": "decline" })).await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
        let r = t.post(&tokens[acc], &format!("/api/places/childcare/applications/{}/actions", apps[acc]), json!({ "action": "fly" })).await;
        assert_eq!((r.status, r.code()), (StatusCode::UNPROCESSABLE_ENTITY, "unknown_action"), "{}", r.body);

        // The next round gives the declined place to the family that waited.
        let r = t.post(&clerk, "/api/places/childcare/rounds", json!({})).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let r = t.get(&tokens[w], "/api/places/childcare/applications/mine").await;
        assert_eq!(r.body[0]["state"], "offered", "{}", r.body);

        // The queue shows masked IDs and logs each read where the family sees it.
        let q = t.get(&clerk, "/api/places/childcare/applications/queue").await;
        assert_eq!(q.status, StatusCode::OK, "{}", q.body);
        assert!(!q.body.to_string().contains(&children[w]), "masked in lists");
        assert_eq!(t.get(&tokens[0], "/api/places/childcare/applications/queue").await.status, StatusCode::FORBIDDEN);

        // The enrolled child leaves; the figures count places, enrolment and families waiting.
        let r = t.post(&tokens[acc], &format!("/api/places/childcare/applications/{}/actions", apps[acc]), json!({ "action": "leave", "last_day": "2026-06-30" })).await;
        assert_eq!((r.status, r.body["state"].as_str()), (StatusCode::OK, Some("closed")), "{}", r.body);
        let f = t.request(Method::GET, None, "/api/places/childcare/figures", None, &[]).await;
        assert_eq!(f.status, StatusCode::OK, "{}", f.body);
        let town = f.body["towns"].as_array().expect("towns").iter().find(|x| x["town"] == "330111001").cloned().expect("the town");
        assert_eq!((town["licensed_places"].as_u64(), town["enrolled"].as_u64()), (Some(3), Some(1)), "{}", f.body);
        assert!(town["places_per_1000"].as_f64().is_some() && f.body["norm_per_1000"] == 4.5, "{}", f.body);
        t.shutdown().await;
    }
}

#[tokio::test]
async fn two_rounds_at_once_never_both_win() {
    let t = TestApp::spawn(crate::helpers::Db::Sqlite).await;
    let clerk = t.login("wjw_clerk").await;
    t.post(&clerk, "/api/places/childcare/institutions", institution("富春托育", 2, LAT)).await;
    let r = t.post(&clerk, "/api/places/childcare/institutions", institution("春江托育", 2, LAT)).await;
    let id = r.body["id"].as_str().expect("id").to_owned();
    let logins = t.state.store.registers().bench_citizens(3).await.expect("citizens");
    let tok = t.login(&logins[0]).await;
    let child = child_of(&t, &logins[0], chrono::NaiveDate::from_ymd_opt(2025, 1, 20).expect("date"), 7).await;
    let r = t.post(&tok, "/api/places/childcare/applications", json!({ "child": child, "start_date": "2026-04-01", "preferences": [id] })).await;
    assert_eq!((r.status, r.code()), (StatusCode::UNPROCESSABLE_ENTITY, "home_required"), "{}", r.body);
    let r = t.post(&tok, "/api/places/childcare/applications", json!({ "child": child, "start_date": "2026-04-01", "preferences": [id], "home_lat": LAT, "home_lon": LON })).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    // Two servers plan a round from the same state; the second to save finds its read stale.
    let by = domain::AccountId(1);
    let one = server::areas::places::cases::plan_round(&t.state, by, "a".into()).await.expect("plan");
    let two = server::areas::places::cases::plan_round(&t.state, by, "b".into()).await.expect("plan");
    assert_eq!(t.state.store.places().save(&one.change, t.clock.now_utc()).await.expect("save"), store::PlaceSave::Saved);
    assert_eq!(t.state.store.places().save(&two.change, t.clock.now_utc()).await.expect("save"), store::PlaceSave::Stale);
    assert_eq!(t.count("place_doc WHERE kind = 'place'").await, 1, "one offer, not two");
    // The institution closes: a new application naming it is refused with the preference at fault.
    let mut closed = institution("春江托育", 2, LAT);
    closed["id"] = json!(id.parse::<i64>().expect("id"));
    closed["status"] = json!("closed");
    let r = t.post(&clerk, "/api/places/childcare/institutions", closed).await;
    assert_eq!((r.status, r.body["status"].as_str()), (StatusCode::OK, Some("closed")), "{}", r.body);
    let tok = t.login(&logins[1]).await;
    let child = child_of(&t, &logins[1], chrono::NaiveDate::from_ymd_opt(2025, 1, 20).expect("date"), 8).await;
    let r = t.post(&tok, "/api/places/childcare/applications", json!({ "child": child, "start_date": "2026-04-01", "preferences": [id], "home_lat": LAT, "home_lon": LON })).await;
    assert_eq!((r.status, r.code(), r.body["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, "institution_closed", Some("preferences[0]")), "{}", r.body);
    // Anyone's list leaves it out.
    let list = t.request(Method::GET, None, "/api/places/childcare/institutions", None, &[]).await;
    assert!(!list.body.as_array().expect("list").iter().any(|i| i["id"] == id.as_str()), "{}", list.body);
    t.shutdown().await;
}

/// Publishes a household finance check for a person (what the civil affairs bureau's check finds).
async fn finance_check(t: &TestApp, key: &str, income_per_head_fen: i64, assets_fen: i64) {
    let rec = store::SharedRecord {
        id: domain::RecordId(t.state.parts.ids.next()),
        record_type: "household_finance_check".into(),
        subject_kind: "person".into(),
        subject_key: key.to_owned(),
        department: "mzj".into(),
        issued_at: t.clock.now_utc(),
        valid_until: Some(domain::china_date(t.clock.now_utc()) + chrono::Days::new(180)),
        application: None,
        case: None,
        data: json!({ "income_per_head_fen": income_per_head_fen, "assets_fen": assets_fen }),
    };
    t.state.store.pool().publish_records(&[rec], None).await.expect("publish");
}

async fn person_key(t: &TestApp, login: &str) -> String {
    let (account, _) = t.state.store.identity().account_for_login(login).await.expect("q").expect("account");
    t.state.store.registers().person(account.person_id.expect("person")).await.expect("q").expect("person").id_number
}

#[tokio::test]
async fn a_household_qualifies_from_the_registers_wins_a_verifiable_draw_and_signs_a_lease() {
    for db in backends() {
        let t = TestApp::spawn(db).await;
        let logins = t.state.store.registers().bench_citizens(60).await.expect("citizens");
        // Three households, one person each signing in.
        let mut families: Vec<(String, String)> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for l in &logins {
            let (acct, _) = t.state.store.identity().account_for_login(l).await.expect("q").expect("account");
            let p = t.state.store.registers().person(acct.person_id.expect("person")).await.expect("q").expect("person");
            if seen.insert(p.household) {
                families.push((l.clone(), p.id_number.clone()));
            }
            if families.len() == 3 {
                break;
            }
        }
        let tok0 = t.login(&families[0].0).await;
        // Income never checked: not eligible, and the reason says so; applying is refused.
        let e = t.get(&tok0, "/api/places/housing/eligibility").await;
        assert_eq!((e.status, e.body["eligible"].as_bool()), (StatusCode::OK, Some(false)), "{}", e.body);
        assert_eq!(e.body["criteria"][0]["code"], "income_checked", "{}", e.body);
        let before = t.counts().await;
        let r = t.post(&tok0, "/api/places/housing/applications", json!({ "route": "home", "contact_phone": "13800000001" })).await;
        assert_eq!((r.status, r.code()), (StatusCode::UNPROCESSABLE_ENTITY, "not_eligible"), "{}", r.body);
        assert_eq!(t.counts().await, before, "no bundle filed");
        // Too rich: refused, with the criterion that fails.
        finance_check(&t, &families[0].1, 900_000, 0).await;
        let e = t.get(&tok0, "/api/places/housing/eligibility").await;
        assert_eq!(e.body["eligible"], false, "{}", e.body);
        assert!(e.body["criteria"].as_array().expect("criteria").iter().any(|c| c["met"] == false && c["source"].as_str().is_some_and(|s| !s.is_empty())), "{}", e.body);
        // Every family with a modest income: eligible; each applies.
        let mut tokens = Vec::new();
        let mut apps = Vec::new();
        for (i, (login, key)) in families.iter().enumerate() {
            finance_check(&t, key, 150_000 + i as i64 * 10_000, 3_000_000).await;
            let tok = t.login(login).await;
            let e = t.get(&tok, "/api/places/housing/eligibility").await;
            assert_eq!(e.body["eligible"], true, "{}", e.body);
            let r = t.post(&tok, "/api/places/housing/applications", json!({ "route": "home", "contact_phone": format!("1380000000{i}") })).await;
            assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
            assert_eq!(r.body["state"], "applied", "{}", r.body);
            apps.push(r.body["application"].as_str().expect("application").to_owned());
            tokens.push(tok);
        }
        // The same household again (a member already in one): refused, nothing filed.
        let before = t.counts().await;
        let r = t.post(&tokens[0], "/api/places/housing/applications", json!({ "route": "subsidy" })).await;
        assert_eq!((r.status, r.code()), (StatusCode::CONFLICT, "applicant_in_two_households"), "{}", r.body);
        assert_eq!(t.counts().await, before);
        let r = t.post(&tokens[0], "/api/places/housing/applications", json!({ "route": "castle" })).await;
        assert_eq!((r.status, r.code()), (StatusCode::UNPROCESSABLE_ENTITY, "bad_route"), "{}", r.body);

        // The bureaus handle the bundles; the duty puts each household on the list with the subsidy.
        for app in &apps {
            t.approve_all(app).await;
        }
        server::areas::places::housing::duty(&t.state).await;
        server::areas::places::housing::duty(&t.state).await;
        for (i, tok) in tokens.iter().enumerate() {
            let r = t.get(tok, "/api/places/housing/applications/mine").await;
            assert_eq!((r.body[0]["state"].as_str(), r.body[0]["subsidy"].as_bool()), (Some("waiting"), Some(true)), "{}", r.body);
            assert!(r.body[0]["rank"].as_u64().is_some() && r.body[0]["points"].as_u64().is_some_and(|p| p > 0), "{}", r.body);
            let subsidy = t.strings(&format!("SELECT CAST(id AS TEXT) FROM shared_record WHERE record_type = 'rent_subsidy' AND subject_key = '{}'", families[i].1)).await;
            assert_eq!(subsidy.len(), 1, "one rent-subsidy record, published once: {subsidy:?}");
        }
        let clerk = t.login("zjj_clerk").await;
        let list = t.get(&clerk, "/api/places/housing/waiting-list").await;
        assert_eq!(list.body.as_array().map(Vec::len), Some(3), "{}", list.body);
        assert!(!list.body.to_string().contains(&families[0].1), "ID numbers masked in the list");
        assert_eq!(t.get(&tokens[0], "/api/places/housing/waiting-list").await.status, StatusCode::FORBIDDEN);

        // A draw: committed (seed hidden), drawn (seed published), re-verified by anyone.
        assert_eq!(t.post(&tokens[0], "/api/places/housing/draws", json!({ "title": "2026年第1批", "homes": 1 })).await.status, StatusCode::FORBIDDEN);
        let d = t.post(&clerk, "/api/places/housing/draws", json!({ "title": "2026年第1批公租房", "homes": 1 })).await;
        assert_eq!(d.status, StatusCode::CREATED, "{}", d.body);
        let draw = d.body["id"].as_str().expect("id").to_owned();
        assert!(d.body["seed"].is_null() && d.body["seed_sha256"].as_str().is_some_and(|s| s.len() == 64), "{}", d.body);
        let v = t.request(Method::GET, None, &format!("/api/places/housing/draws/{draw}/verify?seed={}", "0".repeat(64)), None, &[]).await;
        assert_eq!((v.status, v.code()), (StatusCode::CONFLICT, "not_drawn_yet"), "{}", v.body);
        let d = t.post(&clerk, &format!("/api/places/housing/draws/{draw}/draw"), json!({})).await;
        assert_eq!(d.status, StatusCode::OK, "{}", d.body);
        let seed = d.body["seed"].as_str().expect("seed").to_owned();
        let again = t.post(&clerk, &format!("/api/places/housing/draws/{draw}/draw"), json!({})).await;
        assert_eq!(again.status, StatusCode::CONFLICT, "a draw is drawn once: {}", again.body);
        let v = t.request(Method::GET, None, &format!("/api/places/housing/draws/{draw}/verify?seed={seed}"), None, &[]).await;
        assert_eq!((v.status, v.body["reproduced"].as_bool()), (StatusCode::OK, Some(true)), "{}", v.body);
        let wrong = format!("{}{}", &seed[..63], if seed.ends_with('0') { "1" } else { "0" });
        let v = t.request(Method::GET, None, &format!("/api/places/housing/draws/{draw}/verify?seed={wrong}"), None, &[]).await;
        assert_eq!(v.code(), "lottery_seed_mismatch", "{}", v.body);
        let v = t.request(Method::GET, None, &format!("/api/places/housing/draws/{draw}/verify?seed=garbage"), None, &[]).await;
        assert_eq!(v.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", v.body);
        let order: Vec<String> = d.body["groups"].as_array().expect("groups").iter().flat_map(|g| g["order"].as_array().expect("order").iter().map(|x| x.as_str().unwrap_or("").to_owned())).collect();
        assert_eq!(order.len(), 3);

        // A home; offered to the first in the draw's order; only that household may answer.
        let h = t.post(&clerk, "/api/places/housing/homes", json!({ "estate": "富春公租房小区", "building": "3", "number": "502", "floor_area_m2": "48.50", "rooms": 2, "market_rent_yuan": "1600.00" })).await;
        assert_eq!(h.status, StatusCode::CREATED, "{}", h.body);
        let home = h.body["id"].as_str().expect("id").to_owned();
        let bad = t.post(&clerk, "/api/places/housing/homes", json!({ "estate": "x", "building": "1", "number": "1", "floor_area_m2": "-3", "rooms": 2, "market_rent_yuan": "1600.00" })).await;
        assert_eq!((bad.status, bad.code()), (StatusCode::UNPROCESSABLE_ENTITY, "bad_area"), "{}", bad.body);
        let o = t.post(&clerk, &format!("/api/places/housing/homes/{home}/offer"), json!({})).await;
        assert_eq!(o.status, StatusCode::CREATED, "{}", o.body);
        let offer = o.body["id"].as_str().expect("id").to_owned();
        let mut offered_to = None;
        for (i, tok) in tokens.iter().enumerate() {
            if t.get(tok, "/api/places/housing/applications/mine").await.body[0]["state"] == "offered" {
                offered_to = Some(i);
            }
        }
        let w = offered_to.expect("a household was offered the home");
        let wtok = tokens[w].clone();
        let other = tokens.iter().find(|tk| **tk != wtok).expect("another family");
        let r = t.post(other, &format!("/api/places/housing/offers/{offer}/answer"), json!({ "action": "accept" })).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
        let r = t.post(&wtok, &format!("/api/places/housing/offers/{offer}/answer"), json!({ "action": "accept" })).await;
        assert_eq!((r.status, r.body["state"].as_str()), (StatusCode::OK, Some("housed")), "{}", r.body);
        assert!(r.body["lease"]["monthly_rent_yuan"].is_string(), "{}", r.body);
        let r = t.post(&wtok, &format!("/api/places/housing/offers/{offer}/answer"), json!({ "action": "accept" })).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "answered once: {}", r.body);
        // The home is let: offering it again is refused.
        let o = t.post(&clerk, &format!("/api/places/housing/homes/{home}/offer"), json!({})).await;
        assert_eq!(o.status, StatusCode::CONFLICT, "{}", o.body);

        // A second home, but the next household's income rose above the line meanwhile: the offer
        // is refused with the reason and nothing changes.
        let h = t.post(&clerk, "/api/places/housing/homes", json!({ "estate": "富春公租房小区", "building": "3", "number": "503", "floor_area_m2": "48.50", "rooms": 2, "market_rent_yuan": "1600.00" })).await;
        let home2 = h.body["id"].as_str().expect("id").to_owned();
        t.clock.advance(chrono::Duration::seconds(5));
        for (i, (_, key)) in families.iter().enumerate() {
            if i != w {
                finance_check(&t, key, 2_000_000, 0).await;
            }
        }
        let o = t.post(&clerk, &format!("/api/places/housing/homes/{home2}/offer"), json!({})).await;
        assert_eq!((o.status, o.code()), (StatusCode::UNPROCESSABLE_ENTITY, "not_eligible"), "{}", o.body);
        let homes = t.get(&clerk, "/api/places/housing/homes").await;
        assert!(homes.body.as_array().expect("homes").iter().any(|x| x["id"] == home2.as_str() && x["status"] == "vacant"), "{}", homes.body);

        // The lease: re-qualified, then moved out of.
        let leases = t.get(&clerk, "/api/places/housing/leases").await;
        let lease = leases.body[0]["id"].as_str().expect("lease").to_owned();
        let r = t.post(&clerk, &format!("/api/places/housing/leases/{lease}/actions"), json!({ "action": "requalify" })).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(t.post(&wtok, &format!("/api/places/housing/leases/{lease}/actions"), json!({ "action": "move_out" })).await.status, StatusCode::FORBIDDEN);
        let r = t.post(&clerk, &format!("/api/places/housing/leases/{lease}/actions"), json!({ "action": "move_out" })).await;
        assert_eq!((r.status, r.body["state"].as_str()), (StatusCode::OK, Some("ended")), "{}", r.body);
        let f = t.get(&t.login("admin").await, "/api/places/housing/figures").await;
        assert_eq!((f.body["offers_made"].as_u64(), f.body["offers_accepted"].as_u64(), f.body["draws"].as_u64()), (Some(1), Some(1), Some(1)), "{}", f.body);
        t.shutdown().await;
    }
}

#[tokio::test]
async fn a_home_is_improved_from_survey_to_the_residents_rating() {
    let t = TestApp::spawn(crate::helpers::Db::Sqlite).await;
    let logins = t.state.store.registers().bench_citizens(5).await.expect("citizens");
    let key = person_key(&t, &logins[0]).await;
    let clerk = t.login("zjj_clerk").await;
    let resident = t.login(&logins[0]).await;
    let stranger = t.login(&logins[1]).await;
    assert_eq!(t.post(&resident, "/api/places/shanju", json!({ "resident": key, "address": "x", "basis": "低保" })).await.status, StatusCode::FORBIDDEN);
    let r = t.post(&clerk, "/api/places/shanju", json!({ "resident": key, "address": "富春街道春晖新村 5 幢 2 单元 301 室", "basis": "低保家庭，房屋漏水、卫生间无扶手" })).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let id = r.body["id"].as_str().expect("id").to_owned();
    let credit_code = t.strings("SELECT credit_code FROM enterprise ORDER BY id LIMIT 1").await.remove(0);
    let step = |body: Value| {
        let (t, clerk, id) = (&t, clerk.clone(), id.clone());
        async move { t.post(&clerk, &format!("/api/places/shanju/{id}/actions"), body).await }
    };
    // Out of order: a plan before the survey.
    let r = step(json!({ "action": "plan", "items": [{ "description": "屋面防水", "cost_yuan": "6800.00" }], "budget_yuan": "9000.00" })).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    for body in [
        json!({ "action": "survey", "notes": ["屋面渗漏", "卫生间无扶手"] }),
        json!({ "action": "plan", "items": [{ "description": "屋面防水", "cost_yuan": "6800.00" }, { "description": "卫生间加装扶手", "cost_yuan": "1200.00" }], "budget_yuan": "9000.00" }),
        json!({ "action": "engage", "contractor": "富阳安居建筑有限公司", "credit_code": credit_code }),
        json!({ "action": "start" }),
        json!({ "action": "inspect", "passed": false, "notes": ["扶手高度不符"] }),
        json!({ "action": "inspect", "passed": true }),
    ] {
        let r = step(body.clone()).await;
        assert_eq!(r.status, StatusCode::OK, "{body}: {}", r.body);
    }
    // A stranger cannot see or rate it; the resident rates once.
    assert_eq!(t.post(&stranger, &format!("/api/places/shanju/{id}/actions"), json!({ "action": "rate", "score": 1 })).await.status, StatusCode::NOT_FOUND);
    assert_eq!(t.post(&resident, &format!("/api/places/shanju/{id}/actions"), json!({ "action": "survey" })).await.status, StatusCode::FORBIDDEN);
    let r = t.post(&resident, &format!("/api/places/shanju/{id}/actions"), json!({ "action": "rate", "score": 5, "comment": "不漏水了" })).await;
    assert_eq!((r.status, r.body["satisfaction"].as_u64()), (StatusCode::OK, Some(5)), "{}", r.body);
    let r = t.post(&resident, &format!("/api/places/shanju/{id}/actions"), json!({ "action": "rate", "score": 4 })).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    let mine = t.get(&resident, "/api/places/shanju").await;
    assert_eq!(mine.body.as_array().map(Vec::len), Some(1), "{}", mine.body);
    assert_eq!(t.get(&stranger, "/api/places/shanju").await.body.as_array().map(Vec::len), Some(0));
    t.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_child_or_household_applied_for_at_once_is_taken_once() {
    for db in backends() {
        let t = TestApp::spawn(db).await;
        let clerk = t.login("wjw_clerk").await;
        let r = t.post(&clerk, "/api/places/childcare/institutions", institution("富春托育", 2, LAT)).await;
        let inst = r.body["id"].as_str().expect("id").to_owned();
        let logins = t.state.store.registers().bench_citizens(3).await.expect("citizens");
        let tok = t.login(&logins[0]).await;
        let child = child_of(&t, &logins[0], chrono::NaiveDate::from_ymd_opt(2025, 2, 1).expect("date"), 3).await;
        let body = json!({ "child": child, "start_date": "2026-04-01", "preferences": [inst], "home_lat": LAT, "home_lon": LON });
        let calls = (0..6).map(|_| t.post(&tok, "/api/places/childcare/applications", body.clone()));
        let answers = futures::future::join_all(calls).await;
        let created = answers.iter().filter(|r| r.status == StatusCode::CREATED).count();
        assert_eq!(created, 1, "{:?}", answers.iter().map(|r| (r.status, r.code().to_owned())).collect::<Vec<_>>());
        assert!(answers.iter().all(|r| r.status == StatusCode::CREATED || r.code() == "child_already_applied"));
        assert_eq!(t.count("place_doc WHERE kind = 'application'").await, 1);

        // A household applying for housing six times at once: one application stands; the bundles
        // the others filed before losing are withdrawn.
        let key = person_key(&t, &logins[1]).await;
        finance_check(&t, &key, 150_000, 0).await;
        let tok = t.login(&logins[1]).await;
        let calls = (0..6).map(|_| t.post(&tok, "/api/places/housing/applications", json!({ "route": "home", "contact_phone": "13800000009" })));
        let answers = futures::future::join_all(calls).await;
        assert_eq!(answers.iter().filter(|r| r.status == StatusCode::CREATED).count(), 1, "{:?}", answers.iter().map(|r| (r.status, r.code().to_owned())).collect::<Vec<_>>());
        assert_eq!(t.count("place_doc WHERE kind = 'household'").await, 1);
        let live = t.strings("SELECT status FROM application WHERE target_code = 'public-rental' AND status <> 'withdrawn'").await;
        assert_eq!(live.len(), 1, "{live:?}");
        t.shutdown().await;
    }
}

/// The childcare norm is one: the circles' category and the places figures measure against the
/// same places per 1,000 residents.
#[test]
fn the_circles_and_the_places_figures_use_one_childcare_norm() {
    let circles = circles::norms::Norms::default();
    let c = circles.categories.iter().find(|c| c.key == "childcare").expect("the circles' childcare category");
    assert_eq!(c.norm_per_1000, Some(server::areas::places::cases::rules().childcare.norm.places_per_1000));
}
