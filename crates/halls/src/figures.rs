//! The hall cockpit: waiting now, average and longest wait, service time and satisfaction per
//! window, issued and served per line and per hour, no-shows and appointments — for one hall from
//! its tickets of a day or a period, and for the district by adding the halls' figures.

use std::collections::BTreeMap;

use chrono::DateTime;
use chrono::Timelike;
use chrono::Utc;
use serde::Deserialize;
use serde::Serialize;

use crate::hall::Hall;
use crate::hall::HallId;
use crate::hall::local;
use crate::rules::HallRules;
use crate::ticket::Source;
use crate::ticket::Ticket;
use crate::ticket::TicketState;

/// One window's figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WindowFigure {
    /// The hall.
    pub hall: HallId,
    /// The window's number.
    pub no: u32,
    /// Its name.
    pub name: String,
    /// Services done there.
    pub served: u32,
    /// Their mean duration in seconds.
    pub avg_service_s: Option<f64>,
    /// Ratings given.
    pub ratings: u32,
    /// The mean rating (1–5).
    pub satisfaction: Option<f64>,
}

/// One line's figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LineFigure {
    /// The line's code.
    pub code: String,
    /// Its Chinese name.
    pub name_zh: String,
    /// Tickets with a number (taken, or appointments checked in).
    pub issued: u32,
    /// Done.
    pub served: u32,
    /// Tickets called (whose wait is known).
    pub called: u32,
    /// Their mean wait in seconds.
    pub avg_wait_s: Option<f64>,
    /// The mean service time of the done ones in seconds.
    pub avg_service_s: Option<f64>,
}

/// One local hour's figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct HourFigure {
    /// The local hour, 0–23.
    pub hour: u32,
    /// Tickets issued (taken or checked in) in that hour.
    pub issued: u32,
    /// Services finished in that hour.
    pub served: u32,
}

/// The cockpit's figures of a hall (or, added up, of the district).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct HallFigures {
    /// Waiting now.
    pub waiting_now: u32,
    /// Called or being served now.
    pub serving_now: u32,
    /// The longest anyone waiting now has waited, in seconds (0 when nobody waits).
    pub longest_waiting_now_s: i64,
    /// Tickets called (whose wait is known).
    pub called: u32,
    /// Their mean wait in seconds.
    pub avg_wait_s: Option<f64>,
    /// The longest wait in seconds.
    pub longest_wait_s: Option<i64>,
    /// Done.
    pub served: u32,
    /// Called and did not come.
    pub no_shows: u32,
    /// Appointments booked (checked in or not).
    pub appointments: u32,
    /// Per window, by hall and number.
    pub per_window: Vec<WindowFigure>,
    /// Per line, in the rules' order.
    pub per_line: Vec<LineFigure>,
    /// Per local hour with any ticket, ascending.
    pub per_hour: Vec<HourFigure>,
}

/// A running mean.
#[derive(Default, Clone, Copy)]
struct Mean {
    n: u32,
    sum: f64,
}

impl Mean {
    fn add(&mut self, x: f64) {
        self.n += 1;
        self.sum += x;
    }

    fn get(self) -> Option<f64> {
        if self.n == 0 { None } else { Some(self.sum / f64::from(self.n)) }
    }
}

/// Weighted mean of two means.
fn merge_mean(a: Option<f64>, na: u32, b: Option<f64>, nb: u32) -> Option<f64> {
    match (a, b) {
        (Some(x), Some(y)) if na + nb > 0 => Some((x * f64::from(na) + y * f64::from(nb)) / f64::from(na + nb)),
        (Some(x), _) => Some(x),
        (_, y) => y,
    }
}

