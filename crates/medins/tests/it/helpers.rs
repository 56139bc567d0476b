//! Small builders for hand-checkable episodes and hospitals.

use chrono::NaiveDate;
use domain::Fen;
use medins::CostCategory;
use medins::Episode;
use medins::Hospital;
use medins::HospitalLevel;
use medins::InsuranceType;
use medins::Membership;
use medins::Sex;

pub fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).expect("a date")
}

/// A 70-year-old man's stay of `days` days discharged on `discharged`, costing `yuan`.
pub fn ep(hospital: &str, id: &str, principal: &str, discharged: NaiveDate, days: u64, yuan: i64) -> Episode {
    Episode {
        id: id.into(),
        patient: format!("P-{id}"),
        hospital: hospital.into(),
        admitted: discharged.checked_sub_days(chrono::Days::new(days)).expect("a date"),
        discharged,
        age: 70,
        sex: Sex::Male,
        principal_dx: principal.into(),
        other_dx: vec![],
        procedures: vec![],
        costs: split(yuan * 100),
        insurance: InsuranceType::Employee,
    }
}

/// `fen` split over three cost lines.
pub fn split(fen: i64) -> Vec<(CostCategory, Fen)> {
    let a = fen / 2;
    let b = fen / 3;
    vec![(CostCategory::WesternMedicine, Fen(a)), (CostCategory::Bed, Fen(b)), (CostCategory::Nursing, Fen(fen - a - b))]
}

/// A minimal episode for grouping: principal, others, procedures, age, sex.
pub fn case(principal: &str, others: &[&str], procedures: &[&str], age: u8, sex: Sex) -> Episode {
    let mut e = ep("h", "g1", principal, d(2024, 3, 10), 5, 8_000);
    e.other_dx = others.iter().map(|s| (*s).to_owned()).collect();
    e.procedures = procedures.iter().map(|s| (*s).to_owned()).collect();
    e.age = age;
    e.sex = sex;
    e
}

pub fn secondary(code: &str) -> Hospital {
    Hospital { code: code.into(), name: format!("{code} 医院"), level: HospitalLevel::Secondary, membership: Membership::Included { since: d(2021, 1, 1) } }
}

pub fn tertiary(code: &str, membership: Membership) -> Hospital {
    Hospital { code: code.into(), name: format!("{code} 医院"), level: HospitalLevel::Tertiary, membership }
}
