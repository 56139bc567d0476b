//! Residents: read from a CSV of points or H3 cells with a population, or estimated from OSM
//! residential buildings (footprint × levels ÷ floor area per person), then laid onto the nodes
//! of the walking graph.

use std::path::Path;

use h3o::CellIndex;

use crate::areas::{AreaKind, Areas, NO_AREA, cell_of};
use crate::error::{Error, Result};
use crate::facilities::{Facility, column, file_name};
use crate::geom;
use crate::graph::Graph;
use crate::norms::Norms;
use crate::osm::Building;
use crate::snap::Snapper;

/// One population record: a point or the centre of a cell.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct PopRecord {
    pub lon: f64,
    pub lat: f64,
    pub population: f64,
    /// The H3 cell, when the record is a cell.
    pub cell: Option<u64>,
}

/// How the residents were obtained: reported with every analysis.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(tag = "method", rename_all = "snake_case")]
pub enum PopulationMethod {
    /// A CSV of H3 cells with a population.
    H3Cells { file: String, resolution: u8 },
    /// A CSV of points with a population.
    Points { file: String },
    /// Estimated from OSM residential buildings.
    Buildings {
        buildings: usize,
        with_levels: usize,
        floor_area_per_person_m2: f64,
        default_levels: f64,
    },
}

/// Population records and any further numeric columns of the file.
#[derive(Debug, Clone, PartialEq)]
pub struct PopulationTable {
    pub method: PopulationMethod,
    pub records: Vec<PopRecord>,
    /// Other columns by header (e.g. `schools`, `jobs`), one value per record.
    pub extra: Vec<ExtraColumn>,
}

/// A further column of the population file, read as numbers: a blank cell is 0 (and counted), and
/// the first value that is not a number is kept with its line, for the error should the column be
/// used as numbers.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ExtraColumn {
    pub name: String,
    pub values: Vec<f64>,
    pub blanks: usize,
    /// The first cell that is not a number: (its line, its text).
    pub bad: Option<(String, String)>,
}

impl PopulationTable {
    /// Total population of the records.
    pub fn total(&self) -> f64 {
        crate::analysis::total(self.records.iter().map(|r| r.population))
    }
}

