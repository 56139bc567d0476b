//! Supervision of livelihood projects (F4, 监察联络站): a project (a community gym) with its
//! milestones, inspections on site that record problems (with photos), rectifications followed to
//! closure, completion (only with every milestone reached and every problem closed), residents'
//! ratings, and whether it was on time.

use std::collections::BTreeMap;

use chrono::DateTime;
use chrono::NaiveDate;
use chrono::Utc;
use serde::Deserialize;
use serde::Serialize;

use crate::error::GovernanceError;
use crate::estate::ActorId;
use crate::estate::IssueId;
use crate::estate::ProjectId;

/// A milestone.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Milestone {
    /// What (`主体完工`).
    pub name: String,
    /// Planned date.
    pub due: NaiveDate,
    /// Reached on.
    pub reached: Option<NaiveDate>,
}

/// A problem found on an inspection, and its rectification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    /// Its number within the project, from 1.
    pub no: u32,
    /// What is wrong (`施工进度偏慢`, `材料堆放无序`, `安全提示未设置`).
    pub text: String,
    /// Photos (upload ids or URLs).
    pub photos: Vec<String>,
    /// Fix by.
    pub rectify_by: NaiveDate,
    /// Found by, on.
    pub found_by: ActorId,
    /// Found on.
    pub found_on: NaiveDate,
    /// What was done, by whom, on which day; closed only by an inspector who did not report the
    /// fix.
    pub fixed: Option<(String, ActorId, NaiveDate)>,
    /// Closed by an inspector on.
    pub closed: Option<(ActorId, NaiveDate)>,
}

/// Where a project is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProjectState {
    /// Being built.
    UnderWay,
    /// Completed.
    Completed,
}

/// A livelihood project under supervision.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Project {
    /// Its id.
    pub id: ProjectId,
    /// The title (`杨家浜社区百姓健身房`).
    pub title: String,
    /// The town (for the measures).
    pub town: String,
    /// The community.
    pub community: String,
    /// Where, for the map.
    pub lat: f64,
    /// Where, for the map.
    pub lon: f64,
    /// The issues (residents' requests) it answers.
    pub issues: Vec<IssueId>,
    /// Milestones, in order; the last one's date is the planned completion.
    pub milestones: Vec<Milestone>,
    /// Problems found.
    pub problems: Vec<Problem>,
    /// Where it is.
    pub state: ProjectState,
    /// Completed on.
    pub completed_on: Option<NaiveDate>,
    /// Residents' ratings, 1–5, once each.
    pub ratings: BTreeMap<ActorId, u8>,
    /// When last changed.
    pub updated_at: DateTime<Utc>,
}

fn text(field: &str, s: &str) -> Result<String, GovernanceError> {
    let t = s.trim();
    if t.is_empty() || t.chars().count() > 1000 {
        return Err(GovernanceError::invalid(field, "须为 1～1000 个字", "must be 1–1,000 characters"));
    }
    Ok(t.to_owned())
}

impl Project {
    /// A new project with its milestones (at least one, dates not going backwards).
    #[allow(clippy::too_many_arguments)]
    pub fn new(id: ProjectId, title: &str, town: &str, community: &str, lat: f64, lon: f64, issues: Vec<IssueId>, milestones: Vec<(String, NaiveDate)>, now: DateTime<Utc>) -> Result<Project, GovernanceError> {
        let title = text("title", title)?;
        if !(lat.is_finite() && lon.is_finite() && (-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon)) {
            return Err(GovernanceError::invalid("lat", "坐标无效", "invalid coordinates"));
        }
        if milestones.is_empty() {
            return Err(GovernanceError::invalid("milestones", "至少要有一个节点", "at least one milestone is needed"));
        }
        if milestones.windows(2).any(|w| w[1].1 < w[0].1) {
            return Err(GovernanceError::invalid("milestones", "节点日期不能倒退", "milestone dates must not go backwards"));
        }
        let milestones = milestones.into_iter().map(|(n, due)| Ok(Milestone { name: text("milestones", &n)?, due, reached: None })).collect::<Result<Vec<_>, GovernanceError>>()?;
        Ok(Project {
            id,
            title,
            town: town.to_owned(),
            community: community.to_owned(),
            lat,
            lon,
            issues,
            milestones,
            problems: Vec::new(),
            state: ProjectState::UnderWay,
            completed_on: None,
            ratings: BTreeMap::new(),
            updated_at: now,
        })
    }

    fn under_way(&self, action: &'static str) -> Result<(), GovernanceError> {
        if self.state != ProjectState::UnderWay {
            return Err(GovernanceError::WrongState { action, state: "completed" });
        }
        Ok(())
    }

    /// Marks milestone `i` (from 0) reached.
    pub fn reach(&mut self, i: usize, on: NaiveDate, now: DateTime<Utc>) -> Result<(), GovernanceError> {
        self.under_way("reach")?;
        let m = self.milestones.get_mut(i).ok_or_else(|| GovernanceError::NotFound { what: "milestone", id: i.to_string() })?;
        if m.reached.is_some() {
            return Err(GovernanceError::WrongState { action: "reach", state: "reached" });
        }
        m.reached = Some(on);
        self.updated_at = now;
        Ok(())
    }

