//! Bundle helpers and directory loading, on hand-checkable catalogs.

use catalog::{Catalog, FieldKind, MaterialNeed, RejectPolicy, Source};

use crate::bad::BASE;

/// Four items around one bundle, declared out of order:
/// p issues rec_x; q needs it (after p); s comes after q; r is independent.
const SMALL: &str = r#"
[[record_type]]
code = "rec_x"
name = "某证明"
name_en = "Record X"
department = "ga"
subject = "person"

[[material]]
code = "x_m"
name = "某证明"
name_en = "Record X"
satisfied_by = "rec_x"

[[material]]
code = "up1"
name = "上传材料一"
name_en = "Upload 1"

[[material]]
code = "up2"
name = "上传材料二"
name_en = "Upload 2"

[[item]]
code = "p"
name = "甲事项"
name_en = "P"
department = "wjw"
subject = "person"
legal_days = 10
promised_days = 2
levels = ["district"]
online = true
visits = 1
workflow = "w"
materials = ["id_card", "up1"]
outputs = ["rec_x"]

[[item]]
code = "q"
name = "乙事项"
name_en = "Q"
department = "ga"
subject = "person"
legal_days = 10
promised_days = 3
levels = ["district"]
online = true
visits = 1
workflow = "w"
materials = ["id_card", "x_m", "up2"]
field = [
  { key = "k1", label = "甲", label_en = "K1", type = "text", max_len = 10 },
  { key = "k2", label = "乙", label_en = "K2", type = "phone" },
]

[[item]]
code = "r"
name = "丙事项"
name_en = "R"
department = "wjw"
subject = "person"
legal_days = 10
promised_days = 1
levels = ["town"]
online = false
visits = 2
workflow = "w"
materials = ["up1", "id_card"]

[[item]]
code = "s"
name = "丁事项"
name_en = "S"
department = "ga"
subject = "person"
legal_days = 10
promised_days = 4
levels = ["district"]
online = true
visits = 1
workflow = "w"
materials = ["up2"]
fee = 3

[[bundle]]
code = "small"
name = "小一件事"
name_en = "Small"
stage = "medical"
subject = "person"
items = ["s", "q", "r", "p"]
on_reject = "fail_bundle"
  [[bundle.prerequisite]]
  item = "q"
  after = ["p"]
  [[bundle.prerequisite]]
  item = "s"
  after = ["q"]
  [[bundle.field]]
  key = "k1"
  label = "一件事的甲"
  label_en = "Bundle K1"
  type = "text"
  reuse = true
"#;

fn small() -> Catalog {
    match Catalog::from_sources(&[
        Source::new("base.toml", BASE),
        Source::new("small.toml", SMALL),
    ]) {
        Ok(c) => c,
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn topo_order_places_each_item_after_its_prerequisites_stably() {
    let c = small();
    let Some(b) = c.bundle("small") else {
        panic!("no bundle")
    };
    assert_eq!(b.topo_order(), ["r", "p", "q", "s"]);
    assert_eq!(b.prerequisites_of("s"), ["q".to_owned()]);
    assert!(b.prerequisites_of("r").is_empty());
    assert_eq!(b.on_reject, RejectPolicy::FailBundle);
}

#[test]
fn materials_are_deduplicated_in_first_use_order() {
    let c = small();
    let Some(b) = c.bundle("small") else {
        panic!("no bundle")
    };
    let need = |m: &str, by: &[&str], issued: Option<&str>| MaterialNeed {
        material: m.to_owned(),
        needed_by: by.iter().map(|s| (*s).to_owned()).collect(),
        issued_in_bundle_by: issued.map(str::to_owned),
    };
    assert_eq!(
        b.materials(&c),
        [
            need("up2", &["s", "q"], None),
            need("id_card", &["q", "r", "p"], None),
            need("x_m", &["q"], Some("p")),
            need("up1", &["r", "p"], None),
        ]
    );
    let r = b.reduction(&c);
    assert_eq!(
        (
            r.items,
            r.materials_item_by_item,
            r.materials_distinct,
            r.materials_to_upload
        ),
        (4, 8, 4, 2)
    );
    assert_eq!(
        (r.visits_item_by_item, r.days_item_by_item, r.days_in_bundle),
        (5, 10, 9)
    );
}

#[test]
fn form_fields_and_departments_are_deduplicated() {
    let c = small();
    let Some(b) = c.bundle("small") else {
        panic!("no bundle")
    };
    let form = b.form_fields(&c);
    let keys: Vec<_> = form
        .iter()
        .map(|f| (f.key.as_str(), f.label.as_str(), f.reuse))
        .collect();
    assert_eq!(keys, [("k1", "一件事的甲", true), ("k2", "乙", false)]);
    assert_eq!(form[0].kind, FieldKind::Text { max_len: 200 });
    assert_eq!(b.departments(&c), ["ga", "wjw"]);
    assert_eq!(c.item("s").map(|i| i.fee_fen), Some(300));
    assert_eq!(
        c.items_of_department("wjw")
            .map(|i| i.code.as_str())
            .collect::<Vec<_>>(),
        ["a", "p", "r"]
    );
    assert_eq!(
        c.item_outputs_record("rec_x")
            .map(|i| i.code.as_str())
            .collect::<Vec<_>>(),
        ["p"]
    );
}

#[test]
fn load_dir_reads_toml_files_recursively_in_path_order() {
    let dir = match tempfile::tempdir() {
        Ok(d) => d,
        Err(e) => panic!("{e}"),
    };
    let write = |rel: &str, text: &str| {
        let path = dir.path().join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap_or_else(|e| panic!("{e}"));
        }
        std::fs::write(path, text).unwrap_or_else(|e| panic!("{e}"));
    };
    write("a/base.toml", BASE);
    write("b/deep/small.toml", SMALL);
    write("notes.md", "not a catalog file = [");
    let c = Catalog::load_dir(dir.path()).unwrap_or_else(|e| panic!("{e}"));
    assert!(c.bundle("small").is_some());

    // A duplicate in a later file points back at the earlier one.
    write(
        "c/dup.toml",
        "[[department]]\ncode = \"ga\"\nname = \"重复\"\nname_en = \"Dup\"\n",
    );
    write("d/latin1.toml", "");
    std::fs::write(dir.path().join("d/latin1.toml"), [b'#', 0xff, b'\n'])
        .unwrap_or_else(|e| panic!("{e}"));
    let errors = match Catalog::load_dir(dir.path()) {
        Ok(_) => panic!("expected errors"),
        Err(e) => e,
    };
    let got: Vec<_> = errors
        .iter()
        .map(|e| {
            (
                e.file.rsplit('/').take(2).collect::<Vec<_>>().join("<"),
                e.line,
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("latin1.toml<d".to_owned(), 0),
            ("dup.toml<c".to_owned(), 2)
        ],
        "{errors}"
    );
    let dup = errors
        .iter()
        .find(|e| e.line == 2)
        .map(|e| e.message_zh.clone())
        .unwrap_or_default();
    assert!(dup.contains("a/base.toml:3"), "{dup}");

    let missing = Catalog::load_dir(&dir.path().join("nowhere"));
    assert!(matches!(missing, Err(e) if e.len() == 1 && e.0[0].line == 0));
}
