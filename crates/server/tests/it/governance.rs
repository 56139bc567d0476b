//! Community governance (issue 33) over HTTP, on SQLite and (when configured) PostgreSQL: an
//! estate registered with its parties; a street lamp reported, fixed and confirmed; a joint
//! deliberation; an overdue issue escalated by the duty; Open311 GeoReport v2 read and posted with
//! an api_key, and its errors; a night-construction certificate pushed to its supervisors and a
//! noise complaint matched to it; public funds through the three-level review; an owners' vote by
//! double majority; a project to completion. Outsiders, lesser roles and garbage at every step.

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

/// Registers estate 1 with owners from the demo's residents; (owners' logins, manager's login).
async fn estate(t: &TestApp) -> (Vec<String>, String) {
    let people = t.state.store.registers().bench_citizens(40).await.expect("citizens");
    assert!(people.len() >= 30, "enough residents");
    let (owners, manager) = (people[..28].to_vec(), people[30].clone());
    // The stationed worker of the community (a community-level account).
    let (_, hash) = t.state.store.identity().account_for_login("community_worker").await.expect("q").expect("worker");
    t.state
        .store
        .identity()
        .insert_accounts(&[store::NewAccount {
            id: domain::AccountId(t.state.parts.ids.next()),
            login: "estate_worker".into(),
            password_hash: hash,
            display_name: "春晖社区 包小专".into(),
            kind: store::AccountKind::Staff,
            roles: vec![catalog::Role::CommunityWorker],
            person_id: None,
            enterprise_id: None,
            department: None,
            division: Some(COMMUNITY.into()),
            phone: None,
            created_at: t.clock.now_utc(),
        }])
        .await
        .expect("worker account");
    let admin = t.login("admin").await;
    let body = json!({
        "id": 1, "name": "江滨锦苑", "community": COMMUNITY, "lat": LAT, "lon": LON,
        "party_branch": { "name": "江滨锦苑党支部", "members": [owners[3]] },
        "committee_kind": "owners_committee",
        "committee": { "name": "江滨锦苑业主委员会", "members": [owners[0], owners[1], owners[2]] },
        "property_company": { "name": "富春物业", "members": [manager] },
        "worker": "estate_worker",
        "helpers": { "mediator": [owners[4]] },
        "owners": owners.iter().enumerate().map(|(i, l)| json!({ "login": l, "units": [{ "number": format!("1-{}-{}", i / 4 + 1, i % 4 + 1), "area_m2": format!("{}.50", 80 + i) }] })).collect::<Vec<_>>(),
    });
    let r = t.post(&admin, "/api/governance/estates", body.clone()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!((r.body["owners"].as_u64(), r.body["parties"].as_array().map(Vec::len)), (Some(28), Some(4)), "{}", r.body);
    // Lesser roles and garbage: a resident, a department clerk, a worker of another town; an owner
    // who has no account; a unit with a bad area.
    let (_, resident) = t.citizen().await;
    for tok in [resident, t.login("zhzf_clerk").await] {
        let r = t.post(&tok, "/api/governance/estates", body.clone()).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    }
    let mut bad = body.clone();
    bad["owners"][0]["login"] = json!("nobody-here");
    let r = t.post(&admin, "/api/governance/estates", bad).await;
    assert_eq!((r.status, r.code()), (StatusCode::UNPROCESSABLE_ENTITY, "unknown_login"), "{}", r.body);
    let mut bad = body.clone();
    bad["owners"][1]["units"][0]["area_m2"] = json!("-3");
    let r = t.post(&admin, "/api/governance/estates", bad).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(r.body["field"], "owners[1].units[0].area_m2", "{}", r.body);
    (owners, manager)
}

async fn act(t: &TestApp, tok: &str, id: &str, action: &str, text: Option<&str>) -> crate::helpers::Resp {
    t.post(tok, &format!("/api/governance/issues/{id}/actions"), json!({ "action": action, "text": text })).await
}

#[tokio::test]
async fn a_lamp_is_reported_fixed_and_confirmed_and_an_outsider_can_do_none_of_it() {
    for db in backends() {
        let t = TestApp::spawn(db).await;
        let (owners, manager) = estate(&t).await;
        let reporter = t.login(&owners[10]).await;
        let r = t.post(&reporter, "/api/governance/issues", json!({ "service_code": "street_lamp", "lat": LAT + 0.0004, "long": LON, "description": "3 号楼东侧路灯不亮", "attributes": { "lamp_number": "JB-07" } })).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let id = r.body["id"].as_str().expect("id").to_owned();
        assert_eq!((r.body["state"].as_str(), r.body["level"].as_str(), r.body["estate"].as_str()), (Some("routed"), Some("estate"), Some("1")), "{}", r.body);
        assert!(r.body["agency_responsible"].as_str().unwrap_or("").contains("富春物业"), "{}", r.body);

        // Someone who is not the property company, a department clerk, the reporter: no accept.
        let other = t.login(&owners[20]).await;
        for tok in [&other, &reporter, &t.login("zhzf_clerk").await] {
            let r = act(&t, tok, &id, "accept", None).await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
        }
        // Claiming a part one does not play.
        let r = t.post(&other, &format!("/api/governance/issues/{id}/actions"), json!({ "action": "accept", "as": "property_company" })).await;
        assert_eq!((r.status, r.code()), (StatusCode::FORBIDDEN, "not_your_part"), "{}", r.body);
        let pm = t.login(&manager).await;
        // The manager's queue has it; an owner's queue does not.
        let q = t.get(&pm, "/api/governance/issues/queue").await;
        assert!(q.body["issues"].as_array().expect("issues").iter().any(|i| i["id"] == id.as_str()), "{}", q.body);
        let q = t.get(&other, "/api/governance/issues/queue").await;
        assert_eq!(q.body["total"], 0, "{}", q.body);
        let r = act(&t, &pm, &id, "accept", None).await;
        assert_eq!((r.status, r.body["state"].as_str()), (StatusCode::OK, Some("in_progress")), "{}", r.body);
        // Accepted twice, or garbage: refused, nothing changed.
        assert_eq!(act(&t, &pm, &id, "accept", None).await.status, StatusCode::CONFLICT);
        assert_eq!(act(&t, &pm, &id, "fly", None).await.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(act(&t, &pm, &id, "resolve", Some("   ")).await.status, StatusCode::UNPROCESSABLE_ENTITY);
        let r = act(&t, &pm, &id, "resolve", Some("已更换灯头")).await;
        assert_eq!(r.body["state"], "resolved", "{}", r.body);
        // Only the reporter confirms.
        assert_eq!(act(&t, &other, &id, "confirm", None).await.status, StatusCode::FORBIDDEN);
        assert_eq!(act(&t, &pm, &id, "confirm", None).await.status, StatusCode::FORBIDDEN);
        let r = act(&t, &reporter, &id, "confirm", None).await;
        assert_eq!(r.body["state"], "confirmed", "{}", r.body);
        let steps: Vec<&str> = r.body["history"].as_array().expect("history").iter().map(|s| s["action"].as_str().unwrap_or("")).collect();
        assert_eq!(steps, ["report", "route", "accept", "resolve", "confirm"]);
        // The reporter was told at each step; anyone reads the request in Open311, unnamed.
        let (account, _) = t.state.store.identity().account_for_login(&owners[10]).await.expect("q").expect("account");
        let told = t.strings(&format!("SELECT kind FROM notice WHERE recipient = 'account:{}' ORDER BY id", account.id.0)).await;
        assert!(told.iter().any(|k| k == "governance_resolve"), "{told:?}");
        let o = t.request(Method::GET, None, &format!("/api/open311/v2/requests/{id}.json"), None, &[]).await;
        assert_eq!(o.status, StatusCode::OK, "{}", o.body);
        assert_eq!((o.body[0]["status"].as_str(), o.body[0]["service_code"].as_str()), (Some("closed"), Some("street_lamp")), "{}", o.body);
        assert!(!o.body.to_string().contains(&owners[10]), "the reporter is never named");
        t.shutdown().await;
    }
}

#[tokio::test]
async fn several_parties_deliberate_overdue_issues_escalate_and_declines_say_who_and_why() {
    for db in backends() {
        let t = TestApp::spawn(db).await;
        let (owners, manager) = estate(&t).await;
        let reporter = t.login(&owners[11]).await;
        let r = t.post(&reporter, "/api/governance/issues", json!({ "service_code": "public_facility", "estate": "1", "description": "电梯经常停在半层" })).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let id = r.body["id"].as_str().expect("id").to_owned();
        assert_eq!(r.body["state"], "deliberating", "{}", r.body);
        let pm = t.login(&manager).await;
        let chair = t.login(&owners[0]).await;
        let r = act(&t, &pm, &id, "agree", Some("物业联系维保单位检修，业委会监督")).await;
        assert_eq!(r.body["state"], "deliberating", "{}", r.body);
        assert_eq!(act(&t, &pm, &id, "agree", Some("再同意一次")).await.status, StatusCode::CONFLICT);
        let r = act(&t, &chair, &id, "agree", Some("同意")).await;
        assert_eq!(r.body["state"], "in_progress", "{}", r.body);
        let r = act(&t, &pm, &id, "resolve", Some("维保单位已更换平层感应器")).await;
        assert_eq!(r.body["state"], "resolved", "{}", r.body);

        // A lamp nobody takes: after the estate's 72 hours the duty sends it to the community.
        let r = t.post(&reporter, "/api/governance/issues", json!({ "service_code": "street_lamp", "estate": "1", "description": "路灯坏了" })).await;
        let lamp = r.body["id"].as_str().expect("id").to_owned();
        t.clock.advance(chrono::Duration::hours(73));
        server::areas::governance::cases::duty(&t.state).await;
        // Sessions do not last three days: sign in again.
        let pm = t.login(&manager).await;
        let worker = t.login("estate_worker").await;
        let r = t.get(&worker, &format!("/api/governance/issues/{lamp}")).await;
        assert_eq!((r.body["level"].as_str(), r.body["escalations"].as_u64()), (Some("community"), Some(1)), "{}", r.body);
        let q = t.get(&worker, "/api/governance/issues/queue").await;
        assert!(q.body["issues"].as_array().expect("issues").iter().any(|i| i["id"] == lamp.as_str()), "{}", q.body);
        // The estate's property company is no longer responsible.
        assert_eq!(act(&t, &pm, &lamp, "accept", None).await.status, StatusCode::FORBIDDEN);
        // The community declines it, with the reason: the reporter sees who and why.
        assert_eq!(act(&t, &worker, &lamp, "decline", None).await.status, StatusCode::UNPROCESSABLE_ENTITY);
        let r = act(&t, &worker, &lamp, "decline", Some("该路灯属市政道路，已转 12345")).await;
        assert_eq!(r.body["state"], "declined", "{}", r.body);
        let o = t.request(Method::GET, None, &format!("/api/open311/v2/requests/{lamp}.json"), None, &[]).await;
        let notes = o.body[0]["status_notes"].as_str().unwrap_or("");
        assert!(notes.contains("社区") && notes.contains("市政道路"), "{notes}");
        // The reporter never answered about the lift: a week after it was resolved it counts as confirmed.
        t.clock.advance(chrono::Duration::hours(100));
        server::areas::governance::cases::duty(&t.state).await;
        let r = t.request(Method::GET, None, &format!("/api/governance/issues/{id}"), None, &[]).await;
        assert_eq!(r.body["state"], "confirmed", "{}", r.body);
        t.shutdown().await;
    }
}

async fn open311(t: &TestApp, method: Method, path: &str, form: Option<&[(&str, &str)]>) -> (StatusCode, Value) {
    let url = format!("{}/api/open311/v2/{path}", t.url);
    let req = t.http.request(method, url);
    let req = match form {
        Some(f) => req.form(f),
        None => req,
    };
    let r = req.send().await.expect("request");
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn open311_clients_read_and_post_with_an_api_key_and_get_its_errors() {
    for db in backends() {
        let t = TestApp::spawn(db).await;
        estate(&t).await;
        let (s, services) = open311(&t, Method::GET, "services.json", None).await;
        assert_eq!(s, StatusCode::OK);
        assert!(services.as_array().expect("list").iter().any(|x| x["service_code"] == "street_lamp" && x["type"] == "realtime"), "{services}");
        let (s, def) = open311(&t, Method::GET, "services/night_construction_noise.json", None).await;
        assert_eq!((s, def["attributes"][0]["code"].as_str()), (StatusCode::OK, Some("heard_at")), "{def}");
        let (s, e) = open311(&t, Method::GET, "services/no_such.json", None).await;
        assert_eq!((s, e[0]["code"].as_u64()), (StatusCode::NOT_FOUND, Some(404)), "{e}");
        let (s, _) = open311(&t, Method::GET, "services.json?jurisdiction_id=110101", None).await;
        assert_eq!(s, StatusCode::NOT_FOUND);

        // Only the administrator makes client keys; the key is shown once.
        let (_, resident) = t.citizen().await;
        assert_eq!(t.post(&resident, "/api/governance/clients", json!({ "name": "x" })).await.status, StatusCode::FORBIDDEN);
        let admin = t.login("admin").await;
        let c = t.post(&admin, "/api/governance/clients", json!({ "name": "随手拍" })).await;
        assert_eq!(c.status, StatusCode::CREATED, "{}", c.body);
        let key = c.body["api_key"].as_str().expect("key").to_owned();
        let list = t.get(&admin, "/api/governance/clients").await;
        assert!(!list.body.to_string().contains(&key), "a key is never shown again");

        let (lat, long) = (format!("{}", LAT + 0.0003), format!("{LON}"));
        let good = [("service_code", "street_lamp"), ("lat", lat.as_str()), ("long", long.as_str()), ("description", "路灯不亮"), ("attribute[lamp_number]", "JB-09")];
        // No key, a wrong key, a revoked key: 403, nothing stored.
        let before = t.count("gov_doc").await;
        let (s, e) = open311(&t, Method::POST, "requests.json", Some(&good)).await;
        assert_eq!((s, e[0]["code"].as_u64()), (StatusCode::FORBIDDEN, Some(403)), "{e}");
        let mut wrong = good.to_vec();
        wrong.push(("api_key", "0123456789abcdef0123456789abcdef"));
        assert_eq!(open311(&t, Method::POST, "requests.json", Some(&wrong)).await.0, StatusCode::FORBIDDEN);
        // Unknown service 404; outside the district, lat without long, a missing required
        // attribute, a mistyped one: 400.
        let with_key = |mut f: Vec<(&'static str, String)>| {
            f.push(("api_key", key.clone()));
            f
        };
        let cases: Vec<(Vec<(&str, String)>, StatusCode)> = vec![
            (vec![("service_code", "no_such".into()), ("lat", lat.clone()), ("long", long.clone())], StatusCode::NOT_FOUND),
            (vec![("service_code", "street_lamp".into()), ("lat", "39.9".into()), ("long", "116.4".into())], StatusCode::BAD_REQUEST),
            (vec![("service_code", "street_lamp".into()), ("lat", lat.clone())], StatusCode::BAD_REQUEST),
            (vec![("service_code", "night_construction_noise".into()), ("lat", lat.clone()), ("long", long.clone())], StatusCode::BAD_REQUEST),
            (vec![("service_code", "night_construction_noise".into()), ("lat", lat.clone()), ("long", long.clone()), ("attribute[heard_at]", "yesterday".into())], StatusCode::BAD_REQUEST),
            (vec![("service_code", "street_lamp".into()), ("lat", "30.2".into()), ("long", "120.2".into())], StatusCode::BAD_REQUEST),
        ];
        for (f, want) in cases {
            let f = with_key(f);
            let form: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let (s, e) = open311(&t, Method::POST, "requests.json", Some(&form)).await;
            assert_eq!(s, want, "{form:?}: {e}");
            assert_eq!(e[0]["code"].as_u64(), Some(u64::from(want.as_u16())), "{e}");
        }
        assert_eq!(t.count("gov_doc").await, before, "nothing stored");

        let mut ok = good.to_vec();
        ok.push(("api_key", key.as_str()));
        let (s, created) = open311(&t, Method::POST, "requests.json", Some(&ok)).await;
        assert_eq!(s, StatusCode::OK, "{created}");
        let id = created[0]["service_request_id"].as_str().expect("id").to_owned();
        assert!(created[0]["service_notice"].as_str().unwrap_or("").contains("前处理"), "{created}");
        let (_, one) = open311(&t, Method::GET, &format!("requests/{id}.json"), None).await;
        assert_eq!((one[0]["status"].as_str(), one[0]["lat"].as_f64()), (Some("open"), Some(LAT + 0.0003)), "{one}");
        let (_, list) = open311(&t, Method::GET, "requests.json?service_code=street_lamp&status=open", None).await;
        assert!(list.as_array().expect("list").iter().any(|r| r["service_request_id"] == id.as_str()), "{list}");
        let (s, _) = open311(&t, Method::GET, "requests.json?start_date=2025-01-01T00:00:00Z&end_date=2026-01-01T00:00:00Z", None).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "more than 90 days");
        let (s, _) = open311(&t, Method::GET, "requests/999.json", None).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        // Revoked: refused from then on.
        let cid = c.body["id"].as_str().expect("id");
        assert_eq!(t.post(&admin, &format!("/api/governance/clients/{cid}/revoke"), json!({})).await.status, StatusCode::OK);
        assert_eq!(open311(&t, Method::POST, "requests.json", Some(&ok)).await.0, StatusCode::FORBIDDEN);
        t.shutdown().await;
    }
}

#[tokio::test]
async fn a_night_construction_certificate_is_pushed_to_its_supervisors_and_finds_the_noise_complaint() {
    for db in backends() {
        let t = TestApp::spawn(db).await;
        let (owners, _) = estate(&t).await;
        let (firm, _) = t.enterprise().await;
        // 生态环境 issues the certificate (as the one-thing engine publishes it): tonight 22:00 to 05:00, three nights.
        let sthj = t.login("sthj_clerk").await;
        let today = domain::china_date(t.clock.now_utc());
        let start = format!("{}T22:00", today);
        let end = format!("{}T05:00", today + chrono::Days::new(3));
        let r = t
            .post(&sthj, "/api/pool/records", json!({ "record_type": "night_construction_cert", "subject": firm, "data": { "name": "夜间施工证明", "holder": "某建设公司", "application": "1",
                "form": { "project_name": "春晖路管网改造", "site_lat": LAT + 0.001, "site_lon": LON + 0.001, "work_start": start, "work_end": end } } }))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        server::areas::governance::cases::duty(&t.state).await;
        server::areas::governance::cases::duty(&t.state).await;
        let p = t.get(&sthj, "/api/governance/permits").await;
        assert_eq!(p.status, StatusCode::OK, "{}", p.body);
        assert_eq!(p.body.as_array().map(Vec::len), Some(1), "pushed once: {}", p.body);
        assert_eq!(p.body[0]["windows"].as_array().map(Vec::len), Some(3), "{}", p.body);
        let zhzf = t.get(&t.login("zhzf_clerk").await, "/api/governance/permits").await;
        assert_eq!(zhzf.body.as_array().map(Vec::len), Some(1), "{}", zhzf.body);
        let zjj = t.get(&t.login("zjj_clerk").await, "/api/governance/permits").await;
        assert_eq!(zjj.body.as_array().map(Vec::len), Some(0), "not a supervisor: {}", zjj.body);
        let (_, resident) = t.citizen().await;
        assert_eq!(t.get(&resident, "/api/governance/permits").await.status, StatusCode::FORBIDDEN);
        assert_eq!(t.strings("SELECT kind FROM notice WHERE recipient = 'dept:sthj:clerk' AND kind = 'governance_permit_pushed'").await.len(), 1);

        // A noise complaint at 01:30 the first night, 100 m from the site: matched, sent to 生态环境.
        let tok = t.login(&owners[12]).await;
        let heard = format!("{}T01:30:00+08:00", today + chrono::Days::new(1));
        let r = t.post(&tok, "/api/governance/issues", json!({ "service_code": "night_construction_noise", "lat": LAT + 0.0012, "long": LON + 0.0008, "description": "半夜施工很吵", "attributes": { "heard_at": heard } })).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        assert_eq!((r.body["level"].as_str(), r.body["permits"].as_array().map(Vec::len)), (Some("district"), Some(1)), "{}", r.body);
        assert!(r.body["department"].as_str().unwrap_or("").contains("生态环境"), "{}", r.body);
        let p = t.get(&sthj, "/api/governance/permits").await;
        assert_eq!(p.body[0]["complaints"], 1, "{}", p.body);
        // The department handles it at the district level.
        let q = t.get(&sthj, "/api/governance/issues/queue").await;
        assert_eq!(q.body["total"], 1, "{}", q.body);
        t.shutdown().await;
    }
}

async fn expense_act(t: &TestApp, tok: &str, id: &str, body: Value) -> crate::helpers::Resp {
    t.post(tok, &format!("/api/governance/expenses/{id}/actions"), body).await
}

#[tokio::test]
async fn an_expense_passes_three_levels_with_separate_people_and_a_large_one_needs_the_owners_vote() {
    for db in backends() {
        let t = TestApp::spawn(db).await;
        let (owners, manager) = estate(&t).await;
        let (pm, chair, treasurer, owner) = (t.login(&manager).await, t.login(&owners[0]).await, t.login(&owners[1]).await, t.login(&owners[20]).await);
        for (source, amount) in [("advertising", "18000"), ("parking", "66500.50")] {
            let r = t.post(&pm, "/api/governance/estates/1/income", json!({ "source": source, "amount": amount, "date": domain::china_date(t.clock.now_utc()).to_string(), "note": "年度收益" })).await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        }
        // An owner who is no party records nothing; garbage amounts are refused.
        assert_eq!(t.post(&owner, "/api/governance/estates/1/income", json!({ "source": "parking", "amount": "100", "date": "2026-03-01", "note": "x" })).await.status, StatusCode::FORBIDDEN);
        assert_eq!(t.post(&pm, "/api/governance/estates/1/income", json!({ "source": "parking", "amount": "1.234", "date": "2026-03-01", "note": "x" })).await.status, StatusCode::UNPROCESSABLE_ENTITY);
        let line = t.post(&chair, "/api/governance/estates/1/lines", json!({ "year": 2026, "name": "公共设施维修", "amount": "80000" })).await;
        assert_eq!(line.status, StatusCode::CREATED, "{}", line.body);
        let line = line.body["id"].as_str().expect("line").to_owned();
        let scan = t.upload(&pm, "invoice.pdf").await;
        let submit = |amount: &str| json!({ "line": line, "amount": amount, "purpose": "更换路灯", "receipts": [{ "name": "发票", "amount": amount, "upload": scan }] });
        // Someone else's upload is no receipt of the caller's.
        let theirs = t.upload(&owner, "x.pdf").await;
        let r = t.post(&pm, "/api/governance/estates/1/expenses", json!({ "line": line, "amount": "10", "purpose": "x", "receipts": [{ "name": "发票", "amount": "10", "upload": theirs }] })).await;
        assert_eq!((r.status, r.code()), (StatusCode::UNPROCESSABLE_ENTITY, "unknown_upload"), "{}", r.body);
        // More than the line holds: refused.
        let r = t.post(&pm, "/api/governance/estates/1/expenses", submit("90000")).await;
        assert_eq!((r.status, r.code()), (StatusCode::UNPROCESSABLE_ENTITY, "over_budget"), "{}", r.body);
        let x = t.post(&pm, "/api/governance/estates/1/expenses", submit("12800")).await;
        assert_eq!(x.status, StatusCode::CREATED, "{}", x.body);
        let x = x.body["id"].as_str().expect("id").to_owned();
        let review = json!({ "action": "review", "passed": true, "note": "ok" });
        // The community cannot review before the estate; a plain owner never.
        let worker = t.login("estate_worker").await;
        assert_eq!(expense_act(&t, &worker, &x, review.clone()).await.status, StatusCode::FORBIDDEN);
        assert_eq!(expense_act(&t, &owner, &x, review.clone()).await.status, StatusCode::FORBIDDEN);
        assert_eq!(expense_act(&t, &chair, &x, review.clone()).await.status, StatusCode::OK);
        assert_eq!(expense_act(&t, &worker, &x, review.clone()).await.status, StatusCode::OK);
        let street = t.login("community_worker").await;
        let r = expense_act(&t, &street, &x, review.clone()).await;
        assert_eq!(r.body["state"], "verified", "{}", r.body);
        // The committee member who self-checked it may not pay it too.
        let r = expense_act(&t, &chair, &x, json!({ "action": "pay" })).await;
        assert_eq!((r.status, r.code()), (StatusCode::FORBIDDEN, "separation_of_duties"), "{}", r.body);
        let r = expense_act(&t, &treasurer, &x, json!({ "action": "pay" })).await;
        assert_eq!(r.body["state"], "paid", "{}", r.body);
        assert_eq!(expense_act(&t, &treasurer, &x, json!({ "action": "pay" })).await.status, StatusCode::CONFLICT, "paid once");
        let funds = t.request(Method::GET, None, "/api/governance/estates/1/funds?year=2026", None, &[]).await;
        assert_eq!((funds.body["balance_fen"].as_i64(), funds.body["expense_fen"].as_i64()), (Some(8_450_050 - 1_280_000), Some(1_280_000)), "{}", funds.body);

        // Above 50,000 yuan: verified, but not paid without the owners' vote.
        let big = t.post(&pm, "/api/governance/estates/1/expenses", submit("60000")).await;
        let big = big.body["id"].as_str().expect("id").to_owned();
        assert_eq!(expense_act(&t, &t.login(&owners[2]).await, &big, review.clone()).await.status, StatusCode::OK);
        assert_eq!(expense_act(&t, &worker, &big, review.clone()).await.status, StatusCode::OK);
        assert_eq!(expense_act(&t, &street, &big, review.clone()).await.status, StatusCode::OK);
        let r = expense_act(&t, &treasurer, &big, json!({ "action": "pay" })).await;
        assert_eq!((r.status, r.code()), (StatusCode::CONFLICT, "owners_vote_required"), "{}", r.body);

        // The owners vote (art. 278): 20 of 28 owners by number and area take part, most agree.
        let m = t.post(&chair, "/api/governance/estates/1/meetings", json!({ "kind": "owners_assembly", "title": "业主大会" })).await;
        assert_eq!(m.status, StatusCode::CREATED, "{}", m.body);
        let mid = m.body["id"].as_str().expect("id").to_owned();
        let mpath = format!("/api/governance/meetings/{mid}/actions");
        let ma = |b: Value| t.post(&chair, &mpath, b);
        assert_eq!(ma(json!({ "action": "propose", "title": "改造健身场地" })).await.status, StatusCode::UNPROCESSABLE_ENTITY, "an owners' item names its matter");
        assert_eq!(ma(json!({ "action": "propose", "title": "使用公共收益 60,000 元改造健身场地", "matter": "other_major" })).await.status, StatusCode::OK);
        assert_eq!(ma(json!({ "action": "open" })).await.status, StatusCode::OK);
        let vote = json!({ "action": "vote", "item": 1, "choice": "for" });
        let outsider = t.login(&t.state.store.registers().bench_citizens(40).await.expect("c")[35]).await;
        let r = t.post(&outsider, &format!("/api/governance/meetings/{mid}/actions"), vote.clone()).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "not an owner: {}", r.body);
        for (i, l) in owners.iter().enumerate().take(20) {
            let tok = t.login(l).await;
            let choice = if i < 16 { "for" } else { "against" };
            let r = t.post(&tok, &format!("/api/governance/meetings/{mid}/actions"), json!({ "action": "vote", "item": 1, "choice": choice })).await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        }
        let r = t.post(&chair, &format!("/api/governance/meetings/{mid}/actions"), vote.clone()).await;
        assert_eq!(r.status, StatusCode::CONFLICT, "twice: {}", r.body);
        let r = ma(json!({ "action": "close" })).await;
        let tally = &r.body["agenda"][0]["tally"];
        assert_eq!((tally["quorum"].as_bool(), tally["passed"].as_bool(), tally["voted"]["people"].as_u64()), (Some(true), Some(true), Some(20)), "{}", r.body);
        let r = expense_act(&t, &chair, &big, json!({ "action": "record_vote", "meeting": mid, "item": 1 })).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let r = expense_act(&t, &treasurer, &big, json!({ "action": "pay" })).await;
        assert_eq!(r.body["state"], "paid", "{}", r.body);
        t.shutdown().await;
    }
}

#[tokio::test]
async fn a_project_is_followed_from_inspection_to_completion_and_rated_once() {
    for db in backends() {
        let t = TestApp::spawn(db).await;
        let (owners, _) = estate(&t).await;
        let worker = t.login("estate_worker").await;
        let street = t.login("community_worker").await;
        let today = domain::china_date(t.clock.now_utc()).to_string();
        let body = json!({ "title": "健身场地改造", "community": COMMUNITY, "lat": LAT, "lon": LON, "milestones": [{ "name": "器材安装", "due": today }] });
        let (_, resident) = t.citizen().await;
        assert_eq!(t.post(&resident, "/api/governance/projects", body.clone()).await.status, StatusCode::FORBIDDEN);
        let p = t.post(&worker, "/api/governance/projects", body).await;
        assert_eq!(p.status, StatusCode::CREATED, "{}", p.body);
        let id = p.body["id"].as_str().expect("id").to_owned();
        let ppath = format!("/api/governance/projects/{id}/actions");
        let owner = t.login(&owners[13]).await;
        assert_eq!(t.post(&owner, &ppath, json!({ "action": "rate", "stars": 5 })).await.status, StatusCode::CONFLICT, "not completed yet");
        let r = t.post(&street, &ppath, json!({ "action": "inspect", "problems": [{ "text": "地垫翘起", "photos": ["https://example.gov.cn/p.jpg"], "rectify_by": today }] })).await;
        assert_eq!(r.body["open_problems"], 1, "{}", r.body);
        assert_eq!(t.post(&street, &ppath, json!({ "action": "complete" })).await.status, StatusCode::CONFLICT, "problems open");
        assert_eq!(t.post(&worker, &ppath, json!({ "action": "report_fixed", "problem": 1, "note": "已重铺" })).await.status, StatusCode::OK);
        assert_eq!(t.post(&worker, &ppath, json!({ "action": "close_problem", "problem": 1 })).await.status, StatusCode::FORBIDDEN, "who fixed it does not close it");
        assert_eq!(t.post(&street, &ppath, json!({ "action": "close_problem", "problem": 1 })).await.status, StatusCode::OK);
        assert_eq!(t.post(&worker, &ppath, json!({ "action": "reach", "milestone": 0 })).await.status, StatusCode::OK);
        let r = t.post(&street, &ppath, json!({ "action": "complete" })).await;
        assert_eq!((r.body["state"].as_str(), r.body["on_time"].as_bool()), (Some("completed"), Some(true)), "{}", r.body);
        assert_eq!(t.post(&owner, &ppath, json!({ "action": "rate", "stars": 5 })).await.status, StatusCode::OK);
        assert_eq!(t.post(&owner, &ppath, json!({ "action": "rate", "stars": 4 })).await.status, StatusCode::CONFLICT, "once");
        assert_eq!(t.post(&t.login(&owners[14]).await, &ppath, json!({ "action": "rate", "stars": 9 })).await.status, StatusCode::UNPROCESSABLE_ENTITY);
        let f = t.get(&t.login("admin").await, "/api/governance/figures").await;
        assert_eq!((f.body["projects"].as_u64(), f.body["projects_on_time"].as_u64()), (Some(1), Some(1)), "{}", f.body);
        t.shutdown().await;
    }
}

#[tokio::test]
async fn every_department_the_routing_names_is_a_department_of_the_catalog() {
    let t = TestApp::spawn(crate::helpers::Db::Sqlite).await;
    let rules = server::areas::governance::cases::rules();
    for code in rules.routing.departments.keys().chain(server::areas::governance::cases::PERMIT_SUPERVISORS.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>().iter()) {
        assert!(t.state.catalog().department(code).is_some(), "routing names department {code:?}, which the catalog does not have");
    }
    for c in &rules.routing.categories {
        assert!(rules.routing.departments.contains_key(&c.department), "{}: {}", c.code, c.department);
    }
    t.shutdown().await;
}

#[tokio::test]
async fn a_dispute_between_neighbours_is_settled_by_joint_mediation_with_the_agreement_signed() {
    for db in backends() {
        let t = TestApp::spawn(db).await;
        let (owners, _) = estate(&t).await;
        let reporter = t.login(&owners[15]).await;
        let r = t.post(&reporter, "/api/governance/issues", json!({ "service_code": "neighbour_dispute", "estate": "1", "description": "楼上卫生间漏水到我家，协商不成" })).await;
        assert_eq!((r.status, r.body["dispute"].as_bool(), r.body["state"].as_str()), (StatusCode::CREATED, Some(true), Some("deliberating")), "{}", r.body);
        let id = r.body["id"].as_str().expect("id").to_owned();
        // The three parties agree to mediate together (三方联调).
        for who in [owners[3].as_str(), owners[0].as_str(), "estate_worker"] {
            let r = act(&t, &t.login(who).await, &id, "agree", Some("由调解员组织双方当面调解")).await;
            assert_eq!(r.status, StatusCode::OK, "{who}: {}", r.body);
        }
        let chair = t.login(&owners[0]).await;
        // A dispute is not simply marked resolved at the estate: it is mediated.
        let r = act(&t, &chair, &id, "resolve", Some("已处理")).await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
        let mediator = t.login(&owners[4]).await;
        let r = act(&t, &mediator, &id, "start_mediation", None).await;
        assert_eq!(r.body["state"], "mediating", "{}", r.body);
        let agreement = |signatories: Vec<&str>| json!({ "action": "record_agreement", "text": "楼上业主三日内请人维修防水，赔偿 800 元", "signatories": signatories });
        // Signed by the reporter alone, by a login that does not exist, or by the mediator as a party: refused.
        for (body, want) in [
            (agreement(vec![&owners[15]]), StatusCode::UNPROCESSABLE_ENTITY),
            (agreement(vec![&owners[15], "nobody-here"]), StatusCode::UNPROCESSABLE_ENTITY),
            (agreement(vec![&owners[15], &owners[4]]), StatusCode::UNPROCESSABLE_ENTITY),
        ] {
            let r = t.post(&mediator, &format!("/api/governance/issues/{id}/actions"), body).await;
            assert_eq!(r.status, want, "{}", r.body);
        }
        // Someone else than the mediator: refused.
        let r = t.post(&t.login(&owners[16]).await, &format!("/api/governance/issues/{id}/actions"), agreement(vec![&owners[15], &owners[16]])).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
        let r = t.post(&mediator, &format!("/api/governance/issues/{id}/actions"), agreement(vec![&owners[15], &owners[16]])).await;
        assert_eq!((r.body["state"].as_str(), r.body["agreement"].as_str().map(|a| a.contains("800"))), (Some("resolved"), Some(true)), "{}", r.body);
        let r = act(&t, &reporter, &id, "confirm", None).await;
        assert_eq!(r.body["state"], "confirmed", "{}", r.body);
        t.shutdown().await;
    }
}
