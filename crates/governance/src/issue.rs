//! A residents' issue and its life (F1, 三方协同): reported and routed by the rules to the party or
//! parties responsible; jointly deliberated when there are several (三方联议) until each has
//! agreed the plan; handled with a deadline per level, marked overdue and escalated (estate →
//! community → street → district department, 一呼联动); resolved, then confirmed or re-opened by
//! the reporter; declined with who and why; disputes settled by joint mediation with the
//! agreement recorded (三方联调). [`apply`] checks everything before it changes anything.

use std::collections::BTreeMap;
use std::collections::BTreeSet;

use chrono::DateTime;
use chrono::Duration;
use chrono::Utc;
use serde::Deserialize;
use serde::Serialize;

use crate::error::GovernanceError;
use crate::estate::ActorId;
use crate::estate::Estate;
use crate::estate::EstateId;
use crate::estate::HelperRole;
use crate::estate::IssueId;
use crate::estate::MeetingId;
use crate::estate::PartyKind;
use crate::estate::PermitId;
use crate::routing::Level;
use crate::routing::Routing;

/// Longest description, in characters (Open311 clients send up to 4,000).
pub const MAX_DESCRIPTION: usize = 4000;
/// Longest reason, note, plan or agreement, in characters.
pub const MAX_NOTE: usize = 2000;
/// From this re-opening on, a re-opened issue goes to the level above rather than back to the
/// same hands.
pub const REOPEN_ESCALATES_AT: u32 = 3;

/// Where an issue is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IssueState {
    /// Sent to one responsible party or office, not yet taken.
    Routed,
    /// Several parties must agree a plan first (三方联议).
    Deliberating,
    /// Being handled.
    InProgress,
    /// A dispute under joint mediation (三方联调).
    Mediating,
    /// Handled; waiting for the reporter to confirm or re-open.
    Resolved,
    /// Settled: confirmed by the reporter (or by time).
    Confirmed,
    /// Declined, with who and why.
    Declined,
}

impl IssueState {
    /// The stable code.
    pub fn code(self) -> &'static str {
        match self {
            IssueState::Routed => "routed",
            IssueState::Deliberating => "deliberating",
            IssueState::InProgress => "in_progress",
            IssueState::Mediating => "mediating",
            IssueState::Resolved => "resolved",
            IssueState::Confirmed => "confirmed",
            IssueState::Declined => "declined",
        }
    }

    /// Whether the responsible side still owes work (deadline running).
    pub fn is_pending(self) -> bool {
        matches!(self, IssueState::Routed | IssueState::Deliberating | IssueState::InProgress | IssueState::Mediating)
    }

    /// Whether the issue is over (Open311 `closed`): resolved, confirmed or declined.
    pub fn is_closed(self) -> bool {
        !self.is_pending()
    }
}

/// The part someone plays when acting on an issue; the caller derives it from facts (the
/// engine then checks party membership against the estate).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "role", content = "of")]
pub enum Role {
    /// A resident (the reporter, for confirming and re-opening).
    Resident,
    /// A member of one of the estate's parties.
    Party(PartyKind),
    /// One of the ten helpers.
    Helper(HelperRole),
    /// The community's or the street's office.
    Office(Level),
    /// A district department, by code.
    Department(String),
    /// The engine itself (deadlines).
    System,
}

/// Someone acting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    /// Who.
    pub id: ActorId,
    /// As what.
    pub role: Role,
}

/// A new report, already parsed (the Open311 layer or the page builds it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NewIssue {
    /// The category (Open311 service_code).
    pub category: String,
    /// The estate it is in.
    pub estate: EstateId,
    /// Who reports it.
    pub reporter: ActorId,
    /// What is wrong.
    pub description: String,
    /// Where, WGS 84.
    pub lat: f64,
    /// Where, WGS 84.
    pub lon: f64,
    /// The address as the reporter wrote it.
    pub address: Option<String>,
    /// A photo's URL.
    pub media_url: Option<String>,
    /// The category's attributes, by code.
    pub attributes: BTreeMap<String, String>,
}

/// One escalation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Escalation {
    /// From.
    pub from: Level,
    /// To.
    pub to: Level,
    /// When.
    pub at: DateTime<Utc>,
    /// Because the deadline passed (else asked for by the responsible side).
    pub overdue: bool,
    /// Why.
    pub reason: String,
}

/// Who declined an issue and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Declined {
    /// Who.
    pub by: ActorId,
    /// In what part.
    pub role: Role,
    /// At what level.
    pub level: Level,
    /// Why.
    pub reason: String,
    /// When.
    pub at: DateTime<Utc>,
}

/// A mediated agreement (调解协议).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Agreement {
    /// The mediator.
    pub mediator: ActorId,
    /// What was agreed.
    pub text: String,
    /// The parties to the dispute who signed it.
    pub signatories: Vec<ActorId>,
    /// When.
    pub at: DateTime<Utc>,
}

/// One step of an issue's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    /// When.
    pub at: DateTime<Utc>,
    /// Who (`None`: the engine, by the clock).
    pub by: Option<ActorId>,
    /// The action's code.
    pub action: String,
    /// The state after it.
    pub state: IssueState,
    /// What was said (reason, plan, note).
    pub note: String,
}

