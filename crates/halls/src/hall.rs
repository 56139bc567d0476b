//! Service halls (政务服务大厅) at every level of the 1+2+22+N service network: their place,
//! status, opening sessions (lunch hours and weekends where a hall offers them), windows (each
//! serving a set of service lines, open or closed, with its clerk) and self-service terminals,
//! with the checks that a hall's data is sane. Local (China) time is UTC + 8 hours: [`local`].

use std::fmt;

use chrono::DateTime;
use chrono::Datelike;
use chrono::Duration;
use chrono::NaiveDateTime;
use chrono::NaiveTime;
use chrono::Utc;
use serde::Deserialize;
use serde::Serialize;

use crate::error::HallError;
use crate::rules::HallRules;

/// The most windows a hall has, and the highest window number.
pub const MAX_WINDOW: u32 = 999;

/// China's offset from UTC in hours (no daylight saving).
pub const UTC_OFFSET_HOURS: i64 = 8;

/// Local (China Standard) time of an instant: UTC + 8 hours.
pub fn local(now: DateTime<Utc>) -> NaiveDateTime {
    now.naive_utc() + Duration::hours(UTC_OFFSET_HOURS)
}

/// The instant of a local (China Standard) time.
pub fn utc(local: NaiveDateTime) -> DateTime<Utc> {
    (local - Duration::hours(UTC_OFFSET_HOURS)).and_utc()
}

/// A local time as messages show it, `YYYY-MM-DD HH:MM`.
pub fn show(local: NaiveDateTime) -> String {
    local.format("%Y-%m-%d %H:%M").to_string()
}

macro_rules! plain_id {
    ($(#[$m:meta])* $name:ident) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Display::fmt(&self.0, f)
            }
        }

        impl std::str::FromStr for $name {
            type Err = std::num::ParseIntError;
            fn from_str(s: &str) -> Result<$name, Self::Err> {
                s.trim().parse().map($name)
            }
        }
    };
}

plain_id! {
    /// A service hall.
    HallId
}

plain_id! {
    /// A queue ticket (排队号) or appointment.
    TicketId
}

/// A hall's level in the service network: 1 district centre + 2 central towns + 22 towns and
/// sub-districts + N villages and communities.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// 区级政务服务中心.
    District,
    /// 中心镇便民服务中心.
    CentralTown,
    /// 镇（街）便民服务中心.
    Town,
    /// 村（社）便民服务站.
    Village,
}

impl Level {
    /// Every level, from the top.
    pub const ALL: [Level; 4] = [Level::District, Level::CentralTown, Level::Town, Level::Village];

    /// The stable key.
    pub fn key(self) -> &'static str {
        match self {
            Level::District => "district",
            Level::CentralTown => "central_town",
            Level::Town => "town",
            Level::Village => "village",
        }
    }

    /// The Chinese name of a hall of this level.
    pub fn name_zh(self) -> &'static str {
        match self {
            Level::District => "区级政务服务中心",
            Level::CentralTown => "中心镇便民服务中心",
            Level::Town => "镇（街）便民服务中心",
            Level::Village => "村（社）便民服务站",
        }
    }

    /// A level from its key or Chinese name.
    pub fn parse(s: &str) -> Result<Level, HallError> {
        let s = s.trim();
        Level::ALL.into_iter().find(|l| l.key() == s || l.name_zh() == s).ok_or_else(|| {
            HallError::invalid("level", format!("「{s}」不是服务大厅的层级（district、central_town、town、village）"), format!("{s:?} is not a level (district, central_town, town, village)"))
        })
    }
}

/// Whether a hall takes tickets at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HallStatus {
    /// Open in its sessions.
    Open,
    /// Closed (for repairs, for good): no tickets, no appointments.
    Closed,
}

/// One opening session: the days it applies and its hours (a hall with a lunch break has a
/// morning and an afternoon session; one serving through lunch has one).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    /// Days of the week, 1 = Monday … 7 = Sunday, ascending, no repeats.
    pub weekdays: Vec<u8>,
    /// Opens at (local time).
    pub opens: NaiveTime,
    /// Closes at (local time), after `opens`.
    pub closes: NaiveTime,
}

