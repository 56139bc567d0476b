//! A whole analysis: inputs placed on the graph, reach per category, coverage, balance index and
//! warning colours per area, with the summaries the CLI and the server hand out.

use std::path::PathBuf;
use std::time::Instant;

use serde::Serialize;

use crate::areas::{AreaKind, Areas, NO_AREA};
use crate::coverage;
use crate::e2sfca::{Decay, e2sfca};
use crate::error::{Error, Result};
use crate::facilities::{self, Facility, PlacedFacility};
use crate::geom::Polygon;
use crate::graph::Graph;
use crate::norms::{Norms, Profile};
use crate::osm::{self, OsmReport};
use crate::population::{self, Demand, PopulationMethod, PopulationTable};
use crate::progress::Progress;
use crate::reach::{self, Supply, UNREACHED};
use crate::snap::Snapper;
use crate::warning::{self, Colour};

/// Where the areas come from.
#[derive(Debug, Clone, PartialEq)]
pub enum AreaSource {
    /// Polygons of a GeoJSON file.
    GeoJson(PathBuf),
    /// H3 cells; `None` takes the population grid's resolution, else 9.
    H3 { resolution: Option<u8> },
}

/// Where the residents come from.
#[derive(Debug, Clone, PartialEq)]
pub enum PopulationInput {
    /// A CSV of points or H3 cells.
    File(PathBuf),
    /// Estimated from the OSM residential buildings.
    Buildings,
}

/// The input files of an analysis.
#[derive(Debug, Clone, PartialEq)]
pub struct AnalysisInputs {
    pub osm: PathBuf,
    /// Facility CSV/GeoJSON files.
    pub facilities: Vec<PathBuf>,
    /// Also take facilities from the OSM tags.
    pub osm_facilities: bool,
    pub population: PopulationInput,
    /// Facilities from count columns of the population file: `(column, category)`.
    pub facility_columns: Vec<(String, String)>,
    pub areas: AreaSource,
    /// Facility files that are the register of the categories they hold (the district's register
    /// of childcare institutions, say): every other facility of those categories — from OSM tags
    /// or other files — is left out, so that a category is counted once, from its register.
    pub registers: Vec<PathBuf>,
}

impl AnalysisInputs {
    /// An OSM file alone: facilities from its tags, residents from its buildings, H3 areas.
    pub fn osm_only(osm: impl Into<PathBuf>) -> Self {
        AnalysisInputs {
            osm: osm.into(),
            facilities: Vec::new(),
            osm_facilities: true,
            population: PopulationInput::Buildings,
            facility_columns: Vec::new(),
            areas: AreaSource::H3 { resolution: None },
            registers: Vec::new(),
        }
    }
}

/// Choices that are not inputs.
#[derive(Debug, Clone, PartialEq)]
pub struct AnalysisOptions {
    /// Walking profile key (`default`, `elderly`).
    pub profile: String,
    /// Analyse only these categories (keys); empty means every category.
    pub categories: Vec<String>,
    /// Also analyse categories without any facility (they come out red); by default they are
    /// reported as "no data" instead, since a missing layer is not a missing service.
    pub include_empty_categories: bool,
    /// Keep every node's metres to the nearest facility per category ([`Analysis::nearest`],
    /// 2 bytes per node per category) for [`Analysis::reach_at`] later; a one-off analysis
    /// that only writes its files does not need them.
    pub keep_nearest: bool,
}

impl Default for AnalysisOptions {
    fn default() -> Self {
        AnalysisOptions {
            profile: "default".into(),
            categories: Vec::new(),
            include_empty_categories: false,
            keep_nearest: true,
        }
    }
}

/// Indicators of one area (or of the whole study area) for one category.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Indicators {
    pub population: f64,
    /// Share of residents within 5, 10 and 15 minutes of the nearest facility.
    pub coverage: [f64; 3],
    /// Share within the category's norm time.
    pub coverage_norm: f64,
    /// Population-weighted mean minutes to the nearest facility (of those who reach one).
    pub mean_minutes: Option<f64>,
    /// Share of residents with no facility reachable at all.
    pub unreached: f64,
    /// Mean number of facilities within the norm time.
    pub mean_facilities_within_norm: f64,
    /// Mean capacity within the norm time.
    pub mean_capacity_within_norm: f64,
    /// E2SFCA supply per 1,000 of the category's demand (residents or elderly).
    pub supply_per_1000: f64,
    /// `supply_per_1000` ÷ the norm, when the category has one.
    pub balance_ratio: Option<f64>,
    /// The warning colour; `None` for an area without residents.
    pub colour: Option<Colour>,
    /// Facilities standing inside the area.
    pub facilities: usize,
}

