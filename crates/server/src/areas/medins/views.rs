//! What the medical-insurance area takes and answers: hospitals of the payment scheme and their
//! applications, in-patient episodes as hospitals send them, monthly settlements (a hospital sees
//! its own part) and the indicators per hospital, level and month. Patients' ID numbers are masked.

use serde::Deserialize;
use serde::Serialize;
use utoipa::IntoParams;
use utoipa::ToSchema;

// ---------------------------------------------------------------------------------------------
// Hospitals.

/// A hospital of the bed-day and DRG payment scheme.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct HospitalView {
    pub code: String,
    pub name: String,
    /// `tertiary` | `secondary` | `primary`.
    pub level: String,
    pub level_zh: String,
    /// `included` (in by inclusion) | `applied` (a tertiary hospital's application under review) |
    /// `approved` | `refused` | `not_in` (a tertiary hospital that has not applied).
    pub membership: String,
    pub membership_zh: String,
    /// In the scheme from this date (`YYYY-MM-DD`), if it is in.
    pub since: Option<String>,
    pub applied_at: Option<String>,
    pub decided_at: Option<String>,
    /// The bureau's note on its decision.
    pub note: Option<String>,
}

/// A tertiary hospital's application to join the scheme.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplyBody {
    /// Why, and from when the hospital is ready (free text).
    pub note: Option<String>,
}

/// The bureau's decision on an application.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = MedinsDecisionBody)]
pub struct DecisionBody {
    pub approve: bool,
    /// In the scheme from (`YYYY-MM-DD`; default: the first day of next month). Approvals only.
    pub since: Option<String>,
    /// Required when refusing: the reason the hospital is told.
    pub note: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Episodes.

/// One cost line of an episode.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CostLine {
    /// The in-patient invoice's item: `bed` 床位费 | `consultation` 诊查费 | `examination` 检查费 |
    /// `laboratory` 化验费 | `treatment` 治疗费 | `surgery` 手术费 | `nursing` 护理费 | `materials`
    /// 卫生材料费 | `western_medicine` 西药费 | `chinese_patent_medicine` 中成药费 |
    /// `chinese_herbal_medicine` 中药饮片费 | `other` 其他费.
    pub category: String,
    /// Amount in fen (分).
    pub fen: i64,
}

/// An in-patient episode as a hospital sends it (and as it is kept).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EpisodeInput {
    /// The hospital's code (a clinician may send only their own hospital's).
    pub hospital: String,
    /// The hospital's own episode number; with the hospital, it names the episode.
    pub id: String,
    /// The patient's ID number (the one identity).
    pub patient: String,
    /// `YYYY-MM-DD`.
    pub admitted: String,
    /// `YYYY-MM-DD`.
    pub discharged: String,
    /// Age in whole years at admission.
    pub age: u8,
    /// `male` | `female`.
    pub sex: String,
    /// Principal diagnosis, ICD-10 (医保版), e.g. `I63.9`.
    pub principal_dx: String,
    /// Other diagnoses, ICD-10.
    #[serde(default)]
    pub other_dx: Vec<String>,
    /// Procedures, ICD-9-CM-3, e.g. `81.54`.
    #[serde(default)]
    pub procedures: Vec<String>,
    pub costs: Vec<CostLine>,
    /// `employee` 职工医保 | `resident` 城乡居民医保.
    pub insurance: String,
}

/// Episodes to receive, all or none.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EpisodesBody {
    pub episodes: Vec<EpisodeInput>,
}

/// What became of episodes sent.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ReceivedView {
    /// New episodes kept.
    pub received: usize,
    /// Episodes sent before, exactly the same: nothing changed.
    pub unchanged: usize,
}

/// An episode in a list: the patient's ID number masked.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct EpisodeView {
    pub hospital: String,
    pub id: String,
    /// Masked: `330183********0012`.
    pub patient: String,
    pub admitted: String,
    pub discharged: String,
    pub length_of_stay: i64,
    pub principal_dx: String,
    pub procedures: Vec<String>,
    /// Total cost in fen.
    pub total_fen: i64,
    pub insurance: String,
    /// The DRG it falls in (code and name), as the grouper decides it today.
    pub drg: String,
    pub drg_name: String,
}

