//! Deterministic telemetry for a district of guarded elders, for the demo (`minsheng guardian
//! simulate`), the tests and the benchmark: every home has a presence sensor per room (2–3 rooms),
//! a door contact, a water meter, an electricity meter and a wearable; every device reports every
//! `interval_s` seconds (at its own phase), and what it reports follows the elder's day — asleep at
//! night (long gaps), active by day in one room or another, an afternoon nap, an outing on some
//! days (the door opens and closes, the wearable is a few hundred metres away), water used in the
//! morning, at noon and in the evening, a fridge that keeps the electricity meter turning, a body
//! temperature around 36.5 °C with noise, a wearable charged every evening and sensors whose
//! batteries drain slowly. Scripted incidents change one elder's day: a fall at 03:00, a fever,
//! an elder who stops moving, an SOS, a device going silent, a night-time wander, a battery that
//! runs low.
//!
//! Every payload is a function of the seed, the device and the time alone, so a window can be
//! produced anywhere, in any pieces, in the same bytes: [`Simulation::window`] gives the messages
//! with `from <= ts < to` in time order (millions a second), and a live publisher asks for the
//! window from its last `now` to the new one. The message rate is devices ÷ `interval_s`.

use std::io::Write;

use chrono::DateTime;
use chrono::NaiveDate;
use chrono::Utc;
use serde::Deserialize;
use serde::Serialize;

use crate::device::DeviceKind;
use crate::device::ElderId;
use crate::monitor::DeviceProfile;
use crate::monitor::ElderProfile;
use crate::reading::write_num;
use crate::reading::write_ts;

/// A scripted incident.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "incident", rename_all = "snake_case")]
pub enum IncidentKind {
    /// The wearable reports a fall (once).
    Fall,
    /// The body temperature is ~38.3 °C for `hours`.
    Fever {
        /// How long.
        hours: u32,
    },
    /// The elder stops moving for good: no motion, no door, no water (the fridge keeps running).
    StopsMoving,
    /// The SOS button (once).
    Sos,
    /// The door contact stops reporting.
    DeviceSilent,
    /// The elder leaves home for `minutes`, 1–2 km away.
    Wanders {
        /// How long.
        minutes: u32,
    },
    /// The wearable's battery drops to 15% and stays there.
    BatteryLow,
}

/// An incident in one elder's day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Incident {
    /// The elder's index (0-based) in the simulation.
    pub elder: u32,
    /// What.
    pub kind: IncidentKind,
    /// When it starts.
    pub at: DateTime<Utc>,
}

/// The standard script on `day` (China time), for elders 0–6: a fall at 03:00, a fever from
/// 10:00 for 6 hours, an elder who stops moving at 10:00, an SOS at 15:00, a door contact silent
/// from 08:00, a wander from 23:00 for an hour, a wearable's battery low from 12:00.
pub fn standard_incidents(day: NaiveDate) -> Vec<Incident> {
    let at = |h: u32| domain::china_start_of_day(day) + chrono::Duration::hours(i64::from(h));
    vec![
        Incident { elder: 0, kind: IncidentKind::Fall, at: at(3) },
        Incident { elder: 1, kind: IncidentKind::Fever { hours: 6 }, at: at(10) },
        Incident { elder: 2, kind: IncidentKind::StopsMoving, at: at(10) },
        Incident { elder: 3, kind: IncidentKind::Sos, at: at(15) },
        Incident { elder: 4, kind: IncidentKind::DeviceSilent, at: at(8) },
        Incident { elder: 5, kind: IncidentKind::Wanders { minutes: 60 }, at: at(23) },
        Incident { elder: 6, kind: IncidentKind::BatteryLow, at: at(12) },
    ]
}

