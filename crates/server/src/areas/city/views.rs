//! What the city area takes and answers: hospitals, car parks with their live occupancy and
//! forecast, guidance signs, the ranked guidance with navigation links, the occupancy feed's
//! readings and the parking cockpit; library branches, titles with their copies, fee quotes,
//! orders, loans, holds and the library cockpit. Public answers carry no reader's name, ID
//! number or address.

use serde::Deserialize;
use serde::Serialize;
use utoipa::IntoParams;
use utoipa::ToSchema;

// ---------------------------------------------------------------------------------------------
// Parking.

/// A WGS 84 point.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = CityPoint)]
pub struct PointView {
    pub lat: f64,
    pub lon: f64,
}

/// Registers or changes a hospital (its walking entrance is what guidance walks to).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HospitalBody {
    /// A slug of a-z, 0-9, - and _ (kept when changing).
    pub id: String,
    pub name: String,
    /// The town's 9-digit division code.
    pub town: String,
    pub entrance: PointView,
}

/// A hospital.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(as = ParkingHospitalView)]
pub struct HospitalView {
    pub id: String,
    pub name: String,
    pub town: String,
    pub entrance: PointView,
    /// Car parks that serve it (its own and those near it).
    pub lots: Vec<String>,
}

/// Bays by type.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BaysView {
    /// Visitor and patient bays (what guidance counts).
    #[serde(default)]
    #[schema(maximum = 100000)]
    pub visitor: u32,
    /// Staff bays (never counted by guidance).
    #[serde(default)]
    #[schema(maximum = 100000)]
    pub staff: u32,
    /// Bays for drivers with a disability.
    #[serde(default)]
    #[schema(maximum = 100000)]
    pub disabled: u32,
    /// Bays with an EV charger.
    #[serde(default)]
    #[schema(maximum = 100000)]
    pub ev: u32,
}

/// Free bays by type from a fresh reading (a type the feed does not count is absent, not 0).
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, ToSchema)]
pub struct FreeBaysView {
    pub visitor: u32,
    pub staff: Option<u32>,
    pub disabled: Option<u32>,
    pub ev: Option<u32>,
}

/// What parking costs, in fen.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FeesView {
    #[schema(maximum = 100000)]
    pub first_hour_fen: u32,
    #[schema(maximum = 100000)]
    pub per_hour_after_fen: u32,
    #[serde(default)]
    #[schema(maximum = 1000000)]
    pub daily_cap_fen: Option<u32>,
    #[serde(default)]
    #[schema(maximum = 1440)]
    pub free_minutes: u32,
}

/// Registers or changes a car park.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LotBody {
    /// A slug of a-z, 0-9, - and _ (kept when changing); also its MQTT topic level.
    pub id: String,
    pub name: String,
    /// `hospital`, `public_garage` or `street_bays`.
    pub kind: String,
    /// `surface`, `multi_storey`, `underground` or `street`.
    pub structure: String,
    /// The hospital it serves, if any.
    #[serde(default)]
    pub hospital: Option<String>,
    /// The town's 9-digit division code.
    pub town: String,
    /// Where cars drive in.
    pub location: PointView,
    /// Where people walk out.
    pub entrance: PointView,
    pub capacity: BaysView,
    /// OSM `opening_hours` (`24/7`, `Mo-Fr 07:00-22:00; Sa,Su 08:00-18:00`).
    #[serde(default)]
    pub hours: Option<String>,
    #[serde(default)]
    pub fees: Option<FeesView>,
    #[serde(default)]
    pub address: Option<String>,
    #[serde(default)]
    pub operator: Option<String>,
}

/// A car park now: its bays, whether it is open, free bays by type (only from a fresh reading:
/// a feed silent for 5 minutes makes it `unknown`, never free) and the forecast.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LotView {
    pub id: String,
    pub name: String,
    pub kind: String,
    pub kind_zh: String,
    pub structure: String,
    pub hospital: Option<String>,
    pub town: String,
    pub location: PointView,
    pub entrance: PointView,
    pub capacity: BaysView,
    pub hours: String,
    pub fees_zh: String,
    pub address: Option<String>,
    /// `open`, `full`, `closed` or `unknown`.
    pub status: String,
    /// Free bays by type now (absent when unknown).
    pub free: Option<FreeBaysView>,
    /// Free visitor bays expected in 15 minutes from the recent trend (absent when unknown).
    pub forecast_free: Option<u32>,
    /// When its latest reading was taken.
    pub updated_at: Option<String>,
    /// Whether its operator has a feed key.
    pub feed: bool,
}

