//! Places' use cases for childcare (C4): institutions registered and inspected by the childcare
//! department (卫健), families' applications for a child of their household with walking times
//! through the streets, allocation rounds by deferred acceptance whose offers families accept or
//! decline, enrolments and withdrawals, each family's rank and why, and the supply figures per
//! town. Shared here too: the rules, the errors, who acts, and saving a change by version with its
//! claims and notices in one commit (the housing use cases in `housing.rs` use them).

use std::collections::BTreeMap;
use std::collections::HashMap;
use std::sync::LazyLock;

use chrono::DateTime;
use chrono::NaiveDate;
use chrono::Utc;
use domain::AccountId;
use domain::CreditCode;
use domain::Describe;
use domain::ErrorKind;
use domain::Fen;
use domain::Month;
use domain::china_date;
use places::childcare::AgeClass;
use places::childcare::Allocation;
use places::childcare::Application;
use places::childcare::ChildcareApplicationId;
use places::childcare::ChildcareError;
use places::childcare::ChildcareRules;
use places::childcare::ClassOffer;
use places::childcare::Criterion;
use places::childcare::Factor;
use places::childcare::Inspection;
use places::childcare::InspectionResult;
use places::childcare::Institution;
use places::childcare::InstitutionId;
use places::childcare::InstitutionKind;
use places::childcare::InstitutionStatus;
use places::childcare::OpeningHours;
use places::childcare::Outcome;
use places::childcare::Place;
use places::childcare::PlaceState;
use places::childcare::Reason;
use places::childcare::SeatCount;
use places::childcare::Staff;
use places::childcare::WalkingTime;
use places::housing::HousingRules;
use serde::Deserialize;
use serde::Serialize;
use store::Doc;
use store::DocFilter;
use store::PlaceChange;
use store::PlaceSave;
use store::PlainNotice;
use crate::areas::circles::streets::Way;
use crate::auth::Principal;
use crate::failure::Failure;
use crate::failure::Fallible;
use crate::policy::Who;
use crate::state::AppState;
use super::views::*;

/// The rules as data: childcare (`data/places/childcare.toml`) and housing
/// (`data/places/housing.toml`).
pub struct Rules {
    pub childcare: ChildcareRules,
    pub housing: HousingRules,
}

/// The shipped rules (checked by the engine's tests).
pub fn rules() -> &'static Rules {
    static RULES: LazyLock<Rules> = LazyLock::new(|| Rules {
        childcare: ChildcareRules::embedded().unwrap_or_else(|e| panic!("the shipped childcare rules are bad: {e}")),
        housing: HousingRules::embedded().unwrap_or_else(|e| panic!("the shipped housing rules are bad: {e}")),
    });
    &RULES
}

/// Walking speed for walking times: 4.5 km/h, 75 metres a minute (an adult pushing a pram).
const WALK_M_PER_MIN: f64 = 75.0;
/// A straight line is this much shorter than the way through the streets.
const DETOUR: f64 = 1.3;

// ---------------------------------------------------------------------------------------------
// Errors, documents and saving.

/// An engine error as the API answers it.
pub fn engine_error<E: Describe>(e: &E, kind: ErrorKind, field: Option<String>) -> Failure {
    let (code, zh, en) = (e.code(), e.message_zh(), e.message_en());
    match kind {
        ErrorKind::Forbidden => Failure::Forbidden { code, zh, en, field },
        ErrorKind::Conflict => Failure::Conflict { code, zh, en, field },
        _ => Failure::Invalid { code, zh, en, field },
    }
}

pub(super) fn cc_error(e: &ChildcareError) -> Failure {
    engine_error(e, e.kind(), e.field())
}

pub(super) use crate::areas::governance::cases::changed_meanwhile;
pub(super) use crate::areas::governance::cases::decode;
pub(super) use crate::areas::governance::cases::encode;

/// A document for `value`: new (version 1) or the next version of `old`.
pub(crate) fn doc_of<T: Serialize>(kind: &str, id: i64, value: &T, old: Option<&Doc>, now: DateTime<Utc>) -> Fallible<Doc> {
    Ok(Doc {
        kind: kind.to_owned(),
        id,
        parent: None,
        community: None,
        town: None,
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
        doc: encode(value)?,
        version: old.map_or(1, |o| o.version + 1),
    })
}

/// Saves a change, or answers why not: 409 `concurrent_change`, or the claim held elsewhere.
pub(super) async fn save(state: &AppState, change: &PlaceChange, claimed: impl Fn(&str, &str, i64) -> Failure) -> Fallible<()> {
    match state.store.places().save(change, state.now()).await? {
        PlaceSave::Saved => Ok(()),
        PlaceSave::Stale => Err(changed_meanwhile()),
        PlaceSave::Claimed(kind, claim, holder) => Err(claimed(&kind, &claim, holder)),
    }
}

pub(super) fn parse_id(s: &str, missing: fn() -> Failure) -> Fallible<i64> {
    s.trim().parse::<i64>().ok().filter(|n| *n > 0).ok_or_else(missing)
}

pub(super) fn parse_day(s: &str, field: &str) -> Fallible<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| Failure::invalid("bad_date", field, "日期格式应为 YYYY-MM-DD", "The date must be YYYY-MM-DD"))
}

pub(super) fn notice(state: &AppState, to: String, kind: &str, zh: String, en: String) -> PlainNotice {
    (state.parts.ids.next(), to, kind.to_owned(), zh, en)
}

/// The town (9 digits, as the division register has it) of a village or community code.
pub(super) fn town_of(division: &str) -> String {
    division.get(..9).unwrap_or(division).to_owned()
}

pub(super) async fn division_name(state: &AppState, code: &str) -> String {
    crate::areas::welfare::cases::division_name(state, code).await
}

// ---------------------------------------------------------------------------------------------
// Who acts.

/// Staff of the department with the duty (`Who::CHILDCARE` or `Who::HOUSING`), or the
/// administrator; anyone else is refused.
pub(super) fn require_staff(state: &AppState, p: &Principal, duty: Who, zh: &str, en: &str) -> Fallible<()> {
    let who = Who::of(state, Some(&p.account));
    if who.meets(duty) || who.meets(Who::ADMIN) { Ok(()) } else { Err(Failure::Forbidden { code: "places_staff_only", zh: zh.to_owned(), en: en.to_owned(), field: None }) }
}

