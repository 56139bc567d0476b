//! What the shared data pool answers and takes: records, access-log lines, consents, credentials,
//! riders and institutions, with personal data masked in lists.

use chrono::DateTime;
use chrono::NaiveDate;
use chrono::Utc;
use serde::Deserialize;
use serde::Serialize;
use utoipa::IntoParams;
use utoipa::ToSchema;

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PurposeQuery {
    /// own | case | consent | treatment | filing | supervision
    pub purpose: Option<String>,
    /// The case id, consent id or application id the purpose names.
    #[serde(rename = "ref")]
    #[param(value_type = Option<String>)]
    pub reference: Option<serde_json::Value>,
    /// The subject (ID number or credit code) when listing records.
    #[param(pattern = "^([0-9]{17}[0-9Xx]|[0-9A-HJ-NPQRTUWXYa-hj-npqrtuwxy]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXYa-hj-npqrtuwxy]{10})$")]
    pub subject: Option<String>,
    /// Also list superseded and revoked versions.
    pub history: Option<bool>,
}

/// The purpose of a read of one thing (a record version, a person in the register).
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ReadQuery {
    /// own | case | consent | treatment | filing | supervision
    pub purpose: Option<String>,
    /// The case id, consent id or application id the purpose names.
    #[serde(rename = "ref")]
    #[param(value_type = Option<String>)]
    pub reference: Option<serde_json::Value>,
}

// ---------------------------------------------------------------------------------------------
// Views.

