//! Community governance's use cases for estates and residents' issues (F1, A10): estates with
//! their parties registered, a resident's report (from the pages, the JSON API or Open311) routed
//! by the rules to the party or parties responsible, each step by whoever is responsible now
//! (checked against the estate, the community's and street's offices and the district
//! departments), the reporter's confirmation or re-opening, the duty that escalates what is
//! overdue, night-construction certificates made into permits and pushed to their supervisors,
//! noise complaints matched to them. Every change is saved by version with its notices in one
//! commit.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use chrono::DateTime;
use chrono::Utc;
use domain::china_date;
use governance::Action;
use governance::Actor;
use governance::ActorId;
use governance::Estate;
use governance::EstateId;
use governance::FundRules;
use governance::GovernanceError;
use governance::HelperRole;
use governance::Issue;
use governance::IssueId;
use governance::IssueState;
use governance::Level;
use governance::NewIssue;
use governance::Notice;
use governance::PartyKind;
use governance::Permit;
use governance::Recipient;
use governance::Role;
use governance::Routing;
use governance::estate::CommitteeKind;
use governance::estate::Owner;
use governance::estate::Party;
use governance::estate::Unit;
use governance::open311::Bounds;
use governance::open311::CheckedRequest;
use governance::open311::Location;
use governance::open311::RawRequest;
use governance::open311::ServiceRequest;
use governance::permits::Site;
use governance::permits::Window;
use store::GovChange;
use store::GovDoc;
use store::GovFilter;
use store::Page;
use store::PlainNotice;
use crate::auth::Principal;
use crate::failure::Failure;
use crate::failure::Fallible;
use crate::state::AppState;
use super::views::*;

/// The rules as data: routing of issues and the thresholds of fund reviews.
pub struct Rules {
    pub routing: Routing,
    pub funds: FundRules,
}

/// The shipped rules (`data/governance/*.toml`, checked by the engine's tests).
pub fn rules() -> &'static Rules {
    static RULES: LazyLock<Rules> = LazyLock::new(|| Rules {
        routing: Routing::embedded().unwrap_or_else(|e| panic!("the shipped routing rules are bad: {e}")),
        funds: FundRules::embedded().unwrap_or_else(|e| panic!("the shipped fund rules are bad: {e}")),
    });
    &RULES
}

/// The record type of a night-construction certificate, and the departments that supervise
/// night work (生态环境 for noise, 综合行政执法 for the site).
pub const NIGHT_CERTIFICATE: &str = "night_construction_cert";
pub const PERMIT_SUPERVISORS: &[&str] = &["sthj", "zhzf"];
/// The radius a permit covers around its site.
pub const PERMIT_RADIUS_M: f64 = 300.0;

// ---------------------------------------------------------------------------------------------
// Errors and small parsers.

/// A governance error as the API answers it.
pub fn engine_error(e: &GovernanceError) -> Failure {
    use domain::Describe;
    let (code, zh, en, field) = (e.code(), e.message_zh(), e.message_en(), e.field());
    match e.kind() {
        governance::ErrorKind::Forbidden => Failure::Forbidden { code, zh, en, field },
        governance::ErrorKind::Conflict => Failure::Conflict { code, zh, en, field },
        _ => Failure::Invalid { code, zh, en, field },
    }
}

/// A save that met another server's change: 409 `concurrent_change` (governance's and places'
/// records alike).
pub(crate) fn changed_meanwhile() -> Failure {
    Failure::Conflict {
        code: "concurrent_change",
        zh: "该事项刚被他人修改，请刷新后重试".into(),
        en: "Someone changed this at the same time; reload and try again".into(),
        field: None,
    }
}

fn no_issue() -> Failure {
    Failure::not_found("没有这条诉求", "No such issue")
}

fn no_estate() -> Failure {
    Failure::not_found("没有这个小区", "No such estate")
}

pub(super) fn parse_num(s: &str, missing: fn() -> Failure) -> Fallible<i64> {
    s.trim().parse::<i64>().ok().filter(|n| *n > 0).ok_or_else(missing)
}

/// A kept record's engine value (`store::Doc`, governance's and places' alike).
pub(crate) fn decode<T: serde::de::DeserializeOwned>(d: &GovDoc) -> Fallible<T> {
    serde_json::from_str(&d.doc).map_err(Failure::internal)
}

/// An engine value as a kept record's JSON.
pub(crate) fn encode<T: serde::Serialize>(v: &T) -> Fallible<String> {
    serde_json::to_string(v).map_err(Failure::internal)
}

pub(super) fn china(t: DateTime<Utc>) -> String {
    governance::open311::datetime(t)
}

// ---------------------------------------------------------------------------------------------
// Estates.

/// An estate as stored, with its version.
pub struct Stored<T> {
    pub value: T,
    pub doc: GovDoc,
}

pub(super) async fn load_estate(state: &AppState, id: i64) -> Fallible<Stored<Estate>> {
    let doc = state.store.governance().doc("estate", id).await?.ok_or_else(no_estate)?;
    Ok(Stored { value: decode(&doc)?, doc })
}

/// The estates as last read, with the mark they were read at.
#[derive(Default)]
pub struct EstateCache(std::sync::Mutex<Option<((i64, i64), std::sync::Arc<Vec<Estate>>)>>);

/// Every estate (a district has hundreds), decoded once and kept while the database's mark (their
/// count and the sum of their versions) is the same — another server's change is seen at the next
/// call.
pub(super) async fn all_estates(state: &AppState) -> Fallible<std::sync::Arc<Vec<Estate>>> {
    let mark = state.store.governance().mark("estate").await?;
    if let Ok(c) = state.governance.0.lock()
        && let Some((m, list)) = c.as_ref()
        && *m == mark
    {
        return Ok(list.clone());
    }
    let list: Vec<Estate> = state.store.governance().all("estate", &GovFilter::default()).await?.iter().map(decode).collect::<Fallible<_>>()?;
    let list = std::sync::Arc::new(list);
    if let Ok(mut c) = state.governance.0.lock() {
        *c = Some((mark, list.clone()));
    }
    Ok(list)
}

async fn account_of_login(state: &AppState, login: &str, field: &str) -> Fallible<i64> {
    let l = login.trim();
    match state.store.identity().account_for_login(l).await? {
        Some((a, _)) if !a.disabled => Ok(a.id.0),
        _ => Err(Failure::invalid("unknown_login", field, format!("没有登录名为「{l}」的账号"), format!("No account with login {l:?}"))),
    }
}

async fn party_of(state: &AppState, body: &PartyBody, field: &str) -> Fallible<Party> {
    let name = body.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(Failure::invalid("bad_name", &format!("{field}.name"), "名称须为 1～100 个字", "The name must be 1–100 characters"));
    }
    let mut members = Vec::new();
    for (i, l) in body.members.iter().enumerate() {
        members.push(ActorId(account_of_login(state, l, &format!("{field}.members[{i}]")).await? as u64));
    }
    members.sort();
    members.dedup();
    Ok(Party { name: name.to_owned(), members })
}

