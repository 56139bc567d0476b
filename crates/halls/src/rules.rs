//! `HallRules`: the service halls' rules as data (`data/halls/rules.toml`) — the service lines
//! queue numbers are drawn in (with the departments and items each serves), the priority classes,
//! the appointment slots, when to notify and how often to recall — read and checked once, every
//! error at file, line, column and field.

use std::ops::Range;

use domain::LineIndex;
use serde::Deserialize;
use serde::Serialize;
use toml::Spanned;

use crate::error::HallError;
use crate::ticket::PersonFacts;
use crate::ticket::Priority;

/// The shipped rules.
pub const EMBEDDED: &str = include_str!("../../../data/halls/rules.toml");

/// What a priority class is for (a fixed vocabulary; the ranks and names are data).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PriorityKind {
    /// An appointment checked in on time (预约准时签到).
    Appointment,
    /// A person aged `elder_age` or more.
    Elder,
    /// A holder of a disability certificate (持残疾人证).
    Disability,
}

impl PriorityKind {
    /// The stable code.
    pub fn code(self) -> &'static str {
        match self {
            PriorityKind::Appointment => "appointment",
            PriorityKind::Elder => "elder",
            PriorityKind::Disability => "disability",
        }
    }
}

/// One priority class: who it is for and its rank (higher is served first).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriorityClass {
    /// Who it is for.
    pub kind: PriorityKind,
    /// The reason as a ticket shows it, in Chinese (`70周岁以上老年人`).
    pub name_zh: String,
    /// The same in English.
    pub name_en: String,
    /// The rank, 1–100 (0 is "no priority").
    pub rank: u32,
}

/// Who is served first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriorityRules {
    /// Where the rules come from.
    pub source: String,
    /// Age from which an elder is served first (70).
    pub elder_age: u32,
    /// Whether a disability certificate gives priority.
    pub disability: bool,
    /// An appointment may check in on time from this many minutes before its slot (30).
    pub on_time_early_minutes: i64,
    /// … to this many minutes after its start (10).
    pub on_time_late_minutes: i64,
    /// The classes, each kind at most once; a kind not listed gives no priority.
    pub classes: Vec<PriorityClass>,
}

impl PriorityRules {
    /// The class of a kind, if the rules give it priority.
    pub fn class(&self, kind: PriorityKind) -> Option<&PriorityClass> {
        self.classes.iter().find(|c| c.kind == kind)
    }

    /// A person's priority: the highest rank among the classes that apply (0 = none), with the
    /// Chinese reasons of all that apply, highest rank first.
    pub fn priority(&self, facts: &PersonFacts, on_time_appointment: bool) -> Priority {
        let mut applies: Vec<&PriorityClass> = Vec::new();
        for c in &self.classes {
            let ok = match c.kind {
                PriorityKind::Appointment => on_time_appointment,
                PriorityKind::Elder => facts.age.is_some_and(|a| a >= self.elder_age),
                PriorityKind::Disability => self.disability && facts.disabled,
            };
            if ok {
                applies.push(c);
            }
        }
        applies.sort_by_key(|c| std::cmp::Reverse(c.rank));
        Priority { rank: applies.first().map_or(0, |c| c.rank), reasons: applies.iter().map(|c| c.name_zh.clone()).collect() }
    }
}

/// How appointments are booked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppointmentRules {
    /// The length of a slot in minutes (30); slots start on multiples of it from midnight.
    pub slot_minutes: u32,
    /// How many days ahead one may book (7; today is day 0).
    pub days_ahead: u32,
    /// Appointments per slot per open window serving the line (3).
    pub per_window_per_slot: u32,
}

/// A service line (业务类别): a queue of its own with its own number prefix.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LineRule {
    /// The code (`social_insurance`).
    pub code: String,
    /// The Chinese name (`社保医保`).
    pub name_zh: String,
    /// The English name.
    pub name_en: String,
    /// The number prefix: one ASCII capital letter, unique (`A` → `A023`).
    pub prefix: char,
    /// Catalog department codes whose items it serves.
    pub departments: Vec<String>,
    /// Catalog item codes it serves (before any department's line).
    pub items: Vec<String>,
    /// Whether it serves any item no other line serves (综合受理, 一窗通办); at most one line.
    pub catch_all: bool,
    /// The mean service time in minutes assumed before there is history.
    pub service_minutes: f64,
}

