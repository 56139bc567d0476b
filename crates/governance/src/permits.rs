//! Night-construction permits and noise complaints (A10): a permit covers a place (a circle
//! around a point, or a polygon) in time windows; a complaint at a place and time is matched to
//! every permit covering it, and to those whose site covers the place but not the time (work
//! outside the permitted window: the strongest lead for the supervising department). Issued
//! permits are pushed to their supervising departments ([`push`]).

use std::collections::BTreeMap;

use chrono::DateTime;
use chrono::Duration;
use chrono::Utc;
use serde::Deserialize;
use serde::Serialize;

use crate::error::GovernanceError;
use crate::estate::PermitId;
use crate::issue::Issue;
use crate::issue::Notice;
use crate::issue::attach_permits;
use crate::issue::route_to_department;
use crate::routing::Routing;

/// Earth's mean radius, metres.
const EARTH_M: f64 = 6_371_008.8;
/// Largest circle, metres.
pub const MAX_RADIUS_M: f64 = 5_000.0;
/// Longest single window.
pub const MAX_WINDOW_HOURS: i64 = 24;

/// Where a permit's work is allowed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "shape")]
pub enum Site {
    /// A circle.
    Circle {
        /// Centre latitude.
        lat: f64,
        /// Centre longitude.
        lon: f64,
        /// Radius, metres.
        radius_m: f64,
    },
    /// A polygon of (lat, lon) corners, not closed (the last joins the first).
    Polygon {
        /// The corners.
        points: Vec<(f64, f64)>,
    },
}

/// A time window `[from, until)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    /// From.
    pub from: DateTime<Utc>,
    /// Until (exclusive).
    pub until: DateTime<Utc>,
}

/// A night-construction permit (夜间施工证明).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Permit {
    /// Its id.
    pub id: PermitId,
    /// The site's name.
    pub site_name: String,
    /// The enterprise, by credit code.
    pub enterprise: String,
    /// Where.
    pub site: Site,
    /// When.
    pub windows: Vec<Window>,
    /// The departments that supervise it, by code.
    pub supervisors: Vec<String>,
    /// Revoked permits cover nothing.
    pub revoked: bool,
}

/// Great-circle distance in metres.
pub fn distance_m(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (la1, lo1, la2, lo2) = (a.0.to_radians(), a.1.to_radians(), b.0.to_radians(), b.1.to_radians());
    let h = ((la2 - la1) / 2.0).sin().powi(2) + la1.cos() * la2.cos() * ((lo2 - lo1) / 2.0).sin().powi(2);
    2.0 * EARTH_M * h.sqrt().min(1.0).asin()
}

fn valid_point(lat: f64, lon: f64) -> bool {
    lat.is_finite() && lon.is_finite() && (-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon)
}

impl Site {
    /// Whether the site covers a point (a polygon by the even-odd rule, edges included).
    pub fn covers(&self, lat: f64, lon: f64) -> bool {
        match self {
            Site::Circle { lat: c_lat, lon: c_lon, radius_m } => distance_m((*c_lat, *c_lon), (lat, lon)) <= *radius_m,
            Site::Polygon { points } => {
                let n = points.len();
                let mut inside = false;
                for i in 0..n {
                    let (a, b) = (points[i], points[(i + n - 1) % n]);
                    // On an edge counts as inside.
                    let cross = (b.0 - a.0) * (lon - a.1) - (b.1 - a.1) * (lat - a.0);
                    if cross.abs() < 1e-12 && lat >= a.0.min(b.0) && lat <= a.0.max(b.0) && lon >= a.1.min(b.1) && lon <= a.1.max(b.1) {
                        return true;
                    }
                    if (a.0 > lat) != (b.0 > lat) && lon < (b.1 - a.1) * (lat - a.0) / (b.0 - a.0) + a.1 {
                        inside = !inside;
                    }
                }
                inside
            }
        }
    }
}

