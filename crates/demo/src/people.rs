//! Residents and their households: family shapes, ages, names, identity numbers and phones.
//!
//! Households are planned first (who lives together, how old, who married when), then placed in
//! villages and given ids, identity numbers and phones. The mix of shapes is tuned so that the
//! district ages like a Zhejiang county: about a quarter of the people are 60 or older, about
//! one in eight is under 15, and about 6% are elderly people living alone (空巢老人).

use std::collections::HashSet;

use chrono::{Datelike, NaiveDate};
use domain::{HouseholdId, IdGenerator, PersonId, Phone, ResidentId, Sex};
use rand::Rng;
use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};

use crate::dates::{
    add_days, add_years, age_from_bands, age_on, between, birth_for_age, pick, weighted, yesterday,
    ymd,
};
use crate::divisions::{DISTRICT_CODE, FORMER_DISTRICT_CODE, TownKind, Village};
use crate::names::{given_name, surname};

/// The head of the household (户主).
pub const HEAD: &str = "户主";
/// Every relation to the head that the generator uses.
pub const RELATIONS: [&str; 9] = [HEAD, "配偶", "子", "女", "父", "母", "孙子", "孙女", "儿媳"];

/// One resident of the demo district: a row of the population register.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PersonRow {
    /// The database id.
    pub id: PersonId,
    /// The 18-character resident identity number.
    pub id_number: String,
    /// Full name, surname first.
    pub name: String,
    /// Sex, agreeing with the identity number.
    pub sex: Sex,
    /// Birth date, agreeing with the identity number.
    pub birth_date: NaiveDate,
    /// The 12-digit code of the village or community the person is registered in.
    pub division: String,
    /// An 11-digit mobile number; `None` for children and for some of the very old.
    pub phone: Option<String>,
    /// The household (户) the person is registered in.
    pub household: HouseholdId,
    /// Relation to the head of the household, as in the household register: 户主, 配偶, 子,
    /// 女, 父, 母, 孙子, 孙女, 儿媳.
    pub relation: String,
    /// Currently married (the spouse is then in the same household).
    pub married: bool,
    /// The spouse, for a married person.
    pub spouse: Option<PersonId>,
    /// An elderly person (70+) living alone: 空巢老人, watched by the safety guardian.
    pub lives_alone: bool,
}

/// A resident together with the facts the generator needs for their records.
#[derive(Clone, Debug)]
pub(crate) struct Resident {
    pub row: PersonRow,
    /// The surname part of the name (`申屠` is two characters).
    pub surname: &'static str,
    /// Index of the village in the generator's village list.
    pub village: usize,
    /// The household number (户号) of the household register.
    pub household_number: String,
    /// The full address of the household.
    pub address: String,
    /// The name of the head of the household.
    pub head_name: String,
    /// When the person was entered in this household's register.
    pub registered_on: NaiveDate,
    /// When the person married their current spouse.
    pub married_on: Option<NaiveDate>,
    /// Index of the spouse in the list of residents.
    pub spouse_index: Option<usize>,
}

/// The county codes in-migrants' identity numbers carry: Hangzhou's neighbours and other
/// Zhejiang counties, and the Anhui, Jiangxi and Sichuan counties many came from.
const ORIGINS: &[(&str, u32)] = &[
    ("330122", 4), // 桐庐县
    ("330127", 4), // 淳安县
    ("330182", 3), // 建德市
    ("330185", 3), // 临安市 (临安区 since 2017)
    ("330106", 2), // 西湖区
    ("330781", 2), // 兰溪市
    ("330726", 2), // 浦江县
    ("330825", 1), // 龙游县
    ("331082", 1), // 临海市
    ("341122", 2), // 安徽 来安县
    ("341621", 2), // 安徽 涡阳县
    ("341222", 2), // 安徽 太和县
    ("341823", 1), // 安徽 泾县
    ("360124", 2), // 江西 进贤县
    ("361127", 2), // 江西 余干县
    ("360428", 1), // 江西 都昌县
    ("511321", 2), // 四川 南部县
    ("511623", 1), // 四川 邻水县
];

/// The region codes an identity number of a resident may start with.
#[cfg(test)]
pub(crate) fn is_known_region(code: &str) -> bool {
    code == DISTRICT_CODE || code == FORMER_DISTRICT_CODE || ORIGINS.iter().any(|(c, _)| *c == code)
}

