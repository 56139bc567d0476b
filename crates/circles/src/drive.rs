//! A directed car network from an OpenStreetMap PBF file, for driving times (parking guidance,
//! issue 34): roads a car may use, one-way rules, speeds from `maxspeed` or the road class, the
//! largest strongly connected component kept (every kept node can reach every other), an R-tree
//! of nodes for snapping, and one-to-many Dijkstra searches that stop once every target is
//! settled. Also lists the car parks (`amenity=parking`) and hospitals (`amenity=hospital`) of a
//! file, so tests and the demo can use real car parks around real hospitals.

use std::cmp::Reverse;
use std::collections::BTreeMap;
use std::collections::BinaryHeap;
use std::path::Path;

use rstar::RTree;
use rstar::primitives::GeomWithData;

use crate::error::Error;
use crate::error::Result;
use crate::geom;
use crate::geom::Fixed;
use crate::geom::Projection;
use crate::osm::parse_number;

/// How far a point may lie from the nearest road node to be snapped, by default (metres).
pub const DEFAULT_MAX_SNAP_M: f64 = 500.0;

/// The speed (km/h) at which the stretch between a point and its snapped node is driven.
pub const ACCESS_SPEED_KMH: f64 = 10.0;

/// Default speeds (km/h) by road class, urban-ish: used when `maxspeed` is absent or not a
/// number (`BR:urban`, `signals`, `none`).
pub fn default_speed_kmh(highway: &str) -> Option<f64> {
    Some(match highway {
        "motorway" => 80.0,
        "motorway_link" => 50.0,
        "trunk" => 60.0,
        "trunk_link" => 40.0,
        "primary" => 50.0,
        "primary_link" => 35.0,
        "secondary" => 40.0,
        "secondary_link" => 30.0,
        "tertiary" => 35.0,
        "tertiary_link" => 25.0,
        "unclassified" => 30.0,
        "residential" => 25.0,
        "service" => 15.0,
        "living_street" => 10.0,
        _ => return None,
    })
}

/// A `maxspeed` value in km/h: `50`, `50 km/h`, `30 mph`; `None` for a zone code (`BR:urban`),
/// `none`, `signals`, `walk` or anything outside 5–150 km/h.
pub fn parse_maxspeed(v: &str) -> Option<f64> {
    let first = v.split(';').next()?.trim();
    if !first.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    let n = parse_number(first)?;
    let kmh = if first.contains("mph") {
        n * 1.609_344
    } else {
        n
    };
    (5.0..=150.0).contains(&kmh).then_some(kmh)
}

/// Which ways a way may be driven.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Both ways.
    Both,
    /// Only in the order of the way's nodes.
    Forward,
    /// Only against it (`oneway=-1`).
    Backward,
}

/// A drivable way's direction and speed (km/h), or why it is left out.
pub fn drive_class<'a>(
    get: &dyn Fn(&str) -> Option<&'a str>,
) -> std::result::Result<(Direction, f64), &'static str> {
    let Some(highway) = get("highway") else {
        return Err("no highway tag");
    };
    let Some(default) = default_speed_kmh(highway) else {
        return Err("not a road for cars");
    };
    let allowed = |k: &str| {
        matches!(
            get(k),
            Some("yes" | "designated" | "permissive" | "destination")
        )
    };
    if matches!(get("access"), Some("no" | "private"))
        && !allowed("motor_vehicle")
        && !allowed("motorcar")
    {
        return Err("access=no/private");
    }
    if matches!(get("motor_vehicle"), Some("no" | "private")) && !allowed("motorcar") {
        return Err("motor_vehicle=no");
    }
    if matches!(get("motorcar"), Some("no" | "private")) {
        return Err("motorcar=no");
    }
    if get("area") == Some("yes") {
        return Err("area=yes");
    }
    let implied = matches!(get("junction"), Some("roundabout" | "circular"))
        || matches!(highway, "motorway" | "motorway_link");
    let direction = match get("oneway") {
        Some("yes" | "true" | "1") => Direction::Forward,
        Some("-1" | "reverse") => Direction::Backward,
        Some("reversible" | "alternating") => return Err("oneway=reversible"),
        Some("no" | "false" | "0") => Direction::Both,
        _ if implied => Direction::Forward,
        _ => Direction::Both,
    };
    let speed = get("maxspeed").and_then(parse_maxspeed).unwrap_or(default);
    Ok((direction, speed))
}

/// An arc of the car network: the node it leads to and its cost in deciseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DriveArc {
    /// The node it leads to.
    pub to: u32,
    /// Driving time in deciseconds.
    pub cost: u32,
}

/// What the import read, kept and dropped.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct DriveReport {
    /// The file read.
    pub file: String,
    /// Nodes in the file.
    pub nodes_read: u64,
    /// Ways in the file.
    pub ways_read: u64,
    /// Ways kept as roads for cars.
    pub drivable_ways: u64,
    /// Of those, one-way ones (tagged or implied).
    pub oneway_ways: u64,
    /// Ways with a highway tag that were left out, by reason.
    pub excluded_ways: BTreeMap<String, u64>,
    /// Way node references whose node is missing from the extract.
    pub missing_node_refs: u64,
    /// Nodes of drivable ways before the component filter.
    pub raw_nodes: usize,
    /// Strongly connected components found.
    pub components: usize,
    /// Nodes dropped outside the largest component.
    pub dropped_nodes: usize,
    /// Nodes kept.
    pub nodes: usize,
    /// Arcs kept (a two-way segment counts twice).
    pub arcs: usize,
}