/// Registers or changes a guidance sign.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignBody {
    pub id: String,
    pub name: String,
    /// 2 (a second-level sign on the approach roads) or 3 (a third-level sign at the junction).
    #[schema(minimum = 2, maximum = 3)]
    pub level: u8,
    pub hospital: String,
    pub location: PointView,
    /// The lots it lists, in order, with the arrow beside each (`left`, `ahead`, `right`, …).
    pub lots: Vec<SignLotBody>,
}

/// A lot on a sign.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignLotBody {
    pub lot: String,
    pub arrow: String,
}

/// One row of a sign.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SignRowView {
    pub lot: String,
    pub name: String,
    /// Free visitor bays, when known and open.
    pub free: Option<u32>,
    /// What the sign shows: the count, 满, — (unknown) or 关闭.
    pub shown: String,
    pub arrow: String,
    pub arrow_symbol: String,
}

/// What a guidance sign shows now, and where its QR code leads.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SignView {
    pub id: String,
    pub name: String,
    pub level: u8,
    pub hospital: String,
    pub hospital_name: String,
    pub location: PointView,
    pub rows: Vec<SignRowView>,
    /// The page its QR code opens (the best lot with room from here, with navigation links).
    pub qr_url: String,
    pub at: String,
}

/// Where to park for a hospital (or any point).
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct GuidanceQuery {
    /// The hospital to walk to.
    #[serde(default)]
    pub hospital: Option<String>,
    /// A guidance sign the driver is at (its QR code): driving starts from it.
    #[serde(default)]
    pub sign: Option<String>,
    /// Where the driver is now (else the sign, else the hospital's entrance).
    #[serde(default)]
    pub lat: Option<f64>,
    #[serde(default)]
    pub lon: Option<f64>,
    /// Where to walk to instead of a hospital (with `to_lon`).
    #[serde(default)]
    pub to_lat: Option<f64>,
    #[serde(default)]
    pub to_lon: Option<f64>,
    /// The driver may use disabled bays.
    #[serde(default)]
    pub disabled: Option<bool>,
    /// The driver wants an EV charging bay.
    #[serde(default)]
    pub ev: Option<bool>,
}

/// Navigation links to a lot.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct NavView {
    /// `geo:` URI (RFC 5870).
    pub geo: String,
    /// 高德地图.
    pub amap: String,
    /// 百度地图 app.
    pub baidu_app: String,
    /// 百度地图 web.
    pub baidu_web: String,
    /// Apple Maps.
    pub apple: String,
}

/// One lot in a guidance answer.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct GuidedLotView {
    pub lot: String,
    pub name: String,
    pub kind_zh: String,
    /// `room`, `nearly_full`, `full`, `unknown`, `closed` or `no_route`.
    pub verdict: String,
    /// Minutes driving to the lot.
    pub drive_minutes: Option<f64>,
    /// `road_network` (the real street network) or `straight_line` (an estimate: no network covers the way).
    pub drive_measured: String,
    /// Minutes walking from the lot to the hospital.
    pub walk_minutes: f64,
    /// `street_network` or `straight_line`.
    pub walk_measured: String,
    pub total_minutes: Option<f64>,
    pub free_now: Option<u32>,
    pub free_at_arrival: Option<u32>,
    pub fees_zh: String,
    pub location: PointView,
    pub nav: NavView,
}

/// Where to park, best first: lots with room by driving plus walking time, then the nearly full,
/// full, unknown, closed and unreachable ones, each with why.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct GuidanceView {
    /// The answer's id (give it back when setting off, so the trip is counted).
    pub id: String,
    pub hospital: Option<String>,
    pub hospital_name: Option<String>,
    pub from: PointView,
    pub to: PointView,
    pub lots: Vec<GuidedLotView>,
    pub at: String,
}

/// A driver sets off to a lot from a guidance answer.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NavigateBody {
    /// The guidance answer's id.
    pub guidance: String,
    pub lot: String,
}

/// A car park's feed key (shown once; keep it in the operator's system).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct FeedKeyView {
    pub lot: String,
    /// The MQTT user name (`parking-{lot}`).
    pub mqtt_user: String,
    /// The topic to publish readings on.
    pub mqtt_topic: String,
    /// The key: the MQTT password, and the `X-Feed-Key` header for HTTP.
    pub key: String,
}

/// One bay type's count in a reading: occupied, or free.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CountBody {
    #[serde(default)]
    pub occupied: Option<i64>,
    #[serde(default)]
    pub free: Option<i64>,
}

/// An occupancy reading: `{"lot": "…", "at": "2026-12-07T08:00:00Z", "bays": {"visitor": {"occupied": 120}}}`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReadingBody {
    pub lot: String,
    /// RFC 3339.
    pub at: String,
    /// Counts by bay type (`visitor`, `staff`, `disabled`, `ev`).
    pub bays: std::collections::BTreeMap<String, CountBody>,
}

/// Readings of one lot, oldest first.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReadingsBody {
    pub readings: Vec<ReadingBody>,
}

