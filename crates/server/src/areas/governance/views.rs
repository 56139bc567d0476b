//! What community governance takes and answers: estates and their parties, residents' issues with
//! their history (who declined and why), the queues of those who must act, permits and their
//! pushes, ledgers, budget lines and expenses with their reviews, meetings with their tallies,
//! projects with their inspections, Open311 clients. Owners and members are shown by name only to
//! those who may see them; account ids never leave the server in public answers.

use serde::Deserialize;
use serde::Serialize;
use utoipa::IntoParams;
use utoipa::ToSchema;

/// A party of an estate as given: its name and the logins of its members.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PartyBody {
    pub name: String,
    /// Logins (ID number, phone or staff login) of its members.
    pub members: Vec<String>,
}

/// An owner and their units.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OwnerBody {
    /// The owner's login (ID number or phone).
    pub login: String,
    pub units: Vec<UnitBody>,
}

/// A unit and its floor area.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UnitBody {
    /// 3-2-501
    pub number: String,
    /// Square metres, up to two decimals, as text ("89.50").
    pub area_m2: String,
}

/// Registers or replaces an estate (小区) with its parties, helpers and owners.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EstateBody {
    /// The estate's number in the district's register (routing rules name estates by it).
    pub id: u64,
    pub name: String,
    /// The community's division code (12 digits).
    pub community: String,
    pub lat: f64,
    pub lon: f64,
    #[serde(default)]
    pub party_branch: Option<PartyBody>,
    /// `owners_committee` (业委会) or `property_management_committee` (物管会).
    pub committee_kind: String,
    pub committee: PartyBody,
    #[serde(default)]
    pub property_company: Option<PartyBody>,
    /// The stationed community worker's (包小专) login.
    #[serde(default)]
    pub worker: Option<String>,
    /// Helper role code (liaison, grid_worker, mediator, lawyer, police, sanitation, fire,
    /// enforcement, doctor, market_regulator) → logins.
    #[serde(default)]
    pub helpers: std::collections::BTreeMap<String, Vec<String>>,
    #[serde(default)]
    pub owners: Vec<OwnerBody>,
}

/// A party as shown.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PartyView {
    /// party_branch | committee | property_company | community_worker
    pub kind: String,
    pub kind_label: String,
    pub name: String,
    pub members: usize,
}

/// An estate as anyone may see it.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = GovernanceEstateView)]
pub struct EstateView {
    pub id: String,
    pub name: String,
    pub community: String,
    pub community_name: String,
    pub town: String,
    pub town_name: String,
    pub lat: f64,
    pub lon: f64,
    /// owners_committee | property_management_committee
    pub committee_kind: String,
    pub parties: Vec<PartyView>,
    /// The ten helper roles present (十员), by label.
    pub helpers: Vec<String>,
    pub owners: usize,
    /// Total floor area of the owners' units, m².
    pub floor_area_m2: f64,
    pub open_issues: i64,
    /// The caller's parts in it (owner, committee, …), when signed in.
    pub my_parts: Vec<String>,
}

/// Estates, nearest first when a point is given.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct EstateQuery {
    /// A division code: its estates.
    #[serde(default)]
    pub community: Option<String>,
    /// Only the caller's estates.
    #[serde(default)]
    pub mine: Option<bool>,
}

/// One step of an issue's history.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = GovernanceStepView)]
pub struct StepView {
    pub at: String,
    pub action: String,
    pub action_label: String,
    pub state: String,
    /// Who acted, as a role in words (物业, 社区, 区综合行政执法局, 报告人, 系统).
    pub by: String,
    pub note: String,
}

/// Who declined an issue, as what, at which level and why.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DeclinedView {
    pub by: String,
    pub level: String,
    pub reason: String,
    pub at: String,
}

