//! The balance index: an enhanced two-step floating catchment area (E2SFCA, Luo & Qi 2009).
//!
//! Step 1, for each facility j with supply S_j: R_j = S_j / Σ_k P_k · W(t_kj) over the residents
//! k within the catchment (t_kj ≤ T). Step 2, for each resident node i: A_i = Σ_j R_j · W(t_ij)
//! over the facilities within the catchment. A_i is the supply available per resident;
//! × 1000 it is the supply per 1,000 residents, compared with the norm. When every catchment
//! lies inside the study area, Σ_i P_i A_i = Σ_j S_j: supply is shared out, not created.
//! Both steps come from one bounded search per facility.

use crate::graph::Graph;
use crate::norms::{DecayKind, E2sfcaNorms, Profile};
use crate::progress::Progress;
use crate::reach::{Searchers, Supply, for_each_ball};

/// The distance-decay weight W(t), on graph costs.
#[derive(Debug, Clone, PartialEq)]
pub struct Decay {
    /// Catchment T as a cost: beyond it W = 0.
    pub limit: u32,
    kind: DecayFn,
}

#[derive(Debug, Clone, PartialEq)]
enum DecayFn {
    /// Zones `(upper bound cost, weight)`, ascending; bounds are inclusive.
    Steps(Vec<(u32, f64)>),
    /// W(t) = at_limit^((t/T)²).
    Gaussian { at_limit: f64 },
}

impl Decay {
    /// The decay of the norms for a walking profile.
    pub fn new(e: &E2sfcaNorms, profile: &Profile) -> Decay {
        let limit = profile.cost_of_minutes(e.catchment_minutes);
        let kind = match e.decay {
            DecayKind::Steps => DecayFn::Steps(
                e.steps
                    .iter()
                    .map(|z| (profile.cost_of_minutes(z[0]).min(limit), z[1]))
                    .collect(),
            ),
            DecayKind::Gaussian => DecayFn::Gaussian {
                at_limit: e.gaussian_at_limit,
            },
        };
        Decay { limit, kind }
    }

    /// W(t) for a cost `t`.
    #[inline]
    pub fn weight(&self, t: u32) -> f64 {
        if t > self.limit {
            return 0.0;
        }
        match &self.kind {
            DecayFn::Steps(zones) => zones.iter().find(|z| t <= z.0).map_or(0.0, |z| z.1),
            DecayFn::Gaussian { at_limit } => {
                let x = t as f64 / self.limit.max(1) as f64;
                at_limit.powf(x * x)
            }
        }
    }
}

/// Result of the E2SFCA for one category.
#[derive(Debug, Clone)]
pub struct E2sfca {
    /// R_j: supply per weighted resident of each facility (0 when nobody is in reach).
    pub ratio: Vec<f64>,
    /// Σ_k P_k W(t_kj): the weighted demand in each facility's catchment.
    pub demand_in_reach: Vec<f64>,
    /// A_i: supply per resident available at each node.
    pub access: Vec<f32>,
}

