//! The shared data pool's use cases (数据同池): departments publish, correct and revoke records;
//! others read them only for a purpose (the case they handle, the subject's consent) and every
//! read or refusal is logged where the subject sees it; consents; signed e-certificates and rider
//! codes issued and verified; riders registered by their platform and overseen by the regulator;
//! clinicians' decisions on recognition offers. No HTTP here.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Mutex;
use catalog::Role;
use chrono::DateTime;
use chrono::Utc;
use domain::CaseId;
use domain::CreditCode;
use domain::Describe;
use domain::RecordId;
use domain::ResidentId;
use domain::china_date;
use domain::mask;
use pool::cert;
use pool::cert::CredentialBody;
use pool::cert::RecordCert;
use pool::rider;
use pool::AccessEntry;
use pool::Consent;
use pool::Decision;
use pool::DistrictKey;
use pool::GranteeKind;
use pool::Outcome;
use pool::PoolError;
use pool::PublicKey;
use pool::Purpose;
use pool::ReadFacts;
use pool::Reader;
use pool::ReaderKind;
use rand::RngCore;
use store::Account;
use store::AccountKind;
use store::CredentialRow;
use store::PoolRecord;
use store::Rider;
use crate::auth::Principal;
use crate::config::Config;
use crate::failure::Failure;
use crate::failure::Fallible;
use crate::state::AppState;
use crate::ServerError;
use super::views::*;

/// The pool's part of the server state: the district key, schemas, the recognition catalog, the
/// access-log appender and a cache of treatment relations.
pub struct PoolState {
    pub(crate) key: DistrictKey,
    pub keys: Vec<PublicKey>,
    pub issuer: String,
    pub schemas: pool::SchemaSet,
    pub recognition: pool::RecognitionCatalog,
    pub appender: store::Appender,
    pub treatment_days: i64,
    pub(crate) filing_log_millis: u64,
    /// (institution, patient) → the end of a treatment relation found (`None`: open) and when
    /// it was looked up; trusted for at most [`CARE_CACHE`].
    pub(crate) treatment: Mutex<HashMap<(String, String), (Option<DateTime<Utc>>, std::time::Instant)>>,
    /// Patient logical id → (patient key, logical id), forgotten when a Patient is imported.
    pub(crate) patients: Mutex<HashMap<String, (String, String)>>,
}

impl std::fmt::Debug for PoolState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PoolState").field("key", &self.key).finish()
    }
}

pub(crate) fn io(what: &str, e: impl std::fmt::Display) -> ServerError {
    ServerError::Io(what.to_owned(), std::io::Error::other(e.to_string()))
}

/// Reads the district's signing key from the configuration or its key file, generating the file
/// on first start.
pub fn load_key(config: &Config) -> Result<DistrictKey, ServerError> {
    if let Some(s) = &config.pool.signing_key {
        return DistrictKey::from_text(s.expose()).ok_or_else(|| io("pool.signing_key", "not base64url of 32 bytes"));
    }
    let path = key_path(config);
    match std::fs::read_to_string(&path) {
        Ok(text) => DistrictKey::from_text(&text).ok_or_else(|| io(&path.display().to_string(), "not a signing key (base64url of 32 bytes)")),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let mut seed = [0u8; 32];
            rand::rng().fill_bytes(&mut seed);
            let key = DistrictKey::from_seed(&seed);
            if let Some(dir) = path.parent()
                && !dir.as_os_str().is_empty()
            {
                std::fs::create_dir_all(dir).map_err(|e| ServerError::Io(dir.display().to_string(), e))?;
            }
            write_secret(&path, &key.to_text()).map_err(|e| ServerError::Io(path.display().to_string(), e))?;
            tracing::info!(key_id = %key.public().key_id(), file = %path.display(), "generated the district signing key");
            Ok(key)
        }
        Err(e) => Err(ServerError::Io(path.display().to_string(), e)),
    }
}

/// Where the signing key lives when the configuration does not hold it.
pub fn key_path(config: &Config) -> PathBuf {
    config.pool.key_file.clone().unwrap_or_else(|| config.data_dir.join("pool-signing.key"))
}

pub(crate) fn write_secret(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path)?;
    f.write_all(text.as_bytes())?;
    f.sync_all()
}

