//! Whom to send: the candidate responders ranked by travel time to the elder's home (the caller
//! computes it on the real street network with the circles engine), without those unavailable or
//! already asked, and with the family last unless one of them is the nearest.

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
    /// Walking or driving time to the elder's home, seconds (none: not known).
    pub travel_s: Option<u32>,
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
