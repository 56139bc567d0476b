//! Enterprises of the demo district: Fuyang's paper, packaging, hardware and other firms, shops
//! and farmers' cooperatives, with their credit codes and legal representatives.

use std::collections::{HashMap, HashSet};

use chrono::{Datelike, NaiveDate};
use domain::{CreditCode, EnterpriseId, IdGenerator, PersonId, Sex};
use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::dates::{add_years, age_on, between, pick, weighted, yesterday, ymd};
use crate::divisions::{DISTRICT_CODE, FORMER_DISTRICT_CODE, TownKind, Village};
use crate::people::Resident;

/// One enterprise (or individual business, or cooperative) of the demo district.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EnterpriseRow {
    /// The database id.
    pub id: EnterpriseId,
    /// The 18-character unified social credit code.
    pub credit_code: String,
    /// The registered name.
    pub name: String,
    /// The legal representative (for an individual business, the operator): a resident.
    pub legal_rep: PersonId,
    /// The 12-digit code of the village or community where it is registered.
    pub division: String,
    /// One of [`ENTERPRISE_KINDS`].
    pub kind: String,
    /// The date of establishment (成立日期).
    pub established_on: NaiveDate,
    /// The line of business: 造纸, 包装, 五金, 服装, 建材, 旅游民宿, 茶叶, 电子, 机械, 餐饮,
    /// 零售 or 农业.
    pub industry: String,
}

/// The kinds of enterprise the generator makes.
pub const ENTERPRISE_KINDS: [&str; 5] = [
    "有限责任公司",
    "股份有限公司",
    "个人独资企业",
    "个体工商户",
    "农民专业合作社",
];

/// An enterprise with the facts its business licence shows.
#[derive(Clone, Debug)]
pub(crate) struct Firm {
    pub row: EnterpriseRow,
    pub legal_rep_name: String,
    pub address: String,
    pub capital_wan: u32,
    pub scope: String,
    /// When the current licence was issued: the unified-code licence for older firms.
    pub license_issued: NaiveDate,
    /// The end of a fixed business term; `None` for 长期.
    pub term_until: Option<NaiveDate>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Limited,
    JointStock,
    SoleProprietorship,
    Individual,
    Cooperative,
}

impl Kind {
    fn label(self) -> &'static str {
        match self {
            Kind::Limited => ENTERPRISE_KINDS[0],
            Kind::JointStock => ENTERPRISE_KINDS[1],
            Kind::SoleProprietorship => ENTERPRISE_KINDS[2],
            Kind::Individual => ENTERPRISE_KINDS[3],
            Kind::Cooperative => ENTERPRISE_KINDS[4],
        }
    }

    /// Position 2 of the credit code under authority 9 (market regulation).
    fn org_type(self) -> char {
        match self {
            Kind::Individual => '2',
            Kind::Cooperative => '3',
            _ => '1',
        }
    }

    /// Registered capital (for an individual business, its funds) in 万元.
    fn capitals(self) -> &'static [u32] {
        match self {
            Kind::Limited => &[
                10, 30, 50, 100, 100, 200, 300, 500, 500, 800, 1000, 1000, 2000, 3000, 5000,
            ],
            Kind::JointStock => &[1000, 2000, 3000, 5000, 6000, 8000, 10000, 12000],
            Kind::SoleProprietorship => &[5, 10, 20, 50, 100],
            Kind::Individual => &[1, 2, 3, 5, 5, 10, 10, 20, 30, 50],
            Kind::Cooperative => &[10, 20, 50, 100, 100, 200, 300, 500],
        }
    }
}

const KINDS: &[(Kind, u32)] = &[
    (Kind::Limited, 44),
    (Kind::JointStock, 3),
    (Kind::SoleProprietorship, 4),
    (Kind::Individual, 42),
    (Kind::Cooperative, 7),
];

/// Where a line of business settles.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Place {
    /// Factories: villages of the streets and the big towns.
    Industrial,
    /// Tea, homestays, farming: the hills.
    Rural,
    /// Shops and restaurants: the communities.
    Retail,
}

