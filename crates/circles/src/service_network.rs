//! The "1+2+22+N" service network (brief A5): 1 district centre, 2 central-town centres,
//! 22 town centres and N village stations. Given the centres of each level and, per personal
//! item, the levels that may handle it, this computes for each resident node the share of items
//! that can be handled within 15 minutes (就近办), and per area the population-weighted share —
//! the figure behind "80 % of personal items handled near home".

use serde::Serialize;

use crate::areas::NO_AREA;
use crate::graph::Graph;
use crate::population::DemandEntry;
use crate::reach::{self, UNREACHED};
use crate::snap::Snap;

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
}

/// A set of levels, e.g. the levels that may handle an item.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize)]
pub struct LevelSet(u8);

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

#[cfg(test)]
mod tests {
    use super::*;

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