impl Permit {
    /// Checks a permit: valid coordinates, a radius of 1 m–5 km or a polygon of at least three
    /// distinct corners, at least one window, each of positive length up to 24 hours, windows not
    /// overlapping, and at least one supervising department.
    pub fn check(&self) -> Result<(), GovernanceError> {
        match &self.site {
            Site::Circle { lat, lon, radius_m } => {
                if !valid_point(*lat, *lon) {
                    return Err(GovernanceError::invalid("site", "坐标无效", "invalid coordinates"));
                }
                if !(radius_m.is_finite() && (1.0..=MAX_RADIUS_M).contains(radius_m)) {
                    return Err(GovernanceError::invalid("radius_m", "半径应为 1～5000 米", "radius must be 1–5,000 m"));
                }
            }
            Site::Polygon { points } => {
                let mut distinct: Vec<(f64, f64)> = Vec::new();
                for p in points {
                    if !valid_point(p.0, p.1) {
                        return Err(GovernanceError::invalid("site", "坐标无效", "invalid coordinates"));
                    }
                    if !distinct.contains(p) {
                        distinct.push(*p);
                    }
                }
                if distinct.len() < 3 {
                    return Err(GovernanceError::invalid("site", "多边形至少要有三个不同的顶点", "a polygon needs at least three distinct corners"));
                }
            }
        }
        if self.windows.is_empty() {
            return Err(GovernanceError::invalid("windows", "至少要有一个施工时段", "at least one window is needed"));
        }
        let mut w = self.windows.clone();
        w.sort_by_key(|w| w.from);
        for (i, x) in w.iter().enumerate() {
            if x.until <= x.from || x.until - x.from > Duration::hours(MAX_WINDOW_HOURS) {
                return Err(GovernanceError::invalid("windows", "时段须晚于开始且不超过 24 小时", "a window must end after it starts and last at most 24 hours"));
            }
            if i > 0 && w[i - 1].until > x.from {
                return Err(GovernanceError::invalid("windows", "施工时段重叠", "windows overlap"));
            }
        }
        if self.supervisors.iter().all(|s| s.trim().is_empty()) {
            return Err(GovernanceError::invalid("supervisors", "至少要有一个监管部门", "at least one supervising department is needed"));
        }
        Ok(())
    }

    /// Whether a window covers `at`.
    pub fn in_window(&self, at: DateTime<Utc>) -> bool {
        self.windows.iter().any(|w| w.from <= at && at < w.until)
    }
}

/// How a permit relates to a complaint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Finding {
    /// The place and the time are covered: permitted work (the complaint is still routed, with
    /// the permit attached, for the department to check the conditions).
    Covered,
    /// The place is the permit's, the time is outside every window: likely unpermitted work.
    OutsideWindow,
}

/// A permit matched to a complaint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Match {
    /// The permit.
    pub permit: PermitId,
    /// How.
    pub finding: Finding,
    /// The supervising departments to route to.
    pub supervisors: Vec<String>,
}

/// The permits whose site covers a complaint at (`lat`, `lon`) heard at `at`: those covering the
/// time first, then those outside their windows; revoked permits are left out. Garbage
/// coordinates match nothing.
pub fn matching(permits: &[Permit], lat: f64, lon: f64, at: DateTime<Utc>) -> Vec<Match> {
    if !valid_point(lat, lon) {
        return Vec::new();
    }
    let mut out: Vec<Match> = permits
        .iter()
        .filter(|p| !p.revoked && p.site.covers(lat, lon))
        .map(|p| Match { permit: p.id, finding: if p.in_window(at) { Finding::Covered } else { Finding::OutsideWindow }, supervisors: p.supervisors.clone() })
        .collect();
    out.sort_by_key(|m| (m.finding != Finding::Covered, m.permit));
    out
}

/// The push of an issued permit to a supervising department: a notice and a record it can list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Push {
    /// The department.
    pub department: String,
    /// The permit.
    pub permit: PermitId,
}

/// The pushes for an issued permit: one per supervising department, each once.
pub fn push(permit: &Permit) -> Vec<Push> {
    let mut seen: Vec<&str> = Vec::new();
    let mut out = Vec::new();
    for d in &permit.supervisors {
        let d = d.trim();
        if !d.is_empty() && !seen.contains(&d) {
            seen.push(d);
            out.push(Push { department: d.to_owned(), permit: permit.id });
        }
    }
    out
}

/// When a complaint was heard: its `heard_at` attribute (RFC 3339), else when it was reported.
pub fn heard_at(issue: &Issue) -> DateTime<Utc> {
    issue.attributes.get("heard_at").and_then(|v| DateTime::parse_from_rfc3339(v).ok()).map(|t| t.with_timezone(&Utc)).unwrap_or(issue.reported_at)
}

