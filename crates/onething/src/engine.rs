//! The one-thing lifecycle: filing an application, running each item case through its workflow,
//! starting items when their prerequisites are issued, applying the bundle's rejection policy, and
//! deriving the application's status and deadline.

use std::collections::{BTreeMap, BTreeSet};

use catalog::{Catalog, Outcome, RejectPolicy, Role, Subject};
use chrono::{DateTime, Utc};
use domain::{AccountId, ApplicationId, CaseId, IdGenerator, RecordId, UploadId, WorkCalendar, china_date};
use serde::{Deserialize, Serialize};

use crate::application::{
    AppStatus, Applicant, Application, Baseline, CaseStatus, Channel, ItemCase, MaterialEntry,
    MaterialSource, Target, Touched,
};
use crate::deadline;
use crate::error::{EngineError, Result};
use crate::form::check_value_on;
use crate::history::{self, ChainHead, EntryDraft, HistoryEntry};
use crate::notice::{NoticeDraft, Recipient};
use crate::plan::{self, Known, Provision};

/// Tunable rules of the engine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rules {
    /// Warn this many working days before a case's promised deadline.
    pub warn_working_days: u32,
    /// Working days a supervisor has to answer a bad rating (差评整改时限).
    pub rectification_days: u32,
    /// Longest comment on an action, in characters.
    pub max_comment_chars: usize,
    /// Longest rating comment, in characters.
    pub max_rating_comment_chars: usize,
}

impl Default for Rules {
    fn default() -> Self {
        Rules {
            warn_working_days: 1,
            rectification_days: 5,
            max_comment_chars: 2000,
            max_rating_comment_chars: 500,
        }
    }
}

/// A record an approved item issues into the shared data pool.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IssuedRecord {
    pub id: RecordId,
    pub record_type: String,
    pub subject: Subject,
    pub subject_key: String,
    pub department: String,
    pub issued_at: DateTime<Utc>,
    pub valid_until: Option<chrono::NaiveDate>,
    pub application: ApplicationId,
    pub case: CaseId,
    /// The record's content as a JSON object.
    pub data: serde_json::Value,
}

/// Everything a change produces besides the new state of the application; written in the same
/// transaction.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Effects {
    pub history: Vec<HistoryEntry>,
    pub notices: Vec<NoticeDraft>,
    pub records: Vec<IssuedRecord>,
}

impl Effects {
    pub fn extend(&mut self, other: Effects) {
        self.history.extend(other.history);
        self.notices.extend(other.notices);
        self.records.extend(other.records);
    }
}

/// A request to file an application.
#[derive(Debug, Clone, PartialEq)]
pub struct SubmitRequest {
    pub target: Target,
    pub applicant: Applicant,
    pub submitted_by: AccountId,
    pub channel: Channel,
    pub division: Option<String>,
    pub form: BTreeMap<String, String>,
    /// Uploads the applicant provides, by material code (ownership is checked by the caller).
    pub uploads: BTreeMap<String, UploadId>,
}

/// An action on an item case.
#[derive(Debug, Clone, PartialEq)]
pub struct ActionRequest {
    pub case: CaseId,
    pub action: String,
    pub comment: Option<String>,
    /// Supplementary uploads, by material code.
    pub uploads: BTreeMap<String, UploadId>,
}

/// The engine: the catalog, the calendar, an id source and the rules. Cheap to build per call.
#[derive(Clone, Copy)]
pub struct Engine<'a> {
    pub catalog: &'a Catalog,
    pub calendar: &'a WorkCalendar,
    pub ids: &'a IdGenerator,
    pub rules: &'a Rules,
}

/// A change being built: the history chain and the effects collected so far.
pub(crate) struct Change<'e> {
    pub now: DateTime<Utc>,
    pub app_id: ApplicationId,
    pub head: &'e mut ChainHead,
    pub effects: Effects,
    /// The change is the filing itself: items starting now are announced by the filing notice.
    pub filing: bool,
}

impl Change<'_> {
    pub fn log(&mut self, draft: EntryDraft) {
        let e = history::append(self.head, self.app_id, self.now, draft);
        self.effects.history.push(e);
    }
    pub fn notify(&mut self, recipient: Recipient, kind: &str, case: Option<CaseId>, zh: String, en: String) {
        self.effects.notices.push(NoticeDraft::new(self.now, recipient, kind, self.app_id, case, zh, en));
    }
}

