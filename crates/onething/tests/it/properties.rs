//! Properties over the whole demo catalog: every bundle (and every item alone) can be filed with
//! its uploads and approved item by item to completion; rejecting any item follows the bundle's
//! policy; the history always verifies.

use std::collections::BTreeSet;

use catalog::{Bundle, Outcome, RejectPolicy};
use onething::{AppStatus, Application, CaseStatus, Channel, Known, MaterialSource, Recipient, Target};

use crate::harness::*;

/// What must hold after every step.
fn invariants(w: &World, app: &Application) {
    let bundle = match &app.target {
        Target::Bundle(c) => w.catalog.bundle(c),
        Target::Item(_) => None,
    };
    let approved: BTreeSet<&str> =
        app.cases.iter().filter(|c| c.status == CaseStatus::Approved).map(|c| c.item.as_str()).collect();
    for c in &app.cases {
        let prereqs = bundle.map(|b| b.prerequisites_of(&c.item).to_vec()).unwrap_or_default();
        match c.status {
            CaseStatus::Waiting => {
                assert!(c.state.is_none() && c.started_at.is_none(), "{}", c.item);
                assert!(!prereqs.iter().all(|p| approved.contains(p.as_str())), "{} could have started", c.item);
            }
            CaseStatus::Active | CaseStatus::Paused => {
                assert!(prereqs.iter().all(|p| approved.contains(p.as_str())), "{} started too early", c.item);
                assert!(c.state.is_some() && c.promised_deadline.is_some() && c.legal_deadline.is_some());
                assert!(c.promised_deadline <= c.legal_deadline, "{}", c.item);
                if c.status == CaseStatus::Active {
                    assert!(c.next_check_on.is_some(), "{}: an active case is watched", c.item);
                }
                assert_eq!(c.paused_since.is_some(), c.status == CaseStatus::Paused);
                assert!(app.deadline >= c.promised_deadline, "{}", c.item);
            }
            CaseStatus::Approved | CaseStatus::Rejected | CaseStatus::Cancelled => {
                assert!(c.finished_at.is_some(), "{}", c.item);
                assert_eq!(c.next_check_on, None, "{}", c.item);
            }
        }
    }
    let open = app.cases.iter().any(|c| c.status.is_open());
    assert_eq!(app.status.is_finished(), !open || app.status == AppStatus::Withdrawn, "{:?}", app.status);
    assert_eq!(app.finished_at.is_some(), app.status.is_finished());
    if app.cases.iter().any(|c| c.status == CaseStatus::Paused) && app.status != AppStatus::Withdrawn {
        assert_eq!(app.status, AppStatus::Supplementing);
    }
}

/// Every bundle of the demo catalog, run one way or another.
fn bundles(w: &World) -> Vec<Bundle> {
    let all: Vec<Bundle> = w.catalog.bundles().cloned().collect();
    assert!(all.len() >= 20, "the demo catalog has {} bundles", all.len());
    all
}

fn approve_in_topo_order(s: &mut Story<'_>, b: &Bundle) {
    for item in b.topo_order() {
        assert_eq!(s.case(&item).status, CaseStatus::Active, "{}: {item} should have started", b.code);
        s.approve(&item);
        invariants(s.world, &s.app);
    }
}

