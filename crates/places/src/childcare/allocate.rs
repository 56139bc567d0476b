//! Allocation of childcare places by family-proposing deferred acceptance (Gale–Shapley) over
//! seats — one per (institution, age class) — with waiting lists, each family's rank on them and
//! why it was not admitted.
//!
//! **Priorities.** An institution ranks the applicants for a seat by its published criteria in
//! order (sibling enrolled there, hardship household, a parent working for the employer that runs
//! it, walking minutes — see `data/places/childcare.toml`), lexicographically; strict ties are
//! broken by one tie-break number per child, the first 8 bytes (big-endian) of
//! SHA-256(`seed` ‖ 0x1F ‖ the child's id in decimal), lower first. The seed is published before
//! the run, so anyone can recompute every number ([`tie_break`]). One number per child for every
//! institution keeps the mechanism strategy-proof for families: no family can get a place it likes
//! better by listing institutions in another order than its true one.
//!
//! **Algorithm.** Every family applies to its first choice; a seat keeps the best applicants up
//! to its free places and rejects the rest, who apply to their next choice; until nobody is
//! rejected or has choices left. The outcome is stable: no family prefers a seat that is free or
//! holds a family of lower priority there. Keys are precomputed per (application, preference) as
//! one `u128` and each seat keeps a min-heap, so a run costs O(P log C) for P preferences.
//!
//! **Waiting lists.** A family is on the waiting list of every seat it ranked above the one it got
//! (or of all it ranked, if it got none), in priority order. For each, the outcome says its rank
//! and why: the deciding criterion's value for the family against the last family admitted (the
//! cut-off), or that the class had no free places.
//!
//! **Re-running.** Places free up (a withdrawal, a declined offer): the caller runs again with the
//! seats now held ([`SeatCount`], e.g. `enrol::seats_held` on the day) and the applications not
//! yet enrolled — those still waiting *and* those holding an offer they have not accepted; an
//! application whose offer was declined, or that was withdrawn, is left out, and an enrolled one is
//! left out with its seat counted as held. With no new applications, no family then gets a place
//! it likes less than in the run before: the last outcome, less the families who left, is still
//! stable, and deferred acceptance gives every family its best stable place (Gale and Sotomayor);
//! more free places and fewer applicants only help. So a re-run never takes an unaccepted offer
//! back, it can only improve it (property tests check both). New applications
//! may join a re-run; they can outrank a family holding an unaccepted offer, which is why an offer
//! is only safe once accepted — the caller may run new applications after the current ones'
//! answers are in.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::collections::HashMap;

use serde::Deserialize;
use serde::Serialize;
use sha2::Digest;
use sha2::Sha256;

use super::application::Application;
use super::application::ChildcareApplicationId;
use super::error::ChildcareError;
use super::institution::Institution;
use super::institution::InstitutionId;
use super::institution::InstitutionStatus;
use super::rules::AgeClass;
use super::rules::ChildcareRules;
use super::rules::Criterion;
use domain::AccountId;
use domain::PersonId;

/// How many children already hold places of one class at one institution (or, as an input to
/// supply figures, are enrolled there).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeatCount {
    /// The institution.
    pub institution: InstitutionId,
    /// The class.
    pub class: AgeClass,
    /// How many.
    pub count: u32,
}

/// One value an institution ranked a family by.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "criterion", content = "value", rename_all = "snake_case")]
pub enum Factor {
    /// A sibling is enrolled there.
    Sibling(bool),
    /// A hardship household.
    Hardship(bool),
    /// A parent works for the employer running it.
    Workplace(bool),
    /// Minutes on foot from home.
    Walking(u32),
    /// The tie-break number, 16 hexadecimal digits (lower first).
    TieBreak(String),
}

/// Why a family did not get a seat it ranked above the one it got.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reason {
    /// Every free place went to families of higher priority; `criterion` is the first on which the
    /// last family admitted was ahead (`None`: all equal, the tie-break decided).
    Outranked {
        /// The deciding criterion.
        criterion: Option<Criterion>,
    },
    /// The class had no free places in this run.
    NoFreePlaces,
    /// The institution is suspended or closed.
    NotTakingChildren,
    /// The institution has no places in the child's class.
    ClassNotOffered,
}

