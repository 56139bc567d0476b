//! Estate fund governance (F2, 业财治理): the ledger of an estate's public income (advertising,
//! parking, venue rent) and expenses that residents read, budget lines per year, expense
//! applications with receipts through the three-level review (estate self-check, community
//! re-check, street verification), an owners' vote above the threshold of `data/governance/
//! funds.toml`, separation of duties (no one submits, reviews and pays the same expense), no
//! expense above what is left on its budget line, and the annual statement.

use std::collections::BTreeMap;

use chrono::DateTime;
use chrono::Datelike;
use chrono::NaiveDate;
use chrono::Utc;
use domain::Fen;
use serde::Deserialize;
use serde::Serialize;

use crate::deliberation::Decision;
use crate::error::GovernanceError;
use crate::estate::ActorId;
use crate::estate::BudgetLineId;
use crate::estate::Estate;
use crate::estate::EstateId;
use crate::estate::ExpenseId;
use crate::estate::MeetingId;
use crate::estate::PartyKind;
use crate::issue::Actor;
use crate::issue::Role;
use crate::routing::Level;

/// The shipped thresholds.
pub const EMBEDDED: &str = include_str!("../../../data/governance/funds.toml");

/// The thresholds of the review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FundRules {
    /// Above this an owners' vote is needed.
    pub owners_vote_above: Fen,
    /// The largest single expense.
    pub max_expense: Fen,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFundRules {
    owners_vote_above_yuan: toml::Spanned<String>,
    max_expense_yuan: toml::Spanned<String>,
}

impl FundRules {
    /// The shipped thresholds (a test checks that they parse).
    pub fn embedded() -> Result<FundRules, GovernanceError> {
        FundRules::parse("funds.toml", EMBEDDED)
    }

    /// Reads a thresholds file; errors name line, column and field.
    pub fn parse(name: &str, text: &str) -> Result<FundRules, GovernanceError> {
        let lines = domain::LineIndex::new(text);
        let err = |span: std::ops::Range<usize>, field: &str, zh: String, en: String| {
            let (line, column) = lines.position(span.start);
            GovernanceError::Rules { file: name.to_owned(), line, column, field: field.to_owned(), message_zh: zh, message_en: en }
        };
        let raw: RawFundRules = toml::from_str(text).map_err(|e| {
            let m = e.message().trim().to_owned();
            err(e.span().unwrap_or(0..0), "toml", format!("TOML 格式错误：{m}"), m)
        })?;
        let yuan = |v: &toml::Spanned<String>, field: &str| {
            Fen::parse_yuan(v.get_ref()).ok().filter(|f| f.0 > 0).ok_or_else(|| {
                err(v.span(), field, format!("「{}」不是正的金额（元）", v.get_ref()), format!("{:?} is not a positive amount of yuan", v.get_ref()))
            })
        };
        Ok(FundRules { owners_vote_above: yuan(&raw.owners_vote_above_yuan, "owners_vote_above_yuan")?, max_expense: yuan(&raw.max_expense_yuan, "max_expense_yuan")? })
    }
}

/// Kinds of public income.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IncomeKind {
    /// 广告收益 (lift and gate advertising).
    Advertising,
    /// 停车收益 (parking on common ground).
    Parking,
    /// 场地租金 (venue rent).
    VenueRent,
    /// Other public income (interest, recycling).
    Other,
}

/// What a ledger entry is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum EntryKind {
    /// Income.
    Income {
        /// Of what kind.
        source: IncomeKind,
    },
    /// A paid expense.
    Expense {
        /// The application.
        expense: ExpenseId,
        /// Its budget line.
        line: BudgetLineId,
    },
}

/// One ledger entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// The day (China date).
    pub date: NaiveDate,
    /// What it is.
    pub kind: EntryKind,
    /// How much (always positive; the kind says which way).
    pub amount: Fen,
    /// What for.
    pub note: String,
    /// Who recorded it.
    pub by: ActorId,
}

/// An estate's public-funds ledger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ledger {
    /// The estate.
    pub estate: EstateId,
    /// The balance before the first entry.
    pub opening: Fen,
    /// The entries, in order.
    pub entries: Vec<Entry>,
}

fn positive(field: &str, a: Fen) -> Result<(), GovernanceError> {
    if a.0 <= 0 {
        return Err(GovernanceError::invalid(field, "金额须大于零", "the amount must be more than zero"));
    }
    Ok(())
}

