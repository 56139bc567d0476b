//! Welfare (issue 31) over HTTP, on SQLite and (when configured) PostgreSQL: elders aged 80–99
//! get the old-age allowance without applying, with a notice and the reasons; an 80th birthday
//! opens it, a death and a move close it at once; a month's run is frozen once, approved by
//! another person, sent to the bank and its return file taken back, never paying a month twice,
//! and a death reported late becomes a recovery; a household found in difficulty is visited and
//! enrolled, and its happiness list shows everything it received. Garbage, replays and other
//! people's data as an outsider would try them.

use chrono::Datelike;
use chrono::NaiveDate;
use reqwest::Method;
use reqwest::StatusCode;
use serde_json::Value;
use serde_json::json;
use store::WelfarePerson;

use crate::helpers::ClockExt;
use crate::helpers::TestApp;
use crate::helpers::backends;

fn age(p: &WelfarePerson, today: NaiveDate) -> i64 {
    welfare::facts::age_on(p.birth_date, today)
}

fn today(t: &TestApp) -> NaiveDate {
    domain::china_date(t.clock.now_utc())
}

async fn people(t: &TestApp) -> Vec<WelfarePerson> {
    t.state.store.welfare().people_all().await.expect("people")
}

/// Someone with an account aged within `ages`, not in `not`.
async fn aged(t: &TestApp, ages: std::ops::RangeInclusive<i64>, not: &[&str]) -> WelfarePerson {
    let d = today(t);
    people(t).await.into_iter().find(|p| ages.contains(&age(p, d)) && p.account.is_some() && !not.contains(&p.id_number.as_str())).expect("someone of that age")
}

fn entitlement<'a>(mine: &'a Value, benefit: &str) -> Option<&'a Value> {
    mine["receiving"].as_array().expect("receiving").iter().find(|e| e["benefit"] == benefit)
}

async fn publish(t: &TestApp, login: &str, record_type: &str, subject: &str, data: Value) {
    let tok = t.login(login).await;
    let r = t.post(&tok, "/api/pool/records", json!({ "record_type": record_type, "subject": subject, "data": data })).await;
    assert_eq!(r.status, StatusCode::CREATED, "publish {record_type}: {}", r.body);
}

async fn open_benefits(t: &TestApp, key: &str) -> Vec<String> {
    t.strings(&format!("SELECT benefit FROM welfare_entitlement WHERE person_key = '{key}' AND status = 'open' ORDER BY benefit")).await
}

