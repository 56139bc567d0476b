//! The shared data pool's tables: record versions (publish, correct, revoke), consents, signed
//! credentials (e-certificates and rider codes), estates, riders, institutions, and the facts a
//! lawfulness check needs (a case's department and applicant, a filing's applicant).

use crate::handles::*;
use chrono::{DateTime, NaiveDate, Utc};
use domain::{ApplicationId, CaseId, RecordId};
use pool::{Consent, GranteeKind};
use serde::Serialize;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::codec::{self, Value};
use crate::queries::records::{RECORD_COLUMNS, SharedRecord, record_values};
use crate::queries::{Conditions, Page, given};
use crate::writer::insert_rows;
use crate::{Cols, Result, StoreError};

/// A shared record with its version fields.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PoolRecord {
    #[serde(flatten)]
    pub record: SharedRecord,
    pub version: i64,
    pub supersedes: Option<RecordId>,
    pub superseded_by: Option<RecordId>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub revoked_reason: Option<String>,
}

impl PoolRecord {
    pub fn meta(&self) -> pool::RecordMeta {
        pool::RecordMeta {
            id: self.record.id.0,
            record_type: self.record.record_type.clone(),
            subject_key: self.record.subject_key.clone(),
            department: self.record.department.clone(),
            version: self.version,
            supersedes: self.supersedes.map(|r| r.0),
            superseded_by: self.superseded_by.map(|r| r.0),
            issued_at: self.record.issued_at,
            valid_until: self.record.valid_until,
            revoked_at: self.revoked_at,
        }
    }
}

fn pool_record(r: &dyn Cols) -> Result<PoolRecord> {
    let data = r.text("data")?;
    Ok(PoolRecord {
        record: SharedRecord {
            id: RecordId(r.int("id")?),
            record_type: r.text("record_type")?,
            subject_kind: r.text("subject_kind")?,
            subject_key: r.text("subject_key")?,
            department: r.text("department")?,
            issued_at: codec::parse_ts(&r.text("issued_at")?)?,
            valid_until: codec::parse_date_opt(r.text_opt("valid_until")?)?,
            application: r.int_opt("application_id")?.map(ApplicationId),
            case: r.int_opt("case_id")?.map(CaseId),
            data: serde_json::from_str(&data).map_err(|e| StoreError::Corrupt(format!("record data: {e}")))?,
        },
        version: r.int("version")?,
        supersedes: r.int_opt("supersedes")?.map(RecordId),
        superseded_by: r.int_opt("superseded_by")?.map(RecordId),
        revoked_at: codec::parse_ts_opt(r.text_opt("revoked_at")?)?,
        revoked_reason: r.text_opt("revoked_reason")?,
    })
}

fn with_version(r: &SharedRecord, version: i64, supersedes: Option<RecordId>, by: Option<i64>) -> Vec<Value> {
    let mut v = record_values(r);
    v.push(Value::I(version));
    v.push(Value::OptI(supersedes.map(|s| s.0)));
    v.push(Value::OptI(by));
    v
}

fn record_columns_versioned() -> Vec<&'static str> {
    let mut c = RECORD_COLUMNS.to_vec();
    c.extend(["version", "supersedes", "published_by"]);
    c
}

/// A consent row.
fn consent_from_row(r: &dyn Cols) -> Result<Consent> {
    consent_named(r, "")
}

/// A consent from the row's columns named `prefix` + the table's column names.
fn consent_named(r: &dyn Cols, prefix: &str) -> Result<Consent> {
    let col = |name: &str| format!("{prefix}{name}");
    let kind = r.text(&col("grantee_kind"))?;
    let types = r.text(&col("record_types"))?;
    Ok(Consent {
        id: r.int(&col("id"))?,
        subject_key: r.text(&col("subject_key"))?,
        grantee_kind: if kind == "account" { GranteeKind::Account } else { GranteeKind::Org },
        grantee: r.text(&col("grantee"))?,
        record_types: types.split(',').filter(|s| !s.is_empty()).map(str::to_owned).collect(),
        purpose: r.text(&col("purpose"))?,
        granted_at: codec::parse_ts(&r.text(&col("granted_at"))?)?,
        valid_until: codec::parse_date(&r.text(&col("valid_until"))?)?,
        revoked_at: codec::parse_ts_opt(r.text_opt(&col("revoked_at"))?)?,
    })
}

