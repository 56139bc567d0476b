//! The working-day calendar: weekends, public holidays and adjusted working days (调休), for deadlines.
//!
//! Deadlines in Chinese administrative law are counted in working days (工作日). A
//! [`WorkCalendar`] knows, for the years its data covers, which days are public holidays and
//! which weekend days are worked instead; outside those years it falls back to the weekend rule.
//!
//! Internally every day is a number (0 = 0001-01-01, a Monday), and the calendar keeps, for the
//! covered years, the count of working days before each day. Outside them the count has a closed
//! form (five working days a week), so counting and stepping over any span are O(1) and
//! O(log n), never a loop over days.

use std::collections::HashMap;
use std::fmt;
use std::ops::RangeInclusive;

use chrono::{Datelike, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};
use toml::Spanned;

use crate::Describe;

/// What kind of day a date is.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DayKind {
    /// An ordinary Monday to Friday.
    Workday,
    /// An ordinary Saturday or Sunday.
    Weekend,
    /// A day off of a public holiday (weekend days inside the break included).
    Holiday {
        /// The holiday's Chinese name, e.g. `春节`.
        name: String,
    },
    /// A Saturday or Sunday that is worked to bridge a holiday (调休上班日).
    AdjustedWorkday {
        /// The Chinese name of the holiday it belongs to.
        name: String,
    },
}

impl DayKind {
    /// Whether people work on such a day.
    pub fn is_working(&self) -> bool {
        matches!(self, DayKind::Workday | DayKind::AdjustedWorkday { .. })
    }
}

/// Whether a year's data is copied from the State Council's notice or derived by us.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HolidayStatus {
    /// Copied from the published notice.
    Official,
    /// Derived from the statutory rules until the notice is published.
    Provisional,
}

/// Why a calendar file was rejected. Every variant but [`CalendarError::NoYears`] names the
/// 1-based line of the file where the problem is.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    /// Not valid TOML, or not the expected shape (a missing or unknown key, a wrong type).
    #[error("line {line}: {message}")]
    Syntax {
        /// Where the parser stopped.
        line: usize,
        /// The parser's message.
        message: String,
    },
    /// The file lists no year.
    #[error("the calendar lists no year")]
    NoYears,
    /// A year outside 1900..=9999.
    #[error("line {line}: year {year} is out of range (1900..=9999)")]
    BadYear {
        /// The line of the year.
        line: usize,
        /// The year given.
        year: i32,
    },
    /// A year listed twice.
    #[error("line {line}: year {year} is already listed on line {first_line}")]
    DuplicateYear {
        /// The line of the second listing.
        line: usize,
        /// The year.
        year: i32,
        /// The line of the first listing.
        first_line: usize,
    },
    /// The years do not form one unbroken range.
    #[error(
        "line {line}: year {year} is missing before this year; the years must follow each other"
    )]
    MissingYear {
        /// The line of the first year after the gap.
        line: usize,
        /// The first missing year.
        year: i32,
    },
    /// A required text is empty.
    #[error("line {line}: {field} is empty")]
    EmptyField {
        /// The line of the field.
        line: usize,
        /// The field's key.
        field: &'static str,
    },
    /// A holiday with no day off.
    #[error("line {line}: holiday {name} has no days")]
    EmptyHoliday {
        /// The line of the holiday's name.
        line: usize,
        /// The holiday's name.
        name: String,
    },
    /// Not a real date written as YYYY-MM-DD.
    #[error("line {line}: {value:?} is not a date written as YYYY-MM-DD")]
    BadDate {
        /// The line of the date.
        line: usize,
        /// The text given.
        value: String,
    },
    /// A date listed under another year.
    #[error("line {line}: {date} is not in year {year}, under which it is listed")]
    OutsideYear {
        /// The line of the date.
        line: usize,
        /// The date.
        date: NaiveDate,
        /// The year it is listed under.
        year: i32,
    },
    /// A date listed twice as a day off, or twice as an adjusted working day.
    #[error("line {line}: {date} is already listed on line {first_line}")]
    DuplicateDate {
        /// The line of the second listing.
        line: usize,
        /// The date.
        date: NaiveDate,
        /// The line of the first listing.
        first_line: usize,
    },
    /// A date listed both as a day off and as an adjusted working day.
    #[error(
        "line {line}: {date} is listed both as a holiday and (line {other_line}) as an adjusted working day"
    )]
    HolidayOnAdjustedDay {
        /// The line of the later listing.
        line: usize,
        /// The date.
        date: NaiveDate,
        /// The line of the earlier listing.
        other_line: usize,
    },
    /// An adjusted working day on Monday to Friday, which is a working day anyway.
    #[error("line {line}: adjusted working day {date} is a {weekday}, not a Saturday or Sunday")]
    WorkdayNotWeekend {
        /// The line of the date.
        line: usize,
        /// The date.
        date: NaiveDate,
        /// Its day of the week.
        weekday: Weekday,
    },
}