impl Ledger {
    /// An empty ledger.
    pub fn new(estate: EstateId, opening: Fen) -> Ledger {
        Ledger { estate, opening, entries: Vec::new() }
    }

    /// Records income (by the committee or the property company of the estate).
    pub fn record_income(&mut self, estate: &Estate, by: &Actor, date: NaiveDate, source: IncomeKind, amount: Fen, note: &str) -> Result<(), GovernanceError> {
        if estate.id != self.estate {
            return Err(GovernanceError::NotFound { what: "estate", id: self.estate.to_string() });
        }
        let may = matches!(by.role, Role::Party(p @ (PartyKind::Committee | PartyKind::PropertyCompany)) if estate.members(p).contains(&by.id));
        if !may {
            return Err(GovernanceError::NotAllowed { actor: by.id.0, action: "record_income", why_zh: "只有业委会（物管会）或物业可以登记收益", why_en: "only the committee or the property company records income" });
        }
        positive("amount", amount)?;
        let note = note.trim();
        if note.is_empty() || note.chars().count() > 500 {
            return Err(GovernanceError::invalid("note", "摘要须为 1～500 个字", "the note must be 1–500 characters"));
        }
        self.entries.push(Entry { date, kind: EntryKind::Income { source }, amount, note: note.to_owned(), by: by.id });
        Ok(())
    }

    /// The balance after every entry.
    pub fn balance(&self) -> Fen {
        self.balance_before(NaiveDate::MAX)
    }

    /// The balance from entries strictly before `date`.
    pub fn balance_before(&self, date: NaiveDate) -> Fen {
        self.entries.iter().filter(|e| e.date < date).fold(self.opening, |b, e| match e.kind {
            EntryKind::Income { .. } => b + e.amount,
            EntryKind::Expense { .. } => b - e.amount,
        })
    }
}

/// A budget line of an estate's year.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BudgetLine {
    /// Its id.
    pub id: BudgetLineId,
    /// The estate.
    pub estate: EstateId,
    /// The year.
    pub year: i32,
    /// What it is for (`公共设施维修`).
    pub name: String,
    /// How much.
    pub amount: Fen,
}

/// A receipt attached to an expense.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    /// What it is (`发票 No. 0123`).
    pub name: String,
    /// Its amount.
    pub amount: Fen,
    /// The uploaded file's SHA-256, hex.
    pub sha256: String,
}

/// The three levels of review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewLevel {
    /// 小区自查, by the committee.
    EstateSelfCheck,
    /// 社区复查, by the community.
    CommunityRecheck,
    /// 街道核查, by the street.
    StreetVerification,
}

impl ReviewLevel {
    /// The stable code.
    pub fn code(self) -> &'static str {
        match self {
            ReviewLevel::EstateSelfCheck => "estate_self_check",
            ReviewLevel::CommunityRecheck => "community_recheck",
            ReviewLevel::StreetVerification => "street_verification",
        }
    }
}

/// A review.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Review {
    /// At which level.
    pub level: ReviewLevel,
    /// By whom.
    pub by: ActorId,
    /// Passed or sent back.
    pub passed: bool,
    /// What the reviewer said.
    pub note: String,
    /// When.
    pub at: DateTime<Utc>,
}

/// Where an expense is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExpenseState {
    /// Waiting for the estate's self-check.
    Submitted,
    /// Waiting for the community's re-check.
    SelfChecked,
    /// Waiting for the street's verification.
    Rechecked,
    /// Passed all three; may be paid (with a vote when above the threshold).
    Verified,
    /// Paid and on the ledger.
    Paid,
    /// Refused at a level.
    Rejected,
}

impl ExpenseState {
    /// The stable code.
    pub fn code(self) -> &'static str {
        match self {
            ExpenseState::Submitted => "submitted",
            ExpenseState::SelfChecked => "self_checked",
            ExpenseState::Rechecked => "rechecked",
            ExpenseState::Verified => "verified",
            ExpenseState::Paid => "paid",
            ExpenseState::Rejected => "rejected",
        }
    }
}

