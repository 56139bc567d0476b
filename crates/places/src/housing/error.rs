//! `HousingError`: everything that can be wrong with the housing engine's input — the rules file,
//! a household, a draw, an offer, a lease or a 善居 project in the wrong state or by the wrong
//! person — each with a stable code, Chinese and English messages, the field at fault and its
//! `domain::ErrorKind`. Nothing is changed when one is returned.

use chrono::NaiveDate;
use domain::Describe;

/// What sort of failure it is (the shared vocabulary of `domain`).
pub use domain::ErrorKind;

/// Everything that can go wrong in the housing engine (公租房 and 善居工程).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum HousingError {
    /// The rules file (`data/places/housing.toml`) does not parse or breaks a rule.
    #[error("{file}:{line}:{column}: {field}: {message_en}")]
    Rules {
        /// The file name.
        file: String,
        /// The 1-based line at fault (0 when unknown).
        line: usize,
        /// The 1-based column at fault (0 when unknown).
        column: usize,
        /// The field at fault, e.g. `rent.band[1].rent_percent`.
        field: String,
        /// What is wrong, in Chinese.
        message_zh: String,
        /// What is wrong, in English.
        message_en: String,
    },
    /// A value that breaks a rule (a negative income, a birth date in the future, an empty name).
    #[error("{field}: {message_en}")]
    Invalid {
        /// The field at fault.
        field: String,
        /// What is wrong, in Chinese.
        message_zh: String,
        /// What is wrong, in English.
        message_en: String,
    },
    /// A household without members.
    #[error("household of applicant {applicant} has no members")]
    EmptyHousehold {
        /// The applicant's account.
        applicant: i64,
    },
    /// A person in two households (or two applications) at once.
    #[error("person {person} is in the households of applicants {first} and {second}")]
    ApplicantInTwoHouseholds {
        /// The person.
        person: i64,
        /// The first household's applicant.
        first: i64,
        /// The second household's applicant.
        second: i64,
    },
    /// The household does not (or no longer) meet the eligibility criteria.
    #[error("applicant {applicant} is not eligible: {criteria} not met")]
    NotEligible {
        /// The applicant's account.
        applicant: i64,
        /// The codes of the criteria not met, comma-separated.
        criteria: String,
    },
    /// Something named does not exist (a unit, an offer, a group, a band).
    #[error("no {what} {id}")]
    NotFound {
        /// What was looked for.
        what: &'static str,
        /// Its id as given.
        id: String,
    },
    /// An action the record's state does not allow.
    #[error("cannot {action} when it is {state}")]
    WrongState {
        /// The action's code.
        action: &'static str,
        /// The state's code.
        state: &'static str,
    },
    /// The actor is not the one who may do this.
    #[error("{actor} may not {action}: {why_en}")]
    NotAllowed {
        /// The actor's id.
        actor: i64,
        /// The action's code.
        action: &'static str,
        /// Why not, in Chinese.
        why_zh: &'static str,
        /// Why not, in English.
        why_en: &'static str,
    },
    /// The household refused too many offers and is barred until a date.
    #[error("applicant {applicant} is barred from offers until {until}")]
    Barred {
        /// The applicant's account.
        applicant: i64,
        /// The first day offers may be made again.
        until: NaiveDate,
    },
    /// The unit's rooms do not fit the household's size.
    #[error("a unit of {rooms} rooms does not fit a household of {members}")]
    UnitDoesNotFit {
        /// The unit's rooms.
        rooms: u8,
        /// The household's size.
        members: usize,
    },
    /// The offer's deadline has passed (accept or refuse too late).
    #[error("the offer's deadline {deadline} has passed")]
    OfferExpired {
        /// The last day to answer.
        deadline: NaiveDate,
    },
    /// An offer cannot expire before its deadline has passed.
    #[error("the offer is open until {deadline}")]
    OfferStillOpen {
        /// The last day to answer.
        deadline: NaiveDate,
    },
    /// The revealed seed does not hash to the published commitment.
    #[error("the seed does not match the commitment {commitment}")]
    LotterySeedMismatch {
        /// The published commitment (hex SHA-256 of the seed).
        commitment: String,
    },
    /// A group's applicant list does not match its published digest.
    #[error("the applicants of group {group} do not match its published digest")]
    LotteryApplicantsMismatch {
        /// The group's code.
        group: String,
    },
    /// A published order differs from the one the seed gives.
    #[error("the published order of group {group} differs at position {position}")]
    LotteryOrderMismatch {
        /// The group's code.
        group: String,
        /// The first 1-based position that differs.
        position: usize,
    },
    /// A second satisfaction rating of a 善居 project.
    #[error("the resident has already rated this project")]
    AlreadyRated,
}

