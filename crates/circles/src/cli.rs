//! CLI glue for `minsheng circles …`: clap subcommands, an indicatif progress bar and plain-text
//! reports over the engine. Behind the `cli` feature.

use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use anyhow::{Context, bail};
use indicatif::{ProgressBar, ProgressStyle};

use crate::areas::AreaKind;
use crate::analysis::{AnalysisInputs, AnalysisOptions, AreaSource, PopulationInput, analyse};
use crate::bench::{self, BenchOptions};
use crate::norms::Norms;
use crate::progress::{NoProgress, Progress};
use crate::service_network;
use crate::synth::{self, SynthOptions};

/// `minsheng circles …`
// Parsed once per process: boxing the large variant would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, clap::Subcommand)]
pub enum CirclesCommand {
    /// Analyse 15-minute service circles on an OSM street network and write GeoJSON, CSV and SVG.
    Analyse {
        /// OpenStreetMap PBF file with the street network (and, unless --no-osm-facilities, facilities).
        #[arg(long)]
        osm: PathBuf,
        /// Facility files (.csv with category,name,capacity,lon,lat or .geojson points); repeatable.
        #[arg(long = "facilities")]
        facilities: Vec<PathBuf>,
        /// Register files (the same formats): the categories they hold are counted from them
        /// alone, OSM's and other files' facilities of those categories left out; repeatable.
        #[arg(long = "register")]
        registers: Vec<PathBuf>,
        /// Ignore facilities tagged in the OSM file.
        #[arg(long)]
        no_osm_facilities: bool,
        /// Population CSV (points with lon,lat,population or H3 cells with h3/id,population).
        /// Without it, residents are estimated from OSM residential buildings.
        #[arg(long)]
        population: Option<PathBuf>,
        /// Facilities counted in a column of the population file, as COLUMN=CATEGORY
        /// (e.g. schools=primary_school); repeatable.
        #[arg(long = "facility-column", value_name = "COLUMN=CATEGORY")]
        facility_columns: Vec<String>,
        /// GeoJSON polygons (towns, communities) to report on; default: H3 cells.
        #[arg(long)]
        areas: Option<PathBuf>,
        /// H3 resolution of the cells when no --areas are given (default: that of the population grid, else 9).
        #[arg(long)]
        h3_resolution: Option<u8>,
        /// Walking profile: default (4.0 km/h) or elderly (3.0 km/h).
        #[arg(long, default_value = "default")]
        profile: String,
        /// Analyse only this category (key or Chinese name); repeatable.
        #[arg(long = "category")]
        categories: Vec<String>,
        /// Also analyse categories without any facility (they come out red).
        #[arg(long)]
        all_categories: bool,
        /// Norms file replacing the embedded data/circles/norms.toml.
        #[arg(long)]
        norms: Option<PathBuf>,
        /// Service centres of the 1+2+22+N network (CSV level,name,lon,lat); with it the share of
        /// personal items handleable near home is reported and written to service-network.json.
        #[arg(long)]
        centres: Option<PathBuf>,
        /// Service catalog directory whose personal items and levels score the centres
        /// (default: the embedded demo catalog).
        #[arg(long, requires = "centres")]
        catalog: Option<PathBuf>,
        /// Minutes on foot that count as "near home" for the service network.
        #[arg(long, default_value_t = 15.0)]
        service_minutes: f64,
        /// Share of personal items each resident should have near home (the seeds' 80 %).
        #[arg(long, default_value_t = 0.8)]
        service_target: f64,
        /// Output directory.
        #[arg(long)]
        out: PathBuf,
        /// Also write areas.geojson and areas.csv when the areas are H3 cells (a city has tens of
        /// thousands: hundreds of megabytes); with --areas they are always written.
        #[arg(long)]
        cell_files: bool,
        /// No progress bar.
        #[arg(long)]
        quiet: bool,
    },
    /// Write a synthetic street lattice (OSM PBF) with facilities and residents, for benchmarks.
    Synth {
        /// Lattice nodes (rounded up to a square).
        #[arg(long)]
        nodes: usize,
        /// Facilities in all, over 7 categories.
        #[arg(long, default_value_t = 5000)]
        facilities: usize,
        #[arg(long, default_value_t = 20_180_101)]
        seed: u64,
        /// Output directory (network.osm.pbf, facilities.csv, population.csv).
        #[arg(long)]
        out: PathBuf,
    },
    /// Benchmark import, nearest facility, counts within 15 minutes, E2SFCA and memory.
    Bench(BenchArgs),
}

