//! What the elderly safety guardian takes and answers: enrolments with consent and emergency
//! contacts, devices with their credentials, responders, alarms with their readings and steps,
//! refused payloads and the measures. ID numbers and phones are masked in lists.

use serde::Deserialize;
use serde::Serialize;
use utoipa::IntoParams;
use utoipa::ToSchema;

/// A point in WGS84.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PointView {
    pub lat: f64,
    pub lon: f64,
}

/// An emergency contact (a family member or neighbour), told of every alarm.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ContactBody {
    pub name: String,
    /// 子女、配偶、邻居 …
    pub relation: String,
    pub phone: String,
    /// Their citizen account's login (ID number or phone), if they have one: they then see the
    /// elder's alarms and are told in their inbox.
    #[serde(default)]
    pub login: Option<String>,
}

/// A contact as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ContactView {
    pub name: String,
    pub relation: String,
    pub phone: String,
    #[serde(default)]
    pub account: Option<i64>,
}

/// Enrols an elder under guard, with their consent.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EnrolBody {
    pub id_number: String,
    /// `living_alone` (独居), `elderly_only` (only with other elders, 空巢) or `tekun_dispersed`
    /// (分散供养特困).
    pub basis: String,
    pub address: String,
    #[serde(default)]
    pub home: Option<PointView>,
    pub contacts: Vec<ContactBody>,
    /// The day the elder (or their guardian) consented, `YYYY-MM-DD`.
    pub consent_on: String,
    /// The elder's own thresholds (JSON object of the rule names and values), if any.
    #[serde(default)]
    pub overrides: Option<serde_json::Value>,
}

/// Withdraws an elder from guarding.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = GuardianWithdrawBody)]
pub struct WithdrawBody {
    pub reason: String,
}

/// An elder under guard.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ElderView {
    pub id: String,
    /// Masked.
    pub id_number: String,
    pub name: String,
    pub age: u32,
    pub division: String,
    pub basis: String,
    pub address: String,
    pub home: Option<PointView>,
    pub contacts: Vec<ContactView>,
    pub consent_on: String,
    pub status: String,
    pub enrolled_at: String,
    pub withdrawn_at: Option<String>,
    pub withdrawn_reason: Option<String>,
}

/// A page of elders.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct EldersView {
    pub total: i64,
    pub elders: Vec<ElderView>,
}

/// Filters of the elders' list.
#[derive(Debug, Clone, Default, Deserialize, IntoParams, ToSchema)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ElderQuery {
    /// A division code: that village, town or the district and below.
    pub division: Option<String>,
    /// `guarded` or `withdrawn`.
    pub status: Option<String>,
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

/// Registers a device in an elder's home.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeviceBody {
    /// `presence`, `door`, `water_meter`, `electricity_meter` or `wearable`.
    pub kind: String,
    /// The room of a presence sensor or door contact (卧室、客厅、卫生间、大门 …).
    #[serde(default)]
    pub room: Option<String>,
}

/// A device and what it last showed.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DeviceView {
    pub id: String,
    pub kind: String,
    pub room: Option<String>,
    pub status: String,
    pub installed_at: String,
    pub last_seen: Option<String>,
    pub last_active: Option<String>,
    pub battery_pct: Option<i64>,
    /// The MQTT topic it publishes on.
    pub topic: String,
}

/// A device just registered: its MQTT credentials, shown this once.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct NewDeviceView {
    pub device: DeviceView,
    /// The MQTT user name (the device id).
    pub username: String,
    /// The MQTT password: shown only now; only its hash is kept.
    pub password: String,
}

/// Registers (or updates) a responder.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResponderBody {
    /// The staff account's login.
    pub login: String,
    /// `grid_worker`, `village_doctor`, `volunteer` or `family`.
    pub kind: String,
    pub phone: String,
    /// Where they are usually (their home or station).
    pub at: PointView,
}

/// A responder's availability, sent from their phone.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AvailabilityBody {
    pub available: bool,
    #[serde(default)]
    pub at: Option<PointView>,
}

/// A responder.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ResponderView {
    pub id: String,
    pub name: String,
    pub kind: String,
    /// Masked in lists.
    pub phone: String,
    pub division: String,
    pub at: PointView,
    pub available: bool,
}

/// A responder as the centre edits them: their account's login, the phone unmasked.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ResponderRecordView {
    pub login: String,
    pub responder: ResponderView,
}

/// A page of an elder's alarms.
#[derive(Debug, Clone, Default, Deserialize, IntoParams, ToSchema)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ElderAlarmQuery {
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

