//! Real-data tests of the circles engine on the São Paulo and Helsinki extracts, with expected
//! figures derived independently (see `independent_check.py` beside this file: pyosmium +
//! networkx, run once, its output quoted below), plus invariants and a slow 1M-node run.

use std::path::PathBuf;

use circles::Graph;
use circles::analysis::{AnalysisInputs, AnalysisOptions, AreaSource, PopulationInput, analyse};
use circles::geom::to_fixed;
use circles::norms::Norms;
use circles::population::PopulationMethod;
use circles::progress::{NoProgress, RecordingProgress};
use circles::reach::{self, Searcher, UNREACHED};
use circles::snap::{Snap, Snapper};
use circles::warning::Colour;

fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../data/osm")
        .join(name)
}

fn sao_paulo_inputs() -> AnalysisInputs {
    AnalysisInputs {
        osm: data("sao-paulo-centre.osm.pbf"),
        facilities: Vec::new(),
        osm_facilities: true,
        population: PopulationInput::File(data("sao-paulo-hexgrid-population.csv")),
        facility_columns: vec![("schools".into(), "primary_school".into())],
        areas: AreaSource::H3 { resolution: None },
        registers: Vec::new(),
    }
}

/// The node at exactly these coordinates (from the independent check's output).
fn node_at(g: &Graph, lon: f64, lat: f64) -> u32 {
    let p = to_fixed(lon, lat);
    g.coords()
        .iter()
        .position(|&c| c == p)
        .unwrap_or_else(|| panic!("no node at {lon}, {lat}")) as u32
}

/// Walking distance in metres between two nodes (flat-walking decimetres / 10).
fn distance_m(g: &Graph, a: u32, b: u32) -> f64 {
    let mut s = Searcher::new(g.node_count());
    s.search(g, &[(a, 0)], UNREACHED - 1);
    s.cost(b) as f64 / 10.0
}

