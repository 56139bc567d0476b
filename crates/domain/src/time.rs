//! Time: a [`Clock`] that tests can control, and conversions to China time (UTC+8, no daylight saving).

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, NaiveTime, Utc};

/// China Standard Time, UTC+8. China has one time zone and no daylight saving.
pub const CHINA_OFFSET: FixedOffset = match FixedOffset::east_opt(8 * 3600) {
    Some(offset) => offset,
    None => panic!("UTC+8 is a valid offset"),
};

/// A source of the current time. Code that needs "now" takes a clock, so tests can fix it.
pub trait Clock: Send + Sync + 'static {
    /// The current instant.
    fn now(&self) -> DateTime<Utc>;
}

impl<C: Clock + ?Sized> Clock for Arc<C> {
    fn now(&self) -> DateTime<Utc> {
        (**self).now()
    }
}

impl<C: Clock + ?Sized> Clock for Box<C> {
    fn now(&self) -> DateTime<Utc> {
        (**self).now()
    }
}

/// The operating system's clock.
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that only moves when told to. Clones share the same time.
#[derive(Clone)]
pub struct ManualClock(Arc<Mutex<DateTime<Utc>>>);

impl ManualClock {
    /// A clock standing at `t`.
    pub fn new(t: DateTime<Utc>) -> ManualClock {
        ManualClock(Arc::new(Mutex::new(t)))
    }

    /// Moves the clock to `t` (backwards too).
    pub fn set(&self, t: DateTime<Utc>) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = t;
    }

    /// Moves the clock by `d` (backwards for a negative duration); saturates at chrono's limits.
    pub fn advance(&self, d: Duration) {
        let mut t = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        *t = t.checked_add_signed(d).unwrap_or(if d < Duration::zero() {
            DateTime::<Utc>::MIN_UTC
        } else {
            DateTime::<Utc>::MAX_UTC
        });
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl fmt::Debug for ManualClock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ManualClock({})", self.now())
    }
}

/// The calendar date in China (UTC+8) at instant `t`.
pub fn china_date(t: DateTime<Utc>) -> NaiveDate {
    china_time(t).date_naive()
}

/// Instant `t` on China's clocks (UTC+8).
pub fn china_time(t: DateTime<Utc>) -> DateTime<FixedOffset> {
    t.with_timezone(&CHINA_OFFSET)
}

/// The instant China's `date` begins (00:00 UTC+8, which is 16:00 UTC the day before).
pub fn china_start_of_day(date: NaiveDate) -> DateTime<Utc> {
    let local = date.and_time(NaiveTime::MIN);
    // A fixed offset has exactly one mapping; `MIN_UTC` is unreachable but keeps this panic-free.
    local
        .checked_sub_offset(CHINA_OFFSET)
        .map_or(DateTime::<Utc>::MIN_UTC, |utc| utc.and_utc())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().expect("RFC 3339 instant")
    }

    #[test]
    fn china_date_turns_at_16_utc() {
        let cases = [
            ("2025-01-27T15:59:59Z", "2025-01-27"),
            ("2025-01-27T16:00:00Z", "2025-01-28"),
            ("2024-12-31T16:00:00Z", "2025-01-01"),
            ("2025-01-01T00:00:00Z", "2025-01-01"),
        ];
        for (instant, date) in cases {
            assert_eq!(china_date(utc(instant)).to_string(), date, "{instant}");
        }
        assert_eq!(
            china_time(utc("2025-01-27T16:30:00Z")).to_rfc3339(),
            "2025-01-28T00:30:00+08:00"
        );
    }

    #[test]
    fn start_of_day_is_the_inverse() {
        let d = NaiveDate::from_ymd_opt(2025, 10, 1).expect("date");
        let start = china_start_of_day(d);
        assert_eq!(start, utc("2025-09-30T16:00:00Z"));
        assert_eq!(china_date(start), d);
        assert_eq!(
            china_date(start - Duration::seconds(1)),
            d.pred_opt().expect("date")
        );
    }

    #[test]
    fn manual_clock_moves_only_when_told() {
        let t0 = utc("2025-01-01T00:00:00Z");
        let clock = ManualClock::new(t0);
        let shared = clock.clone();
        assert_eq!(clock.now(), t0);
        clock.advance(Duration::hours(8));
        assert_eq!(shared.now(), utc("2025-01-01T08:00:00Z"));
        shared.set(t0);
        assert_eq!(clock.now(), t0);
        clock.advance(Duration::days(-1));
        assert_eq!(clock.now(), utc("2024-12-31T00:00:00Z"));
        clock.advance(Duration::MAX);
        assert_eq!(clock.now(), DateTime::<Utc>::MAX_UTC);
        let boxed: Arc<dyn Clock> = Arc::new(clock.clone());
        assert_eq!(boxed.now(), DateTime::<Utc>::MAX_UTC);
    }

    #[test]
    fn system_clock_is_near_now() {
        let before = Utc::now();
        let now = SystemClock.now();
        assert!(now >= before && now - before < Duration::seconds(5));
    }
}
