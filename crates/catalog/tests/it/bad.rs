//! One small bad catalog per rule: each error names the right file, line, column and field, in Chinese.

use catalog::{Catalog, CatalogError, Source};

/// A small valid catalog that the bad files below build on.
pub(crate) const BASE: &str = r#"
[[department]]
code = "ga"
name = "公安分局"
name_en = "Police"

[[department]]
code = "wjw"
name = "卫生健康局"
name_en = "Health"

[[record_type]]
code = "resident_id_card"
name = "居民身份证"
name_en = "ID card"
department = "ga"
subject = "person"

[[record_type]]
code = "birth_medical_cert"
name = "出生医学证明"
name_en = "Birth certificate"
department = "wjw"
subject = "person"

[[record_type]]
code = "business_license"
name = "营业执照"
name_en = "Business license"
department = "ga"
subject = "enterprise"

[[material]]
code = "id_card"
name = "身份证"
name_en = "ID card"
satisfied_by = "resident_id_card"

[[material]]
code = "birth_cert_m"
name = "出生医学证明"
name_en = "Birth certificate"
satisfied_by = "birth_medical_cert"

[[material]]
code = "photo"
name = "照片"
name_en = "Photo"
reusable = true

[[workflow]]
code = "w"
name = "流程"
name_en = "Flow"
start = "intake"
state = [
  { code = "intake", name = "待受理", name_en = "Intake" },
  { code = "done", name = "办结", name_en = "Done", outcome = "approved" },
]
action = [
  { code = "go", name = "办结", name_en = "Go", from = ["intake"], to = "done", roles = ["clerk"] },
]

[[item]]
code = "a"
name = "出生医学证明"
name_en = "Birth certificate"
department = "wjw"
subject = "person"
legal_days = 10
promised_days = 1
levels = ["district"]
online = true
visits = 1
workflow = "w"
materials = ["id_card"]
outputs = ["birth_medical_cert"]

[[item]]
code = "b"
name = "出生登记"
name_en = "Birth registration"
department = "ga"
subject = "person"
legal_days = 20
promised_days = 3
levels = ["district", "town"]
online = true
visits = 1
workflow = "w"
materials = ["id_card", "birth_cert_m"]

[[item]]
code = "c"
name = "照片采集"
name_en = "Photo"
department = "ga"
subject = "person"
legal_days = 5
promised_days = 1
levels = ["town"]
online = false
visits = 1
workflow = "w"
materials = ["photo"]

[[item]]
code = "e"
name = "企业事项"
name_en = "Enterprise item"
department = "ga"
subject = "enterprise"
legal_days = 5
promised_days = 1
levels = ["district"]
online = true
visits = 0
workflow = "w"
materials = []

[[bundle]]
code = "pair"
name = "出生一件事"
name_en = "Birth"
stage = "birth"
subject = "person"
items = ["a", "b", "c"]

  [[bundle.prerequisite]]
  item = "b"
  after = ["a"]
"#;

/// A valid workflow to break in the workflow cases.
const WF: &str = r#"[[workflow]]
code = "w2"
name = "流程"
name_en = "Flow"
start = "intake"
state = [
  { code = "intake", name = "待受理", name_en = "Intake" },
  { code = "wait", name = "待补正", name_en = "Waiting", pauses_clock = true },
  { code = "done", name = "办结", name_en = "Done", outcome = "approved" },
  { code = "no", name = "不予办理", name_en = "Refused", outcome = "rejected" },
]
action = [
  { code = "go", name = "办结", name_en = "Go", from = ["intake"], to = "done", roles = ["clerk"] },
  { code = "ask", name = "补正", name_en = "Ask", from = ["intake"], to = "wait", roles = ["clerk"], requires_comment = true },
  { code = "back", name = "提交", name_en = "Back", from = ["wait"], to = "intake", roles = ["applicant"] },
  { code = "refuse", name = "不予办理", name_en = "Refuse", from = ["intake"], to = "no", roles = ["reviewer"] },
]
"#;

