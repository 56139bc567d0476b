//! The register facts benefits are decided on, gathered from the population register and the
//! shared records departments publish (deaths, cancellations, disability certificates, low-income
//! status, household finance checks, care institutions, rent-subsidy qualifications, unemployment
//! registrations, social security cards), as the engine's `welfare::Facts` per person.

use std::collections::BTreeMap;
use std::collections::HashMap;

use chrono::NaiveDate;
use serde_json::Value;
use store::FactRecord;
use store::WelfarePerson;
use welfare::Facts;

/// The record types welfare reads: a record of one of them published, corrected or revoked
/// re-evaluates its subject's household.
pub const FACT_TYPES: &[&str] = &[
    "death_medical_cert",
    "cremation_cert",
    "household_cancellation",
    "disability_cert",
    "low_income_status",
    "household_finance_check",
    "institution_care",
    "rent_subsidy",
    "unemployment_registration",
    "social_security_card",
];

/// Where a benefit is paid: the bank account of the person's social security card.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BankAccount {
    pub bank: String,
    pub account: String,
}

/// Everything gathered about a set of people.
#[derive(Debug, Default)]
pub struct Gathered {
    /// Each person's facts, by ID number.
    pub facts: HashMap<String, Facts>,
    /// The people, by ID number.
    pub people: BTreeMap<String, WelfarePerson>,
    /// Bank accounts, by ID number.
    pub accounts: HashMap<String, BankAccount>,
    /// Members by household.
    pub households: BTreeMap<i64, Vec<String>>,
}

fn text<'a>(data: &'a Value, field: &str) -> Option<&'a str> {
    data.get(field).and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty())
}

fn date(data: &Value, field: &str) -> Option<NaiveDate> {
    text(data, field).and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
}

fn number(data: &Value, field: &str) -> Option<i64> {
    match data.get(field)? {
        Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f.round() as i64)),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// A disability grade from the certificate: 1–4, as a number or as 一级 … 四级.
fn grade(data: &Value) -> Option<u8> {
    if let Some(n) = number(data, "grade") {
        return u8::try_from(n).ok().filter(|g| (1..=4).contains(g));
    }
    let t = text(data, "grade")?;
    ["一", "二", "三", "四"].iter().position(|c| t.starts_with(c)).map(|i| i as u8 + 1)
}

/// Income per head from the form of a minimum-living-allowance application the one-thing engine
/// approved (its check report carries the household's monthly income in yuan and its size).
fn per_head_from_form(data: &Value) -> Option<i64> {
    let form = data.get("form")?;
    let income = number(form, "monthly_income")?;
    let size = number(form, "household_size").filter(|s| *s > 0)?;
    Some(income * 100 / size)
}

/// Whether a record still stands on `today` (no end, or an end not yet passed).
fn valid(r: &FactRecord, today: NaiveDate) -> bool {
    r.valid_until.is_none_or(|u| u >= today)
}

