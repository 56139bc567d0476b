//! The wire payload a device publishes and its parser: one JSON object per MQTT message, checked
//! field by field so that nothing malformed, out of range or out of time ever reaches the rules.
//!
//! # Topic
//!
//! A device publishes at QoS 1 on `minsheng/v1/guardian/{device_id}/up` ([`topic`]); the
//! transport takes the device id from the topic ([`device_of_topic`]), looks up the device's kind
//! and hands both with the payload bytes to [`parse_reading`].
//!
//! # Payload
//!
//! UTF-8 JSON, one object, at most [`MAX_PAYLOAD`] bytes:
//!
//! | field | type | for | meaning |
//! | --- | --- | --- | --- |
//! | `seq` | whole number ≥ 0 | all, required | the device's own counter, +1 per message (de-duplication; a device that restarts may begin again at 0) |
//! | `ts` | text, RFC 3339 with offset | all, required | when the device measured, e.g. `2026-03-01T03:00:05+08:00`; at most 2 minutes ahead of and 24 hours behind the time it is received |
//! | `battery_pct` | number 0–100 | all, optional | the device's battery |
//! | `room` | text, 1–64 characters | `presence`, required | the room the sensor watches |
//! | `motion` | `true`/`false` | `presence`, required | whether someone moved in the room since the last message |
//! | `open` | `true`/`false` | `door`, required | whether the door is open |
//! | `litres` | number ≥ 0 | `water_meter`, required | the meter's cumulative count |
//! | `kwh` | number ≥ 0 | `electricity_meter`, required | the meter's cumulative count |
//! | `lat`, `lon` | numbers, WGS 84 | `wearable`, optional, both or neither | where the wearer is |
//! | `temp_c` | number 25–45 | `wearable`, optional | skin/body temperature in °C (outside 25–45 is a sensor fault) |
//! | `fall` | `true`/`false` | `wearable`, default `false` | the wearable detected a fall |
//! | `sos` | `true`/`false` | `wearable`, default `false` | the SOS button was pressed |
//! | `heart_rate` | number 20–250 | `wearable`, optional | beats a minute |
//!
//! `null` is taken as absent for the optional fields. Any other field, or a field of another
//! kind of device, is refused. Examples:
//!
//! ```json
//! {"seq":41,"ts":"2026-03-01T07:30:00+08:00","battery_pct":88,"room":"kitchen","motion":true}
//! {"seq":7,"ts":"2026-03-01T07:31:10+08:00","open":false}
//! {"seq":1200,"ts":"2026-03-01T07:32:00+08:00","litres":15234.5}
//! {"seq":1201,"ts":"2026-03-01T07:32:00+08:00","kwh":3321.07}
//! {"seq":93,"ts":"2026-03-01T03:00:12+08:00","battery_pct":64,"lat":30.0491,"lon":119.9587,"temp_c":36.4,"fall":true,"heart_rate":88}
//! ```

use std::fmt;
use std::io::Write;

use chrono::DateTime;
use chrono::Datelike;
use chrono::FixedOffset;
use chrono::Timelike;
use chrono::Utc;
use serde::Deserialize;
use serde::Deserializer;
use serde::Serialize;
use serde::de;
use serde::de::DeserializeSeed;
use serde::de::MapAccess;
use serde::de::Visitor;
use serde_json::error::Category;

use crate::device::DeviceKind;
use crate::error::GuardianError;

/// The longest payload taken, in bytes.
pub const MAX_PAYLOAD: usize = 4096;
/// How far ahead of its reception a reading's `ts` may be, in seconds (device clocks drift).
pub const MAX_AHEAD_S: i64 = 120;
/// How far behind its reception a reading's `ts` may be, in seconds (a device buffers while the
/// network is down; older readings say nothing about now).
pub const MAX_AGE_S: i64 = 86_400;

/// The topic a device publishes on.
pub fn topic(device_id: &str) -> String {
    format!("minsheng/v1/guardian/{device_id}/up")
}

/// The device id in a topic of the form `minsheng/v1/guardian/{device_id}/up`, if it is one.
pub fn device_of_topic(topic: &str) -> Option<&str> {
    let id = topic.strip_prefix("minsheng/v1/guardian/")?.strip_suffix("/up")?;
    (!id.is_empty() && !id.contains('/') && !id.contains(['+', '#'])).then_some(id)
}

