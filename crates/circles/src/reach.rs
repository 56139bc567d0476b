//! Shortest-path searches over the walking graph: an all-node multi-source search (nearest
//! facility for every node at once) and bounded searches from single facilities (what lies
//! within 5, 10 and 15 minutes), both on a radix heap over `u32` keys with reusable buffers.

use prefetch_index::prefetch_index;
use rayon::prelude::*;

use crate::graph::Graph;
use crate::progress::Progress;
use crate::snap::Snap;

/// Time (cost) of a node no search reached.
pub const UNREACHED: u32 = u32::MAX;

/// A monotone priority queue for `u32` keys (Ahuja, Mehlhorn, Orlin and Tarjan 1990): a key is
/// kept in the bucket of the highest bit in which it differs from the last popped key, so each
/// element moves down at most 32 times and a pop is amortised O(1) for the integer costs of a
/// walking graph.
#[derive(Debug)]
pub struct RadixHeap {
    last: u32,
    len: usize,
    buckets: [Vec<(u32, u32)>; 33],
}

impl Default for RadixHeap {
    fn default() -> Self {
        RadixHeap {
            last: 0,
            len: 0,
            buckets: std::array::from_fn(|_| Vec::new()),
        }
    }
}

#[inline]
fn bucket_of(x: u32) -> usize {
    (32 - x.leading_zeros()) as usize
}

impl RadixHeap {
    /// Empties the heap and resets its floor to 0, keeping allocations.
    pub fn clear(&mut self) {
        for b in &mut self.buckets {
            b.clear();
        }
        self.last = 0;
        self.len = 0;
    }

    /// Number of queued entries.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether nothing is queued.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Queues `value` with `key`; a key below the last popped one is raised to it (the heap is
    /// monotone, and Dijkstra never pushes such keys).
    #[inline]
    pub fn push(&mut self, key: u32, value: u32) {
        let key = key.max(self.last);
        self.buckets[bucket_of(key ^ self.last)].push((key, value));
        self.len += 1;
    }

    /// Moves every entry of the smallest key into `out` (cleared first); false when empty.
    /// Processing them together lets their memory loads overlap (see [`nearest_cost`]).
    pub fn pop_min_batch(&mut self, out: &mut Vec<(u32, u32)>) -> bool {
        out.clear();
        if self.buckets[0].is_empty() && !self.refill() {
            return false;
        }
        std::mem::swap(out, &mut self.buckets[0]);
        self.len -= out.len();
        true
    }

    /// Moves the entries of the lowest non-empty bucket down around their smallest key, so that
    /// bucket 0 holds that key's entries; false when the heap is empty.
    fn refill(&mut self) -> bool {
        let Some(i) = (1..33).find(|&i| !self.buckets[i].is_empty()) else { return false };
        let mut moved = std::mem::take(&mut self.buckets[i]);
        self.last = moved.iter().map(|e| e.0).min().unwrap_or(self.last);
        for &(k, v) in &moved {
            self.buckets[bucket_of(k ^ self.last)].push((k, v));
        }
        moved.clear();
        self.buckets[i] = moved;
        true
    }

    /// Removes an entry with the smallest key.
    #[inline]
    pub fn pop(&mut self) -> Option<(u32, u32)> {
        if self.buckets[0].is_empty() && !self.refill() {
            return None;
        }
        let e = self.buckets[0].pop();
        if e.is_some() {
            self.len -= 1;
        }
        e
    }
}

/// A search start: a node and the cost already spent to get there.
pub type Seed = (u32, u32);

/// Result of an all-node multi-source search: per node the cost to the nearest source and
/// which source it was.
#[derive(Debug, Clone)]
pub struct Nearest {
    /// Cost in flat-walking decimetres, or [`UNREACHED`].
    pub cost: Vec<u32>,
    /// Index of the nearest source group, or `u32::MAX`.
    pub source: Vec<u32>,
}