/// Reads a population CSV: a `population` column and either an H3 cell column (`h3`, `id`,
/// `cell`, `hex`) or `lon`/`lat`.
pub fn load_csv(path: &Path) -> Result<PopulationTable> {
    let file = crate::csvfile::CsvFile::open(path)?;
    let mut rdr = file.reader(csv::ReaderBuilder::new().flexible(true));
    let headers = rdr.headers().map_err(|e| file.error(e))?.clone();
    let c_pop = column(&headers, &["population", "pop", "residents", "人口"])
        .ok_or_else(|| Error::parse(path, "line 1", "population", "missing column"))?;
    let c_cell = column(&headers, &["h3", "h3_index", "id", "cell", "hex", "hex_id"]);
    let c_lon = column(&headers, &["lon", "lng", "longitude", "x", "经度"]);
    let c_lat = column(&headers, &["lat", "latitude", "y", "纬度"]);
    let mut records = Vec::new();
    let mut cells_mode: Option<bool> = None;
    let mut resolution = 0u8;
    let extra_cols: Vec<usize> = (0..headers.len())
        .filter(|&c| c != c_pop && Some(c) != c_cell && Some(c) != c_lon && Some(c) != c_lat)
        .collect();
    let mut extra: Vec<ExtraColumn> = extra_cols
        .iter()
        .map(|&c| ExtraColumn { name: headers[c].trim().to_string(), ..ExtraColumn::default() })
        .collect();
    for rec in rdr.records() {
        let rec = rec.map_err(|e| file.error(e))?;
        let record = file.at(rec.position());
        let get = |c: usize| rec.get(c).unwrap_or("").trim();
        let pop_s = get(c_pop);
        let population = pop_s
            .parse::<f64>()
            .ok()
            .filter(|p| p.is_finite() && *p >= 0.0)
            .ok_or_else(|| {
                Error::parse(
                    path,
                    &record,
                    "population",
                    format!("`{pop_s}` is not a non-negative number"),
                )
            })?;
        let cell = match (c_cell, cells_mode) {
            (Some(c), None | Some(true)) => match get(c).parse::<CellIndex>() {
                Ok(cell) => {
                    if cells_mode.is_none() {
                        resolution = u8::from(cell.resolution());
                    } else if u8::from(cell.resolution()) != resolution {
                        return Err(Error::parse(
                            path,
                            &record,
                            headers[c].trim(),
                            format!(
                                "cell of resolution {} among cells of resolution {resolution}",
                                u8::from(cell.resolution())
                            ),
                        ));
                    }
                    cells_mode = Some(true);
                    Some(cell)
                }
                Err(_) if cells_mode == Some(true) => {
                    return Err(Error::parse(
                        path,
                        &record,
                        headers[c].trim(),
                        format!("`{}` is not an H3 cell", get(c)),
                    ));
                }
                Err(_) => {
                    cells_mode = Some(false);
                    None
                }
            },
            _ => {
                cells_mode = Some(false);
                None
            }
        };
        let (lon, lat) = match cell {
            Some(cell) => {
                let ll = h3o::LatLng::from(cell);
                (ll.lng(), ll.lat())
            }
            None => {
                let (Some(cl), Some(ct)) = (c_lon, c_lat) else {
                    return Err(Error::parse(
                        path,
                        &record,
                        "lon/lat",
                        "points need lon and lat columns (or an H3 cell column)",
                    ));
                };
                let num = |c: usize, f: &str| {
                    get(c)
                        .parse::<f64>()
                        .ok()
                        .filter(|x| x.is_finite())
                        .ok_or_else(|| {
                            Error::parse(path, &record, f, format!("`{}` is not a number", get(c)))
                        })
                };
                let (lon, lat) = (num(cl, "lon")?, num(ct, "lat")?);
                if !geom::valid_lon_lat(lon, lat) {
                    return Err(Error::parse(
                        path,
                        &record,
                        "lon/lat",
                        format!("({lon}, {lat}) is not a WGS 84 coordinate"),
                    ));
                }
                (lon, lat)
            }
        };
        for (k, &c) in extra_cols.iter().enumerate() {
            let text = get(c);
            let col = &mut extra[k];
            match text.parse::<f64>().ok().filter(|x| x.is_finite()) {
                Some(v) => col.values.push(v),
                None => {
                    col.values.push(0.0);
                    if text.is_empty() {
                        col.blanks += 1;
                    } else if col.bad.is_none() {
                        col.bad = Some((record.clone(), text.to_owned()));
                    }
                }
            }
        }
        records.push(PopRecord {
            lon,
            lat,
            population,
            cell: cell.map(u64::from),
        });
    }
    if records.is_empty() {
        return Err(Error::Empty {
            what: path.display().to_string(),
            message: "no population records".into(),
        });
    }
    let method = if cells_mode == Some(true) {
        PopulationMethod::H3Cells {
            file: file_name(path),
            resolution,
        }
    } else {
        PopulationMethod::Points {
            file: file_name(path),
        }
    };
    Ok(PopulationTable {
        method,
        records,
        extra,
    })
}

/// Estimates residents from residential buildings: footprint × levels ÷ floor area per person.
pub fn from_buildings(buildings: &[Building], norms: &Norms) -> PopulationTable {
    let p = &norms.population;
    let records = buildings
        .iter()
        .map(|b| PopRecord {
            lon: b.lon,
            lat: b.lat,
            population: b.footprint_m2 * b.levels.unwrap_or(p.default_levels)
                / p.floor_area_per_person_m2,
            cell: None,
        })
        .collect();
    PopulationTable {
        method: PopulationMethod::Buildings {
            buildings: buildings.len(),
            with_levels: buildings.iter().filter(|b| b.levels.is_some()).count(),
            floor_area_per_person_m2: p.floor_area_per_person_m2,
            default_levels: p.default_levels,
        },
        records,
        extra: Vec::new(),
    }
}

