//! The cockpit's governance figures per town and month (China time): issues reported, settled
//! (confirmed, counted in the month of their last resolution), declined and escalated, the median
//! time to settle, overdue issues, fund spending (paid expenses) and projects completed and on
//! time. An accumulator, so a million issues are measured in one pass without holding them.

use std::collections::BTreeMap;

use chrono::DateTime;
use chrono::Utc;
use domain::Fen;
use domain::Month;
use serde::Serialize;

use crate::estate::EstateId;
use crate::funds::Expense;
use crate::funds::ExpenseState;
use crate::issue::Issue;
use crate::issue::IssueState;
use crate::projects::Project;

/// The figures of one town in one month.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TownMonth {
    /// The town.
    pub town: String,
    /// The month.
    pub month: Month,
    /// Issues reported.
    pub reported: u64,
    /// Issues settled (confirmed), by the month of their last resolution.
    pub settled: u64,
    /// Issues declined, by the month of the decline.
    pub declined: u64,
    /// Escalations made in the month (one issue may climb several levels).
    pub escalations: u64,
    /// Issues reported in the month that went overdue at least once.
    pub overdue: u64,
    /// Issues reported in the month that were re-opened at least once.
    pub reopened: u64,
    /// The median hours from report to settlement of the issues settled in the month.
    pub median_hours_to_settle: Option<f64>,
    /// Paid from the estates' public funds in the month.
    pub fund_spent: Fen,
    /// Expense applications paid in the month.
    pub expenses_paid: u64,
    /// Projects completed in the month.
    pub projects_completed: u64,
    /// Of them, completed on time.
    pub projects_on_time: u64,
}

#[derive(Default)]
struct Bucket {
    reported: u64,
    settled: u64,
    declined: u64,
    escalations: u64,
    overdue: u64,
    reopened: u64,
    settle_minutes: Vec<u32>,
    fund_spent: Fen,
    expenses_paid: u64,
    projects_completed: u64,
    projects_on_time: u64,
}

/// Gathers the figures.
#[derive(Default)]
pub struct Measures {
    buckets: BTreeMap<(String, Month), Bucket>,
}

fn month(t: DateTime<Utc>) -> Month {
    Month::of(domain::china_date(t))
}

impl Measures {
    /// Empty.
    pub fn new() -> Measures {
        Measures::default()
    }

    fn bucket(&mut self, town: &str, m: Month) -> &mut Bucket {
        self.buckets.entry((town.to_owned(), m)).or_default()
    }

    /// Counts an issue.
    pub fn add_issue(&mut self, i: &Issue) {
        let b = self.bucket(&i.town, month(i.reported_at));
        b.reported += 1;
        b.overdue += u64::from(i.overdue_count > 0);
        b.reopened += u64::from(i.reopened > 0);
        for e in &i.escalations {
            self.bucket(&i.town, month(e.at)).escalations += 1;
        }
        if i.state == IssueState::Confirmed
            && let Some(r) = i.resolved_at
        {
            let minutes = (r - i.reported_at).num_minutes().clamp(0, i64::from(u32::MAX)) as u32;
            let b = self.bucket(&i.town, month(r));
            b.settled += 1;
            b.settle_minutes.push(minutes);
        }
        if let Some(d) = &i.declined {
            self.bucket(&i.town, month(d.at)).declined += 1;
        }
    }

    /// Counts a paid expense of an estate in `town`.
    pub fn add_expense(&mut self, town: &str, x: &Expense) {
        if let (ExpenseState::Paid, Some(on)) = (x.state, x.paid_on) {
            let b = self.bucket(town, Month::of(on));
            b.fund_spent += x.amount;
            b.expenses_paid += 1;
        }
    }

    /// Counts a completed project.
    pub fn add_project(&mut self, p: &Project) {
        if let Some(on) = p.completed_on {
            let on_time = p.on_time() == Some(true);
            let b = self.bucket(&p.town, Month::of(on));
            b.projects_completed += 1;
            b.projects_on_time += u64::from(on_time);
        }
    }