/// The service halls' rules.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HallRules {
    /// The service lines, in order.
    pub lines: Vec<LineRule>,
    /// Who is served first.
    pub priority: PriorityRules,
    /// How appointments are booked.
    pub appointments: AppointmentRules,
    /// Notify a waiting person when this many are ahead (3).
    pub notice_ahead: u32,
    /// The most recalls of a called ticket (2).
    pub recall_limit: u32,
    /// Where the rules come from.
    pub source: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    source: Spanned<String>,
    notice_ahead: Spanned<u32>,
    recall_limit: Spanned<u32>,
    priority: RawPriority,
    appointments: RawAppointments,
    line: Spanned<Vec<RawLine>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPriority {
    source: Spanned<String>,
    elder_age: Spanned<u32>,
    disability: bool,
    on_time_early_minutes: Spanned<i64>,
    on_time_late_minutes: Spanned<i64>,
    #[serde(default)]
    class: Vec<RawClass>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawClass {
    kind: Spanned<PriorityKind>,
    name_zh: Spanned<String>,
    name_en: Spanned<String>,
    rank: Spanned<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAppointments {
    slot_minutes: Spanned<u32>,
    days_ahead: Spanned<u32>,
    per_window_per_slot: Spanned<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLine {
    code: Spanned<String>,
    name_zh: Spanned<String>,
    name_en: Spanned<String>,
    prefix: Spanned<String>,
    #[serde(default)]
    departments: Vec<Spanned<String>>,
    #[serde(default)]
    items: Vec<Spanned<String>>,
    #[serde(default)]
    catch_all: Option<Spanned<bool>>,
    service_minutes: Spanned<f64>,
}

/// Builds errors at positions of one file.
struct Ctx<'a> {
    name: &'a str,
    lines: LineIndex<'a>,
}

impl Ctx<'_> {
    fn err(&self, span: Range<usize>, field: &str, zh: String, en: String) -> HallError {
        let (line, column) = self.lines.position(span.start);
        HallError::Rules { file: self.name.to_owned(), line, column, field: field.to_owned(), message_zh: zh, message_en: en }
    }

    /// A number in a range.
    fn within<T: Copy + PartialOrd + std::fmt::Display>(&self, v: &Spanned<T>, field: &str, lo: T, hi: T) -> Result<T, HallError> {
        let n = *v.get_ref();
        if !(n >= lo && n <= hi) {
            return Err(self.err(v.span(), field, format!("{n} 不在 {lo}–{hi} 之间"), format!("{n} is not within {lo}..={hi}")));
        }
        Ok(n)
    }

    /// A non-empty text.
    fn text(&self, v: &Spanned<String>, field: &str) -> Result<String, HallError> {
        let t = v.get_ref().trim();
        if t.is_empty() {
            return Err(self.err(v.span(), field, "不能为空".to_owned(), "must not be empty".to_owned()));
        }
        Ok(t.to_owned())
    }

    /// A code of lower-case ASCII letters, digits and `extra`, 1–64 long.
    fn code(&self, v: &Spanned<String>, field: &str, extra: u8) -> Result<String, HallError> {
        let c = v.get_ref();
        if c.is_empty() || c.len() > 64 || !c.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == extra) {
            let x = extra as char;
            return Err(self.err(
                v.span(),
                field,
                format!("「{c}」不是代码（小写字母、数字、{x}，1–64 位）"),
                format!("{c:?} is not a code (lower-case letters, digits, {x}; 1-64 long)"),
            ));
        }
        Ok(c.clone())
    }
}

impl HallRules {
    /// The shipped rules (a test checks that they parse).
    pub fn embedded() -> Result<HallRules, HallError> {
        HallRules::parse(EMBEDDED, "rules.toml")
    }

