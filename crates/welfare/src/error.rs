//! `WelfareError`: everything that can be wrong with the welfare engine's input — a data file, a
//! month, a benefit code, a bank return file — each with a stable code, Chinese and English
//! messages, the field at fault and its `domain::ErrorKind`.

use domain::Describe;

use crate::bank::FileError;
use crate::catalog::CatalogError;

/// What sort of failure it is (the shared vocabulary of `domain`); this crate uses `Invalid` and
/// `NotFound`.
pub use domain::ErrorKind;

/// Everything that can go wrong in the welfare engine.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WelfareError {
    /// A data file (benefits, discovery weights, relief directory) does not parse or breaks a rule.
    #[error("{file}:{line}:{column}: {field}: {message_en}")]
    Data {
        /// The file name.
        file: String,
        /// The 1-based line at fault (0 when unknown).
        line: usize,
        /// The 1-based column at fault (0 when unknown).
        column: usize,
        /// The field at fault, e.g. `benefit[2].eligibility`.
        field: String,
        /// What is wrong, in Chinese.
        message_zh: String,
        /// What is wrong, in English.
        message_en: String,
    },
    /// A month that is not `YYYY-MM` with a month 1–12 and a year 1900–2200.
    #[error("{input:?} is not a month such as 2026-03")]
    InvalidMonth {
        /// The text or numbers given.
        input: String,
    },
    /// A benefit code that is not in the catalog.
    #[error("unknown benefit {0}")]
    UnknownBenefit(String),
    /// A line of a bank return file is wrong.
    #[error("return file line {line}: {field}: {message_en}")]
    ReturnFile {
        /// The 1-based line of the file.
        line: usize,
        /// The column at fault (`header`, `batch`, `reference`, `account`, `amount`, `status`).
        field: String,
        /// What is wrong, in Chinese.
        message_zh: String,
        /// What is wrong, in English.
        message_en: String,
    },
}

impl WelfareError {
    /// What sort of failure it is.
    pub fn kind(&self) -> ErrorKind {
        match self {
            WelfareError::UnknownBenefit(_) => ErrorKind::NotFound,
            _ => ErrorKind::Invalid,
        }
    }

    /// The field at fault.
    pub fn field(&self) -> Option<String> {
        Some(match self {
            WelfareError::Data { field, .. } | WelfareError::ReturnFile { field, .. } => field.clone(),
            WelfareError::InvalidMonth { .. } => "month".to_owned(),
            WelfareError::UnknownBenefit(_) => "benefit".to_owned(),
        })
    }
}

impl Describe for WelfareError {
    fn code(&self) -> &'static str {
        match self {
            WelfareError::Data { .. } => "invalid_welfare_data",
            WelfareError::InvalidMonth { .. } => "invalid_month",
            WelfareError::UnknownBenefit(_) => "unknown_benefit",
            WelfareError::ReturnFile { .. } => "invalid_return_file",
        }
    }

    fn message_zh(&self) -> String {
        match self {
            WelfareError::Data { file, line, column, field, message_zh, .. } => {
                format!("数据文件 {file} 第 {line} 行第 {column} 列（{field}）有误：{message_zh}")
            }
            WelfareError::InvalidMonth { input } => format!("「{input}」不是有效的月份，请按 2026-03 的格式填写"),
            WelfareError::UnknownBenefit(code) => format!("没有编码为「{code}」的待遇项目"),
            WelfareError::ReturnFile { line, field, message_zh, .. } => {
                format!("银行回盘文件第 {line} 行（{field}）有误：{message_zh}")
            }
        }
    }

    fn message_en(&self) -> String {
        self.to_string()
    }
}

impl From<CatalogError> for WelfareError {
    fn from(e: CatalogError) -> WelfareError {
        WelfareError::Data {
            file: e.file,
            line: e.line,
            column: e.column,
            field: e.field,
            message_zh: e.message_zh,
            message_en: e.message_en,
        }
    }
}

impl From<FileError> for WelfareError {
    fn from(e: FileError) -> WelfareError {
        WelfareError::ReturnFile { line: e.line, field: e.field, message_zh: e.message_zh, message_en: e.message_en }
    }
}

impl Describe for CatalogError {
    fn code(&self) -> &'static str {
        "invalid_welfare_data"
    }

    fn message_zh(&self) -> String {
        WelfareError::from(self.clone()).message_zh()
    }

    fn message_en(&self) -> String {
        self.to_string()
    }
}

impl CatalogError {
    /// What sort of failure it is: always `Invalid`.
    pub fn kind(&self) -> ErrorKind {
        ErrorKind::Invalid
    }
}

impl Describe for FileError {
    fn code(&self) -> &'static str {
        "invalid_return_file"
    }

    fn message_zh(&self) -> String {
        WelfareError::from(self.clone()).message_zh()
    }

    fn message_en(&self) -> String {
        WelfareError::from(self.clone()).message_en()
    }
}

impl FileError {
    /// What sort of failure it is: always `Invalid`.
    pub fn kind(&self) -> ErrorKind {
        ErrorKind::Invalid
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_has_a_code_messages_a_field_and_a_kind() {
        let all = [
            WelfareError::Data {
                file: "benefits.toml".into(),
                line: 3,
                column: 5,
                field: "benefit[0].code".into(),
                message_zh: "缺少".into(),
                message_en: "missing".into(),
            },
            WelfareError::InvalidMonth { input: "2026-13".into() },
            WelfareError::UnknownBenefit("x".into()),
            WelfareError::ReturnFile { line: 2, field: "amount".into(), message_zh: "错".into(), message_en: "bad".into() },
        ];
        let mut codes = std::collections::BTreeSet::new();
        for e in &all {
            assert!(codes.insert(e.code()), "code {} twice", e.code());
            assert!(!e.message_zh().is_empty() && !e.message_en().is_empty());
            assert!(e.field().is_some());
        }
        assert_eq!(all[0].to_string(), "benefits.toml:3:5: benefit[0].code: missing");
        assert_eq!(all[2].kind(), ErrorKind::NotFound);
        assert_eq!(all[1].kind(), ErrorKind::Invalid);
        let f = FileError { line: 4, field: "amount".into(), message_zh: "金额不符".into(), message_en: "amount differs".into() };
        assert_eq!(f.code(), "invalid_return_file");
        assert_eq!(f.message_zh(), "银行回盘文件第 4 行（amount）有误：金额不符");
    }
}