/// The circles benchmark's options (`minsheng circles bench`, `minsheng bench circles`).
#[derive(Debug, Clone, clap::Args)]
pub struct BenchArgs {
    /// Network sizes in nodes, comma-separated.
    #[arg(long, value_delimiter = ',', default_values_t = [100_000usize, 1_000_000, 4_000_000])]
    nodes: Vec<usize>,
    #[arg(long, default_value_t = 5000)]
    facilities: usize,
    /// Also write the figures as JSON here.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Scratch directory for the synthetic files (default: the system temp dir).
    #[arg(long)]
    dir: Option<PathBuf>,
}

/// A progress bar on stderr, one stage after another.
struct Bar {
    bar: Mutex<Option<ProgressBar>>,
}

impl Bar {
    fn new() -> Self {
        Bar {
            bar: Mutex::new(None),
        }
    }
    fn with(&self, f: impl FnOnce(&mut Option<ProgressBar>)) {
        match self.bar.lock() {
            Ok(mut b) => f(&mut b),
            Err(p) => f(&mut p.into_inner()),
        }
    }
}

impl Progress for Bar {
    fn start(&self, stage: &str, total: u64) {
        self.with(|b| {
            if let Some(old) = b.take() {
                old.finish_and_clear();
            }
            let bar = if total > 0 {
                let pb = ProgressBar::new(total);
                if let Ok(style) =
                    ProgressStyle::with_template("{msg:40} [{bar:30}] {pos}/{len} {elapsed}")
                {
                    pb.set_style(style.progress_chars("=> "));
                }
                pb
            } else {
                let pb = ProgressBar::new_spinner();
                if let Ok(style) = ProgressStyle::with_template("{spinner} {msg:40} {elapsed}") {
                    pb.set_style(style);
                }
                pb.enable_steady_tick(Duration::from_millis(120));
                pb
            };
            bar.set_message(stage.to_string());
            *b = Some(bar);
        });
    }
    fn inc(&self, n: u64) {
        self.with(|b| {
            if let Some(bar) = b {
                bar.inc(n);
            }
        });
    }
    fn finish(&self) {
        self.with(|b| {
            if let Some(bar) = b.take() {
                let msg = bar.message();
                let secs = bar.elapsed().as_secs_f64();
                bar.finish_and_clear();
                eprintln!("  done: {msg} ({secs:.2} s)");
            }
        });
    }
}

/// Runs a `circles` subcommand.
pub fn run(cmd: CirclesCommand) -> anyhow::Result<()> {
    match cmd {
        CirclesCommand::Analyse {
            osm,
            facilities,
            registers,
            no_osm_facilities,
            population,
            facility_columns,
            areas,
            h3_resolution,
            profile,
            categories,
            all_categories,
            norms,
            centres,
            catalog,
            service_minutes,
            service_target,
            out,
            cell_files,
            quiet,
        } => {
            let norms = match norms {
                Some(p) => Norms::from_path(&p)?,
                None => Norms::default(),
            };
            // Read the centres and the catalog first: a bad file should fail before the long part.
            let network = match &centres {
                Some(path) => {
                    let records = service_network::load_centres(path)?;
                    let cat = match &catalog {
                        Some(dir) => catalog::Catalog::load_dir(dir)
                            .map_err(|e| anyhow::anyhow!("{}: {e}", dir.display()))?,
                        None => catalog::Catalog::try_demo()
                            .map_err(|e| anyhow::anyhow!("the embedded catalog: {e}"))?,
                    };
                    Some((records, service_network::personal_items(&cat)))
                }
                None => None,
            };
            let mut cols = Vec::new();
            for c in facility_columns {
                let Some((col, cat)) = c.split_once('=') else {
                    bail!("--facility-column `{c}`: expected COLUMN=CATEGORY")
                };
                cols.push((col.trim().to_string(), cat.trim().to_string()));
            }
            let inputs = AnalysisInputs {
                osm,
                facilities,
                osm_facilities: !no_osm_facilities,
                population: population.map_or(PopulationInput::Buildings, PopulationInput::File),
                facility_columns: cols,
                areas: areas.map_or(
                    AreaSource::H3 {
                        resolution: h3_resolution,
                    },
                    AreaSource::GeoJson,
                ),
                registers,
            };
            let options = AnalysisOptions {
                profile,
                categories,
                include_empty_categories: all_categories,
                // The command writes its files and ends: no point look-ups follow.
                keep_nearest: false,
            };
            let bar = Bar::new();
            let progress: &dyn Progress = if quiet { &NoProgress } else { &bar };
            let (graph, a) = analyse(&inputs, &options, &norms, progress)?;
            let network = match network {
                Some((records, items)) => {
                    progress.start("service network", 0);
                    let r = service_network::report(
                        &graph,
                        &a,
                        &records,
                        &items,
                        service_minutes,
                        service_target,
                        norms.walking.max_snap_m,
                    )?;
                    progress.finish();
                    Some(r)
                }
                None => None,
            };
            progress.start("write outputs", 0);
            let per_area = cell_files || !matches!(a.inputs.areas, AreaKind::H3 { .. });
            let mut written = a
                .write_files(&graph, &out, per_area)
                .with_context(|| format!("writing {}", out.display()))?;
            if let Some(r) = &network {
                let p = out.join("service-network.json");
                std::fs::write(&p, serde_json::to_string_pretty(r)?)
                    .with_context(|| format!("writing {}", p.display()))?;
                written.push(p);
            }
            progress.finish();
            print!("{}", report(&a));
            if let Some(r) = &network {
                print!("\n{}", service_network_report(r));
            }
            println!("\nwritten:");
            for p in written {
                println!("  {}", p.display());
            }
            if !per_area {
                println!(
                    "  (not areas.geojson and areas.csv: {} H3 cells; add --cell-files to write them)",
                    a.areas.len()
                );
            }
            Ok(())
        }
        CirclesCommand::Synth {
            nodes,
            facilities,
            seed,
            out,
        } => {
            let bar = Bar::new();
            let r = synth::generate(
                &out,
                &SynthOptions {
                    nodes,
                    facilities,
                    seed,
                    ..Default::default()
                },
                &bar,
            )?;
            println!("{}", serde_json::to_string_pretty(&r)?);
            Ok(())
        }
        CirclesCommand::Bench(BenchArgs {
            nodes,
            facilities,
            json,
            dir,
        }) => {
            let dir = dir.unwrap_or_else(|| std::env::temp_dir().join("minsheng-circles-bench"));
            let bar = Bar::new();
            let rows = bench::run(
                &BenchOptions {
                    sizes: nodes,
                    facilities,
                    dir,
                },
                &bar,
            )?;
            println!("{}", bench::table(&rows));
            if let Some(p) = json {
                std::fs::write(&p, serde_json::to_string_pretty(&rows)?)
                    .with_context(|| format!("writing {}", p.display()))?;
                println!("figures written to {}", p.display());
            }
            Ok(())
        }
    }
}

