//! The catalogue and holdings: titles by ISBN (ISBN-10 and ISBN-13 checked and kept as ISBN-13),
//! the copies each branch holds with their shelf status, the branches (where they are, whether
//! they have a pick-up desk, how soon they hand a parcel to the courier), and the all-or-nothing
//! CSV import of one row per copy. Copies are indexed by ISBN and barcode so an order is planned
//! without a scan.

use std::collections::BTreeMap;
use std::collections::HashMap;
use std::collections::HashSet;
use std::fmt;

use serde::Deserialize;
use serde::Serialize;
use toml::Spanned;

use crate::data::Ctx;
use crate::error::LibraryError;

/// An ISBN, always kept as the 13 digits of an ISBN-13 (an ISBN-10 is converted to 978…).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Isbn(String);

/// The check digit of the first 12 digits of an ISBN-13.
fn isbn13_check(digits: &[u8]) -> u8 {
    let sum: u32 = digits.iter().take(12).enumerate().map(|(i, d)| u32::from(*d) * if i % 2 == 0 { 1 } else { 3 }).sum();
    // `sum % 10` is below 10, so the result fits a digit.
    ((10 - sum % 10) % 10) as u8
}

impl Isbn {
    /// Reads an ISBN-10 or ISBN-13, hyphens and spaces allowed, and checks its check digit.
    pub fn parse(input: &str) -> Result<Isbn, LibraryError> {
        let bad = |zh: &str, en: &str| LibraryError::InvalidIsbn { input: input.to_owned(), message_zh: zh.to_owned(), message_en: en.to_owned() };
        let s: String = input.chars().filter(|c| *c != '-' && *c != ' ').collect();
        if s.is_empty() {
            return Err(bad("为空", "empty"));
        }
        let chars: Vec<char> = s.chars().collect();
        match chars.len() {
            10 => {
                let mut digits: Vec<u8> = Vec::with_capacity(10);
                for (i, c) in chars.iter().enumerate() {
                    match c.to_digit(10) {
                        // A digit is below 10.
                        Some(d) => digits.push(d as u8),
                        None if i == 9 && (*c == 'X' || *c == 'x') => digits.push(10),
                        None => return Err(bad("含有数字以外的字符（ISBN-10 末位可为 X）", "has a character that is not a digit (an ISBN-10 may end in X)")),
                    }
                }
                let sum: u32 = digits.iter().enumerate().map(|(i, d)| u32::from(*d) * (10 - i as u32)).sum();
                if !sum.is_multiple_of(11) {
                    return Err(bad("校验位错误", "check digit wrong"));
                }
                let mut d13: Vec<u8> = vec![9, 7, 8];
                d13.extend_from_slice(&digits[..9]);
                d13.push(isbn13_check(&d13));
                Ok(Isbn(d13.iter().map(|d| char::from(b'0' + d)).collect()))
            }
            13 => {
                if !chars.iter().all(char::is_ascii_digit) {
                    return Err(bad("含有数字以外的字符", "has a character that is not a digit"));
                }
                if !(s.starts_with("978") || s.starts_with("979")) {
                    return Err(bad("ISBN-13 应以 978 或 979 开头", "an ISBN-13 starts with 978 or 979"));
                }
                let digits: Vec<u8> = s.bytes().map(|b| b - b'0').collect();
                if digits.get(12).copied() != Some(isbn13_check(&digits)) {
                    return Err(bad("校验位错误", "check digit wrong"));
                }
                Ok(Isbn(s))
            }
            n => Err(bad(&format!("应为 10 位或 13 位，实为 {n} 位"), &format!("has {n} digits, not 10 or 13"))),
        }
    }

    /// The ISBN-13 of its first 12 digits (978 or 979 first), the check digit computed.
    pub fn complete(first12: &str) -> Result<Isbn, LibraryError> {
        let bad = || LibraryError::InvalidIsbn {
            input: first12.to_owned(),
            message_zh: "应为 978 或 979 开头的 12 位数字".to_owned(),
            message_en: "must be 12 digits starting with 978 or 979".to_owned(),
        };
        if first12.len() != 12 || !first12.bytes().all(|b| b.is_ascii_digit()) || !(first12.starts_with("978") || first12.starts_with("979")) {
            return Err(bad());
        }
        let digits: Vec<u8> = first12.bytes().map(|b| b - b'0').collect();
        Ok(Isbn(format!("{first12}{}", isbn13_check(&digits))))
    }