/// Who may register estates: the administrator, or a community worker of the estate's
/// community or town.
fn may_register(p: &Principal, community: &str) -> bool {
    p.is_admin() || (p.has(catalog::Role::CommunityWorker) && p.account.division.as_deref().is_some_and(|d| community.starts_with(d)))
}

/// Registers or replaces an estate with its parties, helpers and owners.
pub async fn save_estate(state: &AppState, p: &Principal, body: EstateBody) -> Fallible<EstateView> {
    let community = body.community.trim().to_owned();
    if community.len() != 12 || !community.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Failure::invalid("bad_division", "community", "社区代码须为 12 位数字", "community must be a 12-digit division code"));
    }
    if !may_register(p, &community) {
        return Err(Failure::Forbidden { code: "not_this_community", zh: "只有本社区（街道）的社区工作者或管理员可以登记小区".into(), en: "Only a community worker of this community or town, or the administrator, registers estates".into(), field: None });
    }
    if !state.config.governance.bounds_contain(body.lat, body.lon) {
        return Err(Failure::invalid("outside_district", "lat", "小区位置不在本区范围内", "The estate is outside the district"));
    }
    if body.id == 0 || body.id > 1_000_000_000 {
        return Err(Failure::invalid("bad_id", "id", "小区编号须为 1～1000000000", "id must be 1–1,000,000,000"));
    }
    let committee_kind = match body.committee_kind.as_str() {
        "owners_committee" => CommitteeKind::OwnersCommittee,
        "property_management_committee" => CommitteeKind::PropertyManagementCommittee,
        other => return Err(Failure::invalid("bad_committee_kind", "committee_kind", format!("没有委员会类型「{other}」"), format!("No committee kind {other:?}"))),
    };
    let mut helpers = BTreeMap::new();
    for (code, logins) in &body.helpers {
        let role = HelperRole::parse(code).ok_or_else(|| Failure::invalid("bad_helper", "helpers", format!("没有「{code}」这一员"), format!("No helper role {code:?}")))?;
        let mut ids = Vec::new();
        for (i, l) in logins.iter().enumerate() {
            ids.push(ActorId(account_of_login(state, l, &format!("helpers.{code}[{i}]")).await? as u64));
        }
        helpers.insert(role, ids);
    }
    let mut owners = Vec::new();
    for (i, o) in body.owners.iter().enumerate() {
        let id = ActorId(account_of_login(state, &o.login, &format!("owners[{i}].login")).await? as u64);
        let mut units = Vec::new();
        for (j, u) in o.units.iter().enumerate() {
            let area = governance::FloorArea::parse_m2(&u.area_m2).map_err(|e| {
                let f = engine_error(&e);
                match f {
                    Failure::Invalid { code, zh, en, .. } => Failure::Invalid { code, zh, en, field: Some(format!("owners[{i}].units[{j}].area_m2")) },
                    other => other,
                }
            })?;
            let number = u.number.trim();
            if number.is_empty() || number.chars().count() > 50 {
                return Err(Failure::invalid("bad_unit", &format!("owners[{i}].units[{j}].number"), "房号须为 1～50 个字", "The unit number must be 1–50 characters"));
            }
            units.push(Unit { number: number.to_owned(), area });
        }
        owners.push(Owner { id, units });
    }
    let estate = Estate {
        id: EstateId(body.id),
        name: body.name.trim().to_owned(),
        town: community[..9].to_owned(),
        community,
        lat: body.lat,
        lon: body.lon,
        party_branch: match &body.party_branch {
            Some(b) => Some(party_of(state, b, "party_branch").await?),
            None => None,
        },
        committee_kind,
        committee: party_of(state, &body.committee, "committee").await?,
        property_company: match &body.property_company {
            Some(b) => Some(party_of(state, b, "property_company").await?),
            None => None,
        },
        worker: match &body.worker {
            Some(l) => Some(ActorId(account_of_login(state, l, "worker").await? as u64)),
            None => None,
        },
        helpers,
        owners,
    };
    estate.check().map_err(|e| engine_error(&e))?;
    let now = state.now();
    let old = state.store.governance().doc("estate", body.id as i64).await?;
    let mut docs = vec![estate_doc(&estate, old.as_ref(), now)?];
    if old.is_none() {
        let ledger = governance::Ledger::new(estate.id, domain::Fen::ZERO);
        docs.push(GovDoc { n: Some(0), ..base_doc("ledger", body.id as i64, &estate, encode(&ledger)?, None, now) });
    }
    let change = GovChange { docs, members: Some((body.id as i64, members_of(&estate))), ..Default::default() };
    if !state.store.governance().save(&change, now).await? {
        return Err(changed_meanwhile());
    }
    estate_view(state, Some(p), &estate).await
}

pub fn base_doc(kind: &str, id: i64, estate: &Estate, doc: String, old: Option<&GovDoc>, now: DateTime<Utc>) -> GovDoc {
    GovDoc {
        kind: kind.to_owned(),
        id,
        parent: Some(estate.id.0 as i64),
        community: Some(estate.community.clone()),
        town: Some(estate.town.clone()),
        state: None,
        open: false,
        actor: None,
        queue: None,
        created_at: old.map_or(now, |o| o.created_at),
        updated_at: now,
        due_at: None,
        closed_at: None,
        year: None,
        n: None,
        doc,
        version: old.map_or(1, |o| o.version + 1),
    }
}

fn estate_doc(e: &Estate, old: Option<&GovDoc>, now: DateTime<Utc>) -> Fallible<GovDoc> {
    Ok(GovDoc { n: Some(e.owners.len() as i64), ..base_doc("estate", e.id.0 as i64, e, encode(e)?, old, now) })
}

fn members_of(e: &Estate) -> Vec<(i64, String)> {
    let mut out = Vec::new();
    for kind in [PartyKind::PartyBranch, PartyKind::Committee, PartyKind::PropertyCompany, PartyKind::CommunityWorker] {
        for m in e.members(kind) {
            out.push((m.0 as i64, kind.code().to_owned()));
        }
    }
    for (role, ids) in &e.helpers {
        for m in ids {
            out.push((m.0 as i64, format!("helper:{}", role.code())));
        }
    }
    for o in &e.owners {
        out.push((o.id.0 as i64, "owner".to_owned()));
    }
    out.sort();
    out.dedup();
    out
}

