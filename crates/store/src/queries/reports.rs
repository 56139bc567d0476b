//! Aggregates for reports and the cockpit: reduction sums of completed bundle applications,
//! applications by status, satisfaction per department; and the schema as the database sees it.

use crate::handles::*;
use std::collections::BTreeMap;

use onething::reduction::Figures;
use serde::Serialize;
use sqlx::Row;

use crate::{Backend, Result};

/// The sums the reductions report needs for one bundle, over its completed applications.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ReductionSums {
    pub bundle: String,
    pub applications: i64,
    pub baseline: Figures,
    pub actual: Figures,
}

/// Ratings per department (a bundle's rating counts for every department that handled it).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DepartmentSatisfaction {
    pub department: String,
    pub ratings: i64,
    /// Ratings of 满意 or 非常满意 (4–5) … and bad ones (1–2).
    pub satisfied: i64,
    pub bad: i64,
    pub average: f64,
}

fn u(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

impl OnethingQueries<'_> {
    /// Σ baseline and Σ measured figures per bundle, over completed bundle applications.
    pub async fn reduction_sums(self) -> Result<Vec<ReductionSums>> {
        let rows = sqlx::query(
            "SELECT target_code, COUNT(*) AS n,
                    CAST(SUM(baseline_materials) AS BIGINT) AS bm, CAST(SUM(baseline_trips) AS BIGINT) AS bt,
                    CAST(SUM(baseline_days) AS BIGINT) AS bd, CAST(SUM(uploaded_materials) AS BIGINT) AS am,
                    CAST(SUM(trips) AS BIGINT) AS at, CAST(SUM(COALESCE(elapsed_days, 0)) AS BIGINT) AS ad
             FROM application WHERE target_kind = 'bundle' AND status = 'completed'
             GROUP BY target_code ORDER BY target_code",
        )
        .fetch_all(self.read_pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(ReductionSums {
                    bundle: r.try_get("target_code")?,
                    applications: r.try_get("n")?,
                    baseline: Figures { materials: u(r.try_get("bm")?), trips: u(r.try_get("bt")?), days: u(r.try_get("bd")?) },
                    actual: Figures { materials: u(r.try_get("am")?), trips: u(r.try_get("at")?), days: u(r.try_get("ad")?) },
                })
            })
            .collect()
    }

    /// Applications by status.
    pub async fn applications_by_status(self) -> Result<BTreeMap<String, i64>> {
        let rows = sqlx::query("SELECT status, COUNT(*) AS n FROM application GROUP BY status").fetch_all(self.read_pool()).await?;
        rows.iter().map(|r| Ok((r.try_get("status")?, r.try_get("n")?))).collect()
    }

    /// Satisfaction per department from first ratings (差评 before rectification counts).
    pub async fn satisfaction_by_department(self) -> Result<Vec<DepartmentSatisfaction>> {
        let rows = sqlx::query(
            "SELECT d.department, COUNT(*) AS n,
                    CAST(SUM(CASE WHEN a.first_rating >= 4 THEN 1 ELSE 0 END) AS BIGINT) AS good,
                    CAST(SUM(CASE WHEN a.first_rating <= 2 THEN 1 ELSE 0 END) AS BIGINT) AS bad,
                    CAST(SUM(a.first_rating) AS BIGINT) AS total
             FROM application a
             JOIN (SELECT DISTINCT application_id, department FROM item_case) d ON d.application_id = a.id
             WHERE a.first_rating IS NOT NULL
             GROUP BY d.department ORDER BY d.department",
        )
        .fetch_all(self.read_pool())
        .await?;
        rows.iter()
            .map(|r| {
                let n: i64 = r.try_get("n")?;
                let total: i64 = r.try_get("total")?;
                #[allow(clippy::cast_precision_loss)]
                let average = if n > 0 { (total as f64 / n as f64 * 100.0).round() / 100.0 } else { 0.0 };
                Ok(DepartmentSatisfaction {
                    department: r.try_get("department")?,
                    ratings: n,
                    satisfied: r.try_get("good")?,
                    bad: r.try_get("bad")?,
                    average,
                })
            })
            .collect()
    }

    /// Tables and their columns as the database reports them, for checking that both backends
    /// end up with the same schema.
    pub async fn schema_columns(self) -> Result<BTreeMap<String, Vec<String>>> {
        let rows = match self.backend() {
            Backend::Sqlite => {
                sqlx::query(
                    "SELECT m.name AS t, p.name AS c FROM sqlite_master m JOIN pragma_table_info(m.name) p
                     WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name NOT LIKE '_sqlx_%'
                     ORDER BY m.name, p.cid",
                )
                .fetch_all(self.read_pool())
                .await?
            }
            Backend::Postgres => {
                sqlx::query(
                    "SELECT CAST(table_name AS TEXT) AS t, CAST(column_name AS TEXT) AS c FROM information_schema.columns
                     WHERE table_schema = current_schema() AND table_name NOT LIKE '\\_sqlx\\_%'
                     ORDER BY table_name, ordinal_position",
                )
                .fetch_all(self.read_pool())
                .await?
            }
        };
        let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for r in rows {
            out.entry(r.try_get("t")?).or_default().push(r.try_get("c")?);
        }
        Ok(out)
    }
}
