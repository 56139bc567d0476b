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
use pool::rider::GateResult;
use store::SharedRecord;

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

/// The district's signing key: from the configuration (`pool.signing_key`), else the database's
/// (`server_secret` "pool_signing_key"), so that every server on one database signs with the same
/// key (issue 29). On the first start the database takes the key file's key if the data
/// directory has one (a district that started before keys were kept in the database keeps its
/// key), else a new one. The key file then holds the database's key, for `minsheng cert verify`
/// offline; a file holding another key (a data directory used with another database) is kept
/// beside it as `….replaced` and written afresh.
pub async fn load_key(config: &Config, store: &store::Store) -> Result<DistrictKey, ServerError> {
    if let Some(s) = &config.pool.signing_key {
        return DistrictKey::from_text(s.expose()).ok_or_else(|| io("pool.signing_key", "not base64url of 32 bytes"));
    }
    let path = key_path(config);
    let not_a_key = |what: &str| io(what, "not a signing key (base64url of 32 bytes)");
    let in_file = match std::fs::read_to_string(&path) {
        Ok(text) => Some(DistrictKey::from_text(&text).ok_or_else(|| not_a_key(&path.display().to_string()))?),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(ServerError::Io(path.display().to_string(), e)),
    };
    let offered = in_file.clone().unwrap_or_else(|| {
        let mut seed = [0u8; 32];
        rand::rng().fill_bytes(&mut seed);
        DistrictKey::from_seed(&seed)
    });
    let kept = store.identity().server_secret("pool_signing_key", &offered.to_text()).await?;
    let key = DistrictKey::from_text(&kept).ok_or_else(|| not_a_key("server_secret pool_signing_key"))?;
    let same = in_file.as_ref().is_some_and(|f| f.public() == key.public());
    if !same {
        if let Some(dir) = path.parent()
            && !dir.as_os_str().is_empty()
        {
            std::fs::create_dir_all(dir).map_err(|e| ServerError::Io(dir.display().to_string(), e))?;
        }
        if in_file.is_some() {
            let aside = path.with_extension("key.replaced");
            tracing::warn!(file = %path.display(), aside = %aside.display(), "the key file held another key than the database's; kept aside");
            std::fs::rename(&path, &aside).map_err(|e| ServerError::Io(path.display().to_string(), e))?;
        }
        write_secret(&path, &key.to_text()).map_err(|e| ServerError::Io(path.display().to_string(), e))?;
        tracing::info!(key_id = %key.public().key_id(), file = %path.display(), "the district signing key, kept in the database, written to the key file");
    }
    Ok(key)
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
        let key = load_key(config, store).await?;
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
        store.pool().upsert_institutions(&list).await?;
        let appender = store::Appender::start(
            store,
            i64::from(store.node().unwrap_or(0)),
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
        f.guardian = state.store.identity().is_guardian(own, subject, china_date(state.now())).await?;
    }
    match purpose {
        Some(Purpose::Case { case }) => {
            f.case = state.store.pool().case_facts(CaseId(*case)).await?.map(|c| (c.department, c.applicant_key, c.open));
        }
        Some(Purpose::Filing { application } | Purpose::Intake { application }) => {
            f.filing = state.store.pool().filing_facts(domain::ApplicationId(*application)).await?;
        }
        Some(Purpose::Consent { consent }) => {
            f.consent = state.store.pool().consent(*consent).await?;
        }
        Some(Purpose::Treatment { .. }) => {
            if let Some(org) = &reader.org {
                f.treatment_relation = treatment_relation(state, org, subject, record_type).await?;
            }
        }
        Some(Purpose::Supervision | Purpose::Own | Purpose::Record | Purpose::Assistance) | None => {}
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
    if let Some(until) = state.store.fhir().care_relation_until(org, patient, now).await? {
        state.pool.remember_care(org, patient, until);
        return Ok(true);
    }
    Ok(state.store.pool().has_org_consent(patient, org, record_type, china_date(now)).await?)
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
        Some(id) => state.store.pool().credential(id).await?.is_some_and(|c| c.revoked_at.is_some()),
        None => false,
    };
    let v = cert::verify(text, &state.pool.keys, now, |_| revoked).map_err(|e| Failure::from_describe(&e, "credential"))?;
    let status = match &v.body {
        CredentialBody::Record(c) => match c.rid.parse::<i64>() {
            Ok(rid) => state.store.pool().pool_record(RecordId(rid)).await?.map(|r| r.meta().status(china_date(now)).code().to_owned()),
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
    let records = state.store.pool().pool_records_of(&subject, q.history.unwrap_or(false)).await?;
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
    let list = state.store.access_log().access_log_of(&key, q.limit.unwrap_or(50).clamp(1, 500), q.offset.unwrap_or(0).max(0)).await?;
    let mut titles = HashMap::new();
    for e in &list {
        if let Some(r) = e.reader
            && !titles.contains_key(&r)
            && let Some(a) = state.store.identity().account(domain::AccountId(r)).await?
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
    let r = state.store.pool().rider(id).await?.filter(|r| r.person_key == key).ok_or_else(none)?;
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
        let list = state.store.pool().unlogged_filings(FILINGS_PER_APPEND).await?;
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
        state.store.pool().mark_filings_logged(&ids).await?;
        total += list.len();
    }
}

/// The background task: logs filings' look-ups every `pool.filing_log_millis`.
pub async fn filing_reads_logger(state: AppState, mut stop: tokio::sync::watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(std::time::Duration::from_millis(state.pool.filing_log_millis));
    loop {
        tokio::select! {
            // One server logs them at a time (the one that leads: `Store::leads`).
            _ = tick.tick(), if state.store.leads() => {
                if let Err(e) = log_filing_reads(&state).await {
                    tracing::warn!(error = %e.body().message_en, "logging filings' shared-data look-ups");
                }
            }
            _ = stop.changed() => return,
        }
    }
}

/// A property gate's check of a rider code for its estate (public; the same check runs offline
/// with the published key and the revocation list).
pub async fn gate(state: &AppState, body: VerifyBody) -> Fallible<serde_json::Value> {
    let estate = body.estate.as_deref().map(str::trim).filter(|e| !e.is_empty()).ok_or_else(|| {
        Failure::invalid("estate_required", "estate", "请给出小区编号", "Give the estate code")
    })?;
    // Online: revocation from the database; then the same check a gate runs offline.
    verify_credential(&state, &body.credential).await?;
    match rider::gate_check(&body.credential, &state.pool.keys, estate, state.now(), |_| false) {
        GateResult::Admit { rider } => {
            Ok(serde_json::json!({ "result": "admit", "platform": rider.p, "platform_name": rider::platform_name(&rider.p), "rider": rider.n, "valid_until": DateTime::from_timestamp(rider.exp, 0) }))
        }
        GateResult::Deny { code, reason_zh, reason_en } => Err(Failure::Forbidden { code, zh: reason_zh, en: reason_en, field: None }),
    }
}

/// A department publishes a record about a person or enterprise (validated against its type's
/// schema).
pub async fn publish(state: &AppState, p: &Principal, body: PublishBody) -> Fallible<RecordView> {
    let dept = publisher_department(&p, &state)?;
    let rt = state.catalog().record_type(body.record_type.trim()).ok_or_else(|| pool_error(PoolError::UnknownRecordType(body.record_type.clone())))?;
    if rt.department != dept {
        return Err(Failure::forbidden(
            format!("「{}」由{}发布，您的部门不能发布", rt.name, org_name(&state, &rt.department)),
            format!("{} records are published by {}, not your department", rt.code, rt.department),
        ));
    }
    let subject = parse_subject(&state, &body.subject, "subject")?;
    let kind = if CreditCode::parse(&subject).is_ok() { "enterprise" } else { "person" };
    if kind != catalog_subject(rt.subject) {
        return Err(pool_error(PoolError::InvalidSubject(subject)));
    }
    state.pool.schemas.validate(&rt.code, &body.data).map_err(pool_error)?;
    let now = state.now();
    let rec = SharedRecord {
        id: RecordId(state.parts.ids.next()),
        record_type: rt.code.clone(),
        subject_kind: kind.into(),
        subject_key: subject,
        department: dept.to_owned(),
        issued_at: now,
        valid_until: body.valid_until.or_else(|| rt.validity_days.map(|d| china_date(now) + chrono::Days::new(u64::from(d)))),
        application: None,
        case: None,
        data: body.data,
    };
    state.store.pool().publish_records(std::slice::from_ref(&rec), Some(p.id().0)).await?;
    crate::areas::welfare::cases::on_record(state, &rec.subject_key, &rec.record_type).await;
    let stored = state.store.pool().pool_record(rec.id).await?.ok_or_else(|| Failure::not_found("没有这条数据", "No such record"))?;
    Ok(record_view(&state, &stored))
}

/// Reads one record version for a purpose; the read (or its refusal) is logged.
pub async fn read_record(state: &AppState, p: &Principal, id: String, q: ReadQuery) -> Fallible<RecordView> {
    let id = parse_num(&id, "没有这条数据", "No such record")?;
    let purpose = parse_purpose(q.purpose.as_deref(), value_text(&q.reference).as_deref())?;
    let no_record = || Failure::not_found("没有这条数据", "No such record");
    let reader = reader_of(&state, &p.account).await?;
    let resource = vec![format!("shared_record:{id}")];
    let (rec, facts) = if let Some(Purpose::Consent { consent }) = &purpose {
        // The record and the consent in one round trip: the most common read by another department.
        let (rec, consent) = state.store.pool().pool_record_and_consent(RecordId(id), *consent).await?.ok_or_else(no_record)?;
        (rec, ReadFacts { consent, ..Default::default() })
    } else {
        let rec = state.store.pool().pool_record(RecordId(id)).await?.ok_or_else(no_record)?;
        let facts = facts_for(&state, &reader, purpose.as_ref(), &rec.record.subject_key, &rec.record.record_type).await?;
        (rec, facts)
    };
    let d = decide_and_log_with(&state, &reader, &rec.record.subject_key, &rec.record.record_type, resource, purpose.as_ref(), &facts).await?;
    if !d.is_allowed() {
        return Err(refusal(&d));
    }
    Ok(record_view(&state, &rec))
}

/// The publishing department corrects a record: a new version supersedes it (never overwritten).
pub async fn correct(state: &AppState, p: &Principal, id: String, body: CorrectBody) -> Fallible<RecordView> {
    let dept = publisher_department(&p, &state)?.to_owned();
    let id = parse_num(&id, "没有这条数据", "No such record")?;
    let reason = body.reason.trim();
    if reason.is_empty() || reason.chars().count() > 500 {
        return Err(Failure::invalid("reason_required", "reason", "请填写更正理由（500 字以内）", "Give the reason for the correction (up to 500 characters)"));
    }
    let old = state.store.pool().pool_record(RecordId(id)).await?.ok_or_else(|| Failure::not_found("没有这条数据", "No such record"))?;
    old.meta().check_correctable(&dept).map_err(pool_error)?;
    state.pool.schemas.validate(&old.record.record_type, &body.data).map_err(pool_error)?;
    let now = state.now();
    let meta = old.meta().corrected(state.parts.ids.next(), now, body.valid_until);
    let mut data = body.data;
    if let serde_json::Value::Object(m) = &mut data
        && !state.pool.schemas.has_own(&old.record.record_type)
    {
        m.insert("correction_reason".into(), serde_json::Value::String(reason.to_owned()));
    }
    let new = SharedRecord {
        id: RecordId(meta.id),
        issued_at: now,
        valid_until: meta.valid_until,
        data,
        ..old.record.clone()
    };
    // The certificates of the old version no longer stand: revoked in the same transaction.
    let revoked = format!("更正为第 {} 版：{reason}", meta.version);
    state.store.pool().correct_record(old.record.id, &new, meta.version, Some(p.id().0), now, &revoked).await?;
    crate::areas::welfare::cases::on_record(state, &new.subject_key, &new.record_type).await;
    let stored = state.store.pool().pool_record(new.id).await?.ok_or_else(|| Failure::not_found("没有这条数据", "No such record"))?;
    Ok(record_view(&state, &stored))
}

/// The publishing department revokes a record version (and its e-certificates).
pub async fn revoke(state: &AppState, p: &Principal, id: String, body: ReasonBody) -> Fallible<RecordView> {
    let dept = publisher_department(&p, &state)?.to_owned();
    let reason = reason_of(&body)?;
    let id = parse_num(&id, "没有这条数据", "No such record")?;
    let rec = state.store.pool().pool_record(RecordId(id)).await?.ok_or_else(|| Failure::not_found("没有这条数据", "No such record"))?;
    if rec.record.department != dept {
        return Err(Failure::Forbidden {
            code: "not_publisher",
            zh: format!("这条数据由{}发布，只有发布部门可以撤销", org_name(&state, &rec.record.department)),
            en: format!("This record was published by {}; only the publishing department may revoke it", rec.record.department),
            field: None,
        });
    }
    if rec.revoked_at.is_some() || !state.store.pool().revoke_record(rec.record.id, state.now(), &reason).await? {
        return Err(pool_error(PoolError::Revoked));
    }
    crate::areas::welfare::cases::on_record(state, &rec.record.subject_key, &rec.record.record_type).await;
    let stored = state.store.pool().pool_record(rec.record.id).await?.ok_or_else(|| Failure::not_found("没有这条数据", "No such record"))?;
    Ok(record_view(&state, &stored))
}

/// A citizen or enterprise consents to a grantee reading some of their records.
pub async fn grant_consent(state: &AppState, p: &Principal, body: ConsentBody) -> Fallible<ConsentView> {
    let reader = reader_of(&state, &p.account).await?;
    let key = reader.own_key.ok_or_else(|| Failure::forbidden("只有居民和企业可以授权", "Only residents and enterprises give consents"))?;
    let kind = match body.grantee_kind.as_str() {
        "org" => {
            let known = state.catalog().department(&body.grantee).is_some()
                || state.pool.recognition.institution(&body.grantee).is_some()
                || rider::platform_name(&body.grantee).is_some();
            if !known {
                return Err(Failure::invalid("unknown_grantee", "grantee", "没有这个部门、医疗机构或平台", "No such department, institution or platform"));
            }
            GranteeKind::Org
        }
        "account" => {
            let id: i64 = body.grantee.trim().parse().map_err(|_| Failure::invalid("unknown_grantee", "grantee", "账号编号无效", "Invalid account id"))?;
            if state.store.identity().account(domain::AccountId(id)).await?.is_none() {
                return Err(Failure::invalid("unknown_grantee", "grantee", "没有这个账号", "No such account"));
            }
            GranteeKind::Account
        }
        _ => return Err(Failure::invalid("invalid_grantee_kind", "grantee_kind", "授权对象类型须为 org 或 account", "grantee_kind must be org or account")),
    };
    let types: Vec<String> = body.record_types.iter().map(|t| t.trim().to_owned()).filter(|t| !t.is_empty()).collect();
    if types.is_empty() {
        return Err(Failure::invalid("record_types_required", "record_types", "请选择授权的数据类型", "Name the record types the consent covers"));
    }
    for t in &types {
        if t != "*" && t != "health" && state.catalog().record_type(t).is_none() {
            return Err(Failure::invalid("unknown_record_type", "record_types", format!("没有这种数据类型：{t}"), format!("No record type {t}")));
        }
    }
    let days = pool::validity::days(body.valid_days).map_err(|e| Failure::from_describe(&e, "valid_days"))?;
    let purpose = body.purpose.trim();
    if purpose.is_empty() || purpose.chars().count() > 200 {
        return Err(Failure::invalid("purpose_required", "purpose", "请写明授权用途（200 字以内）", "Say what the consent is for (up to 200 characters)"));
    }
    let now = state.now();
    let c = Consent {
        id: state.parts.ids.next(),
        subject_key: key,
        grantee_kind: kind,
        grantee: body.grantee.trim().to_owned(),
        record_types: types,
        purpose: purpose.to_owned(),
        granted_at: now,
        valid_until: china_date(now) + chrono::Days::new(days),
        revoked_at: None,
    };
    state.store.pool().insert_consents(std::slice::from_ref(&c)).await?;
    Ok(consent_view(&state, &c))
}

/// Withdraws one of my consents.
pub async fn withdraw_consent(state: &AppState, p: &Principal, id: String) -> Fallible<ConsentView> {
    let id = parse_num(&id, "没有这个授权", "No such consent")?;
    let reader = reader_of(&state, &p.account).await?;
    let key = reader.own_key.ok_or_else(|| Failure::not_found("没有这个授权", "No such consent"))?;
    if !state.store.pool().revoke_consent(id, &key, state.now()).await? {
        return Err(Failure::not_found("没有这个有效的授权", "No such active consent of yours"));
    }
    let c = state.store.pool().consent(id).await?.ok_or_else(|| Failure::not_found("没有这个授权", "No such consent"))?;
    Ok(consent_view(&state, &c))
}

/// A platform registers one of its riders, pending the rider's consent: the rider confirms in
/// their own account (`POST /api/pool/me/riders/{id}/confirm`), which issues the rider code. The
/// platform's look-up of the person is logged where the person sees it.
pub async fn register_rider(state: &AppState, p: &Principal, body: RiderBody) -> Fallible<serde_json::Value> {
    let platform = rider_scope(&state, &p)?.ok_or_else(|| Failure::forbidden("骑手由其所属平台登记", "Riders are registered by their platform"))?;
    let id = ResidentId::parse_on(body.id_number.trim(), china_date(state.now())).map_err(|e| Failure::from_describe(&e, "id_number"))?;
    let person = state.store.registers().person_by_id_number(id.as_str()).await?.ok_or_else(|| {
        Failure::invalid("not_in_register", "id_number", "人口库中没有此身份证号码", "This ID number is not in the population register")
    })?;
    pool::validity::rider_age(&id, china_date(state.now())).map_err(|e| Failure::from_describe(&e, "id_number"))?;
    let phone = match body.phone.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(s) => Some(domain::Phone::parse(s).map_err(|e| Failure::from_describe(&e, "phone"))?.as_str().to_owned()),
        None => person.phone.clone(),
    };
    let known: Vec<String> = state.store.pool().estates().await?.into_iter().map(|e| e.code).collect();
    let estates: Vec<String> = body.estates.iter().map(|e| e.trim().to_owned()).filter(|e| !e.is_empty()).collect();
    if estates.is_empty() {
        return Err(Failure::invalid("estates_required", "estates", "请至少选择一个小区（或 *）", "Name at least one estate, or *"));
    }
    for e in &estates {
        if e != "*" && !known.contains(e) {
            return Err(Failure::invalid("unknown_estate", "estates", format!("没有这个小区：{e}"), format!("No estate {e}")));
        }
    }
    let days = pool::validity::days(body.valid_days).map_err(|e| Failure::from_describe(&e, "valid_days"))?;
    let now = state.now();
    if state.store.pool().riders_of_person(id.as_str()).await?.iter().any(|r| (r.status == "active" || r.status == "pending") && r.platform == platform) {
        return Err(Failure::Conflict {
            code: "rider_exists",
            zh: "该骑手已在本平台登记".into(),
            en: "This rider is already registered on your platform".into(),
            field: Some("id_number".into()),
        });
    }
    let r = Rider {
        id: state.parts.ids.next(),
        person_key: id.as_str().to_owned(),
        name: person.name,
        phone,
        platform,
        estates,
        valid_from: now,
        valid_until: now + chrono::Days::new(days),
        status: "pending".into(),
        created_by: Some(p.id().0),
        created_at: now,
        revoked_at: None,
    };
    // The platform read the person's name and phone from the register: logged for the person.
    let reader = reader_of(&state, &p.account).await?;
    let looked_up = entry(&reader, now, id.as_str(), format!("rider-registration:{}", r.id), Some(&Purpose::Supervision), &Decision::Allowed { basis: pool::Basis::Supervision });
    state.pool.appender.append(vec![looked_up], Vec::new()).await.map_err(store_log_error)?;
    state.store.pool().insert_riders(std::slice::from_ref(&r), &[]).await?;
    let platform_name = rider::platform_name(&r.platform).unwrap_or(&r.platform).to_owned();
    let to: Vec<(i64, String, String, String, String)> = state
        .store
        .identity().accounts_of_subject(Some(person.id), None)
        .await?
        .iter()
        .map(|a| {
            (
                state.parts.ids.next(),
                format!("account:{}", a.id),
                "rider_invitation".to_owned(),
                format!("【富春小哥】{platform_name}申请将您登记为其骑手。如属实，请在「我的小哥码」中确认后领取小哥码；如不知情，请拒绝。"),
                format!("{platform_name} asks to register you as its rider. If so, confirm under 'My rider codes' to get your code; if not, decline."),
            )
        })
        .collect();
    state.store.pool().queue_plain_notices(&to, now).await?;
    Ok(serde_json::json!({ "rider": rider_view(&r), "code": null }))
}

/// I confirm a platform's registration of me as its rider; the rider code is issued.
pub async fn confirm_rider(state: &AppState, p: &Principal, id: String) -> Fallible<CredentialView> {
    let (key, r) = my_rider(&state, &p, &id).await?;
    if r.status != "pending" {
        return Err(Failure::Conflict { code: "rider_not_pending", zh: "该登记已处理".into(), en: "This registration was already answered".into(), field: None });
    }
    let cred = sign_rider(&state, &r, state.parts.ids.next());
    if !state.store.pool().confirm_rider(r.id, &key, &cred).await? {
        return Err(Failure::Conflict { code: "rider_not_pending", zh: "该登记已处理".into(), en: "This registration was already answered".into(), field: None });
    }
    Ok(credential_view(&cred))
}

/// I decline a platform's registration of me as its rider.
pub async fn decline_rider(state: &AppState, p: &Principal, id: String) -> Fallible<RiderView> {
    let (key, r) = my_rider(&state, &p, &id).await?;
    if !state.store.pool().decline_rider(r.id, &key, state.now()).await? {
        return Err(Failure::Conflict { code: "rider_not_pending", zh: "该登记已处理".into(), en: "This registration was already answered".into(), field: None });
    }
    let r = state.store.pool().rider(r.id).await?.ok_or_else(|| Failure::not_found("没有这个骑手登记", "No such rider registration"))?;
    Ok(rider_view(&r))
}

/// Riders (masked): a platform sees its own, the regulator every platform's.
pub async fn list_riders(state: &AppState, p: &Principal, q: RiderQuery) -> Fallible<Vec<RiderView>> {
    let scope = rider_scope(&state, &p)?;
    let platform = match (&scope, q.platform.as_deref()) {
        (Some(mine), Some(other)) if mine != other => {
            return Err(Failure::forbidden("只能查看本平台的骑手", "You may see only your platform's riders"));
        }
        (Some(mine), _) => Some(mine.clone()),
        (None, asked) => asked.map(str::to_owned),
    };
    let list = state.store.pool().riders(platform.as_deref(), q.limit.unwrap_or(50).clamp(1, 500), q.offset.unwrap_or(0).max(0)).await?;
    Ok(list.iter().map(rider_view).collect())
}

/// Riders per platform and status (the regulator's view).
pub async fn rider_summary(state: &AppState, p: &Principal) -> Fallible<serde_json::Value> {
    if rider_scope(&state, &p)?.is_some() {
        return Err(Failure::forbidden("只有监管部门可以查看各平台的骑手", "Only the regulator sees every platform"));
    }
    let counts = state.store.pool().rider_counts().await?;
    let mut by: std::collections::BTreeMap<String, serde_json::Value> = std::collections::BTreeMap::new();
    for (platform, status, n) in counts {
        let e = by.entry(platform.clone()).or_insert_with(|| {
            serde_json::json!({ "platform": platform, "platform_name": rider::platform_name(&platform), "active": 0, "revoked": 0 })
        });
        e[status.as_str()] = serde_json::Value::from(n);
    }
    Ok(serde_json::Value::Array(by.into_values().collect()))
}

/// The rider code of a rider: for the rider themself and their platform.
pub async fn rider_code(state: &AppState, p: &Principal, id: String) -> Fallible<CredentialView> {
    let id = parse_num(&id, "没有这个骑手", "No such rider")?;
    let r = state.store.pool().rider(id).await?.ok_or_else(|| Failure::not_found("没有这个骑手", "No such rider"))?;
    let reader = reader_of(&state, &p.account).await?;
    let own = reader.own_key.as_deref() == Some(r.person_key.as_str());
    let platform = p.department() == Some(r.platform.as_str());
    if !own && !platform {
        return Err(Failure::not_found("没有这个骑手", "No such rider"));
    }
    if r.status == "pending" {
        return Err(Failure::Conflict {
            code: "rider_pending",
            zh: "骑手本人尚未确认登记，小哥码还未签发".into(),
            en: "The rider has not confirmed the registration yet; no code was issued".into(),
            field: None,
        });
    }
    let c = state.store.pool().credential_of_rider(r.id).await?.ok_or_else(|| Failure::Conflict {
        code: "rider_revoked",
        zh: "该骑手的小哥码已被撤销".into(),
        en: "This rider's code was revoked".into(),
        field: None,
    })?;
    Ok(credential_view(&c))
}

/// My rider codes (a rider may ride for several platforms).
pub async fn my_rider_codes(state: &AppState, p: &Principal) -> Fallible<Vec<CredentialView>> {
    let reader = reader_of(&state, &p.account).await?;
    let Some(key) = reader.own_key else { return Ok(Vec::new()) };
    let mut out = Vec::new();
    for r in state.store.pool().riders_of_person(&key).await? {
        if let Some(c) = state.store.pool().credential_of_rider(r.id).await? {
            out.push(credential_view(&c));
        }
    }
    Ok(out)
}

/// The platform (or the regulator) revokes a rider and their code.
pub async fn revoke_rider(state: &AppState, p: &Principal, id: String, body: ReasonBody) -> Fallible<RiderView> {
    let scope = rider_scope(&state, &p)?;
    let reason = reason_of(&body)?;
    let id = parse_num(&id, "没有这个骑手", "No such rider")?;
    let r = state.store.pool().rider(id).await?.ok_or_else(|| Failure::not_found("没有这个骑手", "No such rider"))?;
    if scope.as_deref().is_some_and(|s| s != r.platform) {
        return Err(Failure::not_found("没有这个骑手", "No such rider"));
    }
    if !state.store.pool().revoke_rider(r.id, state.now(), &reason).await? {
        return Err(Failure::Conflict { code: "rider_revoked", zh: "该骑手已被撤销".into(), en: "The rider was already revoked".into(), field: None });
    }
    let r = state.store.pool().rider(id).await?.ok_or_else(|| Failure::not_found("没有这个骑手", "No such rider"))?;
    Ok(rider_view(&r))
}

/// The regulator (or a platform, to its own riders) sends a welfare or policy notice to riders.
pub async fn rider_notices(state: &AppState, p: &Principal, body: RiderNoticeBody) -> Fallible<serde_json::Value> {
    let scope = rider_scope(&state, &p)?;
    let kind = match body.kind.as_str() {
        "welfare" => "rider_welfare",
        "policy" => "rider_policy",
        _ => return Err(Failure::invalid("invalid_notice_kind", "kind", "通知类型须为 welfare 或 policy", "kind must be welfare or policy")),
    };
    let text = body.text.trim();
    if text.is_empty() || text.chars().count() > 500 {
        return Err(Failure::invalid("text_required", "text", "请填写通知内容（500 字以内）", "Write the notice (up to 500 characters)"));
    }
    let platform = match (&scope, body.platform.as_deref()) {
        (Some(mine), Some(other)) if mine != other => return Err(Failure::forbidden("只能通知本平台的骑手", "You may notify only your platform's riders")),
        (Some(mine), _) => Some(mine.clone()),
        (None, Some(pl)) if rider::platform_name(pl).is_none() => {
            return Err(Failure::invalid("unknown_platform", "platform", "没有这个平台", "No such platform"));
        }
        (None, pl) => pl.map(str::to_owned),
    };
    let accounts = state.store.pool().rider_accounts(platform.as_deref()).await?;
    let en = body.text_en.as_deref().map(str::trim).filter(|t| !t.is_empty()).unwrap_or(text).to_owned();
    let rows: Vec<(i64, String, String, String, String)> = accounts
        .iter()
        .map(|a| (state.parts.ids.next(), format!("account:{a}"), kind.to_owned(), format!("【富春小哥】{text}"), en.clone()))
        .collect();
    state.store.pool().queue_plain_notices(&rows, state.now()).await?;
    Ok(serde_json::json!({ "queued": rows.len(), "platform": platform, "kind": kind }))
}

/// The ordering clinician records the decision on a recognition offer (the DetectedIssue id).
pub async fn decide_offer(state: &AppState, p: &Principal, id: String, body: DecisionBody) -> Fallible<OfferView> {
    let id = parse_num(&id, "没有这条互认提示", "No such recognition offer")?;
    let offer = state.store.fhir().offer(id).await?.ok_or_else(|| Failure::not_found("没有这条互认提示", "No such recognition offer"))?;
    if p.department() != Some(offer.ordering_institution.as_str()) {
        return Err(Failure::not_found("没有这条互认提示", "No such recognition offer"));
    }
    let d = pool::RecognitionDecision::parse(body.decision.trim(), body.reason.as_deref(), body.note.as_deref()).map_err(|e| match e {
        PoolError::InvalidField { field, message, message_zh } => Failure::Invalid { code: "invalid_decision", zh: message_zh, en: message, field: Some(field) },
        other => pool_error(other),
    })?;
    let (reason, note) = match &d {
        pool::RecognitionDecision::Accepted => (None, None),
        pool::RecognitionDecision::Retest { reason, note } => (Some(reason.code()), note.clone()),
    };
    if !state.store.fhir().decide_offer(id, d.code(), reason, note.as_deref(), state.now(), p.id().0).await? {
        return Err(Failure::Conflict { code: "already_decided", zh: "该互认提示已有处理结果".into(), en: "This offer was already decided".into(), field: None });
    }
    Ok(state.store.fhir().offer(id).await?.ok_or_else(|| Failure::not_found("没有这条互认提示", "No such recognition offer"))?.into())
}

/// The district's public key for offline verification of e-certificates and rider codes.
pub async fn public_key(state: &AppState) -> Fallible<serde_json::Value> {
    Ok(state.pool.public().document(&state.pool.issuer))
}

/// Verifies an e-certificate or rider code (public). A forged, altered, expired or revoked
/// credential is a 422 with its reason.
pub async fn verify(state: &AppState, body: VerifyBody) -> Fallible<VerifyView> {
    let (v, record_status) = verify_credential(&state, &body.credential).await?;
    Ok(VerifyView {
        valid: true,
        kind: v.body.kind().into(),
        key_id: v.key_id.clone(),
        body: serde_json::to_value(&v.body).unwrap_or_default(),
        record_status,
    })
}

/// Revoked credential ids, for gates and verifiers that work offline (public).
pub async fn revocations(state: &AppState, q: SinceQuery) -> Fallible<serde_json::Value> {
    let since = match q.since.as_deref() {
        None => None,
        Some(s) => Some(
            DateTime::parse_from_rfc3339(s)
                .map(|t| t.with_timezone(&Utc))
                .map_err(|_| Failure::invalid("invalid_time", "since", "since 须为 RFC 3339 时间", "since must be an RFC 3339 time"))?,
        ),
    };
    let list = state.store.pool().revoked_credentials(since).await?;
    Ok(serde_json::json!({
        "as_of": state.now(),
        "key_id": state.pool.public().key_id(),
        "revoked": list.iter().map(|(id, at)| serde_json::json!({ "id": id.to_string(), "revoked_at": at })).collect::<Vec<_>>(),
    }))
}

/// The district's medical institutions, their level and the items their results are recognised
/// for (the HR mark).
pub async fn institutions(state: &AppState) -> Fallible<Vec<InstitutionView>> {
    Ok(
        state
            .pool
            .recognition
            .institutions()
            .map(|i| InstitutionView {
                code: i.code.clone(),
                name: i.name.clone(),
                level: i.level.code().to_owned(),
                level_name: i.level.name_zh().to_owned(),
                kind: i.kind.clone(),
                division: i.division.clone(),
                hr_items: i.hr_items.clone(),
            })
            .collect(),
    )
}

/// The recognisable items: codes, validity window and price.
pub async fn recognition_items(state: &AppState) -> Fallible<serde_json::Value> {
    Ok(serde_json::to_value(state.pool.recognition.items().collect::<Vec<_>>()).unwrap_or_default())
}

/// My consents, newest first.
pub async fn my_consents(state: &AppState, p: &Principal) -> Fallible<Vec<ConsentView>> {
    let reader = reader_of(&state, &p.account).await?;
    let key = reader.own_key.ok_or_else(|| Failure::forbidden("只有居民和企业有授权", "Only residents and enterprises have consents"))?;
    let list = state.store.pool().consents_of(&key).await?;
    Ok(list.iter().map(|c| consent_view(&state, c)).collect())
}

/// Verifies every chain of the access log (administrators).
pub async fn verify_log(state: &AppState, p: &Principal) -> Fallible<LogVerificationView> {
    p.require_any(&[Role::Admin])?;
    Ok(state.store.access_log().verify_access_log(|_, _| {}).await?.into())
}

/// A person in the population register with their household (户籍), for a lawful purpose; logged.
pub async fn person_register(state: &AppState, p: &Principal, id_number: String, q: ReadQuery) -> Fallible<serde_json::Value> {
    let key = ResidentId::parse_on(id_number.trim(), china_date(state.now())).map_err(|e| Failure::from_describe(&e, "id_number"))?;
    let purpose = parse_purpose(q.purpose.as_deref(), value_text(&q.reference).as_deref())?;
    // Decided (and logged) before the look-up, so that a refusal never tells whether the person
    // is in the register.
    let reader = reader_of(&state, &p.account).await?;
    let d = decide_and_log(&state, &reader, key.as_str(), "household_register", vec![format!("person:{}", mask::id_number(key.as_str()))], purpose.as_ref()).await?;
    if !d.is_allowed() {
        return Err(refusal(&d));
    }
    let person = state.store.registers().person_by_id_number(key.as_str()).await?.ok_or_else(|| Failure::not_found("人口库中没有此人", "Not in the population register"))?;
    let members = state.store.registers().household_members(person.household).await?;
    Ok(serde_json::json!({
        "id_number": person.id_number, "name": person.name, "sex": person.sex, "birth_date": person.birth_date,
        "division": person.division, "household": person.household.to_string(), "relation": person.relation,
        "household_members": members.iter().map(|m| serde_json::json!({
            "name": mask::name(&m.name), "id_number": mask::id_number(&m.id_number), "relation": m.relation,
        })).collect::<Vec<_>>(),
    }))
}

/// An enterprise in the legal-entity register with its legal representative (public
/// registration facts; the representative masked).
pub async fn enterprise_register(state: &AppState, code: String) -> Fallible<serde_json::Value> {
    let code = CreditCode::parse(code.trim()).map_err(|e| Failure::from_describe(&e, "code"))?;
    let e = state.store.registers().enterprise_by_credit_code(code.as_str()).await?.ok_or_else(|| Failure::not_found("法人库中没有此企业", "Not in the legal-entity register"))?;
    let rep = state.store.registers().person(e.legal_rep).await?;
    Ok(serde_json::json!({
        "credit_code": e.credit_code, "name": e.name, "kind": e.kind, "division": e.division, "established_on": e.established_on,
        "legal_representative": rep.map(|r| serde_json::json!({ "name": mask::name(&r.name), "id_number": mask::id_number(&r.id_number) })),
    }))
}

/// The estates riders may be allowed into.
pub async fn estates(state: &AppState) -> Fallible<Vec<EstateView>> {
    Ok(state.store.pool().estates().await?.into_iter().map(EstateView::from).collect())
}

/// A platform's registrations of me as its rider (pending, active, revoked, declined).
pub async fn my_riders(state: &AppState, p: &Principal) -> Fallible<Vec<RiderView>> {
    let reader = reader_of(&state, &p.account).await?;
    let Some(key) = reader.own_key else { return Ok(Vec::new()) };
    Ok(state.store.pool().riders_of_person(&key).await?.iter().map(rider_view).collect())
}

/// Recognitions and money saved per institution, and look-ups in all (health staff, clinicians,
/// administrators).
pub async fn recognition_figures(state: &AppState, p: &Principal) -> Fallible<serde_json::Value> {
    let pays_or_keeps = |d: &catalog::Department| d.has(catalog::Duty::HealthRecords) || d.has(catalog::Duty::MedicalInsurance);
    let allowed = p.is_admin()
        || p.department().is_some_and(|d| state.catalog().department(d).is_some_and(pays_or_keeps) || state.pool.recognition.institution(d).is_some());
    if !allowed {
        return Err(Failure::forbidden("只有卫健、医保部门、医疗机构和管理员可以查看互认统计", "Only health and insurance staff, institutions and administrators see these figures"));
    }
    let figures = state.store.fhir().recognition_figures().await?;
    let lookups = state.store.fhir().health_lookups().await?;
    let (mut offered, mut accepted, mut saved) = (0i64, 0i64, 0i64);
    let rows: Vec<serde_json::Value> = figures
        .iter()
        .map(|f| {
            offered += f.offered;
            accepted += f.accepted;
            saved += f.saved_fen;
            let inst = state.pool.recognition.institution(&f.institution);
            serde_json::json!({
                "institution": f.institution, "name": inst.map(|i| i.name.clone()), "level": inst.map(|i| i.level.name_zh()),
                "offered": f.offered, "accepted": f.accepted, "retested": f.retested,
                "saved_fen": f.saved_fen, "saved_yuan": domain::Fen(f.saved_fen).to_yuan_string(),
                "recognised_elsewhere": f.recognised_elsewhere,
            })
        })
        .collect();
    Ok(serde_json::json!({
        "institutions": state.pool.recognition.institutions().count(),
        "health_record_lookups": lookups,
        "offers": offered, "recognitions": accepted, "saved_fen": saved, "saved_yuan": domain::Fen(saved).to_yuan_string(),
        "by_institution": rows,
    }))
}

/// The subject or the publishing department issues the e-certificate of a current record; a
/// record that has one gets it back. The answer says whether it is new.
pub async fn issue_certificate(state: &AppState, p: &Principal, id: String) -> Fallible<(CredentialView, bool)> {
    let id = parse_num(&id, "没有这条数据", "No such record")?;
    let rec = state.store.pool().pool_record(RecordId(id)).await?.ok_or_else(|| Failure::not_found("没有这条数据", "No such record"))?;
    let reader = reader_of(&state, &p.account).await?;
    let own = reader.own_key.as_deref() == Some(rec.record.subject_key.as_str());
    let publisher = reader.kind == ReaderKind::Department && reader.org.as_deref() == Some(rec.record.department.as_str());
    if !own && !publisher {
        return Err(Failure::forbidden("只有数据主体本人或发布部门可以生成电子证照", "Only the subject or the publishing department may issue its e-certificate"));
    }
    match rec.meta().status(china_date(state.now())) {
        pool::RecordStatus::Current => {}
        pool::RecordStatus::Superseded => return Err(pool_error(PoolError::Superseded)),
        pool::RecordStatus::Revoked => return Err(pool_error(PoolError::Revoked)),
        pool::RecordStatus::Expired => {
            return Err(Failure::Conflict { code: "record_expired", zh: "该数据已过期，不能生成电子证照".into(), en: "The record has expired".into(), field: None });
        }
    }
    if let Some(c) = state.store.pool().certificate_of_record(rec.record.id).await? {
        return Ok((credential_view(&c), false));
    }
    let holder = rec.record.data.get("name").and_then(|v| v.as_str()).unwrap_or("").to_owned();
    let row = sign_record(&state, &rec, &holder, state.parts.ids.next());
    state.store.pool().insert_credentials(std::slice::from_ref(&row)).await?;
    Ok((credential_view(&row), true))
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn store_in(dir: &std::path::Path, name: &str) -> store::Store {
        let url = format!("sqlite://{}", dir.join(name).display());
        store::Store::open(&store::StoreOptions::new(&url)).await.expect("store")
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_signing_key_is_the_databases_or_configured() {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = store_in(dir.path(), "one.db").await;
        let env = vec![("MINSHENG__DATA_DIR".to_owned(), dir.path().join("a").display().to_string())];
        let config = Config::load(None, env).expect("config");
        let k1 = load_key(&config, &db).await.expect("generated");
        assert!(dir.path().join("a/pool-signing.key").is_file(), "written to the key file for offline checks");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join("a/pool-signing.key")).expect("meta").permissions().mode();
            assert_eq!(mode & 0o077, 0, "readable by the owner only");
        }
        assert_eq!(load_key(&config, &db).await.expect("read back").public(), k1.public(), "the same key on the next start");
        // A second server on the same database, with a data directory of its own, signs with the
        // same key (issue 29: each data directory made its own).
        let env = vec![("MINSHENG__DATA_DIR".to_owned(), dir.path().join("b").display().to_string())];
        let second = Config::load(None, env).expect("config");
        assert_eq!(load_key(&second, &db).await.expect("shared").public(), k1.public());
        // A data directory whose file holds another key, used with this database: the database's
        // key wins and the file is kept aside.
        std::fs::write(dir.path().join("b/pool-signing.key"), DistrictKey::from_seed(&[9; 32]).to_text()).expect("write");
        assert_eq!(load_key(&second, &db).await.expect("database wins").public(), k1.public());
        assert!(dir.path().join("b/pool-signing.key.replaced").is_file());
        // A district that started before keys were kept in the database keeps its file's key.
        let old = DistrictKey::from_seed(&[5; 32]);
        std::fs::create_dir_all(dir.path().join("c")).expect("dir");
        std::fs::write(dir.path().join("c/pool-signing.key"), old.to_text()).expect("write");
        let env = vec![("MINSHENG__DATA_DIR".to_owned(), dir.path().join("c").display().to_string())];
        let fresh_db = store_in(dir.path(), "two.db").await;
        assert_eq!(load_key(&Config::load(None, env).expect("config"), &fresh_db).await.expect("imported").public(), old.public());
        let given = DistrictKey::from_seed(&[7; 32]);
        let env = vec![("MINSHENG__POOL__SIGNING_KEY".to_owned(), given.to_text())];
        let config = Config::load(None, env).expect("config");
        assert!(!format!("{config:?}").contains(&given.to_text()), "the key never prints");
        assert_eq!(load_key(&config, &db).await.expect("configured").public(), given.public());
        let env = vec![("MINSHENG__POOL__SIGNING_KEY".to_owned(), "not-a-key".to_owned())];
        assert!(load_key(&Config::load(None, env).expect("config"), &db).await.is_err());
        db.close().await;
        fresh_db.close().await;
        let env = vec![("MINSHENG__POOL__TREATMENT_DAYS".to_owned(), "0".to_owned())];
        assert_eq!(Config::load(None, env).expect_err("bad").setting, "pool.treatment_days");
    }
}