pub(super) async fn estate_view(state: &AppState, p: Option<&Principal>, e: &Estate) -> Fallible<EstateView> {
    let me = p.map(|p| ActorId(p.id().0 as u64));
    let mut parties = Vec::new();
    if let Some(b) = &e.party_branch {
        parties.push(PartyView { kind: "party_branch".into(), kind_label: PartyKind::PartyBranch.name_zh().into(), name: b.name.clone(), members: b.members.len() });
    }
    let committee_label = match e.committee_kind {
        CommitteeKind::OwnersCommittee => "业主委员会",
        CommitteeKind::PropertyManagementCommittee => "物业管理委员会（物管会）",
    };
    parties.push(PartyView { kind: "committee".into(), kind_label: committee_label.into(), name: e.committee.name.clone(), members: e.committee.members.len() });
    if let Some(c) = &e.property_company {
        parties.push(PartyView { kind: "property_company".into(), kind_label: PartyKind::PropertyCompany.name_zh().into(), name: c.name.clone(), members: c.members.len() });
    }
    if e.worker.is_some() {
        parties.push(PartyView { kind: "community_worker".into(), kind_label: PartyKind::CommunityWorker.name_zh().into(), name: "驻小区社区工作者（包小专）".into(), members: 1 });
    }
    let f = GovFilter { parent: Some(e.id.0 as i64), open: Some(true), ..Default::default() };
    let (_, open) = state.store.governance().list("issue", &f, Page::new(0, 0)).await?;
    let my_parts = match me {
        Some(m) => members_of(e).into_iter().filter(|(a, _)| *a == m.0 as i64).map(|(_, part)| part).collect(),
        None => Vec::new(),
    };
    Ok(EstateView {
        id: e.id.to_string(),
        name: e.name.clone(),
        community: e.community.clone(),
        community_name: crate::areas::welfare::cases::division_name(state, &e.community).await,
        town: e.town.clone(),
        town_name: crate::areas::welfare::cases::division_name(state, &e.town).await,
        lat: e.lat,
        lon: e.lon,
        committee_kind: match e.committee_kind {
            CommitteeKind::OwnersCommittee => "owners_committee".into(),
            CommitteeKind::PropertyManagementCommittee => "property_management_committee".into(),
        },
        parties,
        helpers: e.helper_roles().iter().map(|h| h.name_zh().to_owned()).collect(),
        owners: e.owners.len(),
        floor_area_m2: e.owners.iter().map(|o| o.area().m2()).sum(),
        open_issues: open,
        my_parts,
    })
}

/// The estates, of a community or the caller's own.
pub async fn estates(state: &AppState, p: Option<&Principal>, q: EstateQuery) -> Fallible<Vec<EstateView>> {
    let mut list: Vec<Estate> = all_estates(state).await?.as_ref().clone();
    if let Some(c) = q.community.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
        list.retain(|e| e.community.starts_with(c));
    }
    if q.mine == Some(true) {
        let Some(p) = p else { return Err(Failure::Unauthorized) };
        let mine: Vec<i64> = state.store.governance().parts_of(p.id().0).await?.into_iter().map(|(e, _)| e).collect();
        list.retain(|e| mine.contains(&(e.id.0 as i64)));
    }
    let mut out = Vec::new();
    for e in &list {
        out.push(estate_view(state, p, e).await?);
    }
    Ok(out)
}

/// One estate.
pub async fn estate(state: &AppState, p: Option<&Principal>, id: &str) -> Fallible<EstateView> {
    let e = load_estate(state, parse_num(id, no_estate)?).await?;
    estate_view(state, p, &e.value).await
}

/// One estate, from the cache of every estate.
pub(super) async fn estate_of(state: &AppState, id: i64) -> Fallible<Estate> {
    all_estates(state).await?.iter().find(|e| e.id.0 as i64 == id).cloned().ok_or_else(no_estate)
}

/// The nearest estate within the configured radius of a point.
pub(super) fn nearest_estate(estates: &[Estate], lat: f64, lon: f64, radius_m: f64) -> Option<&Estate> {
    estates
        .iter()
        .map(|e| (governance::permits::distance_m((lat, lon), (e.lat, e.lon)), e))
        .filter(|(d, _)| *d <= radius_m)
        .min_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, e)| e)
}

// ---------------------------------------------------------------------------------------------
// Who acts.

/// The parts an account plays for an issue of `estate` at its current level, in the order they
/// are tried: the district department, the community's or street's office, the estate's parties
/// and the mediator, then the resident.
pub(super) fn roles_for(p: &Principal, estate: &Estate) -> Vec<Role> {
    let me = ActorId(p.id().0 as u64);
    let mut out = Vec::new();
    if let Some(d) = p.department()
        && rules().routing.departments.contains_key(d)
    {
        out.push(Role::Department(d.to_owned()));
    }
    if p.has(catalog::Role::CommunityWorker)
        && let Some(div) = p.account.division.as_deref()
    {
        if div == estate.community {
            out.push(Role::Office(Level::Community));
        }
        if div == estate.town {
            out.push(Role::Office(Level::Street));
        }
    }
    for kind in [PartyKind::PropertyCompany, PartyKind::Committee, PartyKind::PartyBranch, PartyKind::CommunityWorker] {
        if estate.members(kind).contains(&me) {
            out.push(Role::Party(kind));
        }
    }
    if estate.helpers.get(&HelperRole::Mediator).is_some_and(|m| m.contains(&me)) {
        out.push(Role::Helper(HelperRole::Mediator));
    }
    out.push(Role::Resident);
    out
}

fn role_code(r: &Role) -> String {
    match r {
        Role::Party(k) => k.code().to_owned(),
        Role::Helper(h) => h.code().to_owned(),
        Role::Office(Level::Community) => "community".into(),
        Role::Office(_) => "street".into(),
        Role::Department(_) => "department".into(),
        Role::Resident => "resident".into(),
        Role::System => "system".into(),
    }
}

fn role_label(r: &Role, estate: &Estate) -> String {
    match r {
        Role::Party(PartyKind::PropertyCompany) => estate.property_company.as_ref().map_or_else(|| "物业".into(), |c| c.name.clone()),
        Role::Party(PartyKind::Committee) => estate.committee.name.clone(),
        Role::Party(PartyKind::PartyBranch) => estate.party_branch.as_ref().map_or_else(|| "小区党支部".into(), |c| c.name.clone()),
        Role::Party(PartyKind::CommunityWorker) => "驻小区社区工作者".into(),
        Role::Helper(h) => h.name_zh().into(),
        Role::Office(Level::Community) => "社区".into(),
        Role::Office(_) => "街道".into(),
        Role::Department(d) => rules().routing.department_name(d).to_owned(),
        Role::Resident => "报告人".into(),
        Role::System => "系统（超期自动上报）".into(),
    }
}