pub(crate) fn is_staff(state: &AppState, p: &Principal, duty: Who) -> bool {
    let who = Who::of(state, Some(&p.account));
    who.meets(duty) || who.meets(Who::ADMIN)
}

fn childcare_staff(state: &AppState, p: &Principal) -> Fallible<()> {
    require_staff(state, p, Who::CHILDCARE, "只有卫生健康部门（托育）可以做这件事", "Only the childcare department may do this")
}

/// The signed-in resident's ID number.
pub(super) async fn resident_key(state: &AppState, p: &Principal) -> Fallible<String> {
    if p.account.kind == store::AccountKind::Citizen {
        let reader = crate::areas::pool::cases::reader_of(state, &p.account).await?;
        if let Some(key) = reader.own_key {
            return Ok(key);
        }
    }
    Err(Failure::Forbidden { code: "residents_only", zh: "只有居民本人可以做这件事".into(), en: "Only residents themselves may do this".into(), field: None })
}

// ---------------------------------------------------------------------------------------------
// Institutions.

fn no_institution() -> Failure {
    Failure::not_found("没有这家托育机构", "No such childcare institution")
}

fn class_label(c: AgeClass) -> String {
    rules().childcare.class(c).map(|r| r.name_zh.clone()).unwrap_or_else(|| c.code().to_owned())
}

fn kind_of(code: &str) -> Fallible<InstitutionKind> {
    Ok(match code {
        "public" => InstitutionKind::Public,
        "community" => InstitutionKind::Community,
        "kindergarten" => InstitutionKind::Kindergarten,
        "employer" => InstitutionKind::Employer,
        "private" => InstitutionKind::Private,
        _ => return Err(Failure::invalid("bad_institution_kind", "kind", "机构类型应为 public、community、kindergarten、employer 或 private", "kind must be public, community, kindergarten, employer or private")),
    })
}

fn status_of(code: Option<&str>) -> Fallible<InstitutionStatus> {
    Ok(match code.unwrap_or("open") {
        "open" => InstitutionStatus::Open,
        "suspended" => InstitutionStatus::Suspended,
        "closed" => InstitutionStatus::Closed,
        _ => return Err(Failure::invalid("bad_institution_status", "status", "状态应为 open、suspended 或 closed", "status must be open, suspended or closed")),
    })
}

fn status_code(s: InstitutionStatus) -> &'static str {
    match s {
        InstitutionStatus::Open => "open",
        InstitutionStatus::Suspended => "suspended",
        InstitutionStatus::Closed => "closed",
    }
}

fn status_label(s: InstitutionStatus) -> &'static str {
    match s {
        InstitutionStatus::Open => "正常招收",
        InstitutionStatus::Suspended => "暂停招收",
        InstitutionStatus::Closed => "已关闭",
    }
}

fn institution_doc(i: &Institution, old: Option<&Doc>, now: DateTime<Utc>) -> Fallible<Doc> {
    Ok(Doc {
        community: Some(i.community.clone()),
        town: Some(i.town.clone()),
        state: Some(status_code(i.status).to_owned()),
        n: Some(i.licensed_places() as i64),
        ..doc_of("institution", i.id.0, i, old, now)?
    })
}

/// Every institution, by id.
pub(crate) async fn all_institutions(state: &AppState) -> Fallible<Vec<Institution>> {
    state.store.places().all("institution", &DocFilter::default()).await?.iter().map(decode).collect()
}

async fn load_institution(state: &AppState, id: i64) -> Fallible<(Institution, Doc)> {
    let doc = state.store.places().doc("institution", id).await?.ok_or_else(no_institution)?;
    Ok((decode(&doc)?, doc))
}

/// Registers or changes an institution.
pub async fn save_institution(state: &AppState, p: &Principal, body: InstitutionBody) -> Fallible<InstitutionView> {
    childcare_staff(state, p)?;
    let now = state.now();
    let today = china_date(now);
    let community = body.community.trim().to_owned();
    if community.len() != 12 || !community.bytes().all(|b| b.is_ascii_digit()) {
        return Err(Failure::invalid("bad_community", "community", "社区须为 12 位行政区划代码", "community must be a 12-digit division code"));
    }
    if state.store.welfare().division_name(&community).await?.is_none() {
        return Err(Failure::invalid("unknown_community", "community", "本区没有这个村（社区）", "No such village or community in the district"));
    }
    let time = |s: &str, field: &str| chrono::NaiveTime::parse_from_str(s.trim(), "%H:%M").map_err(|_| Failure::invalid("bad_time", field, "时间格式应为 HH:MM", "The time must be HH:MM"));
    let mut classes = Vec::new();
    for (i, c) in body.classes.iter().enumerate() {
        let class = AgeClass::parse(c.class.trim()).ok_or_else(|| Failure::invalid("bad_age_class", &format!("classes[{i}].class"), "班型应为 infant、young_toddler 或 older_toddler", "class must be infant, young_toddler or older_toddler"))?;
        let fee = Fen::parse_yuan(&c.monthly_fee_yuan).map_err(|_| Failure::invalid("bad_amount", &format!("classes[{i}].monthly_fee_yuan"), "金额格式应为元，最多两位小数", "The amount must be in yuan with at most two decimals"))?;
        classes.push(ClassOffer { class, groups: c.groups, places: c.places, monthly_fee: fee });
    }
    let mut priority = Vec::new();
    for (i, c) in body.priority.iter().enumerate() {
        priority.push(Criterion::parse(c.trim()).ok_or_else(|| Failure::invalid("bad_criterion", &format!("priority[{i}]"), "优先规则应为 sibling、hardship、workplace 或 walking", "a criterion must be sibling, hardship, workplace or walking"))?);
    }
    let employer = match body.employer.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(code) => Some(CreditCode::parse(code).map_err(|_| Failure::invalid("bad_credit_code", "employer", "统一社会信用代码有误", "The unified social credit code is not valid"))?),
        None => None,
    };
    let old = match body.id {
        Some(id) => Some(load_institution(state, id as i64).await?),
        None => None,
    };
    let id = match &old {
        Some((i, _)) => i.id,
        None => InstitutionId(state.parts.ids.next()),
    };
    let inst = Institution {
        id,
        name: body.name.trim().to_owned(),
        kind: kind_of(body.kind.trim())?,
        employer,
        town: town_of(&community),
        community,
        lat: body.lat,
        lon: body.lon,
        status: status_of(body.status.as_deref().map(str::trim))?,
        hours: OpeningHours { opens: time(&body.opens, "opens")?, closes: time(&body.closes, "closes")?, weekdays: body.weekdays.clone() },
        classes,
        staff: Staff { carers: body.carers, health: body.health_staff },
        inspections: old.as_ref().map(|(i, _)| i.inspections.clone()).unwrap_or_default(),
        priority,
    };
    inst.validate(&rules().childcare, today).map_err(|e| cc_error(&e))?;
    let doc = institution_doc(&inst, old.as_ref().map(|(_, d)| d), now)?;
    save(state, &PlaceChange { docs: vec![doc], ..Default::default() }, |_, _, _| changed_meanwhile()).await?;
    let held = held_seats(state).await?;
    institution_view(state, &inst, &held, None).await
}

