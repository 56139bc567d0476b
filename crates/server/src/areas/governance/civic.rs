//! Community governance's use cases for estate funds (F2: the ledger residents read, budget lines,
//! expense applications through the three-level review with separation of duties and an owners'
//! vote above the threshold), deliberation (F3: meetings, agendas, attendance, votes counted by the
//! Civil Code's double majority, minutes, decisions linked to the issues they settle), supervised
//! projects (F4), Open311 client applications and the cockpit's figures.

use std::collections::BTreeMap;

use domain::Fen;
use governance::Actor;
use governance::ActorId;
use governance::Choice;
use governance::Decision;
use governance::Estate;
use governance::Expense;
use governance::ExpenseState;
use governance::Issue;
use governance::IssueId;
use governance::IssueState;
use governance::Ledger;
use governance::Level;
use governance::Matter;
use governance::Meeting;
use governance::MeetingKind;
use governance::PartyKind;
use governance::Project;
use governance::Role;
use governance::estate::BudgetLineId;
use governance::estate::ExpenseId;
use governance::estate::MeetingId;
use governance::estate::ProjectId;
use governance::funds::BudgetLine;
use governance::funds::EntryKind;
use governance::funds::FundFacts;
use governance::funds::IncomeKind;
use governance::funds::NewExpense;
use governance::funds::Receipt;
use sha2::Digest;
use store::GovChange;
use store::GovClientRow;
use store::GovDoc;
use store::GovFilter;
use crate::auth::Principal;
use crate::failure::Failure;
use crate::failure::Fallible;
use crate::state::AppState;
use super::cases::Stored;
use super::cases::base_doc;
use super::cases::changed_meanwhile;
use super::cases::china;
use super::cases::decode;
use super::cases::encode;
use super::cases::engine_error;
use super::cases::load_estate;
use super::cases::parse_num;
use super::cases::roles_for;
use super::cases::rules;
use super::cases::today;
use super::views::*;

fn no_expense() -> Failure {
    Failure::not_found("没有这笔支出申请", "No such expense application")
}

fn no_meeting() -> Failure {
    Failure::not_found("没有这次会议", "No such meeting")
}

fn no_project() -> Failure {
    Failure::not_found("没有这个项目", "No such project")
}

fn no_line() -> Failure {
    Failure::invalid("unknown_line", "line", "没有这条预算科目", "No such budget line")
}

fn yuan(s: &str, field: &str) -> Fallible<Fen> {
    Fen::parse_yuan(s.trim()).map_err(|_| Failure::invalid("bad_amount", field, format!("「{}」不是金额（元，至多两位小数）", s.trim()), format!("{:?} is not an amount in yuan (up to two decimals)", s.trim())))
}

fn date(s: Option<&str>, field: &str, state: &AppState) -> Fallible<chrono::NaiveDate> {
    match s.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(today(state)),
        Some(s) => chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| Failure::invalid("bad_date", field, format!("「{s}」不是日期（YYYY-MM-DD）"), format!("{s:?} is not a date (YYYY-MM-DD)"))),
    }
}

fn me(p: &Principal) -> ActorId {
    ActorId(p.id().0 as u64)
}

/// The caller as the first estate party they belong to among `kinds`.
fn party_actor(p: &Principal, estate: &Estate, kinds: &[PartyKind]) -> Option<Actor> {
    roles_for(p, estate).into_iter().find(|r| matches!(r, Role::Party(k) if kinds.contains(k))).map(|role| Actor { id: me(p), role })
}

fn only_parties() -> Failure {
    Failure::Forbidden { code: "estate_parties_only", zh: "只有该小区的三方成员可以做这件事".into(), en: "Only the estate's parties may do this".into(), field: None }
}

// ---------------------------------------------------------------------------------------------
// Funds.

async fn ledger_of(state: &AppState, estate: &Estate) -> Fallible<Stored<Ledger>> {
    let id = estate.id.0 as i64;
    match state.store.governance().doc("ledger", id).await? {
        Some(doc) => Ok(Stored { value: decode(&doc)?, doc }),
        None => {
            let value = Ledger::new(estate.id, Fen::ZERO);
            let doc = GovDoc { version: 0, ..base_doc("ledger", id, estate, encode(&value)?, None, state.now()) };
            Ok(Stored { value, doc })
        }
    }
}

fn ledger_doc(l: &Ledger, estate: &Estate, old: &GovDoc, now: chrono::DateTime<chrono::Utc>) -> Fallible<GovDoc> {
    let mut d = base_doc("ledger", estate.id.0 as i64, estate, encode(l)?, (old.version > 0).then_some(old), now);
    d.n = Some(l.balance().0);
    Ok(d)
}

async fn lines_of(state: &AppState, estate: i64, year: Option<i64>) -> Fallible<Vec<BudgetLine>> {
    state.store.governance().all("budget_line", &GovFilter { parent: Some(estate), year, ..Default::default() }).await?.iter().map(decode).collect()
}

async fn expenses_of(state: &AppState, estate: i64) -> Fallible<Vec<Stored<Expense>>> {
    state.store.governance().all("expense", &GovFilter { parent: Some(estate), ..Default::default() }).await?.into_iter().map(|doc| Ok(Stored { value: decode(&doc)?, doc })).collect()
}

fn income_label(k: IncomeKind) -> (&'static str, &'static str) {
    match k {
        IncomeKind::Advertising => ("advertising", "广告收益"),
        IncomeKind::Parking => ("parking", "停车收益"),
        IncomeKind::VenueRent => ("venue_rent", "场地租金"),
        IncomeKind::Other => ("other", "其他收益"),
    }
}

fn review_label(code: &str) -> &'static str {
    match code {
        "estate_self_check" => "小区自查",
        "community_recheck" => "社区复查",
        _ => "街道核查",
    }
}

