//! Tests of the generated district as a whole: validity, uniqueness, structure and determinism.

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use chrono::NaiveDate;
use domain::{CreditCode, HouseholdId, IdGenerator, PersonId, Phone, ResidentId, Sex};

use super::*;
use crate::dates::{add_years, age_on, ymd};

fn today() -> NaiveDate {
    ymd(2026, 11, 22)
}

fn config() -> DemoConfig {
    DemoConfig {
        today: today(),
        ..DemoConfig::default()
    }
}

/// The default district, generated once for all the tests that only read it.
fn district() -> &'static DemoDistrict {
    static DISTRICT: OnceLock<DemoDistrict> = OnceLock::new();
    DISTRICT.get_or_init(|| generate(&config(), &IdGenerator::new(1)))
}

fn age(p: &PersonRow) -> u32 {
    age_on(p.birth_date, today())
}

fn households(d: &DemoDistrict) -> HashMap<HouseholdId, Vec<&PersonRow>> {
    let mut h: HashMap<HouseholdId, Vec<&PersonRow>> = HashMap::new();
    for p in &d.persons {
        h.entry(p.household).or_default().push(p);
    }
    h
}

#[test]
fn default_config() {
    let c = DemoConfig::default();
    assert_eq!(
        (c.residents, c.enterprises, c.seed),
        (5000, 400, 20_261_122)
    );
    assert!(c.today >= ymd(2026, 1, 1));
}

#[test]
fn counts_match_the_config() {
    let d = district();
    assert_eq!(d.divisions.len(), 1 + 1 + 1 + 24 + 350);
    assert_eq!(d.persons.len(), 5000);
    assert_eq!(d.enterprises.len(), 400);
    let married = d.persons.iter().filter(|p| p.married).count();
    assert_eq!(d.records.len(), 2 * 5000 + married + 400);
    let ids: HashSet<i64> = d
        .persons
        .iter()
        .map(|p| p.id.get())
        .chain(d.enterprises.iter().map(|e| e.id.get()))
        .chain(d.records.iter().map(|r| r.id.get()))
        .chain(d.persons.iter().map(|p| p.household.get()))
        .collect();
    let households = households(d).len();
    assert_eq!(ids.len(), 5000 + 400 + d.records.len() + households);
}

#[test]
fn small_districts_have_exact_counts() {
    let ids = IdGenerator::new(3);
    for residents in [0, 1, 2, 3, 5, 8, 13, 40] {
        let cfg = DemoConfig {
            residents,
            enterprises: 3,
            seed: residents as u64,
            today: today(),
        };
        let d = generate(&cfg, &ids);
        assert_eq!(d.persons.len(), residents);
        for (_, members) in households(&d) {
            assert_eq!(members.iter().filter(|p| p.relation == HEAD).count(), 1);
        }
        let adults = d.persons.iter().any(|p| (25..=72).contains(&age(p)));
        assert_eq!(d.enterprises.len(), if adults { 3 } else { 0 });
    }
}

/// Everything but the ids, with references between rows by identity number or credit code.
fn without_ids(d: &DemoDistrict) -> String {
    let by_id: HashMap<PersonId, &str> = d
        .persons
        .iter()
        .map(|p| (p.id, p.id_number.as_str()))
        .collect();
    let household_index: HashMap<HouseholdId, usize> = d
        .persons
        .iter()
        .map(|p| p.household)
        .fold(Vec::new(), |mut v, h| {
            if !v.contains(&h) {
                v.push(h);
            }
            v
        })
        .into_iter()
        .enumerate()
        .map(|(i, h)| (h, i))
        .collect();
    let mut out = String::new();
    for p in &d.persons {
        out += &format!(
            "{} {} {:?} {} {} {:?} {:?} {} {} {:?} {}\n",
            p.id_number,
            p.name,
            p.sex,
            p.birth_date,
            p.division,
            p.phone,
            household_index.get(&p.household),
            p.relation,
            p.married,
            p.spouse.and_then(|s| by_id.get(&s)),
            p.lives_alone
        );
    }
    for e in &d.enterprises {
        out += &format!(
            "{} {} {:?} {} {} {} {}\n",
            e.credit_code,
            e.name,
            by_id.get(&e.legal_rep),
            e.division,
            e.kind,
            e.established_on,
            e.industry
        );
    }
    for r in &d.records {
        out += &format!(
            "{} {} {} {} {} {:?} {}\n",
            r.record_type,
            r.subject_kind,
            r.subject_key,
            r.department,
            r.issued_at,
            r.valid_until,
            r.data
        );
    }
    out
}

