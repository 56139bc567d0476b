//! The rules as data: the kinds of alarm, their thresholds and severities, how long each kind of
//! device may stay silent, and the timers of the closed loop, read from TOML
//! (`data/guardian/rules.toml`, embedded) with every error at line and column; and each elder's
//! own overrides ([`ElderRules`]), which the caller keeps as JSON.

use std::fmt;
use std::ops::Range;
use std::str::FromStr;

use serde::Deserialize;
use serde::Serialize;
use toml::Spanned;

use crate::device::DeviceKind;
use crate::error::GuardianError;

/// The shipped rules file.
pub const EMBEDDED: &str = include_str!("../../../data/guardian/rules.toml");

/// What an alarm is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlarmKind {
    /// 一键呼救: the SOS button.
    Sos,
    /// 跌倒: a fall detected by the wearable.
    Fall,
    /// 体温过高: body temperature at or above the band, sustained.
    Fever,
    /// 体温过低: body temperature below the band, sustained.
    LowTemperature,
    /// 长时间无活动: no motion for longer than the elder's usual gap.
    Inactivity,
    /// 夜间离家: beyond the geofence at night.
    OutAtNight,
    /// 长时间未用水.
    NoWater,
    /// 长时间未用电.
    NoElectricity,
    /// 设备离线 (technical).
    DeviceOffline,
    /// 电量低 (technical).
    BatteryLow,
}

impl AlarmKind {
    /// Every kind, in a fixed order.
    pub const ALL: [AlarmKind; 10] = [
        AlarmKind::Sos,
        AlarmKind::Fall,
        AlarmKind::Fever,
        AlarmKind::LowTemperature,
        AlarmKind::Inactivity,
        AlarmKind::OutAtNight,
        AlarmKind::NoWater,
        AlarmKind::NoElectricity,
        AlarmKind::DeviceOffline,
        AlarmKind::BatteryLow,
    ];

    /// The stable code.
    pub fn code(self) -> &'static str {
        match self {
            AlarmKind::Sos => "sos",
            AlarmKind::Fall => "fall",
            AlarmKind::Fever => "fever",
            AlarmKind::LowTemperature => "low_temperature",
            AlarmKind::Inactivity => "inactivity",
            AlarmKind::OutAtNight => "out_at_night",
            AlarmKind::NoWater => "no_water",
            AlarmKind::NoElectricity => "no_electricity",
            AlarmKind::DeviceOffline => "device_offline",
            AlarmKind::BatteryLow => "battery_low",
        }
    }

    /// The name in Chinese.
    pub fn label_zh(self) -> &'static str {
        match self {
            AlarmKind::Sos => "一键呼救",
            AlarmKind::Fall => "跌倒",
            AlarmKind::Fever => "体温过高",
            AlarmKind::LowTemperature => "体温过低",
            AlarmKind::Inactivity => "长时间无活动",
            AlarmKind::OutAtNight => "夜间离家",
            AlarmKind::NoWater => "长时间未用水",
            AlarmKind::NoElectricity => "长时间未用电",
            AlarmKind::DeviceOffline => "设备离线",
            AlarmKind::BatteryLow => "电量低",
        }
    }

    /// A technical alarm is about a device, not the elder: it goes to maintenance, not to
    /// responders.
    pub fn is_technical(self) -> bool {
        matches!(self, AlarmKind::DeviceOffline | AlarmKind::BatteryLow)
    }

    pub(crate) fn index(self) -> usize {
        self as usize
    }

    pub(crate) fn bit(self) -> u16 {
        1 << (self as u16)
    }
}

impl fmt::Display for AlarmKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for AlarmKind {
    type Err = GuardianError;

    fn from_str(s: &str) -> Result<AlarmKind, GuardianError> {
        AlarmKind::ALL.into_iter().find(|k| k.code() == s).ok_or_else(|| GuardianError::UnknownAlarmKind { code: s.chars().take(64).collect() })
    }
}

/// How serious an alarm is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Someone may be hurt now (SOS, fall).
    Critical,
    /// Someone may need help soon.
    High,
    /// Something is unusual.
    Medium,
    /// A device needs attention.
    Low,
}

impl Severity {
    /// The stable code.
    pub fn code(self) -> &'static str {
        match self {
            Severity::Critical => "critical",
            Severity::High => "high",
            Severity::Medium => "medium",
            Severity::Low => "low",
        }
    }
}

/// A time of day in China time, as minutes after midnight (0–1439).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TimeOfDay(pub u16);