/// [`Indicators`] of one area, as an analysis keeps them: a million-node network has some
/// 80,000 areas × 7 categories, and at 120 bytes each they were a third of the command's memory
/// (issue 37). Shares and means are `f32` (their outputs have 2–4 decimals), "none" is NaN, the
/// population is the area's and the balance ratio is worked out from the supply when asked for.
#[derive(Debug, Clone, Copy)]
pub struct PackedIndicators {
    supply_per_1000: f64,
    mean_capacity_within_norm: f64,
    /// Within 5, 10, 15 minutes and the norm.
    coverage: [f32; 4],
    mean_minutes: f32,
    unreached: f32,
    mean_facilities_within_norm: f32,
    facilities: u32,
    colour: Option<Colour>,
}

impl PackedIndicators {
    fn pack(i: &Indicators) -> Self {
        PackedIndicators {
            supply_per_1000: i.supply_per_1000,
            mean_capacity_within_norm: i.mean_capacity_within_norm,
            coverage: [i.coverage[0] as f32, i.coverage[1] as f32, i.coverage[2] as f32, i.coverage_norm as f32],
            mean_minutes: i.mean_minutes.map_or(f32::NAN, |m| m as f32),
            unreached: i.unreached as f32,
            mean_facilities_within_norm: i.mean_facilities_within_norm as f32,
            facilities: u32::try_from(i.facilities).unwrap_or(u32::MAX),
            colour: i.colour,
        }
    }

    /// The indicators of an area of `population` residents in a category with `norm_per_1000`.
    pub fn unpack(&self, population: f64, norm_per_1000: Option<f64>) -> Indicators {
        let wide = |x: f32| f64::from(x);
        Indicators {
            population,
            coverage: [wide(self.coverage[0]), wide(self.coverage[1]), wide(self.coverage[2])],
            coverage_norm: wide(self.coverage[3]),
            mean_minutes: (!self.mean_minutes.is_nan()).then(|| wide(self.mean_minutes)),
            unreached: wide(self.unreached),
            mean_facilities_within_norm: wide(self.mean_facilities_within_norm),
            mean_capacity_within_norm: self.mean_capacity_within_norm,
            supply_per_1000: self.supply_per_1000,
            balance_ratio: norm_per_1000.map(|nm| self.supply_per_1000 / nm),
            colour: self.colour,
            facilities: self.facilities as usize,
        }
    }

    /// The warning colour; `None` for an area without residents.
    pub fn colour(&self) -> Option<Colour> {
        self.colour
    }
}

/// One category of an analysis.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CategoryResult {
    pub key: String,
    pub name_zh: String,
    pub name_en: String,
    pub norm_minutes: u32,
    pub capacity_unit: String,
    pub norm_per_1000: Option<f64>,
    /// Whether it was analysed (it has facilities, or empty categories were asked for).
    pub analysed: bool,
    pub facilities: usize,
    pub facilities_too_far: usize,
    pub capacity_total: f64,
    pub capacity_estimated: usize,
    /// Indicators over the whole study area.
    pub district: Indicators,
    /// Number of areas of each colour: green, blue, yellow, orange, red.
    pub colour_counts: [usize; 5],
}

/// One area; its indicators per category are in [`Analysis::indicators`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AreaResult {
    pub id: String,
    pub name: String,
    pub population: f64,
    /// Residents of the area the input gave but left out, for living further than the snapping
    /// limit (500 m) from any street: no figure counts them.
    pub unreachable_population: f64,
    /// Mean grade of its categories' colours.
    pub overall: Option<Colour>,
}

/// What the inputs were and what happened to them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InputReport {
    pub osm: Option<OsmReport>,
    pub population: PopulationMethod,
    pub population_total: f64,
    pub population_placed: f64,
    pub population_records_dropped: usize,
    pub population_dropped: f64,
    pub areas: AreaKind,
    pub area_count: usize,
    pub facility_files: Vec<String>,
    pub graph_nodes: usize,
    pub graph_edges: usize,
    pub graph_bytes: usize,
    /// What a reader of the figures should know about the inputs (blank cells counted as zero, …).
    pub notes: Vec<String>,
}

