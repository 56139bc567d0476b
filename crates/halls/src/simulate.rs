//! A hall day simulated event by event, deterministically from a seed, to measure the
//! waiting-time estimate against the waits that actually happen: tickets arrive with a morning and
//! an afternoon peak, in a realistic mix of lines, some booked for slots and checked in, some with
//! priority, some not coming when called; windows (each line at least two, some serving several
//! lines, half of the rest off at lunch) call, serve and finish through the same ticket
//! transitions, queue and estimate the live server uses: at each arrival, the ticket's estimate
//! is [`crate::estimate::estimate`], the one-ticket form of [`crate::estimate::estimate_all`]
//! (the same play forward over the same state, stopped when it reaches that ticket), and its
//! actual wait is taken when a window calls it.
//!
//! The day: one session 08:30–17:00, tickets taken 08:30–16:30, every ticket taken is served (the
//! windows work on until the queue is empty). Service times are drawn around each line's mean
//! (log-normal, σ = 0.5); the rules' means are scaled together so that the day's work fills
//! `load_percent` of the windows' time (5,000 tickets over 40 windows leaves about four minutes a
//! ticket, far less than the rules' defaults). The estimate's statistics start empty and learn
//! from the services done and the arrivals, as in a hall in the morning; the day's appointments
//! are in the state from the start (booked the day before), as they are in the live hall. What
//! the estimate cannot know: when a window will close for lunch, who will not come, how long each
//! service will really take, and who with priority will arrive while one waits (it allows for the
//! recent rate of such arrivals).

use std::cmp::Reverse;
use std::collections::BTreeMap;
use std::collections::BinaryHeap;

use chrono::DateTime;
use chrono::Duration;
use chrono::NaiveDate;
use chrono::NaiveDateTime;
use chrono::NaiveTime;
use chrono::Timelike;
use chrono::Utc;
use serde::Deserialize;
use serde::Serialize;

use crate::error::HallError;
use crate::estimate::ServiceStats;
use crate::estimate::estimate;
use crate::hall::Hall;
use crate::hall::HallId;
use crate::hall::HallStatus;
use crate::hall::Level;
use crate::hall::Session;
use crate::hall::TicketId;
use crate::hall::Window;
use crate::hall::local;
use crate::hall::utc;
use crate::queue::next_for_window;
use crate::rules::HallRules;
use crate::ticket::PersonFacts;
use crate::ticket::Source;
use crate::ticket::Ticket;
use crate::ticket::TicketState;

/// What to simulate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SimConfig {
    /// Tickets in the day (5,000).
    pub tickets: u32,
    /// Windows (40); at least two per line.
    pub windows: u32,
    /// The random seed.
    pub seed: u64,
    /// Percent of called tickets whose holder does not come (5).
    pub no_show_percent: u32,
    /// Percent of people with priority (elders, disability certificates) (8).
    pub priority_percent: u32,
    /// Percent of tickets booked online for a slot (15).
    pub appointment_percent: u32,
    /// Percent of the windows' time the day's work fills (90).
    pub load_percent: u32,
    /// Whether some windows close for lunch, 12:00–13:30 (true).
    pub lunch_break: bool,
}

impl Default for SimConfig {
    fn default() -> SimConfig {
        SimConfig { tickets: 5000, windows: 40, seed: 20_261_207, no_show_percent: 5, priority_percent: 8, appointment_percent: 15, load_percent: 90, lunch_break: true }
    }
}

/// What the simulated day gave.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SimReport {
    /// Tickets in the day.
    pub tickets: u32,
    /// Windows.
    pub windows: u32,
    /// Served (done).
    pub served: u32,
    /// Called and did not come.
    pub no_shows: u32,
    /// Tickets booked for a slot (checked in on time or late).
    pub appointments: u32,
    /// Tickets whose estimate was compared with their actual wait.
    pub estimated: u32,
    /// The median of |estimate − actual wait| in seconds.
    pub median_abs_error_s: f64,
    /// Its 90th percentile.
    pub p90_abs_error_s: f64,
    /// The mean of (estimate − actual wait) in seconds (positive: the estimate is too long).
    pub mean_error_s: f64,
    /// The mean wait (arrival to first call) in seconds.
    pub mean_wait_s: f64,
    /// The median wait.
    pub median_wait_s: f64,
    /// The longest wait.
    pub max_wait_s: f64,
    /// Per local hour: (hour, tickets issued, services finished).
    pub per_hour: Vec<(u32, u32, u32)>,
}

