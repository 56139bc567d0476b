//! The guardian's live part: the monitor of every guarded elder's devices, readings taken in from
//! MQTT in batches and made durable before the broker gets their PUBACK, alarms raised from them
//! (one per reading and condition, however often it is delivered), the duty that watches the
//! clock (silence, inactivity, escalations of open alarms), and the feed of alarm events the
//! console listens to.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::RwLock;

use chrono::DateTime;
use chrono::Utc;
use domain::Describe;
use guardian::AlarmKind;
use guardian::Case;
use guardian::DeviceKind;
use guardian::DeviceProfile;
use guardian::ElderId;
use guardian::ElderProfile;
use guardian::ElderRules;
use guardian::Monitor;
use guardian::Raised;
use guardian::Rules;
use serde::Serialize;
use store::GuardianAlarmRow;
use store::GuardianDeviceRow;
use store::GuardianDeviceStateRow;
use store::GuardianElderRow;
use store::GuardianIngest;
use store::GuardianReadingRow;
use store::GuardianRejectionRow;
use store::GuardianStepRow;
use store::NewGuardianAlarm;
use store::PlainNotice;
use crate::failure::Failure;
use crate::failure::Fallible;
use crate::state::AppState;
use super::cases::contacts_of;
use super::cases::secret_hash;

/// An alarm event for the console's live feed.
#[derive(Debug, Clone, Serialize)]
pub struct AlarmEvent {
    pub alarm: String,
    pub elder: String,
    pub division: String,
    pub kind: String,
    pub technical: bool,
    pub state: String,
    pub at: String,
}

/// The live state of the guardian in this server.
pub struct Live {
    monitor: Mutex<Monitor>,
    /// Device id → the hash of its MQTT password (the embedded broker's authentication).
    secrets: RwLock<HashMap<String, String>>,
    /// Alarm events as they are committed (the console's server-sent events).
    pub events: tokio::sync::broadcast::Sender<AlarmEvent>,
    /// Whether this server's MQTT subscription is in place.
    subscribed: std::sync::atomic::AtomicBool,
    /// Up to when (received time) the other servers' readings have been read back.
    read_back: Mutex<Option<DateTime<Utc>>>,
    /// Readings this server took from the broker and committed (new ones, not redeliveries).
    taken: std::sync::atomic::AtomicU64,
}

impl Default for Live {
    fn default() -> Self {
        Live { monitor: Mutex::new(Monitor::new(Rules::embedded())), secrets: RwLock::default(), events: tokio::sync::broadcast::channel(1024).0, subscribed: std::sync::atomic::AtomicBool::new(false), read_back: Mutex::new(None), taken: std::sync::atomic::AtomicU64::new(0) }
    }
}

fn elder_id(id: i64) -> ElderId {
    ElderId(u64::try_from(id).unwrap_or(0))
}

fn profile_of(e: &GuardianElderRow) -> ElderProfile {
    ElderProfile {
        id: elder_id(e.id),
        home: e.home_e6.map(|(a, b)| (a as f64 / 1e6, b as f64 / 1e6)),
        overrides: ElderRules::from_json(&e.overrides).ok().filter(|o| *o != ElderRules::default()),
    }
}

impl Live {
    /// Loads the guarded elders, their devices, what the duty last saved of their learned habits
    /// and the conditions with an open alarm.
    pub async fn load(store: &store::Store) -> Result<Live, store::StoreError> {
        let live = Live::default();
        let elders = store.guardian().guarded().await?;
        let devices = store.guardian().active_devices().await?;
        let learned = store.guardian().learned().await?;
        {
            let mut m = live.monitor.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            for e in &elders {
                let _ = m.add_elder(profile_of(e));
            }
            for (_, s) in &learned {
                if let Ok(snap) = serde_json::from_str::<guardian::ElderSnapshot>(s) {
                    if elders.iter().any(|e| elder_id(e.id) == snap.profile.id) {
                        let _ = m.restore(snap);
                    }
                }
            }
            let mut secrets = live.secrets.write().unwrap_or_else(std::sync::PoisonError::into_inner);
            for d in &devices {
                if let Ok(kind) = d.kind.parse::<DeviceKind>() {
                    let _ = m.add_device(DeviceProfile { id: d.id.clone(), elder: elder_id(d.elder), kind, room: d.room.clone() });
                    secrets.insert(d.id.clone(), d.secret_hash.clone());
                }
            }
        }
        let (open, _) = store.guardian().alarms(&store::AlarmFilter { open: true, ..Default::default() }, store::Page { limit: 100_000, offset: 0 }).await?;
        {
            let mut m = live.monitor.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            for a in &open {
                if let Ok(kind) = a.kind.parse::<AlarmKind>() {
                    let _ = m.set_open(elder_id(a.elder), kind, a.device.as_deref());
                }
            }
        }
        Ok(live)
    }