/// A preference a family did not get, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Explanation {
    /// The institution.
    pub institution: InstitutionId,
    /// The child's class.
    pub class: AgeClass,
    /// Where the family ranked it, from 1.
    pub preference: usize,
    /// The family's place on its waiting list, from 1 (`None` where there is no list).
    pub waiting_rank: Option<usize>,
    /// Why.
    pub reason: Reason,
    /// The family's values, in the institution's order, the tie-break last.
    pub yours: Vec<Factor>,
    /// The last admitted family's values (the cut-off), when someone was admitted.
    pub cutoff: Option<Vec<Factor>>,
    /// One sentence in Chinese: "候补第 3 位；末位录取家庭有同胞在园，您没有".
    pub text_zh: String,
    /// The same in English.
    pub text_en: String,
}

/// The place a family got.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Assignment {
    /// The institution.
    pub institution: InstitutionId,
    /// The class.
    pub class: AgeClass,
    /// Where the family ranked it, from 1.
    pub preference: usize,
}

/// What one application got.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome {
    /// The application.
    pub application: ChildcareApplicationId,
    /// The family.
    pub family: AccountId,
    /// The child.
    pub child: PersonId,
    /// The child's class.
    pub class: AgeClass,
    /// The child's tie-break number, 16 hexadecimal digits.
    pub tie_break: String,
    /// The place offered, if any.
    pub assigned: Option<Assignment>,
    /// Every preference ranked above the place offered (all of them, without one), in the
    /// family's order.
    pub not_admitted: Vec<Explanation>,
}

/// One seat — an institution's class — after the run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SeatResult {
    /// The institution.
    pub institution: InstitutionId,
    /// The class.
    pub class: AgeClass,
    /// Free places in this run: licensed places less those taken (none while not open).
    pub free: u32,
    /// Applications admitted, highest priority first.
    pub admitted: Vec<ChildcareApplicationId>,
    /// The waiting list, highest priority first.
    pub waiting: Vec<ChildcareApplicationId>,
}

/// The result of a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Allocation {
    /// The published seed.
    pub seed: String,
    /// One per application, in input order.
    pub outcomes: Vec<Outcome>,
    /// One per class offered by each institution, in input order then youngest class first.
    pub seats: Vec<SeatResult>,
}

impl Allocation {
    /// The outcome of `application`.
    pub fn outcome(&self, application: ChildcareApplicationId) -> Option<&Outcome> {
        self.outcomes.iter().find(|o| o.application == application)
    }
}

/// A child's tie-break number under `seed` (see the module's documentation).
pub fn tie_break(seed: &str, child: PersonId) -> u64 {
    let mut h = Sha256::new();
    h.update(seed.as_bytes());
    h.update([0x1F]);
    h.update(child.0.to_string().as_bytes());
    let d = h.finalize();
    let mut b = [0u8; 8];
    b.copy_from_slice(&d[..8]);
    u64::from_be_bytes(b)
}

/// The longest seed taken.
pub const MAX_SEED_LEN: usize = 256;

const NO_SEAT: u32 = u32::MAX;

struct Pref {
    seat: u32,
    key: u128,
}

