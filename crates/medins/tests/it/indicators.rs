//! Indicators from episodes: a synthetic set shaped like Hangzhou's figures (cost per stay −7.5 %
//! in 2021 and −2.12 % in 2022, average stay 11.53 → 9.44 days, −18.13 %) reproduces them, per
//! year and per hospital before and after joining; the re-admission rate and the case-mix index.

use domain::Fen;
use medins::Episode;
use medins::Grouper;
use medins::HospitalLevel;
use medins::Scheme;
use medins::indicators;
use medins::indicators::before_after;
use medins::indicators::by_level;
use medins::indicators::by_year;
use medins::indicators::change_pct;

use crate::helpers::d;
use crate::helpers::ep;
use crate::helpers::secondary;

/// 100 stays discharged in `year`, `long` of them `days + 1` days and the rest `days` days, each
/// costing `fen`, spread over the year.
fn year(year: i32, long: usize, days: u64, fen: i64) -> Vec<Episode> {
    (0..100)
        .map(|i| {
            let month = (i % 12) as u32 + 1;
            let stay = if i < long { days + 1 } else { days };
            let mut e = ep("s1", &format!("{year}-{i:03}"), "I63.9", d(year, month, 28), stay, 0);
            e.patient = format!("{year}-{i:03}");
            e.costs = crate::helpers::split(fen);
            e
        })
        .collect()
}

#[test]
fn the_seed_s_figures_come_out_of_episodes_of_their_shape() {
    // 2020: 53 × 12 + 47 × 11 = 1,153 days over 100 stays (11.53), 10,000.00 yuan each.
    // 2021: 10,000 × (1 − 7.5 %) = 9,250.00 yuan.
    // 2022: 44 × 10 + 56 × 9 = 944 days (9.44); 9,250 × (1 − 2.12 %) = 9,053.90 yuan.
    let mut episodes = year(2020, 53, 11, 1_000_000);
    episodes.extend(year(2021, 50, 10, 925_000));
    episodes.extend(year(2022, 44, 9, 905_390));
    let mut hospital = secondary("s1");
    hospital.membership = medins::Membership::Included { since: d(2021, 1, 1) };
    let rows = indicators(&episodes, &[hospital.clone()], &Grouper::embedded(), &Scheme::embedded());
    assert_eq!(rows.len(), 36, "one row per month");
    assert!(rows.iter().all(|r| r.level == HospitalLevel::Secondary && r.in_scheme == (r.month.year >= 2021)));

    let years = by_year(&rows);
    let y: Vec<(i32, f64, Fen)> = years.iter().map(|r| (r.year, r.totals.avg_los(), r.totals.avg_cost())).collect();
    assert_eq!(y, vec![(2020, 11.53, Fen(1_000_000)), (2021, 10.5, Fen(925_000)), (2022, 9.44, Fen(905_390))]);
    let pct = |x: Option<f64>| format!("{:.2}%", x.expect("a change"));
    assert_eq!(pct(years[1].cost_change_pct), "-7.50%");
    assert_eq!(pct(years[2].cost_change_pct), "-2.12%");
    assert_eq!(years[0].cost_change_pct, None);
    let los = change_pct(years[0].totals.avg_los(), years[2].totals.avg_los()).expect("a change");
    assert_eq!(format!("{los:.1}%"), "-18.1%");
    assert_eq!(format!("{los:.2}%"), "-18.13%");

    // Before and after joining (2021-01-01): 2020 against 2021–2022.
    let ba = before_after(&rows, &[hospital]);
    assert_eq!(ba.len(), 1);
    assert_eq!(ba[0].joined, Some(d(2021, 1, 1)));
    assert_eq!((ba[0].before.episodes, ba[0].after.episodes), (100, 200));
    // After: (1,050 + 944) / 200 = 9.97 days against 11.53; (925,000 + 905,390) / 2 = 915,195 fen.
    assert_eq!(format!("{:.2}", ba[0].los_change_pct.expect("a change")), "-13.53");
    assert_eq!(format!("{:.2}", ba[0].cost_change_pct.expect("a change")), "-8.48");

    let levels = by_level(&rows);
    assert_eq!(levels.len(), 36);
    assert_eq!(levels.iter().map(|l| l.totals.episodes).sum::<u64>(), 300);
}

#[test]
fn rows_carry_readmission_rate_cmi_and_long_stays() {
    let mut a = ep("s1", "a", "I63.9", d(2024, 3, 5), 5, 9_600);
    let mut b = ep("s1", "b", "I63.9", d(2024, 3, 20), 5, 9_600); // admitted 03-15, 10 days later
    let c = ep("s1", "c", "I69.3", d(2024, 3, 30), 90, 30_000);
    let mut e = ep("s1", "d", "J18.0", d(2024, 3, 30), 5, 3_000);
    e.age = 4;
    a.patient = "same".into();
    b.patient = "same".into();
    let other = ep("elsewhere", "x", "I63.9", d(2024, 3, 30), 5, 1);
    let rows = indicators(&[a, b, c, e, other], &[secondary("s1")], &Grouper::embedded(), &Scheme::embedded());
    assert_eq!(rows.len(), 1, "episodes of unknown hospitals are left out");
    let r = &rows[0];
    assert_eq!((r.episodes, r.long_stay, r.totals.readmissions), (4, 1, 1));
    assert_eq!(r.readmission_rate, 0.25);
    assert_eq!(r.avg_los, (5.0 + 5.0 + 90.0 + 5.0) / 4.0);
    assert_eq!(r.avg_cost, Fen((960_000 * 2 + 3_000_000 + 300_000) / 4));
    // CMI: BR25 0.96 twice, BZ15 0.78, ES30 0.42.
    assert!((r.cmi - (0.96 * 2.0 + 0.78 + 0.42) / 4.0).abs() < 1e-12);
}
