//! The closed loop (闭环) of one alarm as a state machine over plain data: raised → acknowledged
//! (the monitoring centre called the elder) → dispatched to a responder → accepted → on scene →
//! resolved with an outcome, or cancelled (technical alarms, handled by maintenance). Every step —
//! each action and each escalation the timers demand — is appended to a hash-chained history, so
//! an edited, inserted or deleted step is found ([`verify_chain`], [`Case::verify`]).
//!
//! # Allowed actions
//!
//! | action | from | to |
//! | --- | --- | --- |
//! | `Acknowledge` | raised | acknowledged |
//! | `Dispatch { responder }` (not technical) | acknowledged, dispatched, accepted | dispatched (the next attempt) |
//! | `Accept` (not technical) | dispatched | accepted |
//! | `Decline` (not technical) | dispatched | acknowledged |
//! | `Arrive` (not technical) | dispatched, accepted | on scene |
//! | `Resolve { outcome }` (not technical) | acknowledged, dispatched, accepted, on scene | resolved |
//! | `Cancel { reason }` (technical only) | raised, acknowledged | cancelled |
//! | `Note { text }` | any open state | the same |
//! | `Escalate(escalation)` | as [`due`] returns it | the same |
//!
//! Anything else is refused with `wrong_state` and leaves the case unchanged.
//!
//! # Timers ([`due`])
//!
//! For an open case that is not technical, given `now`:
//! - not acknowledged `acknowledge_s` (60 s) after it was raised: remind the centre, and again
//!   every `remind_every_s` after the last reminder until it is acknowledged;
//! - a dispatched responder has not accepted `accept_s` (120 s) after the dispatch: ask the next
//!   responder (`NextResponder`, the caller dispatches whom [`crate::dispatch::rank`] puts first),
//!   or once `responders` have been asked, call the family;
//! - nobody on scene `on_scene_s` (600 s) after the alarm: call the family (if not yet called) and
//!   the alarm kind's emergency number (120, 110; none for no water/electricity).
//!
//! Each escalation is due once: the caller records it with `apply(case, Action::Escalate(e), …)`,
//! after which `due` no longer returns it, so calling `due` again is harmless. Technical cases
//! escalate nothing (maintenance works to its own service level). If no responder is left to
//! ask, the caller may record `CallFamily` at once.

use chrono::DateTime;
use chrono::Duration;
use chrono::SecondsFormat;
use chrono::Utc;
use serde::Deserialize;
use serde::Serialize;
use serde_json::json;
use sha2::Digest;
use sha2::Sha256;

use crate::device::ElderId;
use crate::error::GuardianError;
use crate::monitor::Raised;
use crate::reading::truncate_micros;
use crate::rules::AlarmKind;
use crate::rules::Rules;
use crate::rules::Severity;

/// The hash every chain starts from.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The end of a case's chain, kept on the case row so that deleting the last steps is detected.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChainHead {
    /// The last step's number (0: none).
    pub seq: u32,
    /// The last step's hash.
    pub hash: String,
}

impl Default for ChainHead {
    fn default() -> Self {
        ChainHead { seq: 0, hash: GENESIS.to_owned() }
    }
}

/// Where a case is in the loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseState {
    /// Raised, not yet acknowledged.
    Raised,
    /// The centre acknowledged it (called the elder).
    Acknowledged,
    /// A responder was asked to go.
    Dispatched,
    /// The responder accepted.
    Accepted,
    /// Someone is on scene.
    OnScene,
    /// Closed with an outcome.
    Resolved,
    /// A technical alarm closed by maintenance.
    Cancelled,
}

impl CaseState {
    /// The stable code.
    pub fn code(self) -> &'static str {
        match self {
            CaseState::Raised => "raised",
            CaseState::Acknowledged => "acknowledged",
            CaseState::Dispatched => "dispatched",
            CaseState::Accepted => "accepted",
            CaseState::OnScene => "on_scene",
            CaseState::Resolved => "resolved",
            CaseState::Cancelled => "cancelled",
        }
    }

    /// Whether the case is still open.
    pub fn is_open(self) -> bool {
        !matches!(self, CaseState::Resolved | CaseState::Cancelled)
    }
}

/// How a case ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", content = "text", rename_all = "snake_case")]
pub enum Outcome {
    /// Nothing was wrong.
    FalseAlarm,
    /// Helped at home.
    HelpedAtHome,
    /// Taken to hospital.
    SentToHospital,
    /// Something else, said in words.
    Other(String),
}

