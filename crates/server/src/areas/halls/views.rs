//! What the halls area takes and answers: halls with their windows, lines and live queues,
//! appointment slots, tickets with their place in the queue and the waiting-time estimate, the
//! display board, the hall cockpit's figures, and cross-region cases (跨区域通办) with the signed
//! messages districts exchange. Boards and public answers carry ticket numbers only — never a
//! name, an ID number or an account.

use serde::Deserialize;
use serde::Serialize;
use utoipa::IntoParams;
use utoipa::ToSchema;

// ---------------------------------------------------------------------------------------------
// Halls.

/// Opening hours: the weekdays and the time span of one session.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SessionBody {
    /// 1 = Monday … 7 = Sunday.
    pub weekdays: Vec<u8>,
    /// "08:30".
    pub opens: String,
    /// "12:00".
    pub closes: String,
}

/// A window as given.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WindowBody {
    #[schema(minimum = 1, maximum = 999)]
    pub no: u32,
    pub name: String,
    /// The service lines it serves (codes of `GET /api/halls/lines`).
    pub lines: Vec<String>,
    /// Staffed and open today.
    #[serde(default = "yes")]
    pub open: bool,
    /// The staff account that works it (only they and the administrator act at it), if fixed.
    #[serde(default)]
    pub staff: Option<String>,
}

fn yes() -> bool {
    true
}

/// A self-service terminal.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TerminalBody {
    #[schema(minimum = 1, maximum = 999)]
    pub no: u32,
    pub name: String,
    /// Item codes it handles.
    #[serde(default)]
    pub items: Vec<String>,
}

/// Registers or changes a hall (the administrator).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HallBody {
    /// Given to change a hall; left out to register a new one.
    #[serde(default)]
    pub id: Option<String>,
    pub name: String,
    /// `district`, `central_town`, `town` or `village`.
    pub level: String,
    /// The town's 9-digit division code.
    pub town: String,
    pub address: String,
    pub lat: f64,
    pub lon: f64,
    /// `open` (default) or `closed`.
    #[serde(default)]
    pub status: Option<String>,
    pub sessions: Vec<SessionBody>,
    pub windows: Vec<WindowBody>,
    #[serde(default)]
    pub terminals: Vec<TerminalBody>,
}

/// A window as shown.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WindowView {
    pub no: u32,
    pub name: String,
    pub lines: Vec<String>,
    pub open: bool,
    /// The number it serves or has called now.
    pub current: Option<String>,
    /// The staff account that works it (to staff only).
    pub staff: Option<String>,
}

/// A service line of a hall, with its queue now.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = HallLineView)]
pub struct LineView {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    /// The letter its numbers start with.
    pub prefix: String,
    /// Open windows serving it.
    pub windows_open: u32,
    /// Tickets waiting now.
    pub waiting: u32,
    /// What a ticket taken now would wait, in minutes (the estimate of the last in line plus one
    /// service).
    pub estimate_minutes: u32,
}

/// A hall.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HallView {
    pub id: String,
    pub name: String,
    pub level: String,
    pub level_zh: String,
    pub town: String,
    pub town_name: Option<String>,
    pub address: String,
    pub lat: f64,
    pub lon: f64,
    /// `open` or `closed`.
    pub status: String,
    /// Open at this moment.
    pub open_now: bool,
    /// When it opens next (local time "YYYY-MM-DD HH:MM"), when closed now.
    pub next_opening: Option<String>,
    pub offers_lunch: bool,
    pub offers_weekend: bool,
    pub sessions: Vec<SessionBody>,
    pub windows: Vec<WindowView>,
    pub terminals: Vec<TerminalBody>,
    pub lines: Vec<LineView>,
    pub waiting: u32,
}

/// Which halls to list.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HallQuery {
    /// A town's division code.
    pub town: Option<String>,
    /// `district`, `central_town`, `town` or `village`.
    pub level: Option<String>,
}

/// A service line as the rules define it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LineRuleView {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub prefix: String,
    pub departments: Vec<String>,
    pub items: Vec<String>,
    pub service_minutes: f64,
}

/// The appointment slots of a line on a day.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SlotQuery {
    pub line: String,
    /// "YYYY-MM-DD" (default: today).
    pub day: Option<String>,
}

/// One appointment slot.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SlotView {
    /// Local start, "YYYY-MM-DDTHH:MM".
    pub start: String,
    pub capacity: u32,
    pub booked: u32,
    /// Can still be booked (free, in the future, within the days ahead).
    pub bookable: bool,
}

// ---------------------------------------------------------------------------------------------
// Tickets.

/// Books an appointment (a resident).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BookBody {
    pub line: String,
    /// Local slot start, "YYYY-MM-DDTHH:MM".
    pub slot: String,
}

/// Takes a ticket on arrival: a resident on the phone page, or the hall's kiosk (signed out).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TakeBody {
    pub line: String,
}

