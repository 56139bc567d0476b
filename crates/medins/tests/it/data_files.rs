//! The data files: the shipped ones load and say where their content comes from; a caller's file
//! with a syntax error or a broken rule is refused with the file, the line and the field.

use medins::Grouper;
use medins::MedinsError;
use medins::Scheme;
use medins::grouper::EMBEDDED_GROUPS;
use medins::grouper::EMBEDDED_ICD9;
use medins::grouper::EMBEDDED_ICD10;
use medins::scheme::EMBEDDED_SCHEME;

fn line_of(text: &str, needle: &str) -> usize {
    text[..text.find(needle).expect("the needle is in the text")].matches('\n').count() + 1
}

fn data_error(e: MedinsError) -> (String, Option<usize>, String, String) {
    match e {
        MedinsError::Data { file, line, field, message } => (file, line, field, message),
        other => panic!("not a data error: {other:?}"),
    }
}

#[test]
fn the_shipped_files_say_where_their_content_comes_from() {
    for header in ["CHS-DRG 1.1", "NOT", "ILLUSTRATIVE", "ICD-10", "ICD-9-CM-3"] {
        assert!(EMBEDDED_GROUPS.contains(header), "chs-drg.toml says {header}");
    }
    assert!(EMBEDDED_ICD10.contains("医保版") && EMBEDDED_ICD9.contains("ICD-9-CM"));
    assert!(EMBEDDED_SCHEME.contains("NOT HANGZHOU'S OR ANY OFFICIAL ONE"));
    let g = Grouper::from_toml(EMBEDDED_GROUPS).expect("loads");
    assert_eq!(g.digest(), Grouper::embedded().digest());
    // The subset covers the case list.
    for drg in ["BR25", "BZ15", "XR19", "ES30", "ES35", "ET25", "FR35", "FV25", "KS15", "IC25", "IF35", "IR25", "GD25", "HC35", "OR15", "OB15", "LR15", "RU15", "TS15", "0000", "BQY"] {
        assert!(g.drg(drg).is_ok(), "{drg}");
    }
    // Every long-stay family names codes of the code list.
    let s = Scheme::embedded();
    for f in s.long_stay_families() {
        assert!(g.diagnosis_codes().iter().any(|c| c.starts_with(f.prefix.as_str())), "{}", f.prefix);
    }
}

#[test]
fn garbage_toml_is_refused_with_a_line() {
    let (file, line, _, _) = data_error(Grouper::from_toml("[source]\nscheme = \"x\"\n\nthis is not toml\n").expect_err("garbage"));
    assert_eq!((file.as_str(), line), ("chs-drg.toml", Some(4)));
    let (file, line, _, _) = data_error(Scheme::from_toml("[points]\npoints_per_weight = \"many\"\n").expect_err("garbage"));
    assert_eq!((file.as_str(), line), ("scheme.toml", Some(2)));
    let (file, line, field, message) = data_error(Grouper::from_parts(EMBEDDED_GROUPS, "[codes]\n\"I63.9\" = 7\n", EMBEDDED_ICD9).expect_err("bad code list"));
    assert_eq!((file.as_str(), line), ("icd10.toml", Some(2)));
    assert!(field.contains("I63.9") || message.contains("string"), "{field}: {message}");
    assert!(Grouper::from_toml("").is_err());
    assert!(Scheme::from_toml("\u{0}").is_err());
}

#[test]
fn a_broken_rule_names_its_line_and_field() {
    // A weight of zero.
    let text = EMBEDDED_GROUPS.replace("weight = 1.62,", "weight = 0.0,");
    let (_, line, field, _) = data_error(Grouper::from_toml(&text).expect_err("zero weight"));
    assert_eq!(line, Some(line_of(&text, "weight = 0.0,")));
    assert!(field.ends_with(".weight"), "{field}");
    // A principal prefix that matches no code.
    let text = EMBEDDED_GROUPS.replace("principal = [\"I61\"]", "principal = [\"I62\"]");
    let (_, line, field, message) = data_error(Grouper::from_toml(&text).expect_err("no code"));
    assert_eq!(line, Some(line_of(&text, "\"I62\"")));
    assert_eq!(field, "adrg[0].principal[0]");
    assert!(message.contains("I62"), "{message}");
    // An ADRG without a DRG for a case without complications.
    let text = EMBEDDED_GROUPS.replace("{ code = \"BR15\", severity = \"none\"", "{ code = \"BR15\", severity = \"cc\"");
    let (_, _, field, message) = data_error(Grouper::from_toml(&text).expect_err("no catch-all"));
    assert_eq!(field, "adrg[0].drgs");
    assert!(message.contains("BR1"), "{message}");
    // A surgical ADRG whose letter says medical.
    let text = EMBEDDED_GROUPS.replace("code = \"GD2\"\nmdc = \"MDCG\"\nkind = \"surgical\"", "code = \"GD2\"\nmdc = \"MDCG\"\nkind = \"medical\"");
    assert!(data_error(Grouper::from_toml(&text).expect_err("kind")).2.ends_with(".kind"));
    // A code list entry that is not an ICD-10 code.
    let icd10 = EMBEDDED_ICD10.replace("\"I10\" = ", "\"i10\" = ");
    let (file, line, _, _) = data_error(Grouper::from_parts(EMBEDDED_GROUPS, &icd10, EMBEDDED_ICD9).expect_err("bad code"));
    assert_eq!((file.as_str(), line), ("icd10.toml", Some(line_of(&icd10, "\"i10\""))));
    // A tier whose rate rises.
    let text = EMBEDDED_SCHEME.replace("{ from_day = 61, fen_per_day = 38_000 }", "{ from_day = 61, fen_per_day = 48_000 }");
    let (_, line, field, _) = data_error(Scheme::from_toml(&text).expect_err("rising tier"));
    assert_eq!(line, Some(line_of(&text, "fen_per_day = 48_000")));
    assert_eq!(field, "bed_day.tertiary.tiers[1].fen_per_day");
    // A co-insurance above 1.
    let text = EMBEDDED_SCHEME.replace("coinsurance = { tertiary = 0.35", "coinsurance = { tertiary = 1.35");
    assert_eq!(data_error(Scheme::from_toml(&text).expect_err("ratio")).2, "patient_share.resident.coinsurance.tertiary");
    // An unknown key.
    let text = EMBEDDED_SCHEME.replace("window_days = 15", "window_days = 15\nwindow_weeks = 2");
    let (_, line, _, message) = data_error(Scheme::from_toml(&text).expect_err("unknown key"));
    assert_eq!(line, Some(line_of(&text, "window_weeks")));
    assert!(message.contains("window_weeks"), "{message}");
}
