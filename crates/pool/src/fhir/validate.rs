//! The checks an import applies beyond JSON shape: required elements, the value sets of status
//! and intent codes, id and date formats, and valid resident ID numbers in Patient identifiers.

use domain::ResidentId;

use super::systems;
use super::types::*;
use crate::error::PoolError;

/// FHIR `id`: 1–64 of `[A-Za-z0-9-.]`.
pub fn check_id(path: &str, id: &str) -> Result<(), PoolError> {
    if id.is_empty() || id.len() > 64 || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.') {
        return Err(PoolError::fhir(path, format!("{id:?} is not a FHIR id (1–64 letters, digits, '-' or '.')")));
    }
    Ok(())
}

/// FHIR `dateTime`: a year, year-month, date, or a date and time with seconds and time zone.
pub fn check_date_time(path: &str, s: &str) -> Result<(), PoolError> {
    let ok = match s.len() {
        4 => s.bytes().all(|b| b.is_ascii_digit()),
        7 => chrono::NaiveDate::parse_from_str(&format!("{s}-01"), "%Y-%m-%d").is_ok(),
        10 => chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok(),
        _ => chrono::DateTime::parse_from_rfc3339(s).is_ok(),
    };
    if ok { Ok(()) } else { Err(PoolError::fhir(path, format!("{s:?} is not a FHIR dateTime (e.g. 2026-03-02T09:30:00+08:00)"))) }
}

fn one_of(path: &str, value: &str, allowed: &[&str]) -> Result<(), PoolError> {
    if allowed.contains(&value) {
        Ok(())
    } else if value.is_empty() {
        Err(PoolError::fhir(path, "is required"))
    } else {
        Err(PoolError::fhir(path, format!("{value:?} is not one of {}", allowed.join(", "))))
    }
}

fn concept(path: &str, c: &CodeableConcept) -> Result<(), PoolError> {
    if c.coding.is_empty() && c.text.as_deref().is_none_or(str::is_empty) {
        return Err(PoolError::fhir(path, "needs a coding or a text"));
    }
    for (i, cd) in c.coding.iter().enumerate() {
        if cd.code.as_deref().is_some_and(|x| x.trim().is_empty() || x.trim() != x) {
            return Err(PoolError::fhir(format!("{path}.coding[{i}].code"), "must not be empty or padded"));
        }
    }
    Ok(())
}

fn patient_ref(path: &str, r: Option<&Reference>) -> Result<(), PoolError> {
    match r {
        Some(r) if r.id_of("Patient").is_some() || r.identifier.as_ref().is_some_and(|i| i.value.is_some()) => Ok(()),
        // A reference to an entry of the same Bundle by its fullUrl.
        Some(r) if r.reference.as_deref().is_some_and(|x| x.starts_with("urn:uuid:") || x.starts_with("urn:oid:")) => Ok(()),
        Some(_) => Err(PoolError::fhir(path, "must refer to a Patient (Patient/<id>) or carry the patient's identifier")),
        None => Err(PoolError::fhir(path, "is required")),
    }
}

fn opt_dt(path: &str, s: &Option<String>) -> Result<(), PoolError> {
    s.as_deref().map_or(Ok(()), |v| check_date_time(path, v))
}

fn opt_id(path: &str, id: &Option<String>) -> Result<(), PoolError> {
    id.as_deref().map_or(Ok(()), |v| check_id(path, v))
}