#[test]
fn same_seed_same_district_apart_from_the_ids() {
    let a = district();
    let b = generate(&config(), &IdGenerator::new(2));
    assert_ne!(
        a.persons[0].id, b.persons[0].id,
        "different generators, different ids"
    );
    assert_eq!(a.divisions, b.divisions);
    assert_eq!(without_ids(a), without_ids(&b));
}

#[test]
fn another_seed_makes_other_people() {
    let a = district();
    let b = generate(
        &DemoConfig {
            seed: 7,
            ..config()
        },
        &IdGenerator::new(1),
    );
    let numbers: HashSet<&str> = a.persons.iter().map(|p| p.id_number.as_str()).collect();
    let shared = b
        .persons
        .iter()
        .filter(|p| numbers.contains(p.id_number.as_str()))
        .count();
    assert!(shared < 50, "{shared} identity numbers in common");
    let names_a: Vec<&str> = a.persons.iter().take(50).map(|p| p.name.as_str()).collect();
    let names_b: Vec<&str> = b.persons.iter().take(50).map(|p| p.name.as_str()).collect();
    assert_ne!(names_a, names_b);
    assert_ne!(
        a.enterprises.iter().map(|e| &e.name).collect::<Vec<_>>(),
        b.enterprises.iter().map(|e| &e.name).collect::<Vec<_>>()
    );
}

#[test]
fn identity_numbers_are_valid_unique_and_agree_with_the_person() {
    let d = district();
    let mut seen = HashSet::new();
    let mut migrants = 0;
    for p in &d.persons {
        let id = ResidentId::parse_on(&p.id_number, today())
            .unwrap_or_else(|e| panic!("{}: {e}", p.id_number));
        assert_eq!(id.as_str(), p.id_number);
        assert!(
            seen.insert(p.id_number.clone()),
            "duplicate {}",
            p.id_number
        );
        assert_eq!(id.sex(), p.sex);
        assert_eq!(id.sequence() % 2 == 1, p.sex == Sex::Male);
        assert_eq!(id.birth_date(), p.birth_date);
        assert!(p.birth_date < today() && age(p) <= 100);
        let region = id.region_code();
        assert!(people::is_known_region(region), "{region}");
        match region {
            "330111" => assert!(p.birth_date >= ymd(2015, 1, 1), "{}", p.id_number),
            "330183" => assert!(p.birth_date < ymd(2015, 1, 1), "{}", p.id_number),
            _ => migrants += 1,
        }
    }
    // A small share of in-migrants.
    assert!((40..400).contains(&migrants), "{migrants} in-migrants");
    assert!(d.persons.iter().any(|p| p.id_number.starts_with("330111")));
}

#[test]
fn phones_are_valid_unique_and_only_for_the_old_enough() {
    let d = district();
    let mut seen = HashSet::new();
    let (mut adults, mut adults_with) = (0, 0);
    for p in &d.persons {
        if let Some(phone) = &p.phone {
            let parsed = Phone::parse(phone).unwrap_or_else(|e| panic!("{phone}: {e}"));
            assert_eq!(parsed.as_str(), phone);
            assert!(seen.insert(phone.clone()), "duplicate {phone}");
            assert!(age(p) >= 14, "{} aged {} has a phone", p.name, age(p));
        }
        if (18..=60).contains(&age(p)) {
            adults += 1;
            adults_with += usize::from(p.phone.is_some());
        }
    }
    assert!(
        adults_with * 100 >= adults * 95,
        "{adults_with} of {adults}"
    );
}

