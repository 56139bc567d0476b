//! Welfare as plain Rust over plain data — no database, HTTP or clock (today is always a
//! parameter): benefits paid without applying (免申即享) decided by declarative rules over what
//! the registers say about a person, with the reasons; monthly payment runs with arrears and
//! recoveries; bank payment and return files; proactive discovery of households in difficulty
//! (主动发现); and a directory of relief services of government and social forces, exported as
//! Open Referral HSDS 3.0. Modelled on Fuyang District, Hangzhou, under Zhejiang's rules.

pub mod bank;
pub mod bench;
pub mod catalog;
pub mod directory;
pub mod discovery;
pub mod error;
pub mod evaluate;
pub mod expr;
pub mod facts;
pub mod hsds;
pub mod month;
pub mod run;
pub mod synth;

pub use bank::BankLine;
pub use bank::FileError;
pub use bank::ReturnLine;
pub use bank::ReturnStatus;
pub use bank::parse_return_file;
pub use bank::payment_file;
pub use bench::BenchReport;
pub use bench::bench_evaluate;
pub use catalog::Amount;
pub use catalog::Band;
pub use catalog::Benefit;
pub use catalog::Catalog;
pub use catalog::CatalogError;
pub use catalog::ParamValue;
pub use directory::DirectorySearch;
pub use directory::Hours;
pub use directory::Provider;
pub use directory::ProviderKind;
pub use directory::ReliefService;
pub use discovery::DiscoveryRules;
pub use discovery::Flag;
pub use discovery::FlagReason;
pub use discovery::HouseholdSignals;
pub use discovery::MemberSignals;
pub use discovery::SignalWeight;
pub use discovery::discover;
pub use error::ErrorKind;
pub use error::WelfareError;
pub use evaluate::Decision;
pub use evaluate::Outcome;
pub use evaluate::due_for;
pub use evaluate::evaluate;
pub use evaluate::evaluate_all;
pub use evaluate::outcome;
pub use expr::Reason;
pub use expr::Rule;
pub use facts::FACTS;
pub use facts::FactInfo;
pub use facts::Facts;
pub use hsds::hsds;
pub use month::Month;
pub use run::BenefitTotal;
pub use run::LineKind;
pub use run::Paid;
pub use run::PersonInput;
pub use run::Recovery;
pub use run::RunLine;
pub use run::RunPlan;
pub use run::plan_run;