impl CalendarError {
    /// The 1-based line of the file where the problem is.
    pub fn line(&self) -> Option<usize> {
        match self {
            CalendarError::NoYears => None,
            CalendarError::Syntax { line, .. }
            | CalendarError::BadYear { line, .. }
            | CalendarError::DuplicateYear { line, .. }
            | CalendarError::MissingYear { line, .. }
            | CalendarError::EmptyField { line, .. }
            | CalendarError::EmptyHoliday { line, .. }
            | CalendarError::BadDate { line, .. }
            | CalendarError::OutsideYear { line, .. }
            | CalendarError::DuplicateDate { line, .. }
            | CalendarError::HolidayOnAdjustedDay { line, .. }
            | CalendarError::WorkdayNotWeekend { line, .. } => Some(*line),
        }
    }
}

fn weekday_zh(w: Weekday) -> &'static str {
    match w {
        Weekday::Mon => "星期一",
        Weekday::Tue => "星期二",
        Weekday::Wed => "星期三",
        Weekday::Thu => "星期四",
        Weekday::Fri => "星期五",
        Weekday::Sat => "星期六",
        Weekday::Sun => "星期日",
    }
}

impl Describe for CalendarError {
    fn code(&self) -> &'static str {
        "invalid_calendar"
    }

    fn message_zh(&self) -> String {
        let at = |line: &usize| format!("节假日数据第 {line} 行：");
        match self {
            CalendarError::Syntax { line, message } => {
                format!(
                    "{}格式错误（{message}），请对照文件开头的说明修改。",
                    at(line)
                )
            }
            CalendarError::NoYears => "节假日数据中没有任何年份，请至少添加一个 [[year]]。".into(),
            CalendarError::BadYear { line, year } => {
                format!("{}年份 {year} 超出范围，应在 1900 至 9999 之间。", at(line))
            }
            CalendarError::DuplicateYear {
                line,
                year,
                first_line,
            } => {
                format!(
                    "{}{year} 年已在第 {first_line} 行列出，每年只能列一次，请合并。",
                    at(line)
                )
            }
            CalendarError::MissingYear { line, year } => {
                format!("{}缺少 {year} 年：所列年份必须连续，请补上该年。", at(line))
            }
            CalendarError::EmptyField { line, field } => format!("{}{field} 不能为空。", at(line)),
            CalendarError::EmptyHoliday { line, name } => {
                format!("{}节日“{name}”没有列出放假日期（days），请补上。", at(line))
            }
            CalendarError::BadDate { line, value } => {
                format!(
                    "{}“{value}”不是有效日期，请按 YYYY-MM-DD 格式填写真实存在的日期。",
                    at(line)
                )
            }
            CalendarError::OutsideYear { line, date, year } => {
                format!(
                    "{}{date} 不属于所在的 {year} 年，请把它移到该日期所在年份下。",
                    at(line)
                )
            }
            CalendarError::DuplicateDate {
                line,
                date,
                first_line,
            } => {
                format!(
                    "{}{date} 已在第 {first_line} 行列出，请删去重复的一处。",
                    at(line)
                )
            }
            CalendarError::HolidayOnAdjustedDay {
                line,
                date,
                other_line,
            } => format!(
                "{}{date} 同时被列为放假日和调休上班日（另见第 {other_line} 行），请核对通知后只保留一处。",
                at(line)
            ),
            CalendarError::WorkdayNotWeekend {
                line,
                date,
                weekday,
            } => format!(
                "{}调休上班日 {date} 是{}，本来就是工作日；调休上班日只能是星期六或星期日，请核对。",
                at(line),
                weekday_zh(*weekday)
            ),
        }
    }

    fn message_en(&self) -> String {
        format!("Holiday calendar: {self}.")
    }
}

/// One `[[year]]` of the file as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    year: Vec<RawYear>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawYear {
    year: Spanned<i32>,
    source: Spanned<String>,
    status: HolidayStatus,
    #[serde(default)]
    holiday: Vec<RawHoliday>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHoliday {
    name: Spanned<String>,
    #[serde(default)]
    name_en: Option<String>,
    days: Vec<Spanned<String>>,
    #[serde(default)]
    workdays: Vec<Spanned<String>>,
}

#[derive(Clone, Debug)]
struct Holiday {
    name: String,
    name_en: Option<String>,
}

#[derive(Clone, Copy, Debug)]
struct Special {
    working: bool,
    holiday: usize,
}

#[derive(Clone, Debug)]
struct YearInfo {
    source: String,
    status: HolidayStatus,
}

/// Working days with public holidays and adjusted working days.
///
/// Built from a TOML file ([`WorkCalendar::from_toml`]); [`WorkCalendar::china()`] is the
/// embedded calendar of the People's Republic of China.
#[derive(Clone)]
pub struct WorkCalendar {
    first_year: i32,
    last_year: i32,
    /// Day number of 1 January of `first_year`.
    start: i64,
    /// `cum[i]` = working days in `[start, start + i)`; one entry per covered day plus one.
    cum: Vec<i64>,
    special: HashMap<NaiveDate, Special>,
    holidays: Vec<Holiday>,
    years: Vec<YearInfo>,
}

