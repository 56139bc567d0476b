//! The demo's places (issue 32): childcare institutions in six towns of 富阳 (a community-run
//! centre, a kindergarten's 托班, an employer-run room of a demo enterprise, a public nursery, a
//! private chain and a town kindergarten), registered and inspected by the health bureau; families
//! of the register with children of 6–36 months apply from home with ranked preferences, an
//! allocation round runs, one family accepts its offer and one declines, a second round re-offers
//! the freed place, the rest wait and see their rank and why. Public rental housing: households
//! whose finances the civil affairs bureau checked apply through the `public-rental` one-thing
//! bundle, the real-estate registry and the housing bureau handle its cases, the duty puts them on
//! the waiting list (with the rent subsidy), homes of a 公租房小区 are added, a lottery is
//! committed, drawn and re-verified from its seed, the first home is offered and accepted (a
//! lease); a 善居 project goes from survey to the resident's rating. All through the area's use
//! cases, as the people would do it.

use std::collections::BTreeMap;
use std::collections::BTreeSet;

use chrono::Datelike;
use chrono::Days;
use chrono::NaiveDate;
use domain::RecordId;
use domain::china_date;
use server::ServerError;
use server::areas::places::cases;
use server::areas::places::housing;
use server::areas::places::views::ChildcareActionBody;
use server::areas::places::views::ChildcareApplyBody;
use server::areas::places::views::ClassBody;
use server::areas::places::views::DrawBody;
use server::areas::places::views::HousingApplyBody;
use server::areas::places::views::InspectionBody;
use server::areas::places::views::InstitutionBody;
use server::areas::places::views::OfferAnswerBody;
use server::areas::places::views::RoundBody;
use server::areas::places::views::ShanjuActionBody;
use server::areas::places::views::ShanjuBody;
use server::areas::places::views::ShanjuItemBody;
use server::areas::places::views::UnitBody;
use server::areas::places::views::VerifyQuery;
use server::auth::Principal;
use server::failure::Failure;
use server::state::AppState;
use store::SharedRecord;
use store::WelfarePerson;

use crate::seed::DemoLogin;

/// The fewest families with a child of 6–36 months the childcare story needs.
const MIN_FAMILIES: usize = 4;
/// The most families that apply for childcare.
const MAX_FAMILIES: usize = 48;
/// The fewest households the housing story needs (a draw with someone left on the list).
const MIN_HOUSEHOLDS: usize = 3;
/// The households that apply for public rental housing.
const HOUSEHOLDS: usize = 8;

const STAGE: &str = "托育与公租房 places";

fn failed(what: &str) -> impl Fn(Failure) -> ServerError + '_ {
    move |f| {
        let (code, _, en, field) = f.parts();
        ServerError::Seed(format!("places, {what}: {code}: {en}{}", field.map(|x| format!(" ({x})")).unwrap_or_default()))
    }
}

async fn as_login(state: &AppState, login: &str) -> Result<Principal, ServerError> {
    crate::seed::principal(state, login, "places").await
}

/// Rough centres of the district's towns and streets (latitude, longitude), for homes.
const TOWN_CENTRES: &[(&str, f64, f64)] = &[
    ("330111001", 30.0490, 119.9540),
    ("330111002", 30.0300, 119.9880),
    ("330111004", 30.0690, 119.9080),
    ("330111005", 30.0780, 120.0380),
    ("330111006", 30.1240, 120.0300),
    ("330111100", 30.0900, 119.7400),
    ("330111101", 30.0700, 119.7700),
    ("330111103", 29.9850, 119.7250),
    ("330111105", 29.9400, 119.7700),
    ("330111108", 29.9200, 119.8500),
    ("330111109", 29.8700, 119.9000),
    ("330111110", 29.9600, 119.9900),
    ("330111111", 29.8700, 119.9900),
    ("330111112", 29.9000, 119.9500),
    ("330111115", 30.0170, 119.7430),
    ("330111116", 30.0700, 119.8600),
    ("330111117", 29.9600, 119.9300),
    ("330111118", 30.0100, 119.9400),
    ("330111200", 29.9900, 119.9600),
    ("330111201", 29.8500, 119.9500),
    ("330111204", 29.9400, 120.0500),
    ("330111205", 29.7800, 120.0200),
    ("330111206", 30.0000, 120.0100),
    ("330111207", 30.0500, 120.0900),
];