/// What to simulate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimConfig {
    /// How many elders (homes).
    pub elders: u32,
    /// The seed.
    pub seed: u64,
    /// Every device reports every this many seconds (the rate is devices ÷ this).
    pub interval_s: u32,
    /// When the devices were switched on: counters count from here, batteries drain from here;
    /// nothing is reported before it.
    pub epoch: DateTime<Utc>,
    /// The first elder's id; the others follow.
    pub first_elder: u64,
    /// The scripted incidents.
    pub incidents: Vec<Incident>,
}

impl SimConfig {
    /// About how many elders make `devices` devices (6.5 a home on average).
    pub fn elders_for_devices(devices: u32) -> u32 {
        (u64::from(devices) * 2).div_ceil(13).try_into().unwrap_or(u32::MAX).max(1)
    }
}

/// One message a device publishes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message<'a> {
    /// The device id (its topic is [`crate::reading::topic`]).
    pub device: &'a str,
    /// Its kind.
    pub kind: DeviceKind,
    /// The payload.
    pub payload: Vec<u8>,
    /// When it measured (whole seconds).
    pub ts: DateTime<Utc>,
}

struct Home {
    id: ElderId,
    home: (f64, f64),
    rooms: u8,
    /// Minutes of the day (China time).
    wake: u16,
    sleep: u16,
    nap: u16,
    nap_len: u16,
    outing: u16,
    outing_len: u16,
    temp_offset: f64,
    litres_per_day: f64,
    litres_base: f64,
    kwh_base: f64,
    /// Seconds.
    stopped_at: Option<i64>,
    wander: Option<(i64, i64)>,
    fever: Option<(i64, i64)>,
    fall_at: Option<i64>,
    sos_at: Option<i64>,
    silent_from: Option<i64>,
    battery_low_from: Option<i64>,
}

struct SimDevice {
    id: String,
    home: u32,
    kind: DeviceKind,
    room: u8,
    battery_start: f64,
}

/// The simulated district.
pub struct Simulation {
    seed: u64,
    interval: i64,
    epoch: i64,
    homes: Vec<Home>,
    devices: Vec<SimDevice>,
    /// Device indexes by phase (seconds after the epoch, modulo the interval).
    by_phase: Vec<Vec<u32>>,
    incidents: Vec<Incident>,
}

impl std::fmt::Debug for Simulation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Simulation").field("elders", &self.homes.len()).field("devices", &self.devices.len()).field("interval_s", &self.interval).finish()
    }
}

const ROOMS: [&str; 3] = ["bedroom", "living_room", "kitchen"];
/// Fuyang District's centre.
const CENTRE: (f64, f64) = (30.0488, 119.9603);
const CHINA: i64 = 8 * 3600;

