//! The one-thing engine (一件事): applications, item cases and their workflows, collect-once
//! materials, deadlines, ratings and reductions — plain Rust over plain data, with no database,
//! HTTP or clock of its own (the caller passes `now`).

pub mod application;
pub mod deadline;
pub mod engine;
pub mod error;
pub mod form;
pub mod history;
pub mod notice;
pub mod plan;
pub mod rating;
pub mod reduction;

pub use application::{
    Actor, AppStatus, Applicant, Application, Baseline, CaseStatus, Channel, ItemCase, MaterialEntry,
    MaterialSource, Rating, RatingLevel, Rectification, RectificationStatus, Target, Touched,
};
pub use deadline::{TickOutcome, application_next_check};
pub use engine::{ActionRequest, Effects, Engine, IssuedRecord, Rules, SubmitRequest};
pub use error::{EngineError, ErrorKind};
pub use history::{ChainBreak, ChainHead, HistoryEntry};
pub use notice::{NoticeDraft, Recipient};
pub use plan::{Known, Plan, PlannedField, PlannedMaterial, Prior, Provision, SharedRecordRef};
pub use rating::RatingRequest;

use catalog::Action;

impl Engine<'_> {
    /// The actions `actor` may take on a case now: those leaving its state that one of the
    /// actor's roles allows. Screens show only these.
    pub fn available_actions(&self, app: &Application, case: domain::CaseId, actor: &Actor) -> Vec<Action> {
        let Some(c) = app.case(case) else { return Vec::new() };
        if !matches!(c.status, CaseStatus::Active | CaseStatus::Paused) || app.status.is_finished() {
            return Vec::new();
        }
        let (Some(wf), Some(state)) = (self.catalog.workflow(&c.workflow), c.state.as_deref()) else {
            return Vec::new();
        };
        wf.actions_from(state).filter(|a| actor.role_for(&a.roles).is_some()).cloned().collect()
    }
}
