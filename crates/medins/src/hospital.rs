//! Hospitals and their membership of the bed-day scheme: tertiary hospitals join by application
//! (申请制: apply, then an approval or a refusal), the others by inclusion (纳入制: included from
//! a date, no application).

use chrono::NaiveDate;
use serde::Deserialize;
use serde::Serialize;

use crate::error::MedinsError;

/// A hospital's level (医院等级), which sets its per-diem tariffs and the patient's deductible.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HospitalLevel {
    /// 三级: joins the bed-day scheme by application.
    Tertiary,
    /// 二级: included.
    Secondary,
    /// 一级及以下 (town health centres, community health service centres): included.
    Primary,
}

impl HospitalLevel {
    /// Every level, highest first.
    pub const ALL: [HospitalLevel; 3] = [HospitalLevel::Tertiary, HospitalLevel::Secondary, HospitalLevel::Primary];

    /// The stable code, as serialized.
    pub fn code(self) -> &'static str {
        match self {
            HospitalLevel::Tertiary => "tertiary",
            HospitalLevel::Secondary => "secondary",
            HospitalLevel::Primary => "primary",
        }
    }

    /// The Chinese name.
    pub fn name_zh(self) -> &'static str {
        match self {
            HospitalLevel::Tertiary => "三级",
            HospitalLevel::Secondary => "二级",
            HospitalLevel::Primary => "一级及以下",
        }
    }

    /// Whether hospitals of this level join by application (only tertiary ones do).
    pub fn joins_by_application(self) -> bool {
        self == HospitalLevel::Tertiary
    }
}

/// A hospital's membership of the bed-day scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "status")]
pub enum Membership {
    /// Included (纳入, secondary and primary hospitals) from `since`.
    Included {
        /// The first day bed-day payment applies (by discharge date).
        since: NaiveDate,
    },
    /// Applied, awaiting review (tertiary hospitals).
    Applied,
    /// Application approved: in the scheme from `since`.
    Approved {
        /// The first day bed-day payment applies (by discharge date).
        since: NaiveDate,
    },
    /// Application refused; the hospital may apply again.
    Refused,
    /// Not in the scheme.
    NotIn,
}

impl Membership {
    /// The stable code of the state.
    pub fn code(&self) -> &'static str {
        match self {
            Membership::Included { .. } => "included",
            Membership::Applied => "applied",
            Membership::Approved { .. } => "approved",
            Membership::Refused => "refused",
            Membership::NotIn => "not_in",
        }
    }

    /// The Chinese name of the state.
    pub fn name_zh(&self) -> &'static str {
        match self {
            Membership::Included { .. } => "已纳入",
            Membership::Applied => "已申请待审核",
            Membership::Approved { .. } => "申请已通过",
            Membership::Refused => "申请未通过",
            Membership::NotIn => "未纳入",
        }
    }

    /// The day from which the hospital is in the scheme, if it is (or will be).
    pub fn since(&self) -> Option<NaiveDate> {
        match self {
            Membership::Included { since } | Membership::Approved { since } => Some(*since),
            _ => None,
        }
    }

    /// Whether the hospital is in the scheme on `date`.
    pub fn active_on(&self, date: NaiveDate) -> bool {
        self.since().is_some_and(|s| s <= date)
    }
}

/// A hospital of the district's settlement (定点医疗机构).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hospital {
    /// Its code, as episodes name it.
    pub code: String,
    /// Its name.
    pub name: String,
    /// Its level.
    pub level: HospitalLevel,
    /// Its membership of the bed-day scheme.
    pub membership: Membership,
}

impl Hospital {
    /// A hospital as it first enters the settlement: a tertiary hospital is not in the bed-day
    /// scheme until its application is approved; any other is included from `since`.
    pub fn new(code: impl Into<String>, name: impl Into<String>, level: HospitalLevel, since: NaiveDate) -> Hospital {
        let membership = if level.joins_by_application() { Membership::NotIn } else { Membership::Included { since } };
        Hospital { code: code.into(), name: name.into(), level, membership }
    }

    /// Whether the hospital is in the bed-day scheme on `date`.
    pub fn in_scheme_on(&self, date: NaiveDate) -> bool {
        self.membership.active_on(date)
    }

