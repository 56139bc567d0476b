//! The demo district: loads Fuyang's real divisions and the generated registers, creates demo
//! accounts, and runs a history of past applications through the real engine and writer (filed,
//! handled by each department's staff, some late, some sent back for supplements, rated), so that
//! queues, reductions and ratings start from real cases.

use std::collections::BTreeMap;

use catalog::{Catalog, Outcome, Role, Subject, Workflow};
use chrono::{DateTime, Duration, Utc};
use crate::DemoConfig;
use domain::{AccountId, UploadId, china_date};
use onething::{ActionRequest, Actor, Applicant, Application, CaseStatus, Channel, Known, Prior, RatingLevel, RatingRequest, SubmitRequest, Target};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use store::{AccountKind, NewAccount};

use server::ServerError;
use server::areas::onething::cases::FnJob;
use server::state::AppState;

/// The password of every demo account. Demo data only: never seed a real deployment.
pub const DEMO_PASSWORD: &str = "demo1234";

#[derive(Debug, Clone)]
pub struct SeedOptions {
    pub residents: usize,
    pub enterprises: usize,
    pub seed: u64,
    /// Past applications to simulate.
    pub history: usize,
    /// How far back the simulated history reaches.
    pub history_days: i64,
    /// A year of in-patient episodes and settlements (medical insurance).
    pub medins: bool,
    /// The records benefits are decided on, the entitlements found from them and two months paid (welfare).
    pub welfare: bool,
    /// Guarded elders of the pilot community with their devices, and the responders (the elderly safety guardian).
    pub guardian: bool,
    /// Estates of three communities with their parties, issues, funds, a vote and a project (community governance).
    pub governance: bool,
    /// Childcare institutions with families applying and an allocation round, public rental housing
    /// applied for through its bundle with a lottery and a lease, a 善居 project (places).
    pub places: bool,
    /// The service halls' network (1 district centre, 2 central towns, 22 towns, village stations),
    /// a day of tickets at the district centre and the demo resident's appointment (halls).
    pub halls: bool,
    /// Six hospitals with their car parks, garages and street bays nearby, guidance signs and the
    /// lots' feed keys in `DATA_DIR/parking-feeds.csv` (hospital parking guidance).
    pub parking: bool,
    /// The ten libraries' catalogue (the sample titles and a synthetic district catalogue) and two
    /// residents' one-click borrowings (one-click library borrowing).
    pub library: bool,
}

impl Default for SeedOptions {
    fn default() -> Self {
        SeedOptions { residents: 5000, enterprises: 400, seed: 20_261_122, history: 1500, history_days: 75, medins: true, welfare: true, guardian: true, governance: true, places: true, halls: true, parking: true, library: true }
    }
}

/// A log-in to print for the demo.
#[derive(Debug, Clone)]
pub struct DemoLogin {
    pub login: String,
    pub who: String,
}

#[derive(Debug, Clone, Default)]
pub struct SeedReport {
    pub already_seeded: bool,
    pub divisions: usize,
    pub persons: usize,
    pub enterprises: usize,
    pub records: usize,
    pub accounts: usize,
    pub applications: usize,
    pub logins: Vec<DemoLogin>,
}

fn store_err(e: store::StoreError) -> ServerError {
    ServerError::Store(e)
}

/// Staff accounts by (department, role).
type Roster = BTreeMap<(String, Role), AccountId>;

