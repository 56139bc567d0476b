//! Guidance: car parks ranked for a target (a hospital entrance or any point) by total time —
//! driving to the lot plus walking from its entrance to the target — among those with room; the
//! others follow with the reason. Expected free bays at arrival are interpolated between the count
//! now and the [`crate::forecast`]; a lot expected to have fewer than [`MARGIN`] left drops below
//! every lot with room ("avoid sending everyone to the last few spaces"). Deterministic, one sort,
//! no allocation besides the answer (and none with [`rank_into`] and a reused buffer).

use std::cmp::Reverse;

use serde::Serialize;

use crate::forecast::Forecast;
use crate::forecast::HORIZON;
use crate::live::LiveState;
use crate::live::Status;
use crate::lot::Needs;
use crate::lot::Point;

/// Fewer free bays than this expected at arrival and a lot drops below the lots with room.
pub const MARGIN: u32 = 2;

/// Walking speed of a hospital visitor (m/s): slower than the 1.33 m/s of the circles norms.
pub const WALK_SPEED_MS: f64 = 1.1;

/// A straight line is this much shorter than the way along the streets (walking or driving).
pub const DETOUR: f64 = 1.3;

/// Urban driving speed (m/s, 25 km/h) for the straight-line fallback when no route is known.
pub const DRIVE_SPEED_MS: f64 = 25.0 / 3.6;

/// How a driving time was measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Measured {
    /// On the road network (the circles driving graph).
    RoadNetwork,
    /// From the straight-line distance ([`straight_line_drive_s`]).
    StraightLine,
}

impl Measured {
    /// The code: `road_network` or `straight_line`.
    pub fn code(self) -> &'static str {
        match self {
            Measured::RoadNetwork => "road_network",
            Measured::StraightLine => "straight_line",
        }
    }
}

/// Walking seconds between two points from the straight line (× [`DETOUR`], at [`WALK_SPEED_MS`]).
pub fn straight_line_walk_s(from: &Point, to: &Point) -> f64 {
    from.distance_m(to) * DETOUR / WALK_SPEED_MS
}

/// Driving seconds between two points from the straight line (× [`DETOUR`], at [`DRIVE_SPEED_MS`]).
pub fn straight_line_drive_s(from: &Point, to: &Point) -> f64 {
    from.distance_m(to) * DETOUR / DRIVE_SPEED_MS
}

/// One lot to rank: everything the ranking needs, as plain values.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Candidate {
    /// The caller's index of the lot (handed back in [`Ranked::index`]).
    pub index: usize,
    /// Driving seconds from the driver to the lot; `None` when no route is known.
    pub drive_s: Option<f64>,
    /// How `drive_s` was measured.
    pub measured: Measured,
    /// Walking seconds from the lot's entrance to the target.
    pub walk_s: f64,
    /// The lot's status now.
    pub status: Status,
    /// Free bays now that count for the driver (never staff bays); `None` when unknown.
    pub free_now: Option<u32>,
    /// Free bays expected in [`HORIZON`]; `None` when unknown.
    pub free_forecast: Option<u32>,
}

impl Candidate {
    /// A candidate from a lot's live state and forecast (for the same needs).
    pub fn new(index: usize, live: &LiveState, forecast: &Forecast, needs: Needs, drive_s: Option<f64>, measured: Measured, walk_s: f64) -> Candidate {
        Candidate { index, drive_s, measured, walk_s, status: live.status, free_now: live.free_for(needs), free_forecast: forecast.free }
    }
}

/// Where a lot stands in the answer, best first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Room expected at arrival (at least [`MARGIN`] free bays).
    Room,
    /// A bay free now, but fewer than [`MARGIN`] expected at arrival: listed after every lot with room.
    NearlyFull,
    /// No bay free for the driver.
    Full,
    /// No fresh reading: the feed is silent.
    Unknown,
    /// Closed now by its hours.
    Closed,
    /// No way to drive there is known.
    NoRoute,
}

impl Verdict {
    /// The verdict's code.
    pub fn code(self) -> &'static str {
        match self {
            Verdict::Room => "room",
            Verdict::NearlyFull => "nearly_full",
            Verdict::Full => "full",
            Verdict::Unknown => "unknown",
            Verdict::Closed => "closed",
            Verdict::NoRoute => "no_route",
        }
    }

    /// Whether a driver may be sent there.
    pub fn has_room(self) -> bool {
        matches!(self, Verdict::Room | Verdict::NearlyFull)
    }
}

