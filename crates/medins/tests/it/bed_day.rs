//! Bed-day standards worked out by hand from the shipped tariffs (yuan per day):
//! tertiary 420 / 380 / 330 / 280, secondary 350 / 320 / 280 / 240, primary 260 / 240 / 210 /
//! 180 for days 1–60, 61–90, 91–180 and from 181; ceilings 100,000 / 85,000 / 65,000 yuan.

use domain::Fen;
use medins::HospitalLevel;
use medins::Scheme;

use crate::helpers::d;
use crate::helpers::ep;

fn yuan(y: i64) -> Fen {
    Fen(y * 100)
}

#[test]
fn each_day_is_paid_at_its_tier_s_rate() {
    let s = Scheme::embedded();
    // 100 days at a tertiary hospital: 60 × 420 + 30 × 380 + 10 × 330 = 25,200 + 11,400 + 3,300.
    let t = s.bed_day_standard(HospitalLevel::Tertiary, 100);
    assert_eq!(t.amount, yuan(39_900));
    let lines: Vec<(u32, u32, u32, Fen)> = t.lines.iter().map(|l| (l.from_day, l.to_day, l.days, l.amount)).collect();
    assert_eq!(lines, vec![(1, 60, 60, yuan(25_200)), (61, 90, 30, yuan(11_400)), (91, 100, 10, yuan(3_300))]);
    assert!(!t.capped);
    // 200 days at a secondary hospital: 21,000 + 9,600 + 25,200 + 20 × 240 = 60,600.
    assert_eq!(s.bed_day_standard(HospitalLevel::Secondary, 200).amount, yuan(60_600));
    // 61 days at a health centre: 60 × 260 + 240.
    assert_eq!(s.bed_day_standard(HospitalLevel::Primary, 61).amount, yuan(15_840));
    // A short stay stays in the first tier.
    let short = s.bed_day_standard(HospitalLevel::Primary, 30);
    assert_eq!((short.lines.len(), short.amount), (1, yuan(7_800)));
    assert_eq!(s.bed_day_standard(HospitalLevel::Primary, 0).amount, Fen::ZERO);
}

#[test]
fn a_stay_is_paid_at_most_the_ceiling() {
    let s = Scheme::embedded();
    // A year at a tertiary hospital: 25,200 + 11,400 + 29,700 + 185 × 280 = 118,100 > 100,000.
    let t = s.bed_day_standard(HospitalLevel::Tertiary, 365);
    assert_eq!((t.uncapped, t.amount, t.capped), (yuan(118_100), yuan(100_000), true));
    assert_eq!(s.bed_day_standard(HospitalLevel::Tertiary, 10_000).amount, yuan(100_000));
}

#[test]
fn long_stay_chronic_means_a_family_and_more_than_60_days() {
    let s = Scheme::embedded();
    let at = d(2024, 3, 31);
    assert!(s.is_long_stay_chronic(&ep("h", "a", "I69.3", at, 61, 20_000)));
    assert!(!s.is_long_stay_chronic(&ep("h", "b", "I69.3", at, 60, 20_000)), "60 days is not longer than 60");
    assert!(!s.is_long_stay_chronic(&ep("h", "c", "J18.9", at, 100, 20_000)), "pneumonia is not a long-stay family");
    assert!(s.is_long_stay_chronic(&ep("h", "d", "J96.1", at, 90, 20_000)));
    assert!(!s.is_long_stay_chronic(&ep("h", "e", "J96.0", at, 90, 20_000)), "acute respiratory failure is not chronic");
    assert_eq!(s.long_stay_family("Z50.9").map(|f| f.name_zh.as_str()), Some("康复治疗"));
}