/// SplitMix64: a small deterministic random generator.
#[derive(Debug, Clone)]
struct SplitMix(u64);

impl SplitMix {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// True with probability `percent` / 100.
    fn percent(&mut self, percent: u32) -> bool {
        self.next_u64() % 100 < u64::from(percent)
    }

    /// A standard normal (Box–Muller).
    fn normal(&mut self) -> f64 {
        let u1 = 1.0 - self.unit();
        let u2 = self.unit();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }

    /// An index drawn by weight.
    fn pick(&mut self, weights: &[f64]) -> usize {
        let total: f64 = weights.iter().sum();
        let mut x = self.unit() * total;
        for (i, w) in weights.iter().enumerate() {
            if x < *w {
                return i;
            }
            x -= w;
        }
        weights.len().saturating_sub(1)
    }
}

/// The share of the day's tickets in a line (by code; unknown lines 6).
fn share(code: &str) -> f64 {
    match code {
        "social_insurance" => 30.0,
        "public_security" => 16.0,
        "tax" => 12.0,
        "real_estate" => 10.0,
        "civil_affairs" => 10.0,
        "business" => 8.0,
        "housing_fund" => 8.0,
        _ => 6.0,
    }
}

/// Arrivals per half hour from 08:30 to 16:30 (relative): a morning peak at 09:00–11:00, a
/// lunch trough, an afternoon peak at 14:00–15:30.
const HALF_HOURS: [f64; 16] = [6.0, 9.0, 10.0, 10.0, 9.0, 7.0, 5.0, 3.0, 3.0, 4.0, 6.0, 8.0, 8.0, 7.0, 5.0, 3.0];

const OPENS_S: i64 = 8 * 3600 + 30 * 60;
const CLOSES_S: i64 = 17 * 3600;
const LAST_TICKET_S: i64 = 16 * 3600 + 30 * 60;
const LUNCH_FROM_S: i64 = 12 * 3600;
const LUNCH_TO_S: i64 = 13 * 3600 + 30 * 60;
const SIGMA: f64 = 0.5;
const RECALL_EVERY_S: i64 = 60;

/// A simulated ticket's plan.
struct Plan {
    line: usize,
    arrives: i64,
    facts: PersonFacts,
    no_show: bool,
    service_s: i64,
    walk_up_s: i64,
    slot: Option<NaiveDateTime>,
}

/// What happens next (ordered by time, then kind, then index: deterministic).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Event {
    /// Some windows close for lunch.
    LunchStarts,
    /// They open again.
    LunchEnds,
    /// The windows start calling.
    Opens,
    /// A service ends (ticket index).
    Finish(usize),
    /// A called holder does not come: recall or give up (ticket index).
    NotThere(usize),
    /// A called holder reaches the window (ticket index).
    Start(usize),
    /// A ticket is taken or an appointment checked in (ticket index).
    Arrive(usize),
}

struct Day<'a> {
    rules: &'a HallRules,
    hall: Hall,
    base: NaiveDateTime,
    live: Vec<Ticket>,
    done: Vec<Ticket>,
    stats: ServiceStats,
    events: BinaryHeap<Reverse<(i64, Event)>>,
    busy: BTreeMap<u32, usize>,
    calling: bool,
    window_of: Vec<u32>,
    called_at: Vec<Option<i64>>,
}

impl Day<'_> {
    fn at(&self, s: i64) -> DateTime<Utc> {
        utc(self.base + Duration::seconds(s))
    }

    fn pos(&self, i: usize) -> Option<usize> {
        let id = TicketId(i as i64 + 1);
        self.live.iter().position(|t| t.id == id)
    }

    /// An idle, open window calls the next ticket it may, if any.
    fn try_call(&mut self, no: u32, now: i64, plans: &[Plan]) -> Result<(), HallError> {
        if !self.calling || self.busy.contains_key(&no) || !self.hall.window(no).is_some_and(|w| w.open) {
            return Ok(());
        }
        let id = match next_for_window(&self.hall, no, &self.live) {
            Ok(id) => id,
            Err(HallError::NothingToCall { .. } | HallError::WindowClosed { .. }) => return Ok(()),
            Err(e) => return Err(e),
        };
        let i = usize::try_from(id.0 - 1).unwrap_or(0);
        let p = self.pos(i).ok_or(HallError::NotFound { what: "ticket", id: id.to_string() })?;
        let at = self.at(now);
        self.live[p].call(&self.hall, no, at)?;
        self.busy.insert(no, i);
        self.window_of[i] = no;
        self.called_at[i] = Some(now);
        let plan = &plans[i];
        if plan.no_show {
            self.events.push(Reverse((now + RECALL_EVERY_S, Event::NotThere(i))));
        } else {
            self.events.push(Reverse((now + plan.walk_up_s, Event::Start(i))));
        }
        Ok(())
    }

    fn call_all(&mut self, now: i64, plans: &[Plan]) -> Result<(), HallError> {
        let nos: Vec<u32> = self.hall.windows.iter().map(|w| w.no).collect();
        for no in nos {
            self.try_call(no, now, plans)?;
        }
        Ok(())
    }

    /// A ticket leaves the live queue; its window calls the next.
    fn leave(&mut self, i: usize, now: i64, plans: &[Plan]) -> Result<(), HallError> {
        if let Some(p) = self.pos(i) {
            let t = self.live.swap_remove(p);
            self.done.push(t);
        }
        let no = self.window_of[i];
        self.busy.remove(&no);
        self.try_call(no, now, plans)
    }
}