/// A residents' issue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Issue {
    /// Its id.
    pub id: IssueId,
    /// The category (Open311 service_code).
    pub category: String,
    /// The estate.
    pub estate: EstateId,
    /// The estate's community.
    pub community: String,
    /// The estate's town (for the measures).
    pub town: String,
    /// Who reported it.
    pub reporter: ActorId,
    /// What is wrong.
    pub description: String,
    /// Where.
    pub lat: f64,
    /// Where.
    pub lon: f64,
    /// The address as written.
    pub address: Option<String>,
    /// A photo.
    pub media_url: Option<String>,
    /// Attributes by code.
    pub attributes: BTreeMap<String, String>,
    /// Where it is in its life.
    pub state: IssueState,
    /// The level handling it.
    pub level: Level,
    /// The estate's parties responsible.
    pub parties: Vec<PartyKind>,
    /// The parties that have agreed the joint plan.
    pub agreed: BTreeSet<PartyKind>,
    /// The agreed plan.
    pub plan: Option<String>,
    /// The district department for escalation.
    pub department: String,
    /// A dispute (joint mediation).
    pub dispute: bool,
    /// When reported.
    pub reported_at: DateTime<Utc>,
    /// When the current level's time runs out (while pending).
    pub deadline: Option<DateTime<Utc>>,
    /// Whether the current deadline has passed unmet.
    pub overdue: bool,
    /// How many deadlines passed unmet in all.
    pub overdue_count: u32,
    /// The escalations.
    pub escalations: Vec<Escalation>,
    /// When last resolved.
    pub resolved_at: Option<DateTime<Utc>>,
    /// When confirmed.
    pub confirmed_at: Option<DateTime<Utc>>,
    /// How often re-opened.
    pub reopened: u32,
    /// Who declined it and why.
    pub declined: Option<Declined>,
    /// The mediated agreement.
    pub agreement: Option<Agreement>,
    /// Night-construction permits attached (noise complaints).
    pub permits: Vec<PermitId>,
    /// The decisions (meeting, agenda item) that settle it.
    pub decisions: Vec<(MeetingId, u32)>,
    /// The history.
    pub history: Vec<Step>,
    /// When last changed.
    pub updated_at: DateTime<Utc>,
}

/// Who is told about a change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "to", content = "who")]
pub enum Recipient {
    /// The reporter.
    Reporter(ActorId),
    /// An estate party.
    Party(PartyKind),
    /// The community's or street's office.
    Office(Level),
    /// A district department.
    Department(String),
}

/// A notice to write with the change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notice {
    /// To whom.
    pub to: Recipient,
    /// What happened (the action's code).
    pub what: String,
}

/// What someone does to an issue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "action")]
pub enum Action {
    /// A party agrees the joint plan (三方联议); when every party has, handling starts.
    Agree {
        /// The plan (the first agreement sets it; later ones may restate it).
        plan: String,
    },
    /// The one responsible takes it.
    Accept,
    /// Handled.
    Resolve {
        /// What was done.
        note: String,
    },
    /// The reporter confirms it is settled.
    Confirm,
    /// The reporter says it is not.
    Reopen {
        /// Why.
        reason: String,
    },
    /// The responsible side declines it.
    Decline {
        /// Why (shown to the reporter).
        reason: String,
    },
    /// The responsible side sends it up a level.
    Escalate {
        /// Why.
        reason: String,
    },
    /// A dispute goes to joint mediation.
    StartMediation,
    /// The mediated agreement, signed by the parties to the dispute.
    RecordAgreement {
        /// What was agreed.
        text: String,
        /// Who signed it (the reporter among them).
        signatories: Vec<ActorId>,
    },
    /// A note on the record (no change of state).
    Note {
        /// The note.
        text: String,
    },
}

impl Action {
    /// The stable code.
    pub fn code(&self) -> &'static str {
        match self {
            Action::Agree { .. } => "agree",
            Action::Accept => "accept",
            Action::Resolve { .. } => "resolve",
            Action::Confirm => "confirm",
            Action::Reopen { .. } => "reopen",
            Action::Decline { .. } => "decline",
            Action::Escalate { .. } => "escalate",
            Action::StartMediation => "start_mediation",
            Action::RecordAgreement { .. } => "record_agreement",
            Action::Note { .. } => "note",
        }
    }
}

fn text(field: &str, s: &str, max: usize) -> Result<String, GovernanceError> {
    let t = s.trim();
    if t.is_empty() {
        return Err(GovernanceError::invalid(field, "不能为空", "must not be empty"));
    }
    if t.chars().count() > max {
        return Err(GovernanceError::invalid(field, format!("不能超过 {max} 个字"), format!("must be at most {max} characters")));
    }
    if t.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Err(GovernanceError::invalid(field, "含有控制字符", "contains control characters"));
    }
    Ok(t.to_owned())
}

