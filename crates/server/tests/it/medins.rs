//! Medical insurance (issue 35) over HTTP, on SQLite and (when configured) PostgreSQL: hospitals
//! send their own episodes (JSON and CSV), a re-send is no change and a different one under the
//! same number is refused, a tertiary hospital applies and the bureau decides, the bureau
//! previews, freezes and — as another person — approves a month, nothing is settled twice, a
//! hospital sees only its own part, and every episode written or read is in its patient's
//! access log. Garbage and other people's data as an outsider would try them.

use reqwest::Method;
use reqwest::StatusCode;
use serde_json::Value;
use serde_json::json;

use crate::helpers::ClockExt;
use crate::helpers::TestApp;
use crate::helpers::backends;

fn episode(hospital: &str, id: &str, patient: &str, admitted: &str, discharged: &str, dx: &str, cost_fen: i64) -> Value {
    json!({
        "hospital": hospital, "id": id, "patient": patient, "admitted": admitted, "discharged": discharged,
        "age": 67, "sex": "female", "principal_dx": dx, "other_dx": [], "procedures": [],
        "costs": [{"category": "bed", "fen": cost_fen / 5}, {"category": "western_medicine", "fen": cost_fen - cost_fen / 5}],
        "insurance": "employee"
    })
}

async fn send(t: &TestApp, token: &str, episodes: Vec<Value>) -> crate::helpers::Resp {
    t.post(token, "/api/medins/episodes", json!({ "episodes": episodes })).await
}

