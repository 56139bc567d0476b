//! MARC 21 bibliographic records in ISO 2709 (UTF-8, leader/09 = `a`) with holdings in 852, read
//! and written with the `marctk` crate: 020$a → ISBN, 245$a$b → title, 100$a → author, 650$a →
//! subject, 264/260$b → publisher and $c → year, each 852 a copy ($b branch, $p barcode). The
//! import is all-or-nothing and every error names the record (1-based) and the field.
//!
//! `marctk` slices its input on trust (a damaged directory makes it panic), so each record's
//! framing — lengths, base address, directory entries, terminators, indicators, subfield codes,
//! UTF-8 — is checked here first and only a sound record is handed to it.

use marctk::Field;
use marctk::Record;

use crate::catalogue::Catalogue;
use crate::catalogue::ImportReport;
use crate::catalogue::Isbn;
use crate::catalogue::Title;
use crate::catalogue::isbn_en;
use crate::error::LibraryError;

const RECORD_END: u8 = 0x1D;
const FIELD_END: u8 = 0x1E;
const SUBFIELD: u8 = 0x1F;
/// The leader of the records we write: a new (n) language material (a) monograph (m), UTF-8 (a).
const LEADER: &str = "00000nam a2200000 i 4500";

fn err(record: usize, field: &str, zh: impl Into<String>, en: impl Into<String>) -> LibraryError {
    LibraryError::at_record(record, field, zh, en)
}

/// A decimal number of ASCII digits.
fn digits(b: &[u8]) -> Option<usize> {
    if b.is_empty() || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(b).ok()?.parse().ok()
}

/// Checks the ISO 2709 framing of one record (terminator included) so that the parser cannot
/// trip over it.
fn check_frame(n: usize, rec: &[u8]) -> Result<(), LibraryError> {
    let bad = |en: String, zh: String| err(n, "leader", zh, en);
    if rec.len() < 26 {
        return Err(bad(format!("the record is {} bytes long, too short", rec.len()), format!("记录仅 {} 字节，过短", rec.len())));
    }
    let len = digits(&rec[0..5]).ok_or_else(|| bad("the record length (leader/00-04) is not digits".into(), "记录长度（头标 00–04）不是数字".into()))?;
    if len != rec.len() {
        return Err(bad(format!("the leader says {len} bytes, the record has {}", rec.len()), format!("头标记录长度 {len} 与实际 {} 字节不符", rec.len())));
    }
    if rec[9] != b'a' {
        return Err(err(
            n,
            "leader/09",
            "只支持 UTF-8 编码的 MARC 记录（头标第 9 位为 a），请以 UTF-8 导出",
            "only UTF-8 records (leader/09 = a) are read; export as UTF-8",
        ));
    }
    let base = digits(&rec[12..17]).ok_or_else(|| bad("the base address (leader/12-16) is not digits".into(), "数据起始地址（头标 12–16）不是数字".into()))?;
    if base < 25 || base > rec.len() - 1 || (base - 25) % 12 != 0 || rec[base - 1] != FIELD_END {
        return Err(err(n, "directory", "目次区长度或结束符错误", "the directory's length or terminator is wrong"));
    }
    for (i, e) in rec[24..base - 1].chunks(12).enumerate() {
        let tag = std::str::from_utf8(&e[0..3]).ok().filter(|t| t.bytes().all(|b| b.is_ascii_alphanumeric())).unwrap_or("???");
        let field = format!("directory[{i}] {tag}");
        if tag == "???" {
            return Err(err(n, &field, "字段标识不是 3 位字母数字", "the tag is not 3 letters or digits"));
        }
        let (Some(flen), Some(start)) = (digits(&e[3..7]), digits(&e[7..12])) else {
            return Err(err(n, &field, "字段长度或起始位置不是数字", "the field's length or start is not digits"));
        };
        let from = base + start;
        let to = from + flen;
        if flen == 0 || to > rec.len() - 1 || rec[to - 1] != FIELD_END {
            return Err(err(n, &field, "字段超出记录范围或缺少字段结束符", "the field runs past the record or lacks its terminator"));
        }
        let data = &rec[from..to - 1];
        if std::str::from_utf8(data).is_err() {
            return Err(err(n, tag, "字段内容不是 UTF-8", "the field is not UTF-8"));
        }
        if tag.as_bytes() >= b"010".as_slice() {
            if data.len() < 2 || !data[0].is_ascii() || !data[1].is_ascii() || data[0] == SUBFIELD || data[1] == SUBFIELD {
                return Err(err(n, tag, "数据字段缺少两位指示符", "a data field lacks its two indicators"));
            }
            let body = &data[2..];
            if !body.is_empty() && body[0] != SUBFIELD {
                return Err(err(n, tag, "指示符后应为子字段分隔符", "the indicators are not followed by a subfield delimiter"));
            }
            for part in body.split(|b| *b == SUBFIELD).skip(1) {
                if part.first().is_none_or(|c| !c.is_ascii_alphanumeric()) {
                    return Err(err(n, tag, "子字段代码缺失或不是字母数字", "a subfield code is missing or not a letter or digit"));
                }
            }
        }
    }
    Ok(())
}

