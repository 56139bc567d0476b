//! `GovernanceError`: everything that can be wrong with the governance engine's input — the rules
//! files, an Open311 request, an action on an issue, an expense, a vote or a project in the wrong
//! state or by the wrong person — each with a stable code, Chinese and English messages, the field
//! at fault and its `domain::ErrorKind`. Nothing is changed when one is returned.

use domain::Describe;

/// What sort of failure it is (the shared vocabulary of `domain`).
pub use domain::ErrorKind;

/// Everything that can go wrong in the governance engine.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GovernanceError {
    /// A rules file (`data/governance/*.toml`) does not parse or breaks a rule.
    #[error("{file}:{line}:{column}: {field}: {message_en}")]
    Rules {
        /// The file name.
        file: String,
        /// The 1-based line at fault (0 when unknown).
        line: usize,
        /// The 1-based column at fault (0 when unknown).
        column: usize,
        /// The field at fault, e.g. `category[2].parties`.
        field: String,
        /// What is wrong, in Chinese.
        message_zh: String,
        /// What is wrong, in English.
        message_en: String,
    },
    /// A value that breaks a rule (an empty reason, a negative amount, a bad coordinate).
    #[error("{field}: {message_en}")]
    Invalid {
        /// The field at fault.
        field: String,
        /// What is wrong, in Chinese.
        message_zh: String,
        /// What is wrong, in English.
        message_en: String,
    },
    /// A service code (issue category) that does not exist.
    #[error("unknown service_code {code:?}")]
    UnknownService {
        /// The code given.
        code: String,
    },
    /// Something named does not exist (an estate, an agenda item, a budget line, a problem).
    #[error("no {what} {id}")]
    NotFound {
        /// What was looked for (`estate`, `agenda_item`, `budget_line`, …).
        what: &'static str,
        /// Its id as given.
        id: String,
    },
    /// A place outside the district's bounds.
    #[error("lat {lat}, long {lon} is outside the district")]
    OutsideDistrict {
        /// Latitude.
        lat: f64,
        /// Longitude.
        lon: f64,
    },
    /// A required Open311 attribute of the service is missing or empty.
    #[error("attribute[{code}] is required")]
    MissingAttribute {
        /// The attribute's code.
        code: String,
    },
    /// An action the record's state does not allow.
    #[error("cannot {action} when it is {state}")]
    WrongState {
        /// The action's code.
        action: &'static str,
        /// The state's code.
        state: &'static str,
    },
    /// The actor is not the one who may do this (not a responsible party, not the reporter, not
    /// the level's office).
    #[error("{actor} may not {action}: {why_en}")]
    NotAllowed {
        /// The actor's id.
        actor: u64,
        /// The action's code.
        action: &'static str,
        /// Why not, in Chinese.
        why_zh: &'static str,
        /// Why not, in English.
        why_en: &'static str,
    },
    /// One person would hold two duties on one expense (submit, review at a level, pay).
    #[error("{actor} already did {earlier} on this expense and may not also {duty}")]
    SeparationOfDuties {
        /// The actor's id.
        actor: u64,
        /// The duty asked for.
        duty: &'static str,
        /// The duty the actor already holds.
        earlier: &'static str,
    },
    /// An expense above what is left on its budget line.
    #[error("amount {amount} fen is over what is left on budget line {line}: {remaining} fen")]
    OverBudget {
        /// The budget line's id.
        line: u64,
        /// The amount asked.
        amount: i64,
        /// What is left on the line.
        remaining: i64,
    },
    /// An expense above the threshold needs a passed owners' vote first.
    #[error("an expense of {amount} fen is above {threshold} fen and needs a passed owners' vote")]
    VoteRequired {
        /// The amount.
        amount: i64,
        /// The threshold from the rules.
        threshold: i64,
    },
    /// A vote by someone who is not an owner of the estate.
    #[error("{voter} is not an owner of this estate")]
    NotAnOwner {
        /// The voter's id as given.
        voter: u64,
    },
    /// A second vote by the same owner on the same item.
    #[error("owner {owner} has already voted on this item")]
    AlreadyVoted {
        /// The owner.
        owner: u64,
    },
    /// An issue already at the district level cannot be escalated further.
    #[error("already at the district level")]
    AtTopLevel,
    /// A second rating by the same resident.
    #[error("{rater} has already rated this project")]
    AlreadyRated {
        /// The rater.
        rater: u64,
    },
    /// A project with problems not yet rectified, or milestones not reached, cannot complete.
    #[error("cannot complete: {open_problems} problems open, {open_milestones} milestones not reached")]
    NotFinished {
        /// Problems without a closed rectification.
        open_problems: usize,
        /// Milestones not reached.
        open_milestones: usize,
    },
}

