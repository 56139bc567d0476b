//! What the welfare area takes and answers: the benefit catalog, a person's benefits and why,
//! entitlements, objections, monthly payout runs, households found in difficulty and their visits,
//! each household's happiness list, and the cockpit's figures. ID numbers are masked in lists.

use serde::Deserialize;
use serde::Serialize;
use utoipa::IntoParams;
use utoipa::ToSchema;

// ---------------------------------------------------------------------------------------------
// The catalog.

/// A benefit paid without applying.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct BenefitView {
    pub code: String,
    pub name: String,
    pub name_en: String,
    pub department: String,
    pub department_name: String,
    pub legal_basis: String,
    /// The eligibility rule as written in the catalog.
    pub eligibility: String,
    /// The amount, described (`60.00 元/月`, by band, or the formula).
    pub amount: String,
    pub arrears_months: u32,
}

/// A fact the rules read, with where it comes from.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct FactView {
    pub name: String,
    /// `int` or `bool`.
    pub r#type: String,
    pub label_zh: String,
    pub label_en: String,
    pub source: String,
}

/// The catalog: benefits, the facts they are decided on, and the parameters.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CatalogView {
    pub benefits: Vec<BenefitView>,
    pub facts: Vec<FactView>,
    pub params: Vec<ParamView>,
}

/// A parameter of the rules (a standard such as the minimum living standard).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ParamView {
    pub name: String,
    pub value: i64,
    pub label_zh: String,
    pub label_en: String,
    pub source: String,
}

// ---------------------------------------------------------------------------------------------
// Decisions and entitlements.

/// One clause of a rule, with the facts it read and whether it held.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ReasonView {
    pub clause: String,
    /// The facts it read: (name, label, value).
    pub values: Vec<FactValueView>,
    /// `true`, `false`, or `null` when a fact it needs is not known.
    pub holds: Option<bool>,
}

/// A fact's value as a rule read it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct FactValueView {
    pub fact: String,
    pub label_zh: String,
    pub label_en: String,
    pub value: String,
}

/// Whether a person is entitled to a benefit today, and why.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DecisionView {
    pub benefit: String,
    pub name: String,
    pub name_en: String,
    pub department_name: String,
    /// `entitled`, `not_entitled` or `unknown` (a fact it needs is not held: the person may be
    /// entitled).
    pub outcome: String,
    /// Fen a month, when entitled.
    pub amount_fen: Option<i64>,
    /// The facts not known, when `unknown`.
    pub missing: Vec<String>,
    pub reasons: Vec<ReasonView>,
}

/// A person's entitlement to a benefit.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct EntitlementView {
    /// The ID number, masked.
    pub person: String,
    pub benefit: String,
    pub benefit_name: String,
    /// `open` or `closed`.
    pub status: String,
    pub amount_fen: i64,
    pub opened_on: String,
    pub closed_on: Option<String>,
    /// `registers` (found by the platform, without applying) or `objection`.
    pub source: String,
    pub division: String,
}

/// What happened to an entitlement, and why.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct EventView {
    pub benefit: String,
    pub benefit_name: String,
    /// `opened`, `closed` or `amount`.
    pub kind: String,
    pub amount_fen: i64,
    pub at: String,
    /// What set it off: a record type (`death_medical_cert` …), `sweep` (the daily check), `objection`.
    pub cause: String,
    pub reason_zh: String,
    pub reason_en: String,
}

/// A person's benefits: what they receive, every benefit's decision today with its reasons,
/// what changed, and their objections.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PersonBenefitsView {
    /// The ID number, masked.
    pub person: String,
    pub name: String,
    pub on: String,
    pub receiving: Vec<EntitlementView>,
    pub decisions: Vec<DecisionView>,
    pub events: Vec<EventView>,
    pub objections: Vec<ObjectionView>,
}

/// A page of entitlements.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct EntitlementsView {
    pub total: i64,
    pub entitlements: Vec<EntitlementView>,
}

/// Filters of the entitlement list.
#[derive(Debug, Clone, Default, Deserialize, IntoParams, ToSchema)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EntitlementQuery {
    pub benefit: Option<String>,
    /// `open` or `closed`.
    pub status: Option<String>,
    /// A division code: that division and those below it.
    pub division: Option<String>,
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

