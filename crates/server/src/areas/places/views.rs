//! What the places area takes and answers: childcare institutions with their free places and
//! walking times, families' applications with their rank and why, allocation rounds, the supply
//! figures; public rental housing eligibility explained, households on the waiting list with their
//! points, lottery draws anyone can verify, homes, offers and leases; 善居 projects. ID numbers are
//! masked in every list; account ids never leave the server in public answers.

use serde::Deserialize;
use serde::Serialize;
use utoipa::IntoParams;
use utoipa::ToSchema;

// ---------------------------------------------------------------------------------------------
// Childcare.

/// Places of one age class as given.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClassBody {
    /// `infant` (乳儿班, 6–12 months), `young_toddler` (托小班, 12–24) or `older_toddler` (托大班, 24–36).
    pub class: String,
    /// Groups (班) of this class.
    #[schema(minimum = 1, maximum = 100)]
    pub groups: u32,
    /// Licensed places (at most the groups times the national class size).
    #[schema(minimum = 1, maximum = 2500)]
    pub places: u32,
    /// Monthly fee in yuan, up to two decimals, as text ("2500.00").
    pub monthly_fee_yuan: String,
}

/// Registers or changes a childcare institution (卫健 staff).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InstitutionBody {
    /// Given to change an institution; left out to register a new one.
    #[serde(default)]
    pub id: Option<u64>,
    pub name: String,
    /// `public`, `community`, `kindergarten`, `employer` or `private`.
    pub kind: String,
    /// The employer's unified social credit code (employer-run institutions only).
    #[serde(default)]
    pub employer: Option<String>,
    /// The community's division code (12 digits); the town follows from it.
    pub community: String,
    pub lat: f64,
    pub lon: f64,
    /// `open` (default), `suspended` or `closed`.
    #[serde(default)]
    pub status: Option<String>,
    /// Opening time, "07:30".
    pub opens: String,
    /// Closing time, "17:30".
    pub closes: String,
    /// Days open, 1 = Monday … 7 = Sunday.
    pub weekdays: Vec<u8>,
    pub classes: Vec<ClassBody>,
    /// Carers (保育人员).
    #[schema(maximum = 10000)]
    pub carers: u32,
    /// Health staff (保健人员).
    #[serde(default)]
    #[schema(maximum = 10000)]
    pub health_staff: u32,
    /// The published priority criteria in order (`sibling`, `hardship`, `workplace`, `walking`);
    /// left out: the district's default order.
    #[serde(default)]
    pub priority: Vec<String>,
}

/// An inspection of an institution.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InspectionBody {
    /// The day, "2026-12-01".
    pub date: String,
    /// `pass` or `fail`.
    pub result: String,
    #[serde(default)]
    pub findings: Vec<String>,
}

/// Which institutions to list.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InstitutionQuery {
    /// A town's division code.
    pub town: Option<String>,
    /// Home, for walking times: latitude.
    pub lat: Option<f64>,
    /// Home, for walking times: longitude.
    pub lon: Option<f64>,
    /// Only those with the age class (`infant`, `young_toddler`, `older_toddler`).
    pub class: Option<String>,
    /// Closed and suspended institutions too (staff).
    pub all: Option<bool>,
}

/// An age class's places at an institution.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ClassView {
    pub class: String,
    pub class_label: String,
    pub groups: u32,
    pub places: u32,
    /// Held by enrolled children.
    pub enrolled: u32,
    /// Offered and not yet answered.
    pub offered: u32,
    pub free: u32,
    pub monthly_fee_yuan: String,
}

/// An inspection.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct InspectionView {
    pub date: String,
    pub inspector: String,
    pub result: String,
    pub findings: Vec<String>,
}

/// A priority criterion as published.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CriterionView {
    pub code: String,
    pub label: String,
    pub label_en: String,
}