/// A valid item to break in the item cases.
const ITEM: &str = r#"[[item]]
code = "x"
name = "事项"
name_en = "Item"
department = "ga"
subject = "person"
legal_days = 20
promised_days = 3
levels = ["district", "town"]
online = true
visits = 1
workflow = "w"
materials = ["id_card", "photo"]
outputs = ["resident_id_card"]
fee = "12.50"
"#;

/// A bundle of `a` and `c`, to break in the bundle cases.
const BUNDLE: &str = r#"[[bundle]]
code = "y"
name = "一件事"
name_en = "Bundle"
stage = "birth"
subject = "person"
items = ["a", "c"]
"#;

pub(crate) fn sources(bad: &str) -> Vec<Source> {
    vec![Source::new("base.toml", BASE), Source::new("bad.toml", bad)]
}

fn has_cjk(s: &str) -> bool {
    s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
}

/// Line and column (1-based, in characters) of the unique occurrence of `marker` in `text`.
fn position_of(text: &str, marker: &str) -> (u32, u32) {
    assert_eq!(
        text.matches(marker).count(),
        1,
        "marker {marker:?} must occur exactly once in:\n{text}"
    );
    let at = text.find(marker).unwrap_or(0);
    let before = &text[..at];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    (line as u32, column as u32)
}

fn errors_of(bad: &str) -> Vec<CatalogError> {
    match Catalog::from_sources(&sources(bad)) {
        Ok(_) => panic!("expected errors for:\n{bad}"),
        Err(e) => e.0,
    }
}

struct Case {
    name: &'static str,
    text: String,
    /// The text the error must point at (its first character); `None` for syntax errors (line only).
    marker: &'static str,
    field: &'static str,
    /// A word the Chinese message must contain.
    zh: &'static str,
}

fn case(
    name: &'static str,
    text: impl Into<String>,
    marker: &'static str,
    field: &'static str,
    zh: &'static str,
) -> Case {
    Case {
        name,
        text: text.into(),
        marker,
        field,
        zh,
    }
}

