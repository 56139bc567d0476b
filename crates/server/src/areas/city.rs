//! City services (issue 34, systems E1 and E2): hospital parking guidance — car parks with live
//! occupancy feeds over MQTT and HTTP, lots ranked by driving plus walking time, guidance signs
//! and their QR pages, the ParkAPI feed — and one-click library borrowing with home delivery —
//! the catalogue and holdings, orders served from the fastest branch, delivery fees by rules,
//! holds, loans, renewals, overdue notices and returns.

pub mod feed;
pub mod http;
pub mod library;
pub mod library_http;
pub mod parking;
pub mod views;

/// What the city area keeps in memory on each server.
#[derive(Default)]
pub struct CityState {
    /// Car parks, signs and hospitals, their live occupancy, feed keys and the driving network.
    pub parking: parking::Live,
}
