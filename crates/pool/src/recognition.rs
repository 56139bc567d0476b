//! Mutual recognition of examination and test results (医检互认, B3): the recognisable-item
//! catalog (codes, validity window, price), the institutions with their level and the items their
//! results are recognised for (the HR mark), the recognition check — which of a patient's results
//! still stand in for the test a doctor is about to order — its FHIR Bundle with a DetectedIssue,
//! and the doctor's decision.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::PoolError;
use crate::fhir::{self, Bundle, BundleEntry, CodeableConcept, Coding, DetectedIssue, Meta, Reference, Resource, ServiceRequest, systems};

pub const EMBEDDED_ITEMS: &str = include_str!("../data/recognition_items.toml");
pub const EMBEDDED_INSTITUTIONS: &str = include_str!("../data/institutions.toml");

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemKind {
    Lab,
    Imaging,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecognisableItem {
    pub code: String,
    pub name: String,
    pub name_en: String,
    pub kind: ItemKind,
    pub system: String,
    #[serde(default)]
    pub loinc: Option<String>,
    #[serde(default)]
    pub local: Option<String>,
    /// DICOM modality of imaging items (CT, MR, DX, US).
    #[serde(default)]
    pub modality: Option<String>,
    pub validity_days: u32,
    pub price_fen: i64,
}

impl RecognisableItem {
    /// The code of the item in its system.
    pub fn item_code(&self) -> &str {
        self.loinc.as_deref().or(self.local.as_deref()).unwrap_or(&self.code)
    }
    pub fn concept(&self) -> CodeableConcept {
        CodeableConcept { coding: vec![Coding::new(&self.system, self.item_code(), &self.name)], text: Some(self.name.clone()) }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InstitutionLevel {
    Primary,
    SecondaryB,
    SecondaryA,
    TertiaryB,
    TertiaryA,
}

impl InstitutionLevel {
    pub fn name_zh(self) -> &'static str {
        match self {
            InstitutionLevel::Primary => "一级",
            InstitutionLevel::SecondaryB => "二级乙等",
            InstitutionLevel::SecondaryA => "二级甲等",
            InstitutionLevel::TertiaryB => "三级乙等",
            InstitutionLevel::TertiaryA => "三级甲等",
        }
    }
    pub fn code(self) -> &'static str {
        match self {
            InstitutionLevel::Primary => "primary",
            InstitutionLevel::SecondaryB => "secondary_b",
            InstitutionLevel::SecondaryA => "secondary_a",
            InstitutionLevel::TertiaryB => "tertiary_b",
            InstitutionLevel::TertiaryA => "tertiary_a",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Institution {
    pub code: String,
    pub name: String,
    pub level: InstitutionLevel,
    pub kind: String,
    pub division: String,
    /// Items (or `lab` / `imaging`) its results are recognised for.
    pub hr_items: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct ItemsFile {
    item: Vec<RecognisableItem>,
}

#[derive(Debug, Deserialize)]
struct InstitutionsFile {
    institution: Vec<Institution>,
}

/// The recognisable items and the institutions, checked against each other.
#[derive(Debug, Clone)]
pub struct RecognitionCatalog {
    items: BTreeMap<String, RecognisableItem>,
    by_code: BTreeMap<(String, String), String>,
    institutions: BTreeMap<String, Institution>,
}

impl RecognitionCatalog {
    pub fn parse(items: &str, institutions: &str) -> Result<RecognitionCatalog, PoolError> {
        let data = |file: &str, message: String| PoolError::Data { file: file.into(), message };
        let f: ItemsFile = toml::from_str(items).map_err(|e| data("recognition items", e.to_string()))?;
        let g: InstitutionsFile = toml::from_str(institutions).map_err(|e| data("institutions", e.to_string()))?;
        let mut cat = RecognitionCatalog { items: BTreeMap::new(), by_code: BTreeMap::new(), institutions: BTreeMap::new() };
        for it in f.item {
            if it.validity_days == 0 || it.price_fen < 0 {
                return Err(data("recognition items", format!("{}: validity_days must be > 0 and price_fen ≥ 0", it.code)));
            }
            if it.loinc.is_none() && it.local.is_none() {
                return Err(data("recognition items", format!("{}: needs a loinc or a local code", it.code)));
            }
            let key = (it.system.clone(), it.item_code().to_owned());
            if cat.by_code.insert(key, it.code.clone()).is_some() || cat.items.contains_key(&it.code) {
                return Err(data("recognition items", format!("{}: duplicate item or code", it.code)));
            }
            cat.items.insert(it.code.clone(), it);
        }
        for inst in g.institution {
            for i in &inst.hr_items {
                if i != "lab" && i != "imaging" && !cat.items.contains_key(i) {
                    return Err(data("institutions", format!("{}: unknown item {i}", inst.code)));
                }
            }
            if cat.institutions.insert(inst.code.clone(), inst.clone()).is_some() {
                return Err(data("institutions", format!("{}: duplicate code", inst.code)));
            }
        }
        Ok(cat)
    }

    pub fn embedded() -> RecognitionCatalog {
        RecognitionCatalog::parse(EMBEDDED_ITEMS, EMBEDDED_INSTITUTIONS).unwrap_or_else(|e| unreachable!("embedded data is valid (a unit test checks): {e}"))
    }

    pub fn items(&self) -> impl Iterator<Item = &RecognisableItem> {
        self.items.values()
    }
    pub fn item(&self, code: &str) -> Option<&RecognisableItem> {
        self.items.get(code)
    }
    pub fn institutions(&self) -> impl Iterator<Item = &Institution> {
        self.institutions.values()
    }
    pub fn institution(&self, code: &str) -> Option<&Institution> {
        self.institutions.get(code)
    }

    /// The recognisable item a coded concept names, if any.
    pub fn item_for(&self, concept: &CodeableConcept) -> Option<&RecognisableItem> {
        concept.coding.iter().find_map(|c| {
            let key = (c.system.clone()?, c.code.clone()?);
            self.by_code.get(&key).and_then(|code| self.items.get(code))
        })
    }

    /// Whether `institution`'s results for `item` carry the HR mark.
    pub fn qualified(&self, institution: &str, item: &str) -> bool {
        let (Some(inst), Some(it)) = (self.institutions.get(institution), self.items.get(item)) else { return false };
        inst.hr_items.iter().any(|x| {
            x == item || (x == "lab" && it.kind == ItemKind::Lab) || (x == "imaging" && it.kind == ItemKind::Imaging)
        })
    }
}

/// What the store keeps of a result for the check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResultSummary {
    pub row: i64,
    pub resource_type: String,
    pub logical_id: String,
    pub item: String,
    pub institution: String,
    pub effective: DateTime<Utc>,
    pub status: String,
}

/// A result that stands in for the order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Recognisable {
    pub result: ResultSummary,
    pub valid_until: DateTime<Utc>,
    pub price_fen: i64,
}

/// The results among `candidates` that are recognisable for `item` at `now`: final, taken at a
/// qualified institution, inside the item's validity window. Newest first.
pub fn recognisable(cat: &RecognitionCatalog, item: &RecognisableItem, candidates: &[ResultSummary], now: DateTime<Utc>) -> Vec<Recognisable> {
    let mut out: Vec<Recognisable> = candidates
        .iter()
        .filter(|r| r.item == item.code)
        .filter(|r| matches!(r.status.as_str(), "final" | "amended" | "corrected" | "available"))
        .filter(|r| cat.qualified(&r.institution, &item.code))
        .filter_map(|r| {
            let valid_until = r.effective + chrono::Duration::days(i64::from(item.validity_days));
            (r.effective <= now && now <= valid_until).then(|| Recognisable { result: r.clone(), valid_until, price_fen: item.price_fen })
        })
        .collect();
    out.sort_by(|a, b| b.result.effective.cmp(&a.result.effective));
    out
}

/// The item a ServiceRequest orders.
pub fn ordered_item<'a>(cat: &'a RecognitionCatalog, req: &ServiceRequest) -> Result<&'a RecognisableItem, PoolError> {
    let code = req.code.as_ref().ok_or_else(|| PoolError::fhir("code", "is required"))?;
    cat.item_for(code).ok_or_else(|| {
        let shown = code.coding.first().and_then(|c| c.code.clone()).or_else(|| code.text.clone()).unwrap_or_default();
        PoolError::UnknownItem(shown)
    })
}

/// China time as FHIR dateTime (`2026-03-02T09:30:00+08:00`).
pub fn fhir_time(t: DateTime<Utc>) -> String {
    domain::china_time(t).format("%Y-%m-%dT%H:%M:%S%:z").to_string()
}

/// The `urn:uuid:` a DetectedIssue of a check is known by in its Bundle (from its numeric id).
pub fn issue_urn(issue_id: &str) -> String {
    let n: u64 = issue_id.parse().unwrap_or(0);
    format!("urn:uuid:{:08x}-0000-4000-8000-{:012x}", n >> 48, n & 0xffff_ffff_ffff)
}

/// The answer of a recognition check: a `collection` Bundle holding a DetectedIssue (when a
/// recognisable result exists) followed by the results. `results` pairs each recognisable
/// result with its stored resource.
#[allow(clippy::too_many_arguments)]
pub fn check_bundle(
    base: &str,
    patient_ref: &str,
    item: &RecognisableItem,
    cat: &RecognitionCatalog,
    issue_id: &str,
    ordering: &str,
    results: &[(Recognisable, Resource)],
    now: DateTime<Utc>,
) -> Bundle {
    let mut entries = Vec::new();
    if let Some((best, _)) = results.first() {
        let inst = cat.institution(&best.result.institution).map_or(best.result.institution.as_str(), |i| i.name.as_str());
        let detail = format!(
            "患者 {} 已在{}做过「{}」（{}），结果带互认标识（HR），互认有效期至 {}；可免重复检查，节省 {}。The patient had this {} on {} at a qualified institution; the result is valid for recognition until {}.",
            domain::china_time(best.result.effective).format("%Y-%m-%d"),
            inst,
            item.name,
            best.result.logical_id,
            domain::china_time(best.valid_until).format("%Y-%m-%d"),
            domain::Fen(best.price_fen),
            item.name_en,
            domain::china_time(best.result.effective).format("%Y-%m-%d"),
            domain::china_time(best.valid_until).format("%Y-%m-%d"),
        );
        let issue = DetectedIssue {
            id: Some(issue_id.to_owned()),
            meta: None,
            identifier: Vec::new(),
            status: "preliminary".into(),
            code: Some(CodeableConcept {
                coding: vec![Coding::new(systems::DETECTED_ISSUE, "duplicate-test", "重复检查检验（可互认） Duplicate test: a recognisable result exists")],
                text: None,
            }),
            severity: Some("moderate".into()),
            patient: Some(Reference::to(patient_ref)),
            identified_date_time: Some(fhir_time(now)),
            author: cat.institution(ordering).map(|i| Reference::institution(&i.code, &i.name)),
            implicated: results.iter().map(|(r, _)| Reference::to(&format!("{}/{}", r.result.resource_type, r.result.logical_id))).collect(),
            detail: Some(detail),
            mitigation: Vec::new(),
        };
        entries.push(BundleEntry {
            // The issue is not kept as a resource of its own (its id is the offer to decide on
            // at /api/pool/recognition/offers/{id}/decision), so it has no URL to resolve.
            full_url: Some(issue_urn(issue_id)),
            resource: Some(Resource::DetectedIssue(issue)),
            search: None,
            request: None,
            response: None,
        });
    }
    for (r, res) in results {
        entries.push(BundleEntry {
            full_url: Some(format!("{base}/{}/{}", r.result.resource_type, r.result.logical_id)),
            resource: Some(res.clone()),
            search: None,
            request: None,
            response: None,
        });
    }
    Bundle {
        id: Some(format!("check-{issue_id}")),
        meta: Some(Meta { last_updated: Some(fhir_time(now)), ..Default::default() }),
        type_: "collection".into(),
        timestamp: Some(fhir_time(now)),
        total: None,
        link: Vec::new(),
        entry: entries,
    }
}

/// Why a doctor re-tests despite a recognisable result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RetestReason {
    /// 病情变化.
    ConditionChanged,
    /// 结果存疑（与临床表现不符）.
    ResultDoubtful,
    /// 急诊抢救.
    Emergency,
    /// 患者要求.
    PatientRequest,
    /// Other: a note is required.
    Other,
}

