//! Good/bad reviews (好差评): the applicant rates a finished application on the national five-level
//! scale; a bad rating opens a rectification for each department concerned, which its supervisor
//! answers, and the applicant's re-rating closes it.

use chrono::{DateTime, Utc};
use domain::{AccountId, RectificationId, china_date};

use crate::application::{Application, Rating, RatingLevel, Rectification, RectificationStatus};
use crate::engine::{Change, Effects, Engine};
use crate::error::{EngineError, Result};
use crate::history::{self, EntryDraft};
use crate::notice::Recipient;

/// A rating as the applicant gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RatingRequest {
    pub level: RatingLevel,
    pub comment: Option<String>,
    /// The departments a bad rating is about; empty means every department involved.
    pub departments: Vec<String>,
}

impl Engine<'_> {
    /// Rates a finished application, or re-rates it after a rectification was answered.
    pub fn rate(
        &self,
        app: &mut Application,
        actor: AccountId,
        req: RatingRequest,
        now: DateTime<Utc>,
    ) -> Result<Effects> {
        let now = history::truncate_micros(now);
        if !app.is_applicant(actor) {
            return Err(EngineError::NotApplicant);
        }
        if !app.status.is_finished() {
            return Err(EngineError::NotFinished);
        }
        let comment = req.comment.as_deref().map(str::trim).filter(|c| !c.is_empty()).map(str::to_owned);
        if let Some(c) = &comment
            && c.chars().count() > self.rules.max_rating_comment_chars
        {
            return Err(EngineError::TooLong { field: "comment".into(), max: self.rules.max_rating_comment_chars });
        }
        let involved = app.departments();
        for d in &req.departments {
            if !involved.contains(d) {
                return Err(EngineError::DepartmentNotInvolved(d.clone()));
            }
        }
        let awaiting_rerating: Vec<usize> = app
            .rectifications
            .iter()
            .enumerate()
            .filter(|(_, r)| r.status == RectificationStatus::Responded)
            .map(|(i, _)| i)
            .collect();
        if !app.ratings.is_empty() && awaiting_rerating.is_empty() {
            return Err(EngineError::AlreadyRated);
        }
        let round = u32::try_from(app.ratings.len()).unwrap_or(u32::MAX) + 1;

        let mut head = app.history.clone();
        let mut ch = Change { now, app_id: app.id, head: &mut head, effects: Effects::default(), filing: false };
        app.ratings.push(Rating { round, level: req.level, comment: comment.clone(), at: now });
        app.touched.docs = true;
        let mut d = EntryDraft::system("rated");
        d.actor = Some(actor);
        d.role = "applicant".into();
        d.detail = serde_json::json!({ "round": round, "level": req.level.code(), "score": req.level.score(),
            "comment": comment })
        .to_string();
        ch.log(d);
        for i in awaiting_rerating {
            let r = &mut app.rectifications[i];
            r.status = RectificationStatus::Closed;
            r.closed_at = Some(now);
            r.closing_level = Some(req.level);
            app.touched.rectifications.insert(r.id);
            let mut d = EntryDraft::system("rectification_closed");
            d.actor = Some(actor);
            d.role = "applicant".into();
            d.detail = serde_json::json!({ "rectification": r.id.to_string(), "department": r.department,
                "level": req.level.code() })
            .to_string();
            ch.log(d);
        }
        if req.level.is_bad() {
            let named = if req.departments.is_empty() { involved } else { req.departments.clone() };
            // Each department once; one that still owes an answer to an earlier bad rating is
            // not given a second rectification.
            let mut targets: Vec<String> = Vec::with_capacity(named.len());
            for d in named {
                let open = app
                    .rectifications
                    .iter()
                    .any(|r| r.department == d && r.status == RectificationStatus::Open);
                if !open && !targets.contains(&d) {
                    targets.push(d);
                }
            }
            let due_on = self.calendar.add_working_days(china_date(now), self.rules.rectification_days);
            for dept in targets {
                let id = RectificationId(self.ids.next());
                app.rectifications.push(Rectification {
                    id,
                    department: dept.clone(),
                    status: RectificationStatus::Open,
                    opened_by_round: round,
                    opened_at: now,
                    due_on,
                    overdue: false,
                    response: None,
                    responded_by: None,
                    responded_at: None,
                    closed_at: None,
                    closing_level: None,
                });
                app.touched.rectifications.insert(id);
                let dname = self.catalog.department(&dept).map(|d| d.name.clone()).unwrap_or(dept.clone());
                let mut d = EntryDraft::system("rectification_opened");
                d.detail = serde_json::json!({ "rectification": id.to_string(), "department": dept,
                    "due_on": due_on.to_string() })
                .to_string();
                ch.log(d);
                ch.notify(
                    Recipient::department(&dept, "supervisor"),
                    "rectification_opened",
                    None,
                    format!(
                        "【差评整改】申请人给出「{}」评价{}，请于{due_on}前核实整改并答复。",
                        req.level.name_zh(),
                        comment.as_deref().map(|c| format!("：{c}")).unwrap_or_default()
                    ),
                    format!("A '{}' rating needs rectification by {due_on}.", req.level.name_en()),
                );
                ch.notify(
                    Recipient::applicant(app.applicant.account),
                    "rectification_opened_applicant",
                    None,
                    format!("【富阳政务】感谢您的评价，我们已转{dname}整改，将于{due_on}前答复您。"),
                    format!("Thank you. Your rating was passed on for rectification; you will hear back by {due_on}."),
                );
            }
        }
        let effects = ch.effects;
        app.history = head;
        Ok(effects)
    }

    /// The department supervisor answers a rectification with what was put right.
    pub fn respond_rectification(
        &self,
        app: &mut Application,
        id: RectificationId,
        actor: AccountId,
        response: &str,
        now: DateTime<Utc>,
    ) -> Result<Effects> {
        let now = history::truncate_micros(now);
        let response = response.trim();
        if response.is_empty() {
            return Err(EngineError::CommentRequired { action: "整改答复".into(), action_en: "rectification answer".into() });
        }
        if response.chars().count() > self.rules.max_comment_chars {
            return Err(EngineError::TooLong { field: "response".into(), max: self.rules.max_comment_chars });
        }
        let idx = app
            .rectifications
            .iter()
            .position(|r| r.id == id)
            .ok_or(EngineError::RectificationNotFound(id))?;
        let status = app.rectifications[idx].status;
        if status != RectificationStatus::Open {
            return Err(EngineError::RectificationState(status.name_zh()));
        }
        let mut head = app.history.clone();
        let mut ch = Change { now, app_id: app.id, head: &mut head, effects: Effects::default(), filing: false };
        let r = &mut app.rectifications[idx];
        r.status = RectificationStatus::Responded;
        r.response = Some(response.to_owned());
        r.responded_by = Some(actor);
        r.responded_at = Some(now);
        app.touched.rectifications.insert(id);
        let dept = r.department.clone();
        let mut d = EntryDraft::system("rectification_responded");
        d.actor = Some(actor);
        d.role = "supervisor".into();
        d.detail = serde_json::json!({ "rectification": id.to_string(), "department": dept, "response": response })
            .to_string();
        ch.log(d);
        let dname = self.catalog.department(&dept).map(|d| d.name.clone()).unwrap_or(dept);
        ch.notify(
            Recipient::applicant(app.applicant.account),
            "rectification_responded",
            None,
            format!("【富阳政务】{dname}已就您的评价完成整改：{response}。请您再次评价。"),
            format!("The department has answered your rating: {response}. Please rate again."),
        );
        let effects = ch.effects;
        app.history = head;
        Ok(effects)
    }
}