/// 0 for 0001-01-01 (a Monday), counting days.
fn day_number(d: NaiveDate) -> i64 {
    i64::from(d.num_days_from_ce()) - 1
}

fn from_day_number(n: i64) -> Option<NaiveDate> {
    i32::try_from(n.checked_add(1)?)
        .ok()
        .and_then(NaiveDate::from_num_days_from_ce_opt)
}

/// Monday to Friday days in `[0, x)` (negative for `x < 0`).
fn weekdays_before(x: i64) -> i64 {
    5 * x.div_euclid(7) + x.rem_euclid(7).min(5)
}

/// The smallest `x` with `weekdays_before(x) >= t`.
fn weekdays_reach(t: i64) -> i64 {
    7 * (t - 1).div_euclid(5) + (t - 1).rem_euclid(5) + 1
}

fn is_weekend(d: NaiveDate) -> bool {
    matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
}

fn line_of(text: &str, offset: usize) -> usize {
    text.get(..offset)
        .map_or(1, |before| before.matches('\n').count() + 1)
}

/// A strict YYYY-MM-DD date.
fn parse_date(s: &str) -> Option<NaiveDate> {
    let b = s.as_bytes();
    let shape = b.len() == 10
        && b.iter().enumerate().all(|(i, c)| {
            if i == 4 || i == 7 {
                *c == b'-'
            } else {
                c.is_ascii_digit()
            }
        });
    if !shape {
        return None;
    }
    NaiveDate::from_ymd_opt(
        s.get(..4)?.parse().ok()?,
        s.get(5..7)?.parse().ok()?,
        s.get(8..)?.parse().ok()?,
    )
}

impl WorkCalendar {
    /// The calendar of the People's Republic of China embedded in the binary
    /// (`data/calendar/cn-workdays.toml`).
    pub fn china() -> WorkCalendar {
        const TEXT: &str = include_str!("../../../data/calendar/cn-workdays.toml");
        // The embedded file is checked by a unit test; should it ever fail anyway, fall back to
        // the weekend rule for its years rather than panic.
        WorkCalendar::from_toml(TEXT).unwrap_or_else(|_| WorkCalendar::weekends_only(2024..=2027))
    }

    /// A calendar with no holidays at all: Monday to Friday are working days.
    pub fn weekends_only(years: RangeInclusive<i32>) -> WorkCalendar {
        let first = (*years.start()).clamp(1900, 9999);
        let last = (*years.end()).clamp(first, 9999);
        let years = (first..=last)
            .map(|_| YearInfo {
                source: String::new(),
                status: HolidayStatus::Official,
            })
            .collect();
        WorkCalendar::build(first, last, HashMap::new(), Vec::new(), years)
    }

    /// Reads a calendar file (see `data/calendar/cn-workdays.toml` for the shape).
    pub fn from_toml(text: &str) -> Result<WorkCalendar, CalendarError> {
        let raw: RawFile = toml::from_str(text).map_err(|e| CalendarError::Syntax {
            line: e.span().map_or(1, |s| line_of(text, s.start)),
            message: e.message().trim().to_owned(),
        })?;
        let line = |span: std::ops::Range<usize>| line_of(text, span.start);

        let mut years: Vec<&RawYear> = raw.year.iter().collect();
        years.sort_by_key(|y| (*y.year.get_ref(), y.year.span().start));
        let (Some(first), Some(last)) = (years.first(), years.last()) else {
            return Err(CalendarError::NoYears);
        };
        let (first_year, last_year) = (*first.year.get_ref(), *last.year.get_ref());
        let mut year_lines: HashMap<i32, usize> = HashMap::new();
        let mut expected = first_year;
        for y in &years {
            let (year, at) = (*y.year.get_ref(), line(y.year.span()));
            if !(1900..=9999).contains(&year) {
                return Err(CalendarError::BadYear { line: at, year });
            }
            if let Some(&first_line) = year_lines.get(&year) {
                return Err(CalendarError::DuplicateYear {
                    line: at,
                    year,
                    first_line,
                });
            }
            if year != expected {
                return Err(CalendarError::MissingYear {
                    line: at,
                    year: expected,
                });
            }
            year_lines.insert(year, at);
            expected = year + 1;
            if y.source.get_ref().trim().is_empty() {
                return Err(CalendarError::EmptyField {
                    line: line(y.source.span()),
                    field: "source",
                });
            }
        }

        // Checked in file order, so "already listed on line N" points backwards.
        let mut holidays = Vec::new();
        let mut special: HashMap<NaiveDate, (Special, usize)> = HashMap::new();
        for y in &raw.year {
            let year = *y.year.get_ref();
            for h in &y.holiday {
                let name = h.name.get_ref().trim();
                if name.is_empty() {
                    return Err(CalendarError::EmptyField {
                        line: line(h.name.span()),
                        field: "name",
                    });
                }
                if h.days.is_empty() {
                    return Err(CalendarError::EmptyHoliday {
                        line: line(h.name.span()),
                        name: name.to_owned(),
                    });
                }
                let index = holidays.len();
                holidays.push(Holiday {
                    name: name.to_owned(),
                    name_en: h
                        .name_en
                        .as_deref()
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(String::from),
                });
                let listed = h
                    .days
                    .iter()
                    .map(|d| (d, false))
                    .chain(h.workdays.iter().map(|d| (d, true)));
                for (value, working) in listed {
                    let at = line(value.span());
                    let date = parse_date(value.get_ref().trim()).ok_or_else(|| {
                        CalendarError::BadDate {
                            line: at,
                            value: value.get_ref().clone(),
                        }
                    })?;
                    if date.year() != year {
                        return Err(CalendarError::OutsideYear {
                            line: at,
                            date,
                            year,
                        });
                    }
                    if working && !is_weekend(date) {
                        return Err(CalendarError::WorkdayNotWeekend {
                            line: at,
                            date,
                            weekday: date.weekday(),
                        });
                    }
                    if let Some((before, first_line)) = special.get(&date) {
                        return Err(if before.working == working {
                            CalendarError::DuplicateDate {
                                line: at,
                                date,
                                first_line: *first_line,
                            }
                        } else {
                            CalendarError::HolidayOnAdjustedDay {
                                line: at,
                                date,
                                other_line: *first_line,
                            }
                        });
                    }
                    special.insert(
                        date,
                        (
                            Special {
                                working,
                                holiday: index,
                            },
                            at,
                        ),
                    );
                }
            }
        }

        let infos = years
            .iter()
            .map(|y| YearInfo {
                source: y.source.get_ref().trim().to_owned(),
                status: y.status,
            })
            .collect();
        let special = special.into_iter().map(|(d, (s, _))| (d, s)).collect();
        Ok(WorkCalendar::build(
            first_year, last_year, special, holidays, infos,
        ))
    }