impl TimeOfDay {
    /// Parses `HH:MM`.
    pub fn parse(s: &str) -> Option<TimeOfDay> {
        let (h, m) = s.split_once(':')?;
        if h.len() != 2 || m.len() != 2 {
            return None;
        }
        let (h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
        (h < 24 && m < 60).then_some(TimeOfDay(h * 60 + m))
    }

    /// Whether `minute` (of the day) is in the window from `from` (inclusive) to `until`
    /// (exclusive), which may pass midnight.
    pub fn window_contains(from: TimeOfDay, until: TimeOfDay, minute: u16) -> bool {
        if from.0 <= until.0 { (from.0..until.0).contains(&minute) } else { minute >= from.0 || minute < until.0 }
    }
}

impl fmt::Display for TimeOfDay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.0 / 60, self.0 % 60)
    }
}

/// What every alarm kind has.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AlarmRule {
    /// How serious.
    pub severity: Severity,
    /// Whether it counts as a life-safety alarm in the measures.
    pub life_safety: bool,
    /// The number the ladder ends with (`120`, `110`, `119`), or none (the family).
    pub emergency: Option<String>,
}

/// A body-temperature band's edge.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct TemperatureRule {
    /// The threshold, °C (fever: at or above; low: below).
    pub threshold_c: f64,
    /// How many readings in a row.
    pub readings: u8,
}

/// Inactivity: the elder's learned usual gap × factor, or the floor.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct InactivityRule {
    /// The learned usual gap is multiplied by this.
    pub factor: f64,
    /// The floor by day, minutes.
    pub day_floor_minutes: u32,
    /// The floor by night, minutes.
    pub night_floor_minutes: u32,
    /// When night begins (for the floor).
    pub night_from: TimeOfDay,
    /// When night ends.
    pub night_until: TimeOfDay,
    /// Days of history before learned gaps are used.
    pub learning_days: u32,
    /// Days an hour of the day must have been observed before its learned gap is used.
    pub min_samples: u8,
    /// The least learned threshold, minutes.
    pub min_minutes: u32,
    /// The greatest learned threshold, minutes.
    pub max_minutes: u32,
}

/// Out of home at night.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct GeofenceRule {
    /// The radius around home, metres.
    pub radius_m: u32,
    /// When night begins.
    pub from: TimeOfDay,
    /// When night ends.
    pub until: TimeOfDay,
    /// How long beyond the radius before the alarm, minutes.
    pub after_minutes: u32,
}

/// No use of a utility.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct UseRule {
    /// How long without use, hours.
    pub hours: u32,
    /// The least rise of the meter that counts as use (litres or kWh).
    pub min_use: f64,
}

/// The timers of the closed loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct EscalationRules {
    /// The centre must acknowledge within this, seconds.
    pub acknowledge_s: u32,
    /// Then it is reminded every this many seconds until it does.
    pub remind_every_s: u32,
    /// A dispatched responder must accept within this, seconds.
    pub accept_s: u32,
    /// Someone must be on scene this long after the alarm, seconds.
    pub on_scene_s: u32,
    /// How many responders are asked before the family.
    pub responders: u32,
}

/// All the rules.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rules {
    /// Per alarm kind, in the order of [`AlarmKind::ALL`].
    pub alarms: [AlarmRule; 10],
    /// Fever.
    pub fever: TemperatureRule,
    /// Low temperature.
    pub low_temperature: TemperatureRule,
    /// Inactivity.
    pub inactivity: InactivityRule,
    /// Out at night.
    pub out_at_night: GeofenceRule,
    /// No water.
    pub no_water: UseRule,
    /// No electricity.
    pub no_electricity: UseRule,
    /// Battery low below this percentage.
    pub battery_low_pct: u8,
    /// Offline after this many minutes, per device kind in the order of [`DeviceKind::ALL`].
    pub offline_minutes: [u32; 5],
    /// The closed loop.
    pub escalation: EscalationRules,
}

impl Rules {
    /// The shipped rules (`data/guardian/rules.toml`).
    pub fn embedded() -> Rules {
        // The shipped file is checked by a test; should it ever fail, the compiled-in values
        // below keep the engine running with the same defaults.
        Rules::parse("rules.toml", EMBEDDED).unwrap_or_else(|_| Rules::fallback())
    }

    /// Reads a rules file (its name, for errors, and its text); the first error found, with its
    /// line, column and field.
    pub fn parse(name: &str, text: &str) -> Result<Rules, GuardianError> {
        let ctx = Ctx::new(name, text);
        let raw: RawFile = toml::from_str(text).map_err(|e| {
            let span = e.span().unwrap_or(0..0);
            let msg = e.message().trim().to_owned();
            ctx.error(&span, "toml", format!("TOML 格式错误：{msg}"), msg)
        })?;
        raw.check(&ctx)
    }

