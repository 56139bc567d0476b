//! Applications for a childcare place (入托申请): the family, the child, the start date, up to
//! five institutions in order of preference, and the facts the institutions' priority rules read.
//! The child's age class follows from its birth date and the start date.

use std::collections::HashMap;

use chrono::NaiveDate;
use domain::AccountId;
use domain::CreditCode;
use domain::PersonId;
use serde::Deserialize;
use serde::Serialize;

use super::error::ChildcareError;
use super::institution::Institution;
use super::institution::InstitutionId;
use super::institution::InstitutionStatus;
use super::rules::AgeClass;
use super::rules::ChildcareRules;

domain::define_id! {
    /// An application for a childcare place.
    ChildcareApplicationId
}

/// The most institutions one application may name.
pub const MAX_PREFERENCES: usize = 5;

/// The longest walking time taken, in minutes (longer is an error, not a fact).
pub const MAX_WALKING_MINUTES: u32 = 600;

/// The walking time from home to an institution, as the caller computed it on the street network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct WalkingTime {
    /// The institution.
    pub institution: InstitutionId,
    /// Minutes on foot.
    pub minutes: u32,
}

/// An application for a childcare place.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Application {
    /// Its id.
    pub id: ChildcareApplicationId,
    /// The family: the guardian's account.
    pub family: AccountId,
    /// The child.
    pub child: PersonId,
    /// The child's birth date.
    pub birth_date: NaiveDate,
    /// When the child would start.
    pub start_date: NaiveDate,
    /// Institutions, most wanted first (1 to [`MAX_PREFERENCES`], no repeats).
    pub preferences: Vec<InstitutionId>,
    /// Institutions where a sibling is enrolled.
    pub siblings_at: Vec<InstitutionId>,
    /// A hardship household (困难家庭: 低保, 特困, 低边 as the registers say).
    pub hardship: bool,
    /// The parents' employers.
    pub employers: Vec<CreditCode>,
    /// Walking time from home to each preferred institution (others may be given too).
    pub walking: Vec<WalkingTime>,
    /// An institution where the family already holds an offered place from an earlier round: in a
    /// re-run it is admitted there before anyone else, so it keeps that place unless it gets one it
    /// prefers (list only the institutions up to and including it).
    #[serde(default)]
    pub holds: Option<InstitutionId>,
}

impl Application {
    /// The child's age class on the start date.
    pub fn class(&self, rules: &ChildcareRules) -> Result<AgeClass, ChildcareError> {
        rules.class_on(self.birth_date, self.start_date)
    }

    /// Minutes on foot to `institution`, if given.
    pub fn walking_minutes(&self, institution: InstitutionId) -> Option<u32> {
        self.walking.iter().find(|w| w.institution == institution).map(|w| w.minutes)
    }

    /// Checks an application as it is filed on `today`: a birth date not after today, a start
    /// date not before it (and within a year), the child's age on the start date within the
    /// classes' range, 1–5 preferences without repeats, each an open institution with places in
    /// the child's class, a walking time (at most 600 minutes) for each. Returns the child's
    /// class.
    pub fn validate(&self, rules: &ChildcareRules, institutions: &[Institution], today: NaiveDate) -> Result<AgeClass, ChildcareError> {
        if self.birth_date > today {
            return Err(ChildcareError::invalid("birth_date", "出生日期不能晚于今天", "must not be after today"));
        }
        if self.start_date < today {
            return Err(ChildcareError::invalid("start_date", "入托日期不能早于今天", "must not be before today"));
        }
        if today.checked_add_days(chrono::Days::new(366)).is_some_and(|latest| self.start_date > latest) {
            return Err(ChildcareError::invalid("start_date", "入托日期应在一年以内", "must be within a year"));
        }
        let by_id: HashMap<InstitutionId, &Institution> = institutions.iter().map(|i| (i.id, i)).collect();
        self.check(rules, &|id| by_id.get(&id).copied(), true)
    }

