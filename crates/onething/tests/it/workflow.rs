//! Item cases follow their workflows; items start when their prerequisites are issued; the
//! bundle's rejection policy; status derived from the items. On the tiny catalogs.

use catalog::Role;
use onething::{AppStatus, CaseStatus, MaterialSource, Recipient};

use crate::harness::*;
use crate::tiny;

fn statuses(s: &Story<'_>) -> Vec<(String, CaseStatus, Option<String>)> {
    s.app.cases.iter().map(|c| (c.item.clone(), c.status, c.state.clone())).collect()
}

fn st(item: &str, status: CaseStatus, state: Option<&str>) -> (String, CaseStatus, Option<String>) {
    (item.to_owned(), status, state.map(str::to_owned))
}

#[test]
fn items_whose_prerequisites_are_met_start_at_once_in_parallel() {
    let w = tiny::world();
    let s = Story::submit(&w, Submission::bundle("chain"), start_time());
    assert_eq!(
        statuses(&s),
        [
            st("a", CaseStatus::Active, Some("intake")),
            st("b", CaseStatus::Waiting, None),
            st("c", CaseStatus::Waiting, None),
            st("d", CaseStatus::Active, Some("intake")),
        ]
    );
    // One case per item, for the item's department.
    let depts: Vec<_> = s.app.cases.iter().map(|c| (c.item.as_str(), c.department.as_str())).collect();
    assert_eq!(depts, [("a", "d1"), ("b", "d2"), ("c", "d3"), ("d", "d4")]);
    assert_eq!(s.app.status, AppStatus::InProgress);
    // Waiting cases have no clock yet.
    let b = s.case("b");
    assert_eq!((b.started_at, b.promised_deadline, b.next_check_on), (None, None, None));
    let a = s.case("a");
    assert_eq!(a.started_at, Some(start_time()));
    assert_eq!(a.workflow, "simple");
    assert_eq!(s.case("d").workflow, "multi");
}

#[test]
fn a_chain_starts_each_item_when_the_output_it_needs_is_issued() {
    let w = tiny::world();
    let mut s = Story::submit(&w, Submission::bundle("chain"), start_time());
    s.set_now(china(2025, 9, 28, 10, 0));
    s.act("a", "accept", &actor(STAFF, &[Role::Clerk]), None);
    assert_eq!(s.case("b").status, CaseStatus::Waiting);
    let e = s.act("a", "approve", &actor(STAFF, &[Role::Clerk]), None);

    // a's output is a shared record, and the material b waits for is linked to it.
    assert_eq!(e.records.len(), 1);
    let rec = &e.records[0];
    assert_eq!(
        (rec.record_type.as_str(), rec.department.as_str(), rec.case, rec.application),
        ("rec_a", "d1", s.case_id("a"), s.app.id)
    );
    assert_eq!(rec.subject_key, person().key);
    assert_eq!(rec.issued_at, s.now);
    // rec_a is valid for 30 days.
    assert_eq!(rec.valid_until, Some(date(2025, 10, 28)));
    let a_m = s.app.materials.iter().find(|m| m.material == "a_m").map(|m| m.source.clone());
    assert_eq!(a_m, Some(MaterialSource::IssuedInBundle { item: "a".into(), record_id: Some(rec.id) }));

    // b started at once, its clock from today (Sunday 09-28 is an adjusted working day).
    assert_eq!(
        statuses(&s),
        [
            st("a", CaseStatus::Approved, Some("done")),
            st("b", CaseStatus::Active, Some("intake")),
            st("c", CaseStatus::Waiting, None),
            st("d", CaseStatus::Active, Some("intake")),
        ]
    );
    let b = s.case("b");
    assert_eq!(b.started_at, Some(s.now));
    // 3 working days after Sunday 09-28: 09-29, 09-30, then the holiday until 10-09.
    assert_eq!(b.promised_deadline, Some(date(2025, 10, 9)));
    assert_eq!(b.legal_deadline, Some(date(2025, 10, 13)));
    assert_eq!(s.case("a").finished_at, Some(s.now));

    s.approve("b");
    assert_eq!(s.case("c").status, CaseStatus::Active);
    s.approve("c");
    assert_eq!(s.app.status, AppStatus::InProgress, "d is still open");
    s.approve("d");
    assert_eq!(s.app.status, AppStatus::Completed);
    assert_eq!(s.app.finished_at, Some(s.now));
    let types: Vec<_> = s.records.iter().map(|r| (r.record_type.as_str(), r.department.as_str())).collect();
    assert_eq!(types, [("rec_a", "d1"), ("rec_b", "d2"), ("rec_c", "d3"), ("rec_d", "d4")]);
    s.verify_history();
}

