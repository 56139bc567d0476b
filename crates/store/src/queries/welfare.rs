//! Welfare's queries: the register facts benefits are decided on, entitlements and their events,
//! monthly payout runs with their payment lines and recoveries, objections, and the households
//! found in difficulty with their visits.

use chrono::DateTime;
use chrono::NaiveDate;
use chrono::Utc;

use crate::Result;
use crate::codec;
use crate::codec::Value;
use crate::handles::WelfareQueries;
use crate::lookup::Cols;
use crate::queries::Conditions;
use crate::queries::chunked;
use crate::queries::in_ints;
use crate::queries::in_texts;
use crate::queries::Page;
use crate::queries::PlainNotice;
use crate::writer::insert_rows;

/// A person of the population register with what welfare needs of them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WelfarePerson {
    pub id_number: String,
    pub name: String,
    pub birth_date: NaiveDate,
    pub division: String,
    pub household: i64,
    pub relation: String,
    /// Their citizen account, if they have one (where notices go).
    pub account: Option<i64>,
}

fn person_row(r: &dyn Cols) -> Result<WelfarePerson> {
    Ok(WelfarePerson {
        id_number: r.text("id_number")?,
        name: r.text("name")?,
        birth_date: codec::parse_date(&r.text("birth_date")?)?,
        division: r.text("division")?,
        household: r.int("household")?,
        relation: r.text("relation")?,
        account: r.int_opt("account")?,
    })
}

/// `SELECT` of a person with their account.
const PERSON_SELECT: &str = "SELECT p.id_number, p.name, p.birth_date, p.division, p.household, p.relation, \
     (SELECT MIN(a.id) FROM account a WHERE a.person_id = p.id) AS account FROM person p";

/// A current shared record (not superseded, not revoked) of a type benefits read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FactRecord {
    pub subject_key: String,
    pub record_type: String,
    pub issued_at: DateTime<Utc>,
    pub valid_until: Option<NaiveDate>,
    /// The record's data, JSON.
    pub data: String,
}

fn fact_record_row(r: &dyn Cols) -> Result<FactRecord> {
    Ok(FactRecord {
        subject_key: r.text("subject_key")?,
        record_type: r.text("record_type")?,
        issued_at: codec::parse_ts(&r.text("issued_at")?)?,
        valid_until: codec::parse_date_opt(r.text_opt("valid_until")?)?,
        data: r.text("data")?,
    })
}

/// A person's entitlement to a benefit, open or closed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntitlementRow {
    pub person_key: String,
    pub benefit: String,
    pub household: i64,
    pub division: String,
    /// `open` or `closed`.
    pub status: String,
    pub amount_fen: i64,
    pub opened_on: NaiveDate,
    pub closed_on: Option<NaiveDate>,
    /// `registers` (found by the platform) or `objection` (after an upheld objection).
    pub source: String,
    /// The reasons, JSON.
    pub reasons: String,
    pub updated_at: DateTime<Utc>,
    pub version: i64,
}

const ENTITLEMENT_COLUMNS: &[&str] =
    &["person_key", "benefit", "household", "division", "status", "amount", "opened_on", "closed_on", "source", "reasons", "updated_at", "version"];

fn entitlement_row(r: &dyn Cols) -> Result<EntitlementRow> {
    Ok(EntitlementRow {
        person_key: r.text("person_key")?,
        benefit: r.text("benefit")?,
        household: r.int("household")?,
        division: r.text("division")?,
        status: r.text("status")?,
        amount_fen: r.int("amount")?,
        opened_on: codec::parse_date(&r.text("opened_on")?)?,
        closed_on: codec::parse_date_opt(r.text_opt("closed_on")?)?,
        source: r.text("source")?,
        reasons: r.text("reasons")?,
        updated_at: codec::parse_ts(&r.text("updated_at")?)?,
        version: r.int("version")?,
    })
}

fn entitlement_values(e: &EntitlementRow) -> Vec<Value> {
    vec![
        Value::S(e.person_key.clone()),
        Value::S(e.benefit.clone()),
        Value::I(e.household),
        Value::S(e.division.clone()),
        Value::S(e.status.clone()),
        Value::I(e.amount_fen),
        Value::S(codec::date(e.opened_on)),
        Value::OptS(codec::date_opt(e.closed_on)),
        Value::S(e.source.clone()),
        Value::S(e.reasons.clone()),
        Value::S(codec::ts(e.updated_at)),
        Value::I(e.version),
    ]
}

/// What happened to an entitlement, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRow {
    pub id: i64,
    pub person_key: String,
    pub benefit: String,
    /// `opened`, `closed` or `amount`.
    pub kind: String,
    pub amount_fen: i64,
    pub at: DateTime<Utc>,
    /// What set it off: a record type, `sweep`, `objection`.
    pub cause: String,
    pub reason_zh: String,
    pub reason_en: String,
}

const EVENT_COLUMNS: &[&str] = &["id", "person_key", "benefit", "kind", "amount", "at", "cause", "reason_zh", "reason_en"];

fn event_row(r: &dyn Cols) -> Result<EventRow> {
    Ok(EventRow {
        id: r.int("id")?,
        person_key: r.text("person_key")?,
        benefit: r.text("benefit")?,
        kind: r.text("kind")?,
        amount_fen: r.int("amount")?,
        at: codec::parse_ts(&r.text("at")?)?,
        cause: r.text("cause")?,
        reason_zh: r.text("reason_zh")?,
        reason_en: r.text("reason_en")?,
    })
}

