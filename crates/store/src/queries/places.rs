//! Places' queries: childcare institutions, applications, enrolments and allocation rounds;
//! housing applications, lottery draws, homes, offers and leases; 善居 projects — each kept whole
//! as the engine's JSON with the columns its lists filter on, saved by version — and the claims
//! that keep a person in one housing application and a child in one childcare application.

use chrono::DateTime;
use chrono::Utc;

use crate::Result;
use crate::codec;
use crate::codec::Value;
use crate::handles::PlacesQueries;
use crate::queries::Page;
use crate::queries::PlainNotice;
use crate::queries::datapool::PLAIN_NOTICE_COLUMNS;
use crate::queries::datapool::plain_notice_values;
use crate::queries::docs::Doc;
use crate::queries::docs::DocFilter;
use crate::queries::docs::DocTable;
use crate::writer::insert_rows;

const TABLE: DocTable = DocTable { table: "place_doc", parent: "parent" };

/// What one change writes, all or nothing.
#[derive(Debug, Clone, Default)]
pub struct PlaceChange {
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
pub enum PlaceSave {
    /// Written.
    Saved,
    /// Nothing written: a thing changed since it was read (or a new thing's id is taken).
    Stale,
    /// Nothing written: a claim is held by another thing: (kind, claim, holder).
    Claimed(String, String, i64),
}

impl PlacesQueries<'_> {
    /// Writes a change in one transaction, or nothing (see [`PlaceSave`]).
    pub async fn save(self, change: &PlaceChange, at: DateTime<Utc>) -> Result<PlaceSave> {
        let mut tx = self.write_pool().begin().await?;
        if !TABLE.write(&mut tx, &change.docs).await? {
            tx.rollback().await?;
            return Ok(PlaceSave::Stale);
        }
        for (kind, claim) in &change.releases {
            sqlx::query("DELETE FROM place_claim WHERE kind = $1 AND claim = $2").bind(kind.clone()).bind(claim.clone()).execute(&mut *tx).await?;
        }
        for (kind, claim, doc) in &change.claims {
            let row = vec![Value::S(kind.clone()), Value::S(claim.clone()), Value::I(*doc)];
            let n = insert_rows(&mut tx, "place_claim", &["kind", "claim", "doc"], &[row], "ON CONFLICT (kind, claim) DO NOTHING").await?;
            if n != 1 {
                let holder: Option<i64> = sqlx::query_scalar("SELECT doc FROM place_claim WHERE kind = $1 AND claim = $2").bind(kind.clone()).bind(claim.clone()).fetch_optional(&mut *tx).await?;
                tx.rollback().await?;
                if holder == Some(*doc) {
                    // Held by the thing itself already: not a conflict; write again without it.
                    let mut again = change.clone();
                    again.claims.retain(|c| !(c.0 == *kind && c.1 == *claim));
                    return Box::pin(self.save(&again, at)).await;
                }
                return Ok(PlaceSave::Claimed(kind.clone(), claim.clone(), holder.unwrap_or_default()));
            }
        }
        if !change.notices.is_empty() {
            let t = codec::ts(at);
            let rows: Vec<Vec<Value>> = change.notices.iter().map(|n| plain_notice_values(n, &t)).collect();
            insert_rows(&mut tx, "notice", PLAIN_NOTICE_COLUMNS, &rows, "").await?;
        }
        tx.commit().await?;
        self.flushed(PlaceSave::Saved).await
    }

    /// Loads many new things in one transaction (a benchmark's district); those whose id is taken
    /// are left as they are. How many were written.
    pub async fn load(self, docs: &[Doc]) -> Result<u64> {
        TABLE.load(&self, docs).await
    }

    /// After a bulk load: the planner's statistics brought up to date.
    pub async fn analyze(self) -> Result<()> {
        TABLE.analyze(&self).await
    }

    /// One thing by kind and id.
    pub async fn doc(self, kind: &str, id: i64) -> Result<Option<Doc>> {
        TABLE.doc(&self, kind, id).await
    }

    /// Things of a kind by id (those that exist).
    pub async fn docs(self, kind: &str, ids: &[i64]) -> Result<Vec<Doc>> {
        TABLE.docs(&self, kind, ids).await
    }

    /// Things of a kind, newest first, a page at a time, with how many there are in all.
    pub async fn list(self, kind: &str, f: &DocFilter, page: Page) -> Result<(Vec<Doc>, i64)> {
        TABLE.list(&self, kind, f, page).await
    }

    /// Every thing of a kind matching the filter, by id.
    pub async fn all(self, kind: &str, f: &DocFilter) -> Result<Vec<Doc>> {
        TABLE.all(&self, kind, f).await
    }

    /// How many things of a kind there are and the sum of their versions (a change adds one).
    pub async fn mark(self, kind: &str) -> Result<(i64, i64)> {
        TABLE.mark(&self, kind).await
    }

    /// Things of a kind whose time ran out before `now`, oldest first.
    pub async fn due(self, kind: &str, now: DateTime<Utc>, limit: i64) -> Result<Vec<Doc>> {
        TABLE.due(&self, kind, now, limit).await
    }

    /// The thing holding a claim, if any.
    pub async fn claim(self, kind: &str, claim: &str) -> Result<Option<i64>> {
        self.lookup_one("SELECT doc FROM place_claim WHERE kind = $1 AND claim = $2", &[Value::S(kind.to_owned()), Value::S(claim.to_owned())], |r| r.int("doc")).await
    }
}