/// One reading of one device, parsed and checked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reading {
    /// The device id (from the topic).
    pub device: String,
    /// The device's counter.
    pub seq: u64,
    /// When the device measured, to the microsecond.
    pub ts: DateTime<Utc>,
    /// The device's battery, 0–100.
    pub battery_pct: Option<u8>,
    /// What the device measured.
    pub values: Values,
}

/// What a device measured, by kind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Values {
    /// A presence sensor.
    Presence {
        /// The room it watches.
        room: String,
        /// Whether someone moved.
        motion: bool,
    },
    /// A door contact.
    Door {
        /// Whether the door is open.
        open: bool,
    },
    /// A water meter.
    WaterMeter {
        /// Cumulative litres.
        litres: f64,
    },
    /// An electricity meter.
    ElectricityMeter {
        /// Cumulative kWh.
        kwh: f64,
    },
    /// A wearable.
    Wearable {
        /// Latitude (WGS 84), with `lon`.
        lat: Option<f64>,
        /// Longitude (WGS 84), with `lat`.
        lon: Option<f64>,
        /// Body temperature, °C.
        temp_c: Option<f64>,
        /// A fall was detected.
        fall: bool,
        /// The SOS button was pressed.
        sos: bool,
        /// Beats a minute.
        heart_rate: Option<u16>,
    },
}

impl Values {
    /// The kind of device that sends these values.
    pub fn kind(&self) -> DeviceKind {
        match self {
            Values::Presence { .. } => DeviceKind::Presence,
            Values::Door { .. } => DeviceKind::Door,
            Values::WaterMeter { .. } => DeviceKind::WaterMeter,
            Values::ElectricityMeter { .. } => DeviceKind::ElectricityMeter,
            Values::Wearable { .. } => DeviceKind::Wearable,
        }
    }
}

impl Reading {
    /// The reading as its wire payload (the inverse of [`parse_reading`]; `ts` written in China
    /// time, +08:00).
    pub fn encode(&self) -> Vec<u8> {
        let mut buf = Vec::with_capacity(128);
        self.encode_into(&mut buf);
        buf
    }

    /// Appends the wire payload to `buf`.
    pub fn encode_into(&self, buf: &mut Vec<u8>) {
        let _ = write!(buf, "{{\"seq\":{},\"ts\":\"", self.seq);
        write_ts(buf, self.ts);
        buf.push(b'"');
        if let Some(b) = self.battery_pct {
            let _ = write!(buf, ",\"battery_pct\":{b}");
        }
        match &self.values {
            Values::Presence { room, motion } => {
                buf.extend_from_slice(b",\"room\":");
                let _ = serde_json::to_writer(&mut *buf, room);
                let _ = write!(buf, ",\"motion\":{motion}");
            }
            Values::Door { open } => {
                let _ = write!(buf, ",\"open\":{open}");
            }
            Values::WaterMeter { litres } => write_num(buf, "litres", *litres),
            Values::ElectricityMeter { kwh } => write_num(buf, "kwh", *kwh),
            Values::Wearable { lat, lon, temp_c, fall, sos, heart_rate } => {
                if let (Some(lat), Some(lon)) = (lat, lon) {
                    write_num(buf, "lat", *lat);
                    write_num(buf, "lon", *lon);
                }
                if let Some(t) = temp_c {
                    write_num(buf, "temp_c", *t);
                }
                if *fall {
                    buf.extend_from_slice(b",\"fall\":true");
                }
                if *sos {
                    buf.extend_from_slice(b",\"sos\":true");
                }
                if let Some(h) = heart_rate {
                    let _ = write!(buf, ",\"heart_rate\":{h}");
                }
            }
        }
        buf.push(b'}');
    }
}

/// Writes `,"name":value` (`null` for a value that is not finite).
pub(crate) fn write_num(buf: &mut Vec<u8>, name: &str, v: f64) {
    if v.is_finite() {
        let _ = write!(buf, ",\"{name}\":{v}");
    } else {
        let _ = write!(buf, ",\"{name}\":null");
    }
}

