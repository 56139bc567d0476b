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
use crate::queries::in_ints;
use crate::writer::insert_rows;

/// One governed thing: the engine's record as JSON and the columns lists filter on (what each
/// column means for each kind is in migration 0019).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GovDoc {
    /// estate | issue | permit | ledger | budget_line | expense | meeting | project
    pub kind: String,
    pub id: i64,
    pub estate: Option<i64>,
    pub community: Option<String>,
    pub town: Option<String>,
    pub state: Option<String>,
    /// Work is owed on it.
    pub open: bool,
    pub actor: Option<i64>,
    /// Who must act now.
    pub queue: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub due_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub year: Option<i64>,
    /// A count or an amount (see the migration).
    pub n: Option<i64>,
    /// The engine's record.
    pub doc: String,
    /// 1 when new; one more with every change.
    pub version: i64,
}

const DOC_COLUMNS: &[&str] = &[
    "kind", "id", "estate", "community", "town", "state", "open", "actor", "queue", "created_at", "updated_at", "due_at", "closed_at", "year", "n", "doc", "version",
];
const DOC_SELECT: &str = "SELECT kind, id, estate, community, town, state, open, actor, queue, created_at, updated_at, due_at, closed_at, year, n, doc, version FROM gov_doc";

fn doc_row(r: &dyn Cols) -> Result<GovDoc> {
    Ok(GovDoc {
        kind: r.text("kind")?,
        id: r.int("id")?,
        estate: r.int_opt("estate")?,
        community: r.text_opt("community")?,
        town: r.text_opt("town")?,
        state: r.text_opt("state")?,
        open: r.int("open")? != 0,
        actor: r.int_opt("actor")?,
        queue: r.text_opt("queue")?,
        created_at: codec::parse_ts(&r.text("created_at")?)?,
        updated_at: codec::parse_ts(&r.text("updated_at")?)?,
        due_at: codec::parse_ts_opt(r.text_opt("due_at")?)?,
        closed_at: codec::parse_ts_opt(r.text_opt("closed_at")?)?,
        year: r.int_opt("year")?,
        n: r.int_opt("n")?,
        doc: r.text("doc")?,
        version: r.int("version")?,
    })
}

fn doc_values(d: &GovDoc) -> Vec<Value> {
    vec![
        Value::S(d.kind.clone()),
        Value::I(d.id),
        Value::OptI(d.estate),
        Value::OptS(d.community.clone()),
        Value::OptS(d.town.clone()),
        Value::OptS(d.state.clone()),
        Value::I(i64::from(d.open)),
        Value::OptI(d.actor),
        Value::OptS(d.queue.clone()),
        Value::S(codec::ts(d.created_at)),
        Value::S(codec::ts(d.updated_at)),
        Value::OptS(codec::ts_opt(d.due_at)),
        Value::OptS(codec::ts_opt(d.closed_at)),
        Value::OptI(d.year),
        Value::OptI(d.n),
        Value::S(d.doc.clone()),
        Value::I(d.version),
    ]
}

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

