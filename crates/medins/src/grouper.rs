//! The DRG grouper in the structure of CHS-DRG 1.1: the principal diagnosis picks the major
//! diagnostic category (MDC); an operating-room procedure picks a surgical ADRG of that MDC (or
//! the MDC's ambiguous group, 歧义组 `xQY`, when none fits), a non-OR procedure a non-OR ADRG,
//! otherwise the principal diagnosis picks a medical ADRG; the DRG within the ADRG is chosen by
//! age and by the most severe complication or comorbidity (MCC, CC, none) among the secondary
//! diagnoses, leaving out those of the principal's own family and those the CC list excludes
//! for it. Groups, weights and code lists are data (`data/medins/*.toml`), checked when loaded.

use std::collections::BTreeMap;
use std::collections::HashMap;
use std::collections::HashSet;
use std::sync::OnceLock;

use domain::Fen;
use serde::Deserialize;
use serde::Serialize;
use toml::Spanned;

use crate::data;
use crate::episode::Episode;
use crate::episode::MAX_AGE;
use crate::episode::Sex;
use crate::error::MedinsError;

/// The shipped grouper: a representative subset in the structure of CHS-DRG 1.1 with
/// illustrative weights (see the file's header).
pub const EMBEDDED_GROUPS: &str = include_str!("../../../data/medins/chs-drg.toml");
/// The shipped ICD-10 diagnosis code list (a subset, with Chinese names).
pub const EMBEDDED_ICD10: &str = include_str!("../../../data/medins/icd10.toml");
/// The shipped ICD-9-CM-3 procedure code list (a subset, with Chinese names and the OR flag).
pub const EMBEDDED_ICD9: &str = include_str!("../../../data/medins/icd9cm3.toml");

const GROUPS_FILE: &str = "chs-drg.toml";
const ICD10_FILE: &str = "icd10.toml";
const ICD9_FILE: &str = "icd9cm3.toml";

/// How severe a case's complications and comorbidities are (the split of an ADRG into DRGs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// 不伴并发症或合并症 (DRG digit 5).
    None,
    /// 伴一般并发症或合并症, CC (digit 3).
    Cc,
    /// 伴严重并发症或合并症, MCC (digit 1).
    Mcc,
}

impl Severity {
    /// The Chinese words CHS-DRG uses.
    pub fn name_zh(self) -> &'static str {
        match self {
            Severity::None => "不伴并发症或合并症",
            Severity::Cc => "伴一般并发症或合并症",
            Severity::Mcc => "伴严重并发症或合并症",
        }
    }
}

/// How an ADRG is reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AdrgKind {
    /// By an operating-room procedure (second letter A–J).
    Surgical,
    /// By a non-OR procedure (K–Q).
    NonOr,
    /// By the principal diagnosis (R–Z).
    Medical,
}

/// Why a case could not be put in a real DRG.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Ungroupable {
    /// The principal diagnosis belongs to no MDC of the grouper (未入组 0000).
    NoGroup,
    /// The principal diagnosis may only be a secondary one (an external cause, a status code).
    NotPrincipal,
    /// The MDC is for the other sex (e.g. a delivery of a male patient).
    SexConflict,
    /// An operating-room procedure fits no surgical ADRG of the principal diagnosis's MDC
    /// (歧义组 xQY).
    ProcedureOutsideMdc,
}

impl Ungroupable {
    /// The Chinese reason.
    pub fn name_zh(self) -> &'static str {
        match self {
            Ungroupable::NoGroup => "主要诊断不能入组",
            Ungroupable::NotPrincipal => "该编码不能作为主要诊断",
            Ungroupable::SexConflict => "性别与主要诊断所属MDC不符",
            Ungroupable::ProcedureOutsideMdc => "手术与主要诊断不属于同一MDC",
        }
    }
}

/// Where the grouper's content comes from, as its data file says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GrouperSource {
    /// `CHS-DRG 1.1`.
    pub scheme: String,
    /// The scheme's Chinese title.
    pub title_zh: String,
    /// When the scheme was published.
    pub published: String,
    /// What part of it this is.
    pub subset: String,
    /// Whether the weights are official.
    pub weights: String,
}

/// A major diagnostic category.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Mdc {
    /// `MDCB`.
    pub code: String,
    /// `神经系统疾病及功能障碍`.
    pub name_zh: String,
    /// The only sex whose cases may enter, if any.
    pub sex: Option<Sex>,
}

