//! The measures of the closed loop per town and month (China time, by when the alarm was raised):
//! alarms by kind, the false-alarm share, the median and 90th percentile of the time to
//! acknowledge, to dispatch, to scene and to close, the share of life-safety alarms with someone
//! on scene within 10 minutes, the share closed within 10 minutes, and coverage (guarded elders ÷
//! those who qualify, from counts the caller gives).

use std::collections::BTreeMap;

use chrono::DateTime;
use chrono::Utc;
use domain::Month;
use serde::Serialize;

use crate::alarm::Case;
use crate::alarm::Outcome;
use crate::rules::AlarmKind;

/// Ten minutes, the loop's promise.
pub const TEN_MINUTES_S: i64 = 600;

/// How many elders are guarded and how many qualify, in a town in a month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CoverageCount {
    /// The town (乡镇/街道) code or name.
    pub town: String,
    /// The month.
    pub month: Month,
    /// Elders enrolled and guarded.
    pub guarded: u32,
    /// Elders who qualify (living alone, only with another elder, dispersed-support).
    pub qualifying: u32,
}

/// A distribution of durations, in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct Durations {
    /// How many cases had one.
    pub n: u32,
    /// The median (linear interpolation between the closest ranks), to the millisecond.
    pub median_s: Option<f64>,
    /// The 90th percentile (the same).
    pub p90_s: Option<f64>,
}

/// One town's month.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TownMonth {
    /// The town.
    pub town: String,
    /// The month.
    pub month: Month,
    /// Alarms raised (technical ones too).
    pub alarms: u32,
    /// Of which technical.
    pub technical: u32,
    /// Alarms by kind.
    pub by_kind: BTreeMap<AlarmKind, u32>,
    /// Cases still open.
    pub open: u32,
    /// Alarms for people (not technical) resolved.
    pub resolved: u32,
    /// Of which false alarms.
    pub false_alarms: u32,
    /// False alarms ÷ resolved.
    pub false_alarm_share: Option<f64>,
    /// From raised to acknowledged (alarms for people).
    pub to_acknowledge: Durations,
    /// From raised to the first dispatch.
    pub to_dispatch: Durations,
    /// From raised to someone on scene.
    pub to_scene: Durations,
    /// From raised to closed.
    pub to_close: Durations,
    /// Life-safety alarms that needed someone on scene: all but those closed without a dispatch
    /// (resolved by telephone) and those still open and younger than 10 minutes at `now`.
    pub life_safety: u32,
    /// Of which someone was on scene within 10 minutes.
    pub life_safety_on_scene_10min: u32,
    /// The share.
    pub on_scene_10min_share: Option<f64>,
    /// Alarms for people closed within 10 minutes.
    pub closed_10min: u32,
    /// ÷ the alarms for people (but those open and younger than 10 minutes).
    pub closed_10min_share: Option<f64>,
    /// Elders guarded (when given).
    pub guarded: Option<u32>,
    /// Elders who qualify (when given).
    pub qualifying: Option<u32>,
    /// Guarded ÷ qualifying.
    pub coverage: Option<f64>,
}

impl TownMonth {
    fn new(town: &str, month: Month) -> TownMonth {
        TownMonth {
            town: town.to_owned(),
            month,
            alarms: 0,
            technical: 0,
            by_kind: BTreeMap::new(),
            open: 0,
            resolved: 0,
            false_alarms: 0,
            false_alarm_share: None,
            to_acknowledge: Durations::default(),
            to_dispatch: Durations::default(),
            to_scene: Durations::default(),
            to_close: Durations::default(),
            life_safety: 0,
            life_safety_on_scene_10min: 0,
            on_scene_10min_share: None,
            closed_10min: 0,
            closed_10min_share: None,
            guarded: None,
            qualifying: None,
            coverage: None,
        }
    }
}

/// The `q` quantile (0–1) of sorted values, interpolating linearly between the closest ranks.
pub fn quantile(sorted: &[f64], q: f64) -> Option<f64> {
    let last = sorted.len().checked_sub(1)?;
    let pos = q.clamp(0.0, 1.0) * last as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    let (a, b) = (*sorted.get(lo)?, *sorted.get(hi)?);
    Some(a + (b - a) * (pos - lo as f64))
}

fn durations(mut v: Vec<f64>) -> Durations {
    v.sort_by(f64::total_cmp);
    // To the millisecond, as the durations are.
    let ms = |x: f64| (x * 1000.0).round() / 1000.0;
    Durations { n: u32::try_from(v.len()).unwrap_or(u32::MAX), median_s: quantile(&v, 0.5).map(ms), p90_s: quantile(&v, 0.9).map(ms) }
}

fn share(part: u32, whole: u32) -> Option<f64> {
    (whole > 0).then(|| f64::from(part) / f64::from(whole))
}