/// Seeds the demo district unless the registers already hold people. `progress(stage, done, total)`.
pub async fn seed_demo(
    state: &AppState,
    opts: &SeedOptions,
    progress: &mut (dyn FnMut(&str, u64, u64) + Send),
) -> Result<SeedReport, ServerError> {
    let store = &state.store;
    let (_, persons, _, _) = store.registers().register_counts().await?;
    let mut report = SeedReport::default();
    if persons > 0 {
        report.already_seeded = true;
        report.logins = demo_logins(state).await?;
        return Ok(report);
    }
    let now = state.now();
    let today = china_date(now);
    let ids = state.parts.ids.clone();
    let cfg = DemoConfig { residents: opts.residents, enterprises: opts.enterprises, seed: opts.seed, today };
    progress("生成人口、企业与共享数据 generating registers", 0, 1);
    let district = crate::generate(&cfg, &ids);
    progress("生成人口、企业与共享数据 generating registers", 1, 1);

    let divisions: Vec<store::Division> = district
        .divisions
        .iter()
        .map(|d| store::Division { code: d.code.clone(), name: d.name.clone(), level: d.level.clone(), parent: d.parent.clone() })
        .collect();
    store.registers().insert_divisions(&divisions).await.map_err(store_err)?;
    report.divisions = divisions.len();

    let persons: Vec<store::Person> = district
        .persons
        .iter()
        .map(|p| store::Person {
            id: p.id,
            id_number: p.id_number.clone(),
            name: p.name.clone(),
            sex: match p.sex {
                domain::Sex::Male => "male".into(),
                domain::Sex::Female => "female".into(),
            },
            birth_date: p.birth_date,
            division: p.division.clone(),
            phone: p.phone.clone(),
            household: p.household,
            relation: p.relation.clone(),
        })
        .collect();
    let total = persons.len() as u64;
    for (i, chunk) in persons.chunks(1000).enumerate() {
        store.registers().insert_persons(chunk, now).await?;
        progress("人口库 population register", ((i + 1) * 1000).min(persons.len()) as u64, total);
    }
    report.persons = persons.len();

    let enterprises: Vec<store::Enterprise> = district
        .enterprises
        .iter()
        .map(|e| store::Enterprise {
            id: e.id,
            credit_code: e.credit_code.clone(),
            name: e.name.clone(),
            legal_rep: e.legal_rep,
            division: e.division.clone(),
            kind: e.kind.clone(),
            established_on: e.established_on,
        })
        .collect();
    store.registers().insert_enterprises(&enterprises, now).await?;
    report.enterprises = enterprises.len();

    // Building projects under way: every third company holds a construction permit (施工许可),
    // the record 夜间施工一件事 fills in from the pool.
    let mut permits = Vec::new();
    for (i, e) in district.enterprises.iter().enumerate() {
        if i % 3 == 0 && matches!(e.kind.as_str(), "有限责任公司" | "股份有限公司") {
            permits.push(store::SharedRecord {
                id: domain::RecordId(ids.next()),
                record_type: "construction_permit".into(),
                subject_kind: "enterprise".into(),
                subject_key: e.credit_code.clone(),
                department: "zjj".into(),
                issued_at: now - Duration::days(40 + (i as i64 % 200)),
                valid_until: Some(today + chrono::Days::new(300)),
                application: None,
                case: None,
                data: serde_json::json!({
                    "permit_number": format!("330111{}01{:04}", today.format("%Y%m"), i),
                    "project": format!("{}厂区改扩建工程", e.name.trim_end_matches("有限公司").trim_end_matches("股份")),
                    "builder": e.name,
                    "site": e.division,
                }),
            });
        }
    }
    let records: Vec<store::SharedRecord> = district
        .records
        .iter()
        .map(|r| store::SharedRecord {
            id: r.id,
            record_type: r.record_type.clone(),
            subject_kind: r.subject_kind.clone(),
            subject_key: r.subject_key.clone(),
            department: r.department.clone(),
            issued_at: r.issued_at,
            valid_until: r.valid_until,
            application: None,
            case: None,
            data: r.data.clone(),
        })
        .chain(permits)
        .collect();
    let total = records.len() as u64;
    for (i, chunk) in records.chunks(2000).enumerate() {
        store.onething().insert_records(chunk).await?;
        progress("共享数据 shared records", ((i + 1) * 2000).min(records.len()) as u64, total);
    }
    report.records = records.len();

    // Accounts: one password hash for every demo account.
    let (mem, it) = (state.config.argon2_memory_kib, state.config.argon2_iterations);
    let hash = tokio::task::spawn_blocking(move || server::auth::hash_password(DEMO_PASSWORD, mem, it))
        .await
        .map_err(|e| ServerError::Io("hashing".into(), std::io::Error::other(e.to_string())))?
        .map_err(|_| ServerError::Io("hashing".into(), std::io::Error::other("argon2")))?;
    let mut accounts = Vec::new();
    let mut roster: Roster = BTreeMap::new();
    let catalog = state.catalog();
    let staff = |login: &str, name: &str, roles: Vec<Role>, dept: Option<&str>, division: Option<&str>| NewAccount {
        id: AccountId(ids.next()),
        login: login.to_owned(),
        password_hash: hash.clone(),
        display_name: name.to_owned(),
        kind: AccountKind::Staff,
        roles,
        person_id: None,
        enterprise_id: None,
        department: dept.map(str::to_owned),
        division: division.map(str::to_owned),
        phone: None,
        created_at: now,
    };
    accounts.push(staff("admin", "区政务服务管理办公室 管理员", vec![Role::Admin], None, None));
    accounts.push(staff("window", "区政务服务中心 综合窗口", vec![Role::Window], None, None));
    accounts.push(staff("window_fuchun", "富春街道便民服务中心 窗口", vec![Role::Window], None, Some("330111001")));
    accounts.push(staff("window_yinhu", "银湖街道便民服务中心 窗口", vec![Role::Window], None, Some("330111006")));
    accounts.push(staff("community_worker", "富春街道 社区工作者", vec![Role::CommunityWorker], None, Some("330111001")));
    accounts.push(staff("responder", "富春街道 网格员（应急响应）", vec![Role::Responder], None, Some("330111001")));
    accounts.push(staff("responder_medic", "富春街道 社区医生（应急响应）", vec![Role::Responder], None, Some("330111001")));
    for d in catalog.departments() {
        for (role, suffix, title) in [
            (Role::Clerk, "clerk", "承办人"),
            (Role::Reviewer, "reviewer", "审核人"),
            (Role::Approver, "approver", "审批人"),
            (Role::Supervisor, "supervisor", "督办"),
        ] {
            let a = staff(&format!("{}_{suffix}", d.code), &format!("{} {title}", d.name), vec![role], Some(&d.code), None);
            roster.insert((d.code.clone(), role), a.id);
            accounts.push(a);
        }
    }
    let window_id = accounts[1].id;
    // Residents aged 16 and over, and one agent per enterprise.
    let mut person_accounts: BTreeMap<String, AccountId> = BTreeMap::new();
    for p in &district.persons {
        if domain::ResidentId::parse(&p.id_number).map(|id| id.age_on(today) >= 16).unwrap_or(false) {
            let id = AccountId(ids.next());
            person_accounts.insert(p.id_number.clone(), id);
            accounts.push(NewAccount {
                id,
                login: p.id_number.clone(),
                password_hash: hash.clone(),
                display_name: p.name.clone(),
                kind: AccountKind::Citizen,
                roles: vec![Role::Applicant],
                person_id: Some(p.id),
                enterprise_id: None,
                department: None,
                division: None,
                phone: p.phone.clone(),
                created_at: now,
            });
        }
    }
    let mut enterprise_accounts: BTreeMap<String, AccountId> = BTreeMap::new();
    for e in &district.enterprises {
        let id = AccountId(ids.next());
        enterprise_accounts.insert(e.credit_code.clone(), id);
        accounts.push(NewAccount {
            id,
            login: e.credit_code.clone(),
            password_hash: hash.clone(),
            display_name: e.name.clone(),
            kind: AccountKind::Enterprise,
            roles: vec![Role::Applicant],
            person_id: None,
            enterprise_id: Some(e.id),
            department: None,
            division: None,
            phone: None,
            created_at: now,
        });
    }
    let total = accounts.len() as u64;
    for (i, chunk) in accounts.chunks(1000).enumerate() {
        store.identity().insert_accounts(chunk).await?;
        progress("账号 accounts", ((i + 1) * 1000).min(accounts.len()) as u64, total);
    }
    report.accounts = accounts.len();

    // The simulated history.
    let applicants: Vec<Applicant> = district
        .persons
        .iter()
        .filter_map(|p| {
            person_accounts.get(&p.id_number).map(|a| Applicant {
                subject: Subject::Person,
                key: p.id_number.clone(),
                name: p.name.clone(),
                account: *a,
            })
        })
        .collect();
    let firms: Vec<Applicant> = district
        .enterprises
        .iter()
        .filter_map(|e| {
            enterprise_accounts.get(&e.credit_code).map(|a| Applicant {
                subject: Subject::Enterprise,
                key: e.credit_code.clone(),
                name: e.name.clone(),
                account: *a,
            })
        })
        .collect();
    report.applications = simulate(state, opts, &applicants, &firms, &roster, window_id, progress).await?;
    store.notices().mark_history_delivered(now).await?;
    report.logins = demo_logins(state).await?;
    report.logins.extend(crate::seed_pool::seed_pool(state, opts.seed, progress).await?);
    if opts.medins {
        crate::seed_medins::seed_medins(state, opts.seed, progress).await?;
    }
    if opts.welfare {
        crate::seed_welfare::seed_welfare(state, opts.seed, progress).await?;
    }
    if opts.guardian {
        crate::seed_guardian::seed_guardian(state, opts.seed, progress).await?;
    }
    if opts.governance {
        let logins = crate::seed_governance::seed_governance(state, opts.seed, progress).await?;
        report.logins.extend(logins);
    }
    if opts.places {
        let logins = crate::seed_places::seed_places(state, opts.seed, progress).await?;
        report.logins.extend(logins);
    }
    if opts.halls {
        let logins = crate::seed_halls::seed_halls(state, opts.seed, progress).await?;
        report.logins.extend(logins);
    }
    if opts.parking {
        let logins = crate::seed_parking::seed_parking(state, progress).await?;
        report.logins.extend(logins);
    }
    if opts.library {
        let logins = crate::seed_library::seed_library(state, opts.seed, progress).await?;
        report.logins.extend(logins);
    }
    Ok(report)
}