// independent_check.py, São Paulo:
//   components 43, junction nodes (degree != 2) 6019, contracted edges 9239,
//   length 706327.9 m, dropped length 10947.6 m
//   pair (-46.6615317, -23.5330690) -> (-46.6098413, -23.5523155): 6652.69 m
//   pair (-46.6478211, -23.5446847) -> (-46.6085004, -23.5403719): 4852.18 m
//   pair (-46.6477479, -23.5513075) -> (-46.6606416, -23.5296096): 3069.45 m
//   pair (-46.6306951, -23.5389422) -> (-46.6530533, -23.5399598): 2755.93 m
//   sao paulo grid: cells 323 populated 319 population 517570 schools 59 cells with schools 51
#[test]
fn sao_paulo_complete_analysis() {
    let progress = RecordingProgress::default();
    let (graph, a) = analyse(
        &sao_paulo_inputs(),
        &AnalysisOptions::default(),
        &Norms::default(),
        &progress,
    )
    .expect("analysis");
    let osm = a.inputs.osm.as_ref().expect("osm report");
    assert_eq!(
        (osm.graph.nodes, osm.graph.edges, osm.graph.components),
        (6019, 9239, 43)
    );
    assert!(
        (osm.graph.length_m - 706_327.9).abs() < 1.0,
        "{}",
        osm.graph.length_m
    );
    assert!((osm.graph.dropped_length_m - 10_947.6).abs() < 1.0);
    for (a_, b_, m) in [
        (
            (-46.6615317, -23.5330690),
            (-46.6098413, -23.5523155),
            6652.69,
        ),
        (
            (-46.6478211, -23.5446847),
            (-46.6085004, -23.5403719),
            4852.18,
        ),
        (
            (-46.6477479, -23.5513075),
            (-46.6606416, -23.5296096),
            3069.45,
        ),
        (
            (-46.6306951, -23.5389422),
            (-46.6530533, -23.5399598),
            2755.93,
        ),
    ] {
        let d = distance_m(
            &graph,
            node_at(&graph, a_.0, a_.1),
            node_at(&graph, b_.0, b_.1),
        );
        assert!((d - m).abs() < 0.5, "{d} vs {m}");
    }
    // Residents: exactly the grid's 517,570, all placed, in its 319 populated cells.
    assert_eq!(a.inputs.population_total, 517_570.0);
    assert!(
        (a.inputs.population_placed - 517_570.0).abs() < 1.0,
        "{}",
        a.inputs.population_placed
    );
    assert!(matches!(
        a.inputs.population,
        PopulationMethod::H3Cells { resolution: 9, .. }
    ));
    assert_eq!(a.areas.len(), 319);
    let cell = a
        .areas
        .iter()
        .find(|x| x.id == "89a8100c603ffff")
        .expect("first cell of the grid");
    assert!((cell.population - 1146.0).abs() < 0.01);
    assert!((a.areas.iter().map(|x| x.population).sum::<f64>() - 517_570.0).abs() < 1.0);
    // Schools: the 59 of the grid, all on the network.
    let ci = a.category_index("primary_school").expect("category");
    let schools = &a.categories[ci];
    assert!(schools.analysed);
    assert_eq!((schools.facilities, schools.facilities_too_far), (59, 0));
    let d = &schools.district;
    assert!(d.coverage[0] <= d.coverage[1] && d.coverage[1] <= d.coverage[2]);
    assert_eq!(
        d.coverage_norm, d.coverage[1],
        "primary schools are a 10-minute norm"
    );
    // Headline figures of this data (regression guard; see the crate README).
    assert!((d.coverage[2] - 0.894).abs() < 0.01, "{:?}", d.coverage);
    assert!(schools.colour_counts.iter().sum::<usize>() == 319);
    // E2SFCA shares supply out: population-weighted places per resident × residents = supply
    // that has residents in reach (all of it here, schools sit in populated cells).
    let shared = d.supply_per_1000 / 1000.0 * d.population;
    assert!(
        (shared - schools.capacity_total).abs() / schools.capacity_total < 0.05,
        "{shared} vs {}",
        schools.capacity_total
    );
    assert!(
        progress
            .snapshot()
            .stages
            .iter()
            .any(|s| s.contains("read OSM"))
    );

    // Outputs.
    let dir = tempfile::tempdir().expect("tmp");
    let files = a.write_dir(&graph, dir.path()).expect("write");
    assert!(files.iter().any(|f| f.ends_with("map-primary_school.svg")));
    let gj = a.to_geojson();
    let features = gj["features"].as_array().expect("features");
    assert_eq!(features.len(), 319);
    assert!(
        features
            .iter()
            .all(|f| f["properties"]["primary_school_colour"].is_string())
    );
    let csv = a.to_csv();
    assert_eq!(csv.lines().count(), 1 + 319 + 1);
    // The files written as they are made (issue 37) hold what the documents hold.
    let written = std::fs::read_to_string(dir.path().join("areas.geojson")).expect("areas.geojson");
    assert_eq!(written, serde_json::to_string(&gj).expect("json"), "streamed GeoJSON = the document");
    assert_eq!(std::fs::read_to_string(dir.path().join("areas.csv")).expect("areas.csv"), csv);
    assert_eq!(files.len(), 5 + 1 + a.categories.iter().filter(|c| c.analysed).count(), "{files:?}");
    let svg = circles::output::to_svg(&a, &graph, Some("primary_school")).expect("svg");
    assert!(
        svg.starts_with("<svg")
            && svg.contains("预警五色图")
            && svg.matches("<path d=").count() >= 319
    );
    let areas = a.areas_json();
    assert!(areas[0]["categories"]["primary_school"]["coverage"].is_array());
    let summary = serde_json::to_value(a.summary()).expect("summary");
    assert_eq!(summary["inputs"]["population_total"], 517_570.0);

    // A point query: a home at the first grid cell.
    let snapper = Snapper::new(&graph);
    let r = a
        .reach_at(&graph, &snapper, -46.6079746773408, -23.5710980272876)
        .expect("reach");
    assert_eq!(r.len(), 1);
    assert!(r[0].within[0] <= r[0].within[1] && r[0].within[1] <= r[0].within[2]);
}

