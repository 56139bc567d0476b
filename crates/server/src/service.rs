//! The service layer: who may do what to which application (roles and data scope), and the use
//! cases — file, act, withdraw, rate, answer a rectification, run the deadline tick — each run as
//! a job on the store's group-commit writer so it is durable when it returns.

use std::collections::BTreeMap;
use std::sync::Arc;

use catalog::{Role, Subject};
use domain::{AccountId, ApplicationId, CaseId, CreditCode, RectificationId, ResidentId, UploadId, china_date};
use onething::{
    ActionRequest, Actor, Applicant, Application, Channel, Known, RatingRequest, SubmitRequest, Target,
    TickOutcome,
};
use sha2::{Digest, Sha256};
use store::{Account, AccountKind, Job, NewAccount, UnitOfWork, UowError};

use crate::error::{ApiError, ApiResult};
use crate::state::{AppState, EngineParts};

/// A job made of a closure.
pub struct FnJob<F> {
    apps: Vec<ApplicationId>,
    idem: Option<(AccountId, String)>,
    route: u64,
    f: F,
}

impl<F> FnJob<F> {
    /// A job on `apps` (loaded before it runs), routed by `route` (0 = any writer).
    pub fn new(apps: Vec<ApplicationId>, route: u64, f: F) -> FnJob<F> {
        FnJob { apps, idem: None, route, f }
    }
}

impl<F, T> Job for FnJob<F>
where
    F: FnMut(&mut UnitOfWork) -> T + Send + 'static,
    T: Send + 'static,
{
    type Output = T;
    fn applications(&self) -> Vec<ApplicationId> {
        self.apps.clone()
    }
    fn idempotency(&self) -> Option<(AccountId, String)> {
        self.idem.clone()
    }
    fn route(&self) -> u64 {
        self.route
    }
    fn run(&mut self, uow: &mut UnitOfWork) -> T {
        (self.f)(uow)
    }
}

fn route_of(id: i64) -> u64 {
    // Ids are time-ordered; mix the bits so consecutive ids spread over writers.
    (id as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 1 | 1
}

// ---------------------------------------------------------------------------------------------
// Roles and data scope.

fn in_division(account: &Account, app: &Application) -> bool {
    match &account.division {
        None => true,
        Some(d) => app.division.as_deref().is_some_and(|a| a.starts_with(d.as_str())),
    }
}

/// Whether an account may see an application: its applicant, the window that took it in,
/// staff of a department that handles one of its items, supervisors of those departments, and
/// district administrators.
pub fn can_view(account: &Account, app: &Application) -> bool {
    if app.is_applicant(account.id) || app.submitted_by == account.id {
        return true;
    }
    if account.kind != AccountKind::Staff {
        return false;
    }
    if account.has(Role::Admin) {
        return true;
    }
    if account.has(Role::Window) && in_division(account, app) && account.department.is_none() {
        return true;
    }
    match &account.department {
        Some(d) => app.cases.iter().any(|c| &c.department == d) && in_division(account, app),
        None => false,
    }
}

/// The workflow roles an account holds for one case of an application.
pub fn actor_for(account: &Account, app: &Application, case: Option<CaseId>) -> Actor {
    let mut roles = Vec::new();
    if app.is_applicant(account.id) {
        roles.push(Role::Applicant);
    }
    if account.kind == AccountKind::Staff {
        let case_dept = case.and_then(|c| app.case(c)).map(|c| c.department.as_str());
        if account.has(Role::Window) && in_division(account, app) {
            roles.push(Role::Window);
        }
        if let (Some(mine), Some(theirs)) = (account.department.as_deref(), case_dept)
            && mine == theirs
            && in_division(account, app)
        {
            for r in [Role::Clerk, Role::Reviewer, Role::Approver, Role::Supervisor] {
                if account.has(r) {
                    roles.push(r);
                }
            }
        }
        if account.has(Role::Admin) {
            roles.push(Role::Admin);
        }
    }
    Actor { account: account.id, roles, name: account.display_name.clone() }
}

fn hidden() -> ApiError {
    ApiError::not_found("没有这个申请，或您无权查看", "No such application, or you may not see it")
}

// ---------------------------------------------------------------------------------------------
// Filing.

/// A filing as the API receives it.
#[derive(Debug, Clone, serde::Deserialize, serde::Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubmitBody {
    /// The bundle (一件事) to apply for, e.g. `birth`. Give either `bundle` or `item`.
    pub bundle: Option<String>,
    /// A single item (事项) to apply for on its own.
    pub item: Option<String>,
    /// Application-form values by field key.
    #[serde(default)]
    pub form: BTreeMap<String, String>,
    /// Uploads for the materials still to be provided: material code → upload id.
    #[serde(default)]
    pub materials: BTreeMap<String, String>,
    /// Window intake only (一窗受理): the resident ID number or credit code of the person or
    /// enterprise who came to the window.
    #[schema(pattern = "^([0-9]{17}[0-9Xx]|[0-9A-HJ-NPQRTUWXYa-hj-npqrtuwxy]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXYa-hj-npqrtuwxy]{10})$")]
    pub applicant: Option<String>,
    /// The town or village code where it is handled (defaults to the window's division).
    pub division: Option<String>,
}

