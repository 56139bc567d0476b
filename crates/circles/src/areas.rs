//! Areas over which indicators are reported: polygons from a GeoJSON file (towns, communities)
//! or H3 cells (h3o).

use std::collections::HashMap;
use std::path::Path;

use h3o::{CellIndex, LatLng, Resolution};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RTree};

use crate::error::{Error, Result};
use crate::facilities::read_json;
use crate::geom::Polygon;

/// One area.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Area {
    pub id: String,
    pub name: String,
    /// Its polygons (several for a MultiPolygon), `(lon, lat)` degrees.
    pub polygons: Vec<Polygon>,
}

/// Where the areas came from.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum AreaKind {
    GeoJson { file: String },
    H3 { resolution: u8 },
}

type Bbox = GeomWithData<Rectangle<[f64; 2]>, u32>;

/// A set of areas with a point-location index.
#[derive(Debug, Clone)]
pub struct Areas {
    pub kind: AreaKind,
    pub areas: Vec<Area>,
    tree: Option<RTree<Bbox>>,
    cells: HashMap<u64, u32>,
}

/// Area index of a point that lies in no area.
pub const NO_AREA: u32 = u32::MAX;

impl Areas {
    /// Number of areas.
    pub fn len(&self) -> usize {
        self.areas.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.areas.is_empty()
    }

    /// The area containing `(lon, lat)`, or [`NO_AREA`].
    pub fn locate(&self, lon: f64, lat: f64) -> u32 {
        match (&self.kind, &self.tree) {
            (AreaKind::H3 { resolution }, _) => {
                let Some(cell) = cell_of(lon, lat, *resolution) else {
                    return NO_AREA;
                };
                self.cells.get(&u64::from(cell)).copied().unwrap_or(NO_AREA)
            }
            (_, Some(tree)) => tree
                .locate_all_at_point(&[lon, lat])
                .find(|b| {
                    self.areas[b.data as usize]
                        .polygons
                        .iter()
                        .any(|p| p.contains([lon, lat]))
                })
                .map_or(NO_AREA, |b| b.data),
            _ => NO_AREA,
        }
    }

    /// H3 cells at `resolution` covering the given points (each distinct cell is one area).
    pub fn h3_covering(points: impl Iterator<Item = (f64, f64)>, resolution: u8) -> Result<Areas> {
        let res = Resolution::try_from(resolution)
            .map_err(|_| Error::config("h3_resolution", "must be 0–15"))?;
        let mut cells: Vec<u64> = points
            .filter_map(|(lon, lat)| cell_of(lon, lat, resolution))
            .map(u64::from)
            .collect();
        cells.sort_unstable();
        cells.dedup();
        let _ = res;
        Ok(Self::from_cells(&cells, resolution))
    }

    /// The hexagon of the H3 cell whose id is `id`.
    pub fn cell_polygon(id: &str) -> Option<Polygon> {
        let cell: CellIndex = id.parse().ok()?;
        let exterior = cell.boundary().iter().map(|ll| [ll.lng(), ll.lat()]).collect();
        Some(Polygon { exterior, holes: Vec::new() })
    }

    /// Areas for the given H3 cells (as `u64`); their polygons are left to [`Areas::cell_polygon`].
    pub fn from_cells(cells: &[u64], resolution: u8) -> Areas {
        let mut areas = Vec::with_capacity(cells.len());
        let mut map = HashMap::with_capacity(cells.len());
        for &c in cells {
            let Ok(cell) = CellIndex::try_from(c) else {
                continue;
            };
            map.insert(c, areas.len() as u32);
            // No polygon kept: a cell's is worked out from its id when drawn (`cell_polygon`);
            // a million-node network has some 80,000 cells.
            areas.push(Area {
                id: cell.to_string(),
                name: String::new(),
                polygons: Vec::new(),
            });
        }
        Areas {
            kind: AreaKind::H3 { resolution },
            areas,
            tree: None,
            cells: map,
        }
    }

