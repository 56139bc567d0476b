//! Community governance (issue 33: systems F1–F4 and the complaint half of A10) as plain Rust over
//! plain data — no database, HTTP or clock (`now` is always a parameter).
//!
//! In an [`estate`] (小区) the party branch, the owners' committee (or 物管会) and the property
//! company take residents' issues together, with a stationed community worker (包小专) and the ten
//! helpers (十员). An [`issue`] is routed by the [`routing`] rules (data:
//! `data/governance/routing.toml`) to the party or parties responsible, deliberated jointly when
//! there are several, handled against a deadline per level, escalated when overdue (estate →
//! community → street → district department), resolved and confirmed or re-opened by its reporter,
//! declined with who and why, or — a dispute — settled by joint mediation with the agreement
//! recorded. [`open311`] gives the same issues in the Open311 GeoReport v2 vocabulary (services,
//! service definitions, requests checked as an Open311 server checks them, request status, the
//! error body). [`permits`] matches a noise complaint's place and time to night-construction
//! permits. [`funds`] keeps each estate's public-funds ledger, budget lines and expense
//! applications through the three-level review with separation of duties and an owners' vote above
//! the threshold of `data/governance/funds.toml`. [`deliberation`] holds meetings, agendas, votes
//! counted by the Civil Code's double majority (art. 278), decisions linked to issues, and minutes.
//! [`projects`] supervises livelihood projects from inspection to completion and rating.
//! [`measures`] gives the cockpit's figures per town and month, and [`synth`] a deterministic
//! district with a million issues made by the engine itself ([`bench`](mod@bench) times it).
//!
//! The caller (the server's `governance` area, `server::areas::governance`) owns everything else: who the actor
//! is (it builds the [`Actor`] from the signed-in account and the estate's facts; the engine then
//! checks party membership against the [`Estate`]), persistence, notices, pages and the Open311
//! HTTP routes. Every function checks everything before it changes anything: on an error the
//! record is as it was.

pub mod bench;
pub mod deliberation;
pub mod error;
pub mod estate;
pub mod funds;
pub mod issue;
pub mod measures;
pub mod open311;
pub mod permits;
pub mod projects;
pub mod routing;
pub mod synth;

pub use deliberation::Choice;
pub use deliberation::Decision;
pub use deliberation::Matter;
pub use deliberation::Meeting;
pub use deliberation::MeetingKind;
pub use deliberation::Tally;
pub use deliberation::tally_owners;
pub use error::ErrorKind;
pub use error::GovernanceError;
pub use estate::ActorId;
pub use estate::Estate;
pub use estate::EstateId;
pub use estate::FloorArea;
pub use estate::HelperRole;
pub use estate::IssueId;
pub use estate::PartyKind;
pub use funds::Expense;
pub use funds::ExpenseState;
pub use funds::FundRules;
pub use funds::Ledger;
pub use funds::statement;
pub use issue::Action;
pub use issue::Actor;
pub use issue::Issue;
pub use issue::IssueState;
pub use issue::NewIssue;
pub use issue::Notice;
pub use issue::Recipient;
pub use issue::Role;
pub use issue::apply;
pub use issue::tick;
pub use measures::Measures;
pub use measures::TownMonth;
pub use measures::measure;
pub use permits::Permit;
pub use permits::matching;
pub use projects::Project;
pub use routing::Level;
pub use routing::Routing;
