//! Import of an OpenStreetMap PBF file: the walking graph (ways a pedestrian may use, split at
//! junctions, lengths along the geometry), facilities found by the norms' tag rules, and
//! residential buildings for population estimates.

use std::collections::BTreeMap;
use std::path::Path;

use crate::error::{Error, Result};
use crate::facilities::Facility;
use crate::geom::{self, Fixed, Projection};
use crate::graph::{BuildOptions, BuildReport, Graph, RawEdge, RawNetwork};
use crate::norms::Norms;
use crate::progress::Progress;

/// How a walkable way is walked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WalkClass {
    /// Level walking.
    Flat,
    /// Steps: slowed by the norms' `steps_factor`.
    Steps,
}

/// Why a way with a `highway` tag was left out.
fn exclusion<'a>(
    get: &dyn Fn(&str) -> Option<&'a str>,
) -> std::result::Result<WalkClass, &'static str> {
    let Some(highway) = get("highway") else {
        return Err("no highway tag");
    };
    let foot = get("foot");
    let foot_yes = matches!(foot, Some("yes" | "designated" | "permissive" | "official"));
    if matches!(foot, Some("no" | "use_sidepath" | "private")) {
        return Err("foot=no");
    }
    if matches!(get("access"), Some("no" | "private")) && !foot_yes {
        return Err("access=private/no");
    }
    if matches!(get("area"), Some("yes")) && !matches!(highway, "pedestrian" | "footway") {
        return Err("highway area");
    }
    let class = match highway {
        "steps" => WalkClass::Steps,
        "footway" | "path" | "pedestrian" | "residential" | "living_street" | "service"
        | "unclassified" | "tertiary" | "tertiary_link" | "secondary" | "secondary_link"
        | "primary" | "primary_link" | "trunk" | "trunk_link" | "track" | "cycleway"
        | "bridleway" | "corridor" | "platform" | "road" | "crossing" | "elevator" | "sidewalk" => {
            WalkClass::Flat
        }
        "motorway" | "motorway_link" if !foot_yes => return Err("motorway"),
        "construction" | "proposed" | "abandoned" | "disused" | "razed" => return Err("not built"),
        _ if foot_yes => WalkClass::Flat,
        _ => return Err("other highway"),
    };
    Ok(class)
}

/// Whether a way with these tags is walkable, and how.
pub fn walk_class<'a>(get: &dyn Fn(&str) -> Option<&'a str>) -> Option<WalkClass> {
    exclusion(get).ok()
}

/// The school levels an `amenity=school` serves: from `isced:level`, `school:level`, `school`
/// or a Chinese name; a school with no level counts as primary.
pub fn school_levels<'a>(get: &dyn Fn(&str) -> Option<&'a str>) -> Vec<&'static str> {
    let mut primary = false;
    let mut middle = false;
    let mut known = false;
    if let Some(v) = get("isced:level") {
        known = true;
        primary |= v.contains('1');
        middle |= v.contains('2');
    }
    for key in ["school:level", "school"] {
        if let Some(v) = get(key) {
            for part in v.split([';', ',']) {
                match part.trim() {
                    "primary" | "elementary" => (primary, known) = (true, true),
                    "middle" | "secondary" | "lower_secondary" | "junior_high" => {
                        (middle, known) = (true, true)
                    }
                    "upper_secondary" | "high" | "senior_high" => known = true,
                    _ => {}
                }
            }
        }
    }
    if !known && let Some(name) = get("name:zh").or_else(|| get("name")) {
        if name.contains("九年一贯") {
            (primary, middle, known) = (true, true, true);
        } else if name.contains("小学") {
            (primary, known) = (true, true);
        } else if name.contains("初中") || name.contains("初级中学") {
            (middle, known) = (true, true);
        } else if name.contains("高中") || name.contains("高级中学") {
            known = true;
        } else if name.contains("中学") {
            (middle, known) = (true, true);
        }
    }
    let mut out = Vec::new();
    if primary || !known {
        out.push("primary");
    }
    if middle {
        out.push("middle");
    }
    out
}

