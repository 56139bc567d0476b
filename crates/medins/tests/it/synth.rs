//! The synthetic district: valid, unique, deterministic episodes whose averages fall once the
//! hospitals join the scheme, and a month of them settles with every kind of case in it.

use std::collections::HashSet;

use domain::ResidentId;
use medins::Grouper;
use medins::Month;
use medins::PaymentKind;
use medins::Scheme;
use medins::SettlementInput;
use medins::indicators;
use medins::indicators::by_year;
use medins::indicators::change_pct;
use medins::settle;
use medins::synth;

#[test]
fn episodes_are_valid_unique_and_deterministic() {
    let g = Grouper::embedded();
    let hospitals = synth::hospitals(1);
    assert_eq!(hospitals.iter().filter(|h| h.level == medins::HospitalLevel::Tertiary).count(), 3);
    assert!(hospitals.iter().all(|h| h.check().is_ok()));
    let episodes = synth::episodes(&hospitals, 2022, 20_000, 42);
    assert_eq!(episodes.len(), 20_000);
    let mut keys = HashSet::new();
    for e in &episodes {
        assert_eq!(e.validate(&g), Ok(()), "{e:?}");
        assert!(keys.insert((e.hospital.clone(), e.id.clone())), "unique");
        assert_eq!(chrono::Datelike::year(&e.discharged), 2022);
        let id = ResidentId::parse(&e.patient).unwrap_or_else(|err| panic!("{}: {err:?}", e.patient));
        assert_eq!(id.sex(), e.sex, "{}", e.patient);
    }
    assert_eq!(synth::episodes(&hospitals, 2022, 500, 42), episodes[..500].to_vec(), "deterministic");
    assert_ne!(synth::episodes(&hospitals, 2022, 500, 43), episodes[..500].to_vec());
}

#[test]
fn stays_get_shorter_and_cheaper_once_the_hospitals_join() {
    let hospitals = synth::hospitals(1);
    let mut episodes = synth::episodes(&hospitals, 2020, 40_000, 1);
    episodes.extend(synth::episodes(&hospitals, 2022, 40_000, 2));
    let rows = indicators(&episodes, &hospitals, &Grouper::embedded(), &Scheme::embedded());
    let years = by_year(&rows);
    let (y20, y22) = (&years[0].totals, &years[1].totals);
    let los = change_pct(y20.avg_los(), y22.avg_los()).expect("a change");
    let cost = change_pct(y20.avg_cost_exact(), y22.avg_cost_exact()).expect("a change");
    eprintln!("ALOS {:.2} → {:.2} ({los:.1}%), cost per stay {} → {} ({cost:.1}%)", y20.avg_los(), y22.avg_los(), y20.avg_cost(), y22.avg_cost());
    assert!((10.5..12.5).contains(&y20.avg_los()), "2020 ALOS {}", y20.avg_los());
    assert!((-24.0..-12.0).contains(&los), "ALOS change {los}");
    assert!((-14.0..-4.0).contains(&cost), "cost change {cost}");
    assert!(y22.readmission_rate() < y20.readmission_rate());
}

#[test]
fn a_month_settles_with_every_kind_of_case() {
    let hospitals = synth::hospitals(1);
    let month = Month::new(2024, 3).expect("a month");
    let episodes = synth::month_episodes(&hospitals, month, 20_000, 3);
    let earlier = synth::month_episodes(&hospitals, month.prev(), 5_000, 4);
    let input = SettlementInput { month, budget: synth::budget(&episodes), hospitals, episodes, earlier };
    let s = settle(&Grouper::embedded(), &Scheme::embedded(), &input).expect("settles");
    let count = |f: &dyn Fn(&medins::EpisodeSettlement) -> bool| s.episodes.iter().filter(|e| f(e)).count();
    let bed_day = count(&|e| e.kind == PaymentKind::BedDay);
    let readmitted = count(&|e| e.readmission_of.is_some());
    let outliers = count(&|e| e.outlier.is_some());
    let ungroupable = count(&|e| e.ungroupable);
    let drgs: HashSet<&str> = s.episodes.iter().map(|e| e.drg.as_str()).collect();
    eprintln!("bed-day {bed_day}, re-admissions {readmitted}, outliers {outliers}, ungroupable {ungroupable}, {} DRGs, point value {:.1}", drgs.len(), s.point_value);
    assert!(bed_day > 100 && readmitted > 100 && outliers > 100 && ungroupable > 10);
    assert!(drgs.len() > 50);
    // fy-ortho's application is pending: its long stays are paid by DRG.
    assert!(s.episodes.iter().filter(|e| e.hospital == "fy-ortho").all(|e| e.kind == PaymentKind::Drg));
    assert_eq!(s.episodes.iter().map(|e| e.payment.0).sum::<i64>(), input.budget.0);
}