type NodePoint = GeomWithData<[f64; 2], u32>;

/// A directed car network: forward and reverse CSR adjacency over `u32` nodes with costs in
/// deciseconds, and an R-tree of the nodes in projected metres for snapping.
pub struct DriveGraph {
    coords: Vec<Fixed>,
    first: Vec<u32>,
    arcs: Vec<DriveArc>,
    rfirst: Vec<u32>,
    rarcs: Vec<DriveArc>,
    tree: RTree<NodePoint>,
    proj: Projection,
    max_snap_m: f64,
}

impl std::fmt::Debug for DriveGraph {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DriveGraph")
            .field("nodes", &self.coords.len())
            .field("arcs", &self.arcs.len())
            .field("max_snap_m", &self.max_snap_m)
            .finish()
    }
}

/// Node lookup by OSM id over a sorted list.
fn node_index(nodes: &[(i64, Fixed)], id: i64) -> Option<usize> {
    nodes.binary_search_by_key(&id, |n| n.0).ok()
}

/// Reads a PBF file, calling `node` for every node and `way` for every way (relations are skipped).
fn read_pbf(
    path: &Path,
    mut node: impl FnMut(i64, Fixed, &[(&str, &str)]),
    mut way: impl FnMut(i64, &[i64], &[(&str, &str)]),
) -> Result<()> {
    let pbf_err = |message: String| Error::Pbf {
        path: path.to_path_buf(),
        message,
    };
    if !path.exists() {
        return Err(Error::io(
            path,
            std::io::Error::new(std::io::ErrorKind::NotFound, "no such file"),
        ));
    }
    let reader = osmpbf::ElementReader::from_path(path).map_err(|e| pbf_err(e.to_string()))?;
    let mut refs: Vec<i64> = Vec::new();
    // osmpbf decodes untrusted input; a panic inside it must become an error, not a crash.
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        reader.for_each(|el| match el {
            osmpbf::Element::DenseNode(n) => {
                let tags: Vec<(&str, &str)> = n.tags().collect();
                node(n.id(), [n.decimicro_lon(), n.decimicro_lat()], &tags);
            }
            osmpbf::Element::Node(n) => {
                let tags: Vec<(&str, &str)> = n.tags().collect();
                node(n.id(), [n.decimicro_lon(), n.decimicro_lat()], &tags);
            }
            osmpbf::Element::Way(w) => {
                let tags: Vec<(&str, &str)> = w.tags().collect();
                refs.clear();
                refs.extend(w.refs());
                way(w.id(), &refs, &tags);
            }
            osmpbf::Element::Relation(_) => {}
        })
    }));
    match result {
        Ok(Ok(())) => Ok(()),
        Ok(Err(e)) => Err(pbf_err(e.to_string())),
        Err(_) => Err(pbf_err("the decoder failed on malformed data".into())),
    }
}

/// Sorts and dedups a node list by OSM id.
fn sort_nodes(nodes: &mut Vec<(i64, Fixed)>) {
    if !nodes.windows(2).all(|w| w[0].0 < w[1].0) {
        nodes.sort_unstable_by_key(|n| n.0);
        nodes.dedup_by_key(|n| n.0);
    }
}

/// A directed segment between raw node indexes with its cost in deciseconds.
type RawArc = (u32, u32, u32);

/// Compressed sparse rows of `arcs` (by `from`) over `n` nodes.
fn csr(n: usize, arcs: &[RawArc], reverse: bool) -> (Vec<u32>, Vec<DriveArc>) {
    let mut first = vec![0u32; n + 1];
    for &(a, b, _) in arcs {
        let from = if reverse { b } else { a };
        first[from as usize + 1] += 1;
    }
    for i in 0..n {
        first[i + 1] += first[i];
    }
    let mut fill = first.clone();
    let mut out = vec![DriveArc { to: 0, cost: 0 }; arcs.len()];
    for &(a, b, cost) in arcs {
        let (from, to) = if reverse { (b, a) } else { (a, b) };
        let slot = &mut fill[from as usize];
        out[*slot as usize] = DriveArc { to, cost };
        *slot += 1;
    }
    (first, out)
}

