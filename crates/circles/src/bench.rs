//! The benchmark: synthetic networks of given sizes, timed through import, the all-node
//! nearest-facility pass (one core), counts within 15 minutes, the E2SFCA and a full analysis,
//! with peak memory from `/proc/self/status` (VmHWM).

use std::path::PathBuf;
use std::time::Instant;

use serde::Serialize;

use crate::analysis::{Analysis, AnalysisOptions};
use crate::areas::Areas;
use crate::e2sfca::{Decay, e2sfca};
use crate::error::Result;
use crate::norms::Norms;
use crate::population;
use crate::progress::{NoProgress, Progress};
use crate::reach::{self, Supply, UNREACHED};
use crate::synth::{self, SynthOptions};

/// Benchmark settings.
#[derive(Debug, Clone, PartialEq)]
pub struct BenchOptions {
    /// Lattice sizes in nodes.
    pub sizes: Vec<usize>,
    /// Facilities in all (shared among 7 categories).
    pub facilities: usize,
    /// Where the synthetic files go.
    pub dir: PathBuf,
}

/// Figures for one network size. Times of per-category passes are medians over categories.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct BenchRow {
    pub nodes_requested: usize,
    pub nodes: usize,
    pub edges: usize,
    pub facilities: usize,
    pub residents: f64,
    pub synth_s: f64,
    /// Reading the PBF and building the CSR graph.
    pub import_s: f64,
    pub graph_bytes: usize,
    pub graph_bytes_per_node_edge: f64,
    /// All-node nearest facility, one category, one core.
    pub nearest_ms: f64,
    pub nearest_ms_per_million_nodes: f64,
    /// Counts and capacity within 5/10/15 minutes, one category (all cores).
    pub within_ms: f64,
    /// E2SFCA, one category (all cores).
    pub e2sfca_ms: f64,
    /// A full analysis of 7 categories (placing facilities and residents included).
    pub full_analysis_s: f64,
    pub peak_import_mb: f64,
    pub peak_import_bytes_per_node_edge: f64,
    pub peak_analysis_mb: f64,
    pub peak_analysis_bytes_per_node_edge: f64,
    pub threads: usize,
}

/// Peak resident set size in bytes (VmHWM), if the platform reports it.
pub fn peak_rss_bytes() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// Current resident set size in bytes (VmRSS), if the platform reports it.
pub fn rss_bytes() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// Resets the peak RSS counter (Linux `clear_refs` 5); returns whether it worked.
pub fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

fn median(mut v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    let m = v.len() / 2;
    if v.len() % 2 == 1 {
        v[m]
    } else {
        (v[m - 1] + v[m]) / 2.0
    }
}

fn mb(b: Option<u64>) -> f64 {
    b.map_or(0.0, |b| b as f64 / 1_048_576.0)
}

