//! Deadlines in working days with Chinese holidays and adjusted working days; the scheduler's
//! tick: warnings, overdue marks, escalations, paused clocks and `next_check_on`.

use catalog::Role;
use chrono::{Duration, NaiveDate};
use onething::{AppStatus, CaseStatus, Recipient, TickOutcome, application_next_check};

use crate::harness::*;
use crate::tiny;

/// The tiny catalog plus one item `x` with the given limits.
fn world_with_x(promised: u32, legal: u32) -> World {
    let x = format!(
        r#"
[[item]]
code = "x"
name = "某事项"
name_en = "Item X"
department = "d1"
subject = "person"
legal_days = {legal}
promised_days = {promised}
levels = ["district"]
online = true
visits = 1
workflow = "simple"
materials = ["id_card"]
"#
    );
    World::inline(&[tiny::BASE, &x])
}

#[test]
fn promised_deadlines_count_working_days_across_holidays_and_adjusted_days() {
    // (submitted, China time; promised days; expected promised deadline)
    type Row = ((i32, u32, u32, u32, u32), u32, (i32, u32, u32));
    let table: &[Row] = &[
        // National Day 2025: 10-01 … 10-08 off; Sunday 09-28 and Saturday 10-11 are working days.
        ((2025, 9, 26, 9, 0), 1, (2025, 9, 28)),
        ((2025, 9, 26, 9, 0), 2, (2025, 9, 29)),
        ((2025, 9, 26, 9, 0), 3, (2025, 9, 30)),
        ((2025, 9, 26, 9, 0), 4, (2025, 10, 9)),
        ((2025, 9, 26, 9, 0), 6, (2025, 10, 11)),
        ((2025, 9, 26, 9, 0), 7, (2025, 10, 13)),
        ((2025, 9, 30, 17, 0), 1, (2025, 10, 9)),
        // Filed during the holiday: counting starts on the next working day.
        ((2025, 10, 3, 10, 0), 1, (2025, 10, 9)),
        ((2025, 10, 10, 10, 0), 1, (2025, 10, 11)),
        // The day is China's: 00:30 on Sunday 09-28 is still Saturday 09-27 in UTC.
        ((2025, 9, 28, 0, 30), 1, (2025, 9, 29)),
        ((2025, 9, 27, 23, 59), 1, (2025, 9, 28)),
        // Spring Festival 2026: 02-15 … 02-23 off; Saturdays 02-14 and 02-28 are working days.
        ((2026, 2, 13, 9, 0), 1, (2026, 2, 14)),
        ((2026, 2, 13, 9, 0), 2, (2026, 2, 24)),
        ((2026, 2, 13, 9, 0), 5, (2026, 2, 27)),
        ((2026, 2, 13, 9, 0), 6, (2026, 2, 28)),
        ((2026, 2, 13, 9, 0), 7, (2026, 3, 2)),
        ((2026, 2, 18, 9, 0), 1, (2026, 2, 24)),
        // New Year 2026: 01-01 … 01-03 off, Sunday 01-04 worked.
        ((2025, 12, 31, 9, 0), 1, (2026, 1, 4)),
        ((2025, 12, 31, 9, 0), 2, (2026, 1, 5)),
    ];
    for &((y, m, d, h, mi), promised, (ey, em, ed)) in table {
        let w = world_with_x(promised, promised + 5);
        let s = Story::submit(&w, Submission::item("x"), china(y, m, d, h, mi));
        assert_eq!(
            s.case("x").promised_deadline,
            Some(date(ey, em, ed)),
            "filed {y}-{m}-{d} {h}:{mi}, {promised} working days"
        );
        assert_eq!(s.app.deadline, Some(date(ey, em, ed)));
    }
}

