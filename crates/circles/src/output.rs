//! Writers for an analysis: GeoJSON of the areas with every indicator and colour, CSV tables,
//! JSON summaries and an SVG map of the five colours over the street network.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;

use serde_json::{Map, Value, json};

use crate::analysis::{Analysis, Indicators};
use crate::error::{Error, Result};
use crate::geom::Polygon;
use crate::graph::Graph;
use crate::warning::Colour;

/// The fill of an area whose residents no street reaches (darker than "no residents").
const UNREACHABLE_FILL: &str = "#7d7d7d";

fn ring_json(r: &[[f64; 2]]) -> Value {
    let mut pts: Vec<Value> = r
        .iter()
        .map(|p| json!([round6(p[0]), round6(p[1])]))
        .collect();
    if let Some(first) = pts.first().cloned() {
        pts.push(first);
    }
    Value::Array(pts)
}

fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

fn round4(x: f64) -> f64 {
    (x * 1e4).round() / 1e4
}

fn polygon_json(p: &Polygon) -> Value {
    Value::Array(
        std::iter::once(ring_json(&p.exterior))
            .chain(p.holes.iter().map(|h| ring_json(h)))
            .collect(),
    )
}

fn geometry_json(polys: &[Polygon]) -> Value {
    if polys.len() == 1 {
        json!({"type": "Polygon", "coordinates": polygon_json(&polys[0])})
    } else {
        json!({"type": "MultiPolygon", "coordinates": polys.iter().map(polygon_json).collect::<Vec<_>>()})
    }
}

fn indicator_props(props: &mut Map<String, Value>, key: &str, i: &Indicators) {
    let mut put = |name: &str, v: Value| {
        props.insert(format!("{key}_{name}"), v);
    };
    put("coverage_5", json!(round4(i.coverage[0])));
    put("coverage_10", json!(round4(i.coverage[1])));
    put("coverage_15", json!(round4(i.coverage[2])));
    put("coverage_norm", json!(round4(i.coverage_norm)));
    put(
        "mean_minutes",
        json!(i.mean_minutes.map(|m| (m * 100.0).round() / 100.0)),
    );
    put("supply_per_1000", json!(round4(i.supply_per_1000)));
    put("balance_ratio", json!(i.balance_ratio.map(round4)));
    put("facilities", json!(i.facilities));
    put("colour", json!(i.colour.map(Colour::name)));
}

impl Analysis {
    /// The areas as a GeoJSON FeatureCollection; each feature carries the overall colour and,
    /// per analysed category, `{key}_coverage_5/10/15`, `{key}_coverage_norm`,
    /// `{key}_mean_minutes`, `{key}_supply_per_1000`, `{key}_balance_ratio`,
    /// `{key}_facilities` and `{key}_colour`.
    pub fn to_geojson(&self) -> Value {
        let features: Vec<Value> = (0..self.areas.len()).map(|ai| self.area_feature(ai)).collect();
        json!({"type": "FeatureCollection", "features": features})
    }

