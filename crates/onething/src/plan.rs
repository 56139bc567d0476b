//! Collect once (一次采集、多方复用): the de-duplicated materials and form of an application, each
//! marked as filled from shared data, issued inside the bundle, reused from the last application,
//! or still to be provided by the applicant.

use std::collections::{BTreeMap, BTreeSet};

use catalog::{Bundle, Catalog, Field, MaterialNeed, Subject};
use chrono::{DateTime, NaiveDate, Utc};
use domain::{ApplicationId, RecordId};
use serde::Serialize;

use crate::application::{MaterialEntry, MaterialSource, Target};
use crate::error::{EngineError, Result};

/// A shared record the applicant already has in the data pool.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SharedRecordRef {
    pub id: RecordId,
    pub record_type: String,
    pub department: String,
    pub issued_at: DateTime<Utc>,
    pub valid_until: Option<NaiveDate>,
}

/// The applicant's last application of the same bundle or item, for pre-filling a repeat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prior {
    pub id: ApplicationId,
    pub form: BTreeMap<String, String>,
    pub materials: Vec<MaterialEntry>,
}

/// What government already knows about the applicant.
#[derive(Debug, Clone, Copy, Default)]
pub struct Known<'a> {
    pub records: &'a [SharedRecordRef],
    pub prior: Option<&'a Prior>,
}

/// How one material of a plan is satisfied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Provision {
    /// Filled from a shared record.
    Shared { record: SharedRecordRef },
    /// Issued by another item of the bundle before the item that needs it starts.
    IssuedInBundle { item: String },
    /// Taken from the applicant's last application.
    Reused { source: MaterialSource },
    /// The applicant must upload it.
    ToUpload,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlannedMaterial {
    pub material: String,
    pub name: String,
    pub name_en: String,
    pub needed_by: Vec<String>,
    #[serde(flatten)]
    pub provision: Provision,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlannedField {
    #[serde(flatten)]
    pub field: Field,
    /// Reused from the last application when the field allows it.
    pub prefilled: Option<String>,
}

/// The collect-once plan of an application before it is filed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Plan {
    pub target: Target,
    pub subject: Subject,
    /// Items in an order that respects prerequisites.
    pub items: Vec<String>,
    pub materials: Vec<PlannedMaterial>,
    pub fields: Vec<PlannedField>,
    pub prior: Option<ApplicationId>,
}

impl Plan {
    pub fn to_upload(&self) -> impl Iterator<Item = &PlannedMaterial> {
        self.materials.iter().filter(|m| m.provision == Provision::ToUpload)
    }
    /// Σ materials of the items applied for one by one.
    pub fn item_by_item_materials(&self, catalog: &Catalog) -> u32 {
        self.items
            .iter()
            .filter_map(|i| catalog.item(i))
            .map(|i| u32::try_from(i.materials.len()).unwrap_or(u32::MAX))
            .sum()
    }
}

/// The items of a target, the subject they are for, and their de-duplicated material needs.
pub(crate) struct Resolved {
    pub subject: Subject,
    pub items: Vec<String>,
    /// (material, needed_by, issued_in_bundle_by)
    pub needs: Vec<(String, Vec<String>, Option<String>)>,
    pub fields: Vec<Field>,
}

pub(crate) fn resolve(catalog: &Catalog, target: &Target) -> Result<Resolved> {
    match target {
        Target::Bundle(code) => {
            let b = catalog.bundle(code).ok_or_else(|| EngineError::UnknownBundle(code.clone()))?;
            Ok(Resolved {
                subject: b.subject,
                items: b.topo_order(),
                needs: b
                    .materials(catalog)
                    .into_iter()
                    .map(|m| {
                        let issuer = issuer_before_all(catalog, b, &m);
                        (m.material, m.needed_by, issuer)
                    })
                    .collect(),
                fields: b.form_fields(catalog),
            })
        }
        Target::Item(code) => {
            let i = catalog.item(code).ok_or_else(|| EngineError::UnknownItem(code.clone()))?;
            let mut needs: Vec<(String, Vec<String>, Option<String>)> = Vec::new();
            for m in &i.materials {
                if !needs.iter().any(|(c, _, _)| c == m) {
                    needs.push((m.clone(), vec![i.code.clone()], None));
                }
            }
            Ok(Resolved { subject: i.subject, items: vec![i.code.clone()], needs, fields: i.fields.clone() })
        }
    }
}

