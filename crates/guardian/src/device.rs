//! The kinds of device an elder's home is fitted with, and the id of a guarded elder.

use std::fmt;
use std::str::FromStr;

use serde::Deserialize;
use serde::Serialize;

use crate::error::GuardianError;

/// A guarded elder, as the caller numbers them (the store's id of the enrolment or the person).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ElderId(pub u64);

impl fmt::Display for ElderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// What a device is. Each kind sends its own fields (see [`crate::reading`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviceKind {
    /// A thermal or PIR presence sensor, one per room: was there motion.
    Presence,
    /// A door contact: is the door open.
    Door,
    /// A water meter: cumulative litres.
    WaterMeter,
    /// An electricity meter: cumulative kWh.
    ElectricityMeter,
    /// A wearable (bracelet, pendant): location, body temperature, fall detection, SOS button.
    Wearable,
}

impl DeviceKind {
    /// Every kind, in a fixed order.
    pub const ALL: [DeviceKind; 5] = [DeviceKind::Presence, DeviceKind::Door, DeviceKind::WaterMeter, DeviceKind::ElectricityMeter, DeviceKind::Wearable];

    /// The stable code: `presence`, `door`, `water_meter`, `electricity_meter`, `wearable`.
    pub fn code(self) -> &'static str {
        match self {
            DeviceKind::Presence => "presence",
            DeviceKind::Door => "door",
            DeviceKind::WaterMeter => "water_meter",
            DeviceKind::ElectricityMeter => "electricity_meter",
            DeviceKind::Wearable => "wearable",
        }
    }

    /// The name in Chinese.
    pub fn label_zh(self) -> &'static str {
        match self {
            DeviceKind::Presence => "人体感应",
            DeviceKind::Door => "门磁",
            DeviceKind::WaterMeter => "水表",
            DeviceKind::ElectricityMeter => "电表",
            DeviceKind::Wearable => "智能手环",
        }
    }

    /// The position in [`DeviceKind::ALL`].
    pub(crate) fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for DeviceKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for DeviceKind {
    type Err = GuardianError;

    fn from_str(s: &str) -> Result<DeviceKind, GuardianError> {
        DeviceKind::ALL.into_iter().find(|k| k.code() == s).ok_or_else(|| GuardianError::UnknownDeviceKind { code: s.chars().take(64).collect() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::Describe;

    #[test]
    fn codes_round_trip() {
        for k in DeviceKind::ALL {
            assert_eq!(k.code().parse::<DeviceKind>(), Ok(k));
            assert_eq!(serde_json::to_string(&k).ok(), Some(format!("\"{}\"", k.code())));
            assert_eq!(DeviceKind::ALL[k.index()], k);
        }
        let e = "toaster".parse::<DeviceKind>().err();
        assert_eq!(e.map(|e| e.code()), Some("unknown_device_kind"));
    }
}