#[test]
fn the_district_ages_like_a_zhejiang_county() {
    let d = district();
    let n = d.persons.len() as f64;
    let share =
        |f: &dyn Fn(&PersonRow) -> bool| d.persons.iter().filter(|p| f(p)).count() as f64 / n;
    let sixty = share(&|p| age(p) >= 60);
    let under_15 = share(&|p| age(p) < 15);
    let alone = share(&|p| p.lives_alone);
    let eighty = share(&|p| age(p) >= 80);
    assert!((0.22..=0.28).contains(&sixty), "60+: {sixty}");
    assert!((0.10..=0.14).contains(&under_15), "under 15: {under_15}");
    assert!((0.055..=0.065).contains(&alone), "living alone: {alone}");
    assert!((0.03..=0.08).contains(&eighty), "80+: {eighty}");
    for p in d.persons.iter().filter(|p| p.lives_alone) {
        assert!(age(p) >= 70, "{} aged {}", p.name, age(p));
        assert!(!p.married && p.spouse.is_none());
    }
    // Every decade of life is represented.
    for decade in 0..9 {
        let c = d.persons.iter().filter(|p| age(p) / 10 == decade).count();
        assert!(c > 150, "{c} in their {decade}0s");
    }
}

#[test]
fn people_live_in_the_villages_more_of_them_in_the_streets() {
    let d = district();
    let villages: HashMap<&str, &DivisionRow> = d
        .divisions
        .iter()
        .filter(|r| r.level == "village")
        .map(|r| (r.code.as_str(), r))
        .collect();
    assert_eq!(villages.len(), 350);
    let town_name: HashMap<&str, &str> = d
        .divisions
        .iter()
        .filter(|r| r.level == "town")
        .map(|r| (r.code.as_str(), r.name.as_str()))
        .collect();
    let mut by_kind: HashMap<&str, usize> = HashMap::new();
    let mut towns = HashSet::new();
    for p in &d.persons {
        let v = villages
            .get(p.division.as_str())
            .unwrap_or_else(|| panic!("{}", p.division));
        let town = town_name
            .get(v.parent.as_deref().unwrap_or_default())
            .copied()
            .unwrap_or_default();
        towns.insert(town);
        let kind = if town.ends_with("街道") {
            "街道"
        } else if town.ends_with('镇') {
            "镇"
        } else {
            "乡"
        };
        *by_kind.entry(kind).or_default() += 1;
    }
    assert_eq!(towns.len(), 24);
    let count = |k: &str| by_kind.get(k).copied().unwrap_or(0);
    assert!(
        count("街道") > count("镇") && count("镇") > 3 * count("乡"),
        "{by_kind:?}"
    );
    for e in &d.enterprises {
        assert!(villages.contains_key(e.division.as_str()), "{}", e.division);
    }
}

#[test]
fn households_have_one_head_and_plausible_members() {
    let d = district();
    let hh = households(d);
    assert!((1400..2200).contains(&hh.len()), "{} households", hh.len());
    let mut sizes: HashMap<usize, usize> = HashMap::new();
    for members in hh.values() {
        *sizes.entry(members.len()).or_default() += 1;
        let heads: Vec<_> = members.iter().filter(|p| p.relation == HEAD).collect();
        assert_eq!(heads.len(), 1, "{members:?}");
        assert_eq!(members[0].relation, HEAD, "the head comes first");
        assert!(age(heads[0]) >= 20);
        let division = &members[0].division;
        for p in members {
            assert!(RELATIONS.contains(&p.relation.as_str()), "{}", p.relation);
            assert_eq!(&p.division, division);
            assert_eq!(p.lives_alone, members.len() == 1, "{p:?}");
        }
    }
    for size in 1..=5 {
        assert!(sizes.get(&size).copied().unwrap_or(0) > 50, "{sizes:?}");
    }
    assert!(sizes.keys().all(|s| (1..=6).contains(s)), "{sizes:?}");
}

