//! The FHIR R4 financial resources medical insurance uses: a hospital's Claim for an in-patient
//! stay (its diagnoses, procedures, cost items and the patient's insurance) and the insurer's
//! ClaimResponse (queued when the claim is received; complete, with the payment, once the month is
//! settled). They stand apart from [`super::Resource`]: they are never stored as resources.

use serde::Deserialize;
use serde::Serialize;

use super::types::CodeableConcept;
use super::types::Identifier;
use super::types::Period;
use super::types::Reference;

/// Codes of the district's financial resources.
pub mod systems {
    /// The hospital's own in-patient episode number (病案号), qualified by the hospital's code.
    pub const EPISODE_PREFIX: &str = "https://minsheng.fuyang.gov.cn/fhir/sid/inpatient-episode/";
    /// The items of the national in-patient invoice (bed, western_medicine, …).
    pub const COST_CATEGORY: &str = "https://minsheng.fuyang.gov.cn/fhir/CodeSystem/inpatient-cost-category";
    /// The basic medical insurance schemes: `employee` (职工) and `resident` (城乡居民).
    pub const INSURANCE_TYPE: &str = "https://minsheng.fuyang.gov.cn/fhir/CodeSystem/insurance-type";
    /// ICD-10 (the national medical-insurance edition).
    pub const ICD10: &str = "http://hl7.org/fhir/sid/icd-10";
    /// ICD-9-CM volume 3, procedures.
    pub const ICD9CM: &str = "http://hl7.org/fhir/sid/icd-9-cm";
    pub const CLAIM_TYPE: &str = "http://terminology.hl7.org/CodeSystem/claim-type";
    pub const PROCESS_PRIORITY: &str = "http://terminology.hl7.org/CodeSystem/processpriority";
    pub const DIAGNOSIS_TYPE: &str = "http://terminology.hl7.org/CodeSystem/ex-diagnosistype";
    pub const ADJUDICATION: &str = "http://terminology.hl7.org/CodeSystem/adjudication";
    pub const PAYMENT_TYPE: &str = "http://terminology.hl7.org/CodeSystem/ex-paymenttype";
    /// How a stay is paid here: `drg` (DRG points) or `bed_day` (per bed-day).
    pub const PAYMENT_KIND: &str = "https://minsheng.fuyang.gov.cn/fhir/CodeSystem/inpatient-payment";
}

/// An amount of money (FHIR `Money`): a decimal value and its currency.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Money {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<String>,
}

impl Money {
    /// An amount in fen as yuan (CNY).
    pub fn cny_fen(fen: i64) -> Money {
        Money { value: Some(fen as f64 / 100.0), currency: Some("CNY".into()) }
    }
    /// The amount in fen, if it is a whole number of fen in CNY (or without a currency).
    pub fn fen(&self) -> Option<i64> {
        if self.currency.as_deref().is_some_and(|c| c != "CNY") {
            return None;
        }
        let v = self.value? * 100.0;
        ((v - v.round()).abs() < 1e-6 && v.abs() < 1e15).then(|| v.round() as i64)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClaimDiagnosis {
    pub sequence: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub diagnosis_codeable_concept: Option<CodeableConcept>,
    /// `principal` or `secondary` (ex-diagnosistype).
    #[serde(default, rename = "type", skip_serializing_if = "Vec::is_empty")]
    pub type_: Vec<CodeableConcept>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClaimProcedure {
    pub sequence: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub procedure_codeable_concept: Option<CodeableConcept>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClaimInsurance {
    pub sequence: u32,
    pub focal: bool,
    /// The patient's scheme, by its identifier in [`systems::INSURANCE_TYPE`].
    pub coverage: Reference,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClaimItem {
    pub sequence: u32,
    /// The invoice item, in [`systems::COST_CATEGORY`].
    pub product_or_service: CodeableConcept,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub net: Option<Money>,
}

/// A hospital's claim for one in-patient stay.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Claim {
    /// Always `Claim`.
    pub resource_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The hospital's episode number, in `EPISODE_PREFIX{hospital}`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub identifier: Vec<Identifier>,
    #[serde(default)]
    pub status: String,
    #[serde(default, rename = "type")]
    pub type_: CodeableConcept,
    #[serde(default, rename = "use")]
    pub use_: String,
    #[serde(default)]
    pub patient: Reference,
    /// Admission and discharge.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub billable_period: Option<Period>,
    #[serde(default)]
    pub created: String,
    #[serde(default)]
    pub provider: Reference,
    #[serde(default)]
    pub priority: CodeableConcept,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub insurance: Vec<ClaimInsurance>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub diagnosis: Vec<ClaimDiagnosis>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub procedure: Vec<ClaimProcedure>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub item: Vec<ClaimItem>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total: Option<Money>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Adjudication {
    /// `submitted`, `benefit`, `copay` … (adjudication).
    pub category: CodeableConcept,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<Money>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<f64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClaimResponseItem {
    pub item_sequence: u32,
    pub adjudication: Vec<Adjudication>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClaimResponseTotal {
    pub category: CodeableConcept,
    pub amount: Money,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClaimResponsePayment {
    #[serde(rename = "type")]
    pub type_: CodeableConcept,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    pub amount: Money,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProcessNote {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number: Option<u32>,
    /// `display` or `print`.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub type_: Option<String>,
    pub text: String,
}

/// The insurer's answer to a claim.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClaimResponse {
    /// Always `ClaimResponse`.
    pub resource_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub identifier: Vec<Identifier>,
    pub status: String,
    #[serde(rename = "type")]
    pub type_: CodeableConcept,
    #[serde(rename = "use")]
    pub use_: String,
    pub patient: Reference,
    pub created: String,
    pub insurer: Reference,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requestor: Option<Reference>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<Reference>,
    /// `queued` (received, settled with its month) or `complete`.
    pub outcome: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disposition: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub item: Vec<ClaimResponseItem>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub total: Vec<ClaimResponseTotal>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payment: Option<ClaimResponsePayment>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub process_note: Vec<ProcessNote>,
}
