//! Shared records (数据同池) about persons and enterprises, and the applicants' uploaded files.

use crate::handles::*;
use chrono::{DateTime, NaiveDate, Utc};
use domain::{AccountId, ApplicationId, CaseId, RecordId, UploadId};
use onething::SharedRecordRef;
use serde::Serialize;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::codec::{self, Value};
use crate::{Cols, Result};

pub const RECORD_COLUMNS: &[&str] = &[
    "id", "record_type", "subject_kind", "subject_key", "department", "issued_at", "valid_until",
    "application_id", "case_id", "data",
];

/// A record's values in the order of [`RECORD_COLUMNS`].
pub(crate) fn record_values(r: &SharedRecord) -> Vec<Value> {
    vec![
        Value::I(r.id.0),
        Value::S(r.record_type.clone()),
        Value::S(r.subject_kind.clone()),
        Value::S(r.subject_key.clone()),
        Value::S(r.department.clone()),
        Value::S(codec::ts(r.issued_at)),
        Value::OptS(codec::date_opt(r.valid_until)),
        Value::OptI(r.application.map(|a| a.0)),
        Value::OptI(r.case.map(|c| c.0)),
        Value::S(r.data.to_string()),
    ]
}

/// A shared record with its content.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SharedRecord {
    pub id: RecordId,
    pub record_type: String,
    pub subject_kind: String,
    pub subject_key: String,
    pub department: String,
    pub issued_at: DateTime<Utc>,
    pub valid_until: Option<NaiveDate>,
    pub application: Option<ApplicationId>,
    pub case: Option<CaseId>,
    pub data: serde_json::Value,
}

fn record_from_row(r: &AnyRow) -> Result<SharedRecord> {
    let data: String = r.try_get("data")?;
    Ok(SharedRecord {
        id: RecordId(r.try_get("id")?),
        record_type: r.try_get("record_type")?,
        subject_kind: r.try_get("subject_kind")?,
        subject_key: r.try_get("subject_key")?,
        department: r.try_get("department")?,
        issued_at: codec::parse_ts(&r.try_get::<String, _>("issued_at")?)?,
        valid_until: codec::parse_date_opt(r.try_get("valid_until")?)?,
        application: r.try_get::<Option<i64>, _>("application_id")?.map(ApplicationId),
        case: r.try_get::<Option<i64>, _>("case_id")?.map(CaseId),
        data: serde_json::from_str(&data).unwrap_or(serde_json::Value::Null),
    })
}

/// An uploaded file's metadata (the bytes live in the upload directory, named by their SHA-256).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Upload {
    pub id: UploadId,
    pub account: AccountId,
    pub sha256: String,
    pub size: i64,
    pub content_type: String,
    pub file_name: String,
    pub created_at: DateTime<Utc>,
}

fn upload_from_row(r: &dyn Cols) -> Result<Upload> {
    Ok(Upload {
        id: UploadId(r.int("id")?),
        account: AccountId(r.int("account_id")?),
        sha256: r.text("sha256")?,
        size: r.int("size")?,
        content_type: r.text("content_type")?,
        file_name: r.text("file_name")?,
        created_at: codec::parse_ts(&r.text("created_at")?)?,
    })
}

impl OnethingQueries<'_> {
    /// The records held about a subject (by ID number or credit code), newest first: current
    /// versions only — a corrected record is filled in by its latest version, a revoked one not
    /// at all (migration 0002). A point look-up (see `lookup`): every filing asks it.
    pub async fn records_of(self, subject_key: &str) -> Result<Vec<SharedRecordRef>> {
        self.lookup(
            "SELECT id, record_type, department, issued_at, valid_until FROM shared_record
             WHERE subject_key = $1 AND superseded_by IS NULL AND revoked_at IS NULL ORDER BY issued_at DESC, id DESC",
            &[Value::S(subject_key.to_owned())],
            |r| {
                Ok(SharedRecordRef {
                    id: RecordId(r.int("id")?),
                    record_type: r.text("record_type")?,
                    department: r.text("department")?,
                    issued_at: codec::parse_ts(&r.text("issued_at")?)?,
                    valid_until: codec::parse_date_opt(r.text_opt("valid_until")?)?,
                })
            },
        )
        .await
    }

    pub async fn record(self, id: RecordId) -> Result<Option<SharedRecord>> {
        let row = sqlx::query("SELECT * FROM shared_record WHERE id = $1").bind(id.0).fetch_optional(self.read_pool()).await?;
        row.as_ref().map(record_from_row).transpose()
    }

    /// Full records of a subject, newest first.
    pub async fn records_full(self, subject_key: &str) -> Result<Vec<SharedRecord>> {
        let rows = sqlx::query("SELECT * FROM shared_record WHERE subject_key = $1 ORDER BY issued_at DESC, id DESC")
            .bind(subject_key)
            .fetch_all(self.read_pool())
            .await?;
        rows.iter().map(record_from_row).collect()
    }

    /// Publishes records in bulk (the demo district's registers).
    pub async fn insert_records(self, records: &[SharedRecord]) -> Result<()> {
        let rows: Vec<Vec<Value>> = records.iter().map(record_values).collect();
        self.insert_all("shared_record", RECORD_COLUMNS, &rows, "").await?;
        Ok(())
    }

    pub async fn insert_upload(self, u: &Upload) -> Result<()> {
        sqlx::query(
            "INSERT INTO upload (id, account_id, sha256, size, content_type, file_name, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(u.id.0)
        .bind(u.account.0)
        .bind(u.sha256.as_str())
        .bind(u.size)
        .bind(u.content_type.as_str())
        .bind(u.file_name.as_str())
        .bind(codec::ts(u.created_at))
        .execute(self.write_pool())
        .await?;
        self.flushed(()).await
    }

    /// Records many uploads at once (the demo district's simulated history).
    pub async fn insert_uploads(self, uploads: &[Upload]) -> Result<()> {
        let rows: Vec<Vec<Value>> = uploads
            .iter()
            .map(|u| {
                vec![
                    Value::I(u.id.0),
                    Value::I(u.account.0),
                    Value::S(u.sha256.clone()),
                    Value::I(u.size),
                    Value::S(u.content_type.clone()),
                    Value::S(u.file_name.clone()),
                    Value::S(codec::ts(u.created_at)),
                ]
            })
            .collect();
        self.insert_all("upload", &["id", "account_id", "sha256", "size", "content_type", "file_name", "created_at"], &rows, "").await?;
        Ok(())
    }

    /// The uploads among `ids` that exist (a point look-up for each distinct id: a filing names a
    /// few, often one for several materials).
    pub async fn uploads(self, ids: &[UploadId]) -> Result<Vec<Upload>> {
        let distinct: std::collections::BTreeSet<UploadId> = ids.iter().copied().collect();
        let mut found = Vec::with_capacity(distinct.len());
        for id in distinct {
            found.extend(self.upload(id).await?);
        }
        Ok(found)
    }

    pub async fn upload(self, id: UploadId) -> Result<Option<Upload>> {
        self.lookup_one("SELECT * FROM upload WHERE id = $1", &[Value::I(id.0)], upload_from_row).await
    }
}