struct Industry {
    label: &'static str,
    /// Words ending a company name: `纸业` in 杭州富阳永盛纸业有限公司.
    company: &'static [&'static str],
    /// Words ending a sole proprietorship's name: `造纸厂`.
    sole: &'static [&'static str],
    /// Words ending an individual business's name: `五金店`.
    shop: &'static [&'static str],
    scope: &'static str,
    place: Place,
    /// Weights for companies, sole proprietorships and individual businesses.
    weights: [u32; 3],
}

/// Fuyang's industries: paper (the county's old mainstay along the Fuchun river), packaging,
/// hardware, clothing, building materials, homestays, tea, electronics and machinery, plus the
/// shops and eateries every town has.
const INDUSTRIES: &[Industry] = &[
    Industry {
        label: "造纸",
        company: &["纸业", "造纸", "特种纸业"],
        sole: &["造纸厂"],
        shop: &[],
        scope: "纸制品制造；纸浆销售；纸制品销售",
        place: Place::Industrial,
        weights: [14, 4, 0],
    },
    Industry {
        label: "包装",
        company: &["包装", "包装材料", "印刷包装"],
        sole: &["纸箱厂", "包装厂"],
        shop: &["纸箱加工部"],
        scope: "包装材料及制品销售；纸制品制造；包装装潢印刷品印刷",
        place: Place::Industrial,
        weights: [12, 3, 3],
    },
    Industry {
        label: "五金",
        company: &["五金", "金属制品", "五金工具"],
        sole: &["五金厂"],
        shop: &["五金店", "五金加工部"],
        scope: "五金产品制造；五金产品批发；五金产品零售",
        place: Place::Industrial,
        weights: [12, 3, 10],
    },
    Industry {
        label: "服装",
        company: &["服饰", "制衣", "针织"],
        sole: &["服装厂"],
        shop: &["服装店", "服饰店"],
        scope: "服装制造；服装服饰批发；服装服饰零售",
        place: Place::Retail,
        weights: [8, 2, 12],
    },
    Industry {
        label: "建材",
        company: &["建材", "新型建材", "混凝土"],
        sole: &["建材厂"],
        shop: &["建材商行", "建材经营部"],
        scope: "建筑材料销售；水泥制品制造；轻质建筑材料制造",
        place: Place::Industrial,
        weights: [8, 2, 6],
    },
    Industry {
        label: "旅游民宿",
        company: &["旅游开发", "文化旅游"],
        sole: &[],
        shop: &["民宿", "农家乐"],
        scope: "旅游业务；住宿服务；餐饮服务",
        place: Place::Rural,
        weights: [4, 0, 10],
    },
    Industry {
        label: "茶叶",
        company: &["茶业", "茶叶"],
        sole: &["茶厂"],
        shop: &["茶叶店", "茶庄"],
        scope: "茶叶种植；初级农产品收购；茶叶制品销售",
        place: Place::Rural,
        weights: [4, 2, 6],
    },
    Industry {
        label: "电子",
        company: &["电子科技", "电子", "光电科技"],
        sole: &[],
        shop: &["电器维修部", "手机店"],
        scope: "电子元器件制造；电子产品销售；技术服务、技术开发",
        place: Place::Industrial,
        weights: [10, 0, 5],
    },
    Industry {
        label: "机械",
        company: &["机械", "机械制造", "机电"],
        sole: &["机械厂"],
        shop: &["机械修理部", "农机维修部"],
        scope: "通用设备制造；机械零件、零部件加工；机械设备销售",
        place: Place::Industrial,
        weights: [12, 3, 4],
    },
    Industry {
        label: "餐饮",
        company: &["餐饮管理"],
        sole: &[],
        shop: &["面馆", "小吃店", "饭店", "土菜馆"],
        scope: "餐饮服务；食品销售",
        place: Place::Retail,
        weights: [3, 0, 20],
    },
    Industry {
        label: "零售",
        company: &["商贸"],
        sole: &[],
        shop: &["便利店", "副食品店", "超市"],
        scope: "日用百货销售；食品销售；烟草制品零售",
        place: Place::Retail,
        weights: [6, 0, 22],
    },
];

/// What Fuyang's farmers' cooperatives grow, with the industry they count under.
const COOP_PRODUCTS: &[(&str, &str)] = &[
    ("茶叶", "茶叶"),
    ("竹笋", "农业"),
    ("水蜜桃", "农业"),
    ("蜜梨", "农业"),
    ("果蔬", "农业"),
    ("粮油", "农业"),
    ("葡萄", "农业"),
    ("生态养殖", "农业"),
];