/// Mainland mobile prefixes of the three carriers.
const MOBILE_PREFIXES: &[&str] = &[
    "134", "135", "136", "137", "138", "139", "147", "150", "151", "152", "157", "158", "159",
    "178", "182", "183", "184", "187", "188", "198", "130", "131", "132", "155", "156", "166",
    "175", "176", "185", "186", "133", "149", "153", "173", "177", "180", "181", "189", "199",
];

/// Years by which a husband is older than his wife, with weights.
const AGE_GAPS: &[(i32, u32)] = &[
    (-2, 3),
    (-1, 6),
    (0, 12),
    (1, 16),
    (2, 16),
    (3, 13),
    (4, 9),
    (5, 6),
    (6, 4),
    (8, 2),
];

/// The household register as the demo district keeps it: from the 1958 regulations on.
fn register_floor() -> NaiveDate {
    ymd(1958, 1, 9)
}

#[derive(Clone, Copy, Debug)]
enum Shape {
    ElderlyCouple,
    MiddleAgedCouple,
    YoungCouple,
    Nuclear,
    ThreeGenerations,
}

/// How often each shape (other than elderly people living alone) occurs, by household.
const SHAPES: &[(Shape, u32)] = &[
    (Shape::ElderlyCouple, 13),
    (Shape::MiddleAgedCouple, 18),
    (Shape::YoungCouple, 7),
    (Shape::Nuclear, 34),
    (Shape::ThreeGenerations, 25),
];

/// The share of residents who are elderly people living alone.
const LIVING_ALONE_SHARE: f64 = 0.06;

/// A member of a planned household.
#[derive(Clone, Debug)]
struct Member {
    surname: &'static str,
    given: &'static str,
    sex: Sex,
    birth: NaiveDate,
    relation: &'static str,
    /// Index of the spouse within the household.
    spouse: Option<usize>,
    married_on: Option<NaiveDate>,
    /// The region code of an in-migrant.
    origin: Option<&'static str>,
    /// When the member entered the household register.
    joined: NaiveDate,
}

impl Member {
    fn new(rng: &mut impl Rng, surname: &'static str, sex: Sex, birth: NaiveDate) -> Member {
        Member::avoiding(rng, surname, sex, birth, &[])
    }

    fn avoiding(
        rng: &mut impl Rng,
        surname: &'static str,
        sex: Sex,
        birth: NaiveDate,
        avoid: &[&str],
    ) -> Member {
        Member {
            surname,
            given: given_name(rng, sex, birth.year(), avoid),
            sex,
            birth,
            relation: HEAD,
            spouse: None,
            married_on: None,
            origin: None,
            joined: birth,
        }
    }
}

/// A planned household.
#[derive(Clone, Debug)]
struct Plan {
    members: Vec<Member>,
    /// Prefers villages to urban communities (elderly households).
    rural: bool,
    lives_alone: bool,
}

/// Plans and places `count` residents.
pub(crate) fn generate(
    rng: &mut impl Rng,
    count: usize,
    today: NaiveDate,
    villages: &[Village],
    ids: &IdGenerator,
) -> Vec<Resident> {
    if villages.is_empty() {
        return Vec::new();
    }
    let plans = plan_households(rng, count, today);
    place(rng, plans, today, villages, ids)
}

/// Household plans with exactly `count` members in all, in random order.
fn plan_households(rng: &mut impl Rng, count: usize, today: NaiveDate) -> Vec<Plan> {
    let alone = ((count as f64) * LIVING_ALONE_SHARE).round() as usize;
    let mut plans: Vec<Plan> = (0..alone.min(count))
        .map(|_| lone_elderly(rng, today))
        .collect();
    let mut planned = plans.len();
    while planned < count {
        let remaining = count - planned;
        let plan = match remaining {
            1 => lone_elderly(rng, today),
            2 => couple_household(rng, today, Shape::ElderlyCouple),
            _ => {
                let mut fitting = None;
                for _ in 0..20 {
                    let shape = *weighted(rng, SHAPES);
                    let plan = shaped(rng, today, shape);
                    if plan.members.len() <= remaining {
                        fitting = Some(plan);
                        break;
                    }
                }
                fitting.unwrap_or_else(|| couple_household(rng, today, Shape::ElderlyCouple))
            }
        };
        planned += plan.members.len();
        plans.push(plan);
    }
    plans.shuffle(rng);
    plans
}

