//! Deadlines: the application's derived deadline, the date each case next needs the scheduler, and
//! the scheduler's tick that warns before deadlines, marks overdue cases and escalates them.

use std::collections::BTreeMap;

use catalog::Catalog;
use chrono::{DateTime, NaiveDate, Utc};
use domain::{WorkCalendar, china_date};

use crate::application::{Application, CaseStatus, ItemCase, RectificationStatus, Target};
use crate::engine::{Change, Effects, Engine, Rules};
use crate::history::{self, EntryDraft};
use crate::notice::Recipient;

/// The working day `n` working days before `date` (for `n` = 0, `date` itself).
pub fn working_days_before(cal: &WorkCalendar, date: NaiveDate, n: u32) -> NaiveDate {
    let mut d = date;
    let mut left = n;
    while left > 0 {
        d = d.pred_opt().unwrap_or(d);
        if cal.is_working_day(d) {
            left -= 1;
        }
    }
    d
}

fn next_day(d: NaiveDate) -> NaiveDate {
    d.succ_opt().unwrap_or(d)
}

/// Recomputes the date on which the scheduler next has something to do for a case.
pub fn refresh_case(case: &mut ItemCase, cal: &WorkCalendar, rules: &Rules) {
    let mut dates: Vec<NaiveDate> = Vec::new();
    match case.status {
        CaseStatus::Active => {
            if let Some(d) = case.promised_deadline {
                if !case.warned {
                    dates.push(working_days_before(cal, d, rules.warn_working_days));
                }
                if !case.overdue {
                    dates.push(next_day(d));
                }
            }
            if let Some(d) = case.legal_deadline
                && !case.legal_overdue
            {
                dates.push(next_day(d));
            }
            if let Some(d) = case.state_deadline
                && !case.state_overdue
            {
                dates.push(next_day(d));
            }
        }
        CaseStatus::Paused => {
            // Only the applicant's own limit runs while the clock is paused.
            if let Some(d) = case.state_deadline {
                if !case.warned {
                    dates.push(working_days_before(cal, d, rules.warn_working_days));
                }
                if !case.state_overdue {
                    dates.push(next_day(d));
                }
            }
        }
        _ => {}
    }
    case.next_check_on = dates.into_iter().min();
}

/// The application's deadline: the latest expected finish of its cases, where a waiting case is
/// expected to start when its last prerequisite is expected to finish.
pub fn application_deadline(app: &Application, catalog: &Catalog, cal: &WorkCalendar) -> Option<NaiveDate> {
    let bundle = match &app.target {
        Target::Bundle(c) => catalog.bundle(c),
        Target::Item(_) => None,
    };
    let mut expected: BTreeMap<&str, NaiveDate> = BTreeMap::new();
    // Cases are stored in prerequisite order, so prerequisites are computed first.
    for c in &app.cases {
        let end = match c.status {
            CaseStatus::Cancelled => continue,
            CaseStatus::Approved | CaseStatus::Rejected => c.finished_at.map(china_date),
            CaseStatus::Active | CaseStatus::Paused => c.promised_deadline,
            CaseStatus::Waiting => {
                let start = bundle
                    .map(|b| b.prerequisites_of(&c.item))
                    .unwrap_or(&[])
                    .iter()
                    .filter_map(|p| expected.get(p.as_str()).copied())
                    .max()
                    .unwrap_or_else(|| china_date(app.submitted_at));
                Some(cal.add_working_days(start, c.promised_days))
            }
        };
        if let Some(end) = end {
            expected.insert(c.item.as_str(), end);
        }
    }
    expected.values().copied().max()
}

/// The earliest date the scheduler needs to look at an application: its cases' and its open
/// rectifications' next checks.
pub fn application_next_check(app: &Application) -> Option<NaiveDate> {
    let cases = app.cases.iter().filter_map(|c| c.next_check_on);
    let rects = app
        .rectifications
        .iter()
        .filter(|r| r.status == RectificationStatus::Open && !r.overdue)
        .map(|r| next_day(r.due_on));
    cases.chain(rects).min()
}

