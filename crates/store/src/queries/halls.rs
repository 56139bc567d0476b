//! Halls' queries: halls and their windows, queue tickets, and the cross-region cases, inbound
//! cases and outgoing messages — each kept whole as the engine's JSON with the columns its lists
//! filter on, saved by version — and the claims that number tickets, fill appointment slots and
//! make a peer's message count once.

use chrono::DateTime;
use chrono::Utc;

use crate::Result;
use crate::handles::HallsQueries;
use crate::queries::Page;
use crate::queries::docs::Doc;
use crate::queries::docs::DocChange;
use crate::queries::docs::DocFilter;
use crate::queries::docs::DocSave;
use crate::queries::docs::DocTable;

const TABLE: DocTable = DocTable { table: "hall_doc", parent: "parent" };
const CLAIMS: &str = "hall_claim";

impl HallsQueries<'_> {
    /// Writes a change with its claims and notices in one transaction, or nothing (see [`DocSave`]).
    pub async fn save(self, change: &DocChange, at: DateTime<Utc>) -> Result<DocSave> {
        TABLE.save_claimed(&self, CLAIMS, change, at).await
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

    /// The same for the things matching a filter (a hall's tickets of a day: the board's mark).
    pub async fn mark_of(self, kind: &str, f: &DocFilter) -> Result<(i64, i64)> {
        TABLE.mark_of(&self, kind, f).await
    }

    /// Things of a kind whose time ran out before `now`, oldest first.
    pub async fn due(self, kind: &str, now: DateTime<Utc>, limit: i64) -> Result<Vec<Doc>> {
        TABLE.due(&self, kind, now, limit).await
    }

    /// The thing holding a claim, if any.
    pub async fn claim(self, kind: &str, claim: &str) -> Result<Option<i64>> {
        TABLE.claim(&self, CLAIMS, kind, claim).await
    }
}
