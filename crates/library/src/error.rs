//! `LibraryError`: everything that can be wrong with the library engine's input — an ISBN, an
//! import file (CSV or MARC) at a line or record and field, a rules or fees file, an order for a
//! withdrawn copy or over the loan limit, a renewal of a held book, a step in the wrong state —
//! each with a stable code, Chinese and English messages, the field at fault and its
//! `domain::ErrorKind`. Nothing is changed when one is returned.

use domain::Describe;

/// What sort of failure it is (the shared vocabulary of `domain`).
pub use domain::ErrorKind;

/// Everything that can go wrong in the library engine.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LibraryError {
    /// A text that is not an ISBN-10 or ISBN-13 (wrong length, a letter, a wrong check digit).
    #[error("{input:?} is not an ISBN: {message_en}")]
    InvalidIsbn {
        /// The text given.
        input: String,
        /// What is wrong, in Chinese.
        message_zh: String,
        /// What is wrong, in English.
        message_en: String,
    },
    /// A bad row of a CSV import or a bad record of a MARC import: nothing was imported.
    #[error("{unit} {at}, field {field}: {message_en}")]
    Import {
        /// `line` (CSV, 1-based, the header is line 1) or `record` (MARC, 1-based).
        unit: &'static str,
        /// The line or record number.
        at: usize,
        /// The field at fault (`isbn`, `branch`, `barcode`, `020$a`, `852$b`).
        field: String,
        /// What is wrong, in Chinese.
        message_zh: String,
        /// What is wrong, in English.
        message_en: String,
    },
    /// A rules, fees or branches file does not parse or breaks a rule.
    #[error("{file}:{line}:{column}: {field}: {message_en}")]
    Rules {
        /// The file name.
        file: String,
        /// The 1-based line at fault (0 when unknown).
        line: usize,
        /// The 1-based column at fault (0 when unknown).
        column: usize,
        /// The field at fault, e.g. `promotion[1].to`.
        field: String,
        /// What is wrong, in Chinese.
        message_zh: String,
        /// What is wrong, in English.
        message_en: String,
    },
    /// Two promotions of the fees file whose date windows overlap.
    #[error("fees file line {line}: promotion {second:?} ({second_window}) overlaps promotion {first:?} ({first_window})")]
    OverlappingPromotions {
        /// The line of the second promotion in the fees file.
        line: usize,
        /// The first promotion's id.
        first: String,
        /// Its window, `YYYY-MM-DD–YYYY-MM-DD`.
        first_window: String,
        /// The second promotion's id.
        second: String,
        /// Its window.
        second_window: String,
    },
    /// A value that breaks a rule (an empty reader id, no titles, a title asked for twice).
    #[error("{field}: {message_en}")]
    Invalid {
        /// The field at fault.
        field: String,
        /// What is wrong, in Chinese.
        message_zh: String,
        /// What is wrong, in English.
        message_en: String,
    },
    /// Something named does not exist (a title, a copy, a branch, an order, a loan, a hold).
    #[error("no {what} {id}")]
    NotFound {
        /// What was looked for.
        what: &'static str,
        /// Its id as given.
        id: String,
    },
    /// An action the record's state does not allow (packing a delivered order).
    #[error("cannot {action}: the {what} is {state}")]
    WrongState {
        /// What the record is (`order`, `hold`, `return`).
        what: &'static str,
        /// The state's code.
        state: &'static str,
        /// The action's code.
        action: &'static str,
    },
    /// A copy named in an order is withdrawn or lost.
    #[error("copy {barcode} is {status} and cannot be borrowed")]
    CopyWithdrawn {
        /// The copy's barcode.
        barcode: String,
        /// Its shelf status's code (`withdrawn`, `lost`).
        status: &'static str,
    },
    /// The order would take the reader over the loan limit.
    #[error("the order would bring the reader to {wanted} items, over the limit of {limit} ({current} on loan or ordered)")]
    LoanLimit {
        /// The most items a reader may have.
        limit: u32,
        /// Items on loan or ordered now.
        current: u32,
        /// What the reader would have with this order.
        wanted: u32,
    },
    /// More titles in one order than the rules allow.
    #[error("an order holds at most {max} titles, this one {asked}")]
    TooManyTitles {
        /// The most titles of an order.
        max: u32,
        /// Titles asked for.
        asked: u32,
    },
    /// The reader has the title on loan (or ordered) already.
    #[error("the reader already has {isbn} on loan or ordered")]
    AlreadyOnLoan {
        /// The title's ISBN-13.
        isbn: String,
    },
    /// The reader has an overdue loan: borrowing is suspended until it is returned.
    #[error("borrowing is suspended: {overdue} item(s) overdue")]
    Suspended {
        /// Overdue loans.
        overdue: u32,
    },
    /// The reader already waits for the title.
    #[error("the reader already holds a place in the queue for {isbn}")]
    AlreadyHeld {
        /// The title's ISBN-13.
        isbn: String,
    },
    /// A renewal of a book another reader waits for.
    #[error("cannot renew {isbn}: {waiting} other reader(s) wait for it")]
    RenewalHeld {
        /// The title's ISBN-13.
        isbn: String,
        /// Other readers waiting.
        waiting: u32,
    },
    /// Every renewal of the loan has been used.
    #[error("the loan has been renewed {max} times already, the most the rules allow")]
    RenewalsUsedUp {
        /// The most renewals.
        max: u32,
    },
    /// The loan is too long overdue to be renewed.
    #[error("the loan is {days} days overdue; renewal is allowed up to {max} days overdue")]
    TooOverdue {
        /// Days overdue.
        days: i64,
        /// The most days overdue a renewal allows.
        max: i64,
    },
}

