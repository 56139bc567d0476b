//! Reads each file's spanned TOML tree into raw entries, reporting every syntax, type, missing-key and unknown-key problem.
//!
//! The reader walks `toml`'s spanned document tree (`DeTable`) by hand instead of deriving
//! `Deserialize`, so that one pass reports every problem of a file, not only the first, and every
//! value keeps its `toml::Spanned` position for the rule checks that follow.

use std::ops::Range;
use std::str::FromStr;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::error::Diag;
use crate::model::{Duty, LifeStage, Outcome, RejectPolicy, Role, ServiceLevel, Subject, UnknownCode};

pub(crate) type Span = Range<usize>;
pub(crate) type S<T> = Spanned<T>;

/// Where an entry is and what errors call it.
#[derive(Debug, Clone)]
pub(crate) struct Head {
    pub file: usize,
    /// The span of the entry's table (its `[[…]]` header or inline table).
    pub span: Span,
    /// e.g. `item[ga-hukou-birth]`, or `item[#3]` when it has no code.
    pub path: String,
}

impl Head {
    pub(crate) fn field(&self, key: &str) -> String {
        format!("{}.{key}", self.path)
    }
}

#[derive(Debug)]
pub(crate) struct RawDepartment {
    pub at: Head,
    pub code: Option<S<String>>,
    pub name: Option<S<String>>,
    pub name_en: Option<S<String>>,
    pub duties: Option<S<Vec<S<Duty>>>>,
}

#[derive(Debug)]
pub(crate) struct RawRecordType {
    pub at: Head,
    pub code: Option<S<String>>,
    pub name: Option<S<String>>,
    pub name_en: Option<S<String>>,
    pub department: Option<S<String>>,
    pub subject: Option<S<Subject>>,
    pub validity_days: Option<S<u32>>,
}

#[derive(Debug)]
pub(crate) struct RawMaterial {
    pub at: Head,
    pub code: Option<S<String>>,
    pub name: Option<S<String>>,
    pub name_en: Option<S<String>>,
    pub satisfied_by: Option<S<String>>,
    pub reusable: Option<S<bool>>,
    pub description: Option<S<String>>,
}

#[derive(Debug)]
pub(crate) struct RawWorkflow {
    pub at: Head,
    pub code: Option<S<String>>,
    pub name: Option<S<String>>,
    pub name_en: Option<S<String>>,
    pub start: Option<S<String>>,
    pub states: Vec<RawState>,
    pub actions: Vec<RawAction>,
}

#[derive(Debug)]
pub(crate) struct RawState {
    pub at: Head,
    pub code: Option<S<String>>,
    pub name: Option<S<String>>,
    pub name_en: Option<S<String>>,
    pub time_limit_days: Option<S<u32>>,
    pub pauses_clock: Option<S<bool>>,
    pub outcome: Option<S<Outcome>>,
}

#[derive(Debug)]
pub(crate) struct RawAction {
    pub at: Head,
    pub code: Option<S<String>>,
    pub name: Option<S<String>>,
    pub name_en: Option<S<String>>,
    pub from: Option<S<Vec<S<String>>>>,
    pub to: Option<S<String>>,
    pub roles: Option<S<Vec<S<Role>>>>,
    pub requires_comment: Option<S<bool>>,
}

#[derive(Debug)]
pub(crate) struct RawItem {
    pub at: Head,
    pub code: Option<S<String>>,
    pub name: Option<S<String>>,
    pub name_en: Option<S<String>>,
    pub department: Option<S<String>>,
    pub subject: Option<S<Subject>>,
    pub legal_days: Option<S<u32>>,
    pub promised_days: Option<S<u32>>,
    pub levels: Option<S<Vec<S<ServiceLevel>>>>,
    pub online: Option<S<bool>>,
    pub visits: Option<S<u32>>,
    pub workflow: Option<S<String>>,
    pub materials: Option<S<Vec<S<String>>>>,
    pub outputs: Option<S<Vec<S<String>>>>,
    /// The fee as written (an integer is kept as its decimal text).
    pub fee: Option<S<String>>,
    pub fields: Vec<RawField>,
}

