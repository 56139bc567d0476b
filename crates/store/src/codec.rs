//! How values are written to and read from the portable schema: timestamps as RFC 3339 text with
//! microseconds, dates as `YYYY-MM-DD`, flags as 0/1, documents as JSON; and the mapping of an
//! application aggregate to its rows.

use std::collections::BTreeMap;

use catalog::Subject;
use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use domain::{AccountId, ApplicationId, CaseId, RectificationId};
use onething::{
    AppStatus, Applicant, Application, Baseline, CaseStatus, ChainHead, Channel, ItemCase, MaterialEntry,
    Rating, RatingLevel, Rectification, RectificationStatus, Target, Touched,
};
use crate::lookup::Cols;
use crate::{Result, StoreError};

pub fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Micros, true)
}

pub fn ts_opt(t: Option<DateTime<Utc>>) -> Option<String> {
    t.map(ts)
}

pub fn parse_ts(s: &str) -> Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| StoreError::Corrupt(format!("timestamp {s:?}: {e}")))
}

pub fn parse_ts_opt(s: Option<String>) -> Result<Option<DateTime<Utc>>> {
    s.as_deref().map(parse_ts).transpose()
}

pub fn date(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

pub fn date_opt(d: Option<NaiveDate>) -> Option<String> {
    d.map(date)
}

pub fn parse_date(s: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|e| StoreError::Corrupt(format!("date {s:?}: {e}")))
}

pub fn parse_date_opt(s: Option<String>) -> Result<Option<NaiveDate>> {
    s.as_deref().map(parse_date).transpose()
}

pub fn flag(b: bool) -> i64 {
    i64::from(b)
}

pub fn subject_code(s: Subject) -> &'static str {
    match s {
        Subject::Person => "person",
        Subject::Enterprise => "enterprise",
    }
}

pub fn parse_subject(s: &str) -> Result<Subject> {
    match s {
        "person" => Ok(Subject::Person),
        "enterprise" => Ok(Subject::Enterprise),
        _ => Err(StoreError::Corrupt(format!("subject {s:?}"))),
    }
}

fn json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "null".to_owned())
}

fn from_json<T: serde::de::DeserializeOwned>(what: &str, s: &str) -> Result<T> {
    serde_json::from_str(s).map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))
}

fn u32_of(v: i64) -> u32 {
    u32::try_from(v).unwrap_or(0)
}

/// The columns of `application`, in the order `application_values` binds them.
pub const APPLICATION_COLUMNS: &[&str] = &[
    "id", "target_kind", "target_code", "subject_kind", "applicant_key", "applicant_name",
    "applicant_account", "submitted_by", "channel", "division", "status", "submitted_at", "finished_at",
    "deadline", "next_check_on", "baseline_materials", "baseline_trips",
    "baseline_days", "item_count", "uploaded_materials", "trips", "extra_trips", "elapsed_days",
    "first_rating", "last_rating", "history_seq", "history_head", "version",
];

/// One bindable value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    I(i64),
    OptI(Option<i64>),
    S(String),
    OptS(Option<String>),
}

/// The values of an application row.
pub fn application_values(app: &Application, version: i64) -> Vec<Value> {
    use Value::*;
    vec![
        I(app.id.0),
        S(app.target.kind().to_owned()),
        S(app.target.code().to_owned()),
        S(subject_code(app.applicant.subject).to_owned()),
        S(app.applicant.key.clone()),
        S(app.applicant.name.clone()),
        I(app.applicant.account.0),
        I(app.submitted_by.0),
        S(app.channel.code().to_owned()),
        OptS(app.division.clone()),
        S(app.status.code().to_owned()),
        S(ts(app.submitted_at)),
        OptS(ts_opt(app.finished_at)),
        OptS(date_opt(app.deadline)),
        OptS(date_opt(onething::application_next_check(app))),
        I(i64::from(app.baseline.materials)),
        I(i64::from(app.baseline.trips)),
        I(i64::from(app.baseline.days)),
        I(i64::from(app.baseline.items)),
        I(i64::from(app.uploaded_materials())),
        I(i64::from(app.trips())),
        I(i64::from(app.extra_trips)),
        OptI(app.elapsed_days.map(i64::from)),
        OptI(app.ratings.first().map(|r| i64::from(r.level.score()))),
        OptI(app.ratings.last().map(|r| i64::from(r.level.score()))),
        I(app.history.seq),
        S(app.history.hash.clone()),
        I(version),
    ]
}

