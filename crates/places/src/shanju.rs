//! 善居工程: improvement projects for the homes of families in difficulty, from survey to resident satisfaction.
//!
//! A [`Project`] is opened for one family's home, surveyed (date, surveyor, findings), planned
//! (work items with estimated costs within a budget), given to a contractor (name and unified
//! social credit code), started, inspected on completion (a pass completes it; a failure lists
//! rectification items and the works are inspected again), rated once by the resident alone
//! (1–5 with a comment) and closed with its actual cost. Errors are [`HousingError`]s (wrong state,
//! wrong actor, bad values); every method checks everything before changing anything.
//! [`figures`] gives projects per state, the median days from survey to completion, the average
//! satisfaction and the spend.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use domain::AccountId;
use domain::CreditCode;
use domain::Fen;
use serde::Deserialize;
use serde::Serialize;

use crate::housing::HousingError;

domain::define_id! {
    /// A 善居工程 project.
    ShanjuId
}

/// Where a project is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ShanjuState {
    /// Opened, not yet surveyed.
    Opened,
    /// Surveyed.
    Surveyed,
    /// Planned and budgeted.
    Planned,
    /// A contractor is engaged.
    Contracted,
    /// Works under way.
    InProgress,
    /// Failed inspection: rectifying.
    Rectifying,
    /// Passed inspection.
    Completed,
    /// Closed with its actual cost.
    Closed,
}

impl ShanjuState {
    /// Every state, in order.
    pub const ALL: [ShanjuState; 8] = [
        ShanjuState::Opened,
        ShanjuState::Surveyed,
        ShanjuState::Planned,
        ShanjuState::Contracted,
        ShanjuState::InProgress,
        ShanjuState::Rectifying,
        ShanjuState::Completed,
        ShanjuState::Closed,
    ];

    /// The state's code.
    pub fn code(&self) -> &'static str {
        match self {
            ShanjuState::Opened => "opened",
            ShanjuState::Surveyed => "surveyed",
            ShanjuState::Planned => "planned",
            ShanjuState::Contracted => "contracted",
            ShanjuState::InProgress => "in_progress",
            ShanjuState::Rectifying => "rectifying",
            ShanjuState::Completed => "completed",
            ShanjuState::Closed => "closed",
        }
    }
}

/// The survey of the home.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Survey {
    /// The day.
    pub on: NaiveDate,
    /// Who surveyed.
    pub surveyor: String,
    /// What was found (e.g. 屋面渗漏, 卫生间无扶手).
    pub findings: Vec<String>,
}

/// One work item of the plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkItem {
    /// What is done.
    pub description: String,
    /// Its estimated cost.
    pub estimated_cost: Fen,
}

/// The plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    /// The work items.
    pub items: Vec<WorkItem>,
    /// The budget (at least the items' sum).
    pub budget: Fen,
}

/// The contractor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contractor {
    /// Its name.
    pub name: String,
    /// Its unified social credit code.
    pub credit_code: CreditCode,
}

/// One inspection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inspection {
    /// The day.
    pub on: NaiveDate,
    /// Who inspected.
    pub inspector: String,
    /// Passed or not.
    pub passed: bool,
    /// What must be rectified (empty when passed).
    pub rectification: Vec<String>,
}

/// The resident's satisfaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Satisfaction {
    /// 1 (very unsatisfied) ..= 5 (very satisfied).
    pub score: u8,
    /// The comment (may be empty).
    pub comment: String,
    /// The day.
    pub on: NaiveDate,
}

/// A 善居工程 project for one family's home.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Project {
    /// The project's id.
    pub id: ShanjuId,
    /// The resident (the family's account), the only one who may rate.
    pub resident: AccountId,
    /// The home's address.
    pub address: String,
    /// Why the family qualifies (e.g. 低保, 特困, 重度残疾).
    pub basis: String,
    /// The day it was opened.
    pub opened_on: NaiveDate,
    /// Where it is.
    pub state: ShanjuState,
    /// The survey.
    pub survey: Option<Survey>,
    /// The plan.
    pub plan: Option<Plan>,
    /// The contractor.
    pub contractor: Option<Contractor>,
    /// The day works started.
    pub works_started_on: Option<NaiveDate>,
    /// Every inspection, in order.
    pub inspections: Vec<Inspection>,
    /// The day it passed inspection.
    pub completed_on: Option<NaiveDate>,
    /// The resident's satisfaction.
    pub satisfaction: Option<Satisfaction>,
    /// The actual cost, at closing.
    pub actual_cost: Option<Fen>,
    /// The day it was closed.
    pub closed_on: Option<NaiveDate>,
}

