//! Medical insurance's queries: the hospitals of the bed-day and DRG payment scheme and their
//! applications, the in-patient episodes hospitals send, and each month's settlement.

use chrono::DateTime;
use chrono::NaiveDate;
use chrono::Utc;

use crate::Result;
use crate::codec;
use crate::codec::Value;
use crate::handles::MedinsQueries;
use crate::lookup::Cols;

/// `SELECT` of a hospital's columns with the rest of the statement.
macro_rules! hospital_select {
    ($rest:literal) => {
        concat!("SELECT code, name, level, membership, since, applied_at, applied_by, decided_at, decided_by, note, version FROM medins_hospital ", $rest)
    };
}

/// `SELECT` of an episode's columns with the rest of the statement.
macro_rules! episode_select {
    ($rest:literal) => {
        concat!("SELECT hospital, episode_id, patient_key, admitted, discharged, month, digest, data, source, received_at FROM medins_episode ", $rest)
    };
}

/// `SELECT` of a settlement's columns with the rest of the statement.
macro_rules! settlement_select {
    ($rest:literal) => {
        concat!("SELECT month, status, budget, digest, episodes_digest, episodes, data, frozen_at, frozen_by, approved_at, approved_by FROM medins_settlement ", $rest)
    };
}

/// A hospital of the scheme as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HospitalRow {
    pub code: String,
    pub name: String,
    /// `tertiary`, `secondary` or `primary`.
    pub level: String,
    /// `included`, `applied`, `approved`, `refused` or `not_in`.
    pub membership: String,
    pub since: Option<NaiveDate>,
    pub applied_at: Option<DateTime<Utc>>,
    pub applied_by: Option<i64>,
    pub decided_at: Option<DateTime<Utc>>,
    pub decided_by: Option<i64>,
    pub note: Option<String>,
    pub version: i64,
}

const HOSPITAL_COLUMNS: &[&str] =
    &["code", "name", "level", "membership", "since", "applied_at", "applied_by", "decided_at", "decided_by", "note", "version"];

fn hospital_row(r: &dyn Cols) -> Result<HospitalRow> {
    Ok(HospitalRow {
        code: r.text("code")?,
        name: r.text("name")?,
        level: r.text("level")?,
        membership: r.text("membership")?,
        since: codec::parse_date_opt(r.text_opt("since")?)?,
        applied_at: codec::parse_ts_opt(r.text_opt("applied_at")?)?,
        applied_by: r.int_opt("applied_by")?,
        decided_at: codec::parse_ts_opt(r.text_opt("decided_at")?)?,
        decided_by: r.int_opt("decided_by")?,
        note: r.text_opt("note")?,
        version: r.int("version")?,
    })
}

/// An in-patient episode as stored: its keys, dates and the episode itself as JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EpisodeRow {
    pub hospital: String,
    pub episode_id: String,
    pub patient_key: String,
    pub admitted: NaiveDate,
    pub discharged: NaiveDate,
    /// `YYYY-MM` of the discharge.
    pub month: String,
    pub digest: String,
    pub data: String,
    pub source: String,
    pub received_at: DateTime<Utc>,
}

const EPISODE_COLUMNS: &[&str] =
    &["hospital", "episode_id", "patient_key", "admitted", "discharged", "month", "digest", "data", "source", "received_at"];

fn episode_row(r: &dyn Cols) -> Result<EpisodeRow> {
    Ok(EpisodeRow {
        hospital: r.text("hospital")?,
        episode_id: r.text("episode_id")?,
        patient_key: r.text("patient_key")?,
        admitted: codec::parse_date(&r.text("admitted")?)?,
        discharged: codec::parse_date(&r.text("discharged")?)?,
        month: r.text("month")?,
        digest: r.text("digest")?,
        data: r.text("data")?,
        source: r.text("source")?,
        received_at: codec::parse_ts(&r.text("received_at")?)?,
    })
}

/// A month's settlement as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettlementRow {
    /// `YYYY-MM`.
    pub month: String,
    /// `frozen` or `approved`.
    pub status: String,
    pub budget_fen: i64,
    pub digest: String,
    pub episodes_digest: String,
    pub episodes: i64,
    pub data: String,
    pub frozen_at: DateTime<Utc>,
    pub frozen_by: i64,
    pub approved_at: Option<DateTime<Utc>>,
    pub approved_by: Option<i64>,
}

const SETTLEMENT_COLUMNS: &[&str] =
    &["month", "status", "budget", "digest", "episodes_digest", "episodes", "data", "frozen_at", "frozen_by", "approved_at", "approved_by"];