/// The first number in a capacity-like tag value ("120", "1,200", "about 80 beds").
pub fn parse_number(v: &str) -> Option<f64> {
    let cleaned: String = v.chars().filter(|c| *c != ',' && *c != '_').collect();
    let start = cleaned.find(|c: char| c.is_ascii_digit())?;
    let rest = &cleaned[start..];
    let end = rest
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(rest.len());
    rest[..end]
        .parse::<f64>()
        .ok()
        .filter(|x| x.is_finite() && *x >= 0.0)
}

/// A residential building found in the file.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Building {
    pub lon: f64,
    pub lat: f64,
    pub footprint_m2: f64,
    /// From `building:levels`, or `None` when untagged.
    pub levels: Option<f64>,
    pub kind: String,
    pub osm_id: i64,
}

/// What the import read, kept and dropped.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct OsmReport {
    pub file: String,
    pub nodes: u64,
    pub ways: u64,
    pub relations: u64,
    pub walkable_ways: u64,
    /// Ways with a highway tag that were left out, by reason.
    pub excluded_ways: BTreeMap<String, u64>,
    pub steps_ways: u64,
    /// Way node references whose node is missing from the extract.
    pub missing_node_refs: u64,
    pub graph: BuildReport,
    /// Facilities found, by category key.
    pub facilities: BTreeMap<String, u64>,
    /// Relations (multipolygons) with facility tags, not imported.
    pub facility_relations_skipped: u64,
    pub residential_buildings: u64,
    pub buildings_with_levels: u64,
    /// Residential buildings left out because the extract cuts their outline.
    pub buildings_cut_by_extract: u64,
}

/// Everything taken from one PBF file.
#[derive(Debug, Clone)]
pub struct OsmImport {
    pub graph: Graph,
    pub facilities: Vec<Facility>,
    pub buildings: Vec<Building>,
    pub report: OsmReport,
}

enum AreaKind {
    Facility {
        category: usize,
        name: String,
        capacity: Option<f64>,
        footprint_capacity: bool,
    },
    Building {
        kind: String,
        levels: Option<f64>,
    },
}

struct AreaWay {
    id: i64,
    first: usize,
    len: usize,
    kind: AreaKind,
}

#[derive(Default)]
struct Collected {
    nodes: Vec<(i64, Fixed)>,
    sorted: bool,
    last_id: i64,
    way_refs: Vec<i64>,
    walk_ways: Vec<(usize, usize, WalkClass)>,
    area_refs: Vec<i64>,
    area_ways: Vec<AreaWay>,
    facilities: Vec<Facility>,
    report: OsmReport,
}

/// Facility matches of one element: `(category, name, capacity, capacity from footprint)`.
fn match_facilities<'t>(
    norms: &Norms,
    tags: &[(&'t str, &'t str)],
) -> Vec<(usize, String, Option<f64>, bool)> {
    let get = |k: &str| -> Option<&'t str> { tags.iter().find(|t| t.0 == k).map(|t| t.1) };
    if !tags.iter().any(|(k, _)| {
        matches!(
            *k,
            "amenity" | "healthcare" | "leisure" | "office" | "social_facility"
        )
    }) {
        return Vec::new();
    }
    let levels = if get("amenity") == Some("school") {
        school_levels(&get)
    } else {
        vec![""]
    };
    let name = get("name:zh")
        .or_else(|| get("name"))
        .or_else(|| get("name:en"))
        .unwrap_or("")
        .to_string();
    let mut out = Vec::new();
    for (ci, c) in norms.categories.iter().enumerate() {
        let hit = levels.iter().any(|lvl| {
            let g = |k: &str| {
                if k == "school_level" {
                    (!lvl.is_empty()).then_some(*lvl)
                } else {
                    get(k)
                }
            };
            c.rules.iter().any(|r| r.matches(g))
        });
        if hit {
            let mut capacity = None;
            let mut footprint = false;
            for t in &c.capacity_tags {
                if t == "footprint" {
                    footprint = true;
                    break;
                }
                if let Some(v) = get(t).and_then(parse_number) {
                    capacity = Some(v);
                    break;
                }
            }
            out.push((ci, name.clone(), capacity, footprint && capacity.is_none()));
        }
    }
    out
}