/// A residents' issue.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct IssueView {
    pub id: String,
    pub category: String,
    pub category_name: String,
    pub estate: String,
    pub estate_name: String,
    pub community: String,
    pub town: String,
    pub description: String,
    pub address: Option<String>,
    pub lat: f64,
    pub lon: f64,
    pub media_url: Option<String>,
    pub attributes: std::collections::BTreeMap<String, String>,
    /// routed | deliberating | in_progress | mediating | resolved | confirmed | declined
    pub state: String,
    pub state_label: String,
    /// Open311: open | closed
    pub status: String,
    pub status_notes: String,
    /// estate | community | street | district
    pub level: String,
    pub parties: Vec<String>,
    pub agreed: Vec<String>,
    pub plan: Option<String>,
    pub agency_responsible: String,
    pub department: String,
    pub dispute: bool,
    pub reported_at: String,
    pub updated_at: String,
    pub deadline: Option<String>,
    pub overdue: bool,
    pub escalations: usize,
    pub reopened: u32,
    pub declined: Option<DeclinedView>,
    pub agreement: Option<String>,
    /// Permits attached (noise complaints).
    pub permits: Vec<String>,
    /// Decisions that settle it (meeting, item).
    pub decisions: Vec<String>,
    pub history: Vec<StepView>,
    /// Whether the caller reported it.
    pub mine: bool,
    /// What the caller may do now (accept, agree, resolve, decline, escalate, start_mediation,
    /// record_agreement, note, confirm, reopen).
    pub can: Vec<String>,
}

/// A page of issues.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct IssuesView {
    pub issues: Vec<IssueView>,
    pub total: i64,
    pub limit: i64,
    pub offset: i64,
}

/// Filters of the issue lists.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct IssueQuery {
    #[serde(default)]
    pub estate: Option<String>,
    #[serde(default)]
    pub open: Option<bool>,
    #[serde(default)]
    pub limit: Option<i64>,
    #[serde(default)]
    pub offset: Option<i64>,
}

/// A report made on the platform's own pages or API (the Open311 API takes the same fields).
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportBody {
    pub service_code: String,
    /// The estate, when the resident chose it (else found from the point).
    #[serde(default)]
    pub estate: Option<String>,
    #[serde(default)]
    pub lat: Option<f64>,
    #[serde(default)]
    pub long: Option<f64>,
    #[serde(default)]
    pub address_string: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub media_url: Option<String>,
    #[serde(default)]
    pub attributes: std::collections::BTreeMap<String, String>,
}

/// Something done to an issue.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IssueActionBody {
    /// accept | agree | resolve | decline | escalate | start_mediation | record_agreement | note |
    /// confirm | reopen
    pub action: String,
    /// As which part, when the caller plays several (property_company, committee, party_branch,
    /// community_worker, mediator, community, street, department, resident).
    #[serde(default, rename = "as")]
    pub as_: Option<String>,
    /// The plan (agree), what was done (resolve), the reason (decline, escalate, reopen), the
    /// agreement (record_agreement) or the note.
    #[serde(default)]
    pub text: Option<String>,
    /// Logins of those who signed a mediated agreement (the reporter among them).
    #[serde(default)]
    pub signatories: Vec<String>,
}

/// A night-construction permit and where it was pushed.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PermitView {
    pub id: String,
    pub site_name: String,
    pub enterprise: String,
    pub holder: String,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub radius_m: Option<f64>,
    /// Each night's window, China time.
    pub windows: Vec<String>,
    pub supervisors: Vec<String>,
    pub pushed_to: Vec<String>,
    pub pushed_at: String,
    /// Noise complaints linked to it.
    pub complaints: i64,
    pub application: String,
}

/// A ledger entry.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EntryView {
    pub date: String,
    /// income | expense
    pub kind: String,
    /// advertising | parking | venue_rent | other (income)
    pub source: Option<String>,
    pub label: String,
    pub amount_fen: i64,
    pub note: String,
    pub expense: Option<String>,
}

/// A budget line and what is left on it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LineView {
    pub id: String,
    pub year: i32,
    pub name: String,
    pub budget_fen: i64,
    pub spent_fen: i64,
    pub committed_fen: i64,
    pub remaining_fen: i64,
}

/// An estate's public funds: the ledger residents read, the year's lines and statement.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FundsView {
    pub estate: String,
    pub estate_name: String,
    pub year: i32,
    pub balance_fen: i64,
    pub opening_fen: i64,
    pub income_fen: i64,
    pub expense_fen: i64,
    pub closing_fen: i64,
    pub entries: Vec<EntryView>,
    pub lines: Vec<LineView>,
    pub expenses: Vec<ExpenseView>,
}

