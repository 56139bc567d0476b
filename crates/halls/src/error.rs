//! `HallError`: everything that can be wrong with the service halls engine's input — the rules
//! file, a hall, a ticket in the wrong state, a closed hall, an appointment outside the opening
//! hours or in a full slot, a call at a window that serves none of the waiting lines — each with a
//! stable code, Chinese and English messages, the field at fault and its `domain::ErrorKind`.
//! Nothing is changed when one is returned.

use domain::Describe;

/// What sort of failure it is (the shared vocabulary of `domain`).
pub use domain::ErrorKind;

/// Everything that can go wrong in the service halls engine.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum HallError {
    /// The rules file (`data/halls/rules.toml`) does not parse or breaks a rule.
    #[error("{file}:{line}:{column}: {field}: {message_en}")]
    Rules {
        /// The file name.
        file: String,
        /// The 1-based line at fault (0 when unknown).
        line: usize,
        /// The 1-based column at fault (0 when unknown).
        column: usize,
        /// The field at fault, e.g. `line[2].prefix`.
        field: String,
        /// What is wrong, in Chinese.
        message_zh: String,
        /// What is wrong, in English.
        message_en: String,
    },
    /// A value that breaks a rule (an empty name, a slot not on the slot grid, a rating of 6).
    #[error("{field}: {message_en}")]
    Invalid {
        /// The field at fault.
        field: String,
        /// What is wrong, in Chinese.
        message_zh: String,
        /// What is wrong, in English.
        message_en: String,
    },
    /// Something named does not exist (a hall, a window, a ticket, a service line).
    #[error("no {what} {id}")]
    NotFound {
        /// What was looked for.
        what: &'static str,
        /// Its id as given.
        id: String,
    },
    /// An action the record's state does not allow (calling a ticket that is already done).
    #[error("cannot {action} a {what} that is {state}")]
    WrongState {
        /// What the record is (`ticket`).
        what: &'static str,
        /// The state's code.
        state: &'static str,
        /// The action's code.
        action: &'static str,
    },
    /// The hall's status is closed (for good or for a while): it takes no tickets.
    #[error("the hall {hall} is closed")]
    HallClosed {
        /// The hall's name.
        hall: String,
    },
    /// The hall is not open at that time (outside its sessions, on its lunch break or day off).
    #[error("the hall is not open at {at}")]
    OutsideHours {
        /// The local time asked for, `YYYY-MM-DD HH:MM`.
        at: String,
    },
    /// Every appointment of the slot is taken.
    #[error("the slot {slot} is fully booked")]
    SlotFull {
        /// The slot's local start, `YYYY-MM-DD HH:MM`.
        slot: String,
    },
    /// The same person already holds an appointment that day in that line (the caller checks).
    #[error("the person already holds an appointment for that day and line")]
    SlotTaken,
    /// The window does not serve the ticket's line.
    #[error("window {window} does not serve line {line}")]
    NotServing {
        /// The window's number.
        window: u32,
        /// The line's code.
        line: String,
    },
    /// No open window of the hall serves the line.
    #[error("no open window serves line {line}")]
    LineNotServed {
        /// The line's code.
        line: String,
    },
    /// The window is closed (not staffed now).
    #[error("window {window} is closed")]
    WindowClosed {
        /// The window's number.
        window: u32,
    },
    /// Nobody waits in any line the window serves.
    #[error("nobody waits in the lines window {window} serves")]
    NothingToCall {
        /// The window's number.
        window: u32,
    },
    /// The ticket has been called again as often as the rules allow.
    #[error("the ticket has been recalled {limit} times already, the most the rules allow")]
    RecallLimit {
        /// The most recalls allowed.
        limit: u32,
    },
    /// A second rating of the same service.
    #[error("the service has already been rated")]
    AlreadyRated,
    /// A cross-region message or receipt that cannot be taken: not for this district, from a
    /// district that is not a peer, a signature that does not verify, a time too far off.
    #[error("{field}: {message_en}")]
    CrossRegion {
        /// `wrong_receiver`, `unknown_peer`, `bad_signature`, `stale_message`, `receipt_mismatch`.
        code: &'static str,
        /// The field at fault.
        field: &'static str,
        /// What is wrong, in Chinese.
        message_zh: String,
        /// What is wrong, in English.
        message_en: String,
    },
}

