//! Resident identity numbers (公民身份号码, GB 11643-1999) and the sex they encode.

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::Describe;
use crate::division::{is_province_code, lookup_region};

/// The region codes of residence permits for Hong Kong, Macao and Taiwan residents
/// (港澳台居民居住证, numbered like identity numbers since 2018): not county codes, so not in the
/// national table, and accepted alike.
const PERMIT_REGIONS: [&str; 3] = ["810000", "820000", "830000"];

/// ISO 7064 MOD 11-2 weights of the first 17 digits (2^(17-i) mod 11).
const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
/// The check character for each value of the weighted sum mod 11.
const CHECK_CHARS: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];

/// The check character of 17 ASCII digits; `None` if `body` is anything else.
fn check_char(body: &str) -> Option<char> {
    if body.len() != 17 || !body.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let sum: u32 = body
        .bytes()
        .zip(WEIGHTS)
        .map(|(b, w)| u32::from(b - b'0') * w)
        .sum();
    CHECK_CHARS.get((sum % 11) as usize).copied()
}

/// A valid 18-character resident identity number.
///
/// `Display` shows the full number; `Debug` shows it masked so it never leaks into logs.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ResidentId(String);

/// Sex, as encoded by the parity of the sequence number of a [`ResidentId`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Sex {
    /// 男: odd sequence number.
    Male,
    /// 女: even sequence number.
    Female,
}

impl Sex {
    /// "男" or "女".
    pub fn name_zh(self) -> &'static str {
        match self {
            Sex::Male => "男",
            Sex::Female => "女",
        }
    }

    /// "male" or "female".
    pub fn name_en(self) -> &'static str {
        match self {
            Sex::Male => "male",
            Sex::Female => "female",
        }
    }
}

/// Why a text is not a valid resident identity number.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ResidentIdError {
    /// Nothing was given.
    #[error("the identity number is empty")]
    Empty,
    /// A 15-digit first-generation number.
    #[error("15-digit first-generation identity numbers are no longer accepted")]
    Legacy15,
    /// Not 18 characters.
    #[error("an identity number has 18 characters, not {len}")]
    Length {
        /// The number of characters given.
        len: usize,
    },
    /// A character that is not a digit (or an X in the last place).
    #[error("character {position} of the identity number is not allowed")]
    Chars {
        /// 1-based position of the first bad character.
        position: usize,
    },
    /// The first two digits are not a province-level code.
    #[error("the identity number does not start with a province code")]
    Region,
    /// The first six digits are neither a current nor a former county-level code (GB/T 2260),
    /// nor one of the residence-permit codes 810000, 820000 and 830000.
    #[error("the first six digits of the identity number, {code:06}, are not a county code")]
    UnknownRegion {
        /// The six digits.
        code: u32,
    },
    /// Digits 7–14 are not a real date on or after 1900-01-01.
    #[error("digits 7-14 of the identity number are not a valid birth date")]
    BirthDate,
    /// The birth date is after today (only [`ResidentId::parse_on`] checks this).
    #[error("the birth date in the identity number is after today")]
    FutureBirthDate,
    /// The last character does not match the check character computed from the first 17.
    #[error("the check character of the identity number should be {expected}, not {found}")]
    CheckDigit {
        /// The check character computed from the first 17 digits.
        expected: char,
        /// The last character given.
        found: char,
    },
}