/// Like [`nearest`] without the source labels: only the cost per node (less memory).
pub fn nearest_cost(graph: &Graph, facilities: &[Snap], limit: u32) -> Vec<u32> {
    nearest_cost_in(graph, facilities, limit, Vec::new())
}

/// [`nearest_cost`] written into `cost`, whatever it held (an analysis passes the same buffer
/// for every category instead of allocating one each time).
pub fn nearest_cost_in(graph: &Graph, facilities: &[Snap], limit: u32, cost: Vec<u32>) -> Vec<u32> {
    multi_source(graph, facilities, limit, cost, |_, _| {})
}

/// How a node got a better cost in [`multi_source`].
#[derive(Debug, Clone, Copy)]
enum Reached {
    /// As a seed of facility `i`.
    Seed(u32),
    /// Through the arc from node `u`.
    Via(u32),
}

/// The multi-source search behind [`nearest`] and [`nearest_cost`]: fills `cost` (whatever it
/// held) and tells `on_reach` each time a node gets a better cost, and how.
fn multi_source(graph: &Graph, facilities: &[Snap], limit: u32, mut cost: Vec<u32>, mut on_reach: impl FnMut(u32, Reached)) -> Vec<u32> {
    cost.clear();
    cost.resize(graph.node_count(), UNREACHED);
    let mut heap = RadixHeap::default();
    for (i, f) in facilities.iter().enumerate() {
        for (node, c) in f.seeds() {
            let slot = &mut cost[node as usize];
            if c < *slot && c <= limit {
                *slot = c;
                on_reach(node, Reached::Seed(i as u32));
                heap.push(c, node);
            }
        }
    }
    let mut batch = Batch::new();
    while batch.next(&mut heap, graph, &cost, limit) {
        for &(nd, v, u) in &batch.candidates {
            let slot = &mut cost[v as usize];
            if nd < *slot {
                *slot = nd;
                on_reach(v, Reached::Via(u));
                heap.push(nd, v);
            }
        }
    }
    cost
}

/// The all-node search is bound by memory: the wave runs from thousands of facilities at once,
/// so consecutive nodes lie far apart in memory. All entries of the smallest cost are taken at
/// once and handled in passes — drop the stale ones, gather their arcs as candidate costs, then
/// relax the candidates — so that within each pass the loads are independent of one another and
/// the CPU overlaps them instead of waiting for each in turn.
struct Batch {
    entries: Vec<(u32, u32)>,
    /// Where each entry's arcs lie.
    ranges: Vec<std::ops::Range<usize>>,
    /// Candidates: (cost through the entry, target node, the entry's node).
    candidates: Vec<(u32, u32, u32)>,
}

impl Batch {
    fn new() -> Self {
        Batch { entries: Vec::new(), ranges: Vec::new(), candidates: Vec::new() }
    }

    /// Takes the next batch of nodes to expand and gathers their arcs as candidates; false when
    /// the heap is empty.
    fn next(&mut self, heap: &mut RadixHeap, graph: &Graph, cost: &[u32], limit: u32) -> bool {
        loop {
            if !heap.pop_min_batch(&mut self.entries) {
                return false;
            }
            for &(_, u) in &self.entries {
                prefetch_index(cost, u as usize);
                graph.prefetch_node(u);
            }
            self.entries.retain(|&(d, u)| cost[u as usize] == d);
            if !self.entries.is_empty() {
                break;
            }
        }
        self.ranges.clear();
        self.ranges.extend(self.entries.iter().map(|&(_, u)| graph.arc_range(u)));
        for range in &self.ranges {
            graph.prefetch_arcs(range.start);
        }
        self.candidates.clear();
        for (&(d, u), range) in self.entries.iter().zip(self.ranges.drain(..)) {
            for a in graph.arcs_in(range) {
                let nd = d.saturating_add(a.cost);
                if nd <= limit {
                    self.candidates.push((nd, a.to, u));
                }
            }
        }
        for &(_, v, _) in &self.candidates {
            prefetch_index(cost, v as usize);
        }
        true
    }
}

