//! The one way log lines leave the process: a `tracing_subscriber` writer that makes every
//! formatted record safe, whatever a `tracing` call put into it.
//!
//! [`SafeMakeWriter`] wraps the real writer (standard error in the binary) and, for each record:
//! - escapes the control characters inside it: a newline, carriage return or tab becomes `\n`,
//!   `\r`, `\t`; ESC and every other C0 or C1 control, and the Unicode line separators and
//!   bidirectional overrides that make a viewer break or reorder a line, `\u{1b}` and the like.
//!   Only the record's final newline stays, so nothing a user typed can start a line of its own
//!   or colour a terminal;
//! - masks everything shaped like a resident identity number, a mobile number or a credit code,
//!   valid or not (`domain::mask::scrub`).
//!
//! In the JSON format the escapes are written so that the line stays JSON and a string decodes to
//! the visible escape (`"a\\nb"` reads `a\nb`), never to the control character; an integer that
//! reads as an identifier becomes a masked string. A record with no control character and no run
//! of 11 letters or digits is written as it is, after one pass over its bytes and without a copy:
//! the server logs on hot paths at debug level.
//!
//! [`init`] installs the process's subscriber through it; `minsheng` calls it for every command.

use std::borrow::Cow;
use std::fmt;
use std::io::{self, Write};
use std::str::FromStr;

use domain::mask;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;
use tracing_subscriber::util::{SubscriberInitExt, TryInitError};

/// What is logged when `RUST_LOG` is not set. rumqttd (the embedded broker) logs every ordinary disconnection as an error; the telemetry
/// crate reports what matters of it itself.
pub const DEFAULT_FILTER: &str = "info,sqlx=warn,tower_http=warn,rumqttd=off";

/// How each record is written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LogFormat {
    /// One compact line of text per record (`tracing_subscriber`'s compact format).
    #[default]
    Plain,
    /// One JSON object per line.
    Json,
}

impl FromStr for LogFormat {
    type Err = String;

    fn from_str(s: &str) -> Result<LogFormat, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "plain" | "text" => Ok(LogFormat::Plain),
            "json" => Ok(LogFormat::Json),
            other => Err(format!("{other:?}: expected plain or json")),
        }
    }
}

impl fmt::Display for LogFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LogFormat::Plain => "plain",
            LogFormat::Json => "json",
        })
    }
}

/// The subscriber every command of the binary uses: `filter` chooses what is logged, `format`
/// how, and every record goes to `writer` through [`SafeMakeWriter`]. Colours are off: the
/// writer would escape them like any other control character.
pub fn subscriber<M>(format: LogFormat, filter: EnvFilter, writer: M) -> Box<dyn tracing::Subscriber + Send + Sync>
where
    M: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_ansi(false)
        // A log that cannot be written (a full disk under a redirected stderr) is lost, never the
        // request: reporting it went through `eprintln!`, which panics when stderr fails too.
        .log_internal_errors(false)
        .with_writer(SafeMakeWriter::new(writer, format));
    match format {
        LogFormat::Plain => Box::new(builder.compact().finish()),
        LogFormat::Json => Box::new(builder.json().finish()),
    }
}

/// Installs [`subscriber`] for the process, writing to standard error, with `RUST_LOG` (or
/// [`DEFAULT_FILTER`]) as its filter.
pub fn init(format: LogFormat) -> Result<(), TryInitError> {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    subscriber(format, filter, io::stderr).try_init()
}

/// A [`MakeWriter`] whose writers make each record safe (see the module) before handing it on.
#[derive(Clone, Debug)]
pub struct SafeMakeWriter<M> {
    inner: M,
    format: LogFormat,
}

impl<M> SafeMakeWriter<M> {
    pub fn new(inner: M, format: LogFormat) -> SafeMakeWriter<M> {
        SafeMakeWriter { inner, format }
    }
}

impl<'a, M: MakeWriter<'a>> MakeWriter<'a> for SafeMakeWriter<M> {
    type Writer = SafeWriter<M::Writer>;

    fn make_writer(&'a self) -> Self::Writer {
        SafeWriter::new(self.inner.make_writer(), self.format)
    }

    fn make_writer_for(&'a self, meta: &tracing::Metadata<'_>) -> Self::Writer {
        SafeWriter::new(self.inner.make_writer_for(meta), self.format)
    }
}

/// The writer of one record. `tracing_subscriber` formats a record whole and writes it at once;
/// text written in pieces is kept until it ends with a newline (or the writer is dropped) and
/// then made safe as one record.
pub struct SafeWriter<W: Write> {
    inner: W,
    format: LogFormat,
    pending: Vec<u8>,
}

impl<W: Write> SafeWriter<W> {
    fn new(inner: W, format: LogFormat) -> SafeWriter<W> {
        SafeWriter { inner, format, pending: Vec::new() }
    }
}