#[test]
fn the_bundle_deadline_is_the_latest_expected_finish_along_the_prerequisites() {
    let w = tiny::world();
    let mut s = Story::submit(&w, Submission::bundle("chain"), start_time());
    // a: 2 days → 09-29; b starts then, 3 days → 10-10; c, 1 day → 10-11 (a Saturday worked);
    // d: 4 days → 10-09.
    assert_eq!(s.case("a").promised_deadline, Some(date(2025, 9, 29)));
    assert_eq!(s.case("d").promised_deadline, Some(date(2025, 10, 9)));
    assert_eq!(s.app.deadline, Some(date(2025, 10, 11)));
    assert!(s.notices[0].text_zh.contains("预计2025-10-11前办结"), "{}", s.notices[0].text_zh);
    // a finishes early, on Sunday 09-28: b and c are now expected a day earlier.
    s.set_now(china(2025, 9, 28, 9, 0));
    s.approve("a");
    assert_eq!(s.case("b").promised_deadline, Some(date(2025, 10, 9)));
    assert_eq!(s.app.deadline, Some(date(2025, 10, 10)));
    // c is rejected… no: b is; c is cancelled and drops out; d's deadline is the bundle's.
    s.act("b", "refuse", &actor(STAFF, &[Role::Clerk]), Some("不符合条件"));
    assert_eq!(s.app.deadline, Some(date(2025, 10, 9)));
}

#[test]
fn the_diamond_bottom_is_expected_after_its_slower_side() {
    let w = tiny::world();
    let s = Story::submit(&w, Submission::bundle("diamond"), start_time());
    // a → 09-29; b (3) → 10-10; e (2) → 10-09; f (1) after both → 10-11.
    assert_eq!(s.app.deadline, Some(date(2025, 10, 11)));
}

#[test]
fn the_tick_warns_marks_overdue_and_escalates_each_once() {
    let w = tiny::world();
    let mut s = Story::submit(&w, Submission::item("a"), start_time());
    s.act("a", "accept", &actor(STAFF, &[Role::Clerk]), None);
    let id = s.case_id("a");
    assert_eq!(s.case("a").promised_deadline, Some(date(2025, 9, 29)));
    assert_eq!(s.case("a").legal_deadline, Some(date(2025, 10, 10)));
    // Warn one working day before the deadline: Sunday 09-28, an adjusted working day.
    assert_eq!(s.case("a").next_check_on, Some(date(2025, 9, 28)));
    assert_eq!(application_next_check(&s.app), Some(date(2025, 9, 28)));

    s.set_now(china(2025, 9, 27, 8, 0));
    assert!(s.tick().is_empty(), "nothing is due on Saturday");

    s.set_now(china(2025, 9, 28, 8, 0));
    let before = s.notices.len();
    assert_eq!(s.tick(), TickOutcome { warned: 1, ..TickOutcome::default() });
    let n = &s.notices[before..];
    assert_eq!(n.len(), 1);
    assert_eq!(n[0].recipient, Recipient::department("d1", "clerk"));
    assert_eq!(n[0].kind, "deadline_warning");
    assert_eq!(n[0].case, Some(id));
    assert_eq!(n[0].text_zh, "【预警】「甲事项」将于2025-09-29到期（剩余1个工作日），请抓紧办理。");
    assert!(s.case("a").warned);
    // The next check is the day after the deadline.
    assert_eq!(s.case("a").next_check_on, Some(date(2025, 9, 30)));
    assert!(s.tick().is_empty(), "a second tick the same day does nothing");

    s.set_now(china(2025, 9, 29, 23, 59));
    assert!(s.tick().is_empty(), "the deadline day itself is not overdue");

    s.set_now(china(2025, 9, 30, 0, 1));
    let before = s.notices.len();
    assert_eq!(s.tick(), TickOutcome { overdue: 1, ..TickOutcome::default() });
    let n: Vec<_> = s.notices[before..].iter().map(|n| (n.recipient.clone(), n.kind.as_str())).collect();
    assert_eq!(
        n,
        [
            (Recipient::department("d1", "supervisor"), "overdue"),
            (Recipient::applicant(APPLICANT), "overdue_applicant"),
        ]
    );
    assert!(s.case("a").overdue);
    assert!(!s.case("a").legal_overdue);
    // The legal deadline is Friday 10-10; overdue from Saturday 10-11.
    assert_eq!(s.case("a").next_check_on, Some(date(2025, 10, 11)));
    s.set_now(china(2025, 10, 10, 12, 0));
    assert!(s.tick().is_empty());
    s.set_now(china(2025, 10, 11, 9, 0));
    let before = s.notices.len();
    assert_eq!(s.tick(), TickOutcome { legal_overdue: 1, ..TickOutcome::default() });
    assert_eq!(s.notices[before].recipient, Recipient::District);
    assert_eq!(s.notices[before].text_zh, "【超法定时限】「甲事项」已超过法定时限（2025-10-10）。");
    assert!(s.case("a").legal_overdue);
    assert_eq!(s.case("a").next_check_on, None, "nothing more to watch");
    s.set_now(china(2025, 12, 1, 9, 0));
    assert!(s.tick().is_empty());

    // Each tick event is one history entry (the applicant's apology is a notice only).
    let hist: Vec<_> = actions(&s.app, &s.history);
    assert_eq!(hist, ["submitted", "a:started", "a:accept", "a:deadline_warning", "a:overdue", "a:legal_overdue"]);
    s.verify_history();

    // Still open and overdue, it can be finished.
    s.approve("a");
    assert_eq!(s.app.status, AppStatus::Completed);
}

