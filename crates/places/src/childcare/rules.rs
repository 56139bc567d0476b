//! The childcare rules as data (`data/places/childcare.toml`): the norm of places per 1,000
//! residents with its source, the three age classes with their ages, class sizes and carer ratios
//! from the national standard, the priority criteria the system knows and their default order.

use std::collections::BTreeSet;
use std::ops::Range;

use chrono::Datelike;
use chrono::NaiveDate;
use serde::Deserialize;
use serde::Serialize;
use toml::Spanned;

use super::error::ChildcareError;

/// The shipped rules.
pub const EMBEDDED: &str = include_str!("../../../../data/places/childcare.toml");

/// An age class (班型).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgeClass {
    /// 乳儿班, 6–12 months.
    Infant,
    /// 托小班, 12–24 months.
    YoungToddler,
    /// 托大班, 24–36 months.
    OlderToddler,
}

impl AgeClass {
    /// Every class, youngest first.
    pub const ALL: [AgeClass; 3] = [AgeClass::Infant, AgeClass::YoungToddler, AgeClass::OlderToddler];

    /// The stable code.
    pub fn code(self) -> &'static str {
        match self {
            AgeClass::Infant => "infant",
            AgeClass::YoungToddler => "young_toddler",
            AgeClass::OlderToddler => "older_toddler",
        }
    }

    /// The class of a code.
    pub fn parse(code: &str) -> Option<AgeClass> {
        AgeClass::ALL.into_iter().find(|c| c.code() == code)
    }

    /// 0, 1, 2, youngest first.
    pub fn index(self) -> usize {
        self as usize
    }
}

/// A priority criterion an institution may rank applicants by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Criterion {
    /// A sibling is enrolled at the institution (yes first).
    Sibling,
    /// A hardship household (yes first).
    Hardship,
    /// A parent works for the employer that runs the institution (yes first; employer-run only).
    Workplace,
    /// Walking time from home in minutes (shorter first).
    Walking,
}

impl Criterion {
    /// Every criterion.
    pub const ALL: [Criterion; 4] = [Criterion::Sibling, Criterion::Hardship, Criterion::Workplace, Criterion::Walking];

    /// The stable code.
    pub fn code(self) -> &'static str {
        match self {
            Criterion::Sibling => "sibling",
            Criterion::Hardship => "hardship",
            Criterion::Workplace => "workplace",
            Criterion::Walking => "walking",
        }
    }

    /// The criterion of a code.
    pub fn parse(code: &str) -> Option<Criterion> {
        Criterion::ALL.into_iter().find(|c| c.code() == code)
    }
}

/// The norm of places per 1,000 residents and where the district stands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Norm {
    /// Places per 1,000 residents the plan asks for.
    pub places_per_1000: f64,
    /// By which year.
    pub by_year: i32,
    /// The source, in Chinese.
    pub source_zh: String,
    /// The source, in English.
    pub source_en: String,
    /// What the district has reached.
    pub reached_per_1000: f64,
    /// Where that figure comes from, in Chinese.
    pub reached_source_zh: String,
    /// Where that figure comes from, in English.
    pub reached_source_en: String,
}

/// An age class's rules from the national standard.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClassRule {
    /// The class.
    pub class: AgeClass,
    /// Chinese name (乳儿班).
    pub name_zh: String,
    /// English name.
    pub name_en: String,
    /// Youngest age taken, in completed months (inclusive).
    pub min_months: u32,
    /// Age from which the child belongs to the next class, in completed months (exclusive).
    pub max_months: u32,
    /// The largest group (班) allowed.
    pub max_class_size: u32,
    /// Children per carer at most (1:3 is 3).
    pub children_per_carer: u32,
}

/// A priority criterion's labels.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CriterionRule {
    /// The criterion.
    pub criterion: Criterion,
    /// Chinese label.
    pub label_zh: String,
    /// English label.
    pub label_en: String,
    /// Only employer-run institutions may use it.
    pub employer_run_only: bool,
}

/// The childcare rules.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChildcareRules {
    /// The norm of places per 1,000 residents.
    pub norm: Norm,
    /// The standard's citation, in Chinese.
    pub standard_source_zh: String,
    /// The standard's citation, in English.
    pub standard_source_en: String,
    /// The age classes, youngest first (one per [`AgeClass`], in the order of [`AgeClass::ALL`]).
    pub classes: Vec<ClassRule>,
    /// The priority criteria known, in file order.
    pub criteria: Vec<CriterionRule>,
    /// The order used by an institution that publishes none.
    pub default_order: Vec<Criterion>,
    /// The tie-break's label, in Chinese.
    pub tie_break_zh: String,
    /// The tie-break's label, in English.
    pub tie_break_en: String,
}

