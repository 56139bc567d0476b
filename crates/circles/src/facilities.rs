//! Facilities: public services of each category with a name and a capacity, read from OSM tags
//! (see [`crate::osm`]), CSV or GeoJSON files, and placed on the walking graph.

use std::path::Path;

use crate::error::{Error, Result};
use crate::geom;
use crate::graph::Graph;
use crate::norms::Norms;
use crate::snap::{Snap, Snapper};

/// One facility before it is placed on the graph.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Facility {
    /// Index into the norms' categories.
    pub category: usize,
    pub name: String,
    /// Places, beds, staff, m², … in the category's unit.
    pub capacity: f64,
    /// True when the capacity is the category's default, not a recorded figure.
    pub capacity_estimated: bool,
    pub lon: f64,
    pub lat: f64,
    /// Where it came from: "osm node 42", "schools.csv line 7", …
    pub source: String,
}

/// A facility placed on the graph.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct PlacedFacility {
    #[serde(flatten)]
    pub facility: Facility,
    pub snap: Snap,
    /// Distance from the facility to its edge, metres.
    pub off_street_m: f64,
}

/// Facilities placed on the graph, and those too far from any walkable edge.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Placement {
    pub placed: Vec<PlacedFacility>,
    pub too_far: Vec<Facility>,
}

/// Places facilities on the nearest edge; those beyond `max_snap_m` are set aside.
pub fn place(
    graph: &Graph,
    snapper: &Snapper,
    facilities: Vec<Facility>,
    max_snap_m: f64,
) -> Placement {
    let mut out = Placement::default();
    for f in facilities {
        match snapper.snap(graph, f.lon, f.lat) {
            Some(snap) if (snap.off_m as f64) <= max_snap_m => {
                let off = snap.off_m as f64;
                out.placed.push(PlacedFacility {
                    facility: f,
                    snap,
                    off_street_m: off,
                });
            }
            _ => out.too_far.push(f),
        }
    }
    out
}

fn category_of(norms: &Norms, value: &str, path: &Path, record: &str) -> Result<usize> {
    norms.category_index(value.trim()).ok_or_else(|| {
        let keys: Vec<&str> = norms.categories.iter().map(|c| c.key.as_str()).collect();
        Error::parse(
            path,
            record,
            "category",
            format!("unknown category `{value}` (known: {})", keys.join(", ")),
        )
    })
}

fn coordinate(v: &str, path: &Path, record: &str, field: &str) -> Result<f64> {
    v.trim()
        .parse::<f64>()
        .ok()
        .filter(|x| x.is_finite())
        .ok_or_else(|| Error::parse(path, record, field, format!("`{v}` is not a number")))
}

/// Reads facilities from a `.csv` (columns `category,name,capacity,lon,lat`; name and capacity
/// optional) or a `.geojson`/`.json` file (Point features with those properties).
pub fn load(path: &Path, norms: &Norms) -> Result<Vec<Facility>> {
    match path
        .extension()
        .and_then(|e| e.to_str())
        .map(|e| e.to_ascii_lowercase())
        .as_deref()
    {
        Some("csv") => load_csv(path, norms),
        Some("geojson" | "json") => load_geojson(path, norms),
        _ => Err(Error::parse(
            path,
            "file",
            "extension",
            "facilities must be .csv, .geojson or .json",
        )),
    }
}

/// Finds a column by any of its accepted names.
pub(crate) fn column(headers: &csv::StringRecord, names: &[&str]) -> Option<usize> {
    headers
        .iter()
        .position(|h| names.iter().any(|n| h.trim().eq_ignore_ascii_case(n)))
}

fn load_csv(path: &Path, norms: &Norms) -> Result<Vec<Facility>> {
    let file = crate::csvfile::CsvFile::open(path)?;
    let mut rdr = file.reader(csv::ReaderBuilder::new().flexible(true));
    let headers = rdr.headers().map_err(|e| file.error(e))?.clone();
    let need = |names: &[&str], field: &str| {
        column(&headers, names).ok_or_else(|| Error::parse(path, "line 1", field, "missing column"))
    };
    let c_cat = need(&["category", "类别"], "category")?;
    let c_lon = need(&["lon", "lng", "longitude", "x", "经度"], "lon")?;
    let c_lat = need(&["lat", "latitude", "y", "纬度"], "lat")?;
    let c_name = column(&headers, &["name", "名称"]);
    let c_cap = column(&headers, &["capacity", "容量", "places", "beds", "staff"]);
    let mut out = Vec::new();
    for rec in rdr.records() {
        let rec = rec.map_err(|e| file.error(e))?;
        let record = file.at(rec.position());
        let get = |c: usize| rec.get(c).unwrap_or("");
        let category = category_of(norms, get(c_cat), path, &record)?;
        let lon = coordinate(get(c_lon), path, &record, "lon")?;
        let lat = coordinate(get(c_lat), path, &record, "lat")?;
        if !geom::valid_lon_lat(lon, lat) {
            return Err(Error::parse(
                path,
                &record,
                "lon/lat",
                format!("({lon}, {lat}) is not a WGS 84 coordinate"),
            ));
        }
        let (capacity, estimated) = match c_cap.map(get).map(str::trim).filter(|s| !s.is_empty()) {
            Some(v) => match v.parse::<f64>() {
                Ok(x) if x.is_finite() && x >= 0.0 => (x, false),
                _ => {
                    return Err(Error::parse(
                        path,
                        &record,
                        "capacity",
                        format!("`{v}` is not a non-negative number"),
                    ));
                }
            },
            None => (norms.categories[category].default_capacity, true),
        };
        out.push(Facility {
            category,
            name: c_name.map(get).unwrap_or("").trim().to_string(),
            capacity,
            capacity_estimated: estimated,
            lon,
            lat,
            source: format!("{} {record}", file_name(path)),
        });
    }
    Ok(out)
}

