//! Coverage: per area, the residents whose nearest facility lies within each threshold.

use crate::areas::NO_AREA;
use crate::population::DemandEntry;
use crate::reach::UNREACHED;

/// Residents per area within each threshold of `nearest` (cost per node), plus, in the last
/// row, the whole study area. `out[area][k]` is the population within `thresholds[k]`.
pub fn covered(
    nearest: &[u32],
    entries: &[DemandEntry],
    n_areas: usize,
    thresholds: &[u32],
) -> Vec<Vec<f64>> {
    let mut out = vec![vec![0.0; thresholds.len()]; n_areas + 1];
    for e in entries {
        let t = nearest.get(e.node as usize).copied().unwrap_or(UNREACHED);
        for (k, &thr) in thresholds.iter().enumerate() {
            if t <= thr {
                if e.area != NO_AREA && (e.area as usize) < n_areas {
                    out[e.area as usize][k] += e.population as f64;
                }
                out[n_areas][k] += e.population as f64;
            }
        }
    }
    out
}

/// Residents per area (last row: all).
pub fn population(entries: &[DemandEntry], n_areas: usize) -> Vec<f64> {
    let mut out = vec![0.0; n_areas + 1];
    for e in entries {
        if e.area != NO_AREA && (e.area as usize) < n_areas {
            out[e.area as usize] += e.population as f64;
        }
        out[n_areas] += e.population as f64;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coverage_by_hand_and_monotone() {
        let entries = [
            DemandEntry {
                node: 0,
                area: 0,
                population: 100.0,
            },
            DemandEntry {
                node: 1,
                area: 0,
                population: 50.0,
            },
            DemandEntry {
                node: 2,
                area: 1,
                population: 30.0,
            },
            DemandEntry {
                node: 3,
                area: NO_AREA,
                population: 20.0,
            },
        ];
        let nearest = [10, 40, UNREACHED, 5];
        let c = covered(&nearest, &entries, 2, &[10, 30, 60]);
        assert_eq!(c[0], vec![100.0, 100.0, 150.0]);
        assert_eq!(c[1], vec![0.0, 0.0, 0.0]);
        assert_eq!(c[2], vec![120.0, 120.0, 170.0]);
        assert_eq!(population(&entries, 2), vec![150.0, 30.0, 200.0]);
        for row in &c {
            assert!(row.windows(2).all(|w| w[0] <= w[1]));
        }
    }
}
