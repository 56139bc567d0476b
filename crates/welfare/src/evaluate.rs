//! Deciding a person's entitlement to a benefit on a date, with the reasons, and the month rule:
//! a benefit is due for a month when the person is entitled on the month's first day.

use chrono::NaiveDate;
use serde::Deserialize;
use serde::Serialize;

use crate::catalog::Amount;
use crate::catalog::Benefit;
use crate::catalog::Catalog;
use crate::expr::Reason;
use crate::facts::FactId;
use crate::facts::FactValues;
use crate::facts::Facts;
use crate::facts::Value;
use crate::month::Month;

/// The result for one benefit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    /// Entitled to this monthly amount.
    Entitled {
        /// Fen per month.
        amount_fen: i64,
    },
    /// Not entitled.
    NotEntitled,
    /// Cannot be decided: facts are missing (e.g. no household finance check yet).
    Unknown {
        /// The names of the facts that are unknown.
        missing: Vec<String>,
    },
}

impl Outcome {
    /// The monthly amount when entitled.
    pub fn amount(&self) -> Option<i64> {
        match self {
            Outcome::Entitled { amount_fen } => Some(*amount_fen),
            _ => None,
        }
    }
}

/// A decision with its reasons.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Decision {
    /// The benefit code.
    pub benefit: String,
    /// The date the facts were taken on.
    pub on: NaiveDate,
    /// The outcome.
    pub outcome: Outcome,
    /// Every atomic condition visited, in order, then the amount's.
    pub reasons: Vec<Reason>,
}

/// The outcome without reasons (the fast path of runs and the benchmark).
pub(crate) fn decide(benefit: &Benefit, v: &FactValues) -> Outcome {
    match benefit.eligibility.value(v) {
        Value::Bool(true) => amount(benefit, v, None),
        Value::Bool(false) => Outcome::NotEntitled,
        _ => Outcome::Unknown { missing: Vec::new() },
    }
}

fn unknown_facts(ids: impl IntoIterator<Item = FactId>, v: &FactValues, out: &mut Vec<String>) {
    for id in ids {
        if v.get(id) == Value::Unknown && !out.iter().any(|m| m == id.name()) {
            out.push(id.name().to_owned());
        }
    }
}

fn amount(benefit: &Benefit, v: &FactValues, mut reasons: Option<&mut Vec<Reason>>) -> Outcome {
    match &benefit.amount {
        Amount::Fixed(fen) => {
            if *fen > 0 {
                Outcome::Entitled { amount_fen: *fen }
            } else {
                Outcome::NotEntitled
            }
        }
        Amount::Bands { fact, bands } => {
            let Some(id) = FactId::from_name(fact) else {
                return Outcome::Unknown { missing: vec![fact.clone()] };
            };
            let Value::Int(x) = v.get(id) else {
                return Outcome::Unknown { missing: vec![fact.clone()] };
            };
            let band = bands.iter().find(|b| b.from <= x && b.to.is_none_or(|t| x <= t));
            if let Some(out) = reasons.as_deref_mut() {
                let clause = match band {
                    Some(b) => match b.to {
                        Some(t) => format!("{fact} in {}..={t}", b.from),
                        None => format!("{fact} >= {}", b.from),
                    },
                    None => format!("{fact} 不在任何分档内 / {fact} is in no band"),
                };
                out.push(Reason { clause, values: vec![(fact.clone(), x.to_string())], holds: Some(band.is_some()) });
            }
            match band {
                Some(b) if b.fen > 0 => Outcome::Entitled { amount_fen: b.fen },
                _ => Outcome::NotEntitled,
            }
        }
        Amount::Formula(rule) => {
            let value = rule.value(v);
            if let Some(out) = reasons {
                let mut values: Vec<(String, String)> =
                    rule.facts().into_iter().map(|f| (f.name().to_owned(), v.get(f).show())).collect();
                values.push(("=".to_owned(), value.show()));
                let holds = match value {
                    Value::Int(n) => Some(n > 0),
                    _ => None,
                };
                out.push(Reason { clause: rule.source.clone(), values, holds });
            }
            match value {
                Value::Int(n) if n > 0 => Outcome::Entitled { amount_fen: n },
                Value::Int(_) => Outcome::NotEntitled,
                _ => {
                    let mut missing = Vec::new();
                    unknown_facts(rule.facts(), v, &mut missing);
                    Outcome::Unknown { missing }
                }
            }
        }
    }
}

