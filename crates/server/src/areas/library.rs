//! One-click library borrowing with home delivery (issue 34, E2): the catalogue and holdings,
//! orders served from the fastest branch, delivery fees by rules, holds, loans, renewals, overdue
//! notices and returns.

pub mod cases;
pub mod http;
pub mod views;
