//! Mutual recognition's use cases over FHIR R4 (医检互认): lawful reads of health data (treatment
//! relation or consent, every read logged), search, `$everything`, the `$recognition-check` and
//! importing Bundles scoped to the importer's institution. The FHIR error (`FhirError`, an
//! OperationOutcome on the wire) wraps the shared `Failure`.

use chrono::DateTime;
use chrono::Utc;
use domain::ResidentId;
use pool::fhir;
use pool::fhir::Bundle;
use pool::fhir::BundleEntry;
use pool::fhir::BundleResponse;
use pool::fhir::Meta;
use pool::fhir::Patient;
use pool::fhir::Reference;
use pool::fhir::Resource;
use pool::fhir::systems;
use pool::recognition::fhir_time;
use pool::Purpose;
use pool::Reader;
use pool::ReaderKind;
use store::CareRow;
use store::FhirRow;
use crate::auth::Principal;
use crate::failure::Failure;
use crate::areas::pool::cases::entry;
use crate::areas::pool::cases::reader_of;
use crate::areas::pool::cases::refusal;
use crate::state::AppState;
use super::views::*;
use domain::china_date;
use pool::fhir::ServiceRequest;
use pool::recognition;
use pool::ReadFacts;
use store::FhirQuery;
use store::OfferRow;

/// An `Failure` answered as a FHIR OperationOutcome (same status code).
#[derive(Debug)]
pub struct FhirError(pub Failure);

impl From<Failure> for FhirError {
    fn from(e: Failure) -> FhirError {
        FhirError(e)
    }
}

impl From<store::StoreError> for FhirError {
    fn from(e: store::StoreError) -> FhirError {
        FhirError(e.into())
    }
}

pub(crate) type FhirResult<T> = Result<T, FhirError>;

pub(crate) const READABLE: &[&str] = &["Patient", "Observation", "DiagnosticReport", "ImagingStudy", "Encounter", "EpisodeOfCare", "ServiceRequest"];

pub(crate) fn check_type(rtype: &str) -> FhirResult<()> {
    if READABLE.contains(&rtype) {
        Ok(())
    } else {
        Err(FhirError(Failure::not_found(
            "只支持 Patient、Observation、DiagnosticReport、ImagingStudy、Encounter、EpisodeOfCare、ServiceRequest",
            "Supported types: Patient, Observation, DiagnosticReport, ImagingStudy, Encounter, EpisodeOfCare, ServiceRequest",
        )))
    }
}

pub(crate) fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                match s.get(i + 1..i + 3).and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

pub(crate) fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/:".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The query's parameters in order (repeats kept: `date=ge…&date=le…`).
pub(crate) fn params(q: Option<&str>) -> Vec<(String, String)> {
    q.unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (percent_decode(k), percent_decode(v))
        })
        .collect()
}

pub(crate) fn bad(code: &'static str, field: &str, zh: impl Into<String>, en: impl Into<String>) -> FhirError {
    FhirError(Failure::BadRequest { code, zh: zh.into(), en: en.into(), field: Some(field.to_owned()) })
}

/// A date or dateTime search value as the (from, to) instants it covers.
pub(crate) fn date_range(v: &str) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    if let Ok(d) = chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d") {
        let from = domain::china_start_of_day(d);
        return Some((from, from + chrono::Duration::days(1) - chrono::Duration::microseconds(1)));
    }
    let t = DateTime::parse_from_rfc3339(v).ok()?.with_timezone(&Utc);
    Some((t, t))
}

/// The patient key behind a `Patient/<id>` reference or id.
pub(crate) async fn patient_key(state: &AppState, reference: &str) -> FhirResult<Option<(String, String)>> {
    let id = reference.rsplit('/').next().unwrap_or(reference).trim();
    if fhir::check_id("patient", id).is_err() {
        return Ok(None);
    }
    if let Some(found) = state.pool.cached_patient(id) {
        return Ok(Some(found));
    }
    let found = state.store.fhir().fhir_get("Patient", id).await?.map(|p| (p.patient_key, p.logical_id));
    if let Some(f) = &found {
        state.pool.cache_patient(id, f);
    }
    Ok(found)
}

/// The purpose of a FHIR read: as given (`purpose`, `ref`), else treatment for clinicians and own
/// for the patient.
pub(crate) fn fhir_purpose(reader: &Reader, subject: &str, given: Option<(&str, Option<&str>)>) -> FhirResult<Option<Purpose>> {
    if let Some((k, r)) = given {
        return crate::areas::pool::cases::parse_purpose(Some(k), r).map_err(FhirError);
    }
    // A resident reading another's record gives no purpose: a guardian's read of their minor
    // child's is decided as such (`ReadFacts::guardian`).
    Ok(match reader.kind {
        ReaderKind::Clinician => Some(Purpose::Treatment { order: None }),
        ReaderKind::Subject if reader.own_key.as_deref() == Some(subject) => Some(Purpose::Own),
        _ => None,
    })
}

