//! Monthly payment runs: what to pay each person for the month (regular lines), what was due
//! earlier and never paid (arrears), and what was paid but is not due with the facts as known
//! now (recoveries), with totals per benefit and a digest to check the run did not change
//! between freezing and approving.

use std::collections::BTreeMap;
use std::collections::BTreeSet;

use rayon::prelude::*;
use serde::Deserialize;
use serde::Serialize;
use sha2::Digest;
use sha2::Sha256;

use crate::catalog::Benefit;
use crate::catalog::Catalog;
use crate::evaluate::Outcome;
use crate::evaluate::decide;
use crate::evaluate::due_for;
use crate::facts::FactValues;
use crate::facts::Facts;
use crate::month::Month;

/// How many months back a run looks for payments to recover.
pub const RECOVERY_MONTHS: u32 = 12;

/// A payment already made (or in an approved run) for this person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Paid {
    /// The benefit code.
    pub benefit: String,
    /// The month paid for.
    pub month: Month,
    /// The amount in fen.
    pub amount_fen: i64,
}

/// One person as a run needs them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonInput {
    /// ID number.
    pub key: String,
    /// Register facts as known now.
    pub facts: Facts,
    /// What was paid already.
    pub paid: Vec<Paid>,
}

/// Regular (the run's month) or arrears (an earlier month found late).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LineKind {
    /// For the run's month.
    Regular,
    /// For an earlier month that was due and not paid.
    Arrears,
}

impl LineKind {
    /// `regular` or `arrears`.
    pub fn as_str(&self) -> &'static str {
        match self {
            LineKind::Regular => "regular",
            LineKind::Arrears => "arrears",
        }
    }
}

/// One payment to make.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunLine {
    /// ID number.
    pub person: String,
    /// The benefit code.
    pub benefit: String,
    /// The month paid for.
    pub month: Month,
    /// Fen.
    pub amount_fen: i64,
    /// Regular or arrears.
    pub kind: LineKind,
}

/// A payment to recover.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recovery {
    /// ID number.
    pub person: String,
    /// The benefit code.
    pub benefit: String,
    /// The month that was paid for.
    pub month: Month,
    /// Fen to recover.
    pub amount_fen: i64,
    /// Why, in Chinese (names the fact).
    pub reason_zh: String,
    /// Why, in English.
    pub reason_en: String,
}

/// Totals of one benefit in a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BenefitTotal {
    /// The benefit code.
    pub benefit: String,
    /// People with at least one line.
    pub people: u64,
    /// Lines.
    pub lines: u64,
    /// Sum of the lines, fen.
    pub amount_fen: i64,
    /// Sum of the recoveries, fen.
    pub recoveries_fen: i64,
}

/// A planned run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunPlan {
    /// The run's month.
    pub month: Month,
    /// Payments, sorted by (person, benefit, month).
    pub lines: Vec<RunLine>,
    /// Recoveries, sorted by (person, benefit, month).
    pub recoveries: Vec<Recovery>,
    /// Per benefit, in catalog order.
    pub totals: Vec<BenefitTotal>,
    /// Hex SHA-256 of the canonical text of the month, lines and recoveries ([`run_digest`]).
    pub digest: String,
}

fn yuan(fen: i64) -> String {
    domain::Fen(fen).to_yuan_string()
}

/// Why a paid month is not due now, naming the fact.
fn why_not(catalog: &Catalog, benefit: &Benefit, facts: &Facts, month: Month) -> (String, String) {
    if let Some(d) = facts.death_date.filter(|d| *d <= month.first_day()) {
        return (format!("死亡日期 {d} 早于发放月份 {month}"), format!("died {d}, before the paid month {month}"));
    }
    if let Some(d) = facts.moved_out_on.filter(|d| *d <= month.first_day()) {
        return (format!("户口迁出日期 {d} 早于发放月份 {month}"), format!("moved out of the district {d}, before the paid month {month}"));
    }
    let decision = due_for(catalog, benefit, facts, month);
    match decision.reasons.iter().find(|r| r.holds == Some(false)) {
        Some(r) => {
            let values: Vec<String> = r.values.iter().map(|(k, v)| format!("{k} = {v}")).collect();
            let values = values.join(", ");
            (
                format!("按现有信息，{month} 不符合条件「{}」（{values}）", r.clause),
                format!("not entitled for {month} with the facts known now: {} fails ({values})", r.clause),
            )
        }
        None => (format!("按现有信息，{month} 不符合享受条件"), format!("not entitled for {month} with the facts known now")),
    }
}

