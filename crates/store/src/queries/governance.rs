//! Community governance's queries: each governed thing (estate, issue, permit, ledger, budget
//! line, expense, meeting, project) kept whole as the engine's JSON with the columns its lists
//! filter on, saved by version; who plays a part in which estate; permits pushed to their
//! supervising departments; Open311 client applications and their keys.

use chrono::DateTime;
use chrono::Utc;

use crate::Result;
use crate::codec;
use crate::codec::Value;
use crate::handles::GovernanceQueries;
use crate::lookup::Cols;
use crate::queries::Conditions;
use crate::queries::Page;
use crate::queries::PlainNotice;
use crate::queries::datapool::PLAIN_NOTICE_COLUMNS;
use crate::queries::datapool::plain_notice_values;
use crate::queries::docs::DocTable;
use crate::writer::insert_rows;

/// One governed thing: the engine's record as JSON and the columns lists filter on (what each
/// column means for each kind is in migration 0019; `parent` is the estate).
pub type GovDoc = crate::queries::docs::Doc;

/// A list's filters over governed things (`parent` is the estate).
pub type GovFilter = crate::queries::docs::DocFilter;

const TABLE: DocTable = DocTable { table: "gov_doc", parent: "estate" };

/// What one change writes, all or nothing.
#[derive(Debug, Clone, Default)]
pub struct GovChange {
    /// New (version 1) or changed (the version read plus one) things.
    pub docs: Vec<GovDoc>,
    /// An estate whose parts are replaced by these (account, part).
    pub members: Option<(i64, Vec<(i64, String)>)>,
    /// A permit pushed to departments.
    pub pushes: Vec<(i64, String)>,
    /// Noise complaints matched to permits: (permit, issue).
    pub complaints: Vec<(i64, i64)>,
    /// Told only if the change is written.
    pub notices: Vec<PlainNotice>,
}

/// An Open311 client application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GovClientRow {
    pub id: i64,
    pub name: String,
    pub key_hash: String,
    /// The account its reports are made by when no resident signs them.
    pub account: i64,
    pub created_by: i64,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

const CLIENT_COLUMNS: &[&str] = &["id", "name", "key_hash", "account", "created_by", "created_at", "revoked_at"];
const CLIENT_SELECT: &str = "SELECT id, name, key_hash, account, created_by, created_at, revoked_at FROM gov_client";

fn client_row(r: &dyn Cols) -> Result<GovClientRow> {
    Ok(GovClientRow {
        id: r.int("id")?,
        name: r.text("name")?,
        key_hash: r.text("key_hash")?,
        account: r.int("account")?,
        created_by: r.int("created_by")?,
        created_at: codec::parse_ts(&r.text("created_at")?)?,
        revoked_at: codec::parse_ts_opt(r.text_opt("revoked_at")?)?,
    })
}

/// The columns of an issue the cockpit counts (no document read).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GovIssueFigures {
    pub town: String,
    pub state: String,
    pub created_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    pub escalations: i64,
}