fn detail(comment: Option<&str>) -> String {
    match comment {
        Some(c) if !c.is_empty() => serde_json::json!({ "comment": c }).to_string(),
        _ => String::new(),
    }
}

impl<'a> Engine<'a> {
    fn item_name(&self, code: &str) -> (String, String) {
        self.catalog
            .item(code)
            .map(|i| (i.name.clone(), i.name_en.clone()))
            .unwrap_or_else(|| (code.to_owned(), code.to_owned()))
    }

    fn target_name(&self, t: &Target) -> (String, String) {
        match t {
            Target::Bundle(c) => self
                .catalog
                .bundle(c)
                .map(|b| (b.name.clone(), b.name_en.clone()))
                .unwrap_or_else(|| (c.clone(), c.clone())),
            Target::Item(c) => self.item_name(c),
        }
    }

    /// Files an application: checks the form and materials, creates a case per item, starts the
    /// items whose prerequisites are met, and notifies the applicant.
    pub fn submit(
        &self,
        req: SubmitRequest,
        known: Known<'_>,
        now: DateTime<Utc>,
    ) -> Result<(Application, Effects)> {
        let now = history::truncate_micros(now);
        let today = china_date(now);
        let plan = plan::plan(self.catalog, &req.target, known, today)?;
        if plan.subject != req.applicant.subject {
            return Err(EngineError::WrongSubject {
                target: self.target_name(&req.target).0,
                expected: match plan.subject {
                    Subject::Person => "person",
                    Subject::Enterprise => "enterprise",
                },
            });
        }

        // The form: reuse what may be reused, then check every value.
        let mut form = BTreeMap::new();
        for key in req.form.keys() {
            if !plan.fields.iter().any(|f| &f.field.key == key) {
                return Err(EngineError::UnknownField(key.clone()));
            }
        }
        for pf in &plan.fields {
            let f = &pf.field;
            let given = req.form.get(&f.key).filter(|v| !v.trim().is_empty());
            let value = given.cloned().or_else(|| pf.prefilled.clone());
            match value {
                Some(v) => {
                    let v = check_value_on(f, &v, today).map_err(|(zh, en)| EngineError::InvalidField {
                        key: f.key.clone(),
                        label: f.label.clone(),
                        reason_zh: zh,
                        reason_en: en,
                    })?;
                    form.insert(f.key.clone(), v);
                }
                None if f.required => {
                    return Err(EngineError::MissingField { key: f.key.clone(), label: f.label.clone() });
                }
                None => {}
            }
        }

        // The materials: uploads only for what is still missing.
        for code in req.uploads.keys() {
            match plan.materials.iter().find(|m| &m.material == code) {
                None => return Err(EngineError::MaterialNotNeeded(code.clone())),
                Some(m) => {
                    if matches!(m.provision, Provision::Shared { .. } | Provision::IssuedInBundle { .. }) {
                        return Err(EngineError::MaterialAlreadyFilled {
                            code: code.clone(),
                            name: m.name.clone(),
                        });
                    }
                }
            }
        }
        let mut materials = Vec::with_capacity(plan.materials.len());
        let mut missing = Vec::new();
        for m in &plan.materials {
            let source = match (&m.provision, req.uploads.get(&m.material)) {
                (Provision::Shared { record }, _) => MaterialSource::Shared {
                    record_id: record.id,
                    record_type: record.record_type.clone(),
                    department: record.department.clone(),
                    issued_at: record.issued_at,
                },
                (Provision::IssuedInBundle { item }, _) => {
                    MaterialSource::IssuedInBundle { item: item.clone(), record_id: None }
                }
                (_, Some(upload)) => MaterialSource::Upload { upload_id: *upload },
                (Provision::Reused { source }, None) => source.clone(),
                (Provision::ToUpload, None) => {
                    missing.push((m.material.clone(), m.name.clone()));
                    continue;
                }
            };
            materials.push(MaterialEntry { material: m.material.clone(), needed_by: m.needed_by.clone(), source });
        }
        if !missing.is_empty() {
            return Err(EngineError::MissingMaterials(missing));
        }

        // The cases, one per item.
        let mut baseline = Baseline::default();
        let mut cases = Vec::with_capacity(plan.items.len());
        for code in &plan.items {
            let item = self.catalog.item(code).ok_or_else(|| EngineError::UnknownItem(code.clone()))?;
            baseline.materials += u32::try_from(item.materials.len()).unwrap_or(u32::MAX);
            baseline.trips += item.visits;
            baseline.days += item.promised_days;
            baseline.items += 1;
            cases.push(ItemCase {
                id: CaseId(self.ids.next()),
                item: code.clone(),
                department: item.department.clone(),
                workflow: item.workflow.clone(),
                status: CaseStatus::Waiting,
                state: None,
                promised_days: item.promised_days,
                legal_days: item.legal_days,
                started_at: None,
                state_entered_at: None,
                finished_at: None,
                promised_deadline: None,
                legal_deadline: None,
                state_deadline: None,
                paused_since: None,
                paused_days: 0,
                warned: false,
                overdue: false,
                legal_overdue: false,
                state_overdue: false,
                next_check_on: None,
            });
        }

        let mut app = Application {
            id: ApplicationId(self.ids.next()),
            target: req.target,
            applicant: req.applicant,
            submitted_by: req.submitted_by,
            channel: req.channel,
            division: req.division,
            status: AppStatus::InProgress,
            submitted_at: now,
            finished_at: None,
            deadline: None,
            form,
            materials,
            cases,
            baseline,
            extra_trips: 0,
            elapsed_days: None,
            ratings: Vec::new(),
            rectifications: Vec::new(),
            history: ChainHead::default(),
            version: 0,
            touched: Touched::default(),
        };
        app.mark_all_touched();

        let mut head = app.history.clone();
        let mut ch = Change { now, app_id: app.id, head: &mut head, effects: Effects::default(), filing: true };
        let uploaded = app.uploaded_materials();
        let mut d = EntryDraft::system("submitted");
        d.actor = Some(app.submitted_by);
        d.role = match app.channel {
            Channel::Online => Role::Applicant.code().to_owned(),
            Channel::Window => Role::Window.code().to_owned(),
        };
        d.detail = serde_json::json!({
            "target": app.target.code(),
            "channel": app.channel.code(),
            "materials_uploaded": uploaded,
            "materials_total": app.materials.len(),
            "prior": plan.prior.map(|p| p.to_string()),
        })
        .to_string();
        ch.log(d);
        self.start_ready_cases(&mut app, &mut ch);
        // Items approved on arrival may have finished the whole application already.
        self.finish_change(&mut app, &mut ch);
        let (zh, en) = self.target_name(&app.target);
        let deadline = app.deadline.map(|d| d.to_string()).unwrap_or_default();
        let n = app.cases.len();
        // The receipt comes first, before the notices of the items that started with it; it is
        // written last because it tells the deadline derived from the started items.
        ch.effects.notices.insert(
            0,
            NoticeDraft::new(
                now,
                Recipient::applicant(app.applicant.account),
                "submitted",
                app.id,
                None,
                format!("【富阳政务】您的「{zh}」申请已提交，共{n}个事项由相关部门并联办理，预计{deadline}前办结。"),
                format!("Your application '{en}' was received: {n} item(s) handled in parallel, expected by {deadline}."),
            ),
        );
        let effects = ch.effects;
        app.history = head;
        Ok((app, effects))
    }

