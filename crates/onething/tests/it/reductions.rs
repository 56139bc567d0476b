//! Reductions (减材料、减跑动、减时间): designed per bundle from the catalog, measured per completed
//! application.

use catalog::Role;
use expect_test::expect;
use onething::reduction::{self, Figures, Percentages};
use onething::{AppStatus, Channel, Known};

use crate::harness::*;
use crate::tiny;

#[test]
fn designed_reductions_of_the_tiny_chain_by_hand() {
    let w = tiny::world();
    let b = w.catalog.bundle("chain").cloned().unwrap_or_else(|| panic!("no chain"));
    let d = reduction::designed(&b, &w.catalog);
    // Materials: a 2 + b 2 + c 2 + d 1 = 7 item by item; in the bundle only up1 and up2 are to be
    // provided (id_card is shared, a_m and b_m issued inside). Visits 1 + 2 + 1 + 1 = 5; c is not
    // online, so one trip. Days 2 + 3 + 1 + 4 = 10 one after the other, the chain a → b → c = 6.
    assert_eq!(d.item_by_item, Figures { materials: 7, trips: 5, days: 10 });
    assert_eq!(d.bundled, Figures { materials: 2, trips: 1, days: 6 });
    assert_eq!(d.reduction, Percentages { materials: Some(0.7143), trips: Some(0.8), days: Some(0.4) });
    assert_eq!(reduction::critical_path_days(&b, &w.catalog), 6);
    let diamond = w.catalog.bundle("diamond").cloned().unwrap_or_else(|| panic!("no diamond"));
    // a 2, then the slower of b 3 and e 2, then f 1.
    assert_eq!(reduction::critical_path_days(&diamond, &w.catalog), 6);
}

