//! HL7 FHIR R4 resources as serde structs (JSON form, camelCase names, absent elements left out):
//! Patient (several identifiers), Observation, DiagnosticReport, ImagingStudy (the imaging
//! cloud's index), ServiceRequest, Bundle (with paging links), DetectedIssue and
//! OperationOutcome, the data types they use, and `validate` for the rules an import checks
//! (required elements, value sets, id and date formats); and the financial Claim and
//! ClaimResponse of medical insurance (`claim`).

pub mod claim;
mod types;
mod validate;

pub use types::*;
pub use validate::{check_date_time, check_id, validate};

/// Systems of identifiers and codes used by the district.
pub mod systems {
    /// 居民身份证号码 (GB 11643).
    pub const RESIDENT_ID: &str = "urn:oid:2.16.156.10011.1.1";
    /// 医保电子凭证 / medical insurance card number.
    pub const INSURANCE_CARD: &str = "https://minsheng.fuyang.gov.cn/fhir/sid/medical-insurance-card";
    /// A hospital's medical record number (MRN), qualified by institution code.
    pub const MRN_PREFIX: &str = "https://minsheng.fuyang.gov.cn/fhir/sid/mrn/";
    pub const LOINC: &str = "http://loinc.org";
    /// Local codes of recognisable items without a LOINC code (imaging, panels).
    pub const LOCAL_ITEM: &str = "https://minsheng.fuyang.gov.cn/fhir/CodeSystem/recognition-item";
    /// Institution codes.
    pub const INSTITUTION: &str = "https://minsheng.fuyang.gov.cn/fhir/sid/institution";
    /// The HR mark (互认标识) as a meta tag.
    pub const MARK: &str = "https://minsheng.fuyang.gov.cn/fhir/CodeSystem/recognition-mark";
    pub const DETECTED_ISSUE: &str = "https://minsheng.fuyang.gov.cn/fhir/CodeSystem/detected-issue";
    pub const V2_0074: &str = "http://terminology.hl7.org/CodeSystem/v2-0074";
    pub const OBSERVATION_CATEGORY: &str = "http://terminology.hl7.org/CodeSystem/observation-category";
    pub const DICOM_DCM: &str = "http://dicom.nema.org/resources/ontology/DCM";
    pub const UCUM: &str = "http://unitsofmeasure.org";
    pub const V2_0203: &str = "http://terminology.hl7.org/CodeSystem/v2-0203";
}

/// The MIME type of FHIR JSON.
pub const FHIR_JSON: &str = "application/fhir+json";

#[cfg(test)]
mod tests;