#[test]
fn every_demo_bundle_completes_when_every_item_is_approved() {
    let w = World::demo();
    for b in bundles(&w) {
        for (with_records, channel) in [(false, Channel::Online), (true, Channel::Window)] {
            let records = if with_records { w.all_records(b.subject, start_time()) } else { Vec::new() };
            let known = Known { records: &records, prior: None };
            let mut s = Story::submit(&w, Submission::bundle(&b.code).known(known).channel(channel), start_time());
            invariants(&w, &s.app);
            assert_eq!(s.app.cases.len(), b.items.len(), "{}", b.code);
            assert_eq!(s.app.status, AppStatus::InProgress);
            // Something starts at once.
            assert!(s.app.cases.iter().any(|c| c.status == CaseStatus::Active), "{}", b.code);
            approve_in_topo_order(&mut s, &b);
            assert_eq!(s.app.status, AppStatus::Completed, "{}", b.code);
            assert!(s.app.cases.iter().all(|c| c.status == CaseStatus::Approved), "{}", b.code);
            s.verify_history();
            // Every output was issued, once, and every material issued inside the bundle links to it.
            let outputs: usize = b.items.iter().filter_map(|i| w.catalog.item(i)).map(|i| i.outputs.len()).sum();
            assert_eq!(s.records.len(), outputs, "{}", b.code);
            for m in &s.app.materials {
                if let MaterialSource::IssuedInBundle { item, record_id } = &m.source {
                    let rec = s.records.iter().find(|r| Some(r.id) == *record_id);
                    let dept = w.catalog.item(item).map(|i| i.department.clone()).unwrap_or_default();
                    assert!(rec.is_some_and(|r| r.department == dept), "{}: {} not linked", b.code, m.material);
                }
            }
            // No ticks ran: every notice went to the applicant, ending with the completion.
            assert!(s.notices.iter().all(|n| n.recipient == Recipient::applicant(APPLICANT)), "{}", b.code);
            assert_eq!(s.notices.first().map(|n| n.kind.as_str()), Some("submitted"));
            assert_eq!(s.notices.last().map(|n| n.kind.as_str()), Some("finished"));
            assert_eq!(s.notices.iter().filter(|n| n.kind == "case_approved").count(), b.items.len());
            // Items that start at filing are announced by the filing notice; the others each get one.
            let later = b.items.iter().filter(|i| !b.prerequisites_of(i).is_empty()).count();
            assert_eq!(s.notices.iter().filter(|n| n.kind == "case_started").count(), later, "{}", b.code);
            // Everything happened at one instant: the same day.
            assert_eq!(s.app.elapsed_days, Some(0));
            assert_eq!(s.app.deadline, Some(domain::china_date(start_time())));
            if with_records {
                // With every record of the applicant in the pool, only true uploads are asked for
                // (a legal representative's ID card is a person's record, not the enterprise's).
                for m in &s.app.materials {
                    let satisfiable = w
                        .catalog
                        .material(&m.material)
                        .and_then(|x| x.satisfied_by.as_deref())
                        .and_then(|r| w.catalog.record_type(r))
                        .is_some_and(|r| r.subject == b.subject);
                    assert_eq!(m.source.is_upload(), !satisfiable, "{}: {}", b.code, m.material);
                }
            }
        }
    }
}

#[test]
fn every_demo_item_alone_completes() {
    let w = World::demo();
    let items: Vec<_> = w.catalog.items().map(|i| i.code.clone()).collect();
    assert!(items.len() > 60);
    for item in items {
        let mut s = Story::submit(&w, Submission::item(&item), start_time());
        invariants(&w, &s.app);
        s.approve(&item);
        invariants(&w, &s.app);
        assert_eq!(s.app.status, AppStatus::Completed, "{item}");
        s.verify_history();
        assert_eq!(s.notices.iter().filter(|n| n.kind == "case_started").count(), 0);
    }
}

/// The items that depend on `item`, directly or not.
fn dependents(b: &Bundle, item: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::from([item.to_owned()]);
    loop {
        let before = out.len();
        for i in &b.items {
            if b.prerequisites_of(i).iter().any(|p| out.contains(p)) {
                out.insert(i.clone());
            }
        }
        if out.len() == before {
            out.remove(item);
            return out;
        }
    }
}

