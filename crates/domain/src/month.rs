//! `Month`: a calendar month, written `YYYY-MM` — the month a settlement covers or a benefit is
//! paid for — and `InvalidMonth`, the error of one that is not.

use std::fmt;
use std::str::FromStr;

use chrono::Datelike;
use chrono::NaiveDate;
use serde::Deserialize;
use serde::Serialize;

use crate::describe::Describe;

/// A calendar month. Build one with [`Month::new`], [`Month::of`] or by parsing `"2024-03"`;
/// serialized as that text. The fields are public for matching; a month built by hand with
/// values out of range has 1900-01-01 as its first and last day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Month {
    /// The year, 1900–2200.
    pub year: i32,
    /// The month, 1–12.
    pub month: u32,
}

impl Month {
    /// The month `month` (1–12) of `year` (1900–2200).
    pub fn new(year: i32, month: u32) -> Result<Month, InvalidMonth> {
        let m = Month { year, month };
        if m.is_valid() { Ok(m) } else { Err(InvalidMonth { input: format!("{year:04}-{month:02}") }) }
    }

    /// The month `date` falls in.
    pub fn of(date: NaiveDate) -> Month {
        Month { year: date.year(), month: date.month() }
    }

    /// Whether the fields are in range.
    pub fn is_valid(&self) -> bool {
        (1900..=2200).contains(&self.year) && (1..=12).contains(&self.month)
    }

    /// The first day of the month (1900-01-01 for a month out of range).
    pub fn first_day(&self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, self.month, 1).unwrap_or(FALLBACK)
    }

    /// The last day of the month (1900-01-01 for a month out of range).
    pub fn last_day(&self) -> NaiveDate {
        self.next().first_day().pred_opt().filter(|_| self.is_valid()).unwrap_or(FALLBACK)
    }

    /// The month after this one.
    pub fn next(&self) -> Month {
        if self.month >= 12 { Month { year: self.year.saturating_add(1), month: 1 } } else { Month { year: self.year, month: self.month + 1 } }
    }

    /// The month before this one.
    pub fn prev(&self) -> Month {
        if self.month <= 1 { Month { year: self.year.saturating_sub(1), month: 12 } } else { Month { year: self.year, month: self.month - 1 } }
    }

    /// Parses `YYYY-MM` (also `YYYY-M`), as `str::parse` does.
    pub fn parse(s: &str) -> Result<Month, InvalidMonth> {
        s.parse()
    }

    /// The month `n` months before this one.
    pub fn back(&self, n: u32) -> Month {
        let total = i64::from(self.year) * 12 + i64::from(self.month) - 1 - i64::from(n);
        Month { year: i32::try_from(total.div_euclid(12)).unwrap_or(1900), month: u32::try_from(total.rem_euclid(12)).unwrap_or(0) + 1 }
    }

    /// Whether `date` is in this month.
    pub fn contains(&self, date: NaiveDate) -> bool {
        date.year() == self.year && date.month() == self.month
    }
}

const FALLBACK: NaiveDate = match NaiveDate::from_ymd_opt(1900, 1, 1) {
    Some(d) => d,
    None => NaiveDate::MIN,
};

/// A text or fields that are not a month from 1900-01 to 2200-12.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{input:?} is not a month (YYYY-MM)")]
pub struct InvalidMonth {
    /// What was given.
    pub input: String,
}

impl Describe for InvalidMonth {
    fn code(&self) -> &'static str {
        "invalid_month"
    }
    fn message_zh(&self) -> String {
        format!("「{}」不是有效的月份，请按 2026-03 的格式填写", self.input)
    }
    fn message_en(&self) -> String {
        format!("{:?} is not a month: write it as 2026-03", self.input)
    }
}

impl fmt::Display for Month {
    /// `2024-03`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl FromStr for Month {
    type Err = InvalidMonth;
    /// Parses `YYYY-MM` (also `YYYY-M`).
    fn from_str(s: &str) -> Result<Month, InvalidMonth> {
        let bad = || InvalidMonth { input: s.to_owned() };
        let (y, m) = s.trim().split_once('-').ok_or_else(bad)?;
        if y.len() != 4 || m.is_empty() || m.len() > 2 || !y.bytes().chain(m.bytes()).all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let year: i32 = y.parse().map_err(|_| bad())?;
        let month: u32 = m.parse().map_err(|_| bad())?;
        Month::new(year, month).map_err(|_| bad())
    }
}

impl TryFrom<String> for Month {
    type Error = InvalidMonth;
    fn try_from(s: String) -> Result<Month, InvalidMonth> {
        s.parse()
    }
}

impl From<Month> for String {
    fn from(m: Month) -> String {
        m.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("a date")
    }

    #[test]
    fn months_parse_print_and_bound() {
        let m: Month = "2024-02".parse().expect("a month");
        assert_eq!(m, Month { year: 2024, month: 2 });
        assert_eq!(m.to_string(), "2024-02");
        assert_eq!(m.first_day(), d(2024, 2, 1));
        assert_eq!(m.last_day(), d(2024, 2, 29));
        assert_eq!(Month::new(2023, 12).expect("ok").next(), Month { year: 2024, month: 1 });
        assert_eq!(Month::new(2024, 1).expect("ok").prev(), Month { year: 2023, month: 12 });
        assert!(m.contains(d(2024, 2, 29)) && !m.contains(d(2024, 3, 1)));
        assert_eq!(Month::of(d(2022, 11, 30)).to_string(), "2022-11");
        assert_eq!(Month::parse("2026-12").expect("ok").back(12), Month { year: 2025, month: 12 });
        assert_eq!(Month::parse("2026-03").expect("ok").back(3), Month { year: 2025, month: 12 });
        assert_eq!(Month::parse("2026-03").expect("ok").back(0).to_string(), "2026-03");
        for bad in ["2024-13", "2024-0", "24-01", "2024/01", "", "2024-1a", "1800-01", "2024-001"] {
            assert!(bad.parse::<Month>().is_err(), "{bad}");
        }
        let bad = Month { year: 2024, month: 13 };
        assert!(!bad.is_valid());
        assert_eq!(bad.first_day(), FALLBACK);
        assert_eq!(bad.last_day(), FALLBACK);
        assert_eq!(serde_json::to_string(&m).expect("json"), "\"2024-02\"");
        assert!(serde_json::from_str::<Month>("\"2024-13\"").is_err());
    }
}