/// Who a step was taken by, in words: the role from the history is not kept per step, so the
/// actor is named by the parts they hold in the estate (or the office, the department, the
/// reporter).
fn actor_label(by: Option<ActorId>, issue: &Issue, estate: &Estate) -> String {
    let Some(a) = by else { return "系统".into() };
    if a == issue.reporter {
        return "报告人".into();
    }
    for kind in [PartyKind::PropertyCompany, PartyKind::Committee, PartyKind::PartyBranch, PartyKind::CommunityWorker] {
        if estate.members(kind).contains(&a) {
            return role_label(&Role::Party(kind), estate);
        }
    }
    if estate.helpers.get(&HelperRole::Mediator).is_some_and(|m| m.contains(&a)) {
        return HelperRole::Mediator.name_zh().into();
    }
    match issue.escalations.last().map(|e| e.to) {
        Some(Level::District) => rules().routing.department_name(&issue.department).to_owned(),
        Some(Level::Street) => "街道".into(),
        Some(Level::Community) => "社区".into(),
        _ => "工作人员".into(),
    }
}

/// The actions the caller may take on an issue now.
fn can(p: Option<&Principal>, issue: &Issue, estate: &Estate) -> Vec<String> {
    let Some(p) = p else { return Vec::new() };
    let mut out = Vec::new();
    let me = ActorId(p.id().0 as u64);
    if me == issue.reporter && issue.state == IssueState::Resolved {
        out.extend(["confirm", "reopen"].map(String::from));
    }
    let responsible: Vec<Role> = roles_for(p, estate).into_iter().filter(|r| issue.is_responsible(&Actor { id: me, role: r.clone() }, estate)).collect();
    if responsible.is_empty() || !issue.state.is_pending() {
        return out;
    }
    match issue.state {
        IssueState::Deliberating => {
            if responsible.iter().any(|r| matches!(r, Role::Party(k) if !issue.agreed.contains(k))) {
                out.push("agree".into());
            }
        }
        IssueState::Routed => out.push("accept".into()),
        IssueState::InProgress if !(issue.dispute && issue.level == Level::Estate) => out.push("resolve".into()),
        IssueState::Mediating => out.push("record_agreement".into()),
        _ => {}
    }
    if issue.dispute && matches!(issue.state, IssueState::Routed | IssueState::InProgress) {
        out.push("start_mediation".into());
    }
    out.extend(["decline", "note"].map(String::from));
    if issue.level != Level::District {
        out.push("escalate".into());
    }
    out
}

// ---------------------------------------------------------------------------------------------
// Issues.

fn queue_of(issue: &Issue) -> String {
    match issue.level {
        Level::Estate => format!("estate:{}", issue.estate.0),
        Level::Community => format!("community:{}", issue.community),
        Level::Street => format!("street:{}", issue.town),
        Level::District => format!("dept:{}", issue.department),
    }
}

/// An issue as the store keeps it: the engine's record and the columns lists and the duty read.
pub fn issue_doc(issue: &Issue, estate: &Estate, old: Option<&GovDoc>) -> Fallible<GovDoc> {
    let settled = matches!(issue.state, IssueState::Resolved | IssueState::Confirmed).then(|| issue.resolved_at.or(issue.confirmed_at)).flatten();
    Ok(GovDoc {
        state: Some(issue.state.code().to_owned()),
        open: issue.state.is_pending(),
        actor: Some(issue.reporter.0 as i64),
        queue: Some(queue_of(issue)),
        created_at: issue.reported_at,
        due_at: issue.deadline.filter(|_| issue.state.is_pending()).or_else(|| (issue.state == IssueState::Resolved).then(|| issue.resolved_at.map(|t| t + chrono::Duration::hours(i64::from(rules().routing.confirm_hours)))).flatten()),
        closed_at: settled,
        n: Some(issue.escalations.len() as i64),
        ..base_doc("issue", issue.id.0 as i64, estate, encode(issue)?, old, issue.updated_at)
    })
}

/// The notices of an engine's change, as plain notices to accounts, offices and departments.
fn notices_of(state: &AppState, issue: &Issue, estate: &Estate, notices: &[Notice]) -> Vec<PlainNotice> {
    let category = rules().routing.category(&issue.category).map(|c| c.name_zh.clone()).unwrap_or_else(|_| issue.category.clone());
    let mut out = Vec::new();
    for n in notices {
        let (zh, en) = notice_text(&n.what, &category, issue);
        let recipients: Vec<String> = match &n.to {
            Recipient::Reporter(a) => vec![format!("account:{a}")],
            Recipient::Party(k) => estate.members(*k).iter().map(|m| format!("account:{m}")).collect(),
            Recipient::Office(Level::Community) => vec![format!("division:{}:community_worker", issue.community)],
            Recipient::Office(_) => vec![format!("division:{}:community_worker", issue.town)],
            Recipient::Department(d) => vec![format!("dept:{d}:clerk")],
        };
        for r in recipients {
            out.push((state.parts.ids.next(), r, format!("governance_{}", n.what), zh.clone(), en.clone()));
        }
    }
    out
}

fn notice_text(what: &str, category: &str, issue: &Issue) -> (String, String) {
    let id = issue.id;
    match what {
        "report" | "route" | "routed" => (format!("新诉求 {id}（{category}）：{}", issue.description.chars().take(60).collect::<String>()), format!("New issue {id} ({})", issue.category)),
        "accept" | "agree" => (format!("您的诉求 {id}（{category}）已开始处理"), format!("Your issue {id} is being handled")),
        "resolve" | "record_agreement" => (format!("您的诉求 {id}（{category}）已办结，请确认是否解决；7 天内未确认视为解决"), format!("Your issue {id} was resolved: confirm or re-open it within 7 days")),
        "decline" => (format!("您的诉求 {id}（{category}）未被受理，原因见诉求详情"), format!("Your issue {id} was declined; see why on its page")),
        "escalate" | "overdue" => (format!("诉求 {id}（{category}）已上报，请及时处理"), format!("Issue {id} was escalated to you")),
        "confirm" => (format!("诉求 {id}（{category}）报告人已确认解决"), format!("The reporter confirmed issue {id} settled")),
        "reopen" => (format!("诉求 {id}（{category}）被报告人重新打开，请继续处理"), format!("The reporter re-opened issue {id}")),
        "start_mediation" => (format!("您的诉求 {id}（{category}）已进入三方联合调解"), format!("Your issue {id} went to joint mediation")),
        "permit" => (format!("噪声投诉 {id} 已关联夜间施工证明，转监管部门核查"), format!("Noise complaint {id} was matched to a night-construction permit and sent to its supervisor")),
        other => (format!("诉求 {id}（{category}）：{other}"), format!("Issue {id}: {other}")),
    }
}

pub(super) async fn load_issue(state: &AppState, id: i64) -> Fallible<(Stored<Issue>, Stored<Estate>)> {
    let doc = state.store.governance().doc("issue", id).await?.ok_or_else(no_issue)?;
    let issue: Issue = decode(&doc)?;
    let estate = load_estate(state, issue.estate.0 as i64).await?;
    Ok((Stored { value: issue, doc }, estate))
}

