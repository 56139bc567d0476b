//! Documents kept whole: an engine's record as JSON in `doc` with the columns its lists filter on
//! beside it and a version that goes up by one with every change. Governance (`gov_doc`), places
//! (`place_doc`) and halls (`hall_doc`) keep their records this way; each names its table and what
//! its `parent` column is called. Places and halls also keep claims (`place_claim`, `hall_claim`):
//! what one thing only may hold, taken in the same transaction as the thing.

use chrono::DateTime;
use chrono::Utc;
use sqlx::AnyConnection;

use crate::Result;
use crate::Store;
use crate::codec;
use crate::codec::Value;
use crate::lookup::Cols;
use crate::queries::Conditions;
use crate::queries::Page;
use crate::queries::PlainNotice;
use crate::queries::datapool::PLAIN_NOTICE_COLUMNS;
use crate::queries::datapool::plain_notice_values;
use crate::queries::in_ints;
use crate::writer::insert_rows;

/// One kept record: the engine's record as JSON and the columns lists filter on (what each
/// column means for each kind is in the table's migration).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Doc {
    pub kind: String,
    pub id: i64,
    /// The record it belongs to (an estate, an institution, a housing project, …).
    pub parent: Option<i64>,
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

/// A list's filters; those not given do not filter.
#[derive(Debug, Clone, Default)]
pub struct DocFilter {
    pub parent: Option<i64>,
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

/// What one change writes, all or nothing.
#[derive(Debug, Clone, Default)]
pub struct DocChange {
    /// New (version 1) or changed (the version read plus one) things.
    pub docs: Vec<Doc>,
    /// Claims taken: (kind, claim, the thing holding it).
    pub claims: Vec<(String, String, i64)>,
    /// Claims let go: (kind, claim).
    pub releases: Vec<(String, String)>,
    /// Told only if the change is written.
    pub notices: Vec<PlainNotice>,
}

/// How a save went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DocSave {
    /// Written.
    Saved,
    /// Nothing written: a thing changed since it was read (or a new thing's id is taken).
    Stale,
    /// Nothing written: a claim is held by another thing: (kind, claim, holder).
    Claimed(String, String, i64),
}

/// A table of documents: its name and what its parent column is called.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DocTable {
    pub table: &'static str,
    pub parent: &'static str,
}

const TAIL_COLUMNS: &[&str] = &["community", "town", "state", "open", "actor", "queue", "created_at", "updated_at", "due_at", "closed_at", "year", "n", "doc", "version"];