    /// Starts every waiting case whose prerequisites are all approved.
    fn start_ready_cases(&self, app: &mut Application, ch: &mut Change<'_>) {
        let bundle = match &app.target {
            Target::Bundle(c) => self.catalog.bundle(c),
            Target::Item(_) => None,
        };
        let approved: BTreeSet<String> = app
            .cases
            .iter()
            .filter(|c| c.status == CaseStatus::Approved)
            .map(|c| c.item.clone())
            .collect();
        let ready: Vec<CaseId> = app
            .cases
            .iter()
            .filter(|c| c.status == CaseStatus::Waiting)
            .filter(|c| {
                bundle
                    .map(|b| b.prerequisites_of(&c.item).iter().all(|p| approved.contains(p)))
                    .unwrap_or(true)
            })
            .map(|c| c.id)
            .collect();
        for id in ready {
            // A case approved on arrival starts its own dependents, and may have started this
            // one already.
            if app.case(id).is_some_and(|c| c.status == CaseStatus::Waiting) {
                self.start_case(app, id, ch);
            }
        }
    }

    fn start_case(&self, app: &mut Application, id: CaseId, ch: &mut Change<'_>) {
        let today = china_date(ch.now);
        let account = app.applicant.account;
        let Some(case) = app.case_mut(id) else { return };
        let Some(wf) = self.catalog.workflow(&case.workflow) else { return };
        case.status = CaseStatus::Active;
        case.started_at = Some(ch.now);
        case.promised_deadline = Some(self.calendar.add_working_days(today, case.promised_days));
        case.legal_deadline = Some(self.calendar.add_working_days(today, case.legal_days));
        let start = wf.start.clone();
        let item = case.item.clone();
        let dept = case.department.clone();
        let deadline = case.promised_deadline;
        ch.log(EntryDraft {
            case: Some(id),
            actor: None,
            role: "system".into(),
            action: "started".into(),
            from_state: None,
            to_state: Some(start.clone()),
            detail: serde_json::json!({ "item": item, "department": dept,
                "promised_deadline": deadline.map(|d| d.to_string()) })
            .to_string(),
        });
        if app.cases.len() > 1 && !ch.filing {
            let (zh, en) = self.item_name(&item);
            let dname = self.catalog.department(&dept).map(|d| d.name.clone()).unwrap_or(dept);
            let d = deadline.map(|d| d.to_string()).unwrap_or_default();
            ch.notify(
                Recipient::applicant(account),
                "case_started",
                Some(id),
                format!("【富阳政务】「{zh}」已由{dname}开始办理，承诺{d}前办结。"),
                format!("'{en}' is now being handled, promised by {d}."),
            );
        }
        self.enter_state(app, id, &start, ch);
    }

