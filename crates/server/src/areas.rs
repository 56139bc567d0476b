//! The capability areas. Each has the same parts: its engine is a crate of its own (plain Rust, no
//! IO: `onething`, `pool`, `circles`); here are its use cases (`cases`), the typed inputs and answers
//! they share with every front end (`views`) and its HTTP handlers and routes (`http`). Its SQL is in
//! the `store` crate, its pages in `web`, its commands in `minsheng`. ARCHITECTURE.md has the rules
//! and the checklist for a new area.

pub mod circles;
pub mod fhir;
pub mod identity;
pub mod onething;
pub mod pool;