/// Records an inspection.
pub async fn inspect(state: &AppState, p: &Principal, id: &str, body: InspectionBody) -> Fallible<InstitutionView> {
    childcare_staff(state, p)?;
    let now = state.now();
    let (mut inst, doc) = load_institution(state, parse_id(id, no_institution)?).await?;
    let result = match body.result.trim() {
        "pass" => InspectionResult::Pass,
        "fail" => InspectionResult::Fail,
        _ => return Err(Failure::invalid("bad_inspection_result", "result", "检查结果应为 pass 或 fail", "result must be pass or fail")),
    };
    let inspector = format!("{}（{}）", p.account.display_name, p.department().unwrap_or("admin"));
    let x = Inspection { date: parse_day(&body.date, "date")?, inspector, result, findings: body.findings.iter().map(|f| f.trim().to_owned()).filter(|f| !f.is_empty()).collect() };
    inst.record_inspection(x, china_date(now)).map_err(|e| cc_error(&e))?;
    save(state, &PlaceChange { docs: vec![institution_doc(&inst, Some(&doc), now)?], ..Default::default() }, |_, _, _| changed_meanwhile()).await?;
    let held = held_seats(state).await?;
    institution_view(state, &inst, &held, None).await
}

/// Seats held per (institution, class): enrolled (and withdrawn until their last day) and offered.
#[derive(Default)]
pub(super) struct Held {
    enrolled: HashMap<(InstitutionId, AgeClass), u32>,
    offered: HashMap<(InstitutionId, AgeClass), u32>,
}

impl Held {
    fn enrolled_counts(&self) -> Vec<SeatCount> {
        let all: BTreeMap<(InstitutionId, AgeClass), u32> = self.enrolled.iter().map(|(k, n)| (*k, *n)).collect();
        all.into_iter().map(|((institution, class), count)| SeatCount { institution, class, count }).collect()
    }
}

/// The places that hold a seat now, as stored.
async fn live_places(state: &AppState) -> Fallible<Vec<(Place, Doc)>> {
    let docs = state.store.places().all("place", &DocFilter { open: Some(true), ..Default::default() }).await?;
    docs.into_iter().map(|d| Ok((decode(&d)?, d))).collect()
}

async fn held_seats(state: &AppState) -> Fallible<Held> {
    let today = china_date(state.now());
    let mut held = Held::default();
    for (pl, _) in live_places(state).await? {
        if pl.state == PlaceState::Offered {
            *held.offered.entry((pl.institution, pl.class)).or_default() += 1;
        } else if pl.holds_seat_on(today) {
            *held.enrolled.entry((pl.institution, pl.class)).or_default() += 1;
        }
    }
    Ok(held)
}

async fn institution_view(state: &AppState, i: &Institution, held: &Held, walk: Option<(u32, &'static str)>) -> Fallible<InstitutionView> {
    let r = &rules().childcare;
    Ok(InstitutionView {
        id: i.id.to_string(),
        name: i.name.clone(),
        kind: i.kind.code().to_owned(),
        kind_label: i.kind.name_zh().to_owned(),
        employer: i.employer.as_ref().map(|c| c.as_str().to_owned()),
        town: i.town.clone(),
        town_name: division_name(state, &i.town).await,
        community: i.community.clone(),
        lat: i.lat,
        lon: i.lon,
        status: status_code(i.status).to_owned(),
        status_label: status_label(i.status).to_owned(),
        hours: format!("{}–{}", i.hours.opens.format("%H:%M"), i.hours.closes.format("%H:%M")),
        weekdays: i.hours.weekdays.clone(),
        classes: i
            .classes
            .iter()
            .map(|c| {
                let enrolled = held.enrolled.get(&(i.id, c.class)).copied().unwrap_or(0);
                let offered = held.offered.get(&(i.id, c.class)).copied().unwrap_or(0);
                ClassView {
                    class: c.class.code().to_owned(),
                    class_label: class_label(c.class),
                    groups: c.groups,
                    places: c.places,
                    enrolled,
                    offered,
                    free: if i.status == InstitutionStatus::Open { c.places.saturating_sub(enrolled + offered) } else { 0 },
                    monthly_fee_yuan: c.monthly_fee.to_yuan_string(),
                }
            })
            .collect(),
        carers: i.staff.carers,
        health_staff: i.staff.health,
        inspections: i
            .inspections
            .iter()
            .map(|x| InspectionView {
                date: x.date.to_string(),
                inspector: x.inspector.clone(),
                result: match x.result {
                    InspectionResult::Pass => "合格".into(),
                    InspectionResult::Fail => "不合格".into(),
                },
                findings: x.findings.clone(),
            })
            .collect(),
        priority: i
            .priority_order(r)
            .iter()
            .filter_map(|c| r.criterion(*c))
            .map(|c| CriterionView { code: c.criterion.code().to_owned(), label: c.label_zh.clone(), label_en: c.label_en.clone() })
            .chain(std::iter::once(CriterionView { code: "tie_break".into(), label: r.tie_break_zh.clone(), label_en: r.tie_break_en.clone() }))
            .collect(),
        walking_minutes: walk.map(|w| w.0),
        walking_method: walk.map(|w| w.1.to_owned()),
    })
}

/// Walking minutes from `home` to each point: through the streets where the network is loaded,
/// else the straight line × 1.3.
pub(super) async fn walking(state: &AppState, home: (f64, f64), to: &[(f64, f64)]) -> Vec<(u32, &'static str)> {
    let ways = crate::areas::circles::streets::ways(state, home, to.to_vec()).await;
    to.iter()
        .enumerate()
        .map(|(i, p)| {
            let (metres, how) = match ways.as_ref().and_then(|w| w.get(i)) {
                Some(Way::Metres(m)) => (*m, "street_network"),
                _ => (governance::permits::distance_m(home, *p) * DETOUR, "straight_line"),
            };
            (((metres / WALK_M_PER_MIN).ceil() as u32).clamp(1, places::childcare::application::MAX_WALKING_MINUTES), how)
        })
        .collect()
}

fn valid_point(lat: Option<f64>, lon: Option<f64>) -> Fallible<Option<(f64, f64)>> {
    match (lat, lon) {
        (Some(a), Some(o)) if a.is_finite() && o.is_finite() && (-90.0..=90.0).contains(&a) && (-180.0..=180.0).contains(&o) => Ok(Some((a, o))),
        (None, None) => Ok(None),
        _ => Err(Failure::invalid("bad_point", "lat", "位置须同时给出有效的纬度和经度", "Give both a valid latitude and longitude")),
    }
}

/// The institutions (open ones; staff: all), with free places and walking times from a home.
pub async fn institutions(state: &AppState, p: Option<&Principal>, q: InstitutionQuery) -> Fallible<Vec<InstitutionView>> {
    let home = valid_point(q.lat, q.lon)?;
    let class = match q.class.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(c) => Some(AgeClass::parse(c).ok_or_else(|| Failure::invalid("bad_age_class", "class", "班型应为 infant、young_toddler 或 older_toddler", "class must be infant, young_toddler or older_toddler"))?),
        None => None,
    };
    let staff = p.is_some_and(|p| is_staff(state, p, Who::CHILDCARE));
    let mut list: Vec<Institution> = all_institutions(state).await?;
    list.retain(|i| (staff && q.all == Some(true)) || i.status == InstitutionStatus::Open);
    if let Some(t) = q.town.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        list.retain(|i| i.town == t);
    }
    if let Some(c) = class {
        list.retain(|i| i.offer(c).is_some());
    }
    let walks = match home {
        Some(h) => Some(walking(state, h, &list.iter().map(|i| (i.lat, i.lon)).collect::<Vec<_>>()).await),
        None => None,
    };
    let held = held_seats(state).await?;
    let mut out = Vec::new();
    for (n, i) in list.iter().enumerate() {
        out.push(institution_view(state, i, &held, walks.as_ref().and_then(|w| w.get(n).copied())).await?);
    }
    if home.is_some() {
        out.sort_by_key(|v| (v.walking_minutes.unwrap_or(u32::MAX), v.id.clone()));
    }
    Ok(out)
}