fn cases() -> Vec<Case> {
    let wf = |from: &str, to: &str| WF.replacen(from, to, 1);
    let item = |from: &str, to: &str| ITEM.replacen(from, to, 1);
    let bundle = |from: &str, to: &str| BUNDLE.replacen(from, to, 1);
    vec![
        // Syntax and shape.
        case("syntax error", "[[department]]\ncode = \"x\nname = \"部门\"\n", "code = ", "", "语法"),
        case("unknown top-level key", "[[departmnt]]\ncode = \"x\"\n", "departmnt", "departmnt", "未知的键"),
        case(
            "unknown key in an entry",
            "[[department]]\ncode = \"x\"\nname = \"部门\"\nname_en = \"Dept\"\nnmae = \"typo\"\n",
            "nmae",
            "department[x].nmae",
            "未知的键",
        ),
        case(
            "unknown duty of a department",
            "[[department]]\ncode = \"x\"\nname = \"部门\"\nname_en = \"Dept\"\nduties = [\"nursing\"]\n",
            "\"nursing\"",
            "department[x].duties[0]",
            "nursing",
        ),
        case(
            "unknown key in a nested table",
            wf("to = \"done\", roles", "to = \"done\", rolez = [], roles"),
            "rolez",
            "workflow[w2].action[go].rolez",
            "未知的键",
        ),
        case(
            "missing required key",
            "[[department]]\ncode = \"x\"\nname = \"部门\"\n",
            "[[department]]",
            "department[x].name_en",
            "缺少必填字段",
        ),
        case("missing code", "[[department]]\nname = \"部门\"\nname_en = \"D\"\n", "[[department]]", "department[#1].code", "缺少"),
        case("wrong type", item("legal_days = 20", "legal_days = \"20\""), "\"20\"", "item[x].legal_days", "类型错误"),
        case("negative integer", item("visits = 1", "visits = -1"), "-1", "item[x].visits", "整数"),
        case("not an array of tables", "[department]\ncode = \"x\"\n", "[department]", "department", "表数组"),
        case("unknown subject", item("subject = \"person\"", "subject = \"people\""), "\"people\"", "item[x].subject", "无效的取值"),
        // Codes and names.
        case(
            "duplicate code",
            "[[department]]\ncode = \"ga\"\nname = \"又一个公安\"\nname_en = \"Police again\"\n",
            "\"ga\"",
            "department[ga].code",
            "重复",
        ),
        case("invalid code", "[[department]]\ncode = \"GA\"\nname = \"部门\"\nname_en = \"D\"\n", "\"GA\"", "department[GA].code", "代码"),
        case("empty name", "[[department]]\ncode = \"x\"\nname = \" \"\nname_en = \"D\"\n", "\" \"", "department[x].name", "不能为空"),
        case(
            "name too long",
            format!("[[department]]\ncode = \"x\"\nname = \"部门\"\nname_en = \"{}\"\n", "D".repeat(101)),
            "\"DDDD",
            "department[x].name_en",
            "过长",
        ),
        // References.
        case(
            "record type of an unknown department",
            "[[record_type]]\ncode = \"r\"\nname = \"记录\"\nname_en = \"R\"\ndepartment = \"nope\"\nsubject = \"person\"\n",
            "\"nope\"",
            "record_type[r].department",
            "不存在",
        ),
        case(
            "material satisfied by an unknown record type",
            "[[material]]\ncode = \"m\"\nname = \"材料\"\nname_en = \"M\"\nsatisfied_by = \"nope\"\n",
            "\"nope\"",
            "material[m].satisfied_by",
            "不存在",
        ),
        case("item of an unknown department", item("department = \"ga\"", "department = \"nope\""), "\"nope\"", "item[x].department", "部门"),
        case("unknown workflow", item("workflow = \"w\"", "workflow = \"nope\""), "\"nope\"", "item[x].workflow", "流程"),
        case("unknown material", item("\"id_card\", \"photo\"", "\"id_card\", \"nope\""), "\"nope\"", "item[x].materials[1]", "材料"),
        case("unknown output", item("[\"resident_id_card\"]", "[\"nope\"]"), "\"nope\"", "item[x].outputs[0]", "记录类型"),
        case(
            "output about another subject",
            item("[\"resident_id_card\"]", "[\"business_license\"]"),
            "\"business_license\"",
            "item[x].outputs[0]",
            "对象",
        ),
        case("unknown bundle item", bundle("[\"a\", \"c\"]", "[\"a\", \"nope\"]"), "\"nope\"", "bundle[y].items[1]", "事项"),
        // Item rules.
        case("legal days zero", item("legal_days = 20", "legal_days = 0"), "0\npromised", "item[x].legal_days", "法定时限"),
        case("promised beyond legal", item("promised_days = 3", "promised_days = 21"), "21", "item[x].promised_days", "超过了法定时限"),
        case("no levels", item("[\"district\", \"town\"]", "[]"), "[]", "item[x].levels", "不能为空"),
        case("duplicate level", item("[\"district\", \"town\"]", "[\"town\", \"town\"]"), "\"town\"]", "item[x].levels[1]", "重复"),
        case("unknown level", item("[\"district\", \"town\"]", "[\"city\"]"), "\"city\"", "item[x].levels[0]", "无效的取值"),
        case("too many visits", item("visits = 1", "visits = 6"), "6", "item[x].visits", "到现场次数"),
        case("bad fee", item("\"12.50\"", "\"12.505\""), "\"12.505\"", "item[x].fee", "收费"),
        case("duplicate material", item("\"id_card\", \"photo\"", "\"photo\", \"photo\""), "\"photo\"]", "item[x].materials[1]", "重复"),
        // Bundle rules.
        case("bundle of one item", bundle("[\"a\", \"c\"]", "[\"a\"]"), "[\"a\"]", "bundle[y].items", "至少要包含 2 个"),
        case("duplicate bundle item", bundle("[\"a\", \"c\"]", "[\"a\", \"c\", \"a\"]"), "\"a\"]", "bundle[y].items[2]", "重复"),
        case(
            "item of another subject",
            bundle("[\"a\", \"c\"]", "[\"a\", \"c\", \"e\"]"),
            "\"e\"",
            "bundle[y].items[2]",
            "服务对象",
        ),
        case(
            "stage of another subject",
            bundle("stage = \"birth\"", "stage = \"enterprise_opening\""),
            "\"person\"",
            "bundle[y].subject",
            "阶段",
        ),
        case(
            "prerequisite item outside the bundle",
            format!("{BUNDLE}  [[bundle.prerequisite]]\n  item = \"b\"\n  after = [\"a\"]\n"),
            "\"b\"",
            "bundle[y].prerequisite[b].item",
            "不是本件事的成员",
        ),
        case(
            "prerequisite after an item outside the bundle",
            format!("{BUNDLE}  [[bundle.prerequisite]]\n  item = \"c\"\n  after = [\"b\"]\n"),
            "\"b\"",
            "bundle[y].prerequisite[c].after[0]",
            "不是本件事的成员",
        ),
        case(
            "prerequisite cycle",
            format!(
                "{BUNDLE}  [[bundle.prerequisite]]\n  item = \"a\"\n  after = [\"c\"]\n  [[bundle.prerequisite]]\n  item = \"c\"\n  after = [\"a\"]\n"
            ),
            "[\"c\"]",
            "bundle[y].prerequisite[a].after",
            "循环：a → c → a",
        ),
        case(
            "record issued in the bundle without a prerequisite",
            "[[bundle]]\ncode = \"y\"\nname = \"一件事\"\nname_en = \"B\"\nstage = \"birth\"\nsubject = \"person\"\nitems = [\"a\", \"b\"]\n",
            "\"b\"",
            "bundle[y].items[1]",
            "请把它列为「出生登记」的前置事项",
        ),
        // Workflow rules.
        case("unknown start state", wf("start = \"intake\"", "start = \"begin\""), "\"begin\"", "workflow[w2].start", "起始状态"),
        case(
            "duplicate state",
            wf("  { code = \"no\",", "  { code = \"done\", name = \"又办结\", name_en = \"Done again\", outcome = \"approved\" },\n  { code = \"no\","),
            "\"done\", name = \"又办结\"",
            "workflow[w2].state[done].code",
            "重复",
        ),
        case(
            "duplicate action",
            wf("{ code = \"refuse\"", "{ code = \"go\""),
            "\"go\", name = \"不予办理\"",
            "workflow[w2].action[go].code",
            "重复",
        ),
        case(
            "action from an unknown state",
            wf("from = [\"intake\"], to = \"done\"", "from = [\"intake\", \"limbo\"], to = \"done\""),
            "\"limbo\"",
            "workflow[w2].action[go].from[1]",
            "未在本流程中定义",
        ),
        case(
            "action to an unknown state",
            wf("to = \"done\"", "to = \"finished\""),
            "\"finished\"",
            "workflow[w2].action[go].to",
            "未在本流程中定义",
        ),
        case(
            "action leaving a terminal state",
            wf("from = [\"wait\"]", "from = [\"wait\", \"done\"]"),
            "\"done\"]",
            "workflow[w2].action[back].from[1]",
            "办结状态",
        ),
        case(
            "state without a way out",
            wf("  { code = \"done\",", "  { code = \"stuck\", name = \"卡住\", name_en = \"Stuck\" },\n  { code = \"done\","),
            "{ code = \"stuck\"",
            "workflow[w2].state[stuck]",
            "没有任何动作",
        ),
        case(
            "no approved end reachable",
            wf("to = \"done\"", "to = \"no\""),
            "\"intake\"\n",
            "workflow[w2].start",
            "无法到达",
        ),
        case(
            "paused state the applicant cannot leave",
            wf("roles = [\"applicant\"]", "roles = [\"clerk\"]"),
            "true },\n  { code = \"done\"",
            "workflow[w2].state[wait].pauses_clock",
            "申请人",
        ),
        case("unknown role", wf("roles = [\"reviewer\"]", "roles = [\"boss\"]"), "\"boss\"", "workflow[w2].action[refuse].roles[0]", "无效的取值"),
        case("no roles", wf("roles = [\"reviewer\"]", "roles = []"), "[] }", "workflow[w2].action[refuse].roles", "不能为空"),
        case("unknown outcome", wf("outcome = \"rejected\"", "outcome = \"denied\""), "\"denied\"", "workflow[w2].state[no].outcome", "无效的取值"),
        // Form fields.
        case(
            "duplicate field key",
            format!("{ITEM}field = [\n  {{ key = \"k\", label = \"甲\", label_en = \"A\", type = \"text\" }},\n  {{ key = \"k\", label = \"乙\", label_en = \"B\", type = \"date\" }},\n]\n"),
            "\"k\", label = \"乙\"",
            "item[x].field[k].key",
            "重复",
        ),
        case(
            "invalid field type",
            format!("{ITEM}field = [{{ key = \"k\", label = \"甲\", label_en = \"A\", type = \"email\" }}]\n"),
            "\"email\"",
            "item[x].field[k].type",
            "字段类型",
        ),
        case(
            "choice without choices",
            format!("{ITEM}field = [{{ key = \"k\", label = \"甲\", label_en = \"A\", type = \"choice\" }}]\n"),
            "{ key",
            "item[x].field[k].choices",
            "choices",
        ),
        case(
            "empty choices",
            format!("{ITEM}field = [{{ key = \"k\", label = \"甲\", label_en = \"A\", type = \"choice\", choices = [] }}]\n"),
            "[] }",
            "item[x].field[k].choices",
            "不能为空",
        ),
        case(
            "duplicate choice value",
            format!(
                "{ITEM}field = [{{ key = \"k\", label = \"甲\", label_en = \"A\", type = \"choice\", choices = [{{ value = \"v\", label = \"一\", label_en = \"1\" }}, {{ value = \"v\", label = \"二\", label_en = \"2\" }}] }}]\n"
            ),
            "\"v\", label = \"二\"",
            "item[x].field[k].choices[1].value",
            "重复",
        ),
        case(
            "choices on a text field",
            format!("{ITEM}field = [{{ key = \"k\", label = \"甲\", label_en = \"A\", type = \"text\", choices = [] }}]\n"),
            "[] }",
            "item[x].field[k].choices",
            "只适用于",
        ),
        case(
            "max_len out of range",
            format!("{ITEM}field = [{{ key = \"k\", label = \"甲\", label_en = \"A\", type = \"text\", max_len = 20000 }}]\n"),
            "20000",
            "item[x].field[k].max_len",
            "max_len",
        ),
        case(
            "min above max",
            format!("{ITEM}field = [{{ key = \"k\", label = \"甲\", label_en = \"A\", type = \"number\", min = 10, max = 1.5 }}]\n"),
            "1.5",
            "item[x].field[k].max",
            "小于最小值",
        ),
        case(
            "one key, two types in a bundle",
            format!(
                "{BUNDLE}  [[bundle.field]]\n  key = \"when\"\n  label = \"时间\"\n  label_en = \"When\"\n  type = \"date\"\n{}",
                "[[item]]\ncode = \"z\"\nname = \"事项\"\nname_en = \"Z\"\ndepartment = \"ga\"\nsubject = \"person\"\nlegal_days = 5\npromised_days = 1\nlevels = [\"town\"]\nonline = true\nvisits = 0\nworkflow = \"w\"\nmaterials = []\nfield = [{ key = \"when\", label = \"时间\", label_en = \"When\", type = \"datetime\" }]\n"
            )
            .replace("items = [\"a\", \"c\"]", "items = [\"a\", \"c\", \"z\"]"),
            "\"datetime\"",
            "item[z].field[when].type",
            "类型必须一致",
        ),
    ]
}

