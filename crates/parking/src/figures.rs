//! The parking cockpit's figures, pure functions over plain inputs: visitor-bay occupancy by local
//! hour of day per lot and summed over lots (from history samples), and guidance requests
//! (searches) and guided arrivals counted by hour.

use chrono::DateTime;
use chrono::Timelike;
use chrono::Utc;
use serde::Serialize;

use crate::lot::BayType;
use crate::lot::Lot;
use crate::lot::LotId;
use crate::lot::local;
use crate::reading::Sample;

/// Mean visitor-bay occupancy of one lot by local hour of day (0–23).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LotHours {
    /// The lot.
    pub lot: LotId,
    /// Its visitor bays.
    pub capacity: u32,
    /// Mean occupied visitor bays per hour; `None` for an hour without a sample.
    pub occupied: [Option<f64>; 24],
    /// The same as a share of the visitor bays (0–1).
    pub rate: [Option<f64>; 24],
}

/// Occupancy by hour for every lot and for all of them together.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OccupancyByHour {
    /// Per lot, in the order given.
    pub lots: Vec<LotHours>,
    /// Mean occupied visitor bays per hour, summed over the lots with a sample in that hour.
    pub occupied: [Option<f64>; 24],
    /// That sum as a share of those lots' visitor bays.
    pub rate: [Option<f64>; 24],
}

/// Occupancy by local hour of day from each lot's samples (e.g. a day's history). A sample that
/// does not say how many visitor bays are occupied is left out.
pub fn occupancy_by_hour(lots: &[(&Lot, &[Sample])]) -> OccupancyByHour {
    let mut sum_occ = [0.0f64; 24];
    let mut sum_cap = [0u64; 24];
    let mut seen = [false; 24];
    let per_lot = lots
        .iter()
        .map(|(lot, samples)| {
            let mut total = [0u64; 24];
            let mut count = [0u32; 24];
            for s in samples.iter() {
                if let Some(o) = s.occupied(BayType::Visitor) {
                    let h = local(s.at).hour() as usize;
                    total[h] += u64::from(o);
                    count[h] += 1;
                }
            }
            let cap = lot.capacity.visitor;
            let occupied: [Option<f64>; 24] = std::array::from_fn(|h| (count[h] > 0).then(|| total[h] as f64 / f64::from(count[h])));
            let rate = occupied.map(|o| o.filter(|_| cap > 0).map(|o| o / f64::from(cap)));
            for h in 0..24 {
                if let Some(o) = occupied[h] {
                    sum_occ[h] += o;
                    sum_cap[h] += u64::from(cap);
                    seen[h] = true;
                }
            }
            LotHours { lot: lot.id.clone(), capacity: cap, occupied, rate }
        })
        .collect();
    let occupied: [Option<f64>; 24] = std::array::from_fn(|h| seen[h].then_some(sum_occ[h]));
    let rate: [Option<f64>; 24] = std::array::from_fn(|h| (seen[h] && sum_cap[h] > 0).then(|| sum_occ[h] / sum_cap[h] as f64));
    OccupancyByHour { lots: per_lot, occupied, rate }
}

/// How many of the times fall in each local hour of day.
pub fn count_by_hour(times: &[DateTime<Utc>]) -> [u32; 24] {
    let mut out = [0u32; 24];
    for t in times {
        out[local(*t).hour() as usize] += 1;
    }
    out
}

/// Guidance requests and guided arrivals by hour.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GuidanceByHour {
    /// Guidance requests (searches, sign QR scans) per local hour.
    pub searches: [u32; 24],
    /// Arrivals at a lot the driver was guided to, per local hour.
    pub arrivals: [u32; 24],
    /// All searches.
    pub total_searches: u32,
    /// All guided arrivals.
    pub total_arrivals: u32,
    /// Guided arrivals per search (`None` without searches).
    pub conversion: Option<f64>,
}

/// The guidance figures from the times of searches and of guided arrivals.
pub fn guidance_by_hour(searches: &[DateTime<Utc>], arrivals: &[DateTime<Utc>]) -> GuidanceByHour {
    let s = count_by_hour(searches);
    let a = count_by_hour(arrivals);
    let (ts, ta) = (s.iter().sum::<u32>(), a.iter().sum::<u32>());
    GuidanceByHour { searches: s, arrivals: a, total_searches: ts, total_arrivals: ta, conversion: (ts > 0).then(|| f64::from(ta) / f64::from(ts)) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lot::tests::lot;
    use chrono::TimeDelta;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).expect("time").with_timezone(&Utc)
    }

    #[test]
    fn occupancy_by_local_hour_per_lot_and_summed() {
        let (a, b) = (lot("a"), lot("b"));
        // 01:00Z and 01:30Z are 09:00 and 09:30 in China.
        let s = |at: &str, v: Option<u32>| Sample { at: t(at), occupied: [v, None, None, None] };
        let sa = [s("2026-12-07T01:00:00Z", Some(50)), s("2026-12-07T01:30:00Z", Some(70)), s("2026-12-07T02:00:00Z", Some(100)), s("2026-12-07T02:10:00Z", None)];
        let sb = [s("2026-12-07T01:15:00Z", Some(20))];
        let f = occupancy_by_hour(&[(&a, &sa), (&b, &sb)]);
        assert_eq!(f.lots[0].occupied[9], Some(60.0));
        assert_eq!(f.lots[0].rate[10], Some(1.0));
        assert_eq!(f.lots[1].occupied[10], None);
        assert_eq!(f.occupied[9], Some(80.0));
        assert_eq!(f.rate[9], Some(0.4));
        assert_eq!(f.occupied[10], Some(100.0));
        assert_eq!(f.rate[10], Some(1.0), "only lot a has a sample at 10:00");
        assert_eq!(f.occupied[3], None);
    }

    #[test]
    fn searches_and_arrivals_by_hour() {
        let base = t("2026-12-07T00:10:00Z"); // 08:10 local
        let searches: Vec<_> = (0..4).map(|i| base + TimeDelta::minutes(i * 20)).collect();
        let arrivals = [base + TimeDelta::minutes(15)];
        let g = guidance_by_hour(&searches, &arrivals);
        assert_eq!((g.searches[8], g.searches[9], g.arrivals[8]), (3, 1, 1));
        assert_eq!((g.total_searches, g.total_arrivals, g.conversion), (4, 1, Some(0.25)));
        assert_eq!(guidance_by_hour(&[], &[]).conversion, None);
    }
}