    /// Puts a case into a workflow state, applying the state's pause, limit and outcome.
    fn enter_state(&self, app: &mut Application, id: CaseId, state_code: &str, ch: &mut Change<'_>) {
        let today = china_date(ch.now);
        let Some(case) = app.case_mut(id) else { return };
        let Some(wf) = self.catalog.workflow(&case.workflow) else { return };
        let Some(state) = wf.state(state_code) else { return };
        let was_paused = case.status == CaseStatus::Paused;
        // `warned` is about the deadline of the clock's current phase: the promised deadline while
        // the case runs, the applicant's supplement limit while it is paused.
        let pause_had_limit = case
            .state
            .as_deref()
            .and_then(|s| wf.state(s))
            .is_some_and(|s| s.pauses_clock && s.time_limit_days.is_some());
        // Leaving a paused state: the deadlines move on by the working days the clock stood still.
        if was_paused && !state.pauses_clock {
            if let Some(since) = case.paused_since.take() {
                let paused = self.calendar.working_days_between(china_date(since), today).max(0);
                let paused = u32::try_from(paused).unwrap_or(0);
                case.paused_days += paused;
                case.promised_deadline = case.promised_deadline.map(|d| self.calendar.add_working_days(d, paused));
                case.legal_deadline = case.legal_deadline.map(|d| self.calendar.add_working_days(d, paused));
                // A moved deadline is worth a new warning; and a warning given during the pause
                // was about the supplement, not the promised deadline.
                if paused > 0 || pause_had_limit {
                    case.warned = false;
                }
            }
            case.status = CaseStatus::Active;
        }
        case.state = Some(state.code.clone());
        case.state_entered_at = Some(ch.now);
        case.state_overdue = false;
        case.state_deadline = state.time_limit_days.map(|n| self.calendar.add_working_days(today, n));
        if state.pauses_clock && case.status == CaseStatus::Active {
            case.status = CaseStatus::Paused;
            case.paused_since = Some(ch.now);
            if state.time_limit_days.is_some() {
                // The applicant is to be warned before the supplement limit.
                case.warned = false;
            }
        }
        match state.outcome {
            Some(Outcome::Approved) => {
                case.status = CaseStatus::Approved;
                case.finished_at = Some(ch.now);
                case.state_deadline = None;
                self.issue_outputs(app, id, ch);
                self.start_ready_cases(app, ch);
            }
            Some(Outcome::Rejected) => {
                case.status = CaseStatus::Rejected;
                case.finished_at = Some(ch.now);
                case.state_deadline = None;
                self.apply_reject_policy(app, id, ch);
            }
            None => {}
        }
        if let Some(case) = app.case_mut(id) {
            deadline::refresh_case(case, self.calendar, self.rules);
        }
    }