    fn monitor(&self) -> std::sync::MutexGuard<'_, Monitor> {
        self.monitor.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// An elder enrolled, changed or withdrawn.
    pub fn elder_changed(&self, e: &GuardianElderRow) {
        let mut m = self.monitor();
        if e.status == "guarded" {
            let _ = m.add_elder(profile_of(e));
        } else {
            m.remove_elder(elder_id(e.id));
        }
    }

    /// A device registered or removed.
    pub fn device_changed(&self, d: &GuardianDeviceRow) {
        let mut m = self.monitor();
        let mut secrets = self.secrets.write().unwrap_or_else(std::sync::PoisonError::into_inner);
        match (d.status.as_str(), d.kind.parse::<DeviceKind>()) {
            ("active", Ok(kind)) => {
                let _ = m.add_device(DeviceProfile { id: d.id.clone(), elder: elder_id(d.elder), kind, room: d.room.clone() });
                secrets.insert(d.id.clone(), d.secret_hash.clone());
            }
            _ => {
                m.remove_device(&d.id);
                secrets.remove(&d.id);
            }
        }
    }

    /// Takes in the elders and devices another server enrolled or registered (and forgets the
    /// devices removed there).
    pub async fn sync(&self, store: &store::Store) -> Result<(), store::StoreError> {
        let elders = store.guardian().guarded().await?;
        let devices = store.guardian().active_devices().await?;
        let mut m = self.monitor();
        // Adding an elder again updates the profile and keeps what was learned.
        for e in &elders {
            let _ = m.add_elder(profile_of(e));
        }
        let mut secrets = self.secrets.write().unwrap_or_else(std::sync::PoisonError::into_inner);
        let active: std::collections::HashSet<&str> = devices.iter().map(|d| d.id.as_str()).collect();
        let gone: Vec<String> = secrets.keys().filter(|k| !active.contains(k.as_str())).cloned().collect();
        for d in gone {
            m.remove_device(&d);
            secrets.remove(&d);
        }
        for d in &devices {
            if !secrets.contains_key(&d.id) {
                if let Ok(kind) = d.kind.parse::<DeviceKind>() {
                    let _ = m.add_device(DeviceProfile { id: d.id.clone(), elder: elder_id(d.elder), kind, room: d.room.clone() });
                    secrets.insert(d.id.clone(), d.secret_hash.clone());
                }
            }
        }
        Ok(())
    }

    /// Whether an MQTT client may connect: a device with its own password (client id = user
    /// name = device id).
    pub fn authorise(&self, client_id: &str, user: &str, password: &str) -> bool {
        let secrets = self.secrets.read().unwrap_or_else(std::sync::PoisonError::into_inner);
        client_id == user && secrets.get(user).is_some_and(|h| *h == secret_hash(password))
    }

    /// Whether this server's MQTT subscription is in place (readings published before it are
    /// kept by the broker only once the server's persistent session exists).
    pub fn subscribed(&self) -> bool {
        self.subscribed.load(std::sync::atomic::Ordering::Acquire)
    }