    /// The figures, by town then month.
    pub fn finish(self) -> Vec<TownMonth> {
        self.buckets
            .into_iter()
            .map(|((town, month), mut b)| TownMonth {
                town,
                month,
                reported: b.reported,
                settled: b.settled,
                declined: b.declined,
                escalations: b.escalations,
                overdue: b.overdue,
                reopened: b.reopened,
                median_hours_to_settle: median(&mut b.settle_minutes).map(|m| m / 60.0),
                fund_spent: b.fund_spent,
                expenses_paid: b.expenses_paid,
                projects_completed: b.projects_completed,
                projects_on_time: b.projects_on_time,
            })
            .collect()
    }
}

/// The median (the mean of the two middle values for an even count).
fn median(v: &mut [u32]) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_unstable();
    let n = v.len();
    Some(if n % 2 == 1 { f64::from(v[n / 2]) } else { (f64::from(v[n / 2 - 1]) + f64::from(v[n / 2])) / 2.0 })
}

/// Everything at once: issues, paid expenses (with their estates' towns) and projects.
pub fn measure(issues: &[Issue], expenses: &[Expense], towns: &BTreeMap<EstateId, String>, projects: &[Project]) -> Vec<TownMonth> {
    let mut m = Measures::new();
    for i in issues {
        m.add_issue(i);
    }
    for x in expenses {
        if let Some(t) = towns.get(&x.estate) {
            m.add_expense(t, x);
        }
    }
    for p in projects {
        m.add_project(p);
    }
    m.finish()
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;
    use crate::estate::ActorId;
    use crate::estate::IssueId;
    use crate::estate::PartyKind;
    use crate::estate::tests::estate;
    use crate::issue::Action;
    use crate::issue::Actor;
    use crate::issue::Role;
    use crate::issue::apply;
    use crate::issue::tests::new_issue;
    use crate::issue::tests::t0;
    use crate::issue::tick;
    use crate::routing::Routing;

    #[test]
    fn settled_escalated_and_declined_per_town_and_month() {
        let (e, r) = (estate(), Routing::embedded().expect("rules"));
        let pc = Actor { id: ActorId(30), role: Role::Party(PartyKind::PropertyCompany) };
        let me = Actor { id: ActorId(102), role: Role::Resident };
        let mut issues = Vec::new();
        for (n, hours) in [(1u64, 2i64), (2, 4), (3, 10)] {
            let (mut i, _) = Issue::report(IssueId(n), new_issue("street_lamp"), &e, &r, t0()).expect("report");
            apply(&mut i, &e, &r, &pc, Action::Accept, t0()).expect("accept");
            apply(&mut i, &e, &r, &pc, Action::Resolve { note: "修好".into() }, t0() + Duration::hours(hours)).expect("resolve");
            apply(&mut i, &e, &r, &me, Action::Confirm, t0() + Duration::hours(hours + 1)).expect("confirm");
            issues.push(i);
        }
        let (mut late, _) = Issue::report(IssueId(4), new_issue("street_lamp"), &e, &r, t0()).expect("report");
        tick(&mut late, &r, t0() + Duration::hours(80));
        issues.push(late);
        let (mut no, _) = Issue::report(IssueId(5), new_issue("street_lamp"), &e, &r, t0()).expect("report");
        apply(&mut no, &e, &r, &pc, Action::Decline { reason: "非本小区".into() }, t0()).expect("decline");
        issues.push(no);
        let m = measure(&issues, &[], &BTreeMap::new(), &[]);
        assert_eq!(m.len(), 1);
        let t = &m[0];
        assert_eq!((t.town.as_str(), t.month.to_string().as_str()), ("chongxian", "2026-03"));
        assert_eq!((t.reported, t.settled, t.declined, t.escalations, t.overdue), (5, 3, 1, 1, 1));
        assert_eq!(t.median_hours_to_settle, Some(4.0));
    }

    #[test]
    fn medians() {
        assert_eq!(median(&mut []), None);
        assert_eq!(median(&mut [5]), Some(5.0));
        assert_eq!(median(&mut [9, 1, 4, 3]), Some(3.5));
    }
}