/// One multi-source Dijkstra from every facility at once: for every node the cost to its
/// nearest facility. Each facility contributes its seeds (the two ends of the edge it stands
/// on, with the cost of walking there). Searches stop at `limit` (use `u32::MAX - 1` for none).
pub fn nearest(graph: &Graph, facilities: &[Snap], limit: u32) -> Nearest {
    let mut source = vec![u32::MAX; graph.node_count()];
    let cost = multi_source(graph, facilities, limit, Vec::new(), |v, how| {
        source[v as usize] = match how {
            Reached::Seed(i) => i,
            Reached::Via(u) => source[u as usize],
        };
    });
    Nearest { cost, source }
}

/// Reusable buffers for bounded single-facility searches. Distances are valid for the nodes of
/// the current search only (a generation stamp avoids clearing the arrays).
#[derive(Debug)]
pub struct Searcher {
    dist: Vec<u32>,
    stamp: Vec<u32>,
    generation: u32,
    heap: RadixHeap,
    settled: Vec<(u32, u32)>,
}

impl Searcher {
    /// Buffers for a graph of `n` nodes (zeroed pages are only touched when used).
    pub fn new(n: usize) -> Self {
        Searcher {
            dist: vec![0; n],
            stamp: vec![0; n],
            generation: 0,
            heap: RadixHeap::default(),
            settled: Vec::new(),
        }
    }

    /// Searches all nodes within `limit` of the seeds; they are then in [`Searcher::settled`].
    pub fn search(&mut self, graph: &Graph, seeds: &[Seed], limit: u32) {
        self.generation = self.generation.wrapping_add(1);
        if self.generation == 0 {
            self.stamp.iter_mut().for_each(|s| *s = 0);
            self.generation = 1;
        }
        let g = self.generation;
        self.heap.clear();
        self.settled.clear();
        for &(node, c) in seeds {
            let i = node as usize;
            if c <= limit && (self.stamp[i] != g || c < self.dist[i]) {
                self.stamp[i] = g;
                self.dist[i] = c;
                self.heap.push(c, node);
            }
        }
        while let Some((d, u)) = self.heap.pop() {
            if d != self.dist[u as usize] {
                continue;
            }
            self.settled.push((u, d));
            for a in graph.arcs(u) {
                let nd = d.saturating_add(a.cost);
                let i = a.to as usize;
                if nd <= limit && (self.stamp[i] != g || nd < self.dist[i]) {
                    self.stamp[i] = g;
                    self.dist[i] = nd;
                    self.heap.push(nd, a.to);
                }
            }
        }
    }

    /// The nodes of the last search as `(node, cost)`, in order of cost.
    pub fn settled(&self) -> &[(u32, u32)] {
        &self.settled
    }

    /// Searches and returns the settled nodes.
    pub fn ball(&mut self, graph: &Graph, seeds: &[Seed], limit: u32) -> &[(u32, u32)] {
        self.search(graph, seeds, limit);
        &self.settled
    }

    /// Cost of `node` in the last search, or [`UNREACHED`].
    pub fn cost(&self, node: u32) -> u32 {
        let i = node as usize;
        if self.stamp[i] == self.generation {
            self.dist[i]
        } else {
            UNREACHED
        }
    }
}

/// How many facilities (and how much capacity) each node reaches within each threshold.
#[derive(Debug, Clone)]
pub struct Within {
    /// The thresholds in flat-walking decimetres, ascending.
    pub thresholds: [u32; 3],
    /// Per node: facilities within each threshold (saturating at 65,535).
    pub count: Vec<[u16; 3]>,
    /// Per node: capacity within each threshold.
    pub capacity: Vec<[f32; 3]>,
}

/// A facility's reach: its snap and its capacity.
#[derive(Debug, Clone, Copy)]
pub struct Supply {
    pub snap: Snap,
    pub capacity: f32,
}