pub(crate) async fn lawful_read(state: &AppState, reader: &Reader, subject: &str, resource: String, given: Option<(&str, Option<&str>)>) -> FhirResult<()> {
    let purpose = fhir_purpose(reader, subject, given)?;
    let d = crate::areas::pool::cases::decide_and_log(state, reader, subject, "health", vec![resource], purpose.as_ref()).await?;
    if d.is_allowed() { Ok(()) } else { Err(FhirError(refusal(&d))) }
}

/// The answer for a patient who is not on this server: the refusal the reader would get for a
/// patient they have no right to read (logged under `subject`, the reference or ID number asked
/// for), so that 403 and 404 never tell whether someone is a patient here. A reader who would be
/// allowed (the person asking for their own record) learns that there is none.
pub(crate) async fn unknown_patient(state: &AppState, reader: &Reader, subject: &str, resource: String, given: Option<(&str, Option<&str>)>) -> FhirError {
    match lawful_read(state, reader, subject, resource, given).await {
        Err(e) => e,
        Ok(()) => FhirError(Failure::not_found("没有这个患者", "No such patient")),
    }
}

pub(crate) fn given_purpose(ps: &[(String, String)]) -> Option<(&str, Option<&str>)> {
    let p = ps.iter().find(|(k, _)| k == "purpose").map(|(_, v)| v.as_str())?;
    Some((p, ps.iter().find(|(k, _)| k == "ref").map(|(_, v)| v.as_str())))
}

pub(crate) fn json_str(s: &str) -> String {
    serde_json::Value::String(s.to_owned()).to_string()
}