/// A finished analysis. Per-node arrays are kept for point queries and maps; summaries and
/// areas serialise to JSON.
#[derive(Debug, Clone, Serialize)]
pub struct Analysis {
    pub profile: Profile,
    /// The three thresholds in minutes.
    pub thresholds_minutes: [f64; 3],
    pub inputs: InputReport,
    pub categories: Vec<CategoryResult>,
    pub areas: Vec<AreaResult>,
    /// Per category (None when not analysed), per area: the indicators ([`Analysis::indicator`]).
    #[serde(skip)]
    pub indicators: Vec<Option<Vec<PackedIndicators>>>,
    /// Seconds per stage.
    pub timings: Vec<(String, f64)>,
    /// Per area, its polygons; empty for H3 cells ([`Analysis::polygons`] draws them from the id).
    #[serde(skip)]
    pub area_polygons: Vec<Vec<Polygon>>,
    #[serde(skip)]
    pub facilities: Vec<PlacedFacility>,
    /// Per category (None when not analysed): flat-walking metres to the nearest facility per
    /// node, rounded up; [`NEAREST_NONE`] when unreachable or beyond 65.5 km.
    #[serde(skip)]
    pub nearest: Vec<Option<Vec<u16>>>,
    #[serde(skip)]
    pub demand: Demand,
    #[serde(skip)]
    pub warning: crate::norms::WarningNorms,
}

/// Marks a node without a reachable facility in [`Analysis::nearest`].
pub const NEAREST_NONE: u16 = u16::MAX;

/// A cost in decimetres as whole metres (rounded up) in 16 bits.
fn compress(cost: u32) -> u16 {
    if cost >= UNREACHED - 1 {
        NEAREST_NONE
    } else {
        cost.div_ceil(10).min(NEAREST_NONE as u32 - 1) as u16
    }
}

/// The headline of an analysis, without areas.
#[derive(Debug, Clone, Serialize)]
pub struct Summary<'a> {
    pub profile: &'a Profile,
    pub thresholds_minutes: [f64; 3],
    pub inputs: &'a InputReport,
    pub categories: &'a [CategoryResult],
    pub overall_colour_counts: [usize; 5],
    /// Areas with residents left out for living too far from any street, and how many.
    pub unreachable_areas: Vec<UnreachableArea<'a>>,
    pub timings: &'a [(String, f64)],
}

/// An area with residents no street reaches (see [`AreaResult::unreachable_population`]).
#[derive(Debug, Clone, Serialize)]
pub struct UnreachableArea<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub residents: f64,
}

/// What one home reaches: per analysed category, minutes to the nearest facility and the
/// number within 5, 10 and 15 minutes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PointReach {
    pub category: String,
    pub minutes_to_nearest: Option<f64>,
    pub within: [u16; 3],
}

/// Loads every input, builds the graph and runs the analysis.
pub fn analyse(
    inputs: &AnalysisInputs,
    options: &AnalysisOptions,
    norms: &Norms,
    progress: &dyn Progress,
) -> Result<(Graph, Analysis)> {
    let t0 = Instant::now();
    let imp = osm::import(&inputs.osm, norms, progress)?;
    let t_import = t0.elapsed().as_secs_f64();
    let mut facilities: Vec<Facility> = if inputs.osm_facilities {
        imp.facilities
    } else {
        Vec::new()
    };
    for f in &inputs.facilities {
        facilities.extend(facilities::load(f, norms)?);
    }
    let mut registered = Vec::new();
    for f in &inputs.registers {
        registered.extend(facilities::load(f, norms)?);
    }
    if !registered.is_empty() {
        let categories: std::collections::HashSet<usize> = registered.iter().map(|f| f.category).collect();
        facilities.retain(|f| !categories.contains(&f.category));
        facilities.extend(registered);
    }
    let table = match &inputs.population {
        PopulationInput::File(p) => population::load_csv(p)?,
        PopulationInput::Buildings => {
            if imp.buildings.is_empty() {
                return Err(Error::Empty {
                    what: inputs.osm.display().to_string(),
                    message: "no residential buildings to estimate residents from; give a population file".into(),
                });
            }
            population::from_buildings(&imp.buildings, norms)
        }
    };
    let mut notes = Vec::new();
    for (col, cat) in &inputs.facility_columns {
        let ci = norms.category_index(cat).ok_or(Error::NotFound {
            what: "category",
            key: cat.clone(),
        })?;
        let (found, note) = population::facilities_from_column(&table, col, ci, norms)?;
        facilities.extend(found);
        notes.extend(note);
    }
    let areas = match &inputs.areas {
        AreaSource::GeoJson(p) => Areas::from_geojson(p)?,
        AreaSource::H3 { resolution } => {
            let grid_res = match table.method {
                PopulationMethod::H3Cells { resolution, .. } => Some(resolution),
                _ => None,
            };
            match (resolution.or(grid_res), grid_res) {
                (Some(r), Some(g)) if r == g => {
                    let mut cells: Vec<u64> = table
                        .records
                        .iter()
                        .filter(|r| r.population > 0.0)
                        .filter_map(|r| r.cell)
                        .collect();
                    cells.sort_unstable();
                    cells.dedup();
                    Areas::from_cells(&cells, g)
                }
                (r, _) => Areas::h3_covering(
                    table
                        .records
                        .iter()
                        .filter(|r| r.population > 0.0)
                        .map(|r| (r.lon, r.lat)),
                    r.unwrap_or(9),
                )?,
            }
        }
    };
    let mut a = Analysis::compute(
        &imp.graph, facilities, &table, areas, norms, options, progress,
    )?;
    a.inputs.osm = Some(imp.report);
    a.inputs.notes = notes;
    a.inputs.facility_files = inputs
        .facilities
        .iter()
        .map(|p| p.display().to_string())
        .collect();
    a.timings.insert(0, ("import".into(), t_import));
    Ok((imp.graph, a))
}

