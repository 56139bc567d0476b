//! Unified social credit codes (统一社会信用代码, GB 32100-2015) of enterprises and other organisations.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::Describe;

/// The 31 characters a credit code may use (no I, O, S, V, Z); a character's value is its index.
const CHARSET: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";
/// Weights of the first 17 characters for the final check character (3^i mod 31).
const WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];
/// Weights of the 8 body characters of the organisation code (GB 11714).
const ORG_WEIGHTS: [u32; 8] = [3, 7, 9, 10, 5, 8, 4, 2];

fn value(c: char) -> Option<u32> {
    CHARSET
        .chars()
        .position(|x| x == c)
        .and_then(|i| u32::try_from(i).ok())
}

/// The GB 11714 value of an organisation-code character: digits 0–9, letters A=10 … Z=35.
fn org_value(c: char) -> Option<u32> {
    c.to_digit(36)
}

/// The check character (position 9 of the organisation code) of an 8-character body.
fn org_check(body: &str) -> Option<char> {
    if body.chars().count() != 8 {
        return None;
    }
    let mut sum = 0;
    for (c, w) in body.chars().zip(ORG_WEIGHTS) {
        sum += org_value(c)? * w;
    }
    match 11 - sum % 11 {
        10 => Some('X'),
        11 => Some('0'),
        n => char::from_digit(n, 10),
    }
}

/// The final check character of the first 17 characters.
fn check(body: &str) -> Option<char> {
    if body.chars().count() != 17 {
        return None;
    }
    let mut sum = 0;
    for (c, w) in body.chars().zip(WEIGHTS) {
        sum += value(c)? * w;
    }
    let v = (31 - sum % 31) % 31;
    CHARSET.chars().nth(v as usize)
}

/// A valid 18-character unified social credit code. It is public information, so `Debug` and
/// `Display` both show it in full.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CreditCode(String);

/// Why a text is not a valid unified social credit code.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CreditCodeError {
    /// Nothing was given.
    #[error("the credit code is empty")]
    Empty,
    /// Not 18 characters.
    #[error("a unified social credit code has 18 characters, not {len}")]
    Length {
        /// The number of characters given.
        len: usize,
    },
    /// A character outside the allowed set (or a non-digit in the division code).
    #[error("character {position} of the credit code is not allowed")]
    Chars {
        /// 1-based position of the first bad character.
        position: usize,
    },
    /// The organisation code (positions 9–17) has a wrong check character.
    #[error(
        "the organisation code check character (position 17) should be {expected}, not {found}"
    )]
    OrgCodeCheck {
        /// The check character computed from positions 9–16.
        expected: char,
        /// Character 17 as given.
        found: char,
    },
    /// The final check character is wrong.
    #[error("the check character (position 18) should be {expected}, not {found}")]
    CheckChar {
        /// The check character computed from the first 17 characters.
        expected: char,
        /// Character 18 as given.
        found: char,
    },
}

impl Describe for CreditCodeError {
    fn code(&self) -> &'static str {
        "invalid_credit_code"
    }

    fn message_zh(&self) -> String {
        match self {
            CreditCodeError::Empty => "统一社会信用代码为空，请填写营业执照上的 18 位代码。".into(),
            CreditCodeError::Length { len } => {
                format!("统一社会信用代码应为 18 位，现为 {len} 位，请对照营业执照核对。")
            }
            CreditCodeError::Chars { position } => format!(
                "统一社会信用代码第 {position} 位字符无效：只能使用数字和除 I、O、S、V、Z 以外的大写字母，第 3 至 8 位必须是数字。"
            ),
            CreditCodeError::OrgCodeCheck { expected, found } => format!(
                "统一社会信用代码第 9 至 17 位（组织机构代码）校验不符：第 17 位应为 {expected}，实际为 {found}。请对照营业执照逐位核对。"
            ),
            CreditCodeError::CheckChar { expected, found } => format!(
                "统一社会信用代码校验位不符：第 18 位应为 {expected}，实际为 {found}。请对照营业执照逐位核对，可能有字符输错。"
            ),
        }
    }

    fn message_en(&self) -> String {
        match self {
            CreditCodeError::Empty => "The unified social credit code is empty: enter the 18 characters on the business licence.".into(),
            CreditCodeError::Length { len } => {
                format!("A unified social credit code has 18 characters; this one has {len}.")
            }
            CreditCodeError::Chars { position } => format!(
                "Character {position} of the credit code is not allowed: use digits and capital letters other than I, O, S, V, Z; positions 3-8 must be digits."
            ),
            CreditCodeError::OrgCodeCheck { expected, found } => format!(
                "The organisation code in positions 9-17 does not check: position 17 should be {expected} but is {found}."
            ),
            CreditCodeError::CheckChar { expected, found } => format!(
                "The check character (position 18) of the credit code should be {expected} but is {found}: a character is probably mistyped."
            ),
        }
    }
}