impl Issue {
    /// Takes a report and routes it: to the estate's responsible party (`routed`) or parties
    /// (`deliberating`), with the estate level's deadline. Parties the estate lacks (no property
    /// company) are left out; when none is left the community's office takes it.
    pub fn report(id: IssueId, new: NewIssue, estate: &Estate, routing: &Routing, now: DateTime<Utc>) -> Result<(Issue, Vec<Notice>), GovernanceError> {
        if new.estate != estate.id {
            return Err(GovernanceError::NotFound { what: "estate", id: new.estate.to_string() });
        }
        let route = routing.route(&new.category, estate.id)?;
        let category = routing.category(&new.category)?;
        if let Some(u) = new.media_url.as_deref()
            && (!(u.starts_with("https://") || u.starts_with("http://")) || u.len() > 2000 || u.chars().any(char::is_whitespace))
        {
            return Err(GovernanceError::invalid("media_url", "media_url 须为 http(s) 地址", "media_url must be an http(s) URL"));
        }
        let description = text("description", &new.description, MAX_DESCRIPTION)?;
        if !(-90.0..=90.0).contains(&new.lat) || !(-180.0..=180.0).contains(&new.lon) || !new.lat.is_finite() || !new.lon.is_finite() {
            return Err(GovernanceError::OutsideDistrict { lat: new.lat, lon: new.lon });
        }
        let attributes = category.check_attributes(&new.attributes)?;
        let parties: Vec<PartyKind> = route.parties.iter().copied().filter(|p| estate.has(*p)).collect();
        let (level, state) = match parties.len() {
            0 => (Level::Community, IssueState::Routed),
            1 => (Level::Estate, IssueState::Routed),
            _ => (Level::Estate, IssueState::Deliberating),
        };
        let deadline = now + Duration::hours(i64::from(routing.hours(level)));
        let note = parties.iter().map(|p| p.code()).collect::<Vec<_>>().join(",");
        let issue = Issue {
            id,
            category: new.category,
            estate: estate.id,
            community: estate.community.clone(),
            town: estate.town.clone(),
            reporter: new.reporter,
            description,
            lat: new.lat,
            lon: new.lon,
            address: new.address.map(|a| a.trim().chars().take(500).collect()),
            media_url: new.media_url,
            attributes,
            state,
            level,
            parties: parties.clone(),
            agreed: BTreeSet::new(),
            plan: None,
            department: route.department,
            dispute: route.dispute,
            reported_at: now,
            deadline: Some(deadline),
            overdue: false,
            overdue_count: 0,
            escalations: Vec::new(),
            resolved_at: None,
            confirmed_at: None,
            reopened: 0,
            declined: None,
            agreement: None,
            permits: Vec::new(),
            decisions: Vec::new(),
            history: vec![
                Step { at: now, by: Some(new.reporter), action: "report".into(), state, note: String::new() },
                Step { at: now, by: None, action: "route".into(), state, note: if note.is_empty() { level.code().to_owned() } else { note } },
            ],
            updated_at: now,
        };
        let mut notices: Vec<Notice> = parties.iter().map(|p| Notice { to: Recipient::Party(*p), what: "routed".into() }).collect();
        if parties.is_empty() {
            notices.push(Notice { to: Recipient::Office(Level::Community), what: "routed".into() });
        }
        Ok((issue, notices))
    }

    /// Who is responsible now, as notice recipients.
    pub fn responsible(&self) -> Vec<Recipient> {
        match self.level {
            Level::Estate => self.parties.iter().map(|p| Recipient::Party(*p)).collect(),
            Level::Community | Level::Street => vec![Recipient::Office(self.level)],
            Level::District => vec![Recipient::Department(self.department.clone())],
        }
    }

    /// Whether `actor` is on the responsible side at the current level (party members are checked
    /// against the estate; a mediator helper may act on a dispute at the estate level).
    pub fn is_responsible(&self, actor: &Actor, estate: &Estate) -> bool {
        match (&actor.role, self.level) {
            (Role::Party(p), Level::Estate) => self.parties.contains(p) && estate.members(*p).contains(&actor.id),
            (Role::Helper(HelperRole::Mediator), Level::Estate) => self.dispute && estate.helpers.get(&HelperRole::Mediator).is_some_and(|m| m.contains(&actor.id)),
            (Role::Office(l), level) => *l == level && matches!(level, Level::Community | Level::Street),
            (Role::Department(d), Level::District) => *d == self.department,
            _ => false,
        }
    }

    /// Whether the current level's deadline has passed while work is owed.
    pub fn is_overdue(&self, now: DateTime<Utc>) -> bool {
        self.state.is_pending() && self.deadline.is_some_and(|d| now > d)
    }
}

fn refuse(actor: &Actor, action: &'static str, why_zh: &'static str, why_en: &'static str) -> GovernanceError {
    GovernanceError::NotAllowed { actor: actor.id.0, action, why_zh, why_en }
}