/// The first value of a subfield of a field.
fn sub<'a>(f: &'a Field, code: &str) -> Option<&'a str> {
    f.first_subfield(code).map(|s| s.content().trim()).filter(|s| !s.is_empty())
}

/// A value without the ISBD punctuation that ends it (` /`, ` :`, `,`, `;`, `.`).
fn clean(s: &str) -> String {
    s.trim().trim_end_matches([' ', '/', ':', ';', ',', '.', '=']).trim().to_owned()
}

fn has_cjk(s: &str) -> bool {
    s.chars().any(|c| ('\u{3000}'..='\u{9fff}').contains(&c) || ('\u{ff00}'..='\u{ffef}').contains(&c))
}

/// Reads one sound record's title and copies into the batch.
fn read_record(n: usize, rec: &Record, batch: &mut crate::catalogue::Batch<'_>) -> Result<(), LibraryError> {
    let first = |tag: &str| rec.get_fields(tag).into_iter().next();
    let raw_isbn = rec.get_fields("020").into_iter().find_map(|f| sub(f, "a")).ok_or_else(|| err(n, "020$a", "缺少 ISBN（020 字段 $a）", "no ISBN (020$a)"))?;
    // 020$a may carry a qualifier after the number: "9787020002207 (精装)".
    let token = raw_isbn.split([' ', '(', '（']).next().unwrap_or(raw_isbn);
    let isbn = Isbn::parse(token).map_err(|e| err(n, "020$a", format!("「{token}」不是有效的 ISBN"), isbn_en(&e)))?;
    let f245 = first("245").ok_or_else(|| err(n, "245$a", "缺少题名（245 字段）", "no title (245)"))?;
    let a = sub(f245, "a").map(clean).ok_or_else(|| err(n, "245$a", "缺少题名（245$a）", "no title (245$a)"))?;
    let title = match sub(f245, "b").map(clean) {
        Some(b) if has_cjk(&a) || has_cjk(&b) => format!("{a}：{b}"),
        Some(b) => format!("{a} : {b}"),
        None => a,
    };
    let author = ["100", "110", "700"].iter().find_map(|t| first(t).and_then(|f| sub(f, "a"))).map(clean).unwrap_or_default();
    let subject = first("650").and_then(|f| sub(f, "a")).map(clean).unwrap_or_default();
    let imprint = first("264").or_else(|| first("260"));
    let publisher = imprint.and_then(|f| sub(f, "b")).map(clean).unwrap_or_default();
    let year = imprint.and_then(|f| sub(f, "c")).and_then(|c| {
        let ds: Vec<char> = c.chars().collect();
        ds.windows(4).find(|w| w.iter().all(char::is_ascii_digit)).and_then(|w| w.iter().collect::<String>().parse::<i32>().ok())
    });
    batch.title(n, "245$a", Title { isbn: isbn.clone(), title, author, subject, publisher, year })?;
    for (i, f) in rec.get_fields("852").into_iter().enumerate() {
        let b = sub(f, "b").ok_or_else(|| err(n, &format!("852[{i}]$b"), "馆藏缺少分馆代码（852$b）", "a holding without its branch (852$b)"))?;
        let p = sub(f, "p").ok_or_else(|| err(n, &format!("852[{i}]$p"), "馆藏缺少条码（852$p）", "a holding without its barcode (852$p)"))?;
        batch.copy(n, ["852$b", "852$p"], &isbn, b, p)?;
    }
    Ok(())
}

impl Catalogue {
    /// Imports MARC 21 records in ISO 2709 (UTF-8) with holdings in 852. All or nothing: the
    /// first bad record stops the import with its number and field, and nothing is added.
    pub fn import_marc(&mut self, bytes: &[u8]) -> Result<ImportReport, LibraryError> {
        let mut batch = self.batch("record");
        let mut rest = bytes;
        let mut n = 0;
        loop {
            // Line breaks between records (some exports add them) are not part of a record.
            let skip = rest.iter().take_while(|b| matches!(b, b'\n' | b'\r')).count();
            rest = &rest[skip..];
            if rest.is_empty() {
                break;
            }
            n += 1;
            let Some(end) = rest.iter().position(|b| *b == RECORD_END) else {
                return Err(err(n, "leader", "缺少记录结束符（0x1D），文件可能不完整", "no record terminator (0x1D): the file may be cut short"));
            };
            let rec = &rest[..=end];
            rest = &rest[end + 1..];
            check_frame(n, rec)?;
            let record = Record::from_binary(rec).map_err(|e| err(n, "record", format!("无法解析 MARC 记录：{e}"), format!("not a MARC record: {e}")))?;
            read_record(n, &record, &mut batch)?;
        }
        if n == 0 {
            return Err(err(1, "record", "文件中没有 MARC 记录", "the file holds no MARC record"));
        }
        let (titles, copies) = batch.finish();
        Ok(self.commit(titles, copies))
    }
}