/// Facilities from a count column of the population file (e.g. `schools` per cell): each
/// record with count k gives k facilities of `category` at its centre. A blank cell is no
/// facility (the note says how many there were); a value that is not a number is an error naming
/// the file, line, column and value. The facilities, and the note if there were blanks.
pub fn facilities_from_column(
    table: &PopulationTable,
    col: &str,
    category: usize,
    norms: &Norms,
) -> Result<(Vec<Facility>, Option<String>)> {
    let file = match &table.method {
        PopulationMethod::H3Cells { file, .. } | PopulationMethod::Points { file } => file.clone(),
        PopulationMethod::Buildings { .. } => "the population estimate".to_owned(),
    };
    let column = table.extra.iter().find(|e| e.name.eq_ignore_ascii_case(col)).ok_or_else(|| Error::NotFound {
        what: "population column",
        key: format!("{col} (the columns of {file}: {})", table.extra.iter().map(|e| e.name.as_str()).collect::<Vec<_>>().join(", ")),
    })?;
    if let Some((line, value)) = &column.bad {
        return Err(Error::parse(Path::new(&file), line, col, format!("`{value}` is not a number of facilities")));
    }
    let note = (column.blanks > 0).then(|| {
        format!("{file}: {} blank cell(s) in column `{col}` counted as no facility", column.blanks)
    });
    let values = &column.values;
    let c = &norms.categories[category];
    let mut out = Vec::new();
    for (i, (r, &k)) in table.records.iter().zip(values).enumerate() {
        if !(0.0..=10_000.0).contains(&k) {
            return Err(Error::Config {
                field: format!("population column `{col}`"),
                message: format!("record {}: {k} facilities is not a plausible count", i + 1),
            });
        }
        for j in 0..(k.round() as usize) {
            out.push(Facility {
                category,
                name: format!(
                    "{col} {}#{}",
                    r.cell
                        .and_then(|c| CellIndex::try_from(c).ok())
                        .map_or_else(|| format!("record {}", i + 1), |c| c.to_string()),
                    j + 1
                ),
                capacity: c.default_capacity,
                capacity_estimated: true,
                lon: r.lon,
                lat: r.lat,
                source: format!("population column `{col}`, record {}", i + 1),
            });
        }
    }
    Ok((out, note))
}

/// Residents on the graph: `(node, area, population)` entries sorted by node.
#[derive(Debug, Clone, Default)]
pub struct Demand {
    pub entries: Vec<DemandEntry>,
    /// Residents per node (the sum of its entries).
    pub node_population: Vec<f32>,
    /// Residents of the source.
    pub total: f64,
    /// Residents placed on the graph.
    pub placed: f64,
    /// Records further than the snapping limit from every edge, and their residents.
    pub dropped_records: usize,
    pub dropped_population: f64,
    /// Those residents by area (`Areas` order): they count in no figure, and the map says so.
    pub dropped_by_area: Vec<f64>,
}

/// Residents of one area living at one node.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct DemandEntry {
    pub node: u32,
    pub area: u32,
    pub population: f32,
}