    fn build(
        first_year: i32,
        last_year: i32,
        special: HashMap<NaiveDate, Special>,
        holidays: Vec<Holiday>,
        years: Vec<YearInfo>,
    ) -> WorkCalendar {
        let first = NaiveDate::from_ymd_opt(first_year, 1, 1).unwrap_or(NaiveDate::MIN);
        let end = NaiveDate::from_ymd_opt(last_year + 1, 1, 1).unwrap_or(first);
        let mut cum =
            Vec::with_capacity(usize::try_from((end - first).num_days() + 1).unwrap_or(0));
        let mut count = 0;
        cum.push(count);
        for d in first.iter_days().take_while(|d| *d < end) {
            let working = special.get(&d).map_or(!is_weekend(d), |s| s.working);
            count += i64::from(working);
            cum.push(count);
        }
        WorkCalendar {
            first_year,
            last_year,
            start: day_number(first),
            cum,
            special,
            holidays,
            years,
        }
    }

    /// The years the data covers.
    pub fn years(&self) -> RangeInclusive<i32> {
        self.first_year..=self.last_year
    }

    /// Whether `date` falls in a covered year.
    pub fn covers(&self, date: NaiveDate) -> bool {
        self.years().contains(&date.year())
    }

    /// The notice a covered year's data was copied from.
    pub fn source(&self, year: i32) -> Option<&str> {
        self.year_info(year).map(|y| y.source.as_str())
    }

    /// Whether a covered year's data is official or provisional.
    pub fn status(&self, year: i32) -> Option<HolidayStatus> {
        self.year_info(year).map(|y| y.status)
    }

    fn year_info(&self, year: i32) -> Option<&YearInfo> {
        usize::try_from(year.checked_sub(self.first_year)?)
            .ok()
            .and_then(|i| self.years.get(i))
    }

    /// What kind of day `date` is. Outside the covered years: the weekend rule only.
    pub fn day_kind(&self, date: NaiveDate) -> DayKind {
        match self.special.get(&date) {
            Some(s) => {
                let name = self
                    .holidays
                    .get(s.holiday)
                    .map(|h| h.name.clone())
                    .unwrap_or_default();
                if s.working {
                    DayKind::AdjustedWorkday { name }
                } else {
                    DayKind::Holiday { name }
                }
            }
            None if is_weekend(date) => DayKind::Weekend,
            None => DayKind::Workday,
        }
    }

    /// The English name of the holiday `date` is a day off of or an adjusted working day for.
    pub fn holiday_name_en(&self, date: NaiveDate) -> Option<&str> {
        let s = self.special.get(&date)?;
        self.holidays.get(s.holiday)?.name_en.as_deref()
    }

    /// Whether people work on `date`.
    pub fn is_working_day(&self, date: NaiveDate) -> bool {
        let d = day_number(date);
        self.count_before(d + 1) - self.count_before(d) == 1
    }

    /// The `n`-th working day strictly after `start`; `start` itself for `n = 0`. Saturates at
    /// the last date chrono can represent; see [`WorkCalendar::checked_add_working_days`].
    pub fn add_working_days(&self, start: NaiveDate, n: u32) -> NaiveDate {
        self.checked_add_working_days(start, n)
            .unwrap_or(NaiveDate::MAX)
    }

