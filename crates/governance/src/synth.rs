//! A deterministic synthetic district for tests and the later benchmark: towns of estates with
//! their parties, helpers and owners, and a stream of issues (by default a million) each walked
//! through the engine itself — routed, deliberated, handled, confirmed, re-opened, declined or
//! left to go overdue and escalate — so every generated issue is one the engine could have made.
//! Same seed, same district, same issues.

use std::collections::BTreeMap;

use chrono::DateTime;
use chrono::Duration;
use chrono::Utc;

use crate::estate::ActorId;
use crate::estate::CommitteeKind;
use crate::estate::Estate;
use crate::estate::EstateId;
use crate::estate::FloorArea;
use crate::estate::HelperRole;
use crate::estate::IssueId;
use crate::estate::Owner;
use crate::estate::Party;
use crate::estate::PartyKind;
use crate::estate::Unit;
use crate::issue::Action;
use crate::issue::Actor;
use crate::issue::Issue;
use crate::issue::NewIssue;
use crate::issue::Role;
use crate::issue::apply;
use crate::issue::tick;
use crate::routing::Level;
use crate::routing::Routing;

/// How big a district to make.
#[derive(Debug, Clone, PartialEq)]
pub struct SynthConfig {
    /// The seed.
    pub seed: u64,
    /// Towns (streets).
    pub towns: u32,
    /// Estates per town.
    pub estates_per_town: u32,
    /// Owners per estate.
    pub owners_per_estate: u32,
    /// Issues to make.
    pub issues: u64,
    /// The first report's time.
    pub start: DateTime<Utc>,
    /// Over how many days reports are spread.
    pub days: u32,
}

impl SynthConfig {
    /// The benchmark's district: 22 towns of 20 estates, 1,000,000 issues over a year.
    pub fn benchmark(start: DateTime<Utc>) -> SynthConfig {
        SynthConfig { seed: 33, towns: 22, estates_per_town: 20, owners_per_estate: 40, issues: 1_000_000, start, days: 365 }
    }
}

/// SplitMix64: small, fast and the same everywhere.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// Seeded.
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// The next 64 bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number below `n` (0 when `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next_u64() % n }
    }
}

/// The estates of the synthetic district. Actor ids are derived from the estate id: party
/// branch `e*1000+1`, committee `+2`, `+3`, property company `+4`, worker `+5`, helpers `+10…+19`,
/// owners from `+100`.
pub fn estates(cfg: &SynthConfig) -> Vec<Estate> {
    let mut rng = Rng::new(cfg.seed);
    let mut out = Vec::new();
    for t in 0..cfg.towns {
        for k in 0..cfg.estates_per_town {
            let id = u64::from(t) * 1000 + u64::from(k) + 1;
            let base = id * 1000;
            let self_managed = rng.below(10) == 0;
            let owners = (0..u64::from(cfg.owners_per_estate))
                .map(|o| Owner { id: ActorId(base + 100 + o), units: vec![Unit { number: format!("{}-{}", o / 12 + 1, o % 12 + 101), area: FloorArea(6_000 + rng.below(8_000)) }] })
                .collect();
            out.push(Estate {
                id: EstateId(id),
                name: format!("小区 {t}-{k}"),
                community: format!("town{t:02}-c{}", k / 3),
                town: format!("town{t:02}"),
                lat: 30.0 + f64::from(t) * 0.01 + f64::from(k) * 0.0005,
                lon: 120.0 + f64::from(k) * 0.001,
                party_branch: Some(Party { name: format!("小区 {t}-{k} 党支部"), members: vec![ActorId(base + 1)] }),
                committee_kind: if self_managed { CommitteeKind::PropertyManagementCommittee } else { CommitteeKind::OwnersCommittee },
                committee: Party { name: format!("小区 {t}-{k} 业委会"), members: vec![ActorId(base + 2), ActorId(base + 3)] },
                property_company: (!self_managed).then(|| Party { name: format!("物业 {t}-{k}"), members: vec![ActorId(base + 4)] }),
                worker: Some(ActorId(base + 5)),
                helpers: HelperRole::ALL.iter().enumerate().map(|(i, h)| (*h, vec![ActorId(base + 10 + i as u64)])).collect::<BTreeMap<_, _>>(),
                owners,
            });
        }
    }
    out
}

