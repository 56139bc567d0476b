//! The administrative divisions of 富阳区, read from the national division tables embedded in the crate.

use serde::{Deserialize, Serialize};

const PROVINCES: &str = include_str!("../../../data/divisions/provinces.csv");
const CITIES: &str = include_str!("../../../data/divisions/cities.csv");
const AREAS: &str = include_str!("../../../data/divisions/areas.csv");
const STREETS: &str = include_str!("../../../data/divisions/streets.csv");
const VILLAGES: &str = include_str!("../../../data/divisions/villages-330111.csv");

/// 浙江省.
pub const PROVINCE_CODE: &str = "33";
/// 杭州市.
pub const CITY_CODE: &str = "3301";
/// 富阳区, the demo district (since 2015).
pub const DISTRICT_CODE: &str = "330111";
/// 富阳市, the county-level city that became 富阳区 in 2015: identity numbers issued before then
/// and older business registrations carry this code.
pub const FORMER_DISTRICT_CODE: &str = "330183";

/// One administrative division: the province, the city, the district, a town or street, or a
/// village or community.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DivisionRow {
    /// The national statistical code: 2, 4, 6, 9 or 12 digits.
    pub code: String,
    /// The name. Village committees (`长兰村委会` in the source tables) are given the village's
    /// own name (`长兰村`).
    pub name: String,
    /// `"province"`, `"city"`, `"county"`, `"town"` or `"village"`.
    pub level: String,
    /// The code of the division above; `None` for the province.
    pub parent: Option<String>,
}

/// 浙江省, 杭州市, 富阳区, its 24 towns and streets and its 350 villages and communities, each
/// parent before its children.
pub fn fuyang_divisions() -> Vec<DivisionRow> {
    let mut out = Vec::with_capacity(400);
    let row = |code: &str, name: &str, level: &str, parent: Option<&str>| DivisionRow {
        code: code.to_owned(),
        name: name.to_owned(),
        level: level.to_owned(),
        parent: parent.map(str::to_owned),
    };
    for r in rows(PROVINCES)
        .iter()
        .filter(|r| field(r, 0) == PROVINCE_CODE)
    {
        out.push(row(field(r, 0), field(r, 1), "province", None));
    }
    for r in rows(CITIES).iter().filter(|r| field(r, 0) == CITY_CODE) {
        out.push(row(field(r, 0), field(r, 1), "city", Some(field(r, 2))));
    }
    for r in rows(AREAS).iter().filter(|r| field(r, 0) == DISTRICT_CODE) {
        out.push(row(field(r, 0), field(r, 1), "county", Some(field(r, 2))));
    }
    let mut towns: Vec<_> = rows(STREETS)
        .into_iter()
        .filter(|r| field(r, 2) == DISTRICT_CODE)
        .collect();
    towns.sort_by(|a, b| field(a, 0).cmp(field(b, 0)));
    for r in &towns {
        out.push(row(field(r, 0), field(r, 1), "town", Some(field(r, 2))));
    }
    let mut villages: Vec<_> = rows(VILLAGES)
        .into_iter()
        .filter(|r| field(r, 5) == DISTRICT_CODE && field(r, 0).len() == 12)
        .collect();
    villages.sort_by(|a, b| field(a, 0).cmp(field(b, 0)));
    for r in &villages {
        let name = village_name(field(r, 1));
        out.push(row(field(r, 0), &name, "village", Some(field(r, 2))));
    }
    out
}

/// The records of an embedded CSV table (header skipped); a malformed line is skipped, which
/// the division tests would notice.
fn rows(csv_text: &str) -> Vec<csv::StringRecord> {
    csv::Reader::from_reader(csv_text.as_bytes())
        .records()
        .filter_map(Result::ok)
        .collect()
}

fn field(r: &csv::StringRecord, i: usize) -> &str {
    r.get(i).unwrap_or_default().trim()
}

/// `长兰村委会` → `长兰村`, `城西社区居委会` → `城西社区`; other names unchanged.
fn village_name(raw: &str) -> String {
    if let Some(base) = raw.strip_suffix("村委会") {
        format!("{base}村")
    } else if let Some(base) = raw.strip_suffix("居委会") {
        if base.ends_with("社区") {
            base.to_owned()
        } else {
            format!("{base}社区")
        }
    } else {
        raw.to_owned()
    }
}

/// What kind of town-level division a village lies in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TownKind {
    /// 街道: the urban core.
    Street,
    /// 镇.
    Town,
    /// 乡: the rural hills.
    Township,
}

/// A village or community, with its town, as the generator uses it.
#[derive(Clone, Debug)]
pub(crate) struct Village {
    pub code: String,
    pub name: String,
    pub town_code: String,
    pub town_name: String,
    pub town_kind: TownKind,
    /// A 社区 (urban community) rather than a 村.
    pub community: bool,
}

