//! Synthetic childcare instances for tests and the benchmark: a deterministic generator (from a
//! `u64` seed, SplitMix64) of institutions with three age classes each, valid licensed places,
//! staff and priority rules, and applications with 1–5 preferences, mostly near home.

use chrono::Days;
use chrono::NaiveDate;
use chrono::NaiveTime;
use domain::AccountId;
use domain::CreditCode;
use domain::Fen;
use domain::PersonId;
use serde::Deserialize;
use serde::Serialize;

use super::application::Application;
use super::application::ChildcareApplicationId;
use super::application::WalkingTime;
use super::institution::ClassOffer;
use super::institution::Institution;
use super::institution::InstitutionId;
use super::institution::InstitutionKind;
use super::institution::InstitutionStatus;
use super::institution::OpeningHours;
use super::institution::Staff;
use super::rules::AgeClass;
use super::rules::ChildcareRules;
use super::rules::Criterion;

pub use crate::rng::SplitMix;


/// A synthetic instance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Instance {
    /// The institutions (ids 1…N).
    pub institutions: Vec<Institution>,
    /// The applications (ids 1…M; child and family ids follow).
    pub applications: Vec<Application>,
}

/// The towns of the synthetic district (12-digit codes).
pub fn towns() -> Vec<String> {
    (1..=12).map(|t| format!("330111{t:03}000")).collect()
}

/// A synthetic employer's credit code (`k` below 100,000,000).
pub fn employer(k: u64) -> Option<CreditCode> {
    CreditCode::from_parts('9', '1', "330111", &format!("{:08}", k % 100_000_000)).ok()
}

/// `institutions` institutions and `applications` applications for children starting on
/// `start`, from `seed`. Every institution passes [`Institution::validate`] and every application
/// [`Application::validate`] on `start`.
pub fn instance(rules: &ChildcareRules, seed: u64, institutions: usize, applications: usize, start: NaiveDate) -> Instance {
    let mut r = SplitMix::new(seed);
    let towns = towns();
    let employers: Vec<CreditCode> = (1..=20).filter_map(employer).collect();
    let mut by_town: Vec<Vec<usize>> = vec![Vec::new(); towns.len()];
    let mut insts = Vec::with_capacity(institutions);
    for i in 0..institutions {
        let t = r.below(towns.len() as u64) as usize;
        by_town[t].push(i);
        let kind = match r.below(10) {
            0..=2 => InstitutionKind::Public,
            3..=4 => InstitutionKind::Community,
            5 => InstitutionKind::Kindergarten,
            6 => InstitutionKind::Employer,
            _ => InstitutionKind::Private,
        };
        let employer = (kind == InstitutionKind::Employer).then(|| employers[r.below(employers.len() as u64) as usize].clone());
        let mut carers = 0;
        let classes: Vec<ClassOffer> = AgeClass::ALL
            .into_iter()
            .map(|class| {
                let (size, ratio) = rules.class(class).map_or((10, 3), |c| (c.max_class_size, c.children_per_carer.max(1)));
                let groups = 1 + r.below(2) as u32;
                let max = groups * size;
                let places = (max / 2 + r.below(u64::from(max / 2) + 1) as u32).max(1);
                carers += places.div_ceil(ratio);
                let fee = Fen(100_000 + 10_000 * r.below(30) as i64);
                ClassOffer { class, groups, places, monthly_fee: fee }
            })
            .collect();
        let mut priority: Vec<Criterion> = Vec::new();
        if r.chance(0.5) {
            let mut pool: Vec<Criterion> = Criterion::ALL.into_iter().filter(|c| *c != Criterion::Workplace || kind == InstitutionKind::Employer).collect();
            while !pool.is_empty() && (priority.is_empty() || r.chance(0.7)) {
                priority.push(pool.remove(r.below(pool.len() as u64) as usize));
            }
        }
        let (tlat, tlon) = town_centre(t);
        insts.push(Institution {
            id: InstitutionId(i as i64 + 1),
            name: format!("合成托育机构 {}", i + 1),
            kind,
            employer,
            town: towns[t].clone(),
            community: format!("社区 {}", r.below(20) + 1),
            lat: round6(tlat + (r.below(2001) as f64 - 1000.0) * 0.00002),
            lon: round6(tlon + (r.below(2001) as f64 - 1000.0) * 0.00002),
            status: InstitutionStatus::Open,
            hours: OpeningHours { opens: NaiveTime::from_hms_opt(7, 30, 0).unwrap_or_default(), closes: NaiveTime::from_hms_opt(17, 30, 0).unwrap_or_default(), weekdays: vec![1, 2, 3, 4, 5] },
            classes,
            staff: Staff { carers: carers + r.below(3) as u32, health: 1 },
            inspections: Vec::new(),
            priority,
        });
    }
    let mut apps = Vec::with_capacity(applications);
    for a in 0..applications {
        let id = a as i64 + 1;
        let t = r.below(towns.len() as u64) as usize;
        let (tlat, tlon) = town_centre(t);
        let home = (tlat + (r.below(2001) as f64 - 1000.0) * 0.00002, tlon + (r.below(2001) as f64 - 1000.0) * 0.00002);
        let want = 1 + r.below(5) as usize;
        let mut prefs: Vec<InstitutionId> = Vec::with_capacity(want);
        let mut tries = 0;
        while prefs.len() < want.min(institutions) && tries < 50 {
            tries += 1;
            let local = &by_town[t];
            let pick = if !local.is_empty() && r.chance(0.8) { local[r.below(local.len() as u64) as usize] } else { r.below(institutions as u64) as usize };
            let iid = InstitutionId(pick as i64 + 1);
            if !prefs.contains(&iid) {
                prefs.push(iid);
            }
        }
        let walking = prefs
            .iter()
            .map(|p| {
                let inst = &insts[(p.0 - 1) as usize];
                let km = ((inst.lat - home.0).powi(2) + ((inst.lon - home.1) * 0.87).powi(2)).sqrt() * 111.0;
                WalkingTime { institution: *p, minutes: ((km * 12.0) as u32 + r.below(5) as u32).min(600) }
            })
            .collect();
        let age_days = 190 + r.below(890);
        let birth = start.checked_sub_days(Days::new(age_days)).unwrap_or(start);
        let siblings_at = if r.chance(0.1) { prefs.first().copied().into_iter().collect() } else { Vec::new() };
        let employers_of = if r.chance(0.3) { vec![employers[r.below(employers.len() as u64) as usize].clone()] } else { Vec::new() };
        apps.push(Application {
            id: ChildcareApplicationId(id),
            family: AccountId(1_000_000 + id),
            child: PersonId(2_000_000 + id),
            birth_date: birth,
            start_date: start,
            preferences: prefs,
            siblings_at,
            hardship: r.chance(0.05),
            employers: employers_of,
            walking,
            holds: None,
        });
    }
    Instance { institutions: insts, applications: apps }
}

/// Six decimals (about 0.1 m), which survive JSON unchanged.
fn round6(x: f64) -> f64 {
    (x * 1_000_000.0).round() / 1_000_000.0
}

fn town_centre(t: usize) -> (f64, f64) {
    (30.0 + (t / 4) as f64 * 0.05, 119.9 + (t % 4) as f64 * 0.05)
}