fn shaped(rng: &mut impl Rng, today: NaiveDate, shape: Shape) -> Plan {
    match shape {
        Shape::ElderlyCouple | Shape::MiddleAgedCouple | Shape::YoungCouple => {
            couple_household(rng, today, shape)
        }
        Shape::Nuclear => nuclear(rng, today),
        Shape::ThreeGenerations => three_generations(rng, today),
    }
}

/// A registration date no earlier than the register itself and before `today`.
fn register_date(date: NaiveDate, today: NaiveDate) -> NaiveDate {
    date.max(register_floor()).min(yesterday(today))
}

/// When someone entered a household established on `established`: at birth registration if
/// born into it, else when it was established.
fn joined_on(
    rng: &mut impl Rng,
    birth: NaiveDate,
    established: NaiveDate,
    today: NaiveDate,
) -> NaiveDate {
    if birth >= established {
        register_date(add_days(birth, rng.random_range(7..40)), today)
    } else {
        register_date(established, today)
    }
}

/// A widow or widower of 70 or more living alone (空巢老人).
fn lone_elderly(rng: &mut impl Rng, today: NaiveDate) -> Plan {
    let age = age_from_bands(
        rng,
        &[
            (70, 74, 30),
            (75, 79, 30),
            (80, 84, 22),
            (85, 89, 13),
            (90, 96, 5),
        ],
    );
    let sex = if rng.random_bool(0.65) {
        Sex::Female
    } else {
        Sex::Male
    };
    let birth = birth_for_age(rng, today, age);
    let family = surname(rng);
    let mut m = Member::new(rng, family, sex, birth);
    m.joined = register_date(add_years(birth, rng.random_range(22..=27)), today);
    Plan {
        members: vec![m],
        rural: true,
        lives_alone: true,
    }
}

/// A married couple, husband first: `husband_age` today; a `recent` couple married within the
/// last six years. The wife may be an in-migrant (外地媳妇), more rarely the husband.
fn couple(rng: &mut impl Rng, today: NaiveDate, husband_age: u32, recent: bool) -> [Member; 2] {
    let h_birth = birth_for_age(rng, today, husband_age);
    let gap = *weighted(rng, AGE_GAPS);
    let wife_age = (i64::from(husband_age) - i64::from(gap)).max(21);
    let w_birth = birth_for_age(rng, today, u32::try_from(wife_age).unwrap_or(21));
    let legal = add_years(h_birth, 22).max(add_years(w_birth, 20));
    let married_on = if recent {
        between(rng, legal.max(add_years(today, -6)), add_days(today, -20))
    } else {
        let age_at_marriage = if h_birth.year() < 1960 {
            rng.random_range(22..=26)
        } else {
            rng.random_range(23..=30)
        };
        add_days(
            add_years(h_birth, age_at_marriage).max(legal),
            rng.random_range(0..240),
        )
    }
    .min(add_days(today, -20));
    let (his, hers) = (surname(rng), surname(rng));
    let mut husband = Member::new(rng, his, Sex::Male, h_birth);
    let mut wife = Member::new(rng, hers, Sex::Female, w_birth);
    let migrant_age = |b: NaiveDate| (1960..=2000).contains(&b.year());
    if migrant_age(w_birth) && rng.random_bool(0.10) {
        wife.origin = Some(*weighted(rng, ORIGINS));
    } else if migrant_age(h_birth) && rng.random_bool(0.03) {
        husband.origin = Some(*weighted(rng, ORIGINS));
    }
    husband.married_on = Some(married_on);
    wife.married_on = Some(married_on);
    [husband, wife]
}

/// Their children still registered with them: one, or two where the family planning rules of
/// the time allowed (a second child in the countryside if the first was a girl, two for all
/// since 2016).
fn children(rng: &mut impl Rng, today: NaiveDate, father: &Member, mother: &Member) -> Vec<Member> {
    let mut kids: Vec<Member> = Vec::new();
    let Some(married_on) = father.married_on else {
        return kids;
    };
    let latest = yesterday(today);
    let first = add_days(married_on, rng.random_range(300..1500));
    if first > latest || age_on(mother.birth, first) > 40 {
        return kids;
    }
    fn kid(rng: &mut impl Rng, surname: &'static str, birth: NaiveDate, avoid: &[&str]) -> Member {
        let sex = if rng.random_bool(0.52) {
            Sex::Male
        } else {
            Sex::Female
        };
        Member::avoiding(rng, surname, sex, birth, avoid)
    }
    let eldest = kid(rng, father.surname, first, &[]);
    let second_chance = match first.year() {
        ..1980 => 0.6,
        1980..2016 if eldest.sex == Sex::Male => 0.12,
        1980..2016 => 0.5,
        _ => 0.3,
    };
    let eldest_name = eldest.given;
    kids.push(eldest);
    if rng.random_bool(second_chance) {
        let second = add_days(first, rng.random_range(700..3000));
        if second <= latest && age_on(mother.birth, second) <= 42 {
            kids.push(kid(rng, father.surname, second, &[eldest_name]));
        }
    }
    kids
}

