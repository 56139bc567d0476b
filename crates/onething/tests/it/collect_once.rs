//! Collect once (一次采集、多方复用): de-duplicated materials with their provenance, the applicant
//! providing only the rest, and a repeat application pre-filled from the last one.

use std::collections::BTreeMap;

use catalog::Role;
use chrono::Duration;
use domain::UploadId;
use expect_test::{Expect, expect};
use onething::{AppStatus, EngineError, Known, MaterialSource, Plan, Prior, Provision, SharedRecordRef, Target};

use crate::harness::*;
use crate::tiny;

/// The plan, one line per material and per field.
fn render(plan: &Plan) -> String {
    let mut out = format!("items: {}\n", plan.items.join(", "));
    for m in &plan.materials {
        let how = match &m.provision {
            Provision::Shared { record } => {
                format!("shared {} from {} ({})", record.record_type, record.department, record.issued_at.date_naive())
            }
            Provision::IssuedInBundle { item } => format!("issued in bundle by {item}"),
            Provision::Reused { source: MaterialSource::Reused { upload_id, .. } } => {
                format!("reused upload {upload_id}")
            }
            Provision::Reused { source } => format!("reused {source:?}"),
            Provision::ToUpload => "TO UPLOAD".to_owned(),
        };
        out += &format!("material {} {} [{}]: {how}\n", m.material, m.name, m.needed_by.join(", "));
    }
    for f in &plan.fields {
        out += &format!(
            "field {} ({}{}{}){}\n",
            f.field.key,
            f.field.kind.code(),
            if f.field.required { ", required" } else { "" },
            if f.field.reuse { ", reuse" } else { "" },
            f.prefilled.as_ref().map(|v| format!(" = {v}")).unwrap_or_default()
        );
    }
    out
}

fn check_plan(w: &World, target: &Target, known: Known<'_>, want: Expect) {
    want.assert_eq(&render(&w.plan(target, known, start_time())));
}

fn person_records(w: &World) -> Vec<SharedRecordRef> {
    let at = china(2024, 5, 6, 10, 0);
    ["resident_id_card", "household_register", "marriage_registration"].iter().map(|t| w.record(t, at)).collect()
}

fn enterprise_records(w: &World) -> Vec<SharedRecordRef> {
    let at = china(2025, 3, 3, 10, 0);
    ["business_license", "construction_permit"].iter().map(|t| w.record(t, at)).collect()
}