    /// Areas from a GeoJSON FeatureCollection of Polygons and MultiPolygons; `id` and `name`
    /// come from the properties `id`/`code`/`adcode` and `name`/`名称` (or the feature index).
    pub fn from_geojson(path: &Path) -> Result<Areas> {
        let doc = read_json(path)?;
        let features = doc
            .get("features")
            .and_then(|f| f.as_array())
            .ok_or_else(|| Error::parse(path, "document", "features", "not a FeatureCollection"))?;
        let mut areas = Vec::new();
        for (i, f) in features.iter().enumerate() {
            let record = format!("feature {}", i + 1);
            let props = f.get("properties");
            let prop = |keys: &[&str]| {
                keys.iter().find_map(|k| {
                    props.and_then(|p| p.get(*k)).and_then(|v| {
                        v.as_str()
                            .map(str::to_string)
                            .or_else(|| v.as_i64().map(|x| x.to_string()))
                    })
                })
            };
            let id = prop(&["id", "code", "adcode", "CODE"])
                .or_else(|| {
                    f.get("id")
                        .map(|v| v.to_string().trim_matches('"').to_string())
                })
                .unwrap_or_else(|| (i + 1).to_string());
            let name = prop(&["name", "名称", "NAME", "name_zh"]).unwrap_or_default();
            let geometry = f
                .get("geometry")
                .ok_or_else(|| Error::parse(path, &record, "geometry", "missing"))?;
            let kind = geometry.get("type").and_then(|t| t.as_str()).unwrap_or("");
            let coords = geometry
                .get("coordinates")
                .ok_or_else(|| Error::parse(path, &record, "geometry.coordinates", "missing"))?;
            let polygons = match kind {
                "Polygon" => vec![polygon(coords, path, &record)?],
                "MultiPolygon" => coords
                    .as_array()
                    .ok_or_else(|| {
                        Error::parse(path, &record, "geometry.coordinates", "not an array")
                    })?
                    .iter()
                    .map(|p| polygon(p, path, &record))
                    .collect::<Result<Vec<_>>>()?,
                other => {
                    return Err(Error::parse(
                        path,
                        &record,
                        "geometry.type",
                        format!("`{other}`: areas must be Polygon or MultiPolygon"),
                    ));
                }
            };
            areas.push(Area { id, name, polygons });
        }
        if areas.is_empty() {
            return Err(Error::Empty {
                what: path.display().to_string(),
                message: "no area features".into(),
            });
        }
        let boxes: Vec<Bbox> = areas
            .iter()
            .enumerate()
            .flat_map(|(i, a)| {
                a.polygons.iter().map(move |p| {
                    let b = p.bbox();
                    GeomWithData::new(
                        Rectangle::from_aabb(AABB::from_corners([b[0], b[1]], [b[2], b[3]])),
                        i as u32,
                    )
                })
            })
            .collect();
        Ok(Areas {
            kind: AreaKind::GeoJson {
                file: path.display().to_string(),
            },
            areas,
            tree: Some(RTree::bulk_load(boxes)),
            cells: HashMap::new(),
        })
    }
}

fn ring(v: &serde_json::Value, path: &Path, record: &str) -> Result<Vec<[f64; 2]>> {
    let arr = v.as_array().ok_or_else(|| {
        Error::parse(
            path,
            record,
            "geometry.coordinates",
            "a ring must be an array",
        )
    })?;
    let mut out = Vec::with_capacity(arr.len());
    for (k, p) in arr.iter().enumerate() {
        let lon = p.get(0).and_then(|x| x.as_f64());
        let lat = p.get(1).and_then(|x| x.as_f64());
        match (lon, lat) {
            (Some(lon), Some(lat)) if crate::geom::valid_lon_lat(lon, lat) => out.push([lon, lat]),
            _ => {
                return Err(Error::parse(
                    path,
                    record,
                    format!("geometry.coordinates (point {})", k + 1),
                    "needs [lon, lat] in degrees",
                ));
            }
        }
    }
    if out.len() > 1 && out.first() == out.last() {
        out.pop();
    }
    if out.len() < 3 {
        return Err(Error::parse(
            path,
            record,
            "geometry.coordinates",
            "a ring needs at least 3 distinct points",
        ));
    }
    Ok(out)
}

