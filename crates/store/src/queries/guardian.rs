//! The elderly safety guardian's queries: elders under guard, their devices, the readings the
//! devices sent (each once), what each device last showed, refused payloads, responders, alarms
//! with their hash-chained steps and the engine's learned state.

use chrono::DateTime;
use chrono::Utc;

use crate::Result;
use crate::codec;
use crate::codec::Value;
use crate::handles::GuardianQueries;
use crate::lookup::Cols;
use crate::queries::Conditions;
use crate::queries::Page;
use crate::queries::PlainNotice;
use crate::queries::chunked;
use crate::queries::in_texts;
use crate::writer::insert_rows;

/// An elder under guard (or withdrawn).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuardianElderRow {
    pub id: i64,
    pub person_key: String,
    pub name: String,
    pub division: String,
    pub household: i64,
    pub basis: String,
    pub address: String,
    /// WGS84 latitude and longitude in millionths of a degree.
    pub home_e6: Option<(i64, i64)>,
    /// JSON: the emergency contacts.
    pub contacts: String,
    /// JSON: the elder's own thresholds.
    pub overrides: String,
    pub consent_on: String,
    pub status: String,
    pub enrolled_by: i64,
    pub enrolled_at: DateTime<Utc>,
    pub withdrawn_at: Option<DateTime<Utc>>,
    pub withdrawn_reason: Option<String>,
    pub version: i64,
}

const ELDER_COLUMNS: &[&str] = &[
    "id", "person_key", "name", "division", "household", "basis", "address", "home_lat_e6", "home_lon_e6", "contacts", "overrides", "consent_on", "status",
    "enrolled_by", "enrolled_at", "withdrawn_at", "withdrawn_reason", "version",
];
const ELDER_SELECT: &str = "SELECT id, person_key, name, division, household, basis, address, home_lat_e6, home_lon_e6, contacts, overrides, consent_on, status, \
     enrolled_by, enrolled_at, withdrawn_at, withdrawn_reason, version FROM guardian_elder";

fn elder_row(r: &dyn Cols) -> Result<GuardianElderRow> {
    let home = match (r.int_opt("home_lat_e6")?, r.int_opt("home_lon_e6")?) {
        (Some(a), Some(b)) => Some((a, b)),
        _ => None,
    };
    Ok(GuardianElderRow {
        id: r.int("id")?,
        person_key: r.text("person_key")?,
        name: r.text("name")?,
        division: r.text("division")?,
        household: r.int("household")?,
        basis: r.text("basis")?,
        address: r.text("address")?,
        home_e6: home,
        contacts: r.text("contacts")?,
        overrides: r.text("overrides")?,
        consent_on: r.text("consent_on")?,
        status: r.text("status")?,
        enrolled_by: r.int("enrolled_by")?,
        enrolled_at: codec::parse_ts(&r.text("enrolled_at")?)?,
        withdrawn_at: codec::parse_ts_opt(r.text_opt("withdrawn_at")?)?,
        withdrawn_reason: r.text_opt("withdrawn_reason")?,
        version: r.int("version")?,
    })
}

fn elder_values(e: &GuardianElderRow) -> Vec<Value> {
    vec![
        Value::I(e.id),
        Value::S(e.person_key.clone()),
        Value::S(e.name.clone()),
        Value::S(e.division.clone()),
        Value::I(e.household),
        Value::S(e.basis.clone()),
        Value::S(e.address.clone()),
        Value::OptI(e.home_e6.map(|h| h.0)),
        Value::OptI(e.home_e6.map(|h| h.1)),
        Value::S(e.contacts.clone()),
        Value::S(e.overrides.clone()),
        Value::S(e.consent_on.clone()),
        Value::S(e.status.clone()),
        Value::I(e.enrolled_by),
        Value::S(codec::ts(e.enrolled_at)),
        Value::OptS(codec::ts_opt(e.withdrawn_at)),
        Value::OptS(e.withdrawn_reason.clone()),
        Value::I(e.version),
    ]
}

/// A device in an elder's home.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuardianDeviceRow {
    pub id: String,
    pub elder: i64,
    pub kind: String,
    pub room: Option<String>,
    /// The hash of its MQTT password (the secret is shown once, when it is registered).
    pub secret_hash: String,
    pub status: String,
    pub installed_at: DateTime<Utc>,
}

const DEVICE_COLUMNS: &[&str] = &["id", "elder", "kind", "room", "secret_hash", "status", "installed_at"];
const DEVICE_SELECT: &str = "SELECT id, elder, kind, room, secret_hash, status, installed_at FROM guardian_device";

fn device_row(r: &dyn Cols) -> Result<GuardianDeviceRow> {
    Ok(GuardianDeviceRow {
        id: r.text("id")?,
        elder: r.int("elder")?,
        kind: r.text("kind")?,
        room: r.text_opt("room")?,
        secret_hash: r.text("secret_hash")?,
        status: r.text("status")?,
        installed_at: codec::parse_ts(&r.text("installed_at")?)?,
    })
}

