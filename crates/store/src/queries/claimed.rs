//! The queries of an area that keeps its records as documents with claims (places, halls, city
//! services): one handle over its document table and its claims table, so that each such area is
//! a table name, not another copy of the same queries.

use chrono::DateTime;
use chrono::Utc;

use crate::Result;
use crate::Store;
use crate::queries::Page;
use crate::queries::docs::Doc;
use crate::queries::docs::DocChange;
use crate::queries::docs::DocFilter;
use crate::queries::docs::DocSave;
use crate::queries::docs::DocTable;

/// What one change of places writes, all or nothing (claims in `place_claim`).
pub type PlaceChange = DocChange;

/// How a save of places went.
pub type PlaceSave = DocSave;

/// An area's documents (`table`) and claims (`claims`): `store.places()`, `store.halls()`,
/// `store.city()`.
#[derive(Clone, Copy)]
pub struct ClaimedDocs<'a> {
    store: &'a Store,
    table: DocTable,
    claims: &'static str,
}

impl<'a> ClaimedDocs<'a> {
    pub(crate) const fn new(store: &'a Store, table: &'static str, claims: &'static str) -> Self {
        ClaimedDocs { store, table: DocTable { table, parent: "parent" }, claims }
    }

    /// Writes a change with its claims and notices in one transaction, or nothing (see [`DocSave`]).
    pub async fn save(self, change: &DocChange, at: DateTime<Utc>) -> Result<DocSave> {
        self.table.save_claimed(self.store, self.claims, change, at).await
    }

    /// Loads many new things in one transaction (the demo, the benchmark); those whose id is taken
    /// are left as they are.
    pub async fn load(self, docs: &[Doc]) -> Result<u64> {
        self.table.load(self.store, docs).await
    }

    /// After a bulk load: the planner's statistics brought up to date.
    pub async fn analyze(self) -> Result<()> {
        self.table.analyze(self.store).await
    }

    /// One thing by kind and id.
    pub async fn doc(self, kind: &str, id: i64) -> Result<Option<Doc>> {
        self.table.doc(self.store, kind, id).await
    }

    /// Things of a kind by id (those that exist).
    pub async fn docs(self, kind: &str, ids: &[i64]) -> Result<Vec<Doc>> {
        self.table.docs(self.store, kind, ids).await
    }

    /// Things of a kind, newest first, a page at a time, with how many there are in all.
    pub async fn list(self, kind: &str, f: &DocFilter, page: Page) -> Result<(Vec<Doc>, i64)> {
        self.table.list(self.store, kind, f, page).await
    }

    /// Every thing of a kind matching the filter, by id.
    pub async fn all(self, kind: &str, f: &DocFilter) -> Result<Vec<Doc>> {
        self.table.all(self.store, kind, f).await
    }

    /// How many things of a kind there are and the sum of their versions (a change adds one).
    pub async fn mark(self, kind: &str) -> Result<(i64, i64)> {
        self.table.mark_of(self.store, kind, &DocFilter::default()).await
    }

    /// The same for the things matching a filter (a hall's tickets of a day: the board's mark).
    pub async fn mark_of(self, kind: &str, f: &DocFilter) -> Result<(i64, i64)> {
        self.table.mark_of(self.store, kind, f).await
    }

    /// Things of a kind whose time ran out before `now`, oldest first.
    pub async fn due(self, kind: &str, now: DateTime<Utc>, limit: i64) -> Result<Vec<Doc>> {
        self.table.due(self.store, kind, now, limit).await
    }

    /// The thing holding a claim, if any.
    pub async fn claim(self, kind: &str, claim: &str) -> Result<Option<i64>> {
        self.table.claim(self.store, self.claims, kind, claim).await
    }
}
