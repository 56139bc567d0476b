//! Routing rules as data (`data/governance/routing.toml`): issue categories (the Open311 services,
//! with their attributes), the party or parties of an estate that take each, per-estate exceptions,
//! the district department an issue reaches when escalated, and the hours each level has.

use std::collections::BTreeMap;
use std::collections::BTreeSet;
use std::ops::Range;

use serde::Deserialize;
use serde::Serialize;
use toml::Spanned;

use crate::error::GovernanceError;
use crate::estate::EstateId;
use crate::estate::PartyKind;

/// The shipped routing rules.
pub const EMBEDDED: &str = include_str!("../../../data/governance/routing.toml");

/// The levels an issue climbs (一呼联动).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// The estate's parties.
    Estate,
    /// The community (社区).
    Community,
    /// The street or town (街道/乡镇).
    Street,
    /// A district department.
    District,
}

impl Level {
    /// Every level, bottom up.
    pub const ALL: [Level; 4] = [Level::Estate, Level::Community, Level::Street, Level::District];

    /// The stable code.
    pub fn code(self) -> &'static str {
        match self {
            Level::Estate => "estate",
            Level::Community => "community",
            Level::Street => "street",
            Level::District => "district",
        }
    }

    /// The level above, if any.
    pub fn up(self) -> Option<Level> {
        match self {
            Level::Estate => Some(Level::Community),
            Level::Community => Some(Level::Street),
            Level::Street => Some(Level::District),
            Level::District => None,
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// The type of an Open311 attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Datatype {
    /// A line of text.
    String,
    /// A number.
    Number,
    /// An ISO 8601 time.
    Datetime,
    /// Longer text.
    Text,
}

impl Datatype {
    /// The Open311 name.
    pub fn code(self) -> &'static str {
        match self {
            Datatype::String => "string",
            Datatype::Number => "number",
            Datatype::Datetime => "datetime",
            Datatype::Text => "text",
        }
    }
}

/// An attribute a category asks for (an Open311 service definition's attribute).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Attribute {
    /// The code.
    pub code: String,
    /// Its type.
    pub datatype: Datatype,
    /// Whether a request must give it.
    pub required: bool,
    /// What to ask, in Chinese.
    pub description: String,
}

/// An issue category: an Open311 service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Category {
    /// The service code.
    pub code: String,
    /// Chinese name.
    pub name_zh: String,
    /// English name.
    pub name_en: String,
    /// The group it is listed under.
    pub group: String,
    /// Search words.
    pub keywords: Vec<String>,
    /// The parties that take it by default (more than one: joint deliberation).
    pub parties: Vec<PartyKind>,
    /// The district department it reaches when escalated to the district.
    pub department: String,
    /// Handled by joint mediation (a dispute between residents).
    pub dispute: bool,
    /// Matched against night-construction permits.
    pub permit: bool,
    /// Its attributes.
    pub attributes: Vec<Attribute>,
}

impl Category {
    /// Checks a request's attributes against this category's: no unknown code, every value of its
    /// type (a number, an RFC 3339 time, text of at most 2,000 characters), every required one
    /// given. Returns the values trimmed, empty ones left out.
    pub fn check_attributes(&self, given: &BTreeMap<String, String>) -> Result<BTreeMap<String, String>, GovernanceError> {
        let mut out = BTreeMap::new();
        for (k, v) in given {
            let field = || format!("attribute[{}]", k.chars().take(64).collect::<String>());
            let a = self.attributes.iter().find(|a| &a.code == k).ok_or_else(|| GovernanceError::invalid(field(), "该类别没有这个属性", "no such attribute for this service"))?;
            let v = v.trim();
            if v.is_empty() {
                continue;
            }
            let ok = match a.datatype {
                Datatype::Number => v.parse::<f64>().is_ok_and(f64::is_finite),
                Datatype::Datetime => chrono::DateTime::parse_from_rfc3339(v).is_ok(),
                Datatype::String | Datatype::Text => v.chars().count() <= 2000 && !v.chars().any(|c| c.is_control() && c != '\n'),
            };
            if !ok {
                return Err(GovernanceError::invalid(field(), format!("应为 {}", a.datatype.code()), format!("must be a {}", a.datatype.code())));
            }
            out.insert(k.clone(), v.to_owned());
        }
        for a in &self.attributes {
            if a.required && !out.contains_key(&a.code) {
                return Err(GovernanceError::MissingAttribute { code: a.code.clone() });
            }
        }
        Ok(out)
    }
}