/// A page of episodes.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct EpisodesView {
    pub total: i64,
    pub episodes: Vec<EpisodeView>,
}

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct EpisodesQuery {
    /// A hospital's code (clinicians: their own, the default).
    pub hospital: Option<String>,
    /// `YYYY-MM` of the discharge.
    pub month: Option<String>,
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

// ---------------------------------------------------------------------------------------------
// Settlements.

/// The fund's budget for a month's settlement.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BudgetBody {
    /// The fund's budget for the month, in fen.
    pub budget_fen: i64,
}

/// What one hospital is paid for a month.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct HospitalPaymentView {
    pub hospital: String,
    pub name: String,
    pub episodes: usize,
    pub bed_day_episodes: usize,
    pub points: f64,
    /// What the fund pays, in fen.
    pub payment_fen: i64,
    /// What patients pay themselves, in fen.
    pub patient_share_fen: i64,
    /// Re-admissions within the window, flagged for review.
    pub readmissions: usize,
    pub outliers: usize,
}

/// One episode's settlement (patient masked).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct EpisodeSettlementView {
    pub hospital: String,
    pub episode: String,
    pub patient: String,
    pub drg: String,
    pub drg_name: String,
    /// `drg` | `bed_day`.
    pub kind: String,
    pub points: f64,
    /// `high` | `low`, if the cost makes it an outlier.
    pub outlier: Option<String>,
    /// The earlier episode this one re-admits within the window, flagged for review.
    pub readmission_of: Option<String>,
    pub payment_fen: i64,
    pub patient_share_fen: i64,
}

/// A month's settlement: a preview (not kept), or frozen, or approved.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SettlementView {
    /// `YYYY-MM`.
    pub month: String,
    /// `preview` | `frozen` | `approved`.
    pub status: String,
    pub budget_fen: i64,
    /// Fen per point: the budget ÷ all points.
    pub point_value: f64,
    pub total_points: f64,
    pub episodes: usize,
    /// Digest of everything settled: a re-run on the same data gives the same.
    pub digest: String,
    pub frozen_at: Option<String>,
    pub approved_at: Option<String>,
    pub hospitals: Vec<HospitalPaymentView>,
    /// Episodes settled (for a hospital: its own only). Paged by `limit`/`offset`.
    pub lines: Vec<EpisodeSettlementView>,
    pub lines_total: usize,
}

/// A month in the list of settlements.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SettlementSummaryView {
    pub month: String,
    pub status: String,
    pub budget_fen: i64,
    pub episodes: i64,
    pub digest: String,
}

/// Approving takes no options: an empty body, or `{}`.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApproveBody {}

#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct LinesQuery {
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

// ---------------------------------------------------------------------------------------------
// Indicators.

/// Average cost per stay, length of stay and re-admissions for a hospital and month.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct IndicatorView {
    pub hospital: String,
    pub level: String,
    /// `YYYY-MM`.
    pub month: String,
    pub episodes: usize,
    pub avg_cost_fen: i64,
    pub avg_length_of_stay: f64,
    pub readmission_rate: f64,
    /// Whether the hospital was in the scheme that month.
    pub in_scheme: bool,
}

/// A hospital's averages before and after it joined the scheme (the seed's figures: cost per
/// stay −7.5 %, length of stay 11.53 → 9.44 days).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct BeforeAfterView {
    pub hospital: String,
    pub before_avg_cost_fen: i64,
    pub after_avg_cost_fen: i64,
    /// Change in per cent (negative: fell).
    pub cost_change_pct: f64,
    pub before_avg_length_of_stay: f64,
    pub after_avg_length_of_stay: f64,
    pub length_of_stay_change_pct: f64,
}

/// The indicators.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct IndicatorsView {
    pub rows: Vec<IndicatorView>,
    pub before_after: Vec<BeforeAfterView>,
}
