//! Service halls (issue 36, A7 and the cross-region part of A5): halls and windows of the
//! service network, appointments and queue tickets with priority rules, calls and holds and
//! transfers, live waiting-time estimates and the display board, the hall cockpit; and cases
//! taken in for another district's items, exchanged as signed, idempotent messages between the
//! districts' servers.

pub mod cases;
pub mod crossregion;
pub mod http;
pub mod views;