    /// [`Analysis::to_geojson`] written as it is made, one feature at a time: the same bytes as
    /// `serde_json::to_writer(w, &self.to_geojson())`, without the whole document in memory
    /// (at a million nodes that tree took over a gigabyte).
    pub fn write_geojson(&self, w: &mut impl std::io::Write) -> std::io::Result<()> {
        w.write_all(br#"{"features":["#)?;
        for ai in 0..self.areas.len() {
            if ai > 0 {
                w.write_all(b",")?;
            }
            serde_json::to_writer(&mut *w, &self.area_feature(ai))?;
        }
        w.write_all(br#"],"type":"FeatureCollection"}"#)
    }

    /// The GeoJSON feature of area `ai`.
    fn area_feature(&self, ai: usize) -> Value {
        let (a, polys) = (&self.areas[ai], self.polygons(ai));
        let mut props = Map::new();
        props.insert("id".into(), json!(a.id));
        props.insert("name".into(), json!(a.name));
        props.insert("population".into(), json!(a.population.round()));
        props.insert("overall_colour".into(), json!(a.overall.map(Colour::name)));
        props.insert("overall_colour_zh".into(), json!(a.overall.map(Colour::name_zh)));
        props.insert("overall_fill".into(), json!(a.overall.map(Colour::hex)));
        if a.unreachable_population > 0.0 {
            props.insert("unreachable_population".into(), json!(a.unreachable_population.round()));
        }
        for (ci, c) in self.categories.iter().enumerate() {
            if let Some(i) = self.indicator(ci, ai) {
                indicator_props(&mut props, &c.key, &i);
            }
        }
        json!({"type": "Feature", "geometry": geometry_json(&polys), "properties": props})
    }

    /// The placed facilities as GeoJSON points.
    pub fn facilities_geojson(&self) -> Value {
        let features: Vec<Value> = self
            .facilities
            .iter()
            .map(|f| {
                let c = &self.categories[f.facility.category];
                json!({"type": "Feature",
                    "geometry": {"type": "Point", "coordinates": [round6(f.facility.lon), round6(f.facility.lat)]},
                    "properties": {"category": c.key, "category_zh": c.name_zh, "name": f.facility.name,
                        "capacity": f.facility.capacity, "capacity_estimated": f.facility.capacity_estimated,
                        "off_street_m": (f.off_street_m * 10.0).round() / 10.0, "source": f.facility.source}})
            })
            .collect();
        json!({"type": "FeatureCollection", "features": features})
    }

    /// One row per area and analysed category (plus a `*` row for the whole study area).
    pub fn to_csv(&self) -> String {
        let mut out = Vec::new();
        // Writing to memory cannot fail.
        let _ = self.write_csv(&mut out);
        String::from_utf8(out).unwrap_or_default()
    }

    /// [`Analysis::to_csv`] written as it is made.
    pub fn write_csv(&self, s: &mut impl std::io::Write) -> std::io::Result<()> {
        s.write_all(
            b"area_id,area_name,population,category,category_zh,norm_minutes,coverage_5,coverage_10,coverage_15,coverage_norm,mean_minutes,unreached,mean_facilities_within_norm,mean_capacity_within_norm,supply_per_1000,norm_per_1000,balance_ratio,facilities,colour,colour_zh\n",
        )?;
        let rows = self
            .areas
            .iter()
            .enumerate()
            .map(|(ai, a)| {
                (
                    a.id.as_str(),
                    a.name.as_str(),
                    (0..self.categories.len())
                        .map(|ci| self.indicator(ci, ai))
                        .collect::<Vec<_>>(),
                )
            })
            .chain(std::iter::once((
                "*",
                "study area",
                self.categories
                    .iter()
                    .map(|c| c.analysed.then(|| c.district.clone()))
                    .collect(),
            )));
        for (id, name, cats) in rows {
            for (c, ind) in self.categories.iter().zip(cats) {
                let Some(i) = ind else { continue };
                let opt = |v: Option<f64>| v.map_or(String::new(), |x| format!("{x:.4}"));
                writeln!(
                    s,
                    "{},{},{:.0},{},{},{},{:.4},{:.4},{:.4},{:.4},{},{:.4},{:.3},{:.2},{:.4},{},{},{},{},{}",
                    csv_field(id),
                    csv_field(name),
                    i.population,
                    c.key,
                    csv_field(&c.name_zh),
                    c.norm_minutes,
                    i.coverage[0],
                    i.coverage[1],
                    i.coverage[2],
                    i.coverage_norm,
                    // Minutes to two decimals (as in the GeoJSON): more would be noise.
                    i.mean_minutes.map_or(String::new(), |x| format!("{x:.2}")),
                    i.unreached,
                    i.mean_facilities_within_norm,
                    i.mean_capacity_within_norm,
                    i.supply_per_1000,
                    opt(c.norm_per_1000),
                    opt(i.balance_ratio),
                    i.facilities,
                    i.colour.map_or("", Colour::name),
                    i.colour.map_or("", Colour::name_zh),
                )?;
            }
        }
        Ok(())
    }

    /// The placed facilities as CSV.
    pub fn facilities_csv(&self) -> String {
        let mut s =
            String::from("category,name,capacity,capacity_estimated,lon,lat,off_street_m,source\n");
        for f in &self.facilities {
            let _ = writeln!(
                s,
                "{},{},{},{},{:.7},{:.7},{:.1},{}",
                self.categories[f.facility.category].key,
                csv_field(&f.facility.name),
                f.facility.capacity,
                f.facility.capacity_estimated,
                f.facility.lon,
                f.facility.lat,
                f.off_street_m,
                csv_field(&f.facility.source)
            );
        }
        s
    }

    /// Writes `areas.geojson`, `areas.csv`, `facilities.geojson`, `facilities.csv`,
    /// `summary.json`, `map.svg` (overall colour) and `map-{category}.svg` per analysed category.
    pub fn write_dir(&self, graph: &Graph, dir: &Path) -> Result<Vec<std::path::PathBuf>> {
        self.write_files(graph, dir, true)
    }

    /// [`Analysis::write_dir`], with the per-area files (`areas.geojson`, `areas.csv`) only when
    /// `per_area`: over H3 cells of a city they are most of the output (at a million nodes
    /// 258 MB of its 441), so `circles analyse` writes them when asked (`--cell-files`).
    pub fn write_files(&self, graph: &Graph, dir: &Path, per_area: bool) -> Result<Vec<std::path::PathBuf>> {
        use rayon::prelude::*;
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        // Each file is written as it is made, through a buffer, and the files side by side on
        // every core (issue 37: at a million nodes writing took four fifths of the command's
        // 17 s and most of its 1.9 GiB).
        let maps: Vec<Option<&str>> =
            std::iter::once(None).chain(self.categories.iter().filter(|c| c.analysed).map(|c| Some(c.key.as_str()))).collect();
        let mut jobs: Vec<(String, Job<'_>)> = Vec::new();
        if per_area {
            jobs.extend([("areas.geojson".into(), Job::Areas), ("areas.csv".into(), Job::Csv)]);
        }
        jobs.extend([
            ("facilities.geojson".into(), Job::FacilitiesGeojson),
            ("facilities.csv".into(), Job::FacilitiesCsv),
            ("summary.json".into(), Job::Summary),
        ]);
        jobs.extend(maps.into_iter().map(|m| (m.map_or_else(|| "map.svg".to_owned(), |k| format!("map-{k}.svg")), Job::Map(m))));
        jobs.par_iter()
            .map(|(name, job)| {
                let p = dir.join(name);
                let f = std::fs::File::create(&p).map_err(|e| Error::io(&p, e))?;
                let mut w = std::io::BufWriter::with_capacity(1 << 20, f);
                let written = match job {
                    Job::Areas => self.write_geojson(&mut w),
                    Job::Csv => self.write_csv(&mut w),
                    Job::FacilitiesGeojson => serde_json::to_writer_pretty(&mut w, &self.facilities_geojson()).map_err(std::io::Error::from),
                    Job::FacilitiesCsv => w.write_all(self.facilities_csv().as_bytes()),
                    Job::Summary => serde_json::to_writer_pretty(&mut w, &self.summary()).map_err(std::io::Error::from),
                    Job::Map(category) => write_svg(self, graph, *category, &mut w)?,
                };
                written.and_then(|()| w.flush()).map_err(|e| Error::io(&p, e))?;
                Ok(p)
            })
            .collect()
    }
}

/// One file of [`Analysis::write_dir`].
enum Job<'a> {
    Areas,
    Csv,
    FacilitiesGeojson,
    FacilitiesCsv,
    Summary,
    Map(Option<&'a str>),
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn xml(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// An SVG map: areas filled with their warning colour (overall, or of one category), the
/// street network over them, the facilities (of that category) as dots, a legend and a scale.
pub fn to_svg(a: &Analysis, graph: &Graph, category: Option<&str>) -> Result<String> {
    let mut s = String::with_capacity(1 << 20);
    svg_into(a, graph, category, &mut s)?;
    Ok(s)
}

/// [`to_svg`] written to `w` as it is made (a map of a million-node network is some 24 MB).
pub fn write_svg(a: &Analysis, graph: &Graph, category: Option<&str>, w: &mut impl std::io::Write) -> Result<std::io::Result<()>> {
    let mut out = FmtIo { w, err: None };
    svg_into(a, graph, category, &mut out)?;
    Ok(out.err.map_or(Ok(()), Err))
}

/// `fmt::Write` onto an `io::Write`, keeping the first error.
struct FmtIo<'a, W: std::io::Write> {
    w: &'a mut W,
    err: Option<std::io::Error>,
}

impl<W: std::io::Write> std::fmt::Write for FmtIo<'_, W> {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        if self.err.is_some() {
            return Err(std::fmt::Error);
        }
        self.w.write_all(s.as_bytes()).map_err(|e| {
            self.err = Some(e);
            std::fmt::Error
        })
    }
}

/// Above this many areas a map draws them by colour without a title each.
pub const TITLED_AREAS_MAX: usize = 2_000;

/// Appends the line through `pts` to a path at whole pixels: `M` to the first, then `l`
/// relative moves, leaving out those that stay on the same pixel.
fn pixel_path(d: &mut String, pts: impl Iterator<Item = (f64, f64)>) {
    let mut last: Option<(i64, i64)> = None;
    for (x, y) in pts {
        let at = (x.round() as i64, y.round() as i64);
        match last {
            None => {
                let _ = write!(d, "M{} {}", at.0, at.1);
            }
            Some(prev) if prev == at => continue,
            Some(prev) => {
                let _ = write!(d, "l{} {}", at.0 - prev.0, at.1 - prev.1);
            }
        }
        last = Some(at);
    }
}

/// Squares of the map (of [`Ink::SIDE`] pixels) some street already crosses.
struct Ink {
    cols: usize,
    rows: usize,
    inked: Vec<bool>,
}

impl Ink {
    /// Side of a square in pixels.
    const SIDE: f64 = 3.0;