impl PoolState {
    pub async fn load(config: &Config, store: &store::Store) -> Result<PoolState, ServerError> {
        let key = load_key(config)?;
        let read = |p: &Option<PathBuf>, embedded: &str| -> Result<String, ServerError> {
            match p {
                Some(p) => std::fs::read_to_string(p).map_err(|e| ServerError::Io(p.display().to_string(), e)),
                None => Ok(embedded.to_owned()),
            }
        };
        let items = read(&config.pool.recognition_items, pool::recognition::EMBEDDED_ITEMS)?;
        let insts = read(&config.pool.institutions, pool::recognition::EMBEDDED_INSTITUTIONS)?;
        let recognition = pool::RecognitionCatalog::parse(&items, &insts).map_err(|e| io("recognition catalog", e))?;
        let list: Vec<pool::Institution> = recognition.institutions().cloned().collect();
        store.upsert_institutions(&list).await?;
        let appender = store::Appender::start(
            store,
            i64::from(config.node),
            store::AppenderOptions {
                batch_max: config.pool.access_log_batch,
                lanes: config.pool.access_log_lanes,
                interval: config.pool.access_log_interval,
            },
        )
        .await?;
        Ok(PoolState {
            keys: vec![key.public()],
            key,
            issuer: config.pool.issuer.clone(),
            schemas: pool::SchemaSet::embedded(),
            recognition,
            appender,
            treatment_days: config.pool.treatment_days,
            filing_log_millis: config.pool.filing_log_millis,
            treatment: Mutex::new(HashMap::new()),
            patients: Mutex::new(HashMap::new()),
        })
    }

    pub fn sign(&self, body: &CredentialBody) -> cert::Credential {
        self.key.sign(body)
    }

    pub fn public(&self) -> PublicKey {
        self.key.public()
    }

    /// Remembers that `org` has a treatment relation to `patient` until `until` (`None`: open).
    pub fn remember_care(&self, org: &str, patient: &str, until: Option<DateTime<Utc>>) {
        if let Ok(mut m) = self.treatment.lock() {
            if m.len() > 200_000 {
                m.clear();
            }
            m.insert((org.to_owned(), patient.to_owned()), (until, std::time::Instant::now()));
        }
    }

    /// Forgets what was remembered of `patient`'s relations (their care records changed).
    pub fn forget_care(&self, patient: &str) {
        if let Ok(mut m) = self.treatment.lock() {
            m.retain(|(_, p), _| p != patient);
        }
    }

    pub fn cached_patient(&self, logical_id: &str) -> Option<(String, String)> {
        self.patients.lock().ok().and_then(|m| m.get(logical_id).cloned())
    }

    pub fn cache_patient(&self, logical_id: &str, found: &(String, String)) {
        if let Ok(mut m) = self.patients.lock() {
            if m.len() > 500_000 {
                m.clear();
            }
            m.insert(logical_id.to_owned(), found.clone());
        }
    }

    pub fn forget_patients(&self) {
        if let Ok(mut m) = self.patients.lock() {
            m.clear();
        }
    }

    pub(crate) fn cached_care(&self, org: &str, patient: &str, now: DateTime<Utc>) -> bool {
        self.treatment
            .lock()
            .ok()
            .and_then(|m| m.get(&(org.to_owned(), patient.to_owned())).copied())
            .is_some_and(|(until, seen)| seen.elapsed() < CARE_CACHE && until.is_none_or(|u| now < u))
    }
}

// ---------------------------------------------------------------------------------------------
// Readers, purposes and the log.

/// The reader a signed-in account is, for the lawfulness rules.
pub async fn reader_of(state: &AppState, account: &Account) -> Fallible<Reader> {
    let mut r = Reader { account: Some(account.id.0), kind: ReaderKind::Other, org: None, own_key: None };
    match account.kind {
        AccountKind::Citizen | AccountKind::Enterprise => {
            r.kind = ReaderKind::Subject;
            r.own_key = crate::areas::onething::cases::own_applicant(state, account).await.ok().map(|a| a.key);
        }
        AccountKind::Staff => {
            if let Some(d) = &account.department {
                r.org = Some(d.clone());
                r.kind = if state.pool.recognition.institution(d).is_some() {
                    ReaderKind::Clinician
                } else if rider::platform_name(d).is_some() {
                    ReaderKind::Platform
                } else {
                    ReaderKind::Department
                };
            } else if account.has(Role::Admin) {
                r.kind = ReaderKind::Admin;
            } else if account.has(Role::Window) {
                r.kind = ReaderKind::Window;
            }
        }
    }
    Ok(r)
}