fn facility(
    norms: &Norms,
    ci: usize,
    name: String,
    capacity: Option<f64>,
    lon: f64,
    lat: f64,
    source: String,
) -> Facility {
    let c = &norms.categories[ci];
    Facility {
        category: ci,
        name,
        capacity: capacity.unwrap_or(c.default_capacity),
        capacity_estimated: capacity.is_none(),
        lon,
        lat,
        source,
    }
}

impl Collected {
    fn node(&mut self, norms: &Norms, id: i64, p: Fixed, tags: &[(&str, &str)]) {
        self.report.nodes += 1;
        if id <= self.last_id {
            self.sorted = false;
        }
        self.last_id = id;
        self.nodes.push((id, p));
        if !tags.is_empty() {
            let (lon, lat) = geom::from_fixed(p);
            for (ci, name, cap, _) in match_facilities(norms, tags) {
                self.facilities.push(facility(
                    norms,
                    ci,
                    name,
                    cap,
                    lon,
                    lat,
                    format!("osm node {id}"),
                ));
            }
        }
    }

    fn way<'t>(
        &mut self,
        norms: &Norms,
        id: i64,
        refs: impl Iterator<Item = i64>,
        tags: &[(&'t str, &'t str)],
    ) {
        self.report.ways += 1;
        let get = |k: &str| -> Option<&'t str> { tags.iter().find(|t| t.0 == k).map(|t| t.1) };
        let refs: Vec<i64> = refs.collect();
        if get("highway").is_some() {
            match exclusion(&get) {
                Ok(class) => {
                    self.report.walkable_ways += 1;
                    if class == WalkClass::Steps {
                        self.report.steps_ways += 1;
                    }
                    self.walk_ways
                        .push((self.way_refs.len(), refs.len(), class));
                    self.way_refs.extend_from_slice(&refs);
                }
                Err(reason) => {
                    *self
                        .report
                        .excluded_ways
                        .entry(reason.to_string())
                        .or_default() += 1
                }
            }
        }
        let closed = refs.len() >= 4 && refs.first() == refs.last();
        let push_area = |kind: AreaKind, area_refs: &mut Vec<i64>, area_ways: &mut Vec<AreaWay>| {
            area_ways.push(AreaWay {
                id,
                first: area_refs.len(),
                len: refs.len(),
                kind,
            });
            area_refs.extend_from_slice(&refs);
        };
        for (ci, name, capacity, footprint_capacity) in match_facilities(norms, tags) {
            push_area(
                AreaKind::Facility {
                    category: ci,
                    name,
                    capacity,
                    footprint_capacity: footprint_capacity && closed,
                },
                &mut self.area_refs,
                &mut self.area_ways,
            );
        }
        if closed
            && let Some(b) = get("building")
            && norms
                .population
                .residential_buildings
                .iter()
                .any(|r| r == b)
        {
            let levels = get("building:levels")
                .and_then(parse_number)
                .filter(|l| *l >= 1.0 && *l < 200.0);
            push_area(
                AreaKind::Building {
                    kind: b.to_string(),
                    levels,
                },
                &mut self.area_refs,
                &mut self.area_ways,
            );
        }
    }

    fn relation(&mut self, norms: &Norms, tags: &[(&str, &str)]) {
        self.report.relations += 1;
        if !match_facilities(norms, tags).is_empty() {
            self.report.facility_relations_skipped += 1;
        }
    }
}

/// Node lookup by OSM id: direct when ids are dense, else binary search.
struct NodeIndex<'a> {
    nodes: &'a [(i64, Fixed)],
    dense_base: Option<i64>,
}