/// Applies `action` by `actor` at `now`: the notices to write with the change. On an error the
/// issue is unchanged.
pub fn apply(issue: &mut Issue, estate: &Estate, routing: &Routing, actor: &Actor, action: Action, now: DateTime<Utc>) -> Result<Vec<Notice>, GovernanceError> {
    let code = action.code();
    let wrong = |i: &Issue| GovernanceError::WrongState { action: code, state: i.state.code() };
    if estate.id != issue.estate {
        return Err(GovernanceError::NotFound { what: "estate", id: issue.estate.to_string() });
    }
    let by_reporter = matches!(action, Action::Confirm | Action::Reopen { .. });
    if by_reporter {
        if actor.id != issue.reporter || actor.role != Role::Resident {
            return Err(refuse(actor, code, "只有报告人本人可以确认或重新打开", "only the reporter may confirm or re-open"));
        }
    } else if !issue.is_responsible(actor, estate) {
        return Err(refuse(actor, code, "您不是该诉求当前的责任方", "not on the side responsible for this issue now"));
    }
    let reporter = Notice { to: Recipient::Reporter(issue.reporter), what: code.to_owned() };
    let mut notices = Vec::new();
    let note;
    match action {
        Action::Agree { plan } => {
            if issue.state != IssueState::Deliberating {
                return Err(wrong(issue));
            }
            let plan = text("plan", &plan, MAX_NOTE)?;
            let Role::Party(p) = actor.role else {
                return Err(refuse(actor, code, "只有参与联议的各方可以议定方案", "only the deliberating parties agree the plan"));
            };
            if issue.agreed.contains(&p) {
                return Err(GovernanceError::WrongState { action: code, state: "already_agreed" });
            }
            issue.agreed.insert(p);
            if issue.plan.is_none() {
                issue.plan = Some(plan.clone());
            }
            if issue.parties.iter().all(|q| issue.agreed.contains(q)) {
                issue.state = IssueState::InProgress;
                notices.push(reporter);
            }
            note = plan;
        }
        Action::Accept => {
            if issue.state != IssueState::Routed {
                return Err(wrong(issue));
            }
            issue.state = IssueState::InProgress;
            notices.push(reporter);
            note = String::new();
        }
        Action::Resolve { note: n } => {
            if issue.state != IssueState::InProgress {
                return Err(wrong(issue));
            }
            if issue.dispute && issue.level == Level::Estate {
                return Err(GovernanceError::WrongState { action: code, state: "dispute_needs_mediation" });
            }
            note = text("note", &n, MAX_NOTE)?;
            issue.state = IssueState::Resolved;
            issue.resolved_at = Some(now);
            issue.deadline = None;
            notices.push(reporter);
        }
        Action::Confirm => {
            if issue.state != IssueState::Resolved {
                return Err(wrong(issue));
            }
            issue.state = IssueState::Confirmed;
            issue.confirmed_at = Some(now);
            notices.extend(issue.responsible().into_iter().map(|to| Notice { to, what: code.to_owned() }));
            note = String::new();
        }
        Action::Reopen { reason } => {
            if issue.state != IssueState::Resolved {
                return Err(wrong(issue));
            }
            note = text("reason", &reason, MAX_NOTE)?;
            issue.reopened += 1;
            issue.resolved_at = None;
            issue.overdue = false;
            if issue.reopened >= REOPEN_ESCALATES_AT && issue.level.up().is_some() {
                escalate(issue, routing, now, false, format!("reopened {} times: {note}", issue.reopened))?;
            } else {
                issue.state = IssueState::InProgress;
                issue.deadline = Some(now + Duration::hours(i64::from(routing.hours(issue.level))));
            }
            notices.extend(issue.responsible().into_iter().map(|to| Notice { to, what: code.to_owned() }));
        }
        Action::Decline { reason } => {
            if !issue.state.is_pending() {
                return Err(wrong(issue));
            }
            note = text("reason", &reason, MAX_NOTE)?;
            issue.declined = Some(Declined { by: actor.id, role: actor.role.clone(), level: issue.level, reason: note.clone(), at: now });
            issue.state = IssueState::Declined;
            issue.deadline = None;
            notices.push(reporter);
        }
        Action::Escalate { reason } => {
            if !issue.state.is_pending() {
                return Err(wrong(issue));
            }
            let reason = text("reason", &reason, MAX_NOTE)?;
            escalate(issue, routing, now, false, reason.clone())?;
            notices.extend(issue.responsible().into_iter().map(|to| Notice { to, what: code.to_owned() }));
            notices.push(reporter);
            note = reason;
        }
        Action::StartMediation => {
            if !issue.dispute {
                return Err(GovernanceError::WrongState { action: code, state: "not_a_dispute" });
            }
            if !matches!(issue.state, IssueState::InProgress | IssueState::Routed) {
                return Err(wrong(issue));
            }
            issue.state = IssueState::Mediating;
            notices.push(reporter);
            note = String::new();
        }
        Action::RecordAgreement { text: t, signatories } => {
            if issue.state != IssueState::Mediating {
                return Err(wrong(issue));
            }
            let t = text("text", &t, MAX_NOTE)?;
            let signed: BTreeSet<ActorId> = signatories.iter().copied().collect();
            if signed.len() < 2 || !signed.contains(&issue.reporter) || signed.len() != signatories.len() {
                return Err(GovernanceError::invalid(
                    "signatories",
                    "调解协议须由报告人和至少一位对方当事人签署，且不能重复",
                    "the agreement needs the reporter and at least one other party to the dispute, each once",
                ));
            }
            if signed.contains(&actor.id) {
                return Err(GovernanceError::invalid("signatories", "调解人不能同时是当事人", "the mediator cannot also be a party to the dispute"));
            }
            issue.agreement = Some(Agreement { mediator: actor.id, text: t.clone(), signatories, at: now });
            issue.state = IssueState::Resolved;
            issue.resolved_at = Some(now);
            issue.deadline = None;
            notices.push(reporter);
            note = t;
        }
        Action::Note { text: t } => {
            note = text("text", &t, MAX_NOTE)?;
        }
    }
    issue.history.push(Step { at: now, by: Some(actor.id), action: code.to_owned(), state: issue.state, note });
    issue.updated_at = now;
    Ok(notices)
}

fn escalate(issue: &mut Issue, routing: &Routing, now: DateTime<Utc>, overdue: bool, reason: String) -> Result<(), GovernanceError> {
    let to = issue.level.up().ok_or(GovernanceError::AtTopLevel)?;
    issue.escalations.push(Escalation { from: issue.level, to, at: now, overdue, reason });
    issue.level = to;
    issue.state = IssueState::Routed;
    issue.overdue = false;
    issue.deadline = Some(now + Duration::hours(i64::from(routing.hours(to))));
    Ok(())
}

