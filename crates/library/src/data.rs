//! Reading the engine's TOML data files (`data/library/*.toml`): the shipped files embedded, and
//! the helpers that turn a bad value into an error at file, line, column and field.

use std::ops::Range;

use chrono::NaiveDate;
use domain::LineIndex;
use toml::Spanned;

use crate::error::LibraryError;

/// The shipped branches (`data/library/branches.toml`).
pub const BRANCHES: &str = include_str!("../../../data/library/branches.toml");
/// The shipped delivery fee rules (`data/library/fees.toml`).
pub const FEES: &str = include_str!("../../../data/library/fees.toml");
/// The shipped loan rules (`data/library/rules.toml`).
pub const RULES: &str = include_str!("../../../data/library/rules.toml");
/// The shipped sample holdings as CSV (`data/library/sample.csv`).
pub const SAMPLE_CSV: &str = include_str!("../../../data/library/sample.csv");
/// The same holdings as MARC 21 in ISO 2709 (`data/library/sample.mrc`).
pub const SAMPLE_MRC: &[u8] = include_bytes!("../../../data/library/sample.mrc");

/// Builds errors at positions of one file.
pub(crate) struct Ctx<'a> {
    pub(crate) name: &'a str,
    lines: LineIndex<'a>,
}

impl<'a> Ctx<'a> {
    /// A context for `text`, named `name` in errors.
    pub(crate) fn new(name: &'a str, text: &'a str) -> Ctx<'a> {
        Ctx { name, lines: LineIndex::new(text) }
    }

    /// The 1-based line of a byte offset.
    pub(crate) fn line(&self, offset: usize) -> usize {
        self.lines.position(offset).0
    }

    /// An error at a span.
    pub(crate) fn err(&self, span: Range<usize>, field: &str, zh: String, en: String) -> LibraryError {
        let (line, column) = self.lines.position(span.start);
        LibraryError::Rules { file: self.name.to_owned(), line, column, field: field.to_owned(), message_zh: zh, message_en: en }
    }

    /// Deserializes the whole file, a syntax error or unknown field at its position.
    pub(crate) fn parse<T: serde::de::DeserializeOwned>(&self, text: &str) -> Result<T, LibraryError> {
        toml::from_str(text).map_err(|e| {
            let m = e.message().trim().to_owned();
            self.err(e.span().unwrap_or(0..0), "toml", format!("TOML 格式错误：{m}"), m)
        })
    }

    /// A number in a range.
    pub(crate) fn within<T: std::marker::Copy + PartialOrd + std::fmt::Display>(&self, v: &Spanned<T>, field: &str, lo: T, hi: T) -> Result<T, LibraryError> {
        let n = *v.get_ref();
        if !(n >= lo && n <= hi) {
            return Err(self.err(v.span(), field, format!("{n} 不在 {lo}–{hi} 之间"), format!("{n} is not within {lo}..={hi}")));
        }
        Ok(n)
    }

    /// A non-empty text, trimmed.
    pub(crate) fn text(&self, v: &Spanned<String>, field: &str) -> Result<String, LibraryError> {
        let t = v.get_ref().trim();
        if t.is_empty() {
            return Err(self.err(v.span(), field, "不能为空".to_owned(), "must not be empty".to_owned()));
        }
        Ok(t.to_owned())
    }

    /// A TOML local date (`2026-12-01`, no time).
    pub(crate) fn date(&self, v: &Spanned<toml::value::Datetime>, field: &str) -> Result<NaiveDate, LibraryError> {
        let d = v.get_ref();
        let bad = || self.err(v.span(), field, format!("「{d}」应为日期，如 2026-12-01"), format!("{d} must be a date such as 2026-12-01"));
        if d.time.is_some() || d.offset.is_some() {
            return Err(bad());
        }
        let Some(date) = d.date else {
            return Err(bad());
        };
        NaiveDate::from_ymd_opt(i32::from(date.year), u32::from(date.month), u32::from(date.day)).ok_or_else(bad)
    }
}