/// A ranked lot.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Ranked {
    /// The caller's index of the lot.
    pub index: usize,
    /// Room, nearly full, or why it is listed after.
    pub verdict: Verdict,
    /// Driving plus walking seconds; `None` without a route.
    pub total_s: Option<f64>,
    /// Driving seconds.
    pub drive_s: Option<f64>,
    /// How the driving time was measured.
    pub measured: Measured,
    /// Walking seconds from the lot to the target.
    pub walk_s: f64,
    /// Free bays now (for the driver's needs).
    pub free_now: Option<u32>,
    /// Free bays expected when the driver arrives.
    pub free_at_arrival: Option<u32>,
}

/// Free bays expected after `drive_s`: the count now moved towards the forecast in proportion to
/// the share of the horizon the drive takes (the forecast itself for drives of the horizon or longer).
pub fn free_at_arrival(free_now: Option<u32>, free_forecast: Option<u32>, drive_s: f64) -> Option<u32> {
    let now = free_now?;
    let Some(fc) = free_forecast else { return Some(now) };
    let share = (drive_s / HORIZON.num_seconds() as f64).clamp(0.0, 1.0);
    let v = f64::from(now) + (f64::from(fc) - f64::from(now)) * share;
    Some(v.round().max(0.0) as u32)
}

fn judge(c: &Candidate) -> Ranked {
    let total_s = c.drive_s.map(|d| d + c.walk_s);
    let arrival = free_at_arrival(c.free_now, c.free_forecast, c.drive_s.unwrap_or(0.0));
    let verdict = match (c.drive_s, c.status, c.free_now) {
        (None, _, _) => Verdict::NoRoute,
        (_, Status::Closed, _) => Verdict::Closed,
        (_, Status::Unknown, _) | (_, _, None) => Verdict::Unknown,
        (_, _, Some(0)) => Verdict::Full,
        _ if arrival.is_some_and(|a| a >= MARGIN) => Verdict::Room,
        _ => Verdict::NearlyFull,
    };
    Ranked { index: c.index, verdict, total_s, drive_s: c.drive_s, measured: c.measured, walk_s: c.walk_s, free_now: c.free_now, free_at_arrival: arrival }
}

/// The sort key: verdict, then total time in whole seconds (walking time without a route), then
/// more free bays first, then the caller's order.
fn key(r: &Ranked) -> (Verdict, u64, Reverse<u32>, usize) {
    let t = r.total_s.unwrap_or(r.walk_s);
    let secs = if t.is_finite() && t >= 0.0 { t.round() as u64 } else { u64::MAX };
    (r.verdict, secs, Reverse(r.free_at_arrival.unwrap_or(0)), r.index)
}

/// Ranks candidates into `out` (cleared first; reuse it to rank without allocating).
pub fn rank_into(out: &mut Vec<Ranked>, candidates: &[Candidate]) {
    out.clear();
    out.extend(candidates.iter().map(judge));
    out.sort_unstable_by_key(key);
}