impl HallError {
    /// An invalid value.
    pub fn invalid(field: impl Into<String>, zh: impl Into<String>, en: impl Into<String>) -> HallError {
        HallError::Invalid { field: field.into(), message_zh: zh.into(), message_en: en.into() }
    }

    /// The same error with its field inside `outer` (`name` → `windows[2].name`).
    pub fn within(self, outer: &str) -> HallError {
        match self {
            HallError::Invalid { field, message_zh, message_en } => HallError::Invalid { field: format!("{outer}.{field}"), message_zh, message_en },
            e => e,
        }
    }

    /// What sort of failure it is.
    pub fn kind(&self) -> ErrorKind {
        match self {
            HallError::NotFound { .. } => ErrorKind::NotFound,
            HallError::WrongState { .. }
            | HallError::HallClosed { .. }
            | HallError::OutsideHours { .. }
            | HallError::SlotFull { .. }
            | HallError::SlotTaken
            | HallError::NotServing { .. }
            | HallError::LineNotServed { .. }
            | HallError::WindowClosed { .. }
            | HallError::NothingToCall { .. }
            | HallError::RecallLimit { .. }
            | HallError::AlreadyRated => ErrorKind::Conflict,
            HallError::Rules { .. } | HallError::Invalid { .. } => ErrorKind::Invalid,
            HallError::CrossRegion { code, .. } => match *code {
                "unknown_peer" | "bad_signature" => ErrorKind::Forbidden,
                "stale_message" => ErrorKind::Conflict,
                _ => ErrorKind::Invalid,
            },
        }
    }

    /// The field at fault.
    pub fn field(&self) -> Option<String> {
        let f: &str = match self {
            HallError::Rules { field, .. } | HallError::Invalid { field, .. } => field,
            HallError::NotFound { what, .. } => what,
            HallError::WrongState { .. } | HallError::AlreadyRated => "state",
            HallError::HallClosed { .. } => "hall",
            HallError::OutsideHours { .. } | HallError::SlotFull { .. } | HallError::SlotTaken => "slot",
            HallError::NotServing { .. } | HallError::WindowClosed { .. } | HallError::NothingToCall { .. } => "window",
            HallError::LineNotServed { .. } => "line",
            HallError::RecallLimit { .. } => "recalls",
            HallError::CrossRegion { field, .. } => field,
        };
        Some(f.to_owned())
    }
}

/// The Chinese label of a ticket state's code (the code itself when unknown).
fn state_zh(code: &str) -> &str {
    match code {
        "booked" => "已预约待签到",
        "waiting" => "排队等候中",
        "called" => "已叫号",
        "serving" => "办理中",
        "held" => "暂停办理（补材料）",
        "done" => "已办结",
        "no_show" => "过号未到",
        "cancelled" => "已取消",
        other => other,
    }
}

/// The Chinese name of an action's code (the code itself when unknown).
fn action_zh(code: &str) -> &str {
    match code {
        "book" => "预约",
        "check_in" => "签到",
        "walk_in" => "取号",
        "call" => "叫号",
        "recall" => "重呼",
        "start" => "开始办理",
        "hold" => "暂停办理",
        "resume" => "恢复排队",
        "transfer" => "转窗口",
        "no_show" => "记为过号",
        "finish" => "办结",
        "link" => "关联申请",
        "cancel" => "取消",
        "rate" => "评价",
        "notify" => "发送提醒",
        other => other,
    }
}