    /// What `kind`'s alarms are.
    pub fn alarm(&self, kind: AlarmKind) -> &AlarmRule {
        &self.alarms[kind.index()]
    }

    /// How long a device of `kind` may stay silent, minutes.
    pub fn offline_minutes(&self, kind: DeviceKind) -> u32 {
        self.offline_minutes[kind.index()]
    }

    /// The thresholds for one elder: these rules with the elder's overrides.
    pub fn thresholds(&self, o: Option<&ElderRules>) -> Thresholds {
        let d = ElderRules::default();
        let o = o.unwrap_or(&d);
        Thresholds {
            fever_c: o.fever_c.unwrap_or(self.fever.threshold_c),
            fever_readings: o.temperature_readings.unwrap_or(self.fever.readings),
            low_c: o.low_temperature_c.unwrap_or(self.low_temperature.threshold_c),
            low_readings: o.temperature_readings.unwrap_or(self.low_temperature.readings),
            factor: o.inactivity_factor.unwrap_or(self.inactivity.factor),
            day_floor_minutes: o.day_floor_minutes.unwrap_or(self.inactivity.day_floor_minutes),
            night_floor_minutes: o.night_floor_minutes.unwrap_or(self.inactivity.night_floor_minutes),
            radius_m: o.geofence_radius_m.unwrap_or(self.out_at_night.radius_m),
            out_after_minutes: o.out_after_minutes.unwrap_or(self.out_at_night.after_minutes),
            no_water_hours: o.no_water_hours.unwrap_or(self.no_water.hours),
            no_electricity_hours: o.no_electricity_hours.unwrap_or(self.no_electricity.hours),
            off: o.off.iter().fold(0, |m, k| m | k.bit()),
        }
    }

    /// The shipped defaults as compiled-in values (what `data/guardian/rules.toml` says).
    fn fallback() -> Rules {
        let rule = |severity, life_safety, emergency: &str| AlarmRule { severity, life_safety, emergency: (!emergency.is_empty()).then(|| emergency.to_owned()) };
        Rules {
            alarms: [
                rule(Severity::Critical, true, "120"),
                rule(Severity::Critical, true, "120"),
                rule(Severity::High, false, "120"),
                rule(Severity::High, true, "120"),
                rule(Severity::High, true, "120"),
                rule(Severity::High, true, "110"),
                rule(Severity::Medium, false, ""),
                rule(Severity::Medium, false, ""),
                rule(Severity::Low, false, ""),
                rule(Severity::Low, false, ""),
            ],
            fever: TemperatureRule { threshold_c: 37.5, readings: 2 },
            low_temperature: TemperatureRule { threshold_c: 35.0, readings: 2 },
            inactivity: InactivityRule {
                factor: 1.5,
                day_floor_minutes: 240,
                night_floor_minutes: 600,
                night_from: TimeOfDay(20 * 60),
                night_until: TimeOfDay(6 * 60),
                learning_days: 14,
                min_samples: 5,
                min_minutes: 120,
                max_minutes: 1080,
            },
            out_at_night: GeofenceRule { radius_m: 500, from: TimeOfDay(22 * 60), until: TimeOfDay(6 * 60), after_minutes: 10 },
            no_water: UseRule { hours: 24, min_use: 1.0 },
            no_electricity: UseRule { hours: 24, min_use: 0.05 },
            battery_low_pct: 20,
            offline_minutes: [30, 60, 120, 120, 30],
            escalation: EscalationRules { acknowledge_s: 60, remind_every_s: 30, accept_s: 120, on_scene_s: 600, responders: 3 },
        }
    }
}

/// One elder's thresholds: the rules with the elder's overrides applied.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Thresholds {
    /// Fever at or above, °C.
    pub fever_c: f64,
    /// Readings in a row for fever.
    pub fever_readings: u8,
    /// Low temperature below, °C.
    pub low_c: f64,
    /// Readings in a row for low temperature.
    pub low_readings: u8,
    /// Inactivity factor.
    pub factor: f64,
    /// Inactivity floor by day, minutes.
    pub day_floor_minutes: u32,
    /// Inactivity floor by night, minutes.
    pub night_floor_minutes: u32,
    /// Geofence radius, metres.
    pub radius_m: u32,
    /// Minutes beyond the geofence at night before the alarm.
    pub out_after_minutes: u32,
    /// Hours without water use.
    pub no_water_hours: u32,
    /// Hours without electricity use.
    pub no_electricity_hours: u32,
    /// The alarm kinds switched off, as a bit set.
    off: u16,
}