/// Strongly connected components (Kosaraju, iterative): a component id per node and the count.
fn strong_components(
    n: usize,
    first: &[u32],
    arcs: &[DriveArc],
    rfirst: &[u32],
    rarcs: &[DriveArc],
) -> (Vec<u32>, usize) {
    // First pass: finishing order of a depth-first search on the forward graph.
    let mut seen = vec![false; n];
    let mut order: Vec<u32> = Vec::with_capacity(n);
    let mut stack: Vec<(u32, u32)> = Vec::new();
    for s in 0..n as u32 {
        if seen[s as usize] {
            continue;
        }
        seen[s as usize] = true;
        stack.push((s, first[s as usize]));
        while let Some(top) = stack.last_mut() {
            let (u, next) = *top;
            if next < first[u as usize + 1] {
                top.1 += 1;
                let v = arcs[next as usize].to;
                if !seen[v as usize] {
                    seen[v as usize] = true;
                    stack.push((v, first[v as usize]));
                }
            } else {
                order.push(u);
                stack.pop();
            }
        }
    }
    // Second pass: on the reverse graph in reverse finishing order, each tree is a component.
    let mut comp = vec![u32::MAX; n];
    let mut count = 0u32;
    let mut todo: Vec<u32> = Vec::new();
    for &s in order.iter().rev() {
        if comp[s as usize] != u32::MAX {
            continue;
        }
        comp[s as usize] = count;
        todo.push(s);
        while let Some(u) = todo.pop() {
            for a in &rarcs[rfirst[u as usize] as usize..rfirst[u as usize + 1] as usize] {
                if comp[a.to as usize] == u32::MAX {
                    comp[a.to as usize] = count;
                    todo.push(a.to);
                }
            }
        }
        count += 1;
    }
    (comp, count as usize)
}

/// Reusable buffers for searches on one graph (a search touches only what it reaches, and
/// resets only that).
#[derive(Debug, Default)]
pub struct DriveSearch {
    dist: Vec<u32>,
    touched: Vec<u32>,
    heap: BinaryHeap<Reverse<(u32, u32)>>,
}

impl DriveSearch {
    /// Buffers for a graph.
    pub fn new(graph: &DriveGraph) -> DriveSearch {
        DriveSearch {
            dist: vec![u32::MAX; graph.node_count()],
            touched: Vec::new(),
            heap: BinaryHeap::new(),
        }
    }

    fn reset(&mut self, n: usize) {
        if self.dist.len() != n {
            self.dist = vec![u32::MAX; n];
        } else {
            for &t in &self.touched {
                self.dist[t as usize] = u32::MAX;
            }
        }
        self.touched.clear();
        self.heap.clear();
    }
}

impl DriveGraph {
    /// Builds the car network of a PBF file: drivable ways split into one arc per segment between
    /// consecutive way nodes (every way node is a graph node, so snapping lands close), one-way
    /// rules applied, and only the largest strongly connected component kept.
    pub fn from_pbf(path: &Path) -> Result<(DriveGraph, DriveReport)> {
        let mut report = DriveReport {
            file: path.display().to_string(),
            ..Default::default()
        };
        let mut nodes: Vec<(i64, Fixed)> = Vec::new();
        // Per drivable way: where its refs start, how many, direction, speed.
        let mut ways: Vec<(usize, usize, Direction, f64)> = Vec::new();
        let mut way_refs: Vec<i64> = Vec::new();
        read_pbf(
            path,
            |id, p, _| {
                report.nodes_read += 1;
                nodes.push((id, p));
            },
            |_, refs, tags| {
                report.ways_read += 1;
                let get = |k: &str| tags.iter().find(|t| t.0 == k).map(|t| t.1);
                if get("highway").is_none() {
                    return;
                }
                match drive_class(&get) {
                    Ok((dir, speed)) => {
                        report.drivable_ways += 1;
                        report.oneway_ways += u64::from(dir != Direction::Both);
                        ways.push((way_refs.len(), refs.len(), dir, speed));
                        way_refs.extend_from_slice(refs);
                    }
                    Err(reason) => *report.excluded_ways.entry(reason.to_owned()).or_default() += 1,
                }
            },
        )?;
        sort_nodes(&mut nodes);
        // Raw nodes: the way nodes, numbered as first met.
        let mut raw_id = vec![u32::MAX; nodes.len()];
        let mut raw_coords: Vec<Fixed> = Vec::new();
        let mut raw_arcs: Vec<RawArc> = Vec::new();
        for &(start, len, dir, speed) in &ways {
            let dm_per_s = speed / 3.6;
            let mut prev: Option<usize> = None;
            for &r in &way_refs[start..start + len] {
                let Some(i) = node_index(&nodes, r) else {
                    report.missing_node_refs += 1;
                    prev = None;
                    continue;
                };
                if let Some(p) = prev
                    && p != i
                {
                    let length = geom::haversine_m(
                        geom::from_fixed(nodes[p].1),
                        geom::from_fixed(nodes[i].1),
                    );
                    let cost = ((length / dm_per_s) * 10.0)
                        .round()
                        .clamp(1.0, f64::from(u32::MAX / 4)) as u32;
                    let mut id = |k: usize| {
                        if raw_id[k] == u32::MAX {
                            raw_id[k] = raw_coords.len() as u32;
                            raw_coords.push(nodes[k].1);
                        }
                        raw_id[k]
                    };
                    let (a, b) = (id(p), id(i));
                    if dir != Direction::Backward {
                        raw_arcs.push((a, b, cost));
                    }
                    if dir != Direction::Forward {
                        raw_arcs.push((b, a, cost));
                    }
                }
                prev = Some(i);
            }
        }
        drop(nodes);
        drop(way_refs);
        report.raw_nodes = raw_coords.len();
        if raw_arcs.is_empty() {
            return Err(Error::Empty {
                what: path.display().to_string(),
                message: "no road for cars".into(),
            });
        }
        let n = raw_coords.len();
        let (first, arcs) = csr(n, &raw_arcs, false);
        let (rfirst, rarcs) = csr(n, &raw_arcs, true);
        let (comp, count) = strong_components(n, &first, &arcs, &rfirst, &rarcs);
        report.components = count;
        let mut size = vec![0usize; count];
        for &c in &comp {
            size[c as usize] += 1;
        }
        let biggest = size
            .iter()
            .enumerate()
            .max_by_key(|(i, s)| (**s, Reverse(*i)))
            .map_or(0, |(i, _)| i) as u32;
        let mut new_id = vec![u32::MAX; n];
        let mut coords = Vec::with_capacity(size.get(biggest as usize).copied().unwrap_or(0));
        for (i, &c) in comp.iter().enumerate() {
            if c == biggest {
                new_id[i] = coords.len() as u32;
                coords.push(raw_coords[i]);
            }
        }
        let kept: Vec<RawArc> = raw_arcs
            .iter()
            .filter_map(|&(a, b, c)| {
                let (a, b) = (new_id[a as usize], new_id[b as usize]);
                (a != u32::MAX && b != u32::MAX).then_some((a, b, c))
            })
            .collect();
        report.dropped_nodes = n - coords.len();
        report.nodes = coords.len();
        report.arcs = kept.len();
        Ok((DriveGraph::from_parts(coords, &kept), report))
    }

