//! Notices (SMS-style messages) the engine writes at every step that concerns the applicant, and
//! the warnings and escalations that go to department staff.

use chrono::{DateTime, Utc};
use domain::{AccountId, ApplicationId, CaseId};
use serde::{Deserialize, Serialize};

/// Who a notice is for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Recipient {
    /// One account (the applicant).
    Account { account: AccountId },
    /// Everyone holding `role` in `department` (clerks for warnings, supervisors for escalations).
    Department { department: String, role: String },
    /// The district administrators.
    District,
}

impl Recipient {
    pub fn applicant(account: AccountId) -> Recipient {
        Recipient::Account { account }
    }
    pub fn department(department: &str, role: &str) -> Recipient {
        Recipient::Department { department: department.to_owned(), role: role.to_owned() }
    }
    /// A stable string form for storage and querying: `account:123`, `dept:ga:supervisor`, `district`.
    pub fn key(&self) -> String {
        match self {
            Recipient::Account { account } => format!("account:{account}"),
            Recipient::Department { department, role } => format!("dept:{department}:{role}"),
            Recipient::District => "district".to_owned(),
        }
    }
}

/// A notice ready to be written to the outbox in the same transaction as the change it reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoticeDraft {
    pub recipient: Recipient,
    /// A stable code. To the applicant: `submitted`, `case_started`, `case_progress`,
    /// `supplement_requested`, `case_approved`, `case_rejected`, `case_cancelled`, `finished`,
    /// `withdrawn`, `supplement_warning`, `supplement_overdue_applicant`, `overdue_applicant`,
    /// `rectification_opened_applicant`, `rectification_responded`. To staff: `deadline_warning`,
    /// `state_overdue`, `supplement_overdue` (clerks), `overdue`, `rectification_opened`
    /// (supervisors), `legal_overdue`, `rectification_overdue` (the district).
    pub kind: String,
    pub application: ApplicationId,
    pub case: Option<CaseId>,
    pub text_zh: String,
    pub text_en: String,
    /// When the change it reports happened.
    pub at: DateTime<Utc>,
}

impl NoticeDraft {
    pub fn new(
        at: DateTime<Utc>,
        recipient: Recipient,
        kind: &str,
        application: ApplicationId,
        case: Option<CaseId>,
        text_zh: String,
        text_en: String,
    ) -> NoticeDraft {
        NoticeDraft { recipient, kind: kind.to_owned(), application, case, text_zh, text_en, at }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recipients_have_stable_keys() {
        assert_eq!(Recipient::applicant(AccountId(12)).key(), "account:12");
        assert_eq!(Recipient::department("ga", "supervisor").key(), "dept:ga:supervisor");
        assert_eq!(Recipient::District.key(), "district");
        let json = serde_json::to_string(&Recipient::department("ga", "clerk")).unwrap_or_default();
        assert_eq!(json, r#"{"kind":"department","department":"ga","role":"clerk"}"#);
    }
}
