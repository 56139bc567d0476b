//! Synthetic networks for the benchmark: a jittered street lattice with missing links and some
//! steps, written as an OSM PBF file, with facilities (CSV) and residents (H3 cells, CSV).

use std::collections::HashMap;
use std::fmt::Write as _;
use std::io::BufWriter;
use std::path::{Path, PathBuf};

use crate::areas::cell_of;
use crate::error::{Error, Result};
use crate::geom::{self, to_fixed};
use crate::pbf_write::PbfWriter;
use crate::progress::Progress;

/// What to generate.
#[derive(Debug, Clone, PartialEq)]
pub struct SynthOptions {
    /// Lattice nodes (rounded up to a square).
    pub nodes: usize,
    /// Facilities in all, shared equally among `categories`.
    pub facilities: usize,
    pub categories: Vec<String>,
    pub spacing_m: f64,
    /// Share of lattice links left out.
    pub missing_links: f64,
    /// Share of links that are steps.
    pub steps: f64,
    /// Mean residents per node.
    pub residents_per_node: f64,
    pub seed: u64,
    /// Centre of the lattice (lon, lat): 富阳区 by default.
    pub centre: (f64, f64),
}

impl Default for SynthOptions {
    fn default() -> Self {
        SynthOptions {
            nodes: 100_000,
            facilities: 5_000,
            categories: [
                "kindergarten",
                "primary_school",
                "middle_school",
                "clinic",
                "elderly_day_care",
                "care_home",
                "community_service",
            ]
            .map(String::from)
            .to_vec(),
            spacing_m: 80.0,
            missing_links: 0.05,
            steps: 0.01,
            residents_per_node: 6.0,
            seed: 20_180_101,
            centre: (119.96, 30.05),
        }
    }
}

/// The files written and what they hold.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SynthReport {
    pub osm: PathBuf,
    pub facilities: PathBuf,
    pub population: PathBuf,
    pub lattice_nodes: usize,
    pub ways: usize,
    pub links: usize,
    pub facility_count: usize,
    pub residents: f64,
    pub cells: usize,
}

/// A small, fast, seedable generator (SplitMix64).
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    pub fn f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    /// Uniform in 0..n.
    pub fn below(&mut self, n: usize) -> usize {
        (self.f64() * n as f64) as usize % n.max(1)
    }
}

