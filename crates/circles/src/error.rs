//! The crate's one error type: every failure names the file, the record and the field at fault.

use std::path::{Path, PathBuf};

/// Result alias for the circles engine.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in the circles engine.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file could not be opened, read or written.
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A record of an input file is malformed.
    #[error("{path}: {record}: field `{field}`: {message}")]
    Parse {
        path: PathBuf,
        /// Where in the file: "line 12", "feature 3", "way 4711", …
        record: String,
        field: String,
        message: String,
    },
    /// The PBF container itself could not be decoded.
    #[error("{path}: not a readable OpenStreetMap PBF file: {message}")]
    Pbf { path: PathBuf, message: String },
    /// The input holds nothing the engine can work with (no walkable way, no resident, …).
    #[error("{what}: {message}")]
    Empty { what: String, message: String },
    /// A configuration value is out of range or inconsistent.
    #[error("configuration: `{field}`: {message}")]
    Config { field: String, message: String },
    /// A category, area or item that was asked for does not exist.
    #[error("not found: {what} `{key}`")]
    NotFound { what: &'static str, key: String },
}

impl Error {
    pub(crate) fn io(path: &Path, source: std::io::Error) -> Self {
        Error::Io {
            path: path.to_path_buf(),
            source,
        }
    }

    pub(crate) fn parse(
        path: &Path,
        record: impl Into<String>,
        field: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Error::Parse {
            path: path.to_path_buf(),
            record: record.into(),
            field: field.into(),
            message: message.into(),
        }
    }

    pub(crate) fn config(field: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Config {
            field: field.into(),
            message: message.into(),
        }
    }
}
