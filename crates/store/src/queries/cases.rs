//! Reading applications, case queues, rectifications and histories; the scheduler's and the
//! verifier's passes over them.

use crate::handles::*;
use chrono::{DateTime, NaiveDate, Utc};
use domain::{AccountId, ApplicationId, CaseId, RectificationId};
use onething::{Application, ChainBreak, ChainHead, HistoryEntry, MaterialEntry, Prior};
use serde::Serialize;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::codec::{self, Value};
use crate::writer::load_aggregates;
use crate::queries::{Conditions, given};
use crate::{Result, Store, StoreError};

/// Paging: at most `limit` rows after skipping `offset`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub limit: i64,
    pub offset: i64,
}

impl Page {
    pub fn new(limit: i64, offset: i64) -> Page {
        Page { limit: limit.clamp(1, 500), offset: offset.max(0) }
    }
}

impl Default for Page {
    fn default() -> Self {
        Page::new(50, 0)
    }
}

/// Which applications to list.
#[derive(Debug, Clone, Default)]
pub struct AppFilter {
    pub applicant_account: Option<AccountId>,
    pub status: Option<String>,
    pub target: Option<String>,
    /// Only applications with a case of this department.
    pub department: Option<String>,
    /// Only applications handled in this division (or below it).
    pub division: Option<String>,
}

/// One line of an application list.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AppSummary {
    pub id: ApplicationId,
    pub target_kind: String,
    pub target_code: String,
    pub applicant_name: String,
    pub applicant_key: String,
    pub channel: String,
    pub status: String,
    pub submitted_at: DateTime<Utc>,
    pub deadline: Option<NaiveDate>,
    pub finished_at: Option<DateTime<Utc>>,
    pub item_count: i64,
    pub last_rating: Option<i64>,
}

fn summary_from_row(r: &AnyRow) -> Result<AppSummary> {
    Ok(AppSummary {
        id: ApplicationId(r.try_get("id")?),
        target_kind: r.try_get("target_kind")?,
        target_code: r.try_get("target_code")?,
        applicant_name: r.try_get("applicant_name")?,
        applicant_key: r.try_get("applicant_key")?,
        channel: r.try_get("channel")?,
        status: r.try_get("status")?,
        submitted_at: codec::parse_ts(&r.try_get::<String, _>("submitted_at")?)?,
        deadline: codec::parse_date_opt(r.try_get("deadline")?)?,
        finished_at: codec::parse_ts_opt(r.try_get("finished_at")?)?,
        item_count: r.try_get("item_count")?,
        last_rating: r.try_get("last_rating")?,
    })
}

/// Which cases a queue shows.
#[derive(Debug, Clone, Default)]
pub struct CaseFilter {
    pub department: Option<String>,
    /// Only cases handled in this division (or below it).
    pub division: Option<String>,
    /// Case statuses to include; empty = open ones (waiting, active, paused).
    pub statuses: Vec<String>,
    pub overdue_only: bool,
    /// Only active cases whose promised deadline is on or before this date (at risk).
    pub due_by: Option<NaiveDate>,
}

/// One line of a case queue.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CaseRow {
    pub id: CaseId,
    pub application: ApplicationId,
    pub item: String,
    pub department: String,
    pub status: String,
    pub state: Option<String>,
    pub started_at: Option<DateTime<Utc>>,
    pub promised_deadline: Option<NaiveDate>,
    pub legal_deadline: Option<NaiveDate>,
    pub warned: bool,
    pub overdue: bool,
    pub legal_overdue: bool,
    pub applicant_name: String,
    pub applicant_key: String,
    pub target_kind: String,
    pub target_code: String,
    pub channel: String,
    pub division: Option<String>,
}

fn case_row(r: &AnyRow) -> Result<CaseRow> {
    Ok(CaseRow {
        id: CaseId(r.try_get("id")?),
        application: ApplicationId(r.try_get("application_id")?),
        item: r.try_get("item")?,
        department: r.try_get("department")?,
        status: r.try_get("status")?,
        state: r.try_get("state")?,
        started_at: codec::parse_ts_opt(r.try_get("started_at")?)?,
        promised_deadline: codec::parse_date_opt(r.try_get("promised_deadline")?)?,
        legal_deadline: codec::parse_date_opt(r.try_get("legal_deadline")?)?,
        warned: r.try_get::<i64, _>("warned")? != 0,
        overdue: r.try_get::<i64, _>("overdue")? != 0,
        legal_overdue: r.try_get::<i64, _>("legal_overdue")? != 0,
        applicant_name: r.try_get("applicant_name")?,
        applicant_key: r.try_get("applicant_key")?,
        target_kind: r.try_get("target_kind")?,
        target_code: r.try_get("target_code")?,
        channel: r.try_get("channel")?,
        division: r.try_get("division")?,
    })
}