fn polygon(v: &serde_json::Value, path: &Path, record: &str) -> Result<Polygon> {
    let rings = v.as_array().ok_or_else(|| {
        Error::parse(
            path,
            record,
            "geometry.coordinates",
            "a polygon must be an array of rings",
        )
    })?;
    let mut it = rings.iter();
    let exterior = ring(
        it.next()
            .ok_or_else(|| Error::parse(path, record, "geometry.coordinates", "empty polygon"))?,
        path,
        record,
    )?;
    let holes = it
        .map(|r| ring(r, path, record))
        .collect::<Result<Vec<_>>>()?;
    Ok(Polygon { exterior, holes })
}

/// The H3 cell of a point, if the coordinate is valid.
pub fn cell_of(lon: f64, lat: f64, resolution: u8) -> Option<CellIndex> {
    let res = Resolution::try_from(resolution).ok()?;
    LatLng::new(lat, lon).ok().map(|ll| ll.to_cell(res))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn geojson_areas_locate_points() {
        let mut f = tempfile::Builder::new()
            .suffix(".geojson")
            .tempfile()
            .expect("tmp");
        write!(
            f,
            r#"{{"type":"FeatureCollection","features":[
            {{"type":"Feature","properties":{{"code":"330111001","name":"富春街道"}},"geometry":{{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1],[0,0]]]}}}},
            {{"type":"Feature","properties":{{"name":"东洲街道"}},"geometry":{{"type":"MultiPolygon","coordinates":[[[[1,0],[2,0],[2,1],[1,1]]],[[[5,5],[6,5],[6,6]]]]}}}}]}}"#
        )
        .expect("write");
        let a = Areas::from_geojson(f.path()).expect("areas");
        assert_eq!(a.len(), 2);
        assert_eq!(
            (a.areas[0].id.as_str(), a.areas[0].name.as_str()),
            ("330111001", "富春街道")
        );
        assert_eq!(a.areas[1].id, "2");
        assert_eq!(a.locate(0.5, 0.5), 0);
        assert_eq!(a.locate(1.5, 0.5), 1);
        assert_eq!(a.locate(5.8, 5.2), 1);
        assert_eq!(a.locate(3.0, 3.0), NO_AREA);
    }

    #[test]
    fn bad_geojson_names_the_feature() {
        let mut f = tempfile::Builder::new()
            .suffix(".geojson")
            .tempfile()
            .expect("tmp");
        write!(f, r#"{{"type":"FeatureCollection","features":[{{"geometry":{{"type":"Polygon","coordinates":[[[0,0],[1,0]]]}}}}]}}"#).expect("w");
        let e = Areas::from_geojson(f.path())
            .expect_err("2-point ring")
            .to_string();
        assert!(e.contains("feature 1") && e.contains("coordinates"), "{e}");
    }

    #[test]
    fn h3_cells() {
        let a = Areas::h3_covering([(-46.6079746773408, -23.5710980272876)].into_iter(), 9)
            .expect("h3");
        assert_eq!(a.areas[0].id, "89a8100c603ffff");
        assert!(a.areas[0].polygons.is_empty(), "a cell's polygon is drawn from its id");
        let hexagon = Areas::cell_polygon(&a.areas[0].id).expect("polygon");
        assert_eq!(hexagon.exterior.len(), 6);
        assert!(hexagon.contains([-46.6079746773408, -23.5710980272876]));
        assert_eq!(a.locate(-46.6079746773408, -23.5710980272876), 0);
    }
}