/// One institution.
pub async fn institution(state: &AppState, id: &str) -> Fallible<InstitutionView> {
    let (inst, _) = load_institution(state, parse_id(id, no_institution)?).await?;
    let held = held_seats(state).await?;
    institution_view(state, &inst, &held, None).await
}

// ---------------------------------------------------------------------------------------------
// Applications.

/// An application as the store keeps it: the engine's application and where it stands.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Filed {
    pub app: Application,
    /// waiting | offered | enrolled | withdrawn | closed
    pub state: String,
    pub child_key: String,
    pub child_name: String,
    pub town: String,
    pub submitted_at: DateTime<Utc>,
    pub round: Option<i64>,
    pub outcome: Option<Outcome>,
    /// The place offered or held.
    pub place: Option<i64>,
}

fn no_application() -> Failure {
    Failure::not_found("没有这份入托申请", "No such childcare application")
}

fn app_state_label(s: &str) -> &'static str {
    match s {
        "waiting" => "轮候中",
        "offered" => "已录取，待确认",
        "enrolled" => "已入托",
        "withdrawn" => "已撤回",
        "closed" => "已退托",
        _ => "未知",
    }
}

fn application_doc(f: &Filed, old: Option<&Doc>, now: DateTime<Utc>) -> Fallible<Doc> {
    Ok(Doc {
        town: Some(f.town.clone()),
        state: Some(f.state.clone()),
        open: matches!(f.state.as_str(), "waiting" | "offered"),
        actor: Some(f.app.family.0),
        created_at: f.submitted_at,
        closed_at: (f.state == "enrolled").then_some(now),
        n: Some(f.app.preferences.len() as i64),
        ..doc_of("application", f.app.id.0, f, old, now)?
    })
}

fn place_doc(id: i64, pl: &Place, town: &str, old: Option<&Doc>, today: NaiveDate, now: DateTime<Utc>) -> Fallible<Doc> {
    Ok(Doc {
        parent: Some(pl.institution.0),
        town: Some(town.to_owned()),
        state: Some(pl.state.code().to_owned()),
        open: pl.state == PlaceState::Offered || pl.holds_seat_on(today),
        actor: Some(pl.family.0),
        closed_at: pl.last_day.map(|d| d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc()),
        n: Some(pl.monthly_fee.0),
        ..doc_of("place", id, pl, old, now)?
    })
}

/// Whether the household of the child has a hardship status (低保, or a member with a grade 1–2
/// disability) on `today`, from the shared registers; and the parents' employers (credit codes
/// from their social insurance records).
async fn family_facts(state: &AppState, child_key: &str, today: NaiveDate) -> Fallible<(bool, Vec<CreditCode>)> {
    use crate::areas::welfare::facts::FACT_TYPES;
    let households = state.store.welfare().households_of(&[child_key.to_owned()]).await?;
    let people = state.store.welfare().people_of_households(&households).await?;
    let keys: Vec<String> = people.iter().map(|p| p.id_number.clone()).collect();
    let records = state.store.welfare().fact_records(FACT_TYPES, Some(&keys)).await?;
    let g = crate::areas::welfare::facts::gather(people, &records, today);
    let hardship = g.facts.values().any(|f| f.dibao || f.disability_grade.is_some_and(|d| d <= 2));
    let insurance = state.store.welfare().fact_records(&["social_insurance_record"], Some(&keys)).await?;
    let mut employers = Vec::new();
    for r in insurance {
        if r.valid_until.is_some_and(|u| u < today) {
            continue;
        }
        let data: serde_json::Value = serde_json::from_str(&r.data).unwrap_or_default();
        if let Some(c) = data.get("unit_credit_code").and_then(|v| v.as_str()).and_then(|s| CreditCode::parse(s).ok())
            && !employers.contains(&c)
        {
            employers.push(c);
        }
    }
    Ok((hardship, employers))
}

