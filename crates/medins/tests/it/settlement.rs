//! Monthly settlements: points worked out by hand, point value = budget ÷ total points, the
//! payments adding up to the budget, outliers both ways, re-admissions within 15 days (and not
//! on day 16), refusals that settle nothing, and the same result and digest for shuffled input.

use domain::Describe;
use domain::Fen;
use medins::Grouper;
use medins::MedinsError;
use medins::Membership;
use medins::Month;
use medins::Outlier;
use medins::PaymentKind;
use medins::Scheme;
use medins::Settlement;
use medins::SettlementInput;
use medins::settle;

use crate::helpers::d;
use crate::helpers::ep;
use crate::helpers::secondary;
use crate::helpers::tertiary;

fn march() -> Month {
    Month::new(2024, 3).expect("a month")
}

fn run(input: &SettlementInput) -> Result<Settlement, MedinsError> {
    settle(&Grouper::embedded(), &Scheme::embedded(), input)
}

fn find<'s>(s: &'s Settlement, id: &str) -> &'s medins::EpisodeSettlement {
    s.episodes.iter().find(|e| e.episode_id == id).expect("settled")
}

/// Three cases at a secondary hospital (in the bed-day scheme) and a tertiary one (applied,
/// not yet approved):
/// - a: 脑梗死 at the secondary hospital, 9,600 yuan = BR25's benchmark → 96 points;
/// - b: 脑梗死后遗症, 100 days at the secondary hospital, 30,000 yuan → per bed-day:
///   60 × 350 + 30 × 320 + 10 × 280 = 33,400 yuan → 334 points;
/// - c: the same stay at the tertiary hospital, not in the scheme → DRG BZ15 (0.78, 7,800 yuan),
///   a high outlier: 78 + (30,000 − 3 × 7,800) × 0.9 × 78 / 7,800 = 78 + 59.4 = 137.4 points.
fn three_cases() -> SettlementInput {
    let end = d(2024, 3, 20);
    SettlementInput {
        month: march(),
        budget: Fen(5_106_600),
        hospitals: vec![secondary("s1"), tertiary("t1", Membership::Applied)],
        episodes: vec![ep("s1", "a", "I63.9", end, 9, 9_600), ep("s1", "b", "I69.3", end, 100, 30_000), ep("t1", "c", "I69.3", end, 100, 30_000)],
        earlier: vec![],
    }
}

#[test]
fn points_point_value_and_payments_by_hand() {
    let s = run(&three_cases()).expect("settles");
    let a = find(&s, "a");
    assert_eq!((a.drg.as_str(), a.kind, a.points, a.outlier), ("BR25", PaymentKind::Drg, 96.0, None));
    let b = find(&s, "b");
    assert_eq!((b.drg.as_str(), b.kind, b.points, b.outlier, b.los), ("BZ15", PaymentKind::BedDay, 334.0, None, 100));
    assert_eq!(b.reference_cost, Fen(3_340_000));
    let c = find(&s, "c");
    assert_eq!((c.kind, c.points, c.outlier), (PaymentKind::Drg, 137.4, Some(Outlier::High)));
    assert_eq!(c.reference_points, 78.0);
    // 567.4 points share 5,106,600 fen: 9,000 fen (90 yuan) a point.
    assert!((s.total_points - 567.4).abs() < 1e-9);
    assert!((s.point_value - 9_000.0).abs() < 1e-6, "{}", s.point_value);
    assert_eq!((a.payment, b.payment, c.payment), (Fen(864_000), Fen(3_006_000), Fen(1_236_600)));
    assert_eq!(s.episodes.iter().map(|e| e.payment).sum::<Fen>(), s.budget);
    // Patient shares: employees at a secondary hospital pay 600 yuan, then 12 %.
    assert_eq!(a.patient_share, Fen(60_000 + 108_000));
    // Per hospital.
    let s1 = &s.hospitals[0];
    assert_eq!((s1.hospital.as_str(), s1.episodes, s1.bed_day_episodes, s1.points, s1.payment), ("s1", 2, 1, 430.0, Fen(3_870_000)));
    let t1 = &s.hospitals[1];
    assert_eq!((t1.episodes, t1.outliers, t1.bed_day_episodes), (1, 1, 0));
    // Approving the tertiary hospital's application moves its case to bed-day payment.
    let mut input = three_cases();
    input.hospitals[1].membership = Membership::Approved { since: d(2024, 1, 1) };
    let s = run(&input).expect("settles");
    // 60 × 420 + 30 × 380 + 10 × 330 = 39,900 yuan → 399 points.
    assert_eq!((find(&s, "c").kind, find(&s, "c").points), (PaymentKind::BedDay, 399.0));
    // Joined after the discharge: still DRG.
    input.hospitals[1].membership = Membership::Approved { since: d(2024, 3, 21) };
    assert_eq!(find(&run(&input).expect("settles"), "c").kind, PaymentKind::Drg);
}

