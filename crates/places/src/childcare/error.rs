//! `ChildcareError`: everything that can be wrong with the childcare engine's input — the rules
//! file, an institution, an application, an allocation run or a place in the wrong state — each
//! with a stable code, Chinese and English messages, the field at fault and its
//! `domain::ErrorKind`. Nothing is changed when one is returned.

use domain::Describe;

/// What sort of failure it is (the shared vocabulary of `domain`).
pub use domain::ErrorKind;

/// Everything that can go wrong in the childcare engine.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ChildcareError {
    /// The rules file (`data/places/childcare.toml`) does not parse or breaks a rule.
    #[error("{file}:{line}:{column}: {field}: {message_en}")]
    Rules {
        /// The file name.
        file: String,
        /// The 1-based line at fault (0 when unknown).
        line: usize,
        /// The 1-based column at fault (0 when unknown).
        column: usize,
        /// The field at fault, e.g. `class[1].max_class_size`.
        field: String,
        /// What is wrong, in Chinese.
        message_zh: String,
        /// What is wrong, in English.
        message_en: String,
    },
    /// A value that breaks a rule (an empty name, a bad coordinate, a start date before today).
    #[error("{field}: {message_en}")]
    Invalid {
        /// The field at fault.
        field: String,
        /// What is wrong, in Chinese.
        message_zh: String,
        /// What is wrong, in English.
        message_en: String,
    },
    /// An institution that does not exist.
    #[error("{field}: no childcare institution {id}")]
    UnknownInstitution {
        /// The field at fault, e.g. `preferences[2]`.
        field: String,
        /// The id given.
        id: i64,
    },
    /// An institution that has closed for good.
    #[error("{field}: institution {id} has closed")]
    InstitutionClosed {
        /// The field at fault.
        field: String,
        /// The institution.
        id: i64,
    },
    /// An institution whose operation is suspended (it takes no new children).
    #[error("{field}: institution {id} is suspended and takes no new children")]
    InstitutionSuspended {
        /// The field at fault.
        field: String,
        /// The institution.
        id: i64,
    },
    /// The same institution twice in one list.
    #[error("{field}: institution {id} is listed twice")]
    DuplicatePreference {
        /// The field at fault (the second occurrence).
        field: String,
        /// The institution.
        id: i64,
    },
    /// An application that names no institution.
    #[error("preferences: name at least one institution")]
    NoPreferences,
    /// An application that names more institutions than allowed.
    #[error("preferences: at most {max} institutions, not {count}")]
    TooManyPreferences {
        /// How many were named.
        count: usize,
        /// The most allowed.
        max: usize,
    },
    /// The child's age on the start date is outside every age class.
    #[error("start_date: the child is {months} months old on the start date; childcare takes children from {min} to under {max} months")]
    ChildAgeOutOfRange {
        /// The child's age in completed months on the start date (negative: not yet born).
        months: i64,
        /// The youngest age taken, in months.
        min: u32,
        /// The age (in months) from which children are no longer taken.
        max: u32,
    },
    /// An institution without places in the child's age class.
    #[error("{field}: institution {id} has no {class} places")]
    ClassNotOffered {
        /// The field at fault.
        field: String,
        /// The institution.
        id: i64,
        /// The class's code.
        class: &'static str,
    },
    /// No walking time given for a preferred institution.
    #[error("{field}: no walking time given for institution {id}")]
    MissingWalkingTime {
        /// The field at fault.
        field: String,
        /// The institution.
        id: i64,
    },
    /// A class's licensed places over what its groups may hold under the national class sizes.
    #[error("{field}: {places} {class} places need more than {groups} groups of at most {max_size}")]
    PlacesOverClassSize {
        /// The field at fault.
        field: String,
        /// The class's code.
        class: &'static str,
        /// Licensed places.
        places: u32,
        /// Groups (班) of that class.
        groups: u32,
        /// The largest group the standard allows.
        max_size: u32,
    },
    /// Too few carers for the licensed places under the national carer ratios.
    #[error("staff.carers: the licensed places need at least {needed} carers, there are {have}")]
    TooFewCarers {
        /// Carers the ratios ask for.
        needed: u32,
        /// Carers there are.
        have: u32,
    },
    /// A priority criterion the institution may not use (the workplace criterion outside
    /// employer-run care), or one the rules do not know.
    #[error("{field}: criterion {criterion:?} may not be used here")]
    CriterionNotAllowed {
        /// The field at fault.
        field: String,
        /// The criterion's code.
        criterion: String,
    },
    /// Two applications for the same child in one allocation run.
    #[error("{field}: child {child} has another application in this run")]
    DuplicateApplication {
        /// The field at fault.
        field: String,
        /// The child.
        child: i64,
    },
    /// An action the place's state does not allow (enrol twice, withdraw when not enrolled).
    #[error("cannot {action} a place that is {state}")]
    WrongState {
        /// The action's code.
        action: &'static str,
        /// The state's code.
        state: &'static str,
    },
}