    /// Reads a rules file named `file`; every error names its file, line, column and field.
    pub fn parse(text: &str, file: &str) -> Result<HallRules, HallError> {
        let cx = Ctx { name: file, lines: LineIndex::new(text) };
        let raw: Raw = toml::from_str(text).map_err(|e| {
            let m = e.message().trim().to_owned();
            cx.err(e.span().unwrap_or(0..0), "toml", format!("TOML 格式错误：{m}"), m)
        })?;

        let p = &raw.priority;
        let mut classes: Vec<PriorityClass> = Vec::new();
        for (i, c) in p.class.iter().enumerate() {
            let field = format!("priority.class[{i}]");
            let kind = *c.kind.get_ref();
            if classes.iter().any(|x| x.kind == kind) {
                return Err(cx.err(c.kind.span(), &format!("{field}.kind"), "优先类别重复".to_owned(), "priority kind listed twice".to_owned()));
            }
            classes.push(PriorityClass {
                kind,
                name_zh: cx.text(&c.name_zh, &format!("{field}.name_zh"))?,
                name_en: cx.text(&c.name_en, &format!("{field}.name_en"))?,
                rank: cx.within(&c.rank, &format!("{field}.rank"), 1, 100)?,
            });
        }
        let priority = PriorityRules {
            source: cx.text(&p.source, "priority.source")?,
            elder_age: cx.within(&p.elder_age, "priority.elder_age", 50, 120)?,
            disability: p.disability,
            on_time_early_minutes: cx.within(&p.on_time_early_minutes, "priority.on_time_early_minutes", 0, 240)?,
            on_time_late_minutes: cx.within(&p.on_time_late_minutes, "priority.on_time_late_minutes", 0, 120)?,
            classes,
        };

        let a = &raw.appointments;
        let slot_minutes = cx.within(&a.slot_minutes, "appointments.slot_minutes", 5, 240)?;
        if 1440 % slot_minutes != 0 {
            return Err(cx.err(
                a.slot_minutes.span(),
                "appointments.slot_minutes",
                format!("{slot_minutes} 分钟不能整除一天（1440 分钟）"),
                format!("{slot_minutes} minutes do not divide a day (1440 minutes)"),
            ));
        }
        let appointments = AppointmentRules {
            slot_minutes,
            days_ahead: cx.within(&a.days_ahead, "appointments.days_ahead", 0, 60)?,
            per_window_per_slot: cx.within(&a.per_window_per_slot, "appointments.per_window_per_slot", 1, 100)?,
        };

        let mut lines: Vec<LineRule> = Vec::new();
        for (i, l) in raw.line.get_ref().iter().enumerate() {
            let field = format!("line[{i}]");
            let code = cx.code(&l.code, &format!("{field}.code"), b'_')?;
            if lines.iter().any(|x| x.code == code) {
                return Err(cx.err(l.code.span(), &format!("{field}.code"), format!("业务类别代码「{code}」重复"), format!("line code {code:?} twice")));
            }
            let pf = l.prefix.get_ref();
            let prefix = match pf.chars().collect::<Vec<char>>().as_slice() {
                [c] if c.is_ascii_uppercase() => *c,
                _ => {
                    return Err(cx.err(l.prefix.span(), &format!("{field}.prefix"), format!("「{pf}」应为一个大写英文字母"), format!("{pf:?} must be one ASCII capital letter")));
                }
            };
            if lines.iter().any(|x| x.prefix == prefix) {
                return Err(cx.err(l.prefix.span(), &format!("{field}.prefix"), format!("号码前缀「{prefix}」重复"), format!("prefix {prefix} twice")));
            }
            let mut departments: Vec<String> = Vec::new();
            for (j, d) in l.departments.iter().enumerate() {
                let f = format!("{field}.departments[{j}]");
                let d_code = cx.code(d, &f, b'_')?;
                if departments.contains(&d_code) || lines.iter().any(|x| x.departments.contains(&d_code)) {
                    return Err(cx.err(d.span(), &f, format!("部门「{d_code}」已列在某个业务类别中"), format!("department {d_code:?} is listed twice")));
                }
                departments.push(d_code);
            }
            let mut items: Vec<String> = Vec::new();
            for (j, it) in l.items.iter().enumerate() {
                let f = format!("{field}.items[{j}]");
                let i_code = cx.code(it, &f, b'-')?;
                if items.contains(&i_code) || lines.iter().any(|x| x.items.contains(&i_code)) {
                    return Err(cx.err(it.span(), &f, format!("事项「{i_code}」已列在某个业务类别中"), format!("item {i_code:?} is listed twice")));
                }
                items.push(i_code);
            }
            let catch_all = l.catch_all.as_ref().is_some_and(|c| *c.get_ref());
            if catch_all && lines.iter().any(|x| x.catch_all) {
                let span = l.catch_all.as_ref().map_or(0..0, |c| c.span());
                return Err(cx.err(span, &format!("{field}.catch_all"), "只能有一个综合受理类别".to_owned(), "only one line may catch all".to_owned()));
            }
            if departments.is_empty() && items.is_empty() && !catch_all {
                return Err(cx.err(l.code.span(), &format!("{field}.departments"), "至少列出一个部门或事项".to_owned(), "list at least one department or item".to_owned()));
            }
            lines.push(LineRule {
                code,
                name_zh: cx.text(&l.name_zh, &format!("{field}.name_zh"))?,
                name_en: cx.text(&l.name_en, &format!("{field}.name_en"))?,
                prefix,
                departments,
                items,
                catch_all,
                service_minutes: cx.within(&l.service_minutes, &format!("{field}.service_minutes"), 0.5, 240.0)?,
            });
        }
        if lines.is_empty() {
            return Err(cx.err(raw.line.span(), "line", "至少一个业务类别".to_owned(), "at least one line".to_owned()));
        }
        Ok(HallRules {
            lines,
            priority,
            appointments,
            notice_ahead: cx.within(&raw.notice_ahead, "notice_ahead", 1, 50)?,
            recall_limit: cx.within(&raw.recall_limit, "recall_limit", 0, 10)?,
            source: cx.text(&raw.source, "source")?,
        })
    }