fn relation_of_child(sex: Sex, grandchild: bool) -> &'static str {
    match (sex, grandchild) {
        (Sex::Male, false) => "子",
        (Sex::Female, false) => "女",
        (Sex::Male, true) => "孙子",
        (Sex::Female, true) => "孙女",
    }
}

/// Links two members as spouses.
fn marry(members: &mut [Member], a: usize, b: usize) {
    members[a].spouse = Some(b);
    members[b].spouse = Some(a);
}

/// An elderly, middle-aged or young couple on their own.
fn couple_household(rng: &mut impl Rng, today: NaiveDate, shape: Shape) -> Plan {
    let (age, recent, rural) = match shape {
        Shape::ElderlyCouple => (
            age_from_bands(rng, &[(62, 69, 40), (70, 79, 40), (80, 90, 20)]),
            false,
            true,
        ),
        Shape::MiddleAgedCouple => (rng.random_range(46..=62), false, false),
        _ => (rng.random_range(24..=34), true, false),
    };
    let [mut husband, mut wife] = couple(rng, today, age, recent);
    let married_on = husband.married_on.unwrap_or(today);
    let established = if recent {
        between(rng, married_on, add_days(married_on, 200))
    } else {
        add_days(married_on, rng.random_range(0..730))
    };
    let established = register_date(established, today);
    husband.joined = established;
    wife.joined = established;
    if rng.random_bool(if recent { 0.2 } else { 0.1 }) {
        wife.relation = HEAD;
        husband.relation = "配偶";
    } else {
        wife.relation = "配偶";
    }
    let mut members = vec![husband, wife];
    marry(&mut members, 0, 1);
    Plan {
        members,
        rural,
        lives_alone: false,
    }
}

/// Parents with the children still living with them.
fn nuclear(rng: &mut impl Rng, today: NaiveDate) -> Plan {
    let father_age = rng.random_range(29..=60);
    let [mut father, mut mother] = couple(rng, today, father_age, false);
    let married_on = father.married_on.unwrap_or(today);
    let established = register_date(add_days(married_on, rng.random_range(0..730)), today);
    father.joined = established;
    mother.joined = established;
    let mother_heads = rng.random_bool(0.15);
    if mother_heads {
        father.relation = "配偶";
    } else {
        mother.relation = "配偶";
    }
    let mut kids = Vec::new();
    for mut kid in children(rng, today, &father, &mother) {
        let age = age_on(kid.birth, today);
        // Grown children often move out for work or marriage.
        if age > 30 || (age > 24 && rng.random_bool(0.6)) || (age > 18 && rng.random_bool(0.2)) {
            continue;
        }
        kid.relation = relation_of_child(kid.sex, false);
        kid.joined = joined_on(rng, kid.birth, established, today);
        kids.push(kid);
    }
    let mut members = vec![father, mother];
    marry(&mut members, 0, 1);
    members.extend(kids);
    Plan {
        members,
        rural: false,
        lives_alone: false,
    }
}

