//! The store's queries, by subject.

pub mod cases;
pub mod notices;
pub mod people;
pub mod records;
pub mod reports;

pub use cases::*;
pub use notices::*;
pub use people::*;
pub use records::*;
pub use reports::*;