/// A reading accepted from a device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuardianReadingRow {
    pub device: String,
    pub seq: i64,
    pub at: DateTime<Utc>,
    pub received_at: DateTime<Utc>,
    /// The node of the server that took it.
    pub node: i64,
    /// The payload as the device sent it.
    pub body: String,
}

fn reading_row(r: &dyn Cols) -> Result<GuardianReadingRow> {
    Ok(GuardianReadingRow {
        device: r.text("device")?,
        seq: r.int("seq")?,
        at: codec::parse_ts(&r.text("at")?)?,
        received_at: codec::parse_ts(&r.text("received_at")?)?,
        node: r.int("node")?,
        body: r.text("body")?,
    })
}

/// What a device last showed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuardianDeviceStateRow {
    pub device: String,
    pub elder: i64,
    pub last_seen: DateTime<Utc>,
    pub last_active: Option<DateTime<Utc>>,
    pub battery_pct: Option<i64>,
    /// The wearable's last position, millionths of a degree.
    pub position_e6: Option<(i64, i64)>,
}

/// A kind of payload refused from a device (or an unknown device id), counted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuardianRejectionRow {
    pub device: String,
    pub code: String,
    pub count: i64,
    pub last_at: DateTime<Utc>,
    pub last_detail: String,
}

/// Someone who goes when an elder needs help.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuardianResponderRow {
    pub id: i64,
    pub account: i64,
    pub kind: String,
    pub name: String,
    pub phone: String,
    pub division: String,
    pub lat_e6: i64,
    pub lon_e6: i64,
    pub available: bool,
    pub updated_at: DateTime<Utc>,
}

const RESPONDER_COLUMNS: &[&str] = &["id", "account", "kind", "name", "phone", "division", "lat_e6", "lon_e6", "available", "updated_at"];
const RESPONDER_SELECT: &str = "SELECT id, account, kind, name, phone, division, lat_e6, lon_e6, available, updated_at FROM guardian_responder";

fn responder_row(r: &dyn Cols) -> Result<GuardianResponderRow> {
    Ok(GuardianResponderRow {
        id: r.int("id")?,
        account: r.int("account")?,
        kind: r.text("kind")?,
        name: r.text("name")?,
        phone: r.text("phone")?,
        division: r.text("division")?,
        lat_e6: r.int("lat_e6")?,
        lon_e6: r.int("lon_e6")?,
        available: r.int("available")? != 0,
        updated_at: codec::parse_ts(&r.text("updated_at")?)?,
    })
}

/// An alarm and where it stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuardianAlarmRow {
    pub id: i64,
    pub elder: i64,
    pub division: String,
    pub kind: String,
    pub technical: bool,
    pub severity: String,
    /// What raised it (a reading's device and seq, or a watch of the clock): unique.
    pub trigger_key: String,
    pub device: Option<String>,
    pub state: String,
    pub responder: Option<i64>,
    /// JSON: the responders asked so far.
    pub tried: String,
    pub raised_at: DateTime<Utc>,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub dispatched_at: Option<DateTime<Utc>>,
    pub accepted_at: Option<DateTime<Utc>>,
    pub on_scene_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub outcome: Option<String>,
    /// JSON: the readings that raised it.
    pub evidence: String,
    /// JSON: the engine's case.
    pub case_json: String,
    pub head_seq: i64,
    pub head_hash: String,
    pub version: i64,
}

const ALARM_COLUMNS: &[&str] = &[
    "id", "elder", "division", "kind", "technical", "severity", "trigger_key", "device", "state", "responder", "tried", "raised_at", "acknowledged_at",
    "dispatched_at", "accepted_at", "on_scene_at", "closed_at", "outcome", "evidence", "case_json", "head_seq", "head_hash", "version",
];
const ALARM_SELECT: &str = "SELECT id, elder, division, kind, technical, severity, trigger_key, device, state, responder, tried, raised_at, acknowledged_at, \
     dispatched_at, accepted_at, on_scene_at, closed_at, outcome, evidence, case_json, head_seq, head_hash, version FROM guardian_alarm";

fn alarm_row(r: &dyn Cols) -> Result<GuardianAlarmRow> {
    Ok(GuardianAlarmRow {
        id: r.int("id")?,
        elder: r.int("elder")?,
        division: r.text("division")?,
        kind: r.text("kind")?,
        technical: r.int("technical")? != 0,
        severity: r.text("severity")?,
        trigger_key: r.text("trigger_key")?,
        device: r.text_opt("device")?,
        state: r.text("state")?,
        responder: r.int_opt("responder")?,
        tried: r.text("tried")?,
        raised_at: codec::parse_ts(&r.text("raised_at")?)?,
        acknowledged_at: codec::parse_ts_opt(r.text_opt("acknowledged_at")?)?,
        dispatched_at: codec::parse_ts_opt(r.text_opt("dispatched_at")?)?,
        accepted_at: codec::parse_ts_opt(r.text_opt("accepted_at")?)?,
        on_scene_at: codec::parse_ts_opt(r.text_opt("on_scene_at")?)?,
        closed_at: codec::parse_ts_opt(r.text_opt("closed_at")?)?,
        outcome: r.text_opt("outcome")?,
        evidence: r.text("evidence")?,
        case_json: r.text("case_json")?,
        head_seq: r.int("head_seq")?,
        head_hash: r.text("head_hash")?,
        version: r.int("version")?,
    })
}