/// A log entry for a read (not yet sealed onto the chain).
pub fn entry(reader: &Reader, at: DateTime<Utc>, subject: &str, resource: String, purpose: Option<&Purpose>, decision: &Decision) -> AccessEntry {
    let (basis, outcome) = match decision {
        Decision::Allowed { basis } => (basis.code().to_owned(), Outcome::Allowed),
        Decision::Refused { code, .. } => ((*code).to_owned(), Outcome::Refused),
    };
    AccessEntry {
        chain: 0,
        seq: 0,
        at,
        reader: reader.account,
        reader_org: reader.org.clone(),
        subject_key: subject.to_owned(),
        resource,
        purpose: purpose.map_or("none", Purpose::code).to_owned(),
        purpose_ref: purpose.and_then(Purpose::reference),
        basis,
        outcome,
        prev_hash: String::new(),
        hash: String::new(),
    }
}

/// The 403 for a refused read (after it was logged).
pub fn refusal(decision: &Decision) -> Failure {
    match decision {
        Decision::Refused { code, reason_zh, reason_en } => Failure::Forbidden {
            code,
            zh: format!("已拒绝并记录：{reason_zh}"),
            en: format!("Refused, and the refusal was logged: {reason_en}"),
            field: None,
        },
        Decision::Allowed { .. } => Failure::forbidden("已拒绝", "Refused"),
    }
}

pub(crate) fn pool_error(e: PoolError) -> Failure {
    match e {
        PoolError::Superseded | PoolError::Revoked => {
            Failure::Conflict { code: e.code(), zh: e.message_zh(), en: e.message_en(), field: None }
        }
        _ => {
            let field = e.field_path();
            Failure::Invalid { code: e.code(), zh: e.message_zh(), en: e.message_en(), field }
        }
    }
}

pub(crate) fn store_log_error(e: store::StoreError) -> Failure {
    // No read is served unless its log entry is durable.
    Failure::internal(e)
}

/// Looks up what a purpose needs, for `subject`.
pub(crate) async fn facts_for(state: &AppState, reader: &Reader, purpose: Option<&Purpose>, subject: &str, record_type: &str) -> Fallible<ReadFacts> {
    let mut f = ReadFacts::default();
    // A resident reading someone else's data as their own: a parent reading their minor child's.
    if reader.kind == ReaderKind::Subject
        && matches!(purpose, None | Some(Purpose::Own))
        && let Some(own) = reader.own_key.as_deref()
        && own != subject
    {
        f.guardian = state.store.is_guardian(own, subject, china_date(state.now())).await?;
    }
    match purpose {
        Some(Purpose::Case { case }) => {
            f.case = state.store.case_facts(CaseId(*case)).await?.map(|c| (c.department, c.applicant_key, c.open));
        }
        Some(Purpose::Filing { application } | Purpose::Intake { application }) => {
            f.filing = state.store.filing_facts(domain::ApplicationId(*application)).await?;
        }
        Some(Purpose::Consent { consent }) => {
            f.consent = state.store.consent(*consent).await?;
        }
        Some(Purpose::Treatment { .. }) => {
            if let Some(org) = &reader.org {
                f.treatment_relation = treatment_relation(state, org, subject, record_type).await?;
            }
        }
        Some(Purpose::Supervision | Purpose::Own | Purpose::Record) | None => {}
    }
    Ok(f)
}

/// How long a treatment relation found in the database is trusted without looking again (a care
/// record cancelled on another server is seen within this time; on this one at once).
pub(crate) const CARE_CACHE: std::time::Duration = std::time::Duration::from_secs(60);

/// Whether `org` may read `patient`'s health data for treatment: care it gives the patient (an
/// encounter, a home-doctor contract or a referral to it, `pool::care`), or the patient's consent
/// to the institution. A query of the patient's data never creates one.
pub async fn treatment_relation(state: &AppState, org: &str, patient: &str, record_type: &str) -> Fallible<bool> {
    let now = state.now();
    if state.pool.cached_care(org, patient, now) {
        return Ok(true);
    }
    if let Some(until) = state.store.care_relation_until(org, patient, now).await? {
        state.pool.remember_care(org, patient, until);
        return Ok(true);
    }
    Ok(state.store.has_org_consent(patient, org, record_type, china_date(now)).await?)
}