impl RetestReason {
    pub fn parse(s: &str) -> Option<RetestReason> {
        serde_json::from_value(serde_json::Value::String(s.to_owned())).ok()
    }
    pub fn code(self) -> &'static str {
        match self {
            RetestReason::ConditionChanged => "condition_changed",
            RetestReason::ResultDoubtful => "result_doubtful",
            RetestReason::Emergency => "emergency",
            RetestReason::PatientRequest => "patient_request",
            RetestReason::Other => "other",
        }
    }
    pub fn name_zh(self) -> &'static str {
        match self {
            RetestReason::ConditionChanged => "病情变化",
            RetestReason::ResultDoubtful => "结果与临床表现不符",
            RetestReason::Emergency => "急诊抢救",
            RetestReason::PatientRequest => "患者要求",
            RetestReason::Other => "其他",
        }
    }
}

/// The doctor's decision on an offered result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum Decision {
    Accepted,
    Retest { reason: RetestReason, note: Option<String> },
}

impl Decision {
    /// Builds a decision from a request: `accepted`, or `retest` with a reason (and a note when
    /// the reason is `other`).
    pub fn parse(decision: &str, reason: Option<&str>, note: Option<&str>) -> Result<Decision, PoolError> {
        let note = note.map(str::trim).filter(|n| !n.is_empty()).map(|n| n.chars().take(500).collect::<String>());
        match decision {
            "accepted" => Ok(Decision::Accepted),
            "retest" => {
                let r = reason
                    .and_then(RetestReason::parse)
                    .ok_or_else(|| PoolError::field("reason", "a re-test needs a reason: condition_changed, result_doubtful, emergency, patient_request or other", "重新检查须说明理由"))?;
                if r == RetestReason::Other && note.is_none() {
                    return Err(PoolError::field("note", "the reason 'other' needs a note", "理由为「其他」时须填写说明"));
                }
                Ok(Decision::Retest { reason: r, note })
            }
            _ => Err(PoolError::field("decision", "must be accepted or retest", "须为 accepted（采纳互认）或 retest（重新检查）")),
        }
    }
    pub fn code(&self) -> &'static str {
        match self {
            Decision::Accepted => "accepted",
            Decision::Retest { .. } => "retest",
        }
    }
}

