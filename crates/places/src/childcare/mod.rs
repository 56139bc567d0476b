//! Childcare (托育, system C4): institutions, places, priority rules, allocation by deferred acceptance, waiting lists and enrolment.
//!
//! [`rules`] reads `data/places/childcare.toml` (the norm of places per 1,000 residents, the age
//! classes with the national standard's class sizes and carer ratios, the priority criteria);
//! [`institution`] holds institutions and checks their licensed places against the standard;
//! [`application`] holds families' applications; [`allocate`](mod@allocate) runs family-proposing
//! deferred acceptance with waiting lists and explanations; [`enrol`] turns offers into
//! enrolments, withdrawals and monthly fees; [`supply`](mod@supply) gives planners the figures per
//! town; [`synth`] makes deterministic instances for tests and the benchmark.

pub mod allocate;
pub mod application;
pub mod enrol;
pub mod error;
pub mod institution;
pub mod rules;
pub mod supply;
pub mod synth;

#[cfg(test)]
mod tests;

pub use allocate::Allocation;
pub use allocate::Assignment;
pub use allocate::Explanation;
pub use allocate::Factor;
pub use allocate::Outcome;
pub use allocate::Reason;
pub use allocate::SeatCount;
pub use allocate::SeatResult;
pub use allocate::allocate;
pub use allocate::tie_break;
pub use application::Application;
pub use application::ChildcareApplicationId;
pub use application::MAX_PREFERENCES;
pub use application::WalkingTime;
pub use enrol::Place;
pub use enrol::PlaceState;
pub use enrol::offers;
pub use enrol::seats_held;
pub use error::ChildcareError;
pub use institution::ClassOffer;
pub use institution::Inspection;
pub use institution::InspectionResult;
pub use institution::Institution;
pub use institution::InstitutionId;
pub use institution::InstitutionKind;
pub use institution::InstitutionStatus;
pub use institution::OpeningHours;
pub use institution::Staff;
pub use rules::AgeClass;
pub use rules::ChildcareRules;
pub use rules::Criterion;
pub use supply::Birth;
pub use supply::Supply;
pub use supply::SupplyFigures;
pub use supply::TownPopulation;
pub use supply::supply;