/// One line of a rectification list.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RectificationRow {
    pub id: RectificationId,
    pub application: ApplicationId,
    pub department: String,
    pub status: String,
    pub opened_at: DateTime<Utc>,
    pub due_on: NaiveDate,
    pub overdue: bool,
    pub response: Option<String>,
    pub closing_level: Option<i64>,
    pub target_code: String,
    pub applicant_name: String,
    pub first_rating: Option<i64>,
}

/// What `verify_histories` found.
#[derive(Debug, Clone, Default, Serialize)]
pub struct VerifyReport {
    pub applications: u64,
    pub entries: u64,
    /// Broken chains: the application and what is wrong.
    pub broken: Vec<(ApplicationId, String)>,
    /// History entries whose application no longer exists.
    pub orphans: u64,
}

fn history_from_row(r: &AnyRow) -> Result<HistoryEntry> {
    Ok(HistoryEntry {
        application: ApplicationId(r.try_get("application_id")?),
        seq: r.try_get("seq")?,
        case: r.try_get::<Option<i64>, _>("case_id")?.map(CaseId),
        at: codec::parse_ts(&r.try_get::<String, _>("at")?)?,
        actor: r.try_get::<Option<i64>, _>("actor")?.map(AccountId),
        role: r.try_get("role")?,
        action: r.try_get("action")?,
        from_state: r.try_get("from_state")?,
        to_state: r.try_get("to_state")?,
        detail: r.try_get("detail")?,
        prev_hash: r.try_get("prev_hash")?,
        hash: r.try_get("hash")?,
    })
}

/// The statuses most applications are in, which `application_status` leaves out (migration 0010).
const NOT_IN_STATUS_INDEX: [&str; 2] = ["in_progress", "completed"];

/// The statement (and its conditions) for [`Store::applications`].
fn applications_query(f: &AppFilter, page: Page) -> (String, Conditions) {
    let mut w = Conditions::default();
    if let Some(a) = f.applicant_account {
        w.equals("a.applicant_account", Value::I(a.0));
    }
    if let Some(s) = given(f.status.as_deref()) {
        match onething::AppStatus::parse(s).map(onething::AppStatus::code) {
            // A status of few applications, asked for by a department or the district, is
            // written as a constant beside the partial index's own condition, so that the planner
            // can tell that `application_status` (migration 0010) holds it (SQLite looks for the
            // condition itself, not what implies it). A resident's or a town's list keeps its own
            // index.
            Some(code)
                if !NOT_IN_STATUS_INDEX.contains(&code) && f.applicant_account.is_none() && given(f.division.as_deref()).is_none() =>
            {
                let [a, b] = NOT_IN_STATUS_INDEX;
                w.and(format!("a.status = '{code}' AND a.status NOT IN ('{a}', '{b}')"));
            }
            _ => w.equals("a.status", Value::S(s.to_owned())),
        }
    }
    if let Some(t) = given(f.target.as_deref()) {
        w.equals("a.target_code", Value::S(t.to_owned()));
    }
    if let Some(d) = given(f.department.as_deref()) {
        let p = w.bind(Value::S(d.to_owned()));
        w.and(format!("EXISTS (SELECT 1 FROM item_case c WHERE c.application_id = a.id AND c.department = {p})"));
    }
    if let Some(d) = given(f.division.as_deref()) {
        w.starts_with("a.division", d);
    }
    let sql = format!(
        "SELECT a.id, a.target_kind, a.target_code, a.applicant_name, a.applicant_key, a.channel, a.status,
                a.submitted_at, a.deadline, a.finished_at, a.item_count, a.last_rating
         FROM application a {}
         ORDER BY a.submitted_at DESC, a.id DESC {}",
        w.clause(),
        w.page(page)
    );
    (sql, w)
}

/// The departments that have cases: one seek of the queue index per department (a loose index
/// scan), where `SELECT DISTINCT` would read the whole index.
const CASE_DEPARTMENTS: &str = "WITH RECURSIVE d(dep) AS (
         SELECT MIN(department) FROM item_case
         UNION ALL
         SELECT (SELECT MIN(department) FROM item_case WHERE department > d.dep) FROM d WHERE d.dep IS NOT NULL)
     SELECT dep FROM d WHERE dep IS NOT NULL";