impl<'a> NodeIndex<'a> {
    fn new(nodes: &'a [(i64, Fixed)]) -> Self {
        let dense_base = nodes.first().map(|n| n.0).filter(|&b| {
            nodes
                .last()
                .is_some_and(|l| l.0 - b == nodes.len() as i64 - 1)
        });
        NodeIndex { nodes, dense_base }
    }

    fn get(&self, id: i64) -> Option<usize> {
        match self.dense_base {
            Some(b) => {
                let i = id.checked_sub(b)?;
                (i >= 0 && (i as usize) < self.nodes.len()).then_some(i as usize)
            }
            None => self.nodes.binary_search_by_key(&id, |n| n.0).ok(),
        }
    }
}

/// Imports a PBF file: walking graph, facilities and residential buildings.
pub fn import(path: &Path, norms: &Norms, progress: &dyn Progress) -> Result<OsmImport> {
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
    progress.start("read OSM elements", 0);
    let reader = osmpbf::ElementReader::from_path(path).map_err(|e| pbf_err(e.to_string()))?;
    let mut c = Collected {
        sorted: true,
        last_id: i64::MIN,
        ..Default::default()
    };
    // osmpbf decodes untrusted input; a panic inside it must become an error, not a crash.
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let mut count = 0u64;
        reader.for_each(|el| {
            count += 1;
            if count.is_multiple_of(100_000) {
                progress.inc(100_000);
            }
            match el {
                osmpbf::Element::DenseNode(n) => {
                    let t: Vec<(&str, &str)> = n.tags().collect();
                    c.node(norms, n.id(), [n.decimicro_lon(), n.decimicro_lat()], &t);
                }
                osmpbf::Element::Node(n) => {
                    let t: Vec<(&str, &str)> = n.tags().collect();
                    c.node(norms, n.id(), [n.decimicro_lon(), n.decimicro_lat()], &t);
                }
                osmpbf::Element::Way(w) => {
                    let t: Vec<(&str, &str)> = w.tags().collect();
                    c.way(norms, w.id(), w.refs(), &t);
                }
                osmpbf::Element::Relation(r) => {
                    let t: Vec<(&str, &str)> = r.tags().collect();
                    c.relation(norms, &t);
                }
            }
        })
    }));
    match result {
        Ok(Ok(())) => {}
        Ok(Err(e)) => return Err(pbf_err(e.to_string())),
        Err(_) => return Err(pbf_err("the decoder failed on malformed data".into())),
    }
    progress.finish();
    c.report.file = path.display().to_string();
    if c.nodes.is_empty() {
        return Err(Error::Empty {
            what: path.display().to_string(),
            message: "no nodes".into(),
        });
    }
    if !c.sorted {
        c.nodes.sort_unstable_by_key(|n| n.0);
        c.nodes.dedup_by_key(|n| n.0);
    }
    let buildings = resolve_areas(&mut c, norms);
    progress.start("build graph", c.walk_ways.len() as u64);
    let raw = raw_network(&mut c, norms.walking.steps_factor);
    // The OSM nodes and ways are not needed any more: free them before the graph is built, where
    // the import peaks.
    c.nodes = Vec::new();
    c.way_refs = Vec::new();
    c.area_refs = Vec::new();
    c.walk_ways = Vec::new();
    c.area_ways = Vec::new();
    let (graph, build) = Graph::build(&raw, BuildOptions::default()).map_err(|e| match e {
        Error::Empty { message, .. } => Error::Empty {
            what: path.display().to_string(),
            message,
        },
        other => other,
    })?;
    drop(raw);
    progress.finish();
    c.report.graph = build;

    for f in &c.facilities {
        *c.report
            .facilities
            .entry(norms.categories[f.category].key.clone())
            .or_default() += 1;
    }
    Ok(OsmImport {
        graph,
        facilities: c.facilities,
        buildings,
        report: c.report,
    })
}