#[test]
fn sao_paulo_invariants() {
    let (graph, a) = analyse(
        &sao_paulo_inputs(),
        &AnalysisOptions::default(),
        &Norms::default(),
        &NoProgress,
    )
    .expect("analysis");
    // Coverage never decreases as the threshold grows, in every area.
    let ci = a.category_index("primary_school").expect("cat");
    for area in 0..a.areas.len() {
        let i = a.indicator(ci, area).expect("indicators");
        assert!(i.coverage[0] <= i.coverage[1] + 1e-12 && i.coverage[1] <= i.coverage[2] + 1e-12);
    }
    // Adding a facility never makes reach worse, anywhere.
    let snaps: Vec<Snap> = a.facilities.iter().map(|f| f.snap).collect();
    let before = reach::nearest_cost(&graph, &snaps, UNREACHED - 1);
    let snapper = Snapper::new(&graph);
    let mut more = snaps.clone();
    more.push(snapper.snap(&graph, -46.66, -23.55).expect("snap"));
    let after = reach::nearest_cost(&graph, &more, UNREACHED - 1);
    assert!(before.iter().zip(&after).all(|(b, a)| a <= b));
    assert!(before.iter().zip(&after).any(|(b, a)| a < b));
    // The elderly walk slower: their coverage is never higher.
    let elderly = AnalysisOptions {
        profile: "elderly".into(),
        ..Default::default()
    };
    let (_, e) = analyse(
        &sao_paulo_inputs(),
        &elderly,
        &Norms::default(),
        &NoProgress,
    )
    .expect("elderly");
    let (d, de) = (&a.categories[ci].district, &e.categories[ci].district);
    for k in 0..3 {
        assert!(de.coverage[k] <= d.coverage[k]);
    }
    assert!(de.coverage[2] < d.coverage[2]);
}

/// Point 9 on São Paulo with the shipped centres and the demo catalog's personal items, checked
/// against a second computation that searches from every centre separately (instead of one
/// multi-source search per level) and scores every resident item by item.
#[cfg(feature = "catalog")]
#[test]
fn sao_paulo_service_network() {
    use circles::service_network;
    let norms = Norms::default();
    let (graph, a) = analyse(
        &sao_paulo_inputs(),
        &AnalysisOptions::default(),
        &norms,
        &NoProgress,
    )
    .expect("analysis");
    let centres = service_network::load_centres(
        &PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../data/circles/sao-paulo-centres.csv"),
    )
    .expect("centres");
    let items = service_network::personal_items(&catalog::Catalog::try_demo().expect("catalog"));
    let report = |minutes: f64| {
        service_network::report(&graph, &a, &centres, &items, minutes, 0.8, 500.0).expect("report")
    };
    let r = report(15.0);
    assert_eq!(r.items, items.len());
    assert_eq!(r.levels.iter().map(|l| l.centres).sum::<usize>(), 60);
    assert!((r.district.population - 517_570.0).abs() < 1.0);

    // Item by item, from each centre's own bounded search.
    let limit = a.profile.cost_of_minutes(15.0);
    let snapper = Snapper::new(&graph);
    let mut near = vec![0u8; graph.node_count()];
    let mut s = Searcher::new(graph.node_count());
    for c in &centres {
        let snap = snapper.snap(&graph, c.lon, c.lat).expect("snap");
        s.search(&graph, &snap.seeds(), limit);
        for n in 0..graph.node_count() as u32 {
            if s.cost(n) <= limit {
                near[n as usize] |= 1 << (c.level as u8);
            }
        }
    }
    let (mut pop, mut weighted, mut meeting) = (0.0, 0.0, 0.0);
    for e in &a.demand.entries {
        let ok = items
            .iter()
            .filter(|i| {
                i.levels
                    .levels()
                    .iter()
                    .any(|l| near[e.node as usize] & (1 << (*l as u8)) != 0)
            })
            .count() as f64
            / items.len() as f64;
        let p = f64::from(e.population);
        pop += p;
        weighted += p * ok;
        if ok >= 0.8 {
            meeting += p;
        }
    }
    assert!(
        (r.district.share - weighted / pop).abs() < 1e-6,
        "{} vs {}",
        r.district.share,
        weighted / pop
    );
    assert!((r.district.meeting_target - meeting / pop).abs() < 1e-6);
    // The figures quoted in the README.
    assert_eq!(
        (
            (r.district.share * 1000.0).round(),
            (r.district.meeting_target * 1000.0).round(),
            (r.share_below_district * 1000.0).round()
        ),
        (514.0, 76.0, 697.0)
    );
    // Monotone in the time limit, per area and overall; shares within [0, 1].
    let shorter = [5.0, 10.0].map(report);
    for (lo, hi) in [(&shorter[0], &shorter[1]), (&shorter[1], &r)] {
        assert!(lo.district.share <= hi.district.share + 1e-12);
        for (x, y) in lo.areas.iter().zip(&hi.areas) {
            assert!((0.0..=1.0).contains(&x.share) && x.share <= y.share + 1e-12);
            assert!(x.meeting_target <= y.meeting_target + 1e-12);
        }
    }
    assert!(shorter[0].district.share < r.district.share);
}