/// What a re-evaluation did.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct SweepView {
    pub people: u64,
    pub opened: u64,
    pub closed: u64,
    pub changed: u64,
    /// Households found in difficulty (new or with new reasons).
    pub flagged: u64,
}

// ---------------------------------------------------------------------------------------------
// Objections.

/// A person objects to a decision (theirs).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ObjectionBody {
    pub benefit: String,
    /// Why (up to 1,000 characters).
    pub text: String,
}

/// An objection and its answer.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ObjectionView {
    pub id: String,
    /// The ID number, masked.
    pub person: String,
    pub benefit: String,
    pub benefit_name: String,
    pub department: String,
    pub text: String,
    /// `open`, `upheld` or `rejected`.
    pub status: String,
    pub answer: Option<String>,
    pub created_at: String,
    pub decided_at: Option<String>,
}

/// The department's answer to an objection.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecideObjectionBody {
    /// Upheld: the benefit is opened from the objection (when the rule's facts are wrong, the
    /// department corrects its records instead and the benefit follows).
    pub uphold: bool,
    /// The answer the person reads (required, up to 1,000 characters).
    pub answer: String,
}

// ---------------------------------------------------------------------------------------------
// Runs.

/// Which month's run.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RunBody {
    /// `YYYY-MM`.
    pub month: String,
    /// The department (administrators only; staff run their own department's benefits).
    pub department: Option<String>,
}

/// A benefit's part of a run.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RunTotalView {
    pub benefit: String,
    pub benefit_name: String,
    pub people: u64,
    pub lines: u64,
    pub amount_fen: i64,
    pub recoveries_fen: i64,
}

/// A payment line.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PaymentView {
    pub line: i64,
    /// The ID number, masked.
    pub person: String,
    pub name: String,
    pub benefit: String,
    pub benefit_name: String,
    pub month: String,
    pub amount_fen: i64,
    /// `regular` or `arrears`.
    pub kind: String,
    /// `planned`, `held` (no bank account known), `paid` or `failed`.
    pub status: String,
    pub failure: Option<String>,
}

/// Money to recover.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RecoveryView {
    /// The ID number, masked.
    pub person: String,
    pub benefit: String,
    pub month: String,
    pub amount_fen: i64,
    pub reason_zh: String,
    pub reason_en: String,
    pub status: String,
}

/// A run: previewed (not stored), or frozen and on its way to the bank.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RunView {
    /// Empty for a preview.
    pub id: String,
    pub month: String,
    pub department: String,
    pub department_name: String,
    /// `preview`, `frozen`, `approved`, `exported` or `returned`.
    pub status: String,
    pub digest: String,
    pub lines: i64,
    pub amount_fen: i64,
    pub recoveries_fen: i64,
    pub totals: Vec<RunTotalView>,
    pub frozen_at: Option<String>,
    pub approved_at: Option<String>,
    pub exported_at: Option<String>,
    pub returned_at: Option<String>,
    /// The first lines (a preview, or a run's page).
    pub payments: Vec<PaymentView>,
    pub recoveries: Vec<RecoveryView>,
    /// Lines held for want of a bank account.
    pub held: i64,
    pub paid: i64,
    pub failed: i64,
}

/// What the bank's return file did.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ReturnedView {
    pub paid: u64,
    pub failed: u64,
    /// Lines sent that the file did not answer (a partial return).
    pub unanswered: u64,
    pub run: RunView,
}

// ---------------------------------------------------------------------------------------------
// Discovery and visits.

/// Why a household was flagged.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct FlagReasonView {
    pub code: String,
    /// The member it is about, masked.
    pub person: Option<String>,
    pub zh: String,
    pub en: String,
    pub weight: u32,
}

/// A household found in difficulty (or that asked for help), for a community worker.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct FlagView {
    pub household: String,
    pub division: String,
    pub division_name: String,
    pub score: i64,
    pub reasons: Vec<FlagReasonView>,
    /// `proactive` (found from shared records) or `application` (the household asked).
    pub origin: String,
    /// `open`, `visited`, `enrolled` or `closed`.
    pub status: String,
    pub found_at: String,
    pub visited_at: Option<String>,
    pub outcome: Option<String>,
    /// The relief services the household was enrolled in.
    pub services: Vec<String>,
    /// Members (masked ID numbers and names).
    pub members: Vec<MemberView>,
    /// Services of the directory that help with its reasons.
    pub suggested: Vec<ServiceBrief>,
}