fn expense_state_label(s: ExpenseState) -> &'static str {
    match s {
        ExpenseState::Submitted => "待小区自查",
        ExpenseState::SelfChecked => "待社区复查",
        ExpenseState::Rechecked => "待街道核查",
        ExpenseState::Verified => "审核通过待支付",
        ExpenseState::Paid => "已支付",
        ExpenseState::Rejected => "已退回",
    }
}

fn expense_view(x: &Expense, lines: &[BudgetLine]) -> ExpenseView {
    ExpenseView {
        id: x.id.to_string(),
        estate: x.estate.to_string(),
        line: x.line.to_string(),
        line_name: lines.iter().find(|l| l.id == x.line).map(|l| l.name.clone()).unwrap_or_default(),
        amount_fen: x.amount.0,
        purpose: x.purpose.clone(),
        receipts: x.receipts.len(),
        state: x.state.code().to_owned(),
        state_label: expense_state_label(x.state).to_owned(),
        reviews: x
            .reviews
            .iter()
            .map(|r| ReviewView { level: r.level.code().to_owned(), level_label: review_label(r.level.code()).to_owned(), passed: r.passed, note: r.note.clone(), at: china(r.at), by: review_label(r.level.code()).trim_end_matches("查").to_owned() + "审核人" })
            .collect(),
        needs_vote: x.amount > rules().funds.owners_vote_above,
        vote: x.vote.map(|(m, i)| format!("{m}#{i}")),
        submitted_at: china(x.submitted_at),
        paid_on: x.paid_on.map(|d| d.to_string()),
    }
}

/// An estate's public funds for a year: the ledger, the budget lines with what is spent and
/// committed, the applications. Anyone may read it (业财公开).
pub async fn funds(state: &AppState, estate: &str, q: YearQuery) -> Fallible<FundsView> {
    let estate = load_estate(state, parse_num(estate, || Failure::not_found("没有这个小区", "No such estate"))?).await?.value;
    let year = q.year.unwrap_or_else(|| chrono::Datelike::year(&today(state)));
    if !(2000..=2100).contains(&year) {
        return Err(Failure::invalid("bad_year", "year", "年份须为 2000～2100", "year must be 2000–2100"));
    }
    let ledger = ledger_of(state, &estate).await?.value;
    let lines = lines_of(state, estate.id.0 as i64, Some(i64::from(year))).await?;
    let expenses: Vec<Expense> = expenses_of(state, estate.id.0 as i64).await?.into_iter().map(|s| s.value).collect();
    let st = governance::statement(&ledger, &lines, year);
    let entries = ledger
        .entries
        .iter()
        .filter(|e| chrono::Datelike::year(&e.date) == year)
        .map(|e| match &e.kind {
            EntryKind::Income { source } => {
                let (code, label) = income_label(*source);
                EntryView { date: e.date.to_string(), kind: "income".into(), source: Some(code.into()), label: label.into(), amount_fen: e.amount.0, note: e.note.clone(), expense: None }
            }
            EntryKind::Expense { expense, .. } => EntryView { date: e.date.to_string(), kind: "expense".into(), source: None, label: "支出".into(), amount_fen: e.amount.0, note: e.note.clone(), expense: Some(expense.to_string()) },
        })
        .collect();
    let line_views = lines
        .iter()
        .map(|l| {
            let committed = governance::funds::committed(&expenses, l.id, None);
            let spent = st.lines.iter().find(|s| s.line == l.id).map_or(Fen::ZERO, |s| s.spent);
            LineView { id: l.id.to_string(), year: l.year, name: l.name.clone(), budget_fen: l.amount.0, spent_fen: spent.0, committed_fen: committed.0, remaining_fen: (l.amount - committed).0 }
        })
        .collect();
    let year_lines: Vec<BudgetLineId> = lines.iter().map(|l| l.id).collect();
    Ok(FundsView {
        estate: estate.id.to_string(),
        estate_name: estate.name.clone(),
        year,
        balance_fen: ledger.balance().0,
        opening_fen: st.opening.0,
        income_fen: st.income_total.0,
        expense_fen: st.expense_total.0,
        closing_fen: st.closing.0,
        entries,
        lines: line_views,
        expenses: expenses.iter().filter(|x| year_lines.contains(&x.line)).map(|x| expense_view(x, &lines)).collect(),
    })
}

/// The committee or the property company records public income.
pub async fn record_income(state: &AppState, p: &Principal, estate: &str, body: IncomeBody) -> Fallible<FundsView> {
    let estate = load_estate(state, parse_num(estate, || Failure::not_found("没有这个小区", "No such estate"))?).await?.value;
    let by = party_actor(p, &estate, &[PartyKind::Committee, PartyKind::PropertyCompany]).ok_or_else(only_parties)?;
    let source = match body.source.as_str() {
        "advertising" => IncomeKind::Advertising,
        "parking" => IncomeKind::Parking,
        "venue_rent" => IncomeKind::VenueRent,
        "other" => IncomeKind::Other,
        other => return Err(Failure::invalid("bad_source", "source", format!("没有收益类别「{other}」"), format!("No income kind {other:?}"))),
    };
    let amount = yuan(&body.amount, "amount")?;
    let on = date(Some(&body.date), "date", state)?;
    if on > today(state) {
        return Err(Failure::invalid("future_date", "date", "日期不能晚于今天", "The date cannot be in the future"));
    }
    let mut ledger = ledger_of(state, &estate).await?;
    ledger.value.record_income(&estate, &by, on, source, amount, &body.note).map_err(|e| engine_error(&e))?;
    let now = state.now();
    let change = GovChange { docs: vec![ledger_doc(&ledger.value, &estate, &ledger.doc, now)?], ..Default::default() };
    if !state.store.governance().save(&change, now).await? {
        return Err(changed_meanwhile());
    }
    funds(state, &estate.id.to_string(), YearQuery { year: Some(chrono::Datelike::year(&on)) }).await
}