/// The sum of `values`, 0.0 (never -0.0, which an empty `f64` sum is and `summary.json` showed
/// as `"capacity_total": -0.0`) when there are none.
pub fn total(values: impl Iterator<Item = f64>) -> f64 {
    values.fold(0.0, |a, b| a + b)
}

fn timed<T>(timings: &mut Vec<(String, f64)>, name: &str, f: impl FnOnce() -> T) -> T {
    let t = Instant::now();
    let r = f();
    timings.push((name.to_string(), t.elapsed().as_secs_f64()));
    r
}

impl Analysis {
    /// Runs the analysis on a built graph with loaded facilities, residents and areas.
    pub fn compute(
        graph: &Graph,
        facilities: Vec<Facility>,
        table: &PopulationTable,
        areas: Areas,
        norms: &Norms,
        options: &AnalysisOptions,
        progress: &dyn Progress,
    ) -> Result<Analysis> {
        let profile = norms.profile(&options.profile)?.clone();
        for k in &options.categories {
            if norms.category_index(k).is_none() {
                return Err(Error::NotFound {
                    what: "category",
                    key: k.clone(),
                });
            }
        }
        if graph.node_count() == 0 {
            return Err(Error::Empty {
                what: "graph".into(),
                message: "no nodes".into(),
            });
        }
        let mut timings = Vec::new();
        progress.start("place facilities and residents", 0);
        let (placement, demand) = timed(&mut timings, "place", || {
            let snapper = Snapper::new(graph);
            let placement =
                facilities::place(graph, &snapper, facilities, norms.walking.max_snap_m);
            let demand =
                population::distribute(graph, &snapper, table, &areas, norms.walking.max_snap_m);
            (placement, demand)
        });
        progress.finish();
        if demand.placed <= 0.0 {
            return Err(Error::Empty {
                what: "population".into(),
                message: "no resident could be placed on the walking graph".into(),
            });
        }
        let thresholds_minutes = [5.0, 10.0, 15.0];
        let thresholds = thresholds_minutes.map(|m| profile.cost_of_minutes(m));
        let nc = norms.categories.len();
        let n_areas = areas.len();
        let wanted = |ci: usize| {
            options.categories.is_empty()
                || options
                    .categories
                    .iter()
                    .any(|k| norms.category_index(k) == Some(ci))
        };
        let supplies: Vec<Vec<Supply>> = (0..nc)
            .map(|ci| {
                placement
                    .placed
                    .iter()
                    .filter(|f| f.facility.category == ci)
                    .map(|f| Supply {
                        snap: f.snap,
                        capacity: f.facility.capacity as f32,
                    })
                    .collect()
            })
            .collect();
        let analysed: Vec<bool> = (0..nc)
            .map(|ci| wanted(ci) && (!supplies[ci].is_empty() || options.include_empty_categories))
            .collect();

        let decay = Decay::new(&norms.e2sfca, &profile);
        let pop = coverage::population(&demand.entries, n_areas);
        let mut facilities_in_area = vec![vec![0u32; n_areas + 1]; nc];
        for f in &placement.placed {
            let a = areas.locate(f.facility.lon, f.facility.lat);
            if a != NO_AREA {
                facilities_in_area[f.facility.category][a as usize] += 1;
            }
            facilities_in_area[f.facility.category][n_areas] += 1;
        }
        let mut per_cat: Vec<Option<Vec<PackedIndicators>>> = vec![None; nc];
        let mut district: Vec<Option<Indicators>> = vec![None; nc];
        let mut nearest: Vec<Option<Vec<u16>>> = vec![None; nc];
        let mut t_nearest = 0.0;
        let total_balls: u64 = (0..nc)
            .filter(|&c| analysed[c])
            .map(|c| supplies[c].len() as u64 * 2)
            .sum();
        progress.start("within 15 minutes and balance index", total_balls);
        let mut t_within = 0.0;
        let mut t_e2sfca = 0.0;
        let searchers = reach::Searchers::new(graph.node_count());
        // Per-node arrays every category needs, made once (on this thread) and reused.
        let (mut near_buf, mut within_buf, mut access_buf) = (Vec::new(), (Vec::new(), Vec::new()), Vec::new());
        for ci in 0..nc {
            if !analysed[ci] {
                continue;
            }
            let cat = &norms.categories[ci];
            // The all-node nearest search (one thread) runs beside the facility balls (the others).
            let snaps: Vec<_> = supplies[ci].iter().map(|s| s.snap).collect();
            let (near_in, within_in) = (std::mem::take(&mut near_buf), std::mem::take(&mut within_buf));
            let ((near, t_n), (w, t_w)) = rayon::join(
                || {
                    let t = Instant::now();
                    (
                        reach::nearest_cost_in(graph, &snaps, UNREACHED - 1, near_in),
                        t.elapsed().as_secs_f64(),
                    )
                },
                || {
                    let t = Instant::now();
                    (
                        reach::within_one_in(
                            graph,
                            &supplies[ci],
                            profile.cost_of_minutes(cat.minutes as f64),
                            &searchers,
                            progress,
                            within_in,
                        ),
                        t.elapsed().as_secs_f64(),
                    )
                },
            );
            t_nearest += t_n;
            t_within += t_w;
            let share = norms.demand_share(cat);
            let t = Instant::now();
            let e = e2sfca(
                graph,
                &supplies[ci],
                &demand.node_population,
                share,
                &decay,
                &searchers,
                progress,
                std::mem::take(&mut access_buf),
            );
            t_e2sfca += t.elapsed().as_secs_f64();
            let norm_cost = profile.cost_of_minutes(cat.minutes as f64);
            let cov = coverage::covered(
                &near,
                &demand.entries,
                n_areas,
                &[thresholds[0], thresholds[1], thresholds[2], norm_cost],
            );
            // Sums per area (last row: all): minutes × pop, reached pop, facilities and capacity within the norm, access × pop.
            let mut sums = vec![[0f64; 5]; n_areas + 1];
            for en in &demand.entries {
                let node = en.node as usize;
                let p = en.population as f64;
                let t = near[node];
                let cnt = w.0[node] as f64;
                let cap = w.1[node] as f64;
                let row = [
                    if t < UNREACHED {
                        p * profile.minutes_of_cost(t)
                    } else {
                        0.0
                    },
                    if t < UNREACHED { p } else { 0.0 },
                    p * cnt,
                    p * cap,
                    p * e.access[node] as f64,
                ];
                for slot in [en.area as usize, n_areas] {
                    if slot <= n_areas && (slot == n_areas || en.area != NO_AREA) {
                        for k in 0..5 {
                            sums[slot][k] += row[k];
                        }
                    }
                }
            }
            let indicators_of = |a: usize| {
                let p = pop[a];
                let frac = |x: f64| if p > 0.0 { x / p } else { 0.0 };
                // A is already per person of the category's demand (E2SFCA weighted the
                // demand by its share): the elderly categories are per 1,000 elderly as they
                // are. (Dividing by the share again made them 1/0.187 times too green.)
                let supply_per_1000 = frac(sums[a][4]) * 1000.0;
                let balance_ratio = cat.norm_per_1000.map(|nm| supply_per_1000 / nm);
                let coverage_norm = frac(cov[a][3]);
                Indicators {
                    population: p,
                    coverage: [frac(cov[a][0]), frac(cov[a][1]), frac(cov[a][2])],
                    coverage_norm,
                    mean_minutes: (sums[a][1] > 0.0).then(|| sums[a][0] / sums[a][1]),
                    unreached: frac(p - sums[a][1]).max(0.0),
                    mean_facilities_within_norm: frac(sums[a][2]),
                    mean_capacity_within_norm: frac(sums[a][3]),
                    supply_per_1000,
                    balance_ratio,
                    colour: (p > 0.0)
                        .then(|| warning::colour(coverage_norm, balance_ratio, &norms.warning)),
                    facilities: facilities_in_area[ci][a] as usize,
                }
            };
            let inds: Vec<PackedIndicators> = (0..n_areas).map(|a| PackedIndicators::pack(&indicators_of(a))).collect();
            district[ci] = Some(indicators_of(n_areas));
            if options.keep_nearest {
                nearest[ci] = Some(near.iter().map(|&c| compress(c)).collect());
            }
            (near_buf, within_buf, access_buf) = (near, w, e.access);
            per_cat[ci] = Some(inds);
        }
        progress.finish();
        timings.push(("nearest".into(), t_nearest));
        timings.push(("within".into(), t_within));
        timings.push(("e2sfca".into(), t_e2sfca));

        let categories: Vec<CategoryResult> = norms
            .categories
            .iter()
            .enumerate()
            .map(|(ci, c)| {
                let placed: Vec<&PlacedFacility> = placement
                    .placed
                    .iter()
                    .filter(|f| f.facility.category == ci)
                    .collect();
                let mut colour_counts = [0usize; 5];
                if let Some(inds) = &per_cat[ci] {
                    for i in inds {
                        if let Some(col) = i.colour {
                            colour_counts[col.grade() as usize] += 1;
                        }
                    }
                }
                CategoryResult {
                    key: c.key.clone(),
                    name_zh: c.name_zh.clone(),
                    name_en: c.name_en.clone(),
                    norm_minutes: c.minutes,
                    capacity_unit: c.capacity_unit.clone(),
                    norm_per_1000: c.norm_per_1000,
                    analysed: analysed[ci],
                    facilities: placed.len(),
                    facilities_too_far: placement
                        .too_far
                        .iter()
                        .filter(|f| f.category == ci)
                        .count(),
                    capacity_total: total(placed.iter().map(|f| f.facility.capacity)),
                    capacity_estimated: placed
                        .iter()
                        .filter(|f| f.facility.capacity_estimated)
                        .count(),
                    district: district[ci].take().unwrap_or_default(),
                    colour_counts,
                }
            })
            .collect();
        // The searches' buffers go before the areas' results are made (the command's peak).
        drop((searchers, near_buf, within_buf, access_buf, supplies));
        let area_kind = areas.kind.clone();
        let (area_results, area_polygons): (Vec<AreaResult>, Vec<Vec<Polygon>>) = areas
            .areas
            .into_iter()
            .enumerate()
            .map(|(a, area)| {
                let result = AreaResult {
                    id: area.id,
                    name: area.name,
                    population: pop[a],
                    unreachable_population: demand.dropped_by_area.get(a).copied().unwrap_or(0.0),
                    overall: warning::overall(per_cat.iter().flatten().filter_map(|v| v[a].colour)),
                };
                (result, area.polygons)
            })
            .unzip();
        let inputs = InputReport {
            osm: None,
            population: table.method.clone(),
            population_total: demand.total,
            population_placed: demand.placed,
            population_records_dropped: demand.dropped_records,
            population_dropped: demand.dropped_population,
            areas: area_kind,
            area_count: n_areas,
            facility_files: Vec::new(),
            graph_nodes: graph.node_count(),
            graph_edges: graph.edge_count(),
            graph_bytes: graph.memory_bytes(),
            notes: Vec::new(),
        };
        Ok(Analysis {
            profile,
            thresholds_minutes,
            inputs,
            categories,
            areas: area_results,
            timings,
            area_polygons,
            facilities: placement.placed,
            nearest,
            indicators: per_cat,
            demand,
            warning: norms.warning.clone(),
        })
    }