/// An expense application.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Expense {
    /// Its id.
    pub id: ExpenseId,
    /// The estate.
    pub estate: EstateId,
    /// The budget line.
    pub line: BudgetLineId,
    /// How much.
    pub amount: Fen,
    /// What for.
    pub purpose: String,
    /// The receipts (summing to the amount).
    pub receipts: Vec<Receipt>,
    /// Who submitted it.
    pub submitted_by: ActorId,
    /// When.
    pub submitted_at: DateTime<Utc>,
    /// Where it is.
    pub state: ExpenseState,
    /// The reviews.
    pub reviews: Vec<Review>,
    /// The owners' vote that approved it (meeting, item).
    pub vote: Option<(MeetingId, u32)>,
    /// Who paid it.
    pub paid_by: Option<ActorId>,
    /// When it was paid.
    pub paid_on: Option<NaiveDate>,
}

/// What is committed on a line: every expense on it not rejected, except `except`.
pub fn committed(expenses: &[Expense], line: BudgetLineId, except: Option<ExpenseId>) -> Fen {
    expenses.iter().filter(|e| e.line == line && e.state != ExpenseState::Rejected && Some(e.id) != except).map(|e| e.amount).fold(Fen::ZERO, |a, b| a + b)
}

/// The facts an expense is decided on: the estate, its budget lines, the other applications (for
/// what is committed on a line) and the thresholds.
#[derive(Debug, Clone, Copy)]
pub struct FundFacts<'a> {
    /// The estate.
    pub estate: &'a Estate,
    /// Its budget lines.
    pub lines: &'a [BudgetLine],
    /// Its other expense applications.
    pub others: &'a [Expense],
    /// The thresholds.
    pub rules: &'a FundRules,
}

/// A new expense application.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewExpense {
    /// The budget line.
    pub line: BudgetLineId,
    /// How much.
    pub amount: Fen,
    /// What for.
    pub purpose: String,
    /// The receipts.
    pub receipts: Vec<Receipt>,
}

impl Expense {
    /// Submits an application (by a member of one of the estate's parties): a positive amount up
    /// to the maximum, receipts that sum to it, a line of this estate and year, and no more than
    /// what is left on the line after the other applications on it.
    pub fn submit(id: ExpenseId, new: NewExpense, by: &Actor, facts: &FundFacts<'_>, now: DateTime<Utc>) -> Result<Expense, GovernanceError> {
        let FundFacts { estate, lines, others, rules } = *facts;
        let Role::Party(p) = by.role else {
            return Err(GovernanceError::NotAllowed { actor: by.id.0, action: "submit", why_zh: "只有小区三方可以提交支出申请", why_en: "only the estate's parties submit expenses" });
        };
        if !estate.members(p).contains(&by.id) {
            return Err(GovernanceError::NotAllowed { actor: by.id.0, action: "submit", why_zh: "不是本小区该方的成员", why_en: "not a member of that party of this estate" });
        }
        positive("amount", new.amount)?;
        if new.amount > rules.max_expense {
            return Err(GovernanceError::invalid("amount", "超过单笔支出上限", "above the largest single expense"));
        }
        let purpose = new.purpose.trim();
        if purpose.is_empty() || purpose.chars().count() > 1000 {
            return Err(GovernanceError::invalid("purpose", "用途须为 1～1000 个字", "the purpose must be 1–1,000 characters"));
        }
        if new.receipts.is_empty() {
            return Err(GovernanceError::invalid("receipts", "须附票据", "receipts are required"));
        }
        for r in &new.receipts {
            positive("receipts", r.amount)?;
            if r.sha256.len() != 64 || !r.sha256.bytes().all(|b| b.is_ascii_hexdigit()) || r.name.trim().is_empty() {
                return Err(GovernanceError::invalid("receipts", "票据须有名称和文件摘要", "each receipt needs a name and its file's SHA-256"));
            }
        }
        let sum = new.receipts.iter().fold(Fen::ZERO, |a, r| a + r.amount);
        if sum != new.amount {
            return Err(GovernanceError::invalid("receipts", format!("票据合计 {} 元与申请金额不符", sum.to_yuan_string()), format!("the receipts total {} yuan, not the amount", sum.to_yuan_string())));
        }
        let year = domain::china_date(now).year();
        let line = lines
            .iter()
            .find(|l| l.id == new.line && l.estate == estate.id && l.year == year)
            .ok_or_else(|| GovernanceError::NotFound { what: "budget_line", id: new.line.to_string() })?;
        let remaining = line.amount - committed(others, line.id, None);
        if new.amount > remaining {
            return Err(GovernanceError::OverBudget { line: line.id.0, amount: new.amount.0, remaining: remaining.0 });
        }
        Ok(Expense {
            id,
            estate: estate.id,
            line: line.id,
            amount: new.amount,
            purpose: purpose.to_owned(),
            receipts: new.receipts,
            submitted_by: by.id,
            submitted_at: now,
            state: ExpenseState::Submitted,
            reviews: Vec::new(),
            vote: None,
            paid_by: None,
            paid_on: None,
        })
    }