#[tokio::test]
async fn a_month_is_received_settled_frozen_and_approved_by_another_person() {
    for db in backends() {
        let t = TestApp::spawn(db).await;
        let doctor = t.login("fy-1h_doctor").await;
        let clerk = t.login("ybj_clerk").await;
        let approver = t.login("ybj_approver").await;
        let (patient, patient_token) = t.citizen().await;
        let (other, _) = t.other_citizen(&patient).await;

        // The scheme's hospitals: tertiary ones are not in until they apply.
        let r = t.get(&doctor, "/api/medins/hospitals").await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let fy1h = r.body.as_array().expect("list").iter().find(|h| h["code"] == "fy-1h").expect("fy-1h").clone();
        assert_eq!((fy1h["level"].as_str(), fy1h["membership"].as_str()), (Some("tertiary"), Some("not_in")));
        let fy2h = r.body.as_array().expect("list").iter().find(|h| h["code"] == "fy-2h").expect("fy-2h").clone();
        assert_eq!(fy2h["membership"], "included");

        // A hospital sends its own February episodes.
        let feb = vec![
            episode("fy-1h", "ZY2026-0001", &patient, "2026-02-02", "2026-02-09", "J18.9", 900_000),
            episode("fy-1h", "ZY2026-0002", &other, "2026-02-03", "2026-02-20", "I63.9", 2_400_000),
            episode("fy-1h", "ZY2026-0003", &patient, "2026-02-21", "2026-02-26", "J18.9", 700_000),
        ];
        let r = send(&t, &doctor, feb.clone()).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.body["received"], 3);
        // The same again changes nothing; another under the same number is refused.
        let r = send(&t, &doctor, feb.clone()).await;
        assert_eq!((r.status, r.body["received"].as_u64(), r.body["unchanged"].as_u64()), (StatusCode::OK, Some(0), Some(3)), "{}", r.body);
        let mut changed = feb[0].clone();
        changed["costs"][0]["fen"] = json!(1);
        let r = send(&t, &doctor, vec![changed]).await;
        assert_eq!((r.status, r.code()), (StatusCode::CONFLICT, "duplicate_episode"), "{}", r.body);
        // Another hospital's episode, from this hospital: refused, nothing kept.
        let r = send(&t, &doctor, vec![episode("fy-2h", "X1", &patient, "2026-02-02", "2026-02-05", "J18.9", 300_000)]).await;
        assert_eq!((r.status, r.code()), (StatusCode::FORBIDDEN, "not_your_hospital"), "{}", r.body);
        // The bureau may send for any hospital.
        let r = send(&t, &clerk, vec![episode("fy-2h", "E-77", &other, "2026-02-10", "2026-02-14", "J18.9", 400_000)]).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);

        // A hospital lists its own; the patient is masked; the patient sees the write and the read.
        let r = t.get(&doctor, "/api/medins/episodes?month=2026-02").await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.body["total"], 3);
        let listed = r.body["episodes"].as_array().expect("episodes");
        assert!(listed.iter().all(|e| e["hospital"] == "fy-1h" && !e["patient"].as_str().unwrap_or("").contains(&patient[6..14])), "{listed:?}");
        assert!(listed.iter().all(|e| !e["drg"].as_str().unwrap_or("").is_empty()));
        let r = t.get(&doctor, "/api/medins/episodes?hospital=fy-2h").await;
        assert_eq!((r.status, r.code()), (StatusCode::FORBIDDEN, "not_your_hospital"));
        let log = t.get(&patient_token, "/api/pool/me/access-log?limit=200").await;
        let text = log.body.to_string();
        assert!(text.contains("inpatient-episode:fy-1h/ZY2026-0001"), "{text}");

        // fy-1h applies; the bureau approves it from January.
        let r = t.post(&clerk, "/api/medins/hospitals/fy-1h/apply", json!({})).await;
        assert_eq!((r.status, r.code()), (StatusCode::FORBIDDEN, "role_forbidden"), "only hospitals apply");
        let r = t.post(&doctor, "/api/medins/hospitals/fy-2h/apply", json!({})).await;
        assert_eq!((r.status, r.code()), (StatusCode::FORBIDDEN, "not_your_hospital"));
        // A secondary hospital is included: it does not apply.
        let fy2h_doctor = t.login("fy-2h_doctor").await;
        let r = t.post(&fy2h_doctor, "/api/medins/hospitals/fy-2h/apply", json!({})).await;
        assert_eq!((r.status, r.code()), (StatusCode::UNPROCESSABLE_ENTITY, "invalid_membership"), "{}", r.body);
        let r = t.post(&doctor, "/api/medins/hospitals/fy-1h/apply", json!({"note": "已具备条件"})).await;
        assert_eq!((r.status, r.body["membership"].as_str()), (StatusCode::OK, Some("applied")), "{}", r.body);
        let r = t.post(&doctor, "/api/medins/hospitals/fy-1h/apply", json!({})).await;
        assert_eq!((r.status, r.code()), (StatusCode::CONFLICT, "membership_state"));
        let r = t.post(&clerk, "/api/medins/hospitals/fy-1h/decision", json!({"approve": false})).await;
        assert_eq!((r.status, r.code()), (StatusCode::UNPROCESSABLE_ENTITY, "note_required"), "{}", r.body);
        let r = t.post(&clerk, "/api/medins/hospitals/fy-1h/decision", json!({"approve": true, "since": "2026-01-01"})).await;
        assert_eq!((r.status, r.body["membership"].as_str(), r.body["since"].as_str()), (StatusCode::OK, Some("approved"), Some("2026-01-01")), "{}", r.body);

        // The bureau previews and freezes February; March is not over.
        let r = t.post(&clerk, "/api/medins/settlements/2026-03/freeze", json!({"budget_fen": 10_000_000})).await;
        assert_eq!((r.status, r.code()), (StatusCode::CONFLICT, "month_not_over"));
        let r = t.post(&doctor, "/api/medins/settlements/2026-02/preview", json!({"budget_fen": 10_000_000})).await;
        assert_eq!((r.status, r.code()), (StatusCode::FORBIDDEN, "role_forbidden"));
        let preview = t.post(&clerk, "/api/medins/settlements/2026-02/preview", json!({"budget_fen": 10_000_000})).await;
        assert_eq!(preview.status, StatusCode::OK, "{}", preview.body);
        assert_eq!((preview.body["status"].as_str(), preview.body["episodes"].as_u64()), (Some("preview"), Some(4)));
        let paid: i64 = preview.body["hospitals"].as_array().expect("hospitals").iter().map(|h| h["payment_fen"].as_i64().unwrap_or(0)).sum();
        assert!((paid - 10_000_000).abs() <= 4, "the budget is shared out: {paid}");
        // The second stay of the patient within 15 days of the first is flagged.
        let lines = preview.body["lines"].as_array().expect("lines");
        assert!(lines.iter().any(|l| l["episode"] == "ZY2026-0003" && l["readmission_of"] == "ZY2026-0001"), "{lines:?}");
        let frozen = t.post(&clerk, "/api/medins/settlements/2026-02/freeze", json!({"budget_fen": 10_000_000})).await;
        assert_eq!((frozen.status, frozen.body["status"].as_str()), (StatusCode::OK, Some("frozen")), "{}", frozen.body);
        assert_eq!(frozen.body["digest"], preview.body["digest"], "a preview and the freeze of the same data agree");
        let again = t.post(&clerk, "/api/medins/settlements/2026-02/freeze", json!({"budget_fen": 10_000_000})).await;
        assert_eq!((again.status, &again.body["digest"]), (StatusCode::OK, &frozen.body["digest"]));
        let other_budget = t.post(&clerk, "/api/medins/settlements/2026-02/freeze", json!({"budget_fen": 9_000_000})).await;
        assert_eq!((other_budget.status, other_budget.code()), (StatusCode::CONFLICT, "settlement_frozen"));
        // No more February episodes once it is frozen.
        let r = send(&t, &doctor, vec![episode("fy-1h", "ZY2026-0099", &patient, "2026-02-26", "2026-02-28", "J18.9", 100_000)]).await;
        assert_eq!((r.status, r.code()), (StatusCode::CONFLICT, "month_settled"), "{}", r.body);

        // Approval: not by who froze it; then by another; once.
        let r = t.post(&clerk, "/api/medins/settlements/2026-02/approve", json!({})).await;
        assert_eq!((r.status, r.code()), (StatusCode::FORBIDDEN, "four_eyes"));
        let r = t.request(Method::POST, Some(&approver), "/api/medins/settlements/2026-02/approve", None, &[]).await;
        assert_eq!((r.status, r.body["status"].as_str()), (StatusCode::OK, Some("approved")), "{}", r.body);
        let r = t.post(&approver, "/api/medins/settlements/2026-02/approve", json!({})).await;
        assert_eq!((r.status, r.code()), (StatusCode::CONFLICT, "already_approved"));

        // A hospital sees its own part only.
        let r = t.get(&doctor, "/api/medins/settlements/2026-02").await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert!(r.body["hospitals"].as_array().expect("hospitals").iter().all(|h| h["hospital"] == "fy-1h"));
        assert!(r.body["lines"].as_array().expect("lines").iter().all(|l| l["hospital"] == "fy-1h"));
        assert_eq!(r.body["lines_total"], 3);
        let r = t.get(&clerk, "/api/medins/settlements").await;
        assert_eq!(r.body[0]["month"], "2026-02");

        // The indicators.
        let r = t.get(&clerk, "/api/medins/indicators").await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert!(r.body["rows"].as_array().expect("rows").iter().any(|row| row["hospital"] == "fy-1h" && row["month"] == "2026-02" && row["episodes"] == 3));
        t.shutdown().await;
    }
}