impl Describe for HallError {
    fn code(&self) -> &'static str {
        match self {
            HallError::Rules { .. } => "invalid_hall_rules",
            HallError::Invalid { .. } => "invalid_hall_input",
            HallError::NotFound { .. } => "hall_not_found",
            HallError::WrongState { .. } => "ticket_wrong_state",
            HallError::HallClosed { .. } => "hall_closed",
            HallError::OutsideHours { .. } => "outside_opening_hours",
            HallError::SlotFull { .. } => "slot_full",
            HallError::SlotTaken => "slot_taken",
            HallError::NotServing { .. } => "window_not_serving",
            HallError::LineNotServed { .. } => "line_not_served",
            HallError::WindowClosed { .. } => "window_closed",
            HallError::NothingToCall { .. } => "nothing_to_call",
            HallError::RecallLimit { .. } => "recall_limit",
            HallError::AlreadyRated => "already_rated",
            HallError::CrossRegion { code, .. } => code,
        }
    }

    fn message_zh(&self) -> String {
        match self {
            HallError::Rules { file, line, column, field, message_zh, .. } => {
                format!("大厅规则文件 {file} 第 {line} 行第 {column} 列（{field}）有误：{message_zh}")
            }
            HallError::Invalid { field, message_zh, .. } => format!("「{field}」有误：{message_zh}"),
            HallError::NotFound { what, id } => {
                let w = match *what {
                    "hall" => "服务大厅",
                    "window" => "窗口",
                    "ticket" => "排队号",
                    "line" => "业务类别",
                    other => other,
                };
                format!("找不到{w}「{id}」")
            }
            HallError::WrongState { state, action, .. } => format!("该号当前为「{}」，不能{}", state_zh(state), action_zh(action)),
            HallError::HallClosed { hall } => format!("「{hall}」目前暂停对外服务，不能取号或预约，请选择其他服务大厅"),
            HallError::OutsideHours { at } => format!("{at} 不在大厅的办公时间内（含午休和休息日），请在办公时间取号或预约其他时段"),
            HallError::SlotFull { slot } => format!("{slot} 这个时段已约满，请选择其他时段"),
            HallError::SlotTaken => "您当天在该业务已有预约，不能重复预约".to_owned(),
            HallError::NotServing { window, line } => format!("{window} 号窗口不办理「{line}」类业务"),
            HallError::LineNotServed { line } => format!("本大厅目前没有开放的窗口办理「{line}」类业务"),
            HallError::WindowClosed { window } => format!("{window} 号窗口未开放，请先开窗"),
            HallError::NothingToCall { window } => format!("{window} 号窗口办理的业务目前无人排队，无号可叫"),
            HallError::RecallLimit { limit } => format!("该号已重呼 {limit} 次，达到上限，请叫下一位或记为过号"),
            HallError::AlreadyRated => "您已评价过这次服务，谢谢".to_owned(),
            HallError::CrossRegion { message_zh, .. } => message_zh.clone(),
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
            HallError::Rules { file: "rules.toml".into(), line: 3, column: 1, field: "line[0].prefix".into(), message_zh: "重复".into(), message_en: "twice".into() },
            HallError::invalid("slot", "不在时段网格上", "not on the slot grid"),
            HallError::NotFound { what: "window", id: "9".into() },
            HallError::WrongState { what: "ticket", state: "done", action: "call" },
            HallError::HallClosed { hall: "富阳区政务服务中心".into() },
            HallError::OutsideHours { at: "2026-12-07 12:30".into() },
            HallError::SlotFull { slot: "2026-12-08 09:00".into() },
            HallError::SlotTaken,
            HallError::NotServing { window: 3, line: "tax".into() },
            HallError::LineNotServed { line: "tax".into() },
            HallError::WindowClosed { window: 3 },
            HallError::NothingToCall { window: 3 },
            HallError::RecallLimit { limit: 2 },
            HallError::AlreadyRated,
        ];
        let mut codes = std::collections::BTreeSet::new();
        for e in &all {
            assert!(codes.insert(e.code()), "code {} twice", e.code());
            assert!(!e.message_zh().is_empty() && !e.message_en().is_empty());
            assert!(e.field().is_some_and(|f| !f.is_empty()), "{e:?}");
        }
        assert_eq!(all[0].to_string(), "rules.toml:3:1: line[0].prefix: twice");
        assert_eq!(all[2].kind(), ErrorKind::NotFound);
        assert_eq!(all[11].kind(), ErrorKind::Conflict);
        assert_eq!(all[1].kind(), ErrorKind::Invalid);
        assert_eq!(all[4].code(), "hall_closed");
        assert_eq!(all[3].message_zh(), "该号当前为「已办结」，不能叫号");
        assert_eq!(HallError::invalid("name", "空", "empty").within("windows[2]").field().as_deref(), Some("windows[2].name"));
    }
}