impl HousingError {
    /// An invalid value.
    pub fn invalid(field: impl Into<String>, zh: impl Into<String>, en: impl Into<String>) -> HousingError {
        HousingError::Invalid { field: field.into(), message_zh: zh.into(), message_en: en.into() }
    }

    /// What sort of failure it is.
    pub fn kind(&self) -> ErrorKind {
        match self {
            HousingError::NotFound { .. } => ErrorKind::NotFound,
            HousingError::NotAllowed { .. } => ErrorKind::Forbidden,
            HousingError::ApplicantInTwoHouseholds { .. }
            | HousingError::NotEligible { .. }
            | HousingError::WrongState { .. }
            | HousingError::Barred { .. }
            | HousingError::OfferExpired { .. }
            | HousingError::OfferStillOpen { .. }
            | HousingError::LotterySeedMismatch { .. }
            | HousingError::LotteryApplicantsMismatch { .. }
            | HousingError::LotteryOrderMismatch { .. }
            | HousingError::AlreadyRated => ErrorKind::Conflict,
            HousingError::Rules { .. } | HousingError::Invalid { .. } | HousingError::EmptyHousehold { .. } | HousingError::UnitDoesNotFit { .. } => {
                ErrorKind::Invalid
            }
        }
    }

    /// The field at fault.
    pub fn field(&self) -> Option<String> {
        let f: &str = match self {
            HousingError::Rules { field, .. } | HousingError::Invalid { field, .. } => field,
            HousingError::EmptyHousehold { .. } => "members",
            HousingError::ApplicantInTwoHouseholds { .. } => "members.person",
            HousingError::NotEligible { .. } => "facts",
            HousingError::NotFound { what, .. } => what,
            HousingError::WrongState { .. } | HousingError::AlreadyRated => "state",
            HousingError::NotAllowed { .. } => "actor",
            HousingError::Barred { .. } => "applicant",
            HousingError::UnitDoesNotFit { .. } => "rooms",
            HousingError::OfferExpired { .. } | HousingError::OfferStillOpen { .. } => "deadline",
            HousingError::LotterySeedMismatch { .. } => "seed",
            HousingError::LotteryApplicantsMismatch { .. } => "applicants",
            HousingError::LotteryOrderMismatch { .. } => "order",
        };
        Some(f.to_owned())
    }
}