#[tokio::test]
async fn garbage_and_bad_episodes_are_refused_and_change_nothing() {
    let t = TestApp::spawn(crate::helpers::Db::Sqlite).await;
    let doctor = t.login("fy-1h_doctor").await;
    let (patient, resident) = t.citizen().await;
    let before = t.count("medins_episode").await;
    let cases: Vec<(Value, &str, &str)> = vec![
        (episode("fy-1h", "A1", &patient, "2026-02-09", "2026-02-02", "J18.9", 100_000), "", "discharge before admission"),
        (episode("fy-1h", "A2", &patient, "2026-02-02", "2026-02-09", "X99.9", 100_000), "principal_dx", "unknown diagnosis"),
        (episode("fy-1h", "A3", "330183199001011230", "2026-02-02", "2026-02-09", "J18.9", 100_000), "patient", "bad check digit"),
        (episode("fy-9x", "A4", &patient, "2026-02-02", "2026-02-09", "J18.9", 100_000), "hospital", "unknown hospital"),
        (episode("fy-1h", "A5", &patient, "2026-02-31", "2026-03-09", "J18.9", 100_000), "admitted", "no such date"),
    ];
    for (bad, field, why) in cases {
        // A good one first: the request is all or nothing.
        let good = episode("fy-1h", "OK1", &patient, "2026-02-02", "2026-02-05", "J18.9", 100_000);
        let r = send(&t, &doctor, vec![good, bad]).await;
        assert!(r.status.is_client_error(), "{why}: {} {}", r.status, r.body);
        assert!(!r.code().is_empty() && r.body["message"].is_string() && r.body["message_en"].is_string(), "{why}: {}", r.body);
        assert!(r.body["field"].as_str().unwrap_or("").starts_with("episodes[1]"), "{why}: {}", r.body);
        assert!(r.body["field"].as_str().unwrap_or("").ends_with(field), "{why}: {}", r.body);
    }
    let mut procedure = episode("fy-1h", "A6", &patient, "2026-02-02", "2026-02-09", "J18.9", 100_000);
    procedure["procedures"] = json!(["99.999"]);
    let r = send(&t, &doctor, vec![procedure]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body["field"].as_str().unwrap_or("").contains("procedures"), "{}", r.body);
    // Two with one number in one request.
    let twice = episode("fy-1h", "B1", &patient, "2026-02-02", "2026-02-05", "J18.9", 100_000);
    let r = send(&t, &doctor, vec![twice.clone(), twice]).await;
    assert_eq!((r.status, r.code()), (StatusCode::UNPROCESSABLE_ENTITY, "duplicate_episode"));
    // Not JSON, an unknown field, an empty list, another media type.
    let r = t.raw(Method::POST, Some(&doctor), "/api/medins/episodes", Some("application/json"), b"{not json".to_vec(), &[]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = t.post(&doctor, "/api/medins/episodes", json!({"episodes": [], "extra": 1})).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    let r = t.post(&doctor, "/api/medins/episodes", json!({"episodes": []})).await;
    assert_eq!((r.status, r.code()), (StatusCode::UNPROCESSABLE_ENTITY, "no_episodes"));
    let r = t.raw(Method::POST, Some(&doctor), "/api/medins/episodes", Some("text/plain"), b"hello".to_vec(), &[]).await;
    assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    // A bad month and a bad budget.
    let clerk = t.login("ybj_clerk").await;
    for month in ["2026-13", "26-02", "2026-2", "abc", "2026-02-01"] {
        let r = t.post(&clerk, &format!("/api/medins/settlements/{month}/preview"), json!({"budget_fen": 1})).await;
        assert_eq!((r.status, r.code()), (StatusCode::UNPROCESSABLE_ENTITY, "invalid_month"), "{month}");
    }
    let r = t.post(&clerk, "/api/medins/settlements/2026-02/preview", json!({"budget_fen": 0})).await;
    assert_eq!((r.status, r.code()), (StatusCode::UNPROCESSABLE_ENTITY, "invalid_budget"));
    let r = t.get(&clerk, "/api/medins/settlements/2026-02").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // A resident may use none of it.
    for path in ["/api/medins/hospitals", "/api/medins/episodes", "/api/medins/settlements", "/api/medins/indicators"] {
        let r = t.get(&resident, path).await;
        assert_eq!((r.status, r.code()), (StatusCode::FORBIDDEN, "role_forbidden"), "{path}");
    }
    assert_eq!(t.count("medins_episode").await, before, "nothing was kept");
    t.shutdown().await;
}

#[tokio::test]
async fn a_csv_of_episodes_is_read_and_a_bad_line_is_named() {
    let t = TestApp::spawn(crate::helpers::Db::Sqlite).await;
    let doctor = t.login("fy-1h_doctor").await;
    let (patient, _) = t.citizen().await;
    let head = "hospital,id,patient,admitted,discharged,age,sex,principal_dx,other_dx,procedures,insurance,bed,consultation,examination,laboratory,treatment,surgery,nursing,materials,western_medicine,chinese_patent_medicine,chinese_herbal_medicine,other";
    let good = format!("{head}\r\nfy-1h,C1,{patient},2026-02-02,2026-02-09,70,male,J18.9,,,resident,800,200,,,,,,,3000.50,,,\r\n");
    let r = t.raw(Method::POST, Some(&doctor), "/api/medins/episodes", Some("text/csv"), good.into_bytes(), &[]).await;
    assert_eq!((r.status, r.body["received"].as_u64()), (StatusCode::OK, Some(1)), "{}", r.body);
    let bad = format!("{head}\nfy-1h,C2,{patient},2026-02-02,2026-02-09,70,male,J18.9,,,resident,800,,,,,,,,,,,\nfy-1h,C3,{patient},2026-02-02,2026-02-09,70,male,J18.9,,,resident,8OO,,,,,,,,,,,\n");
    let r = t.raw(Method::POST, Some(&doctor), "/api/medins/episodes", Some("text/csv"), bad.into_bytes(), &[]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body["message_en"].as_str().unwrap_or("").contains("Line 3"), "{}", r.body);
    assert_eq!(t.count("medins_episode").await, 1, "the good line of the bad file was not kept");
    t.shutdown().await;
}

#[tokio::test]
async fn the_demo_district_has_a_year_of_episodes_and_all_but_the_last_month_settled() {
    let t = TestApp::spawn(crate::helpers::Db::Sqlite).await;
    demo::seed_medins::seed_medins(&t.state, 7, &mut |_, _, _| {}).await.expect("seed");
    let clerk = t.login("ybj_clerk").await;
    let r = t.get(&clerk, "/api/medins/hospitals").await;
    let membership = |code: &str| r.body.as_array().expect("list").iter().find(|h| h["code"] == code).map(|h| h["membership"].as_str().unwrap_or("").to_owned());
    assert_eq!(membership("fy-1h").as_deref(), Some("approved"));
    assert_eq!(membership("fy-tcm").as_deref(), Some("applied"), "an application waits for the bureau");
    let r = t.get(&clerk, "/api/medins/settlements").await;
    let months = r.body.as_array().expect("settlements");
    assert_eq!(months.len(), 11, "{}", r.body);
    assert!(months.iter().all(|m| m["status"] == "approved"));
    // Last month is the bureau's to settle.
    let today = domain::china_date(t.clock.now_utc());
    let last = {
        use chrono::Datelike;
        let n = today.year() * 12 + today.month0() as i32 - 1;
        format!("{:04}-{:02}", n.div_euclid(12), n.rem_euclid(12) + 1)
    };
    assert!(months.iter().all(|m| m["month"] != last.as_str()));
    let r = t.post(&clerk, &format!("/api/medins/settlements/{last}/preview"), json!({"budget_fen": 500_000_000})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body["episodes"].as_u64().unwrap_or(0) >= 300, "{}", r.body["episodes"]);
    // The first hospital's stays got shorter and cheaper after it joined.
    let r = t.get(&clerk, "/api/medins/indicators").await;
    let fy1h = r.body["before_after"].as_array().expect("before_after").iter().find(|b| b["hospital"] == "fy-1h").cloned().expect("fy-1h before and after");
    assert!(fy1h["length_of_stay_change_pct"].as_f64().unwrap_or(0.0) < -5.0, "{fy1h}");
    assert!(fy1h["cost_change_pct"].as_f64().unwrap_or(0.0) < 0.0, "{fy1h}");
    // The patients are residents of the register.
    let patient = t.strings("SELECT patient_key FROM medins_episode LIMIT 1").await.remove(0);
    assert!(t.state.store.registers().person_by_id_number(&patient).await.expect("query").is_some(), "{patient}");
    t.shutdown().await;
}

fn claim(hospital: &str, id: &str, patient: &str, admitted: &str, discharged: &str, dx: &str, yuan: f64) -> Value {
    json!({
        "resourceType": "Claim", "status": "active", "use": "claim",
        "identifier": [{"system": format!("https://minsheng.fuyang.gov.cn/fhir/sid/inpatient-episode/{hospital}"), "value": id}],
        "type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/claim-type", "code": "institutional"}]},
        "patient": {"identifier": {"system": "urn:oid:2.16.156.10011.1.1", "value": patient}},
        "billablePeriod": {"start": admitted, "end": discharged},
        "created": "2026-03-01T10:00:00+08:00",
        "provider": {"type": "Organization", "identifier": {"system": "https://minsheng.fuyang.gov.cn/fhir/sid/institution", "value": hospital}},
        "priority": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/processpriority", "code": "normal"}]},
        "insurance": [{"sequence": 1, "focal": true, "coverage": {"identifier": {"system": "https://minsheng.fuyang.gov.cn/fhir/CodeSystem/insurance-type", "value": "resident"}}}],
        "diagnosis": [{"sequence": 1, "diagnosisCodeableConcept": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": dx}]},
                       "type": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/ex-diagnosistype", "code": "principal"}]}]}],
        "item": [
            {"sequence": 1, "productOrService": {"coding": [{"system": "https://minsheng.fuyang.gov.cn/fhir/CodeSystem/inpatient-cost-category", "code": "bed"}]}, "net": {"value": yuan / 4.0, "currency": "CNY"}},
            {"sequence": 2, "productOrService": {"coding": [{"system": "https://minsheng.fuyang.gov.cn/fhir/CodeSystem/inpatient-cost-category", "code": "western_medicine"}]}, "net": {"value": yuan * 3.0 / 4.0, "currency": "CNY"}}
        ]
    })
}