impl DocTable {
    fn columns(&self) -> Vec<&'static str> {
        let mut c = vec!["kind", "id", self.parent];
        c.extend_from_slice(TAIL_COLUMNS);
        c
    }

    fn select(&self) -> String {
        format!("SELECT {} FROM {}", self.columns().join(", "), self.table)
    }

    fn row(&self, r: &dyn Cols) -> Result<Doc> {
        Ok(Doc {
            kind: r.text("kind")?,
            id: r.int("id")?,
            parent: r.int_opt(self.parent)?,
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

    fn filter(&self, f: &DocFilter, kind: &str) -> Conditions {
        let mut w = Conditions::default();
        w.equals("kind", Value::S(kind.to_owned()));
        if let Some(e) = f.parent {
            w.equals(self.parent, Value::I(e));
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

    /// Writes new (version 1) and changed (the version read plus one) documents on `conn`:
    /// `false` as soon as one's stored version is not the one it was changed from or a new one's id
    /// is taken (the caller then rolls back).
    pub(crate) async fn write(&self, conn: &mut AnyConnection, docs: &[Doc]) -> Result<bool> {
        let columns = self.columns();
        let sets: Vec<String> = columns[2..].iter().map(|c| format!("{c} = excluded.{c}")).collect();
        let tail = format!("ON CONFLICT (kind, id) DO UPDATE SET {} WHERE {}.version = excluded.version - 1", sets.join(", "), self.table);
        for d in docs {
            if insert_rows(conn, self.table, &columns, &[values(d)], &tail).await? != 1 {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Writes a change with its claims (kept in `claims`, a table of kind, claim and doc) and
    /// notices in one transaction, or nothing (see [`DocSave`]).
    pub(crate) async fn save_claimed(&self, store: &Store, claims: &'static str, change: &DocChange, at: DateTime<Utc>) -> Result<DocSave> {
        let mut tx = store.write_pool().begin().await?;
        if !self.write(&mut tx, &change.docs).await? {
            tx.rollback().await?;
            return Ok(DocSave::Stale);
        }
        for (kind, claim) in &change.releases {
            sqlx::query(sqlx::AssertSqlSafe(format!("DELETE FROM {claims} WHERE kind = $1 AND claim = $2"))).bind(kind.clone()).bind(claim.clone()).execute(&mut *tx).await?;
        }
        for (kind, claim, doc) in &change.claims {
            let row = vec![Value::S(kind.clone()), Value::S(claim.clone()), Value::I(*doc)];
            let n = insert_rows(&mut tx, claims, &["kind", "claim", "doc"], &[row], "ON CONFLICT (kind, claim) DO NOTHING").await?;
            if n != 1 {
                let holder: Option<i64> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT doc FROM {claims} WHERE kind = $1 AND claim = $2")))
                    .bind(kind.clone())
                    .bind(claim.clone())
                    .fetch_optional(&mut *tx)
                    .await?;
                tx.rollback().await?;
                if holder == Some(*doc) {
                    // Held by the thing itself already: not a conflict; write again without it.
                    let mut again = change.clone();
                    again.claims.retain(|c| !(c.0 == *kind && c.1 == *claim));
                    return Box::pin(self.save_claimed(store, claims, &again, at)).await;
                }
                return Ok(DocSave::Claimed(kind.clone(), claim.clone(), holder.unwrap_or_default()));
            }
        }
        if !change.notices.is_empty() {
            let t = codec::ts(at);
            let rows: Vec<Vec<Value>> = change.notices.iter().map(|n| plain_notice_values(n, &t)).collect();
            insert_rows(&mut tx, "notice", PLAIN_NOTICE_COLUMNS, &rows, "").await?;
        }
        tx.commit().await?;
        store.flushed(DocSave::Saved).await
    }

    /// The thing holding a claim (in `claims`), if any.
    pub(crate) async fn claim(&self, store: &Store, claims: &'static str, kind: &str, claim: &str) -> Result<Option<i64>> {
        let mut w = Conditions::default();
        w.equals("kind", Value::S(kind.to_owned()));
        w.equals("claim", Value::S(claim.to_owned()));
        store.rows(format!("SELECT doc FROM {claims} {}", w.clause()), &w).await?.iter().map(|r| r.int("doc")).next().transpose()
    }

    /// Loads many new documents in one transaction; those whose id is taken are left as they are.
    pub(crate) async fn load(&self, store: &Store, docs: &[Doc]) -> Result<u64> {
        let rows: Vec<Vec<Value>> = docs.iter().map(values).collect();
        store.insert_all(self.table, &self.columns(), &rows, "ON CONFLICT (kind, id) DO NOTHING").await
    }

    /// After a bulk load: the planner's statistics brought up to date.
    pub(crate) async fn analyze(&self, store: &Store) -> Result<()> {
        if store.backend() == crate::Backend::Postgres {
            sqlx::query(sqlx::AssertSqlSafe(format!("ANALYZE {}", self.table))).execute(store.write_pool()).await?;
        }
        Ok(())
    }

    /// One document by kind and id.
    pub(crate) async fn doc(&self, store: &Store, kind: &str, id: i64) -> Result<Option<Doc>> {
        let mut w = Conditions::default();
        w.equals("kind", Value::S(kind.to_owned()));
        w.equals("id", Value::I(id));
        store.rows(format!("{} {}", self.select(), w.clause()), &w).await?.iter().map(|r| self.row(r)).next().transpose()
    }

    /// Documents of a kind by id (those that exist).
    pub(crate) async fn docs(&self, store: &Store, kind: &str, ids: &[i64]) -> Result<Vec<Doc>> {
        let select = self.select();
        crate::queries::chunked(
            store,
            ids,
            |chunk| {
                let mut w = Conditions::default();
                w.equals("kind", Value::S(kind.to_owned()));
                in_ints(&mut w, "id", chunk);
                (format!("{select} {}", w.clause()), w)
            },
            |r| self.row(r),
        )
        .await
    }

    /// Documents of a kind, newest first, a page at a time, with how many there are in all.
    pub(crate) async fn list(&self, store: &Store, kind: &str, f: &DocFilter, page: Page) -> Result<(Vec<Doc>, i64)> {
        let mut w = self.filter(f, kind);
        let total = store.rows(format!("SELECT COUNT(*) AS n FROM {} {}", self.table, w.clause()), &w).await?.iter().map(|r| r.int("n")).next().transpose()?.unwrap_or(0);
        let order = if f.by_created { "created_at DESC, id DESC" } else { "updated_at DESC, id DESC" };
        let clause = w.clause();
        let limit = w.page(page);
        let rows = store.rows(format!("{} {clause} ORDER BY {order} {limit}", self.select()), &w).await?;
        Ok((rows.iter().map(|r| self.row(r)).collect::<Result<Vec<_>>>()?, total))
    }

    /// Every document of a kind matching the filter (small sets), by id.
    pub(crate) async fn all(&self, store: &Store, kind: &str, f: &DocFilter) -> Result<Vec<Doc>> {
        let w = self.filter(f, kind);
        store.rows(format!("{} {} ORDER BY id", self.select(), w.clause()), &w).await?.iter().map(|r| self.row(r)).collect()
    }

    /// What tells whether any document of a kind matching a filter changed: how many there are and
    /// the sum of their versions (every change adds one; an index serves it: a hall's tickets of a
    /// day).
    pub(crate) async fn mark_of(&self, store: &Store, kind: &str, f: &DocFilter) -> Result<(i64, i64)> {
        let w = self.filter(f, kind);
        let rows = store.rows(format!("SELECT COUNT(*) AS n, CAST(COALESCE(SUM(version), 0) AS BIGINT) AS v FROM {} {}", self.table, w.clause()), &w).await?;
        rows.iter().map(|r| Ok((r.int("n")?, r.int("v")?))).next().transpose().map(Option::unwrap_or_default)
    }

    /// Documents of a kind whose time ran out before `now`, oldest first.
    pub(crate) async fn due(&self, store: &Store, kind: &str, now: DateTime<Utc>, limit: i64) -> Result<Vec<Doc>> {
        let mut w = Conditions::default();
        w.equals("kind", Value::S(kind.to_owned()));
        let p = w.bind(Value::S(codec::ts(now)));
        w.and(format!("due_at < {p}"));
        let clause = w.clause();
        let l = w.bind(Value::I(limit));
        store.rows(format!("{} {clause} ORDER BY due_at LIMIT {l}", self.select()), &w).await?.iter().map(|r| self.row(r)).collect()
    }
}

fn values(d: &Doc) -> Vec<Value> {
    vec![
        Value::S(d.kind.clone()),
        Value::I(d.id),
        Value::OptI(d.parent),
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