impl Session {
    /// Whether the session applies on a weekday (1 = Monday … 7 = Sunday).
    pub fn on(&self, weekday: u8) -> bool {
        self.weekdays.contains(&weekday)
    }

    /// Whether the session covers a local time (opens ≤ t < closes on one of its days).
    pub fn covers(&self, local: NaiveDateTime) -> bool {
        self.on(weekday(local)) && self.opens <= local.time() && local.time() < self.closes
    }
}

/// The weekday of a local time, 1 = Monday … 7 = Sunday.
pub fn weekday(local: NaiveDateTime) -> u8 {
    u8::try_from(local.weekday().number_from_monday()).unwrap_or(1)
}

/// A service window (窗口).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    /// Its number, 1–999, unique in the hall.
    pub no: u32,
    /// Its name (`社保医保综合窗口`).
    pub name: String,
    /// The codes of the service lines it serves.
    pub lines: Vec<String>,
    /// Whether it is staffed and calling now.
    pub open: bool,
    /// The clerk's account, when staffed.
    pub staff: Option<i64>,
}

impl Window {
    /// Whether it serves a line (open or not).
    pub fn serves(&self, line: &str) -> bool {
        self.lines.iter().any(|l| l == line)
    }
}

/// A self-service terminal (自助终端).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Terminal {
    /// Its number, unique in the hall.
    pub no: u32,
    /// Its name (`社保自助一体机`).
    pub name: String,
    /// The catalog item codes it handles.
    pub items: Vec<String>,
}

/// A service hall.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Hall {
    /// Its id.
    pub id: HallId,
    /// Its name (`富阳区政务服务中心`).
    pub name: String,
    /// Its level in the network.
    pub level: Level,
    /// The town (乡镇街道) it is in: a 9-digit division code (`330111001`).
    pub town: String,
    /// Its address.
    pub address: String,
    /// Latitude (WGS 84).
    pub lat: f64,
    /// Longitude (WGS 84).
    pub lon: f64,
    /// Whether it takes tickets.
    pub status: HallStatus,
    /// When it is open.
    pub sessions: Vec<Session>,
    /// Its windows.
    pub windows: Vec<Window>,
    /// Its self-service terminals.
    pub terminals: Vec<Terminal>,
}