/// A household member, masked.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct MemberView {
    pub person: String,
    pub name: String,
    pub relation: String,
    pub age: i64,
}

/// A relief service, briefly.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ServiceBrief {
    pub id: String,
    pub name: String,
    pub provider: String,
}

/// Filters of the worklist.
#[derive(Debug, Clone, Default, Deserialize, IntoParams, ToSchema)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct FlagQuery {
    /// A division code (workers see their own division only).
    pub division: Option<String>,
    /// `open`, `visited`, `enrolled` or `closed`.
    pub status: Option<String>,
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

/// A community worker's visit.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VisitBody {
    /// `enrolled` (the household gets relief), `no_need` or `referred` (to a department).
    pub outcome: String,
    /// What the worker found (required, up to 1,000 characters).
    pub note: String,
    /// Ids of the directory's services the household is enrolled in (with `enrolled`).
    #[serde(default)]
    pub services: Vec<String>,
}

/// A resident asks for help (the household is put on the worklist as an application).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HelpBody {
    /// What is wrong (up to 1,000 characters).
    pub text: String,
}

// ---------------------------------------------------------------------------------------------
// The happiness list.

/// The period of a happiness list.
#[derive(Debug, Clone, Default, Deserialize, IntoParams, ToSchema)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PeriodQuery {
    /// First month, `YYYY-MM` (default: eleven months before `to`).
    pub from: Option<String>,
    /// Last month, `YYYY-MM` (default: this month).
    pub to: Option<String>,
}

/// One thing a household received.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct HappinessLine {
    /// The member, masked.
    pub person: String,
    pub name: String,
    /// `allowance` (money paid), `relief` (a service), `record` (a decision another department holds).
    pub kind: String,
    pub item: String,
    pub item_en: String,
    pub source: String,
    /// Months paid (allowances).
    pub months: Vec<String>,
    /// Fen in the period (allowances), else null.
    pub amount_fen: Option<i64>,
}

/// Something a household might be entitled to, and what would settle it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PossibleView {
    pub person: String,
    pub name: String,
    pub item: String,
    pub item_en: String,
    pub how_zh: String,
    pub how_en: String,
}

/// Everything a household received in a period, across departments (幸福清单), apart from
/// what it might be entitled to.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct HappinessView {
    pub household: String,
    pub from: String,
    pub to: String,
    pub members: Vec<MemberView>,
    pub received: Vec<HappinessLine>,
    pub total_fen: i64,
    pub possible: Vec<PossibleView>,
}

// ---------------------------------------------------------------------------------------------
// The directory.

/// Search of the relief directory.
#[derive(Debug, Clone, Default, Deserialize, IntoParams, ToSchema)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DirectoryQuery {
    /// Words in the name or description.
    pub q: Option<String>,
    /// A town's 9-digit code.
    pub town: Option<String>,
    /// A discovery reason code the service helps with (`low_income`, `elder_alone` …).
    pub signal: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Figures.

/// Beneficiaries and money of a benefit in a town.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct BenefitFigure {
    pub benefit: String,
    pub benefit_name: String,
    pub town: String,
    pub town_name: String,
    /// People with the benefit open now.
    pub beneficiaries: i64,
    /// Fen a month now.
    pub monthly_fen: i64,
    /// Fen paid (or on its way) in every run so far.
    pub paid_fen: i64,
}

/// The welfare figures for the cockpit.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct WelfareFiguresView {
    pub by_benefit_town: Vec<BenefitFigure>,
    /// Households enrolled in relief found proactively, and by their own application.
    pub enrolled_proactive: i64,
    pub enrolled_application: i64,
    /// Households on the worklist, found proactively / by application.
    pub flagged_proactive: i64,
    pub flagged_application: i64,
    /// The seed's indicator: elders aged 80–99 registered here, and how many receive the
    /// old-age allowance without having applied.
    pub elders_80_99: i64,
    pub elders_80_99_receiving: i64,
}