/// A signed credential as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CredentialRow {
    pub id: i64,
    pub kind: String,
    pub record_id: Option<i64>,
    pub rider_id: Option<i64>,
    pub subject_key: String,
    pub issued_at: DateTime<Utc>,
    pub valid_until: Option<DateTime<Utc>>,
    pub key_id: String,
    pub payload: String,
    pub revoked_at: Option<DateTime<Utc>>,
    pub revoked_reason: Option<String>,
}

fn credential_from_row(r: &AnyRow) -> Result<CredentialRow> {
    Ok(CredentialRow {
        id: r.try_get("id")?,
        kind: r.try_get("kind")?,
        record_id: r.try_get("record_id")?,
        rider_id: r.try_get("rider_id")?,
        subject_key: r.try_get("subject_key")?,
        issued_at: codec::parse_ts(&r.try_get::<String, _>("issued_at")?)?,
        valid_until: codec::parse_ts_opt(r.try_get("valid_until")?)?,
        key_id: r.try_get("key_id")?,
        payload: r.try_get("payload")?,
        revoked_at: codec::parse_ts_opt(r.try_get("revoked_at")?)?,
        revoked_reason: r.try_get("revoked_reason")?,
    })
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Estate {
    pub code: String,
    pub name: String,
    pub division: String,
    pub property_company: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Rider {
    pub id: i64,
    pub person_key: String,
    pub name: String,
    pub phone: Option<String>,
    pub platform: String,
    pub estates: Vec<String>,
    pub valid_from: DateTime<Utc>,
    pub valid_until: DateTime<Utc>,
    pub status: String,
    pub created_by: Option<i64>,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

fn rider_from_row(r: &AnyRow) -> Result<Rider> {
    let estates: String = r.try_get("estates")?;
    Ok(Rider {
        id: r.try_get("id")?,
        person_key: r.try_get("person_key")?,
        name: r.try_get("name")?,
        phone: r.try_get("phone")?,
        platform: r.try_get("platform")?,
        estates: estates.split(',').filter(|s| !s.is_empty()).map(str::to_owned).collect(),
        valid_from: codec::parse_ts(&r.try_get::<String, _>("valid_from")?)?,
        valid_until: codec::parse_ts(&r.try_get::<String, _>("valid_until")?)?,
        status: r.try_get("status")?,
        created_by: r.try_get("created_by")?,
        created_at: codec::parse_ts(&r.try_get::<String, _>("created_at")?)?,
        revoked_at: codec::parse_ts_opt(r.try_get("revoked_at")?)?,
    })
}

const RIDER_COLUMNS: &[&str] =
    &["id", "person_key", "name", "phone", "platform", "estates", "valid_from", "valid_until", "status", "created_by", "created_at"];

fn rider_values(r: &Rider) -> Vec<Value> {
    vec![
        Value::I(r.id),
        Value::S(r.person_key.clone()),
        Value::S(r.name.clone()),
        Value::OptS(r.phone.clone()),
        Value::S(r.platform.clone()),
        Value::S(r.estates.join(",")),
        Value::S(codec::ts(r.valid_from)),
        Value::S(codec::ts(r.valid_until)),
        Value::S(r.status.clone()),
        Value::OptI(r.created_by),
        Value::S(codec::ts(r.created_at)),
    ]
}

const CREDENTIAL_COLUMNS: &[&str] = &["id", "kind", "record_id", "rider_id", "subject_key", "issued_at", "valid_until", "key_id", "payload"];

fn credential_values(c: &CredentialRow) -> Vec<Value> {
    vec![
        Value::I(c.id),
        Value::S(c.kind.clone()),
        Value::OptI(c.record_id),
        Value::OptI(c.rider_id),
        Value::S(c.subject_key.clone()),
        Value::S(codec::ts(c.issued_at)),
        Value::OptS(codec::ts_opt(c.valid_until)),
        Value::S(c.key_id.clone()),
        Value::S(c.payload.clone()),
    ]
}

/// What a lawfulness check knows about a case: its department, its application's applicant, and
/// whether it is still being handled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseFacts {
    pub department: String,
    pub applicant_key: String,
    pub open: bool,
}

/// A filing whose shared-data look-ups are still to be logged.
#[derive(Debug, Clone, PartialEq)]
pub struct FilingReads {
    pub application: ApplicationId,
    pub applicant_key: String,
    pub submitted_by: i64,
    pub submitted_at: DateTime<Utc>,
    /// The shared records its materials were filled from: (record id, record type).
    pub records: Vec<(i64, String)>,
}

impl PoolQueries<'_> {
    // ---- records

    /// One version of a record with its version fields.
    pub async fn pool_record(self, id: RecordId) -> Result<Option<PoolRecord>> {
        self.lookup_one("SELECT * FROM shared_record WHERE id = $1", &[Value::I(id.0)], pool_record).await
    }

    /// A record version and the consent a read of it names, in one query (one round trip): the
    /// consent is `None` if there is no such consent, and both are `None` without the record.
    pub async fn pool_record_and_consent(self, id: RecordId, consent: i64) -> Result<Option<(PoolRecord, Option<Consent>)>> {
        self.lookup_one(
            "SELECT r.*, c.id AS c_id, c.subject_key AS c_subject_key, c.grantee_kind AS c_grantee_kind, c.grantee AS c_grantee, \
             c.record_types AS c_record_types, c.purpose AS c_purpose, c.granted_at AS c_granted_at, c.valid_until AS c_valid_until, \
             c.revoked_at AS c_revoked_at FROM shared_record r LEFT JOIN record_consent c ON c.id = $2 WHERE r.id = $1",
            &[Value::I(id.0), Value::I(consent)],
            |r| {
                let found = r.int_opt("c_id")?.is_some();
                Ok((pool_record(r)?, if found { Some(consent_named(r, "c_")?) } else { None }))
            },
        )
        .await
    }

    /// The records about a subject: current versions only, or every version with `history`.
    pub async fn pool_records_of(self, subject_key: &str, history: bool) -> Result<Vec<PoolRecord>> {
        let sql = if history {
            "SELECT * FROM shared_record WHERE subject_key = $1 ORDER BY record_type, version DESC, id DESC"
        } else {
            "SELECT * FROM shared_record WHERE subject_key = $1 AND superseded_by IS NULL AND revoked_at IS NULL ORDER BY issued_at DESC, id DESC"
        };
        self.lookup(sql, &[Value::S(subject_key.to_owned())], pool_record).await
    }

    /// Publishes new records (version 1) in one transaction.
    pub async fn publish_records(self, records: &[SharedRecord], by: Option<i64>) -> Result<()> {
        let rows: Vec<Vec<Value>> = records.iter().map(|r| with_version(r, 1, None, by)).collect();
        self.insert_all("shared_record", &record_columns_versioned(), &rows, "").await?;
        Ok(())
    }

    /// Publishes a correction: the new version, the old one's `superseded_by`, and the revocation
    /// of the old one's live e-certificates (`at`, `reason`), in one transaction — a certificate
    /// never outlives its record's correction, whatever fails on the way. A concurrent correction
    /// or revocation of the old version is a `Conflict`.
    pub async fn correct_record(self, old: RecordId, new: &SharedRecord, version: i64, by: Option<i64>, at: DateTime<Utc>, reason: &str) -> Result<()> {
        let mut tx = self.write_pool().begin().await?;
        let n = sqlx::query("UPDATE shared_record SET superseded_by = $1 WHERE id = $2 AND superseded_by IS NULL AND revoked_at IS NULL")
            .bind(new.id.0)
            .bind(old.0)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if n != 1 {
            return Err(StoreError::Conflict);
        }
        insert_rows(&mut tx, "shared_record", &record_columns_versioned(), &[with_version(new, version, Some(old), by)], "").await?;
        revoke_certificates_of(&mut tx, old, at, reason).await?;
        tx.commit().await?;
        self.flushed(()).await
    }

    /// Revokes a version (and the certificates issued for it); `false` if it was already revoked.
    pub async fn revoke_record(self, id: RecordId, at: DateTime<Utc>, reason: &str) -> Result<bool> {
        let mut tx = self.write_pool().begin().await?;
        let n = sqlx::query("UPDATE shared_record SET revoked_at = $1, revoked_reason = $2 WHERE id = $3 AND revoked_at IS NULL")
            .bind(codec::ts(at))
            .bind(reason)
            .bind(id.0)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        revoke_certificates_of(&mut tx, id, at, reason).await?;
        tx.commit().await?;
        self.flushed(n == 1).await
    }

    /// The department, applicant and openness of a case.
    pub async fn case_facts(self, case: CaseId) -> Result<Option<CaseFacts>> {
        self.lookup_one(
            "SELECT c.department, c.status, a.applicant_key FROM item_case c JOIN application a ON a.id = c.application_id WHERE c.id = $1",
            &[Value::I(case.0)],
            |r| {
                let status = r.text("status")?;
                Ok(CaseFacts { department: r.text("department")?, applicant_key: r.text("applicant_key")?, open: matches!(status.as_str(), "active" | "paused" | "waiting") })
            },
        )
        .await
    }

    /// The applicant of a filing, the account that submitted it and the departments with a case of it.
    pub async fn filing_facts(self, app: ApplicationId) -> Result<Option<pool::FilingFacts>> {
        let Some(mut f) = self
            .lookup_one("SELECT applicant_key, applicant_account, submitted_by FROM application WHERE id = $1", &[Value::I(app.0)], |r| {
                Ok(pool::FilingFacts {
                    applicant: r.text("applicant_key")?,
                    applicant_account: r.int("applicant_account")?,
                    submitted_by: r.int("submitted_by")?,
                    departments: Vec::new(),
                })
            })
            .await?
        else {
            return Ok(None);
        };
        f.departments = self.lookup("SELECT department FROM item_case WHERE application_id = $1", &[Value::I(app.0)], |r| r.text("department")).await?;
        f.departments.sort();
        f.departments.dedup();
        Ok(Some(f))
    }

    /// Filings not yet logged as reads of the pool, oldest first, with the shared records their
    /// materials were filled from.
    pub async fn unlogged_filings(self, limit: i64) -> Result<Vec<FilingReads>> {
        let rows = sqlx::query(
            "SELECT a.id, a.applicant_key, a.submitted_by, a.submitted_at, d.materials FROM pool_filing_pending p
             JOIN application a ON a.id = p.application_id
             JOIN application_doc d ON d.application_id = a.id
             ORDER BY p.application_id LIMIT $1",
        )
        .bind(limit)
        .fetch_all(self.read_pool())
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let materials: String = r.try_get("materials")?;
            let entries: Vec<onething::MaterialEntry> = serde_json::from_str(&materials).unwrap_or_default();
            let records = entries
                .iter()
                .filter_map(|m| match &m.source {
                    onething::MaterialSource::Shared { record_id, record_type, .. } => Some((record_id.0, record_type.clone())),
                    _ => None,
                })
                .collect();
            out.push(FilingReads {
                application: ApplicationId(r.try_get("id")?),
                applicant_key: r.try_get("applicant_key")?,
                submitted_by: r.try_get("submitted_by")?,
                submitted_at: codec::parse_ts(&r.try_get::<String, _>("submitted_at")?)?,
                records,
            });
        }
        Ok(out)
    }

    /// Marks filings as logged: takes them off the queue, through the writer.
    pub async fn mark_filings_logged(self, apps: &[ApplicationId]) -> Result<()> {
        if apps.is_empty() {
            return Ok(());
        }
        self.run(FilingsLogged(apps.to_vec())).await
    }

    // ---- consents

    pub async fn insert_consents(self, consents: &[Consent]) -> Result<()> {
        let rows: Vec<Vec<Value>> = consents
            .iter()
            .map(|c| {
                vec![
                    Value::I(c.id),
                    Value::S(c.subject_key.clone()),
                    Value::S(match c.grantee_kind {
                        GranteeKind::Account => "account".into(),
                        GranteeKind::Org => "org".into(),
                    }),
                    Value::S(c.grantee.clone()),
                    Value::S(c.record_types.join(",")),
                    Value::S(c.purpose.clone()),
                    Value::S(codec::ts(c.granted_at)),
                    Value::S(codec::date(c.valid_until)),
                ]
            })
            .collect();
        self.insert_all("record_consent", &["id", "subject_key", "grantee_kind", "grantee", "record_types", "purpose", "granted_at", "valid_until"], &rows, "").await?;
        Ok(())
    }

    pub async fn consent(self, id: i64) -> Result<Option<Consent>> {
        self.lookup_one("SELECT * FROM record_consent WHERE id = $1", &[Value::I(id)], consent_from_row).await
    }

    pub async fn consents_of(self, subject_key: &str) -> Result<Vec<Consent>> {
        self.lookup("SELECT * FROM record_consent WHERE subject_key = $1 ORDER BY granted_at DESC, id DESC", &[Value::S(subject_key.to_owned())], consent_from_row).await
    }

    /// Whether `subject_key` has an active consent for `grantee` (an org code) covering
    /// `record_type` on `today`.
    pub async fn has_org_consent(self, subject_key: &str, grantee: &str, record_type: &str, today: NaiveDate) -> Result<bool> {
        let consents = self
            .lookup(
                "SELECT * FROM record_consent WHERE grantee = $1 AND subject_key = $2 AND grantee_kind = 'org' AND revoked_at IS NULL AND valid_until >= $3",
                &[Value::S(grantee.to_owned()), Value::S(subject_key.to_owned()), Value::S(codec::date(today))],
                consent_from_row,
            )
            .await?;
        Ok(consents.iter().any(|c| c.covers(record_type)))
    }

    /// Withdraws a consent of `subject_key`; `false` if there is no such active consent.
    pub async fn revoke_consent(self, id: i64, subject_key: &str, at: DateTime<Utc>) -> Result<bool> {
        let n = sqlx::query("UPDATE record_consent SET revoked_at = $1 WHERE id = $2 AND subject_key = $3 AND revoked_at IS NULL")
            .bind(codec::ts(at))
            .bind(id)
            .bind(subject_key)
            .execute(self.write_pool())
            .await?
            .rows_affected();
        self.flushed(n == 1).await
    }

    // ---- credentials

    pub async fn insert_credentials(self, list: &[CredentialRow]) -> Result<()> {
        let rows: Vec<Vec<Value>> = list.iter().map(credential_values).collect();
        self.insert_all("credential", CREDENTIAL_COLUMNS, &rows, "").await?;
        Ok(())
    }

    pub async fn credential(self, id: i64) -> Result<Option<CredentialRow>> {
        let row = sqlx::query("SELECT * FROM credential WHERE id = $1").bind(id).fetch_optional(self.read_pool()).await?;
        row.as_ref().map(credential_from_row).transpose()
    }

    /// The live certificate of a record version, if one was issued.
    pub async fn certificate_of_record(self, record: RecordId) -> Result<Option<CredentialRow>> {
        let row = sqlx::query("SELECT * FROM credential WHERE record_id = $1 AND revoked_at IS NULL ORDER BY id DESC LIMIT 1")
            .bind(record.0)
            .fetch_optional(self.read_pool())
            .await?;
        row.as_ref().map(credential_from_row).transpose()
    }

    /// The live rider code of a rider, if any.
    pub async fn credential_of_rider(self, rider: i64) -> Result<Option<CredentialRow>> {
        let row = sqlx::query("SELECT * FROM credential WHERE rider_id = $1 AND revoked_at IS NULL ORDER BY id DESC LIMIT 1")
            .bind(rider)
            .fetch_optional(self.read_pool())
            .await?;
        row.as_ref().map(credential_from_row).transpose()
    }

    /// Ids of revoked credentials (the list gates synchronise), revoked at or after `since`.
    pub async fn revoked_credentials(self, since: Option<DateTime<Utc>>) -> Result<Vec<(i64, DateTime<Utc>)>> {
        let rows = sqlx::query("SELECT id, revoked_at FROM credential WHERE revoked_at IS NOT NULL AND revoked_at >= $1 ORDER BY revoked_at, id")
            .bind(since.map(codec::ts).unwrap_or_default())
            .fetch_all(self.read_pool())
            .await?;
        rows.iter().map(|r| Ok((r.try_get("id")?, codec::parse_ts(&r.try_get::<String, _>("revoked_at")?)?))).collect()
    }

    // ---- estates and riders

    pub async fn insert_estates(self, list: &[Estate]) -> Result<()> {
        let rows: Vec<Vec<Value>> = list
            .iter()
            .map(|e| vec![Value::S(e.code.clone()), Value::S(e.name.clone()), Value::S(e.division.clone()), Value::S(e.property_company.clone())])
            .collect();
        self.insert_all("estate", &["code", "name", "division", "property_company"], &rows, "").await?;
        Ok(())
    }

    pub async fn estates(self) -> Result<Vec<Estate>> {
        let rows = sqlx::query("SELECT * FROM estate ORDER BY code").fetch_all(self.read_pool()).await?;
        rows.iter()
            .map(|r| {
                Ok(Estate {
                    code: r.try_get("code")?,
                    name: r.try_get("name")?,
                    division: r.try_get("division")?,
                    property_company: r.try_get("property_company")?,
                })
            })
            .collect()
    }

    /// Registers riders with their first rider codes, in one transaction.
    pub async fn insert_riders(self, riders: &[Rider], credentials: &[CredentialRow]) -> Result<()> {
        let rows: Vec<Vec<Value>> = riders.iter().map(rider_values).collect();
        let creds: Vec<Vec<Value>> = credentials.iter().map(credential_values).collect();
        let mut tx = self.write_pool().begin().await?;
        insert_rows(&mut tx, "rider", RIDER_COLUMNS, &rows, "").await?;
        if !creds.is_empty() {
            insert_rows(&mut tx, "credential", CREDENTIAL_COLUMNS, &creds, "").await?;
        }
        tx.commit().await?;
        self.flushed(()).await
    }

    pub async fn rider(self, id: i64) -> Result<Option<Rider>> {
        let row = sqlx::query("SELECT * FROM rider WHERE id = $1").bind(id).fetch_optional(self.read_pool()).await?;
        row.as_ref().map(rider_from_row).transpose()
    }

    /// Riders of a platform (all platforms with `None`), newest first.
    pub async fn riders(self, platform: Option<&str>, limit: i64, offset: i64) -> Result<Vec<Rider>> {
        let mut w = Conditions::default();
        if let Some(p) = given(platform) {
            w.equals("platform", Value::S(p.to_owned()));
        }
        let sql = format!("SELECT * FROM rider {} ORDER BY created_at DESC, id DESC {}", w.clause(), w.page(Page::new(limit, offset)));
        let rows = self.rows(sql, &w).await?;
        rows.iter().map(rider_from_row).collect()
    }

    /// Active riders of a person.
    pub async fn riders_of_person(self, person_key: &str) -> Result<Vec<Rider>> {
        let rows = sqlx::query("SELECT * FROM rider WHERE person_key = $1 ORDER BY created_at DESC").bind(person_key).fetch_all(self.read_pool()).await?;
        rows.iter().map(rider_from_row).collect()
    }

    /// Riders per platform and status: (platform, status, count).
    pub async fn rider_counts(self) -> Result<Vec<(String, String, i64)>> {
        let rows = sqlx::query("SELECT platform, status, COUNT(*) AS n FROM rider GROUP BY platform, status ORDER BY platform, status")
            .fetch_all(self.read_pool())
            .await?;
        rows.iter().map(|r| Ok((r.try_get("platform")?, r.try_get("status")?, r.try_get("n")?))).collect()
    }

    /// Revokes a rider and their rider codes; `false` if already revoked.
    pub async fn revoke_rider(self, id: i64, at: DateTime<Utc>, reason: &str) -> Result<bool> {
        let mut tx = self.write_pool().begin().await?;
        let n = sqlx::query("UPDATE rider SET status = 'revoked', revoked_at = $1 WHERE id = $2 AND status IN ('active', 'pending')")
            .bind(codec::ts(at))
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        sqlx::query("UPDATE credential SET revoked_at = $1, revoked_reason = $2 WHERE rider_id = $3 AND revoked_at IS NULL")
            .bind(codec::ts(at))
            .bind(reason)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        self.flushed(n == 1).await
    }

    /// The person `person_key` confirms a platform's registration of them as its rider: the rider
    /// becomes active and its code (`credential`) is stored, in one transaction. `false` if the
    /// rider is not theirs or not pending.
    pub async fn confirm_rider(self, id: i64, person_key: &str, credential: &CredentialRow) -> Result<bool> {
        let mut tx = self.write_pool().begin().await?;
        let n = sqlx::query("UPDATE rider SET status = 'active' WHERE id = $1 AND person_key = $2 AND status = 'pending'")
            .bind(id)
            .bind(person_key)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if n == 1 {
            insert_rows(&mut tx, "credential", CREDENTIAL_COLUMNS, &[credential_values(credential)], "").await?;
            tx.commit().await?;
        } else {
            tx.rollback().await?;
        }
        self.flushed(n == 1).await
    }

    /// The person declines a platform's pending registration of them. `false` if the rider is
    /// not theirs or not pending.
    pub async fn decline_rider(self, id: i64, person_key: &str, at: DateTime<Utc>) -> Result<bool> {
        let n = sqlx::query("UPDATE rider SET status = 'declined', revoked_at = $1 WHERE id = $2 AND person_key = $3 AND status = 'pending'")
            .bind(codec::ts(at))
            .bind(id)
            .bind(person_key)
            .execute(self.write_pool())
            .await?
            .rows_affected();
        self.flushed(n == 1).await
    }

    // ---- institutions

    /// Registers institutions, leaving existing ones as they are.
    pub async fn upsert_institutions(self, list: &[pool::Institution]) -> Result<()> {
        let rows: Vec<Vec<Value>> = list
            .iter()
            .map(|i| {
                vec![
                    Value::S(i.code.clone()),
                    Value::S(i.name.clone()),
                    Value::S(i.level.code().into()),
                    Value::S(i.kind.clone()),
                    Value::S(i.division.clone()),
                    Value::S(i.hr_items.join(",")),
                ]
            })
            .collect();
        self.insert_all("institution", &["code", "name", "level", "kind", "division", "hr_items"], &rows, "ON CONFLICT (code) DO NOTHING").await?;
        Ok(())
    }

    /// Counts of the pool: (current records, consents, access-log entries, credentials, riders,
    /// FHIR resources).
    pub async fn pool_counts(self) -> Result<[i64; 6]> {
        let r = sqlx::query(
            "SELECT (SELECT COUNT(*) FROM shared_record WHERE superseded_by IS NULL AND revoked_at IS NULL) AS a,
                    (SELECT COUNT(*) FROM record_consent) AS b, (SELECT COUNT(*) FROM access_log) AS c,
                    (SELECT COUNT(*) FROM credential) AS d, (SELECT COUNT(*) FROM rider) AS e,
                    (SELECT COUNT(*) FROM fhir_resource) AS f",
        )
        .fetch_one(self.read_pool())
        .await?;
        Ok([r.try_get("a")?, r.try_get("b")?, r.try_get("c")?, r.try_get("d")?, r.try_get("e")?, r.try_get("f")?])
    }
}

