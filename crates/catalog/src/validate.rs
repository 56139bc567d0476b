//! The catalog's rules: checks raw entries alone and against each other, then builds the model when nothing is wrong.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use crate::Catalog;
use crate::error::Diag;
use crate::model::{
    Action, Bundle, Choice, Department, Duty, Field, FieldKind, Item, Material, Outcome, RecordType,
    RejectPolicy, Role, State, Subject, Workflow,
};
use crate::raw::{Head, Raw, RawBundle, RawField, RawItem, RawWorkflow, S, Span};

/// Longest name or label, in characters.
const MAX_NAME_CHARS: usize = 100;
/// Most in-person visits an item may declare.
const MAX_VISITS: u32 = 5;
/// Bounds of a text field's `max_len`.
const MAX_LEN_LIMIT: u32 = 10_000;

fn sv(o: &Option<S<String>>) -> Option<&str> {
    o.as_ref().map(|s| s.get_ref().as_str())
}

fn text(o: &Option<S<String>>) -> String {
    sv(o).unwrap_or_default().to_owned()
}

fn list(o: &Option<S<Vec<S<String>>>>) -> Vec<String> {
    o.as_ref()
        .map(|l| l.get_ref().iter().map(|s| s.get_ref().clone()).collect())
        .unwrap_or_default()
}

fn flag(o: &Option<S<bool>>, default: bool) -> bool {
    o.as_ref().map_or(default, |b| *b.get_ref())
}

/// Which characters a code of some kind may use.
#[derive(Clone, Copy)]
enum CodeStyle {
    /// `[a-z0-9-]`: departments, items, bundles.
    Dash,
    /// `[a-z0-9_]`: record types, materials, form keys.
    Underscore,
    /// `[a-z0-9_-]`: workflows, states, actions.
    Either,
}

fn check_code(d: &mut Diag, file: usize, field: &str, code: &S<String>, style: CodeStyle) {
    let c = code.get_ref();
    let allowed = |ch: char| {
        ch.is_ascii_lowercase()
            || ch.is_ascii_digit()
            || (ch == '-' && !matches!(style, CodeStyle::Underscore))
            || (ch == '_' && !matches!(style, CodeStyle::Dash))
    };
    let starts_well = c
        .chars()
        .next()
        .is_some_and(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit());
    if c.is_empty() || c.len() > 64 || !starts_well || !c.chars().all(allowed) {
        let (zh, en) = match style {
            CodeStyle::Dash => (
                "小写字母、数字和连字符（-）",
                "lowercase letters, digits and `-`",
            ),
            CodeStyle::Underscore => (
                "小写字母、数字和下划线（_）",
                "lowercase letters, digits and `_`",
            ),
            CodeStyle::Either => (
                "小写字母、数字、连字符（-）和下划线（_）",
                "lowercase letters, digits, `-` and `_`",
            ),
        };
        d.error(
            file,
            &code.span(),
            field,
            format!("代码「{c}」无效：只能由{zh}组成，以字母或数字开头，最长 64 个字符"),
            format!("invalid code `{c}`: use only {en}, start with a letter or digit, at most 64 characters"),
        );
    }
}

fn check_name(d: &mut Diag, at: &Head, key: &str, name: &Option<S<String>>) {
    let Some(n) = name else { return };
    let chars = n.get_ref().trim().chars().count();
    if chars == 0 {
        d.error(
            at.file,
            &n.span(),
            at.field(key),
            format!("「{key}」不能为空"),
            format!("`{key}` must not be empty"),
        );
    } else if n.get_ref().chars().count() > MAX_NAME_CHARS {
        d.error(
            at.file,
            &n.span(),
            at.field(key),
            format!("「{key}」过长：最多 {MAX_NAME_CHARS} 个字符"),
            format!("`{key}` is too long: at most {MAX_NAME_CHARS} characters"),
        );
    }
}

fn check_names(d: &mut Diag, at: &Head, name: &Option<S<String>>, name_en: &Option<S<String>>) {
    check_name(d, at, "name", name);
    check_name(d, at, "name_en", name_en);
}

/// Remembers the first definition of each code of a kind and reports later ones.
struct Seen<'a> {
    kind_zh: &'static str,
    kind_en: &'static str,
    first: HashMap<&'a str, (usize, Span)>,
}

impl<'a> Seen<'a> {
    fn new(kind_zh: &'static str, kind_en: &'static str) -> Self {
        Seen {
            kind_zh,
            kind_en,
            first: HashMap::new(),
        }
    }

    /// Records `code`; reports it (at `code`'s span) if it was seen before. Returns whether it is new.
    fn add(&mut self, d: &mut Diag, file: usize, field: &str, code: &'a S<String>) -> bool {
        let c = code.get_ref().as_str();
        if let Some((f, span)) = self.first.get(c) {
            let place = d.place(*f, span);
            d.error(
                file,
                &code.span(),
                field,
                format!("{}代码「{c}」重复，首次定义于 {place}", self.kind_zh),
                format!(
                    "duplicate {} code `{c}`, first defined at {place}",
                    self.kind_en
                ),
            );
            false
        } else {
            self.first.insert(c, (file, code.span()));
            true
        }
    }
}

/// Checks every rule and returns the catalog when nothing is wrong.
pub(crate) fn check(d: &mut Diag, raw: &Raw) -> Option<Catalog> {
    let before = d.errors.len();
    let mut v = Validator { d, raw };
    v.local();
    v.duplicates();
    if !raw.had_syntax_errors {
        // References into a file that did not parse would all look unresolved.
        v.references();
    }
    v.bundles();
    let ok = v.d.errors.len() == before;
    ok.then(|| build(raw)).flatten()
}

