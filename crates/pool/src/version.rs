//! Record versions: a shared record is never overwritten. A correction (更正) publishes a new
//! version that supersedes the old one; a revocation (撤销) marks a version void. Only the
//! current version of a record is filled into filings and offered to readers by default.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use crate::error::PoolError;

/// What the pool knows about one version of a record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecordMeta {
    pub id: i64,
    pub record_type: String,
    pub subject_key: String,
    pub department: String,
    pub version: i64,
    pub supersedes: Option<i64>,
    pub superseded_by: Option<i64>,
    pub issued_at: DateTime<Utc>,
    pub valid_until: Option<NaiveDate>,
    pub revoked_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordStatus {
    Current,
    Superseded,
    Revoked,
    Expired,
}

impl RecordStatus {
    pub fn code(self) -> &'static str {
        match self {
            RecordStatus::Current => "current",
            RecordStatus::Superseded => "superseded",
            RecordStatus::Revoked => "revoked",
            RecordStatus::Expired => "expired",
        }
    }
    pub fn name_zh(self) -> &'static str {
        match self {
            RecordStatus::Current => "有效",
            RecordStatus::Superseded => "已更正（有新版本）",
            RecordStatus::Revoked => "已撤销",
            RecordStatus::Expired => "已过期",
        }
    }
}

impl RecordMeta {
    /// The status on `today` (China date). Revocation wins over supersession, which wins over
    /// expiry.
    pub fn status(&self, today: NaiveDate) -> RecordStatus {
        if self.revoked_at.is_some() {
            RecordStatus::Revoked
        } else if self.superseded_by.is_some() {
            RecordStatus::Superseded
        } else if self.valid_until.is_some_and(|d| d < today) {
            RecordStatus::Expired
        } else {
            RecordStatus::Current
        }
    }

    /// Whether `department` may correct this version now: only the publishing department, only
    /// the current version, never a revoked one.
    pub fn check_correctable(&self, department: &str) -> Result<(), PoolError> {
        if self.revoked_at.is_some() {
            return Err(PoolError::Revoked);
        }
        if self.superseded_by.is_some() {
            return Err(PoolError::Superseded);
        }
        if self.department != department {
            return Err(PoolError::field("department", "only the publishing department may correct or revoke a record", "只有发布部门可以更正或撤销"));
        }
        Ok(())
    }

    /// The next version after a correction published at `now`.
    pub fn corrected(&self, new_id: i64, now: DateTime<Utc>, valid_until: Option<NaiveDate>) -> RecordMeta {
        RecordMeta {
            id: new_id,
            record_type: self.record_type.clone(),
            subject_key: self.subject_key.clone(),
            department: self.department.clone(),
            version: self.version + 1,
            supersedes: Some(self.id),
            superseded_by: None,
            issued_at: now,
            valid_until: valid_until.or(self.valid_until),
            revoked_at: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta() -> RecordMeta {
        RecordMeta {
            id: 1,
            record_type: "marriage_registration".into(),
            subject_key: "A".into(),
            department: "mzj".into(),
            version: 1,
            supersedes: None,
            superseded_by: None,
            issued_at: Utc::now(),
            valid_until: NaiveDate::from_ymd_opt(2026, 12, 31),
            revoked_at: None,
        }
    }

    #[test]
    fn corrections_make_versions_and_revocation_wins() {
        let today = NaiveDate::from_ymd_opt(2026, 3, 2).expect("date");
        let m = meta();
        assert_eq!(m.status(today), RecordStatus::Current);
        assert!(m.check_correctable("ga").is_err(), "another department");
        m.check_correctable("mzj").expect("correctable");
        let v2 = m.corrected(2, Utc::now(), None);
        assert_eq!((v2.version, v2.supersedes, v2.valid_until), (2, Some(1), m.valid_until));
        let old = RecordMeta { superseded_by: Some(2), ..m.clone() };
        assert_eq!(old.status(today), RecordStatus::Superseded);
        assert_eq!(old.check_correctable("mzj"), Err(PoolError::Superseded));
        let revoked = RecordMeta { revoked_at: Some(Utc::now()), ..old };
        assert_eq!(revoked.status(today), RecordStatus::Revoked);
        let later = NaiveDate::from_ymd_opt(2027, 1, 1).expect("date");
        assert_eq!(m.status(later), RecordStatus::Expired);
    }
}