/// The children under three of the signed-in resident's household, by the register: (ID number,
/// name, birth date) — whom the resident may apply for (others are refused as `not_your_child`).
pub async fn household_children(state: &AppState, p: &Principal) -> Fallible<Vec<(String, String, String)>> {
    let Ok(me) = resident_key(state, p).await else { return Ok(Vec::new()) };
    let today = china_date(state.now());
    let households = state.store.welfare().households_of(std::slice::from_ref(&me)).await?;
    let people = state.store.welfare().people_of_households(&households).await?;
    Ok(people
        .into_iter()
        .filter(|c| c.id_number != me && today.years_since(c.birth_date).is_some_and(|y| y < 3))
        .map(|c| (c.id_number, c.name, c.birth_date.to_string()))
        .collect())
}

/// A family applies for a place for a child of its household.
pub async fn apply(state: &AppState, p: &Principal, body: ChildcareApplyBody) -> Fallible<ApplicationView> {
    let me = resident_key(state, p).await?;
    let now = state.now();
    let today = china_date(now);
    let child_key = body.child.trim().to_owned();
    let parent = state.store.registers().person_by_id_number(&me).await?.ok_or_else(|| Failure::not_found("人口库中没有您的户籍信息", "You are not in the population register"))?;
    let child = state.store.registers().person_by_id_number(&child_key).await?.filter(|c| c.household == parent.household && c.id_number != me).ok_or_else(|| {
        Failure::invalid("not_your_child", "child", "户籍信息中您的家庭没有这个孩子", "No such child in your household in the register")
    })?;
    let start_date = parse_day(&body.start_date, "start_date")?;
    let mut preferences = Vec::new();
    for (i, s) in body.preferences.iter().enumerate() {
        let id = s.trim().parse::<i64>().map_err(|_| Failure::invalid("unknown_institution", &format!("preferences[{i}]"), format!("第 {} 志愿：没有这家托育机构", i + 1), format!("Preference {}: no such childcare institution", i + 1)))?;
        preferences.push(InstitutionId(id));
    }
    // Walking time from home is one of the priority rules: the home's place is needed.
    let home = valid_point(body.home_lat, body.home_lon)?.ok_or_else(|| {
        Failure::invalid("home_required", "home_lat", "请在地图上标出家的位置（用于计算到各托育机构的步行时间）", "Give your home's location (walking times to the institutions are computed from it)")
    })?;
    let institutions = all_institutions(state).await?;
    let mut walking_times = Vec::new();
    {
        let h = home;
        let points: Vec<(f64, f64)> = preferences.iter().filter_map(|id| institutions.iter().find(|i| i.id == *id)).map(|i| (i.lat, i.lon)).collect();
        let ids: Vec<InstitutionId> = preferences.iter().filter(|id| institutions.iter().any(|i| i.id == **id)).copied().collect();
        for (id, (minutes, _)) in ids.iter().zip(walking(state, h, &points).await) {
            walking_times.push(WalkingTime { institution: *id, minutes });
        }
    }
    // Each preference named by its place in the list and, where it exists, by its name.
    for (i, id) in preferences.iter().enumerate() {
        let field = format!("preferences[{i}]");
        match institutions.iter().find(|x| x.id == *id) {
            None => return Err(Failure::invalid("unknown_institution", &field, format!("第 {} 志愿：没有这家托育机构", i + 1), format!("Preference {}: no such childcare institution", i + 1))),
            Some(x) if x.status != InstitutionStatus::Open => {
                return Err(Failure::invalid(
                    "institution_closed",
                    &field,
                    format!("第 {} 志愿「{}」{}，请选择其他机构", i + 1, x.name, status_label(x.status)),
                    format!("Preference {}: {} does not take children now ({})", i + 1, x.name, status_code(x.status)),
                ));
            }
            Some(_) => {}
        }
    }
    let (hardship, employers) = family_facts(state, &child_key, today).await?;
    let siblings_at: Vec<InstitutionId> = live_places(state).await?.into_iter().filter(|(pl, _)| pl.family == p.id() && pl.state == PlaceState::Enrolled && pl.child != child.id).map(|(pl, _)| pl.institution).collect();
    let app = Application {
        id: ChildcareApplicationId(state.parts.ids.next()),
        family: p.id(),
        child: child.id,
        birth_date: child.birth_date,
        start_date,
        preferences,
        siblings_at,
        hardship,
        employers,
        walking: walking_times,
        holds: None,
    };
    app.validate(&rules().childcare, &institutions, today).map_err(|e| cc_error(&e))?;
    let filed = Filed { app, state: "waiting".into(), child_key: child_key.clone(), child_name: child.name.clone(), town: town_of(&child.division), submitted_at: now, round: None, outcome: None, place: None };
    let doc = application_doc(&filed, None, now)?;
    let change = PlaceChange { docs: vec![doc], claims: vec![("child".into(), child_key, filed.app.id.0)], ..Default::default() };
    save(state, &change, |_, _, _| Failure::Conflict {
        code: "child_already_applied",
        zh: "这个孩子已有一份在办的入托申请，请在原申请中修改或撤回后再申请".into(),
        en: "This child already has an application in progress; change or withdraw it first".into(),
        field: Some("child".into()),
    })
    .await?;
    application_view(state, &filed, &institutions).await
}

async fn load_application(state: &AppState, id: i64) -> Fallible<(Filed, Doc)> {
    let doc = state.store.places().doc("application", id).await?.ok_or_else(no_application)?;
    Ok((decode(&doc)?, doc))
}

fn factor_views(factors: &[Factor]) -> Vec<FactorView> {
    let r = &rules().childcare;
    let yes = |b: &bool| if *b { "是".to_owned() } else { "否".to_owned() };
    factors
        .iter()
        .map(|f| {
            let (c, value) = match f {
                Factor::Sibling(b) => (Some(Criterion::Sibling), yes(b)),
                Factor::Hardship(b) => (Some(Criterion::Hardship), yes(b)),
                Factor::Workplace(b) => (Some(Criterion::Workplace), yes(b)),
                Factor::Walking(m) => (Some(Criterion::Walking), if *m == u32::MAX { "未知".into() } else { format!("{m} 分钟") }),
                Factor::TieBreak(t) => (None, t.clone()),
            };
            let (code, label) = match c.and_then(|c| r.criterion(c)) {
                Some(rule) => (rule.criterion.code().to_owned(), rule.label_zh.clone()),
                None => ("tie_break".to_owned(), r.tie_break_zh.clone()),
            };
            FactorView { criterion: code, label, value }
        })
        .collect()
}