#[derive(Default)]
struct Acc {
    ack: Vec<f64>,
    dispatch: Vec<f64>,
    scene: Vec<f64>,
    close: Vec<f64>,
    people: u32,
}

/// The measures of `cases` (each with its elder's town) and the coverage counts, per town and
/// month, in that order; `now` decides which open cases are still too young to judge.
pub fn measure<'a>(cases: impl IntoIterator<Item = (&'a str, &'a Case)>, coverage: &[CoverageCount], now: DateTime<Utc>) -> Vec<TownMonth> {
    let mut rows: BTreeMap<(String, Month), (TownMonth, Acc)> = BTreeMap::new();
    for (town, c) in cases {
        let month = Month::of(domain::china_date(c.raised_at));
        let (row, acc) = rows.entry((town.to_owned(), month)).or_insert_with(|| (TownMonth::new(town, month), Acc::default()));
        row.alarms += 1;
        *row.by_kind.entry(c.kind).or_insert(0) += 1;
        let open = c.state.is_open();
        row.open += u32::from(open);
        if c.technical {
            row.technical += 1;
            continue;
        }
        let since = |t: Option<DateTime<Utc>>| t.map(|t| (t - c.raised_at).num_milliseconds() as f64 / 1000.0);
        let young = open && (now - c.raised_at).num_seconds() < TEN_MINUTES_S;
        let scene = since(c.first_at("arrived"));
        let dispatched = since(c.first_at("dispatched"));
        let closed = since(c.closed_at());
        acc.ack.extend(since(c.first_at("acknowledged")));
        acc.dispatch.extend(dispatched);
        acc.scene.extend(scene);
        acc.close.extend(closed);
        if c.outcome.is_some() {
            row.resolved += 1;
            row.false_alarms += u32::from(c.outcome == Some(Outcome::FalseAlarm));
        }
        if !young {
            acc.people += 1;
            row.closed_10min += u32::from(closed.is_some_and(|s| s <= TEN_MINUTES_S as f64));
        }
        let by_phone = !open && dispatched.is_none();
        if c.life_safety && !young && !by_phone {
            row.life_safety += 1;
            row.life_safety_on_scene_10min += u32::from(scene.is_some_and(|s| s <= TEN_MINUTES_S as f64));
        }
    }
    for cov in coverage {
        let (row, _) = rows.entry((cov.town.clone(), cov.month)).or_insert_with(|| (TownMonth::new(&cov.town, cov.month), Acc::default()));
        row.guarded = Some(row.guarded.unwrap_or(0) + cov.guarded);
        row.qualifying = Some(row.qualifying.unwrap_or(0) + cov.qualifying);
    }
    rows.into_values()
        .map(|(mut row, acc)| {
            row.false_alarm_share = share(row.false_alarms, row.resolved);
            row.on_scene_10min_share = share(row.life_safety_on_scene_10min, row.life_safety);
            row.closed_10min_share = share(row.closed_10min, acc.people);
            row.to_acknowledge = durations(acc.ack);
            row.to_dispatch = durations(acc.dispatch);
            row.to_scene = durations(acc.scene);
            row.to_close = durations(acc.close);
            row.coverage = match (row.guarded, row.qualifying) {
                (Some(g), Some(q)) => share(g, q),
                _ => None,
            };
            row
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alarm::Action;
    use crate::alarm::apply;
    use crate::device::ElderId;
    use crate::monitor::Raised;
    use crate::rules::Rules;
    use crate::rules::Severity;
    use chrono::Duration;

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().expect("as expected")
    }

    fn case(id: u64, kind: AlarmKind, at: DateTime<Utc>, steps: &[(i64, Action)]) -> Case {
        let rules = Rules::embedded();
        let r = Raised { elder: ElderId(id), device: None, kind, technical: kind.is_technical(), severity: Severity::High, at, evidence: vec![] };
        let mut c = Case::open(id, &r, &rules);
        for (s, a) in steps {
            apply(&mut c, a.clone(), "x", at + Duration::seconds(*s)).expect("as expected");
        }
        c
    }

    fn disp(r: &str) -> Action {
        Action::Dispatch { responder: r.into() }
    }

    fn resolve(o: Outcome) -> Action {
        Action::Resolve { outcome: o }
    }

    #[test]
    fn quantiles() {
        assert_eq!(quantile(&[], 0.5), None);
        assert_eq!(quantile(&[7.0], 0.9), Some(7.0));
        assert_eq!(quantile(&[1.0, 2.0, 3.0, 4.0], 0.5), Some(2.5));
        assert_eq!(quantile(&[10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0, 80.0, 90.0, 100.0, 110.0], 0.9), Some(100.0));
    }

    /// Four cases in town A in March, one in April, one in town B, a technical one: every figure
    /// worked out by hand.
    #[test]
    fn a_hand_made_month() {
        use AlarmKind::*;
        use crate::alarm::Action::*;
        let m = t("2026-03-10T02:00:00Z"); // 10:00 China time
        let cases = [
            // Fall: ack 20 s, dispatch 40 s, scene 400 s, closed 500 s: on scene within 10 min.
            ("A", case(1, Fall, m, &[(20, Acknowledge), (40, disp("r1")), (60, Accept), (400, Arrive), (500, resolve(Outcome::HelpedAtHome))])),
            // SOS: ack 60 s, by telephone a false alarm at 100 s (no dispatch: not counted as needing a scene).
            ("A", case(2, Sos, m, &[(60, Acknowledge), (100, resolve(Outcome::FalseAlarm))])),
            // Inactivity: ack 30 s, dispatch 90 s, scene 900 s (late), hospital at 2000 s.
            ("A", case(3, Inactivity, m, &[(30, Acknowledge), (90, disp("r1")), (900, Arrive), (2000, resolve(Outcome::SentToHospital))])),
            // Fever (not life-safety): ack 10 s, still open.
            ("A", case(4, Fever, m, &[(10, Acknowledge)])),
            // Technical: counted as an alarm, not in the times.
            ("A", case(5, DeviceOffline, m, &[(3600, Acknowledge), (7200, Cancel { reason: "电池".into() })])),
            // 1 April 01:00 China time is still 31 March UTC: April.
            ("A", case(6, Fall, t("2026-03-31T17:00:00Z"), &[])),
            ("B", case(7, Sos, m, &[(5, Acknowledge), (10, disp("r9")), (200, Arrive), (300, resolve(Outcome::FalseAlarm))])),
        ];
        let coverage = [
            CoverageCount { town: "A".into(), month: Month::new(2026, 3).expect("as expected"), guarded: 45, qualifying: 50 },
            CoverageCount { town: "C".into(), month: Month::new(2026, 3).expect("as expected"), guarded: 0, qualifying: 12 },
        ];
        let now = t("2026-04-01T00:00:00Z");
        let rows = measure(cases.iter().map(|(town, c)| (*town, c)), &coverage, now);
        let keys: Vec<(String, String)> = rows.iter().map(|r| (r.town.clone(), r.month.to_string())).collect();
        assert_eq!(keys, [("A".into(), "2026-03".into()), ("A".into(), "2026-04".into()), ("B".into(), "2026-03".into()), ("C".into(), "2026-03".into())]);
        let a = &rows[0];
        assert_eq!((a.alarms, a.technical, a.open), (5, 1, 1));
        assert_eq!(a.by_kind, BTreeMap::from([(Sos, 1), (Fall, 1), (Fever, 1), (Inactivity, 1), (DeviceOffline, 1)]));
        assert_eq!((a.resolved, a.false_alarms, a.false_alarm_share), (3, 1, Some(1.0 / 3.0)));
        assert_eq!(a.to_acknowledge, Durations { n: 4, median_s: Some(25.0), p90_s: Some(51.0) }); // 10 20 30 60
        assert_eq!(a.to_dispatch, Durations { n: 2, median_s: Some(65.0), p90_s: Some(85.0) }); // 40 90
        assert_eq!(a.to_scene, Durations { n: 2, median_s: Some(650.0), p90_s: Some(850.0) }); // 400 900
        assert_eq!(a.to_close, Durations { n: 3, median_s: Some(500.0), p90_s: Some(1700.0) }); // 100 500 2000
        // Life-safety: the fall (on time) and the inactivity (late); the SOS was closed by telephone.
        assert_eq!((a.life_safety, a.life_safety_on_scene_10min, a.on_scene_10min_share), (2, 1, Some(0.5)));
        // Closed within 10 minutes: the fall (500 s) and the SOS (100 s) of the four for people.
        assert_eq!((a.closed_10min, a.closed_10min_share), (2, Some(0.5)));
        assert_eq!((a.guarded, a.qualifying, a.coverage), (Some(45), Some(50), Some(0.9)));
        let april = &rows[1];
        assert_eq!((april.alarms, april.open, april.life_safety, april.on_scene_10min_share), (1, 1, 1, Some(0.0)));
        let b = &rows[2];
        assert_eq!((b.false_alarm_share, b.on_scene_10min_share, b.coverage), (Some(1.0), Some(1.0), None));
        let c = &rows[3];
        assert_eq!((c.alarms, c.coverage), (0, Some(0.0)));
        // An open life-safety alarm younger than 10 minutes is not yet judged.
        let fresh = case(8, Fall, now - Duration::seconds(120), &[]);
        let rows = measure([("A", &fresh)], &[], now);
        assert_eq!((rows[0].life_safety, rows[0].on_scene_10min_share, rows[0].closed_10min_share), (0, None, None));
    }
}
