//! Grouping decisions pinned by hand: the MCC/CC/none split, the CC exclusions, the age split,
//! surgical cases decided by the procedure, non-OR procedures, the ungroupable cases, and codes
//! that are not in the lists.

use medins::Grouper;
use medins::MedinsError;
use medins::Severity;
use medins::Sex;
use medins::Ungroupable;

use crate::helpers::case;

fn drg(g: &Grouper, principal: &str, others: &[&str], procedures: &[&str], age: u8) -> String {
    g.group(&case(principal, others, procedures, age, Sex::Male)).expect("groups").drg
}

#[test]
fn complications_split_an_adrg_into_mcc_cc_and_none() {
    let g = Grouper::embedded();
    // 脑梗死: no CC → BR25; 低钠血症 (CC) → BR23; 急性呼吸衰竭 (MCC) → BR21.
    assert_eq!(drg(&g, "I63.9", &[], &[], 70), "BR25");
    assert_eq!(drg(&g, "I63.9", &["I10", "E78.5"], &[], 70), "BR25", "comorbidities that are not CCs do not count");
    assert_eq!(drg(&g, "I63.9", &["E87.1"], &[], 70), "BR23");
    assert_eq!(drg(&g, "I63.9", &["E87.1", "J96.0"], &[], 70), "BR21");
    let full = g.group(&case("I63.9", &["E87.1", "J96.0"], &[], 70, Sex::Male)).expect("groups");
    assert_eq!((full.mdc.as_str(), full.adrg.as_str(), full.severity), ("MDCB", "BR2", Severity::Mcc));
    assert_eq!(full.severity_from.as_deref(), Some("J96.0"));
    assert_eq!(full.name_zh, "脑缺血性疾患，伴严重并发症或合并症");
    assert_eq!((full.weight, full.benchmark_cost.0), (1.62, 1_620_000));
    assert!(!full.surgical && full.ungroupable.is_none());
}

#[test]
fn a_complication_of_the_principal_s_own_family_or_excluded_for_it_does_not_count() {
    let g = Grouper::embedded();
    // 心力衰竭 I50.9 is a CC, but not for a principal 充血性心力衰竭 I50.0 (same category I50).
    assert_eq!(drg(&g, "I50.0", &["I50.9"], &[], 80), "FR35");
    assert_eq!(drg(&g, "I63.9", &["I50.9"], &[], 80), "BR23", "the same CC counts for a stroke");
    // 慢性肾脏病5期 N18.5 is a CC, but the CC list excludes it for 2型糖尿病伴有肾的并发症 E11.2.
    assert_eq!(drg(&g, "E11.2", &["N18.5"], &[], 65), "KS15");
    assert_eq!(drg(&g, "E11.2", &["N39.0"], &[], 65), "KS13");
    // 吸入性肺炎 J69.0 is an MCC, excluded for a principal pneumonia.
    assert_eq!(drg(&g, "J18.9", &["J69.0"], &[], 65), "ES35");
    assert_eq!(drg(&g, "I63.9", &["J69.0"], &[], 65), "BR21");
    // A secondary diagnosis equal to the principal counts for nothing.
    assert_eq!(drg(&g, "J96.0", &["J96.0"], &[], 65), "EZ15");
}

#[test]
fn pneumonia_splits_by_age() {
    let g = Grouper::embedded();
    assert_eq!(drg(&g, "J18.0", &[], &[], 5), "ES30");
    assert_eq!(drg(&g, "J18.0", &["J96.0"], &[], 16), "ES30", "every child's pneumonia is ES30, complications or not");
    assert_eq!(drg(&g, "J18.0", &[], &[], 17), "ES35");
    assert_eq!(drg(&g, "J18.0", &["E87.6"], &[], 17), "ES33");
    assert_eq!(drg(&g, "J18.0", &["J96.0"], &[], 17), "ES31");
    assert_eq!(g.drg("ES30").expect("ES30").name_zh, "呼吸系统感染/炎症，年龄<17岁");
}