fn settlement_row(r: &dyn Cols) -> Result<SettlementRow> {
    Ok(SettlementRow {
        month: r.text("month")?,
        status: r.text("status")?,
        budget_fen: r.int("budget")?,
        digest: r.text("digest")?,
        episodes_digest: r.text("episodes_digest")?,
        episodes: r.int("episodes")?,
        data: r.text("data")?,
        frozen_at: codec::parse_ts(&r.text("frozen_at")?)?,
        frozen_by: r.int("frozen_by")?,
        approved_at: codec::parse_ts_opt(r.text_opt("approved_at")?)?,
        approved_by: r.int_opt("approved_by")?,
    })
}

impl MedinsQueries<'_> {
    /// Adds hospitals that are not there yet (the district's institutions at start); those that
    /// are keep their membership.
    pub async fn add_hospitals(self, rows: &[HospitalRow]) -> Result<u64> {
        let values: Vec<Vec<Value>> = rows
            .iter()
            .map(|h| {
                vec![
                    Value::S(h.code.clone()),
                    Value::S(h.name.clone()),
                    Value::S(h.level.clone()),
                    Value::S(h.membership.clone()),
                    Value::OptS(codec::date_opt(h.since)),
                    Value::OptS(codec::ts_opt(h.applied_at)),
                    Value::OptI(h.applied_by),
                    Value::OptS(codec::ts_opt(h.decided_at)),
                    Value::OptI(h.decided_by),
                    Value::OptS(h.note.clone()),
                    Value::I(1),
                ]
            })
            .collect();
        self.insert_all("medins_hospital", HOSPITAL_COLUMNS, &values, "ON CONFLICT (code) DO NOTHING").await
    }

    /// Every hospital of the scheme, by code.
    pub async fn hospitals(self) -> Result<Vec<HospitalRow>> {
        self.lookup(
            hospital_select!("ORDER BY code"),
            &[],
            hospital_row,
        )
        .await
    }

    /// One hospital.
    pub async fn hospital(self, code: &str) -> Result<Option<HospitalRow>> {
        self.lookup_one(hospital_select!("WHERE code = $1"), &[Value::S(code.to_owned())], hospital_row).await
    }

    /// Writes a hospital's membership if it is still at `version` (what the caller decided on);
    /// `false` if someone changed it meanwhile.
    pub async fn set_membership(self, h: &HospitalRow, version: i64) -> Result<bool> {
        let n = sqlx::query(
            "UPDATE medins_hospital SET membership = $1, since = $2, applied_at = $3, applied_by = $4, decided_at = $5, decided_by = $6, note = $7, \
             version = version + 1 WHERE code = $8 AND version = $9",
        )
        .bind(h.membership.clone())
        .bind(codec::date_opt(h.since))
        .bind(codec::ts_opt(h.applied_at))
        .bind(h.applied_by)
        .bind(codec::ts_opt(h.decided_at))
        .bind(h.decided_by)
        .bind(h.note.clone())
        .bind(h.code.clone())
        .bind(version)
        .execute(self.write_pool())
        .await?
        .rows_affected();
        self.flushed(n == 1).await
    }

    /// The keys and digests of the episodes discharged in `month` (to tell a re-send from a
    /// duplicate).
    pub async fn episode_digests(self, month: &str) -> Result<Vec<(String, String, String)>> {
        self.lookup(
            "SELECT hospital, episode_id, digest FROM medins_episode WHERE month = $1",
            &[Value::S(month.to_owned())],
            |r| Ok((r.text("hospital")?, r.text("episode_id")?, r.text("digest")?)),
        )
        .await
    }

    /// Inserts episodes in one transaction, all or none: one already there (same hospital and
    /// number) fails the whole insert with a unique violation.
    pub async fn insert_episodes(self, rows: &[EpisodeRow]) -> Result<u64> {
        let values: Vec<Vec<Value>> = rows
            .iter()
            .map(|e| {
                vec![
                    Value::S(e.hospital.clone()),
                    Value::S(e.episode_id.clone()),
                    Value::S(e.patient_key.clone()),
                    Value::S(codec::date(e.admitted)),
                    Value::S(codec::date(e.discharged)),
                    Value::S(e.month.clone()),
                    Value::S(e.digest.clone()),
                    Value::S(e.data.clone()),
                    Value::S(e.source.clone()),
                    Value::S(codec::ts(e.received_at)),
                ]
            })
            .collect();
        self.insert_all("medins_episode", EPISODE_COLUMNS, &values, "").await
    }

    /// The episodes discharged in `month`, by hospital and number.
    pub async fn episodes_of_month(self, month: &str) -> Result<Vec<EpisodeRow>> {
        self.lookup(
            episode_select!("WHERE month = $1 ORDER BY hospital, episode_id"),
            &[Value::S(month.to_owned())],
            episode_row,
        )
        .await
    }

    /// One episode, by its hospital and number.
    pub async fn episode(self, hospital: &str, episode_id: &str) -> Result<Option<EpisodeRow>> {
        self.lookup_one(
            episode_select!("WHERE hospital = $1 AND episode_id = $2"),
            &[Value::S(hospital.to_owned()), Value::S(episode_id.to_owned())],
            episode_row,
        )
        .await
    }

    /// The episodes discharged on `from` or later and before `to`.
    pub async fn episodes_discharged(self, from: NaiveDate, to: NaiveDate) -> Result<Vec<EpisodeRow>> {
        self.lookup(
            episode_select!("WHERE discharged >= $1 AND discharged < $2 ORDER BY hospital, episode_id"),
            &[Value::S(codec::date(from)), Value::S(codec::date(to))],
            episode_row,
        )
        .await
    }

    /// A page of a hospital's episodes (all hospitals: `None`), newest discharge first, and how
    /// many there are.
    pub async fn episodes_page(self, hospital: Option<&str>, month: Option<&str>, limit: i64, offset: i64) -> Result<(Vec<EpisodeRow>, i64)> {
        let h = Value::S(hospital.unwrap_or("").to_owned());
        let m = Value::S(month.unwrap_or("").to_owned());
        let rows = self
            .lookup(
                episode_select!("WHERE ($1 = '' OR hospital = $1) AND ($2 = '' OR month = $2) ORDER BY discharged DESC, hospital, episode_id LIMIT $3 OFFSET $4"),
                &[h.clone(), m.clone(), Value::I(limit), Value::I(offset)],
                episode_row,
            )
            .await?;
        let total = self
            .lookup_one("SELECT COUNT(*) AS n FROM medins_episode WHERE ($1 = '' OR hospital = $1) AND ($2 = '' OR month = $2)", &[h, m], |r| r.int("n"))
            .await?
            .unwrap_or(0);
        Ok((rows, total))
    }

    /// Every episode (the indicators: a county's year is some tens of thousands).
    pub async fn all_episodes(self) -> Result<Vec<EpisodeRow>> {
        self.lookup(
            episode_select!("ORDER BY hospital, episode_id"),
            &[],
            episode_row,
        )
        .await
    }

    /// A month's settlement.
    pub async fn settlement(self, month: &str) -> Result<Option<SettlementRow>> {
        self.lookup_one(
            settlement_select!("WHERE month = $1"),
            &[Value::S(month.to_owned())],
            settlement_row,
        )
        .await
    }

    /// Every settlement, newest month first.
    pub async fn settlements(self) -> Result<Vec<SettlementRow>> {
        self.lookup(
            settlement_select!("ORDER BY month DESC"),
            &[],
            settlement_row,
        )
        .await
    }

    /// The months that have a settlement (frozen or approved): no episode discharged in them is
    /// taken any more.
    pub async fn settled_months(self) -> Result<Vec<String>> {
        self.lookup("SELECT month FROM medins_settlement ORDER BY month", &[], |r| r.text("month")).await
    }

    /// Freezes a month's settlement; `false` if the month has one already (nothing changed).
    pub async fn freeze_settlement(self, s: &SettlementRow) -> Result<bool> {
        let values = vec![vec![
            Value::S(s.month.clone()),
            Value::S(s.status.clone()),
            Value::I(s.budget_fen),
            Value::S(s.digest.clone()),
            Value::S(s.episodes_digest.clone()),
            Value::I(s.episodes),
            Value::S(s.data.clone()),
            Value::S(codec::ts(s.frozen_at)),
            Value::I(s.frozen_by),
            Value::OptS(codec::ts_opt(s.approved_at)),
            Value::OptI(s.approved_by),
        ]];
        let n = self.insert_all("medins_settlement", SETTLEMENT_COLUMNS, &values, "ON CONFLICT (month) DO NOTHING").await?;
        Ok(n == 1)
    }

    /// Approves a frozen settlement; `false` if it is not frozen (approved already, or none).
    pub async fn approve_settlement(self, month: &str, by: i64, at: DateTime<Utc>) -> Result<bool> {
        let n = sqlx::query("UPDATE medins_settlement SET status = 'approved', approved_at = $1, approved_by = $2 WHERE month = $3 AND status = 'frozen'")
            .bind(codec::ts(at))
            .bind(by)
            .bind(month.to_owned())
            .execute(self.write_pool())
            .await?
            .rows_affected();
        self.flushed(n == 1).await
    }
}
