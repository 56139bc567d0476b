//! Snapping points onto the walking graph: an R-tree (rstar) of edge segments finds the nearest
//! edge, and the point is placed at its position along that edge, with the off-street distance.

use rstar::RTree;
use rstar::primitives::{GeomWithData, Rectangle};

use crate::geom::{self, Projection};
use crate::graph::Graph;

/// Where a point stands on the graph: on edge `edge` between `u` and `v`, `cost_u` from `u` and
/// `cost_v` from `v` along the edge, and `off_cost` away from it (all flat-walking decimetres).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Snap {
    /// The edge, or `u32::MAX` for a point placed directly on node `u`.
    pub edge: u32,
    pub u: u32,
    pub v: u32,
    pub cost_u: u32,
    pub cost_v: u32,
    pub off_cost: u32,
    /// Off-street distance in metres (for reports; `off_cost` is what the searches use).
    #[serde(skip)]
    pub off_m: f32,
}

impl Snap {
    /// A point standing exactly on a node.
    pub fn at_node(node: u32) -> Snap {
        Snap {
            edge: u32::MAX,
            u: node,
            v: node,
            cost_u: 0,
            cost_v: 0,
            off_cost: 0,
            off_m: 0.0,
        }
    }

    /// The two search seeds: each end of the edge with the cost of walking there.
    pub fn seeds(&self) -> [(u32, u32); 2] {
        [
            (self.u, self.off_cost.saturating_add(self.cost_u)),
            (self.v, self.off_cost.saturating_add(self.cost_v)),
        ]
    }

    /// Cost from this point to whatever `node_cost` measures from (e.g. the nearest facility):
    /// the better of the two ends, plus the walk along and off the edge.
    pub fn cost_via(&self, node_cost: impl Fn(u32) -> u32) -> u32 {
        let a = node_cost(self.u).saturating_add(self.cost_u);
        let b = node_cost(self.v).saturating_add(self.cost_v);
        a.min(b).saturating_add(self.off_cost)
    }
}

type Chunk = GeomWithData<Rectangle<[f32; 2]>, u32>;

/// Edges per R-tree leaf. Leaves of an rstar tree cost ~48 bytes whatever they hold, so the
/// tree indexes spatially sorted runs of edges rather than single segments: about 6 bytes per
/// edge instead of 50 per segment.
const CHUNK: usize = 8;

/// A spatial index of the edges of a graph, in projected metres: an R-tree (rstar) of the
/// bounding boxes of runs of [`CHUNK`] edges sorted along a Hilbert curve. A query visits runs
/// in order of box distance and stops when the next box is farther than the best segment.
pub struct Snapper {
    tree: RTree<Chunk>,
    order: Vec<u32>,
    proj: Projection,
}

impl std::fmt::Debug for Snapper {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Snapper")
            .field("edges", &self.order.len())
            .field("leaves", &self.tree.size())
            .finish()
    }
}

fn edge_box(graph: &Graph, proj: &Projection, e: u32) -> [f32; 4] {
    let mut b = [
        f32::INFINITY,
        f32::INFINITY,
        f32::NEG_INFINITY,
        f32::NEG_INFINITY,
    ];
    for p in graph.edge_geometry(e) {
        let xy = proj.project_fixed(p);
        let (x, y) = (xy[0] as f32, xy[1] as f32);
        b = [b[0].min(x), b[1].min(y), b[2].max(x), b[3].max(y)];
    }
    b
}

impl Snapper {
    /// Indexes all edges of `graph`.
    pub fn new(graph: &Graph) -> Snapper {
        let proj = graph.projection();
        let m = graph.edge_count();
        let gb = graph.bbox();
        let lo = proj.project(gb[0], gb[1]);
        let hi = proj.project(gb[2], gb[3]);
        let span = (hi[0] - lo[0]).max(hi[1] - lo[1]).max(1.0);
        // Hilbert positions fit in 32 bits: key and edge pack into one u64.
        let mut keyed: Vec<u64> = (0..m as u32)
            .map(|e| {
                let b = edge_box(graph, &proj, e);
                let cx = ((((b[0] + b[2]) / 2.0) as f64 - lo[0]) / span * 65535.0)
                    .clamp(0.0, 65535.0) as u32;
                let cy = ((((b[1] + b[3]) / 2.0) as f64 - lo[1]) / span * 65535.0)
                    .clamp(0.0, 65535.0) as u32;
                (crate::graph::hilbert_d(cx, cy) << 32) | e as u64
            })
            .collect();
        keyed.sort_unstable();
        let order: Vec<u32> = keyed.into_iter().map(|k| k as u32).collect();
        let chunks: Vec<Chunk> = order
            .chunks(CHUNK)
            .enumerate()
            .map(|(i, run)| {
                let mut b = [
                    f32::INFINITY,
                    f32::INFINITY,
                    f32::NEG_INFINITY,
                    f32::NEG_INFINITY,
                ];
                for &e in run {
                    let eb = edge_box(graph, &proj, e);
                    b = [
                        b[0].min(eb[0]),
                        b[1].min(eb[1]),
                        b[2].max(eb[2]),
                        b[3].max(eb[3]),
                    ];
                }
                GeomWithData::new(
                    Rectangle::from_corners([b[0], b[1]], [b[2], b[3]]),
                    i as u32,
                )
            })
            .collect();
        Snapper {
            tree: RTree::bulk_load(chunks),
            order,
            proj,
        }
    }