#[test]
fn an_operating_room_procedure_decides_a_surgical_group() {
    let g = Grouper::embedded();
    // 膝关节病: medical without surgery, joint replacement with 全膝关节置换.
    assert_eq!(drg(&g, "M17.9", &[], &[], 68), "IU25");
    let knee = g.group(&case("M17.9", &[], &["81.54"], 68, Sex::Female)).expect("groups");
    assert_eq!((knee.drg.as_str(), knee.surgical), ("IC25", true));
    // 股骨颈骨折: a hemiarthroplasty is a joint replacement (tried first), a fixation is not.
    assert_eq!(drg(&g, "S72.0", &[], &["81.52"], 82), "IC25");
    assert_eq!(drg(&g, "S72.0", &[], &["79.35"], 82), "IF35");
    assert_eq!(drg(&g, "S72.0", &[], &[], 82), "IR25");
    // Both procedures: the surgical hierarchy puts the replacement first, in any order.
    assert_eq!(drg(&g, "S72.0", &[], &["79.35", "81.52"], 82), "IC25");
    assert_eq!(drg(&g, "S72.0", &[], &["81.52", "79.35"], 82), "IC25");
    // Appendicitis with peritonitis: the complicated appendectomy GD1 (not split) before GD2.
    assert_eq!(drg(&g, "K35.3", &[], &["47.09"], 30), "GD19");
    assert_eq!(drg(&g, "K35.8", &[], &["47.01"], 30), "GD25");
    assert_eq!(drg(&g, "K35.8", &["A41.9"], &["47.01"], 30), "GD21");
    assert_eq!(drg(&g, "K35.8", &[], &[], 30), "GZ15");
    // Caesarean section.
    assert_eq!(g.group(&case("O82.0", &["Z37.0"], &["74.1"], 30, Sex::Female)).expect("groups").drg, "OB15");
}

#[test]
fn non_or_procedures_do_not_make_a_case_surgical() {
    let g = Grouper::embedded();
    assert_eq!(drg(&g, "J18.9", &[], &["87.44", "88.38", "96.71"], 70), "ES35");
    // A non-OR ADRG: dialysis for chronic kidney disease.
    assert_eq!(drg(&g, "N18.5", &[], &["39.95"], 70), "LL19");
    assert_eq!(drg(&g, "N18.5", &[], &[], 70), "LR15");
    // Chemotherapy is medical by its principal diagnosis.
    assert_eq!(drg(&g, "Z51.1", &["C34.9"], &["99.25"], 60), "RU15");
}

#[test]
fn ungroupable_cases_go_to_qy_or_0000() {
    let g = Grouper::embedded();
    // A hip replacement for a stroke: the procedure is in no surgical ADRG of MDCB → BQY.
    let qy = g.group(&case("I63.9", &[], &["81.51"], 70, Sex::Male)).expect("groups");
    assert_eq!((qy.drg.as_str(), qy.mdc.as_str(), qy.adrg.as_str()), ("BQY", "MDCB", ""));
    assert_eq!(qy.ungroupable, Some(Ungroupable::ProcedureOutsideMdc));
    assert_eq!(qy.name_zh, "神经系统疾病及功能障碍歧义组");
    assert_eq!(qy.weight, 0.0);
    // An external cause as the principal diagnosis.
    let fall = g.group(&case("W19", &[], &[], 70, Sex::Male)).expect("groups");
    assert_eq!((fall.drg.as_str(), fall.ungroupable), ("0000", Some(Ungroupable::NotPrincipal)));
    // A known code no group of the subset takes as principal.
    assert_eq!(g.group(&case("E78.5", &[], &[], 70, Sex::Male)).expect("groups").ungroupable, Some(Ungroupable::NoGroup));
    // A delivery of a male patient.
    assert_eq!(g.group(&case("O80.0", &[], &[], 30, Sex::Male)).expect("groups").ungroupable, Some(Ungroupable::SexConflict));
    assert_eq!(g.group(&case("O80.0", &["Z37.0"], &["73.59"], 30, Sex::Female)).expect("groups").drg, "OR15");
}

#[test]
fn unknown_codes_are_refused_naming_the_code_and_the_field() {
    let g = Grouper::embedded();
    let e = g.group(&case("X99.9", &[], &[], 70, Sex::Male)).expect_err("unknown principal");
    assert_eq!(e, MedinsError::UnknownDiagnosis { code: "X99.9".into(), field: "principal_dx".into() });
    assert_eq!(domain::Describe::code(&e), "unknown_diagnosis");
    assert!(domain::Describe::message_zh(&e).contains("X99.9"));
    let e = g.group(&case("I63.9", &["I10", "I63.91"], &[], 70, Sex::Male)).expect_err("unknown secondary");
    assert_eq!(e.field().as_deref(), Some("other_dx[1]"));
    let e = g.group(&case("I63.9", &[], &["88.91", "99.99"], 70, Sex::Male)).expect_err("unknown procedure");
    assert_eq!(e, MedinsError::UnknownProcedure { code: "99.99".into(), field: "procedures[1]".into() });
    assert_eq!(e.kind(), medins::ErrorKind::Invalid);
}

#[test]
fn one_grouping_takes_well_under_50_microseconds() {
    // A loose guard in a debug build; the release figure is in the README (bench).
    let g = Grouper::embedded();
    let e = case("I63.9", &["I10", "E87.1", "J96.0", "E78.5"], &["88.91", "93.39"], 70, Sex::Male);
    let t = std::time::Instant::now();
    for _ in 0..1000 {
        std::hint::black_box(g.group(std::hint::black_box(&e)).expect("groups"));
    }
    let per = t.elapsed() / 1000;
    assert!(per < std::time::Duration::from_micros(50), "{per:?} per grouping");
}
