//! Whether a read of a person's or an enterprise's data is lawful: the reader, the purpose they
//! give (the case they handle, the patient they treat, the subject's consent), the facts the
//! caller looked up, and `decide`, which either names the legal basis or refuses with a reason.
//! Refusals are logged like reads.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// Who reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReaderKind {
    /// The person or enterprise the data is about (through their own account).
    Subject,
    /// Staff of a government department (`org` is the department code).
    Department,
    /// A clinician of a medical institution (`org` is the institution code).
    Clinician,
    /// Staff of a delivery platform (`org` is the platform code).
    Platform,
    /// Window staff (一窗受理) of a division, who take in filings for residents who come in.
    Window,
    /// The district administrator.
    Admin,
    /// The one-thing engine filling in a filing's materials for its applicant.
    Engine,
    /// Anyone else signed in.
    Other,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reader {
    pub account: Option<i64>,
    pub kind: ReaderKind,
    pub org: Option<String>,
    /// The ID number or credit code of the reader's own subject (citizens and enterprise agents).
    pub own_key: Option<String>,
}

/// Why a reader wants the data (the purpose a read is bound to).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Purpose {
    /// The subject reading their own data.
    Own,
    /// Handling a case (办件) of an application the subject filed.
    Case { case: i64 },
    /// Filling in the materials of the subject's own filing (collect once): the applicant, the
    /// window that took it in, or a department with a case of it.
    Filing { application: i64 },
    /// Window staff taking in (一窗受理) the subject's application.
    Intake { application: i64 },
    /// Under a consent the subject gave.
    Consent { consent: i64 },
    /// Treating the patient: ordering a test, reading their results or summary.
    Treatment { order: Option<String> },
    /// Supervision of a platform's riders by the regulator, or the platform's own riders.
    Supervision,
    /// Not a read: an institution writing a result or a care record about the patient (logged
    /// where the patient sees it, like reads).
    Record,
    /// Social assistance and welfare by law (社会救助暂行办法): a department paying benefits or a
    /// community worker reading a person's entitlements, payments or household.
    Assistance,
}

