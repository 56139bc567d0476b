//! The one-thing area's use cases (一件事): who may do what to which application (roles and data
//! scope), and file, act, withdraw, rate, answer a rectification, upload a material, plan, report
//! and run the deadline tick — each run as a job on the store's group-commit writer so it is
//! durable when it returns. No HTTP here: handlers and pages call these.

use std::collections::BTreeMap;
use std::sync::Arc;
use catalog::Role;
use catalog::Subject;
use domain::AccountId;
use domain::ApplicationId;
use domain::CaseId;
use domain::CreditCode;
use domain::RectificationId;
use domain::ResidentId;
use domain::UploadId;
use domain::china_date;
use onething::ActionRequest;
use onething::Actor;
use onething::Applicant;
use onething::Application;
use onething::Channel;
use onething::Known;
use onething::RatingRequest;
use onething::SubmitRequest;
use onething::Target;
use onething::TickOutcome;
use sha2::Digest;
use sha2::Sha256;
use store::Account;
use store::AccountKind;
use store::Job;
use store::NewAccount;
use store::UnitOfWork;
use store::UowError;
use crate::failure::Failure;
use crate::failure::Fallible;
use crate::state::AppState;
use crate::state::EngineParts;
use crate::auth::Principal;
use crate::areas::onething::views::PlanView;
use crate::ids::app_id;
use super::views::*;
use store::AppFilter;
use store::CaseFilter;
use crate::areas::onething::views::AppSummaryView;
use crate::areas::onething::views::CaseRowView;
use crate::areas::onething::views::NoticeView;
use crate::ids::page;
use catalog::LifeStage;
use crate::areas::onething::views::HistoryView;

