//! The store's queries, by subject.

pub mod access_log;
pub mod cases;
pub mod fhir;
pub mod cockpit;
pub mod notices;
pub mod people;
pub mod datapool;
pub mod records;
pub mod reports;

pub use access_log::*;
pub use cases::*;
pub use fhir::*;
pub use cockpit::*;
pub use notices::*;
pub use people::*;
pub use datapool::*;
pub use records::*;
pub use reports::*;

/// A filter given as an empty string is no filter.
pub(crate) fn given(v: Option<&str>) -> Option<&str> {
    v.filter(|s| !s.is_empty())
}

/// A list query's conditions, only those whose filter was given, each with its bind values.
///
/// The planner can serve `a.applicant_account = $1` from an index; it cannot serve
/// `($1 = -1 OR a.applicant_account = $1)`, the way of writing an optional filter in one fixed
/// statement, and SQLite then reads the whole table for every page of a list.
#[derive(Debug, Default)]
pub(crate) struct Conditions {
    terms: Vec<String>,
    args: Vec<crate::codec::Value>,
}

impl Conditions {
    /// The placeholder for one more bind value.
    pub(crate) fn bind(&mut self, v: crate::codec::Value) -> String {
        self.args.push(v);
        format!("${}", self.args.len())
    }

    /// Adds a condition (its placeholders made by [`Conditions::bind`]).
    pub(crate) fn and(&mut self, term: String) {
        self.terms.push(term);
    }

    /// `column = value`.
    pub(crate) fn equals(&mut self, column: &str, v: crate::codec::Value) {
        let p = self.bind(v);
        self.and(format!("{column} = {p}"));
    }

    /// `column` begins with `prefix` (a division code and those below it).
    pub(crate) fn starts_with(&mut self, column: &str, prefix: &str) {
        let p = self.bind(crate::codec::Value::S(format!("{prefix}%")));
        self.and(format!("{column} LIKE {p}"));
    }

    /// `WHERE … AND …`, or nothing when no filter was given.
    pub(crate) fn clause(&self) -> String {
        if self.terms.is_empty() { String::new() } else { format!("WHERE {}", self.terms.join(" AND ")) }
    }

    /// `LIMIT … OFFSET …` for a page, bound after the conditions.
    pub(crate) fn page(&mut self, page: Page) -> String {
        let limit = self.bind(crate::codec::Value::I(page.limit));
        let offset = self.bind(crate::codec::Value::I(page.offset));
        format!("LIMIT {limit} OFFSET {offset}")
    }
}

impl crate::Store {
    /// Runs a list query made with [`Conditions`] on the read pool.
    pub(crate) async fn rows(&self, sql: &str, w: &Conditions) -> crate::Result<Vec<sqlx::any::AnyRow>> {
        let mut args = sqlx::any::AnyArguments::default();
        for v in &w.args {
            crate::writer::bind(&mut args, v)?;
        }
        Ok(sqlx::query_with(sqlx::AssertSqlSafe(sql.to_owned()), args).fetch_all(self.read_pool()).await?)
    }
}