/// Where an issue of a category in an estate goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Route {
    /// The parties responsible at the estate level (in the order of [`PartyKind::ALL`]).
    pub parties: Vec<PartyKind>,
    /// Whether they must deliberate jointly first (more than one party).
    pub joint: bool,
    /// The district department for escalation.
    pub department: String,
    /// Whether it is a dispute (joint mediation).
    pub dispute: bool,
}

/// The routing rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Routing {
    /// Hours each level has, bottom up.
    pub deadline_hours: [u32; 4],
    /// Hours a resolved issue waits for the reporter before it counts as confirmed.
    pub confirm_hours: u32,
    /// Department code → name.
    pub departments: BTreeMap<String, String>,
    /// The categories, in file order.
    pub categories: Vec<Category>,
    /// Per-estate exceptions: (estate, category) → parties.
    pub exceptions: BTreeMap<(EstateId, String), Vec<PartyKind>>,
}

impl Routing {
    /// The shipped rules (`data/governance/routing.toml`; a test checks that they parse).
    pub fn embedded() -> Result<Routing, GovernanceError> {
        Routing::parse("routing.toml", EMBEDDED)
    }

    /// Reads a routing file (its name, for errors, and its text); the first error found, with its
    /// line, column and field.
    pub fn parse(name: &str, text: &str) -> Result<Routing, GovernanceError> {
        let ctx = Ctx { file: name, lines: domain::LineIndex::new(text) };
        let raw: RawFile = toml::from_str(text).map_err(|e| {
            let span = e.span().unwrap_or(0..0);
            let msg = e.message().trim().to_owned();
            ctx.error(&span, "toml", format!("TOML 格式错误：{msg}"), msg)
        })?;
        let mut deadline_hours = [0u32; 4];
        for (i, (field, v)) in
            [("estate", &raw.deadlines.estate), ("community", &raw.deadlines.community), ("street", &raw.deadlines.street), ("district", &raw.deadlines.district)]
                .into_iter()
                .enumerate()
        {
            let h = *v.get_ref();
            if !(1..=24 * 90).contains(&h) {
                return Err(ctx.error(&v.span(), &format!("deadlines.{field}"), format!("应为 1～2160 小时，而不是 {h}"), format!("must be 1–2160 hours, not {h}")));
            }
            deadline_hours[i] = h as u32;
        }
        let confirm = *raw.deadlines.confirm.get_ref();
        if !(1..=24 * 90).contains(&confirm) {
            return Err(ctx.error(&raw.deadlines.confirm.span(), "deadlines.confirm", format!("应为 1～2160 小时，而不是 {confirm}"), format!("must be 1–2160 hours, not {confirm}")));
        }
        let mut categories: Vec<Category> = Vec::new();
        let mut seen = BTreeSet::new();
        for (i, c) in raw.category.into_iter().enumerate() {
            let code = c.code.get_ref().clone();
            let field = |f: &str| format!("category[{i}].{f}");
            if code.is_empty() || code.len() > 64 || !code.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_') {
                return Err(ctx.error(&c.code.span(), &field("code"), "代码须为 1～64 个小写字母、数字或下划线", "must be 1–64 lowercase letters, digits or underscores"));
            }
            if !seen.insert(code.clone()) {
                return Err(ctx.error(&c.code.span(), &field("code"), format!("类别「{code}」重复"), format!("category {code:?} is given twice")));
            }
            let parties = ctx.parties(&c.parties, &field("parties"))?;
            if !raw.departments.contains_key(c.department.get_ref()) {
                let d = c.department.get_ref();
                return Err(ctx.error(&c.department.span(), &field("department"), format!("没有部门「{d}」"), format!("no department {d:?} in [departments]")));
            }
            let mut attributes = Vec::new();
            let mut codes = BTreeSet::new();
            for (j, a) in c.attribute.into_iter().enumerate() {
                if a.code.get_ref().is_empty() || !codes.insert(a.code.get_ref().clone()) {
                    return Err(ctx.error(&a.code.span(), &format!("category[{i}].attribute[{j}].code"), "属性代码为空或重复", "empty or repeated attribute code"));
                }
                attributes.push(Attribute { code: a.code.into_inner(), datatype: a.datatype, required: a.required, description: a.description });
            }
            categories.push(Category {
                code,
                name_zh: c.name_zh,
                name_en: c.name_en,
                group: c.group,
                keywords: c.keywords,
                parties,
                department: c.department.into_inner(),
                dispute: c.dispute,
                permit: c.permit,
                attributes,
            });
        }
        if categories.is_empty() {
            return Err(ctx.error(&(0..0), "category", "至少要有一个类别", "at least one category is needed"));
        }
        let mut exceptions = BTreeMap::new();
        for (i, r) in raw.rule.into_iter().enumerate() {
            if !seen.contains(r.category.get_ref()) {
                let c = r.category.get_ref();
                return Err(ctx.error(&r.category.span(), &format!("rule[{i}].category"), format!("没有类别「{c}」"), format!("no category {c:?}")));
            }
            let parties = ctx.parties(&r.parties, &format!("rule[{i}].parties"))?;
            let key = (EstateId(r.estate), r.category.into_inner());
            if exceptions.insert(key, parties).is_some() {
                return Err(ctx.error(&(0..0), &format!("rule[{i}]"), "同一小区同一类别的规则重复", "a rule for this estate and category is given twice"));
            }
        }
        Ok(Routing { deadline_hours, confirm_hours: confirm as u32, departments: raw.departments, categories, exceptions })
    }

    /// The category `code`.
    pub fn category(&self, code: &str) -> Result<&Category, GovernanceError> {
        self.categories.iter().find(|c| c.code == code).ok_or_else(|| GovernanceError::UnknownService { code: code.chars().take(64).collect() })
    }

    /// Where an issue of `category` in `estate` goes.
    pub fn route(&self, category: &str, estate: EstateId) -> Result<Route, GovernanceError> {
        let c = self.category(category)?;
        let parties = self.exceptions.get(&(estate, category.to_owned())).unwrap_or(&c.parties).clone();
        Ok(Route { joint: parties.len() > 1, parties, department: c.department.clone(), dispute: c.dispute })
    }

    /// Hours `level` has.
    pub fn hours(&self, level: Level) -> u32 {
        self.deadline_hours[level.index()]
    }

    /// The department's name (its code when unknown).
    pub fn department_name<'a>(&'a self, code: &'a str) -> &'a str {
        self.departments.get(code).map(String::as_str).unwrap_or(code)
    }
}

