//! The test world: a catalog, the China calendar, an id source and the rules; a `Story` that runs
//! one application through the engine with a clock the test moves by hand, collecting every effect.

use std::collections::BTreeMap;

use catalog::{Catalog, FieldKind, Outcome, Role, Source, Subject, Workflow};
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use domain::{AccountId, CHINA_OFFSET, CaseId, CreditCode, IdGenerator, RecordId, ResidentId, UploadId, WorkCalendar};
use onething::history;
use onething::{
    ActionRequest, Actor, Applicant, Application, Channel, Effects, Engine, EngineError, HistoryEntry, IssuedRecord,
    Known, NoticeDraft, Plan, Prior, Recipient, Rules, SharedRecordRef, SubmitRequest, Target, TickOutcome,
};

pub const APPLICANT: AccountId = AccountId(1001);
pub const WINDOW_CLERK: AccountId = AccountId(2001);
pub const STAFF: AccountId = AccountId(3001);
pub const SUPERVISOR: AccountId = AccountId(4001);

/// An instant given as China time (UTC+8).
pub fn china(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    CHINA_OFFSET
        .with_ymd_and_hms(y, m, d, h, min, 0)
        .single()
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| panic!("bad time {y}-{m}-{d} {h}:{min}"))
}

pub fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or_else(|| panic!("bad date {y}-{m}-{d}"))
}

/// Friday 2025-09-26 09:00, just before the National Day holiday (10-01 … 10-08; 09-28 and 10-11
/// are adjusted working days).
pub fn start_time() -> DateTime<Utc> {
    china(2025, 9, 26, 9, 0)
}

pub struct World {
    pub catalog: Catalog,
    pub calendar: WorkCalendar,
    pub ids: IdGenerator,
    pub rules: Rules,
}

impl World {
    pub fn demo() -> World {
        World::with(Catalog::demo())
    }

    pub fn with(catalog: Catalog) -> World {
        World { catalog, calendar: WorkCalendar::china(), ids: IdGenerator::new(7), rules: Rules::default() }
    }

    /// A catalog from inline TOML texts.
    pub fn inline(texts: &[&str]) -> World {
        let sources: Vec<Source> =
            texts.iter().enumerate().map(|(i, t)| Source::new(format!("inline{i}.toml"), *t)).collect();
        match Catalog::from_sources(&sources) {
            Ok(c) => World::with(c),
            Err(e) => panic!("inline catalog is invalid: {e}"),
        }
    }

    pub fn engine(&self) -> Engine<'_> {
        Engine { catalog: &self.catalog, calendar: &self.calendar, ids: &self.ids, rules: &self.rules }
    }

    pub fn plan(&self, target: &Target, known: Known<'_>, now: DateTime<Utc>) -> Plan {
        match onething::plan::plan(&self.catalog, target, known, domain::china_date(now)) {
            Ok(p) => p,
            Err(e) => panic!("plan of {target:?}: {e}"),
        }
    }

    pub fn subject_of(&self, target: &Target) -> Subject {
        match target {
            Target::Bundle(c) => self.catalog.bundle(c).map(|b| b.subject),
            Target::Item(c) => self.catalog.item(c).map(|i| i.subject),
        }
        .unwrap_or(Subject::Person)
    }

    /// A shared record of `record_type` for the applicant, issued by its publishing department.
    pub fn record(&self, record_type: &str, issued_at: DateTime<Utc>) -> SharedRecordRef {
        let rt = self.catalog.record_type(record_type).unwrap_or_else(|| panic!("no record type {record_type}"));
        SharedRecordRef {
            id: RecordId(self.ids.next()),
            record_type: rt.code.clone(),
            department: rt.department.clone(),
            issued_at,
            valid_until: None,
        }
    }

    /// One shared record of every record type of the subject, issued a year before `now`.
    pub fn all_records(&self, subject: Subject, now: DateTime<Utc>) -> Vec<SharedRecordRef> {
        self.catalog
            .record_types()
            .filter(|r| r.subject == subject)
            .map(|r| self.record(&r.code, now - Duration::days(365)))
            .collect()
    }
}