#[test]
fn each_rule_reports_one_error_at_the_offending_value() {
    let mut failures = Vec::new();
    for c in cases() {
        let errors = errors_of(&c.text);
        let (line, column) = position_of(&c.text, c.marker);
        let shown = errors
            .iter()
            .map(|e| format!("    {e}"))
            .collect::<Vec<_>>()
            .join("\n");
        let ok = match errors.as_slice() {
            [e] => {
                let column_ok = c.name == "syntax error" || e.column == column;
                e.file == "bad.toml"
                    && e.line == line
                    && column_ok
                    && e.field == c.field
                    && e.message_zh.contains(c.zh)
                    && has_cjk(&e.message_zh)
                    && !e.message_en.is_empty()
                    && !has_cjk(&e.message_en.replace(|ch: char| ch.is_ascii(), ""))
            }
            _ => false,
        };
        if !ok {
            failures.push(format!(
                "{}: expected bad.toml:{line}:{column} {} «{}», got:\n{shown}",
                c.name, c.field, c.zh
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} case(s) failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn the_base_catalog_is_valid() {
    let c = match Catalog::from_sources(&[Source::new("base.toml", BASE)]) {
        Ok(c) => c,
        Err(e) => panic!("{e}"),
    };
    assert_eq!(c.stats().items, 4);
    // And each building block is valid on its own next to it.
    for extra in [WF, ITEM, BUNDLE] {
        if let Err(e) = Catalog::from_sources(&sources(extra)) {
            panic!("{e}\nin\n{extra}");
        }
    }
}

#[test]
fn every_error_is_reported_at_once_in_file_order() {
    let first = "[[department]]\ncode = \"x\"\nname = \"部门\"\n";
    let second = ITEM
        .replace("visits = 1", "visits = 9")
        .replace("workflow = \"w\"", "workflow = \"nope\"");
    let sources = vec![
        Source::new("base.toml", BASE),
        Source::new("one.toml", first),
        Source::new("two.toml", second),
        Source::new("three.toml", "not toml at all"),
    ];
    let errors = match Catalog::from_sources(&sources) {
        Ok(_) => panic!("expected errors"),
        Err(e) => e,
    };
    let got: Vec<_> = errors
        .iter()
        .map(|e| (e.file.as_str(), e.line, e.field.as_str()))
        .collect();
    // The unknown workflow is not reported: references are only checked once every file parses.
    assert_eq!(
        got,
        [
            ("one.toml", 1, "department[x].name_en"),
            ("two.toml", 11, "item[x].visits"),
            ("three.toml", 1, "")
        ]
    );
    let text = errors.to_string();
    assert_eq!(text.lines().count(), 3, "{text}");
    assert!(text.starts_with("one.toml:1:1: department[x].name_en: 缺少必填字段「name_en」 (missing required key `name_en`)"), "{text}");

    // Without the syntax error, the unknown workflow shows too.
    let errors = match Catalog::from_sources(&sources[..3]) {
        Ok(_) => panic!("expected errors"),
        Err(e) => e,
    };
    let fields: Vec<_> = errors.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(
        fields,
        [
            "department[x].name_en",
            "item[x].visits",
            "item[x].workflow"
        ]
    );
}

#[test]
fn duplicates_point_at_the_first_definition() {
    let errors =
        errors_of("\n[[department]]\ncode = \"wjw\"\nname = \"卫健\"\nname_en = \"Health\"\n");
    let [e] = errors.as_slice() else {
        panic!("{errors:?}")
    };
    assert_eq!((e.line, e.column), (3, 8));
    assert!(
        e.message_zh.contains("首次定义于 base.toml:8"),
        "{}",
        e.message_zh
    );
    assert!(e.message_en.contains("base.toml:8"), "{}", e.message_en);
}

#[test]
fn garbage_never_panics() {
    let inputs = [
        "",
        "\u{feff}",
        "[[item]]",
        "[[item]]\n[[item]]\ncode = 5",
        "item = 3",
        "item = [1, 2]",
        "[[bundle]]\nprerequisite = 7\nfield = [[1]]",
        "[[workflow]]\nstate = [{}]\naction = [{ from = [1] }]",
        "[[item]]\nlevels = \"district\"\nfield = [{ type = \"choice\", choices = [1, { value = 2 }] }]",
        "a.b.c = 1\n[x]\ny = { z = [] }",
        "[[department]]\ncode = \"é\"\nname = \"\u{0}\"",
        "[[item]]\nlegal_days = 99999999999999999999\nvisits = 0x10\nfee = 1e3",
    ];
    for text in inputs {
        let result = Catalog::from_sources(&[Source::new("g.toml", text)]);
        if let Err(errors) = result {
            assert!(
                errors
                    .iter()
                    .all(|e| e.file == "g.toml" && has_cjk(&e.message_zh)),
                "{errors}"
            );
        }
    }
}