struct Ctx<'a> {
    file: &'a str,
    lines: domain::LineIndex<'a>,
}

impl Ctx<'_> {
    fn error(&self, span: &Range<usize>, field: &str, zh: impl Into<String>, en: impl Into<String>) -> GovernanceError {
        let (line, column) = if span.is_empty() && span.start == 0 { (0, 0) } else { self.lines.position(span.start) };
        GovernanceError::Rules { file: self.file.to_owned(), line, column, field: field.to_owned(), message_zh: zh.into(), message_en: en.into() }
    }

    fn parties(&self, v: &Spanned<Vec<String>>, field: &str) -> Result<Vec<PartyKind>, GovernanceError> {
        let mut out = BTreeSet::new();
        for p in v.get_ref() {
            let k = PartyKind::parse(p)
                .ok_or_else(|| self.error(&v.span(), field, format!("没有「{p}」这一方"), format!("{p:?} is not a party (party_branch, committee, property_company, community_worker)")))?;
            if !out.insert(k) {
                return Err(self.error(&v.span(), field, format!("「{p}」重复"), format!("{p:?} is given twice")));
            }
        }
        if out.is_empty() {
            return Err(self.error(&v.span(), field, "至少要有一方负责", "at least one party is needed"));
        }
        Ok(out.into_iter().collect())
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    deadlines: RawDeadlines,
    departments: BTreeMap<String, String>,
    #[serde(default)]
    category: Vec<RawCategory>,
    #[serde(default)]
    rule: Vec<RawRule>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDeadlines {
    estate: Spanned<i64>,
    community: Spanned<i64>,
    street: Spanned<i64>,
    district: Spanned<i64>,
    confirm: Spanned<i64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCategory {
    code: Spanned<String>,
    name_zh: String,
    name_en: String,
    group: String,
    #[serde(default)]
    keywords: Vec<String>,
    parties: Spanned<Vec<String>>,
    department: Spanned<String>,
    #[serde(default)]
    dispute: bool,
    #[serde(default)]
    permit: bool,
    #[serde(default)]
    attribute: Vec<RawAttribute>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAttribute {
    code: Spanned<String>,
    datatype: Datatype,
    required: bool,
    description: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    estate: u64,
    category: Spanned<String>,
    parties: Spanned<Vec<String>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_rules_parse_and_route() {
        let r = Routing::embedded().expect("shipped rules");
        assert_eq!(r.hours(Level::Estate), 72);
        let lamp = r.route("street_lamp", EstateId(1)).expect("lamp");
        assert_eq!(lamp.parties, vec![PartyKind::PropertyCompany]);
        assert!(!lamp.joint);
        let lamp3 = r.route("street_lamp", EstateId(3)).expect("lamp in 3");
        assert_eq!(lamp3.parties, vec![PartyKind::Committee, PartyKind::CommunityWorker]);
        assert!(lamp3.joint);
        assert!(r.route("neighbour_dispute", EstateId(1)).expect("dispute").dispute);
        assert!(r.category("night_construction_noise").expect("noise").permit);
        assert_eq!(r.department_name("sthj"), "区生态环境分局");
        assert!(matches!(r.route("ufo", EstateId(1)), Err(GovernanceError::UnknownService { .. })));
        assert_eq!(Level::District.up(), None);
        assert_eq!(Level::Estate.up(), Some(Level::Community));
    }

    #[test]
    fn broken_rules_name_line_and_field() {
        let base = EMBEDDED;
        let cases = [
            (base.replace("estate = 72", "estate = 0"), "deadlines.estate"),
            (base.replace("parties = [\"property_company\"]\ndepartment = \"zhzf\"\n\n[[category.attribute]]", "parties = [\"mayor\"]\ndepartment = \"zhzf\"\n\n[[category.attribute]]"), "category[0].parties"),
            (base.replace("department = \"zhzf\"\n\n[[category.attribute]]", "department = \"nowhere\"\n\n[[category.attribute]]"), "category[0].department"),
            (base.replace("code = \"sanitation\"", "code = \"street_lamp\""), "category[2].code"),
            (base.replace("category = \"street_lamp\"\nparties", "category = \"ufo\"\nparties"), "rule[0].category"),
            (base.replace("[deadlines]", "[deadline]"), "toml"),
            (base.replace("parties = [\"property_company\", \"committee\"]", "parties = []"), "category[1].parties"),
        ];
        for (text, field) in cases {
            assert_ne!(text, base, "{field}: the test's replacement must apply");
            match Routing::parse("routing.toml", &text) {
                Err(GovernanceError::Rules { field: f, line, .. }) => {
                    assert_eq!(f, field);
                    if field != "toml" {
                        assert!(line > 0, "{field} has a line");
                    }
                }
                other => panic!("{field}: {other:?}"),
            }
        }
    }
}
