//! Masking of personal data (identity numbers, phone numbers, names, credit codes) for logs and
//! lists, and [`scrub`], which finds and masks every identifier-shaped part of a free text.
//!
//! These work on any text, valid or not, and never panic; a text too short to keep anything
//! readable comes back fully starred, one star per character.

use std::borrow::Cow;

use chrono::NaiveDate;

use crate::division::is_province_code;

/// Keeps the first `head` and last `tail` characters and stars the rest; fully stars a text that
/// would not have at least one star.
fn keep(s: &str, head: usize, tail: usize) -> String {
    let chars: Vec<char> = s.chars().collect();
    let n = chars.len();
    if n <= head + tail {
        return "*".repeat(n);
    }
    let mut out = String::with_capacity(s.len());
    out.extend(chars.iter().take(head));
    out.push_str(&"*".repeat(n - head - tail));
    out.extend(chars.iter().skip(n - tail));
    out
}

/// An identity number with the first 6 and last 4 characters kept: `330111********123X`.
/// Text of 10 characters or fewer is fully starred.
pub fn id_number(s: &str) -> String {
    keep(s.trim(), 6, 4)
}

/// A phone number with the first 3 and last 4 digits kept: `138****1234`. A number with a
/// `+86` prefix or separators is first reduced to its 11 digits; text of 7 characters or fewer
/// is fully starred.
pub fn phone(s: &str) -> String {
    match crate::Phone::parse(s) {
        Ok(p) => keep(p.as_str(), 3, 4),
        Err(_) => keep(s.trim(), 3, 4),
    }
}

/// A unified social credit code with the first 4 and last 4 characters kept:
/// `9133**********207U`. Text of 8 characters or fewer is fully starred.
pub fn credit_code(s: &str) -> String {
    keep(s.trim(), 4, 4)
}

/// A personal name with only the first and (for three characters or more) the last character
/// kept: `张三丰` → `张*丰`, `张三` → `张*`, `欧阳娜娜` → `欧**娜`.
pub fn name(s: &str) -> String {
    let s = s.trim();
    match s.chars().count() {
        0 => String::new(),
        1 => "*".into(),
        2 => s.chars().take(1).chain(['*']).collect(),
        _ => keep(s, 1, 1),
    }
}

/// The shortest run of ASCII letters and digits [`scrub`] looks into (a mobile number's 11
/// digits): a text without one comes back as it is, without a second look.
pub const SHORTEST_IDENTIFIER: usize = 11;

/// Masks every part of `s` shaped like a personal identifier, whether it would pass its check or
/// not, and returns `s` itself when there is none (the usual case: no copy is made):
///
/// - an 18-character resident identity number: 18 digits, or 17 and an `X`, not within a longer
///   run of digits, whose first two digits are a province (or `9` and a province: a foreigner's
///   permanent residence card) and digits 7–14 a birth date from 1900 to 2099;
/// - a 15-digit first-generation number: a province and a `YYMMDD` birth date;
/// - a mainland mobile number: 11 digits `1[3-9]…` not within a longer run of digits (or 13
///   starting with the country code `86`);
/// - a unified social credit code: a word of exactly 18 letters and digits of GB 32100's alphabet
///   (no I, O, S, V, Z), with the division's digits in places 3–8 and a letter somewhere; or 18
///   digits that pass both of its checks, with an organisation type in place 2 and a province in
///   places 3–4.
///
/// Identity numbers and credit codes keep the style of [`id_number`] and [`credit_code`], mobile
/// numbers that of [`phone`]: `330111********123X`, `9133**********207U`, `138****1234`.
///
/// Our own ids are snowflakes of 15–19 digits (`crate::IdGenerator`; 18 from late 2024 to 2031,
/// then 19): a run of digits of another length than 11, 13, 15 or 18 is never touched, and an
/// 18-digit id only when its digits happen to read as a province and a birth date, or pass a
/// credit code's two checks (5 of the 110,000 ids of the test below; such an id is masked, the
/// safe side). Timestamps, durations, addresses, ports and UUIDs have no run of the lengths that count.
///
/// A letter right after a backslash is taken for an escape (`\n`, `\t`, `\x1b`, `\u001b`) and
/// not for the start of the word after it, so an escaped control character cannot hide a code
/// from the rule that words have exactly 18 characters.
pub fn scrub(s: &str) -> Cow<'_, str> {
    let b = s.as_bytes();
    if !has_run(b, SHORTEST_IDENTIFIER) {
        return Cow::Borrowed(s);
    }
    let mut found: Vec<(usize, usize, String)> = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if !b[i].is_ascii_alphanumeric() {
            i += 1;
            continue;
        }
        let mut start = i;
        while i < b.len() && b[i].is_ascii_alphanumeric() {
            i += 1;
        }
        if i - start < SHORTEST_IDENTIFIER {
            continue;
        }
        if start > 0 && b[start - 1] == b'\\' {
            start += escape_len(&b[start..i]);
        }
        let before = found.len();
        mask_word(s.get(start..i).unwrap_or_default(), &mut found);
        for m in &mut found[before..] {
            m.0 += start;
            m.1 += start;
        }
    }
    if found.is_empty() {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut copied = 0;
    for (from, to, masked) in found {
        out.push_str(s.get(copied..from).unwrap_or_default());
        out.push_str(&masked);
        copied = to;
    }
    out.push_str(s.get(copied..).unwrap_or_default());
    Cow::Owned(out)
}