#[test]
fn outliers_both_ways() {
    let end = d(2024, 3, 20);
    let input = SettlementInput {
        month: march(),
        budget: Fen(1_000_000),
        hospitals: vec![secondary("s1")],
        episodes: vec![
            // BR25 at 3,000 yuan, below 0.4 × 9,600 = 3,840: 96 × 3,000 / 9,600 = 30 points.
            ep("s1", "low", "I63.9", end, 3, 3_000),
            // BR25 at 3,840 yuan, on the line: not an outlier.
            ep("s1", "line", "I63.9", end, 3, 3_840),
            // BR25 at 38,400 yuan: 96 + (38,400 − 28,800) × 0.9 × 0.01 = 182.4 points.
            ep("s1", "high", "I63.9", end, 30, 38_400),
            // Bed-day, 100 days (33,400 yuan standard) at 10,000 yuan < 16,700: 100 points.
            ep("s1", "bd-low", "I69.3", end, 100, 10_000),
            // Bed-day at 70,000 yuan > 66,800: flagged, the points stay 334 (pay ratio 0).
            ep("s1", "bd-high", "I69.3", end, 100, 70_000),
        ],
        earlier: vec![],
    };
    let s = run(&input).expect("settles");
    let got = |id: &str| (find(&s, id).points, find(&s, id).outlier);
    assert_eq!(got("low"), (30.0, Some(Outlier::Low)));
    assert_eq!(got("line"), (96.0, None));
    assert_eq!(got("high"), (182.4, Some(Outlier::High)));
    assert_eq!(got("bd-low"), (100.0, Some(Outlier::Low)));
    assert_eq!(got("bd-high"), (334.0, Some(Outlier::High)));
    assert_eq!(s.hospitals[0].outliers, 4);
}

#[test]
fn an_ungroupable_case_is_paid_by_its_cost_and_flagged() {
    let mut e = ep("s1", "qy", "I63.9", d(2024, 3, 20), 10, 12_345);
    e.procedures = vec!["81.51".into()];
    let input = SettlementInput { month: march(), budget: Fen(100), hospitals: vec![secondary("s1")], episodes: vec![e], earlier: vec![] };
    let s = run(&input).expect("settles");
    let q = find(&s, "qy");
    assert_eq!((q.drg.as_str(), q.ungroupable, q.points, q.payment), ("BQY", true, 123.45, Fen(100)));
    assert_eq!(s.hospitals[0].ungroupable, 1);
}