#[test]
fn spouses_are_symmetric() {
    let d = district();
    let by_id: HashMap<PersonId, &PersonRow> = d.persons.iter().map(|p| (p.id, p)).collect();
    let mut married = 0;
    for p in &d.persons {
        assert_eq!(p.married, p.spouse.is_some(), "{p:?}");
        if let Some(s) = p.spouse {
            married += 1;
            let s = by_id.get(&s).unwrap_or_else(|| panic!("spouse of {p:?}"));
            assert_eq!(s.spouse, Some(p.id));
            assert!(s.married);
            assert_ne!(s.sex, p.sex);
            assert_eq!(s.household, p.household);
            let legal = if p.sex == Sex::Male { 22 } else { 20 };
            assert!(age(p) >= legal, "{p:?}");
        }
    }
    assert!(married > 2500 && married % 2 == 0, "{married}");
}

#[test]
fn children_carry_their_fathers_surname() {
    let d = district();
    let mut checked = 0;
    for members in households(d).values() {
        let head = members[0];
        let head_spouse = members.iter().find(|p| Some(p.id) == head.spouse);
        let son = members.iter().find(|p| p.relation == "子" && p.married);
        for c in members {
            let father = match c.relation.as_str() {
                "子" | "女" => [Some(head), head_spouse.copied()]
                    .into_iter()
                    .flatten()
                    .find(|p| p.sex == Sex::Male),
                "孙子" | "孙女" => son.copied(),
                _ => None,
            };
            if let Some(f) = father {
                checked += 1;
                assert_eq!(
                    c.name.chars().next(),
                    f.name.chars().next(),
                    "{c:?} of {f:?}"
                );
                assert!(c.birth_date > add_years(f.birth_date, 18));
            }
        }
    }
    assert!(checked > 1000, "{checked}");
}

#[test]
fn names_follow_fuyang_surnames() {
    let d = district();
    let mut counts: HashMap<char, usize> = HashMap::new();
    for p in &d.persons {
        let n = p.name.chars().count();
        assert!((2..=4).contains(&n), "{}", p.name);
        if let Some(c) = p.name.chars().next() {
            *counts.entry(c).or_default() += 1;
        }
    }
    let c = |s: char| counts.get(&s).copied().unwrap_or(0);
    let top = counts.values().copied().max().unwrap_or(0);
    assert!(c('陈') == top || c('王') == top, "{counts:?}");
    for s in ['孙', '董', '蒋', '俞', '李', '张'] {
        assert!(c(s) > 30, "{s}: {}", c(s));
    }
}

