//! Places (issue 32: systems C4 and C5) as plain Rust over plain data — no database, HTTP or clock
//! (`now` and `today` are always parameters).
//!
//! [`childcare`] (托育): institutions with licensed places per age class, the supply figures
//! (places per 1,000 residents against the norm, places against children aged 0–3, utilisation),
//! priority rules as data, allocation by family-proposing deferred acceptance (strategy-proof for
//! families), waiting lists with each family's rank and why, enrolment, withdrawal and fees.
//! [`housing`] (公租房): eligibility from register facts, a waiting list by points or a verifiable
//! lottery whose seed is committed before the draw, offers, leases, annual re-qualification, move-out
//! and rent subsidies. [`shanju`] (善居工程): improvement projects for homes of families in
//! difficulty.
//!
//! The caller (the server's `places` area) owns everything else: who the actor is, persistence,
//! notices, pages and the HTTP routes. Every function checks everything before it changes anything:
//! on an error the record is as it was.

pub mod childcare;
pub mod housing;
pub mod rng;
pub mod shanju;