/// What a tick did to one application.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TickOutcome {
    pub warned: u32,
    pub overdue: u32,
    pub legal_overdue: u32,
    pub state_overdue: u32,
    pub rectifications_overdue: u32,
}

impl TickOutcome {
    pub fn add(&mut self, o: TickOutcome) {
        self.warned += o.warned;
        self.overdue += o.overdue;
        self.legal_overdue += o.legal_overdue;
        self.state_overdue += o.state_overdue;
        self.rectifications_overdue += o.rectifications_overdue;
    }
    pub fn is_empty(&self) -> bool {
        *self == TickOutcome::default()
    }
}

impl Engine<'_> {
    /// The scheduler's pass over one application at `now`: warnings, overdue marks and
    /// escalations that are due, each recorded in the history and noticed.
    pub fn tick(&self, app: &mut Application, now: DateTime<Utc>) -> (TickOutcome, Effects) {
        let now = history::truncate_micros(now);
        let today = china_date(now);
        let mut out = TickOutcome::default();
        let mut head = app.history.clone();
        let mut ch = Change { now, app_id: app.id, head: &mut head, effects: Effects::default(), filing: false };
        let applicant = app.applicant.account;
        let due: Vec<_> = app
            .cases
            .iter()
            .filter(|c| c.next_check_on.is_some_and(|d| d <= today))
            .map(|c| c.id)
            .collect();
        for id in due {
            let Some(case) = app.case_mut(id) else { continue };
            let (item_zh, item_en) = self
                .catalog
                .item(&case.item)
                .map(|i| (i.name.clone(), i.name_en.clone()))
                .unwrap_or_else(|| (case.item.clone(), case.item.clone()));
            let dept = case.department.clone();
            let mut events: Vec<(&str, String, String, Recipient, String, String)> = Vec::new();
            if case.status == CaseStatus::Active {
                if let Some(d) = case.promised_deadline {
                    let left = self.calendar.working_days_between(today, d);
                    if !case.warned && (0..=i64::from(self.rules.warn_working_days)).contains(&left) {
                        case.warned = true;
                        out.warned += 1;
                        events.push((
                            "deadline_warning",
                            format!("承诺时限{d}，剩余{left}个工作日"),
                            format!("promised by {d}, {left} working day(s) left"),
                            Recipient::department(&dept, "clerk"),
                            format!("【预警】「{item_zh}」将于{d}到期（剩余{left}个工作日），请抓紧办理。"),
                            format!("Warning: '{item_en}' is due on {d} ({left} working day(s) left)."),
                        ));
                    }
                    if !case.overdue && today > d {
                        case.overdue = true;
                        case.warned = true;
                        out.overdue += 1;
                        events.push((
                            "overdue",
                            format!("已超过承诺时限{d}，已提请部门督办"),
                            format!("past the promised deadline {d}; escalated to the supervisor"),
                            Recipient::department(&dept, "supervisor"),
                            format!("【督办】「{item_zh}」已超过承诺时限（{d}），请督促办理。"),
                            format!("Escalation: '{item_en}' is past its promised deadline ({d})."),
                        ));
                        events.push((
                            "overdue_applicant",
                            String::new(),
                            String::new(),
                            Recipient::applicant(applicant),
                            format!("【富阳政务】很抱歉，「{item_zh}」未能在承诺时限内办结，已提请督办，我们将尽快办理。"),
                            format!("Sorry, '{item_en}' has passed its promised deadline; it has been escalated."),
                        ));
                    }
                }
                if let Some(d) = case.legal_deadline
                    && !case.legal_overdue
                    && today > d
                {
                    case.legal_overdue = true;
                    out.legal_overdue += 1;
                    events.push((
                        "legal_overdue",
                        format!("已超过法定时限{d}，已报区政务服务管理部门"),
                        format!("past the legal deadline {d}; reported to the district"),
                        Recipient::District,
                        format!("【超法定时限】「{item_zh}」已超过法定时限（{d}）。"),
                        format!("'{item_en}' is past its legal deadline ({d})."),
                    ));
                }
                if let Some(d) = case.state_deadline
                    && !case.state_overdue
                    && today > d
                {
                    case.state_overdue = true;
                    out.state_overdue += 1;
                    events.push((
                        "state_overdue",
                        format!("当前环节已超过时限{d}"),
                        format!("the current step is past its limit {d}"),
                        Recipient::department(&dept, "clerk"),
                        format!("【预警】「{item_zh}」当前环节已超过时限（{d}）。"),
                        format!("'{item_en}': the current step is past its limit ({d})."),
                    ));
                }
            } else if case.status == CaseStatus::Paused
                && let Some(d) = case.state_deadline
            {
                let left = self.calendar.working_days_between(today, d);
                if !case.warned && (0..=i64::from(self.rules.warn_working_days)).contains(&left) {
                    case.warned = true;
                    out.warned += 1;
                    events.push((
                        "supplement_warning",
                        format!("补正期限{d}"),
                        format!("supplement due {d}"),
                        Recipient::applicant(applicant),
                        format!("【富阳政务】请于{d}前为「{item_zh}」提交补正材料。"),
                        format!("Please supply the supplementary materials for '{item_en}' by {d}."),
                    ));
                }
                if !case.state_overdue && today > d {
                    case.state_overdue = true;
                    out.state_overdue += 1;
                    events.push((
                        "supplement_overdue",
                        format!("补正期限{d}已过"),
                        format!("the supplement was due {d}"),
                        Recipient::department(&dept, "clerk"),
                        format!("「{item_zh}」补正期限（{d}）已过，申请人尚未补正。"),
                        format!("'{item_en}': the applicant has not supplied materials due {d}."),
                    ));
                    events.push((
                        "supplement_overdue_applicant",
                        String::new(),
                        String::new(),
                        Recipient::applicant(applicant),
                        format!("【富阳政务】「{item_zh}」的补正期限（{d}）已过，请尽快提交补正材料。"),
                        format!("The supplement for '{item_en}' was due on {d}; please supply it as soon as possible."),
                    ));
                }
            }
            deadline_refresh(case, self);
            for (kind, dzh, den, to, zh, en) in events {
                if !dzh.is_empty() {
                    let mut d = EntryDraft::system(kind);
                    d.case = Some(id);
                    d.detail = serde_json::json!({ "zh": dzh, "en": den }).to_string();
                    ch.log(d);
                }
                ch.notify(to, kind, Some(id), zh, en);
            }
        }
        let rect_due: Vec<usize> = app
            .rectifications
            .iter()
            .enumerate()
            .filter(|(_, r)| r.status == RectificationStatus::Open && !r.overdue && today > r.due_on)
            .map(|(i, _)| i)
            .collect();
        for i in rect_due {
            let r = &mut app.rectifications[i];
            r.overdue = true;
            app.touched.rectifications.insert(r.id);
            out.rectifications_overdue += 1;
            let (due, dept, rid) = (r.due_on, r.department.clone(), r.id);
            let mut d = EntryDraft::system("rectification_overdue");
            d.detail = serde_json::json!({ "rectification": rid.to_string(), "department": dept, "due_on": due.to_string() })
                .to_string();
            ch.log(d);
            ch.notify(
                Recipient::District,
                "rectification_overdue",
                None,
                format!("【差评整改超期】部门「{dept}」的整改单{rid}应于{due}前答复，已超期。"),
                format!("Rectification {rid} of '{dept}' was due on {due} and is overdue."),
            );
        }
        let effects = ch.effects;
        app.history = head;
        (out, effects)
    }
}

