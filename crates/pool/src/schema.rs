//! Record schemas: per record type, the fields a shared record's `data` must and may carry and
//! their types, read from a TOML data file (`data/schemas.toml` is embedded); `validate` checks a
//! record before it is published or corrected.

use std::collections::BTreeMap;

use domain::{CreditCode, ResidentId};
use serde::Deserialize;
use serde_json::Value;

use crate::error::PoolError;

/// The embedded schemas.
pub const EMBEDDED: &str = include_str!("../data/schemas.toml");

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldType {
    Text,
    Date,
    DateOrLong,
    IdNumber,
    IdNumberMasked,
    CreditCode,
    Number,
    Division,
    Object,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordSchema {
    pub record_type: String,
    #[serde(default)]
    pub open: bool,
    #[serde(default)]
    pub required: Vec<String>,
    pub fields: BTreeMap<String, FieldType>,
}

#[derive(Debug, Deserialize)]
struct File {
    schema: Vec<RecordSchema>,
}

/// All schemas, by record type, with the `default` one for types that have none.
#[derive(Debug, Clone)]
pub struct SchemaSet {
    by_type: BTreeMap<String, RecordSchema>,
}

impl SchemaSet {
    pub fn parse(text: &str, file: &str) -> Result<SchemaSet, PoolError> {
        let f: File = toml::from_str(text).map_err(|e| PoolError::Data { file: file.into(), message: e.to_string() })?;
        let mut by_type = BTreeMap::new();
        for s in f.schema {
            for r in &s.required {
                if !s.fields.contains_key(r) {
                    return Err(PoolError::Data { file: file.into(), message: format!("{}: required field {r} has no type", s.record_type) });
                }
            }
            by_type.insert(s.record_type.clone(), s);
        }
        if !by_type.contains_key("default") {
            return Err(PoolError::Data { file: file.into(), message: "no schema named default".into() });
        }
        Ok(SchemaSet { by_type })
    }

    pub fn embedded() -> SchemaSet {
        SchemaSet::parse(EMBEDDED, "data/schemas.toml").unwrap_or_else(|e| unreachable!("the embedded schemas are valid (a unit test checks): {e}"))
    }

    /// The schema of a record type (`default` when it has none of its own).
    pub fn schema(&self, record_type: &str) -> &RecordSchema {
        self.by_type.get(record_type).or_else(|| self.by_type.get("default")).unwrap_or_else(|| unreachable!("checked in parse"))
    }

    pub fn has_own(&self, record_type: &str) -> bool {
        self.by_type.contains_key(record_type)
    }

    /// Checks a record's data against its type's schema.
    pub fn validate(&self, record_type: &str, data: &Value) -> Result<(), PoolError> {
        let schema = self.schema(record_type);
        let Value::Object(map) = data else {
            return Err(PoolError::field("", "must be a JSON object", "必须是 JSON 对象"));
        };
        for r in &schema.required {
            match map.get(r) {
                None | Some(Value::Null) => return Err(PoolError::field(r, "is required", "为必填项")),
                Some(Value::String(s)) if s.trim().is_empty() => return Err(PoolError::field(r, "is required", "为必填项")),
                _ => {}
            }
        }
        for (k, v) in map {
            match schema.fields.get(k) {
                Some(t) => check(k, *t, v)?,
                None if schema.open => {}
                None => return Err(PoolError::field(k, "is not a field of this record type", "不是该类数据的字段")),
            }
        }
        Ok(())
    }
}

fn check(field: &str, t: FieldType, v: &Value) -> Result<(), PoolError> {
    if v.is_null() {
        return Ok(());
    }
    let text = v.as_str();
    let bad = |en: &str, zh: &str| Err(PoolError::field(field, en, zh));
    match t {
        FieldType::Text => match text {
            Some(s) if s.chars().count() <= 2000 => Ok(()),
            Some(_) => bad("is longer than 2000 characters", "超过 2000 字"),
            None => bad("must be text", "必须是文本"),
        },
        FieldType::Date => match text.map(|s| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")) {
            Some(Ok(_)) => Ok(()),
            _ => bad("must be a date YYYY-MM-DD", "必须是日期（YYYY-MM-DD）"),
        },
        FieldType::DateOrLong => match text {
            Some("长期") => Ok(()),
            Some(s) if chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok() => Ok(()),
            _ => bad("must be a date YYYY-MM-DD or 长期", "必须是日期（YYYY-MM-DD）或「长期」"),
        },
        FieldType::IdNumber => match text.map(ResidentId::parse) {
            Some(Ok(_)) => Ok(()),
            Some(Err(e)) => Err(PoolError::field(field, e.to_string(), domain::Describe::message_zh(&e))),
            None => bad("must be a resident ID number", "必须是居民身份证号码"),
        },
        FieldType::IdNumberMasked => match text {
            Some(s) if s.chars().count() == 18 && s.contains('*') => Ok(()),
            _ => bad("must be a masked ID number (330111********123X)", "必须是脱敏的身份证号码"),
        },
        FieldType::CreditCode => match text.map(CreditCode::parse) {
            Some(Ok(_)) => Ok(()),
            Some(Err(e)) => Err(PoolError::field(field, e.to_string(), domain::Describe::message_zh(&e))),
            None => bad("must be a unified social credit code", "必须是统一社会信用代码"),
        },
        FieldType::Number => match v {
            Value::Number(_) => Ok(()),
            _ => bad("must be a number", "必须是数字"),
        },
        FieldType::Division => match text {
            Some(s) if (s.len() == 9 || s.len() == 12 || s.len() == 6) && s.bytes().all(|b| b.is_ascii_digit()) => Ok(()),
            _ => bad("must be a division code", "必须是行政区划代码"),
        },
        FieldType::Object => match v {
            Value::Object(_) => Ok(()),
            _ => bad("must be an object", "必须是对象"),
        },
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn embedded_schemas_parse() {
        let s = SchemaSet::embedded();
        assert!(s.has_own("resident_id_card"));
        assert_eq!(s.schema("no_such_type").record_type, "default");
    }

    #[test]
    fn records_are_checked_against_their_schema() {
        let s = SchemaSet::embedded();
        let good = json!({"name": "许一诺", "spouse_name": "王二", "registered_on": "2020-05-20", "certificate_number": "J330111-2020-001"});
        assert_eq!(s.validate("marriage_registration", &good), Ok(()));
        let mut missing = good.clone();
        missing.as_object_mut().map(|m| m.remove("registered_on"));
        let e = s.validate("marriage_registration", &missing).expect_err("missing field");
        assert_eq!(e.field_path().as_deref(), Some("data.registered_on"));
        let mut bad_date = good.clone();
        bad_date["registered_on"] = json!("2020-13-01");
        assert!(s.validate("marriage_registration", &bad_date).is_err());
        let mut extra = good.clone();
        extra["colour"] = json!("red");
        assert!(s.validate("marriage_registration", &extra).is_err(), "closed schemas refuse unknown fields");
        let card = json!({"name": "许一诺", "sex": "女", "birth": "1990-01-01", "id_number": "330183199001011231",
            "issuing_authority": "富阳区公安分局", "valid_from": "2015-01-01", "valid_until": "长期"});
        let e = s.validate("resident_id_card", &card).expect_err("bad check digit");
        assert_eq!(e.field_path().as_deref(), Some("data.id_number"));
        assert!(s.validate("anything_else", &json!({"name": "x", "extra": 1})).is_ok(), "default schema is open");
        assert!(s.validate("anything_else", &json!(["x"])).is_err());
    }
}