/// A childcare institution.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = ChildcareInstitutionView)]
pub struct InstitutionView {
    pub id: String,
    pub name: String,
    pub kind: String,
    pub kind_label: String,
    pub employer: Option<String>,
    pub town: String,
    pub town_name: String,
    pub community: String,
    pub lat: f64,
    pub lon: f64,
    pub status: String,
    pub status_label: String,
    /// "07:30–17:30".
    pub hours: String,
    pub weekdays: Vec<u8>,
    pub classes: Vec<ClassView>,
    pub carers: u32,
    pub health_staff: u32,
    pub inspections: Vec<InspectionView>,
    /// The priority rules in order; the seeded tie-break comes last.
    pub priority: Vec<CriterionView>,
    /// Walking minutes from the home given (through the streets where the network is loaded).
    pub walking_minutes: Option<u32>,
    /// `street_network` or `straight_line` (× 1.3).
    pub walking_method: Option<String>,
}

/// A family applies for a childcare place.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChildcareApplyBody {
    /// The child's ID number: a child of the applicant's household in the register.
    pub child: String,
    /// The wished start day, "2027-03-01".
    pub start_date: String,
    /// Institution ids, most wanted first (1–5).
    pub preferences: Vec<String>,
    /// Home, for walking times.
    #[serde(default)]
    pub home_lat: Option<f64>,
    #[serde(default)]
    pub home_lon: Option<f64>,
}

/// A criterion's value for a family.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FactorView {
    pub criterion: String,
    pub label: String,
    /// "是" / "否", minutes, or the tie-break number.
    pub value: String,
}

/// Why a family did not get a preference, with its place on the waiting list.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WhyView {
    pub institution: String,
    pub institution_name: String,
    pub class_label: String,
    /// 1 = first choice.
    pub preference: usize,
    /// Place on the institution's waiting list for the class (1 = next).
    pub waiting_rank: Option<usize>,
    pub reason: String,
    pub yours: Vec<FactorView>,
    /// The last family admitted.
    pub cutoff: Vec<FactorView>,
    pub text: String,
    pub text_en: String,
}

/// A place offered or held.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PlaceView {
    pub id: String,
    pub institution: String,
    pub institution_name: String,
    pub class_label: String,
    pub state: String,
    pub state_label: String,
    pub monthly_fee_yuan: String,
    pub offered_on: String,
    pub start_date: Option<String>,
    pub last_day: Option<String>,
    /// The fee for this month so far (pro rata by days enrolled).
    pub fee_this_month_yuan: Option<String>,
}

/// A family's application.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = ChildcareApplicationView)]
pub struct ApplicationView {
    pub id: String,
    /// Masked.
    pub child: String,
    pub child_name: String,
    pub birth_date: String,
    pub class: String,
    pub class_label: String,
    pub start_date: String,
    /// `waiting`, `offered`, `enrolled`, `withdrawn` or `closed`.
    pub state: String,
    pub state_label: String,
    pub preferences: Vec<PreferenceView>,
    pub hardship: bool,
    pub submitted_at: String,
    /// The last allocation round that considered it.
    pub round: Option<String>,
    /// For each preference above the one it got: rank and why.
    pub why: Vec<WhyView>,
    pub place: Option<PlaceView>,
}

/// A preference.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PreferenceView {
    pub institution: String,
    pub name: String,
    pub walking_minutes: Option<u32>,
}

/// What a family does with its application or place.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChildcareActionBody {
    /// `accept` (an offered place), `decline` (an offered place), `withdraw` (the application
    /// while waiting) or `leave` (an enrolled place, with `last_day`).
    pub action: String,
    /// `accept`: the first day (default: the wished start day).
    #[serde(default)]
    pub start_date: Option<String>,
    /// `leave`: the last day in care.
    #[serde(default)]
    pub last_day: Option<String>,
}

/// Runs an allocation round.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoundBody {
    /// The published seed of the tie-break numbers; left out: one is drawn and published.
    #[serde(default)]
    pub seed: Option<String>,
}

/// An allocation round.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RoundView {
    pub id: String,
    pub at: String,
    pub seed: String,
    pub applications: usize,
    pub offered: usize,
    pub waiting: usize,
    /// Institutions × classes with free places left after the round.
    pub seats_left: u64,
}

/// One town's (or the district's) childcare supply.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SupplyView {
    pub town: Option<String>,
    pub town_name: String,
    pub institutions: u64,
    pub licensed_places: u64,
    pub enrolled: u64,
    pub empty_places: u64,
    /// Enrolled ÷ places, percent.
    pub utilisation_pct: Option<f64>,
    pub residents: u64,
    pub places_per_1000: Option<f64>,
    pub norm_per_1000: f64,
    pub places_short_of_norm: u64,
    pub children_under_3: u64,
    pub places_per_child: Option<f64>,
    pub families_waiting: u64,
}