fn action_label(a: &str) -> &'static str {
    match a {
        "report" => "提交诉求",
        "agree" => "同意联议方案",
        "accept" => "接单",
        "resolve" => "办结",
        "confirm" => "确认解决",
        "reopen" => "重新打开",
        "decline" => "拒绝受理",
        "escalate" => "上报",
        "overdue" => "超期",
        "start_mediation" => "启动联合调解",
        "record_agreement" => "达成调解协议",
        "note" => "备注",
        "route" => "分派责任方",
        "attach_permits" => "关联夜间施工证明",
        "route_to_department" => "转监管部门",
        "link_decision" => "关联议事决定",
        _ => "其他",
    }
}

fn state_label(s: IssueState) -> &'static str {
    match s {
        IssueState::Routed => "待接单",
        IssueState::Deliberating => "三方联议中",
        IssueState::InProgress => "处理中",
        IssueState::Mediating => "联合调解中",
        IssueState::Resolved => "已办结待确认",
        IssueState::Confirmed => "已解决",
        IssueState::Declined => "不予受理",
    }
}

/// An issue as its pages and the API show it.
pub(super) fn issue_view(p: Option<&Principal>, issue: &Issue, estate: &Estate) -> IssueView {
    let routing = &rules().routing;
    let sr = ServiceRequest::of(issue, estate, routing);
    IssueView {
        id: issue.id.to_string(),
        category: issue.category.clone(),
        category_name: sr.service_name.clone(),
        estate: estate.id.to_string(),
        estate_name: estate.name.clone(),
        community: issue.community.clone(),
        town: issue.town.clone(),
        description: issue.description.clone(),
        address: issue.address.clone(),
        lat: issue.lat,
        lon: issue.lon,
        media_url: issue.media_url.clone(),
        attributes: issue.attributes.clone(),
        state: issue.state.code().to_owned(),
        state_label: state_label(issue.state).to_owned(),
        status: sr.status,
        status_notes: sr.status_notes,
        level: issue.level.code().to_owned(),
        parties: issue.parties.iter().map(|k| role_label(&Role::Party(*k), estate)).collect(),
        agreed: issue.agreed.iter().map(|k| role_label(&Role::Party(*k), estate)).collect(),
        plan: issue.plan.clone(),
        agency_responsible: sr.agency_responsible,
        department: routing.department_name(&issue.department).to_owned(),
        dispute: issue.dispute,
        reported_at: china(issue.reported_at),
        updated_at: china(issue.updated_at),
        deadline: issue.deadline.filter(|_| issue.state.is_pending()).map(china),
        overdue: issue.overdue,
        escalations: issue.escalations.len(),
        reopened: issue.reopened,
        declined: issue.declined.as_ref().map(|d| DeclinedView { by: role_label(&d.role, estate), level: d.level.code().to_owned(), reason: d.reason.clone(), at: china(d.at) }),
        agreement: issue.agreement.as_ref().map(|a| a.text.clone()),
        permits: issue.permits.iter().map(ToString::to_string).collect(),
        decisions: issue.decisions.iter().map(|(m, i)| format!("{m}#{i}")).collect(),
        history: issue
            .history
            .iter()
            .map(|s| StepView { at: china(s.at), action: s.action.clone(), action_label: action_label(&s.action).to_owned(), state: s.state.code().to_owned(), by: actor_label(s.by, issue, estate), note: s.note.clone() })
            .collect(),
        mine: p.is_some_and(|p| p.id().0 as u64 == issue.reporter.0),
        can: can(p, issue, estate),
    }
}

/// Finds the estate a report is in: the one chosen, else the nearest to the point, else the
/// reporter's own when they belong to exactly one.
async fn estate_for(state: &AppState, reporter: i64, chosen: Option<&str>, location: &Location) -> Fallible<Estate> {
    if let Some(id) = chosen.map(str::trim).filter(|s| !s.is_empty()) {
        let id = id.parse::<i64>().map_err(|_| Failure::invalid("unknown_estate", "estate", "没有这个小区", "No such estate"))?;
        return match state.store.governance().doc("estate", id).await? {
            Some(d) => decode(&d),
            None => Err(Failure::invalid("unknown_estate", "estate", "没有这个小区", "No such estate")),
        };
    }
    let estates = all_estates(state).await?;
    match location {
        Location::Point { lat, lon } => nearest_estate(&estates, *lat, *lon, state.config.governance.estate_radius_m).cloned().ok_or_else(|| {
            Failure::invalid(
                "no_estate_here",
                "lat",
                format!("该位置 {} 米内没有已登记的小区；小区外的问题请拨打 12345", state.config.governance.estate_radius_m),
                format!("No registered estate within {} m of this point; report problems outside estates to 12345", state.config.governance.estate_radius_m),
            )
        }),
        Location::Address { .. } => {
            let mine: Vec<i64> = state.store.governance().parts_of(reporter).await?.into_iter().filter(|(_, p)| p == "owner").map(|(e, _)| e).collect();
            match mine.as_slice() {
                [one] => estates.iter().find(|e| e.id.0 as i64 == *one).cloned().ok_or_else(no_estate),
                _ => Err(Failure::invalid("location_needed", "lat", "请提供位置坐标（lat、long）或选择小区", "Give the location (lat and long) or choose the estate")),
            }
        }
    }
}

/// What a report becomes: the issue, saved with its notices (noise complaints matched to
/// permits first).
pub async fn report_checked(state: &AppState, reporter: i64, chosen: Option<&str>, checked: CheckedRequest) -> Fallible<(Issue, Estate)> {
    let estate = estate_for(state, reporter, chosen, &checked.location).await?;
    let (lat, lon) = match checked.location {
        Location::Point { lat, lon } => (lat, lon),
        Location::Address { .. } => (estate.lat, estate.lon),
    };
    let new = NewIssue {
        category: checked.service_code,
        estate: estate.id,
        reporter: ActorId(reporter as u64),
        description: checked.description,
        lat,
        lon,
        address: checked.address,
        media_url: checked.media_url,
        attributes: checked.attributes,
    };
    let now = state.now();
    let id = IssueId(state.parts.ids.next() as u64);
    let (mut issue, mut notices) = Issue::report(id, new, &estate, &rules().routing, now).map_err(|e| engine_error(&e))?;
    if rules().routing.category(&issue.category).is_ok_and(|c| c.permit) {
        let permits = permits_near(state, issue.lat, issue.lon).await?;
        let (_, more) = governance::permits::link_complaint(&mut issue, &permits, &rules().routing, now).map_err(|e| engine_error(&e))?;
        notices.extend(more);
    }
    let complaints = issue.permits.iter().map(|p| (p.0 as i64, issue.id.0 as i64)).collect();
    let change = GovChange { docs: vec![issue_doc(&issue, &estate, None)?], notices: notices_of(state, &issue, &estate, &notices), complaints, ..Default::default() };
    if !state.store.governance().save(&change, now).await? {
        return Err(changed_meanwhile());
    }
    Ok((issue, estate))
}

