//! The demo's community governance (issue 33): three estates in three communities of 富春街道 with
//! their party branch, owners' committee (物管会 in the third, which has no property company),
//! property manager, stationed worker (包小专) and helpers, owners with their units; a broken
//! street lamp fixed and confirmed, a lift repair under joint deliberation, a night-construction
//! certificate pushed to its supervisors and a noise complaint matched to it, public funds with an
//! expense through the three-level review, an owners' assembly that voted a gym by double
//! majority, and the gym project followed to completion — all through the area's use cases.

use std::collections::BTreeMap;

use server::ServerError;
use server::areas::governance::cases;
use server::areas::governance::civic;
use server::areas::governance::views::ClientBody;
use server::areas::governance::views::EstateBody;
use server::areas::governance::views::ExpenseActionBody;
use server::areas::governance::views::ExpenseBody;
use server::areas::governance::views::IncomeBody;
use server::areas::governance::views::IssueActionBody;
use server::areas::governance::views::LineBody;
use server::areas::governance::views::MeetingActionBody;
use server::areas::governance::views::MeetingBody;
use server::areas::governance::views::MilestoneBody;
use server::areas::governance::views::OwnerBody;
use server::areas::governance::views::PartyBody;
use server::areas::governance::views::ProblemBody;
use server::areas::governance::views::ProjectActionBody;
use server::areas::governance::views::ProjectBody;
use server::areas::governance::views::ReceiptBody;
use server::areas::governance::views::ReportBody;
use server::areas::governance::views::UnitBody;
use server::auth::Principal;
use server::state::AppState;
use store::AccountKind;
use store::NewAccount;

use crate::seed::principal;

/// The town the demo's estates are in.
pub const TOWN: &str = "330111001";

/// The fewest owners an estate of the demo has (its committee, branch, helpers and reporters).
const MIN_OWNERS: usize = 16;

/// The file the Open311 client application's api_key is written to (mode 0600).
pub const CLIENT_KEY_FILE: &str = "open311-client.key";

/// The demo's estates: number, name, position.
const ESTATES: [(u64, &str, f64, f64); 3] = [(1, "江滨锦苑", 30.0500, 119.9560), (2, "春晖新村", 30.0445, 119.9500), (3, "鹳山老小区", 30.0470, 119.9640)];

fn seed_error(area: &str) -> impl Fn(server::failure::Failure) -> ServerError + '_ {
    move |e| ServerError::Seed(format!("governance {area}: {}", e.body().message_en))
}

async fn as_login(state: &AppState, login: &str) -> Result<Principal, ServerError> {
    principal(state, login, "governance").await
}

fn act(action: &str, text: Option<&str>) -> IssueActionBody {
    IssueActionBody { action: action.into(), as_: None, text: text.map(str::to_owned), signatories: Vec::new() }
}