fn alarm_values(a: &GuardianAlarmRow) -> Vec<Value> {
    vec![
        Value::I(a.id),
        Value::I(a.elder),
        Value::S(a.division.clone()),
        Value::S(a.kind.clone()),
        Value::I(i64::from(a.technical)),
        Value::S(a.severity.clone()),
        Value::S(a.trigger_key.clone()),
        Value::OptS(a.device.clone()),
        Value::S(a.state.clone()),
        Value::OptI(a.responder),
        Value::S(a.tried.clone()),
        Value::S(codec::ts(a.raised_at)),
        Value::OptS(codec::ts_opt(a.acknowledged_at)),
        Value::OptS(codec::ts_opt(a.dispatched_at)),
        Value::OptS(codec::ts_opt(a.accepted_at)),
        Value::OptS(codec::ts_opt(a.on_scene_at)),
        Value::OptS(codec::ts_opt(a.closed_at)),
        Value::OptS(a.outcome.clone()),
        Value::S(a.evidence.clone()),
        Value::S(a.case_json.clone()),
        Value::I(a.head_seq),
        Value::S(a.head_hash.clone()),
        Value::I(a.version),
    ]
}

/// One hash-chained step of an alarm.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuardianStepRow {
    pub alarm: i64,
    pub seq: i64,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    /// JSON.
    pub detail: String,
    pub prev_hash: String,
    pub hash: String,
}

const STEP_COLUMNS: &[&str] = &["alarm", "seq", "at", "actor", "action", "detail", "prev_hash", "hash"];

fn step_values(s: &GuardianStepRow) -> Vec<Value> {
    vec![
        Value::I(s.alarm),
        Value::I(s.seq),
        Value::S(codec::ts(s.at)),
        Value::S(s.actor.clone()),
        Value::S(s.action.clone()),
        Value::S(s.detail.clone()),
        Value::S(s.prev_hash.clone()),
        Value::S(s.hash.clone()),
    ]
}

fn step_row(r: &dyn Cols) -> Result<GuardianStepRow> {
    Ok(GuardianStepRow {
        alarm: r.int("alarm")?,
        seq: r.int("seq")?,
        at: codec::parse_ts(&r.text("at")?)?,
        actor: r.text("actor")?,
        action: r.text("action")?,
        detail: r.text("detail")?,
        prev_hash: r.text("prev_hash")?,
        hash: r.text("hash")?,
    })
}

/// A new alarm with its first steps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewGuardianAlarm {
    pub alarm: GuardianAlarmRow,
    pub steps: Vec<GuardianStepRow>,
    /// Told only if the alarm is written.
    pub notices: Vec<PlainNotice>,
}

/// What one batch of deliveries changes, written in one transaction.
#[derive(Debug, Clone)]
pub struct GuardianIngest {
    pub readings: Vec<GuardianReadingRow>,
    pub states: Vec<GuardianDeviceStateRow>,
    pub rejections: Vec<GuardianRejectionRow>,
    pub alarms: Vec<NewGuardianAlarm>,
    /// When the batch was taken (the notices' time).
    pub at: DateTime<Utc>,
}

/// What a batch wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GuardianIngested {
    /// The alarms written (an alarm whose trigger another server wrote first, or whose elder has
    /// that condition open already, is not).
    pub alarms: Vec<i64>,
}

/// Later of two text timestamps, portably (both databases compare these texts in time order).
fn later(column: &str) -> String {
    format!("CASE WHEN guardian_device_state.{column} IS NULL OR excluded.{column} > guardian_device_state.{column} THEN excluded.{column} ELSE guardian_device_state.{column} END")
}