fn deadline_refresh(case: &mut ItemCase, engine: &Engine<'_>) {
    refresh_case(case, engine.calendar, engine.rules);
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;
    use domain::{CaseId, WorkCalendar};

    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap_or(NaiveDate::MIN)
    }

    #[test]
    fn working_days_before_skips_holidays_and_counts_adjusted_days() {
        let cal = WorkCalendar::china();
        for (date, n, want) in [
            (d(2025, 10, 9), 0, d(2025, 10, 9)),
            // Before the National Day holiday: 09-30.
            (d(2025, 10, 9), 1, d(2025, 9, 30)),
            (d(2025, 10, 9), 3, d(2025, 9, 28)),
            (d(2025, 9, 29), 1, d(2025, 9, 28)),
            (d(2025, 9, 29), 2, d(2025, 9, 26)),
            // After the Spring Festival 2026: 02-24 ← 02-14 (a Saturday worked) ← 02-13.
            (d(2026, 2, 24), 1, d(2026, 2, 14)),
            (d(2026, 2, 24), 2, d(2026, 2, 13)),
        ] {
            assert_eq!(working_days_before(&cal, date, n), want, "{date} - {n}");
            if n > 0 {
                assert_eq!(cal.working_days_between(want, date), i64::from(n));
            }
        }
    }

    fn case(status: CaseStatus) -> ItemCase {
        ItemCase {
            id: CaseId(1),
            item: "i".into(),
            department: "d".into(),
            workflow: "w".into(),
            status,
            state: Some("s".into()),
            promised_days: 3,
            legal_days: 5,
            started_at: None,
            state_entered_at: None,
            finished_at: None,
            promised_deadline: Some(d(2025, 9, 30)),
            legal_deadline: Some(d(2025, 10, 10)),
            state_deadline: Some(d(2025, 9, 28)),
            paused_since: None,
            paused_days: 0,
            warned: false,
            overdue: false,
            legal_overdue: false,
            state_overdue: false,
            next_check_on: Some(d(2000, 1, 1)),
        }
    }

    #[test]
    fn the_next_check_is_the_earliest_thing_still_to_do() {
        let cal = WorkCalendar::china();
        let rules = Rules::default();
        let check = |c: ItemCase| {
            let mut c = c;
            refresh_case(&mut c, &cal, &rules);
            c.next_check_on
        };
        // Active: the warning (09-29), the day after the state limit (09-29), after the deadline
        // (10-01), after the legal deadline (10-11).
        assert_eq!(check(case(CaseStatus::Active)), Some(d(2025, 9, 29)));
        let warned = ItemCase { warned: true, state_overdue: true, ..case(CaseStatus::Active) };
        assert_eq!(check(warned.clone()), Some(d(2025, 10, 1)));
        assert_eq!(check(ItemCase { overdue: true, ..warned.clone() }), Some(d(2025, 10, 11)));
        assert_eq!(check(ItemCase { overdue: true, legal_overdue: true, ..warned }), None);
        // Paused: only the state's own limit, warned the working day before (09-26).
        assert_eq!(check(case(CaseStatus::Paused)), Some(d(2025, 9, 26)));
        assert_eq!(check(ItemCase { warned: true, ..case(CaseStatus::Paused) }), Some(d(2025, 9, 29)));
        assert_eq!(check(ItemCase { state_deadline: None, ..case(CaseStatus::Paused) }), None);
        for s in [CaseStatus::Waiting, CaseStatus::Approved, CaseStatus::Rejected, CaseStatus::Cancelled] {
            assert_eq!(check(case(s)), None, "{s:?}");
        }
    }

    #[test]
    fn tick_outcomes_add_up() {
        let mut a = TickOutcome { warned: 1, ..TickOutcome::default() };
        assert!(!a.is_empty());
        a.add(TickOutcome { warned: 1, overdue: 2, legal_overdue: 3, state_overdue: 4, rectifications_overdue: 5 });
        assert_eq!(a, TickOutcome { warned: 2, overdue: 2, legal_overdue: 3, state_overdue: 4, rectifications_overdue: 5 });
        assert!(TickOutcome::default().is_empty());
    }
}