impl Outcome {
    /// The stable code.
    pub fn code(&self) -> &'static str {
        match self {
            Outcome::FalseAlarm => "false_alarm",
            Outcome::HelpedAtHome => "helped_at_home",
            Outcome::SentToHospital => "sent_to_hospital",
            Outcome::Other(_) => "other",
        }
    }
}

/// Something the timers demand.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "escalation", rename_all = "snake_case")]
pub enum EscalationKind {
    /// Remind the centre to acknowledge (the `n`th reminder).
    RemindCentre {
        /// 1, 2, 3 …
        n: u32,
    },
    /// The dispatched responder did not accept in time: ask the next.
    NextResponder {
        /// The attempt that timed out (1 = the first responder).
        attempt: u32,
        /// Who did not accept.
        responder: Option<String>,
    },
    /// Call the family.
    CallFamily,
    /// Call the emergency number.
    CallEmergency {
        /// `120`, `110`, `119`.
        number: String,
    },
}

impl EscalationKind {
    /// The code of the step that records it.
    pub fn step_code(&self) -> &'static str {
        match self {
            EscalationKind::RemindCentre { .. } => "reminded",
            EscalationKind::NextResponder { .. } => "responder_timed_out",
            EscalationKind::CallFamily => "family_called",
            EscalationKind::CallEmergency { .. } => "emergency_called",
        }
    }
}

/// An escalation and when it fell due.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Escalation {
    /// What.
    pub kind: EscalationKind,
    /// When it fell due.
    pub due_at: DateTime<Utc>,
}

/// What someone (or the system) does to a case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Action {
    /// The centre acknowledges (it called the elder).
    Acknowledge,
    /// Ask a responder to go.
    Dispatch {
        /// The responder's id.
        responder: String,
    },
    /// The responder accepts.
    Accept,
    /// The responder declines.
    Decline,
    /// Someone is on scene.
    Arrive,
    /// Closed with an outcome.
    Resolve {
        /// How it ended.
        outcome: Outcome,
    },
    /// A technical alarm handled by maintenance.
    Cancel {
        /// Why.
        reason: String,
    },
    /// A remark (the family was told, the elder answered the phone …).
    Note {
        /// The remark.
        text: String,
    },
    /// An escalation [`due`] returned.
    Escalate(Escalation),
}

impl Action {
    /// The stable code.
    pub fn code(&self) -> &'static str {
        match self {
            Action::Acknowledge => "acknowledge",
            Action::Dispatch { .. } => "dispatch",
            Action::Accept => "accept",
            Action::Decline => "decline",
            Action::Arrive => "arrive",
            Action::Resolve { .. } => "resolve",
            Action::Cancel { .. } => "cancel",
            Action::Note { .. } => "note",
            Action::Escalate(_) => "escalate",
        }
    }
}

/// One step of a case's history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Step {
    /// The case.
    pub case: u64,
    /// 1, 2, 3 … without gaps.
    pub seq: u32,
    /// When, to the microsecond.
    pub at: DateTime<Utc>,
    /// Who: the caller's name for the actor (`system`, `account:42`, a responder id).
    pub actor: String,
    /// What happened: `raised`, `acknowledged`, `dispatched`, `accepted`, `declined`, `arrived`,
    /// `resolved`, `cancelled`, `noted`, `reminded`, `responder_timed_out`, `family_called`,
    /// `emergency_called`.
    pub action: String,
    /// The state before (none for `raised`).
    pub from: Option<CaseState>,
    /// The state after.
    pub to: CaseState,
    /// Details as compact JSON (the evidence, the responder, the outcome, the note …).
    pub detail: String,
    /// The previous step's hash ([`GENESIS`] for the first).
    pub prev_hash: String,
    /// SHA-256 of the previous hash and this step.
    pub hash: String,
}

/// One alarm's case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Case {
    /// The caller's id.
    pub id: u64,
    /// The elder.
    pub elder: ElderId,
    /// The device it came from, if one.
    pub device: Option<String>,
    /// What.
    pub kind: AlarmKind,
    /// Technical: for maintenance.
    pub technical: bool,
    /// How serious.
    pub severity: Severity,
    /// Whether it is a life-safety alarm (from the rules when raised).
    pub life_safety: bool,
    /// When it was raised.
    pub raised_at: DateTime<Utc>,
    /// Where it is.
    pub state: CaseState,
    /// The responder dispatched now.
    pub responder: Option<String>,
    /// Every responder dispatched so far, in order.
    pub tried: Vec<String>,
    /// How many dispatches.
    pub attempts: u32,
    /// How it ended.
    pub outcome: Option<Outcome>,
    /// The history.
    pub steps: Vec<Step>,
    /// The history's end.
    pub head: ChainHead,
}