impl<W: Write> Write for SafeWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.pending.is_empty() && buf.last() == Some(&b'\n') {
            self.inner.write_all(&make_safe(buf, self.format))?;
        } else {
            self.pending.extend_from_slice(buf);
            if self.pending.last() == Some(&b'\n') {
                let record = std::mem::take(&mut self.pending);
                self.inner.write_all(&make_safe(&record, self.format))?;
            }
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

impl<W: Write> Drop for SafeWriter<W> {
    fn drop(&mut self) {
        if !self.pending.is_empty() {
            let record = std::mem::take(&mut self.pending);
            let _ = self.inner.write_all(&make_safe(&record, self.format));
            let _ = self.inner.flush();
        }
    }
}

/// One record made safe: control characters escaped (but the final newline), identifiers masked.
/// The record itself when there is nothing to do.
pub fn make_safe(record: &[u8], format: LogFormat) -> Cow<'_, [u8]> {
    let json = format == LogFormat::Json;
    let (body, newline) = match record.strip_suffix(b"\n") {
        Some(body) => (body, true),
        None => (record, false),
    };
    if !needs_a_look(body, json) {
        return Cow::Borrowed(record);
    }
    let text = String::from_utf8_lossy(body);
    let escaped = escape(&text, json);
    let masked = if json { scrub_json(&escaped) } else { mask::scrub(&escaped) };
    if masked.as_bytes() == body {
        return Cow::Borrowed(record);
    }
    let mut out = masked.into_owned().into_bytes();
    if newline {
        out.push(b'\n');
    }
    Cow::Owned(out)
}

/// [`mask::scrub`] on a line of JSON, string by string; a number outside a string that reads as
/// an identifier (an integer field) is masked and written as a string, so the line stays JSON.
fn scrub_json(s: &str) -> Cow<'_, str> {
    let b = s.as_bytes();
    let mut out = String::new();
    let mut copied = 0;
    let mut i = 0;
    while i < b.len() {
        let start = i;
        if b[i] == b'"' {
            i += 1;
            while i < b.len() && b[i] != b'"' {
                // An escape: step over the character it escapes (an escaped quote ends nothing).
                i += if b[i] == b'\\' { 2 } else { 1 };
                while i < b.len() && !s.is_char_boundary(i) {
                    i += 1;
                }
            }
            i = (i + 1).min(b.len());
            if let Cow::Owned(masked) = mask::scrub(s.get(start..i).unwrap_or_default()) {
                out.push_str(s.get(copied..start).unwrap_or_default());
                out.push_str(&masked);
                copied = i;
            }
        } else if b[i].is_ascii_alphanumeric() {
            while i < b.len() && b[i].is_ascii_alphanumeric() {
                i += 1;
            }
            if let Cow::Owned(masked) = mask::scrub(s.get(start..i).unwrap_or_default()) {
                out.push_str(s.get(copied..start).unwrap_or_default());
                out.push('"');
                out.push_str(&masked);
                out.push('"');
                copied = i;
            }
        } else {
            i += 1;
        }
    }
    if copied == 0 {
        return Cow::Borrowed(s);
    }
    out.push_str(s.get(copied..).unwrap_or_default());
    Cow::Owned(out)
}

/// Whether a record may hold something to escape or mask: a control character (or the first byte
/// of a C1 control, a line separator or a bidirectional override; in JSON, a backslash), or a run
/// of letters and digits long enough to be an identifier. One pass, no allocation.
fn needs_a_look(body: &[u8], json: bool) -> bool {
    let mut run = 0;
    for &c in body {
        if c.is_ascii_alphanumeric() {
            run += 1;
            if run >= mask::SHORTEST_IDENTIFIER {
                return true;
            }
            continue;
        }
        run = 0;
        if c < 0x20 || c == 0x7f || c == 0xc2 || c == 0xe2 || (json && c == b'\\') {
            return true;
        }
    }
    false
}

