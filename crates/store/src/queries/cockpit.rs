//! Aggregates for the cockpit (数字驾驶舱), each grouped by town (the first nine digits of the
//! division where an application is handled, else where its applicant lives), so one pass gives
//! the district and every town. The web crate keeps the result as a periodically refreshed
//! snapshot; these queries are the only place that reads the case tables for it.

use crate::handles::*;
use serde::Serialize;
use sqlx::Row;

use crate::Result;

/// Application → town, for joining. `''` when neither the application nor the register knows.
const TOWN_OF: &str = "SELECT a.id AS app, SUBSTR(COALESCE(a.division, p.division, e.division, ''), 1, 9) AS town
     FROM application a
     LEFT JOIN person p ON p.id_number = a.applicant_key
     LEFT JOIN enterprise e ON e.credit_code = a.applicant_key";

/// Applications of one town and status, with the reduction sums of its bundle applications.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AppAgg {
    pub town: String,
    pub status: String,
    pub applications: i64,
    pub bundles: i64,
    pub baseline_materials: i64,
    pub baseline_trips: i64,
    pub baseline_days: i64,
    pub uploaded_materials: i64,
    pub trips: i64,
    pub elapsed_days: i64,
}

/// Item cases of one town: finished (and of those on time), open (and of those overdue).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CaseAgg {
    pub town: String,
    pub finished: i64,
    pub on_time: i64,
    pub open: i64,
    pub open_overdue: i64,
}

/// First ratings of one town's applications, per department that handled them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SatisfactionAgg {
    pub town: String,
    pub department: String,
    pub ratings: i64,
    pub satisfied: i64,
    pub bad: i64,
    pub score_sum: i64,
}

/// A count of one town and key (a notice or rectification status, a month).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KeyCount {
    pub town: String,
    pub key: String,
    pub n: i64,
}

fn key_counts(rows: &[sqlx::any::AnyRow]) -> Result<Vec<KeyCount>> {
    rows.iter().map(|r| Ok(KeyCount { town: r.try_get("town")?, key: r.try_get("k")?, n: r.try_get("n")? })).collect()
}