#[test]
fn a_diamond_starts_its_bottom_only_when_both_sides_are_approved() {
    let w = tiny::world();
    let mut s = Story::submit(&w, Submission::bundle("diamond"), start_time());
    // Cases are in prerequisite order, not declaration order.
    let items: Vec<_> = s.app.cases.iter().map(|c| c.item.as_str()).collect();
    assert_eq!(items, ["a", "e", "b", "f"]);
    assert_eq!(s.case("a").status, CaseStatus::Active);
    for i in ["e", "b", "f"] {
        assert_eq!(s.case(i).status, CaseStatus::Waiting, "{i}");
    }
    s.approve("a");
    assert_eq!(s.case("b").status, CaseStatus::Active);
    assert_eq!(s.case("e").status, CaseStatus::Active);
    assert_eq!(s.case("f").status, CaseStatus::Waiting);
    s.approve("b");
    assert_eq!(s.case("f").status, CaseStatus::Waiting, "e is not approved yet");
    s.approve("e");
    assert_eq!(s.case("f").status, CaseStatus::Active);
    s.approve("f");
    assert_eq!(s.app.status, AppStatus::Completed);
    s.verify_history();
}

#[test]
fn continue_policy_cancels_only_the_items_that_depend_on_the_rejected_one() {
    let w = tiny::world();
    let clerk = actor(STAFF, &[Role::Clerk]);
    let mut s = Story::submit(&w, Submission::bundle("chain"), start_time());
    s.approve("a");
    let e = s.act("b", "refuse", &clerk, Some("材料不符合要求"));
    assert_eq!(
        statuses(&s),
        [
            st("a", CaseStatus::Approved, Some("done")),
            st("b", CaseStatus::Rejected, Some("refused")),
            st("c", CaseStatus::Cancelled, None),
            st("d", CaseStatus::Active, Some("intake")),
        ]
    );
    assert_eq!(s.app.status, AppStatus::InProgress);
    let kinds: Vec<_> = e.notices.iter().map(|n| n.kind.as_str()).collect();
    assert_eq!(kinds, ["case_rejected", "case_cancelled"]);
    assert_eq!(e.notices[0].text_zh, "【富阳政务】很抱歉，「乙事项」未通过：材料不符合要求。如有疑问可申请复核。");
    assert_eq!(e.notices[1].text_zh, "【富阳政务】因「乙事项」未通过，「丙事项」已取消办理。");
    assert!(e.records.is_empty());
    s.approve("d");
    assert_eq!(s.app.status, AppStatus::PartiallyCompleted);
    assert!(s.app.status.is_finished());
    s.verify_history();
}

#[test]
fn continue_policy_cancels_transitive_dependents_of_a_rejected_root() {
    let w = tiny::world();
    let mut s = Story::submit(&w, Submission::bundle("chain"), start_time());
    s.act("a", "refuse", &actor(STAFF, &[Role::Clerk]), Some("不符合条件"));
    assert_eq!(
        statuses(&s),
        [
            st("a", CaseStatus::Rejected, Some("refused")),
            st("b", CaseStatus::Cancelled, None),
            st("c", CaseStatus::Cancelled, None),
            st("d", CaseStatus::Active, Some("intake")),
        ]
    );
    // Rejecting the last open item leaves nothing approved: the application is rejected.
    s.act("d", "refuse", &actor(STAFF, &[Role::Reviewer]), Some("不符合条件"));
    assert_eq!(s.app.status, AppStatus::Rejected);
    s.verify_history();
}

#[test]
fn continue_policy_in_a_diamond_keeps_the_other_side_going() {
    let w = tiny::world();
    let mut s = Story::submit(&w, Submission::bundle("diamond"), start_time());
    s.approve("a");
    s.act("e", "refuse", &actor(STAFF, &[Role::Clerk]), Some("不符合条件"));
    assert_eq!(s.case("f").status, CaseStatus::Cancelled);
    assert_eq!(s.case("b").status, CaseStatus::Active);
    s.approve("b");
    assert_eq!(s.case("f").status, CaseStatus::Cancelled, "a cancelled case never starts");
    assert_eq!(s.app.status, AppStatus::PartiallyCompleted);
}