/// Logs that staff read an application with its applicant's unmasked ID number, phone and form
/// (who, and on what basis: their department's case, the window intake, supervision), in the
/// applicant's access log, before the application is shown. A resident reading their own filing
/// is not logged. `can_view` must have allowed the read.
pub async fn log_application_read(state: &AppState, viewer: &Account, app: &onething::Application) -> Fallible<()> {
    if viewer.kind != AccountKind::Staff {
        return Ok(());
    }
    let reader = reader_of(state, viewer).await?;
    let own_case = viewer.department.as_deref().and_then(|d| app.cases.iter().find(|c| c.department == d));
    let (purpose, basis) = match own_case {
        Some(c) => (Purpose::Case { case: c.id.0 }, pool::Basis::CaseHandling),
        None if viewer.has(Role::Admin) => (Purpose::Supervision, pool::Basis::Supervision),
        None => (Purpose::Intake { application: app.id.0 }, pool::Basis::WindowIntake),
    };
    let e = entry(&reader, state.now(), &app.applicant.key, format!("application:{}", app.id), Some(&purpose), &Decision::Allowed { basis });
    state.pool.appender.append(vec![e], Vec::new()).await.map_err(store_log_error)?;
    Ok(())
}

/// Decides a read and logs it (allowed or refused); returns the decision once the entry is durable.
pub async fn decide_and_log(
    state: &AppState,
    reader: &Reader,
    subject: &str,
    record_type: &str,
    resources: Vec<String>,
    purpose: Option<&Purpose>,
) -> Fallible<Decision> {
    let facts = facts_for(state, reader, purpose, subject, record_type).await?;
    decide_and_log_with(state, reader, subject, record_type, resources, purpose, &facts).await
}

/// [`decide_and_log`] with the facts already looked up.
pub async fn decide_and_log_with(
    state: &AppState,
    reader: &Reader,
    subject: &str,
    record_type: &str,
    resources: Vec<String>,
    purpose: Option<&Purpose>,
    facts: &ReadFacts,
) -> Fallible<Decision> {
    let now = state.now();
    let d = pool::access::decide(reader, subject, record_type, purpose, facts, china_date(now));
    let entries: Vec<AccessEntry> = resources.into_iter().map(|r| entry(reader, now, subject, r, purpose, &d)).collect();
    if !entries.is_empty() {
        state.pool.appender.append(entries, Vec::new()).await.map_err(store_log_error)?;
    }
    Ok(d)
}

pub(crate) fn value_text(v: &Option<serde_json::Value>) -> Option<String> {
    match v {
        Some(serde_json::Value::String(s)) => Some(s.clone()),
        Some(serde_json::Value::Number(n)) => Some(n.to_string()),
        _ => None,
    }
}

/// Parses `purpose` and `ref`; a purpose that is given but unknown or lacks its reference is a 422.
pub fn parse_purpose(kind: Option<&str>, reference: Option<&str>) -> Fallible<Option<Purpose>> {
    match kind {
        None | Some("") => Ok(None),
        Some(k) => Purpose::parse(k, reference).map(Some).ok_or_else(|| {
            Failure::invalid(
                "invalid_purpose",
                "purpose",
                "用途须为 own、case（并给出办件编号 ref）、consent（并给出授权编号 ref）、treatment 或 supervision",
                "purpose must be own, case (with ref = case id), consent (with ref = consent id), treatment or supervision",
            )
        }),
    }
}

/// A subject key given in a request: a valid ID number or credit code.
pub fn parse_subject(state: &AppState, s: &str, field: &str) -> Fallible<String> {
    let s = s.trim();
    if let Ok(c) = CreditCode::parse(s) {
        return Ok(c.as_str().to_owned());
    }
    ResidentId::parse_on(s, china_date(state.now())).map(|id| id.as_str().to_owned()).map_err(|e| Failure::from_describe(&e, field))
}

pub(crate) fn record_view(state: &AppState, r: &PoolRecord) -> RecordView {
    let status = r.meta().status(china_date(state.now()));
    RecordView {
        id: r.record.id.to_string(),
        record_type: r.record.record_type.clone(),
        record_type_name: state.catalog().record_type(&r.record.record_type).map_or_else(|| r.record.record_type.clone(), |t| t.name.clone()),
        subject_kind: r.record.subject_kind.clone(),
        subject: r.record.subject_key.clone(),
        department: r.record.department.clone(),
        department_name: state.catalog().department(&r.record.department).map(|d| d.name.clone()),
        issued_at: r.record.issued_at,
        valid_until: r.record.valid_until,
        version: r.version,
        supersedes: r.supersedes.map(|x| x.to_string()),
        superseded_by: r.superseded_by.map(|x| x.to_string()),
        status: status.code().into(),
        status_name: status.name_zh().into(),
        revoked_at: r.revoked_at,
        revoked_reason: r.revoked_reason.clone(),
        application: r.record.application.map(|a| a.to_string()),
        data: r.record.data.clone(),
    }
}

