//! The resource and data types.

use serde::{Deserialize, Serialize};

fn is_false(b: &Option<bool>) -> bool {
    b.is_none()
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Meta {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_updated: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tag: Vec<Coding>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Coding {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display: Option<String>,
}

impl Coding {
    pub fn new(system: &str, code: &str, display: &str) -> Coding {
        Coding {
            system: Some(system.to_owned()),
            version: None,
            code: Some(code.to_owned()),
            display: (!display.is_empty()).then(|| display.to_owned()),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CodeableConcept {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub coding: Vec<Coding>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

impl CodeableConcept {
    pub fn one(system: &str, code: &str, display: &str) -> CodeableConcept {
        CodeableConcept { coding: vec![Coding::new(system, code, display)], text: None }
    }
    pub fn text(text: &str) -> CodeableConcept {
        CodeableConcept { coding: Vec::new(), text: Some(text.to_owned()) }
    }
    /// The first code of a system, if any.
    pub fn code_in(&self, system: &str) -> Option<&str> {
        self.coding.iter().find(|c| c.system.as_deref() == Some(system)).and_then(|c| c.code.as_deref())
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Identifier {
    #[serde(default, rename = "use", skip_serializing_if = "Option::is_none")]
    pub use_: Option<String>,
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub type_: Option<CodeableConcept>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assigner: Option<Box<Reference>>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Reference {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub type_: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identifier: Option<Identifier>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display: Option<String>,
}

impl Reference {
    pub fn to(reference: &str) -> Reference {
        Reference { reference: Some(reference.to_owned()), ..Default::default() }
    }
    pub fn to_display(reference: &str, display: &str) -> Reference {
        Reference { reference: Some(reference.to_owned()), display: Some(display.to_owned()), ..Default::default() }
    }
    /// An institution by its code (no resource in this server).
    pub fn institution(code: &str, name: &str) -> Reference {
        Reference {
            reference: None,
            type_: Some("Organization".into()),
            identifier: Some(Identifier { system: Some(super::systems::INSTITUTION.into()), value: Some(code.into()), ..Default::default() }),
            display: Some(name.to_owned()),
        }
    }
    /// The institution code of a reference to an institution by its identifier.
    pub fn institution_code(&self) -> Option<&str> {
        self.identifier.as_ref().filter(|i| i.system.as_deref() == Some(super::systems::INSTITUTION)).and_then(|i| i.value.as_deref())
    }
    /// The id in `Type/id` when the reference is to `ty`.
    pub fn id_of(&self, ty: &str) -> Option<&str> {
        let r = self.reference.as_deref()?;
        let r = r.rsplit_once("/_history/").map_or(r, |(a, _)| a);
        let mut parts = r.rsplitn(2, '/');
        let id = parts.next()?;
        let t = parts.next()?;
        (t == ty || t.ends_with(&format!("/{ty}"))).then_some(id)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Quantity {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comparator: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReferenceRange {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub low: Option<Quantity>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub high: Option<Quantity>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Period {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HumanName {
    #[serde(default, rename = "use", skip_serializing_if = "Option::is_none")]
    pub use_: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub given: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContactPoint {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub system: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    #[serde(default, rename = "use", skip_serializing_if = "Option::is_none")]
    pub use_: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Address {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub district: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Annotation {
    pub text: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Patient {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub identifier: Vec<Identifier>,
    #[serde(default, skip_serializing_if = "is_false")]
    pub active: Option<bool>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub name: Vec<HumanName>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub telecom: Vec<ContactPoint>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gender: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub birth_date: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub address: Vec<Address>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub managing_organization: Option<Reference>,
}

impl Patient {
    /// The value of the identifier with `system`.
    pub fn identifier_value(&self, system: &str) -> Option<&str> {
        self.identifier.iter().find(|i| i.system.as_deref() == Some(system)).and_then(|i| i.value.as_deref())
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Observation {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub identifier: Vec<Identifier>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub based_on: Vec<Reference>,
    #[serde(default)]
    pub status: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub category: Vec<CodeableConcept>,
    #[serde(default)]
    pub code: CodeableConcept,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<Reference>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effective_date_time: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issued: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub performer: Vec<Reference>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_quantity: Option<Quantity>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_string: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value_codeable_concept: Option<CodeableConcept>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub interpretation: Vec<CodeableConcept>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub note: Vec<Annotation>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reference_range: Vec<ReferenceRange>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub has_member: Vec<Reference>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DiagnosticReport {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub identifier: Vec<Identifier>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub based_on: Vec<Reference>,
    #[serde(default)]
    pub status: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub category: Vec<CodeableConcept>,
    #[serde(default)]
    pub code: CodeableConcept,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<Reference>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effective_date_time: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issued: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub performer: Vec<Reference>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub result: Vec<Reference>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub imaging_study: Vec<Reference>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conclusion: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImagingInstance {
    pub uid: String,
    pub sop_class: Coding,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number: Option<u32>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImagingSeries {
    pub uid: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number: Option<u32>,
    pub modality: Coding,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number_of_instances: Option<u32>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub endpoint: Vec<Reference>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body_site: Option<Coding>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub instance: Vec<ImagingInstance>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ImagingStudy {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub identifier: Vec<Identifier>,
    #[serde(default)]
    pub status: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub modality: Vec<Coding>,
    #[serde(default)]
    pub subject: Reference,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub based_on: Vec<Reference>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub endpoint: Vec<Reference>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number_of_series: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number_of_instances: Option<u32>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub procedure_code: Vec<CodeableConcept>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub series: Vec<ImagingSeries>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub identifier: Vec<Identifier>,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub intent: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub category: Vec<CodeableConcept>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<CodeableConcept>,
    #[serde(default)]
    pub subject: Reference,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authored_on: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requester: Option<Reference>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub performer: Vec<Reference>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reason_code: Vec<CodeableConcept>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub note: Vec<Annotation>,
}

/// A contact of the patient with an institution (挂号就诊, 住院, 急诊, 家庭医生上门): the
/// institution that publishes it (`serviceProvider`) treats the patient while it lasts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Encounter {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub identifier: Vec<Identifier>,
    #[serde(default)]
    pub status: String,
    /// v3-ActCode: AMB (outpatient registration), IMP (admission), EMER, HH (home visit).
    #[serde(default)]
    pub class: Coding,
    #[serde(default, rename = "type", skip_serializing_if = "Vec::is_empty")]
    pub type_: Vec<CodeableConcept>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<Reference>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub based_on: Vec<Reference>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period: Option<Period>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_provider: Option<Reference>,
}

/// A standing association of the patient with an institution: here the home-doctor contract
/// (家庭医生签约) of a community health centre, for its period.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EpisodeOfCare {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub identifier: Vec<Identifier>,
    #[serde(default)]
    pub status: String,
    #[serde(default, rename = "type", skip_serializing_if = "Vec::is_empty")]
    pub type_: Vec<CodeableConcept>,
    #[serde(default)]
    pub patient: Reference,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub managing_organization: Option<Reference>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period: Option<Period>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Mitigation {
    pub action: CodeableConcept,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<Reference>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DetectedIssue {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub identifier: Vec<Identifier>,
    #[serde(default)]
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<CodeableConcept>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub severity: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub patient: Option<Reference>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identified_date_time: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub author: Option<Reference>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub implicated: Vec<Reference>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mitigation: Vec<Mitigation>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OperationOutcomeIssue {
    pub severity: String,
    pub code: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<CodeableConcept>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub diagnostics: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub expression: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OperationOutcome {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub issue: Vec<OperationOutcomeIssue>,
}

impl OperationOutcome {
    /// One error issue: `code` from the FHIR issue-type value set, the message in Chinese and
    /// English, and the element at fault.
    pub fn error(code: &str, zh: &str, en: &str, expression: Option<&str>, detail_code: &str) -> OperationOutcome {
        OperationOutcome {
            id: None,
            issue: vec![OperationOutcomeIssue {
                severity: "error".into(),
                code: code.into(),
                details: Some(CodeableConcept {
                    coding: vec![Coding::new("https://minsheng.fuyang.gov.cn/fhir/CodeSystem/error", detail_code, "")],
                    text: Some(zh.to_owned()),
                }),
                diagnostics: Some(en.to_owned()),
                expression: expression.map(|e| vec![e.to_owned()]).unwrap_or_default(),
            }],
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BundleLink {
    pub relation: String,
    pub url: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BundleSearch {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BundleRequest {
    pub method: String,
    pub url: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BundleResponse {
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BundleEntry {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub full_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource: Option<Resource>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub search: Option<BundleSearch>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<BundleRequest>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response: Option<BundleResponse>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Bundle {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<Meta>,
    #[serde(default, rename = "type")]
    pub type_: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total: Option<u64>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub link: Vec<BundleLink>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub entry: Vec<BundleEntry>,
}

/// Any resource this server handles, tagged by `resourceType`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "resourceType")]
pub enum Resource {
    Patient(Patient),
    Observation(Observation),
    DiagnosticReport(DiagnosticReport),
    ImagingStudy(ImagingStudy),
    ServiceRequest(ServiceRequest),
    Encounter(Encounter),
    EpisodeOfCare(EpisodeOfCare),
    DetectedIssue(DetectedIssue),
    OperationOutcome(OperationOutcome),
    Bundle(Box<Bundle>),
}

impl Resource {
    pub fn type_name(&self) -> &'static str {
        match self {
            Resource::Patient(_) => "Patient",
            Resource::Observation(_) => "Observation",
            Resource::DiagnosticReport(_) => "DiagnosticReport",
            Resource::ImagingStudy(_) => "ImagingStudy",
            Resource::ServiceRequest(_) => "ServiceRequest",
            Resource::Encounter(_) => "Encounter",
            Resource::EpisodeOfCare(_) => "EpisodeOfCare",
            Resource::DetectedIssue(_) => "DetectedIssue",
            Resource::OperationOutcome(_) => "OperationOutcome",
            Resource::Bundle(_) => "Bundle",
        }
    }
    pub fn id(&self) -> Option<&str> {
        match self {
            Resource::Patient(r) => r.id.as_deref(),
            Resource::Observation(r) => r.id.as_deref(),
            Resource::DiagnosticReport(r) => r.id.as_deref(),
            Resource::ImagingStudy(r) => r.id.as_deref(),
            Resource::ServiceRequest(r) => r.id.as_deref(),
            Resource::Encounter(r) => r.id.as_deref(),
            Resource::EpisodeOfCare(r) => r.id.as_deref(),
            Resource::DetectedIssue(r) => r.id.as_deref(),
            Resource::OperationOutcome(r) => r.id.as_deref(),
            Resource::Bundle(r) => r.id.as_deref(),
        }
    }
    pub fn set_id(&mut self, id: String) {
        match self {
            Resource::Patient(r) => r.id = Some(id),
            Resource::Observation(r) => r.id = Some(id),
            Resource::DiagnosticReport(r) => r.id = Some(id),
            Resource::ImagingStudy(r) => r.id = Some(id),
            Resource::ServiceRequest(r) => r.id = Some(id),
            Resource::Encounter(r) => r.id = Some(id),
            Resource::EpisodeOfCare(r) => r.id = Some(id),
            Resource::DetectedIssue(r) => r.id = Some(id),
            Resource::OperationOutcome(r) => r.id = Some(id),
            Resource::Bundle(r) => r.id = Some(id),
        }
    }
    pub fn meta_mut(&mut self) -> Option<&mut Option<Meta>> {
        match self {
            Resource::Patient(r) => Some(&mut r.meta),
            Resource::Observation(r) => Some(&mut r.meta),
            Resource::DiagnosticReport(r) => Some(&mut r.meta),
            Resource::ImagingStudy(r) => Some(&mut r.meta),
            Resource::ServiceRequest(r) => Some(&mut r.meta),
            Resource::Encounter(r) => Some(&mut r.meta),
            Resource::EpisodeOfCare(r) => Some(&mut r.meta),
            Resource::DetectedIssue(r) => Some(&mut r.meta),
            Resource::Bundle(r) => Some(&mut r.meta),
            Resource::OperationOutcome(_) => None,
        }
    }
    /// The patient reference of a result or request.
    pub fn subject(&self) -> Option<&Reference> {
        match self {
            Resource::Observation(r) => r.subject.as_ref(),
            Resource::DiagnosticReport(r) => r.subject.as_ref(),
            Resource::ImagingStudy(r) => Some(&r.subject),
            Resource::ServiceRequest(r) => Some(&r.subject),
            Resource::Encounter(r) => r.subject.as_ref(),
            Resource::EpisodeOfCare(r) => Some(&r.patient),
            Resource::DetectedIssue(r) => r.patient.as_ref(),
            _ => None,
        }
    }
    /// Points the resource at its patient (`Patient/<id>`).
    pub fn set_subject(&mut self, patient: Reference) {
        match self {
            Resource::Observation(r) => r.subject = Some(patient),
            Resource::DiagnosticReport(r) => r.subject = Some(patient),
            Resource::Encounter(r) => r.subject = Some(patient),
            Resource::ImagingStudy(r) => r.subject = patient,
            Resource::ServiceRequest(r) => r.subject = patient,
            Resource::EpisodeOfCare(r) => r.patient = patient,
            Resource::DetectedIssue(r) => r.patient = Some(patient),
            Resource::Patient(_) | Resource::OperationOutcome(_) | Resource::Bundle(_) => {}
        }
    }
    /// The codes of a result or request.
    pub fn code(&self) -> Option<&CodeableConcept> {
        match self {
            Resource::Observation(r) => Some(&r.code),
            Resource::DiagnosticReport(r) => Some(&r.code),
            Resource::ImagingStudy(r) => r.procedure_code.first(),
            Resource::ServiceRequest(r) => r.code.as_ref(),
            _ => None,
        }
    }
    /// When a result was taken (effective or started).
    pub fn effective(&self) -> Option<&str> {
        match self {
            Resource::Observation(r) => r.effective_date_time.as_deref(),
            Resource::DiagnosticReport(r) => r.effective_date_time.as_deref(),
            Resource::ImagingStudy(r) => r.started.as_deref(),
            Resource::ServiceRequest(r) => r.authored_on.as_deref(),
            Resource::Encounter(r) => r.period.as_ref().and_then(|p| p.start.as_deref()),
            Resource::EpisodeOfCare(r) => r.period.as_ref().and_then(|p| p.start.as_deref()),
            _ => None,
        }
    }
    pub fn status(&self) -> Option<&str> {
        match self {
            Resource::Observation(r) => Some(&r.status),
            Resource::DiagnosticReport(r) => Some(&r.status),
            Resource::ImagingStudy(r) => Some(&r.status),
            Resource::ServiceRequest(r) => Some(&r.status),
            Resource::Encounter(r) => Some(&r.status),
            Resource::EpisodeOfCare(r) => Some(&r.status),
            Resource::DetectedIssue(r) => Some(&r.status),
            _ => None,
        }
    }
    /// The institution a resource is of: the performer of a result (first performer with an
    /// institution identifier), the provider of an encounter, the organisation managing an
    /// episode of care, the requester of a referral.
    pub fn institution(&self) -> Option<&str> {
        let performers: &[Reference] = match self {
            Resource::Observation(r) => &r.performer,
            Resource::DiagnosticReport(r) => &r.performer,
            Resource::ServiceRequest(r) => return r.requester.as_ref().and_then(Reference::institution_code),
            Resource::Encounter(r) => return r.service_provider.as_ref().and_then(Reference::institution_code),
            Resource::EpisodeOfCare(r) => return r.managing_organization.as_ref().and_then(Reference::institution_code),
            Resource::ImagingStudy(r) => {
                // The accession number's assigner is the institution that took the images.
                return r
                    .identifier
                    .iter()
                    .filter_map(|i| i.assigner.as_ref().and_then(|a| a.identifier.as_ref()))
                    .find(|i| i.system.as_deref() == Some(super::systems::INSTITUTION))
                    .and_then(|i| i.value.as_deref());
            }
            _ => return None,
        };
        performers
            .iter()
            .filter_map(|p| p.identifier.as_ref())
            .find(|i| i.system.as_deref() == Some(super::systems::INSTITUTION))
            .and_then(|i| i.value.as_deref())
    }
}