async fn place_view(state: &AppState, id: i64, pl: &Place, names: &HashMap<InstitutionId, String>) -> PlaceView {
    let _ = state;
    let month = Month::of(china_date(state.now()));
    PlaceView {
        id: id.to_string(),
        institution: pl.institution.to_string(),
        institution_name: names.get(&pl.institution).cloned().unwrap_or_default(),
        class_label: class_label(pl.class),
        state: pl.state.code().to_owned(),
        state_label: match pl.state {
            PlaceState::Offered => "已录取，待确认",
            PlaceState::Enrolled => "在托",
            PlaceState::Declined => "已放弃",
            PlaceState::Withdrawn => "已退托",
        }
        .to_owned(),
        monthly_fee_yuan: pl.monthly_fee.to_yuan_string(),
        offered_on: pl.offered_on.to_string(),
        start_date: pl.start_date.map(|d| d.to_string()),
        last_day: pl.last_day.map(|d| d.to_string()),
        fee_this_month_yuan: matches!(pl.state, PlaceState::Enrolled | PlaceState::Withdrawn).then(|| pl.fee_for(month).to_yuan_string()),
    }
}

async fn application_view(state: &AppState, f: &Filed, institutions: &[Institution]) -> Fallible<ApplicationView> {
    let names: HashMap<InstitutionId, String> = institutions.iter().map(|i| (i.id, i.name.clone())).collect();
    let class = f.app.class(&rules().childcare).map_err(|e| cc_error(&e))?;
    let place = match f.place {
        Some(id) => match state.store.places().doc("place", id).await? {
            Some(d) => Some(place_view(state, id, &decode::<Place>(&d)?, &names).await),
            None => None,
        },
        None => None,
    };
    Ok(ApplicationView {
        id: f.app.id.to_string(),
        child: domain::mask::id_number(&f.child_key),
        child_name: f.child_name.clone(),
        birth_date: f.app.birth_date.to_string(),
        class: class.code().to_owned(),
        class_label: class_label(class),
        start_date: f.app.start_date.to_string(),
        state: f.state.clone(),
        state_label: app_state_label(&f.state).to_owned(),
        preferences: f.app.preferences.iter().map(|id| PreferenceView { institution: id.to_string(), name: names.get(id).cloned().unwrap_or_default(), walking_minutes: f.app.walking_minutes(*id) }).collect(),
        hardship: f.app.hardship,
        submitted_at: f.submitted_at.to_rfc3339(),
        round: f.round.map(|r| r.to_string()),
        why: f
            .outcome
            .iter()
            .flat_map(|o| o.not_admitted.iter())
            .filter(|_| f.state == "waiting" || f.state == "offered")
            .map(|x| WhyView {
                institution: x.institution.to_string(),
                institution_name: names.get(&x.institution).cloned().unwrap_or_default(),
                class_label: class_label(x.class),
                preference: x.preference,
                waiting_rank: x.waiting_rank,
                reason: match x.reason {
                    Reason::Outranked { .. } => "outranked",
                    Reason::NoFreePlaces => "no_free_places",
                    Reason::NotTakingChildren => "not_taking_children",
                    Reason::ClassNotOffered => "class_not_offered",
                }
                .to_owned(),
                yours: factor_views(&x.yours),
                cutoff: x.cutoff.as_deref().map(factor_views).unwrap_or_default(),
                text: x.text_zh.clone(),
                text_en: x.text_en.clone(),
            })
            .collect(),
        place,
    })
}

/// The caller's applications, with rank and why.
pub async fn my_applications(state: &AppState, p: &Principal) -> Fallible<Vec<ApplicationView>> {
    let docs = state.store.places().all("application", &DocFilter { actor: Some(p.id().0), ..Default::default() }).await?;
    let institutions = all_institutions(state).await?;
    let mut out = Vec::new();
    for d in docs.iter().rev() {
        out.push(application_view(state, &decode(d)?, &institutions).await?);
    }
    Ok(out)
}

/// One application: its family, or the childcare department (the read logged where the child's
/// family sees it).
pub async fn application(state: &AppState, p: &Principal, id: &str) -> Fallible<ApplicationView> {
    let (f, _) = load_application(state, parse_id(id, no_application)?).await?;
    if f.app.family != p.id() {
        if !is_staff(state, p, Who::CHILDCARE) {
            return Err(no_application());
        }
        crate::areas::welfare::cases::log_reads(state, p, std::iter::once((f.child_key.clone(), format!("childcare_application/{}", f.app.id)))).await?;
    }
    application_view(state, &f, &all_institutions(state).await?).await
}

/// The applications waiting or offered (the childcare department), a town's or all; ID numbers
/// masked.
pub async fn queue(state: &AppState, p: &Principal, town: Option<String>) -> Fallible<Vec<ApplicationView>> {
    childcare_staff(state, p)?;
    let f = DocFilter { open: Some(true), town: town.filter(|t| !t.trim().is_empty()), ..Default::default() };
    let (docs, _) = state.store.places().list("application", &f, store::Page::new(500, 0)).await?;
    let institutions = all_institutions(state).await?;
    let mut out = Vec::new();
    let mut subjects = Vec::new();
    for d in &docs {
        let filed: Filed = decode(d)?;
        subjects.push((filed.child_key.clone(), format!("childcare_application/{}", filed.app.id)));
        out.push(application_view(state, &filed, &institutions).await?);
    }
    crate::areas::welfare::cases::log_reads(state, p, subjects.into_iter()).await?;
    Ok(out)
}