#[test]
fn a_readmission_within_15_days_is_flagged_and_day_16_is_not() {
    let mut e1 = ep("s1", "p1-first", "J18.9", d(2024, 3, 1), 7, 8_000);
    let mut e2 = ep("s1", "p1-again", "J18.9", d(2024, 3, 20), 4, 8_000); // admitted 03-16: 15 days
    let mut e3 = ep("s1", "p2-first", "J18.9", d(2024, 3, 1), 7, 8_000);
    let mut e4 = ep("s1", "p2-again", "J18.9", d(2024, 3, 21), 4, 8_000); // admitted 03-17: 16 days
    // Discharged in February, re-admitted on 03-05 (9 days): found through `earlier`.
    let mut feb = ep("s1", "p3-feb", "I50.0", d(2024, 2, 25), 8, 9_000);
    let mut e5 = ep("s1", "p3-mar", "I50.0", d(2024, 3, 12), 7, 9_000);
    // Same patient at another hospital: not the same hospital's re-admission.
    let mut e6 = ep("s2", "p1-elsewhere", "J18.9", d(2024, 3, 24), 3, 8_000);
    // Chemotherapy cycles are planned: never flagged.
    let mut c1 = ep("s1", "p4-cycle1", "Z51.1", d(2024, 3, 3), 3, 5_000);
    let mut c2 = ep("s1", "p4-cycle2", "Z51.1", d(2024, 3, 15), 3, 5_000);
    for (e, p) in [(&mut e1, "P1"), (&mut e2, "P1"), (&mut e3, "P2"), (&mut e4, "P2"), (&mut feb, "P3"), (&mut e5, "P3"), (&mut e6, "P1"), (&mut c1, "P4"), (&mut c2, "P4")] {
        e.patient = p.into();
    }
    let input = SettlementInput {
        month: march(),
        budget: Fen(10_000_000),
        hospitals: vec![secondary("s1"), secondary("s2")],
        episodes: vec![e1, e2, e3, e4, e5, e6, c1, c2],
        earlier: vec![feb],
    };
    let s = run(&input).expect("settles");
    let re = |id: &str| find(&s, id).readmission_of.clone();
    assert_eq!(re("p1-again").as_deref(), Some("p1-first"));
    assert_eq!(re("p2-again"), None, "16 days is outside the window");
    assert_eq!(re("p3-mar").as_deref(), Some("p3-feb"));
    assert_eq!(re("p1-elsewhere"), None);
    assert_eq!(re("p4-cycle2"), None);
    assert_eq!(re("p1-first"), None);
    assert_eq!(s.hospitals[0].readmissions, 2);
    assert!(s.episodes.iter().all(|e| e.episode_id != "p3-feb"), "earlier episodes are not settled");
}

#[test]
fn bad_input_is_refused_and_nothing_is_settled() {
    let base = three_cases();
    // The same episode twice.
    let mut input = base.clone();
    input.episodes.push(input.episodes[1].clone());
    let e = run(&input).expect_err("duplicate");
    assert_eq!(e, MedinsError::DuplicateEpisode { hospital: "s1".into(), episode: "b".into() });
    assert_eq!((e.code(), e.kind()), ("duplicate_episode", medins::ErrorKind::Conflict));
    // The same id at two hospitals is two episodes.
    let mut input = base.clone();
    let mut other = input.episodes[0].clone();
    other.hospital = "t1".into();
    input.episodes.push(other);
    assert!(run(&input).is_ok());
    // A hospital not in the scheme.
    let mut input = base.clone();
    input.episodes[0].hospital = "nowhere".into();
    let e = run(&input).expect_err("unknown hospital");
    assert_eq!(e.code(), "hospital_not_in_scheme");
    assert_eq!(e.episode(), Some("a"));
    // Unknown codes, named.
    let mut input = base.clone();
    input.episodes[2].other_dx = vec!["I10".into(), "Q99.9".into()];
    assert_eq!(run(&input).expect_err("unknown code"), MedinsError::UnknownDiagnosis { code: "Q99.9".into(), field: "other_dx[1]".into() });
    // Discharge before admission.
    let mut input = base.clone();
    input.episodes[0].admitted = d(2024, 3, 25);
    assert_eq!(run(&input).expect_err("dates").code(), "discharge_before_admission");
    // A discharge outside the month.
    let mut input = base.clone();
    input.episodes[0].discharged = d(2024, 4, 1);
    assert_eq!(run(&input).expect_err("month").code(), "episode_outside_month");
    // A negative budget, an invalid month, a hospital twice, a tertiary hospital "included".
    let mut input = base.clone();
    input.budget = Fen(-1);
    assert_eq!(run(&input).expect_err("budget").code(), "invalid_budget");
    let mut input = base.clone();
    input.month = Month { year: 2024, month: 13 };
    assert_eq!(run(&input).expect_err("month").code(), "invalid_month");
    let mut input = base.clone();
    input.hospitals.push(secondary("s1"));
    assert_eq!(run(&input).expect_err("hospital twice").code(), "duplicate_hospital");
    let mut input = base.clone();
    input.hospitals[1].membership = Membership::Included { since: d(2021, 1, 1) };
    assert_eq!(run(&input).expect_err("membership").code(), "invalid_membership");
    // Zero cost.
    let mut input = base;
    input.episodes[1].costs[0].1 = Fen(0);
    assert_eq!(run(&input).expect_err("zero cost").field().as_deref(), Some("costs[0]"));
}