/// The committee adds a budget line for a year.
pub async fn add_line(state: &AppState, p: &Principal, estate: &str, body: LineBody) -> Fallible<LineView> {
    let estate = load_estate(state, parse_num(estate, || Failure::not_found("没有这个小区", "No such estate"))?).await?.value;
    party_actor(p, &estate, &[PartyKind::Committee]).ok_or_else(only_parties)?;
    if !(2000..=2100).contains(&body.year) {
        return Err(Failure::invalid("bad_year", "year", "年份须为 2000～2100", "year must be 2000–2100"));
    }
    let name = body.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(Failure::invalid("bad_name", "name", "科目名称须为 1～100 个字", "The line's name must be 1–100 characters"));
    }
    let amount = yuan(&body.amount, "amount")?;
    if amount.0 <= 0 {
        return Err(Failure::invalid("bad_amount", "amount", "预算金额须大于零", "The budget must be more than zero"));
    }
    let line = BudgetLine { id: BudgetLineId(state.parts.ids.next() as u64), estate: estate.id, year: body.year, name: name.to_owned(), amount };
    let now = state.now();
    let doc = GovDoc { year: Some(i64::from(body.year)), n: Some(amount.0), ..base_doc("budget_line", line.id.0 as i64, &estate, encode(&line)?, None, now) };
    if !state.store.governance().save(&GovChange { docs: vec![doc], ..Default::default() }, now).await? {
        return Err(changed_meanwhile());
    }
    Ok(LineView { id: line.id.to_string(), year: line.year, name: line.name, budget_fen: amount.0, spent_fen: 0, committed_fen: 0, remaining_fen: amount.0 })
}

fn expense_doc(x: &Expense, estate: &Estate, year: i32, old: Option<&GovDoc>, now: chrono::DateTime<chrono::Utc>) -> Fallible<GovDoc> {
    let queue = match x.state {
        ExpenseState::Submitted => Some(format!("estate:{}", estate.id)),
        ExpenseState::SelfChecked => Some(format!("community:{}", estate.community)),
        ExpenseState::Rechecked => Some(format!("street:{}", estate.town)),
        ExpenseState::Verified => Some(format!("estate:{}", estate.id)),
        _ => None,
    };
    Ok(GovDoc {
        state: Some(x.state.code().to_owned()),
        open: !matches!(x.state, ExpenseState::Paid | ExpenseState::Rejected),
        actor: Some(x.submitted_by.0 as i64),
        queue,
        created_at: x.submitted_at,
        closed_at: x.paid_on.map(|_| now),
        year: Some(i64::from(year)),
        n: Some(x.amount.0),
        ..base_doc("expense", x.id.0 as i64, estate, encode(x)?, old, now)
    })
}

/// A party of the estate applies to spend public funds on a budget line, with receipts.
pub async fn submit_expense(state: &AppState, p: &Principal, estate: &str, body: ExpenseBody) -> Fallible<ExpenseView> {
    let estate = load_estate(state, parse_num(estate, || Failure::not_found("没有这个小区", "No such estate"))?).await?.value;
    let by = party_actor(p, &estate, &[PartyKind::PropertyCompany, PartyKind::Committee, PartyKind::PartyBranch, PartyKind::CommunityWorker]).ok_or_else(only_parties)?;
    let line_id = parse_num(&body.line, no_line)?;
    let lines = lines_of(state, estate.id.0 as i64, None).await?;
    let line = lines.iter().find(|l| l.id.0 as i64 == line_id).cloned().ok_or_else(no_line)?;
    let mut receipts = Vec::new();
    for (i, r) in body.receipts.iter().enumerate() {
        let field = format!("receipts[{i}].upload");
        let not_yours = || Failure::invalid("unknown_upload", &field, "没有这份票据扫描件（须先上传）", "No such uploaded receipt (upload it first)");
        let id = r.upload.trim().parse::<i64>().map_err(|_| not_yours())?;
        let up = state.store.onething().upload(domain::UploadId(id)).await?.filter(|u| u.account == p.id()).ok_or_else(not_yours)?;
        receipts.push(Receipt { name: r.name.trim().to_owned(), amount: yuan(&r.amount, &format!("receipts[{i}].amount"))?, sha256: up.sha256 });
    }
    let others: Vec<Expense> = expenses_of(state, estate.id.0 as i64).await?.into_iter().map(|s| s.value).collect();
    let facts = FundFacts { estate: &estate, lines: &lines, others: &others, rules: &rules().funds };
    let new = NewExpense { line: line.id, amount: yuan(&body.amount, "amount")?, purpose: body.purpose, receipts };
    let now = state.now();
    let x = Expense::submit(ExpenseId(state.parts.ids.next() as u64), new, &by, &facts, now).map_err(|e| engine_error(&e))?;
    let notices = reviewers_notice(state, &estate, &x);
    let change = GovChange { docs: vec![expense_doc(&x, &estate, line.year, None, now)?], notices, ..Default::default() };
    if !state.store.governance().save(&change, now).await? {
        return Err(changed_meanwhile());
    }
    Ok(expense_view(&x, &lines))
}

fn reviewers_notice(state: &AppState, estate: &Estate, x: &Expense) -> Vec<store::PlainNotice> {
    let to: Vec<String> = match x.state {
        ExpenseState::Submitted | ExpenseState::Verified => estate.committee.members.iter().map(|m| format!("account:{m}")).collect(),
        ExpenseState::SelfChecked => vec![format!("division:{}:community_worker", estate.community)],
        ExpenseState::Rechecked => vec![format!("division:{}:community_worker", estate.town)],
        ExpenseState::Paid | ExpenseState::Rejected => vec![format!("account:{}", x.submitted_by)],
    };
    let yuan = format!("{:.2}", x.amount.0 as f64 / 100.0);
    to.into_iter()
        .map(|r| {
            (
                state.parts.ids.next(),
                r,
                "governance_expense".to_owned(),
                format!("{}支出申请 {}（{yuan} 元，{}）：{}", estate.name, x.id, x.purpose.chars().take(40).collect::<String>(), expense_state_label(x.state)),
                format!("{} expense {} ({yuan} yuan): {}", estate.name, x.id, x.state.code()),
            )
        })
        .collect()
}