#[test]
fn rejecting_any_item_of_any_demo_bundle_follows_the_bundle_policy() {
    let w = World::demo();
    for b in bundles(&w) {
        for victim in b.topo_order() {
            let mut s = Story::submit(&w, Submission::bundle(&b.code), start_time());
            // Approve what comes before the victim, then refuse it.
            for item in b.topo_order() {
                if item == victim {
                    break;
                }
                if s.case(&item).status == CaseStatus::Active {
                    s.approve(&item);
                }
            }
            assert_eq!(s.case(&victim).status, CaseStatus::Active, "{}: {victim}", b.code);
            let wf = s.workflow_of(&victim);
            let state = s.state_of(&victim).unwrap_or_default();
            let refuse = wf
                .actions_from(&state)
                .find(|a| wf.state(&a.to).is_some_and(|t| t.outcome == Some(Outcome::Rejected)))
                .map(|a| a.code.clone())
                .unwrap_or_else(|| panic!("{}: no refusal from {state}", wf.code));
            let open_before: BTreeSet<String> =
                s.app.cases.iter().filter(|c| c.status.is_open() && c.item != victim).map(|c| c.item.clone()).collect();
            s.act_as_allowed(&victim, &refuse);
            invariants(&w, &s.app);
            assert_eq!(s.case(&victim).status, CaseStatus::Rejected);
            let cancelled: BTreeSet<String> =
                s.app.cases.iter().filter(|c| c.status == CaseStatus::Cancelled).map(|c| c.item.clone()).collect();
            let want: BTreeSet<String> = match b.on_reject {
                RejectPolicy::FailBundle => open_before.clone(),
                RejectPolicy::Continue => dependents(&b, &victim).intersection(&open_before).cloned().collect(),
            };
            assert_eq!(cancelled, want, "{}: rejecting {victim}", b.code);
            // The rest carries on to the end.
            s.approve_all();
            invariants(&w, &s.app);
            let approved = s.app.cases.iter().filter(|c| c.status == CaseStatus::Approved).count();
            let want_status = match (b.on_reject, approved) {
                (RejectPolicy::FailBundle, _) | (_, 0) => AppStatus::Rejected,
                _ => AppStatus::PartiallyCompleted,
            };
            assert_eq!(s.app.status, want_status, "{}: rejecting {victim}", b.code);
            assert!(s.app.cases.iter().all(|c| c.status.is_terminal()));
            s.verify_history();
            assert_eq!(s.notices.iter().filter(|n| n.kind == "finished").count(), 1);
        }
    }
}

#[test]
fn every_demo_bundle_can_be_paused_and_resumed_in_every_item() {
    let w = World::demo();
    for b in bundles(&w) {
        let mut s = Story::submit(&w, Submission::bundle(&b.code), start_time());
        for item in b.topo_order() {
            let wf = s.workflow_of(&item);
            let state = s.state_of(&item).unwrap_or_default();
            let ask = wf
                .actions_from(&state)
                .find(|a| wf.state(&a.to).is_some_and(|t| t.pauses_clock))
                .map(|a| a.code.clone());
            let Some(ask) = ask else { panic!("{}: {item} cannot ask for a supplement from {state}", b.code) };
            s.act_as_allowed(&item, &ask);
            invariants(&w, &s.app);
            assert_eq!(s.app.status, AppStatus::Supplementing);
            let paused = s.state_of(&item).unwrap_or_default();
            let back = wf
                .actions_from(&paused)
                .find(|a| wf.state(&a.to).is_some_and(|t| !t.is_terminal()))
                .map(|a| a.code.clone());
            s.act_as_allowed(&item, &back.unwrap_or_else(|| panic!("{}: no way back", wf.code)));
            invariants(&w, &s.app);
            s.approve(&item);
        }
        assert_eq!(s.app.status, AppStatus::Completed, "{}", b.code);
        s.verify_history();
    }
}

#[test]
fn the_parts_the_store_keeps_as_json_read_back_unchanged() {
    let w = World::demo();
    for b in bundles(&w) {
        let records = w.all_records(b.subject, start_time());
        let mut s = Story::submit(
            &w,
            Submission::bundle(&b.code).known(Known { records: &records, prior: None }),
            start_time(),
        );
        s.approve_all();
        let prior = s.as_prior();
        let mut s = Story::submit(
            &w,
            Submission::bundle(&b.code).known(Known { records: &records, prior: Some(&prior) }),
            start_time(),
        );
        s.approve_all();
        let json = serde_json::to_string(&s.app.materials).unwrap_or_default();
        let back: Vec<onething::MaterialEntry> =
            serde_json::from_str(&json).unwrap_or_else(|e| panic!("{}: {e}: {json}", b.code));
        assert_eq!(back, s.app.materials);
        let json = serde_json::to_string(&s.app.cases).unwrap_or_default();
        let back: Vec<onething::ItemCase> = serde_json::from_str(&json).unwrap_or_else(|e| panic!("{}: {e}", b.code));
        assert_eq!(back, s.app.cases);
        let json = serde_json::to_string(&s.history).unwrap_or_default();
        let back: Vec<onething::HistoryEntry> =
            serde_json::from_str(&json).unwrap_or_else(|e| panic!("{}: {e}", b.code));
        if let Err(e) = onething::history::verify(s.app.id, &back, &s.app.history) {
            panic!("{}: {e}", b.code);
        }
    }
}