    /// Publishes the outputs of an approved case into the shared pool and links them to the
    /// materials of later items that wait for them.
    fn issue_outputs(&self, app: &mut Application, id: CaseId, ch: &mut Change<'_>) {
        let today = china_date(ch.now);
        let Some(case) = app.case(id).cloned() else { return };
        let Some(item) = self.catalog.item(&case.item) else { return };
        for rt_code in &item.outputs {
            let Some(rt) = self.catalog.record_type(rt_code) else { continue };
            let rid = RecordId(self.ids.next());
            let valid_until = rt
                .validity_days
                .filter(|d| *d > 0)
                .map(|d| today + chrono::Days::new(u64::from(d)));
            ch.effects.records.push(IssuedRecord {
                id: rid,
                record_type: rt.code.clone(),
                subject: app.applicant.subject,
                subject_key: app.applicant.key.clone(),
                department: case.department.clone(),
                issued_at: ch.now,
                valid_until,
                application: app.id,
                case: id,
                data: serde_json::json!({
                    "name": rt.name,
                    "holder": app.applicant.name,
                    "item": item.code,
                    "item_name": item.name,
                    "application": app.id.to_string(),
                    "form": app.form,
                }),
            });
            for m in &mut app.materials {
                let wanted = self.catalog.material(&m.material).and_then(|x| x.satisfied_by.as_deref());
                if let MaterialSource::IssuedInBundle { item: by, record_id } = &mut m.source
                    && by == &case.item
                    && wanted == Some(rt.code.as_str())
                {
                    *record_id = Some(rid);
                    app.touched.docs = true;
                }
            }
        }
        let (zh, en) = self.item_name(&case.item);
        let outputs: Vec<String> = item
            .outputs
            .iter()
            .filter_map(|o| self.catalog.record_type(o).map(|r| format!("「{}」", r.name)))
            .collect();
        let issued = if outputs.is_empty() { String::new() } else { format!("，已出具{}", outputs.join("、")) };
        ch.notify(
            Recipient::applicant(app.applicant.account),
            "case_approved",
            Some(id),
            format!("【富阳政务】「{zh}」已办结{issued}。"),
            format!("'{en}' is approved."),
        );
    }

    /// Applies the bundle's policy when a case is rejected.
    fn apply_reject_policy(&self, app: &mut Application, rejected: CaseId, ch: &mut Change<'_>) {
        let bundle = match &app.target {
            Target::Bundle(c) => self.catalog.bundle(c),
            Target::Item(_) => None,
        };
        let Some(bundle) = bundle else { return };
        let Some(rejected_item) = app.case(rejected).map(|c| c.item.clone()) else { return };
        let to_cancel: Vec<CaseId> = match bundle.on_reject {
            RejectPolicy::FailBundle => app.cases.iter().filter(|c| c.status.is_open()).map(|c| c.id).collect(),
            RejectPolicy::Continue => {
                // Cancel every open case that depends, directly or not, on the rejected item.
                let mut blocked: BTreeSet<String> = BTreeSet::from([rejected_item.clone()]);
                loop {
                    let before = blocked.len();
                    for c in &app.cases {
                        if bundle.prerequisites_of(&c.item).iter().any(|p| blocked.contains(p)) {
                            blocked.insert(c.item.clone());
                        }
                    }
                    if blocked.len() == before {
                        break;
                    }
                }
                app.cases
                    .iter()
                    .filter(|c| c.status.is_open() && blocked.contains(&c.item))
                    .map(|c| c.id)
                    .collect()
            }
        };
        let (rz, re) = self.item_name(&rejected_item);
        for id in to_cancel {
            self.cancel_case(app, id, ch, &format!("「{rz}」未通过"), &format!("'{re}' was rejected"));
        }
    }