/// Characters that must not reach a log line as they are: C0 and C1 controls and DEL, the line
/// and paragraph separators, and the bidirectional embeddings, overrides and isolates.
fn is_unsafe(c: char) -> bool {
    c.is_control() || matches!(c, '\u{2028}' | '\u{2029}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// The visible escape of an unsafe character: `\n`, `\r`, `\t`, else `\u{1b}` (hex, as Rust
/// writes it); in JSON with its backslash escaped, so that the string decodes to the escape.
fn visible(c: char, json: bool, out: &mut String) {
    out.push('\\');
    if json {
        out.push('\\');
    }
    match c {
        '\n' => out.push('n'),
        '\r' => out.push('r'),
        '\t' => out.push('t'),
        c => out.push_str(&format!("u{{{:x}}}", u32::from(c))),
    }
}

/// Escapes the unsafe characters of a record. In JSON, a string's escapes that stand for one
/// (`\n`, `\u001b`) are rewritten to the visible escape too; the others are kept as they are.
fn escape(s: &str, json: bool) -> Cow<'_, str> {
    let mut out = String::new();
    let mut copied = 0;
    let mut chars = s.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let (end, stands_for) = if json && c == '\\' {
            match chars.peek().map(|&(_, n)| n) {
                Some('n') => (i + 2, Some('\n')),
                Some('r') => (i + 2, Some('\r')),
                Some('t') => (i + 2, Some('\t')),
                Some('b') => (i + 2, Some('\u{8}')),
                Some('f') => (i + 2, Some('\u{c}')),
                Some('u') => {
                    let code = s.get(i + 2..i + 6).and_then(|h| u32::from_str_radix(h, 16).ok()).and_then(char::from_u32);
                    match code {
                        Some(u) if is_unsafe(u) => (i + 6, Some(u)),
                        _ => (i + 2, None),
                    }
                }
                _ => (i + 2, None),
            }
        } else if is_unsafe(c) {
            (i + c.len_utf8(), Some(c))
        } else {
            continue;
        };
        // Step over the rest of the escape (an escaped backslash must not start another).
        while chars.peek().is_some_and(|&(j, _)| j < end) {
            chars.next();
        }
        if let Some(u) = stands_for {
            out.push_str(s.get(copied..i).unwrap_or_default());
            visible(u, json, &mut out);
            copied = end;
        }
    }
    if copied == 0 {
        return Cow::Borrowed(s);
    }
    out.push_str(s.get(copied..).unwrap_or_default());
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;

    /// An ID number with a valid check digit, another with a wrong one, a mobile number and a
    /// credit code.
    const ID: &str = "330183199001011232";
    const BAD_CHECK: &str = "330183199001011231";
    const PHONE: &str = "13900001234";
    const CREDIT: &str = "91330000742906207U";

    fn safe(record: &str, format: LogFormat) -> String {
        String::from_utf8(make_safe(record.as_bytes(), format).into_owned()).expect("UTF-8")
    }

    #[test]
    fn control_characters_become_visible_escapes_and_only_the_last_newline_stays() {
        let record = "2026-12-06T08:00:00.000001Z  INFO login failed login=x\nFORGED INFO admin logged in\r\t\u{1b}[31mred\u{7}\u{85}\u{2028}\u{202e}end\n";
        let out = safe(record, LogFormat::Plain);
        assert_eq!(
            out,
            "2026-12-06T08:00:00.000001Z  INFO login failed login=x\\nFORGED INFO admin logged in\\r\\t\\u{1b}[31mred\\u{7}\\u{85}\\u{2028}\\u{202e}end\n"
        );
        assert_eq!(out.lines().count(), 1);
        // A record without its newline gets none.
        assert_eq!(safe("a\nb", LogFormat::Plain), "a\\nb");
    }

    #[test]
    fn identifiers_are_masked_valid_or_not() {
        let record = format!("login={ID} other={BAD_CHECK} phone={PHONE} code={CREDIT} id=290184373837004800\n");
        let out = safe(&record, LogFormat::Plain);
        assert_eq!(out, "login=330183********1232 other=330183********1231 phone=139****1234 code=9133**********207U id=290184373837004800\n");
    }

    #[test]
    fn ordinary_lines_are_written_as_they_are() {
        for line in [
            "2026-12-06T08:00:00.123456Z DEBUG http{method=GET path=/api/applications/290184373837004800} finished processing request latency=3 ms status=200\n",
            "2026-12-06T08:00:00.123456Z DEBUG batch jobs=12 load_us=31 run_us=402 save_us=77 commit_us=1210\n",
            "2026-12-06T08:00:00.123456Z  INFO minsheng serving url=http://127.0.0.1:8080 database=SQLite\n",
            "{\"timestamp\":\"2026-12-06T08:00:00.123456Z\",\"level\":\"INFO\",\"fields\":{\"message\":\"出生一件事\",\"id\":\"550e8400-e29b-41d4-a716-446655440000\"}}\n",
        ] {
            for format in [LogFormat::Plain, LogFormat::Json] {
                assert!(matches!(make_safe(line.as_bytes(), format), Cow::Borrowed(_)), "{line}");
            }
        }
    }

    #[test]
    fn json_escapes_of_control_characters_decode_to_visible_escapes() {
        let record = r#"{"fields":{"message":"login failed","login":"x\nFORGED \u001b[31m\"q\" a\\nb \u0085 \u4e2d","id":"330183199001011232"}}"#.to_owned() + "\n";
        let out = safe(&record, LogFormat::Json);
        let v: serde_json::Value = serde_json::from_str(&out).expect("still JSON");
        assert_eq!(v["fields"]["login"], r#"x\nFORGED \u{1b}[31m"q" a\nb \u{85} 中"#);
        assert_eq!(v["fields"]["id"], "330183********1232");
        // An integer field that reads as an ID number becomes a masked string.
        let out = safe("{\"fields\":{\"account\":330183199001011232,\"n\":[13900001234,1.5e3],\"s\":\"a\\\"13900001234\"}}\n", LogFormat::Json);
        assert_eq!(out, "{\"fields\":{\"account\":\"330183********1232\",\"n\":[\"139****1234\",1.5e3],\"s\":\"a\\\"139****1234\"}}\n");
        serde_json::from_str::<serde_json::Value>(&out).expect("still JSON");
        // A raw C1 control or line separator (which serde_json leaves as it is).
        let out = safe("{\"m\":\"a\u{85}b\u{2028}c\"}\n", LogFormat::Json);
        assert_eq!(serde_json::from_str::<serde_json::Value>(&out).expect("JSON")["m"], r"a\u{85}b\u{2028}c");
    }

    #[test]
    fn a_record_written_in_pieces_is_made_safe_whole() {
        let mut sink = Vec::new();
        {
            let mut w = SafeWriter::new(&mut sink, LogFormat::Plain);
            w.write_all(b"login=3301831990").expect("write");
            w.write_all(b"01011232 a\n").expect("write");
            w.write_all(b"b\x1b").expect("write");
        }
        assert_eq!(String::from_utf8(sink).expect("UTF-8"), "login=330183********1232 a\nb\\u{1b}");
    }

    /// Everything written, for a subscriber under test.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl Write for Captured {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner).extend_from_slice(buf);
            Ok(buf.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl<'a> MakeWriter<'a> for Captured {
        type Writer = Captured;

        fn make_writer(&'a self) -> Captured {
            self.clone()
        }
    }

    /// What a careless `tracing` call writes through the binary's subscriber, in `format`.
    fn logged(format: LogFormat) -> String {
        let captured = Captured::default();
        let sub = subscriber(format, EnvFilter::new("debug"), captured.clone());
        let forged = "x\n2026-12-06T08:00:00.000000Z  INFO FORGED admin logged in\u{1b}[2J";
        tracing::subscriber::with_default(sub, || {
            let span = tracing::info_span!("http", method = "GET", path = %format!("/api/pool/registers/persons/{ID}"));
            let _entered = span.enter();
            tracing::info!(login = %forged, "login failed");
            tracing::info!(login = ?forged, other = %BAD_CHECK, "login failed");
            tracing::warn!("typed into the login field: {forged} {PHONE} {CREDIT}");
            tracing::debug!(id = 290184373837004800_i64, ip = "127.0.0.1:8080", "batch");
        });
        let bytes = captured.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone();
        String::from_utf8(bytes).expect("UTF-8")
    }

    #[test]
    fn the_binary_s_subscriber_writes_safe_lines_in_both_formats() {
        for format in [LogFormat::Plain, LogFormat::Json] {
            let out = logged(format);
            assert_eq!(out.lines().count(), 4, "{format}: one line per record:\n{out}");
            assert!(!out.lines().any(|l| l.starts_with("2026-12-06T08:00:00.000000Z")), "{format}: a forged line:\n{out}");
            assert!(!out.bytes().any(|b| b < 0x20 && b != b'\n'), "{format}: no control character:\n{out}");
            for plain in [ID, BAD_CHECK, PHONE, CREDIT] {
                assert!(!out.contains(plain), "{format}: {plain} in\n{out}");
            }
            assert!(out.contains("290184373837004800") && out.contains("127.0.0.1:8080"), "{format}: ids and addresses kept:\n{out}");
            if format == LogFormat::Json {
                for line in out.lines() {
                    let v: serde_json::Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
                    assert!(!strings(&v).iter().any(|s| s.chars().any(is_unsafe)), "decodes to no control character: {line}");
                }
            } else {
                assert!(out.contains("login=x\\n2026-12-06T08:00:00.000000Z  INFO FORGED"), "{out}");
            }
        }
    }

    /// Every string in a JSON value.
    fn strings(v: &serde_json::Value) -> Vec<String> {
        match v {
            serde_json::Value::String(s) => vec![s.clone()],
            serde_json::Value::Array(a) => a.iter().flat_map(strings).collect(),
            serde_json::Value::Object(o) => o.iter().flat_map(|(k, v)| std::iter::once(k.clone()).chain(strings(v))).collect(),
            _ => Vec::new(),
        }
    }

    #[test]
    fn formats_parse() {
        assert_eq!("json".parse::<LogFormat>(), Ok(LogFormat::Json));
        assert_eq!(" Plain ".parse::<LogFormat>(), Ok(LogFormat::Plain));
        assert!("yaml".parse::<LogFormat>().is_err());
    }
}
