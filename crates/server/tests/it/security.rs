//! The access-control findings of the outside test (issue 27), each reproduced as an attacker or
//! a clumsy user would, over HTTP, on SQLite and (when configured) PostgreSQL: reads justified by
//! someone else's filing, FHIR writes over other institutions' results and patients' identities,
//! treatment relations made by a query, existence oracles, unlogged reads by staff and platforms,
//! riders registered without their consent, and the smaller holes (uploads that lie about their
//! type, plain-text 413s, bodies ignored, the wrong status for another department's record, the
//! recognition check's DetectedIssue, impossible demo results).

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{ClockExt, Db, TestApp, backends};

const FHIR: &str = "application/fhir+json";
const INSTITUTION: &str = "https://minsheng.fuyang.gov.cn/fhir/sid/institution";
const ACT_CODE: &str = "http://terminology.hl7.org/CodeSystem/v3-ActCode";

/// The stable code of an error answer, JSON or OperationOutcome.
fn code_of(body: &Value) -> String {
    body["code"]
        .as_str()
        .or_else(|| body["issue"][0]["details"]["coding"][0]["code"].as_str())
        .unwrap_or("")
        .to_owned()
}

async fn patient_id(t: &TestApp, key: &str) -> String {
    t.strings(&format!("SELECT logical_id FROM fhir_resource WHERE resource_type = 'Patient' AND patient_key = '{key}'")).await.remove(0)
}

async fn post_fhir(t: &TestApp, token: &str, path: &str, body: &Value) -> (StatusCode, Value) {
    let r = t.raw(Method::POST, Some(token), path, Some(FHIR), body.to_string().into_bytes(), &[]).await;
    (r.status, r.body)
}

fn bundle(entries: Vec<Value>) -> Value {
    json!({"resourceType": "Bundle", "type": "transaction", "entry": entries.into_iter().map(|r| json!({"resource": r})).collect::<Vec<_>>()})
}

fn org(code: &str) -> Value {
    json!({"type": "Organization", "identifier": {"system": INSTITUTION, "value": code}})
}

fn now_fhir(t: &TestApp, minutes: i64) -> String {
    domain::china_time(t.clock.now_utc() + chrono::Duration::minutes(minutes)).format("%Y-%m-%dT%H:%M:%S%:z").to_string()
}

fn report(t: &TestApp, id: &str, pid: &str, inst: &str) -> Value {
    json!({"resourceType": "DiagnosticReport", "id": id, "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "58410-2"}]},
        "subject": {"reference": format!("Patient/{pid}")}, "effectiveDateTime": now_fhir(t, -60), "performer": [org(inst)]})
}

fn encounter(t: &TestApp, id: &str, pid: &str, inst: &str, status: &str) -> Value {
    json!({"resourceType": "Encounter", "id": id, "status": status, "class": {"system": ACT_CODE, "code": "AMB"},
        "subject": {"reference": format!("Patient/{pid}")}, "period": {"start": now_fhir(t, -5)}, "serviceProvider": org(inst)})
}

fn check_request(pid: &str) -> Value {
    json!({"resourceType": "ServiceRequest", "status": "active", "intent": "order",
        "code": {"coding": [{"system": "http://loinc.org", "code": "58410-2"}]}, "subject": {"reference": format!("Patient/{pid}")}})
}

/// Institutions with a demo clinician (`<code>_doctor`) that have no treatment relation to the
/// patient and no consent from them.
async fn strangers(t: &TestApp, key: &str) -> Vec<String> {
    let related = t.strings(&format!("SELECT institution FROM care_relation WHERE patient_key = '{key}'")).await;
    let consented = t.strings(&format!("SELECT grantee FROM record_consent WHERE subject_key = '{key}'")).await;
    t.strings("SELECT department FROM account WHERE login LIKE '%\\_doctor' ESCAPE '\\' ORDER BY login")
        .await
        .into_iter()
        .filter(|d| !related.contains(d) && !consented.contains(d))
        .collect()
}

async fn access_log(t: &TestApp, token: &str) -> Vec<Value> {
    let r = t.get(token, "/api/pool/me/access-log?limit=500").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.body.as_array().cloned().unwrap_or_default()
}

// ---- Finding 1: a filing justifies reads only by those who filed or handle it.