/// A ticket's token (the QR code of a kiosk slip carries it).
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TokenQuery {
    pub token: Option<String>,
}

/// A step in a ticket's life.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TicketStepView {
    pub at: String,
    pub action: String,
    pub window: Option<u32>,
    pub note: Option<String>,
}

/// A ticket with its place in the queue and the estimate.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TicketView {
    pub id: String,
    pub hall: String,
    pub hall_name: String,
    pub line: String,
    pub line_name: String,
    /// "A023" (empty until an appointment is checked in).
    pub number: String,
    /// Local day "YYYY-MM-DD".
    pub day: String,
    /// `appointment`, `walk_in`, `kiosk`.
    pub source: String,
    pub state: String,
    pub state_zh: String,
    /// Local slot start of an appointment.
    pub slot: Option<String>,
    /// Why it goes first, if it does.
    pub priority: Vec<String>,
    /// Waiting tickets called before it.
    pub ahead: Option<u32>,
    /// The estimated wait, in seconds, while waiting.
    pub estimate_seconds: Option<u32>,
    /// The window that called or serves it.
    pub window: Option<u32>,
    pub application: Option<String>,
    pub rating: Option<u8>,
    /// The token to see it signed out (the kiosk slip's QR code): given to whoever took it.
    pub token: Option<String>,
    /// What the caller may do now: `check_in`, `cancel`, `rate`.
    pub can: Vec<String>,
    pub steps: Vec<TicketStepView>,
}

/// What a window does with a ticket.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TicketActionBody {
    /// `recall`, `start`, `hold`, `resume`, `transfer`, `no_show`, `finish`.
    pub action: String,
    /// The window acting (required to check it serves the ticket).
    #[schema(minimum = 1, maximum = 999)]
    pub window: u32,
    /// Transfer: the line to move it to.
    #[serde(default)]
    pub line: Option<String>,
    /// Transfer: the window to send it to.
    #[serde(default)]
    #[schema(minimum = 1, maximum = 999)]
    pub to_window: Option<u32>,
    /// Finish: the application filed for it.
    #[serde(default)]
    pub application: Option<String>,
    /// Hold: what the applicant fetches.
    #[serde(default)]
    pub note: Option<String>,
}

/// A rating of the service (1 = 非常不满意 … 5 = 非常满意).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RateBody {
    #[schema(minimum = 1, maximum = 5)]
    pub score: u8,
    #[serde(default)]
    pub token: Option<String>,
}

/// A hall's waiting tickets and those being served, as a window sees them.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct QueueView {
    pub hall: String,
    pub waiting: Vec<QueueRowView>,
    pub live: Vec<QueueRowView>,
}

/// A ticket in a window's list (the holder's name masked).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct QueueRowView {
    pub id: String,
    pub number: String,
    pub line: String,
    pub state: String,
    pub state_zh: String,
    pub priority: Vec<String>,
    pub window: Option<u32>,
    pub target_window: Option<u32>,
    pub estimate_seconds: Option<u32>,
    /// Minutes since it joined the queue.
    pub waited_minutes: i64,
}

// ---------------------------------------------------------------------------------------------
// The board and the cockpit.

/// A number called to a window.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CalledView {
    pub number: String,
    pub window: u32,
    pub window_name: String,
    /// Local "HH:MM:SS".
    pub at: String,
}

/// A line on the board.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BoardLineView {
    pub code: String,
    pub name_zh: String,
    pub waiting: u32,
    /// The next numbers to be called.
    pub next: Vec<String>,
    pub estimate_minutes: u32,
}

/// What the hall's display board shows.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BoardView {
    pub hall: String,
    pub name: String,
    /// Local "YYYY-MM-DD HH:MM:SS".
    pub now: String,
    pub open_now: bool,
    /// The latest calls, newest first.
    pub called: Vec<CalledView>,
    pub lines: Vec<BoardLineView>,
    /// Changes whenever the queue does.
    pub version: String,
}

/// The day for figures.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DayQuery {
    /// "YYYY-MM-DD" (default: today).
    pub day: Option<String>,
}

/// A window's figures.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WindowFigureView {
    pub no: u32,
    pub name: String,
    pub served: u32,
    pub avg_service_s: Option<f64>,
    pub ratings: u32,
    pub satisfaction: Option<f64>,
}

/// A line's figures.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LineFigureView {
    pub code: String,
    pub name_zh: String,
    pub issued: u32,
    pub served: u32,
    pub avg_wait_s: Option<f64>,
    pub avg_service_s: Option<f64>,
}

/// An hour's throughput.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HourFigureView {
    pub hour: u32,
    pub issued: u32,
    pub served: u32,
}