/// A month's payout run of one department.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunRow {
    pub id: i64,
    /// `YYYY-MM`.
    pub month: String,
    pub department: String,
    /// `frozen`, `approved`, `exported` or `returned`.
    pub status: String,
    pub digest: String,
    pub lines: i64,
    pub amount_fen: i64,
    pub recoveries_fen: i64,
    /// Per benefit, JSON.
    pub totals: String,
    pub frozen_by: i64,
    pub frozen_at: DateTime<Utc>,
    pub approved_by: Option<i64>,
    pub approved_at: Option<DateTime<Utc>>,
    pub exported_at: Option<DateTime<Utc>>,
    pub returned_at: Option<DateTime<Utc>>,
}

const RUN_COLUMNS: &[&str] = &[
    "id", "month", "department", "status", "digest", "lines", "amount", "recoveries", "totals", "frozen_by", "frozen_at", "approved_by", "approved_at",
    "exported_at", "returned_at",
];

/// `SELECT` of a run's columns with the rest of the statement.
macro_rules! run_select {
    ($rest:literal) => {
        concat!(
            "SELECT id, month, department, status, digest, lines, amount, recoveries, totals, frozen_by, frozen_at, approved_by, approved_at, exported_at, returned_at FROM welfare_run ",
            $rest
        )
    };
}

fn run_row(r: &dyn Cols) -> Result<RunRow> {
    Ok(RunRow {
        id: r.int("id")?,
        month: r.text("month")?,
        department: r.text("department")?,
        status: r.text("status")?,
        digest: r.text("digest")?,
        lines: r.int("lines")?,
        amount_fen: r.int("amount")?,
        recoveries_fen: r.int("recoveries")?,
        totals: r.text("totals")?,
        frozen_by: r.int("frozen_by")?,
        frozen_at: codec::parse_ts(&r.text("frozen_at")?)?,
        approved_by: r.int_opt("approved_by")?,
        approved_at: codec::parse_ts_opt(r.text_opt("approved_at")?)?,
        exported_at: codec::parse_ts_opt(r.text_opt("exported_at")?)?,
        returned_at: codec::parse_ts_opt(r.text_opt("returned_at")?)?,
    })
}

/// One payment line of a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentRow {
    pub id: i64,
    pub run_id: i64,
    pub line: i64,
    pub person_key: String,
    pub household: i64,
    pub division: String,
    pub benefit: String,
    /// `YYYY-MM`.
    pub month: String,
    pub amount_fen: i64,
    /// `regular` or `arrears`.
    pub kind: String,
    pub name: String,
    /// The bank account; empty when none is known (the line is `held`).
    pub account: String,
    /// `planned`, `held`, `paid` or `failed`.
    pub status: String,
    pub failure: Option<String>,
}

const PAYMENT_COLUMNS: &[&str] =
    &["id", "run_id", "line", "person_key", "household", "division", "benefit", "month", "amount", "kind", "name", "account", "status", "failure"];

/// `SELECT` of a payment's columns with the rest of the statement.
macro_rules! payment_select {
    ($rest:literal) => {
        concat!(
            "SELECT id, run_id, line, person_key, household, division, benefit, month, amount, kind, name, account, status, failure FROM welfare_payment ",
            $rest
        )
    };
}

fn payment_row(r: &dyn Cols) -> Result<PaymentRow> {
    Ok(PaymentRow {
        id: r.int("id")?,
        run_id: r.int("run_id")?,
        line: r.int("line")?,
        person_key: r.text("person_key")?,
        household: r.int("household")?,
        division: r.text("division")?,
        benefit: r.text("benefit")?,
        month: r.text("month")?,
        amount_fen: r.int("amount")?,
        kind: r.text("kind")?,
        name: r.text("name")?,
        account: r.text("account")?,
        status: r.text("status")?,
        failure: r.text_opt("failure")?,
    })
}

/// Money paid that was not due, to be recovered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecoveryRow {
    pub id: i64,
    pub run_id: i64,
    pub person_key: String,
    pub benefit: String,
    pub month: String,
    pub amount_fen: i64,
    pub reason_zh: String,
    pub reason_en: String,
    /// `open`, `recovered` or `waived`.
    pub status: String,
}

const RECOVERY_COLUMNS: &[&str] = &["id", "run_id", "person_key", "benefit", "month", "amount", "reason_zh", "reason_en", "status"];

fn recovery_row(r: &dyn Cols) -> Result<RecoveryRow> {
    Ok(RecoveryRow {
        id: r.int("id")?,
        run_id: r.int("run_id")?,
        person_key: r.text("person_key")?,
        benefit: r.text("benefit")?,
        month: r.text("month")?,
        amount_fen: r.int("amount")?,
        reason_zh: r.text("reason_zh")?,
        reason_en: r.text("reason_en")?,
        status: r.text("status")?,
    })
}

/// An objection to a decision.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectionRow {
    pub id: i64,
    pub person_key: String,
    pub account_id: i64,
    pub benefit: String,
    pub department: String,
    pub text: String,
    /// `open`, `upheld` or `rejected`.
    pub status: String,
    pub answer: Option<String>,
    pub created_at: DateTime<Utc>,
    pub decided_by: Option<i64>,
    pub decided_at: Option<DateTime<Utc>>,
}

const OBJECTION_COLUMNS: &[&str] =
    &["id", "person_key", "account_id", "benefit", "department", "text", "status", "answer", "created_at", "decided_by", "decided_at"];