/// The demo log-ins worth printing.
async fn demo_logins(state: &AppState) -> Result<Vec<DemoLogin>, ServerError> {
    let mut out = vec![
        DemoLogin { login: "admin".into(), who: "区级管理员（驾驶舱、报表）district administrator".into() },
        DemoLogin { login: "window".into(), who: "区政务服务中心综合窗口（一窗受理）one-window intake".into() },
        DemoLogin { login: "wjw_clerk".into(), who: "区卫生健康局承办人 health clerk".into() },
        DemoLogin { login: "ga_clerk".into(), who: "区公安分局承办人 police clerk".into() },
        DemoLogin { login: "ga_supervisor".into(), who: "区公安分局督办 police supervisor".into() },
        DemoLogin { login: "mzj_clerk".into(), who: "区民政局承办人（待遇发放）civil affairs clerk".into() },
        DemoLogin { login: "mzj_approver".into(), who: "区民政局审批人（发放审批）civil affairs approver".into() },
        DemoLogin { login: "community_worker".into(), who: "富春街道社区工作者（走访困难家庭）community worker".into() },
        DemoLogin { login: "responder".into(), who: "富春街道网格员（养老安全守护应急响应）responder".into() },
    ];
    // A resident in her late twenties or thirties (出生一件事), and an enterprise agent (夜间施工).
    let today = china_date(state.now());
    if let Some((login, name)) = state.store.registers().demo_citizen(today).await? {
        out.push(DemoLogin { login, who: format!("居民 {name}（本人申请，如出生一件事）resident") });
    }
    if let Some((login, name)) = state.store.registers().demo_enterprise().await? {
        out.push(DemoLogin { login, who: format!("{name} 经办人（如夜间施工一件事）enterprise agent") });
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// The simulated history.

/// The action that leads from `state` toward an approved outcome by the shortest path, avoiding
/// pauses and rejections.
pub fn toward_approval<'w>(wf: &'w Workflow, state: &str) -> Option<&'w catalog::Action> {
    use std::collections::VecDeque;
    let good = |s: &str| wf.state(s).is_some_and(|x| x.outcome == Some(Outcome::Approved));
    let ok_step = |a: &catalog::Action| {
        wf.state(&a.to).is_some_and(|t| !t.pauses_clock && t.outcome != Some(Outcome::Rejected)) && !a.roles.iter().all(|r| *r == Role::Applicant)
    };
    let mut first: BTreeMap<String, &catalog::Action> = BTreeMap::new();
    let mut queue = VecDeque::new();
    queue.push_back(state.to_owned());
    let mut seen = std::collections::BTreeSet::from([state.to_owned()]);
    while let Some(s) = queue.pop_front() {
        for a in wf.actions.iter().filter(|a| a.from.contains(&s) && ok_step(a)) {
            if !seen.insert(a.to.clone()) {
                continue;
            }
            let f = if s == state { a } else { first.get(&s).copied().unwrap_or(a) };
            if good(&a.to) {
                return Some(f);
            }
            first.insert(a.to.clone(), f);
            queue.push_back(a.to.clone());
        }
    }
    None
}

