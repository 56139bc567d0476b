//! Treatment relations (诊疗关系) come from care, never from a query: the FHIR resources an
//! institution publishes when it takes a patient in — an Encounter (outpatient registration,
//! admission, emergency, home visit), an EpisodeOfCare (a home-doctor contract) or a referral
//! (a ServiceRequest to another institution) — each let one institution read the patient's health
//! data for treatment over a period. `relation_of` works that period out; the caller stores it.

use chrono::{DateTime, Duration, NaiveDate, Utc};

use crate::error::PoolError;
use crate::fhir::{Coding, Period, Resource, ServiceRequest};

/// The code system of encounter classes (HL7 v3 ActCode).
pub const ACT_CODE: &str = "http://terminology.hl7.org/CodeSystem/v3-ActCode";
/// SNOMED CT, whose 3457005 "Patient referral" marks a ServiceRequest as a referral.
pub const SNOMED: &str = "http://snomed.info/sct";
pub const REFERRAL_CODE: &str = "3457005";
/// The district's code system of care types; `home-doctor` is the home-doctor contract.
pub const CARE_TYPE: &str = "https://minsheng.fuyang.gov.cn/fhir/CodeSystem/care-type";

/// What kind of care a relation comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CareKind {
    /// 挂号就诊: an outpatient encounter (class AMB).
    Registration,
    /// 住院: an inpatient stay (IMP, ACUTE, NONAC).
    Admission,
    /// 急诊 (EMER).
    Emergency,
    /// 家庭医生上门 / home visit (HH).
    HomeVisit,
    /// Another encounter class.
    Encounter,
    /// 家庭医生签约: an EpisodeOfCare of the type `home-doctor`.
    HomeDoctor,
    /// Another episode of care.
    Episode,
    /// 转诊: a referral to the receiving institution.
    Referral,
}

impl CareKind {
    pub fn code(self) -> &'static str {
        match self {
            CareKind::Registration => "registration",
            CareKind::Admission => "admission",
            CareKind::Emergency => "emergency",
            CareKind::HomeVisit => "home_visit",
            CareKind::Encounter => "encounter",
            CareKind::HomeDoctor => "home_doctor",
            CareKind::Episode => "episode",
            CareKind::Referral => "referral",
        }
    }
    pub fn name_zh(self) -> &'static str {
        match self {
            CareKind::Registration => "挂号就诊",
            CareKind::Admission => "住院",
            CareKind::Emergency => "急诊",
            CareKind::HomeVisit => "上门诊疗",
            CareKind::Encounter => "就诊",
            CareKind::HomeDoctor => "家庭医生签约",
            CareKind::Episode => "持续照护",
            CareKind::Referral => "转诊",
        }
    }
}

/// One institution's treatment relation to a patient over `[starts_at, ends_at)`, or open-ended
/// while `ends_at` is `None` (a stay not yet discharged, a contract without an end). A cancelled
/// or entered-in-error resource ends its relation where it starts, so that it never held.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CareRelation {
    /// The institution that may read: the encounter's provider, the episode's managing
    /// organisation, the referral's receiving institution.
    pub institution: String,
    pub kind: CareKind,
    pub starts_at: DateTime<Utc>,
    pub ends_at: Option<DateTime<Utc>>,
}

impl CareRelation {
    /// Whether the relation holds at `now`.
    pub fn holds(&self, now: DateTime<Utc>) -> bool {
        self.starts_at <= now && self.ends_at.is_none_or(|e| now < e)
    }
}

/// A FHIR date or dateTime as an instant (a date is its first moment in China).
pub fn instant(path: &str, s: &str) -> Result<DateTime<Utc>, PoolError> {
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return Ok(domain::china_start_of_day(d));
    }
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| PoolError::fhir(path, format!("{s:?} is not a date or a dateTime with a time zone")))
}

fn period(path: &str, p: Option<&Period>) -> Result<(DateTime<Utc>, Option<DateTime<Utc>>), PoolError> {
    let start = p.and_then(|p| p.start.as_deref()).ok_or_else(|| PoolError::fhir(format!("{path}.start"), "is required: when the care began"))?;
    let start = instant(&format!("{path}.start"), start)?;
    let end = match p.and_then(|p| p.end.as_deref()) {
        Some(e) => Some(instant(&format!("{path}.end"), e)?),
        None => None,
    };
    if end.is_some_and(|e| e < start) {
        return Err(PoolError::fhir(format!("{path}.end"), "ends before it starts"));
    }
    Ok((start, end))
}