/// Searchers for the ball searches of an analysis, one per worker thread, made when first needed
/// and reused by every later search, so that each thread's buffers (8 bytes per node) are
/// allocated once per analysis rather than once per batch of facilities.
#[derive(Debug)]
pub struct Searchers {
    nodes: usize,
    slots: Vec<std::sync::Mutex<Option<Searcher>>>,
}

impl Searchers {
    /// Room for a searcher per worker thread of a graph of `nodes` nodes.
    pub fn new(nodes: usize) -> Self {
        let slots = (0..rayon::current_num_threads().max(1) + 1).map(|_| std::sync::Mutex::new(None)).collect();
        Searchers { nodes, slots }
    }

    /// Runs `f` with a searcher no other thread is using (a new one if all are busy).
    fn with<R>(&self, f: impl FnOnce(&mut Searcher) -> R) -> R {
        for slot in &self.slots {
            if let Ok(mut held) = slot.try_lock() {
                return f(held.get_or_insert_with(|| Searcher::new(self.nodes)));
            }
        }
        f(&mut Searcher::new(self.nodes))
    }
}

/// Runs `f(facility index, ball)` for the ball of every facility within `limit`, in parallel
/// batches (each with a searcher from `searchers`), calling `apply` on the main thread in
/// facility order.
pub fn for_each_ball<T: Send>(
    graph: &Graph,
    supplies: &[Supply],
    limit: u32,
    searchers: &Searchers,
    progress: &dyn Progress,
    f: impl Fn(usize, &[(u32, u32)], &Searcher) -> T + Sync,
    mut apply: impl FnMut(usize, T),
) {
    const BATCH: usize = 4096;
    let threads = rayon::current_num_threads().max(1);
    for (b, batch) in supplies.chunks(BATCH).enumerate() {
        let chunk = batch.len().div_ceil(threads * 4).max(1);
        let results: Vec<Vec<T>> = batch
            .par_chunks(chunk)
            .enumerate()
            .map(|(c, part)| {
                searchers.with(|s| {
                    part.iter()
                        .enumerate()
                        .map(|(k, sup)| {
                            s.search(graph, &sup.snap.seeds(), limit);
                            let r = f(b * BATCH + c * chunk + k, s.settled(), s);
                            progress.inc(1);
                            r
                        })
                        .collect::<Vec<T>>()
                })
            })
            .collect();
        for (i, r) in (b * BATCH..).zip(results.into_iter().flatten()) {
            apply(i, r);
        }
    }
}

/// Counts and capacity of facilities within each of three thresholds, for every node, by one
/// bounded search from each facility (cheaper than a search from every home: the balls are
/// small and there are far fewer facilities than nodes).
pub fn within(
    graph: &Graph,
    supplies: &[Supply],
    thresholds: [u32; 3],
    searchers: &Searchers,
    progress: &dyn Progress,
) -> Within {
    let n = graph.node_count();
    let mut count = vec![[0u16; 3]; n];
    let mut capacity = vec![[0f32; 3]; n];
    let limit = thresholds.iter().copied().max().unwrap_or(0);
    for_each_ball(
        graph,
        supplies,
        limit,
        searchers,
        progress,
        |_, ball, _| ball.to_vec(),
        |i, ball| {
            let cap = supplies[i].capacity;
            for &(node, c) in &ball {
                let (cn, cp) = (&mut count[node as usize], &mut capacity[node as usize]);
                for k in 0..3 {
                    if c <= thresholds[k] {
                        cn[k] = cn[k].saturating_add(1);
                        cp[k] += cap;
                    }
                }
            }
        },
    );
    Within {
        thresholds,
        count,
        capacity,
    }
}

/// Facilities and their capacity within one threshold, per node: the lean form of [`within`]
/// that an analysis needs (6 bytes per node instead of 18).
pub fn within_one(
    graph: &Graph,
    supplies: &[Supply],
    threshold: u32,
    searchers: &Searchers,
    progress: &dyn Progress,
) -> (Vec<u16>, Vec<f32>) {
    within_one_in(graph, supplies, threshold, searchers, progress, (Vec::new(), Vec::new()))
}

