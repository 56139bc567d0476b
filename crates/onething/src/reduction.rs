//! Measured reductions (减材料、减跑动、减时间): what a bundle saves against applying for its items
//! one by one, both as designed in the catalog and as measured on real, completed applications.
//!
//! Item by item (the baseline), for a bundle with items I:
//! - materials = Σᵢ |materials(i)|       every department asks for its full list again;
//! - trips     = Σᵢ visits(i)            each item's traditional in-person visits (到现场次数);
//! - days      = Σᵢ promised_days(i)     the applicant goes from one department to the next.
//!
//! As designed (catalog): materials = de-duplicated materials that are neither issued inside the
//! bundle nor satisfiable from a shared record; trips = 0 when every item can be done online, else 1;
//! days = the longest chain of promised days along the prerequisites (items run in parallel).
//!
//! As measured (cases): over completed applications of the bundle, materials = what the applicant
//! actually uploaded, trips = the filing channel (window = 1) plus supplements handed in at a window,
//! days = working days from filing to completion. Reduction = 1 − measured ÷ baseline, per bundle
//! and in total over all completed bundle applications.

use std::collections::BTreeMap;

use catalog::{Bundle, Catalog};
use domain::{WorkCalendar, china_date};
use serde::Serialize;

use crate::application::{AppStatus, Application};

/// Materials, trips and working days.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Figures {
    pub materials: u64,
    pub trips: u64,
    pub days: u64,
}

impl Figures {
    pub fn add(&mut self, o: Figures) {
        self.materials += o.materials;
        self.trips += o.trips;
        self.days += o.days;
    }
}

/// Reductions of `actual` against `baseline`, as fractions (0.8 = −80%); `None` when the baseline is 0.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Percentages {
    pub materials: Option<f64>,
    pub trips: Option<f64>,
    pub days: Option<f64>,
}

fn reduction(baseline: u64, actual: u64) -> Option<f64> {
    if baseline == 0 {
        None
    } else {
        #[allow(clippy::cast_precision_loss)]
        let r = 1.0 - actual as f64 / baseline as f64;
        Some((r * 10_000.0).round() / 10_000.0)
    }
}

impl Percentages {
    pub fn of(baseline: Figures, actual: Figures) -> Percentages {
        Percentages {
            materials: reduction(baseline.materials, actual.materials),
            trips: reduction(baseline.trips, actual.trips),
            days: reduction(baseline.days, actual.days),
        }
    }
}

/// A bundle's reductions as its catalog entry designs them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Designed {
    pub bundle: String,
    pub item_by_item: Figures,
    pub bundled: Figures,
    pub reduction: Percentages,
}

/// The longest chain of promised working days through the bundle's prerequisite graph.
pub fn critical_path_days(bundle: &Bundle, catalog: &Catalog) -> u64 {
    let mut finish: BTreeMap<String, u64> = BTreeMap::new();
    for code in bundle.topo_order() {
        let own = catalog.item(&code).map(|i| u64::from(i.promised_days)).unwrap_or(0);
        let start = bundle
            .prerequisites_of(&code)
            .iter()
            .filter_map(|p| finish.get(p).copied())
            .max()
            .unwrap_or(0);
        finish.insert(code, start + own);
    }
    finish.values().copied().max().unwrap_or(0)
}

/// The designed reductions of one bundle.
pub fn designed(bundle: &Bundle, catalog: &Catalog) -> Designed {
    let items: Vec<_> = bundle.items.iter().filter_map(|c| catalog.item(c)).collect();
    let item_by_item = Figures {
        materials: items.iter().map(|i| i.materials.len() as u64).sum(),
        trips: items.iter().map(|i| u64::from(i.visits)).sum(),
        days: items.iter().map(|i| u64::from(i.promised_days)).sum(),
    };
    let to_provide = bundle
        .materials(catalog)
        .into_iter()
        .filter(|m| m.issued_in_bundle_by.is_none())
        .filter(|m| catalog.material(&m.material).is_none_or(|x| x.satisfied_by.is_none()))
        .count() as u64;
    let bundled = Figures {
        materials: to_provide,
        trips: if items.iter().all(|i| i.online) { 0 } else { 1 },
        days: critical_path_days(bundle, catalog),
    };
    Designed {
        bundle: bundle.code.clone(),
        item_by_item,
        bundled,
        reduction: Percentages::of(item_by_item, bundled),
    }
}

/// Working days from filing to finishing an application.
pub fn elapsed_days(app: &Application, cal: &WorkCalendar) -> Option<u64> {
    let end = app.finished_at?;
    let d = cal.working_days_between(china_date(app.submitted_at), china_date(end));
    Some(u64::try_from(d).unwrap_or(0))
}

/// The baseline and measured figures of one completed application, or `None` when it does not
/// count (not completed).
pub fn measured(app: &Application, cal: &WorkCalendar) -> Option<(Figures, Figures)> {
    if app.status != AppStatus::Completed {
        return None;
    }
    let baseline = Figures {
        materials: u64::from(app.baseline.materials),
        trips: u64::from(app.baseline.trips),
        days: u64::from(app.baseline.days),
    };
    let actual = Figures {
        materials: u64::from(app.uploaded_materials()),
        trips: u64::from(app.trips()),
        days: u64::from(app.elapsed_days.or_else(|| elapsed_days(app, cal).map(|d| u32::try_from(d).unwrap_or(0)))?),
    };
    Some((baseline, actual))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentages_round_to_basis_points() {
        let p = Percentages::of(
            Figures { materials: 30, trips: 6, days: 45 },
            Figures { materials: 6, trips: 1, days: 10 },
        );
        assert_eq!(p.materials, Some(0.8));
        assert_eq!(p.trips, Some(0.8333));
        assert_eq!(p.days, Some(0.7778));
        assert_eq!(Percentages::of(Figures::default(), Figures::default()).days, None);
    }
}