/// Validates a resource; `path` prefixes the element paths in errors (e.g. `entry[2].resource`).
pub fn validate(r: &Resource, path: &str) -> Result<(), PoolError> {
    let p = |e: &str| if path.is_empty() { e.to_owned() } else { format!("{path}.{e}") };
    opt_id(&p("id"), &r.id().map(str::to_owned))?;
    match r {
        Resource::Patient(x) => {
            if x.identifier.is_empty() {
                return Err(PoolError::fhir(p("identifier"), "a patient needs at least one identifier"));
            }
            for (i, id) in x.identifier.iter().enumerate() {
                if id.value.as_deref().is_none_or(str::is_empty) {
                    return Err(PoolError::fhir(p(&format!("identifier[{i}].value")), "is required"));
                }
                if id.system.as_deref() == Some(systems::RESIDENT_ID)
                    && let Some(v) = &id.value
                    && let Err(e) = ResidentId::parse(v)
                {
                    return Err(PoolError::fhir(p(&format!("identifier[{i}].value")), format!("not a valid resident ID number: {e}")));
                }
            }
            if let Some(g) = &x.gender {
                one_of(&p("gender"), g, &["male", "female", "other", "unknown"])?;
            }
            if let Some(b) = &x.birth_date
                && chrono::NaiveDate::parse_from_str(b, "%Y-%m-%d").is_err()
                && check_date_time(&p("birthDate"), b).is_err()
            {
                return Err(PoolError::fhir(p("birthDate"), format!("{b:?} is not a date")));
            }
        }
        Resource::Observation(x) => {
            one_of(&p("status"), &x.status, &["registered", "preliminary", "final", "amended", "corrected", "cancelled", "entered-in-error", "unknown"])?;
            concept(&p("code"), &x.code)?;
            patient_ref(&p("subject"), x.subject.as_ref())?;
            opt_dt(&p("effectiveDateTime"), &x.effective_date_time)?;
            opt_dt(&p("issued"), &x.issued)?;
        }
        Resource::DiagnosticReport(x) => {
            one_of(
                &p("status"),
                &x.status,
                &["registered", "partial", "preliminary", "final", "amended", "corrected", "appended", "cancelled", "entered-in-error", "unknown"],
            )?;
            concept(&p("code"), &x.code)?;
            patient_ref(&p("subject"), x.subject.as_ref())?;
            opt_dt(&p("effectiveDateTime"), &x.effective_date_time)?;
            opt_dt(&p("issued"), &x.issued)?;
        }
        Resource::ImagingStudy(x) => {
            one_of(&p("status"), &x.status, &["registered", "available", "cancelled", "entered-in-error", "unknown"])?;
            patient_ref(&p("subject"), Some(&x.subject))?;
            opt_dt(&p("started"), &x.started)?;
            for (i, s) in x.series.iter().enumerate() {
                check_id(&p(&format!("series[{i}].uid")), &s.uid)?;
                for (j, inst) in s.instance.iter().enumerate() {
                    check_id(&p(&format!("series[{i}].instance[{j}].uid")), &inst.uid)?;
                }
            }
        }
        Resource::ServiceRequest(x) => {
            one_of(&p("status"), &x.status, &["draft", "active", "on-hold", "revoked", "completed", "entered-in-error", "unknown"])?;
            one_of(
                &p("intent"),
                &x.intent,
                &["proposal", "plan", "directive", "order", "original-order", "reflex-order", "filler-order", "instance-order", "option"],
            )?;
            patient_ref(&p("subject"), Some(&x.subject))?;
            match &x.code {
                Some(c) => concept(&p("code"), c)?,
                None => return Err(PoolError::fhir(p("code"), "is required: the test or examination to order")),
            }
            opt_dt(&p("authoredOn"), &x.authored_on)?;
        }
        Resource::Encounter(x) => {
            one_of(&p("status"), &x.status, &["planned", "arrived", "triaged", "in-progress", "onleave", "finished", "cancelled", "entered-in-error", "unknown"])?;
            if x.class.code.as_deref().is_none_or(|c| c.trim().is_empty()) {
                return Err(PoolError::fhir(p("class.code"), "is required: AMB (outpatient), IMP (inpatient), EMER or HH (home)"));
            }
            patient_ref(&p("subject"), x.subject.as_ref())?;
            if let Some(per) = &x.period {
                opt_dt(&p("period.start"), &per.start)?;
                opt_dt(&p("period.end"), &per.end)?;
            }
        }
        Resource::EpisodeOfCare(x) => {
            one_of(&p("status"), &x.status, &["planned", "waitlist", "active", "onhold", "finished", "cancelled", "entered-in-error"])?;
            patient_ref(&p("patient"), Some(&x.patient))?;
            if let Some(per) = &x.period {
                opt_dt(&p("period.start"), &per.start)?;
                opt_dt(&p("period.end"), &per.end)?;
            }
        }
        Resource::DetectedIssue(x) => {
            one_of(&p("status"), &x.status, &["registered", "preliminary", "final", "amended", "corrected", "cancelled", "entered-in-error", "unknown"])?;
        }
        Resource::OperationOutcome(x) => {
            if x.issue.is_empty() {
                return Err(PoolError::fhir(p("issue"), "needs at least one issue"));
            }
        }
        Resource::Bundle(b) => {
            one_of(
                &p("type"),
                &b.type_,
                &["document", "message", "transaction", "transaction-response", "batch", "batch-response", "history", "searchset", "collection"],
            )?;
            for (i, e) in b.entry.iter().enumerate() {
                if let Some(r) = &e.resource {
                    validate(r, &p(&format!("entry[{i}].resource")))?;
                }
            }
        }
    }
    Ok(())
}