    /// The 13 digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The ISBN-10 of a 978 ISBN (none for 979).
    pub fn isbn10(&self) -> Option<String> {
        let core = self.0.strip_prefix("978")?.get(..9)?;
        let sum: u32 = core.bytes().enumerate().map(|(i, b)| u32::from(b - b'0') * (10 - i as u32)).sum();
        let check = (11 - sum % 11) % 11;
        Some(format!("{core}{}", if check == 10 { 'X' } else { char::from(b'0' + check as u8) }))
    }
}

impl fmt::Display for Isbn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for Isbn {
    type Error = LibraryError;
    fn try_from(s: String) -> Result<Isbn, LibraryError> {
        Isbn::parse(&s)
    }
}

impl From<Isbn> for String {
    fn from(i: Isbn) -> String {
        i.0
    }
}

/// Checks a code of ASCII letters, digits, `-` and `_`, 1–32 long.
fn check_code(s: &str, field: &str, zh: &str) -> Result<String, LibraryError> {
    let t = s.trim();
    if t.is_empty() || t.len() > 32 || !t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
        return Err(LibraryError::invalid(
            field,
            format!("「{t}」不是有效的{zh}（字母、数字、- 或 _，1–32 位）"),
            format!("{t:?} is not a {field} (letters, digits, - or _; 1-32 long)"),
        ));
    }
    Ok(t.to_owned())
}

macro_rules! code_type {
    ($(#[$m:meta])* $name:ident, $field:literal, $zh:literal) => {
        $(#[$m])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// Reads one: ASCII letters, digits, `-` and `_`, 1–32 long (trimmed).
            pub fn parse(s: &str) -> Result<$name, LibraryError> {
                check_code(s, $field, $zh).map($name)
            }

            /// The text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl TryFrom<String> for $name {
            type Error = LibraryError;
            fn try_from(s: String) -> Result<$name, LibraryError> {
                $name::parse(&s)
            }
        }

        impl From<$name> for String {
            fn from(c: $name) -> String {
                c.0
            }
        }
    };
}

code_type!(
    /// A branch's code (`FY-ZG`).
    BranchCode,
    "branch",
    "分馆代码"
);
code_type!(
    /// A copy's barcode (`FY00012345`).
    Barcode,
    "barcode",
    "条码"
);

/// A bibliographic title.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Title {
    /// Its ISBN-13.
    pub isbn: Isbn,
    /// The title (with its subtitle after ` : ` when there is one).
    pub title: String,
    /// The main author.
    pub author: String,
    /// The first subject heading.
    pub subject: String,
    /// The publisher.
    pub publisher: String,
    /// The year of publication.
    pub year: Option<i32>,
}

/// Where a copy is.
#[derive(Debug, Clone, std::marker::Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ShelfStatus {
    /// On the shelf of its branch: it can be ordered.
    OnShelf,
    /// Taken off the shelf for an order (picking, packed, with the courier, waiting at a desk).
    ReservedForOrder,
    /// Put aside for the next reader in the title's hold queue.
    ReservedForHold,
    /// Lent to a reader.
    OnLoan,
    /// Coming back to its branch (after a return elsewhere or by courier).
    InTransit,
    /// Withdrawn from the collection (剔旧): never lent again.
    Withdrawn,
    /// Lost.
    Lost,
}

impl ShelfStatus {
    /// The stable code.
    pub fn code(self) -> &'static str {
        match self {
            ShelfStatus::OnShelf => "on_shelf",
            ShelfStatus::ReservedForOrder => "reserved_for_order",
            ShelfStatus::ReservedForHold => "reserved_for_hold",
            ShelfStatus::OnLoan => "on_loan",
            ShelfStatus::InTransit => "in_transit",
            ShelfStatus::Withdrawn => "withdrawn",
            ShelfStatus::Lost => "lost",
        }
    }

    /// Withdrawn or lost: out of the collection.
    pub fn is_gone(self) -> bool {
        matches!(self, ShelfStatus::Withdrawn | ShelfStatus::Lost)
    }
}

/// One physical copy of a title, owned by a branch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Copy {
    /// Its barcode, unique in the district.
    pub barcode: Barcode,
    /// Its title.
    pub isbn: Isbn,
    /// The branch that owns it (where it goes back to).
    pub branch: BranchCode,
    /// Where it is.
    pub status: ShelfStatus,
}