/// Decides `benefit` for the person on `on`, recording the reasons. An amount that is ≤ 0 means
/// not entitled; an amount that cannot be computed means unknown.
pub fn evaluate(catalog: &Catalog, benefit: &Benefit, facts: &Facts, on: NaiveDate) -> Decision {
    let _ = catalog;
    let v = FactValues::new(facts, on);
    let mut reasons = Vec::new();
    let outcome = match benefit.eligibility.explain(&v, &mut reasons) {
        Value::Bool(true) => amount(benefit, &v, Some(&mut reasons)),
        Value::Bool(false) => Outcome::NotEntitled,
        _ => {
            let mut missing = Vec::new();
            unknown_facts(benefit.eligibility.facts(), &v, &mut missing);
            Outcome::Unknown { missing }
        }
    };
    Decision { benefit: benefit.code.clone(), on, outcome, reasons }
}

/// The outcome alone, without the reasons (to find quickly what changed for many people; an
/// unknown outcome names no missing facts here: `evaluate` does).
pub fn outcome(benefit: &Benefit, facts: &Facts, on: NaiveDate) -> Outcome {
    decide(benefit, &FactValues::new(facts, on))
}

/// Decides every benefit of the catalog, in catalog order.
pub fn evaluate_all(catalog: &Catalog, facts: &Facts, on: NaiveDate) -> Vec<Decision> {
    catalog.benefits.iter().map(|b| evaluate(catalog, b, facts, on)).collect()
}

