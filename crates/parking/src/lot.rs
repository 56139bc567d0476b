//! Car parks and the hospitals they serve: a lot's kind and structure, its bays by type (visitors,
//! staff, disabled, EV), opening hours (a small subset of OSM `opening_hours`), fees with a quote
//! for a stay, and the checks that a lot's data is sane. Local (China) time is UTC + 8 hours.

use std::fmt;

use chrono::DateTime;
use chrono::Datelike;
use chrono::Duration;
use chrono::NaiveDateTime;
use chrono::Timelike;
use chrono::Utc;
use domain::Fen;
use serde::Deserialize;
use serde::Serialize;

use crate::error::ParkingError;

/// China's offset from UTC in hours (no daylight saving).
pub const UTC_OFFSET_HOURS: i64 = 8;

/// The longest id of a lot, hospital or sign.
pub const MAX_ID_LEN: usize = 64;

/// Local (China Standard) time of an instant: UTC + 8 hours.
pub fn local(now: DateTime<Utc>) -> NaiveDateTime {
    now.naive_utc() + Duration::hours(UTC_OFFSET_HOURS)
}

/// Checks a slug id: 1–64 of `a-z`, `0-9`, `-` and `_`.
fn check_slug(field: &str, s: &str) -> Result<(), ParkingError> {
    if s.is_empty() || s.len() > MAX_ID_LEN || !s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_') {
        return Err(ParkingError::invalid(
            field,
            format!("编号须为 1–{MAX_ID_LEN} 个小写字母、数字、- 或 _，收到「{s}」"),
            format!("an id is 1–{MAX_ID_LEN} of a-z, 0-9, - and _, got {s:?}"),
        ));
    }
    Ok(())
}

macro_rules! slug_id {
    ($name:ident, $what:literal) => {
        #[doc = concat!("The id of a ", $what, ": a slug of 1–64 `a-z`, `0-9`, `-` and `_`, built only through `parse`.")]
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// Parses an id.
            pub fn parse(s: &str) -> Result<$name, ParkingError> {
                check_slug("id", s)?;
                Ok($name(s.to_owned()))
            }

            /// The id as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = ParkingError;
            fn try_from(s: String) -> Result<$name, ParkingError> {
                check_slug("id", &s)?;
                Ok($name(s))
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> String {
                id.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

slug_id!(LotId, "car park");
slug_id!(HospitalId, "hospital");
slug_id!(SignId, "guidance sign");

/// A WGS 84 point.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Point {
    /// Latitude in degrees.
    pub lat: f64,
    /// Longitude in degrees.
    pub lon: f64,
}

/// Mean Earth radius in metres (IUGG).
const EARTH_RADIUS_M: f64 = 6_371_008.8;

impl Point {
    /// A point.
    pub const fn new(lat: f64, lon: f64) -> Point {
        Point { lat, lon }
    }

    /// Checks that the point is a real WGS 84 coordinate (not NaN, not 0,0).
    pub fn validate(&self, field: &str) -> Result<(), ParkingError> {
        let ok = self.lat.is_finite()
            && self.lon.is_finite()
            && (-90.0..=90.0).contains(&self.lat)
            && (-180.0..=180.0).contains(&self.lon)
            && !(self.lat == 0.0 && self.lon == 0.0);
        if !ok {
            return Err(ParkingError::invalid(
                field,
                format!("坐标（纬度 {}，经度 {}）无效", self.lat, self.lon),
                format!("({}, {}) is not a WGS 84 latitude and longitude", self.lat, self.lon),
            ));
        }
        Ok(())
    }

    /// Great-circle distance in metres (haversine).
    pub fn distance_m(&self, other: &Point) -> f64 {
        let (la1, la2) = (self.lat.to_radians(), other.lat.to_radians());
        let dlat = la2 - la1;
        let dlon = (other.lon - self.lon).to_radians();
        let h = (dlat / 2.0).sin().powi(2) + la1.cos() * la2.cos() * (dlon / 2.0).sin().powi(2);
        2.0 * EARTH_RADIUS_M * h.sqrt().min(1.0).asin()
    }
}

/// Who runs a car park.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LotKind {
    /// The hospital's own car park.
    Hospital,
    /// A public garage or car park open to all.
    PublicGarage,
    /// Bays along a street.
    StreetBays,
}

impl LotKind {
    /// The kind's code.
    pub fn code(self) -> &'static str {
        match self {
            LotKind::Hospital => "hospital",
            LotKind::PublicGarage => "public_garage",
            LotKind::StreetBays => "street_bays",
        }
    }

    /// The kind in Chinese.
    pub fn label_zh(self) -> &'static str {
        match self {
            LotKind::Hospital => "院内停车场",
            LotKind::PublicGarage => "公共停车场",
            LotKind::StreetBays => "路内泊位",
        }
    }
}

