//! The shared data pool's records about the demo district: identity cards, household register
//! entries, marriage registrations and business licences, one record per fact.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use domain::{IdGenerator, RecordId};
use rand::Rng;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::dates::{add_days, add_years, age_on, between, office_time, yesterday, ymd};
use crate::enterprises::Firm;
use crate::people::Resident;

/// `resident_id_card`: 居民身份证, published by the police (`ga`).
pub const RESIDENT_ID_CARD: &str = "resident_id_card";
/// `household_register`: 户籍登记信息, published by the police (`ga`).
pub const HOUSEHOLD_REGISTER: &str = "household_register";
/// `marriage_registration`: 结婚登记信息, published by civil affairs (`mzj`).
pub const MARRIAGE_REGISTRATION: &str = "marriage_registration";
/// `business_license`: 营业执照, published by market regulation (`scjg`).
pub const BUSINESS_LICENSE: &str = "business_license";

/// One record of the shared data pool: a fact a department publishes about a person or an
/// enterprise.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RecordRow {
    /// The database id.
    pub id: RecordId,
    /// The record type code, e.g. `resident_id_card`.
    pub record_type: String,
    /// `"person"` or `"enterprise"`.
    pub subject_kind: String,
    /// The subject's resident identity number or unified social credit code.
    pub subject_key: String,
    /// The publishing department's code: `ga`, `mzj` or `scjg`.
    pub department: String,
    /// When the document was issued (always before the demo's today).
    pub issued_at: DateTime<Utc>,
    /// The last day it is valid; `None` for long-term documents.
    pub valid_until: Option<NaiveDate>,
    /// The document's contents.
    pub data: serde_json::Value,
}

/// Years an identity card issued at `age_at_issue` is valid for, by the Resident Identity
/// Card Law: under 16 five years, 16–25 ten, 26–45 twenty, 46 and over long-term (`None`).
pub fn id_card_validity_years(age_at_issue: u32) -> Option<u32> {
    match age_at_issue {
        0..=15 => Some(5),
        16..=25 => Some(10),
        26..=45 => Some(20),
        _ => None,
    }
}

/// 富阳市 became 富阳区 in 2015; offices changed their names with it.
fn district_era(date: NaiveDate) -> bool {
    date.year() >= 2015
}

fn iso(date: NaiveDate) -> String {
    date.format("%Y-%m-%d").to_string()
}

/// The current identity card of someone born on `birth`: when it was issued and until when it
/// is valid. Second-generation cards date from 2005 at the earliest; each card is renewed
/// around its expiry, so the current one is never expired.
fn id_card(
    rng: &mut impl Rng,
    birth: NaiveDate,
    today: NaiveDate,
) -> (NaiveDate, Option<NaiveDate>) {
    let latest = yesterday(today);
    let mut issued = if age_on(birth, today) < 16 {
        between(rng, add_days(birth, 30).min(latest), latest)
    } else {
        let sixteen = add_years(birth, 16);
        if rng.random_bool(0.25) {
            between(rng, add_years(birth, 10), sixteen)
        } else {
            between(rng, sixteen, add_days(sixteen, 365))
        }
    };
    if issued < ymd(2005, 1, 1) {
        issued = between(rng, ymd(2005, 1, 1), ymd(2012, 12, 31));
    }
    issued = issued.max(birth).min(latest);
    for _ in 0..40 {
        let Some(years) = id_card_validity_years(age_on(birth, issued)) else {
            return (issued, None);
        };
        let until = add_years(issued, i32::try_from(years).unwrap_or(0));
        if until >= today {
            return (issued, Some(until));
        }
        issued = between(rng, add_days(until, -90), add_days(until, 60)).min(latest);
    }
    (issued, None)
}