impl LibraryError {
    /// An invalid value.
    pub fn invalid(field: impl Into<String>, zh: impl Into<String>, en: impl Into<String>) -> LibraryError {
        LibraryError::Invalid { field: field.into(), message_zh: zh.into(), message_en: en.into() }
    }

    /// An import error at a CSV line.
    pub fn at_line(line: usize, field: impl Into<String>, zh: impl Into<String>, en: impl Into<String>) -> LibraryError {
        LibraryError::Import { unit: "line", at: line, field: field.into(), message_zh: zh.into(), message_en: en.into() }
    }

    /// An import error at a MARC record.
    pub fn at_record(record: usize, field: impl Into<String>, zh: impl Into<String>, en: impl Into<String>) -> LibraryError {
        LibraryError::Import { unit: "record", at: record, field: field.into(), message_zh: zh.into(), message_en: en.into() }
    }

    /// A not-found error.
    pub fn not_found(what: &'static str, id: impl Into<String>) -> LibraryError {
        LibraryError::NotFound { what, id: id.into() }
    }

    /// What sort of failure it is.
    pub fn kind(&self) -> ErrorKind {
        match self {
            LibraryError::NotFound { .. } => ErrorKind::NotFound,
            LibraryError::WrongState { .. }
            | LibraryError::CopyWithdrawn { .. }
            | LibraryError::LoanLimit { .. }
            | LibraryError::AlreadyOnLoan { .. }
            | LibraryError::Suspended { .. }
            | LibraryError::AlreadyHeld { .. }
            | LibraryError::RenewalHeld { .. }
            | LibraryError::RenewalsUsedUp { .. }
            | LibraryError::TooOverdue { .. } => ErrorKind::Conflict,
            LibraryError::InvalidIsbn { .. }
            | LibraryError::Import { .. }
            | LibraryError::Rules { .. }
            | LibraryError::OverlappingPromotions { .. }
            | LibraryError::Invalid { .. }
            | LibraryError::TooManyTitles { .. } => ErrorKind::Invalid,
        }
    }

    /// The field at fault.
    pub fn field(&self) -> Option<String> {
        let f: &str = match self {
            LibraryError::InvalidIsbn { .. } | LibraryError::AlreadyOnLoan { .. } | LibraryError::AlreadyHeld { .. } => "isbn",
            LibraryError::Import { field, .. } | LibraryError::Rules { field, .. } | LibraryError::Invalid { field, .. } => field,
            LibraryError::OverlappingPromotions { .. } => "promotion",
            LibraryError::NotFound { what, .. } => what,
            LibraryError::WrongState { .. } => "state",
            LibraryError::CopyWithdrawn { .. } => "barcode",
            LibraryError::LoanLimit { .. } | LibraryError::Suspended { .. } => "reader",
            LibraryError::TooManyTitles { .. } => "titles",
            LibraryError::RenewalHeld { .. } | LibraryError::RenewalsUsedUp { .. } | LibraryError::TooOverdue { .. } => "renewal",
        };
        Some(f.to_owned())
    }
}