impl Describe for HousingError {
    fn code(&self) -> &'static str {
        match self {
            HousingError::Rules { .. } => "invalid_housing_rules",
            HousingError::Invalid { .. } => "invalid_housing_input",
            HousingError::EmptyHousehold { .. } => "empty_household",
            HousingError::ApplicantInTwoHouseholds { .. } => "applicant_in_two_households",
            HousingError::NotEligible { .. } => "not_eligible",
            HousingError::NotFound { .. } => "housing_not_found",
            HousingError::WrongState { .. } => "housing_wrong_state",
            HousingError::NotAllowed { .. } => "housing_not_allowed",
            HousingError::Barred { .. } => "household_barred",
            HousingError::UnitDoesNotFit { .. } => "unit_does_not_fit",
            HousingError::OfferExpired { .. } => "offer_expired",
            HousingError::OfferStillOpen { .. } => "offer_still_open",
            HousingError::LotterySeedMismatch { .. } => "lottery_seed_mismatch",
            HousingError::LotteryApplicantsMismatch { .. } => "lottery_applicants_mismatch",
            HousingError::LotteryOrderMismatch { .. } => "lottery_order_mismatch",
            HousingError::AlreadyRated => "shanju_already_rated",
        }
    }

    fn message_zh(&self) -> String {
        match self {
            HousingError::Rules { file, line, column, field, message_zh, .. } => {
                format!("住房规则文件 {file} 第 {line} 行第 {column} 列（{field}）有误：{message_zh}")
            }
            HousingError::Invalid { field, message_zh, .. } => format!("「{field}」有误：{message_zh}"),
            HousingError::EmptyHousehold { .. } => "家庭成员为空，请至少填写申请人本人".to_owned(),
            HousingError::ApplicantInTwoHouseholds { person, .. } => {
                format!("人员 {person} 已在另一户的申请中，同一人不能同时在两户家庭或两份申请中")
            }
            HousingError::NotEligible { criteria, .. } => format!("不符合公租房保障条件（未满足：{criteria}）"),
            HousingError::NotFound { what, id } => format!("找不到 {what}「{id}」"),
            HousingError::WrongState { action, state } => format!("当前状态为「{state}」，不能执行「{action}」"),
            HousingError::NotAllowed { action, why_zh, .. } => format!("无权执行「{action}」：{why_zh}"),
            HousingError::Barred { until, .. } => format!("因多次放弃配租，{until} 前不再向该户配租"),
            HousingError::UnitDoesNotFit { rooms, members } => format!("{rooms} 室的房源不适合 {members} 口之家"),
            HousingError::OfferExpired { deadline } => format!("配租确认期限 {deadline} 已过"),
            HousingError::OfferStillOpen { deadline } => format!("配租确认期限至 {deadline}，尚未届满"),
            HousingError::LotterySeedMismatch { .. } => "公布的随机种子与摇号前公示的承诺值不符".to_owned(),
            HousingError::LotteryApplicantsMismatch { group } => format!("「{group}」组的申请人名单与公示的摘要不符"),
            HousingError::LotteryOrderMismatch { group, position } => format!("「{group}」组公布的顺序从第 {position} 位起与复算结果不符"),
            HousingError::AlreadyRated => "您已评价过该善居工程项目".to_owned(),
        }
    }

    fn message_en(&self) -> String {
        self.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_has_a_distinct_code_messages_a_field_and_a_kind() {
        let day = NaiveDate::from_ymd_opt(2026, 12, 7).unwrap_or_default();
        let all = [
            HousingError::Rules {
                file: "housing.toml".into(),
                line: 3,
                column: 1,
                field: "rent.band[0].rent_percent".into(),
                message_zh: "超出范围".into(),
                message_en: "out of range".into(),
            },
            HousingError::invalid("facts.assets", "不能为负", "must not be negative"),
            HousingError::EmptyHousehold { applicant: 1 },
            HousingError::ApplicantInTwoHouseholds { person: 5, first: 1, second: 2 },
            HousingError::NotEligible { applicant: 1, criteria: "income".into() },
            HousingError::NotFound { what: "unit", id: "9".into() },
            HousingError::WrongState { action: "accept", state: "refused" },
            HousingError::NotAllowed { actor: 1, action: "rate", why_zh: "不是住户", why_en: "not the resident" },
            HousingError::Barred { applicant: 1, until: day },
            HousingError::UnitDoesNotFit { rooms: 1, members: 5 },
            HousingError::OfferExpired { deadline: day },
            HousingError::OfferStillOpen { deadline: day },
            HousingError::LotterySeedMismatch { commitment: "ab".into() },
            HousingError::LotteryApplicantsMismatch { group: "general".into() },
            HousingError::LotteryOrderMismatch { group: "general".into(), position: 3 },
            HousingError::AlreadyRated,
        ];
        let mut codes = std::collections::BTreeSet::new();
        for e in &all {
            assert!(codes.insert(e.code()), "code {} twice", e.code());
            assert!(!e.message_zh().is_empty() && !e.message_en().is_empty());
            assert!(e.field().is_some_and(|f| !f.is_empty()), "{e:?}");
        }
        assert_eq!(all[0].to_string(), "housing.toml:3:1: rent.band[0].rent_percent: out of range");
        assert_eq!(all[3].code(), "applicant_in_two_households");
        assert_eq!(all[4].code(), "not_eligible");
        assert_eq!(all[12].code(), "lottery_seed_mismatch");
        assert_eq!(all[5].kind(), ErrorKind::NotFound);
        assert_eq!(all[7].kind(), ErrorKind::Forbidden);
        assert_eq!(all[6].kind(), ErrorKind::Conflict);
        assert_eq!(all[1].kind(), ErrorKind::Invalid);
    }
}