#[test]
fn a_tick_long_after_the_deadline_marks_every_overdue_at_once() {
    let w = tiny::world();
    let mut s = Story::submit(&w, Submission::item("a"), start_time());
    s.set_now(china(2025, 11, 3, 9, 0));
    let out = s.tick();
    // Never warned: past the deadline, a warning would be pointless.
    assert_eq!(
        out,
        TickOutcome { warned: 0, overdue: 1, legal_overdue: 1, state_overdue: 1, rectifications_overdue: 0 }
    );
    let kinds: Vec<_> = s.notices.iter().skip(1).map(|n| n.kind.as_str()).collect();
    assert_eq!(kinds, ["overdue", "overdue_applicant", "legal_overdue", "state_overdue"]);
    let c = s.case("a");
    assert!(c.overdue && c.legal_overdue && c.state_overdue && c.warned);
    assert_eq!(c.next_check_on, None);
    s.verify_history();
}

#[test]
fn a_state_limit_goes_overdue_to_the_clerk() {
    let w = tiny::world();
    let mut s = Story::submit(&w, Submission::item("a"), start_time());
    // intake: 1 working day → Sunday 09-28.
    assert_eq!(s.case("a").state_deadline, Some(date(2025, 9, 28)));
    s.set_now(china(2025, 9, 28, 9, 0));
    assert_eq!(s.tick().warned, 1);
    s.set_now(china(2025, 9, 29, 9, 0));
    let before = s.notices.len();
    assert_eq!(s.tick(), TickOutcome { state_overdue: 1, ..TickOutcome::default() });
    assert_eq!(s.notices[before].recipient, Recipient::department("d1", "clerk"));
    assert_eq!(s.notices[before].text_zh, "【预警】「甲事项」当前环节已超过时限（2025-09-28）。");
    // Moving on clears the state's overdue mark.
    s.act("a", "accept", &actor(STAFF, &[Role::Clerk]), None);
    assert!(!s.case("a").state_overdue);
    assert_eq!(s.case("a").state_deadline, None);
}