impl GuardianQueries<'_> {
    /// Enrols an elder: `false` (nothing written) if the person is enrolled already.
    pub async fn insert_elder(self, e: &GuardianElderRow) -> Result<bool> {
        let mut conn = self.write_pool().acquire().await?;
        let n = insert_rows(&mut conn, "guardian_elder", ELDER_COLUMNS, &[elder_values(e)], "ON CONFLICT (person_key) DO NOTHING").await?;
        self.flushed(n == 1).await
    }

    /// Enrols many elders in one transaction (a load, a benchmark); those enrolled already are
    /// left as they are. How many were written.
    pub async fn insert_elders(self, elders: &[GuardianElderRow]) -> Result<u64> {
        let values: Vec<Vec<Value>> = elders.iter().map(elder_values).collect();
        let mut tx = self.write_pool().begin().await?;
        let n = insert_rows(&mut tx, "guardian_elder", ELDER_COLUMNS, &values, "ON CONFLICT (person_key) DO NOTHING").await?;
        tx.commit().await?;
        self.flushed(n).await
    }

    /// Saves a changed elder whose stored version is `e.version - 1`; `false` if someone else
    /// changed it meanwhile.
    pub async fn update_elder(self, e: &GuardianElderRow) -> Result<bool> {
        let sets: Vec<String> = ELDER_COLUMNS[2..].iter().map(|c| format!("{c} = excluded.{c}")).collect();
        let tail = format!("ON CONFLICT (id) DO UPDATE SET {} WHERE guardian_elder.version = excluded.version - 1", sets.join(", "));
        let mut conn = self.write_pool().acquire().await?;
        let n = insert_rows(&mut conn, "guardian_elder", ELDER_COLUMNS, &[elder_values(e)], &tail).await?;
        self.flushed(n == 1).await
    }

    /// An elder by id.
    pub async fn elder(self, id: i64) -> Result<Option<GuardianElderRow>> {
        let mut w = Conditions::default();
        w.equals("id", Value::I(id));
        self.rows(format!("{ELDER_SELECT} {}", w.clause()), &w).await?.iter().map(|r| elder_row(r)).next().transpose()
    }

    /// The enrolment of a person (by ID number), if any.
    pub async fn elder_of_person(self, person_key: &str) -> Result<Option<GuardianElderRow>> {
        let mut w = Conditions::default();
        w.equals("person_key", Value::S(person_key.to_owned()));
        self.rows(format!("{ELDER_SELECT} {}", w.clause()), &w).await?.iter().map(|r| elder_row(r)).next().transpose()
    }

    /// Elders, in a division and below (all with `None`), by status, a page at a time, with the total.
    pub async fn elders(self, division: Option<&str>, status: Option<&str>, page: Page) -> Result<(Vec<GuardianElderRow>, i64)> {
        let mut w = Conditions::default();
        if let Some(d) = division {
            w.starts_with("division", d);
        }
        if let Some(s) = status {
            w.equals("status", Value::S(s.to_owned()));
        }
        let count = self.rows(format!("SELECT COUNT(*) AS n FROM guardian_elder {}", w.clause()), &w).await?;
        let total = count.first().map(|r| (r as &dyn Cols).int("n")).transpose()?.unwrap_or(0);
        let sql = format!("{ELDER_SELECT} {} ORDER BY division, id {}", w.clause(), w.page(page));
        let rows = self.rows(sql, &w).await?;
        Ok((rows.iter().map(|r| elder_row(r)).collect::<Result<_>>()?, total))
    }

    /// Every elder under guard (the monitor's start).
    pub async fn guarded(self) -> Result<Vec<GuardianElderRow>> {
        let mut w = Conditions::default();
        w.equals("status", Value::S("guarded".into()));
        self.rows(format!("{ELDER_SELECT} {} ORDER BY id", w.clause()), &w).await?.iter().map(|r| elder_row(r)).collect()
    }

    /// Registers devices (their ids are new: a taken id fails the whole call).
    pub async fn insert_devices(self, devices: &[GuardianDeviceRow]) -> Result<()> {
        let values: Vec<Vec<Value>> = devices
            .iter()
            .map(|d| {
                vec![
                    Value::S(d.id.clone()),
                    Value::I(d.elder),
                    Value::S(d.kind.clone()),
                    Value::OptS(d.room.clone()),
                    Value::S(d.secret_hash.clone()),
                    Value::S(d.status.clone()),
                    Value::S(codec::ts(d.installed_at)),
                ]
            })
            .collect();
        let mut tx = self.write_pool().begin().await?;
        insert_rows(&mut tx, "guardian_device", DEVICE_COLUMNS, &values, "").await?;
        tx.commit().await?;
        self.flushed(()).await
    }

    /// Marks an elder's devices removed (withdrawal).
    pub async fn remove_devices_of(self, elder: i64) -> Result<u64> {
        let n = sqlx::query("UPDATE guardian_device SET status = 'removed' WHERE elder = $1 AND status = 'active'")
            .bind(elder)
            .execute(self.write_pool())
            .await?
            .rows_affected();
        self.flushed(n).await
    }

    /// The devices of an elder.
    pub async fn devices_of(self, elder: i64) -> Result<Vec<GuardianDeviceRow>> {
        let mut w = Conditions::default();
        w.equals("elder", Value::I(elder));
        self.rows(format!("{DEVICE_SELECT} {} ORDER BY id", w.clause()), &w).await?.iter().map(|r| device_row(r)).collect()
    }

    /// Every active device.
    pub async fn active_devices(self) -> Result<Vec<GuardianDeviceRow>> {
        let mut w = Conditions::default();
        w.equals("status", Value::S("active".into()));
        self.rows(format!("{DEVICE_SELECT} {} ORDER BY id", w.clause()), &w).await?.iter().map(|r| device_row(r)).collect()
    }

    /// Which of these (device, seq) readings are stored already.
    pub async fn readings_seen(self, keys: &[(String, i64)]) -> Result<Vec<(String, i64)>> {
        let mut devices: Vec<String> = keys.iter().map(|k| k.0.clone()).collect();
        devices.sort_unstable();
        devices.dedup();
        let lo = keys.iter().map(|k| k.1).min().unwrap_or(0);
        let hi = keys.iter().map(|k| k.1).max().unwrap_or(-1);
        let found = chunked(
            &self,
            &devices,
            |c| {
                let mut w = Conditions::default();
                in_texts(&mut w, "device", c);
                let a = w.bind(Value::I(lo));
                let b = w.bind(Value::I(hi));
                w.and(format!("seq >= {a} AND seq <= {b}"));
                (format!("SELECT device, seq FROM guardian_reading {}", w.clause()), w)
            },
            |r| Ok((r.text("device")?, r.int("seq")?)),
        )
        .await?;
        let wanted: std::collections::HashSet<&(String, i64)> = keys.iter().collect();
        Ok(found.into_iter().filter(|k| wanted.contains(k)).collect())
    }

    /// Writes a batch of deliveries in one transaction and waits until it is durable: the
    /// readings (a reading stored already is left as it is), what the devices last showed (moved
    /// forward only), refusals counted, new alarms — each only if its trigger is new and its
    /// elder has no open alarm of the kind — with their steps, and notices.
    pub async fn ingest(self, batch: &GuardianIngest) -> Result<GuardianIngested> {
        let mut tx = self.write_pool().begin().await?;
        let values: Vec<Vec<Value>> = batch
            .readings
            .iter()
            .map(|r| vec![Value::S(r.device.clone()), Value::I(r.seq), Value::S(codec::ts(r.at)), Value::S(codec::ts(r.received_at)), Value::I(r.node), Value::S(r.body.clone())])
            .collect();
        if !values.is_empty() {
            insert_rows(&mut tx, "guardian_reading", &["device", "seq", "at", "received_at", "node", "body"], &values, "ON CONFLICT (device, seq) DO NOTHING").await?;
        }
        let values: Vec<Vec<Value>> = batch
            .states
            .iter()
            .map(|s| {
                vec![
                    Value::S(s.device.clone()),
                    Value::I(s.elder),
                    Value::S(codec::ts(s.last_seen)),
                    Value::OptS(codec::ts_opt(s.last_active)),
                    Value::OptI(s.battery_pct),
                    Value::OptI(s.position_e6.map(|p| p.0)),
                    Value::OptI(s.position_e6.map(|p| p.1)),
                ]
            })
            .collect();
        if !values.is_empty() {
            let tail = format!(
                "ON CONFLICT (device) DO UPDATE SET last_seen = {}, last_active = {}, \
                 battery_pct = CASE WHEN excluded.last_seen >= guardian_device_state.last_seen AND excluded.battery_pct IS NOT NULL THEN excluded.battery_pct ELSE guardian_device_state.battery_pct END, \
                 lat_e6 = CASE WHEN excluded.last_seen >= guardian_device_state.last_seen AND excluded.lat_e6 IS NOT NULL THEN excluded.lat_e6 ELSE guardian_device_state.lat_e6 END, \
                 lon_e6 = CASE WHEN excluded.last_seen >= guardian_device_state.last_seen AND excluded.lon_e6 IS NOT NULL THEN excluded.lon_e6 ELSE guardian_device_state.lon_e6 END",
                later("last_seen"),
                later("last_active")
            );
            insert_rows(&mut tx, "guardian_device_state", &["device", "elder", "last_seen", "last_active", "battery_pct", "lat_e6", "lon_e6"], &values, &tail).await?;
        }
        let values: Vec<Vec<Value>> = batch
            .rejections
            .iter()
            .map(|r| vec![Value::S(r.device.clone()), Value::S(r.code.clone()), Value::I(r.count), Value::S(codec::ts(r.last_at)), Value::S(r.last_detail.clone())])
            .collect();
        if !values.is_empty() {
            let tail = "ON CONFLICT (device, code) DO UPDATE SET count = guardian_rejection.count + excluded.count, last_at = excluded.last_at, last_detail = excluded.last_detail";
            insert_rows(&mut tx, "guardian_rejection", &["device", "code", "count", "last_at", "last_detail"], &values, tail).await?;
        }
        let mut written = Vec::new();
        let stamp = codec::ts(batch.at);
        let mut notices: Vec<Vec<Value>> = Vec::new();
        for a in &batch.alarms {
            let taken = insert_rows(
                &mut tx,
                "guardian_open",
                &["elder", "kind", "alarm"],
                &[vec![Value::I(a.alarm.elder), Value::S(a.alarm.kind.clone()), Value::I(a.alarm.id)]],
                "ON CONFLICT (elder, kind) DO NOTHING",
            )
            .await?;
            if taken != 1 {
                continue;
            }
            let n = insert_rows(&mut tx, "guardian_alarm", ALARM_COLUMNS, &[alarm_values(&a.alarm)], "ON CONFLICT (trigger_key) DO NOTHING").await?;
            if n != 1 {
                sqlx::query("DELETE FROM guardian_open WHERE elder = $1 AND kind = $2 AND alarm = $3")
                    .bind(a.alarm.elder)
                    .bind(a.alarm.kind.clone())
                    .bind(a.alarm.id)
                    .execute(&mut *tx)
                    .await?;
                continue;
            }
            let steps: Vec<Vec<Value>> = a.steps.iter().map(step_values).collect();
            if !steps.is_empty() {
                insert_rows(&mut tx, "guardian_step", STEP_COLUMNS, &steps, "").await?;
            }
            written.push(a.alarm.id);
            notices.extend(a.notices.iter().map(|n| super::datapool::plain_notice_values(n, &stamp)));
        }
        if !notices.is_empty() {
            insert_rows(&mut tx, "notice", super::datapool::PLAIN_NOTICE_COLUMNS, &notices, "").await?;
        }
        tx.commit().await?;
        self.flushed(GuardianIngested { alarms: written }).await
    }

    /// What every device of guarded elders last showed.
    pub async fn device_states(self) -> Result<Vec<GuardianDeviceStateRow>> {
        let w = Conditions::default();
        let rows = self.rows("SELECT device, elder, last_seen, last_active, battery_pct, lat_e6, lon_e6 FROM guardian_device_state ORDER BY device".into(), &w).await?;
        rows.iter().map(|r| state_row(r)).collect()
    }

    /// What an elder's devices last showed.
    pub async fn device_states_of(self, elder: i64) -> Result<Vec<GuardianDeviceStateRow>> {
        let mut w = Conditions::default();
        w.equals("elder", Value::I(elder));
        let rows = self.rows(format!("SELECT device, elder, last_seen, last_active, battery_pct, lat_e6, lon_e6 FROM guardian_device_state {} ORDER BY device", w.clause()), &w).await?;
        rows.iter().map(|r| state_row(r)).collect()
    }

    /// The latest readings of an elder's devices, newest first.
    pub async fn readings_of(self, devices: &[String], limit: i64) -> Result<Vec<GuardianReadingRow>> {
        let mut w = Conditions::default();
        in_texts(&mut w, "device", devices);
        let sql = format!("SELECT device, seq, at, received_at, node, body FROM guardian_reading {} ORDER BY at DESC {}", w.clause(), w.page(Page { limit, offset: 0 }));
        let rows = self.rows(sql, &w).await?;
        rows.iter().map(|r| reading_row(r)).collect()
    }

    /// Readings other servers took after `since` (received time), oldest first, at most `limit`.
    pub async fn readings_of_others(self, node: i64, since: DateTime<Utc>, limit: i64) -> Result<Vec<GuardianReadingRow>> {
        let mut w = Conditions::default();
        let p = w.bind(Value::S(codec::ts(since)));
        w.and(format!("received_at > {p}"));
        let n = w.bind(Value::I(node));
        w.and(format!("node <> {n}"));
        let sql = format!("SELECT device, seq, at, received_at, node, body FROM guardian_reading {} ORDER BY received_at, device, seq {}", w.clause(), w.page(Page { limit, offset: 0 }));
        let rows = self.rows(sql, &w).await?;
        rows.iter().map(|r| reading_row(r)).collect()
    }

    /// Deletes readings received before `before` (kept 30 days).
    pub async fn prune_readings(self, before: DateTime<Utc>) -> Result<u64> {
        let n = sqlx::query("DELETE FROM guardian_reading WHERE received_at < $1").bind(codec::ts(before)).execute(self.write_pool()).await?.rows_affected();
        self.flushed(n).await
    }

    /// Payloads refused, most first.
    pub async fn rejections(self, page: Page) -> Result<Vec<GuardianRejectionRow>> {
        let mut w = Conditions::default();
        let sql = format!("SELECT device, code, count, last_at, last_detail FROM guardian_rejection ORDER BY count DESC, device {}", w.page(page));
        let rows = self.rows(sql, &w).await?;
        rows.iter()
            .map(|r| {
                let r: &dyn Cols = r;
                Ok(GuardianRejectionRow {
                    device: r.text("device")?,
                    code: r.text("code")?,
                    count: r.int("count")?,
                    last_at: codec::parse_ts(&r.text("last_at")?)?,
                    last_detail: r.text("last_detail")?,
                })
            })
            .collect()
    }

    /// Adds or replaces a responder (by account).
    pub async fn save_responder(self, r: &GuardianResponderRow) -> Result<()> {
        let values = vec![
            Value::I(r.id),
            Value::I(r.account),
            Value::S(r.kind.clone()),
            Value::S(r.name.clone()),
            Value::S(r.phone.clone()),
            Value::S(r.division.clone()),
            Value::I(r.lat_e6),
            Value::I(r.lon_e6),
            Value::I(i64::from(r.available)),
            Value::S(codec::ts(r.updated_at)),
        ];
        let sets: Vec<String> = RESPONDER_COLUMNS[2..].iter().map(|c| format!("{c} = excluded.{c}")).collect();
        let tail = format!("ON CONFLICT (account) DO UPDATE SET {}", sets.join(", "));
        let mut conn = self.write_pool().acquire().await?;
        insert_rows(&mut conn, "guardian_responder", RESPONDER_COLUMNS, &[values], &tail).await?;
        self.flushed(()).await
    }

    /// Every responder.
    pub async fn responders(self) -> Result<Vec<GuardianResponderRow>> {
        let w = Conditions::default();
        self.rows(format!("{RESPONDER_SELECT} ORDER BY id"), &w).await?.iter().map(|r| responder_row(r)).collect()
    }

    /// A responder by id.
    pub async fn responder(self, id: i64) -> Result<Option<GuardianResponderRow>> {
        let mut w = Conditions::default();
        w.equals("id", Value::I(id));
        self.rows(format!("{RESPONDER_SELECT} {}", w.clause()), &w).await?.iter().map(|r| responder_row(r)).next().transpose()
    }

    /// The responder of an account.
    pub async fn responder_of_account(self, account: i64) -> Result<Option<GuardianResponderRow>> {
        let mut w = Conditions::default();
        w.equals("account", Value::I(account));
        self.rows(format!("{RESPONDER_SELECT} {}", w.clause()), &w).await?.iter().map(|r| responder_row(r)).next().transpose()
    }

    /// An alarm by id.
    pub async fn alarm(self, id: i64) -> Result<Option<GuardianAlarmRow>> {
        let mut w = Conditions::default();
        w.equals("id", Value::I(id));
        self.rows(format!("{ALARM_SELECT} {}", w.clause()), &w).await?.iter().map(|r| alarm_row(r)).next().transpose()
    }

    /// Alarms, newest first: open ones only with `open`, of an elder, of a responder, of a
    /// division and below, technical or not.
    pub async fn alarms(self, f: &AlarmFilter, page: Page) -> Result<(Vec<GuardianAlarmRow>, i64)> {
        let mut w = Conditions::default();
        if f.open {
            w.and("closed_at IS NULL".into());
        }
        if let Some(e) = f.elder {
            w.equals("elder", Value::I(e));
        }
        if let Some(r) = f.responder {
            w.equals("responder", Value::I(r));
        }
        if let Some(d) = f.division.as_deref() {
            w.starts_with("division", d);
        }
        if let Some(t) = f.technical {
            w.equals("technical", Value::I(i64::from(t)));
        }
        if let Some(from) = f.raised_from {
            let p = w.bind(Value::S(codec::ts(from)));
            w.and(format!("raised_at >= {p}"));
        }
        if let Some(to) = f.raised_before {
            let p = w.bind(Value::S(codec::ts(to)));
            w.and(format!("raised_at < {p}"));
        }
        let count = self.rows(format!("SELECT COUNT(*) AS n FROM guardian_alarm {}", w.clause()), &w).await?;
        let total = count.first().map(|r| (r as &dyn Cols).int("n")).transpose()?.unwrap_or(0);
        let sql = format!("{ALARM_SELECT} {} ORDER BY raised_at DESC, id DESC {}", w.clause(), w.page(page));
        let rows = self.rows(sql, &w).await?;
        Ok((rows.iter().map(|r| alarm_row(r)).collect::<Result<_>>()?, total))
    }

    /// Saves an alarm whose stored version is `a.version - 1` with its new steps and notices;
    /// a closed alarm gives back its elder's open condition. `false` (nothing written) if
    /// someone else moved it first.
    pub async fn advance_alarm(self, a: &GuardianAlarmRow, steps: &[GuardianStepRow], notices: &[PlainNotice], at: DateTime<Utc>) -> Result<bool> {
        let mut tx = self.write_pool().begin().await?;
        let sets: Vec<String> = ALARM_COLUMNS[1..].iter().map(|c| format!("{c} = excluded.{c}")).collect();
        let tail = format!("ON CONFLICT (id) DO UPDATE SET {} WHERE guardian_alarm.version = excluded.version - 1", sets.join(", "));
        let n = insert_rows(&mut tx, "guardian_alarm", ALARM_COLUMNS, &[alarm_values(a)], &tail).await?;
        if n != 1 {
            tx.rollback().await?;
            return Ok(false);
        }
        let values: Vec<Vec<Value>> = steps.iter().map(step_values).collect();
        if !values.is_empty() {
            insert_rows(&mut tx, "guardian_step", STEP_COLUMNS, &values, "").await?;
        }
        if a.closed_at.is_some() {
            sqlx::query("DELETE FROM guardian_open WHERE alarm = $1").bind(a.id).execute(&mut *tx).await?;
        }
        let stamp = codec::ts(at);
        let values: Vec<Vec<Value>> = notices.iter().map(|n| super::datapool::plain_notice_values(n, &stamp)).collect();
        if !values.is_empty() {
            insert_rows(&mut tx, "notice", super::datapool::PLAIN_NOTICE_COLUMNS, &values, "").await?;
        }
        tx.commit().await?;
        self.flushed(true).await
    }

    /// The steps of an alarm, in order.
    pub async fn steps_of(self, alarm: i64) -> Result<Vec<GuardianStepRow>> {
        self.lookup("SELECT alarm, seq, at, actor, action, detail, prev_hash, hash FROM guardian_step WHERE alarm = $1 ORDER BY seq", &[Value::I(alarm)], step_row)
            .await
    }

    /// The engine's learned state of every elder that has one.
    pub async fn learned(self) -> Result<Vec<(i64, String)>> {
        let w = Conditions::default();
        let rows = self.rows("SELECT elder, state FROM guardian_learned ORDER BY elder".into(), &w).await?;
        rows.iter().map(|r| Ok(((r as &dyn Cols).int("elder")?, (r as &dyn Cols).text("state")?))).collect()
    }

    /// Saves learned states.
    pub async fn save_learned(self, states: &[(i64, String)], at: DateTime<Utc>) -> Result<()> {
        if states.is_empty() {
            return Ok(());
        }
        let stamp = codec::ts(at);
        let values: Vec<Vec<Value>> = states.iter().map(|(e, s)| vec![Value::I(*e), Value::S(s.clone()), Value::S(stamp.clone())]).collect();
        let mut tx = self.write_pool().begin().await?;
        insert_rows(&mut tx, "guardian_learned", &["elder", "state", "updated_at"], &values, "ON CONFLICT (elder) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at").await?;
        tx.commit().await?;
        self.flushed(()).await
    }

    /// The people of the register aged at least `min_age` on `today` whose household has nobody
    /// younger: (ID number, name, birth date, division, household, household size).
    pub async fn candidates(self, born_on_or_before: &str, division: Option<&str>) -> Result<Vec<GuardianCandidate>> {
        let mut w = Conditions::default();
        let b = w.bind(Value::S(born_on_or_before.to_owned()));
        w.and(format!("p.birth_date <= {b}"));
        let b2 = w.bind(Value::S(born_on_or_before.to_owned()));
        w.and(format!("NOT EXISTS (SELECT 1 FROM person y WHERE y.household = p.household AND y.birth_date > {b2})"));
        if let Some(d) = division {
            w.starts_with("p.division", d);
        }
        let sql = format!(
            "SELECT p.id_number, p.name, p.birth_date, p.division, p.household, (SELECT COUNT(*) FROM person h WHERE h.household = p.household) AS size \
             FROM person p {} ORDER BY p.division, p.id",
            w.clause()
        );
        let rows = self.rows(sql, &w).await?;
        rows.iter()
            .map(|r| {
                let r: &dyn Cols = r;
                Ok(GuardianCandidate {
                    person_key: r.text("id_number")?,
                    name: r.text("name")?,
                    birth_date: r.text("birth_date")?,
                    division: r.text("division")?,
                    household: r.int("household")?,
                    household_size: r.int("size")?,
                })
            })
            .collect()
    }
}