/// A family accepts or declines an offered place, withdraws its application, or leaves.
pub async fn act(state: &AppState, p: &Principal, id: &str, body: ChildcareActionBody) -> Fallible<ApplicationView> {
    let now = state.now();
    let today = china_date(now);
    let (mut f, doc) = load_application(state, parse_id(id, no_application)?).await?;
    if f.app.family != p.id() {
        return Err(no_application());
    }
    let mut change = PlaceChange::default();
    let place = match f.place {
        Some(pid) => {
            let d = state.store.places().doc("place", pid).await?.ok_or_else(no_application)?;
            Some((pid, decode::<Place>(&d)?, d))
        }
        None => None,
    };
    let wrong = |action: &'static str, st: &str| Failure::Conflict {
        code: "wrong_state",
        zh: format!("申请当前为「{}」，不能执行此操作", app_state_label(st)),
        en: format!("cannot {action} when the application is {st}"),
        field: Some("action".into()),
    };
    match body.action.trim() {
        "accept" => {
            let Some((pid, mut pl, pd)) = place.filter(|_| f.state == "offered") else { return Err(wrong("accept", &f.state)) };
            let start = match body.start_date.as_deref() {
                Some(s) => parse_day(s, "start_date")?,
                None => f.app.start_date.max(today),
            };
            pl.accept(start).map_err(|e| cc_error(&e))?;
            f.state = "enrolled".into();
            change.docs.push(place_doc(pid, &pl, &f.town, Some(&pd), today, now)?);
            change.releases.push(("child".into(), f.child_key.clone()));
        }
        "decline" => {
            let Some((pid, mut pl, pd)) = place.filter(|_| f.state == "offered") else { return Err(wrong("decline", &f.state)) };
            pl.decline().map_err(|e| cc_error(&e))?;
            f.state = "withdrawn".into();
            f.place = None;
            change.docs.push(place_doc(pid, &pl, &f.town, Some(&pd), today, now)?);
            change.releases.push(("child".into(), f.child_key.clone()));
        }
        "withdraw" => {
            if f.state != "waiting" {
                return Err(wrong("withdraw", &f.state));
            }
            f.state = "withdrawn".into();
            change.releases.push(("child".into(), f.child_key.clone()));
        }
        "leave" => {
            let Some((pid, mut pl, pd)) = place.filter(|_| f.state == "enrolled") else { return Err(wrong("leave", &f.state)) };
            let last = parse_day(body.last_day.as_deref().unwrap_or(""), "last_day")?;
            if last < today {
                return Err(Failure::invalid("bad_date", "last_day", "退托日期不能早于今天", "The last day must not be before today"));
            }
            pl.withdraw(last).map_err(|e| cc_error(&e))?;
            f.state = "closed".into();
            change.docs.push(place_doc(pid, &pl, &f.town, Some(&pd), today, now)?);
        }
        _ => return Err(Failure::invalid("unknown_action", "action", "操作应为 accept、decline、withdraw 或 leave", "action must be accept, decline, withdraw or leave")),
    }
    change.docs.push(application_doc(&f, Some(&doc), now)?);
    save(state, &change, |_, _, _| changed_meanwhile()).await?;
    application_view(state, &f, &all_institutions(state).await?).await
}

// ---------------------------------------------------------------------------------------------
// Allocation rounds.

/// A round as the store keeps it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Round {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub by: i64,
    pub seed: String,
    pub applications: usize,
    pub offered: usize,
    pub seats_left: u64,
}

fn round_view(r: &Round) -> RoundView {
    RoundView { id: r.id.to_string(), at: r.at.to_rfc3339(), seed: r.seed.clone(), applications: r.applications, offered: r.offered, waiting: r.applications - r.offered, seats_left: r.seats_left }
}

/// What one round decided, before it is saved.
pub struct RoundPlan {
    pub round: Round,
    pub change: PlaceChange,
    pub allocation: Allocation,
}

/// Plans a round over what is stored: the waiting applications, and those holding an offer with
/// their preferences up to it — admitted there before anyone else, so that they keep the offer
/// unless they get one they prefer, whose place then goes to the next family in the same round.
/// Nothing is saved.
pub async fn plan_round(state: &AppState, by: AccountId, seed: String) -> Fallible<RoundPlan> {
    let now = state.now();
    let today = china_date(now);
    let institutions = all_institutions(state).await?;
    let held = held_seats(state).await?;
    let places = live_places(state).await?;
    let app_docs = state.store.places().all("application", &DocFilter { open: Some(true), ..Default::default() }).await?;
    let mut filed: Vec<(Filed, Doc)> = Vec::with_capacity(app_docs.len());
    for d in app_docs {
        filed.push((decode(&d)?, d));
    }
    let offered: HashMap<i64, &(Place, Doc)> = places.iter().filter(|(pl, _)| pl.state == PlaceState::Offered).map(|x| (x.1.id, x)).collect();
    let mut apps = Vec::with_capacity(filed.len());
    let mut index = Vec::with_capacity(filed.len());
    for (i, (f, _)) in filed.iter().enumerate() {
        let mut a = f.app.clone();
        if f.state == "offered" {
            let Some((pl, _)) = f.place.and_then(|id| offered.get(&id)).map(|x| &**x) else { continue };
            let Some(pos) = a.preferences.iter().position(|p| *p == pl.institution) else { continue };
            a.preferences.truncate(pos + 1);
            a.holds = Some(pl.institution);
        }
        // Drop preferences that closed since the family applied: the round goes on without them.
        a.preferences.retain(|id| institutions.iter().any(|x| x.id == *id && x.status != InstitutionStatus::Closed));
        if a.preferences.is_empty() || a.class(&rules().childcare).is_err() {
            continue;
        }
        apps.push(a);
        index.push(i);
    }
    // Seats taken: enrolled children's, and offers of families not in this round (none, unless an
    // offer's application could not take part); the offers of those in it are allocated again.
    let in_round: std::collections::HashSet<i64> = index.iter().filter_map(|&i| filed[i].0.place).collect();
    let mut taken = held.enrolled_counts();
    for (pl, _) in places.iter().filter(|(pl, d)| pl.state == PlaceState::Offered && !in_round.contains(&d.id)) {
        match taken.iter_mut().find(|s| s.institution == pl.institution && s.class == pl.class) {
            Some(s) => s.count += 1,
            None => taken.push(SeatCount { institution: pl.institution, class: pl.class, count: 1 }),
        }
    }
    let allocation = places::childcare::allocate(&rules().childcare, &institutions, &apps, &taken, &seed).map_err(|e| cc_error(&e))?;
    let by_inst: HashMap<InstitutionId, &Institution> = institutions.iter().map(|i| (i.id, i)).collect();
    let round = Round {
        id: state.parts.ids.next(),
        at: now,
        by: by.0,
        seed: seed.clone(),
        applications: apps.len(),
        offered: allocation.outcomes.iter().filter(|o| o.assigned.is_some()).count(),
        seats_left: allocation.seats.iter().map(|s| u64::from(s.free.saturating_sub(s.admitted.len() as u32))).sum(),
    };
    let mut change = PlaceChange::default();
    for (o, &i) in allocation.outcomes.iter().zip(&index) {
        let (f, d) = &filed[i];
        let mut f = f.clone();
        f.round = Some(round.id);
        f.outcome = Some(o.clone());
        let kept = o.assigned.is_some_and(|a| f.place.and_then(|id| offered.get(&id)).is_some_and(|(pl, _)| pl.institution == a.institution && pl.class == a.class));
        if let Some(a) = o.assigned.as_ref().filter(|_| !kept) {
            let Some(inst) = by_inst.get(&a.institution) else { continue };
            // A better offer replaces the one held: that place goes back.
            if let Some((old, od)) = f.place.and_then(|id| offered.get(&id)).map(|x| &**x) {
                let mut old = old.clone();
                old.decline().map_err(|e| cc_error(&e))?;
                change.docs.push(place_doc(od.id, &old, &f.town, Some(od), today, now)?);
            }
            let pl = Place::offer(&f.app, a, inst, today).map_err(|e| cc_error(&e))?;
            let pid = state.parts.ids.next();
            change.docs.push(place_doc(pid, &pl, &f.town, None, today, now)?);
            f.place = Some(pid);
            f.state = "offered".into();
            change.notices.push(notice(
                state,
                format!("account:{}", f.app.family),
                "childcare_offer",
                format!("{} 已被「{}」{}录取（第 {} 志愿），请在入托申请中确认入托或放弃", f.child_name, inst.name, class_label(a.class), a.preference),
                format!("{} was offered a place at {} (preference {}); accept or decline it on the application", f.child_name, inst.name, a.preference),
            ));
        }
        if o.assigned.is_none()
            && let Some(x) = o.not_admitted.first()
        {
            // Still waiting: told where it stands and why, once per round.
            let name = by_inst.get(&x.institution).map(|i| i.name.clone()).unwrap_or_default();
            change.notices.push(notice(
                state,
                format!("account:{}", f.app.family),
                "childcare_waiting",
                format!("{} 本轮暂未录取；第一志愿「{name}」：{}", f.child_name, x.text_zh),
                format!("{} was not offered a place in this round; first choice {name}: {}", f.child_name, x.text_en),
            ));
        }
        change.docs.push(application_doc(&f, Some(d), now)?);
    }
    change.docs.push(Doc { state: Some("done".into()), year: Some(i64::from(chrono::Datelike::year(&today))), n: Some(round.applications as i64), closed_at: Some(now), ..doc_of("round", round.id, &round, None, now)? });
    Ok(RoundPlan { round, change, allocation })
}

