//! `GuardianError`: everything that can be wrong with the guardian engine's input — a device's
//! payload, an unknown device or elder, the rules file, an elder's overrides, an action on an alarm
//! case in the wrong state — each with a stable code, Chinese and English messages, the field at
//! fault and its `domain::ErrorKind`.

use domain::Describe;

/// What sort of failure it is (the shared vocabulary of `domain`).
pub use domain::ErrorKind;

/// Everything that can go wrong in the guardian engine.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum GuardianError {
    /// The payload is longer than [`crate::reading::MAX_PAYLOAD`] bytes.
    #[error("payload of {bytes} bytes is over the limit of {limit}")]
    PayloadTooLarge {
        /// Its length.
        bytes: usize,
        /// The limit.
        limit: usize,
    },
    /// The payload is not a JSON object in UTF-8 (or has something after the object).
    #[error("malformed payload: {detail}")]
    Malformed {
        /// What the JSON parser said, with line and column.
        detail: String,
    },
    /// A field no device kind sends.
    #[error("unknown field {field}")]
    UnknownField {
        /// The field's name.
        field: String,
    },
    /// A field that belongs to another kind of device (`open` from a presence sensor).
    #[error("field {field} is not sent by a {kind} device")]
    FieldOfOtherKind {
        /// The field's name.
        field: String,
        /// The kind of the device that sent it (its code).
        kind: &'static str,
    },
    /// A field given twice.
    #[error("field {field} is given twice")]
    DuplicateField {
        /// The field's name.
        field: &'static str,
    },
    /// A field the device's kind must send is missing.
    #[error("missing field {field}")]
    MissingField {
        /// The field's name.
        field: &'static str,
    },
    /// A field of the wrong JSON type (a text where a number belongs, a negative `seq`).
    #[error("field {field} must be {expected}")]
    InvalidFieldType {
        /// The field's name.
        field: &'static str,
        /// What it must be, in English.
        expected: &'static str,
    },
    /// `ts` is not an RFC 3339 time with an offset.
    #[error("ts {value:?} is not an RFC 3339 time with an offset")]
    InvalidTimestamp {
        /// The text given (cut to 64 characters).
        value: String,
    },
    /// `ts` is more than [`crate::reading::MAX_AHEAD_S`] seconds after the time it was received.
    #[error("ts is {ahead_s} s in the future")]
    TimestampInFuture {
        /// How far ahead, in seconds.
        ahead_s: i64,
    },
    /// `ts` is more than [`crate::reading::MAX_AGE_S`] seconds before the time it was received.
    #[error("ts is {age_s} s in the past")]
    TimestampTooOld {
        /// How old, in seconds.
        age_s: i64,
    },
    /// `battery_pct` outside 0–100.
    #[error("battery_pct {value} is outside 0–100")]
    BatteryOutOfRange {
        /// The value sent.
        value: f64,
    },
    /// `temp_c` outside 25–45 °C: a sensor fault, not a body temperature.
    #[error("temp_c {value} is outside 25–45 °C (a sensor fault)")]
    TemperatureOutOfRange {
        /// The value sent.
        value: f64,
    },
    /// `lat` outside −90…90 or `lon` outside −180…180.
    #[error("{field} {value} is out of range")]
    LocationOutOfRange {
        /// `lat` or `lon`.
        field: &'static str,
        /// The value sent.
        value: f64,
    },
    /// A meter reading (`litres`, `kwh`) below zero.
    #[error("{field} {value} is negative")]
    MeterNegative {
        /// `litres` or `kwh`.
        field: &'static str,
        /// The value sent.
        value: f64,
    },
    /// `heart_rate` outside 20–250 beats a minute.
    #[error("heart_rate {value} is outside 20–250")]
    HeartRateOutOfRange {
        /// The value sent.
        value: f64,
    },
    /// `room` empty or longer than 64 characters.
    #[error("room must be 1–64 characters")]
    InvalidRoom,
    /// A device the monitor does not know.
    #[error("unknown device {device}")]
    UnknownDevice {
        /// The device id.
        device: String,
    },
    /// An elder the monitor does not know.
    #[error("unknown elder {elder}")]
    UnknownElder {
        /// The elder id.
        elder: u64,
    },
    /// A reading of one kind for a device registered as another.
    #[error("device {device} is a {expected} device, the reading is from a {found}")]
    WrongDeviceKind {
        /// The device id.
        device: String,
        /// Its registered kind.
        expected: &'static str,
        /// The kind of the reading.
        found: &'static str,
    },
    /// A device kind code that does not exist.
    #[error("unknown device kind {code:?}")]
    UnknownDeviceKind {
        /// The text given.
        code: String,
    },
    /// An alarm kind code that does not exist.
    #[error("unknown alarm kind {code:?}")]
    UnknownAlarmKind {
        /// The text given.
        code: String,
    },
    /// The rules file does not parse or breaks a rule.
    #[error("{file}:{line}:{column}: {field}: {message_en}")]
    Rules {
        /// The file name.
        file: String,
        /// The 1-based line at fault (0 when unknown).
        line: usize,
        /// The 1-based column at fault (0 when unknown).
        column: usize,
        /// The field at fault, e.g. `alarm.fever.at_or_above_c`.
        field: String,
        /// What is wrong, in Chinese.
        message_zh: String,
        /// What is wrong, in English.
        message_en: String,
    },
    /// An elder's override of a threshold is out of its range.
    #[error("override {field}: {message_en}")]
    InvalidOverride {
        /// The field at fault.
        field: String,
        /// What is wrong, in Chinese.
        message_zh: String,
        /// What is wrong, in English.
        message_en: String,
    },
    /// An action on an alarm case that its state does not allow.
    #[error("cannot {action} a case that is {state}")]
    WrongState {
        /// The action's code.
        action: &'static str,
        /// The case's state code.
        state: &'static str,
    },
    /// An action with a value that is not allowed (an empty responder id, an empty note).
    #[error("{field}: {message_en}")]
    InvalidAction {
        /// The field at fault.
        field: &'static str,
        /// What is wrong, in Chinese.
        message_zh: String,
        /// What is wrong, in English.
        message_en: String,
    },
}

