//! The "1+2+22+N" service network (brief A5): 1 district centre, 2 central-town centres,
//! 22 town centres and N village stations. Given the centres of each level and, per personal
//! item, the levels that may handle it, this computes for each resident node the share of items
//! that can be handled within 15 minutes (就近办), and per area the population-weighted share —
//! the figure behind "80 % of personal items handled near home". [`load_centres`] reads the
//! centres from a CSV file and [`report`] scores an analysis's residents against them; with the
//! `catalog` feature, [`personal_items`] takes the items and their levels from a service catalog.

use std::path::Path;

use serde::Serialize;

use crate::analysis::Analysis;
use crate::areas::NO_AREA;
use crate::error::{Error, Result};
use crate::facilities::column;
use crate::graph::Graph;
use crate::population::DemandEntry;
use crate::reach::{self, UNREACHED};
use crate::snap::{Snap, Snapper};

/// A level of the service network.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// 区级政务服务中心.
    District,
    /// 中心镇便民服务中心.
    CentralTown,
    /// 镇（街）便民服务中心.
    Town,
    /// 村（社）便民服务站.
    Village,
}

impl Level {
    /// All levels, top down.
    pub const ALL: [Level; 4] = [
        Level::District,
        Level::CentralTown,
        Level::Town,
        Level::Village,
    ];

    fn bit(self) -> u8 {
        1 << (self as u8)
    }

    /// The key used in files and JSON: `district`, `central_town`, `town`, `village`.
    pub fn key(self) -> &'static str {
        match self {
            Level::District => "district",
            Level::CentralTown => "central_town",
            Level::Town => "town",
            Level::Village => "village",
        }
    }

    /// The Chinese name of the level's centres.
    pub fn name_zh(self) -> &'static str {
        match self {
            Level::District => "区级政务服务中心",
            Level::CentralTown => "中心镇便民服务中心",
            Level::Town => "镇（街）便民服务中心",
            Level::Village => "村（社）便民服务站",
        }
    }

    /// Parses a key or a Chinese name (区级, 中心镇, 镇街/镇/街道, 村社/村/社区).
    pub fn parse(s: &str) -> Option<Level> {
        match s.trim().to_ascii_lowercase().as_str() {
            "district" | "区" | "区级" => Some(Level::District),
            "central_town" | "central-town" | "中心镇" => Some(Level::CentralTown),
            "town" | "镇" | "镇街" | "街道" | "乡镇" => Some(Level::Town),
            "village" | "community" | "村" | "社区" | "村社" => Some(Level::Village),
            _ => None,
        }
    }
}

/// A set of levels, e.g. the levels that may handle an item. Serialises as a list of keys.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct LevelSet(u8);

impl Serialize for LevelSet {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_seq(self.levels())
    }
}

impl LevelSet {
    /// The set of the given levels.
    pub fn of(levels: &[Level]) -> LevelSet {
        LevelSet(levels.iter().fold(0, |m, l| m | l.bit()))
    }

    /// Whether the sets share a level.
    pub fn intersects(self, other: LevelSet) -> bool {
        self.0 & other.0 != 0
    }

    /// Whether `l` is in the set.
    pub fn contains(self, l: Level) -> bool {
        self.0 & l.bit() != 0
    }

    /// The levels in the set, top down.
    pub fn levels(self) -> Vec<Level> {
        Level::ALL
            .into_iter()
            .filter(|l| self.contains(*l))
            .collect()
    }

    /// Whether the set is empty.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
}

/// A service centre placed on the graph.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Centre {
    pub level: Level,
    pub snap: Snap,
}

/// The near-home shares.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NearHome {
    /// Per node: share of items handleable within the limit (NaN-free; 0 where nothing is).
    #[serde(skip)]
    pub node_share: Vec<f32>,
    /// Per area (last: all): population-weighted share of items handleable near home.
    pub area_share: Vec<f64>,
    /// Per area (last: all): share of residents for whom at least `target` of items are near.
    pub area_meeting_target: Vec<f64>,
    pub target: f64,
    /// Per level: share of residents with a centre of that level within the limit.
    pub level_reach: Vec<(Level, f64)>,
}

