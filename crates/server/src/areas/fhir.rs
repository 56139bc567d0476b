//! 医检互认: mutual recognition of results over FHIR R4.

pub mod cases;
pub mod views;
pub mod http;