/// `SELECT` of an objection's columns with the rest of the statement.
macro_rules! objection_select {
    ($rest:literal) => {
        concat!(
            "SELECT id, person_key, account_id, benefit, department, text, status, answer, created_at, decided_by, decided_at FROM welfare_objection ",
            $rest
        )
    };
}

fn objection_row(r: &dyn Cols) -> Result<ObjectionRow> {
    Ok(ObjectionRow {
        id: r.int("id")?,
        person_key: r.text("person_key")?,
        account_id: r.int("account_id")?,
        benefit: r.text("benefit")?,
        department: r.text("department")?,
        text: r.text("text")?,
        status: r.text("status")?,
        answer: r.text_opt("answer")?,
        created_at: codec::parse_ts(&r.text("created_at")?)?,
        decided_by: r.int_opt("decided_by")?,
        decided_at: codec::parse_ts_opt(r.text_opt("decided_at")?)?,
    })
}

/// A household found in difficulty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlagRow {
    pub household: i64,
    pub division: String,
    pub score: i64,
    /// The reasons, JSON.
    pub reasons: String,
    /// `proactive` (found from shared records) or `application` (the household asked).
    pub origin: String,
    /// `open`, `visited`, `enrolled` or `closed`.
    pub status: String,
    pub found_at: DateTime<Utc>,
    pub visited_by: Option<i64>,
    pub visited_at: Option<DateTime<Utc>>,
    pub outcome: Option<String>,
    /// The relief services enrolled in, JSON.
    pub services: Option<String>,
    pub version: i64,
}

const FLAG_COLUMNS: &[&str] =
    &["household", "division", "score", "reasons", "origin", "status", "found_at", "visited_by", "visited_at", "outcome", "services", "version"];

/// `SELECT` of a flag's columns.
const FLAG_SELECT: &str =
    "SELECT household, division, score, reasons, origin, status, found_at, visited_by, visited_at, outcome, services, version FROM welfare_flag";

fn flag_row(r: &dyn Cols) -> Result<FlagRow> {
    Ok(FlagRow {
        household: r.int("household")?,
        division: r.text("division")?,
        score: r.int("score")?,
        reasons: r.text("reasons")?,
        origin: r.text("origin")?,
        status: r.text("status")?,
        found_at: codec::parse_ts(&r.text("found_at")?)?,
        visited_by: r.int_opt("visited_by")?,
        visited_at: codec::parse_ts_opt(r.text_opt("visited_at")?)?,
        outcome: r.text_opt("outcome")?,
        services: r.text_opt("services")?,
        version: r.int("version")?,
    })
}

fn flag_values(f: &FlagRow) -> Vec<Value> {
    vec![
        Value::I(f.household),
        Value::S(f.division.clone()),
        Value::I(f.score),
        Value::S(f.reasons.clone()),
        Value::S(f.origin.clone()),
        Value::S(f.status.clone()),
        Value::S(codec::ts(f.found_at)),
        Value::OptI(f.visited_by),
        Value::OptS(codec::ts_opt(f.visited_at)),
        Value::OptS(f.outcome.clone()),
        Value::OptS(f.services.clone()),
        Value::I(f.version),
    ]
}

/// Money per benefit, town and month (the cockpit's figures).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PayoutFigure {
    pub benefit: String,
    /// The town's 9-digit code.
    pub town: String,
    pub month: String,
    pub people: i64,
    pub amount_fen: i64,
}