/// The bytes a step's hash covers, in a fixed order with unambiguous separators.
fn canonical(s: &Step) -> String {
    let fields = [
        s.case.to_string(),
        s.seq.to_string(),
        s.at.to_rfc3339_opts(SecondsFormat::Micros, true),
        s.actor.clone(),
        s.action.clone(),
        s.from.map(CaseState::code).unwrap_or_default().to_owned(),
        s.to.code().to_owned(),
        s.detail.clone(),
    ];
    serde_json::to_string(&fields).unwrap_or_default()
}

/// The hash of a step given its previous hash.
pub fn step_hash(s: &Step) -> String {
    let mut h = Sha256::new();
    h.update(s.prev_hash.as_bytes());
    h.update(b"\n");
    h.update(canonical(s).as_bytes());
    hex::encode(h.finalize())
}

/// Checks a case's steps (in order): numbered 1, 2, 3 … of one case, each linked to the one
/// before and matching its content. The index of the first step that is not.
pub fn verify_chain(steps: &[Step]) -> Result<(), usize> {
    let mut prev = GENESIS;
    for (i, s) in steps.iter().enumerate() {
        let n = u32::try_from(i + 1).map_err(|_| i)?;
        if s.seq != n || s.prev_hash != prev || s.case != steps[0].case || step_hash(s) != s.hash {
            return Err(i);
        }
        prev = &s.hash;
    }
    Ok(())
}

fn wrong(action: &Action, state: &'static str) -> GuardianError {
    GuardianError::WrongState { action: action.code(), state }
}

fn non_empty(v: &str, field: &'static str) -> Result<(), GuardianError> {
    if v.trim().is_empty() || v.chars().count() > 500 {
        return Err(GuardianError::InvalidAction {
            field,
            message_zh: "应为 1～500 个字符".to_owned(),
            message_en: "must be 1–500 characters".to_owned(),
        });
    }
    Ok(())
}

impl Case {
    /// Opens the case of an alarm the monitor raised: its first step, `raised`, holds the
    /// evidence.
    pub fn open(id: u64, raised: &Raised, rules: &Rules) -> Case {
        let at = truncate_micros(raised.at);
        let mut case = Case {
            id,
            elder: raised.elder,
            device: raised.device.clone(),
            kind: raised.kind,
            technical: raised.technical,
            severity: raised.severity,
            life_safety: rules.alarm(raised.kind).life_safety,
            raised_at: at,
            state: CaseState::Raised,
            responder: None,
            tried: Vec::new(),
            attempts: 0,
            outcome: None,
            steps: Vec::new(),
            head: ChainHead::default(),
        };
        let detail = json!({
            "kind": raised.kind.code(),
            "device": raised.device,
            "technical": raised.technical,
            "severity": raised.severity.code(),
            "evidence": raised.evidence,
        });
        case.append(at, "system", "raised", None, detail.to_string());
        case
    }

    fn append(&mut self, at: DateTime<Utc>, actor: &str, action: &str, from: Option<CaseState>, detail: String) -> Step {
        let mut s = Step {
            case: self.id,
            seq: self.head.seq + 1,
            at,
            actor: actor.to_owned(),
            action: action.to_owned(),
            from,
            to: self.state,
            detail,
            prev_hash: self.head.hash.clone(),
            hash: String::new(),
        };
        s.hash = step_hash(&s);
        self.head = ChainHead { seq: s.seq, hash: s.hash.clone() };
        self.steps.push(s.clone());
        s
    }

    /// Checks the history and that it ends at the recorded head; the index of the first bad step
    /// (the number of steps when the head does not match: steps were deleted or added at the end).
    pub fn verify(&self) -> Result<(), usize> {
        verify_chain(&self.steps)?;
        let (seq, hash) = self.steps.last().map_or((0, GENESIS), |s| (s.seq, s.hash.as_str()));
        if seq != self.head.seq || hash != self.head.hash {
            return Err(self.steps.len());
        }
        Ok(())
    }

    /// When the first step with this action code happened.
    pub fn first_at(&self, action: &str) -> Option<DateTime<Utc>> {
        self.steps.iter().find(|s| s.action == action).map(|s| s.at)
    }

    /// When the case was closed (resolved or cancelled).
    pub fn closed_at(&self) -> Option<DateTime<Utc>> {
        self.steps.iter().find(|s| !s.to.is_open()).map(|s| s.at)
    }

    fn count(&self, action: &str) -> usize {
        self.steps.iter().filter(|s| s.action == action).count()
    }

