//! Small geometry: fixed-point coordinates, great-circle lengths, a local metric projection,
//! point-on-segment projection and point-in-polygon tests.

/// Degrees are stored as integers of 1e-7 degree (about 1 cm), as OpenStreetMap does.
pub const FIXED_SCALE: f64 = 1e7;
/// Mean Earth radius in metres (IUGG).
pub const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// A coordinate in fixed-point degrees: `[lon, lat]` × 1e7.
pub type Fixed = [i32; 2];

/// Degrees to fixed point, clamped into range (never panics on odd input).
pub fn to_fixed(lon: f64, lat: f64) -> Fixed {
    let f = |d: f64| {
        (d * FIXED_SCALE)
            .round()
            .clamp(i32::MIN as f64, i32::MAX as f64) as i32
    };
    [f(lon), f(lat)]
}

/// Fixed point to `(lon, lat)` degrees.
pub fn from_fixed(p: Fixed) -> (f64, f64) {
    (p[0] as f64 / FIXED_SCALE, p[1] as f64 / FIXED_SCALE)
}

/// Whether a longitude/latitude pair is a plausible WGS 84 coordinate.
pub fn valid_lon_lat(lon: f64, lat: f64) -> bool {
    lon.is_finite()
        && lat.is_finite()
        && (-180.0..=180.0).contains(&lon)
        && (-90.0..=90.0).contains(&lat)
}

