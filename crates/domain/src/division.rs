//! Administrative division codes (national statistical codes): province, city, county, town, village.

use std::fmt;
use std::str::FromStr;
use std::sync::LazyLock;

use serde::{Deserialize, Serialize};

use crate::Describe;

/// The national table of six-digit region codes below the province level (GB/T 2260), current
/// and former: `code,name,status` (see `data/divisions/README.md`).
const REGION_CODES: &str = include_str!("../../../data/divisions/region-codes.csv");

/// Whether a region code of the national table is in use today.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RegionStatus {
    /// 现行: in the latest table.
    Current,
    /// 已撤销或已变更: retired, as 330183 富阳市 (富阳区 330111 since 2014). Identity numbers
    /// issued under it keep it for ever.
    Former,
}

/// A six-digit region code of the national table (county level, and the prefecture-level and
/// 市辖区 codes numbers were also issued under).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Region {
    /// The code, e.g. `330111`.
    pub code: u32,
    /// The name it has (or last had), e.g. `富阳区`.
    pub name: &'static str,
    /// Current or former.
    pub status: RegionStatus,
}

/// The embedded table, parsed once and sorted by code.
static REGIONS: LazyLock<Vec<Region>> = LazyLock::new(|| {
    let mut regions: Vec<Region> = REGION_CODES
        .lines()
        .skip(1)
        .filter_map(|line| {
            let mut cols = line.split(',');
            let code = cols.next()?.parse().ok()?;
            let name = cols.next()?;
            let status = match cols.next()? {
                "current" => RegionStatus::Current,
                "former" => RegionStatus::Former,
                _ => return None,
            };
            Some(Region { code, name, status })
        })
        .collect();
    regions.sort_unstable_by_key(|r| r.code);
    regions.dedup_by_key(|r| r.code);
    regions
});

/// The entry of a six-digit region code in the national table (GB/T 2260), current or former;
/// `None` for a code that never existed, a province-level code (`330000`) or anything that is
/// not six ASCII digits. (Hainan's former `4600xx` codes are in the table but, with a zero city
/// part, no [`DivisionCode`]: only identity numbers still carry them.)
pub fn lookup_region(code: &str) -> Option<Region> {
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let code: u32 = code.parse().ok()?;
    REGIONS
        .binary_search_by_key(&code, |r| r.code)
        .ok()
        .and_then(|i| REGIONS.get(i).copied())
}

/// Whether the two digits are a province-level division code.
///
/// 11–15 north, 21–23 north-east, 31–37 east, 41–46 south-central, 50–54 south-west,
/// 61–65 north-west, 71 Taiwan, 81 Hong Kong, 82 Macao.
pub(crate) fn is_province_code(code: u8) -> bool {
    matches!(code, 11..=15 | 21..=23 | 31..=37 | 41..=46 | 50..=54 | 61..=65 | 71 | 81 | 82)
}

/// The level of a division, read from the length of its code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DivisionLevel {
    /// 省级, 2 digits, e.g. `33` 浙江省.
    Province,
    /// 地级, 4 digits, e.g. `3301` 杭州市.
    City,
    /// 县级, 6 digits, e.g. `330111` 富阳区.
    County,
    /// 乡级, 9 digits, e.g. `330111001` 富春街道.
    Town,
    /// 村级, 12 digits, e.g. `330111001003` 城西社区.
    Village,
}

impl DivisionLevel {
    /// All levels, from the top down.
    pub const ALL: [DivisionLevel; 5] = [
        DivisionLevel::Province,
        DivisionLevel::City,
        DivisionLevel::County,
        DivisionLevel::Town,
        DivisionLevel::Village,
    ];

    /// The Chinese name: 省/市/县(区)/乡镇(街道)/村(社区).
    pub fn name_zh(self) -> &'static str {
        match self {
            DivisionLevel::Province => "省",
            DivisionLevel::City => "市",
            DivisionLevel::County => "县(区)",
            DivisionLevel::Town => "乡镇(街道)",
            DivisionLevel::Village => "村(社区)",
        }
    }

    /// The English name.
    pub fn name_en(self) -> &'static str {
        match self {
            DivisionLevel::Province => "province",
            DivisionLevel::City => "city",
            DivisionLevel::County => "county",
            DivisionLevel::Town => "town",
            DivisionLevel::Village => "village",
        }
    }

    /// The number of digits of a code at this level.
    pub fn code_len(self) -> usize {
        match self {
            DivisionLevel::Province => 2,
            DivisionLevel::City => 4,
            DivisionLevel::County => 6,
            DivisionLevel::Town => 9,
            DivisionLevel::Village => 12,
        }
    }

    fn from_len(len: usize) -> Option<DivisionLevel> {
        DivisionLevel::ALL.into_iter().find(|l| l.code_len() == len)
    }
}