/// A review at the level owed, the owners' decision recorded, or the payment.
pub async fn expense_act(state: &AppState, p: &Principal, id: &str, body: ExpenseActionBody) -> Fallible<ExpenseView> {
    let g = state.store.governance();
    let doc = g.doc("expense", parse_num(id, no_expense)?).await?.ok_or_else(no_expense)?;
    let mut x: Expense = decode(&doc)?;
    let estate = load_estate(state, x.estate.0 as i64).await?.value;
    let lines = lines_of(state, estate.id.0 as i64, None).await?;
    let year = lines.iter().find(|l| l.id == x.line).map_or(0, |l| l.year);
    let now = state.now();
    let mut docs = Vec::new();
    match body.action.as_str() {
        "review" => {
            let passed = body.passed.ok_or_else(|| Failure::invalid("required", "passed", "请说明通过或退回", "Say whether it passes"))?;
            let roles = roles_for(p, &estate);
            let role = match x.state {
                ExpenseState::Submitted => Role::Party(PartyKind::Committee),
                ExpenseState::SelfChecked => Role::Office(Level::Community),
                _ => Role::Office(Level::Street),
            };
            if !roles.contains(&role) {
                return Err(Failure::Forbidden { code: "not_reviewer", zh: "您不是这一级的审核人".into(), en: "You do not review at this level".into(), field: None });
            }
            x.review(&Actor { id: me(p), role }, &estate, passed, body.note.as_deref().unwrap_or_default(), now).map_err(|e| engine_error(&e))?;
        }
        "record_vote" => {
            party_actor(p, &estate, &[PartyKind::Committee]).ok_or_else(only_parties)?;
            let m = parse_num(body.meeting.as_deref().unwrap_or_default(), no_meeting)?;
            let meeting: Meeting = decode(&g.doc("meeting", m).await?.ok_or_else(no_meeting)?)?;
            let item = body.item.ok_or_else(|| Failure::invalid("required", "item", "请写明议程序号", "Give the agenda item"))?;
            let d: Decision = meeting
                .agenda
                .iter()
                .find(|a| a.no == item)
                .and_then(|a| a.decision.clone())
                .ok_or_else(|| Failure::invalid("no_decision", "item", "该议程尚无表决结果", "That item has no decision"))?;
            x.record_vote(&d).map_err(|e| engine_error(&e))?;
        }
        "pay" => {
            let by = party_actor(p, &estate, &[PartyKind::Committee]).ok_or_else(only_parties)?;
            let mut ledger = ledger_of(state, &estate).await?;
            let others: Vec<Expense> = expenses_of(state, estate.id.0 as i64).await?.into_iter().map(|s| s.value).collect();
            let on = date(body.date.as_deref(), "date", state)?;
            let facts = FundFacts { estate: &estate, lines: &lines, others: &others, rules: &rules().funds };
            x.pay(&by, &facts, &mut ledger.value, on).map_err(|e| engine_error(&e))?;
            docs.push(ledger_doc(&ledger.value, &estate, &ledger.doc, now)?);
        }
        other => return Err(Failure::invalid("unknown_action", "action", format!("没有操作「{other}」"), format!("No action {other:?}"))),
    }
    docs.insert(0, expense_doc(&x, &estate, year, Some(&doc), now)?);
    let change = GovChange { docs, notices: reviewers_notice(state, &estate, &x), ..Default::default() };
    if !g.save(&change, now).await? {
        return Err(changed_meanwhile());
    }
    Ok(expense_view(&x, &lines))
}