/// Great-circle distance in metres (haversine).
pub fn haversine_m(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (lon1, lat1) = (a.0.to_radians(), a.1.to_radians());
    let (lon2, lat2) = (b.0.to_radians(), b.1.to_radians());
    let dlat = lat2 - lat1;
    let dlon = lon2 - lon1;
    let h = (dlat / 2.0).sin().powi(2) + lat1.cos() * lat2.cos() * (dlon / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_M * h.sqrt().min(1.0).asin()
}

/// An equirectangular projection around a reference point, in metres. Within a district
/// (tens of kilometres) its distance error is far below the accuracy of the map data.
#[derive(Debug, Clone, Copy)]
pub struct Projection {
    lon0: f64,
    lat0: f64,
    kx: f64,
    ky: f64,
}

impl Projection {
    /// A projection centred on `(lon0, lat0)` degrees.
    pub fn new(lon0: f64, lat0: f64) -> Self {
        let ky = EARTH_RADIUS_M.to_radians();
        let kx = ky * lat0.to_radians().cos();
        Projection { lon0, lat0, kx, ky }
    }

    /// `(lon, lat)` degrees to `[x, y]` metres east and north of the centre.
    pub fn project(&self, lon: f64, lat: f64) -> [f64; 2] {
        [(lon - self.lon0) * self.kx, (lat - self.lat0) * self.ky]
    }

    /// A fixed-point coordinate to metres.
    pub fn project_fixed(&self, p: Fixed) -> [f64; 2] {
        let (lon, lat) = from_fixed(p);
        self.project(lon, lat)
    }

    /// Metres back to `(lon, lat)` degrees.
    pub fn unproject(&self, xy: [f64; 2]) -> (f64, f64) {
        (xy[0] / self.kx + self.lon0, xy[1] / self.ky + self.lat0)
    }
}

/// Projects `p` onto segment `a`–`b`: returns the fraction `t` in `[0, 1]` along it and the
/// distance from `p` to that closest point.
pub fn project_on_segment(p: [f64; 2], a: [f64; 2], b: [f64; 2]) -> (f64, f64) {
    let (dx, dy) = (b[0] - a[0], b[1] - a[1]);
    let len2 = dx * dx + dy * dy;
    let t = if len2 > 0.0 {
        (((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / len2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    let (cx, cy) = (a[0] + t * dx, a[1] + t * dy);
    (t, ((p[0] - cx).powi(2) + (p[1] - cy).powi(2)).sqrt())
}

/// Euclidean distance between two projected points.
pub fn dist(a: [f64; 2], b: [f64; 2]) -> f64 {
    ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2)).sqrt()
}

/// A polygon in `(lon, lat)` degrees: one exterior ring and any holes. Rings need not repeat
/// their first point.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Polygon {
    pub exterior: Vec<[f64; 2]>,
    pub holes: Vec<Vec<[f64; 2]>>,
}

/// Even-odd ray casting: whether `p` lies inside `ring`.
pub fn ring_contains(ring: &[[f64; 2]], p: [f64; 2]) -> bool {
    let mut inside = false;
    let n = ring.len();
    if n < 3 {
        return false;
    }
    let mut j = n - 1;
    for i in 0..n {
        let (a, b) = (ring[i], ring[j]);
        if (a[1] > p[1]) != (b[1] > p[1]) {
            let x = a[0] + (p[1] - a[1]) / (b[1] - a[1]) * (b[0] - a[0]);
            if p[0] < x {
                inside = !inside;
            }
        }
        j = i;
    }
    inside
}

impl Polygon {
    /// Whether `(lon, lat)` lies inside the exterior ring and outside every hole.
    pub fn contains(&self, p: [f64; 2]) -> bool {
        ring_contains(&self.exterior, p) && !self.holes.iter().any(|h| ring_contains(h, p))
    }

    /// `[min_lon, min_lat, max_lon, max_lat]` of the exterior ring.
    pub fn bbox(&self) -> [f64; 4] {
        bbox_of(&self.exterior)
    }
}

/// Bounding box `[min_x, min_y, max_x, max_y]` of a point list (all infinite when empty).
pub fn bbox_of(points: &[[f64; 2]]) -> [f64; 4] {
    let mut b = [
        f64::INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NEG_INFINITY,
    ];
    for p in points {
        b[0] = b[0].min(p[0]);
        b[1] = b[1].min(p[1]);
        b[2] = b[2].max(p[0]);
        b[3] = b[3].max(p[1]);
    }
    b
}

/// Signed area (shoelace) and centroid of a ring given in projected metres. For a degenerate
/// ring the centroid is the mean of its points.
pub fn ring_area_centroid(ring: &[[f64; 2]]) -> (f64, [f64; 2]) {
    let n = ring.len();
    if n == 0 {
        return (0.0, [0.0, 0.0]);
    }
    let (mut a2, mut cx, mut cy) = (0.0, 0.0, 0.0);
    for i in 0..n {
        let p = ring[i];
        let q = ring[(i + 1) % n];
        let cross = p[0] * q[1] - q[0] * p[1];
        a2 += cross;
        cx += (p[0] + q[0]) * cross;
        cy += (p[1] + q[1]) * cross;
    }
    if a2.abs() < 1e-9 {
        let m = ring
            .iter()
            .fold([0.0, 0.0], |acc, p| [acc[0] + p[0], acc[1] + p[1]]);
        return (0.0, [m[0] / n as f64, m[1] / n as f64]);
    }
    (a2 / 2.0, [cx / (3.0 * a2), cy / (3.0 * a2)])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn haversine_one_degree_of_latitude() {
        let d = haversine_m((0.0, 0.0), (0.0, 1.0));
        assert!((d - 111_195.0).abs() < 1.0, "{d}");
    }

    #[test]
    fn projection_round_trips_and_matches_haversine() {
        let p = Projection::new(119.96, 30.05);
        let a = p.project(119.96, 30.05);
        let b = p.project(119.97, 30.06);
        let (lon, lat) = p.unproject(b);
        assert!((lon - 119.97).abs() < 1e-9 && (lat - 30.06).abs() < 1e-9);
        let h = haversine_m((119.96, 30.05), (119.97, 30.06));
        assert!((dist(a, b) - h).abs() / h < 1e-3);
    }

    #[test]
    fn segment_projection() {
        let (t, d) = project_on_segment([5.0, 3.0], [0.0, 0.0], [10.0, 0.0]);
        assert_eq!((t, d), (0.5, 3.0));
        let (t, d) = project_on_segment([-4.0, 3.0], [0.0, 0.0], [10.0, 0.0]);
        assert_eq!((t, d), (0.0, 5.0));
    }

    #[test]
    fn polygon_with_hole() {
        let poly = Polygon {
            exterior: vec![[0.0, 0.0], [4.0, 0.0], [4.0, 4.0], [0.0, 4.0]],
            holes: vec![vec![[1.0, 1.0], [2.0, 1.0], [2.0, 2.0], [1.0, 2.0]]],
        };
        assert!(poly.contains([3.0, 3.0]));
        assert!(!poly.contains([1.5, 1.5]));
        assert!(!poly.contains([5.0, 1.0]));
        let (a, c) = ring_area_centroid(&poly.exterior);
        assert_eq!((a, c), (16.0, [2.0, 2.0]));
    }
}