#[test]
fn enterprises_are_valid_and_plausible() {
    let d = district();
    let by_id: HashMap<PersonId, &PersonRow> = d.persons.iter().map(|p| (p.id, p)).collect();
    let mut codes = HashSet::new();
    let mut names = HashSet::new();
    let mut kinds: HashMap<&str, usize> = HashMap::new();
    for e in &d.enterprises {
        let c = CreditCode::parse(&e.credit_code)
            .unwrap_or_else(|err| panic!("{}: {err}", e.credit_code));
        assert_eq!(c.as_str(), e.credit_code);
        assert!(
            codes.insert(e.credit_code.clone()),
            "duplicate {}",
            e.credit_code
        );
        assert!(names.insert(e.name.clone()), "duplicate {}", e.name);
        assert!(ENTERPRISE_KINDS.contains(&e.kind.as_str()), "{}", e.kind);
        *kinds.entry(e.kind.as_str()).or_default() += 1;
        let org_type = match e.kind.as_str() {
            "个体工商户" => '2',
            "农民专业合作社" => '3',
            _ => '1',
        };
        assert_eq!(
            (c.authority(), c.org_type()),
            ('9', org_type),
            "{}",
            e.credit_code
        );
        let division = if e.established_on < ymd(2015, 1, 1) {
            "330183"
        } else {
            "330111"
        };
        assert_eq!(c.division_code(), division, "{e:?}");
        assert!(e.established_on >= ymd(1995, 1, 1) && e.established_on < today());
        assert!(
            ["杭州", "浙江", "富阳区"]
                .iter()
                .any(|p| e.name.starts_with(p)),
            "{}",
            e.name
        );
        let rep = by_id
            .get(&e.legal_rep)
            .unwrap_or_else(|| panic!("rep of {e:?}"));
        assert!(
            age_on(rep.birth_date, e.established_on) >= 20,
            "{e:?} {rep:?}"
        );
    }
    for k in ENTERPRISE_KINDS {
        assert!(kinds.get(k).copied().unwrap_or(0) > 0, "no {k}: {kinds:?}");
    }
    let industries: HashSet<&str> = d.enterprises.iter().map(|e| e.industry.as_str()).collect();
    for i in [
        "造纸",
        "包装",
        "五金",
        "服装",
        "建材",
        "旅游民宿",
        "茶叶",
        "电子",
        "机械",
    ] {
        assert!(industries.contains(i), "no {i}");
    }
}

#[test]
fn records_cover_every_subject_and_reference_existing_ones() {
    let d = district();
    let people: HashMap<&str, &PersonRow> = d
        .persons
        .iter()
        .map(|p| (p.id_number.as_str(), p))
        .collect();
    let firms: HashMap<&str, &EnterpriseRow> = d
        .enterprises
        .iter()
        .map(|e| (e.credit_code.as_str(), e))
        .collect();
    let start_of_today = domain::china_start_of_day(today());
    let mut per_subject: HashMap<(&str, &str), usize> = HashMap::new();
    for r in &d.records {
        assert!(r.issued_at < start_of_today, "{r:?}");
        *per_subject
            .entry((r.record_type.as_str(), r.subject_key.as_str()))
            .or_default() += 1;
        let expected = match r.record_type.as_str() {
            RESIDENT_ID_CARD | HOUSEHOLD_REGISTER => ("person", "ga"),
            MARRIAGE_REGISTRATION => ("person", "mzj"),
            BUSINESS_LICENSE => ("enterprise", "scjg"),
            other => panic!("unexpected record type {other}"),
        };
        assert_eq!((r.subject_kind.as_str(), r.department.as_str()), expected);
        if r.subject_kind == "person" {
            let p = people
                .get(r.subject_key.as_str())
                .unwrap_or_else(|| panic!("{r:?}"));
            assert_eq!(r.data["name"], p.name.as_str());
            assert!(domain::china_date(r.issued_at) >= p.birth_date, "{r:?}");
        } else {
            let e = firms
                .get(r.subject_key.as_str())
                .unwrap_or_else(|| panic!("{r:?}"));
            assert_eq!(r.data["name"], e.name.as_str());
            assert_eq!(r.data["credit_code"], e.credit_code.as_str());
            assert!(domain::china_date(r.issued_at) >= e.established_on);
        }
    }
    for p in &d.persons {
        let n = |t| {
            per_subject
                .get(&(t, p.id_number.as_str()))
                .copied()
                .unwrap_or(0)
        };
        assert_eq!(n(RESIDENT_ID_CARD), 1);
        assert_eq!(n(HOUSEHOLD_REGISTER), 1);
        assert_eq!(n(MARRIAGE_REGISTRATION), usize::from(p.married));
    }
    for e in &d.enterprises {
        assert_eq!(
            per_subject.get(&(BUSINESS_LICENSE, e.credit_code.as_str())),
            Some(&1)
        );
    }
}

