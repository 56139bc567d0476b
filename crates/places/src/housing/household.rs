//! `Household`: an application for public rental housing — the applicant, the members and the
//! register facts it is decided on (never uploads) — and the checks every function runs on it
//! before using it, including that no person is in two households at once.

use std::collections::BTreeMap;
use std::fmt;

use chrono::DateTime;
use chrono::NaiveDate;
use chrono::Utc;
use domain::AccountId;
use domain::Fen;
use domain::PersonId;
use serde::Deserialize;
use serde::Serialize;

use crate::housing::error::HousingError;
use crate::housing::rules::Hardship;

/// A floor area in hundredths of a square metre (`4567` is 45.67 m²), so sums are exact.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Area(pub i64);

impl Area {
    /// Whole square metres.
    pub fn from_m2(m2: i64) -> Area {
        Area(m2.saturating_mul(100))
    }
}

impl fmt::Display for Area {
    /// `45.67`: square metres with two decimals.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let a = self.0.unsigned_abs();
        write!(f, "{sign}{}.{:02}", a / 100, a % 100)
    }
}

/// One member of a household (the applicant is one of them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    /// The person (household register).
    pub person: PersonId,
    /// Date of birth (household register).
    pub birth_date: NaiveDate,
    /// 1 (most severe) ..= 4 from the disability certificate (残联), if any.
    pub disability_grade: Option<u8>,
}

/// What the registers say about the household, on the day they were read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HouseholdFacts {
    /// Monthly household income per head (家庭经济状况核对).
    pub income_per_head_month: Fen,
    /// Total household assets (家庭经济状况核对).
    pub assets: Fen,
    /// Floor area of the housing the household lives in now, any tenure (不动产登记/租赁备案).
    pub housing_area: Area,
    /// Someone in the household owns housing anywhere (不动产登记).
    pub owns_home_elsewhere: bool,
    /// The applicant's household registration (户籍) is in the district.
    pub registered_in_district: bool,
    /// Months of social insurance paid in the district (社保缴纳记录), for new citizens.
    pub social_insurance_months_in_district: u32,
    /// 低保 (民政低保名册).
    pub dibao: bool,
    /// 特困供养 (民政特困名册).
    pub tekun: bool,
    /// A single parent with children under 18 (户籍与婚姻登记).
    pub single_parent: bool,
    /// The household already rents public housing (住建局保障房台账).
    pub in_public_housing: bool,
}

/// A household's application for public rental housing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Household {
    /// The applicant's account (the application's id on the waiting list and in draws).
    pub applicant: AccountId,
    /// The applicant as a person; one of `members`.
    pub applicant_person: PersonId,
    /// When the application was filed (breaks ties on the waiting list).
    pub applied_at: DateTime<Utc>,
    /// Everyone in the household, the applicant included.
    pub members: Vec<Member>,
    /// The register facts.
    pub facts: HouseholdFacts,
}

/// Whole years of age on `on`.
pub fn age_on(birth: NaiveDate, on: NaiveDate) -> i64 {
    use chrono::Datelike;
    let mut years = i64::from(on.year()) - i64::from(birth.year());
    if (on.month(), on.day()) < (birth.month(), birth.day()) {
        years -= 1;
    }
    years
}

impl Household {
    /// Checks the household's values on `today`: members, ids, dates, amounts.
    pub fn validate(&self, today: NaiveDate) -> Result<(), HousingError> {
        let bad = |field: &str, zh: &str, en: &str| Err(HousingError::invalid(field, zh, en));
        if self.members.is_empty() {
            return Err(HousingError::EmptyHousehold { applicant: self.applicant.0 });
        }
        if self.applicant.0 <= 0 {
            return bad("applicant", "申请人账号应为正整数", "the applicant's account id must be positive");
        }
        if self.members.len() > 30 {
            return bad("members", "家庭成员不能超过 30 人", "a household has at most 30 members");
        }
        let mut seen = std::collections::BTreeSet::new();
        for (i, m) in self.members.iter().enumerate() {
            if m.person.0 <= 0 {
                return bad(&format!("members[{i}].person"), "人员编号应为正整数", "a person id must be positive");
            }
            if !seen.insert(m.person) {
                return bad(&format!("members[{i}].person"), "同一人在家庭中出现两次", "the same person is listed twice");
            }
            if m.birth_date > today || age_on(m.birth_date, today) > 130 {
                return bad(&format!("members[{i}].birth_date"), "出生日期不合理", "the date of birth is not plausible");
            }
            if m.disability_grade.is_some_and(|g| !(1..=4).contains(&g)) {
                return bad(&format!("members[{i}].disability_grade"), "残疾等级应为 1–4 级", "a disability grade is 1 to 4");
            }
        }
        if !seen.contains(&self.applicant_person) {
            return bad("applicant_person", "申请人应为家庭成员之一", "the applicant must be one of the members");
        }
        if domain::china_date(self.applied_at) > today {
            return bad("applied_at", "申请时间晚于今天", "the application is dated after today");
        }
        let f = &self.facts;
        if f.income_per_head_month.is_negative() {
            return bad("facts.income_per_head_month", "收入不能为负", "income must not be negative");
        }
        if f.assets.is_negative() {
            return bad("facts.assets", "资产不能为负", "assets must not be negative");
        }
        if f.housing_area.0 < 0 || f.housing_area.0 > 10_000_000 {
            return bad("facts.housing_area", "住房面积不合理", "the housing area is not plausible");
        }
        if f.social_insurance_months_in_district > 1200 {
            return bad("facts.social_insurance_months_in_district", "社保月数不合理", "the months of social insurance are not plausible");
        }
        Ok(())
    }