/// Ranks candidates: lots with room by total time first, the nearly full after them, then the
/// full, unknown, closed and unreachable ones, each with its verdict.
pub fn rank(candidates: &[Candidate]) -> Vec<Ranked> {
    let mut out = Vec::with_capacity(candidates.len());
    rank_into(&mut out, candidates);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::live::History;
    use crate::live::state;
    use crate::lot::tests::lot;
    use crate::reading::Sample;
    use chrono::DateTime;
    use chrono::Utc;

    fn c(index: usize, drive: f64, walk: f64, status: Status, now: u32, fc: u32) -> Candidate {
        let known = status != Status::Unknown && status != Status::Closed;
        Candidate {
            index,
            drive_s: Some(drive),
            measured: Measured::RoadNetwork,
            walk_s: walk,
            status,
            free_now: known.then_some(now),
            free_forecast: known.then_some(fc),
        }
    }

    #[test]
    fn ranked_by_driving_plus_walking_with_the_rest_after() {
        let cands = [
            c(0, 300.0, 400.0, Status::Open, 50, 50), // 700 s
            c(1, 200.0, 100.0, Status::Open, 50, 50), // 300 s: best
            c(2, 100.0, 60.0, Status::Full, 0, 0),    // fastest but full
            c(3, 120.0, 60.0, Status::Unknown, 0, 0), // silent feed
            c(4, 250.0, 250.0, Status::Open, 9, 9),   // 500 s
            c(5, 50.0, 50.0, Status::Closed, 0, 0),
            Candidate { drive_s: None, ..c(6, 0.0, 30.0, Status::Open, 80, 80) },
        ];
        let r = rank(&cands);
        let order: Vec<(usize, Verdict)> = r.iter().map(|x| (x.index, x.verdict)).collect();
        assert_eq!(
            order,
            [(1, Verdict::Room), (4, Verdict::Room), (0, Verdict::Room), (2, Verdict::Full), (3, Verdict::Unknown), (5, Verdict::Closed), (6, Verdict::NoRoute)]
        );
        assert_eq!(r[0].total_s, Some(300.0));
    }

    #[test]
    fn the_last_few_spaces_drop_below_lots_with_room_and_ties_go_to_more_space() {
        // The nearest lot has 3 free now but is expected to have none in 15 minutes; the drive
        // there takes 10 minutes, so 1 is expected at arrival: below the margin.
        let cands = [c(0, 600.0, 60.0, Status::Open, 3, 0), c(1, 900.0, 300.0, Status::Open, 40, 35)];
        let r = rank(&cands);
        assert_eq!((r[0].index, r[0].verdict), (1, Verdict::Room));
        assert_eq!((r[1].index, r[1].verdict, r[1].free_at_arrival), (0, Verdict::NearlyFull, Some(1)));
        // The same lot a minute's drive away: 3 now, still 3 at arrival: room.
        let r = rank(&[c(0, 60.0, 60.0, Status::Open, 3, 0), c(1, 900.0, 300.0, Status::Open, 40, 35)]);
        assert_eq!((r[0].index, r[0].verdict), (0, Verdict::Room));
        // A tie in total time: more free bays first.
        let r = rank(&[c(0, 300.0, 100.0, Status::Open, 10, 10), c(1, 200.0, 200.0, Status::Open, 30, 30)]);
        assert_eq!(r[0].index, 1);
    }

    #[test]
    fn staff_bays_are_never_counted() {
        // 100 visitor bays all taken, every staff bay free: full for a visitor.
        let l = lot("p1");
        let mut h = History::new();
        let now = DateTime::parse_from_rfc3339("2026-12-07T02:00:00Z").expect("t").with_timezone(&Utc);
        h.push(Sample { at: now, occupied: [Some(100), Some(0), Some(4), Some(0)] });
        let live = state(&l, &h, now);
        let f = crate::forecast::forecast(&l, &h, &live, Needs::default(), now);
        let r = rank(&[Candidate::new(0, &live, &f, Needs::default(), Some(60.0), Measured::RoadNetwork, 60.0)]);
        assert_eq!((r[0].verdict, r[0].free_now), (Verdict::Full, Some(0)));
        // An EV driver may use the 6 free charging bays.
        let needs = Needs { disabled: false, ev: true };
        let f = crate::forecast::forecast(&l, &h, &live, needs, now);
        let r = rank(&[Candidate::new(0, &live, &f, needs, Some(60.0), Measured::RoadNetwork, 60.0)]);
        assert_eq!((r[0].verdict, r[0].free_now), (Verdict::Room, Some(6)));
    }

    #[test]
    fn ranking_fifty_lots_is_fast() {
        let cands: Vec<Candidate> = (0..50)
            .map(|i| c(i, 100.0 + (i * 37 % 50) as f64 * 13.0, 50.0 + (i * 11 % 7) as f64 * 40.0, if i % 9 == 0 { Status::Full } else { Status::Open }, (i % 13) as u32, (i % 5) as u32))
            .collect();
        let mut out = Vec::with_capacity(64);
        let runs = 20_000u32;
        let start = std::time::Instant::now();
        for _ in 0..runs {
            rank_into(&mut out, std::hint::black_box(&cands));
        }
        let per = start.elapsed() / runs;
        assert_eq!(out.len(), 50);
        eprintln!("{per:?} per ranking of 50 lots");
        // Well under 10 µs in release; generous for a debug build on a busy machine.
        assert!(per.as_micros() < 200, "{per:?} per ranking");
    }

    proptest::proptest! {
        #[test]
        fn lots_with_room_come_first_sorted_by_total(
            lots in proptest::collection::vec((0.0f64..3000.0, 0.0f64..1200.0, 0u32..60, 0u32..60, 0u8..4), 0..40)
        ) {
            let cands: Vec<Candidate> = lots.iter().enumerate().map(|(i, &(d, w, n, f, s))| {
                let status = [Status::Open, Status::Full, Status::Unknown, Status::Closed][usize::from(s)];
                let n = if status == Status::Full { 0 } else { n };
                c(i, d, w, status, n, f)
            }).collect();
            let r = rank(&cands);
            proptest::prop_assert_eq!(r.len(), cands.len());
            for pair in r.windows(2) {
                proptest::prop_assert!(pair[0].verdict <= pair[1].verdict);
                if pair[0].verdict == pair[1].verdict {
                    proptest::prop_assert!(pair[0].total_s.unwrap_or(0.0).round() <= pair[1].total_s.unwrap_or(0.0).round());
                }
                if pair[1].verdict.has_room() {
                    proptest::prop_assert!(pair[0].verdict.has_room());
                }
            }
            for x in &r {
                if x.verdict.has_room() {
                    proptest::prop_assert!(x.free_now.unwrap_or(0) >= 1);
                }
            }
        }
    }
}
