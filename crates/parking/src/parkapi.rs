//! The ParkAPI v3 shape of our car parks, so existing parking apps can read them: one
//! [`ParkingSite`] per lot (the static fields of parkapi-sources' `StaticParkingSiteInput` and the
//! realtime ones of its `RealtimeParkingSiteInput`, in one object) in a list `{"items": [...]}`.
//!
//! Only public bays are published: `capacity` is visitor + disabled + EV bays (staff bays never
//! appear), `capacity_disabled` and `capacity_charging` are those parts. A lot with a fresh reading
//! reports `realtime_free_capacity`; a stale or never-read lot reports `realtime_opening_status`
//! `UNKNOWN` and no free count at all (never a free count from an old reading). Coordinates are
//! decimal strings with 7 places (ParkAPI's JSON schema; parkapi-sources reads them as decimals);
//! times are UTC RFC 3339 without fractions. Fields without a value are left out, not `null`
//! (parkapi-sources rejects `null` for some, e.g. `operator_name`).

use chrono::DateTime;
use chrono::SecondsFormat;
use chrono::Utc;
use serde::Serialize;

use crate::live::LiveState;
use crate::live::Status;
use crate::lot::BayType;
use crate::lot::Lot;
use crate::lot::Structure;

/// One parking site in ParkAPI v3's shape.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ParkingSite {
    /// The lot's id.
    pub uid: String,
    /// The lot's name.
    pub name: String,
    /// Always `CAR`.
    pub purpose: &'static str,
    /// `CAR_PARK`, `OFF_STREET_PARKING_GROUND`, `UNDERGROUND` or `ON_STREET`.
    #[serde(rename = "type")]
    pub site_type: &'static str,
    /// The street address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// Who runs it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operator_name: Option<String>,
    /// The lot's public page (the caller's URL), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub public_url: Option<String>,
    /// Whether the lot has a live feed.
    pub has_realtime_data: bool,
    /// When the lot's static data last changed.
    pub static_data_updated_at: String,
    /// Latitude, a decimal string.
    pub lat: String,
    /// Longitude, a decimal string.
    pub lon: String,
    /// Public bays (visitor + disabled + EV).
    pub capacity: u32,
    /// Disabled bays.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capacity_disabled: Option<u32>,
    /// EV charging bays.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capacity_charging: Option<u32>,
    /// OSM `opening_hours`.
    pub opening_hours: String,
    /// Whether parking costs anything.
    pub has_fee: bool,
    /// The fees in words.
    pub fee_description: String,
    /// When the latest reading was taken (absent before the first).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub realtime_data_updated_at: Option<String>,
    /// `OPEN`, `CLOSED` or `UNKNOWN` (absent before the first reading).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub realtime_opening_status: Option<&'static str>,
    /// Free public bays, only from a fresh reading.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub realtime_free_capacity: Option<u32>,
    /// Free disabled bays, only from a fresh reading that said.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub realtime_free_capacity_disabled: Option<u32>,
    /// Free EV bays, only from a fresh reading that said.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub realtime_free_capacity_charging: Option<u32>,
}

/// A list of parking sites: `{"items": [...]}`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ParkingSiteList {
    /// The sites.
    pub items: Vec<ParkingSite>,
}

/// ParkAPI's `type` of a lot's structure.
pub fn site_type(s: Structure) -> &'static str {
    match s {
        Structure::Surface => "OFF_STREET_PARKING_GROUND",
        Structure::MultiStorey => "CAR_PARK",
        Structure::Underground => "UNDERGROUND",
        Structure::Street => "ON_STREET",
    }
}