struct Validator<'d, 'r> {
    d: &'d mut Diag,
    raw: &'r Raw,
}

impl<'r> Validator<'_, 'r> {
    /// Rules about one entry alone.
    fn local(&mut self) {
        let raw = self.raw;
        for e in &raw.departments {
            if let Some(c) = &e.code {
                check_code(self.d, e.at.file, &e.at.field("code"), c, CodeStyle::Dash);
            }
            check_names(self.d, &e.at, &e.name, &e.name_en);
        }
        for e in &raw.record_types {
            if let Some(c) = &e.code {
                check_code(
                    self.d,
                    e.at.file,
                    &e.at.field("code"),
                    c,
                    CodeStyle::Underscore,
                );
            }
            check_names(self.d, &e.at, &e.name, &e.name_en);
        }
        for e in &raw.materials {
            if let Some(c) = &e.code {
                check_code(
                    self.d,
                    e.at.file,
                    &e.at.field("code"),
                    c,
                    CodeStyle::Underscore,
                );
            }
            check_names(self.d, &e.at, &e.name, &e.name_en);
        }
        for w in &raw.workflows {
            self.workflow(w);
        }
        for i in &raw.items {
            self.item(i);
        }
        for b in &raw.bundles {
            if let Some(c) = &b.code {
                check_code(self.d, b.at.file, &b.at.field("code"), c, CodeStyle::Dash);
            }
            check_names(self.d, &b.at, &b.name, &b.name_en);
            if let (Some(stage), Some(subject)) = (&b.stage, &b.subject) {
                let (stage, subject) = (*stage.get_ref(), subject);
                if stage.subject() != *subject.get_ref() {
                    self.d.error(
                        b.at.file,
                        &subject.span(),
                        b.at.field("subject"),
                        format!(
                            "服务对象「{}」与阶段「{}」不符：该阶段属于{}",
                            subject.get_ref().name_zh(),
                            stage.name_zh(),
                            stage.subject().name_zh()
                        ),
                        format!(
                            "subject `{}` does not match stage `{}`, which is for the subject `{}`",
                            subject.get_ref().code(),
                            stage.code(),
                            stage.subject().code()
                        ),
                    );
                }
            }
            self.fields(&b.fields);
        }
    }

    fn workflow(&mut self, w: &RawWorkflow) {
        let d = &mut *self.d;
        let file = w.at.file;
        if let Some(c) = &w.code {
            check_code(d, file, &w.at.field("code"), c, CodeStyle::Either);
        }
        check_names(d, &w.at, &w.name, &w.name_en);
        let mut states = Seen::new("状态", "state");
        let mut state_by_code: HashMap<&str, &crate::raw::RawState> = HashMap::new();
        for s in &w.states {
            if let Some(c) = &s.code {
                check_code(d, file, &s.at.field("code"), c, CodeStyle::Either);
                if states.add(d, file, &s.at.field("code"), c) {
                    state_by_code.insert(c.get_ref(), s);
                }
            }
            check_names(d, &s.at, &s.name, &s.name_en);
        }
        let terminal = |code: &str| state_by_code.get(code).is_some_and(|s| s.outcome.is_some());
        if let Some(start) = &w.start
            && !state_by_code.contains_key(start.get_ref().as_str())
        {
            d.error(
                file,
                &start.span(),
                w.at.field("start"),
                format!("起始状态「{}」未在本流程的 state 中定义", start.get_ref()),
                format!(
                    "start state `{}` is not a state of this workflow",
                    start.get_ref()
                ),
            );
        }
        let mut actions = Seen::new("动作", "action");
        for a in &w.actions {
            if let Some(c) = &a.code {
                check_code(d, file, &a.at.field("code"), c, CodeStyle::Either);
                actions.add(d, file, &a.at.field("code"), c);
            }
            check_names(d, &a.at, &a.name, &a.name_en);
            if let Some(from) = &a.from {
                if from.get_ref().is_empty() {
                    d.error(
                        file,
                        &from.span(),
                        a.at.field("from"),
                        "「from」不能为空",
                        "`from` must not be empty",
                    );
                }
                for (i, f) in from.get_ref().iter().enumerate() {
                    let field = format!("{}[{i}]", a.at.field("from"));
                    if !state_by_code.contains_key(f.get_ref().as_str()) {
                        d.error(
                            file,
                            &f.span(),
                            field,
                            format!("状态「{}」未在本流程中定义", f.get_ref()),
                            format!("state `{}` is not a state of this workflow", f.get_ref()),
                        );
                    } else if terminal(f.get_ref()) {
                        d.error(
                            file,
                            &f.span(),
                            field,
                            format!("「{}」是办结状态（有 outcome），不能再有动作离开它", f.get_ref()),
                            format!("`{}` is a terminal state (it has an outcome): no action may leave it", f.get_ref()),
                        );
                    }
                }
            }
            if let Some(to) = &a.to
                && !state_by_code.contains_key(to.get_ref().as_str())
            {
                d.error(
                    file,
                    &to.span(),
                    a.at.field("to"),
                    format!("状态「{}」未在本流程中定义", to.get_ref()),
                    format!("state `{}` is not a state of this workflow", to.get_ref()),
                );
            }
            if let Some(roles) = &a.roles
                && roles.get_ref().is_empty()
            {
                d.error(
                    file,
                    &roles.span(),
                    a.at.field("roles"),
                    "「roles」不能为空：至少要有一个角色能执行该动作",
                    "`roles` must not be empty: some role must be able to take the action",
                );
            }
        }
        // The whole-graph rules would only echo an error already reported about this workflow.
        let prefix = format!("{}.", w.at.path);
        let file_name = d
            .files
            .get(file)
            .map(|f| f.name.clone())
            .unwrap_or_default();
        if d.errors
            .iter()
            .any(|e| e.file == file_name && e.field.starts_with(&prefix))
        {
            return;
        }
        for s in &w.states {
            let Some(code) = &s.code else { continue };
            let code = code.get_ref().as_str();
            if s.outcome.is_none() && leaves(w, code).next().is_none() {
                d.error(
                    file,
                    &s.at.span,
                    s.at.path.clone(),
                    format!("非办结状态「{code}」没有任何动作可以离开，办件会停在这里"),
                    format!("non-terminal state `{code}` has no action out of it: cases would be stuck there"),
                );
            }
            if let Some(p) = &s.pauses_clock {
                let by_applicant = leaves(w, code).any(|a| {
                    a.roles.as_ref().is_some_and(|r| {
                        r.get_ref().iter().any(|r| *r.get_ref() == Role::Applicant)
                    })
                });
                if *p.get_ref() && !by_applicant {
                    d.error(
                        file,
                        &p.span(),
                        s.at.field("pauses_clock"),
                        format!("暂停计时的状态「{code}」必须有申请人（applicant）可执行的动作离开，否则办件无法恢复"),
                        format!("state `{code}` pauses the clock, so an `applicant` action must lead out of it"),
                    );
                }
            }
        }
        // An approved end must be reachable from the start.
        if let Some(start) = &w.start
            && state_by_code.contains_key(start.get_ref().as_str())
        {
            let mut seen: HashSet<&str> = HashSet::new();
            let mut todo = vec![start.get_ref().as_str()];
            while let Some(s) = todo.pop() {
                if !seen.insert(s) {
                    continue;
                }
                for a in leaves(w, s) {
                    if let Some(to) = &a.to {
                        todo.push(to.get_ref());
                    }
                }
            }
            let approved = seen.iter().any(|s| {
                state_by_code.get(s).is_some_and(|st| {
                    st.outcome
                        .as_ref()
                        .is_some_and(|o| *o.get_ref() == Outcome::Approved)
                })
            });
            if !approved {
                d.error(
                        file,
                        &start.span(),
                        w.at.field("start"),
                        "从起始状态出发无法到达任何准予办结（outcome = \"approved\"）的状态",
                        "no approved terminal state (outcome = \"approved\") can be reached from the start state",
                    );
            }
        }
    }

    fn item(&mut self, i: &RawItem) {
        let d = &mut *self.d;
        let file = i.at.file;
        if let Some(c) = &i.code {
            check_code(d, file, &i.at.field("code"), c, CodeStyle::Dash);
        }
        check_names(d, &i.at, &i.name, &i.name_en);
        if let Some(legal) = &i.legal_days
            && *legal.get_ref() == 0
        {
            d.error(
                file,
                &legal.span(),
                i.at.field("legal_days"),
                "法定时限（legal_days）至少为 1 个工作日",
                "legal_days must be at least 1 working day",
            );
        }
        if let Some(promised) = &i.promised_days {
            let p = *promised.get_ref();
            let legal = i.legal_days.as_ref().map(|l| *l.get_ref());
            if p == 0 {
                d.error(
                    file,
                    &promised.span(),
                    i.at.field("promised_days"),
                    "承诺时限（promised_days）至少为 1 个工作日",
                    "promised_days must be at least 1 working day",
                );
            } else if let Some(legal) = legal.filter(|l| *l > 0 && p > *l) {
                d.error(
                    file,
                    &promised.span(),
                    i.at.field("promised_days"),
                    format!("承诺时限 {p} 个工作日超过了法定时限 {legal} 个工作日"),
                    format!("promised_days ({p}) exceeds legal_days ({legal})"),
                );
            }
        }
        if let Some(levels) = &i.levels {
            if levels.get_ref().is_empty() {
                d.error(
                    file,
                    &levels.span(),
                    i.at.field("levels"),
                    "「levels」不能为空：至少要有一个层级可以办理",
                    "`levels` must not be empty: some level must handle the item",
                );
            }
            let mut seen = BTreeSet::new();
            for (n, l) in levels.get_ref().iter().enumerate() {
                if !seen.insert(*l.get_ref()) {
                    d.error(
                        file,
                        &l.span(),
                        format!("{}[{n}]", i.at.field("levels")),
                        format!("办理层级「{}」重复", l.get_ref().code()),
                        format!("service level `{}` is listed twice", l.get_ref().code()),
                    );
                }
            }
        }
        if let Some(visits) = &i.visits
            && *visits.get_ref() > MAX_VISITS
        {
            d.error(
                file,
                &visits.span(),
                i.at.field("visits"),
                format!(
                    "到现场次数 {} 超出范围：应为 0 到 {MAX_VISITS}",
                    visits.get_ref()
                ),
                format!(
                    "visits ({}) out of range: expected 0 to {MAX_VISITS}",
                    visits.get_ref()
                ),
            );
        }
        if let Some(fee) = &i.fee
            && parse_fee(fee.get_ref()).is_none()
        {
            d.error(
                    file,
                    &fee.span(),
                    i.at.field("fee"),
                    format!("收费「{}」无效：应为以元计、最多两位小数的非负金额，如 \"0\" 或 \"12.50\"", fee.get_ref()),
                    format!("invalid fee `{}`: expected yuan with at most 2 decimals, such as \"0\" or \"12.50\"", fee.get_ref()),
                );
        }
        for (key, zh, en) in [
            (&i.materials, "材料", "material"),
            (&i.outputs, "出具的记录", "output"),
        ] {
            let Some(l) = key else { continue };
            let mut seen = HashSet::new();
            for (n, m) in l.get_ref().iter().enumerate() {
                if !seen.insert(m.get_ref().as_str()) {
                    let field = if en == "material" {
                        "materials"
                    } else {
                        "outputs"
                    };
                    d.error(
                        file,
                        &m.span(),
                        format!("{}[{n}]", i.at.field(field)),
                        format!("{zh}「{}」重复", m.get_ref()),
                        format!("{en} `{}` is listed twice", m.get_ref()),
                    );
                }
            }
        }
        self.fields(&i.fields);
    }

    /// Rules for one form (an item's or a bundle's fields).
    fn fields(&mut self, fields: &[RawField]) {
        let d = &mut *self.d;
        let mut keys = Seen::new("表单字段", "form field");
        for f in fields {
            let file = f.at.file;
            if let Some(k) = &f.key {
                check_code(d, file, &f.at.field("key"), k, CodeStyle::Underscore);
                keys.add(d, file, &f.at.field("key"), k);
            }
            check_name(d, &f.at, "label", &f.label);
            check_name(d, &f.at, "label_en", &f.label_en);
            let kind = sv(&f.kind);
            if let Some(k) = &f.kind
                && !FieldKind::CODES.contains(&k.get_ref().as_str())
            {
                d.error(
                    file,
                    &k.span(),
                    f.at.field("type"),
                    format!(
                        "无效的字段类型「{}」，可用的有：{}",
                        k.get_ref(),
                        FieldKind::CODES.join("、")
                    ),
                    format!(
                        "invalid field type `{}`; expected one of: {}",
                        k.get_ref(),
                        FieldKind::CODES.join(", ")
                    ),
                );
            }
            let not_for = |d: &mut Diag, key: &str, span: &Span, for_zh: &str, for_en: &str| {
                d.error(
                    file,
                    span,
                    f.at.field(key),
                    format!("「{key}」只适用于{for_zh}类型的字段"),
                    format!("`{key}` applies only to {for_en} fields"),
                );
            };
            if let Some(m) = &f.max_len {
                if !matches!(kind, Some("text" | "long_text")) {
                    not_for(
                        d,
                        "max_len",
                        &m.span(),
                        " text 或 long_text ",
                        "text and long_text",
                    );
                } else if !(1..=MAX_LEN_LIMIT).contains(m.get_ref()) {
                    d.error(
                        file,
                        &m.span(),
                        f.at.field("max_len"),
                        format!("「max_len」应在 1 到 {MAX_LEN_LIMIT} 之间"),
                        format!("`max_len` must be from 1 to {MAX_LEN_LIMIT}"),
                    );
                }
            }
            for (key, v) in [("min", &f.min), ("max", &f.max)] {
                if let Some(v) = v
                    && kind != Some("number")
                {
                    not_for(d, key, &v.span(), " number ", "number");
                }
            }
            if let (Some(min), Some(max), Some("number")) = (&f.min, &f.max, kind)
                && min.get_ref() > max.get_ref()
            {
                d.error(
                    file,
                    &max.span(),
                    f.at.field("max"),
                    format!("最大值 {} 小于最小值 {}", max.get_ref(), min.get_ref()),
                    format!(
                        "max ({}) is less than min ({})",
                        max.get_ref(),
                        min.get_ref()
                    ),
                );
            }
            match (&f.choices, kind) {
                (Some(c), Some(k)) if k != "choice" => {
                    not_for(d, "choices", &c.span(), " choice ", "choice")
                }
                (None, Some("choice")) => d.error(
                    file,
                    &f.at.span,
                    f.at.field("choices"),
                    "choice 类型的字段必须给出「choices」",
                    "a choice field needs `choices`",
                ),
                (Some(c), Some("choice")) => {
                    if c.get_ref().is_empty() {
                        d.error(
                            file,
                            &c.span(),
                            f.at.field("choices"),
                            "「choices」不能为空",
                            "`choices` must not be empty",
                        );
                    }
                    let mut values = Seen::new("选项值", "choice value");
                    for ch in c.get_ref() {
                        if let Some(v) = &ch.value {
                            if v.get_ref().trim().is_empty() {
                                d.error(
                                    file,
                                    &v.span(),
                                    ch.at.field("value"),
                                    "选项值不能为空",
                                    "a choice value must not be empty",
                                );
                            }
                            values.add(d, file, &ch.at.field("value"), v);
                        }
                        check_name(d, &ch.at, "label", &ch.label);
                        check_name(d, &ch.at, "label_en", &ch.label_en);
                    }
                }
                _ => {}
            }
        }
    }

    /// Codes defined twice within a kind.
    fn duplicates(&mut self) {
        let raw = self.raw;
        let d = &mut *self.d;
        macro_rules! dups {
            ($list:expr, $zh:literal, $en:literal) => {{
                let mut seen = Seen::new($zh, $en);
                for e in &$list {
                    if let Some(c) = &e.code {
                        seen.add(d, e.at.file, &e.at.field("code"), c);
                    }
                }
            }};
        }
        dups!(raw.departments, "部门", "department");
        dups!(raw.record_types, "记录类型", "record type");
        dups!(raw.materials, "材料", "material");
        dups!(raw.workflows, "流程", "workflow");
        dups!(raw.items, "事项", "item");
        dups!(raw.bundles, "一件事", "bundle");
    }

    /// Every reference resolves.
    fn references(&mut self) {
        let raw = self.raw;
        let d = &mut *self.d;
        let departments: HashSet<&str> =
            raw.departments.iter().filter_map(|e| sv(&e.code)).collect();
        let records: HashMap<&str, Option<Subject>> = raw
            .record_types
            .iter()
            .filter_map(|e| Some((sv(&e.code)?, e.subject.as_ref().map(|s| *s.get_ref()))))
            .collect();
        let materials: HashSet<&str> = raw.materials.iter().filter_map(|e| sv(&e.code)).collect();
        let workflows: HashSet<&str> = raw.workflows.iter().filter_map(|e| sv(&e.code)).collect();
        let items: HashMap<&str, &RawItem> = raw
            .items
            .iter()
            .filter_map(|e| Some((sv(&e.code)?, e)))
            .collect();

        let unresolved =
            |d: &mut Diag, file: usize, field: String, r: &S<String>, zh: &str, en: &str| {
                d.error(
                    file,
                    &r.span(),
                    field,
                    format!("引用的{zh}「{}」不存在", r.get_ref()),
                    format!("unknown {en} `{}`", r.get_ref()),
                );
            };
        for e in &raw.record_types {
            if let Some(r) = e
                .department
                .as_ref()
                .filter(|r| !departments.contains(r.get_ref().as_str()))
            {
                unresolved(
                    d,
                    e.at.file,
                    e.at.field("department"),
                    r,
                    "部门",
                    "department",
                );
            }
        }
        for e in &raw.materials {
            if let Some(r) = e
                .satisfied_by
                .as_ref()
                .filter(|r| !records.contains_key(r.get_ref().as_str()))
            {
                unresolved(
                    d,
                    e.at.file,
                    e.at.field("satisfied_by"),
                    r,
                    "记录类型",
                    "record type",
                );
            }
        }
        for e in &raw.items {
            let file = e.at.file;
            if let Some(r) = e
                .department
                .as_ref()
                .filter(|r| !departments.contains(r.get_ref().as_str()))
            {
                unresolved(d, file, e.at.field("department"), r, "部门", "department");
            }
            if let Some(r) = e
                .workflow
                .as_ref()
                .filter(|r| !workflows.contains(r.get_ref().as_str()))
            {
                unresolved(d, file, e.at.field("workflow"), r, "流程", "workflow");
            }
            for (n, m) in e
                .materials
                .iter()
                .flat_map(|l| l.get_ref().iter())
                .enumerate()
            {
                if !materials.contains(m.get_ref().as_str()) {
                    unresolved(
                        d,
                        file,
                        format!("{}[{n}]", e.at.field("materials")),
                        m,
                        "材料",
                        "material",
                    );
                }
            }
            for (n, o) in e
                .outputs
                .iter()
                .flat_map(|l| l.get_ref().iter())
                .enumerate()
            {
                let field = format!("{}[{n}]", e.at.field("outputs"));
                match records.get(o.get_ref().as_str()) {
                    None => unresolved(d, file, field, o, "记录类型", "record type"),
                    Some(Some(rs)) => {
                        if let Some(is) = e.subject.as_ref().filter(|is| is.get_ref() != rs) {
                            d.error(
                                file,
                                &o.span(),
                                field,
                                format!(
                                    "记录类型「{}」的对象是{}，而本事项的服务对象是{}",
                                    o.get_ref(),
                                    rs.name_zh(),
                                    is.get_ref().name_zh()
                                ),
                                format!(
                                    "record type `{}` is about a {}, but the item serves a {}",
                                    o.get_ref(),
                                    rs.code(),
                                    is.get_ref().code()
                                ),
                            );
                        }
                    }
                    Some(None) => {}
                }
            }
        }
        for b in &raw.bundles {
            for (n, it) in b.items.iter().flat_map(|l| l.get_ref().iter()).enumerate() {
                let field = format!("{}[{n}]", b.at.field("items"));
                match items.get(it.get_ref().as_str()) {
                    None => unresolved(d, b.at.file, field, it, "事项", "item"),
                    Some(item) => {
                        let is = item.subject.as_ref().map(|s| *s.get_ref());
                        let bs = b.subject.as_ref().map(|s| *s.get_ref());
                        if let (Some(is), Some(bs)) = (is, bs)
                            && is != bs
                        {
                            d.error(
                                b.at.file,
                                &it.span(),
                                field,
                                format!(
                                    "事项「{}」的服务对象是{}，与本件事的服务对象{}不符",
                                    it.get_ref(),
                                    is.name_zh(),
                                    bs.name_zh()
                                ),
                                format!(
                                    "item `{}` serves a {}, but the bundle serves a {}",
                                    it.get_ref(),
                                    is.code(),
                                    bs.code()
                                ),
                            );
                        }
                    }
                }
            }
        }
    }

    /// Rules about a bundle's members: count, prerequisites, their cycles, data flow and shared form keys.
    fn bundles(&mut self) {
        let raw = self.raw;
        let items: HashMap<&str, &RawItem> = raw
            .items
            .iter()
            .filter_map(|e| Some((sv(&e.code)?, e)))
            .collect();
        let materials: HashMap<&str, Option<&str>> = raw
            .materials
            .iter()
            .filter_map(|m| Some((sv(&m.code)?, sv(&m.satisfied_by))))
            .collect();
        for b in &raw.bundles {
            self.bundle(b, &items, &materials);
        }
    }

    fn bundle(
        &mut self,
        b: &'r RawBundle,
        items: &HashMap<&str, &'r RawItem>,
        materials: &HashMap<&str, Option<&str>>,
    ) {
        let d = &mut *self.d;
        let file = b.at.file;
        let Some(members) = &b.items else { return };
        let mut member_set: Vec<&str> = Vec::new();
        for (n, it) in members.get_ref().iter().enumerate() {
            if member_set.contains(&it.get_ref().as_str()) {
                d.error(
                    file,
                    &it.span(),
                    format!("{}[{n}]", b.at.field("items")),
                    format!("事项「{}」重复列出", it.get_ref()),
                    format!("item `{}` is listed twice", it.get_ref()),
                );
            } else {
                member_set.push(it.get_ref());
            }
        }
        if member_set.len() < 2 {
            d.error(
                file,
                &members.span(),
                b.at.field("items"),
                "一件事至少要包含 2 个不同的事项",
                "a bundle needs at least 2 distinct items",
            );
        }
        // Prerequisites: members only, no self-loops, one entry per item.
        let mut after: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        let mut entry_of: HashMap<&str, &crate::raw::RawPrerequisite> = HashMap::new();
        let mut entries = Seen::new("前置条件", "prerequisite");
        for p in &b.prerequisites {
            let Some(item) = &p.item else { continue };
            let is_member = member_set.contains(&item.get_ref().as_str());
            if !is_member {
                d.error(
                    file,
                    &item.span(),
                    p.at.field("item"),
                    format!(
                        "事项「{}」不是本件事的成员，不能设置前置事项",
                        item.get_ref()
                    ),
                    format!("item `{}` is not a member of this bundle", item.get_ref()),
                );
            }
            if !entries.add(d, file, &p.at.field("item"), item) {
                continue;
            }
            entry_of.insert(item.get_ref(), p);
            let Some(list) = &p.after else { continue };
            if list.get_ref().is_empty() {
                d.error(
                    file,
                    &list.span(),
                    p.at.field("after"),
                    "「after」不能为空",
                    "`after` must not be empty",
                );
            }
            let mut prior: Vec<&str> = Vec::new();
            for (n, a) in list.get_ref().iter().enumerate() {
                let field = format!("{}[{n}]", p.at.field("after"));
                let a_str = a.get_ref().as_str();
                if !member_set.contains(&a_str) {
                    d.error(
                        file,
                        &a.span(),
                        field,
                        format!("前置事项「{a_str}」不是本件事的成员"),
                        format!("prerequisite `{a_str}` is not a member of this bundle"),
                    );
                } else if a_str == item.get_ref() {
                    d.error(
                        file,
                        &a.span(),
                        field,
                        format!("事项「{a_str}」不能以自己为前置事项"),
                        format!("item `{a_str}` cannot be its own prerequisite"),
                    );
                } else if prior.contains(&a_str) {
                    d.error(
                        file,
                        &a.span(),
                        field,
                        format!("前置事项「{a_str}」重复"),
                        format!("prerequisite `{a_str}` is listed twice"),
                    );
                } else if is_member {
                    prior.push(a_str);
                }
            }
            if is_member {
                after.insert(item.get_ref(), prior);
            }
        }
        if let Some(cycle) = find_cycle(&member_set, &after) {
            let first = cycle.first().copied().unwrap_or_default();
            let shown = cycle.join(" → ");
            let span = entry_of
                .get(first)
                .and_then(|p| p.after.as_ref().map(|a| a.span()))
                .unwrap_or(b.at.span.clone());
            let field = entry_of
                .get(first)
                .map_or_else(|| b.at.field("prerequisite"), |p| p.at.field("after"));
            d.error(
                file,
                &span,
                field,
                format!("前置事项形成循环：{shown}"),
                format!("prerequisites form a cycle: {shown}"),
            );
        } else {
            // Data flow: an item needing a record that a member issues must come after that member.
            let closure = transitive(&member_set, &after);
            for (n, it) in members.get_ref().iter().enumerate() {
                let Some(item) = items.get(it.get_ref().as_str()) else {
                    continue;
                };
                let needed_by = it.get_ref().as_str();
                for m in item.materials.iter().flat_map(|l| l.get_ref().iter()) {
                    let Some(Some(record)) = materials.get(m.get_ref().as_str()) else {
                        continue;
                    };
                    let issuers: Vec<&str> = member_set
                        .iter()
                        .copied()
                        .filter(|a| *a != needed_by)
                        .filter(|a| {
                            items
                                .get(a)
                                .is_some_and(|i| list(&i.outputs).iter().any(|o| o == record))
                        })
                        .collect();
                    let ok = issuers
                        .iter()
                        .any(|a| closure.get(needed_by).is_some_and(|c| c.contains(a)));
                    if let (false, Some(issuer)) = (ok, issuers.first()) {
                        let (name_b, name_a) = (
                            text(&item.name),
                            items.get(issuer).map(|i| text(&i.name)).unwrap_or_default(),
                        );
                        d.error(
                            file,
                            &it.span(),
                            format!("{}[{n}]", b.at.field("items")),
                            format!(
                                "「{name_b}」所需材料「{}」由本件事的「{name_a}」出具，请把它列为「{name_b}」的前置事项",
                                m.get_ref()
                            ),
                            format!(
                                "`{needed_by}` needs material `{}`, which this bundle's `{issuer}` issues: list `{issuer}` as a prerequisite of `{needed_by}`",
                                m.get_ref()
                            ),
                        );
                    }
                }
            }
        }
        // One key, one type across the bundle's form and its items' forms.
        let mut types: HashMap<&str, (&str, (String, String))> = HashMap::new();
        let bundle_name = sv(&b.code).unwrap_or("?").to_owned();
        let mut forms: Vec<((String, String), &[RawField])> = vec![(
            (
                format!("一件事「{bundle_name}」"),
                "the bundle's own form".to_owned(),
            ),
            &b.fields,
        )];
        for m in &member_set {
            if let Some(i) = items.get(m) {
                forms.push(((format!("事项「{m}」"), format!("item `{m}`")), &i.fields));
            }
        }
        for (owner, fields) in forms {
            for f in fields {
                let (Some(key), Some(kind)) = (sv(&f.key), &f.kind) else {
                    continue;
                };
                let k = kind.get_ref().as_str();
                match types.get(key) {
                    Some((first, (owner_zh, owner_en))) if *first != k => d.error(
                        f.at.file,
                        &kind.span(),
                        f.at.field("type"),
                        format!("在一件事「{bundle_name}」中，字段「{key}」已由{owner_zh}定义为 {first} 类型，此处为 {k}：同名字段类型必须一致"),
                        format!("in bundle `{bundle_name}`, field `{key}` is already of type {first} in {owner_en}, here it is {k}: one key, one type"),
                    ),
                    Some(_) => {}
                    None => {
                        types.insert(key, (k, owner.clone()));
                    }
                }
            }
        }
    }
}