/// Runs the benchmark for each size, smallest first.
pub fn run(opts: &BenchOptions, progress: &dyn Progress) -> Result<Vec<BenchRow>> {
    let norms = Norms::default();
    let mut rows = Vec::new();
    let mut sizes = opts.sizes.clone();
    sizes.sort_unstable();
    for &n in &sizes {
        let dir = opts.dir.join(format!("synth-{n}"));
        let so = SynthOptions {
            nodes: n,
            facilities: opts.facilities,
            ..Default::default()
        };
        progress.start(&format!("{n} nodes: synthesise"), 0);
        let t = Instant::now();
        let rep = synth::generate(&dir, &so, &NoProgress)?;
        let synth_s = t.elapsed().as_secs_f64();
        progress.finish();

        progress.start(&format!("{n} nodes: import"), 0);
        reset_peak_rss();
        let t = Instant::now();
        let imp = crate::osm::import(&rep.osm, &norms, &NoProgress)?;
        let import_s = t.elapsed().as_secs_f64();
        let peak_import = peak_rss_bytes();
        progress.finish();
        let graph = imp.graph;
        drop(imp.facilities);
        drop(imp.buildings);
        let facilities = crate::facilities::load(&rep.facilities, &norms)?;
        let table = population::load_csv(&rep.population)?;
        // Areas: H3 resolution 8 (0.74 km², the size of an urban community 社区).
        let areas = Areas::h3_covering(table.records.iter().map(|r| (r.lon, r.lat)), 8)?;

        progress.start(&format!("{n} nodes: full analysis"), 0);
        reset_peak_rss();
        let t = Instant::now();
        let analysis = Analysis::compute(
            &graph,
            facilities,
            &table,
            areas,
            &norms,
            &AnalysisOptions::default(),
            &NoProgress,
        )?;
        let full_analysis_s = t.elapsed().as_secs_f64();
        let peak_analysis = peak_rss_bytes();
        progress.finish();

        // Per-category passes, timed alone.
        progress.start(&format!("{n} nodes: per-category passes"), 0);
        let profile = norms.profile("default")?.clone();
        let thresholds = [5.0, 10.0, 15.0].map(|m| profile.cost_of_minutes(m));
        let decay = Decay::new(&norms.e2sfca, &profile);
        let (mut near_ms, mut within_ms, mut e2_ms) = (Vec::new(), Vec::new(), Vec::new());
        let searchers = reach::Searchers::new(graph.node_count());
        for ci in 0..norms.categories.len() {
            let supplies: Vec<Supply> = analysis
                .facilities
                .iter()
                .filter(|f| f.facility.category == ci)
                .map(|f| Supply {
                    snap: f.snap,
                    capacity: f.facility.capacity as f32,
                })
                .collect();
            if supplies.is_empty() {
                continue;
            }
            let snaps: Vec<_> = supplies.iter().map(|s| s.snap).collect();
            let t = Instant::now();
            let r = reach::nearest_cost(&graph, &snaps, UNREACHED - 1);
            near_ms.push(t.elapsed().as_secs_f64() * 1e3);
            drop(r);
            let t = Instant::now();
            let w = reach::within(&graph, &supplies, thresholds, &searchers, &NoProgress);
            within_ms.push(t.elapsed().as_secs_f64() * 1e3);
            drop(w);
            let t = Instant::now();
            let e = e2sfca(
                &graph,
                &supplies,
                &analysis.demand.node_population,
                1.0,
                &decay,
                &searchers,
                &NoProgress,
                Vec::new(),
            );
            e2_ms.push(t.elapsed().as_secs_f64() * 1e3);
            drop(e);
        }
        progress.finish();
        let nodes = graph.node_count();
        let edges = graph.edge_count();
        let ne = (nodes + edges).max(1) as f64;
        let per_node_edge = |b: Option<u64>| b.map_or(0.0, |b| b as f64 / ne);
        let nearest_ms = median(near_ms);
        rows.push(BenchRow {
            nodes_requested: n,
            nodes,
            edges,
            facilities: analysis.facilities.len(),
            residents: analysis.inputs.population_placed.round(),
            synth_s,
            import_s,
            graph_bytes: graph.memory_bytes(),
            graph_bytes_per_node_edge: graph.memory_bytes() as f64 / ne,
            nearest_ms,
            nearest_ms_per_million_nodes: nearest_ms / (nodes as f64 / 1e6),
            within_ms: median(within_ms),
            e2sfca_ms: median(e2_ms),
            full_analysis_s,
            peak_import_mb: mb(peak_import),
            peak_import_bytes_per_node_edge: per_node_edge(peak_import),
            peak_analysis_mb: mb(peak_analysis),
            peak_analysis_bytes_per_node_edge: per_node_edge(peak_analysis),
            threads: rayon::current_num_threads(),
        });
        drop(analysis);
        drop(graph);
        let _ = std::fs::remove_dir_all(&dir);
    }
    Ok(rows)
}

/// The rows as a Markdown table.
pub fn table(rows: &[BenchRow]) -> String {
    let mut s = String::from(
        "| nodes | edges | import+build s | nearest ms/category (1 core) | ms per 1M nodes | within-15 ms/category | E2SFCA ms/category | full analysis s (7 cat.) | graph B/(n+e) | peak import MB | import B/(n+e) | peak analysis MB | analysis B/(n+e) |\n|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for r in rows {
        s.push_str(&format!(
            "| {} | {} | {:.2} | {:.1} | {:.1} | {:.1} | {:.1} | {:.2} | {:.1} | {:.0} | {:.1} | {:.0} | {:.1} |\n",
            r.nodes, r.edges, r.import_s, r.nearest_ms, r.nearest_ms_per_million_nodes, r.within_ms, r.e2sfca_ms, r.full_analysis_s,
            r.graph_bytes_per_node_edge, r.peak_import_mb, r.peak_import_bytes_per_node_edge, r.peak_analysis_mb, r.peak_analysis_bytes_per_node_edge
        ));
    }
    s
}
