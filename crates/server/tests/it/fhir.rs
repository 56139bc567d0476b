//! The FHIR R4 interface and mutual recognition of results over HTTP, on SQLite and (when
//! configured) PostgreSQL: importing a Bundle (and refusing malformed ones without writing),
//! search with code, date and paging links, the recognition check's Bundle with a DetectedIssue,
//! the doctor's decision and the figures, the health-record look-up in the patient's access log,
//! OperationOutcome errors — and, with `MINSHENG_FHIR_VALIDATE=1`, every FHIR answer checked by
//! the independent validator in tools/fhir-validate (HL7's FHIR R4 JSON schema).

use std::path::PathBuf;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{ClockExt, TestApp, backends};

const FHIR: &str = "application/fhir+json";

async fn fhir_get(t: &TestApp, token: Option<&str>, path: &str) -> (StatusCode, Value, String) {
    let r = t.request(Method::GET, token, path, None, &[]).await;
    let ct = r.headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    (r.status, r.body, ct)
}

async fn fhir_post(t: &TestApp, token: &str, path: &str, body: &Value) -> (StatusCode, Value) {
    let r = t.raw(Method::POST, Some(token), path, Some(FHIR), body.to_string().into_bytes(), &[]).await;
    (r.status, r.body)
}

fn china(t: &TestApp, days_ago: i64) -> String {
    let at = t.clock.now_utc() - chrono::Duration::days(days_ago);
    domain::china_time(at).format("%Y-%m-%dT%H:%M:%S%:z").to_string()
}

fn report(id: &str, patient: &Value, inst: &str, loinc: &str, at: &str) -> Value {
    json!({"fullUrl": format!("urn:uuid:{id}"), "resource": {
        "resourceType": "DiagnosticReport", "id": id, "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": loinc}]},
        "subject": patient, "effectiveDateTime": at,
        "performer": [{"type": "Organization", "identifier": {"system": "https://minsheng.fuyang.gov.cn/fhir/sid/institution", "value": inst}}]
    }})
}

/// Files answers for the independent validator when MINSHENG_FHIR_VALIDATE=1.
pub(crate) struct Outputs {
    dir: Option<tempfile::TempDir>,
    n: usize,
}

impl Outputs {
    pub(crate) fn new() -> Outputs {
        let on = std::env::var("MINSHENG_FHIR_VALIDATE").is_ok_and(|v| v == "1");
        Outputs { dir: on.then(|| tempfile::tempdir().expect("tempdir")), n: 0 }
    }
    pub(crate) fn keep(&mut self, name: &str, v: &Value) {
        if let Some(d) = &self.dir {
            self.n += 1;
            std::fs::write(d.path().join(format!("{:02}-{name}.json", self.n)), v.to_string()).expect("write");
        }
    }
    pub(crate) fn validate(self) {
        let Some(d) = self.dir else {
            eprintln!("MINSHENG_FHIR_VALIDATE is not 1: the independent FHIR validator did not run");
            return;
        };
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tools/fhir-validate/validate.mjs");
        let files: Vec<PathBuf> = std::fs::read_dir(d.path()).expect("dir").map(|e| e.expect("entry").path()).collect();
        assert!(files.len() >= 3, "answers kept: {files:?}");
        let out = std::process::Command::new("node").arg(&script).args(&files).output().expect("node runs the validator");
        let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        assert!(out.status.success(), "the FHIR validator rejected our JSON:\n{text}");
        eprintln!("{text}");
    }
}