/// An adjacent DRG (ADRG).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Adrg {
    /// `BR2`.
    pub code: String,
    /// The MDC's code.
    pub mdc: String,
    /// How it is reached.
    pub kind: AdrgKind,
    /// `脑缺血性疾患`.
    pub name_zh: String,
    /// Principal-diagnosis prefixes (medical: membership; others: a restriction, empty for none).
    pub principal: Vec<String>,
    /// Procedure codes or prefixes (surgical and non-OR ADRGs).
    pub procedures: Vec<String>,
    /// Its DRGs' codes, in the order they are tried.
    pub drgs: Vec<String>,
}

/// A DRG with its weight, benchmark cost and average stay.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Drg {
    /// `BR21`, or `0000` / `BQY` for the ungroupable ones.
    pub code: String,
    /// `脑缺血性疾患，伴严重并发症或合并症`.
    pub name_zh: String,
    /// The ADRG's code (empty for ungroupable DRGs).
    pub adrg: String,
    /// The MDC's code (empty for `0000`).
    pub mdc: String,
    /// The relative weight (0 for ungroupable DRGs).
    pub weight: f64,
    /// The benchmark cost per case.
    pub benchmark_cost: Fen,
    /// The average length of stay in days.
    pub avg_los: f64,
    /// The least severity a case must have to enter.
    pub severity: Severity,
    /// The youngest age that enters (inclusive).
    pub age_min: u8,
    /// The oldest age that enters (inclusive).
    pub age_max: u8,
    /// Whether this is `0000` or an ambiguous `xQY` group.
    pub ungroupable: bool,
}

impl Drg {
    /// An ungroupable DRG (`0000`, or an MDC's ambiguous `xQY` when `mdc` is given): no weight,
    /// no cost, every age.
    fn ungroupable(code: String, name_zh: String, mdc: String) -> Drg {
        Drg {
            code,
            name_zh,
            adrg: String::new(),
            mdc,
            weight: 0.0,
            benchmark_cost: Fen::ZERO,
            avg_los: 0.0,
            severity: Severity::None,
            age_min: 0,
            age_max: MAX_AGE,
            ungroupable: true,
        }
    }
}

/// The grouper's decision for one episode.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Grouping {
    /// The MDC's code (empty when not grouped, `0000`).
    pub mdc: String,
    /// The ADRG's code (empty for `0000` and `xQY`).
    pub adrg: String,
    /// The DRG's code.
    pub drg: String,
    /// The DRG's Chinese name.
    pub name_zh: String,
    /// The DRG's relative weight.
    pub weight: f64,
    /// The DRG's benchmark cost.
    pub benchmark_cost: Fen,
    /// The DRG's average length of stay.
    pub avg_los: f64,
    /// The most severe complication or comorbidity that counted.
    pub severity: Severity,
    /// The secondary diagnosis that set the severity, if any.
    pub severity_from: Option<String>,
    /// Whether an operating-room procedure decided the ADRG.
    pub surgical: bool,
    /// Why the case is not in a real DRG, if it is not.
    pub ungroupable: Option<Ungroupable>,
}

/// What the grouper decided, by index (the settlement's fast path).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Grouped {
    pub drg: usize,
    pub severity: Severity,
    pub severity_from: Option<usize>,
    pub surgical: bool,
    pub ungroupable: Option<Ungroupable>,
}

#[derive(Debug, Clone)]
struct MdcDef {
    mdc: Mdc,
    qy: usize,
    surgical: Vec<usize>,
    non_or: Vec<usize>,
}

#[derive(Debug, Clone)]
struct AdrgDef {
    adrg: Adrg,
    drgs: Vec<usize>,
}

#[derive(Debug, Clone)]
struct CcDef {
    level: Severity,
    exclude: Vec<String>,
}

#[derive(Debug, Clone)]
struct Dx {
    name_zh: String,
    secondary_only: bool,
}

#[derive(Debug, Clone)]
struct Px {
    name_zh: String,
    or: bool,
}

/// The DRG grouper: code lists, MDCs, ADRGs, DRGs and the CC list, checked against each other.
#[derive(Debug, Clone)]
pub struct Grouper {
    source: GrouperSource,
    dx: HashMap<String, Dx>,
    px: HashMap<String, Px>,
    mdcs: Vec<MdcDef>,
    adrgs: Vec<AdrgDef>,
    drgs: Vec<Drg>,
    by_drg: HashMap<String, usize>,
    medical: HashMap<String, usize>,
    cc: HashMap<String, CcDef>,
    digest: String,
}