fn time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// A lot in ParkAPI's shape. `live` is its state now (from [`crate::live::state`]);
/// `static_updated_at` when its static data last changed; `public_url` its page, if any.
pub fn site(lot: &Lot, live: &LiveState, static_updated_at: DateTime<Utc>, public_url: Option<String>) -> ParkingSite {
    let cap = &lot.capacity;
    let nonzero = |n: u32| (n > 0).then_some(n);
    let fresh = live.is_fresh() && live.status != Status::Closed;
    let status = live.updated_at.map(|_| match live.status {
        Status::Open | Status::Full => "OPEN",
        Status::Closed => "CLOSED",
        Status::Unknown => "UNKNOWN",
    });
    let free_of = |b: BayType| if fresh && cap.of(b) > 0 { live.free_of(b) } else { None };
    let free_public = fresh.then(|| [BayType::Visitor, BayType::Disabled, BayType::Ev].iter().map(|b| live.free_of(*b).unwrap_or(0)).sum());
    ParkingSite {
        uid: lot.id.to_string(),
        name: lot.name.clone(),
        purpose: "CAR",
        site_type: site_type(lot.structure),
        address: lot.address.clone().filter(|a| !a.is_empty()),
        operator_name: lot.operator.clone().filter(|a| !a.is_empty()),
        public_url,
        has_realtime_data: true,
        static_data_updated_at: time(static_updated_at),
        lat: format!("{:.7}", lot.location.lat),
        lon: format!("{:.7}", lot.location.lon),
        capacity: cap.public(),
        capacity_disabled: nonzero(cap.disabled),
        capacity_charging: nonzero(cap.ev),
        opening_hours: lot.hours.to_osm(),
        has_fee: lot.fees.has_fee(),
        fee_description: lot.fees.describe_zh(),
        realtime_data_updated_at: live.updated_at.map(time),
        realtime_opening_status: status,
        realtime_free_capacity: free_public,
        realtime_free_capacity_disabled: free_of(BayType::Disabled),
        realtime_free_capacity_charging: free_of(BayType::Ev),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::live::History;
    use crate::live::state;
    use crate::lot::tests::lot;
    use crate::reading::Sample;
    use chrono::TimeDelta;

    fn t0() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-12-07T02:00:00Z").expect("time").with_timezone(&Utc)
    }

    fn sites() -> ParkingSiteList {
        let l = lot("p1");
        let mut h = History::new();
        let fresh_list = {
            h.push(Sample { at: t0(), occupied: [Some(90), Some(0), Some(1), None] });
            site(&l, &state(&l, &h, t0() + TimeDelta::minutes(1)), t0(), Some("https://example.org/parking/p1".into()))
        };
        let stale = site(&l, &state(&l, &h, t0() + TimeDelta::minutes(5)), t0(), None);
        let never = site(&lot("p2"), &state(&lot("p2"), &History::new(), t0()), t0(), None);
        ParkingSiteList { items: vec![fresh_list, stale, never] }
    }

    #[test]
    fn the_json_has_parkapi_field_names_and_a_stale_lot_reports_no_free_count() {
        let v = serde_json::to_value(sites()).expect("json");
        let fresh = &v["items"][0];
        let keys: Vec<&str> = fresh.as_object().expect("object").keys().map(String::as_str).collect();
        assert_eq!(
            keys,
            [
                "capacity", "capacity_charging", "capacity_disabled", "fee_description", "has_fee", "has_realtime_data", "lat", "lon", "name", "opening_hours", "public_url", "purpose",
                "realtime_data_updated_at", "realtime_free_capacity", "realtime_free_capacity_disabled", "realtime_opening_status", "static_data_updated_at", "type", "uid"
            ]
        );
        assert_eq!(fresh["type"], "UNDERGROUND");
        assert_eq!(fresh["purpose"], "CAR");
        assert_eq!(fresh["lat"], "30.0500000");
        assert_eq!(fresh["lon"], "119.9500000");
        assert_eq!(fresh["capacity"], 110, "100 visitor + 4 disabled + 6 EV; the 40 staff bays are not published");
        assert_eq!(fresh["realtime_free_capacity"], 10 + 3, "EV not reported: counted as none free");
        assert_eq!(fresh["realtime_free_capacity_disabled"], 3);
        assert_eq!(fresh["realtime_opening_status"], "OPEN");
        assert_eq!(fresh["realtime_data_updated_at"], "2026-12-07T02:00:00Z");
        assert_eq!(fresh["opening_hours"], "24/7");
        let stale = &v["items"][1];
        assert_eq!(stale["realtime_opening_status"], "UNKNOWN");
        assert!(stale.get("realtime_free_capacity").is_none());
        assert!(stale.get("realtime_free_capacity_disabled").is_none());
        let never = &v["items"][2];
        assert!(never.get("realtime_data_updated_at").is_none() && never.get("realtime_opening_status").is_none());
        assert!(never.get("operator_name").is_none(), "absent, never null");
    }
}