pub(crate) fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

pub(crate) fn read_json(path: &Path) -> Result<serde_json::Value> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    serde_json::from_str(&text)
        .map_err(|e| Error::parse(path, format!("line {}", e.line()), "json", e.to_string()))
}

fn load_geojson(path: &Path, norms: &Norms) -> Result<Vec<Facility>> {
    let doc = read_json(path)?;
    let features = doc
        .get("features")
        .and_then(|f| f.as_array())
        .ok_or_else(|| Error::parse(path, "document", "features", "not a FeatureCollection"))?;
    let mut out = Vec::new();
    for (i, f) in features.iter().enumerate() {
        let record = format!("feature {}", i + 1);
        let props = f
            .get("properties")
            .cloned()
            .unwrap_or(serde_json::Value::Null);
        let text = |k: &str| {
            props.get(k).and_then(|v| {
                v.as_str()
                    .map(str::to_string)
                    .or_else(|| v.as_f64().map(|x| x.to_string()))
            })
        };
        let cat = text("category")
            .ok_or_else(|| Error::parse(path, &record, "properties.category", "missing"))?;
        let category = category_of(norms, &cat, path, &record)?;
        let geometry = f
            .get("geometry")
            .ok_or_else(|| Error::parse(path, &record, "geometry", "missing"))?;
        if geometry.get("type").and_then(|t| t.as_str()) != Some("Point") {
            return Err(Error::parse(
                path,
                &record,
                "geometry.type",
                "facilities must be Points",
            ));
        }
        let c = geometry
            .get("coordinates")
            .and_then(|c| c.as_array())
            .ok_or_else(|| Error::parse(path, &record, "geometry.coordinates", "missing"))?;
        let num = |k: usize| c.get(k).and_then(|v| v.as_f64());
        let (Some(lon), Some(lat)) = (num(0), num(1)) else {
            return Err(Error::parse(
                path,
                &record,
                "geometry.coordinates",
                "needs [lon, lat]",
            ));
        };
        if !geom::valid_lon_lat(lon, lat) {
            return Err(Error::parse(
                path,
                &record,
                "geometry.coordinates",
                format!("({lon}, {lat}) is not a WGS 84 coordinate"),
            ));
        }
        let (capacity, estimated) = match props.get("capacity") {
            None | Some(serde_json::Value::Null) => {
                (norms.categories[category].default_capacity, true)
            }
            Some(v) => match v
                .as_f64()
                .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()))
            {
                Some(x) if x.is_finite() && x >= 0.0 => (x, false),
                _ => {
                    return Err(Error::parse(
                        path,
                        &record,
                        "properties.capacity",
                        format!("`{v}` is not a non-negative number"),
                    ));
                }
            },
        };
        out.push(Facility {
            category,
            name: text("name").unwrap_or_default(),
            capacity,
            capacity_estimated: estimated,
            lon,
            lat,
            source: format!("{} {record}", file_name(path)),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn file(ext: &str, text: &str) -> tempfile::NamedTempFile {
        let mut f = tempfile::Builder::new()
            .suffix(ext)
            .tempfile()
            .expect("tmp");
        f.write_all(text.as_bytes()).expect("write");
        f
    }

    #[test]
    fn csv_and_geojson() {
        let norms = Norms::default();
        let f = file(
            ".csv",
            "category,name,capacity,lon,lat\nkindergarten,阳光幼儿园,300,119.95,30.05\n幼儿园,无名,,119.96,30.06\n",
        );
        let v = load(f.path(), &norms).expect("csv");
        assert_eq!(v.len(), 2);
        assert_eq!((v[0].capacity, v[0].capacity_estimated), (300.0, false));
        assert!(v[1].capacity_estimated);
        assert_eq!(v[1].category, v[0].category);
        let g = file(
            ".geojson",
            r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"category":"hospital","name":"富阳区第一人民医院","capacity":1200},"geometry":{"type":"Point","coordinates":[119.96,30.05]}}]}"#,
        );
        let v = load(g.path(), &norms).expect("geojson");
        assert_eq!(
            (v[0].capacity, v[0].name.as_str()),
            (1200.0, "富阳区第一人民医院")
        );
    }

    #[test]
    fn errors_name_the_line_and_field() {
        let norms = Norms::default();
        let f = file(
            ".csv",
            "category,lon,lat\nkindergarten,119.9,30\nspaceport,119.9,30\n",
        );
        let e = load(f.path(), &norms)
            .expect_err("unknown category")
            .to_string();
        assert!(
            e.contains("line 3") && e.contains("category") && e.contains("spaceport"),
            "{e}"
        );
        let f = file(".csv", "category,lon,lat\nkindergarten,abc,30\n");
        let e = load(f.path(), &norms).expect_err("bad lon").to_string();
        assert!(e.contains("line 2") && e.contains("`lon`"), "{e}");
        let f = file(".csv", "category,lon,lat\nkindergarten,500,30\n");
        assert!(load(f.path(), &norms).is_err());
        let g = file(
            ".geojson",
            r#"{"type":"FeatureCollection","features":[{"properties":{"category":"clinic"},"geometry":{"type":"Point","coordinates":["x"]}}]}"#,
        );
        let e = load(g.path(), &norms).expect_err("bad point").to_string();
        assert!(e.contains("feature 1") && e.contains("coordinates"), "{e}");
        let g = file(".geojson", "{not json");
        assert!(
            load(g.path(), &norms)
                .expect_err("bad json")
                .to_string()
                .contains("line 1")
        );
    }
}