/// A public library or branch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Branch {
    /// Its code.
    pub code: BranchCode,
    /// Its name.
    pub name: String,
    /// Latitude (WGS 84).
    pub lat: f64,
    /// Longitude (WGS 84).
    pub lon: f64,
    /// Whether readers can collect orders at its desk.
    pub pickup_desk: bool,
    /// Minutes from an order to a packed parcel handed to the courier.
    pub picking_minutes: u32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBranches {
    source: Spanned<String>,
    branch: Vec<RawBranch>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBranch {
    code: Spanned<String>,
    name: Spanned<String>,
    lat: Spanned<f64>,
    lon: Spanned<f64>,
    pickup_desk: bool,
    picking_minutes: Spanned<u32>,
}

/// Reads a branches file (`data/library/branches.toml`); every error names line, column and field.
pub fn parse_branches(text: &str, file: &str) -> Result<Vec<Branch>, LibraryError> {
    let cx = Ctx::new(file, text);
    let raw: RawBranches = cx.parse(text)?;
    cx.text(&raw.source, "source")?;
    let mut out: Vec<Branch> = Vec::new();
    for (i, b) in raw.branch.iter().enumerate() {
        let f = format!("branch[{i}]");
        let code = BranchCode::parse(b.code.get_ref()).map_err(|e| cx.err(b.code.span(), &format!("{f}.code"), e.to_string(), e.to_string()))?;
        if out.iter().any(|x| x.code == code) {
            return Err(cx.err(b.code.span(), &format!("{f}.code"), format!("分馆代码「{code}」重复"), format!("branch code {code} twice")));
        }
        out.push(Branch {
            code,
            name: cx.text(&b.name, &format!("{f}.name"))?,
            lat: cx.within(&b.lat, &format!("{f}.lat"), -90.0, 90.0)?,
            lon: cx.within(&b.lon, &format!("{f}.lon"), -180.0, 180.0)?,
            pickup_desk: b.pickup_desk,
            picking_minutes: cx.within(&b.picking_minutes, &format!("{f}.picking_minutes"), 1, 7 * 24 * 60)?,
        });
    }
    if out.is_empty() {
        return Err(cx.err(0..0, "branch", "至少一个分馆".to_owned(), "at least one branch".to_owned()));
    }
    Ok(out)
}

/// The shipped branches (a test checks that they parse).
pub fn embedded_branches() -> Result<Vec<Branch>, LibraryError> {
    parse_branches(crate::data::BRANCHES, "branches.toml")
}

/// What an import added.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportReport {
    /// Titles new to the catalogue.
    pub titles_added: u32,
    /// Copies added.
    pub copies_added: u32,
}

/// The branches, titles and copies of the district's libraries, indexed by ISBN and barcode.
#[derive(Debug, Clone, Default)]
pub struct Catalogue {
    branches: Vec<Branch>,
    titles: BTreeMap<Isbn, Title>,
    copies: Vec<Copy>,
    by_barcode: HashMap<Barcode, usize>,
    by_isbn: HashMap<Isbn, Vec<usize>>,
}

/// The titles and copies of one import, checked row by row before any is added.
pub(crate) struct Batch<'c> {
    cat: &'c Catalogue,
    unit: &'static str,
    titles: BTreeMap<Isbn, (usize, Title)>,
    copies: Vec<Copy>,
    barcodes: HashMap<Barcode, usize>,
}