/// Computes, for every node, the share of `items` (each given as the set of levels that may
/// handle it) for which a centre of one of those levels lies within `limit` (a graph cost, e.g.
/// [`crate::Profile::cost_of_minutes`]`(15.0)`), and aggregates it over residents by area.
/// One multi-source search per level; items are grouped by their level set (at most 16
/// groups), so the per-node work does not grow with the number of items.
pub fn near_home_share(
    graph: &Graph,
    centres: &[Centre],
    items: &[LevelSet],
    entries: &[DemandEntry],
    n_areas: usize,
    limit: u32,
    target: f64,
) -> NearHome {
    let n = graph.node_count();
    // Which levels each node reaches in time, as a bit mask.
    let mut reach_mask = vec![0u8; n];
    for level in Level::ALL {
        let snaps: Vec<Snap> = centres
            .iter()
            .filter(|c| c.level == level)
            .map(|c| c.snap)
            .collect();
        if snaps.is_empty() {
            continue;
        }
        let near = reach::nearest(graph, &snaps, limit);
        for (m, &c) in reach_mask.iter_mut().zip(&near.cost) {
            if c != UNREACHED && c <= limit {
                *m |= level.bit();
            }
        }
    }
    // Items grouped by level set.
    let mut groups = [0u32; 16];
    for it in items {
        groups[(it.0 & 15) as usize] += 1;
    }
    let total = items.len().max(1) as f64;
    let share_of_mask: Vec<f32> = (0..16u8)
        .map(|mask| {
            (groups
                .iter()
                .enumerate()
                .filter(|(s, _)| (*s as u8) & mask != 0)
                .map(|(_, &k)| k)
                .sum::<u32>() as f64
                / total) as f32
        })
        .collect();
    let node_share: Vec<f32> = reach_mask
        .iter()
        .map(|&m| share_of_mask[(m & 15) as usize])
        .collect();
    let mut pop = vec![0f64; n_areas + 1];
    let mut weighted = vec![0f64; n_areas + 1];
    let mut meeting = vec![0f64; n_areas + 1];
    let mut level_pop = [0f64; 4];
    for e in entries {
        let p = e.population as f64;
        let s = node_share[e.node as usize] as f64;
        for slot in [e.area, n_areas as u32] {
            if slot != NO_AREA && (slot as usize) <= n_areas {
                pop[slot as usize] += p;
                weighted[slot as usize] += p * s;
                if s + 1e-9 >= target {
                    meeting[slot as usize] += p;
                }
            }
        }
        for (k, l) in Level::ALL.iter().enumerate() {
            if reach_mask[e.node as usize] & l.bit() != 0 {
                level_pop[k] += p;
            }
        }
    }
    let all = pop[n_areas].max(f64::MIN_POSITIVE);
    NearHome {
        node_share,
        area_share: weighted
            .iter()
            .zip(&pop)
            .map(|(w, p)| if *p > 0.0 { w / p } else { 0.0 })
            .collect(),
        area_meeting_target: meeting
            .iter()
            .zip(&pop)
            .map(|(m, p)| if *p > 0.0 { m / p } else { 0.0 })
            .collect(),
        target,
        level_reach: Level::ALL
            .iter()
            .zip(level_pop)
            .map(|(l, p)| (*l, p / all))
            .collect(),
    }
}

/// A service centre as read from a file, before it is placed on the graph.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CentreRecord {
    pub level: Level,
    pub name: String,
    pub lon: f64,
    pub lat: f64,
}