/// Whether a ServiceRequest is a referral (category SNOMED 3457005 "Patient referral").
pub fn is_referral(r: &ServiceRequest) -> bool {
    r.category.iter().any(|c| c.code_in(SNOMED) == Some(REFERRAL_CODE))
}

fn encounter_kind(class: &Coding) -> CareKind {
    match class.code.as_deref() {
        Some("AMB") => CareKind::Registration,
        Some("IMP" | "ACUTE" | "NONAC") => CareKind::Admission,
        Some("EMER") => CareKind::Emergency,
        Some("HH") => CareKind::HomeVisit,
        _ => CareKind::Encounter,
    }
}

/// The relation a care resource establishes (`Ok(None)` for resources that are not care, such
/// as results). `treatment_days` is how long after a visit (or a referral) the institution may
/// still read for the patient's follow-up.
pub fn relation_of(res: &Resource, treatment_days: i64, path: &str) -> Result<Option<CareRelation>, PoolError> {
    let p = |e: &str| if path.is_empty() { e.to_owned() } else { format!("{path}.{e}") };
    let after = Duration::days(treatment_days);
    let (institution, kind, starts_at, ends_at, void) = match res {
        Resource::Encounter(e) => {
            let kind = encounter_kind(&e.class);
            let (start, end) = period(&p("period"), e.period.as_ref())?;
            let open = matches!(e.status.as_str(), "arrived" | "triaged" | "in-progress" | "onleave");
            let ends = match end {
                Some(end) => Some(end + after),
                // An admission or emergency still under way holds until it is closed.
                None if open && matches!(kind, CareKind::Admission | CareKind::Emergency) => None,
                None => Some(start + after),
            };
            let void = matches!(e.status.as_str(), "cancelled" | "entered-in-error");
            (e.service_provider.as_ref().and_then(|r| r.institution_code()), kind, start, ends, void)
        }
        Resource::EpisodeOfCare(e) => {
            let home = e.type_.iter().any(|t| t.code_in(CARE_TYPE) == Some("home-doctor"));
            let kind = if home { CareKind::HomeDoctor } else { CareKind::Episode };
            let (start, end) = period(&p("period"), e.period.as_ref())?;
            let ends = match end {
                Some(end) => Some(end),
                None if e.status == "finished" => Some(start + after),
                None => None,
            };
            let void = matches!(e.status.as_str(), "cancelled" | "entered-in-error");
            (e.managing_organization.as_ref().and_then(|r| r.institution_code()), kind, start, ends, void)
        }
        Resource::ServiceRequest(r) if is_referral(r) => {
            let at = r.authored_on.as_deref().ok_or_else(|| PoolError::fhir(p("authoredOn"), "is required: when the referral was made"))?;
            let start = instant(&p("authoredOn"), at)?;
            let receiving = r.performer.iter().find_map(|x| x.institution_code());
            let receiving = receiving.ok_or_else(|| PoolError::fhir(p("performer"), "a referral names the receiving institution"))?;
            let void = matches!(r.status.as_str(), "revoked" | "entered-in-error");
            (Some(receiving), CareKind::Referral, start, Some(start + after), void)
        }
        _ => return Ok(None),
    };
    let field = match res {
        Resource::Encounter(_) => "serviceProvider",
        Resource::EpisodeOfCare(_) => "managingOrganization",
        _ => "performer",
    };
    let institution = institution.ok_or_else(|| PoolError::fhir(p(field), "must name the institution by its identifier"))?.to_owned();
    Ok(Some(CareRelation { institution, kind, starts_at, ends_at: if void { Some(starts_at) } else { ends_at } }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fhir::{CodeableConcept, Encounter, EpisodeOfCare, Reference};

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).expect("time").with_timezone(&Utc)
    }

    fn encounter(class: &str, status: &str, start: &str, end: Option<&str>) -> Resource {
        Resource::Encounter(Encounter {
            status: status.into(),
            class: Coding::new(ACT_CODE, class, ""),
            subject: Some(Reference::to("Patient/p1")),
            period: Some(Period { start: Some(start.into()), end: end.map(str::to_owned) }),
            service_provider: Some(Reference::institution("fy-1h", "富阳区第一人民医院")),
            ..Default::default()
        })
    }

    #[test]
    fn a_visit_lets_its_institution_read_for_the_follow_up_days() {
        let r = relation_of(&encounter("AMB", "finished", "2026-03-02T09:00:00+08:00", None), 30, "").expect("valid").expect("care");
        assert_eq!((r.institution.as_str(), r.kind), ("fy-1h", CareKind::Registration));
        assert!(r.holds(t("2026-03-02T09:00:00+08:00")) && r.holds(t("2026-03-31T09:00:00+08:00")));
        assert!(!r.holds(t("2026-04-01T09:00:00+08:00")), "30 days after the visit");
        assert!(!r.holds(t("2026-03-02T08:59:00+08:00")), "not before it");
    }

    #[test]
    fn a_stay_holds_until_discharge_and_the_days_after() {
        let open = relation_of(&encounter("IMP", "in-progress", "2026-03-02", None), 30, "").expect("valid").expect("care");
        assert_eq!((open.kind, open.ends_at), (CareKind::Admission, None));
        assert!(open.holds(t("2027-01-01T00:00:00Z")));
        let closed = relation_of(&encounter("IMP", "finished", "2026-03-02", Some("2026-03-10")), 30, "").expect("valid").expect("care");
        assert!(closed.holds(t("2026-04-08T00:00:00+08:00")) && !closed.holds(t("2026-04-10T00:00:00+08:00")));
    }

    #[test]
    fn a_cancelled_encounter_never_held() {
        let r = relation_of(&encounter("AMB", "entered-in-error", "2026-03-02T09:00:00+08:00", None), 30, "").expect("valid").expect("care");
        assert!(!r.holds(t("2026-03-02T09:00:00+08:00")) && !r.holds(t("2026-03-03T09:00:00+08:00")));
    }

    #[test]
    fn a_home_doctor_contract_holds_for_its_period() {
        let e = Resource::EpisodeOfCare(EpisodeOfCare {
            status: "active".into(),
            type_: vec![CodeableConcept::one(CARE_TYPE, "home-doctor", "家庭医生签约")],
            patient: Reference::to("Patient/p1"),
            managing_organization: Some(Reference::institution("fy-hc-100", "")),
            period: Some(Period { start: Some("2026-01-01".into()), end: Some("2026-12-31".into()) }),
            ..Default::default()
        });
        let r = relation_of(&e, 30, "").expect("valid").expect("care");
        assert_eq!((r.kind, r.institution.as_str()), (CareKind::HomeDoctor, "fy-hc-100"));
        assert!(r.holds(t("2026-06-01T00:00:00Z")) && !r.holds(t("2027-01-02T00:00:00Z")));
    }

    #[test]
    fn a_referral_is_for_the_receiving_institution() {
        let sr = ServiceRequest {
            status: "active".into(),
            intent: "order".into(),
            category: vec![CodeableConcept::one(SNOMED, REFERRAL_CODE, "Patient referral")],
            code: Some(CodeableConcept::text("心内科会诊")),
            subject: Reference::to("Patient/p1"),
            authored_on: Some("2026-03-02T10:00:00+08:00".into()),
            requester: Some(Reference::institution("fy-hc-100", "")),
            performer: vec![Reference::institution("fy-1h", "")],
            ..Default::default()
        };
        let r = relation_of(&Resource::ServiceRequest(sr.clone()), 30, "").expect("valid").expect("care");
        assert_eq!((r.kind, r.institution.as_str()), (CareKind::Referral, "fy-1h"));
        let order = ServiceRequest { category: Vec::new(), ..sr };
        assert_eq!(relation_of(&Resource::ServiceRequest(order), 30, "").expect("valid"), None, "an order is no referral");
    }

    #[test]
    fn care_without_its_institution_or_start_is_refused() {
        let mut e = encounter("AMB", "finished", "2026-03-02", None);
        if let Resource::Encounter(x) = &mut e {
            x.service_provider = None;
        }
        let err = relation_of(&e, 30, "entry[0].resource").expect_err("no provider");
        assert_eq!(err.field_path().as_deref(), Some("entry[0].resource.serviceProvider"));
        let e = encounter("AMB", "finished", "yesterday", None);
        assert!(relation_of(&e, 30, "").is_err());
        let e = encounter("AMB", "finished", "2026-03-02", Some("2026-03-01"));
        assert!(relation_of(&e, 30, "").is_err(), "ends before it starts");
    }
}