#[test]
fn a_supplement_pauses_the_clock_and_moves_the_deadlines_by_the_working_days_paused() {
    let w = tiny::world();
    let clerk = actor(STAFF, &[Role::Clerk]);
    let mut s = Story::submit(&w, Submission::item("a"), start_time());
    s.act("a", "accept", &clerk, None);
    let e = s.act("a", "request_supplement", &clerk, Some("请补充申请书原件"));
    let c = s.case("a");
    assert_eq!(c.status, CaseStatus::Paused);
    assert_eq!(c.paused_since, Some(s.now));
    assert_eq!(s.app.status, AppStatus::Supplementing);
    // The supplement state allows the applicant 3 working days: 09-28, 09-29, 09-30.
    assert_eq!(c.state_deadline, Some(date(2025, 9, 30)));
    assert_eq!(
        e.notices[0].text_zh,
        "【富阳政务】「甲事项」需要补正材料：请补充申请书原件，请于2025-09-30前补正。补正期间暂停计时。"
    );
    // While paused only the applicant's limit is watched: warned the working day before.
    assert_eq!(c.next_check_on, Some(date(2025, 9, 29)));

    // Ticks every day through the holiday: the promised deadline (09-29) passes unnoticed.
    let mut kinds = Vec::new();
    let mut day = date(2025, 9, 27);
    while day <= date(2025, 10, 9) {
        s.set_now(domain::china_start_of_day(day) + Duration::hours(8));
        let before = s.notices.len();
        s.tick();
        kinds.extend(s.notices[before..].iter().map(|n| (day, n.recipient.clone(), n.kind.clone())));
        day = day.succ_opt().unwrap_or(day);
    }
    assert_eq!(
        kinds,
        [
            (date(2025, 9, 29), Recipient::applicant(APPLICANT), "supplement_warning".to_owned()),
            (date(2025, 10, 1), Recipient::department("d1", "clerk"), "supplement_overdue".to_owned()),
            (date(2025, 10, 1), Recipient::applicant(APPLICANT), "supplement_overdue_applicant".to_owned()),
        ]
    );
    let c = s.case("a");
    assert!(!c.overdue && !c.legal_overdue, "a paused case does not go overdue");
    assert_eq!(c.next_check_on, None);

    // Resubmitted on Friday 10-10: paused 09-28, 09-29, 09-30, 10-09, 10-10 = 5 working days.
    s.set_now(china(2025, 10, 10, 15, 0));
    let mut req = s.request("a", "resubmit", None);
    req.uploads.insert("up1".into(), domain::UploadId(9001));
    let e = s.try_act_req(req, &applicant_actor()).unwrap_or_else(|e| panic!("{e:?}"));
    let c = s.case("a").clone();
    assert_eq!(c.status, CaseStatus::Active);
    assert_eq!(c.paused_days, 5);
    assert_eq!(c.paused_since, None);
    // 09-29 + 5 working days: 09-30, 10-09, 10-10, 10-11, 10-13.
    assert_eq!(c.promised_deadline, Some(date(2025, 10, 13)));
    // 10-10 + 5: 10-11, 10-13, 10-14, 10-15, 10-16.
    assert_eq!(c.legal_deadline, Some(date(2025, 10, 16)));
    assert_eq!(s.app.status, AppStatus::InProgress);
    assert_eq!(e.notices[0].text_zh, "【富阳政务】「甲事项」已提交补正，当前环节：审查中。");
    let up1 = s.app.materials.iter().find(|m| m.material == "up1").map(|m| m.source.clone());
    assert_eq!(up1, Some(onething::MaterialSource::Upload { upload_id: domain::UploadId(9001) }));

    // The warning about the moved deadline comes (the supplement warning was another one).
    assert_eq!(c.next_check_on, Some(date(2025, 10, 11)));
    s.set_now(china(2025, 10, 11, 8, 0));
    assert_eq!(s.tick().warned, 1);
    s.set_now(china(2025, 10, 14, 8, 0));
    assert_eq!(s.tick().overdue, 1);
    s.verify_history();
}

#[test]
fn a_supplement_within_the_same_day_moves_nothing() {
    let w = tiny::world();
    let clerk = actor(STAFF, &[Role::Clerk]);
    let mut s = Story::submit(&w, Submission::item("a"), start_time());
    s.act("a", "request_supplement", &clerk, Some("缺少材料"));
    s.advance(Duration::hours(3));
    s.act("a", "resubmit", &applicant_actor(), None);
    let c = s.case("a");
    assert_eq!(
        (c.paused_days, c.promised_deadline, c.legal_deadline),
        (0, Some(date(2025, 9, 29)), Some(date(2025, 10, 10)))
    );
    // A pause over a weekend day that is not worked moves nothing either: Friday → Saturday.
    let mut s = Story::submit(&w, Submission::item("a"), start_time());
    s.act("a", "request_supplement", &clerk, Some("缺少材料"));
    s.set_now(china(2025, 9, 27, 10, 0));
    s.act("a", "resubmit", &applicant_actor(), None);
    assert_eq!(s.case("a").paused_days, 0);
}