    /// Records the problems an inspection found; their numbers.
    pub fn inspect(&mut self, by: ActorId, on: NaiveDate, problems: Vec<(String, Vec<String>, NaiveDate)>, now: DateTime<Utc>) -> Result<Vec<u32>, GovernanceError> {
        self.under_way("inspect")?;
        let mut checked = Vec::new();
        for (t, photos, by_date) in problems {
            let t = text("problem", &t)?;
            if by_date < on {
                return Err(GovernanceError::invalid("rectify_by", "整改期限不能早于检查日", "the rectification date cannot be before the inspection"));
            }
            if photos.len() > 20 || photos.iter().any(|p| p.trim().is_empty() || p.len() > 500) {
                return Err(GovernanceError::invalid("photos", "照片至多 20 张且不能为空", "at most 20 photos, none empty"));
            }
            checked.push((t, photos, by_date));
        }
        let mut nos = Vec::new();
        for (t, photos, rectify_by) in checked {
            let no = self.problems.len() as u32 + 1;
            self.problems.push(Problem { no, text: t, photos, rectify_by, found_by: by, found_on: on, fixed: None, closed: None });
            nos.push(no);
        }
        self.updated_at = now;
        Ok(nos)
    }

    fn problem(&mut self, no: u32) -> Result<&mut Problem, GovernanceError> {
        self.problems.iter_mut().find(|p| p.no == no).ok_or_else(|| GovernanceError::NotFound { what: "problem", id: no.to_string() })
    }

    /// The builder reports problem `no` fixed.
    pub fn report_fixed(&mut self, no: u32, by: ActorId, note: &str, on: NaiveDate, now: DateTime<Utc>) -> Result<(), GovernanceError> {
        self.under_way("report_fixed")?;
        let note = text("note", note)?;
        let p = self.problem(no)?;
        if p.closed.is_some() {
            return Err(GovernanceError::WrongState { action: "report_fixed", state: "closed" });
        }
        p.fixed = Some((note, by, on));
        self.updated_at = now;
        Ok(())
    }

    /// An inspector closes problem `no` after checking the fix (not the one who reported it).
    pub fn close_problem(&mut self, no: u32, by: ActorId, on: NaiveDate, now: DateTime<Utc>) -> Result<(), GovernanceError> {
        self.under_way("close_problem")?;
        let p = self.problem(no)?;
        let Some((_, fixer, _)) = &p.fixed else {
            return Err(GovernanceError::WrongState { action: "close_problem", state: "not_fixed" });
        };
        if p.closed.is_some() {
            return Err(GovernanceError::WrongState { action: "close_problem", state: "closed" });
        }
        if *fixer == by {
            return Err(GovernanceError::SeparationOfDuties { actor: by.0, duty: "close_problem", earlier: "report_fixed" });
        }
        p.closed = Some((by, on));
        self.updated_at = now;
        Ok(())
    }

    /// Problems still open.
    pub fn open_problems(&self) -> usize {
        self.problems.iter().filter(|p| p.closed.is_none()).count()
    }

    /// Completes the project: every milestone reached, every problem closed.
    pub fn complete(&mut self, on: NaiveDate, now: DateTime<Utc>) -> Result<(), GovernanceError> {
        self.under_way("complete")?;
        let open_milestones = self.milestones.iter().filter(|m| m.reached.is_none()).count();
        let open_problems = self.open_problems();
        if open_milestones + open_problems > 0 {
            return Err(GovernanceError::NotFinished { open_problems, open_milestones });
        }
        self.state = ProjectState::Completed;
        self.completed_on = Some(on);
        self.updated_at = now;
        Ok(())
    }

    /// A resident's rating, 1–5, once, after completion.
    pub fn rate(&mut self, by: ActorId, stars: u8, now: DateTime<Utc>) -> Result<(), GovernanceError> {
        if self.state != ProjectState::Completed {
            return Err(GovernanceError::WrongState { action: "rate", state: "under_way" });
        }
        if !(1..=5).contains(&stars) {
            return Err(GovernanceError::invalid("stars", "评分为 1～5 星", "a rating is 1–5 stars"));
        }
        if self.ratings.contains_key(&by) {
            return Err(GovernanceError::AlreadyRated { rater: by.0 });
        }
        self.ratings.insert(by, stars);
        self.updated_at = now;
        Ok(())
    }

    /// The planned completion (the last milestone's date).
    pub fn planned(&self) -> Option<NaiveDate> {
        self.milestones.last().map(|m| m.due)
    }

    /// Whether it was completed on or before the planned date (`None` while under way).
    pub fn on_time(&self) -> Option<bool> {
        Some(self.completed_on? <= self.planned()?)
    }