/// [`within_one`] written into `buffers` (counts, capacities), whatever they held.
pub fn within_one_in(
    graph: &Graph,
    supplies: &[Supply],
    threshold: u32,
    searchers: &Searchers,
    progress: &dyn Progress,
    (mut count, mut capacity): (Vec<u16>, Vec<f32>),
) -> (Vec<u16>, Vec<f32>) {
    let n = graph.node_count();
    count.clear();
    count.resize(n, 0);
    capacity.clear();
    capacity.resize(n, 0.0);
    for_each_ball(
        graph,
        supplies,
        threshold,
        searchers,
        progress,
        |_, ball, _| ball.iter().map(|&(node, _)| node).collect::<Vec<u32>>(),
        |i, nodes| {
            let cap = supplies[i].capacity;
            for node in nodes {
                count[node as usize] = count[node as usize].saturating_add(1);
                capacity[node as usize] += cap;
            }
        },
    );
    (count, capacity)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::progress::NoProgress;

    /// A path 0 - 1 - 2 - 3 - 4 with costs 10, 20, 30, 40 and a shortcut 0 - 4 of 90.
    pub(crate) fn path() -> Graph {
        Graph::from_parts(
            (0..5).map(|i| [i * 100, 0]).collect(),
            &[(0, 1, 10), (1, 2, 20), (2, 3, 30), (3, 4, 40), (0, 4, 90)],
        )
        .expect("graph")
    }

    #[test]
    fn radix_heap_pops_in_order() {
        let mut h = RadixHeap::default();
        for (k, v) in [(5, 0), (3, 1), (9, 2), (3, 3), (1_000_000, 4), (7, 5)] {
            h.push(k, v);
        }
        let mut keys = Vec::new();
        while let Some((k, _)) = h.pop() {
            keys.push(k);
            if k == 5 {
                h.push(6, 9);
            }
        }
        assert_eq!(keys, vec![3, 3, 5, 6, 7, 9, 1_000_000]);
        assert!(h.is_empty());
    }

    #[test]
    fn nearest_by_hand() {
        let g = path();
        let at = |n| Snap::at_node(n);
        let r = nearest(&g, &[at(0)], u32::MAX - 1);
        assert_eq!(r.cost, vec![0, 10, 30, 60, 90]);
        // Node 4: 0-1-2-3-4 = 100 and the shortcut 90.
        let r = nearest(&g, &[at(0), at(3)], u32::MAX - 1);
        assert_eq!(r.cost, vec![0, 10, 30, 0, 40]);
        // Node 2 is a tie (30 either way); the others have one nearest source.
        assert_eq!(
            (r.source[0], r.source[1], r.source[3], r.source[4]),
            (0, 0, 1, 1)
        );
        let r = nearest(&g, &[at(0)], 30);
        assert_eq!(r.cost, vec![0, 10, 30, UNREACHED, UNREACHED]);
        assert_eq!(
            nearest_cost(&g, &[at(0), at(3)], u32::MAX - 1),
            vec![0, 10, 30, 0, 40]
        );
    }

    /// The batched search agrees with a textbook Dijkstra (a binary heap, one node at a time) on
    /// a pseudo-random graph with many equal costs, a limit, and several sources.
    #[test]
    fn batched_search_matches_a_textbook_dijkstra() {
        let n = 400u32;
        let mut x = 12345u64;
        let mut rnd = move |m: u64| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % m
        };
        let mut edges = Vec::new();
        for i in 1..n {
            edges.push((rnd(u64::from(i)) as u32, i, 1 + rnd(5) as u32));
            edges.push((rnd(u64::from(n)) as u32, i, 1 + rnd(5) as u32));
        }
        let g = Graph::from_parts((0..n as i32).map(|i| [i, 0]).collect(), &edges).expect("graph");
        let sources = [0u32, 17, 250];
        for limit in [6, 12, u32::MAX - 1] {
            let mut want = vec![UNREACHED; n as usize];
            let mut heap = std::collections::BinaryHeap::new();
            for &s in &sources {
                want[s as usize] = 0;
                heap.push(std::cmp::Reverse((0u32, s)));
            }
            while let Some(std::cmp::Reverse((d, u))) = heap.pop() {
                if d > want[u as usize] {
                    continue;
                }
                for a in g.arcs(u) {
                    let nd = d + a.cost;
                    if nd < want[a.to as usize] && nd <= limit {
                        want[a.to as usize] = nd;
                        heap.push(std::cmp::Reverse((nd, a.to)));
                    }
                }
            }
            let snaps: Vec<Snap> = sources.iter().map(|&s| Snap::at_node(s)).collect();
            assert_eq!(nearest_cost(&g, &snaps, limit), want, "limit {limit}");
            let r = nearest(&g, &snaps, limit);
            assert_eq!(r.cost, want, "limit {limit}");
            // Every reached node's label is a source from which its cost is achieved.
            for (v, &w) in want.iter().enumerate() {
                if w != UNREACHED {
                    assert!((r.source[v] as usize) < sources.len(), "node {v} labelled");
                }
            }
        }
    }

    #[test]
    fn a_facility_on_an_edge_starts_from_both_ends() {
        let g = path();
        // A quarter along edge 2-3 (cost 30), 5 dm off the street.
        let s = Snap {
            edge: 2,
            u: 2,
            v: 3,
            cost_u: 7,
            cost_v: 23,
            off_cost: 5,
            off_m: 0.5,
        };
        let r = nearest(&g, &[s], u32::MAX - 1);
        assert_eq!(r.cost, vec![42, 32, 12, 28, 68]);
    }

    #[test]
    fn within_counts_by_hand() {
        let g = path();
        let sup = |n, capacity| Supply {
            snap: Snap::at_node(n),
            capacity,
        };
        let w = within(&g, &[sup(0, 10.0), sup(2, 5.0)], [10, 30, 60], &Searchers::new(g.node_count()), &NoProgress);
        assert_eq!(w.count[1], [1, 2, 2]);
        assert_eq!(w.capacity[1], [10.0, 15.0, 15.0]);
        assert_eq!(w.count[4], [0, 0, 0]);
        assert_eq!(w.count[3], [0, 1, 2]);
        let (c, cap) = within_one(&g, &[sup(0, 10.0), sup(2, 5.0)], 30, &Searchers::new(g.node_count()), &NoProgress);
        assert_eq!((c[1], cap[1], c[3], cap[3]), (2, 15.0, 1, 5.0));
    }

    #[test]
    fn searchers_shared_by_many_searches_give_the_same_balls() {
        let g = path();
        let sups: Vec<Supply> = (0..g.node_count() as u32)
            .cycle()
            .take(5000)
            .map(|n| Supply { snap: Snap::at_node(n), capacity: 1.0 })
            .collect();
        let shared = Searchers::new(g.node_count());
        let first = within(&g, &sups, [10, 30, 60], &shared, &NoProgress);
        let again = within(&g, &sups, [10, 30, 60], &shared, &NoProgress);
        let fresh = within(&g, &sups, [10, 30, 60], &Searchers::new(g.node_count()), &NoProgress);
        assert_eq!(first.count, fresh.count);
        assert_eq!(again.count, fresh.count);
        assert_eq!(again.capacity, fresh.capacity);
    }

    #[test]
    fn searcher_reuses_buffers() {
        let g = path();
        let mut s = Searcher::new(g.node_count());
        assert_eq!(s.ball(&g, &[(0, 0)], 30), &[(0, 0), (1, 10), (2, 30)]);
        assert_eq!(s.ball(&g, &[(4, 0)], 45), &[(4, 0), (3, 40)]);
        assert_eq!(s.cost(0), UNREACHED);
        assert_eq!(s.cost(3), 40);
    }
}