fn mean(xy: &[[f64; 2]]) -> [f64; 2] {
    let s = xy
        .iter()
        .fold([0.0, 0.0], |a, p| [a[0] + p[0], a[1] + p[1]]);
    let n = xy.len().max(1) as f64;
    [s[0] / n, s[1] / n]
}

/// Resolves the collected areas: facility polygons become facilities (at their centroid, with
/// their footprint as capacity where the category counts it) and residential buildings are kept
/// for the population estimate.
fn resolve_areas(c: &mut Collected, norms: &Norms) -> Vec<Building> {
    let index = NodeIndex::new(&c.nodes);
    let mut buildings = Vec::new();
    for a in &c.area_ways {
        let ring: Vec<Fixed> = c.area_refs[a.first..a.first + a.len]
            .iter()
            .filter_map(|&r| index.get(r))
            .map(|i| c.nodes[i].1)
            .collect();
        if ring.is_empty() {
            c.report.missing_node_refs += a.len as u64;
            continue;
        }
        // A ring cut by the extract's edge has no true area.
        let complete = ring.len() == a.len;
        let (lon0, lat0) = geom::from_fixed(ring[0]);
        let proj = Projection::new(lon0, lat0);
        let xy: Vec<[f64; 2]> = ring.iter().map(|&p| proj.project_fixed(p)).collect();
        let closed = ring.len() >= 4 && ring.first() == ring.last();
        let (area, centre) = if closed {
            geom::ring_area_centroid(&xy[..xy.len() - 1])
        } else {
            (0.0, mean(&xy))
        };
        let (lon, lat) = proj.unproject(centre);
        match &a.kind {
            AreaKind::Facility {
                category,
                name,
                capacity,
                footprint_capacity,
            } => {
                let cap = if *footprint_capacity && complete && area.abs() > 1.0 {
                    Some(area.abs())
                } else {
                    *capacity
                };
                c.facilities.push(facility(
                    norms,
                    *category,
                    name.clone(),
                    cap,
                    lon,
                    lat,
                    format!("osm way {}", a.id),
                ));
            }
            AreaKind::Building { kind, levels } => {
                if !complete {
                    c.report.buildings_cut_by_extract += 1;
                } else if area.abs() > 1.0 {
                    c.report.residential_buildings += 1;
                    c.report.buildings_with_levels += u64::from(levels.is_some());
                    buildings.push(Building {
                        lon,
                        lat,
                        footprint_m2: area.abs(),
                        levels: *levels,
                        kind: kind.clone(),
                        osm_id: a.id,
                    });
                }
            }
        }
    }
    buildings
}

