//! `ParkingError`: everything that can be wrong with the parking engine's input — a car park, a
//! guidance sign or an opening-hours text that breaks a rule, an occupancy reading above capacity,
//! negative, for an unknown lot or bay type, out of order or from the future — each with a stable
//! code, Chinese and English messages, the field at fault and its `domain::ErrorKind`. Nothing is
//! changed when one is returned.

use domain::Describe;

/// What sort of failure it is (the shared vocabulary of `domain`).
pub use domain::ErrorKind;

/// Everything that can go wrong in the parking engine.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ParkingError {
    /// A value that breaks a rule (an empty name, a latitude of 91, a sign of level 4).
    #[error("{field}: {message_en}")]
    Invalid {
        /// The field at fault.
        field: String,
        /// What is wrong, in Chinese.
        message_zh: String,
        /// What is wrong, in English.
        message_en: String,
    },
    /// Something named does not exist (a car park, a hospital, a sign).
    #[error("no {what} {id}")]
    NotFound {
        /// What was looked for (`lot`, `hospital`, `sign`).
        what: &'static str,
        /// Its id as given.
        id: String,
    },
    /// A reading names a bay type the engine does not know.
    #[error("unknown bay type {bay:?} (visitor, staff, disabled or ev)")]
    UnknownBayType {
        /// The bay type as given.
        bay: String,
    },
    /// A reading says more bays are occupied than the lot has (or a negative number free).
    #[error("bays.{bay}: {occupied} occupied is more than the {capacity} bays of that type")]
    AboveCapacity {
        /// The bay type's code.
        bay: &'static str,
        /// The occupied count the reading implies.
        occupied: i64,
        /// The lot's capacity of that bay type.
        capacity: u32,
    },
    /// A reading says fewer than zero bays are occupied (or more free than the lot has).
    #[error("bays.{bay}: {occupied} occupied is negative")]
    Negative {
        /// The bay type's code.
        bay: &'static str,
        /// The occupied count the reading implies.
        occupied: i64,
    },
    /// A reading not after the lot's last one: out of order or replayed.
    #[error("reading at {at} is not after the lot's last reading at {last}")]
    OutOfOrder {
        /// The reading's time (RFC 3339).
        at: String,
        /// The last reading's time (RFC 3339).
        last: String,
    },
    /// A reading time too far ahead of the server's clock.
    #[error("reading at {at} is more than {limit_s} s ahead of now ({now})")]
    InFuture {
        /// The reading's time (RFC 3339).
        at: String,
        /// The server's time (RFC 3339).
        now: String,
        /// How far ahead a reading may be, in seconds.
        limit_s: i64,
    },
}

impl ParkingError {
    /// An invalid value.
    pub fn invalid(field: impl Into<String>, zh: impl Into<String>, en: impl Into<String>) -> ParkingError {
        ParkingError::Invalid { field: field.into(), message_zh: zh.into(), message_en: en.into() }
    }

    /// The same error with its field inside `outer` (`name` → `lots[2].name`).
    pub fn within(self, outer: &str) -> ParkingError {
        match self {
            ParkingError::Invalid { field, message_zh, message_en } => {
                ParkingError::Invalid { field: format!("{outer}.{field}"), message_zh, message_en }
            }
            e => e,
        }
    }

    /// What sort of failure it is.
    pub fn kind(&self) -> ErrorKind {
        match self {
            ParkingError::NotFound { .. } => ErrorKind::NotFound,
            ParkingError::OutOfOrder { .. } => ErrorKind::Conflict,
            ParkingError::Invalid { .. }
            | ParkingError::UnknownBayType { .. }
            | ParkingError::AboveCapacity { .. }
            | ParkingError::Negative { .. }
            | ParkingError::InFuture { .. } => ErrorKind::Invalid,
        }
    }

    /// The field at fault.
    pub fn field(&self) -> Option<String> {
        let f = match self {
            ParkingError::Invalid { field, .. } => field.clone(),
            ParkingError::NotFound { what, .. } => (*what).to_owned(),
            ParkingError::UnknownBayType { bay } => format!("bays.{bay}"),
            ParkingError::AboveCapacity { bay, .. } | ParkingError::Negative { bay, .. } => format!("bays.{bay}"),
            ParkingError::OutOfOrder { .. } | ParkingError::InFuture { .. } => "at".to_owned(),
        };
        Some(f)
    }
}