/// Writes `t` as RFC 3339 in China time (+08:00), with milliseconds, or microseconds when needed.
pub(crate) fn write_ts(buf: &mut Vec<u8>, t: DateTime<Utc>) {
    let l = t.with_timezone(&domain::CHINA_OFFSET);
    let _ = write!(buf, "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}", l.year(), l.month(), l.day(), l.hour(), l.minute(), l.second());
    let micros = l.nanosecond() / 1000 % 1_000_000;
    if micros.is_multiple_of(1000) {
        let _ = write!(buf, ".{:03}", micros / 1000);
    } else {
        let _ = write!(buf, ".{micros:06}");
    }
    buf.extend_from_slice(b"+08:00");
}

/// Timestamps are kept to the microsecond everywhere, as both databases store them.
pub fn truncate_micros(t: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(t.timestamp_micros()).unwrap_or(t)
}

/// Parses and checks the payload of device `device_id`, whose registered kind is `kind`, received
/// at `now`. See the module documentation for the payload; every refusal is a distinct error
/// code naming the field.
pub fn parse_reading(device_id: &str, kind: DeviceKind, payload: &[u8], now: DateTime<Utc>) -> Result<Reading, GuardianError> {
    if payload.len() > MAX_PAYLOAD {
        return Err(GuardianError::PayloadTooLarge { bytes: payload.len(), limit: MAX_PAYLOAD });
    }
    let mut slot = Slot { problem: None, current: None };
    let mut de = serde_json::Deserializer::from_slice(payload);
    let raw = match (Seed { kind, slot: &mut slot }).deserialize(&mut de) {
        Ok(raw) => raw,
        Err(e) => return Err(json_error(e, &mut slot)),
    };
    de.end().map_err(|e| GuardianError::Malformed { detail: e.to_string() })?;
    raw.check(device_id, kind, now)
}

/// Where the parser keeps what went wrong beyond what serde can say.
struct Slot {
    /// A refusal of ours (unknown field, field of another kind, …).
    problem: Option<GuardianError>,
    /// The field whose value is being read.
    current: Option<Key>,
}

fn json_error(e: serde_json::Error, slot: &mut Slot) -> GuardianError {
    if let Some(p) = slot.problem.take() {
        return p;
    }
    match (e.classify(), slot.current) {
        (Category::Data, Some(k)) => GuardianError::InvalidFieldType { field: k.name(), expected: k.expected() },
        _ => GuardianError::Malformed { detail: e.to_string() },
    }
}

/// The fields of the payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Key {
    Seq,
    Ts,
    Battery,
    Room,
    Motion,
    Open,
    Litres,
    Kwh,
    Lat,
    Lon,
    TempC,
    Fall,
    Sos,
    HeartRate,
}

impl Key {
    fn of(name: &str) -> Option<Key> {
        Some(match name {
            "seq" => Key::Seq,
            "ts" => Key::Ts,
            "battery_pct" => Key::Battery,
            "room" => Key::Room,
            "motion" => Key::Motion,
            "open" => Key::Open,
            "litres" => Key::Litres,
            "kwh" => Key::Kwh,
            "lat" => Key::Lat,
            "lon" => Key::Lon,
            "temp_c" => Key::TempC,
            "fall" => Key::Fall,
            "sos" => Key::Sos,
            "heart_rate" => Key::HeartRate,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            Key::Seq => "seq",
            Key::Ts => "ts",
            Key::Battery => "battery_pct",
            Key::Room => "room",
            Key::Motion => "motion",
            Key::Open => "open",
            Key::Litres => "litres",
            Key::Kwh => "kwh",
            Key::Lat => "lat",
            Key::Lon => "lon",
            Key::TempC => "temp_c",
            Key::Fall => "fall",
            Key::Sos => "sos",
            Key::HeartRate => "heart_rate",
        }
    }

    /// The kind of device the field belongs to (`None`: every kind).
    fn owner(self) -> Option<DeviceKind> {
        match self {
            Key::Seq | Key::Ts | Key::Battery => None,
            Key::Room | Key::Motion => Some(DeviceKind::Presence),
            Key::Open => Some(DeviceKind::Door),
            Key::Litres => Some(DeviceKind::WaterMeter),
            Key::Kwh => Some(DeviceKind::ElectricityMeter),
            Key::Lat | Key::Lon | Key::TempC | Key::Fall | Key::Sos | Key::HeartRate => Some(DeviceKind::Wearable),
        }
    }

    fn expected(self) -> &'static str {
        match self {
            Key::Seq => "a whole number ≥ 0",
            Key::Ts => "a text with an RFC 3339 time",
            Key::Room => "a text",
            Key::Motion | Key::Open | Key::Fall | Key::Sos => "true or false",
            Key::Battery | Key::Litres | Key::Kwh | Key::Lat | Key::Lon | Key::TempC | Key::HeartRate => "a number",
        }
    }