impl Hall {
    /// Checks everything: a name (1–100 characters), a 9-digit town code, an address, a place on
    /// the map, sessions (days 1–7 ascending without repeats, opening before closing, no two
    /// overlapping on a day), windows (at least one, numbered 1–999 uniquely, named, each serving
    /// at least one line the rules know, each once) and terminals (numbered uniquely, named).
    pub fn validate(&self, rules: &HallRules) -> Result<(), HallError> {
        if self.name.trim().is_empty() || self.name.chars().count() > 100 {
            return Err(HallError::invalid("name", "名称应为 1～100 个字", "must be 1–100 characters"));
        }
        if self.town.len() != 9 || !self.town.bytes().all(|b| b.is_ascii_digit()) || self.town.ends_with("000") {
            return Err(HallError::invalid("town", "应为乡镇街道的 9 位行政区划代码，如 330111001", "must be a town's 9-digit division code, e.g. 330111001"));
        }
        if self.address.trim().is_empty() || self.address.chars().count() > 200 {
            return Err(HallError::invalid("address", "地址应为 1～200 个字", "must be 1–200 characters"));
        }
        if !(self.lat.is_finite() && (-90.0..=90.0).contains(&self.lat)) {
            return Err(HallError::invalid("lat", "纬度应在 -90～90 之间", "must be from -90 to 90"));
        }
        if !(self.lon.is_finite() && (-180.0..=180.0).contains(&self.lon)) {
            return Err(HallError::invalid("lon", "经度应在 -180～180 之间", "must be from -180 to 180"));
        }
        if self.sessions.is_empty() {
            return Err(HallError::invalid("sessions", "至少设置一个办公时段", "at least one session is needed"));
        }
        for (i, s) in self.sessions.iter().enumerate() {
            if s.weekdays.is_empty() || !s.weekdays.windows(2).all(|w| w[0] < w[1]) || s.weekdays.iter().any(|d| !(1..=7).contains(d)) {
                return Err(HallError::invalid(format!("sessions[{i}].weekdays"), "应为 1（周一）～7（周日）的升序且不重复", "must be days 1 (Monday) to 7 (Sunday), ascending, no repeats"));
            }
            if s.closes <= s.opens {
                return Err(HallError::invalid(format!("sessions[{i}].closes"), "结束时间应晚于开始时间", "must be after opens"));
            }
            let overlaps = self.sessions[..i].iter().any(|o| o.weekdays.iter().any(|d| s.on(*d)) && o.opens < s.closes && s.opens < o.closes);
            if overlaps {
                return Err(HallError::invalid(format!("sessions[{i}]"), "与同一天的另一个办公时段重叠", "overlaps another session on the same day"));
            }
        }
        if self.windows.is_empty() {
            return Err(HallError::invalid("windows", "至少设置一个窗口", "at least one window is needed"));
        }
        if self.windows.len() > MAX_WINDOW as usize {
            return Err(HallError::invalid("windows", "窗口不能超过 999 个", "at most 999 windows"));
        }
        for (i, w) in self.windows.iter().enumerate() {
            let f = format!("windows[{i}]");
            if w.no == 0 || w.no > MAX_WINDOW {
                return Err(HallError::invalid(format!("{f}.no"), "窗口号应为 1～999", "must be 1–999"));
            }
            if self.windows[..i].iter().any(|o| o.no == w.no) {
                return Err(HallError::invalid(format!("{f}.no"), format!("窗口号 {} 重复", w.no), format!("window number {} twice", w.no)));
            }
            if w.name.trim().is_empty() || w.name.chars().count() > 50 {
                return Err(HallError::invalid(format!("{f}.name"), "窗口名称应为 1～50 个字", "must be 1–50 characters"));
            }
            if w.lines.is_empty() {
                return Err(HallError::invalid(format!("{f}.lines"), "窗口至少办理一类业务", "a window serves at least one line"));
            }
            for (j, l) in w.lines.iter().enumerate() {
                if rules.line(l).is_none() {
                    return Err(HallError::invalid(format!("{f}.lines[{j}]"), format!("规则中没有业务类别「{l}」"), format!("the rules have no line {l:?}")));
                }
                if w.lines[..j].contains(l) {
                    return Err(HallError::invalid(format!("{f}.lines[{j}]"), "业务类别重复", "the line is given twice"));
                }
            }
        }
        for (i, t) in self.terminals.iter().enumerate() {
            let f = format!("terminals[{i}]");
            if t.no == 0 || t.no > MAX_WINDOW || self.terminals[..i].iter().any(|o| o.no == t.no) {
                return Err(HallError::invalid(format!("{f}.no"), "终端编号应为 1～999 且不重复", "must be 1–999 and unique"));
            }
            if t.name.trim().is_empty() || t.name.chars().count() > 50 {
                return Err(HallError::invalid(format!("{f}.name"), "终端名称应为 1～50 个字", "must be 1–50 characters"));
            }
            if t.items.iter().any(|x| x.trim().is_empty()) {
                return Err(HallError::invalid(format!("{f}.items"), "事项代码不能为空", "an item code must not be empty"));
            }
        }
        Ok(())
    }

    /// Whether its sessions cover a local time (the status is not looked at).
    pub fn is_open_at(&self, local: NaiveDateTime) -> bool {
        self.sessions.iter().any(|s| s.covers(local))
    }

    /// Whether it serves through lunch (open at 12:30 on some weekday).
    pub fn offers_lunch(&self) -> bool {
        let half_past_noon = NaiveTime::from_hms_opt(12, 30, 0).unwrap_or(NaiveTime::MIN);
        self.sessions.iter().any(|s| s.opens <= half_past_noon && half_past_noon < s.closes)
    }

    /// Whether it opens on Saturday or Sunday.
    pub fn offers_weekend(&self) -> bool {
        self.sessions.iter().any(|s| s.on(6) || s.on(7))
    }