/// The name of a reader's organisation: department, institution or platform.
pub fn org_name(state: &AppState, org: &str) -> String {
    if let Some(d) = state.catalog().department(org) {
        return d.name.clone();
    }
    if let Some(i) = state.pool.recognition.institution(org) {
        return i.name.clone();
    }
    rider::platform_name(org).map_or_else(|| org.to_owned(), str::to_owned)
}

pub(crate) fn parse_num(s: &str, zh: &'static str, en: &'static str) -> Fallible<i64> {
    s.trim().parse::<i64>().map_err(|_| Failure::NotFound { zh, en })
}

pub(crate) fn credential_id(v: &cert::Verified) -> Option<i64> {
    v.body.id().parse().ok()
}

/// Verifies a credential online: signature, validity, revocation. Anyone may verify.
pub async fn verify_credential(state: &AppState, text: &str) -> Fallible<(cert::Verified, Option<String>)> {
    let now = state.now();
    let opened = cert::open(text, &state.pool.keys).map_err(|e| Failure::from_describe(&e, "credential"))?;
    let revoked = match credential_id(&opened) {
        Some(id) => state.store.credential(id).await?.is_some_and(|c| c.revoked_at.is_some()),
        None => false,
    };
    let v = cert::verify(text, &state.pool.keys, now, |_| revoked).map_err(|e| Failure::from_describe(&e, "credential"))?;
    let status = match &v.body {
        CredentialBody::Record(c) => match c.rid.parse::<i64>() {
            Ok(rid) => state.store.pool_record(RecordId(rid)).await?.map(|r| r.meta().status(china_date(now)).code().to_owned()),
            Err(_) => None,
        },
        CredentialBody::Rider(_) => None,
    };
    Ok((v, status))
}

pub(crate) fn publisher_department<'a>(p: &'a Principal, state: &AppState) -> Fallible<&'a str> {
    let d = p.department().filter(|d| state.catalog().department(d).is_some()).ok_or_else(|| {
        Failure::forbidden("只有政府部门的工作人员可以发布、更正或撤销共享数据", "Only department staff may publish, correct or revoke shared records")
    })?;
    p.require_any(&[Role::Clerk, Role::Reviewer, Role::Approver, Role::Supervisor])?;
    Ok(d)
}

pub(crate) fn catalog_subject(s: catalog::Subject) -> &'static str {
    match s {
        catalog::Subject::Person => "person",
        catalog::Subject::Enterprise => "enterprise",
    }
}

/// The records about a subject (the reader's own without one) that the reader may read for the
/// purpose given, every one logged: the use case behind `GET /api/pool/records` and "my data".
pub async fn records_of(state: &AppState, account: &Account, q: &PurposeQuery) -> Fallible<Vec<RecordView>> {
    let reader = reader_of(state, account).await?;
    let subject = match q.subject.as_deref() {
        Some(s) => parse_subject(state, s, "subject")?,
        None => reader.own_key.clone().ok_or_else(|| {
            Failure::invalid("subject_required", "subject", "请给出数据主体的身份证号码或统一社会信用代码", "Give the subject's ID number or credit code")
        })?,
    };
    let purpose = parse_purpose(q.purpose.as_deref(), value_text(&q.reference).as_deref())?;
    let records = state.store.pool_records_of(&subject, q.history.unwrap_or(false)).await?;
    // Every kind of record must be lawful to read; the log names each record.
    let mut allowed = Vec::new();
    let mut refused: Option<Decision> = None;
    let facts = facts_for(state, &reader, purpose.as_ref(), &subject, "*").await?;
    let now = state.now();
    let mut entries = Vec::new();
    for r in &records {
        let d = pool::access::decide(&reader, &subject, &r.record.record_type, purpose.as_ref(), &facts, china_date(now));
        entries.push(entry(&reader, now, &subject, format!("shared_record:{}", r.record.id), purpose.as_ref(), &d));
        if d.is_allowed() {
            allowed.push(record_view(state, r));
        } else if refused.is_none() {
            refused = Some(d);
        }
    }
    if records.is_empty() {
        let d = pool::access::decide(&reader, &subject, "*", purpose.as_ref(), &facts, china_date(now));
        entries.push(entry(&reader, now, &subject, format!("records_of:{}", mask::id_number(&subject)), purpose.as_ref(), &d));
        if !d.is_allowed() {
            refused = Some(d);
        }
    }
    state.pool.appender.append(entries, Vec::new()).await.map_err(store_log_error)?;
    match refused {
        Some(d) if allowed.is_empty() => Err(refusal(&d)),
        _ => Ok(allowed),
    }
}