/// How a car park is built (OSM `parking=*`; ParkAPI's `type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Structure {
    /// At ground level (`parking=surface`).
    Surface,
    /// A multi-storey building (`parking=multi-storey`).
    MultiStorey,
    /// Below ground (`parking=underground`).
    Underground,
    /// Along the street (`parking=street_side` / `lane`).
    Street,
}

/// A type of parking bay. Visitor bays are the only ones guidance counts by default; staff bays
/// are never counted; disabled and EV bays only when the driver asks for them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BayType {
    /// Bays for visitors and patients.
    Visitor,
    /// Bays reserved for the hospital's staff.
    Staff,
    /// Bays for drivers with a disability.
    Disabled,
    /// Bays with a charger for electric vehicles.
    Ev,
}

impl BayType {
    /// Every bay type, in index order.
    pub const ALL: [BayType; 4] = [BayType::Visitor, BayType::Staff, BayType::Disabled, BayType::Ev];

    /// The type's code (`visitor`, `staff`, `disabled`, `ev`).
    pub fn code(self) -> &'static str {
        match self {
            BayType::Visitor => "visitor",
            BayType::Staff => "staff",
            BayType::Disabled => "disabled",
            BayType::Ev => "ev",
        }
    }

    /// The type of a code, if it is one.
    pub fn parse(code: &str) -> Option<BayType> {
        BayType::ALL.into_iter().find(|b| b.code() == code)
    }

    /// The type's index in per-type arrays (0–3).
    pub fn index(self) -> usize {
        self as usize
    }
}

/// What a driver asks for: which bays besides visitor bays count as room for them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Needs {
    /// The driver may use disabled bays (a disability permit).
    #[serde(default)]
    pub disabled: bool,
    /// The driver wants an EV charging bay (and may use one).
    #[serde(default)]
    pub ev: bool,
}

impl Needs {
    /// Whether bays of this type count as room for the driver. Staff bays never do.
    pub fn counts(self, bay: BayType) -> bool {
        match bay {
            BayType::Visitor => true,
            BayType::Staff => false,
            BayType::Disabled => self.disabled,
            BayType::Ev => self.ev,
        }
    }
}

/// A lot's bays by type.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Capacity {
    /// Visitor (patient) bays.
    #[serde(default)]
    pub visitor: u32,
    /// Staff bays (never shown to drivers).
    #[serde(default)]
    pub staff: u32,
    /// Disabled bays.
    #[serde(default)]
    pub disabled: u32,
    /// EV charging bays.
    #[serde(default)]
    pub ev: u32,
}

impl Capacity {
    /// The bays of one type.
    pub fn of(&self, bay: BayType) -> u32 {
        match bay {
            BayType::Visitor => self.visitor,
            BayType::Staff => self.staff,
            BayType::Disabled => self.disabled,
            BayType::Ev => self.ev,
        }
    }

    /// The bays that count for a driver with these needs (visitor bays, plus disabled and EV bays
    /// when asked for; never staff bays).
    pub fn for_needs(&self, needs: Needs) -> u32 {
        BayType::ALL.into_iter().filter(|b| needs.counts(*b)).map(|b| self.of(b)).sum()
    }

    /// The bays open to the public: everything but staff bays.
    pub fn public(&self) -> u32 {
        self.visitor + self.disabled + self.ev
    }

    /// All bays.
    pub fn total(&self) -> u32 {
        self.public() + self.staff
    }
}

/// One day's opening span in minutes after local midnight, `opens < closes ≤ 1440`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    /// Opens at (minutes after midnight).
    pub opens: u16,
    /// Closes at (minutes after midnight; 1440 is midnight at the end of the day).
    pub closes: u16,
}

/// Weekday abbreviations of OSM `opening_hours`, Monday first.
const DAYS: [&str; 7] = ["Mo", "Tu", "We", "Th", "Fr", "Sa", "Su"];