/// Runs deferred acceptance over `institutions` for `applications`, with `taken` places already
/// held (enrolled children) and the published `seed`. Checks everything first: a seed of 1–256
/// characters, unique institution ids and their priority rules, `taken` naming known
/// institutions, each application as an allocation run checks it (field `applications[i]…`; an
/// institution that has since stopped taking children, or has no places in the class, is not an
/// error: the family is told so), one application per child.
pub fn allocate(rules: &ChildcareRules, institutions: &[Institution], applications: &[Application], taken: &[SeatCount], seed: &str) -> Result<Allocation, ChildcareError> {
    if seed.is_empty() || seed.chars().count() > MAX_SEED_LEN {
        return Err(ChildcareError::invalid("seed", "随机种子应为 1～256 个字符", "must be 1–256 characters"));
    }
    let index: HashMap<InstitutionId, usize> = institutions.iter().enumerate().map(|(i, x)| (x.id, i)).collect();
    if index.len() != institutions.len() {
        return Err(ChildcareError::invalid("institutions", "机构编号重复", "an institution id is given twice"));
    }
    for (i, inst) in institutions.iter().enumerate() {
        inst.check_priority(rules).map_err(|e| e.within(&format!("institutions[{i}]")))?;
    }
    let n_seats = institutions.len() * AgeClass::ALL.len();
    let mut used = vec![0u64; n_seats];
    for (i, t) in taken.iter().enumerate() {
        let at = index.get(&t.institution).ok_or(ChildcareError::UnknownInstitution { field: format!("taken[{i}].institution"), id: t.institution.0 })?;
        used[at * 3 + t.class.index()] += u64::from(t.count);
    }
    let lookup = |id: InstitutionId| index.get(&id).map(|&i| &institutions[i]);
    let mut classes = Vec::with_capacity(applications.len());
    let mut children: HashMap<PersonId, usize> = HashMap::with_capacity(applications.len());
    for (i, a) in applications.iter().enumerate() {
        classes.push(a.check(rules, &lookup, false).map_err(|e| e.within(&format!("applications[{i}]")))?);
        if children.insert(a.child, i).is_some() {
            return Err(ChildcareError::DuplicateApplication { field: format!("applications[{i}].child"), child: a.child.0 });
        }
    }

    // Seats: free places per (institution, class).
    let mut free = vec![0u32; n_seats];
    for (i, inst) in institutions.iter().enumerate() {
        if inst.status != InstitutionStatus::Open {
            continue;
        }
        for c in &inst.classes {
            let s = i * 3 + c.class.index();
            free[s] = u32::try_from(u64::from(c.places).saturating_sub(used[s])).unwrap_or(0);
        }
    }
    let orders: Vec<Vec<Criterion>> = institutions.iter().map(|i| i.priority_order(rules)).collect();
    let ties: Vec<u64> = applications.iter().map(|a| tie_break(seed, a.child)).collect();

    // Keys per (application, preference).
    let prefs: Vec<Vec<Pref>> = applications
        .iter()
        .zip(&classes)
        .zip(&ties)
        .map(|((a, class), tie)| {
            a.preferences
                .iter()
                .map(|id| {
                    let i = index.get(id).copied().unwrap_or(0);
                    let inst = &institutions[i];
                    let s = i * 3 + class.index();
                    let seat = if free[s] > 0 { s as u32 } else { NO_SEAT };
                    Pref { seat, key: key(&orders[i], a, inst, *tie) }
                })
                .collect()
        })
        .collect();

    // Deferred acceptance.
    let mut held: Vec<BinaryHeap<Reverse<(u128, u32)>>> = (0..n_seats).map(|_| BinaryHeap::new()).collect();
    let mut next = vec![0usize; applications.len()];
    let mut stack: Vec<u32> = (0..applications.len() as u32).rev().collect();
    while let Some(a) = stack.pop() {
        let ai = a as usize;
        while next[ai] < prefs[ai].len() {
            let p = &prefs[ai][next[ai]];
            if p.seat == NO_SEAT {
                next[ai] += 1;
                continue;
            }
            let heap = &mut held[p.seat as usize];
            if heap.len() < free[p.seat as usize] as usize {
                heap.push(Reverse((p.key, a)));
                break;
            }
            let worst = heap.peek().map(|r| r.0);
            match worst {
                Some((wk, wa)) if (p.key, a) > (wk, wa) => {
                    heap.pop();
                    heap.push(Reverse((p.key, a)));
                    next[wa as usize] += 1;
                    stack.push(wa);
                    break;
                }
                _ => next[ai] += 1,
            }
        }
    }

    // Admitted lists (best first) and each application's place.
    let mut assigned: Vec<Option<usize>> = vec![None; applications.len()];
    let mut admitted: Vec<Vec<(u128, u32)>> = Vec::with_capacity(n_seats);
    for heap in held {
        let mut v: Vec<(u128, u32)> = heap.into_iter().map(|r| r.0).collect();
        v.sort_unstable_by(|x, y| y.cmp(x));
        for &(_, a) in &v {
            assigned[a as usize] = Some(next[a as usize]);
        }
        admitted.push(v);
    }
    // Waiting lists: every seat ranked above the one got.
    let mut waiting: Vec<Vec<(u128, u32)>> = vec![Vec::new(); n_seats];
    for (ai, a) in applications.iter().enumerate() {
        let upto = assigned[ai].unwrap_or(a.preferences.len());
        for (pi, id) in a.preferences.iter().enumerate().take(upto) {
            let i = index.get(id).copied().unwrap_or(0);
            if institutions[i].offer(classes[ai]).is_some() {
                waiting[i * 3 + classes[ai].index()].push((prefs[ai][pi].key, ai as u32));
            }
        }
    }
    let mut rank: HashMap<(u32, u32), usize> = HashMap::new();
    for (s, list) in waiting.iter_mut().enumerate() {
        list.sort_unstable_by(|x, y| y.cmp(x));
        for (r, &(_, a)) in list.iter().enumerate() {
            rank.insert((s as u32, a), r + 1);
        }
    }

    let labels = Labels::new(rules);
    let outcomes = applications
        .iter()
        .enumerate()
        .map(|(ai, a)| {
            let class = classes[ai];
            let got = assigned[ai];
            let not_admitted = a
                .preferences
                .iter()
                .enumerate()
                .take(got.unwrap_or(a.preferences.len()))
                .map(|(pi, id)| {
                    let i = index.get(id).copied().unwrap_or(0);
                    let inst = &institutions[i];
                    let s = i * 3 + class.index();
                    let yours = factors(&orders[i], a, inst, ties[ai]);
                    let waiting_rank = rank.get(&(s as u32, ai as u32)).copied();
                    let last = admitted[s].last().map(|&(_, b)| factors(&orders[i], &applications[b as usize], inst, ties[b as usize]));
                    let reason = if inst.status != InstitutionStatus::Open {
                        Reason::NotTakingChildren
                    } else if inst.offer(class).is_none() {
                        Reason::ClassNotOffered
                    } else if let Some(cut) = &last {
                        Reason::Outranked { criterion: deciding(&yours, cut) }
                    } else {
                        Reason::NoFreePlaces
                    };
                    let (text_zh, text_en) = labels.sentence(reason, waiting_rank, class, &yours, last.as_deref());
                    Explanation { institution: *id, class, preference: pi + 1, waiting_rank, reason, yours, cutoff: last, text_zh, text_en }
                })
                .collect();
            Outcome {
                application: a.id,
                family: a.family,
                child: a.child,
                class,
                tie_break: format!("{:016x}", ties[ai]),
                assigned: got.map(|pi| Assignment { institution: a.preferences[pi], class, preference: pi + 1 }),
                not_admitted,
            }
        })
        .collect();

    let id_of = |list: &[(u128, u32)]| list.iter().map(|&(_, a)| applications[a as usize].id).collect::<Vec<_>>();
    let mut seats = Vec::new();
    for (i, inst) in institutions.iter().enumerate() {
        for class in AgeClass::ALL {
            if inst.offer(class).is_some() {
                let s = i * 3 + class.index();
                seats.push(SeatResult { institution: inst.id, class, free: free[s], admitted: id_of(&admitted[s]), waiting: id_of(&waiting[s]) });
            }
        }
    }
    Ok(Allocation { seed: seed.to_owned(), outcomes, seats })
}