impl Thresholds {
    /// Whether alarms of `kind` are on for the elder.
    pub fn enabled(&self, kind: AlarmKind) -> bool {
        self.off & kind.bit() == 0
    }
}

/// The ranges the thresholds must stay in, shared by the rules file and the overrides.
mod range {
    use std::ops::RangeInclusive;
    pub const FEVER_C: RangeInclusive<f64> = 37.0..=40.0;
    pub const LOW_C: RangeInclusive<f64> = 33.0..=36.5;
    pub const READINGS: RangeInclusive<u8> = 1..=10;
    pub const FACTOR: RangeInclusive<f64> = 1.0..=5.0;
    pub const FLOOR_MIN: RangeInclusive<u32> = 30..=1440;
    pub const RADIUS_M: RangeInclusive<u32> = 50..=50_000;
    pub const AFTER_MIN: RangeInclusive<u32> = 0..=240;
    pub const HOURS: RangeInclusive<u32> = 1..=168;
}

/// One elder's own rules: any threshold may be overridden, and any alarm kind switched off (an
/// elder with no water meter of their own, a wanderer whose family wants a wider geofence). Kept
/// by the caller as JSON (`serde_json`); check with [`ElderRules::validate`] or read with
/// [`ElderRules::from_json`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ElderRules {
    /// Fever at or above, °C (37.0–40.0).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fever_c: Option<f64>,
    /// Low temperature below, °C (33.0–36.5).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub low_temperature_c: Option<f64>,
    /// Readings in a row for either temperature alarm (1–10).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temperature_readings: Option<u8>,
    /// Inactivity factor (1.0–5.0).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub inactivity_factor: Option<f64>,
    /// Inactivity floor by day, minutes (30–1440).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub day_floor_minutes: Option<u32>,
    /// Inactivity floor by night, minutes (30–1440).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub night_floor_minutes: Option<u32>,
    /// Geofence radius, metres (50–50,000).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub geofence_radius_m: Option<u32>,
    /// Minutes beyond the geofence at night before the alarm (0–240).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub out_after_minutes: Option<u32>,
    /// Hours without water use (1–168).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub no_water_hours: Option<u32>,
    /// Hours without electricity use (1–168).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub no_electricity_hours: Option<u32>,
    /// Alarm kinds switched off for this elder.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub off: Vec<AlarmKind>,
}

impl ElderRules {
    /// Reads overrides from JSON and checks them.
    pub fn from_json(text: &str) -> Result<ElderRules, GuardianError> {
        let r: ElderRules = serde_json::from_str(text).map_err(|e| GuardianError::InvalidOverride {
            field: "overrides".to_owned(),
            message_zh: format!("个人规则不是有效的 JSON：{e}"),
            message_en: format!("not valid JSON: {e}"),
        })?;
        r.validate()?;
        Ok(r)
    }

    /// Whether every override is within its range.
    pub fn validate(&self) -> Result<(), GuardianError> {
        fn check<T: PartialOrd + fmt::Display>(v: Option<T>, r: std::ops::RangeInclusive<T>, field: &str) -> Result<(), GuardianError> {
            match v {
                Some(v) if !r.contains(&v) => Err(GuardianError::InvalidOverride {
                    field: field.to_owned(),
                    message_zh: format!("{v} 超出 {}～{}", r.start(), r.end()),
                    message_en: format!("{v} is outside {}–{}", r.start(), r.end()),
                }),
                _ => Ok(()),
            }
        }
        check(self.fever_c, range::FEVER_C, "fever_c")?;
        check(self.low_temperature_c, range::LOW_C, "low_temperature_c")?;
        check(self.temperature_readings, range::READINGS, "temperature_readings")?;
        check(self.inactivity_factor, range::FACTOR, "inactivity_factor")?;
        check(self.day_floor_minutes, range::FLOOR_MIN, "day_floor_minutes")?;
        check(self.night_floor_minutes, range::FLOOR_MIN, "night_floor_minutes")?;
        check(self.geofence_radius_m, range::RADIUS_M, "geofence_radius_m")?;
        check(self.out_after_minutes, range::AFTER_MIN, "out_after_minutes")?;
        check(self.no_water_hours, range::HOURS, "no_water_hours")?;
        check(self.no_electricity_hours, range::HOURS, "no_electricity_hours")?;
        // The ranges of the two temperatures do not overlap, so the band is never upside down.
        Ok(())
    }
}

// ---------------------------------------------------------------------------------------------
// Reading the file.