pub fn person() -> Applicant {
    let id = ResidentId::from_parts("330183", date(1990, 3, 7), 123).unwrap_or_else(|e| panic!("{e:?}"));
    Applicant { subject: Subject::Person, key: id.as_str().to_owned(), name: "张三".into(), account: APPLICANT }
}

pub fn enterprise() -> Applicant {
    let code = CreditCode::from_parts('9', '1', "330183", "74290620").unwrap_or_else(|e| panic!("{e:?}"));
    Applicant {
        subject: Subject::Enterprise,
        key: code.as_str().to_owned(),
        name: "富阳建工有限公司".into(),
        account: APPLICANT,
    }
}

pub fn applicant_for(subject: Subject) -> Applicant {
    match subject {
        Subject::Person => person(),
        Subject::Enterprise => enterprise(),
    }
}

/// A valid value for a field of this kind.
pub fn valid_value(kind: &FieldKind) -> String {
    match kind {
        FieldKind::Text { .. } => "测试".into(),
        FieldKind::LongText { .. } => "夜间浇筑混凝土，工艺要求连续施工".into(),
        FieldKind::Date => "2025-09-20".into(),
        FieldKind::DateTime => "2025-10-10T22:00".into(),
        FieldKind::Number { min, max } => {
            let n = min.unwrap_or(1.0).max(1.0);
            let n = max.map_or(n, |m| n.min(m));
            format!("{n}")
        }
        FieldKind::Choice { choices } => choices.first().map(|c| c.value.clone()).unwrap_or_default(),
        FieldKind::IdNumber => person().key,
        FieldKind::CreditCode => enterprise().key,
        FieldKind::Phone => "13800001234".into(),
    }
}

/// A valid value for every field of the plan that is not prefilled.
pub fn form_for(plan: &Plan) -> BTreeMap<String, String> {
    plan.fields
        .iter()
        .filter(|f| f.prefilled.is_none())
        .map(|f| (f.field.key.clone(), valid_value(&f.field.kind)))
        .collect()
}

/// An upload for every material the plan says the applicant must provide.
pub fn uploads_for(plan: &Plan, base: i64) -> BTreeMap<String, UploadId> {
    plan.to_upload().enumerate().map(|(i, m)| (m.material.clone(), UploadId(base + i as i64))).collect()
}

pub fn actor(account: AccountId, roles: &[Role]) -> Actor {
    Actor { account, roles: roles.to_vec(), name: "测试人员".into() }
}

pub fn applicant_actor() -> Actor {
    actor(APPLICANT, &[Role::Applicant])
}

/// The shortest path of actions from `from` to an approved terminal state, avoiding pausing states.
pub fn path_to_approval(wf: &Workflow, from: &str) -> Vec<String> {
    let mut prev: BTreeMap<String, (String, String)> = BTreeMap::new();
    let mut queue = std::collections::VecDeque::from([from.to_owned()]);
    let mut seen = std::collections::BTreeSet::from([from.to_owned()]);
    while let Some(s) = queue.pop_front() {
        if wf.state(&s).is_some_and(|st| st.outcome == Some(Outcome::Approved)) {
            let mut path = Vec::new();
            let mut cur = s;
            while let Some((p, a)) = prev.get(&cur) {
                path.push(a.clone());
                cur = p.clone();
            }
            path.reverse();
            return path;
        }
        for a in wf.actions_from(&s) {
            let to = wf.state(&a.to);
            if to.is_some_and(|t| t.pauses_clock || t.outcome == Some(Outcome::Rejected)) {
                continue;
            }
            if seen.insert(a.to.clone()) {
                prev.insert(a.to.clone(), (s.clone(), a.code.clone()));
                queue.push_back(a.to.clone());
            }
        }
    }
    panic!("workflow {} cannot reach approval from {from}", wf.code)
}