/// A data field with subfields (in the order given; empty values left out).
fn field(tag: &str, ind: [&str; 2], subs: &[(&str, &str)]) -> Result<Field, LibraryError> {
    let e = |m: String| LibraryError::invalid(tag, format!("无法生成 MARC 字段：{m}"), format!("cannot build the MARC field: {m}"));
    let mut f = Field::new(tag).map_err(e)?;
    f.set_ind1(ind[0]).map_err(e)?;
    f.set_ind2(ind[1]).map_err(e)?;
    for (code, value) in subs.iter().filter(|(_, v)| !v.is_empty()) {
        f.add_subfield(*code, *value).map_err(e)?;
    }
    Ok(f)
}

/// One title and its copies as a MARC 21 record in ISO 2709.
pub fn write_record(title: &Title, copies: &[&crate::catalogue::Copy]) -> Result<Vec<u8>, LibraryError> {
    let e = |m: String| LibraryError::invalid("marc", format!("无法生成 MARC 记录：{m}"), format!("cannot build the MARC record: {m}"));
    let mut r = Record::new();
    r.set_leader(LEADER).map_err(e)?;
    r.add_control_field("001", title.isbn.as_str()).map_err(e)?;
    r.add_control_field("003", "FYLIB").map_err(e)?;
    // 008: a fixed entry date, single date of publication, China, Chinese ("|" = not coded).
    let y = title.year.map_or_else(|| "    ".to_owned(), |y| format!("{y:04}"));
    r.add_control_field("008", &format!("261201s{y}    cc |||||||||||||||||chi d")).map_err(e)?;
    // The title as $a and, after a full-width or ISBD colon, its subtitle as $b.
    let (a, b) = match title.title.split_once('：').or_else(|| title.title.split_once(" : ")) {
        Some((a, b)) => (a, b),
        None => (title.title.as_str(), ""),
    };
    let year = title.year.map(|y| y.to_string()).unwrap_or_default();
    // Fields are appended in tag order (marctk's `add_data_field` returns the wrong field when it
    // appends, so fields are built first and inserted whole).
    let fields = [
        field("020", [" ", " "], &[("a", title.isbn.as_str())])?,
        field("100", ["1", " "], &[("a", &title.author)])?,
        field("245", ["1", "0"], &[("a", a), ("b", b)])?,
        field("264", [" ", "1"], &[("b", &title.publisher), ("c", &year)])?,
        field("650", [" ", "4"], &[("a", &title.subject)])?,
    ];
    for f in fields.into_iter().filter(|f| !f.subfields().is_empty()) {
        r.insert_data_field(f);
    }
    for c in copies {
        r.insert_data_field(field("852", [" ", " "], &[("b", c.branch.as_str()), ("p", c.barcode.as_str())])?);
    }
    r.to_binary().map_err(e)
}

