//! The embedded demo catalog of Fuyang district loads and meets the product's figures.

use catalog::{Catalog, FieldKind, LifeStage, Subject};

fn demo() -> Catalog {
    match Catalog::try_demo() {
        Ok(c) => c,
        Err(e) => panic!("the demo catalog has errors:\n{e}"),
    }
}

#[test]
fn demo_catalog_loads_without_errors() {
    let c = demo();
    let s = c.stats();
    println!("{s:#?}");
    assert!(s.departments >= 14, "{} departments", s.departments);
    assert!(s.items >= 60, "{} items", s.items);
    assert!(s.bundles >= 15, "{} bundles", s.bundles);
}

#[test]
fn demo_is_also_loadable_from_disk() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../catalog");
    let from_disk = match Catalog::load_dir(&dir) {
        Ok(c) => c,
        Err(e) => panic!("{e}"),
    };
    assert_eq!(from_disk.stats(), demo().stats());
    assert!(
        Catalog::demo_sources()
            .iter()
            .all(|s| s.name.starts_with("catalog/") && s.name.ends_with(".toml"))
    );
}

#[test]
fn items_come_from_at_least_twelve_departments() {
    let c = demo();
    let with_items = c
        .departments()
        .filter(|d| c.items_of_department(&d.code).next().is_some())
        .count();
    assert!(with_items >= 12, "{with_items}");
}

#[test]
fn every_stage_has_a_bundle_of_its_subject() {
    let c = demo();
    for stage in LifeStage::ALL {
        let bundles: Vec<_> = c.bundles_in_stage(*stage).collect();
        assert!(!bundles.is_empty(), "no bundle in stage {stage}");
        assert!(bundles.iter().all(|b| b.subject == stage.subject()));
    }
}

#[test]
fn the_named_bundles_exist() {
    let c = demo();
    for (code, name, stage) in [
        ("birth", "出生一件事", LifeStage::Birth),
        ("school-enrolment", "入学一件事", LifeStage::Schooling),
        (
            "marriage-childbirth",
            "婚育一件事",
            LifeStage::MarriageChildbirth,
        ),
        ("retirement", "退休一件事", LifeStage::Retirement),
        ("death", "身后一件事", LifeStage::Funeral),
        (
            "enterprise-opening",
            "企业开办一件事",
            LifeStage::EnterpriseOpening,
        ),
        (
            "enterprise-deregistration",
            "企业注销一件事",
            LifeStage::EnterpriseDeregistration,
        ),
        (
            "night-construction",
            "夜间施工一件事",
            LifeStage::ProjectApproval,
        ),
    ] {
        let Some(b) = c.bundle(code) else {
            panic!("bundle {code} is missing")
        };
        assert_eq!(b.name, name);
        assert_eq!(b.stage, stage, "{code}");
    }
}

#[test]
fn the_generator_records_exist() {
    let c = demo();
    for (code, subject, dept) in [
        ("resident_id_card", Subject::Person, "ga"),
        ("household_register", Subject::Person, "ga"),
        ("marriage_registration", Subject::Person, "mzj"),
        ("business_license", Subject::Enterprise, "scjg"),
    ] {
        let Some(r) = c.record_type(code) else {
            panic!("record type {code} is missing")
        };
        assert_eq!(
            (r.subject, r.department.as_str()),
            (subject, dept),
            "{code}"
        );
    }
}

#[test]
fn birth_flows_from_the_birth_certificate_to_the_household_register() {
    let c = demo();
    let Some(b) = c.bundle("birth") else {
        panic!("no birth bundle")
    };
    assert_eq!(
        b.prerequisites_of("ga-hukou-birth"),
        ["wjw-birth-cert".to_owned()]
    );
    let order = b.topo_order();
    let pos = |i: &str| order.iter().position(|x| x == i);
    assert!(pos("wjw-birth-cert") < pos("ga-hukou-birth"));
    assert!(pos("ga-hukou-birth") < pos("rsj-social-card"));
    let need = b
        .materials(&c)
        .into_iter()
        .find(|n| n.material == "birth_medical_cert_m");
    let Some(need) = need else {
        panic!("birth_medical_cert_m not needed")
    };
    assert_eq!(need.issued_in_bundle_by.as_deref(), Some("wjw-birth-cert"));
    assert!(need.needed_by.contains(&"ga-hukou-birth".to_owned()));
    assert!(
        c.item_outputs_record("household_register")
            .any(|i| i.code == "ga-hukou-birth")
    );
}

#[test]
fn night_construction_is_five_departments_three_uploads_and_a_new_time_window() {
    let c = demo();
    let Some(b) = c.bundle("night-construction") else {
        panic!("no night-construction bundle")
    };
    assert_eq!(b.subject, Subject::Enterprise);
    let mut depts = b.departments(&c);
    depts.sort();
    assert_eq!(depts, ["jd", "jj", "sthj", "zhzf", "zjj"]);

    let uploads: Vec<_> = b
        .materials(&c)
        .into_iter()
        .filter_map(|n| c.material(&n.material))
        .filter(|m| m.satisfied_by.is_none())
        .collect();
    assert_eq!(uploads.len(), 3, "{uploads:?}");
    assert!(uploads.iter().all(|m| m.reusable), "{uploads:?}");
    assert_eq!(b.reduction(&c).materials_to_upload, 3);

    let form = b.form_fields(&c);
    let asked_again: Vec<_> = form
        .iter()
        .filter(|f| !f.reuse)
        .map(|f| f.key.as_str())
        .collect();
    assert_eq!(asked_again, ["work_start", "work_end"]);
    assert!(
        form.iter()
            .filter(|f| !f.reuse)
            .all(|f| f.kind == FieldKind::DateTime)
    );
    assert!(form.iter().any(|f| f.key == "site_address" && f.reuse));
}

#[test]
fn collect_once_removes_most_materials() {
    let c = demo();
    let r = c.stats().reduction;
    let share = 1.0 - r.materials_to_upload as f64 / r.materials_item_by_item as f64;
    println!(
        "{r:?}: {:.1}% of item-by-item materials need no upload",
        share * 100.0
    );
    assert!(share >= 0.75, "only {:.1}% saved", share * 100.0);
    assert!(r.days_in_bundle < r.days_item_by_item);
}

#[test]
fn every_item_and_material_is_used() {
    let c = demo();
    for m in c.materials() {
        assert!(
            c.items().any(|i| i.materials.contains(&m.code)),
            "material {} is unused",
            m.code
        );
    }
    for r in c.record_types() {
        let used = c.items().any(|i| i.outputs.contains(&r.code))
            || c.materials()
                .any(|m| m.satisfied_by.as_deref() == Some(r.code.as_str()));
        assert!(used, "record type {} is neither issued nor read", r.code);
    }
    let in_bundles = c
        .items()
        .filter(|i| c.bundles_with_item(&i.code).next().is_some())
        .count();
    assert!(
        in_bundles * 10 >= c.stats().items * 8,
        "{in_bundles} items in bundles"
    );
}

#[test]
fn promised_limits_are_well_under_legal_ones() {
    let c = demo();
    let legal: u32 = c.items().map(|i| i.legal_days).sum();
    let promised: u32 = c.items().map(|i| i.promised_days).sum();
    assert!(promised * 3 <= legal, "promised {promised}, legal {legal}");
}
