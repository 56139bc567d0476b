//! Application-form values: checked against the catalog's field declarations and normalised.

use catalog::{Field, FieldKind};
use chrono::{NaiveDate, NaiveDateTime};
use domain::{CreditCode, Describe, Phone, ResidentId};

/// No single form value may be longer than this, whatever its field says.
pub const HARD_MAX_CHARS: usize = 10_000;

/// Checks one value and returns its normal form, or why it is wrong (Chinese, English).
///
/// Knows no date, so an identity number with a birth date in the future passes: where the date
/// is at hand (the engine, a server), use [`check_value_on`].
pub fn check_value(field: &Field, raw: &str) -> Result<String, (String, String)> {
    check(field, raw, None)
}

/// [`check_value`], and an identity number whose birth date is after `today` (China's date) is
/// refused too.
pub fn check_value_on(field: &Field, raw: &str, today: NaiveDate) -> Result<String, (String, String)> {
    check(field, raw, Some(today))
}

fn check(field: &Field, raw: &str, today: Option<NaiveDate>) -> Result<String, (String, String)> {
    let v = raw.trim();
    if v.chars().count() > HARD_MAX_CHARS {
        return Err((
            format!("不能超过 {HARD_MAX_CHARS} 个字"),
            format!("must be at most {HARD_MAX_CHARS} characters"),
        ));
    }
    match &field.kind {
        FieldKind::Text { max_len } | FieldKind::LongText { max_len } => {
            let n = v.chars().count();
            if n > *max_len as usize {
                return Err((
                    format!("不能超过 {max_len} 个字（现为 {n} 个）"),
                    format!("must be at most {max_len} characters (it has {n})"),
                ));
            }
            if v.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
                return Err(("含有不可见的控制字符".to_owned(), "contains control characters".to_owned()));
            }
            Ok(v.to_owned())
        }
        FieldKind::Date => NaiveDate::parse_from_str(v, "%Y-%m-%d")
            .map(|d| d.format("%Y-%m-%d").to_string())
            .map_err(|_| {
                ("日期格式应为 年-月-日，如 2026-05-01".to_owned(), "expected a date like 2026-05-01".to_owned())
            }),
        FieldKind::DateTime => parse_datetime(v)
            .map(|t| t.format("%Y-%m-%dT%H:%M").to_string())
            .ok_or_else(|| {
                (
                    "时间格式应为 年-月-日T时:分，如 2026-05-01T22:00".to_owned(),
                    "expected a date and time like 2026-05-01T22:00".to_owned(),
                )
            }),
        FieldKind::Number { min, max } => {
            let n: f64 = v
                .parse()
                .ok()
                .filter(|n: &f64| n.is_finite())
                .ok_or_else(|| ("应为数字".to_owned(), "expected a number".to_owned()))?;
            if let Some(lo) = min
                && n < *lo
            {
                return Err((format!("不能小于 {lo}"), format!("must be at least {lo}")));
            }
            if let Some(hi) = max
                && n > *hi
            {
                return Err((format!("不能大于 {hi}"), format!("must be at most {hi}")));
            }
            Ok(v.to_owned())
        }
        FieldKind::Choice { choices } => {
            if choices.iter().any(|c| c.value == v) {
                Ok(v.to_owned())
            } else {
                let labels: Vec<&str> = choices.iter().map(|c| c.label.as_str()).collect();
                let values: Vec<&str> = choices.iter().map(|c| c.value.as_str()).collect();
                Err((
                    format!("请从以下选项中选择：{}", labels.join("、")),
                    format!("choose one of: {}", values.join(", ")),
                ))
            }
        }
        FieldKind::IdNumber => match today {
            Some(today) => ResidentId::parse_on(v, today),
            None => ResidentId::parse(v),
        }
            .map(|id| id.as_str().to_owned())
            .map_err(|e| (e.message_zh(), e.message_en())),
        FieldKind::CreditCode => CreditCode::parse(v)
            .map(|c| c.as_str().to_owned())
            .map_err(|e| (e.message_zh(), e.message_en())),
        FieldKind::Phone => Phone::parse(v)
            .map(|p| p.as_str().to_owned())
            .map_err(|e| (e.message_zh(), e.message_en())),
    }
}

fn parse_datetime(v: &str) -> Option<NaiveDateTime> {
    ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(v, f).ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use catalog::Choice;

    fn field(kind: FieldKind) -> Field {
        Field {
            key: "k".into(),
            label: "标签".into(),
            label_en: "Label".into(),
            kind,
            required: true,
            reuse: false,
        }
    }

    #[test]
    fn values_are_checked_and_normalised() {
        let cases: Vec<(FieldKind, &str, Result<&str, ()>)> = vec![
            (FieldKind::Text { max_len: 4 }, " 张三 ", Ok("张三")),
            (FieldKind::Text { max_len: 4 }, "富阳区富春", Err(())),
            (FieldKind::Date, "2026-02-29", Err(())),
            (FieldKind::Date, "2028-02-29", Ok("2028-02-29")),
            (FieldKind::DateTime, "2026-05-01 22:00", Ok("2026-05-01T22:00")),
            (FieldKind::DateTime, "tonight", Err(())),
            (FieldKind::Number { min: Some(0.0), max: Some(10.0) }, "3.5", Ok("3.5")),
            (FieldKind::Number { min: Some(0.0), max: Some(10.0) }, "11", Err(())),
            (FieldKind::Number { min: None, max: None }, "NaN", Err(())),
            (
                FieldKind::Choice {
                    choices: vec![Choice { value: "a".into(), label: "甲".into(), label_en: "A".into() }],
                },
                "b",
                Err(()),
            ),
            (FieldKind::Phone, "+86 138-0000-1234", Ok("13800001234")),
            (FieldKind::IdNumber, "330111199001011234", Err(())),
        ];
        for (kind, input, want) in cases {
            let got = check_value(&field(kind.clone()), input);
            match (want, got) {
                (Ok(w), Ok(g)) => assert_eq!(g, w, "{kind:?} {input}"),
                (Err(()), Err((zh, en))) => assert!(!zh.is_empty() && !en.is_empty()),
                (w, g) => panic!("{kind:?} {input}: wanted {w:?}, got {g:?}"),
            }
        }
    }

    #[test]
    fn identity_numbers_are_checked_against_the_region_table_and_today() {
        let f = field(FieldKind::IdNumber);
        let date = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).expect("date");
        let today = date(2026, 5, 1);
        // 330183 富阳市 was retired in 2014, but its numbers stay valid.
        let former = ResidentId::from_parts("330183", date(1990, 3, 7), 123).expect("valid");
        assert_eq!(check_value_on(&f, former.as_str(), today).as_deref(), Ok(former.as_str()));
        let born_today = ResidentId::from_parts("330111", today, 12).expect("valid");
        assert!(check_value_on(&f, born_today.as_str(), today).is_ok());
        // Born tomorrow: only the check that knows today refuses it.
        let tomorrow = ResidentId::from_parts("330111", date(2026, 5, 2), 12).expect("valid");
        let (zh, en) = check_value_on(&f, tomorrow.as_str(), today).expect_err("future birth date");
        assert!(zh.contains("晚于今天") && en.contains("after today"), "{zh} / {en}");
        assert!(check_value(&f, tomorrow.as_str()).is_ok());
        // 339999 is no county: its check character is right, the number is still refused.
        let (zh, en) = check_value_on(&f, "339999199003071231", today).expect_err("made-up region");
        assert!(zh.contains("339999") && en.contains("339999"), "{zh} / {en}");
    }
}
