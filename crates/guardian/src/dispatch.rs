//! Whom to send: the candidate responders ranked by travel time to the elder's home, without
//! those unavailable or already asked, and with the family last unless one of them is the nearest.
//! [`travel`] turns what the caller found on the street network (the circles engine's graph, which
//! this crate does not know) into a time by electric bicycle, and falls back to the straight line
//! only when the network is not loaded or a point is off it.

use std::collections::HashSet;

use serde::Deserialize;
use serde::Serialize;

/// What sort of responder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResponderKind {
    /// 网格员: the community grid worker.
    GridWorker,
    /// 村医: the village or community doctor.
    VillageDoctor,
    /// 邻里志愿者: a neighbour volunteer.
    Volunteer,
    /// 家属: a family member.
    Family,
}

impl ResponderKind {
    /// The stable code.
    pub fn code(self) -> &'static str {
        match self {
            ResponderKind::GridWorker => "grid_worker",
            ResponderKind::VillageDoctor => "village_doctor",
            ResponderKind::Volunteer => "volunteer",
            ResponderKind::Family => "family",
        }
    }
}

/// Someone who could go.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Candidate {
    /// The caller's id for them.
    pub id: String,
    /// What sort.
    pub kind: ResponderKind,
    /// On duty and reachable.
    pub available: bool,
    /// Travel time to the elder's home, seconds (none: not known); see [`travel`].
    pub travel_s: Option<u32>,
}

/// The speed assumed for a responder in town: an electric bicycle (km/h), on the streets or, when
/// they are not known, over the straight line lengthened by [`DETOUR`].
pub const E_BIKE_KMH: f64 = 15.0;

/// How much longer than the straight line the way through the streets is taken to be, when the
/// street network cannot tell.
pub const DETOUR: f64 = 1.3;

/// What the street network said of the way between a responder and the elder's home.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Street {
    /// No street network is loaded.
    NotLoaded,
    /// One of the two points is too far from any street to be placed on it.
    Unsnapped,
    /// Both are on the network, but no street joins them.
    NoRoute,
    /// The length of the shortest way through the streets, metres (a flight of steps counted at
    /// its walking equivalent), including the stretches off the street at either end.
    Route { metres: f64 },
}

/// How a travel time was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// The shortest way through the street network, at [`E_BIKE_KMH`].
    StreetNetwork,
    /// The straight line × [`DETOUR`], at [`E_BIKE_KMH`] (no network loaded, or a point off it).
    StraightLine,
    /// The network joins no street between them: no time.
    NoRoute,
    /// The elder's home has no position: no time.
    NoPosition,
}

impl Method {
    /// The stable code (the answer's `method`).
    pub fn code(self) -> &'static str {
        match self {
            Method::StreetNetwork => "street_network_e_bike",
            Method::StraightLine => "straight_line_e_bike",
            Method::NoRoute => "no_street_route",
            Method::NoPosition => "no_position",
        }
    }
}

/// A responder's way to the elder's home.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Travel {
    /// Seconds, when known.
    pub seconds: Option<u32>,
    /// The length it was worked out from, metres (the streets', or the straight line × detour).
    pub metres: Option<u32>,
    /// How.
    pub method: Method,
}

/// Metres between two points `(lat, lon)` in degrees, on a sphere of the Earth's mean radius.
pub fn straight_metres(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (la1, lo1, la2, lo2) = (a.0.to_radians(), a.1.to_radians(), b.0.to_radians(), b.1.to_radians());
    let h = ((la2 - la1) / 2.0).sin().powi(2) + la1.cos() * la2.cos() * ((lo2 - lo1) / 2.0).sin().powi(2);
    2.0 * 6_371_000.0 * h.min(1.0).sqrt().asin()
}

fn at_e_bike(metres: f64) -> u32 {
    (metres / (E_BIKE_KMH / 3.6)).round().clamp(0.0, f64::from(u32::MAX - 1)) as u32
}