/// Gathers the facts of `people` (whole households) from their records, on `today`.
pub fn gather(people: Vec<WelfarePerson>, records: &[FactRecord], today: NaiveDate) -> Gathered {
    let mut g = Gathered::default();
    let mut by_person: HashMap<&str, Vec<&FactRecord>> = HashMap::new();
    for r in records {
        by_person.entry(r.subject_key.as_str()).or_default().push(r);
    }
    // Household-wide facts: low-income status and the latest finance check of any member.
    let mut household_dibao: HashMap<i64, bool> = HashMap::new();
    let mut household_income: HashMap<i64, (chrono::DateTime<chrono::Utc>, i64)> = HashMap::new();
    for p in &people {
        for r in by_person.get(p.id_number.as_str()).into_iter().flatten() {
            let data: Value = serde_json::from_str(&r.data).unwrap_or(Value::Null);
            match r.record_type.as_str() {
                "low_income_status" if valid(r, today) => {
                    household_dibao.insert(p.household, true);
                }
                "household_finance_check" if valid(r, today) => {
                    if let Some(income) = number(&data, "income_per_head_fen").or_else(|| per_head_from_form(&data)) {
                        let e = household_income.entry(p.household).or_insert((r.issued_at, income));
                        if r.issued_at >= e.0 {
                            *e = (r.issued_at, income);
                        }
                    }
                }
                _ => {}
            }
        }
    }
    for p in &people {
        let mut f = Facts {
            birth_date: p.birth_date,
            registered_in_district: true,
            moved_out_on: None,
            death_date: None,
            in_institution: false,
            disability_grade: None,
            dibao: household_dibao.get(&p.household).copied().unwrap_or(false),
            income_per_head_fen: household_income.get(&p.household).map(|(_, i)| *i),
            household_size: 1,
            household_elders_only: false,
            lives_alone: false,
            capable_adults: 0,
            rent_subsidy_qualified: false,
            unemployed: false,
        };
        for r in by_person.get(p.id_number.as_str()).into_iter().flatten() {
            let data: Value = serde_json::from_str(&r.data).unwrap_or(Value::Null);
            let issued = domain::china_date(r.issued_at);
            match r.record_type.as_str() {
                "death_medical_cert" | "cremation_cert" => {
                    let d = date(&data, "death_date").unwrap_or(issued);
                    f.death_date = Some(f.death_date.map_or(d, |x| x.min(d)));
                }
                "household_cancellation" => {
                    let on = date(&data, "cancelled_on").unwrap_or(issued);
                    if text(&data, "reason").is_some_and(|r| r.contains("死亡") || r.eq_ignore_ascii_case("death")) {
                        f.death_date = Some(f.death_date.map_or(on, |x| x.min(on)));
                    } else {
                        f.moved_out_on = Some(f.moved_out_on.map_or(on, |x| x.min(on)));
                    }
                }
                "disability_cert" if valid(r, today) => {
                    if let Some(gr) = grade(&data) {
                        f.disability_grade = Some(f.disability_grade.map_or(gr, |x| x.min(gr)));
                    }
                }
                "institution_care" if valid(r, today) => f.in_institution = true,
                "rent_subsidy" if valid(r, today) => f.rent_subsidy_qualified = true,
                "unemployment_registration" if valid(r, today) => f.unemployed = true,
                "social_security_card" if valid(r, today) => {
                    if let (Some(bank), Some(account)) = (text(&data, "bank"), text(&data, "account")) {
                        g.accounts.insert(p.id_number.clone(), BankAccount { bank: bank.to_owned(), account: account.to_owned() });
                    }
                }
                _ => {}
            }
        }
        g.households.entry(p.household).or_default().push(p.id_number.clone());
        g.facts.insert(p.id_number.clone(), f);
    }
    // What the household is made of today: its living members who are still registered here.
    for members in g.households.values() {
        let here: Vec<&String> = members
            .iter()
            .filter(|k| g.facts.get(*k).is_some_and(|f| f.alive(today) && f.resident(today)))
            .collect();
        let ages: Vec<(String, i64, Option<u8>)> =
            here.iter().map(|k| ((*k).clone(), g.facts[*k].age(today), g.facts[*k].disability_grade)).collect();
        let size = here.len().max(1) as u32;
        let elders_only = !ages.is_empty() && ages.iter().all(|(_, a, _)| *a >= 60);
        for k in members {
            let capable = ages
                .iter()
                .filter(|(other, a, gr)| other != k && (18..=59).contains(a) && !matches!(gr, Some(1 | 2)))
                .count() as u32;
            if let Some(f) = g.facts.get_mut(k) {
                f.household_size = size;
                f.household_elders_only = elders_only;
                f.lives_alone = size == 1;
                f.capable_adults = capable;
            }
        }
    }
    g.people = people.into_iter().map(|p| (p.id_number.clone(), p)).collect();
    g
}
