//! Errors of the one-thing engine, each with a stable code, Chinese and English messages and the
//! offending field, so that the API can tell the user exactly what to fix.

use catalog::Role;
use domain::{CaseId, Describe, RectificationId};

use crate::application::RectificationStatus;

/// What sort of failure it is (the shared vocabulary of `domain`); the engine uses four kinds:
/// `Invalid`, `NotFound`, `Forbidden` and `Conflict`.
pub use domain::ErrorKind;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EngineError {
    #[error("unknown bundle {0}")]
    UnknownBundle(String),
    #[error("unknown item {0}")]
    UnknownItem(String),
    #[error("{target} is for {expected}, not for this applicant")]
    WrongSubject { target: String, expected: &'static str },
    #[error("unknown form field {0}")]
    UnknownField(String),
    #[error("missing form field {key}")]
    MissingField { key: String, label: String },
    #[error("form field {key} is invalid: {reason_en}")]
    InvalidField { key: String, label: String, reason_zh: String, reason_en: String },
    #[error("missing materials {0:?}")]
    MissingMaterials(Vec<(String, String)>),
    #[error("material {0} is not needed")]
    MaterialNotNeeded(String),
    #[error("material {code} is already filled in from shared data")]
    MaterialAlreadyFilled { code: String, name: String },
    #[error("case {0} not found in this application")]
    CaseNotFound(CaseId),
    #[error("unknown action {action}")]
    UnknownAction { action: String, allowed: Vec<String> },
    #[error("action {action} is not possible in state {state}")]
    WrongState { item: String, state: String, state_name: String, action: String, action_en: String, allowed: Vec<String> },
    #[error("role may not take action {action}")]
    RoleNotAllowed { action: String, action_en: String, roles: Vec<Role> },
    #[error("action {action} needs a comment")]
    CommentRequired { action: String, action_en: String },
    #[error("{field} is longer than {max} characters")]
    TooLong { field: String, max: usize },
    #[error("the application is finished")]
    AlreadyFinished,
    #[error("the application is not finished yet")]
    NotFinished,
    #[error("the application has already been rated")]
    AlreadyRated,
    #[error("only the applicant may do this")]
    NotApplicant,
    #[error("rectification {0} not found")]
    RectificationNotFound(RectificationId),
    #[error("the rectification is {}", rectification_state_en(.0))]
    RectificationState(&'static str),
    #[error("department {0} is not involved in this application")]
    DepartmentNotInvolved(String),
}

impl EngineError {
    pub fn kind(&self) -> ErrorKind {
        use EngineError::*;
        match self {
            UnknownBundle(_) | UnknownItem(_) | CaseNotFound(_) | RectificationNotFound(_) => {
                ErrorKind::NotFound
            }
            RoleNotAllowed { .. } | NotApplicant => ErrorKind::Forbidden,
            WrongState { .. } | AlreadyFinished | NotFinished | AlreadyRated | RectificationState(_) => {
                ErrorKind::Conflict
            }
            _ => ErrorKind::Invalid,
        }
    }

    /// The request field the error is about, as a JSON path.
    pub fn field(&self) -> Option<String> {
        use EngineError::*;
        Some(match self {
            UnknownBundle(_) => "bundle".to_owned(),
            UnknownItem(_) => "item".to_owned(),
            UnknownField(k) | MissingField { key: k, .. } | InvalidField { key: k, .. } => format!("form.{k}"),
            MissingMaterials(m) => match m.first() {
                Some((code, _)) => format!("materials.{code}"),
                None => "materials".to_owned(),
            },
            MaterialNotNeeded(c) | MaterialAlreadyFilled { code: c, .. } => format!("materials.{c}"),
            UnknownAction { .. } | WrongState { .. } | RoleNotAllowed { .. } => "action".to_owned(),
            CommentRequired { .. } => "comment".to_owned(),
            TooLong { field, .. } => field.clone(),
            DepartmentNotInvolved(_) => "departments".to_owned(),
            _ => return None,
        })
    }
}

/// The English name of a rectification status given by its Chinese name.
fn rectification_state_en(zh: &str) -> &str {
    RectificationStatus::from_name_zh(zh).map_or(zh, |s| s.name_en())
}

fn join(v: &[String]) -> String {
    v.join("、")
}

impl Describe for EngineError {
    fn code(&self) -> &'static str {
        use EngineError::*;
        match self {
            UnknownBundle(_) => "unknown_bundle",
            UnknownItem(_) => "unknown_item",
            WrongSubject { .. } => "wrong_subject",
            UnknownField(_) => "unknown_field",
            MissingField { .. } => "missing_field",
            InvalidField { .. } => "invalid_field",
            MissingMaterials(_) => "missing_materials",
            MaterialNotNeeded(_) => "material_not_needed",
            MaterialAlreadyFilled { .. } => "material_already_filled",
            CaseNotFound(_) => "case_not_found",
            UnknownAction { .. } => "unknown_action",
            WrongState { .. } => "wrong_state",
            RoleNotAllowed { .. } => "role_not_allowed",
            CommentRequired { .. } => "comment_required",
            TooLong { .. } => "too_long",
            AlreadyFinished => "already_finished",
            NotFinished => "not_finished",
            AlreadyRated => "already_rated",
            NotApplicant => "not_applicant",
            RectificationNotFound(_) => "rectification_not_found",
            RectificationState(_) => "rectification_state",
            DepartmentNotInvolved(_) => "department_not_involved",
        }
    }

    fn message_zh(&self) -> String {
        use EngineError::*;
        match self {
            UnknownBundle(c) => format!("没有编码为「{c}」的一件事，请从服务目录中选择"),
            UnknownItem(c) => format!("没有编码为「{c}」的事项，请从服务目录中选择"),
            WrongSubject { target, expected } => format!(
                "「{target}」只能由{}申请",
                if *expected == "enterprise" { "企业" } else { "个人" }
            ),
            UnknownField(k) => format!("申请表中没有「{k}」这一项"),
            MissingField { label, .. } => format!("请填写「{label}」"),
            InvalidField { label, reason_zh, .. } => format!("「{label}」填写有误：{reason_zh}"),
            MissingMaterials(m) => format!(
                "还缺少以下材料，请上传：{}",
                m.iter().map(|(_, n)| format!("「{n}」")).collect::<Vec<_>>().join("、")
            ),
            MaterialNotNeeded(c) => format!("本次申请不需要材料「{c}」"),
            MaterialAlreadyFilled { name, .. } => {
                format!("材料「{name}」已由共享数据自动获取，无需上传")
            }
            CaseNotFound(c) => format!("本申请中没有编号为 {c} 的办件"),
            UnknownAction { action, allowed } => {
                format!("没有名为「{action}」的操作；可用的操作：{}", join(allowed))
            }
            WrongState { state_name, action, allowed, .. } => {
                if allowed.is_empty() {
                    format!("办件当前状态为「{state_name}」，不能执行「{action}」")
                } else {
                    format!(
                        "办件当前状态为「{state_name}」，不能执行「{action}」；当前可执行：{}",
                        join(allowed)
                    )
                }
            }
            RoleNotAllowed { action, roles, .. } => format!(
                "您的岗位无权执行「{action}」，该操作需要：{}",
                roles.iter().map(|r| r.name_zh()).collect::<Vec<_>>().join("、")
            ),
            CommentRequired { action, .. } => format!("执行「{action}」必须填写意见或理由"),
            TooLong { field, max } => format!("「{field}」不能超过 {max} 个字"),
            AlreadyFinished => "该申请已办结或已撤回，不能再变更".to_owned(),
            NotFinished => "申请尚未办结，办结后才能评价".to_owned(),
            AlreadyRated => "您已评价过该申请；如有整改，请在整改完成后再次评价".to_owned(),
            NotApplicant => "只有申请人本人可以执行此操作".to_owned(),
            RectificationNotFound(r) => format!("没有编号为 {r} 的整改单"),
            RectificationState(s) => format!("整改单当前为「{s}」，不能执行此操作"),
            DepartmentNotInvolved(d) => format!("部门「{d}」未参与办理本申请"),
        }
    }

    fn message_en(&self) -> String {
        use EngineError::*;
        match self {
            UnknownBundle(c) => format!("There is no bundle with code '{c}'; choose one from the catalog"),
            UnknownItem(c) => format!("There is no item with code '{c}'; choose one from the catalog"),
            WrongSubject { target, expected } => format!(
                "'{target}' can only be applied for by {}",
                if *expected == "enterprise" { "an enterprise" } else { "a resident" }
            ),
            UnknownField(k) => format!("The application form has no field '{k}'"),
            MissingField { key, .. } => format!("Please fill in '{key}'"),
            InvalidField { key, reason_en, .. } => format!("Field '{key}' is invalid: {reason_en}"),
            MissingMaterials(m) => format!(
                "These materials are still missing; please upload them: {}",
                m.iter().map(|(c, _)| c.as_str()).collect::<Vec<_>>().join(", ")
            ),
            MaterialNotNeeded(c) => format!("This application does not need material '{c}'"),
            MaterialAlreadyFilled { code, .. } => {
                format!("Material '{code}' is filled in from shared data; do not upload it")
            }
            CaseNotFound(c) => format!("This application has no case {c}"),
            UnknownAction { action, allowed } => {
                format!("There is no action '{action}'; available: {}", allowed.join(", "))
            }
            WrongState { state, action_en: action, allowed, .. } => format!(
                "The case is in state '{state}' where '{action}' is not possible; possible now: {}",
                if allowed.is_empty() { "none".to_owned() } else { allowed.join(", ") }
            ),
            RoleNotAllowed { action_en: action, roles, .. } => format!(
                "Your role may not take '{action}'; it needs: {}",
                roles.iter().map(|r| r.code()).collect::<Vec<_>>().join(", ")
            ),
            CommentRequired { action_en, .. } => format!("'{action_en}' needs a comment or reason"),
            TooLong { field, max } => format!("'{field}' must be at most {max} characters"),
            AlreadyFinished => "The application is finished or withdrawn and can no longer change".to_owned(),
            NotFinished => "The application is not finished yet; rate it when it is".to_owned(),
            AlreadyRated => "You have already rated this application; rate again after the rectification".to_owned(),
            NotApplicant => "Only the applicant may do this".to_owned(),
            RectificationNotFound(r) => format!("There is no rectification {r}"),
            RectificationState(s) => {
                format!("The rectification is {}; this is not possible now", rectification_state_en(s))
            }
            DepartmentNotInvolved(d) => format!("Department '{d}' did not handle this application"),
        }
    }
}

pub type Result<T, E = EngineError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_pick_the_status_family() {
        use EngineError::*;
        for (e, kind) in [
            (UnknownBundle("b".into()), ErrorKind::NotFound),
            (UnknownItem("i".into()), ErrorKind::NotFound),
            (CaseNotFound(CaseId(1)), ErrorKind::NotFound),
            (RectificationNotFound(RectificationId(1)), ErrorKind::NotFound),
            (RoleNotAllowed { action: "a".into(), action_en: "a".into(), roles: vec![] }, ErrorKind::Forbidden),
            (NotApplicant, ErrorKind::Forbidden),
            (WrongState { item: "i".into(), state: "s".into(), state_name: "s".into(), action: "a".into(), action_en: "a".into(), allowed: vec![] }, ErrorKind::Conflict),
            (AlreadyFinished, ErrorKind::Conflict),
            (NotFinished, ErrorKind::Conflict),
            (AlreadyRated, ErrorKind::Conflict),
            (RectificationState("已办结"), ErrorKind::Conflict),
            (MissingMaterials(vec![]), ErrorKind::Invalid),
            (CommentRequired { action: "a".into(), action_en: "a".into() }, ErrorKind::Invalid),
            (WrongSubject { target: "t".into(), expected: "person" }, ErrorKind::Invalid),
        ] {
            assert_eq!(e.kind(), kind, "{e:?}");
        }
    }

    #[test]
    fn the_rectification_state_reads_in_both_languages() {
        let e = EngineError::RectificationState("已整改待回访");
        assert_eq!(e.message_zh(), "整改单当前为「已整改待回访」，不能执行此操作");
        assert_eq!(e.message_en(), "The rectification is answered, awaiting the re-rating; this is not possible now");
        assert_eq!(e.to_string(), "the rectification is answered, awaiting the re-rating");
    }

    #[test]
    fn wrong_state_says_what_is_possible() {
        let e = EngineError::WrongState {
            item: "i".into(),
            state: "waiting".into(),
            state_name: "等待前置事项".into(),
            action: "受理".into(),
            action_en: "Accept".into(),
            allowed: vec![],
        };
        assert_eq!(e.message_zh(), "办件当前状态为「等待前置事项」，不能执行「受理」");
        assert_eq!(e.message_en(), "The case is in state 'waiting' where 'Accept' is not possible; possible now: none");
        assert_eq!(e.field().as_deref(), Some("action"));
    }
}