pub(crate) fn town_centre(division: &str) -> (f64, f64) {
    let town = division.get(..9).unwrap_or(division);
    TOWN_CENTRES.iter().find(|t| t.0 == town).map_or((30.0490, 119.9540), |t| (t.1, t.2))
}

/// A stable small number from a text (FNV-1a), for spreading homes and choices.
fn hash(s: &str, salt: u64) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325 ^ salt, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

/// A home within about a kilometre of the town's centre.
fn home_of(p: &WelfarePerson, seed: u64) -> (f64, f64) {
    let (lat, lon) = town_centre(&p.division);
    let h = hash(&p.id_number, seed);
    let dlat = ((h % 2001) as f64 - 1000.0) * 0.000_009;
    let dlon = (((h / 2001) % 2001) as f64 - 1000.0) * 0.000_010;
    (((lat + dlat) * 1e6).round() / 1e6, ((lon + dlon) * 1e6).round() / 1e6)
}

fn km(a: (f64, f64), b: (f64, f64)) -> f64 {
    ((a.0 - b.0).powi(2) + ((a.1 - b.1) * 0.866).powi(2)).sqrt() * 111.0
}

/// Completed months from `birth` to `on`.
fn months(birth: NaiveDate, on: NaiveDate) -> i64 {
    let m = i64::from(on.year() - birth.year()) * 12 + i64::from(on.month()) - i64::from(birth.month());
    if on.day() < birth.day() { m - 1 } else { m }
}

fn age(birth: NaiveDate, today: NaiveDate) -> i64 {
    welfare::facts::age_on(birth, today)
}