impl ChildcareError {
    /// An invalid value.
    pub fn invalid(field: impl Into<String>, zh: impl Into<String>, en: impl Into<String>) -> ChildcareError {
        ChildcareError::Invalid { field: field.into(), message_zh: zh.into(), message_en: en.into() }
    }

    /// What sort of failure it is.
    pub fn kind(&self) -> ErrorKind {
        match self {
            ChildcareError::UnknownInstitution { .. } => ErrorKind::NotFound,
            ChildcareError::InstitutionClosed { .. }
            | ChildcareError::InstitutionSuspended { .. }
            | ChildcareError::DuplicateApplication { .. }
            | ChildcareError::WrongState { .. } => ErrorKind::Conflict,
            ChildcareError::Rules { .. }
            | ChildcareError::Invalid { .. }
            | ChildcareError::DuplicatePreference { .. }
            | ChildcareError::NoPreferences
            | ChildcareError::TooManyPreferences { .. }
            | ChildcareError::ChildAgeOutOfRange { .. }
            | ChildcareError::ClassNotOffered { .. }
            | ChildcareError::MissingWalkingTime { .. }
            | ChildcareError::PlacesOverClassSize { .. }
            | ChildcareError::TooFewCarers { .. }
            | ChildcareError::CriterionNotAllowed { .. } => ErrorKind::Invalid,
        }
    }

    /// The field at fault.
    pub fn field(&self) -> Option<String> {
        let f: &str = match self {
            ChildcareError::Rules { field, .. }
            | ChildcareError::Invalid { field, .. }
            | ChildcareError::UnknownInstitution { field, .. }
            | ChildcareError::InstitutionClosed { field, .. }
            | ChildcareError::InstitutionSuspended { field, .. }
            | ChildcareError::DuplicatePreference { field, .. }
            | ChildcareError::ClassNotOffered { field, .. }
            | ChildcareError::MissingWalkingTime { field, .. }
            | ChildcareError::PlacesOverClassSize { field, .. }
            | ChildcareError::CriterionNotAllowed { field, .. }
            | ChildcareError::DuplicateApplication { field, .. } => field,
            ChildcareError::NoPreferences | ChildcareError::TooManyPreferences { .. } => "preferences",
            ChildcareError::ChildAgeOutOfRange { .. } => "start_date",
            ChildcareError::TooFewCarers { .. } => "staff.carers",
            ChildcareError::WrongState { .. } => "state",
        };
        Some(f.to_owned())
    }