/// The expense applications waiting for the caller's review or payment.
pub async fn expense_queue(state: &AppState, p: &Principal) -> Fallible<Vec<ExpenseView>> {
    let mut queues = Vec::new();
    for (estate, part) in state.store.governance().parts_of(p.id().0).await? {
        if part == "committee" {
            queues.push(format!("estate:{estate}"));
        }
    }
    if p.has(catalog::Role::CommunityWorker)
        && let Some(d) = p.account.division.as_deref()
    {
        queues.push(format!("community:{d}"));
        queues.push(format!("street:{d}"));
    }
    if queues.is_empty() {
        return Ok(Vec::new());
    }
    let docs = state.store.governance().all("expense", &GovFilter { queues: Some(queues), open: Some(true), ..Default::default() }).await?;
    let mut out = Vec::new();
    for d in docs {
        let x: Expense = decode(&d)?;
        let lines = lines_of(state, x.estate.0 as i64, None).await?;
        out.push(expense_view(&x, &lines));
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Meetings.

fn matter_of(code: &str) -> Fallible<Matter> {
    Ok(match code {
        "rules_of_procedure" => Matter::RulesOfProcedure,
        "management_statute" => Matter::ManagementStatute,
        "committee" => Matter::Committee,
        "property_manager" => Matter::PropertyManager,
        "use_maintenance_fund" => Matter::UseMaintenanceFund,
        "raise_maintenance_fund" => Matter::RaiseMaintenanceFund,
        "rebuild" => Matter::Rebuild,
        "common_parts" => Matter::CommonParts,
        "other_major" => Matter::OtherMajor,
        other => return Err(Failure::invalid("bad_matter", "matter", format!("没有表决事项「{other}」"), format!("No matter {other:?}"))),
    })
}

fn matter_code(m: Matter) -> (&'static str, &'static str) {
    match m {
        Matter::RulesOfProcedure => ("rules_of_procedure", "制定和修改业主大会议事规则"),
        Matter::ManagementStatute => ("management_statute", "制定和修改管理规约"),
        Matter::Committee => ("committee", "选举业主委员会或者更换业主委员会成员"),
        Matter::PropertyManager => ("property_manager", "选聘和解聘物业服务企业或者其他管理人"),
        Matter::UseMaintenanceFund => ("use_maintenance_fund", "使用建筑物及其附属设施的维修资金"),
        Matter::RaiseMaintenanceFund => ("raise_maintenance_fund", "筹集建筑物及其附属设施的维修资金"),
        Matter::Rebuild => ("rebuild", "改建、重建建筑物及其附属设施"),
        Matter::CommonParts => ("common_parts", "改变共有部分的用途或者利用共有部分从事经营活动"),
        Matter::OtherMajor => ("other_major", "有关共有和共同管理权利的其他重大事项"),
    }
}

fn kind_label(k: MeetingKind) -> (&'static str, &'static str) {
    match k {
        MeetingKind::OwnersAssembly => ("owners_assembly", "业主大会"),
        MeetingKind::Council => ("council", "小区议事会（议事亭）"),
        MeetingKind::OpenConsultation => ("open_consultation", "请你来协商"),
    }
}

fn count(c: governance::deliberation::Count) -> CountView {
    CountView { people: c.people, area_m2: c.area as f64 / 100.0 }
}

fn meeting_view(p: Option<&Principal>, m: &Meeting, estate: &Estate) -> MeetingView {
    let me = p.map(me);
    MeetingView {
        id: m.id.to_string(),
        estate: estate.id.to_string(),
        estate_name: estate.name.clone(),
        kind: kind_label(m.kind).0.into(),
        kind_label: kind_label(m.kind).1.into(),
        title: m.title.clone(),
        state: m.state.code().into(),
        agenda: m
            .agenda
            .iter()
            .map(|a| AgendaView {
                no: a.no,
                title: a.title.clone(),
                matter: a.matter.map(|x| matter_code(x).0.to_owned()),
                matter_label: a.matter.map(|x| matter_code(x).1.to_owned()),
                issues: a.issues.iter().map(ToString::to_string).collect(),
                ballots: a.ballots.len(),
                my_vote: me.and_then(|me| a.ballots.get(&me)).map(|c| match c {
                    Choice::For => "for".into(),
                    Choice::Against => "against".into(),
                    Choice::Abstain => "abstain".into(),
                }),
                tally: a.decision.as_ref().map(|d| TallyView {
                    threshold: format!("{:?}", d.tally.threshold),
                    entitled: count(d.tally.entitled),
                    voted: count(d.tally.voted),
                    for_: count(d.tally.for_),
                    against: count(d.tally.against),
                    abstained: count(d.tally.abstained),
                    quorum: d.tally.quorum,
                    passed: d.tally.passed,
                }),
            })
            .collect(),
        attendance: m.attendance.len(),
        minutes: m.minutes.last().map(|v| v.text.clone()),
        minutes_versions: m.minutes.len(),
        minutes_approved: m.approved.is_some(),
    }
}

fn meeting_doc(m: &Meeting, estate: &Estate, old: Option<&GovDoc>, convener: i64, now: chrono::DateTime<chrono::Utc>) -> Fallible<GovDoc> {
    Ok(GovDoc {
        state: Some(m.state.code().into()),
        open: m.state != governance::deliberation::MeetingState::Closed || m.approved.is_none(),
        actor: Some(old.and_then(|o| o.actor).unwrap_or(convener)),
        closed_at: (m.state == governance::deliberation::MeetingState::Closed).then_some(now),
        ..base_doc("meeting", m.id.0 as i64, estate, encode(m)?, old, now)
    })
}

/// Those who convene and run an estate's meetings: its parties and its community office.
fn convener(p: &Principal, estate: &Estate) -> Fallible<()> {
    let ok = roles_for(p, estate).iter().any(|r| matches!(r, Role::Party(_) | Role::Office(_)));
    if ok { Ok(()) } else { Err(Failure::Forbidden { code: "not_convener", zh: "只有该小区三方或社区可以召集和主持会议".into(), en: "Only the estate's parties or the community convene its meetings".into(), field: None }) }
}

/// Convenes a meeting of an estate.
pub async fn create_meeting(state: &AppState, p: &Principal, estate: &str, body: MeetingBody) -> Fallible<MeetingView> {
    let estate = load_estate(state, parse_num(estate, || Failure::not_found("没有这个小区", "No such estate"))?).await?.value;
    convener(p, &estate)?;
    let kind = match body.kind.as_str() {
        "owners_assembly" => MeetingKind::OwnersAssembly,
        "council" => MeetingKind::Council,
        "open_consultation" => MeetingKind::OpenConsultation,
        other => return Err(Failure::invalid("bad_kind", "kind", format!("没有会议类型「{other}」"), format!("No meeting kind {other:?}"))),
    };
    let m = Meeting::new(MeetingId(state.parts.ids.next() as u64), estate.id, kind, &body.title).map_err(|e| engine_error(&e))?;
    let now = state.now();
    if !state.store.governance().save(&GovChange { docs: vec![meeting_doc(&m, &estate, None, p.id().0, now)?], ..Default::default() }, now).await? {
        return Err(changed_meanwhile());
    }
    Ok(meeting_view(Some(p), &m, &estate))
}

/// A meeting.
pub async fn meeting(state: &AppState, p: Option<&Principal>, id: &str) -> Fallible<MeetingView> {
    let doc = state.store.governance().doc("meeting", parse_num(id, no_meeting)?).await?.ok_or_else(no_meeting)?;
    let m: Meeting = decode(&doc)?;
    let estate = load_estate(state, m.estate.0 as i64).await?.value;
    Ok(meeting_view(p, &m, &estate))
}

/// An estate's meetings, newest first.
pub async fn meetings(state: &AppState, p: Option<&Principal>, estate: &str) -> Fallible<Vec<MeetingView>> {
    let estate = load_estate(state, parse_num(estate, || Failure::not_found("没有这个小区", "No such estate"))?).await?.value;
    let (docs, _) = state.store.governance().list("meeting", &GovFilter { parent: Some(estate.id.0 as i64), by_created: true, ..Default::default() }, store::Page::new(100, 0)).await?;
    docs.iter().map(|d| Ok(meeting_view(p, &decode(d)?, &estate))).collect()
}

/// Something done to a meeting: the conveners propose, open, close and write the minutes; anyone
/// present attends; owners (an assembly) or attendees (a council) vote; another attendee approves
/// the minutes. Closing links each passed decision to the issues it settles.
pub async fn meeting_act(state: &AppState, p: &Principal, id: &str, body: MeetingActionBody) -> Fallible<MeetingView> {
    let g = state.store.governance();
    let doc = g.doc("meeting", parse_num(id, no_meeting)?).await?.ok_or_else(no_meeting)?;
    let mut m: Meeting = decode(&doc)?;
    let estate = load_estate(state, m.estate.0 as i64).await?.value;
    let now = state.now();
    let mut docs = Vec::new();
    let e = |e: governance::GovernanceError| engine_error(&e);
    match body.action.as_str() {
        "propose" => {
            convener(p, &estate)?;
            let matter = match body.matter.as_deref().filter(|s| !s.is_empty()) {
                Some(c) => Some(matter_of(c)?),
                None => None,
            };
            let mut issues = Vec::new();
            for (i, s) in body.issues.iter().enumerate() {
                let n = s.trim().parse::<u64>().map_err(|_| Failure::invalid("unknown_issue", &format!("issues[{i}]"), "没有这条诉求", "No such issue"))?;
                let d = g.doc("issue", n as i64).await?.ok_or_else(|| Failure::invalid("unknown_issue", &format!("issues[{i}]"), "没有这条诉求", "No such issue"))?;
                if d.parent != Some(estate.id.0 as i64) {
                    return Err(Failure::invalid("other_estate", &format!("issues[{i}]"), "该诉求不属于本小区", "That issue is of another estate"));
                }
                issues.push(IssueId(n));
            }
            m.propose(body.title.as_deref().unwrap_or_default(), me(p), matter, issues).map_err(e)?;
        }
        "open" => {
            convener(p, &estate)?;
            m.open().map_err(e)?;
        }
        "attend" => m.attend(me(p)).map_err(e)?,
        "vote" => {
            let choice = match body.choice.as_deref() {
                Some("for") => Choice::For,
                Some("against") => Choice::Against,
                Some("abstain") => Choice::Abstain,
                _ => return Err(Failure::invalid("bad_choice", "choice", "表决意见须为 for、against 或 abstain", "choice must be for, against or abstain")),
            };
            let item = body.item.ok_or_else(|| Failure::invalid("required", "item", "请写明议程序号", "Give the agenda item"))?;
            m.vote(item, me(p), choice, &estate).map_err(e)?;
        }
        "close" => {
            convener(p, &estate)?;
            let decisions = m.close(&estate, now).map_err(e)?;
            for d in decisions.iter().filter(|d| d.passed) {
                for i in &d.settles {
                    if let Some(idoc) = g.doc("issue", i.0 as i64).await? {
                        let mut issue: Issue = decode(&idoc)?;
                        if governance::issue::link_decision(&mut issue, d, now).is_ok() {
                            docs.push(GovDoc { doc: encode(&issue)?, updated_at: now, version: idoc.version + 1, ..idoc });
                        }
                    }
                }
            }
        }
        "write_minutes" => {
            convener(p, &estate)?;
            m.write_minutes(body.text.as_deref().unwrap_or_default(), me(p), body.reason.as_deref().unwrap_or_default(), now).map_err(e)?;
        }
        "approve_minutes" => m.approve_minutes(me(p), now).map_err(e)?,
        other => return Err(Failure::invalid("unknown_action", "action", format!("没有操作「{other}」"), format!("No action {other:?}"))),
    }
    docs.insert(0, meeting_doc(&m, &estate, Some(&doc), p.id().0, now)?);
    if !g.save(&GovChange { docs, ..Default::default() }, now).await? {
        return Err(changed_meanwhile());
    }
    Ok(meeting_view(Some(p), &m, &estate))
}

// ---------------------------------------------------------------------------------------------
// Projects.

fn project_view(pr: &Project, today: chrono::NaiveDate) -> ProjectView {
    ProjectView {
        id: pr.id.to_string(),
        title: pr.title.clone(),
        community: pr.community.clone(),
        town: pr.town.clone(),
        lat: pr.lat,
        lon: pr.lon,
        state: match pr.state {
            governance::projects::ProjectState::UnderWay => "under_way".into(),
            governance::projects::ProjectState::Completed => "completed".into(),
        },
        issues: pr.issues.iter().map(ToString::to_string).collect(),
        milestones: pr
            .milestones
            .iter()
            .map(|m| MilestoneView { name: m.name.clone(), due: m.due.to_string(), reached: m.reached.map(|d| d.to_string()), late: m.reached.map_or(today > m.due, |r| r > m.due) })
            .collect(),
        problems: pr
            .problems
            .iter()
            .map(|x| ProblemView {
                no: x.no,
                text: x.text.clone(),
                photos: x.photos.clone(),
                rectify_by: x.rectify_by.to_string(),
                found_on: x.found_on.to_string(),
                fixed: x.fixed.as_ref().map(|f| format!("{}：{}", f.2, f.0)),
                closed_on: x.closed.map(|c| c.1.to_string()),
            })
            .collect(),
        open_problems: pr.open_problems(),
        completed_on: pr.completed_on.map(|d| d.to_string()),
        on_time: pr.on_time(),
        ratings: pr.ratings.len(),
        mean_rating: pr.mean_rating(),
    }
}

fn project_doc(pr: &Project, old: Option<&GovDoc>, now: chrono::DateTime<chrono::Utc>) -> Fallible<GovDoc> {
    let done = pr.state == governance::projects::ProjectState::Completed;
    Ok(GovDoc {
        kind: "project".into(),
        id: pr.id.0 as i64,
        parent: None,
        community: Some(pr.community.clone()),
        town: Some(pr.town.clone()),
        state: Some(if done { "completed" } else { "under_way" }.into()),
        open: !done,
        actor: None,
        queue: None,
        created_at: old.map_or(now, |o| o.created_at),
        updated_at: now,
        due_at: pr.planned().map(domain::china_start_of_day),
        closed_at: pr.completed_on.map(domain::china_start_of_day),
        year: None,
        n: None,
        doc: encode(pr)?,
        version: old.map_or(1, |o| o.version + 1),
    })
}

/// Supervisors of projects: community workers of the project's community or town, and the
/// administrator.
fn supervisor(p: &Principal, community: &str) -> Fallible<()> {
    let ok = p.is_admin() || (p.has(catalog::Role::CommunityWorker) && p.account.division.as_deref().is_some_and(|d| community.starts_with(d)));
    if ok { Ok(()) } else { Err(Failure::Forbidden { code: "not_supervisor", zh: "只有本社区（街道）的社区工作者可以监督该项目".into(), en: "Only community workers of this community or town supervise this project".into(), field: None }) }
}

/// Registers a livelihood project to supervise.
pub async fn create_project(state: &AppState, p: &Principal, body: ProjectBody) -> Fallible<ProjectView> {
    let community = body.community.trim().to_owned();
    if community.len() != 12 || !community.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Failure::invalid("bad_division", "community", "社区代码须为 12 位数字", "community must be a 12-digit division code"));
    }
    supervisor(p, &community)?;
    if !state.config.governance.bounds_contain(body.lat, body.lon) {
        return Err(Failure::invalid("outside_district", "lat", "项目位置不在本区范围内", "The project is outside the district"));
    }
    let mut milestones = Vec::new();
    for (i, m) in body.milestones.iter().enumerate() {
        milestones.push((m.name.clone(), date(Some(&m.due), &format!("milestones[{i}].due"), state)?));
    }
    let issues = body.issues.iter().filter_map(|s| s.trim().parse::<u64>().ok()).map(IssueId).collect();
    let now = state.now();
    let pr = Project::new(ProjectId(state.parts.ids.next() as u64), &body.title, &community[..9], &community, body.lat, body.lon, issues, milestones, now).map_err(|e| engine_error(&e))?;
    if !state.store.governance().save(&GovChange { docs: vec![project_doc(&pr, None, now)?], ..Default::default() }, now).await? {
        return Err(changed_meanwhile());
    }
    Ok(project_view(&pr, today(state)))
}