/// A list's filters; those not given do not filter.
#[derive(Debug, Clone, Default)]
pub struct GovFilter {
    pub estate: Option<i64>,
    /// A division code: the community and those below it.
    pub community: Option<String>,
    pub town: Option<String>,
    pub state: Option<String>,
    pub open: Option<bool>,
    pub actor: Option<i64>,
    pub queue: Option<String>,
    pub queues: Option<Vec<String>>,
    pub year: Option<i64>,
    /// `created_at` from (inclusive) and until (exclusive).
    pub created_from: Option<DateTime<Utc>>,
    pub created_until: Option<DateTime<Utc>>,
    /// Newest first by `created_at` (else by `updated_at`).
    pub by_created: bool,
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

fn filter(f: &GovFilter, kind: &str) -> Conditions {
    let mut w = Conditions::default();
    w.equals("kind", Value::S(kind.to_owned()));
    if let Some(e) = f.estate {
        w.equals("estate", Value::I(e));
    }
    if let Some(c) = f.community.as_deref() {
        w.starts_with("community", c);
    }
    if let Some(t) = &f.town {
        w.equals("town", Value::S(t.clone()));
    }
    if let Some(s) = &f.state {
        w.equals("state", Value::S(s.clone()));
    }
    if let Some(o) = f.open {
        w.equals("open", Value::I(i64::from(o)));
    }
    if let Some(a) = f.actor {
        w.equals("actor", Value::I(a));
    }
    if let Some(q) = &f.queue {
        w.equals("queue", Value::S(q.clone()));
    }
    if let Some(qs) = &f.queues {
        crate::queries::in_texts(&mut w, "queue", qs);
    }
    if let Some(y) = f.year {
        w.equals("year", Value::I(y));
    }
    if let Some(t) = f.created_from {
        let p = w.bind(Value::S(codec::ts(t)));
        w.and(format!("created_at >= {p}"));
    }
    if let Some(t) = f.created_until {
        let p = w.bind(Value::S(codec::ts(t)));
        w.and(format!("created_at < {p}"));
    }
    w
}

impl GovernanceQueries<'_> {
    /// Writes a change in one transaction: `false` (nothing written) if any thing's stored version
    /// is not the one its change was made from, or a new thing's id is taken.
    pub async fn save(self, change: &GovChange, at: DateTime<Utc>) -> Result<bool> {
        let sets: Vec<String> = DOC_COLUMNS[2..].iter().map(|c| format!("{c} = excluded.{c}")).collect();
        let tail = format!("ON CONFLICT (kind, id) DO UPDATE SET {} WHERE gov_doc.version = excluded.version - 1", sets.join(", "));
        let mut tx = self.write_pool().begin().await?;
        for d in &change.docs {
            let n = insert_rows(&mut tx, "gov_doc", DOC_COLUMNS, &[doc_values(d)], &tail).await?;
            if n != 1 {
                tx.rollback().await?;
                return Ok(false);
            }
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
        let rows: Vec<Vec<Value>> = docs.iter().map(doc_values).collect();
        self.insert_all("gov_doc", DOC_COLUMNS, &rows, "ON CONFLICT (kind, id) DO NOTHING").await
    }

    /// After a bulk load: the planner's statistics brought up to date (PostgreSQL's autovacuum
    /// would in time; SQLite plans from its indexes).
    pub async fn analyze(self) -> Result<()> {
        if self.backend() == crate::Backend::Postgres {
            sqlx::query("ANALYZE gov_doc").execute(self.write_pool()).await?;
        }
        Ok(())
    }

    /// One thing by kind and id.
    pub async fn doc(self, kind: &str, id: i64) -> Result<Option<GovDoc>> {
        let mut w = Conditions::default();
        w.equals("kind", Value::S(kind.to_owned()));
        w.equals("id", Value::I(id));
        self.rows(format!("{DOC_SELECT} {}", w.clause()), &w).await?.iter().map(|r| doc_row(r)).next().transpose()
    }

    /// Things of a kind by id (those that exist).
    pub async fn docs(self, kind: &str, ids: &[i64]) -> Result<Vec<GovDoc>> {
        crate::queries::chunked(
            &self,
            ids,
            |chunk| {
                let mut w = Conditions::default();
                w.equals("kind", Value::S(kind.to_owned()));
                in_ints(&mut w, "id", chunk);
                (format!("{DOC_SELECT} {}", w.clause()), w)
            },
            doc_row,
        )
        .await
    }

    /// Things of a kind, newest first, a page at a time, with how many there are in all.
    pub async fn list(self, kind: &str, f: &GovFilter, page: Page) -> Result<(Vec<GovDoc>, i64)> {
        let mut w = filter(f, kind);
        let total = self.rows(format!("SELECT COUNT(*) AS n FROM gov_doc {}", w.clause()), &w).await?.iter().map(|r| r.int("n")).next().transpose()?.unwrap_or(0);
        let order = if f.by_created { "created_at DESC, id DESC" } else { "updated_at DESC, id DESC" };
        let clause = w.clause();
        let limit = w.page(page);
        let rows = self.rows(format!("{DOC_SELECT} {clause} ORDER BY {order} {limit}"), &w).await?;
        Ok((rows.iter().map(|r| doc_row(r)).collect::<Result<Vec<_>>>()?, total))
    }

    /// Every thing of a kind matching the filter (estates, an estate's lines: small sets).
    pub async fn all(self, kind: &str, f: &GovFilter) -> Result<Vec<GovDoc>> {
        let w = filter(f, kind);
        self.rows(format!("{DOC_SELECT} {} ORDER BY id", w.clause()), &w).await?.iter().map(|r| doc_row(r)).collect()
    }

    /// What tells whether any thing of a kind changed: how many there are and the sum of their
    /// versions (every change adds one).
    pub async fn mark(self, kind: &str) -> Result<(i64, i64)> {
        let mut w = Conditions::default();
        w.equals("kind", Value::S(kind.to_owned()));
        let rows = self.rows(format!("SELECT COUNT(*) AS n, CAST(COALESCE(SUM(version), 0) AS BIGINT) AS v FROM gov_doc {}", w.clause()), &w).await?;
        rows.iter().map(|r| Ok((r.int("n")?, r.int("v")?))).next().transpose().map(Option::unwrap_or_default)
    }

    /// Things of a kind whose time ran out before `now` (a deadline, or the wait for a reporter's
    /// confirmation), oldest first.
    pub async fn due(self, kind: &str, now: DateTime<Utc>, limit: i64) -> Result<Vec<GovDoc>> {
        let mut w = Conditions::default();
        w.equals("kind", Value::S(kind.to_owned()));
        let p = w.bind(Value::S(codec::ts(now)));
        w.and(format!("due_at < {p}"));
        let clause = w.clause();
        let l = w.bind(Value::I(limit));
        self.rows(format!("{DOC_SELECT} {clause} ORDER BY due_at LIMIT {l}"), &w).await?.iter().map(|r| doc_row(r)).collect()
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
