//! Every refusal returns the right error, and leaves the application exactly as it was.

use std::collections::BTreeMap;

use catalog::Role;
use domain::{AccountId, CaseId, Describe, RectificationId};
use onething::{ActionRequest, Actor, Channel, EngineError, ErrorKind, Known, RatingLevel, RatingRequest, Target};

use crate::harness::*;
use crate::tiny;

fn submit_err(w: &World, sub: Submission<'_>) -> EngineError {
    match Story::try_submit(w, sub, start_time()) {
        Err(e) => e,
        Ok(s) => panic!("expected an error, the application was filed: {:?}", s.app.status),
    }
}

fn form(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
}

#[test]
fn unknown_targets_are_not_found() {
    let w = tiny::world();
    let eng = w.engine();
    for (target, want) in [
        (Target::Bundle("nope".into()), EngineError::UnknownBundle("nope".into())),
        (Target::Item("nope".into()), EngineError::UnknownItem("nope".into())),
        // A bundle's code is not an item's, nor the other way round.
        (Target::Item("chain".into()), EngineError::UnknownItem("chain".into())),
        (Target::Bundle("a".into()), EngineError::UnknownBundle("a".into())),
    ] {
        let req = onething::SubmitRequest {
            target: target.clone(),
            applicant: person(),
            submitted_by: APPLICANT,
            channel: Channel::Online,
            division: None,
            form: BTreeMap::new(),
            uploads: BTreeMap::new(),
        };
        let got = eng.submit(req, Known::default(), start_time()).err();
        assert_eq!(got.as_ref(), Some(&want), "{target:?}");
        assert_eq!(want.kind(), ErrorKind::NotFound);
        assert_eq!(onething::plan::plan(&w.catalog, &target, Known::default(), date(2025, 9, 26)).err(), Some(want));
    }
}

#[test]
fn a_bundle_is_only_for_its_subject() {
    let w = World::demo();
    let mut req = Submission::bundle("night-construction").request(&w, start_time());
    req.applicant = person();
    let e = w.engine().submit(req, Known::default(), start_time()).err();
    assert_eq!(e, Some(EngineError::WrongSubject { target: "夜间施工一件事".into(), expected: "enterprise" }));
    let mut req = Submission::bundle("birth").request(&w, start_time());
    req.applicant = enterprise();
    let e = w.engine().submit(req, Known::default(), start_time()).err();
    assert_eq!(e.as_ref().map(Describe::code), Some("wrong_subject"));
    assert_eq!(e.map(|e| e.message_zh()), Some("「出生一件事」只能由个人申请".to_owned()));
}

#[test]
fn form_errors_name_the_field() {
    let w = tiny::world();
    let ok = form(&[("phone", "13800001234"), ("when", "2025-09-20")]);
    let with = |k: &str, v: &str| {
        let mut f = ok.clone();
        f.insert(k.into(), v.into());
        f
    };
    let without = |k: &str| {
        let mut f = ok.clone();
        f.remove(k);
        f
    };
    let cases: Vec<(BTreeMap<String, String>, &str, Option<&str>)> = vec![
        (with("colour", "red"), "unknown_field", Some("form.colour")),
        (without("when"), "missing_field", Some("form.when")),
        (with("when", "   "), "missing_field", Some("form.when")),
        (with("when", "2025-02-30"), "invalid_field", Some("form.when")),
        (with("phone", "12345"), "invalid_field", Some("form.phone")),
        (with("note", "一二三四五六七八九十十一"), "invalid_field", Some("form.note")),
    ];
    for (f, code, field) in cases {
        let e = submit_err(&w, Submission::bundle("chain").form(f.clone()));
        assert_eq!((e.code(), e.field().as_deref()), (code, field), "{f:?}");
        assert_eq!(e.kind(), ErrorKind::Invalid);
    }
    let e = submit_err(&w, Submission::bundle("chain").form(with("when", "tomorrow")));
    match e {
        EngineError::InvalidField { key, label, reason_zh, reason_en } => {
            assert_eq!((key.as_str(), label.as_str()), ("when", "日期"));
            assert!(reason_zh.contains("2026-05-01") && reason_en.contains("2026-05-01"));
        }
        other => panic!("{other:?}"),
    }
    // An optional field may be left out; values are stored in their normal form.
    let s = Story::submit(&w, Submission::bundle("chain").form(with("phone", "+86 138-0000-1234")), start_time());
    assert_eq!(s.app.form, form(&[("phone", "13800001234"), ("when", "2025-09-20")]));
}

