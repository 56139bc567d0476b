//! Medical insurance for in-patients (B5) as plain Rust over plain data — no files, database,
//! HTTP or clock: a DRG grouper in the structure of CHS-DRG 1.1 (MDC → ADRG → DRG by principal
//! diagnosis, procedures, age and complications) loaded from data files, bed-day payment for
//! long-stay chronic cases with per-diem tariffs by hospital level that step down as the stay
//! grows (tertiary hospitals join by application, the others by inclusion), the monthly
//! settlement of points under the fund's budget with outlier rules, the patient's share and
//! re-admission review, and the indicators (cost per stay, length of stay) before and after
//! hospitals join. Modelled on Hangzhou's long-stay chronic in-patient scheme.

pub mod bench;
mod data;
mod digest;
pub mod episode;
pub mod error;
pub mod grouper;
pub mod hospital;
pub mod indicators;
pub mod month;
mod readmission;
pub mod scheme;
pub mod settlement;
pub mod synth;

pub use episode::CostCategory;
pub use episode::Episode;
pub use episode::InsuranceType;
pub use episode::Sex;
pub use error::ErrorKind;
pub use error::MedinsError;
pub use grouper::Grouper;
pub use grouper::Grouping;
pub use grouper::Severity;
pub use grouper::Ungroupable;
pub use indicators::IndicatorRow;
pub use indicators::indicators;
pub use scheme::Hospital;
pub use scheme::HospitalLevel;
pub use scheme::Membership;
pub use scheme::Scheme;
pub use settlement::EpisodeSettlement;
pub use settlement::HospitalPayment;
pub use settlement::Month;
pub use settlement::Outlier;
pub use settlement::PaymentKind;
pub use settlement::Settlement;
pub use settlement::SettlementInput;
pub use settlement::SettlementStatus;
pub use settlement::settle;
