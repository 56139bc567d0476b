//! Bank files: the payment file a run sends to the paying bank (社会化发放) and the return file
//! (回盘) the bank sends back, line by line paid or failed.
//!
//! Payment file (UTF-8 CSV, RFC 4180 quoting, `\n` line ends), columns:
//! `batch,month,line,reference,id_number,name,account,amount` — amount in yuan with 2 decimals —
//! then one trailer row `TRAILER,<batch>,<month>,<count>,,,,<total>`.
//!
//! Return file, columns `batch,reference,account,amount,status,reason`: status `00` = paid,
//! anything else = failed with the reason. A UTF-8 BOM and CRLF line ends are tolerated.

use std::collections::BTreeMap;
use std::collections::BTreeSet;

use serde::Deserialize;
use serde::Serialize;

use crate::month::Month;

/// One line of a payment file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BankLine {
    /// 1-based line number within the batch.
    pub line: u32,
    /// Unique per line, e.g. `<run id>-<line>`.
    pub reference: String,
    /// The payee's ID number.
    pub id_number: String,
    /// The payee's name.
    pub name: String,
    /// The account (social security card bank account, 社保卡银行账户).
    pub account: String,
    /// Fen.
    pub amount_fen: i64,
}

/// The header row of the payment file.
pub const PAYMENT_HEADER: &str = "batch,month,line,reference,id_number,name,account,amount";
/// The header row of the return file.
pub const RETURN_HEADER: &str = "batch,reference,account,amount,status,reason";

fn quote(field: &str) -> String {
    if field.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_owned()
    }
}

fn yuan(fen: i64) -> String {
    domain::Fen(fen).to_yuan_string()
}

/// The payment file of a batch: header, one row per line, trailer with the count and total.
pub fn payment_file(batch: &str, month: Month, lines: &[BankLine]) -> String {
    let mut out = String::with_capacity(64 * (lines.len() + 2));
    out.push_str(PAYMENT_HEADER);
    out.push('\n');
    let mut total: i64 = 0;
    for l in lines {
        total = total.saturating_add(l.amount_fen);
        let row = [
            quote(batch),
            month.to_string(),
            l.line.to_string(),
            quote(&l.reference),
            quote(&l.id_number),
            quote(&l.name),
            quote(&l.account),
            yuan(l.amount_fen),
        ];
        out.push_str(&row.join(","));
        out.push('\n');
    }
    out.push_str(&format!("TRAILER,{},{month},{},,,,{}\n", quote(batch), lines.len(), yuan(total)));
    out
}

/// Paid, or failed with the bank's reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum ReturnStatus {
    /// Status `00`.
    Paid,
    /// Any other status.
    Failed {
        /// The bank's reason (or the status code when no reason is given).
        reason: String,
    },
}

/// One line of a return file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReturnLine {
    /// The line's reference as sent.
    pub reference: String,
    /// Paid or failed.
    pub status: ReturnStatus,
}

/// An error in a return file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileError {
    /// 1-based line of the file.
    pub line: usize,
    /// The column at fault.
    pub field: String,
    /// In Chinese.
    pub message_zh: String,
    /// In English.
    pub message_en: String,
}

impl std::fmt::Display for FileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}: {}", self.line, self.field, self.message_en)
    }
}

impl std::error::Error for FileError {}

/// Splits one CSV record (RFC 4180 quotes); `None` for an unclosed quote.
fn split_csv(line: &str) -> Option<Vec<String>> {
    let mut fields = Vec::new();
    let mut cur = String::new();
    let mut chars = line.chars().peekable();
    let mut quoted = false;
    let mut was_quoted = false;
    while let Some(c) = chars.next() {
        if quoted {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    cur.push('"');
                    chars.next();
                } else {
                    quoted = false;
                }
            } else {
                cur.push(c);
            }
        } else if c == '"' && cur.is_empty() && !was_quoted {
            quoted = true;
            was_quoted = true;
        } else if c == ',' {
            fields.push(std::mem::take(&mut cur));
            was_quoted = false;
        } else {
            cur.push(c);
        }
    }
    if quoted {
        return None;
    }
    fields.push(cur);
    Some(fields)
}

