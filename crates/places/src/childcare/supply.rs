//! Supply figures for planners, per town and for the district: licensed places, children
//! enrolled and utilisation (empty places), places per 1,000 residents against the norm, children
//! aged 0–3 and places per child, and families waiting (unmet demand) — both sides at once.

use std::collections::BTreeMap;
use std::collections::HashMap;

use chrono::NaiveDate;
use serde::Deserialize;
use serde::Serialize;

use super::allocate::SeatCount;
use super::application::Application;
use super::error::ChildcareError;
use super::institution::Institution;
use super::institution::InstitutionId;
use super::institution::InstitutionStatus;
use super::institution::check_town;
use super::rules::ChildcareRules;
use super::rules::months_between;

/// A town's population, as the registers give it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TownPopulation {
    /// The town's division code (9 or 12 digits).
    pub town: String,
    /// Residents.
    pub residents: u64,
    /// Children under 3, when the register gives the count; else counted from `births`.
    pub children_under_3: Option<u64>,
}

/// A child's birth, for counting children under 3 where the count is not given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Birth {
    /// The town the child lives in.
    pub town: String,
    /// The birth date.
    pub birth_date: NaiveDate,
}

/// The figures of one town, or of the district.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SupplyFigures {
    /// The town's code; `None` for the district.
    pub town: Option<String>,
    /// Institutions open or suspended (closed ones are not counted).
    pub institutions: u64,
    /// Licensed places of those institutions.
    pub licensed_places: u64,
    /// Children enrolled.
    pub enrolled: u64,
    /// Licensed places not taken.
    pub empty_places: u64,
    /// Enrolled ÷ licensed places (`None` without places). Ratios are rounded to 4 decimals.
    pub utilisation: Option<f64>,
    /// Residents (0 when not given).
    pub residents: u64,
    /// Licensed places per 1,000 residents (`None` without residents).
    pub places_per_1000: Option<f64>,
    /// The norm (places per 1,000 residents).
    pub norm_per_1000: f64,
    /// Places still needed to reach the norm (0 when reached).
    pub places_short_of_norm: u64,
    /// Children under 3.
    pub children_under_3: u64,
    /// Licensed places per child under 3 (`None` without children).
    pub places_per_child: Option<f64>,
    /// Families waiting: applications without a place, counted in the town of their first choice.
    pub families_waiting: u64,
}

/// The figures on a date.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Supply {
    /// The date the figures are for.
    pub on: NaiveDate,
    /// Per town, by code: every town with population figures or an institution.
    pub towns: Vec<SupplyFigures>,
    /// The district.
    pub district: SupplyFigures,
}

#[derive(Default)]
struct Acc {
    institutions: u64,
    places: u64,
    enrolled: u64,
    residents: u64,
    children: u64,
    waiting: u64,
}

/// The figures on `on` from the institutions, the children `enrolled` (e.g. [`super::seats_held`]),
/// the towns' populations, `births` (to count children under 3 where a town's count is not given)
/// and the applications still `waiting` for a place. Checks town codes (12 digits, each town's
/// population once) and that `enrolled` and `waiting` name known institutions.
pub fn supply(
    rules: &ChildcareRules,
    institutions: &[Institution],
    enrolled: &[SeatCount],
    towns: &[TownPopulation],
    births: &[Birth],
    waiting: &[Application],
    on: NaiveDate,
) -> Result<Supply, ChildcareError> {
    let mut acc: BTreeMap<String, Acc> = BTreeMap::new();
    for (i, t) in towns.iter().enumerate() {
        check_town(&t.town).map_err(|e| e.within(&format!("towns[{i}]")))?;
        if acc.contains_key(&t.town) {
            return Err(ChildcareError::invalid(format!("towns[{i}].town"), "同一乡镇街道出现两次", "the town is given twice"));
        }
        acc.insert(t.town.clone(), Acc { residents: t.residents, children: t.children_under_3.unwrap_or(0), ..Acc::default() });
    }
    let counted: Vec<bool> = towns.iter().map(|t| t.children_under_3.is_none()).collect();
    let index: HashMap<InstitutionId, &Institution> = institutions.iter().map(|i| (i.id, i)).collect();
    for (i, e) in enrolled.iter().enumerate() {
        if !index.contains_key(&e.institution) {
            return Err(ChildcareError::UnknownInstitution { field: format!("enrolled[{i}].institution"), id: e.institution.0 });
        }
    }
    for (i, a) in waiting.iter().enumerate() {
        if let Some(first) = a.preferences.first()
            && !index.contains_key(first)
        {
            return Err(ChildcareError::UnknownInstitution { field: format!("waiting[{i}].preferences[0]"), id: first.0 });
        }
    }
    for (i, b) in births.iter().enumerate() {
        check_town(&b.town).map_err(|e| e.within(&format!("births[{i}]")))?;
    }

    for inst in institutions.iter().filter(|i| i.status != InstitutionStatus::Closed) {
        let a = acc.entry(inst.town.clone()).or_default();
        a.institutions += 1;
        a.places = a.places.saturating_add(inst.licensed_places());
    }
    for e in enrolled {
        if let Some(inst) = index.get(&e.institution) {
            let x = acc.entry(inst.town.clone()).or_default();
            x.enrolled = x.enrolled.saturating_add(u64::from(e.count));
        }
    }
    for a in waiting {
        if let Some(inst) = a.preferences.first().and_then(|f| index.get(f)) {
            acc.entry(inst.town.clone()).or_default().waiting += 1;
        }
    }
    let (_, max) = rules.age_range();
    for b in births {
        let m = months_between(b.birth_date, on);
        let counts = towns.iter().zip(&counted).find(|(t, _)| t.town == b.town).is_none_or(|(_, c)| *c);
        if (0..i64::from(max)).contains(&m) && counts {
            acc.entry(b.town.clone()).or_default().children += 1;
        }
    }

    let norm = rules.norm.places_per_1000;
    let figures = |town: Option<String>, a: &Acc| {
        let ratio = |x: u64, y: u64| if y == 0 { None } else { Some(round4(x as f64 / y as f64)) };
        let needed = (a.residents as f64 * norm / 1000.0).ceil() as u64;
        SupplyFigures {
            town,
            institutions: a.institutions,
            licensed_places: a.places,
            enrolled: a.enrolled,
            empty_places: a.places.saturating_sub(a.enrolled),
            utilisation: ratio(a.enrolled, a.places),
            residents: a.residents,
            places_per_1000: ratio(a.places.saturating_mul(1000), a.residents),
            norm_per_1000: norm,
            places_short_of_norm: needed.saturating_sub(a.places),
            children_under_3: a.children,
            places_per_child: ratio(a.places, a.children),
            families_waiting: a.waiting,
        }
    };
    let mut total = Acc::default();
    for a in acc.values() {
        total.institutions = total.institutions.saturating_add(a.institutions);
        total.places = total.places.saturating_add(a.places);
        total.enrolled = total.enrolled.saturating_add(a.enrolled);
        total.residents = total.residents.saturating_add(a.residents);
        total.children = total.children.saturating_add(a.children);
        total.waiting = total.waiting.saturating_add(a.waiting);
    }
    Ok(Supply { on, towns: acc.iter().map(|(t, a)| figures(Some(t.clone()), a)).collect(), district: figures(None, &total) })
}