    /// The duty `who` already holds on this expense, if any.
    fn duty_of(&self, who: ActorId) -> Option<&'static str> {
        if self.submitted_by == who {
            return Some("submit");
        }
        if let Some(r) = self.reviews.iter().find(|r| r.by == who) {
            return Some(r.level.code());
        }
        if self.paid_by == Some(who) {
            return Some("pay");
        }
        None
    }

    /// The review due now: the self-check by a committee member, the re-check by the community,
    /// the verification by the street; each by someone without another duty on this expense.
    /// Sent back (`passed` false, with a reason) it is rejected.
    pub fn review(&mut self, by: &Actor, estate: &Estate, passed: bool, note: &str, now: DateTime<Utc>) -> Result<(), GovernanceError> {
        let (level, next) = match self.state {
            ExpenseState::Submitted => (ReviewLevel::EstateSelfCheck, ExpenseState::SelfChecked),
            ExpenseState::SelfChecked => (ReviewLevel::CommunityRecheck, ExpenseState::Rechecked),
            ExpenseState::Rechecked => (ReviewLevel::StreetVerification, ExpenseState::Verified),
            s => return Err(GovernanceError::WrongState { action: "review", state: s.code() }),
        };
        let may = match level {
            ReviewLevel::EstateSelfCheck => by.role == Role::Party(PartyKind::Committee) && estate.id == self.estate && estate.committee.members.contains(&by.id),
            ReviewLevel::CommunityRecheck => by.role == Role::Office(Level::Community),
            ReviewLevel::StreetVerification => by.role == Role::Office(Level::Street),
        };
        if !may {
            return Err(GovernanceError::NotAllowed { actor: by.id.0, action: level.code(), why_zh: "不是该级审核人", why_en: "not a reviewer at this level" });
        }
        if let Some(earlier) = self.duty_of(by.id) {
            return Err(GovernanceError::SeparationOfDuties { actor: by.id.0, duty: level.code(), earlier });
        }
        let note = note.trim();
        if !passed && note.is_empty() {
            return Err(GovernanceError::invalid("note", "退回须说明理由", "a rejection needs a reason"));
        }
        self.reviews.push(Review { level, by: by.id, passed, note: note.chars().take(1000).collect(), at: now });
        self.state = if passed { next } else { ExpenseState::Rejected };
        Ok(())
    }

    /// Records the owners' vote that approved the expense: a passed decision of this estate on an
    /// art. 278 matter.
    pub fn record_vote(&mut self, d: &Decision) -> Result<(), GovernanceError> {
        if matches!(self.state, ExpenseState::Paid | ExpenseState::Rejected) {
            return Err(GovernanceError::WrongState { action: "record_vote", state: self.state.code() });
        }
        if d.estate != self.estate || d.matter.is_none() || !d.passed {
            return Err(GovernanceError::invalid("vote", "须为本小区业主大会通过的表决", "must be a passed owners' vote of this estate"));
        }
        self.vote = Some((d.meeting, d.item));
        Ok(())
    }

    /// Pays a verified expense and writes it to the ledger: by a committee member with no other
    /// duty on it, with a passed owners' vote when above the threshold, within what is left on
    /// its line and in the ledger.
    pub fn pay(&mut self, by: &Actor, facts: &FundFacts<'_>, ledger: &mut Ledger, date: NaiveDate) -> Result<(), GovernanceError> {
        let FundFacts { estate, lines, others, rules } = *facts;
        if self.state != ExpenseState::Verified {
            return Err(GovernanceError::WrongState { action: "pay", state: self.state.code() });
        }
        if !(by.role == Role::Party(PartyKind::Committee) && estate.id == self.estate && estate.committee.members.contains(&by.id)) || ledger.estate != self.estate {
            return Err(GovernanceError::NotAllowed { actor: by.id.0, action: "pay", why_zh: "只有本小区业委会（物管会）成员可以付款", why_en: "only a member of this estate's committee pays" });
        }
        if let Some(earlier) = self.duty_of(by.id) {
            return Err(GovernanceError::SeparationOfDuties { actor: by.id.0, duty: "pay", earlier });
        }
        if self.amount > rules.owners_vote_above && self.vote.is_none() {
            return Err(GovernanceError::VoteRequired { amount: self.amount.0, threshold: rules.owners_vote_above.0 });
        }
        let line = lines.iter().find(|l| l.id == self.line).ok_or_else(|| GovernanceError::NotFound { what: "budget_line", id: self.line.to_string() })?;
        let remaining = line.amount - committed(others, self.line, Some(self.id));
        if self.amount > remaining {
            return Err(GovernanceError::OverBudget { line: line.id.0, amount: self.amount.0, remaining: remaining.0 });
        }
        if ledger.balance() < self.amount {
            return Err(GovernanceError::invalid("amount", "公共收益余额不足", "the estate's funds do not cover it"));
        }
        ledger.entries.push(Entry { date, kind: EntryKind::Expense { expense: self.id, line: self.line }, amount: self.amount, note: self.purpose.clone(), by: by.id });
        self.state = ExpenseState::Paid;
        self.paid_by = Some(by.id);
        self.paid_on = Some(date);
        Ok(())
    }
}