#[test]
fn designed_reductions_of_every_demo_bundle() {
    let w = World::demo();
    let pct = |p: Option<f64>| p.map_or("-".to_owned(), |p| format!("{:.1}%", p * 100.0));
    let mut out = String::new();
    let mut total_before = Figures::default();
    let mut total_after = Figures::default();
    for b in w.catalog.bundles() {
        let d = reduction::designed(b, &w.catalog);
        // The catalog's own count agrees.
        let c = b.reduction(&w.catalog);
        assert_eq!(
            (d.item_by_item.materials, d.bundled.materials, d.item_by_item.days, d.bundled.days),
            (
                c.materials_item_by_item as u64,
                c.materials_to_upload as u64,
                u64::from(c.days_item_by_item),
                u64::from(c.days_in_bundle)
            ),
            "{}",
            b.code
        );
        total_before.add(d.item_by_item);
        total_after.add(d.bundled);
        out += &format!(
            "{:<26} materials {:>2} → {} ({:>6})  trips {:>2} → {} ({:>6})  days {:>2} → {:>2} ({:>6})\n",
            b.code,
            d.item_by_item.materials,
            d.bundled.materials,
            pct(d.reduction.materials),
            d.item_by_item.trips,
            d.bundled.trips,
            pct(d.reduction.trips),
            d.item_by_item.days,
            d.bundled.days,
            pct(d.reduction.days)
        );
    }
    let t = Percentages::of(total_before, total_after);
    out += &format!("total: materials {}, trips {}, days {}\n", pct(t.materials), pct(t.trips), pct(t.days));
    expect![[r#"
        birth                      materials 16 → 0 (100.0%)  trips  7 → 1 ( 85.7%)  days 13 →  6 ( 53.8%)
        construction-start         materials 17 → 4 ( 76.5%)  trips  5 → 0 (100.0%)  days 13 →  7 ( 46.2%)
        death                      materials 28 → 1 ( 96.4%)  trips  8 → 1 ( 87.5%)  days 20 →  7 ( 65.0%)
        disability                 materials  9 → 2 ( 77.8%)  trips  4 → 1 ( 75.0%)  days 30 → 20 ( 33.3%)
        elderly-care               materials  7 → 1 ( 85.7%)  trips  4 → 0 (100.0%)  days 17 → 10 ( 41.2%)
        enterprise-change          materials 10 → 1 ( 90.0%)  trips  6 → 0 (100.0%)  days  6 →  2 ( 66.7%)
        enterprise-deregistration  materials 13 → 2 ( 84.6%)  trips  5 → 0 (100.0%)  days  7 →  4 ( 42.9%)
        enterprise-opening         materials 15 → 2 ( 86.7%)  trips  8 → 0 (100.0%)  days  7 →  3 ( 57.1%)
        entrepreneurship           materials  7 → 1 ( 85.7%)  trips  5 → 0 (100.0%)  days 13 → 11 ( 15.4%)
        housing                    materials 13 → 1 ( 92.3%)  trips  5 → 0 (100.0%)  days  7 →  6 ( 14.3%)
        marriage-childbirth        materials  9 → 1 ( 88.9%)  trips  4 → 1 ( 75.0%)  days  6 →  5 ( 16.7%)
        medical                    materials  6 → 1 ( 83.3%)  trips  3 → 0 (100.0%)  days  7 →  5 ( 28.6%)
        migrant-school-enrolment   materials  8 → 0 (100.0%)  trips  4 → 0 (100.0%)  days 13 → 12 (  7.7%)
        night-construction         materials 16 → 3 ( 81.2%)  trips  5 → 0 (100.0%)  days  5 →  2 ( 60.0%)
        project-approval           materials 16 → 5 ( 68.8%)  trips  5 → 0 (100.0%)  days 26 → 11 ( 57.7%)
        public-rental              materials  3 → 0 (100.0%)  trips  3 → 0 (100.0%)  days 16 → 16 (  0.0%)
        relief                     materials 16 → 4 ( 75.0%)  trips  7 → 0 (100.0%)  days 50 → 30 ( 40.0%)
        restaurant-opening         materials  5 → 2 ( 60.0%)  trips  3 → 0 (100.0%)  days  8 →  5 ( 37.5%)
        retirement                 materials 11 → 1 ( 90.9%)  trips  5 → 0 (100.0%)  days 19 → 15 ( 21.1%)
        school-enrolment           materials  8 → 0 (100.0%)  trips  4 → 0 (100.0%)  days 13 → 12 (  7.7%)
        unemployment               materials  8 → 1 ( 87.5%)  trips  4 → 0 (100.0%)  days  6 →  4 ( 33.3%)
        veteran                    materials 14 → 2 ( 85.7%)  trips  5 → 1 ( 80.0%)  days 36 → 13 ( 63.9%)
        total: materials 86.3%, trips 95.4%, days 39.1%
    "#]]
    .assert_eq(&out);
}

#[test]
fn measured_reductions_of_a_completed_application() {
    let w = World::demo();
    let records: Vec<_> = ["resident_id_card", "household_register", "marriage_registration"]
        .iter()
        .map(|t| w.record(t, china(2024, 5, 6, 10, 0)))
        .collect();
    let known = Known { records: &records, prior: None };
    let mut s = Story::submit(&w, Submission::bundle("birth").known(known), start_time());
    // Item by item: 7 items, their materials 1+4+2+2+2+2+3, visits 7, days 1+1+1+3+1+1+5.
    assert_eq!(s.app.baseline, onething::Baseline { materials: 16, trips: 7, days: 13, items: 7 });
    assert_eq!(reduction::measured(&s.app, &w.calendar), None, "not finished");
    s.approve("wjw-birth-cert");
    s.set_now(china(2025, 10, 9, 10, 0));
    s.approve_all();
    assert_eq!(s.app.status, AppStatus::Completed);
    let (base, actual) = reduction::measured(&s.app, &w.calendar).unwrap_or_else(|| panic!("completed"));
    assert_eq!(base, Figures { materials: 16, trips: 7, days: 13 });
    // One upload, filed online, finished on 10-09: 09-28, 09-29, 09-30, 10-09 = 4 working days.
    assert_eq!(actual, Figures { materials: 1, trips: 0, days: 4 });
    assert_eq!(
        Percentages::of(base, actual),
        Percentages { materials: Some(0.9375), trips: Some(1.0), days: Some(0.6923) }
    );
}

#[test]
fn supplements_handed_in_at_a_window_count_as_trips() {
    let w = tiny::world();
    let clerk = actor(STAFF, &[Role::Clerk]);
    let mut s = Story::submit(&w, Submission::item("a").channel(Channel::Window), start_time());
    assert_eq!(s.app.trips(), 1);
    // The applicant comes to the window with the supplement: the clerk resubmits for them.
    s.act("a", "request_supplement", &clerk, Some("缺申请书"));
    s.act("a", "resubmit", &actor(WINDOW_CLERK, &[Role::Window, Role::Applicant]), None);
    assert_eq!(s.app.trips(), 2);
    // Online, a resubmission is no trip.
    s.act("a", "request_supplement", &clerk, Some("还缺"));
    s.act("a", "resubmit", &applicant_actor(), None);
    assert_eq!(s.app.trips(), 2);
    // Refusing a paused case is the clerk's doing, not a trip of the applicant's.
    s.act("a", "request_supplement", &clerk, Some("还缺"));
    s.act("a", "refuse", &actor(STAFF, &[Role::Window, Role::Clerk]), Some("逾期未补正"));
    assert_eq!(s.app.trips(), 2);
    assert_eq!(s.app.extra_trips, 1);
}

#[test]
fn only_completed_applications_are_measured() {
    let w = tiny::world();
    let mut s = Story::submit(&w, Submission::bundle("chain"), start_time());
    s.act("a", "refuse", &actor(STAFF, &[Role::Clerk]), Some("不符合"));
    s.approve("d");
    assert_eq!(s.app.status, AppStatus::PartiallyCompleted);
    assert_eq!(reduction::measured(&s.app, &w.calendar), None);
    assert_eq!(s.app.elapsed_days, Some(0));
}
