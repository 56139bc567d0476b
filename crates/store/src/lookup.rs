//! Point look-ups — a row or a few by key through an index — for the read paths that run thousands
//! of times a second (the pool's reads, the recognition check, what each filing reads). On an
//! SQLite file they run on the calling thread, on a connection of their own: such a query takes
//! tens of microseconds on pages the operating system has cached, while handing it to a
//! connection's thread and waking the caller again (what every sqlx SQLite query does) cost more
//! than the query itself (measured with `minsheng bench-pool`: result reads 6,500–7,500 →
//! 8,200–8,900 a second on 2 cores). On PostgreSQL, and for an in-memory SQLite database, the same
//! SQL goes through the read pool. Nothing that scans or aggregates belongs here: it would hold up
//! every other request of the thread it runs on.

use std::sync::Mutex;

use rusqlite::types::ToSqlOutput;
use rusqlite::{Connection, ToSql};
use sqlx::Row;
use sqlx::any::{AnyArguments, AnyRow};

use crate::codec::Value;
use crate::{Result, Store, StoreError};

/// A result row read by column name, whichever driver produced it.
pub trait Cols {
    fn int_opt(&self, col: &str) -> Result<Option<i64>>;
    fn text_opt(&self, col: &str) -> Result<Option<String>>;

    fn int(&self, col: &str) -> Result<i64> {
        self.int_opt(col)?.ok_or_else(|| null_in(col))
    }
    fn text(&self, col: &str) -> Result<String> {
        self.text_opt(col)?.ok_or_else(|| null_in(col))
    }
}

fn null_in(col: &str) -> StoreError {
    StoreError::Corrupt(format!("column {col} is NULL"))
}

impl Cols for AnyRow {
    fn int_opt(&self, col: &str) -> Result<Option<i64>> {
        Ok(self.try_get(col)?)
    }
    fn text_opt(&self, col: &str) -> Result<Option<String>> {
        Ok(self.try_get(col)?)
    }
}

impl Cols for rusqlite::Row<'_> {
    fn int_opt(&self, col: &str) -> Result<Option<i64>> {
        Ok(self.get(col)?)
    }
    fn text_opt(&self, col: &str) -> Result<Option<String>> {
        Ok(self.get(col)?)
    }
}

impl ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        match self {
            Value::I(i) => i.to_sql(),
            Value::OptI(i) => i.to_sql(),
            Value::S(s) => s.to_sql(),
            Value::OptS(s) => s.to_sql(),
        }
    }
}

/// Connections to an SQLite file (`query_only`, like the read pool's) for look-ups on the calling thread; a connection is
/// taken for one statement and put back, and more are opened while all are in use.
pub(crate) struct Lookups {
    path: String,
    idle: Mutex<Vec<Connection>>,
}

/// Idle connections kept: one per thread that runs requests is all that is ever in use at once.
const KEEP_IDLE: usize = 8;

impl Lookups {
    pub(crate) fn new(path: &str) -> Lookups {
        Lookups { path: path.to_owned(), idle: Mutex::new(Vec::new()) }
    }

    /// The SQLite file looked up in.
    pub(crate) fn path(&self) -> &str {
        &self.path
    }

    fn open(&self) -> rusqlite::Result<Connection> {
        let c = crate::open_sqlite(&self.path, &crate::reader_setup())?;
        c.set_prepared_statement_cache_capacity(64);
        Ok(c)
    }

    /// Runs `sql` with `args` for `$1`, `$2`, … and decodes at most `limit` rows.
    fn run<T>(&self, sql: &str, args: &[Value], limit: usize, decode: &dyn Fn(&dyn Cols) -> Result<T>) -> Result<Vec<T>> {
        let taken = self.idle.lock().ok().and_then(|mut idle| idle.pop());
        let conn = match taken {
            Some(c) => c,
            None => self.open()?,
        };
        let out = query(&conn, sql, args, limit, decode);
        if let Ok(mut idle) = self.idle.lock()
            && idle.len() < KEEP_IDLE
        {
            idle.push(conn);
        }
        out
    }
}

fn query<T>(conn: &Connection, sql: &str, args: &[Value], limit: usize, decode: &dyn Fn(&dyn Cols) -> Result<T>) -> Result<Vec<T>> {
    let mut stmt = conn.prepare_cached(sql)?;
    // `$n` is a named parameter to SQLite, numbered in order of first appearance: bind by name.
    for i in 1..=stmt.parameter_count() {
        let n = stmt.parameter_name(i).and_then(|name| name.strip_prefix('$')).and_then(|n| n.parse::<usize>().ok());
        let arg = n.and_then(|n| args.get(n.wrapping_sub(1))).ok_or_else(|| StoreError::Corrupt(format!("no argument for parameter {i} of {sql}")))?;
        stmt.raw_bind_parameter(i, arg)?;
    }
    let mut rows = stmt.raw_query();
    let mut out = Vec::new();
    while out.len() < limit
        && let Some(row) = rows.next()?
    {
        out.push(decode(row)?);
    }
    Ok(out)
}