pub(crate) fn reason_of(body: &ReasonBody) -> Fallible<String> {
    let r = body.reason.trim();
    if r.is_empty() || r.chars().count() > 500 {
        return Err(Failure::invalid("reason_required", "reason", "请填写理由（500 字以内）", "Give a reason (up to 500 characters)"));
    }
    Ok(r.to_owned())
}

pub(crate) fn credential_view(c: &CredentialRow) -> CredentialView {
    CredentialView {
        id: c.id.to_string(),
        kind: c.kind.clone(),
        credential: c.payload.clone(),
        key_id: c.key_id.clone(),
        qr_svg: pool::qr::svg(&c.payload).unwrap_or_default(),
        qr_version: pool::qr::version(&c.payload),
        valid_until: c.valid_until,
    }
}

/// Signs an e-certificate of a current record version.
pub fn sign_record(state: &AppState, rec: &PoolRecord, holder_name: &str, cert_id: i64) -> CredentialRow {
    let now = state.now();
    let exp = rec.record.valid_until.map(|d| domain::china_start_of_day(d + chrono::Days::new(1)) - chrono::Duration::seconds(1));
    let body = CredentialBody::Record(RecordCert {
        id: cert_id.to_string(),
        rid: rec.record.id.to_string(),
        v: rec.version,
        rt: rec.record.record_type.clone(),
        rn: state.catalog().record_type(&rec.record.record_type).map_or_else(|| rec.record.record_type.clone(), |t| t.name.clone()),
        iss: rec.record.department.clone(),
        isn: org_name(state, &rec.record.department),
        hn: mask::name(holder_name),
        hk: mask::id_number(&rec.record.subject_key),
        hh: cert::short_hash(&[&cert_id.to_string(), &rec.record.subject_key]),
        dh: cert::short_hash(&[&rec.record.data.to_string()]),
        iat: now.timestamp(),
        exp: exp.map(|t| t.timestamp()),
    });
    let c = state.pool.sign(&body);
    CredentialRow {
        id: cert_id,
        kind: "certificate".into(),
        record_id: Some(rec.record.id.0),
        rider_id: None,
        subject_key: rec.record.subject_key.clone(),
        issued_at: now,
        valid_until: exp,
        key_id: state.pool.public().key_id(),
        payload: c.text,
        revoked_at: None,
        revoked_reason: None,
    }
}

/// The purpose a logged read is shown under: a person reading their own data gives none and needs
/// none, and is shown as `own`.
pub fn shown_purpose<'a>(purpose: &'a str, basis: &str) -> &'a str {
    if purpose == "none" && basis == "own_data" { "own" } else { purpose }
}

pub(crate) fn access_view(state: &AppState, e: &AccessEntry, titles: &HashMap<i64, String>) -> AccessView {
    let purpose_name = match shown_purpose(&e.purpose, &e.basis) {
        "none" => "未说明用途".to_owned(),
        other => Purpose::parse(other, e.purpose_ref.as_deref().or(Some("0"))).map_or_else(|| other.to_owned(), |p| p.name_zh().to_owned()),
    };
    AccessView {
        at: e.at,
        reader_org: e.reader_org.clone(),
        reader_org_name: e.reader_org.as_deref().map(|o| org_name(state, o)),
        reader: e.reader.and_then(|r| titles.get(&r).cloned()),
        resource: e.resource.clone(),
        purpose: e.purpose.clone(),
        purpose_name,
        purpose_ref: e.purpose_ref.clone(),
        basis: e.basis.clone(),
        outcome: e.outcome.code().into(),
        chain: e.chain,
        seq: e.seq,
        hash: e.hash.clone(),
    }
}