/// SplitMix64's finaliser: a well-mixed hash of a few numbers.
fn mix(seed: u64, a: u64, b: u64) -> u64 {
    let mut z = seed ^ a.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ b.wrapping_mul(0xD1B5_4A32_D192_ED03);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Uniform in [0, 1).
fn unit(seed: u64, a: u64, b: u64) -> f64 {
    (mix(seed, a, b) >> 11) as f64 / (1u64 << 53) as f64
}

fn minute_of_day(t: i64) -> u16 {
    u16::try_from((t + CHINA).rem_euclid(86_400) / 60).unwrap_or(0)
}

fn day_of(t: i64) -> i64 {
    (t + CHINA).div_euclid(86_400)
}

/// What the elder is doing.
enum Doing {
    Asleep,
    Napping,
    Out { far: bool },
    Active { room: u8 },
    Still,
}

impl Simulation {
    /// The simulation of `cfg` (incidents for elders beyond `cfg.elders` are dropped).
    pub fn new(cfg: &SimConfig) -> Simulation {
        let seed = cfg.seed;
        let interval = i64::from(cfg.interval_s.max(1));
        let epoch = cfg.epoch.timestamp();
        let mut homes = Vec::with_capacity(cfg.elders as usize);
        for i in 0..u64::from(cfg.elders) {
            let u = |k: u64| unit(seed, i, k);
            let rooms = if u(1) < 0.5 { 2 } else { 3 };
            homes.push(Home {
                id: ElderId(cfg.first_elder + i),
                home: (CENTRE.0 + (u(2) - 0.5) * 0.3, CENTRE.1 + (u(3) - 0.5) * 0.4),
                rooms,
                wake: 330 + (u(4) * 60.0) as u16,    // 05:30–06:30
                sleep: 1260 + (u(5) * 90.0) as u16,  // 21:00–22:30
                nap: 780 + (u(6) * 30.0) as u16,     // 13:00–13:30
                nap_len: 40 + (u(7) * 80.0) as u16,  // 40–120 minutes
                outing: 540 + (u(8) * 120.0) as u16, // 09:00–11:00
                outing_len: 30 + (u(9) * 60.0) as u16,
                temp_offset: (u(10) - 0.5) * 0.4,
                litres_per_day: 80.0 + u(11) * 100.0,
                litres_base: (u(12) * 50_000.0).round(),
                kwh_base: (u(13) * 8_000.0).round(),
                stopped_at: None,
                wander: None,
                fever: None,
                fall_at: None,
                sos_at: None,
                silent_from: None,
                battery_low_from: None,
            });
        }
        let incidents: Vec<Incident> = cfg.incidents.iter().copied().filter(|x| x.elder < cfg.elders).collect();
        for x in &incidents {
            let h = &mut homes[x.elder as usize];
            let at = x.at.timestamp();
            match x.kind {
                IncidentKind::Fall => h.fall_at = Some(at),
                IncidentKind::Fever { hours } => h.fever = Some((at, at + i64::from(hours) * 3600)),
                IncidentKind::StopsMoving => h.stopped_at = Some(at),
                IncidentKind::Sos => h.sos_at = Some(at),
                IncidentKind::DeviceSilent => h.silent_from = Some(at),
                IncidentKind::Wanders { minutes } => h.wander = Some((at, at + i64::from(minutes) * 60)),
                IncidentKind::BatteryLow => h.battery_low_from = Some(at),
            }
        }
        let mut devices = Vec::new();
        for (i, h) in homes.iter().enumerate() {
            let home = u32::try_from(i).unwrap_or(u32::MAX);
            let mut add = |suffix: &str, kind: DeviceKind, room: u8| {
                let n = devices.len() as u64;
                devices.push(SimDevice { id: format!("g{:06}-{suffix}", h.id.0), home, kind, room, battery_start: 60.0 + unit(seed, n, 77) * 40.0 });
            };
            for r in 0..h.rooms {
                add(&format!("p{}", r + 1), DeviceKind::Presence, r);
            }
            add("door", DeviceKind::Door, 0);
            add("water", DeviceKind::WaterMeter, 0);
            add("power", DeviceKind::ElectricityMeter, 0);
            add("wear", DeviceKind::Wearable, 0);
        }
        let mut by_phase = vec![Vec::new(); usize::try_from(interval).unwrap_or(1)];
        for i in 0..devices.len() {
            let phase = mix(seed, i as u64, 99) % interval as u64;
            by_phase[phase as usize].push(u32::try_from(i).unwrap_or(u32::MAX));
        }
        Simulation { seed, interval, epoch, homes, devices, by_phase, incidents }
    }

    /// How many elders.
    pub fn elder_count(&self) -> usize {
        self.homes.len()
    }

    /// How many devices.
    pub fn device_count(&self) -> usize {
        self.devices.len()
    }

    /// When the devices were switched on.
    pub fn epoch_time(&self) -> DateTime<Utc> {
        DateTime::from_timestamp(self.epoch, 0).unwrap_or_default()
    }

    /// The incidents scripted.
    pub fn incidents(&self) -> &[Incident] {
        &self.incidents
    }

    /// The elder of index `i` (as the incidents name them).
    pub fn elder_id(&self, i: u32) -> Option<ElderId> {
        self.homes.get(i as usize).map(|h| h.id)
    }

    /// The elders to enrol, with their homes.
    pub fn elders(&self) -> Vec<ElderProfile> {
        self.homes.iter().map(|h| ElderProfile { id: h.id, home: Some(h.home), overrides: None }).collect()
    }

    /// The devices to install.
    pub fn devices(&self) -> Vec<DeviceProfile> {
        self.devices
            .iter()
            .map(|d| DeviceProfile {
                id: d.id.clone(),
                elder: self.homes[d.home as usize].id,
                kind: d.kind,
                room: (d.kind == DeviceKind::Presence).then(|| ROOMS[usize::from(d.room)].to_owned()),
            })
            .collect()
    }

    /// The messages with `from <= ts < to`, in time order.
    pub fn window(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Window<'_> {
        let start = from.timestamp() + i64::from(from.timestamp_subsec_nanos() > 0);
        Window { sim: self, sec: start.max(self.epoch), end: to.timestamp() + i64::from(to.timestamp_subsec_nanos() > 0), pos: 0 }
    }

    fn outing_day(&self, h: &Home, day: i64) -> bool {
        mix(self.seed, h.id.0, day as u64).is_multiple_of(3)
    }

    fn doing(&self, h: &Home, t: i64) -> Doing {
        if h.stopped_at.is_some_and(|s| t >= s) {
            return Doing::Still;
        }
        if h.wander.is_some_and(|(s, e)| (s..e).contains(&t)) {
            return Doing::Out { far: true };
        }
        let m = minute_of_day(t);
        if m >= h.sleep || m < h.wake {
            return Doing::Asleep;
        }
        if (h.nap..h.nap + h.nap_len).contains(&m) {
            return Doing::Napping;
        }
        if (h.outing..h.outing + h.outing_len).contains(&m) && self.outing_day(h, day_of(t)) {
            return Doing::Out { far: false };
        }
        let room = mix(self.seed, h.id.0, (t.div_euclid(600)) as u64) % u64::from(h.rooms);
        Doing::Active { room: room as u8 }
    }

    /// Whether the door is open at `t`: for two minutes as the elder leaves and as they return.
    fn door_open(&self, h: &Home, t: i64) -> bool {
        if h.stopped_at.is_some_and(|s| t >= s) {
            return false;
        }
        let near = |edge: i64| (edge..edge + 120).contains(&t);
        if let Some((s, e)) = h.wander
            && (near(s) || near(e))
        {
            return true;
        }
        let day = day_of(t);
        if !self.outing_day(h, day) {
            return false;
        }
        let start = day * 86_400 - CHINA + i64::from(h.outing) * 60;
        near(start) || near(start + i64::from(h.outing_len) * 60)
    }

    /// How much of a day's use has happened by minute `m`: 40% from 06:30 to 08:00, 20% from 11:30
    /// to 12:30, 40% from 18:00 to 20:00.
    fn water_share(m: u16) -> f64 {
        let m = f64::from(m);
        let ramp = |from: f64, to: f64| ((m - from) / (to - from)).clamp(0.0, 1.0);
        0.4 * ramp(390.0, 480.0) + 0.2 * ramp(690.0, 750.0) + 0.4 * ramp(1080.0, 1200.0)
    }

    /// Cumulative litres at `t` (frozen once the elder stops moving).
    fn litres(&self, h: &Home, t: i64) -> f64 {
        let t = h.stopped_at.map_or(t, |s| t.min(s));
        let day = day_of(t) - day_of(self.epoch);
        let mean = h.litres_per_day;
        let at_day = |d: i64| d as f64 * mean + mean * 0.2 * (unit(self.seed, h.id.0, d as u64 ^ 0x5757) - 0.5);
        let (a, b) = (at_day(day), at_day(day + 1));
        ((h.litres_base + a + (b - a) * Self::water_share(minute_of_day(t))) * 10.0).round() / 10.0
    }

    /// Cumulative kWh at `t`: a fridge (0.06 kWh an hour, always) and cooking and lights in the
    /// evening (1.5 kWh a day, frozen once the elder stops moving).
    fn kwh(&self, h: &Home, t: i64) -> f64 {
        let fridge = (t - self.epoch) as f64 / 3600.0 * 0.06;
        let ta = h.stopped_at.map_or(t, |s| t.min(s));
        let day = (day_of(ta) - day_of(self.epoch)) as f64;
        let m = f64::from(minute_of_day(ta));
        let share = 0.3 * ((m - 360.0) / 120.0).clamp(0.0, 1.0) + 0.7 * ((m - 1020.0) / 300.0).clamp(0.0, 1.0);
        ((h.kwh_base + fridge + 1.5 * (day + share)) * 1000.0).round() / 1000.0
    }

    fn message(&self, d: u32, slot: i64, t: i64) -> Option<Message<'_>> {
        let dev = &self.devices[d as usize];
        let h = &self.homes[dev.home as usize];
        if dev.kind == DeviceKind::Door && h.silent_from.is_some_and(|s| t >= s) {
            return None;
        }
        let ts = DateTime::from_timestamp(t, 0)?;
        let mut p = Vec::with_capacity(160);
        let _ = write!(p, "{{\"seq\":{slot},\"ts\":\"");
        write_ts(&mut p, ts);
        p.push(b'"');
        let days = (t - self.epoch) as f64 / 86_400.0;
        let u = |k: u64| unit(self.seed, u64::from(d), (slot as u64) << 4 | k);
        match dev.kind {
            DeviceKind::Presence => {
                let motion = matches!(self.doing(h, t), Doing::Active { room } if room == dev.room) && u(1) < 0.8;
                let battery = (dev.battery_start - days * 0.02).max(1.0).round();
                let _ = write!(p, ",\"battery_pct\":{battery},\"room\":\"{}\",\"motion\":{motion}", ROOMS[usize::from(dev.room)]);
            }
            DeviceKind::Door => {
                let battery = (dev.battery_start - days * 0.02).max(1.0).round();
                let _ = write!(p, ",\"battery_pct\":{battery},\"open\":{}", self.door_open(h, t));
            }
            DeviceKind::WaterMeter => write_num(&mut p, "litres", self.litres(h, t)),
            DeviceKind::ElectricityMeter => write_num(&mut p, "kwh", self.kwh(h, t)),
            DeviceKind::Wearable => {
                let m = minute_of_day(t);
                // Charged from bedtime to waking; drains to ~60% over the day.
                let awake = (i64::from(m) - i64::from(h.wake)).rem_euclid(1440) as f64;
                let mut battery = (100.0 - awake / 1440.0 * 60.0).round();
                if h.battery_low_from.is_some_and(|s| t >= s) {
                    battery = 15.0;
                }
                let _ = write!(p, ",\"battery_pct\":{battery}");
                let (lat, lon) = match self.doing(h, t) {
                    Doing::Out { far } => {
                        let bearing = unit(self.seed, h.id.0, day_of(t) as u64) * std::f64::consts::TAU;
                        let metres = if far { 1200.0 + u(2) * 600.0 } else { 300.0 + unit(self.seed, h.id.0, 5) * 400.0 };
                        (h.home.0 + metres / 111_320.0 * bearing.cos(), h.home.1 + metres / 96_000.0 * bearing.sin())
                    }
                    _ => (h.home.0 + (u(2) - 0.5) * 0.0001, h.home.1 + (u(3) - 0.5) * 0.0001),
                };
                write_num(&mut p, "lat", (lat * 1e6).round() / 1e6);
                write_num(&mut p, "lon", (lon * 1e6).round() / 1e6);
                let night = if m >= h.sleep || m < h.wake { -0.2 } else { 0.0 };
                let mut temp = 36.5 + h.temp_offset + night + (u(4) - 0.5) * 0.5;
                if h.fever.is_some_and(|(s, e)| (s..e).contains(&t)) {
                    temp = 38.3 + (u(4) - 0.5) * 0.4;
                }
                write_num(&mut p, "temp_c", (temp * 10.0).round() / 10.0);
                let once = |at: Option<i64>| at.is_some_and(|a| (a..a + self.interval).contains(&t));
                if once(h.fall_at) {
                    p.extend_from_slice(b",\"fall\":true");
                }
                if once(h.sos_at) {
                    p.extend_from_slice(b",\"sos\":true");
                }
                let rate = 62.0 + unit(self.seed, h.id.0, 6) * 20.0 + (u(5) - 0.5) * 8.0 + if matches!(self.doing(h, t), Doing::Active { .. }) { 8.0 } else { 0.0 };
                let _ = write!(p, ",\"heart_rate\":{}", rate.round());
            }
        }
        p.push(b'}');
        Some(Message { device: &dev.id, kind: dev.kind, payload: p, ts })
    }
}