/// An elder who may qualify for guarding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GuardianCandidate {
    pub person_key: String,
    pub name: String,
    pub birth_date: String,
    pub division: String,
    pub household: i64,
    pub household_size: i64,
}

/// Which alarms a list shows.
#[derive(Debug, Clone, Default)]
pub struct AlarmFilter {
    pub open: bool,
    /// One elder's alarms (served by the index on elder and time, however many others there are).
    pub elder: Option<i64>,
    pub responder: Option<i64>,
    pub division: Option<String>,
    pub technical: Option<bool>,
    pub raised_from: Option<DateTime<Utc>>,
    pub raised_before: Option<DateTime<Utc>>,
}

fn state_row(r: &dyn Cols) -> Result<GuardianDeviceStateRow> {
    let pos = match (r.int_opt("lat_e6")?, r.int_opt("lon_e6")?) {
        (Some(a), Some(b)) => Some((a, b)),
        _ => None,
    };
    Ok(GuardianDeviceStateRow {
        device: r.text("device")?,
        elder: r.int("elder")?,
        last_seen: codec::parse_ts(&r.text("last_seen")?)?,
        last_active: codec::parse_ts_opt(r.text_opt("last_active")?)?,
        battery_pct: r.int_opt("battery_pct")?,
        position_e6: pos,
    })
}
