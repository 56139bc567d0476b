//! The street network of the newest finished analysis, lent to other areas for the ways from one
//! point to several (the guardian's dispatch: from an elder's home to each responder): the points
//! are placed on the walking graph and one search from the first gives the shortest way to all.

use std::sync::Arc;
use circles::Graph;
use circles::reach::Searcher;
use circles::reach::UNREACHED;
use circles::snap::Snap;
use circles::snap::Snapper;
use crate::state::AppState;
use super::cases::Finished;
use super::cases::Outcome;

/// What the street network says of the way to one point.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Way {
    /// The point, or the one the ways start from, is farther from every street than the norms'
    /// `max_snap_m`.
    OffNetwork,
    /// No street joins the two.
    NoRoute,
    /// The shortest way through the streets, metres (a flight of steps counted at its walking
    /// equivalent), with the stretches off the street at either end.
    Metres(f64),
}

/// The newest finished analysis in memory, whose graph is the loaded street network; none before
/// an analysis has finished since the server started (a saved result has no graph).
fn loaded(state: &AppState) -> Option<Arc<Finished>> {
    match state.circles.latest_done()?.outcome.get()? {
        Outcome::Done { result, .. } => Some(result.clone()),
        Outcome::Failed { .. } => None,
    }
}

/// Whether a street network is loaded.
pub fn is_loaded(state: &AppState) -> bool {
    loaded(state).is_some()
}

/// The ways from `from` to each of `to` (points `(lat, lon)` in degrees), in order; none when no
/// street network is loaded. The search runs on a blocking thread.
pub async fn ways(state: &AppState, from: (f64, f64), to: Vec<(f64, f64)>) -> Option<Vec<Way>> {
    let f = loaded(state)?;
    let job = tokio::task::spawn_blocking(move || {
        let snapper = f.snapper.get_or_init(|| Snapper::new(&f.graph));
        ways_on(&f.graph, snapper, f.max_snap_m, from, &to)
    });
    match job.await {
        Ok(w) => Some(w),
        Err(e) => {
            tracing::error!(error = %e, "the street search stopped");
            None
        }
    }
}

fn place(graph: &Graph, snapper: &Snapper, max_snap_m: f64, p: (f64, f64)) -> Option<Snap> {
    if !(p.0.is_finite() && p.1.is_finite()) {
        return None;
    }
    snapper.snap(graph, p.1, p.0).filter(|s| f64::from(s.off_m) <= max_snap_m)
}

/// The ways from `from` to each of `to` on `graph` (whose costs are flat-walking decimetres): one
/// search from `from`, whole-graph; two points on the same edge also go straight along it.
pub fn ways_on(graph: &Graph, snapper: &Snapper, max_snap_m: f64, from: (f64, f64), to: &[(f64, f64)]) -> Vec<Way> {
    let Some(start) = place(graph, snapper, max_snap_m, from) else {
        return vec![Way::OffNetwork; to.len()];
    };
    let mut search = Searcher::new(graph.node_count());
    search.search(graph, &start.seeds(), UNREACHED - 1);
    to.iter()
        .map(|p| {
            let Some(s) = place(graph, snapper, max_snap_m, *p) else { return Way::OffNetwork };
            let mut cost = u64::from(s.cost_via(|n| search.cost(n)));
            if cost >= u64::from(UNREACHED) {
                cost = u64::MAX;
            }
            if s.edge == start.edge && s.edge != u32::MAX {
                let along = u64::from(s.cost_u.abs_diff(start.cost_u)) + u64::from(s.off_cost) + u64::from(start.off_cost);
                cost = cost.min(along);
            }
            if cost == u64::MAX { Way::NoRoute } else { Way::Metres(cost as f64 / 10.0) }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use circles::geom::to_fixed;

    /// Two streets 0.002° of latitude apart (≈ 222 m, a river between them) joined by a bridge
    /// at their east end, and a lane nobody can reach: costs in decimetres as the geometry has
    /// them (0.001° of longitude ≈ 111 m here at the equator).
    fn river() -> Graph {
        let coords = vec![
            to_fixed(0.0, -0.001), // 0 south street, west end
            to_fixed(0.010, -0.001), // 1 south street, east end
            to_fixed(0.0, 0.001),  // 2 north street, west end
            to_fixed(0.010, 0.001), // 3 north street, east end
            to_fixed(0.0, 0.004),  // 4 a lane, west end
            to_fixed(0.002, 0.004), // 5 a lane, east end
        ];
        Graph::from_parts(coords, &[(0, 1, 11_132), (2, 3, 11_132), (1, 3, 2_226), (4, 5, 2_226)]).expect("graph")
    }

    #[test]
    fn ways_follow_the_streets_not_the_straight_line() {
        let g = river();
        let sn = Snapper::new(&g);
        // From 11 m south of the south street, 222 m east of its west end.
        let home = (-0.0011, 0.002);
        let to = [
            (0.0011, 0.002), // across the river, 245 m away: by the bridge, 891 + 223 + 891 m, 11 m off each end
            (-0.0011, 0.004), // on the same street 223 m further east: straight along it, not via its ends
            (0.004, 0.001),  // on the lane nobody reaches
            (0.02, 0.002),   // 2 km from any street
        ];
        let w = ways_on(&g, &sn, 500.0, home, &to);
        let m = |w: Way| match w {
            Way::Metres(m) => m,
            other => panic!("a way, not {other:?}"),
        };
        assert!((m(w[0]) - (890.6 * 2.0 + 222.6 + 22.2)).abs() < 1.0, "{w:?}");
        assert!((m(w[1]) - (222.7 + 22.2)).abs() < 1.0, "{w:?}");
        assert_eq!((w[2], w[3]), (Way::NoRoute, Way::OffNetwork));
        // The start itself off the network: every way is.
        assert_eq!(ways_on(&g, &sn, 500.0, (0.02, 0.002), &to[..2]), [Way::OffNetwork, Way::OffNetwork]);
        // Nonsense positions are off the network, not a panic.
        assert_eq!(ways_on(&g, &sn, 500.0, home, &[(f64::NAN, 0.0)]), [Way::OffNetwork]);
        assert!(ways_on(&g, &sn, 500.0, home, &[]).is_empty());
    }
}