/// A strict amount of yuan: digits, optionally `.` and one or two decimals, not negative.
fn parse_amount(s: &str) -> Option<i64> {
    let (whole, frac) = s.split_once('.').unwrap_or((s, ""));
    if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) || frac.len() > 2 || (s.contains('.') && frac.is_empty()) {
        return None;
    }
    let cents = match frac.len() {
        0 => 0,
        1 => frac.parse::<i64>().ok()? * 10,
        _ => frac.parse::<i64>().ok()?,
    };
    whole.parse::<i64>().ok()?.checked_mul(100)?.checked_add(cents)
}

/// Reads the bank's return file for `batch` against the lines `sent`. Every error is reported
/// (wrong header, another batch, unknown or duplicate reference, account or amount not matching
/// the line sent, malformed amount). A return that does not cover every line sent is fine — a
/// partial return; the lines not returned stay pending.
pub fn parse_return_file(text: &str, batch: &str, sent: &[BankLine]) -> Result<Vec<ReturnLine>, Vec<FileError>> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let by_ref: BTreeMap<&str, &BankLine> = sent.iter().map(|l| (l.reference.as_str(), l)).collect();
    let mut errors = Vec::new();
    let mut out = Vec::new();
    let mut seen = BTreeSet::new();
    let mut err = |line: usize, field: &str, zh: String, en: String| {
        errors.push(FileError { line, field: field.to_owned(), message_zh: zh, message_en: en });
    };
    let mut lines = text.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l)).enumerate();
    match lines.next() {
        Some((_, h)) if h.trim() == RETURN_HEADER => {}
        Some((_, h)) => err(1, "header", format!("表头应为「{RETURN_HEADER}」，实为「{h}」"), format!("the header must be `{RETURN_HEADER}`, found `{h}`")),
        None => err(1, "header", "文件为空".to_owned(), "the file is empty".to_owned()),
    }
    for (i, raw) in lines {
        let n = i + 1;
        if raw.trim().is_empty() {
            continue;
        }
        let Some(f) = split_csv(raw) else {
            err(n, "line", "引号未闭合".to_owned(), "unclosed quote".to_owned());
            continue;
        };
        if f.len() != 6 {
            err(n, "line", format!("应有 6 列，实有 {} 列", f.len()), format!("expected 6 columns, found {}", f.len()));
            continue;
        }
        let (b, reference, account, amount, status, reason) = (f[0].trim(), f[1].trim(), f[2].trim(), f[3].trim(), f[4].trim(), f[5].trim());
        if b != batch {
            err(n, "batch", format!("批次「{b}」不是本批次「{batch}」"), format!("batch {b} is not this batch {batch}"));
        }
        let Some(sent_line) = by_ref.get(reference) else {
            err(n, "reference", format!("流水号「{reference}」不在本批次发送的明细中"), format!("unknown reference {reference}"));
            continue;
        };
        if !seen.insert(reference.to_owned()) {
            err(n, "reference", format!("流水号「{reference}」重复回盘"), format!("duplicate reference {reference}"));
            continue;
        }
        let mut ok = true;
        if account != sent_line.account {
            err(n, "account", format!("账号「{account}」与发送的「{}」不符", sent_line.account), format!("account {account} does not match the line sent ({})", sent_line.account));
            ok = false;
        }
        match parse_amount(amount) {
            None => {
                err(n, "amount", format!("金额「{amount}」格式有误，应如 60.00"), format!("malformed amount {amount:?}, expected e.g. 60.00"));
                ok = false;
            }
            Some(fen) if fen != sent_line.amount_fen => {
                err(n, "amount", format!("金额 {amount} 与发送的 {} 不符", yuan(sent_line.amount_fen)), format!("amount {amount} does not match the line sent ({})", yuan(sent_line.amount_fen)));
                ok = false;
            }
            Some(_) => {}
        }
        if status.is_empty() {
            err(n, "status", "状态为空".to_owned(), "status is empty".to_owned());
            ok = false;
        }
        if ok {
            let status = if status == "00" {
                ReturnStatus::Paid
            } else {
                ReturnStatus::Failed { reason: if reason.is_empty() { status.to_owned() } else { reason.to_owned() } }
            };
            out.push(ReturnLine { reference: reference.to_owned(), status });
        }
    }
    if errors.is_empty() { Ok(out) } else { Err(errors) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sent() -> Vec<BankLine> {
        vec![
            BankLine { line: 1, reference: "R7-1".into(), id_number: "330111194601150011".into(), name: "王, 大明".into(), account: "6230001".into(), amount_fen: 6000 },
            BankLine { line: 2, reference: "R7-2".into(), id_number: "330111195001010022".into(), name: "李\"小\"红".into(), account: "6230002".into(), amount_fen: 123_456 },
            BankLine { line: 3, reference: "R7-3".into(), id_number: "330111196001010033".into(), name: "赵三".into(), account: "6230003".into(), amount_fen: 5 },
        ]
    }

    #[test]
    fn payment_file_has_header_rows_and_trailer() {
        let text = payment_file("R7", Month::parse("2026-06").expect("m"), &sent());
        let rows: Vec<&str> = text.lines().collect();
        assert_eq!(rows[0], PAYMENT_HEADER);
        assert_eq!(rows[1], "R7,2026-06,1,R7-1,330111194601150011,\"王, 大明\",6230001,60.00");
        assert_eq!(rows[2], "R7,2026-06,2,R7-2,330111195001010022,\"李\"\"小\"\"红\",6230002,1234.56");
        assert_eq!(rows[3], "R7,2026-06,3,R7-3,330111196001010033,赵三,6230003,0.05");
        assert_eq!(rows[4], "TRAILER,R7,2026-06,3,,,,1294.61");
        assert_eq!(rows.len(), 5);
        assert_eq!(split_csv(rows[2]).expect("csv")[5], "李\"小\"红");
    }

    #[test]
    fn return_file_paid_failed_and_partial() {
        let text = "\u{feff}batch,reference,account,amount,status,reason\r\nR7,R7-1,6230001,60.00,00,\r\nR7,R7-2,6230002,1234.56,E1,\"账户已销户, 请核实\"\r\n";
        let got = parse_return_file(text, "R7", &sent()).expect("ok");
        assert_eq!(got.len(), 2);
        assert_eq!(got[0], ReturnLine { reference: "R7-1".into(), status: ReturnStatus::Paid });
        assert_eq!(got[1].status, ReturnStatus::Failed { reason: "账户已销户, 请核实".into() });
        let text = "batch,reference,account,amount,status,reason\nR7,R7-3,6230003,0.05,E9,\n";
        let got = parse_return_file(text, "R7", &sent()).expect("ok");
        assert_eq!(got[0].status, ReturnStatus::Failed { reason: "E9".into() });
    }

    #[test]
    fn return_file_errors_are_all_reported() {
        let text = "batch,ref,account,amount,status,reason\nR8,R7-1,6230001,60.00,00,\nR7,R7-9,6230001,60.00,00,\nR7,R7-2,9999999,1234.50,00,\nR7,R7-3,6230003,0.5x,00,\nR7,R7-3,6230003,0.05,00,\nR7,R7-1,6230001\n";
        let errors = parse_return_file(text, "R7", &sent()).expect_err("bad");
        let got: Vec<(usize, &str)> = errors.iter().map(|e| (e.line, e.field.as_str())).collect();
        assert_eq!(
            got,
            vec![(1, "header"), (2, "batch"), (3, "reference"), (4, "account"), (4, "amount"), (5, "amount"), (6, "reference"), (7, "line")]
        );
        assert!(errors[6].message_en.contains("duplicate"));
        assert!(errors[4].message_zh.contains("1234.56"));
    }

    #[test]
    fn amounts_are_strict() {
        assert_eq!(parse_amount("60.00"), Some(6000));
        assert_eq!(parse_amount("60"), Some(6000));
        assert_eq!(parse_amount("0.5"), Some(50));
        for bad in ["", "-1.00", "1.", ".5", "1.234", "1,00", "1e3", " 1"] {
            assert_eq!(parse_amount(bad), None, "{bad}");
        }
    }
}