fn action_to<'w>(wf: &'w Workflow, state: &str, pred: impl Fn(&catalog::State) -> bool) -> Option<&'w catalog::Action> {
    wf.actions.iter().find(|a| a.from.iter().any(|f| f == state) && wf.state(&a.to).is_some_and(&pred))
}

struct Sim<'a> {
    catalog: &'a Catalog,
    roster: &'a Roster,
    window: AccountId,
    rng: StdRng,
}

impl Sim<'_> {
    fn staff(&self, dept: &str, roles: &[Role]) -> Option<Actor> {
        for r in roles {
            if *r == Role::Window {
                return Some(Actor { account: self.window, roles: vec![Role::Window], name: "窗口".into() });
            }
            if let Some(a) = self.roster.get(&(dept.to_owned(), *r)) {
                return Some(Actor { account: *a, roles: vec![*r], name: String::new() });
            }
        }
        None
    }

    /// Hours until the next step: mostly within the promised time, sometimes (3 % of steps)
    /// late, so that some cases finish past their promised time.
    fn delay(&mut self, promised_days: u32) -> Duration {
        let late = self.rng.random_bool(0.03);
        let hours = if late {
            self.rng.random_range(24 * i64::from(promised_days.max(1)) + 48..24 * i64::from(promised_days.max(1)) * 2 + 120)
        } else {
            self.rng.random_range(1..(8 * i64::from(promised_days.max(1))).max(2))
        };
        Duration::hours(hours) + Duration::minutes(self.rng.random_range(0..60))
    }
}

