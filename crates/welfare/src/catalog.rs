//! The benefit catalog: parameters, benefits with their eligibility and amount rules, the
//! discovery weights and the relief directory, read from TOML files with every error reported
//! with its file, line, column and field.

use std::collections::BTreeMap;
use std::collections::BTreeSet;
use std::fmt;
use std::ops::Range;
use std::path::Path;

use serde::Deserialize;
use serde::Serialize;
use toml::Spanned;

use crate::directory::Hours;
use crate::directory::Provider;
use crate::directory::ProviderKind;
use crate::directory::ReliefService;
use crate::discovery::DiscoveryRules;
use crate::discovery::SIGNALS;
use crate::discovery::SignalWeight;
use crate::expr::ExprError;
use crate::expr::Rule;
use crate::facts::FactId;
use crate::facts::Type;

/// A parameter of the rules (`[params.NAME]`): an integer with its labels and where it comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ParamValue {
    /// The value (fen, percent or count, as the label says).
    pub value: i64,
    /// Chinese label.
    pub label_zh: String,
    /// English label.
    pub label_en: String,
    /// The document or decision it comes from.
    pub source: String,
}

/// One band of a banded amount: `from..=to` of the band fact pays `fen`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Band {
    /// The lowest value of the fact in the band.
    pub from: i64,
    /// The highest value (inclusive); `None` = and above.
    pub to: Option<i64>,
    /// The monthly amount in fen.
    pub fen: i64,
}

/// How much a benefit pays per month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Amount {
    /// The same amount for everyone, in fen.
    Fixed(i64),
    /// By bands of an integer fact (age, disability grade, household size).
    Bands {
        /// The fact, e.g. `age`.
        fact: String,
        /// The bands, in order, not overlapping.
        bands: Vec<Band>,
    },
    /// An integer expression in fen; ≤ 0 means not entitled.
    Formula(Rule),
}

/// A benefit paid without applying.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Benefit {
    /// Stable code, e.g. `old_age_allowance`.
    pub code: String,
    /// Chinese name.
    pub name: String,
    /// English name.
    pub name_en: String,
    /// Catalog department code, e.g. `mzj`.
    pub department: String,
    /// The policy document it rests on.
    pub legal_basis: String,
    /// Who is entitled (a boolean rule).
    pub eligibility: Rule,
    /// How much per month.
    pub amount: Amount,
    /// How many earlier months a run may pay when eligibility is found late (0 = none).
    pub arrears_months: u32,
    /// The notice when it opens, in Chinese.
    pub notice_zh: String,
    /// The notice when it opens, in English.
    pub notice_en: String,
}

/// The whole catalog.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Catalog {
    /// Parameters by name.
    pub params: BTreeMap<String, ParamValue>,
    /// Benefits in file order.
    pub benefits: Vec<Benefit>,
    /// Proactive discovery: weights and threshold.
    pub discovery: DiscoveryRules,
    /// Relief services of government and social forces.
    pub directory: Vec<ReliefService>,
}

/// An error in a catalog file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CatalogError {
    /// The file name.
    pub file: String,
    /// 1-based line (0 when unknown).
    pub line: usize,
    /// 1-based column in characters (0 when unknown).
    pub column: usize,
    /// The field at fault, e.g. `benefit[1].eligibility`.
    pub field: String,
    /// What is wrong, in Chinese.
    pub message_zh: String,
    /// What is wrong, in English.
    pub message_en: String,
}

impl fmt::Display for CatalogError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}: {}: {}", self.file, self.line, self.column, self.field, self.message_en)
    }
}

impl std::error::Error for CatalogError {}