/// A division code: 2 digits province, 4 city, 6 county/district, 9 town/street,
/// 12 village/community.
///
/// A code padded with zero groups, as in the statistics bureau's 12-digit tables
/// (`330111000000`), is the same division as its short form and is stored short (`330111`).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DivisionCode(String);

/// Why a text is not a division code.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DivisionCodeError {
    /// Nothing was given.
    #[error("the division code is empty")]
    Empty,
    /// The code is not 2, 4, 6, 9 or 12 characters long.
    #[error("a division code has 2, 4, 6, 9 or 12 digits, not {len}")]
    Length {
        /// The number of characters given.
        len: usize,
    },
    /// A character is not an ASCII digit.
    #[error("character {position} of the division code is not a digit")]
    Chars {
        /// 1-based position of the first bad character.
        position: usize,
    },
    /// The first two digits are not a province-level code.
    #[error("the division code does not start with a province code (11–82)")]
    Province,
    /// A level in the middle of the code is all zeros while a lower level is not.
    #[error("the {level:?} part of the division code is all zeros but a lower level is not")]
    ZeroLevel {
        /// The level whose digits are all zeros.
        level: DivisionLevel,
    },
}

impl Describe for DivisionCodeError {
    fn code(&self) -> &'static str {
        "invalid_division_code"
    }

    fn message_zh(&self) -> String {
        match self {
            DivisionCodeError::Empty => {
                "行政区划代码为空，请填写 2、4、6、9 或 12 位数字代码。".into()
            }
            DivisionCodeError::Length { len } => format!(
                "行政区划代码应为 2 位（省）、4 位（市）、6 位（县区）、9 位（乡镇街道）或 12 位（村社区）数字，现为 {len} 位，请核对。"
            ),
            DivisionCodeError::Chars { position } => {
                format!("行政区划代码第 {position} 位不是数字，请只填写数字。")
            }
            DivisionCodeError::Province => {
                "行政区划代码前两位不是有效的省级代码（如浙江省为 33），请核对。".into()
            }
            DivisionCodeError::ZeroLevel { level } => format!(
                "行政区划代码中“{}”一级全为 0，但其下级不为 0，这样的代码不存在，请核对。",
                level.name_zh()
            ),
        }
    }

    fn message_en(&self) -> String {
        match self {
            DivisionCodeError::Empty => {
                "The division code is empty: enter a code of 2, 4, 6, 9 or 12 digits.".into()
            }
            DivisionCodeError::Length { len } => format!(
                "A division code has 2 (province), 4 (city), 6 (county), 9 (town) or 12 (village) digits; this one has {len}."
            ),
            DivisionCodeError::Chars { position } => {
                format!("Character {position} of the division code is not a digit: use digits only.")
            }
            DivisionCodeError::Province => {
                "The first two digits of the division code are not a province code (Zhejiang is 33).".into()
            }
            DivisionCodeError::ZeroLevel { level } => format!(
                "The {} part of the division code is all zeros while a lower level is not; no such division exists.",
                level.name_en()
            ),
        }
    }
}

impl DivisionCode {
    /// Parses a code of 2, 4, 6, 9 or 12 digits (surrounding whitespace is ignored).
    pub fn parse(s: &str) -> Result<Self, DivisionCodeError> {
        let s = s.trim();
        if s.is_empty() {
            return Err(DivisionCodeError::Empty);
        }
        if let Some(i) = s.chars().position(|c| !c.is_ascii_digit()) {
            return Err(DivisionCodeError::Chars { position: i + 1 });
        }
        // All ASCII from here on, so byte lengths are character counts.
        if DivisionLevel::from_len(s.len()).is_none() {
            return Err(DivisionCodeError::Length { len: s.len() });
        }
        let province = s.get(..2).and_then(|p| p.parse::<u8>().ok()).unwrap_or(0);
        if !is_province_code(province) {
            return Err(DivisionCodeError::Province);
        }
        // Find the deepest level whose own digits are not all zero; every level above it must
        // be non-zero too.
        let groups = DivisionLevel::ALL
            .into_iter()
            .take_while(|l| l.code_len() <= s.len())
            .map(|l| {
                let from = match l {
                    DivisionLevel::Province => 0,
                    DivisionLevel::City => 2,
                    DivisionLevel::County => 4,
                    DivisionLevel::Town => 6,
                    DivisionLevel::Village => 9,
                };
                let zero = s
                    .get(from..l.code_len())
                    .is_some_and(|g| g.bytes().all(|b| b == b'0'));
                (l, zero)
            })
            .collect::<Vec<_>>();
        let deepest = groups.iter().rposition(|(_, zero)| !zero).unwrap_or(0);
        if let Some((level, _)) = groups
            .get(..deepest)
            .and_then(|g| g.iter().find(|(_, zero)| *zero))
        {
            return Err(DivisionCodeError::ZeroLevel { level: *level });
        }
        let len = groups.get(deepest).map_or(2, |(l, _)| l.code_len());
        Ok(DivisionCode(s.get(..len).unwrap_or(s).to_owned()))
    }