/// Runs `count` past applications through the engine; returns how many were filed.
async fn simulate(
    state: &AppState,
    opts: &SeedOptions,
    people: &[Applicant],
    firms: &[Applicant],
    roster: &Roster,
    window: AccountId,
    progress: &mut (dyn FnMut(&str, u64, u64) + Send),
) -> Result<usize, ServerError> {
    let catalog = state.catalog();
    let now = state.now();
    let mut sim = Sim { catalog, roster, window, rng: StdRng::seed_from_u64(opts.seed ^ 0x5EED) };
    let person_bundles: Vec<&catalog::Bundle> = catalog.bundles().filter(|b| b.subject == Subject::Person).collect();
    let firm_bundles: Vec<&catalog::Bundle> = catalog.bundles().filter(|b| b.subject == Subject::Enterprise).collect();
    let person_items: Vec<&catalog::Item> = catalog.items().filter(|i| i.subject == Subject::Person).collect();
    if people.is_empty() || person_bundles.is_empty() {
        return Ok(0);
    }
    let sample_sha = write_sample_file(state)?;
    let mut filed = 0usize;
    let mut last_by_key: BTreeMap<(String, String), Prior> = BTreeMap::new();
    let batch = 50usize;
    let total = opts.history as u64;
    let mut done = 0u64;
    while (done as usize) < opts.history {
        let n = batch.min(opts.history - done as usize);
        let mut uploads = Vec::new();
        let mut plans: Vec<(SubmitRequest, Vec<onething::SharedRecordRef>, Option<Prior>, DateTime<Utc>)> = Vec::new();
        for _ in 0..n {
            let enterprise = !firms.is_empty() && !firm_bundles.is_empty() && sim.rng.random_bool(0.18);
            let (applicant, target) = if enterprise {
                let a = firms[sim.rng.random_range(0..firms.len())].clone();
                let b = firm_bundles[sim.rng.random_range(0..firm_bundles.len())];
                (a, Target::Bundle(b.code.clone()))
            } else {
                let a = people[sim.rng.random_range(0..people.len())].clone();
                if sim.rng.random_bool(0.2) && !person_items.is_empty() {
                    (a, Target::Item(person_items[sim.rng.random_range(0..person_items.len())].code.clone()))
                } else {
                    (a, Target::Bundle(person_bundles[sim.rng.random_range(0..person_bundles.len())].code.clone()))
                }
            };
            // Filed at a working hour on a day within the window.
            let back = sim.rng.random_range(0..opts.history_days.max(1));
            let day = now - Duration::days(back);
            let at = domain::china_start_of_day(china_date(day)) + Duration::hours(sim.rng.random_range(8..18)) + Duration::minutes(sim.rng.random_range(0..60));
            if at >= now {
                continue;
            }
            let records = state.store.onething().records_of(&applicant.key).await?;
            let prior = last_by_key.get(&(applicant.key.clone(), target.code().to_owned())).cloned();
            let known = Known { records: &records, prior: prior.as_ref() };
            let Ok(plan) = onething::plan::plan(catalog, &target, known, china_date(at)) else { continue };
            let mut form = BTreeMap::new();
            for f in &plan.fields {
                if f.prefilled.is_none() {
                    form.insert(f.field.key.clone(), sample_value(&f.field, at, &mut sim.rng));
                }
            }
            let channel = if sim.rng.random_bool(0.3) { Channel::Window } else { Channel::Online };
            let mut ups = BTreeMap::new();
            for m in plan.to_upload() {
                let id = UploadId(state.parts.ids.next());
                uploads.push(store::Upload {
                    id,
                    account: if channel == Channel::Window { window } else { applicant.account },
                    sha256: sample_sha.clone(),
                    size: SAMPLE_PDF.len() as i64,
                    content_type: "application/pdf".into(),
                    file_name: format!("{}.pdf", m.name),
                    created_at: at,
                });
                ups.insert(m.material.clone(), id);
            }
            let req = SubmitRequest {
                target,
                submitted_by: if channel == Channel::Window { window } else { applicant.account },
                applicant,
                channel,
                division: None,
                form,
                uploads: ups,
            };
            plans.push((req, records, prior, at));
        }
        state.store.onething().insert_uploads(&uploads).await?;
        // Run each application's life in memory through the engine, then save the batch at once.
        let mut finished: Vec<(Application, onething::Effects)> = Vec::new();
        let engine = state.engine();
        for (req, records, prior, at) in plans {
            let known = Known { records: &records, prior: prior.as_ref() };
            let Ok((mut app, mut effects)) = engine.submit(req.clone(), known, at) else { continue };
            live(&mut sim, &engine, &mut app, &mut effects, at, now);
            last_by_key.insert(
                (app.applicant.key.clone(), app.target.code().to_owned()),
                Prior { id: app.id, form: app.form.clone(), materials: app.materials.clone() },
            );
            finished.push((app, effects));
        }
        let count = finished.len();
        let mut items = Some(finished);
        let job = FnJob::new(Vec::new(), 0, move |uow: &mut store::UnitOfWork| {
            if let Some(list) = items.take() {
                for (app, effects) in list {
                    uow.insert(app, effects);
                }
            }
        });
        state.store.run(job).await?;
        filed += count;
        done += n as u64;
        progress("模拟历史办件 simulating past applications", done.min(total), total);
    }
    Ok(filed)
}