/// A budget line in the statement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineStatement {
    /// The line.
    pub line: BudgetLineId,
    /// Its name.
    pub name: String,
    /// Its budget.
    pub budget: Fen,
    /// Paid from it this year.
    pub spent: Fen,
    /// Left.
    pub remaining: Fen,
}

/// An estate's annual statement (年度收支报告).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Statement {
    /// The estate.
    pub estate: EstateId,
    /// The year.
    pub year: i32,
    /// The balance on 1 January.
    pub opening: Fen,
    /// Income by kind.
    pub income: BTreeMap<IncomeKind, Fen>,
    /// All income.
    pub income_total: Fen,
    /// Spending by budget line.
    pub lines: Vec<LineStatement>,
    /// All spending.
    pub expense_total: Fen,
    /// Paid expenses not on any of the year's lines (should be none).
    pub unbudgeted: Fen,
    /// The balance on 31 December.
    pub closing: Fen,
}

/// The statement of `year` from the ledger and the year's budget lines.
pub fn statement(ledger: &Ledger, lines: &[BudgetLine], year: i32) -> Statement {
    let (from, to) = (NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or(NaiveDate::MIN), NaiveDate::from_ymd_opt(year + 1, 1, 1).unwrap_or(NaiveDate::MAX));
    let opening = ledger.balance_before(from);
    let mut income = BTreeMap::new();
    let mut spent: BTreeMap<BudgetLineId, Fen> = BTreeMap::new();
    let (mut income_total, mut expense_total) = (Fen::ZERO, Fen::ZERO);
    for e in ledger.entries.iter().filter(|e| e.date >= from && e.date < to) {
        match e.kind {
            EntryKind::Income { source } => {
                *income.entry(source).or_insert(Fen::ZERO) += e.amount;
                income_total += e.amount;
            }
            EntryKind::Expense { line, .. } => {
                *spent.entry(line).or_insert(Fen::ZERO) += e.amount;
                expense_total += e.amount;
            }
        }
    }
    let year_lines: Vec<&BudgetLine> = lines.iter().filter(|l| l.estate == ledger.estate && l.year == year).collect();
    let out_lines: Vec<LineStatement> = year_lines
        .iter()
        .map(|l| {
            let s = spent.get(&l.id).copied().unwrap_or(Fen::ZERO);
            LineStatement { line: l.id, name: l.name.clone(), budget: l.amount, spent: s, remaining: l.amount - s }
        })
        .collect();
    let unbudgeted = spent.iter().filter(|(id, _)| !year_lines.iter().any(|l| l.id == **id)).fold(Fen::ZERO, |a, (_, f)| a + *f);
    Statement { estate: ledger.estate, year, opening, income, income_total, lines: out_lines, expense_total, unbudgeted, closing: opening + income_total - expense_total }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::deliberation::Choice;
    use crate::deliberation::Matter;
    use crate::deliberation::Meeting;
    use crate::deliberation::MeetingKind;
    use crate::estate::tests::estate;
    use crate::issue::tests::t0;

    fn party(id: u64, p: PartyKind) -> Actor {
        Actor { id: ActorId(id), role: Role::Party(p) }
    }

    fn office(id: u64, l: Level) -> Actor {
        Actor { id: ActorId(id), role: Role::Office(l) }
    }

    fn day(m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, d).expect("date")
    }

    fn lines() -> Vec<BudgetLine> {
        vec![
            BudgetLine { id: BudgetLineId(1), estate: crate::estate::EstateId(1), year: 2026, name: "公共设施维修".into(), amount: Fen::from_yuan(100_000) },
            BudgetLine { id: BudgetLineId(2), estate: crate::estate::EstateId(1), year: 2025, name: "去年的科目".into(), amount: Fen::from_yuan(100_000) },
        ]
    }

    fn new(amount: i64) -> NewExpense {
        NewExpense {
            line: BudgetLineId(1),
            amount: Fen::from_yuan(amount),
            purpose: "更换太阳能路灯".into(),
            receipts: vec![Receipt { name: "发票 0001".into(), amount: Fen::from_yuan(amount), sha256: "ab".repeat(32) }],
        }
    }

    fn funded() -> Ledger {
        let e = estate();
        let mut l = Ledger::new(e.id, Fen::ZERO);
        l.record_income(&e, &party(30, PartyKind::PropertyCompany), day(1, 15), IncomeKind::Parking, Fen::from_yuan(80_000), "一月停车收益").expect("income");
        l.record_income(&e, &party(20, PartyKind::Committee), day(2, 1), IncomeKind::Advertising, Fen::from_yuan(30_000), "电梯广告").expect("income");
        l
    }

    fn three_levels(x: &mut Expense, e: &Estate) {
        x.review(&party(20, PartyKind::Committee), e, true, "票据齐全", t0()).expect("self-check");
        x.review(&office(60, Level::Community), e, true, "", t0()).expect("re-check");
        x.review(&office(70, Level::Street), e, true, "", t0()).expect("verify");
    }

    #[test]
    fn an_expense_passes_three_levels_and_is_paid_onto_the_ledger() {
        let (e, rules) = (estate(), FundRules::embedded().expect("rules"));
        assert_eq!(rules.owners_vote_above, Fen::from_yuan(50_000));
        let mut ledger = funded();
        let mut x = Expense::submit(ExpenseId(1), new(18_000), &party(30, PartyKind::PropertyCompany), &FundFacts { estate: &e, lines: &lines(), others: &[], rules: &rules }, t0()).expect("submit");
        assert!(matches!(x.pay(&party(21, PartyKind::Committee), &FundFacts { estate: &e, lines: &lines(), others: &[], rules: &rules }, &mut ledger, day(3, 5)), Err(GovernanceError::WrongState { .. })));
        // The levels in order: the street cannot verify before the estate and community.
        assert!(matches!(x.review(&office(70, Level::Street), &e, true, "", t0()), Err(GovernanceError::NotAllowed { .. })));
        three_levels(&mut x, &e);
        assert_eq!(x.state, ExpenseState::Verified);
        x.pay(&party(21, PartyKind::Committee), &FundFacts { estate: &e, lines: &lines(), others: &[], rules: &rules }, &mut ledger, day(3, 5)).expect("pay");
        assert_eq!(ledger.balance(), Fen::from_yuan(92_000));
        let s = statement(&ledger, &lines(), 2026);
        assert_eq!(s.income[&IncomeKind::Parking], Fen::from_yuan(80_000));
        assert_eq!((s.income_total, s.expense_total, s.closing), (Fen::from_yuan(110_000), Fen::from_yuan(18_000), Fen::from_yuan(92_000)));
        assert_eq!(s.lines[0].remaining, Fen::from_yuan(82_000));
        assert_eq!(s.unbudgeted, Fen::ZERO);
        assert_eq!(statement(&ledger, &lines(), 2027).opening, Fen::from_yuan(92_000));
    }

    #[test]
    fn no_one_holds_two_duties_on_one_expense() {
        let (e, rules) = (estate(), FundRules::embedded().expect("rules"));
        // The committee member who submits may not self-check it.
        let mut x = Expense::submit(ExpenseId(1), new(1_000), &party(20, PartyKind::Committee), &FundFacts { estate: &e, lines: &lines(), others: &[], rules: &rules }, t0()).expect("submit");
        assert_eq!(x.review(&party(20, PartyKind::Committee), &e, true, "", t0()), Err(GovernanceError::SeparationOfDuties { actor: 20, duty: "estate_self_check", earlier: "submit" }));
        x.review(&party(21, PartyKind::Committee), &e, true, "", t0()).expect("the other member checks");
        x.review(&office(60, Level::Community), &e, true, "", t0()).expect("re-check");
        // The community's reviewer cannot verify for the street too (different role), nor can
        // someone who already reviewed pose as the street.
        assert!(x.review(&office(60, Level::Street), &e, true, "", t0()).is_err());
        x.review(&office(70, Level::Street), &e, true, "", t0()).expect("verify");
        let mut ledger = funded();
        // Both committee members already hold a duty: neither may pay.
        for payer in [20, 21] {
            assert!(matches!(x.pay(&party(payer, PartyKind::Committee), &FundFacts { estate: &e, lines: &lines(), others: &[], rules: &rules }, &mut ledger, day(3, 5)), Err(GovernanceError::SeparationOfDuties { .. })));
        }
        // A property-company member may not pay.
        assert!(matches!(x.pay(&party(30, PartyKind::PropertyCompany), &FundFacts { estate: &e, lines: &lines(), others: &[], rules: &rules }, &mut ledger, day(3, 5)), Err(GovernanceError::NotAllowed { .. })));
        assert_eq!(x.state, ExpenseState::Verified);
        assert_eq!(ledger.entries.len(), 2, "nothing written");
    }

    #[test]
    fn an_expense_above_its_budget_line_or_without_proper_receipts_is_refused() {
        let (e, rules) = (estate(), FundRules::embedded().expect("rules"));
        let by = party(30, PartyKind::PropertyCompany);
        let first = Expense::submit(ExpenseId(1), new(70_000), &by, &FundFacts { estate: &e, lines: &lines(), others: &[], rules: &rules }, t0()).expect("submit");
        let over = Expense::submit(ExpenseId(2), new(30_001), &by, &FundFacts { estate: &e, lines: &lines(), others: std::slice::from_ref(&first), rules: &rules }, t0());
        assert_eq!(over, Err(GovernanceError::OverBudget { line: 1, amount: 3_000_100, remaining: 3_000_000 }));
        assert!(Expense::submit(ExpenseId(2), new(30_000), &by, &FundFacts { estate: &e, lines: &lines(), others: std::slice::from_ref(&first), rules: &rules }, t0()).is_ok());
        let mut wrong_year = new(10);
        wrong_year.line = BudgetLineId(2);
        assert!(matches!(Expense::submit(ExpenseId(3), wrong_year, &by, &FundFacts { estate: &e, lines: &lines(), others: &[], rules: &rules }, t0()), Err(GovernanceError::NotFound { .. })));
        let mut short = new(100);
        short.receipts[0].amount = Fen::from_yuan(90);
        assert!(Expense::submit(ExpenseId(3), short, &by, &FundFacts { estate: &e, lines: &lines(), others: &[], rules: &rules }, t0()).is_err());
        let mut none = new(100);
        none.receipts.clear();
        assert!(Expense::submit(ExpenseId(3), none, &by, &FundFacts { estate: &e, lines: &lines(), others: &[], rules: &rules }, t0()).is_err());
        assert!(Expense::submit(ExpenseId(3), new(0), &by, &FundFacts { estate: &e, lines: &lines(), others: &[], rules: &rules }, t0()).is_err());
        assert!(Expense::submit(ExpenseId(3), new(-5), &by, &FundFacts { estate: &e, lines: &lines(), others: &[], rules: &rules }, t0()).is_err());
        // A resident, or someone posing as the property company, cannot submit.
        assert!(Expense::submit(ExpenseId(3), new(10), &Actor { id: ActorId(102), role: Role::Resident }, &FundFacts { estate: &e, lines: &lines(), others: &[], rules: &rules }, t0()).is_err());
        assert!(Expense::submit(ExpenseId(3), new(10), &party(102, PartyKind::PropertyCompany), &FundFacts { estate: &e, lines: &lines(), others: &[], rules: &rules }, t0()).is_err());
        // A rejection needs a reason, and a rejected expense frees its budget.
        let mut x = first.clone();
        assert!(x.review(&party(20, PartyKind::Committee), &e, false, "", t0()).is_err());
        x.review(&party(20, PartyKind::Committee), &e, false, "缺少合同", t0()).expect("reject");
        assert_eq!(committed(&[x], BudgetLineId(1), None), Fen::ZERO);
    }

    #[test]
    fn above_the_threshold_the_owners_must_have_voted() {
        let (e, rules) = (estate(), FundRules::embedded().expect("rules"));
        let mut ledger = funded();
        let mut x = Expense::submit(ExpenseId(1), new(60_000), &party(30, PartyKind::PropertyCompany), &FundFacts { estate: &e, lines: &lines(), others: &[], rules: &rules }, t0()).expect("submit");
        three_levels(&mut x, &e);
        let pay = |x: &mut Expense, l: &mut Ledger| x.pay(&party(21, PartyKind::Committee), &FundFacts { estate: &e, lines: &lines(), others: &[], rules: &rules }, l, day(4, 1));
        assert_eq!(pay(&mut x, &mut ledger), Err(GovernanceError::VoteRequired { amount: 6_000_000, threshold: 5_000_000 }));
        // A failed vote does not count.
        let mut m = Meeting::new(crate::estate::MeetingId(9), e.id, MeetingKind::OwnersAssembly, "业主大会").expect("meeting");
        m.propose("动用公共收益 6 万元更换路灯", ActorId(20), Some(Matter::OtherMajor), vec![]).expect("item");
        m.open().expect("open");
        m.vote(1, ActorId(101), Choice::For, &e).expect("vote");
        let failed = m.close(&e, t0()).expect("close");
        assert!(x.record_vote(&failed[0]).is_err());
        let mut m = Meeting::new(crate::estate::MeetingId(10), e.id, MeetingKind::OwnersAssembly, "业主大会").expect("meeting");
        m.propose("动用公共收益 6 万元更换路灯", ActorId(20), Some(Matter::OtherMajor), vec![]).expect("item");
        m.open().expect("open");
        for o in [101, 102, 103] {
            m.vote(1, ActorId(o), Choice::For, &e).expect("vote");
        }
        let passed = m.close(&e, t0()).expect("close");
        x.record_vote(&passed[0]).expect("vote recorded");
        pay(&mut x, &mut ledger).expect("pay");
        assert_eq!(ledger.balance(), Fen::from_yuan(50_000));
        // Paying twice is refused.
        assert!(matches!(pay(&mut x, &mut ledger), Err(GovernanceError::WrongState { .. })));
    }

    #[test]
    fn the_ledger_refuses_garbage_and_outsiders() {
        let e = estate();
        let mut l = funded();
        assert!(l.record_income(&e, &party(30, PartyKind::PropertyCompany), day(3, 1), IncomeKind::VenueRent, Fen(0), "租金").is_err());
        assert!(l.record_income(&e, &party(30, PartyKind::PropertyCompany), day(3, 1), IncomeKind::VenueRent, Fen(100), " ").is_err());
        assert!(l.record_income(&e, &Actor { id: ActorId(102), role: Role::Resident }, day(3, 1), IncomeKind::VenueRent, Fen(100), "租金").is_err());
        assert!(l.record_income(&e, &party(10, PartyKind::PartyBranch), day(3, 1), IncomeKind::VenueRent, Fen(100), "租金").is_err());
        assert_eq!(l.entries.len(), 2);
        // A verified expense larger than the funds held is not paid.
        let rules = FundRules::embedded().expect("rules");
        let mut x = Expense::submit(ExpenseId(1), new(20_000), &party(30, PartyKind::PropertyCompany), &FundFacts { estate: &e, lines: &lines(), others: &[], rules: &rules }, t0()).expect("submit");
        three_levels(&mut x, &e);
        let mut poor = Ledger::new(e.id, Fen::from_yuan(100));
        assert!(x.pay(&party(21, PartyKind::Committee), &FundFacts { estate: &e, lines: &lines(), others: &[], rules: &rules }, &mut poor, day(3, 1)).is_err());
    }

    #[test]
    fn broken_thresholds_name_their_field() {
        let bad = EMBEDDED.replace("\"50000\"", "\"-1\"");
        assert!(matches!(FundRules::parse("funds.toml", &bad), Err(GovernanceError::Rules { field, line, .. }) if field == "owners_vote_above_yuan" && line > 0));
        assert!(matches!(FundRules::parse("funds.toml", "x = 1"), Err(GovernanceError::Rules { .. })));
    }
}
