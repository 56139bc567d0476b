//! What hospital parking guidance takes and answers: hospitals, car parks with their live
//! occupancy and forecast, guidance signs, the ranked guidance with navigation links, the
//! occupancy feed's readings and the parking cockpit.

use serde::Deserialize;
use serde::Serialize;
use utoipa::IntoParams;
use utoipa::ToSchema;

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