    /// The `n`-th working day strictly after `start`, or `None` past the last representable date.
    pub fn checked_add_working_days(&self, start: NaiveDate, n: u32) -> Option<NaiveDate> {
        if n == 0 {
            return Some(start);
        }
        let target = self.count_before(day_number(start) + 1) + i64::from(n);
        from_day_number(self.first_reaching(target) - 1)
    }

    /// The `n`-th working day strictly before `start`; `start` itself for `n = 0`. Saturates at
    /// the first date chrono can represent.
    pub fn sub_working_days(&self, start: NaiveDate, n: u32) -> NaiveDate {
        if n == 0 {
            return start;
        }
        let target = self.count_before(day_number(start)) - i64::from(n) + 1;
        from_day_number(self.first_reaching(target) - 1).unwrap_or(NaiveDate::MIN)
    }

    /// The number of working days in `(from, to]`; negative (minus those in `(to, from]`) when
    /// `to < from`, 0 when equal. `working_days_between(d, add_working_days(d, n)) == n`.
    pub fn working_days_between(&self, from: NaiveDate, to: NaiveDate) -> i64 {
        self.count_before(day_number(to) + 1) - self.count_before(day_number(from) + 1)
    }

    /// The first working day strictly after `date`.
    pub fn next_working_day(&self, date: NaiveDate) -> NaiveDate {
        self.add_working_days(date, 1)
    }

    /// Day number one past the last covered day.
    fn end(&self) -> i64 {
        self.start + i64::try_from(self.cum.len()).unwrap_or(1) - 1
    }

    fn total(&self) -> i64 {
        self.cum.last().copied().unwrap_or(0)
    }

    /// Working days in `[start, x)`, or minus those in `[x, start)` when `x < start`.
    fn count_before(&self, x: i64) -> i64 {
        if x < self.start {
            weekdays_before(x) - weekdays_before(self.start)
        } else if x <= self.end() {
            usize::try_from(x - self.start)
                .ok()
                .and_then(|i| self.cum.get(i))
                .copied()
                .unwrap_or(0)
        } else {
            self.total() + weekdays_before(x) - weekdays_before(self.end())
        }
    }

    /// The smallest `x` with `count_before(x) >= t`.
    fn first_reaching(&self, t: i64) -> i64 {
        if t <= 0 {
            weekdays_reach(t + weekdays_before(self.start))
        } else if t <= self.total() {
            self.start + i64::try_from(self.cum.partition_point(|&c| c < t)).unwrap_or(0)
        } else {
            weekdays_reach(t - self.total() + weekdays_before(self.end()))
        }
    }
}

impl fmt::Debug for WorkCalendar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (holidays, adjusted) =
            self.special.values().fold(
                (0, 0),
                |(h, a), s| {
                    if s.working { (h, a + 1) } else { (h + 1, a) }
                },
            );
        f.debug_struct("WorkCalendar")
            .field("years", &self.years())
            .field("holidays", &holidays)
            .field("adjusted_workdays", &adjusted)
            .finish_non_exhaustive()
    }
}