/// One institution of the demo: name, kind, community, position, classes (class, groups, places,
/// fee), carers, opens, closes, weekdays, priority rules.
struct Spec {
    name: String,
    kind: &'static str,
    community: &'static str,
    at: (f64, f64),
    classes: Vec<(&'static str, u32, u32, &'static str)>,
    carers: u32,
    hours: (&'static str, &'static str),
    weekdays: Vec<u8>,
    priority: Vec<&'static str>,
    employer: Option<String>,
    /// An inspection: days ago, findings (all passed).
    inspection: (u64, Vec<&'static str>),
}

fn specs(employer: Option<&(String, String)>) -> Vec<Spec> {
    let weekdays = vec![1, 2, 3, 4, 5];
    let mut out = vec![
        Spec {
            name: "富春街道社区托育服务中心".into(),
            kind: "community",
            community: "330111001012",
            at: (30.0468, 119.9512),
            classes: vec![("infant", 1, 3, "1800"), ("young_toddler", 1, 5, "2200"), ("older_toddler", 1, 6, "2000")],
            carers: 4,
            hours: ("07:30", "17:30"),
            weekdays: weekdays.clone(),
            priority: vec!["hardship", "sibling", "walking"],
            employer: None,
            inspection: (40, vec!["晨检记录完整", "消防通道畅通"]),
        },
        Spec {
            name: "富阳区春江幼儿园托班".into(),
            kind: "kindergarten",
            community: "330111002001",
            at: (30.0312, 119.9861),
            classes: vec![("older_toddler", 1, 5, "1500")],
            carers: 2,
            hours: ("07:40", "16:40"),
            weekdays: weekdays.clone(),
            priority: vec!["sibling", "walking"],
            employer: None,
            inspection: (25, vec!["午睡室通风良好"]),
        },
        Spec {
            name: "鹿山街道公办托育园".into(),
            kind: "public",
            community: "330111004001",
            at: (30.0702, 119.9065),
            classes: vec![("young_toddler", 1, 4, "1600"), ("older_toddler", 1, 5, "1500")],
            carers: 3,
            hours: ("07:30", "17:00"),
            weekdays: weekdays.clone(),
            priority: Vec::new(),
            employer: None,
            inspection: (60, vec!["食品留样 48 小时，符合要求"]),
        },
        Spec {
            name: "小橙堡托育（东洲店）".into(),
            kind: "private",
            community: "330111005001",
            at: (30.0765, 120.0402),
            classes: vec![("infant", 1, 2, "4200"), ("young_toddler", 1, 4, "3800"), ("older_toddler", 1, 5, "3500")],
            carers: 3,
            hours: ("07:30", "18:30"),
            weekdays: vec![1, 2, 3, 4, 5, 6],
            priority: vec!["walking"],
            employer: None,
            inspection: (15, vec!["消毒记录补齐，已当场整改"]),
        },
        Spec {
            name: "新登镇中心幼儿园托班".into(),
            kind: "kindergarten",
            community: "330111115011",
            at: (30.0182, 119.7441),
            classes: vec![("older_toddler", 1, 5, "1200")],
            carers: 2,
            hours: ("07:40", "16:30"),
            weekdays: weekdays.clone(),
            priority: Vec::new(),
            employer: None,
            inspection: (90, vec!["户外场地防护到位"]),
        },
    ];
    match employer {
        Some((code, name)) => out.push(Spec {
            name: format!("{}职工子女托育室", name.trim_end_matches("有限公司").trim_end_matches("股份")),
            kind: "employer",
            community: "330111006004",
            at: (30.1228, 120.0318),
            classes: vec![("young_toddler", 1, 4, "900"), ("older_toddler", 1, 5, "800")],
            carers: 2,
            hours: ("08:00", "17:30"),
            weekdays,
            priority: vec!["workplace", "walking"],
            employer: Some(code.clone()),
            inspection: (30, vec!["保育人员均持证上岗"]),
        }),
        None => out.push(Spec {
            name: "银湖街道社区托育服务站".into(),
            kind: "community",
            community: "330111006004",
            at: (30.1228, 120.0318),
            classes: vec![("young_toddler", 1, 4, "1500"), ("older_toddler", 1, 5, "1400")],
            carers: 2,
            hours: ("07:30", "17:30"),
            weekdays,
            priority: Vec::new(),
            employer: None,
            inspection: (30, vec!["保育人员均持证上岗"]),
        }),
    }
    out
}

/// A family that applies: the parent's login, the child, the home.
struct Family {
    parent: WelfarePerson,
    child: WelfarePerson,
    home: (f64, f64),
    class: &'static str,
}

fn class_of(m: i64) -> &'static str {
    match m {
        6..=11 => "infant",
        12..=23 => "young_toddler",
        _ => "older_toddler",
    }
}

/// Seeds the area; the demo log-ins it adds.
pub async fn seed_places(state: &AppState, seed: u64, progress: &mut (dyn FnMut(&str, u64, u64) + Send)) -> Result<Vec<DemoLogin>, ServerError> {
    progress(STAGE, 0, 4);
    let today = china_date(state.now());
    let people = state.store.welfare().people_all().await?;
    let mut households: BTreeMap<i64, Vec<WelfarePerson>> = BTreeMap::new();
    for p in people {
        households.entry(p.household).or_default().push(p);
    }
    let mut logins = Vec::new();
    let mut used: BTreeSet<i64> = BTreeSet::new();
    logins.extend(childcare(state, seed, today, &households, &mut used).await?);
    progress(STAGE, 2, 4);
    logins.extend(public_rental(state, seed, today, &households, &mut used).await?);
    progress(STAGE, 3, 4);
    logins.extend(shanju(state, today, &households, &used).await?);
    progress(STAGE, 4, 4);
    Ok(logins)
}