/// A son's family living with one or both of his parents.
fn three_generations(rng: &mut impl Rng, today: NaiveDate) -> Plan {
    let father_age = rng.random_range(27..=50);
    let [mut father, mut mother] = couple(rng, today, father_age, false);
    let married_on = father.married_on.unwrap_or(today);
    let kids = children(rng, today, &father, &mother);

    // The father's parents, who married a year or two before he was born.
    let gp_married = add_days(father.birth, -rng.random_range(300..900));
    let gf_birth = add_days(
        add_years(gp_married, -rng.random_range(22..=28)),
        -rng.random_range(0..365),
    );
    let gm_birth = add_days(
        gf_birth,
        365 * rng.random_range(0..=4) + rng.random_range(0..365),
    )
    .min(add_days(
        add_years(gp_married, -20),
        -rng.random_range(0..200),
    ));
    let (gf_age, gm_age) = (age_on(gf_birth, today), age_on(gm_birth, today));
    let mut gf_alive = gf_age <= 92;
    let mut gm_alive = gm_age <= 96;
    if gf_alive && gm_alive && rng.random_bool(0.3) {
        if rng.random_bool(0.7) {
            gf_alive = false;
        } else {
            gm_alive = false;
        }
    }
    let mut gf = Member::new(rng, father.surname, Sex::Male, gf_birth);
    let hers = surname(rng);
    let mut gm = Member::new(rng, hers, Sex::Female, gm_birth);
    if gf_alive && gm_alive {
        gf.married_on = Some(gp_married);
        gm.married_on = Some(gp_married);
    }

    enum Head {
        Grandfather,
        Grandmother,
        Father,
    }
    let head = if gf_alive && gf_age < 75 && rng.random_bool(0.55) {
        Head::Grandfather
    } else if !gf_alive && gm_alive && gm_age < 72 && rng.random_bool(0.3) {
        Head::Grandmother
    } else {
        Head::Father
    };
    let grandchildren = !matches!(head, Head::Father);
    let established = match head {
        Head::Grandfather | Head::Grandmother => {
            let established = register_date(add_days(gp_married, rng.random_range(0..730)), today);
            gf.relation = HEAD;
            gm.relation = if gf_alive { "配偶" } else { HEAD };
            gf.joined = established;
            gm.joined = established;
            father.relation = "子";
            mother.relation = "儿媳";
            father.joined = joined_on(rng, father.birth, established, today);
            mother.joined = register_date(
                add_days(married_on, rng.random_range(10..120)).max(established),
                today,
            );
            established
        }
        Head::Father => {
            let established = register_date(add_days(married_on, rng.random_range(0..730)), today);
            mother.relation = "配偶";
            father.joined = established;
            mother.joined = established;
            gf.relation = "父";
            gm.relation = "母";
            gf.joined = between(rng, established, yesterday(today));
            gm.joined = gf.joined;
            established
        }
    };

    let mut members = Vec::with_capacity(6);
    let gf_index = gf_alive.then(|| {
        members.push(gf);
        members.len() - 1
    });
    let gm_index = gm_alive.then(|| {
        members.push(gm);
        members.len() - 1
    });
    if let (Some(a), Some(b)) = (gf_index, gm_index) {
        marry(&mut members, a, b);
    }
    members.push(father);
    members.push(mother);
    let n = members.len();
    marry(&mut members, n - 2, n - 1);
    for mut kid in kids {
        kid.relation = relation_of_child(kid.sex, grandchildren);
        kid.joined = joined_on(rng, kid.birth, established, today);
        members.push(kid);
    }
    Plan {
        members,
        rural: true,
        lives_alone: false,
    }
}

/// The head first, everyone else in their planned order; spouse links follow.
fn head_first(members: Vec<Member>) -> Vec<Member> {
    let mut order: Vec<usize> = (0..members.len()).collect();
    order.sort_by_key(|&i| members[i].relation != HEAD);
    let mut new_index = vec![0; members.len()];
    for (new, &old) in order.iter().enumerate() {
        new_index[old] = new;
    }
    order
        .iter()
        .map(|&old| {
            let mut m = members[old].clone();
            m.spouse = m.spouse.map(|s| new_index[s]);
            m
        })
        .collect()
}

/// Weight of a village for a household: most people live in the five streets, the fewest in
/// the hill townships; elderly households lean to the villages.
fn village_weight(v: &Village, rural: bool) -> u32 {
    match (v.town_kind, v.community, rural) {
        (TownKind::Street, true, false) => 36,
        (TownKind::Street, false, false) => 22,
        (TownKind::Town, true, false) => 20,
        (TownKind::Town, false, false) => 10,
        (TownKind::Township, _, false) => 6,
        (TownKind::Street, true, true) => 18,
        (TownKind::Street, false, true) => 20,
        (TownKind::Town, true, true) => 14,
        (TownKind::Town, false, true) => 15,
        (TownKind::Township, _, true) => 11,
    }
}