// independent_check.py, Helsinki centre:
//   components 27, junction nodes (degree != 2) 2391, contracted edges 3755, length 98867.5 m
//   facilities (elements, nodes and ways): clinic 7, community_service 10, culture 9,
//   pharmacy 6, school 3, sports 17
//   pair (24.9484110, 60.1726666) -> (24.9458259, 60.1674396): 675.70 m
//   pair (24.9421822, 60.1730200) -> (24.9405300, 60.1703826): 530.59 m
//   pair (24.9430326, 60.1694774) -> (24.9521452, 60.1706503): 636.40 m
//   pair (24.9386376, 60.1736043) -> (24.9440337, 60.1754045): 1403.01 m
// /tmp/bld.py (same venv, shoelace area on a local projection): 16 complete residential
//   buildings, 1514.7 residents at 40 m² per person and 2 levels when untagged.
#[test]
fn helsinki_centre_graph_facilities_and_buildings() {
    let norms = Norms::default();
    let imp = circles::osm::import(&data("helsinki-centre.osm.pbf"), &norms, &NoProgress)
        .expect("import");
    let r = &imp.report;
    assert_eq!(
        (r.graph.nodes, r.graph.edges, r.graph.components),
        (2391, 3755, 27)
    );
    assert!(
        (r.graph.length_m - 98_867.5).abs() < 1.0,
        "{}",
        r.graph.length_m
    );
    for (key, n) in [
        ("clinic", 7),
        ("community_service", 10),
        ("culture", 9),
        ("pharmacy", 6),
        ("primary_school", 3),
        ("sports", 17),
    ] {
        assert_eq!(r.facilities.get(key).copied(), Some(n), "{key}");
    }
    assert!(r.steps_ways > 0, "central Helsinki has steps");
    for (a_, b_, m) in [
        ((24.9484110, 60.1726666), (24.9458259, 60.1674396), 675.70),
        ((24.9421822, 60.1730200), (24.9405300, 60.1703826), 530.59),
        ((24.9430326, 60.1694774), (24.9521452, 60.1706503), 636.40),
        ((24.9386376, 60.1736043), (24.9440337, 60.1754045), 1403.01),
    ] {
        let d = distance_m(
            &imp.graph,
            node_at(&imp.graph, a_.0, a_.1),
            node_at(&imp.graph, b_.0, b_.1),
        );
        assert!((d - m).abs() < 0.5, "{d} vs {m}");
    }
    assert_eq!(r.residential_buildings, 16);
    let t = circles::population::from_buildings(&imp.buildings, &norms);
    assert!((t.total() - 1514.7).abs() < 0.5, "{}", t.total());
}

