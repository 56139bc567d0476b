//! Deterministic synthetic households for tests and the lottery benchmark: same seed, same
//! households. Every household made here is valid and eligible under the shipped rules.

use chrono::Duration;
use chrono::NaiveDate;
use domain::AccountId;
use domain::Fen;
use domain::PersonId;

use crate::housing::household::Area;
use crate::housing::household::Household;
use crate::housing::household::HouseholdFacts;
use crate::housing::household::Member;

pub use crate::rng::SplitMix;


fn i64_of(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// `n` eligible households as of `today`, applicants `1_000_001 ..`, persons `applicant × 10 + k`:
/// 1–5 members, incomes up to 4,300 yuan a head, 8 % 低保, 2 % 特困, 5 % with a grade 1–2
/// disability, about 12 % with a member aged 60+, 7 % single parents, 85 % registered here and the
/// rest new citizens with 12–120 months of social insurance, applications over the last 3 years.
pub fn households(seed: u64, n: usize, today: NaiveDate) -> Vec<Household> {
    let mut r = SplitMix::new(seed);
    (0..n)
        .map(|i| {
            let applicant = 1_000_001 + i64::try_from(i).unwrap_or(0);
            let size = 1 + r.below(5);
            let elder = r.percent(12);
            let members = (0..size)
                .map(|k| {
                    let age_days = if k == 0 {
                        if elder { 60 * 366 + r.below(25 * 365) } else { 22 * 366 + r.below(35 * 365) }
                    } else {
                        r.below(50 * 365)
                    };
                    Member {
                        person: PersonId(applicant * 10 + i64_of(k)),
                        birth_date: today - Duration::days(i64_of(age_days)),
                        disability_grade: if r.percent(2) { Some(1 + u8::try_from(r.below(4)).unwrap_or(0)) } else { None },
                    }
                })
                .collect();
            let registered = r.percent(85);
            let facts = HouseholdFacts {
                income_per_head_month: Fen(i64_of(50_000 + r.below(380_000))),
                assets: Fen(i64_of(r.below(50_000_000))),
                housing_area: Area(i64_of(r.below(size * 1_400))),
                owns_home_elsewhere: false,
                registered_in_district: registered,
                social_insurance_months_in_district: if registered { u32::try_from(r.below(60)).unwrap_or(0) } else { 12 + u32::try_from(r.below(109)).unwrap_or(0) },
                dibao: r.percent(8),
                tekun: r.percent(2),
                single_parent: size >= 2 && r.percent(7),
                in_public_housing: false,
            };
            let applied = today - Duration::days(i64_of(r.below(3 * 365)));
            let applied_at = domain::china_start_of_day(applied) + Duration::seconds(i64_of(r.below(86_400)));
            Household { applicant: AccountId(applicant), applicant_person: PersonId(applicant * 10), applied_at, members, facts }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::housing::eligibility::eligibility;
    use crate::housing::error::HousingError;
    use crate::housing::household::check_unique;
    use crate::housing::household::tests::day;
    use crate::housing::rules::HousingRules;

    #[test]
    fn the_same_seed_makes_the_same_eligible_households() -> Result<(), HousingError> {
        let rules = HousingRules::embedded()?;
        let today = day(2026, 12, 7);
        let a = households(1, 500, today);
        assert_eq!(a, households(1, 500, today));
        assert_ne!(a, households(2, 500, today));
        check_unique(&a)?;
        for h in &a {
            assert!(eligibility(&rules, h, today)?.eligible, "{h:?}");
        }
        Ok(())
    }
}