/// A page of who read the account's subject's data and why (refusals too), newest first: the use
/// case behind `GET /api/pool/me/access-log` and "my data".
pub async fn access_log_of(state: &AppState, account: &Account, q: &PageQuery) -> Fallible<Vec<AccessView>> {
    let reader = reader_of(state, account).await?;
    let key = reader.own_key.ok_or_else(|| Failure::forbidden("只有居民和企业可以查看自己数据的调阅记录", "Only residents and enterprises have an access log of their own data"))?;
    let list = state.store.access_log_of(&key, q.limit.unwrap_or(50).clamp(1, 500), q.offset.unwrap_or(0).max(0)).await?;
    let mut titles = HashMap::new();
    for e in &list {
        if let Some(r) = e.reader
            && !titles.contains_key(&r)
            && let Some(a) = state.store.account(domain::AccountId(r)).await?
        {
            // Staff titles are shown; a resident or enterprise reader only as themself or as someone
            // else (never their name).
            let title = if a.kind == AccountKind::Staff {
                a.display_name
            } else if a.id == account.id {
                "本人".to_owned()
            } else {
                "其他居民或企业的账号".to_owned()
            };
            titles.insert(r, title);
        }
    }
    Ok(list.iter().map(|e| access_view(state, e, &titles)).collect())
}

pub(crate) fn consent_view(state: &AppState, c: &Consent) -> ConsentView {
    ConsentView {
        id: c.id.to_string(),
        grantee_kind: match c.grantee_kind {
            GranteeKind::Account => "account".into(),
            GranteeKind::Org => "org".into(),
        },
        grantee: c.grantee.clone(),
        grantee_name: match c.grantee_kind {
            GranteeKind::Org => org_name(state, &c.grantee),
            GranteeKind::Account => format!("账号 {}", c.grantee),
        },
        record_types: c.record_types.clone(),
        purpose: c.purpose.clone(),
        granted_at: c.granted_at,
        valid_until: c.valid_until,
        active: c.active(china_date(state.now())),
        revoked_at: c.revoked_at,
    }
}

pub(crate) fn rider_view(r: &Rider) -> RiderView {
    RiderView {
        id: r.id.to_string(),
        name: mask::name(&r.name),
        id_number: mask::id_number(&r.person_key),
        phone: r.phone.as_deref().map(mask::phone),
        platform: r.platform.clone(),
        platform_name: rider::platform_name(&r.platform).map(str::to_owned),
        estates: r.estates.clone(),
        valid_from: r.valid_from,
        valid_until: r.valid_until,
        status: r.status.clone(),
    }
}

/// The platform a staff account runs, or `None` for the regulator (市场监管 staff, admin).
pub(crate) fn rider_scope(state: &AppState, p: &Principal) -> Fallible<Option<String>> {
    match p.department() {
        Some(d) if rider::platform_name(d).is_some() => Ok(Some(d.to_owned())),
        Some(d) if state.catalog().department(d).is_some_and(|d| d.has(catalog::Duty::RiderOversight)) => Ok(None),
        _ if p.is_admin() => Ok(None),
        _ => Err(Failure::forbidden("只有外卖平台和市场监管部门可以管理骑手", "Only delivery platforms and the market regulator manage riders")),
    }
}

/// Signs a rider code.
pub fn sign_rider(state: &AppState, r: &Rider, cred_id: i64) -> CredentialRow {
    let body = CredentialBody::Rider(pool::RiderCode {
        id: cred_id.to_string(),
        rid: r.id.to_string(),
        n: mask::name(&r.name),
        k: mask::id_number(&r.person_key),
        h: cert::short_hash(&[&cred_id.to_string(), &r.person_key]),
        p: r.platform.clone(),
        e: r.estates.clone(),
        nbf: r.valid_from.timestamp(),
        exp: r.valid_until.timestamp(),
    });
    let c = state.pool.sign(&body);
    CredentialRow {
        id: cred_id,
        kind: "rider_code".into(),
        record_id: None,
        rider_id: Some(r.id),
        subject_key: r.person_key.clone(),
        issued_at: state.now(),
        valid_until: Some(r.valid_until),
        key_id: state.pool.public().key_id(),
        payload: c.text,
        revoked_at: None,
        revoked_reason: None,
    }
}