#[derive(Debug)]
pub(crate) struct RawBundle {
    pub at: Head,
    pub code: Option<S<String>>,
    pub name: Option<S<String>>,
    pub name_en: Option<S<String>>,
    pub stage: Option<S<LifeStage>>,
    pub subject: Option<S<Subject>>,
    pub items: Option<S<Vec<S<String>>>>,
    pub on_reject: Option<S<RejectPolicy>>,
    pub description: Option<S<String>>,
    pub prerequisites: Vec<RawPrerequisite>,
    pub fields: Vec<RawField>,
}

#[derive(Debug)]
pub(crate) struct RawPrerequisite {
    pub at: Head,
    pub item: Option<S<String>>,
    pub after: Option<S<Vec<S<String>>>>,
}

#[derive(Debug)]
pub(crate) struct RawField {
    pub at: Head,
    pub key: Option<S<String>>,
    pub label: Option<S<String>>,
    pub label_en: Option<S<String>>,
    pub kind: Option<S<String>>,
    pub required: Option<S<bool>>,
    pub reuse: Option<S<bool>>,
    pub max_len: Option<S<u32>>,
    pub min: Option<S<f64>>,
    pub max: Option<S<f64>>,
    pub choices: Option<S<Vec<RawChoice>>>,
}

#[derive(Debug)]
pub(crate) struct RawChoice {
    pub at: Head,
    pub value: Option<S<String>>,
    pub label: Option<S<String>>,
    pub label_en: Option<S<String>>,
}

/// Every entry of every file, in file order then declaration order.
#[derive(Debug, Default)]
pub(crate) struct Raw {
    pub departments: Vec<RawDepartment>,
    pub record_types: Vec<RawRecordType>,
    pub materials: Vec<RawMaterial>,
    pub workflows: Vec<RawWorkflow>,
    pub items: Vec<RawItem>,
    pub bundles: Vec<RawBundle>,
    /// Whether some file had TOML syntax errors (its entries are then left out).
    pub had_syntax_errors: bool,
}

const KINDS: &[&str] = &[
    "department",
    "record_type",
    "material",
    "workflow",
    "item",
    "bundle",
];

/// Parses one file and appends its entries to `raw`.
pub(crate) fn read_file(d: &mut Diag, raw: &mut Raw, file: usize, text: &str) {
    let (doc, syntax) = DeTable::parse_recoverable(text);
    if !syntax.is_empty() {
        raw.had_syntax_errors = true;
        for e in syntax {
            let span = e.span().unwrap_or(0..0);
            let msg = e.message().trim().to_owned();
            d.error(
                file,
                &span,
                "",
                format!("TOML 语法错误：{msg}"),
                format!("TOML syntax error: {msg}"),
            );
        }
        return;
    }
    let doc = doc.into_inner();
    let mut top: Vec<(&Spanned<std::borrow::Cow<'_, str>>, &Spanned<DeValue<'_>>)> =
        doc.iter().collect();
    top.sort_by_key(|(k, _)| k.span().start);
    for (key, value) in top {
        let kind = key.get_ref().as_ref();
        if !KINDS.contains(&kind) {
            d.error(
                file,
                &key.span(),
                kind,
                format!("未知的键「{kind}」，可用的有：{}", KINDS.join("、")),
                format!(
                    "unknown key `{kind}`; expected one of: {}",
                    KINDS.join(", ")
                ),
            );
            continue;
        }
        let Some(entries) = array_of_tables(d, file, kind, value) else {
            continue;
        };
        for (n, (span, table)) in entries.into_iter().enumerate() {
            let head = Head {
                file,
                span,
                path: format!("{kind}[#{}]", n + 1),
            };
            let mut t = Tab::new(head, n, table);
            match kind {
                "department" => raw.departments.push(read_department(d, &mut t)),
                "record_type" => raw.record_types.push(read_record_type(d, &mut t)),
                "material" => raw.materials.push(read_material(d, &mut t)),
                "workflow" => raw.workflows.push(read_workflow(d, &mut t)),
                "item" => raw.items.push(read_item(d, &mut t)),
                _ => raw.bundles.push(read_bundle(d, &mut t)),
            }
            t.finish(d);
        }
    }
}