impl Describe for ResidentIdError {
    fn code(&self) -> &'static str {
        "invalid_id_number"
    }

    fn message_zh(&self) -> String {
        match self {
            ResidentIdError::Empty => "身份证号码为空，请填写 18 位公民身份号码。".into(),
            ResidentIdError::Legacy15 => {
                "不再受理 15 位的第一代身份证号码，请填写 18 位的公民身份号码（第二代身份证上的号码）。".into()
            }
            ResidentIdError::Length { len } => {
                format!("身份证号码应为 18 位，现为 {len} 位，请核对后重新填写。")
            }
            ResidentIdError::Chars { position } => format!(
                "身份证号码第 {position} 位字符无效：前 17 位只能是数字，最后一位只能是数字或字母 X。"
            ),
            ResidentIdError::Region => {
                "身份证号码前两位不是有效的省级地区代码（如浙江省为 33），请核对。".into()
            }
            ResidentIdError::UnknownRegion { code } => format!(
                "身份证号码前 6 位 {code:06} 不是现行或曾经使用过的县级行政区划代码，请核对。"
            ),
            ResidentIdError::BirthDate => {
                "身份证号码第 7 至 14 位不是有效的出生日期（应为 1900 年以后真实存在的日期，格式 YYYYMMDD），请核对。".into()
            }
            ResidentIdError::FutureBirthDate => {
                "身份证号码第 7 至 14 位的出生日期晚于今天，请核对。".into()
            }
            ResidentIdError::CheckDigit { expected, found } => format!(
                "身份证号码校验位不符：按前 17 位计算最后一位应为 {expected}，实际为 {found}。请逐位核对号码，可能有数字输错。"
            ),
        }
    }

    fn message_en(&self) -> String {
        match self {
            ResidentIdError::Empty => "The identity number is empty: enter the 18-character resident identity number.".into(),
            ResidentIdError::Legacy15 => "15-digit first-generation identity numbers are no longer accepted: enter the 18-digit number shown on the second-generation card.".into(),
            ResidentIdError::Length { len } => {
                format!("An identity number has 18 characters; this one has {len}.")
            }
            ResidentIdError::Chars { position } => format!(
                "Character {position} of the identity number is not allowed: the first 17 must be digits and the last a digit or X."
            ),
            ResidentIdError::Region => "The first two digits of the identity number are not a province code (Zhejiang is 33).".into(),
            ResidentIdError::UnknownRegion { code } => format!(
                "The first six digits of the identity number, {code:06}, are not a county code, current or former."
            ),
            ResidentIdError::BirthDate => "Digits 7-14 of the identity number are not a real birth date (YYYYMMDD, 1900 or later).".into(),
            ResidentIdError::FutureBirthDate => "The birth date in digits 7-14 of the identity number is after today.".into(),
            ResidentIdError::CheckDigit { expected, found } => format!(
                "The check character of the identity number should be {expected} but is {found}: one of the digits is probably mistyped."
            ),
        }
    }
}