fn plan_person(catalog: &Catalog, month: Month, p: &PersonInput) -> (Vec<RunLine>, Vec<Recovery>) {
    let mut paid: BTreeMap<(&str, Month), i64> = BTreeMap::new();
    for x in &p.paid {
        let e = paid.entry((x.benefit.as_str(), x.month)).or_insert(0);
        *e = e.saturating_add(x.amount_fen);
    }
    // The facts on the first day of each month back to RECOVERY_MONTHS, computed once.
    let mut cache: [Option<FactValues>; RECOVERY_MONTHS as usize + 1] = [None; RECOVERY_MONTHS as usize + 1];
    let mut values = |back: u32| -> FactValues {
        let slot = &mut cache[back as usize];
        *slot.get_or_insert_with(|| FactValues::new(&p.facts, month.back(back).first_day()))
    };
    let mut lines = Vec::new();
    let mut recoveries = Vec::new();
    for b in &catalog.benefits {
        let arrears = b.arrears_months.min(RECOVERY_MONTHS);
        for back in (0..=arrears).rev() {
            let m = month.back(back);
            if paid.contains_key(&(b.code.as_str(), m)) {
                continue;
            }
            if let Outcome::Entitled { amount_fen } = decide(b, &values(back)) {
                let kind = if back == 0 { LineKind::Regular } else { LineKind::Arrears };
                lines.push(RunLine { person: p.key.clone(), benefit: b.code.clone(), month: m, amount_fen, kind });
            }
        }
        for back in (0..=RECOVERY_MONTHS).rev() {
            let m = month.back(back);
            let Some(&amount_paid) = paid.get(&(b.code.as_str(), m)) else {
                continue;
            };
            let (amount_fen, reason_zh, reason_en) = match decide(b, &values(back)) {
                Outcome::NotEntitled => {
                    let (zh, en) = why_not(catalog, b, &p.facts, m);
                    (amount_paid, zh, en)
                }
                Outcome::Entitled { amount_fen: due } if amount_paid > due => (
                    amount_paid - due,
                    format!("{m} 已发 {} 元，按现有信息应发 {} 元，多发 {} 元", yuan(amount_paid), yuan(due), yuan(amount_paid - due)),
                    format!("{m}: paid {} yuan, {} yuan due with the facts known now, {} yuan too much", yuan(amount_paid), yuan(due), yuan(amount_paid - due)),
                ),
                _ => continue,
            };
            if amount_fen > 0 {
                recoveries.push(Recovery { person: p.key.clone(), benefit: b.code.clone(), month: m, amount_fen, reason_zh, reason_en });
            }
        }
    }
    (lines, recoveries)
}

/// Plans the run for `month`: a regular line for each benefit due for the month and not already
/// paid for it; arrears lines for up to the benefit's `arrears_months` earlier months that were
/// due (with the facts as known now) and not paid; a recovery for each paid month (up to
/// [`RECOVERY_MONTHS`] back, and the month itself) that is not due with the facts as known now,
/// or of the difference when more was paid than is due. Nothing is planned twice for
/// (person, benefit, month) — a person listed twice counts once (the first entry).
pub fn plan_run(catalog: &Catalog, month: Month, people: &[PersonInput]) -> RunPlan {
    let mut seen = BTreeSet::new();
    let unique: Vec<&PersonInput> = people.iter().filter(|p| seen.insert(p.key.as_str())).collect();
    let parts: Vec<(Vec<RunLine>, Vec<Recovery>)> = if unique.len() >= 512 {
        unique.par_iter().map(|p| plan_person(catalog, month, p)).collect()
    } else {
        unique.iter().map(|p| plan_person(catalog, month, p)).collect()
    };
    let mut lines = Vec::new();
    let mut recoveries = Vec::new();
    for (l, r) in parts {
        lines.extend(l);
        recoveries.extend(r);
    }
    let by_key = |a: &RunLine| (a.person.clone(), a.benefit.clone(), a.month);
    lines.par_sort_by_key(by_key);
    recoveries.par_sort_by(|a, b| (&a.person, &a.benefit, a.month).cmp(&(&b.person, &b.benefit, b.month)));
    let mut totals: Vec<BenefitTotal> = catalog
        .benefits
        .iter()
        .map(|b| BenefitTotal { benefit: b.code.clone(), people: 0, lines: 0, amount_fen: 0, recoveries_fen: 0 })
        .collect();
    let index: BTreeMap<&str, usize> = catalog.benefits.iter().enumerate().map(|(i, b)| (b.code.as_str(), i)).collect();
    let mut last_person: BTreeMap<usize, &str> = BTreeMap::new();
    for l in &lines {
        if let Some(&i) = index.get(l.benefit.as_str()) {
            let t = &mut totals[i];
            t.lines += 1;
            t.amount_fen = t.amount_fen.saturating_add(l.amount_fen);
            if last_person.get(&i) != Some(&l.person.as_str()) {
                t.people += 1;
                last_person.insert(i, l.person.as_str());
            }
        }
    }
    for r in &recoveries {
        if let Some(&i) = index.get(r.benefit.as_str()) {
            totals[i].recoveries_fen = totals[i].recoveries_fen.saturating_add(r.amount_fen);
        }
    }
    let digest = run_digest(month, &lines, &recoveries);
    RunPlan { month, lines, recoveries, totals, digest }
}