/// The actions of a workflow that leave `state`.
fn leaves<'a>(
    w: &'a RawWorkflow,
    state: &'a str,
) -> impl Iterator<Item = &'a crate::raw::RawAction> + 'a {
    w.actions.iter().filter(move |a| {
        a.from
            .as_ref()
            .is_some_and(|f| f.get_ref().iter().any(|x| x.get_ref() == state))
    })
}

/// A cycle among prerequisites, as `a → b → … → a`, if any.
fn find_cycle<'a>(
    members: &[&'a str],
    after: &BTreeMap<&'a str, Vec<&'a str>>,
) -> Option<Vec<&'a str>> {
    // 0 = unvisited, 1 = on the stack, 2 = done.
    let mut mark: HashMap<&str, u8> = HashMap::new();
    for &start in members {
        if mark.get(start).copied().unwrap_or(0) != 0 {
            continue;
        }
        let mut stack: Vec<(&str, usize)> = vec![(start, 0)];
        mark.insert(start, 1);
        while let Some((node, next)) = stack.last().copied() {
            let deps = after.get(node).map(Vec::as_slice).unwrap_or_default();
            if let Some(&dep) = deps.get(next) {
                if let Some(top) = stack.last_mut() {
                    top.1 += 1;
                }
                match mark.get(dep).copied().unwrap_or(0) {
                    0 => {
                        mark.insert(dep, 1);
                        stack.push((dep, 0));
                    }
                    1 => {
                        let from = stack.iter().position(|(n, _)| *n == dep).unwrap_or(0);
                        let mut cycle: Vec<&str> = stack[from..].iter().map(|(n, _)| *n).collect();
                        cycle.push(dep);
                        return Some(cycle);
                    }
                    _ => {}
                }
            } else {
                mark.insert(node, 2);
                stack.pop();
            }
        }
    }
    None
}