/// A benefit is due for a month when the person is entitled on the month's FIRST day: someone who
/// turns 80 on 15 March is first paid for April ("the month after the birthday"); someone who
/// dies on 10 May is paid for May and not June.
pub fn due_for(catalog: &Catalog, benefit: &Benefit, facts: &Facts, month: Month) -> Decision {
    evaluate(catalog, benefit, facts, month.first_day())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("a date")
    }

    fn m(s: &str) -> Month {
        Month::parse(s).expect("a month")
    }

    fn benefit<'a>(c: &'a Catalog, code: &str) -> &'a Benefit {
        c.benefit(code).expect("shipped benefit")
    }

    #[test]
    fn old_age_allowance_starts_the_month_after_the_birthday_and_stops_after_death() {
        let c = Catalog::demo();
        let b = benefit(&c, "old_age_allowance");
        let f = Facts { birth_date: d(1946, 3, 15), death_date: Some(d(2026, 5, 10)), ..Facts::default() };
        assert_eq!(due_for(&c, b, &f, m("2026-03")).outcome, Outcome::NotEntitled);
        assert_eq!(due_for(&c, b, &f, m("2026-04")).outcome, Outcome::Entitled { amount_fen: 6000 });
        assert_eq!(due_for(&c, b, &f, m("2026-05")).outcome, Outcome::Entitled { amount_fen: 6000 });
        assert_eq!(due_for(&c, b, &f, m("2026-06")).outcome, Outcome::NotEntitled);
        // born on the first: due that very month
        let first = Facts { birth_date: d(1946, 3, 1), ..Facts::default() };
        assert!(due_for(&c, b, &first, m("2026-03")).outcome.amount().is_some());
        // moved out
        let moved = Facts { birth_date: d(1930, 1, 1), moved_out_on: Some(d(2026, 2, 20)), ..Facts::default() };
        assert!(due_for(&c, b, &moved, m("2026-02")).outcome.amount().is_some());
        assert_eq!(due_for(&c, b, &moved, m("2026-03")).outcome, Outcome::NotEntitled);
        // a centenarian gets the longevity allowance, not the old-age allowance
        let old = Facts { birth_date: d(1925, 1, 1), ..Facts::default() };
        let dec = due_for(&c, b, &old, m("2026-03"));
        assert_eq!(dec.outcome, Outcome::NotEntitled);
        assert!(dec.reasons.last().is_some_and(|r| r.holds == Some(false)));
        assert!(due_for(&c, benefit(&c, "centenarian_allowance"), &old, m("2026-03")).outcome.amount().is_some());
    }

    #[test]
    fn dibao_tops_up_and_is_unknown_without_a_finance_check() {
        let c = Catalog::demo();
        let b = benefit(&c, "dibao");
        let std = c.param("dibao_standard").expect("param");
        let poor = Facts { income_per_head_fen: Some(40_000), ..Facts::default() };
        let on = d(2026, 4, 1);
        let dec = evaluate(&c, b, &poor, on);
        assert_eq!(dec.outcome, Outcome::Entitled { amount_fen: std - 40_000 });
        assert_eq!(dec.reasons.len(), 4);
        assert_eq!(dec.reasons[2].clause, "income_per_head < dibao_standard");
        assert_eq!(dec.reasons[3].clause, "dibao_standard - income_per_head");
        let rich = Facts { income_per_head_fen: Some(std), ..Facts::default() };
        assert_eq!(evaluate(&c, b, &rich, on).outcome, Outcome::NotEntitled);
        let unchecked = Facts::default();
        let dec = evaluate(&c, b, &unchecked, on);
        assert_eq!(dec.outcome, Outcome::Unknown { missing: vec!["income_per_head".to_owned()] });
        assert_eq!(dec.reasons[2].holds, None);
        // unknown income but dead: false && unknown = false
        let dead = Facts { death_date: Some(d(2026, 1, 1)), ..Facts::default() };
        assert_eq!(evaluate(&c, b, &dead, on).outcome, Outcome::NotEntitled);
    }

    #[test]
    fn tekun_disability_and_rent() {
        let c = Catalog::demo();
        let std = c.param("dibao_standard").expect("param");
        let on = d(2026, 4, 1);
        let alone_old = Facts { birth_date: d(1950, 1, 1), income_per_head_fen: Some(10_000), capable_adults: 0, ..Facts::default() };
        assert_eq!(evaluate(&c, benefit(&c, "tekun"), &alone_old, on).outcome, Outcome::Entitled { amount_fen: std * 13 / 10 });
        let supported = Facts { capable_adults: 1, ..alone_old.clone() };
        assert_eq!(evaluate(&c, benefit(&c, "tekun"), &supported, on).outcome, Outcome::NotEntitled);
        let adult = Facts { birth_date: d(1980, 1, 1), ..alone_old.clone() };
        assert_eq!(evaluate(&c, benefit(&c, "tekun"), &adult, on).outcome, Outcome::NotEntitled);
        let adult_disabled = Facts { disability_grade: Some(2), ..adult.clone() };
        assert!(evaluate(&c, benefit(&c, "tekun"), &adult_disabled, on).outcome.amount().is_some());
        // disability living subsidy: on dibao decides even with income unknown (true || unknown)
        let dis = Facts { disability_grade: Some(3), dibao: true, ..Facts::default() };
        assert_eq!(evaluate(&c, benefit(&c, "disability_living"), &dis, on).outcome, Outcome::Entitled { amount_fen: std * 30 / 100 });
        let dis_unknown = Facts { disability_grade: Some(3), ..Facts::default() };
        assert!(matches!(evaluate(&c, benefit(&c, "disability_living"), &dis_unknown, on).outcome, Outcome::Unknown { .. }));
        // care subsidy by grade, not in an institution
        let g1 = Facts { disability_grade: Some(1), ..Facts::default() };
        let g2 = Facts { disability_grade: Some(2), ..Facts::default() };
        let g3 = Facts { disability_grade: Some(3), ..Facts::default() };
        let care = benefit(&c, "disability_care");
        assert_eq!(evaluate(&c, care, &g1, on).outcome, Outcome::Entitled { amount_fen: 37_080 });
        assert_eq!(evaluate(&c, care, &g2, on).outcome, Outcome::Entitled { amount_fen: 24_720 });
        assert_eq!(evaluate(&c, care, &g3, on).outcome, Outcome::NotEntitled);
        let inst = Facts { in_institution: true, ..g1 };
        assert_eq!(evaluate(&c, care, &inst, on).outcome, Outcome::NotEntitled);
        // rent subsidy by household size, 3+ in the open band
        let rent = benefit(&c, "rent_subsidy");
        for (size, fen) in [(1, 60_000), (2, 90_000), (3, 120_000), (7, 120_000)] {
            let f = Facts { rent_subsidy_qualified: true, household_size: size, ..Facts::default() };
            assert_eq!(evaluate(&c, rent, &f, on).outcome, Outcome::Entitled { amount_fen: fen }, "size {size}");
        }
        assert_eq!(evaluate_all(&c, &Facts::default(), on).len(), c.benefits.len());
    }

    #[test]
    fn formula_at_or_below_zero_is_not_entitled() {
        let c = Catalog::parse(&[(
            "t.toml",
            "[params.p]\nvalue = 5\nlabel_zh = \"p\"\nlabel_en = \"p\"\nsource = \"s\"\n\n[[benefit]]\ncode = \"x\"\nname = \"x\"\nname_en = \"x\"\ndepartment = \"mzj\"\nlegal_basis = \"l\"\neligibility = \"alive\"\namount = { formula = \"p - age\" }\nnotice_zh = \"n\"\nnotice_en = \"n\"\n",
        )])
        .expect("parses");
        let b = &c.benefits[0];
        let young = Facts { birth_date: d(2023, 1, 1), ..Facts::default() };
        assert_eq!(evaluate(&c, b, &young, d(2026, 6, 1)).outcome, Outcome::Entitled { amount_fen: 2 });
        let five = Facts { birth_date: d(2021, 1, 1), ..Facts::default() };
        assert_eq!(evaluate(&c, b, &five, d(2026, 6, 1)).outcome, Outcome::NotEntitled);
        let fv = FactValues::new(&five, d(2026, 6, 1));
        assert_eq!(decide(b, &fv), Outcome::NotEntitled);
    }
}
