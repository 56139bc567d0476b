//! A short-term forecast: free bays in [`HORIZON`] from the recent trend — the least-squares slope
//! of the free count over the readings of the last [`TREND_WINDOW`] (at least [`MIN_POINTS`] of
//! them, else the current value), carried forward from the newest reading and clamped to
//! `[0, capacity]`. An unknown lot has no forecast.

use chrono::DateTime;
use chrono::TimeDelta;
use chrono::Utc;
use serde::Serialize;

use crate::live::History;
use crate::live::LiveState;
use crate::live::Status;
use crate::lot::Lot;
use crate::lot::Needs;

/// How far ahead the forecast looks (issue 34: "free spaces in 15 minutes").
pub const HORIZON: TimeDelta = TimeDelta::minutes(15);

/// The readings the trend is fitted to: those of the last 25 minutes before the newest.
pub const TREND_WINDOW: TimeDelta = TimeDelta::minutes(25);

/// The fewest readings a trend is fitted to; with fewer the forecast is the current value.
pub const MIN_POINTS: usize = 3;

/// Free bays expected in [`HORIZON`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Forecast {
    /// Free bays expected (for the driver's needs); `None` when the lot is unknown or closed.
    pub free: Option<u32>,
    /// The fitted trend in bays per minute (negative: filling up); `None` without a fit.
    pub per_minute: Option<f64>,
    /// How many readings the trend was fitted to.
    pub points: usize,
}

impl Forecast {
    /// No forecast.
    pub const UNKNOWN: Forecast = Forecast { free: None, per_minute: None, points: 0 };
}

/// The forecast of a lot's free bays (those that count for `needs`) at `now + HORIZON`.
pub fn forecast(lot: &Lot, history: &History, live: &LiveState, needs: Needs, now: DateTime<Utc>) -> Forecast {
    if matches!(live.status, Status::Unknown | Status::Closed) {
        return Forecast::UNKNOWN;
    }
    let (Some(current), Some(latest)) = (live.free_for(needs), history.latest()) else {
        return Forecast::UNKNOWN;
    };
    let cap = f64::from(lot.capacity.for_needs(needs));
    let floor = latest.at - TREND_WINDOW;
    // Least squares over (minutes before the newest reading, free), one pass, no allocation.
    let (mut n, mut sx, mut sy, mut sxx, mut sxy) = (0usize, 0.0f64, 0.0f64, 0.0f64, 0.0f64);
    for s in history.samples().rev().take_while(|s| s.at >= floor) {
        let Some(y) = s.free_for(lot, needs) else { continue };
        let x = (s.at - latest.at).num_milliseconds() as f64 / 60_000.0;
        let y = f64::from(y);
        n += 1;
        sx += x;
        sy += y;
        sxx += x * x;
        sxy += x * y;
    }
    let nf = n as f64;
    let denom = nf * sxx - sx * sx;
    let slope = (n >= MIN_POINTS && denom.abs() > 1e-9).then(|| (nf * sxy - sx * sy) / denom);
    let Some(slope) = slope else {
        return Forecast { free: Some(current), per_minute: None, points: n };
    };
    let ahead = (now - latest.at + HORIZON).num_milliseconds().max(0) as f64 / 60_000.0;
    let expected = (f64::from(current) + slope * ahead).clamp(0.0, cap).round();
    Forecast { free: Some(expected as u32), per_minute: Some(slope), points: n }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::live::state;
    use crate::lot::tests::lot;
    use crate::reading::Sample;

    fn t0() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-12-07T02:00:00Z").expect("time").with_timezone(&Utc)
    }

    fn history(points: &[(i64, u32)]) -> History {
        let mut h = History::new();
        for &(min, occ) in points {
            h.push(Sample { at: t0() + TimeDelta::minutes(min), occupied: [Some(occ), None, None, None] });
        }
        h
    }

    #[test]
    fn a_falling_trend_forecasts_fewer_free_bays() {
        let l = lot("p1");
        // Free: 40, 35, 30, 25, 20 one every 5 minutes: −1 bay a minute.
        let h = history(&[(0, 60), (5, 65), (10, 70), (15, 75), (20, 80)]);
        let now = t0() + TimeDelta::minutes(20);
        let live = state(&l, &h, now);
        let f = forecast(&l, &h, &live, Needs::default(), now);
        assert_eq!(f.points, 5, "the 25-minute window holds all five");
        assert!((f.per_minute.expect("fit") + 1.0).abs() < 1e-9);
        assert_eq!(f.free, Some(5));
        // Two minutes later (no new reading) the horizon is two minutes further from the reading.
        let f = forecast(&l, &h, &state(&l, &h, now + TimeDelta::minutes(2)), Needs::default(), now + TimeDelta::minutes(2));
        assert_eq!(f.free, Some(3));
        // Falling faster than the bays left: clamped at zero.
        let h = history(&[(0, 60), (1, 80), (2, 95)]);
        let now = t0() + TimeDelta::minutes(2);
        assert_eq!(forecast(&l, &h, &state(&l, &h, now), Needs::default(), now).free, Some(0));
        // Rising: clamped at capacity.
        let h = history(&[(0, 90), (1, 50), (2, 10)]);
        assert_eq!(forecast(&l, &h, &state(&l, &h, now), Needs::default(), now).free, Some(100));
    }

    #[test]
    fn too_few_points_give_the_current_value_and_unknown_gives_none() {
        let l = lot("p1");
        let h = history(&[(0, 60), (1, 70)]);
        let now = t0() + TimeDelta::minutes(1);
        let f = forecast(&l, &h, &state(&l, &h, now), Needs::default(), now);
        assert_eq!((f.free, f.per_minute, f.points), (Some(30), None, 2));
        // Old readings outside the window do not count.
        let h = history(&[(0, 0), (1, 0), (40, 70), (41, 70)]);
        let now = t0() + TimeDelta::minutes(41);
        assert_eq!(forecast(&l, &h, &state(&l, &h, now), Needs::default(), now).points, 2);
        let later = now + TimeDelta::minutes(5);
        assert_eq!(forecast(&l, &h, &state(&l, &h, later), Needs::default(), later), Forecast::UNKNOWN);
    }

    proptest::proptest! {
        #[test]
        fn a_forecast_stays_within_the_bays(occupied in proptest::collection::vec(0u32..=100, 1..40), step_s in 5i64..120) {
            let l = lot("p1");
            let mut h = History::new();
            for (i, &o) in occupied.iter().enumerate() {
                h.push(Sample { at: t0() + TimeDelta::seconds(step_s * i as i64), occupied: [Some(o), None, None, None] });
            }
            let now = h.last_at().expect("a reading");
            let f = forecast(&l, &h, &state(&l, &h, now), Needs::default(), now);
            let free = f.free.expect("fresh");
            proptest::prop_assert!(free <= 100);
            proptest::prop_assert_eq!(f.per_minute.is_some(), f.points >= MIN_POINTS);
        }
    }
}
