//! Parking's occupancy feed: the readings each car park's operator sent (each once, each later
//! than the lot's last — one rule for every server on the database), the readings since a time
//! (how a server learns what the others took), a lot's history, and the searches and guided
//! trips the cockpit counts.

use std::collections::BTreeMap;

use chrono::DateTime;
use chrono::Utc;

use crate::Result;
use crate::codec;
use crate::codec::Value;
use crate::lookup::Cols;
use crate::queries::Conditions;
use crate::queries::Page;
use crate::writer::insert_rows;

/// An occupancy reading as kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParkingReadingRow {
    pub lot: String,
    pub at: DateTime<Utc>,
    pub received_at: DateTime<Utc>,
    /// The server that took it.
    pub node: i64,
    /// Occupied bays by type: visitor, staff, disabled, EV (`None`: not counted).
    pub occupied: [Option<i64>; 4],
    /// `mqtt` or `http`.
    pub source: String,
}

/// Searches and guided trips, counted by the cockpit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParkingEventRow {
    pub id: i64,
    /// `search` (a guidance answer given) or `navigate` (a driver set off to a lot from it).
    pub kind: String,
    pub hospital: Option<String>,
    pub sign: Option<String>,
    pub lot: Option<String>,
    pub at: DateTime<Utc>,
}

/// Parking's queries (`store.parking().…`).
#[derive(Clone, Copy)]
pub struct ParkingQueries<'a>(pub(crate) &'a crate::Store);

impl std::ops::Deref for ParkingQueries<'_> {
    type Target = crate::Store;
    fn deref(&self) -> &crate::Store {
        self.0
    }
}

const READING_COLUMNS: &[&str] = &["lot", "at", "received_at", "node", "visitor", "staff", "disabled", "ev", "source"];

fn reading_values(r: &ParkingReadingRow) -> Vec<Value> {
    vec![
        Value::S(r.lot.clone()),
        Value::S(codec::ts(r.at)),
        Value::S(codec::ts(r.received_at)),
        Value::I(r.node),
        Value::OptI(r.occupied[0]),
        Value::OptI(r.occupied[1]),
        Value::OptI(r.occupied[2]),
        Value::OptI(r.occupied[3]),
        Value::S(r.source.clone()),
    ]
}

fn reading_row(r: &dyn Cols) -> Result<ParkingReadingRow> {
    Ok(ParkingReadingRow {
        lot: r.text("lot")?,
        at: codec::parse_ts(&r.text("at")?)?,
        received_at: codec::parse_ts(&r.text("received_at")?)?,
        node: r.int("node")?,
        occupied: [r.int_opt("visitor")?, r.int_opt("staff")?, r.int_opt("disabled")?, r.int_opt("ev")?],
        source: r.text("source")?,
    })
}