/// The messages of a window, in time order.
pub struct Window<'a> {
    sim: &'a Simulation,
    /// The second being produced.
    sec: i64,
    /// The first second not produced.
    end: i64,
    /// The next device of the second's phase.
    pos: usize,
}

impl std::fmt::Debug for Window<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Window").field("sec", &self.sec).field("end", &self.end).finish()
    }
}

impl<'a> Iterator for Window<'a> {
    type Item = Message<'a>;

    fn next(&mut self) -> Option<Message<'a>> {
        let sim = self.sim;
        while self.sec < self.end {
            let rel = self.sec - sim.epoch;
            let bucket = &sim.by_phase[usize::try_from(rel % sim.interval).unwrap_or(0)];
            if let Some(&d) = bucket.get(self.pos) {
                self.pos += 1;
                if let Some(m) = sim.message(d, rel / sim.interval, self.sec) {
                    return Some(m);
                }
            } else {
                self.sec += 1;
                self.pos = 0;
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::monitor::Monitor;
    use crate::monitor::Raised;
    use crate::reading::parse_reading;
    use crate::rules::AlarmKind;
    use crate::rules::Rules;
    use std::collections::BTreeMap;

    fn cfg(elders: u32) -> SimConfig {
        let day = NaiveDate::from_ymd_opt(2026, 3, 2).expect("as expected");
        SimConfig {
            elders,
            seed: 42,
            interval_s: 60,
            epoch: domain::china_start_of_day(NaiveDate::from_ymd_opt(2026, 3, 1).expect("as expected")),
            first_elder: 1,
            incidents: standard_incidents(day),
        }
    }

    #[test]
    fn deterministic_in_order_and_the_same_in_pieces() {
        let sim = Simulation::new(&cfg(20));
        assert_eq!(sim.device_count(), sim.devices().len());
        assert!((120..=140).contains(&sim.device_count()), "{}", sim.device_count());
        let from = sim.epoch_time() + chrono::Duration::hours(7);
        let to = from + chrono::Duration::minutes(30);
        let whole: Vec<(String, Vec<u8>, DateTime<Utc>)> = sim.window(from, to).map(|m| (m.device.to_owned(), m.payload, m.ts)).collect();
        assert_eq!(whole.len(), sim.device_count() * 30, "every device once a minute");
        assert!(whole.windows(2).all(|w| w[0].2 <= w[1].2), "time order");
        let again = Simulation::new(&cfg(20));
        let mut pieces = Vec::new();
        let mut t = from;
        while t < to {
            let next = t + chrono::Duration::seconds(7);
            pieces.extend(again.window(t, next.min(to)).map(|m| (m.device.to_owned(), m.payload, m.ts)));
            t = next;
        }
        assert_eq!(whole, pieces, "the same bytes, produced live in pieces");
        let other = Simulation::new(&SimConfig { seed: 43, ..cfg(20) });
        let o: Vec<Vec<u8>> = other.window(from, to).map(|m| m.payload).collect();
        assert_ne!(o, whole.iter().map(|w| w.1.clone()).collect::<Vec<_>>(), "another seed, another district");
        // Every payload parses as its device's kind.
        for m in sim.window(from, to) {
            parse_reading(m.device, m.kind, &m.payload, m.ts).unwrap_or_else(|e| panic!("{}: {e}", String::from_utf8_lossy(&m.payload)));
        }
        // Nothing before the epoch.
        assert_eq!(sim.window(sim.epoch_time() - chrono::Duration::hours(1), sim.epoch_time()).count(), 0);
        assert_eq!(SimConfig::elders_for_devices(100_000), 15_385);
    }

    /// Feeds 2.5 days of the standard script through the monitor, ticking every minute: each
    /// incident raises its alarm, once, and nothing else is raised.
    #[test]
    fn the_scripted_incidents_raise_the_expected_alarms_and_nothing_else() {
        let sim = Simulation::new(&cfg(9));
        let mut m = Monitor::new(Rules::embedded());
        for e in sim.elders() {
            m.add_elder(e).expect("as expected");
        }
        for d in sim.devices() {
            m.add_device(d).expect("as expected");
        }
        let from = sim.epoch_time();
        let to = from + chrono::Duration::hours(60);
        let mut raised: Vec<Raised> = Vec::new();
        let mut next_tick = from;
        let mut n = 0;
        for msg in sim.window(from, to) {
            while next_tick <= msg.ts {
                raised.extend(m.tick(next_tick));
                next_tick += chrono::Duration::seconds(60);
            }
            let ev = m.ingest(msg.device, &msg.payload, msg.ts).unwrap_or_else(|e| panic!("{}: {e}", String::from_utf8_lossy(&msg.payload)));
            assert!(!ev.duplicate);
            raised.extend(ev.raised);
            n += 1;
        }
        raised.extend(m.tick(to));
        assert!(n > 50_000, "{n} messages");
        let id = |i: u32| sim.elder_id(i).expect("as expected");
        let mut got: BTreeMap<(ElderId, AlarmKind), Vec<DateTime<Utc>>> = BTreeMap::new();
        for r in &raised {
            got.entry((r.elder, r.kind)).or_default().push(r.at);
        }
        let china = |s: &str| chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").expect("as expected").and_utc() - chrono::Duration::hours(8);
        let expected = [
            ((id(0), AlarmKind::Fall), "2026-03-02 03:00", "2026-03-02 03:01"),
            ((id(1), AlarmKind::Fever), "2026-03-02 10:01", "2026-03-02 10:03"),
            // Four hours after the last motion before 10:00 (earlier if out on an errand then).
            ((id(2), AlarmKind::Inactivity), "2026-03-02 12:30", "2026-03-02 14:02"),
            ((id(2), AlarmKind::NoWater), "2026-03-03 07:00", "2026-03-03 10:01"),
            ((id(3), AlarmKind::Sos), "2026-03-02 15:00", "2026-03-02 15:01"),
            ((id(4), AlarmKind::DeviceOffline), "2026-03-02 09:00", "2026-03-02 09:02"),
            ((id(5), AlarmKind::OutAtNight), "2026-03-02 23:10", "2026-03-02 23:12"),
            ((id(6), AlarmKind::BatteryLow), "2026-03-02 12:00", "2026-03-02 12:01"),
        ];
        for (key, lo, hi) in expected {
            let at = got.remove(&key).unwrap_or_else(|| panic!("{key:?} not raised"));
            assert_eq!(at.len(), 1, "{key:?} raised once: {at:?}");
            assert!(china(lo) <= at[0] && at[0] <= china(hi), "{key:?} at {}", at[0]);
        }
        assert!(got.is_empty(), "nothing else: {got:?}");
        let technical: Vec<AlarmKind> = raised.iter().filter(|r| r.technical).map(|r| r.kind).collect();
        assert_eq!(technical, [AlarmKind::DeviceOffline, AlarmKind::BatteryLow]);
    }
}