impl Batch<'_> {
    fn err(&self, at: usize, field: &str, zh: String, en: String) -> LibraryError {
        LibraryError::Import { unit: self.unit, at, field: field.to_owned(), message_zh: zh, message_en: en }
    }

    /// Checks and stages a title (first seen at `at`); the same ISBN again must have the same title.
    pub(crate) fn title(&mut self, at: usize, field: &str, t: Title) -> Result<(), LibraryError> {
        if t.title.trim().is_empty() {
            return Err(self.err(at, field, "书名为空".to_owned(), "the title is empty".to_owned()));
        }
        if let Some((first, known)) = self.titles.get(&t.isbn) {
            if known.title != t.title {
                return Err(self.err(
                    at,
                    field,
                    format!(
                        "同一 ISBN {} 的书名与第 {first} {}不同（「{}」与「{}」）",
                        t.isbn,
                        if self.unit == "line" { "行" } else { "条记录" },
                        known.title,
                        t.title
                    ),
                    format!("the same ISBN {} has another title at {} {first} ({:?} and {:?})", t.isbn, self.unit, known.title, t.title),
                ));
            }
            return Ok(());
        }
        self.titles.insert(t.isbn.clone(), (at, t));
        Ok(())
    }

    /// Checks and stages a copy: a known branch, a barcode new to the catalogue and the batch.
    pub(crate) fn copy(&mut self, at: usize, fields: [&str; 2], isbn: &Isbn, branch: &str, barcode: &str) -> Result<(), LibraryError> {
        let [bf, cf] = fields;
        let branch = BranchCode::parse(branch).map_err(|e| self.err(at, bf, e.message_zh_plain(), e.to_string()))?;
        if self.cat.branch(&branch).is_none() {
            return Err(self.err(at, bf, format!("未知的分馆「{branch}」"), format!("unknown branch {branch}")));
        }
        let barcode = Barcode::parse(barcode).map_err(|e| self.err(at, cf, e.message_zh_plain(), e.to_string()))?;
        if self.cat.by_barcode.contains_key(&barcode) {
            return Err(self.err(at, cf, format!("条码 {barcode} 已在馆藏中"), format!("barcode {barcode} is already in the catalogue")));
        }
        if let Some(first) = self.barcodes.get(&barcode) {
            return Err(self.err(at, cf, format!("条码 {barcode} 与第 {first} 处重复"), format!("barcode {barcode} twice (first at {} {first})", self.unit)));
        }
        self.barcodes.insert(barcode.clone(), at);
        self.copies.push(Copy { barcode, isbn: isbn.clone(), branch, status: ShelfStatus::OnShelf });
        Ok(())
    }
}

impl LibraryError {
    /// The Chinese message of an invalid value without its field (for import errors that name it).
    fn message_zh_plain(&self) -> String {
        match self {
            LibraryError::Invalid { message_zh, .. } | LibraryError::InvalidIsbn { message_zh, .. } => message_zh.clone(),
            e => e.to_string(),
        }
    }
}

/// The CSV header of an import, in order.
pub const CSV_HEADER: [&str; 8] = ["isbn", "title", "author", "subject", "publisher", "year", "branch", "barcode"];

impl Catalogue {
    /// An empty catalogue of these branches (codes must be unique).
    pub fn new(branches: Vec<Branch>) -> Result<Catalogue, LibraryError> {
        let mut seen: HashSet<&BranchCode> = HashSet::new();
        for b in &branches {
            if !seen.insert(&b.code) {
                return Err(LibraryError::invalid("branch", format!("分馆代码「{}」重复", b.code), format!("branch code {} twice", b.code)));
            }
        }
        Ok(Catalogue { branches, ..Catalogue::default() })
    }

    /// The branches.
    pub fn branches(&self) -> &[Branch] {
        &self.branches
    }

    /// A branch by code.
    pub fn branch(&self, code: &BranchCode) -> Option<&Branch> {
        self.branches.iter().find(|b| &b.code == code)
    }

    /// The titles, by ISBN.
    pub fn titles(&self) -> impl Iterator<Item = &Title> {
        self.titles.values()
    }

    /// A title by ISBN.
    pub fn title(&self, isbn: &Isbn) -> Option<&Title> {
        self.titles.get(isbn)
    }

    /// Every copy.
    pub fn copies(&self) -> &[Copy] {
        &self.copies
    }

    /// A copy by barcode.
    pub fn copy(&self, barcode: &Barcode) -> Option<&Copy> {
        self.by_barcode.get(barcode).and_then(|i| self.copies.get(*i))
    }

    /// The copies of a title (an index look-up).
    pub fn copies_of(&self, isbn: &Isbn) -> impl Iterator<Item = &Copy> {
        self.by_isbn.get(isbn).into_iter().flatten().filter_map(|i| self.copies.get(*i))
    }

    /// Sets a copy's shelf status (staff: withdraw, lost, found) and returns the old one.
    pub fn set_status(&mut self, barcode: &Barcode, status: ShelfStatus) -> Result<ShelfStatus, LibraryError> {
        let i = *self.by_barcode.get(barcode).ok_or_else(|| LibraryError::not_found("copy", barcode.as_str()))?;
        let c = self.copies.get_mut(i).ok_or_else(|| LibraryError::not_found("copy", barcode.as_str()))?;
        Ok(std::mem::replace(&mut c.status, status))
    }

