//! The hash-chained history: each call appends exactly the entries it should, and the entries of
//! a whole story verify against the application's recorded head (and fail when tampered with).

use catalog::Role;
use chrono::Duration;
use onething::history::{self, ChainBreak};
use onething::{AppStatus, Channel, RatingLevel, RatingRequest};

use crate::harness::*;
use crate::tiny;

fn acts(s: &Story<'_>, e: &onething::Effects) -> Vec<String> {
    actions(&s.app, &e.history)
}

#[test]
fn each_call_appends_exactly_its_entries() {
    let w = tiny::world();
    let clerk = actor(STAFF, &[Role::Clerk]);
    let mut s = Story::submit(&w, Submission::bundle("chain"), start_time());
    assert_eq!(actions(&s.app, &s.history), ["submitted", "a:started", "d:started"]);
    let sub = &s.history[0];
    assert_eq!((sub.actor, sub.role.as_str(), sub.seq, sub.case), (Some(APPLICANT), "applicant", 1, None));
    assert_eq!(
        sub.detail,
        r#"{"channel":"online","materials_total":5,"materials_uploaded":3,"prior":null,"target":"chain"}"#
    );
    let started = &s.history[1];
    assert_eq!((started.actor, started.role.as_str(), started.to_state.as_deref()), (None, "system", Some("intake")));

    s.advance(Duration::minutes(5));
    let e = s.act("a", "accept", &clerk, Some("材料齐全"));
    assert_eq!(acts(&s, &e), ["a:accept"]);
    let h = &e.history[0];
    assert_eq!(
        (h.actor, h.role.as_str(), h.from_state.as_deref(), h.to_state.as_deref(), h.detail.as_str(), h.at),
        (Some(STAFF), "clerk", Some("intake"), Some("review"), r#"{"comment":"材料齐全"}"#, s.now)
    );
    let e = s.act("a", "request_supplement", &clerk, Some("缺申请书"));
    assert_eq!(acts(&s, &e), ["a:request_supplement"]);
    let e = s.act("a", "resubmit", &applicant_actor(), None);
    assert_eq!(acts(&s, &e), ["a:resubmit"]);
    assert_eq!(e.history[0].detail, "", "no comment, no uploads: no detail");
    let e = s.act("a", "approve", &clerk, None);
    assert_eq!(acts(&s, &e), ["a:approve", "b:started"]);
    s.approve("b");
    s.approve("c");
    s.act("d", "accept", &actor(STAFF, &[Role::Window]), None);
    s.act("d", "pass_first", &clerk, None);
    s.act("d", "pass_second", &actor(STAFF, &[Role::Reviewer]), None);
    let e = s.act("d", "grant", &actor(STAFF, &[Role::Approver]), None);
    assert_eq!(acts(&s, &e), ["d:grant", "finished"]);
    assert_eq!(e.history[1].to_state.as_deref(), Some("completed"));

    let now = s.now;
    let e = w
        .engine()
        .rate(
            &mut s.app,
            APPLICANT,
            RatingRequest { level: RatingLevel::Dissatisfied, comment: None, departments: vec!["d4".into()] },
            now,
        )
        .unwrap_or_else(|e| panic!("{e:?}"));
    s.absorb(e.clone());
    assert_eq!(acts(&s, &e), ["rated", "rectification_opened"]);

    // Sequence numbers run 1, 2, 3 … and every entry names the application.
    for (i, h) in s.history.iter().enumerate() {
        assert_eq!(h.seq, i as i64 + 1);
        assert_eq!(h.application, s.app.id);
    }
    assert_eq!(s.app.history.seq, s.history.len() as i64);
    s.verify_history();
}

#[test]
fn a_window_filing_is_recorded_as_the_window_clerks() {
    let w = tiny::world();
    let s = Story::submit(&w, Submission::bundle("chain").channel(Channel::Window), start_time());
    let h = &s.history[0];
    assert_eq!((h.actor, h.role.as_str()), (Some(WINDOW_CLERK), "window"));
    assert!(h.detail.contains(r#""channel":"window""#));
    assert_eq!(s.app.submitted_by, WINDOW_CLERK);
    assert_eq!(s.app.trips(), 1);
}

#[test]
fn withdrawal_cancels_each_open_case_in_the_history() {
    let w = tiny::world();
    let mut s = Story::submit(&w, Submission::bundle("chain"), start_time());
    s.approve("a");
    s.act("b", "request_supplement", &actor(STAFF, &[Role::Clerk]), Some("缺材料"));
    s.advance(Duration::hours(1));
    let now = s.now;
    let e = w.engine().withdraw(&mut s.app, APPLICANT, Some(" 不再需要 "), now).unwrap_or_else(|e| panic!("{e:?}"));
    s.absorb(e.clone());
    assert_eq!(acts(&s, &e), ["withdrawn", "b:cancelled", "c:cancelled", "d:cancelled"]);
    assert_eq!(e.history[0].detail, r#"{"comment":"不再需要"}"#);
    assert_eq!(e.history[1].from_state.as_deref(), Some("supplement"));
    assert_eq!(e.history[2].from_state, None, "c never started");
    assert_eq!(e.notices.len(), 1);
    assert_eq!(e.notices[0].text_zh, "【富阳政务】您已撤回「链式一件事」申请。");
    assert_eq!(s.app.status, AppStatus::Withdrawn);
    assert_eq!(s.app.finished_at, Some(now));
    assert_eq!(s.case("a").status, onething::CaseStatus::Approved, "a finished case stays as it was");
    for c in ["b", "c", "d"] {
        let c = s.case(c);
        assert_eq!(
            (c.status, c.finished_at, c.next_check_on, c.paused_since),
            (onething::CaseStatus::Cancelled, Some(now), None, None)
        );
    }
    // Withdrawn, then nothing more happens to it.
    assert!(s.tick().is_empty());
    s.verify_history();
}

#[test]
fn tampering_with_a_storys_entries_is_detected() {
    let w = tiny::world();
    let mut s = Story::submit(&w, Submission::bundle("chain"), start_time());
    s.approve_all();
    s.verify_history();
    let (id, head) = (s.app.id, s.app.history.clone());
    let n = s.history.len();
    assert!(n > 10);

    let mut edited = s.history.clone();
    edited[3].detail = r#"{"comment":"改过"}"#.into();
    assert_eq!(history::verify(id, &edited, &head), Err(ChainBreak::Content { seq: 4 }));

    let mut rehashed = s.history.clone();
    rehashed[3].actor = Some(domain::AccountId(666));
    rehashed[3].hash = history::entry_hash(&rehashed[3]);
    assert_eq!(history::verify(id, &rehashed, &head), Err(ChainBreak::Link { seq: 5, prev: 4 }));

    let mut deleted = s.history.clone();
    deleted.remove(2);
    assert_eq!(history::verify(id, &deleted, &head), Err(ChainBreak::Gap { seq: 4, expected: 3 }));

    let mut truncated = s.history.clone();
    truncated.pop();
    assert!(matches!(history::verify(id, &truncated, &head), Err(ChainBreak::Head { .. })));

    let other = Story::submit(&w, Submission::bundle("chain"), start_time());
    assert!(matches!(history::verify(id, &other.history, &head), Err(ChainBreak::Foreign { .. })));
    // The other application's own chain is fine, and independent.
    other.verify_history();
    assert_ne!(other.history[0].hash, s.history[0].hash);
}

#[test]
fn entries_are_stamped_at_microsecond_precision() {
    let w = tiny::world();
    let t = start_time() + Duration::nanoseconds(123_456_789);
    let s = Story::submit(&w, Submission::bundle("chain"), t);
    assert!(s.history.iter().all(|h| h.at.timestamp_subsec_nanos() == 123_456_000));
    assert_eq!(s.app.submitted_at.timestamp_subsec_nanos(), 123_456_000);
    s.verify_history();
}