/// What the clock does to an issue at `now`: a pending issue past its deadline is marked overdue
/// and escalated a level (at the district it stays overdue); a resolved issue the reporter left
/// alone for the confirmation period counts as confirmed. The notices to write, if anything
/// changed.
pub fn tick(issue: &mut Issue, routing: &Routing, now: DateTime<Utc>) -> Vec<Notice> {
    if issue.is_overdue(now) && !issue.overdue {
        issue.overdue_count += 1;
        let from = issue.level;
        if escalate(issue, routing, now, true, "overdue".into()).is_err() {
            issue.overdue = true;
            issue.history.push(Step { at: now, by: None, action: "overdue".into(), state: issue.state, note: from.code().into() });
            issue.updated_at = now;
            return vec![Notice { to: Recipient::Department(issue.department.clone()), what: "overdue".into() }];
        }
        issue.history.push(Step { at: now, by: None, action: "escalate".into(), state: issue.state, note: format!("overdue at {}", from.code()) });
        issue.updated_at = now;
        let mut n: Vec<Notice> = issue.responsible().into_iter().map(|to| Notice { to, what: "escalate".into() }).collect();
        n.push(Notice { to: Recipient::Reporter(issue.reporter), what: "escalate".into() });
        return n;
    }
    if issue.state == IssueState::Resolved && issue.resolved_at.is_some_and(|r| now - r >= Duration::hours(i64::from(routing.confirm_hours))) {
        issue.state = IssueState::Confirmed;
        issue.confirmed_at = Some(now);
        issue.history.push(Step { at: now, by: None, action: "confirm".into(), state: issue.state, note: "by time".into() });
        issue.updated_at = now;
    }
    Vec::new()
}

/// Attaches the permits a noise complaint was matched to (see [`crate::permits::matching`]).
pub fn attach_permits(issue: &mut Issue, permits: &[PermitId], now: DateTime<Utc>) {
    let mut added = Vec::new();
    for p in permits {
        if !issue.permits.contains(p) {
            issue.permits.push(*p);
            added.push(p.to_string());
        }
    }
    if !added.is_empty() {
        issue.history.push(Step { at: now, by: None, action: "attach_permits".into(), state: issue.state, note: added.join(",") });
        issue.updated_at = now;
    }
}

/// Sends a fresh complaint straight to a district department (a noise complaint matched to a
/// night-construction permit goes to the permit's supervising department, "with the permit
/// attached"): only while nobody at the estate has taken it yet.
pub fn route_to_department(issue: &mut Issue, department: &str, routing: &Routing, now: DateTime<Utc>) -> Result<Vec<Notice>, GovernanceError> {
    if !matches!(issue.state, IssueState::Routed | IssueState::Deliberating) || issue.level != Level::Estate || !issue.agreed.is_empty() {
        return Err(GovernanceError::WrongState { action: "route_to_department", state: issue.state.code() });
    }
    if !routing.departments.contains_key(department) {
        return Err(GovernanceError::NotFound { what: "department", id: department.chars().take(64).collect() });
    }
    issue.level = Level::District;
    issue.department = department.to_owned();
    issue.state = IssueState::Routed;
    issue.deadline = Some(now + Duration::hours(i64::from(routing.hours(Level::District))));
    issue.history.push(Step { at: now, by: None, action: "route_to_department".into(), state: issue.state, note: department.to_owned() });
    issue.updated_at = now;
    Ok(vec![Notice { to: Recipient::Department(department.to_owned()), what: "routed".into() }, Notice { to: Recipient::Reporter(issue.reporter), what: "routed".into() }])
}