/// One application run through the engine, with every effect it produced.
pub struct Story<'w> {
    pub world: &'w World,
    pub app: Application,
    pub now: DateTime<Utc>,
    pub history: Vec<HistoryEntry>,
    pub notices: Vec<NoticeDraft>,
    pub records: Vec<IssuedRecord>,
}

pub struct Submission<'a> {
    pub target: Target,
    pub known: Known<'a>,
    pub channel: Channel,
    pub form: Option<BTreeMap<String, String>>,
    pub uploads: Option<BTreeMap<String, UploadId>>,
}

impl<'a> Submission<'a> {
    pub fn bundle(code: &str) -> Submission<'a> {
        Submission {
            target: Target::Bundle(code.into()),
            known: Known::default(),
            channel: Channel::Online,
            form: None,
            uploads: None,
        }
    }
    pub fn item(code: &str) -> Submission<'a> {
        Submission { target: Target::Item(code.into()), ..Submission::bundle("") }
    }
    pub fn known(mut self, known: Known<'a>) -> Self {
        self.known = known;
        self
    }
    pub fn channel(mut self, channel: Channel) -> Self {
        self.channel = channel;
        self
    }
    pub fn form(mut self, form: BTreeMap<String, String>) -> Self {
        self.form = Some(form);
        self
    }
    pub fn uploads(mut self, uploads: BTreeMap<String, UploadId>) -> Self {
        self.uploads = Some(uploads);
        self
    }

    /// The request, with a valid form and every missing upload unless given.
    pub fn request(&self, world: &World, now: DateTime<Utc>) -> SubmitRequest {
        let plan = world.plan(&self.target, self.known, now);
        let applicant = applicant_for(world.subject_of(&self.target));
        SubmitRequest {
            target: self.target.clone(),
            submitted_by: match self.channel {
                Channel::Online => applicant.account,
                Channel::Window => WINDOW_CLERK,
            },
            applicant,
            channel: self.channel,
            division: None,
            form: self.form.clone().unwrap_or_else(|| form_for(&plan)),
            uploads: self.uploads.clone().unwrap_or_else(|| uploads_for(&plan, 500)),
        }
    }
}

