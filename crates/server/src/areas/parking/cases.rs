//! Parking guidance's use cases: hospitals, car parks and guidance signs registered by the
//! parking department; occupancy readings taken from each lot's feed (MQTT or HTTP, with the lot's
//! key), checked by the `parking` engine and kept once; the live state every server holds in
//! memory (its own readings at once, the others' read back every two seconds); guidance ranked by
//! driving time on the road network plus walking time through the streets; what a sign shows; the
//! ParkAPI feed; the cockpit.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::OnceLock;
use std::sync::RwLock;
use std::sync::atomic::AtomicBool;
use std::sync::atomic::AtomicU64;
use std::sync::atomic::Ordering;

use chrono::DateTime;
use chrono::NaiveDate;
use chrono::SecondsFormat;
use chrono::Utc;
use domain::Describe;
use parking::BayType;
use parking::History;
use parking::Hospital;
use parking::HospitalId;
use parking::LiveState;
use parking::Lot;
use parking::LotId;
use parking::Needs;
use parking::ParkingError;
use parking::Point;
use parking::Sign;
use parking::SignId;
use parking::lot::Capacity;
use parking::lot::Fees;
use parking::lot::LotKind;
use parking::lot::OpeningHours;
use parking::lot::Structure;
use parking::rank::Candidate;
use parking::rank::Measured;
use parking::reading::RawCount;
use parking::reading::RawReading;
use parking::reading::Sample;
use parking::sign::Arrow;
use parking::sign::SignEntry;
use serde::Deserialize;
use serde::Serialize;
use store::DocChange;
use store::DocFilter;
use store::DocSave;
use store::ParkingEventRow;
use store::ParkingReadingRow;

use crate::areas::circles::streets::Way;
use crate::areas::governance::cases::decode;
use crate::auth::Principal;
use crate::failure::Failure;
use crate::failure::Fallible;
use crate::policy::Who;
use crate::state::AppState;
use super::views::*;

/// How often a server reads back the readings the other servers took, and looks for changed lots.
pub const SYNC_EVERY: std::time::Duration = std::time::Duration::from_secs(2);

/// How far from a hospital's entrance a lot is still offered for it (besides its own lots).
const NEAR_M: f64 = 1_500.0;

/// How many readings one HTTP request may carry.
pub const MAX_READINGS: usize = 1_000;

// ---------------------------------------------------------------------------------------------
// What is kept.

/// A car park as kept: the engine's lot, its town and its feed key's hash.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredLot {
    pub lot: Lot,
    pub town: String,
    #[serde(default)]
    pub key_hash: Option<String>,
}

/// A hospital as kept.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredHospital {
    pub hospital: Hospital,
    pub town: String,
}

/// What every server holds of the car parks: the lots, hospitals and signs as kept, the ways
/// between them measured once, and the mark that says when to measure again.
#[derive(Default)]
pub struct World {
    mark: Vec<(i64, i64)>,
    pub lots: Vec<(StoredLot, DateTime<Utc>)>,
    lot_index: HashMap<String, usize>,
    pub hospitals: Vec<StoredHospital>,
    hospital_index: HashMap<String, usize>,
    pub signs: Vec<Sign>,
    sign_index: HashMap<String, usize>,
    /// Per hospital: the lots offered for it with the walk from each lot's entrance.
    walks: HashMap<String, Vec<(usize, f64, &'static str)>>,
    /// Per sign: the drive from the sign to each lot its hospital is offered.
    sign_drives: HashMap<String, Vec<Option<f64>>>,
    /// Per hospital: the drive from its entrance to each lot offered for it.
    entrance_drives: HashMap<String, Vec<Option<f64>>>,
    /// Whether the street and road networks were there when the ways were measured.
    measured_with: (bool, bool),
}

impl World {
    pub fn lot(&self, id: &str) -> Option<&StoredLot> {
        self.lot_index.get(id).map(|i| &self.lots[*i].0)
    }
    pub fn hospital(&self, id: &str) -> Option<&StoredHospital> {
        self.hospital_index.get(id).map(|i| &self.hospitals[*i])
    }
    pub fn sign(&self, id: &str) -> Option<&Sign> {
        self.sign_index.get(id).map(|i| &self.signs[*i])
    }
}

/// Parking's live state on this server.
#[derive(Default)]
pub struct Live {
    /// Whether this server's MQTT subscription to the feeds is in place.
    pub subscribed: AtomicBool,
    taken: AtomicU64,
    refused: AtomicU64,
    world: RwLock<Arc<World>>,
    histories: Mutex<HashMap<String, History>>,
    /// Up to when (received time) the readings of every server have been read back.
    read_back: Mutex<Option<DateTime<Utc>>>,
    /// The road network for driving times, once loaded (`None`: none configured or it failed).
    drive: OnceLock<Option<Arc<circles::drive::DriveGraph>>>,
    /// Searches and trips not yet written (written by the sync every two seconds).
    events: Mutex<Vec<ParkingEventRow>>,
    /// When the marks were last compared (other servers' changes show within [`RECHECK`]).
    checked: Mutex<Option<std::time::Instant>>,
}

/// How long a server answers from its world before asking the database whether a lot, hospital
/// or sign changed on another server (its own changes show at once).
const RECHECK: std::time::Duration = std::time::Duration::from_secs(1);

impl Live {
    /// The lots, hospitals and signs now.
    pub fn world(&self) -> Arc<World> {
        self.world.read().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }

    /// Whether `user`'s password is the feed key of the lot it names (the embedded broker's
    /// authentication of a feed user `parking-{lot}`).
    pub fn authorise(&self, user: &str, password: &str) -> bool {
        let Some(lot) = telemetry::topic::lot_of_user(user) else { return false };
        let world = self.world();
        world.lot(lot).and_then(|l| l.key_hash.as_deref()).is_some_and(|h| *h == crate::areas::guardian::cases::secret_hash(password))
    }

    fn state_of(&self, lot: &Lot, now: DateTime<Utc>) -> (LiveState, parking::Forecast) {
        let h = self.histories.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let empty = History::new();
        let history = h.get(lot.id.as_str()).unwrap_or(&empty);
        let live = parking::live::state(lot, history, now);
        let fc = parking::forecast::forecast(lot, history, &live, Needs::default(), now);
        (live, fc)
    }