/// One application's life from filing to (usually) a rating, stopping at `now`.
fn live(sim: &mut Sim<'_>, engine: &onething::Engine<'_>, app: &mut Application, effects: &mut onething::Effects, start: DateTime<Utc>, now: DateTime<Utc>) {
    let mut t = start;
    let mut supplemented: std::collections::BTreeSet<domain::CaseId> = Default::default();
    for _ in 0..64 {
        let Some(case) = app.cases.iter().find(|c| matches!(c.status, CaseStatus::Active | CaseStatus::Paused)).cloned() else { break };
        let Some(wf) = sim.catalog.workflow(&case.workflow) else { break };
        let Some(st) = case.state.clone() else { break };
        let step = sim.delay(case.promised_days);
        t = t + step;
        if t >= now {
            return;
        }
        let (action, actor) = if case.status == CaseStatus::Paused {
            let Some(a) = wf.actions.iter().find(|a| a.from.contains(&st) && a.roles.contains(&Role::Applicant)) else { break };
            (a, Actor { account: app.applicant.account, roles: vec![Role::Applicant], name: String::new() })
        } else {
            let roll: f64 = sim.rng.random();
            let reject = action_to(wf, &st, |s| s.outcome == Some(Outcome::Rejected));
            let pause = action_to(wf, &st, |s| s.pauses_clock);
            let chosen = if roll < 0.02 && reject.is_some() {
                reject
            } else if roll < 0.09 && pause.is_some() && !supplemented.contains(&case.id) {
                supplemented.insert(case.id);
                pause
            } else {
                toward_approval(wf, &st)
            };
            let Some(a) = chosen else { break };
            let Some(actor) = sim.staff(&case.department, &a.roles) else { break };
            (a, actor)
        };
        let comment = action.requires_comment.then(|| match wf.state(&action.to) {
            Some(s) if s.pauses_clock => "请补充提供清晰的材料扫描件".to_owned(),
            _ => "经审查不符合办理条件".to_owned(),
        });
        let req = ActionRequest { case: case.id, action: action.code.clone(), comment, uploads: BTreeMap::new() };
        // The server's scheduler would have ticked meanwhile: a case past its promised time is
        // marked overdue before it is finished, so it counts as finished late (issue 37: without
        // this the cockpit showed 100 % on time beside 126 overdue cases).
        let (_, ticked) = engine.tick(app, t);
        effects.extend(ticked);
        match engine.act(app, req, &actor, t) {
            Ok(e) => effects.extend(e),
            Err(_) => break,
        }
    }
    if !app.status.is_finished() {
        return;
    }
    t = t + Duration::hours(sim.rng.random_range(2..72));
    if t >= now || !sim.rng.random_bool(0.85) {
        return;
    }
    let roll: f64 = sim.rng.random();
    let level = match roll {
        r if r < 0.80 => RatingLevel::VerySatisfied,
        r if r < 0.92 => RatingLevel::Satisfied,
        r if r < 0.97 => RatingLevel::Basic,
        r if r < 0.99 => RatingLevel::Dissatisfied,
        _ => RatingLevel::VeryDissatisfied,
    };
    let comment = level.is_bad().then(|| "等待时间太长，窗口解释不清楚".to_owned());
    let req = RatingRequest { level, comment, departments: Vec::new() };
    let Ok(e) = engine.rate(app, app.applicant.account, req, t) else { return };
    effects.extend(e);
    if !level.is_bad() || !sim.rng.random_bool(0.6) {
        return;
    }
    // The supervisor answers; the applicant re-rates.
    t = t + Duration::hours(sim.rng.random_range(4..48));
    if t >= now {
        return;
    }
    let rects: Vec<_> = app.rectifications.iter().filter(|r| r.status == onething::RectificationStatus::Open).map(|r| (r.id, r.department.clone())).collect();
    for (id, dept) in rects {
        let Some(sup) = sim.roster.get(&(dept, Role::Supervisor)) else { continue };
        if let Ok(e) = engine.respond_rectification(app, id, *sup, "已约谈窗口人员并优化办理流程，向您致歉", t) {
            effects.extend(e);
        }
    }
    t = t + Duration::hours(sim.rng.random_range(4..48));
    if t < now
        && let Ok(e) = engine.rate(app, app.applicant.account, RatingRequest { level: RatingLevel::Satisfied, comment: None, departments: vec![] }, t)
    {
        effects.extend(e);
    }
}

