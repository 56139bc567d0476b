//! Who a window calls next and how many are ahead of a ticket: the queue order is priority rank
//! first (higher first), then the time the ticket joined the queue, then its sequence number (and
//! its id, so the order is total); a window calls the tickets waiting for it by name first (after
//! a hold or a transfer to it), then the head of the lines it serves.

use std::cmp::Reverse;
use std::collections::BTreeMap;

use chrono::DateTime;
use chrono::Utc;

use crate::error::HallError;
use crate::hall::Hall;
use crate::hall::TicketId;
use crate::ticket::Ticket;
use crate::ticket::TicketState;

/// A ticket's place in the queue order: smaller is called first.
pub type QueueKey = (Reverse<u32>, DateTime<Utc>, u32, TicketId);

/// A ticket's place in the queue order: priority rank (higher first), the time it joined the
/// queue (its issue time if it never did), its sequence number, its id.
pub fn queue_key(t: &Ticket) -> QueueKey {
    (Reverse(t.priority.rank), t.queued_at.unwrap_or(t.issued_at), t.seq, t.id)
}

/// The window a waiting ticket effectively waits for: its target if that window exists and is
/// open (a ticket sent to a window that has since closed waits in its line again).
pub fn effective_target(hall: &Hall, t: &Ticket) -> Option<u32> {
    t.target_window.filter(|no| hall.window(*no).is_some_and(|w| w.open))
}

/// Whether a window may call a waiting ticket now: the ticket waits for it, or waits for no
/// (open) window and the window serves its line.
pub fn may_call(hall: &Hall, window: u32, t: &Ticket) -> bool {
    match effective_target(hall, t) {
        Some(w) => w == window,
        None => hall.window(window).is_some_and(|w| w.open && w.serves(&t.line)),
    }
}

/// The hall's waiting tickets in queue order.
pub fn ordered(tickets: &[Ticket]) -> Vec<&Ticket> {
    let mut v: Vec<&Ticket> = tickets.iter().filter(|t| t.state == TicketState::Waiting).collect();
    v.sort_by_key(|t| queue_key(t));
    v
}

/// The ticket a window calls next: among the hall's waiting tickets, first those waiting for this
/// window by name, then those of the lines it serves waiting for no window, each in queue order.
/// Errors: the window does not exist (`NotFound`), is closed (`WindowClosed`), or nobody waits
/// that it may call (`NothingToCall`: it serves none of the waiting lines).
pub fn next_for_window(hall: &Hall, window: u32, tickets: &[Ticket]) -> Result<TicketId, HallError> {
    let w = hall.window(window).ok_or_else(|| HallError::NotFound { what: "window", id: window.to_string() })?;
    if !w.open {
        return Err(HallError::WindowClosed { window });
    }
    let waiting = tickets.iter().filter(|t| t.hall == hall.id && t.state == TicketState::Waiting);
    let mut named: Option<(QueueKey, TicketId)> = None;
    let mut lined: Option<(QueueKey, TicketId)> = None;
    for t in waiting {
        let slot = match effective_target(hall, t) {
            Some(no) if no == window => &mut named,
            Some(_) => continue,
            None if w.serves(&t.line) => &mut lined,
            None => continue,
        };
        let k = queue_key(t);
        if slot.as_ref().is_none_or(|(best, _)| k < *best) {
            *slot = Some((k, t.id));
        }
    }
    named.or(lined).map(|(_, id)| id).ok_or(HallError::NothingToCall { window })
}

/// How many waiting tickets will be called before each waiting ticket, built once for many
/// questions. The count is an approximation (a window's choice among lines depends on when it is
/// free): for a ticket waiting for a window by name, those waiting for the same window ahead of
/// it in queue order; for any other, every ticket waiting by name for a window that serves its
/// line, plus the tickets ahead of it in queue order in every line served by a window that serves
/// its line (they compete for the same windows).
#[derive(Debug, Clone)]
pub struct AheadIndex {
    /// The codes of the lines some open window serves, sorted.
    codes: Vec<String>,
    /// Queue keys of the untargeted waiting tickets per line (by index in `codes`), sorted.
    lines: Vec<Vec<QueueKey>>,
    /// Queue keys of the tickets waiting for an open window by name, per window, sorted.
    named: BTreeMap<u32, Vec<QueueKey>>,
    /// Per line: the open windows serving it and the lines those windows serve (indexes in `codes`).
    reach: Vec<(Vec<u32>, Vec<usize>)>,
    /// Each waiting ticket's key, effective target and line index, sorted by id.
    tickets: Vec<(TicketId, QueueKey, Option<u32>, Option<usize>)>,
}