    /// The same error with its field put under `prefix` (`applications[3]` + `preferences[1]`
    /// → `applications[3].preferences[1]`).
    pub fn within(self, prefix: &str) -> ChildcareError {
        let join = |f: String| if f.is_empty() { prefix.to_owned() } else { format!("{prefix}.{f}") };
        match self {
            ChildcareError::Invalid { field, message_zh, message_en } => ChildcareError::Invalid { field: join(field), message_zh, message_en },
            ChildcareError::UnknownInstitution { field, id } => ChildcareError::UnknownInstitution { field: join(field), id },
            ChildcareError::InstitutionClosed { field, id } => ChildcareError::InstitutionClosed { field: join(field), id },
            ChildcareError::InstitutionSuspended { field, id } => ChildcareError::InstitutionSuspended { field: join(field), id },
            ChildcareError::DuplicatePreference { field, id } => ChildcareError::DuplicatePreference { field: join(field), id },
            ChildcareError::ClassNotOffered { field, id, class } => ChildcareError::ClassNotOffered { field: join(field), id, class },
            ChildcareError::MissingWalkingTime { field, id } => ChildcareError::MissingWalkingTime { field: join(field), id },
            ChildcareError::PlacesOverClassSize { field, class, places, groups, max_size } => {
                ChildcareError::PlacesOverClassSize { field: join(field), class, places, groups, max_size }
            }
            ChildcareError::CriterionNotAllowed { field, criterion } => ChildcareError::CriterionNotAllowed { field: join(field), criterion },
            ChildcareError::DuplicateApplication { field, child } => ChildcareError::DuplicateApplication { field: join(field), child },
            other => other,
        }
    }
}

/// An age class's Chinese name from its code.
fn class_zh(code: &str) -> &str {
    match code {
        "infant" => "乳儿班",
        "young_toddler" => "托小班",
        "older_toddler" => "托大班",
        other => other,
    }
}

/// An action's Chinese name from its code.
fn action_zh(code: &str) -> &str {
    match code {
        "accept" => "接受学位",
        "decline" => "放弃学位",
        "withdraw" => "退托",
        other => other,
    }
}

/// A place state's Chinese name from its code.
fn state_zh(code: &str) -> &str {
    match code {
        "offered" => "已录取待确认",
        "enrolled" => "在托",
        "declined" => "已放弃",
        "withdrawn" => "已退托",
        other => other,
    }
}