fn parse_target(body_bundle: &Option<String>, body_item: &Option<String>) -> ApiResult<Target> {
    match (body_bundle, body_item) {
        (Some(b), None) => Ok(Target::Bundle(b.trim().to_owned())),
        (None, Some(i)) => Ok(Target::Item(i.trim().to_owned())),
        _ => Err(ApiError::invalid(
            "bundle_or_item",
            "bundle",
            "请指定要申请的一件事（bundle）或单个事项（item），二者选一",
            "Give either a bundle or an item to apply for, not both",
        )),
    }
}

pub fn parse_uploads(m: &BTreeMap<String, String>, field: &str) -> ApiResult<BTreeMap<String, UploadId>> {
    m.iter()
        .map(|(k, v)| {
            v.trim().parse::<i64>().map(|n| (k.clone(), UploadId(n))).map_err(|_| {
                ApiError::invalid(
                    "invalid_upload",
                    &format!("{field}.{k}"),
                    format!("材料「{k}」的上传编号「{v}」无效，请先上传文件"),
                    format!("Upload id '{v}' for material '{k}' is not valid; upload the file first"),
                )
            })
        })
        .collect()
}

/// Checks that every upload exists and was uploaded by `owner`.
pub async fn check_uploads(state: &AppState, uploads: &BTreeMap<String, UploadId>, owner: AccountId, field: &str) -> ApiResult<()> {
    let ids: Vec<UploadId> = uploads.values().copied().collect();
    let found = state.store.uploads(&ids).await?;
    for (code, id) in uploads {
        match found.iter().find(|u| u.id == *id) {
            Some(u) if u.account == owner => {}
            _ => {
                return Err(ApiError::invalid(
                    "unknown_upload",
                    &format!("{field}.{code}"),
                    format!("找不到您上传的文件 {id}（材料「{code}」），请重新上传"),
                    format!("Upload {id} (material '{code}') was not found among your uploads"),
                ));
            }
        }
    }
    Ok(())
}