/// A queue's order, most urgent first, over columns named with `prefix` (`c.` or none).
fn queue_order(p: &str) -> String {
    format!(
        "ORDER BY {p}overdue DESC, CASE WHEN {p}promised_deadline IS NULL THEN 1 ELSE 0 END, {p}promised_deadline, {p}started_at, {p}id"
    )
}

/// The statement (and its conditions) for [`Store::case_queue`] over `departments` (the filter's
/// one, or every department that has cases).
///
/// `item_case_queue` holds each department's cases of one status in the queue's order, so each
/// (department, status) pair gives its first entries without a sort, and the page is the first of
/// those merged. One statement over all the statuses and departments instead would read and sort
/// every case the filter matches: an administrator's queue read all 380,000 cases of a district's
/// history for every page, 37 ms against under 1 ms this way. `None` when nothing can match.
fn case_queue_query(f: &CaseFilter, page: Page, departments: &[String]) -> Option<(String, Conditions)> {
    let mut w = Conditions::default();
    let mut statuses: Vec<&str> = if f.statuses.is_empty() { vec!["waiting", "active", "paused"] } else { f.statuses.iter().map(String::as_str).collect() };
    if f.due_by.is_some() {
        // At risk means active with a deadline.
        statuses.retain(|s| *s == "active");
    }
    if departments.is_empty() || statuses.is_empty() || page.limit <= 0 {
        return None;
    }
    let first = page.limit.saturating_add(page.offset.max(0));
    let mut parts = Vec::new();
    for d in departments {
        for s in &statuses {
            w.equals("c.department", Value::S(d.clone()));
            w.equals("c.status", Value::S((*s).to_owned()));
            if let Some(division) = given(f.division.as_deref()) {
                w.starts_with("c.division", division);
            }
            if f.overdue_only {
                w.and("c.overdue = 1".to_owned());
            }
            if let Some(due) = f.due_by {
                let p = w.bind(Value::S(codec::date(due)));
                w.and(format!("c.promised_deadline <= {p}"));
            }
            let clause = w.take_clause();
            let n = w.bind(Value::I(first));
            parts.push(format!(
                "SELECT * FROM (SELECT c.id, c.overdue, c.promised_deadline, c.started_at FROM item_case c {clause} {} LIMIT {n}) q{}",
                queue_order("c."),
                parts.len()
            ));
        }
    }
    let sql = format!(
        "SELECT c.id, c.application_id, c.item, c.department, c.status, c.state, c.started_at,
                c.promised_deadline, c.legal_deadline, c.warned, c.overdue, c.legal_overdue, c.division,
                a.applicant_name, a.applicant_key, a.target_kind, a.target_code, a.channel
         FROM (SELECT id FROM ({}) u {} {}) p
         JOIN item_case c ON c.id = p.id JOIN application a ON a.id = c.application_id
         {}",
        parts.join(" UNION ALL "),
        queue_order(""),
        w.page(page),
        queue_order("c.")
    );
    Some((sql, w))
}