    /// Checks that the membership fits the level: `Applied`, `Approved` and `Refused` only for a
    /// tertiary hospital, `Included` only for the others.
    pub fn check(&self) -> Result<(), MedinsError> {
        let bad = |en: &str, zh: &str| {
            Err(MedinsError::InvalidMembership { hospital: self.code.clone(), message: en.to_owned(), message_zh: zh.to_owned() })
        };
        match (self.level.joins_by_application(), self.membership) {
            (true, Membership::Included { .. }) => bad(
                "a tertiary hospital joins the bed-day scheme by application, it is not included",
                "为三级医疗机构，床日付费实行申请制，不能直接纳入",
            ),
            (false, Membership::Applied | Membership::Approved { .. } | Membership::Refused) => bad(
                "a secondary or primary hospital is included in the bed-day scheme, it does not apply",
                "为二级及以下医疗机构，床日付费实行纳入制，无需申请",
            ),
            _ => Ok(()),
        }
    }

    fn state_error(&self, action: &'static str) -> MedinsError {
        let (state, state_zh) = (self.membership.code(), self.membership.name_zh());
        MedinsError::MembershipState { hospital: self.code.clone(), action, state, state_zh }
    }

    /// A tertiary hospital applies to join (from not in, or after a refusal).
    pub fn apply(&mut self) -> Result<(), MedinsError> {
        if !self.level.joins_by_application() {
            return Err(MedinsError::InvalidMembership {
                hospital: self.code.clone(),
                message: "a secondary or primary hospital is included, it does not apply".into(),
                message_zh: "为二级及以下医疗机构，床日付费实行纳入制，无需申请".into(),
            });
        }
        match self.membership {
            Membership::NotIn | Membership::Refused => {
                self.membership = Membership::Applied;
                Ok(())
            }
            _ => Err(self.state_error("apply")),
        }
    }

    /// The reviewer approves a pending application: in the scheme from `since`.
    pub fn approve(&mut self, since: NaiveDate) -> Result<(), MedinsError> {
        match self.membership {
            Membership::Applied => {
                self.membership = Membership::Approved { since };
                Ok(())
            }
            _ => Err(self.state_error("approve")),
        }
    }

    /// The reviewer refuses a pending application.
    pub fn refuse(&mut self) -> Result<(), MedinsError> {
        match self.membership {
            Membership::Applied => {
                self.membership = Membership::Refused;
                Ok(())
            }
            _ => Err(self.state_error("refuse")),
        }
    }

    /// A secondary or primary hospital is included from `since`.
    pub fn include(&mut self, since: NaiveDate) -> Result<(), MedinsError> {
        if self.level.joins_by_application() {
            return Err(MedinsError::InvalidMembership {
                hospital: self.code.clone(),
                message: "a tertiary hospital joins by application, it is not included".into(),
                message_zh: "为三级医疗机构，床日付费实行申请制，不能直接纳入".into(),
            });
        }
        match self.membership {
            Membership::NotIn => {
                self.membership = Membership::Included { since };
                Ok(())
            }
            _ => Err(self.state_error("include")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("a date")
    }

    #[test]
    fn tertiary_hospitals_apply_and_are_reviewed() {
        let mut h = Hospital::new("fy-1h", "第一人民医院", HospitalLevel::Tertiary, d(2021, 1, 1));
        assert_eq!(h.membership, Membership::NotIn);
        assert!(h.approve(d(2021, 7, 1)).is_err(), "nothing to approve yet");
        h.apply().expect("may apply");
        assert!(h.apply().is_err(), "already applied");
        h.refuse().expect("refused");
        h.apply().expect("may apply again");
        h.approve(d(2021, 7, 1)).expect("approved");
        assert!(!h.in_scheme_on(d(2021, 6, 30)));
        assert!(h.in_scheme_on(d(2021, 7, 1)));
        assert_eq!(h.check(), Ok(()));
        let e = h.include(d(2021, 1, 1)).expect_err("tertiary is not included");
        assert_eq!(domain::Describe::code(&e), "invalid_membership");
        let e = h.refuse().expect_err("not pending");
        assert_eq!(domain::Describe::code(&e), "membership_state");
    }

    #[test]
    fn other_hospitals_are_included() {
        let mut h = Hospital::new("fy-hc-110", "场口镇中心卫生院", HospitalLevel::Primary, d(2021, 1, 1));
        assert!(h.in_scheme_on(d(2021, 1, 1)));
        assert!(h.apply().is_err());
        h.membership = Membership::Approved { since: d(2021, 1, 1) };
        assert!(h.check().is_err());
        h.membership = Membership::NotIn;
        h.include(d(2022, 1, 1)).expect("included");
        assert!(!h.in_scheme_on(d(2021, 12, 31)));
        let json = serde_json::to_string(&h.membership).expect("json");
        assert_eq!(json, r#"{"status":"included","since":"2022-01-01"}"#);
    }
}