impl Purpose {
    pub fn code(&self) -> &'static str {
        match self {
            Purpose::Own => "own",
            Purpose::Case { .. } => "case",
            Purpose::Filing { .. } => "filing",
            Purpose::Intake { .. } => "intake",
            Purpose::Consent { .. } => "consent",
            Purpose::Treatment { .. } => "treatment",
            Purpose::Supervision => "supervision",
            Purpose::Record => "record",
            Purpose::Assistance => "assistance",
        }
    }
    /// The reference the purpose names (case id, application id, consent id, order).
    pub fn reference(&self) -> Option<String> {
        match self {
            Purpose::Case { case } => Some(case.to_string()),
            Purpose::Filing { application } | Purpose::Intake { application } => Some(application.to_string()),
            Purpose::Consent { consent } => Some(consent.to_string()),
            Purpose::Treatment { order } => order.clone(),
            Purpose::Own | Purpose::Supervision | Purpose::Record | Purpose::Assistance => None,
        }
    }
    pub fn name_zh(&self) -> &'static str {
        match self {
            Purpose::Own => "本人查询",
            Purpose::Case { .. } => "办理业务",
            Purpose::Filing { .. } => "申请材料免提交（数据共享）",
            Purpose::Intake { .. } => "窗口受理",
            Purpose::Consent { .. } => "经本人授权",
            Purpose::Treatment { .. } => "诊疗需要",
            Purpose::Supervision => "监管",
            Purpose::Record => "写入诊疗记录",
            Purpose::Assistance => "社会救助与福利（法定职责）",
        }
    }
    /// Parses the `purpose` and `ref` of a request (`case` + case id, `consent` + consent id, …).
    pub fn parse(kind: &str, reference: Option<&str>) -> Option<Purpose> {
        let num = || reference.and_then(|r| r.trim().parse::<i64>().ok());
        Some(match kind.trim() {
            "own" => Purpose::Own,
            "case" => Purpose::Case { case: num()? },
            "filing" => Purpose::Filing { application: num()? },
            "intake" => Purpose::Intake { application: num()? },
            "consent" => Purpose::Consent { consent: num()? },
            "treatment" => Purpose::Treatment { order: reference.map(|r| r.trim().chars().take(64).collect()) },
            "supervision" => Purpose::Supervision,
            "record" => Purpose::Record,
            "assistance" => Purpose::Assistance,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GranteeKind {
    /// One account.
    Account,
    /// A department, institution or platform, by code.
    Org,
}

/// A subject's consent (授权) for a grantee to read some of their records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Consent {
    pub id: i64,
    pub subject_key: String,
    pub grantee_kind: GranteeKind,
    pub grantee: String,
    /// Record types covered, or `*` for all (FHIR results count as the type `health`).
    pub record_types: Vec<String>,
    pub purpose: String,
    pub granted_at: DateTime<Utc>,
    pub valid_until: NaiveDate,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl Consent {
    pub fn active(&self, today: NaiveDate) -> bool {
        self.revoked_at.is_none() && today <= self.valid_until
    }
    pub fn covers(&self, record_type: &str) -> bool {
        self.record_types.iter().any(|t| t == "*" || t == record_type)
    }
    pub fn grants(&self, reader: &Reader) -> bool {
        match self.grantee_kind {
            GranteeKind::Account => reader.account.is_some_and(|a| a.to_string() == self.grantee),
            GranteeKind::Org => reader.org.as_deref() == Some(self.grantee.as_str()),
        }
    }
}

/// For `Filing` and `Intake`: who filed the application named, and who handles it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FilingFacts {
    /// The applicant's ID number or credit code.
    pub applicant: String,
    /// The applicant's account.
    pub applicant_account: i64,
    /// The account that submitted it: the applicant, or the window staff who took it in.
    pub submitted_by: i64,
    /// The departments with a case of it.
    pub departments: Vec<String>,
}

/// What the caller looked up for the purpose given.
#[derive(Debug, Clone, Default)]
pub struct ReadFacts {
    /// For `Case`: the case's department, its application's applicant, and whether it is open.
    pub case: Option<(String, String, bool)>,
    /// For `Filing` and `Intake`: the application named.
    pub filing: Option<FilingFacts>,
    /// The reader (a resident) is a guardian of the subject (a minor in their household).
    pub guardian: bool,
    /// For `Consent`: the consent named.
    pub consent: Option<Consent>,
    /// For `Treatment`: the reader's institution ordered a test for the patient recently, or the
    /// patient consented to the institution (found by the caller).
    pub treatment_relation: bool,
    /// For `Supervision`: the reader regulates or runs the platform.
    pub supervises: bool,
}

/// The legal basis of an allowed read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    OwnData,
    /// A parent reading their minor child's data (guardianship by the household register).
    Guardian,
    CaseHandling,
    OwnFiling,
    WindowIntake,
    Consent,
    Treatment,
    Supervision,
    /// A write by the institution that produced the result or the care record.
    Recording,
    /// Social assistance and welfare by law.
    Assistance,
}

impl Basis {
    pub fn code(&self) -> &'static str {
        match self {
            Basis::OwnData => "own_data",
            Basis::Guardian => "guardian",
            Basis::WindowIntake => "window_intake",
            Basis::CaseHandling => "case_handling",
            Basis::OwnFiling => "own_filing",
            Basis::Consent => "consent",
            Basis::Treatment => "treatment",
            Basis::Supervision => "supervision",
            Basis::Recording => "recording",
            Basis::Assistance => "assistance",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum Decision {
    Allowed { basis: Basis },
    Refused { code: &'static str, reason_zh: String, reason_en: String },
}

impl Decision {
    pub fn is_allowed(&self) -> bool {
        matches!(self, Decision::Allowed { .. })
    }
    fn refuse(code: &'static str, zh: &str, en: &str) -> Decision {
        Decision::Refused { code, reason_zh: zh.to_owned(), reason_en: en.to_owned() }
    }
}

/// Decides a read by `reader` of a record of `record_type` about `subject_key` for `purpose`.
/// `record_type` is `health` for medical results and summaries.
pub fn decide(reader: &Reader, subject_key: &str, record_type: &str, purpose: Option<&Purpose>, facts: &ReadFacts, today: NaiveDate) -> Decision {
    let guardian = reader.kind == ReaderKind::Subject && facts.guardian;
    let Some(purpose) = purpose else {
        if reader.own_key.as_deref() == Some(subject_key) {
            return Decision::Allowed { basis: Basis::OwnData };
        }
        if guardian {
            return Decision::Allowed { basis: Basis::Guardian };
        }
        return Decision::refuse("purpose_required", "读取他人数据须说明用途（所办理的业务或本人授权）", "Reading someone else's data needs a purpose: the case handled or the subject's consent");
    };
    match purpose {
        Purpose::Own => {
            if reader.own_key.as_deref() == Some(subject_key) {
                Decision::Allowed { basis: Basis::OwnData }
            } else if guardian {
                Decision::Allowed { basis: Basis::Guardian }
            } else {
                Decision::refuse("not_own_data", "只能以「本人」用途读取自己的数据", "Only the subject may read with the purpose 'own'")
            }
        }
        Purpose::Case { .. } => match (&facts.case, reader.kind, reader.org.as_deref()) {
            (Some((dept, applicant, open)), ReaderKind::Department, Some(org)) if dept == org && applicant == subject_key => {
                if *open {
                    Decision::Allowed { basis: Basis::CaseHandling }
                } else {
                    Decision::refuse("case_closed", "该办件已办结，不能再以其名义读取数据", "The case is closed; it no longer justifies reads")
                }
            }
            (Some(_), ReaderKind::Department, _) => Decision::refuse(
                "case_mismatch",
                "该办件不属于您的部门，或申请人不是该数据的主体",
                "The case is not your department's, or its applicant is not the data subject",
            ),
            (None, ReaderKind::Department, _) => Decision::refuse("unknown_case", "没有这个办件", "No such case"),
            _ => Decision::refuse("not_department_staff", "只有承办部门的工作人员可以以办件名义读取数据", "Only staff of the handling department may read for a case"),
        },
        Purpose::Filing { .. } => match &facts.filing {
            None => Decision::refuse("unknown_filing", "没有这个申请", "No such application"),
            Some(f) if f.applicant != subject_key => {
                Decision::refuse("filing_mismatch", "该申请的申请人不是该数据的主体", "The filing's applicant is not the data subject")
            }
            Some(f) => {
                let account = reader.account;
                let handles = match reader.kind {
                    ReaderKind::Engine => true,
                    ReaderKind::Department => reader.org.as_ref().is_some_and(|o| f.departments.contains(o)),
                    _ => false,
                } || account.is_some_and(|a| a == f.applicant_account || a == f.submitted_by);
                if handles {
                    Decision::Allowed { basis: Basis::OwnFiling }
                } else {
                    Decision::refuse(
                        "filing_not_yours",
                        "您不是该申请的申请人、受理窗口或承办部门，不能以其名义读取数据",
                        "You are neither the applicant of this filing, nor the window that took it in, nor a department handling it",
                    )
                }
            }
        },
        Purpose::Intake { .. } => match &facts.filing {
            Some(f) if f.applicant == subject_key && reader.kind == ReaderKind::Window && reader.account == Some(f.submitted_by) => {
                Decision::Allowed { basis: Basis::WindowIntake }
            }
            Some(_) => Decision::refuse(
                "intake_not_yours",
                "只有受理该申请的窗口工作人员可以以窗口受理名义读取申请人的数据",
                "Only the window staff who took in this application may read its applicant's data for the intake",
            ),
            None => Decision::refuse("unknown_filing", "没有这个申请", "No such application"),
        },
        Purpose::Consent { .. } => match &facts.consent {
            Some(c) if c.subject_key != subject_key => Decision::refuse("consent_mismatch", "该授权不是数据主体本人给出的", "The consent was not given by the data subject"),
            Some(c) if !c.grants(reader) => Decision::refuse("consent_not_yours", "该授权不是授予您（您的单位）的", "The consent was not given to you or your organisation"),
            Some(c) if !c.covers(record_type) => Decision::refuse("consent_scope", "该授权不包括这类数据", "The consent does not cover this kind of data"),
            Some(c) if !c.active(today) => Decision::refuse("consent_inactive", "该授权已撤回或已过期", "The consent was withdrawn or has expired"),
            Some(_) => Decision::Allowed { basis: Basis::Consent },
            None => Decision::refuse("unknown_consent", "没有这个授权", "No such consent"),
        },
        Purpose::Treatment { .. } => {
            if reader.kind != ReaderKind::Clinician {
                Decision::refuse("not_clinician", "只有医疗机构的医生可以以诊疗名义读取健康数据", "Only clinicians of a medical institution may read for treatment")
            } else if record_type != "health" {
                Decision::refuse("not_health_data", "诊疗用途只能读取健康数据", "Treatment justifies reading health data only")
            } else if facts.treatment_relation {
                Decision::Allowed { basis: Basis::Treatment }
            } else {
                Decision::refuse(
                    "no_treatment_relation",
                    "本机构近期没有为该患者开具检查检验，患者也未授权本机构调阅",
                    "Your institution has no recent order for this patient and no consent from them",
                )
            }
        }
        Purpose::Record => Decision::refuse("not_a_read_purpose", "「写入诊疗记录」不是读取数据的用途", "'record' is not a purpose for reading"),
        Purpose::Assistance => Decision::refuse("not_a_pool_purpose", "社会救助用途只用于待遇发放，不能读取共享数据", "The assistance purpose is for benefits, not for reading shared records"),
        Purpose::Supervision => {
            if facts.supervises {
                Decision::Allowed { basis: Basis::Supervision }
            } else {
                Decision::refuse("not_supervisor", "您不是该平台的监管部门或运营方", "You neither regulate nor run this platform")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
    }

    fn dept(org: &str) -> Reader {
        Reader { account: Some(7), kind: ReaderKind::Department, org: Some(org.into()), own_key: None }
    }

    #[test]
    fn a_read_needs_a_purpose_unless_it_is_ones_own() {
        let today = day("2026-03-02");
        let me = Reader { account: Some(1), kind: ReaderKind::Subject, org: None, own_key: Some("A".into()) };
        assert!(decide(&me, "A", "resident_id_card", None, &ReadFacts::default(), today).is_allowed());
        assert!(!decide(&me, "B", "resident_id_card", None, &ReadFacts::default(), today).is_allowed());
        assert!(!decide(&dept("ga"), "A", "resident_id_card", None, &ReadFacts::default(), today).is_allowed());
    }

    #[test]
    fn case_handling_is_bound_to_the_department_applicant_and_open_case() {
        let today = day("2026-03-02");
        let p = Purpose::Case { case: 5 };
        let facts = |d: &str, a: &str, open| ReadFacts { case: Some((d.into(), a.into(), open)), ..Default::default() };
        assert_eq!(decide(&dept("ga"), "A", "x", Some(&p), &facts("ga", "A", true), today), Decision::Allowed { basis: Basis::CaseHandling });
        assert!(!decide(&dept("mzj"), "A", "x", Some(&p), &facts("ga", "A", true), today).is_allowed());
        assert!(!decide(&dept("ga"), "B", "x", Some(&p), &facts("ga", "A", true), today).is_allowed());
        assert!(!decide(&dept("ga"), "A", "x", Some(&p), &facts("ga", "A", false), today).is_allowed());
        assert!(!decide(&dept("ga"), "A", "x", Some(&p), &ReadFacts::default(), today).is_allowed());
    }

    #[test]
    fn a_filing_justifies_reads_only_by_those_who_filed_or_handle_it() {
        let today = day("2026-03-02");
        let p = Purpose::Filing { application: 5 };
        let facts = ReadFacts {
            filing: Some(FilingFacts { applicant: "A".into(), applicant_account: 1, submitted_by: 9, departments: vec!["ga".into()] }),
            ..Default::default()
        };
        let resident = |account, key: &str| Reader { account: Some(account), kind: ReaderKind::Subject, org: None, own_key: Some(key.into()) };
        let engine = Reader { account: Some(1), kind: ReaderKind::Engine, org: None, own_key: None };
        let window = Reader { account: Some(9), kind: ReaderKind::Window, org: None, own_key: None };
        assert!(decide(&engine, "A", "x", Some(&p), &facts, today).is_allowed());
        assert!(decide(&resident(1, "A"), "A", "x", Some(&p), &facts, today).is_allowed(), "the applicant");
        assert!(decide(&window, "A", "x", Some(&p), &facts, today).is_allowed(), "the window that took it in");
        assert!(decide(&dept("ga"), "A", "x", Some(&p), &facts, today).is_allowed(), "a department with a case of it");
        // The outside test's finding: another resident naming the victim's application.
        let other = decide(&resident(2, "B"), "A", "x", Some(&p), &facts, today);
        assert!(matches!(other, Decision::Refused { code: "filing_not_yours", .. }), "{other:?}");
        assert!(!decide(&dept("mzj"), "A", "x", Some(&p), &facts, today).is_allowed(), "a department without a case");
        assert!(!decide(&engine, "B", "x", Some(&p), &facts, today).is_allowed(), "not the applicant's data");
        assert!(!decide(&engine, "A", "x", Some(&p), &ReadFacts::default(), today).is_allowed(), "no such application");
        let intake = Purpose::Intake { application: 5 };
        assert_eq!(decide(&window, "A", "x", Some(&intake), &facts, today), Decision::Allowed { basis: Basis::WindowIntake });
        let other_window = Reader { account: Some(10), ..window.clone() };
        assert!(!decide(&other_window, "A", "x", Some(&intake), &facts, today).is_allowed());
        assert!(!decide(&resident(1, "A"), "A", "x", Some(&intake), &facts, today).is_allowed());
    }

    #[test]
    fn a_guardian_reads_their_wards_data_as_their_own() {
        let today = day("2026-03-02");
        let parent = Reader { account: Some(1), kind: ReaderKind::Subject, org: None, own_key: Some("P".into()) };
        let facts = ReadFacts { guardian: true, ..Default::default() };
        assert_eq!(decide(&parent, "KID", "x", None, &facts, today), Decision::Allowed { basis: Basis::Guardian });
        assert_eq!(decide(&parent, "KID", "x", Some(&Purpose::Own), &facts, today), Decision::Allowed { basis: Basis::Guardian });
        assert!(!decide(&parent, "KID", "x", None, &ReadFacts::default(), today).is_allowed());
        assert!(!decide(&dept("ga"), "KID", "x", None, &facts, today).is_allowed(), "only residents are guardians");
    }

    #[test]
    fn consents_cover_grantee_type_and_time() {
        let today = day("2026-03-02");
        let c = Consent {
            id: 9,
            subject_key: "A".into(),
            grantee_kind: GranteeKind::Org,
            grantee: "ga".into(),
            record_types: vec!["marriage_registration".into()],
            purpose: "租房".into(),
            granted_at: Utc::now(),
            valid_until: day("2026-03-31"),
            revoked_at: None,
        };
        let p = Purpose::Consent { consent: 9 };
        let facts = ReadFacts { consent: Some(c.clone()), ..Default::default() };
        assert!(decide(&dept("ga"), "A", "marriage_registration", Some(&p), &facts, today).is_allowed());
        assert!(!decide(&dept("ga"), "A", "resident_id_card", Some(&p), &facts, today).is_allowed(), "scope");
        assert!(!decide(&dept("mzj"), "A", "marriage_registration", Some(&p), &facts, today).is_allowed(), "grantee");
        assert!(!decide(&dept("ga"), "B", "marriage_registration", Some(&p), &facts, today).is_allowed(), "subject");
        assert!(!decide(&dept("ga"), "A", "marriage_registration", Some(&p), &facts, day("2026-04-01")).is_allowed(), "expired");
        let revoked = ReadFacts { consent: Some(Consent { revoked_at: Some(Utc::now()), ..c }), ..Default::default() };
        assert!(!decide(&dept("ga"), "A", "marriage_registration", Some(&p), &revoked, today).is_allowed(), "withdrawn");
    }

    #[test]
    fn treatment_needs_a_clinician_health_data_and_a_relation() {
        let today = day("2026-03-02");
        let doc = Reader { account: Some(3), kind: ReaderKind::Clinician, org: Some("fy1".into()), own_key: None };
        let p = Purpose::Treatment { order: None };
        let yes = ReadFacts { treatment_relation: true, ..Default::default() };
        assert!(decide(&doc, "A", "health", Some(&p), &yes, today).is_allowed());
        assert!(!decide(&doc, "A", "health", Some(&p), &ReadFacts::default(), today).is_allowed());
        assert!(!decide(&doc, "A", "marriage_registration", Some(&p), &yes, today).is_allowed());
        assert!(!decide(&dept("ga"), "A", "health", Some(&p), &yes, today).is_allowed());
        assert_eq!(Purpose::parse("case", Some("12")), Some(Purpose::Case { case: 12 }));
        assert_eq!(Purpose::parse("case", Some("x")), None);
        assert_eq!(Purpose::parse("curiosity", None), None);
    }
}