/// Every member's transitive prerequisites (the graph must be acyclic).
fn transitive<'a>(
    members: &[&'a str],
    after: &BTreeMap<&'a str, Vec<&'a str>>,
) -> HashMap<&'a str, HashSet<&'a str>> {
    let mut out = HashMap::new();
    for &m in members {
        let mut seen = HashSet::new();
        let mut todo: Vec<&str> = after.get(m).cloned().unwrap_or_default();
        while let Some(x) = todo.pop() {
            if seen.insert(x) {
                todo.extend(after.get(x).cloned().unwrap_or_default());
            }
        }
        out.insert(m, seen);
    }
    out
}

/// Yuan with at most two decimals, as fen.
pub(crate) fn parse_fee(s: &str) -> Option<i64> {
    let s = s.trim();
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    let digits = |t: &str| t.chars().all(|c| c.is_ascii_digit());
    if whole.is_empty()
        || !digits(whole)
        || !digits(frac)
        || frac.len() > 2
        || (s.contains('.') && frac.is_empty())
    {
        return None;
    }
    let yuan: i64 = whole.parse().ok()?;
    let fen: i64 = format!("{frac:0<2}").parse().ok()?;
    yuan.checked_mul(100)?.checked_add(fen)
}

fn build_fields(fields: &[RawField]) -> Vec<Field> {
    fields
        .iter()
        .map(|f| {
            let kind = match sv(&f.kind).unwrap_or("text") {
                "long_text" => FieldKind::LongText {
                    max_len: f.max_len.as_ref().map_or(2000, |m| *m.get_ref()),
                },
                "date" => FieldKind::Date,
                "datetime" => FieldKind::DateTime,
                "number" => FieldKind::Number {
                    min: f.min.as_ref().map(|m| *m.get_ref()),
                    max: f.max.as_ref().map(|m| *m.get_ref()),
                },
                "choice" => FieldKind::Choice {
                    choices: f
                        .choices
                        .iter()
                        .flat_map(|c| c.get_ref().iter())
                        .map(|c| Choice {
                            value: text(&c.value),
                            label: text(&c.label),
                            label_en: text(&c.label_en),
                        })
                        .collect(),
                },
                "id_number" => FieldKind::IdNumber,
                "credit_code" => FieldKind::CreditCode,
                "phone" => FieldKind::Phone,
                _ => FieldKind::Text {
                    max_len: f.max_len.as_ref().map_or(200, |m| *m.get_ref()),
                },
            };
            Field {
                key: text(&f.key),
                label: text(&f.label),
                label_en: text(&f.label_en),
                kind,
                required: flag(&f.required, true),
                reuse: flag(&f.reuse, false),
            }
        })
        .collect()
}

