//! `MedinsError`: everything that can be wrong with an episode, a data file, a hospital's
//! membership or a settlement's input, each with a stable code, Chinese and English messages, the
//! field at fault and its `domain::ErrorKind`.

use chrono::NaiveDate;
use domain::Describe;

/// What sort of failure it is (the shared vocabulary of `domain`); this crate uses `Invalid`,
/// `NotFound` and `Conflict`.
pub use domain::ErrorKind;

/// Everything that can go wrong in the medical-insurance engine.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MedinsError {
    /// A data file (grouper, code list or scheme) does not parse or breaks a rule.
    #[error("data file {file}{}: {field}: {message}", line_suffix(*line))]
    Data {
        /// Which file: `chs-drg.toml`, `icd10.toml`, `icd9cm3.toml`, `scheme.toml` or the caller's.
        file: String,
        /// The 1-based line at fault, where known.
        line: Option<usize>,
        /// The field at fault (a TOML path such as `adrg[3].drgs[1].weight`).
        field: String,
        /// What is wrong, in English (the TOML parser's own words for syntax errors).
        message: String,
    },
    /// A required text field of an episode is empty.
    #[error("episode field {field} is empty")]
    MissingField {
        /// `id`, `patient`, `hospital` or `principal_dx`.
        field: String,
    },
    /// A diagnosis code that is not in the ICD-10 code list.
    #[error("unknown ICD-10 diagnosis code {code:?} in {field}")]
    UnknownDiagnosis {
        /// The code as given.
        code: String,
        /// `principal_dx` or `other_dx[i]`.
        field: String,
    },
    /// A procedure code that is not in the ICD-9-CM-3 code list.
    #[error("unknown ICD-9-CM-3 procedure code {code:?} in {field}")]
    UnknownProcedure {
        /// The code as given.
        code: String,
        /// `procedures[i]`.
        field: String,
    },
    /// The discharge date is before the admission date.
    #[error("episode {episode}: discharged {discharged} before admitted {admitted}")]
    DischargeBeforeAdmission {
        /// The episode's id.
        episode: String,
        /// Its admission date.
        admitted: NaiveDate,
        /// Its discharge date.
        discharged: NaiveDate,
    },
    /// An age outside 0–120 years.
    #[error("age {age} is out of range (0–120)")]
    AgeOutOfRange {
        /// The age given.
        age: u8,
    },
    /// A cost line that is zero or negative, no cost at all, or a total too large to hold.
    #[error("{field}: {message}")]
    InvalidCost {
        /// `costs` or `costs[i]`.
        field: String,
        /// What is wrong, in English.
        message: String,
        /// What is wrong, in Chinese.
        message_zh: String,
    },
    /// An episode names a hospital that is not one of the settlement's hospitals.
    #[error("episode {episode}: hospital {hospital} is not in the scheme")]
    HospitalNotInScheme {
        /// The hospital code.
        hospital: String,
        /// The episode's id.
        episode: String,
    },
    /// The same (hospital, episode id) twice in one settlement.
    #[error("episode {episode} of hospital {hospital} appears twice")]
    DuplicateEpisode {
        /// The hospital code.
        hospital: String,
        /// The episode's id.
        episode: String,
    },
    /// The same hospital code twice in a settlement's hospitals.
    #[error("hospital {hospital} appears twice")]
    DuplicateHospital {
        /// The hospital code.
        hospital: String,
    },
    /// An episode to settle that was not discharged in the settlement's month.
    #[error("episode {episode} was discharged on {discharged}, outside {month}")]
    EpisodeOutsideMonth {
        /// The episode's id.
        episode: String,
        /// Its discharge date.
        discharged: NaiveDate,
        /// The settlement's month, `YYYY-MM`.
        month: String,
    },
    /// A month that is not `YYYY-MM` with a month 1–12 and a year 1900–2200.
    #[error("{input:?} is not a month such as 2024-03")]
    InvalidMonth {
        /// The text or numbers given.
        input: String,
    },
    /// A negative budget.
    #[error("the budget {budget} fen is negative")]
    InvalidBudget {
        /// The budget in fen.
        budget: i64,
    },
    /// A hospital's membership does not fit its level (a tertiary hospital is in only by an
    /// approved application; the others are included, they never apply).
    #[error("hospital {hospital}: {message}")]
    InvalidMembership {
        /// The hospital code.
        hospital: String,
        /// What is wrong, in English.
        message: String,
        /// What is wrong, in Chinese.
        message_zh: String,
    },
    /// A step of the application workflow that is not possible in the hospital's state.
    #[error("hospital {hospital}: cannot {action} while its membership is {state}")]
    MembershipState {
        /// The hospital code.
        hospital: String,
        /// `apply`, `approve`, `refuse` or `include`.
        action: &'static str,
        /// The current membership, in English.
        state: &'static str,
        /// The current membership, in Chinese.
        state_zh: &'static str,
    },
    /// A settlement step that is not possible in the settlement's state.
    #[error("cannot {action} a settlement that is {state}")]
    SettlementState {
        /// `freeze`, `approve` or `reopen`.
        action: &'static str,
        /// The current state.
        state: &'static str,
    },
    /// A DRG code that is not in the grouper.
    #[error("unknown DRG {0}")]
    UnknownDrg(String),
}