    fn new(w: f64, h: f64) -> Self {
        let (cols, rows) = ((w / Self::SIDE).ceil() as usize + 1, (h / Self::SIDE).ceil() as usize + 1);
        Ink { cols, rows, inked: vec![false; cols * rows] }
    }

    /// Marks the squares the line `pts` crosses on the map; whether any was new.
    fn mark(&mut self, pts: &[(f64, f64)]) -> bool {
        let mut new = false;
        let mut visit = |x: f64, y: f64| {
            let (c, r) = (x / Self::SIDE, y / Self::SIDE);
            if c >= 0.0 && r >= 0.0 && (c as usize) < self.cols && (r as usize) < self.rows {
                let i = r as usize * self.cols + c as usize;
                new |= !self.inked[i];
                self.inked[i] = true;
            }
        };
        for w in pts.windows(2) {
            let ((x0, y0), (x1, y1)) = (w[0], w[1]);
            let steps = ((x1 - x0).hypot(y1 - y0) / Self::SIDE).ceil().clamp(1.0, 10_000.0) as usize;
            for k in 0..=steps {
                let t = k as f64 / steps as f64;
                visit(x0 + (x1 - x0) * t, y0 + (y1 - y0) * t);
            }
        }
        if let [(x, y)] = pts {
            visit(*x, *y);
        }
        new
    }
}

/// Draws the map into `s` (see [`to_svg`]).
fn svg_into(a: &Analysis, graph: &Graph, category: Option<&str>, s: &mut impl std::fmt::Write) -> Result<()> {
    let ci = match category {
        Some(k) => Some(a.category_index(k).ok_or(Error::NotFound {
            what: "category",
            key: k.to_string(),
        })?),
        None => None,
    };
    let proj = graph.projection();
    // View: the areas (where the colours are), else the graph.
    let mut b = [
        f64::INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NEG_INFINITY,
    ];
    for ai in 0..a.areas.len() {
        for p in a.polygons(ai).iter() {
            for q in &p.exterior {
                let xy = proj.project(q[0], q[1]);
                b = [
                    b[0].min(xy[0]),
                    b[1].min(xy[1]),
                    b[2].max(xy[0]),
                    b[3].max(xy[1]),
                ];
            }
        }
    }
    if !b[0].is_finite() {
        let gb = graph.bbox();
        let lo = proj.project(gb[0], gb[1]);
        let hi = proj.project(gb[2], gb[3]);
        b = [lo[0], lo[1], hi[0], hi[1]];
    }
    let pad = 0.04 * (b[2] - b[0]).max(b[3] - b[1]).max(1.0);
    b = [b[0] - pad, b[1] - pad, b[2] + pad, b[3] + pad];
    let map_w = 1000.0;
    let scale = map_w / (b[2] - b[0]).max(1.0);
    let map_h = ((b[3] - b[1]) * scale).clamp(200.0, 2000.0);
    let legend_w = 300.0;
    let (w, h) = (map_w + legend_w, map_h.max(420.0));
    let px = |xy: [f64; 2]| ((xy[0] - b[0]) * scale, map_h - (xy[1] - b[1]) * scale);
    let _ = write!(
        s,
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{w:.0}" height="{h:.0}" viewBox="0 0 {w:.0} {h:.0}" font-family="Noto Sans CJK SC, Noto Sans SC, WenQuanYi Micro Hei, sans-serif">
<rect width="100%" height="100%" fill="#ffffff"/>
<clipPath id="map"><rect width="{map_w:.0}" height="{map_h:.0}"/></clipPath>
<g clip-path="url(#map)">
<rect width="{map_w:.0}" height="{map_h:.0}" fill="#f4f3ef"/>
<g id="areas" stroke="#ffffff" stroke-width="0.6" fill-opacity="0.62">
"##
    );
    // Many areas (a city's H3 cells) are drawn one path per colour at whole pixels, without a
    // title each: a title per cell made a million-node map 24 MB (issue 37).
    let titled = a.areas.len() <= TITLED_AREAS_MAX;
    let mut by_fill: std::collections::BTreeMap<&str, String> = std::collections::BTreeMap::new();
    for (ai, area) in a.areas.iter().enumerate() {
        let polys = a.polygons(ai);
        let colour = match ci {
            Some(ci) => a.colour(ci, ai),
            None => area.overall,
        };
        // Residents the input gave but no street reaches are not "no residents".
        let unreachable = colour.is_none() && area.unreachable_population > 0.0;
        let fill = if unreachable { UNREACHABLE_FILL } else { colour.map_or("#cfcfcf", Colour::hex) };
        if !titled {
            let d = by_fill.entry(fill).or_default();
            for p in polys.iter() {
                for r in std::iter::once(&p.exterior).chain(&p.holes) {
                    pixel_path(d, r.iter().map(|q| px(proj.project(q[0], q[1]))));
                    d.push('Z');
                }
            }
            continue;
        }
        let mut d = String::new();
        for p in polys.iter() {
            for r in std::iter::once(&p.exterior).chain(&p.holes) {
                for (k, q) in r.iter().enumerate() {
                    let (x, y) = px(proj.project(q[0], q[1]));
                    let _ = write!(d, "{}{x:.1},{y:.1}", if k == 0 { "M" } else { "L" });
                }
                d.push('Z');
            }
        }
        let title = xml(&if unreachable {
            format!(
                "{} {} · {} residents too far from any street: unreachable, counted in no figure",
                area.id,
                area.name,
                area.unreachable_population.round()
            )
        } else {
            format!(
                "{} {} · {} residents · {}",
                area.id,
                area.name,
                area.population.round(),
                colour.map_or("no residents", Colour::name)
            )
        });
        let _ = writeln!(
            s,
            r#"<path d="{d}" fill="{fill}"><title>{title}</title></path>"#
        );
    }
    for (fill, d) in &by_fill {
        // No outline: at a few pixels a cell would be all outline.
        let _ = writeln!(s, r#"<path d="{d}" fill="{fill}" stroke="none"/>"#);
    }
    let _ = s.write_str("</g>\n<g id=\"streets\" fill=\"none\" stroke=\"#3a3a3a\" stroke-width=\"0.5\" stroke-opacity=\"0.55\" stroke-linecap=\"round\">\n<path d=\"");
    // A street is drawn when it inks a square of the map no street drawn before it did: at map
    // scale a dense network is a texture, and a million-node one was 11 MB of lines per map.
    let mut ink = Ink::new(map_w, map_h);
    let mut pts: Vec<(f64, f64)> = Vec::new();
    for e in 0..graph.edge_count() as u32 {
        pts.clear();
        pts.extend(graph.edge_geometry(e).map(|p| px(proj.project_fixed(p))));
        if !ink.mark(&pts) {
            continue;
        }
        let mut d = String::new();
        pixel_path(&mut d, pts.iter().copied());
        let _ = s.write_str(&d);
    }
    let _ = s.write_str(
        "\"/>\n</g>\n<g id=\"facilities\" fill=\"#111\" stroke=\"#fff\" stroke-width=\"0.8\">\n",
    );
    let mut shown = 0usize;
    for f in &a.facilities {
        if ci.is_some_and(|c| c != f.facility.category) {
            continue;
        }
        let (x, y) = px(proj.project(f.facility.lon, f.facility.lat));
        if x < 0.0 || y < 0.0 || x > map_w || y > map_h {
            continue;
        }
        shown += 1;
        let title = xml(&format!(
            "{} · {} · {} {}",
            a.categories[f.facility.category].name_zh,
            f.facility.name,
            f.facility.capacity,
            a.categories[f.facility.category].capacity_unit
        ));
        let _ = writeln!(
            s,
            r#"<circle cx="{x:.1}" cy="{y:.1}" r="3.2"><title>{title}</title></circle>"#
        );
    }
    let _ = s.write_str("</g>\n</g>\n");
    // Scale bar: a round length near a fifth of the map.
    let target = (b[2] - b[0]) / 5.0;
    let bar_m = [
        100.0, 200.0, 500.0, 1000.0, 2000.0, 5000.0, 10000.0, 20000.0, 50000.0,
    ]
    .into_iter()
    .rev()
    .find(|&m| m <= target)
    .unwrap_or(100.0);
    let bar_px = bar_m * scale;
    let label = if bar_m >= 1000.0 {
        format!("{} km", bar_m / 1000.0)
    } else {
        format!("{bar_m} m")
    };
    let _ = writeln!(
        s,
        r##"<g id="scale" font-size="12"><rect x="16" y="{y0:.0}" width="{bw:.1}" height="6" fill="#222"/><text x="16" y="{ty:.0}">{label}</text></g>"##,
        y0 = map_h - 26.0,
        bw = bar_px,
        ty = map_h - 32.0
    );
    // Legend.
    let lx = map_w + 20.0;
    let (title_zh, title_en, counts): (String, String, [usize; 5]) = match ci {
        Some(c) => {
            let cat = &a.categories[c];
            (
                format!("{}（{}分钟）", cat.name_zh, cat.norm_minutes),
                format!("{} · {}-minute norm", cat.name_en, cat.norm_minutes),
                cat.colour_counts,
            )
        }
        None => {
            let mut cc = [0usize; 5];
            for ar in &a.areas {
                if let Some(c) = ar.overall {
                    cc[c.grade() as usize] += 1;
                }
            }
            (
                "综合预警".to_string(),
                "overall warning (mean grade of categories)".to_string(),
                cc,
            )
        }
    };
    let _ = writeln!(
        s,
        r##"<g id="legend" font-size="13" fill="#222"><text x="{lx}" y="30" font-size="18" font-weight="bold">预警五色图</text><text x="{lx}" y="50">five-colour warning · {}</text><text x="{lx}" y="78" font-size="15">{}</text><text x="{lx}" y="96" font-size="12">{}</text>"##,
        xml(&a.profile.name_en),
        xml(&title_zh),
        xml(&title_en)
    );
    for (k, c) in Colour::ALL.iter().enumerate() {
        let y = 120.0 + k as f64 * 28.0;
        let _ = writeln!(
            s,
            r##"<rect x="{lx}" y="{y}" width="22" height="18" fill="{}" fill-opacity="0.8"/><text x="{}" y="{}">{} {} — {} ({} areas)</text>"##,
            c.hex(),
            lx + 30.0,
            y + 14.0,
            c.name_zh(),
            c.name(),
            c.meaning(),
            counts[k]
        );
    }
    let y = 120.0 + 5.0 * 28.0;
    let _ = writeln!(
        s,
        r##"<rect x="{lx}" y="{y}" width="22" height="18" fill="#cfcfcf"/><text x="{}" y="{}">no residents / not analysed</text>"##,
        lx + 30.0,
        y + 14.0
    );
    let y = y + 28.0;
    let _ = writeln!(
        s,
        r##"<rect x="{lx}" y="{y}" width="22" height="18" fill="{UNREACHABLE_FILL}"/><text x="{}" y="{}">residents no street reaches</text>"##,
        lx + 30.0,
        y + 14.0
    );
    let _ = writeln!(
        s,
        r##"<circle cx="{}" cy="{}" r="4" fill="#111"/><text x="{}" y="{}">facility ({shown})</text>"##,
        lx + 11.0,
        y + 42.0,
        lx + 30.0,
        y + 46.0
    );
    let _ = writeln!(
        s,
        r##"<line x1="{lx}" y1="{}" x2="{}" y2="{}" stroke="#3a3a3a" stroke-width="1"/><text x="{}" y="{}">walking network</text>"##,
        y + 68.0,
        lx + 22.0,
        y + 68.0,
        lx + 30.0,
        y + 72.0
    );
    let pop: f64 = a.inputs.population_placed;
    let _ = writeln!(
        s,
        r##"<text x="{lx}" y="{}" font-size="12">{} areas · {:.0} residents</text>"##,
        y + 100.0,
        a.areas.len(),
        pop
    );
    if !titled {
        let _ = writeln!(
            s,
            r##"<text x="{lx}" y="{}" font-size="11" fill="#555">区域较多，各区域数据：areas.csv（--cell-files）</text><text x="{lx}" y="{}" font-size="11" fill="#555">per-area figures: areas.csv (--cell-files)</text>"##,
            y + 118.0,
            y + 132.0
        );
    }
    let _ = writeln!(
        s,
        r##"<text x="{lx}" y="{}" font-size="10" fill="#555">Streets © OpenStreetMap contributors (ODbL)</text></g>"##,
        h - 14.0
    );
    let _ = s.write_str("</svg>\n");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_street_is_drawn_only_where_it_adds_ink() {
        // A lattice of one-pixel links over a 300 × 300 map: 180,000 links, 10,000 squares.
        let mut ink = Ink::new(300.0, 300.0);
        let mut drawn = 0;
        for y in 0..300 {
            for x in 0..300 {
                let (x, y) = (f64::from(x), f64::from(y));
                drawn += usize::from(ink.mark(&[(x, y), (x + 1.0, y)]));
                drawn += usize::from(ink.mark(&[(x, y), (x, y + 1.0)]));
            }
        }
        assert!(drawn <= ink.inked.len() && drawn > 9_000, "{drawn}");
        // Off the map: nothing to ink.
        assert!(!ink.mark(&[(-50.0, -50.0), (-40.0, -40.0)]));
    }

    #[test]
    fn pixel_paths_are_relative_and_skip_repeats() {
        let mut d = String::new();
        pixel_path(&mut d, [(10.2, 20.4), (10.4, 20.1), (13.0, 18.6), (13.0, 18.6)].into_iter());
        assert_eq!(d, "M10 20l3 -1");
    }
}