    /// Starts a batch of rows to check before any is added.
    pub(crate) fn batch(&self, unit: &'static str) -> Batch<'_> {
        Batch { cat: self, unit, titles: BTreeMap::new(), copies: Vec::new(), barcodes: HashMap::new() }
    }

    /// Adds a checked batch (titles already in the catalogue are kept as they are).
    pub(crate) fn commit(&mut self, titles: Vec<Title>, copies: Vec<Copy>) -> ImportReport {
        let mut report = ImportReport::default();
        for t in titles {
            if !self.titles.contains_key(&t.isbn) {
                report.titles_added += 1;
                self.titles.insert(t.isbn.clone(), t);
            }
        }
        for c in copies {
            let i = self.copies.len();
            self.by_barcode.insert(c.barcode.clone(), i);
            self.by_isbn.entry(c.isbn.clone()).or_default().push(i);
            self.copies.push(c);
            report.copies_added += 1;
        }
        report
    }

    /// A catalogue rebuilt from stored parts (copies keep their status); every copy's title must
    /// be among `titles`, barcodes unique, branches known.
    pub fn from_parts(branches: Vec<Branch>, titles: Vec<Title>, copies: Vec<Copy>) -> Result<Catalogue, LibraryError> {
        let mut cat = Catalogue::new(branches)?;
        let mut by_title: HashMap<Isbn, Vec<Copy>> = HashMap::new();
        for c in copies {
            by_title.entry(c.isbn.clone()).or_default().push(c);
        }
        for t in titles {
            let cs = by_title.remove(&t.isbn).unwrap_or_default();
            cat.add(t, cs)?;
        }
        if let Some(isbn) = by_title.keys().next() {
            return Err(LibraryError::not_found("title", isbn.as_str()));
        }
        Ok(cat)
    }

    /// Adds a title and its copies as they are, statuses included (the generator, a reload);
    /// barcodes must be new and branches known.
    pub fn add(&mut self, title: Title, copies: Vec<Copy>) -> Result<(), LibraryError> {
        let mut b = self.batch("record");
        let isbn = title.isbn.clone();
        b.title(1, "title", title)?;
        for c in &copies {
            if c.isbn != isbn {
                return Err(LibraryError::invalid("isbn", "馆藏册的 ISBN 与书目不符", "a copy's ISBN is not its title's"));
            }
            b.copy(1, ["branch", "barcode"], &isbn, c.branch.as_str(), c.barcode.as_str())?;
        }
        let (titles, _) = b.finish();
        self.commit(titles, copies);
        Ok(())
    }

    /// Imports a CSV of one row per copy (`isbn,title,author,subject,publisher,year,branch,barcode`,
    /// the header first). All or nothing: the first bad row stops the import with its line and
    /// field, and nothing is added.
    pub fn import_csv(&mut self, text: &str) -> Result<ImportReport, LibraryError> {
        // A spreadsheet's UTF-8 byte-order mark is not part of the first column's name.
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut rd = csv::ReaderBuilder::new().has_headers(true).flexible(false).from_reader(text.as_bytes());
        let header =
            rd.headers().map_err(|e| LibraryError::at_line(1, "header", format!("无法读取表头：{e}"), format!("cannot read the header: {e}")))?.clone();
        let got: Vec<&str> = header.iter().map(str::trim).collect();
        if got != CSV_HEADER {
            return Err(LibraryError::at_line(
                1,
                "header",
                format!("表头应为 {}", CSV_HEADER.join(",")),
                format!("the header must be {}", CSV_HEADER.join(",")),
            ));
        }
        let mut batch = self.batch("line");
        for rec in rd.records() {
            let rec = rec.map_err(|e| {
                let line = e.position().map_or(0, |p| p.line() as usize);
                LibraryError::at_line(line, "row", format!("CSV 格式错误：{e}"), format!("not CSV: {e}"))
            })?;
            let line = rec.position().map_or(0, |p| p.line() as usize);
            let get = |i: usize| rec.get(i).unwrap_or("").trim();
            let isbn = Isbn::parse(get(0)).map_err(|e| LibraryError::at_line(line, "isbn", e.message_zh_plain(), isbn_en(&e)))?;
            let year = match get(5) {
                "" => None,
                y => Some(
                    y.parse::<i32>()
                        .ok()
                        .filter(|y| (1400..=2100).contains(y))
                        .ok_or_else(|| LibraryError::at_line(line, "year", format!("「{y}」不是年份"), format!("{y:?} is not a year")))?,
                ),
            };
            let title = Title {
                isbn: isbn.clone(),
                title: get(1).to_owned(),
                author: get(2).to_owned(),
                subject: get(3).to_owned(),
                publisher: get(4).to_owned(),
                year,
            };
            batch.title(line, "title", title)?;
            batch.copy(line, ["branch", "barcode"], &isbn, get(6), get(7))?;
        }
        let (titles, copies) = batch.finish();
        Ok(self.commit(titles, copies))
    }
}

/// An ISBN error's English reason alone ("check digit wrong").
pub(crate) fn isbn_en(e: &LibraryError) -> String {
    match e {
        LibraryError::InvalidIsbn { message_en, .. } => message_en.clone(),
        e => e.to_string(),
    }
}

impl Batch<'_> {
    /// The staged titles (in ISBN order) and copies (in row order).
    pub(crate) fn finish(self) -> (Vec<Title>, Vec<Copy>) {
        (self.titles.into_values().map(|(_, t)| t).collect(), self.copies)
    }
}

