//! Identifiers, money, divisions and the working-day calendar shared by every minsheng crate.
//!
//! Everything here is plain Rust over plain data: no I/O, no HTTP, no SQL. Values that come from
//! people (identity numbers, credit codes, phone numbers, amounts) can only be built through
//! `parse`, so holding one means it is valid. Every user-facing error implements [`Describe`],
//! which gives a stable code and a Chinese and an English message.

mod calendar;
mod credit_code;
mod describe;
mod division;
mod id;
mod lines;
pub mod mask;
mod money;
mod month;
mod phone;
mod resident_id;
mod time;

pub use calendar::{CalendarError, DayKind, HolidayStatus, WorkCalendar};
pub use credit_code::{CreditCode, CreditCodeError};
pub use describe::{Describe, ErrorKind};
pub use division::{
    DivisionCode, DivisionCodeError, DivisionLevel, Region, RegionStatus, lookup_region,
};
pub use id::{
    AccountId, ApplicationId, CaseId, EnterpriseId, HouseholdId, IdGenerator, IdGeneratorError,
    NoticeId, ParseIdError, PersonId, RatingId, RecordId, RectificationId, UploadId,
};
pub use lines::LineIndex;
pub use money::{Fen, MoneyError};
pub use month::{InvalidMonth, Month};
pub use phone::{Phone, PhoneError};
pub use resident_id::{ResidentId, ResidentIdError, Sex};
pub use time::{
    CHINA_OFFSET, Clock, ManualClock, SystemClock, china_date, china_start_of_day, china_time,
};

/// Re-exported for [`define_id!`], so crates using the macro need no direct `serde` dependency.
#[doc(hidden)]
pub use serde as __serde;
