//! The community governance pages over HTTP (issue 33), as real users: a resident reports a
//! problem in their estate (a form with errors is sent back with each next to its field and
//! nothing stored), the property manager finds it in their queue, accepts and resolves it, the
//! reporter confirms it; a declined issue says who declined it and why; anyone reads an estate's
//! parties, open issues, funds and meetings; an owner votes at an owners' assembly and reads the
//! tally; the projects list shows where each project is; an expense of the estate's public funds
//! is reviewed at three levels and paid from the queue, each by someone else. The estate, the
//! meeting, the project and the expense application are seeded through the area's use cases.

use reqwest::StatusCode;
use server::areas::governance::cases;
use server::areas::governance::civic;
use server::areas::governance::views::EstateBody;
use server::areas::governance::views::ExpenseBody;
use server::areas::governance::views::IncomeBody;
use server::areas::governance::views::LineBody;
use server::areas::governance::views::MeetingActionBody;
use server::areas::governance::views::MeetingBody;
use server::areas::governance::views::MilestoneBody;
use server::areas::governance::views::OwnerBody;
use server::areas::governance::views::PartyBody;
use server::areas::governance::views::ProjectBody;
use server::areas::governance::views::ReceiptBody;
use server::areas::governance::views::UnitBody;
use server::areas::onething::cases::store_upload;
use server::auth::Principal;

use crate::helpers::Client;
use crate::helpers::TestWeb;

/// The test estate's number (the demo's estates, when seeded, are 1–3).
const ESTATE: u64 = 9001;
const ESTATE_NAME: &str = "测试花园";

async fn signed_in(t: &TestWeb, login: &str) -> Client {
    let c = t.client();
    c.login(login).await;
    c
}

async fn principal(t: &TestWeb, login: &str) -> Principal {
    let (account, _) = t.state.store.identity().account_for_login(login).await.expect("query").expect("an account");
    Principal { account, token_hash: String::new() }
}

/// The people of the test estate (logins).
pub struct People {
    /// The reporter, an owner (the demo resident).
    pub resident: String,
    /// Another owner, on the committee.
    pub committee: String,
    /// A second member of the committee (no owner).
    pub treasurer: String,
    /// The property manager's member (not an owner).
    pub manager: String,
    /// The estate's community.
    pub community: String,
}

/// Registers the test estate (as the administrator) in the demo resident's community.
pub async fn seed_estate(t: &TestWeb) -> People {
    let resident = t.citizen().await;
    let person = t.state.store.registers().person_by_id_number(&resident).await.expect("query").expect("the resident");
    let community = person.division.clone();
    assert_eq!(community.len(), 12, "a community code: {community}");
    let others: Vec<String> = t.state.store.registers().bench_citizens(50).await.expect("citizens").into_iter().filter(|l| *l != resident).collect();
    let (committee, manager, treasurer) = (others[0].clone(), others[1].clone(), others[2].clone());
    let owner = |login: &str, unit: &str| OwnerBody { login: login.to_owned(), units: vec![UnitBody { number: unit.to_owned(), area_m2: "89.50".to_owned() }] };
    let body = EstateBody {
        id: ESTATE,
        name: ESTATE_NAME.to_owned(),
        community: community.clone(),
        lat: 30.05,
        lon: 119.956,
        party_branch: None,
        committee_kind: "owners_committee".to_owned(),
        committee: PartyBody { name: "测试花园业主委员会".to_owned(), members: vec![committee.clone(), treasurer.clone()] },
        property_company: Some(PartyBody { name: "测试物业有限公司".to_owned(), members: vec![manager.clone()] }),
        worker: None,
        helpers: Default::default(),
        owners: vec![owner(&resident, "1-1-101"), owner(&committee, "1-1-102")],
    };
    cases::save_estate(&t.state, &principal(t, "admin").await, body).await.expect("the estate is registered");
    People { resident, committee, treasurer, manager, community }
}

fn meeting_action(action: &str) -> MeetingActionBody {
    MeetingActionBody { action: action.into(), title: None, matter: None, issues: Vec::new(), item: None, choice: None, text: None, reason: None }
}