    /// Places `(lon, lat)` on the nearest edge. `None` only for a graph without edges.
    pub fn snap(&self, graph: &Graph, lon: f64, lat: f64) -> Option<Snap> {
        let xy = self.proj.project(lon, lat);
        let q = [xy[0] as f32, xy[1] as f32];
        // Best (distance, edge, segment index, t).
        let mut best: Option<(f64, u32, usize, f64)> = None;
        let mut pts: Vec<[f64; 2]> = Vec::new();
        for (chunk, d2) in self.tree.nearest_neighbor_iter_with_distance_2(&q) {
            if let Some((bd, ..)) = best
                && (d2 as f64).sqrt() > bd + 0.5
            {
                break;
            }
            let i = chunk.data as usize * CHUNK;
            for &e in &self.order[i..(i + CHUNK).min(self.order.len())] {
                pts.clear();
                pts.extend(graph.edge_geometry(e).map(|p| self.proj.project_fixed(p)));
                for k in 0..pts.len().saturating_sub(1) {
                    let (t, d) = geom::project_on_segment(xy, pts[k], pts[k + 1]);
                    if best.is_none_or(|b| d < b.0) {
                        best = Some((d, e, k, t));
                    }
                }
            }
        }
        let (off, e, k, t) = best?;
        let edge = graph.edges()[e as usize];
        pts.clear();
        pts.extend(graph.edge_geometry(e).map(|p| self.proj.project_fixed(p)));
        let (mut total, mut before) = (0.0, 0.0);
        for i in 0..pts.len().saturating_sub(1) {
            let len = geom::dist(pts[i], pts[i + 1]);
            if i < k {
                before += len;
            } else if i == k {
                before += t * len;
            }
            total += len;
        }
        let frac = if total > 0.0 {
            (before / total).clamp(0.0, 1.0)
        } else {
            0.0
        };
        let cost_u = (edge.cost as f64 * frac).round() as u32;
        Some(Snap {
            edge: e,
            u: edge.u,
            v: edge.v,
            cost_u,
            cost_v: edge.cost.saturating_sub(cost_u),
            off_cost: (off * 10.0).round().min(u32::MAX as f64 / 2.0) as u32,
            off_m: off as f32,
        })
    }

    /// Heap bytes of the index (approximate).
    pub fn memory_bytes(&self) -> usize {
        self.order.capacity() * 4 + self.tree.size() * 48
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geom::to_fixed;

    #[test]
    fn snaps_along_the_geometry_not_to_a_node() {
        // Two nodes 0.002° of longitude apart (≈ 222 m at the equator), cost 2000 dm.
        let g = Graph::from_parts(
            vec![to_fixed(0.0, 0.0), to_fixed(0.002, 0.0)],
            &[(0, 1, 2000)],
        )
        .expect("g");
        let sn = Snapper::new(&g);
        // A point a quarter along and ≈ 11 m north of the street.
        let s = sn.snap(&g, 0.0005, 0.0001).expect("snap");
        assert_eq!((s.u, s.v, s.cost_u, s.cost_v), (0, 1, 500, 1500));
        assert!((s.off_m - 11.1).abs() < 0.1, "{}", s.off_m);
        assert_eq!(s.off_cost, 111);
        assert_eq!(s.seeds(), [(0, 611), (1, 1611)]);
        assert_eq!(s.cost_via(|n| if n == 0 { 100 } else { 0 }), 600 + 111);
    }

    #[test]
    fn chunked_index_finds_the_true_nearest_edge() {
        // A 30 × 30 lattice of short edges: compare with a brute-force scan.
        let side = 30u32;
        let coords: Vec<_> = (0..side * side)
            .map(|i| to_fixed((i % side) as f64 * 0.0007, (i / side) as f64 * 0.0007))
            .collect();
        let mut edges = Vec::new();
        for r in 0..side {
            for c in 0..side {
                let i = r * side + c;
                if c + 1 < side {
                    edges.push((i, i + 1, 700));
                }
                if r + 1 < side && (r + c) % 3 != 0 {
                    edges.push((i, i + side, 700));
                }
            }
        }
        let g = Graph::from_parts(coords, &edges).expect("g");
        let sn = Snapper::new(&g);
        let proj = g.projection();
        let mut x = 12345u64;
        for _ in 0..300 {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let lon = (x >> 33) as f64 / (1u64 << 31) as f64 * 0.022 - 0.001;
            let lat = (x & 0xffff_ffff) as f64 / (1u64 << 32) as f64 * 0.022 - 0.001;
            let s = sn.snap(&g, lon, lat).expect("snap");
            let p = proj.project(lon, lat);
            let brute = (0..g.edge_count() as u32)
                .map(|e| {
                    let pts: Vec<_> = g.edge_geometry(e).map(|q| proj.project_fixed(q)).collect();
                    crate::geom::project_on_segment(p, pts[0], pts[1]).1
                })
                .fold(f64::INFINITY, f64::min);
            assert!(
                (s.off_m as f64 - brute).abs() < 0.01,
                "{} vs {brute}",
                s.off_m
            );
        }
    }
}