/// Reads service centres from a CSV file with columns `level,name,lon,lat` (name optional;
/// other columns ignored; lines starting with `#` are comments). Levels are `district`,
/// `central_town`, `town`, `village` or their Chinese names.
pub fn load_centres(path: &Path) -> Result<Vec<CentreRecord>> {
    let file = crate::csvfile::CsvFile::open(path)?;
    let mut rdr = file.reader(csv::ReaderBuilder::new().flexible(true).comment(Some(b'#')));
    let headers = rdr.headers().map_err(|e| file.error(e))?.clone();
    let need = |names: &[&str], field: &str| {
        column(&headers, names).ok_or_else(|| Error::parse(path, "header", field, "missing column"))
    };
    let c_level = need(&["level", "层级"], "level")?;
    let c_lon = need(&["lon", "lng", "longitude", "经度"], "lon")?;
    let c_lat = need(&["lat", "latitude", "纬度"], "lat")?;
    let c_name = column(&headers, &["name", "名称"]);
    let mut out = Vec::new();
    for rec in rdr.records() {
        let rec = rec.map_err(|e| file.error(e))?;
        let line = file.at(rec.position());
        let get = |c: usize| rec.get(c).unwrap_or("").trim();
        let level = Level::parse(get(c_level)).ok_or_else(|| {
            Error::parse(
                path,
                &line,
                "level",
                format!(
                    "unknown level `{}` (known: district, central_town, town, village)",
                    get(c_level)
                ),
            )
        })?;
        let coord = |c: usize, field: &str, max: f64| {
            get(c)
                .parse::<f64>()
                .ok()
                .filter(|x| x.is_finite() && x.abs() <= max)
                .ok_or_else(|| {
                    Error::parse(path, &line, field, format!("`{}` is not a {field}", get(c)))
                })
        };
        out.push(CentreRecord {
            level,
            name: c_name.map(|c| get(c).to_string()).unwrap_or_default(),
            lon: coord(c_lon, "lon", 180.0)?,
            lat: coord(c_lat, "lat", 90.0)?,
        });
    }
    if out.is_empty() {
        return Err(Error::Empty {
            what: path.display().to_string(),
            message: "no service centre in the file".into(),
        });
    }
    Ok(out)
}

/// An item of the catalog and the levels that may handle it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ItemLevels {
    pub code: String,
    pub name: String,
    pub levels: LevelSet,
}

/// The personal items (subject `person`) of a service catalog with their levels. A catalog's
/// `town` level is handled by town and central-town centres alike.
#[cfg(feature = "catalog")]
pub fn personal_items(catalog: &catalog::Catalog) -> Vec<ItemLevels> {
    use catalog::{ServiceLevel, Subject};
    catalog
        .items()
        .filter(|i| i.subject == Subject::Person)
        .map(|i| {
            let mut levels = Vec::new();
            for l in &i.levels {
                match l {
                    ServiceLevel::District => levels.push(Level::District),
                    ServiceLevel::Town => levels.extend([Level::CentralTown, Level::Town]),
                    ServiceLevel::Village => levels.push(Level::Village),
                }
            }
            ItemLevels {
                code: i.code.clone(),
                name: i.name.clone(),
                levels: LevelSet::of(&levels),
            }
        })
        .collect()
}

/// Items that share a set of levels.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ItemGroup {
    pub levels: LevelSet,
    pub items: usize,
}

/// The centres of one level.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LevelCentres {
    pub level: Level,
    pub name_zh: &'static str,
    /// Placed on the walking graph.
    pub centres: usize,
    /// Left out: farther than the snapping limit from every walkable street.
    pub too_far: usize,
    /// Share of residents with a centre of this level within the time limit.
    pub residents_within: f64,
}

/// The near-home share of one area (or of the whole study area, id `*`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AreaShare {
    pub id: String,
    pub name: String,
    pub population: f64,
    /// Population-weighted share of personal items handleable within the time limit.
    pub share: f64,
    /// Share of residents for whom at least `target` of the items are.
    pub meeting_target: f64,
}

/// The service network scored against an analysis's residents.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ServiceNetworkReport {
    pub minutes: f64,
    pub target: f64,
    /// Walking profile key of the analysis.
    pub profile: String,
    pub items: usize,
    pub item_groups: Vec<ItemGroup>,
    /// Share of the items that some level below the district may handle: the most a home
    /// without the district centre nearby can reach.
    pub share_below_district: f64,
    pub levels: Vec<LevelCentres>,
    /// The whole study area.
    pub district: AreaShare,
    /// Areas whose population-weighted share reaches the target.
    pub areas_meeting_target: usize,
    pub areas: Vec<AreaShare>,
}