impl<'w> Story<'w> {
    pub fn submit(world: &'w World, sub: Submission<'_>, now: DateTime<Utc>) -> Story<'w> {
        match Story::try_submit(world, sub, now) {
            Ok(s) => s,
            Err(e) => panic!("submit failed: {e:?}"),
        }
    }

    pub fn try_submit(world: &'w World, sub: Submission<'_>, now: DateTime<Utc>) -> Result<Story<'w>, EngineError> {
        let req = sub.request(world, now);
        let (app, effects) = world.engine().submit(req, sub.known, now)?;
        let mut s = Story { world, app, now, history: Vec::new(), notices: Vec::new(), records: Vec::new() };
        s.absorb(effects);
        Ok(s)
    }

    pub fn absorb(&mut self, e: Effects) {
        self.history.extend(e.history);
        self.notices.extend(e.notices);
        self.records.extend(e.records);
    }

    pub fn advance(&mut self, d: Duration) {
        self.now += d;
    }

    pub fn set_now(&mut self, t: DateTime<Utc>) {
        assert!(t >= self.now, "time goes forward");
        self.now = t;
    }

    pub fn case_id(&self, item: &str) -> CaseId {
        self.app.case_by_item(item).unwrap_or_else(|| panic!("no case for {item}")).id
    }

    pub fn case(&self, item: &str) -> &onething::ItemCase {
        self.app.case_by_item(item).unwrap_or_else(|| panic!("no case for {item}"))
    }

    pub fn state_of(&self, item: &str) -> Option<String> {
        self.case(item).state.clone()
    }

    pub fn request(&self, item: &str, action: &str, comment: Option<&str>) -> ActionRequest {
        ActionRequest {
            case: self.case_id(item),
            action: action.into(),
            comment: comment.map(str::to_owned),
            uploads: BTreeMap::new(),
        }
    }

    pub fn try_act_req(&mut self, req: ActionRequest, who: &Actor) -> Result<Effects, EngineError> {
        let now = self.now;
        let engine = self.world.engine();
        let e = engine.act(&mut self.app, req, who, now)?;
        self.absorb(e.clone());
        Ok(e)
    }

    pub fn try_act(
        &mut self,
        item: &str,
        action: &str,
        who: &Actor,
        comment: Option<&str>,
    ) -> Result<Effects, EngineError> {
        let req = self.request(item, action, comment);
        self.try_act_req(req, who)
    }

    /// Takes an action that must succeed.
    pub fn act(&mut self, item: &str, action: &str, who: &Actor, comment: Option<&str>) -> Effects {
        match self.try_act(item, action, who, comment) {
            Ok(e) => e,
            Err(e) => panic!("{item}: {action} failed: {e:?}"),
        }
    }

    /// Takes an action with an actor holding only the first role the action allows.
    pub fn act_as_allowed(&mut self, item: &str, action: &str) -> Effects {
        let wf = self.workflow_of(item);
        let a = wf.action(action).unwrap_or_else(|| panic!("no action {action}"));
        let role = a.roles[0];
        let comment = a.requires_comment.then_some("同意");
        let who = if role == Role::Applicant { applicant_actor() } else { actor(STAFF, &[role]) };
        self.act(item, action, &who, comment)
    }

    pub fn workflow_of(&self, item: &str) -> Workflow {
        let code = self.case(item).workflow.clone();
        self.world.catalog.workflow(&code).cloned().unwrap_or_else(|| panic!("no workflow {code}"))
    }

    /// Drives one active case to approval along the shortest path.
    pub fn approve(&mut self, item: &str) {
        let state = self.state_of(item).unwrap_or_else(|| panic!("{item} has not started"));
        for action in path_to_approval(&self.workflow_of(item), &state) {
            self.act_as_allowed(item, &action);
        }
    }

    /// Approves every case as it becomes active, in case order, until none is active.
    pub fn approve_all(&mut self) {
        loop {
            let next = self.app.cases.iter().find(|c| c.status == onething::CaseStatus::Active).map(|c| c.item.clone());
            match next {
                Some(item) => self.approve(&item),
                None => break,
            }
        }
    }

    pub fn tick(&mut self) -> TickOutcome {
        let now = self.now;
        let (out, e) = self.world.engine().tick(&mut self.app, now);
        self.absorb(e);
        out
    }

    pub fn verify_history(&self) {
        if let Err(e) = history::verify(self.app.id, &self.history, &self.app.history) {
            panic!("history does not verify: {e}");
        }
    }

    /// The notices to the applicant.
    pub fn applicant_notices(&self) -> Vec<&NoticeDraft> {
        self.notices.iter().filter(|n| n.recipient == Recipient::applicant(APPLICANT)).collect()
    }

    /// The application as the prior of a repeat application.
    pub fn as_prior(&self) -> Prior {
        Prior { id: self.app.id, form: self.app.form.clone(), materials: self.app.materials.clone() }
    }
}

/// The history actions, with the item of the case they concern.
pub fn actions(app: &Application, entries: &[HistoryEntry]) -> Vec<String> {
    entries
        .iter()
        .map(|e| match e.case.and_then(|c| app.case(c)) {
            Some(c) => format!("{}:{}", c.item, e.action),
            None => e.action.clone(),
        })
        .collect()
}

/// Records issued by an application, as shared records for the next one.
pub fn as_shared(records: &[IssuedRecord]) -> Vec<SharedRecordRef> {
    records
        .iter()
        .map(|r| SharedRecordRef {
            id: r.id,
            record_type: r.record_type.clone(),
            department: r.department.clone(),
            issued_at: r.issued_at,
            valid_until: r.valid_until,
        })
        .collect()
}
