//! CSV files read whole, so that every error names the line it is on, counted from the bytes: the
//! csv crate counts one line short after CRLF line ends (BurntSushi/rust-csv#395) and after a
//! blank line (#208), and a planner's spreadsheet export ends its lines with CRLF.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// A CSV file's bytes and where its lines start.
pub struct CsvFile {
    path: PathBuf,
    bytes: Vec<u8>,
    /// Byte offsets of every `\n`.
    newlines: Vec<usize>,
}

impl CsvFile {
    pub fn open(path: &Path) -> Result<CsvFile> {
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        let newlines = bytes.iter().enumerate().filter(|(_, b)| **b == b'\n').map(|(i, _)| i).collect();
        Ok(CsvFile { path: path.to_owned(), bytes, newlines })
    }

    /// A reader of the file with `builder`'s settings.
    pub fn reader(&self, builder: &csv::ReaderBuilder) -> csv::Reader<&[u8]> {
        builder.from_reader(&self.bytes[..])
    }

    /// The line (1-based) a record at `pos` starts on.
    pub fn line(&self, pos: Option<&csv::Position>) -> u64 {
        let Some(pos) = pos else { return 0 };
        // The reader's position may stand on the end of the line before (the `\n` of a CRLF).
        let mut b = usize::try_from(pos.byte()).unwrap_or(usize::MAX).min(self.bytes.len());
        while b < self.bytes.len() && matches!(self.bytes[b], b'\r' | b'\n') {
            b += 1;
        }
        1 + self.newlines.partition_point(|&n| n < b) as u64
    }

    /// "line N" of a record at `pos`.
    pub fn at(&self, pos: Option<&csv::Position>) -> String {
        format!("line {}", self.line(pos))
    }

    /// A csv error, at its line.
    pub fn error(&self, e: csv::Error) -> Error {
        let record = e.position().map_or_else(|| "file".to_owned(), |p| self.at(Some(p)));
        match e.into_kind() {
            csv::ErrorKind::Io(io) => Error::io(&self.path, io),
            other => Error::parse(&self.path, record, "csv", format!("{other:?}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 37: line numbers were one short with CRLF line ends.
    #[test]
    fn lines_are_counted_the_same_with_lf_and_crlf_and_blank_lines() {
        let dir = tempfile::tempdir().expect("tempdir");
        for (name, text) in [("lf.csv", "a,b\n1,2\n3,4\n\n5,6\n"), ("crlf.csv", "a,b\r\n1,2\r\n3,4\r\n\r\n5,6\r\n")] {
            let path = dir.path().join(name);
            std::fs::write(&path, text).expect("write");
            let f = CsvFile::open(&path).expect("open");
            let mut rdr = f.reader(&csv::ReaderBuilder::new());
            let lines: Vec<(String, u64)> =
                rdr.records().map(|r| r.expect("record")).map(|r| (r[0].to_owned(), f.line(r.position()))).collect();
            assert_eq!(lines, vec![("1".to_owned(), 2), ("3".to_owned(), 3), ("5".to_owned(), 5)], "{name}");
        }
    }
}
