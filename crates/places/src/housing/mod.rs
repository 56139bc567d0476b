//! Public rental housing (公租房, system C5): eligibility, points, the verifiable lottery, offers, leases, re-qualification and rent subsidies.
//!
//! The rules are data ([`rules`], `data/places/housing.toml`). A [`Household`] carries the register
//! facts it is decided on (never uploads); [`eligibility`](eligibility::eligibility) explains each
//! criterion. Homes go either by the points [`waiting_list`] or by a [`lottery`] whose seed is
//! committed before the draw and which anyone can re-run (`tools/lottery-verify/verify.py`).
//! [`offers`] offers a vacant [`Unit`] to the next household that fits; acceptance makes a
//! [`Lease`], refusals are counted and bar; [`lease`] re-qualifies yearly and ends at move-out.
//! [`subsidy`] gives the monthly rent subsidy of qualified households not in public housing.
//! [`synth`] makes households for tests and the benchmark. Every function checks everything
//! before it changes anything.

pub mod eligibility;
pub mod error;
pub mod household;
pub mod lease;
pub mod lottery;
pub mod offers;
pub mod points;
pub mod rules;
pub mod subsidy;
pub mod synth;

domain::define_id! {
    /// A public rental home (房源).
    UnitId
}
domain::define_id! {
    /// An offer of a home to a household (配租通知).
    OfferId
}
domain::define_id! {
    /// A lease (租赁合同).
    LeaseId
}
domain::define_id! {
    /// A lottery draw (摇号).
    DrawId
}

pub use eligibility::Criterion;
pub use eligibility::Explanation;
pub use eligibility::eligibility;
pub use eligibility::is_eligible;
pub use error::ErrorKind;
pub use error::HousingError;
pub use household::Area;
pub use household::Household;
pub use household::HouseholdFacts;
pub use household::Member;
pub use household::check_unique;
pub use lease::Lease;
pub use lease::LeaseState;
pub use lease::Outcome;
pub use lease::Rent;
pub use lease::Requalification;
pub use lease::move_out;
pub use lease::renew;
pub use lease::rent_for;
pub use lease::requalify;
pub use lottery::Draw;
pub use lottery::DrawGroup;
pub use lottery::commit;
pub use lottery::seed_commitment;
pub use lottery::verify;
pub use offers::Offer;
pub use offers::OfferState;
pub use offers::Standing;
pub use offers::Unit;
pub use offers::UnitStatus;
pub use offers::accept;
pub use offers::expire;
pub use offers::make_offer;
pub use offers::next_in_line;
pub use offers::offer_next;
pub use offers::refuse;
pub use points::Points;
pub use points::PointsLine;
pub use points::Ranked;
pub use points::WaitingList;
pub use points::points;
pub use points::waiting_list;
pub use rules::Hardship;
pub use rules::HousingRules;
pub use subsidy::SubsidyLine;
pub use subsidy::monthly_subsidy;