/// Builds the model from entries that passed every rule.
fn build(raw: &Raw) -> Option<Catalog> {
    let mut c = Catalog::default();
    for e in &raw.departments {
        let mut duties: Vec<Duty> = e.duties.as_ref().map(|l| l.get_ref().iter().map(|x| *x.get_ref()).collect()).unwrap_or_default();
        duties.sort();
        duties.dedup();
        let d = Department {
            code: text(&e.code),
            name: text(&e.name),
            name_en: text(&e.name_en),
            duties,
        };
        c.departments.insert(d.code.clone(), d);
    }
    for e in &raw.record_types {
        let r = RecordType {
            code: text(&e.code),
            name: text(&e.name),
            name_en: text(&e.name_en),
            department: text(&e.department),
            subject: *e.subject.as_ref()?.get_ref(),
            validity_days: e
                .validity_days
                .as_ref()
                .map(|v| *v.get_ref())
                .filter(|v| *v > 0),
        };
        c.record_types.insert(r.code.clone(), r);
    }
    for e in &raw.materials {
        let m = Material {
            code: text(&e.code),
            name: text(&e.name),
            name_en: text(&e.name_en),
            satisfied_by: e.satisfied_by.as_ref().map(|s| s.get_ref().clone()),
            reusable: flag(&e.reusable, false),
            description: e.description.as_ref().map(|s| s.get_ref().clone()),
        };
        c.materials.insert(m.code.clone(), m);
    }
    for e in &raw.workflows {
        let w = Workflow {
            code: text(&e.code),
            name: text(&e.name),
            name_en: text(&e.name_en),
            start: text(&e.start),
            states: e
                .states
                .iter()
                .map(|s| State {
                    code: text(&s.code),
                    name: text(&s.name),
                    name_en: text(&s.name_en),
                    time_limit_days: s.time_limit_days.as_ref().map(|t| *t.get_ref()),
                    pauses_clock: flag(&s.pauses_clock, false),
                    outcome: s.outcome.as_ref().map(|o| *o.get_ref()),
                })
                .collect(),
            actions: e
                .actions
                .iter()
                .map(|a| Action {
                    code: text(&a.code),
                    name: text(&a.name),
                    name_en: text(&a.name_en),
                    from: list(&a.from),
                    to: text(&a.to),
                    roles: a
                        .roles
                        .iter()
                        .flat_map(|r| r.get_ref().iter())
                        .map(|r| *r.get_ref())
                        .collect(),
                    requires_comment: flag(&a.requires_comment, false),
                })
                .collect(),
        };
        c.workflows.insert(w.code.clone(), w);
    }
    for e in &raw.items {
        let i = Item {
            code: text(&e.code),
            name: text(&e.name),
            name_en: text(&e.name_en),
            department: text(&e.department),
            subject: *e.subject.as_ref()?.get_ref(),
            legal_days: *e.legal_days.as_ref()?.get_ref(),
            promised_days: *e.promised_days.as_ref()?.get_ref(),
            levels: e
                .levels
                .iter()
                .flat_map(|l| l.get_ref().iter())
                .map(|l| *l.get_ref())
                .collect(),
            online: flag(&e.online, false),
            visits: *e.visits.as_ref()?.get_ref(),
            workflow: text(&e.workflow),
            materials: list(&e.materials),
            outputs: list(&e.outputs),
            fee_fen: e.fee.as_ref().map_or(Some(0), |f| parse_fee(f.get_ref()))?,
            fields: build_fields(&e.fields),
        };
        c.items.insert(i.code.clone(), i);
    }
    for e in &raw.bundles {
        let b = Bundle {
            code: text(&e.code),
            name: text(&e.name),
            name_en: text(&e.name_en),
            stage: *e.stage.as_ref()?.get_ref(),
            subject: *e.subject.as_ref()?.get_ref(),
            items: list(&e.items),
            prerequisites: e
                .prerequisites
                .iter()
                .map(|p| (text(&p.item), list(&p.after)))
                .collect(),
            on_reject: e
                .on_reject
                .as_ref()
                .map_or(RejectPolicy::Continue, |r| *r.get_ref()),
            fields: build_fields(&e.fields),
            description: e.description.as_ref().map(|s| s.get_ref().clone()),
        };
        c.bundles.insert(b.code.clone(), b);
    }
    Some(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fees_parse_as_fen() {
        assert_eq!(parse_fee("0"), Some(0));
        assert_eq!(parse_fee("12"), Some(1200));
        assert_eq!(parse_fee("12.5"), Some(1250));
        assert_eq!(parse_fee("12.05"), Some(1205));
        for bad in [
            "",
            "-1",
            "1.234",
            "1.",
            ".5",
            "abc",
            "1,00",
            "99999999999999999999",
        ] {
            assert_eq!(parse_fee(bad), None, "{bad}");
        }
    }

    #[test]
    fn cycles_are_named_in_order() {
        let members = ["a", "b", "c"];
        let mut after = BTreeMap::new();
        after.insert("a", vec!["c"]);
        after.insert("b", vec!["a"]);
        after.insert("c", vec!["b"]);
        assert_eq!(find_cycle(&members, &after), Some(vec!["a", "c", "b", "a"]));
        after.insert("a", vec![]);
        assert_eq!(find_cycle(&members, &after), None);
    }
}