/// The applicant for a window intake: the person or enterprise, and their own account (created
/// without a password if they have none yet, so that they can claim it and follow online).
async fn applicant_for_window(state: &AppState, key: &str) -> ApiResult<Applicant> {
    let key = key.trim();
    if key.len() == 18 && ResidentId::parse(key).is_ok() {
        let id = ResidentId::parse_on(key, china_date(state.now())).map_err(|e| ApiError::from_describe(&e, "applicant"))?;
        let person = state.store.person_by_id_number(id.as_str()).await?.ok_or_else(|| {
            ApiError::invalid(
                "not_in_register",
                "applicant",
                "人口库中没有此身份证号码，请核对后再试",
                "This ID number is not in the population register",
            )
        })?;
        let account = ensure_account(state, Some(&person), None).await?;
        return Ok(Applicant { subject: Subject::Person, key: person.id_number, name: person.name, account });
    }
    if let Ok(code) = CreditCode::parse(key) {
        let ent = state.store.enterprise_by_credit_code(code.as_str()).await?.ok_or_else(|| {
            ApiError::invalid(
                "not_in_register",
                "applicant",
                "法人库中没有此统一社会信用代码，请核对后再试",
                "This credit code is not in the legal-entity register",
            )
        })?;
        let account = ensure_account(state, None, Some(&ent)).await?;
        return Ok(Applicant { subject: Subject::Enterprise, key: ent.credit_code, name: ent.name, account });
    }
    // Neither parses: report the error of what it most looks like. An ID number starts with a
    // province code (11–82); a credit code with its registration authority (often 9, 5, 1 …).
    let id_err = ResidentId::parse(key).err();
    let digits = key.chars().rev().skip(1).all(|c| c.is_ascii_digit());
    let looks_like_id = digits && matches!(id_err, Some(ref e) if !matches!(e, domain::ResidentIdError::Region));
    match (looks_like_id, id_err, CreditCode::parse(key)) {
        (true, Some(e), _) => Err(ApiError::from_describe(&e, "applicant")),
        (_, _, Err(e)) => Err(ApiError::from_describe(&e, "applicant")),
        _ => Err(ApiError::invalid("invalid_applicant", "applicant", "申请人证件号码无效", "Invalid applicant identifier")),
    }
}

/// The account of a person or enterprise, created (without a usable password) if missing.
async fn ensure_account(state: &AppState, person: Option<&store::Person>, ent: Option<&store::Enterprise>) -> ApiResult<AccountId> {
    let existing = state.store.accounts_of_subject(person.map(|p| p.id), ent.map(|e| e.id)).await?;
    if let Some(a) = existing.first() {
        return Ok(a.id);
    }
    let (login, name, kind) = match (person, ent) {
        (Some(p), _) => (p.id_number.clone(), p.name.clone(), AccountKind::Citizen),
        (_, Some(e)) => (e.credit_code.clone(), e.name.clone(), AccountKind::Enterprise),
        _ => return Err(hidden()),
    };
    let id = AccountId(state.parts.ids.next());
    let acc = NewAccount {
        id,
        login: login.clone(),
        password_hash: "!".to_owned(),
        display_name: name,
        kind,
        roles: vec![Role::Applicant],
        person_id: person.map(|p| p.id),
        enterprise_id: ent.map(|e| e.id),
        department: None,
        division: None,
        phone: person.and_then(|p| p.phone.clone()),
        created_at: state.now(),
    };
    match state.store.insert_accounts(&[acc]).await {
        Ok(()) => Ok(id),
        Err(e) if e.is_unique_violation() => state
            .store
            .account_for_login(&login)
            .await?
            .map(|(a, _)| a.id)
            .ok_or_else(|| ApiError::internal(std::io::Error::other("account vanished"))),
        Err(e) => Err(e.into()),
    }
}