    /// The window of a number.
    pub fn window(&self, no: u32) -> Option<&Window> {
        self.windows.iter().find(|w| w.no == no)
    }

    /// The open windows serving a line.
    pub fn windows_serving<'a>(&'a self, line: &'a str) -> impl Iterator<Item = &'a Window> + 'a {
        self.windows.iter().filter(move |w| w.open && w.serves(line))
    }

    /// The lines some open window serves, sorted, each once.
    pub fn lines(&self) -> Vec<String> {
        let mut v: Vec<String> = self.windows.iter().filter(|w| w.open).flat_map(|w| w.lines.iter().cloned()).collect();
        v.sort();
        v.dedup();
        v
    }

    /// The session covering a whole span of local time `[from, to)` on one day (an appointment slot), if one does.
    pub fn session_covering(&self, from: NaiveDateTime, to: NaiveDateTime) -> Option<&Session> {
        if to <= from || to.date() != from.date() {
            return None;
        }
        self.sessions.iter().find(|s| s.on(weekday(from)) && s.opens <= from.time() && to.time() <= s.closes)
    }

    /// When it is next open: `local` itself when open then, else the next session's start within
    /// a week (`None` when it has no sessions).
    pub fn next_opening(&self, local: NaiveDateTime) -> Option<NaiveDateTime> {
        if self.is_open_at(local) {
            return Some(local);
        }
        let mut best: Option<NaiveDateTime> = None;
        for d in 0..=7 {
            let day = local.date() + Duration::days(d);
            let wd = u8::try_from(day.weekday().number_from_monday()).unwrap_or(1);
            for s in self.sessions.iter().filter(|s| s.on(wd)) {
                let at = day.and_time(s.opens);
                if at > local && best.is_none_or(|b| at < b) {
                    best = Some(at);
                }
            }
            if best.is_some() {
                break;
            }
        }
        best
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
pub(crate) mod tests {
    use chrono::NaiveDate;

    use super::*;

    pub(crate) fn t(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).unwrap()
    }

    /// 2026-12-07 is a Monday.
    pub(crate) fn at(day: u32, h: u32, m: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 12, day).unwrap().and_time(t(h, m))
    }

    pub(crate) fn window(no: u32, lines: &[&str]) -> Window {
        Window { no, name: format!("{no}号窗口"), lines: lines.iter().map(|s| (*s).to_owned()).collect(), open: true, staff: Some(100 + i64::from(no)) }
    }

    /// A district hall: weekdays 08:30–12:00 and 13:30–17:00, Saturday 09:00–12:00; windows 1–2
    /// social insurance, 3 tax, 4 social insurance and tax, 5 real estate (closed).
    pub(crate) fn sample() -> Hall {
        Hall {
            id: HallId(1),
            name: "富阳区政务服务中心".into(),
            level: Level::District,
            town: "330111001".into(),
            address: "富阳区金桥北路 1 号".into(),
            lat: 30.05,
            lon: 119.96,
            status: HallStatus::Open,
            sessions: vec![
                Session { weekdays: vec![1, 2, 3, 4, 5], opens: t(8, 30), closes: t(12, 0) },
                Session { weekdays: vec![1, 2, 3, 4, 5], opens: t(13, 30), closes: t(17, 0) },
                Session { weekdays: vec![6], opens: t(9, 0), closes: t(12, 0) },
            ],
            windows: vec![
                window(1, &["social_insurance"]),
                window(2, &["social_insurance"]),
                window(3, &["tax"]),
                window(4, &["social_insurance", "tax"]),
                Window { open: false, ..window(5, &["real_estate"]) },
            ],
            terminals: vec![Terminal { no: 1, name: "社保自助一体机".into(), items: vec!["rsj-social-card".into()] }],
        }
    }

    fn rules() -> HallRules {
        HallRules::embedded().unwrap()
    }

    #[test]
    fn local_time_is_utc_plus_eight() {
        let now = at(7, 1, 0).and_utc();
        assert_eq!(local(now), at(7, 9, 0));
        assert_eq!(utc(at(7, 9, 0)), now);
        assert_eq!(show(at(7, 9, 5)), "2026-12-07 09:05");
    }

    #[test]
    fn the_sample_is_valid_and_its_hours_are_right() {
        let h = sample();
        h.validate(&rules()).unwrap();
        assert!(h.is_open_at(at(7, 8, 30)));
        assert!(!h.is_open_at(at(7, 12, 0)));
        assert!(!h.is_open_at(at(7, 12, 30)));
        assert!(h.is_open_at(at(12, 11, 59)));
        assert!(!h.is_open_at(at(13, 10, 0)));
        assert!(!h.offers_lunch());
        assert!(h.offers_weekend());
        assert_eq!(h.next_opening(at(7, 12, 10)), Some(at(7, 13, 30)));
        assert_eq!(h.next_opening(at(7, 9, 0)), Some(at(7, 9, 0)));
        assert_eq!(h.next_opening(at(12, 12, 0)), Some(at(14, 8, 30)));
        assert_eq!(h.lines(), ["social_insurance", "tax"]);
        assert_eq!(h.windows_serving("social_insurance").map(|w| w.no).collect::<Vec<_>>(), [1, 2, 4]);
        assert_eq!(h.windows_serving("real_estate").count(), 0);
        assert_eq!(h.window(3).map(|w| w.name.as_str()), Some("3号窗口"));
        let mut lunch = h.clone();
        lunch.sessions = vec![Session { weekdays: vec![1, 2, 3, 4, 5], opens: t(8, 30), closes: t(17, 0) }];
        assert!(lunch.offers_lunch() && !lunch.offers_weekend());
        assert!(h.session_covering(at(7, 11, 30), at(7, 12, 0)).is_some());
        assert!(h.session_covering(at(7, 11, 45), at(7, 12, 15)).is_none());
    }

    #[test]
    fn bad_halls_are_refused_with_the_field() {
        let r = rules();
        type Case = (fn(&mut Hall), &'static str);
        let cases: Vec<Case> = vec![
            (|h| h.name = " ".into(), "name"),
            (|h| h.town = "33011100".into(), "town"),
            (|h| h.town = "330111000".into(), "town"),
            (|h| h.lat = 91.0, "lat"),
            (|h| h.lon = f64::NAN, "lon"),
            (|h| h.sessions.clear(), "sessions"),
            (|h| h.sessions[0].weekdays = vec![2, 1], "sessions[0].weekdays"),
            (|h| h.sessions[0].weekdays = vec![8], "sessions[0].weekdays"),
            (|h| h.sessions[1].closes = t(13, 0), "sessions[1].closes"),
            (|h| h.sessions[1].opens = t(11, 0), "sessions[1]"),
            (|h| h.windows.clear(), "windows"),
            (|h| h.windows[1].no = 1, "windows[1].no"),
            (|h| h.windows[1].no = 1000, "windows[1].no"),
            (|h| h.windows[1].lines = vec!["nothing".into()], "windows[1].lines[0]"),
            (|h| h.windows[1].lines.clear(), "windows[1].lines"),
            (|h| h.windows[3].lines = vec!["tax".into(), "tax".into()], "windows[3].lines[1]"),
            (|h| h.terminals.push(Terminal { no: 1, name: "x".into(), items: vec![] }), "terminals[1].no"),
        ];
        for (f, field) in cases {
            let mut h = sample();
            f(&mut h);
            let e = h.validate(&r).unwrap_err();
            assert_eq!(e.field().as_deref(), Some(field), "{e:?}");
        }
    }

    #[test]
    fn levels_parse_from_key_or_name() {
        for l in Level::ALL {
            assert_eq!(Level::parse(l.key()).unwrap(), l);
            assert_eq!(Level::parse(l.name_zh()).unwrap(), l);
        }
        assert!(Level::parse("city").is_err());
        assert_eq!(serde_json::to_string(&HallId(7)).unwrap(), "7");
        assert_eq!(TicketId(3).to_string(), "3");
        assert_eq!("42".parse::<HallId>().unwrap(), HallId(42));
        assert!("x".parse::<TicketId>().is_err());
    }
}
