//! Good/bad reviews (好差评): five levels; a bad one opens a rectification per department
//! concerned; the supervisor answers; the re-rating closes it.

use chrono::Duration;
use onething::{
    AppStatus, EngineError, RatingLevel, RatingRequest, Recipient, RectificationStatus, TickOutcome,
    application_next_check,
};

use crate::harness::*;
use crate::tiny;

fn rating(level: RatingLevel, departments: &[&str], comment: Option<&str>) -> RatingRequest {
    RatingRequest {
        level,
        comment: comment.map(str::to_owned),
        departments: departments.iter().map(|d| (*d).to_owned()).collect(),
    }
}

fn finished<'w>(w: &'w World) -> Story<'w> {
    let mut s = Story::submit(w, Submission::bundle("chain"), start_time());
    s.approve_all();
    assert_eq!(s.app.status, AppStatus::Completed);
    s
}

fn rate(s: &mut Story<'_>, req: RatingRequest) -> onething::Effects {
    let now = s.now;
    let e = s.world.engine().rate(&mut s.app, APPLICANT, req, now).unwrap_or_else(|e| panic!("{e:?}"));
    s.absorb(e.clone());
    e
}

fn respond(s: &mut Story<'_>, i: usize, text: &str) -> Result<onething::Effects, EngineError> {
    let now = s.now;
    let id = s.app.rectifications[i].id;
    let e = s.world.engine().respond_rectification(&mut s.app, id, SUPERVISOR, text, now)?;
    s.absorb(e.clone());
    Ok(e)
}

#[test]
fn only_the_two_lowest_of_the_five_levels_open_rectifications() {
    let w = tiny::world();
    for (level, bad) in [
        (RatingLevel::VerySatisfied, false),
        (RatingLevel::Satisfied, false),
        (RatingLevel::Basic, false),
        (RatingLevel::Dissatisfied, true),
        (RatingLevel::VeryDissatisfied, true),
    ] {
        let mut s = finished(&w);
        let e = rate(&mut s, rating(level, &[], Some("评价")));
        assert_eq!(level.is_bad(), bad);
        assert_eq!(s.app.ratings.len(), 1);
        let r = &s.app.ratings[0];
        assert_eq!((r.round, r.level, r.comment.as_deref(), r.at), (1, level, Some("评价"), s.now));
        // One rectification per department involved, in case order.
        let depts: Vec<_> = s.app.rectifications.iter().map(|r| r.department.as_str()).collect();
        assert_eq!(depts, if bad { vec!["d1", "d2", "d3", "d4"] } else { vec![] }, "{level:?}");
        assert_eq!(e.history.len(), if bad { 5 } else { 1 });
        assert_eq!(e.history[0].action, "rated");
        assert!(e.history[0].detail.contains(&format!("\"score\":{}", level.score())));
        s.verify_history();
    }
    assert_eq!(RatingLevel::ALL.map(RatingLevel::score), [5, 4, 3, 2, 1]);
    for l in RatingLevel::ALL {
        assert_eq!(RatingLevel::from_score(i64::from(l.score())), Some(l));
        assert_eq!(RatingLevel::parse(l.code()), Some(l));
    }
    assert_eq!(RatingLevel::from_score(0), None);
    assert_eq!(RatingLevel::from_score(6), None);
}

