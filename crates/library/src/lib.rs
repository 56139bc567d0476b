//! One-click library borrowing with home delivery (issue 34, system E2) as plain Rust over plain
//! data — no database, HTTP or clock (`now` and `today` are always parameters).
//!
//! [`catalogue`]: titles by ISBN (ISBN-10 and ISBN-13 checked, kept as ISBN-13), copies per
//! branch with their shelf status, the branches, and the all-or-nothing CSV import; [`marc`]: the
//! same from MARC 21 records in ISO 2709 (holdings in 852), and back. [`fees`]: delivery fees as
//! data (`data/library/fees.toml`: 3 yuan for 1–3 books, promotions with date windows) and the
//! quote shown before ordering. [`rules`]: loans, renewals, limits, notices and holds as data
//! (`data/library/rules.toml`). [`order`]: the plan (copies from the fastest branch, holds for the
//! rest) and the order's life (placed, picking, packed, with the courier, delivered; ready for
//! pick-up, collected; cancelled). [`holds`]: per title a first-come-first-served queue.
//! [`loan`]: due dates, renewals, overdue notices (no fines: borrowing suspended), returns by
//! courier or at any desk, in transit back. [`figures`]: the library cockpit. [`synth`]: a
//! deterministic district catalogue for the demo and the benchmark.
//!
//! The caller (the server's library area) owns everything else: who the reader is, persistence,
//! notices, pages and routes. Every function checks everything before it changes anything: on an
//! error the records are as they were.

pub mod catalogue;
pub mod data;
pub mod error;
pub mod fees;
pub mod figures;
pub mod holds;
pub mod loan;
pub mod marc;
pub mod order;
pub mod rules;
pub mod synth;

pub use catalogue::Barcode;
pub use catalogue::Branch;
pub use catalogue::BranchCode;
pub use catalogue::Catalogue;
pub use catalogue::Isbn;
pub use catalogue::ShelfStatus;
pub use catalogue::Title;
pub use error::LibraryError;
pub use fees::FeeRules;
pub use fees::Handover;
pub use fees::Quote;
pub use figures::LibraryFigures;
pub use holds::Holds;
pub use loan::Loan;
pub use order::Destination;
pub use order::Order;
pub use order::OrderState;
pub use order::Plan;
pub use order::ReaderId;
pub use rules::LibraryRules;