/// Whether the family meets each criterion at `inst`, and its minutes on foot.
fn facts(a: &Application, inst: &Institution) -> (bool, bool, bool, u32) {
    let sibling = a.siblings_at.contains(&inst.id);
    let workplace = inst.employer.as_ref().is_some_and(|e| a.employers.contains(e));
    let walking = a.walking_minutes(inst.id).unwrap_or(u32::MAX);
    (sibling, a.hardship, workplace, walking)
}

/// The priority key: 16 bits per criterion in the institution's order (higher is better), then
/// the tie-break number's complement in the low 64 bits.
pub(crate) fn key(order: &[Criterion], a: &Application, inst: &Institution, tie: u64) -> u128 {
    let (sibling, hardship, workplace, walking) = facts(a, inst);
    let mut k: u128 = 0;
    for (i, c) in order.iter().take(4).enumerate() {
        let v: u128 = match c {
            Criterion::Sibling => u128::from(sibling),
            Criterion::Hardship => u128::from(hardship),
            Criterion::Workplace => u128::from(workplace),
            Criterion::Walking => u128::from(0x7FFF - walking.min(0x7FFF)),
        };
        k |= v << (64 + 16 * (3 - i));
    }
    // The top bit (never set by a criterion: walking minutes are capped at 0x7FFF) puts a family
    // that already holds an offer here before everyone else.
    if a.holds == Some(inst.id) {
        k |= 1 << 127;
    }
    k | u128::from(!tie)
}

fn factors(order: &[Criterion], a: &Application, inst: &Institution, tie: u64) -> Vec<Factor> {
    let (sibling, hardship, workplace, walking) = facts(a, inst);
    let mut v: Vec<Factor> = order
        .iter()
        .map(|c| match c {
            Criterion::Sibling => Factor::Sibling(sibling),
            Criterion::Hardship => Factor::Hardship(hardship),
            Criterion::Workplace => Factor::Workplace(workplace),
            Criterion::Walking => Factor::Walking(walking),
        })
        .collect();
    v.push(Factor::TieBreak(format!("{tie:016x}")));
    v
}