/// Which year.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct YearQuery {
    #[serde(default)]
    pub year: Option<i32>,
}

/// Records public income.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IncomeBody {
    /// advertising | parking | venue_rent | other
    pub source: String,
    /// Yuan, as text ("1200.50").
    pub amount: String,
    /// YYYY-MM-DD
    pub date: String,
    pub note: String,
}

/// A budget line of a year.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LineBody {
    pub year: i32,
    pub name: String,
    /// Yuan, as text.
    pub amount: String,
}

/// A receipt.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReceiptBody {
    pub name: String,
    /// Yuan, as text.
    pub amount: String,
    /// The receipt's scan, uploaded by the caller (`POST /api/uploads`): its id.
    pub upload: String,
}

/// An expense application.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExpenseBody {
    pub line: String,
    /// Yuan, as text.
    pub amount: String,
    pub purpose: String,
    pub receipts: Vec<ReceiptBody>,
}

/// A review, a vote recorded or a payment.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExpenseActionBody {
    /// review | record_vote | pay
    pub action: String,
    /// review: passed or sent back.
    #[serde(default)]
    pub passed: Option<bool>,
    #[serde(default)]
    pub note: Option<String>,
    /// record_vote: the meeting and item whose passed decision approves it.
    #[serde(default)]
    pub meeting: Option<String>,
    #[serde(default)]
    pub item: Option<u32>,
    /// pay: the day paid (YYYY-MM-DD; today if not given).
    #[serde(default)]
    pub date: Option<String>,
}

/// A review as shown.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ReviewView {
    pub level: String,
    pub level_label: String,
    pub passed: bool,
    pub note: String,
    pub at: String,
    pub by: String,
}

/// An expense application.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ExpenseView {
    pub id: String,
    pub estate: String,
    pub line: String,
    pub line_name: String,
    pub amount_fen: i64,
    pub purpose: String,
    pub receipts: usize,
    /// submitted | self_checked | rechecked | verified | paid | rejected
    pub state: String,
    pub state_label: String,
    pub reviews: Vec<ReviewView>,
    pub needs_vote: bool,
    pub vote: Option<String>,
    pub submitted_at: String,
    pub paid_on: Option<String>,
}

/// A new meeting.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MeetingBody {
    /// owners_assembly | council | open_consultation
    pub kind: String,
    pub title: String,
}

/// Something done to a meeting.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MeetingActionBody {
    /// propose | open | attend | vote | close | write_minutes | approve_minutes
    pub action: String,
    #[serde(default)]
    pub title: Option<String>,
    /// propose (owners' assembly): the matter of art. 278 — rules_of_procedure,
    /// management_statute, committee, property_manager, use_maintenance_fund,
    /// raise_maintenance_fund, rebuild, common_parts, other_major.
    #[serde(default)]
    pub matter: Option<String>,
    /// propose: the issues the item would settle.
    #[serde(default)]
    pub issues: Vec<String>,
    /// vote: the item.
    #[serde(default)]
    pub item: Option<u32>,
    /// vote: for | against | abstain
    #[serde(default)]
    pub choice: Option<String>,
    /// write_minutes: the text and, for a change, why.
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub reason: Option<String>,
}

/// A count of people and floor area.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CountView {
    pub people: u64,
    pub area_m2: f64,
}

/// An item's tally.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TallyView {
    pub threshold: String,
    pub entitled: CountView,
    pub voted: CountView,
    #[serde(rename = "for")]
    pub for_: CountView,
    pub against: CountView,
    pub abstained: CountView,
    pub quorum: bool,
    pub passed: bool,
}

/// An agenda item.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct AgendaView {
    pub no: u32,
    pub title: String,
    pub matter: Option<String>,
    pub matter_label: Option<String>,
    pub issues: Vec<String>,
    pub ballots: usize,
    /// The caller's ballot, if any.
    pub my_vote: Option<String>,
    pub tally: Option<TallyView>,
}