/// Scores the service network: places `centres` on the graph (those farther than `max_snap_m`
/// from every street are left out and counted) and computes, for the analysis's residents, the
/// share of `items` handleable within `minutes` on foot at the analysis's walking speed, per
/// area and overall, and the share of residents for whom it reaches `target`.
#[allow(clippy::too_many_arguments)]
pub fn report(
    graph: &Graph,
    analysis: &Analysis,
    centres: &[CentreRecord],
    items: &[ItemLevels],
    minutes: f64,
    target: f64,
    max_snap_m: f64,
) -> Result<ServiceNetworkReport> {
    if !(minutes > 0.0 && minutes <= 120.0) {
        return Err(Error::config(
            "minutes",
            "must be more than 0 and at most 120",
        ));
    }
    if !(target > 0.0 && target <= 1.0) {
        return Err(Error::config("target", "must be more than 0 and at most 1"));
    }
    if items.is_empty() {
        return Err(Error::Empty {
            what: "items".into(),
            message: "no personal item to score the service network on".into(),
        });
    }
    let snapper = Snapper::new(graph);
    let mut placed = Vec::new();
    let mut too_far = [0usize; 4];
    for c in centres {
        match snapper.snap(graph, c.lon, c.lat) {
            Some(snap) if f64::from(snap.off_m) <= max_snap_m => placed.push(Centre {
                level: c.level,
                snap,
            }),
            _ => too_far[c.level as usize] += 1,
        }
    }
    let sets: Vec<LevelSet> = items.iter().map(|i| i.levels).collect();
    let n_areas = analysis.areas.len();
    let limit = analysis.profile.cost_of_minutes(minutes);
    let near = near_home_share(
        graph,
        &placed,
        &sets,
        &analysis.demand.entries,
        n_areas,
        limit,
        target,
    );
    let mut groups: Vec<ItemGroup> = Vec::new();
    for set in &sets {
        match groups.iter_mut().find(|g| g.levels == *set) {
            Some(g) => g.items += 1,
            None => groups.push(ItemGroup {
                levels: *set,
                items: 1,
            }),
        }
    }
    groups.sort_by(|a, b| b.items.cmp(&a.items).then(a.levels.0.cmp(&b.levels.0)));
    let below = LevelSet::of(&[Level::CentralTown, Level::Town, Level::Village]);
    let area_share = |a: usize, id: &str, name: &str, population: f64| AreaShare {
        id: id.to_string(),
        name: name.to_string(),
        population,
        share: near.area_share.get(a).copied().unwrap_or(0.0),
        meeting_target: near.area_meeting_target.get(a).copied().unwrap_or(0.0),
    };
    let areas: Vec<AreaShare> = analysis
        .areas
        .iter()
        .enumerate()
        .map(|(i, a)| area_share(i, &a.id, &a.name, a.population))
        .collect();
    Ok(ServiceNetworkReport {
        minutes,
        target,
        profile: analysis.profile.key.clone(),
        items: items.len(),
        share_below_district: sets.iter().filter(|s| s.intersects(below)).count() as f64
            / items.len() as f64,
        item_groups: groups,
        levels: Level::ALL
            .iter()
            .zip(&near.level_reach)
            .map(|(l, (_, within))| LevelCentres {
                level: *l,
                name_zh: l.name_zh(),
                centres: placed.iter().filter(|c| c.level == *l).count(),
                too_far: too_far[*l as usize],
                residents_within: *within,
            })
            .collect(),
        district: area_share(n_areas, "*", "全区 whole area", analysis.demand.placed),
        areas_meeting_target: areas
            .iter()
            .filter(|a| a.population > 0.0 && a.share + 1e-9 >= target)
            .count(),
        areas,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn centres_file_and_levels() {
        let shipped =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/circles/sao-paulo-centres.csv");
        let c = load_centres(&shipped).expect("the shipped centres");
        let count = |l: Level| c.iter().filter(|r| r.level == l).count();
        assert_eq!(
            [
                Level::District,
                Level::CentralTown,
                Level::Town,
                Level::Village
            ]
            .map(count),
            [1, 0, 10, 49]
        );
        assert_eq!(c[0].name, "Anhangabaú");
        // Inside the São Paulo extract.
        assert!(
            c.iter()
                .all(|r| (-46.708..=-46.582).contains(&r.lon)
                    && (-23.595..=-23.464).contains(&r.lat))
        );

        let dir = tempfile::tempdir().expect("tmp");
        let bad = dir.path().join("bad.csv");
        std::fs::write(
            &bad,
            "# a comment\nlevel,name,lon,lat\n区级,中心,120.0,30.0\nprovince,x,120,30\n",
        )
        .expect("write");
        match load_centres(&bad) {
            Err(Error::Parse { record, field, .. }) => {
                assert_eq!((record.as_str(), field.as_str()), ("line 4", "level"));
            }
            other => panic!("expected a parse error, got {other:?}"),
        }
        std::fs::write(&bad, "level,lon,lat\ntown,120,north\n").expect("write");
        assert!(matches!(load_centres(&bad), Err(Error::Parse { field, .. }) if field == "lat"));
        std::fs::write(&bad, "level,name\ntown,x\n").expect("write");
        assert!(matches!(load_centres(&bad), Err(Error::Parse { field, .. }) if field == "lon"));
        std::fs::write(&bad, "level,lon,lat\n").expect("write");
        assert!(matches!(load_centres(&bad), Err(Error::Empty { .. })));

        let set = LevelSet::of(&[Level::Village, Level::District]);
        assert_eq!(
            serde_json::to_string(&set).expect("json"),
            r#"["district","village"]"#
        );
        assert_eq!(Level::parse("社区"), Some(Level::Village));
        assert!(LevelSet::default().is_empty());
    }

    #[cfg(feature = "catalog")]
    #[test]
    fn personal_items_of_the_demo_catalog() {
        let cat = catalog::Catalog::try_demo().expect("demo catalog");
        let items = personal_items(&cat);
        assert!(!items.is_empty());
        assert!(items.iter().all(|i| !i.levels.is_empty()));
        // A town item is handled by town and central-town centres alike.
        let town = items
            .iter()
            .find(|i| i.levels.contains(Level::Town))
            .expect("an item handled in towns");
        assert!(town.levels.contains(Level::CentralTown));
        let enterprise = cat
            .items()
            .filter(|i| i.subject != catalog::Subject::Person)
            .count();
        assert_eq!(items.len() + enterprise, cat.items().count());
    }

    #[test]
    fn shares_by_hand() {
        // 0 —100— 1 —100— 2 —100— 3; the district centre at 0, a village station at 3.
        let g = Graph::from_parts(
            (0..4).map(|i| [i, 0]).collect(),
            &[(0, 1, 100), (1, 2, 100), (2, 3, 100)],
        )
        .expect("g");
        let centres = [
            Centre {
                level: Level::District,
                snap: Snap::at_node(0),
            },
            Centre {
                level: Level::Village,
                snap: Snap::at_node(3),
            },
        ];
        let d = LevelSet::of(&[Level::District]);
        let dtv = LevelSet::of(&[Level::District, Level::Town, Level::Village]);
        let tv = LevelSet::of(&[Level::Town, Level::Village]);
        // 4 items: 1 district-only, 2 handled down to the village, 1 town or village.
        let items = [d, dtv, dtv, tv];
        let entries = [
            DemandEntry {
                node: 0,
                area: 0,
                population: 100.0,
            },
            DemandEntry {
                node: 1,
                area: 0,
                population: 100.0,
            },
            DemandEntry {
                node: 3,
                area: 1,
                population: 200.0,
            },
        ];
        let r = near_home_share(&g, &centres, &items, &entries, 2, 150, 0.8);
        // Node 0 reaches the district centre only: d + 2 dtv = 3/4. Node 1 likewise (100 ≤ 150).
        // Node 2 reaches nothing within 150 (200 to 0, 100 to 3 → the village): 3/4 via village.
        // Node 3 reaches the village: dtv, dtv, tv = 3/4.
        assert_eq!(r.node_share, vec![0.75, 0.75, 0.75, 0.75]);
        let r = near_home_share(&g, &centres, &items, &entries, 2, 50, 0.8);
        assert_eq!(r.node_share, vec![0.75, 0.0, 0.0, 0.75]);
        // Area 0: (100 · 0.75 + 100 · 0) / 200; all: (75 + 0 + 200 · 0.75) / 400.
        assert_eq!(r.area_share, vec![0.375, 0.75, 0.5625]);
        assert_eq!(r.area_meeting_target, vec![0.0, 0.0, 0.0]);
        let all_levels = LevelSet::of(&Level::ALL);
        let r = near_home_share(&g, &centres, &[all_levels, d], &entries, 2, 50, 0.5);
        assert_eq!(r.area_meeting_target, vec![0.5, 1.0, 0.75]);
        assert_eq!(r.level_reach[0], (Level::District, 0.25));
        assert_eq!(r.level_reach[3], (Level::Village, 0.5));
    }
}