    /// A graph from node coordinates and directed arcs `(from, to, deciseconds)` (for tests and
    /// hand-made networks; no component filter).
    pub fn from_parts(coords: Vec<Fixed>, arcs: &[(u32, u32, u32)]) -> DriveGraph {
        let n = coords.len();
        let arcs: Vec<RawArc> = arcs
            .iter()
            .copied()
            .filter(|&(a, b, _)| (a as usize) < n && (b as usize) < n)
            .collect();
        let (first, fw) = csr(n, &arcs, false);
        let (rfirst, rv) = csr(n, &arcs, true);
        let (lon0, lat0) = coords.first().map_or((0.0, 0.0), |p| geom::from_fixed(*p));
        let proj = Projection::new(lon0, lat0);
        let points: Vec<NodePoint> = coords
            .iter()
            .enumerate()
            .map(|(i, p)| GeomWithData::new(proj.project_fixed(*p), i as u32))
            .collect();
        DriveGraph {
            coords,
            first,
            arcs: fw,
            rfirst,
            rarcs: rv,
            tree: RTree::bulk_load(points),
            proj,
            max_snap_m: DEFAULT_MAX_SNAP_M,
        }
    }

    /// The same graph with another largest snapping distance (metres).
    pub fn with_max_snap_m(mut self, metres: f64) -> DriveGraph {
        self.max_snap_m = metres;
        self
    }

    /// The largest snapping distance (metres).
    pub fn max_snap_m(&self) -> f64 {
        self.max_snap_m
    }

    /// Number of nodes.
    pub fn node_count(&self) -> usize {
        self.coords.len()
    }

    /// Number of arcs.
    pub fn arc_count(&self) -> usize {
        self.arcs.len()
    }

    /// A node's `(lat, lon)`.
    pub fn node_lat_lon(&self, node: u32) -> Option<(f64, f64)> {
        self.coords.get(node as usize).map(|p| {
            let (lon, lat) = geom::from_fixed(*p);
            (lat, lon)
        })
    }

    /// The arcs leaving a node.
    pub fn arcs_from(&self, node: u32) -> &[DriveArc] {
        let n = node as usize;
        if n + 1 >= self.first.len() {
            return &[];
        }
        &self.arcs[self.first[n] as usize..self.first[n + 1] as usize]
    }

    /// The nearest node to `(lat, lon)` and its distance in metres, if within [`Self::max_snap_m`].
    pub fn snap(&self, lat: f64, lon: f64) -> Option<(u32, f64)> {
        self.snap_within(lat, lon, self.max_snap_m)
    }

    /// The nearest node to `(lat, lon)` and its distance in metres, if within `max_m`.
    pub fn snap_within(&self, lat: f64, lon: f64, max_m: f64) -> Option<(u32, f64)> {
        if !geom::valid_lon_lat(lon, lat) {
            return None;
        }
        let p = self.proj.project(lon, lat);
        let near = self.tree.nearest_neighbor(&p)?;
        let d = geom::dist(*near.geom(), p);
        (d <= max_m).then_some((near.data, d))
    }

    /// Driving seconds from `origin` to each target `(lat, lon)`: one Dijkstra search from the
    /// origin that stops once every target is settled. `None` for a target (or origin) that does
    /// not snap, or that cannot be reached. The stretches between a point and its snapped node
    /// are driven at [`ACCESS_SPEED_KMH`].
    pub fn seconds_from(&self, origin: (f64, f64), targets: &[(f64, f64)]) -> Vec<Option<f64>> {
        self.seconds_from_in(&mut DriveSearch::new(self), origin, targets)
    }

    /// [`Self::seconds_from`] with reusable buffers.
    pub fn seconds_from_in(
        &self,
        search: &mut DriveSearch,
        origin: (f64, f64),
        targets: &[(f64, f64)],
    ) -> Vec<Option<f64>> {
        self.one_to_many(search, origin, targets, false)
    }