/// The columns of `application` that change after filing (the rest are fixed at filing).
pub const APPLICATION_MUTABLE: &[&str] = &[
    "status", "finished_at", "deadline", "next_check_on", "uploaded_materials", "trips", "extra_trips",
    "elapsed_days", "first_rating", "last_rating", "history_seq", "history_head", "version",
];

/// The application's documents as stored in `application_doc`: form, materials, ratings.
pub fn doc_values(app: &Application) -> [String; 3] {
    [json(&app.form), json(&app.materials), json(&app.ratings)]
}

pub const DOC_COLUMNS: &[&str] = &["application_id", "form", "materials", "ratings"];

pub const CASE_COLUMNS: &[&str] = &[
    "id", "application_id", "pos", "item", "department", "workflow", "status", "state", "division",
    "promised_days", "legal_days", "started_at", "state_entered_at", "finished_at", "promised_deadline",
    "legal_deadline", "state_deadline", "paused_since", "paused_days", "warned", "overdue", "legal_overdue",
    "state_overdue", "next_check_on",
];

pub fn case_values(app: &Application, pos: usize, c: &ItemCase) -> Vec<Value> {
    use Value::*;
    vec![
        I(c.id.0),
        I(app.id.0),
        I(i64::try_from(pos).unwrap_or(0)),
        S(c.item.clone()),
        S(c.department.clone()),
        S(c.workflow.clone()),
        S(c.status.code().to_owned()),
        OptS(c.state.clone()),
        OptS(app.division.clone()),
        I(i64::from(c.promised_days)),
        I(i64::from(c.legal_days)),
        OptS(ts_opt(c.started_at)),
        OptS(ts_opt(c.state_entered_at)),
        OptS(ts_opt(c.finished_at)),
        OptS(date_opt(c.promised_deadline)),
        OptS(date_opt(c.legal_deadline)),
        OptS(date_opt(c.state_deadline)),
        OptS(ts_opt(c.paused_since)),
        I(i64::from(c.paused_days)),
        I(flag(c.warned)),
        I(flag(c.overdue)),
        I(flag(c.legal_overdue)),
        I(flag(c.state_overdue)),
        OptS(date_opt(c.next_check_on)),
    ]
}

/// The columns of `item_case` that change as the case moves.
pub const CASE_MUTABLE: &[&str] = &[
    "status", "state", "started_at", "state_entered_at", "finished_at", "promised_deadline", "legal_deadline",
    "state_deadline", "paused_since", "paused_days", "warned", "overdue", "legal_overdue", "state_overdue",
    "next_check_on",
];

pub const RECTIFICATION_COLUMNS: &[&str] = &[
    "id", "application_id", "department", "status", "opened_by_round", "opened_at", "due_on", "overdue",
    "response", "responded_by", "responded_at", "closed_at", "closing_level",
];

pub const RECTIFICATION_MUTABLE: &[&str] =
    &["status", "overdue", "response", "responded_by", "responded_at", "closed_at", "closing_level"];

pub fn rectification_values(app: &Application, r: &Rectification) -> Vec<Value> {
    use Value::*;
    vec![
        I(r.id.0),
        I(app.id.0),
        S(r.department.clone()),
        S(r.status.code().to_owned()),
        I(i64::from(r.opened_by_round)),
        S(ts(r.opened_at)),
        S(date(r.due_on)),
        I(flag(r.overdue)),
        OptS(r.response.clone()),
        OptI(r.responded_by.map(|a| a.0)),
        OptS(ts_opt(r.responded_at)),
        OptS(ts_opt(r.closed_at)),
        OptI(r.closing_level.map(|l| i64::from(l.score()))),
    ]
}