/// Links a noise complaint to the permits covering its place and time: attaches them and sends the
/// complaint to the first matched permit's supervising department (one `routing` knows), with the
/// notices to write. A complaint of a category not matched against permits, or one that matches
/// none, is left as it was (no notices).
pub fn link_complaint(issue: &mut Issue, permits: &[Permit], routing: &Routing, now: DateTime<Utc>) -> Result<(Vec<Match>, Vec<Notice>), GovernanceError> {
    if !routing.category(&issue.category)?.permit {
        return Ok((Vec::new(), Vec::new()));
    }
    let found = matching(permits, issue.lat, issue.lon, heard_at(issue));
    let Some(department) = found.iter().flat_map(|m| m.supervisors.iter()).find(|d| routing.departments.contains_key(d.as_str())).cloned() else {
        return Ok((found, Vec::new()));
    };
    let mut copy = issue.clone();
    let ids: Vec<PermitId> = found.iter().map(|m| m.permit).collect();
    attach_permits(&mut copy, &ids, now);
    let notices = route_to_department(&mut copy, &department, routing, now)?;
    *issue = copy;
    Ok((found, notices))
}

/// Complaints per permit, for the cockpit.
pub fn complaints_per_permit<'a>(issues: impl IntoIterator<Item = &'a Issue>) -> BTreeMap<PermitId, u64> {
    let mut out = BTreeMap::new();
    for i in issues {
        for p in &i.permits {
            *out.entry(*p).or_insert(0) += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn at(h: u32, m: u32) -> DateTime<Utc> {
        // China time on 2026-03-02 (UTC+8), as UTC.
        Utc.with_ymd_and_hms(2026, 3, 2, 0, 0, 0).single().expect("t") + Duration::hours(i64::from(h) - 8) + Duration::minutes(i64::from(m))
    }

    fn permit(id: u64, site: Site) -> Permit {
        Permit {
            id: PermitId(id),
            site_name: "轨道交通 8 号线 TJ8110 标段".into(),
            enterprise: "91330000000000000X".into(),
            site,
            windows: vec![Window { from: at(22, 0), until: at(30, 0) }],
            supervisors: vec!["sthj".into(), "zhzf".into(), "sthj".into()],
            revoked: false,
        }
    }

    #[test]
    fn a_complaint_finds_the_permit_covering_its_place_and_time() {
        let circle = permit(1, Site::Circle { lat: 29.80, lon: 121.55, radius_m: 300.0 });
        let square = permit(2, Site::Polygon { points: vec![(29.90, 121.50), (29.90, 121.52), (29.92, 121.52), (29.92, 121.50)] });
        let mut revoked = permit(3, Site::Circle { lat: 29.80, lon: 121.55, radius_m: 300.0 });
        revoked.revoked = true;
        let all = [circle.clone(), square.clone(), revoked];
        for p in &all {
            assert_eq!(p.check(), Ok(()));
        }
        // 200 m north of the circle's centre at 23:30: covered.
        let m = matching(&all, 29.80 + 200.0 / 111_195.0, 121.55, at(23, 30));
        assert_eq!(m.len(), 1);
        assert_eq!((m[0].permit, m[0].finding), (PermitId(1), Finding::Covered));
        // 400 m away: nothing.
        assert!(matching(&all, 29.80 + 400.0 / 111_195.0, 121.55, at(23, 30)).is_empty());
        // Inside the square at 21:00: the site's permit, but outside its window.
        let m = matching(&all, 29.91, 121.51, at(21, 0));
        assert_eq!((m[0].permit, m[0].finding), (PermitId(2), Finding::OutsideWindow));
        // The window's end is exclusive; its start inclusive.
        assert_eq!(matching(&all, 29.91, 121.51, at(22, 0))[0].finding, Finding::Covered);
        assert_eq!(matching(&all, 29.91, 121.51, at(30, 0))[0].finding, Finding::OutsideWindow);
        // On the polygon's edge counts; garbage coordinates match nothing.
        assert_eq!(matching(&all, 29.90, 121.51, at(23, 0)).len(), 1);
        assert!(matching(&all, f64::NAN, 121.51, at(23, 0)).is_empty());
        assert!(matching(&all, 95.0, 121.51, at(23, 0)).is_empty());
        // Pushed to each supervising department once.
        assert_eq!(push(&circle).len(), 2);
    }

    #[test]
    fn bad_permits_are_refused() {
        let ok = permit(1, Site::Circle { lat: 29.8, lon: 121.55, radius_m: 300.0 });
        let mut bad = vec![];
        let mut p = ok.clone();
        p.site = Site::Circle { lat: 29.8, lon: 121.55, radius_m: 0.0 };
        bad.push(p);
        let mut p = ok.clone();
        p.site = Site::Circle { lat: 29.8, lon: 121.55, radius_m: f64::INFINITY };
        bad.push(p);
        let mut p = ok.clone();
        p.site = Site::Polygon { points: vec![(29.9, 121.5), (29.9, 121.5), (29.91, 121.5)] };
        bad.push(p);
        let mut p = ok.clone();
        p.windows = vec![];
        bad.push(p);
        let mut p = ok.clone();
        p.windows = vec![Window { from: at(23, 0), until: at(22, 0) }];
        bad.push(p);
        let mut p = ok.clone();
        p.windows = vec![Window { from: at(22, 0), until: at(48, 0) }];
        bad.push(p);
        let mut p = ok.clone();
        p.windows.push(Window { from: at(23, 0), until: at(25, 0) });
        bad.push(p);
        let mut p = ok.clone();
        p.supervisors = vec![" ".into()];
        bad.push(p);
        for p in bad {
            assert!(p.check().is_err(), "{p:?}");
        }
    }

    #[test]
    fn a_noise_complaint_goes_to_the_permit_s_supervisor_with_the_permit_attached() {
        use crate::estate::tests::estate;
        use crate::estate::IssueId;
        use crate::issue::IssueState;
        use crate::issue::tests::new_issue;
        use crate::routing::Level;
        let (e, r) = (estate(), Routing::embedded().expect("rules"));
        let site = permit(1, Site::Circle { lat: 30.42, lon: 120.25, radius_m: 300.0 });
        let mut n = new_issue("night_construction_noise");
        n.attributes.insert("heard_at".into(), "2026-03-02T23:30:00+08:00".into());
        let (mut i, _) = crate::issue::Issue::report(IssueId(1), n.clone(), &e, &r, at(23, 40)).expect("report");
        let (found, notices) = link_complaint(&mut i, std::slice::from_ref(&site), &r, at(23, 40)).expect("link");
        assert_eq!(found[0].finding, Finding::Covered);
        assert_eq!((i.level, i.state, i.department.as_str()), (Level::District, IssueState::Routed, "sthj"));
        assert_eq!(i.permits, vec![PermitId(1)]);
        assert_eq!(notices.len(), 2);
        // Heard at 21:00, before the window: still the site's permit, flagged outside its window.
        n.attributes.insert("heard_at".into(), "2026-03-02T21:00:00+08:00".into());
        let (mut j, _) = crate::issue::Issue::report(IssueId(2), n, &e, &r, at(21, 5)).expect("report");
        let (found, _) = link_complaint(&mut j, std::slice::from_ref(&site), &r, at(21, 5)).expect("link");
        assert_eq!(found[0].finding, Finding::OutsideWindow);
        assert_eq!(complaints_per_permit([&i, &j]), BTreeMap::from([(PermitId(1), 2)]));
        // Far from every site: nothing changes; a lamp is never matched.
        let mut far = new_issue("night_construction_noise");
        far.lat = 30.30;
        far.attributes.insert("heard_at".into(), "2026-03-02T23:30:00+08:00".into());
        let (mut k, _) = crate::issue::Issue::report(IssueId(3), far, &e, &r, at(23, 40)).expect("report");
        let before = k.clone();
        assert!(link_complaint(&mut k, std::slice::from_ref(&site), &r, at(23, 40)).expect("link").0.is_empty());
        assert_eq!(k, before);
        let (mut lamp, _) = crate::issue::Issue::report(IssueId(4), new_issue("street_lamp"), &e, &r, at(23, 40)).expect("report");
        assert!(link_complaint(&mut lamp, std::slice::from_ref(&site), &r, at(23, 40)).expect("link").0.is_empty());
        assert_eq!(lamp.level, Level::Estate);
    }

    #[test]
    fn distances_are_right() {
        // One degree of latitude is about 111.2 km.
        let d = distance_m((30.0, 120.0), (31.0, 120.0));
        assert!((d - 111_195.0).abs() < 10.0, "{d}");
        assert_eq!(distance_m((30.0, 120.0), (30.0, 120.0)), 0.0);
    }
}
