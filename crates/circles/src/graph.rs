//! The walking graph: compressed sparse row (CSR) adjacency with `u32` node ids and `u32` edge
//! costs, built from raw way segments by keeping the largest connected component, merging
//! degree-2 chains and renumbering nodes along a Hilbert curve for cache locality.
//!
//! Costs are *flat-walking decimetres*: the length a walker would cover on level ground in the
//! same time (a metre of steps costs `steps_factor` metres). A [`crate::Profile`] turns them into
//! seconds with its speed, so one graph serves every profile.

use crate::geom::{self, Fixed, Projection};

/// An outgoing arc in the CSR: target node and cost in flat-walking decimetres.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arc {
    pub to: u32,
    pub cost: u32,
}

/// An undirected edge with its cost; its geometry is in [`Graph::edge_geometry`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Edge {
    pub u: u32,
    pub v: u32,
    pub cost: u32,
}

/// A compact undirected walking graph. Nodes are junctions and dead ends; the points between
/// them are kept only as edge geometry (for snapping and drawing).
#[derive(Debug, Clone, Default)]
pub struct Graph {
    coords: Vec<Fixed>,
    first: Vec<u32>,
    arcs: Vec<Arc>,
    edges: Vec<Edge>,
    geom_first: Vec<u32>,
    geom_points: Vec<Fixed>,
}

/// A raw segment between two raw nodes, before component filtering and chain merging.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RawEdge {
    pub a: u32,
    pub b: u32,
    /// Flat-walking decimetres.
    pub cost: u32,
    /// Length along the geometry in metres.
    pub length_m: f32,
}

/// Raw network: node coordinates, segments and their interior geometry (points strictly
/// between `a` and `b`, in the direction a → b).
#[derive(Debug, Clone, Default)]
pub struct RawNetwork {
    pub coords: Vec<Fixed>,
    pub edges: Vec<RawEdge>,
    /// `geom_first[i]..geom_first[i + 1]` indexes `geom_points` for edge `i`; its length is
    /// `edges.len() + 1` (or 0, meaning no edge has interior points).
    pub geom_first: Vec<u32>,
    pub geom_points: Vec<Fixed>,
}

impl RawNetwork {
    /// Appends an edge with its interior points.
    pub fn push_edge(&mut self, edge: RawEdge, interior: &[Fixed]) {
        if self.geom_first.is_empty() {
            self.geom_first.resize(self.edges.len() + 1, 0);
        }
        self.edges.push(edge);
        self.geom_points.extend_from_slice(interior);
        self.geom_first.push(self.geom_points.len() as u32);
    }

    fn interior(&self, e: usize) -> &[Fixed] {
        if self.geom_first.len() <= e + 1 {
            return &[];
        }
        &self.geom_points[self.geom_first[e] as usize..self.geom_first[e + 1] as usize]
    }
}

/// What the build kept and dropped.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct BuildReport {
    pub raw_nodes: usize,
    pub raw_edges: usize,
    pub components: usize,
    pub dropped_components: usize,
    pub dropped_nodes: usize,
    pub dropped_edges: usize,
    pub dropped_length_m: f64,
    /// Degree-2 nodes merged into the edges around them.
    pub merged_nodes: usize,
    pub nodes: usize,
    pub edges: usize,
    pub length_m: f64,
}

/// How to build a graph from a [`RawNetwork`].
#[derive(Debug, Clone, Copy)]
pub struct BuildOptions {
    pub largest_component_only: bool,
    pub merge_degree_two: bool,
    pub hilbert_order: bool,
}

impl Default for BuildOptions {
    fn default() -> Self {
        BuildOptions {
            largest_component_only: true,
            merge_degree_two: true,
            hilbert_order: true,
        }
    }
}

impl Graph {
    /// Number of nodes.
    pub fn node_count(&self) -> usize {
        self.coords.len()
    }

    /// Number of undirected edges.
    pub fn edge_count(&self) -> usize {
        self.edges.len()
    }

    /// Fixed-point coordinate of a node.
    pub fn coord(&self, node: u32) -> Fixed {
        self.coords[node as usize]
    }

    /// All node coordinates.
    pub fn coords(&self) -> &[Fixed] {
        &self.coords
    }

    /// Where the arcs of `node` lie in the array [`Graph::arcs_in`] reads.
    #[inline]
    pub fn arc_range(&self, node: u32) -> std::ops::Range<usize> {
        let n = node as usize;
        self.first[n] as usize..self.first[n + 1] as usize
    }