/// What the feed took.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct IngestView {
    pub accepted: u32,
}

/// A lot's readings over a span.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HistoryQuery {
    /// Hours back from now (1–168, default 24).
    #[serde(default)]
    pub hours: Option<u32>,
}

/// One reading of a lot's history.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SampleView {
    pub at: String,
    /// Occupied bays by type (absent: not counted).
    pub visitor: Option<u32>,
    pub staff: Option<u32>,
    pub disabled: Option<u32>,
    pub ev: Option<u32>,
    /// `mqtt` or `http`.
    pub source: String,
}

/// A lot's history.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(as = LotHistoryView)]
pub struct HistoryView {
    pub lot: String,
    pub capacity: BaysView,
    pub samples: Vec<SampleView>,
}

/// The parking cockpit's day.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ParkingFiguresQuery {
    /// The day (YYYY-MM-DD, China time; default today).
    #[serde(default)]
    pub day: Option<String>,
}

/// A lot's occupancy by hour.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LotHoursView {
    pub lot: String,
    pub name: String,
    pub capacity: u32,
    /// Share of public bays occupied, by local hour 0–23 (absent: no reading that hour).
    pub rate: Vec<Option<f64>>,
}

/// The parking cockpit: occupancy by hour, guidance asked for and guided trips by hour.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ParkingFiguresView {
    pub day: String,
    pub lots: Vec<LotHoursView>,
    /// All lots together, by hour.
    pub rate: Vec<Option<f64>>,
    pub searches: Vec<u32>,
    /// Drivers who set off to a lot from a guidance answer (they chose a navigation link).
    pub guided_trips: Vec<u32>,
    pub total_searches: u32,
    pub total_guided_trips: u32,
    /// Lots now: open with room, full, unknown (silent feed), closed.
    pub now_open: u32,
    pub now_full: u32,
    pub now_unknown: u32,
    pub now_closed: u32,
    /// Readings taken since the server started, and refused.
    pub readings_taken: u64,
    pub readings_refused: u64,
}

// ---------------------------------------------------------------------------------------------
// Library.

/// A public library or branch.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct BranchView {
    pub code: String,
    pub name: String,
    pub lat: f64,
    pub lon: f64,
    /// Readers may collect at its desk.
    pub pickup_desk: bool,
    /// Minutes it needs to get a parcel to the courier.
    pub picking_minutes: u32,
}

/// The catalogue's search.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TitleQuery {
    /// Words of the title or author, or an ISBN.
    #[serde(default)]
    pub q: Option<String>,
    #[serde(default)]
    pub subject: Option<String>,
}

/// Copies of a title at one branch.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct BranchCopiesView {
    pub branch: String,
    pub copies: u32,
    /// On the shelf now.
    pub available: u32,
}

/// A title with its copies.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TitleView {
    pub isbn: String,
    pub title: String,
    pub author: String,
    pub subject: String,
    pub publisher: String,
    pub year: Option<i32>,
    pub copies: u32,
    pub available: u32,
    /// Readers waiting for a copy.
    pub holds_waiting: u32,
    pub branches: Vec<BranchCopiesView>,
}

/// How a catalogue file is written.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// `csv` (isbn,title,author,subject,publisher,year,branch,barcode; one row per copy) or `marc`
    /// (MARC 21 in ISO 2709, UTF-8, holdings in 852 $b branch $p barcode).
    pub format: String,
}

/// What an import added (all or nothing).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ImportView {
    pub titles_added: u32,
    pub copies_added: u32,
}

/// What delivery costs, asked before ordering.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct QuoteQuery {
    /// Books (1–10).
    pub books: u32,
    /// Delivered home (default) or collected at a desk (`false`).
    #[serde(default)]
    pub delivery: Option<bool>,
}

/// A delivery fee quote.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct QuoteView {
    pub books: u32,
    /// What the reader pays.
    pub fee_fen: i64,
    /// What the base rule charges.
    pub base_fen: i64,
    /// What a promotion waives.
    pub waived_fen: i64,
    pub rule: String,
    pub rule_zh: String,
    pub rule_en: String,
    /// "免运费" when a promotion waives the fee.
    pub label: Option<String>,
}

/// One-click borrowing: the titles, and home delivery or a desk.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderBody {
    /// ISBNs (ISBN-10 or ISBN-13), 1–10.
    pub isbns: Vec<String>,
    /// Delivered to this address (give `lat` and `lon`)…
    #[serde(default)]
    pub lat: Option<f64>,
    #[serde(default)]
    pub lon: Option<f64>,
    /// …or collected at this branch's desk.
    #[serde(default)]
    pub branch: Option<String>,
    /// Particular copies by barcode (a copy on loan joins its title's queue; a withdrawn or lost
    /// one is refused).
    #[serde(default)]
    pub barcodes: Vec<String>,
}