#[derive(Debug, Serialize, ToSchema)]
pub struct RecordView {
    pub id: String,
    pub record_type: String,
    pub record_type_name: String,
    pub subject_kind: String,
    pub subject: String,
    pub department: String,
    pub department_name: Option<String>,
    pub issued_at: DateTime<Utc>,
    pub valid_until: Option<NaiveDate>,
    pub version: i64,
    pub supersedes: Option<String>,
    pub superseded_by: Option<String>,
    /// current | superseded | revoked | expired
    pub status: String,
    pub status_name: String,
    pub revoked_at: Option<DateTime<Utc>>,
    pub revoked_reason: Option<String>,
    pub application: Option<String>,
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AccessView {
    pub at: DateTime<Utc>,
    /// Who read: the organisation and the staff member's title (never another citizen's name).
    pub reader_org: Option<String>,
    pub reader_org_name: Option<String>,
    pub reader: Option<String>,
    pub resource: String,
    pub purpose: String,
    pub purpose_name: String,
    pub purpose_ref: Option<String>,
    pub basis: String,
    /// allowed | refused
    pub outcome: String,
    pub chain: i64,
    pub seq: i64,
    pub hash: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyBody {
    /// The credential text (MS1:…), as read from the QR code.
    pub credential: String,
    /// For the gate: the estate (小区) code.
    pub estate: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct VerifyView {
    pub valid: bool,
    /// certificate | rider_code
    pub kind: String,
    pub key_id: String,
    /// What the credential says (masked personal data).
    #[schema(value_type = Object)]
    pub body: serde_json::Value,
    /// For e-certificates: the record's current status (current, superseded, revoked, expired).
    pub record_status: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SinceQuery {
    /// RFC 3339 time; only credentials revoked since then.
    #[param(format = DateTime)]
    pub since: Option<String>,
}

/// A medical institution of the district.
#[derive(Debug, Serialize, ToSchema)]
pub struct InstitutionView {
    pub code: String,
    pub name: String,
    /// Its level's code and Chinese name.
    pub level: String,
    pub level_name: String,
    pub kind: String,
    pub division: String,
    /// Items (or `lab` / `imaging`) its results are recognised for (the HR mark).
    pub hr_items: Vec<String>,
}

// ---- records

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublishBody {
    pub record_type: String,
    /// The subject's ID number or unified social credit code.
    #[schema(pattern = "^([0-9]{17}[0-9Xx]|[0-9A-HJ-NPQRTUWXYa-hj-npqrtuwxy]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXYa-hj-npqrtuwxy]{10})$")]
    pub subject: String,
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
    pub valid_until: Option<NaiveDate>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CorrectBody {
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
    pub valid_until: Option<NaiveDate>,
    /// Why the record is corrected (kept in the log).
    pub reason: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReasonBody {
    pub reason: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CredentialView {
    pub id: String,
    /// certificate | rider_code
    pub kind: String,
    /// The text the QR code carries (MS1:…); verify with POST /api/pool/verify or offline.
    pub credential: String,
    pub key_id: String,
    /// The QR code as SVG.
    pub qr_svg: String,
    pub qr_version: Option<i16>,
    pub valid_until: Option<DateTime<Utc>>,
}

/// The body of a request that takes nothing: `{}` (or no body at all).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EmptyBody {}

// ---- the citizen's side: access log and consents

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsentBody {
    /// org (a department, institution or platform code) or account (an account id)
    #[schema(schema_with = crate::openapi::grantee_kinds)]
    pub grantee_kind: String,
    pub grantee: String,
    /// Record types covered, `*` for all, `health` for medical results.
    pub record_types: Vec<String>,
    /// What for, in the subject's words.
    pub purpose: String,
    /// Days the consent lasts (1–366: `pool::validity`).
    #[schema(minimum = 1, maximum = 366)]
    pub valid_days: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ConsentView {
    pub id: String,
    pub grantee_kind: String,
    pub grantee: String,
    pub grantee_name: String,
    pub record_types: Vec<String>,
    pub purpose: String,
    pub granted_at: DateTime<Utc>,
    pub valid_until: NaiveDate,
    pub active: bool,
    pub revoked_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RiderBody {
    /// The rider's resident ID number.
    #[schema(pattern = "^[0-9]{17}[0-9Xx]$")]
    pub id_number: String,
    pub phone: Option<String>,
    /// Estate codes the rider may enter, or ["*"].
    pub estates: Vec<String>,
    /// Days the rider code is valid (1–366: `pool::validity`).
    #[schema(minimum = 1, maximum = 366)]
    pub valid_days: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RiderView {
    pub id: String,
    /// Masked.
    pub name: String,
    pub id_number: String,
    pub phone: Option<String>,
    pub platform: String,
    pub platform_name: Option<String>,
    pub estates: Vec<String>,
    pub valid_from: DateTime<Utc>,
    pub valid_until: DateTime<Utc>,
    pub status: String,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct RiderQuery {
    pub platform: Option<String>,
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RiderNoticeBody {
    /// welfare (关爱福利) | policy (保障政策)
    #[schema(schema_with = crate::openapi::rider_notice_kinds)]
    pub kind: String,
    /// Only this platform's riders; all riders without it.
    pub platform: Option<String>,
    pub text: String,
    pub text_en: Option<String>,
}

// ---- recognition: decisions and figures

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionBody {
    /// accepted | retest
    #[schema(schema_with = crate::openapi::recognition_decisions)]
    pub decision: String,
    /// For a re-test: condition_changed | result_doubtful | emergency | patient_request | other
    #[schema(schema_with = crate::openapi::retest_reasons)]
    pub reason: Option<String>,
    pub note: Option<String>,
}

/// A recognition offer and the clinician's decision on it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OfferView {
    pub id: String,
    pub at: DateTime<Utc>,
    pub patient_key: String,
    pub item: String,
    pub ordering_institution: String,
    pub clinician: Option<String>,
    pub result_type: String,
    pub result_id: String,
    pub result_institution: String,
    pub price_fen: i64,
    pub decision: String,
    pub reason: Option<String>,
    pub note: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
}

impl From<store::Offer> for OfferView {
    fn from(o: store::Offer) -> OfferView {
        OfferView {
            id: o.id,
            at: o.at,
            patient_key: o.patient_key,
            item: o.item,
            ordering_institution: o.ordering_institution,
            clinician: o.clinician,
            result_type: o.result_type,
            result_id: o.result_id,
            result_institution: o.result_institution,
            price_fen: o.price_fen,
            decision: o.decision,
            reason: o.reason,
            note: o.note,
            decided_at: o.decided_at,
        }
    }
}

/// An estate riders may be allowed into.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EstateView {
    pub code: String,
    pub name: String,
    pub division: String,
    pub property_company: String,
}

impl From<store::Estate> for EstateView {
    fn from(e: store::Estate) -> EstateView {
        EstateView { code: e.code, name: e.name, division: e.division, property_company: e.property_company }
    }
}

/// What checking every chain of the access log found.
#[derive(Debug, Clone, Serialize)]
pub struct LogVerificationView {
    pub chains: usize,
    pub entries: u64,
    /// Where a chain is broken (empty when the log is intact).
    pub broken: Vec<pool::ChainBreak>,
}

impl From<store::LogVerification> for LogVerificationView {
    fn from(v: store::LogVerification) -> LogVerificationView {
        LogVerificationView { chains: v.chains, entries: v.entries, broken: v.broken }
    }
}