/// Runs both steps: `demand[node] × share` is the demand population at each node (share: the
/// part of residents a category serves, e.g. the elderly).
///
/// The per-node access is written into `access`, whatever it held (pass `Vec::new()`, or the
/// last result's array to reuse it).
#[allow(clippy::too_many_arguments)]
pub fn e2sfca(
    graph: &Graph,
    supplies: &[Supply],
    demand: &[f32],
    share: f64,
    decay: &Decay,
    searchers: &Searchers,
    progress: &dyn Progress,
    mut access: Vec<f32>,
) -> E2sfca {
    access.clear();
    access.resize(graph.node_count(), 0.0);
    let mut ratio = vec![0f64; supplies.len()];
    let mut demand_in_reach = vec![0f64; supplies.len()];
    for_each_ball(
        graph,
        supplies,
        decay.limit,
        searchers,
        progress,
        |_, ball, _| {
            let mut d = 0.0;
            let mut pairs = Vec::with_capacity(ball.len());
            for &(node, t) in ball {
                let w = decay.weight(t);
                if w > 0.0 {
                    d += demand.get(node as usize).copied().unwrap_or(0.0) as f64 * share * w;
                    pairs.push((node, w as f32));
                }
            }
            (d, pairs)
        },
        |j, (d, pairs)| {
            demand_in_reach[j] = d;
            let r = if d > 0.0 {
                supplies[j].capacity as f64 / d
            } else {
                0.0
            };
            ratio[j] = r;
            if r > 0.0 {
                for (node, w) in pairs {
                    access[node as usize] += (r * w as f64) as f32;
                }
            }
        },
    );
    E2sfca {
        ratio,
        demand_in_reach,
        access,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::norms::Norms;
    use crate::progress::NoProgress;
    use crate::snap::Snap;

    /// The worked example of the README: A —3 min— B —6 min— C at 4 km/h; 10 places at A,
    /// 5 at C; 1000, 2000 and 1000 residents; zones 0–5 / 5–10 / 10–15 min weigh 1, 0.68, 0.22.
    #[test]
    fn worked_example_by_hand() {
        let norms = Norms::default();
        let profile = norms.profile("default").expect("default");
        let min = |m: f64| profile.cost_of_minutes(m);
        assert_eq!((min(3.0), min(6.0)), (2000, 4000));
        let g = Graph::from_parts(
            vec![[0, 0], [1, 0], [2, 0]],
            &[(0, 1, min(3.0)), (1, 2, min(6.0))],
        )
        .expect("g");
        let decay = Decay::new(&norms.e2sfca, profile);
        assert_eq!(
            (
                decay.weight(min(5.0)),
                decay.weight(min(5.1)),
                decay.weight(min(15.0)),
                decay.weight(min(15.1))
            ),
            (1.0, 0.68, 0.22, 0.0)
        );
        let supplies = [
            Supply {
                snap: Snap::at_node(0),
                capacity: 10.0,
            },
            Supply {
                snap: Snap::at_node(2),
                capacity: 5.0,
            },
        ];
        let r = e2sfca(
            &g,
            &supplies,
            &[1000.0, 2000.0, 1000.0],
            1.0,
            &decay,
            &Searchers::new(g.node_count()),
            &NoProgress,
            Vec::new(),
        );
        let half = e2sfca(
            &g,
            &supplies,
            &[1000.0, 2000.0, 1000.0],
            0.5,
            &decay,
            &Searchers::new(g.node_count()),
            &NoProgress,
            Vec::new(),
        );
        assert!(
            (half.access[0] - 2.0 * r.access[0]).abs() < 1e-6,
            "half the demand, twice the supply each"
        );
        // Step 1: F1 reaches A (0 min, W 1), B (3, 1), C (9, 0.68): 1000 + 2000 + 680 = 3680.
        //         F2 reaches C (0, 1), B (6, 0.68), A (9, 0.68): 1000 + 1360 + 680 = 3040.
        assert!((r.demand_in_reach[0] - 3680.0).abs() < 1e-9);
        assert!((r.demand_in_reach[1] - 3040.0).abs() < 1e-9);
        assert!((r.ratio[0] - 10.0 / 3680.0).abs() < 1e-12);
        // Step 2: A_A = A_B = 10/3680 + 0.68 · 5/3040 = 0.0038358; A_C = 0.68 · 10/3680 + 5/3040 = 0.0034926.
        let per_1000: Vec<f64> = r.access.iter().map(|&a| a as f64 * 1000.0).collect();
        assert!((per_1000[0] - 3.8358).abs() < 1e-3, "{per_1000:?}");
        assert!((per_1000[1] - 3.8358).abs() < 1e-3);
        assert!((per_1000[2] - 3.4926).abs() < 1e-3);
        // Supply is shared out, not created: Σ P_i A_i = 15 places.
        let shared: f64 = [1000.0, 2000.0, 1000.0]
            .iter()
            .zip(&r.access)
            .map(|(p, a)| p * *a as f64)
            .sum();
        assert!((shared - 15.0).abs() < 1e-3);
    }

    #[test]
    fn gaussian_decay_ends_at_its_limit_weight() {
        let mut norms = Norms::default();
        norms.e2sfca.decay = DecayKind::Gaussian;
        let p = norms.profile("default").expect("p").clone();
        let d = Decay::new(&norms.e2sfca, &p);
        assert_eq!(d.weight(0), 1.0);
        assert!((d.weight(d.limit) - 0.22).abs() < 1e-12);
        assert!(d.weight(d.limit / 2) > d.weight(d.limit));
        assert_eq!(d.weight(d.limit + 1), 0.0);
    }
}