impl Store {
    /// The rows of a point look-up (see the module's comment), decoded.
    pub(crate) async fn lookup<T>(&self, sql: &'static str, args: &[Value], decode: impl Fn(&dyn Cols) -> Result<T> + Sync) -> Result<Vec<T>> {
        self.lookup_rows(sql, args, usize::MAX, &decode).await
    }

    /// The first row of a point look-up, decoded.
    pub(crate) async fn lookup_one<T>(&self, sql: &'static str, args: &[Value], decode: impl Fn(&dyn Cols) -> Result<T> + Sync) -> Result<Option<T>> {
        Ok(self.lookup_rows(sql, args, 1, &decode).await?.into_iter().next())
    }

    async fn lookup_rows<T>(&self, sql: &'static str, args: &[Value], limit: usize, decode: &(dyn Fn(&dyn Cols) -> Result<T> + Sync)) -> Result<Vec<T>> {
        if let Some(lookups) = &self.lookups {
            return lookups.run(sql, args, limit, decode);
        }
        let mut bound = AnyArguments::default();
        for a in args {
            crate::writer::bind(&mut bound, a)?;
        }
        if limit == 1 {
            let row = sqlx::query_with(sql, bound).fetch_optional(self.read_pool()).await?;
            return row.iter().map(|r| decode(r)).collect();
        }
        let rows = sqlx::query_with(sql, bound).fetch_all(self.read_pool()).await?;
        rows.iter().take(limit).map(|r| decode(r)).collect()
    }
}

#[cfg(test)]
mod tests {
    use crate::codec::Value;
    use crate::{Store, StoreError, StoreOptions};

    async fn scratch() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&StoreOptions::new(&format!("sqlite://{}", dir.path().join("l.db").display()))).await.unwrap();
        sqlx::query("CREATE TABLE pair (a INTEGER PRIMARY KEY, b TEXT, c INTEGER)").execute(store.write_pool()).await.unwrap();
        (dir, store)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn look_ups_bind_by_number_and_see_the_last_commit() {
        let (_dir, store) = scratch().await;
        assert!(store.lookups.is_some(), "an SQLite file is looked up on the calling thread");
        let get = |store: Store, a: i64, b: &'static str| async move {
            // `$2` comes first in the text: SQLite numbers named parameters as they appear.
            store.lookup_one("SELECT a, b FROM pair WHERE b = $2 AND a = $1", &[Value::I(a), Value::S(b.into())], |r| Ok((r.int("a")?, r.text("b")?))).await
        };
        assert_eq!(get(store.clone(), 1, "x").await.unwrap(), None);
        for a in 1..=50 {
            sqlx::query("INSERT INTO pair (a, b, c) VALUES ($1, 'x', NULL)").bind(a).execute(store.write_pool()).await.unwrap();
            // Each look-up starts its own read: it sees what was committed before it.
            assert_eq!(get(store.clone(), a, "x").await.unwrap(), Some((a, "x".to_owned())));
        }
        assert_eq!(get(store.clone(), 2, "y").await.unwrap(), None);
        let all = store.lookup("SELECT a FROM pair WHERE b = $1 ORDER BY a DESC", &[Value::S("x".into())], |r| r.int("a")).await.unwrap();
        assert_eq!(all.len(), 50);
        assert_eq!(all.first(), Some(&50));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_null_or_missing_argument_is_an_error_not_a_panic() {
        let (_dir, store) = scratch().await;
        sqlx::query("INSERT INTO pair (a, b, c) VALUES (1, 'x', NULL)").execute(store.write_pool()).await.unwrap();
        let null = store.lookup_one("SELECT c FROM pair WHERE a = $1", &[Value::I(1)], |r| r.int("c")).await;
        assert!(matches!(null, Err(StoreError::Corrupt(m)) if m.contains("column c is NULL")));
        assert_eq!(store.lookup_one("SELECT c FROM pair WHERE a = $1", &[Value::I(1)], |r| r.int_opt("c")).await.unwrap(), Some(None));
        let missing = store.lookup_one("SELECT c FROM pair WHERE a = $2", &[Value::I(1)], |r| r.int_opt("c")).await;
        assert!(matches!(missing, Err(StoreError::Corrupt(m)) if m.contains("no argument")));
        let bad_sql = store.lookup_one("SELECT nothing FROM nowhere", &[], |r| r.int("nothing")).await;
        assert!(matches!(bad_sql, Err(StoreError::Sqlite(_))));
    }
}