fn text(field: &str, s: &str, max: usize) -> Result<String, HousingError> {
    let t = s.trim();
    if t.is_empty() || t.chars().count() > max {
        return Err(HousingError::invalid(field, format!("不能为空，且不超过 {max} 字"), format!("must not be empty nor longer than {max} characters")));
    }
    Ok(t.to_owned())
}

fn texts(field: &str, items: &[String], max_items: usize) -> Result<Vec<String>, HousingError> {
    if items.is_empty() || items.len() > max_items {
        return Err(HousingError::invalid(field, format!("应有 1–{max_items} 项"), format!("needs 1 to {max_items} items")));
    }
    items.iter().enumerate().map(|(i, s)| text(&format!("{field}[{i}]"), s, 200)).collect()
}

fn not_before(field: &str, on: NaiveDate, earlier: NaiveDate) -> Result<(), HousingError> {
    if on < earlier {
        return Err(HousingError::invalid(field, format!("日期不能早于 {earlier}"), format!("the date cannot be before {earlier}")));
    }
    Ok(())
}

impl Project {
    /// Opens a project for a family's home.
    pub fn open(id: ShanjuId, resident: AccountId, address: &str, basis: &str, opened_on: NaiveDate) -> Result<Project, HousingError> {
        if resident.0 <= 0 {
            return Err(HousingError::invalid("resident", "住户账号应为正整数", "the resident's account id must be positive"));
        }
        Ok(Project {
            id,
            resident,
            address: text("address", address, 200)?,
            basis: text("basis", basis, 100)?,
            opened_on,
            state: ShanjuState::Opened,
            survey: None,
            plan: None,
            contractor: None,
            works_started_on: None,
            inspections: Vec::new(),
            completed_on: None,
            satisfaction: None,
            actual_cost: None,
            closed_on: None,
        })
    }

    fn expect(&self, action: &'static str, states: &[ShanjuState]) -> Result<(), HousingError> {
        if states.contains(&self.state) { Ok(()) } else { Err(HousingError::WrongState { action, state: self.state.code() }) }
    }

    /// Records the survey.
    pub fn survey(&mut self, on: NaiveDate, surveyor: &str, findings: &[String]) -> Result<(), HousingError> {
        self.expect("survey", &[ShanjuState::Opened])?;
        not_before("on", on, self.opened_on)?;
        let survey = Survey { on, surveyor: text("surveyor", surveyor, 50)?, findings: texts("findings", findings, 50)? };
        self.survey = Some(survey);
        self.state = ShanjuState::Surveyed;
        Ok(())
    }

    /// Sets (or, before a contractor is engaged, revises) the plan.
    pub fn plan(&mut self, items: &[WorkItem], budget: Fen) -> Result<(), HousingError> {
        self.expect("plan", &[ShanjuState::Surveyed, ShanjuState::Planned])?;
        if items.is_empty() || items.len() > 100 {
            return Err(HousingError::invalid("items", "应有 1–100 项工程", "a plan has 1 to 100 work items"));
        }
        let mut checked = Vec::with_capacity(items.len());
        let mut sum = Fen::ZERO;
        for (i, w) in items.iter().enumerate() {
            if w.estimated_cost.0 <= 0 {
                return Err(HousingError::invalid(format!("items[{i}].estimated_cost"), "估算费用应大于 0", "the estimated cost must be positive"));
            }
            sum = sum.checked_add(w.estimated_cost).ok_or_else(|| HousingError::invalid("items", "费用合计过大", "the total is too large"))?;
            checked.push(WorkItem { description: text(&format!("items[{i}].description"), &w.description, 200)?, estimated_cost: w.estimated_cost });
        }
        if budget < sum {
            return Err(HousingError::invalid(
                "budget",
                format!("预算 {} 元低于各项估算合计 {} 元", budget.to_yuan_string(), sum.to_yuan_string()),
                format!("the budget {} yuan is below the items' total {} yuan", budget.to_yuan_string(), sum.to_yuan_string()),
            ));
        }
        self.plan = Some(Plan { items: checked, budget });
        self.state = ShanjuState::Planned;
        Ok(())
    }

    /// Engages the contractor.
    pub fn engage(&mut self, name: &str, credit_code: &str) -> Result<(), HousingError> {
        self.expect("engage", &[ShanjuState::Planned])?;
        let name = text("contractor.name", name, 100)?;
        let credit_code = CreditCode::parse(credit_code.trim())
            .map_err(|_| HousingError::invalid("contractor.credit_code", "不是有效的统一社会信用代码", "not a valid unified social credit code"))?;
        self.contractor = Some(Contractor { name, credit_code });
        self.state = ShanjuState::Contracted;
        Ok(())
    }

    /// The works start.
    pub fn start_works(&mut self, on: NaiveDate) -> Result<(), HousingError> {
        self.expect("start_works", &[ShanjuState::Contracted])?;
        not_before("on", on, self.survey.as_ref().map_or(self.opened_on, |s| s.on))?;
        self.works_started_on = Some(on);
        self.state = ShanjuState::InProgress;
        Ok(())
    }