/// Writes `network.osm.pbf`, `facilities.csv` and `population.csv` into `dir`.
pub fn generate(dir: &Path, opts: &SynthOptions, progress: &dyn Progress) -> Result<SynthReport> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    let side = (opts.nodes.max(4) as f64).sqrt().ceil() as usize;
    let mut rng = Rng::new(opts.seed);
    let proj = geom::Projection::new(opts.centre.0, opts.centre.1);
    let half = side as f64 * opts.spacing_m / 2.0;
    let jitter = opts.spacing_m * 0.18;
    let id = |r: usize, c: usize| (r * side + c + 1) as i64;
    let coord_of = |r: usize, c: usize, rng: &mut Rng| {
        let x = c as f64 * opts.spacing_m - half + (rng.f64() - 0.5) * 2.0 * jitter;
        let y = r as f64 * opts.spacing_m - half + (rng.f64() - 0.5) * 2.0 * jitter;
        let (lon, lat) = proj.unproject([x, y]);
        to_fixed(lon, lat)
    };
    let osm = dir.join("network.osm.pbf");
    let file = std::fs::File::create(&osm).map_err(|e| Error::io(&osm, e))?;
    let mut w =
        PbfWriter::new(BufWriter::with_capacity(1 << 20, file)).map_err(|e| Error::io(&osm, e))?;
    let io = |e: std::io::Error| Error::io(&osm, e);
    progress.start("synth: nodes", (side * side) as u64);
    let mut coords = Vec::with_capacity(side * side);
    let mut cell_pop: HashMap<u64, f64> = HashMap::new();
    let mut residents = 0.0;
    for r in 0..side {
        for c in 0..side {
            let p = coord_of(r, c, &mut rng);
            w.node(id(r, c), p, &[]).map_err(io)?;
            coords.push(p);
            let pop = (rng.f64() * 2.0 * opts.residents_per_node).round();
            if pop > 0.0 {
                let (lon, lat) = geom::from_fixed(p);
                if let Some(cell) = cell_of(lon, lat, 9) {
                    *cell_pop.entry(u64::from(cell)).or_default() += pop;
                    residents += pop;
                }
            }
        }
        progress.inc(side as u64);
    }
    progress.finish();
    progress.start("synth: ways", (2 * side) as u64);
    let mut way_id = 1i64;
    let mut ways = 0usize;
    let mut links = 0usize;
    let mut run: Vec<i64> = Vec::new();
    // Rows are residential streets, columns footways; a missing link ends a run, a step link
    // becomes its own way.
    for horizontal in [true, false] {
        let tags: &[(&str, &str)] = if horizontal {
            &[("highway", "residential")]
        } else {
            &[("highway", "footway")]
        };
        for a in 0..side {
            run.clear();
            for b in 0..side {
                let here = if horizontal { id(a, b) } else { id(b, a) };
                if run.is_empty() {
                    run.push(here);
                    continue;
                }
                let x = rng.f64();
                if x < opts.missing_links {
                    flush(&mut w, &mut way_id, &mut run, tags, &mut ways).map_err(io)?;
                    run.push(here);
                } else if x < opts.missing_links + opts.steps {
                    let prev = run.last().copied().unwrap_or(here);
                    flush(&mut w, &mut way_id, &mut run, tags, &mut ways).map_err(io)?;
                    w.way(way_id, &[prev, here], &[("highway", "steps")])
                        .map_err(io)?;
                    way_id += 1;
                    ways += 1;
                    links += 1;
                    run.push(here);
                } else {
                    run.push(here);
                    links += 1;
                }
            }
            flush(&mut w, &mut way_id, &mut run, tags, &mut ways).map_err(io)?;
            progress.inc(1);
        }
    }
    w.finish().map_err(io)?;
    progress.finish();

    // Facilities: at random lattice points, jittered off the street by up to 30 m.
    let facilities = dir.join("facilities.csv");
    let mut text = String::from("category,name,capacity,lon,lat\n");
    let per = opts.facilities / opts.categories.len().max(1);
    let mut count = 0;
    for (k, cat) in opts.categories.iter().enumerate() {
        let n = if k + 1 == opts.categories.len() {
            opts.facilities - per * k
        } else {
            per
        };
        for i in 0..n {
            let p = coords[rng.below(coords.len())];
            let (lon, lat) = geom::from_fixed(p);
            let xy = proj.project(lon, lat);
            let (lon, lat) = proj.unproject([
                xy[0] + (rng.f64() - 0.5) * 60.0,
                xy[1] + (rng.f64() - 0.5) * 60.0,
            ]);
            let capacity = 20 + rng.below(300);
            let _ = writeln!(text, "{cat},{cat} {},{capacity},{lon:.7},{lat:.7}", i + 1);
            count += 1;
        }
    }
    std::fs::write(&facilities, text).map_err(|e| Error::io(&facilities, e))?;
    let population = dir.join("population.csv");
    let mut cells: Vec<(u64, f64)> = cell_pop.into_iter().collect();
    cells.sort_unstable_by_key(|c| c.0);
    let mut text = String::from("h3,population\n");
    for (c, p) in &cells {
        if let Ok(cell) = h3o::CellIndex::try_from(*c) {
            let _ = writeln!(text, "{cell},{p}");
        }
    }
    std::fs::write(&population, text).map_err(|e| Error::io(&population, e))?;
    Ok(SynthReport {
        osm,
        facilities,
        population,
        lattice_nodes: side * side,
        ways,
        links,
        facility_count: count,
        residents,
        cells: cells.len(),
    })
}

fn flush<W: std::io::Write>(
    w: &mut PbfWriter<W>,
    way_id: &mut i64,
    run: &mut Vec<i64>,
    tags: &[(&str, &str)],
    ways: &mut usize,
) -> std::io::Result<()> {
    if run.len() >= 2 {
        w.way(*way_id, run, tags)?;
        *way_id += 1;
        *ways += 1;
    }
    run.clear();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::norms::Norms;
    use crate::progress::NoProgress;

    #[test]
    fn a_small_lattice_round_trips_through_the_importer() {
        let dir = tempfile::tempdir().expect("tmp");
        let opts = SynthOptions {
            nodes: 400,
            facilities: 14,
            missing_links: 0.0,
            steps: 0.0,
            ..Default::default()
        };
        let r = generate(dir.path(), &opts, &NoProgress).expect("synth");
        assert_eq!((r.lattice_nodes, r.links, r.ways), (400, 2 * 20 * 19, 40));
        let imp = crate::osm::import(&r.osm, &Norms::default(), &NoProgress).expect("import");
        // A full 20 × 20 lattice: the 4 corners are degree 2 and merge away.
        assert_eq!(imp.graph.node_count(), 396);
        assert_eq!(imp.graph.edge_count(), 760 - 4);
        assert_eq!(imp.report.graph.dropped_nodes, 0);
        let f = crate::facilities::load(&r.facilities, &Norms::default()).expect("facilities");
        assert_eq!(f.len(), 14);
        let p = crate::population::load_csv(&r.population).expect("population");
        assert_eq!(p.total(), r.residents);
    }
}