impl OnethingQueries<'_> {
    /// A whole application aggregate, read outside the writer.
    pub async fn application(self, id: ApplicationId) -> Result<Option<Application>> {
        let mut conn = self.read_pool().acquire().await?;
        let mut apps = load_aggregates(&mut conn, &[id.0]).await?;
        Ok(apps.pop())
    }

    pub async fn applications(self, f: &AppFilter, page: Page) -> Result<Vec<AppSummary>> {
        let (sql, w) = applications_query(f, page);
        self.rows(sql, &w).await?.iter().map(summary_from_row).collect()
    }

    /// The applicant's last application of the same bundle or item, for a repeat.
    pub async fn prior_application(self, applicant_key: &str, target_code: &str) -> Result<Option<Prior>> {
        // A point look-up (see `lookup`): every filing asks it.
        self.lookup_one(
            "SELECT a.id, d.form, d.materials FROM application a JOIN application_doc d ON d.application_id = a.id
             WHERE a.applicant_key = $1 AND a.target_code = $2 AND a.status <> 'withdrawn'
             ORDER BY a.submitted_at DESC, a.id DESC LIMIT 1",
            &[Value::S(applicant_key.to_owned()), Value::S(target_code.to_owned())],
            |r| {
                Ok(Prior {
                    id: ApplicationId(r.int("id")?),
                    form: serde_json::from_str(&r.text("form")?).map_err(|e| StoreError::Corrupt(format!("form: {e}")))?,
                    materials: serde_json::from_str::<Vec<MaterialEntry>>(&r.text("materials")?)
                        .map_err(|e| StoreError::Corrupt(format!("materials: {e}")))?,
                })
            },
        )
        .await
    }

    /// A department's (or everyone's) cases, most urgent first.
    pub async fn case_queue(self, f: &CaseFilter, page: Page) -> Result<Vec<CaseRow>> {
        let departments = match given(f.department.as_deref()) {
            Some(d) => vec![d.to_owned()],
            None => self.case_departments().await?,
        };
        let Some((sql, w)) = case_queue_query(f, page, &departments) else { return Ok(Vec::new()) };
        self.rows(sql, &w).await?.iter().map(case_row).collect()
    }

    /// The department (and application) a case belongs to.
    pub async fn case_owner(self, case: CaseId) -> Result<Option<(ApplicationId, String)>> {
        let row = sqlx::query("SELECT application_id, department FROM item_case WHERE id = $1")
            .bind(case.0)
            .fetch_optional(self.read_pool())
            .await?;
        row.map(|r| Ok((ApplicationId(r.try_get("application_id")?), r.try_get("department")?))).transpose()
    }

    pub async fn rectifications(self, department: Option<&str>, status: Option<&str>, page: Page) -> Result<Vec<RectificationRow>> {
        let mut w = Conditions::default();
        if let Some(d) = given(department) {
            w.equals("r.department", Value::S(d.to_owned()));
        }
        if let Some(s) = given(status) {
            w.equals("r.status", Value::S(s.to_owned()));
        }
        let sql = format!(
            "SELECT r.*, a.target_code, a.applicant_name, a.first_rating FROM rectification r
             JOIN application a ON a.id = r.application_id {}
             ORDER BY CASE r.status WHEN 'open' THEN 0 WHEN 'responded' THEN 1 ELSE 2 END, r.due_on, r.id {}",
            w.clause(),
            w.page(page)
        );
        let rows = self.rows(sql, &w).await?;
        rows.iter()
            .map(|r| {
                Ok(RectificationRow {
                    id: RectificationId(r.try_get("id")?),
                    application: ApplicationId(r.try_get("application_id")?),
                    department: r.try_get("department")?,
                    status: r.try_get("status")?,
                    opened_at: codec::parse_ts(&r.try_get::<String, _>("opened_at")?)?,
                    due_on: codec::parse_date(&r.try_get::<String, _>("due_on")?)?,
                    overdue: r.try_get::<i64, _>("overdue")? != 0,
                    response: r.try_get("response")?,
                    closing_level: r.try_get("closing_level")?,
                    target_code: r.try_get("target_code")?,
                    applicant_name: r.try_get("applicant_name")?,
                    first_rating: r.try_get("first_rating")?,
                })
            })
            .collect()
    }

    /// The application a rectification belongs to and its department.
    pub async fn rectification_owner(self, id: RectificationId) -> Result<Option<(ApplicationId, String)>> {
        let row = sqlx::query("SELECT application_id, department FROM rectification WHERE id = $1")
            .bind(id.0)
            .fetch_optional(self.read_pool())
            .await?;
        row.map(|r| Ok((ApplicationId(r.try_get("application_id")?), r.try_get("department")?))).transpose()
    }

    pub async fn history(self, app: ApplicationId) -> Result<Vec<HistoryEntry>> {
        let rows = sqlx::query("SELECT * FROM history WHERE application_id = $1 ORDER BY seq")
            .bind(app.0)
            .fetch_all(self.read_pool())
            .await?;
        rows.iter().map(history_from_row).collect()
    }

    /// Applications the deadline scheduler must look at on `today`.
    pub async fn due_applications(self, today: NaiveDate, limit: i64) -> Result<Vec<ApplicationId>> {
        let rows = sqlx::query(
            "SELECT id FROM application WHERE next_check_on IS NOT NULL AND next_check_on <= $1 ORDER BY next_check_on, id LIMIT $2",
        )
        .bind(codec::date(today))
        .bind(limit)
        .fetch_all(self.read_pool())
        .await?;
        rows.iter().map(|r| Ok(ApplicationId(r.try_get("id")?))).collect()
    }

    /// Checks every application's hash chain against its recorded head, calling `progress` with
    /// the number of applications checked so far.
    pub async fn verify_histories(self, mut progress: impl FnMut(u64, u64)) -> Result<VerifyReport> {
        let total: i64 = sqlx::query("SELECT COUNT(*) AS n FROM application").fetch_one(self.read_pool()).await?.try_get("n")?;
        let total = u64::try_from(total).unwrap_or(0);
        let mut report = VerifyReport::default();
        let mut after = i64::MIN;
        loop {
            let apps = sqlx::query("SELECT id, status, history_seq, history_head FROM application WHERE id > $1 ORDER BY id LIMIT 500")
                .bind(after)
                .fetch_all(self.read_pool())
                .await?;
            if apps.is_empty() {
                break;
            }
            let first: i64 = apps[0].try_get("id")?;
            let last: i64 = apps[apps.len() - 1].try_get("id")?;
            let rows = sqlx::query("SELECT * FROM history WHERE application_id >= $1 AND application_id <= $2 ORDER BY application_id, seq")
                .bind(first)
                .bind(last)
                .fetch_all(self.read_pool())
                .await?;
            let mut entries: std::collections::BTreeMap<i64, Vec<HistoryEntry>> = Default::default();
            for r in &rows {
                let e = history_from_row(r)?;
                entries.entry(e.application.0).or_default().push(e);
            }
            // The rows the history must replay to.
            let case_rows = sqlx::query("SELECT id, application_id, status, state FROM item_case WHERE application_id >= $1 AND application_id <= $2")
                .bind(first)
                .bind(last)
                .fetch_all(self.read_pool())
                .await?;
            let mut cases: std::collections::BTreeMap<i64, Vec<onething::history::StoredCase>> = Default::default();
            for r in &case_rows {
                let stored = onething::history::StoredCase { id: CaseId(r.try_get("id")?), status: r.try_get("status")?, state: r.try_get("state")? };
                cases.entry(r.try_get("application_id")?).or_default().push(stored);
            }
            for a in &apps {
                let id: i64 = a.try_get("id")?;
                let head = ChainHead { seq: a.try_get("history_seq")?, hash: a.try_get("history_head")? };
                let list = entries.remove(&id).unwrap_or_default();
                report.entries += list.len() as u64;
                if let Err(e) = onething::history::verify(ApplicationId(id), &list, &head) {
                    report.broken.push((ApplicationId(id), describe_break(&e)));
                } else if let Err(why) = onething::history::replay(&list, cases.get(&id).map_or(&[][..], Vec::as_slice), &a.try_get::<String, _>("status")?) {
                    report.broken.push((ApplicationId(id), format!("{why} (历史记录与当前数据不符 the stored rows differ from what the history says)")));
                }
            }
            report.orphans += entries.values().map(|v| v.len() as u64).sum::<u64>();
            report.applications += apps.len() as u64;
            progress(report.applications, total);
            after = last;
        }
        // Entries of applications that were deleted outright.
        let orphans: i64 = sqlx::query(
            "SELECT COUNT(*) AS n FROM history h WHERE NOT EXISTS (SELECT 1 FROM application a WHERE a.id = h.application_id)",
        )
        .fetch_one(self.read_pool())
        .await?
        .try_get("n")?;
        report.orphans = u64::try_from(orphans).unwrap_or(0);
        Ok(report)
    }
}