    /// The headline numbers, without areas.
    pub fn summary(&self) -> Summary<'_> {
        let mut overall_colour_counts = [0usize; 5];
        for a in &self.areas {
            if let Some(c) = a.overall {
                overall_colour_counts[c.grade() as usize] += 1;
            }
        }
        Summary {
            profile: &self.profile,
            thresholds_minutes: self.thresholds_minutes,
            inputs: &self.inputs,
            categories: &self.categories,
            overall_colour_counts,
            unreachable_areas: self
                .areas
                .iter()
                .filter(|a| a.unreachable_population > 0.0)
                .map(|a| UnreachableArea { id: &a.id, name: &a.name, residents: a.unreachable_population })
                .collect(),
            timings: &self.timings,
        }
    }

    /// Index of a category by key or Chinese name.
    pub fn category_index(&self, key: &str) -> Option<usize> {
        self.categories
            .iter()
            .position(|c| c.key == key || c.name_zh == key)
    }

    /// The indicators of area `area` for category `ci`, if analysed.
    pub fn indicator(&self, ci: usize, area: usize) -> Option<Indicators> {
        let packed = self.indicators.get(ci)?.as_ref()?.get(area)?;
        Some(packed.unpack(self.areas.get(area)?.population, self.categories.get(ci)?.norm_per_1000))
    }

    /// The polygons of area `area`: as given, or an H3 cell's hexagon worked out from its id.
    pub fn polygons(&self, area: usize) -> std::borrow::Cow<'_, [Polygon]> {
        let stored = self.area_polygons.get(area).map_or(&[][..], Vec::as_slice);
        if stored.is_empty() && matches!(self.inputs.areas, AreaKind::H3 { .. }) {
            if let Some(p) = self.areas.get(area).and_then(|a| Areas::cell_polygon(&a.id)) {
                return std::borrow::Cow::Owned(vec![p]);
            }
        }
        std::borrow::Cow::Borrowed(stored)
    }

    /// The colour of area `area` in category `ci`, if analysed and the area has residents.
    pub fn colour(&self, ci: usize, area: usize) -> Option<Colour> {
        self.indicators.get(ci)?.as_ref()?.get(area)?.colour()
    }

    /// The areas with their indicators by category key, as JSON (for the API).
    pub fn areas_json(&self) -> serde_json::Value {
        let rows: Vec<serde_json::Value> = self
            .areas
            .iter()
            .enumerate()
            .map(|(a, area)| {
                let cats: serde_json::Map<String, serde_json::Value> = self
                    .categories
                    .iter()
                    .enumerate()
                    .filter_map(|(ci, c)| Some((c.key.clone(), serde_json::to_value(self.indicator(ci, a)?).ok()?)))
                    .collect();
                serde_json::json!({"id": area.id, "name": area.name, "population": area.population, "overall": area.overall, "categories": cats})
            })
            .collect();
        serde_json::Value::Array(rows)
    }

    /// What a home at `(lon, lat)` reaches, per analysed category: minutes to the nearest
    /// facility and facilities within 5, 10 and 15 minutes (one bounded search from the home).
    pub fn reach_at(
        &self,
        graph: &Graph,
        snapper: &Snapper,
        lon: f64,
        lat: f64,
    ) -> Option<Vec<PointReach>> {
        let s = snapper.snap(graph, lon, lat)?;
        let thresholds = self
            .thresholds_minutes
            .map(|m| self.profile.cost_of_minutes(m));
        let mut searcher = reach::Searcher::new(graph.node_count());
        searcher.search(graph, &s.seeds(), thresholds[2]);
        Some(
            self.categories
                .iter()
                .enumerate()
                .filter_map(|(ci, c)| {
                    let near = self.nearest[ci].as_ref()?;
                    let t = s.cost_via(|n| match near[n as usize] {
                        NEAREST_NONE => UNREACHED,
                        m => m as u32 * 10,
                    });
                    let mut within = [0u16; 3];
                    for f in self.facilities.iter().filter(|f| f.facility.category == ci) {
                        let d = f.snap.cost_via(|n| searcher.cost(n));
                        for k in 0..3 {
                            if d <= thresholds[k] {
                                within[k] = within[k].saturating_add(1);
                            }
                        }
                    }
                    Some(PointReach {
                        category: c.key.clone(),
                        minutes_to_nearest: (t < UNREACHED - 1)
                            .then(|| self.profile.minutes_of_cost(t)),
                        within,
                    })
                })
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facilities::Facility;
    use crate::population::{PopRecord, PopulationMethod, PopulationTable};
    use crate::progress::NoProgress;

    /// The README's worked example for an elderly category (issue 37: the supply of elderly
    /// categories was divided by the elderly share twice). A —3 min— B —6 min— C; elderly day
    /// care with 10 places at A and 5 at C; 1,000, 2,000 and 1,000 residents, of whom 18.7 % are
    /// elderly: 748 elderly, so 15 places are 20.05 per 1,000 elderly (not 107.2).
    #[test]
    fn elderly_supply_is_per_1000_elderly_once() {
        let norms = Norms::default();
        let profile = norms.profile("default").expect("default");
        let min = |m: f64| profile.cost_of_minutes(m);
        let graph = Graph::from_parts(vec![[0, 0], [100, 0], [200, 0]], &[(0, 1, min(3.0)), (1, 2, min(6.0))]).expect("graph");
        let at = |i: usize| crate::geom::from_fixed(graph.coord(i as u32));
        let cat = norms.category_index("elderly_day_care").expect("elderly day care");
        let facility = |i: usize, capacity: f64| {
            let (lon, lat) = at(i);
            Facility { category: cat, name: format!("F{i}"), capacity, capacity_estimated: false, lon, lat, source: "test".into() }
        };
        let records = [1000.0, 2000.0, 1000.0]
            .iter()
            .enumerate()
            .map(|(i, &population)| {
                let (lon, lat) = at(i);
                PopRecord { lon, lat, population, cell: None }
            })
            .collect();
        let table = PopulationTable { method: PopulationMethod::Points { file: "test".into() }, records, extra: Vec::new() };
        let areas = Areas::h3_covering((0..3).map(at), 7).expect("areas");
        let options = AnalysisOptions { categories: vec!["elderly_day_care".into()], ..Default::default() };
        let a = Analysis::compute(&graph, vec![facility(0, 10.0), facility(2, 5.0)], &table, areas, &norms, &options, &NoProgress).expect("analysis");
        let share = norms.population.elderly_share;
        assert!((share - 0.187).abs() < 1e-9, "the 7th census share of 60+");
        let d = &a.categories[a.category_index("elderly_day_care").expect("analysed")].district;
        let elderly = 4000.0 * share;
        assert!((d.supply_per_1000 - 15.0 / elderly * 1000.0).abs() < 0.01, "{} per 1,000 elderly", d.supply_per_1000);
        assert!((d.supply_per_1000 - 20.05).abs() < 0.01, "{}", d.supply_per_1000);
        // Supply is shared out, not created: per 1,000 elderly × the elderly / 1,000 = the places.
        assert!((d.supply_per_1000 * elderly / 1000.0 - 15.0).abs() < 1e-3);
    }

    /// Issue 37: cells whose residents live too far from any street were drawn grey as
    /// "0 residents · no residents" though the input gave them 1,224 residents.
    #[test]
    fn residents_no_street_reaches_are_labelled_and_listed() {
        let norms = Norms::default();
        let graph = Graph::from_parts(vec![[0, 0], [100, 0]], &[(0, 1, 2000)]).expect("graph");
        let near = crate::geom::from_fixed(graph.coord(0));
        let far = (near.0 + 0.1, near.1 + 0.1);
        let records = vec![
            PopRecord { lon: near.0, lat: near.1, population: 500.0, cell: None },
            PopRecord { lon: far.0, lat: far.1, population: 1224.0, cell: None },
        ];
        let table = PopulationTable { method: PopulationMethod::Points { file: "p.csv".into() }, records, extra: Vec::new() };
        let areas = Areas::h3_covering([near, far].into_iter(), 7).expect("areas");
        let cat = norms.category_index("primary_school").expect("cat");
        let school = Facility { category: cat, name: "S".into(), capacity: 100.0, capacity_estimated: false, lon: near.0, lat: near.1, source: "t".into() };
        let a = Analysis::compute(&graph, vec![school], &table, areas, &norms, &AnalysisOptions::default(), &NoProgress).expect("analysis");
        let lonely = a.areas.iter().find(|r| r.unreachable_population > 0.0).expect("the far area");
        assert_eq!((lonely.unreachable_population, lonely.population, lonely.overall), (1224.0, 0.0, None));
        let summary = serde_json::to_value(a.summary()).expect("json");
        assert_eq!(summary["unreachable_areas"][0]["residents"], 1224.0, "{summary}");
        assert_eq!(summary["inputs"]["population_dropped"], 1224.0);
        let svg = crate::output::to_svg(&a, &graph, None).expect("svg");
        assert!(svg.contains("1224 residents too far from any street"), "labelled with its residents");
        assert!(!svg.contains(&format!("{} · 0 residents · no residents", lonely.id)));
    }

    /// Issue 37: `summary.json` wrote `"capacity_total": -0.0` for a category without facilities.
    #[test]
    fn an_empty_total_is_zero_not_minus_zero() {
        let t = total(std::iter::empty());
        assert!(t == 0.0 && t.is_sign_positive(), "{t:?}");
        assert_eq!(serde_json::to_string(&t).expect("json"), "0.0");
    }
}