impl CreditCode {
    /// Parses a code: trims surrounding whitespace and uppercases.
    pub fn parse(s: &str) -> Result<Self, CreditCodeError> {
        let s = s.trim().to_uppercase();
        if s.is_empty() {
            return Err(CreditCodeError::Empty);
        }
        let len = s.chars().count();
        if len != 18 {
            return Err(CreditCodeError::Length { len });
        }
        for (i, c) in s.chars().enumerate() {
            let ok = if (2..8).contains(&i) {
                c.is_ascii_digit()
            } else {
                value(c).is_some()
            };
            if !ok {
                return Err(CreditCodeError::Chars { position: i + 1 });
            }
        }
        // All ASCII from here on.
        let nth = |i: usize| s.chars().nth(i).unwrap_or(' ');
        let org_expected = org_check(s.get(8..16).unwrap_or_default()).unwrap_or(' ');
        if org_expected != nth(16) {
            return Err(CreditCodeError::OrgCodeCheck {
                expected: org_expected,
                found: nth(16),
            });
        }
        let expected = check(s.get(..17).unwrap_or_default()).unwrap_or(' ');
        if expected != nth(17) {
            return Err(CreditCodeError::CheckChar {
                expected,
                found: nth(17),
            });
        }
        Ok(CreditCode(s))
    }

    /// Builds a code from the registration authority (position 1), organisation type
    /// (position 2), 6-digit division code and 8-character organisation-code body, computing
    /// both check characters. A part that does not fit shows up as the error the resulting code
    /// would have.
    pub fn from_parts(
        authority: char,
        org_type: char,
        division: &str,
        org_body: &str,
    ) -> Result<Self, CreditCodeError> {
        let org_body = org_body.to_uppercase();
        let mut body = format!("{authority}{org_type}{division}{org_body}").to_uppercase();
        body.push(org_check(&org_body).unwrap_or('0'));
        body.push(check(&body).unwrap_or('0'));
        CreditCode::parse(&body)
    }

    /// The full code.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Position 1: the registration authority (`9` = market regulation, `5` = civil affairs, …).
    pub fn authority(&self) -> char {
        self.0.chars().next().unwrap_or('0')
    }

    /// Position 2: the organisation type within the authority (`1` = enterprise, `2` = individual business, …).
    pub fn org_type(&self) -> char {
        self.0.chars().nth(1).unwrap_or('0')
    }

    /// Positions 3–8: the division code of the registering authority.
    pub fn division_code(&self) -> &str {
        self.0.get(2..8).unwrap_or_default()
    }

    /// Positions 9–17: the GB 11714 organisation code including its check character.
    pub fn organization_code(&self) -> &str {
        self.0.get(8..17).unwrap_or_default()
    }
}

impl fmt::Display for CreditCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for CreditCode {
    type Err = CreditCodeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        CreditCode::parse(s)
    }
}

impl TryFrom<String> for CreditCode {
    type Error = CreditCodeError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        CreditCode::parse(&s)
    }
}