#[test]
fn paused_days_accumulate_over_several_supplements() {
    let w = tiny::world();
    let clerk = actor(STAFF, &[Role::Clerk]);
    let mut s = Story::submit(&w, Submission::item("a"), china(2025, 9, 22, 9, 0)); // Monday
    assert_eq!(s.case("a").promised_deadline, Some(date(2025, 9, 24)));
    s.act("a", "request_supplement", &clerk, Some("缺少材料"));
    s.set_now(china(2025, 9, 23, 9, 0));
    s.act("a", "resubmit", &applicant_actor(), None); // 1 day
    s.act("a", "request_supplement", &clerk, Some("仍缺少材料"));
    s.set_now(china(2025, 9, 26, 9, 0));
    s.act("a", "resubmit", &applicant_actor(), None); // 3 more days
    let c = s.case("a");
    assert_eq!(c.paused_days, 4);
    // 09-24 + 4 working days: 09-25, 09-26, 09-28 (Sunday worked), 09-29.
    assert_eq!(c.promised_deadline, Some(date(2025, 9, 29)));
}

#[test]
fn refusing_a_paused_case_ends_the_pause() {
    let w = tiny::world();
    let clerk = actor(STAFF, &[Role::Clerk]);
    let mut s = Story::submit(&w, Submission::item("a"), start_time());
    s.act("a", "request_supplement", &clerk, Some("缺少材料"));
    s.set_now(china(2025, 9, 29, 9, 0));
    s.act("a", "refuse", &clerk, Some("逾期未补正"));
    let c = s.case("a");
    assert_eq!(c.status, CaseStatus::Rejected);
    assert_eq!((c.paused_since, c.paused_days, c.next_check_on), (None, 2, None));
    assert_eq!(s.app.status, AppStatus::Rejected);
}

#[test]
fn warning_days_are_a_rule() {
    let mut w = world_with_x(5, 10);
    w.rules.warn_working_days = 3;
    // Filed Monday 2026-02-09; 5 working days → 02-14 (Saturday worked); warn 3 before: 02-11.
    let mut s = Story::submit(&w, Submission::item("x"), china(2026, 2, 9, 9, 0));
    s.act("x", "accept", &actor(STAFF, &[Role::Window]), None);
    assert_eq!(s.case("x").promised_deadline, Some(date(2026, 2, 14)));
    assert_eq!(s.case("x").next_check_on, Some(date(2026, 2, 11)));
    s.set_now(china(2026, 2, 10, 9, 0));
    assert!(s.tick().is_empty());
    s.set_now(china(2026, 2, 11, 9, 0));
    let before = s.notices.len();
    assert_eq!(s.tick().warned, 1);
    assert!(s.notices[before].text_zh.contains("剩余3个工作日"), "{}", s.notices[before].text_zh);
    // Overdue the day after 02-14: Sunday 02-15, in the Spring Festival holiday.
    assert_eq!(s.case("x").next_check_on, Some(date(2026, 2, 15)));

    // With 0 days the warning comes on the deadline day.
    let mut w = world_with_x(1, 2);
    w.rules.warn_working_days = 0;
    let mut s = Story::submit(&w, Submission::item("x"), china(2026, 2, 9, 9, 0));
    s.act("x", "accept", &actor(STAFF, &[Role::Window]), None);
    assert_eq!(s.case("x").next_check_on, Some(date(2026, 2, 10)));
    s.set_now(china(2026, 2, 10, 9, 0));
    let before = s.notices.len();
    assert_eq!(s.tick().warned, 1);
    assert!(s.notices[before].text_zh.contains("剩余0个工作日"));
}