    /// The line of a code.
    pub fn line(&self, code: &str) -> Option<&LineRule> {
        self.lines.iter().find(|l| l.code == code)
    }

    /// The line serving a catalog item: the one listing its code, else the one listing its
    /// department, else the catch-all line.
    pub fn line_for(&self, department: &str, item: &str) -> Option<&LineRule> {
        self.lines
            .iter()
            .find(|l| l.items.iter().any(|i| i == item))
            .or_else(|| self.lines.iter().find(|l| l.departments.iter().any(|d| d == department)))
            .or_else(|| self.lines.iter().find(|l| l.catch_all))
    }

    /// The line of a code, or `NotFound`.
    pub fn require_line(&self, code: &str) -> Result<&LineRule, HallError> {
        self.line(code).ok_or_else(|| HallError::NotFound { what: "line", id: code.to_owned() })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_rules_parse() {
        let r = HallRules::embedded().unwrap();
        assert_eq!(r.notice_ahead, 3);
        assert_eq!(r.recall_limit, 2);
        assert_eq!(r.priority.elder_age, 70);
        assert_eq!(r.appointments.slot_minutes, 30);
        assert!(r.lines.len() >= 6 && r.lines.len() <= 8);
        assert_eq!(r.line("social_insurance").map(|l| l.prefix), Some('A'));
        assert_eq!(r.line_for("ybj", "ybj-newborn-insurance").map(|l| l.code.as_str()), Some("social_insurance"));
        assert_eq!(r.line_for("sw", "sw-deed-tax").map(|l| l.code.as_str()), Some("real_estate"));
        assert_eq!(r.line_for("sw", "sw-invoice").map(|l| l.code.as_str()), Some("tax"));
        assert_eq!(r.line_for("nobody", "nobody-x").map(|l| l.code.as_str()), Some("general"));
    }

    #[test]
    fn the_departments_are_the_catalogs() {
        let catalog = include_str!("../../../catalog/departments.toml");
        let r = HallRules::embedded().unwrap();
        for l in &r.lines {
            for d in &l.departments {
                assert!(catalog.contains(&format!("code = \"{d}\"")), "department {d} of line {} is not in the catalog", l.code);
            }
            for i in &l.items {
                let dept = i.split('-').next().unwrap_or("");
                let items = std::fs::read_to_string(format!("{}/../../catalog/items/{dept}.toml", env!("CARGO_MANIFEST_DIR"))).unwrap();
                assert!(items.contains(&format!("code = \"{i}\"")), "item {i} of line {} is not in the catalog", l.code);
            }
        }
    }

    #[test]
    fn priority_takes_the_highest_rank() {
        let r = HallRules::embedded().unwrap();
        let none = PersonFacts { age: Some(40), disabled: false };
        assert_eq!(r.priority.priority(&none, false), Priority { rank: 0, reasons: vec![] });
        let elder = PersonFacts { age: Some(70), disabled: false };
        assert_eq!(r.priority.priority(&elder, false).rank, 2);
        assert_eq!(r.priority.priority(&elder, false).reasons, ["70周岁以上老年人"]);
        let p = r.priority.priority(&PersonFacts { age: Some(80), disabled: true }, true);
        assert_eq!(p.rank, 3);
        assert_eq!(p.reasons.len(), 3);
        assert_eq!(p.reasons[0], "预约准时签到");
        assert_eq!(r.priority.priority(&PersonFacts { age: None, disabled: true }, false).rank, 2);
    }

    #[test]
    fn errors_name_line_column_and_field() {
        let bad = EMBEDDED.replace("prefix = \"B\"", "prefix = \"A\"");
        let e = HallRules::parse(&bad, "rules.toml");
        assert!(matches!(&e, Err(HallError::Rules { field, line, column, .. }) if field == "line[1].prefix" && *line > 0 && *column > 0), "{e:?}");
        let bad = EMBEDDED.replace("prefix = \"B\"", "prefix = \"b\"");
        assert!(matches!(HallRules::parse(&bad, "rules.toml"), Err(HallError::Rules { field, .. }) if field == "line[1].prefix"));
        let bad = EMBEDDED.replace("slot_minutes = 30", "slot_minutes = 7");
        assert!(matches!(HallRules::parse(&bad, "rules.toml"), Err(HallError::Rules { field, .. }) if field == "appointments.slot_minutes"));
        let bad = EMBEDDED.replace("service_minutes = 8.0", "service_minutes = -1.0");
        assert!(matches!(HallRules::parse(&bad, "rules.toml"), Err(HallError::Rules { field, .. }) if field == "line[0].service_minutes"));
        let bad = EMBEDDED.replace("kind = \"elder\"", "kind = \"appointment\"");
        assert!(matches!(HallRules::parse(&bad, "rules.toml"), Err(HallError::Rules { field, .. }) if field == "priority.class[2].kind"));
        let bad = EMBEDDED.replace("kind = \"elder\"", "kind = \"rich\"");
        assert!(matches!(HallRules::parse(&bad, "rules.toml"), Err(HallError::Rules { field, line, .. }) if field == "toml" && line > 0));
        let bad = EMBEDDED.replace("departments = [\"gjj\"]", "departments = [\"rsj\"]");
        assert!(matches!(HallRules::parse(&bad, "rules.toml"), Err(HallError::Rules { field, .. }) if field == "line[6].departments[0]"));
        let bad = EMBEDDED.replace("recall_limit = 2", "recall_limit = 99");
        assert!(matches!(HallRules::parse(&bad, "rules.toml"), Err(HallError::Rules { field, .. }) if field == "recall_limit"));
        assert!(matches!(HallRules::parse("x = 1", "rules.toml"), Err(HallError::Rules { .. })));
    }
}