/// The member item that issues a material inside the bundle: one that is a prerequisite (directly
/// or not) of every item needing the material, so that the record is there when they start and the
/// material is linked to the record they used. The catalog names the first issuer in declaration
/// order, which need not be one when two members issue the same record type. (The catalog's rules
/// make sure each item needing it has some issuer before it.)
fn issuer_before_all(catalog: &Catalog, b: &Bundle, need: &MaterialNeed) -> Option<String> {
    let first = need.issued_in_bundle_by.as_deref()?;
    let precedes_all = |issuer: &str| need.needed_by.iter().all(|n| ancestors(b, n).contains(issuer));
    if precedes_all(first) {
        return Some(first.to_owned());
    }
    let record = catalog.material(&need.material).and_then(|m| m.satisfied_by.as_deref());
    b.items
        .iter()
        .filter(|i| !need.needed_by.contains(i))
        .filter(|i| catalog.item(i).is_some_and(|it| it.outputs.iter().any(|o| Some(o.as_str()) == record)))
        .find(|i| precedes_all(i))
        .cloned()
        .or_else(|| Some(first.to_owned()))
}

/// The transitive prerequisites of a member item.
fn ancestors(b: &Bundle, item: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut todo: Vec<&str> = vec![item];
    while let Some(i) = todo.pop() {
        for p in b.prerequisites_of(i) {
            if out.insert(p.clone()) {
                todo.push(p);
            }
        }
    }
    out
}

/// Picks the shared record that satisfies a material: the newest one still valid on `today`.
fn best_record<'a>(
    records: &'a [SharedRecordRef],
    record_type: &str,
    today: NaiveDate,
) -> Option<&'a SharedRecordRef> {
    records
        .iter()
        .filter(|r| r.record_type == record_type)
        .filter(|r| r.valid_until.is_none_or(|v| v >= today))
        .max_by_key(|r| (r.issued_at, r.id))
}

/// Computes the collect-once plan of `target` for an applicant who holds `known`.
pub fn plan(catalog: &Catalog, target: &Target, known: Known<'_>, today: NaiveDate) -> Result<Plan> {
    let r = resolve(catalog, target)?;
    let mut materials = Vec::with_capacity(r.needs.len());
    for (code, needed_by, issued_by) in r.needs {
        let m = catalog.material(&code);
        let (name, name_en) = m
            .map(|m| (m.name.clone(), m.name_en.clone()))
            .unwrap_or_else(|| (code.clone(), code.clone()));
        let shared = m
            .and_then(|m| m.satisfied_by.as_deref())
            .and_then(|rt| best_record(known.records, rt, today));
        let reusable = m.is_some_and(|m| m.reusable);
        let provision = if let Some(item) = issued_by {
            Provision::IssuedInBundle { item }
        } else if let Some(rec) = shared {
            Provision::Shared { record: rec.clone() }
        } else if let Some(prev) = known
            .prior
            .filter(|_| reusable)
            .and_then(|p| reusable_source(p, &code))
        {
            Provision::Reused { source: prev }
        } else {
            Provision::ToUpload
        };
        materials.push(PlannedMaterial { material: code, name, name_en, needed_by, provision });
    }
    let fields = r
        .fields
        .into_iter()
        .map(|f| {
            let prefilled = if f.reuse {
                known.prior.and_then(|p| p.form.get(&f.key).cloned())
            } else {
                None
            };
            PlannedField { field: f, prefilled }
        })
        .collect();
    Ok(Plan {
        target: target.clone(),
        subject: r.subject,
        items: r.items,
        materials,
        fields,
        prior: known.prior.map(|p| p.id),
    })
}

/// The source a repeat application reuses: the upload the prior application used for `material`.
fn reusable_source(prior: &Prior, material: &str) -> Option<MaterialSource> {
    let entry = prior.materials.iter().find(|m| m.material == material)?;
    let upload_id = entry.source.upload_id()?;
    Some(MaterialSource::Reused { upload_id, from_application: prior.id })
}