impl GovernanceQueries<'_> {
    /// Writes a change in one transaction: `false` (nothing written) if any thing's stored version
    /// is not the one its change was made from, or a new thing's id is taken.
    pub async fn save(self, change: &GovChange, at: DateTime<Utc>) -> Result<bool> {
        let mut tx = self.write_pool().begin().await?;
        if !TABLE.write(&mut tx, &change.docs).await? {
            tx.rollback().await?;
            return Ok(false);
        }
        if let Some((estate, parts)) = &change.members {
            sqlx::query("DELETE FROM gov_member WHERE estate = $1").bind(*estate).execute(&mut *tx).await?;
            let rows: Vec<Vec<Value>> = parts.iter().map(|(a, p)| vec![Value::I(*a), Value::I(*estate), Value::S(p.clone())]).collect();
            if !rows.is_empty() {
                insert_rows(&mut tx, "gov_member", &["account", "estate", "part"], &rows, "ON CONFLICT (account, estate, part) DO NOTHING").await?;
            }
        }
        if !change.pushes.is_empty() {
            let rows: Vec<Vec<Value>> = change.pushes.iter().map(|(p, d)| vec![Value::I(*p), Value::S(d.clone()), Value::S(codec::ts(at))]).collect();
            insert_rows(&mut tx, "gov_permit_push", &["permit", "department", "pushed_at"], &rows, "ON CONFLICT (permit, department) DO NOTHING").await?;
        }
        if !change.complaints.is_empty() {
            let rows: Vec<Vec<Value>> = change.complaints.iter().map(|(p, i)| vec![Value::I(*p), Value::I(*i)]).collect();
            insert_rows(&mut tx, "gov_permit_complaint", &["permit", "issue"], &rows, "ON CONFLICT (permit, issue) DO NOTHING").await?;
        }
        if !change.notices.is_empty() {
            let t = codec::ts(at);
            let rows: Vec<Vec<Value>> = change.notices.iter().map(|n| plain_notice_values(n, &t)).collect();
            insert_rows(&mut tx, "notice", PLAIN_NOTICE_COLUMNS, &rows, "").await?;
        }
        tx.commit().await?;
        self.flushed(true).await
    }

    /// Loads many new things in one transaction (a district's synthetic issues, a benchmark);
    /// those whose id is taken are left as they are. How many were written.
    pub async fn load(self, docs: &[GovDoc]) -> Result<u64> {
        TABLE.load(&self, docs).await
    }

    /// After a bulk load: the planner's statistics brought up to date (PostgreSQL's autovacuum
    /// would in time; SQLite plans from its indexes).
    pub async fn analyze(self) -> Result<()> {
        TABLE.analyze(&self).await
    }

    /// One thing by kind and id.
    pub async fn doc(self, kind: &str, id: i64) -> Result<Option<GovDoc>> {
        TABLE.doc(&self, kind, id).await
    }

    /// Things of a kind by id (those that exist).
    pub async fn docs(self, kind: &str, ids: &[i64]) -> Result<Vec<GovDoc>> {
        TABLE.docs(&self, kind, ids).await
    }

    /// Things of a kind, newest first, a page at a time, with how many there are in all.
    pub async fn list(self, kind: &str, f: &GovFilter, page: Page) -> Result<(Vec<GovDoc>, i64)> {
        TABLE.list(&self, kind, f, page).await
    }

    /// Every thing of a kind matching the filter (estates, an estate's lines: small sets).
    pub async fn all(self, kind: &str, f: &GovFilter) -> Result<Vec<GovDoc>> {
        TABLE.all(&self, kind, f).await
    }

    /// What tells whether any thing of a kind changed: how many there are and the sum of their
    /// versions (every change adds one).
    pub async fn mark(self, kind: &str) -> Result<(i64, i64)> {
        TABLE.mark_of(&self, kind, &GovFilter::default()).await
    }

    /// Things of a kind whose time ran out before `now` (a deadline, or the wait for a reporter's
    /// confirmation), oldest first.
    pub async fn due(self, kind: &str, now: DateTime<Utc>, limit: i64) -> Result<Vec<GovDoc>> {
        TABLE.due(&self, kind, now, limit).await
    }

    /// The estates an account plays a part in, with the part.
    pub async fn parts_of(self, account: i64) -> Result<Vec<(i64, String)>> {
        self.lookup("SELECT estate, part FROM gov_member WHERE account = $1 ORDER BY estate, part", &[Value::I(account)], |r| Ok((r.int("estate")?, r.text("part")?))).await
    }

    /// The permits pushed to a department, newest first: (permit, pushed at).
    pub async fn pushed_to(self, department: &str, page: Page) -> Result<Vec<(i64, DateTime<Utc>)>> {
        let mut w = Conditions::default();
        w.equals("department", Value::S(department.to_owned()));
        let clause = w.clause();
        let limit = w.page(page);
        self.rows(format!("SELECT permit, pushed_at FROM gov_permit_push {clause} ORDER BY pushed_at DESC, permit DESC {limit}"), &w)
            .await?
            .iter()
            .map(|r| Ok((r.int("permit")?, codec::parse_ts(&r.text("pushed_at")?)?)))
            .collect()
    }

    /// The departments a permit was pushed to, with when.
    pub async fn pushes_of(self, permit: i64) -> Result<Vec<(String, DateTime<Utc>)>> {
        self.lookup("SELECT department, pushed_at FROM gov_permit_push WHERE permit = $1 ORDER BY department", &[Value::I(permit)], |r| {
            Ok((r.text("department")?, codec::parse_ts(&r.text("pushed_at")?)?))
        })
        .await
    }

    /// Complaints per permit, for those with any.
    pub async fn complaints_per_permit(self) -> Result<Vec<(i64, i64)>> {
        let w = Conditions::default();
        self.rows("SELECT permit, COUNT(*) AS n FROM gov_permit_complaint GROUP BY permit ORDER BY permit".into(), &w).await?.iter().map(|r| Ok((r.int("permit")?, r.int("n")?))).collect()
    }

    /// The complaints matched to a permit.
    pub async fn complaints_of(self, permit: i64) -> Result<i64> {
        Ok(self.lookup_one("SELECT COUNT(*) AS n FROM gov_permit_complaint WHERE permit = $1", &[Value::I(permit)], |r| r.int("n")).await?.unwrap_or(0))
    }

    /// The cockpit's columns of the issues reported from `since`.
    pub async fn issue_figures(self, since: DateTime<Utc>) -> Result<Vec<GovIssueFigures>> {
        let mut w = Conditions::default();
        w.equals("kind", Value::S("issue".into()));
        let p = w.bind(Value::S(codec::ts(since)));
        w.and(format!("created_at >= {p}"));
        self.rows(format!("SELECT town, state, created_at, closed_at, n FROM gov_doc {}", w.clause()), &w)
            .await?
            .iter()
            .map(|r| {
                Ok(GovIssueFigures {
                    town: r.text_opt("town")?.unwrap_or_default(),
                    state: r.text_opt("state")?.unwrap_or_default(),
                    created_at: codec::parse_ts(&r.text("created_at")?)?,
                    closed_at: codec::parse_ts_opt(r.text_opt("closed_at")?)?,
                    escalations: r.int_opt("n")?.unwrap_or(0),
                })
            })
            .collect()
    }

    /// Registers an Open311 client application.
    pub async fn insert_client(self, c: &GovClientRow) -> Result<()> {
        self.insert_all("gov_client", CLIENT_COLUMNS, &[vec![
            Value::I(c.id),
            Value::S(c.name.clone()),
            Value::S(c.key_hash.clone()),
            Value::I(c.account),
            Value::I(c.created_by),
            Value::S(codec::ts(c.created_at)),
            Value::OptS(codec::ts_opt(c.revoked_at)),
        ]], "")
        .await?;
        Ok(())
    }

    /// The client application holding a key (by the key's hash), revoked or not.
    pub async fn client_by_key(self, key_hash: &str) -> Result<Option<GovClientRow>> {
        self.lookup_one("SELECT id, name, key_hash, account, created_by, created_at, revoked_at FROM gov_client WHERE key_hash = $1", &[Value::S(key_hash.to_owned())], client_row).await
    }

    /// Every client application, newest first.
    pub async fn clients(self) -> Result<Vec<GovClientRow>> {
        let w = Conditions::default();
        self.rows(format!("{CLIENT_SELECT} ORDER BY created_at DESC, id DESC"), &w).await?.iter().map(|r| client_row(r)).collect()
    }

    /// Revokes a client's key: `false` if there is no such client or it was revoked already.
    pub async fn revoke_client(self, id: i64, at: DateTime<Utc>) -> Result<bool> {
        let n = sqlx::query("UPDATE gov_client SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL").bind(codec::ts(at)).bind(id).execute(self.write_pool()).await?.rows_affected();
        self.flushed(n == 1).await
    }

    /// Shared records of a type issued after `since`, oldest first: (id, subject key, issued at,
    /// valid until, data as JSON). The duty reads issued certificates with it.
    pub async fn records_issued_since(self, record_type: &str, since: DateTime<Utc>, limit: i64) -> Result<Vec<(i64, String, DateTime<Utc>, Option<String>, String)>> {
        let mut w = Conditions::default();
        w.equals("record_type", Value::S(record_type.to_owned()));
        let p = w.bind(Value::S(codec::ts(since)));
        w.and(format!("issued_at > {p}"));
        let clause = w.clause();
        let l = w.bind(Value::I(limit));
        self.rows(format!("SELECT id, subject_key, issued_at, valid_until, data FROM shared_record {clause} ORDER BY issued_at, id LIMIT {l}"), &w)
            .await?
            .iter()
            .map(|r| Ok((r.int("id")?, r.text("subject_key")?, codec::parse_ts(&r.text("issued_at")?)?, r.text_opt("valid_until")?, r.text("data")?)))
            .collect()
    }

    /// A mark of how far the duty has read.
    pub async fn watermark(self, name: &str) -> Result<Option<String>> {
        self.lookup_one("SELECT value FROM gov_watermark WHERE name = $1", &[Value::S(name.to_owned())], |r| r.text("value")).await
    }

    /// Moves a mark forward (never back).
    pub async fn set_watermark(self, name: &str, value: &str) -> Result<()> {
        let mut conn = self.write_pool().acquire().await?;
        insert_rows(
            &mut conn,
            "gov_watermark",
            &["name", "value"],
            &[vec![Value::S(name.to_owned()), Value::S(value.to_owned())]],
            "ON CONFLICT (name) DO UPDATE SET value = excluded.value WHERE gov_watermark.value < excluded.value",
        )
        .await?;
        drop(conn);
        self.flushed(()).await
    }
}