/// Lays residents onto graph nodes. A cell's residents are shared equally among the graph
/// nodes inside it (an empty cell's go to its centre); a point's are shared between the two
/// ends of its nearest edge in proportion to how near it stands to each.
pub fn distribute(
    graph: &Graph,
    snapper: &Snapper,
    table: &PopulationTable,
    areas: &Areas,
    max_snap_m: f64,
) -> Demand {
    let n = graph.node_count();
    let mut entries: Vec<DemandEntry> = Vec::with_capacity(n.min(table.records.len() * 4));
    let mut dropped_records = 0;
    let mut dropped_population = 0.0;
    let mut dropped_by_area = vec![0.0; areas.len()];
    let locate = |node: u32| {
        let (lon, lat) = geom::from_fixed(graph.coord(node));
        areas.locate(lon, lat)
    };
    let mut snap_point = |r: &PopRecord, area: u32, entries: &mut Vec<DemandEntry>| match snapper
        .snap(graph, r.lon, r.lat)
    {
        Some(s) if (s.off_m as f64) <= max_snap_m => {
            let total = (s.cost_u as f64 + s.cost_v as f64).max(1.0);
            let share_u = if s.u == s.v {
                1.0
            } else {
                s.cost_v as f64 / total
            };
            entries.push(DemandEntry {
                node: s.u,
                area,
                population: (r.population * share_u) as f32,
            });
            if s.u != s.v {
                entries.push(DemandEntry {
                    node: s.v,
                    area,
                    population: (r.population * (1.0 - share_u)) as f32,
                });
            }
        }
        _ => {
            dropped_records += 1;
            dropped_population += r.population;
            if let Some(d) = dropped_by_area.get_mut(area as usize) {
                *d += r.population;
            }
        }
    };
    if let PopulationMethod::H3Cells { resolution, .. } = table.method {
        let same_res = areas.kind == AreaKind::H3 { resolution };
        // Cell of every node, and the nodes ordered by cell.
        let cell_of_node: Vec<u64> = (0..n as u32)
            .map(|v| {
                let (lon, lat) = geom::from_fixed(graph.coord(v));
                cell_of(lon, lat, resolution).map_or(u64::MAX, u64::from)
            })
            .collect();
        let mut by_cell: Vec<u32> = (0..n as u32).collect();
        by_cell.sort_unstable_by_key(|&v| cell_of_node[v as usize]);
        for r in &table.records {
            let Some(cell) = r.cell else { continue };
            let lo = by_cell.partition_point(|&v| cell_of_node[v as usize] < cell);
            let hi = by_cell.partition_point(|&v| cell_of_node[v as usize] <= cell);
            if lo == hi {
                snap_point(r, areas.locate(r.lon, r.lat), &mut entries);
                continue;
            }
            let share = (r.population / (hi - lo) as f64) as f32;
            let cell_area = if same_res {
                areas.locate(r.lon, r.lat)
            } else {
                NO_AREA
            };
            for &v in &by_cell[lo..hi] {
                let area = if same_res { cell_area } else { locate(v) };
                entries.push(DemandEntry {
                    node: v,
                    area,
                    population: share,
                });
            }
        }
    } else {
        for r in &table.records {
            snap_point(r, areas.locate(r.lon, r.lat), &mut entries);
        }
    }
    entries.retain(|e| e.population > 0.0);
    entries.sort_unstable_by_key(|e| (e.node, e.area));
    entries.dedup_by(|b, a| {
        if a.node == b.node && a.area == b.area {
            a.population += b.population;
            true
        } else {
            false
        }
    });
    // Cells spread over their nodes grew the vector by doubling: give back what is not used.
    entries.shrink_to_fit();
    let mut node_population = vec![0f32; n];
    for e in &entries {
        node_population[e.node as usize] += e.population;
    }
    let placed = crate::analysis::total(entries.iter().map(|e| f64::from(e.population)));
    Demand {
        entries,
        node_population,
        total: table.total(),
        placed,
        dropped_records,
        dropped_population,
        dropped_by_area,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geom::to_fixed;
    use std::io::Write;

    #[test]
    fn points_split_between_edge_ends() {
        let g = Graph::from_parts(
            vec![to_fixed(0.0, 0.0), to_fixed(0.002, 0.0)],
            &[(0, 1, 2000)],
        )
        .expect("g");
        let sn = Snapper::new(&g);
        let table = PopulationTable {
            method: PopulationMethod::Points { file: "t".into() },
            records: vec![
                PopRecord {
                    lon: 0.0005,
                    lat: 0.0,
                    population: 100.0,
                    cell: None,
                },
                PopRecord {
                    lon: 1.0,
                    lat: 1.0,
                    population: 7.0,
                    cell: None,
                },
            ],
            extra: Vec::new(),
        };
        let areas = Areas::h3_covering([(0.0005, 0.0)].into_iter(), 9).expect("areas");
        let d = distribute(&g, &sn, &table, &areas, 500.0);
        assert_eq!(d.node_population, vec![75.0, 25.0]);
        assert_eq!(
            (d.total, d.placed, d.dropped_records, d.dropped_population),
            (107.0, 100.0, 1, 7.0)
        );
        assert!(d.entries.iter().all(|e| e.area == 0));
    }

    #[test]
    fn csv_detects_cells_and_reports_bad_lines() {
        let mut f = tempfile::Builder::new()
            .suffix(".csv")
            .tempfile()
            .expect("tmp");
        write!(f, "\"id\",\"lon\",\"lat\",\"population\",\"schools\"\n\"89a8100c603ffff\",-46.6,-23.5,1146,2\n").expect("w");
        let t = load_csv(f.path()).expect("cells");
        assert_eq!(
            t.method,
            PopulationMethod::H3Cells {
                file: file_name(f.path()),
                resolution: 9
            }
        );
        assert_eq!(t.extra, vec![ExtraColumn { name: "schools".into(), values: vec![2.0], blanks: 0, bad: None }]);
        let norms = Norms::default();
        let ci = norms.category_index("primary_school").expect("cat");
        assert_eq!(
            facilities_from_column(&t, "schools", ci, &norms)
                .expect("schools")
                .0
                .len(),
            2
        );
        let mut f = tempfile::Builder::new()
            .suffix(".csv")
            .tempfile()
            .expect("tmp");
        write!(f, "lon,lat,population\n119.9,30.0,10\n119.9,30.0,-3\n").expect("w");
        let e = load_csv(f.path()).expect_err("negative").to_string();
        assert!(e.contains("line 3") && e.contains("population"), "{e}");
    }

    /// Issue 37: a blank cell in a facility-count column stopped the analysis with "not found:
    /// numeric population column 'healthcare'" (no line, no value, no file — and the column was
    /// there). Blank is no facility, and the note says how many; a bad value names file, line,
    /// column and value; lines are right with CRLF line ends too.
    #[test]
    fn blank_counts_are_zero_and_bad_ones_are_named() {
        let norms = Norms::default();
        let ci = norms.category_index("health_station").or_else(|| norms.category_index("primary_school")).expect("cat");
        let dir = tempfile::tempdir().expect("tempdir");
        let blanks = dir.path().join("blanks.csv");
        std::fs::write(&blanks, "lon,lat,population,healthcare\r\n119.9,30.0,10,1\r\n119.9,30.0,20,\r\n119.9,30.0,5, \r\n").expect("w");
        let t = load_csv(&blanks).expect("blank cells are fine");
        let (found, note) = facilities_from_column(&t, "healthcare", ci, &norms).expect("blank is zero");
        assert_eq!(found.len(), 1);
        let note = note.expect("a note");
        assert!(note.contains("blanks.csv") && note.contains("2 blank") && note.contains("healthcare"), "{note}");
        let bad = dir.path().join("bad.csv");
        std::fs::write(&bad, "lon,lat,population,healthcare\r\n119.9,30.0,10,1\r\n119.9,30.0,20,\r\n119.9,30.0,5,two\r\n").expect("w");
        let t = load_csv(&bad).expect("a column that is not numbers is kept until it is used");
        let e = facilities_from_column(&t, "healthcare", ci, &norms).expect_err("not a number").to_string();
        assert!(e.contains("bad.csv") && e.contains("line 4") && e.contains("healthcare") && e.contains("`two`"), "{e}");
        let e = facilities_from_column(&t, "clinics", ci, &norms).expect_err("no such column").to_string();
        assert!(e.contains("clinics") && e.contains("healthcare"), "names the columns there are: {e}");
        // CRLF: the negative population is on line 3.
        let crlf = dir.path().join("crlf.csv");
        std::fs::write(&crlf, "lon,lat,population\r\n119.9,30.0,10\r\n119.9,30.0,-3\r\n").expect("w");
        let e = load_csv(&crlf).expect_err("negative").to_string();
        assert!(e.contains("line 3") && !e.contains("line 2"), "{e}");
    }

    #[test]
    fn buildings_estimate() {
        let norms = Norms::default();
        let b = Building {
            lon: 0.0,
            lat: 0.0,
            footprint_m2: 200.0,
            levels: Some(6.0),
            kind: "apartments".into(),
            osm_id: 1,
        };
        let c = Building {
            levels: None,
            ..b.clone()
        };
        let t = from_buildings(&[b, c], &norms);
        // 200 m² × 6 levels ÷ 40 m² = 30; untagged: 200 × 2 ÷ 40 = 10.
        assert_eq!(
            t.records.iter().map(|r| r.population).collect::<Vec<_>>(),
            vec![30.0, 10.0]
        );
    }
}