/// The childcare figures: per town and for the district, with the norm and its source.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ChildcareFiguresView {
    pub on: String,
    pub norm_per_1000: f64,
    pub norm_source: String,
    pub towns: Vec<SupplyView>,
    pub district: SupplyView,
}

// ---------------------------------------------------------------------------------------------
// Public rental housing.

/// One criterion of eligibility: the fact, the threshold, met or not, and where the rule is from.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EligibilityCriterionView {
    pub code: String,
    pub value: String,
    pub threshold: String,
    pub met: bool,
    pub text: String,
    pub text_en: String,
    pub source: String,
}

/// Whether a household qualifies, criterion by criterion, from the registers.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct EligibilityView {
    pub on: String,
    pub eligible: bool,
    pub verdict: String,
    pub verdict_en: String,
    pub criteria: Vec<EligibilityCriterionView>,
}

/// A family applies for public rental housing (the `public-rental` bundle is filed for it).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HousingApplyBody {
    /// `home` (实物配租: wait for a home, with the rent subsidy meanwhile) or `subsidy` (租赁补贴 only).
    pub route: String,
    #[serde(default)]
    pub contact_phone: Option<String>,
}

/// A line of a household's points.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PointsLineView {
    pub criterion: String,
    pub label: String,
    pub value: u32,
    pub points: u32,
}

/// A group of a draw: its share of homes, its applicants (application numbers) and their digest,
/// and after the draw the order.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DrawGroupView {
    pub code: String,
    pub label: String,
    pub share_percent: u32,
    pub homes: u32,
    pub applicants: Vec<String>,
    pub applicants_digest: String,
    pub order: Vec<String>,
    /// The caller's place in the order (1 = first).
    pub my_position: Option<usize>,
}

/// A lottery draw as published.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DrawView {
    pub id: String,
    pub title: String,
    pub homes_total: u32,
    /// SHA-256 of the seed, published before the draw.
    pub seed_sha256: String,
    pub committed_at: String,
    /// The seed, published at the draw.
    pub seed: Option<String>,
    pub drawn_at: Option<String>,
    pub groups: Vec<DrawGroupView>,
}

/// Commits a draw.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DrawBody {
    pub title: String,
    /// Homes to be allocated by it.
    #[schema(minimum = 1, maximum = 100000)]
    pub homes: u32,
}

/// The seed to re-run a draw with.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct VerifyQuery {
    /// 64 lower-case hex characters.
    pub seed: Option<String>,
}

/// A draw re-run and found the same.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = DrawVerifyView)]
pub struct VerifyView {
    pub id: String,
    pub reproduced: bool,
    pub seed_sha256: String,
    pub text: String,
    pub text_en: String,
}

/// A home (房源) to add.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = HousingUnitBody)]
pub struct UnitBody {
    /// The estate (公租房小区).
    pub estate: String,
    pub building: String,
    pub number: String,
    /// Square metres, "45.60".
    pub floor_area_m2: String,
    pub rooms: u8,
    /// Market rent per month in yuan, "1800.00".
    pub market_rent_yuan: String,
}

/// A home.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = HousingUnitView)]
pub struct UnitView {
    pub id: String,
    pub estate: String,
    pub building: String,
    pub number: String,
    pub floor_area_m2: String,
    pub rooms: u8,
    pub market_rent_yuan: String,
    /// vacant | offered | let | under_repair
    pub status: String,
}

/// An offer of a home.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = HousingOfferView)]
pub struct OfferView {
    pub id: String,
    pub unit: Option<UnitView>,
    pub made_on: String,
    pub deadline: String,
    /// open | accepted | refused | expired
    pub state: String,
    pub reason: Option<String>,
}

/// A household answers its offer.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OfferAnswerBody {
    /// `accept` or `refuse`.
    pub action: String,
    #[serde(default)]
    pub reason: Option<String>,
}