#[test]
fn a_bad_rating_is_followed_to_closure() {
    let w = tiny::world();
    let mut s = finished(&w);
    // Rated on Monday 09-29; the supervisor has 5 working days: 09-30, 10-09, 10-10, 10-11, 10-13.
    s.set_now(china(2025, 9, 29, 10, 0));
    let e = rate(&mut s, rating(RatingLevel::Dissatisfied, &["d2"], Some("窗口态度差")));
    assert_eq!(s.app.rectifications.len(), 1);
    let r = s.app.rectifications[0].clone();
    assert_eq!(
        (r.department.as_str(), r.status, r.opened_by_round, r.opened_at, r.due_on, r.overdue),
        ("d2", RectificationStatus::Open, 1, s.now, date(2025, 10, 13), false)
    );
    let n: Vec<_> = e.notices.iter().map(|n| (n.recipient.clone(), n.kind.as_str(), n.text_zh.as_str())).collect();
    assert_eq!(
        n,
        [
            (
                Recipient::department("d2", "supervisor"),
                "rectification_opened",
                "【差评整改】申请人给出「不满意」评价：窗口态度差，请于2025-10-13前核实整改并答复。"
            ),
            (
                Recipient::applicant(APPLICANT),
                "rectification_opened_applicant",
                "【富阳政务】感谢您的评价，我们已转乙局整改，将于2025-10-13前答复您。"
            ),
        ]
    );
    assert!(s.app.touched.rectifications.contains(&r.id));
    // Not re-rated before the supervisor answers.
    let before = s.app.clone();
    let now = s.now;
    assert_eq!(
        w.engine().rate(&mut s.app, APPLICANT, rating(RatingLevel::VerySatisfied, &[], None), now).err(),
        Some(EngineError::AlreadyRated)
    );
    assert_eq!(s.app, before);

    s.advance(Duration::days(1));
    assert_eq!(respond(&mut s, 0, "   ").err(), Some(EngineError::CommentRequired { action: "整改答复".into(), action_en: "rectification answer".into() }));
    let e = respond(&mut s, 0, "已对窗口人员批评教育").unwrap_or_else(|e| panic!("{e:?}"));
    let r = &s.app.rectifications[0];
    assert_eq!(r.status, RectificationStatus::Responded);
    assert_eq!(
        (r.response.as_deref(), r.responded_by, r.responded_at),
        (Some("已对窗口人员批评教育"), Some(SUPERVISOR), Some(s.now))
    );
    assert_eq!(e.notices.len(), 1);
    assert_eq!(e.notices[0].recipient, Recipient::applicant(APPLICANT));
    assert_eq!(e.notices[0].text_zh, "【富阳政务】乙局已就您的评价完成整改：已对窗口人员批评教育。请您再次评价。");
    assert_eq!(e.history[0].action, "rectification_responded");
    assert_eq!(e.history[0].actor, Some(SUPERVISOR));
    // Answered once only.
    let before = s.app.clone();
    assert_eq!(respond(&mut s, 0, "再答复").err(), Some(EngineError::RectificationState("已整改待回访")));
    assert_eq!(s.app, before);

    s.advance(Duration::days(1));
    let e = rate(&mut s, rating(RatingLevel::Satisfied, &[], None));
    let r = &s.app.rectifications[0];
    assert_eq!(
        (r.status, r.closed_at, r.closing_level),
        (RectificationStatus::Closed, Some(s.now), Some(RatingLevel::Satisfied))
    );
    assert_eq!(s.app.ratings.len(), 2);
    assert_eq!(s.app.ratings[1].round, 2);
    let hist: Vec<_> = e.history.iter().map(|h| h.action.as_str()).collect();
    assert_eq!(hist, ["rated", "rectification_closed"]);
    // Closed: no third rating, no second answer.
    let now = s.now;
    assert_eq!(
        w.engine().rate(&mut s.app, APPLICANT, rating(RatingLevel::VerySatisfied, &[], None), now).err(),
        Some(EngineError::AlreadyRated)
    );
    assert_eq!(respond(&mut s, 0, "x").err(), Some(EngineError::RectificationState("已办结")));
    s.verify_history();
}

#[test]
fn a_bad_re_rating_closes_the_answered_rectification_and_opens_a_new_one() {
    let w = tiny::world();
    let mut s = finished(&w);
    rate(&mut s, rating(RatingLevel::VeryDissatisfied, &["d1", "d4"], None));
    assert_eq!(s.app.rectifications.len(), 2);
    respond(&mut s, 0, "已整改").unwrap_or_else(|e| panic!("{e:?}"));
    // d4 has not answered yet; the applicant may re-rate what d1 answered.
    rate(&mut s, rating(RatingLevel::Dissatisfied, &["d1"], Some("仍不满意")));
    let st: Vec<_> =
        s.app.rectifications.iter().map(|r| (r.department.as_str(), r.status, r.opened_by_round)).collect();
    assert_eq!(
        st,
        [
            ("d1", RectificationStatus::Closed, 1),
            ("d4", RectificationStatus::Open, 1),
            ("d1", RectificationStatus::Open, 2),
        ]
    );
    assert_eq!(s.app.rectifications[0].closing_level, Some(RatingLevel::Dissatisfied));
    respond(&mut s, 1, "已整改").unwrap_or_else(|e| panic!("{e:?}"));
    respond(&mut s, 2, "再次整改").unwrap_or_else(|e| panic!("{e:?}"));
    rate(&mut s, rating(RatingLevel::Basic, &[], None));
    assert!(s.app.rectifications.iter().all(|r| r.status == RectificationStatus::Closed));
    assert_eq!(s.app.ratings.iter().map(|r| r.round).collect::<Vec<_>>(), [1, 2, 3]);
    s.verify_history();
}