/// Runs `f` on a copy of the story's application and checks it fails with `want`, changing nothing.
fn refused(
    s: &mut Story<'_>,
    want: &EngineError,
    f: impl FnOnce(&mut Story<'_>) -> Result<onething::Effects, EngineError>,
) {
    let before = s.app.clone();
    let history = s.history.len();
    let got = f(s);
    assert_eq!(got.as_ref().err(), Some(want));
    assert_eq!(s.app, before, "{want:?} changed the application");
    assert_eq!(s.history.len(), history);
}

#[test]
fn action_errors_change_nothing() {
    let w = tiny::world();
    let mut s = Story::submit(&w, Submission::bundle("chain").channel(Channel::Window), start_time());
    let clerk = actor(STAFF, &[Role::Clerk]);
    let window = actor(STAFF, &[Role::Window]);
    let a = s.case_id("a");

    let want = EngineError::CaseNotFound(CaseId(42));
    refused(&mut s, &want, |s| {
        s.try_act_req(
            ActionRequest { case: CaseId(42), action: "accept".into(), comment: None, uploads: BTreeMap::new() },
            &clerk,
        )
    });
    assert_eq!(want.kind(), ErrorKind::NotFound);

    let want = EngineError::UnknownAction {
        action: "fly".into(),
        allowed: vec!["accept".into(), "request_supplement".into(), "refuse".into()],
    };
    refused(&mut s, &want, |s| s.try_act("a", "fly", &clerk, None));

    let want = EngineError::WrongState {
        item: "a".into(),
        state: "intake".into(),
        state_name: "待受理".into(),
        action: "办结".into(),
        action_en: "Approve".into(),
        allowed: vec!["accept".into(), "request_supplement".into(), "refuse".into()],
    };
    refused(&mut s, &want, |s| s.try_act("a", "approve", &clerk, None));
    assert_eq!(want.kind(), ErrorKind::Conflict);
    assert_eq!(
        want.message_zh(),
        "办件当前状态为「待受理」，不能执行「办结」；当前可执行：accept、request_supplement、refuse"
    );

    // b waits for a: nothing is possible yet.
    let want = EngineError::WrongState {
        item: "b".into(),
        state: "waiting".into(),
        state_name: "等待前置事项".into(),
        action: "受理".into(),
        action_en: "Accept".into(),
        allowed: vec![],
    };
    refused(&mut s, &want, |s| s.try_act("b", "accept", &clerk, None));

    let want = EngineError::RoleNotAllowed { action: "补正告知".into(), action_en: "Ask for more".into(), roles: vec![Role::Clerk] };
    refused(&mut s, &want, |s| s.try_act("a", "request_supplement", &window, Some("缺材料")));
    assert_eq!(want.kind(), ErrorKind::Forbidden);
    let nobody = Actor { account: AccountId(9), roles: vec![], name: String::new() };
    refused(
        &mut s,
        &EngineError::RoleNotAllowed { action: "受理".into(), action_en: "Accept".into(), roles: vec![Role::Window, Role::Clerk] },
        |s| s.try_act("a", "accept", &nobody, None),
    );
    // The applicant may not accept their own case.
    refused(
        &mut s,
        &EngineError::RoleNotAllowed { action: "受理".into(), action_en: "Accept".into(), roles: vec![Role::Window, Role::Clerk] },
        |s| s.try_act("a", "accept", &applicant_actor(), None),
    );

    let want = EngineError::CommentRequired { action: "不予办理".into(), action_en: "Refuse".into() };
    refused(&mut s, &want, |s| s.try_act("a", "refuse", &clerk, None));
    refused(&mut s, &want, |s| s.try_act("a", "refuse", &clerk, Some(" \n\t ")));

    let max = w.rules.max_comment_chars;
    let long = "长".repeat(max + 1);
    let want = EngineError::TooLong { field: "comment".into(), max };
    refused(&mut s, &want, |s| s.try_act("a", "refuse", &clerk, Some(&long)));
    assert_eq!(want.field().as_deref(), Some("comment"));
    // Exactly the maximum is fine, and counts characters, not bytes.
    let just = "长".repeat(max);
    s.act("a", "accept", &clerk, Some(&just));
    assert_eq!(s.state_of("a").as_deref(), Some("review"));
    let _ = a;
}

#[test]
fn a_finished_case_and_a_finished_application_refuse_actions() {
    let w = tiny::world();
    let mut s = Story::submit(&w, Submission::bundle("chain"), start_time());
    let clerk = actor(STAFF, &[Role::Clerk]);
    s.approve("a");
    let want = EngineError::WrongState {
        item: "a".into(),
        state: "approved".into(),
        state_name: "已办结".into(),
        action: "办结".into(),
        action_en: "Approve".into(),
        allowed: vec![],
    };
    refused(&mut s, &want, |s| s.try_act("a", "approve", &clerk, None));
    s.approve_all();
    assert!(s.app.status.is_finished());
    for (item, action) in [("a", "approve"), ("b", "refuse"), ("d", "fly")] {
        refused(&mut s, &EngineError::AlreadyFinished, |s| s.try_act(item, action, &clerk, Some("x")));
    }
    let e = EngineError::AlreadyFinished;
    refused(&mut s, &e, |s| {
        let now = s.now;
        w.engine().withdraw(&mut s.app, APPLICANT, None, now)
    });
}

#[test]
fn withdrawal_errors_change_nothing() {
    let w = tiny::world();
    let mut s = Story::submit(&w, Submission::bundle("chain"), start_time());
    let eng = w.engine();
    refused(&mut s, &EngineError::NotApplicant, |s| {
        let now = s.now;
        eng.withdraw(&mut s.app, STAFF, None, now)
    });
    let long = "x".repeat(w.rules.max_comment_chars + 1);
    refused(&mut s, &EngineError::TooLong { field: "reason".into(), max: w.rules.max_comment_chars }, |s| {
        let now = s.now;
        eng.withdraw(&mut s.app, APPLICANT, Some(&long), now)
    });
}

#[test]
fn rating_errors_change_nothing() {
    let w = tiny::world();
    let mut s = Story::submit(&w, Submission::bundle("chain"), start_time());
    let eng = w.engine();
    let rate = |level: RatingLevel, depts: &[&str]| RatingRequest {
        level,
        comment: None,
        departments: depts.iter().map(|d| (*d).to_owned()).collect(),
    };
    refused(&mut s, &EngineError::NotFinished, |s| {
        let now = s.now;
        eng.rate(&mut s.app, APPLICANT, rate(RatingLevel::VerySatisfied, &[]), now)
    });
    s.approve_all();
    refused(&mut s, &EngineError::NotApplicant, |s| {
        let now = s.now;
        eng.rate(&mut s.app, STAFF, rate(RatingLevel::VerySatisfied, &[]), now)
    });
    refused(&mut s, &EngineError::DepartmentNotInvolved("zz".into()), |s| {
        let now = s.now;
        eng.rate(&mut s.app, APPLICANT, rate(RatingLevel::Dissatisfied, &["d1", "zz"]), now)
    });
    let long = RatingRequest {
        comment: Some("差".repeat(w.rules.max_rating_comment_chars + 1)),
        ..rate(RatingLevel::Basic, &[])
    };
    refused(&mut s, &EngineError::TooLong { field: "comment".into(), max: w.rules.max_rating_comment_chars }, |s| {
        let now = s.now;
        eng.rate(&mut s.app, APPLICANT, long, now)
    });
    let e = eng.rate(&mut s.app, APPLICANT, rate(RatingLevel::Satisfied, &[]), s.now);
    assert!(e.is_ok());
    refused(&mut s, &EngineError::AlreadyRated, |s| {
        let now = s.now;
        eng.rate(&mut s.app, APPLICANT, rate(RatingLevel::VerySatisfied, &[]), now)
    });
    refused(&mut s, &EngineError::RectificationNotFound(RectificationId(5)), |s| {
        let now = s.now;
        eng.respond_rectification(&mut s.app, RectificationId(5), SUPERVISOR, "已整改", now)
    });
}

#[test]
fn every_error_has_a_code_and_both_messages() {
    let errors = [
        EngineError::UnknownBundle("x".into()),
        EngineError::UnknownItem("x".into()),
        EngineError::WrongSubject { target: "x".into(), expected: "person" },
        EngineError::UnknownField("x".into()),
        EngineError::MissingField { key: "x".into(), label: "某".into() },
        EngineError::InvalidField {
            key: "x".into(),
            label: "某".into(),
            reason_zh: "错".into(),
            reason_en: "bad".into(),
        },
        EngineError::MissingMaterials(vec![("m".into(), "某".into())]),
        EngineError::MaterialNotNeeded("m".into()),
        EngineError::MaterialAlreadyFilled { code: "m".into(), name: "某".into() },
        EngineError::CaseNotFound(CaseId(1)),
        EngineError::UnknownAction { action: "x".into(), allowed: vec![] },
        EngineError::WrongState {
            item: "i".into(),
            state: "s".into(),
            state_name: "某".into(),
            action: "a".into(),
            action_en: "a".into(),
            allowed: vec![],
        },
        EngineError::RoleNotAllowed { action: "x".into(), action_en: "x".into(), roles: vec![Role::Clerk] },
        EngineError::CommentRequired { action: "x".into(), action_en: "x".into() },
        EngineError::TooLong { field: "comment".into(), max: 3 },
        EngineError::AlreadyFinished,
        EngineError::NotFinished,
        EngineError::AlreadyRated,
        EngineError::NotApplicant,
        EngineError::RectificationNotFound(RectificationId(1)),
        EngineError::RectificationState("已办结"),
        EngineError::DepartmentNotInvolved("d".into()),
    ];
    let mut codes = std::collections::BTreeSet::new();
    for e in &errors {
        assert!(codes.insert(e.code()), "code {} twice", e.code());
        assert!(e.message_zh().chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)), "{e:?}");
        assert!(!e.message_en().is_empty() && e.message_en().is_ascii(), "{e:?}: {}", e.message_en());
        assert!(!e.to_string().is_empty());
    }
    assert_eq!(codes.len(), errors.len());
    assert_eq!(EngineError::MissingMaterials(vec![]).field().as_deref(), Some("materials"));
    assert_eq!(EngineError::MissingMaterials(vec![("m".into(), "某".into())]).field().as_deref(), Some("materials.m"));
    assert_eq!(EngineError::AlreadyRated.field(), None);
}