impl fmt::Display for DayKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DayKind::Workday => f.write_str("工作日"),
            DayKind::Weekend => f.write_str("休息日"),
            DayKind::Holiday { name } => write!(f, "{name}假期"),
            DayKind::AdjustedWorkday { name } => write!(f, "{name}调休上班"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> NaiveDate {
        parse_date(s).unwrap_or_else(|| panic!("bad test date {s}"))
    }

    fn china() -> WorkCalendar {
        WorkCalendar::from_toml(include_str!("../../../data/calendar/cn-workdays.toml"))
            .unwrap_or_else(|e| panic!("embedded calendar: {e}"))
    }

    /// Day-by-day reference implementation, built on `day_kind` only.
    fn naive_between(cal: &WorkCalendar, from: NaiveDate, to: NaiveDate) -> i64 {
        let (lo, hi, sign) = if from <= to {
            (from, to, 1)
        } else {
            (to, from, -1)
        };
        let count = lo
            .iter_days()
            .skip(1)
            .take_while(|d| *d <= hi)
            .filter(|d| cal.day_kind(*d).is_working())
            .count();
        sign * i64::try_from(count).expect("small")
    }

    fn naive_add(cal: &WorkCalendar, start: NaiveDate, n: u32) -> NaiveDate {
        let mut d = start;
        let mut left = n;
        while left > 0 {
            d = d.succ_opt().expect("in range");
            if cal.day_kind(d).is_working() {
                left -= 1;
            }
        }
        d
    }

    /// A small deterministic pseudo-random sequence (xorshift64*).
    struct Rng(u64);
    impl Rng {
        fn below(&mut self, n: u64) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % n
        }
    }

    #[test]
    fn embedded_calendar_parses_and_covers_2024_to_2027() {
        let cal = china();
        assert_eq!(cal.years(), 2024..=2027);
        assert_eq!(WorkCalendar::china().years(), 2024..=2027);
        for year in 2024..=2026 {
            assert_eq!(cal.status(year), Some(HolidayStatus::Official), "{year}");
            assert!(
                cal.source(year).is_some_and(|s| s.contains("国办发明电")),
                "{year}"
            );
        }
        assert_eq!(cal.status(2027), Some(HolidayStatus::Provisional));
        assert_eq!(cal.status(2028), None);
        assert!(cal.covers(date("2024-01-01")) && cal.covers(date("2027-12-31")));
        assert!(!cal.covers(date("2023-12-31")) && !cal.covers(date("2028-01-01")));
    }

    #[test]
    fn day_kinds() {
        let cal = WorkCalendar::china();
        let holiday = |n: &str| DayKind::Holiday { name: n.into() };
        let adjusted = |n: &str| DayKind::AdjustedWorkday { name: n.into() };
        let cases = [
            ("2025-01-26", adjusted("春节")),          // a working Sunday
            ("2025-10-08", holiday("国庆节、中秋节")), // a holiday Wednesday
            ("2025-01-25", DayKind::Weekend),
            ("2025-01-27", DayKind::Workday),
            ("2025-01-28", holiday("春节")),
            ("2025-02-08", adjusted("春节")),
            ("2025-05-31", holiday("端午节")),
            ("2024-02-09", DayKind::Workday), // 除夕 2024 was not a day off
            ("2024-02-18", adjusted("春节")),
            ("2024-09-14", adjusted("中秋节")),
            ("2024-10-12", adjusted("国庆节")),
            ("2026-01-04", adjusted("元旦")),
            ("2026-02-23", holiday("春节")),
            ("2026-02-28", adjusted("春节")),
            ("2026-05-09", adjusted("劳动节")),
            ("2026-09-20", adjusted("国庆节")),
            ("2026-10-10", adjusted("国庆节")),
            ("2027-02-05", holiday("春节")),
            ("2023-12-30", DayKind::Weekend), // outside: weekends only
            ("2028-01-01", DayKind::Weekend),
            ("2028-01-03", DayKind::Workday),
        ];
        for (d, want) in cases {
            let kind = cal.day_kind(date(d));
            assert_eq!(kind, want, "{d}");
            assert_eq!(cal.is_working_day(date(d)), want.is_working(), "{d}");
        }
        assert_eq!(
            cal.holiday_name_en(date("2025-01-26")),
            Some("Spring Festival")
        );
        assert_eq!(cal.holiday_name_en(date("2025-01-27")), None);
        assert_eq!(cal.day_kind(date("2025-01-26")).to_string(), "春节调休上班");
    }

    #[test]
    fn working_days_per_year_match_the_statutory_count() {
        // Adjusted days only move days off around; a year keeps (Mon–Fri days) minus
        // (statutory holidays): 11 before 2025, 13 since.
        let cal = china();
        for (year, want) in [(2024, 251), (2025, 248), (2026, 248), (2027, 248)] {
            let from = NaiveDate::from_ymd_opt(year - 1, 12, 31).expect("date");
            let to = NaiveDate::from_ymd_opt(year, 12, 31).expect("date");
            assert_eq!(cal.working_days_between(from, to), want, "{year}");
            assert_eq!(naive_between(&cal, from, to), want, "{year}");
        }
    }

    #[test]
    fn adjusted_days_are_weekends_and_holidays_are_listed_once() {
        // The parser enforces this for every file; check the embedded data has many of each.
        let cal = china();
        let (mut off, mut worked) = (0, 0);
        for d in date("2024-01-01")
            .iter_days()
            .take_while(|d| d.year() < 2028)
        {
            match cal.day_kind(d) {
                DayKind::Holiday { .. } => off += 1,
                DayKind::AdjustedWorkday { .. } => {
                    assert!(is_weekend(d), "{d}");
                    worked += 1;
                }
                _ => {}
            }
        }
        assert_eq!((off, worked), (30 + 28 + 33 + 29, 8 + 5 + 6 + 5));
    }

    #[test]
    fn add_working_days_across_the_2025_spring_festival() {
        let cal = WorkCalendar::china();
        let cases = [
            ("2025-01-24", 0, "2025-01-24"),
            ("2025-01-24", 1, "2025-01-26"),
            ("2025-01-24", 2, "2025-01-27"),
            ("2025-01-24", 3, "2025-02-05"),
            ("2025-01-27", 1, "2025-02-05"),
            ("2025-01-28", 1, "2025-02-05"), // from inside the break
            ("2025-02-01", 0, "2025-02-01"),
            ("2025-02-04", 5, "2025-02-10"), // 5, 6, 7, 8 (Sat, worked), 10
            ("2025-01-20", 20, "2025-02-21"), // 4 + 26th + 27th + 3 + 8th (Sat) + 5 + 5
            ("2025-09-30", 1, "2025-10-09"),
            ("2027-12-31", 1, "2028-01-03"), // off the end of the data
            ("2023-12-29", 1, "2024-01-02"), // into the data
        ];
        for (start, n, want) in cases {
            assert_eq!(
                cal.add_working_days(date(start), n),
                date(want),
                "{start} + {n}"
            );
            assert_eq!(
                naive_add(&cal, date(start), n),
                date(want),
                "reference {start} + {n}"
            );
        }
        assert_eq!(cal.next_working_day(date("2025-01-27")), date("2025-02-05"));
        assert_eq!(cal.next_working_day(date("2025-01-25")), date("2025-01-26"));
        assert_eq!(
            cal.sub_working_days(date("2025-02-05"), 1),
            date("2025-01-27")
        );
        assert_eq!(
            cal.sub_working_days(date("2025-02-05"), 3),
            date("2025-01-24")
        );
        assert_eq!(
            cal.sub_working_days(date("2024-01-02"), 2),
            date("2023-12-28")
        );
    }

    #[test]
    fn between_agrees_with_add_and_the_reference() {
        let cal = china();
        let first = date("2023-10-01");
        let span = u64::try_from((date("2028-03-31") - first).num_days()).expect("positive");
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        for _ in 0..3000 {
            let a = first + chrono::Days::new(rng.below(span));
            let b = first + chrono::Days::new(rng.below(span));
            let between = cal.working_days_between(a, b);
            assert_eq!(between, naive_between(&cal, a, b), "{a} → {b}");
            assert_eq!(cal.working_days_between(b, a), -between, "{a} ↔ {b}");
            let n = u32::try_from(rng.below(300)).expect("small");
            let end = cal.add_working_days(a, n);
            assert_eq!(end, naive_add(&cal, a, n), "{a} + {n}");
            assert_eq!(
                cal.working_days_between(a, end),
                i64::from(n),
                "{a} + {n} = {end}"
            );
            if n > 0 {
                assert!(cal.is_working_day(end), "{end}");
                // Stepping back lands on `a` itself, or the last working day before it.
                let back = cal.sub_working_days(end, n);
                let want = if cal.is_working_day(a) {
                    a
                } else {
                    cal.sub_working_days(a, 1)
                };
                assert_eq!(back, want, "{end} - {n}");
            }
        }
    }

    #[test]
    fn is_working_day_agrees_with_day_kind_everywhere() {
        let cal = china();
        for d in date("2023-06-01")
            .iter_days()
            .take_while(|d| d.year() < 2029)
        {
            assert_eq!(cal.is_working_day(d), cal.day_kind(d).is_working(), "{d}");
        }
    }

    #[test]
    fn extreme_spans_do_not_panic() {
        let cal = WorkCalendar::china();
        assert_eq!(
            cal.add_working_days(date("2025-01-01"), u32::MAX),
            NaiveDate::MAX
        );
        assert_eq!(
            cal.checked_add_working_days(date("2025-01-01"), u32::MAX),
            None
        );
        assert_eq!(
            cal.sub_working_days(date("2025-01-01"), u32::MAX),
            NaiveDate::MIN
        );
        assert_eq!(cal.add_working_days(NaiveDate::MAX, 1), NaiveDate::MAX);
        let far = cal.working_days_between(NaiveDate::MIN, NaiveDate::MAX);
        assert!(far > 100_000_000, "{far}");
        // Far from the data: 5 working days a week, exactly.
        let monday = date("3000-01-06");
        assert_eq!(monday.weekday(), Weekday::Mon);
        assert_eq!(cal.add_working_days(monday, 5), date("3000-01-13"));
        assert_eq!(cal.working_days_between(monday, date("3000-01-13")), 5);
        assert_eq!(
            cal.add_working_days(date("1999-12-31"), 1_000),
            naive_add(&cal, date("1999-12-31"), 1_000)
        );
    }

    #[test]
    fn weekday_closed_forms() {
        assert_eq!(date("0001-01-01").weekday(), Weekday::Mon);
        assert_eq!(day_number(date("0001-01-01")), 0);
        for x in -30..30 {
            let by_loop = if x >= 0 {
                (0..x).filter(|d: &i64| d % 7 < 5).count() as i64
            } else {
                -((x..0).filter(|d: &i64| d.rem_euclid(7) < 5).count() as i64)
            };
            assert_eq!(weekdays_before(x), by_loop, "{x}");
            let reach = weekdays_reach(x);
            assert!(
                weekdays_before(reach) >= x && weekdays_before(reach - 1) < x,
                "{x}"
            );
        }
    }

    #[test]
    fn debug_is_a_summary() {
        let debug = format!("{:?}", china());
        assert_eq!(
            debug,
            "WorkCalendar { years: 2024..=2027, holidays: 120, adjusted_workdays: 24, .. }"
        );
    }

    #[test]
    fn weekends_only_calendar() {
        let cal = WorkCalendar::weekends_only(2025..=2025);
        assert_eq!(cal.day_kind(date("2025-01-01")), DayKind::Workday);
        assert_eq!(
            cal.working_days_between(date("2024-12-31"), date("2025-12-31")),
            261
        );
        assert_eq!(cal.source(2025), Some(""));
    }

    const GOOD: &str = r#"