/// The Chinese name of a bay type's code (the code itself when unknown).
fn bay_zh(code: &str) -> &str {
    match code {
        "visitor" => "访客车位",
        "staff" => "职工车位",
        "disabled" => "无障碍车位",
        "ev" => "充电车位",
        other => other,
    }
}

impl Describe for ParkingError {
    fn code(&self) -> &'static str {
        match self {
            ParkingError::Invalid { .. } => "invalid_parking_input",
            ParkingError::NotFound { what, .. } => match *what {
                "lot" => "parking_lot_not_found",
                "hospital" => "hospital_not_found",
                "sign" => "parking_sign_not_found",
                _ => "parking_not_found",
            },
            ParkingError::UnknownBayType { .. } => "unknown_bay_type",
            ParkingError::AboveCapacity { .. } => "occupancy_above_capacity",
            ParkingError::Negative { .. } => "occupancy_negative",
            ParkingError::OutOfOrder { .. } => "reading_out_of_order",
            ParkingError::InFuture { .. } => "reading_in_future",
        }
    }

    fn message_zh(&self) -> String {
        match self {
            ParkingError::Invalid { field, message_zh, .. } => format!("「{field}」有误：{message_zh}"),
            ParkingError::NotFound { what, id } => {
                let w = match *what {
                    "lot" => "停车场",
                    "hospital" => "医院",
                    "sign" => "诱导屏",
                    other => other,
                };
                format!("找不到{w}「{id}」")
            }
            ParkingError::UnknownBayType { bay } => {
                format!("未知的车位类型「{bay}」，只能是 visitor（访客）、staff（职工）、disabled（无障碍）或 ev（充电）")
            }
            ParkingError::AboveCapacity { bay, occupied, capacity } => {
                format!("{}已占用数 {occupied} 超过该类车位总数 {capacity}，本条数据未采用", bay_zh(bay))
            }
            ParkingError::Negative { bay, occupied } => {
                format!("{}已占用数为 {occupied}（空位数大于车位总数），本条数据未采用", bay_zh(bay))
            }
            ParkingError::OutOfOrder { at, last } => {
                format!("数据时间 {at} 不晚于该停车场上一条数据的时间 {last}（乱序或重复上报），本条数据未采用")
            }
            ParkingError::InFuture { at, now, limit_s } => {
                format!("数据时间 {at} 比服务器时间 {now} 超前 {limit_s} 秒以上，请校准采集设备的时钟")
            }
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
            ParkingError::invalid("name", "为空", "empty"),
            ParkingError::NotFound { what: "lot", id: "p9".into() },
            ParkingError::NotFound { what: "hospital", id: "h9".into() },
            ParkingError::NotFound { what: "sign", id: "s9".into() },
            ParkingError::UnknownBayType { bay: "vip".into() },
            ParkingError::AboveCapacity { bay: "visitor", occupied: 101, capacity: 100 },
            ParkingError::Negative { bay: "visitor", occupied: -1 },
            ParkingError::OutOfOrder { at: "2026-12-07T08:00:00Z".into(), last: "2026-12-07T08:01:00Z".into() },
            ParkingError::InFuture { at: "2026-12-07T08:10:00Z".into(), now: "2026-12-07T08:00:00Z".into(), limit_s: 120 },
        ];
        let mut codes = std::collections::BTreeSet::new();
        for e in &all {
            assert!(codes.insert(e.code()), "code {} twice", e.code());
            assert!(!e.message_zh().is_empty() && !e.message_en().is_empty());
            assert!(e.field().is_some_and(|f| !f.is_empty()), "{e:?}");
        }
        assert_eq!(all[1].kind(), ErrorKind::NotFound);
        assert_eq!(all[7].kind(), ErrorKind::Conflict);
        assert_eq!(all[5].kind(), ErrorKind::Invalid);
        assert_eq!(all[5].field().as_deref(), Some("bays.visitor"));
        assert_eq!(all[5].message_zh(), "访客车位已占用数 101 超过该类车位总数 100，本条数据未采用");
        assert_eq!(ParkingError::invalid("name", "空", "empty").within("lots[2]").field().as_deref(), Some("lots[2].name"));
    }
}