/// A lease.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LeaseView {
    pub id: String,
    pub unit: Option<UnitView>,
    pub start: String,
    pub end: String,
    pub monthly_rent_yuan: String,
    pub market_rent_yuan: String,
    pub rent_band: String,
    pub rent_percent: u32,
    pub next_requalification: String,
    /// active | notice_to_leave | ended
    pub state: String,
    pub leave_by: Option<String>,
}

/// What the housing department does with a lease.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LeaseActionBody {
    /// `requalify` (on today's register facts) or `move_out`.
    pub action: String,
}

/// A household's housing application, with its points, rank, draws, offer and lease.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HouseholdView {
    pub id: String,
    /// The head's name (masked in staff lists).
    pub head: String,
    /// Masked.
    pub head_id_number: String,
    pub members: usize,
    pub town: String,
    pub route: String,
    /// applied | waiting | offered | housed | refused | withdrawn
    pub state: String,
    pub state_label: String,
    pub applied_at: String,
    pub qualified_at: Option<String>,
    /// The one-thing application filed for it.
    pub application: Option<String>,
    pub points: u32,
    pub points_lines: Vec<PointsLineView>,
    /// Place on the points list (1 = first).
    pub rank: Option<u32>,
    /// The lottery group it falls in.
    pub group: Option<String>,
    pub refusals: u32,
    pub barred_until: Option<String>,
    /// The rent subsidy is paid while it waits.
    pub subsidy: bool,
    pub draws: Vec<DrawView>,
    pub offer: Option<OfferView>,
    pub lease: Option<LeaseView>,
}

/// How many are in a state.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct StateCount {
    pub state: String,
    pub count: usize,
}

/// The housing figures for the cockpit.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HousingFiguresView {
    pub applied: usize,
    pub waiting: usize,
    pub offered: usize,
    pub housed: usize,
    pub refused: usize,
    pub receiving_subsidy: usize,
    pub offers_made: usize,
    pub offers_accepted: usize,
    pub offers_refused: usize,
    pub leases_active: usize,
    pub draws: usize,
    pub shanju_per_state: Vec<StateCount>,
    pub shanju_median_days: Option<f64>,
    pub shanju_satisfaction: Option<f64>,
    pub shanju_budget_yuan: String,
    pub shanju_spend_yuan: String,
}

// ---------------------------------------------------------------------------------------------
// 善居工程.

/// Opens a 善居 project.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShanjuBody {
    /// The resident's ID number.
    pub resident: String,
    pub address: String,
    /// Why the family qualifies (低保, 特困, 残疾 …).
    pub basis: String,
}

/// A planned work item.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShanjuItemBody {
    pub description: String,
    pub cost_yuan: String,
}

/// A step of a 善居 project.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShanjuActionBody {
    /// `survey`, `plan`, `engage`, `start`, `inspect`, `close` (the housing department) or `rate`
    /// (the resident).
    pub action: String,
    /// `survey`: findings; `inspect`: what to rectify.
    #[serde(default)]
    pub notes: Vec<String>,
    /// `plan`.
    #[serde(default)]
    pub items: Vec<ShanjuItemBody>,
    #[serde(default)]
    pub budget_yuan: Option<String>,
    /// `engage`.
    #[serde(default)]
    pub contractor: Option<String>,
    #[serde(default)]
    pub credit_code: Option<String>,
    /// `inspect`.
    #[serde(default)]
    pub passed: Option<bool>,
    /// `close`: what it cost.
    #[serde(default)]
    pub cost_yuan: Option<String>,
    /// `rate`: 1–5.
    #[serde(default)]
    pub score: Option<u8>,
    #[serde(default)]
    pub comment: Option<String>,
}

/// A 善居 project.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ShanjuView {
    pub id: String,
    /// Masked.
    pub resident: String,
    pub address: String,
    pub basis: String,
    pub state: String,
    pub opened_on: String,
    pub findings: Vec<String>,
    pub items: Vec<String>,
    pub budget_yuan: Option<String>,
    pub contractor: Option<String>,
    pub inspections: Vec<String>,
    pub completed_on: Option<String>,
    pub satisfaction: Option<u8>,
    pub actual_cost_yuan: Option<String>,
}

/// A town filter.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TownQuery {
    /// A town's division code (9 digits).
    pub town: Option<String>,
}