    /// The completion inspection: a pass completes the project; a failure lists what must be
    /// rectified, and the works are inspected again.
    pub fn inspect(&mut self, on: NaiveDate, inspector: &str, passed: bool, rectification: &[String]) -> Result<(), HousingError> {
        self.expect("inspect", &[ShanjuState::InProgress, ShanjuState::Rectifying])?;
        let last = self.inspections.last().map(|i| i.on).or(self.works_started_on).unwrap_or(self.opened_on);
        not_before("on", on, last)?;
        let inspector = text("inspector", inspector, 50)?;
        let rectification = if passed {
            if !rectification.is_empty() {
                return Err(HousingError::invalid("rectification", "验收通过时不应有整改项", "a passed inspection has no rectification items"));
            }
            Vec::new()
        } else {
            texts("rectification", rectification, 50)?
        };
        self.inspections.push(Inspection { on, inspector, passed, rectification });
        if passed {
            self.completed_on = Some(on);
            self.state = ShanjuState::Completed;
        } else {
            self.state = ShanjuState::Rectifying;
        }
        Ok(())
    }

    /// The resident rates the completed works, once.
    pub fn rate(&mut self, by: AccountId, score: u8, comment: &str, on: NaiveDate) -> Result<(), HousingError> {
        if by != self.resident {
            return Err(HousingError::NotAllowed { actor: by.0, action: "rate", why_zh: "只有受助住户本人可以评价", why_en: "only the resident may rate" });
        }
        self.expect("rate", &[ShanjuState::Completed, ShanjuState::Closed])?;
        if self.satisfaction.is_some() {
            return Err(HousingError::AlreadyRated);
        }
        if !(1..=5).contains(&score) {
            return Err(HousingError::invalid("score", "满意度为 1–5 分", "the score is 1 to 5"));
        }
        let comment = comment.trim();
        if comment.chars().count() > 500 {
            return Err(HousingError::invalid("comment", "评价不超过 500 字", "a comment has at most 500 characters"));
        }
        not_before("on", on, self.completed_on.unwrap_or(self.opened_on))?;
        self.satisfaction = Some(Satisfaction { score, comment: comment.to_owned(), on });
        Ok(())
    }

    /// Closes a completed project with its actual cost.
    pub fn close(&mut self, actual_cost: Fen, on: NaiveDate) -> Result<(), HousingError> {
        self.expect("close", &[ShanjuState::Completed])?;
        if actual_cost.is_negative() {
            return Err(HousingError::invalid("actual_cost", "实际费用不能为负", "the actual cost must not be negative"));
        }
        not_before("on", on, self.completed_on.unwrap_or(self.opened_on))?;
        self.actual_cost = Some(actual_cost);
        self.closed_on = Some(on);
        self.state = ShanjuState::Closed;
        Ok(())
    }

    /// Days from the survey to the passed inspection, once completed.
    pub fn days_survey_to_completion(&self) -> Option<i64> {
        Some((self.completed_on? - self.survey.as_ref()?.on).num_days())
    }
}

/// The 善居工程 figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShanjuFigures {
    /// Projects per state code (every state listed, zeros included).
    pub per_state: BTreeMap<String, usize>,
    /// Median days from survey to completion over completed projects.
    pub median_days_survey_to_completion: Option<f64>,
    /// Average satisfaction over rated projects.
    pub average_satisfaction: Option<f64>,
    /// Rated projects.
    pub rated: usize,
    /// The sum of the plans' budgets.
    pub budget_total: Fen,
    /// The sum of closed projects' actual costs.
    pub spend_total: Fen,
}

