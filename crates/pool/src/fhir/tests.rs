//! Round trips of every resource type through the structs, and the import checks.

use serde_json::{Value, json};

use super::*;

fn round_trip(v: Value) {
    let r: Resource = serde_json::from_value(v.clone()).expect("parses");
    validate(&r, "").expect("valid");
    let back = serde_json::to_value(&r).expect("serialises");
    assert_eq!(back, v, "round trip of {}", r.type_name());
}

fn patient() -> Value {
    json!({
        "resourceType": "Patient",
        "id": "pat-1",
        "identifier": [
            {"use": "official", "type": {"coding": [{"system": systems::V2_0203, "code": "NI", "display": "National unique individual identifier"}]},
             "system": systems::RESIDENT_ID, "value": "330183199001011232"},
            {"system": systems::INSURANCE_CARD, "value": "A33010012345678"},
            {"type": {"coding": [{"system": systems::V2_0203, "code": "MR"}]}, "system": "https://minsheng.fuyang.gov.cn/fhir/sid/mrn/fy-1h", "value": "0012345"}
        ],
        "active": true,
        "name": [{"use": "official", "text": "许一诺", "family": "许", "given": ["一诺"]}],
        "gender": "female",
        "birthDate": "1990-01-01",
        "address": [{"text": "富春街道", "district": "富阳区", "city": "杭州市", "state": "浙江省", "country": "CN"}]
    })
}

#[test]
fn every_resource_type_round_trips() {
    round_trip(patient());
    round_trip(json!({
        "resourceType": "Observation", "id": "obs-1", "status": "final",
        "category": [{"coding": [{"system": systems::OBSERVATION_CATEGORY, "code": "laboratory"}]}],
        "code": {"coding": [{"system": "http://loinc.org", "code": "718-7", "display": "Hemoglobin"}]},
        "subject": {"reference": "Patient/pat-1"},
        "effectiveDateTime": "2026-03-02T09:30:00+08:00", "issued": "2026-03-02T11:00:00+08:00",
        "performer": [{"type": "Organization", "identifier": {"system": systems::INSTITUTION, "value": "fy-1h"}, "display": "杭州市富阳区第一人民医院"}],
        "valueQuantity": {"value": 132.0, "unit": "g/L", "system": systems::UCUM, "code": "g/L"},
        "referenceRange": [{"low": {"value": 115.0, "unit": "g/L"}, "high": {"value": 150.0, "unit": "g/L"}}]
    }));
    round_trip(json!({
        "resourceType": "DiagnosticReport", "id": "dr-1",
        "meta": {"tag": [{"system": systems::MARK, "code": "HR", "display": "互认"}]},
        "status": "final",
        "category": [{"coding": [{"system": systems::V2_0074, "code": "HM"}]}],
        "code": {"coding": [{"system": "http://loinc.org", "code": "58410-2"}], "text": "血常规"},
        "subject": {"reference": "Patient/pat-1"}, "effectiveDateTime": "2026-03-02T09:30:00+08:00",
        "result": [{"reference": "Observation/obs-1"}], "conclusion": "未见异常"
    }));
    round_trip(json!({
        "resourceType": "ImagingStudy", "id": "img-1", "status": "available",
        "identifier": [{"system": "https://minsheng.fuyang.gov.cn/fhir/sid/accession/fy-1h", "value": "CT2026030200001",
            "assigner": {"type": "Organization", "identifier": {"system": systems::INSTITUTION, "value": "fy-1h"}}}],
        "modality": [{"system": systems::DICOM_DCM, "code": "CT"}],
        "subject": {"reference": "Patient/pat-1"}, "started": "2026-03-02T10:00:00+08:00",
        "endpoint": [{"reference": "Endpoint/imaging-cloud"}],
        "numberOfSeries": 1, "numberOfInstances": 120,
        "procedureCode": [{"coding": [{"system": systems::LOCAL_ITEM, "code": "FY-CT-HEAD"}]}],
        "series": [{"uid": "1.2.156.112604.1.2.1.1", "number": 1, "modality": {"system": systems::DICOM_DCM, "code": "CT"},
            "numberOfInstances": 120, "bodySite": {"system": "http://snomed.info/sct", "code": "69536005", "display": "Head structure"}}]
    }));
    round_trip(json!({
        "resourceType": "ServiceRequest", "id": "sr-1", "status": "active", "intent": "order",
        "code": {"coding": [{"system": "http://loinc.org", "code": "58410-2"}]},
        "subject": {"reference": "Patient/pat-1"}, "authoredOn": "2026-03-05T08:00:00+08:00",
        "requester": {"display": "张医生"}
    }));
    round_trip(json!({
        "resourceType": "DetectedIssue", "id": "di-1", "status": "preliminary", "severity": "moderate",
        "code": {"coding": [{"system": systems::DETECTED_ISSUE, "code": "duplicate-test"}]},
        "patient": {"reference": "Patient/pat-1"}, "implicated": [{"reference": "DiagnosticReport/dr-1"}], "detail": "重复"
    }));
    round_trip(json!({
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "error", "code": "invalid", "diagnostics": "bad", "expression": ["Observation.status"]}]
    }));
    round_trip(json!({
        "resourceType": "Bundle", "type": "searchset", "total": 1,
        "link": [{"relation": "self", "url": "http://x/fhir/Patient?_count=1"}, {"relation": "next", "url": "http://x/fhir/Patient?_count=1&_offset=1"}],
        "entry": [{"fullUrl": "http://x/fhir/Patient/pat-1", "resource": patient(), "search": {"mode": "match"}}]
    }));
}