/// The windows of the simulated hall: each line gets windows in proportion to its work (at least
/// two); every fourth window also serves the next line; windows after each line's first close for
/// lunch when their number is even.
fn windows_for(rules: &HallRules, cfg: &SimConfig, work: &[f64]) -> Result<(Vec<Window>, Vec<bool>), HallError> {
    let lines = rules.lines.len();
    let total = usize::try_from(cfg.windows).unwrap_or(usize::MAX);
    if total < 2 * lines || total > 999 {
        return Err(HallError::invalid("windows", format!("模拟需要 {}～999 个窗口（每类业务至少 2 个）", 2 * lines), format!("the simulation needs {}–999 windows (two per line at least)", 2 * lines)));
    }
    let sum: f64 = work.iter().sum();
    let spare = (total - 2 * lines) as f64;
    let mut counts: Vec<usize> = work.iter().map(|w| 2 + (spare * w / sum).floor() as usize).collect();
    let mut order: Vec<usize> = (0..lines).collect();
    order.sort_by(|a, b| {
        let ra = spare * work[*a] / sum - (spare * work[*a] / sum).floor();
        let rb = spare * work[*b] / sum - (spare * work[*b] / sum).floor();
        rb.total_cmp(&ra).then(a.cmp(b))
    });
    let mut k = 0;
    while counts.iter().sum::<usize>() < total {
        counts[order[k % lines]] += 1;
        k += 1;
    }
    let mut windows = Vec::new();
    let mut lunch_off = Vec::new();
    for (l, n) in counts.iter().enumerate() {
        for j in 0..*n {
            let no = u32::try_from(windows.len() + 1).unwrap_or(u32::MAX);
            let mut served = vec![rules.lines[l].code.clone()];
            if no % 4 == 0 {
                served.push(rules.lines[(l + 1) % lines].code.clone());
            }
            lunch_off.push(cfg.lunch_break && j > 0 && no % 2 == 0);
            windows.push(Window { no, name: format!("{no}号窗口"), lines: served, open: true, staff: Some(i64::from(no)) });
        }
    }
    Ok((windows, lunch_off))
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let n = sorted.len();
    if (p - 0.5).abs() < f64::EPSILON && n.is_multiple_of(2) {
        return (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0;
    }
    let k = ((p * n as f64).ceil() as usize).clamp(1, n) - 1;
    sorted[k]
}

/// Simulates one hall day (see the module's documentation); the same configuration gives the same
/// report, bit for bit.
pub fn simulate(rules: &HallRules, cfg: &SimConfig) -> Result<SimReport, HallError> {
    if cfg.tickets == 0 || cfg.tickets > 99_999 {
        return Err(HallError::invalid("tickets", "模拟票数应为 1～99999", "must be 1–99,999"));
    }
    for (v, f) in [(cfg.no_show_percent, "no_show_percent"), (cfg.priority_percent, "priority_percent"), (cfg.appointment_percent, "appointment_percent")] {
        if v > 100 {
            return Err(HallError::invalid(f, "应为 0～100", "must be 0–100"));
        }
    }
    if !(10..=150).contains(&cfg.load_percent) {
        return Err(HallError::invalid("load_percent", "应为 10～150", "must be 10–150"));
    }
    let mut rng = SplitMix(cfg.seed);
    let n = usize::try_from(cfg.tickets).unwrap_or(0);
    let shares: Vec<f64> = rules.lines.iter().map(|l| share(&l.code)).collect();
    let share_sum: f64 = shares.iter().sum();
    let base_means: Vec<f64> = rules.lines.iter().map(|l| l.service_minutes * 60.0).collect();
    let work: Vec<f64> = shares.iter().zip(&base_means).map(|(s, m)| s * m).collect();
    let (windows, lunch_off) = windows_for(rules, cfg, &work)?;

    // Scale the means so that the day's work fills `load_percent` of the windows' time.
    let off = lunch_off.iter().filter(|x| **x).count() as f64;
    let capacity = f64::from(cfg.windows) * (CLOSES_S - OPENS_S) as f64 - off * (LUNCH_TO_S - LUNCH_FROM_S) as f64;
    let per_ticket = work.iter().sum::<f64>() / share_sum;
    let walk = crate::estimate::WALK_UP_SECONDS;
    let scale = ((f64::from(cfg.load_percent) / 100.0 * capacity / n as f64 - walk) / per_ticket).max(0.02);
    let mut sim_rules = rules.clone();
    for l in &mut sim_rules.lines {
        l.service_minutes = (l.service_minutes * scale).max(0.5);
    }
    let means: Vec<f64> = sim_rules.lines.iter().map(|l| l.service_minutes * 60.0).collect();

    let day = NaiveDate::from_ymd_opt(2026, 12, 7).ok_or(HallError::invalid("day", "日期无效", "bad date"))?;
    let base = day.and_time(NaiveTime::MIN);
    let hall = Hall {
        id: HallId(1),
        name: "模拟服务大厅".into(),
        level: Level::District,
        town: "330111001".into(),
        address: "模拟地址".into(),
        lat: 30.05,
        lon: 119.96,
        status: HallStatus::Open,
        sessions: vec![Session {
            weekdays: vec![1, 2, 3, 4, 5, 6, 7],
            opens: NaiveTime::from_hms_opt(8, 30, 0).unwrap_or(NaiveTime::MIN),
            closes: NaiveTime::from_hms_opt(17, 0, 0).unwrap_or(NaiveTime::MIN),
        }],
        windows,
        terminals: vec![],
    };
    hall.validate(&sim_rules)?;

    // Plans: arrivals, lines, people, services.
    let half_hours: Vec<f64> = HALF_HOURS.to_vec();
    let mut plans: Vec<Plan> = Vec::with_capacity(n);
    let mut booked: BTreeMap<(NaiveDateTime, usize), u32> = BTreeMap::new();
    let mut booked_tickets: BTreeMap<usize, Ticket> = BTreeMap::new();
    let yesterday = utc(base - Duration::hours(14));
    for i in 0..n {
        let line = rng.pick(&shares);
        let h = i64::try_from(rng.pick(&half_hours)).unwrap_or(0);
        let mut arrives = OPENS_S + h * 1800 + (rng.unit() * 1800.0) as i64;
        let facts = if rng.percent(cfg.priority_percent) {
            if rng.percent(70) { PersonFacts { age: Some(72 + (rng.next_u64() % 15) as u32), disabled: false } } else { PersonFacts { age: Some(45), disabled: true } }
        } else {
            PersonFacts { age: Some(25 + (rng.next_u64() % 44) as u32), disabled: false }
        };
        let no_show = rng.percent(cfg.no_show_percent);
        let service_s = (means[line] * (SIGMA * rng.normal() - SIGMA * SIGMA / 2.0).exp()).clamp(20.0, 6.0 * means[line]).round() as i64;
        let walk_up_s = 15 + (rng.next_u64() % 31) as i64;
        let mut slot = None;
        if rng.percent(cfg.appointment_percent) {
            // Book the half hour drawn (or the next with room); arrive 25 minutes early to 15 late.
            let mut s = base + Duration::seconds(OPENS_S + h * 1800);
            while s + Duration::minutes(30) <= base + Duration::seconds(CLOSES_S) {
                let count = booked.get(&(s, line)).copied().unwrap_or(0);
                let id = TicketId(i as i64 + 1);
                match Ticket::book(&sim_rules, &hall, id, &sim_rules.lines[line].code, i as i64 + 1, s, count, yesterday) {
                    Ok(t) => {
                        booked.insert((s, line), count + 1);
                        booked_tickets.insert(i, t);
                        slot = Some(s);
                        arrives = (s - base).num_seconds() - 25 * 60 + (rng.unit() * 40.0 * 60.0) as i64;
                        break;
                    }
                    Err(HallError::SlotFull { .. }) => s += Duration::minutes(30),
                    Err(e) => return Err(e),
                }
            }
        }
        plans.push(Plan { line, arrives: arrives.min(LAST_TICKET_S), facts, no_show, service_s, walk_up_s, slot });
    }

    let mut d = Day {
        rules: &sim_rules,
        hall,
        base,
        // Appointments are known from the start (the estimate counts them in).
        live: booked_tickets.into_values().collect(),
        done: Vec::with_capacity(n),
        stats: ServiceStats::new(),
        events: BinaryHeap::new(),
        busy: BTreeMap::new(),
        calling: false,
        window_of: vec![0; n],
        called_at: vec![None; n],
    };
    for (i, p) in plans.iter().enumerate() {
        d.events.push(Reverse((p.arrives, Event::Arrive(i))));
    }
    d.events.push(Reverse((OPENS_S, Event::Opens)));
    if cfg.lunch_break {
        d.events.push(Reverse((LUNCH_FROM_S, Event::LunchStarts)));
        d.events.push(Reverse((LUNCH_TO_S, Event::LunchEnds)));
    }
    let mut seqs = vec![0u32; sim_rules.lines.len()];
    let mut estimates: Vec<Option<u32>> = vec![None; n];
    let mut arrived: Vec<i64> = vec![0; n];

    while let Some(Reverse((now, ev))) = d.events.pop() {
        let at = d.at(now);
        match ev {
            Event::Opens => {
                d.calling = true;
                d.call_all(now, &plans)?;
            }
            Event::LunchStarts | Event::LunchEnds => {
                let open = ev == Event::LunchEnds;
                for (w, off) in d.hall.windows.iter_mut().zip(&lunch_off) {
                    if *off {
                        w.open = open;
                    }
                }
                if open {
                    d.call_all(now, &plans)?;
                }
            }
            Event::Arrive(i) => {
                let p = &plans[i];
                seqs[p.line] += 1;
                let seq = seqs[p.line];
                let id = TicketId(i as i64 + 1);
                let k = match d.pos(i) {
                    Some(k) => {
                        d.live[k].check_in(d.rules, &d.hall, seq, &p.facts, at)?;
                        k
                    }
                    None => {
                        d.live.push(Ticket::walk_in(d.rules, &d.hall, id, &sim_rules.lines[p.line].code, seq, None, &p.facts, Source::Kiosk, at)?);
                        d.live.len() - 1
                    }
                };
                d.stats.record_arrival(&d.live[k], at);
                arrived[i] = now;
                // The live server's estimate for this ticket: `estimate` is `estimate_all` stopped
                // at it (the same play forward; a test checks they agree).
                estimates[i] = estimate(&d.hall, d.rules, &d.stats, &d.live, at, id).map(|e| e.wait_seconds);
                // Only the idle windows serving its line may call it.
                let line = &sim_rules.lines[p.line].code;
                let nos: Vec<u32> = d.hall.windows_serving(line).map(|w| w.no).filter(|no| !d.busy.contains_key(no)).collect();
                for no in nos {
                    d.try_call(no, now, &plans)?;
                }
            }
            Event::Start(i) => {
                let p = d.pos(i).ok_or(HallError::NotFound { what: "ticket", id: (i + 1).to_string() })?;
                d.live[p].start(at)?;
                d.events.push(Reverse((now + plans[i].service_s, Event::Finish(i))));
            }
            Event::Finish(i) => {
                let p = d.pos(i).ok_or(HallError::NotFound { what: "ticket", id: (i + 1).to_string() })?;
                d.live[p].finish(None, at)?;
                let line = d.live[p].line.clone();
                d.stats.record(&line, d.window_of[i], plans[i].service_s);
                d.leave(i, now, &plans)?;
            }
            Event::NotThere(i) => {
                let p = d.pos(i).ok_or(HallError::NotFound { what: "ticket", id: (i + 1).to_string() })?;
                match d.live[p].recall(d.rules, at) {
                    Ok(()) => d.events.push(Reverse((now + RECALL_EVERY_S, Event::NotThere(i)))),
                    Err(HallError::RecallLimit { .. }) => {
                        d.live[p].no_show(at)?;
                        d.leave(i, now, &plans)?;
                    }
                    Err(e) => return Err(e),
                }
            }
        }
    }

    // Figures.
    let mut errors: Vec<f64> = Vec::new();
    let mut signed = 0.0;
    let mut waits: Vec<f64> = Vec::new();
    for ((called, came), estimate) in d.called_at.iter().zip(&arrived).zip(&estimates) {
        if let Some(c) = called {
            let actual = (c - came) as f64;
            waits.push(actual);
            if let Some(e) = estimate {
                errors.push((f64::from(*e) - actual).abs());
                signed += f64::from(*e) - actual;
            }
        }
    }
    errors.sort_by(f64::total_cmp);
    waits.sort_by(f64::total_cmp);
    let mut hours: BTreeMap<u32, (u32, u32)> = BTreeMap::new();
    let mut served = 0;
    let mut no_shows = 0;
    for t in d.done.iter().chain(d.live.iter()) {
        if let Some(s) = t.steps.iter().find(|s| s.action == "walk_in" || s.action == "check_in") {
            hours.entry(local(s.at).hour()).or_default().0 += 1;
        }
        match t.state {
            TicketState::Done => {
                served += 1;
                if let Some(f) = t.finished_at {
                    hours.entry(local(f).hour()).or_default().1 += 1;
                }
            }
            TicketState::NoShow => no_shows += 1,
            _ => {}
        }
    }
    let appointments = u32::try_from(plans.iter().filter(|p| p.slot.is_some()).count()).unwrap_or(u32::MAX);
    let estimated = u32::try_from(errors.len()).unwrap_or(u32::MAX);
    Ok(SimReport {
        tickets: cfg.tickets,
        windows: cfg.windows,
        served,
        no_shows,
        appointments,
        estimated,
        median_abs_error_s: percentile(&errors, 0.5),
        p90_abs_error_s: percentile(&errors, 0.9),
        mean_error_s: if errors.is_empty() { 0.0 } else { signed / errors.len() as f64 },
        mean_wait_s: if waits.is_empty() { 0.0 } else { waits.iter().sum::<f64>() / waits.len() as f64 },
        median_wait_s: percentile(&waits, 0.5),
        max_wait_s: waits.last().copied().unwrap_or(0.0),
        per_hour: hours.into_iter().map(|(h, (i, s))| (h, i, s)).collect(),
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::time::Instant;

    use super::*;

    fn rules() -> HallRules {
        HallRules::embedded().unwrap()
    }

    #[test]
    fn simulate_a_small_day_twice_gives_the_same_report() {
        let r = rules();
        let cfg = SimConfig { tickets: 600, windows: 20, seed: 7, ..SimConfig::default() };
        let a = simulate(&r, &cfg).unwrap();
        let b = simulate(&r, &cfg).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.served + a.no_shows, 600);
        assert!(a.no_shows > 0 && a.no_shows < 100, "{a:?}");
        assert!(a.estimated > 500, "{a:?}");
        assert!(a.median_abs_error_s.is_finite() && a.p90_abs_error_s >= a.median_abs_error_s);
        assert_eq!(a.per_hour.iter().map(|h| h.1).sum::<u32>(), 600);
        assert_eq!(a.per_hour.iter().map(|h| h.2).sum::<u32>(), a.served);
        let c = simulate(&r, &SimConfig { seed: 8, ..cfg }).unwrap();
        assert_ne!(a, c);
    }

    #[test]
    fn simulate_refuses_bad_configurations() {
        let r = rules();
        assert!(matches!(simulate(&r, &SimConfig { windows: 3, ..SimConfig::default() }), Err(HallError::Invalid { field, .. }) if field == "windows"));
        assert!(matches!(simulate(&r, &SimConfig { tickets: 0, ..SimConfig::default() }), Err(HallError::Invalid { field, .. }) if field == "tickets"));
        assert!(matches!(simulate(&r, &SimConfig { no_show_percent: 101, ..SimConfig::default() }), Err(HallError::Invalid { field, .. }) if field == "no_show_percent"));
    }

    #[test]
    fn simulate_a_full_day_of_5000_tickets_over_40_windows() {
        let r = rules();
        let started = Instant::now();
        let report = simulate(&r, &SimConfig::default()).unwrap();
        let took = started.elapsed();
        println!("simulate 5000 tickets / 40 windows: {took:?}; {report:#?}");
        assert_eq!(report.served + report.no_shows, 5000);
        assert!(report.median_abs_error_s.is_finite() && report.median_abs_error_s < 600.0, "{report:?}");
        assert!(report.mean_error_s.abs() < 600.0, "{report:?}");
        assert!(report.estimated >= 4900, "{report:?}");
        // The budget is a second; debug builds are several times slower.
        if !cfg!(debug_assertions) {
            assert!(took < std::time::Duration::from_secs(1), "took {took:?}");
        }
    }
}