/// An elder who qualifies for guarding.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CandidateView {
    /// Masked.
    pub id_number: String,
    pub name: String,
    pub age: u32,
    pub division: String,
    pub basis: String,
    pub enrolled: bool,
}

/// Who qualifies and who is guarded.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CoverageView {
    pub qualifying: i64,
    pub guarded: i64,
    /// guarded ÷ qualifying, in percent.
    pub percent: f64,
    pub candidates: Vec<CandidateView>,
}

/// Filters of the candidates.
#[derive(Debug, Clone, Default, Deserialize, IntoParams, ToSchema)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CandidateQuery {
    pub division: Option<String>,
}

/// A payload refused, counted per device and reason.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RejectionView {
    pub device: String,
    pub code: String,
    pub count: i64,
    pub last_at: String,
    pub last_detail: String,
}

/// Filters of the alarms' list.
#[derive(Debug, Clone, Default, Deserialize, IntoParams, ToSchema)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AlarmQuery {
    /// Only alarms not closed yet.
    pub open: Option<bool>,
    pub division: Option<String>,
    /// Only technical alarms (maintenance), or only alarms for people.
    pub technical: Option<bool>,
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

/// One step of an alarm's hash-chained history.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct StepView {
    pub seq: i64,
    pub at: String,
    /// `system`, `account:<id>` or `responder:<id>`.
    pub actor: String,
    /// `raised`, `acknowledged`, `dispatched`, `accepted`, `declined`, `arrived`, `resolved`,
    /// `cancelled`, `noted`, `reminded`, `responder_timed_out`, `family_called`, `emergency_called`.
    pub action: String,
    #[schema(value_type = Object)]
    pub detail: serde_json::Value,
    pub hash: String,
}

/// An alarm, with the readings that raised it and (in the detail) its steps.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AlarmView {
    pub id: String,
    pub elder: String,
    /// Masked in lists.
    pub elder_name: String,
    pub address: String,
    pub home: Option<PointView>,
    pub division: String,
    pub kind: String,
    pub kind_label: String,
    pub technical: bool,
    pub severity: String,
    pub device: Option<String>,
    /// `raised`, `acknowledged`, `dispatched`, `accepted`, `on_scene`, `resolved`, `cancelled`.
    pub state: String,
    pub responder: Option<String>,
    pub raised_at: String,
    pub acknowledged_at: Option<String>,
    pub dispatched_at: Option<String>,
    pub accepted_at: Option<String>,
    pub on_scene_at: Option<String>,
    pub closed_at: Option<String>,
    pub outcome: Option<String>,
    /// The readings (and for inactivity, the learned gap and threshold) that raised it.
    #[schema(value_type = Object)]
    pub evidence: serde_json::Value,
    pub steps: Vec<StepView>,
    /// Whether the history's hash chain checks (in the detail only).
    pub chain_intact: Option<bool>,
}

/// A page of alarms.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AlarmsView {
    pub total: i64,
    pub alarms: Vec<AlarmView>,
}

/// An action on an alarm.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AlarmActionBody {
    /// The centre: `acknowledge`, `dispatch`, `resolve`, `cancel` (technical), `note`; the
    /// responder: `accept`, `decline`, `arrive`, `resolve`.
    pub action: String,
    /// For `dispatch`: a responder's id (without it, the nearest available).
    #[serde(default)]
    pub responder: Option<String>,
    /// For `resolve`: `false_alarm`, `helped_at_home`, `sent_to_hospital` or `other`.
    #[serde(default)]
    pub outcome: Option<String>,
    /// A note, the reason of a cancellation, or the outcome when `other`.
    #[serde(default)]
    pub text: Option<String>,
}

/// A responder an alarm could go to, with the travel time.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RankedResponderView {
    pub responder: ResponderView,
    /// Seconds by electric bicycle (15 km/h); none when not known.
    pub travel_s: Option<u32>,
    /// How the time was estimated: `street_network_e_bike` (the shortest way through the street
    /// network of the latest service-circle analysis), `straight_line_e_bike` (the straight line
    /// × 1.3: no network loaded, or a point more than the norms' snapping distance from a street),
    /// `no_street_route` (no street joins them: no time), `no_position` (the elder's home has no
    /// position: no time).
    pub method: String,
    /// The length the time was worked out from, metres: the way through the streets, or the
    /// straight line × 1.3.
    #[serde(default)]
    pub distance_m: Option<u32>,
}

/// The month of the measures.
#[derive(Debug, Clone, Default, Deserialize, IntoParams, ToSchema)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct MeasureQuery {
    /// `YYYY-MM`.
    pub month: Option<String>,
}