// independent_check.py, Helsinki test district:
//   components 3, junction nodes (degree != 2) 449, contracted edges 586, length 58697.0 m
//   facilities: childcare 1, kindergarten 1, school 1, sports 2
//   pair (26.9376621, 60.5208437) -> (26.9469185, 60.5349277): 2403.57 m
// /tmp/bld.py: 1145 residential buildings (10 with levels), 10570.3 residents.
#[test]
fn helsinki_test_district_analysis_from_buildings() {
    let (graph, a) = analyse(
        &AnalysisInputs::osm_only(data("helsinki-test.osm.pbf")),
        &AnalysisOptions::default(),
        &Norms::default(),
        &NoProgress,
    )
    .expect("analysis");
    assert_eq!((graph.node_count(), graph.edge_count()), (449, 586));
    let d = distance_m(
        &graph,
        node_at(&graph, 26.9376621, 60.5208437),
        node_at(&graph, 26.9469185, 60.5349277),
    );
    assert!((d - 2403.57).abs() < 0.5, "{d}");
    match &a.inputs.population {
        PopulationMethod::Buildings {
            buildings,
            with_levels,
            ..
        } => assert_eq!((*buildings, *with_levels), (1145, 10)),
        other => panic!("expected the buildings estimate, got {other:?}"),
    }
    assert!((a.inputs.population_total - 10_570.3).abs() < 0.5);
    let analysed: Vec<&str> = a
        .categories
        .iter()
        .filter(|c| c.analysed)
        .map(|c| c.key.as_str())
        .collect();
    assert_eq!(
        analysed,
        ["childcare", "kindergarten", "primary_school", "sports"]
    );
    assert!(
        !a.categories[a.category_index("hospital").expect("h")].analysed,
        "no hospital layer: no data, not red"
    );
    // Asking for every category makes the missing ones red, by choice.
    let all = AnalysisOptions {
        include_empty_categories: true,
        ..Default::default()
    };
    let (_, b) = analyse(
        &AnalysisInputs::osm_only(data("helsinki-test.osm.pbf")),
        &all,
        &Norms::default(),
        &NoProgress,
    )
    .expect("all");
    let h = &b.categories[b.category_index("hospital").expect("h")];
    assert!(
        h.analysed
            && h.district.coverage == [0.0; 3]
            && h.colour_counts[Colour::Red.grade() as usize] == b.areas.len()
    );
}

#[test]
fn bad_files_are_errors_not_panics() {
    let norms = Norms::default();
    let dir = tempfile::tempdir().expect("tmp");
    let missing = dir.path().join("nope.osm.pbf");
    let e = circles::osm::import(&missing, &norms, &NoProgress)
        .expect_err("missing")
        .to_string();
    assert!(e.contains("nope.osm.pbf"), "{e}");
    // Garbage, and a real file cut short.
    let garbage = dir.path().join("garbage.osm.pbf");
    std::fs::write(&garbage, b"\x00\x00\x00\x0dthis is not a pbf file at all").expect("w");
    assert!(circles::osm::import(&garbage, &norms, &NoProgress).is_err());
    let bytes = std::fs::read(data("helsinki-test.osm.pbf")).expect("read");
    for cut in [10, 1000, bytes.len() / 2] {
        let p = dir.path().join(format!("cut{cut}.osm.pbf"));
        std::fs::write(&p, &bytes[..cut]).expect("w");
        let e = circles::osm::import(&p, &norms, &NoProgress)
            .expect_err("truncated")
            .to_string();
        assert!(e.contains(&format!("cut{cut}")), "{e}");
    }
    // Flipped bytes inside blobs must not panic either.
    let mut flipped = bytes.clone();
    for i in (200..flipped.len()).step_by(997) {
        flipped[i] ^= 0x5a;
    }
    let p = dir.path().join("flipped.osm.pbf");
    std::fs::write(&p, &flipped).expect("w");
    let _ = circles::osm::import(&p, &norms, &NoProgress);
    // A population file with a bad record names its line and field.
    let pop = dir.path().join("pop.csv");
    std::fs::write(
        &pop,
        "h3,population\n89a8100c603ffff,12\n89a8100c60fffff,many\n",
    )
    .expect("w");
    let mut inputs = sao_paulo_inputs();
    inputs.population = PopulationInput::File(pop);
    inputs.facility_columns.clear();
    let e = analyse(&inputs, &AnalysisOptions::default(), &norms, &NoProgress)
        .expect_err("bad pop")
        .to_string();
    assert!(
        e.contains("pop.csv") && e.contains("line 3") && e.contains("population"),
        "{e}"
    );
}