/// Projects (of a community and below), newest first: public.
pub async fn projects(state: &AppState, community: Option<&str>) -> Fallible<Vec<ProjectView>> {
    let f = GovFilter { community: community.map(str::trim).filter(|c| !c.is_empty()).map(str::to_owned), by_created: true, ..Default::default() };
    let (docs, _) = state.store.governance().list("project", &f, store::Page::new(200, 0)).await?;
    let today = today(state);
    docs.iter().map(|d| Ok(project_view(&decode(d)?, today))).collect()
}

/// A project.
pub async fn project(state: &AppState, id: &str) -> Fallible<ProjectView> {
    let doc = state.store.governance().doc("project", parse_num(id, no_project)?).await?.ok_or_else(no_project)?;
    Ok(project_view(&decode(&doc)?, today(state)))
}

/// Something done to a project: supervisors reach milestones, inspect, close problems and
/// complete it; the builder's side (another worker) reports problems fixed; residents rate it.
pub async fn project_act(state: &AppState, p: &Principal, id: &str, body: ProjectActionBody) -> Fallible<ProjectView> {
    let g = state.store.governance();
    let doc = g.doc("project", parse_num(id, no_project)?).await?.ok_or_else(no_project)?;
    let mut pr: Project = decode(&doc)?;
    let now = state.now();
    let on = date(body.date.as_deref(), "date", state)?;
    let e = |e: governance::GovernanceError| engine_error(&e);
    match body.action.as_str() {
        "reach" => {
            supervisor(p, &pr.community)?;
            pr.reach(body.milestone.ok_or_else(|| Failure::invalid("required", "milestone", "请写明节点", "Give the milestone"))?, on, now).map_err(e)?;
        }
        "inspect" => {
            supervisor(p, &pr.community)?;
            let mut problems = Vec::new();
            for (i, x) in body.problems.iter().enumerate() {
                problems.push((x.text.clone(), x.photos.clone(), date(Some(&x.rectify_by), &format!("problems[{i}].rectify_by"), state)?));
            }
            pr.inspect(me(p), on, problems, now).map_err(e)?;
        }
        "report_fixed" => {
            supervisor(p, &pr.community)?;
            pr.report_fixed(body.problem.unwrap_or(0), me(p), body.note.as_deref().unwrap_or_default(), on, now).map_err(e)?;
        }
        "close_problem" => {
            supervisor(p, &pr.community)?;
            pr.close_problem(body.problem.unwrap_or(0), me(p), on, now).map_err(e)?;
        }
        "complete" => {
            supervisor(p, &pr.community)?;
            pr.complete(on, now).map_err(e)?;
        }
        "rate" => {
            if p.account.kind != store::AccountKind::Citizen {
                return Err(Failure::Forbidden { code: "residents_only", zh: "只有居民可以评价".into(), en: "Only residents rate projects".into(), field: None });
            }
            pr.rate(me(p), body.stars.unwrap_or(0), now).map_err(e)?;
        }
        other => return Err(Failure::invalid("unknown_action", "action", format!("没有操作「{other}」"), format!("No action {other:?}"))),
    }
    if !g.save(&GovChange { docs: vec![project_doc(&pr, Some(&doc), now)?], ..Default::default() }, now).await? {
        return Err(changed_meanwhile());
    }
    Ok(project_view(&pr, today(state)))
}