/// The applicant a signed-in citizen or enterprise agent files for.
pub async fn own_applicant(state: &AppState, account: &Account) -> ApiResult<Applicant> {
    match account.kind {
        // A resident's login is their ID number (set at registration), so most filings need no read.
        AccountKind::Citizen if account.person_id.is_some() && ResidentId::parse(&account.login).is_ok() => Ok(Applicant {
            subject: Subject::Person,
            key: account.login.clone(),
            name: account.display_name.clone(),
            account: account.id,
        }),
        AccountKind::Citizen => {
            let pid = account.person_id.ok_or_else(|| ApiError::forbidden("账号未实名", "The account is not linked to a resident"))?;
            let p = state.store.person(pid).await?.ok_or_else(|| ApiError::forbidden("账号未实名", "The account is not linked to a resident"))?;
            Ok(Applicant { subject: Subject::Person, key: p.id_number, name: p.name, account: account.id })
        }
        AccountKind::Enterprise => {
            let eid = account
                .enterprise_id
                .ok_or_else(|| ApiError::forbidden("账号未关联企业", "The account is not linked to an enterprise"))?;
            let e = state
                .store
                .enterprise(eid)
                .await?
                .ok_or_else(|| ApiError::forbidden("账号未关联企业", "The account is not linked to an enterprise"))?;
            Ok(Applicant { subject: Subject::Enterprise, key: e.credit_code, name: e.name, account: account.id })
        }
        AccountKind::Staff => Err(ApiError::forbidden(
            "工作人员请通过「一窗受理」代为申请，并填写申请人证件号码",
            "Staff file on behalf of an applicant through window intake, giving the applicant's identifier",
        )),
    }
}

/// Resolves who a filing (or a plan) is for.
pub async fn applicant_for(state: &AppState, account: &Account, on_behalf: Option<&str>) -> ApiResult<(Applicant, Channel)> {
    match (account.kind, on_behalf) {
        (AccountKind::Staff, Some(key)) => {
            if !account.has(Role::Window) {
                return Err(ApiError::forbidden("只有窗口人员可以代为受理申请", "Only window staff may take in applications"));
            }
            Ok((applicant_for_window(state, key).await?, Channel::Window))
        }
        (AccountKind::Staff, None) => Err(ApiError::invalid(
            "applicant_required",
            "applicant",
            "一窗受理请填写申请人的身份证号码或统一社会信用代码",
            "Window intake needs the applicant's ID number or credit code",
        )),
        (_, Some(_)) => Err(ApiError::invalid(
            "applicant_not_allowed",
            "applicant",
            "只能为本人（本企业）申请",
            "You can only apply for yourself (your enterprise)",
        )),
        (_, None) => Ok((own_applicant(state, account).await?, Channel::Online)),
    }
}

async fn check_division(state: &AppState, division: Option<&str>) -> ApiResult<Option<String>> {
    let Some(d) = division else { return Ok(None) };
    let code = domain::DivisionCode::parse(d).map_err(|e| ApiError::from_describe(&e, "division"))?;
    let known = state.store.divisions(None).await?;
    if !known.iter().any(|k| k.code == code.as_str()) {
        return Err(ApiError::invalid(
            "unknown_division",
            "division",
            format!("本区没有行政区划代码为 {d} 的镇街或村社"),
            format!("There is no town or village {d} in this district"),
        ));
    }
    Ok(Some(code.as_str().to_owned()))
}

/// What a filing returns.
pub struct Filed {
    pub application: Arc<Application>,
    /// The request repeated an idempotency key: this is the first request's application.
    pub replayed: bool,
    /// A window intake for a resident whose account the window opened and who holds no live claim
    /// code: the new claim code to hand over (`register::claim_code_after_intake`).
    pub claim_code: Option<crate::register::ClaimCodeView>,
}