/// A resident reports an issue from the pages or the JSON API.
pub async fn report(state: &AppState, p: &Principal, body: ReportBody) -> Fallible<IssueView> {
    if p.account.kind != store::AccountKind::Citizen {
        return Err(Failure::Forbidden { code: "residents_only", zh: "只有居民可以报告小区诉求".into(), en: "Only residents report issues".into(), field: None });
    }
    // A resident who chose the estate and gave no point reports at the estate.
    let (mut lat, mut long) = (body.lat, body.long);
    if lat.is_none() && long.is_none() && body.address_string.is_none()
        && let Some(e) = body.estate.as_deref().map(str::trim).filter(|s| !s.is_empty())
    {
        let id = e.parse::<i64>().map_err(|_| Failure::invalid("unknown_estate", "estate", "没有这个小区", "No such estate"))?;
        let d = state.store.governance().doc("estate", id).await?.ok_or_else(|| Failure::invalid("unknown_estate", "estate", "没有这个小区", "No such estate"))?;
        let e: Estate = decode(&d)?;
        (lat, long) = (Some(e.lat), Some(e.lon));
    }
    let raw = RawRequest {
        service_code: Some(body.service_code),
        lat: lat.map(|v| v.to_string()),
        long: long.map(|v| v.to_string()),
        address_string: body.address_string,
        description: body.description,
        media_url: body.media_url,
        attributes: body.attributes,
        ..Default::default()
    };
    let checked = check(state, &raw)?;
    let (issue, estate) = report_checked(state, p.id().0, body.estate.as_deref(), checked).await?;
    Ok(issue_view(Some(p), &issue, &estate))
}

/// Checks a request as Open311 does (the same for every front end).
pub fn check(state: &AppState, raw: &RawRequest) -> Fallible<CheckedRequest> {
    governance::open311::check_request(raw, &rules().routing, &state.config.governance.bounds()).map_err(|e| engine_error(&e))
}

/// One issue: anyone may read it (Open311 requests are public; the reporter is never named).
pub async fn issue(state: &AppState, p: Option<&Principal>, id: &str) -> Fallible<IssueView> {
    let (issue, estate) = load_issue(state, parse_num(id, no_issue)?).await?;
    Ok(issue_view(p, &issue.value, &estate.value))
}

fn page_of(limit: Option<i64>, offset: Option<i64>) -> Fallible<Page> {
    let limit = limit.unwrap_or(50);
    let offset = offset.unwrap_or(0);
    if !(1..=200).contains(&limit) {
        return Err(Failure::invalid("bad_limit", "limit", "limit 须为 1～200", "limit must be 1–200"));
    }
    if !(0..=1_000_000).contains(&offset) {
        return Err(Failure::invalid("bad_offset", "offset", "offset 须为 0～1000000", "offset must be 0–1,000,000"));
    }
    Ok(Page::new(limit, offset))
}

async fn issues_page(state: &AppState, p: Option<&Principal>, f: GovFilter, page: Page) -> Fallible<IssuesView> {
    let (docs, total) = state.store.governance().list("issue", &f, page).await?;
    let mut estates: BTreeMap<i64, Estate> = BTreeMap::new();
    let mut out = Vec::new();
    for d in &docs {
        let issue: Issue = decode(d)?;
        let key = issue.estate.0 as i64;
        if !estates.contains_key(&key) {
            estates.insert(key, estate_of(state, key).await?);
        }
        if let Some(e) = estates.get(&key) {
            out.push(issue_view(p, &issue, e));
        }
    }
    Ok(IssuesView { issues: out, total, limit: page.limit, offset: page.offset })
}

/// An estate's issues (open ones, or all), newest first: public, as the estate's notice board.
pub async fn issues(state: &AppState, p: Option<&Principal>, q: IssueQuery) -> Fallible<IssuesView> {
    let page = page_of(q.limit, q.offset)?;
    let estate = match q.estate.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(e) => Some(parse_num(e, no_estate)?),
        None => None,
    };
    issues_page(state, p, GovFilter { parent: estate, open: q.open, ..Default::default() }, page).await
}

/// The resident's own reports.
pub async fn mine(state: &AppState, p: &Principal, q: IssueQuery) -> Fallible<IssuesView> {
    let page = page_of(q.limit, q.offset)?;
    issues_page(state, Some(p), GovFilter { actor: Some(p.id().0), open: q.open, by_created: true, ..Default::default() }, page).await
}

/// What the caller must act on now: their estates' parties' issues at the estate level, their
/// community's or street's, their department's at the district level.
pub async fn queue(state: &AppState, p: &Principal, q: IssueQuery) -> Fallible<IssuesView> {
    let page = page_of(q.limit, q.offset)?;
    let mut queues: Vec<String> = Vec::new();
    for (estate, part) in state.store.governance().parts_of(p.id().0).await? {
        if part != "owner" {
            queues.push(format!("estate:{estate}"));
        }
    }
    if p.has(catalog::Role::CommunityWorker)
        && let Some(d) = p.account.division.as_deref()
    {
        queues.push(format!("community:{d}"));
        queues.push(format!("street:{d}"));
    }
    if let Some(d) = p.department()
        && rules().routing.departments.contains_key(d)
    {
        queues.push(format!("dept:{d}"));
    }
    queues.sort();
    queues.dedup();
    if queues.is_empty() {
        return Ok(IssuesView { issues: Vec::new(), total: 0, limit: page.limit, offset: page.offset });
    }
    let mut view = issues_page(state, Some(p), GovFilter { queues: Some(queues), open: Some(q.open.unwrap_or(true)), ..Default::default() }, page).await?;
    // An estate's queue holds every party's issues: show those this caller answers for.
    let before = view.issues.len();
    view.issues.retain(|i| !i.can.is_empty() || q.open == Some(false));
    view.total -= (before - view.issues.len()) as i64;
    Ok(view)
}

async fn logins_to_actors(state: &AppState, logins: &[String]) -> Fallible<Vec<ActorId>> {
    let mut out = Vec::new();
    for (i, l) in logins.iter().enumerate() {
        out.push(ActorId(account_of_login(state, l, &format!("signatories[{i}]")).await? as u64));
    }
    Ok(out)
}