impl GovernanceError {
    /// An invalid value.
    pub fn invalid(field: impl Into<String>, zh: impl Into<String>, en: impl Into<String>) -> GovernanceError {
        GovernanceError::Invalid { field: field.into(), message_zh: zh.into(), message_en: en.into() }
    }

    /// What sort of failure it is.
    pub fn kind(&self) -> ErrorKind {
        match self {
            GovernanceError::UnknownService { .. } | GovernanceError::NotFound { .. } => ErrorKind::NotFound,
            GovernanceError::NotAllowed { .. } | GovernanceError::SeparationOfDuties { .. } | GovernanceError::NotAnOwner { .. } => {
                ErrorKind::Forbidden
            }
            GovernanceError::WrongState { .. }
            | GovernanceError::VoteRequired { .. }
            | GovernanceError::AlreadyVoted { .. }
            | GovernanceError::AtTopLevel
            | GovernanceError::AlreadyRated { .. }
            | GovernanceError::NotFinished { .. } => ErrorKind::Conflict,
            GovernanceError::Rules { .. }
            | GovernanceError::Invalid { .. }
            | GovernanceError::OutsideDistrict { .. }
            | GovernanceError::MissingAttribute { .. }
            | GovernanceError::OverBudget { .. } => ErrorKind::Invalid,
        }
    }

    /// The field at fault.
    pub fn field(&self) -> Option<String> {
        let f: &str = match self {
            GovernanceError::Rules { field, .. } | GovernanceError::Invalid { field, .. } => field,
            GovernanceError::UnknownService { .. } => "service_code",
            GovernanceError::NotFound { what, .. } => what,
            GovernanceError::OutsideDistrict { .. } => "lat",
            GovernanceError::MissingAttribute { code } => return Some(format!("attribute[{code}]")),
            GovernanceError::WrongState { .. } | GovernanceError::AtTopLevel | GovernanceError::NotFinished { .. } => "state",
            GovernanceError::NotAllowed { .. } | GovernanceError::SeparationOfDuties { .. } => "actor",
            GovernanceError::OverBudget { .. } => "amount",
            GovernanceError::VoteRequired { .. } => "vote",
            GovernanceError::NotAnOwner { .. } | GovernanceError::AlreadyVoted { .. } => "voter",
            GovernanceError::AlreadyRated { .. } => "rater",
        };
        Some(f.to_owned())
    }
}

/// A duty's name in Chinese (the codes of `SeparationOfDuties`).
fn duty_zh(code: &str) -> &str {
    match code {
        "submit" => "提交申请",
        "estate_self_check" => "小区自查",
        "community_recheck" => "社区复查",
        "street_verification" => "街道核查",
        "pay" => "付款",
        "write_minutes" => "撰写会议纪要",
        "approve_minutes" => "审定会议纪要",
        "report_fixed" => "报告整改完成",
        "close_problem" => "整改销号",
        other => other,
    }
}