/// When a lot is open: always (`24/7`) or one span per weekday (a subset of OSM
/// `opening_hours`: `Mo-Fr 07:00-22:00; Sa,Su 08:00-18:00`; a day not named is closed). Kept as
/// that text in data files and in ParkAPI's `opening_hours`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct OpeningHours {
    days: Option<[Option<Span>; 7]>,
}

impl Default for OpeningHours {
    fn default() -> Self {
        OpeningHours::ALWAYS
    }
}

fn hhmm(s: &str) -> Option<u16> {
    let (h, m) = s.split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    let (h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
    (m < 60 && (h < 24 || (h == 24 && m == 0))).then_some(h * 60 + m)
}

fn day_index(s: &str) -> Option<usize> {
    DAYS.iter().position(|d| *d == s)
}

impl OpeningHours {
    /// Open around the clock.
    pub const ALWAYS: OpeningHours = OpeningHours { days: None };

    /// Opening hours from one span per weekday (Monday first; `None` is closed that day).
    pub fn weekly(days: [Option<Span>; 7]) -> OpeningHours {
        OpeningHours { days: Some(days) }
    }

    /// Parses `24/7` or rules such as `Mo-Fr 07:00-22:00; Sa,Su 08:00-18:00`.
    pub fn parse(text: &str) -> Result<OpeningHours, ParkingError> {
        let bad = |why_zh: &str, why_en: &str| {
            ParkingError::invalid(
                "hours",
                format!("营业时间「{text}」无法识别：{why_zh}（格式如 24/7 或 Mo-Fr 07:00-22:00; Sa,Su 08:00-18:00）"),
                format!("opening hours {text:?}: {why_en} (write 24/7 or e.g. Mo-Fr 07:00-22:00; Sa,Su 08:00-18:00)"),
            )
        };
        let t = text.trim();
        if t == "24/7" {
            return Ok(OpeningHours::ALWAYS);
        }
        let mut days: [Option<Span>; 7] = [None; 7];
        let mut any = false;
        for rule in t.split(';').map(str::trim).filter(|r| !r.is_empty()) {
            let (sel, time) = rule.split_once(' ').ok_or_else(|| bad("缺少时段", "a rule lacks its time span"))?;
            let (a, b) = time.trim().split_once('-').ok_or_else(|| bad("时段须为 HH:MM-HH:MM", "a span is HH:MM-HH:MM"))?;
            let (opens, closes) = match (hhmm(a), hhmm(b)) {
                (Some(o), Some(c)) if o < c => (o, c),
                _ => return Err(bad("时段须为 HH:MM-HH:MM 且开始早于结束（不支持跨午夜）", "a span is HH:MM-HH:MM with its start before its end (no spans past midnight)")),
            };
            for part in sel.split(',') {
                let (from, to) = match part.split_once('-') {
                    Some((f, t)) => (day_index(f), day_index(t)),
                    None => (day_index(part), day_index(part)),
                };
                let (Some(from), Some(to)) = (from, to) else {
                    return Err(bad("星期须为 Mo Tu We Th Fr Sa Su", "weekdays are Mo Tu We Th Fr Sa Su"));
                };
                if from > to {
                    return Err(bad("星期范围须从前到后，如 Mo-Fr", "a weekday range runs forward, e.g. Mo-Fr"));
                }
                for d in days.iter_mut().take(to + 1).skip(from) {
                    if d.is_some() {
                        return Err(bad("同一天出现两次", "a day is named twice"));
                    }
                    *d = Some(Span { opens, closes });
                    any = true;
                }
            }
        }
        if !any {
            return Err(bad("为空", "empty"));
        }
        Ok(OpeningHours { days: Some(days) })
    }

    /// Whether it is open around the clock.
    pub fn is_always(&self) -> bool {
        self.days.is_none()
    }

    /// Whether the lot is open at a local time.
    pub fn is_open_at(&self, local: NaiveDateTime) -> bool {
        let Some(days) = &self.days else { return true };
        let d = local.weekday().num_days_from_monday() as usize;
        let m = u16::try_from(local.hour() * 60 + local.minute()).unwrap_or(0);
        days.get(d).copied().flatten().is_some_and(|s| s.opens <= m && m < s.closes)
    }

    /// Whether the lot is open at an instant.
    pub fn is_open(&self, now: DateTime<Utc>) -> bool {
        self.is_open_at(local(now))
    }

    /// The OSM `opening_hours` text (`24/7`, or days with the same span grouped: `Mo-Fr 07:00-22:00; Sa 08:00-12:00`).
    pub fn to_osm(&self) -> String {
        let Some(days) = &self.days else { return "24/7".to_owned() };
        let show = |m: u16| format!("{:02}:{:02}", m / 60, m % 60);
        let mut rules: Vec<String> = Vec::new();
        let mut i = 0;
        while i < 7 {
            let Some(span) = days[i] else {
                i += 1;
                continue;
            };
            let mut j = i;
            while j + 1 < 7 && days[j + 1] == Some(span) {
                j += 1;
            }
            let sel = match j - i {
                0 => DAYS[i].to_owned(),
                1 => format!("{},{}", DAYS[i], DAYS[j]),
                _ => format!("{}-{}", DAYS[i], DAYS[j]),
            };
            rules.push(format!("{sel} {}-{}", show(span.opens), show(span.closes)));
            i = j + 1;
        }
        rules.join("; ")
    }
}

impl TryFrom<String> for OpeningHours {
    type Error = ParkingError;
    fn try_from(s: String) -> Result<OpeningHours, ParkingError> {
        OpeningHours::parse(&s)
    }
}

impl From<OpeningHours> for String {
    fn from(h: OpeningHours) -> String {
        h.to_osm()
    }
}

/// What parking costs, in fen: the first hour, each further started hour, a cap per 24 hours, and
/// free minutes (a stay within them is free; a longer one pays from the start).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fees {
    /// The first (started) hour.
    pub first_hour: Fen,
    /// Each further started hour.
    pub per_hour_after: Fen,
    /// The most one 24-hour day costs, if capped.
    #[serde(default)]
    pub daily_cap: Option<Fen>,
    /// A stay of at most this many minutes is free.
    #[serde(default)]
    pub free_minutes: u32,
}