impl ChildcareRules {
    /// The shipped rules (`data/places/childcare.toml`; a test checks that they parse).
    pub fn embedded() -> Result<ChildcareRules, ChildcareError> {
        ChildcareRules::parse("childcare.toml", EMBEDDED)
    }

    /// Reads a rules file (its name, for errors, and its text); the first error found, with its
    /// line, column and field.
    pub fn parse(name: &str, text: &str) -> Result<ChildcareRules, ChildcareError> {
        let ctx = Ctx { file: name, lines: domain::LineIndex::new(text) };
        let raw: RawFile = toml::from_str(text).map_err(|e| {
            let span = e.span().unwrap_or(0..0);
            let msg = e.message().trim().to_owned();
            ctx.error(&span, "toml", format!("TOML 格式错误：{msg}"), msg)
        })?;
        let n = &raw.norm;
        let per = *n.places_per_1000.get_ref();
        if !(per.is_finite() && per > 0.0 && per <= 100.0) {
            return Err(ctx.error(&n.places_per_1000.span(), "norm.places_per_1000", "应为大于 0、不超过 100 的数", "must be a number above 0 and at most 100"));
        }
        let reached = *n.reached_per_1000.get_ref();
        if !(reached.is_finite() && (0.0..=100.0).contains(&reached)) {
            return Err(ctx.error(&n.reached_per_1000.span(), "norm.reached_per_1000", "应为 0～100 的数", "must be a number from 0 to 100"));
        }
        if !(2000..=2100).contains(n.by_year.get_ref()) {
            return Err(ctx.error(&n.by_year.span(), "norm.by_year", "年份应在 2000～2100 之间", "must be a year from 2000 to 2100"));
        }
        for (f, v) in [("norm.source_zh", &n.source_zh), ("norm.source_en", &n.source_en), ("standard.source_zh", &raw.standard.source_zh), ("standard.source_en", &raw.standard.source_en)] {
            if v.get_ref().trim().is_empty() {
                return Err(ctx.error(&v.span(), f, "出处不能为空", "the source must not be empty"));
            }
        }
        if raw.class.len() != AgeClass::ALL.len() {
            return Err(ctx.error(&(0..0), "class", "应恰有乳儿班、托小班、托大班三个班型", "there must be exactly three classes: infant, young_toddler, older_toddler"));
        }
        let mut classes = Vec::new();
        for (i, (c, want)) in raw.class.into_iter().zip(AgeClass::ALL).enumerate() {
            let field = |f: &str| format!("class[{i}].{f}");
            if AgeClass::parse(c.code.get_ref()) != Some(want) {
                return Err(ctx.error(&c.code.span(), &field("code"), format!("第 {} 个班型应为「{}」", i + 1, want.code()), format!("class {} must be {:?}", i + 1, want.code())));
            }
            let (min, max) = (*c.min_months.get_ref(), *c.max_months.get_ref());
            if max <= min || max > 36 {
                return Err(ctx.error(&c.max_months.span(), &field("max_months"), "月龄上限应大于下限且不超过 36", "must be above min_months and at most 36"));
            }
            if let Some(prev) = classes.last().map(|p: &ClassRule| p.max_months)
                && prev != min
            {
                return Err(ctx.error(&c.min_months.span(), &field("min_months"), format!("应接上一班型的上限 {prev}"), format!("must continue from the previous class's max_months {prev}")));
            }
            for (f, v) in [("max_class_size", &c.max_class_size), ("children_per_carer", &c.children_per_carer)] {
                if !(1..=100).contains(v.get_ref()) {
                    return Err(ctx.error(&v.span(), &field(f), "应为 1～100", "must be 1–100"));
                }
            }
            classes.push(ClassRule {
                class: want,
                name_zh: c.name_zh,
                name_en: c.name_en,
                min_months: min,
                max_months: max,
                max_class_size: *c.max_class_size.get_ref(),
                children_per_carer: *c.children_per_carer.get_ref(),
            });
        }
        let mut criteria = Vec::new();
        let mut seen = BTreeSet::new();
        for (i, c) in raw.criterion.into_iter().enumerate() {
            let code = c.code.get_ref();
            let criterion = Criterion::parse(code).ok_or_else(|| {
                ctx.error(&c.code.span(), &format!("criterion[{i}].code"), format!("系统不认识优先条件「{code}」"), format!("{code:?} is not a criterion the system knows (sibling, hardship, workplace, walking)"))
            })?;
            if !seen.insert(criterion) {
                return Err(ctx.error(&c.code.span(), &format!("criterion[{i}].code"), "优先条件重复", "the criterion is given twice"));
            }
            if c.label_zh.trim().is_empty() || c.label_en.trim().is_empty() {
                return Err(ctx.error(&c.code.span(), &format!("criterion[{i}].label_zh"), "中英文名称不能为空", "both labels are needed"));
            }
            criteria.push(CriterionRule { criterion, label_zh: c.label_zh, label_en: c.label_en, employer_run_only: c.employer_run_only });
        }
        let mut default_order = Vec::new();
        for code in raw.default_order.get_ref() {
            let c = Criterion::parse(code).filter(|c| seen.contains(c)).ok_or_else(|| {
                ctx.error(&raw.default_order.span(), "default_order", format!("没有优先条件「{code}」"), format!("no criterion {code:?} in [[criterion]]"))
            })?;
            if default_order.contains(&c) {
                return Err(ctx.error(&raw.default_order.span(), "default_order", format!("「{code}」重复"), format!("{code:?} is given twice")));
            }
            default_order.push(c);
        }
        Ok(ChildcareRules {
            norm: Norm {
                places_per_1000: per,
                by_year: *n.by_year.get_ref(),
                source_zh: n.source_zh.get_ref().clone(),
                source_en: n.source_en.get_ref().clone(),
                reached_per_1000: reached,
                reached_source_zh: n.reached_source_zh.clone(),
                reached_source_en: n.reached_source_en.clone(),
            },
            standard_source_zh: raw.standard.source_zh.into_inner(),
            standard_source_en: raw.standard.source_en.into_inner(),
            classes,
            criteria,
            default_order,
            tie_break_zh: raw.tie_break.label_zh,
            tie_break_en: raw.tie_break.label_en,
        })
    }