impl PoolQueries<'_> {
    /// Accounts of the active riders of a platform (every platform with `None`).
    pub async fn rider_accounts(self, platform: Option<&str>) -> Result<Vec<i64>> {
        let mut w = Conditions::default();
        w.and("r.status = 'active'".to_owned());
        if let Some(p) = given(platform) {
            w.equals("r.platform", Value::S(p.to_owned()));
        }
        let sql = format!(
            "SELECT a.id FROM account a
             WHERE a.person_id IN (SELECT p.id FROM rider r JOIN person p ON p.id_number = r.person_key {})
             ORDER BY a.id",
            w.clause()
        );
        self.rows(sql, &w).await?.iter().map(|r| Ok(r.try_get("id")?)).collect()
    }

    /// Queues notices that belong to no application (welfare and policy notices to riders) in
    /// the outbox: (id, recipient, kind, text_zh, text_en).
    pub async fn queue_plain_notices(self, notices: &[(i64, String, String, String, String)], now: DateTime<Utc>) -> Result<()> {
        let at = codec::ts(now);
        let rows: Vec<Vec<Value>> = notices.iter().map(|n| plain_notice_values(n, &at)).collect();
        self.insert_all("notice", PLAIN_NOTICE_COLUMNS, &rows, "").await?;
        Ok(())
    }
}

