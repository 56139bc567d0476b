//! HL7 FHIR R4 resources (stored as JSON with the columns search and the recognition check need),
//! recognition offers and the doctor's decisions, and the recognition figures per institution.

use crate::handles::*;
use chrono::{DateTime, Utc};
use pool::ResultSummary;
use serde::Serialize;
use sqlx::Row;
use sqlx::any::AnyArguments;
use sqlx::Arguments;

use crate::codec::{self, Value};
use crate::{Cols, Result, StoreError};

/// A resource with its index columns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FhirRow {
    pub id: i64,
    pub resource_type: String,
    pub logical_id: String,
    pub patient_key: String,
    /// `system|code` of the first coding.
    pub code: Option<String>,
    pub item: Option<String>,
    pub institution: Option<String>,
    pub effective: Option<DateTime<Utc>>,
    pub status: Option<String>,
    pub updated_at: DateTime<Utc>,
    pub data: String,
}

pub const FHIR_COLUMNS: &[&str] =
    &["id", "resource_type", "logical_id", "patient_key", "code", "item", "institution", "effective", "status", "version", "updated_at", "data"];

fn fhir_values(r: &FhirRow) -> Vec<Value> {
    vec![
        Value::I(r.id),
        Value::S(r.resource_type.clone()),
        Value::S(r.logical_id.clone()),
        Value::S(r.patient_key.clone()),
        Value::OptS(r.code.clone()),
        Value::OptS(r.item.clone()),
        Value::OptS(r.institution.clone()),
        Value::OptS(codec::ts_opt(r.effective)),
        Value::OptS(r.status.clone()),
        Value::I(1),
        Value::S(codec::ts(r.updated_at)),
        Value::S(r.data.clone()),
    ]
}

/// A treatment relation that a care resource (Encounter, EpisodeOfCare, referral) establishes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CareRow {
    pub resource_type: String,
    pub logical_id: String,
    pub institution: String,
    pub patient_key: String,
    pub kind: String,
    pub starts_at: DateTime<Utc>,
    /// `None`: open-ended.
    pub ends_at: Option<DateTime<Utc>>,
}

const CARE_COLUMNS: &[&str] = &["resource_type", "logical_id", "institution", "patient_key", "kind", "starts_at", "ends_at"];

/// A stored resource as read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredFhir {
    pub logical_id: String,
    pub patient_key: String,
    /// The institution the resource is of (its performer, provider or requester), if any.
    pub institution: Option<String>,
    pub version: i64,
    pub updated_at: DateTime<Utc>,
    pub data: String,
}

/// A FHIR search.
#[derive(Debug, Clone, Default)]
pub struct FhirQuery {
    pub resource_type: String,
    pub patient_key: String,
    /// `system|code`, or `|code` / `code` for any system.
    pub code: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub limit: i64,
    pub offset: i64,
}

/// A recognition offer with its decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Offer {
    pub id: String,
    pub at: DateTime<Utc>,
    pub patient_key: String,
    pub item: String,
    pub ordering_institution: String,
    pub clinician: Option<String>,
    pub result_type: String,
    pub result_id: String,
    pub result_institution: String,
    pub price_fen: i64,
    pub decision: String,
    pub reason: Option<String>,
    pub note: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
}

/// Recognition figures of one institution.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct InstitutionFigures {
    pub institution: String,
    /// Offers shown to its clinicians, accepted, re-tested.
    pub offered: i64,
    pub accepted: i64,
    pub retested: i64,
    /// Money saved by not repeating tests it would have ordered (fen).
    pub saved_fen: i64,
    /// Its own results recognised elsewhere.
    pub recognised_elsewhere: i64,
}

fn stored_fhir(r: &dyn Cols) -> Result<StoredFhir> {
    Ok(StoredFhir {
        logical_id: r.text("logical_id")?,
        patient_key: r.text("patient_key")?,
        institution: r.text_opt("institution")?,
        version: r.int("version")?,
        updated_at: codec::parse_ts(&r.text("updated_at")?)?,
        data: r.text("data")?,
    })
}

fn code_filter(code: &str) -> (bool, String) {
    // (exact system|code?, value)
    match code.split_once('|') {
        Some(("", c)) => (false, c.to_owned()),
        Some(_) => (true, code.to_owned()),
        None => (false, code.to_owned()),
    }
}