    fn bit(self) -> u16 {
        1 << (self as u16)
    }
}

/// A key of the payload's object: one of ours, or another (named in the error).
enum AnyKey {
    Known(Key),
    Unknown(String),
}

impl<'de> Deserialize<'de> for AnyKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<AnyKey, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = AnyKey;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a field name")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<AnyKey, E> {
                Ok(Key::of(v).map_or_else(|| AnyKey::Unknown(v.chars().take(64).collect()), AnyKey::Known))
            }
        }
        d.deserialize_identifier(V)
    }
}

/// `ts` as text: parsed as it is read, without copying it.
struct TsSeed;

impl<'de> DeserializeSeed<'de> for TsSeed {
    type Value = Result<DateTime<FixedOffset>, String>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_str(self)
    }
}

impl Visitor<'_> for TsSeed {
    type Value = Result<DateTime<FixedOffset>, String>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an RFC 3339 time")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(DateTime::parse_from_rfc3339(v).map_err(|_| v.chars().take(64).collect()))
    }
}

/// The fields as read, before they are checked.
#[derive(Default)]
struct Raw {
    seen: u16,
    seq: Option<u64>,
    ts: Option<DateTime<FixedOffset>>,
    battery: Option<f64>,
    room: Option<String>,
    motion: Option<bool>,
    open: Option<bool>,
    litres: Option<f64>,
    kwh: Option<f64>,
    lat: Option<f64>,
    lon: Option<f64>,
    temp_c: Option<f64>,
    fall: Option<bool>,
    sos: Option<bool>,
    heart_rate: Option<f64>,
}

struct Seed<'s> {
    kind: DeviceKind,
    slot: &'s mut Slot,
}

impl<'de> DeserializeSeed<'de> for Seed<'_> {
    type Value = Raw;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Raw, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Seed<'_> {
    type Value = Raw;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a reading object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Raw, A::Error> {
        let mut raw = Raw::default();
        while let Some(key) = map.next_key::<AnyKey>()? {
            let key = match key {
                AnyKey::Known(k) => k,
                AnyKey::Unknown(field) => {
                    self.slot.problem = Some(GuardianError::UnknownField { field });
                    return Err(de::Error::custom("unknown field"));
                }
            };
            if key.owner().is_some_and(|o| o != self.kind) {
                self.slot.problem = Some(GuardianError::FieldOfOtherKind { field: key.name().to_owned(), kind: self.kind.code() });
                return Err(de::Error::custom("field of another kind"));
            }
            if raw.seen & key.bit() != 0 {
                self.slot.problem = Some(GuardianError::DuplicateField { field: key.name() });
                return Err(de::Error::custom("duplicate field"));
            }
            raw.seen |= key.bit();
            self.slot.current = Some(key);
            match key {
                Key::Seq => raw.seq = Some(map.next_value()?),
                Key::Ts => match map.next_value_seed(TsSeed)? {
                    Ok(t) => raw.ts = Some(t),
                    Err(value) => {
                        self.slot.problem = Some(GuardianError::InvalidTimestamp { value });
                        return Err(de::Error::custom("invalid timestamp"));
                    }
                },
                Key::Battery => raw.battery = map.next_value()?,
                Key::Room => raw.room = Some(map.next_value()?),
                Key::Motion => raw.motion = Some(map.next_value()?),
                Key::Open => raw.open = Some(map.next_value()?),
                Key::Litres => raw.litres = Some(map.next_value()?),
                Key::Kwh => raw.kwh = Some(map.next_value()?),
                Key::Lat => raw.lat = map.next_value()?,
                Key::Lon => raw.lon = map.next_value()?,
                Key::TempC => raw.temp_c = map.next_value()?,
                Key::Fall => raw.fall = map.next_value()?,
                Key::Sos => raw.sos = map.next_value()?,
                Key::HeartRate => raw.heart_rate = map.next_value()?,
            }
            self.slot.current = None;
        }
        Ok(raw)
    }
}