/// Someone acts on an issue: as the part they play that is responsible now (or the one they name).
pub async fn act(state: &AppState, p: &Principal, id: &str, body: IssueActionBody) -> Fallible<IssueView> {
    let (stored, estate) = load_issue(state, parse_num(id, no_issue)?).await?;
    let mut issue = stored.value;
    let estate = estate.value;
    let text = body.text.clone().unwrap_or_default();
    let action = match body.action.as_str() {
        "accept" => Action::Accept,
        "agree" => Action::Agree { plan: text },
        "resolve" => Action::Resolve { note: text },
        "confirm" => Action::Confirm,
        "reopen" => Action::Reopen { reason: text },
        "decline" => Action::Decline { reason: text },
        "escalate" => Action::Escalate { reason: text },
        "start_mediation" => Action::StartMediation,
        "record_agreement" => Action::RecordAgreement { text, signatories: logins_to_actors(state, &body.signatories).await? },
        "note" => Action::Note { text },
        other => return Err(Failure::invalid("unknown_action", "action", format!("没有操作「{other}」"), format!("No action {other:?}"))),
    };
    let me = ActorId(p.id().0 as u64);
    let roles = roles_for(p, &estate);
    let role = match body.as_.as_deref() {
        Some(code) => roles.iter().find(|r| role_code(r) == code).cloned().ok_or_else(|| {
            Failure::Forbidden { code: "not_your_part", zh: format!("您在该小区不担任「{code}」"), en: format!("You do not act as {code} in this estate"), field: Some("as".into()) }
        })?,
        None if matches!(action, Action::Confirm | Action::Reopen { .. }) => Role::Resident,
        None => roles.iter().find(|r| issue.is_responsible(&Actor { id: me, role: (*r).clone() }, &estate)).cloned().unwrap_or(Role::Resident),
    };
    let now = state.now();
    let notices = governance::apply(&mut issue, &estate, &rules().routing, &Actor { id: me, role }, action, now).map_err(|e| engine_error(&e))?;
    let change = GovChange { docs: vec![issue_doc(&issue, &estate, Some(&stored.doc))?], notices: notices_of(state, &issue, &estate, &notices), ..Default::default() };
    if !state.store.governance().save(&change, now).await? {
        return Err(changed_meanwhile());
    }
    Ok(issue_view(Some(p), &issue, &estate))
}

/// The leading server's duty: overdue issues escalate, resolved ones the reporter left alone are
/// confirmed, and certificates issued since the last look become permits pushed to their
/// supervisors.
pub async fn duty(state: &AppState) {
    let now = state.now();
    match state.store.governance().due("issue", now, 500).await {
        Ok(due) => {
            for d in due {
                if let Err(e) = tick_one(state, &d, now).await {
                    tracing::warn!(error = ?e, issue = d.id, "governance: escalating an issue");
                }
            }
        }
        Err(e) => tracing::warn!(error = %e, "governance: reading overdue issues"),
    }
    if let Err(e) = take_certificates(state).await {
        tracing::warn!(error = ?e, "governance: reading issued night-construction certificates");
    }
}

async fn tick_one(state: &AppState, d: &GovDoc, now: DateTime<Utc>) -> Fallible<()> {
    let mut issue: Issue = decode(d)?;
    let estate = load_estate(state, issue.estate.0 as i64).await?.value;
    let notices = governance::tick(&mut issue, &rules().routing, now);
    let doc = issue_doc(&issue, &estate, Some(d))?;
    if doc.doc == d.doc && doc.due_at == d.due_at {
        return Ok(());
    }
    let change = GovChange { docs: vec![doc], notices: notices_of(state, &issue, &estate, &notices), ..Default::default() };
    // Another server's change first: the next tick sees it.
    state.store.governance().save(&change, now).await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Night-construction permits (A10).

/// A permit as stored: the engine's permit when the site's place is known, and what was pushed.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct PermitRecord {
    pub record: i64,
    pub holder: String,
    pub enterprise: String,
    pub site_name: String,
    pub application: String,
    pub permit: Option<Permit>,
    pub supervisors: Vec<String>,
}