    fn cancel_case(&self, app: &mut Application, id: CaseId, ch: &mut Change<'_>, why_zh: &str, why_en: &str) {
        let account = app.applicant.account;
        let Some(case) = app.case_mut(id) else { return };
        let from = case.state.clone();
        case.status = CaseStatus::Cancelled;
        case.finished_at = Some(ch.now);
        case.paused_since = None;
        case.state_deadline = None;
        case.next_check_on = None;
        let item = case.item.clone();
        ch.log(EntryDraft {
            case: Some(id),
            actor: None,
            role: "system".into(),
            action: "cancelled".into(),
            from_state: from,
            to_state: None,
            detail: serde_json::json!({ "reason": why_zh }).to_string(),
        });
        let (zh, en) = self.item_name(&item);
        ch.notify(
            Recipient::applicant(account),
            "case_cancelled",
            Some(id),
            format!("【富阳政务】因{why_zh}，「{zh}」已取消办理。"),
            format!("'{en}' was cancelled because {why_en}."),
        );
    }

    /// Takes a workflow action on one of the application's cases.
    pub fn act(
        &self,
        app: &mut Application,
        req: ActionRequest,
        actor: &crate::application::Actor,
        now: DateTime<Utc>,
    ) -> Result<Effects> {
        let now = history::truncate_micros(now);
        if app.status.is_finished() {
            return Err(EngineError::AlreadyFinished);
        }
        let case = app.case(req.case).ok_or(EngineError::CaseNotFound(req.case))?.clone();
        let wf = self
            .catalog
            .workflow(&case.workflow)
            .ok_or_else(|| EngineError::UnknownAction { action: req.action.clone(), allowed: vec![] })?;
        let state_code = case.state.clone().unwrap_or_default();
        let state_name = match (&case.state, case.status) {
            (Some(s), CaseStatus::Active | CaseStatus::Paused) => {
                wf.state(s).map(|s| s.name.clone()).unwrap_or_else(|| s.clone())
            }
            _ => case.status.name_zh().to_owned(),
        };
        let possible: Vec<String> = if matches!(case.status, CaseStatus::Active | CaseStatus::Paused) {
            wf.actions_from(&state_code).map(|a| a.code.clone()).collect()
        } else {
            Vec::new()
        };
        let Some(action) = wf.action(&req.action) else {
            return Err(EngineError::UnknownAction { action: req.action, allowed: possible });
        };
        if !matches!(case.status, CaseStatus::Active | CaseStatus::Paused) || !action.from.contains(&state_code) {
            return Err(EngineError::WrongState {
                item: case.item.clone(),
                // The workflow state while the case runs; its lifecycle status otherwise
                // (`waiting`, `approved`, …).
                state: if matches!(case.status, CaseStatus::Active | CaseStatus::Paused) {
                    state_code
                } else {
                    case.status.code().to_owned()
                },
                state_name,
                action: action.name.clone(),
                action_en: action.name_en.clone(),
                allowed: possible,
            });
        }
        let Some(role) = actor.role_for(&action.roles) else {
            return Err(EngineError::RoleNotAllowed {
                action: action.name.clone(),
                action_en: action.name_en.clone(),
                roles: action.roles.clone(),
            });
        };
        let comment = req.comment.as_deref().map(str::trim).filter(|c| !c.is_empty());
        if let Some(c) = comment
            && c.chars().count() > self.rules.max_comment_chars
        {
            return Err(EngineError::TooLong { field: "comment".into(), max: self.rules.max_comment_chars });
        }
        if action.requires_comment && comment.is_none() {
            return Err(EngineError::CommentRequired { action: action.name.clone(), action_en: action.name_en.clone() });
        }
        // Supplementary uploads replace the applicant's own materials of this item.
        for code in req.uploads.keys() {
            let entry = app.materials.iter().find(|m| &m.material == code && m.needed_by.contains(&case.item));
            match entry {
                None => return Err(EngineError::MaterialNotNeeded(code.clone())),
                Some(m) if !matches!(m.source, MaterialSource::Upload { .. } | MaterialSource::Reused { .. }) => {
                    let name = self.catalog.material(code).map(|x| x.name.clone()).unwrap_or_default();
                    return Err(EngineError::MaterialAlreadyFilled { code: code.clone(), name });
                }
                Some(_) => {}
            }
        }

        // Everything is checked: now change.
        let mut head = app.history.clone();
        let mut ch = Change { now, app_id: app.id, head: &mut head, effects: Effects::default(), filing: false };
        for (code, upload) in &req.uploads {
            if let Some(m) = app.materials.iter_mut().find(|m| &m.material == code) {
                m.source = MaterialSource::Upload { upload_id: *upload };
                app.touched.docs = true;
            }
        }
        // A supplement handed in at a window is one more trip for the applicant: window staff
        // take the case out of its pause to go on (the action is the applicant's, taken on their
        // behalf). Window staff ending a paused case is no trip of the applicant's.
        let resumes = case.status == CaseStatus::Paused
            && wf.state(&action.to).is_some_and(|s| !s.pauses_clock && s.outcome.is_none());
        if resumes && actor.has(Role::Window) {
            app.extra_trips += 1;
        }
        let mut d = serde_json::Map::new();
        if let Some(c) = comment {
            d.insert("comment".into(), c.into());
        }
        if !req.uploads.is_empty() {
            d.insert("uploads".into(), req.uploads.keys().cloned().collect::<Vec<_>>().into());
        }
        ch.log(EntryDraft {
            case: Some(case.id),
            actor: Some(actor.account),
            role: role.code().to_owned(),
            action: action.code.clone(),
            from_state: Some(state_code.clone()),
            to_state: Some(action.to.clone()),
            detail: if d.is_empty() { String::new() } else { serde_json::Value::Object(d).to_string() },
        });
        let to = action.to.clone();
        let (zh, en) = self.item_name(&case.item);
        let to_state = wf.state(&to);
        if to_state.is_some_and(|s| s.outcome == Some(Outcome::Rejected)) {
            // Said before the bundle's policy cancels other items, so that the applicant reads
            // the reason before its consequences.
            let why = comment.unwrap_or_default();
            ch.notify(
                Recipient::applicant(app.applicant.account),
                "case_rejected",
                Some(case.id),
                format!("【富阳政务】很抱歉，「{zh}」未通过：{why}。如有疑问可申请复核。"),
                format!("Sorry, '{en}' was not approved: {why}."),
            );
        }
        self.enter_state(app, case.id, &to, &mut ch);
        let new_status = app.case(case.id).map(|c| c.status);
        match new_status {
            Some(CaseStatus::Paused) => {
                let why = comment.unwrap_or_default();
                let due = app
                    .case(case.id)
                    .and_then(|c| c.state_deadline)
                    .map(|d| format!("，请于{d}前补正"))
                    .unwrap_or_default();
                ch.notify(
                    Recipient::applicant(app.applicant.account),
                    "supplement_requested",
                    Some(case.id),
                    format!("【富阳政务】「{zh}」需要补正材料：{why}{due}。补正期间暂停计时。"),
                    format!("'{en}' needs supplementary materials: {why}. The clock is paused until you supply them."),
                );
            }
            // Said above, before the rejection's consequences.
            Some(CaseStatus::Rejected) => {}
            Some(CaseStatus::Approved) => {} // issue_outputs has said it
            _ => {
                let sname = to_state.map(|s| s.name.clone()).unwrap_or(to.clone());
                let sname_en = to_state.map(|s| s.name_en.clone()).unwrap_or(to.clone());
                ch.notify(
                    Recipient::applicant(app.applicant.account),
                    "case_progress",
                    Some(case.id),
                    format!("【富阳政务】「{zh}」已{}，当前环节：{sname}。", action.name),
                    format!("'{en}': {}; now {sname_en}.", action.name_en),
                );
            }
        }
        self.finish_change(app, &mut ch);
        let effects = ch.effects;
        app.history = head;
        Ok(effects)
    }