[[year]]
year = 2025
source = "test"
status = "official"
[[year.holiday]]
name = "春节"
days = ["2025-01-28", "2025-01-29"]
workdays = ["2025-01-26"]
"#;

    #[test]
    fn small_file_parses() {
        let cal = WorkCalendar::from_toml(GOOD).expect("valid");
        assert_eq!(cal.years(), 2025..=2025);
        assert_eq!(
            cal.day_kind(date("2025-01-29")),
            DayKind::Holiday {
                name: "春节".into()
            }
        );
        assert_eq!(cal.holiday_name_en(date("2025-01-29")), None);
        // 2025-01-26 (Sun, worked) and 2025-01-27; the 28th and 29th are off.
        assert_eq!(
            cal.working_days_between(date("2025-01-25"), date("2025-01-30")),
            3
        );
    }

    #[test]
    fn rejects_bad_files_naming_the_line() {
        let year =
            |y: i32| format!("[[year]]\nyear = {y}\nsource = \"s\"\nstatus = \"official\"\n");
        let holiday = |days: &str, workdays: &str| {
            format!("[[year.holiday]]\nname = \"节\"\ndays = [{days}]\nworkdays = [{workdays}]\n")
        };
        let d = |s: &str| date(s);
        let cases: Vec<(String, CalendarError)> = vec![
            ("".into(), CalendarError::NoYears),
            (
                "[[year]]\nyear = 2025\nsource = \"s\"\nstatus = \"maybe\"\n".into(),
                CalendarError::Syntax {
                    line: 4,
                    message: String::new(),
                },
            ),
            (
                format!("{}typo = 1\n", year(2025)),
                CalendarError::Syntax {
                    line: 5,
                    message: String::new(),
                },
            ),
            (
                format!("{}{}", year(2025), holiday(r#""2025-02-30""#, "")),
                CalendarError::BadDate {
                    line: 7,
                    value: "2025-02-30".into(),
                },
            ),
            (
                format!("{}{}", year(2025), holiday(r#""2025-1-28""#, "")),
                CalendarError::BadDate {
                    line: 7,
                    value: "2025-1-28".into(),
                },
            ),
            (
                format!("{}{}", year(2025), holiday(r#""2026-01-01""#, "")),
                CalendarError::OutsideYear {
                    line: 7,
                    date: d("2026-01-01"),
                    year: 2025,
                },
            ),
            (
                format!(
                    "{}{}",
                    year(2025),
                    holiday("\"2025-01-28\",\n  \"2025-01-28\"", "")
                ),
                CalendarError::DuplicateDate {
                    line: 8,
                    date: d("2025-01-28"),
                    first_line: 7,
                },
            ),
            (
                format!(
                    "{}{}{}",
                    year(2025),
                    holiday(r#""2025-01-28""#, ""),
                    holiday(r#""2025-01-28""#, "")
                ),
                CalendarError::DuplicateDate {
                    line: 11,
                    date: d("2025-01-28"),
                    first_line: 7,
                },
            ),
            (
                format!(
                    "{}{}",
                    year(2025),
                    holiday(r#""2025-01-26""#, r#""2025-01-26""#)
                ),
                CalendarError::HolidayOnAdjustedDay {
                    line: 8,
                    date: d("2025-01-26"),
                    other_line: 7,
                },
            ),
            (
                format!(
                    "{}{}",
                    year(2025),
                    holiday(r#""2025-01-28""#, r#""2025-01-27""#)
                ),
                CalendarError::WorkdayNotWeekend {
                    line: 8,
                    date: d("2025-01-27"),
                    weekday: Weekday::Mon,
                },
            ),
            (
                format!("{}{}", year(2025), holiday("", "")),
                CalendarError::EmptyHoliday {
                    line: 6,
                    name: "节".into(),
                },
            ),
            (
                format!("{}{}", year(2025), year(2025)),
                CalendarError::DuplicateYear {
                    line: 6,
                    year: 2025,
                    first_line: 2,
                },
            ),
            (
                format!("{}{}", year(2024), year(2026)),
                CalendarError::MissingYear {
                    line: 6,
                    year: 2025,
                },
            ),
            (
                year(1800),
                CalendarError::BadYear {
                    line: 2,
                    year: 1800,
                },
            ),
            (
                "[[year]]\nyear = 2025\nsource = \"  \"\nstatus = \"official\"\n".into(),
                CalendarError::EmptyField {
                    line: 3,
                    field: "source",
                },
            ),
        ];
        for (text, want) in cases {
            let got = WorkCalendar::from_toml(&text).expect_err(&text);
            match (&got, &want) {
                (
                    CalendarError::Syntax { line, message },
                    CalendarError::Syntax {
                        line: want_line, ..
                    },
                ) => {
                    assert_eq!(line, want_line, "{text}\n{got}");
                    assert!(!message.is_empty());
                }
                _ => assert_eq!(got, want, "{text}"),
            }
            assert_eq!(got.line(), want.line());
            assert_eq!(got.code(), "invalid_calendar");
            if let Some(line) = got.line() {
                assert!(
                    got.message_zh().contains(&format!("第 {line} 行")),
                    "{}",
                    got.message_zh()
                );
                assert!(
                    got.message_en().contains(&format!("line {line}")),
                    "{}",
                    got.message_en()
                );
            }
        }
    }
}
