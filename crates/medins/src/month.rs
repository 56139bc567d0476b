//! `Month`: the calendar month a settlement covers (episodes discharged in it), written `YYYY-MM`
//! — the one month type of `domain`; a month that is not one is `MedinsError::InvalidMonth`.

pub use domain::Month;

use crate::error::MedinsError;

impl From<domain::InvalidMonth> for MedinsError {
    fn from(e: domain::InvalidMonth) -> MedinsError {
        MedinsError::InvalidMonth { input: e.input }
    }
}