    fn states_for(&self, lots: &[&Lot], needs: Needs, now: DateTime<Utc>) -> Vec<(LiveState, parking::Forecast)> {
        let h = self.histories.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let empty = History::new();
        lots.iter()
            .map(|lot| {
                let history = h.get(lot.id.as_str()).unwrap_or(&empty);
                let live = parking::live::state(lot, history, now);
                let fc = parking::forecast::forecast(lot, history, &live, needs, now);
                (live, fc)
            })
            .collect()
    }

    fn last_at(&self, lot: &str) -> Option<DateTime<Utc>> {
        self.histories.lock().unwrap_or_else(std::sync::PoisonError::into_inner).get(lot).and_then(History::last_at)
    }

    fn push(&self, rows: &[ParkingReadingRow]) {
        let mut h = self.histories.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        for r in rows {
            h.entry(r.lot.clone()).or_default().push(sample_of(r));
        }
    }

    fn note(&self, kind: &str, hospital: Option<&str>, sign: Option<&str>, lot: Option<&str>, id: i64, at: DateTime<Utc>) {
        let e = ParkingEventRow { id, kind: kind.to_owned(), hospital: hospital.map(str::to_owned), sign: sign.map(str::to_owned), lot: lot.map(str::to_owned), at };
        self.events.lock().unwrap_or_else(std::sync::PoisonError::into_inner).push(e);
    }
}

fn sample_of(r: &ParkingReadingRow) -> Sample {
    Sample { at: r.at, occupied: r.occupied.map(|o| o.and_then(|n| u32::try_from(n).ok())) }
}

fn engine_error(e: &ParkingError) -> Failure {
    Failure::of_engine(e.kind(), e as &dyn Describe, e.field())
}

fn no_lot() -> Failure {
    Failure::not_found("没有这个停车场", "No such car park")
}

fn no_hospital() -> Failure {
    Failure::not_found("没有这家医院", "No such hospital")
}

fn no_sign() -> Failure {
    Failure::not_found("没有这块诱导屏", "No such guidance sign")
}

fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn point(p: PointView) -> Point {
    Point { lat: p.lat, lon: p.lon }
}

fn view_point(p: Point) -> PointView {
    PointView { lat: p.lat, lon: p.lon }
}

fn parking_staff(state: &AppState, p: &Principal) -> Fallible<()> {
    if crate::areas::places::cases::is_staff(state, p, Who::PARKING) {
        Ok(())
    } else {
        Err(Failure::Forbidden { code: "parking_staff_only", zh: "只有停车诱导的主管部门可以做这件事".into(), en: "Only the parking guidance department may do this".into(), field: None })
    }
}

async fn valid_town(state: &AppState, town: &str) -> Fallible<String> {
    let t = town.trim();
    if t.len() == 9 && t.bytes().all(|b| b.is_ascii_digit()) && state.store.welfare().division_name(t).await?.is_some() {
        Ok(t.to_owned())
    } else {
        Err(Failure::invalid("unknown_town", "town", format!("本区没有这个镇街：{t}"), format!("No such town in the district: {t}")))
    }
}

// ---------------------------------------------------------------------------------------------
// Loading what every server holds, and keeping it current.

const KINDS: [&str; 3] = ["hospital", "lot", "sign"];

async fn marks(state: &AppState) -> Fallible<Vec<(i64, i64)>> {
    let mut out = Vec::with_capacity(KINDS.len());
    for k in KINDS {
        out.push(state.store.city().mark(k).await?);
    }
    Ok(out)
}

/// Reads the lots, hospitals and signs and measures the ways between them: walking from each lot
/// to each hospital it is offered for (through the streets where a network is loaded), driving
/// from each sign and each hospital's entrance to those lots (on the road network where loaded).
async fn build(state: &AppState, mark: Vec<(i64, i64)>) -> Fallible<World> {
    let city = state.store.city();
    let all = DocFilter::default();
    let mut w = World { mark, ..World::default() };
    for d in city.all("hospital", &all).await? {
        let h: StoredHospital = decode(&d)?;
        w.hospital_index.insert(h.hospital.id.to_string(), w.hospitals.len());
        w.hospitals.push(h);
    }
    for d in city.all("lot", &all).await? {
        let l: StoredLot = decode(&d)?;
        w.lot_index.insert(l.lot.id.to_string(), w.lots.len());
        w.lots.push((l, d.updated_at));
    }
    for d in city.all("sign", &all).await? {
        let s: Sign = decode(&d)?;
        w.sign_index.insert(s.id.to_string(), w.signs.len());
        w.signs.push(s);
    }
    let streets = crate::areas::circles::streets::is_loaded(state);
    let drive = drive_graph(state);
    w.measured_with = (streets, drive.is_some());
    for h in &w.hospitals {
        let offered: Vec<usize> = w
            .lots
            .iter()
            .enumerate()
            .filter(|(_, (l, _))| l.lot.hospital.as_ref() == Some(&h.hospital.id) || l.lot.entrance.distance_m(&h.hospital.entrance) <= NEAR_M)
            .map(|(i, _)| i)
            .collect();
        let to: Vec<(f64, f64)> = offered.iter().map(|i| (w.lots[*i].0.lot.entrance.lat, w.lots[*i].0.lot.entrance.lon)).collect();
        let e = h.hospital.entrance;
        let ways = crate::areas::circles::streets::ways(state, (e.lat, e.lon), to).await;
        let walks = offered
            .iter()
            .enumerate()
            .map(|(k, i)| match ways.as_ref().and_then(|v| v.get(k)) {
                Some(Way::Metres(m)) => (*i, m / parking::rank::WALK_SPEED_MS, "street_network"),
                _ => (*i, parking::rank::straight_line_walk_s(&w.lots[*i].0.lot.entrance, &e), "straight_line"),
            })
            .collect();
        let targets: Vec<Point> = offered.iter().map(|i| w.lots[*i].0.lot.location).collect();
        w.entrance_drives.insert(h.hospital.id.to_string(), drives(drive.as_deref(), e, &targets).await);
        w.walks.insert(h.hospital.id.to_string(), walks);
    }
    for s in &w.signs {
        let targets: Vec<Point> = w.walks.get(s.hospital.as_str()).map(|v| v.iter().map(|(i, _, _)| w.lots[*i].0.lot.location).collect()).unwrap_or_default();
        w.sign_drives.insert(s.id.to_string(), drives(drive.as_deref(), s.location, &targets).await);
    }
    Ok(w)
}

/// Driving seconds from `from` to each target on the road network (`None` each where there is
/// none, or it does not reach).
async fn drives(graph: Option<&circles::drive::DriveGraph>, from: Point, targets: &[Point]) -> Vec<Option<f64>> {
    let Some(g) = graph else { return vec![None; targets.len()] };
    let to: Vec<(f64, f64)> = targets.iter().map(|p| (p.lat, p.lon)).collect();
    g.seconds_from((from.lat, from.lon), &to)
}

/// The road network, if one is loaded (it loads in the background once a server starts).
fn drive_graph(state: &AppState) -> Option<Arc<circles::drive::DriveGraph>> {
    state.parking.drive.get().cloned().flatten()
}

/// Loads the road network for driving times from the configured OpenStreetMap extract (the
/// circles' one unless `parking.osm` names another); logs and goes on without it on failure.
pub async fn load_roads(state: &AppState) {
    let path = state.config.parking_osm.clone();
    let loaded = tokio::task::spawn_blocking(move || {
        let path = path?;
        match circles::drive::DriveGraph::from_pbf(&path) {
            Ok((g, report)) => {
                tracing::info!(path = %path.display(), nodes = report.nodes, arcs = report.arcs, "parking: road network loaded for driving times");
                Some(Arc::new(g))
            }
            Err(e) => {
                tracing::warn!(path = %path.display(), error = %e, "parking: no road network (driving times are straight-line estimates)");
                None
            }
        }
    })
    .await
    .ok()
    .flatten();
    let _ = state.parking.drive.set(loaded);
}

/// Makes sure this server's world is current: reloaded when a lot, hospital or sign changed (on
/// any server) or a network it measures with has come since.
pub async fn refresh(state: &AppState) -> Fallible<Arc<World>> {
    let live = &state.parking;
    let current = live.world();
    let with = (crate::areas::circles::streets::is_loaded(state), drive_graph(state).is_some());
    {
        let mut checked = live.checked.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if checked.is_some_and(|t| t.elapsed() < RECHECK) && current.measured_with == with && !current.mark.is_empty() {
            return Ok(current);
        }
        *checked = Some(std::time::Instant::now());
    }
    let mark = marks(state).await?;
    if current.mark == mark && current.measured_with == with && !mark.is_empty() {
        return Ok(current);
    }
    let w = Arc::new(build(state, mark).await?);
    *live.world.write().unwrap_or_else(std::sync::PoisonError::into_inner) = w.clone();
    Ok(w)
}

/// Reads back what every server took since the last time, and writes the searches and trips
/// noted meanwhile.
pub async fn sync(state: &AppState) -> Fallible<()> {
    refresh(state).await?;
    let live = &state.parking;
    let since = live.read_back.lock().unwrap_or_else(std::sync::PoisonError::into_inner).unwrap_or_else(|| state.now() - parking::live::HISTORY_WINDOW);
    let rows = state.store.parking().received_since(since, 50_000).await?;
    if let Some(last) = rows.last() {
        *live.read_back.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(last.received_at);
    }
    live.push(&rows);
    let events: Vec<ParkingEventRow> = std::mem::take(&mut *live.events.lock().unwrap_or_else(std::sync::PoisonError::into_inner));
    if !events.is_empty()
        && let Err(e) = state.store.parking().note_events(&events).await
    {
        // Put back: written next time.
        live.events.lock().unwrap_or_else(std::sync::PoisonError::into_inner).extend(events);
        return Err(e.into());
    }
    Ok(())
}

/// Keeps this server's parking state current until `stop`: the road network loaded once, then a
/// sync every [`SYNC_EVERY`]; readings older than 35 days pruned by the lead server.
pub async fn worker(state: AppState, mut stop: tokio::sync::watch::Receiver<bool>) {
    load_roads(&state).await;
    loop {
        if let Err(e) = sync(&state).await {
            tracing::warn!(error = ?e, "parking: sync failed; trying again");
        }
        tokio::select! {
            _ = tokio::time::sleep(SYNC_EVERY) => {}
            _ = stop.changed() => return,
        }
    }
}

/// The lead server's daily part: readings older than 35 days are deleted.
pub async fn duty(state: &AppState) {
    if let Err(e) = state.store.parking().prune(state.now() - chrono::Duration::days(35)).await {
        tracing::warn!(error = %e, "parking: pruning old readings");
    }
}

// ---------------------------------------------------------------------------------------------
// Registering hospitals, lots and signs.

/// Saves a new or changed thing named by its slug (`kind` claim), as version `old + 1`.
async fn save_named<T: Serialize>(state: &AppState, kind: &str, slug: &str, value: &T, town: Option<&str>, parent: Option<i64>, n: Option<i64>, state_col: Option<&str>) -> Fallible<()> {
    let city = state.store.city();
    let now = state.now();
    for _ in 0..8 {
        let old = match city.claim(kind, slug).await? {
            Some(id) => city.doc(kind, id).await?,
            None => None,
        };
        let id = old.as_ref().map_or_else(|| state.parts.ids.next(), |o| o.id);
        let mut doc = crate::areas::places::cases::doc_of(kind, id, value, old.as_ref(), now)?;
        doc.town = town.map(str::to_owned);
        doc.parent = parent;
        doc.n = n;
        doc.open = true;
        doc.state = state_col.map(str::to_owned);
        let claims = if old.is_none() { vec![(kind.to_owned(), slug.to_owned(), id)] } else { Vec::new() };
        match city.save(&DocChange { docs: vec![doc], claims, ..Default::default() }, now).await? {
            DocSave::Saved => {
                *state.parking.checked.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = None;
                refresh(state).await?;
                return Ok(());
            }
            DocSave::Stale | DocSave::Claimed(..) => continue,
        }
    }
    Err(crate::areas::governance::cases::changed_meanwhile())
}

fn hospital_view(w: &World, h: &StoredHospital) -> HospitalView {
    HospitalView {
        id: h.hospital.id.to_string(),
        name: h.hospital.name.clone(),
        town: h.town.clone(),
        entrance: view_point(h.hospital.entrance),
        lots: w.walks.get(h.hospital.id.as_str()).map(|v| v.iter().map(|(i, _, _)| w.lots[*i].0.lot.id.to_string()).collect()).unwrap_or_default(),
    }
}

/// Registers or changes a hospital (the parking department).
pub async fn save_hospital(state: &AppState, p: &Principal, body: HospitalBody) -> Fallible<HospitalView> {
    parking_staff(state, p)?;
    let id = HospitalId::parse(body.id.trim()).map_err(|e| engine_error(&e.within("id")))?;
    let town = valid_town(state, &body.town).await?;
    let hospital = Hospital { id: id.clone(), name: body.name.trim().to_owned(), entrance: point(body.entrance) };
    hospital.validate().map_err(|e| engine_error(&e))?;
    save_named(state, "hospital", id.as_str(), &StoredHospital { hospital, town: town.clone() }, Some(&town), None, None, None).await?;
    let w = state.parking.world();
    w.hospital(id.as_str()).map(|h| hospital_view(&w, h)).ok_or_else(no_hospital)
}

/// The hospitals with the lots offered for each.
pub async fn hospitals(state: &AppState) -> Fallible<Vec<HospitalView>> {
    let w = refresh(state).await?;
    Ok(w.hospitals.iter().map(|h| hospital_view(&w, h)).collect())
}

fn parse_code<T>(field: &str, code: &str, all: &[(&str, T)]) -> Fallible<T>
where
    T: Copy,
{
    all.iter().find(|(c, _)| *c == code.trim()).map(|(_, v)| *v).ok_or_else(|| {
        let names: Vec<&str> = all.iter().map(|(c, _)| *c).collect();
        Failure::invalid("bad_code", field, format!("{field} 应为 {} 之一", names.join("、")), format!("{field} must be one of {}", names.join(", ")))
    })
}

const LOT_KINDS: [(&str, LotKind); 3] = [("hospital", LotKind::Hospital), ("public_garage", LotKind::PublicGarage), ("street_bays", LotKind::StreetBays)];
const STRUCTURES: [(&str, Structure); 4] = [("surface", Structure::Surface), ("multi_storey", Structure::MultiStorey), ("underground", Structure::Underground), ("street", Structure::Street)];

/// Registers or changes a car park (the parking department). Its feed key is kept.
pub async fn save_lot(state: &AppState, p: &Principal, body: LotBody) -> Fallible<LotView> {
    parking_staff(state, p)?;
    let id = LotId::parse(body.id.trim()).map_err(|e| engine_error(&e.within("id")))?;
    let town = valid_town(state, &body.town).await?;
    let w = refresh(state).await?;
    let hospital = match body.hospital.as_deref().map(str::trim).filter(|h| !h.is_empty()) {
        Some(h) => Some(w.hospital(h).map(|h| h.hospital.id.clone()).ok_or_else(|| Failure::invalid("unknown_hospital", "hospital", format!("没有这家医院：{h}"), format!("No such hospital: {h}")))?),
        None => None,
    };
    let hours = match body.hours.as_deref().map(str::trim).filter(|h| !h.is_empty()) {
        Some(h) => OpeningHours::parse(h).map_err(|e| engine_error(&e))?,
        None => OpeningHours::ALWAYS,
    };
    let fees = body.fees.map_or(Fees::FREE, |f| Fees {
        first_hour: domain::Fen(i64::from(f.first_hour_fen)),
        per_hour_after: domain::Fen(i64::from(f.per_hour_after_fen)),
        daily_cap: f.daily_cap_fen.map(|c| domain::Fen(i64::from(c))),
        free_minutes: f.free_minutes,
    });
    let c = body.capacity;
    let lot = Lot {
        id: id.clone(),
        name: body.name.trim().to_owned(),
        kind: parse_code("kind", &body.kind, &LOT_KINDS)?,
        structure: parse_code("structure", &body.structure, &STRUCTURES)?,
        hospital: hospital.clone(),
        location: point(body.location),
        entrance: point(body.entrance),
        capacity: Capacity { visitor: c.visitor, staff: c.staff, disabled: c.disabled, ev: c.ev },
        hours,
        fees,
        address: body.address.map(|a| a.trim().to_owned()).filter(|a| !a.is_empty()),
        operator: body.operator.map(|a| a.trim().to_owned()).filter(|a| !a.is_empty()),
    };
    lot.validate().map_err(|e| engine_error(&e))?;
    let key_hash = w.lot(id.as_str()).and_then(|l| l.key_hash.clone());
    let kind = lot.kind.code();
    let visitor = i64::from(lot.capacity.visitor);
    save_named(state, "lot", id.as_str(), &StoredLot { lot, town: town.clone(), key_hash }, Some(&town), None, Some(visitor), Some(kind)).await?;
    lot_view(state, id.as_str())
}

/// Issues a new feed key for a lot's operator, shown once (the old key stops working).
pub async fn issue_key(state: &AppState, p: &Principal, lot: &str) -> Fallible<FeedKeyView> {
    parking_staff(state, p)?;
    let w = refresh(state).await?;
    let mut stored = w.lot(lot).cloned().ok_or_else(no_lot)?;
    let key = telemetry::mosquitto::generate_password();
    stored.key_hash = Some(crate::areas::guardian::cases::secret_hash(&key));
    let kind = stored.lot.kind.code();
    let visitor = i64::from(stored.lot.capacity.visitor);
    let town = stored.town.clone();
    save_named(state, "lot", lot, &stored, Some(&town), None, Some(visitor), Some(kind)).await?;
    Ok(FeedKeyView { lot: lot.to_owned(), mqtt_user: telemetry::topic::parking_user(lot), mqtt_topic: telemetry::topic::parking_topic(lot), key })
}

const ARROWS: [(&str, Arrow); 3] = [("left", Arrow::Left), ("ahead", Arrow::Ahead), ("right", Arrow::Right)];

/// Registers or changes a guidance sign (the parking department).
pub async fn save_sign(state: &AppState, p: &Principal, body: SignBody) -> Fallible<SignView> {
    parking_staff(state, p)?;
    let id = SignId::parse(body.id.trim()).map_err(|e| engine_error(&e.within("id")))?;
    let w = refresh(state).await?;
    let hospital = w.hospital(body.hospital.trim()).map(|h| h.hospital.id.clone()).ok_or_else(|| Failure::invalid("unknown_hospital", "hospital", "没有这家医院", "No such hospital"))?;
    let mut lots = Vec::with_capacity(body.lots.len());
    for (i, e) in body.lots.iter().enumerate() {
        let lot = w.lot(e.lot.trim()).map(|l| l.lot.id.clone()).ok_or_else(|| Failure::invalid("unknown_lot", &format!("lots[{i}].lot"), format!("没有这个停车场：{}", e.lot), format!("No such car park: {}", e.lot)))?;
        lots.push(SignEntry { lot, arrow: parse_code(&format!("lots[{i}].arrow"), &e.arrow, &ARROWS)? });
    }
    let sign = Sign { id: id.clone(), name: body.name.trim().to_owned(), location: point(body.location), level: body.level, hospital, lots };
    sign.validate().map_err(|e| engine_error(&e))?;
    let town = w.hospital(sign.hospital.as_str()).map(|h| h.town.clone());
    save_named(state, "sign", id.as_str(), &sign, town.as_deref(), None, None, Some(&sign.level.to_string())).await?;
    sign_view(state, id.as_str()).await
}

// ---------------------------------------------------------------------------------------------
// Lots as they are now.

fn bays(c: &Capacity) -> BaysView {
    BaysView { visitor: c.visitor, staff: c.staff, disabled: c.disabled, ev: c.ev }
}

fn lot_view_of(state: &AppState, l: &StoredLot, now: DateTime<Utc>) -> LotView {
    let (live, fc) = state.parking.state_of(&l.lot, now);
    let lot = &l.lot;
    let free = live.is_fresh().then(|| {
        // A type the lot has and the feed counted; absent otherwise (never 0 for "not counted").
        let f = |b: BayType| live.free_of(b).filter(|_| lot.capacity.of(b) > 0);
        FreeBaysView { visitor: live.free_of(BayType::Visitor).unwrap_or(0), staff: f(BayType::Staff), disabled: f(BayType::Disabled), ev: f(BayType::Ev) }
    });
    LotView {
        id: lot.id.to_string(),
        name: lot.name.clone(),
        kind: lot.kind.code().into(),
        kind_zh: lot.kind.label_zh().into(),
        structure: STRUCTURES.iter().find(|(_, s)| *s == lot.structure).map_or("surface", |(c, _)| c).into(),
        hospital: lot.hospital.as_ref().map(ToString::to_string),
        town: l.town.clone(),
        location: view_point(lot.location),
        entrance: view_point(lot.entrance),
        capacity: bays(&lot.capacity),
        hours: lot.hours.to_osm(),
        fees_zh: lot.fees.describe_zh(),
        address: lot.address.clone(),
        status: live.status.code().into(),
        free,
        forecast_free: fc.free,
        updated_at: live.updated_at.map(ts),
        feed: l.key_hash.is_some(),
    }
}

fn lot_view(state: &AppState, id: &str) -> Fallible<LotView> {
    let w = state.parking.world();
    let l = w.lot(id).ok_or_else(no_lot)?;
    Ok(lot_view_of(state, l, state.now()))
}

/// The car parks now (of one hospital when given).
pub async fn lots(state: &AppState, hospital: Option<&str>) -> Fallible<Vec<LotView>> {
    let w = refresh(state).await?;
    let now = state.now();
    match hospital {
        Some(h) => {
            let offered = w.walks.get(h).ok_or_else(no_hospital)?;
            Ok(offered.iter().map(|(i, _, _)| lot_view_of(state, &w.lots[*i].0, now)).collect())
        }
        None => Ok(w.lots.iter().map(|(l, _)| lot_view_of(state, l, now)).collect()),
    }
}

/// One car park now.
pub async fn lot(state: &AppState, id: &str) -> Fallible<LotView> {
    refresh(state).await?;
    lot_view(state, id)
}

/// A lot's readings over the last `hours` (1–168).
pub async fn history(state: &AppState, id: &str, q: HistoryQuery) -> Fallible<HistoryView> {
    let hours = q.hours.unwrap_or(24);
    if !(1..=168).contains(&hours) {
        return Err(Failure::invalid("bad_hours", "hours", "hours 应在 1 到 168 之间", "hours must be 1 to 168"));
    }
    let w = refresh(state).await?;
    let l = w.lot(id).ok_or_else(no_lot)?;
    let now = state.now();
    let rows = state.store.parking().history(Some(id), now - chrono::Duration::hours(i64::from(hours)), now + parking::reading::MAX_AHEAD, 20_000).await?;
    let n = |v: Option<i64>| v.and_then(|x| u32::try_from(x).ok());
    Ok(HistoryView {
        lot: id.to_owned(),
        capacity: bays(&l.lot.capacity),
        samples: rows.iter().map(|r| SampleView { at: ts(r.at), visitor: n(r.occupied[0]), staff: n(r.occupied[1]), disabled: n(r.occupied[2]), ev: n(r.occupied[3]), source: r.source.clone() }).collect(),
    })
}

/// Every lot in the ParkAPI v3 shape (`{"items": [...]}`), so that existing parking apps read it.
pub async fn parkapi(state: &AppState) -> Fallible<parking::parkapi::ParkingSiteList> {
    let w = refresh(state).await?;
    let now = state.now();
    let base = state.config.public_url.clone();
    let items = w
        .lots
        .iter()
        .map(|(l, updated)| {
            let (live, _) = state.parking.state_of(&l.lot, now);
            parking::parkapi::site(&l.lot, &live, *updated, base.as_ref().map(|b| format!("{}/parking/lots/{}", b.trim_end_matches('/'), l.lot.id)))
        })
        .collect();
    Ok(parking::parkapi::ParkingSiteList { items })
}

// ---------------------------------------------------------------------------------------------
// The feed.

fn raw(r: ReadingBody, i: usize) -> Fallible<RawReading> {
    let at = DateTime::parse_from_rfc3339(r.at.trim()).map_err(|_| Failure::invalid("bad_time", &format!("readings[{i}].at"), "时间应为 RFC 3339 格式，如 2026-12-07T08:00:00+08:00", "a time is RFC 3339, e.g. 2026-12-07T08:00:00+08:00"))?;
    Ok(RawReading { lot: r.lot, at: at.with_timezone(&Utc), bays: r.bays.into_iter().map(|(k, c)| (k, RawCount { occupied: c.occupied, free: c.free })).collect() })
}

/// Checks readings (in order) against their lots and the lots' last readings: the checked rows,
/// or the first reading's error (with its index).
fn check_all(state: &AppState, w: &World, readings: &[RawReading], source: &str) -> Result<Vec<ParkingReadingRow>, (usize, ParkingError)> {
    let now = state.now();
    let mut last: HashMap<&str, Option<DateTime<Utc>>> = HashMap::new();
    let mut rows = Vec::with_capacity(readings.len());
    for (i, r) in readings.iter().enumerate() {
        let lot = w.lot(&r.lot).map(|l| &l.lot);
        let prev = *last.entry(r.lot.as_str()).or_insert_with(|| state.parking.last_at(&r.lot));
        let ok = parking::reading::check(lot, prev, r, now).map_err(|e| (i, e))?;
        last.insert(r.lot.as_str(), Some(ok.sample.at));
        rows.push(row_of(state, &r.lot, &ok.sample, source));
    }
    Ok(rows)
}

/// A checked reading as kept: taken now by this server.
fn row_of(state: &AppState, lot: &str, sample: &Sample, source: &str) -> ParkingReadingRow {
    ParkingReadingRow {
        lot: lot.to_owned(),
        at: sample.at,
        received_at: state.now(),
        node: i64::from(state.store.node().unwrap_or(0)),
        occupied: sample.occupied.map(|o| o.map(i64::from)),
        source: source.to_owned(),
    }
}

fn out_of_order(lots: &[String]) -> Failure {
    Failure::Conflict {
        code: "reading_out_of_order",
        zh: format!("停车场 {} 已有同一时间或更晚的读数（另一台服务器刚收到）：这批读数未保存", lots.join("、")),
        en: format!("car park {} already has a reading at that time or later (another server took it): nothing was saved", lots.join(", ")),
        field: Some("at".into()),
    }
}

/// Takes readings sent over HTTP by a lot's operator with the lot's feed key (`X-Feed-Key`). All
/// or nothing: a reading that fails a check refuses the whole request, naming it.
pub async fn take_http(state: &AppState, lot: &str, key: Option<&str>, body: ReadingsBody) -> Fallible<IngestView> {
    let w = refresh(state).await?;
    let stored = w.lot(lot).ok_or_else(no_lot)?;
    let good = key.zip(stored.key_hash.as_deref()).is_some_and(|(k, h)| crate::areas::guardian::cases::secret_hash(k) == h);
    if !good {
        return Err(Failure::Forbidden { code: "bad_feed_key", zh: "停车场数据接入密钥不对（请求头 X-Feed-Key）".into(), en: "Wrong feed key for this car park (header X-Feed-Key)".into(), field: None });
    }
    if body.readings.is_empty() || body.readings.len() > MAX_READINGS {
        return Err(Failure::invalid("bad_readings", "readings", format!("一次发送 1 到 {MAX_READINGS} 条读数"), format!("send 1 to {MAX_READINGS} readings at a time")));
    }
    let mut readings = Vec::with_capacity(body.readings.len());
    for (i, r) in body.readings.into_iter().enumerate() {
        if r.lot != lot {
            return Err(Failure::Forbidden { code: "other_lot", zh: format!("第 {} 条读数属于另一个停车场：本密钥只能发送 {lot} 的读数", i + 1), en: format!("reading {i} is for another car park: this key sends {lot}'s only"), field: Some(format!("readings[{i}].lot")) });
        }
        readings.push(raw(r, i)?);
    }
    let rows = check_all(state, &w, &readings, "http").map_err(|(i, e)| {
        let f = engine_error(&e);
        match f {
            Failure::Invalid { code, zh, en, field } => Failure::Invalid { code, zh: format!("第 {} 条读数：{zh}", i + 1), en: format!("reading {i}: {en}"), field: field.map(|f| format!("readings[{i}].{f}")) },
            Failure::Conflict { code, zh, en, field } => Failure::Conflict { code, zh: format!("第 {} 条读数：{zh}", i + 1), en: format!("reading {i}: {en}"), field: field.map(|f| format!("readings[{i}].{f}")) },
            other => other,
        }
    })?;
    let refused = state.store.parking().ingest(&rows).await?;
    if !refused.is_empty() {
        return Err(out_of_order(&refused));
    }
    state.parking.push(&rows);
    state.parking.taken.fetch_add(rows.len() as u64, Ordering::Relaxed);
    Ok(IngestView { accepted: rows.len() as u32 })
}

/// A published message: one reading, or `{"readings": [...]}`.
#[derive(Deserialize)]
#[serde(untagged)]
enum Published {
    One(ReadingBody),
    Many(ReadingsBody),
}

/// Takes readings published over MQTT (topic level = lot; the broker let only that lot's feed
/// user publish there). Readings that fail a check are counted and dropped (sending them again
/// would not change the answer); the rest are written in one transaction before the batch is
/// acknowledged.
pub async fn take_published(state: &AppState, batch: &[(Option<String>, bytes::Bytes)]) -> Fallible<()> {
    let w = refresh(state).await?;
    let mut readings = Vec::with_capacity(batch.len());
    let mut refused = 0u64;
    for (lot, payload) in batch {
        let parsed: Option<Vec<ReadingBody>> = match serde_json::from_slice::<Published>(payload) {
            Ok(Published::One(r)) => Some(vec![r]),
            Ok(Published::Many(m)) => Some(m.readings),
            Err(_) => None,
        };
        let Some(list) = parsed else {
            refused += 1;
            continue;
        };
        for (i, r) in list.into_iter().enumerate() {
            // A reading for another lot than its topic's is refused: the topic is what the broker checked.
            match (lot.as_deref() == Some(r.lot.as_str())).then(|| raw(r, i)) {
                Some(Ok(raw)) => readings.push(raw),
                _ => refused += 1,
            }
        }
    }
    // Checked one by one: a bad reading drops itself only.
    let mut rows = Vec::with_capacity(readings.len());
    let mut last: HashMap<String, DateTime<Utc>> = HashMap::new();
    for r in &readings {
        let prev = last.get(&r.lot).copied().or_else(|| state.parking.last_at(&r.lot));
        match parking::reading::check(w.lot(&r.lot).map(|l| &l.lot), prev, r, state.now()) {
            Ok(ok) => {
                last.insert(r.lot.clone(), ok.sample.at);
                rows.push(row_of(state, &r.lot, &ok.sample, "mqtt"));
            }
            Err(e) => {
                tracing::info!(lot = %r.lot, code = e.code(), "parking: a published reading was refused");
                refused += 1;
            }
        }
    }
    if !rows.is_empty() {
        let lost = state.store.parking().ingest(&rows).await?;
        if !lost.is_empty() {
            refused += rows.iter().filter(|r| lost.contains(&r.lot)).count() as u64;
            rows.retain(|r| !lost.contains(&r.lot));
        }
    }
    state.parking.push(&rows);
    state.parking.taken.fetch_add(rows.len() as u64, Ordering::Relaxed);
    state.parking.refused.fetch_add(refused, Ordering::Relaxed);
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Guidance.

fn valid_opt_point(lat: Option<f64>, lon: Option<f64>, field: &str) -> Fallible<Option<Point>> {
    match (lat, lon) {
        (None, None) => Ok(None),
        (Some(a), Some(o)) => {
            let p = Point { lat: a, lon: o };
            p.validate(field).map_err(|e| engine_error(&e))?;
            Ok(Some(p))
        }
        _ => Err(Failure::invalid("bad_point", field, "位置须同时给出有效的纬度和经度", "Give both a valid latitude and longitude")),
    }
}

/// Where to park: for a hospital (or a point), from the driver's position (or the sign they are
/// at, or the hospital's entrance), the lots offered ranked by the `parking` engine.
pub async fn guidance(state: &AppState, q: GuidanceQuery) -> Fallible<GuidanceView> {
    let w = refresh(state).await?;
    let needs = Needs { disabled: q.disabled.unwrap_or(false), ev: q.ev.unwrap_or(false) };
    let sign = match q.sign.as_deref() {
        Some(s) => Some(w.sign(s).ok_or_else(no_sign)?),
        None => None,
    };
    let hospital_id = q.hospital.as_deref().or(sign.map(|s| s.hospital.as_str()));
    let origin = valid_opt_point(q.lat, q.lon, "lat")?;
    let to_point = valid_opt_point(q.to_lat, q.to_lon, "to_lat")?;
    let now = state.now();
    let (hospital, to, offered): (Option<&StoredHospital>, Point, Vec<(usize, f64, &'static str)>) = match (hospital_id, to_point) {
        (Some(h), _) => {
            let hosp = w.hospital(h).ok_or_else(no_hospital)?;
            (Some(hosp), hosp.hospital.entrance, w.walks.get(h).cloned().unwrap_or_default())
        }
        (None, Some(p)) => {
            // Any point: the lots within reach, walked in a straight line (× detour).
            let near: Vec<(usize, f64, &'static str)> = w.lots.iter().enumerate().filter(|(_, (l, _))| l.lot.entrance.distance_m(&p) <= NEAR_M).map(|(i, (l, _))| (i, parking::rank::straight_line_walk_s(&l.lot.entrance, &p), "straight_line")).collect();
            (None, p, near)
        }
        (None, None) => return Err(Failure::invalid("no_target", "hospital", "请给出医院（hospital）或目的地（to_lat、to_lon）", "Give a hospital, or a place to walk to (to_lat, to_lon)")),
    };
    let from = origin.or(sign.map(|s| s.location)).unwrap_or(to);
    let targets: Vec<Point> = offered.iter().map(|(i, _, _)| w.lots[*i].0.lot.location).collect();
    // Drives measured once (a sign, the entrance), else now from the driver's position.
    let measured: Vec<Option<f64>> = match (origin, sign, hospital) {
        (None, Some(s), _) => w.sign_drives.get(s.id.as_str()).cloned().unwrap_or_else(|| vec![None; targets.len()]),
        (None, None, Some(h)) => w.entrance_drives.get(h.hospital.id.as_str()).cloned().unwrap_or_else(|| vec![None; targets.len()]),
        _ => {
            let g = drive_graph(state);
            match g {
                Some(g) => tokio::task::spawn_blocking(move || {
                    let to: Vec<(f64, f64)> = targets.iter().map(|p| (p.lat, p.lon)).collect();
                    g.seconds_from((from.lat, from.lon), &to)
                })
                .await
                .map_err(Failure::internal)?,
                None => vec![None; offered.len()],
            }
        }
    };
    let lots: Vec<&Lot> = offered.iter().map(|(i, _, _)| &w.lots[*i].0.lot).collect();
    let states = state.parking.states_for(&lots, needs, now);
    let candidates: Vec<Candidate> = offered
        .iter()
        .enumerate()
        .map(|(k, (_, walk, _))| {
            let lot = lots[k];
            let (drive_s, how) = match measured.get(k).copied().flatten() {
                Some(d) => (Some(d), Measured::RoadNetwork),
                None => (Some(parking::rank::straight_line_drive_s(&from, &lot.location)), Measured::StraightLine),
            };
            Candidate::new(k, &states[k].0, &states[k].1, needs, drive_s, how, *walk)
        })
        .collect();
    let ranked = parking::rank::rank(&candidates);
    let id = state.parts.ids.next();
    let minutes = |s: f64| (s / 6.0).round() / 10.0;
    let view = GuidanceView {
        id: id.to_string(),
        hospital: hospital.map(|h| h.hospital.id.to_string()),
        hospital_name: hospital.map(|h| h.hospital.name.clone()),
        from: view_point(from),
        to: view_point(to),
        lots: ranked
            .iter()
            .map(|r| {
                let lot = lots[r.index];
                let nav = parking::nav::links(lot.location, &lot.name);
                GuidedLotView {
                    lot: lot.id.to_string(),
                    name: lot.name.clone(),
                    kind_zh: lot.kind.label_zh().into(),
                    verdict: r.verdict.code().into(),
                    drive_minutes: r.drive_s.map(minutes),
                    drive_measured: r.measured.code().into(),
                    walk_minutes: minutes(r.walk_s),
                    walk_measured: offered[r.index].2.into(),
                    total_minutes: r.total_s.map(minutes),
                    free_now: r.free_now,
                    free_at_arrival: r.free_at_arrival,
                    fees_zh: lot.fees.describe_zh(),
                    location: view_point(lot.location),
                    nav: NavView { geo: nav.geo, amap: nav.amap, baidu_app: nav.baidu_app, baidu_web: nav.baidu_web, apple: nav.apple },
                }
            })
            .collect(),
        at: ts(now),
    };
    state.parking.note("search", view.hospital.as_deref(), q.sign.as_deref(), view.lots.first().map(|l| l.lot.as_str()), id, now);
    Ok(view)
}

/// A driver sets off from a guidance answer to one of its lots: counted as a guided trip.
pub async fn navigate(state: &AppState, body: NavigateBody) -> Fallible<NavView> {
    let w = state.parking.world();
    let lot = w.lot(body.lot.trim()).ok_or_else(|| Failure::invalid("unknown_lot", "lot", "没有这个停车场", "No such car park"))?;
    let guidance: i64 = body.guidance.trim().parse().map_err(|_| Failure::invalid("bad_guidance", "guidance", "诱导结果编号不对", "Not a guidance answer's id"))?;
    let now = state.now();
    state.parking.note("navigate", lot.lot.hospital.as_ref().map(HospitalId::as_str), None, Some(lot.lot.id.as_str()), state.parts.ids.next(), now);
    tracing::debug!(guidance, lot = %lot.lot.id, "parking: a guided trip");
    let nav = parking::nav::links(lot.lot.location, &lot.lot.name);
    Ok(NavView { geo: nav.geo, amap: nav.amap, baidu_app: nav.baidu_app, baidu_web: nav.baidu_web, apple: nav.apple })
}

/// What a guidance sign shows now.
pub async fn sign_view(state: &AppState, id: &str) -> Fallible<SignView> {
    let w = refresh(state).await?;
    let s = w.sign(id).ok_or_else(no_sign)?;
    let now = state.now();
    let rows = parking::sign::display(s, |lot| w.lot(lot.as_str()).map(|l| (&l.lot, state.parking.state_of(&l.lot, now).0)));
    let h = w.hospital(s.hospital.as_str());
    let base = state.config.public_url.clone().unwrap_or_default();
    Ok(SignView {
        id: s.id.to_string(),
        name: s.name.clone(),
        level: s.level,
        hospital: s.hospital.to_string(),
        hospital_name: h.map(|h| h.hospital.name.clone()).unwrap_or_default(),
        location: view_point(s.location),
        rows: rows
            .into_iter()
            .map(|r| SignRowView { lot: r.lot.to_string(), name: r.name, free: r.free, shown: r.shown, arrow: ARROWS.iter().find(|(_, a)| *a == r.arrow).map_or("ahead", |(c, _)| c).into(), arrow_symbol: r.arrow_symbol.into() })
            .collect(),
        qr_url: format!("{}/parking/signs/{}", base.trim_end_matches('/'), s.id),
        at: ts(now),
    })
}

// ---------------------------------------------------------------------------------------------
// The cockpit.

/// The parking cockpit of a day (the parking department, supervisors, the administrator).
pub async fn figures(state: &AppState, p: &Principal, q: ParkingFiguresQuery) -> Fallible<ParkingFiguresView> {
    let who = Who::of(state, Some(&p.account));
    if !(who.meets(Who::PARKING) || who.meets(Who::ADMIN) || who.meets(Who::SUPERVISOR)) {
        return Err(Failure::forbidden("只有停车诱导部门、督办人和管理员可以查看停车驾驶舱", "Only the parking department, supervisors and the administrator see the parking cockpit"));
    }
    let now = state.now();
    let today = parking::lot::local(now).date();
    let day = match q.day.as_deref() {
        Some(d) => NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d").map_err(|_| Failure::invalid("bad_date", "day", "日期格式应为 YYYY-MM-DD", "A date is YYYY-MM-DD"))?,
        None => today,
    };
    let start = day.and_hms_opt(0, 0, 0).map(|t| t.and_utc() - chrono::Duration::hours(parking::lot::UTC_OFFSET_HOURS)).ok_or_else(|| Failure::invalid("bad_date", "day", "日期不对", "Bad date"))?;
    let end = start + chrono::Duration::days(1);
    let w = refresh(state).await?;
    let rows = state.store.parking().history(None, start, end, 500_000).await?;
    let mut by_lot: HashMap<&str, Vec<Sample>> = HashMap::new();
    for r in &rows {
        by_lot.entry(r.lot.as_str()).or_default().push(sample_of(r));
    }
    let empty: Vec<Sample> = Vec::new();
    let pairs: Vec<(&Lot, &[Sample])> = w.lots.iter().map(|(l, _)| (&l.lot, by_lot.get(l.lot.id.as_str()).map_or(empty.as_slice(), Vec::as_slice))).collect();
    let occ = parking::figures::occupancy_by_hour(&pairs);
    let events = state.store.parking().events(start, end).await?;
    let searches: Vec<DateTime<Utc>> = events.iter().filter(|e| e.kind == "search").map(|e| e.at).collect();
    let trips: Vec<DateTime<Utc>> = events.iter().filter(|e| e.kind == "navigate").map(|e| e.at).collect();
    let g = parking::figures::guidance_by_hour(&searches, &trips);
    let mut counts = [0u32; 4];
    for (l, _) in &w.lots {
        let (live, _) = state.parking.state_of(&l.lot, now);
        let k = match live.status {
            parking::Status::Open => 0,
            parking::Status::Full => 1,
            parking::Status::Unknown => 2,
            parking::Status::Closed => 3,
        };
        counts[k] += 1;
    }
    Ok(ParkingFiguresView {
        day: day.to_string(),
        lots: occ
            .lots
            .iter()
            .map(|h| LotHoursView { lot: h.lot.to_string(), name: w.lot(h.lot.as_str()).map(|l| l.lot.name.clone()).unwrap_or_default(), capacity: h.capacity, rate: h.rate.to_vec() })
            .collect(),
        rate: occ.rate.to_vec(),
        searches: g.searches.to_vec(),
        guided_trips: g.arrivals.to_vec(),
        total_searches: g.total_searches,
        total_guided_trips: g.total_arrivals,
        now_open: counts[0],
        now_full: counts[1],
        now_unknown: counts[2],
        now_closed: counts[3],
        readings_taken: state.parking.taken.load(Ordering::Relaxed),
        readings_refused: state.parking.refused.load(Ordering::Relaxed),
    })
}