fn line_suffix(line: Option<usize>) -> String {
    line.map(|l| format!(", line {l}")).unwrap_or_default()
}

impl MedinsError {
    /// A data-file error.
    pub(crate) fn data(file: &str, line: Option<usize>, field: impl Into<String>, message: impl Into<String>) -> MedinsError {
        MedinsError::Data { file: file.to_owned(), line, field: field.into(), message: message.into() }
    }

    /// What sort of failure it is.
    pub fn kind(&self) -> ErrorKind {
        match self {
            MedinsError::UnknownDrg(_) => ErrorKind::NotFound,
            MedinsError::DuplicateEpisode { .. }
            | MedinsError::DuplicateHospital { .. }
            | MedinsError::MembershipState { .. }
            | MedinsError::SettlementState { .. } => ErrorKind::Conflict,
            _ => ErrorKind::Invalid,
        }
    }

    /// The input field at fault, as a path into the episode, the settlement input or the data
    /// file, where there is one.
    pub fn field(&self) -> Option<String> {
        Some(match self {
            MedinsError::Data { field, .. } => field.clone(),
            MedinsError::MissingField { field } => field.clone(),
            MedinsError::UnknownDiagnosis { field, .. } | MedinsError::UnknownProcedure { field, .. } => field.clone(),
            MedinsError::DischargeBeforeAdmission { .. } => "discharged".to_owned(),
            MedinsError::AgeOutOfRange { .. } => "age".to_owned(),
            MedinsError::InvalidCost { field, .. } => field.clone(),
            MedinsError::HospitalNotInScheme { .. } => "hospital".to_owned(),
            MedinsError::DuplicateEpisode { .. } => "id".to_owned(),
            MedinsError::DuplicateHospital { .. } => "hospitals".to_owned(),
            MedinsError::EpisodeOutsideMonth { .. } => "discharged".to_owned(),
            MedinsError::InvalidMonth { .. } => "month".to_owned(),
            MedinsError::InvalidBudget { .. } => "budget".to_owned(),
            MedinsError::InvalidMembership { .. } | MedinsError::MembershipState { .. } => "membership".to_owned(),
            MedinsError::SettlementState { .. } => "status".to_owned(),
            MedinsError::UnknownDrg(_) => "drg".to_owned(),
        })
    }

    /// The episode the error is about, where there is one (settlement errors name it so that the
    /// clerk can find the record).
    pub fn episode(&self) -> Option<&str> {
        match self {
            MedinsError::DischargeBeforeAdmission { episode, .. }
            | MedinsError::HospitalNotInScheme { episode, .. }
            | MedinsError::DuplicateEpisode { episode, .. }
            | MedinsError::EpisodeOutsideMonth { episode, .. } => Some(episode),
            _ => None,
        }
    }
}