/// Whether `b` has a run of at least `n` ASCII letters and digits.
fn has_run(b: &[u8], n: usize) -> bool {
    let mut run = 0;
    for &c in b {
        if c.is_ascii_alphanumeric() {
            run += 1;
            if run >= n {
                return true;
            }
        } else {
            run = 0;
        }
    }
    false
}

/// How many characters at the start of a word that follows a backslash belong to the escape:
/// `x1b`, `u001b`, or one letter of `\n`, `\r`, `\t` and the like.
fn escape_len(w: &[u8]) -> usize {
    let hex = |r: std::ops::Range<usize>| {
        w.get(r)
            .is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit))
    };
    match w.first() {
        Some(b'x') if hex(1..3) => 3,
        Some(b'u') if hex(1..5) => 5,
        Some(b'n' | b'r' | b't' | b'b' | b'f' | b'v' | b'a' | b'e' | b'0') => 1,
        _ => 0,
    }
}

/// Finds the identifiers in one word of ASCII letters and digits: (start, end, masked) each.
fn mask_word(w: &str, found: &mut Vec<(usize, usize, String)>) {
    let b = w.as_bytes();
    let id_with_x =
        b.len() == 18 && b[..17].iter().all(u8::is_ascii_digit) && matches!(b[17], b'X' | b'x');
    if b.len() == 18 && !id_with_x && is_lettered_credit_code(b) {
        found.push((0, 18, credit_code(w)));
        return;
    }
    let mut i = 0;
    while i < b.len() {
        if !b[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let from = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        let d = &b[from..i];
        let text = |to: usize| w.get(from..to).unwrap_or_default();
        match d.len() {
            17 if matches!(b.get(i), Some(b'X' | b'x')) => {
                found.push((from, i + 1, id_number(text(i + 1))));
                i += 1;
            }
            18 if is_id_number(d) => found.push((from, i, id_number(text(i)))),
            18 if b.len() == 18 && is_digit_credit_code(w) => found.push((from, i, credit_code(w))),
            15 if is_legacy_id_number(d) => found.push((from, i, id_number(text(i)))),
            11 if is_mobile(d) => found.push((from, i, keep(text(i), 3, 4))),
            13 if d.starts_with(b"86") && is_mobile(&d[2..]) => {
                found.push((
                    from + 2,
                    i,
                    keep(w.get(from + 2..i).unwrap_or_default(), 3, 4),
                ));
            }
            _ => {}
        }
    }
}

/// The number written by ASCII digits.
fn number(d: &[u8]) -> u32 {
    d.iter()
        .fold(0, |n, c| n * 10 + u32::from(c.wrapping_sub(b'0') % 10))
}

/// A province of an identity number (83: Taiwan residents' residence permits too), or `9` and a
/// province (a foreigner's permanent residence card).
fn starts_with_province(d: &[u8]) -> bool {
    let province = |p: &[u8]| {
        let n = number(p);
        n == 83 || u8::try_from(n).is_ok_and(is_province_code)
    };
    d.get(..2).is_some_and(province)
        || (d.first() == Some(&b'9') && d.get(1..3).is_some_and(province))
}

fn is_birth_date(year: u32, month_day: &[u8]) -> bool {
    let (month, day) = (
        number(month_day.get(..2).unwrap_or_default()),
        number(month_day.get(2..4).unwrap_or_default()),
    );
    (1900..=2099).contains(&year)
        && i32::try_from(year).is_ok_and(|y| NaiveDate::from_ymd_opt(y, month, day).is_some())
}

/// 18 digits that read as a province and a birth date (the check digit is not looked at).
fn is_id_number(d: &[u8]) -> bool {
    starts_with_province(d) && is_birth_date(number(&d[6..10]), &d[10..14])
}

/// 15 digits that read as a province and a `YYMMDD` birth date.
fn is_legacy_id_number(d: &[u8]) -> bool {
    starts_with_province(d) && is_birth_date(1900 + number(&d[6..8]), &d[8..12])
}

/// 11 digits of a mainland mobile number: `1`, then `3`–`9`.
fn is_mobile(d: &[u8]) -> bool {
    d.len() == 11 && d[0] == b'1' && (b'3'..=b'9').contains(&d[1])
}

/// 18 characters of a credit code's alphabet with digits in places 3–8 and a letter somewhere.
fn is_lettered_credit_code(b: &[u8]) -> bool {
    const LETTERS: &[u8] = b"ABCDEFGHJKLMNPQRTUWXY";
    let allowed = |c: &u8| c.is_ascii_digit() || LETTERS.contains(&c.to_ascii_uppercase());
    b.iter().all(allowed)
        && b[2..8].iter().all(u8::is_ascii_digit)
        && b.iter().any(u8::is_ascii_alphabetic)
}

/// 18 digits that pass both checks of a credit code, with an organisation type (`1`, `2`, `3` or
/// `9`) in place 2 and a province in places 3–4.
fn is_digit_credit_code(w: &str) -> bool {
    let b = w.as_bytes();
    matches!(b.get(1), Some(b'1' | b'2' | b'3' | b'9'))
        && b.get(2..4)
            .is_some_and(|p| u8::try_from(number(p)).is_ok_and(is_province_code))
        && crate::CreditCode::parse(w).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_numbers() {
        let cases = [
            ("33011119900307123X", "330111********123X"),
            (" 330111199003071237 ", "330111********1237"),
            ("330111900307123", "330111*****7123"),
            ("12345678901", "123456*8901"),
            ("1234567890", "**********"),
            ("abc", "***"),
            ("", ""),
        ];
        for (input, want) in cases {
            assert_eq!(id_number(input), want, "{input:?}");
        }
    }

    #[test]
    fn phones() {
        let cases = [
            ("13812341234", "138****1234"),
            ("+86 138-1234-5678", "138****5678"),
            ("057163312345", "057*****2345"),
            ("12345678", "123*5678"),
            ("1234567", "*******"),
            ("", ""),
        ];
        for (input, want) in cases {
            assert_eq!(phone(input), want, "{input:?}");
        }
    }

    #[test]
    fn names() {
        let cases = [
            ("张三丰", "张*丰"),
            ("张三", "张*"),
            ("欧阳娜娜", "欧**娜"),
            ("阿卜杜·热合曼", "阿*****曼"),
            ("张", "*"),
            (" 李四 ", "李*"),
            ("", ""),
        ];
        for (input, want) in cases {
            assert_eq!(name(input), want, "{input:?}");
        }
    }

    #[test]
    fn credit_codes() {
        assert_eq!(credit_code("91330000742906207U"), "9133**********207U");
        assert_eq!(credit_code(" 91330000742906207U "), "9133**********207U");
        assert_eq!(credit_code("12345678"), "********");
    }

    /// An identity number with a correct check digit.
    fn valid_id(region: &str, birth: (i32, u32, u32), seq: u16) -> String {
        let birth = NaiveDate::from_ymd_opt(birth.0, birth.1, birth.2).expect("a date");
        crate::ResidentId::from_parts(region, birth, seq)
            .expect("valid")
            .as_str()
            .to_owned()
    }

    #[test]
    fn scrub_masks_identity_numbers_valid_or_not() {
        let valid = valid_id("330111", (1990, 3, 7), 123);
        let last = valid.chars().last().expect("a check digit");
        // The same number with a wrong check digit, and numbers ending in X.
        let wrong = format!("{}{}", &valid[..17], if last == '0' { '1' } else { '0' });
        for (input, want) in [
            (valid.clone(), format!("330111********{}", &valid[14..])),
            (wrong.clone(), format!("330111********{}", &wrong[14..])),
            ("33011119900307123X".into(), "330111********123X".into()),
            ("33011119900307123x".into(), "330111********123x".into()),
            // Taiwan residents' permits, Hong Kong, a foreigner's permanent residence card.
            ("830000199001011234".into(), "830000********1234".into()),
            ("810000198512310011".into(), "810000********0011".into()),
            ("933156198807150027".into(), "933156********0027".into()),
            // 15-digit first-generation numbers.
            ("330111900307123".into(), "330111*****7123".into()),
        ] {
            assert_eq!(scrub(&input), want, "{input}");
        }
        // Anywhere in a line: after letters, in JSON, after an escaped newline, twice.
        let cases = [
            (format!("login={valid} failed"), "login=330111********"),
            (format!("id{valid}"), "id330111********"),
            (
                format!(r#"{{"login":"{valid}"}}"#),
                r#"{"login":"330111********"#,
            ),
            (format!(r"a\n{valid}"), r"a\n330111********"),
            (
                format!("/api/pool/registers/persons/{valid}?x"),
                "/api/pool/registers/persons/330111********",
            ),
            (format!("{valid},{wrong}"), "330111********"),
            (format!("{valid}abc"), "330111********"),
        ];
        for (input, prefix) in cases {
            let out = scrub(&input);
            assert!(out.starts_with(prefix), "{input} → {out}");
            assert!(
                !out.contains(&valid[6..14]) && !out.contains(&wrong[6..14]),
                "{input} → {out}"
            );
        }
    }

    #[test]
    fn scrub_masks_phones_and_credit_codes() {
        let digits_only = crate::CreditCode::from_parts('9', '1', "330183", "74290620")
            .expect("valid")
            .to_string();
        let digits_only = if digits_only.bytes().all(|b| b.is_ascii_digit()) {
            digits_only
        } else {
            // Another organisation code whose checks are both digits.
            (0..1000)
                .map(|n| {
                    crate::CreditCode::from_parts('9', '1', "330183", &format!("7429{n:04}"))
                        .expect("valid")
                        .to_string()
                })
                .find(|c| c.bytes().all(|b| b.is_ascii_digit()))
                .expect("an all-digit code")
        };
        for (input, want) in [
            ("13812341234".to_owned(), "138****1234".to_owned()),
            ("tel:13812341234;".into(), "tel:138****1234;".into()),
            ("+8613812341234".into(), "+86138****1234".into()),
            ("phone=19900001234 ok".into(), "phone=199****1234 ok".into()),
            ("91330000742906207U".into(), "9133**********207U".into()),
            ("91330000742906207u".into(), "9133**********207u".into()),
            (
                "code 91330183MA2H3ABC1X.".into(),
                "code 9133**********BC1X.".into(),
            ),
            // A wrong check character is masked all the same.
            ("91330000742906207A".into(), "9133**********207A".into()),
            (
                r"x\n91330000742906207U".into(),
                r"x\n9133**********207U".into(),
            ),
            (
                r"x\x1b91330000742906207U".into(),
                r"x\x1b9133**********207U".into(),
            ),
            (
                r"x\u001b91330000742906207U".into(),
                r"x\u001b9133**********207U".into(),
            ),
            (digits_only.clone(), credit_code(&digits_only)),
        ] {
            assert_eq!(scrub(&input), want, "{input}");
        }
    }

    #[test]
    fn scrub_leaves_everything_else_alone() {
        let keep = [
            "",
            "2026-12-06T16:36:01.123456Z DEBUG http{method=GET path=/api/applications} batch jobs=12 load_us=31 run_us=402",
            // Unix time in s, ms, µs and ns; durations; sizes.
            "1765039000 1765039000123 1765039000123456 1765039000123456789 latency=13 ms us=1234567 bytes=10485760",
            // Addresses and ports, UUIDs, hashes, tokens.
            "127.0.0.1:8080 [::1]:5432 10.20.30.40:65535 192.168.100.200",
            "550e8400-e29b-41d4-a716-446655440000 123e4567-e89b-12d3-a456-426614174000",
            "sha256=9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
            "token=Hm2v_KqX8n3Jd0pW4sZ7yT1bR6cF9gL5aE2uV8oI3xQ",
            // Numbers of the right length that are not identifiers: a fixed line, too long or
            // short a run, no province, no birth date, a mobile that does not start 1[3-9].
            "057163312345 138123456789 1381234123 12812341234 8612812341234",
            "991234199001011234 330111199013011234 330111189912311234 330111190002301234",
            "330111901307123 000000900307123",
            // Words: capitals without digits, or digits out of place for a credit code.
            "ABCDEFGHJKLMNPQRTU INTERNATIONALIZATION NINETEENCHARACTERS A1B2C3D4E5F6G7H8J9",
            "Result<Vec<ApplicationId>, StoreError> ServiceRequest/$recognition-check",
            "居民身份证 出生一件事 张三丰",
        ];
        for line in keep {
            assert!(
                matches!(scrub(line), Cow::Borrowed(_)),
                "{line} → {}",
                scrub(line)
            );
        }
    }

    #[test]
    fn scrub_leaves_our_snowflake_ids_alone() {
        use crate::{IdGenerator, ManualClock};
        use chrono::{Duration, TimeZone, Utc};

        // A few real ones: of 2025, 2026 and 2028.
        for id in [
            "138745093226496000",
            "290184373837004800",
            "452912746618884097",
            "389101278134767616",
        ] {
            assert_eq!(scrub(id), id);
        }
        // Ids as the servers make them, at random moments of each year from 2024 (past the
        // generator's first month, when they had 15 and 16 digits) to 2035, on random nodes,
        // written as the log writes them: only an 18-digit id whose digits read as a province
        // and a birth date is masked.
        let clock = ManualClock::new(Utc::now());
        let gens: Vec<IdGenerator> = (0..1024u16)
            .step_by(97)
            .map(|n| IdGenerator::with_clock(n, std::sync::Arc::new(clock.clone())))
            .collect();
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut random = |below: u64| {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (seed >> 33) % below
        };
        let mut masked_18 = 0;
        const PER_YEAR: usize = 10_000;
        for year in 2024..2035 {
            let from = Utc
                .with_ymd_and_hms(year, if year == 2024 { 2 } else { 1 }, 1, 0, 0, 0)
                .single()
                .expect("a time");
            for _ in 0..PER_YEAR {
                clock.set(
                    from + Duration::milliseconds(
                        i64::try_from(random(300 * 86_400_000)).expect("small"),
                    ),
                );
                let node = &gens[usize::try_from(random(gens.len() as u64)).expect("small")];
                let id = node.next().to_string();
                let line =
                    format!("notice={id} application=\"{id}\" /api/applications/{id}/history");
                if scrub(&line) != line {
                    assert_eq!(id.len(), 18, "{id}");
                    assert!(
                        is_id_number(id.as_bytes()) || is_digit_credit_code(&id),
                        "{id}"
                    );
                    masked_18 += 1;
                }
            }
        }
        // 5 of them today: an id must start with a province, then 2 % of them read 19xx or 20xx,
        // 12 % of those a month and 30 % a day.
        assert!(
            masked_18 * 5000 < PER_YEAR * 11,
            "{masked_18} of {} ids masked",
            PER_YEAR * 11
        );
    }
}