    /// The rules of `class` (rules read by [`ChildcareRules::parse`] have every class; a copy
    /// built or deserialised by hand might not).
    pub fn class(&self, class: AgeClass) -> Option<&ClassRule> {
        self.classes.iter().find(|c| c.class == class)
    }

    /// The labels of `criterion`, if the rules know it.
    pub fn criterion(&self, criterion: Criterion) -> Option<&CriterionRule> {
        self.criteria.iter().find(|c| c.criterion == criterion)
    }

    /// The youngest age taken and the age from which no class takes a child, in months.
    pub fn age_range(&self) -> (u32, u32) {
        (self.classes.first().map_or(0, |c| c.min_months), self.classes.last().map_or(0, |c| c.max_months))
    }

    /// The class of a child born on `birth` starting on `start`, or why there is none.
    pub fn class_on(&self, birth: NaiveDate, start: NaiveDate) -> Result<AgeClass, ChildcareError> {
        let months = months_between(birth, start);
        let (min, max) = self.age_range();
        self.classes
            .iter()
            .find(|c| months >= i64::from(c.min_months) && months < i64::from(c.max_months))
            .map(|c| c.class)
            .ok_or(ChildcareError::ChildAgeOutOfRange { months, min, max })
    }

    /// The order an institution uses when it publishes none: the default order, without the
    /// criteria it may not use.
    pub fn default_for(&self, employer_run: bool) -> Vec<Criterion> {
        self.default_order.iter().copied().filter(|c| employer_run || !self.criterion(*c).is_some_and(|r| r.employer_run_only)).collect()
    }
}

/// Completed months from `birth` to `on` (negative when `on` is before `birth`): a child born on
/// 31 January is one month old on the last day of February.
pub fn months_between(birth: NaiveDate, on: NaiveDate) -> i64 {
    if on < birth {
        return -months_between(on, birth) - 1;
    }
    let mut m = i64::from(on.year() - birth.year()) * 12 + i64::from(on.month()) - i64::from(birth.month());
    let last_of_month = on.succ_opt().is_none_or(|d| d.month() != on.month());
    if on.day() < birth.day() && !last_of_month {
        m -= 1;
    }
    m
}

struct Ctx<'a> {
    file: &'a str,
    lines: domain::LineIndex<'a>,
}