async fn filing_story(t: &TestApp) {
    let (victim, vt) = t.citizen().await;
    let app = t.file(&vt, "birth").await;
    let app_id = app["id"].as_str().expect("id").to_owned();
    let (_, attacker) = t.other_citizen(&victim).await;
    let pid = patient_id(t, &victim).await;
    let q = format!("purpose=filing&ref={app_id}");
    for path in [
        format!("/api/pool/records?subject={victim}&{q}"),
        format!("/api/pool/registers/persons/{victim}?{q}"),
        format!("/fhir/Observation?patient=Patient/{pid}&{q}"),
        format!("/fhir/DiagnosticReport?patient=Patient/{pid}&{q}"),
        format!("/fhir/Patient/{pid}?{q}"),
        format!("/fhir/Patient/{pid}/$everything"),
    ] {
        let r = t.get(&attacker, &path).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{path}: {}", r.body);
        if path.contains("purpose=filing") {
            assert_eq!(code_of(&r.body), "filing_not_yours", "{path}: {}", r.body);
        }
    }
    // The applicant and a department with a case of the filing may; another department may not.
    let r = t.get(&vt, &format!("/api/pool/records?subject={victim}&{q}")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let depts: Vec<String> = app["cases"].as_array().expect("cases").iter().map(|c| c["department"].as_str().expect("dept").to_owned()).collect();
    let handler = t.login(&format!("{}_clerk", depts[0])).await;
    let r = t.get(&handler, &format!("/api/pool/records?subject={victim}&{q}")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let outsider = ["scjg", "zjj", "ga", "mzj", "rsj", "wjw"].into_iter().find(|d| !depts.iter().any(|x| x == d)).expect("a department without a case");
    let outsider = t.login(&format!("{outsider}_clerk")).await;
    let r = t.get(&outsider, &format!("/api/pool/records?subject={victim}&{q}")).await;
    assert_eq!((r.status, code_of(&r.body).as_str()), (StatusCode::FORBIDDEN, "filing_not_yours"), "{}", r.body);

    // The victim sees the attempts as another account's, refused — never as her own reads.
    let log = access_log(t, &vt).await;
    let attempts: Vec<&Value> = log.iter().filter(|e| e["purpose"] == "filing" && e["outcome"] == "refused").collect();
    assert!(attempts.len() >= 4, "{log:?}");
    assert!(attempts.iter().all(|e| e["reader"] != "本人"), "{attempts:?}");
    assert!(attempts.iter().any(|e| e["reader"] == "其他居民或企业的账号"), "{attempts:?}");
}

#[tokio::test]
async fn nobody_reads_a_persons_data_by_naming_their_filing() {
    for db in backends() {
        let t = TestApp::spawn(db).await;
        filing_story(&t).await;
        t.shutdown().await;
    }
}

// ---- Finding 2: FHIR writes are scoped to the writer's institution and never replace identity.

async fn fhir_write_story(t: &TestApp) {
    let (victim, vt) = t.citizen().await;
    let pid = patient_id(t, &victim).await;
    let (other, _) = t.other_citizen(&victim).await;
    let other_pid = patient_id(t, &other).await;
    let doc = t.login("fy-hc-115_doctor").await;
    let theirs = t
        .strings("SELECT logical_id FROM fhir_resource WHERE resource_type = 'DiagnosticReport' AND institution <> 'fy-hc-115' ORDER BY logical_id LIMIT 1")
        .await
        .remove(0);
    let stored = |id: String| async move { t.strings(&format!("SELECT data FROM fhir_resource WHERE resource_type = 'DiagnosticReport' AND logical_id = '{id}'")).await };
    let before = stored(theirs.clone()).await;

    // Another institution's result, claimed as one's own and re-pointed to the victim: refused.
    let (st, oo) = post_fhir(t, &doc, "/fhir", &bundle(vec![report(t, &theirs, &pid, "fy-hc-115")])).await;
    assert_eq!((st, code_of(&oo).as_str()), (StatusCode::FORBIDDEN, "not_your_resource"), "{oo}");
    // … or written in the other institution's name: refused.
    let (st, oo) = post_fhir(t, &doc, "/fhir", &bundle(vec![report(t, "new-1", &pid, "fy-1h")])).await;
    assert_eq!((st, code_of(&oo).as_str()), (StatusCode::FORBIDDEN, "not_your_resource"), "{oo}");
    assert_eq!(stored(theirs.clone()).await, before, "nothing changed");

    // Its own result: written, and in the patient's access log as a write.
    let (st, oo) = post_fhir(t, &doc, "/fhir", &bundle(vec![report(t, "own-1", &pid, "fy-hc-115")])).await;
    assert_eq!(st, StatusCode::OK, "{oo}");
    // … but never moved to another patient.
    let (st, oo) = post_fhir(t, &doc, "/fhir", &bundle(vec![report(t, "own-1", &other_pid, "fy-hc-115")])).await;
    assert_eq!((st, code_of(&oo).as_str()), (StatusCode::CONFLICT, "patient_changed"), "{oo}");
    let log = access_log(t, &vt).await;
    assert!(
        log.iter().any(|e| e["resource"] == "DiagnosticReport/own-1" && e["purpose"] == "record" && e["reader_org"] == "fy-hc-115" && e["basis"] == "recording"),
        "{log:?}"
    );

    // A Patient entry never replaces the patient's identity; the institution adds only its own
    // medical record number.
    let name_before = t.strings(&format!("SELECT data FROM fhir_resource WHERE resource_type = 'Patient' AND logical_id = '{pid}'")).await.remove(0);
    let name_before: Value = serde_json::from_str(&name_before).expect("json");
    let impostor = json!({"resourceType": "Patient", "identifier": [
            {"system": "urn:oid:2.16.156.10011.1.1", "value": victim},
            {"system": "https://minsheng.fuyang.gov.cn/fhir/sid/mrn/fy-hc-115", "value": "115-0001"},
            {"system": "https://minsheng.fuyang.gov.cn/fhir/sid/mrn/fy-zy", "value": "ZY-9"}],
        "name": [{"text": "冒名顶替"}], "gender": "other", "birthDate": "1900-01-01"});
    let (st, oo) = post_fhir(t, &doc, "/fhir", &bundle(vec![impostor.clone()])).await;
    assert_eq!(st, StatusCode::OK, "{oo}");
    let after: Value = serde_json::from_str(&t.strings(&format!("SELECT data FROM fhir_resource WHERE resource_type = 'Patient' AND logical_id = '{pid}'")).await.remove(0)).expect("json");
    assert_eq!((&after["name"], &after["gender"], &after["birthDate"]), (&name_before["name"], &name_before["gender"], &name_before["birthDate"]));
    let systems: Vec<&str> = after["identifier"].as_array().expect("ids").iter().filter_map(|i| i["system"].as_str()).collect();
    assert!(systems.iter().any(|s| s.ends_with("/mrn/fy-hc-115")), "its own MRN is added: {systems:?}");
    assert!(!systems.iter().any(|s| s.ends_with("/mrn/fy-zy")), "not another institution's: {systems:?}");

    // A person seen for the first time takes name, sex and birth date from the register.
    use sqlx::Executor;
    t.state.store.write_pool().execute(sqlx::AssertSqlSafe(format!("DELETE FROM fhir_resource WHERE resource_type = 'Patient' AND patient_key = '{other}'"))).await.expect("delete");
    t.state.pool.forget_patients();
    let mut stranger = impostor;
    stranger["identifier"][0]["value"] = json!(other);
    stranger["id"] = json!(pid);
    let (st, oo) = post_fhir(t, &doc, "/fhir", &bundle(vec![stranger])).await;
    assert_eq!(st, StatusCode::OK, "{oo}");
    let created = oo["entry"][0]["response"]["location"].as_str().expect("location").trim_start_matches("Patient/").to_owned();
    assert_ne!(created, pid, "an id naming someone else's Patient is not taken over");
    let data: Value = serde_json::from_str(&t.strings(&format!("SELECT data FROM fhir_resource WHERE resource_type = 'Patient' AND logical_id = '{created}'")).await.remove(0)).expect("json");
    let register = t.strings(&format!("SELECT name FROM person WHERE id_number = '{other}'")).await.remove(0);
    assert_eq!(data["name"][0]["text"], register.as_str());
    assert_ne!(data["gender"], "other");
}

#[tokio::test]
async fn clinicians_write_only_their_own_records_and_never_a_patients_identity() {
    for db in backends() {
        let t = TestApp::spawn(db).await;
        fhir_write_story(&t).await;
        t.shutdown().await;
    }
}

// ---- Finding 3: treatment relations come from care, never from a query.

async fn care_story(t: &TestApp) {
    let (victim, vt) = t.citizen().await;
    let pid = patient_id(t, &victim).await;
    let free = strangers(t, &victim).await;
    assert!(free.len() >= 3, "institutions without a relation: {free:?}");
    let (a, b, c) = (free[0].clone(), free[1].clone(), free[2].clone());
    let doc_a = t.login(&format!("{a}_doctor")).await;
    let doc_b = t.login(&format!("{b}_doctor")).await;
    let doc_c = t.login(&format!("{c}_doctor")).await;
    let record = format!("/api/pool/health-records/{victim}");

    // A query of the patient's data never makes a relation, however often it is asked.
    for _ in 0..2 {
        let (st, oo) = post_fhir(t, &doc_a, "/fhir/ServiceRequest/$recognition-check", &check_request(&pid)).await;
        assert_eq!((st, code_of(&oo).as_str()), (StatusCode::FORBIDDEN, "no_treatment_relation"), "{oo}");
        let r = t.get(&doc_a, &record).await;
        assert_eq!((r.status, r.code()), (StatusCode::FORBIDDEN, "no_treatment_relation"), "{}", r.body);
    }

    // A visit the institution publishes does; another institution cannot publish it for them.
    let (st, oo) = post_fhir(t, &doc_b, "/fhir", &bundle(vec![encounter(t, "enc-a", &pid, &a, "in-progress")])).await;
    assert_eq!((st, code_of(&oo).as_str()), (StatusCode::FORBIDDEN, "not_your_resource"), "{oo}");
    let (st, oo) = post_fhir(t, &doc_a, "/fhir", &bundle(vec![encounter(t, "enc-a", &pid, &a, "in-progress")])).await;
    assert_eq!(st, StatusCode::OK, "{oo}");
    let (st, check) = post_fhir(t, &doc_a, "/fhir/ServiceRequest/$recognition-check", &check_request(&pid)).await;
    assert_eq!(st, StatusCode::OK, "{check}");
    assert_eq!(t.get(&doc_a, &record).await.status, StatusCode::OK);
    let log = access_log(t, &vt).await;
    assert!(log.iter().any(|e| e["resource"] == "Encounter/enc-a" && e["purpose"] == "record"), "the visit is in her log");

    // A referral from a treating institution gives the receiving one a relation; an institution
    // that does not treat her cannot refer her.
    let referral = |id: &str, from: &str, to: &str| {
        json!({"resourceType": "ServiceRequest", "id": id, "status": "active", "intent": "order",
            "category": [{"coding": [{"system": "http://snomed.info/sct", "code": "3457005", "display": "Patient referral"}]}],
            "code": {"text": "转诊会诊"}, "subject": {"reference": format!("Patient/{pid}")}, "authoredOn": now_fhir(t, -1),
            "requester": org(from), "performer": [org(to)]})
    };
    let (st, oo) = post_fhir(t, &doc_c, "/fhir", &bundle(vec![referral("ref-c", &c, &b)])).await;
    assert_eq!((st, code_of(&oo).as_str()), (StatusCode::FORBIDDEN, "no_treatment_relation"), "{oo}");
    assert_eq!(t.get(&doc_b, &record).await.status, StatusCode::FORBIDDEN);
    let (st, oo) = post_fhir(t, &doc_a, "/fhir", &bundle(vec![referral("ref-a", &a, &b)])).await;
    assert_eq!(st, StatusCode::OK, "{oo}");
    assert_eq!(t.get(&doc_b, &record).await.status, StatusCode::OK, "the receiving institution treats her now");

    // A visit entered in error never held.
    let (st, oo) = post_fhir(t, &doc_a, "/fhir", &bundle(vec![encounter(t, "enc-a", &pid, &a, "entered-in-error")])).await;
    assert_eq!(st, StatusCode::OK, "{oo}");
    assert_eq!(t.get(&doc_a, &record).await.status, StatusCode::FORBIDDEN);

    // A home-doctor contract holds for its period.
    let start = domain::china_date(t.clock.now_utc());
    let contract = json!({"resourceType": "EpisodeOfCare", "id": "hd-c", "status": "active",
        "type": [{"coding": [{"system": "https://minsheng.fuyang.gov.cn/fhir/CodeSystem/care-type", "code": "home-doctor"}]}],
        "patient": {"reference": format!("Patient/{pid}")}, "managingOrganization": org(&c),
        "period": {"start": start.to_string(), "end": (start + chrono::Days::new(10)).to_string()}});
    let (st, oo) = post_fhir(t, &doc_c, "/fhir", &bundle(vec![contract])).await;
    assert_eq!(st, StatusCode::OK, "{oo}");
    assert_eq!(t.get(&doc_c, &record).await.status, StatusCode::OK);
    t.clock.advance(chrono::Duration::days(12));
    let doc_c = t.login(&format!("{c}_doctor")).await;
    let r = t.get(&doc_c, &record).await;
    assert_eq!((r.status, r.code()), (StatusCode::FORBIDDEN, "no_treatment_relation"), "the contract ended: {}", r.body);
}

#[tokio::test]
async fn treatment_relations_come_from_care_never_from_a_query() {
    for db in backends() {
        let t = TestApp::spawn(db).await;
        care_story(&t).await;
        t.shutdown().await;
    }
}

// ---- Finding 6: a refusal never tells whether a person or a patient exists.

#[tokio::test]
async fn refusals_do_not_tell_whether_a_person_or_patient_exists() {
    let t = TestApp::spawn(Db::Sqlite).await;
    let (victim, _) = t.citizen().await;
    let pid = patient_id(&t, &victim).await;
    let nobody = domain::ResidentId::from_parts("330111", chrono::NaiveDate::from_ymd_opt(1931, 7, 1).expect("date"), 987).expect("id");
    let nobody = nobody.as_str();
    assert!(t.strings(&format!("SELECT name FROM person WHERE id_number = '{nobody}'")).await.is_empty());

    let ga = t.login("ga_clerk").await;
    let known = t.get(&ga, &format!("/api/pool/registers/persons/{victim}")).await;
    let unknown = t.get(&ga, &format!("/api/pool/registers/persons/{nobody}")).await;
    assert_eq!((known.status, known.code()), (StatusCode::FORBIDDEN, "purpose_required"));
    assert_eq!((unknown.status, &unknown.body), (known.status, &known.body), "the same answer");

    let doc = t.login(&format!("{}_doctor", strangers(&t, &victim).await[0])).await;
    let pairs = [
        (format!("/fhir/Patient/{pid}/$everything"), "/fhir/Patient/p999999999/$everything".to_owned()),
        (format!("/fhir/Patient/{pid}"), "/fhir/Patient/p999999999".to_owned()),
        (format!("/fhir/Observation?patient=Patient/{pid}"), "/fhir/Observation?patient=Patient/p999999999".to_owned()),
        (format!("/fhir/Patient?identifier={victim}"), format!("/fhir/Patient?identifier={nobody}")),
        (format!("/api/pool/health-records/{victim}"), format!("/api/pool/health-records/{nobody}")),
    ];
    for (k, u) in pairs {
        let (a, b) = (t.get(&doc, &k).await, t.get(&doc, &u).await);
        assert_eq!((a.status, code_of(&a.body)), (StatusCode::FORBIDDEN, "no_treatment_relation".to_owned()), "{k}: {}", a.body);
        assert_eq!((b.status, code_of(&b.body)), (a.status, code_of(&a.body)), "{u}: {}", b.body);
    }
    let (st, oo) = post_fhir(&t, &doc, "/fhir/ServiceRequest/$recognition-check", &check_request("p999999999")).await;
    assert_eq!((st, code_of(&oo).as_str()), (StatusCode::FORBIDDEN, "no_treatment_relation"), "{oo}");
    t.shutdown().await;
}

// ---- Finding 5: staff reads of an application and platforms' look-ups are in the subject's log;
// a platform cannot make anyone its rider without their consent.

#[tokio::test]
async fn staff_reading_an_application_is_in_the_applicants_access_log() {
    let t = TestApp::spawn(Db::Sqlite).await;
    let (_, vt) = t.citizen().await;
    let app = t.file(&vt, "birth").await;
    let id = app["id"].as_str().expect("id").to_owned();
    let dept = app["cases"][0]["department"].as_str().expect("dept").to_owned();
    let clerk = t.login(&format!("{dept}_clerk")).await;
    let r = t.get(&clerk, &format!("/api/applications/{id}")).await;
    assert_eq!(r.status, StatusCode::OK);
    let admin = t.login("admin").await;
    assert_eq!(t.get(&admin, &format!("/api/applications/{id}")).await.status, StatusCode::OK);
    let log = access_log(&t, &vt).await;
    let resource = format!("application:{id}");
    assert!(log.iter().any(|e| e["resource"] == resource.as_str() && e["reader_org"] == dept.as_str() && e["purpose"] == "case" && e["basis"] == "case_handling"), "{log:?}");
    assert!(log.iter().any(|e| e["resource"] == resource.as_str() && e["purpose"] == "supervision"), "{log:?}");
    // Her own reading is not a read of someone else's data.
    assert_eq!(t.get(&vt, &format!("/api/applications/{id}")).await.status, StatusCode::OK);
    let after = access_log(&t, &vt).await;
    assert_eq!(after.iter().filter(|e| e["resource"] == resource.as_str()).count(), log.iter().filter(|e| e["resource"] == resource.as_str()).count());
    t.shutdown().await;
}

async fn rider_consent_story(t: &TestApp) {
    let (me, _) = t.citizen().await;
    let (rider_login, rider) = t.other_citizen(&me).await;
    let ops = t.login("meituan_ops").await;
    let estates = t.get(&ops, "/api/pool/estates").await.body;
    let estate = estates[0]["code"].as_str().expect("estate").to_owned();
    let r = t.post(&ops, "/api/pool/riders", json!({"id_number": rider_login, "estates": [estate], "valid_days": 30})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!((r.body["rider"]["status"].as_str(), &r.body["code"]), (Some("pending"), &Value::Null), "no code before consent: {}", r.body);
    let rid = r.body["rider"]["id"].as_str().expect("id").to_owned();
    let code = t.get(&ops, &format!("/api/pool/riders/{rid}/code")).await;
    assert_eq!((code.status, code.code()), (StatusCode::CONFLICT, "rider_pending"));
    let codes = format!("credential WHERE subject_key = '{rider_login}' AND kind = 'rider_code' AND revoked_at IS NULL");
    let codes_before = t.count(&codes).await;
    // The person is told, and sees the platform's look-up in their access log.
    let inbox = t.get(&rider, "/api/notices").await.body;
    assert!(inbox.as_array().is_some_and(|l| l.iter().any(|n| n["kind"] == "rider_invitation")), "{inbox}");
    let log = access_log(t, &rider).await;
    assert!(log.iter().any(|e| e["reader_org"] == "meituan" && e["resource"] == format!("rider-registration:{rid}").as_str()), "{log:?}");
    // Nobody else can answer for them.
    let r = t.post(&t.citizen().await.1, &format!("/api/pool/me/riders/{rid}/confirm"), json!({})).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // They confirm: the code is issued once.
    let mine = t.get(&rider, "/api/pool/me/riders").await.body;
    assert!(mine.as_array().is_some_and(|l| l.iter().any(|x| x["id"] == rid.as_str() && x["status"] == "pending")), "{mine}");
    let c = t.post(&rider, &format!("/api/pool/me/riders/{rid}/confirm"), json!({})).await;
    assert_eq!(c.status, StatusCode::OK, "{}", c.body);
    let credential = c.body["credential"].as_str().expect("credential").to_owned();
    assert_eq!(t.count(&codes).await, codes_before + 1, "one code, issued on consent");
    let again = t.post(&rider, &format!("/api/pool/me/riders/{rid}/confirm"), json!({})).await;
    assert_eq!((again.status, again.code()), (StatusCode::CONFLICT, "rider_not_pending"));
    let g = t.request(Method::POST, None, "/api/pool/gate", Some(json!({"credential": credential, "estate": estate})), &[]).await;
    assert_eq!((g.status, g.body["result"].as_str()), (StatusCode::OK, Some("admit")), "{}", g.body);
    // Another platform's registration is declined: no code, ever.
    let eleme = t.login("eleme_ops").await;
    let r = t.post(&eleme, "/api/pool/riders", json!({"id_number": rider_login, "estates": [estate], "valid_days": 30})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let rid2 = r.body["rider"]["id"].as_str().expect("id").to_owned();
    let d = t.post(&rider, &format!("/api/pool/me/riders/{rid2}/decline"), json!({})).await;
    assert_eq!((d.status, d.body["status"].as_str()), (StatusCode::OK, Some("declined")), "{}", d.body);
    let code = t.get(&eleme, &format!("/api/pool/riders/{rid2}/code")).await;
    assert_eq!(code.status, StatusCode::CONFLICT);
    assert_eq!(t.post(&rider, &format!("/api/pool/me/riders/{rid2}/confirm"), json!({})).await.status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn a_platform_cannot_make_anyone_its_rider_without_their_consent() {
    for db in backends() {
        let t = TestApp::spawn(db).await;
        rider_consent_story(&t).await;
        t.shutdown().await;
    }
}

// ---- Finding 6: the smaller holes.

#[tokio::test]
async fn uploads_must_be_what_they_claim_to_be() {
    let t = TestApp::spawn(Db::Sqlite).await;
    let (_, token) = t.citizen().await;
    let before = t.count("upload").await;
    for (ct, body) in [("image/png", b"%PDF-1.4 not a png".to_vec()), ("application/pdf", b"<html><script>alert(1)</script>".to_vec()), ("text/plain", vec![0x4d, 0x5a, 0x90, 0x00])] {
        let r = t.raw(Method::POST, Some(&token), "/api/uploads?name=x", Some(ct), body, &[]).await;
        assert_eq!((r.status, r.code(), r.body["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, "file_content_mismatch", Some("body")), "{ct}: {}", r.body);
    }
    assert_eq!(t.count("upload").await, before, "nothing stored");
    let r = t.raw(Method::POST, Some(&token), "/api/uploads?name=ok.png", Some("image/png"), vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0], &[]).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    t.shutdown().await;
}

#[tokio::test]
async fn bodies_over_the_limit_are_refused_in_the_interfaces_own_format() {
    let t = TestApp::spawn(Db::Sqlite).await;
    let doc = t.login("fy-1h_doctor").await;
    let admin = t.login("admin").await;
    let big = vec![b' '; 2 * 1024 * 1024];
    let r = t.raw(Method::POST, Some(&doc), "/fhir", Some(FHIR), big.clone(), &[]).await;
    assert_eq!((r.status, r.body["resourceType"].as_str(), code_of(&r.body).as_str()), (StatusCode::PAYLOAD_TOO_LARGE, Some("OperationOutcome"), "too_large"), "{}", r.body);
    let r = t.raw(Method::POST, Some(&doc), "/fhir/ServiceRequest/$recognition-check", Some(FHIR), big.clone(), &[]).await;
    assert_eq!((r.status, r.body["resourceType"].as_str()), (StatusCode::PAYLOAD_TOO_LARGE, Some("OperationOutcome")), "{}", r.body);
    let r = t.raw(Method::POST, Some(&admin), "/api/circles/analyses", Some("application/json"), big, &[]).await;
    assert_eq!((r.status, r.code()), (StatusCode::PAYLOAD_TOO_LARGE, "too_large"), "{}", r.body);
    assert!(r.body["message"].as_str().is_some_and(|m| m.contains("KB")), "the limit is named: {}", r.body);
    t.shutdown().await;
}

#[tokio::test]
async fn records_answer_garbage_and_other_departments_plainly() {
    let t = TestApp::spawn(Db::Sqlite).await;
    let (_, citizen) = t.citizen().await;
    let own = t.get(&citizen, "/api/pool/records").await.body;
    let card = own.as_array().and_then(|l| l.iter().find(|r| r["record_type"] == "resident_id_card")).expect("id card").clone();
    let rid = card["id"].as_str().expect("id").to_owned();
    let publisher = card["department"].as_str().expect("dept").to_owned();
    // Revoking another department's record is forbidden, not invalid; nothing changes.
    let other = if publisher == "mzj" { "ga" } else { "mzj" };
    let clerk = t.login(&format!("{other}_clerk")).await;
    let r = t.post(&clerk, &format!("/api/pool/records/{rid}/revoke"), json!({"reason": "试试"})).await;
    assert_eq!((r.status, r.code()), (StatusCode::FORBIDDEN, "not_publisher"), "{}", r.body);
    assert_eq!(t.get(&citizen, &format!("/api/pool/records/{rid}")).await.body["status"], "current");
    // A certificate request takes no body: garbage is a 400, `{}` or nothing is fine.
    let path = format!("/api/pool/records/{rid}/certificate");
    let r = t.raw(Method::POST, Some(&citizen), &path, Some("application/json"), b"{garbage".to_vec(), &[]).await;
    assert_eq!((r.status, r.code()), (StatusCode::BAD_REQUEST, "malformed_json"), "{}", r.body);
    let r = t.post(&citizen, &path, json!({"valid_days": 9999})).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "unknown fields are refused: {}", r.body);
    assert_eq!(t.count("credential WHERE kind = 'certificate'").await, 0, "nothing issued");
    let r = t.post(&citizen, &path, json!({})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let r = t.raw(Method::POST, Some(&citizen), &path, None, Vec::new(), &[]).await;
    assert_eq!(r.status, StatusCode::OK, "the live certificate again: {}", r.body);
    // As documented, the optional body may be `null`; white space alone is not JSON.
    let r = t.raw(Method::POST, Some(&citizen), &path, Some("application/json"), b"null".to_vec(), &[]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = t.raw(Method::POST, Some(&citizen), &path, Some("application/json"), b"\n".to_vec(), &[]).await;
    assert_eq!((r.status, r.code()), (StatusCode::BAD_REQUEST, "malformed_json"), "{}", r.body);
    t.shutdown().await;
}

#[tokio::test]
async fn the_recognition_checks_issue_names_the_patient_and_no_dead_link() {
    let t = TestApp::spawn(Db::Sqlite).await;
    let (victim, _) = t.citizen().await;
    let pid = patient_id(&t, &victim).await;
    let a = strangers(&t, &victim).await.remove(0);
    let doc = t.login(&format!("{a}_doctor")).await;
    let lab = if a == "fy-1h" { "fy-2h" } else { "fy-1h" };
    let (st, oo) = post_fhir(&t, &doc, "/fhir", &bundle(vec![encounter(&t, "enc-1", &pid, &a, "in-progress"), report(&t, "cbc-x", &pid, lab)])).await;
    assert_eq!((st, code_of(&oo).as_str()), (StatusCode::FORBIDDEN, "not_your_resource"), "a result of another institution in the same Bundle: {oo}");
    assert!(t.strings("SELECT logical_id FROM fhir_resource WHERE logical_id IN ('enc-1', 'cbc-x')").await.is_empty(), "all or nothing");
    let wjw = t.login("wjw_clerk").await;
    let (st, oo) = post_fhir(&t, &wjw, "/fhir", &bundle(vec![encounter(&t, "enc-1", &pid, &a, "in-progress"), report(&t, "cbc-x", &pid, lab)])).await;
    assert_eq!(st, StatusCode::OK, "the health commission imports for any institution: {oo}");
    // By the patient's identifier instead of a reference.
    let mut req = check_request(&pid);
    req["subject"] = json!({"identifier": {"system": "urn:oid:2.16.156.10011.1.1", "value": victim}});
    let (st, b) = post_fhir(&t, &doc, "/fhir/ServiceRequest/$recognition-check", &req).await;
    assert_eq!(st, StatusCode::OK, "{b}");
    let issue = &b["entry"][0];
    assert_eq!(issue["resource"]["resourceType"], "DetectedIssue", "{b}");
    assert_eq!(issue["resource"]["patient"]["reference"], format!("Patient/{pid}").as_str());
    assert!(issue["fullUrl"].as_str().is_some_and(|u| u.starts_with("urn:uuid:")), "{}", issue["fullUrl"]);
    t.shutdown().await;
}

#[tokio::test]
async fn the_demo_holds_no_impossible_results() {
    let t = TestApp::spawn(Db::Sqlite).await;
    let now = t.clock.now_utc();
    let mut checked = 0;
    for data in t.strings("SELECT data FROM fhir_resource WHERE resource_type IN ('Observation', 'DiagnosticReport')").await {
        let v: Value = serde_json::from_str(&data).expect("json");
        if let Some(x) = v["valueQuantity"]["value"].as_f64() {
            assert!(x >= 0.0, "a negative lab value: {v}");
        }
        for at in ["issued", "effectiveDateTime"] {
            if let Some(s) = v[at].as_str() {
                let t = chrono::DateTime::parse_from_rfc3339(s).expect("time");
                assert!(t <= now, "{at} in the future: {v}");
            }
        }
        checked += 1;
    }
    assert!(checked > 100, "{checked}");
    t.shutdown().await;
}

// ---- Finding 7: identity numbers need a real region and a birth date that has happened.

#[tokio::test]
async fn identity_numbers_need_a_real_region_and_a_past_birth_date() {
    use crate::errors::with_check_digit;
    let t = TestApp::spawn(Db::Sqlite).await;
    let ga = t.login("ga_clerk").await;
    let tomorrow = domain::china_date(t.clock.now_utc()) + chrono::Days::new(1);
    let refused = [
        (with_check_digit("33999919800101123"), Some("339999")),
        (with_check_digit(&format!("330111{}123", tomorrow.format("%Y%m%d"))), None),
    ];
    for (id, names) in refused {
        let r = t.get(&ga, &format!("/api/pool/registers/persons/{id}")).await;
        assert_eq!((r.status, r.code(), r.body["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, "invalid_id_number", Some("id_number")), "{id}: {}", r.body);
        if let Some(code) = names {
            assert!(r.body["message"].as_str().is_some_and(|m| m.contains(code)), "the message names the region: {}", r.body);
        }
    }
    // A retired code (富阳市 330183) and the residence permits of Hong Kong, Macao and Taiwan
    // residents are numbers like any other: this clerk is refused for want of a purpose.
    for region in ["330183", "810000", "820000", "830000"] {
        let id = with_check_digit(&format!("{region}19800101123"));
        let r = t.get(&ga, &format!("/api/pool/registers/persons/{id}")).await;
        assert_eq!((r.status, r.code()), (StatusCode::FORBIDDEN, "purpose_required"), "{id}: {}", r.body);
    }
    t.shutdown().await;
}

// ---- Scope 3: a minor is linked to a guardian, who reads the child's data; nobody else does.

#[tokio::test]
async fn a_parent_reads_their_minor_childs_data_and_other_residents_do_not() {
    let t = TestApp::spawn(Db::Sqlite).await;
    let (minor, _, parent) = crate::register::minor_with_parent(&t).await;
    let parent_token = t.login(&parent).await;
    let (_, stranger) = t.other_citizen(&parent).await;
    for path in [format!("/api/pool/records?subject={minor}"), format!("/api/pool/health-records/{minor}"), format!("/api/pool/registers/persons/{minor}")] {
        let r = t.get(&parent_token, &path).await;
        assert_eq!(r.status, StatusCode::OK, "{path} as the parent: {}", r.body);
        let r = t.get(&stranger, &path).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{path} as another resident: {}", r.body);
    }
    let allowed = t.strings(&format!("SELECT basis FROM access_log WHERE subject_key = '{minor}' AND outcome = 'allowed'")).await;
    assert!(!allowed.is_empty() && allowed.iter().all(|b| b == "guardian"), "{allowed:?}");
    t.shutdown().await;
}