    /// Driving seconds from each source `(lat, lon)` to `dest`: one Dijkstra search backwards from
    /// the destination over the reversed arcs.
    pub fn seconds_to(&self, sources: &[(f64, f64)], dest: (f64, f64)) -> Vec<Option<f64>> {
        self.one_to_many(&mut DriveSearch::new(self), dest, sources, true)
    }

    fn one_to_many(
        &self,
        search: &mut DriveSearch,
        root: (f64, f64),
        others: &[(f64, f64)],
        reverse: bool,
    ) -> Vec<Option<f64>> {
        let access = |m: f64| m / (ACCESS_SPEED_KMH / 3.6);
        let Some((start, start_m)) = self.snap(root.0, root.1) else {
            return vec![None; others.len()];
        };
        let snapped: Vec<Option<(u32, f64)>> = others
            .iter()
            .map(|&(lat, lon)| self.snap(lat, lon))
            .collect();
        let mut wanted: Vec<u32> = snapped.iter().flatten().map(|s| s.0).collect();
        wanted.sort_unstable();
        wanted.dedup();
        let mut left = wanted.len();
        let (first, arcs) = if reverse {
            (&self.rfirst, &self.rarcs)
        } else {
            (&self.first, &self.arcs)
        };
        search.reset(self.coords.len());
        search.dist[start as usize] = 0;
        search.touched.push(start);
        search.heap.push(Reverse((0, start)));
        while left > 0
            && let Some(Reverse((d, u))) = search.heap.pop()
        {
            if d > search.dist[u as usize] {
                continue;
            }
            if wanted.binary_search(&u).is_ok() {
                left -= 1;
            }
            for a in &arcs[first[u as usize] as usize..first[u as usize + 1] as usize] {
                let nd = d.saturating_add(a.cost);
                let slot = &mut search.dist[a.to as usize];
                if nd < *slot {
                    if *slot == u32::MAX {
                        search.touched.push(a.to);
                    }
                    *slot = nd;
                    search.heap.push(Reverse((nd, a.to)));
                }
            }
        }
        snapped
            .iter()
            .map(|s| {
                let (node, off) = (*s)?;
                let d = search.dist[node as usize];
                (d != u32::MAX).then(|| f64::from(d) / 10.0 + access(start_m) + access(off))
            })
            .collect()
    }
}

/// A car park found in an OSM file (`amenity=parking`, a node or the centroid of a way).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct OsmParking {
    /// `node/123` or `way/456`.
    pub osm: String,
    /// `name`, if tagged.
    pub name: Option<String>,
    /// Latitude.
    pub lat: f64,
    /// Longitude.
    pub lon: f64,
    /// `capacity` as a number.
    pub capacity: Option<u32>,
    /// `capacity:disabled` as a number (`yes`/`no` give `None`).
    pub capacity_disabled: Option<u32>,
    /// `capacity:charging` as a number.
    pub capacity_charging: Option<u32>,
    /// `access` (`yes`, `customers`, `private`, …).
    pub access: Option<String>,
    /// `fee` (`yes`, `no`, …).
    pub fee: Option<String>,
    /// `parking` (`multi-storey`, `surface`, `underground`, `street_side`, …).
    pub parking: Option<String>,
}

/// A hospital found in an OSM file (`amenity=hospital`, a node or the centroid of a way).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct OsmPlace {
    /// `node/123` or `way/456`.
    pub osm: String,
    /// `name`, if tagged.
    pub name: Option<String>,
    /// Latitude.
    pub lat: f64,
    /// Longitude.
    pub lon: f64,
}

/// An element found by its tags: `node/123` or `way/456`, its latitude and longitude, its tags.
type Tagged = (String, f64, f64, BTreeMap<String, String>);

/// Elements of a file with `amenity=<amenity>`: nodes at their place, ways at their centroid
/// (the area centroid of a closed way, else the mean of its nodes), each with its tags.
/// Multipolygon relations are not read.
fn amenities(path: &Path, amenity: &str) -> Result<Vec<Tagged>> {
    let mut nodes: Vec<(i64, Fixed)> = Vec::new();
    let mut found: Vec<Tagged> = Vec::new();
    let mut pending: Vec<(i64, Vec<i64>, BTreeMap<String, String>)> = Vec::new();
    let keep = |tags: &[(&str, &str)]| {
        tags.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect::<BTreeMap<_, _>>()
    };
    read_pbf(
        path,
        |id, p, tags| {
            nodes.push((id, p));
            if tags.iter().any(|t| t.0 == "amenity" && t.1 == amenity) {
                let (lon, lat) = geom::from_fixed(p);
                found.push((format!("node/{id}"), lat, lon, keep(tags)));
            }
        },
        |id, refs, tags| {
            if tags.iter().any(|t| t.0 == "amenity" && t.1 == amenity) {
                pending.push((id, refs.to_vec(), keep(tags)));
            }
        },
    )?;
    sort_nodes(&mut nodes);
    for (id, refs, tags) in pending {
        let ring: Vec<Fixed> = refs
            .iter()
            .filter_map(|r| node_index(&nodes, *r))
            .map(|i| nodes[i].1)
            .collect();
        let Some(&p0) = ring.first() else { continue };
        let (lon0, lat0) = geom::from_fixed(p0);
        let proj = Projection::new(lon0, lat0);
        let xy: Vec<[f64; 2]> = ring.iter().map(|p| proj.project_fixed(*p)).collect();
        let closed = xy.len() >= 4 && ring.first() == ring.last();
        let centre = if closed {
            geom::ring_area_centroid(&xy[..xy.len() - 1]).1
        } else {
            let s = xy
                .iter()
                .fold([0.0, 0.0], |a, p| [a[0] + p[0], a[1] + p[1]]);
            [s[0] / xy.len() as f64, s[1] / xy.len() as f64]
        };
        let (lon, lat) = proj.unproject(centre);
        found.push((format!("way/{id}"), lat, lon, tags));
    }
    Ok(found)
}