/// The stream of synthetic issues.
pub struct Issues<'a> {
    cfg: &'a SynthConfig,
    estates: &'a [Estate],
    routing: &'a Routing,
    rng: Rng,
    next: u64,
}

/// The issues of the synthetic district, made one at a time.
pub fn issues<'a>(cfg: &'a SynthConfig, estates: &'a [Estate], routing: &'a Routing) -> Issues<'a> {
    Issues { cfg, estates, routing, rng: Rng::new(cfg.seed ^ 0xA5A5_5A5A), next: 0 }
}

fn handler(i: &Issue, e: &Estate) -> Actor {
    let base = e.id.0 * 1000;
    match i.level {
        Level::Estate => {
            let p = i.parties.first().copied().unwrap_or(PartyKind::CommunityWorker);
            Actor { id: e.members(p).first().copied().unwrap_or(ActorId(base + 5)), role: Role::Party(p) }
        }
        Level::Community | Level::Street => Actor { id: ActorId(base + 900), role: Role::Office(i.level) },
        Level::District => Actor { id: ActorId(base + 901), role: Role::Department(i.department.clone()) },
    }
}

impl Issues<'_> {
    fn make(&mut self, n: u64) -> Option<Issue> {
        let (r, rng) = (self.routing, &mut self.rng);
        let e = self.estates.get(rng.below(self.estates.len() as u64) as usize)?;
        let c = r.categories.get(rng.below(r.categories.len() as u64) as usize)?;
        let at = self.cfg.start + Duration::seconds((n * u64::from(self.cfg.days.max(1)) * 86_400 / self.cfg.issues.max(1)) as i64);
        let reporter = e.owners.get(rng.below(e.owners.len() as u64) as usize).map(|o| o.id).unwrap_or(ActorId(e.id.0 * 1000 + 100));
        let attributes = c.attributes.iter().filter(|a| a.required).map(|a| (a.code.clone(), crate::open311::datetime(at))).collect();
        let new = NewIssue {
            category: c.code.clone(),
            estate: e.id,
            reporter,
            description: format!("{}（合成数据 {n}）", c.name_zh),
            lat: e.lat,
            lon: e.lon,
            address: None,
            media_url: None,
            attributes,
        };
        let (mut i, _) = Issue::report(IssueId(n + 1), new, e, r, at).ok()?;
        let me = Actor { id: reporter, role: Role::Resident };
        let roll = rng.below(100);
        let hours = |rng: &mut Rng, max: u64| Duration::minutes(30 + rng.below(max * 60) as i64);
        let mut t = at;
        // Start: agree jointly, or accept.
        if i.state == crate::issue::IssueState::Deliberating {
            for p in i.parties.clone() {
                let a = Actor { id: e.members(p).first().copied()?, role: Role::Party(p) };
                t += hours(rng, 6);
                apply(&mut i, e, r, &a, Action::Agree { plan: "三方联办".into() }, t).ok()?;
            }
        } else {
            t += hours(rng, 4);
            let h = handler(&i, e);
            apply(&mut i, e, r, &h, Action::Accept, t).ok()?;
        }
        if roll < 5 {
            // Left alone: goes overdue and climbs one level.
            let late = t + Duration::hours(i64::from(r.hours(i.level)) + 1);
            tick(&mut i, r, late);
            return Some(i);
        }
        if roll < 12 {
            t += hours(rng, 24);
            let h = handler(&i, e);
            apply(&mut i, e, r, &h, Action::Decline { reason: "不属于本方职责，已告知".into() }, t).ok()?;
            return Some(i);
        }
        if roll < 22 {
            return Some(i);
        }
        let mediator = e.helpers.get(&HelperRole::Mediator).and_then(|m| m.first()).copied();
        let resolve = |i: &mut Issue, rng: &mut Rng, t: &mut DateTime<Utc>| -> Option<()> {
            *t += hours(rng, 48);
            if i.dispute && i.level == Level::Estate {
                let m = Actor { id: mediator?, role: Role::Helper(HelperRole::Mediator) };
                if i.state != crate::issue::IssueState::Mediating {
                    apply(i, e, r, &m, Action::StartMediation, *t).ok()?;
                }
                let other = ActorId(reporter.0 ^ 1);
                apply(i, e, r, &m, Action::RecordAgreement { text: "双方达成一致".into(), signatories: vec![reporter, other] }, *t).ok()?;
            } else {
                let h = handler(i, e);
                apply(i, e, r, &h, Action::Resolve { note: "已处理".into() }, *t).ok()?;
            }
            Some(())
        };
        resolve(&mut i, rng, &mut t)?;
        if roll < 30 {
            t += hours(rng, 24);
            apply(&mut i, e, r, &me, Action::Reopen { reason: "问题依旧".into() }, t).ok()?;
            if i.dispute && i.level == Level::Estate {
                // A re-opened dispute is mediated again.
                let m = Actor { id: mediator?, role: Role::Helper(HelperRole::Mediator) };
                apply(&mut i, e, r, &m, Action::StartMediation, t).ok()?;
            }
            resolve(&mut i, rng, &mut t)?;
        }
        if roll < 85 {
            t += hours(rng, 24);
            apply(&mut i, e, r, &me, Action::Confirm, t).ok()?;
        } else {
            tick(&mut i, r, t + Duration::hours(i64::from(r.confirm_hours)));
        }
        Some(i)
    }
}

