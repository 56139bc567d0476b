//! `Month`: the calendar month a benefit is paid for, written `YYYY-MM` — the one month type of
//! `domain`; a month that is not one is `WelfareError::InvalidMonth`.

pub use domain::Month;

use crate::error::WelfareError;

impl From<domain::InvalidMonth> for WelfareError {
    fn from(e: domain::InvalidMonth) -> WelfareError {
        WelfareError::InvalidMonth { input: e.input }
    }
}