// ---------------------------------------------------------------------------------------------
// Open311 client applications.

/// The hash kept of an api_key (a random 128-bit secret: one SHA-256 is enough).
pub fn key_hash(key: &str) -> String {
    hex::encode(sha2::Sha256::digest(key.as_bytes()))
}

fn client_view(c: &GovClientRow, key: Option<String>) -> ClientView {
    ClientView { id: c.id.to_string(), name: c.name.clone(), created_at: china(c.created_at), revoked_at: c.revoked_at.map(china), api_key: key }
}

/// The administrator registers an Open311 client application; its api_key is shown once.
pub async fn create_client(state: &AppState, p: &Principal, body: ClientBody) -> Fallible<ClientView> {
    let name = body.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(Failure::invalid("bad_name", "name", "应用名称须为 1～100 个字", "The name must be 1–100 characters"));
    }
    let mut raw = [0u8; 16];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut raw);
    let key = hex::encode(raw);
    let id = state.parts.ids.next();
    // Reports a client sends without a resident's session are the client's own: its id is the
    // reporter (no account has it, so nobody but the clock confirms them).
    let c = GovClientRow { id, name: name.to_owned(), key_hash: key_hash(&key), account: id, created_by: p.id().0, created_at: state.now(), revoked_at: None };
    state.store.governance().insert_client(&c).await?;
    Ok(client_view(&c, Some(key)))
}

