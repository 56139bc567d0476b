//! Mainland China mobile phone numbers.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::Describe;

/// An 11-digit mainland mobile number starting `13`–`19`.
///
/// `Display` shows it in full, `Debug` masked (`138****1234`) so it never leaks into logs.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Phone(String);

/// Why a text is not a mainland mobile number.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PhoneError {
    /// Nothing was given.
    #[error("the phone number is empty")]
    Empty,
    /// A character that is not a digit, space or hyphen (or a `+` not at the start).
    #[error("character {position} of the phone number is not allowed")]
    Chars {
        /// 1-based position of the first bad character, counted in the trimmed input.
        position: usize,
    },
    /// Not 11 digits once the country code is removed.
    #[error("a mobile number has 11 digits, not {digits}")]
    Length {
        /// The number of digits, without the country code.
        digits: usize,
    },
    /// 11 digits, but not starting 13–19.
    #[error("a mainland mobile number starts with 13 to 19")]
    Prefix,
}

impl Describe for PhoneError {
    fn code(&self) -> &'static str {
        "invalid_phone"
    }

    fn message_zh(&self) -> String {
        match self {
            PhoneError::Empty => "手机号码为空，请填写 11 位手机号码。".into(),
            PhoneError::Chars { position } => {
                format!("手机号码第 {position} 个字符无效，请只填写数字（可带 +86 前缀）。")
            }
            PhoneError::Length { digits } => {
                format!("手机号码应为 11 位数字，现为 {digits} 位，请核对。")
            }
            PhoneError::Prefix => {
                "手机号码应以 13 至 19 开头，请填写中国大陆手机号码（固定电话请另行填写）。".into()
            }
        }
    }

    fn message_en(&self) -> String {
        match self {
            PhoneError::Empty => {
                "The phone number is empty: enter an 11-digit mobile number.".into()
            }
            PhoneError::Chars { position } => format!(
                "Character {position} of the phone number is not allowed: use digits, optionally after +86."
            ),
            PhoneError::Length { digits } => {
                format!("A mobile number has 11 digits; this one has {digits}.")
            }
            PhoneError::Prefix => "A mainland mobile number starts with 13 to 19.".into(),
        }
    }
}

impl Phone {
    /// Parses a number: accepts a `+86` or `86` prefix and spaces or hyphens between digits.
    pub fn parse(s: &str) -> Result<Phone, PhoneError> {
        let s = s.trim();
        if s.is_empty() {
            return Err(PhoneError::Empty);
        }
        let mut digits = String::with_capacity(13);
        for (i, c) in s.chars().enumerate() {
            match c {
                '0'..='9' => digits.push(c),
                ' ' | '-' => {}
                '+' if i == 0 => {}
                _ => return Err(PhoneError::Chars { position: i + 1 }),
            }
        }
        let plus = s.starts_with('+');
        let national = match digits.strip_prefix("86") {
            Some(rest) if plus || rest.len() == 11 => rest,
            _ if plus => return Err(PhoneError::Prefix),
            _ => digits.as_str(),
        };
        if national.len() != 11 {
            return Err(PhoneError::Length {
                digits: national.len(),
            });
        }
        let b = national.as_bytes();
        if b.first() != Some(&b'1') || !matches!(b.get(1), Some(b'3'..=b'9')) {
            return Err(PhoneError::Prefix);
        }
        Ok(Phone(national.to_owned()))
    }

    /// The 11 digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The first 3 and last 4 digits with 4 stars between: `138****1234`.
    pub fn masked(&self) -> String {
        crate::mask::phone(&self.0)
    }
}

impl fmt::Display for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Phone({})", self.masked())
    }
}

impl FromStr for Phone {
    type Err = PhoneError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Phone::parse(s)
    }
}

impl TryFrom<String> for Phone {
    type Error = PhoneError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Phone::parse(&s)
    }
}

impl From<Phone> for String {
    fn from(p: Phone) -> String {
        p.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_common_spellings() {
        let cases = [
            "13812341234",
            " 13812341234 ",
            "138 1234 1234",
            "138-1234-1234",
            "+86 138 1234 1234",
            "+8613812341234",
            "8613812341234",
            "86-138-1234-1234",
        ];
        for input in cases {
            assert_eq!(
                Phone::parse(input).map(|p| p.as_str().to_owned()),
                Ok("13812341234".into()),
                "{input:?}"
            );
        }
        for first_two in 13..=19 {
            let s = format!("{first_two}012345678");
            assert_eq!(Phone::parse(&s).map(|p| p.to_string()), Ok(s));
        }
    }

    #[test]
    fn rejects_other_numbers() {
        let cases = [
            ("", PhoneError::Empty),
            ("1381234123", PhoneError::Length { digits: 10 }),
            ("138123412345", PhoneError::Length { digits: 12 }),
            ("0571-63312345", PhoneError::Length { digits: 12 }),
            ("12812341234", PhoneError::Prefix),
            ("23812341234", PhoneError::Prefix),
            ("+1 4155552671", PhoneError::Prefix),
            ("1381234123a", PhoneError::Chars { position: 11 }),
            ("138+12341234", PhoneError::Chars { position: 4 }),
            ("(138)12341234", PhoneError::Chars { position: 1 }),
            ("１３８１２３４１２３４", PhoneError::Chars { position: 1 }),
        ];
        for (input, want) in cases {
            assert_eq!(Phone::parse(input), Err(want.clone()), "{input:?}");
            assert_eq!(want.code(), "invalid_phone");
        }
    }

    #[test]
    fn masks_in_debug_only() {
        let p = Phone::parse("+86 138 1234 5678").expect("valid");
        assert_eq!(p.masked(), "138****5678");
        assert_eq!(p.to_string(), "13812345678");
        assert_eq!(format!("{p:?}"), "Phone(138****5678)");
    }

    #[test]
    fn serde_is_a_string_through_parse() {
        let p: Phone = serde_json::from_str("\"138-1234-5678\"").expect("valid");
        assert_eq!(
            serde_json::to_string(&p).expect("serialize"),
            "\"13812345678\""
        );
        assert!(serde_json::from_str::<Phone>("\"12812345678\"").is_err());
    }
}