impl Iterator for Issues<'_> {
    type Item = Issue;

    fn next(&mut self) -> Option<Issue> {
        while self.next < self.cfg.issues {
            let n = self.next;
            self.next += 1;
            if let Some(i) = self.make(n) {
                return Some(i);
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::issue::IssueState;
    use crate::issue::tests::t0;
    use crate::measures::Measures;

    fn small() -> SynthConfig {
        SynthConfig { seed: 7, towns: 3, estates_per_town: 5, owners_per_estate: 12, issues: 20_000, start: t0(), days: 90 }
    }

    #[test]
    fn the_district_is_valid_and_the_same_for_the_same_seed() {
        let cfg = small();
        let es = estates(&cfg);
        assert_eq!(es.len(), 15);
        for e in &es {
            assert_eq!(e.check(), Ok(()), "{}", e.name);
        }
        assert_eq!(es, estates(&cfg));
        assert_eq!(SynthConfig::benchmark(t0()).issues, 1_000_000);
    }

    #[test]
    fn every_issue_is_made_by_the_engine_and_the_mix_is_plausible() {
        let cfg = small();
        let (es, r) = (estates(&cfg), Routing::embedded().expect("rules"));
        let all: Vec<Issue> = issues(&cfg, &es, &r).collect();
        assert_eq!(all.len() as u64, cfg.issues, "no issue fell out of the engine");
        let count = |s: IssueState| all.iter().filter(|i| i.state == s).count() as f64 / all.len() as f64;
        assert!((0.55..0.8).contains(&count(IssueState::Confirmed)), "{}", count(IssueState::Confirmed));
        assert!((0.04..0.1).contains(&count(IssueState::Declined)));
        assert!(all.iter().any(|i| !i.escalations.is_empty()));
        assert!(all.iter().any(|i| i.agreement.is_some()));
        assert!(all.iter().any(|i| i.reopened > 0));
        let again: Vec<Issue> = issues(&cfg, &es, &r).take(100).collect();
        assert_eq!(&all[..100], &again[..]);
        let mut m = Measures::new();
        for i in &all {
            m.add_issue(i);
        }
        let figures = m.finish();
        assert_eq!(figures.iter().map(|f| f.reported).sum::<u64>(), cfg.issues);
        assert!(figures.iter().all(|f| f.median_hours_to_settle.is_some_and(|h| h > 0.0)));
    }
}