/// The figures of one hall from its tickets (of a day or a period; tickets of other halls are
/// left out) at `now`.
pub fn hall_figures(hall: &Hall, rules: &HallRules, tickets: &[Ticket], now: DateTime<Utc>) -> HallFigures {
    let mut f = HallFigures::default();
    let mut wait = Mean::default();
    let mut windows: BTreeMap<u32, (Mean, Mean)> = BTreeMap::new();
    let mut lines: BTreeMap<&str, (u32, u32, Mean, Mean)> = BTreeMap::new();
    let mut hours: BTreeMap<u32, (u32, u32)> = BTreeMap::new();
    for t in tickets.iter().filter(|t| t.hall == hall.id) {
        match t.state {
            TicketState::Waiting => {
                f.waiting_now += 1;
                let waited = (now - t.queued_at.unwrap_or(t.issued_at)).num_seconds().max(0);
                f.longest_waiting_now_s = f.longest_waiting_now_s.max(waited);
            }
            TicketState::Called | TicketState::Serving => f.serving_now += 1,
            TicketState::Done => f.served += 1,
            TicketState::NoShow => f.no_shows += 1,
            _ => {}
        }
        if t.source == Source::Appointment {
            f.appointments += 1;
        }
        let line = lines.entry(t.line.as_str()).or_default();
        if !t.number.is_empty() {
            line.0 += 1;
            let joined = t.steps.iter().find(|s| s.action == "walk_in" || s.action == "check_in").map_or(t.issued_at, |s| s.at);
            hours.entry(local(joined).hour()).or_default().0 += 1;
        }
        if let Some(w) = t.wait_seconds() {
            wait.add(w as f64);
            line.2.add(w as f64);
            f.longest_wait_s = Some(f.longest_wait_s.map_or(w, |m| m.max(w)));
        }
        if let Some(s) = t.service_seconds() {
            line.1 += 1;
            line.3.add(s as f64);
            if let Some(no) = t.window {
                windows.entry(no).or_default().0.add(s as f64);
            }
            if let Some(done) = t.finished_at {
                hours.entry(local(done).hour()).or_default().1 += 1;
            }
        }
        if let (Some(r), Some(no)) = (t.rating, t.window) {
            windows.entry(no).or_default().1.add(f64::from(r));
        }
    }
    f.called = wait.n;
    f.avg_wait_s = wait.get();
    f.per_window = hall
        .windows
        .iter()
        .map(|w| {
            let (service, rating) = windows.get(&w.no).copied().unwrap_or_default();
            WindowFigure { hall: hall.id, no: w.no, name: w.name.clone(), served: service.n, avg_service_s: service.get(), ratings: rating.n, satisfaction: rating.get() }
        })
        .collect();
    let mut per_line: Vec<LineFigure> = Vec::new();
    for rule in &rules.lines {
        if let Some((issued, served, w, s)) = lines.remove(rule.code.as_str()) {
            per_line.push(LineFigure { code: rule.code.clone(), name_zh: rule.name_zh.clone(), issued, served, called: w.n, avg_wait_s: w.get(), avg_service_s: s.get() });
        }
    }
    for (code, (issued, served, w, s)) in lines {
        per_line.push(LineFigure { code: code.to_owned(), name_zh: code.to_owned(), issued, served, called: w.n, avg_wait_s: w.get(), avg_service_s: s.get() });
    }
    f.per_line = per_line;
    f.per_hour = hours.into_iter().map(|(hour, (issued, served))| HourFigure { hour, issued, served }).collect();
    f
}

impl HallFigures {
    /// Adds another hall's figures (counts add, means weigh by their counts, longest take the
    /// longer, windows are listed side by side, lines and hours add up).
    pub fn add(&mut self, o: &HallFigures) {
        self.waiting_now += o.waiting_now;
        self.serving_now += o.serving_now;
        self.longest_waiting_now_s = self.longest_waiting_now_s.max(o.longest_waiting_now_s);
        self.avg_wait_s = merge_mean(self.avg_wait_s, self.called, o.avg_wait_s, o.called);
        self.called += o.called;
        self.longest_wait_s = match (self.longest_wait_s, o.longest_wait_s) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        self.served += o.served;
        self.no_shows += o.no_shows;
        self.appointments += o.appointments;
        self.per_window.extend(o.per_window.iter().cloned());
        self.per_window.sort_by_key(|w| (w.hall, w.no));
        for l in &o.per_line {
            match self.per_line.iter_mut().find(|x| x.code == l.code) {
                Some(x) => {
                    x.avg_wait_s = merge_mean(x.avg_wait_s, x.called, l.avg_wait_s, l.called);
                    x.avg_service_s = merge_mean(x.avg_service_s, x.served, l.avg_service_s, l.served);
                    x.issued += l.issued;
                    x.served += l.served;
                    x.called += l.called;
                }
                None => self.per_line.push(l.clone()),
            }
        }
        for h in &o.per_hour {
            match self.per_hour.iter_mut().find(|x| x.hour == h.hour) {
                Some(x) => {
                    x.issued += h.issued;
                    x.served += h.served;
                }
                None => self.per_hour.push(*h),
            }
        }
        self.per_hour.sort_by_key(|h| h.hour);
    }
}