impl ResidentId {
    /// Parses an identity number: trims surrounding whitespace, accepts a lowercase `x`, stores
    /// it uppercase. Checks the length, the characters, the region (the first six digits are a
    /// current or former county-level code of GB/T 2260, or 810000, 820000 or 830000 of the
    /// residence permits of Hong Kong, Macao and Taiwan residents), that digits 7–14 are a real
    /// date from 1900 on, and the check character.
    ///
    /// It does not know today's date, so it accepts a birth date in the future: where a number
    /// comes from a person and the date is at hand (a server passes [`crate::china_date`] of its
    /// clock's now),
    /// use [`ResidentId::parse_on`]. `parse` is for numbers already stored and for callers with
    /// no date.
    pub fn parse(s: &str) -> Result<Self, ResidentIdError> {
        let s = s.trim();
        if s.is_empty() {
            return Err(ResidentIdError::Empty);
        }
        let len = s.chars().count();
        if len == 15 && s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ResidentIdError::Legacy15);
        }
        if len != 18 {
            return Err(ResidentIdError::Length { len });
        }
        for (i, c) in s.chars().enumerate() {
            let ok = c.is_ascii_digit() || (i == 17 && (c == 'X' || c == 'x'));
            if !ok {
                return Err(ResidentIdError::Chars { position: i + 1 });
            }
        }
        // All ASCII from here on.
        let s = s.to_ascii_uppercase();
        let region = s.get(..6).unwrap_or_default();
        if !PERMIT_REGIONS.contains(&region) {
            let province = s.get(..2).and_then(|p| p.parse::<u8>().ok()).unwrap_or(0);
            if !is_province_code(province) {
                return Err(ResidentIdError::Region);
            }
            if lookup_region(region).is_none() {
                let code = region.parse().unwrap_or(0);
                return Err(ResidentIdError::UnknownRegion { code });
            }
        }
        birth_date_of(&s).ok_or(ResidentIdError::BirthDate)?;
        let body = s.get(..17).unwrap_or_default();
        let expected = check_char(body).ok_or(ResidentIdError::Chars { position: 1 })?;
        let found = s.chars().nth(17).unwrap_or(' ');
        if expected != found {
            return Err(ResidentIdError::CheckDigit { expected, found });
        }
        Ok(ResidentId(s))
    }

    /// Parses an identity number as [`ResidentId::parse`] does, and also refuses a birth date after
    /// `today` ([`ResidentIdError::FutureBirthDate`]). The one to use on a number a person gives:
    /// servers pass [`crate::china_date`] of their clock's now.
    pub fn parse_on(s: &str, today: NaiveDate) -> Result<Self, ResidentIdError> {
        let id = ResidentId::parse(s)?;
        if id.birth_date() > today {
            return Err(ResidentIdError::FutureBirthDate);
        }
        Ok(id)
    }

    /// Builds a number from its parts and computes the check character.
    ///
    /// `region` must be 6 digits and `sequence` at most 999; a part that does not fit shows up as
    /// the error the resulting number would have (a wrong length, a bad character, …).
    pub fn from_parts(
        region: &str,
        birth: NaiveDate,
        sequence: u16,
    ) -> Result<Self, ResidentIdError> {
        let body = format!("{region}{}{sequence:03}", birth.format("%Y%m%d"));
        let check = check_char(&body).unwrap_or('0');
        ResidentId::parse(&format!("{body}{check}"))
    }

    /// The full number.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The 6-digit region code (the region where the number was first issued).
    pub fn region_code(&self) -> &str {
        self.0.get(..6).unwrap_or_default()
    }

    /// The birth date, digits 7–14.
    pub fn birth_date(&self) -> NaiveDate {
        birth_date_of(&self.0).unwrap_or(NaiveDate::MIN)
    }

    /// The 3-digit sequence number, digits 15–17.
    pub fn sequence(&self) -> u16 {
        self.0.get(14..17).and_then(|s| s.parse().ok()).unwrap_or(0)
    }

    /// Male for an odd sequence number, female for an even one.
    pub fn sex(&self) -> Sex {
        if self.sequence() % 2 == 1 {
            Sex::Male
        } else {
            Sex::Female
        }
    }

    /// Age in full years on `date` (0 before the birth date). Someone born on 29 February
    /// becomes a year older on 1 March in common years.
    pub fn age_on(&self, date: NaiveDate) -> u32 {
        let birth = self.birth_date();
        if date <= birth {
            return 0;
        }
        let mut years = date.year() - birth.year();
        if (date.month(), date.day()) < (birth.month(), birth.day()) {
            years -= 1;
        }
        u32::try_from(years).unwrap_or(0)
    }

    /// The first 6 and last 4 characters with 8 stars between, e.g. `330111********123X`.
    pub fn masked(&self) -> String {
        crate::mask::id_number(&self.0)
    }
}

/// The birth date in digits 7–14 of an 18-character ASCII number, if real and not before 1900.
fn birth_date_of(s: &str) -> Option<NaiveDate> {
    let year = s.get(6..10)?.parse().ok()?;
    let month = s.get(10..12)?.parse().ok()?;
    let day = s.get(12..14)?.parse().ok()?;
    NaiveDate::from_ymd_opt(year, month, day).filter(|d| d.year() >= 1900)
}

impl fmt::Display for ResidentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for ResidentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ResidentId({})", self.masked())
    }
}