/// Splits the walkable ways at junctions into raw segments.
fn raw_network(c: &mut Collected, steps_factor: f64) -> RawNetwork {
    let index = NodeIndex::new(&c.nodes);
    // Resolve references once; usage counts mark junctions.
    let resolved: Vec<u32> = c
        .way_refs
        .iter()
        .map(|&r| index.get(r).map_or(u32::MAX, |i| i as u32))
        .collect();
    c.report.missing_node_refs += resolved.iter().filter(|&&r| r == u32::MAX).count() as u64;
    let mut usage = vec![0u8; c.nodes.len()];
    for &(first, len, _) in &c.walk_ways {
        let refs = &resolved[first..first + len];
        for (k, &r) in refs.iter().enumerate() {
            if r == u32::MAX {
                continue;
            }
            let end = k == 0 || k + 1 == len || refs[k - 1] == u32::MAX || refs[k + 1] == u32::MAX;
            let u = &mut usage[r as usize];
            *u = u.saturating_add(if end { 2 } else { 1 });
        }
    }
    let mut raw_id = vec![u32::MAX; c.nodes.len()];
    let mut raw = RawNetwork::default();
    let mut id_of = |i: u32, raw: &mut RawNetwork| {
        let slot = &mut raw_id[i as usize];
        if *slot == u32::MAX {
            *slot = raw.coords.len() as u32;
            raw.coords.push(c.nodes[i as usize].1);
        }
        *slot
    };
    let mut interior: Vec<Fixed> = Vec::new();
    for &(first, len, class) in &c.walk_ways {
        let refs = &resolved[first..first + len];
        let factor = if class == WalkClass::Steps {
            steps_factor
        } else {
            1.0
        };
        let mut start: Option<u32> = None;
        let mut length = 0.0f64;
        let mut prev: Option<u32> = None;
        interior.clear();
        for &r in refs {
            if r == u32::MAX {
                start = None;
                prev = None;
                interior.clear();
                length = 0.0;
                continue;
            }
            if let Some(p) = prev {
                if p == r {
                    continue;
                }
                length += geom::haversine_m(
                    geom::from_fixed(c.nodes[p as usize].1),
                    geom::from_fixed(c.nodes[r as usize].1),
                );
            }
            prev = Some(r);
            let junction = usage[r as usize] >= 2;
            match start {
                None => {
                    start = Some(r);
                }
                Some(s) if junction => {
                    let a = id_of(s, &mut raw);
                    let b = id_of(r, &mut raw);
                    let cost = (length * factor * 10.0).round().min(u32::MAX as f64 / 4.0) as u32;
                    if a != b || !interior.is_empty() {
                        raw.push_edge(
                            RawEdge {
                                a,
                                b,
                                cost,
                                length_m: length as f32,
                            },
                            &interior,
                        );
                    }
                    start = Some(r);
                    interior.clear();
                    length = 0.0;
                }
                Some(_) => interior.push(c.nodes[r as usize].1),
            }
        }
    }
    raw
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(
        pairs: &'static [(&'static str, &'static str)],
    ) -> impl Fn(&str) -> Option<&'static str> {
        move |k: &str| pairs.iter().find(|p| p.0 == k).map(|p| p.1)
    }

    #[test]
    fn walkability_follows_the_tags() {
        assert_eq!(
            walk_class(&tags(&[("highway", "footway")])),
            Some(WalkClass::Flat)
        );
        assert_eq!(
            walk_class(&tags(&[("highway", "steps")])),
            Some(WalkClass::Steps)
        );
        assert_eq!(walk_class(&tags(&[("highway", "motorway")])), None);
        assert_eq!(
            walk_class(&tags(&[("highway", "motorway"), ("foot", "yes")])),
            Some(WalkClass::Flat)
        );
        assert_eq!(
            walk_class(&tags(&[("highway", "residential"), ("foot", "no")])),
            None
        );
        assert_eq!(
            walk_class(&tags(&[("highway", "service"), ("access", "private")])),
            None
        );
        assert_eq!(
            walk_class(&tags(&[
                ("highway", "service"),
                ("access", "private"),
                ("foot", "yes")
            ])),
            Some(WalkClass::Flat)
        );
        assert_eq!(walk_class(&tags(&[("highway", "construction")])), None);
        assert_eq!(walk_class(&tags(&[("building", "yes")])), None);
    }

    #[test]
    fn school_levels_and_numbers() {
        assert_eq!(
            school_levels(&tags(&[("amenity", "school")])),
            vec!["primary"]
        );
        assert_eq!(
            school_levels(&tags(&[("isced:level", "1;2")])),
            vec!["primary", "middle"]
        );
        assert_eq!(
            school_levels(&tags(&[("isced:level", "2")])),
            vec!["middle"]
        );
        assert_eq!(
            school_levels(&tags(&[("isced:level", "3")])),
            Vec::<&str>::new()
        );
        assert_eq!(
            school_levels(&tags(&[("name", "富阳区实验小学")])),
            vec!["primary"]
        );
        assert_eq!(
            school_levels(&tags(&[("name", "富阳区东洲中学")])),
            vec!["middle"]
        );
        assert_eq!(parse_number("1,200"), Some(1200.0));
        assert_eq!(parse_number("about 80 beds"), Some(80.0));
        assert_eq!(parse_number("yes"), None);
    }
}