type S<T> = Spanned<T>;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    alarm: RawAlarms,
    device: RawDevices,
    escalation: S<RawEscalation>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAlarms {
    sos: S<RawBasic>,
    fall: S<RawBasic>,
    fever: S<RawFever>,
    low_temperature: S<RawLow>,
    inactivity: S<RawInactivity>,
    out_at_night: S<RawNight>,
    no_water: S<RawWater>,
    no_electricity: S<RawPower>,
    device_offline: S<RawTechnical>,
    battery_low: S<RawBattery>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBasic {
    severity: S<String>,
    life_safety: bool,
    emergency: S<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFever {
    severity: S<String>,
    life_safety: bool,
    emergency: S<String>,
    at_or_above_c: S<f64>,
    readings: S<i64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLow {
    severity: S<String>,
    life_safety: bool,
    emergency: S<String>,
    below_c: S<f64>,
    readings: S<i64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawInactivity {
    severity: S<String>,
    life_safety: bool,
    emergency: S<String>,
    factor: S<f64>,
    day_floor_minutes: S<i64>,
    night_floor_minutes: S<i64>,
    night_from: S<String>,
    night_until: S<String>,
    learning_days: S<i64>,
    min_samples: S<i64>,
    min_minutes: S<i64>,
    max_minutes: S<i64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNight {
    severity: S<String>,
    life_safety: bool,
    emergency: S<String>,
    radius_m: S<i64>,
    from: S<String>,
    until: S<String>,
    after_minutes: S<i64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawWater {
    severity: S<String>,
    life_safety: bool,
    emergency: S<String>,
    hours: S<i64>,
    min_litres: S<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPower {
    severity: S<String>,
    life_safety: bool,
    emergency: S<String>,
    hours: S<i64>,
    min_kwh: S<f64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTechnical {
    severity: S<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBattery {
    severity: S<String>,
    below_pct: S<i64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDevices {
    presence: S<RawDevice>,
    door: S<RawDevice>,
    water_meter: S<RawDevice>,
    electricity_meter: S<RawDevice>,
    wearable: S<RawDevice>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDevice {
    offline_minutes: S<i64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEscalation {
    acknowledge_s: S<i64>,
    remind_every_s: S<i64>,
    accept_s: S<i64>,
    on_scene_s: S<i64>,
    responders: S<i64>,
}

/// One file being read: turns byte offsets into lines and columns.
struct Ctx<'a> {
    file: &'a str,
    lines: domain::LineIndex<'a>,
}

impl<'a> Ctx<'a> {
    fn new(file: &'a str, text: &'a str) -> Ctx<'a> {
        Ctx { file, lines: domain::LineIndex::new(text) }
    }

    fn position(&self, offset: usize) -> (usize, usize) {
        self.lines.position(offset)
    }

    fn error(&self, span: &Range<usize>, field: &str, zh: impl Into<String>, en: impl Into<String>) -> GuardianError {
        let (line, column) = self.position(span.start);
        GuardianError::Rules { file: self.file.to_owned(), line, column, field: field.to_owned(), message_zh: zh.into(), message_en: en.into() }
    }

    fn int<T: TryFrom<i64> + Copy>(&self, v: &S<i64>, field: &str, lo: i64, hi: i64) -> Result<T, GuardianError> {
        let x = *v.get_ref();
        if !(lo..=hi).contains(&x) {
            return Err(self.error(&v.span(), field, format!("应为 {lo}～{hi}，而不是 {x}"), format!("must be {lo}–{hi}, not {x}")));
        }
        T::try_from(x).map_err(|_| self.error(&v.span(), field, "超出范围", "out of range"))
    }

    fn float(&self, v: &S<f64>, field: &str, r: std::ops::RangeInclusive<f64>) -> Result<f64, GuardianError> {
        let x = *v.get_ref();
        if !r.contains(&x) {
            return Err(self.error(&v.span(), field, format!("应为 {}～{}，而不是 {x}", r.start(), r.end()), format!("must be {}–{}, not {x}", r.start(), r.end())));
        }
        Ok(x)
    }

    fn time(&self, v: &S<String>, field: &str) -> Result<TimeOfDay, GuardianError> {
        TimeOfDay::parse(v.get_ref()).ok_or_else(|| self.error(&v.span(), field, "时间应为 HH:MM", "a time must be HH:MM"))
    }

    fn severity(&self, v: &S<String>, field: &str) -> Result<Severity, GuardianError> {
        match v.get_ref().as_str() {
            "critical" => Ok(Severity::Critical),
            "high" => Ok(Severity::High),
            "medium" => Ok(Severity::Medium),
            "low" => Ok(Severity::Low),
            other => Err(self.error(
                &v.span(),
                field,
                format!("严重程度「{other}」应为 critical、high、medium 或 low"),
                format!("severity {other} must be critical, high, medium or low"),
            )),
        }
    }

    fn rule(&self, name: &str, severity: &S<String>, life_safety: bool, emergency: &S<String>) -> Result<AlarmRule, GuardianError> {
        let severity = self.severity(severity, &format!("alarm.{name}.severity"))?;
        let emergency = match emergency.get_ref().as_str() {
            "" => None,
            n @ ("120" | "110" | "119") => Some(n.to_owned()),
            other => {
                return Err(self.error(
                    &emergency.span(),
                    &format!("alarm.{name}.emergency"),
                    format!("急救号码「{other}」应为 120、110、119 或空"),
                    format!("emergency {other} must be 120, 110, 119 or empty"),
                ));
            }
        };
        Ok(AlarmRule { severity, life_safety, emergency })
    }
}

impl RawFile {
    fn check(self, c: &Ctx<'_>) -> Result<Rules, GuardianError> {
        let a = &self.alarm;
        let (sos, fall, fever, low, ina, night, water, power) = (
            a.sos.get_ref(),
            a.fall.get_ref(),
            a.fever.get_ref(),
            a.low_temperature.get_ref(),
            a.inactivity.get_ref(),
            a.out_at_night.get_ref(),
            a.no_water.get_ref(),
            a.no_electricity.get_ref(),
        );
        let technical = |name: &str, s: &S<String>| -> Result<AlarmRule, GuardianError> {
            Ok(AlarmRule { severity: c.severity(s, &format!("alarm.{name}.severity"))?, life_safety: false, emergency: None })
        };
        let alarms = [
            c.rule("sos", &sos.severity, sos.life_safety, &sos.emergency)?,
            c.rule("fall", &fall.severity, fall.life_safety, &fall.emergency)?,
            c.rule("fever", &fever.severity, fever.life_safety, &fever.emergency)?,
            c.rule("low_temperature", &low.severity, low.life_safety, &low.emergency)?,
            c.rule("inactivity", &ina.severity, ina.life_safety, &ina.emergency)?,
            c.rule("out_at_night", &night.severity, night.life_safety, &night.emergency)?,
            c.rule("no_water", &water.severity, water.life_safety, &water.emergency)?,
            c.rule("no_electricity", &power.severity, power.life_safety, &power.emergency)?,
            technical("device_offline", &a.device_offline.get_ref().severity)?,
            technical("battery_low", &a.battery_low.get_ref().severity)?,
        ];
        let readings = |v: &S<i64>, f: &str| c.int::<u8>(v, f, i64::from(*range::READINGS.start()), i64::from(*range::READINGS.end()));
        let fever_rule = TemperatureRule { threshold_c: c.float(&fever.at_or_above_c, "alarm.fever.at_or_above_c", range::FEVER_C)?, readings: readings(&fever.readings, "alarm.fever.readings")? };
        let low_rule = TemperatureRule { threshold_c: c.float(&low.below_c, "alarm.low_temperature.below_c", range::LOW_C)?, readings: readings(&low.readings, "alarm.low_temperature.readings")? };
        let floor = |v: &S<i64>, f: &str| c.int::<u32>(v, f, i64::from(*range::FLOOR_MIN.start()), i64::from(*range::FLOOR_MIN.end()));
        let inactivity = InactivityRule {
            factor: c.float(&ina.factor, "alarm.inactivity.factor", range::FACTOR)?,
            day_floor_minutes: floor(&ina.day_floor_minutes, "alarm.inactivity.day_floor_minutes")?,
            night_floor_minutes: floor(&ina.night_floor_minutes, "alarm.inactivity.night_floor_minutes")?,
            night_from: c.time(&ina.night_from, "alarm.inactivity.night_from")?,
            night_until: c.time(&ina.night_until, "alarm.inactivity.night_until")?,
            learning_days: c.int(&ina.learning_days, "alarm.inactivity.learning_days", 1, 90)?,
            min_samples: c.int(&ina.min_samples, "alarm.inactivity.min_samples", 1, 60)?,
            min_minutes: c.int(&ina.min_minutes, "alarm.inactivity.min_minutes", 10, 1440)?,
            max_minutes: c.int(&ina.max_minutes, "alarm.inactivity.max_minutes", 10, 2880)?,
        };
        if inactivity.max_minutes < inactivity.min_minutes {
            return Err(c.error(&ina.max_minutes.span(), "alarm.inactivity.max_minutes", "不能小于 min_minutes", "must not be less than min_minutes"));
        }
        let out_at_night = GeofenceRule {
            radius_m: c.int(&night.radius_m, "alarm.out_at_night.radius_m", i64::from(*range::RADIUS_M.start()), i64::from(*range::RADIUS_M.end()))?,
            from: c.time(&night.from, "alarm.out_at_night.from")?,
            until: c.time(&night.until, "alarm.out_at_night.until")?,
            after_minutes: c.int(&night.after_minutes, "alarm.out_at_night.after_minutes", i64::from(*range::AFTER_MIN.start()), i64::from(*range::AFTER_MIN.end()))?,
        };
        let hours = |v: &S<i64>, f: &str| c.int::<u32>(v, f, i64::from(*range::HOURS.start()), i64::from(*range::HOURS.end()));
        let no_water = UseRule { hours: hours(&water.hours, "alarm.no_water.hours")?, min_use: c.float(&water.min_litres, "alarm.no_water.min_litres", 0.01..=100.0)? };
        let no_electricity = UseRule { hours: hours(&power.hours, "alarm.no_electricity.hours")?, min_use: c.float(&power.min_kwh, "alarm.no_electricity.min_kwh", 0.001..=10.0)? };
        let battery_low_pct = c.int(&a.battery_low.get_ref().below_pct, "alarm.battery_low.below_pct", 1, 99)?;
        let d = &self.device;
        let mut offline_minutes = [0; 5];
        for (i, (name, v)) in [("presence", &d.presence), ("door", &d.door), ("water_meter", &d.water_meter), ("electricity_meter", &d.electricity_meter), ("wearable", &d.wearable)]
            .into_iter()
            .enumerate()
        {
            offline_minutes[i] = c.int(&v.get_ref().offline_minutes, &format!("device.{name}.offline_minutes"), 1, 10_080)?;
        }
        let e = self.escalation.get_ref();
        let escalation = EscalationRules {
            acknowledge_s: c.int(&e.acknowledge_s, "escalation.acknowledge_s", 10, 3600)?,
            remind_every_s: c.int(&e.remind_every_s, "escalation.remind_every_s", 5, 3600)?,
            accept_s: c.int(&e.accept_s, "escalation.accept_s", 10, 3600)?,
            on_scene_s: c.int(&e.on_scene_s, "escalation.on_scene_s", 60, 7200)?,
            responders: c.int(&e.responders, "escalation.responders", 1, 10)?,
        };
        if escalation.on_scene_s <= escalation.acknowledge_s {
            return Err(c.error(&e.on_scene_s.span(), "escalation.on_scene_s", "应长于 acknowledge_s", "must be longer than acknowledge_s"));
        }
        Ok(Rules {
            alarms,
            fever: fever_rule,
            low_temperature: low_rule,
            inactivity,
            out_at_night,
            no_water,
            no_electricity,
            battery_low_pct,
            offline_minutes,
            escalation,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::Describe;

    #[test]
    fn the_shipped_file_parses_and_matches_the_compiled_in_defaults() {
        let r = Rules::parse("rules.toml", EMBEDDED).expect("as expected");
        assert_eq!(r, Rules::fallback());
        assert_eq!(Rules::embedded(), r);
        assert_eq!(r.alarm(AlarmKind::Sos).severity, Severity::Critical);
        assert_eq!(r.alarm(AlarmKind::OutAtNight).emergency.as_deref(), Some("110"));
        assert_eq!(r.alarm(AlarmKind::NoWater).emergency, None);
        assert_eq!(r.offline_minutes(DeviceKind::Door), 60);
        assert_eq!(r.escalation.accept_s, 120);
        for k in AlarmKind::ALL {
            assert_eq!(k.code().parse::<AlarmKind>(), Ok(k));
            assert_eq!(AlarmKind::ALL[k.index()], k);
        }
        assert_eq!("x".parse::<AlarmKind>().expect_err("refused").code(), "unknown_alarm_kind");
    }

    fn with(from: &str, to: &str) -> String {
        assert!(EMBEDDED.contains(from), "{from}");
        EMBEDDED.replacen(from, to, 1)
    }

    fn line_of(text: &str, needle: &str) -> usize {
        text.lines().position(|l| l.contains(needle)).expect("as expected") + 1
    }

    #[test]
    fn errors_name_the_line_column_and_field() {
        let cases = [
            ("at_or_above_c = 37.5", "at_or_above_c = 42.0", "alarm.fever.at_or_above_c"),
            ("severity = \"critical\"", "severity = \"dire\"", "alarm.sos.severity"),
            ("emergency = \"110\"", "emergency = \"999\"", "alarm.out_at_night.emergency"),
            ("night_from = \"20:00\"", "night_from = \"8pm\"", "alarm.inactivity.night_from"),
            ("max_minutes = 1080", "max_minutes = 100", "alarm.inactivity.max_minutes"),
            ("factor = 1.5", "factor = 0.5", "alarm.inactivity.factor"),
            ("below_pct = 20", "below_pct = 120", "alarm.battery_low.below_pct"),
            ("offline_minutes = 60", "offline_minutes = 0", "device.door.offline_minutes"),
            ("on_scene_s = 600", "on_scene_s = 60", "escalation.on_scene_s"),
            ("responders = 3", "responders = 30", "escalation.responders"),
        ];
        for (from, to, field) in cases {
            let text = with(from, to);
            let e = Rules::parse("my.toml", &text).expect_err("refused");
            let GuardianError::Rules { file, line, column, field: f, .. } = &e else { panic!("{e:?}") };
            assert_eq!((file.as_str(), f.as_str()), ("my.toml", field), "{to}");
            assert_eq!(*line, line_of(&text, to), "{to}");
            assert_eq!(*column, to.find('=').expect("as expected") + 3, "{to}: the value's column");
            assert_eq!(e.code(), "invalid_guardian_rules");
        }
        // TOML errors: an unknown key, a missing table, a wrong type, broken syntax.
        let text = with("hours = 24\nmin_litres", "hours = 24\nlitres_per_day = 3\nmin_litres");
        let e = Rules::parse("my.toml", &text).expect_err("refused");
        assert!(matches!(&e, GuardianError::Rules { line, field, .. } if *line == line_of(&text, "litres_per_day") && field == "toml"), "{e:?}");
        let e = Rules::parse("my.toml", &with("[escalation]", "[escalations]")).expect_err("refused");
        assert!(e.to_string().contains("escalation"), "{e}");
        let e = Rules::parse("my.toml", &with("readings = 2", "readings = \"two\"")).expect_err("refused");
        assert!(matches!(&e, GuardianError::Rules { line, .. } if *line == line_of(EMBEDDED, "readings = 2")), "{e:?}");
        let e = Rules::parse("my.toml", "[alarm\n").expect_err("refused");
        assert!(matches!(&e, GuardianError::Rules { line: 1, .. }), "{e:?}");
    }

    #[test]
    fn overrides_apply_and_are_checked() {
        let r = Rules::embedded();
        let o = ElderRules::from_json(r#"{"fever_c": 38.0, "geofence_radius_m": 1500, "off": ["no_water"]}"#).expect("as expected");
        let t = r.thresholds(Some(&o));
        assert_eq!((t.fever_c, t.radius_m, t.low_c), (38.0, 1500, 35.0));
        assert!(!t.enabled(AlarmKind::NoWater) && t.enabled(AlarmKind::Sos));
        let t = r.thresholds(None);
        assert_eq!((t.fever_c, t.radius_m, t.no_water_hours), (37.5, 500, 24));
        assert_eq!(serde_json::to_string(&o).expect("as expected"), r#"{"fever_c":38.0,"geofence_radius_m":1500,"off":["no_water"]}"#);
        for (json, field) in [
            (r#"{"fever_c": 41}"#, "fever_c"),
            (r#"{"no_water_hours": 0}"#, "no_water_hours"),
            (r#"{"inactivity_factor": 0.9}"#, "inactivity_factor"),
            (r#"{"colour": 1}"#, "overrides"),
            (r#"{"off": ["toaster"]}"#, "overrides"),
        ] {
            let e = ElderRules::from_json(json).expect_err("refused");
            assert_eq!((e.code(), e.field()), ("invalid_override", Some(field.to_owned())), "{json}");
        }
    }

    #[test]
    fn windows_pass_midnight() {
        let (from, until) = (TimeOfDay::parse("22:00").expect("as expected"), TimeOfDay::parse("06:00").expect("as expected"));
        assert!(TimeOfDay::window_contains(from, until, 23 * 60));
        assert!(TimeOfDay::window_contains(from, until, 0));
        assert!(TimeOfDay::window_contains(from, until, 5 * 60 + 59));
        assert!(!TimeOfDay::window_contains(from, until, 6 * 60));
        assert!(!TimeOfDay::window_contains(from, until, 12 * 60));
        assert!(TimeOfDay::window_contains(TimeOfDay(60), TimeOfDay(120), 90));
        assert!(!TimeOfDay::window_contains(TimeOfDay(60), TimeOfDay(120), 120));
        for bad in ["24:00", "7:00", "07:60", "0700", ""] {
            assert_eq!(TimeOfDay::parse(bad), None, "{bad}");
        }
        assert_eq!(TimeOfDay(22 * 60 + 5).to_string(), "22:05");
    }
}