/// A plain-text report of the service network ("1+2+22+N", point 9).
pub fn service_network_report(r: &service_network::ServiceNetworkReport) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "service network 1+2+22+N: {} personal items, near home = within {} minutes ({} walker)",
        r.items, r.minutes, r.profile
    );
    for g in &r.item_groups {
        let levels: Vec<&str> = g.levels.levels().iter().map(|l| l.key()).collect();
        let _ = writeln!(
            s,
            "  {:>3} items handled at {}",
            g.items,
            levels.join(" / ")
        );
    }
    let _ = writeln!(
        s,
        "  {:.1}% of the items can be handled below the district level",
        r.share_below_district * 100.0
    );
    for l in &r.levels {
        if l.centres + l.too_far == 0 {
            continue;
        }
        let _ = writeln!(
            s,
            "  {:<13} {:>4} centres ({} too far from a street); {:5.1}% of residents within {} min",
            l.level.key(),
            l.centres,
            l.too_far,
            l.residents_within * 100.0,
            r.minutes
        );
    }
    let _ = writeln!(
        s,
        "near-home share of personal items: {:.1}% (population-weighted); {:.1}% of residents have at least {:.0}% near home; {} of {} areas reach {:.0}%",
        r.district.share * 100.0,
        r.district.meeting_target * 100.0,
        r.target * 100.0,
        r.areas_meeting_target,
        r.areas.len(),
        r.target * 100.0
    );
    s
}