/// The patient's record: Patient and recent results as a searchset Bundle, read for treatment
/// (or by the patient) and logged. `key` is the patient's ID number.
/// Whether the person has a Patient here or not, the read is decided (and logged) first: a
/// refusal never tells whether there is a record.
pub async fn patient_everything(state: &AppState, p: &Principal, key: &str, base: &str) -> Result<String, Failure> {
    let patient = state.store.fhir().fhir_patient_of(key).await?;
    let reader = reader_of(state, &p.account).await?;
    let purpose = fhir_purpose(&reader, key, None).map_err(|e| e.0)?;
    let resource = match &patient {
        Some(x) => format!("Patient/{}/$everything", x.logical_id),
        None => format!("health-record:{}", domain::mask::id_number(key)),
    };
    let d = crate::areas::pool::cases::decide_and_log(state, &reader, key, "health", vec![resource], purpose.as_ref()).await?;
    if !d.is_allowed() {
        return Err(refusal(&d));
    }
    let patient = patient.ok_or_else(|| Failure::not_found("没有这个患者的健康档案", "No health record for this patient"))?;
    let recent = state.store.fhir().fhir_recent(key, 100).await?;
    let mut entries = vec![format!(
        r#"{{"fullUrl":{},"resource":{},"search":{{"mode":"match"}}}}"#,
        json_str(&format!("{base}/Patient/{}", patient.logical_id)),
        patient.data
    )];
    for (t, id, data) in &recent {
        entries.push(format!(r#"{{"fullUrl":{},"resource":{data},"search":{{"mode":"include"}}}}"#, json_str(&format!("{base}/{t}/{id}"))));
    }
    Ok(format!(
        r#"{{"resourceType":"Bundle","type":"searchset","timestamp":{},"total":1,"link":[{{"relation":"self","url":{}}}],"entry":[{}]}}"#,
        json_str(&fhir_time(state.now())),
        json_str(&format!("{base}/Patient/{}/$everything", patient.logical_id)),
        entries.join(",")
    ))
}

pub(crate) fn invalid(e: pool::PoolError) -> FhirError {
    use domain::Describe;
    let field = e.field_path();
    FhirError(Failure::Invalid { code: e.code(), zh: e.message_zh(), en: e.message_en(), field })
}

/// The stored row of a resource: its JSON and the columns search and the recognition check use.
pub fn index_row(state: &AppState, res: &Resource, id: i64, key: &str, now: DateTime<Utc>) -> FhirResult<FhirRow> {
    let code = res.code().and_then(|c| c.coding.first()).map(|c| format!("{}|{}", c.system.clone().unwrap_or_default(), c.code.clone().unwrap_or_default()));
    // Reports and imaging studies are the results a recognition stands on, not their observations.
    let item = match res {
        Resource::DiagnosticReport(_) | Resource::ImagingStudy(_) => res.code().and_then(|c| state.pool.recognition.item_for(c)).map(|i| i.code.clone()),
        _ => None,
    };
    let effective = match res.effective() {
        Some(e) => Some(
            date_range(e)
                .or_else(|| date_range(&format!("{e}-01")))
                .map(|(f, _)| f)
                .ok_or_else(|| invalid(pool::PoolError::fhir("effective", format!("{e:?} is not a dateTime"))))?,
        ),
        None => None,
    };
    Ok(FhirRow {
        id,
        resource_type: res.type_name().to_owned(),
        logical_id: res.id().unwrap_or_default().to_owned(),
        patient_key: key.to_owned(),
        code,
        item,
        institution: res.institution().map(str::to_owned),
        effective,
        status: res.status().map(str::to_owned),
        updated_at: now,
        data: serde_json::to_string(res).map_err(|e| FhirError(Failure::internal(e)))?,
    })
}

/// The treatment relation a care resource (Encounter, EpisodeOfCare, referral) of the patient
/// `key` establishes, as stored beside it; `None` for other resources. `path` names the resource in
/// errors.
pub fn care_row(state: &AppState, res: &Resource, key: &str, path: &str) -> FhirResult<Option<CareRow>> {
    let Some(rel) = pool::care::relation_of(res, state.pool.treatment_days, path).map_err(invalid)? else { return Ok(None) };
    Ok(Some(CareRow {
        resource_type: res.type_name().to_owned(),
        logical_id: res.id().unwrap_or_default().to_owned(),
        institution: rel.institution,
        patient_key: key.to_owned(),
        kind: rel.kind.code().to_owned(),
        starts_at: rel.starts_at,
        ends_at: rel.ends_at,
    }))
}

/// The patient key of a Patient: its resident ID number, else `system|value` of its first
/// identifier.
pub fn patient_key_of(p: &Patient) -> Option<String> {
    if let Some(v) = p.identifier_value(systems::RESIDENT_ID) {
        return ResidentId::parse(v).ok().map(|r| r.as_str().to_owned());
    }
    p.identifier.first().and_then(|i| Some(format!("{}|{}", i.system.clone().unwrap_or_default(), i.value.clone()?)))
}

/// Who imports a Bundle: the reader logged as the writer in each patient's access log, and the
/// institution whose resources it may write (`None`: the health commission, an administrator or
/// the command line, which import results of any institution).
#[derive(Debug, Clone)]
pub struct Importer {
    pub reader: Reader,
    pub institution: Option<String>,
}

impl Importer {
    /// The command line (`minsheng fhir import`): no account, any institution.
    pub fn command_line() -> Importer {
        Importer { reader: Reader { account: None, kind: ReaderKind::Admin, org: None, own_key: None }, institution: None }
    }
}

pub(crate) fn forbidden_write(i: usize, zh: String, en: String) -> FhirError {
    FhirError(Failure::Forbidden { code: "not_your_resource", zh, en, field: Some(format!("entry[{i}].resource")) })
}

/// The Patient to store for a person first seen in an import: the identifiers given, and the
/// name, sex and birth date from the population register when the person is in it (identity comes
/// from the register, not from whoever imports).
pub(crate) async fn new_patient(state: &AppState, given: &Patient, key: &str) -> FhirResult<Patient> {
    let mut p = given.clone();
    if let Ok(id) = ResidentId::parse(key)
        && let Some(person) = state.store.registers().person_by_id_number(id.as_str()).await?
    {
        let mut chars = person.name.chars();
        let family: String = chars.next().map(String::from).unwrap_or_default();
        let given_name: String = chars.collect();
        p.name = vec![fhir::HumanName { use_: Some("official".into()), text: Some(person.name.clone()), family: Some(family), given: vec![given_name] }];
        p.gender = Some(if person.sex == "female" { "female".into() } else { "male".into() });
        p.birth_date = Some(person.birth_date.format("%Y-%m-%d").to_string());
    }
    Ok(p)
}

/// An existing Patient with the identifiers an import may add: an institution its own medical
/// record number, the health commission any identifier of a system the Patient lacks. Names,
/// sex, birth date and existing identifiers never change. `None`: nothing to add.
pub(crate) fn merged_patient(stored: &Patient, given: &Patient, institution: Option<&str>) -> Option<Patient> {
    let own_mrn = institution.map(|i| format!("{}{i}", systems::MRN_PREFIX));
    let mut out = stored.clone();
    for id in &given.identifier {
        let Some(system) = id.system.as_deref() else { continue };
        let allowed = match &own_mrn {
            Some(mrn) => system == mrn,
            None => true,
        };
        if allowed && !out.identifier.iter().any(|x| x.system.as_deref() == Some(system)) {
            out.identifier.push(id.clone());
        }
    }
    (out.identifier.len() > stored.identifier.len()).then_some(out)
}

/// Imports a Bundle (transaction, batch or collection) of Patients, results (Observation,
/// DiagnosticReport, ImagingStudy) and care records (Encounter, EpisodeOfCare, a referral
/// ServiceRequest), all or nothing. An institution writes only its own resources, never another
/// institution's and never one of another patient; a Patient's identity is never replaced (a new
/// one takes its demographics from the population register); every write goes into the access log
/// of the patient it concerns before it is made.
pub async fn import_bundle(state: &AppState, bundle: Bundle, importer: &Importer) -> FhirResult<(Bundle, ImportReport)> {
    if !matches!(bundle.type_.as_str(), "transaction" | "batch" | "collection") {
        return Err(invalid(pool::PoolError::fhir("type", "import a transaction, batch or collection Bundle")));
    }
    fhir::validate(&Resource::Bundle(Box::new(bundle.clone())), "").map_err(invalid)?;
    let institution = importer.institution.as_deref();
    let now = state.now();
    let mut rows: Vec<FhirRow> = Vec::new();
    let mut care: Vec<CareRow> = Vec::new();
    let mut log: Vec<pool::AccessEntry> = Vec::new();
    let mut report = ImportReport::default();
    let written = pool::Decision::Allowed { basis: pool::Basis::Recording };
    // Patients first: reference (fullUrl or Patient/id) → (key, logical id).
    let mut patients: std::collections::HashMap<String, (String, String)> = std::collections::HashMap::new();
    let mut seen: std::collections::HashSet<(String, String)> = std::collections::HashSet::new();
    for (i, e) in bundle.entry.iter().enumerate() {
        let Some(Resource::Patient(p)) = &e.resource else { continue };
        let key = patient_key_of(p).ok_or_else(|| invalid(pool::PoolError::fhir(format!("entry[{i}].resource.identifier"), "a patient needs an identifier")))?;
        let existing = state.store.fhir().fhir_patient_of(&key).await?;
        let (logical, to_write) = match &existing {
            Some(x) => {
                let stored: Patient = match serde_json::from_str::<Resource>(&x.data) {
                    Ok(Resource::Patient(sp)) => sp,
                    _ => return Err(FhirError(Failure::internal(std::io::Error::other("a stored Patient is not a Patient")))),
                };
                (x.logical_id.clone(), merged_patient(&stored, p, institution))
            }
            None => {
                // A given id already naming someone else's Patient is not taken over.
                let free = match &p.id {
                    Some(id) => state.store.fhir().fhir_get("Patient", id).await?.is_none() && !seen.contains(&("Patient".to_owned(), id.clone())),
                    None => false,
                };
                let logical = match &p.id {
                    Some(id) if free => id.clone(),
                    _ => format!("p{}", state.parts.ids.next()),
                };
                (logical, Some(new_patient(state, p, &key).await?))
            }
        };
        if let Some(u) = &e.full_url {
            patients.insert(u.clone(), (key.clone(), logical.clone()));
        }
        if let Some(id) = &p.id {
            patients.insert(format!("Patient/{id}"), (key.clone(), logical.clone()));
        }
        patients.insert(format!("Patient/{logical}"), (key.clone(), logical.clone()));
        if let Some(np) = to_write
            && seen.insert(("Patient".into(), logical.clone()))
        {
            let mut res = Resource::Patient(np);
            res.set_id(logical.clone());
            set_meta(&mut res, now, None);
            rows.push(index_row(state, &res, state.parts.ids.next(), &key, now)?);
            log.push(entry(&importer.reader, now, &key, format!("Patient/{logical}"), Some(&Purpose::Record), &written));
            report.patients += 1;
        }
    }
    for (i, e) in bundle.entry.iter().enumerate() {
        let Some(res) = &e.resource else { continue };
        if matches!(res, Resource::Patient(_)) {
            continue;
        }
        let care_record = match res {
            Resource::Observation(_) | Resource::DiagnosticReport(_) | Resource::ImagingStudy(_) => false,
            Resource::Encounter(_) | Resource::EpisodeOfCare(_) => true,
            Resource::ServiceRequest(r) if pool::care::is_referral(r) => true,
            _ => {
                return Err(invalid(pool::PoolError::fhir(
                    format!("entry[{i}].resource.resourceType"),
                    "import Patient, Observation, DiagnosticReport, ImagingStudy, Encounter, EpisodeOfCare or a referral ServiceRequest",
                )));
            }
        };
        let path = format!("entry[{i}].resource.subject");
        let subject = res.subject().cloned().unwrap_or_default();
        let resolved = match subject.reference.as_deref() {
            Some(r) if patients.contains_key(r) => patients.get(r).cloned(),
            Some(r) => patient_key(state, r).await?,
            None => None,
        };
        let resolved = match resolved {
            Some(x) => x,
            None => {
                // A resident ID number in the reference's identifier will do if the patient is known.
                let key = subject.identifier.as_ref().and_then(|i| i.value.as_deref()).and_then(|v| ResidentId::parse(v).ok()).map(|r| r.as_str().to_owned());
                match key {
                    Some(k) => match state.store.fhir().fhir_patient_of(&k).await? {
                        Some(p) => (p.patient_key, p.logical_id),
                        None => return Err(invalid(pool::PoolError::fhir(path, "the patient is neither in the Bundle nor on this server"))),
                    },
                    None => return Err(invalid(pool::PoolError::fhir(path, "the patient is neither in the Bundle nor on this server"))),
                }
            }
        };
        let mut res = res.clone();
        let inst = res.institution().map(str::to_owned);
        let inst = match (inst, institution) {
            (Some(a), Some(b)) if a != b => {
                return Err(forbidden_write(i, format!("第 {i} 项不是本机构的记录"), format!("entry[{i}] is not your institution's")));
            }
            (None, _) => {
                return Err(invalid(pool::PoolError::fhir(
                    format!("entry[{i}].resource"),
                    "a resource must name its institution (a result its performer, or the accession's assigner for ImagingStudy; an encounter its serviceProvider; an episode of care its managingOrganization; a referral its requester)",
                )));
            }
            (Some(a), _) if state.pool.recognition.institution(&a).is_none() => {
                return Err(invalid(pool::PoolError::fhir(format!("entry[{i}].resource"), format!("unknown institution {a}"))));
            }
            (Some(a), _) => a,
        };
        if res.id().is_none() {
            res.set_id(format!("{}{}", res.type_name().chars().next().unwrap_or('r').to_ascii_lowercase(), state.parts.ids.next()));
        }
        let logical = res.id().unwrap_or_default().to_owned();
        // An existing resource stays its institution's and its patient's.
        if let Some(stored) = state.store.fhir().fhir_get(res.type_name(), &logical).await? {
            if stored.institution.as_deref() != Some(inst.as_str()) {
                return Err(forbidden_write(
                    i,
                    format!("第 {i} 项（{}/{logical}）已由其他机构出具，不能覆盖", res.type_name()),
                    format!("entry[{i}] ({}/{logical}) belongs to another institution and cannot be replaced", res.type_name()),
                ));
            }
            if stored.patient_key != resolved.0 {
                return Err(FhirError(Failure::Conflict {
                    code: "patient_changed",
                    zh: format!("第 {i} 项（{}/{logical}）属于另一位患者，不能改挂；请将原记录标为 entered-in-error 后另建", res.type_name()),
                    en: format!("entry[{i}] ({}/{logical}) is another patient's; mark it entered-in-error and create a new one instead", res.type_name()),
                    field: Some(format!("entry[{i}].resource.subject")),
                }));
            }
        }
        res.set_subject(Reference::to(&format!("Patient/{}", resolved.1)));
        if care_record {
            if let Resource::ServiceRequest(_) = &res
                && institution.is_some()
                && !crate::areas::pool::cases::treatment_relation(state, &inst, &resolved.0, "health").await?
            {
                return Err(FhirError(Failure::Forbidden {
                    code: "no_treatment_relation",
                    zh: format!("第 {i} 项：本机构与该患者没有诊疗关系，不能转诊"),
                    en: format!("entry[{i}]: your institution does not treat this patient, so it cannot refer them"),
                    field: Some(format!("entry[{i}].resource.subject")),
                }));
            }
            care.extend(care_row(state, &res, &resolved.0, &format!("entry[{i}].resource"))?);
        }
        let hr = res.code().and_then(|c| state.pool.recognition.item_for(c)).is_some_and(|it| state.pool.recognition.qualified(&inst, &it.code));
        set_meta(&mut res, now, hr.then_some(()));
        if !seen.insert((res.type_name().to_owned(), logical.clone())) {
            return Err(invalid(pool::PoolError::fhir(format!("entry[{i}].resource.id"), "the Bundle holds this resource twice")));
        }
        rows.push(index_row(state, &res, state.parts.ids.next(), &resolved.0, now)?);
        log.push(entry(&importer.reader, now, &resolved.0, format!("{}/{logical}", res.type_name()), Some(&Purpose::Record), &written));
        report.results += usize::from(!care_record);
        report.care += usize::from(care_record);
    }
    if !log.is_empty() {
        state.pool.appender.append(log, Vec::new()).await.map_err(|e| FhirError(Failure::internal(e)))?;
    }
    state.store.fhir().upsert_fhir_and_care(&rows, &care).await?;
    if report.patients > 0 {
        state.pool.forget_patients();
    }
    for c in &care {
        state.pool.forget_care(&c.patient_key);
    }
    let response_type = if bundle.type_ == "transaction" { "transaction-response" } else { "batch-response" };
    let out = Bundle {
        id: None,
        meta: None,
        type_: response_type.into(),
        timestamp: Some(fhir_time(now)),
        total: None,
        link: Vec::new(),
        entry: rows
            .iter()
            .map(|r| BundleEntry {
                full_url: None,
                resource: None,
                search: None,
                request: None,
                response: Some(BundleResponse { status: "200 OK".into(), location: Some(format!("{}/{}", r.resource_type, r.logical_id)) }),
            })
            .collect(),
    };
    Ok((out, report))
}

pub(crate) fn set_meta(res: &mut Resource, now: DateTime<Utc>, hr: Option<()>) {
    if let Some(meta) = res.meta_mut() {
        let mut m = meta.take().unwrap_or_default();
        m.last_updated = Some(fhir_time(now));
        m.tag.retain(|t| t.system.as_deref() != Some(systems::MARK));
        if hr.is_some() {
            m.tag.push(fhir::Coding::new(systems::MARK, "HR", "互认"));
        }
        *meta = Some(Meta { version_id: None, ..m });
    }
}

/// The CapabilityStatement: what this FHIR interface supports.
pub fn capability_statement(state: &AppState) -> serde_json::Value {
    let search = |extra: &[(&str, &str)]| -> serde_json::Value {
        let mut v = vec![
            serde_json::json!({"name": "patient", "type": "reference"}),
            serde_json::json!({"name": "_count", "type": "number"}),
        ];
        for (n, t) in extra {
            v.push(serde_json::json!({"name": n, "type": t}));
        }
        serde_json::Value::Array(v)
    };
    let result = |ty: &str| {
        serde_json::json!({"type": ty, "interaction": [{"code": "read"}, {"code": "search-type"}],
            "searchParam": search(&[("code", "token"), ("date", "date")])})
    };
    // Care records (treatment relations): imported in Bundles, read and searched by patient and date.
    let care = |ty: &str| serde_json::json!({"type": ty, "interaction": [{"code": "read"}, {"code": "search-type"}], "searchParam": search(&[("date", "date")])});
    let doc = serde_json::json!({
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": fhir_time(state.now()),
        "publisher": state.pool.issuer,
        "kind": "instance",
        "software": {"name": "minsheng", "version": env!("CARGO_PKG_VERSION")},
        "fhirVersion": "4.0.1",
        "format": ["json"],
        "rest": [{
            "mode": "server",
            "resource": [
                {"type": "Patient", "interaction": [{"code": "read"}, {"code": "search-type"}],
                 "searchParam": [{"name": "identifier", "type": "token"}, {"name": "_id", "type": "token"}],
                 "operation": [{"name": "everything", "definition": "http://hl7.org/fhir/OperationDefinition/Patient-everything"}]},
                result("Observation"), result("DiagnosticReport"), result("ImagingStudy"),
                care("Encounter"), care("EpisodeOfCare"),
                {"type": "ServiceRequest", "interaction": [{"code": "read"}, {"code": "search-type"}],
                 "searchParam": search(&[("date", "date")]),
                 "operation": [{"name": "recognition-check", "definition": "https://minsheng.fuyang.gov.cn/fhir/OperationDefinition/recognition-check"}]},
                {"type": "Claim", "operation": [{"name": "submit", "definition": "http://hl7.org/fhir/OperationDefinition/Claim-submit"}]},
                {"type": "ClaimResponse", "interaction": [{"code": "read"}]}
            ],
            "interaction": [{"code": "batch"}, {"code": "transaction"}]
        }]
    });
    doc
}

/// Reads one resource for a reader; logged (refusals too). The stored JSON and its version.
pub async fn read(state: &AppState, p: &Principal, rtype: &str, id: &str, q: Option<&str>) -> FhirResult<(String, i64)> {
    check_type(rtype)?;
    let reader = reader_of(&state, &p.account).await?;
    let ps = params(q);
    let Some(stored) = state.store.fhir().fhir_get(rtype, id).await? else {
        if rtype == "Patient" {
            let asked = format!("Patient/{}", id.trim());
            return Err(unknown_patient(&state, &reader, &asked, asked.clone(), given_purpose(&ps)).await);
        }
        return Err(FhirError(Failure::not_found("没有这个资源", "No such resource")));
    };
    lawful_read(&state, &reader, &stored.patient_key, format!("{rtype}/{id}"), given_purpose(&ps)).await?;
    Ok((stored.data, stored.version))
}

/// Searches resources of a patient (see the handler); the searchset Bundle as JSON, its links
/// under `base`.
pub async fn search(state: &AppState, p: &Principal, rtype: &str, q: Option<&str>, base: &str) -> FhirResult<String> {
    check_type(rtype)?;
    let ps = params(q);
    let reader = reader_of(&state, &p.account).await?;
    let mut count: i64 = 20;
    let mut offset: i64 = 0;
    let mut query = FhirQuery { resource_type: rtype.to_owned(), ..Default::default() };
    let mut subject: Option<(String, String)> = None;
    for (k, v) in &ps {
        match k.as_str() {
            "patient" | "subject" | "subject:Patient" | "_id" if k != "_id" || rtype == "Patient" => match patient_key(&state, v).await? {
                Some(found) => subject = Some(found),
                None => {
                    let asked = format!("Patient/{}", v.rsplit('/').next().unwrap_or(v).trim());
                    return Err(unknown_patient(&state, &reader, &asked, format!("{rtype}?{k}={asked}"), given_purpose(&ps)).await);
                }
            },
            "identifier" if rtype == "Patient" => {
                let value = v.rsplit('|').next().unwrap_or(v).trim();
                let key = match ResidentId::parse(value) {
                    Ok(id) => id.as_str().to_owned(),
                    Err(_) => v.trim().to_owned(),
                };
                match state.store.fhir().fhir_patient_of(&key).await? {
                    Some(f) => subject = Some((f.patient_key, f.logical_id)),
                    None => {
                        let resource = format!("Patient?identifier={}", domain::mask::id_number(&key));
                        return Err(unknown_patient(&state, &reader, &key, resource, given_purpose(&ps)).await);
                    }
                }
            }
            "code" => {
                if v.trim().is_empty() || v.contains(',') {
                    return Err(bad("invalid_search", "code", "code 须为一个编码（system|code 或 code）", "code takes one token: system|code or code"));
                }
                query.code = Some(v.trim().to_owned());
            }
            "date" => {
                let (prefix, value) = if v.len() > 2 && v.is_char_boundary(2) && v[..2].chars().all(|c| c.is_ascii_lowercase()) { v.split_at(2) } else { ("eq", v.as_str()) };
                let (from, to) = date_range(value)
                    .ok_or_else(|| bad("invalid_search", "date", format!("日期「{v}」无效"), format!("date {v:?} is not a FHIR date (e.g. ge2026-03-01)")))?;
                match prefix {
                    "ge" | "gt" => query.from = Some(from),
                    "le" | "lt" => query.to = Some(to),
                    "eq" => {
                        query.from = Some(from);
                        query.to = Some(to);
                    }
                    _ => return Err(bad("invalid_search", "date", "日期前缀须为 ge、gt、le、lt 或 eq", "date prefixes: ge, gt, le, lt, eq")),
                }
            }
            "_count" => {
                count = v.parse::<i64>().ok().filter(|c| (1..=200).contains(c)).ok_or_else(|| bad("invalid_search", "_count", "_count 须为 1–200", "_count must be 1–200"))?;
            }
            "_offset" => {
                offset = v.parse::<i64>().ok().filter(|c| *c >= 0).ok_or_else(|| bad("invalid_search", "_offset", "_offset 须为非负整数", "_offset must be ≥ 0"))?;
            }
            "purpose" | "ref" | "_format" => {}
            other => {
                return Err(bad("unsupported_search_parameter", other, format!("不支持的查询参数：{other}"), format!("Unsupported search parameter: {other}")));
            }
        }
    }
    let Some((key, patient_id)) = subject else {
        return Err(bad("patient_required", "patient", "查询须指定患者（patient=Patient/…）", "A search needs the patient (patient=Patient/…)"));
    };
    lawful_read(&state, &reader, &key, format!("{rtype}?patient=Patient/{patient_id}"), given_purpose(&ps)).await?;
    query.patient_key = key;
    query.limit = count;
    query.offset = offset;
    let (rows, total) = state.store.fhir().fhir_search(&query).await?;
    // The self link repeats the query; next/previous move the offset.
    let kept: Vec<(String, String)> = ps.iter().filter(|(k, _)| k != "_offset" && k != "_count").cloned().collect();
    let link = |off: i64| -> String {
        let mut parts: Vec<String> = kept.iter().map(|(k, v)| format!("{}={}", percent_encode(k), percent_encode(v))).collect();
        parts.push(format!("_count={count}"));
        parts.push(format!("_offset={off}"));
        format!("{base}/{rtype}?{}", parts.join("&"))
    };
    let mut links = vec![format!(r#"{{"relation":"self","url":{}}}"#, json_str(&link(offset)))];
    if offset + count < total {
        links.push(format!(r#"{{"relation":"next","url":{}}}"#, json_str(&link(offset + count))));
    }
    if offset > 0 {
        links.push(format!(r#"{{"relation":"previous","url":{}}}"#, json_str(&link((offset - count).max(0)))));
    }
    let entries: Vec<String> = rows
        .iter()
        .map(|(id, data)| format!(r#"{{"fullUrl":{},"resource":{data},"search":{{"mode":"match"}}}}"#, json_str(&format!("{base}/{rtype}/{id}"))))
        .collect();
    let mut body = format!(
        r#"{{"resourceType":"Bundle","type":"searchset","timestamp":{},"total":{total},"link":[{}]"#,
        json_str(&fhir_time(state.now())),
        links.join(",")
    );
    if !entries.is_empty() {
        body.push_str(&format!(r#","entry":[{}]"#, entries.join(",")));
    }
    body.push('}');
    Ok(body)
}

/// `Patient/{id}/$everything` for a reader: the health-record look-up (B4), logged.
pub async fn everything(state: &AppState, p: &Principal, id: &str, base: &str) -> FhirResult<String> {
    let Some((key, _)) = patient_key(state, id).await? else {
        let reader = reader_of(&state, &p.account).await?;
        let asked = format!("Patient/{}", id.trim());
        return Err(unknown_patient(&state, &reader, &asked, format!("{asked}/$everything"), None).await);
    };
    Ok(patient_everything(state, p, &key, base).await?)
}

/// `ServiceRequest/$recognition-check` for a clinician: the patient's still-valid results from
/// qualified institutions as a searchset Bundle with a DetectedIssue (whose id is the offer to
/// decide on), as JSON with links under `base`; the look-up and the offer are saved together.
/// `body` reads the request, after the caller is known to be a clinician.
pub async fn recognition_check(state: &AppState, p: &Principal, base: &str, body: impl FnOnce() -> FhirResult<Resource>) -> FhirResult<String> {
    let reader = reader_of(&state, &p.account).await?;
    let org = match (reader.kind, reader.org.clone()) {
        (ReaderKind::Clinician, Some(o)) => o,
        _ => return Err(FhirError(Failure::forbidden("只有医疗机构的医生可以做互认查询", "Only clinicians of a medical institution run the recognition check"))),
    };
    let req: ServiceRequest = match body()? {
        Resource::ServiceRequest(r) => r,
        other => {
            return Err(bad("wrong_resource_type", "resourceType", "请求体须为 ServiceRequest", format!("Expected a ServiceRequest, got {}", other.type_name())));
        }
    };
    let item = recognition::check_request(&state.pool.recognition, &req).map_err(invalid)?.clone();
    let found = if let Some(id) = req.subject.id_of("Patient") {
        patient_key(&state, id).await?
    } else {
        match req.subject.identifier.as_ref().and_then(|i| i.value.as_deref()).and_then(|v| ResidentId::parse(v).ok()) {
            Some(k) => state.store.fhir().fhir_patient_of(k.as_str()).await?.map(|x| (x.patient_key, x.logical_id)),
            None => None,
        }
    };
    let now = state.now();
    let purpose = Purpose::Treatment { order: Some(format!("order:{}:{}", item.code, req.id.as_deref().unwrap_or("-"))) };
    // An unknown patient is refused like a patient the institution does not treat.
    let (key, patient_id) = match found {
        Some(f) => f,
        None => {
            let subject = req.subject.reference.clone().unwrap_or_else(|| "Patient?identifier".into());
            let d = pool::access::decide(&reader, &subject, "health", Some(&purpose), &ReadFacts::default(), china_date(now));
            let log = entry(&reader, now, &subject, format!("recognition-check:{}", item.code), Some(&purpose), &d);
            state.pool.appender.append(vec![log], Vec::new()).await.map_err(|e| FhirError(Failure::internal(e)))?;
            return Err(FhirError(refusal(&d)));
        }
    };
    let facts = ReadFacts { treatment_relation: crate::areas::pool::cases::treatment_relation(&state, &org, &key, "health").await?, ..Default::default() };
    let d = pool::access::decide(&reader, &key, "health", Some(&purpose), &facts, china_date(now));
    let log = entry(&reader, now, &key, format!("recognition-check:{}", item.code), Some(&purpose), &d);
    if !d.is_allowed() {
        state.pool.appender.append(vec![log], Vec::new()).await.map_err(|e| FhirError(Failure::internal(e)))?;
        return Err(FhirError(refusal(&d)));
    }
    let since = now - chrono::Duration::days(i64::from(item.validity_days)) - chrono::Duration::seconds(1);
    let candidates = state.store.fhir().results_for_item(&key, &item.code, since).await?;
    let summaries: Vec<pool::ResultSummary> = candidates.iter().map(|(s, _)| s.clone()).collect();
    let recognisable = recognition::recognisable(&state.pool.recognition, &item, &summaries, now);
    let mut results = Vec::with_capacity(recognisable.len());
    for r in recognisable {
        if let Some((_, data)) = candidates.iter().find(|(s, _)| s.row == r.result.row)
            && let Ok(res) = serde_json::from_str::<Resource>(data)
        {
            results.push((r, res));
        }
    }
    let issue_id = state.parts.ids.next();
    let offers: Vec<OfferRow> = results
        .first()
        .map(|(r, _)| OfferRow {
            id: issue_id,
            at: now,
            patient_key: key.clone(),
            item: item.code.clone(),
            ordering_institution: org.clone(),
            clinician: Some(p.id().0),
            result_type: r.result.resource_type.clone(),
            result_id: r.result.logical_id.clone(),
            result_institution: r.result.institution.clone(),
            price_fen: r.price_fen,
        })
        .into_iter()
        .collect();
    state.pool.appender.append(vec![log], offers).await.map_err(|e| FhirError(Failure::internal(e)))?;
    let base = base.to_owned();
    let bundle = recognition::check_bundle(&base, &format!("Patient/{patient_id}"), &item, &state.pool.recognition, &issue_id.to_string(), &org, &results, now);
    let json = serde_json::to_string(&Resource::Bundle(Box::new(bundle))).map_err(|e| FhirError(Failure::internal(e)))?;
    Ok(json)
}

/// `POST /fhir` for an importer (health commission staff and administrators for any institution,
/// clinicians for their own institution's records): the Bundle stored all or nothing; the
/// answering Bundle. `body` reads the request, after the caller may import.
pub async fn import(state: &AppState, p: &Principal, body: impl FnOnce() -> FhirResult<Resource>) -> FhirResult<Bundle> {
    let reader = reader_of(&state, &p.account).await?;
    let institution = match (reader.kind, reader.org.as_deref()) {
        (ReaderKind::Clinician, Some(o)) => Some(o.to_owned()),
        (ReaderKind::Department, Some(d)) if state.catalog().department(d).is_some_and(|d| d.has(catalog::Duty::HealthRecords)) => None,
        (ReaderKind::Admin, _) => None,
        _ => return Err(FhirError(Failure::forbidden("只有卫健部门和医疗机构可以导入诊疗记录", "Only the health commission and institutions import health records"))),
    };
    let bundle = match body()? {
        Resource::Bundle(b) => *b,
        other => return Err(bad("wrong_resource_type", "resourceType", "请求体须为 Bundle", format!("Expected a Bundle, got {}", other.type_name()))),
    };
    let (out, _) = import_bundle(&state, bundle, &Importer { reader, institution }).await?;
    Ok(out)
}