type S<T> = Spanned<T>;
type Str = Option<S<String>>;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    params: Option<BTreeMap<String, S<RawParam>>>,
    benefit: Option<Vec<S<RawBenefit>>>,
    threshold: Option<S<i64>>,
    signal: Option<Vec<S<RawSignal>>>,
    service: Option<Vec<S<RawService>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawParam {
    value: Option<S<i64>>,
    label_zh: Str,
    label_en: Str,
    source: Str,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBenefit {
    code: Str,
    name: Str,
    name_en: Str,
    department: Str,
    legal_basis: Str,
    eligibility: Str,
    amount: Option<S<RawAmount>>,
    arrears_months: Option<S<i64>>,
    notice_zh: Str,
    notice_en: Str,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAmount {
    fixed: Option<S<i64>>,
    formula: Str,
    bands_on: Str,
    bands: Option<Vec<S<RawBand>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBand {
    from: Option<S<i64>>,
    to: Option<S<i64>>,
    fen: Option<S<i64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSignal {
    code: Str,
    weight: Option<S<i64>>,
    label_zh: Str,
    label_en: Str,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawService {
    id: Str,
    name: Str,
    category: Str,
    provider: Option<S<RawProvider>>,
    description: Str,
    eligibility: Str,
    address: Str,
    town: Str,
    latitude: Option<S<f64>>,
    longitude: Option<S<f64>>,
    phone: Str,
    hours: Option<S<RawHours>>,
    signals: Option<S<Vec<S<String>>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProvider {
    name: Str,
    kind: Str,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHours {
    days: Option<S<Vec<S<String>>>>,
    opens: Str,
    closes: Str,
}

/// One file being checked: turns spans into lines and columns and collects errors.
struct Ctx<'a> {
    file: &'a str,
    text: &'a str,
    lines: domain::LineIndex<'a>,
}

impl<'a> Ctx<'a> {
    fn new(file: &'a str, text: &'a str) -> Ctx<'a> {
        Ctx { file, text, lines: domain::LineIndex::new(text) }
    }

    fn position(&self, offset: usize) -> (usize, usize) {
        self.lines.position(offset)
    }

    fn error(&self, span: &Range<usize>, field: &str, zh: impl Into<String>, en: impl Into<String>) -> CatalogError {
        let (line, column) = self.position(span.start);
        CatalogError {
            file: self.file.to_owned(),
            line,
            column,
            field: field.to_owned(),
            message_zh: zh.into(),
            message_en: en.into(),
        }
    }
}

struct Checker<'a> {
    ctx: Ctx<'a>,
    errors: &'a mut Vec<CatalogError>,
}

impl Checker<'_> {
    fn err(&mut self, span: &Range<usize>, field: &str, zh: impl Into<String>, en: impl Into<String>) {
        let e = self.ctx.error(span, field, zh, en);
        self.errors.push(e);
    }

    fn missing(&mut self, at: &Range<usize>, field: &str) {
        self.err(at, field, format!("缺少「{field}」"), format!("missing field {field}"));
    }

    /// A required, non-empty text.
    fn text(&mut self, v: &Str, at: &Range<usize>, field: &str) -> String {
        match v {
            None => {
                self.missing(at, field);
                String::new()
            }
            Some(s) if s.get_ref().trim().is_empty() => {
                self.err(&s.span(), field, format!("「{field}」不能为空"), format!("{field} is empty"));
                String::new()
            }
            Some(s) => s.get_ref().clone(),
        }
    }

    fn rule(&mut self, v: &Str, at: &Range<usize>, field: &str, params: &BTreeMap<String, i64>, ty: Type) -> Option<Rule> {
        let text = self.text(v, at, field);
        let s = v.as_ref()?;
        if text.is_empty() {
            return None;
        }
        match Rule::parse(&text, params, ty) {
            Ok(r) => Some(r),
            Err(ExprError { column, message_zh, message_en }) => {
                let (line, col) = self.ctx.position(s.span().start);
                self.errors.push(CatalogError {
                    file: self.ctx.file.to_owned(),
                    line,
                    column: col + column,
                    field: field.to_owned(),
                    message_zh: format!("规则第 {column} 个字符处：{message_zh}"),
                    message_en: format!("rule column {column}: {message_en}"),
                });
                None
            }
        }
    }
}

impl Catalog {
    /// Reads and checks the catalog files (name, text); any file may hold any of the sections
    /// (`[params.*]`, `[[benefit]]`, `threshold` and `[[signal]]`, `[[service]]`). Returns every
    /// error found, not the first.
    pub fn parse(files: &[(&str, &str)]) -> Result<Catalog, Vec<CatalogError>> {
        let mut errors = Vec::new();
        let mut raws = Vec::new();
        for (name, text) in files {
            let ctx = Ctx::new(name, text);
            match toml::from_str::<RawFile>(text) {
                Ok(raw) => raws.push((ctx, raw)),
                Err(e) => {
                    let span = e.span().unwrap_or(0..0);
                    let msg = e.message().to_owned();
                    errors.push(ctx.error(&span, "toml", format!("TOML 格式错误：{msg}"), msg));
                }
            }
        }
        // Parameters first: rules in any file may use them.
        let mut params = BTreeMap::new();
        let mut values = BTreeMap::new();
        for (ctx, raw) in &raws {
            let mut c = Checker { ctx: Ctx::new(ctx.file, ctx.text), errors: &mut errors };
            for (name, p) in raw.params.iter().flatten() {
                let at = p.span();
                let field = format!("params.{name}");
                let r = p.get_ref();
                let label_zh = c.text(&r.label_zh, &at, &format!("{field}.label_zh"));
                let label_en = c.text(&r.label_en, &at, &format!("{field}.label_en"));
                let source = c.text(&r.source, &at, &format!("{field}.source"));
                if FactId::from_name(name).is_some() || matches!(name.as_str(), "true" | "false" | "in") {
                    c.err(&at, &field, format!("参数名「{name}」与事实项或关键字重名"), format!("parameter {name} has the name of a fact or keyword"));
                    continue;
                }
                let Some(value) = &r.value else {
                    c.missing(&at, &format!("{field}.value"));
                    continue;
                };
                if params.contains_key(name) {
                    c.err(&at, &field, format!("参数「{name}」重复定义"), format!("parameter {name} is defined twice"));
                    continue;
                }
                values.insert(name.clone(), *value.get_ref());
                params.insert(name.clone(), ParamValue { value: *value.get_ref(), label_zh, label_en, source });
            }
        }
        let mut benefits: Vec<Benefit> = Vec::new();
        let mut codes = BTreeSet::new();
        let mut threshold: Option<u32> = None;
        let mut signals: Vec<SignalWeight> = Vec::new();
        let mut directory: Vec<ReliefService> = Vec::new();
        for (ctx, raw) in &raws {
            let mut c = Checker { ctx: Ctx::new(ctx.file, ctx.text), errors: &mut errors };
            for (i, b) in raw.benefit.iter().flatten().enumerate() {
                if let Some(code) = b.get_ref().code.as_ref().filter(|c| !c.get_ref().trim().is_empty()) {
                    let code = code.get_ref().clone();
                    if !codes.insert(code.clone()) {
                        let at = b_code_span(raw, i);
                        c.err(&at, &format!("benefit[{i}].code"), format!("待遇编码「{code}」重复"), format!("duplicate benefit code {code}"));
                        continue;
                    }
                }
                if let Some(b) = check_benefit(&mut c, b, i, &values) {
                    benefits.push(b);
                }
            }
            if let Some(t) = &raw.threshold {
                match u32::try_from(*t.get_ref()) {
                    Ok(v) if threshold.is_none() => threshold = Some(v),
                    Ok(_) => c.err(&t.span(), "threshold", "预警阈值重复定义", "threshold is defined twice"),
                    Err(_) => c.err(&t.span(), "threshold", "预警阈值不能为负数", "threshold is negative"),
                }
            }
            for (i, s) in raw.signal.iter().flatten().enumerate() {
                let at = s.span();
                let field = format!("signal[{i}]");
                let r = s.get_ref();
                let code = c.text(&r.code, &at, &format!("{field}.code"));
                let label_zh = c.text(&r.label_zh, &at, &format!("{field}.label_zh"));
                let label_en = c.text(&r.label_en, &at, &format!("{field}.label_en"));
                let weight = match &r.weight {
                    None => {
                        c.missing(&at, &format!("{field}.weight"));
                        None
                    }
                    Some(w) => match u32::try_from(*w.get_ref()) {
                        Ok(v) => Some(v),
                        Err(_) => {
                            c.err(&w.span(), &format!("{field}.weight"), "权重不能为负数", "the weight is negative");
                            None
                        }
                    },
                };
                if !code.is_empty() && !SIGNALS.contains(&code.as_str()) {
                    let at = r.code.as_ref().map_or(at.clone(), |s| s.span());
                    c.err(&at, &format!("{field}.code"), format!("未知的预警信号「{code}」，可用：{}", SIGNALS.join("、")), format!("unknown signal {code}; known: {}", SIGNALS.join(", ")));
                    continue;
                }
                if signals.iter().any(|s| s.code == code) {
                    c.err(&at, &format!("{field}.code"), format!("预警信号「{code}」重复"), format!("signal {code} is defined twice"));
                    continue;
                }
                if let (Some(weight), false) = (weight, code.is_empty()) {
                    signals.push(SignalWeight { code, weight, label_zh, label_en });
                }
            }
            if raw.signal.is_some() && raw.threshold.is_none() && threshold.is_none() && !raws.iter().any(|(_, r)| r.threshold.is_some()) {
                c.err(&(0..0), "threshold", "缺少预警阈值 threshold", "missing field threshold");
            }
            if raw.signal.is_some() {
                for p in ["dibao_standard", "low_edge_factor_pct", "large_medical_fen"] {
                    if !values.contains_key(p) {
                        c.err(&(0..0), "params", format!("主动发现需要参数「{p}」"), format!("discovery needs the parameter {p}"));
                    }
                }
            }
            for (i, s) in raw.service.iter().flatten().enumerate() {
                if let Some(s) = check_service(&mut c, s, i) {
                    if directory.iter().any(|d| d.id == s.id) {
                        let at = raw.service.as_ref().and_then(|v| v.get(i)).map_or(0..0, |s| s.span());
                        c.err(&at, &format!("service[{i}].id"), format!("服务编号「{}」重复", s.id), format!("duplicate service id {}", s.id));
                    } else {
                        directory.push(s);
                    }
                }
            }
        }
        if errors.is_empty() {
            Ok(Catalog { params, benefits, discovery: DiscoveryRules { threshold: threshold.unwrap_or(0), signals }, directory })
        } else {
            Err(errors)
        }
    }

    /// Reads every `*.toml` of `dir` (in name order) and parses them together.
    pub fn load_dir(dir: &Path) -> Result<Catalog, Vec<CatalogError>> {
        let io = |file: String, e: std::io::Error| CatalogError {
            file,
            line: 0,
            column: 0,
            field: "file".to_owned(),
            message_zh: format!("无法读取：{e}"),
            message_en: format!("cannot read: {e}"),
        };
        let entries = std::fs::read_dir(dir).map_err(|e| vec![io(dir.display().to_string(), e)])?;
        let mut paths: Vec<_> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "toml"))
            .collect();
        paths.sort();
        let mut texts = Vec::new();
        let mut errors = Vec::new();
        for p in &paths {
            let name = p.file_name().map_or_else(|| p.display().to_string(), |n| n.to_string_lossy().into_owned());
            match std::fs::read_to_string(p) {
                Ok(t) => texts.push((name, t)),
                Err(e) => errors.push(io(name, e)),
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let files: Vec<(&str, &str)> = texts.iter().map(|(n, t)| (n.as_str(), t.as_str())).collect();
        Catalog::parse(&files)
    }

    /// The district's shipped catalog (`data/welfare/*.toml`, embedded).
    ///
    /// # Panics
    /// Only if the shipped data is bad (a test checks it loads).
    #[allow(clippy::panic)]
    pub fn demo() -> Catalog {
        match Catalog::parse(&DEMO_FILES) {
            Ok(c) => c,
            Err(errors) => {
                let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
                panic!("the shipped welfare catalog is bad:\n{}", text.join("\n"))
            }
        }
    }

    /// The benefit with this code.
    pub fn benefit(&self, code: &str) -> Option<&Benefit> {
        self.benefits.iter().find(|b| b.code == code)
    }

    /// A parameter's value.
    pub fn param(&self, name: &str) -> Option<i64> {
        self.params.get(name).map(|p| p.value)
    }
}

/// The shipped data files, embedded.
pub const DEMO_FILES: [(&str, &str); 3] = [
    ("benefits.toml", include_str!("../../../data/welfare/benefits.toml")),
    ("discovery.toml", include_str!("../../../data/welfare/discovery.toml")),
    ("directory.toml", include_str!("../../../data/welfare/directory.toml")),
];

fn b_code_span(raw: &RawFile, i: usize) -> Range<usize> {
    raw.benefit
        .as_ref()
        .and_then(|v| v.get(i))
        .map_or(0..0, |b| b.get_ref().code.as_ref().map_or(b.span(), |c| c.span()))
}

fn check_benefit(c: &mut Checker<'_>, b: &S<RawBenefit>, i: usize, params: &BTreeMap<String, i64>) -> Option<Benefit> {
    let at = b.span();
    let r = b.get_ref();
    let f = |name: &str| format!("benefit[{i}].{name}");
    let before = c.errors.len();
    let code = c.text(&r.code, &at, &f("code"));
    let name = c.text(&r.name, &at, &f("name"));
    let name_en = c.text(&r.name_en, &at, &f("name_en"));
    let department = c.text(&r.department, &at, &f("department"));
    let legal_basis = c.text(&r.legal_basis, &at, &f("legal_basis"));
    let notice_zh = c.text(&r.notice_zh, &at, &f("notice_zh"));
    let notice_en = c.text(&r.notice_en, &at, &f("notice_en"));
    let eligibility = c.rule(&r.eligibility, &at, &f("eligibility"), params, Type::Bool);
    let arrears_months = match &r.arrears_months {
        None => 0,
        Some(a) => match u32::try_from(*a.get_ref()) {
            Ok(v) if v <= 12 => v,
            _ => {
                c.err(&a.span(), &f("arrears_months"), "补发月数应为 0～12", "arrears_months must be 0–12");
                0
            }
        },
    };
    let amount = match &r.amount {
        None => {
            c.missing(&at, &f("amount"));
            None
        }
        Some(a) => check_amount(c, a, &f("amount"), params),
    };
    if c.errors.len() > before {
        return None;
    }
    Some(Benefit {
        code,
        name,
        name_en,
        department,
        legal_basis,
        eligibility: eligibility?,
        amount: amount?,
        arrears_months,
        notice_zh,
        notice_en,
    })
}

fn check_amount(c: &mut Checker<'_>, a: &S<RawAmount>, field: &str, params: &BTreeMap<String, i64>) -> Option<Amount> {
    let at = a.span();
    let r = a.get_ref();
    let given = usize::from(r.fixed.is_some()) + usize::from(r.formula.is_some()) + usize::from(r.bands.is_some() || r.bands_on.is_some());
    if given != 1 {
        c.err(&at, field, "金额须且只能是 fixed、formula、bands_on+bands 之一", "the amount must be exactly one of fixed, formula or bands_on with bands");
        return None;
    }
    if let Some(fixed) = &r.fixed {
        let v = *fixed.get_ref();
        if v < 0 {
            c.err(&fixed.span(), &format!("{field}.fixed"), "固定金额不能为负数", "a fixed amount cannot be negative");
            return None;
        }
        return Some(Amount::Fixed(v));
    }
    if r.formula.is_some() {
        return c.rule(&r.formula, &at, &format!("{field}.formula"), params, Type::Int).map(Amount::Formula);
    }
    let before = c.errors.len();
    let fact = c.text(&r.bands_on, &at, &format!("{field}.bands_on"));
    if let Some(on) = &r.bands_on
        && !fact.is_empty()
        && FactId::from_name(&fact).is_none_or(|f| f.info().ty != Type::Int)
    {
        c.err(&on.span(), &format!("{field}.bands_on"), format!("分档依据「{fact}」不是整数事实项"), format!("bands_on {fact} is not an integer fact"));
    }
    let Some(raw_bands) = &r.bands else {
        c.missing(&at, &format!("{field}.bands"));
        return None;
    };
    if raw_bands.is_empty() {
        c.err(&at, &format!("{field}.bands"), "分档不能为空", "bands is empty");
    }
    let mut bands = Vec::new();
    let mut prev: Option<Band> = None;
    for (i, b) in raw_bands.iter().enumerate() {
        let bf = format!("{field}.bands[{i}]");
        let r = b.get_ref();
        let (Some(from), Some(fen)) = (&r.from, &r.fen) else {
            if r.from.is_none() {
                c.missing(&b.span(), &format!("{bf}.from"));
            }
            if r.fen.is_none() {
                c.missing(&b.span(), &format!("{bf}.fen"));
            }
            continue;
        };
        let band = Band { from: *from.get_ref(), to: r.to.as_ref().map(|t| *t.get_ref()), fen: *fen.get_ref() };
        if band.fen < 0 {
            c.err(&fen.span(), &format!("{bf}.fen"), "分档金额不能为负数", "a band's amount cannot be negative");
        }
        if band.to.is_some_and(|t| t < band.from) {
            c.err(&b.span(), &bf, format!("分档下限 {} 大于上限 {}", band.from, band.to.unwrap_or_default()), format!("from {} is greater than to {}", band.from, band.to.unwrap_or_default()));
        }
        if let Some(p) = &prev {
            match p.to {
                Some(t) if t < band.from => {}
                _ => c.err(
                    &b.span(),
                    &bf,
                    format!("分档与前一档重叠或次序颠倒（前一档 {}..={}）", p.from, p.to.map_or_else(|| "∞".to_owned(), |t| t.to_string())),
                    format!("the band overlaps the previous one or is out of order (previous {}..={})", p.from, p.to.map_or_else(|| "∞".to_owned(), |t| t.to_string())),
                ),
            }
        }
        prev = Some(band.clone());
        bands.push(band);
    }
    (c.errors.len() == before).then_some(Amount::Bands { fact, bands })
}

fn check_service(c: &mut Checker<'_>, s: &S<RawService>, i: usize) -> Option<ReliefService> {
    let at = s.span();
    let r = s.get_ref();
    let f = |name: &str| format!("service[{i}].{name}");
    let before = c.errors.len();
    let id = c.text(&r.id, &at, &f("id"));
    let name = c.text(&r.name, &at, &f("name"));
    let category = c.text(&r.category, &at, &f("category"));
    let description = c.text(&r.description, &at, &f("description"));
    let eligibility = c.text(&r.eligibility, &at, &f("eligibility"));
    let address = c.text(&r.address, &at, &f("address"));
    let town = c.text(&r.town, &at, &f("town"));
    let phone = c.text(&r.phone, &at, &f("phone"));
    if let Some(t) = &r.town
        && !town.is_empty()
        && !((town.len() == 9 || town.len() == 12) && town.bytes().all(|b| b.is_ascii_digit()))
    {
        c.err(&t.span(), &f("town"), "乡镇（街道）代码应为 9 位或 12 位数字", "town must be a 9- or 12-digit division code");
    }
    let mut coord = |v: &Option<S<f64>>, name: &str, lo: f64, hi: f64| -> f64 {
        match v {
            None => {
                c.missing(&at, &f(name));
                0.0
            }
            Some(x) if !(lo..=hi).contains(x.get_ref()) => {
                c.err(&x.span(), &f(name), format!("坐标超出范围 {lo}～{hi}"), format!("{name} is out of range {lo}–{hi}"));
                0.0
            }
            Some(x) => *x.get_ref(),
        }
    };
    let latitude = coord(&r.latitude, "latitude", -90.0, 90.0);
    let longitude = coord(&r.longitude, "longitude", -180.0, 180.0);
    let provider = match &r.provider {
        None => {
            c.missing(&at, &f("provider"));
            None
        }
        Some(p) => {
            let pn = c.text(&p.get_ref().name, &p.span(), &f("provider.name"));
            let kind = c.text(&p.get_ref().kind, &p.span(), &f("provider.kind"));
            let kind = match kind.as_str() {
                "government" => Some(ProviderKind::Government),
                "social" => Some(ProviderKind::Social),
                "" => None,
                other => {
                    c.err(&p.span(), &f("provider.kind"), format!("提供方类型「{other}」应为 government 或 social"), format!("provider kind {other} must be government or social"));
                    None
                }
            };
            kind.map(|kind| Provider { name: pn, kind })
        }
    };
    let hours = match &r.hours {
        None => {
            c.missing(&at, &f("hours"));
            None
        }
        Some(h) => {
            let hr = h.get_ref();
            let opens = c.text(&hr.opens, &h.span(), &f("hours.opens"));
            let closes = c.text(&hr.closes, &h.span(), &f("hours.closes"));
            let mut days = Vec::new();
            match &hr.days {
                None => c.missing(&h.span(), &f("hours.days")),
                Some(list) => {
                    for d in list.get_ref() {
                        if ["MO", "TU", "WE", "TH", "FR", "SA", "SU"].contains(&d.get_ref().as_str()) {
                            days.push(d.get_ref().clone());
                        } else {
                            c.err(&d.span(), &f("hours.days"), format!("「{}」不是星期代码（MO…SU）", d.get_ref()), format!("{} is not a day code (MO…SU)", d.get_ref()));
                        }
                    }
                }
            }
            let ok = |t: &str| t.len() == 5 && chrono::NaiveTime::parse_from_str(t, "%H:%M").is_ok();
            if !opens.is_empty() && !closes.is_empty() {
                if !ok(&opens) || !ok(&closes) {
                    c.err(&h.span(), &f("hours"), "时间应为 HH:MM", "times must be HH:MM");
                } else if opens >= closes {
                    c.err(&h.span(), &f("hours"), "开门时间应早于关门时间", "opens must be before closes");
                }
            }
            Some(Hours { days, opens, closes })
        }
    };
    let mut signals = Vec::new();
    for sig in r.signals.iter().flat_map(|l| l.get_ref()) {
        if SIGNALS.contains(&sig.get_ref().as_str()) {
            signals.push(sig.get_ref().clone());
        } else {
            c.err(&sig.span(), &f("signals"), format!("未知的预警信号「{}」", sig.get_ref()), format!("unknown signal {}", sig.get_ref()));
        }
    }
    if c.errors.len() > before {
        return None;
    }
    Some(ReliefService {
        id,
        name,
        category,
        provider: provider?,
        description,
        eligibility,
        address,
        town,
        latitude,
        longitude,
        phone,
        hours: hours?,
        signals,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const PARAMS: &str = "[params.std]\nvalue = 100\nlabel_zh = \"标准\"\nlabel_en = \"standard\"\nsource = \"s\"\n";

    fn benefit(code: &str, eligibility: &str, amount: &str) -> String {
        format!(
            "\n[[benefit]]\ncode = \"{code}\"\nname = \"n\"\nname_en = \"n\"\ndepartment = \"mzj\"\nlegal_basis = \"l\"\neligibility = \"{eligibility}\"\namount = {amount}\nnotice_zh = \"z\"\nnotice_en = \"e\"\n"
        )
    }

    fn errors(text: &str) -> Vec<CatalogError> {
        Catalog::parse(&[("b.toml", text)]).expect_err("errors")
    }

    #[test]
    fn the_shipped_catalog_loads() {
        let c = Catalog::demo();
        let codes: Vec<&str> = c.benefits.iter().map(|b| b.code.as_str()).collect();
        assert_eq!(codes, ["old_age_allowance", "centenarian_allowance", "dibao", "tekun", "disability_living", "disability_care", "rent_subsidy"]);
        assert_eq!(c.param("dibao_standard"), Some(123_600));
        assert_eq!(c.param("low_edge_factor_pct"), Some(150));
        assert!(c.param("large_medical_fen").is_some());
        assert_eq!(c.discovery.signals.len(), crate::discovery::SIGNALS.len());
        assert!(c.benefit("tekun").is_some() && c.benefit("nope").is_none());
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/welfare");
        assert_eq!(Catalog::load_dir(&dir).expect("loads"), c);
        assert!(Catalog::load_dir(Path::new("/no/such/dir")).is_err());
        assert_eq!(
            c.benefit("old_age_allowance").map(|b| &b.amount),
            Some(&Amount::Bands { fact: "age".into(), bands: vec![Band { from: 80, to: Some(89), fen: 6000 }, Band { from: 90, to: Some(99), fen: 6000 }] })
        );
    }

    #[test]
    fn toml_syntax_errors_have_a_position() {
        let e = errors("[params.std]\nvalue = = 1\n");
        assert_eq!(e.len(), 1);
        assert_eq!((e[0].file.as_str(), e[0].line, e[0].field.as_str()), ("b.toml", 2, "toml"));
        assert!(e[0].to_string().starts_with("b.toml:2:"), "{}", e[0]);
        let e = errors("[[benefit]]\ncolour = \"red\"\n");
        assert_eq!(e[0].line, 2);
    }

    #[test]
    fn every_error_is_reported_with_line_and_field() {
        let mut text = PARAMS.to_owned();
        text.push_str(&benefit("a", "age >= 80 && salary > 1", "{ fixed = 1 }")); // unknown name
        text.push_str(&benefit("a", "alive", "{ fixed = 1 }")); // duplicate code
        text.push_str(&benefit("c", "age + 1", "{ fixed = 1 }")); // not boolean
        text.push_str(&benefit("d", "alive", "{ formula = \"age > 1\" }")); // formula not integer
        text.push_str(&benefit("e", "alive", "{ fixed = -5 }")); // negative
        text.push_str(&benefit("f", "alive", "{ bands_on = \"age\", bands = [{ from = 1, to = 5, fen = 1 }, { from = 5, to = 9, fen = 1 }] }")); // overlap
        text.push_str(&benefit("g", "alive", "{ bands_on = \"age\", bands = [{ from = 9, to = 5, fen = 1 }] }")); // from > to
        text.push_str(&benefit("h", "alive", "{ bands_on = \"age\", bands = [{ from = 1, fen = -1 }] }")); // negative fen
        text.push_str(&benefit("i", "alive", "{ bands_on = \"salary\", bands = [{ from = 1, fen = 1 }] }")); // unknown fact
        text.push_str(&benefit("j", "alive", "{ bands_on = \"age\", bands = [{ from = 10, fen = 1 }, { from = 1, to = 2, fen = 1 }] }")); // out of order
        text.push_str("\n[[benefit]]\ncode = \"k\"\nname = \"\"\n"); // missing and empty
        let e = errors(&text);
        let fields: Vec<String> = e.iter().map(|e| e.field.clone()).collect();
        let has = |f: &str, en: &str| e.iter().any(|x| x.field == f && x.message_en.contains(en));
        assert!(has("benefit[0].eligibility", "`salary`"), "{fields:?}");
        assert!(has("benefit[1].code", "duplicate benefit code a"), "{fields:?}");
        assert!(has("benefit[2].eligibility", "must be a boolean"), "{fields:?}");
        assert!(has("benefit[3].amount.formula", "must be an integer"), "{fields:?}");
        assert!(has("benefit[4].amount.fixed", "negative"), "{fields:?}");
        assert!(has("benefit[5].amount.bands[1]", "overlaps"), "{fields:?}");
        assert!(has("benefit[6].amount.bands[0]", "greater than"), "{fields:?}");
        assert!(has("benefit[7].amount.bands[0].fen", "negative"), "{fields:?}");
        assert!(has("benefit[8].amount.bands_on", "salary"), "{fields:?}");
        assert!(has("benefit[9].amount.bands[1]", "out of order"), "{fields:?}");
        assert!(has("benefit[10].name", "empty"), "{fields:?}");
        assert!(has("benefit[10].department", "missing"), "{fields:?}");
        assert!(has("benefit[10].eligibility", "missing"), "{fields:?}");
        assert!(has("benefit[10].amount", "missing"), "{fields:?}");
        // positions: the unknown name is on the first benefit's eligibility line, at its column
        let unknown = e.iter().find(|x| x.field == "benefit[0].eligibility").expect("error");
        let line = text.lines().position(|l| l.contains("salary > 1")).expect("line") + 1;
        assert_eq!(unknown.line, line);
        let col = text.lines().nth(line - 1).expect("line").find("salary").expect("col") + 1;
        assert_eq!(unknown.column, col);
        assert!(e.iter().all(|x| x.line > 0 && !x.message_zh.is_empty()));
    }

    #[test]
    fn discovery_and_directory_errors() {
        let text = "threshold = 10\n[[signal]]\ncode = \"gambling\"\nweight = 1\nlabel_zh = \"x\"\nlabel_en = \"x\"\n\n[[service]]\nid = \"s\"\nname = \"n\"\ncategory = \"c\"\nprovider = { name = \"p\", kind = \"church\" }\ndescription = \"d\"\neligibility = \"e\"\naddress = \"a\"\ntown = \"3301\"\nlatitude = 95.0\nlongitude = 119.9\nphone = \"1\"\nhours = { days = [\"XX\"], opens = \"17:00\", closes = \"08:00\" }\nsignals = [\"nope\"]\n";
        let e = errors(text);
        let has = |f: &str| e.iter().any(|x| x.field == f);
        for f in ["signal[0].code", "params", "service[0].provider.kind", "service[0].town", "service[0].latitude", "service[0].hours.days", "service[0].hours", "service[0].signals"] {
            assert!(has(f), "{f}: {e:?}");
        }
    }
}