impl Fees {
    /// Free parking.
    pub const FREE: Fees = Fees { first_hour: Fen(0), per_hour_after: Fen(0), daily_cap: None, free_minutes: 0 };

    /// Whether parking costs anything.
    pub fn has_fee(&self) -> bool {
        self.first_hour.0 > 0 || self.per_hour_after.0 > 0
    }

    /// What a stay of `minutes` costs: within the free minutes nothing; else per started hour
    /// (the first at `first_hour`, the others at `per_hour_after`), each 24 hours charged anew
    /// and capped at `daily_cap`.
    pub fn quote(&self, minutes: u32) -> Fen {
        if minutes == 0 || minutes <= self.free_minutes {
            return Fen(0);
        }
        let day = |m: u32| -> i64 {
            if m == 0 {
                return 0;
            }
            let hours = i64::from(m.div_ceil(60));
            let cost = self.first_hour.0.saturating_add((hours - 1).saturating_mul(self.per_hour_after.0));
            self.daily_cap.map_or(cost, |cap| cost.min(cap.0))
        };
        let full_days = i64::from(minutes / 1440);
        Fen(full_days.saturating_mul(day(1440)).saturating_add(day(minutes % 1440)))
    }

    /// The fees in words (Chinese), for signs, pages and ParkAPI's `fee_description`.
    pub fn describe_zh(&self) -> String {
        if !self.has_fee() {
            return "免费".to_owned();
        }
        let mut s = format!("首小时 {} 元，之后每小时 {} 元", yuan(self.first_hour), yuan(self.per_hour_after));
        if let Some(cap) = self.daily_cap {
            s.push_str(&format!("，每 24 小时封顶 {} 元", yuan(cap)));
        }
        if self.free_minutes > 0 {
            s.push_str(&format!("，{} 分钟内免费", self.free_minutes));
        }
        s
    }

    fn validate(&self) -> Result<(), ParkingError> {
        if self.first_hour.0 < 0 || self.per_hour_after.0 < 0 || self.daily_cap.is_some_and(|c| c.0 < 0) {
            return Err(ParkingError::invalid("fees", "收费金额不能为负", "a fee is negative"));
        }
        if self.daily_cap.is_some_and(|c| c.0 < self.first_hour.0) {
            return Err(ParkingError::invalid("fees.daily_cap", "每日封顶不能低于首小时收费", "the daily cap is below the first hour's fee"));
        }
        if self.free_minutes >= 1440 {
            return Err(ParkingError::invalid("fees.free_minutes", "免费时长须少于 24 小时", "free minutes are under 24 hours"));
        }
        Ok(())
    }
}