/// The first criterion on which the two differ (`None`: only the tie-break).
fn deciding(yours: &[Factor], cutoff: &[Factor]) -> Option<Criterion> {
    yours.iter().zip(cutoff).find(|(y, c)| y != c).and_then(|(y, _)| match y {
        Factor::Sibling(_) => Some(Criterion::Sibling),
        Factor::Hardship(_) => Some(Criterion::Hardship),
        Factor::Workplace(_) => Some(Criterion::Workplace),
        Factor::Walking(_) => Some(Criterion::Walking),
        Factor::TieBreak(_) => None,
    })
}

struct Labels {
    class_zh: [String; 3],
    class_en: [String; 3],
}

impl Labels {
    fn new(rules: &ChildcareRules) -> Labels {
        let zh = |c: AgeClass| rules.class(c).map_or_else(|| c.code().to_owned(), |r| r.name_zh.clone());
        let en = |c: AgeClass| rules.class(c).map_or_else(|| c.code().to_owned(), |r| r.name_en.clone());
        Labels { class_zh: AgeClass::ALL.map(zh), class_en: AgeClass::ALL.map(en) }
    }

    fn sentence(&self, reason: Reason, rank: Option<usize>, class: AgeClass, yours: &[Factor], cutoff: Option<&[Factor]>) -> (String, String) {
        let (rank_zh, rank_en) = match rank {
            Some(r) => (format!("候补第 {r} 位；"), format!("Number {r} on the waiting list: ")),
            None => (String::new(), String::new()),
        };
        let (zh, en) = match reason {
            Reason::NotTakingChildren => ("该机构暂停招收或已停办".to_owned(), "the institution is suspended or closed".to_owned()),
            Reason::ClassNotOffered => (format!("该机构没有开设{}", self.class_zh[class.index()]), format!("the institution has no {}", self.class_en[class.index()])),
            Reason::NoFreePlaces => (format!("{}本轮没有空余托位", self.class_zh[class.index()]), format!("the {} had no free places in this run", self.class_en[class.index()])),
            Reason::Outranked { criterion } => {
                let pick = |f: &[Factor], c: Option<Criterion>| {
                    f.iter()
                        .find(|x| {
                            matches!(
                                (x, c),
                                (Factor::Sibling(_), Some(Criterion::Sibling))
                                    | (Factor::Hardship(_), Some(Criterion::Hardship))
                                    | (Factor::Workplace(_), Some(Criterion::Workplace))
                                    | (Factor::Walking(_), Some(Criterion::Walking))
                                    | (Factor::TieBreak(_), None)
                            )
                        })
                        .cloned()
                };
                match (pick(yours, criterion), cutoff.and_then(|c| pick(c, criterion))) {
                    (Some(Factor::Walking(y)), Some(Factor::Walking(c))) => {
                        (format!("末位录取家庭步行 {c} 分钟，您步行 {y} 分钟"), format!("the last family admitted lives {c} minutes' walk away, you {y}"))
                    }
                    (Some(Factor::TieBreak(y)), Some(Factor::TieBreak(c))) => (
                        format!("各项条件相同，按公开随机数排序（小者优先）：末位录取家庭为 {c}，您为 {y}"),
                        format!("all criteria equal, the published tie-break decided (lower first): the last family admitted has {c}, you {y}"),
                    ),
                    (_, _) => match criterion {
                        Some(Criterion::Sibling) => ("末位录取家庭有同胞在园，您没有".to_owned(), "the last family admitted has a sibling there, you do not".to_owned()),
                        Some(Criterion::Hardship) => ("末位录取家庭为困难家庭，您不是".to_owned(), "the last family admitted is a hardship household, yours is not".to_owned()),
                        Some(Criterion::Workplace) => (
                            "末位录取家庭的家长在举办单位工作，您没有".to_owned(),
                            "a parent of the last family admitted works for the employer running it, none of yours does".to_owned(),
                        ),
                        _ => ("录取家庭的优先顺序在您之前".to_owned(), "the families admitted came before you".to_owned()),
                    },
                }
            }
        };
        (format!("{rank_zh}{zh}"), format!("{rank_en}{en}"))
    }
}