impl Village {
    /// The villages among `divisions`, in code order.
    pub fn all(divisions: &[DivisionRow]) -> Vec<Village> {
        divisions
            .iter()
            .filter(|d| d.level == "village")
            .filter_map(|v| {
                let parent = v.parent.as_deref()?;
                let town = divisions.iter().find(|d| d.code == parent)?;
                let town_kind = if town.name.ends_with("街道") {
                    TownKind::Street
                } else if town.name.ends_with('镇') {
                    TownKind::Town
                } else {
                    TownKind::Township
                };
                Some(Village {
                    code: v.code.clone(),
                    name: v.name.clone(),
                    town_code: town.code.clone(),
                    town_name: town.name.clone(),
                    town_kind,
                    community: v.name.ends_with("社区"),
                })
            })
            .collect()
    }

    /// `浙江省杭州市富阳区新登镇长兰村`.
    pub fn full_name(&self) -> String {
        format!("浙江省杭州市富阳区{}{}", self.town_name, self.name)
    }

    /// The village name without its final `村` (`长兰村` → `长兰`), for business names.
    pub fn short_name(&self) -> &str {
        self.name
            .strip_suffix("社区")
            .or_else(|| self.name.strip_suffix('村'))
            .unwrap_or(&self.name)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn fuyang_has_24_towns_and_350_villages() {
        let d = fuyang_divisions();
        let count = |level: &str| d.iter().filter(|r| r.level == level).count();
        assert_eq!(
            [
                count("province"),
                count("city"),
                count("county"),
                count("town"),
                count("village")
            ],
            [1, 1, 1, 24, 350]
        );
        assert_eq!(d.len(), 1 + 1 + 1 + 24 + 350);
        assert_eq!(d[0].name, "浙江省");
        assert_eq!(d[1].name, "杭州市");
        assert_eq!(d[2].name, "富阳区");
    }

    #[test]
    fn parents_are_linked_and_codes_valid() {
        let d = fuyang_divisions();
        let mut seen = HashSet::new();
        for r in &d {
            let code = domain::DivisionCode::parse(&r.code).expect("valid code");
            assert_eq!(code.as_str(), r.code);
            assert!(seen.insert(r.code.clone()), "duplicate {}", r.code);
            match &r.parent {
                None => assert_eq!(r.level, "province"),
                Some(p) => {
                    // Parents come before their children and are one level up.
                    let parent = d.iter().find(|x| &x.code == p).expect("parent exists");
                    assert!(seen.contains(p));
                    assert!(r.code.starts_with(p.as_str()), "{} under {p}", r.code);
                    let order = ["province", "city", "county", "town", "village"];
                    let lvl = |l: &str| order.iter().position(|x| *x == l);
                    assert_eq!(lvl(&parent.level).map(|i| i + 1), lvl(&r.level));
                }
            }
        }
    }

    #[test]
    fn village_names_are_the_villages_own() {
        let d = fuyang_divisions();
        let names: Vec<&str> = d
            .iter()
            .filter(|r| r.level == "village")
            .map(|r| r.name.as_str())
            .collect();
        assert!(
            names
                .iter()
                .all(|n| n.ends_with('村') || n.ends_with("社区"))
        );
        assert!(names.contains(&"长兰村") && names.contains(&"陈村村"));
        assert!(names.contains(&"城西社区"));
        assert_eq!(village_name("春华村委会"), "春华村");
        assert_eq!(village_name("城西社区居委会"), "城西社区");
    }

    #[test]
    fn villages_know_their_town() {
        let v = Village::all(&fuyang_divisions());
        assert_eq!(v.len(), 350);
        let streets: HashSet<&str> = v
            .iter()
            .filter(|v| v.town_kind == TownKind::Street)
            .map(|v| v.town_name.as_str())
            .collect();
        assert_eq!(
            streets,
            HashSet::from(["富春街道", "春江街道", "鹿山街道", "东洲街道", "银湖街道"])
        );
        let kinds = |k: TownKind| {
            v.iter()
                .filter(|v| v.town_kind == k)
                .map(|v| v.town_code.as_str())
                .collect::<HashSet<_>>()
                .len()
        };
        assert_eq!(
            [
                kinds(TownKind::Street),
                kinds(TownKind::Town),
                kinds(TownKind::Township)
            ],
            [5, 13, 6]
        );
        let changlan = v.iter().find(|v| v.name == "长兰村").expect("长兰村");
        assert_eq!(changlan.full_name(), "浙江省杭州市富阳区新登镇长兰村");
        assert_eq!(changlan.short_name(), "长兰");
        assert!(v.iter().filter(|v| v.community).count() == 74);
    }
}