impl FhirQueries<'_> {
    /// Inserts resources that are new (bulk loads); a logical id that exists is an error.
    pub async fn insert_fhir(self, rows: &[FhirRow]) -> Result<()> {
        let values: Vec<Vec<Value>> = rows.iter().map(fhir_values).collect();
        self.insert_all("fhir_resource", FHIR_COLUMNS, &values, "").await?;
        Ok(())
    }

    /// Creates or updates resources by (type, logical id), in one transaction; an update keeps
    /// the row and increments its version. Rows must not repeat a logical id.
    pub async fn upsert_fhir(self, rows: &[FhirRow]) -> Result<()> {
        self.upsert_fhir_and_care(rows, &[]).await
    }

    /// Like [`Store::upsert_fhir`], with the treatment relations the care resources among the
    /// rows establish (created or updated by resource), in the same transaction.
    pub async fn upsert_fhir_and_care(self, rows: &[FhirRow], care: &[CareRow]) -> Result<()> {
        let values: Vec<Vec<Value>> = rows.iter().map(fhir_values).collect();
        let tail = "ON CONFLICT (resource_type, logical_id) DO UPDATE SET patient_key = excluded.patient_key, code = excluded.code, \
                    item = excluded.item, institution = excluded.institution, effective = excluded.effective, status = excluded.status, \
                    version = fhir_resource.version + 1, updated_at = excluded.updated_at, data = excluded.data";
        let care_values: Vec<Vec<Value>> = care
            .iter()
            .map(|c| {
                vec![
                    Value::S(c.resource_type.clone()),
                    Value::S(c.logical_id.clone()),
                    Value::S(c.institution.clone()),
                    Value::S(c.patient_key.clone()),
                    Value::S(c.kind.clone()),
                    Value::S(codec::ts(c.starts_at)),
                    Value::OptS(codec::ts_opt(c.ends_at)),
                ]
            })
            .collect();
        let care_tail = "ON CONFLICT (resource_type, logical_id) DO UPDATE SET institution = excluded.institution, \
                         patient_key = excluded.patient_key, kind = excluded.kind, starts_at = excluded.starts_at, ends_at = excluded.ends_at";
        let mut conn = self.write_pool().acquire().await?;
        let mut script = crate::writer::Script::new(&conn);
        script.insert("fhir_resource", FHIR_COLUMNS, &values, tail)?;
        script.insert("care_relation", CARE_COLUMNS, &care_values, care_tail)?;
        let n = script.commit(&mut conn).await?;
        drop(conn);
        self.flushed(n).await?;
        Ok(())
    }

    /// The end of `institution`'s treatment relation to a patient that holds at `now` (the
    /// latest-ending one): `Some(None)` for an open one, `None` if none holds.
    pub async fn care_relation_until(self, institution: &str, patient_key: &str, now: DateTime<Utc>) -> Result<Option<Option<DateTime<Utc>>>> {
        let at = codec::ts(now);
        let ends = self
            .lookup(
                "SELECT ends_at FROM care_relation WHERE patient_key = $1 AND institution = $2 AND starts_at <= $3 AND (ends_at IS NULL OR ends_at > $3)",
                &[Value::S(patient_key.to_owned()), Value::S(institution.to_owned()), Value::S(at)],
                |r| r.text_opt("ends_at"),
            )
            .await?;
        if ends.is_empty() {
            return Ok(None);
        }
        if ends.iter().any(Option::is_none) {
            return Ok(Some(None));
        }
        let latest = ends.into_iter().flatten().max().map(|t| codec::parse_ts(&t)).transpose()?;
        Ok(Some(latest))
    }

    pub async fn fhir_get(self, resource_type: &str, logical_id: &str) -> Result<Option<StoredFhir>> {
        self.lookup_one(
            "SELECT logical_id, patient_key, institution, version, updated_at, data FROM fhir_resource WHERE resource_type = $1 AND logical_id = $2",
            &[Value::S(resource_type.to_owned()), Value::S(logical_id.to_owned())],
            stored_fhir,
        )
        .await
    }

    /// The Patient resource of a person (by ID number or other key).
    pub async fn fhir_patient_of(self, patient_key: &str) -> Result<Option<StoredFhir>> {
        self.lookup_one(
            "SELECT logical_id, patient_key, institution, version, updated_at, data FROM fhir_resource WHERE patient_key = $1 AND resource_type = 'Patient' LIMIT 1",
            &[Value::S(patient_key.to_owned())],
            stored_fhir,
        )
        .await
    }

    /// A page of a search, newest first, and the total number of matches.
    pub async fn fhir_search(self, q: &FhirQuery) -> Result<(Vec<(String, String)>, i64)> {
        let mut filter = String::from("resource_type = $1 AND patient_key = $2");
        let mut params: Vec<String> = vec![q.resource_type.clone(), q.patient_key.clone()];
        if let Some(code) = &q.code {
            let (exact, v) = code_filter(code);
            if exact {
                filter.push_str(&format!(" AND code = ${}", params.len() + 1));
                params.push(v);
            } else {
                filter.push_str(&format!(" AND code LIKE ${}", params.len() + 1));
                params.push(format!("%|{v}"));
            }
        }
        if let Some(from) = q.from {
            filter.push_str(&format!(" AND effective >= ${}", params.len() + 1));
            params.push(codec::ts(from));
        }
        if let Some(to) = q.to {
            filter.push_str(&format!(" AND effective <= ${}", params.len() + 1));
            params.push(codec::ts(to));
        }
        let args = |extra: &[i64]| -> Result<AnyArguments> {
            let mut a = AnyArguments::default();
            for p in &params {
                a.add(p.clone()).map_err(|e| StoreError::Db(sqlx::Error::Encode(e)))?;
            }
            for x in extra {
                a.add(*x).map_err(|e| StoreError::Db(sqlx::Error::Encode(e)))?;
            }
            Ok(a)
        };
        let n = params.len();
        let sql = format!("SELECT logical_id, data FROM fhir_resource WHERE {filter} ORDER BY effective DESC, id DESC LIMIT ${} OFFSET ${}", n + 1, n + 2);
        let rows = crate::query_with(sql, args(&[q.limit, q.offset])?).fetch_all(self.read_pool()).await?;
        let page: Vec<(String, String)> = rows.iter().map(|r| Ok((r.try_get("logical_id")?, r.try_get("data")?))).collect::<Result<_>>()?;
        let total = if q.offset == 0 && (page.len() as i64) < q.limit {
            page.len() as i64
        } else {
            let sql = format!("SELECT COUNT(*) AS n FROM fhir_resource WHERE {filter}");
            crate::query_with(sql, args(&[])?).fetch_one(self.read_pool()).await?.try_get("n")?
        };
        Ok((page, total))
    }

    /// A patient's results for one recognisable item taken since `since`, with their JSON.
    pub async fn results_for_item(self, patient_key: &str, item: &str, since: DateTime<Utc>) -> Result<Vec<(ResultSummary, String)>> {
        self.lookup(
            "SELECT id, resource_type, logical_id, item, institution, effective, status, data FROM fhir_resource
             WHERE patient_key = $1 AND item = $2 AND effective >= $3 ORDER BY effective DESC LIMIT 20",
            &[Value::S(patient_key.to_owned()), Value::S(item.to_owned()), Value::S(codec::ts(since))],
            |r| {
                Ok((
                    ResultSummary {
                        row: r.int("id")?,
                        resource_type: r.text("resource_type")?,
                        logical_id: r.text("logical_id")?,
                        item: r.text_opt("item")?.unwrap_or_default(),
                        institution: r.text_opt("institution")?.unwrap_or_default(),
                        effective: codec::parse_ts(&r.text_opt("effective")?.unwrap_or_default())?,
                        status: r.text_opt("status")?.unwrap_or_default(),
                    },
                    r.text("data")?,
                ))
            },
        )
        .await
    }

    /// A patient's latest results of every type (the health-record summary).
    pub async fn fhir_recent(self, patient_key: &str, limit: i64) -> Result<Vec<(String, String, String)>> {
        let rows = sqlx::query(
            "SELECT resource_type, logical_id, data FROM fhir_resource WHERE patient_key = $1 AND resource_type <> 'Patient'
             ORDER BY effective DESC, id DESC LIMIT $2",
        )
        .bind(patient_key)
        .bind(limit)
        .fetch_all(self.read_pool())
        .await?;
        rows.iter().map(|r| Ok((r.try_get("resource_type")?, r.try_get("logical_id")?, r.try_get("data")?))).collect()
    }

    // ---- recognition offers

    pub async fn offer(self, id: i64) -> Result<Option<Offer>> {
        let row = sqlx::query("SELECT * FROM recognition_offer WHERE id = $1").bind(id).fetch_optional(self.read_pool()).await?;
        row.map(|r| {
            Ok(Offer {
                id: r.try_get::<i64, _>("id")?.to_string(),
                at: codec::parse_ts(&r.try_get::<String, _>("at")?)?,
                patient_key: r.try_get("patient_key")?,
                item: r.try_get("item")?,
                ordering_institution: r.try_get("ordering_institution")?,
                clinician: r.try_get::<Option<i64>, _>("clinician")?.map(|c| c.to_string()),
                result_type: r.try_get("result_type")?,
                result_id: r.try_get("result_id")?,
                result_institution: r.try_get("result_institution")?,
                price_fen: r.try_get("price_fen")?,
                decision: r.try_get("decision")?,
                reason: r.try_get("reason")?,
                note: r.try_get("note")?,
                decided_at: codec::parse_ts_opt(r.try_get("decided_at")?)?,
            })
        })
        .transpose()
    }

    /// Records the decision on a pending offer; `false` if it was decided already.
    pub async fn decide_offer(self, id: i64, decision: &str, reason: Option<&str>, note: Option<&str>, at: DateTime<Utc>, by: i64) -> Result<bool> {
        let n = sqlx::query(
            "UPDATE recognition_offer SET decision = $1, reason = $2, note = $3, decided_at = $4, decided_by = $5 WHERE id = $6 AND decision = 'pending'",
        )
        .bind(decision)
        .bind(reason.map(str::to_owned))
        .bind(note.map(str::to_owned))
        .bind(codec::ts(at))
        .bind(by)
        .bind(id)
        .execute(self.write_pool())
        .await?
        .rows_affected();
        self.flushed(n == 1).await
    }

    /// Records decisions in bulk (the demo district's history): (offer id, decision, reason).
    pub async fn decide_offers(self, decisions: &[(i64, &str, Option<&str>)], at: DateTime<Utc>) -> Result<()> {
        let mut tx = self.write_pool().begin().await?;
        for (id, d, reason) in decisions {
            sqlx::query("UPDATE recognition_offer SET decision = $1, reason = $2, decided_at = $3 WHERE id = $4")
                .bind(*d)
                .bind(reason.map(str::to_owned))
                .bind(codec::ts(at))
                .bind(*id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        self.flushed(()).await
    }

    /// Recognition figures per institution (as the orderer and as the producer of results).
    pub async fn recognition_figures(self) -> Result<Vec<InstitutionFigures>> {
        let mut by: std::collections::BTreeMap<String, InstitutionFigures> = std::collections::BTreeMap::new();
        let rows = sqlx::query(
            "SELECT ordering_institution AS inst, COUNT(*) AS offered,
                    CAST(COALESCE(SUM(CASE WHEN decision = 'accepted' THEN 1 ELSE 0 END), 0) AS BIGINT) AS accepted,
                    CAST(COALESCE(SUM(CASE WHEN decision = 'retest' THEN 1 ELSE 0 END), 0) AS BIGINT) AS retested,
                    CAST(COALESCE(SUM(CASE WHEN decision = 'accepted' THEN price_fen ELSE 0 END), 0) AS BIGINT) AS saved
             FROM recognition_offer GROUP BY ordering_institution",
        )
        .fetch_all(self.read_pool())
        .await?;
        for r in &rows {
            let inst: String = r.try_get("inst")?;
            let f = by.entry(inst.clone()).or_insert_with(|| InstitutionFigures { institution: inst, ..Default::default() });
            f.offered = r.try_get("offered")?;
            f.accepted = r.try_get("accepted")?;
            f.retested = r.try_get("retested")?;
            f.saved_fen = r.try_get("saved")?;
        }
        let rows = sqlx::query(
            "SELECT result_institution AS inst, COUNT(*) AS n FROM recognition_offer WHERE decision = 'accepted' GROUP BY result_institution",
        )
        .fetch_all(self.read_pool())
        .await?;
        for r in &rows {
            let inst: String = r.try_get("inst")?;
            by.entry(inst.clone()).or_insert_with(|| InstitutionFigures { institution: inst, ..Default::default() }).recognised_elsewhere =
                r.try_get("n")?;
        }
        Ok(by.into_values().collect())
    }

    /// Health-record look-ups: reads of health data for treatment (allowed), in all. Each chain's
    /// head counts them as its entries are written (migration 0009), so this adds up one row per
    /// chain instead of scanning the access log.
    pub async fn health_lookups(self) -> Result<i64> {
        let r = sqlx::query("SELECT CAST(COALESCE(SUM(health_reads), 0) AS BIGINT) AS n FROM access_log_head")
            .fetch_one(self.read_pool())
            .await?;
        Ok(r.try_get("n")?)
    }
}