/// Rounded to 4 decimal places (the ratios are shown, not computed with; 4 places also survive
/// JSON unchanged).
fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::childcare::application::tests::app;
    use crate::childcare::institution::tests::d;
    use crate::childcare::institution::tests::sample;
    use crate::childcare::rules::AgeClass;

    #[test]
    fn both_empty_places_and_unmet_demand_show() {
        let r = ChildcareRules::embedded().unwrap();
        let mut b = sample(2);
        b.town = "330111002000".into();
        let mut closed = sample(3);
        closed.status = InstitutionStatus::Closed;
        let insts = [sample(1), b, closed];
        let enrolled = [
            SeatCount { institution: InstitutionId(1), class: AgeClass::Infant, count: 9 },
            SeatCount { institution: InstitutionId(1), class: AgeClass::OlderToddler, count: 27 },
            SeatCount { institution: InstitutionId(2), class: AgeClass::Infant, count: 9 },
        ];
        let towns = [
            TownPopulation { town: "330111001000".into(), residents: 20_000, children_under_3: Some(500) },
            TownPopulation { town: "330111002000".into(), residents: 10_000, children_under_3: None },
        ];
        let births = [
            Birth { town: "330111002000".into(), birth_date: d(2024, 1, 1) },
            Birth { town: "330111002000".into(), birth_date: d(2023, 1, 1) },
            Birth { town: "330111002000".into(), birth_date: d(2027, 1, 1) },
            Birth { town: "330111001000".into(), birth_date: d(2025, 1, 1) },
        ];
        let waiting = [app(1, &[2]), app(2, &[2, 1]), app(3, &[1])];
        let s = supply(&r, &insts, &enrolled, &towns, &births, &waiting, d(2026, 9, 1)).unwrap();
        let t1 = &s.towns[0];
        assert_eq!((t1.institutions, t1.licensed_places, t1.enrolled, t1.empty_places), (1, 45, 36, 9));
        assert_eq!(t1.utilisation, Some(0.8));
        assert_eq!(t1.places_per_1000, Some(2.25));
        assert_eq!(t1.places_short_of_norm, 45);
        assert_eq!(t1.children_under_3, 500);
        assert_eq!(t1.families_waiting, 1);
        let t2 = &s.towns[1];
        assert_eq!((t2.licensed_places, t2.enrolled, t2.children_under_3, t2.families_waiting), (45, 9, 1, 2));
        assert_eq!(t2.places_short_of_norm, 0);
        assert_eq!(t2.places_per_child, Some(45.0));
        assert_eq!(s.district.licensed_places, 90);
        assert_eq!(s.district.residents, 30_000);
        assert_eq!(s.district.families_waiting, 3);
        assert_eq!(s.district.places_per_1000, Some(3.0));
        assert_eq!(s.district.town, None);
    }

    #[test]
    fn the_gap_to_the_norm_and_bad_input() {
        let r = ChildcareRules::embedded().unwrap();
        let towns = [TownPopulation { town: "330111001000".into(), residents: 100_000, children_under_3: Some(2_000) }];
        let s = supply(&r, &[sample(1)], &[], &towns, &[], &[], d(2026, 9, 1)).unwrap();
        assert_eq!(s.district.places_short_of_norm, 450 - 45);
        assert_eq!(s.district.utilisation, Some(0.0));
        let bad = [TownPopulation { town: "3301".into(), residents: 1, children_under_3: None }];
        assert_eq!(supply(&r, &[], &[], &bad, &[], &[], d(2026, 9, 1)).unwrap_err().field().as_deref(), Some("towns[0].town"));
        let e = supply(&r, &[], &[SeatCount { institution: InstitutionId(9), class: AgeClass::Infant, count: 1 }], &[], &[], &[], d(2026, 9, 1)).unwrap_err();
        assert_eq!(e.field().as_deref(), Some("enrolled[0].institution"));
    }
}