impl Ctx<'_> {
    fn error(&self, span: &Range<usize>, field: &str, zh: impl Into<String>, en: impl Into<String>) -> ChildcareError {
        let (line, column) = if span.is_empty() && span.start == 0 { (0, 0) } else { self.lines.position(span.start) };
        ChildcareError::Rules { file: self.file.to_owned(), line, column, field: field.to_owned(), message_zh: zh.into(), message_en: en.into() }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    norm: RawNorm,
    standard: RawStandard,
    #[serde(default)]
    class: Vec<RawClass>,
    #[serde(default)]
    criterion: Vec<RawCriterion>,
    default_order: Spanned<Vec<String>>,
    tie_break: RawTieBreak,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNorm {
    places_per_1000: Spanned<f64>,
    by_year: Spanned<i32>,
    source_zh: Spanned<String>,
    source_en: Spanned<String>,
    reached_per_1000: Spanned<f64>,
    reached_source_zh: String,
    reached_source_en: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStandard {
    source_zh: Spanned<String>,
    source_en: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawClass {
    code: Spanned<String>,
    name_zh: String,
    name_en: String,
    min_months: Spanned<u32>,
    max_months: Spanned<u32>,
    max_class_size: Spanned<u32>,
    children_per_carer: Spanned<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCriterion {
    code: Spanned<String>,
    label_zh: String,
    label_en: String,
    #[serde(default)]
    employer_run_only: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTieBreak {
    label_zh: String,
    label_en: String,
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn the_shipped_rules_parse_and_say_what_the_standard_says() {
        let r = ChildcareRules::embedded().unwrap();
        assert_eq!(r.norm.places_per_1000, 4.5);
        assert_eq!(r.norm.by_year, 2025);
        assert_eq!(r.norm.reached_per_1000, 3.23);
        assert!(r.standard_source_zh.contains("国卫人口发〔2019〕58号"));
        let sizes: Vec<_> = r.classes.iter().map(|c| (c.min_months, c.max_months, c.max_class_size, c.children_per_carer)).collect();
        assert_eq!(sizes, [(6, 12, 10, 3), (12, 24, 15, 5), (24, 36, 20, 7)]);
        assert_eq!(r.default_order, [Criterion::Sibling, Criterion::Hardship, Criterion::Workplace, Criterion::Walking]);
        assert_eq!(r.default_for(false), [Criterion::Sibling, Criterion::Hardship, Criterion::Walking]);
        assert!(r.criterion(Criterion::Workplace).unwrap().employer_run_only);
        assert_eq!(r.class(AgeClass::YoungToddler).unwrap().name_zh, "托小班");
    }

    #[test]
    fn the_class_follows_from_birth_and_start_dates() {
        let r = ChildcareRules::embedded().unwrap();
        let birth = d(2025, 1, 31);
        assert_eq!(months_between(birth, d(2025, 2, 28)), 1);
        assert_eq!(months_between(birth, d(2025, 7, 30)), 5);
        assert_eq!(months_between(d(2025, 3, 10), d(2025, 3, 9)), -1);
        assert!(matches!(r.class_on(birth, d(2025, 7, 30)), Err(ChildcareError::ChildAgeOutOfRange { months: 5, min: 6, max: 36 })));
        assert_eq!(r.class_on(birth, d(2025, 7, 31)).unwrap(), AgeClass::Infant);
        assert_eq!(r.class_on(birth, d(2026, 1, 31)).unwrap(), AgeClass::YoungToddler);
        assert_eq!(r.class_on(birth, d(2027, 1, 30)).unwrap(), AgeClass::YoungToddler);
        assert_eq!(r.class_on(birth, d(2027, 1, 31)).unwrap(), AgeClass::OlderToddler);
        assert!(r.class_on(birth, d(2028, 1, 31)).is_err());
    }

    #[test]
    fn errors_in_the_file_name_line_column_and_field() {
        let bad = EMBEDDED.replace("max_class_size = 15", "max_class_size = 0");
        let e = ChildcareRules::parse("childcare.toml", &bad).unwrap_err();
        let ChildcareError::Rules { field, line, column, .. } = &e else { panic!("{e:?}") };
        assert_eq!(field, "class[1].max_class_size");
        let want = bad.lines().position(|l| l == "max_class_size = 0").unwrap() + 1;
        assert_eq!((*line, *column), (want, 18));

        let bad = EMBEDDED.replace("default_order = [\"sibling\"", "default_order = [\"lottery\"");
        assert_eq!(ChildcareRules::parse("c.toml", &bad).unwrap_err().field().as_deref(), Some("default_order"));
        let bad = EMBEDDED.replace("code = \"walking\"", "code = \"distance\"");
        assert_eq!(ChildcareRules::parse("c.toml", &bad).unwrap_err().field().as_deref(), Some("criterion[3].code"));
        let bad = EMBEDDED.replace("min_months = 12", "min_months = 11");
        assert_eq!(ChildcareRules::parse("c.toml", &bad).unwrap_err().field().as_deref(), Some("class[1].min_months"));
        let bad = EMBEDDED.replace("places_per_1000 = 4.5", "places_per_1000 = -1.0");
        assert_eq!(ChildcareRules::parse("c.toml", &bad).unwrap_err().field().as_deref(), Some("norm.places_per_1000"));
        let e = ChildcareRules::parse("c.toml", "norm = 1").unwrap_err();
        assert_eq!(e.field().as_deref(), Some("toml"));
    }
}