impl WelfareQueries<'_> {
    /// Every person of the register (the daily sweep).
    pub async fn people_all(self) -> Result<Vec<WelfarePerson>> {
        let w = Conditions::default();
        let rows = self.rows(format!("{PERSON_SELECT} ORDER BY p.household, p.id"), &w).await?;
        rows.iter().map(|r| person_row(r)).collect()
    }

    /// The households of these ID numbers.
    pub async fn households_of(self, keys: &[String]) -> Result<Vec<i64>> {
        let mut hh = chunked(
            &self,
            keys,
            |c| {
                let mut w = Conditions::default();
                in_texts(&mut w, "id_number", c);
                (format!("SELECT household FROM person {}", w.clause()), w)
            },
            |r| r.int("household"),
        )
        .await?;
        hh.sort_unstable();
        hh.dedup();
        Ok(hh)
    }

    /// Everyone in these households.
    pub async fn people_of_households(self, households: &[i64]) -> Result<Vec<WelfarePerson>> {
        chunked(
            &self,
            households,
            |c| {
                let mut w = Conditions::default();
                in_ints(&mut w, "p.household", c);
                (format!("{PERSON_SELECT} {} ORDER BY p.household, p.id", w.clause()), w)
            },
            person_row,
        )
        .await
    }

    /// The current records of these types (of these subjects, or of everyone with `None`).
    pub async fn fact_records(self, types: &[&str], subjects: Option<&[String]>) -> Result<Vec<FactRecord>> {
        let types: Vec<String> = types.iter().map(|t| (*t).to_owned()).collect();
        let base = |w: &mut Conditions| {
            w.and("superseded_by IS NULL AND revoked_at IS NULL".into());
            in_texts(w, "record_type", &types);
        };
        let select = "SELECT subject_key, record_type, issued_at, valid_until, data FROM shared_record";
        match subjects {
            None => {
                let mut w = Conditions::default();
                base(&mut w);
                let rows = self.rows(format!("{select} {} ORDER BY issued_at", w.clause()), &w).await?;
                rows.iter().map(|r| fact_record_row(r)).collect()
            }
            Some(keys) => {
                chunked(
                    &self,
                    keys,
                    |c| {
                        let mut w = Conditions::default();
                        in_texts(&mut w, "subject_key", c);
                        base(&mut w);
                        (format!("{select} {} ORDER BY issued_at", w.clause()), w)
                    },
                    fact_record_row,
                )
                .await
            }
        }
    }

    /// The subjects of records of these types issued or revoked after `since`, with the latest
    /// such time (the catch-up after the immediate re-evaluation).
    pub async fn subjects_changed_since(self, types: &[&str], since: DateTime<Utc>) -> Result<Vec<(String, DateTime<Utc>)>> {
        let types: Vec<String> = types.iter().map(|t| (*t).to_owned()).collect();
        let mut w = Conditions::default();
        let at = w.bind(Value::S(codec::ts(since)));
        let at2 = w.bind(Value::S(codec::ts(since)));
        w.and(format!("(issued_at > {at} OR revoked_at > {at2})"));
        in_texts(&mut w, "record_type", &types);
        let sql = format!(
            "SELECT subject_key, MAX(CASE WHEN revoked_at IS NOT NULL AND revoked_at > issued_at THEN revoked_at ELSE issued_at END) AS at \
             FROM shared_record {} GROUP BY subject_key",
            w.clause()
        );
        let rows = self.rows(sql, &w).await?;
        rows.iter().map(|r| Ok((r.text("subject_key")?, codec::parse_ts(&r.text("at")?)?))).collect()
    }

    /// A watermark's value.
    pub async fn watermark(self, name: &str) -> Result<Option<String>> {
        self.lookup_one("SELECT value FROM welfare_watermark WHERE name = $1", &[Value::S(name.to_owned())], |r| r.text("value")).await
    }

    /// Moves a watermark forward (never back).
    pub async fn set_watermark(self, name: &str, value: &str) -> Result<()> {
        let mut conn = self.write_pool().acquire().await?;
        insert_rows(
            &mut conn,
            "welfare_watermark",
            &["name", "value"],
            &[vec![Value::S(name.to_owned()), Value::S(value.to_owned())]],
            "ON CONFLICT (name) DO UPDATE SET value = excluded.value WHERE welfare_watermark.value < excluded.value",
        )
        .await?;
        drop(conn);
        self.flushed(()).await
    }

    /// The entitlements of these people (everyone's with `None`).
    pub async fn entitlements_of(self, keys: Option<&[String]>) -> Result<Vec<EntitlementRow>> {
        let select = format!("SELECT {} FROM welfare_entitlement", ENTITLEMENT_COLUMNS.join(", "));
        match keys {
            None => {
                let w = Conditions::default();
                let rows = self.rows(format!("{select} ORDER BY person_key, benefit"), &w).await?;
                rows.iter().map(|r| entitlement_row(r)).collect()
            }
            Some(keys) => {
                chunked(
                    &self,
                    keys,
                    |c| {
                        let mut w = Conditions::default();
                        in_texts(&mut w, "person_key", c);
                        (format!("{select} {} ORDER BY person_key, benefit", w.clause()), w)
                    },
                    entitlement_row,
                )
                .await
            }
        }
    }

    /// The entitlements of a household's members.
    pub async fn entitlements_of_household(self, household: i64) -> Result<Vec<EntitlementRow>> {
        let mut w = Conditions::default();
        w.equals("household", Value::I(household));
        let rows = self.rows(format!("SELECT {} FROM welfare_entitlement {} ORDER BY person_key, benefit", ENTITLEMENT_COLUMNS.join(", "), w.clause()), &w).await?;
        rows.iter().map(|r| entitlement_row(r)).collect()
    }

    /// A page of entitlements, filtered, and how many there are.
    pub async fn entitlements_page(self, benefit: Option<&str>, status: Option<&str>, division: Option<&str>, page: Page) -> Result<(Vec<EntitlementRow>, i64)> {
        let mut w = Conditions::default();
        if let Some(b) = super::given(benefit) {
            w.equals("benefit", Value::S(b.to_owned()));
        }
        if let Some(s) = super::given(status) {
            w.equals("status", Value::S(s.to_owned()));
        }
        if let Some(d) = super::given(division) {
            w.starts_with("division", d);
        }
        let total = self.rows(format!("SELECT COUNT(*) AS n FROM welfare_entitlement {}", w.clause()), &w).await?;
        let total = total.first().map(|r| r.int("n")).transpose()?.unwrap_or(0);
        let clause = w.clause();
        let tail = w.page(page);
        let rows = self
            .rows(format!("SELECT {} FROM welfare_entitlement {clause} ORDER BY updated_at DESC, person_key, benefit {tail}", ENTITLEMENT_COLUMNS.join(", ")), &w)
            .await?;
        Ok((rows.iter().map(|r| entitlement_row(r)).collect::<Result<_>>()?, total))
    }

    /// Writes entitlement changes, their events and notices in one transaction. A changed row is
    /// written only if its stored version is the one before it (`version - 1`; a new row has
    /// version 1): `false`, with nothing written, if another server changed one meanwhile.
    pub async fn save_entitlements(self, rows: &[EntitlementRow], events: &[EventRow], notices: &[PlainNotice], at: DateTime<Utc>) -> Result<bool> {
        if rows.is_empty() && events.is_empty() && notices.is_empty() {
            return Ok(true);
        }
        let mut tx = self.write_pool().begin().await?;
        let mut written = 0u64;
        for chunk in rows.chunks(256) {
            let values: Vec<Vec<Value>> = chunk.iter().map(entitlement_values).collect();
            let sets: Vec<String> = ENTITLEMENT_COLUMNS[2..].iter().map(|c| format!("{c} = excluded.{c}")).collect();
            let tail = format!(
                "ON CONFLICT (person_key, benefit) DO UPDATE SET {} WHERE welfare_entitlement.version = excluded.version - 1",
                sets.join(", ")
            );
            written += insert_rows(&mut tx, "welfare_entitlement", ENTITLEMENT_COLUMNS, &values, &tail).await?;
        }
        if written != rows.len() as u64 {
            tx.rollback().await?;
            return Ok(false);
        }
        let values: Vec<Vec<Value>> = events
            .iter()
            .map(|e| {
                vec![
                    Value::I(e.id),
                    Value::S(e.person_key.clone()),
                    Value::S(e.benefit.clone()),
                    Value::S(e.kind.clone()),
                    Value::I(e.amount_fen),
                    Value::S(codec::ts(e.at)),
                    Value::S(e.cause.clone()),
                    Value::S(e.reason_zh.clone()),
                    Value::S(e.reason_en.clone()),
                ]
            })
            .collect();
        if !values.is_empty() {
            insert_rows(&mut tx, "welfare_event", EVENT_COLUMNS, &values, "").await?;
        }
        let stamp = codec::ts(at);
        let values: Vec<Vec<Value>> = notices.iter().map(|n| super::datapool::plain_notice_values(n, &stamp)).collect();
        if !values.is_empty() {
            insert_rows(&mut tx, "notice", super::datapool::PLAIN_NOTICE_COLUMNS, &values, "").await?;
        }
        tx.commit().await?;
        self.flushed(true).await
    }

    /// A person's entitlement events, newest first.
    pub async fn events_of(self, person_key: &str) -> Result<Vec<EventRow>> {
        self.lookup(
            "SELECT id, person_key, benefit, kind, amount, at, cause, reason_zh, reason_en FROM welfare_event WHERE person_key = $1 ORDER BY at DESC, id DESC",
            &[Value::S(person_key.to_owned())],
            event_row,
        )
        .await
    }

    /// How many entitlements were opened between the two times, by source.
    pub async fn openings(self, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Vec<(String, String, i64)>> {
        self.lookup(
            "SELECT e.benefit, n.source, COUNT(*) AS n FROM welfare_event e JOIN welfare_entitlement n ON n.person_key = e.person_key AND n.benefit = e.benefit \
             WHERE e.kind = 'opened' AND e.at >= $1 AND e.at < $2 GROUP BY e.benefit, n.source ORDER BY e.benefit, n.source",
            &[Value::S(codec::ts(from)), Value::S(codec::ts(to))],
            |r| Ok((r.text("benefit")?, r.text("source")?, r.int("n")?)),
        )
        .await
    }

    /// Every run, newest month first.
    pub async fn runs(self) -> Result<Vec<RunRow>> {
        self.lookup(run_select!("ORDER BY month DESC, department"), &[], run_row).await
    }

    /// One run.
    pub async fn run(self, id: i64) -> Result<Option<RunRow>> {
        self.lookup_one(run_select!("WHERE id = $1"), &[Value::I(id)], run_row).await
    }

    /// The payments of these people's benefits for months from `from` on (what a run must not
    /// pay again and what it may have to recover).
    pub async fn paid_since(self, benefits: &[String], from: &str) -> Result<Vec<PaymentRow>> {
        let mut w = Conditions::default();
        let p = w.bind(Value::S(from.to_owned()));
        w.and(format!("month >= {p}"));
        in_texts(&mut w, "benefit", benefits);
        w.and("status <> 'failed'".into());
        let rows = self
            .rows(format!("SELECT {} FROM welfare_payment {} ORDER BY person_key, benefit, month", PAYMENT_COLUMNS.join(", "), w.clause()), &w)
            .await?;
        rows.iter().map(|r| payment_row(r)).collect()
    }

    /// Freezes a run with its lines and recoveries in one transaction; `false` (nothing
    /// written) if the department's month has a run already. A line for a person, benefit and
    /// month paid already fails the whole transaction (unique violation): nothing is paid twice.
    pub async fn freeze_run(self, run: &RunRow, payments: &[PaymentRow], recoveries: &[RecoveryRow]) -> Result<bool> {
        let mut tx = self.write_pool().begin().await?;
        let row = vec![
            Value::I(run.id),
            Value::S(run.month.clone()),
            Value::S(run.department.clone()),
            Value::S(run.status.clone()),
            Value::S(run.digest.clone()),
            Value::I(run.lines),
            Value::I(run.amount_fen),
            Value::I(run.recoveries_fen),
            Value::S(run.totals.clone()),
            Value::I(run.frozen_by),
            Value::S(codec::ts(run.frozen_at)),
            Value::OptI(run.approved_by),
            Value::OptS(codec::ts_opt(run.approved_at)),
            Value::OptS(codec::ts_opt(run.exported_at)),
            Value::OptS(codec::ts_opt(run.returned_at)),
        ];
        let n = insert_rows(&mut tx, "welfare_run", RUN_COLUMNS, &[row], "ON CONFLICT (month, department) DO NOTHING").await?;
        if n != 1 {
            tx.rollback().await?;
            return Ok(false);
        }
        let values: Vec<Vec<Value>> = payments
            .iter()
            .map(|p| {
                vec![
                    Value::I(p.id),
                    Value::I(p.run_id),
                    Value::I(p.line),
                    Value::S(p.person_key.clone()),
                    Value::I(p.household),
                    Value::S(p.division.clone()),
                    Value::S(p.benefit.clone()),
                    Value::S(p.month.clone()),
                    Value::I(p.amount_fen),
                    Value::S(p.kind.clone()),
                    Value::S(p.name.clone()),
                    Value::S(p.account.clone()),
                    Value::S(p.status.clone()),
                    Value::OptS(p.failure.clone()),
                ]
            })
            .collect();
        insert_rows(&mut tx, "welfare_payment", PAYMENT_COLUMNS, &values, "").await?;
        let values: Vec<Vec<Value>> = recoveries
            .iter()
            .map(|r| {
                vec![
                    Value::I(r.id),
                    Value::I(r.run_id),
                    Value::S(r.person_key.clone()),
                    Value::S(r.benefit.clone()),
                    Value::S(r.month.clone()),
                    Value::I(r.amount_fen),
                    Value::S(r.reason_zh.clone()),
                    Value::S(r.reason_en.clone()),
                    Value::S(r.status.clone()),
                ]
            })
            .collect();
        // A recovery already recorded for the month stays as it is.
        insert_rows(&mut tx, "welfare_recovery", RECOVERY_COLUMNS, &values, "ON CONFLICT (person_key, benefit, month) DO NOTHING").await?;
        tx.commit().await?;
        self.flushed(true).await
    }

    /// Moves a run from one status to the next; `false` if it was not in `from` (someone else
    /// moved it first). Approval also needs an approver other than the one who froze it.
    pub async fn advance_run(self, id: i64, from: &str, to: &str, by: i64, at: DateTime<Utc>) -> Result<bool> {
        let sql = match to {
            "approved" => "UPDATE welfare_run SET status = $1, approved_by = $2, approved_at = $3 WHERE id = $4 AND status = $5 AND frozen_by <> $2",
            "exported" => "UPDATE welfare_run SET status = $1, exported_at = $3 WHERE id = $4 AND status = $5 AND $2 = $2",
            _ => "UPDATE welfare_run SET status = $1, returned_at = $3 WHERE id = $4 AND status = $5 AND $2 = $2",
        };
        let n = sqlx::query(sql)
            .bind(to.to_owned())
            .bind(by)
            .bind(codec::ts(at))
            .bind(id)
            .bind(from.to_owned())
            .execute(self.write_pool())
            .await?
            .rows_affected();
        self.flushed(n == 1).await
    }

    /// A run's lines, in order.
    pub async fn payments_of_run(self, run: i64) -> Result<Vec<PaymentRow>> {
        self.lookup(payment_select!("WHERE run_id = $1 ORDER BY line"), &[Value::I(run)], payment_row).await
    }

    /// A run's recoveries.
    pub async fn recoveries_of_run(self, run: i64) -> Result<Vec<RecoveryRow>> {
        self.lookup(
            "SELECT id, run_id, person_key, benefit, month, amount, reason_zh, reason_en, status FROM welfare_recovery WHERE run_id = $1 ORDER BY person_key, benefit, month",
            &[Value::I(run)],
            recovery_row,
        )
        .await
    }

    /// Records the bank's return: lines paid and lines failed (with the bank's reason), and the
    /// notices about failures, in one transaction; the run becomes `returned` once every line
    /// sent has an answer. `false` (nothing written) if the run was not exported.
    pub async fn apply_returns(self, run: i64, paid: &[i64], failed: &[(i64, String)], complete: bool, notices: &[PlainNotice], at: DateTime<Utc>) -> Result<bool> {
        let mut tx = self.write_pool().begin().await?;
        let ok: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM welfare_run WHERE id = $1 AND status = 'exported'").bind(run).fetch_one(&mut *tx).await?;
        if ok != 1 {
            tx.rollback().await?;
            return Ok(false);
        }
        for chunk in paid.chunks(500) {
            let mut w = Conditions::default();
            let r = w.bind(Value::I(run));
            in_ints(&mut w, "id", chunk);
            let sql = format!("UPDATE welfare_payment SET status = 'paid', failure = NULL {} AND run_id = {r} AND status = 'planned'", w.clause());
            let mut args = sqlx::any::AnyArguments::default();
            for v in &w_args(&w) {
                crate::writer::bind(&mut args, v)?;
            }
            crate::query_with(sql, args).execute(&mut *tx).await?;
        }
        for (id, reason) in failed {
            sqlx::query("UPDATE welfare_payment SET status = 'failed', failure = $1 WHERE id = $2 AND run_id = $3 AND status = 'planned'")
                .bind(reason.clone())
                .bind(*id)
                .bind(run)
                .execute(&mut *tx)
                .await?;
        }
        if complete {
            sqlx::query("UPDATE welfare_run SET status = 'returned', returned_at = $1 WHERE id = $2").bind(codec::ts(at)).bind(run).execute(&mut *tx).await?;
        }
        let stamp = codec::ts(at);
        let values: Vec<Vec<Value>> = notices.iter().map(|n| super::datapool::plain_notice_values(n, &stamp)).collect();
        if !values.is_empty() {
            insert_rows(&mut tx, "notice", super::datapool::PLAIN_NOTICE_COLUMNS, &values, "").await?;
        }
        tx.commit().await?;
        self.flushed(true).await
    }

    /// The payments to a household's members for months in `from..=to`.
    pub async fn payments_of_household(self, household: i64, from: &str, to: &str) -> Result<Vec<PaymentRow>> {
        self.lookup(
            payment_select!("WHERE household = $1 AND month >= $2 AND month <= $3 ORDER BY month, person_key, benefit"),
            &[Value::I(household), Value::S(from.to_owned()), Value::S(to.to_owned())],
            payment_row,
        )
        .await
    }

    /// The lines the bank could not pay, and those held for want of an account, of a department's runs.
    pub async fn failed_payments(self, department: &str) -> Result<Vec<PaymentRow>> {
        self.lookup(
            "SELECT p.id, p.run_id, p.line, p.person_key, p.household, p.division, p.benefit, p.month, p.amount, p.kind, p.name, p.account, p.status, p.failure \
             FROM welfare_payment p JOIN welfare_run r ON r.id = p.run_id WHERE r.department = $1 AND p.status IN ('failed', 'held') ORDER BY p.month DESC, p.line",
            &[Value::S(department.to_owned())],
            payment_row,
        )
        .await
    }

    /// How many of each household's payments failed (a discovery signal).
    pub async fn failed_by_household(self) -> Result<Vec<(i64, i64)>> {
        self.lookup("SELECT household, COUNT(*) AS n FROM welfare_payment WHERE status = 'failed' GROUP BY household", &[], |r| {
            Ok((r.int("household")?, r.int("n")?))
        })
        .await
    }

    /// Stores an objection.
    pub async fn insert_objection(self, o: &ObjectionRow) -> Result<()> {
        let row = vec![
            Value::I(o.id),
            Value::S(o.person_key.clone()),
            Value::I(o.account_id),
            Value::S(o.benefit.clone()),
            Value::S(o.department.clone()),
            Value::S(o.text.clone()),
            Value::S(o.status.clone()),
            Value::OptS(o.answer.clone()),
            Value::S(codec::ts(o.created_at)),
            Value::OptI(o.decided_by),
            Value::OptS(codec::ts_opt(o.decided_at)),
        ];
        self.insert_all("welfare_objection", OBJECTION_COLUMNS, &[row], "").await?;
        Ok(())
    }

    /// One objection.
    pub async fn objection(self, id: i64) -> Result<Option<ObjectionRow>> {
        self.lookup_one(objection_select!("WHERE id = $1"), &[Value::I(id)], objection_row).await
    }

    /// A department's objections (every department's with `None`), open first.
    pub async fn objections(self, department: Option<&str>, person: Option<&str>) -> Result<Vec<ObjectionRow>> {
        let mut w = Conditions::default();
        if let Some(d) = super::given(department) {
            w.equals("department", Value::S(d.to_owned()));
        }
        if let Some(p) = super::given(person) {
            w.equals("person_key", Value::S(p.to_owned()));
        }
        let rows = self
            .rows(
                format!(
                    "SELECT {} FROM welfare_objection {} ORDER BY CASE WHEN status = 'open' THEN 0 ELSE 1 END, created_at DESC LIMIT 500",
                    OBJECTION_COLUMNS.join(", "),
                    w.clause()
                ),
                &w,
            )
            .await?;
        rows.iter().map(|r| objection_row(r)).collect()
    }

    /// Decides an open objection and sends its notice; `false` if it was decided already.
    pub async fn decide_objection(self, id: i64, status: &str, answer: &str, by: i64, at: DateTime<Utc>, notice: &PlainNotice) -> Result<bool> {
        let mut tx = self.write_pool().begin().await?;
        let n = sqlx::query("UPDATE welfare_objection SET status = $1, answer = $2, decided_by = $3, decided_at = $4 WHERE id = $5 AND status = 'open'")
            .bind(status.to_owned())
            .bind(answer.to_owned())
            .bind(by)
            .bind(codec::ts(at))
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if n != 1 {
            tx.rollback().await?;
            return Ok(false);
        }
        let row = super::datapool::plain_notice_values(notice, &codec::ts(at));
        insert_rows(&mut tx, "notice", super::datapool::PLAIN_NOTICE_COLUMNS, &[row], "").await?;
        tx.commit().await?;
        self.flushed(true).await
    }

    /// Every flag (the sweep compares them with what it finds).
    pub async fn flags_all(self) -> Result<Vec<FlagRow>> {
        let w = Conditions::default();
        let rows = self.rows(format!("{FLAG_SELECT} ORDER BY household"), &w).await?;
        rows.iter().map(|r| flag_row(r)).collect()
    }

    /// The flags of a division and those below it (every one with `None`), highest score first.
    pub async fn flags(self, division: Option<&str>, status: Option<&str>, page: Page) -> Result<Vec<FlagRow>> {
        let mut w = Conditions::default();
        if let Some(d) = super::given(division) {
            w.starts_with("division", d);
        }
        if let Some(s) = super::given(status) {
            w.equals("status", Value::S(s.to_owned()));
        }
        let clause = w.clause();
        let tail = w.page(page);
        let rows = self.rows(format!("{FLAG_SELECT} {clause} ORDER BY score DESC, household {tail}"), &w).await?;
        rows.iter().map(|r| flag_row(r)).collect()
    }

    /// One household's flag.
    pub async fn flag(self, household: i64) -> Result<Option<FlagRow>> {
        let mut w = Conditions::default();
        w.equals("household", Value::I(household));
        let rows = self.rows(format!("{FLAG_SELECT} {}", w.clause()), &w).await?;
        rows.first().map(|r| flag_row(r)).transpose()
    }

    /// Writes flags: new ones inserted, changed ones written if still at the version before
    /// theirs. `false` (nothing written) if one was changed meanwhile.
    pub async fn save_flags(self, rows: &[FlagRow]) -> Result<bool> {
        if rows.is_empty() {
            return Ok(true);
        }
        let mut tx = self.write_pool().begin().await?;
        let mut written = 0u64;
        for chunk in rows.chunks(256) {
            let values: Vec<Vec<Value>> = chunk.iter().map(flag_values).collect();
            let sets: Vec<String> = FLAG_COLUMNS[1..].iter().map(|c| format!("{c} = excluded.{c}")).collect();
            let tail = format!("ON CONFLICT (household) DO UPDATE SET {} WHERE welfare_flag.version = excluded.version - 1", sets.join(", "));
            written += insert_rows(&mut tx, "welfare_flag", FLAG_COLUMNS, &values, &tail).await?;
        }
        if written != rows.len() as u64 {
            tx.rollback().await?;
            return Ok(false);
        }
        tx.commit().await?;
        self.flushed(true).await
    }

    /// Money paid (or to be paid) per benefit, town and month, and how many people.
    pub async fn payout_figures(self) -> Result<Vec<PayoutFigure>> {
        self.lookup(
            "SELECT benefit, SUBSTR(division, 1, 9) AS town, month, COUNT(DISTINCT person_key) AS people, CAST(SUM(amount) AS BIGINT) AS amount \
             FROM welfare_payment WHERE status <> 'failed' GROUP BY benefit, SUBSTR(division, 1, 9), month ORDER BY month, benefit, town",
            &[],
            |r| {
                Ok(PayoutFigure {
                    benefit: r.text("benefit")?,
                    town: r.text("town")?,
                    month: r.text("month")?,
                    people: r.int("people")?,
                    amount_fen: r.int("amount")?,
                })
            },
        )
        .await
    }

    /// Open entitlements per benefit and town: (benefit, town, people, fen a month).
    pub async fn beneficiaries(self) -> Result<Vec<(String, String, i64, i64)>> {
        self.lookup(
            "SELECT benefit, SUBSTR(division, 1, 9) AS town, COUNT(*) AS n, CAST(SUM(amount) AS BIGINT) AS amount FROM welfare_entitlement \
             WHERE status = 'open' GROUP BY benefit, SUBSTR(division, 1, 9) ORDER BY benefit, town",
            &[],
            |r| Ok((r.text("benefit")?, r.text("town")?, r.int("n")?, r.int("amount")?)),
        )
        .await
    }

    /// How many notices of a kind are in the outbox (the benchmark's check).
    pub async fn notices_of_kind(self, kind: &str) -> Result<i64> {
        Ok(self.lookup_one("SELECT COUNT(*) AS n FROM notice WHERE kind = $1", &[Value::S(kind.to_owned())], |r| r.int("n")).await?.unwrap_or(0))
    }

    /// A division's name.
    pub async fn division_name(self, code: &str) -> Result<Option<String>> {
        self.lookup_one("SELECT name FROM division WHERE code = $1", &[Value::S(code.to_owned())], |r| r.text("name")).await
    }

    /// People aged `from`–`to` on `today` still on the register (no death or cancellation
    /// record), and how many of them have `benefit` open.
    pub async fn elders_between(self, today: NaiveDate, from: u32, to: u32, benefit: &str) -> Result<(i64, i64)> {
        let youngest = today.checked_sub_months(chrono::Months::new(from * 12)).unwrap_or(today);
        let oldest = today.checked_sub_months(chrono::Months::new((to + 1) * 12)).unwrap_or(today);
        let row = self
            .lookup_one(
                "SELECT COUNT(*) AS n, CAST(COALESCE(SUM(CASE WHEN EXISTS (SELECT 1 FROM welfare_entitlement e WHERE e.person_key = p.id_number AND e.benefit = $3 AND e.status = 'open') THEN 1 ELSE 0 END), 0) AS BIGINT) AS receiving \
                 FROM person p WHERE p.birth_date <= $1 AND p.birth_date > $2 AND NOT EXISTS (SELECT 1 FROM shared_record r WHERE r.subject_key = p.id_number \
                 AND r.record_type IN ('death_medical_cert', 'cremation_cert', 'household_cancellation') AND r.superseded_by IS NULL AND r.revoked_at IS NULL)",
                &[Value::S(codec::date(youngest)), Value::S(codec::date(oldest)), Value::S(benefit.to_owned())],
                |r| Ok((r.int("n")?, r.int("receiving")?)),
            )
            .await?;
        Ok(row.unwrap_or((0, 0)))
    }

    /// Flags by origin and status: (origin, status, households).
    pub async fn flag_counts(self) -> Result<Vec<(String, String, i64)>> {
        self.lookup("SELECT origin, status, COUNT(*) AS n FROM welfare_flag GROUP BY origin, status ORDER BY origin, status", &[], |r| {
            Ok((r.text("origin")?, r.text("status")?, r.int("n")?))
        })
        .await
    }
}

/// The bind values of a [`Conditions`] (for statements run inside a transaction).
fn w_args(w: &Conditions) -> Vec<Value> {
    w.args.clone()
}