impl FromStr for ResidentId {
    type Err = ResidentIdError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ResidentId::parse(s)
    }
}

impl TryFrom<String> for ResidentId {
    type Error = ResidentIdError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        ResidentId::parse(&s)
    }
}

impl From<ResidentId> for String {
    fn from(id: ResidentId) -> String {
        id.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
    }

    #[test]
    fn valid_numbers() {
        // (input, stored, region, birth, sequence, sex)
        let cases = [
            (
                "330111199003071237",
                "330111199003071237",
                "330111",
                date(1990, 3, 7),
                123,
                Sex::Male,
            ),
            // The sample number of the standard, with an X check character, given in lowercase.
            (
                " 11010519491231002x ",
                "11010519491231002X",
                "110105",
                date(1949, 12, 31),
                2,
                Sex::Female,
            ),
            (
                "330111200002290011",
                "330111200002290011",
                "330111",
                date(2000, 2, 29),
                1,
                Sex::Male,
            ),
            (
                "440304198501010013",
                "440304198501010013",
                "440304",
                date(1985, 1, 1),
                1,
                Sex::Male,
            ),
        ];
        for (input, stored, region, birth, seq, sex) in cases {
            let id = ResidentId::parse(input).unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(id.as_str(), stored);
            assert_eq!(id.region_code(), region);
            assert_eq!(id.birth_date(), birth);
            assert_eq!(id.sequence(), seq);
            assert_eq!(id.sex(), sex);
        }
    }

    #[test]
    fn invalid_numbers() {
        let cases = [
            ("", ResidentIdError::Empty),
            ("  \t", ResidentIdError::Empty),
            ("330111900307123", ResidentIdError::Legacy15),
            ("33011119900307123", ResidentIdError::Length { len: 17 }),
            ("3301111990030712377", ResidentIdError::Length { len: 19 }),
            (
                "33011119900307123７",
                ResidentIdError::Chars { position: 18 },
            ),
            (
                "3301111990030712X7",
                ResidentIdError::Chars { position: 17 },
            ),
            (
                "33011119900307123A",
                ResidentIdError::Chars { position: 18 },
            ),
            ("990111199003071237", ResidentIdError::Region),
            ("000111199003071237", ResidentIdError::Region),
            // 29 February of a common year.
            ("330111200102290011", ResidentIdError::BirthDate),
            ("330111199013071237", ResidentIdError::BirthDate),
            ("330111189912311237", ResidentIdError::BirthDate),
            (
                "330111199003071236",
                ResidentIdError::CheckDigit {
                    expected: '7',
                    found: '6',
                },
            ),
            (
                "110105194912310021",
                ResidentIdError::CheckDigit {
                    expected: 'X',
                    found: '1',
                },
            ),
        ];
        for (input, want) in cases {
            assert_eq!(ResidentId::parse(input), Err(want.clone()), "{input:?}");
            assert_eq!(want.code(), "invalid_id_number");
        }
    }

    /// A number with a correct check character from its first 17 digits.
    fn number(region: &str, birth: &str, seq: &str) -> String {
        let body = format!("{region}{birth}{seq}");
        let check = check_char(&body).expect("17 digits");
        format!("{body}{check}")
    }