    /// The code, in its short form.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The level, read from the length of the code.
    pub fn level(&self) -> DivisionLevel {
        DivisionLevel::from_len(self.0.len()).unwrap_or(DivisionLevel::Village)
    }

    /// The division one level up, or `None` for a province.
    pub fn parent(&self) -> Option<DivisionCode> {
        let len = match self.level() {
            DivisionLevel::Province => return None,
            DivisionLevel::City => 2,
            DivisionLevel::County => 4,
            DivisionLevel::Town => 6,
            DivisionLevel::Village => 9,
        };
        self.0.get(..len).map(|p| DivisionCode(p.to_owned()))
    }

    /// The chain of divisions from the province down to this one (inclusive).
    pub fn ancestry(&self) -> Vec<DivisionCode> {
        let mut chain = vec![self.clone()];
        while let Some(p) = chain.last().and_then(DivisionCode::parent) {
            chain.push(p);
        }
        chain.reverse();
        chain
    }

    /// Whether this division is `ancestor` or lies inside it.
    pub fn is_within(&self, ancestor: &DivisionCode) -> bool {
        // Every code has the length of a level, so a prefix is always at a level boundary.
        self.0.starts_with(&ancestor.0)
    }
}

impl fmt::Display for DivisionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for DivisionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DivisionCode({})", self.0)
    }
}

impl FromStr for DivisionCode {
    type Err = DivisionCodeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        DivisionCode::parse(s)
    }
}

impl TryFrom<String> for DivisionCode {
    type Error = DivisionCodeError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        DivisionCode::parse(&s)
    }
}

impl From<DivisionCode> for String {
    fn from(c: DivisionCode) -> String {
        c.0
    }
}

impl AsRef<str> for DivisionCode {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(s: &str) -> DivisionCode {
        DivisionCode::parse(s).expect(s)
    }

    #[test]
    fn levels_and_parents() {
        let cases = [
            ("33", DivisionLevel::Province, None),
            ("3301", DivisionLevel::City, Some("33")),
            ("330111", DivisionLevel::County, Some("3301")),
            ("330111001", DivisionLevel::Town, Some("330111")),
            ("330111001003", DivisionLevel::Village, Some("330111001")),
            (" 110101 ", DivisionLevel::County, Some("1101")),
        ];
        for (input, level, parent) in cases {
            let c = code(input);
            assert_eq!(c.level(), level, "{input}");
            assert_eq!(
                c.parent().as_ref().map(DivisionCode::as_str),
                parent,
                "{input}"
            );
        }
    }

    #[test]
    fn zero_padded_codes_are_stored_short() {
        let cases = [
            ("330111000000", "330111"),
            ("330100", "3301"),
            ("330000", "33"),
            ("330111001000", "330111001"),
            ("330000000000", "33"),
        ];
        for (input, short) in cases {
            assert_eq!(code(input).as_str(), short, "{input}");
        }
    }

    #[test]
    fn rejects_bad_codes() {
        let cases = [
            ("", DivisionCodeError::Empty),
            ("   ", DivisionCodeError::Empty),
            ("3", DivisionCodeError::Length { len: 1 }),
            ("33011", DivisionCodeError::Length { len: 5 }),
            ("3301110010031", DivisionCodeError::Length { len: 13 }),
            ("33a1", DivisionCodeError::Chars { position: 3 }),
            ("富阳", DivisionCodeError::Chars { position: 1 }),
            ("00", DivisionCodeError::Province),
            ("99", DivisionCodeError::Province),
            (
                "330011",
                DivisionCodeError::ZeroLevel {
                    level: DivisionLevel::City,
                },
            ),
            (
                "330111000003",
                DivisionCodeError::ZeroLevel {
                    level: DivisionLevel::Town,
                },
            ),
        ];
        for (input, want) in cases {
            assert_eq!(DivisionCode::parse(input), Err(want.clone()), "{input:?}");
            assert_eq!(want.code(), "invalid_division_code");
            assert!(!want.message_zh().is_empty() && !want.message_en().is_empty());
        }
    }

