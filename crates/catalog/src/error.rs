//! Catalog sources and the bilingual, position-carrying errors found while loading them.

use std::fmt;
use std::ops::Range;

/// One catalog file's text and the name its errors show (normally its path).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    pub name: String,
    pub text: String,
}

impl Source {
    /// A source from a name and a text.
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Source {
        Source {
            name: name.into(),
            text: text.into(),
        }
    }
}

/// One problem in the catalog, with where it is and what is wrong, in Chinese and English.
///
/// Displays as `file:line:column: field: 中文 (English)`; the `field: ` part is left out when
/// the error concerns no field (TOML syntax errors, unreadable files).
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, thiserror::Error)]
#[error(
    "{file}:{line}:{column}: {}{message_zh} ({message_en})",
    field_prefix(field)
)]
pub struct CatalogError {
    /// The source name (a path); the directory itself for errors about it.
    pub file: String,
    /// 1-based; 0 when the error concerns the whole file (e.g. it cannot be read).
    pub line: u32,
    /// 1-based, counted in characters; 0 with line 0.
    pub column: u32,
    /// The field path, e.g. `item[ga-hukou-birth].promised_days`.
    pub field: String,
    pub message_zh: String,
    pub message_en: String,
}

fn field_prefix(field: &str) -> String {
    if field.is_empty() {
        String::new()
    } else {
        format!("{field}: ")
    }
}

/// Every problem found in a catalog, in file and position order.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CatalogErrors(pub Vec<CatalogError>);

impl CatalogErrors {
    /// The errors.
    pub fn iter(&self) -> std::slice::Iter<'_, CatalogError> {
        self.0.iter()
    }

    /// How many errors there are.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none (never true for an `Err` from the loader).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for CatalogErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for CatalogErrors {}

impl<'a> IntoIterator for &'a CatalogErrors {
    type Item = &'a CatalogError;
    type IntoIter = std::slice::Iter<'a, CatalogError>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

/// Byte offsets of line starts, to turn spans into lines and columns.
#[derive(Debug, Clone)]
pub(crate) struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    pub(crate) fn new(text: &str) -> LineIndex {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { starts }
    }

    /// 1-based line and character column of a byte offset.
    pub(crate) fn position(&self, text: &str, offset: usize) -> (u32, u32) {
        let offset = offset.min(text.len());
        let line = self.starts.partition_point(|&s| s <= offset).max(1);
        let start = self.starts.get(line - 1).copied().unwrap_or(0);
        let column = text
            .get(start..offset)
            .map_or(offset.saturating_sub(start), |s| s.chars().count())
            + 1;
        (to_u32(line), to_u32(column))
    }
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// A loaded file as errors need it.
#[derive(Debug)]
pub(crate) struct FileInfo {
    pub(crate) name: String,
    pub(crate) text: String,
    pub(crate) lines: LineIndex,
}

/// Collects errors while loading; turns spans into positions.
#[derive(Debug, Default)]
pub(crate) struct Diag {
    pub(crate) files: Vec<FileInfo>,
    pub(crate) errors: Vec<CatalogError>,
}

impl Diag {
    pub(crate) fn add_file(&mut self, name: &str, text: &str) -> usize {
        self.files.push(FileInfo {
            name: name.to_owned(),
            text: text.to_owned(),
            lines: LineIndex::new(text),
        });
        self.files.len() - 1
    }

    /// `file:line` of a span, for messages that point at an earlier definition.
    pub(crate) fn place(&self, file: usize, span: &Range<usize>) -> String {
        match self.files.get(file) {
            Some(f) => {
                let (line, _) = f.lines.position(&f.text, span.start);
                format!("{}:{line}", f.name)
            }
            None => String::from("?"),
        }
    }

    /// Records an error at a span of a file.
    pub(crate) fn error(
        &mut self,
        file: usize,
        span: &Range<usize>,
        field: impl Into<String>,
        message_zh: impl Into<String>,
        message_en: impl Into<String>,
    ) {
        let (name, line, column) = match self.files.get(file) {
            Some(f) => {
                let (line, column) = f.lines.position(&f.text, span.start);
                (f.name.clone(), line, column)
            }
            None => (String::from("?"), 0, 0),
        };
        self.errors.push(CatalogError {
            file: name,
            line,
            column,
            field: field.into(),
            message_zh: message_zh.into(),
            message_en: message_en.into(),
        });
    }

    /// The errors, sorted by file order then position, without exact duplicates.
    pub(crate) fn finish(self) -> Vec<CatalogError> {
        let order: Vec<&str> = self.files.iter().map(|f| f.name.as_str()).collect();
        let rank = |name: &str| order.iter().position(|n| *n == name).unwrap_or(usize::MAX);
        let mut errors = self.errors;
        // Stable: errors at the same position keep the order they were found in.
        errors.sort_by(|a, b| {
            (rank(&a.file), &a.file, a.line, a.column).cmp(&(
                rank(&b.file),
                &b.file,
                b.line,
                b.column,
            ))
        });
        let mut seen = std::collections::HashSet::new();
        errors.retain(|e| seen.insert(e.clone()));
        errors
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_lines_and_characters() {
        let text = "a = 1\n名称 = \"x\"\n\nlast";
        let idx = LineIndex::new(text);
        assert_eq!(idx.position(text, 0), (1, 1));
        assert_eq!(idx.position(text, 4), (1, 5));
        let x = text.find('x').unwrap_or(0);
        assert_eq!(idx.position(text, x), (2, 7));
        let last = text.find("last").unwrap_or(0);
        assert_eq!(idx.position(text, last), (4, 1));
        assert_eq!(idx.position(text, 10_000), (4, 5));
    }

    #[test]
    fn display_lists_every_error_on_its_own_line() {
        let e = |line| CatalogError {
            file: "a.toml".into(),
            line,
            column: 3,
            field: "item[x].visits".into(),
            message_zh: "太多".into(),
            message_en: "too many".into(),
        };
        let mut no_field = e(3);
        no_field.field.clear();
        let all = CatalogErrors(vec![e(1), e(2), no_field]);
        assert_eq!(
            all.to_string(),
            "a.toml:1:3: item[x].visits: 太多 (too many)\na.toml:2:3: item[x].visits: 太多 (too many)\na.toml:3:3: 太多 (too many)"
        );
    }
}
