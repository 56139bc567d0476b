//! The waiting-time estimate for every waiting ticket, from the queue and recent service times per
//! line and window: the open windows are played forward — each is busy until its current service
//! is expected to end (its mean at that window; a service already past its mean is given a share
//! of the mean more), then takes the next ticket it may call in queue order (those sent to it by
//! name first), each taking the mean service at that window plus the walk up — and a ticket's
//! estimate is when a window would take it. Two things that have not happened yet are allowed
//! for: appointments booked for today's coming slots join at their slot's start with the
//! appointment rank (so pass the day's booked tickets too), and people with a higher rank who
//! arrive while one waits go first, so a wait grows by 1 / (1 − the share of the windows' time
//! such arrivals took over the last hour). Before the hall opens, windows start at the opening.
//!
//! One pass, O(n log n) in the waiting tickets, so it can run on every board update;
//! [`estimate`] is the same pass stopped at one ticket. The simulation ([`crate::simulate`])
//! measures the error against the waits that happen.

use std::cmp::Reverse;
use std::collections::BTreeMap;
use std::collections::BinaryHeap;
use std::collections::VecDeque;

use chrono::DateTime;
use chrono::Utc;
use serde::Deserialize;
use serde::Serialize;

use crate::hall::Hall;
use crate::hall::TicketId;
use crate::hall::local;
use crate::hall::utc;
use crate::queue::QueueKey;
use crate::queue::queue_key;
use crate::rules::HallRules;
use crate::rules::PriorityKind;
use crate::ticket::Source;
use crate::ticket::Ticket;
use crate::ticket::TicketState;

/// How many recent services the means are taken over, per line and per line and window.
pub const RECENT: usize = 30;

/// How many services a window needs in a line before its own mean is used instead of the line's.
pub const WINDOW_MIN_SAMPLES: usize = 5;

/// The mean service time in seconds when the rules do not know the line.
pub const FALLBACK_SECONDS: f64 = 600.0;

/// Seconds an applicant takes to walk up to the window after being called.
pub const WALK_UP_SECONDS: f64 = 30.0;

/// The share of the mean assumed still to come for a service that has already run longer than the
/// mean (services have a long tail: one that overruns tends to overrun further).
pub const OVERRUN_FRACTION: f64 = 0.35;

/// How far back arrivals count for the rate of people with priority (an hour).
pub const ARRIVALS_HORIZON_S: i64 = 3600;

/// The shortest span of arrivals a rate is taken over (early in the day).
pub const ARRIVALS_MIN_SPAN_S: i64 = 900;

/// The largest share of the windows' time people arriving with a higher rank are assumed to take.
pub const MAX_PRIORITY_LOAD: f64 = 0.75;

/// The last [`RECENT`] durations of one kind, with their sum.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct Recent {
    seconds: VecDeque<u32>,
    sum: u64,
}

impl Recent {
    fn push(&mut self, s: u32) {
        if self.seconds.len() == RECENT
            && let Some(old) = self.seconds.pop_front()
        {
            self.sum -= u64::from(old);
        }
        self.seconds.push_back(s);
        self.sum += u64::from(s);
    }

    fn mean(&self, min: usize) -> Option<f64> {
        if self.seconds.len() < min.max(1) { None } else { Some(self.sum as f64 / self.seconds.len() as f64) }
    }
}

/// The recent services of one line: all of them and per window.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct LineStats {
    all: Recent,
    windows: BTreeMap<u32, Recent>,
}

/// A ticket joining a queue, remembered for the rate at which people with priority arrive.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Arrival {
    at: DateTime<Utc>,
    line: String,
    rank: u32,
    /// An appointment checked in on time (the play forward counts those from the booked tickets).
    appointment: bool,
}

/// Recent service durations per line and per line and window (the last [`RECENT`] of each), and
/// the arrivals of the last [`ARRIVALS_HORIZON_S`] seconds with their priority ranks (people with
/// a higher rank who arrive while one waits are called first: the estimate allows for them).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ServiceStats {
    lines: BTreeMap<String, LineStats>,
    arrivals: VecDeque<Arrival>,
}

impl ServiceStats {
    /// No history.
    pub fn new() -> ServiceStats {
        ServiceStats::default()
    }