/// Revokes the live e-certificates of a record version, inside the transaction that voids it.
async fn revoke_certificates_of(tx: &mut sqlx::Transaction<'_, sqlx::Any>, record: RecordId, at: DateTime<Utc>, reason: &str) -> Result<()> {
    sqlx::query("UPDATE credential SET revoked_at = $1, revoked_reason = $2 WHERE record_id = $3 AND revoked_at IS NULL")
        .bind(codec::ts(at))
        .bind(reason)
        .bind(record.0)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// The columns of [`plain_notice_values`].
pub(crate) const PLAIN_NOTICE_COLUMNS: &[&str] =
    &["id", "recipient", "kind", "application_id", "case_id", "text_zh", "text_en", "created_at", "status", "attempts", "next_attempt_at"];

/// The row of a notice that belongs to no application, pending from `at`.
pub(crate) fn plain_notice_values((id, to, kind, zh, en): &(i64, String, String, String, String), at: &str) -> Vec<Value> {
    vec![
        Value::I(*id),
        Value::S(to.clone()),
        Value::S(kind.clone()),
        Value::I(0),
        Value::OptI(None),
        Value::S(zh.clone()),
        Value::S(en.clone()),
        Value::S(at.to_owned()),
        Value::S("pending".into()),
        Value::I(0),
        Value::S(at.to_owned()),
    ]
}

impl PoolQueries<'_> {
    /// Persons of the register in id order, a page at a time (demo seeding).
    pub async fn persons_page(self, offset: i64, limit: i64) -> Result<Vec<crate::Person>> {
        let rows = sqlx::query("SELECT id, id_number, name, sex, birth_date, division, phone, household, relation FROM person ORDER BY id LIMIT $1 OFFSET $2")
            .bind(limit)
            .bind(offset)
            .fetch_all(self.read_pool())
            .await?;
        rows.iter()
            .map(|r| {
                Ok(crate::Person {
                    id: domain::PersonId(r.try_get("id")?),
                    id_number: r.try_get("id_number")?,
                    name: r.try_get("name")?,
                    sex: r.try_get("sex")?,
                    birth_date: codec::parse_date(&r.try_get::<String, _>("birth_date")?)?,
                    division: r.try_get("division")?,
                    phone: r.try_get("phone")?,
                    household: domain::HouseholdId(r.try_get("household")?),
                    relation: r.try_get("relation")?,
                })
            })
            .collect()
    }
}

/// Takes filings off the queue of those whose look-ups are still to be logged, as a job of the
/// writer.
struct FilingsLogged(Vec<ApplicationId>);

impl crate::Job for FilingsLogged {
    type Output = ();
    fn route(&self) -> u64 {
        0
    }
    fn run(&mut self, uow: &mut crate::UnitOfWork) {
        uow.filings_logged(&self.0);
    }
}
