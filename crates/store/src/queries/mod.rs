//! The store's queries, by subject.

pub mod access_log;
pub mod cases;
pub mod fhir;
pub mod cockpit;
pub mod notices;
pub mod people;
pub mod datapool;
pub mod records;
pub mod reports;

pub use access_log::*;
pub use cases::*;
pub use fhir::*;
pub use cockpit::*;
pub use notices::*;
pub use people::*;
pub use datapool::*;
pub use records::*;
pub use reports::*;
