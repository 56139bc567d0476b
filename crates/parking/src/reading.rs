//! Occupancy readings from an operator's feed (MQTT or HTTP alike): the raw reading as sent, and
//! [`check`], which turns it into a checked [`Occupancy`] or says clearly why it was rejected —
//! an unknown lot or bay type, occupancy above capacity or negative, a time not after the lot's
//! last reading (out of order or replayed) or too far in the future.

use std::collections::BTreeMap;

use chrono::DateTime;
use chrono::SecondsFormat;
use chrono::TimeDelta;
use chrono::Utc;
use serde::Deserialize;
use serde::Serialize;

use crate::error::ParkingError;
use crate::lot::BayType;
use crate::lot::Lot;
use crate::lot::LotId;
use crate::lot::Needs;

/// How far ahead of the server's clock a reading's time may be (device clocks drift).
pub const MAX_AHEAD: TimeDelta = TimeDelta::minutes(2);

/// One bay type's count in a raw reading: either how many are occupied or how many are free.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RawCount {
    /// Occupied bays.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub occupied: Option<i64>,
    /// Free bays.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub free: Option<i64>,
}

/// A reading as an operator sends it:
/// `{"lot": "fy-first-p1", "at": "2026-12-07T08:00:00Z", "bays": {"visitor": {"occupied": 120}, "ev": {"free": 2}}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RawReading {
    /// The lot's id as sent.
    pub lot: String,
    /// When the counts were taken.
    pub at: DateTime<Utc>,
    /// Counts by bay type code.
    pub bays: BTreeMap<String, RawCount>,
}

/// A checked reading: occupied bays per type (`None` where the reading did not say).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sample {
    /// When the counts were taken.
    pub at: DateTime<Utc>,
    /// Occupied bays, indexed by [`BayType::index`].
    pub occupied: [Option<u32>; 4],
}

impl Sample {
    /// Occupied bays of one type, if the reading said.
    pub fn occupied(&self, bay: BayType) -> Option<u32> {
        self.occupied[bay.index()]
    }

    /// Free bays of one type, if the reading said.
    pub fn free(&self, lot: &Lot, bay: BayType) -> Option<u32> {
        self.occupied(bay).map(|o| lot.capacity.of(bay).saturating_sub(o))
    }

    /// Free bays that count for a driver with these needs: `None` unless the reading said how
    /// many visitor bays are free (a bay type it did not report counts as none free).
    pub fn free_for(&self, lot: &Lot, needs: Needs) -> Option<u32> {
        let visitor = self.free(lot, BayType::Visitor)?;
        let extra: u32 = [BayType::Disabled, BayType::Ev]
            .into_iter()
            .filter(|b| needs.counts(*b))
            .map(|b| self.free(lot, b).unwrap_or(0))
            .sum();
        Some(visitor + extra)
    }
}