impl Describe for GovernanceError {
    fn code(&self) -> &'static str {
        match self {
            GovernanceError::Rules { .. } => "invalid_governance_rules",
            GovernanceError::Invalid { .. } => "invalid_governance_input",
            GovernanceError::UnknownService { .. } => "unknown_service",
            GovernanceError::NotFound { .. } => "governance_not_found",
            GovernanceError::OutsideDistrict { .. } => "outside_district",
            GovernanceError::MissingAttribute { .. } => "missing_attribute",
            GovernanceError::WrongState { .. } => "wrong_state",
            GovernanceError::NotAllowed { .. } => "not_allowed",
            GovernanceError::SeparationOfDuties { .. } => "separation_of_duties",
            GovernanceError::OverBudget { .. } => "over_budget",
            GovernanceError::VoteRequired { .. } => "owners_vote_required",
            GovernanceError::NotAnOwner { .. } => "not_an_owner",
            GovernanceError::AlreadyVoted { .. } => "already_voted",
            GovernanceError::AtTopLevel => "already_at_district",
            GovernanceError::AlreadyRated { .. } => "already_rated",
            GovernanceError::NotFinished { .. } => "project_not_finished",
        }
    }

    fn message_zh(&self) -> String {
        match self {
            GovernanceError::Rules { file, line, column, field, message_zh, .. } => {
                format!("治理规则文件 {file} 第 {line} 行第 {column} 列（{field}）有误：{message_zh}")
            }
            GovernanceError::Invalid { field, message_zh, .. } => format!("「{field}」有误：{message_zh}"),
            GovernanceError::UnknownService { code } => format!("没有代码为「{code}」的诉求类别"),
            GovernanceError::NotFound { what, id } => format!("找不到 {what}「{id}」"),
            GovernanceError::OutsideDistrict { lat, lon } => format!("位置（纬度 {lat}，经度 {lon}）不在本区范围内"),
            GovernanceError::MissingAttribute { code } => format!("缺少必填项「{code}」"),
            GovernanceError::WrongState { action, state } => format!("当前状态为「{state}」，不能执行「{action}」"),
            GovernanceError::NotAllowed { action, why_zh, .. } => format!("无权执行「{action}」：{why_zh}"),
            GovernanceError::SeparationOfDuties { duty, earlier, .. } => {
                format!("已担任「{}」的人不能再担任「{}」（不相容职务分离）", duty_zh(earlier), duty_zh(duty))
            }
            GovernanceError::OverBudget { line, amount, remaining } => format!(
                "申请金额 {} 元超过预算科目 {line} 的剩余额度 {} 元",
                domain::Fen(*amount).to_yuan_string(),
                domain::Fen(*remaining).to_yuan_string()
            ),
            GovernanceError::VoteRequired { amount, threshold } => format!(
                "支出 {} 元超过 {} 元，须先经业主表决通过",
                domain::Fen(*amount).to_yuan_string(),
                domain::Fen(*threshold).to_yuan_string()
            ),
            GovernanceError::NotAnOwner { .. } => "您不是本小区业主，不能参加表决".to_owned(),
            GovernanceError::AlreadyVoted { .. } => "您已对该事项投过票，不能重复投票".to_owned(),
            GovernanceError::AtTopLevel => "诉求已在区级部门办理，不能再上报".to_owned(),
            GovernanceError::AlreadyRated { .. } => "您已评价过该项目".to_owned(),
            GovernanceError::NotFinished { open_problems, open_milestones } => {
                format!("尚有 {open_problems} 个问题未整改、{open_milestones} 个节点未完成，不能竣工")
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
            GovernanceError::Rules {
                file: "routing.toml".into(),
                line: 3,
                column: 1,
                field: "category[0].parties".into(),
                message_zh: "为空".into(),
                message_en: "empty".into(),
            },
            GovernanceError::invalid("reason", "不能为空", "must not be empty"),
            GovernanceError::UnknownService { code: "x".into() },
            GovernanceError::NotFound { what: "estate", id: "9".into() },
            GovernanceError::OutsideDistrict { lat: 1.0, lon: 2.0 },
            GovernanceError::MissingAttribute { code: "heard_at".into() },
            GovernanceError::WrongState { action: "confirm", state: "routed" },
            GovernanceError::NotAllowed { actor: 1, action: "confirm", why_zh: "不是报告人", why_en: "not the reporter" },
            GovernanceError::SeparationOfDuties { actor: 1, duty: "pay", earlier: "submit" },
            GovernanceError::OverBudget { line: 1, amount: 200, remaining: 100 },
            GovernanceError::VoteRequired { amount: 200, threshold: 100 },
            GovernanceError::NotAnOwner { voter: 3 },
            GovernanceError::AlreadyVoted { owner: 3 },
            GovernanceError::AtTopLevel,
            GovernanceError::AlreadyRated { rater: 3 },
            GovernanceError::NotFinished { open_problems: 1, open_milestones: 0 },
        ];
        let mut codes = std::collections::BTreeSet::new();
        for e in &all {
            assert!(codes.insert(e.code()), "code {} twice", e.code());
            assert!(!e.message_zh().is_empty() && !e.message_en().is_empty());
            assert!(e.field().is_some_and(|f| !f.is_empty()), "{e:?}");
        }
        assert_eq!(all[0].to_string(), "routing.toml:3:1: category[0].parties: empty");
        assert_eq!(all[2].kind(), ErrorKind::NotFound);
        assert_eq!(all[8].kind(), ErrorKind::Forbidden);
        assert_eq!(all[12].kind(), ErrorKind::Conflict);
        assert_eq!(all[9].kind(), ErrorKind::Invalid);
        assert_eq!(all[9].message_zh(), "申请金额 2.00 元超过预算科目 1 的剩余额度 1.00 元");
    }
}