/// Hex SHA-256 over the canonical text of a run: `welfare-run v1`, the month, then one
/// tab-separated row per line (`L person benefit month amount kind`) and per recovery
/// (`R person benefit month amount`), in the plan's order.
pub fn run_digest(month: Month, lines: &[RunLine], recoveries: &[Recovery]) -> String {
    let mut h = Sha256::new();
    h.update(format!("welfare-run v1\nmonth\t{month}\n").as_bytes());
    for l in lines {
        h.update(format!("L\t{}\t{}\t{}\t{}\t{}\n", l.person, l.benefit, l.month, l.amount_fen, l.kind.as_str()).as_bytes());
    }
    for r in recoveries {
        h.update(format!("R\t{}\t{}\t{}\t{}\n", r.person, r.benefit, r.month, r.amount_fen).as_bytes());
    }
    hex::encode(h.finalize())
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("a date")
    }

    fn m(s: &str) -> Month {
        Month::parse(s).expect("a month")
    }

    fn paid(benefit: &str, month: &str, fen: i64) -> Paid {
        Paid { benefit: benefit.to_owned(), month: m(month), amount_fen: fen }
    }

    fn person(key: &str, facts: Facts, paid: Vec<Paid>) -> PersonInput {
        PersonInput { key: key.to_owned(), facts, paid }
    }

    #[test]
    fn regular_and_arrears_lines() {
        let c = Catalog::demo();
        // turned 80 on 15 January 2026, found late: run of June pays June + arrears Mar–May (3 months)
        let p = person("A", Facts { birth_date: d(1946, 1, 15), ..Facts::default() }, vec![]);
        let plan = plan_run(&c, m("2026-06"), &[p]);
        let got: Vec<(String, LineKind)> = plan.lines.iter().map(|l| (l.month.to_string(), l.kind)).collect();
        assert_eq!(
            got,
            vec![
                ("2026-03".to_owned(), LineKind::Arrears),
                ("2026-04".to_owned(), LineKind::Arrears),
                ("2026-05".to_owned(), LineKind::Arrears),
                ("2026-06".to_owned(), LineKind::Regular),
            ]
        );
        assert!(plan.lines.iter().all(|l| l.amount_fen == 6000 && l.benefit == "old_age_allowance"));
        // paid already for April and June: only March and May
        let p = person("A", Facts { birth_date: d(1946, 1, 15), ..Facts::default() }, vec![paid("old_age_allowance", "2026-04", 6000), paid("old_age_allowance", "2026-06", 6000)]);
        let plan = plan_run(&c, m("2026-06"), &[p.clone(), p]);
        let months: Vec<String> = plan.lines.iter().map(|l| l.month.to_string()).collect();
        assert_eq!(months, vec!["2026-03", "2026-05"]);
        assert!(plan.recoveries.is_empty());
        // turned 80 on 15 April: arrears only from May
        let p = person("B", Facts { birth_date: d(1946, 4, 15), ..Facts::default() }, vec![]);
        let plan = plan_run(&c, m("2026-06"), &[p]);
        let months: Vec<String> = plan.lines.iter().map(|l| l.month.to_string()).collect();
        assert_eq!(months, vec!["2026-05", "2026-06"]);
        // dibao has no arrears
        let p = person("C", Facts { income_per_head_fen: Some(100_000), ..Facts::default() }, vec![]);
        let plan = plan_run(&c, m("2026-06"), &[p]);
        assert_eq!(plan.lines.len(), 1);
        assert_eq!(plan.lines[0].amount_fen, c.param("dibao_standard").expect("p") - 100_000);
    }

    #[test]
    fn a_death_reported_late_is_recovered_naming_the_date() {
        let c = Catalog::demo();
        let f = Facts { birth_date: d(1940, 1, 1), death_date: Some(d(2026, 5, 10)), ..Facts::default() };
        let p = person("D", f, vec![paid("old_age_allowance", "2026-05", 6000), paid("old_age_allowance", "2026-06", 6000), paid("old_age_allowance", "2025-01", 6000)]);
        let plan = plan_run(&c, m("2026-07"), &[p]);
        // April was due (alive on 1 April) and never paid: arrears; nothing after the death
        assert_eq!(plan.lines.len(), 1, "{:?}", plan.lines);
        assert_eq!((plan.lines[0].month, plan.lines[0].kind), (m("2026-04"), LineKind::Arrears));
        assert_eq!(plan.recoveries.len(), 1);
        let r = &plan.recoveries[0];
        assert_eq!(r.month, m("2026-06"));
        assert_eq!(r.amount_fen, 6000);
        assert_eq!(r.reason_zh, "死亡日期 2026-05-10 早于发放月份 2026-06");
        assert_eq!(r.reason_en, "died 2026-05-10, before the paid month 2026-06");
        let t = plan.totals.iter().find(|t| t.benefit == "old_age_allowance").expect("total");
        assert_eq!(t.recoveries_fen, 6000);
        // overpaid: the difference; not eligible by a rule: the clause is named
        let f = Facts { income_per_head_fen: Some(100_000), ..Facts::default() };
        let std = c.param("dibao_standard").expect("p");
        let p = person("E", f, vec![paid("dibao", "2026-06", std), paid("old_age_allowance", "2026-06", 6000)]);
        let plan = plan_run(&c, m("2026-06"), &[p]);
        assert!(plan.lines.is_empty(), "{:?}", plan.lines);
        assert_eq!(plan.recoveries.len(), 2);
        assert_eq!(plan.recoveries[0].benefit, "dibao");
        assert_eq!(plan.recoveries[0].amount_fen, 100_000);
        assert!(plan.recoveries[1].reason_zh.contains("age >= 80"), "{}", plan.recoveries[1].reason_zh);
        assert!(plan.recoveries[1].reason_en.contains("age = "), "{}", plan.recoveries[1].reason_en);
    }

    #[test]
    fn totals_reconcile_and_the_digest_is_stable() {
        let c = Catalog::demo();
        let people = crate::synth::people(3000, 7, d(2026, 6, 1));
        let plan = plan_run(&c, m("2026-06"), &people);
        assert!(!plan.lines.is_empty() && !plan.recoveries.is_empty());
        let sum: i64 = plan.lines.iter().map(|l| l.amount_fen).sum();
        let total: i64 = plan.totals.iter().map(|t| t.amount_fen).sum();
        assert_eq!(sum, total);
        let rec: i64 = plan.recoveries.iter().map(|r| r.amount_fen).sum();
        assert_eq!(rec, plan.totals.iter().map(|t| t.recoveries_fen).sum::<i64>());
        assert_eq!(plan.lines.len() as u64, plan.totals.iter().map(|t| t.lines).sum::<u64>());
        for t in &plan.totals {
            let people: BTreeSet<&str> = plan.lines.iter().filter(|l| l.benefit == t.benefit).map(|l| l.person.as_str()).collect();
            assert_eq!(people.len() as u64, t.people, "{}", t.benefit);
        }
        let mut keys = BTreeSet::new();
        for w in plan.lines.windows(2) {
            assert!((&w[0].person, &w[0].benefit, w[0].month) < (&w[1].person, &w[1].benefit, w[1].month));
        }
        for l in &plan.lines {
            assert!(keys.insert((l.person.clone(), l.benefit.clone(), l.month)));
        }
        // the same input in another order gives the same digest; a change gives another
        let mut rev = people.clone();
        rev.reverse();
        assert_eq!(plan_run(&c, m("2026-06"), &rev).digest, plan.digest);
        assert_eq!(plan.digest.len(), 64);
        let mut changed = people;
        changed[0].facts.birth_date = d(1920, 1, 1);
        assert_ne!(plan_run(&c, m("2026-06"), &changed).digest, plan.digest);
        // paying the plan and running again plans nothing new for the month
        let mut again = crate::synth::people(300, 9, d(2026, 6, 1));
        let first = plan_run(&c, m("2026-06"), &again);
        for l in &first.lines {
            if let Some(p) = again.iter_mut().find(|p| p.key == l.person) {
                p.paid.push(Paid { benefit: l.benefit.clone(), month: l.month, amount_fen: l.amount_fen });
            }
        }
        assert!(plan_run(&c, m("2026-06"), &again).lines.is_empty());
    }
}