impl Describe for MedinsError {
    fn code(&self) -> &'static str {
        match self {
            MedinsError::Data { .. } => "invalid_data_file",
            MedinsError::MissingField { .. } => "missing_field",
            MedinsError::UnknownDiagnosis { .. } => "unknown_diagnosis",
            MedinsError::UnknownProcedure { .. } => "unknown_procedure",
            MedinsError::DischargeBeforeAdmission { .. } => "discharge_before_admission",
            MedinsError::AgeOutOfRange { .. } => "age_out_of_range",
            MedinsError::InvalidCost { .. } => "invalid_cost",
            MedinsError::HospitalNotInScheme { .. } => "hospital_not_in_scheme",
            MedinsError::DuplicateEpisode { .. } => "duplicate_episode",
            MedinsError::DuplicateHospital { .. } => "duplicate_hospital",
            MedinsError::EpisodeOutsideMonth { .. } => "episode_outside_month",
            MedinsError::InvalidMonth { .. } => "invalid_month",
            MedinsError::InvalidBudget { .. } => "invalid_budget",
            MedinsError::InvalidMembership { .. } => "invalid_membership",
            MedinsError::MembershipState { .. } => "membership_state",
            MedinsError::SettlementState { .. } => "settlement_state",
            MedinsError::UnknownDrg(_) => "unknown_drg",
        }
    }

    fn message_zh(&self) -> String {
        match self {
            MedinsError::Data { file, line, field, message } => match line {
                Some(l) => format!("数据文件 {file} 第 {l} 行（{field}）有误：{message}"),
                None => format!("数据文件 {file}（{field}）有误：{message}"),
            },
            MedinsError::MissingField { field } => format!("病例的「{}」为空，请填写", field_zh(field)),
            MedinsError::UnknownDiagnosis { code, field } => {
                format!("{}中的诊断编码「{code}」不在医保版 ICD-10 编码库中，请核对编码", field_zh(field))
            }
            MedinsError::UnknownProcedure { code, field } => {
                format!("{}中的手术操作编码「{code}」不在医保版 ICD-9-CM-3 编码库中，请核对编码", field_zh(field))
            }
            MedinsError::DischargeBeforeAdmission { episode, admitted, discharged } => {
                format!("病例 {episode} 的出院日期（{discharged}）早于入院日期（{admitted}），请核对")
            }
            MedinsError::AgeOutOfRange { age } => format!("年龄 {age} 岁超出 0～120 岁的范围，请核对"),
            MedinsError::InvalidCost { field, message_zh, .. } => format!("费用（{field}）有误：{message_zh}"),
            MedinsError::HospitalNotInScheme { hospital, episode } => {
                format!("病例 {episode} 的医疗机构「{hospital}」不在本次结算的定点医疗机构中，不能结算")
            }
            MedinsError::DuplicateEpisode { hospital, episode } => {
                format!("医疗机构「{hospital}」的病例 {episode} 重复提交，同一病例只能结算一次")
            }
            MedinsError::DuplicateHospital { hospital } => format!("医疗机构「{hospital}」重复出现"),
            MedinsError::EpisodeOutsideMonth { episode, discharged, month } => {
                format!("病例 {episode} 的出院日期 {discharged} 不在结算月份 {month} 内，请放入出院当月结算")
            }
            MedinsError::InvalidMonth { input } => format!("「{input}」不是有效的月份，请按 2024-03 的格式填写"),
            MedinsError::InvalidBudget { budget } => {
                format!("月度基金预算不能为负数（{}）", domain::Fen(*budget).to_yuan_string())
            }
            MedinsError::InvalidMembership { hospital, message_zh, .. } => format!("医疗机构「{hospital}」{message_zh}"),
            MedinsError::MembershipState { hospital, action, state_zh, .. } => {
                format!("医疗机构「{hospital}」当前为「{state_zh}」状态，不能{}", action_zh(action))
            }
            MedinsError::SettlementState { action, state } => {
                format!("结算当前为「{}」状态，不能{}", settlement_state_zh(state), action_zh(action))
            }
            MedinsError::UnknownDrg(code) => format!("没有编码为「{code}」的 DRG 病组"),
        }
    }

    fn message_en(&self) -> String {
        self.to_string()
    }
}

