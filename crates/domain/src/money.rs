//! Money as a whole number of fen (分, 0.01 yuan), so sums are exact.

use std::fmt;
use std::iter::Sum;
use std::ops::{Add, AddAssign, Neg, Sub, SubAssign};
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::Describe;

/// An amount of money in fen. Serialized as a plain integer of fen.
///
/// The operators saturate at the ends of `i64` (about ±9.2 × 10^16 yuan) instead of panicking;
/// use [`Fen::checked_add`] and [`Fen::checked_mul`] where an overflow must be noticed.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Fen(pub i64);

/// Why a text is not an amount of yuan.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    /// Nothing was given.
    #[error("the amount is empty")]
    Empty,
    /// Not a decimal number such as `12`, `12.3` or `-0.50`.
    #[error("{input:?} is not an amount of yuan such as 12.34")]
    Invalid {
        /// The text given (trimmed).
        input: String,
    },
    /// More than two decimal places: fen is the smallest unit.
    #[error("an amount has at most 2 decimal places (fen), {input:?} has more")]
    TooManyDecimals {
        /// The text given (trimmed).
        input: String,
    },
    /// Too large to hold.
    #[error("the amount {input:?} is too large")]
    Overflow {
        /// The text given (trimmed).
        input: String,
    },
}

impl Describe for MoneyError {
    fn code(&self) -> &'static str {
        "invalid_amount"
    }

    fn message_zh(&self) -> String {
        match self {
            MoneyError::Empty => "金额为空，请以元为单位填写金额，如 12.34。".into(),
            MoneyError::Invalid { input } => {
                format!(
                    "“{input}”不是有效的金额，请以元为单位填写数字，如 12 或 12.34，不要带货币符号或千分位逗号。"
                )
            }
            MoneyError::TooManyDecimals { input } => {
                format!("金额“{input}”的小数超过两位，金额最小单位为分，请最多保留两位小数。")
            }
            MoneyError::Overflow { input } => format!("金额“{input}”过大，请核对。"),
        }
    }

    fn message_en(&self) -> String {
        match self {
            MoneyError::Empty => {
                "The amount is empty: enter an amount in yuan such as 12.34.".into()
            }
            MoneyError::Invalid { input } => format!(
                "\"{input}\" is not an amount: enter yuan as digits such as 12 or 12.34, without currency signs or thousands separators."
            ),
            MoneyError::TooManyDecimals { input } => format!(
                "\"{input}\" has more than 2 decimal places: the smallest unit is the fen (0.01 yuan)."
            ),
            MoneyError::Overflow { input } => format!("The amount \"{input}\" is too large."),
        }
    }
}

impl Fen {
    /// Zero.
    pub const ZERO: Fen = Fen(0);

    /// A whole number of yuan (saturating at the ends of `i64`).
    pub fn from_yuan(yuan: i64) -> Fen {
        Fen(yuan.saturating_mul(100))
    }

    /// Parses yuan with up to two decimals: `"12"`, `"12.3"`, `"12.34"`, `"-0.5"`, `"+3"`.
    /// Surrounding whitespace is ignored; anything else (`"12."`, `".5"`, `"1,000"`, `"¥3"`) is an
    /// error.
    pub fn parse_yuan(s: &str) -> Result<Fen, MoneyError> {
        let input = s.trim();
        if input.is_empty() {
            return Err(MoneyError::Empty);
        }
        let invalid = || MoneyError::Invalid {
            input: input.to_owned(),
        };
        let (negative, unsigned) = match input.as_bytes().first() {
            Some(b'-') => (true, input.get(1..).unwrap_or_default()),
            Some(b'+') => (false, input.get(1..).unwrap_or_default()),
            _ => (false, input),
        };
        let (whole, frac) = match unsigned.split_once('.') {
            Some((w, f)) => (w, Some(f)),
            None => (unsigned, None),
        };
        let all_digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
        if !all_digits(whole) || frac.is_some_and(|f| !all_digits(f)) {
            return Err(invalid());
        }
        let frac = frac.unwrap_or_default();
        if frac.len() > 2 {
            return Err(MoneyError::TooManyDecimals {
                input: input.to_owned(),
            });
        }
        let overflow = || MoneyError::Overflow {
            input: input.to_owned(),
        };
        let whole: i64 = whole.parse().map_err(|_| overflow())?;
        let cents: i64 = match frac.len() {
            0 => 0,
            1 => frac.parse::<i64>().map_err(|_| invalid())? * 10,
            _ => frac.parse::<i64>().map_err(|_| invalid())?,
        };
        let magnitude = whole
            .checked_mul(100)
            .and_then(|w| w.checked_add(cents))
            .ok_or_else(overflow)?;
        Ok(Fen(if negative { -magnitude } else { magnitude }))
    }

    /// The amount in yuan with two decimals: `"12.34"`, `"-0.50"`, `"0.00"`.
    pub fn to_yuan_string(&self) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        format!("{sign}{}.{:02}", abs / 100, abs % 100)
    }

    /// The sum, or `None` on overflow.
    pub fn checked_add(self, o: Fen) -> Option<Fen> {
        self.0.checked_add(o.0).map(Fen)
    }

    /// The difference, or `None` on overflow.
    pub fn checked_sub(self, o: Fen) -> Option<Fen> {
        self.0.checked_sub(o.0).map(Fen)
    }

    /// The product with a count, or `None` on overflow.
    pub fn checked_mul(self, n: i64) -> Option<Fen> {
        self.0.checked_mul(n).map(Fen)
    }

    /// Whether the amount is below zero.
    pub fn is_negative(self) -> bool {
        self.0 < 0
    }
}

impl fmt::Display for Fen {
    /// `¥12.34`, `-¥0.50`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        write!(f, "{sign}¥{}.{:02}", abs / 100, abs % 100)
    }
}

