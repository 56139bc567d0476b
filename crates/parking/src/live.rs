//! The live state of a lot from its latest reading: free bays by type and a [`Status`] — open,
//! closed (by its hours), full or unknown. A feed silent for [`STALE_AFTER`] turns the lot to
//! unknown, never to free; a lot with no reading yet is unknown. [`History`] keeps a lot's recent
//! readings (the last [`HISTORY_WINDOW`], at most [`HISTORY_MAX`] of them) in memory.

use std::collections::VecDeque;

use chrono::DateTime;
use chrono::TimeDelta;
use chrono::Utc;
use serde::Serialize;

use crate::lot::BayType;
use crate::lot::Lot;
use crate::lot::Needs;
use crate::reading::Sample;

/// A lot whose latest reading is this old or older is unknown (issue 34: "a feed silent for 5
/// minutes turns the lot to unknown, never to free").
pub const STALE_AFTER: TimeDelta = TimeDelta::minutes(5);

/// How far back a lot's history reaches, counted from its newest reading.
pub const HISTORY_WINDOW: TimeDelta = TimeDelta::minutes(60);

/// The most readings a lot's history holds (a reading every 5 s for the whole window).
pub const HISTORY_MAX: usize = 720;

/// A lot's recent readings, oldest first, within [`HISTORY_WINDOW`] of the newest.
#[derive(Debug, Clone, Default)]
pub struct History {
    samples: VecDeque<Sample>,
}

impl History {
    /// An empty history.
    pub fn new() -> History {
        History::default()
    }

    /// Adds a checked reading (its time must be after the last one's: [`crate::reading::check`]
    /// makes sure) and drops what fell out of the window. A reading not after the newest is
    /// ignored.
    pub fn push(&mut self, sample: Sample) {
        if self.last_at().is_some_and(|last| sample.at <= last) {
            return;
        }
        self.samples.push_back(sample);
        let floor = sample.at - HISTORY_WINDOW;
        while self.samples.front().is_some_and(|s| s.at < floor) || self.samples.len() > HISTORY_MAX {
            self.samples.pop_front();
        }
    }

    /// The newest reading.
    pub fn latest(&self) -> Option<&Sample> {
        self.samples.back()
    }

    /// The time of the newest reading.
    pub fn last_at(&self) -> Option<DateTime<Utc>> {
        self.latest().map(|s| s.at)
    }

    /// The readings, oldest first.
    pub fn samples(&self) -> impl DoubleEndedIterator<Item = &Sample> + ExactSizeIterator {
        self.samples.iter()
    }

    /// How many readings it holds.
    pub fn len(&self) -> usize {
        self.samples.len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.samples.is_empty()
    }
}

/// What a lot's state is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Open with free visitor bays.
    Open,
    /// Closed now by its opening hours.
    Closed,
    /// Open, and no visitor bay free.
    Full,
    /// No fresh reading: the feed is silent or has never spoken.
    Unknown,
}

impl Status {
    /// The status's code.
    pub fn code(self) -> &'static str {
        match self {
            Status::Open => "open",
            Status::Closed => "closed",
            Status::Full => "full",
            Status::Unknown => "unknown",
        }
    }
}

/// A lot's live state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct LiveState {
    /// Open, closed, full or unknown.
    pub status: Status,
    /// Free bays by type ([`BayType::index`]); all `None` unless the latest reading is fresh.
    /// Staff bays are kept for the operator's view and counted by nothing else.
    pub free: [Option<u32>; 4],
    /// When the latest reading was taken (fresh or not).
    pub updated_at: Option<DateTime<Utc>>,
}

impl LiveState {
    /// Free bays of one type (`None` when unknown).
    pub fn free_of(&self, bay: BayType) -> Option<u32> {
        self.free[bay.index()]
    }

    /// Free bays that count for a driver with these needs (visitor bays, plus disabled and EV
    /// bays when asked for; never staff bays); `None` when unknown.
    pub fn free_for(&self, needs: Needs) -> Option<u32> {
        let visitor = self.free_of(BayType::Visitor)?;
        let extra: u32 = [BayType::Disabled, BayType::Ev]
            .into_iter()
            .filter(|b| needs.counts(*b))
            .map(|b| self.free_of(b).unwrap_or(0))
            .sum();
        Some(visitor + extra)
    }

    /// Whether the latest reading is fresh (the free counts are known).
    pub fn is_fresh(&self) -> bool {
        self.free_of(BayType::Visitor).is_some()
    }
}

/// Whether a reading taken at `at` is still fresh at `now`: younger than [`STALE_AFTER`].
pub fn is_fresh(at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    now - at < STALE_AFTER
}