    /// The checks an allocation run makes (see [`Application::validate`]); with `strict` false an
    /// institution that stopped taking children or has no places in the class is left to the
    /// run (no seats there), not an error.
    pub(crate) fn check<'a>(&self, rules: &ChildcareRules, lookup: &dyn Fn(InstitutionId) -> Option<&'a Institution>, strict: bool) -> Result<AgeClass, ChildcareError> {
        if self.preferences.is_empty() {
            return Err(ChildcareError::NoPreferences);
        }
        if self.preferences.len() > MAX_PREFERENCES {
            return Err(ChildcareError::TooManyPreferences { count: self.preferences.len(), max: MAX_PREFERENCES });
        }
        let class = self.class(rules)?;
        for (i, id) in self.preferences.iter().enumerate() {
            let field = format!("preferences[{i}]");
            if self.preferences[..i].contains(id) {
                return Err(ChildcareError::DuplicatePreference { field, id: id.0 });
            }
            let inst = lookup(*id).ok_or(ChildcareError::UnknownInstitution { field: field.clone(), id: id.0 })?;
            if strict {
                match inst.status {
                    InstitutionStatus::Open => {}
                    InstitutionStatus::Suspended => return Err(ChildcareError::InstitutionSuspended { field, id: id.0 }),
                    InstitutionStatus::Closed => return Err(ChildcareError::InstitutionClosed { field, id: id.0 }),
                }
                if inst.offer(class).is_none() {
                    return Err(ChildcareError::ClassNotOffered { field, id: id.0, class: class.code() });
                }
            }
            match self.walking_minutes(*id) {
                None => return Err(ChildcareError::MissingWalkingTime { field, id: id.0 }),
                Some(m) if m > MAX_WALKING_MINUTES => {
                    return Err(ChildcareError::invalid(field, "步行时间应在 600 分钟以内", "the walking time must be at most 600 minutes"));
                }
                Some(_) => {}
            }
        }
        Ok(class)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
pub(crate) mod tests {
    use super::*;
    use crate::childcare::institution::tests::d;
    use crate::childcare::institution::tests::sample;

    pub(crate) fn app(id: i64, prefs: &[i64]) -> Application {
        Application {
            id: ChildcareApplicationId(id),
            family: AccountId(1000 + id),
            child: PersonId(2000 + id),
            birth_date: d(2025, 3, 1),
            start_date: d(2026, 9, 1),
            preferences: prefs.iter().map(|p| InstitutionId(*p)).collect(),
            siblings_at: vec![],
            hardship: false,
            employers: vec![],
            walking: (1..=10).map(|i| WalkingTime { institution: InstitutionId(i), minutes: 10 }).collect(),
            holds: None,
        }
    }

    #[test]
    fn a_good_application_gives_the_childs_class() {
        let r = ChildcareRules::embedded().unwrap();
        let insts = [sample(1), sample(2)];
        assert_eq!(app(1, &[2, 1]).validate(&r, &insts, d(2026, 8, 1)).unwrap(), AgeClass::YoungToddler);
    }

    #[test]
    fn bad_applications_say_which_preference() {
        let r = ChildcareRules::embedded().unwrap();
        let mut insts = vec![sample(1), sample(2), sample(3), sample(4)];
        insts[1].status = InstitutionStatus::Closed;
        insts[2].status = InstitutionStatus::Suspended;
        insts[3].classes.retain(|c| c.class != AgeClass::YoungToddler);
        let today = d(2026, 8, 1);
        let check = |a: &Application| a.validate(&r, &insts, today).unwrap_err();
        assert_eq!(check(&app(1, &[])), ChildcareError::NoPreferences);
        assert_eq!(check(&app(1, &[1, 5, 6, 7, 8, 9])), ChildcareError::TooManyPreferences { count: 6, max: 5 });
        assert_eq!(check(&app(1, &[1, 1])), ChildcareError::DuplicatePreference { field: "preferences[1]".into(), id: 1 });
        assert_eq!(check(&app(1, &[1, 9])), ChildcareError::UnknownInstitution { field: "preferences[1]".into(), id: 9 });
        assert_eq!(check(&app(1, &[1, 4, 2])).code_for_test(), "age_class_not_offered");
        assert_eq!(check(&app(1, &[1, 2])), ChildcareError::InstitutionClosed { field: "preferences[1]".into(), id: 2 });
        assert_eq!(check(&app(1, &[3])), ChildcareError::InstitutionSuspended { field: "preferences[0]".into(), id: 3 });
        let mut a = app(1, &[1]);
        a.walking.clear();
        assert_eq!(check(&a), ChildcareError::MissingWalkingTime { field: "preferences[0]".into(), id: 1 });
        let mut a = app(1, &[1]);
        a.birth_date = d(2026, 5, 1);
        assert_eq!(check(&a), ChildcareError::ChildAgeOutOfRange { months: 4, min: 6, max: 36 });
        a.birth_date = d(2023, 9, 1);
        assert_eq!(check(&a).field().as_deref(), Some("start_date"));
        let mut a = app(1, &[1]);
        a.start_date = d(2026, 7, 1);
        assert_eq!(check(&a).field().as_deref(), Some("start_date"));
        let mut a = app(1, &[1]);
        a.birth_date = d(2026, 8, 2);
        assert_eq!(check(&a).field().as_deref(), Some("birth_date"));
    }

    trait CodeForTest {
        fn code_for_test(&self) -> &'static str;
    }

    impl CodeForTest for ChildcareError {
        fn code_for_test(&self) -> &'static str {
            domain::Describe::code(self)
        }
    }
}