// ---- the files' shapes -----------------------------------------------------------------------

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CodeSource {
    #[allow(dead_code)]
    system: String,
    #[allow(dead_code)]
    edition: String,
    #[allow(dead_code)]
    note: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Icd10File {
    #[allow(dead_code)]
    source: CodeSource,
    codes: BTreeMap<String, String>,
    #[serde(default)]
    secondary_only: Option<SecondaryOnly>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SecondaryOnly {
    codes: Vec<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Icd9File {
    #[allow(dead_code)]
    source: CodeSource,
    codes: BTreeMap<String, ProcRaw>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProcRaw {
    name_zh: String,
    or: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct GroupsFile {
    source: GrouperSource,
    ungroupable: UngroupableRaw,
    mdc: Vec<Spanned<MdcRaw>>,
    adrg: Vec<Spanned<AdrgRaw>>,
    cc: CcFile,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct UngroupableRaw {
    code: String,
    name_zh: String,
    ambiguous_suffix: String,
    ambiguous_name_zh: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MdcRaw {
    code: String,
    name_zh: String,
    #[serde(default)]
    sex: Option<Sex>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AdrgRaw {
    code: String,
    mdc: String,
    kind: AdrgKind,
    name_zh: String,
    #[serde(default)]
    principal: Vec<Spanned<String>>,
    #[serde(default)]
    procedures: Vec<Spanned<String>>,
    drgs: Vec<Spanned<DrgRaw>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DrgRaw {
    code: String,
    severity: Severity,
    name_zh: String,
    weight: f64,
    cost_fen: i64,
    los: f64,
    #[serde(default)]
    age_min: Option<u8>,
    #[serde(default)]
    age_max: Option<u8>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CcFile {
    list: Vec<Spanned<CcRaw>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CcRaw {
    code: String,
    level: Severity,
    #[serde(default)]
    exclude: Vec<String>,
}

/// Looks `code` up in `map` by its longest prefix of at least `min` characters.
pub(crate) fn lookup_prefix<'m, V>(map: &'m HashMap<String, V>, code: &str, min: usize) -> Option<&'m V> {
    (min..=code.len()).rev().find_map(|n| code.get(..n).and_then(|p| map.get(p)))
}

/// The three-character category of an ICD-10 code (the disease family).
fn category(code: &str) -> &str {
    code.get(..3).unwrap_or(code)
}

fn is_icd10(code: &str) -> bool {
    let b = code.as_bytes();
    let head = b.len() >= 3 && b[0].is_ascii_uppercase() && b[1].is_ascii_digit() && (b[2].is_ascii_digit() || b[2].is_ascii_uppercase());
    let tail = match code.get(3..) {
        Some("") => true,
        Some(t) => t.len() >= 2 && t.len() <= 12 && t.starts_with('.') && t[1..].bytes().all(|c| c.is_ascii_alphanumeric()),
        None => false,
    };
    head && tail
}

fn is_icd9(code: &str) -> bool {
    let b = code.as_bytes();
    let head = b.len() >= 2 && b[0].is_ascii_digit() && b[1].is_ascii_digit();
    let tail = match code.get(2..) {
        Some("") => true,
        Some(t) => t.len() >= 2 && t.len() <= 6 && t.starts_with('.') && t[1..].bytes().all(|c| c.is_ascii_alphanumeric()),
        None => false,
    };
    head && tail
}

impl Grouper {
    /// The shipped grouper. Its data is checked by a unit test; should it ever fail to load,
    /// this gives an empty grouper that refuses every code, never a panic.
    pub fn embedded() -> Grouper {
        Grouper::shared().clone()
    }

    /// The shipped grouper, loaded once per process.
    pub fn shared() -> &'static Grouper {
        static SHARED: OnceLock<Grouper> = OnceLock::new();
        SHARED.get_or_init(|| Grouper::from_parts(EMBEDDED_GROUPS, EMBEDDED_ICD10, EMBEDDED_ICD9).unwrap_or_else(|_| Grouper::empty()))
    }

    /// A grouper from the caller's groups file (the shape of `data/medins/chs-drg.toml`) with the
    /// shipped code lists.
    pub fn from_toml(groups: &str) -> Result<Grouper, MedinsError> {
        Grouper::from_parts(groups, EMBEDDED_ICD10, EMBEDDED_ICD9)
    }

    /// A grouper from the caller's groups file and code lists (the shapes of
    /// `data/medins/chs-drg.toml`, `icd10.toml` and `icd9cm3.toml`). Every error names the file,
    /// the line and the field.
    pub fn from_parts(groups: &str, icd10: &str, icd9: &str) -> Result<Grouper, MedinsError> {
        let dx = load_icd10(icd10)?;
        let px = load_icd9(icd9)?;
        let f: GroupsFile = data::parse(GROUPS_FILE, groups)?;
        let err = |span: std::ops::Range<usize>, field: String, msg: String| MedinsError::data(GROUPS_FILE, Some(data::line_of(groups, span.start)), field, msg);

        let mut g = Grouper {
            source: f.source,
            dx,
            px,
            mdcs: Vec::new(),
            adrgs: Vec::new(),
            drgs: Vec::new(),
            by_drg: HashMap::new(),
            medical: HashMap::new(),
            cc: HashMap::new(),
            digest: data::digest_texts(&[groups, icd10, icd9]),
        };
        let u = &f.ungroupable;
        if u.code.trim().is_empty() || u.ambiguous_suffix.trim().is_empty() {
            return Err(MedinsError::data(GROUPS_FILE, data::line_of_text(groups, "[ungroupable]"), "ungroupable", "code and ambiguous_suffix must not be empty"));
        }
        g.push_drg(Drg::ungroupable(u.code.clone(), u.name_zh.clone(), String::new()));

        let mut mdc_index: HashMap<String, usize> = HashMap::new();
        for (i, m) in f.mdc.iter().enumerate() {
            let span = m.span();
            let m = m.get_ref();
            let field = format!("mdc[{i}]");
            if m.code.len() != 4 || !m.code.starts_with("MDC") || !m.code.as_bytes()[3].is_ascii_uppercase() {
                return Err(err(span, field, format!("MDC code {:?} is not MDC + one capital letter", m.code)));
            }
            if mdc_index.insert(m.code.clone(), g.mdcs.len()).is_some() {
                return Err(err(span, field, format!("MDC {} appears twice", m.code)));
            }
            let letter = &m.code[3..];
            let qy_code = format!("{letter}{}", u.ambiguous_suffix);
            let qy = g.drgs.len();
            g.push_drg(Drg::ungroupable(qy_code, format!("{}{}", m.name_zh, u.ambiguous_name_zh), m.code.clone()));
            g.mdcs.push(MdcDef { mdc: Mdc { code: m.code.clone(), name_zh: m.name_zh.clone(), sex: m.sex }, qy, surgical: Vec::new(), non_or: Vec::new() });
        }

        let mut adrg_codes: HashSet<String> = HashSet::new();
        for (ai, a) in f.adrg.iter().enumerate() {
            let span = a.span();
            let a = a.get_ref();
            let field = format!("adrg[{ai}]");
            let Some(&mi) = mdc_index.get(&a.mdc) else {
                return Err(err(span, format!("{field}.mdc"), format!("ADRG {} names MDC {} which is not defined", a.code, a.mdc)));
            };
            let letter = a.mdc.get(3..4).unwrap_or("");
            let b = a.code.as_bytes();
            if a.code.len() != 3 || !a.code.starts_with(letter) || !b[1].is_ascii_uppercase() || !b[2].is_ascii_digit() {
                return Err(err(span, format!("{field}.code"), format!("ADRG code {:?} is not its MDC's letter, a letter and a digit", a.code)));
            }
            let kind_by_letter = match b[1] {
                b'A'..=b'J' => AdrgKind::Surgical,
                b'K'..=b'Q' => AdrgKind::NonOr,
                _ => AdrgKind::Medical,
            };
            if kind_by_letter != a.kind {
                return Err(err(span, format!("{field}.kind"), format!("ADRG {}: its second letter says {kind_by_letter:?}, kind says {:?}", a.code, a.kind)));
            }
            if !adrg_codes.insert(a.code.clone()) {
                return Err(err(span, format!("{field}.code"), format!("ADRG {} appears twice", a.code)));
            }
            let adrg_i = g.adrgs.len();
            let mut principal = Vec::new();
            for (k, p) in a.principal.iter().enumerate() {
                let prefix = p.get_ref();
                let pf = format!("{field}.principal[{k}]");
                if prefix.len() < 3 || !g.dx.keys().any(|c| c.starts_with(prefix.as_str())) {
                    return Err(err(p.span(), pf, format!("{prefix:?} matches no ICD-10 code of the code list")));
                }
                if a.kind == AdrgKind::Medical {
                    if let Some(&other) = g.medical.get(prefix) {
                        let other = &g.adrgs[other].adrg.code;
                        return Err(err(p.span(), pf, format!("{prefix} already belongs to medical ADRG {other}")));
                    }
                    g.medical.insert(prefix.clone(), adrg_i);
                }
                principal.push(prefix.clone());
            }
            let mut procedures = Vec::new();
            for (k, p) in a.procedures.iter().enumerate() {
                let prefix = p.get_ref();
                let pf = format!("{field}.procedures[{k}]");
                let matching: Vec<&Px> = g.px.iter().filter(|(c, _)| c.starts_with(prefix.as_str())).map(|(_, v)| v).collect();
                if prefix.len() < 2 || matching.is_empty() {
                    return Err(err(p.span(), pf, format!("{prefix:?} matches no ICD-9-CM-3 code of the code list")));
                }
                if a.kind == AdrgKind::Surgical && matching.iter().any(|x| !x.or) {
                    return Err(err(p.span(), pf, format!("{prefix} matches a non-OR procedure but ADRG {} is surgical", a.code)));
                }
                procedures.push(prefix.clone());
            }
            match a.kind {
                AdrgKind::Medical if principal.is_empty() => {
                    return Err(err(span, format!("{field}.principal"), format!("medical ADRG {} needs principal diagnoses", a.code)));
                }
                AdrgKind::Surgical | AdrgKind::NonOr if procedures.is_empty() => {
                    return Err(err(span, format!("{field}.procedures"), format!("ADRG {} needs procedures", a.code)));
                }
                _ => {}
            }
            if a.drgs.is_empty() {
                return Err(err(span, format!("{field}.drgs"), format!("ADRG {} has no DRG", a.code)));
            }
            let mut drgs = Vec::new();
            for (k, d) in a.drgs.iter().enumerate() {
                let dspan = d.span();
                let d = d.get_ref();
                let df = format!("{field}.drgs[{k}]");
                if d.code.len() != 4 || !d.code.starts_with(a.code.as_str()) || !d.code.as_bytes()[3].is_ascii_digit() {
                    return Err(err(dspan, format!("{df}.code"), format!("DRG code {:?} is not its ADRG's code and a digit", d.code)));
                }
                if g.by_drg.contains_key(&d.code) {
                    return Err(err(dspan, format!("{df}.code"), format!("DRG {} appears twice", d.code)));
                }
                if !(d.weight.is_finite() && d.weight > 0.0 && d.weight < 1000.0) {
                    return Err(err(dspan, format!("{df}.weight"), format!("DRG {}: the weight must be above 0 and below 1000", d.code)));
                }
                if d.cost_fen <= 0 {
                    return Err(err(dspan, format!("{df}.cost_fen"), format!("DRG {}: the benchmark cost must be positive", d.code)));
                }
                if !(d.los.is_finite() && d.los > 0.0) {
                    return Err(err(dspan, format!("{df}.los"), format!("DRG {}: the average stay must be positive", d.code)));
                }
                let (age_min, age_max) = (d.age_min.unwrap_or(0), d.age_max.unwrap_or(MAX_AGE));
                if age_min > age_max || age_max > MAX_AGE {
                    return Err(err(dspan, format!("{df}.age_max"), format!("DRG {}: the age range {age_min}–{age_max} is empty or above {MAX_AGE}", d.code)));
                }
                drgs.push(g.drgs.len());
                g.push_drg(Drg {
                    code: d.code.clone(),
                    name_zh: d.name_zh.clone(),
                    adrg: a.code.clone(),
                    mdc: a.mdc.clone(),
                    weight: d.weight,
                    benchmark_cost: Fen(d.cost_fen),
                    avg_los: d.los,
                    severity: d.severity,
                    age_min,
                    age_max,
                    ungroupable: false,
                });
            }
            // Every case of every age must find a DRG of the ADRG.
            if let Some(age) = (0..=MAX_AGE).find(|&age| !drgs.iter().any(|&i| g.drgs[i].severity == Severity::None && (g.drgs[i].age_min..=g.drgs[i].age_max).contains(&age))) {
                return Err(err(span, format!("{field}.drgs"), format!("ADRG {}: a case aged {age} without complications finds no DRG (add a `severity = \"none\"` DRG for it)", a.code)));
            }
            let adrg = Adrg {
                code: a.code.clone(),
                mdc: a.mdc.clone(),
                kind: a.kind,
                name_zh: a.name_zh.clone(),
                principal,
                procedures,
                drgs: drgs.iter().map(|&i| g.drgs[i].code.clone()).collect(),
            };
            match a.kind {
                AdrgKind::Surgical => g.mdcs[mi].surgical.push(adrg_i),
                AdrgKind::NonOr => g.mdcs[mi].non_or.push(adrg_i),
                AdrgKind::Medical => {}
            }
            g.adrgs.push(AdrgDef { adrg, drgs });
        }
        if g.adrgs.is_empty() {
            return Err(MedinsError::data(GROUPS_FILE, None, "adrg", "the grouper has no ADRG"));
        }

        for (i, c) in f.cc.list.iter().enumerate() {
            let span = c.span();
            let c = c.get_ref();
            let field = format!("cc.list[{i}]");
            if c.code.len() < 3 || !g.dx.keys().any(|k| k.starts_with(c.code.as_str())) {
                return Err(err(span, format!("{field}.code"), format!("{:?} matches no ICD-10 code of the code list", c.code)));
            }
            if c.level == Severity::None {
                return Err(err(span, format!("{field}.level"), format!("{}: the level is mcc or cc", c.code)));
            }
            if let Some(x) = c.exclude.iter().find(|x| x.len() < 3) {
                return Err(err(span, format!("{field}.exclude"), format!("{x:?} is shorter than an ICD-10 category")));
            }
            if g.cc.insert(c.code.clone(), CcDef { level: c.level, exclude: c.exclude.clone() }).is_some() {
                return Err(err(span, format!("{field}.code"), format!("{} appears twice in the CC list", c.code)));
            }
        }
        Ok(g)
    }

    fn empty() -> Grouper {
        Grouper {
            source: GrouperSource { scheme: String::new(), title_zh: String::new(), published: String::new(), subset: String::new(), weights: String::new() },
            dx: HashMap::new(),
            px: HashMap::new(),
            mdcs: Vec::new(),
            adrgs: Vec::new(),
            drgs: vec![Drg::ungroupable("0000".into(), "未入组".into(), String::new())],
            by_drg: HashMap::new(),
            medical: HashMap::new(),
            cc: HashMap::new(),
            digest: String::new(),
        }
    }

    fn push_drg(&mut self, d: Drg) {
        self.by_drg.insert(d.code.clone(), self.drgs.len());
        self.drgs.push(d);
    }

    /// Where the content comes from.
    pub fn source(&self) -> &GrouperSource {
        &self.source
    }

    /// The SHA-256 (hex) of the data the grouper was loaded from; part of a settlement's digest.
    pub fn digest(&self) -> &str {
        &self.digest
    }

    /// Every MDC, in file order.
    pub fn mdcs(&self) -> impl Iterator<Item = &Mdc> {
        self.mdcs.iter().map(|m| &m.mdc)
    }

    /// Every ADRG, in file order.
    pub fn adrgs(&self) -> impl Iterator<Item = &Adrg> {
        self.adrgs.iter().map(|a| &a.adrg)
    }

    /// Every DRG, the ungroupable ones (`0000`, `xQY`) included.
    pub fn drgs(&self) -> &[Drg] {
        &self.drgs
    }

    /// The DRG with this code.
    pub fn drg(&self, code: &str) -> Result<&Drg, MedinsError> {
        self.by_drg.get(code).map(|&i| &self.drgs[i]).ok_or_else(|| MedinsError::UnknownDrg(code.to_owned()))
    }

    pub(crate) fn drg_at(&self, i: usize) -> &Drg {
        &self.drgs[i.min(self.drgs.len().saturating_sub(1))]
    }

    /// The Chinese name of an ICD-10 diagnosis code of the code list.
    pub fn diagnosis_name(&self, code: &str) -> Option<&str> {
        self.dx.get(code).map(|d| d.name_zh.as_str())
    }

    /// The Chinese name of an ICD-9-CM-3 procedure code of the code list.
    pub fn procedure_name(&self, code: &str) -> Option<&str> {
        self.px.get(code).map(|p| p.name_zh.as_str())
    }

    /// Whether a procedure code is an operating-room procedure (`None` if unknown).
    pub fn is_or_procedure(&self, code: &str) -> Option<bool> {
        self.px.get(code).map(|p| p.or)
    }

    /// The diagnosis codes of the code list, sorted.
    pub fn diagnosis_codes(&self) -> Vec<&str> {
        let mut v: Vec<&str> = self.dx.keys().map(String::as_str).collect();
        v.sort_unstable();
        v
    }

    /// The procedure codes of the code list, sorted.
    pub fn procedure_codes(&self) -> Vec<&str> {
        let mut v: Vec<&str> = self.px.keys().map(String::as_str).collect();
        v.sort_unstable();
        v
    }

    /// Checks that the principal diagnosis is there and that every code is in the code lists;
    /// the error names the code and the field (`principal_dx`, `other_dx[i]`, `procedures[i]`).
    pub fn check_codes(&self, e: &Episode) -> Result<(), MedinsError> {
        if e.principal_dx.trim().is_empty() {
            return Err(MedinsError::MissingField { field: "principal_dx".into() });
        }
        if !self.dx.contains_key(&e.principal_dx) {
            return Err(MedinsError::UnknownDiagnosis { code: e.principal_dx.clone(), field: "principal_dx".into() });
        }
        if let Some((i, c)) = e.other_dx.iter().enumerate().find(|(_, c)| !self.dx.contains_key(*c)) {
            return Err(MedinsError::UnknownDiagnosis { code: c.clone(), field: format!("other_dx[{i}]") });
        }
        if let Some((i, c)) = e.procedures.iter().enumerate().find(|(_, c)| !self.px.contains_key(*c)) {
            return Err(MedinsError::UnknownProcedure { code: c.clone(), field: format!("procedures[{i}]") });
        }
        Ok(())
    }

    /// The most severe complication or comorbidity among `others` for `principal`, and which of
    /// them set it. A secondary diagnosis of the principal's own three-character category never
    /// counts, nor one whose CC entry excludes the principal.
    pub fn severity(&self, principal: &str, others: &[String]) -> (Severity, Option<usize>) {
        let family = category(principal);
        let mut best = (Severity::None, None);
        for (i, dx) in others.iter().enumerate() {
            if category(dx) == family {
                continue;
            }
            let Some(cc) = lookup_prefix(&self.cc, dx, 3) else { continue };
            if cc.exclude.iter().any(|x| principal.starts_with(x.as_str())) {
                continue;
            }
            if cc.level > best.0 {
                best = (cc.level, Some(i));
            }
        }
        best
    }

    /// Groups one episode (its codes must be in the code lists; dates and costs are not looked
    /// at — see [`Episode::validate`]).
    pub fn group(&self, e: &Episode) -> Result<Grouping, MedinsError> {
        let g = self.group_fast(e)?;
        Ok(self.grouping(&g, e))
    }

    /// The public form of a fast-path decision.
    pub(crate) fn grouping(&self, g: &Grouped, e: &Episode) -> Grouping {
        let d = self.drg_at(g.drg);
        Grouping {
            mdc: d.mdc.clone(),
            adrg: d.adrg.clone(),
            drg: d.code.clone(),
            name_zh: d.name_zh.clone(),
            weight: d.weight,
            benchmark_cost: d.benchmark_cost,
            avg_los: d.avg_los,
            severity: g.severity,
            severity_from: g.severity_from.and_then(|i| e.other_dx.get(i).cloned()),
            surgical: g.surgical,
            ungroupable: g.ungroupable,
        }
    }

    /// The grouping by index, without building strings.
    pub(crate) fn group_fast(&self, e: &Episode) -> Result<Grouped, MedinsError> {
        self.check_codes(e)?;
        let principal = e.principal_dx.as_str();
        let ungroupable = |drg: usize, why: Ungroupable, surgical: bool| Grouped { drg, severity: Severity::None, severity_from: None, surgical, ungroupable: Some(why) };
        if self.dx.get(principal).is_some_and(|d| d.secondary_only) {
            return Ok(ungroupable(0, Ungroupable::NotPrincipal, false));
        }
        let Some(&medical) = lookup_prefix(&self.medical, principal, 3) else {
            return Ok(ungroupable(0, Ungroupable::NoGroup, false));
        };
        let mdc_code = &self.adrgs[medical].adrg.mdc;
        let Some(mdc) = self.mdcs.iter().find(|m| &m.mdc.code == mdc_code) else {
            return Ok(ungroupable(0, Ungroupable::NoGroup, false));
        };
        if mdc.mdc.sex.is_some_and(|s| s != e.sex) {
            return Ok(ungroupable(0, Ungroupable::SexConflict, false));
        }
        let fits = |a: &AdrgDef| {
            (a.adrg.principal.is_empty() || a.adrg.principal.iter().any(|p| principal.starts_with(p.as_str())))
                && e.procedures.iter().any(|p| a.adrg.procedures.iter().any(|x| p.starts_with(x.as_str())))
        };
        let has_or = e.procedures.iter().any(|p| self.px.get(p).is_some_and(|x| x.or));
        let (adrg, surgical) = if has_or {
            match mdc.surgical.iter().copied().find(|&i| fits(&self.adrgs[i])) {
                Some(i) => (i, true),
                None => return Ok(ungroupable(mdc.qy, Ungroupable::ProcedureOutsideMdc, true)),
            }
        } else {
            (mdc.non_or.iter().copied().find(|&i| fits(&self.adrgs[i])).unwrap_or(medical), false)
        };
        let (severity, severity_from) = self.severity(principal, &e.other_dx);
        let drg = self.adrgs[adrg].drgs.iter().copied().find(|&i| {
            let d = &self.drgs[i];
            (d.age_min..=d.age_max).contains(&e.age) && severity >= d.severity
        });
        Ok(match drg {
            Some(drg) => Grouped { drg, severity, severity_from, surgical, ungroupable: None },
            None => ungroupable(0, Ungroupable::NoGroup, surgical),
        })
    }
}

fn load_icd10(text: &str) -> Result<HashMap<String, Dx>, MedinsError> {
    let f: Icd10File = data::parse(ICD10_FILE, text)?;
    let mut dx = HashMap::with_capacity(f.codes.len());
    for (code, name) in f.codes {
        let line = data::line_of_text(text, &format!("\"{code}\""));
        if !is_icd10(&code) {
            return Err(MedinsError::data(ICD10_FILE, line, format!("codes.{code}"), format!("{code:?} is not an ICD-10 code such as I63.9")));
        }
        if name.trim().is_empty() {
            return Err(MedinsError::data(ICD10_FILE, line, format!("codes.{code}"), "the Chinese name is empty"));
        }
        dx.insert(code, Dx { name_zh: name, secondary_only: false });
    }
    for c in f.secondary_only.map(|s| s.codes).unwrap_or_default() {
        let line = Some(data::line_of(text, c.span().start));
        match dx.get_mut(c.get_ref()) {
            Some(d) => d.secondary_only = true,
            None => return Err(MedinsError::data(ICD10_FILE, line, "secondary_only.codes", format!("{} is not in [codes]", c.get_ref()))),
        }
    }
    Ok(dx)
}

fn load_icd9(text: &str) -> Result<HashMap<String, Px>, MedinsError> {
    let f: Icd9File = data::parse(ICD9_FILE, text)?;
    let mut px = HashMap::with_capacity(f.codes.len());
    for (code, p) in f.codes {
        let line = data::line_of_text(text, &format!("\"{code}\""));
        if !is_icd9(&code) {
            return Err(MedinsError::data(ICD9_FILE, line, format!("codes.{code}"), format!("{code:?} is not an ICD-9-CM-3 code such as 81.51")));
        }
        if p.name_zh.trim().is_empty() {
            return Err(MedinsError::data(ICD9_FILE, line, format!("codes.{code}"), "the Chinese name is empty"));
        }
        px.insert(code, Px { name_zh: p.name_zh, or: p.or });
    }
    Ok(px)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_data_loads() {
        let g = Grouper::from_parts(EMBEDDED_GROUPS, EMBEDDED_ICD10, EMBEDDED_ICD9).expect("the shipped data is valid");
        assert!(g.drgs().len() > 60, "{}", g.drgs().len());
        assert_eq!(g.source().scheme, "CHS-DRG 1.1");
        assert!(g.source().weights.contains("not official"));
        assert_eq!(g.digest().len(), 64);
        assert_eq!(g.drg("BQY").expect("an ambiguous group").name_zh, "神经系统疾病及功能障碍歧义组");
        assert!(g.drg("0000").expect("0000").ungroupable);
        assert_eq!(g.drg("ZZ99"), Err(MedinsError::UnknownDrg("ZZ99".into())));
        assert_eq!(g.diagnosis_name("I63.9"), Some("脑梗死"));
        assert_eq!(g.procedure_name("81.51"), Some("全髋关节置换"));
        assert_eq!(g.is_or_procedure("99.25"), Some(false));
    }

    #[test]
    fn code_shapes() {
        for ok in ["I63.9", "I10", "F03", "Z51.1", "I63.900x001"] {
            assert!(is_icd10(ok), "{ok}");
        }
        for bad in ["i63.9", "I6", "I63.", "I639", "63.9", "I63-9"] {
            assert!(!is_icd10(bad), "{bad}");
        }
        for ok in ["81.51", "74.1", "99"] {
            assert!(is_icd9(ok), "{ok}");
        }
        for bad in ["8.51", "81.", "81-51", "A1.23"] {
            assert!(!is_icd9(bad), "{bad}");
        }
    }
}