#[test]
fn next_check_on_follows_every_step_of_a_bundle() {
    let w = tiny::world();
    let mut s = Story::submit(&w, Submission::bundle("chain"), start_time());
    let checks = |s: &Story<'_>| -> Vec<Option<NaiveDate>> { s.app.cases.iter().map(|c| c.next_check_on).collect() };
    // a: the intake limit (09-28) and the warning (09-28); d: its warning 09-30 before 10-09, its
    // intake has no limit. Waiting cases have nothing to watch.
    assert_eq!(checks(&s), [Some(date(2025, 9, 28)), None, None, Some(date(2025, 9, 30))]);
    assert_eq!(application_next_check(&s.app), Some(date(2025, 9, 28)));
    s.act("d", "accept", &actor(STAFF, &[Role::Window]), None);
    // d in `first`: a 2-day limit → 09-29, watched from 09-30; the warning is on 09-30 too.
    assert_eq!(s.case("d").state_deadline, Some(date(2025, 9, 29)));
    assert_eq!(s.case("d").next_check_on, Some(date(2025, 9, 30)));
    s.approve("a");
    // b started on 09-26: 3 days → 09-30; warning 09-29; intake limit 09-28, watched from 09-29.
    assert_eq!(checks(&s), [None, Some(date(2025, 9, 29)), None, Some(date(2025, 9, 30))]);
    s.approve("b");
    s.approve("c");
    s.approve("d");
    assert_eq!(checks(&s), [None, None, None, None]);
    assert_eq!(application_next_check(&s.app), None);
}

#[test]
fn ticks_ignore_finished_and_waiting_cases() {
    let w = tiny::world();
    let mut s = Story::submit(&w, Submission::bundle("chain"), start_time());
    s.approve("a");
    s.approve("d");
    s.set_now(china(2026, 6, 1, 9, 0));
    let out = s.tick();
    // Only b is running: c waits, a and d are done.
    assert_eq!(out.overdue, 1);
    assert_eq!(s.notices.iter().filter(|n| n.kind == "overdue").count(), 1);
    assert!(
        s.notices
            .iter()
            .filter(|n| n.kind == "overdue")
            .all(|n| n.recipient == Recipient::department("d2", "supervisor"))
    );
}

#[test]
fn the_paused_supplement_of_the_demo_has_no_limit_and_spans_the_spring_festival() {
    let w = World::demo();
    let mut s = Story::submit(&w, Submission::item("wjw-family-doctor"), china(2026, 2, 10, 9, 0));
    let wf = s.case("wjw-family-doctor").workflow.clone();
    let item = w.catalog.item("wjw-family-doctor").map(|i| i.promised_days).unwrap_or(0);
    let before = s.case("wjw-family-doctor").promised_deadline;
    let window = actor(STAFF, &[Role::Window]);
    s.set_now(china(2026, 2, 12, 16, 0));
    s.act("wjw-family-doctor", "request_supplement", &window, Some("请补充材料"));
    assert_eq!(s.case("wjw-family-doctor").next_check_on, None, "{wf}: supplement has no limit");
    s.set_now(china(2026, 2, 25, 9, 0));
    s.act("wjw-family-doctor", "resubmit", &applicant_actor(), None);
    // Paused 02-13, 02-14 (Saturday worked), 02-24, 02-25.
    let c = s.case("wjw-family-doctor");
    assert_eq!(c.paused_days, 4);
    let cal = &w.calendar;
    assert_eq!(c.promised_deadline, before.map(|d| cal.add_working_days(d, 4)));
    assert_eq!(before, Some(cal.add_working_days(date(2026, 2, 10), item)));
}