impl FromStr for Fen {
    type Err = MoneyError;
    /// Parses yuan, as [`Fen::parse_yuan`].
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Fen::parse_yuan(s)
    }
}

impl Add for Fen {
    type Output = Fen;
    fn add(self, o: Fen) -> Fen {
        Fen(self.0.saturating_add(o.0))
    }
}

impl Sub for Fen {
    type Output = Fen;
    fn sub(self, o: Fen) -> Fen {
        Fen(self.0.saturating_sub(o.0))
    }
}

impl Neg for Fen {
    type Output = Fen;
    fn neg(self) -> Fen {
        Fen(self.0.saturating_neg())
    }
}

impl AddAssign for Fen {
    fn add_assign(&mut self, o: Fen) {
        *self = *self + o;
    }
}

impl SubAssign for Fen {
    fn sub_assign(&mut self, o: Fen) {
        *self = *self - o;
    }
}

impl Sum for Fen {
    fn sum<I: Iterator<Item = Fen>>(iter: I) -> Fen {
        iter.fold(Fen::ZERO, Add::add)
    }
}

impl<'a> Sum<&'a Fen> for Fen {
    fn sum<I: Iterator<Item = &'a Fen>>(iter: I) -> Fen {
        iter.copied().sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_yuan() {
        let cases = [
            ("12", 1200),
            ("12.3", 1230),
            ("12.34", 1234),
            ("-0.5", -50),
            ("-0.05", -5),
            ("  7.00 ", 700),
            ("+3", 300),
            ("0", 0),
            ("-0", 0),
            ("0.01", 1),
            ("007.1", 710),
            ("92233720368547758.07", i64::MAX),
            ("-92233720368547758.07", -i64::MAX),
        ];
        for (input, fen) in cases {
            assert_eq!(Fen::parse_yuan(input), Ok(Fen(fen)), "{input:?}");
        }
    }

    #[test]
    fn rejects_junk() {
        let invalid = |s: &str| MoneyError::Invalid {
            input: s.to_owned(),
        };
        let cases = [
            ("", MoneyError::Empty),
            ("   ", MoneyError::Empty),
            (
                "12.345",
                MoneyError::TooManyDecimals {
                    input: "12.345".into(),
                },
            ),
            (
                "0.001",
                MoneyError::TooManyDecimals {
                    input: "0.001".into(),
                },
            ),
            ("12.", invalid("12.")),
            (".5", invalid(".5")),
            ("-", invalid("-")),
            ("--1", invalid("--1")),
            ("1,000", invalid("1,000")),
            ("¥3", invalid("¥3")),
            ("3元", invalid("3元")),
            ("1e3", invalid("1e3")),
            ("1.2.3", invalid("1.2.3")),
            ("1 000", invalid("1 000")),
            ("１２", invalid("１２")),
            (
                "92233720368547758.08",
                MoneyError::Overflow {
                    input: "92233720368547758.08".into(),
                },
            ),
            (
                "99999999999999999999",
                MoneyError::Overflow {
                    input: "99999999999999999999".into(),
                },
            ),
        ];
        for (input, want) in cases {
            assert_eq!(Fen::parse_yuan(input), Err(want.clone()), "{input:?}");
            assert_eq!(want.code(), "invalid_amount");
        }
    }

    #[test]
    fn formats_yuan() {
        let cases = [
            (1234, "12.34", "¥12.34"),
            (-50, "-0.50", "-¥0.50"),
            (0, "0.00", "¥0.00"),
            (5, "0.05", "¥0.05"),
            (100_000_000, "1000000.00", "¥1000000.00"),
            (i64::MIN, "-92233720368547758.08", "-¥92233720368547758.08"),
        ];
        for (fen, plain, display) in cases {
            assert_eq!(Fen(fen).to_yuan_string(), plain);
            assert_eq!(Fen(fen).to_string(), display);
        }
    }

    #[test]
    fn round_trips_through_text() {
        for fen in [-100_001, -1, 0, 1, 99, 100, 123_456_789] {
            assert_eq!(Fen::parse_yuan(&Fen(fen).to_yuan_string()), Ok(Fen(fen)));
        }
    }

    #[test]
    fn arithmetic() {
        assert_eq!(Fen::from_yuan(12), Fen(1200));
        assert_eq!(Fen::from_yuan(i64::MAX), Fen(i64::MAX));
        assert_eq!(Fen(150) + Fen(250), Fen(400));
        assert_eq!(Fen(150) - Fen(250), Fen(-100));
        assert_eq!(-Fen(150), Fen(-150));
        assert_eq!([Fen(1), Fen(2), Fen(3)].into_iter().sum::<Fen>(), Fen(6));
        assert_eq!([Fen(1), Fen(2)].iter().sum::<Fen>(), Fen(3));
        assert_eq!(Fen(i64::MAX) + Fen(1), Fen(i64::MAX));
        assert_eq!(Fen(1).checked_add(Fen(2)), Some(Fen(3)));
        assert_eq!(Fen(i64::MAX).checked_add(Fen(1)), None);
        assert_eq!(Fen(250).checked_mul(3), Some(Fen(750)));
        assert_eq!(Fen(i64::MAX / 2).checked_mul(3), None);
        let mut total = Fen::default();
        total += Fen(5);
        total -= Fen(2);
        assert_eq!(total, Fen(3));
    }

    #[test]
    fn serde_is_a_plain_integer() {
        assert_eq!(
            serde_json::to_string(&Fen(1234)).expect("serialize"),
            "1234"
        );
        assert_eq!(serde_json::from_str::<Fen>("-50").expect("valid"), Fen(-50));
        assert!(serde_json::from_str::<Fen>("\"12.34\"").is_err());
    }
}