/// The Chinese label of a state's code (the code itself when unknown).
fn state_zh(code: &str) -> &str {
    match code {
        "placed" => "已下单",
        "picking" => "拣书中",
        "packed" => "已打包",
        "with_courier" => "已交快递",
        "delivered" => "已送达",
        "ready_for_pickup" => "待取书",
        "collected" => "已取书",
        "cancelled" => "已取消",
        "waiting" => "排队中",
        "ready" => "已到书待取",
        "expired" => "已过期",
        "pickup_requested" => "已预约上门取书",
        "picked_up" => "快递已取件",
        "in_transit" => "运送中",
        "checked_in" => "已归还入馆",
        "returned" => "已归还",
        "on_shelf" => "在架",
        "reserved_for_order" => "已被其他订单预留",
        "reserved_for_hold" => "已为预约读者保留",
        "on_loan" => "已借出",
        "withdrawn" => "已剔旧下架",
        "lost" => "已遗失",
        other => other,
    }
}

/// The Chinese name of an action's code (the code itself when unknown).
fn action_zh(code: &str) -> &str {
    match code {
        "pick" => "开始拣书",
        "pack" => "打包",
        "hand_to_courier" => "交快递",
        "deliver" => "确认送达",
        "ready_for_pickup" => "通知取书",
        "collect" => "确认取书",
        "cancel" => "取消",
        "collect_hold" => "领取预约书",
        "pick_up" => "快递取件",
        "send" => "发往馆藏馆",
        "check_in" => "归还入馆",
        "return" => "归还",
        "renew" => "续借",
        "order" => "下单",
        other => other,
    }
}