#[test]
fn the_birth_plan_asks_for_each_material_once() {
    let w = World::demo();
    let records = person_records(&w);
    check_plan(
        &w,
        &Target::Bundle("birth".into()),
        Known { records: &records, prior: None },
        expect![[r#"
        items: wjw-birth-cert, ga-hukou-birth, ybj-newborn-insurance, rsj-social-card, wjw-vaccination-cert, wjw-child-health, ybj-maternity-allowance
        material id_card 居民身份证 [wjw-birth-cert, ga-hukou-birth, ybj-newborn-insurance, wjw-vaccination-cert, ybj-maternity-allowance]: shared resident_id_card from ga (2024-05-06)
        material household_book 居民户口簿 [ga-hukou-birth, rsj-social-card, wjw-child-health]: shared household_register from ga (2024-05-06)
        material birth_medical_cert_m 出生医学证明 [ga-hukou-birth, ybj-newborn-insurance, rsj-social-card, wjw-vaccination-cert, wjw-child-health, ybj-maternity-allowance]: issued in bundle by wjw-birth-cert
        material marriage_cert 结婚证 [ga-hukou-birth]: shared marriage_registration from mzj (2024-05-06)
        material insurance_record_m 社会保险参保缴费证明 [ybj-maternity-allowance]: TO UPLOAD
        field child_name (text, required)
        field child_gender (choice, required)
        field birth_date (date, required)
        field contact_phone (phone, required, reuse)
        field birth_hospital (text, required)
    "#]],
    );
}

#[test]
fn the_night_construction_plan_needs_three_uploads_the_first_time() {
    let w = World::demo();
    let records = enterprise_records(&w);
    check_plan(
        &w,
        &Target::Bundle("night-construction".into()),
        Known { records: &records, prior: None },
        expect![[r#"
            items: zjj-night-review, sthj-night-cert, zhzf-night-filing, jj-night-traffic, jd-night-opinion
            material business_license_m 营业执照 [zjj-night-review, sthj-night-cert, zhzf-night-filing, jj-night-traffic, jd-night-opinion]: shared business_license from scjg (2025-03-03)
            material construction_permit_m 建筑工程施工许可证 [zjj-night-review, zhzf-night-filing, jj-night-traffic]: shared construction_permit from zjj (2025-03-03)
            material night_work_necessity 夜间连续施工必要性说明 [zjj-night-review, jj-night-traffic]: TO UPLOAD
            material noise_control_plan 夜间施工噪声污染防治方案 [zjj-night-review, sthj-night-cert, zhzf-night-filing]: TO UPLOAD
            material night_review_m 夜间施工建设主管部门审核意见 [sthj-night-cert]: issued in bundle by zjj-night-review
            material resident_notice 周边居民公告告知材料 [sthj-night-cert, jd-night-opinion]: TO UPLOAD
            field project_name (text, required, reuse)
            field site_address (text, required, reuse)
            field contractor (text, required, reuse)
            field contractor_credit_code (credit_code, required, reuse)
            field site_manager (text, required, reuse)
            field site_manager_phone (phone, required, reuse)
            field work_content (long_text, required, reuse)
            field site_lat (number, reuse)
            field site_lon (number, reuse)
            field work_start (datetime, required)
            field work_end (datetime, required)
            field road_affected (choice, required, reuse)
        "#]],
    );
}

fn up(n: i64) -> UploadId {
    UploadId(n)
}

fn uploads(list: &[(&str, i64)]) -> BTreeMap<String, UploadId> {
    list.iter().map(|(c, n)| ((*c).to_owned(), up(*n))).collect()
}

#[test]
fn missing_materials_lists_exactly_the_ones_left_to_upload() {
    let w = World::demo();
    let records = enterprise_records(&w);
    let known = Known { records: &records, prior: None };
    let sub = Submission::bundle("night-construction").known(known).uploads(uploads(&[("noise_control_plan", 1)]));
    match Story::try_submit(&w, sub, start_time()) {
        Err(EngineError::MissingMaterials(m)) => assert_eq!(
            m,
            [
                ("night_work_necessity".to_owned(), "夜间连续施工必要性说明".to_owned()),
                ("resident_notice".to_owned(), "周边居民公告告知材料".to_owned()),
            ]
        ),
        other => panic!("expected MissingMaterials, got {:?}", other.map(|s| s.app.status)),
    }
    // Without the shared records, the licence and the permit are to be uploaded too.
    let sub = Submission::bundle("night-construction").uploads(BTreeMap::new());
    match Story::try_submit(&w, sub, start_time()) {
        Err(EngineError::MissingMaterials(m)) => {
            let codes: Vec<_> = m.iter().map(|(c, _)| c.as_str()).collect();
            assert_eq!(
                codes,
                [
                    "business_license_m",
                    "construction_permit_m",
                    "night_work_necessity",
                    "noise_control_plan",
                    "resident_notice"
                ]
            );
        }
        other => panic!("expected MissingMaterials, got {:?}", other.map(|s| s.app.status)),
    }
}

#[test]
fn materials_filled_from_shared_data_or_inside_the_bundle_cannot_be_uploaded() {
    let w = World::demo();
    let records = enterprise_records(&w);
    let known = Known { records: &records, prior: None };
    let base = [("night_work_necessity", 1), ("noise_control_plan", 2), ("resident_notice", 3)];
    for (extra, want) in [
        (
            "business_license_m",
            EngineError::MaterialAlreadyFilled { code: "business_license_m".into(), name: "营业执照".into() },
        ),
        (
            "night_review_m",
            EngineError::MaterialAlreadyFilled {
                code: "night_review_m".into(),
                name: "夜间施工建设主管部门审核意见".into(),
            },
        ),
        ("photo", EngineError::MaterialNotNeeded("photo".into())),
        ("no_such_material", EngineError::MaterialNotNeeded("no_such_material".into())),
    ] {
        let mut u = uploads(&base);
        u.insert(extra.to_owned(), up(99));
        let sub = Submission::bundle("night-construction").known(known).uploads(u);
        match Story::try_submit(&w, sub, start_time()) {
            Err(e) => assert_eq!(e, want, "{extra}"),
            Ok(_) => panic!("uploading {extra} must fail"),
        }
    }
}

#[test]
fn every_material_records_where_it_came_from() {
    let w = World::demo();
    let records = enterprise_records(&w);
    let known = Known { records: &records, prior: None };
    let u = uploads(&[("night_work_necessity", 11), ("noise_control_plan", 12), ("resident_notice", 13)]);
    let mut s = Story::submit(&w, Submission::bundle("night-construction").known(known).uploads(u), start_time());
    let src = |s: &Story<'_>, code: &str| {
        s.app
            .materials
            .iter()
            .find(|m| m.material == code)
            .map(|m| m.source.clone())
            .unwrap_or_else(|| panic!("{code}"))
    };
    assert_eq!(
        src(&s, "business_license_m"),
        MaterialSource::Shared {
            record_id: records[0].id,
            record_type: "business_license".into(),
            department: "scjg".into(),
            issued_at: china(2025, 3, 3, 10, 0),
        }
    );
    assert_eq!(src(&s, "night_work_necessity"), MaterialSource::Upload { upload_id: up(11) });
    assert_eq!(
        src(&s, "night_review_m"),
        MaterialSource::IssuedInBundle { item: "zjj-night-review".into(), record_id: None }
    );
    assert_eq!(s.app.uploaded_materials(), 3);
    assert_eq!(s.app.materials.len(), 6);
    let needed: Vec<_> = s.app.materials.iter().map(|m| (m.material.as_str(), m.needed_by.len())).collect();
    assert_eq!(
        needed,
        [
            ("business_license_m", 5),
            ("construction_permit_m", 3),
            ("night_work_necessity", 2),
            ("noise_control_plan", 3),
            ("night_review_m", 1),
            ("resident_notice", 2),
        ]
    );
    // sthj-night-cert waits for the review; when it is issued, the material points at it.
    assert_eq!(s.case("sthj-night-cert").status, onething::CaseStatus::Waiting);
    s.approve("zjj-night-review");
    let review = s.records.iter().find(|r| r.record_type == "night_construction_review").map(|r| r.id);
    assert!(review.is_some());
    assert_eq!(
        src(&s, "night_review_m"),
        MaterialSource::IssuedInBundle { item: "zjj-night-review".into(), record_id: review }
    );
    assert_eq!(s.case("sthj-night-cert").status, onething::CaseStatus::Active);
}

#[test]
fn the_newest_valid_shared_record_is_used() {
    let w = tiny::world();
    let today = domain::china_date(start_time());
    let rec = |issued: chrono::DateTime<chrono::Utc>, valid: Option<chrono::NaiveDate>| SharedRecordRef {
        valid_until: valid,
        ..w.record("rec_a", issued)
    };
    let old = rec(china(2025, 1, 1, 9, 0), None);
    let newer = rec(china(2025, 6, 1, 9, 0), Some(today));
    let newest_expired = rec(china(2025, 9, 1, 9, 0), Some(today - Duration::days(1)));
    let records = vec![old.clone(), newer.clone(), newest_expired.clone()];
    let plan = w.plan(&Target::Item("e".into()), Known { records: &records, prior: None }, start_time());
    assert_eq!(plan.materials[0].provision, Provision::Shared { record: newer.clone() }, "valid through today");
    let records = vec![old.clone(), newest_expired.clone()];
    let plan = w.plan(&Target::Item("e".into()), Known { records: &records, prior: None }, start_time());
    assert_eq!(plan.materials[0].provision, Provision::Shared { record: old });
    let records = vec![newest_expired];
    let plan = w.plan(&Target::Item("e".into()), Known { records: &records, prior: None }, start_time());
    assert_eq!(plan.materials[0].provision, Provision::ToUpload);
    // Records of other types do not count.
    let records = vec![w.record("rec_b", start_time())];
    let plan = w.plan(&Target::Item("e".into()), Known { records: &records, prior: None }, start_time());
    assert_eq!(plan.materials[0].provision, Provision::ToUpload);
}

#[test]
fn outputs_issued_by_one_application_fill_in_the_next() {
    let w = World::demo();
    let records = person_records(&w);
    let mut birth =
        Story::submit(&w, Submission::bundle("birth").known(Known { records: &records, prior: None }), start_time());
    birth.approve_all();
    assert_eq!(birth.app.status, AppStatus::Completed);
    let issued: Vec<_> = birth.records.iter().map(|r| r.record_type.as_str()).collect();
    assert_eq!(
        issued,
        [
            "birth_medical_cert",
            "household_register",
            "medical_insurance_enrolment",
            "social_security_card",
            "vaccination_cert",
            "child_health_record",
            "maternity_allowance"
        ]
    );
    for r in &birth.records {
        assert_eq!(r.subject_key, person().key);
        assert_eq!(r.application, birth.app.id);
        assert_eq!(r.data["holder"], "张三");
    }
    // Six years later, school enrolment finds the vaccination certificate in the pool.
    let mut pool = records.clone();
    pool.extend(as_shared(&birth.records));
    let later = china(2031, 6, 2, 9, 0);
    let plan = w.plan(&Target::Bundle("school-enrolment".into()), Known { records: &pool, prior: None }, later);
    let vacc = plan.materials.iter().find(|m| m.material == "vaccination_cert_m").map(|m| m.provision.clone());
    let issued = birth.records.iter().find(|r| r.record_type == "vaccination_cert").map(|r| r.id);
    match vacc {
        Some(Provision::Shared { record }) => {
            assert_eq!(Some(record.id), issued);
            assert_eq!(record.department, "wjw");
            assert_eq!(record.issued_at, birth.now);
        }
        other => panic!("vaccination certificate not reused: {other:?}"),
    }
}

#[test]
fn a_repeat_night_construction_needs_only_the_new_time_window() {
    let w = World::demo();
    let records = enterprise_records(&w);
    let target = Target::Bundle("night-construction".into());
    let u = uploads(&[("night_work_necessity", 11), ("noise_control_plan", 12), ("resident_notice", 13)]);
    let mut first = Story::submit(
        &w,
        Submission::bundle("night-construction").known(Known { records: &records, prior: None }).uploads(u),
        start_time(),
    );
    first.approve_all();
    assert_eq!(first.app.status, AppStatus::Completed);
    assert_eq!(first.app.uploaded_materials(), 3);

    let prior = first.as_prior();
    let known = Known { records: &records, prior: Some(&prior) };
    let later = china(2025, 11, 3, 9, 0);
    let plan = w.plan(&target, known, later);
    assert_eq!(plan.prior, Some(first.app.id));
    assert_eq!(plan.to_upload().count(), 0);
    let to_fill: Vec<_> = plan.fields.iter().filter(|f| f.prefilled.is_none()).map(|f| f.field.key.as_str()).collect();
    assert_eq!(to_fill, ["work_start", "work_end"]);

    // The applicant gives only the new time window: no upload, no other field.
    let form: BTreeMap<String, String> = [("work_start", "2025-11-05T22:00"), ("work_end", "2025-11-06T05:00")]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    let mut repeat = Story::submit(
        &w,
        Submission::bundle("night-construction").known(known).form(form).uploads(BTreeMap::new()),
        later,
    );
    assert_eq!(repeat.app.uploaded_materials(), 0);
    for (code, upload) in [("night_work_necessity", 11), ("noise_control_plan", 12), ("resident_notice", 13)] {
        let src = repeat.app.materials.iter().find(|m| m.material == code).map(|m| m.source.clone());
        assert_eq!(
            src,
            Some(MaterialSource::Reused { upload_id: up(upload), from_application: first.app.id }),
            "{code}"
        );
    }
    for (k, v) in &repeat.app.form {
        match k.as_str() {
            "work_start" => assert_eq!(v, "2025-11-05T22:00"),
            "work_end" => assert_eq!(v, "2025-11-06T05:00"),
            _ => assert_eq!(Some(v), first.app.form.get(k), "{k} is reused"),
        }
    }
    assert_eq!(repeat.app.form.len(), first.app.form.len());
    let hist = &repeat.history[0];
    assert!(hist.detail.contains(&format!("\"prior\":\"{}\"", first.app.id)), "{}", hist.detail);
    assert!(hist.detail.contains("\"materials_uploaded\":0"), "{}", hist.detail);
    repeat.approve_all();
    assert_eq!(repeat.app.status, AppStatus::Completed);

    // The third time reuses the same uploads, now by way of the second application.
    let prior2 = repeat.as_prior();
    let plan = w.plan(&target, Known { records: &records, prior: Some(&prior2) }, later);
    let reused: Vec<_> = plan
        .materials
        .iter()
        .filter_map(|m| match &m.provision {
            Provision::Reused { source } => Some(source.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(
        reused,
        [11, 12, 13].map(|n| MaterialSource::Reused { upload_id: up(n), from_application: repeat.app.id })
    );

    // Without the time window the repeat is refused, naming the first missing field.
    let sub = Submission::bundle("night-construction").known(known).form(BTreeMap::new()).uploads(BTreeMap::new());
    match Story::try_submit(&w, sub, later) {
        Err(e) => {
            assert_eq!(e, EngineError::MissingField { key: "work_start".into(), label: "夜间施工开始时间".into() })
        }
        Ok(_) => panic!("the time window is required"),
    }
}

#[test]
fn a_repeat_may_replace_a_reused_upload_and_override_a_prefilled_field() {
    let w = tiny::world();
    let first = Story::submit(
        &w,
        Submission::item("a").form(BTreeMap::from([("note".to_owned(), "第一次".to_owned())])),
        start_time(),
    );
    assert_eq!(first.app.form.get("note").map(String::as_str), Some("第一次"));
    let prior = first.as_prior();
    let known = Known { records: &[], prior: Some(&prior) };
    let plan = w.plan(&Target::Item("a".into()), known, start_time());
    // id_card has no shared record and is not reusable in the tiny catalog; up1 is reusable.
    let prov: Vec<_> = plan.materials.iter().map(|m| (m.material.as_str(), m.provision.clone())).collect();
    let first_up1 = first.app.materials.iter().find(|m| m.material == "up1").and_then(|m| m.source.upload_id());
    assert_eq!(
        prov,
        [
            ("id_card", Provision::ToUpload),
            (
                "up1",
                Provision::Reused {
                    source: MaterialSource::Reused {
                        upload_id: first_up1.unwrap_or(up(0)),
                        from_application: first.app.id
                    }
                }
            ),
        ]
    );
    assert_eq!(plan.fields[0].prefilled.as_deref(), Some("第一次"));
    let s = Story::submit(
        &w,
        Submission::item("a")
            .known(known)
            .form(BTreeMap::from([("note".to_owned(), "第二次".to_owned())]))
            .uploads(uploads(&[("id_card", 70), ("up1", 71)])),
        start_time(),
    );
    assert_eq!(s.app.form.get("note").map(String::as_str), Some("第二次"));
    let up1 = s.app.materials.iter().find(|m| m.material == "up1").map(|m| m.source.clone());
    assert_eq!(up1, Some(MaterialSource::Upload { upload_id: up(71) }));
    assert_eq!(s.app.uploaded_materials(), 2);
}

#[test]
fn a_field_that_is_not_reusable_is_not_prefilled() {
    let w = tiny::world();
    let prior = Prior {
        id: domain::ApplicationId(5),
        form: BTreeMap::from([
            ("when".to_owned(), "2025-01-01".to_owned()),
            ("phone".to_owned(), "13900001111".to_owned()),
        ]),
        materials: Vec::new(),
    };
    let plan = w.plan(&Target::Bundle("chain".into()), Known { records: &[], prior: Some(&prior) }, start_time());
    let pre: Vec<_> = plan.fields.iter().map(|f| (f.field.key.as_str(), f.prefilled.as_deref())).collect();
    assert_eq!(pre, [("phone", Some("13900001111")), ("note", None), ("when", None)]);
}

#[test]
fn supplementary_uploads_replace_only_the_applicants_own_materials_of_that_item() {
    let w = tiny::world();
    let records = vec![w.record("id_rec", china(2020, 1, 1, 9, 0))];
    let mut s =
        Story::submit(&w, Submission::bundle("chain").known(Known { records: &records, prior: None }), start_time());
    let clerk = actor(STAFF, &[Role::Clerk]);
    s.act("a", "request_supplement", &clerk, Some("申请书不清晰"));
    let before = s.app.clone();
    for (code, want) in [
        ("id_card", EngineError::MaterialAlreadyFilled { code: "id_card".into(), name: "身份证".into() }),
        // up2 is b's, not a's.
        ("up2", EngineError::MaterialNotNeeded("up2".into())),
        ("nothing", EngineError::MaterialNotNeeded("nothing".into())),
    ] {
        let mut req = s.request("a", "resubmit", None);
        req.uploads.insert(code.into(), up(600));
        assert_eq!(s.try_act_req(req, &applicant_actor()).err(), Some(want), "{code}");
        assert_eq!(s.app, before);
    }
    let mut req = s.request("a", "resubmit", None);
    req.uploads.insert("up1".into(), up(601));
    let e = s.try_act_req(req, &applicant_actor()).unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(e.history[0].detail, r#"{"uploads":["up1"]}"#);
    let up1 = s.app.materials.iter().find(|m| m.material == "up1").map(|m| m.source.clone());
    assert_eq!(up1, Some(MaterialSource::Upload { upload_id: up(601) }));
}

/// Two members issue rec_a; q needs it and comes after the second only.
const TWO_ISSUERS: &str = r#"
[[item]]
code = "p1"
name = "甲一"
name_en = "P1"
department = "d1"
subject = "person"
legal_days = 5
promised_days = 1
levels = ["district"]
online = true
visits = 1
workflow = "simple"
materials = ["up1"]
outputs = ["rec_a"]

[[item]]
code = "p2"
name = "甲二"
name_en = "P2"
department = "d2"
subject = "person"
legal_days = 5
promised_days = 1
levels = ["district"]
online = true
visits = 1
workflow = "simple"
materials = ["up1"]
outputs = ["rec_a"]

[[item]]
code = "q"
name = "乙"
name_en = "Q"
department = "d3"
subject = "person"
legal_days = 5
promised_days = 1
levels = ["district"]
online = true
visits = 1
workflow = "simple"
materials = ["a_m"]

[[bundle]]
code = "two-issuers"
name = "两个出具者"
name_en = "Two issuers"
stage = "medical"
subject = "person"
items = ["p1", "p2", "q"]
  [[bundle.prerequisite]]
  item = "q"
  after = ["p2"]
"#;

#[test]
fn a_material_is_issued_by_the_member_that_comes_before_the_items_needing_it() {
    let w = World::inline(&[tiny::BASE, TWO_ISSUERS]);
    let b = w.catalog.bundle("two-issuers").cloned().unwrap_or_else(|| panic!("no bundle"));
    // The catalog names p1, the first issuer, though q does not wait for it.
    let need = b.materials(&w.catalog).into_iter().find(|m| m.material == "a_m");
    assert_eq!(need.and_then(|m| m.issued_in_bundle_by).as_deref(), Some("p1"));
    let plan = w.plan(&Target::Bundle("two-issuers".into()), Known::default(), start_time());
    let a_m = plan.materials.iter().find(|m| m.material == "a_m").map(|m| m.provision.clone());
    assert_eq!(a_m, Some(Provision::IssuedInBundle { item: "p2".into() }));
    let mut s = Story::submit(&w, Submission::bundle("two-issuers"), start_time());
    s.approve("p2");
    assert_eq!(s.case("q").status, onething::CaseStatus::Active);
    let src = s.app.materials.iter().find(|m| m.material == "a_m").map(|m| m.source.clone());
    let p2_record = s.records.iter().find(|r| r.case == s.case_id("p2")).map(|r| r.id);
    assert_eq!(src, Some(MaterialSource::IssuedInBundle { item: "p2".into(), record_id: p2_record }));
    s.approve("p1");
    let src = s.app.materials.iter().find(|m| m.material == "a_m").map(|m| m.source.clone());
    assert_eq!(
        src,
        Some(MaterialSource::IssuedInBundle { item: "p2".into(), record_id: p2_record }),
        "still the record q used"
    );
}