    /// The applicant withdraws an unfinished application: every open case is cancelled.
    pub fn withdraw(
        &self,
        app: &mut Application,
        actor: AccountId,
        reason: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Effects> {
        let now = history::truncate_micros(now);
        if !app.is_applicant(actor) {
            return Err(EngineError::NotApplicant);
        }
        if app.status.is_finished() {
            return Err(EngineError::AlreadyFinished);
        }
        let reason = reason.map(str::trim).filter(|r| !r.is_empty());
        if let Some(r) = reason
            && r.chars().count() > self.rules.max_comment_chars
        {
            return Err(EngineError::TooLong { field: "reason".into(), max: self.rules.max_comment_chars });
        }
        let mut head = app.history.clone();
        let mut ch = Change { now, app_id: app.id, head: &mut head, effects: Effects::default(), filing: false };
        let mut d = EntryDraft::system("withdrawn");
        d.actor = Some(actor);
        d.role = Role::Applicant.code().into();
        d.detail = detail(reason);
        ch.log(d);
        let open: Vec<CaseId> = app.cases.iter().filter(|c| c.status.is_open()).map(|c| c.id).collect();
        for id in open {
            if let Some(c) = app.case_mut(id) {
                c.status = CaseStatus::Cancelled;
                c.finished_at = Some(now);
                c.paused_since = None;
                c.state_deadline = None;
                c.next_check_on = None;
                // Each case's own history ends, as it does when a bundle's policy cancels it;
                // the applicant gets the one notice about the withdrawal below.
                let from = c.state.clone();
                ch.log(EntryDraft {
                    case: Some(id),
                    actor: Some(actor),
                    role: Role::Applicant.code().into(),
                    action: "cancelled".into(),
                    from_state: from,
                    to_state: None,
                    detail: serde_json::json!({ "reason": "申请人撤回" }).to_string(),
                });
            }
        }
        app.status = AppStatus::Withdrawn;
        app.finished_at = Some(now);
        app.elapsed_days = self.elapsed(app);
        let (zh, en) = self.target_name(&app.target);
        ch.notify(
            Recipient::applicant(app.applicant.account),
            "withdrawn",
            None,
            format!("【富阳政务】您已撤回「{zh}」申请。"),
            format!("You withdrew the application '{en}'."),
        );
        self.refresh(app);
        let effects = ch.effects;
        app.history = head;
        Ok(effects)
    }

    /// Recomputes status and deadline, and announces completion when the last item finishes.
    pub(crate) fn finish_change(&self, app: &mut Application, ch: &mut Change<'_>) {
        let was_finished = app.status.is_finished();
        self.refresh(app);
        if !was_finished && app.status.is_finished() {
            app.finished_at = Some(ch.now);
            app.elapsed_days = self.elapsed(app);
            let (zh, en) = self.target_name(&app.target);
            let mut d = EntryDraft::system("finished");
            d.to_state = Some(app.status.code().to_owned());
            ch.log(d);
            let (what_zh, what_en) = match app.status {
                AppStatus::Completed => ("已全部办结", "is complete"),
                AppStatus::PartiallyCompleted => ("已办结（部分事项未通过）", "is finished (some items were not approved)"),
                _ => ("未通过", "was not approved"),
            };
            ch.notify(
                Recipient::applicant(app.applicant.account),
                "finished",
                None,
                format!("【富阳政务】您的「{zh}」{what_zh}。欢迎对本次服务进行评价（好差评）。"),
                format!("Your application '{en}' {what_en}. Please rate the service."),
            );
        }
    }

    fn elapsed(&self, app: &Application) -> Option<u32> {
        crate::reduction::elapsed_days(app, self.calendar).map(|d| u32::try_from(d).unwrap_or(u32::MAX))
    }

    /// Derives the application's status and deadline from its cases.
    pub fn refresh(&self, app: &mut Application) {
        let open = app.cases.iter().any(|c| c.status.is_open());
        app.status = if app.status == AppStatus::Withdrawn {
            AppStatus::Withdrawn
        } else if open {
            if app.cases.iter().any(|c| c.status == CaseStatus::Paused) {
                AppStatus::Supplementing
            } else {
                AppStatus::InProgress
            }
        } else {
            let approved = app.cases.iter().filter(|c| c.status == CaseStatus::Approved).count();
            let failed_bundle = match &app.target {
                Target::Bundle(c) => self
                    .catalog
                    .bundle(c)
                    .is_some_and(|b| b.on_reject == RejectPolicy::FailBundle)
                    && app.cases.iter().any(|c| c.status == CaseStatus::Rejected),
                Target::Item(_) => false,
            };
            if approved == app.cases.len() {
                AppStatus::Completed
            } else if approved == 0 || failed_bundle {
                AppStatus::Rejected
            } else {
                AppStatus::PartiallyCompleted
            }
        };
        app.deadline = deadline::application_deadline(app, self.catalog, self.calendar);
    }
}