async fn fhir_story(t: &TestApp) {
    let mut kept = Outputs::new();
    let (me, citizen) = t.citizen().await;
    let wjw = t.login("wjw_clerk").await;
    let (st, meta, ct) = fhir_get(t, None, "/fhir/metadata").await;
    assert_eq!((st, ct.as_str()), (StatusCode::OK, FHIR));
    kept.keep("metadata", &meta);

    // Import: a Bundle for a known resident (merged into their Patient) with two blood counts.
    let patient = json!({"reference": "urn:uuid:pat"});
    let bundle = json!({"resourceType": "Bundle", "type": "transaction", "entry": [
        {"fullUrl": "urn:uuid:pat", "resource": {"resourceType": "Patient", "identifier": [
            {"system": "urn:oid:2.16.156.10011.1.1", "value": me},
            {"system": "https://minsheng.fuyang.gov.cn/fhir/sid/mrn/fy-2h", "value": "00012345"}], "gender": "female"}},
        report("cbc-a", &patient, "fy-2h", "58410-2", &china(t, 2)),
        report("cbc-b", &patient, "fy-hc-100", "58410-2", &china(t, 1)),
        report("cbc-old", &patient, "fy-2h", "58410-2", &china(t, 20)),
    ]});
    let before = t.count("fhir_resource").await;
    // Malformed and invalid Bundles change nothing.
    let r = t.raw(Method::POST, Some(&wjw), "/fhir", Some(FHIR), b"{\"resourceType\": \"Bundle\", ".to_vec(), &[]).await;
    assert_eq!((r.status, r.body["resourceType"].as_str()), (StatusCode::BAD_REQUEST, Some("OperationOutcome")), "{}", r.body);
    kept.keep("outcome-malformed", &r.body);
    let mut wrong = bundle.clone();
    wrong["entry"][1]["resource"]["status"] = json!("done");
    let (st, oo) = fhir_post(t, &wjw, "/fhir", &wrong).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{oo}");
    assert_eq!(oo["issue"][0]["expression"][0], "entry[1].resource.status");
    let mut bad_id = bundle.clone();
    bad_id["entry"][0]["resource"]["identifier"][0]["value"] = json!("330183199001011231");
    let (st, oo) = fhir_post(t, &wjw, "/fhir", &bad_id).await;
    assert_eq!(st, StatusCode::UNPROCESSABLE_ENTITY, "{oo}");
    assert_eq!(oo["issue"][0]["expression"][0], "entry[0].resource.identifier[0].value");
    let (st, _) = fhir_post(t, &citizen, "/fhir", &bundle).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    assert_eq!(t.count("fhir_resource").await, before, "nothing written");
    let (st, resp) = fhir_post(t, &wjw, "/fhir", &bundle).await;
    assert_eq!(st, StatusCode::OK, "{resp}");
    assert_eq!(resp["type"], "transaction-response");
    kept.keep("transaction-response", &resp);
    let pid = resp["entry"][0]["response"]["location"].as_str().expect("location").trim_start_matches("Patient/").to_owned();
    assert_eq!(pid, t.strings(&format!("SELECT logical_id FROM fhir_resource WHERE resource_type = 'Patient' AND patient_key = '{me}'")).await[0]);

    // A clinician with no relation to the patient is refused, and it is logged.
    let doc3 = t.login("fy-hc-115_doctor").await;
    let search = format!("/fhir/DiagnosticReport?patient=Patient/{pid}&code=http://loinc.org|58410-2&date=ge{}", &china(t, 10)[..10]);
    let (st, oo, ct) = fhir_get(t, Some(&doc3), &search).await;
    assert_eq!((st, ct.as_str(), oo["issue"][0]["code"].as_str()), (StatusCode::FORBIDDEN, FHIR, Some("forbidden")), "{oo}");
    kept.keep("outcome-forbidden", &oo);

    // The check needs a treatment relation, which the check itself never makes (issue 27)…
    let sr = json!({"resourceType": "ServiceRequest", "id": "order-1", "status": "active", "intent": "order",
        "code": {"coding": [{"system": "http://loinc.org", "code": "58410-2"}]}, "subject": {"reference": format!("Patient/{pid}")}});
    let (st, oo) = fhir_post(t, &doc3, "/fhir/ServiceRequest/$recognition-check", &sr).await;
    assert_eq!((st, oo["issue"][0]["details"]["coding"][0]["code"].as_str()), (StatusCode::FORBIDDEN, Some("no_treatment_relation")), "{oo}");
    // …but the patient's registration at the institution (an Encounter it publishes) does.
    let visit = json!({"resourceType": "Bundle", "type": "transaction", "entry": [{"resource": {"resourceType": "Encounter", "id": "visit-115",
        "status": "in-progress", "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "AMB"},
        "subject": {"reference": format!("Patient/{pid}")}, "period": {"start": china(t, 0)},
        "serviceProvider": {"identifier": {"system": "https://minsheng.fuyang.gov.cn/fhir/sid/institution", "value": "fy-hc-115"}}}}]});
    let (st, resp) = fhir_post(t, &doc3, "/fhir", &visit).await;
    assert_eq!(st, StatusCode::OK, "{resp}");
    kept.keep("encounter-response", &resp);
    let (st, enc, _) = fhir_get(t, Some(&doc3), "/fhir/Encounter/visit-115").await;
    assert_eq!(st, StatusCode::OK, "{enc}");
    kept.keep("encounter", &enc);

    // The recognition check: the still-valid results from qualified institutions, with a DetectedIssue.
    let (st, _) = fhir_post(t, &citizen, "/fhir/ServiceRequest/$recognition-check", &sr).await;
    assert_eq!(st, StatusCode::FORBIDDEN, "only clinicians");
    let mut unknown = sr.clone();
    unknown["code"]["coding"][0]["code"] = json!("0000-0");
    let (st, oo) = fhir_post(t, &doc3, "/fhir/ServiceRequest/$recognition-check", &unknown).await;
    assert_eq!((st, oo["issue"][0]["details"]["coding"][0]["code"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("unknown_recognition_item")), "{oo}");
    let (st, check) = fhir_post(t, &doc3, "/fhir/ServiceRequest/$recognition-check", &sr).await;
    assert_eq!(st, StatusCode::OK, "{check}");
    kept.keep("recognition-check", &check);
    assert_eq!(check["type"], "collection");
    let entries = check["entry"].as_array().expect("entries");
    assert_eq!(entries[0]["resource"]["resourceType"], "DetectedIssue");
    assert_eq!(entries[0]["resource"]["patient"]["reference"], format!("Patient/{pid}").as_str());
    let ids: Vec<&str> = entries[1..].iter().filter_map(|e| e["resource"]["id"].as_str()).collect();
    assert!(ids.contains(&"cbc-b") && ids.contains(&"cbc-a") && !ids.contains(&"cbc-old"), "within 7 days only, newest first: {ids:?}");
    assert_eq!(ids[0], "cbc-b");
    assert!(entries[1]["resource"]["meta"]["tag"].as_array().is_some_and(|t| t.iter().any(|x| x["code"] == "HR")), "the HR mark");
    let offer = entries[0]["resource"]["id"].as_str().expect("issue id").to_owned();

    // Now the ordering institution may read the results: search with paging links.
    let (st, page1, ct) = fhir_get(t, Some(&doc3), &format!("{search}&_count=1")).await;
    assert_eq!((st, ct.as_str()), (StatusCode::OK, FHIR), "{page1}");
    kept.keep("searchset", &page1);
    assert_eq!((page1["type"].as_str(), page1["total"].as_u64()), (Some("searchset"), Some(2)));
    let links = page1["link"].as_array().expect("links");
    let next = links.iter().find(|l| l["relation"] == "next").and_then(|l| l["url"].as_str()).expect("next link").to_owned();
    assert!(next.contains("_offset=1") && next.contains("_count=1"));
    let path = &next[next.find("/fhir/").expect("path")..];
    let (_, page2, _) = fhir_get(t, Some(&doc3), path).await;
    assert!(page2["link"].as_array().is_some_and(|l| l.iter().any(|x| x["relation"] == "previous")));
    assert_ne!(page1["entry"][0]["resource"]["id"], page2["entry"][0]["resource"]["id"]);
    let (st, read, _) = fhir_get(t, Some(&doc3), "/fhir/DiagnosticReport/cbc-a").await;
    assert_eq!((st, read["id"].as_str()), (StatusCode::OK, Some("cbc-a")));
    kept.keep("read", &read);
    let (st, obs, _) = fhir_get(t, Some(&citizen), &format!("/fhir/DiagnosticReport?patient=Patient/{pid}")).await;
    assert_eq!(st, StatusCode::OK, "the patient reads their own results: {obs}");
    for (q, field) in [("date=yesterday", "date"), ("_count=0", "_count"), ("colour=red", "colour")] {
        let (st, oo, _) = fhir_get(t, Some(&doc3), &format!("/fhir/Observation?patient=Patient/{pid}&{q}")).await;
        assert_eq!((st, oo["issue"][0]["expression"][0].as_str()), (StatusCode::BAD_REQUEST, Some(field)), "{q}: {oo}");
    }
    let (st, oo, _) = fhir_get(t, Some(&doc3), "/fhir/Observation").await;
    assert_eq!(st, StatusCode::BAD_REQUEST, "a search needs the patient: {oo}");
    let (st, oo, _) = fhir_get(t, None, &search).await;
    assert_eq!((st, oo["resourceType"].as_str()), (StatusCode::UNAUTHORIZED, Some("OperationOutcome")));
    let (st, _, _) = fhir_get(t, Some(&doc3), "/fhir/Spaceship/1").await;
    assert_eq!(st, StatusCode::NOT_FOUND);

    // The decision, and the figures.
    let r = t.post(&doc3, &format!("/api/pool/recognition/offers/{offer}/decision"), json!({"decision": "retest"})).await;
    assert_eq!((r.status, r.body["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("reason")), "{}", r.body);
    let doc1 = t.login("fy-1h_doctor").await;
    let r = t.post(&doc1, &format!("/api/pool/recognition/offers/{offer}/decision"), json!({"decision": "accepted"})).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "another institution's offer");
    let figures_before = t.get(&wjw, "/api/pool/recognition/figures").await.body;
    let r = t.post(&doc3, &format!("/api/pool/recognition/offers/{offer}/decision"), json!({"decision": "accepted"})).await;
    assert_eq!((r.status, r.body["decision"].as_str(), r.body["result_institution"].as_str()), (StatusCode::OK, Some("accepted"), Some("fy-hc-100")), "{}", r.body);
    let r = t.post(&doc3, &format!("/api/pool/recognition/offers/{offer}/decision"), json!({"decision": "accepted"})).await;
    assert_eq!((r.status, r.code()), (StatusCode::CONFLICT, "already_decided"));
    let figures = t.get(&wjw, "/api/pool/recognition/figures").await.body;
    assert_eq!(figures["institutions"], 31);
    assert_eq!(figures["saved_fen"].as_i64().unwrap_or(0) - figures_before["saved_fen"].as_i64().unwrap_or(0), 2000, "{figures}");
    let fy3 = figures["by_institution"].as_array().and_then(|l| l.iter().find(|x| x["institution"] == "fy-hc-115")).expect("fy-hc-115").clone();
    assert!(fy3["accepted"].as_i64().unwrap_or(0) >= 1);
    let r = t.get(&citizen, "/api/pool/recognition/figures").await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    // B4: the health-record look-up, logged where the patient sees it.
    let r = t.get(&doc3, &format!("/api/pool/health-records/{me}")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["entry"][0]["resource"]["resourceType"], "Patient");
    let lookups = |f: &serde_json::Value| f["health_record_lookups"].as_i64().unwrap_or(-1);
    let after = t.get(&wjw, "/api/pool/recognition/figures").await.body;
    assert!(lookups(&after) > lookups(&figures), "the look-up is counted: {} then {}", lookups(&figures), lookups(&after));
    let ids = r.body["entry"][0]["resource"]["identifier"].as_array().expect("identifiers");
    assert!(ids.len() >= 2, "several identifiers: {ids:?}");
    kept.keep("everything", &r.body);
    let mch = t.login("fy-hc-006_doctor").await;
    let r = t.get(&mch, &format!("/api/pool/health-records/{me}")).await;
    assert_eq!((r.status, r.code()), (StatusCode::FORBIDDEN, "no_treatment_relation"));
    let r = t.get(&mch, "/api/pool/health-records/330183199001011231").await;
    assert_eq!((r.status, r.code()), (StatusCode::UNPROCESSABLE_ENTITY, "invalid_id_number"));
    let log = t.get(&citizen, "/api/pool/me/access-log?limit=100").await.body;
    let log = log.as_array().expect("log");
    assert!(log.iter().any(|e| e["reader_org"] == "fy-hc-115" && e["purpose"] == "treatment" && e["outcome"] == "allowed" && e["resource"].as_str().is_some_and(|r| r.contains("$everything"))), "{log:?}");
    assert!(log.iter().any(|e| e["reader_org"] == "fy-hc-006" && e["outcome"] == "refused"));
    assert!(log.iter().any(|e| e["reader_org"] == "fy-hc-115" && e["resource"] == "recognition-check:cbc"));

    kept.validate();
}

#[tokio::test]
async fn fhir_search_import_and_the_recognition_check() {
    for db in backends() {
        let t = TestApp::spawn(db).await;
        fhir_story(&t).await;
        t.shutdown().await;
    }
}