/// The whole catalogue as MARC 21 records in ISO 2709, one per title in ISBN order.
pub fn write_catalogue(catalogue: &Catalogue) -> Result<Vec<u8>, LibraryError> {
    let mut out = Vec::new();
    for t in catalogue.titles() {
        let copies: Vec<&crate::catalogue::Copy> = catalogue.copies_of(&t.isbn).collect();
        out.extend(write_record(t, &copies)?);
    }
    Ok(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::catalogue::Copy;
    use crate::catalogue::embedded_branches;

    fn cat() -> Catalogue {
        Catalogue::new(embedded_branches().unwrap()).unwrap()
    }

    /// A record built field by field (so that a wrong ISBN can be written too).
    fn rec(isbn: &str, t: &str, holdings: &[(&str, &str)]) -> Vec<u8> {
        let mut r = Record::new();
        r.set_leader(LEADER).unwrap();
        r.insert_data_field(field("020", [" ", " "], &[("a", isbn)]).unwrap());
        r.insert_data_field(field("100", ["1", " "], &[("a", "鲁迅")]).unwrap());
        r.insert_data_field(field("245", ["1", "0"], &[("a", t)]).unwrap());
        for (b, p) in holdings {
            r.insert_data_field(field("852", [" ", " "], &[("b", b), ("p", p)]).unwrap());
        }
        r.to_binary().unwrap()
    }

    #[test]
    fn the_sample_file_is_what_the_writer_makes_of_the_sample_csv_and_reads_back() {
        let mut from_csv = cat();
        from_csv.import_csv(crate::data::SAMPLE_CSV).unwrap();
        let written = write_catalogue(&from_csv).unwrap();
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/library/sample.mrc");
        // LIBRARY_WRITE_SAMPLE=1 rewrites the checked-in file; the test then reads that back.
        let sample: Vec<u8> = if std::env::var_os("LIBRARY_WRITE_SAMPLE").is_some() {
            std::fs::write(path, &written).unwrap();
            std::fs::read(path).unwrap()
        } else {
            crate::data::SAMPLE_MRC.to_vec()
        };
        assert!(written == sample, "data/library/sample.mrc is stale: rerun with LIBRARY_WRITE_SAMPLE=1");
        let mut from_marc = cat();
        let r = from_marc.import_marc(&sample).unwrap();
        assert_eq!(r.titles_added, 10);
        assert_eq!(from_marc.titles().collect::<Vec<_>>(), from_csv.titles().collect::<Vec<_>>());
        let mut a: Vec<&Copy> = from_marc.copies().iter().collect();
        let mut b: Vec<&Copy> = from_csv.copies().iter().collect();
        a.sort_by_key(|c| &c.barcode);
        b.sort_by_key(|c| &c.barcode);
        assert_eq!(a, b);
        let t = from_marc.title(&Isbn::parse("9787213104527").unwrap()).unwrap();
        assert_eq!(t.title, "富春江畔的书声：富阳乡村阅读记");
    }

    #[test]
    fn isbn_10_subtitles_and_260_imprints_are_read() {
        let mut r = Record::new();
        r.set_leader(LEADER).unwrap();
        r.insert_data_field(field("020", [" ", " "], &[("a", "0-306-40615-2 (pbk.)")]).unwrap());
        r.insert_data_field(field("245", ["1", "0"], &[("a", "Statistics /"), ("b", "a primer.")]).unwrap());
        r.insert_data_field(field("260", [" ", " "], &[("b", "Plenum Press,"), ("c", "c1979.")]).unwrap());
        r.insert_data_field(field("852", [" ", " "], &[("b", "FY-ZG"), ("p", "EN0001")]).unwrap());
        let mut c = cat();
        c.import_marc(&r.to_binary().unwrap()).unwrap();
        let t = c.title(&Isbn::parse("9780306406157").unwrap()).unwrap();
        assert_eq!((t.title.as_str(), t.publisher.as_str(), t.year), ("Statistics : a primer", "Plenum Press", Some(1979)));
        assert_eq!(c.copies().len(), 1);
    }

    #[test]
    fn a_bad_record_imports_nothing_and_names_record_and_field() {
        let good = rec("9787020100101", "呐喊", &[("FY-DZ", "M001")]);
        let cases: Vec<(Vec<u8>, &str)> = vec![
            (rec("9787020100102", "呐喊", &[("FY-DZ", "M002")]), "record 2, field 020$a: check digit wrong"),
            (rec("9787506365437", "活着", &[("XX-1", "M002")]), "record 2, field 852$b: unknown branch XX-1"),
            (rec("9787506365437", "活着", &[("FY-ZG", "M001")]), "record 2, field 852$p: barcode M001 twice (first at record 1)"),
            (good[..good.len() - 1].to_vec(), "record 2, field leader: no record terminator"),
            (b"00026nam a2200025 i 4500\x1e\x1d".to_vec(), "record 2, field record: not a MARC record"),
            (b"garbage\x1d".to_vec(), "record 2, field leader:"),
        ];
        for (bad, want) in cases {
            let mut c = cat();
            let mut bytes = good.clone();
            bytes.extend(bad);
            let e = c.import_marc(&bytes).unwrap_err();
            assert!(e.to_string().starts_with(want), "{e} / {want}");
            assert!(c.copies().is_empty() && c.titles().count() == 0, "nothing imported");
        }
        // A MARC-8 record (leader/09 blank).
        let mut marc8 = good.clone();
        marc8[9] = b' ';
        assert_eq!(cat().import_marc(&marc8).unwrap_err().field().as_deref(), Some("leader/09"));
        assert!(cat().import_marc(b"").is_err());
    }

    proptest! {
        #[test]
        fn damaged_records_are_errors_never_panics(pos in 0usize..400, byte in any::<u8>(), cut in 0usize..400) {
            let mut bytes = rec("9787020100101", "呐喊：鲁迅小说集", &[("FY-DZ", "M001"), ("FY-DY", "M002")]);
            let p = pos % bytes.len();
            bytes[p] = byte;
            let _ = cat().import_marc(&bytes);
            bytes.truncate(cut % bytes.len());
            let _ = cat().import_marc(&bytes);
        }

        #[test]
        fn random_bytes_are_errors_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            let _ = cat().import_marc(&bytes);
        }
    }
}
