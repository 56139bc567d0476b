//! Medical insurance for long-stay chronic in-patients (B5): bed-day payment combined with DRG
//! points. The engine is the `medins` crate; here are the use cases, views, the CSV of episodes
//! and the HTTP handlers with the area's routes and policy.

pub mod cases;
pub mod csv;
pub mod fhir;
pub mod figures;
pub mod http;
pub mod views;