    #[test]
    fn is_within_follows_the_tree() {
        let fuyang = code("330111");
        let cases = [
            ("330111", true),
            ("330111001", true),
            ("330111001003", true),
            ("3301", false),
            ("330110", false),
            ("33011", false), // not a code at all, checked below
        ];
        for (input, want) in cases {
            if let Ok(c) = DivisionCode::parse(input) {
                assert_eq!(c.is_within(&fuyang), want, "{input}");
            } else {
                assert_eq!(input, "33011");
            }
        }
        assert!(fuyang.is_within(&code("33")));
        assert!(!code("33").is_within(&fuyang));
    }

    #[test]
    fn ancestry_runs_top_down() {
        let chain: Vec<String> = code("330111001003")
            .ancestry()
            .into_iter()
            .map(String::from)
            .collect();
        assert_eq!(chain, ["33", "3301", "330111", "330111001", "330111001003"]);
    }

    #[test]
    fn level_names() {
        let names: Vec<&str> = DivisionLevel::ALL.iter().map(|l| l.name_zh()).collect();
        assert_eq!(names, ["省", "市", "县(区)", "乡镇(街道)", "村(社区)"]);
    }

    #[test]
    fn serde_goes_through_parse() {
        let c: DivisionCode = serde_json::from_str("\"330111000000\"").expect("valid");
        assert_eq!(c.as_str(), "330111");
        assert_eq!(serde_json::to_string(&c).expect("serialize"), "\"330111\"");
        assert!(serde_json::from_str::<DivisionCode>("\"33011\"").is_err());
    }

    #[test]
    fn real_data_files_parse() {
        // Every code in the shipped Zhejiang extracts is a valid code at the expected level.
        let files = [
            (
                include_str!("../../../data/divisions/provinces.csv"),
                DivisionLevel::Province,
            ),
            (
                include_str!("../../../data/divisions/cities.csv"),
                DivisionLevel::City,
            ),
            (
                include_str!("../../../data/divisions/areas.csv"),
                DivisionLevel::County,
            ),
            (
                include_str!("../../../data/divisions/streets.csv"),
                DivisionLevel::Town,
            ),
            (
                include_str!("../../../data/divisions/villages-330111.csv"),
                DivisionLevel::Village,
            ),
        ];
        let mut seen = 0;
        for (text, level) in files {
            for line in text.lines().skip(1).filter(|l| !l.trim().is_empty()) {
                let raw = line.split(',').next().unwrap_or_default();
                let c = code(raw);
                assert_eq!(c.level(), level, "{raw}");
                assert!(c.is_within(&code("33")), "{raw}");
                seen += 1;
            }
        }
        assert!(seen > 350, "only {seen} codes read");
    }

    #[test]
    fn region_table_is_whole_and_well_formed() {
        // Every line of the embedded table is read, and each is a county- or city-level code,
        // save Hainan's former counties under the province (4600xx, 1988–2002), whose city part
        // is zero: identity numbers carry them, but they are no `DivisionCode`.
        let lines = REGION_CODES.lines().skip(1).count();
        assert_eq!(REGIONS.len(), lines);
        assert!(lines > 7000, "only {lines} region codes");
        for r in REGIONS.iter() {
            let text = format!("{:06}", r.code);
            if text.starts_with("4600") {
                assert_eq!(r.status, RegionStatus::Former, "{text}");
                continue;
            }
            let c = DivisionCode::parse(&text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert!(
                matches!(c.level(), DivisionLevel::County | DivisionLevel::City),
                "{text}"
            );
            assert!(!r.name.is_empty(), "{text}");
        }
        // Every current county of Zhejiang (the shipped extract) is current in the table.
        let areas = include_str!("../../../data/divisions/areas.csv");
        for line in areas.lines().skip(1) {
            let raw = line.split(',').next().unwrap_or_default();
            let r = lookup_region(raw).unwrap_or_else(|| panic!("{raw} missing"));
            assert_eq!(r.status, RegionStatus::Current, "{raw}");
        }
    }

    #[test]
    fn region_lookup() {
        let cases = [
            ("330111", Some(("富阳区", RegionStatus::Current))),
            ("330183", Some(("富阳市", RegionStatus::Former))),
            ("330185", Some(("临安市", RegionStatus::Former))),
            ("330112", Some(("临安区", RegionStatus::Current))),
            ("110105", Some(("朝阳区", RegionStatus::Current))),
            ("441900", Some(("东莞市", RegionStatus::Current))),
            ("330199", None),
            ("339999", None),
            ("330000", None),
            ("810000", None),
            ("33011", None),
            ("3301110", None),
            ("33011a", None),
            ("+33011", None),
            ("", None),
        ];
        for (code, want) in cases {
            let got = lookup_region(code).map(|r| (r.name, r.status));
            assert_eq!(got, want, "{code}");
        }
        assert_eq!(lookup_region("330183").map(|r| r.code), Some(330_183));
    }
}