impl Describe for ChildcareError {
    fn code(&self) -> &'static str {
        match self {
            ChildcareError::Rules { .. } => "invalid_childcare_rules",
            ChildcareError::Invalid { .. } => "invalid_childcare_input",
            ChildcareError::UnknownInstitution { .. } => "unknown_institution",
            ChildcareError::InstitutionClosed { .. } => "institution_closed",
            ChildcareError::InstitutionSuspended { .. } => "institution_suspended",
            ChildcareError::DuplicatePreference { .. } => "duplicate_preference",
            ChildcareError::NoPreferences => "no_preferences",
            ChildcareError::TooManyPreferences { .. } => "too_many_preferences",
            ChildcareError::ChildAgeOutOfRange { .. } => "child_age_out_of_range",
            ChildcareError::ClassNotOffered { .. } => "age_class_not_offered",
            ChildcareError::MissingWalkingTime { .. } => "missing_walking_time",
            ChildcareError::PlacesOverClassSize { .. } => "places_over_class_size",
            ChildcareError::TooFewCarers { .. } => "too_few_carers",
            ChildcareError::CriterionNotAllowed { .. } => "priority_criterion_not_allowed",
            ChildcareError::DuplicateApplication { .. } => "duplicate_childcare_application",
            ChildcareError::WrongState { .. } => "wrong_place_state",
        }
    }

    fn message_zh(&self) -> String {
        match self {
            ChildcareError::Rules { file, line, column, field, message_zh, .. } => {
                format!("托育规则文件 {file} 第 {line} 行第 {column} 列（{field}）有误：{message_zh}")
            }
            ChildcareError::Invalid { field, message_zh, .. } => format!("「{field}」有误：{message_zh}"),
            ChildcareError::UnknownInstitution { id, .. } => format!("找不到编号为 {id} 的托育机构，请重新选择"),
            ChildcareError::InstitutionClosed { id, .. } => format!("托育机构 {id} 已停办，请选择其他机构"),
            ChildcareError::InstitutionSuspended { id, .. } => format!("托育机构 {id} 暂停招收，请选择其他机构"),
            ChildcareError::DuplicatePreference { id, .. } => format!("托育机构 {id} 填报了两次，每个机构只能填一次"),
            ChildcareError::NoPreferences => "请至少填报一个托育机构".to_owned(),
            ChildcareError::TooManyPreferences { count, max } => format!("最多填报 {max} 个托育机构，您填了 {count} 个"),
            ChildcareError::ChildAgeOutOfRange { months, min, max } => {
                format!("入托日孩子 {months} 个月大；托育机构招收 {min} 个月至 {max} 个月以下的婴幼儿，请调整入托日期")
            }
            ChildcareError::ClassNotOffered { id, class, .. } => {
                format!("托育机构 {id} 没有开设{}，请选择其他机构", class_zh(class))
            }
            ChildcareError::MissingWalkingTime { id, .. } => format!("缺少从家到托育机构 {id} 的步行时间"),
            ChildcareError::PlacesOverClassSize { class, places, groups, max_size, .. } => format!(
                "{}核定托位 {places} 个超过 {groups} 个班的容量（国家标准每班不超过 {max_size} 人）",
                class_zh(class)
            ),
            ChildcareError::TooFewCarers { needed, have } => {
                format!("按国家标准的保育人员配比，核定托位至少需要 {needed} 名保育人员，现有 {have} 名")
            }
            ChildcareError::CriterionNotAllowed { criterion, .. } => {
                format!("不能使用优先条件「{criterion}」（职工子女优先仅限单位办托育机构）")
            }
            ChildcareError::DuplicateApplication { child, .. } => format!("孩子 {child} 在本轮已有另一份申请"),
            ChildcareError::WrongState { action, state } => {
                format!("学位当前为「{}」，不能「{}」", state_zh(state), action_zh(action))
            }
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
        let all = [
            ChildcareError::Rules {
                file: "childcare.toml".into(),
                line: 3,
                column: 1,
                field: "class[0].max_class_size".into(),
                message_zh: "应大于 0".into(),
                message_en: "must be above 0".into(),
            },
            ChildcareError::invalid("name", "不能为空", "must not be empty"),
            ChildcareError::UnknownInstitution { field: "preferences[0]".into(), id: 9 },
            ChildcareError::InstitutionClosed { field: "preferences[1]".into(), id: 9 },
            ChildcareError::InstitutionSuspended { field: "preferences[1]".into(), id: 9 },
            ChildcareError::DuplicatePreference { field: "preferences[2]".into(), id: 9 },
            ChildcareError::NoPreferences,
            ChildcareError::TooManyPreferences { count: 6, max: 5 },
            ChildcareError::ChildAgeOutOfRange { months: 40, min: 6, max: 36 },
            ChildcareError::ClassNotOffered { field: "preferences[0]".into(), id: 9, class: "infant" },
            ChildcareError::MissingWalkingTime { field: "preferences[0]".into(), id: 9 },
            ChildcareError::PlacesOverClassSize { field: "classes[0].places".into(), class: "infant", places: 30, groups: 2, max_size: 10 },
            ChildcareError::TooFewCarers { needed: 5, have: 3 },
            ChildcareError::CriterionNotAllowed { field: "priority[0]".into(), criterion: "workplace".into() },
            ChildcareError::DuplicateApplication { field: "applications[1].child".into(), child: 7 },
            ChildcareError::WrongState { action: "withdraw", state: "offered" },
        ];
        let mut codes = std::collections::BTreeSet::new();
        for e in &all {
            assert!(codes.insert(e.code()), "code {} twice", e.code());
            assert!(!e.message_zh().is_empty() && !e.message_en().is_empty());
            assert!(e.field().is_some_and(|f| !f.is_empty()), "{e:?}");
        }
        assert_eq!(all[0].to_string(), "childcare.toml:3:1: class[0].max_class_size: must be above 0");
        assert_eq!(all[2].kind(), ErrorKind::NotFound);
        assert_eq!(all[15].kind(), ErrorKind::Conflict);
        assert_eq!(all[8].kind(), ErrorKind::Invalid);
        assert_eq!(all[15].message_zh(), "学位当前为「已录取待确认」，不能「退托」");
        assert_eq!(all[5].clone().within("applications[4]").field().as_deref(), Some("applications[4].preferences[2]"));
    }
}