    /// The statistics of `tickets` (the day's, done and not): the services of the done ones in
    /// the order they finished, and every ticket's joining the queue (its walk-in or check-in).
    pub fn from_tickets(tickets: &[Ticket]) -> ServiceStats {
        let mut done: Vec<&Ticket> = tickets.iter().filter(|t| t.state == TicketState::Done && t.service_seconds().is_some()).collect();
        done.sort_by_key(|t| (t.finished_at, t.id));
        let mut s = ServiceStats::new();
        for t in done {
            if let (Some(w), Some(secs)) = (t.window, t.service_seconds()) {
                s.record(&t.line, w, secs);
            }
        }
        let mut joined: Vec<(DateTime<Utc>, &Ticket)> =
            tickets.iter().filter_map(|t| t.steps.iter().find(|x| x.action == "walk_in" || x.action == "check_in").map(|x| (x.at, t))).collect();
        joined.sort_by_key(|(at, t)| (*at, t.id));
        for (at, t) in joined {
            s.record_arrival(t, at);
        }
        s
    }

    /// Records a ticket joining the queue (taken, or checked in) at `at`, in time order; arrivals
    /// older than twice the horizon are dropped.
    pub fn record_arrival(&mut self, ticket: &Ticket, at: DateTime<Utc>) {
        let appointment = ticket.source == Source::Appointment && ticket.slot.is_some_and(|s| ticket.queued_at == Some(utc(s)));
        let oldest = at - chrono::Duration::seconds(2 * ARRIVALS_HORIZON_S);
        while self.arrivals.front().is_some_and(|a| a.at < oldest) {
            self.arrivals.pop_front();
        }
        self.arrivals.push_back(Arrival { at, line: ticket.line.clone(), rank: ticket.priority.rank, appointment });
    }

    /// Records one service of `seconds` in `line` at `window` (negative counts as 0).
    pub fn record(&mut self, line: &str, window: u32, seconds: i64) {
        let s = u32::try_from(seconds.max(0)).unwrap_or(u32::MAX);
        let l = match self.lines.get_mut(line) {
            Some(l) => l,
            None => self.lines.entry(line.to_owned()).or_default(),
        };
        l.all.push(s);
        l.windows.entry(window).or_default().push(s);
    }

    /// The mean service time of a line in seconds: of its recent services, else the rules' default.
    pub fn mean(&self, rules: &HallRules, line: &str) -> f64 {
        self.lines.get(line).and_then(|r| r.all.mean(1)).unwrap_or_else(|| rules.line(line).map_or(FALLBACK_SECONDS, |l| l.service_minutes * 60.0))
    }

    /// The mean service time of a line at a window in seconds: the window's own once it has served
    /// the line [`WINDOW_MIN_SAMPLES`] times, else the line's.
    pub fn mean_at(&self, rules: &HallRules, line: &str, window: u32) -> f64 {
        self.lines.get(line).and_then(|l| l.windows.get(&window)).and_then(|r| r.mean(WINDOW_MIN_SAMPLES)).unwrap_or_else(|| self.mean(rules, line))
    }

    /// How many recent services of a line are known.
    pub fn samples(&self, line: &str) -> usize {
        self.lines.get(line).map_or(0, |r| r.all.seconds.len())
    }
}

/// A waiting ticket's estimate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Estimate {
    /// How many will be called before it ([`crate::queue::AheadIndex`]).
    pub ahead: u32,
    /// How many open windows may call it.
    pub windows: u32,
    /// Seconds from now until it is expected to be called.
    pub wait_seconds: u32,
}

/// Milliseconds from now until a window is expected to be free, given its current ticket.
fn busy_ms(rules: &HallRules, stats: &ServiceStats, t: &Ticket, window: u32, now: DateTime<Utc>) -> i64 {
    let mean = stats.mean_at(rules, &t.line, window);
    let (from, expected) = match t.state {
        TicketState::Serving => (t.started_at, mean),
        TicketState::Called => (t.last_called_at.or(t.called_at), mean + WALK_UP_SECONDS),
        _ => return 0,
    };
    let elapsed = from.map_or(0.0, |f| (now - f).num_milliseconds() as f64 / 1000.0).max(0.0);
    let left = (expected - elapsed).max(mean * OVERRUN_FRACTION);
    (left * 1000.0).round() as i64
}

