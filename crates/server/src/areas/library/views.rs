//! What one-click library borrowing takes and answers: branches, titles with their copies, fee
//! quotes, orders, loans, holds and the library cockpit. Public answers carry no reader's name, ID
//! number or address.

use serde::Deserialize;
use serde::Serialize;
use utoipa::IntoParams;
use utoipa::ToSchema;

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