    /// Asks the CPU to start loading where a node's arcs begin, ahead of [`Graph::arc_range`]
    /// (a hint only: it changes no result).
    #[inline]
    pub fn prefetch_node(&self, node: u32) {
        prefetch_index::prefetch_index(&self.first, node as usize);
    }

    /// Asks the CPU to start loading the arc at `index`, ahead of [`Graph::arcs_in`].
    #[inline]
    pub fn prefetch_arcs(&self, index: usize) {
        prefetch_index::prefetch_index(&self.arcs, index);
    }

    /// The arcs of a range from [`Graph::arc_range`].
    #[inline]
    pub fn arcs_in(&self, range: std::ops::Range<usize>) -> &[Arc] {
        &self.arcs[range]
    }

    /// Outgoing arcs of a node.
    #[inline]
    pub fn arcs(&self, node: u32) -> &[Arc] {
        &self.arcs[self.arc_range(node)]
    }

    /// The undirected edges.
    pub fn edges(&self) -> &[Edge] {
        &self.edges
    }

    /// The geometry of edge `e` from `u` to `v`, endpoints included.
    pub fn edge_geometry(&self, e: u32) -> impl Iterator<Item = Fixed> + '_ {
        let edge = self.edges[e as usize];
        let interior: &[Fixed] = if self.geom_first.len() > e as usize + 1 {
            &self.geom_points
                [self.geom_first[e as usize] as usize..self.geom_first[e as usize + 1] as usize]
        } else {
            &[]
        };
        std::iter::once(self.coords[edge.u as usize])
            .chain(interior.iter().copied())
            .chain(std::iter::once(self.coords[edge.v as usize]))
    }

    /// `[min_lon, min_lat, max_lon, max_lat]` in degrees of all nodes and geometry points.
    pub fn bbox(&self) -> [f64; 4] {
        let mut b = [
            f64::INFINITY,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NEG_INFINITY,
        ];
        for &p in self.coords.iter().chain(self.geom_points.iter()) {
            let (lon, lat) = geom::from_fixed(p);
            b[0] = b[0].min(lon);
            b[1] = b[1].min(lat);
            b[2] = b[2].max(lon);
            b[3] = b[3].max(lat);
        }
        b
    }

    /// A metric projection centred on the graph.
    pub fn projection(&self) -> Projection {
        let b = self.bbox();
        if b[0].is_finite() {
            Projection::new((b[0] + b[2]) / 2.0, (b[1] + b[3]) / 2.0)
        } else {
            Projection::new(0.0, 0.0)
        }
    }

    /// Heap bytes held by the graph.
    pub fn memory_bytes(&self) -> usize {
        use std::mem::size_of;
        self.coords.capacity() * size_of::<Fixed>()
            + self.first.capacity() * 4
            + self.arcs.capacity() * size_of::<Arc>()
            + self.edges.capacity() * size_of::<Edge>()
            + self.geom_first.capacity() * 4
            + self.geom_points.capacity() * size_of::<Fixed>()
    }

    /// A graph exactly as given: no component filtering, no merging, no renumbering; for tiny
    /// hand-checkable tests. Edges are `(u, v, cost in decimetres)`.
    pub fn from_parts(coords: Vec<Fixed>, edges: &[(u32, u32, u32)]) -> crate::Result<Graph> {
        let n = coords.len();
        if let Some(&(u, v, _)) = edges
            .iter()
            .find(|&&(u, v, _)| u as usize >= n || v as usize >= n)
        {
            return Err(crate::Error::config(
                "edges",
                format!("edge ({u}, {v}) names a node beyond {n}"),
            ));
        }
        let edges: Vec<Edge> = edges
            .iter()
            .map(|&(u, v, cost)| Edge { u, v, cost })
            .collect();
        Ok(Self::assemble(coords, edges, Vec::new(), Vec::new()))
    }

    fn assemble(
        coords: Vec<Fixed>,
        edges: Vec<Edge>,
        geom_first: Vec<u32>,
        geom_points: Vec<Fixed>,
    ) -> Graph {
        let n = coords.len();
        let mut first = vec![0u32; n + 1];
        for e in &edges {
            if e.u != e.v {
                first[e.u as usize + 1] += 1;
                first[e.v as usize + 1] += 1;
            }
        }
        for i in 0..n {
            first[i + 1] += first[i];
        }
        let mut fill = first.clone();
        let mut arcs = vec![Arc { to: 0, cost: 0 }; first[n] as usize];
        for e in &edges {
            if e.u != e.v {
                arcs[fill[e.u as usize] as usize] = Arc {
                    to: e.v,
                    cost: e.cost,
                };
                fill[e.u as usize] += 1;
                arcs[fill[e.v as usize] as usize] = Arc {
                    to: e.u,
                    cost: e.cost,
                };
                fill[e.v as usize] += 1;
            }
        }
        Graph {
            coords,
            first,
            arcs,
            edges,
            geom_first,
            geom_points,
        }
    }

    /// Builds the graph from raw segments: keeps the largest connected component (by nodes),
    /// merges chains of degree-2 nodes into single edges (summing cost and keeping geometry)
    /// and renumbers nodes along a Hilbert curve.
    pub fn build(raw: &RawNetwork, opts: BuildOptions) -> crate::Result<(Graph, BuildReport)> {
        let n = raw.coords.len();
        let mut report = BuildReport {
            raw_nodes: n,
            raw_edges: raw.edges.len(),
            ..Default::default()
        };
        if let Some(e) = raw
            .edges
            .iter()
            .find(|e| e.a as usize >= n || e.b as usize >= n)
        {
            return Err(crate::Error::config(
                "edges",
                format!("raw edge ({}, {}) names a node beyond {n}", e.a, e.b),
            ));
        }
        if raw.edges.is_empty() {
            return Err(crate::Error::Empty {
                what: "network".into(),
                message: "no walkable segment".into(),
            });
        }
        // 1. Connected components (union-find with path halving).
        let mut parent: Vec<u32> = (0..n as u32).collect();
        fn find(parent: &mut [u32], mut x: u32) -> u32 {
            while parent[x as usize] != x {
                let p = parent[parent[x as usize] as usize];
                parent[x as usize] = p;
                x = p;
            }
            x
        }
        let mut touched = vec![false; n];
        for e in &raw.edges {
            touched[e.a as usize] = true;
            touched[e.b as usize] = true;
            let (ra, rb) = (find(&mut parent, e.a), find(&mut parent, e.b));
            if ra != rb {
                parent[ra.max(rb) as usize] = ra.min(rb);
            }
        }
        let mut size = vec![0u32; n];
        for x in 0..n as u32 {
            if touched[x as usize] {
                let r = find(&mut parent, x);
                size[r as usize] += 1;
            }
        }
        report.components = size.iter().filter(|&&s| s > 0).count();
        let best = (0..n)
            .max_by_key(|&r| (size[r], std::cmp::Reverse(r)))
            .unwrap_or(0) as u32;
        let keep_node: Vec<bool> = (0..n as u32)
            .map(|x| {
                touched[x as usize]
                    && (!opts.largest_component_only || find(&mut parent, x) == best)
            })
            .collect();
        drop(size);
        drop(parent);
        let mut keep_edge = vec![true; raw.edges.len()];
        for (i, e) in raw.edges.iter().enumerate() {
            if !keep_node[e.a as usize] {
                keep_edge[i] = false;
                report.dropped_edges += 1;
                report.dropped_length_m += e.length_m as f64;
            } else {
                report.length_m += e.length_m as f64;
            }
        }
        report.dropped_components = if opts.largest_component_only {
            report.components.saturating_sub(1)
        } else {
            0
        };
        report.dropped_nodes = touched
            .iter()
            .zip(&keep_node)
            .filter(|&(&t, &k)| t && !k)
            .count();
        drop(touched);

        // 2. Incidence lists over kept raw edges.
        let mut inc_first = vec![0u32; n + 1];
        for (i, e) in raw.edges.iter().enumerate() {
            if keep_edge[i] {
                inc_first[e.a as usize + 1] += 1;
                inc_first[e.b as usize + 1] += 1;
            }
        }
        for i in 0..n {
            inc_first[i + 1] += inc_first[i];
        }
        let mut fill = inc_first.clone();
        let mut inc = vec![0u32; inc_first[n] as usize];
        for (i, e) in raw.edges.iter().enumerate() {
            if keep_edge[i] {
                inc[fill[e.a as usize] as usize] = i as u32;
                fill[e.a as usize] += 1;
                inc[fill[e.b as usize] as usize] = i as u32;
                fill[e.b as usize] += 1;
            }
        }
        drop(fill);
        let degree = |x: usize| inc_first[x + 1] - inc_first[x];
        // Anchors: kept nodes that are not plain chain links.
        let mut anchor: Vec<bool> = (0..n)
            .map(|x| {
                keep_node[x]
                    && (!opts.merge_degree_two
                        || degree(x) != 2
                        || inc[inc_first[x] as usize] == inc[inc_first[x] as usize + 1])
            })
            .collect();

        // 3. Walk chains from anchors.
        let mut used = vec![false; raw.edges.len()];
        let mut new_edges: Vec<(u32, u32, u32)> = Vec::new(); // raw anchor ids + cost
        let mut geom_first: Vec<u32> = vec![0];
        let mut geom_points: Vec<Fixed> = Vec::new();
        let has_geometry = !raw.geom_points.is_empty() || opts.merge_degree_two;
        let walk = |start: u32,
                    e0: u32,
                    used: &mut [bool],
                    anchor: &[bool],
                    new_edges: &mut Vec<(u32, u32, u32)>,
                    geom_first: &mut Vec<u32>,
                    geom_points: &mut Vec<Fixed>| {
            let mut cur = start;
            let mut e = e0;
            let mut cost: u64 = 0;
            loop {
                used[e as usize] = true;
                let re = raw.edges[e as usize];
                cost += re.cost as u64;
                let forward = re.a == cur;
                let next = if forward { re.b } else { re.a };
                let interior = raw.interior(e as usize);
                if has_geometry {
                    if forward {
                        geom_points.extend_from_slice(interior);
                    } else {
                        geom_points.extend(interior.iter().rev());
                    }
                }
                cur = next;
                if anchor[cur as usize] {
                    break;
                }
                if has_geometry {
                    geom_points.push(raw.coords[cur as usize]);
                }
                let s = inc_first[cur as usize] as usize;
                e = if inc[s] == e { inc[s + 1] } else { inc[s] };
                if used[e as usize] {
                    break;
                }
            }
            new_edges.push((start, cur, cost.min(u32::MAX as u64) as u32));
            if has_geometry {
                geom_first.push(geom_points.len() as u32);
            }
        };
        for x in 0..n {
            if !anchor[x] {
                continue;
            }
            for k in inc_first[x]..inc_first[x + 1] {
                let e = inc[k as usize];
                if !used[e as usize] {
                    walk(
                        x as u32,
                        e,
                        &mut used,
                        &anchor,
                        &mut new_edges,
                        &mut geom_first,
                        &mut geom_points,
                    );
                }
            }
        }
        // Isolated cycles of degree-2 nodes: anchor one node of each.
        for i in 0..raw.edges.len() {
            if keep_edge[i] && !used[i] {
                let a = raw.edges[i].a;
                anchor[a as usize] = true;
                walk(
                    a,
                    i as u32,
                    &mut used,
                    &anchor,
                    &mut new_edges,
                    &mut geom_first,
                    &mut geom_points,
                );
            }
        }
        drop(used);
        drop(inc);
        drop(inc_first);

        // 4. Number the anchors, along a Hilbert curve when asked.
        let mut ids: Vec<u32> = (0..n as u32).filter(|&x| anchor[x as usize]).collect();
        report.merged_nodes = keep_node.iter().filter(|&&k| k).count() - ids.len();
        if opts.hilbert_order {
            let mut b = [i32::MAX, i32::MAX, i32::MIN, i32::MIN];
            for &x in &ids {
                let p = raw.coords[x as usize];
                b = [
                    b[0].min(p[0]),
                    b[1].min(p[1]),
                    b[2].max(p[0]),
                    b[3].max(p[1]),
                ];
            }
            let span = ((b[2] as i64 - b[0] as i64).max(b[3] as i64 - b[1] as i64)).max(1) as f64;
            let key = |p: Fixed| {
                let x = ((p[0] as i64 - b[0] as i64) as f64 / span * 65535.0) as u32;
                let y = ((p[1] as i64 - b[1] as i64) as f64 / span * 65535.0) as u32;
                hilbert_d(x, y)
            };
            ids.sort_by_cached_key(|&x| (key(raw.coords[x as usize]), x));
        }
        let mut new_id = vec![u32::MAX; n];
        for (i, &x) in ids.iter().enumerate() {
            new_id[x as usize] = i as u32;
        }
        let coords: Vec<Fixed> = ids.iter().map(|&x| raw.coords[x as usize]).collect();
        let edges: Vec<Edge> = new_edges
            .iter()
            .map(|&(a, b, cost)| Edge {
                u: new_id[a as usize],
                v: new_id[b as usize],
                cost,
            })
            .collect();
        // What the walk built goes before the graph is assembled (the import's peak).
        drop((new_edges, new_id, ids));
        report.nodes = coords.len();
        report.edges = edges.len();
        let (geom_first, geom_points) = if has_geometry {
            (geom_first, geom_points)
        } else {
            (Vec::new(), Vec::new())
        };
        let mut g = Self::assemble(coords, edges, geom_first, geom_points);
        // Grown by doubling while the edges were walked: give back what is not used.
        g.geom_points.shrink_to_fit();
        g.geom_first.shrink_to_fit();
        Ok((g, report))
    }
}