/// A plausible form value for a field.
fn sample_value(f: &catalog::Field, at: DateTime<Utc>, rng: &mut StdRng) -> String {
    use catalog::FieldKind;
    let d = china_date(at);
    match &f.kind {
        FieldKind::Date => (d + chrono::Days::new(rng.random_range(1..20))).format("%Y-%m-%d").to_string(),
        FieldKind::DateTime => {
            let day = d + chrono::Days::new(rng.random_range(2..10));
            let h = if f.key.contains("end") { 5 } else { 22 };
            format!("{}T{h:02}:00", day.format("%Y-%m-%d"))
        }
        FieldKind::Number { min, max } => {
            let lo = min.unwrap_or(1.0).max(0.0);
            let hi = max.unwrap_or(lo + 100.0).max(lo + 1.0);
            format!("{}", (lo + (hi - lo) * 0.3).round())
        }
        FieldKind::Choice { choices } => choices.first().map(|c| c.value.clone()).unwrap_or_default(),
        FieldKind::Phone => format!("139{:08}", rng.random_range(0..100_000_000u32)),
        FieldKind::IdNumber => "330183199001011237".to_owned(),
        FieldKind::CreditCode => "91330000742906207U".to_owned(),
        FieldKind::Text { max_len } | FieldKind::LongText { max_len } => {
            let v = format!("{}（示例）", f.label);
            v.chars().take(*max_len as usize).collect()
        }
    }
}

/// A tiny valid PDF standing in for every uploaded material of the simulated history.
const SAMPLE_PDF: &[u8] = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n";

fn write_sample_file(state: &AppState) -> Result<String, ServerError> {
    use sha2::Digest;
    let sha = hex::encode(sha2::Sha256::digest(SAMPLE_PDF));
    let dir = state.upload_dir.join(&sha[..2]);
    std::fs::create_dir_all(&dir).map_err(|e| ServerError::Io(dir.display().to_string(), e))?;
    let path = dir.join(&sha);
    if !path.exists() {
        std::fs::write(&path, SAMPLE_PDF).map_err(|e| ServerError::Io(path.display().to_string(), e))?;
    }
    Ok(sha)
}

/// The signed-in principal of a demo account, for seeding through the use cases as that person
/// (`area` names the seeding in the error).
pub(crate) async fn principal(state: &AppState, login: &str, area: &str) -> Result<server::auth::Principal, ServerError> {
    let (account, _) = state
        .store
        .identity()
        .account_for_login(login)
        .await?
        .ok_or_else(|| ServerError::Seed(format!("{area}: no demo account {login}")))?;
    Ok(server::auth::Principal { account, token_hash: String::new() })
}