/// The two characters of a trade name (字号) are drawn from these.
const TRADE_FIRST: &[&str] = &[
    "永", "鑫", "恒", "华", "金", "宏", "新", "瑞", "天", "汇", "兴", "万", "嘉", "联", "振", "鼎",
    "佳", "明", "东", "荣", "凯", "鸿", "丰", "利", "锦", "龙", "博", "盛", "康", "富", "顺", "众",
    "亿", "正", "德", "春", "诚",
];
const TRADE_SECOND: &[&str] = &[
    "盛", "达", "通", "丰", "利", "源", "成", "隆", "泰", "诚", "远", "星", "兴", "鑫", "昌", "升",
    "宇", "润", "宏", "信", "邦", "辉", "华", "茂", "顺", "发", "旺", "祥", "安", "益",
];

/// The characters allowed in a credit code.
const CHARSET: &[char] = &[
    '0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 'A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'J',
    'K', 'L', 'M', 'N', 'P', 'Q', 'R', 'T', 'U', 'W', 'X', 'Y',
];

/// Unified credit codes and 三证合一 licences replaced the old registrations from this day.
fn unified_codes_from() -> NaiveDate {
    ymd(2015, 10, 1)
}

fn village_weight(v: &Village, place: Place) -> u32 {
    match (place, v.town_kind, v.community) {
        (Place::Industrial, TownKind::Street, true) => 3,
        (Place::Industrial, TownKind::Street, false) => 8,
        (Place::Industrial, TownKind::Town, true) => 4,
        (Place::Industrial, TownKind::Town, false) => 5,
        (Place::Industrial, TownKind::Township, _) => 1,
        (Place::Rural, TownKind::Street, _) => 1,
        (Place::Rural, TownKind::Town, true) => 1,
        (Place::Rural, TownKind::Town, false) => 6,
        (Place::Rural, TownKind::Township, _) => 8,
        (Place::Retail, TownKind::Street, true) => 10,
        (Place::Retail, TownKind::Street, false) => 4,
        (Place::Retail, TownKind::Town, true) => 8,
        (Place::Retail, TownKind::Town, false) => 3,
        (Place::Retail, TownKind::Township, _) => 1,
    }
}

/// Adults who may represent an enterprise, indexed by village and by town.
struct Founders {
    all: Vec<usize>,
    by_village: HashMap<usize, Vec<usize>>,
    by_town: HashMap<String, Vec<usize>>,
}

impl Founders {
    fn new(residents: &[Resident], villages: &[Village], today: NaiveDate) -> Founders {
        let mut f = Founders {
            all: Vec::new(),
            by_village: HashMap::new(),
            by_town: HashMap::new(),
        };
        for (i, r) in residents.iter().enumerate() {
            if !(25..=72).contains(&age_on(r.row.birth_date, today)) {
                continue;
            }
            f.all.push(i);
            f.by_village.entry(r.village).or_default().push(i);
            if let Some(v) = villages.get(r.village) {
                f.by_town.entry(v.town_code.clone()).or_default().push(i);
            }
        }
        f
    }

    /// A founder for a business in `village`: a neighbour where there is one (more often for
    /// shops and cooperatives), more often a man than a woman.
    fn founder(
        &self,
        rng: &mut impl Rng,
        residents: &[Resident],
        village: &Village,
        village_index: usize,
        local: bool,
    ) -> usize {
        let first = self.nearby(rng, village, village_index, local);
        if residents[first].row.sex == Sex::Female && rng.random_bool(0.5) {
            self.nearby(rng, village, village_index, local)
        } else {
            first
        }
    }

    fn nearby(
        &self,
        rng: &mut impl Rng,
        village: &Village,
        village_index: usize,
        local: bool,
    ) -> usize {
        let same_village = self
            .by_village
            .get(&village_index)
            .filter(|v| !v.is_empty());
        let same_town = self
            .by_town
            .get(&village.town_code)
            .filter(|v| !v.is_empty());
        let pool = match (same_village, same_town) {
            (Some(v), _) if rng.random_bool(if local { 0.7 } else { 0.2 }) => v,
            (_, Some(t)) if rng.random_bool(0.7) => t,
            _ => &self.all,
        };
        *pick(rng, pool)
    }
}