impl Raw {
    fn check(self, device_id: &str, kind: DeviceKind, now: DateTime<Utc>) -> Result<Reading, GuardianError> {
        let seq = self.seq.ok_or(GuardianError::MissingField { field: "seq" })?;
        let ts = self.ts.ok_or(GuardianError::MissingField { field: "ts" })?;
        let values = match kind {
            DeviceKind::Presence => Values::Presence {
                room: self.room.ok_or(GuardianError::MissingField { field: "room" })?,
                motion: self.motion.ok_or(GuardianError::MissingField { field: "motion" })?,
            },
            DeviceKind::Door => Values::Door { open: self.open.ok_or(GuardianError::MissingField { field: "open" })? },
            DeviceKind::WaterMeter => Values::WaterMeter { litres: self.litres.ok_or(GuardianError::MissingField { field: "litres" })? },
            DeviceKind::ElectricityMeter => Values::ElectricityMeter { kwh: self.kwh.ok_or(GuardianError::MissingField { field: "kwh" })? },
            DeviceKind::Wearable => {
                match (self.lat, self.lon) {
                    (Some(_), None) => return Err(GuardianError::MissingField { field: "lon" }),
                    (None, Some(_)) => return Err(GuardianError::MissingField { field: "lat" }),
                    _ => {}
                }
                Values::Wearable {
                    lat: self.lat,
                    lon: self.lon,
                    temp_c: self.temp_c,
                    fall: self.fall.unwrap_or(false),
                    sos: self.sos.unwrap_or(false),
                    heart_rate: None,
                }
            }
        };
        let ts = truncate_micros(ts.with_timezone(&Utc));
        let ahead = (ts - now).num_seconds();
        if ahead > MAX_AHEAD_S {
            return Err(GuardianError::TimestampInFuture { ahead_s: ahead });
        }
        if -ahead > MAX_AGE_S {
            return Err(GuardianError::TimestampTooOld { age_s: -ahead });
        }
        let battery_pct = match self.battery {
            None => None,
            Some(b) if (0.0..=100.0).contains(&b) => Some(b.round() as u8),
            Some(b) => return Err(GuardianError::BatteryOutOfRange { value: b }),
        };
        let values = match values {
            Values::Presence { room, motion } => {
                let n = room.chars().count();
                if n == 0 || n > 64 || room.trim().is_empty() {
                    return Err(GuardianError::InvalidRoom);
                }
                Values::Presence { room, motion }
            }
            Values::WaterMeter { litres } if litres < 0.0 => return Err(GuardianError::MeterNegative { field: "litres", value: litres }),
            Values::ElectricityMeter { kwh } if kwh < 0.0 => return Err(GuardianError::MeterNegative { field: "kwh", value: kwh }),
            Values::Wearable { lat, lon, temp_c, fall, sos, .. } => {
                if let Some(v) = lat.filter(|v| !(-90.0..=90.0).contains(v)) {
                    return Err(GuardianError::LocationOutOfRange { field: "lat", value: v });
                }
                if let Some(v) = lon.filter(|v| !(-180.0..=180.0).contains(v)) {
                    return Err(GuardianError::LocationOutOfRange { field: "lon", value: v });
                }
                if let Some(v) = temp_c.filter(|v| !(25.0..=45.0).contains(v)) {
                    return Err(GuardianError::TemperatureOutOfRange { value: v });
                }
                let heart_rate = match self.heart_rate {
                    None => None,
                    Some(h) if (20.0..=250.0).contains(&h) => Some(h.round() as u16),
                    Some(h) => return Err(GuardianError::HeartRateOutOfRange { value: h }),
                };
                Values::Wearable { lat, lon, temp_c, fall, sos, heart_rate }
            }
            other => other,
        };
        Ok(Reading { device: device_id.to_owned(), seq, ts, battery_pct, values })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::Describe;

    fn now() -> DateTime<Utc> {
        "2026-03-01T00:00:00Z".parse().expect("as expected")
    }

    fn parse(kind: DeviceKind, json: &str) -> Result<Reading, GuardianError> {
        parse_reading("d1", kind, json.as_bytes(), now())
    }

    fn code(kind: DeviceKind, json: &str) -> (&'static str, Option<String>) {
        let e = parse(kind, json).expect_err("refused");
        (e.code(), e.field())
    }

    #[test]
    fn parses_each_kind() {
        let r = parse(DeviceKind::Presence, r#"{"seq":41,"ts":"2026-03-01T07:30:00+08:00","battery_pct":88,"room":"kitchen","motion":true}"#).expect("as expected");
        assert_eq!(r.device, "d1");
        assert_eq!(r.seq, 41);
        assert_eq!(r.ts, "2026-02-28T23:30:00Z".parse::<DateTime<Utc>>().expect("as expected"));
        assert_eq!(r.battery_pct, Some(88));
        assert_eq!(r.values, Values::Presence { room: "kitchen".into(), motion: true });
        let r = parse(DeviceKind::Door, r#"{"seq":7,"ts":"2026-02-29T23:59:00Z","open":false}"#);
        assert_eq!(r.expect_err("refused").code(), "invalid_timestamp", "there is no 29 February 2026");
        let r = parse(DeviceKind::Door, r#"{"seq":7,"ts":"2026-02-28T23:59:00Z","open":false}"#).expect("as expected");
        assert_eq!(r.values, Values::Door { open: false });
        assert_eq!(r.battery_pct, None);
        let r = parse(DeviceKind::WaterMeter, r#"{"seq":1,"ts":"2026-03-01T07:59:00+08:00","litres":15234.5}"#).expect("as expected");
        assert_eq!(r.values, Values::WaterMeter { litres: 15234.5 });
        let r = parse(DeviceKind::ElectricityMeter, r#" {"kwh":0,"seq":1,"ts":"2026-03-01T07:59:00+08:00"} "#).expect("as expected");
        assert_eq!(r.values, Values::ElectricityMeter { kwh: 0.0 });
        let r = parse(
            DeviceKind::Wearable,
            r#"{"seq":93,"ts":"2026-03-01T03:00:12.123456789+08:00","battery_pct":64.4,"lat":30.0491,"lon":119.9587,"temp_c":36.4,"fall":true,"heart_rate":88}"#,
        )
        .expect("as expected");
        assert_eq!(r.values, Values::Wearable { lat: Some(30.0491), lon: Some(119.9587), temp_c: Some(36.4), fall: true, sos: false, heart_rate: Some(88) });
        assert_eq!(r.battery_pct, Some(64));
        assert_eq!(r.ts.timestamp_subsec_nanos(), 123_456_000, "kept to the microsecond");
        let r = parse(DeviceKind::Wearable, r#"{"seq":0,"ts":"2026-03-01T03:00:12+08:00","lat":null,"lon":null,"sos":true}"#).expect("as expected");
        assert_eq!(r.values, Values::Wearable { lat: None, lon: None, temp_c: None, fall: false, sos: true, heart_rate: None });
    }

    #[test]
    fn encode_is_the_inverse_of_parse() {
        let payloads = [
            (DeviceKind::Presence, r#"{"seq":41,"ts":"2026-03-01T07:30:00.000+08:00","battery_pct":88,"room":"厨房 \"A\"","motion":true}"#),
            (DeviceKind::Door, r#"{"seq":7,"ts":"2026-03-01T07:31:10.000+08:00","open":false}"#),
            (DeviceKind::WaterMeter, r#"{"seq":1200,"ts":"2026-03-01T07:32:00.000+08:00","litres":15234.5}"#),
            (DeviceKind::ElectricityMeter, r#"{"seq":1201,"ts":"2026-03-01T07:32:00.250+08:00","kwh":3321.07}"#),
            (
                DeviceKind::Wearable,
                r#"{"seq":93,"ts":"2026-03-01T03:00:12.000001+08:00","battery_pct":64,"lat":30.0491,"lon":119.9587,"temp_c":36.4,"fall":true,"sos":true,"heart_rate":88}"#,
            ),
        ];
        for (kind, p) in payloads {
            let r = parse(kind, p).expect("as expected");
            assert_eq!(String::from_utf8(r.encode()).expect("as expected"), p);
            assert_eq!(parse(kind, std::str::from_utf8(&r.encode()).expect("as expected")).expect("as expected"), r);
        }
    }

    #[test]
    fn every_bad_payload_has_its_code_and_field() {
        use DeviceKind::*;
        let ts = "\"ts\":\"2026-03-01T08:00:00+08:00\"";
        let big = format!("{{\"seq\":1,{ts},\"room\":\"{}\",\"motion\":true}}", "x".repeat(MAX_PAYLOAD));
        let cases: Vec<(DeviceKind, String, &str, &str)> = vec![
            (Presence, big, "payload_too_large", "payload"),
            (Door, "".into(), "malformed_payload", "payload"),
            (Door, "{\"seq\":1,".into(), "malformed_payload", "payload"),
            (Door, "[1,2]".into(), "malformed_payload", "payload"),
            (Door, "null".into(), "malformed_payload", "payload"),
            (Door, format!("{{\"seq\":1,{ts},\"open\":true}} {{}}"), "malformed_payload", "payload"),
            (Door, format!("{{\"seq\":1,{ts},\"open\":true,}}"), "malformed_payload", "payload"),
            (Door, format!("{{\"seq\":1,{ts},\"open\":true,\"colour\":\"red\"}}"), "unknown_field", "colour"),
            (Door, format!("{{\"seq\":1,{ts},\"open\":true,\"motion\":true}}"), "field_of_other_kind", "motion"),
            (Presence, format!("{{\"seq\":1,{ts},\"room\":\"a\",\"motion\":true,\"litres\":3}}"), "field_of_other_kind", "litres"),
            (Door, format!("{{\"seq\":1,\"seq\":2,{ts},\"open\":true}}"), "duplicate_field", "seq"),
            (Door, format!("{{{ts},\"open\":true}}"), "missing_field", "seq"),
            (Door, "{\"seq\":1,\"open\":true}".into(), "missing_field", "ts"),
            (Door, format!("{{\"seq\":1,{ts}}}"), "missing_field", "open"),
            (Presence, format!("{{\"seq\":1,{ts},\"motion\":true}}"), "missing_field", "room"),
            (WaterMeter, format!("{{\"seq\":1,{ts}}}"), "missing_field", "litres"),
            (Wearable, format!("{{\"seq\":1,{ts},\"lat\":30.0}}"), "missing_field", "lon"),
            (Wearable, format!("{{\"seq\":1,{ts},\"lon\":120.0}}"), "missing_field", "lat"),
            (Door, format!("{{\"seq\":-1,{ts},\"open\":true}}"), "invalid_field_type", "seq"),
            (Door, format!("{{\"seq\":\"1\",{ts},\"open\":true}}"), "invalid_field_type", "seq"),
            (Door, format!("{{\"seq\":1.5,{ts},\"open\":true}}"), "invalid_field_type", "seq"),
            (Door, format!("{{\"seq\":1,{ts},\"open\":1}}"), "invalid_field_type", "open"),
            (Door, "{\"seq\":1,\"ts\":1772323200,\"open\":true}".into(), "invalid_field_type", "ts"),
            (WaterMeter, format!("{{\"seq\":1,{ts},\"litres\":\"12\"}}"), "invalid_field_type", "litres"),
            (Presence, format!("{{\"seq\":1,{ts},\"room\":null,\"motion\":true}}"), "invalid_field_type", "room"),
            (Door, "{\"seq\":1,\"ts\":\"2026-03-01 08:00\",\"open\":true}".into(), "invalid_timestamp", "ts"),
            (Door, "{\"seq\":1,\"ts\":\"2026-03-01T08:00:00\",\"open\":true}".into(), "invalid_timestamp", "ts"),
            (Door, "{\"seq\":1,\"ts\":\"2026-03-01T08:02:01+08:00\",\"open\":true}".into(), "timestamp_in_future", "ts"),
            (Door, "{\"seq\":1,\"ts\":\"2026-02-28T07:59:59+08:00\",\"open\":true}".into(), "timestamp_too_old", "ts"),
            (Door, format!("{{\"seq\":1,{ts},\"battery_pct\":101,\"open\":true}}"), "battery_out_of_range", "battery_pct"),
            (Door, format!("{{\"seq\":1,{ts},\"battery_pct\":-1,\"open\":true}}"), "battery_out_of_range", "battery_pct"),
            (Wearable, format!("{{\"seq\":1,{ts},\"temp_c\":24.9}}"), "temperature_out_of_range", "temp_c"),
            (Wearable, format!("{{\"seq\":1,{ts},\"temp_c\":45.1}}"), "temperature_out_of_range", "temp_c"),
            (Wearable, format!("{{\"seq\":1,{ts},\"lat\":90.5,\"lon\":120}}"), "location_out_of_range", "lat"),
            (Wearable, format!("{{\"seq\":1,{ts},\"lat\":30,\"lon\":-181}}"), "location_out_of_range", "lon"),
            (WaterMeter, format!("{{\"seq\":1,{ts},\"litres\":-0.5}}"), "meter_negative", "litres"),
            (ElectricityMeter, format!("{{\"seq\":1,{ts},\"kwh\":-2}}"), "meter_negative", "kwh"),
            (Wearable, format!("{{\"seq\":1,{ts},\"heart_rate\":300}}"), "heart_rate_out_of_range", "heart_rate"),
            (Presence, format!("{{\"seq\":1,{ts},\"room\":\" \",\"motion\":true}}"), "invalid_room", "room"),
            (Presence, format!("{{\"seq\":1,{ts},\"room\":\"{}\",\"motion\":true}}", "房".repeat(65)), "invalid_room", "room"),
        ];
        for (kind, json, want, field) in cases {
            let got = code(kind, &json);
            assert_eq!(got, (want, Some(field.to_owned())), "{kind} {json}");
        }
        // Not UTF-8 inside a string.
        let mut bytes = b"{\"seq\":1,\"ts\":\"2026-03-01T08:00:00+08:00\",\"room\":\"".to_vec();
        bytes.extend_from_slice(&[0xff, 0xfe]);
        bytes.extend_from_slice(b"\",\"motion\":true}");
        let e = parse_reading("d1", DeviceKind::Presence, &bytes, now()).expect_err("refused");
        assert_eq!(e.code(), "malformed_payload");
        // The edges are taken: exactly 2 minutes ahead, exactly 24 hours behind, 25 and 45 °C.
        assert!(parse(Door, "{\"seq\":1,\"ts\":\"2026-03-01T08:02:00+08:00\",\"open\":true}").is_ok());
        assert!(parse(Door, "{\"seq\":1,\"ts\":\"2026-02-28T08:00:00+08:00\",\"open\":true}").is_ok());
        assert!(parse(Wearable, "{\"seq\":1,\"ts\":\"2026-03-01T08:00:00+08:00\",\"temp_c\":25}").is_ok());
        assert!(parse(Wearable, "{\"seq\":1,\"ts\":\"2026-03-01T08:00:00+08:00\",\"temp_c\":45,\"battery_pct\":100}").is_ok());
    }

    #[test]
    fn garbage_never_panics() {
        // A cheap fuzz: every prefix and every single-byte change of a good payload.
        let good = br#"{"seq":93,"ts":"2026-03-01T03:00:12+08:00","battery_pct":64,"lat":30.0491,"lon":119.9587,"temp_c":36.4,"fall":true,"heart_rate":88}"#;
        for n in 0..good.len() {
            let _ = parse_reading("d", DeviceKind::Wearable, &good[..n], now());
            for b in [b'"', b'{', b'}', b'0', b'-', b'e', b',', 0xff, b'\\'] {
                let mut p = good.to_vec();
                p[n] = b;
                let _ = parse_reading("d", DeviceKind::Wearable, &p, now());
            }
        }
    }

    #[test]
    fn topics() {
        assert_eq!(topic("g000001-wear"), "minsheng/v1/guardian/g000001-wear/up");
        assert_eq!(device_of_topic("minsheng/v1/guardian/g000001-wear/up"), Some("g000001-wear"));
        for bad in ["minsheng/v1/guardian//up", "minsheng/v1/guardian/a/b/up", "minsheng/v1/guardian/a/down", "other/a/up", "minsheng/v1/guardian/+/up"] {
            assert_eq!(device_of_topic(bad), None, "{bad}");
        }
    }
}