    /// How many readings this server has taken from the broker and committed since it started.
    pub fn readings_taken(&self) -> u64 {
        self.taken.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The devices the monitor watches and the bytes its state of them takes (an estimate of
    /// the heap it holds, without the allocator's overhead).
    pub fn monitor_size(&self) -> (usize, usize) {
        let m = self.monitor();
        (m.device_count(), m.resident_bytes())
    }

    /// A condition's alarm was closed: it may be raised again once it clears.
    pub fn closed(&self, elder: i64, kind: &str, device: Option<&str>) {
        if let Ok(k) = kind.parse::<AlarmKind>() {
            let mut m = self.monitor();
            match device {
                Some(d) if k.is_technical() => {
                    m.device_alarm_closed(d, k);
                }
                _ => {
                    m.alarm_closed(elder_id(elder), k);
                }
            }
        }
    }

    /// The learned state of every elder, for the duty to save.
    fn snapshots(&self) -> Vec<(i64, String)> {
        self.monitor()
            .snapshot_all()
            .into_iter()
            .filter_map(|s| Some((i64::try_from(s.profile.id.0).ok()?, serde_json::to_string(&s).ok()?)))
            .collect()
    }
}

// ---------------------------------------------------------------------------------------------
// Readings in.

/// What one batch did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ingested {
    pub accepted: usize,
    pub duplicates: usize,
    pub rejected: usize,
    pub alarms: Vec<i64>,
}

/// The steps of a case as rows.
pub(super) fn step_rows(alarm: i64, steps: &[guardian::Step]) -> Vec<GuardianStepRow> {
    steps
        .iter()
        .map(|s| GuardianStepRow {
            alarm,
            seq: i64::from(s.seq),
            at: s.at,
            actor: s.actor.clone(),
            action: s.action.clone(),
            detail: s.detail.clone(),
            prev_hash: s.prev_hash.clone(),
            hash: s.hash.clone(),
        })
        .collect()
}

/// The row of a case (its timestamps read from its steps).
pub(super) fn alarm_row(case: &Case, division: &str, trigger_key: &str, evidence: String, version: i64) -> Fallible<GuardianAlarmRow> {
    let closed = case.closed_at();
    Ok(GuardianAlarmRow {
        id: i64::try_from(case.id).map_err(Failure::internal)?,
        elder: i64::try_from(case.elder.0).map_err(Failure::internal)?,
        division: division.to_owned(),
        kind: case.kind.code().to_owned(),
        technical: case.technical,
        severity: case.severity.code().to_owned(),
        trigger_key: trigger_key.to_owned(),
        device: case.device.clone(),
        state: case.state.code().to_owned(),
        responder: case.responder.as_deref().and_then(|r| r.parse().ok()),
        tried: serde_json::to_string(&case.tried).map_err(Failure::internal)?,
        raised_at: case.raised_at,
        acknowledged_at: case.first_at("acknowledged"),
        dispatched_at: case.first_at("dispatched"),
        accepted_at: case.first_at("accepted"),
        on_scene_at: case.first_at("arrived"),
        closed_at: closed,
        outcome: case.outcome.as_ref().map(|o| o.code().to_owned()),
        evidence,
        case_json: serde_json::to_string(case).map_err(Failure::internal)?,
        head_seq: i64::from(case.head.seq),
        head_hash: case.head.hash.clone(),
        version,
    })
}

/// The notices of a new alarm: each emergency contact with an account is told.
fn raised_notices(state: &AppState, e: &GuardianElderRow, case: &Case) -> Vec<PlainNotice> {
    if case.technical {
        return Vec::new();
    }
    contacts_of(e)
        .iter()
        .filter_map(|c| c.account)
        .map(|a| {
            (
                state.parts.ids.next(),
                format!("account:{a}"),
                "guardian_alarm".to_owned(),
                format!("{}：{}的{}报警，监护中心正在处理。", e.address, e.name, case.kind.label_zh()),
                format!("{}: a {} alarm for {}; the monitoring centre is on it.", e.address, case.kind.code().replace('_', " "), e.name),
            )
        })
        .collect()
}

/// Turns what the monitor raised into new alarms (with their first step and notices); the elder
/// rows are looked up once per batch.
async fn new_alarms(state: &AppState, raised: Vec<(Raised, String)>, rules: &Rules) -> Fallible<Vec<NewGuardianAlarm>> {
    let mut elders: HashMap<i64, GuardianElderRow> = HashMap::new();
    let mut out = Vec::new();
    for (r, trigger) in raised {
        let elder = i64::try_from(r.elder.0).map_err(Failure::internal)?;
        if !elders.contains_key(&elder) {
            match state.store.guardian().elder(elder).await? {
                Some(e) => {
                    elders.insert(elder, e);
                }
                None => continue,
            }
        }
        let Some(e) = elders.get(&elder) else { continue };
        let id = state.parts.ids.next();
        let case = Case::open(u64::try_from(id).map_err(Failure::internal)?, &r, rules);
        let evidence = serde_json::to_string(&r.evidence).map_err(Failure::internal)?;
        let row = alarm_row(&case, &e.division, &trigger, evidence, 1)?;
        out.push(NewGuardianAlarm { steps: step_rows(row.id, &case.steps), notices: raised_notices(state, e, &case), alarm: row });
    }
    Ok(out)
}

/// Publishes committed alarms on the live feed.
pub(super) fn announce(state: &AppState, rows: &[&GuardianAlarmRow]) {
    for a in rows {
        let _ = state.guardian.events.send(AlarmEvent {
            alarm: a.id.to_string(),
            elder: a.elder.to_string(),
            division: a.division.clone(),
            kind: a.kind.clone(),
            technical: a.technical,
            state: a.state.clone(),
            at: Utc::now().to_rfc3339(),
        });
    }
}

fn position_of(r: &guardian::Reading) -> Option<(i64, i64)> {
    match &r.values {
        guardian::Values::Wearable { lat: Some(lat), lon: Some(lon), .. } => Some(((lat * 1e6).round() as i64, (lon * 1e6).round() as i64)),
        _ => None,
    }
}

fn active(r: &guardian::Reading) -> bool {
    match &r.values {
        guardian::Values::Presence { motion, .. } => *motion,
        guardian::Values::Door { .. } => true,
        _ => false,
    }
}

/// Takes a batch of (device id, payload) as delivered: refuses what is not a reading of a known
/// device (counted per device and reason), leaves out what was taken before, evaluates the rest
/// and writes readings, what the devices last showed and new alarms in one transaction. Returns
/// once it is durable: the caller then acknowledges every delivery of the batch.
pub async fn ingest(state: &AppState, batch: &[(String, bytes::Bytes)]) -> Fallible<Ingested> {
    let now = state.now();
    let mut out = Ingested::default();
    // Parse first, outside the monitor's lock.
    let mut parsed = Vec::with_capacity(batch.len());
    let mut rejections: HashMap<(String, &'static str), GuardianRejectionRow> = HashMap::new();
    let reject = |device: &str, e: &guardian::GuardianError, rejections: &mut HashMap<(String, &'static str), GuardianRejectionRow>| {
        let code = e.code();
        let row = rejections.entry((device.to_owned(), code)).or_insert_with(|| GuardianRejectionRow {
            device: device.chars().take(64).collect(),
            code: code.to_owned(),
            count: 0,
            last_at: now,
            last_detail: String::new(),
        });
        row.count += 1;
        row.last_detail = e.to_string().chars().take(200).collect();
    };
    {
        let m = state.guardian.monitor();
        for (device, payload) in batch {
            let Some(kind) = m.device_kind(device) else {
                reject(device, &guardian::GuardianError::UnknownDevice { device: device.chars().take(64).collect() }, &mut rejections);
                continue;
            };
            match guardian::parse_reading(device, kind, payload, now) {
                Ok(r) => parsed.push((r, payload)),
                Err(e) => reject(device, &e, &mut rejections),
            }
        }
    }
    // What was taken already (a redelivery after a crash of this server or another's).
    let keys: Vec<(String, i64)> = parsed.iter().map(|(r, _)| (r.device.clone(), i64::try_from(r.seq).unwrap_or(i64::MAX))).collect();
    let seen: std::collections::HashSet<(String, i64)> = if keys.is_empty() { Default::default() } else { state.store.guardian().readings_seen(&keys).await?.into_iter().collect() };
    let leader = state.store.leads();
    let mut readings = Vec::new();
    let mut states: HashMap<String, GuardianDeviceStateRow> = HashMap::new();
    let mut raised = Vec::new();
    let rules;
    {
        let mut m = state.guardian.monitor();
        rules = m.rules().clone();
        for (r, payload) in &parsed {
            let seq = i64::try_from(r.seq).unwrap_or(i64::MAX);
            if seen.contains(&(r.device.clone(), seq)) {
                out.duplicates += 1;
                continue;
            }
            let eval = match m.on_reading(r, now) {
                Ok(e) => e,
                Err(e) => {
                    reject(&r.device, &e, &mut rejections);
                    continue;
                }
            };
            if eval.duplicate {
                out.duplicates += 1;
                continue;
            }
            out.accepted += 1;
            let Some(elder) = m.device_elder(&r.device) else { continue };
            readings.push(GuardianReadingRow { device: r.device.clone(), seq, at: r.ts, received_at: now, node: node_of(state), body: String::from_utf8_lossy(payload).into_owned() });
            let s = states.entry(r.device.clone()).or_insert_with(|| GuardianDeviceStateRow {
                device: r.device.clone(),
                elder: i64::try_from(elder.0).unwrap_or(0),
                last_seen: r.ts,
                last_active: None,
                battery_pct: None,
                position_e6: None,
            });
            if r.ts >= s.last_seen {
                s.last_seen = r.ts;
                s.battery_pct = r.battery_pct.map(i64::from).or(s.battery_pct);
                s.position_e6 = position_of(r).or(s.position_e6);
            }
            if active(r) && s.last_active.is_none_or(|a| r.ts > a) {
                s.last_active = Some(r.ts);
            }
            for a in eval.raised {
                // Another server's share of the readings makes its monitor's view of an elder
                // partial: it raises only the alarms one reading proves (SOS, a fall); the leading
                // server, which sees every reading, raises the rest.
                if leader || matches!(a.kind, AlarmKind::Sos | AlarmKind::Fall) {
                    let trigger = format!("{}:{}:{}", r.device, r.seq, a.kind.code());
                    raised.push((a, trigger));
                }
            }
        }
    }
    out.rejected = rejections.values().map(|r| r.count as usize).sum();
    let alarms = new_alarms(state, raised, &rules).await?;
    out.alarms = commit(state, &GuardianIngest { readings, states: states.into_values().collect(), rejections: rejections.into_values().collect(), alarms, at: now }).await?;
    Ok(out)
}

/// Writes a batch (durably) and announces the alarms it committed; their ids.
async fn commit(state: &AppState, ingest: &GuardianIngest) -> Fallible<Vec<i64>> {
    let written = state.store.guardian().ingest(ingest).await?;
    let committed: Vec<&GuardianAlarmRow> = ingest.alarms.iter().map(|a| &a.alarm).filter(|a| written.alarms.contains(&a.id)).collect();
    announce(state, &committed);
    Ok(written.alarms)
}

/// Raises alarms that come with no readings to write (the clock's, the read-back's).
async fn raise(state: &AppState, raised: Vec<(Raised, String)>, rules: &Rules, now: DateTime<Utc>) -> Fallible<Vec<i64>> {
    if raised.is_empty() {
        return Ok(Vec::new());
    }
    let alarms = new_alarms(state, raised, rules).await?;
    commit(state, &GuardianIngest { readings: Vec::new(), states: Vec::new(), rejections: Vec::new(), alarms, at: now }).await
}

fn node_of(state: &AppState) -> i64 {
    i64::from(state.store.node().unwrap_or(0))
}

/// How far back the leader looks again each round for readings another server committed late
/// (its transaction began before ours read): the monitor knows a reading seen twice.
const READ_BACK_OVERLAP_S: i64 = 5;

/// The leading server reads back what the other servers took (their shares of the shared
/// subscription), so that its monitor sees every reading of every elder: the rules that need an
/// elder's whole stream (inactivity, temperature over several readings, the geofence) then hold
/// with several servers. Alarms one reading proves were raised by the server that took it; their
/// triggers are the same, so none is raised twice.
pub async fn read_back(state: &AppState) -> Fallible<usize> {
    let now = state.now();
    let since = {
        let mut w = state.guardian.read_back.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        *w.get_or_insert(now - chrono::Duration::seconds(60))
    };
    let rows = state.store.guardian().readings_of_others(node_of(state), since - chrono::Duration::seconds(READ_BACK_OVERLAP_S), 100_000).await?;
    if rows.is_empty() {
        return Ok(0);
    }
    let mut raised = Vec::new();
    let rules;
    let mut latest = since;
    {
        let mut m = state.guardian.monitor();
        rules = m.rules().clone();
        for row in &rows {
            latest = latest.max(row.received_at);
            let Some(kind) = m.device_kind(&row.device) else { continue };
            let Ok(r) = guardian::parse_reading(&row.device, kind, row.body.as_bytes(), row.received_at) else { continue };
            let Ok(eval) = m.on_reading(&r, now) else { continue };
            for a in eval.raised {
                let trigger = format!("{}:{}:{}", r.device, r.seq, a.kind.code());
                raised.push((a, trigger));
            }
        }
    }
    *state.guardian.read_back.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(latest);
    raise(state, raised, &rules, now).await?;
    Ok(rows.len())
}

// ---------------------------------------------------------------------------------------------
// The clock.

/// What one round of the duty did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ticked {
    pub raised: Vec<i64>,
    pub escalated: usize,
}

/// The duty (the leading server): alarms raised by time passing (silence, inactivity, no water),
/// then every open alarm's escalations that fell due.
pub async fn tick(state: &AppState) -> Fallible<Ticked> {
    read_back(state).await?;
    let now = state.now();
    let (raised, rules) = {
        let mut m = state.guardian.monitor();
        (m.tick(now), m.rules().clone())
    };
    let raised: Vec<(Raised, String)> = raised
        .into_iter()
        .map(|r| {
            let trigger = format!("tick:{}:{}:{}:{}", r.elder.0, r.device.as_deref().unwrap_or("-"), r.kind.code(), r.at.timestamp_micros());
            (r, trigger)
        })
        .collect();
    let mut out = Ticked { raised: raise(state, raised, &rules, now).await?, ..Ticked::default() };
    out.escalated = super::alarms::escalate_due(state, &rules).await?;
    Ok(out)
}

/// The duty's loop: a round every `guardian.tick` while this server leads, the learned habits
/// saved every minute.
pub async fn duty(state: AppState, mut stop: tokio::sync::watch::Receiver<bool>) {
    let every = state.config.guardian.tick;
    let mut saved_at: Option<DateTime<Utc>> = None;
    let mut synced_at: Option<DateTime<Utc>> = None;
    let mut pruned_at: Option<DateTime<Utc>> = None;
    loop {
        // Every server: what the others enrolled and registered (every 10 s).
        let now = state.now();
        if synced_at.is_none_or(|t| now - t >= chrono::Duration::seconds(10)) {
            if let Err(e) = state.guardian.sync(&state.store).await {
                tracing::warn!(error = %e, "guardian: taking in other servers' enrolments");
            }
            synced_at = Some(now);
        }
        if state.store.leads() {
            match tick(&state).await {
                Ok(t) if !t.raised.is_empty() || t.escalated > 0 => tracing::info!(raised = t.raised.len(), escalated = t.escalated, "guardian: the clock raised or escalated alarms"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = ?e, "guardian: duty round failed"),
            }
            let now = state.now();
            // Readings are kept 30 days.
            if pruned_at.is_none_or(|t| now - t >= chrono::Duration::hours(1)) {
                if let Err(e) = state.store.guardian().prune_readings(now - chrono::Duration::days(30)).await {
                    tracing::warn!(error = %e, "guardian: deleting readings older than 30 days");
                }
                pruned_at = Some(now);
            }
            if saved_at.is_none_or(|t| now - t >= chrono::Duration::minutes(1)) {
                let snaps = state.guardian.snapshots();
                if let Err(e) = state.store.guardian().save_learned(&snaps, now).await {
                    tracing::warn!(error = %e, "guardian: saving learned habits");
                }
                saved_at = Some(now);
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = stop.changed() => return,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// MQTT.

/// Takes readings from the broker until `stop`: the embedded broker is started first when the
/// settings ask for it. Each batch is acknowledged (PUBACK) only once it is durable; a batch
/// that could not be written is not acknowledged, and the broker delivers it again.
pub async fn telemetry(state: AppState, mut stop: tokio::sync::watch::Receiver<bool>) {
    use crate::config::Telemetry;
    let cfg = state.config.guardian.clone();
    let mut _broker = None;
    // The embedded broker's own account: the configured password, else one made for this run
    // (known only to this process), so that nobody else may sign in as the server.
    let own_password = matches!(cfg.telemetry, Telemetry::Embedded(_)).then(|| cfg.password.as_ref().map_or_else(telemetry::mosquitto::generate_password, |p| p.expose().to_owned()));
    let url = match &cfg.telemetry {
        Telemetry::Off => return,
        Telemetry::External(url) => url.clone(),
        Telemetry::Embedded(listen) => {
            let mut ec = telemetry::EmbeddedConfig::new(*listen);
            let live = state.clone();
            let server_user = "minsheng".to_owned();
            let server_pass = own_password.clone().unwrap_or_default();
            ec.auth = Some(std::sync::Arc::new(move |client: &str, user: &str, pass: &str| {
                // This server's own subscriber (or a trusted generator given the configured
                // password, as a benchmark's), or a device with its own password.
                (user == server_user && pass == server_pass && client.starts_with("minsheng-")) || live.guardian.authorise(client, user, pass) || live.parking.authorise(user, pass)
            }));
            // A device writes only its own topic (rumqttd has no ACLs of its own; Mosquitto's ACL
            // file says the same); the server's own user, which only the password's holders can
            // sign in as, writes anywhere.
            // A car park's feed user writes its lot's occupancy topic only.
            ec.publish_acl = Some(std::sync::Arc::new(move |user: &str, topic: &str| {
                user == "minsheng" || topic == telemetry::topic::device_topic(user) || telemetry::topic::lot_of_user(user).is_some_and(|lot| topic == telemetry::topic::parking_topic(lot))
            }));
            match telemetry::EmbeddedBroker::start(ec).await {
                Ok(b) => {
                    let url = b.url();
                    tracing::info!(%url, "guardian: embedded MQTT broker listening");
                    _broker = Some(b);
                    url
                }
                Err(e) => {
                    tracing::warn!(error = %e, "guardian: the embedded MQTT broker did not start (its address is taken?); no readings are taken");
                    return;
                }
            }
        }
    };
    let client_id = cfg.client_id.clone().unwrap_or_else(|| format!("minsheng-{}", state.store.node().unwrap_or(0)));
    let mut sc = telemetry::SubscriberConfig::new(url, client_id, telemetry::topic::DEVICE_FILTER);
    // rumqttd's shared subscriptions can bring the broker down; the embedded broker serves one server.
    sc.shared_group = match cfg.telemetry {
        Telemetry::Embedded(_) => None,
        _ => Some(telemetry::topic::SHARE_GROUP.to_owned()),
    };
    sc.credentials = match (&cfg.username, &cfg.password, &cfg.telemetry) {
        (Some(u), Some(p), _) => Some(telemetry::Credentials::new(u.clone(), p.expose().to_owned())),
        (None, _, Telemetry::Embedded(_)) => Some(telemetry::Credentials::new("minsheng", own_password.clone().unwrap_or_default())),
        _ => None,
    };
    // Car parks' occupancy feeds come through the same broker, on a subscription of their own.
    let mut parking = sc.clone();
    parking.filter = telemetry::topic::PARKING_FILTER.to_owned();
    parking.client_id = format!("{}-parking", sc.client_id);
    let feeds = tokio::spawn(crate::areas::parking::feed::mqtt(state.clone(), parking, stop.clone()));
    let (subscriber, mut rx) = match telemetry::Subscriber::start(sc) {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(error = %e, "guardian: MQTT subscriber did not start");
            return;
        }
    };
    match subscriber.wait_subscribed(std::time::Duration::from_secs(30)).await {
        Ok(()) => state.guardian.subscribed.store(true, std::sync::atomic::Ordering::Release),
        Err(e) => tracing::warn!(error = %e, "guardian: not subscribed yet; readings are taken once the broker answers"),
    }
    let max = cfg.batch;
    let mut deliveries = Vec::with_capacity(max);
    loop {
        deliveries.clear();
        tokio::select! {
            n = rx.recv_many(&mut deliveries, max) => if n == 0 { break },
            _ = stop.changed() => break,
        }
        let batch: Vec<(String, bytes::Bytes)> = deliveries.iter().map(|d| (d.device_id.clone().unwrap_or_else(|| d.topic.clone()), d.payload.clone())).collect();
        match ingest(&state, &batch).await {
            Ok(out) => {
                state.guardian.taken.fetch_add(out.accepted as u64, std::sync::atomic::Ordering::Relaxed);
                telemetry::ack_all(deliveries.drain(..).map(|d| d.ack));
            }
            // Not acknowledged: the broker delivers them again.
            Err(e) => tracing::warn!(error = ?e, n = batch.len(), "guardian: a batch of readings was not taken; the broker will deliver it again"),
        }
    }
    subscriber.shutdown().await;
    let _ = feeds.await;
}