/// Makes `count` enterprises whose legal representatives are among `residents` (none if no
/// resident is of working age).
pub(crate) fn generate(
    rng: &mut impl Rng,
    count: usize,
    today: NaiveDate,
    villages: &[Village],
    residents: &[Resident],
    ids: &IdGenerator,
) -> Vec<Firm> {
    let founders = Founders::new(residents, villages, today);
    if founders.all.is_empty() || villages.is_empty() {
        return Vec::new();
    }
    let place_weights = |place: Place| -> Vec<(usize, u32)> {
        villages
            .iter()
            .enumerate()
            .map(|(i, v)| (i, village_weight(v, place)))
            .collect()
    };
    let weights: HashMap<&'static str, Vec<(usize, u32)>> = [
        ("industrial", place_weights(Place::Industrial)),
        ("rural", place_weights(Place::Rural)),
        ("retail", place_weights(Place::Retail)),
    ]
    .into_iter()
    .collect();
    let place_key = |p: Place| match p {
        Place::Industrial => "industrial",
        Place::Rural => "rural",
        Place::Retail => "retail",
    };

    let mut used_codes = HashSet::new();
    let mut used_names = HashSet::new();
    let mut firms = Vec::with_capacity(count);
    for _ in 0..count {
        let kind = *weighted(rng, KINDS);
        let (industry, product) = if kind == Kind::Cooperative {
            let &(product, label) = pick(rng, COOP_PRODUCTS);
            (None, Some((product, label)))
        } else {
            let slot = match kind {
                Kind::SoleProprietorship => 1,
                Kind::Individual => 2,
                _ => 0,
            };
            let choices: Vec<(&Industry, u32)> =
                INDUSTRIES.iter().map(|i| (i, i.weights[slot])).collect();
            (Some(*weighted(rng, &choices)), None)
        };
        let place = industry.map_or(Place::Rural, |i| i.place);
        let village_index = *weighted(rng, weights.get(place_key(place)).map_or(&[][..], |w| w));
        let village = &villages[village_index];
        let local = matches!(kind, Kind::Individual | Kind::Cooperative);
        let rep = founders.founder(rng, residents, village, village_index, local);
        let rep_row = &residents[rep].row;

        let established_on = established(rng, kind, today, rep_row.birth_date);
        let credit_code = credit_code(rng, kind, established_on, &mut used_codes);
        let name = unique_name(
            rng,
            kind,
            industry,
            product,
            village,
            &residents[rep],
            &mut used_names,
        );
        let (industry_label, scope) = match (industry, product) {
            (Some(i), _) => (i.label.to_owned(), i.scope.to_owned()),
            (None, Some((product, label))) => (
                label.to_owned(),
                format!(
                    "组织收购、销售成员种植的{product}；为成员提供技术培训、技术交流和信息咨询服务"
                ),
            ),
            (None, None) => ("农业".to_owned(), String::new()),
        };
        let license_issued = if established_on < unified_codes_from() {
            between(
                rng,
                unified_codes_from(),
                ymd(2017, 12, 31).min(yesterday(today)),
            )
            .max(established_on)
            .min(yesterday(today))
        } else {
            established_on
        };
        let term_until = match kind {
            Kind::Limited | Kind::JointStock | Kind::SoleProprietorship if rng.random_bool(0.4) => {
                Some(add_years(established_on, *pick(rng, &[20, 30])))
                    .filter(|until| *until > today)
            }
            _ => None,
        };
        firms.push(Firm {
            row: EnterpriseRow {
                id: EnterpriseId(ids.next()),
                credit_code,
                name,
                legal_rep: rep_row.id,
                division: village.code.clone(),
                kind: kind.label().to_owned(),
                established_on,
                industry: industry_label,
            },
            legal_rep_name: rep_row.name.clone(),
            address: format!("{}{}号", village.full_name(), rng.random_range(1..=520)),
            capital_wan: *pick(rng, kind.capitals()),
            scope,
            license_issued,
            term_until,
        });
    }
    firms
}