#[test]
fn fail_bundle_policy_cancels_every_open_item_and_rejects_the_bundle() {
    let w = tiny::world();
    let mut s = Story::submit(&w, Submission::bundle("chain-fail"), start_time());
    s.approve("a");
    s.act("d", "accept", &actor(STAFF, &[Role::Window]), None);
    let e = s.act("b", "refuse", &actor(STAFF, &[Role::Clerk]), Some("不符合条件"));
    assert_eq!(
        statuses(&s),
        [
            st("a", CaseStatus::Approved, Some("done")),
            st("b", CaseStatus::Rejected, Some("refused")),
            st("c", CaseStatus::Cancelled, None),
            // d was being handled, independent of b: cancelled too.
            st("d", CaseStatus::Cancelled, Some("first")),
        ]
    );
    assert_eq!(s.app.status, AppStatus::Rejected, "a approved item does not save a failed bundle");
    assert_eq!(s.app.finished_at, Some(s.now));
    let d = s.case("d");
    assert_eq!((d.next_check_on, d.state_deadline, d.finished_at), (None, None, Some(s.now)));
    let kinds: Vec<_> = e.notices.iter().map(|n| n.kind.as_str()).collect();
    assert_eq!(kinds, ["case_rejected", "case_cancelled", "case_cancelled", "finished"]);
    assert_eq!(e.notices[3].text_zh, "【富阳政务】您的「整件退回一件事」未通过。欢迎对本次服务进行评价（好差评）。");
    let hist: Vec<_> = actions(&s.app, &e.history);
    assert_eq!(hist, ["b:refuse", "c:cancelled", "d:cancelled", "finished"]);
    s.verify_history();
}

#[test]
fn multi_level_review_runs_its_levels_in_order_with_their_roles() {
    let w = tiny::world();
    let mut s = Story::submit(&w, Submission::bundle("chain"), china(2025, 9, 29, 9, 0));
    let window = actor(STAFF, &[Role::Window]);
    let clerk = actor(STAFF, &[Role::Clerk]);
    let reviewer = actor(STAFF, &[Role::Reviewer]);
    let approver = actor(STAFF, &[Role::Approver]);
    let eng = w.engine();
    let d = s.case_id("d");
    let avail = |s: &Story<'_>, who: &onething::Actor| -> Vec<String> {
        eng.available_actions(&s.app, d, who).into_iter().map(|a| a.code).collect()
    };
    assert_eq!(avail(&s, &window), ["accept"]);
    assert!(avail(&s, &clerk).contains(&"refuse".to_owned()));
    assert!(!avail(&s, &clerk).contains(&"accept".to_owned()));
    assert!(avail(&s, &applicant_actor()).is_empty());

    s.act("d", "accept", &window, None);
    assert_eq!(s.state_of("d").as_deref(), Some("first"));
    // first has a 2-working-day limit: Monday 09-29 → Tuesday 09-30 → Thursday 10-09.
    assert_eq!(s.case("d").state_deadline, Some(date(2025, 10, 9)));
    // The reviewer cannot skip the first level.
    assert!(matches!(
        s.try_act("d", "pass_second", &reviewer, None),
        Err(onething::EngineError::WrongState { ref allowed, .. }) if allowed == &["pass_first", "refuse"]
    ));
    s.act("d", "pass_first", &clerk, None);
    assert_eq!(s.case("d").state_deadline, Some(date(2025, 9, 30)));
    // The approver cannot grant before the second review.
    assert!(matches!(s.try_act("d", "grant", &approver, None), Err(onething::EngineError::WrongState { .. })));
    s.act("d", "pass_second", &reviewer, None);
    assert_eq!(s.state_of("d").as_deref(), Some("final"));
    assert_eq!(s.case("d").state_deadline, None, "final has no limit of its own");
    // Sent back from the last level, the case must pass every level again.
    s.act("d", "send_back", &approver, Some("意见不全"));
    assert_eq!(s.state_of("d").as_deref(), Some("first"));
    s.act("d", "pass_first", &clerk, None);
    s.act("d", "pass_second", &reviewer, None);
    let e = s.act("d", "grant", &approver, None);
    assert_eq!(s.case("d").status, CaseStatus::Approved);
    assert_eq!(e.records.len(), 1);
    let hist: Vec<_> = actions(&s.app, &s.history).into_iter().filter(|a| a.starts_with("d:")).collect();
    assert_eq!(
        hist,
        [
            "d:started",
            "d:accept",
            "d:pass_first",
            "d:pass_second",
            "d:send_back",
            "d:pass_first",
            "d:pass_second",
            "d:grant"
        ]
    );
    // Each action is recorded with the role it was taken in and the states it joined.
    let roles: Vec<_> = s
        .history
        .iter()
        .filter(|h| h.case == Some(d) && h.actor.is_some())
        .map(|h| (h.role.as_str(), h.from_state.as_deref().unwrap_or(""), h.to_state.as_deref().unwrap_or("")))
        .collect();
    assert_eq!(
        roles,
        [
            ("window", "intake", "first"),
            ("clerk", "first", "second"),
            ("reviewer", "second", "final"),
            ("approver", "final", "first"),
            ("clerk", "first", "second"),
            ("reviewer", "second", "final"),
            ("approver", "final", "done"),
        ]
    );
    s.verify_history();
}