impl CockpitQueries<'_> {
    /// Applications by town and status, with Σ baseline and Σ actual of the bundle applications.
    pub async fn cockpit_applications(self) -> Result<Vec<AppAgg>> {
        let sql = format!(
            "WITH t AS ({TOWN_OF})
             SELECT t.town, a.status, COUNT(*) AS n,
                    CAST(SUM(CASE WHEN a.target_kind = 'bundle' THEN 1 ELSE 0 END) AS BIGINT) AS nb,
                    CAST(SUM(CASE WHEN a.target_kind = 'bundle' THEN a.baseline_materials ELSE 0 END) AS BIGINT) AS bm,
                    CAST(SUM(CASE WHEN a.target_kind = 'bundle' THEN a.baseline_trips ELSE 0 END) AS BIGINT) AS bt,
                    CAST(SUM(CASE WHEN a.target_kind = 'bundle' THEN a.baseline_days ELSE 0 END) AS BIGINT) AS bd,
                    CAST(SUM(CASE WHEN a.target_kind = 'bundle' THEN a.uploaded_materials ELSE 0 END) AS BIGINT) AS am,
                    CAST(SUM(CASE WHEN a.target_kind = 'bundle' THEN a.trips ELSE 0 END) AS BIGINT) AS at,
                    CAST(SUM(CASE WHEN a.target_kind = 'bundle' THEN COALESCE(a.elapsed_days, 0) ELSE 0 END) AS BIGINT) AS ad
             FROM application a JOIN t ON t.app = a.id
             GROUP BY t.town, a.status ORDER BY t.town, a.status"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_all(self.read_pool()).await?;
        rows.iter()
            .map(|r| {
                Ok(AppAgg {
                    town: r.try_get("town")?,
                    status: r.try_get("status")?,
                    applications: r.try_get("n")?,
                    bundles: r.try_get("nb")?,
                    baseline_materials: r.try_get("bm")?,
                    baseline_trips: r.try_get("bt")?,
                    baseline_days: r.try_get("bd")?,
                    uploaded_materials: r.try_get("am")?,
                    trips: r.try_get("at")?,
                    elapsed_days: r.try_get("ad")?,
                })
            })
            .collect()
    }

    /// Item cases by town: finished and on time (never past the promised deadline), open and overdue.
    pub async fn cockpit_cases(self) -> Result<Vec<CaseAgg>> {
        let sql = format!(
            "WITH t AS ({TOWN_OF})
             SELECT t.town,
                    CAST(SUM(CASE WHEN c.status IN ('approved', 'rejected') THEN 1 ELSE 0 END) AS BIGINT) AS fin,
                    CAST(SUM(CASE WHEN c.status IN ('approved', 'rejected') AND c.overdue = 0 THEN 1 ELSE 0 END) AS BIGINT) AS ontime,
                    CAST(SUM(CASE WHEN c.status IN ('waiting', 'active', 'paused') THEN 1 ELSE 0 END) AS BIGINT) AS open,
                    CAST(SUM(CASE WHEN c.status IN ('waiting', 'active', 'paused') AND c.overdue = 1 THEN 1 ELSE 0 END) AS BIGINT) AS late
             FROM item_case c JOIN t ON t.app = c.application_id
             GROUP BY t.town ORDER BY t.town"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_all(self.read_pool()).await?;
        rows.iter()
            .map(|r| {
                Ok(CaseAgg {
                    town: r.try_get("town")?,
                    finished: r.try_get("fin")?,
                    on_time: r.try_get("ontime")?,
                    open: r.try_get("open")?,
                    open_overdue: r.try_get("late")?,
                })
            })
            .collect()
    }

    /// First ratings by town and department (a bundle's rating counts for each department in it).
    pub async fn cockpit_satisfaction(self) -> Result<Vec<SatisfactionAgg>> {
        let sql = format!(
            "WITH t AS ({TOWN_OF}),
                  d AS (SELECT DISTINCT application_id, department FROM item_case)
             SELECT t.town, d.department, COUNT(*) AS n,
                    CAST(SUM(CASE WHEN a.first_rating >= 4 THEN 1 ELSE 0 END) AS BIGINT) AS good,
                    CAST(SUM(CASE WHEN a.first_rating <= 2 THEN 1 ELSE 0 END) AS BIGINT) AS bad,
                    CAST(SUM(a.first_rating) AS BIGINT) AS total
             FROM application a JOIN t ON t.app = a.id JOIN d ON d.application_id = a.id
             WHERE a.first_rating IS NOT NULL
             GROUP BY t.town, d.department ORDER BY t.town, d.department"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_all(self.read_pool()).await?;
        rows.iter()
            .map(|r| {
                Ok(SatisfactionAgg {
                    town: r.try_get("town")?,
                    department: r.try_get("department")?,
                    ratings: r.try_get("n")?,
                    satisfied: r.try_get("good")?,
                    bad: r.try_get("bad")?,
                    score_sum: r.try_get("total")?,
                })
            })
            .collect()
    }

    /// Notices by town and delivery status (pending, delivered, failed).
    pub async fn cockpit_notices(self) -> Result<Vec<KeyCount>> {
        let sql = format!(
            "WITH t AS ({TOWN_OF})
             SELECT t.town, n.status AS k, COUNT(*) AS n FROM notice n JOIN t ON t.app = n.application_id
             GROUP BY t.town, n.status ORDER BY t.town, n.status"
        );
        key_counts(&sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_all(self.read_pool()).await?)
    }

    /// Rectifications by town and status (open, responded, closed).
    pub async fn cockpit_rectifications(self) -> Result<Vec<KeyCount>> {
        let sql = format!(
            "WITH t AS ({TOWN_OF})
             SELECT t.town, r.status AS k, COUNT(*) AS n FROM rectification r JOIN t ON t.app = r.application_id
             GROUP BY t.town, r.status ORDER BY t.town, r.status"
        );
        key_counts(&sqlx::query(sqlx::AssertSqlSafe(sql)).fetch_all(self.read_pool()).await?)
    }

    /// Applications filed per month (`YYYY-MM`, China time is close enough at month scale) by town,
    /// from `since` (an RFC 3339 timestamp prefix such as `2025-04`).
    pub async fn cockpit_months(self, since: &str) -> Result<Vec<KeyCount>> {
        let sql = format!(
            "WITH t AS ({TOWN_OF})
             SELECT t.town, SUBSTR(a.submitted_at, 1, 7) AS k, COUNT(*) AS n
             FROM application a JOIN t ON t.app = a.id
             WHERE a.submitted_at >= $1
             GROUP BY t.town, SUBSTR(a.submitted_at, 1, 7) ORDER BY t.town, k"
        );
        key_counts(&sqlx::query(sqlx::AssertSqlSafe(sql)).bind(since.to_owned()).fetch_all(self.read_pool()).await?)
    }

    /// Shared records in the data pool (数据同池), by record type.
    pub async fn cockpit_shared_records(self) -> Result<Vec<(String, i64)>> {
        let rows = sqlx::query("SELECT record_type, COUNT(*) AS n FROM shared_record GROUP BY record_type ORDER BY record_type")
            .fetch_all(self.read_pool())
            .await?;
        rows.iter().map(|r| Ok((r.try_get("record_type")?, r.try_get("n")?))).collect()
    }

    /// Reads of shared data (数据共享调用) by reading organisation: allowed and refused, from the
    /// access log. Reads by residents of their own data and by the engine's filings count under
    /// the organisation the log names (`''` when none).
    pub async fn cockpit_data_reads(self) -> Result<Vec<OrgReads>> {
        let rows = sqlx::query(
            "SELECT COALESCE(reader_org, '') AS org,
                    CAST(COALESCE(SUM(CASE WHEN outcome = 'allowed' THEN 1 ELSE 0 END), 0) AS BIGINT) AS allowed,
                    CAST(COALESCE(SUM(CASE WHEN outcome = 'allowed' THEN 0 ELSE 1 END), 0) AS BIGINT) AS refused
             FROM access_log GROUP BY COALESCE(reader_org, '') ORDER BY org",
        )
        .fetch_all(self.read_pool())
        .await?;
        rows.iter().map(|r| Ok(OrgReads { org: r.try_get("org")?, allowed: r.try_get("allowed")?, refused: r.try_get("refused")? })).collect()
    }
}

/// Shared-data reads of one organisation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct OrgReads {
    pub org: String,
    pub allowed: i64,
    pub refused: i64,
}