async fn fhir_post(t: &TestApp, token: &str, path: &str, body: &Value) -> crate::helpers::Resp {
    t.raw(Method::POST, Some(token), path, Some("application/fhir+json"), body.to_string().into_bytes(), &[]).await
}

#[tokio::test]
async fn a_claim_over_fhir_is_queued_then_answered_with_its_payment() {
    let t = TestApp::spawn(crate::helpers::Db::Sqlite).await;
    let mut kept = crate::fhir::Outputs::new();
    let doctor = t.login("fy-2h_doctor").await;
    let other = t.login("fy-1h_doctor").await;
    let clerk = t.login("ybj_clerk").await;
    let (patient, patient_token) = t.citizen().await;
    let before = t.count("medins_episode").await;

    // Refusals first: each an OperationOutcome naming the element; nothing kept.
    let mut no_provider = claim("fy-2h", "F-1", &patient, "2026-02-02", "2026-02-09", "J18.9", 8000.0);
    no_provider["provider"] = json!({"display": "某医院"});
    let mut unknown_dx = claim("fy-2h", "F-1", &patient, "2026-02-02", "2026-02-09", "X99.9", 8000.0);
    unknown_dx["status"] = json!("active");
    let mut bad_money = claim("fy-2h", "F-1", &patient, "2026-02-02", "2026-02-09", "J18.9", 8000.0);
    bad_money["item"][0]["net"] = json!({"value": 1.234, "currency": "CNY"});
    for (body, expression) in [(no_provider, "Claim.provider"), (unknown_dx, "Claim.diagnosis"), (bad_money, "Claim.item[0].net"), (json!({"resourceType": "Patient"}), "resourceType")] {
        let r = fhir_post(&t, &doctor, "/fhir/Claim/$submit", &body).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{expression}: {}", r.body);
        assert_eq!(r.body["resourceType"], "OperationOutcome");
        assert!(r.body["issue"][0]["expression"].to_string().contains(expression), "{expression}: {}", r.body);
        kept.keep("claim-refused", &r.body);
    }
    // Another hospital's claim from this hospital's account.
    let r = fhir_post(&t, &other, "/fhir/Claim/$submit", &claim("fy-2h", "F-1", &patient, "2026-02-02", "2026-02-09", "J18.9", 8000.0)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert_eq!(t.count("medins_episode").await, before, "nothing was kept");

    // A Claim in a Bundle: queued, with its DRG; the same again is no change.
    let bundle = json!({"resourceType": "Bundle", "type": "collection", "entry": [{"resource": claim("fy-2h", "F-1", &patient, "2026-02-02", "2026-02-09", "J18.9", 8000.0)}]});
    kept.keep("claim-submitted", &bundle);
    let r = fhir_post(&t, &doctor, "/fhir/Claim/$submit", &bundle).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!((r.body["resourceType"].as_str(), r.body["outcome"].as_str()), (Some("ClaimResponse"), Some("queued")));
    assert!(r.body["processNote"][0]["text"].as_str().unwrap_or("").starts_with("DRG "), "{}", r.body);
    assert!(!r.body.to_string().contains(&patient), "the patient's ID number is masked");
    kept.keep("claim-queued", &r.body);
    let again = fhir_post(&t, &doctor, "/fhir/Claim/$submit", &bundle).await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(t.count("medins_episode").await, before + 1);

    // Read back: queued until the month is settled, then complete with the payment.
    let r = t.request(Method::GET, Some(&doctor), "/fhir/ClaimResponse/fy-2h.F-1", None, &[]).await;
    assert_eq!((r.status, r.body["outcome"].as_str()), (StatusCode::OK, Some("queued")), "{}", r.body);
    let r = t.request(Method::GET, Some(&other), "/fhir/ClaimResponse/fy-2h.F-1", None, &[]).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "another hospital's answer is not found");
    let r = t.post(&clerk, "/api/medins/settlements/2026-02/freeze", json!({"budget_fen": 700_000})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = t.request(Method::GET, Some(&doctor), "/fhir/ClaimResponse/fy-2h.F-1", None, &[]).await;
    assert_eq!((r.status, r.body["outcome"].as_str()), (StatusCode::OK, Some("complete")), "{}", r.body);
    assert_eq!(r.body["payment"]["amount"]["value"].as_f64(), Some(7000.0), "the only stay of the month takes the whole budget: {}", r.body);
    assert_eq!(r.body["payment"]["amount"]["currency"], "CNY");
    kept.keep("claim-complete", &r.body);
    let log = t.get(&patient_token, "/api/pool/me/access-log?limit=200").await.body.to_string();
    assert!(log.contains("inpatient-episode:fy-2h/F-1") && log.contains("inpatient-claim:fy-2h/F-1"), "{log}");
    let meta = t.request(Method::GET, None, "/fhir/metadata", None, &[]).await;
    assert!(meta.body.to_string().contains("Claim-submit"), "the capability statement lists $submit");
    kept.validate();
    t.shutdown().await;
}