/// A job made of a closure.
pub struct FnJob<F> {
    pub(crate) apps: Vec<ApplicationId>,
    pub(crate) idem: Option<(AccountId, String)>,
    pub(crate) route: u64,
    pub(crate) f: F,
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

pub(crate) fn route_of(id: i64) -> u64 {
    // Ids are time-ordered; mix the bits so consecutive ids spread over writers.
    (id as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 1 | 1
}

// ---------------------------------------------------------------------------------------------
// Roles and data scope.

pub(crate) fn in_division(account: &Account, app: &Application) -> bool {
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

pub(crate) fn hidden() -> Failure {
    Failure::not_found("没有这个申请，或您无权查看", "No such application, or you may not see it")
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

pub(crate) fn parse_target(body_bundle: &Option<String>, body_item: &Option<String>) -> Fallible<Target> {
    match (body_bundle, body_item) {
        (Some(b), None) => Ok(Target::Bundle(b.trim().to_owned())),
        (None, Some(i)) => Ok(Target::Item(i.trim().to_owned())),
        _ => Err(Failure::invalid(
            "bundle_or_item",
            "bundle",
            "请指定要申请的一件事（bundle）或单个事项（item），二者选一",
            "Give either a bundle or an item to apply for, not both",
        )),
    }
}

pub fn parse_uploads(m: &BTreeMap<String, String>, field: &str) -> Fallible<BTreeMap<String, UploadId>> {
    m.iter()
        .map(|(k, v)| {
            v.trim().parse::<i64>().map(|n| (k.clone(), UploadId(n))).map_err(|_| {
                Failure::invalid(
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
pub async fn check_uploads(state: &AppState, uploads: &BTreeMap<String, UploadId>, owner: AccountId, field: &str) -> Fallible<()> {
    let ids: Vec<UploadId> = uploads.values().copied().collect();
    let found = state.store.onething().uploads(&ids).await?;
    for (code, id) in uploads {
        match found.iter().find(|u| u.id == *id) {
            Some(u) if u.account == owner => {}
            _ => {
                return Err(Failure::invalid(
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
pub(crate) async fn applicant_for_window(state: &AppState, key: &str) -> Fallible<Applicant> {
    let key = key.trim();
    if key.len() == 18 && ResidentId::parse(key).is_ok() {
        let id = ResidentId::parse_on(key, china_date(state.now())).map_err(|e| Failure::from_describe(&e, "applicant"))?;
        let person = state.store.registers().person_by_id_number(id.as_str()).await?.ok_or_else(|| {
            Failure::invalid(
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
        let ent = state.store.registers().enterprise_by_credit_code(code.as_str()).await?.ok_or_else(|| {
            Failure::invalid(
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
        (true, Some(e), _) => Err(Failure::from_describe(&e, "applicant")),
        (_, _, Err(e)) => Err(Failure::from_describe(&e, "applicant")),
        _ => Err(Failure::invalid("invalid_applicant", "applicant", "申请人证件号码无效", "Invalid applicant identifier")),
    }
}

/// The account of a person or enterprise, created (without a usable password) if missing.
pub(crate) async fn ensure_account(state: &AppState, person: Option<&store::Person>, ent: Option<&store::Enterprise>) -> Fallible<AccountId> {
    let existing = state.store.identity().accounts_of_subject(person.map(|p| p.id), ent.map(|e| e.id)).await?;
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
    match state.store.identity().insert_accounts(&[acc]).await {
        Ok(()) => Ok(id),
        Err(e) if e.is_unique_violation() => state
            .store
            .identity().account_for_login(&login)
            .await?
            .map(|(a, _)| a.id)
            .ok_or_else(|| Failure::internal(std::io::Error::other("account vanished"))),
        Err(e) => Err(e.into()),
    }
}

/// The applicant a signed-in citizen or enterprise agent files for.
pub async fn own_applicant(state: &AppState, account: &Account) -> Fallible<Applicant> {
    match account.kind {
        // A resident's login is their ID number (set at registration), so most filings need no read.
        AccountKind::Citizen if account.person_id.is_some() && ResidentId::parse(&account.login).is_ok() => Ok(Applicant {
            subject: Subject::Person,
            key: account.login.clone(),
            name: account.display_name.clone(),
            account: account.id,
        }),
        AccountKind::Citizen => {
            let pid = account.person_id.ok_or_else(|| Failure::forbidden("账号未实名", "The account is not linked to a resident"))?;
            let p = state.store.registers().person(pid).await?.ok_or_else(|| Failure::forbidden("账号未实名", "The account is not linked to a resident"))?;
            Ok(Applicant { subject: Subject::Person, key: p.id_number, name: p.name, account: account.id })
        }
        AccountKind::Enterprise => {
            let eid = account
                .enterprise_id
                .ok_or_else(|| Failure::forbidden("账号未关联企业", "The account is not linked to an enterprise"))?;
            let e = state
                .store
                .registers().enterprise(eid)
                .await?
                .ok_or_else(|| Failure::forbidden("账号未关联企业", "The account is not linked to an enterprise"))?;
            Ok(Applicant { subject: Subject::Enterprise, key: e.credit_code, name: e.name, account: account.id })
        }
        AccountKind::Staff => Err(Failure::forbidden(
            "工作人员请通过「一窗受理」代为申请，并填写申请人证件号码",
            "Staff file on behalf of an applicant through window intake, giving the applicant's identifier",
        )),
    }
}

/// Resolves who a filing (or a plan) is for.
pub async fn applicant_for(state: &AppState, account: &Account, on_behalf: Option<&str>) -> Fallible<(Applicant, Channel)> {
    match (account.kind, on_behalf) {
        (AccountKind::Staff, Some(key)) => {
            if !account.has(Role::Window) {
                return Err(Failure::forbidden("只有窗口人员可以代为受理申请", "Only window staff may take in applications"));
            }
            Ok((applicant_for_window(state, key).await?, Channel::Window))
        }
        (AccountKind::Staff, None) => Err(Failure::invalid(
            "applicant_required",
            "applicant",
            "一窗受理请填写申请人的身份证号码或统一社会信用代码",
            "Window intake needs the applicant's ID number or credit code",
        )),
        (_, Some(_)) => Err(Failure::invalid(
            "applicant_not_allowed",
            "applicant",
            "只能为本人（本企业）申请",
            "You can only apply for yourself (your enterprise)",
        )),
        (_, None) => Ok((own_applicant(state, account).await?, Channel::Online)),
    }
}

pub(crate) async fn check_division(state: &AppState, division: Option<&str>) -> Fallible<Option<String>> {
    let Some(d) = division else { return Ok(None) };
    let code = domain::DivisionCode::parse(d).map_err(|e| Failure::from_describe(&e, "division"))?;
    let known = state.store.registers().divisions(None).await?;
    if !known.iter().any(|k| k.code == code.as_str()) {
        return Err(Failure::invalid(
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
    pub claim_code: Option<crate::areas::identity::views::ClaimCodeView>,
}

/// Files an application.
pub async fn submit(state: &AppState, account: &Account, body: SubmitBody, idempotency_key: Option<String>) -> Fallible<Filed> {
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
                return Err(Failure::invalid(
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
    let records = state.store.onething().records_of(&applicant.key).await?;
    let prior = state.store.onething().prior_application(&applicant.key, target.code()).await?;
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
        f: move |uow: &mut UnitOfWork| -> Fallible<(Option<Arc<Application>>, ApplicationId)> {
            if let Some((acc, key, hash)) = &idem
                && let Some(saved) = uow.idempotency(*acc, key)
            {
                if &saved.request_hash == hash {
                    return Ok((None, saved.application));
                }
                return Err(Failure::Conflict {
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
                (Channel::Window, Subject::Person) => crate::areas::identity::cases::claim_code_after_intake(state, account, &application.applicant.key).await,
                _ => None,
            };
            Ok(Filed { application, replayed: false, claim_code })
        }
        None => {
            let application = state.store.onething().application(id).await?.ok_or_else(hidden)?;
            Ok(Filed { application: Arc::new(application), replayed: true, claim_code: None })
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Changing an application.

/// Runs `f` on one application for `account`, after the scope check, through the writer.
pub(crate) async fn change<F>(state: &AppState, account: &Account, id: ApplicationId, mut f: F) -> Fallible<Arc<Application>>
where
    F: FnMut(&EngineParts, &Account, &mut Application) -> Fallible<onething::Effects> + Send + 'static,
{
    let parts = state.parts.clone();
    let account = account.clone();
    let job = FnJob {
        apps: vec![id],
        idem: None,
        route: route_of(id.0),
        f: move |uow: &mut UnitOfWork| -> Fallible<Arc<Application>> {
            match uow.get(id) {
                Some(app) if can_view(&account, app) => {}
                _ => return Err(hidden()),
            }
            let r = uow.change(id, |app| Ok::<_, Failure>(((), f(&parts, &account, app)?)));
            match r {
                Ok(()) => uow.shared(id).ok_or_else(hidden),
                Err(UowError::NotFound(_) | UowError::NotLoaded { .. }) => Err(hidden()),
                Err(UowError::Job(e)) => Err(e),
            }
        },
    };
    state.store.run(job).await?
}

/// An action on a case.
pub async fn act(state: &AppState, account: &Account, app: ApplicationId, req: ActionRequest) -> Fallible<Arc<Application>> {
    let now = state.now();
    change(state, account, app, move |parts, account, app| {
        if app.case(req.case).is_none() {
            return Err(Failure::not_found("本申请中没有这个办件", "This application has no such case"));
        }
        let actor = actor_for(account, app, Some(req.case));
        Ok(parts.engine().act(app, req.clone(), &actor, now)?)
    })
    .await
}

pub async fn withdraw(state: &AppState, account: &Account, app: ApplicationId, reason: Option<String>) -> Fallible<Arc<Application>> {
    let now = state.now();
    change(state, account, app, move |parts, account, app| {
        Ok(parts.engine().withdraw(app, account.id, reason.as_deref(), now)?)
    })
    .await
}

pub async fn rate(state: &AppState, account: &Account, app: ApplicationId, req: RatingRequest) -> Fallible<Arc<Application>> {
    let now = state.now();
    change(state, account, app, move |parts, account, app| Ok(parts.engine().rate(app, account.id, req.clone(), now)?)).await
}

pub async fn respond_rectification(state: &AppState, account: &Account, rect: RectificationId, response: String) -> Fallible<Arc<Application>> {
    let (app_id, dept) = state
        .store
        .onething().rectification_owner(rect)
        .await?
        .ok_or_else(|| Failure::not_found("没有这个整改单", "No such rectification"))?;
    let allowed = account.has(Role::Admin) || (account.has(Role::Supervisor) && account.department.as_deref() == Some(dept.as_str()));
    if !allowed {
        return Err(Failure::forbidden(
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
pub async fn tick(state: &AppState) -> Fallible<TickOutcome> {
    let now = state.now();
    let today = domain::china_date(now);
    let mut total = TickOutcome::default();
    loop {
        let due = state.store.onething().due_applications(today, 256).await?;
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
pub fn parse_id<T: std::str::FromStr>(s: &str, what_zh: &'static str, what_en: &'static str) -> Fallible<T> {
    s.parse().map_err(|_| Failure::NotFound { zh: what_zh, en: what_en })
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
    if p.has(Role::CommunityWorker)
        && let Some(d) = p.account.division.as_deref()
    {
        keys.push(format!("division:{d}:community_worker"));
    }
    if p.is_admin() {
        keys.push("district".into());
    }
    keys
}

// ---------------------------------------------------------------------------------------------
// Catalog.

pub(crate) fn bundle_brief(c: &catalog::Catalog, b: &catalog::Bundle) -> serde_json::Value {
    let d = onething::reduction::designed(b, c);
    serde_json::json!({
        "code": b.code, "name": b.name, "name_en": b.name_en, "stage": b.stage.code(),
        "subject": b.subject, "items": b.items.len(), "departments": b.departments(c).len(),
        "description": b.description, "designed": d,
    })
}

/// The plan of a filing for the signed-in applicant (or, for window staff, the applicant named):
/// the use case behind `GET /api/plan` and the pages' plans.
pub async fn plan_view(state: &AppState, p: &Principal, q: PlanQuery) -> Fallible<PlanView> {
    let target = match (q.bundle, q.item) {
        (Some(b), None) => Target::Bundle(b),
        (None, Some(i)) => Target::Item(i),
        _ => {
            return Err(Failure::invalid("bundle_or_item", "bundle", "请指定 bundle 或 item 之一", "Give either bundle or item"));
        }
    };
    let (applicant, _) = crate::areas::onething::cases::applicant_for(state, &p.account, q.applicant.as_deref()).await?;
    let records = state.store.onething().records_of(&applicant.key).await?;
    let prior = state.store.onething().prior_application(&applicant.key, target.code()).await?;
    let today = domain::china_date(state.now());
    let c = state.catalog();
    let plan = onething::plan::plan(c, &target, Known { records: &records, prior: prior.as_ref() }, today)?;
    if plan.subject != applicant.subject {
        return Err(onething::EngineError::WrongSubject {
            target: crate::areas::onething::views::target_view(c, target.kind(), target.code()).name,
            expected: store::codec::subject_code(plan.subject),
        }
        .into());
    }
    Ok(PlanView {
        target: crate::areas::onething::views::target_view(c, target.kind(), target.code()),
        applicant: crate::areas::onething::views::ApplicantView {
            subject: store::codec::subject_code(applicant.subject).into(),
            name: applicant.name.clone(),
            key: if p.is_staff() { applicant.key.clone() } else { crate::areas::onething::views::mask_key(&applicant.key) },
        },
        items: plan.items.clone(),
        materials: plan.materials.iter().map(|m| crate::areas::onething::views::planned_material_view(c, m)).collect(),
        fields: plan.fields.iter().map(|f| crate::areas::onething::views::field_view(&f.field, f.prefilled.clone())).collect(),
        prior: plan.prior.map(|x| x.to_string()),
        item_by_item_materials: plan.item_by_item_materials(c),
        to_upload: plan.to_upload().count(),
    })
}

pub(crate) const ALLOWED_TYPES: &[&str] = &["application/pdf", "image/jpeg", "image/png", "image/webp", "application/ofd", "text/plain"];

/// Whether a file's first bytes are those of the type it was declared as (its signature): a
/// declared type is never trusted on its own, since the file is later served to staff as that type.
pub fn content_matches(content_type: &str, bytes: &[u8]) -> bool {
    match content_type {
        "application/pdf" => bytes.starts_with(b"%PDF-"),
        "image/jpeg" => bytes.starts_with(&[0xFF, 0xD8, 0xFF]),
        "image/png" => bytes.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]),
        "image/webp" => bytes.len() >= 12 && bytes.starts_with(b"RIFF") && &bytes[8..12] == b"WEBP",
        // OFD (GB/T 33190) is a ZIP container.
        "application/ofd" => bytes.starts_with(b"PK\x03\x04"),
        "text/plain" => std::str::from_utf8(bytes).is_ok_and(|t| !t.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))),
        _ => false,
    }
}

pub(crate) fn type_name_zh(content_type: &str) -> &'static str {
    match content_type {
        "application/pdf" => "PDF",
        "image/jpeg" => "JPG",
        "image/png" => "PNG",
        "image/webp" => "WEBP",
        "application/ofd" => "OFD",
        _ => "文本",
    }
}

/// Stores one material file of an account (its type checked against its content; written to
/// disk durably before it is recorded): the use case behind `POST /api/uploads` and the pages'
/// file fields.
pub async fn store_upload(state: &AppState, account: &Account, name: Option<String>, content_type: &str, body: bytes::Bytes) -> Fallible<UploadView> {
    let content_type = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    if !ALLOWED_TYPES.contains(&content_type.as_str()) {
        return Err(Failure::invalid(
            "unsupported_file_type",
            "Content-Type",
            format!("只接受 PDF、JPG、PNG、WEBP、OFD 或 TXT 文件（收到 {content_type:?}）"),
            format!("Only PDF, JPEG, PNG, WEBP, OFD or text files are accepted (got {content_type:?})"),
        ));
    }
    if body.is_empty() {
        return Err(Failure::invalid("empty_file", "body", "文件是空的", "The file is empty"));
    }
    if !content_matches(&content_type, &body) {
        return Err(Failure::invalid(
            "file_content_mismatch",
            "body",
            format!("文件内容不是声明的 {} 格式，请上传真实的 {} 文件", type_name_zh(&content_type), type_name_zh(&content_type)),
            format!("The file's content is not {content_type}; upload a real file of that type"),
        ));
    }
    let name = name.unwrap_or_else(|| "材料".into());
    if name.chars().count() > 200 || name.contains(['/', '\\', '\0']) {
        return Err(Failure::invalid("invalid_file_name", "name", "文件名过长或含有非法字符", "Bad file name"));
    }
    let sha = hex::encode(Sha256::digest(&body));
    let dir = state.upload_dir.join(&sha[..2]);
    let path = dir.join(&sha);
    let bytes = body.clone();
    tokio::task::spawn_blocking(move || -> std::io::Result<()> {
        if path.exists() {
            return Ok(());
        }
        std::fs::create_dir_all(&dir)?;
        let tmp = dir.join(format!(".{}.tmp", rand_suffix()));
        let written = (|| {
            use std::io::Write;
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(&bytes)?;
            f.sync_all()
        })();
        if let Err(e) = written {
            // A full disk leaves no half file behind.
            let _ = std::fs::remove_file(&tmp);
            return Err(e);
        }
        std::fs::rename(&tmp, &path)?;
        std::fs::File::open(&dir)?.sync_all()
    })
    .await
    .map_err(Failure::internal)?
    .map_err(Failure::internal)?;
    let u = store::Upload {
        id: UploadId(state.parts.ids.next()),
        account: account.id,
        sha256: sha.clone(),
        size: i64::try_from(body.len()).unwrap_or(i64::MAX),
        content_type: content_type.clone(),
        file_name: name.clone(),
        created_at: state.now(),
    };
    state.store.onething().insert_upload(&u).await?;
    Ok(UploadView { id: u.id.to_string(), sha256: sha, size: u.size, content_type, file_name: name })
}

pub(crate) fn rand_suffix() -> String {
    use rand::RngCore;
    format!("{:016x}", rand::rng().next_u64())
}

pub(crate) async fn load_visible(state: &AppState, p: &Principal, id: &str) -> Fallible<onething::Application> {
    let id = app_id(id)?;
    match state.store.onething().application(id).await? {
        Some(app) if can_view(&p.account, &app) => Ok(app),
        _ => Err(Failure::not_found("没有这个申请，或您无权查看", "No such application, or you may not see it")),
    }
}

pub(crate) fn staff_department(p: &Principal, asked: Option<String>) -> Fallible<Option<String>> {
    if !p.is_staff() {
        return Err(Failure::forbidden("只有工作人员可以查看办件队列", "Only staff see case queues"));
    }
    if p.is_admin() {
        return Ok(asked);
    }
    match (p.department(), asked) {
        (Some(mine), Some(a)) if a != mine => Err(Failure::forbidden("只能查看本部门的办件", "You can only see your department's cases")),
        (Some(mine), _) => Ok(Some(mine.to_owned())),
        (None, _) => Err(Failure::forbidden("您的账号不属于任何部门", "Your account belongs to no department")),
    }
}

pub const REDUCTION_FORMULA: &str = "reduction = 1 − Σ actual ÷ Σ item-by-item, over completed bundle applications; \
item-by-item: materials = Σ materials of each item, trips = Σ in-person visits of each item, days = Σ promised working days; \
actual: materials uploaded by the applicant, trips = 1 for window filing (0 online) + supplements handed in at a window, \
days = working days from filing to completion";

/// Measured reductions (减材料、减跑动、减时间) per bundle and in total.
pub async fn reduction_report(state: &AppState) -> Fallible<ReductionReport> {
    let c = state.catalog();
    let sums = state.store.onething().reduction_sums().await?;
    let mut total_b = onething::reduction::Figures::default();
    let mut total_a = onething::reduction::Figures::default();
    let mut total_n = 0;
    let mut lines = Vec::new();
    for b in c.bundles() {
        let s = sums.iter().find(|s| s.bundle == b.code);
        let (n, base, act) = s.map(|s| (s.applications, s.baseline, s.actual)).unwrap_or_default();
        total_b.add(base);
        total_a.add(act);
        total_n += n;
        lines.push(ReductionLine {
            bundle: b.code.clone(),
            name: b.name.clone(),
            name_en: b.name_en.clone(),
            applications: n,
            baseline: serde_json::to_value(base).unwrap_or_default(),
            actual: serde_json::to_value(act).unwrap_or_default(),
            reduction: serde_json::to_value(onething::reduction::Percentages::of(base, act)).unwrap_or_default(),
            designed: serde_json::to_value(onething::reduction::designed(b, c)).unwrap_or_default(),
        });
    }
    Ok(ReductionReport {
        total: ReductionLine {
            bundle: "*".into(),
            name: "全部一件事".into(),
            name_en: "All bundles".into(),
            applications: total_n,
            baseline: serde_json::to_value(total_b).unwrap_or_default(),
            actual: serde_json::to_value(total_a).unwrap_or_default(),
            reduction: serde_json::to_value(onething::reduction::Percentages::of(total_b, total_a)).unwrap_or_default(),
            designed: serde_json::Value::Null,
        },
        bundles: lines,
        formula: REDUCTION_FORMULA.into(),
    })
}

/// One bundle: its items, departments, limits, de-duplicated materials, form and designed reductions.
pub async fn bundle(state: &AppState, code: String) -> Fallible<serde_json::Value> {
    let c = state.catalog();
    let b = c.bundle(&code).ok_or_else(|| Failure::not_found("没有这个一件事", "No such bundle"))?;
    let items: Vec<serde_json::Value> = b
        .topo_order()
        .iter()
        .filter_map(|i| c.item(i))
        .map(|i| {
            serde_json::json!({
                "code": i.code, "name": i.name, "name_en": i.name_en, "department": i.department,
                "department_name": c.department(&i.department).map(|d| d.name.clone()),
                "legal_days": i.legal_days, "promised_days": i.promised_days, "levels": i.levels,
                "online": i.online, "visits": i.visits, "materials": i.materials, "outputs": i.outputs,
                "prerequisites": b.prerequisites_of(&i.code),
            })
        })
        .collect();
    let materials: Vec<serde_json::Value> = b
        .materials(c)
        .into_iter()
        .map(|m| {
            let mat = c.material(&m.material);
            serde_json::json!({
                "code": m.material, "name": mat.map(|x| x.name.clone()), "name_en": mat.map(|x| x.name_en.clone()),
                "needed_by": m.needed_by, "issued_in_bundle_by": m.issued_in_bundle_by,
                "satisfied_by": mat.and_then(|x| x.satisfied_by.clone()), "reusable": mat.map(|x| x.reusable),
            })
        })
        .collect();
    let fields: Vec<crate::areas::onething::views::FieldView> = b.form_fields(c).iter().map(|f| crate::areas::onething::views::field_view(f, None)).collect();
    let mut v = bundle_brief(c, b);
    if let serde_json::Value::Object(o) = &mut v {
        o.insert("items".into(), serde_json::Value::Array(items));
        o.insert("materials".into(), serde_json::Value::Array(materials));
        o.insert("fields".into(), serde_json::to_value(fields).unwrap_or_default());
        o.insert("on_reject".into(), serde_json::to_value(b.on_reject).unwrap_or_default());
        o.insert("departments".into(), serde_json::to_value(b.departments(c)).unwrap_or_default());
    }
    Ok(v)
}

/// Applications the caller may see: their own; their department's; their window's; all (admin).
pub async fn list_applications(state: &AppState, p: &Principal, q: ListQuery) -> Fallible<Vec<AppSummaryView>> {
    if let Some(s) = q.status.as_deref().filter(|s| !s.is_empty())
        && onething::AppStatus::parse(s).is_none()
    {
        return Err(Failure::invalid("invalid_status", "status", "申请状态取值有误", "Unknown application status"));
    }
    let mut f = AppFilter { status: q.status, target: q.target, ..Default::default() };
    let own = !p.is_staff();
    if own {
        f.applicant_account = Some(p.id());
    } else if !p.is_admin() {
        match p.department() {
            Some(d) => f.department = Some(d.to_owned()),
            None if p.has(Role::Window) => {}
            None => return Err(Failure::forbidden("无权查看申请列表", "You may not list applications")),
        }
        f.division = p.account.division.clone();
    }
    let rows = state.store.onething().applications(&f, page(q.limit, q.offset)).await?;
    Ok(rows.iter().map(|s| crate::areas::onething::views::summary_view(state.catalog(), s, own)).collect())
}

/// The notices written for an application.
pub async fn application_notices(state: &AppState, p: &Principal, id: String) -> Fallible<Vec<NoticeView>> {
    let app = load_visible(&state, &p, &id).await?;
    let list = state.store.notices().notices_of_application(app.id).await?;
    let mine = format!("account:{}", p.id());
    let shown: Vec<NoticeView> = list
        .iter()
        .filter(|n| p.is_staff() || n.recipient == mine)
        .map(crate::areas::onething::views::notice_view)
        .collect();
    Ok(shown)
}

/// The department's case queue, most urgent first (overdue, then by promised deadline).
pub async fn cases(state: &AppState, p: &Principal, q: CaseQuery) -> Fallible<Vec<CaseRowView>> {
    let department = staff_department(&p, q.department)?;
    let today = domain::china_date(state.now());
    let due_by = q.due_within.map(|n| state.calendar().add_working_days(today, u32::try_from(n.clamp(0, 365)).unwrap_or(0)));
    if let Some(s) = &q.status
        && onething::CaseStatus::parse(s).is_none()
    {
        return Err(Failure::invalid("invalid_status", "status", "办件状态取值有误", "Unknown case status"));
    }
    let f = CaseFilter {
        department,
        division: p.account.division.clone(),
        statuses: q.status.into_iter().collect(),
        overdue_only: q.overdue.unwrap_or(false),
        due_by,
    };
    let rows = state.store.onething().case_queue(&f, page(q.limit, q.offset)).await?;
    Ok(rows.iter().map(|r| crate::areas::onething::views::case_row_view(&state, r)).collect())
}

/// Overdue cases escalated to the supervisor (督办).
pub async fn overdue(state: &AppState, p: &Principal, q: CaseQuery) -> Fallible<Vec<CaseRowView>> {
    p.require_any(&[Role::Supervisor, Role::Admin])?;
    let department = staff_department(&p, q.department)?;
    let f = CaseFilter {
        department,
        division: p.account.division.clone(),
        statuses: vec![],
        overdue_only: true,
        due_by: None,
    };
    let rows = state.store.onething().case_queue(&f, page(q.limit, q.offset)).await?;
    Ok(rows.iter().map(|r| crate::areas::onething::views::case_row_view(&state, r)).collect())
}

/// Life stages with their bundles (9 personal, 4 enterprise).
pub async fn stages(state: &AppState) -> Fallible<serde_json::Value> {
    let c = state.catalog();
    let list: Vec<serde_json::Value> = LifeStage::ALL
        .iter()
        .map(|s| {
            serde_json::json!({
                "code": s.code(), "name": s.name_zh(), "name_en": s.name_en(), "subject": s.subject(),
                "bundles": c.bundles_in_stage(*s).map(|b| bundle_brief(c, b)).collect::<Vec<_>>(),
            })
        })
        .collect();
    Ok(serde_json::Value::Array(list))
}

/// Items (事项), optionally of one department.
pub async fn items(state: &AppState, q: ItemsQuery) -> Fallible<serde_json::Value> {
    let c = state.catalog();
    let list: Vec<&catalog::Item> = match &q.department {
        Some(d) => c.items_of_department(d).collect(),
        None => c.items().collect(),
    };
    Ok(serde_json::to_value(list).unwrap_or_default())
}

/// One item with its materials and workflow.
pub async fn item(state: &AppState, code: String) -> Fallible<serde_json::Value> {
    let c = state.catalog();
    let i = c.item(&code).ok_or_else(|| Failure::not_found("没有这个事项", "No such item"))?;
    Ok(serde_json::json!({
        "item": i,
        "department_name": c.department(&i.department).map(|d| d.name.clone()),
        "workflow": c.workflow(&i.workflow),
        "materials": i.materials.iter().filter_map(|m| c.material(m)).collect::<Vec<_>>(),
        "bundles": c.bundles_with_item(&i.code).map(|b| b.code.clone()).collect::<Vec<_>>(),
    }))
}

/// Departments.
pub async fn departments(state: &AppState) -> Fallible<Vec<DepartmentView>> {
    let c = state.catalog();
    Ok(
        c.departments()
            .map(|d| DepartmentView { code: d.code.clone(), name: d.name.clone(), name_en: d.name_en.clone(), items: c.items_of_department(&d.code).count() })
            .collect(),
    )
}

/// The hash-chained history of an application.
pub async fn history(state: &AppState, p: &Principal, id: String) -> Fallible<Vec<HistoryView>> {
    let app = load_visible(&state, &p, &id).await?;
    let entries = state.store.onething().history(app.id).await?;
    Ok(entries.iter().map(crate::areas::onething::views::history_view).collect())
}

/// Rectifications opened by bad ratings, for the department's supervisor.
pub async fn rectifications(state: &AppState, p: &Principal, q: RectQuery) -> Fallible<Vec<RectificationRowView>> {
    p.require_any(&[Role::Supervisor, Role::Admin])?;
    let department = staff_department(&p, q.department)?;
    let rows = state.store.onething().rectifications(department.as_deref(), q.status.as_deref(), page(q.limit, q.offset)).await?;
    let c = state.catalog();
    Ok(
        rows.iter()
            .map(|r| RectificationRowView {
                id: r.id.to_string(),
                application: r.application.to_string(),
                department_name: c.department(&r.department).map(|d| d.name.clone()).unwrap_or_default(),
                department: r.department.clone(),
                status_name: onething::RectificationStatus::parse(&r.status).map(|s| s.name_zh().to_owned()).unwrap_or_default(),
                status: r.status.clone(),
                opened_at: r.opened_at,
                due_on: r.due_on,
                overdue: r.overdue,
                response: r.response.clone(),
                target: crate::areas::onething::views::target_view(c, "bundle", &r.target_code),
                applicant_name: domain::mask::name(&r.applicant_name),
                rating: r.first_rating,
            })
            .collect(),
    )
}

/// The caller's notices: their own, and for staff those to their department role or the district.
pub async fn notices(state: &AppState, p: &Principal, q: NoticeQuery) -> Fallible<Vec<NoticeView>> {
    let list = state.store.notices().notices_for(&crate::areas::onething::cases::notice_recipients(&p), page(q.limit, q.offset)).await?;
    Ok(list.iter().map(crate::areas::onething::views::notice_view).collect())
}

/// Applications by status, the notice outbox and satisfaction per department.
pub async fn overview(state: &AppState, p: &Principal) -> Fallible<Overview> {
    p.require_any(&[Role::Supervisor, Role::Admin])?;
    Ok(Overview {
        applications_by_status: state.store.onething().applications_by_status().await?,
        notices: serde_json::to_value(state.store.notices().outbox_counts().await?).unwrap_or_default(),
        satisfaction: serde_json::to_value(state.store.onething().satisfaction_by_department().await?).unwrap_or_default(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_files_content_must_be_of_its_declared_type() {
        assert!(content_matches("application/pdf", b"%PDF-1.7\n..."));
        assert!(!content_matches("application/pdf", b"<html><script>alert(1)</script>"));
        assert!(content_matches("image/png", &[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0]));
        assert!(!content_matches("image/png", b"%PDF-1.7"));
        assert!(content_matches("image/jpeg", &[0xFF, 0xD8, 0xFF, 0xE0]));
        assert!(content_matches("image/webp", b"RIFF\x10\x00\x00\x00WEBPVP8 "));
        assert!(!content_matches("image/webp", b"RIFF\x10\x00\x00\x00WAVEfmt "));
        assert!(content_matches("application/ofd", b"PK\x03\x04\x14\x00"));
        assert!(content_matches("text/plain", "情况说明\r\n第二行\t完".as_bytes()));
        assert!(!content_matches("text/plain", b"MZ\x90\x00\x03"), "binary is not text");
        assert!(!content_matches("text/plain", &[0xff, 0xfe, 0x00]));
        assert!(!content_matches("application/x-msdownload", b"MZ"));
    }
}