/// A rider registration of the signed-in person, with their key; 404 for anyone else's.
pub(crate) async fn my_rider(state: &AppState, p: &Principal, id: &str) -> Fallible<(String, Rider)> {
    let none = || Failure::not_found("没有这个骑手登记", "No such rider registration");
    let id = parse_num(id, "没有这个骑手登记", "No such rider registration")?;
    let key = reader_of(state, &p.account).await?.own_key.ok_or_else(none)?;
    let r = state.store.rider(id).await?.filter(|r| r.person_key == key).ok_or_else(none)?;
    Ok((key, r))
}

// ---------------------------------------------------------------------------------------------
// Collect once: the one-thing engine's look-ups, logged with the filing as their purpose.

/// Filings whose look-ups go to the access log in one append. Small, and often (every
/// `pool.filing_log_millis`, 100 ms by default): an append holds the one SQLite write connection,
/// and a second's worth of filings at a time (thousands of entries) held every writer behind it
/// for 10–20 ms once a second — the p99 of filing at 500 a second was 18–27 ms, and 9–12 ms with
/// appends ten times as often.
pub(crate) const FILINGS_PER_APPEND: i64 = 128;

/// Logs the shared records that filings were filled from (the engine reads them for the
/// applicant's own filing). Returns how many filings were logged.
pub async fn log_filing_reads(state: &AppState) -> Fallible<usize> {
    let mut total = 0;
    loop {
        let list = state.store.unlogged_filings(FILINGS_PER_APPEND).await?;
        if list.is_empty() {
            return Ok(total);
        }
        let mut entries = Vec::new();
        for f in &list {
            let reader = Reader { account: Some(f.submitted_by), kind: ReaderKind::Engine, org: None, own_key: None };
            let purpose = Purpose::Filing { application: f.application.0 };
            let facts = ReadFacts {
                filing: Some(pool::FilingFacts {
                    applicant: f.applicant_key.clone(),
                    applicant_account: f.submitted_by,
                    submitted_by: f.submitted_by,
                    departments: Vec::new(),
                }),
                ..Default::default()
            };
            for (record, record_type) in &f.records {
                let d = pool::access::decide(&reader, &f.applicant_key, record_type, Some(&purpose), &facts, china_date(f.submitted_at));
                entries.push(entry(&reader, f.submitted_at, &f.applicant_key, format!("shared_record:{record}"), Some(&purpose), &d));
            }
        }
        if !entries.is_empty() {
            state.pool.appender.append(entries, Vec::new()).await.map_err(store_log_error)?;
        }
        let ids: Vec<domain::ApplicationId> = list.iter().map(|f| f.application).collect();
        state.store.mark_filings_logged(&ids).await?;
        total += list.len();
    }
}

/// The background task: logs filings' look-ups every `pool.filing_log_millis`.
pub async fn filing_reads_logger(state: AppState, mut stop: tokio::sync::watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(std::time::Duration::from_millis(state.pool.filing_log_millis));
    loop {
        tokio::select! {
            _ = tick.tick() => {
                if let Err(e) = log_filing_reads(&state).await {
                    tracing::warn!(error = %e.body().message_en, "logging filings' shared-data look-ups");
                }
            }
            _ = stop.changed() => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signing_key_is_generated_once_into_the_data_dir_or_configured() {
        let dir = tempfile::tempdir().expect("tempdir");
        let env = vec![("MINSHENG__DATA_DIR".to_owned(), dir.path().display().to_string())];
        let config = Config::load(None, env).expect("config");
        let k1 = load_key(&config).expect("generated");
        assert!(dir.path().join("pool-signing.key").is_file());
        let k2 = load_key(&config).expect("read back");
        assert_eq!(k1.public(), k2.public(), "the same key on the next start");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join("pool-signing.key")).expect("meta").permissions().mode();
            assert_eq!(mode & 0o077, 0, "readable by the owner only");
        }
        let given = DistrictKey::from_seed(&[7; 32]);
        let env = vec![("MINSHENG__POOL__SIGNING_KEY".to_owned(), given.to_text())];
        let config = Config::load(None, env).expect("config");
        assert!(!format!("{config:?}").contains(&given.to_text()), "the key never prints");
        assert_eq!(load_key(&config).expect("configured").public(), given.public());
        let env = vec![("MINSHENG__POOL__SIGNING_KEY".to_owned(), "not-a-key".to_owned())];
        assert!(load_key(&Config::load(None, env).expect("config")).is_err());
        let env = vec![("MINSHENG__POOL__TREATMENT_DAYS".to_owned(), "0".to_owned())];
        assert_eq!(Config::load(None, env).expect_err("bad").setting, "pool.treatment_days");
    }
}