/// A date of establishment from 1995 on (cooperatives from the 2007 law on), more recent ones
/// likelier, when the legal representative was at least 20.
fn established(
    rng: &mut impl Rng,
    kind: Kind,
    today: NaiveDate,
    rep_birth: NaiveDate,
) -> NaiveDate {
    let latest = yesterday(today);
    let floor = if kind == Kind::Cooperative {
        ymd(2007, 7, 1)
    } else {
        ymd(1995, 1, 1)
    };
    let years: Vec<(i32, u32)> = (floor.year()..=latest.year())
        .map(|y| {
            let w = match kind {
                Kind::Limited if y < 2005 => 1,
                Kind::Limited if y < 2015 => 2,
                Kind::Limited => 3,
                Kind::JointStock | Kind::SoleProprietorship if y < 2012 => 2,
                Kind::JointStock | Kind::SoleProprietorship => 1,
                Kind::Individual if y < 2010 => 1,
                Kind::Individual if y < 2018 => 3,
                Kind::Individual => 5,
                Kind::Cooperative if y < 2016 => 3,
                Kind::Cooperative => 2,
            };
            (y, w)
        })
        .collect();
    let date = if years.is_empty() {
        latest
    } else {
        let y = *weighted(rng, &years);
        between(rng, ymd(y, 1, 1).max(floor), ymd(y, 12, 31).min(latest))
    };
    let earliest = floor.max(add_years(rep_birth, 20));
    let date = if date < earliest {
        between(rng, earliest, latest)
    } else {
        date
    };
    date.min(latest)
}

/// A credit code not given before: registered in 富阳市 (330183) before 2015, in 富阳区
/// (330111) after. Firms registered before the unified codes keep their old organisation code
/// (eight digits); newer ones and all individual businesses and cooperatives have an `MA…`
/// code.
fn credit_code(
    rng: &mut impl Rng,
    kind: Kind,
    established: NaiveDate,
    used: &mut HashSet<String>,
) -> String {
    let division = if established.year() < 2015 {
        FORMER_DISTRICT_CODE
    } else {
        DISTRICT_CODE
    };
    for _ in 0..1000 {
        let body = org_body(rng, kind, established);
        match CreditCode::from_parts('9', kind.org_type(), division, &body) {
            Ok(code) if used.insert(code.as_str().to_owned()) => return code.into(),
            _ => {}
        }
    }
    String::new()
}

fn org_body(rng: &mut impl Rng, kind: Kind, established: NaiveDate) -> String {
    let old_code = established < unified_codes_from()
        && matches!(
            kind,
            Kind::Limited | Kind::JointStock | Kind::SoleProprietorship
        );
    if old_code {
        let prefixes: &[&str] = match established.year() {
            ..2000 => &["14", "70", "72", "73"],
            2000..2006 => &["74", "75", "76", "77", "79"],
            2006..2010 => &["55", "56", "57", "66", "67", "68"],
            _ => &["69", "05", "06", "07", "08", "09", "32"],
        };
        return format!(
            "{}{:06}",
            pick(rng, prefixes),
            rng.random_range(0..1_000_000)
        );
    }
    let mut body = match established.year() {
        ..2021 => {
            let mut b = String::from("MA2");
            b.push(*pick(
                rng,
                &['7', '8', 'A', 'B', 'C', 'D', 'G', 'H', 'J', 'K'],
            ));
            b
        }
        2021..2023 => String::from("MA7"),
        _ => String::from("MAC"),
    };
    while body.len() < 8 {
        body.push(*pick(rng, CHARSET));
    }
    body
}

fn trade_name(rng: &mut impl Rng) -> String {
    let first = *pick(rng, TRADE_FIRST);
    let mut second = *pick(rng, TRADE_SECOND);
    for _ in 0..8 {
        if second != first {
            break;
        }
        second = *pick(rng, TRADE_SECOND);
    }
    format!("{first}{second}")
}

/// A name no other enterprise has.
fn unique_name(
    rng: &mut impl Rng,
    kind: Kind,
    industry: Option<&Industry>,
    product: Option<(&str, &str)>,
    village: &Village,
    rep: &Resident,
    used: &mut HashSet<String>,
) -> String {
    let mut candidate = String::new();
    for _ in 0..30 {
        candidate = name(rng, kind, industry, product, village, rep);
        if used.insert(candidate.clone()) {
            return candidate;
        }
    }
    // Practically unreachable: number the duplicate as registries do with branch names.
    for n in 2.. {
        let numbered = format!("{candidate}（{n}）");
        if used.insert(numbered.clone()) {
            return numbered;
        }
    }
    candidate
}