#[test]
fn a_department_named_twice_gets_one_rectification() {
    let w = tiny::world();
    let mut s = finished(&w);
    rate(&mut s, rating(RatingLevel::Dissatisfied, &["d3", "d3"], None));
    assert_eq!(s.app.rectifications.len(), 1);
}

#[test]
fn an_unanswered_rectification_goes_overdue_to_the_district() {
    let w = tiny::world();
    let mut s = finished(&w);
    s.set_now(china(2025, 9, 29, 10, 0));
    rate(&mut s, rating(RatingLevel::Dissatisfied, &["d1", "d2"], None));
    respond(&mut s, 1, "已整改").unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(application_next_check(&s.app), Some(date(2025, 10, 14)));
    s.set_now(china(2025, 10, 13, 20, 0));
    assert!(s.tick().is_empty());
    s.set_now(china(2025, 10, 14, 8, 0));
    let before = s.notices.len();
    assert_eq!(s.tick(), TickOutcome { rectifications_overdue: 1, ..TickOutcome::default() });
    assert!(s.app.rectifications[0].overdue);
    assert!(!s.app.rectifications[1].overdue, "an answered rectification is not overdue");
    assert_eq!(s.notices[before].recipient, Recipient::District);
    assert_eq!(s.notices[before].kind, "rectification_overdue");
    assert_eq!(application_next_check(&s.app), None);
    assert!(s.tick().is_empty());
    // It may still be answered, late.
    respond(&mut s, 0, "迟到的答复").unwrap_or_else(|e| panic!("{e:?}"));
    s.verify_history();
}

#[test]
fn partly_completed_rejected_and_withdrawn_applications_can_be_rated() {
    let w = tiny::world();
    let clerk = actor(STAFF, &[catalog::Role::Clerk]);
    let mut s = Story::submit(&w, Submission::bundle("chain"), start_time());
    s.act("a", "refuse", &clerk, Some("不符合条件"));
    s.approve("d");
    assert_eq!(s.app.status, AppStatus::PartiallyCompleted);
    rate(&mut s, rating(RatingLevel::Basic, &[], None));

    let mut s = Story::submit(&w, Submission::bundle("chain-fail"), start_time());
    s.act("a", "refuse", &clerk, Some("不符合条件"));
    assert_eq!(s.app.status, AppStatus::Rejected);
    // A bad rating of a failed bundle concerns every department it involved.
    rate(&mut s, rating(RatingLevel::VeryDissatisfied, &[], None));
    assert_eq!(s.app.rectifications.len(), 4);

    let mut s = Story::submit(&w, Submission::bundle("chain"), start_time());
    let now = s.now;
    let e = w.engine().withdraw(&mut s.app, APPLICANT, Some("不办了"), now).unwrap_or_else(|e| panic!("{e:?}"));
    s.absorb(e);
    rate(&mut s, rating(RatingLevel::Satisfied, &[], None));
    s.verify_history();
}

#[test]
fn a_department_that_still_owes_an_answer_is_not_given_a_second_rectification() {
    let w = tiny::world();
    let mut s = finished(&w);
    rate(&mut s, rating(RatingLevel::Dissatisfied, &["d1", "d4"], None));
    respond(&mut s, 0, "已整改").unwrap_or_else(|e| panic!("{e:?}"));
    // A bad re-rating about every department: d4 still owes its answer.
    let e = rate(&mut s, rating(RatingLevel::VeryDissatisfied, &[], None));
    let st: Vec<_> =
        s.app.rectifications.iter().map(|r| (r.department.as_str(), r.status, r.opened_by_round)).collect();
    assert_eq!(
        st,
        [
            ("d1", RectificationStatus::Closed, 1),
            ("d4", RectificationStatus::Open, 1),
            ("d1", RectificationStatus::Open, 2),
            ("d2", RectificationStatus::Open, 2),
            ("d3", RectificationStatus::Open, 2),
        ]
    );
    let hist: Vec<_> = e.history.iter().map(|h| h.action.as_str()).collect();
    assert_eq!(
        hist,
        ["rated", "rectification_closed", "rectification_opened", "rectification_opened", "rectification_opened"]
    );
}