/// One line's (or one window's named) waiting tickets in queue order, with a cursor and how many
/// are ahead of each.
struct Lane<'a> {
    tickets: Vec<(QueueKey, &'a Ticket)>,
    ahead: Vec<u32>,
    /// How many open windows may call its tickets.
    windows: u32,
    next: usize,
}

impl<'a> Lane<'a> {
    fn new() -> Lane<'a> {
        Lane { tickets: Vec::new(), ahead: Vec::new(), windows: 0, next: 0 }
    }

    fn head(&self) -> Option<&QueueKey> {
        self.tickets.get(self.next).map(|(k, _)| k)
    }

    /// The next ticket, with how many are ahead of it and how many windows may call it.
    fn take(&mut self) -> Option<(&'a Ticket, u32, u32)> {
        let t = self.tickets.get(self.next).map(|(_, t)| (*t, self.ahead.get(self.next).copied().unwrap_or(0), self.windows));
        self.next += 1;
        t
    }
}

/// An open window as the play forward sees it.
struct Desk {
    no: u32,
    /// Indexes of its lines in the line lanes, with its mean service (plus the walk up) in ms.
    lines: Vec<(usize, i64)>,
}

/// The index of a line code among `codes` (few, mostly of different lengths: the length first).
fn code_index(codes: &[&str], line: &str) -> Option<usize> {
    codes.iter().position(|c| c.len() == line.len() && *c == line)
}

/// A ticket reached by the play forward: when (ms from now), how many are ahead of it, how many
/// open windows may call it.
struct Reached<'a> {
    ticket: &'a Ticket,
    at_ms: i64,
    ahead: u32,
    windows: u32,
}

