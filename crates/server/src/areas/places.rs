//! Places (issue 32, C4 and C5): childcare institutions, applications allocated by deferred
//! acceptance with waiting lists; public rental housing eligibility, the application bundle, the
//! waiting list and verifiable lottery, offers and leases; 善居 home improvements.

pub mod cases;
pub mod housing;
pub mod http;
pub mod views;