impl AheadIndex {
    /// Indexes the hall's waiting tickets.
    pub fn new(hall: &Hall, tickets: &[Ticket]) -> AheadIndex {
        let codes = hall.lines();
        let mut lines: Vec<Vec<QueueKey>> = vec![Vec::new(); codes.len()];
        let mut named: BTreeMap<u32, Vec<QueueKey>> = BTreeMap::new();
        let mut index: Vec<(TicketId, QueueKey, Option<u32>, Option<usize>)> = Vec::new();
        for t in tickets.iter().filter(|t| t.hall == hall.id && t.state == TicketState::Waiting) {
            let k = queue_key(t);
            let target = effective_target(hall, t);
            let line = codes.binary_search(&t.line).ok();
            match (target, line) {
                (Some(w), _) => named.entry(w).or_default().push(k),
                (None, Some(i)) => lines[i].push(k),
                (None, None) => {}
            }
            index.push((t.id, k, target, line));
        }
        index.sort_unstable_by_key(|x| x.0);
        for v in lines.iter_mut().chain(named.values_mut()) {
            v.sort_unstable();
        }
        let reach = codes
            .iter()
            .map(|line| {
                let windows: Vec<u32> = hall.windows_serving(line).map(|w| w.no).collect();
                let mut near: Vec<usize> = hall.windows_serving(line).flat_map(|w| w.lines.iter()).filter_map(|l| codes.binary_search(l).ok()).collect();
                near.sort_unstable();
                near.dedup();
                (windows, near)
            })
            .collect();
        AheadIndex { codes, lines, named, reach, tickets: index }
    }

    fn find(&self, id: TicketId) -> Option<&(TicketId, QueueKey, Option<u32>, Option<usize>)> {
        self.tickets.binary_search_by_key(&id, |x| x.0).ok().and_then(|i| self.tickets.get(i))
    }

    /// How many are ahead of a waiting ticket (`None` when it is not waiting or no open window
    /// may call it).
    pub fn ahead(&self, id: TicketId) -> Option<u32> {
        let (_, key, target, line) = self.find(id)?;
        let before = |v: &Vec<QueueKey>| v.partition_point(|k| k < key);
        let n = match target {
            Some(w) => self.named.get(w).map_or(0, before),
            None => {
                let (windows, near) = self.reach.get((*line)?)?;
                let by_name: usize = windows.iter().map(|w| self.named.get(w).map_or(0, Vec::len)).sum();
                let in_lines: usize = near.iter().map(|l| self.lines.get(*l).map_or(0, before)).sum();
                by_name + in_lines
            }
        };
        Some(u32::try_from(n).unwrap_or(u32::MAX))
    }

    /// How many open windows may call a waiting ticket.
    pub fn windows(&self, id: TicketId) -> Option<u32> {
        let (_, _, target, line) = self.find(id)?;
        match target {
            Some(_) => Some(1),
            None => self.reach.get((*line)?).map(|(w, _)| u32::try_from(w.len()).unwrap_or(u32::MAX)),
        }
    }

    /// The lines some open window serves, sorted.
    pub fn lines(&self) -> &[String] {
        &self.codes
    }

    /// How many are ahead of, and how many open windows may call, every waiting ticket an open
    /// window may call, sorted by id: the same counts as [`AheadIndex::ahead`] and
    /// [`AheadIndex::windows`], in one linear walk per line.
    pub fn all(&self) -> Vec<(TicketId, u32, u32)> {
        let mut out: Vec<(TicketId, u32, u32)> = Vec::with_capacity(self.tickets.len());
        let n32 = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
        for keys in self.named.values() {
            out.extend(keys.iter().enumerate().map(|(i, k)| (k.3, n32(i), 1)));
        }
        for (l, keys) in self.lines.iter().enumerate() {
            let Some((windows, near)) = self.reach.get(l) else { continue };
            let by_name: usize = windows.iter().map(|w| self.named.get(w).map_or(0, Vec::len)).sum();
            let mut at: Vec<usize> = vec![0; near.len()];
            for key in keys {
                let mut n = by_name;
                for (j, other) in near.iter().enumerate() {
                    let v = &self.lines[*other];
                    while at[j] < v.len() && v[at[j]] < *key {
                        at[j] += 1;
                    }
                    n += at[j];
                }
                out.push((key.3, n32(n), n32(windows.len())));
            }
        }
        out.sort_unstable_by_key(|x| x.0);
        out
    }
}

