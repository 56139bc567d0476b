//! What identity answers and takes: log-in requests, accounts, registration requests, claim codes
//! and wards.

use chrono::DateTime;
use chrono::NaiveDate;
use chrono::Utc;
use serde::Deserialize;
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// A resident's ID number, an enterprise's credit code, or a staff username.
    pub login: String,
    pub password: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AccountView {
    pub id: String,
    pub login: String,
    pub display_name: String,
    /// citizen | enterprise | staff
    pub kind: String,
    pub roles: Vec<String>,
    pub role_names: Vec<String>,
    pub department: Option<String>,
    pub department_name: Option<String>,
    pub division: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LoginResponse {
    /// Send as `Authorization: Bearer <token>`; the response also sets the `ms_session` cookie.
    pub token: String,
    pub expires_at: DateTime<Utc>,
    pub account: AccountView,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MeView {
    pub account: AccountView,
    /// The resident behind a citizen account (their own data, unmasked).
    pub person: Option<serde_json::Value>,
    pub enterprise: Option<serde_json::Value>,
}

// ---------------------------------------------------------------------------------------------
// Step one: a code to the phone.

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CodeRequest {
    /// 18-digit resident ID number.
    #[schema(pattern = "^[0-9]{17}[0-9Xx]$", example = "330183199001011232")]
    pub id_number: String,
    /// The name as in the population register (实名核验).
    pub name: String,
    /// The mainland mobile number the code goes to.
    #[schema(example = "13900001234")]
    pub phone: String,
    /// For an account opened at a service window: the claim code on the slip the window handed
    /// over (在窗口办理时领取的认领码).
    #[schema(example = "ABCD-EFGH")]
    pub claim_code: Option<String>,
}

/// The answer to every well-formed code request, whoever asks.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CodeSent {
    /// The phone the code was sent to, if it was, masked: `139****1234`.
    pub sent_to: String,
    pub expires_in_seconds: i64,
    pub message: String,
    pub message_en: String,
}

// ---------------------------------------------------------------------------------------------
// Step two: the account.

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    /// 18-digit resident ID number, as in step one.
    #[schema(pattern = "^[0-9]{17}[0-9Xx]$", example = "330183199001011232")]
    pub id_number: String,
    pub name: String,
    /// The phone the code was sent to.
    #[schema(example = "13900001234")]
    pub phone: String,
    /// The 6-digit code from the text message.
    #[schema(pattern = "^[0-9]{6}$", example = "123456")]
    pub code: String,
    /// 8–128 characters with letters and digits.
    pub password: String,
    /// For an account opened at a window: its claim code, as in step one.
    pub claim_code: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Claim codes.

/// A claim code for window staff to hand over, with what to tell the resident.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ClaimCodeView {
    /// As printed on the slip: `ABCD-EFGH`.
    pub code: String,
    pub expires_at: DateTime<Utc>,
    /// The resident's name, for the slip.
    pub name: String,
    /// What the resident does with it.
    pub instructions: String,
    pub instructions_en: String,
}

// ---------------------------------------------------------------------------------------------
// Guardians.

/// A minor in the caller's care, by the household register.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct WardView {
    /// Masked: `330183********1232`.
    pub id_number: String,
    pub name: String,
    pub birth_date: NaiveDate,
    /// Full years today.
    pub age: u32,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClaimCodeRequest {
    /// The resident's ID number.
    #[schema(pattern = "^[0-9]{17}[0-9Xx]$", example = "330183199001011232")]
    pub applicant: String,
}
