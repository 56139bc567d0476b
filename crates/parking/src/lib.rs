//! Hospital parking guidance (issue 34, system E1) as plain Rust over plain data — no database,
//! HTTP, MQTT or clock (`now` is always a parameter).
//!
//! [`lot`]: car parks (the hospital's own, public garages, street bays) with bays by type —
//! visitors, staff, disabled, EV — opening hours and fees with a quote for a stay; the hospitals
//! they serve. [`reading`]: an operator's occupancy reading and [`reading::check`], which rejects
//! counts above capacity or negative, unknown lots and bay types, readings out of order and from
//! the future. [`live`]: a lot's live state from its latest reading (open, closed, full, unknown —
//! a feed silent for [`live::STALE_AFTER`] turns a lot unknown, never free) and its recent history.
//! [`forecast`]: free bays in 15 minutes from the recent trend. [`rank`]: lots ranked by driving
//! plus walking time, those with room first, the last few spaces spared. [`sign`]: what a second-
//! or third-level guidance sign shows. [`nav`]: `geo:` and map-app navigation links. [`parkapi`]:
//! the ParkAPI v3 shape. [`figures`]: the parking cockpit.
//!
//! Visitor bays are never confused with staff bays: guidance, signs and ParkAPI count visitor bays
//! (and disabled or EV bays when the driver asks for them), never staff bays.
//!
//! The caller (the server's `parking` area) owns everything else: the lots' data, the feeds'
//! transport, the driving times (the circles crate's `drive` graph), persistence and the pages.

pub mod catalog;
pub mod error;
pub mod figures;
pub mod forecast;
pub mod live;
pub mod lot;
pub mod nav;
pub mod parkapi;
pub mod rank;
pub mod reading;
pub mod sign;

pub use catalog::Catalog;
pub use error::ParkingError;
pub use forecast::Forecast;
pub use live::History;
pub use live::LiveState;
pub use live::Status;
pub use lot::BayType;
pub use lot::Hospital;
pub use lot::HospitalId;
pub use lot::Lot;
pub use lot::LotId;
pub use lot::Needs;
pub use lot::Point;
pub use lot::SignId;
pub use rank::Candidate;
pub use rank::Ranked;
pub use reading::RawReading;
pub use reading::Sample;
pub use sign::Sign;