/// Fen as yuan text: `5`, `2.5`, `0.05`.
pub fn yuan(f: Fen) -> String {
    let (sign, v) = if f.0 < 0 { ("-", f.0.unsigned_abs()) } else { ("", f.0.unsigned_abs()) };
    let (y, c) = (v / 100, v % 100);
    match c {
        0 => format!("{sign}{y}"),
        c if c % 10 == 0 => format!("{sign}{y}.{}", c / 10),
        c => format!("{sign}{y}.{c:02}"),
    }
}

/// A hospital parking guidance leads to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hospital {
    /// Its id.
    pub id: HospitalId,
    /// Its name.
    pub name: String,
    /// The main entrance a visitor walks to.
    pub entrance: Point,
}

impl Hospital {
    /// Checks the hospital's data.
    pub fn validate(&self) -> Result<(), ParkingError> {
        check_name(&self.name)?;
        self.entrance.validate("entrance")
    }
}

fn check_name(name: &str) -> Result<(), ParkingError> {
    let n = name.trim().chars().count();
    if n == 0 || n > 100 {
        return Err(ParkingError::invalid("name", "名称须为 1–100 个字", "a name is 1–100 characters"));
    }
    Ok(())
}

/// A car park.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Lot {
    /// Its id.
    pub id: LotId,
    /// Its name as signs and pages show it.
    pub name: String,
    /// Who runs it.
    pub kind: LotKind,
    /// How it is built (ParkAPI's `type`).
    pub structure: Structure,
    /// The hospital it belongs to or mainly serves, if any.
    #[serde(default)]
    pub hospital: Option<HospitalId>,
    /// Where cars drive in (the point routing drives to).
    pub location: Point,
    /// Where people walk out (the point walking to the hospital starts from).
    pub entrance: Point,
    /// Its bays by type.
    pub capacity: Capacity,
    /// When it is open.
    #[serde(default)]
    pub hours: OpeningHours,
    /// What it costs.
    #[serde(default)]
    pub fees: Fees,
    /// Its street address.
    #[serde(default)]
    pub address: Option<String>,
    /// Who runs it.
    #[serde(default)]
    pub operator: Option<String>,
}

impl Lot {
    /// Checks the lot's data: a name, real coordinates, at least one public bay, sane fees.
    pub fn validate(&self) -> Result<(), ParkingError> {
        check_name(&self.name)?;
        self.location.validate("location")?;
        self.entrance.validate("entrance")?;
        if self.capacity.public() == 0 {
            return Err(ParkingError::invalid("capacity", "至少要有一个对外开放的车位（访客、无障碍或充电）", "a lot has at least one public bay (visitor, disabled or EV)"));
        }
        if self.capacity.total() > 100_000 {
            return Err(ParkingError::invalid("capacity", "车位总数不能超过 100000", "a lot has at most 100,000 bays"));
        }
        if self.location.distance_m(&self.entrance) > 2_000.0 {
            return Err(ParkingError::invalid("entrance", "人行出口离停车场超过 2 公里", "the walking entrance is more than 2 km from the lot"));
        }
        self.fees.validate()
    }