#[test]
fn a_warning_is_repeated_only_when_a_pause_moved_the_deadline() {
    let w = World::demo();
    let item = "ga-hukou-birth";
    let clerk = actor(STAFF, &[Role::Clerk]);
    let warnings = |s: &Story<'_>| s.notices.iter().filter(|n| n.kind == "deadline_warning").count();

    // Supplemented within the day: the deadline stays, and so does the warning given.
    let mut s = Story::submit(&w, Submission::item(item), start_time());
    s.act(item, "accept", &clerk, None);
    assert_eq!(s.case(item).promised_deadline, Some(date(2025, 9, 28)));
    s.set_now(china(2025, 9, 26, 10, 0));
    assert_eq!(s.tick().warned, 1);
    s.act(item, "request_supplement", &clerk, Some("缺材料"));
    s.set_now(china(2025, 9, 26, 15, 0));
    s.act(item, "resubmit", &applicant_actor(), None);
    assert!(s.case(item).warned);
    s.set_now(china(2025, 9, 28, 9, 0));
    assert!(s.tick().is_empty());
    assert_eq!(warnings(&s), 1);

    // Paused two working days: a new deadline, and a new warning before it.
    let mut s = Story::submit(&w, Submission::item(item), start_time());
    s.act(item, "accept", &clerk, None);
    s.set_now(china(2025, 9, 26, 10, 0));
    assert_eq!(s.tick().warned, 1);
    s.act(item, "request_supplement", &clerk, Some("缺材料"));
    s.set_now(china(2025, 9, 29, 9, 0));
    s.act(item, "resubmit", &applicant_actor(), None);
    assert_eq!(s.case(item).promised_deadline, Some(date(2025, 9, 30)));
    assert_eq!(s.case(item).next_check_on, Some(date(2025, 9, 29)));
    assert_eq!(s.tick().warned, 1);
    assert_eq!(warnings(&s), 2);
    assert!(s.notices.last().is_some_and(|n| n.text_zh.contains("将于2025-09-30到期")));
}

#[test]
fn screens_offer_only_the_actions_the_actor_may_take_now() {
    let w = tiny::world();
    let eng = w.engine();
    let mut s = Story::submit(&w, Submission::item("a"), start_time());
    let id = s.case_id("a");
    let codes = |s: &Story<'_>, who: &onething::Actor| -> Vec<String> {
        eng.available_actions(&s.app, id, who).into_iter().map(|a| a.code).collect()
    };
    let clerk = actor(STAFF, &[Role::Clerk]);
    assert_eq!(codes(&s, &clerk), ["accept", "request_supplement", "refuse"]);
    assert_eq!(codes(&s, &actor(STAFF, &[Role::Window])), ["accept"]);
    s.act("a", "request_supplement", &clerk, Some("缺材料"));
    assert_eq!(codes(&s, &applicant_actor()), ["resubmit"]);
    assert_eq!(codes(&s, &clerk), ["refuse"]);
    assert!(eng.available_actions(&s.app, domain::CaseId(1), &clerk).is_empty(), "no such case");
    s.act("a", "resubmit", &applicant_actor(), None);
    s.act("a", "approve", &clerk, None);
    assert!(codes(&s, &clerk).is_empty());
}

#[test]
fn a_case_warned_about_its_deadline_still_warns_the_applicant_about_a_supplement_limit() {
    let w = tiny::world();
    let clerk = actor(STAFF, &[Role::Clerk]);
    let mut s = Story::submit(&w, Submission::item("a"), start_time());
    s.act("a", "accept", &clerk, None);
    s.set_now(china(2025, 9, 28, 9, 0));
    assert_eq!(s.tick().warned, 1, "the promised deadline 09-29 is near");
    s.act("a", "request_supplement", &clerk, Some("缺材料"));
    // 3 working days: 09-29, 09-30, 10-09; the applicant is warned on 09-30.
    assert_eq!(s.case("a").state_deadline, Some(date(2025, 10, 9)));
    assert_eq!(s.case("a").next_check_on, Some(date(2025, 9, 30)));
    s.set_now(china(2025, 9, 30, 9, 0));
    let before = s.notices.len();
    assert_eq!(s.tick().warned, 1);
    assert_eq!(s.notices[before].recipient, Recipient::applicant(APPLICANT));
    assert_eq!(s.notices[before].text_zh, "【富阳政务】请于2025-10-09前为「甲事项」提交补正材料。");
}
