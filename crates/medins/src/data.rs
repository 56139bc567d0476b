//! Reading the TOML data files: a syntax error or a broken rule names the file, the 1-based line
//! and the field, and every file's content is hashed so that a settlement can say which data it
//! was computed with.

use serde::de::DeserializeOwned;
use sha2::Digest;
use sha2::Sha256;

use crate::error::MedinsError;

/// Parses `text` as the TOML of `file`, naming the line and the key of a syntax or shape error.
pub(crate) fn parse<T: DeserializeOwned>(file: &str, text: &str) -> Result<T, MedinsError> {
    toml::from_str(text).map_err(|e| {
        let line = e.span().map(|s| line_of(text, s.start));
        let field = line.map(|l| key_on_line(text, l)).unwrap_or_default();
        MedinsError::data(file, line, field, e.message().trim().to_owned())
    })
}

/// The 1-based line of byte `offset` in `text`.
pub(crate) fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes().get(..end).map_or(0, |b| b.iter().filter(|&&c| c == b'\n').count()) + 1
}

/// The line of the first occurrence of `needle` in `text`, if any (for keys of tables whose
/// deserializer keeps no span).
pub(crate) fn line_of_text(text: &str, needle: &str) -> Option<usize> {
    text.find(needle).map(|o| line_of(text, o))
}

/// The key or table name written on line `line` (1-based), for an error's field.
fn key_on_line(text: &str, line: usize) -> String {
    let Some(l) = text.lines().nth(line.saturating_sub(1)) else { return String::new() };
    let l = l.trim();
    if let Some(t) = l.strip_prefix('[') {
        return t.trim_start_matches('[').trim_end_matches(']').trim().to_owned();
    }
    match l.split_once('=') {
        Some((k, _)) => k.trim().trim_matches('"').to_owned(),
        None => String::new(),
    }
}

/// The SHA-256 of the given texts, each length-prefixed, as hex.
pub(crate) fn digest_texts(texts: &[&str]) -> String {
    let mut h = Sha256::new();
    for t in texts {
        h.update((t.len() as u64).to_le_bytes());
        h.update(t.as_bytes());
    }
    hex::encode(h.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct T {
        a: u32,
        b: String,
    }

    #[test]
    fn errors_name_the_line_and_the_key() {
        let text = "a = 1\n\nb = 2\n";
        let e = parse::<T>("t.toml", text).expect_err("b is not a string");
        let MedinsError::Data { file, line, field, .. } = &e else { panic!("{e:?}") };
        assert_eq!((file.as_str(), *line, field.as_str()), ("t.toml", Some(3), "b"));
        let e = parse::<T>("t.toml", "a = 1\nb = \"x\"\n[[[").expect_err("garbage");
        assert!(matches!(e, MedinsError::Data { line: Some(3), .. }), "{e:?}");
        assert_eq!(line_of("x\ny\nz", 4), 3);
        assert_eq!(line_of("x", 99), 1);
        assert_eq!(line_of_text("a\nneedle", "needle"), Some(2));
        assert_ne!(digest_texts(&["ab", "c"]), digest_texts(&["a", "bc"]));
    }
}