    #[test]
    fn region_is_a_current_or_former_county_code() {
        let accepted = [
            "330111", // 富阳区, current
            "330183", // 富阳市, 富阳区 since 2014
            "330185", // 临安市, 临安区 since 2017
            "330103", // 下城区, merged into 拱墅区 in 2021
            "110105", // 朝阳区
            "441900", // 东莞市, a city without counties
            "810000", // residence permits of Hong Kong,
            "820000", // Macao
            "830000", // and Taiwan residents
        ];
        for region in accepted {
            let text = number(region, "19900307", "123");
            let id = ResidentId::parse(&text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(id.region_code(), region);
        }
        let refused = [
            ("339999", ResidentIdError::UnknownRegion { code: 339_999 }),
            ("330199", ResidentIdError::UnknownRegion { code: 330_199 }),
            ("330000", ResidentIdError::UnknownRegion { code: 330_000 }),
            ("110000", ResidentIdError::UnknownRegion { code: 110_000 }),
            ("810101", ResidentIdError::UnknownRegion { code: 810_101 }),
            ("710000", ResidentIdError::UnknownRegion { code: 710_000 }),
            ("830101", ResidentIdError::Region),
            ("840000", ResidentIdError::Region),
        ];
        for (region, want) in refused {
            let text = number(region, "19900307", "123");
            assert_eq!(ResidentId::parse(&text), Err(want.clone()), "{text}");
            assert_eq!(
                ResidentId::from_parts(region, date(1990, 3, 7), 123),
                Err(want),
                "{region}"
            );
        }
        let unknown = ResidentIdError::UnknownRegion { code: 339_999 };
        assert_eq!(unknown.code(), "invalid_id_number");
        assert!(
            unknown.message_zh().contains("前 6 位 339999"),
            "{}",
            unknown.message_zh()
        );
        assert!(
            unknown.message_en().contains("339999"),
            "{}",
            unknown.message_en()
        );
    }

    #[test]
    fn parse_on_refuses_a_birth_date_after_today() {
        let today = date(2025, 6, 30);
        let born_today = number("330111", "20250630", "012");
        let born_tomorrow = number("330111", "20250701", "012");
        assert_eq!(
            ResidentId::parse_on(&born_today, today).map(|id| id.birth_date()),
            Ok(today)
        );
        assert_eq!(
            ResidentId::parse_on(&born_tomorrow, today),
            Err(ResidentIdError::FutureBirthDate)
        );
        // `parse` knows no date and accepts it.
        assert!(ResidentId::parse(&born_tomorrow).is_ok());
        assert!(ResidentId::parse_on(&born_tomorrow, date(2025, 7, 1)).is_ok());
        // A far future year too, and the other checks come first.
        let far = number("330111", "20990101", "012");
        assert_eq!(
            ResidentId::parse_on(&far, today),
            Err(ResidentIdError::FutureBirthDate)
        );
        assert_eq!(
            ResidentId::parse_on(&number("339999", "20990101", "012"), today),
            Err(ResidentIdError::UnknownRegion { code: 339_999 })
        );
        assert_eq!(ResidentId::parse_on("", today), Err(ResidentIdError::Empty));
        let future = ResidentIdError::FutureBirthDate;
        assert_eq!(future.code(), "invalid_id_number");
        assert!(future.message_zh().contains("晚于今天"));
        assert!(future.message_en().contains("after today"));
    }

    #[test]
    fn messages_are_precise() {
        let check = ResidentIdError::CheckDigit {
            expected: '7',
            found: '6',
        };
        assert!(check.message_zh().contains("应为 7") && check.message_zh().contains("实际为 6"));
        assert!(check.message_en().contains("should be 7 but is 6"));
        let legacy = ResidentIdError::Legacy15;
        assert!(legacy.message_zh().contains("15 位") && legacy.message_zh().contains("18 位"));
        assert!(legacy.message_en().contains("18-digit"));
        assert!(
            ResidentIdError::Chars { position: 5 }
                .message_zh()
                .contains("第 5 位")
        );
        assert!(
            ResidentIdError::Length { len: 17 }
                .message_en()
                .contains("17")
        );
    }

    #[test]
    fn from_parts_computes_the_check_character() {
        let cases = [
            ("330111", date(1990, 3, 7), 123, "330111199003071237"),
            ("110105", date(1949, 12, 31), 2, "11010519491231002X"),
            ("330111", date(2000, 2, 29), 1, "330111200002290011"),
        ];
        for (region, birth, seq, want) in cases {
            let id = ResidentId::from_parts(region, birth, seq).expect(want);
            assert_eq!(id.as_str(), want);
        }
        // Every sequence number round-trips and every computed number parses.
        for seq in 0..=999 {
            let id = ResidentId::from_parts("330111", date(1975, 6, 30), seq).expect("valid parts");
            assert_eq!(id.sequence(), seq);
            assert_eq!(ResidentId::parse(id.as_str()).as_ref(), Ok(&id));
        }
    }

    #[test]
    fn from_parts_rejects_bad_parts() {
        let cases = [
            (
                "33011",
                date(1990, 3, 7),
                1,
                ResidentIdError::Length { len: 17 },
            ),
            (
                "33011a",
                date(1990, 3, 7),
                1,
                ResidentIdError::Chars { position: 6 },
            ),
            ("990111", date(1990, 3, 7), 1, ResidentIdError::Region),
            ("330111", date(1899, 12, 31), 1, ResidentIdError::BirthDate),
            (
                "330111",
                date(1990, 3, 7),
                1000,
                ResidentIdError::Length { len: 19 },
            ),
        ];
        for (region, birth, seq, want) in cases {
            assert_eq!(
                ResidentId::from_parts(region, birth, seq),
                Err(want),
                "{region} {birth} {seq}"
            );
        }
    }

    #[test]
    fn every_corrupted_digit_is_caught() {
        // MOD 11-2 catches every single-digit substitution.
        let good = "330111199003071237";
        for pos in 0..17 {
            for d in b'0'..=b'9' {
                let mut bytes = good.as_bytes().to_vec();
                if bytes[pos] == d {
                    continue;
                }
                bytes[pos] = d;
                let bad = String::from_utf8(bytes).expect("ascii");
                assert!(ResidentId::parse(&bad).is_err(), "{bad} accepted");
            }
        }
    }

    #[test]
    fn age_counts_full_years() {
        let id = ResidentId::parse("330111199003071237").expect("valid");
        let cases = [
            (date(1980, 1, 1), 0),
            (date(1990, 3, 7), 0),
            (date(1991, 3, 6), 0),
            (date(1991, 3, 7), 1),
            (date(2025, 3, 6), 34),
            (date(2025, 3, 7), 35),
        ];
        for (on, want) in cases {
            assert_eq!(id.age_on(on), want, "{on}");
        }
        let leap = ResidentId::parse("330111200002290011").expect("valid");
        assert_eq!(leap.age_on(date(2001, 2, 28)), 0);
        assert_eq!(leap.age_on(date(2001, 3, 1)), 1);
        assert_eq!(leap.age_on(date(2004, 2, 29)), 4);
    }

    #[test]
    fn display_is_full_and_debug_is_masked() {
        let id = ResidentId::parse("11010519491231002X").expect("valid");
        assert_eq!(id.to_string(), "11010519491231002X");
        assert_eq!(id.masked(), "110105********002X");
        let debug = format!("{id:?}");
        assert_eq!(debug, "ResidentId(110105********002X)");
        assert!(!debug.contains("19491231"));
        assert_eq!(Sex::Male.name_zh(), "男");
        assert_eq!(Sex::Female.name_zh(), "女");
    }

    #[test]
    fn serde_is_a_string_through_parse() {
        let id: ResidentId = serde_json::from_str("\"11010519491231002x\"").expect("valid");
        assert_eq!(
            serde_json::to_string(&id).expect("serialize"),
            "\"11010519491231002X\""
        );
        let err = serde_json::from_str::<ResidentId>("\"11010519491231002 1\"");
        assert!(err.is_err());
        let err =
            serde_json::from_str::<ResidentId>("\"110105194912310021\"").expect_err("bad check");
        assert!(err.to_string().contains("should be X"), "{err}");
        assert_eq!(
            serde_json::to_string(&Sex::Female).expect("serialize"),
            "\"female\""
        );
        assert_eq!(
            serde_json::from_str::<Sex>("\"male\"").expect("valid"),
            Sex::Male
        );
    }
}