/// A million-node synthetic network, end to end (set MINSHENG_SLOW_TESTS=1).
#[cfg_attr(not(gated_slow), ignore = "skipped: set MINSHENG_SLOW_TESTS=1 (a million-node network)")]
#[test]
fn slow_million_node_synthetic_analysis() {
    if std::env::var("MINSHENG_SLOW_TESTS").as_deref() != Ok("1") {
        eprintln!("skipped: set MINSHENG_SLOW_TESTS=1");
        return;
    }
    let dir = tempfile::tempdir().expect("tmp");
    let rows = circles::bench::run(
        &circles::bench::BenchOptions {
            sizes: vec![1_000_000],
            facilities: 5000,
            dir: dir.path().to_path_buf(),
        },
        &NoProgress,
    )
    .expect("bench");
    let r = &rows[0];
    assert!(r.nodes > 900_000 && r.edges > 1_800_000, "{r:?}");
    assert_eq!(r.facilities, 5000);
    assert!(r.graph_bytes_per_node_edge < 32.0, "{r:?}");
}

/// A city's worth of H3 cells (issue 37, point 6): the maps draw them one path per colour
/// without a title each and the street layer only where it adds ink, the per-cell files are
/// written only when asked, and each cell's indicators are kept compact.
#[test]
fn many_cells_make_small_maps_and_per_cell_files_are_opt_in() {
    let dir = tempfile::tempdir().expect("tmp");
    let synth = circles::synth::generate(
        &dir.path().join("in"),
        &circles::synth::SynthOptions { nodes: 40_000, facilities: 350, ..Default::default() },
        &NoProgress,
    )
    .expect("synth");
    let inputs = AnalysisInputs {
        osm: synth.osm,
        facilities: vec![synth.facilities],
        osm_facilities: false,
        population: PopulationInput::File(synth.population),
        facility_columns: Vec::new(),
        areas: AreaSource::H3 { resolution: None },
        registers: Vec::new(),
    };
    let (graph, a) = analyse(&inputs, &AnalysisOptions::default(), &Norms::default(), &NoProgress).expect("analyse");
    let n = a.areas.len();
    assert!(n > circles::output::TITLED_AREAS_MAX, "{n} cells");
    // Were 120 bytes per area and category (a third of the command's memory at 1M nodes).
    assert!(std::mem::size_of::<circles::analysis::PackedIndicators>() <= 56, "an area's indicators stay compact");

    // The map: one path per colour, titles only for facilities, a few bytes per cell.
    let svg = circles::output::to_svg(&a, &graph, None).expect("svg");
    let areas_layer = &svg[svg.find("<g id=\"areas\"").expect("areas")..svg.find("<g id=\"streets\"").expect("streets")];
    assert!(!areas_layer.contains("<title>"), "no title per cell");
    assert!(areas_layer.matches("<path").count() <= 7, "one path per colour");
    assert!(areas_layer.len() < 60 * n, "{} bytes for {n} cells", areas_layer.len());
    assert!(svg.contains("--cell-files"), "the legend says where the per-cell figures are");
    // Every cell is still drawn: as many closed rings as cells.
    assert_eq!(areas_layer.matches('Z').count(), n);
    // Streets: only lines that add ink, so far fewer than the network's edges.
    let streets = &svg[svg.find("<g id=\"streets\"").expect("streets")..svg.find("<g id=\"facilities\"").expect("facilities")];
    let drawn = streets.matches('M').count();
    assert!(drawn > 1000 && drawn < graph.edge_count(), "{drawn} of {} streets drawn", graph.edge_count());

    // The per-cell files only when asked; the rest always.
    let out = dir.path().join("out");
    let files = a.write_files(&graph, &out, false).expect("write");
    let names: Vec<String> = files.iter().map(|f| f.file_name().expect("name").to_string_lossy().into_owned()).collect();
    assert!(!names.iter().any(|f| f.starts_with("areas.")), "{names:?}");
    assert!(names.contains(&"summary.json".to_string()) && names.contains(&"map.svg".to_string()), "{names:?}");
    let files = a.write_files(&graph, &out, true).expect("write");
    assert!(files.iter().any(|f| f.ends_with("areas.geojson")) && files.iter().any(|f| f.ends_with("areas.csv")));

    // The compact indicators give back what the area's figures are: the CSV and GeoJSON agree,
    // the balance ratio is the supply over the norm and the population is the area's.
    let ci = a.category_index("elderly_day_care").expect("category");
    let norm = a.categories[ci].norm_per_1000.expect("norm");
    let gj = a.to_geojson();
    for ai in (0..n).step_by(97) {
        let i = a.indicator(ci, ai).expect("indicators");
        assert_eq!(i.population, a.areas[ai].population);
        assert!((i.balance_ratio.expect("ratio") - i.supply_per_1000 / norm).abs() < 1e-12);
        let props = &gj["features"][ai]["properties"];
        let cov = props["elderly_day_care_coverage_norm"].as_f64().expect("coverage");
        assert!((cov - i.coverage_norm).abs() < 1e-4, "{cov} vs {}", i.coverage_norm);
        assert_eq!(props["elderly_day_care_colour"].as_str(), i.colour.map(Colour::name));
    }
}