impl ParkingQueries<'_> {
    /// Writes a batch of readings in one transaction and waits until it is durable. Each lot's
    /// readings must be in time order and all later than the lot's last reading on record (moved
    /// forward in the same transaction, so two servers cannot both take an older one): the lots
    /// whose first reading is not later are refused whole and returned; the others are written.
    pub async fn ingest(self, readings: &[ParkingReadingRow]) -> Result<Vec<String>> {
        let mut by_lot: BTreeMap<&str, (DateTime<Utc>, DateTime<Utc>)> = BTreeMap::new();
        for r in readings {
            let e = by_lot.entry(&r.lot).or_insert((r.at, r.at));
            e.0 = e.0.min(r.at);
            e.1 = e.1.max(r.at);
        }
        let mut refused = Vec::new();
        let mut tx = self.write_pool().begin().await?;
        for (lot, (first, last)) in &by_lot {
            let moved = sqlx::query("UPDATE parking_last SET at = $1 WHERE lot = $2 AND at < $3")
                .bind(codec::ts(*last))
                .bind((*lot).to_owned())
                .bind(codec::ts(*first))
                .execute(&mut *tx)
                .await?
                .rows_affected();
            if moved == 1 {
                continue;
            }
            let new = insert_rows(&mut tx, "parking_last", &["lot", "at"], &[vec![Value::S((*lot).to_owned()), Value::S(codec::ts(*last))]], "ON CONFLICT (lot) DO NOTHING").await?;
            if new != 1 {
                refused.push((*lot).to_owned());
            }
        }
        let values: Vec<Vec<Value>> = readings.iter().filter(|r| !refused.contains(&r.lot)).map(reading_values).collect();
        for chunk in values.chunks(500) {
            insert_rows(&mut tx, "parking_reading", READING_COLUMNS, chunk, "ON CONFLICT (lot, at) DO NOTHING").await?;
        }
        tx.commit().await?;
        self.flushed(refused).await
    }

    /// Readings received after `since` (by any server), oldest first, at most `limit`.
    pub async fn received_since(self, since: DateTime<Utc>, limit: i64) -> Result<Vec<ParkingReadingRow>> {
        let mut w = Conditions::default();
        let p = w.bind(Value::S(codec::ts(since)));
        w.and(format!("received_at > {p}"));
        let sql = format!("SELECT {} FROM parking_reading {} ORDER BY received_at, lot, at {}", READING_COLUMNS.join(", "), w.clause(), w.page(Page { limit, offset: 0 }));
        self.rows(sql, &w).await?.iter().map(|r| reading_row(r)).collect()
    }

    /// Readings taken from `from` (inclusive) until `until` (exclusive) by time, of one lot or
    /// all, oldest first, at most `limit`.
    pub async fn history(self, lot: Option<&str>, from: DateTime<Utc>, until: DateTime<Utc>, limit: i64) -> Result<Vec<ParkingReadingRow>> {
        let mut w = Conditions::default();
        if let Some(l) = lot {
            w.equals("lot", Value::S(l.to_owned()));
        }
        let a = w.bind(Value::S(codec::ts(from)));
        let b = w.bind(Value::S(codec::ts(until)));
        w.and(format!("at >= {a} AND at < {b}"));
        let sql = format!("SELECT {} FROM parking_reading {} ORDER BY at, lot {}", READING_COLUMNS.join(", "), w.clause(), w.page(Page { limit, offset: 0 }));
        self.rows(sql, &w).await?.iter().map(|r| reading_row(r)).collect()
    }

    /// Deletes readings received before `before`.
    pub async fn prune(self, before: DateTime<Utc>) -> Result<u64> {
        let n = sqlx::query("DELETE FROM parking_reading WHERE received_at < $1").bind(codec::ts(before)).execute(self.write_pool()).await?.rows_affected();
        self.flushed(n).await
    }

    /// Notes searches and guided trips (many at once).
    pub async fn note_events(self, events: &[ParkingEventRow]) -> Result<()> {
        let rows: Vec<Vec<Value>> = events
            .iter()
            .map(|e| vec![Value::I(e.id), Value::S(e.kind.clone()), Value::OptS(e.hospital.clone()), Value::OptS(e.sign.clone()), Value::OptS(e.lot.clone()), Value::S(codec::ts(e.at))])
            .collect();
        self.insert_all("parking_event", &["id", "kind", "hospital", "sign", "lot", "at"], &rows, "ON CONFLICT (id) DO NOTHING").await?;
        Ok(())
    }

    /// Searches and guided trips from `from` until `until`, oldest first.
    pub async fn events(self, from: DateTime<Utc>, until: DateTime<Utc>) -> Result<Vec<ParkingEventRow>> {
        let mut w = Conditions::default();
        let a = w.bind(Value::S(codec::ts(from)));
        let b = w.bind(Value::S(codec::ts(until)));
        w.and(format!("at >= {a} AND at < {b}"));
        let rows = self.rows(format!("SELECT id, kind, hospital, sign, lot, at FROM parking_event {} ORDER BY at, id", w.clause()), &w).await?;
        rows.iter()
            .map(|r| {
                let r: &dyn Cols = r;
                Ok(ParkingEventRow { id: r.int("id")?, kind: r.text("kind")?, hospital: r.text_opt("hospital")?, sign: r.text_opt("sign")?, lot: r.text_opt("lot")?, at: codec::parse_ts(&r.text("at")?)? })
            })
            .collect()
    }
}