fn field_zh(field: &str) -> String {
    let (name, rest) = match field.split_once('[') {
        Some((n, r)) => (n, Some(r.trim_end_matches(']'))),
        None => (field, None),
    };
    let zh = match name {
        "id" => "病案号",
        "patient" => "参保人",
        "hospital" => "医疗机构",
        "principal_dx" => "主要诊断",
        "other_dx" => "其他诊断",
        "procedures" => "手术及操作",
        other => other,
    };
    match rest.and_then(|r| r.parse::<usize>().ok()) {
        Some(i) => format!("{zh}第 {} 项", i + 1),
        None => zh.to_owned(),
    }
}

fn action_zh(action: &str) -> &'static str {
    match action {
        "apply" => "申请纳入床日付费",
        "approve" => "审核通过",
        "refuse" => "审核不通过",
        "include" => "纳入床日付费",
        "freeze" => "冻结",
        "reopen" => "退回重算",
        _ => "执行该操作",
    }
}

fn settlement_state_zh(state: &str) -> &'static str {
    match state {
        "draft" => "草稿",
        "frozen" => "已冻结",
        "approved" => "已审批",
        _ => "未知",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_has_a_code_messages_a_field_and_a_kind() {
        let d = NaiveDate::from_ymd_opt(2024, 3, 1).unwrap_or_default();
        let all = [
            MedinsError::data("scheme.toml", Some(3), "points", "bad"),
            MedinsError::MissingField { field: "patient".into() },
            MedinsError::UnknownDiagnosis { code: "X99.9".into(), field: "other_dx[1]".into() },
            MedinsError::UnknownProcedure { code: "00.00".into(), field: "procedures[0]".into() },
            MedinsError::DischargeBeforeAdmission { episode: "e1".into(), admitted: d, discharged: d },
            MedinsError::AgeOutOfRange { age: 130 },
            MedinsError::InvalidCost { field: "costs[0]".into(), message: "m".into(), message_zh: "m".into() },
            MedinsError::HospitalNotInScheme { hospital: "h".into(), episode: "e".into() },
            MedinsError::DuplicateEpisode { hospital: "h".into(), episode: "e".into() },
            MedinsError::DuplicateHospital { hospital: "h".into() },
            MedinsError::EpisodeOutsideMonth { episode: "e".into(), discharged: d, month: "2024-04".into() },
            MedinsError::InvalidMonth { input: "2024-13".into() },
            MedinsError::InvalidBudget { budget: -1 },
            MedinsError::InvalidMembership { hospital: "h".into(), message: "m".into(), message_zh: "m".into() },
            MedinsError::MembershipState { hospital: "h".into(), action: "apply", state: "approved", state_zh: "已纳入" },
            MedinsError::SettlementState { action: "freeze", state: "approved" },
            MedinsError::UnknownDrg("ZZ99".into()),
        ];
        let mut codes = std::collections::BTreeSet::new();
        for e in &all {
            assert!(codes.insert(e.code()), "code {} twice", e.code());
            assert!(e.code().bytes().all(|b| b.is_ascii_lowercase() || b == b'_'), "{}", e.code());
            assert!(!e.message_zh().is_empty() && !e.message_en().is_empty());
            assert!(e.field().is_some(), "{e:?}");
            let _ = e.kind();
        }
        assert_eq!(all[2].message_zh(), "其他诊断第 2 项中的诊断编码「X99.9」不在医保版 ICD-10 编码库中，请核对编码");
        assert_eq!(all[0].to_string(), "data file scheme.toml, line 3: points: bad");
        assert_eq!(all[8].kind(), ErrorKind::Conflict);
        assert_eq!(all[16].kind(), ErrorKind::NotFound);
    }
}
