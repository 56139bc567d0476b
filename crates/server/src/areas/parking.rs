//! Hospital parking guidance (issue 34, E1): car parks with live occupancy feeds over MQTT and
//! HTTP, lots ranked by driving plus walking time, guidance signs and their QR pages, the ParkAPI
//! feed, the cockpit.

pub mod cases;
pub mod feed;
pub mod http;
pub mod views;