async fn childcare(state: &AppState, seed: u64, today: NaiveDate, households: &BTreeMap<i64, Vec<WelfarePerson>>, used: &mut BTreeSet<i64>) -> Result<Vec<DemoLogin>, ServerError> {
    // Places start on the first of next month.
    let next = today.with_day(1).and_then(|d| d.checked_add_months(chrono::Months::new(1))).unwrap_or(today + Days::new(30));
    let firm = state.store.registers().demo_enterprise().await?;
    let specs = specs(firm.as_ref());
    let mut families = Vec::new();
    for members in households.values() {
        let Some(child) = members.iter().filter(|c| (6..36).contains(&months(c.birth_date, next)) && c.birth_date <= today).min_by_key(|c| c.birth_date) else { continue };
        // A parent: an adult of the household with an account, the head or spouse first.
        let mut parents: Vec<&WelfarePerson> = members.iter().filter(|p| p.account.is_some() && (20..=50).contains(&age(p.birth_date, today))).collect();
        parents.sort_by_key(|p| (p.relation != crate::HEAD && p.relation != "配偶", p.birth_date));
        let Some(parent) = parents.first() else { continue };
        let home = home_of(parent, seed);
        families.push(Family { parent: (*parent).clone(), child: child.clone(), home, class: class_of(months(child.birth_date, next)) });
    }
    // The families nearest an institution that takes their child's class.
    let nearest = |f: &Family| specs.iter().filter(|s| s.classes.iter().any(|c| c.0 == f.class)).map(|s| km(f.home, s.at)).fold(f64::MAX, f64::min);
    families.sort_by(|a, b| nearest(a).total_cmp(&nearest(b)).then(a.child.id_number.cmp(&b.child.id_number)));
    families.truncate(MAX_FAMILIES);
    if families.len() < MIN_FAMILIES {
        tracing::warn!(families = families.len(), needed = MIN_FAMILIES, "demo: too few families with a child of 6–36 months for the childcare story; none seeded");
        return Ok(Vec::new());
    }

    // The health bureau registers and inspects the institutions.
    let clerk = as_login(state, "wjw_clerk").await?;
    let mut institutions: Vec<(String, &Spec)> = Vec::new();
    for s in &specs {
        let places: u32 = s.classes.iter().map(|c| c.2).sum();
        let body = InstitutionBody {
            id: None,
            name: s.name.clone(),
            kind: s.kind.into(),
            employer: s.employer.clone(),
            community: s.community.into(),
            lat: s.at.0,
            lon: s.at.1,
            status: None,
            opens: s.hours.0.into(),
            closes: s.hours.1.into(),
            weekdays: s.weekdays.clone(),
            classes: s.classes.iter().map(|c| ClassBody { class: c.0.into(), groups: c.1, places: c.2, monthly_fee_yuan: c.3.into() }).collect(),
            carers: s.carers,
            health_staff: u32::from(places > 10),
            priority: s.priority.iter().map(|p| (*p).to_owned()).collect(),
        };
        let v = cases::save_institution(state, &clerk, body).await.map_err(failed("institution"))?;
        let x = InspectionBody { date: (today - Days::new(s.inspection.0)).to_string(), result: "pass".into(), findings: s.inspection.1.iter().map(|f| (*f).to_owned()).collect() };
        cases::inspect(state, &clerk, &v.id, x).await.map_err(failed("inspection"))?;
        institutions.push((v.id, s));
    }

    // Parents who work for the employer running a room: their social insurance says so.
    if let Some((code, firm_name)) = &firm
        && institutions.iter().any(|(_, s)| s.kind == "employer")
    {
        let ids = &state.parts.ids;
        let now = state.now();
        let recs: Vec<SharedRecord> = families
            .iter()
            .filter(|f| f.class != "infant")
            .take(2)
            .map(|f| SharedRecord {
                id: RecordId(ids.next()),
                record_type: "social_insurance_record".into(),
                subject_kind: "person".into(),
                subject_key: f.parent.id_number.clone(),
                department: "rsj".into(),
                issued_at: now - chrono::Duration::days(20),
                valid_until: Some(today + Days::new(345)),
                application: None,
                case: None,
                data: serde_json::json!({ "name": f.parent.name, "unit_credit_code": code, "unit_name": firm_name, "months_in_district": 38 }),
            })
            .collect();
        state.store.pool().publish_records(&recs, None).await?;
    }

    // Families apply from home: the nearest institutions taking the class, up to three.
    let mut applied: Vec<(Principal, String, &Family)> = Vec::new();
    for f in &families {
        let mut offering: Vec<&(String, &Spec)> = institutions.iter().filter(|(_, s)| s.classes.iter().any(|c| c.0 == f.class)).collect();
        offering.sort_by(|a, b| km(f.home, a.1.at).total_cmp(&km(f.home, b.1.at)));
        // Up to three, those within a half-hour's drive (8 km) but for the nearest.
        let want = [1, 2, 2, 3][(hash(&f.child.id_number, seed) % 4) as usize];
        let prefs: Vec<String> = offering.iter().enumerate().filter(|(k, x)| *k == 0 || km(f.home, x.1.at) <= 8.0).take(want).map(|(_, (id, _))| id.clone()).collect();
        let p = as_login(state, &f.parent.id_number).await?;
        let body = ChildcareApplyBody { child: f.child.id_number.clone(), start_date: next.to_string(), preferences: prefs, home_lat: Some(f.home.0), home_lon: Some(f.home.1) };
        let v = cases::apply(state, &p, body).await.map_err(failed("childcare application"))?;
        used.insert(f.parent.household);
        applied.push((p, v.id, f));
    }

    // The autumn round; one family accepts its offer, one declines, and the place is offered again.
    let round = |n: u64| RoundBody { seed: Some(format!("{:016x}", seed.wrapping_mul(0x9E37_79B9).wrapping_add(n))) };
    cases::run_round(state, &clerk, round(1)).await.map_err(failed("round"))?;
    let mut accepted = None;
    let mut declined = false;
    for (p, id, _) in &applied {
        let v = cases::application(state, p, id).await.map_err(failed("application"))?;
        if v.state != "offered" {
            continue;
        }
        if accepted.is_none() {
            cases::act(state, p, id, ChildcareActionBody { action: "accept".into(), start_date: None, last_day: None }).await.map_err(failed("accept"))?;
            accepted = Some(p.account.login.clone());
        } else if !declined {
            cases::act(state, p, id, ChildcareActionBody { action: "decline".into(), start_date: None, last_day: None }).await.map_err(failed("decline"))?;
            declined = true;
        }
    }
    if declined {
        cases::run_round(state, &clerk, round(2)).await.map_err(failed("second round"))?;
    }
    // Who to show: a family waiting with its rank, one offered, the one enrolled.
    let mut waiting = None;
    let mut offered = None;
    let mut states: BTreeMap<String, usize> = BTreeMap::new();
    for (p, id, _) in &applied {
        let v = cases::application(state, p, id).await.map_err(failed("application"))?;
        *states.entry(v.state.clone()).or_default() += 1;
        match v.state.as_str() {
            "waiting" if waiting.is_none() && v.why.iter().any(|w| w.waiting_rank.is_some()) => waiting = Some(p.account.login.clone()),
            "offered" if offered.is_none() => offered = Some(p.account.login.clone()),
            _ => {}
        }
    }
    tracing::info!(families = applied.len(), ?states, "demo: childcare applications after the rounds");
    let mut out = Vec::new();
    if let Some(l) = waiting {
        out.push(DemoLogin { login: l, who: "家长（入托申请轮候中，看排名与原因）parent waiting for a childcare place".into() });
    }
    if let Some(l) = offered {
        out.push(DemoLogin { login: l, who: "家长（已录取，待确认入托）parent with a childcare offer".into() });
    }
    if let Some(l) = accepted {
        out.push(DemoLogin { login: l, who: "家长（孩子已入托，月托费）parent with a child enrolled".into() });
    }
    Ok(out)
}