/// The car parks of a file (`amenity=parking` nodes and ways) with their parking tags.
pub fn osm_parking(path: &Path) -> Result<Vec<OsmParking>> {
    let num = |t: &BTreeMap<String, String>, k: &str| {
        t.get(k)
            .and_then(|v| parse_number(v))
            .filter(|n| *n < 1e6)
            .map(|n| n as u32)
    };
    Ok(amenities(path, "parking")?
        .into_iter()
        .map(|(osm, lat, lon, t)| OsmParking {
            osm,
            name: t.get("name").cloned(),
            lat,
            lon,
            capacity: num(&t, "capacity"),
            capacity_disabled: num(&t, "capacity:disabled"),
            capacity_charging: num(&t, "capacity:charging"),
            access: t.get("access").cloned(),
            fee: t.get("fee").cloned(),
            parking: t.get("parking").cloned(),
        })
        .collect())
}

/// The hospitals of a file (`amenity=hospital` nodes and ways).
pub fn osm_hospitals(path: &Path) -> Result<Vec<OsmPlace>> {
    Ok(amenities(path, "hospital")?
        .into_iter()
        .map(|(osm, lat, lon, t)| OsmPlace {
            osm,
            name: t.get("name").cloned(),
            lat,
            lon,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sao_paulo() -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/osm/sao-paulo-centre.osm.pbf")
    }

    fn tags(
        pairs: &'static [(&'static str, &'static str)],
    ) -> impl Fn(&str) -> Option<&'static str> {
        move |k: &str| pairs.iter().find(|p| p.0 == k).map(|p| p.1)
    }

    #[test]
    fn tags_decide_direction_speed_and_exclusion() {
        assert_eq!(
            drive_class(&tags(&[("highway", "residential")])),
            Ok((Direction::Both, 25.0))
        );
        assert_eq!(
            drive_class(&tags(&[
                ("highway", "primary"),
                ("oneway", "yes"),
                ("maxspeed", "60")
            ])),
            Ok((Direction::Forward, 60.0))
        );
        assert_eq!(
            drive_class(&tags(&[("highway", "secondary"), ("oneway", "-1")])),
            Ok((Direction::Backward, 40.0))
        );
        assert_eq!(
            drive_class(&tags(&[
                ("highway", "tertiary"),
                ("junction", "roundabout")
            ])),
            Ok((Direction::Forward, 35.0))
        );
        assert_eq!(
            drive_class(&tags(&[("highway", "motorway")])),
            Ok((Direction::Forward, 80.0))
        );
        assert_eq!(
            drive_class(&tags(&[("highway", "motorway"), ("oneway", "no")])),
            Ok((Direction::Both, 80.0))
        );
        assert_eq!(
            drive_class(&tags(&[("highway", "residential"), ("maxspeed", "20 mph")]))
                .map(|d| d.1.round()),
            Ok(32.0)
        );
        assert_eq!(
            drive_class(&tags(&[("highway", "primary"), ("maxspeed", "BR:urban")])),
            Ok((Direction::Both, 50.0))
        );
        assert_eq!(
            drive_class(&tags(&[("highway", "service"), ("access", "private")])),
            Err("access=no/private")
        );
        assert!(
            drive_class(&tags(&[
                ("highway", "service"),
                ("access", "private"),
                ("motor_vehicle", "yes")
            ]))
            .is_ok()
        );
        assert_eq!(
            drive_class(&tags(&[
                ("highway", "residential"),
                ("motor_vehicle", "no")
            ])),
            Err("motor_vehicle=no")
        );
        assert_eq!(
            drive_class(&tags(&[("highway", "residential"), ("motorcar", "no")])),
            Err("motorcar=no")
        );
        assert_eq!(
            drive_class(&tags(&[("highway", "service"), ("area", "yes")])),
            Err("area=yes")
        );
        assert_eq!(
            drive_class(&tags(&[("highway", "footway")])),
            Err("not a road for cars")
        );
        assert_eq!(parse_maxspeed("50;30"), Some(50.0));
        assert_eq!(parse_maxspeed("none"), None);
        assert_eq!(parse_maxspeed("500"), None);
    }

    #[test]
    fn a_oneway_street_is_driven_one_way_only() {
        // 0 → 1 one way (100 s); 1 ↔ 2 both ways (10 s); 2 → 0 one way (50 s): a loop.
        let p = |i: i32| [i * 1000, 0];
        let g = DriveGraph::from_parts(
            vec![p(0), p(1), p(2)],
            &[(0, 1, 1000), (1, 2, 100), (2, 1, 100), (2, 0, 500)],
        );
        let at = |i: u32| g.node_lat_lon(i).expect("node");
        let from0 = g.seconds_from(at(0), &[at(1), at(2)]);
        assert_eq!(from0, [Some(100.0), Some(110.0)]);
        let from1 = g.seconds_from(at(1), &[at(0)]);
        assert_eq!(from1, [Some(60.0)], "against the one-way: round by 2");
        assert_eq!(
            g.seconds_to(&[at(1), at(2)], at(0)),
            [Some(60.0), Some(50.0)]
        );
        // Without the way back, 0 cannot be reached from 1.
        let g = DriveGraph::from_parts(vec![p(0), p(1)], &[(0, 1, 1000)]);
        assert_eq!(g.seconds_from(at(1), &[at(0)]), [None]);
        assert_eq!(g.seconds_from(at(0), &[at(1)]), [Some(100.0)]);
        // Too far from any node.
        assert_eq!(g.seconds_from((10.0, 10.0), &[at(1)]), [None]);
    }

    /// A hand-made file near 富阳: a square of streets 1→2 (one way), 2–3, 3–4, 4–1; a footway and
    /// a private road off it; a separate street far away; a hospital (node) and a car park (way).
    fn hand_made() -> tempfile::NamedTempFile {
        let f = tempfile::NamedTempFile::new().expect("temp file");
        let mut w = crate::pbf_write::PbfWriter::new(f.reopen().expect("reopen")).expect("writer");
        let p = |lon: f64, lat: f64| geom::to_fixed(lon, lat);
        let (x, y) = (119.95, 30.05);
        let d = 0.002; // about 200 m
        let nodes = [
            (1, p(x, y)),
            (2, p(x + d, y)),
            (3, p(x + d, y + d)),
            (4, p(x, y + d)),
            (5, p(x + 2.0 * d, y)),
            (6, p(x + 2.0 * d, y + d)),
            (7, p(x + 0.01, y + 0.01)),
            (8, p(x + 0.011, y + 0.01)),
            (20, p(x + 0.0002, y + 0.0002)),
            (21, p(x + 0.0006, y + 0.0002)),
            (22, p(x + 0.0006, y + 0.0006)),
            (23, p(x + 0.0002, y + 0.0006)),
        ];
        for (id, c) in nodes {
            w.node(id, c, &[]).expect("node");
        }
        w.node(
            30,
            p(x + d / 2.0, y + d / 2.0),
            &[("amenity", "hospital"), ("name", "富阳区第一人民医院")],
        )
        .expect("node");
        w.node(
            31,
            p(x - d, y),
            &[
                ("amenity", "parking"),
                ("capacity", "yes"),
                ("parking", "street_side"),
            ],
        )
        .expect("node");
        w.way(100, &[1, 2], &[("highway", "secondary"), ("oneway", "yes")])
            .expect("way");
        w.way(101, &[2, 3], &[("highway", "residential")])
            .expect("way");
        w.way(
            102,
            &[3, 4, 1],
            &[("highway", "residential"), ("maxspeed", "30")],
        )
        .expect("way");
        w.way(103, &[2, 5], &[("highway", "footway")]).expect("way");
        w.way(
            104,
            &[3, 6],
            &[("highway", "service"), ("access", "private")],
        )
        .expect("way");
        w.way(105, &[7, 8], &[("highway", "residential")])
            .expect("way");
        w.way(
            106,
            &[20, 21, 22, 23, 20],
            &[
                ("amenity", "parking"),
                ("name", "医院停车楼"),
                ("capacity", "120"),
                ("capacity:disabled", "4"),
                ("capacity:charging", "10"),
                ("parking", "multi-storey"),
                ("fee", "yes"),
                ("access", "customers"),
            ],
        )
        .expect("way");
        w.finish().expect("finish");
        f
    }

    #[test]
    fn a_hand_made_file_keeps_one_way_rules_the_big_component_and_finds_places() {
        let f = hand_made();
        let (g, r) = DriveGraph::from_pbf(f.path()).expect("loads");
        assert_eq!(
            (
                r.drivable_ways,
                r.oneway_ways,
                r.raw_nodes,
                r.nodes,
                r.dropped_nodes
            ),
            (4, 1, 6, 4, 2),
            "{r:?}"
        );
        assert_eq!(r.excluded_ways.get("access=no/private"), Some(&1));
        assert_eq!(r.excluded_ways.get("not a road for cars"), Some(&1));
        let (a, b) = ((30.05, 119.95), (30.05, 119.952));
        let ab = g.seconds_from(a, &[b])[0].expect("1 → 2");
        let ba = g.seconds_from(b, &[a])[0].expect("2 → 1 the long way");
        // 1 → 2 is ~193 m at 40 km/h (~17 s); back is 2 → 3 → 4 → 1, ~580 m at 25–30 km/h.
        assert!((15.0..20.0).contains(&ab), "{ab}");
        assert!(ba > 3.0 * ab, "{ba} vs {ab}");
        assert_eq!(g.seconds_to(&[b], a), vec![Some(ba)]);
        assert!(
            g.snap(30.0701, 119.9601).is_none(),
            "the far street was dropped"
        );

        let hospitals = osm_hospitals(f.path()).expect("hospitals");
        assert_eq!(hospitals.len(), 1);
        assert_eq!(
            (hospitals[0].osm.as_str(), hospitals[0].name.as_deref()),
            ("node/30", Some("富阳区第一人民医院"))
        );
        let parking = osm_parking(f.path()).expect("parking");
        assert_eq!(parking.len(), 2);
        let lot = parking
            .iter()
            .find(|p| p.osm == "way/106")
            .expect("the car park way");
        assert_eq!(
            (lot.capacity, lot.capacity_disabled, lot.capacity_charging),
            (Some(120), Some(4), Some(10))
        );
        assert_eq!(
            (
                lot.parking.as_deref(),
                lot.fee.as_deref(),
                lot.access.as_deref()
            ),
            (Some("multi-storey"), Some("yes"), Some("customers"))
        );
        assert!(
            (lot.lat - 30.0504).abs() < 1e-6 && (lot.lon - 119.9504).abs() < 1e-6,
            "centroid {lot:?}"
        );
        let street = parking
            .iter()
            .find(|p| p.osm == "node/31")
            .expect("the street bays");
        assert_eq!(street.capacity, None, "capacity=yes is not a number");
    }

    #[test]
    fn real_car_parks_are_found() {
        let helsinki =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/osm/helsinki-centre.osm.pbf");
        let parking = osm_parking(&helsinki).expect("parking");
        assert!(parking.len() >= 40, "{}", parking.len());
        assert!(
            parking
                .iter()
                .any(|p| p.parking.as_deref() == Some("underground"))
        );
        assert!(
            parking
                .iter()
                .all(|p| (60.0..60.3).contains(&p.lat) && (24.8..25.1).contains(&p.lon)),
            "centroids inside the extract"
        );
        let sp = osm_parking(&sao_paulo()).expect("parking");
        assert!(
            sp.len() >= 3 && sp.iter().all(|p| p.osm.starts_with("node/")),
            "{sp:?}"
        );
        // Neither sample extract maps a hospital (amenity=hospital): the street network only.
        assert!(osm_hospitals(&helsinki).expect("hospitals").is_empty());
    }

    #[test]
    fn sao_paulo_loads_fast_and_drives_plausibly() {
        let start = std::time::Instant::now();
        let (g, report) = DriveGraph::from_pbf(&sao_paulo()).expect("loads");
        let load = start.elapsed();
        eprintln!("{report:?} in {load:?}");
        assert!(
            report.nodes > 10_000 && report.oneway_ways > 1_000,
            "{report:?}"
        );
        assert!(report.dropped_nodes < report.nodes / 5, "{report:?}");
        assert!(load.as_secs_f64() < 5.0, "loaded in {load:?} (debug build)");
        // A one-way arc u → v: driving v → u must go round, so it takes longer.
        let (u, v) = (0..g.node_count() as u32)
            .find_map(|u| {
                g.arcs_from(u)
                    .iter()
                    .find(|a| !g.arcs_from(a.to).iter().any(|b| b.to == u))
                    .map(|a| (u, a.to))
            })
            .expect("a one-way arc");
        let (pu, pv) = (g.node_lat_lon(u).expect("u"), g.node_lat_lon(v).expect("v"));
        let fw = g.seconds_from(pu, &[pv])[0].expect("forward");
        let back = g.seconds_from(pv, &[pu])[0].expect("strongly connected: back round the block");
        assert!(back > fw, "{back} vs {fw}");

        // Praça da Sé to about 1 km east and to about 1 km north (straight line).
        let se = (-23.5503, -46.6339);
        let targets = [(-23.5503, -46.6241), (-23.5413, -46.6339)];
        let secs = g.seconds_from(se, &targets);
        for (t, s) in targets.iter().zip(&secs) {
            let s = s.expect("reached");
            let km = geom::haversine_m((se.1, se.0), (t.1, t.0)) / 1000.0;
            eprintln!("{km:.2} km straight: {s:.0} s by car");
            assert!(s > 60.0 * km && s < 60.0 * 6.0 * km, "{s} s for {km} km");
        }
        // One search from a point to 20 points 0.5–2.5 km around it (like 20 car parks).
        let lots: Vec<(f64, f64)> = (0..20)
            .map(|i| {
                let a = f64::from(i) * 0.7;
                let r = 0.005 + 0.001 * f64::from(i);
                (se.0 + r * a.sin(), se.1 + r * a.cos())
            })
            .collect();
        let mut search = DriveSearch::new(&g);
        let runs = 20;
        let start = std::time::Instant::now();
        let mut secs = Vec::new();
        for _ in 0..runs {
            secs = g.seconds_from_in(&mut search, se, &lots);
        }
        let per = start.elapsed() / runs;
        eprintln!("one search to 20 points: {per:?}; {secs:?}");
        assert!(
            secs.iter().filter(|s| s.is_some()).count() >= 18,
            "{secs:?}"
        );
        assert!(secs.iter().flatten().all(|s| *s > 0.0 && *s < 1800.0));
        assert!(per.as_millis() < 50, "{per:?} (debug build)");
    }
}