/// Seeds the area; the demo log-ins it adds.
pub async fn seed_governance(state: &AppState, seed: u64, progress: &mut (dyn FnMut(&str, u64, u64) + Send)) -> Result<Vec<crate::seed::DemoLogin>, ServerError> {
    let today = domain::china_date(state.now());
    // Adults of the town by community, heads of household first (one owner a household).
    let mut by_community: BTreeMap<String, Vec<store::Person>> = BTreeMap::new();
    let mut offset = 0;
    loop {
        let page = state.store.pool().persons_page(offset, 2000).await?;
        if page.is_empty() {
            break;
        }
        offset += page.len() as i64;
        for p in page {
            let adult = domain::ResidentId::parse(&p.id_number).map(|id| id.age_on(today) >= 20).unwrap_or(false);
            if adult && p.division.starts_with(TOWN) && p.division.len() == 12 {
                by_community.entry(p.division.clone()).or_default().push(p);
            }
        }
    }
    let mut communities: Vec<(String, Vec<store::Person>)> = by_community.into_iter().collect();
    communities.sort_by(|a, b| b.1.len().cmp(&a.1.len()).then(a.0.cmp(&b.0)));
    let total: usize = communities.iter().map(|c| c.1.len()).sum();
    if communities.len() < 3 || total < 3 * MIN_OWNERS + 1 {
        // A small demo (a few hundred residents) has too few people in the town for three
        // estates: it goes without governance rather than failing.
        tracing::warn!(adults = total, communities = communities.len(), needed = 3 * MIN_OWNERS + 1, "demo: too few adults in 富春街道 for the governance estates; none seeded");
        return Ok(Vec::new());
    }
    // Owners living elsewhere in the town (人户分离) fill estates whose community has few.
    let spare: Vec<store::Person> = communities.iter().skip(3).flat_map(|c| c.1.iter().cloned()).collect();
    communities.truncate(3);

    // The stationed workers (包小专), one per community, with the demo password.
    let (_, hash) = state.store.identity().account_for_login("community_worker").await?.ok_or_else(|| ServerError::Seed("governance: no community_worker".into()))?;
    let mut workers = Vec::new();
    for (i, (code, _)) in communities.iter().enumerate() {
        let login = if i == 0 { "estate_worker".to_owned() } else { format!("estate_worker{}", i + 1) };
        workers.push(NewAccount {
            id: domain::AccountId(state.parts.ids.next()),
            login: login.clone(),
            password_hash: hash.clone(),
            display_name: format!("{} 驻小区社区工作者（包小专）", ESTATES[i].1),
            kind: AccountKind::Staff,
            roles: vec![catalog::Role::CommunityWorker],
            person_id: None,
            enterprise_id: None,
            department: None,
            division: Some(code.clone()),
            phone: None,
            created_at: state.now(),
        });
    }
    state.store.identity().insert_accounts(&workers).await?;
    let admin = as_login(state, "admin").await?;
    // The property manager of estates 1 and 2 is a resident of the third community (not an owner there).
    let manager = communities[2].1.last().map(|p| p.id_number.clone()).unwrap_or_default();
    let mut owners_of: Vec<Vec<String>> = Vec::new();
    let mut spare_iter = spare.iter().chain(communities.iter().flat_map(|c| c.1.iter().rev().skip(40))).filter(|p| p.id_number != manager);
    for (i, (code, people)) in communities.iter().enumerate() {
        progress("社区治理 estates", i as u64, 3);
        let (id, name, lat, lon) = ESTATES[i];
        let mut logins: Vec<String> = people.iter().filter(|p| p.id_number != manager).take(40).map(|p| p.id_number.clone()).collect();
        while logins.len() < MIN_OWNERS {
            match spare_iter.next() {
                Some(p) => logins.push(p.id_number.clone()),
                None => break,
            }
        }
        let party = |name: &str, members: &[String]| PartyBody { name: name.into(), members: members.to_vec() };
        let body = EstateBody {
            id,
            name: name.into(),
            community: code.clone(),
            lat,
            lon,
            party_branch: Some(party(&format!("{name}党支部"), &logins[3..4])),
            committee_kind: if id == 3 { "property_management_committee".into() } else { "owners_committee".into() },
            committee: party(if id == 3 { "鹳山老小区物业管理委员会" } else { "业主委员会" }, &logins[0..3]),
            property_company: (id != 3).then(|| party("富春物业服务有限公司", std::slice::from_ref(&manager))),
            worker: Some(workers[i].login.clone()),
            helpers: [("mediator", vec![logins[4].clone()]), ("liaison", vec![logins[5].clone()]), ("grid_worker", vec!["responder".to_owned()]), ("doctor", vec!["responder_medic".to_owned()])]
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v))
                .collect(),
            owners: logins
                .iter()
                .enumerate()
                .map(|(j, l)| OwnerBody {
                    login: l.clone(),
                    units: vec![UnitBody { number: format!("{}-{}-{}0{}", 1 + j / 12, 1 + (j / 4) % 3, 1 + j % 6, 1 + j % 2), area_m2: format!("{}.{:02}", 62 + (seed as usize + j * 37) % 78, (j * 13) % 100) }],
                })
                .collect(),
        };
        cases::save_estate(state, &admin, body).await.map_err(seed_error("estate"))?;
        owners_of.push(logins);
    }
    let owners = &owners_of[0];
    let owner = |i: usize| as_login(state, &owners[i]);
    let (e1, e2) = (ESTATES[0], ESTATES[1]);

    // F1: a broken street lamp in estate 1, fixed by the property company and confirmed.
    let reporter = owner(10).await?;
    let lamp = cases::report(state, &reporter, ReportBody { service_code: "street_lamp".into(), estate: Some("1".into()), lat: Some(e1.2 + 0.0004), long: Some(e1.3 - 0.0003), description: Some("3 号楼东侧路灯不亮已经三天，晚上回家很黑".into()), attributes: [("lamp_number".to_owned(), "JB-07".to_owned())].into(), ..Default::default() })
        .await
        .map_err(seed_error("lamp"))?;
    let pm = as_login(state, &manager).await?;
    cases::act(state, &pm, &lamp.id, act("accept", None)).await.map_err(seed_error("lamp accept"))?;
    cases::act(state, &pm, &lamp.id, act("resolve", Some("已更换 JB-07 灯杆的 LED 灯头并检查线路"))).await.map_err(seed_error("lamp resolve"))?;
    cases::act(state, &reporter, &lamp.id, act("confirm", None)).await.map_err(seed_error("lamp confirm"))?;
    // A second lamp out, just reported: the demo's resident can follow it.
    cases::report(state, &owner(11).await?, ReportBody { service_code: "street_lamp".into(), estate: Some("1".into()), lat: Some(e1.2 - 0.0002), long: Some(e1.3 + 0.0002), description: Some("地下车库入口路灯闪烁".into()), ..Default::default() })
        .await
        .map_err(seed_error("lamp 2"))?;
    // A lift repair: the property company and the committee deliberate (三方联议).
    let lift = cases::report(state, &owner(12).await?, ReportBody { service_code: "public_facility".into(), estate: Some("1".into()), lat: Some(e1.2), long: Some(e1.3), description: Some("2 号楼电梯经常停在半层，老人不敢坐".into()), ..Default::default() })
        .await
        .map_err(seed_error("lift"))?;
    cases::act(state, &pm, &lift.id, act("agree", Some("物业联系维保单位全面检修，费用从公共收益维修科目列支，业委会监督"))).await.map_err(seed_error("lift agree"))?;

    // A2/A10: a night-construction certificate for a site next to estate 2, pushed to its
    // supervisors; a resident's noise complaint during a permitted night finds it.
    if let Some((firm, firm_name)) = state.store.registers().demo_enterprise().await? {
        let start = today.and_hms_opt(22, 0, 0).map(|t| t.format("%Y-%m-%dT%H:%M").to_string()).unwrap_or_default();
        let end = (today + chrono::Days::new(5)).and_hms_opt(5, 0, 0).map(|t| t.format("%Y-%m-%dT%H:%M").to_string()).unwrap_or_default();
        let record = state.parts.ids.next();
        let data = serde_json::json!({
            "name": "夜间施工证明",
            "holder": firm_name,
            "item": "sthj-night-cert",
            "item_name": "夜间施工证明出具",
            "application": record.to_string(),
            "form": { "project_name": "春晖路雨污管网改造（夜间顶管）", "site_address": "春晖路与江滨西大道交叉口", "contractor": firm_name, "contractor_credit_code": firm,
                      "site_lat": e2.2 + 0.0015, "site_lon": e2.3 + 0.0010, "work_start": start, "work_end": end },
        });
        let rec = store::SharedRecord {
            id: domain::RecordId(record),
            record_type: cases::NIGHT_CERTIFICATE.into(),
            subject_kind: "enterprise".into(),
            subject_key: firm.clone(),
            department: "sthj".into(),
            issued_at: state.now(),
            valid_until: Some(today + chrono::Days::new(30)),
            application: None,
            case: None,
            data: data.clone(),
        };
        state.store.onething().insert_records(std::slice::from_ref(&rec)).await?;
        cases::permit_from_certificate(state, record, &firm, state.now(), &data).await.map_err(seed_error("permit"))?;
        let heard = (today + chrono::Days::new(1)).and_hms_opt(1, 30, 0).map(|t| format!("{}+08:00", t.format("%Y-%m-%dT%H:%M:%S"))).unwrap_or_default();
        let second = &owners_of[1];
        cases::report(state, &as_login(state, &second[7]).await?, ReportBody { service_code: "night_construction_noise".into(), estate: Some("2".into()), lat: Some(e2.2 + 0.0012), long: Some(e2.3 + 0.0008), description: Some("半夜一点还在施工，机器声音很大".into()), attributes: [("heard_at".to_owned(), heard)].into(), ..Default::default() })
            .await
            .map_err(seed_error("noise"))?;
    }

    // F2: estate 1's public funds this year, and an expense through the three levels.
    let year = chrono::Datelike::year(&today);
    let chair = owner(0).await?;
    let treasurer = owner(1).await?;
    for (source, amount, note) in [("advertising", "18000", "电梯广告年度收益"), ("parking", "36500", "地面停车位临时停车费"), ("venue_rent", "4800", "架空层场地租金")] {
        civic::record_income(state, &pm, "1", IncomeBody { source: source.into(), amount: amount.into(), date: today.to_string(), note: note.into() }).await.map_err(seed_error("income"))?;
    }
    let line = civic::add_line(state, &chair, "1", LineBody { year, name: "公共设施维修".into(), amount: "60000".into() }).await.map_err(seed_error("line"))?;
    civic::add_line(state, &chair, "1", LineBody { year, name: "文体设施改造".into(), amount: "80000".into() }).await.map_err(seed_error("line 2"))?;
    let scan = server::areas::onething::cases::store_upload(state, &pm.account, Some("invoice-33012610.pdf".into()), "application/pdf", bytes::Bytes::from_static(b"%PDF-1.4 invoice 33012610"))
        .await
        .map_err(seed_error("receipt"))?;
    let x = civic::submit_expense(state, &pm, "1", ExpenseBody { line: line.id.clone(), amount: "12800".into(), purpose: "更换 3 号楼及地库路灯 24 盏".into(), receipts: vec![ReceiptBody { name: "增值税发票 No. 33012610".into(), amount: "12800".into(), upload: scan.id }] })
        .await
        .map_err(seed_error("expense"))?;
    let review = |note: &str| ExpenseActionBody { action: "review".into(), passed: Some(true), note: Some(note.into()), meeting: None, item: None, date: None };
    civic::expense_act(state, &chair, &x.id, review("业委会自查：票据齐全，与维修记录一致")).await.map_err(seed_error("self-check"))?;
    civic::expense_act(state, &as_login(state, "estate_worker").await?, &x.id, review("社区复查：价格合理")).await.map_err(seed_error("recheck"))?;
    civic::expense_act(state, &as_login(state, "community_worker").await?, &x.id, review("街道核查通过")).await.map_err(seed_error("verify"))?;
    civic::expense_act(state, &treasurer, &x.id, ExpenseActionBody { action: "pay".into(), passed: None, note: None, meeting: None, item: None, date: None }).await.map_err(seed_error("pay"))?;

    // F3: the owners' assembly votes a gym upgrade by double majority (art. 278).
    let m = civic::create_meeting(state, &chair, "1", MeetingBody { kind: "owners_assembly".into(), title: format!("{year} 年第一次业主大会") }).await.map_err(seed_error("meeting"))?;
    let ma = |action: &str| MeetingActionBody { action: action.into(), title: None, matter: None, issues: Vec::new(), item: None, choice: None, text: None, reason: None };
    civic::meeting_act(state, &chair, &m.id, MeetingActionBody { title: Some("使用公共收益 68,000 元改造小区健身场地".into()), matter: Some("other_major".into()), ..ma("propose") }).await.map_err(seed_error("propose"))?;
    civic::meeting_act(state, &chair, &m.id, ma("open")).await.map_err(seed_error("open"))?;
    for (j, login) in owners.iter().enumerate().take(32) {
        let choice = if j % 11 == 10 { "against" } else { "for" };
        civic::meeting_act(state, &as_login(state, login).await?, &m.id, MeetingActionBody { item: Some(1), choice: Some(choice.into()), ..ma("vote") }).await.map_err(seed_error("vote"))?;
    }
    civic::meeting_act(state, &chair, &m.id, ma("close")).await.map_err(seed_error("close"))?;

    // F4: the gym project, followed from request to completion.
    let worker = as_login(state, "estate_worker").await?;
    let street_worker = as_login(state, "community_worker").await?;
    let due = |d: u64| (today - chrono::Days::new(d)).to_string();
    let gym = civic::create_project(state, &worker, ProjectBody {
        title: "江滨锦苑健身场地改造".into(),
        community: communities[0].0.clone(),
        lat: e1.2 + 0.0003,
        lon: e1.3 + 0.0005,
        issues: Vec::new(),
        milestones: vec![MilestoneBody { name: "方案公示".into(), due: due(0) }, MilestoneBody { name: "器材安装".into(), due: due(0) }, MilestoneBody { name: "竣工验收".into(), due: due(0) }],
    })
    .await
    .map_err(seed_error("project"))?;
    let pa = |action: &str| ProjectActionBody { action: action.into(), milestone: None, problems: Vec::new(), problem: None, note: None, stars: None, date: None };
    civic::project_act(state, &street_worker, &gym.id, ProjectActionBody { problems: vec![ProblemBody { text: "塑胶地垫接缝翘起".into(), photos: vec!["https://example.gov.cn/photos/gym-01.jpg".into()], rectify_by: today.to_string() }], ..pa("inspect") })
        .await
        .map_err(seed_error("inspect"))?;
    civic::project_act(state, &worker, &gym.id, ProjectActionBody { problem: Some(1), note: Some("已重新铺设并粘接".into()), ..pa("report_fixed") }).await.map_err(seed_error("fixed"))?;
    civic::project_act(state, &street_worker, &gym.id, ProjectActionBody { problem: Some(1), ..pa("close_problem") }).await.map_err(seed_error("close problem"))?;
    for k in 0..3 {
        civic::project_act(state, &worker, &gym.id, ProjectActionBody { milestone: Some(k), ..pa("reach") }).await.map_err(seed_error("reach"))?;
    }
    civic::project_act(state, &street_worker, &gym.id, pa("complete")).await.map_err(seed_error("complete"))?;
    for j in [13, 14, 15] {
        civic::project_act(state, &owner(j).await?, &gym.id, ProjectActionBody { stars: Some(5 - (j % 2) as u8), ..pa("rate") }).await.map_err(seed_error("rate"))?;
    }

    // An Open311 client application ("随手拍"): its key for the operator, never printed.
    let client = civic::create_client(state, &admin, ClientBody { name: "浙里办 随手拍".into() }).await.map_err(seed_error("client"))?;
    if let Some(key) = client.api_key {
        let path = state.config.data_dir.join(CLIENT_KEY_FILE);
        std::fs::write(&path, format!("{key}\n")).map_err(|e| ServerError::Io(path.display().to_string(), e))?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600));
        }
    }
    progress("社区治理 estates", 3, 3);
    Ok(vec![
        crate::seed::DemoLogin { login: owners[10].clone(), who: format!("{} 业主（报告路灯、确认办结）resident owner", ESTATES[0].1) },
        crate::seed::DemoLogin { login: owners[0].clone(), who: format!("{} 业委会主任（审核、召集业主大会）committee chair", ESTATES[0].1) },
        crate::seed::DemoLogin { login: manager, who: "富春物业项目经理（接单、办结）property manager".into() },
        crate::seed::DemoLogin { login: "estate_worker".into(), who: format!("{} 驻小区社区工作者（包小专，社区复查）stationed worker", ESTATES[0].1) },
    ])
}