/// The travel time from `from` (a responder, `(lat, lon)`) to `home` (none: not known): by the
/// street network's way when it found one, else — no network loaded, or a point off it — by the
/// straight line × [`DETOUR`]; none when the network joins no street between them.
pub fn travel(from: (f64, f64), home: Option<(f64, f64)>, street: Street) -> Travel {
    let Some(home) = home else {
        return Travel { seconds: None, metres: None, method: Method::NoPosition };
    };
    match street {
        Street::Route { metres } if metres.is_finite() && metres >= 0.0 => {
            Travel { seconds: Some(at_e_bike(metres)), metres: Some(metres.round().min(f64::from(u32::MAX - 1)) as u32), method: Method::StreetNetwork }
        }
        Street::NoRoute => Travel { seconds: None, metres: None, method: Method::NoRoute },
        Street::Route { .. } | Street::NotLoaded | Street::Unsnapped => {
            let m = straight_metres(from, home) * DETOUR;
            Travel { seconds: Some(at_e_bike(m)), metres: Some(m.round().min(f64::from(u32::MAX - 1)) as u32), method: Method::StraightLine }
        }
    }
}

/// The candidates to ask, in order: by travel time (unknown times after known ones; ties by kind
/// — grid worker, village doctor, volunteer — then id); those unavailable or already tried left
/// out; family members after everyone else, except a family member nearer than every other
/// candidate, who goes first.
pub fn rank(candidates: &[Candidate], already_tried: &[String]) -> Vec<String> {
    let tried: HashSet<&str> = already_tried.iter().map(String::as_str).collect();
    let mut seen = HashSet::new();
    let mut eligible: Vec<&Candidate> = candidates.iter().filter(|c| c.available && !tried.contains(c.id.as_str()) && seen.insert(c.id.as_str())).collect();
    eligible.sort_by(|a, b| (a.travel_s.unwrap_or(u32::MAX), a.travel_s.is_none(), a.kind, &a.id).cmp(&(b.travel_s.unwrap_or(u32::MAX), b.travel_s.is_none(), b.kind, &b.id)));
    let nearest_other = eligible.iter().filter(|c| c.kind != ResponderKind::Family).filter_map(|c| c.travel_s).min();
    let (mut first, mut rest, mut family) = (Vec::new(), Vec::new(), Vec::new());
    for c in eligible {
        match (c.kind, c.travel_s, nearest_other) {
            (ResponderKind::Family, Some(t), Some(n)) if t < n => first.push(c.id.clone()),
            (ResponderKind::Family, Some(_), None) => first.push(c.id.clone()),
            (ResponderKind::Family, _, _) => family.push(c.id.clone()),
            _ => rest.push(c.id.clone()),
        }
    }
    first.extend(rest);
    first.extend(family);
    first
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(id: &str, kind: ResponderKind, available: bool, travel_s: Option<u32>) -> Candidate {
        Candidate { id: id.into(), kind, available, travel_s }
    }

    fn home() -> (f64, f64) {
        (30.05, 119.96)
    }

    #[test]
    fn the_street_network_s_way_is_ridden_at_e_bike_speed() {
        // 3,125 m at 15 km/h (4 1/6 m/s): 750 s.
        let t = travel((30.0513, 119.96), Some(home()), Street::Route { metres: 3125.0 });
        assert_eq!(t, Travel { seconds: Some(750), metres: Some(3125), method: Method::StreetNetwork });
        assert_eq!(t.method.code(), "street_network_e_bike");
        // The network's way is taken however short the straight line is (across a river).
        assert!(straight_metres((30.0513, 119.96), home()) < 150.0);
    }

    #[test]
    fn the_straight_line_only_without_the_network_or_off_it() {
        // 0.01° of latitude is 1,111.95 m; × 1.3 = 1,445.5 m; at 15 km/h 347 s.
        let from = (30.06, 119.96);
        assert!((straight_metres(from, home()) - 1111.95).abs() < 0.01, "{}", straight_metres(from, home()));
        for street in [Street::NotLoaded, Street::Unsnapped, Street::Route { metres: f64::NAN }, Street::Route { metres: -1.0 }] {
            let t = travel(from, Some(home()), street);
            assert_eq!(t, Travel { seconds: Some(347), metres: Some(1446), method: Method::StraightLine }, "{street:?}");
            assert_eq!(t.method.code(), "straight_line_e_bike");
        }
        // No street joins them: no time, said so; an elder without a position: no time either.
        assert_eq!(travel(from, Some(home()), Street::NoRoute), Travel { seconds: None, metres: None, method: Method::NoRoute });
        assert_eq!(travel(from, None, Street::Route { metres: 10.0 }), Travel { seconds: None, metres: None, method: Method::NoPosition });
        assert_eq!((Method::NoRoute.code(), Method::NoPosition.code()), ("no_street_route", "no_position"));
        assert_eq!(straight_metres(home(), home()), 0.0);
    }

    /// A grid worker 140 m away across a river (3.1 km by the bridge) and a doctor 500 m away on
    /// the elder's bank: the straight line sends the grid worker, the streets the doctor; a
    /// volunteer off the network keeps the straight line's estimate beside them.
    #[test]
    fn ranking_follows_the_streets_when_known() {
        use ResponderKind::*;
        let across = (30.0513, 119.96);
        let bank = (30.0487, 119.9548);
        let off = (30.08, 119.96);
        let by = |street: [Street; 3]| {
            let t: Vec<Travel> = [across, bank, off].iter().zip(street).map(|(p, s)| travel(*p, Some(home()), s)).collect();
            let cands = [c("grid", GridWorker, true, t[0].seconds), c("doctor", VillageDoctor, true, t[1].seconds), c("vol", Volunteer, true, t[2].seconds)];
            (rank(&cands, &[]), t)
        };
        let (order, t) = by([Street::NotLoaded; 3]);
        assert_eq!(order, ["grid", "doctor", "vol"], "{t:?}");
        let (order, t) = by([Street::Route { metres: 3140.0 }, Street::Route { metres: 540.0 }, Street::Unsnapped]);
        assert_eq!(order, ["doctor", "grid", "vol"], "{t:?}");
        assert_eq!((t[0].seconds, t[1].seconds), (Some(754), Some(130)));
        assert_eq!(t.iter().map(|x| x.method).collect::<Vec<_>>(), [Method::StreetNetwork, Method::StreetNetwork, Method::StraightLine]);
        // Without a street between them, the grid worker comes after everyone with a time.
        let (order, _) = by([Street::NoRoute, Street::Route { metres: 540.0 }, Street::Unsnapped]);
        assert_eq!(order, ["doctor", "vol", "grid"]);
    }

    #[test]
    fn nearest_first_family_last_unless_nearest() {
        use ResponderKind::*;
        let cands = [
            c("doctor", VillageDoctor, true, Some(420)),
            c("grid", GridWorker, true, Some(300)),
            c("son", Family, true, Some(360)),
            c("vol-busy", Volunteer, false, Some(60)),
            c("vol", Volunteer, true, Some(300)),
            c("vol-far", Volunteer, true, None),
            c("daughter", Family, true, Some(1800)),
        ];
        assert_eq!(rank(&cands, &[]), ["grid", "vol", "doctor", "vol-far", "son", "daughter"]);
        // With the two nearest asked already, the son (360 s) is nearer than the doctor (420 s).
        assert_eq!(rank(&cands, &["grid".to_owned(), "vol".to_owned()]), ["son", "doctor", "vol-far", "daughter"]);
        assert_eq!(rank(&cands, &["grid".to_owned(), "vol".to_owned(), "son".to_owned()]), ["doctor", "vol-far", "daughter"]);
        // The son lives next door: nearer than anyone, he goes first.
        let mut near = cands.to_vec();
        near[2].travel_s = Some(120);
        assert_eq!(rank(&near, &[]), ["son", "grid", "vol", "doctor", "vol-far", "daughter"]);
        // Only family left.
        let only = [c("son", Family, true, Some(900)), c("daughter", Family, true, None)];
        assert_eq!(rank(&only, &[]), ["son", "daughter"]);
        assert!(rank(&[], &[]).is_empty());
        // A candidate listed twice is asked once.
        assert_eq!(rank(&[c("a", GridWorker, true, Some(5)), c("a", GridWorker, true, Some(5))], &[]), ["a"]);
    }
}