/// Files an application.
pub async fn submit(state: &AppState, account: &Account, body: SubmitBody, idempotency_key: Option<String>) -> ApiResult<Filed> {
    let target = parse_target(&body.bundle, &body.item)?;
    let (applicant, channel) = applicant_for(state, account, body.applicant.as_deref()).await?;
    let division = match body.division.as_deref() {
        Some(d) => check_division(state, Some(d)).await?,
        None if channel == Channel::Window => account.division.clone(),
        None => None,
    };
    let uploads = parse_uploads(&body.materials, "materials")?;
    check_uploads(state, &uploads, account.id, "materials").await?;
    let idem = match idempotency_key {
        Some(k) => {
            let k = k.trim().to_owned();
            if k.is_empty() || k.len() > 128 || !k.chars().all(|c| c.is_ascii_graphic()) {
                return Err(ApiError::invalid(
                    "invalid_idempotency_key",
                    "Idempotency-Key",
                    "Idempotency-Key 须为 1–128 个可见 ASCII 字符",
                    "Idempotency-Key must be 1–128 visible ASCII characters",
                ));
            }
            let canon = serde_json::to_string(&body).unwrap_or_default();
            let hash = hex::encode(Sha256::digest(format!("{}\n{canon}", account.id).as_bytes()));
            Some((account.id, k, hash))
        }
        None => None,
    };
    let records = state.store.records_of(&applicant.key).await?;
    let prior = state.store.prior_application(&applicant.key, target.code()).await?;
    let req = SubmitRequest {
        target,
        applicant,
        submitted_by: account.id,
        channel,
        division,
        form: body.form,
        uploads,
    };
    let parts = state.parts.clone();
    let now = state.now();
    let job = FnJob {
        apps: Vec::new(),
        idem: idem.as_ref().map(|(a, k, _)| (*a, k.clone())),
        route: route_of(account.id.0),
        f: move |uow: &mut UnitOfWork| -> ApiResult<(Option<Arc<Application>>, ApplicationId)> {
            if let Some((acc, key, hash)) = &idem
                && let Some(saved) = uow.idempotency(*acc, key)
            {
                if &saved.request_hash == hash {
                    return Ok((None, saved.application));
                }
                return Err(ApiError::Conflict {
                    code: "idempotency_key_reused",
                    zh: "该 Idempotency-Key 已用于另一份不同的申请，请换一个".to_owned(),
                    en: "This Idempotency-Key was used for a different request".to_owned(),
                    field: Some("Idempotency-Key".to_owned()),
                });
            }
            let known = Known { records: &records, prior: prior.as_ref() };
            let (app, effects) = parts.engine().submit(req.clone(), known, now)?;
            let id = app.id;
            if let Some((acc, key, hash)) = &idem {
                uow.remember(*acc, key, hash, id);
            }
            uow.insert(app, effects);
            Ok((uow.shared(id), id))
        },
    };
    let (app, id) = state.store.run(job).await??;
    match app {
        Some(application) => {
            let claim_code = match (channel, application.applicant.subject) {
                (Channel::Window, Subject::Person) => crate::register::claim_code_after_intake(state, account, &application.applicant.key).await,
                _ => None,
            };
            Ok(Filed { application, replayed: false, claim_code })
        }
        None => {
            let application = state.store.application(id).await?.ok_or_else(hidden)?;
            Ok(Filed { application: Arc::new(application), replayed: true, claim_code: None })
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Changing an application.

/// Runs `f` on one application for `account`, after the scope check, through the writer.
async fn change<F>(state: &AppState, account: &Account, id: ApplicationId, mut f: F) -> ApiResult<Arc<Application>>
where
    F: FnMut(&EngineParts, &Account, &mut Application) -> ApiResult<onething::Effects> + Send + 'static,
{
    let parts = state.parts.clone();
    let account = account.clone();
    let job = FnJob {
        apps: vec![id],
        idem: None,
        route: route_of(id.0),
        f: move |uow: &mut UnitOfWork| -> ApiResult<Arc<Application>> {
            match uow.get(id) {
                Some(app) if can_view(&account, app) => {}
                _ => return Err(hidden()),
            }
            let r = uow.change(id, |app| Ok::<_, ApiError>(((), f(&parts, &account, app)?)));
            match r {
                Ok(()) => uow.shared(id).ok_or_else(hidden),
                Err(UowError::NotFound(_)) => Err(hidden()),
                Err(UowError::Job(e)) => Err(e),
            }
        },
    };
    state.store.run(job).await?
}

/// An action on a case.
pub async fn act(state: &AppState, account: &Account, app: ApplicationId, req: ActionRequest) -> ApiResult<Arc<Application>> {
    let now = state.now();
    change(state, account, app, move |parts, account, app| {
        if app.case(req.case).is_none() {
            return Err(ApiError::not_found("本申请中没有这个办件", "This application has no such case"));
        }
        let actor = actor_for(account, app, Some(req.case));
        Ok(parts.engine().act(app, req.clone(), &actor, now)?)
    })
    .await
}

pub async fn withdraw(state: &AppState, account: &Account, app: ApplicationId, reason: Option<String>) -> ApiResult<Arc<Application>> {
    let now = state.now();
    change(state, account, app, move |parts, account, app| {
        Ok(parts.engine().withdraw(app, account.id, reason.as_deref(), now)?)
    })
    .await
}

pub async fn rate(state: &AppState, account: &Account, app: ApplicationId, req: RatingRequest) -> ApiResult<Arc<Application>> {
    let now = state.now();
    change(state, account, app, move |parts, account, app| Ok(parts.engine().rate(app, account.id, req.clone(), now)?)).await
}

pub async fn respond_rectification(state: &AppState, account: &Account, rect: RectificationId, response: String) -> ApiResult<Arc<Application>> {
    let (app_id, dept) = state
        .store
        .rectification_owner(rect)
        .await?
        .ok_or_else(|| ApiError::not_found("没有这个整改单", "No such rectification"))?;
    let allowed = account.has(Role::Admin) || (account.has(Role::Supervisor) && account.department.as_deref() == Some(dept.as_str()));
    if !allowed {
        return Err(ApiError::forbidden(
            "只有该部门的督办人员可以答复整改单",
            "Only a supervisor of the department may answer this rectification",
        ));
    }
    let now = state.now();
    change(state, account, app_id, move |parts, account, app| {
        Ok(parts.engine().respond_rectification(app, rect, account.id, &response, now)?)
    })
    .await
}

/// One pass of the deadline scheduler at the state's `now`: every application due for a check.
pub async fn tick(state: &AppState) -> ApiResult<TickOutcome> {
    let now = state.now();
    let today = domain::china_date(now);
    let mut total = TickOutcome::default();
    loop {
        let due = state.store.due_applications(today, 256).await?;
        if due.is_empty() {
            break;
        }
        let n = due.len();
        let parts = state.parts.clone();
        let ids = due.clone();
        let job = FnJob {
            apps: due,
            idem: None,
            route: 0,
            f: move |uow: &mut UnitOfWork| -> TickOutcome {
                let mut out = TickOutcome::default();
                for id in &ids {
                    let r = uow.change(*id, |app| {
                        let (o, effects) = parts.engine().tick(app, now);
                        Ok::<_, std::convert::Infallible>((o, effects))
                    });
                    if let Ok(o) = r {
                        out.add(o);
                    }
                }
                out
            },
        };
        let out = state.store.run(job).await?;
        total.add(out);
        if n < 256 {
            break;
        }
        // The next query sees the moved next_check_on dates; stop if nothing moved.
        if out.is_empty() {
            break;
        }
    }
    Ok(total)
}

/// A parse helper for identifiers in paths.
pub fn parse_id<T: std::str::FromStr>(s: &str, what_zh: &'static str, what_en: &'static str) -> ApiResult<T> {
    s.parse().map_err(|_| ApiError::NotFound { zh: what_zh, en: what_en })
}

/// The notice recipients an account reads as: itself, and for staff their department role
/// (supervisor, clerk) or, for administrators, the district.
pub fn notice_recipients(p: &crate::auth::Principal) -> Vec<String> {
    let mut keys = vec![format!("account:{}", p.id())];
    if let Some(d) = p.department() {
        if p.has(Role::Supervisor) {
            keys.push(format!("dept:{d}:supervisor"));
        }
        if p.has(Role::Clerk) || p.has(Role::Reviewer) || p.has(Role::Approver) {
            keys.push(format!("dept:{d}:clerk"));
        }
    }
    if p.is_admin() {
        keys.push("district".into());
    }
    keys
}