impl From<CreditCode> for String {
    fn from(c: CreditCode) -> String {
        c.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Published codes of well-known companies, checked independently of this code.
    const PUBLIC: [&str; 3] = [
        "91330000742906207U",
        "91110000802100433B",
        "91440300708461136T",
    ];

    #[test]
    fn public_examples_are_valid() {
        for s in PUBLIC {
            let c = CreditCode::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"));
            assert_eq!(c.as_str(), s);
        }
        let c = CreditCode::parse(" 91330000742906207u ").expect("lowercase and spaces");
        assert_eq!(c.as_str(), "91330000742906207U");
        assert_eq!(c.division_code(), "330000");
        assert_eq!(c.organization_code(), "742906207");
        assert_eq!((c.authority(), c.org_type()), ('9', '1'));
    }

    #[test]
    fn from_parts_computes_both_checks() {
        let cases = [
            ('9', '1', "330000", "74290620", "91330000742906207U"),
            ('9', '1', "110000", "80210043", "91110000802100433B"),
        ];
        for (a, t, div, body, want) in cases {
            assert_eq!(
                CreditCode::from_parts(a, t, div, body)
                    .expect(want)
                    .as_str(),
                want
            );
        }
        // Computed codes with letters in the body, and the org checks that give X and 0.
        let mut bodies: Vec<String> = ["MA27U0PB", "MA2H0AAX", "00000000", "12345678", "ma2cd4xn"]
            .map(String::from)
            .into();
        bodies.extend((0..200).map(|i| format!("{:08}", i * 7919)));
        let mut checks = std::collections::BTreeSet::new();
        for body in &bodies {
            let c = CreditCode::from_parts('9', '1', "330111", body)
                .unwrap_or_else(|e| panic!("{body}: {e}"));
            assert_eq!(CreditCode::parse(c.as_str()).as_ref(), Ok(&c));
            assert_eq!(c.division_code(), "330111");
            checks.insert(c.organization_code().chars().last().unwrap_or(' '));
        }
        assert!(checks.contains(&'X') && checks.contains(&'0'), "{checks:?}");
    }

    #[test]
    fn rejects_bad_codes() {
        let cases = [
            ("", CreditCodeError::Empty),
            ("9133000074290620", CreditCodeError::Length { len: 16 }),
            ("91330000742906207UU", CreditCodeError::Length { len: 19 }),
            ("I1330000742906207U", CreditCodeError::Chars { position: 1 }),
            ("9133A000742906207U", CreditCodeError::Chars { position: 5 }),
            (
                "91330000742906207Z",
                CreditCodeError::Chars { position: 18 },
            ),
            (
                "91330000742906207统",
                CreditCodeError::Chars { position: 18 },
            ),
            (
                "91330000742906217U",
                CreditCodeError::OrgCodeCheck {
                    expected: '5',
                    found: '7',
                },
            ),
            (
                "91330000742906208U",
                CreditCodeError::OrgCodeCheck {
                    expected: '7',
                    found: '8',
                },
            ),
            (
                "91330000742906207T",
                CreditCodeError::CheckChar {
                    expected: 'U',
                    found: 'T',
                },
            ),
            (
                "92330000742906207U",
                CreditCodeError::CheckChar {
                    expected: 'Q',
                    found: 'U',
                },
            ),
        ];
        for (input, want) in cases {
            assert_eq!(CreditCode::parse(input), Err(want.clone()), "{input:?}");
            assert_eq!(want.code(), "invalid_credit_code");
        }
    }

    #[test]
    fn every_single_substitution_is_caught() {
        for good in PUBLIC {
            for pos in 0..18 {
                for c in CHARSET.chars() {
                    let mut chars: Vec<char> = good.chars().collect();
                    if chars[pos] == c {
                        continue;
                    }
                    chars[pos] = c;
                    let bad: String = chars.into_iter().collect();
                    assert!(CreditCode::parse(&bad).is_err(), "{bad} accepted");
                }
            }
        }
    }

    #[test]
    fn messages_name_the_expected_character() {
        let e = CreditCodeError::CheckChar {
            expected: 'U',
            found: 'T',
        };
        assert!(e.message_zh().contains("应为 U") && e.message_zh().contains("实际为 T"));
        assert!(e.message_en().contains("should be U but is T"));
    }

    #[test]
    fn serde_is_a_string_through_parse() {
        let c: CreditCode = serde_json::from_str("\"91330000742906207u\"").expect("valid");
        assert_eq!(
            serde_json::to_string(&c).expect("serialize"),
            "\"91330000742906207U\""
        );
        assert!(serde_json::from_str::<CreditCode>("\"91330000742906207T\"").is_err());
        assert_eq!(format!("{c:?}"), "CreditCode(\"91330000742906207U\")");
    }
}