/// Plays the open windows forward over the waiting tickets and hands each ticket reached its
/// expected call time; stops after `stop` when given. Before the hall opens, the windows start at
/// its opening. The counts ahead are those of [`crate::queue::AheadIndex`], taken from the same
/// sorted lanes in one linear walk per line.
fn forward<'a>(hall: &Hall, rules: &HallRules, stats: &ServiceStats, tickets: &'a [Ticket], now: DateTime<Utc>, stop: Option<TicketId>, mut out: impl FnMut(Reached<'a>)) {
    // The open windows and the lines they serve, by index.
    let mut codes: Vec<&str> = hall.windows.iter().filter(|w| w.open).flat_map(|w| w.lines.iter().map(String::as_str)).collect();
    codes.sort_unstable();
    codes.dedup();
    let desks: Vec<Desk> = hall
        .windows
        .iter()
        .filter(|w| w.open)
        .map(|w| Desk {
            no: w.no,
            lines: w.lines.iter().filter_map(|l| code_index(&codes, l).map(|i| (i, ((stats.mean_at(rules, l, w.no) + WALK_UP_SECONDS) * 1000.0).round() as i64))).collect(),
        })
        .collect();
    let desk_of = |no: u32| desks.iter().position(|d| d.no == no);
    let mut lanes: Vec<Lane<'a>> = codes.iter().map(|_| Lane::new()).collect();
    let mut named: Vec<Lane<'a>> = desks.iter().map(|_| Lane::new()).collect();
    let mut busy: Vec<i64> = vec![0; desks.len()];
    // Appointments booked for today's coming slots join at their slot's start with the
    // appointment rank (if they check in on time, which is assumed): (key, ms from now).
    let mut booked: Vec<Vec<(QueueKey, i64)>> = vec![Vec::new(); codes.len()];
    let appointment_rank = rules.priority.class(PriorityKind::Appointment).map_or(0, |c| c.rank);
    let late_ms = rules.priority.on_time_late_minutes * 60_000;
    let here_ms = local(now).and_utc().timestamp_millis();
    let today = local(now).date();
    // The line of the one ticket asked for, if one is: only its counts ahead are needed.
    let mut stop_lane: Option<usize> = None;
    for t in tickets.iter().filter(|t| t.hall == hall.id) {
        match t.state {
            TicketState::Booked => {
                if let (Some(slot), Some(l)) = (t.slot, code_index(&codes, &t.line))
                    && slot.date() == today
                {
                    let ms = slot.and_utc().timestamp_millis() - here_ms;
                    if ms >= -late_ms {
                        booked[l].push(((std::cmp::Reverse(appointment_rank), utc(slot), 0, t.id), ms.max(0)));
                    }
                }
            }
            TicketState::Waiting => {
                let lane = match t.target_window.and_then(desk_of) {
                    Some(k) => named.get_mut(k),
                    None => {
                        let i = code_index(&codes, &t.line);
                        if stop == Some(t.id) {
                            stop_lane = i;
                        }
                        i.and_then(|i| lanes.get_mut(i))
                    }
                };
                if let Some(lane) = lane {
                    lane.tickets.push((queue_key(t), t));
                }
            }
            TicketState::Called | TicketState::Serving => {
                if let Some(k) = t.window.and_then(desk_of) {
                    busy[k] = busy[k].max(busy_ms(rules, stats, t, desks[k].no, now));
                }
            }
            _ => {}
        }
    }
    for lane in lanes.iter_mut().chain(named.iter_mut()) {
        lane.tickets.sort_unstable_by_key(|x| x.0);
    }
    for b in &mut booked {
        b.sort_unstable_by_key(|x| x.0);
    }
    let mut booked_next: Vec<usize> = vec![0; booked.len()];
    let mut left: usize = lanes.iter().chain(named.iter()).map(|l| l.tickets.len()).sum();
    if left == 0 {
        return;
    }
    // Who is ahead: by name, those before in the window's own lane; in a line, everyone waiting by
    // name for a window serving it and those before in every line such a window serves.
    for lane in &mut named {
        lane.windows = 1;
        lane.ahead = (0..lane.tickets.len()).map(|i| u32::try_from(i).unwrap_or(u32::MAX)).collect();
    }
    for l in 0..lanes.len() {
        if stop.is_some() && stop_lane != Some(l) {
            continue;
        }
        let serving: Vec<usize> = (0..desks.len()).filter(|k| desks[*k].lines.iter().any(|(i, _)| *i == l)).collect();
        let by_name: usize = serving.iter().map(|k| named[*k].tickets.len()).sum();
        let mut near: Vec<usize> = serving.iter().flat_map(|k| desks[*k].lines.iter().map(|(i, _)| *i)).collect();
        near.sort_unstable();
        near.dedup();
        let mut at: Vec<usize> = vec![0; near.len()];
        let mut ahead: Vec<u32> = Vec::with_capacity(lanes[l].tickets.len());
        for (key, _) in &lanes[l].tickets {
            let mut n = by_name;
            for (j, other) in near.iter().enumerate() {
                let v = &lanes[*other].tickets;
                while at[j] < v.len() && v[at[j]].0 < *key {
                    at[j] += 1;
                }
                n += at[j];
            }
            ahead.push(u32::try_from(n).unwrap_or(u32::MAX));
        }
        lanes[l].ahead = ahead;
        lanes[l].windows = u32::try_from(serving.len()).unwrap_or(u32::MAX);
    }
    // People with a higher rank arriving while one waits go first: the recent work they brought
    // per line and rank, over the span it was brought in.
    let from = now - chrono::Duration::seconds(ARRIVALS_HORIZON_S);
    let recent = stats.arrivals.iter().rev().take_while(|a| a.at > from).filter(|a| a.at <= now && a.rank > 0 && !a.appointment);
    let line_secs: Vec<f64> = codes.iter().map(|c| stats.mean(rules, c) + WALK_UP_SECONDS).collect();
    let mut brought: Vec<Vec<(u32, f64)>> = vec![Vec::new(); codes.len()];
    let mut any = false;
    for a in recent {
        if let Some(l) = code_index(&codes, &a.line) {
            any = true;
            let secs = line_secs[l];
            match brought[l].iter_mut().find(|(r, _)| *r == a.rank) {
                Some((_, w)) => *w += secs,
                None => brought[l].push((a.rank, secs)),
            }
        }
    }
    let span = stats.arrivals.front().map_or(0, |a| (now - a.at).num_seconds()).clamp(ARRIVALS_MIN_SPAN_S, ARRIVALS_HORIZON_S) as f64;
    let mut near_of: Vec<(Vec<usize>, usize)> = Vec::with_capacity(lanes.len());
    for l in 0..lanes.len() {
        let serving: Vec<usize> = (0..desks.len()).filter(|k| desks[*k].lines.iter().any(|(i, _)| *i == l)).collect();
        let mut near: Vec<usize> = serving.iter().flat_map(|k| desks[*k].lines.iter().map(|(i, _)| *i)).collect();
        near.sort_unstable();
        near.dedup();
        let windows = desks.iter().filter(|d| d.lines.iter().any(|(i, _)| near.contains(i))).count();
        near_of.push((near, windows));
    }
    // The factor a wait of rank `rank` in line `l` grows by: 1 / (1 − the share of the windows'
    // time higher ranks take).
    let stretch = |l: usize, rank: u32| -> f64 {
        if !any {
            return 1.0;
        }
        let (near, windows) = &near_of[l];
        let work: f64 = near.iter().flat_map(|n| brought[*n].iter()).filter(|(r, _)| *r > rank).map(|(_, w)| *w).sum();
        let load = (work / (span * (*windows).max(1) as f64)).min(MAX_PRIORITY_LOAD);
        1.0 / (1.0 - load)
    };
    let mut stretches: Vec<Vec<(u32, f64)>> = vec![Vec::new(); lanes.len()];
    // Before the hall opens (people check in for the first slots early), windows start at the opening.
    let here = local(now);
    let opens = if hall.is_open_at(here) { 0 } else { hall.next_opening(here).map_or(0, |at| (at - here).num_milliseconds().max(0)) };
    let mut free: BinaryHeap<Reverse<(i64, u32, usize)>> = desks.iter().enumerate().map(|(k, d)| Reverse((busy[k].max(opens), d.no, k))).collect();
    while let Some(Reverse((at, no, k))) = free.pop() {
        let desk = &desks[k];
        let mut lane_of: Option<usize> = None;
        let (pick, service) = if named[k].head().is_some() {
            let pick = named[k].take();
            let ms = pick.map_or(0, |(t, _, _)| match code_index(&codes, &t.line).and_then(|i| desk.lines.iter().find(|(j, _)| *j == i)) {
                Some((_, ms)) => *ms,
                None => ((stats.mean_at(rules, &t.line, no) + WALK_UP_SECONDS) * 1000.0).round() as i64,
            });
            (pick, ms)
        } else {
            // The head of its lines, an appointment whose slot has begun included.
            let mut best: Option<(&QueueKey, usize, i64, bool)> = None;
            let mut next_slot: Option<i64> = None;
            for (i, ms) in &desk.lines {
                if let Some(key) = lanes[*i].head()
                    && best.is_none_or(|(b, _, _, _)| key < b)
                {
                    best = Some((key, *i, *ms, false));
                }
                if let Some((key, starts)) = booked[*i].get(booked_next[*i]) {
                    if *starts > at {
                        next_slot = Some(next_slot.map_or(*starts, |n| n.min(*starts)));
                    } else if best.is_none_or(|(b, _, _, _)| key < b) {
                        best = Some((key, *i, *ms, true));
                    }
                }
            }
            match best {
                Some((_, i, ms, true)) => {
                    // An appointment takes the window; nobody waiting now is reached.
                    booked_next[i] += 1;
                    free.push(Reverse((at + ms, no, k)));
                    continue;
                }
                Some((_, i, ms, false)) => {
                    lane_of = Some(i);
                    (lanes[i].take(), ms)
                }
                None => {
                    // Idle until the next slot begins, if an appointment is due at this window.
                    if let Some(n) = next_slot
                        && left > 0
                    {
                        free.push(Reverse((n, no, k)));
                    }
                    continue;
                }
            }
        };
        let Some((ticket, ahead, windows)) = pick else { continue };
        left = left.saturating_sub(1);
        let factor = match lane_of {
            Some(l) => {
                let rank = ticket.priority.rank;
                match stretches[l].iter().find(|(r, _)| *r == rank) {
                    Some((_, f)) => *f,
                    None => {
                        let f = stretch(l, rank);
                        stretches[l].push((rank, f));
                        f
                    }
                }
            }
            None => 1.0,
        };
        out(Reached { ticket, at_ms: (at as f64 * factor).round() as i64, ahead, windows });
        if stop == Some(ticket.id) || left == 0 {
            return;
        }
        free.push(Reverse((at + service, no, k)));
    }
}