    fn last_at(&self, action: &str) -> Option<DateTime<Utc>> {
        self.steps.iter().rev().find(|s| s.action == action).map(|s| s.at)
    }

    fn timed_out(&self, attempt: u32) -> bool {
        self.steps.iter().filter(|s| s.action == "responder_timed_out").any(|s| {
            serde_json::from_str::<serde_json::Value>(&s.detail).is_ok_and(|d| d["attempt"].as_u64() == Some(u64::from(attempt)))
        })
    }
}

/// Applies an action by `actor` at `now`: the step it appended, or `wrong_state` (or
/// `invalid_action`) with the case unchanged. A `now` before the last step is taken as the
/// last step's time, so the history never runs backwards.
pub fn apply(case: &mut Case, action: Action, actor: &str, now: DateTime<Utc>) -> Result<Step, GuardianError> {
    use CaseState::*;
    let from = case.state;
    let state = from.code();
    if !from.is_open() {
        return Err(wrong(&action, state));
    }
    let for_people = |a: &Action| if case.technical { Err(wrong(a, "technical")) } else { Ok(()) };
    let (to, code, detail) = match &action {
        Action::Acknowledge if from == Raised => (Acknowledged, "acknowledged", String::new()),
        Action::Dispatch { responder } if matches!(from, Acknowledged | Dispatched | Accepted) => {
            for_people(&action)?;
            non_empty(responder, "responder")?;
            (Dispatched, "dispatched", json!({ "responder": responder, "attempt": case.attempts + 1 }).to_string())
        }
        Action::Accept if from == Dispatched => {
            for_people(&action)?;
            (Accepted, "accepted", json!({ "responder": case.responder }).to_string())
        }
        Action::Decline if from == Dispatched => {
            for_people(&action)?;
            (Acknowledged, "declined", json!({ "responder": case.responder }).to_string())
        }
        Action::Arrive if matches!(from, Dispatched | Accepted) => {
            for_people(&action)?;
            (OnScene, "arrived", json!({ "responder": case.responder }).to_string())
        }
        Action::Resolve { outcome } if matches!(from, Acknowledged | Dispatched | Accepted | OnScene) => {
            for_people(&action)?;
            if let Outcome::Other(text) = outcome {
                non_empty(text, "outcome")?;
            }
            (Resolved, "resolved", serde_json::to_string(outcome).unwrap_or_default())
        }
        Action::Cancel { reason } if matches!(from, Raised | Acknowledged) => {
            if !case.technical {
                return Err(wrong(&action, "not technical"));
            }
            non_empty(reason, "reason")?;
            (Cancelled, "cancelled", json!({ "reason": reason }).to_string())
        }
        Action::Note { text } => {
            non_empty(text, "text")?;
            (from, "noted", json!({ "text": text }).to_string())
        }
        Action::Escalate(e) => {
            let ok = !case.technical
                && match &e.kind {
                    EscalationKind::RemindCentre { n } => from == Raised && usize::try_from(*n).is_ok_and(|n| n == case.count("reminded") + 1),
                    EscalationKind::NextResponder { attempt, .. } => from == Dispatched && *attempt == case.attempts && !case.timed_out(*attempt),
                    EscalationKind::CallFamily => case.count("family_called") == 0,
                    EscalationKind::CallEmergency { .. } => case.count("emergency_called") == 0,
                };
            if !ok {
                return Err(wrong(&action, state));
            }
            let mut detail = serde_json::to_value(&e.kind).unwrap_or_default();
            if let Some(m) = detail.as_object_mut() {
                m.insert("due_at".to_owned(), json!(e.due_at.to_rfc3339_opts(SecondsFormat::Micros, true)));
            }
            (from, e.kind.step_code(), detail.to_string())
        }
        _ => return Err(wrong(&action, state)),
    };
    let last = case.steps.last().map_or(case.raised_at, |s| s.at);
    let at = truncate_micros(now).max(last);
    match &action {
        Action::Dispatch { responder } => {
            case.responder = Some(responder.clone());
            case.tried.push(responder.clone());
            case.attempts += 1;
        }
        Action::Decline => case.responder = None,
        Action::Resolve { outcome } => case.outcome = Some(outcome.clone()),
        _ => {}
    }
    case.state = to;
    Ok(case.append(at, actor, code, Some(from), detail))
}