/// A copy taken off or put back on the shelf by library staff: `withdrawn`, `lost` or `on_shelf`.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CopyStatusBody {
    pub status: String,
}

/// A copy.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CopyView {
    pub barcode: String,
    pub isbn: String,
    pub branch: String,
    /// `on_shelf`, `reserved_for_order`, `reserved_for_hold`, `on_loan`, `in_transit`, `withdrawn`, `lost`.
    pub status: String,
}

/// A copy in an order.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PickView {
    pub isbn: String,
    pub title: String,
    pub barcode: String,
}

/// A state an order or a return reached.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(as = LibraryStepView)]
pub struct StepView {
    pub state: String,
    pub at: String,
}

/// One parcel of a borrowing request, from one branch.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LibraryOrderView {
    pub id: String,
    /// The one click it belongs to.
    pub request: String,
    pub branch: String,
    pub branch_name: String,
    /// `placed`, `picking`, `packed`, `with_courier`, `delivered`, `ready_for_pickup`, `collected`, `cancelled`.
    pub state: String,
    /// `home` or `branch`.
    pub to: String,
    /// The desk, for a pick-up.
    pub to_branch: Option<String>,
    pub items: Vec<PickView>,
    pub quote: QuoteView,
    pub placed_at: String,
    pub steps: Vec<StepView>,
}

/// A hold: a reader's place in a title's queue.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct HoldView {
    pub id: String,
    pub isbn: String,
    pub title: String,
    /// `waiting`, `ready`, `collected`, `expired`, `cancelled`.
    pub state: String,
    /// Place in the queue while waiting (1 = next).
    pub position: Option<u32>,
    /// Where the copy put aside waits, and until when.
    pub branch: Option<String>,
    pub until: Option<String>,
}

/// What one click made: an order per branch that sends books, a hold per title with no free copy.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RequestView {
    pub request: String,
    pub quote: Option<QuoteView>,
    pub orders: Vec<LibraryOrderView>,
    pub holds: Vec<HoldView>,
}

/// The staff's work list.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LibraryOrdersQuery {
    /// One branch's parcels.
    #[serde(default)]
    pub branch: Option<String>,
    /// Only those still to do (default true).
    #[serde(default)]
    pub open: Option<bool>,
}

/// A step of an order: `start_picking`, `pack`, `hand_to_courier`, `deliver`, `ready_for_pickup`,
/// `collect` (staff), `cancel` (staff, or the reader before picking starts).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderActionBody {
    pub action: String,
}

/// A loan.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LibraryLoanView {
    pub id: String,
    pub isbn: String,
    pub title: String,
    pub barcode: String,
    pub branch: String,
    pub started: String,
    pub due: String,
    pub renewals: u32,
    /// Days past due today (0 when not overdue).
    pub overdue_days: i64,
    pub returned: Option<String>,
    /// Where its return is: `pickup_requested`, `picked_up`, `in_transit`, `checked_in`.
    pub return_state: Option<String>,
    pub return_steps: Vec<StepView>,
}

/// Giving a book back: `courier` (a pick-up at home, asked by the reader) or `desk` (at any
/// branch's desk, recorded by its staff, with `branch`).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReturnBody {
    pub how: String,
    #[serde(default)]
    pub branch: Option<String>,
}

/// A step of a courier return (staff): `picked_up`, `send`, `check_in` (with the owning `branch`).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReturnActionBody {
    pub action: String,
    #[serde(default)]
    pub branch: Option<String>,
}

/// The library cockpit's period.
#[derive(Debug, Clone, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LibraryFiguresQuery {
    /// First day (YYYY-MM-DD; default: 30 days ago).
    #[serde(default)]
    pub from: Option<String>,
    /// Last day (default: today).
    #[serde(default)]
    pub to: Option<String>,
}

/// A count on a day or in a month.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PeriodCountView {
    pub period: String,
    pub count: u32,
}

/// The library cockpit: requests and parcels, loans, new readers, fees charged and waived,
/// holds, overdue.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LibraryFiguresView {
    pub from: String,
    pub to: String,
    pub requests: u32,
    pub parcels: u32,
    pub delivery: u32,
    pub pickup: u32,
    pub cancelled: u32,
    pub by_day: Vec<PeriodCountView>,
    pub loans_started: u32,
    pub loans_out: u32,
    /// Readers whose first request fell in the period.
    pub new_readers: u32,
    pub fees_charged_fen: i64,
    pub fees_waived_fen: i64,
    /// Requests delivered free by a promotion.
    pub requests_free: u32,
    pub holds_waiting: u32,
    pub holds_ready: u32,
    pub overdue: u32,
    /// Parcels still to pick, per branch.
    pub to_pick: Vec<BranchCopiesView>,
}