/// Whole seconds (rounded) of a time from now in milliseconds, 0 at least.
fn seconds(at_ms: i64) -> u32 {
    u32::try_from((at_ms.max(0) + 500) / 1000).unwrap_or(u32::MAX)
}

fn to_estimate(r: &Reached<'_>) -> Estimate {
    Estimate { ahead: r.ahead, windows: r.windows, wait_seconds: seconds(r.at_ms) }
}

/// The estimate of every waiting ticket of the hall that an open window may call, in one pass.
pub fn estimate_all(hall: &Hall, rules: &HallRules, stats: &ServiceStats, tickets: &[Ticket], now: DateTime<Utc>) -> BTreeMap<TicketId, Estimate> {
    let mut out: Vec<(TicketId, Estimate)> = Vec::new();
    forward(hall, rules, stats, tickets, now, None, |r| out.push((r.ticket.id, to_estimate(&r))));
    out.sort_unstable_by_key(|x| x.0);
    out.into_iter().collect()
}

/// The estimate of one waiting ticket (the same play forward, stopped at it).
pub fn estimate(hall: &Hall, rules: &HallRules, stats: &ServiceStats, tickets: &[Ticket], now: DateTime<Utc>, id: TicketId) -> Option<Estimate> {
    let mut found: Option<Estimate> = None;
    forward(hall, rules, stats, tickets, now, Some(id), |r| {
        if r.ticket.id == id {
            found = Some(to_estimate(&r));
        }
    });
    found
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use chrono::Duration;

    use super::*;
    use crate::hall::Window;
    use crate::hall::tests::sample;
    use crate::ticket::tests::rules;
    use crate::ticket::tests::u;
    use crate::ticket::tests::walk;

    /// Stats where every line's mean is 300 s.
    fn stats_300(lines: &[&str], windows: &[u32]) -> ServiceStats {
        let mut s = ServiceStats::new();
        for l in lines {
            for w in windows {
                for _ in 0..WINDOW_MIN_SAMPLES {
                    s.record(l, *w, 300);
                }
            }
        }
        s
    }

    fn one_window() -> Hall {
        let mut h = sample();
        h.windows = vec![Window { no: 1, name: "1".into(), lines: vec!["tax".into()], open: true, staff: None }];
        h
    }

    fn wait(m: &BTreeMap<TicketId, Estimate>, id: i64) -> u32 {
        m.get(&TicketId(id)).map(|e| e.wait_seconds).unwrap_or(u32::MAX)
    }

    #[test]
    fn stats_keep_the_last_thirty_and_fall_back_to_the_rules() {
        let r = rules();
        let mut s = ServiceStats::new();
        assert_eq!(s.mean(&r, "tax"), 9.0 * 60.0);
        assert_eq!(s.mean(&r, "nothing"), FALLBACK_SECONDS);
        for _ in 0..40 {
            s.record("tax", 1, 100);
        }
        for _ in 0..30 {
            s.record("tax", 2, 400);
        }
        assert_eq!(s.samples("tax"), 30);
        assert_eq!(s.mean(&r, "tax"), 400.0);
        assert_eq!(s.mean_at(&r, "tax", 1), 100.0);
        s.record("tax", 3, 700);
        assert!((s.mean_at(&r, "tax", 3) - s.mean(&r, "tax")).abs() < 1e-9);
    }

    #[test]
    fn one_window_three_ahead() {
        let r = rules();
        let h = one_window();
        let now = u(7, 10, 0);
        let tickets: Vec<Ticket> = (1..=4).map(|i| walk(i, "tax", i as u32, now - Duration::minutes(10 - i))).collect();
        let s = stats_300(&["tax"], &[1]);
        let m = estimate_all(&h, &r, &s, &tickets, now);
        // Each takes the mean plus the walk up.
        let per = 300 + WALK_UP_SECONDS as u32;
        assert_eq!([wait(&m, 1), wait(&m, 2), wait(&m, 3), wait(&m, 4)], [0, per, 2 * per, 3 * per]);
        assert_eq!(m.get(&TicketId(4)).unwrap().ahead, 3);
        assert_eq!(m.get(&TicketId(4)).unwrap().windows, 1);
        assert_eq!(estimate(&h, &r, &s, &tickets, now, TicketId(3)), m.get(&TicketId(3)).copied());
    }

    #[test]
    fn a_busy_window_is_free_when_its_service_is_expected_to_end() {
        let r = rules();
        let h = one_window();
        let now = u(7, 10, 0);
        let s = stats_300(&["tax"], &[1]);
        let mut serving = walk(1, "tax", 1, now - Duration::minutes(30));
        serving.call(&h, 1, now - Duration::seconds(130)).unwrap();
        serving.start(now - Duration::seconds(100)).unwrap();
        let waiting = walk(2, "tax", 2, now - Duration::minutes(5));
        let m = estimate_all(&h, &r, &s, &[serving.clone(), waiting.clone()], now);
        assert_eq!(wait(&m, 2), 200);
        // Overrunning: a share of the mean is still assumed to come.
        let later = now + Duration::seconds(1000);
        let m = estimate_all(&h, &r, &s, &[serving, waiting], later);
        assert_eq!(wait(&m, 2), (300.0 * OVERRUN_FRACTION).round() as u32);
    }

    #[test]
    fn people_with_priority_arriving_meanwhile_stretch_the_wait() {
        let r = rules();
        let h = one_window();
        let now = u(7, 10, 0);
        let tickets: Vec<Ticket> = (1..=4).map(|i| walk(i, "tax", i as u32, now - Duration::minutes(10 - i))).collect();
        let mut s = stats_300(&["tax"], &[1]);
        for m in [50, 40, 30, 20] {
            let mut t = walk(100 + m, "tax", 1, now - Duration::minutes(m));
            t.priority.rank = 2;
            s.record_arrival(&t, now - Duration::minutes(m));
        }
        s.record_arrival(&walk(99, "tax", 1, now), now - Duration::minutes(10));
        // Four arrivals of rank 2 in the last 50 minutes brought 4 × 330 s of work to one window:
        // 44 % of its time, so a wait of rank 0 grows by 1 / 0.56.
        let m = estimate_all(&h, &r, &s, &tickets, now);
        assert_eq!(wait(&m, 4), (990.0_f64 / 0.56).round() as u32);
        let mut elder = walk(5, "tax", 5, now);
        elder.priority.rank = 2;
        let m = estimate_all(&h, &r, &s, &[elder], now);
        assert_eq!(wait(&m, 5), 0);
        // From the day's tickets: arrivals at their walk-in or check-in.
        let from = ServiceStats::from_tickets(&tickets);
        assert_eq!(from.arrivals.len(), 4);
    }

    #[test]
    fn two_windows_share_the_line() {
        let r = rules();
        let mut h = one_window();
        h.windows.push(Window { no: 2, name: "2".into(), lines: vec!["tax".into()], open: true, staff: None });
        let now = u(7, 10, 0);
        let tickets: Vec<Ticket> = (1..=5).map(|i| walk(i, "tax", i as u32, now - Duration::minutes(10 - i))).collect();
        let m = estimate_all(&h, &r, &stats_300(&["tax"], &[1, 2]), &tickets, now);
        let per = 300 + WALK_UP_SECONDS as u32;
        assert_eq!([wait(&m, 1), wait(&m, 2), wait(&m, 3), wait(&m, 4), wait(&m, 5)], [0, 0, per, per, 2 * per]);
    }

    #[test]
    fn a_shared_window_takes_the_head_of_its_lines_and_targets_first() {
        let r = rules();
        // Windows 1–2: social insurance; 3: tax; 4: both (the sample, window 5 closed).
        let h = sample();
        let now = u(7, 10, 0);
        let s = stats_300(&["social_insurance", "tax"], &[1, 2, 3, 4]);
        let per = 300 + WALK_UP_SECONDS as u32;
        let mut tickets: Vec<Ticket> = (1..=6).map(|i| walk(i, "social_insurance", i as u32, now - Duration::minutes(20 - i))).collect();
        tickets.push(walk(7, "tax", 1, now - Duration::minutes(30)));
        tickets.push(walk(8, "tax", 2, now - Duration::minutes(1)));
        let m = estimate_all(&h, &r, &s, &tickets, now);
        // At 0: window 1 takes SI 1, window 2 SI 2, window 3 tax 7, window 4 the head of both: SI 3.
        assert_eq!([wait(&m, 1), wait(&m, 2), wait(&m, 7), wait(&m, 3)], [0, 0, 0, 0]);
        // At `per`: windows 1, 2, 3, 4 free again: 1 → SI 4, 2 → SI 5, 3 → tax 8, 4 → SI 6.
        assert_eq!([wait(&m, 4), wait(&m, 5), wait(&m, 8), wait(&m, 6)], [per, per, per, per]);
        // A ticket sent to window 3 by name is taken there first; tax 7, older than SI 3, goes to
        // the shared window 4 instead, and SI 3 waits for the next free window.
        let mut sent = walk(9, "social_insurance", 9, now - Duration::minutes(2));
        sent.target_window = Some(3);
        tickets.push(sent);
        let m = estimate_all(&h, &r, &s, &tickets, now);
        assert_eq!([wait(&m, 9), wait(&m, 7), wait(&m, 3), wait(&m, 8)], [0, 0, per, per]);
        // A priority ticket goes before everyone its windows serve.
        let mut elder = walk(10, "tax", 3, now);
        elder.priority.rank = 2;
        tickets.push(elder);
        let m = estimate_all(&h, &r, &s, &tickets, now);
        assert_eq!(wait(&m, 10), 0);
        // Before opening, the windows start at the opening (08:30).
        let early = u(7, 8, 10);
        let m = estimate_all(&h, &r, &s, &tickets, early);
        assert_eq!(wait(&m, 10), 20 * 60);
        // The counts ahead are the queue's.
        let idx = crate::queue::AheadIndex::new(&h, &tickets);
        for (id, e) in &m {
            assert_eq!((Some(e.ahead), Some(e.windows)), (idx.ahead(*id), idx.windows(*id)), "{id}");
        }
        // Nobody can be estimated in a line without an open window.
        let mut closed = walk(11, "social_insurance", 11, now);
        closed.line = "real_estate".into();
        tickets.push(closed);
        assert!(!estimate_all(&h, &r, &s, &tickets, now).contains_key(&TicketId(11)));
    }

    proptest::proptest! {
        #[test]
        fn the_counts_ahead_are_the_queues_and_waits_follow_the_queue_order(
            specs in proptest::collection::vec((0usize..3, 0u32..4, 0u32..120, proptest::option::of(1u32..6)), 0..40),
        ) {
            let r = rules();
            let h = sample();
            let now = u(7, 11, 0);
            let lines = ["social_insurance", "tax", "real_estate"];
            let tickets: Vec<Ticket> = specs.iter().enumerate().map(|(i, (l, rank, minute, target))| {
                let mut t = walk(i as i64 + 1, "social_insurance", i as u32 + 1, u(7, 9, 0));
                t.line = lines[*l].to_owned();
                t.priority.rank = *rank;
                t.queued_at = Some(u(7, 9, 0) + Duration::minutes(i64::from(*minute)));
                t.target_window = *target;
                t
            }).collect();
            let s = stats_300(&["social_insurance", "tax"], &[1, 2, 3, 4]);
            let m = estimate_all(&h, &r, &s, &tickets, now);
            let idx = crate::queue::AheadIndex::new(&h, &tickets);
            for t in &tickets {
                let e = m.get(&t.id);
                proptest::prop_assert_eq!(e.map(|e| e.ahead), idx.ahead(t.id));
                proptest::prop_assert_eq!(e.map(|e| e.windows), idx.windows(t.id));
                proptest::prop_assert_eq!(e.copied(), estimate(&h, &r, &s, &tickets, now, t.id));
            }
            // In one line served by the same windows, a ticket ahead in the order is not expected later.
            for a in &tickets {
                for b in &tickets {
                    if a.line == b.line && a.target_window.is_none() && b.target_window.is_none() && queue_key(a) < queue_key(b)
                        && let (Some(x), Some(y)) = (m.get(&a.id), m.get(&b.id))
                    {
                        proptest::prop_assert!(x.wait_seconds <= y.wait_seconds, "{:?} {:?}", x, y);
                    }
                }
            }
        }
    }
}