/// Position of `(x, y)` (each < 2^16) along a Hilbert curve of order 16.
pub(crate) fn hilbert_d(mut x: u32, mut y: u32) -> u64 {
    let n: u32 = 1 << 16;
    let mut d: u64 = 0;
    let mut s = n / 2;
    while s > 0 {
        let rx = u32::from(x & s > 0);
        let ry = u32::from(y & s > 0);
        d += (s as u64) * (s as u64) * ((3 * rx) ^ ry) as u64;
        if ry == 0 {
            if rx == 1 {
                x = s.wrapping_sub(1).wrapping_sub(x) & (n - 1);
                y = s.wrapping_sub(1).wrapping_sub(y) & (n - 1);
            }
            std::mem::swap(&mut x, &mut y);
        }
        s /= 2;
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw_line() -> RawNetwork {
        // 0 - 1 - 2 - 3 with a branch 1 - 4, and an isolated segment 5 - 6.
        let mut raw = RawNetwork {
            coords: (0..7).map(|i| [i * 1000, 0]).collect(),
            ..Default::default()
        };
        for (a, b) in [(0, 1), (1, 2), (2, 3), (1, 4), (5, 6)] {
            raw.push_edge(
                RawEdge {
                    a,
                    b,
                    cost: 100,
                    length_m: 10.0,
                },
                &[],
            );
        }
        raw
    }

    #[test]
    fn keeps_largest_component_and_merges_chains() {
        let (g, r) = Graph::build(&raw_line(), BuildOptions::default()).expect("build");
        assert_eq!(r.components, 2);
        assert_eq!(
            (r.dropped_nodes, r.dropped_edges, r.dropped_length_m),
            (2, 1, 10.0)
        );
        // Node 2 is a chain link between 1 and 3: merged.
        assert_eq!(r.merged_nodes, 1);
        assert_eq!((g.node_count(), g.edge_count()), (4, 3));
        let merged = g
            .edges()
            .iter()
            .position(|e| e.cost == 200)
            .expect("merged edge");
        let pts: Vec<Fixed> = g.edge_geometry(merged as u32).collect();
        assert_eq!(pts.len(), 3, "the merged node stays as geometry");
        assert!(pts.contains(&[2000, 0]));
        assert_eq!(r.length_m, 40.0);
    }

    #[test]
    fn a_pure_cycle_survives_as_a_loop() {
        let mut raw = RawNetwork {
            coords: vec![[0, 0], [10, 0], [10, 10], [0, 10]],
            ..Default::default()
        };
        for (a, b) in [(0, 1), (1, 2), (2, 3), (3, 0)] {
            raw.push_edge(
                RawEdge {
                    a,
                    b,
                    cost: 5,
                    length_m: 0.5,
                },
                &[],
            );
        }
        let (g, _) = Graph::build(&raw, BuildOptions::default()).expect("build");
        assert_eq!((g.node_count(), g.edge_count()), (1, 1));
        assert_eq!(g.edges()[0].cost, 20);
        assert_eq!(g.edge_geometry(0).count(), 5);
    }

    #[test]
    fn csr_is_symmetric() {
        let g = Graph::from_parts(vec![[0, 0], [1, 0], [2, 0]], &[(0, 1, 3), (1, 2, 4)])
            .expect("graph");
        assert_eq!(g.arcs(1), &[Arc { to: 0, cost: 3 }, Arc { to: 2, cost: 4 }]);
        assert_eq!(g.arcs(0), &[Arc { to: 1, cost: 3 }]);
        assert!(Graph::from_parts(vec![[0, 0]], &[(0, 1, 1)]).is_err());
    }

    #[test]
    fn hilbert_is_a_bijection_on_a_small_grid() {
        let mut seen: Vec<u64> = (0..16u32)
            .flat_map(|x| (0..16u32).map(move |y| hilbert_d(x << 12, y << 12)))
            .collect();
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(seen.len(), 256);
    }
}