/// Handles every case of an application toward approval, as the departments' staff would.
async fn handle(state: &AppState, app: domain::ApplicationId) -> Result<(), ServerError> {
    let catalog = state.catalog();
    for _ in 0..16 {
        let Some(a) = state.store.onething().application(app).await? else { return Err(ServerError::Seed(format!("places: no application {app}"))) };
        let Some(case) = a.cases.iter().find(|c| c.status == onething::CaseStatus::Active) else { return Ok(()) };
        let (Some(wf), Some(st)) = (catalog.workflow(&case.workflow), case.state.as_deref()) else { return Ok(()) };
        let Some(action) = crate::seed::toward_approval(wf, st) else { return Ok(()) };
        let login = if action.roles.contains(&catalog::Role::Clerk) {
            format!("{}_clerk", case.department)
        } else if action.roles.contains(&catalog::Role::Reviewer) {
            format!("{}_reviewer", case.department)
        } else if action.roles.contains(&catalog::Role::Approver) {
            format!("{}_approver", case.department)
        } else {
            "window".to_owned()
        };
        let staff = as_login(state, &login).await?;
        let req = onething::ActionRequest { case: case.id, action: action.code.clone(), comment: action.requires_comment.then(|| "经共享数据核对，符合条件".to_owned()), uploads: BTreeMap::new() };
        server::areas::onething::cases::act(state, &staff.account, app, req).await.map_err(failed("handling the bundle"))?;
    }
    Ok(())
}