/// The hall cockpit: one hall's day, or the district's.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HallFiguresView {
    /// The hall (absent for the district).
    pub hall: Option<String>,
    pub name: String,
    pub day: String,
    pub halls: u32,
    pub waiting_now: u32,
    pub serving_now: u32,
    pub longest_waiting_now_s: i64,
    pub avg_wait_s: Option<f64>,
    pub longest_wait_s: Option<i64>,
    pub served: u32,
    pub no_shows: u32,
    pub appointments: u32,
    pub per_window: Vec<WindowFigureView>,
    pub per_line: Vec<LineFigureView>,
    pub per_hour: Vec<HourFigureView>,
    /// Per hall (the district's figures).
    pub per_hall: Vec<HallRowView>,
}

/// One hall's line in the district's figures.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HallRowView {
    pub id: String,
    pub name: String,
    pub level_zh: String,
    pub waiting_now: u32,
    pub served: u32,
    pub avg_wait_s: Option<f64>,
    pub no_shows: u32,
    pub satisfaction: Option<f64>,
}

// ---------------------------------------------------------------------------------------------
// Cross-region handling.

/// A district this one exchanges cases with.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PeerView {
    pub district: String,
    pub name: String,
    pub url: String,
    pub public_key: String,
    /// Messages to it not yet acknowledged.
    pub pending: u32,
}

/// This district's key document: what a peer configures to trust its messages.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DistrictKeyView {
    pub district: String,
    pub name: String,
    /// Ed25519 public key, base64url of 32 bytes.
    pub public_key: String,
    pub peers: Vec<PeerView>,
}

/// Takes in an application for another district's item at a window.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ForwardBody {
    /// The district that handles the item (a configured peer).
    pub district: String,
    /// The item's code in that district's catalog.
    pub item: String,
    /// The applicant's ID number or credit code.
    pub applicant: String,
    pub applicant_name: String,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub form: serde_json::Map<String, serde_json::Value>,
    /// Originals the window has seen.
    #[serde(default)]
    pub materials_seen: Vec<String>,
    /// The ticket it was taken in for, if any.
    #[serde(default)]
    pub ticket: Option<String>,
}

/// A status that came back.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CaseStatusView {
    pub at: String,
    pub state: String,
    pub state_zh: String,
    pub note: Option<String>,
}

/// A cross-region case as the district that took it in sees it.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = CrossRegionCaseView)]
pub struct CaseView {
    pub id: String,
    pub district: String,
    pub district_name: String,
    pub item: String,
    /// The applicant's ID number, masked.
    pub applicant: String,
    pub applicant_name: String,
    /// `sending` (not yet acknowledged), `accepted`, `refused`, or the handling district's state.
    pub state: String,
    pub state_zh: String,
    pub settled: bool,
    /// The handling district's application id.
    pub remote_application: Option<String>,
    pub outputs: Vec<String>,
    pub refused_reason: Option<String>,
    pub taken_in_at: String,
    pub created_at: String,
    pub attempts: u32,
    pub history: Vec<CaseStatusView>,
}

/// A case another district forwarded here.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct InboundView {
    pub id: String,
    pub from: String,
    pub from_name: String,
    pub item: String,
    pub applicant: String,
    pub applicant_name: String,
    pub application: Option<String>,
    pub state: String,
    pub settled: bool,
    pub received_at: String,
    /// Status messages still to be acknowledged by the sending district.
    pub pending: u32,
}

/// Which cases to list.
#[derive(Debug, Clone, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CaseQuery {
    /// At most this many (1–500, default 50).
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

/// A signed message from a peer district (`halls::crossregion::Envelope`).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EnvelopeBody {
    /// 32 lowercase hex digits; the same on every retry.
    pub id: String,
    pub from: String,
    pub to: String,
    /// `case` or `status`.
    pub kind: String,
    pub sent_at: String,
    /// JSON text, exactly as signed.
    pub body: String,
    /// Ed25519, base64url.
    pub signature: String,
}

/// The receiver's signed receipt (`halls::crossregion::Receipt`).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReceiptView {
    pub id: String,
    pub by: String,
    pub at: String,
    /// `accepted` or `refused`.
    pub outcome: String,
    pub reference: Option<String>,
    pub code: Option<String>,
    pub message: Option<String>,
    pub signature: String,
}

impl From<EnvelopeBody> for halls::crossregion::Envelope {
    fn from(b: EnvelopeBody) -> Self {
        halls::crossregion::Envelope { id: b.id, from: b.from, to: b.to, kind: b.kind, sent_at: b.sent_at, body: b.body, signature: b.signature }
    }
}

impl From<halls::crossregion::Receipt> for ReceiptView {
    fn from(r: halls::crossregion::Receipt) -> Self {
        ReceiptView { id: r.id, by: r.by, at: r.at, outcome: r.outcome, reference: r.reference, code: r.code, message: r.message, signature: r.signature }
    }
}
