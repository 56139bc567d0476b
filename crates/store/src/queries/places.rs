//! Places' queries: childcare institutions, applications, enrolments and allocation rounds;
//! housing applications, lottery draws, homes, offers and leases; 善居 projects — each kept whole
//! as the engine's JSON with the columns its lists filter on, saved by version — and the claims
//! that keep a person in one housing application and a child in one childcare application.

use chrono::DateTime;
use chrono::Utc;

use crate::Result;
use crate::handles::PlacesQueries;
use crate::queries::Page;
use crate::queries::docs::Doc;
use crate::queries::docs::DocChange;
use crate::queries::docs::DocFilter;
use crate::queries::docs::DocSave;
use crate::queries::docs::DocTable;

const TABLE: DocTable = DocTable { table: "place_doc", parent: "parent" };

/// What one change of places writes, all or nothing (claims in `place_claim`).
pub type PlaceChange = DocChange;

/// How a save of places went.
pub type PlaceSave = DocSave;

const CLAIMS: &str = "place_claim";

impl PlacesQueries<'_> {
    /// Writes a change in one transaction, or nothing (see [`PlaceSave`]).
    pub async fn save(self, change: &PlaceChange, at: DateTime<Utc>) -> Result<PlaceSave> {
        TABLE.save_claimed(&self, CLAIMS, change, at).await
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
        TABLE.claim(&self, CLAIMS, kind, claim).await
    }
}