/// A plain-text report of an analysis.
pub fn report(a: &crate::Analysis) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    let i = &a.inputs;
    let _ = writeln!(
        s,
        "profile: {} ({} km/h)",
        a.profile.key, a.profile.speed_kmh
    );
    if let Some(o) = &i.osm {
        let g = &o.graph;
        let _ = writeln!(
            s,
            "network: {} nodes, {} edges, {:.1} km kept; dropped {} components ({} nodes, {:.1} km); {} degree-2 nodes merged",
            g.nodes,
            g.edges,
            g.length_m / 1000.0,
            g.dropped_components,
            g.dropped_nodes,
            g.dropped_length_m / 1000.0,
            g.merged_nodes
        );
    }
    let _ = writeln!(
        s,
        "residents: {:.0} from {} ({:.0} placed, {} records / {:.0} residents too far from any street)",
        i.population_total,
        match &i.population {
            crate::population::PopulationMethod::H3Cells { file, resolution } =>
                format!("H3 cells (res {resolution}) in {file}"),
            crate::population::PopulationMethod::Points { file } => format!("points in {file}"),
            crate::population::PopulationMethod::Buildings { buildings, .. } =>
                format!("an estimate from {buildings} OSM residential buildings"),
        },
        i.population_placed,
        i.population_records_dropped,
        i.population_dropped
    );
    let _ = writeln!(
        s,
        "areas: {} ({})",
        i.area_count,
        match &i.areas {
            crate::areas::AreaKind::GeoJson { file } => file.clone(),
            crate::areas::AreaKind::H3 { resolution } => format!("H3 resolution {resolution}"),
        }
    );
    let _ = writeln!(
        s,
        "\n{:<20} {:>5} {:>5} {:>7} {:>7} {:>7} {:>8} {:>9} {:>7}  green/blue/yellow/orange/red",
        "category", "min", "fac.", "≤5", "≤10", "≤15", "≤norm", "per 1000", "ratio"
    );
    for c in &a.categories {
        if !c.analysed {
            continue;
        }
        let d = &c.district;
        let _ = writeln!(
            s,
            "{:<20} {:>5} {:>5} {:>6.1}% {:>6.1}% {:>6.1}% {:>7.1}% {:>9.2} {:>7}  {:?}",
            c.key,
            c.norm_minutes,
            c.facilities,
            d.coverage[0] * 100.0,
            d.coverage[1] * 100.0,
            d.coverage[2] * 100.0,
            d.coverage_norm * 100.0,
            d.supply_per_1000,
            d.balance_ratio.map_or("-".into(), |r| format!("{r:.2}")),
            c.colour_counts
        );
    }
    let missing: Vec<&str> = a
        .categories
        .iter()
        .filter(|c| !c.analysed)
        .map(|c| c.key.as_str())
        .collect();
    if !missing.is_empty() {
        let _ = writeln!(s, "no facilities (not analysed): {}", missing.join(", "));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(subcommand)]
        cmd: CirclesCommand,
    }

    fn data(name: &str) -> String {
        format!("{}/../../data/osm/{name}", env!("CARGO_MANIFEST_DIR"))
    }

    #[test]
    fn analyse_through_the_cli() {
        let out = tempfile::tempdir().expect("tmp");
        let cli = Cli::try_parse_from([
            "circles",
            "analyse",
            "--osm",
            &data("sao-paulo-centre.osm.pbf"),
            "--population",
            &data("sao-paulo-hexgrid-population.csv"),
            "--facility-column",
            "schools=primary_school",
            "--centres",
            &format!(
                "{}/../../data/circles/sao-paulo-centres.csv",
                env!("CARGO_MANIFEST_DIR")
            ),
            "--out",
            &out.path().display().to_string(),
            "--quiet",
        ])
        .expect("arguments");
        run(cli.cmd.clone()).expect("analyse");
        for f in ["service-network.json", "facilities.csv", "summary.json", "map.svg", "map-primary_school.svg"] {
            assert!(out.path().join(f).exists(), "{f}");
        }
        // Over H3 cells the per-cell files are written only when asked (issue 37).
        for f in ["areas.geojson", "areas.csv"] {
            assert!(!out.path().join(f).exists(), "{f} without --cell-files");
        }
        let mut with_cells = cli.cmd;
        if let CirclesCommand::Analyse { cell_files, .. } = &mut with_cells {
            *cell_files = true;
        }
        run(with_cells).expect("analyse --cell-files");
        for f in ["areas.geojson", "areas.csv"] {
            assert!(out.path().join(f).exists(), "{f} with --cell-files");
        }
        let bad = Cli::try_parse_from([
            "circles",
            "analyse",
            "--osm",
            "x.pbf",
            "--out",
            "o",
            "--facility-column",
            "schools",
            "--quiet",
        ])
        .expect("parse");
        assert!(run(bad.cmd).is_err());
    }

    #[test]
    fn synth_and_bench_through_the_cli() {
        let out = tempfile::tempdir().expect("tmp");
        let o = out.path().display().to_string();
        let cli = Cli::try_parse_from([
            "circles",
            "synth",
            "--nodes",
            "2500",
            "--facilities",
            "70",
            "--out",
            &o,
        ])
        .expect("args");
        run(cli.cmd).expect("synth");
        assert!(out.path().join("network.osm.pbf").exists());
        let json = out.path().join("bench.json");
        let cli = Cli::try_parse_from([
            "circles",
            "bench",
            "--nodes",
            "3000",
            "--facilities",
            "70",
            "--dir",
            &o,
            "--json",
            &json.display().to_string(),
        ])
        .expect("args");
        run(cli.cmd).expect("bench");
        let rows: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&json).expect("json")).expect("parse");
        assert!(rows[0]["nearest_ms"].as_f64().is_some());
    }
}