/// The live state of a lot at `now`. Closed by its hours wins; else a lot without a fresh reading
/// that says its visitor count is unknown, with no free count at all; else full when no visitor
/// bay is free, open otherwise.
pub fn state(lot: &Lot, history: &History, now: DateTime<Utc>) -> LiveState {
    let latest = history.latest();
    let updated_at = latest.map(|s| s.at);
    let fresh = latest.filter(|s| is_fresh(s.at, now) && s.occupied(BayType::Visitor).is_some());
    if !lot.hours.is_open(now) {
        return LiveState { status: Status::Closed, free: [None; 4], updated_at };
    }
    let Some(s) = fresh else {
        return LiveState { status: Status::Unknown, free: [None; 4], updated_at };
    };
    let free = BayType::ALL.map(|b| s.free(lot, b));
    let status = if free[BayType::Visitor.index()] == Some(0) { Status::Full } else { Status::Open };
    LiveState { status, free, updated_at }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lot::OpeningHours;
    use crate::lot::tests::lot;

    fn t0() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-12-07T02:00:00Z").expect("time").with_timezone(&Utc)
    }

    fn sample(at: DateTime<Utc>, visitor: u32) -> Sample {
        Sample { at, occupied: [Some(visitor), Some(40), Some(0), Some(0)] }
    }

    #[test]
    fn a_silent_feed_turns_unknown_at_five_minutes_never_free() {
        let l = lot("p1");
        let mut h = History::new();
        assert_eq!(state(&l, &h, t0()).status, Status::Unknown, "no reading yet");
        assert_eq!(state(&l, &h, t0()).free_for(Needs::default()), None);
        h.push(sample(t0(), 100));
        assert_eq!(state(&l, &h, t0()).status, Status::Full);
        let fresh = state(&l, &h, t0() + TimeDelta::seconds(4 * 60 + 59));
        assert_eq!((fresh.status, fresh.free_for(Needs::default())), (Status::Full, Some(0)));
        for later in [TimeDelta::minutes(5), TimeDelta::minutes(6), TimeDelta::hours(3)] {
            let s = state(&l, &h, t0() + later);
            assert_eq!(s.status, Status::Unknown, "{later}");
            assert_eq!(s.free, [None; 4], "never free");
            assert_eq!(s.updated_at, Some(t0()));
        }
        h.push(sample(t0() + TimeDelta::minutes(10), 60));
        let s = state(&l, &h, t0() + TimeDelta::minutes(10));
        assert_eq!((s.status, s.free_for(Needs::default())), (Status::Open, Some(40)));
        assert_eq!(s.free_for(Needs { disabled: true, ev: true }), Some(50));
    }

    #[test]
    fn closed_hours_win_and_a_reading_without_visitors_is_unknown() {
        let mut l = lot("p1");
        l.hours = OpeningHours::parse("Mo-Fr 07:00-09:00").expect("hours");
        let mut h = History::new();
        h.push(sample(t0(), 10));
        assert_eq!(state(&l, &h, t0()).status, Status::Closed, "10:00 local");
        let mut h = History::new();
        h.push(Sample { at: t0(), occupied: [None, Some(3), None, None] });
        assert_eq!(state(&lot("p1"), &h, t0()).status, Status::Unknown);
    }

    #[test]
    fn history_is_bounded_and_ordered() {
        let mut h = History::new();
        for i in 0..200 {
            h.push(sample(t0() + TimeDelta::minutes(i), 1));
        }
        h.push(sample(t0(), 5));
        assert_eq!(h.len(), 61, "the last 60 minutes, both ends");
        assert_eq!(h.last_at(), Some(t0() + TimeDelta::minutes(199)));
        let mut h = History::new();
        for i in 0..(HISTORY_MAX as i64 + 10) {
            h.push(sample(t0() + TimeDelta::seconds(i), 1));
        }
        assert_eq!(h.len(), HISTORY_MAX);
    }

    proptest::proptest! {
        #[test]
        fn a_stale_lot_never_shows_a_free_count(age_s in 0i64..100_000, occupied in 0u32..=100) {
            let l = lot("p1");
            let mut h = History::new();
            h.push(sample(t0(), occupied));
            let s = state(&l, &h, t0() + TimeDelta::seconds(age_s));
            if age_s >= 300 {
                proptest::prop_assert_eq!(s.status, Status::Unknown);
                proptest::prop_assert_eq!(s.free_for(Needs { disabled: true, ev: true }), None);
            } else {
                proptest::prop_assert_eq!(s.free_for(Needs::default()), Some(100 - occupied));
            }
        }
    }
}