    /// The household's size.
    pub fn size(&self) -> usize {
        self.members.len()
    }

    /// The hardships that apply on `today`, in [`Hardship::ALL`] order.
    pub fn hardships(&self, today: NaiveDate) -> Vec<Hardship> {
        Hardship::ALL
            .into_iter()
            .filter(|h| match h {
                Hardship::Dibao => self.facts.dibao,
                Hardship::Tekun => self.facts.tekun,
                Hardship::DisabilitySevere => self.members.iter().any(|m| m.disability_grade.is_some_and(|g| g <= 2)),
                Hardship::Elder => self.members.iter().any(|m| age_on(m.birth_date, today) >= 60),
                Hardship::SingleParent => self.facts.single_parent,
            })
            .collect()
    }
}

/// Checks that no person (and no applicant account) is in two households or applications.
pub fn check_unique<'a>(households: impl IntoIterator<Item = &'a Household>) -> Result<(), HousingError> {
    let mut persons: BTreeMap<PersonId, AccountId> = BTreeMap::new();
    let mut accounts: BTreeMap<AccountId, ()> = BTreeMap::new();
    for h in households {
        if accounts.insert(h.applicant, ()).is_some() {
            return Err(HousingError::ApplicantInTwoHouseholds { person: h.applicant_person.0, first: h.applicant.0, second: h.applicant.0 });
        }
        for m in &h.members {
            if let Some(first) = persons.insert(m.person, h.applicant) {
                return Err(HousingError::ApplicantInTwoHouseholds { person: m.person.0, first: first.0, second: h.applicant.0 });
            }
        }
    }
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
    }

    /// A two-person household that qualifies: 2,000 yuan a head, 20 m², registered here.
    pub(crate) fn family(applicant: i64) -> Household {
        Household {
            applicant: AccountId(applicant),
            applicant_person: PersonId(applicant * 10),
            applied_at: domain::china_start_of_day(day(2025, 1, 15)),
            members: vec![
                Member { person: PersonId(applicant * 10), birth_date: day(1985, 5, 1), disability_grade: None },
                Member { person: PersonId(applicant * 10 + 1), birth_date: day(2015, 9, 1), disability_grade: None },
            ],
            facts: HouseholdFacts {
                income_per_head_month: Fen::from_yuan(2000),
                assets: Fen::from_yuan(100_000),
                housing_area: Area::from_m2(20),
                owns_home_elsewhere: false,
                registered_in_district: true,
                social_insurance_months_in_district: 0,
                dibao: false,
                tekun: false,
                single_parent: true,
                in_public_housing: false,
            },
        }
    }

    #[test]
    fn validation_catches_bad_values() {
        let today = day(2026, 12, 7);
        assert!(family(1).validate(today).is_ok());
        let mut h = family(1);
        h.members.clear();
        assert!(matches!(h.validate(today), Err(HousingError::EmptyHousehold { .. })));
        let mut h = family(1);
        h.facts.assets = Fen(-1);
        assert!(matches!(h.validate(today), Err(HousingError::Invalid { field, .. }) if field == "facts.assets"));
        let mut h = family(1);
        h.members[1].birth_date = day(2027, 1, 1);
        assert!(matches!(h.validate(today), Err(HousingError::Invalid { field, .. }) if field == "members[1].birth_date"));
        let mut h = family(1);
        h.applicant_person = PersonId(999);
        assert!(h.validate(today).is_err());
        assert_eq!(Area(4567).to_string(), "45.67");
    }

    #[test]
    fn a_person_in_two_households_is_refused() {
        let a = family(1);
        let mut b = family(2);
        assert!(check_unique([&a, &b]).is_ok());
        b.members.push(a.members[0].clone());
        let e = check_unique([&a, &b]);
        assert!(matches!(e, Err(HousingError::ApplicantInTwoHouseholds { person: 10, first: 1, second: 2 })), "{e:?}");
    }
}
