//! Service halls (issue 36: systems A7 and the cross-region part of A5) as plain Rust over plain
//! data — no database, HTTP or clock (`now` is always a parameter).
//!
//! [`hall`]: halls at every level of the service network, their windows (each serving a set of
//! service lines), self-service terminals and opening hours (lunch hours and weekends where a hall
//! offers them). [`rules`]: the service lines, the priority rules and the appointment rules as data
//! (`data/halls/rules.toml`). [`ticket`]: a queue ticket's life — booked, checked in, waiting,
//! called, recalled, serving, held, transferred, done, no-show, cancelled, rated. [`queue`]: who a
//! window calls next and how many are ahead. [`estimate`]: the waiting-time estimate from the
//! queue and recent service times. [`simulate`]: a hall day simulated to measure the estimate's
//! error. [`figures`]: the hall cockpit. [`crossregion`]: the signed, idempotent envelope of the
//! messages two districts exchange to handle each other's items.
//!
//! The caller (the server's `halls` area) owns everything else: who the actor is, persistence,
//! notices, pages and the HTTP routes. Every function checks everything before it changes anything:
//! on an error the record is as it was.

pub mod crossregion;
pub mod error;
pub mod estimate;
pub mod figures;
pub mod hall;
pub mod queue;
pub mod rules;
pub mod simulate;
pub mod ticket;

pub use error::HallError;
pub use estimate::Estimate;
pub use estimate::ServiceStats;
pub use hall::Hall;
pub use hall::HallId;
pub use hall::TicketId;
pub use rules::HallRules;
pub use ticket::Ticket;
pub use ticket::TicketState;
