//! Re-admissions: a stay admitted within the scheme's window (15 days) of the same patient's
//! previous discharge — at the same hospital when the scheme says so — is flagged for review, so
//! that discharging and re-admitting a patient to be paid twice shows up. Planned stays whose
//! principal diagnosis is exempt (chemotherapy cycles) are not flagged.

use std::collections::BTreeMap;

use chrono::Days;
use chrono::NaiveDate;
use rayon::prelude::*;

use crate::episode::Episode;
use crate::scheme::ReadmissionRule;

/// One stay as the re-admission check sees it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Stay<'a> {
    pub patient: &'a str,
    pub hospital: &'a str,
    pub id: &'a str,
    pub principal: &'a str,
    pub admitted: NaiveDate,
    pub discharged: NaiveDate,
    /// The index among the stays being checked (`None` for stays that are only context).
    pub current: Option<usize>,
}

impl<'a> Stay<'a> {
    pub fn of(e: &'a Episode, current: Option<usize>) -> Stay<'a> {
        Stay {
            patient: &e.patient,
            hospital: &e.hospital,
            id: &e.id,
            principal: &e.principal_dx,
            admitted: e.admitted,
            discharged: e.discharged,
            current,
        }
    }
}

/// A fixed 64-bit FNV-1a hash of a text: the same on every run and platform.
pub(crate) fn fnv(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

/// The previous stay (its hospital and id) each current stay is a re-admission of, indexed by
/// `current`; `n_current` is one more than the largest `current`. Stays are brought together by
/// a hash of the patient, then ordered by patient, hospital (when only the same hospital
/// counts), admission, discharge, hospital and id.
pub(crate) fn find<'a>(rule: &ReadmissionRule, stays: Vec<Stay<'a>>, n_current: usize) -> Vec<Option<(&'a str, &'a str)>> {
    let same = rule.same_hospital;
    let group = move |s: &Stay<'a>| (s.patient, if same { s.hospital } else { "" });
    let order = |a: &Stay<'a>, b: &Stay<'a>| {
        group(a)
            .cmp(&group(b))
            .then(a.admitted.cmp(&b.admitted))
            .then(a.discharged.cmp(&b.discharged))
            .then(a.hospital.cmp(b.hospital))
            .then(a.id.cmp(b.id))
            .then(a.current.cmp(&b.current))
    };
    let mut keys: Vec<(u64, usize)> = stays.par_iter().enumerate().map(|(i, s)| (fnv(s.patient), i)).collect();
    keys.par_sort_unstable();
    let mut out = vec![None; n_current];
    // Discharges seen so far for this patient: (date, order) → (hospital, id).
    let mut seen: BTreeMap<(NaiveDate, usize), (&'a str, &'a str)> = BTreeMap::new();
    let mut run: Vec<&Stay<'a>> = Vec::new();
    let mut i = 0;
    while i < keys.len() {
        let mut j = i + 1;
        while j < keys.len() && keys[j].0 == keys[i].0 {
            j += 1;
        }
        if j - i > 1 {
            run.clear();
            run.extend(keys[i..j].iter().filter_map(|&(_, k)| stays.get(k)));
            run.sort_unstable_by(|a, b| order(a, b));
            seen.clear();
            for (k, s) in run.iter().enumerate() {
                if k > 0 && group(run[k - 1]) != group(s) {
                    seen.clear();
                }
                if let Some(ci) = s.current {
                    let exempt = rule.exempt.iter().any(|x| s.principal.starts_with(x.as_str()));
                    if !exempt {
                        let from = s.admitted.checked_sub_days(Days::new(u64::from(rule.window_days))).unwrap_or(NaiveDate::MIN);
                        let prev = seen.range(..=(s.admitted, usize::MAX)).next_back().filter(|((d, _), _)| *d >= from);
                        if let (Some(slot), Some((_, p))) = (out.get_mut(ci), prev) {
                            *slot = Some(*p);
                        }
                    }
                }
                seen.insert((s.discharged, k), (s.hospital, s.id));
            }
        }
        i = j;
    }
    out
}