/// A meeting.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MeetingView {
    pub id: String,
    pub estate: String,
    pub estate_name: String,
    pub kind: String,
    pub kind_label: String,
    pub title: String,
    /// draft | open | closed
    pub state: String,
    pub agenda: Vec<AgendaView>,
    pub attendance: usize,
    pub minutes: Option<String>,
    pub minutes_versions: usize,
    pub minutes_approved: bool,
}

/// A new project under supervision.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProjectBody {
    pub title: String,
    pub community: String,
    pub lat: f64,
    pub lon: f64,
    #[serde(default)]
    pub issues: Vec<String>,
    pub milestones: Vec<MilestoneBody>,
}

/// A milestone.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MilestoneBody {
    pub name: String,
    /// YYYY-MM-DD
    pub due: String,
}

/// A problem found at an inspection.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProblemBody {
    pub text: String,
    /// Photo URLs or uploaded files' ids.
    #[serde(default)]
    pub photos: Vec<String>,
    /// YYYY-MM-DD
    pub rectify_by: String,
}

/// Something done to a project.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProjectActionBody {
    /// reach | inspect | report_fixed | close_problem | complete | rate
    pub action: String,
    /// reach: the milestone's position (0-based).
    #[serde(default)]
    pub milestone: Option<usize>,
    /// inspect: the problems found (none: passed).
    #[serde(default)]
    pub problems: Vec<ProblemBody>,
    /// report_fixed, close_problem: the problem's number.
    #[serde(default)]
    pub problem: Option<u32>,
    #[serde(default)]
    pub note: Option<String>,
    /// rate: 1–5.
    #[serde(default)]
    pub stars: Option<u8>,
    /// The day (YYYY-MM-DD; today if not given).
    #[serde(default)]
    pub date: Option<String>,
}

/// A milestone as shown.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MilestoneView {
    pub name: String,
    pub due: String,
    pub reached: Option<String>,
    pub late: bool,
}

/// A problem as shown.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProblemView {
    pub no: u32,
    pub text: String,
    pub photos: Vec<String>,
    pub rectify_by: String,
    pub found_on: String,
    pub fixed: Option<String>,
    pub closed_on: Option<String>,
}

/// A project under supervision.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProjectView {
    pub id: String,
    pub title: String,
    pub community: String,
    pub town: String,
    pub lat: f64,
    pub lon: f64,
    /// under_way | completed
    pub state: String,
    pub issues: Vec<String>,
    pub milestones: Vec<MilestoneView>,
    pub problems: Vec<ProblemView>,
    pub open_problems: usize,
    pub completed_on: Option<String>,
    pub on_time: Option<bool>,
    pub ratings: usize,
    pub mean_rating: Option<f64>,
}

/// Registers an Open311 client application.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClientBody {
    pub name: String,
}

/// A client application; `api_key` only in the answer that made it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ClientView {
    pub id: String,
    pub name: String,
    pub created_at: String,
    pub revoked_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_key: Option<String>,
}

/// The cockpit's figures of one town and month.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TownMonthView {
    pub town: String,
    pub town_name: String,
    pub month: String,
    pub reported: u64,
    pub settled: u64,
    pub settled_in_time: u64,
    pub escalated: u64,
    /// Median hours from report to settled, of those settled.
    pub median_hours_to_settle: Option<f64>,
}

/// The area's figures: issues, funds and projects.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = GovernanceFiguresView)]
pub struct FiguresView {
    pub issues_reported: u64,
    pub issues_settled: u64,
    pub issues_open: u64,
    pub escalations: u64,
    pub median_hours_to_settle: Option<f64>,
    pub by_town_month: Vec<TownMonthView>,
    pub estates: u64,
    pub expense_applications: u64,
    pub expense_paid_fen: i64,
    pub expense_requested_fen: i64,
    pub projects: u64,
    pub projects_completed: u64,
    pub projects_on_time: u64,
    pub permits: u64,
    /// Noise complaints per permit (permit id → complaints).
    pub complaints_per_permit: std::collections::BTreeMap<String, u64>,
}