/// All records, in a fixed order: for each resident the identity card, the household register
/// entry and any marriage registration; then each enterprise's business licence.
pub(crate) fn generate(
    rng: &mut impl Rng,
    today: NaiveDate,
    residents: &[Resident],
    firms: &[Firm],
    ids: &IdGenerator,
) -> Vec<RecordRow> {
    let mut records = Vec::with_capacity(residents.len() * 3 + firms.len());
    let mut record = |record_type: &str,
                      subject_kind: &str,
                      subject_key: &str,
                      department: &str,
                      issued_at: DateTime<Utc>,
                      valid_until: Option<NaiveDate>,
                      data: serde_json::Value| {
        records.push(RecordRow {
            id: RecordId(ids.next()),
            record_type: record_type.to_owned(),
            subject_kind: subject_kind.to_owned(),
            subject_key: subject_key.to_owned(),
            department: department.to_owned(),
            issued_at,
            valid_until,
            data,
        });
    };
    // One certificate number and registration moment per couple, shared by both spouses.
    let mut marriages: HashMap<usize, (String, DateTime<Utc>)> = HashMap::new();
    let mut certificate_numbers = HashSet::new();

    for (i, r) in residents.iter().enumerate() {
        let p = &r.row;
        let (card_issued, card_until) = id_card(rng, p.birth_date, today);
        let authority = if district_era(card_issued) {
            "杭州市公安局富阳区分局"
        } else {
            "富阳市公安局"
        };
        record(
            RESIDENT_ID_CARD,
            "person",
            &p.id_number,
            "ga",
            office_time(rng, card_issued),
            card_until,
            json!({
                "name": p.name,
                "sex": p.sex.name_zh(),
                "ethnicity": "汉",
                "birth": iso(p.birth_date),
                "address": r.address,
                "id_number": p.id_number,
                "issuing_authority": authority,
                "valid_from": iso(card_issued),
                "valid_until": card_until.map_or_else(|| "长期".to_owned(), iso),
            }),
        );

        record(
            HOUSEHOLD_REGISTER,
            "person",
            &p.id_number,
            "ga",
            office_time(rng, r.registered_on),
            None,
            json!({
                "household_number": r.household_number,
                "household_type": "家庭户",
                "head_name": r.head_name,
                "relation": p.relation,
                "name": p.name,
                "sex": p.sex.name_zh(),
                "birth": iso(p.birth_date),
                "address": r.address,
                "division": p.division,
                "registered_on": iso(r.registered_on),
            }),
        );

        let spouse = r
            .spouse_index
            .and_then(|s| residents.get(s).map(|sp| (s, sp)));
        if let (Some(married_on), Some((s, sp))) = (r.married_on, spouse) {
            let (number, at) = match marriages.remove(&s) {
                Some(shared) => shared,
                None => {
                    let registry = if district_era(married_on) {
                        "330111"
                    } else {
                        "330183"
                    };
                    let mut number = String::new();
                    for _ in 0..1000 {
                        number = format!(
                            "J{registry}-{}-{:06}",
                            married_on.year(),
                            rng.random_range(1..=2400)
                        );
                        if certificate_numbers.insert(number.clone()) {
                            break;
                        }
                    }
                    let at = office_time(rng, married_on);
                    marriages.insert(i, (number.clone(), at));
                    (number, at)
                }
            };
            let registry = if district_era(married_on) {
                "杭州市富阳区民政局婚姻登记处"
            } else {
                "富阳市民政局婚姻登记处"
            };
            record(
                MARRIAGE_REGISTRATION,
                "person",
                &p.id_number,
                "mzj",
                at,
                None,
                json!({
                    "name": p.name,
                    "spouse_name": sp.row.name,
                    "spouse_id_number": domain::mask::id_number(&sp.row.id_number),
                    "registered_on": iso(married_on),
                    "certificate_number": number,
                    "registry": registry,
                }),
            );
        }
    }

    for f in firms {
        let e = &f.row;
        record(
            BUSINESS_LICENSE,
            "enterprise",
            &e.credit_code,
            "scjg",
            office_time(rng, f.license_issued),
            f.term_until,
            json!({
                "name": e.name,
                "credit_code": e.credit_code,
                "legal_representative": f.legal_rep_name,
                "kind": e.kind,
                "registered_capital_wan": f.capital_wan,
                "established_on": iso(e.established_on),
                "address": f.address,
                "division": e.division,
                "industry": e.industry,
                "business_scope": f.scope,
                "term_until": f.term_until.map_or_else(|| "长期".to_owned(), iso),
                "registration_authority": if district_era(f.license_issued) {
                    "杭州市富阳区市场监督管理局"
                } else {
                    "富阳市工商行政管理局"
                },
            }),
        );
    }
    records
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    use super::*;

    #[test]
    fn validity_follows_the_law() {
        assert_eq!(id_card_validity_years(0), Some(5));
        assert_eq!(id_card_validity_years(15), Some(5));
        assert_eq!(id_card_validity_years(16), Some(10));
        assert_eq!(id_card_validity_years(25), Some(10));
        assert_eq!(id_card_validity_years(26), Some(20));
        assert_eq!(id_card_validity_years(45), Some(20));
        assert_eq!(id_card_validity_years(46), None);
    }

    #[test]
    fn current_cards_are_valid_today() {
        let mut rng = StdRng::seed_from_u64(14);
        let today = ymd(2026, 11, 22);
        for year in (1925..=2026).step_by(3) {
            for _ in 0..30 {
                let birth =
                    between(&mut rng, ymd(year, 1, 1), ymd(year, 12, 31)).min(ymd(2026, 11, 20));
                let (issued, until) = id_card(&mut rng, birth, today);
                assert!(issued >= birth && issued < today, "{birth} {issued}");
                let years = id_card_validity_years(age_on(birth, issued));
                assert_eq!(
                    until,
                    years.map(|y| add_years(issued, i32::try_from(y).unwrap_or(0)))
                );
                assert!(
                    until.is_none_or(|u| u >= today),
                    "{birth} {issued} {until:?}"
                );
                if age_on(birth, today) >= 16 {
                    assert!(issued >= ymd(2005, 1, 1));
                }
            }
        }
    }
}
