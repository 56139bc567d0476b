//! Aggregates other than the application (an alarm, a payout batch, a queue ticket …) on the
//! group-commit writer. An area keeps each in a table of its own — one row per aggregate, keyed
//! by `id`, with a `version` column — and implements [`Aggregate`] for it. A job names what it
//! needs ([`Wanted::of`]); the writer loads it in the batch's transaction, the job changes a copy
//! through the unit of work (`UnitOfWork::aggregate`, `change_aggregate`, `insert_aggregate`),
//! and the changes are written with the rest of the batch and committed once: acknowledged means
//! durable, on both databases, and a version that moved under another server fails the batch
//! (its jobs are then retried one by one on fresh state) instead of overwriting.

use std::any::Any;
use std::collections::HashMap;
use std::sync::Arc;

use sqlx::AnyConnection;
use sqlx::any::AnyArguments;

use crate::codec::Value;
use crate::lookup::Cols;
use crate::writer::placeholders;
use crate::{Result, StoreError};

/// An aggregate kept in its own table and changed through the writer.
pub trait Aggregate: Clone + Send + Sync + 'static {
    /// Its table: `id` (the primary key), `version`, then `COLUMNS`.
    const TABLE: &'static str;
    /// Its columns other than `id` and `version`, in the order of [`Aggregate::values`].
    const COLUMNS: &'static [&'static str];
    /// Its id (a snowflake from the store's generator).
    fn id(&self) -> i64;
    /// The values of `COLUMNS`.
    fn values(&self) -> Vec<Value>;
    /// Reads one from a row of its table.
    fn from_row(row: &dyn Cols) -> Result<Self>;
}

type Shared = Arc<dyn Any + Send + Sync>;

/// What a job needs loaded before it runs: aggregates of one kind by id.
pub struct Wanted {
    pub(crate) table: &'static str,
    pub(crate) ids: Vec<i64>,
    pub(crate) read: fn(&dyn Cols) -> Result<Shared>,
    pub(crate) write: Writer,
}

impl Wanted {
    /// The aggregates of kind `A` with these ids.
    pub fn of<A: Aggregate>(ids: impl IntoIterator<Item = i64>) -> Wanted {
        Wanted { table: A::TABLE, ids: ids.into_iter().collect(), read: read::<A>, write: Writer::of::<A>() }
    }
}

fn read<A: Aggregate>(row: &dyn Cols) -> Result<Shared> {
    Ok(Arc::new(A::from_row(row)?))
}

/// How to write an aggregate of one kind, without knowing its type.
#[derive(Clone, Copy)]
pub(crate) struct Writer {
    table: &'static str,
    columns: &'static [&'static str],
    values: fn(&(dyn Any + Send + Sync)) -> Vec<Value>,
}

impl Writer {
    fn of<A: Aggregate>() -> Writer {
        Writer { table: A::TABLE, columns: A::COLUMNS, values: values::<A> }
    }
}

fn values<A: Aggregate>(a: &(dyn Any + Send + Sync)) -> Vec<Value> {
    a.downcast_ref::<A>().map(Aggregate::values).unwrap_or_default()
}

/// One aggregate in a unit of work: as loaded (or new), and whether a job changed it.
struct Entry {
    value: Shared,
    /// The version it was loaded at; `None` for one a job created.
    loaded: Option<i64>,
    changed: bool,
    write: Writer,
}

/// The aggregates of a unit of work, by table and id.
#[derive(Default)]
pub(crate) struct Others {
    entries: HashMap<(&'static str, i64), Entry>,
}

impl std::fmt::Debug for Others {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Others").field("aggregates", &self.entries.len()).finish()
    }
}

impl Others {
    pub(crate) fn get<A: Aggregate>(&self, id: i64) -> Option<&A> {
        self.entries.get(&(A::TABLE, id)).and_then(|e| e.value.downcast_ref::<A>())
    }

    /// Runs `f` on a copy; keeps it only if `f` succeeds. `None` when it was not loaded.
    pub(crate) fn change<A: Aggregate, T, E>(&mut self, id: i64, f: impl FnOnce(&mut A) -> std::result::Result<T, E>) -> Option<std::result::Result<T, E>> {
        let entry = self.entries.get_mut(&(A::TABLE, id))?;
        let mut copy = entry.value.downcast_ref::<A>()?.clone();
        Some(f(&mut copy).map(|out| {
            entry.value = Arc::new(copy);
            entry.changed = true;
            out
        }))
    }

    pub(crate) fn insert<A: Aggregate>(&mut self, a: A) {
        let id = a.id();
        self.entries.insert((A::TABLE, id), Entry { value: Arc::new(a), loaded: None, changed: true, write: Writer::of::<A>() });
    }