/// Runs an allocation round and saves its offers (the childcare department).
pub async fn run_round(state: &AppState, p: &Principal, body: RoundBody) -> Fallible<RoundView> {
    childcare_staff(state, p)?;
    let seed = match body.seed.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()) {
        Some(s) => s,
        None => {
            let mut raw = [0u8; 16];
            rand::RngCore::fill_bytes(&mut rand::rng(), &mut raw);
            hex::encode(raw)
        }
    };
    let plan = plan_round(state, p.id(), seed).await?;
    save(state, &plan.change, |_, _, _| changed_meanwhile()).await?;
    tracing::info!(round = plan.round.id, applications = plan.round.applications, offered = plan.round.offered, "childcare: allocation round");
    Ok(round_view(&plan.round))
}

/// The rounds, newest first.
pub async fn rounds(state: &AppState, p: &Principal) -> Fallible<Vec<RoundView>> {
    childcare_staff(state, p)?;
    let (docs, _) = state.store.places().list("round", &DocFilter { by_created: true, ..Default::default() }, store::Page::new(100, 0)).await?;
    docs.iter().map(|d| decode::<Round>(d).map(|r| round_view(&r))).collect()
}

// ---------------------------------------------------------------------------------------------
// Figures.

/// The supply of places per town and for the district: places per 1,000 residents against the
/// norm, places per child under 3 from the register, utilisation and families waiting.
pub async fn figures(state: &AppState) -> Fallible<ChildcareFiguresView> {
    use places::childcare::supply::Birth;
    use places::childcare::supply::TownPopulation;
    let today = china_date(state.now());
    let institutions = all_institutions(state).await?;
    let held = held_seats(state).await?;
    let enrolled: Vec<SeatCount> = held.enrolled.iter().map(|((i, c), n)| SeatCount { institution: *i, class: *c, count: *n }).collect();
    let people = state.store.welfare().people_all().await?;
    let mut residents: BTreeMap<String, u64> = BTreeMap::new();
    let mut births = Vec::new();
    for p in &people {
        let town = town_of(&p.division);
        *residents.entry(town.clone()).or_default() += 1;
        births.push(Birth { town, birth_date: p.birth_date });
    }
    let towns: Vec<TownPopulation> = residents.into_iter().map(|(town, residents)| TownPopulation { town, residents, children_under_3: None }).collect();
    let waiting: Vec<Application> = state.store.places().all("application", &DocFilter { state: Some("waiting".into()), ..Default::default() }).await?.iter().map(|d| decode::<Filed>(d).map(|f| f.app)).collect::<Fallible<_>>()?;
    let s = places::childcare::supply(&rules().childcare, &institutions, &enrolled, &towns, &births, &waiting, today).map_err(|e| cc_error(&e))?;
    let r = &rules().childcare;
    let mut out_towns = Vec::new();
    for t in &s.towns {
        out_towns.push(supply_view(state, t).await);
    }
    Ok(ChildcareFiguresView { on: today.to_string(), norm_per_1000: r.norm.places_per_1000, norm_source: r.norm.source_zh.clone(), towns: out_towns, district: supply_view(state, &s.district).await })
}

async fn supply_view(state: &AppState, t: &places::childcare::SupplyFigures) -> SupplyView {
    let town = t.town.as_deref().map(town_of);
    SupplyView {
        town_name: match &town {
            Some(c) => division_name(state, c).await,
            None => "全区".into(),
        },
        town,
        institutions: t.institutions,
        licensed_places: t.licensed_places,
        enrolled: t.enrolled,
        empty_places: t.empty_places,
        utilisation_pct: t.utilisation.map(|u| (u * 1000.0).round() / 10.0),
        residents: t.residents,
        places_per_1000: t.places_per_1000.map(|x| (x * 100.0).round() / 100.0),
        norm_per_1000: t.norm_per_1000,
        places_short_of_norm: t.places_short_of_norm,
        children_under_3: t.children_under_3,
        places_per_child: t.places_per_child.map(|x| (x * 100.0).round() / 100.0),
        families_waiting: t.families_waiting,
    }
}

/// The monthly fee of a place for a month (for the fee statements).
pub fn fee_for(pl: &Place, month: Month) -> Fen {
    pl.fee_for(month)
}