async fn public_rental(state: &AppState, seed: u64, today: NaiveDate, households: &BTreeMap<i64, Vec<WelfarePerson>>, used: &mut BTreeSet<i64>) -> Result<Vec<DemoLogin>, ServerError> {
    // Households the civil affairs bureau has not checked yet (the welfare demo's have their own story).
    let checked: BTreeSet<String> = state.store.welfare().fact_records(&["household_finance_check", "low_income_status"], None).await?.into_iter().map(|r| r.subject_key).collect();
    let mut by_size: BTreeMap<usize, Vec<&WelfarePerson>> = BTreeMap::new();
    for (hh, members) in households {
        if used.contains(hh) || members.iter().any(|m| checked.contains(&m.id_number)) {
            continue;
        }
        let Some(head) = members.iter().find(|m| m.relation == crate::HEAD && m.account.is_some() && (25..=75).contains(&age(m.birth_date, today))) else { continue };
        by_size.entry(members.len().min(5)).or_default().push(head);
    }
    for heads in by_size.values_mut() {
        heads.sort_by_key(|h| hash(&h.id_number, seed));
    }
    // Sizes for every kind of home: two of one or two, three of three or four, one larger.
    let mut chosen: Vec<&WelfarePerson> = Vec::new();
    for (size, n) in [(2, 2), (3, 2), (4, 1), (5, 1), (1, 1), (2, 1)] {
        let taken = chosen.iter().filter(|c| households.get(&c.household).map_or(0, |m| m.len().min(5)) == size).count();
        chosen.extend(by_size.get(&size).into_iter().flatten().skip(taken).take(n));
    }
    if chosen.len() < HOUSEHOLDS {
        let more: Vec<&WelfarePerson> = by_size.values().flatten().filter(|h| !chosen.iter().any(|c| c.id_number == h.id_number)).take(HOUSEHOLDS - chosen.len()).copied().collect();
        chosen.extend(more);
    }
    if chosen.len() < MIN_HOUSEHOLDS {
        tracing::warn!(households = chosen.len(), needed = MIN_HOUSEHOLDS, "demo: too few households for the public rental housing story; none seeded");
        return Ok(Vec::new());
    }
    // Their finance checks, published as the welfare demo publishes its records.
    let now = state.now();
    let recs: Vec<SharedRecord> = chosen
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let members = households.get(&h.household).map_or(1, Vec::len);
            let income: i64 = 85_000 + (hash(&h.id_number, seed ^ 7) % 300_000) as i64;
            let assets: i64 = 3_000_000 + (hash(&h.id_number, seed ^ 11) % 35_000_000) as i64;
            let days = 20 + (i as i64 * 13) % 120;
            SharedRecord {
                id: RecordId(state.parts.ids.next()),
                record_type: "household_finance_check".into(),
                subject_kind: "person".into(),
                subject_key: h.id_number.clone(),
                department: "mzj".into(),
                issued_at: now - chrono::Duration::days(days),
                valid_until: Some(today + Days::new(365) - Days::new(days as u64)),
                application: None,
                case: None,
                data: serde_json::json!({ "name": h.name, "income_per_head_fen": income, "assets_fen": assets, "members": members, "checked_on": (today - Days::new(days as u64)).to_string() }),
            }
        })
        .collect();
    state.store.pool().publish_records(&recs, None).await?;
    for h in &chosen {
        server::areas::welfare::cases::on_record(state, &h.id_number, "household_finance_check").await;
    }

    // They apply; the registry and the housing bureau handle the bundle; the duty puts them on the list.
    let mut applicants = Vec::new();
    for (i, h) in chosen.iter().enumerate() {
        let p = as_login(state, &h.id_number).await?;
        let route = if i + 1 == chosen.len() && chosen.len() > MIN_HOUSEHOLDS { "subsidy" } else { "home" };
        let phone = match state.store.registers().person_by_id_number(&h.id_number).await?.and_then(|x| x.phone) {
            Some(phone) => phone,
            None => format!("139{:08}", hash(&h.id_number, seed) % 100_000_000),
        };
        let v = housing::apply(state, &p, HousingApplyBody { route: route.into(), contact_phone: Some(phone) }).await.map_err(failed("housing application"))?;
        used.insert(h.household);
        let app = v.application.as_deref().and_then(|a| a.parse::<i64>().ok()).ok_or_else(|| ServerError::Seed("places: the housing application has no bundle".into()))?;
        handle(state, domain::ApplicationId(app)).await?;
        applicants.push(p);
    }
    housing::qualify_due(state).await.map_err(failed("qualification"))?;

    // Homes of a 公租房小区, a lottery committed, drawn and re-verified from its seed.
    let zjj = as_login(state, "zjj_clerk").await?;
    let homes = [("1", 36.80, 1u8, "1200"), ("1", 38.50, 1, "1250"), ("2", 52.30, 2, "1700"), ("2", 55.00, 2, "1780"), ("3", 68.60, 3, "2200"), ("3", 70.20, 3, "2260")];
    let mut units = Vec::new();
    for (k, (building, area, rooms, rent)) in homes.iter().enumerate() {
        let body = UnitBody {
            estate: "富阳区银湖公共租赁住房（阳光家园）".into(),
            building: format!("{building}幢"),
            number: format!("{}0{}", 2 + k % 4, 1 + k % 2),
            floor_area_m2: format!("{area:.2}"),
            rooms: *rooms,
            market_rent_yuan: (*rent).into(),
        };
        units.push(housing::add_unit(state, &zjj, body).await.map_err(failed("home"))?.id);
    }
    let year = today.year();
    let d = housing::create_draw(state, &zjj, DrawBody { title: format!("{year}年第四批公共租赁住房公开摇号配租"), homes: 4 }).await.map_err(failed("draw"))?;
    let drawn = housing::draw(state, &zjj, &d.id).await.map_err(failed("drawing"))?;
    housing::verify(state, &drawn.id, VerifyQuery { seed: drawn.seed.clone() }).await.map_err(failed("verify"))?;

    // The first home someone in line fits is offered and accepted: a lease.
    let mut offered = false;
    for u in &units {
        if housing::offer(state, &zjj, u).await.is_ok() {
            offered = true;
            break;
        }
    }
    let mut tenant = None;
    let mut waiting = None;
    for p in &applicants {
        for v in housing::mine(state, p).await.map_err(failed("household"))? {
            match (v.state.as_str(), &v.offer) {
                ("offered", Some(o)) if offered && tenant.is_none() => {
                    housing::answer_offer(state, p, &o.id, OfferAnswerBody { action: "accept".into(), reason: None }).await.map_err(failed("accepting"))?;
                    tenant = Some(p.account.login.clone());
                }
                ("waiting", _) if waiting.is_none() && v.route == "home" => waiting = Some(p.account.login.clone()),
                _ => {}
            }
        }
    }
    let mut out = vec![DemoLogin { login: "zjj_clerk".into(), who: "区住房和城乡建设局承办人（公租房资格、摇号、配租、善居）housing department".into() }];
    if let Some(l) = waiting {
        out.push(DemoLogin { login: l, who: "公租房轮候家庭（积分、摇号名次、租赁补贴）family on the housing list".into() });
    }
    if let Some(l) = tenant {
        out.push(DemoLogin { login: l, who: "公租房承租家庭（已签租赁合同）public rental tenant".into() });
    }
    Ok(out)
}

