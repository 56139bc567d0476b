//! The documented CSV of in-patient episodes for bulk loads: one episode per line, lists split by
//! `;`, costs in yuan; every error names the line and the column.

use domain::Fen;
use crate::failure::Failure;
use crate::failure::Fallible;
use super::views::CostLine;
use super::views::EpisodeInput;

/// The columns before the costs, in order.
const FIRST: &[&str] = &["hospital", "id", "patient", "admitted", "discharged", "age", "sex", "principal_dx", "other_dx", "procedures", "insurance"];

/// Every column, in order (the header must name them so): the episode's, then one per cost
/// category of the in-patient invoice (yuan; blank is none).
pub fn columns() -> Vec<&'static str> {
    FIRST.iter().copied().chain(medins::CostCategory::ALL.iter().map(|c| c.code())).collect()
}

fn bad(line: u64, column: &str, zh: String, en: String) -> Failure {
    Failure::Invalid { code: "invalid_csv", zh: format!("第 {line} 行“{column}”列：{zh}"), en: format!("Line {line}, column “{column}”: {en}"), field: Some(format!("line {line}: {column}")) }
}

/// The episodes of a CSV body, or the first error with its line and column.
pub fn parse_episodes_csv(body: &[u8]) -> Fallible<Vec<EpisodeInput>> {
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    let mut reader = csv::ReaderBuilder::new().has_headers(true).trim(csv::Trim::All).from_reader(body);
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| bad(1, "header", format!("无法读取表头：{e}"), format!("cannot read the header: {e}")))?
        .iter()
        .map(str::to_owned)
        .collect();
    let columns = columns();
    if header != columns {
        return Err(bad(1, "header", format!("表头应为 {}", columns.join(",")), format!("the header must be {}", columns.join(","))));
    }
    let mut out = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| {
            let line = e.position().map_or(0, csv::Position::line);
            bad(line, "*", format!("无法读取：{e}"), format!("cannot read it: {e}"))
        })?;
        let line = record.position().map_or(0, csv::Position::line);
        let get = |c: &str| columns.iter().position(|k| *k == c).and_then(|i| record.get(i)).unwrap_or("").to_owned();
        let list = |c: &str| get(c).split(';').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect::<Vec<_>>();
        let age = get("age").parse::<u8>().map_err(|_| bad(line, "age", format!("“{}”不是 0–130 的整数", get("age")), format!("“{}” is not a whole number 0–130", get("age"))))?;
        let mut costs = Vec::new();
        for c in &columns[FIRST.len()..] {
            let v = get(c);
            if v.is_empty() {
                continue;
            }
            let fen = Fen::parse_yuan(&v).map_err(|e| bad(line, c, format!("“{v}”不是金额（元，最多两位小数）"), format!("“{v}” is not an amount of yuan: {e}")))?;
            costs.push(CostLine { category: (*c).to_owned(), fen: fen.0 });
        }
        out.push(EpisodeInput {
            hospital: get("hospital"),
            id: get("id"),
            patient: get("patient"),
            admitted: get("admitted"),
            discharged: get("discharged"),
            age,
            sex: get("sex"),
            principal_dx: get("principal_dx"),
            other_dx: list("other_dx"),
            procedures: list("procedures"),
            costs,
            insurance: get("insurance"),
        });
    }
    if out.is_empty() {
        return Err(bad(2, "*", "没有病例行".into(), "no episode lines".into()));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: &str = "hospital,id,patient,admitted,discharged,age,sex,principal_dx,other_dx,procedures,insurance,bed,consultation,examination,laboratory,treatment,surgery,nursing,materials,western_medicine,chinese_patent_medicine,chinese_herbal_medicine,other";

    #[test]
    fn the_header_is_the_documented_one() {
        assert_eq!(columns().join(","), HEAD);
    }

    #[test]
    fn lines_become_episodes() {
        let csv = format!("{HEAD}\r\nfy-1h,ZY001,330183199001011234,2026-11-02,2026-11-09,36,male,J18.9,E11.9;I10,,resident,300,120.5,,,,,,,1500,,,\r\n");
        let e = parse_episodes_csv(csv.as_bytes()).expect("parse");
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].other_dx, vec!["E11.9", "I10"]);
        assert!(e[0].procedures.is_empty());
        assert_eq!(e[0].costs, vec![CostLine { category: "bed".into(), fen: 30_000 }, CostLine { category: "consultation".into(), fen: 12_050 }, CostLine { category: "western_medicine".into(), fen: 150_000 }]);
    }

    #[test]
    fn errors_name_line_and_column() {
        let csv = format!("{HEAD}\nfy-1h,ZY001,330183199001011234,2026-11-02,2026-11-09,36,male,J18.9,,,resident,300,,,,,,,,,,,\nfy-1h,ZY002,330183199001011234,2026-11-02,2026-11-09,36,male,J18.9,,,resident,3.001,,,,,,,,,,,\n");
        let Failure::Invalid { zh, en, .. } = parse_episodes_csv(csv.as_bytes()).expect_err("bad amount") else { panic!("invalid") };
        assert!(zh.contains("第 3 行") && zh.contains("bed") && en.contains("Line 3"), "{zh} / {en}");
        let e = parse_episodes_csv(b"a,b\n1,2\n").expect_err("header");
        assert!(matches!(e, Failure::Invalid { .. }));
        let age = format!("{HEAD}\nfy-1h,ZY001,330183199001011234,2026-11-02,2026-11-09,old,male,J18.9,,,resident,300,,,,,,,,,,,\n");
        let Failure::Invalid { en, .. } = parse_episodes_csv(age.as_bytes()).expect_err("age") else { panic!("invalid") };
        assert!(en.contains("Line 2") && en.contains("age"), "{en}");
        assert!(parse_episodes_csv(HEAD.as_bytes()).is_err(), "no lines");
        assert!(parse_episodes_csv(b"\xff\xfe garbage").is_err());
    }
}