#[test]
fn identity_cards_follow_the_validity_rule() {
    let d = district();
    let people: HashMap<&str, &PersonRow> = d
        .persons
        .iter()
        .map(|p| (p.id_number.as_str(), p))
        .collect();
    let mut long_term = 0;
    for r in d
        .records
        .iter()
        .filter(|r| r.record_type == RESIDENT_ID_CARD)
    {
        let p = people
            .get(r.subject_key.as_str())
            .unwrap_or_else(|| panic!("{r:?}"));
        let issued = domain::china_date(r.issued_at);
        assert_eq!(r.data["valid_from"], issued.format("%Y-%m-%d").to_string());
        let expected = id_card_validity_years(age_on(p.birth_date, issued))
            .map(|y| add_years(issued, i32::try_from(y).unwrap_or(0)));
        assert_eq!(r.valid_until, expected, "{r:?}");
        match r.valid_until {
            Some(until) => {
                assert!(until >= today(), "expired card {r:?}");
                assert_eq!(r.data["valid_until"], until.format("%Y-%m-%d").to_string());
            }
            None => {
                long_term += 1;
                assert_eq!(r.data["valid_until"], "长期");
                assert!(age(p) >= 46);
            }
        }
        assert_eq!(r.data["sex"], p.sex.name_zh());
        assert_eq!(r.data["birth"], p.birth_date.format("%Y-%m-%d").to_string());
        let address = r.data["address"].as_str().unwrap_or_default();
        assert!(address.starts_with("浙江省杭州市富阳区"), "{address}");
    }
    assert!(long_term > 1000, "{long_term}");
}

#[test]
fn household_and_marriage_records_agree_with_the_register() {
    let d = district();
    let by_number: HashMap<&str, &PersonRow> = d
        .persons
        .iter()
        .map(|p| (p.id_number.as_str(), p))
        .collect();
    let by_id: HashMap<PersonId, &PersonRow> = d.persons.iter().map(|p| (p.id, p)).collect();
    let mut household_numbers: HashMap<HouseholdId, String> = HashMap::new();
    let mut certificates: HashMap<String, Vec<&str>> = HashMap::new();
    for r in &d.records {
        let Some(p) = by_number.get(r.subject_key.as_str()) else {
            continue;
        };
        match r.record_type.as_str() {
            HOUSEHOLD_REGISTER => {
                assert_eq!(r.data["relation"], p.relation.as_str());
                assert_eq!(r.data["division"], p.division.as_str());
                let number = r.data["household_number"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned();
                assert_eq!(number.len(), 9);
                let known = household_numbers
                    .entry(p.household)
                    .or_insert_with(|| number.clone());
                assert_eq!(*known, number, "one number per household");
                assert!(r.valid_until.is_none());
            }
            MARRIAGE_REGISTRATION => {
                let spouse = p
                    .spouse
                    .and_then(|s| by_id.get(&s))
                    .unwrap_or_else(|| panic!("{r:?}"));
                assert_eq!(r.data["spouse_name"], spouse.name.as_str());
                let masked = r.data["spouse_id_number"].as_str().unwrap_or_default();
                assert_eq!(masked, domain::mask::id_number(&spouse.id_number));
                assert!(masked.contains("********") && masked.ends_with(&spouse.id_number[14..]));
                let married_on = domain::china_date(r.issued_at);
                assert!(
                    age_on(p.birth_date, married_on) >= if p.sex == Sex::Male { 22 } else { 20 }
                );
                let number = r.data["certificate_number"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned();
                assert!(number.starts_with('J'), "{number}");
                certificates.entry(number).or_default().push(&p.id_number);
            }
            _ => {}
        }
    }
    assert_eq!(
        household_numbers.values().collect::<HashSet<_>>().len(),
        household_numbers.len()
    );
    // Both spouses hold the same certificate number, and no one else does.
    for (number, holders) in &certificates {
        assert_eq!(holders.len(), 2, "{number}");
    }
}