async fn shanju(state: &AppState, today: NaiveDate, households: &BTreeMap<i64, Vec<WelfarePerson>>, used: &BTreeSet<i64>) -> Result<Vec<DemoLogin>, ServerError> {
    // An elder of a household in difficulty: a low-income household's if the welfare demo found one.
    let low: BTreeSet<String> = state.store.welfare().fact_records(&["low_income_status"], None).await?.into_iter().map(|r| r.subject_key).collect();
    let candidates = || households.iter().filter(|(hh, _)| !used.contains(hh)).flat_map(|(_, m)| m.iter()).filter(|p| p.account.is_some() && age(p.birth_date, today) >= 65);
    let Some(resident) = candidates().find(|p| low.contains(&p.id_number)).or_else(|| candidates().min_by_key(|p| p.birth_date)) else {
        tracing::warn!("demo: no elder with an account for the 善居 story; none seeded");
        return Ok(Vec::new());
    };
    let Some((code, firm)) = state.store.registers().demo_enterprise().await? else {
        tracing::warn!("demo: no enterprise to do the 善居 works; none seeded");
        return Ok(Vec::new());
    };
    let zjj = as_login(state, "zjj_clerk").await?;
    let community = state.store.welfare().division_name(&resident.division).await?.unwrap_or_default();
    let town = state.store.welfare().division_name(resident.division.get(..9).unwrap_or_default()).await?.unwrap_or_default();
    let basis = if low.contains(&resident.id_number) { "低保家庭，独居老人" } else { "困难老人家庭" };
    let body = ShanjuBody { resident: resident.id_number.clone(), address: format!("富阳区{town}{community}{}号", 3 + hash(&resident.id_number, 5) % 90), basis: basis.into() };
    let v = housing::open_project(state, &zjj, body).await.map_err(failed("善居 project"))?;
    let step = |action: &str| ShanjuActionBody { action: action.into(), notes: Vec::new(), items: Vec::new(), budget_yuan: None, contractor: None, credit_code: None, passed: None, cost_yuan: None, score: None, comment: None };
    let notes = |n: &[&str]| n.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    housing::project_act(state, &zjj, &v.id, ShanjuActionBody { notes: notes(&["屋面瓦片破损，雨天漏水", "卫生间无扶手，地面湿滑", "室内电线老化裸露"]), ..step("survey") }).await.map_err(failed("survey"))?;
    let items = [("屋面防水补漏，更换破损瓦片", "6800"), ("卫生间适老化改造（扶手、防滑地砖、坐式淋浴）", "4200"), ("更换老化电线，加装漏电保护", "3500")];
    let items = items.iter().map(|(d, c)| ShanjuItemBody { description: (*d).into(), cost_yuan: (*c).into() }).collect();
    housing::project_act(state, &zjj, &v.id, ShanjuActionBody { items, budget_yuan: Some("15000".into()), ..step("plan") }).await.map_err(failed("plan"))?;
    housing::project_act(state, &zjj, &v.id, ShanjuActionBody { contractor: Some(firm), credit_code: Some(code), ..step("engage") }).await.map_err(failed("engage"))?;
    housing::project_act(state, &zjj, &v.id, step("start")).await.map_err(failed("start"))?;
    housing::project_act(state, &zjj, &v.id, ShanjuActionBody { passed: Some(true), ..step("inspect") }).await.map_err(failed("inspect"))?;
    housing::project_act(state, &zjj, &v.id, ShanjuActionBody { cost_yuan: Some("14260".into()), ..step("close") }).await.map_err(failed("close"))?;
    let me = as_login(state, &resident.id_number).await?;
    housing::project_act(state, &me, &v.id, ShanjuActionBody { score: Some(5), comment: Some("屋顶不漏了，卫生间装了扶手，洗澡放心多了".into()), ..step("rate") }).await.map_err(failed("rate"))?;
    Ok(vec![DemoLogin { login: resident.id_number.clone(), who: "善居工程受助住户（改造完成、已评价）home improved by 善居".into() }])
}