fn form_text(form: &serde_json::Value, key: &str) -> Option<String> {
    match form.get(key)? {
        serde_json::Value::String(s) => Some(s.trim().to_owned()).filter(|s| !s.is_empty()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn form_time(form: &serde_json::Value, key: &str) -> Option<DateTime<Utc>> {
    let s = form_text(form, key)?;
    if let Ok(t) = DateTime::parse_from_rfc3339(&s) {
        return Some(t.with_timezone(&Utc));
    }
    let naive = chrono::NaiveDateTime::parse_from_str(&s, "%Y-%m-%dT%H:%M").or_else(|_| chrono::NaiveDateTime::parse_from_str(&s, "%Y-%m-%dT%H:%M:%S")).ok()?;
    let offset = chrono::FixedOffset::east_opt(8 * 3600)?;
    naive.and_local_timezone(offset).single().map(|t| t.with_timezone(&Utc))
}

/// The nightly windows of a certificate's period: each night from the start's time of day to the
/// end's, from the start's date to the end's (one window when the period is at most a day).
pub fn nightly_windows(start: DateTime<Utc>, end: DateTime<Utc>) -> Vec<Window> {
    if end <= start {
        return Vec::new();
    }
    if end - start <= chrono::Duration::hours(24) {
        return vec![Window { from: start, until: end }];
    }
    let first_len = {
        let s = domain::china_time(start).time();
        let e = domain::china_time(end).time();
        let d = e - s;
        if d <= chrono::Duration::zero() { d + chrono::Duration::hours(24) } else { d }
    };
    let mut out = Vec::new();
    let mut from = start;
    while from + first_len <= end + chrono::Duration::seconds(1) && out.len() < 400 {
        out.push(Window { from, until: from + first_len });
        from += chrono::Duration::hours(24);
    }
    out
}

/// Makes permits of the certificates issued since the mark and pushes each to its supervisors.
async fn take_certificates(state: &AppState) -> Fallible<()> {
    let g = state.store.governance();
    let since = match g.watermark("certificates").await? {
        Some(t) => store::codec::parse_ts(&t).map_err(Failure::internal)?,
        None => DateTime::<Utc>::UNIX_EPOCH,
    };
    // A little behind the mark: a certificate committed by another server just before it.
    let rows = g.records_issued_since(NIGHT_CERTIFICATE, since - chrono::Duration::seconds(10), 200).await?;
    let mut newest = since;
    for (record, subject, issued_at, _valid_until, data) in rows {
        newest = newest.max(issued_at);
        if g.doc("permit", record).await?.is_some() {
            continue;
        }
        let data: serde_json::Value = serde_json::from_str(&data).unwrap_or_default();
        permit_from_certificate(state, record, &subject, issued_at, &data).await?;
    }
    if newest > since {
        g.set_watermark("certificates", &store::codec::ts(newest)).await?;
    }
    Ok(())
}

/// Makes the permit of one issued certificate and pushes it (once: the permit's id is the
/// record's).
pub async fn permit_from_certificate(state: &AppState, record: i64, subject: &str, issued_at: DateTime<Utc>, data: &serde_json::Value) -> Fallible<()> {
    let form = data.get("form").cloned().unwrap_or_default();
    let site_name = form_text(&form, "project_name").unwrap_or_else(|| "夜间施工".into());
    let start = form_time(&form, "work_start");
    let end = form_time(&form, "work_end");
    let point = form_text(&form, "site_lat").and_then(|a| a.parse::<f64>().ok()).zip(form_text(&form, "site_lon").and_then(|b| b.parse::<f64>().ok()));
    let supervisors: Vec<String> = PERMIT_SUPERVISORS.iter().map(|s| (*s).to_owned()).collect();
    let permit = match (point, start, end) {
        (Some((lat, lon)), Some(s), Some(e)) => {
            let p = Permit {
                id: governance::estate::PermitId(record as u64),
                site_name: site_name.clone(),
                enterprise: subject.to_owned(),
                site: Site::Circle { lat, lon, radius_m: PERMIT_RADIUS_M },
                windows: nightly_windows(s, e),
                supervisors: supervisors.clone(),
                revoked: false,
            };
            p.check().ok().map(|_| p)
        }
        _ => None,
    };
    let rec = PermitRecord {
        record,
        holder: data.get("holder").and_then(|h| h.as_str()).unwrap_or_default().to_owned(),
        enterprise: subject.to_owned(),
        site_name: site_name.clone(),
        application: data.get("application").and_then(|h| h.as_str()).unwrap_or_default().to_owned(),
        permit: permit.clone(),
        supervisors: supervisors.clone(),
    };
    let (community, town) = match point {
        Some((lat, lon)) => match nearest_estate(&all_estates(state).await?, lat, lon, 5_000.0) {
            Some(e) => (Some(e.community.clone()), Some(e.town.clone())),
            None => (None, None),
        },
        None => (None, None),
    };
    let until = permit.as_ref().and_then(|p| p.windows.iter().map(|w| w.until).max());
    let doc = GovDoc {
        kind: "permit".into(),
        id: record,
        parent: None,
        community,
        town,
        state: Some(if permit.is_some() { "located" } else { "no_site" }.into()),
        open: false,
        actor: None,
        queue: None,
        created_at: issued_at,
        updated_at: issued_at,
        due_at: until,
        closed_at: None,
        year: None,
        n: None,
        doc: encode(&rec)?,
        version: 1,
    };
    let pushes = match &permit {
        Some(p) => governance::permits::push(p).into_iter().map(|x| (record, x.department)).collect(),
        None => supervisors.iter().map(|d| (record, d.clone())).collect::<Vec<_>>(),
    };
    let notices = pushes
        .iter()
        .map(|(_, d)| {
            (
                state.parts.ids.next(),
                format!("dept:{d}:clerk"),
                "governance_permit_pushed".to_owned(),
                format!("夜间施工证明已推送：{site_name}（{}），请纳入监管；证明编号 {record}", rec.holder),
                format!("A night-construction certificate was pushed to you for supervision: {site_name}, no. {record}"),
            )
        })
        .collect();
    let change = GovChange { docs: vec![doc], pushes, notices, ..Default::default() };
    // A permit another server made first stays as it is.
    state.store.governance().save(&change, state.now()).await?;
    Ok(())
}

/// The located permits whose site could cover a point (those valid within the last 40 days).
async fn permits_near(state: &AppState, lat: f64, lon: f64) -> Fallible<Vec<Permit>> {
    let since = state.now() - chrono::Duration::days(40);
    let f = GovFilter { state: Some("located".into()), created_from: Some(since), ..Default::default() };
    let docs = state.store.governance().all("permit", &f).await?;
    let mut out = Vec::new();
    for d in &docs {
        let rec: PermitRecord = decode(d)?;
        if let Some(p) = rec.permit
            && p.site.covers(lat, lon)
        {
            out.push(p);
        }
    }
    Ok(out)
}

pub(super) async fn permit_view(state: &AppState, d: &GovDoc) -> Fallible<PermitView> {
    let rec: PermitRecord = decode(d)?;
    let pushes = state.store.governance().pushes_of(d.id).await?;
    let complaints = state.store.governance().complaints_of(d.id).await?;
    let (lat, lon, radius) = match rec.permit.as_ref().map(|p| &p.site) {
        Some(Site::Circle { lat, lon, radius_m }) => (Some(*lat), Some(*lon), Some(*radius_m)),
        _ => (None, None, None),
    };
    Ok(PermitView {
        id: d.id.to_string(),
        site_name: rec.site_name,
        enterprise: rec.enterprise,
        holder: rec.holder,
        lat,
        lon,
        radius_m: radius,
        windows: rec
            .permit
            .as_ref()
            .map(|p| p.windows.iter().map(|w| format!("{} — {}", domain::china_time(w.from).format("%Y-%m-%d %H:%M"), domain::china_time(w.until).format("%Y-%m-%d %H:%M"))).collect())
            .unwrap_or_default(),
        supervisors: rec.supervisors.iter().map(|s| rules().routing.department_name(s).to_owned()).collect(),
        pushed_to: pushes.iter().map(|(dept, _)| rules().routing.department_name(dept).to_owned()).collect(),
        pushed_at: pushes.first().map(|(_, t)| china(*t)).unwrap_or_default(),
        complaints,
        application: rec.application,
    })
}

/// The permits pushed to the caller's department (the administrator: every permit), newest first.
pub async fn permits(state: &AppState, p: &Principal, q: IssueQuery) -> Fallible<Vec<PermitView>> {
    let page = page_of(q.limit, q.offset)?;
    let g = state.store.governance();
    let docs: Vec<GovDoc> = if p.is_admin() {
        g.list("permit", &GovFilter { by_created: true, ..Default::default() }, page).await?.0
    } else {
        let d = p.department().ok_or_else(|| Failure::forbidden("只有监管部门可以查看推送的证明", "Only supervising departments see pushed permits"))?;
        let ids: Vec<i64> = g.pushed_to(d, page).await?.into_iter().map(|(id, _)| id).collect();
        let mut docs = g.docs("permit", &ids).await?;
        docs.sort_by(|a, b| b.created_at.cmp(&a.created_at));
        docs
    };
    let mut out = Vec::new();
    for d in &docs {
        out.push(permit_view(state, d).await?);
    }
    Ok(out)
}

/// Today in China.
pub(super) fn today(state: &AppState) -> chrono::NaiveDate {
    china_date(state.now())
}

impl crate::config::GovernanceConfig {
    /// The district's bounds as the engine takes them.
    pub fn bounds(&self) -> Bounds {
        Bounds { min_lat: self.bounds[0], min_lon: self.bounds[1], max_lat: self.bounds[2], max_lon: self.bounds[3] }
    }

    /// Whether a point is inside the district.
    pub fn bounds_contain(&self, lat: f64, lon: f64) -> bool {
        lat.is_finite() && lon.is_finite() && self.bounds().contains(lat, lon)
    }
}