/// An application row and its documents row (read by either driver).
pub fn application_from_rows(row: &impl Cols, doc: &impl Cols) -> Result<Application> {
    let kind = row.text("target_kind")?;
    let code = row.text("target_code")?;
    let target = Target::parse(&kind, &code).ok_or_else(|| StoreError::Corrupt(format!("target {kind}")))?;
    let status = row.text("status")?;
    let channel = row.text("channel")?;
    let form: BTreeMap<String, String> = from_json("form", &doc.text("form")?)?;
    let materials: Vec<MaterialEntry> = from_json("materials", &doc.text("materials")?)?;
    let ratings: Vec<Rating> = from_json("ratings", &doc.text("ratings")?)?;
    Ok(Application {
        id: ApplicationId(row.int("id")?),
        target,
        applicant: Applicant {
            subject: parse_subject(&row.text("subject_kind")?)?,
            key: row.text("applicant_key")?,
            name: row.text("applicant_name")?,
            account: AccountId(row.int("applicant_account")?),
        },
        submitted_by: AccountId(row.int("submitted_by")?),
        channel: Channel::parse(&channel).ok_or_else(|| StoreError::Corrupt(format!("channel {channel}")))?,
        division: row.text_opt("division")?,
        status: AppStatus::parse(&status).ok_or_else(|| StoreError::Corrupt(format!("status {status}")))?,
        submitted_at: parse_ts(&row.text("submitted_at")?)?,
        finished_at: parse_ts_opt(row.text_opt("finished_at")?)?,
        deadline: parse_date_opt(row.text_opt("deadline")?)?,
        form,
        materials,
        cases: Vec::new(),
        baseline: Baseline {
            materials: u32_of(row.int("baseline_materials")?),
            trips: u32_of(row.int("baseline_trips")?),
            days: u32_of(row.int("baseline_days")?),
            items: u32_of(row.int("item_count")?),
        },
        extra_trips: u32_of(row.int("extra_trips")?),
        elapsed_days: row.int_opt("elapsed_days")?.map(u32_of),
        ratings,
        rectifications: Vec::new(),
        history: ChainHead { seq: row.int("history_seq")?, hash: row.text("history_head")? },
        version: row.int("version")?,
        touched: Touched::default(),
    })
}

/// An item case row: its application, its position there, and the case.
pub fn case_from_row(row: &impl Cols) -> Result<(ApplicationId, i64, ItemCase)> {
    let status = row.text("status")?;
    let c = ItemCase {
        id: CaseId(row.int("id")?),
        item: row.text("item")?,
        department: row.text("department")?,
        workflow: row.text("workflow")?,
        status: CaseStatus::parse(&status).ok_or_else(|| StoreError::Corrupt(format!("case status {status}")))?,
        state: row.text_opt("state")?,
        promised_days: u32_of(row.int("promised_days")?),
        legal_days: u32_of(row.int("legal_days")?),
        started_at: parse_ts_opt(row.text_opt("started_at")?)?,
        state_entered_at: parse_ts_opt(row.text_opt("state_entered_at")?)?,
        finished_at: parse_ts_opt(row.text_opt("finished_at")?)?,
        promised_deadline: parse_date_opt(row.text_opt("promised_deadline")?)?,
        legal_deadline: parse_date_opt(row.text_opt("legal_deadline")?)?,
        state_deadline: parse_date_opt(row.text_opt("state_deadline")?)?,
        paused_since: parse_ts_opt(row.text_opt("paused_since")?)?,
        paused_days: u32_of(row.int("paused_days")?),
        warned: row.int("warned")? != 0,
        overdue: row.int("overdue")? != 0,
        legal_overdue: row.int("legal_overdue")? != 0,
        state_overdue: row.int("state_overdue")? != 0,
        next_check_on: parse_date_opt(row.text_opt("next_check_on")?)?,
    };
    Ok((ApplicationId(row.int("application_id")?), row.int("pos")?, c))
}

/// A rectification row and its application.
pub fn rectification_from_row(row: &impl Cols) -> Result<(ApplicationId, Rectification)> {
    let status = row.text("status")?;
    let r = Rectification {
        id: RectificationId(row.int("id")?),
        department: row.text("department")?,
        status: RectificationStatus::parse(&status)
            .ok_or_else(|| StoreError::Corrupt(format!("rectification status {status}")))?,
        opened_by_round: u32_of(row.int("opened_by_round")?),
        opened_at: parse_ts(&row.text("opened_at")?)?,
        due_on: parse_date(&row.text("due_on")?)?,
        overdue: row.int("overdue")? != 0,
        response: row.text_opt("response")?,
        responded_by: row.int_opt("responded_by")?.map(AccountId),
        responded_at: parse_ts_opt(row.text_opt("responded_at")?)?,
        closed_at: parse_ts_opt(row.text_opt("closed_at")?)?,
        closing_level: row.int_opt("closing_level")?.and_then(RatingLevel::from_score),
    };
    Ok((ApplicationId(row.int("application_id")?), r))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_round_trip_and_sort_as_text() {
        let a = DateTime::from_timestamp(1_790_000_000, 5_000).expect("time");
        let b = DateTime::from_timestamp(1_790_000_001, 0).expect("time");
        assert_eq!(parse_ts(&ts(a)).expect("parse"), a);
        assert!(ts(a) < ts(b));
        assert_eq!(ts(a).len(), ts(b).len());
    }
}