/// Validates a ServiceRequest for the check and returns its item.
pub fn check_request<'a>(cat: &'a RecognitionCatalog, req: &ServiceRequest) -> Result<&'a RecognisableItem, PoolError> {
    fhir::validate(&Resource::ServiceRequest(req.clone()), "")?;
    ordered_item(cat, req)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).map(|x| x.with_timezone(&Utc)).expect("time")
    }

    fn result(item: &str, inst: &str, at: &str, status: &str) -> ResultSummary {
        ResultSummary {
            row: 1,
            resource_type: "DiagnosticReport".into(),
            logical_id: format!("{item}-{inst}-{at}").replace([':', '+'], "-"),
            item: item.into(),
            institution: inst.into(),
            effective: t(at),
            status: status.into(),
        }
    }

    #[test]
    fn embedded_catalog_has_31_institutions() {
        let c = RecognitionCatalog::embedded();
        assert_eq!(c.institutions().count(), 31);
        assert!(c.items().count() >= 15);
        assert!(c.qualified("fy-1h", "mr_lumbar"));
        assert!(!c.qualified("fy-hc-100", "ct_head"), "a township centre has no CT mark");
        assert!(c.qualified("fy-hc-100", "cbc"));
        let cbc = c.item_for(&CodeableConcept::one("http://loinc.org", "58410-2", "")).expect("cbc by LOINC");
        assert_eq!((cbc.code.as_str(), cbc.validity_days, cbc.price_fen), ("cbc", 7, 2000));
        assert!(c.item_for(&CodeableConcept::one("http://loinc.org", "0000-0", "")).is_none());
    }

    #[test]
    fn windows_qualification_and_status_decide_recognition() {
        let c = RecognitionCatalog::embedded();
        let cbc = c.item("cbc").expect("cbc");
        let now = t("2026-03-10T09:00:00+08:00");
        let rs = vec![
            result("cbc", "fy-1h", "2026-03-04T08:00:00+08:00", "final"),  // 6 days: inside 7
            result("cbc", "fy-2h", "2026-03-02T08:00:00+08:00", "final"),  // 8 days: outside
            result("cbc", "fy-3h", "2026-03-08T08:00:00+08:00", "preliminary"),
            result("cbc", "fy-nowhere", "2026-03-09T08:00:00+08:00", "final"),
            result("urinalysis", "fy-1h", "2026-03-09T08:00:00+08:00", "final"),
            result("cbc", "fy-hc-100", "2026-03-09T08:00:00+08:00", "final"),
            result("cbc", "fy-1h", "2026-03-11T08:00:00+08:00", "final"), // in the future
        ];
        let got: Vec<String> = recognisable(&c, cbc, &rs, now).into_iter().map(|r| r.result.institution).collect();
        assert_eq!(got, vec!["fy-hc-100", "fy-1h"], "newest first; stale, preliminary, unknown and future results left out");
        // The window's last moment still counts; the next does not.
        let edge = t("2026-03-11T08:00:00+08:00");
        assert_eq!(recognisable(&c, cbc, &rs[..1], edge).len(), 1);
        assert_eq!(recognisable(&c, cbc, &rs[..1], edge + chrono::Duration::seconds(1)).len(), 0);
        let ct = c.item("ct_head").expect("ct");
        let img = vec![ResultSummary { status: "available".into(), ..result("ct_head", "fy-1h", "2026-02-10T08:00:00+08:00", "available") }];
        assert_eq!(recognisable(&c, ct, &img, now).len(), 1, "imaging: 30 days");
    }

    #[test]
    fn decisions_need_reasons() {
        assert_eq!(Decision::parse("accepted", None, None), Ok(Decision::Accepted));
        assert!(Decision::parse("retest", None, None).is_err());
        assert!(Decision::parse("retest", Some("other"), Some("  ")).is_err());
        assert_eq!(
            Decision::parse("retest", Some("condition_changed"), None),
            Ok(Decision::Retest { reason: RetestReason::ConditionChanged, note: None })
        );
        assert!(Decision::parse("maybe", None, None).is_err());
    }
}