/// Gives the planned households a village, an address, ids, identity numbers and phones.
fn place(
    rng: &mut impl Rng,
    plans: Vec<Plan>,
    today: NaiveDate,
    villages: &[Village],
    ids: &IdGenerator,
) -> Vec<Resident> {
    let weights = |rural: bool| -> Vec<(usize, u32)> {
        villages
            .iter()
            .enumerate()
            .map(|(i, v)| (i, village_weight(v, rural)))
            .collect()
    };
    let (urban_weights, rural_weights) = (weights(false), weights(true));
    let mut used_ids = HashSet::new();
    let mut used_phones = HashSet::new();
    let mut used_addresses = HashSet::new();
    let mut household_number: u64 = rng.random_range(10_000_000..20_000_000);
    let mut residents = Vec::new();

    for plan in plans {
        let members = head_first(plan.members);
        let household = HouseholdId(ids.next());
        let village_index = *weighted(
            rng,
            if plan.rural {
                &rural_weights
            } else {
                &urban_weights
            },
        );
        let village = &villages[village_index];
        household_number += rng.random_range(1..=9);
        let number = format!("{household_number:09}");
        let address = house_address(rng, village, &mut used_addresses);
        let head_name = members
            .iter()
            .find(|m| m.relation == HEAD)
            .map(|m| format!("{}{}", m.surname, m.given))
            .unwrap_or_default();
        let person_ids: Vec<PersonId> = members.iter().map(|_| PersonId(ids.next())).collect();
        let first_index = residents.len();
        let lives_alone = plan.lives_alone && members.len() == 1;
        for (i, m) in members.iter().enumerate() {
            let region = m.origin.unwrap_or(if m.birth.year() >= 2015 {
                DISTRICT_CODE
            } else {
                FORMER_DISTRICT_CODE
            });
            let (id_number, birth) = resident_id(rng, &mut used_ids, region, m.birth, m.sex);
            let phone = phone(rng, age_on(birth, today), &mut used_phones);
            residents.push(Resident {
                row: PersonRow {
                    id: person_ids[i],
                    id_number,
                    name: format!("{}{}", m.surname, m.given),
                    sex: m.sex,
                    birth_date: birth,
                    division: village.code.clone(),
                    phone,
                    household,
                    relation: m.relation.to_owned(),
                    married: m.spouse.is_some(),
                    spouse: m.spouse.map(|s| person_ids[s]),
                    lives_alone,
                },
                surname: m.surname,
                village: village_index,
                household_number: number.clone(),
                address: address.clone(),
                head_name: head_name.clone(),
                registered_on: m.joined.max(birth),
                married_on: m.spouse.and(m.married_on),
                spouse_index: m.spouse.map(|s| first_index + s),
            });
        }
    }
    residents
}

/// A house in a village (`…长兰村58号`) or a flat in a community (`…城西社区12幢2单元301室`),
/// not yet given to another household where possible.
fn house_address(rng: &mut impl Rng, village: &Village, used: &mut HashSet<String>) -> String {
    let mut address = String::new();
    for _ in 0..50 {
        address = if village.community {
            format!(
                "{}{}幢{}单元{}{:02}室",
                village.full_name(),
                rng.random_range(1..=36),
                rng.random_range(1..=3),
                rng.random_range(1..=18),
                rng.random_range(1..=4)
            )
        } else {
            format!("{}{}号", village.full_name(), rng.random_range(1..=420))
        };
        if used.insert(address.clone()) {
            break;
        }
    }
    address
}

/// A resident identity number not given before, with the birth date it encodes (the one asked
/// for unless all its sequence numbers are taken). Sequence numbers are odd for men and even
/// for women, as the standard requires.
fn resident_id(
    rng: &mut impl Rng,
    used: &mut HashSet<String>,
    region: &str,
    birth: NaiveDate,
    sex: Sex,
) -> (String, NaiveDate) {
    let parity: u16 = match sex {
        Sex::Male => 1,
        Sex::Female => 0,
    };
    let mut birth = birth;
    for _ in 0..3650 {
        for _ in 0..40 {
            // Two digits of police station, one of order.
            let seq = rng.random_range(0..60u16) * 10 + rng.random_range(0..5u16) * 2 + parity;
            if seq == 0 {
                continue;
            }
            match ResidentId::from_parts(region, birth, seq) {
                Ok(id) if used.insert(id.as_str().to_owned()) => return (id.into(), birth),
                _ => {}
            }
        }
        for seq in (parity.max(2 - parity)..1000).step_by(2) {
            match ResidentId::from_parts(region, birth, seq) {
                Ok(id) if used.insert(id.as_str().to_owned()) => return (id.into(), birth),
                _ => {}
            }
        }
        birth = add_days(birth, -1);
    }
    (String::new(), birth)
}