/// How many waiting tickets will be called before a waiting ticket (see [`AheadIndex`] for the
/// approximation); `None` when it is not waiting or no open window may call it.
pub fn ahead(hall: &Hall, tickets: &[Ticket], id: TicketId) -> Option<u32> {
    AheadIndex::new(hall, tickets).ahead(id)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::hall::tests::sample;
    use crate::ticket::PersonFacts;
    use crate::ticket::Source;
    use crate::ticket::tests::rules;
    use crate::ticket::tests::u;
    use crate::ticket::tests::walk;

    #[test]
    fn priority_then_queue_time_then_seq() {
        let h = sample();
        let r = rules();
        let a = walk(1, "social_insurance", 1, u(7, 9, 0));
        let b = walk(2, "social_insurance", 2, u(7, 9, 1));
        let elder = Ticket::walk_in(&r, &h, TicketId(3), "social_insurance", 3, None, &PersonFacts { age: Some(80), disabled: false }, Source::Kiosk, u(7, 9, 2)).unwrap();
        let tax = walk(4, "tax", 1, u(7, 8, 50));
        let all = vec![a.clone(), b.clone(), elder.clone(), tax.clone()];
        let order: Vec<i64> = ordered(&all).iter().map(|t| t.id.0).collect();
        assert_eq!(order, [3, 4, 1, 2]);
        assert_eq!(next_for_window(&h, 1, &all).unwrap(), TicketId(3));
        assert_eq!(next_for_window(&h, 3, &all).unwrap(), TicketId(4));
        assert_eq!(next_for_window(&h, 4, &all).unwrap(), TicketId(3));
        assert_eq!(ahead(&h, &all, TicketId(1)), Some(2)); // the elder and the tax ticket (window 4 serves both lines)
        assert_eq!(ahead(&h, &all, TicketId(3)), Some(0));
        assert_eq!(ahead(&h, &all, TicketId(4)), Some(1)); // the elder, who window 4 may take first
        let idx = AheadIndex::new(&h, &all);
        assert_eq!(idx.windows(TicketId(1)), Some(3));
        assert_eq!(idx.windows(TicketId(4)), Some(2));
        assert_eq!(idx.all(), [(TicketId(1), 2, 3), (TicketId(2), 3, 3), (TicketId(3), 0, 3), (TicketId(4), 1, 2)]);
    }

    #[test]
    fn a_window_calls_those_waiting_for_it_first() {
        let h = sample();
        let r = rules();
        let a = walk(1, "social_insurance", 1, u(7, 9, 0));
        let mut b = walk(2, "social_insurance", 2, u(7, 9, 1));
        b.call(&h, 2, u(7, 9, 5)).unwrap();
        b.start(u(7, 9, 6)).unwrap();
        b.transfer(&r, &h, None, Some(3), u(7, 9, 7)).unwrap();
        let all = vec![a, b];
        assert_eq!(next_for_window(&h, 3, &all).unwrap(), TicketId(2));
        assert_eq!(next_for_window(&h, 1, &all).unwrap(), TicketId(1));
        assert_eq!(ahead(&h, &all, TicketId(2)), Some(0));
        assert_eq!(ahead(&h, &all, TicketId(1)), Some(0));
        // Window 3 closes: the ticket sent to it waits in its line again.
        let mut h2 = h.clone();
        h2.windows[2].open = false;
        assert_eq!(next_for_window(&h2, 1, &all).unwrap(), TicketId(1));
        assert_eq!(ahead(&h2, &all, TicketId(2)), Some(1));
    }

    #[test]
    fn bad_calls_are_refused() {
        let h = sample();
        let all = vec![walk(1, "social_insurance", 1, u(7, 9, 0))];
        assert!(matches!(next_for_window(&h, 3, &all), Err(HallError::NothingToCall { window: 3 })));
        assert!(matches!(next_for_window(&h, 5, &all), Err(HallError::WindowClosed { window: 5 })));
        assert!(matches!(next_for_window(&h, 42, &all), Err(HallError::NotFound { what: "window", .. })));
        assert!(matches!(next_for_window(&h, 1, &[]), Err(HallError::NothingToCall { .. })));
        assert_eq!(ahead(&h, &all, TicketId(9)), None);
    }

    proptest! {
        #[test]
        fn next_for_window_returns_the_head_of_what_the_window_may_call(
            specs in proptest::collection::vec((0usize..3, 0u32..4, 0u32..120, proptest::option::of(1u32..6)), 0..30),
            window in 1u32..6,
        ) {
            let h = sample();
            let lines = ["social_insurance", "tax", "real_estate"];
            let tickets: Vec<Ticket> = specs.iter().enumerate().map(|(i, (l, rank, minute, target))| {
                let mut t = walk(i as i64 + 1, "social_insurance", i as u32 + 1, u(7, 9, 0));
                t.line = lines[*l].to_owned();
                t.priority.rank = *rank;
                t.queued_at = Some(u(7, 9, 0) + chrono::Duration::minutes(i64::from(*minute)));
                t.target_window = *target;
                t
            }).collect();
            let may: Vec<&Ticket> = tickets.iter().filter(|t| may_call(&h, window, t)).collect();
            match next_for_window(&h, window, &tickets) {
                Ok(id) => {
                    let t = tickets.iter().find(|t| t.id == id).unwrap();
                    prop_assert!(may_call(&h, window, t));
                    let named = may.iter().any(|x| effective_target(&h, x) == Some(window));
                    let head = may.iter().filter(|x| !named || effective_target(&h, x) == Some(window)).min_by_key(|x| queue_key(x)).unwrap();
                    prop_assert_eq!(head.id, id);
                }
                Err(HallError::WindowClosed { .. }) => prop_assert!(!h.window(window).unwrap().open),
                Err(HallError::NothingToCall { .. }) => prop_assert!(may.is_empty()),
                Err(e) => prop_assert!(false, "{e:?}"),
            }
        }
    }
}