/// A name such as 杭州富阳永盛纸业有限公司, 富阳区新登镇老孙五金店 or 杭州富阳长兰茶叶专业合作社.
fn name(
    rng: &mut impl Rng,
    kind: Kind,
    industry: Option<&Industry>,
    product: Option<(&str, &str)>,
    village: &Village,
    rep: &Resident,
) -> String {
    let trade = trade_name(rng);
    fn word(rng: &mut impl Rng, words: &[&'static str]) -> &'static str {
        if words.is_empty() {
            ""
        } else {
            pick::<&str>(rng, words)
        }
    }
    match (kind, industry, product) {
        (Kind::Cooperative, _, Some((product, _))) => {
            format!("杭州富阳{}{product}专业合作社", village.short_name())
        }
        (Kind::Limited, Some(i), _) => {
            let w = word(rng, i.company);
            if rng.random_bool(0.8) {
                format!("杭州富阳{trade}{w}有限公司")
            } else {
                format!("杭州{trade}{w}有限公司")
            }
        }
        (Kind::JointStock, Some(i), _) => {
            let w = word(rng, i.company);
            if rng.random_bool(0.5) {
                format!("浙江{trade}{w}股份有限公司")
            } else {
                format!("杭州富阳{trade}{w}股份有限公司")
            }
        }
        (Kind::SoleProprietorship, Some(i), _) => {
            let w = word(rng, if i.sole.is_empty() { i.company } else { i.sole });
            format!("杭州富阳{trade}{w}")
        }
        (Kind::Individual, Some(i), _) => {
            let w = word(rng, if i.shop.is_empty() { i.company } else { i.shop });
            let given: String = rep
                .row
                .name
                .chars()
                .skip(rep.surname.chars().count())
                .collect();
            let shop_name = match rng.random_range(0..10) {
                0..=3 => trade,
                4..=5 if rep.row.sex == Sex::Male && rep.surname.chars().count() == 1 => {
                    format!("老{}", rep.surname)
                }
                4..=6 => format!(
                    "小{}",
                    given.chars().last().map(String::from).unwrap_or_default()
                ),
                _ => village.short_name().to_owned(),
            };
            format!("富阳区{}{shop_name}{w}", village.town_name)
        }
        _ => format!("杭州富阳{trade}有限公司"),
    }
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    use super::*;

    #[test]
    fn credit_codes_follow_the_registration_era() {
        let mut rng = StdRng::seed_from_u64(12);
        let mut used = HashSet::new();
        for (kind, date) in [
            (Kind::Limited, ymd(1998, 3, 4)),
            (Kind::Limited, ymd(2020, 3, 4)),
            (Kind::JointStock, ymd(2008, 1, 1)),
            (Kind::Individual, ymd(2012, 6, 1)),
            (Kind::Cooperative, ymd(2024, 6, 1)),
        ] {
            for _ in 0..50 {
                let s = credit_code(&mut rng, kind, date, &mut used);
                let c = CreditCode::parse(&s).expect("valid");
                assert_eq!(c.authority(), '9');
                assert_eq!(c.org_type(), kind.org_type());
                let division = if date.year() < 2015 {
                    "330183"
                } else {
                    "330111"
                };
                assert_eq!(c.division_code(), division);
                let old = date < unified_codes_from() && kind != Kind::Individual;
                assert_eq!(c.organization_code().starts_with("MA"), !old, "{s}");
            }
        }
        assert_eq!(used.len(), 250);
    }

    #[test]
    fn establishment_waits_for_an_adult_founder() {
        let mut rng = StdRng::seed_from_u64(13);
        let today = ymd(2026, 11, 22);
        for _ in 0..500 {
            let birth = ymd(rng.random_range(1955..2000), 6, 1);
            let kind = *weighted(&mut rng, KINDS);
            let d = established(&mut rng, kind, today, birth);
            assert!(d >= ymd(1995, 1, 1) && d < today);
            assert!(age_on(birth, d) >= 20);
            if kind == Kind::Cooperative {
                assert!(d >= ymd(2007, 7, 1));
            }
        }
    }
}
