//! `PoolError`: what can be wrong with a record, a consent, a credential or a FHIR resource, with
//! a stable code and Chinese and English messages (`Describe`).

use domain::Describe;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PoolError {
    #[error("unknown record type {0}")]
    UnknownRecordType(String),
    #[error("record field {field}: {message}")]
    InvalidField { field: String, message: String, message_zh: String },
    #[error("the record's subject {0} is not valid for its type")]
    InvalidSubject(String),
    #[error("the record was superseded by a correction")]
    Superseded,
    #[error("the record was revoked")]
    Revoked,
    #[error("invalid consent: {0}")]
    InvalidConsent(String),
    #[error("invalid FHIR resource at {path}: {message}")]
    Fhir { path: String, message: String },
    #[error("unknown recognisable item {0}")]
    UnknownItem(String),
    #[error("data file {file}: {message}")]
    Data { file: String, message: String },
}

impl PoolError {
    pub fn field(field: impl Into<String>, en: impl Into<String>, zh: impl Into<String>) -> PoolError {
        PoolError::InvalidField { field: field.into(), message: en.into(), message_zh: zh.into() }
    }
    pub fn fhir(path: impl Into<String>, message: impl Into<String>) -> PoolError {
        PoolError::Fhir { path: path.into(), message: message.into() }
    }
    /// The request field at fault, as a JSON path.
    pub fn field_path(&self) -> Option<String> {
        match self {
            PoolError::InvalidField { field, .. } => Some(format!("data.{field}")),
            PoolError::Fhir { path, .. } => Some(path.clone()),
            PoolError::UnknownRecordType(_) => Some("record_type".into()),
            PoolError::InvalidSubject(_) => Some("subject".into()),
            _ => None,
        }
    }
}

impl Describe for PoolError {
    fn code(&self) -> &'static str {
        match self {
            PoolError::UnknownRecordType(_) => "unknown_record_type",
            PoolError::InvalidField { .. } => "invalid_record_field",
            PoolError::InvalidSubject(_) => "invalid_subject",
            PoolError::Superseded => "record_superseded",
            PoolError::Revoked => "record_revoked",
            PoolError::InvalidConsent(_) => "invalid_consent",
            PoolError::Fhir { .. } => "invalid_fhir",
            PoolError::UnknownItem(_) => "unknown_recognition_item",
            PoolError::Data { .. } => "invalid_data_file",
        }
    }
    fn message_zh(&self) -> String {
        match self {
            PoolError::UnknownRecordType(t) => format!("没有这种共享数据类型：{t}"),
            PoolError::InvalidField { field, message_zh, .. } => format!("字段「{field}」{message_zh}"),
            PoolError::InvalidSubject(_) => "数据主体的证件号码与该数据类型不符或无效".into(),
            PoolError::Superseded => "该数据已被更正，请使用最新版本".into(),
            PoolError::Revoked => "该数据已被撤销".into(),
            PoolError::InvalidConsent(m) => format!("授权无效：{m}"),
            PoolError::Fhir { path, message } => format!("FHIR 资源不符合 R4 规范（{path}）：{message}"),
            PoolError::UnknownItem(i) => format!("没有这个互认项目：{i}"),
            PoolError::Data { file, message } => format!("数据文件 {file} 有误：{message}"),
        }
    }
    fn message_en(&self) -> String {
        self.to_string()
    }
}