/// A mobile number for someone `age` years old, or `None`: children under 14 have none, most
/// teenagers and adults one, fewer of the very old.
fn phone(rng: &mut impl Rng, age: u32, used: &mut HashSet<String>) -> Option<String> {
    let share = match age {
        0..=13 => return None,
        14..=17 => 0.6,
        18..=74 => 0.98,
        75..=84 => 0.75,
        _ => 0.45,
    };
    if !rng.random_bool(share) {
        return None;
    }
    for _ in 0..100 {
        let number = format!(
            "{}{:08}",
            pick(rng, MOBILE_PREFIXES),
            rng.random_range(0..100_000_000u32)
        );
        if Phone::parse(&number).is_ok() && used.insert(number.clone()) {
            return Some(number);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    use super::*;

    fn today() -> NaiveDate {
        ymd(2026, 11, 22)
    }

    #[test]
    fn couples_marry_at_legal_age_before_today() {
        let mut rng = StdRng::seed_from_u64(7);
        for recent in [false, true] {
            for age in [24, 30, 45, 70, 90] {
                for _ in 0..50 {
                    let [h, w] = couple(&mut rng, today(), age, recent);
                    let m = h.married_on.expect("married");
                    assert_eq!(w.married_on, Some(m));
                    assert!(age_on(h.birth, m) >= 22, "{h:?}");
                    assert!(age_on(w.birth, m) >= 20, "{w:?}");
                    assert!(m < today());
                    assert_eq!((h.sex, w.sex), (Sex::Male, Sex::Female));
                }
            }
        }
    }

    #[test]
    fn children_come_after_the_wedding_and_carry_the_fathers_surname() {
        let mut rng = StdRng::seed_from_u64(8);
        let mut two = 0;
        for _ in 0..300 {
            let [h, w] = couple(&mut rng, today(), 40, false);
            let kids = children(&mut rng, today(), &h, &w);
            for k in &kids {
                assert!(k.birth > h.married_on.expect("married"));
                assert!(k.birth < today());
                assert_eq!(k.surname, h.surname);
            }
            if let [a, b] = kids.as_slice() {
                two += 1;
                assert_ne!(a.given, b.given);
                assert!(b.birth > a.birth);
            }
            assert!(kids.len() <= 2);
        }
        assert!(two > 10, "{two}");
    }

    #[test]
    fn plans_have_exactly_the_residents_asked_for() {
        let mut rng = StdRng::seed_from_u64(9);
        for count in [0, 1, 2, 3, 7, 50, 333] {
            let plans = plan_households(&mut rng, count, today());
            let total: usize = plans.iter().map(|p| p.members.len()).sum();
            assert_eq!(total, count);
            for p in &plans {
                let heads = p.members.iter().filter(|m| m.relation == HEAD).count();
                assert_eq!(heads, 1, "{p:?}");
                assert!(p.members.iter().all(|m| RELATIONS.contains(&m.relation)));
            }
        }
    }

    #[test]
    fn head_first_keeps_spouses_linked() {
        let mut rng = StdRng::seed_from_u64(10);
        for _ in 0..200 {
            let p = three_generations(&mut rng, today());
            let members = head_first(p.members);
            assert_eq!(members[0].relation, HEAD);
            for (i, m) in members.iter().enumerate() {
                if let Some(s) = m.spouse {
                    assert_eq!(members[s].spouse, Some(i));
                    assert_ne!(members[s].sex, m.sex);
                }
            }
        }
    }

    #[test]
    fn identity_numbers_encode_sex_and_never_repeat() {
        let mut rng = StdRng::seed_from_u64(11);
        let mut used = HashSet::new();
        let birth = ymd(1990, 5, 1);
        // More people born on one day than random sequence numbers would comfortably cover.
        for i in 0..900 {
            let sex = if i % 2 == 0 { Sex::Male } else { Sex::Female };
            let (id, b) = resident_id(&mut rng, &mut used, "330183", birth, sex);
            let parsed = ResidentId::parse(&id).expect("valid");
            assert_eq!(parsed.sex(), sex);
            assert_eq!(parsed.birth_date(), b);
            assert!(b <= birth);
        }
        assert_eq!(used.len(), 900);
    }
}