/// The client applications.
pub async fn clients(state: &AppState) -> Fallible<Vec<ClientView>> {
    Ok(state.store.governance().clients().await?.iter().map(|c| client_view(c, None)).collect())
}

/// Revokes a client's key.
pub async fn revoke_client(state: &AppState, id: &str) -> Fallible<ClientView> {
    let id = parse_num(id, || Failure::not_found("没有这个应用", "No such client"))?;
    if !state.store.governance().revoke_client(id, state.now()).await? {
        return Err(Failure::not_found("没有这个应用，或已停用", "No such client, or revoked already"));
    }
    let c = state.store.governance().clients().await?.into_iter().find(|c| c.id == id).ok_or_else(|| Failure::not_found("没有这个应用", "No such client"))?;
    Ok(client_view(&c, None))
}

// ---------------------------------------------------------------------------------------------
// Figures.

fn median(mut v: Vec<f64>) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    Some(if n % 2 == 1 { v[n / 2] } else { (v[n / 2 - 1] + v[n / 2]) / 2.0 })
}

/// The cockpit's figures for the last twelve months: issues reported and settled per town and
/// month (settled = resolved or confirmed), time to settle, escalations, fund spending, projects
/// on time, permits and complaints per permit.
pub async fn figures(state: &AppState) -> Fallible<FiguresView> {
    let g = state.store.governance();
    let since = state.now() - chrono::Duration::days(366);
    let rows = g.issue_figures(since).await?;
    let deadline_hours = f64::from(rules().routing.hours(Level::Estate));
    let mut by: BTreeMap<(String, String), (u64, u64, u64, u64, Vec<f64>)> = BTreeMap::new();
    let (mut settled, mut open, mut escalations) = (0u64, 0u64, 0u64);
    let mut hours = Vec::new();
    for r in &rows {
        let month = domain::china_time(r.created_at).format("%Y-%m").to_string();
        let e = by.entry((r.town.clone(), month)).or_default();
        e.0 += 1;
        let is_settled = r.state == IssueState::Resolved.code() || r.state == IssueState::Confirmed.code();
        if is_settled && let Some(c) = r.closed_at {
            let h = (c - r.created_at).num_minutes() as f64 / 60.0;
            e.1 += 1;
            if h <= deadline_hours && r.escalations == 0 {
                e.2 += 1;
            }
            e.4.push(h);
            hours.push(h);
            settled += 1;
        } else if r.state != IssueState::Declined.code() {
            open += 1;
        }
        if r.escalations > 0 {
            e.3 += 1;
            escalations += r.escalations as u64;
        }
    }
    let mut by_town_month = Vec::new();
    let mut names: BTreeMap<String, String> = BTreeMap::new();
    for ((town, month), (rep, set, in_time, esc, hs)) in by {
        if !names.contains_key(&town) {
            let n = crate::areas::welfare::cases::division_name(state, &town).await;
            names.insert(town.clone(), n);
        }
        by_town_month.push(TownMonthView { town_name: names.get(&town).cloned().unwrap_or_default(), town, month, reported: rep, settled: set, settled_in_time: in_time, escalated: esc, median_hours_to_settle: median(hs) });
    }
    let expenses = g.all("expense", &GovFilter::default()).await?;
    let projects: Vec<Project> = g.all("project", &GovFilter::default()).await?.iter().map(decode).collect::<Fallible<_>>()?;
    let (_, estates) = g.list("estate", &GovFilter::default(), store::Page::new(0, 0)).await?;
    let (_, permits) = g.list("permit", &GovFilter::default(), store::Page::new(0, 0)).await?;
    Ok(FiguresView {
        issues_reported: rows.len() as u64,
        issues_settled: settled,
        issues_open: open,
        escalations,
        median_hours_to_settle: median(hours),
        by_town_month,
        estates: estates as u64,
        expense_applications: expenses.len() as u64,
        expense_paid_fen: expenses.iter().filter(|d| d.state.as_deref() == Some("paid")).map(|d| d.n.unwrap_or(0)).sum(),
        expense_requested_fen: expenses.iter().filter(|d| d.state.as_deref() != Some("rejected")).map(|d| d.n.unwrap_or(0)).sum(),
        projects: projects.len() as u64,
        projects_completed: projects.iter().filter(|p| p.completed_on.is_some()).count() as u64,
        projects_on_time: projects.iter().filter(|p| p.on_time() == Some(true)).count() as u64,
        permits: permits as u64,
        complaints_per_permit: g.complaints_per_permit().await?.into_iter().map(|(p, n)| (p.to_string(), n as u64)).collect(),
    })
}