fn type_zh(v: &DeValue<'_>) -> &'static str {
    match v {
        DeValue::String(_) => "字符串",
        DeValue::Integer(_) => "整数",
        DeValue::Float(_) => "小数",
        DeValue::Boolean(_) => "布尔值",
        DeValue::Datetime(_) => "日期时间",
        DeValue::Array(_) => "数组",
        DeValue::Table(_) => "表",
    }
}

fn wrong_type(
    d: &mut Diag,
    file: usize,
    field: &str,
    v: &Spanned<DeValue<'_>>,
    zh: &str,
    en: &str,
) {
    d.error(
        file,
        &v.span(),
        field,
        format!("类型错误：应为{zh}，实际为{}", type_zh(v.get_ref())),
        format!(
            "wrong type: expected {en}, found {}",
            v.get_ref().type_str()
        ),
    );
}

/// The tables of an array of tables (`[[kind]]` or an inline array of inline tables).
fn array_of_tables<'t, 'i>(
    d: &mut Diag,
    file: usize,
    field: &str,
    value: &'t Spanned<DeValue<'i>>,
) -> Option<Vec<(Span, &'t DeTable<'i>)>> {
    let DeValue::Array(items) = value.get_ref() else {
        wrong_type(
            d,
            file,
            field,
            value,
            &format!("表数组（[[{field}]]）"),
            &format!("an array of tables ([[{field}]])"),
        );
        return None;
    };
    let mut out = Vec::new();
    for (i, v) in items.iter().enumerate() {
        match v.get_ref() {
            DeValue::Table(t) => out.push((v.span(), t)),
            _ => wrong_type(d, file, &format!("{field}[{i}]"), v, "表", "a table"),
        }
    }
    Some(out)
}

/// One table being read: tracks which keys were asked for, to report the others.
struct Tab<'t, 'i> {
    at: Head,
    /// 0-based position in its array, to name an entry that has no code.
    index: usize,
    table: &'t DeTable<'i>,
    used: Vec<&'static str>,
}

impl<'t, 'i> Tab<'t, 'i> {
    fn new(at: Head, index: usize, table: &'t DeTable<'i>) -> Self {
        Tab {
            at,
            index,
            table,
            used: Vec::new(),
        }
    }

    fn get(&mut self, key: &'static str) -> Option<&'t Spanned<DeValue<'i>>> {
        self.used.push(key);
        self.table
            .iter()
            .find(|(k, _)| k.get_ref().as_ref() == key)
            .map(|(_, v)| v)
    }

    fn missing(&self, d: &mut Diag, key: &str) {
        d.error(
            self.at.file,
            &self.at.span,
            self.at.field(key),
            format!("缺少必填字段「{key}」"),
            format!("missing required key `{key}`"),
        );
    }

    /// Reads `code` (or another identifying key) and names the entry after it.
    fn identify(
        &mut self,
        d: &mut Diag,
        key: &'static str,
        parent: &str,
        kind: &str,
    ) -> Option<S<String>> {
        let code = self.string(d, key, true);
        self.at.path = match &code {
            Some(c) => format!("{parent}{kind}[{}]", c.get_ref()),
            None => format!("{parent}{kind}[#{}]", self.index + 1),
        };
        code
    }

    fn string(&mut self, d: &mut Diag, key: &'static str, required: bool) -> Option<S<String>> {
        let Some(v) = self.get(key) else {
            if required {
                self.missing(d, key);
            }
            return None;
        };
        match v.get_ref() {
            DeValue::String(s) => Some(Spanned::new(v.span(), s.to_string())),
            _ => {
                wrong_type(
                    d,
                    self.at.file,
                    &self.at.field(key),
                    v,
                    "字符串",
                    "a string",
                );
                None
            }
        }
    }

    fn uint(&mut self, d: &mut Diag, key: &'static str, required: bool) -> Option<S<u32>> {
        let Some(v) = self.get(key) else {
            if required {
                self.missing(d, key);
            }
            return None;
        };
        match v.get_ref() {
            DeValue::Integer(i) => match u32::from_str_radix(i.as_str(), i.radix()) {
                Ok(n) => Some(Spanned::new(v.span(), n)),
                Err(_) => {
                    d.error(
                        self.at.file,
                        &v.span(),
                        self.at.field(key),
                        format!("应为 0 到 {} 之间的整数", u32::MAX),
                        format!("expected an integer from 0 to {}", u32::MAX),
                    );
                    None
                }
            },
            _ => {
                wrong_type(
                    d,
                    self.at.file,
                    &self.at.field(key),
                    v,
                    "非负整数",
                    "a non-negative integer",
                );
                None
            }
        }
    }

    fn number(&mut self, d: &mut Diag, key: &'static str) -> Option<S<f64>> {
        let v = self.get(key)?;
        let n = match v.get_ref() {
            DeValue::Integer(i) => i64::from_str_radix(i.as_str(), i.radix())
                .ok()
                .map(|n| n as f64),
            DeValue::Float(f) => f.as_str().parse::<f64>().ok().filter(|f| f.is_finite()),
            _ => {
                wrong_type(d, self.at.file, &self.at.field(key), v, "数字", "a number");
                return None;
            }
        };
        if n.is_none() {
            d.error(
                self.at.file,
                &v.span(),
                self.at.field(key),
                "数字超出范围",
                "number out of range",
            );
        }
        n.map(|n| Spanned::new(v.span(), n))
    }

    fn boolean(&mut self, d: &mut Diag, key: &'static str, required: bool) -> Option<S<bool>> {
        let Some(v) = self.get(key) else {
            if required {
                self.missing(d, key);
            }
            return None;
        };
        match v.get_ref() {
            DeValue::Boolean(b) => Some(Spanned::new(v.span(), *b)),
            _ => {
                wrong_type(
                    d,
                    self.at.file,
                    &self.at.field(key),
                    v,
                    "布尔值（true 或 false）",
                    "a boolean (true or false)",
                );
                None
            }
        }
    }

    /// A string or an integer, kept as text (for fees).
    fn decimal_text(&mut self, d: &mut Diag, key: &'static str) -> Option<S<String>> {
        let v = self.get(key)?;
        match v.get_ref() {
            DeValue::String(s) => Some(Spanned::new(v.span(), s.to_string())),
            DeValue::Integer(i) if i.radix() == 10 => {
                Some(Spanned::new(v.span(), i.as_str().to_owned()))
            }
            _ => {
                wrong_type(
                    d,
                    self.at.file,
                    &self.at.field(key),
                    v,
                    "字符串（如 \"12.50\"）",
                    "a string (such as \"12.50\")",
                );
                None
            }
        }
    }

    fn strings(
        &mut self,
        d: &mut Diag,
        key: &'static str,
        required: bool,
    ) -> Option<S<Vec<S<String>>>> {
        let Some(v) = self.get(key) else {
            if required {
                self.missing(d, key);
            }
            return None;
        };
        let DeValue::Array(items) = v.get_ref() else {
            wrong_type(
                d,
                self.at.file,
                &self.at.field(key),
                v,
                "字符串数组",
                "an array of strings",
            );
            return None;
        };
        let mut out = Vec::new();
        for (i, x) in items.iter().enumerate() {
            match x.get_ref() {
                DeValue::String(s) => out.push(Spanned::new(x.span(), s.to_string())),
                _ => wrong_type(
                    d,
                    self.at.file,
                    &format!("{}[{i}]", self.at.field(key)),
                    x,
                    "字符串",
                    "a string",
                ),
            }
        }
        (out.len() == items.len()).then(|| Spanned::new(v.span(), out))
    }

    fn code<T: FromStr<Err = UnknownCode>>(
        &mut self,
        d: &mut Diag,
        key: &'static str,
        required: bool,
    ) -> Option<S<T>> {
        let s = self.string(d, key, required)?;
        parse_code(d, self.at.file, &self.at.field(key), &s)
    }

    fn codes<T: FromStr<Err = UnknownCode>>(
        &mut self,
        d: &mut Diag,
        key: &'static str,
        required: bool,
    ) -> Option<S<Vec<S<T>>>> {
        let list = self.strings(d, key, required)?;
        let span = list.span();
        let field = self.at.field(key);
        let items = list.into_inner();
        let parsed: Vec<S<T>> = items
            .iter()
            .enumerate()
            .filter_map(|(i, s)| parse_code(d, self.at.file, &format!("{field}[{i}]"), s))
            .collect();
        // A partial list would make later rules report what is only this error again.
        (parsed.len() == items.len()).then(|| Spanned::new(span, parsed))
    }

    /// The tables of an array of tables under `key` (absent = none).
    fn tables(&mut self, d: &mut Diag, key: &'static str) -> Vec<(Span, &'t DeTable<'i>)> {
        match self.get(key) {
            Some(v) => array_of_tables(d, self.at.file, &self.at.field(key), v).unwrap_or_default(),
            None => Vec::new(),
        }
    }

    /// Reports the keys nobody asked for.
    fn finish(self, d: &mut Diag) {
        for (k, _) in self.table.iter() {
            let key = k.get_ref().as_ref();
            if !self.used.contains(&key) {
                let mut expected = self.used.clone();
                expected.dedup();
                d.error(
                    self.at.file,
                    &k.span(),
                    self.at.field(key),
                    format!("未知的键「{key}」，可用的有：{}", expected.join("、")),
                    format!(
                        "unknown key `{key}`; expected one of: {}",
                        expected.join(", ")
                    ),
                );
            }
        }
    }
}

fn parse_code<T: FromStr<Err = UnknownCode>>(
    d: &mut Diag,
    file: usize,
    field: &str,
    s: &S<String>,
) -> Option<S<T>> {
    match s.get_ref().parse::<T>() {
        Ok(v) => Some(Spanned::new(s.span(), v)),
        Err(e) => {
            d.error(
                file,
                &s.span(),
                field,
                format!(
                    "无效的取值「{}」，可用的有：{}",
                    e.value,
                    e.expected.replace(", ", "、")
                ),
                format!(
                    "invalid {} `{}`; expected one of: {}",
                    e.kind, e.value, e.expected
                ),
            );
            None
        }
    }
}

fn child<'t, 'i>(parent: &Head, span: Span, table: &'t DeTable<'i>, n: usize) -> Tab<'t, 'i> {
    Tab::new(
        Head {
            file: parent.file,
            span,
            path: format!("{}[#{}]", parent.path, n + 1),
        },
        n,
        table,
    )
}

fn read_department(d: &mut Diag, t: &mut Tab<'_, '_>) -> RawDepartment {
    let code = t.identify(d, "code", "", "department");
    RawDepartment {
        code,
        name: t.string(d, "name", true),
        name_en: t.string(d, "name_en", true),
        duties: t.codes(d, "duties", false),
        at: t.at.clone(),
    }
}

fn read_record_type(d: &mut Diag, t: &mut Tab<'_, '_>) -> RawRecordType {
    let code = t.identify(d, "code", "", "record_type");
    RawRecordType {
        code,
        name: t.string(d, "name", true),
        name_en: t.string(d, "name_en", true),
        department: t.string(d, "department", true),
        subject: t.code(d, "subject", true),
        validity_days: t.uint(d, "validity_days", false),
        at: t.at.clone(),
    }
}

fn read_material(d: &mut Diag, t: &mut Tab<'_, '_>) -> RawMaterial {
    let code = t.identify(d, "code", "", "material");
    RawMaterial {
        code,
        name: t.string(d, "name", true),
        name_en: t.string(d, "name_en", true),
        satisfied_by: t.string(d, "satisfied_by", false),
        reusable: t.boolean(d, "reusable", false),
        description: t.string(d, "description", false),
        at: t.at.clone(),
    }
}

fn read_workflow(d: &mut Diag, t: &mut Tab<'_, '_>) -> RawWorkflow {
    let code = t.identify(d, "code", "", "workflow");
    let name = t.string(d, "name", true);
    let name_en = t.string(d, "name_en", true);
    let start = t.string(d, "start", true);
    let mut states = Vec::new();
    let state_tables = t.tables(d, "state");
    if state_tables.is_empty() && !t.table.iter().any(|(k, _)| k.get_ref().as_ref() == "state") {
        t.missing(d, "state");
    }
    for (n, (span, table)) in state_tables.into_iter().enumerate() {
        let mut s = child(&t.at, span, table, n);
        let parent = format!("{}.", t.at.path);
        let code = s.identify(d, "code", &parent, "state");
        states.push(RawState {
            code,
            name: s.string(d, "name", true),
            name_en: s.string(d, "name_en", true),
            time_limit_days: s.uint(d, "time_limit_days", false),
            pauses_clock: s.boolean(d, "pauses_clock", false),
            outcome: s.code(d, "outcome", false),
            at: s.at.clone(),
        });
        s.finish(d);
    }
    let mut actions = Vec::new();
    for (n, (span, table)) in t.tables(d, "action").into_iter().enumerate() {
        let mut a = child(&t.at, span, table, n);
        let parent = format!("{}.", t.at.path);
        let code = a.identify(d, "code", &parent, "action");
        actions.push(RawAction {
            code,
            name: a.string(d, "name", true),
            name_en: a.string(d, "name_en", true),
            from: a.strings(d, "from", true),
            to: a.string(d, "to", true),
            roles: a.codes(d, "roles", true),
            requires_comment: a.boolean(d, "requires_comment", false),
            at: a.at.clone(),
        });
        a.finish(d);
    }
    RawWorkflow {
        at: t.at.clone(),
        code,
        name,
        name_en,
        start,
        states,
        actions,
    }
}

fn read_fields(d: &mut Diag, t: &mut Tab<'_, '_>) -> Vec<RawField> {
    let mut fields = Vec::new();
    for (n, (span, table)) in t.tables(d, "field").into_iter().enumerate() {
        let mut f = child(&t.at, span, table, n);
        let parent = format!("{}.", t.at.path);
        let key = f.identify(d, "key", &parent, "field");
        let label = f.string(d, "label", true);
        let label_en = f.string(d, "label_en", true);
        let kind = f.string(d, "type", true);
        let required = f.boolean(d, "required", false);
        let reuse = f.boolean(d, "reuse", false);
        let max_len = f.uint(d, "max_len", false);
        let min = f.number(d, "min");
        let max = f.number(d, "max");
        let choices = f.get("choices").and_then(|v| {
            let tables = array_of_tables(d, f.at.file, &f.at.field("choices"), v)?;
            let list = tables
                .into_iter()
                .enumerate()
                .map(|(i, (span, table))| {
                    let mut c = Tab::new(
                        Head {
                            file: f.at.file,
                            span,
                            path: format!("{}.choices[{i}]", f.at.path),
                        },
                        i,
                        table,
                    );
                    let choice = RawChoice {
                        value: c.string(d, "value", true),
                        label: c.string(d, "label", true),
                        label_en: c.string(d, "label_en", true),
                        at: c.at.clone(),
                    };
                    c.finish(d);
                    choice
                })
                .collect();
            Some(Spanned::new(v.span(), list))
        });
        fields.push(RawField {
            at: f.at.clone(),
            key,
            label,
            label_en,
            kind,
            required,
            reuse,
            max_len,
            min,
            max,
            choices,
        });
        f.finish(d);
    }
    fields
}

fn read_item(d: &mut Diag, t: &mut Tab<'_, '_>) -> RawItem {
    let code = t.identify(d, "code", "", "item");
    RawItem {
        code,
        name: t.string(d, "name", true),
        name_en: t.string(d, "name_en", true),
        department: t.string(d, "department", true),
        subject: t.code(d, "subject", true),
        legal_days: t.uint(d, "legal_days", true),
        promised_days: t.uint(d, "promised_days", true),
        levels: t.codes(d, "levels", true),
        online: t.boolean(d, "online", true),
        visits: t.uint(d, "visits", true),
        workflow: t.string(d, "workflow", true),
        materials: t.strings(d, "materials", true),
        outputs: t.strings(d, "outputs", false),
        fee: t.decimal_text(d, "fee"),
        fields: read_fields(d, t),
        at: t.at.clone(),
    }
}

fn read_bundle(d: &mut Diag, t: &mut Tab<'_, '_>) -> RawBundle {
    let code = t.identify(d, "code", "", "bundle");
    let name = t.string(d, "name", true);
    let name_en = t.string(d, "name_en", true);
    let stage = t.code(d, "stage", true);
    let subject = t.code(d, "subject", true);
    let items = t.strings(d, "items", true);
    let on_reject = t.code(d, "on_reject", false);
    let description = t.string(d, "description", false);
    let mut prerequisites = Vec::new();
    for (n, (span, table)) in t.tables(d, "prerequisite").into_iter().enumerate() {
        let mut p = child(&t.at, span, table, n);
        let parent = format!("{}.", t.at.path);
        let item = p.identify(d, "item", &parent, "prerequisite");
        prerequisites.push(RawPrerequisite {
            item,
            after: p.strings(d, "after", true),
            at: p.at.clone(),
        });
        p.finish(d);
    }
    let fields = read_fields(d, t);
    RawBundle {
        at: t.at.clone(),
        code,
        name,
        name_en,
        stage,
        subject,
        items,
        on_reject,
        description,
        prerequisites,
        fields,
    }
}
