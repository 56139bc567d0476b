//! The elderly safety guardian's figures for the leaders' cockpit, per town (乡镇/街道) and for the
//! district: elders guarded, devices online, and this month's measures from the same use case as
//! `GET /api/guardian/measures` (alarms by kind, the share closed within 10 minutes, the median time
//! to scene, coverage). Aggregates only: no elder is named (the cockpit's own guard decides who
//! sees it).

use std::collections::BTreeMap;
use std::collections::HashMap;
use chrono::DateTime;
use chrono::Utc;
use guardian::DeviceKind;
use guardian::Rules;
pub use guardian::TownMonth;
use serde::Serialize;
use crate::failure::Fallible;
use crate::state::AppState;
use super::alarms::measures_of;
use super::alarms::town_of;

/// A town's figures (or the district's, town `""`).
#[derive(Debug, Clone, Default, Serialize)]
pub struct TownFigures {
    /// The town's division code; `""` for the district.
    pub town: String,
    /// Elders under guard now.
    pub guarded: u32,
    /// Devices installed in their homes (not removed).
    pub devices: u32,
    /// Of which heard within their kind's offline limit (`data/guardian/rules.toml`).
    pub devices_online: u32,
    /// devices_online ÷ devices.
    pub online_share: Option<f64>,
    /// This month's measures (none: no alarm this month and nobody who qualifies).
    pub month: Option<TownMonth>,
}

/// What the cockpit shows of the guardian.
#[derive(Debug, Clone, Default, Serialize)]
pub struct CockpitFigures {
    /// The month measured, `YYYY-MM` (the current one, China time).
    pub month: String,
    pub district: TownFigures,
    /// Towns with elders guarded, elders who qualify or alarms this month, by code.
    pub towns: Vec<TownFigures>,
}

/// Whether a device counts as online at `now`: heard within its kind's offline limit.
pub fn online(kind: DeviceKind, last_seen: Option<DateTime<Utc>>, rules: &Rules, now: DateTime<Utc>) -> bool {
    last_seen.is_some_and(|t| now - t <= chrono::Duration::minutes(i64::from(rules.offline_minutes(kind))))
}

fn share(part: u32, whole: u32) -> Option<f64> {
    (whole > 0).then(|| f64::from(part) / f64::from(whole))
}

/// The figures now: this month's measures (the measures' use case) with the elders guarded and
/// the devices online per town.
pub async fn cockpit(state: &AppState) -> Fallible<CockpitFigures> {
    let now = state.now();
    let month = domain::Month::of(domain::china_date(now));
    let measures = measures_of(state, month).await?;
    let elders = state.store.guardian().guarded().await?;
    let devices = state.store.guardian().active_devices().await?;
    let seen: HashMap<String, DateTime<Utc>> = state.store.guardian().device_states().await?.into_iter().map(|s| (s.device, s.last_seen)).collect();
    let rules = Rules::embedded();
    let town_of_elder: HashMap<i64, String> = elders.iter().map(|e| (e.id, town_of(&e.division))).collect();
    let mut towns: BTreeMap<String, TownFigures> = BTreeMap::new();
    let slot = |code: &str| -> TownFigures { TownFigures { town: code.to_owned(), ..TownFigures::default() } };
    let mut district = slot("");
    for e in &elders {
        towns.entry(town_of(&e.division)).or_insert_with(|| slot(&town_of(&e.division))).guarded += 1;
        district.guarded += 1;
    }
    for d in &devices {
        // A device of an elder no longer guarded is not watched: left out.
        let Some(town) = town_of_elder.get(&d.elder) else { continue };
        let up = d.kind.parse::<DeviceKind>().is_ok_and(|k| online(k, seen.get(&d.id).copied(), &rules, now));
        let t = towns.entry(town.clone()).or_insert_with(|| slot(town));
        t.devices += 1;
        t.devices_online += u32::from(up);
        district.devices += 1;
        district.devices_online += u32::from(up);
    }
    for m in measures.towns {
        let code = m.town.clone();
        towns.entry(code.clone()).or_insert_with(|| slot(&code)).month = Some(m);
    }
    district.month = measures.district;
    let finish = |mut t: TownFigures| {
        t.online_share = share(t.devices_online, t.devices);
        t
    };
    Ok(CockpitFigures { month: month.to_string(), district: finish(district), towns: towns.into_values().map(finish).collect() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_device_is_online_within_its_kind_s_limit() {
        let rules = Rules::embedded();
        let now: DateTime<Utc> = "2026-03-02T01:00:00Z".parse().expect("time");
        let ago = |m: i64| Some(now - chrono::Duration::minutes(m));
        // A wearable may stay silent 30 minutes, a water meter 120 (rules.toml).
        assert_eq!(rules.offline_minutes(DeviceKind::Wearable), 30);
        assert!(online(DeviceKind::Wearable, ago(30), &rules, now));
        assert!(!online(DeviceKind::Wearable, ago(31), &rules, now));
        assert!(online(DeviceKind::WaterMeter, ago(120), &rules, now) && !online(DeviceKind::WaterMeter, ago(121), &rules, now));
        assert!(!online(DeviceKind::Presence, None, &rules, now), "never heard: offline");
        assert_eq!((share(1, 2), share(0, 0)), (Some(0.5), None));
    }
}