/// The figures over a set of projects.
pub fn figures(projects: &[Project]) -> ShanjuFigures {
    let mut per_state: BTreeMap<String, usize> = ShanjuState::ALL.iter().map(|s| (s.code().to_owned(), 0)).collect();
    for p in projects {
        *per_state.entry(p.state.code().to_owned()).or_insert(0) += 1;
    }
    let mut days: Vec<i64> = projects.iter().filter_map(Project::days_survey_to_completion).collect();
    days.sort_unstable();
    let median = match days.len() {
        0 => None,
        n if n % 2 == 1 => days.get(n / 2).map(|d| *d as f64),
        n => Some((days.get(n / 2 - 1).copied().unwrap_or(0) + days.get(n / 2).copied().unwrap_or(0)) as f64 / 2.0),
    };
    let scores: Vec<u8> = projects.iter().filter_map(|p| p.satisfaction.as_ref().map(|s| s.score)).collect();
    let average = if scores.is_empty() { None } else { Some(scores.iter().map(|s| f64::from(*s)).sum::<f64>() / scores.len() as f64) };
    ShanjuFigures {
        per_state,
        median_days_survey_to_completion: median,
        average_satisfaction: average,
        rated: scores.len(),
        budget_total: projects.iter().filter_map(|p| p.plan.as_ref().map(|pl| pl.budget)).sum(),
        spend_total: projects.iter().filter_map(|p| p.actual_cost).sum(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, d).unwrap_or_default()
    }

    fn strs(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| (*s).to_owned()).collect()
    }

    fn surveyed() -> Result<Project, HousingError> {
        let mut p = Project::open(ShanjuId(1), AccountId(42), "丁桥镇兰苑3幢2单元101室", "低保、重度残疾", day(3, 1))?;
        p.survey(day(3, 5), "王工", &strs(&["卫生间无扶手", "屋面渗漏"]))?;
        Ok(p)
    }

    fn items() -> Vec<WorkItem> {
        vec![
            WorkItem { description: "卫生间加装扶手、防滑地面".into(), estimated_cost: Fen::from_yuan(3200) },
            WorkItem { description: "屋面防水".into(), estimated_cost: Fen::from_yuan(6800) },
        ]
    }

    fn valid_code() -> String {
        CreditCode::from_parts('9', '1', "330106", "MA2KXXXX").map(|c| c.as_str().to_owned()).unwrap_or_default()
    }

    #[test]
    fn a_project_goes_from_survey_to_rating_and_close() -> Result<(), HousingError> {
        let mut p = surveyed()?;
        assert!(matches!(p.plan(&items(), Fen::from_yuan(9000)), Err(HousingError::Invalid { ref field, .. }) if field == "budget"));
        assert_eq!(p.state, ShanjuState::Surveyed, "nothing changed");
        p.plan(&items(), Fen::from_yuan(10_500))?;
        assert!(matches!(p.start_works(day(3, 20)), Err(HousingError::WrongState { .. })));
        assert!(p.engage("杭州安居建设有限公司", "123").is_err());
        p.engage("杭州安居建设有限公司", &valid_code())?;
        p.start_works(day(3, 20))?;
        assert!(matches!(p.inspect(day(4, 10), "李工", false, &[]), Err(HousingError::Invalid { .. })));
        p.inspect(day(4, 10), "李工", false, &strs(&["扶手松动"]))?;
        assert_eq!(p.state, ShanjuState::Rectifying);
        assert!(matches!(p.rate(AccountId(42), 5, "", day(4, 11)), Err(HousingError::WrongState { .. })));
        p.inspect(day(4, 15), "李工", true, &[])?;
        assert_eq!(p.days_survey_to_completion(), Some(41));
        assert!(matches!(p.rate(AccountId(7), 5, "", day(4, 16)), Err(HousingError::NotAllowed { .. })));
        assert!(matches!(p.rate(AccountId(42), 6, "", day(4, 16)), Err(HousingError::Invalid { .. })));
        p.rate(AccountId(42), 5, "扶手很结实，谢谢", day(4, 16))?;
        assert!(matches!(p.rate(AccountId(42), 4, "", day(4, 17)), Err(HousingError::AlreadyRated)));
        p.close(Fen::from_yuan(10_100), day(4, 20))?;
        assert!(matches!(p.close(Fen::from_yuan(1), day(4, 21)), Err(HousingError::WrongState { .. })));

        let mut q = surveyed()?;
        q.plan(&items(), Fen::from_yuan(10_000))?;
        let f = figures(&[p, q, Project::open(ShanjuId(3), AccountId(43), "x", "特困", day(3, 1))?]);
        assert_eq!(f.per_state.get("closed"), Some(&1));
        assert_eq!(f.per_state.get("planned"), Some(&1));
        assert_eq!(f.per_state.get("opened"), Some(&1));
        assert_eq!(f.median_days_survey_to_completion, Some(41.0));
        assert_eq!(f.average_satisfaction, Some(5.0));
        assert_eq!(f.budget_total, Fen::from_yuan(20_500));
        assert_eq!(f.spend_total, Fen::from_yuan(10_100));
        Ok(())
    }

    #[test]
    fn bad_values_are_refused() {
        let d = day(3, 1);
        assert!(Project::open(ShanjuId(1), AccountId(0), "a", "b", d).is_err());
        assert!(Project::open(ShanjuId(1), AccountId(1), " ", "b", d).is_err());
        let Ok(mut p) = Project::open(ShanjuId(1), AccountId(1), "a", "b", d) else { return };
        assert!(p.survey(day(2, 1), "王工", &strs(&["x"])).is_err());
        assert!(p.survey(d, "王工", &[]).is_err());
        assert_eq!(p.state, ShanjuState::Opened);
    }
}