impl Store {

    /// The departments that have cases, in order.
    async fn case_departments(&self) -> Result<Vec<String>> {
        let rows = sqlx::query(CASE_DEPARTMENTS).fetch_all(self.read_pool()).await?;
        rows.iter().map(|r| Ok(r.try_get("dep")?)).collect()
    }
}

fn describe_break(e: &ChainBreak) -> String {
    e.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SQLite's plan for a list query: one line per step.
    async fn plan(store: &Store, (sql, w): (String, Conditions)) -> String {
        let rows = store.rows(format!("EXPLAIN QUERY PLAN {sql}"), &w).await.unwrap();
        rows.iter().map(|r| r.try_get::<String, _>("detail").unwrap()).collect::<Vec<_>>().join("\n")
    }

    /// A resident's applications, a window's, a department's queue and the outbox's counts are found
    /// through their indexes, not by reading every application, case or notice (57–300 ms a page with
    /// 100,000 applications while the lists' filters were written as `($1 = '' OR column = $1)`).
    #[tokio::test]
    async fn lists_and_counts_are_served_from_their_indexes() {
        let dir = tempfile::tempdir().unwrap();
        let store = crate::file_store(&dir).await;
        let mine = AppFilter { applicant_account: Some(AccountId(7)), ..AppFilter::default() };
        let p = plan(&store, applications_query(&mine, Page::default())).await;
        assert!(p.contains("USING INDEX application_applicant (applicant_account=?)"), "{p}");
        // Filtered by status too, each still from its own index.
        let mine_done = AppFilter { status: Some("completed".into()), ..mine.clone() };
        let p = plan(&store, applications_query(&mine_done, Page::default())).await;
        assert!(p.contains("USING INDEX application_applicant (applicant_account=?)") && !p.contains("TEMP B-TREE"), "{p}");
        let department = AppFilter { department: Some("ga".into()), status: Some("supplementing".into()), ..AppFilter::default() };
        let p = plan(&store, applications_query(&department, Page::default())).await;
        assert!(p.contains("USING INDEX application_status (status=?)") && !p.contains("TEMP B-TREE"), "{p}");
        let bundle = AppFilter { target: Some("birth".into()), status: Some("completed".into()), ..AppFilter::default() };
        let p = plan(&store, applications_query(&bundle, Page::default())).await;
        assert!(p.contains("USING INDEX application_target (target_code=? AND status=?)"), "{p}");
        let rare = AppFilter { status: Some("withdrawn".into()), ..bundle };
        let p = plan(&store, applications_query(&rare, Page::default())).await;
        assert!(p.contains("USING INDEX application_"), "{p}");
        // A status the partial index leaves out is found walking the newest first.
        let common = AppFilter { status: Some("in_progress".into()), ..department.clone() };
        let p = plan(&store, applications_query(&common, Page::default())).await;
        assert!(!p.contains("application_status"), "{p}");
        let window = AppFilter { division: Some("330111001".into()), ..AppFilter::default() };
        let p = plan(&store, applications_query(&window, Page::default())).await;
        assert!(p.contains("INDEX application_division (division>? AND division<?)"), "{p}");
        let window_done = AppFilter { status: Some("completed".into()), ..window };
        let p = plan(&store, applications_query(&window_done, Page::default())).await;
        assert!(p.contains("INDEX application_division (division>? AND division<?)"), "{p}");
        // A queue is read from the index, each department's cases of each status in the queue's
        // order; only the first entries of each are merged and sorted (two sorts however many
        // departments and statuses), never every case.
        let queue = |f: &CaseFilter, departments: &[&str]| {
            let departments: Vec<String> = departments.iter().map(|d| (*d).to_owned()).collect();
            case_queue_query(f, Page::default(), &departments).expect("a statement")
        };
        let from_index = |p: &str, parts: usize| {
            assert_eq!(p.matches("INDEX item_case_queue (department=? AND status=?").count(), parts, "{p}");
            assert_eq!(p.matches("TEMP B-TREE").count(), 2, "{p}");
            assert!(!p.contains("SCAN c"), "{p}");
        };
        let clerk = CaseFilter { department: Some("ga".into()), division: Some("330111".into()), ..CaseFilter::default() };
        from_index(&plan(&store, queue(&clerk, &["ga"])).await, 3);
        let due = CaseFilter { due_by: Some(NaiveDate::from_ymd_opt(2026, 12, 1).unwrap()), ..clerk.clone() };
        from_index(&plan(&store, queue(&due, &["ga"])).await, 1);
        let approved = CaseFilter { department: Some("ga".into()), statuses: vec!["approved".into()], ..CaseFilter::default() };
        from_index(&plan(&store, queue(&approved, &["ga"])).await, 1);
        let everyone = CaseFilter { overdue_only: true, ..CaseFilter::default() };
        from_index(&plan(&store, queue(&everyone, &["cl", "ga", "mzj", "wjw"])).await, 12);
        // Nothing can match: no statement at all.
        let waiting_due = CaseFilter { statuses: vec!["waiting".into()], ..due };
        assert!(case_queue_query(&waiting_due, Page::default(), &["ga".to_owned()]).is_none());
        assert!(case_queue_query(&clerk, Page::default(), &[]).is_none());
        // The outbox's counts read the partial indexes of pending and failed notices, not every notice.
        let p = plan(&store, (crate::queries::notices::OUTBOX_COUNTS.to_owned(), Conditions::default())).await;
        assert!(p.contains("INDEX notice_pending (next_attempt_at>?)") && p.contains("INDEX notice_failed (next_attempt_at>?)"), "{p}");
        // Filters given as empty strings are no filters (the web pages send them so).
        let blank = AppFilter { status: Some(String::new()), target: Some(String::new()), ..AppFilter::default() };
        assert_eq!(applications_query(&blank, Page::default()).0, applications_query(&AppFilter::default(), Page::default()).0);
        store.close().await;
    }
}