/// The district's figures: every hall's, added up.
pub fn district_figures(halls: &[(&Hall, &[Ticket])], rules: &HallRules, now: DateTime<Utc>) -> HallFigures {
    let mut total = HallFigures::default();
    for (hall, tickets) in halls {
        total.add(&hall_figures(hall, rules, tickets, now));
    }
    total
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::hall::TicketId;
    use crate::hall::tests::sample;
    use crate::ticket::tests::rules;
    use crate::ticket::tests::u;
    use crate::ticket::tests::walk;

    #[test]
    fn a_small_day_adds_up() {
        let r = rules();
        let h = sample();
        let mut a = walk(1, "social_insurance", 1, u(7, 9, 0));
        a.call(&h, 1, u(7, 9, 10)).unwrap();
        a.start(u(7, 9, 11)).unwrap();
        a.finish(None, u(7, 9, 21)).unwrap();
        a.rate(4, u(7, 9, 22)).unwrap();
        let mut b = walk(2, "social_insurance", 2, u(7, 9, 5));
        b.call(&h, 1, u(7, 9, 35)).unwrap();
        b.start(u(7, 9, 36)).unwrap();
        b.finish(None, u(7, 10, 6)).unwrap();
        b.rate(2, u(7, 10, 7)).unwrap();
        let mut c = walk(3, "tax", 1, u(7, 9, 50));
        c.call(&h, 3, u(7, 9, 55)).unwrap();
        c.no_show(u(7, 9, 58)).unwrap();
        let d = walk(4, "tax", 2, u(7, 10, 0));
        let booked = Ticket::book(&r, &h, TicketId(5), "tax", 9, crate::hall::tests::at(8, 9, 0), 0, u(7, 9, 0)).unwrap();
        let tickets = vec![a, b, c, d, booked];
        let f = hall_figures(&h, &r, &tickets, u(7, 10, 10));
        assert_eq!((f.waiting_now, f.serving_now, f.longest_waiting_now_s), (1, 0, 600));
        assert_eq!((f.served, f.no_shows, f.appointments, f.called), (2, 1, 1, 3));
        // Waits: 600, 1800, 300.
        assert_eq!(f.avg_wait_s, Some(900.0));
        assert_eq!(f.longest_wait_s, Some(1800));
        let w1 = &f.per_window[0];
        assert_eq!((w1.served, w1.avg_service_s, w1.ratings, w1.satisfaction), (2, Some(1200.0), 2, Some(3.0)));
        assert_eq!(f.per_window[2].served, 0);
        assert_eq!(f.per_line.len(), 2);
        assert_eq!((f.per_line[0].code.as_str(), f.per_line[0].issued, f.per_line[0].served), ("social_insurance", 2, 2));
        assert_eq!((f.per_line[1].code.as_str(), f.per_line[1].issued, f.per_line[1].avg_wait_s), ("tax", 2, Some(300.0)));
        assert_eq!(f.per_hour, [HourFigure { hour: 9, issued: 3, served: 1 }, HourFigure { hour: 10, issued: 1, served: 1 }]);

        let mut other = h.clone();
        other.id = HallId(2);
        let mut e = walk(6, "tax", 1, u(7, 9, 0));
        e.hall = HallId(2);
        e.call(&other, 3, u(7, 9, 20)).unwrap();
        let g = district_figures(&[(&h, &tickets), (&other, &[e])], &r, u(7, 10, 10));
        assert_eq!((g.called, g.serving_now, g.served), (4, 1, 2));
        assert_eq!(g.avg_wait_s, Some((600.0 + 1800.0 + 300.0 + 1200.0) / 4.0));
        assert_eq!(g.per_window.len(), 10);
        assert_eq!(g.per_line.iter().find(|l| l.code == "tax").map(|l| (l.issued, l.called)), Some((3, 2)));
        assert_eq!(g.per_hour[0], HourFigure { hour: 9, issued: 4, served: 1 });
    }
}
