//! API tests: the real server on port 0 with a fresh database, driven over HTTP.

mod access;
mod circles;
mod crossregion;
mod deadlines;
mod dispatch;
mod errors;
mod fhir;
mod governance;
mod guardian;
mod guardian_figures;
mod halls;
mod helpers;
mod medins;
mod notices;
mod library;
mod parking;
mod places;
mod pool;
mod register;
mod schema;
mod scaleout;
mod security;
mod sessions;
mod story;
mod welfare;