#[tokio::test]
async fn elders_get_the_allowance_without_applying_and_birthdays_deaths_and_moves_change_it() {
    for db in backends() {
        let t = TestApp::spawn(db).await;
        let clerk = t.login("mzj_clerk").await;
        let elder = aged(&t, 81..=98, &[]).await;
        let mover = aged(&t, 81..=98, &[&elder.id_number]).await;
        let young = aged(&t, 30..=50, &[]).await;

        // Nobody applied: the sweep finds who is entitled from the registers.
        let r = t.post(&clerk, "/api/welfare/sweep", json!({})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert!(r.body["opened"].as_u64().unwrap_or(0) >= 2, "{}", r.body);
        assert_eq!(open_benefits(&t, &elder.id_number).await, vec!["old_age_allowance"]);
        assert!(open_benefits(&t, &young.id_number).await.is_empty());
        // Again: nothing changes, nothing is opened twice.
        let r = t.post(&clerk, "/api/welfare/sweep", json!({})).await;
        assert_eq!((r.body["opened"].as_u64(), r.body["closed"].as_u64()), (Some(0), Some(0)), "{}", r.body);

        // The elder sees it, 60 yuan a month, and why; and was told.
        let tok = t.login(&elder.id_number).await;
        let mine = t.get(&tok, "/api/welfare/mine").await;
        assert_eq!(mine.status, StatusCode::OK, "{}", mine.body);
        let e = entitlement(&mine.body, "old_age_allowance").expect("the allowance");
        assert_eq!((e["amount_fen"].as_i64(), e["source"].as_str()), (Some(6000), Some("registers")));
        let d = mine.body["decisions"].as_array().expect("decisions").iter().find(|d| d["benefit"] == "old_age_allowance").expect("decision");
        assert_eq!(d["outcome"], "entitled");
        assert!(d["reasons"].as_array().expect("reasons").iter().any(|r| r["clause"].as_str().is_some_and(|c| c.contains("age")) && r["holds"] == true), "{d}");
        let notices = t.strings(&format!("SELECT text_zh FROM notice WHERE recipient = 'account:{}' AND kind = 'welfare_opened'", elder.account.expect("account"))).await;
        assert_eq!(notices.len(), 1, "{notices:?}");
        assert!(notices[0].contains("无需申请"), "{}", notices[0]);
        // The ID number is masked in what comes back.
        assert!(!mine.body["person"].as_str().unwrap_or("").contains(&elder.id_number[6..14]));

        // A 79-year-old turns 80: the next day's sweep opens it, paid from the month after.
        let d = today(&t);
        let turning = people(&t).await.into_iter().find(|p| age(p, d) == 79 && p.account.is_some()).expect("a 79-year-old");
        let birthday = turning.birth_date.with_year(turning.birth_date.year() + 80).unwrap_or(turning.birth_date + chrono::Duration::days(80 * 365 + 20));
        t.set_china_time(birthday, 0, 30);
        assert!(open_benefits(&t, &turning.id_number).await.is_empty());
        let clerk = t.login("mzj_clerk").await;
        let r = t.post(&clerk, "/api/welfare/sweep", json!({})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(open_benefits(&t, &turning.id_number).await, vec!["old_age_allowance"]);

        // A death, published by the health commission, closes it at once (no sweep).
        publish(&t, "wjw_clerk", "death_medical_cert", &elder.id_number, json!({ "name": elder.name, "death_date": birthday.to_string() })).await;
        assert!(open_benefits(&t, &elder.id_number).await.is_empty(), "closed on the death record");
        let why = t.strings(&format!("SELECT reason_zh FROM welfare_event WHERE person_key = '{}' AND kind = 'closed'", elder.id_number)).await;
        assert_eq!(why.len(), 1);
        assert!(why[0].contains("alive"), "{}", why[0]);
        // A move out of the district, published by the police, too.
        publish(&t, "ga_clerk", "household_cancellation", &mover.id_number, json!({ "name": mover.name, "reason": "迁出", "cancelled_on": birthday.to_string(), "destination": "上海市" })).await;
        assert!(open_benefits(&t, &mover.id_number).await.is_empty(), "closed on the move");
        t.shutdown().await;
    }
}

#[tokio::test]
async fn a_run_is_frozen_once_approved_by_another_paid_through_the_bank_and_never_pays_twice() {
    for db in backends() {
        let t = TestApp::spawn(db).await;
        let clerk = t.login("mzj_clerk").await;
        let approver = t.login("mzj_approver").await;
        let cl = t.login("cl_clerk").await;
        let elder = aged(&t, 81..=98, &[]).await;
        publish(&t, "rsj_clerk", "social_security_card", &elder.id_number, json!({ "name": elder.name, "card_number": "A00000001", "bank": "中国农业银行富阳支行", "account": "6228000000000000001" })).await;
        t.post(&clerk, "/api/welfare/sweep", json!({})).await;
        let month = welfare::Month::of(today(&t)).to_string();

        // A preview stores nothing.
        let r = t.post(&clerk, "/api/welfare/runs/preview", json!({ "month": month })).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let preview_lines = r.body["lines"].as_i64().expect("lines");
        assert!(preview_lines >= 1);
        assert_eq!(t.count("welfare_run").await, 0);
        // Frozen once; a second start is refused and changes nothing.
        let r = t.post(&clerk, "/api/welfare/runs", json!({ "month": month })).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let run = r.body["id"].as_str().expect("id").to_owned();
        assert_eq!(r.body["lines"].as_i64(), Some(preview_lines));
        // Amounts reconcile to the fen: the run's total is the sum of its benefits'.
        let sum: i64 = r.body["totals"].as_array().expect("totals").iter().map(|x| x["amount_fen"].as_i64().unwrap_or(0)).sum();
        assert_eq!(r.body["amount_fen"].as_i64(), Some(sum));
        let payments = t.count("welfare_payment").await;
        let again = t.post(&clerk, "/api/welfare/runs", json!({ "month": month })).await;
        assert_eq!((again.status, again.code()), (StatusCode::CONFLICT, "run_exists"), "{}", again.body);
        assert_eq!(t.count("welfare_payment").await, payments);

        // No bank file before approval; the clerk may not approve his own run.
        let r = t.request(Method::GET, Some(&clerk), &format!("/api/welfare/runs/{run}/bank-file"), None, &[]).await;
        assert_eq!((r.status, r.code()), (StatusCode::CONFLICT, "not_approved"));
        let r = t.post(&clerk, &format!("/api/welfare/runs/{run}/approve"), json!({})).await;
        assert_eq!((r.status, r.code()), (StatusCode::FORBIDDEN, "four_eyes"), "{}", r.body);
        // Another department's staff cannot even see it.
        let r = t.get(&cl, &format!("/api/welfare/runs/{run}")).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        let r = t.post(&approver, &format!("/api/welfare/runs/{run}/approve"), json!({})).await;
        assert_eq!((r.status, r.body["status"].as_str()), (StatusCode::OK, Some("approved")), "{}", r.body);
        let r = t.post(&approver, &format!("/api/welfare/runs/{run}/approve"), json!({})).await;
        assert_eq!(r.status, StatusCode::CONFLICT);

        // The payment file: header, lines with accounts, a trailer with count and total.
        let resp = t.http.get(format!("{}/api/welfare/runs/{run}/bank-file", t.url)).bearer_auth(&approver).send().await.expect("file");
        assert_eq!(resp.status(), StatusCode::OK);
        assert!(resp.headers()["content-type"].to_str().unwrap_or("").starts_with("text/csv"));
        let file = resp.text().await.expect("text");
        let rows: Vec<&str> = file.lines().collect();
        assert_eq!(rows[0], "batch,month,line,reference,id_number,name,account,amount");
        assert!(rows.last().is_some_and(|l| l.starts_with("TRAILER,")));
        let elder_row = rows.iter().find(|l| l.contains(&elder.id_number)).expect("the elder is paid");
        assert!(elder_row.contains("6228000000000000001") && elder_row.ends_with(",60.00"), "{elder_row}");

        // A bad return file changes nothing and names every wrong line.
        let bad = format!("batch,reference,account,amount,status,reason\n{run},{run}-999999,1,1.00,00,\nother,{run}-1,1,1.00,00,\n");
        let r = t.raw(Method::POST, Some(&approver), &format!("/api/welfare/runs/{run}/returns"), Some("text/csv"), bad.into_bytes(), &[]).await;
        assert_eq!((r.status, r.code()), (StatusCode::UNPROCESSABLE_ENTITY, "bad_return_file"), "{}", r.body);
        assert_eq!(t.strings(&format!("SELECT status FROM welfare_payment WHERE run_id = {run} AND status = 'paid'")).await.len(), 0);
        // The bank pays the elder and fails one other line (if any).
        let back = demo::seed_welfare::bank_return(&file, &run, 1);
        let r = t.raw(Method::POST, Some(&approver), &format!("/api/welfare/runs/{run}/returns"), Some("text/csv"), back.clone().into_bytes(), &[]).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.body["unanswered"].as_u64(), Some(0));
        assert_eq!(r.body["run"]["status"], "returned");
        let st = t.strings(&format!("SELECT status FROM welfare_payment WHERE run_id = {run} AND person_key = '{}'", elder.id_number)).await;
        assert_eq!(st, vec!["paid"]);
        // The same return again: the run is no longer waiting for one.
        let r = t.raw(Method::POST, Some(&approver), &format!("/api/welfare/runs/{run}/returns"), Some("text/csv"), back.into_bytes(), &[]).await;
        assert_eq!((r.status, r.code()), (StatusCode::CONFLICT, "not_exported"));

        // Next month pays the month after; this month is never paid again.
        let next = welfare::Month::of(today(&t)).next().to_string();
        let r = t.post(&clerk, "/api/welfare/runs/preview", json!({ "month": next })).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert!(r.body["payments"].as_array().expect("lines").iter().all(|l| l["month"] == next), "{}", r.body);

        // A death reported late: paid for a month she did not live to see, recovered.
        let died = welfare::Month::of(today(&t)).first_day() - chrono::Duration::days(3);
        publish(&t, "wjw_clerk", "death_medical_cert", &elder.id_number, json!({ "name": elder.name, "death_date": died.to_string() })).await;
        let r = t.post(&clerk, "/api/welfare/runs/preview", json!({ "month": next })).await;
        let rec = r.body["recoveries"].as_array().expect("recoveries");
        assert!(rec.iter().any(|x| x["month"] == month && x["amount_fen"] == 6000), "{}", r.body);
        t.shutdown().await;
    }
}

#[tokio::test]
async fn outsiders_garbage_and_objections() {
    for db in backends() {
        let t = TestApp::spawn(db).await;
        let clerk = t.login("mzj_clerk").await;
        let worker = t.login("community_worker").await;
        let (me, mine) = t.citizen().await;
        let (other, _) = t.other_citizen(&me).await;
        t.post(&clerk, "/api/welfare/sweep", json!({})).await;

        // A resident is neither a department nor a worker.
        for (m, path) in [("POST", "/api/welfare/runs"), ("POST", "/api/welfare/sweep"), ("GET", "/api/welfare/runs"), ("GET", "/api/welfare/flags"), ("GET", "/api/welfare/entitlements")] {
            let method = Method::from_bytes(m.as_bytes()).expect("method");
            let body = if m == "POST" { Some(json!({ "month": "2026-03" })) } else { None };
            let r = t.request(method, Some(&mine), path, body, &[]).await;
            assert_eq!(r.status, StatusCode::FORBIDDEN, "{m} {path}: {}", r.body);
        }
        // Another person's benefits are not a resident's to know of.
        let r = t.get(&mine, &format!("/api/welfare/people/{other}")).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        // A worker sees people of her division only.
        let outside = people(&t).await.into_iter().find(|p| !p.division.starts_with("330111001")).expect("someone elsewhere");
        let r = t.get(&worker, &format!("/api/welfare/people/{}", outside.id_number)).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        // A department reading someone's benefits is logged where that person sees it.
        let r = t.get(&clerk, &format!("/api/welfare/people/{me}")).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let log = t.get(&mine, "/api/pool/me/access-log").await;
        assert!(log.body.as_array().expect("log").iter().any(|e| e["purpose"] == "assistance"), "{}", log.body);

        // Garbage: unknown fields, a bad month, a month too far ahead, an unknown benefit.
        let r = t.post(&clerk, "/api/welfare/runs", json!({ "month": "2026-03", "evil": 1 })).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        let r = t.post(&clerk, "/api/welfare/runs", json!({ "month": "March" })).await;
        assert_eq!((r.status, r.code()), (StatusCode::UNPROCESSABLE_ENTITY, "bad_month"));
        let r = t.post(&clerk, "/api/welfare/runs/preview", json!({ "month": "2031-01" })).await;
        assert_eq!((r.status, r.code()), (StatusCode::UNPROCESSABLE_ENTITY, "month_too_far"));
        let r = t.post(&clerk, "/api/welfare/runs", json!({ "month": "2026-03", "department": "cl" })).await;
        assert_eq!((r.status, r.code()), (StatusCode::FORBIDDEN, "not_your_department"));
        assert_eq!(t.count("welfare_run").await, 0);
        let r = t.post(&mine, "/api/welfare/objections", json!({ "benefit": "no_such", "text": "x" })).await;
        assert_eq!((r.status, r.code()), (StatusCode::UNPROCESSABLE_ENTITY, "unknown_benefit"));
        let r = t.post(&mine, "/api/welfare/objections", json!({ "benefit": "old_age_allowance", "text": "  " })).await;
        assert_eq!((r.status, r.code()), (StatusCode::UNPROCESSABLE_ENTITY, "text_required"));

        // An objection goes to the benefit's department; one at a time; answered once.
        let r = t.post(&mine, "/api/welfare/objections", json!({ "benefit": "disability_care", "text": "我母亲卧床多年，证件等级有误" })).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let id = r.body["id"].as_str().expect("id").to_owned();
        let r = t.post(&mine, "/api/welfare/objections", json!({ "benefit": "disability_care", "text": "再问一次" })).await;
        assert_eq!((r.status, r.code()), (StatusCode::CONFLICT, "objection_open"));
        // Civil affairs does not pay the care subsidy: not theirs to see or answer.
        let r = t.post(&clerk, &format!("/api/welfare/objections/{id}/decision"), json!({ "uphold": false, "answer": "不成立" })).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        let cl = t.login("cl_clerk").await;
        let listed = t.get(&cl, "/api/welfare/objections").await;
        assert!(listed.body.as_array().expect("list").iter().any(|o| o["id"] == id.as_str()));
        let r = t.post(&cl, &format!("/api/welfare/objections/{id}/decision"), json!({ "uphold": false, "answer": "残疾等级以残疾人证为准，请先申请等级复评" })).await;
        assert_eq!((r.status, r.body["status"].as_str()), (StatusCode::OK, Some("rejected")), "{}", r.body);
        let r = t.post(&cl, &format!("/api/welfare/objections/{id}/decision"), json!({ "uphold": true, "answer": "改判" })).await;
        assert_eq!((r.status, r.code()), (StatusCode::CONFLICT, "objection_decided"));
        let seen = t.get(&mine, "/api/welfare/mine").await;
        assert!(seen.body["objections"].as_array().expect("objections").iter().any(|o| o["status"] == "rejected"));
        t.shutdown().await;
    }
}

#[tokio::test]
async fn a_household_in_difficulty_is_found_visited_enrolled_and_sees_its_happiness_list() {
    for db in backends() {
        let t = TestApp::spawn(db).await;
        let clerk = t.login("mzj_clerk").await;
        let worker = t.login("community_worker").await;
        // A household of the worker's division with a low income found by a finance check.
        let d = today(&t);
        let head = people(&t).await.into_iter().find(|p| p.division.starts_with("330111001") && p.account.is_some() && age(p, d) >= 30).expect("a resident of 富春");
        publish(&t, "mzj_clerk", "household_finance_check", &head.id_number, json!({ "name": head.name, "income_per_head_fen": 40_000, "checked_on": d.to_string() })).await;
        // Below the standard: the minimum living allowance opens by itself.
        assert!(open_benefits(&t, &head.id_number).await.contains(&"dibao".to_owned()));
        let r = t.post(&clerk, "/api/welfare/sweep", json!({})).await;
        assert!(r.body["flagged"].as_u64().unwrap_or(0) >= 1, "{}", r.body);

        let hh = t.strings(&format!("SELECT CAST(household AS TEXT) FROM person WHERE id_number = '{}'", head.id_number)).await.remove(0);
        let list = t.get(&worker, "/api/welfare/flags").await;
        assert_eq!(list.status, StatusCode::OK, "{}", list.body);
        let flag = list.body.as_array().expect("flags").iter().find(|f| f["household"] == hh.as_str()).expect("the household is on the worklist").clone();
        assert_eq!(flag["origin"], "proactive");
        assert!(flag["reasons"].as_array().expect("reasons").iter().any(|r| r["code"].as_str().is_some()));
        let service = flag["suggested"].as_array().and_then(|s| s.first()).map(|s| s["id"].as_str().unwrap_or("").to_owned()).expect("a suggested service");

        // A visit needs a known outcome and services; a department does not visit.
        let r = t.post(&worker, &format!("/api/welfare/flags/{hh}/visit"), json!({ "outcome": "maybe", "note": "走访" })).await;
        assert_eq!((r.status, r.code()), (StatusCode::UNPROCESSABLE_ENTITY, "bad_outcome"));
        let r = t.post(&worker, &format!("/api/welfare/flags/{hh}/visit"), json!({ "outcome": "enrolled", "note": "走访", "services": ["no-such"] })).await;
        assert_eq!((r.status, r.code()), (StatusCode::UNPROCESSABLE_ENTITY, "unknown_service"));
        let r = t.post(&clerk, &format!("/api/welfare/flags/{hh}/visit"), json!({ "outcome": "enrolled", "note": "走访", "services": [service] })).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        let r = t.post(&worker, &format!("/api/welfare/flags/{hh}/visit"), json!({ "outcome": "enrolled", "note": "入户核实，家中老人患病", "services": [service] })).await;
        assert_eq!((r.status, r.body["status"].as_str()), (StatusCode::OK, Some("enrolled")), "{}", r.body);

        // Paid this month, and the household's list shows the allowance and the service.
        let month = welfare::Month::of(d).to_string();
        let run = t.post(&clerk, "/api/welfare/runs", json!({ "month": month })).await;
        assert_eq!(run.status, StatusCode::OK, "{}", run.body);
        let tok = t.login(&head.id_number).await;
        let h = t.get(&tok, "/api/welfare/mine/happiness").await;
        assert_eq!(h.status, StatusCode::OK, "{}", h.body);
        let received = h.body["received"].as_array().expect("received");
        assert!(received.iter().any(|l| l["kind"] == "allowance" && l["item"].as_str().is_some_and(|i| i.contains("最低生活保障"))), "{}", h.body);
        assert!(received.iter().any(|l| l["kind"] == "relief"), "{}", h.body);
        assert!(h.body["total_fen"].as_i64().unwrap_or(0) > 0);
        // Someone else's household is not theirs to read.
        let (_, other_tok) = t.other_citizen(&head.id_number).await;
        let r = t.get(&other_tok, &format!("/api/welfare/households/{hh}/happiness")).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
        let r = t.get(&tok, "/api/welfare/mine/happiness?from=2026-13").await;
        assert_eq!((r.status, r.code()), (StatusCode::UNPROCESSABLE_ENTITY, "bad_month"));

        // A resident asks for help: counted as an application, not as found.
        let r = t.post(&other_tok, "/api/welfare/help", json!({ "text": "丈夫住院，家里没有收入" })).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let fig = t.get(&clerk, "/api/welfare/figures").await;
        assert_eq!(fig.status, StatusCode::OK, "{}", fig.body);
        assert!(fig.body["enrolled_proactive"].as_i64() >= Some(1));
        assert!(fig.body["flagged_application"].as_i64() >= Some(1) || fig.body["flagged_proactive"].as_i64() >= Some(1));
        t.shutdown().await;
    }
}

#[tokio::test]
async fn the_directory_is_open_referral_hsds() {
    let t = TestApp::spawn(crate::helpers::Db::Sqlite).await;
    let r = t.request(Method::GET, None, "/api/welfare/directory", None, &[]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let services = r.body.as_array().expect("an array of services");
    assert!(services.len() >= 10);
    for s in services {
        for f in ["id", "name", "status"] {
            assert!(s[f].is_string(), "service without {f}: {s}");
        }
        assert!(s["organization"]["id"].is_string() && s["organization"]["name"].is_string(), "{s}");
    }
    let r = t.request(Method::GET, None, "/api/welfare/directory?signal=elder_alone", None, &[]).await;
    assert!(r.body.as_array().expect("array").len() < services.len());
    let r = t.request(Method::GET, None, "/api/welfare/directory?town=abc", None, &[]).await;
    assert_eq!((r.status, r.code()), (StatusCode::UNPROCESSABLE_ENTITY, "bad_town"));
    let r = t.request(Method::GET, None, "/api/welfare/benefits", None, &[]).await;
    assert!(r.body["benefits"].as_array().expect("benefits").iter().any(|b| b["code"] == "old_age_allowance"));
    t.shutdown().await;
}