/// A register of a category (the district's childcare institutions) replaces OSM's facilities of
/// that category, so that the map counts each institution once and as the register has it; the
/// other categories keep theirs.
#[test]
fn a_register_replaces_the_osm_facilities_of_its_category() {
    let norms = Norms::default();
    let childcare = norms.categories.iter().position(|c| c.key == "childcare").expect("childcare category");
    let osm = AnalysisInputs::osm_only(data("helsinki-test.osm.pbf"));
    let (_, a) = analyse(&osm, &AnalysisOptions::default(), &norms, &NoProgress).expect("analyse");
    let from_osm: Vec<_> = a.facilities.iter().filter(|f| f.facility.category == childcare).collect();
    assert!(!from_osm.is_empty(), "the sample has childcare in OSM");
    let others = a.facilities.iter().filter(|f| f.facility.category != childcare).count();
    let (lon, lat) = (from_osm[0].facility.lon, from_osm[0].facility.lat);
    let dir = tempfile::tempdir().expect("tmp");
    let register = dir.path().join("childcare-register.csv");
    std::fs::write(&register, format!("category,name,capacity,lon,lat\nchildcare,社区托育 A,60,{lon},{lat}\nchildcare,社区托育 B,25,{},{}\n", lon + 0.0005, lat + 0.0003)).expect("write");
    let inputs = AnalysisInputs { registers: vec![register], ..osm };
    let (_, b) = analyse(&inputs, &AnalysisOptions::default(), &norms, &NoProgress).expect("analyse");
    let registered: Vec<_> = b.facilities.iter().filter(|f| f.facility.category == childcare).collect();
    assert_eq!(registered.len(), 2, "only the register's");
    assert!(registered.iter().all(|f| f.facility.source.starts_with("childcare-register.csv")), "{:?}", registered.iter().map(|f| &f.facility.source).collect::<Vec<_>>());
    assert_eq!(registered.iter().map(|f| f.facility.capacity).sum::<f64>(), 85.0);
    assert_eq!(b.facilities.iter().filter(|f| f.facility.category != childcare).count(), others, "other categories untouched");
}