/// What the timers demand of an open case at `now` that has not been recorded yet (see the
/// module documentation). Calling it again returns the same until each is recorded.
pub fn due(case: &Case, rules: &Rules, now: DateTime<Utc>) -> Vec<Escalation> {
    use CaseState::*;
    let mut out = Vec::new();
    if case.technical || !case.state.is_open() {
        return out;
    }
    let e = &rules.escalation;
    let secs = |s: u32| Duration::seconds(i64::from(s));
    let family_called = case.count("family_called") > 0;
    if case.state == Raised {
        let reminders = case.count("reminded");
        let due_at = match case.last_at("reminded") {
            Some(last) if reminders > 0 => last + secs(e.remind_every_s),
            _ => case.raised_at + secs(e.acknowledge_s),
        };
        if now >= due_at {
            out.push(Escalation { kind: EscalationKind::RemindCentre { n: u32::try_from(reminders + 1).unwrap_or(u32::MAX) }, due_at });
        }
    }
    let mut family = false;
    if case.state == Dispatched
        && let Some(d) = case.last_at("dispatched")
    {
        let due_at = d + secs(e.accept_s);
        if now >= due_at && !case.timed_out(case.attempts) {
            if case.attempts < e.responders {
                out.push(Escalation { kind: EscalationKind::NextResponder { attempt: case.attempts, responder: case.responder.clone() }, due_at });
            } else if !family_called {
                out.push(Escalation { kind: EscalationKind::CallFamily, due_at });
                family = true;
            }
        }
    }
    let on_scene_due = case.raised_at + secs(e.on_scene_s);
    if matches!(case.state, Raised | Acknowledged | Dispatched | Accepted) && now >= on_scene_due {
        if !family_called && !family {
            out.push(Escalation { kind: EscalationKind::CallFamily, due_at: on_scene_due });
        }
        if let Some(number) = &rules.alarm(case.kind).emergency
            && case.count("emergency_called") == 0
        {
            out.push(Escalation { kind: EscalationKind::CallEmergency { number: number.clone() }, due_at: on_scene_due });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::monitor::Evidence;
    use domain::Describe;

    fn t0() -> DateTime<Utc> {
        "2026-03-02T19:00:00.123456789Z".parse().expect("as expected")
    }

    fn s(n: i64) -> DateTime<Utc> {
        t0() + Duration::seconds(n)
    }

    fn raised(kind: AlarmKind) -> Raised {
        Raised {
            elder: ElderId(7),
            device: Some("wear".into()),
            kind,
            technical: kind.is_technical(),
            severity: Rules::embedded().alarm(kind).severity,
            at: t0(),
            evidence: vec![Evidence::Offline { device: "wear".into(), kind: crate::device::DeviceKind::Wearable, last_seen: None, minutes: 30 }],
        }
    }

    fn kinds(v: &[Escalation]) -> Vec<EscalationKind> {
        v.iter().map(|e| e.kind.clone()).collect()
    }

    /// Records everything due at `now`, as the caller's scheduler would.
    fn record_due(case: &mut Case, rules: &Rules, now: DateTime<Utc>) -> Vec<EscalationKind> {
        let d = due(case, rules, now);
        for e in &d {
            apply(case, Action::Escalate(e.clone()), "system", now).expect("as expected");
        }
        kinds(&d)
    }

    #[test]
    fn the_whole_loop_in_order() {
        let rules = Rules::embedded();
        let mut c = Case::open(1, &raised(AlarmKind::Fall), &rules);
        assert_eq!((c.state, c.life_safety, c.severity), (CaseState::Raised, true, Severity::Critical));
        assert_eq!(c.raised_at.timestamp_subsec_nanos(), 123_456_000, "to the microsecond");
        assert!(c.steps[0].detail.contains("\"evidence\""));
        apply(&mut c, Action::Acknowledge, "account:3", s(20)).expect("as expected");
        apply(&mut c, Action::Dispatch { responder: "grid:1".into() }, "account:3", s(40)).expect("as expected");
        apply(&mut c, Action::Accept, "grid:1", s(70)).expect("as expected");
        apply(&mut c, Action::Arrive, "grid:1", s(400)).expect("as expected");
        apply(&mut c, Action::Note { text: "家属已告知".into() }, "account:3", s(410)).expect("as expected");
        let last = apply(&mut c, Action::Resolve { outcome: Outcome::HelpedAtHome }, "grid:1", s(500)).expect("as expected");
        assert_eq!((last.from, last.to, last.action.as_str()), (Some(CaseState::OnScene), CaseState::Resolved, "resolved"));
        assert_eq!(c.state, CaseState::Resolved);
        assert_eq!(c.outcome, Some(Outcome::HelpedAtHome));
        assert_eq!((c.responder.as_deref(), c.attempts, c.tried.clone()), (Some("grid:1"), 1, vec!["grid:1".to_owned()]));
        assert_eq!(
            c.steps.iter().map(|s| s.action.as_str()).collect::<Vec<_>>(),
            ["raised", "acknowledged", "dispatched", "accepted", "arrived", "noted", "resolved"]
        );
        assert_eq!(c.head.seq, 7);
        assert_eq!(c.verify(), Ok(()));
        assert_eq!(c.first_at("arrived"), Some(truncate_micros(s(400))));
        assert_eq!(c.closed_at(), Some(truncate_micros(s(500))));
        assert!(due(&c, &rules, s(5000)).is_empty(), "a closed case escalates nothing");
        // Closed: nothing more.
        let e = apply(&mut c, Action::Note { text: "x".into() }, "a", s(600)).expect_err("refused");
        assert_eq!((e.code(), e.field()), ("wrong_state", Some("state".to_owned())));
    }

    #[test]
    fn transitions_that_are_not_allowed_change_nothing() {
        let rules = Rules::embedded();
        let mut c = Case::open(1, &raised(AlarmKind::Sos), &rules);
        let before = c.clone();
        for a in [
            Action::Accept,
            Action::Arrive,
            Action::Decline,
            Action::Dispatch { responder: "v:1".into() },
            Action::Resolve { outcome: Outcome::FalseAlarm },
            Action::Cancel { reason: "x".into() },
            Action::Escalate(Escalation { kind: EscalationKind::RemindCentre { n: 2 }, due_at: s(0) }),
            Action::Escalate(Escalation { kind: EscalationKind::NextResponder { attempt: 0, responder: None }, due_at: s(0) }),
        ] {
            let e = apply(&mut c, a.clone(), "x", s(10)).expect_err("refused");
            assert_eq!(e.code(), "wrong_state", "{a:?}");
            assert_eq!(c, before, "{a:?}");
        }
        apply(&mut c, Action::Acknowledge, "x", s(10)).expect("as expected");
        assert_eq!(apply(&mut c, Action::Acknowledge, "x", s(11)).expect_err("refused").code(), "wrong_state");
        assert_eq!(apply(&mut c, Action::Arrive, "x", s(11)).expect_err("refused").code(), "wrong_state");
        let e = apply(&mut c, Action::Dispatch { responder: " ".into() }, "x", s(12)).expect_err("refused");
        assert_eq!((e.code(), e.field()), ("invalid_action", Some("responder".to_owned())));
        let e = apply(&mut c, Action::Resolve { outcome: Outcome::Other(String::new()) }, "x", s(12)).expect_err("refused");
        assert_eq!(e.code(), "invalid_action");
        // Resolved by telephone: the elder answered, a false alarm.
        apply(&mut c, Action::Resolve { outcome: Outcome::FalseAlarm }, "x", s(30)).expect("as expected");
        assert_eq!(c.verify(), Ok(()));
        // A technical alarm: acknowledged and cancelled by maintenance, never dispatched.
        let mut c = Case::open(2, &raised(AlarmKind::DeviceOffline), &rules);
        assert!(c.technical && !c.life_safety);
        apply(&mut c, Action::Acknowledge, "maint:1", s(5)).expect("as expected");
        let e = apply(&mut c, Action::Dispatch { responder: "v:1".into() }, "x", s(6)).expect_err("refused");
        assert_eq!(e.to_string(), "cannot dispatch a case that is technical");
        assert_eq!(apply(&mut c, Action::Resolve { outcome: Outcome::FalseAlarm }, "x", s(6)).expect_err("refused").code(), "wrong_state");
        assert!(due(&c, &rules, s(100_000)).is_empty(), "technical cases do not escalate");
        apply(&mut c, Action::Cancel { reason: "更换电池".into() }, "maint:1", s(7200)).expect("as expected");
        assert_eq!(c.state, CaseState::Cancelled);
        assert_eq!(c.closed_at(), Some(truncate_micros(s(7200))));
        // A person's alarm cannot be cancelled.
        let mut c = Case::open(3, &raised(AlarmKind::Fall), &rules);
        assert_eq!(apply(&mut c, Action::Cancel { reason: "x".into() }, "x", s(1)).expect_err("refused").code(), "wrong_state");
        // Time never runs backwards in the history.
        let step = apply(&mut c, Action::Acknowledge, "x", s(-100)).expect("as expected");
        assert_eq!(step.at, c.raised_at);
    }

    #[test]
    fn reminders_until_acknowledged() {
        let rules = Rules::embedded();
        let mut c = Case::open(1, &raised(AlarmKind::Sos), &rules);
        assert!(record_due(&mut c, &rules, s(59)).is_empty());
        assert_eq!(record_due(&mut c, &rules, s(60)), vec![EscalationKind::RemindCentre { n: 1 }]);
        assert!(record_due(&mut c, &rules, s(60)).is_empty(), "recorded: not due again");
        assert!(record_due(&mut c, &rules, s(89)).is_empty());
        assert_eq!(record_due(&mut c, &rules, s(90)), vec![EscalationKind::RemindCentre { n: 2 }]);
        // A late scheduler gets one reminder, not a burst.
        assert_eq!(record_due(&mut c, &rules, s(200)), vec![EscalationKind::RemindCentre { n: 3 }]);
        assert_eq!(record_due(&mut c, &rules, s(229)), vec![]);
        assert_eq!(record_due(&mut c, &rules, s(230)), vec![EscalationKind::RemindCentre { n: 4 }]);
        apply(&mut c, Action::Acknowledge, "account:3", s(240)).expect("as expected");
        assert!(record_due(&mut c, &rules, s(300)).is_empty(), "acknowledged: no more reminders");
        // Recording a reminder that is not due is refused.
        let e = Escalation { kind: EscalationKind::RemindCentre { n: 5 }, due_at: s(300) };
        assert_eq!(apply(&mut c, Action::Escalate(e), "system", s(300)).expect_err("refused").code(), "wrong_state");
        assert_eq!(c.verify(), Ok(()));
    }

    #[test]
    fn responders_in_turn_then_family_then_120() {
        let rules = Rules::embedded();
        let mut c = Case::open(1, &raised(AlarmKind::Fall), &rules);
        apply(&mut c, Action::Acknowledge, "centre", s(30)).expect("as expected");
        apply(&mut c, Action::Dispatch { responder: "r1".into() }, "centre", s(40)).expect("as expected");
        assert!(record_due(&mut c, &rules, s(159)).is_empty());
        assert_eq!(record_due(&mut c, &rules, s(160)), vec![EscalationKind::NextResponder { attempt: 1, responder: Some("r1".into()) }]);
        assert!(record_due(&mut c, &rules, s(170)).is_empty(), "once per attempt");
        apply(&mut c, Action::Dispatch { responder: "r2".into() }, "centre", s(170)).expect("as expected");
        assert!(record_due(&mut c, &rules, s(289)).is_empty());
        assert_eq!(record_due(&mut c, &rules, s(290)), vec![EscalationKind::NextResponder { attempt: 2, responder: Some("r2".into()) }]);
        apply(&mut c, Action::Dispatch { responder: "r3".into() }, "centre", s(295)).expect("as expected");
        apply(&mut c, Action::Decline, "r3", s(300)).expect("as expected");
        assert_eq!(c.state, CaseState::Acknowledged);
        apply(&mut c, Action::Dispatch { responder: "r4".into() }, "centre", s(310)).expect("as expected");
        // The fourth responder (beyond the three the rules ask) does not accept: the family.
        assert_eq!(record_due(&mut c, &rules, s(430)), vec![EscalationKind::CallFamily]);
        assert!(record_due(&mut c, &rules, s(500)).is_empty());
        // Nobody on scene 600 s after the alarm: 120 (the family was already called).
        assert!(record_due(&mut c, &rules, s(599)).is_empty());
        assert_eq!(record_due(&mut c, &rules, s(600)), vec![EscalationKind::CallEmergency { number: "120".into() }]);
        assert!(record_due(&mut c, &rules, s(900)).is_empty(), "each escalation once");
        apply(&mut c, Action::Accept, "r4", s(610)).expect("as expected");
        apply(&mut c, Action::Arrive, "r4", s(700)).expect("as expected");
        apply(&mut c, Action::Resolve { outcome: Outcome::SentToHospital }, "r4", s(1500)).expect("as expected");
        assert_eq!(c.tried, ["r1", "r2", "r3", "r4"]);
        assert_eq!(c.attempts, 4);
        assert_eq!(c.verify(), Ok(()));
        let codes: Vec<&str> = c.steps.iter().map(|s| s.action.as_str()).collect();
        assert_eq!(
            codes,
            [
                "raised",
                "acknowledged",
                "dispatched",
                "responder_timed_out",
                "dispatched",
                "responder_timed_out",
                "dispatched",
                "declined",
                "dispatched",
                "family_called",
                "emergency_called",
                "accepted",
                "arrived",
                "resolved"
            ]
        );
        assert!(c.steps[10].detail.contains("\"number\":\"120\""), "{}", c.steps[10].detail);
    }

    #[test]
    fn nobody_on_scene_calls_family_and_the_kinds_number() {
        let rules = Rules::embedded();
        // Never even acknowledged: reminders, and at 600 s the family and 110 (out at night).
        let mut c = Case::open(1, &raised(AlarmKind::OutAtNight), &rules);
        let got = record_due(&mut c, &rules, s(600));
        assert_eq!(got, vec![EscalationKind::RemindCentre { n: 1 }, EscalationKind::CallFamily, EscalationKind::CallEmergency { number: "110".into() }]);
        assert!(record_due(&mut c, &rules, s(601)).is_empty());
        // Accepted but not there: the same at 600 s.
        let mut c = Case::open(2, &raised(AlarmKind::Fall), &rules);
        apply(&mut c, Action::Acknowledge, "centre", s(10)).expect("as expected");
        apply(&mut c, Action::Dispatch { responder: "r1".into() }, "centre", s(20)).expect("as expected");
        apply(&mut c, Action::Accept, "r1", s(30)).expect("as expected");
        assert!(record_due(&mut c, &rules, s(599)).is_empty());
        assert_eq!(record_due(&mut c, &rules, s(600)), vec![EscalationKind::CallFamily, EscalationKind::CallEmergency { number: "120".into() }]);
        // No water has no emergency number: only the family.
        let mut c = Case::open(3, &raised(AlarmKind::NoWater), &rules);
        apply(&mut c, Action::Acknowledge, "centre", s(10)).expect("as expected");
        assert_eq!(record_due(&mut c, &rules, s(600)), vec![EscalationKind::CallFamily]);
        // On scene in time: nothing.
        let mut c = Case::open(4, &raised(AlarmKind::Fall), &rules);
        apply(&mut c, Action::Acknowledge, "centre", s(10)).expect("as expected");
        apply(&mut c, Action::Dispatch { responder: "r1".into() }, "centre", s(20)).expect("as expected");
        apply(&mut c, Action::Arrive, "r1", s(500)).expect("as expected");
        assert!(due(&c, &rules, s(10_000)).is_empty());
        // The family may be called by hand when no responder is left, once.
        let mut c = Case::open(5, &raised(AlarmKind::Fall), &rules);
        apply(&mut c, Action::Acknowledge, "centre", s(10)).expect("as expected");
        let fam = Escalation { kind: EscalationKind::CallFamily, due_at: s(11) };
        apply(&mut c, Action::Escalate(fam.clone()), "centre", s(11)).expect("as expected");
        assert_eq!(apply(&mut c, Action::Escalate(fam), "centre", s(12)).expect_err("refused").code(), "wrong_state");
        assert_eq!(record_due(&mut c, &rules, s(600)), vec![EscalationKind::CallEmergency { number: "120".into() }]);
    }

    #[test]
    fn a_broken_chain_is_found() {
        let rules = Rules::embedded();
        let mut c = Case::open(9, &raised(AlarmKind::Sos), &rules);
        apply(&mut c, Action::Acknowledge, "centre", s(10)).expect("as expected");
        apply(&mut c, Action::Dispatch { responder: "r1".into() }, "centre", s(20)).expect("as expected");
        apply(&mut c, Action::Accept, "r1", s(30)).expect("as expected");
        assert_eq!(verify_chain(&c.steps), Ok(()));
        // Survives a database round trip (JSON, microseconds).
        let back: Case = serde_json::from_str(&serde_json::to_string(&c).expect("as expected")).expect("as expected");
        assert_eq!(back.verify(), Ok(()));
        let mut edited = c.steps.clone();
        edited[2].actor = "someone else".into();
        assert_eq!(verify_chain(&edited), Err(2));
        let mut edited = c.steps.clone();
        edited[1].at += Duration::microseconds(1);
        assert_eq!(verify_chain(&edited), Err(1));
        let mut deleted = c.steps.clone();
        deleted.remove(1);
        assert_eq!(verify_chain(&deleted), Err(1));
        let mut foreign = c.steps.clone();
        foreign[3].case = 10;
        assert_eq!(verify_chain(&foreign), Err(3));
        // Deleting the last step leaves a valid chain; the head finds it.
        let mut cut = c.clone();
        cut.steps.pop();
        assert_eq!(verify_chain(&cut.steps), Ok(()));
        assert_eq!(cut.verify(), Err(3));
        // Re-hashing an edited step does not help: the next link breaks.
        let mut forged = c.steps.clone();
        forged[1].actor = "x".into();
        forged[1].hash = step_hash(&forged[1]);
        assert_eq!(verify_chain(&forged), Err(2));
    }
}