#[test]
fn the_role_recorded_is_the_first_of_the_actors_roles_the_action_allows() {
    let w = tiny::world();
    let mut s = Story::submit(&w, Submission::bundle("chain"), start_time());
    let e = s.act("a", "accept", &actor(STAFF, &[Role::Admin, Role::Clerk, Role::Window]), None);
    assert_eq!(e.history[0].role, "clerk");
    assert_eq!(e.history[0].actor, Some(STAFF));
}

#[test]
fn a_single_item_application_has_one_case_and_no_separate_start_notice() {
    let w = tiny::world();
    let mut s = Story::submit(&w, Submission::item("a"), start_time());
    assert_eq!(s.app.cases.len(), 1);
    assert_eq!(s.app.target, onething::Target::Item("a".into()));
    let kinds: Vec<_> = s.notices.iter().map(|n| n.kind.as_str()).collect();
    assert_eq!(kinds, ["submitted"]);
    assert_eq!(
        s.notices[0].text_zh,
        "【富阳政务】您的「甲事项」申请已提交，共1个事项由相关部门并联办理，预计2025-09-29前办结。"
    );
    s.approve("a");
    assert_eq!(s.app.status, AppStatus::Completed);
    assert!(s.notices.iter().all(|n| n.recipient == Recipient::applicant(APPLICANT)));
}

#[test]
fn an_item_of_a_bundle_applied_for_alone_ignores_the_bundle_prerequisites() {
    let w = tiny::world();
    let s = Story::submit(&w, Submission::item("c"), start_time());
    assert_eq!(s.case("c").status, CaseStatus::Active);
    // Alone, c's b_m is not issued inside the application: the applicant provides it.
    let src = s.app.materials.iter().find(|m| m.material == "b_m").map(|m| m.source.code());
    assert_eq!(src, Some("upload"));
}

/// A workflow that approves on arrival (自动办结), as for benefits granted without applying.
const AUTO: &str = r#"
[[workflow]]
code = "auto"
name = "自动办结"
name_en = "Automatic"
start = "done"
state = [
  { code = "done", name = "已办结", name_en = "Done", outcome = "approved" },
]
action = []

[[item]]
code = "g1"
name = "自动一"
name_en = "Auto 1"
department = "d1"
subject = "person"
legal_days = 1
promised_days = 1
levels = ["district"]
online = true
visits = 0
workflow = "auto"
materials = ["id_card"]
outputs = ["rec_a"]

[[item]]
code = "g2"
name = "自动二"
name_en = "Auto 2"
department = "d2"
subject = "person"
legal_days = 1
promised_days = 1
levels = ["district"]
online = true
visits = 0
workflow = "auto"
materials = ["id_card"]

[[bundle]]
code = "auto-then-manual"
name = "自动加人工"
name_en = "Auto then manual"
stage = "relief"
subject = "person"
items = ["g1", "g2", "e"]
  [[bundle.prerequisite]]
  item = "e"
  after = ["g1"]

[[bundle]]
code = "all-auto"
name = "全自动"
name_en = "All automatic"
stage = "relief"
subject = "person"
items = ["g1", "g2"]
"#;

#[test]
fn cases_that_approve_on_arrival_start_their_dependents_once() {
    let w = World::inline(&[tiny::BASE, AUTO]);
    let s = Story::submit(&w, Submission::bundle("auto-then-manual"), start_time());
    assert_eq!(
        statuses(&s),
        [
            st("g1", CaseStatus::Approved, Some("done")),
            st("g2", CaseStatus::Approved, Some("done")),
            st("e", CaseStatus::Active, Some("intake")),
        ]
    );
    // Each case started once.
    let hist = actions(&s.app, &s.history);
    assert_eq!(hist, ["submitted", "g1:started", "g2:started", "e:started"]);
    // All three started during the filing, which the filing notice announces.
    assert_eq!(s.notices.iter().filter(|n| n.kind == "case_started").count(), 0);
    assert_eq!(s.records.len(), 1);
    s.verify_history();
}

#[test]
fn an_application_approved_on_filing_is_finished_on_filing() {
    let w = World::inline(&[tiny::BASE, AUTO]);
    let s = Story::submit(&w, Submission::bundle("all-auto"), start_time());
    assert_eq!(s.app.status, AppStatus::Completed);
    assert_eq!(s.app.finished_at, Some(start_time()));
    assert_eq!(s.app.elapsed_days, Some(0));
    let kinds: Vec<_> = s.notices.iter().map(|n| n.kind.as_str()).collect();
    assert_eq!(kinds, ["submitted", "case_approved", "case_approved", "finished"]);
    assert_eq!(actions(&s.app, &s.history).last().map(String::as_str), Some("finished"));
    s.verify_history();
}