impl GuardianError {
    /// What sort of failure it is.
    pub fn kind(&self) -> ErrorKind {
        match self {
            GuardianError::PayloadTooLarge { .. } => ErrorKind::TooLarge,
            GuardianError::Malformed { .. } => ErrorKind::Malformed,
            GuardianError::UnknownDevice { .. } | GuardianError::UnknownElder { .. } => ErrorKind::NotFound,
            GuardianError::WrongState { .. } => ErrorKind::Conflict,
            _ => ErrorKind::Invalid,
        }
    }

    /// The field at fault.
    pub fn field(&self) -> Option<String> {
        let f: &str = match self {
            GuardianError::PayloadTooLarge { .. } | GuardianError::Malformed { .. } => "payload",
            GuardianError::UnknownField { field } | GuardianError::FieldOfOtherKind { field, .. } => field,
            GuardianError::DuplicateField { field }
            | GuardianError::MissingField { field }
            | GuardianError::InvalidFieldType { field, .. }
            | GuardianError::LocationOutOfRange { field, .. }
            | GuardianError::MeterNegative { field, .. }
            | GuardianError::InvalidAction { field, .. } => field,
            GuardianError::InvalidTimestamp { .. } | GuardianError::TimestampInFuture { .. } | GuardianError::TimestampTooOld { .. } => "ts",
            GuardianError::BatteryOutOfRange { .. } => "battery_pct",
            GuardianError::TemperatureOutOfRange { .. } => "temp_c",
            GuardianError::HeartRateOutOfRange { .. } => "heart_rate",
            GuardianError::InvalidRoom => "room",
            GuardianError::UnknownDevice { .. } | GuardianError::WrongDeviceKind { .. } => "device",
            GuardianError::UnknownElder { .. } => "elder",
            GuardianError::UnknownDeviceKind { .. } => "kind",
            GuardianError::UnknownAlarmKind { .. } => "alarm_kind",
            GuardianError::Rules { field, .. } | GuardianError::InvalidOverride { field, .. } => field,
            GuardianError::WrongState { .. } => "state",
        };
        Some(f.to_owned())
    }