    /// What a stay of `minutes` costs here.
    pub fn quote(&self, minutes: u32) -> Fen {
        self.fees.quote(minutes)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A lot for tests: 100 visitor, 40 staff, 4 disabled, 6 EV bays, open 24/7.
    pub(crate) fn lot(id: &str) -> Lot {
        Lot {
            id: LotId::parse(id).expect("id"),
            name: format!("停车场 {id}"),
            kind: LotKind::Hospital,
            structure: Structure::Underground,
            hospital: Some(HospitalId::parse("fy-first").expect("id")),
            location: Point::new(30.0500, 119.9500),
            entrance: Point::new(30.0502, 119.9502),
            capacity: Capacity { visitor: 100, staff: 40, disabled: 4, ev: 6 },
            hours: OpeningHours::ALWAYS,
            fees: Fees { first_hour: Fen(500), per_hour_after: Fen(200), daily_cap: Some(Fen(3000)), free_minutes: 15 },
            address: None,
            operator: None,
        }
    }

    #[test]
    fn fee_quotes() {
        let f = lot("a").fees;
        assert_eq!(f.quote(0), Fen(0));
        assert_eq!(f.quote(15), Fen(0));
        assert_eq!(f.quote(16), Fen(500));
        assert_eq!(f.quote(60), Fen(500));
        assert_eq!(f.quote(61), Fen(700));
        assert_eq!(f.quote(3 * 60 + 30), Fen(500 + 3 * 200));
        assert_eq!(f.quote(23 * 60), Fen(3000), "capped");
        assert_eq!(f.quote(24 * 60 + 30), Fen(3000 + 500), "a second day starts anew");
        assert_eq!(Fees::FREE.quote(600), Fen(0));
        assert_eq!(f.describe_zh(), "首小时 5 元，之后每小时 2 元，每 24 小时封顶 30 元，15 分钟内免费");
        assert_eq!(yuan(Fen(250)), "2.5");
        assert_eq!(yuan(Fen(5)), "0.05");
    }

    #[test]
    fn opening_hours_parse_show_and_cover() {
        let h = OpeningHours::parse("Mo-Fr 07:00-22:00; Sa,Su 08:00-18:00").expect("parses");
        assert_eq!(h.to_osm(), "Mo-Fr 07:00-22:00; Sa,Su 08:00-18:00");
        // 2026-12-07 is a Monday; 23:30 UTC Sunday is 07:30 Monday in China.
        let t = |s: &str| DateTime::parse_from_rfc3339(s).expect("time").with_timezone(&Utc);
        assert!(h.is_open(t("2026-12-06T23:30:00Z")));
        assert!(!h.is_open(t("2026-12-06T22:30:00Z")), "06:30 Monday is before opening");
        assert!(!h.is_open(t("2026-12-07T14:00:00Z")), "22:00 is closing time");
        assert!(h.is_open(t("2026-12-12T01:00:00Z")), "09:00 Saturday");
        assert_eq!(OpeningHours::parse("24/7").expect("parses"), OpeningHours::ALWAYS);
        assert_eq!(OpeningHours::parse("Mo 00:00-24:00").expect("parses").to_osm(), "Mo 00:00-24:00");
        for bad in ["", "Mo-Fr", "Mo-Fr 22:00-06:00", "Fr-Mo 08:00-09:00", "Xx 08:00-09:00", "Mo 08:00-09:00; Mo 10:00-11:00", "Mo 8:00-9:00"] {
            let e = OpeningHours::parse(bad).expect_err(bad);
            assert_eq!(e.field().as_deref(), Some("hours"));
        }
        let toml_lot: Lot = toml::from_str(
            r#"id = "p1"
name = "一号停车场"
kind = "public_garage"
structure = "multi_storey"
location = { lat = 30.05, lon = 119.95 }
entrance = { lat = 30.0501, lon = 119.9501 }
capacity = { visitor = 120, staff = 30 }
hours = "Mo-Su 06:00-23:00"
fees = { first_hour = 500, per_hour_after = 200, daily_cap = 3000 }
"#,
        )
        .expect("toml");
        assert_eq!(toml_lot.hours.to_osm(), "Mo-Su 06:00-23:00");
        assert!(toml_lot.validate().is_ok());
    }

    #[test]
    fn validation_names_the_field() {
        let mut l = lot("a");
        assert!(l.validate().is_ok());
        l.capacity = Capacity { visitor: 0, staff: 50, disabled: 0, ev: 0 };
        assert_eq!(l.validate().expect_err("staff only").field().as_deref(), Some("capacity"));
        let mut l = lot("a");
        l.location = Point::new(f64::NAN, 1.0);
        assert_eq!(l.validate().expect_err("nan").field().as_deref(), Some("location"));
        let mut l = lot("a");
        l.fees.daily_cap = Some(Fen(100));
        assert_eq!(l.validate().expect_err("cap").field().as_deref(), Some("fees.daily_cap"));
        assert!(LotId::parse("Bad Id").is_err());
        assert!(LotId::parse("").is_err());
        assert!(serde_json::from_str::<LotId>("\"a b\"").is_err());
        assert_eq!(Capacity { visitor: 10, staff: 50, disabled: 2, ev: 3 }.for_needs(Needs::default()), 10);
        assert_eq!(Capacity { visitor: 10, staff: 50, disabled: 2, ev: 3 }.for_needs(Needs { disabled: true, ev: true }), 15);
    }
}