    fn loaded(&mut self, table: &'static str, id: i64, value: Shared, version: i64, write: Writer) {
        self.entries.entry((table, id)).or_insert(Entry { value, loaded: Some(version), changed: false, write });
    }

    /// The statements that write the changed aggregates, in the placeholders of the backend
    /// (anonymous `?` on SQLite): an insert for each new one, an update guarded by the version it
    /// was loaded at for each changed one. Each must touch exactly one row.
    pub(crate) fn statements(&self, sqlite: bool) -> Vec<(String, Vec<Value>)> {
        let mut keys: Vec<_> = self.entries.iter().filter(|(_, e)| e.changed).map(|(k, _)| *k).collect();
        keys.sort_unstable();
        keys.into_iter()
            .map(|key| {
                let e = &self.entries[&key];
                let w = e.write;
                let mut vals = (w.values)(&*e.value);
                match e.loaded {
                    None => {
                        let cols: Vec<&str> = ["id", "version"].into_iter().chain(w.columns.iter().copied()).collect();
                        let marks = placeholders(1, cols.len(), sqlite);
                        let mut all = vec![Value::I(key.1), Value::I(1)];
                        all.append(&mut vals);
                        (format!("INSERT INTO {} ({}) VALUES ({marks})", w.table, cols.join(",")), all)
                    }
                    Some(v) => {
                        let n = w.columns.len();
                        let sets: Vec<String> = w.columns.iter().enumerate().map(|(i, c)| format!("{c} = {}", placeholders(i + 1, 1, sqlite))).collect();
                        let (id, version) = (placeholders(n + 1, 1, sqlite), placeholders(n + 2, 1, sqlite));
                        vals.push(Value::I(key.1));
                        vals.push(Value::I(v));
                        (format!("UPDATE {} SET version = version + 1, {} WHERE id = {id} AND version = {version}", w.table, sets.join(", ")), vals)
                    }
                }
            })
            .collect()
    }
}

/// Loads what the jobs want through sqlx, inside the batch's transaction.
pub(crate) async fn load(conn: &mut AnyConnection, wanted: &[Wanted], others: &mut Others) -> Result<()> {
    let sqlite = conn.backend_name() == "SQLite";
    for w in wanted {
        for id in &w.ids {
            if others.entries.contains_key(&(w.table, *id)) {
                continue;
            }
            let sql = format!("SELECT * FROM {} WHERE id = {}", w.table, placeholders(1, 1, sqlite));
            let mut args = AnyArguments::default();
            crate::writer::bind(&mut args, &Value::I(*id))?;
            if let Some(row) = crate::query_with(sql, args).fetch_optional(&mut *conn).await? {
                let version = row.int("version")?;
                others.loaded(w.table, *id, (w.read)(&row)?, version, w.write);
            }
        }
    }
    Ok(())
}

/// Writes the changed aggregates through sqlx, inside the batch's transaction.
pub(crate) async fn save(conn: &mut AnyConnection, others: &Others) -> Result<()> {
    let sqlite = conn.backend_name() == "SQLite";
    for (sql, vals) in others.statements(sqlite) {
        let mut args = AnyArguments::default();
        for v in &vals {
            crate::writer::bind(&mut args, v)?;
        }
        let done = crate::query_with(sql, args).execute(&mut *conn).await?;
        if done.rows_affected() != 1 {
            return Err(StoreError::Conflict);
        }
    }
    Ok(())
}

/// Loads what the jobs want with rusqlite (the writer thread of an SQLite file).
pub(crate) fn load_on(conn: &rusqlite::Connection, wanted: &[Wanted], others: &mut Others) -> Result<()> {
    for w in wanted {
        let mut stmt = conn.prepare_cached(&format!("SELECT * FROM {} WHERE id = ?", w.table))?;
        for id in &w.ids {
            if others.entries.contains_key(&(w.table, *id)) {
                continue;
            }
            let mut rows = stmt.query([id])?;
            if let Some(row) = rows.next()? {
                let version = row.int("version")?;
                others.loaded(w.table, *id, (w.read)(row)?, version, w.write);
            }
        }
    }
    Ok(())
}

/// Writes the changed aggregates with rusqlite.
pub(crate) fn save_on(conn: &rusqlite::Connection, others: &Others) -> Result<()> {
    for (sql, vals) in others.statements(true) {
        let mut stmt = conn.prepare_cached(&sql)?;
        let n = stmt.execute(rusqlite::params_from_iter(vals.iter()))?;
        if n != 1 {
            return Err(StoreError::Conflict);
        }
    }
    Ok(())
}