/// An owners' assembly of the test estate, convened and opened by the committee with one item
/// (settling `issues`): its id.
pub async fn seed_meeting(t: &TestWeb, people: &People, issues: &[String]) -> String {
    let chair = principal(t, &people.committee).await;
    let meeting = civic::create_meeting(&t.state, &chair, &ESTATE.to_string(), MeetingBody { kind: "owners_assembly".into(), title: "2026 年第一次业主大会".into() }).await.expect("meeting");
    let propose = MeetingActionBody { title: Some("改造北门照明".into()), matter: Some("common_parts".into()), issues: issues.to_vec(), ..meeting_action("propose") };
    civic::meeting_act(&t.state, &chair, &meeting.id, propose).await.expect("propose");
    civic::meeting_act(&t.state, &chair, &meeting.id, meeting_action("open")).await.expect("open");
    meeting.id
}

/// The id of the issue a redirect after a report or an action goes to.
fn issue_of(location: Option<&str>) -> String {
    let l = location.expect("a redirect");
    l.strip_prefix("/governance/issues/").and_then(|r| r.split('?').next()).expect("an issue page").to_owned()
}

#[tokio::test]
async fn a_resident_reports_the_manager_resolves_and_the_resident_confirms() {
    let t = TestWeb::spawn(0).await;
    let people = seed_estate(&t).await;
    let c = signed_in(&t, &people.resident).await;
    let page = c.get("/governance").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("<h1>社区治理</h1>") && page.body.contains(ESTATE_NAME), "{}", page.body);
    assert!(page.body.contains("href=\"/governance\" aria-current=\"page\""), "in the resident's navigation");
    assert!(page.body.contains("name=\"attribute[heard_at]\"") && page.body.contains("name=\"attribute[lamp_number]\""), "the categories' attributes");
    assert!(page.body.contains("您还没有反映过问题"), "no reports yet");
    let csrf = page.csrf();

    // Nothing chosen nor described: each error next to its field, nothing stored.
    let r = c.post("/governance/report", &[("_csrf", &csrf), ("service_code", ""), ("estate", "9001"), ("description", " "), ("lat", "north")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    for f in ["service_code", "description", "lat"] {
        assert!(r.body.contains(&format!("id=\"f-{f}-error\"")) && r.body.contains(&format!("href=\"#f-{f}\"")), "{f} next to its field and in the summary: {}", r.body);
    }
    assert!(r.body.contains("<h1>社区治理</h1>") && r.body.contains("value=\"north\""), "the page itself, with what was typed");
    // A noise complaint without the time it was heard: the use case's error next to the attribute.
    let r = c.post("/governance/report", &[("_csrf", &csrf), ("service_code", "night_construction_noise"), ("estate", "9001"), ("description", "半夜还在施工")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("id=\"f-attribute-heard_at--error\""), "{}", r.body);
    assert!(r.body.contains("value=\"night_construction_noise\" selected"), "the choice is kept");
    // Outside the district.
    let r = c.post("/governance/report", &[("_csrf", &csrf), ("service_code", "street_lamp"), ("description", "路灯不亮"), ("lat", "39.9"), ("long", "116.4")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("id=\"f-lat-error\""), "{}", r.body);
    let mine = cases::mine(&t.state, &principal(&t, &people.resident).await, Default::default()).await.expect("mine");
    assert_eq!(mine.total, 0, "nothing stored");

    // A real one.
    let r = c
        .post("/governance/report", &[("_csrf", &csrf), ("service_code", "street_lamp"), ("estate", "9001"), ("description", "3 幢门口的路灯坏了一周"), ("attribute[lamp_number]", "L-12"), ("attribute[heard_at]", "")])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let id = issue_of(r.location.as_deref());
    let page = c.get(&format!("/governance/issues/{id}?done=reported")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("问题已提交") && page.body.contains("3 幢门口的路灯坏了一周") && page.body.contains("L-12"), "{}", page.body);
    assert!(page.body.contains("待接单") && page.body.contains("测试物业有限公司") && page.body.contains("提交诉求"), "state, who is responsible, the history: {}", page.body);
    assert!(page.body.contains("<td>派单</td><td>待接单</td><td>物业服务企业</td>") && page.body.contains("灯杆编号（如有）"), "the routing step and the attribute in words: {}", page.body);
    assert!(page.body.contains("目前没有需要您办理的事项"), "the reporter has nothing to do yet");
    let home = c.get("/governance").await;
    assert!(home.body.contains(&format!("href=\"/governance/issues/{id}\"")), "listed among my reports");

    // Anyone may read it, and is asked to sign in to act.
    let anon = t.client().get(&format!("/governance/issues/{id}")).await;
    assert_eq!(anon.status, StatusCode::OK, "{}", anon.body);
    assert!(anon.body.contains("登录后办理或确认") && !anon.body.contains("/act\""), "no form for a visitor");
    assert!(!anon.body.contains(&people.resident), "the reporter is never named");

    // The property manager: in the queue, accepts, cannot resolve without saying what was done.
    let m = signed_in(&t, &people.manager).await;
    let q = m.get("/governance/queue").await;
    assert_eq!(q.status, StatusCode::OK, "{}", q.body);
    assert!(q.body.contains(&format!("href=\"/governance/issues/{id}\"")) && q.body.contains("接单"), "{}", q.body);
    let page = m.get(&format!("/governance/issues/{id}")).await;
    assert!(page.body.contains("name=\"action\" value=\"accept\""), "{}", page.body);
    let act = format!("/governance/issues/{id}/act");
    let csrf = page.csrf();
    let r = m.post(&act, &[("_csrf", &csrf), ("action", "accept"), ("text", "")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = m.post(&act, &[("_csrf", &csrf), ("action", "resolve"), ("text", "")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("id=\"f-text-error\"") && r.body.contains("href=\"#f-text\""), "{}", r.body);
    let r = m.post(&act, &[("_csrf", &csrf), ("action", "resolve"), ("text", "已更换灯泡")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    // Acting again on what is no longer theirs to do: refused on the page.
    let r = m.post(&act, &[("_csrf", &csrf), ("action", "accept")]).await;
    assert!(r.status.is_client_error(), "{} {}", r.status, r.body);
    assert!(r.body.contains("error-summary"), "{}", r.body);

    // The reporter: confirm or re-open; a re-opening needs a reason.
    let page = c.get(&format!("/governance/issues/{id}")).await;
    assert!(page.body.contains("value=\"confirm\"") && page.body.contains("value=\"reopen\"") && page.body.contains("已更换灯泡"), "{}", page.body);
    let csrf = page.csrf();
    let r = c.post(&act, &[("_csrf", &csrf), ("action", "reopen"), ("text", "")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("id=\"f-text-error\""), "{}", r.body);
    let r = c.post(&act, &[("_csrf", &csrf), ("action", "confirm")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = c.get(&format!("/governance/issues/{id}")).await;
    assert!(page.body.contains("已解决") && page.body.contains("确认解决") && page.body.contains("办结"), "{}", page.body);
    // A form without its token is refused.
    let r = c.post(&act, &[("action", "reopen"), ("text", "x")]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    // In English.
    c.get("/prefs/lang/en?back=/").await;
    let page = c.get("/governance").await;
    assert!(page.body.contains("<h1>Community governance</h1>") && page.body.contains("Report a problem") && page.body.contains("Settled"), "{}", page.body);
    let page = c.get(&format!("/governance/issues/{id}")).await;
    assert!(page.body.contains("History") && page.body.contains("Confirmed settled"), "{}", page.body);
    t.shutdown().await;
}

#[tokio::test]
async fn an_estate_shows_declines_funds_and_meetings_and_an_owner_votes() {
    let t = TestWeb::spawn(0).await;
    let people = seed_estate(&t).await;
    let c = signed_in(&t, &people.resident).await;
    let csrf = c.get("/governance").await.csrf();
    let r = c.post("/governance/report", &[("_csrf", &csrf), ("service_code", "sanitation"), ("estate", "9001"), ("description", "楼道堆满杂物")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let declined = issue_of(r.location.as_deref());
    let r = c.post("/governance/report", &[("_csrf", &csrf), ("service_code", "street_lamp"), ("estate", "9001"), ("description", "小区北门路灯闪烁")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let open = issue_of(r.location.as_deref());

    // The manager declines one, saying why; everyone reads who and why.
    let m = signed_in(&t, &people.manager).await;
    let page = m.get(&format!("/governance/issues/{declined}")).await;
    let r = m.post(&format!("/governance/issues/{declined}/act"), &[("_csrf", &page.csrf()), ("action", "decline"), ("text", "杂物属业主个人物品，请业主自行清理")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = t.client().get(&format!("/governance/issues/{declined}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("h-gv-declined") && page.body.contains("杂物属业主个人物品") && page.body.contains("测试物业有限公司"), "{}", page.body);

    // An owners' assembly with one item, opened by the committee.
    let meeting = seed_meeting(&t, &people, std::slice::from_ref(&open)).await;
    let chair = principal(&t, &people.committee).await;

    // Public income recorded by the manager, a budget line added by the committee.
    let income = IncomeBody { source: "advertising".into(), amount: "1200.50".into(), date: "2026-03-01".into(), note: "电梯广告 3 月".into() };
    civic::record_income(&t.state, &principal(&t, &people.manager).await, &ESTATE.to_string(), income).await.expect("income");
    civic::add_line(&t.state, &chair, &ESTATE.to_string(), LineBody { year: 2026, name: "公共照明维修".into(), amount: "2000".into() }).await.expect("line");

    // The estate's public page.
    let anon = t.client();
    let page = anon.get(&format!("/governance/estates/{ESTATE}")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains(&format!("<h1>{ESTATE_NAME}</h1>")) && page.body.contains("测试花园业主委员会") && page.body.contains("测试物业有限公司"), "the parties: {}", page.body);
    assert!(page.body.contains(&format!("href=\"/governance/issues/{open}\"")) && !page.body.contains(&format!("href=\"/governance/issues/{declined}\"")), "open issues only");
    assert!(page.body.contains("公共收益") && page.body.contains("年初余额") && page.body.contains("¥1,200.50"), "the funds: {}", page.body);
    assert!(page.body.contains("广告收益") && page.body.contains("电梯广告 3 月") && page.body.contains("公共照明维修") && page.body.contains("¥2,000.00"), "the ledger and the lines: {}", page.body);
    let page = anon.get(&format!("/governance/estates/{ESTATE}?year=2025")).await;
    assert!(page.status == StatusCode::OK && page.body.contains("该年没有收支记录"), "another year: {}", page.body);
    assert!(page.body.contains(&format!("href=\"/governance/meetings/{}\"", meeting)) && page.body.contains("2026 年第一次业主大会"), "the meetings");
    let r = anon.get(&format!("/governance/estates/{ESTATE}?year=abc")).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("id=\"f-year-error\""), "{}", r.body);
    let r = anon.get(&format!("/governance/estates/{ESTATE}?year=1900")).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("id=\"f-year-error\""), "{}", r.body);
    assert_eq!(anon.get("/governance/estates/424242").await.status, StatusCode::NOT_FOUND);
    assert_eq!(anon.get("/governance/issues/424242").await.status, StatusCode::NOT_FOUND);

    // The meeting: a visitor reads it; the owner votes (a vote without a choice is sent back).
    let path = format!("/governance/meetings/{}", meeting);
    let page = anon.get(&path).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("改造北门照明") && page.body.contains("登录后出席和表决") && !page.body.contains("value=\"vote\""), "{}", page.body);
    let page = c.get(&path).await;
    assert!(page.body.contains("name=\"choice-1\"") && page.body.contains(&format!("href=\"/governance/issues/{open}\"")), "{}", page.body);
    let csrf = page.csrf();
    let r = c.post(&format!("{path}/act"), &[("_csrf", &csrf), ("action", "attend")]).await;
    assert_eq!((r.status, r.location.as_deref()), (StatusCode::SEE_OTHER, Some(format!("{path}?done=attended").as_str())), "{}", r.body);
    let page = c.get(&format!("{path}?done=attended")).await;
    assert!(page.body.contains("已登记出席") && page.body.contains("<span class=\"num\">1</span><span class=\"lbl\">出席人数</span>"), "{}", page.body);
    let r = c.post(&format!("{path}/act"), &[("_csrf", &csrf), ("action", "vote"), ("item", "1")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains("id=\"f-choice-1-error\""), "{}", r.body);
    let r = c.post(&format!("{path}/act"), &[("_csrf", &csrf), ("action", "vote"), ("item", "1"), ("choice-1", "for")]).await;
    assert_eq!((r.status, r.location.as_deref()), (StatusCode::SEE_OTHER, Some(format!("{path}?done=voted").as_str())), "{}", r.body);
    let page = c.get(&format!("{path}?done=voted")).await;
    assert!(page.body.contains("您的表决已记录") && page.body.contains("我的表决：") && !page.body.contains("name=\"choice-1\""), "{}", page.body);
    // Twice: refused.
    let r = c.post(&format!("{path}/act"), &[("_csrf", &csrf), ("action", "vote"), ("item", "1"), ("choice-1", "against")]).await;
    assert!(r.status.is_client_error(), "{}", r.status);
    // The manager is no owner: no vote form, and a vote is refused on the page.
    let page = m.get(&path).await;
    assert!(!page.body.contains("name=\"choice-1\""), "{}", page.body);
    let r = m.post(&format!("{path}/act"), &[("_csrf", &page.csrf()), ("action", "vote"), ("item", "1"), ("choice-1", "for")]).await;
    assert!(r.status.is_client_error() && r.body.contains("error-summary"), "{} {}", r.status, r.body);
    // The other owner votes for too; closed, the tally is shown.
    civic::meeting_act(&t.state, &chair, &meeting, MeetingActionBody { item: Some(1), choice: Some("for".into()), ..meeting_action("vote") }).await.expect("vote");
    civic::meeting_act(&t.state, &chair, &meeting, meeting_action("close")).await.expect("close");
    let page = anon.get(&path).await;
    assert!(page.body.contains("第 1 项计票") && page.body.contains("达到参与门槛") && page.body.contains("179.00"), "{}", page.body);

    // The projects, with where each is.
    let admin = principal(&t, "admin").await;
    let body = ProjectBody {
        title: "北门照明改造".into(),
        community: people.community.clone(),
        lat: 30.0512,
        lon: 119.9571,
        issues: vec![open.clone()],
        milestones: vec![MilestoneBody { name: "开工".into(), due: "2026-03-10".into() }, MilestoneBody { name: "完工".into(), due: "2026-04-30".into() }],
    };
    let project = civic::create_project(&t.state, &admin, body).await.expect("project");
    let page = anon.get("/governance/projects").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("北门照明改造") && page.body.contains("30.05120") && page.body.contains("119.95710") && page.body.contains("2026-04-30"), "{}", page.body);
    assert!(page.body.contains(&format!("id=\"project-{}\"", project.id)));
    let page = anon.get(&format!("/governance/projects?community={}", &people.community[..9])).await;
    assert!(page.body.contains("北门照明改造"), "a town's projects");
    let page = anon.get("/governance/projects?community=339999999999").await;
    assert!(page.body.contains("没有项目"), "{}", page.body);

    // Staff may not use the resident's page; everyone signed in has a queue.
    let w = signed_in(&t, "community_worker").await;
    assert_eq!(w.get("/governance").await.status, StatusCode::FORBIDDEN);
    let q = w.get("/governance/queue").await;
    assert_eq!(q.status, StatusCode::OK, "{}", q.body);
    assert!(q.body.contains("href=\"/governance/queue\" aria-current=\"page\""), "in the community worker's navigation");
    t.shutdown().await;
}

/// A `community_worker` account of a division (a community, or a town), with the demo password:
/// its login.
async fn community_worker(t: &TestWeb, login: &str, name: &str, division: &str) -> String {
    let (_, hash) = t.state.store.identity().account_for_login("community_worker").await.expect("query").expect("the demo worker");
    let account = store::NewAccount {
        id: domain::AccountId(t.state.parts.ids.next()),
        login: login.into(),
        password_hash: hash,
        display_name: name.into(),
        kind: store::AccountKind::Staff,
        roles: vec![catalog::Role::CommunityWorker],
        person_id: None,
        enterprise_id: None,
        department: None,
        division: Some(division.to_owned()),
        phone: None,
        created_at: t.state.now(),
    };
    t.state.store.identity().insert_accounts(&[account]).await.expect("the worker's account");
    login.to_owned()
}

#[tokio::test]
async fn an_expense_is_reviewed_at_three_levels_and_paid_from_the_queue() {
    let t = TestWeb::spawn(0).await;
    let people = seed_estate(&t).await;
    let estate = ESTATE.to_string();
    // The community's stationed worker, and a worker of its town (the demo's community_worker is
    // of another town than the demo resident's).
    let worker = community_worker(&t, "gv_estate_worker", "测试社区 包小专", &people.community).await;
    let town_worker = community_worker(&t, "gv_town_worker", "测试街道 社区工作者", &people.community[..9]).await;

    // The property manager records income and applies for 1,280.50 yuan with a receipt they
    // uploaded; the committee adds this year's line.
    let today = domain::china_date(t.state.now());
    let manager = principal(&t, &people.manager).await;
    let income = IncomeBody { source: "parking".into(), amount: "5000".into(), date: today.to_string(), note: "临时停车费".into() };
    civic::record_income(&t.state, &manager, &estate, income).await.expect("income");
    let year = chrono::Datelike::year(&today);
    let line = civic::add_line(&t.state, &principal(&t, &people.committee).await, &estate, LineBody { year, name: "公共照明维修".into(), amount: "3000".into() }).await.expect("line");
    let scan = store_upload(&t.state, &manager.account, Some("x.pdf".into()), "application/pdf", axum::body::Bytes::from_static(b"%PDF-1.4 x")).await.expect("the receipt's scan");
    let receipts = vec![ReceiptBody { name: "增值税发票".into(), amount: "1280.50".into(), upload: scan.id }];
    let x = civic::submit_expense(&t.state, &manager, &estate, ExpenseBody { line: line.id, amount: "1280.50".into(), purpose: "更换北门路灯 6 盏".into(), receipts }).await.expect("the expense application");
    let x = x.id;
    let act = format!("/governance/expenses/{x}/act");
    let form_of = format!("action=\"{act}\"");
    let field = |name: &str| format!("{name}-{x}");

    // The committee member: in their queue, to self-check. A review without a choice, and a
    // refusal without a reason, are sent back with the errors next to the fields.
    let chair = signed_in(&t, &people.committee).await;
    let q = chair.get("/governance/queue").await;
    assert_eq!(q.status, StatusCode::OK, "{}", q.body);
    assert!(q.body.contains(&form_of) && q.body.contains(&format!("name=\"{}\"", field("passed"))) && q.body.contains("小区自查：通过还是退回？"), "{}", q.body);
    assert!(q.body.contains(&format!("href=\"#expense-{x}\"")) && q.body.contains("¥1,280.50"), "{}", q.body);
    assert!(!q.body.contains(&format!("name=\"{}\"", field("date"))), "not yet to pay");
    let csrf = q.csrf();
    let r = chair.post(&act, &[("_csrf", &csrf), ("action", "review"), (&field("note"), "看看")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains(&format!("id=\"f-passed-{x}-error\"")) && r.body.contains(&format!("href=\"#f-passed-{x}\"")) && r.body.contains("看看"), "{}", r.body);
    let r = chair.post(&act, &[("_csrf", &csrf), ("action", "review"), (&field("passed"), "no"), (&field("note"), " ")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains(&format!("id=\"f-note-{x}-error\"")) && r.body.contains("退回须说明理由"), "{}", r.body);
    assert!(r.body.contains("<h1>治理待办</h1>") && r.body.contains("value=\"no\" checked"), "the queue, with the choice kept: {}", r.body);
    let r = chair.post(&act, &[("_csrf", &csrf), ("action", "review"), (&field("passed"), "yes"), (&field("note"), "票据齐全")]).await;
    assert_eq!((r.status, r.location.as_deref()), (StatusCode::SEE_OTHER, Some("/governance/queue?done=reviewed")), "{}", r.body);
    let q = chair.get("/governance/queue?done=reviewed").await;
    assert!(q.body.contains("审核意见已提交") && !q.body.contains(&form_of), "out of the committee's queue: {}", q.body);
    // A form without its token is refused.
    assert_eq!(chair.post(&act, &[("action", "review"), (&field("passed"), "yes")]).await.status, StatusCode::FORBIDDEN);

    // A plain resident (an owner) has nothing to do with it: an error page, not the form.
    let c = signed_in(&t, &people.resident).await;
    let csrf = c.get("/governance").await.csrf();
    let r = c.post(&act, &[("_csrf", &csrf), ("action", "review"), (&field("passed"), "yes"), (&field("note"), "x")]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert!(r.body.contains("无权访问") && !r.body.contains("error-summary") && !r.body.contains(&form_of), "{}", r.body);
    let r = c.post("/governance/expenses/424242/act", &[("_csrf", &csrf), ("action", "pay")]).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);

    // The community's worker re-checks it, the town's worker verifies it.
    for (login, level) in [(&worker, "社区复查"), (&town_worker, "街道核查")] {
        let w = signed_in(&t, login).await;
        let q = w.get("/governance/queue").await;
        assert_eq!(q.status, StatusCode::OK, "{}", q.body);
        assert!(q.body.contains(&form_of) && q.body.contains(&format!("{level}：通过还是退回？")), "{login}: {}", q.body);
        let r = w.post(&act, &[("_csrf", &q.csrf()), ("action", "review"), (&field("passed"), "yes"), (&field("note"), "")]).await;
        assert_eq!((r.status, r.location.as_deref()), (StatusCode::SEE_OTHER, Some("/governance/queue?done=reviewed")), "{login}: {}", r.body);
        assert!(!w.get("/governance/queue").await.body.contains(&form_of), "{login}: done");
    }

    // Verified: back in the committee's queue to pay. The member who self-checked it may not pay
    // it too: the use case's refusal on the queue.
    let q = chair.get("/governance/queue").await;
    assert!(q.body.contains(&format!("name=\"{}\"", field("date"))) && q.body.contains(&format!("name=\"{}\"", field("meeting"))) && !q.body.contains(&format!("name=\"{}\"", field("passed"))), "{}", q.body);
    let r = chair.post(&act, &[("_csrf", &q.csrf()), ("action", "pay"), (&field("date"), "")]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert!(r.body.contains("error-summary") && r.body.contains("不相容职务分离") && r.body.contains(&form_of), "{}", r.body);

    // The second member: a vote of a meeting that does not exist, a date that is none, then paid.
    let treasurer = signed_in(&t, &people.treasurer).await;
    let q = treasurer.get("/governance/queue").await;
    assert!(q.body.contains(&form_of), "{}", q.body);
    let csrf = q.csrf();
    let r = treasurer.post(&act, &[("_csrf", &csrf), ("action", "record_vote"), (&field("meeting"), "424242"), (&field("item"), "1")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains(&format!("id=\"f-meeting-{x}-error\"")) && r.body.contains("value=\"424242\""), "{}", r.body);
    let r = treasurer.post(&act, &[("_csrf", &csrf), ("action", "pay"), (&field("date"), "2026-13-45")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body.contains(&format!("id=\"f-date-{x}-error\"")) && r.body.contains("value=\"2026-13-45\""), "{}", r.body);
    let r = treasurer.post(&act, &[("_csrf", &csrf), ("action", "pay"), (&field("date"), "")]).await;
    assert_eq!((r.status, r.location.as_deref()), (StatusCode::SEE_OTHER, Some("/governance/queue?done=paid")), "{}", r.body);
    let q = treasurer.get("/governance/queue?done=paid").await;
    assert!(q.body.contains("已登记支付") && !q.body.contains(&form_of) && q.body.contains("目前没有等待您审核的支出"), "{}", q.body);
    // Paid once.
    let r = treasurer.post(&act, &[("_csrf", &csrf), ("action", "pay")]).await;
    assert!(r.status.is_client_error(), "{}", r.status);

    // The estate's public funds: paid, on the ledger, the balance down.
    let page = t.client().get(&format!("/governance/estates/{ESTATE}")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("更换北门路灯 6 盏") && page.body.contains("已支付") && page.body.contains(&format!("支付于 {today}")), "{}", page.body);
    assert!(page.body.contains("¥3,719.50") && page.body.contains("¥1,280.50"), "the balance and the expense: {}", page.body);

    // In English.
    treasurer.get("/prefs/lang/en?back=/").await;
    let q = treasurer.get("/governance/queue?done=paid").await;
    assert!(q.body.contains("The payment is recorded") && q.body.contains("There are no expenses awaiting your review"), "{}", q.body);
    let q = chair.get("/governance/queue").await;
    assert!(!q.body.contains(&form_of), "paid: out of every queue");
    t.shutdown().await;
}