#[test]
fn the_first_problem_in_canonical_order_is_reported_whatever_the_input_order() {
    let mut input = three_cases();
    input.episodes[0].principal_dx = "BAD-A".into();
    input.episodes[2].principal_dx = "BAD-C".into();
    let first = run(&input).expect_err("bad");
    input.episodes.reverse();
    assert_eq!(run(&input).expect_err("bad"), first);
    assert_eq!(first, MedinsError::UnknownDiagnosis { code: "BAD-A".into(), field: "principal_dx".into() });
}

#[test]
fn shuffled_input_gives_the_same_settlement_and_digest() {
    let hospitals = medins::synth::hospitals(1);
    let month = march();
    let episodes = medins::synth::month_episodes(&hospitals, month, 3_000, 7);
    let earlier = medins::synth::month_episodes(&hospitals, month.prev(), 500, 8);
    let input = SettlementInput { month, budget: medins::synth::budget(&episodes), hospitals, episodes, earlier };
    let a = run(&input).expect("settles");
    assert_eq!(a.digest.len(), 64);
    assert_eq!(a.episodes.iter().map(|e| e.payment).sum::<Fen>(), input.budget, "the payments add up to the budget");
    assert_eq!(a.hospitals.iter().map(|h| h.payment).sum::<Fen>(), input.budget);

    let mut shuffled = input.clone();
    shuffled.episodes.reverse();
    shuffled.episodes.rotate_left(1234);
    shuffled.earlier.reverse();
    shuffled.hospitals.reverse();
    for e in shuffled.episodes.iter_mut() {
        e.other_dx.reverse();
        e.procedures.reverse();
        e.costs.reverse();
    }
    let b = run(&shuffled).expect("settles");
    assert_eq!(a, b, "the same settlement, field by field");
    assert_eq!(a.reproduces(&Grouper::embedded(), &Scheme::embedded(), &shuffled), Ok(true));

    let mut changed = input.clone();
    changed.budget += Fen(1);
    assert_ne!(run(&changed).expect("settles").digest, a.digest);
    let mut changed = input;
    changed.episodes[0].costs[0].1 += Fen(1);
    assert_ne!(run(&changed).expect("settles").digest, a.digest);
    assert_eq!(a.reproduces(&Grouper::embedded(), &Scheme::embedded(), &changed), Ok(false));
    // Other data, another digest.
    let scheme = Scheme::from_toml(&medins::scheme::EMBEDDED_SCHEME.replace("window_days = 15", "window_days = 14")).expect("a scheme");
    assert_ne!(settle(&Grouper::embedded(), &scheme, &shuffled).expect("settles").digest, a.digest);
}

#[test]
fn an_empty_month_settles_to_nothing() {
    let input = SettlementInput { month: march(), budget: Fen(1_000), hospitals: vec![secondary("s1")], episodes: vec![], earlier: vec![] };
    let s = run(&input).expect("settles");
    assert_eq!((s.total_points, s.point_value, s.episodes.len(), s.hospitals.len()), (0.0, 0.0, 0, 1));
}