/// Links a decision that settles the issue (a passed decision of the issue's estate that names
/// it); the responsible side then resolves it as decided.
pub fn link_decision(issue: &mut Issue, d: &crate::deliberation::Decision, now: DateTime<Utc>) -> Result<(), GovernanceError> {
    if d.estate != issue.estate || !d.passed || !d.settles.contains(&issue.id) {
        return Err(GovernanceError::invalid("decision", "该决定未通过或与此诉求无关", "the decision did not pass or does not settle this issue"));
    }
    if issue.decisions.contains(&(d.meeting, d.item)) {
        return Ok(());
    }
    issue.decisions.push((d.meeting, d.item));
    issue.history.push(Step { at: now, by: None, action: "link_decision".into(), state: issue.state, note: format!("{}#{}", d.meeting, d.item) });
    issue.updated_at = now;
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::estate::tests::estate;

    pub(crate) fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 2, 1, 0, 0).single().expect("time")
    }

    fn routing() -> Routing {
        Routing::embedded().expect("rules")
    }

    pub(crate) fn new_issue(category: &str) -> NewIssue {
        NewIssue {
            category: category.into(),
            estate: EstateId(1),
            reporter: ActorId(102),
            description: "3 号楼门口路灯不亮".into(),
            lat: 30.42,
            lon: 120.25,
            address: Some("3 号楼".into()),
            media_url: None,
            attributes: BTreeMap::new(),
        }
    }

    fn party(id: u64, p: PartyKind) -> Actor {
        Actor { id: ActorId(id), role: Role::Party(p) }
    }

    fn resident(id: u64) -> Actor {
        Actor { id: ActorId(id), role: Role::Resident }
    }

    #[test]
    fn a_broken_lamp_is_fixed_by_the_property_company_and_confirmed() {
        let (e, r) = (estate(), routing());
        let (mut i, notices) = Issue::report(IssueId(1), new_issue("street_lamp"), &e, &r, t0()).expect("report");
        assert_eq!(i.state, IssueState::Routed);
        assert_eq!(notices, vec![Notice { to: Recipient::Party(PartyKind::PropertyCompany), what: "routed".into() }]);
        assert_eq!(i.deadline, Some(t0() + Duration::hours(72)));
        let pc = party(30, PartyKind::PropertyCompany);
        apply(&mut i, &e, &r, &pc, Action::Accept, t0()).expect("accept");
        apply(&mut i, &e, &r, &pc, Action::Resolve { note: "换了灯泡".into() }, t0() + Duration::hours(5)).expect("resolve");
        assert_eq!(i.state, IssueState::Resolved);
        apply(&mut i, &e, &r, &resident(102), Action::Confirm, t0() + Duration::hours(6)).expect("confirm");
        assert_eq!(i.state, IssueState::Confirmed);
        // A second tap on "confirm" is refused and changes nothing.
        let done = i.clone();
        assert!(matches!(apply(&mut i, &e, &r, &resident(102), Action::Confirm, t0() + Duration::hours(7)), Err(GovernanceError::WrongState { .. })));
        assert_eq!(i, done);
        assert_eq!(i.history.iter().map(|s| s.action.as_str()).collect::<Vec<_>>(), ["report", "route", "accept", "resolve", "confirm"]);
    }

    #[test]
    fn three_parties_deliberate_before_handling() {
        let (e, r) = (estate(), routing());
        let (mut i, notices) = Issue::report(IssueId(1), new_issue("illegal_structure"), &e, &r, t0()).expect("report");
        assert_eq!(i.state, IssueState::Deliberating);
        assert_eq!(notices.len(), 3);
        apply(&mut i, &e, &r, &party(10, PartyKind::PartyBranch), Action::Agree { plan: "十日内拆除".into() }, t0()).expect("agree");
        // The same party agreeing twice does not count twice.
        let again = apply(&mut i, &e, &r, &party(10, PartyKind::PartyBranch), Action::Agree { plan: "十日内拆除".into() }, t0());
        assert!(matches!(again, Err(GovernanceError::WrongState { .. })));
        // A party not involved (the property company) cannot agree for the others.
        let outsider = apply(&mut i, &e, &r, &party(30, PartyKind::PropertyCompany), Action::Agree { plan: "x".into() }, t0());
        assert!(matches!(outsider, Err(GovernanceError::NotAllowed { .. })));
        apply(&mut i, &e, &r, &party(20, PartyKind::Committee), Action::Agree { plan: "同意".into() }, t0()).expect("agree");
        assert_eq!(i.state, IssueState::Deliberating);
        apply(&mut i, &e, &r, &party(40, PartyKind::CommunityWorker), Action::Agree { plan: "同意".into() }, t0()).expect("agree");
        assert_eq!(i.state, IssueState::InProgress);
        assert_eq!(i.plan.as_deref(), Some("十日内拆除"));
    }

    #[test]
    fn someone_claiming_a_party_role_they_do_not_hold_is_refused_and_nothing_changes() {
        let (e, r) = (estate(), routing());
        let (mut i, _) = Issue::report(IssueId(1), new_issue("street_lamp"), &e, &r, t0()).expect("report");
        let before = i.clone();
        // Actor 99 says they are the property company; the estate says otherwise.
        let fake = party(99, PartyKind::PropertyCompany);
        assert!(matches!(apply(&mut i, &e, &r, &fake, Action::Decline { reason: "不归我们管".into() }, t0()), Err(GovernanceError::NotAllowed { .. })));
        // Another resident cannot confirm or re-open someone else's issue.
        assert!(matches!(apply(&mut i, &e, &r, &resident(103), Action::Confirm, t0()), Err(GovernanceError::NotAllowed { .. })));
        // The reporter posing as a party cannot handle it.
        assert!(matches!(apply(&mut i, &e, &r, &party(102, PartyKind::PropertyCompany), Action::Accept, t0()), Err(GovernanceError::NotAllowed { .. })));
        // The reporter cannot confirm before it is resolved (clumsy double click).
        assert!(matches!(apply(&mut i, &e, &r, &resident(102), Action::Confirm, t0()), Err(GovernanceError::WrongState { .. })));
        // An empty or whitespace reason is refused.
        let pc = party(30, PartyKind::PropertyCompany);
        assert!(matches!(apply(&mut i, &e, &r, &pc, Action::Decline { reason: "  ".into() }, t0()), Err(GovernanceError::Invalid { .. })));
        assert!(matches!(apply(&mut i, &e, &r, &pc, Action::Decline { reason: "x".repeat(MAX_NOTE + 1) }, t0()), Err(GovernanceError::Invalid { .. })));
        assert_eq!(i, before);
    }

    #[test]
    fn a_decline_says_who_and_why_and_closes() {
        let (e, r) = (estate(), routing());
        let (mut i, _) = Issue::report(IssueId(1), new_issue("street_lamp"), &e, &r, t0()).expect("report");
        let pc = party(30, PartyKind::PropertyCompany);
        let n = apply(&mut i, &e, &r, &pc, Action::Decline { reason: "该路灯属市政，已转城管".into() }, t0()).expect("decline");
        assert_eq!(n, vec![Notice { to: Recipient::Reporter(ActorId(102)), what: "decline".into() }]);
        let d = i.declined.clone().expect("declined");
        assert_eq!((d.by, d.level, d.reason.as_str()), (ActorId(30), Level::Estate, "该路灯属市政，已转城管"));
        assert!(i.state.is_closed());
        assert!(matches!(apply(&mut i, &e, &r, &resident(102), Action::Reopen { reason: "不行".into() }, t0()), Err(GovernanceError::WrongState { .. })));
    }

    #[test]
    fn overdue_issues_climb_to_the_district_and_stay_marked() {
        let (e, r) = (estate(), routing());
        let (mut i, _) = Issue::report(IssueId(1), new_issue("street_lamp"), &e, &r, t0()).expect("report");
        assert!(tick(&mut i, &r, t0() + Duration::hours(72)).is_empty(), "at the deadline it is not yet late");
        let mut t = t0() + Duration::hours(73);
        let n = tick(&mut i, &r, t);
        assert_eq!((i.level, i.state), (Level::Community, IssueState::Routed));
        assert!(n.contains(&Notice { to: Recipient::Office(Level::Community), what: "escalate".into() }));
        assert!(i.escalations[0].overdue);
        // The estate party no longer handles it; the community office does.
        assert!(matches!(apply(&mut i, &e, &r, &party(30, PartyKind::PropertyCompany), Action::Accept, t), Err(GovernanceError::NotAllowed { .. })));
        apply(&mut i, &e, &r, &Actor { id: ActorId(60), role: Role::Office(Level::Community) }, Action::Accept, t).expect("community accepts");
        t += Duration::hours(49);
        tick(&mut i, &r, t);
        assert_eq!(i.level, Level::Street);
        apply(&mut i, &e, &r, &Actor { id: ActorId(70), role: Role::Office(Level::Street) }, Action::Escalate { reason: "需城管处理".into() }, t).expect("street escalates");
        assert_eq!(i.level, Level::District);
        assert_eq!(i.responsible(), vec![Recipient::Department("zhzf".into())]);
        assert!(matches!(
            apply(&mut i, &e, &r, &Actor { id: ActorId(80), role: Role::Department("zhzf".into()) }, Action::Escalate { reason: "再上报".into() }, t),
            Err(GovernanceError::AtTopLevel)
        ));
        // Another department cannot touch it.
        assert!(matches!(
            apply(&mut i, &e, &r, &Actor { id: ActorId(81), role: Role::Department("mzj".into()) }, Action::Accept, t),
            Err(GovernanceError::NotAllowed { .. })
        ));
        t += Duration::hours(121);
        tick(&mut i, &r, t);
        assert!(i.overdue && i.level == Level::District);
        assert_eq!(i.overdue_count, 3);
        assert_eq!(i.escalations.len(), 3);
        // Ticking again changes nothing.
        let snapshot = i.clone();
        assert!(tick(&mut i, &r, t + Duration::hours(1)).is_empty());
        assert_eq!(i, snapshot);
    }

    #[test]
    fn a_reopened_issue_gets_a_new_deadline_and_silence_confirms() {
        let (e, r) = (estate(), routing());
        let (mut i, _) = Issue::report(IssueId(1), new_issue("street_lamp"), &e, &r, t0()).expect("report");
        let pc = party(30, PartyKind::PropertyCompany);
        apply(&mut i, &e, &r, &pc, Action::Accept, t0()).expect("accept");
        apply(&mut i, &e, &r, &pc, Action::Resolve { note: "修好".into() }, t0()).expect("resolve");
        let t = t0() + Duration::hours(10);
        apply(&mut i, &e, &r, &resident(102), Action::Reopen { reason: "还是不亮".into() }, t).expect("reopen");
        assert_eq!((i.state, i.reopened, i.deadline), (IssueState::InProgress, 1, Some(t + Duration::hours(72))));
        apply(&mut i, &e, &r, &pc, Action::Resolve { note: "换了线路".into() }, t).expect("resolve");
        tick(&mut i, &r, t + Duration::hours(167));
        assert_eq!(i.state, IssueState::Resolved);
        tick(&mut i, &r, t + Duration::hours(168));
        assert_eq!(i.state, IssueState::Confirmed);
    }

    #[test]
    fn an_issue_reopened_again_and_again_goes_up_a_level() {
        let (e, r) = (estate(), routing());
        let (mut i, _) = Issue::report(IssueId(1), new_issue("street_lamp"), &e, &r, t0()).expect("report");
        let pc = party(30, PartyKind::PropertyCompany);
        apply(&mut i, &e, &r, &pc, Action::Accept, t0()).expect("accept");
        for n in 1..=2 {
            apply(&mut i, &e, &r, &pc, Action::Resolve { note: "修好".into() }, t0()).expect("resolve");
            apply(&mut i, &e, &r, &resident(102), Action::Reopen { reason: "没修好".into() }, t0()).expect("reopen");
            assert_eq!((i.reopened, i.level), (n, Level::Estate));
        }
        apply(&mut i, &e, &r, &pc, Action::Resolve { note: "修好".into() }, t0()).expect("resolve");
        apply(&mut i, &e, &r, &resident(102), Action::Reopen { reason: "第三次了".into() }, t0()).expect("reopen");
        assert_eq!((i.level, i.state), (Level::Community, IssueState::Routed));
        let mut bad = new_issue("street_lamp");
        bad.media_url = Some("file:///etc/passwd".into());
        assert!(Issue::report(IssueId(2), bad, &e, &r, t0()).is_err());
    }

    #[test]
    fn a_dispute_is_settled_by_joint_mediation_with_a_signed_agreement() {
        let (e, r) = (estate(), routing());
        let (mut i, _) = Issue::report(IssueId(1), new_issue("neighbour_dispute"), &e, &r, t0()).expect("report");
        for (id, p) in [(10, PartyKind::PartyBranch), (20, PartyKind::Committee), (40, PartyKind::CommunityWorker)] {
            apply(&mut i, &e, &r, &party(id, p), Action::Agree { plan: "三方联调".into() }, t0()).expect("agree");
        }
        // A dispute is not simply marked resolved.
        assert!(matches!(apply(&mut i, &e, &r, &party(40, PartyKind::CommunityWorker), Action::Resolve { note: "好了".into() }, t0()), Err(GovernanceError::WrongState { .. })));
        let mediator = Actor { id: ActorId(50), role: Role::Helper(HelperRole::Mediator) };
        apply(&mut i, &e, &r, &mediator, Action::StartMediation, t0()).expect("mediate");
        // Without the reporter's signature, or with the mediator as a party, no agreement.
        for bad in [vec![ActorId(103), ActorId(104)], vec![ActorId(102)], vec![ActorId(102), ActorId(50)], vec![ActorId(102), ActorId(103), ActorId(103)]] {
            assert!(apply(&mut i, &e, &r, &mediator, Action::RecordAgreement { text: "楼上负责修防水".into(), signatories: bad }, t0()).is_err());
        }
        apply(&mut i, &e, &r, &mediator, Action::RecordAgreement { text: "楼上负责修防水，费用各半".into(), signatories: vec![ActorId(102), ActorId(103)] }, t0())
            .expect("agreement");
        assert_eq!(i.state, IssueState::Resolved);
        assert_eq!(i.agreement.as_ref().map(|a| a.signatories.len()), Some(2));
        // A lamp is not a dispute.
        let (mut lamp, _) = Issue::report(IssueId(2), new_issue("street_lamp"), &e, &r, t0()).expect("report");
        assert!(apply(&mut lamp, &e, &r, &party(30, PartyKind::PropertyCompany), Action::StartMediation, t0()).is_err());
    }

    #[test]
    fn bad_reports_are_refused() {
        let (e, r) = (estate(), routing());
        let mut unknown = new_issue("ufo_sighting");
        assert!(matches!(Issue::report(IssueId(1), unknown.clone(), &e, &r, t0()), Err(GovernanceError::UnknownService { .. })));
        unknown.category = "night_construction_noise".into();
        assert!(matches!(Issue::report(IssueId(1), unknown.clone(), &e, &r, t0()), Err(GovernanceError::MissingAttribute { .. })));
        unknown.attributes.insert("heard_at".into(), "   ".into());
        assert!(matches!(Issue::report(IssueId(1), unknown.clone(), &e, &r, t0()), Err(GovernanceError::MissingAttribute { .. })));
        unknown.attributes.insert("heard_at".into(), "昨晚".into());
        assert!(matches!(Issue::report(IssueId(1), unknown.clone(), &e, &r, t0()), Err(GovernanceError::Invalid { .. })));
        unknown.attributes.insert("heard_at".into(), "2026-03-01T23:00:00+08:00".into());
        unknown.attributes.insert("evil".into(), "x".repeat(100_000));
        assert!(matches!(Issue::report(IssueId(1), unknown.clone(), &e, &r, t0()), Err(GovernanceError::Invalid { .. })));
        unknown.attributes.remove("evil");
        assert!(Issue::report(IssueId(1), unknown.clone(), &e, &r, t0()).is_ok());
        let mut nan = new_issue("street_lamp");
        nan.lat = f64::NAN;
        assert!(matches!(Issue::report(IssueId(1), nan, &e, &r, t0()), Err(GovernanceError::OutsideDistrict { .. })));
        let mut empty = new_issue("street_lamp");
        empty.description = "\u{7}".into();
        assert!(Issue::report(IssueId(1), empty, &e, &r, t0()).is_err());
        let mut elsewhere = new_issue("street_lamp");
        elsewhere.estate = EstateId(9);
        assert!(matches!(Issue::report(IssueId(1), elsewhere, &e, &r, t0()), Err(GovernanceError::NotFound { .. })));
    }

    #[test]
    fn an_estate_without_the_party_sends_the_issue_to_the_community() {
        let (mut e, r) = (estate(), routing());
        e.property_company = None;
        let (i, n) = Issue::report(IssueId(1), new_issue("street_lamp"), &e, &r, t0()).expect("report");
        assert_eq!((i.level, i.state), (Level::Community, IssueState::Routed));
        assert_eq!(n, vec![Notice { to: Recipient::Office(Level::Community), what: "routed".into() }]);
        let (j, _) = Issue::report(IssueId(2), new_issue("public_facility"), &e, &r, t0()).expect("report");
        assert_eq!((j.parties.clone(), j.state), (vec![PartyKind::Committee], IssueState::Routed));
    }
}
