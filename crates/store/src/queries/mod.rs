//! The store's queries, by subject.

pub mod access_log;
pub mod cases;
pub mod fhir;
pub mod docs;
pub mod governance;
pub mod guardian;
pub mod medins;
pub mod claimed;
pub mod parking;
pub mod cockpit;
pub mod notices;
pub mod people;
pub mod datapool;
pub mod records;
pub mod registration;
pub mod reports;
pub mod welfare;

pub use access_log::*;
pub use cases::*;
pub use fhir::*;
pub use docs::Doc;
pub use docs::DocChange;
pub use docs::DocSave;
pub use docs::DocFilter;
pub use governance::*;
pub use guardian::*;
pub use medins::*;
pub use claimed::*;
pub use parking::*;
pub use cockpit::*;
pub use notices::*;
pub use people::*;
pub use datapool::*;
pub use records::*;
pub use registration::*;
pub use reports::*;
pub use welfare::*;

/// A filter given as an empty string is no filter.
pub(crate) fn given(v: Option<&str>) -> Option<&str> {
    v.filter(|s| !s.is_empty())
}

/// The decimal number after `digits`, written with as many digits (`330119` → `330120`); `None`
/// when `digits` is empty, holds anything but digits, or is all nines.
fn next_number(digits: &str) -> Option<String> {
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut out = digits.as_bytes().to_vec();
    for b in out.iter_mut().rev() {
        if *b == b'9' {
            *b = b'0';
        } else {
            *b += 1;
            return String::from_utf8(out).ok();
        }
    }
    None
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

    /// `column` begins with `prefix` (a division code and those below it). For a code of digits
    /// that is a range, from the prefix up to the next number of its length, which an index can
    /// serve (`LIKE` with a bound pattern it cannot) and which every collation orders alike.
    pub(crate) fn starts_with(&mut self, column: &str, prefix: &str) {
        use crate::codec::Value;
        match next_number(prefix) {
            Some(end) => {
                let from = self.bind(Value::S(prefix.to_owned()));
                let to = self.bind(Value::S(end));
                self.and(format!("{column} >= {from} AND {column} < {to}"));
            }
            None => {
                let p = self.bind(Value::S(format!("{prefix}%")));
                self.and(format!("{column} LIKE {p}"));
            }
        }
    }

    /// `WHERE … AND …`, or nothing when no filter was given.
    pub(crate) fn clause(&self) -> String {
        if self.terms.is_empty() { String::new() } else { format!("WHERE {}", self.terms.join(" AND ")) }
    }

    /// [`Conditions::clause`], leaving no conditions (their bind values stay) for the next part
    /// of a compound statement.
    pub(crate) fn take_clause(&mut self) -> String {
        let c = self.clause();
        self.terms.clear();
        c
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
    pub(crate) async fn rows(&self, sql: String, w: &Conditions) -> crate::Result<Vec<sqlx::any::AnyRow>> {
        let mut args = sqlx::any::AnyArguments::default();
        for v in &w.args {
            crate::writer::bind(&mut args, v)?;
        }
        Ok(crate::query_with(sql, args).fetch_all(self.read_pool()).await?)
    }
}

/// `IN (…)` of text values bound to `w`.
pub(crate) fn in_texts(w: &mut Conditions, column: &str, values: &[String]) {
    if values.is_empty() {
        w.and("1 = 0".into());
        return;
    }
    let ps: Vec<String> = values.iter().map(|v| w.bind(crate::codec::Value::S(v.clone()))).collect();
    w.and(format!("{column} IN ({})", ps.join(", ")));
}

/// `IN (…)` of integers bound to `w`.
pub(crate) fn in_ints(w: &mut Conditions, column: &str, values: &[i64]) {
    if values.is_empty() {
        w.and("1 = 0".into());
        return;
    }
    let ps: Vec<String> = values.iter().map(|v| w.bind(crate::codec::Value::I(*v))).collect();
    w.and(format!("{column} IN ({})", ps.join(", ")));
}

/// Reads rows of a list query in chunks of keys (the databases limit bind parameters).
pub(crate) async fn chunked<T, K: Clone>(
    store: &crate::Store,
    keys: &[K],
    make: impl Fn(&[K]) -> (String, Conditions),
    decode: impl Fn(&dyn crate::lookup::Cols) -> crate::Result<T>,
) -> crate::Result<Vec<T>> {
    let mut out = Vec::new();
    for chunk in keys.chunks(500) {
        let (sql, w) = make(chunk);
        for r in store.rows(sql, &w).await? {
            out.push(decode(&r)?);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::next_number;

    #[test]
    fn a_division_prefix_ends_at_the_next_number_of_its_length() {
        assert_eq!(next_number("330111").as_deref(), Some("330112"));
        assert_eq!(next_number("330119").as_deref(), Some("330120"));
        assert_eq!(next_number("330199999").as_deref(), Some("330200000"));
        assert_eq!(next_number("999"), None);
        assert_eq!(next_number(""), None);
        assert_eq!(next_number("33a1"), None);
    }
}