impl Describe for LibraryError {
    fn code(&self) -> &'static str {
        match self {
            LibraryError::InvalidIsbn { .. } => "invalid_isbn",
            LibraryError::Import { .. } => "invalid_import",
            LibraryError::Rules { .. } => "invalid_library_rules",
            LibraryError::OverlappingPromotions { .. } => "overlapping_promotions",
            LibraryError::Invalid { .. } => "invalid_library_input",
            LibraryError::NotFound { .. } => "library_not_found",
            LibraryError::WrongState { .. } => "library_wrong_state",
            LibraryError::CopyWithdrawn { .. } => "copy_withdrawn",
            LibraryError::LoanLimit { .. } => "loan_limit_exceeded",
            LibraryError::TooManyTitles { .. } => "too_many_titles",
            LibraryError::AlreadyOnLoan { .. } => "already_on_loan",
            LibraryError::Suspended { .. } => "borrowing_suspended",
            LibraryError::AlreadyHeld { .. } => "already_held",
            LibraryError::RenewalHeld { .. } => "renewal_of_held_book",
            LibraryError::RenewalsUsedUp { .. } => "renewals_used_up",
            LibraryError::TooOverdue { .. } => "too_overdue_to_renew",
        }
    }

    fn message_zh(&self) -> String {
        match self {
            LibraryError::InvalidIsbn { input, message_zh, .. } => format!("「{input}」不是有效的 ISBN：{message_zh}"),
            LibraryError::Import { unit, at, field, message_zh, .. } => {
                let u = if *unit == "line" { "行" } else { "条记录" };
                format!("导入失败，未导入任何数据：第 {at} {u}，字段 {field}：{message_zh}")
            }
            LibraryError::Rules { file, line, column, field, message_zh, .. } => {
                format!("规则文件 {file} 第 {line} 行第 {column} 列（{field}）有误：{message_zh}")
            }
            LibraryError::OverlappingPromotions { line, first, first_window, second, second_window } => format!(
                "运费规则文件第 {line} 行：优惠活动「{second}」（{second_window}）与「{first}」（{first_window}）的日期重叠，同一天只能有一个活动，请调整日期"
            ),
            LibraryError::Invalid { field, message_zh, .. } => format!("「{field}」有误：{message_zh}"),
            LibraryError::NotFound { what, id } => {
                let w = match *what {
                    "title" => "图书",
                    "copy" => "馆藏册",
                    "branch" => "分馆",
                    "order" => "订单",
                    "loan" => "借阅记录",
                    "hold" => "预约",
                    "return" => "归还记录",
                    other => other,
                };
                format!("找不到{w}「{id}」")
            }
            LibraryError::WrongState { state, action, .. } => format!("当前状态为「{}」，不能{}", state_zh(state), action_zh(action)),
            LibraryError::CopyWithdrawn { barcode, status } => {
                let s = if *status == "lost" { "已遗失" } else { "已剔旧下架" };
                format!("条码 {barcode} 的这册书{s}，不能借阅，请选择该书的其他馆藏")
            }
            LibraryError::LoanLimit { limit, current, wanted } => {
                format!("每位读者最多同时借阅 {limit} 册，您已借阅或下单 {current} 册，本次下单后将达 {wanted} 册，请先归还部分图书或减少本次选书")
            }
            LibraryError::TooManyTitles { max, asked } => format!("每单最多 {max} 种书，本单选了 {asked} 种，请分开下单"),
            LibraryError::AlreadyOnLoan { isbn } => format!("您已借阅或已下单 ISBN {isbn} 的这本书，不能重复借阅"),
            LibraryError::Suspended { overdue } => format!("您有 {overdue} 册图书已超期，归还前暂停借阅（本馆不收取超期费）"),
            LibraryError::AlreadyHeld { isbn } => format!("您已在排队预约 ISBN {isbn} 的这本书"),
            LibraryError::RenewalHeld { waiting, .. } => format!("这本书有 {waiting} 位其他读者在排队预约，不能续借，请按期归还"),
            LibraryError::RenewalsUsedUp { max } => format!("这次借阅已续借 {max} 次，达到上限，请按期归还"),
            LibraryError::TooOverdue { days, max } => format!("这本书已超期 {days} 天，超期 {max} 天以上不能续借，请尽快归还"),
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
            LibraryError::InvalidIsbn { input: "978".into(), message_zh: "位数不对".into(), message_en: "wrong length".into() },
            LibraryError::at_line(7, "isbn", "校验位错误", "check digit wrong"),
            LibraryError::Rules {
                file: "fees.toml".into(),
                line: 3,
                column: 1,
                field: "base.fee_fen".into(),
                message_zh: "负数".into(),
                message_en: "negative".into(),
            },
            LibraryError::OverlappingPromotions {
                line: 20,
                first: "a".into(),
                first_window: "2026-12-01–2026-12-31".into(),
                second: "b".into(),
                second_window: "2026-12-15–2027-01-15".into(),
            },
            LibraryError::invalid("reader", "空", "empty"),
            LibraryError::not_found("title", "9787000000000"),
            LibraryError::WrongState { what: "order", state: "delivered", action: "pack" },
            LibraryError::CopyWithdrawn { barcode: "FY0001".into(), status: "withdrawn" },
            LibraryError::LoanLimit { limit: 20, current: 19, wanted: 21 },
            LibraryError::TooManyTitles { max: 10, asked: 11 },
            LibraryError::AlreadyOnLoan { isbn: "9787020002207".into() },
            LibraryError::Suspended { overdue: 1 },
            LibraryError::AlreadyHeld { isbn: "9787020002207".into() },
            LibraryError::RenewalHeld { isbn: "9787020002207".into(), waiting: 2 },
            LibraryError::RenewalsUsedUp { max: 2 },
            LibraryError::TooOverdue { days: 40, max: 30 },
        ];
        let mut codes = std::collections::BTreeSet::new();
        for e in &all {
            assert!(codes.insert(e.code()), "code {} twice", e.code());
            assert!(!e.message_zh().is_empty() && !e.message_en().is_empty());
            assert!(e.field().is_some_and(|f| !f.is_empty()), "{e:?}");
        }
        assert_eq!(all[1].to_string(), "line 7, field isbn: check digit wrong");
        assert_eq!(all[5].kind(), ErrorKind::NotFound);
        assert_eq!(all[13].kind(), ErrorKind::Conflict);
        assert_eq!(all[13].code(), "renewal_of_held_book");
        assert_eq!(all[6].message_zh(), "当前状态为「已送达」，不能打包");
        assert!(all[3].to_string().contains("\"a\"") && all[3].to_string().contains("\"b\""));
    }
}