    /// Whether the error is about a device's payload (counted against the device for maintenance).
    pub fn is_payload_error(&self) -> bool {
        !matches!(
            self,
            GuardianError::UnknownDevice { .. }
                | GuardianError::UnknownElder { .. }
                | GuardianError::UnknownDeviceKind { .. }
                | GuardianError::UnknownAlarmKind { .. }
                | GuardianError::Rules { .. }
                | GuardianError::InvalidOverride { .. }
                | GuardianError::WrongState { .. }
                | GuardianError::InvalidAction { .. }
        )
    }
}

impl Describe for GuardianError {
    fn code(&self) -> &'static str {
        match self {
            GuardianError::PayloadTooLarge { .. } => "payload_too_large",
            GuardianError::Malformed { .. } => "malformed_payload",
            GuardianError::UnknownField { .. } => "unknown_field",
            GuardianError::FieldOfOtherKind { .. } => "field_of_other_kind",
            GuardianError::DuplicateField { .. } => "duplicate_field",
            GuardianError::MissingField { .. } => "missing_field",
            GuardianError::InvalidFieldType { .. } => "invalid_field_type",
            GuardianError::InvalidTimestamp { .. } => "invalid_timestamp",
            GuardianError::TimestampInFuture { .. } => "timestamp_in_future",
            GuardianError::TimestampTooOld { .. } => "timestamp_too_old",
            GuardianError::BatteryOutOfRange { .. } => "battery_out_of_range",
            GuardianError::TemperatureOutOfRange { .. } => "temperature_out_of_range",
            GuardianError::LocationOutOfRange { .. } => "location_out_of_range",
            GuardianError::MeterNegative { .. } => "meter_negative",
            GuardianError::HeartRateOutOfRange { .. } => "heart_rate_out_of_range",
            GuardianError::InvalidRoom => "invalid_room",
            GuardianError::UnknownDevice { .. } => "unknown_device",
            GuardianError::UnknownElder { .. } => "unknown_elder",
            GuardianError::WrongDeviceKind { .. } => "wrong_device_kind",
            GuardianError::UnknownDeviceKind { .. } => "unknown_device_kind",
            GuardianError::UnknownAlarmKind { .. } => "unknown_alarm_kind",
            GuardianError::Rules { .. } => "invalid_guardian_rules",
            GuardianError::InvalidOverride { .. } => "invalid_override",
            GuardianError::WrongState { .. } => "wrong_state",
            GuardianError::InvalidAction { .. } => "invalid_action",
        }
    }

    fn message_zh(&self) -> String {
        match self {
            GuardianError::PayloadTooLarge { bytes, limit } => format!("数据包长 {bytes} 字节，超过上限 {limit} 字节"),
            GuardianError::Malformed { detail } => format!("数据包不是有效的 JSON 对象（UTF-8）：{detail}"),
            GuardianError::UnknownField { field } => format!("未知字段「{field}」"),
            GuardianError::FieldOfOtherKind { field, kind } => format!("字段「{field}」不属于 {kind} 类设备"),
            GuardianError::DuplicateField { field } => format!("字段「{field}」重复出现"),
            GuardianError::MissingField { field } => format!("缺少字段「{field}」"),
            GuardianError::InvalidFieldType { field, expected } => format!("字段「{field}」类型不对，应为 {expected}"),
            GuardianError::InvalidTimestamp { value } => format!("时间「{value}」不是带时区的 RFC 3339 时间"),
            GuardianError::TimestampInFuture { ahead_s } => format!("读数时间超前接收时间 {ahead_s} 秒（上限 120 秒），请校准设备时钟"),
            GuardianError::TimestampTooOld { age_s } => format!("读数时间早于接收时间 {age_s} 秒（上限 24 小时）"),
            GuardianError::BatteryOutOfRange { value } => format!("电量 {value} 超出 0～100"),
            GuardianError::TemperatureOutOfRange { value } => format!("体温 {value} ℃ 超出 25～45 ℃，按传感器故障处理"),
            GuardianError::LocationOutOfRange { field, value } => format!("坐标 {field} = {value} 超出范围"),
            GuardianError::MeterNegative { field, value } => format!("表读数 {field} = {value} 为负数"),
            GuardianError::HeartRateOutOfRange { value } => format!("心率 {value} 超出 20～250"),
            GuardianError::InvalidRoom => "房间名称应为 1～64 个字符".to_owned(),
            GuardianError::UnknownDevice { device } => format!("没有编号为「{device}」的设备"),
            GuardianError::UnknownElder { elder } => format!("没有编号为 {elder} 的受守护老人"),
            GuardianError::WrongDeviceKind { device, expected, found } => {
                format!("设备「{device}」登记为 {expected} 类，读数却是 {found} 类")
            }
            GuardianError::UnknownDeviceKind { code } => format!("没有「{code}」这种设备类型"),
            GuardianError::UnknownAlarmKind { code } => format!("没有「{code}」这种告警类型"),
            GuardianError::Rules { file, line, column, field, message_zh, .. } => {
                format!("守护规则文件 {file} 第 {line} 行第 {column} 列（{field}）有误：{message_zh}")
            }
            GuardianError::InvalidOverride { field, message_zh, .. } => format!("个人规则「{field}」有误：{message_zh}"),
            GuardianError::WrongState { action, state } => format!("告警处于「{state}」状态，不能执行「{action}」"),
            GuardianError::InvalidAction { field, message_zh, .. } => format!("「{field}」有误：{message_zh}"),
        }
    }

    fn message_en(&self) -> String {
        self.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_has_a_distinct_code_messages_a_field_and_a_kind() {
        let all = [
            GuardianError::PayloadTooLarge { bytes: 5000, limit: 4096 },
            GuardianError::Malformed { detail: "EOF".into() },
            GuardianError::UnknownField { field: "x".into() },
            GuardianError::FieldOfOtherKind { field: "open".into(), kind: "presence" },
            GuardianError::DuplicateField { field: "seq" },
            GuardianError::MissingField { field: "seq" },
            GuardianError::InvalidFieldType { field: "seq", expected: "a whole number ≥ 0" },
            GuardianError::InvalidTimestamp { value: "yesterday".into() },
            GuardianError::TimestampInFuture { ahead_s: 300 },
            GuardianError::TimestampTooOld { age_s: 90_000 },
            GuardianError::BatteryOutOfRange { value: 101.0 },
            GuardianError::TemperatureOutOfRange { value: 50.0 },
            GuardianError::LocationOutOfRange { field: "lat", value: 91.0 },
            GuardianError::MeterNegative { field: "litres", value: -1.0 },
            GuardianError::HeartRateOutOfRange { value: 300.0 },
            GuardianError::InvalidRoom,
            GuardianError::UnknownDevice { device: "d1".into() },
            GuardianError::UnknownElder { elder: 7 },
            GuardianError::WrongDeviceKind { device: "d1".into(), expected: "door", found: "presence" },
            GuardianError::UnknownDeviceKind { code: "toaster".into() },
            GuardianError::UnknownAlarmKind { code: "x".into() },
            GuardianError::Rules {
                file: "rules.toml".into(),
                line: 3,
                column: 5,
                field: "alarm.fever.at_or_above_c".into(),
                message_zh: "超出范围".into(),
                message_en: "out of range".into(),
            },
            GuardianError::InvalidOverride { field: "fever_c".into(), message_zh: "超出范围".into(), message_en: "out of range".into() },
            GuardianError::WrongState { action: "accept", state: "raised" },
            GuardianError::InvalidAction { field: "responder", message_zh: "为空".into(), message_en: "empty".into() },
        ];
        let mut codes = std::collections::BTreeSet::new();
        for e in &all {
            assert!(codes.insert(e.code()), "code {} twice", e.code());
            assert!(!e.message_zh().is_empty() && !e.message_en().is_empty());
            assert!(e.field().is_some_and(|f| !f.is_empty()), "{e:?}");
        }
        assert_eq!(all[21].to_string(), "rules.toml:3:5: alarm.fever.at_or_above_c: out of range");
        assert_eq!(all[16].kind(), ErrorKind::NotFound);
        assert_eq!(all[23].kind(), ErrorKind::Conflict);
        assert_eq!(all[1].kind(), ErrorKind::Malformed);
        assert_eq!(all[0].kind(), ErrorKind::TooLarge);
        assert_eq!(all[10].kind(), ErrorKind::Invalid);
        assert!(all[10].is_payload_error() && !all[16].is_payload_error());
    }
}