#[test]
fn malformed_resources_name_the_element() {
    let bad = |v: Value| -> String {
        match serde_json::from_value::<Resource>(v) {
            Err(e) => format!("parse: {e}"),
            Ok(r) => match validate(&r, "") {
                Err(crate::PoolError::Fhir { path, .. }) => path,
                other => format!("{other:?}"),
            },
        }
    };
    assert_eq!(bad(json!({"resourceType": "Observation", "code": {"text": "x"}, "subject": {"reference": "Patient/p"}})), "status");
    assert_eq!(bad(json!({"resourceType": "Observation", "status": "done", "code": {"text": "x"}, "subject": {"reference": "Patient/p"}})), "status");
    assert_eq!(bad(json!({"resourceType": "Observation", "status": "final", "code": {}, "subject": {"reference": "Patient/p"}})), "code");
    assert_eq!(bad(json!({"resourceType": "Observation", "status": "final", "code": {"text": "x"}})), "subject");
    assert_eq!(
        bad(json!({"resourceType": "Observation", "status": "final", "code": {"text": "x"}, "subject": {"reference": "Patient/p"}, "effectiveDateTime": "yesterday"})),
        "effectiveDateTime"
    );
    assert_eq!(bad(json!({"resourceType": "Patient", "id": "has space", "identifier": [{"value": "1"}]})), "id");
    assert_eq!(bad(json!({"resourceType": "Patient", "identifier": [{"system": systems::RESIDENT_ID, "value": "330183199001011231"}]})), "identifier[0].value");
    assert_eq!(
        bad(json!({"resourceType": "Bundle", "type": "collection", "entry": [{"resource": {"resourceType": "ServiceRequest", "status": "active", "intent": "order", "subject": {"reference": "Patient/p"}}}]})),
        "entry[0].resource.code"
    );
    assert!(bad(json!({"resourceType": "Spaceship"})).starts_with("parse"));
    assert!(bad(json!({"resourceType": "Observation", "status": 5})).starts_with("parse"));
}

#[test]
fn references_and_dates() {
    assert_eq!(Reference::to("Patient/abc").id_of("Patient"), Some("abc"));
    assert_eq!(Reference::to("http://h/fhir/Patient/abc/_history/2").id_of("Patient"), Some("abc"));
    assert_eq!(Reference::to("Observation/abc").id_of("Patient"), None);
    for ok in ["2026", "2026-03", "2026-03-02", "2026-03-02T09:30:00+08:00", "2026-03-02T01:30:00.123Z"] {
        assert!(check_date_time("x", ok).is_ok(), "{ok}");
    }
    for bad in ["2026-3-2", "2026-03-02T09:30", "02/03/2026", ""] {
        assert!(check_date_time("x", bad).is_err(), "{bad}");
    }
}

#[test]
fn the_check_bundle_is_valid_fhir() {
    use crate::recognition::{RecognitionCatalog, Recognisable, ResultSummary, check_bundle};
    let cat = RecognitionCatalog::embedded();
    let item = cat.item("cbc").expect("cbc");
    let now = chrono::Utc::now();
    let res: Resource = serde_json::from_value(json!({
        "resourceType": "DiagnosticReport", "id": "dr-1", "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "58410-2"}]}, "subject": {"reference": "Patient/pat-1"}
    }))
    .expect("report");
    let rec = Recognisable {
        result: ResultSummary {
            row: 1,
            resource_type: "DiagnosticReport".into(),
            logical_id: "dr-1".into(),
            item: "cbc".into(),
            institution: "fy-1h".into(),
            effective: now - chrono::Duration::days(1),
            status: "final".into(),
        },
        valid_until: now + chrono::Duration::days(6),
        price_fen: 2000,
    };
    let b = check_bundle("http://x/fhir", "Patient/pat-1", item, &cat, "77", "fy-2h", &[(rec, res)], now);
    assert_eq!(b.type_, "collection");
    assert_eq!(b.entry.len(), 2);
    let r = Resource::Bundle(Box::new(b));
    validate(&r, "").expect("valid");
    let v = serde_json::to_value(&r).expect("json");
    assert_eq!(v["entry"][0]["resource"]["resourceType"], "DetectedIssue");
    assert!(v["entry"][0]["resource"]["detail"].as_str().is_some_and(|d| d.contains("杭州市富阳区第一人民医院") && d.contains("20.00")));
}