/// A checked reading of a lot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Occupancy<'a> {
    /// The lot.
    pub lot: &'a LotId,
    /// The counts.
    pub sample: Sample,
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Checks a reading against its lot (`None` when no lot has the reading's id) and the time of the
/// lot's last accepted reading. Every count is checked before anything is returned; on an error
/// nothing is to be changed.
pub fn check<'a>(lot: Option<&'a Lot>, last: Option<DateTime<Utc>>, reading: &RawReading, now: DateTime<Utc>) -> Result<Occupancy<'a>, ParkingError> {
    let Some(lot) = lot.filter(|l| l.id.as_str() == reading.lot) else {
        return Err(ParkingError::NotFound { what: "lot", id: reading.lot.clone() });
    };
    if reading.at > now + MAX_AHEAD {
        return Err(ParkingError::InFuture { at: rfc3339(reading.at), now: rfc3339(now), limit_s: MAX_AHEAD.num_seconds() });
    }
    if let Some(last) = last
        && reading.at <= last
    {
        return Err(ParkingError::OutOfOrder { at: rfc3339(reading.at), last: rfc3339(last) });
    }
    if reading.bays.is_empty() {
        return Err(ParkingError::invalid("bays", "没有任何车位类型的数据", "the reading has no counts"));
    }
    let mut occupied = [None; 4];
    for (code, count) in &reading.bays {
        let Some(bay) = BayType::parse(code) else {
            return Err(ParkingError::UnknownBayType { bay: code.clone() });
        };
        let capacity = lot.capacity.of(bay);
        let occ = match (count.occupied, count.free) {
            (Some(o), None) => o,
            (None, Some(f)) => i64::from(capacity) - f,
            (Some(_), Some(_)) | (None, None) => {
                return Err(ParkingError::invalid(
                    format!("bays.{code}"),
                    "须且只须给出已占用数（occupied）或空位数（free）之一",
                    "give exactly one of occupied and free",
                ));
            }
        };
        if occ < 0 {
            return Err(ParkingError::Negative { bay: bay.code(), occupied: occ });
        }
        if occ > i64::from(capacity) {
            return Err(ParkingError::AboveCapacity { bay: bay.code(), occupied: occ, capacity });
        }
        occupied[bay.index()] = u32::try_from(occ).ok();
    }
    Ok(Occupancy { lot: &lot.id, sample: Sample { at: reading.at, occupied } })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lot::tests::lot;
    use domain::Describe;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).expect("time").with_timezone(&Utc)
    }

    fn reading(lot: &str, at: &str, bays: &[(&str, Option<i64>, Option<i64>)]) -> RawReading {
        RawReading {
            lot: lot.into(),
            at: t(at),
            bays: bays.iter().map(|(b, o, f)| ((*b).to_owned(), RawCount { occupied: *o, free: *f })).collect(),
        }
    }

    #[test]
    fn a_good_reading_is_taken_by_occupied_or_free() {
        let l = lot("p1");
        let now = t("2026-12-07T08:00:00Z");
        let r = reading("p1", "2026-12-07T07:59:30Z", &[("visitor", Some(90), None), ("staff", None, Some(0)), ("ev", None, Some(6))]);
        let o = check(Some(&l), Some(t("2026-12-07T07:59:00Z")), &r, now).expect("good");
        assert_eq!(o.sample.occupied, [Some(90), Some(40), None, Some(0)]);
        assert_eq!(o.sample.free(&l, BayType::Visitor), Some(10));
        assert_eq!(o.sample.free_for(&l, Needs { disabled: true, ev: true }), Some(16));
        let json: RawReading = serde_json::from_str(r#"{"lot":"p1","at":"2026-12-07T07:59:30Z","bays":{"visitor":{"occupied":90}}}"#).expect("json");
        assert!(check(Some(&l), None, &json, now).is_ok());
    }

    #[test]
    fn bad_readings_are_rejected_with_clear_errors() {
        let l = lot("p1");
        let now = t("2026-12-07T08:00:00Z");
        let last = Some(t("2026-12-07T07:58:00Z"));
        let at = "2026-12-07T07:59:00Z";
        let code = |lot: Option<&Lot>, last, r: &RawReading| check(lot, last, r, now).expect_err("rejected").code();
        assert_eq!(code(Some(&l), last, &reading("p1", at, &[("visitor", Some(101), None)])), "occupancy_above_capacity");
        assert_eq!(code(Some(&l), last, &reading("p1", at, &[("visitor", None, Some(-1))])), "occupancy_above_capacity");
        assert_eq!(code(Some(&l), last, &reading("p1", at, &[("visitor", Some(-1), None)])), "occupancy_negative");
        assert_eq!(code(Some(&l), last, &reading("p1", at, &[("visitor", None, Some(101))])), "occupancy_negative");
        assert_eq!(code(Some(&l), last, &reading("p1", at, &[("vip", Some(1), None)])), "unknown_bay_type");
        assert_eq!(code(None, last, &reading("p9", at, &[("visitor", Some(1), None)])), "parking_lot_not_found");
        assert_eq!(code(Some(&l), last, &reading("p9", at, &[("visitor", Some(1), None)])), "parking_lot_not_found");
        assert_eq!(code(Some(&l), last, &reading("p1", "2026-12-07T07:58:00Z", &[("visitor", Some(1), None)])), "reading_out_of_order");
        assert_eq!(code(Some(&l), last, &reading("p1", "2026-12-07T07:57:00Z", &[("visitor", Some(1), None)])), "reading_out_of_order");
        assert_eq!(code(Some(&l), last, &reading("p1", "2026-12-07T08:02:01Z", &[("visitor", Some(1), None)])), "reading_in_future");
        assert!(check(Some(&l), last, &reading("p1", "2026-12-07T08:02:00Z", &[("visitor", Some(1), None)]), now).is_ok());
        assert_eq!(code(Some(&l), last, &reading("p1", at, &[])), "invalid_parking_input");
        assert_eq!(code(Some(&l), last, &reading("p1", at, &[("visitor", Some(1), Some(99))])), "invalid_parking_input");
        // A lot with no disabled bays cannot have one occupied.
        let mut l2 = lot("p1");
        l2.capacity.disabled = 0;
        let e = check(Some(&l2), last, &reading("p1", at, &[("visitor", Some(1), None), ("disabled", Some(1), None)]), now).expect_err("no bays");
        assert_eq!(e.field().as_deref(), Some("bays.disabled"));
    }

    proptest::proptest! {
        #[test]
        fn whatever_is_accepted_fits_the_capacity(occ in -50i64..200, free in -50i64..200, use_free in proptest::bool::ANY) {
            let l = lot("p1");
            let now = t("2026-12-07T08:00:00Z");
            let c = if use_free { (None, Some(free)) } else { (Some(occ), None) };
            let r = reading("p1", "2026-12-07T07:59:00Z", &[("visitor", c.0, c.1)]);
            match check(Some(&l), None, &r, now) {
                Ok(o) => {
                    let v = o.sample.occupied(BayType::Visitor).expect("said");
                    proptest::prop_assert!(v <= 100);
                }
                Err(e) => {
                    let expected = matches!(e, ParkingError::AboveCapacity { .. } | ParkingError::Negative { .. });
                    proptest::prop_assert!(expected, "{:?}", e);
                }
            }
        }
    }
}
