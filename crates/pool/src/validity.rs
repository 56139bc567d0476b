//! How long what the pool grants lasts, and who may have it: a consent and a rider code alike run
//! for whole days, at least one and at most a year counted from any date (366 days); a rider is
//! at least 16 (the age from which the Labour Law lets a person work). One place for the rules that
//! the consent and rider endpoints used to state each in its own words, and differently.

use chrono::NaiveDate;
use domain::{Describe, ResidentId};

/// The longest a consent or a rider code lasts, in days.
pub const MAX_DAYS: i64 = 366;
/// The youngest a rider may be, in full years.
pub const RIDER_MIN_AGE: u32 = 16;

/// Why a validity is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ValidityError {
    #[error("valid_days must be 1 to {MAX_DAYS}")]
    Days,
    #[error("a rider must be at least {RIDER_MIN_AGE}")]
    TooYoung,
}

impl Describe for ValidityError {
    fn code(&self) -> &'static str {
        match self {
            ValidityError::Days => "invalid_valid_days",
            ValidityError::TooYoung => "rider_too_young",
        }
    }
    fn message_zh(&self) -> String {
        match self {
            ValidityError::Days => format!("有效期须为 1–{MAX_DAYS} 天"),
            ValidityError::TooYoung => format!("骑手须年满 {RIDER_MIN_AGE} 周岁"),
        }
    }
    fn message_en(&self) -> String {
        match self {
            ValidityError::Days => format!("valid_days must be 1–{MAX_DAYS}"),
            ValidityError::TooYoung => format!("A rider must be at least {RIDER_MIN_AGE}"),
        }
    }
}

/// The days a grant of `valid_days` lasts, if that is a validity the pool grants.
pub fn days(valid_days: i64) -> Result<u64, ValidityError> {
    if (1..=MAX_DAYS).contains(&valid_days) { u64::try_from(valid_days).map_err(|_| ValidityError::Days) } else { Err(ValidityError::Days) }
}

/// Whether the person may ride for a platform on `today`.
pub fn rider_age(id: &ResidentId, today: NaiveDate) -> Result<(), ValidityError> {
    if id.age_on(today) >= RIDER_MIN_AGE { Ok(()) } else { Err(ValidityError::TooYoung) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_grant_lasts_a_day_to_a_year() {
        assert_eq!(days(1), Ok(1));
        assert_eq!(days(366), Ok(366), "a year from any date, leap years too");
        for bad in [0, -1, 367, i64::MAX] {
            assert_eq!(days(bad), Err(ValidityError::Days), "{bad}");
        }
        assert_eq!(ValidityError::Days.code(), "invalid_valid_days");
    }

    #[test]
    fn a_rider_is_sixteen_on_the_day() {
        let id = ResidentId::from_parts("330111", NaiveDate::from_ymd_opt(2010, 3, 2).expect("date"), 11).expect("id");
        assert_eq!(rider_age(&id, NaiveDate::from_ymd_opt(2026, 3, 1).expect("date")), Err(ValidityError::TooYoung));
        assert_eq!(rider_age(&id, NaiveDate::from_ymd_opt(2026, 3, 2).expect("date")), Ok(()), "on the sixteenth birthday");
        assert!(ValidityError::TooYoung.message_zh().contains("16"));
    }
}