    /// The share of milestones reached by their date, 0–1 (`None` without milestones).
    pub fn milestones_on_time(&self) -> Option<f64> {
        if self.milestones.is_empty() {
            return None;
        }
        let ok = self.milestones.iter().filter(|m| m.reached.is_some_and(|r| r <= m.due)).count();
        Some(ok as f64 / self.milestones.len() as f64)
    }

    /// The mean rating.
    pub fn mean_rating(&self) -> Option<f64> {
        (!self.ratings.is_empty()).then(|| self.ratings.values().map(|s| f64::from(*s)).sum::<f64>() / self.ratings.len() as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::issue::tests::t0;

    fn d(m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, day).expect("date")
    }

    fn gym() -> Project {
        Project::new(
            ProjectId(1),
            "杨家浜社区百姓健身房",
            "chongxian",
            "yjb",
            30.42,
            120.25,
            vec![IssueId(11)],
            vec![("招投标".into(), d(1, 31)), ("主体完工".into(), d(2, 28)), ("投入使用".into(), d(3, 15))],
            t0(),
        )
        .expect("project")
    }

    #[test]
    fn a_gym_is_followed_from_problems_to_completion_and_rated() {
        let mut p = gym();
        p.reach(0, d(1, 30), t0()).expect("tender");
        let nos = p
            .inspect(
                ActorId(90),
                d(2, 10),
                vec![("施工进度偏慢".into(), vec!["photo-1".into()], d(2, 20)), ("安全提示未设置".into(), vec![], d(2, 12))],
                t0(),
            )
            .expect("inspect");
        assert_eq!(nos, vec![1, 2]);
        p.reach(1, d(2, 27), t0()).expect("built");
        p.reach(2, d(3, 14), t0()).expect("open");
        assert_eq!(p.complete(d(3, 14), t0()), Err(GovernanceError::NotFinished { open_problems: 2, open_milestones: 0 }));
        assert!(p.close_problem(1, ActorId(90), d(2, 21), t0()).is_err(), "not reported fixed");
        p.report_fixed(1, ActorId(91), "增加施工班组", d(2, 19), t0()).expect("fixed");
        assert!(matches!(p.close_problem(1, ActorId(91), d(2, 21), t0()), Err(GovernanceError::SeparationOfDuties { .. })), "the builder cannot sign off its own fix");
        p.close_problem(1, ActorId(90), d(2, 21), t0()).expect("closed");
        p.report_fixed(2, ActorId(91), "已设警示牌", d(2, 12), t0()).expect("fixed");
        p.close_problem(2, ActorId(90), d(2, 13), t0()).expect("closed");
        assert!(p.rate(ActorId(102), 5, t0()).is_err(), "not before completion");
        p.complete(d(3, 14), t0()).expect("complete");
        assert_eq!(p.on_time(), Some(true));
        assert_eq!(p.milestones_on_time(), Some(1.0));
        p.rate(ActorId(102), 5, t0()).expect("rate");
        p.rate(ActorId(103), 4, t0()).expect("rate");
        assert_eq!(p.rate(ActorId(102), 1, t0()), Err(GovernanceError::AlreadyRated { rater: 102 }));
        assert!(p.rate(ActorId(104), 0, t0()).is_err());
        assert!(p.rate(ActorId(104), 6, t0()).is_err());
        assert_eq!(p.mean_rating(), Some(4.5));
        assert!(p.inspect(ActorId(90), d(4, 1), vec![], t0()).is_err(), "completed projects take no inspections");
    }

    #[test]
    fn late_projects_and_bad_input() {
        let mut p = gym();
        for i in 0..3 {
            p.reach(i, d(3, 20), t0()).expect("reach");
        }
        assert!(p.reach(0, d(3, 21), t0()).is_err(), "twice");
        assert!(p.reach(7, d(3, 21), t0()).is_err());
        p.complete(d(3, 20), t0()).expect("complete");
        assert_eq!(p.on_time(), Some(false));
        assert!(p.milestones_on_time().is_some_and(|x| x < 0.01));
        assert!(Project::new(ProjectId(2), "x", "t", "c", 30.0, 120.0, vec![], vec![], t0()).is_err());
        assert!(Project::new(ProjectId(2), "x", "t", "c", 30.0, 120.0, vec![], vec![("a".into(), d(3, 1)), ("b".into(), d(2, 1))], t0()).is_err());
        assert!(Project::new(ProjectId(2), " ", "t", "c", 30.0, 120.0, vec![], vec![("a".into(), d(3, 1))], t0()).is_err());
        assert!(Project::new(ProjectId(2), "x", "t", "c", f64::NAN, 120.0, vec![], vec![("a".into(), d(3, 1))], t0()).is_err());
        let mut q = gym();
        assert!(q.inspect(ActorId(90), d(2, 10), vec![("问题".into(), vec![], d(2, 1))], t0()).is_err(), "deadline before the inspection");
        assert!(q.problems.is_empty());
    }
}