/// The straight-line (great-circle) distance in km between two points.
pub fn distance_km(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    let r = 6371.0088_f64;
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = (lat2 - lat1).to_radians();
    let dl = (lon2 - lon1).to_radians();
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * r * a.sqrt().min(1.0).asin()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn cat() -> Catalogue {
        Catalogue::new(embedded_branches().unwrap()).unwrap()
    }

    #[test]
    fn isbn_10_and_13_check_digits() {
        assert_eq!(Isbn::parse("978-7-02-000220-7").unwrap().as_str(), "9787020002207");
        assert_eq!(Isbn::parse("7-02-000220-X").unwrap().as_str(), "9787020002207");
        assert_eq!(Isbn::parse("7-02-000220-9").unwrap_err().code_en(), "check digit wrong");
        let i10 = Isbn::parse("9787020002207").unwrap().isbn10().unwrap();
        assert_eq!(Isbn::parse(&i10).unwrap().as_str(), "9787020002207");
        assert_eq!(Isbn::parse("0-306-40615-2").unwrap().as_str(), "9780306406157");
        assert_eq!(Isbn::parse("080442957X").unwrap().as_str(), "9780804429573");
        assert_eq!(Isbn::parse("9780306406158").unwrap_err().code_en(), "check digit wrong");
        assert!(Isbn::parse("9770306406157").is_err(), "977 is an ISSN prefix");
        assert!(Isbn::parse("").is_err());
        assert!(Isbn::parse("97803064061").is_err());
        assert!(Isbn::parse("97803064061５7").is_err());
        assert_eq!(Isbn::complete("978030640615").unwrap().as_str(), "9780306406157");
        assert_eq!(Isbn::parse("9790306406156").map(|i| i.isbn10()), Ok(None));
    }

    impl LibraryError {
        fn code_en(&self) -> String {
            isbn_en(self)
        }
    }

    proptest! {
        #[test]
        fn every_completed_isbn_validates_and_a_changed_digit_fails(body in "97[89][0-9]{9}", pos in 0usize..13, delta in 1u8..10) {
            let isbn = Isbn::complete(&body).unwrap();
            prop_assert_eq!(Isbn::parse(isbn.as_str()).unwrap(), isbn.clone());
            let mut bytes = isbn.as_str().as_bytes().to_vec();
            bytes[pos] = b'0' + (bytes[pos] - b'0' + delta) % 10;
            let changed = String::from_utf8(bytes).unwrap();
            prop_assert!(Isbn::parse(&changed).is_err(), "{} validates", changed);
            if let Some(i10) = isbn.isbn10() {
                prop_assert_eq!(Isbn::parse(&i10).unwrap(), isbn);
            }
        }

        #[test]
        fn garbage_is_never_an_isbn_panic(s in ".{0,20}") {
            let _ = Isbn::parse(&s);
        }
    }

    #[test]
    fn the_shipped_branches_parse() {
        let b = embedded_branches().unwrap();
        assert_eq!(b.len(), 10);
        assert!(b.iter().filter(|b| b.pickup_desk).count() >= 8);
    }

    #[test]
    fn branches_file_errors_name_line_and_field() {
        let text = "source = \"x\"\n[[branch]]\ncode = \"A\"\nname = \"甲\"\nlat = 30.0\nlon = 120.0\npickup_desk = true\npicking_minutes = 0\n";
        let e = parse_branches(text, "b.toml").unwrap_err();
        assert!(e.to_string().starts_with("b.toml:8:"), "{e}");
        assert_eq!(e.field().as_deref(), Some("branch[0].picking_minutes"));
        let e = parse_branches(&text.replace("picking_minutes = 0", "picking_minutes = 5\ncolour = 1"), "b.toml").unwrap_err();
        assert!(e.to_string().contains("colour"), "{e}");
    }

    #[test]
    fn the_sample_csv_imports() {
        let mut c = cat();
        let r = c.import_csv(crate::data::SAMPLE_CSV).unwrap();
        assert_eq!(r.titles_added, 10);
        assert!(r.copies_added >= 20);
        let isbn = Isbn::parse("9787020002207").unwrap();
        assert_eq!(c.title(&isbn).unwrap().title, "红楼梦");
        assert!(c.copies_of(&isbn).count() >= 2);
        // Importing the same file again: every barcode is taken, nothing added.
        let e = c.import_csv(crate::data::SAMPLE_CSV).unwrap_err();
        assert_eq!(e.to_string().split(':').next(), Some("line 2, field barcode"));
        assert_eq!(c.copies().len(), r.copies_added as usize);
    }

    #[test]
    fn a_bad_row_imports_nothing_and_names_line_and_field() {
        let head = "isbn,title,author,subject,publisher,year,branch,barcode\n";
        let good = "9787020002207,红楼梦,曹雪芹,古典小说,人民文学出版社,1996,FY-ZG,T0001\n";
        let cases = [
            ("9787020002208,红楼梦,曹雪芹,古典小说,人民文学出版社,1996,FY-ZG,T0002\n", "line 3, field isbn: check digit wrong"),
            ("9787020002207,红楼梦,曹雪芹,古典小说,人民文学出版社,1996,XX-99,T0002\n", "line 3, field branch: unknown branch XX-99"),
            ("9787020002207,红楼梦,曹雪芹,古典小说,人民文学出版社,1996,FY-ZG,T0001\n", "line 3, field barcode: barcode T0001 twice (first at line 2)"),
            ("9787020002207,石头记,曹雪芹,古典小说,人民文学出版社,1996,FY-ZG,T0002\n", "line 3, field title:"),
            ("9787020002207,红楼梦,曹雪芹,古典小说,人民文学出版社,一九九六,FY-ZG,T0002\n", "line 3, field year:"),
            ("9787020002207,红楼梦,曹雪芹\n", "line 3, field row:"),
        ];
        for (bad, want) in cases {
            let mut c = cat();
            let text = format!("{head}{good}{bad}");
            let e = c.import_csv(&text).unwrap_err();
            assert!(e.to_string().starts_with(want), "{e} / {want}");
            assert_eq!(e.code_str(), "invalid_import");
            assert!(c.copies().is_empty() && c.titles().count() == 0, "nothing imported");
        }
        let bom = format!("\u{feff}{head}{good}");
        assert_eq!(cat().import_csv(&bom).unwrap().copies_added, 1);
        let e = cat().import_csv("isbn,title\n").unwrap_err();
        assert_eq!(e.field().as_deref(), Some("header"));
    }

    #[test]
    fn a_catalogue_rebuilt_from_its_parts_keeps_statuses() {
        let mut c = cat();
        c.import_csv(crate::data::SAMPLE_CSV).unwrap();
        let bc = Barcode::parse("FY0000101").unwrap();
        c.set_status(&bc, ShelfStatus::OnLoan).unwrap();
        let again = Catalogue::from_parts(c.branches().to_vec(), c.titles().cloned().collect(), c.copies().to_vec()).unwrap();
        assert_eq!(again.copy(&bc).unwrap().status, ShelfStatus::OnLoan);
        assert_eq!(again.titles().count(), 10);
        let orphan = Catalogue::from_parts(c.branches().to_vec(), vec![], c.copies().to_vec()).unwrap_err();
        assert_eq!(orphan.field().as_deref(), Some("title"));
    }

    #[test]
    fn distances_are_kilometres() {
        let d = distance_km(30.0, 120.0, 30.0, 121.0);
        assert!((d - 96.3).abs() < 0.5, "{d}");
    }
}
