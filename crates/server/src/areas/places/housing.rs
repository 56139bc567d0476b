//! Places' use cases for public rental housing (C5) and 善居 home improvements: eligibility
//! explained from the shared registers (nothing uploaded that government holds), the application
//! filed as the `public-rental` one-thing bundle, the household put on the waiting list when the
//! housing bureau's qualification is issued (with the rent subsidy the welfare payout runs pay while
//! it waits), points, lottery draws whose seed is committed before and published after, homes,
//! offers to the next in line, leases, re-qualification and move-out; 善居 projects from survey to
//! the resident's rating.

use std::collections::HashMap;

use chrono::DateTime;
use chrono::Datelike;
use chrono::NaiveDate;
use chrono::Utc;
use domain::AccountId;
use domain::Fen;
use domain::PersonId;
use domain::china_date;
use places::housing::Area;
use places::housing::Draw;
use places::housing::DrawId;
use places::housing::Explanation;
use places::housing::Household;
use places::housing::HouseholdFacts;
use places::housing::HousingError;
use places::housing::Lease;
use places::housing::LeaseId;
use places::housing::LeaseState;
use places::housing::Member;
use places::housing::Offer;
use places::housing::OfferId;
use places::housing::OfferState;
use places::housing::Standing;
use places::housing::Unit;
use places::housing::UnitId;
use places::shanju::Project;
use places::shanju::ShanjuId;
use places::shanju::WorkItem;
use serde::Deserialize;
use serde::Serialize;
use store::Doc;
use store::DocFilter;
use store::PlaceChange;
use store::SharedRecord;
use crate::auth::Principal;
use crate::failure::Failure;
use crate::failure::Fallible;
use crate::policy::Who;
use crate::state::AppState;
use super::cases::decode;
use super::cases::doc_of;
use super::cases::engine_error;
use super::cases::is_staff;
use super::cases::notice;
use super::cases::parse_id;
use super::cases::require_staff;
use super::cases::resident_key;
use super::cases::rules;
use super::cases::save;
use super::cases::town_of;
use super::cases::changed_meanwhile;
use super::views::*;

/// The record the housing bureau issues when it approves the `zjj-public-rental` item.
pub const QUALIFICATION: &str = "public_rental_qualification";
/// The bundle a family applies through.
pub const BUNDLE: &str = "public-rental";

pub(super) fn h_error(e: &HousingError) -> Failure {
    engine_error(e, e.kind(), e.field())
}

fn housing_staff(state: &AppState, p: &Principal) -> Fallible<()> {
    require_staff(state, p, Who::HOUSING, "只有住房和城乡建设部门（住房保障）可以做这件事", "Only the housing security department may do this")
}

// ---------------------------------------------------------------------------------------------
// Facts from the registers.

/// A household as the registers show it on a day: the engine's household and who its members are.
pub struct Gathered {
    pub household: Household,
    pub head_key: String,
    pub head_name: String,
    pub member_keys: Vec<String>,
    pub town: String,
    /// The household finance check has never been done: income is not known.
    pub income_unknown: bool,
}

fn number(data: &serde_json::Value, field: &str) -> Option<i64> {
    match data.get(field)? {
        serde_json::Value::Number(n) => n.as_i64().or_else(|| n.as_f64().map(|f| f.round() as i64)),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Gathers the household of `key` from the population register and the shared records: income per
/// head and assets (the household finance check), housing floor area (property certificates),
/// dibao, disabilities, registration, months of social insurance in the district.
pub async fn gather(state: &AppState, key: &str, account: AccountId, applied_at: DateTime<Utc>, today: NaiveDate) -> Fallible<Gathered> {
    use crate::areas::welfare::facts::FACT_TYPES;
    let households = state.store.welfare().households_of(&[key.to_owned()]).await?;
    let people = state.store.welfare().people_of_households(&households).await?;
    if !people.iter().any(|p| p.id_number == key) {
        return Err(Failure::not_found("人口库中没有您的户籍信息", "You are not in the population register"));
    }
    let keys: Vec<String> = people.iter().map(|p| p.id_number.clone()).collect();
    let records = state.store.welfare().fact_records(FACT_TYPES, Some(&keys)).await?;
    let more = state.store.welfare().fact_records(&["property_certificate", "social_insurance_record", "household_finance_check"], Some(&keys)).await?;
    let g = crate::areas::welfare::facts::gather(people.clone(), &records, today);
    let head = people.iter().find(|p| p.id_number == key).cloned().ok_or_else(|| Failure::not_found("人口库中没有您的户籍信息", "You are not in the population register"))?;
    let mut members = Vec::new();
    for p in &people {
        let Some(person) = state.store.registers().person_by_id_number(&p.id_number).await? else { continue };
        members.push(Member { person: person.id, birth_date: p.birth_date, disability_grade: g.facts.get(&p.id_number).and_then(|f| f.disability_grade) });
    }
    let head_id = state.store.registers().person_by_id_number(key).await?.map(|p| p.id).unwrap_or(PersonId(0));
    let mine = g.facts.get(key);
    let income = mine.and_then(|f| f.income_per_head_fen);
    let mut assets = 0i64;
    let mut area = 0i64;
    let mut owns_elsewhere = false;
    let mut insured_months = 0u32;
    for r in &more {
        if r.valid_until.is_some_and(|u| u < today) {
            continue;
        }
        let data: serde_json::Value = serde_json::from_str(&r.data).unwrap_or_default();
        match r.record_type.as_str() {
            "household_finance_check" => assets = assets.max(number(&data, "assets_fen").unwrap_or(0)),
            "property_certificate" => {
                let m2 = data.get("area_m2").and_then(|v| v.as_str().and_then(|s| s.trim().parse::<f64>().ok()).or_else(|| v.as_f64())).unwrap_or(0.0);
                area += (m2 * 100.0).round() as i64;
                if data.get("outside_district").and_then(serde_json::Value::as_bool) == Some(true) {
                    owns_elsewhere = true;
                }
            }
            "social_insurance_record" => insured_months = insured_months.max(number(&data, "months_in_district").unwrap_or(0).clamp(0, 1200) as u32),
            _ => {}
        }
    }
    let adults = people.iter().filter(|p| places::housing::household::age_on(p.birth_date, today) >= 18).count();
    let minors = people.len() - adults;
    let leases = state.store.places().all("lease", &DocFilter { actor: Some(account.0), open: Some(true), ..Default::default() }).await?;
    let household = Household {
        applicant: account,
        applicant_person: head_id,
        applied_at,
        members,
        facts: HouseholdFacts {
            income_per_head_month: Fen(income.unwrap_or(0)),
            assets: Fen(assets),
            housing_area: Area(area),
            owns_home_elsewhere: owns_elsewhere,
            registered_in_district: mine.is_some_and(|f| f.registered_in_district),
            social_insurance_months_in_district: insured_months,
            dibao: mine.is_some_and(|f| f.dibao),
            tekun: false,
            single_parent: adults == 1 && minors > 0,
            in_public_housing: !leases.is_empty(),
        },
    };
    Ok(Gathered { household, head_key: key.to_owned(), head_name: head.name, member_keys: keys, town: town_of(&head.division), income_unknown: income.is_none() })
}

fn explanation_view(e: &Explanation, income_unknown: bool) -> EligibilityView {
    let mut criteria: Vec<EligibilityCriterionView> = e
        .criteria
        .iter()
        .map(|c| EligibilityCriterionView { code: c.code.clone(), value: c.value.clone(), threshold: c.threshold.clone(), met: c.met, text: c.zh.clone(), text_en: c.en.clone(), source: c.source.clone() })
        .collect();
    if income_unknown {
        criteria.insert(0, EligibilityCriterionView {
            code: "income_checked".into(),
            value: "未核对".into(),
            threshold: "须经家庭经济状况核对".into(),
            met: false,
            text: "您的家庭尚未做过经济状况核对，收入无法判断；请先申请家庭经济状况核对（社会救助一件事）".into(),
            text_en: "Your household's finances have never been checked, so its income is unknown; ask for a household finance check first".into(),
            source: "《公共租赁住房管理办法》第七条".into(),
        });
    }
    EligibilityView { on: e.on.to_string(), eligible: e.eligible && !income_unknown, verdict: e.verdict_zh.clone(), verdict_en: e.verdict_en.clone(), criteria }
}

/// Whether the caller's household qualifies for public rental housing today, criterion by
/// criterion, from the registers.
pub async fn eligibility(state: &AppState, p: &Principal) -> Fallible<EligibilityView> {
    let key = resident_key(state, p).await?;
    let now = state.now();
    let today = china_date(now);
    let g = gather(state, &key, p.id(), now, today).await?;
    let e = places::housing::eligibility(&rules().housing, &g.household, today).map_err(|e| h_error(&e))?;
    Ok(explanation_view(&e, g.income_unknown))
}

// ---------------------------------------------------------------------------------------------
// Households.

/// A household's application as the store keeps it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Filed {
    pub id: i64,
    pub household: Household,
    /// applied | waiting | offered | housed | refused | withdrawn
    pub state: String,
    /// home | subsidy
    pub route: String,
    pub application: Option<i64>,
    pub head_key: String,
    pub head_name: String,
    pub member_keys: Vec<String>,
    pub town: String,
    pub qualified_at: Option<DateTime<Utc>>,
    pub standing: Standing,
    pub offer: Option<i64>,
    pub lease: Option<i64>,
    /// The rent-subsidy record published for the household (welfare pays it monthly).
    pub subsidy_record: Option<i64>,
    pub subsidy_published: bool,
}

fn no_household() -> Failure {
    Failure::not_found("没有这份住房保障申请", "No such housing application")
}

fn state_label(s: &str) -> &'static str {
    match s {
        "applied" => "资格审核中",
        "waiting" => "轮候中",
        "offered" => "已配租，待确认",
        "housed" => "已入住",
        "refused" => "未通过",
        "withdrawn" => "已撤回",
        _ => "未知",
    }
}

fn household_doc(f: &Filed, old: Option<&Doc>, now: DateTime<Utc>, today: NaiveDate) -> Fallible<Doc> {
    let points = places::housing::points(&rules().housing, &f.household, today).map(|p| i64::from(p.total)).ok();
    Ok(Doc {
        town: Some(f.town.clone()),
        state: Some(f.state.clone()),
        open: matches!(f.state.as_str(), "applied" | "waiting" | "offered"),
        actor: Some(f.household.applicant.0),
        queue: Some(f.route.clone()),
        created_at: f.household.applied_at,
        n: points,
        ..doc_of("household", f.id, f, old, now)?
    })
}

fn claims(f: &Filed) -> Vec<(String, String, i64)> {
    f.member_keys.iter().map(|k| ("person".to_owned(), k.clone(), f.id)).collect()
}

fn releases(f: &Filed) -> Vec<(String, String)> {
    f.member_keys.iter().map(|k| ("person".to_owned(), k.clone())).collect()
}

fn in_two_households() -> Failure {
    let e = HousingError::ApplicantInTwoHouseholds { person: 0, first: 0, second: 0 };
    Failure::Conflict { code: domain::Describe::code(&e), zh: "家庭中有成员已在另一份住房保障申请中，同一人不能同时在两户申请".into(), en: "A member of the household is already in another housing application; no one may be in two".into(), field: Some("members".into()) }
}

/// A family applies: eligibility checked from the registers first (refused with the reasons),
/// no member in another live application, then the `public-rental` bundle is filed.
pub async fn apply(state: &AppState, p: &Principal, body: HousingApplyBody) -> Fallible<HouseholdView> {
    let key = resident_key(state, p).await?;
    let now = state.now();
    let today = china_date(now);
    let route = match body.route.trim() {
        "home" | "subsidy" => body.route.trim().to_owned(),
        _ => return Err(Failure::invalid("bad_route", "route", "保障方式应为 home（实物配租）或 subsidy（租赁补贴）", "route must be home or subsidy")),
    };
    let g = gather(state, &key, p.id(), now, today).await?;
    let e = places::housing::eligibility(&rules().housing, &g.household, today).map_err(|e| h_error(&e))?;
    if g.income_unknown || !e.eligible {
        let view = explanation_view(&e, g.income_unknown);
        let failed: Vec<String> = view.criteria.iter().filter(|c| !c.met).map(|c| c.text.clone()).collect();
        let failed_en: Vec<String> = view.criteria.iter().filter(|c| !c.met).map(|c| c.text_en.clone()).collect();
        return Err(Failure::Invalid { code: "not_eligible", zh: format!("您的家庭目前不符合公共租赁住房保障条件：{}", failed.join("；")), en: format!("Your household does not qualify now: {}", failed_en.join("; ")), field: Some("household".into()) });
    }
    for k in &g.member_keys {
        if state.store.places().claim("person", k).await?.is_some() {
            return Err(in_two_households());
        }
    }
    let id = state.parts.ids.next();
    let mut form = std::collections::BTreeMap::new();
    form.insert("route".to_owned(), route.clone());
    if let Some(phone) = body.contact_phone.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        form.insert("contact_phone".to_owned(), phone.to_owned());
    }
    let submit = crate::areas::onething::cases::SubmitBody { bundle: Some(BUNDLE.into()), item: None, form, materials: Default::default(), applicant: None, division: None };
    let filed_app = crate::areas::onething::cases::submit(state, &p.account, submit, Some(format!("places-housing-{id}"))).await?;
    let f = Filed {
        id,
        household: g.household,
        state: "applied".into(),
        route,
        application: Some(filed_app.application.id.0),
        head_key: g.head_key,
        head_name: g.head_name,
        member_keys: g.member_keys,
        town: g.town,
        qualified_at: None,
        standing: Standing::new(p.id()),
        offer: None,
        lease: None,
        subsidy_record: None,
        subsidy_published: false,
    };
    let change = PlaceChange { docs: vec![household_doc(&f, None, now, today)?], claims: claims(&f), ..Default::default() };
    if let Err(err) = save(state, &change, |_, _, _| in_two_households()).await {
        // Another server took a member meanwhile: the bundle just filed goes back.
        let _ = crate::areas::onething::cases::withdraw(state, &p.account, filed_app.application.id, Some("同一家庭成员已在另一份申请中".into())).await;
        return Err(err);
    }
    household_view(state, &f, true, rank_of(state, &f).await?).await
}

/// A waiting household's place on the points list (read once per view of one household).
async fn rank_of(state: &AppState, f: &Filed) -> Fallible<Option<u32>> {
    if f.state != "waiting" {
        return Ok(None);
    }
    let today = china_date(state.now());
    let all = waiting_households(state).await?;
    let list = places::housing::waiting_list(&rules().housing, &all.iter().map(|(x, _)| x.household.clone()).collect::<Vec<_>>(), today).map_err(|e| h_error(&e))?;
    Ok(list.ranked.iter().find(|x| x.applicant == f.household.applicant).map(|x| x.rank))
}

/// A household as its family (`own`) or the housing department sees it, with its rank as given.
async fn household_view(state: &AppState, f: &Filed, own: bool, rank: Option<u32>) -> Fallible<HouseholdView> {
    let today = china_date(state.now());
    let r = &rules().housing;
    let points = places::housing::points(r, &f.household, today).map_err(|e| h_error(&e))?;
    let group = places::housing::lottery::group_of(r, &f.household, today).map(|g| g.label_zh.clone());
    let draws = if own { draws_of(state, f.household.applicant).await? } else { Vec::new() };
    let offer = match f.offer {
        Some(id) => match state.store.places().doc("offer", id).await? {
            Some(d) => Some(offer_view(state, &decode::<Offer>(&d)?).await?),
            None => None,
        },
        None => None,
    };
    let lease = match f.lease {
        Some(id) => match state.store.places().doc("lease", id).await? {
            Some(d) => Some(lease_view(state, &decode::<Lease>(&d)?).await?),
            None => None,
        },
        None => None,
    };
    Ok(HouseholdView {
        id: f.id.to_string(),
        head: if own { f.head_name.clone() } else { mask_name(&f.head_name) },
        head_id_number: domain::mask::id_number(&f.head_key),
        members: f.member_keys.len(),
        town: f.town.clone(),
        route: f.route.clone(),
        state: f.state.clone(),
        state_label: state_label(&f.state).into(),
        applied_at: f.household.applied_at.to_rfc3339(),
        qualified_at: f.qualified_at.map(|t| t.to_rfc3339()),
        application: f.application.map(|a| a.to_string()),
        points: points.total,
        points_lines: points.lines.iter().map(|l| PointsLineView { criterion: l.criterion.clone(), label: l.label_zh.clone(), value: l.value, points: l.points }).collect(),
        rank,
        group,
        refusals: f.standing.refusals,
        barred_until: f.standing.barred_until.map(|d| d.to_string()),
        subsidy: f.subsidy_published,
        draws,
        offer,
        lease,
    })
}

fn mask_name(name: &str) -> String {
    let mut c = name.chars();
    match c.next() {
        Some(first) => format!("{first}{}", "*".repeat(c.count().max(1))),
        None => String::new(),
    }
}

/// The caller's housing applications.
pub async fn mine(state: &AppState, p: &Principal) -> Fallible<Vec<HouseholdView>> {
    let docs = state.store.places().all("household", &DocFilter { actor: Some(p.id().0), ..Default::default() }).await?;
    let mut out = Vec::new();
    for d in docs.iter().rev() {
        let f: Filed = decode(d)?;
        out.push(household_view(state, &f, true, rank_of(state, &f).await?).await?);
    }
    Ok(out)
}

async fn waiting_households(state: &AppState) -> Fallible<Vec<(Filed, Doc)>> {
    let docs = state.store.places().all("household", &DocFilter { state: Some("waiting".into()), ..Default::default() }).await?;
    docs.into_iter().map(|d| Ok((decode(&d)?, d))).collect()
}

/// The waiting list by points (the housing department); names and ID numbers masked.
pub async fn waiting_list(state: &AppState, p: &Principal) -> Fallible<Vec<HouseholdView>> {
    housing_staff(state, p)?;
    let today = china_date(state.now());
    let all = waiting_households(state).await?;
    let list = places::housing::waiting_list(&rules().housing, &all.iter().map(|(x, _)| x.household.clone()).collect::<Vec<_>>(), today).map_err(|e| h_error(&e))?;
    let by: HashMap<AccountId, &Filed> = all.iter().map(|(f, _)| (f.household.applicant, f)).collect();
    let mut out = Vec::new();
    for r in &list.ranked {
        if let Some(f) = by.get(&r.applicant) {
            out.push(household_view(state, f, false, Some(r.rank)).await?);
        }
    }
    crate::areas::welfare::cases::log_reads(state, p, out.iter().zip(&list.ranked).filter_map(|(_, r)| by.get(&r.applicant).map(|f| (f.head_key.clone(), format!("housing_household/{}", f.id))))).await?;
    Ok(out)
}

/// The duty: households whose qualification was issued go on the waiting list (and get the rent
/// subsidy record welfare pays while they wait); households whose bundle was refused are told.
/// Each change is saved by version, so with several servers one does it. How many were moved.
pub async fn qualify_due(state: &AppState) -> Fallible<usize> {
    let now = state.now();
    let today = china_date(now);
    let applied = state.store.places().all("household", &DocFilter { state: Some("applied".into()), ..Default::default() }).await?;
    let mut moved = 0;
    for d in applied {
        let mut f: Filed = decode(&d)?;
        let Some(app_id) = f.application else { continue };
        let Some(app) = state.store.onething().application(domain::ApplicationId(app_id)).await? else { continue };
        let issued = state.store.welfare().fact_records(&[QUALIFICATION], Some(std::slice::from_ref(&f.head_key))).await?;
        let mut change = PlaceChange::default();
        if let Some(r) = issued.iter().filter(|r| r.valid_until.is_none_or(|u| u >= today)).max_by_key(|r| r.issued_at) {
            f.state = "waiting".into();
            f.qualified_at = Some(r.issued_at);
            f.subsidy_record = Some(state.parts.ids.next());
            change.notices.push(notice(state, format!("account:{}", f.household.applicant), "housing_qualified", "您的家庭已取得公共租赁住房保障资格，已进入轮候；轮候期间按月发放住房租赁补贴".into(), "Your household qualified for public rental housing and is on the waiting list; the rent subsidy is paid monthly while you wait".into()));
        } else if matches!(app.status, onething::AppStatus::Rejected | onething::AppStatus::PartiallyCompleted | onething::AppStatus::Withdrawn) {
            f.state = "refused".into();
            change.releases = releases(&f);
            change.notices.push(notice(state, format!("account:{}", f.household.applicant), "housing_refused", "您的住房保障申请未通过，原因见办件详情".into(), "Your housing application was not approved; see the application for why".into()));
        } else {
            continue;
        }
        change.docs.push(household_doc(&f, Some(&d), now, today)?);
        match save(state, &change, |_, _, _| changed_meanwhile()).await {
            Ok(()) => moved += 1,
            Err(Failure::Conflict { .. }) => continue,
            Err(e) => return Err(e),
        }
    }
    // The subsidy records not yet published (also those a crash left behind).
    for (mut f, d) in waiting_households(state).await? {
        let Some(rid) = f.subsidy_record.filter(|_| !f.subsidy_published) else { continue };
        if state.store.pool().pool_record(domain::RecordId(rid)).await?.is_none() {
            let rec = SharedRecord {
                id: domain::RecordId(rid),
                record_type: "rent_subsidy".into(),
                subject_kind: "person".into(),
                subject_key: f.head_key.clone(),
                department: "zjj".into(),
                issued_at: now,
                valid_until: Some(today + chrono::Days::new(365)),
                application: f.application.map(domain::ApplicationId),
                case: None,
                data: serde_json::json!({ "name": f.head_name, "household_size": f.member_keys.len(), "basis": "public_rental_waiting" }),
            };
            state.store.pool().publish_records(std::slice::from_ref(&rec), None).await?;
            crate::areas::welfare::cases::on_record(state, &f.head_key, "rent_subsidy").await;
        }
        f.subsidy_published = true;
        let _ = save(state, &PlaceChange { docs: vec![household_doc(&f, Some(&d), now, today)?], ..Default::default() }, |_, _, _| changed_meanwhile()).await;
    }
    Ok(moved)
}

/// Offers past their deadline expire (counted as a refusal) and the home goes back to vacant.
pub async fn expire_due(state: &AppState) -> Fallible<usize> {
    let now = state.now();
    let today = china_date(now);
    let mut n = 0;
    for od in state.store.places().due("offer", now, 200).await? {
        let mut o: Offer = decode(&od)?;
        if o.state != OfferState::Open {
            continue;
        }
        let Some(ud) = state.store.places().doc("home", o.unit.0).await? else { continue };
        let mut u: Unit = decode(&ud)?;
        let hd = state.store.places().all("household", &DocFilter { actor: Some(o.applicant.0), state: Some("offered".into()), ..Default::default() }).await?;
        let Some(hd) = hd.into_iter().find(|d| decode::<Filed>(d).is_ok_and(|f| f.offer == Some(o.id.0))) else { continue };
        let mut f: Filed = decode(&hd)?;
        places::housing::expire(&rules().housing, &mut o, &mut u, &mut f.standing, today).map_err(|e| h_error(&e))?;
        f.state = "waiting".into();
        f.offer = None;
        let docs = vec![
            Doc { state: Some(o.state.code().to_owned()), open: false, due_at: None, closed_at: Some(now), ..doc_of("offer", o.id.0, &o, Some(&od), now).map(|d| Doc { parent: od.parent, town: od.town.clone(), actor: od.actor, ..d })? },
            unit_doc(&u, Some(&ud), now)?,
            household_doc(&f, Some(&hd), now, today)?,
        ];
        let notices = vec![notice(state, format!("account:{}", o.applicant), "housing_offer_expired", format!("配租通知已过确认期限（{}），视为放弃一次", o.deadline), format!("Your offer passed its deadline ({}) and counts as a refusal", o.deadline))];
        if save(state, &PlaceChange { docs, notices, ..Default::default() }, |_, _, _| changed_meanwhile()).await.is_ok() {
            n += 1;
        }
    }
    Ok(n)
}

/// The area's duty: qualifications issued, offers expired, leases re-qualified when due.
pub async fn duty(state: &AppState) {
    match qualify_due(state).await {
        Ok(n) if n > 0 => tracing::info!(households = n, "places: housing applications decided"),
        Ok(_) => {}
        Err(e) => tracing::warn!(error = ?e, "places: reading housing qualifications"),
    }
    match expire_due(state).await {
        Ok(n) if n > 0 => tracing::info!(offers = n, "places: offers expired"),
        Ok(_) => {}
        Err(e) => tracing::warn!(error = ?e, "places: expiring offers"),
    }
    match requalify_due(state).await {
        Ok(n) if n > 0 => tracing::info!(leases = n, "places: leases re-qualified"),
        Ok(_) => {}
        Err(e) => tracing::warn!(error = ?e, "places: re-qualifying leases"),
    }
}

// ---------------------------------------------------------------------------------------------
// Lottery draws.

/// A draw as the store keeps it: the published draw and, until it is drawn, its secret seed.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredDraw {
    pub draw: Draw,
    pub secret: String,
    pub by: i64,
}

fn no_draw() -> Failure {
    Failure::not_found("没有这次摇号", "No such lottery draw")
}

fn draw_doc(s: &StoredDraw, old: Option<&Doc>, now: DateTime<Utc>) -> Fallible<Doc> {
    let drawn = s.draw.seed.is_some();
    Ok(Doc {
        state: Some(if drawn { "drawn" } else { "committed" }.into()),
        open: !drawn,
        closed_at: s.draw.drawn_at,
        year: Some(i64::from(s.draw.committed_at.year())),
        n: Some(s.draw.groups.iter().map(|g| g.applicants.len() as i64).sum()),
        ..doc_of("draw", s.draw.id.0, s, old, now)?
    })
}

/// Commits a draw over the waiting households that want a home: the seed's SHA-256 and each
/// group's applicant list are published now; the seed itself only at the draw.
pub async fn create_draw(state: &AppState, p: &Principal, body: DrawBody) -> Fallible<DrawView> {
    housing_staff(state, p)?;
    let now = state.now();
    let today = china_date(now);
    let households: Vec<Household> = waiting_households(state).await?.into_iter().filter(|(f, _)| f.route == "home").map(|(f, _)| f.household).collect();
    let mut raw = [0u8; 32];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut raw);
    let secret = hex::encode(raw);
    let commitment = places::housing::seed_commitment(&secret).map_err(|e| h_error(&e))?;
    let id = DrawId(state.parts.ids.next());
    let draw = places::housing::commit(&rules().housing, id, body.title.trim(), &households, body.homes, &commitment, today, now).map_err(|e| h_error(&e))?;
    let s = StoredDraw { draw, secret, by: p.id().0 };
    save(state, &PlaceChange { docs: vec![draw_doc(&s, None, now)?], ..Default::default() }, |_, _, _| changed_meanwhile()).await?;
    Ok(draw_view(&s.draw, None))
}

async fn load_draw(state: &AppState, id: &str) -> Fallible<(StoredDraw, Doc)> {
    let doc = state.store.places().doc("draw", parse_id(id, no_draw)?).await?.ok_or_else(no_draw)?;
    Ok((decode(&doc)?, doc))
}

/// Draws: the seed is revealed and each group's order fixed.
pub async fn draw(state: &AppState, p: &Principal, id: &str) -> Fallible<DrawView> {
    housing_staff(state, p)?;
    let now = state.now();
    let (mut s, doc) = load_draw(state, id).await?;
    let secret = s.secret.clone();
    s.draw.draw(&secret, now).map_err(|e| h_error(&e))?;
    let mut change = PlaceChange { docs: vec![draw_doc(&s, Some(&doc), now)?], ..Default::default() };
    for g in &s.draw.groups {
        for (i, a) in g.order.iter().enumerate() {
            let won = i < g.homes as usize;
            change.notices.push(notice(
                state,
                format!("account:{a}"),
                "housing_draw",
                if won { format!("「{}」摇号结果：您在{}中第 {} 位，已摇中，请等待配租通知", s.draw.title, g.label_zh, i + 1) } else { format!("「{}」摇号结果：您在{}中第 {} 位（候补），请留意后续配租", s.draw.title, g.label_zh, i + 1) },
                format!("{} draw: you are number {} in the {} group{}", s.draw.title, i + 1, g.label_en, if won { " and will be offered a home" } else { " (reserve)" }),
            ));
        }
    }
    save(state, &change, |_, _, _| changed_meanwhile()).await?;
    Ok(draw_view(&s.draw, None))
}

fn draw_view(d: &Draw, me: Option<AccountId>) -> DrawView {
    DrawView {
        id: d.id.to_string(),
        title: d.title.clone(),
        homes_total: d.homes_total,
        seed_sha256: d.seed_sha256.clone(),
        committed_at: d.committed_at.to_rfc3339(),
        seed: d.seed.clone(),
        drawn_at: d.drawn_at.map(|t| t.to_rfc3339()),
        groups: d
            .groups
            .iter()
            .map(|g| DrawGroupView {
                code: g.code.clone(),
                label: g.label_zh.clone(),
                share_percent: g.share_percent,
                homes: g.homes,
                applicants: g.applicants.iter().map(|a| a.to_string()).collect(),
                applicants_digest: g.applicants_digest.clone(),
                order: g.order.iter().map(|a| a.to_string()).collect(),
                my_position: me.and_then(|m| g.order.iter().position(|a| *a == m).map(|i| i + 1)),
            })
            .collect(),
    }
}

async fn draws_of(state: &AppState, me: AccountId) -> Fallible<Vec<DrawView>> {
    let docs = state.store.places().all("draw", &DocFilter::default()).await?;
    let mut out = Vec::new();
    for d in docs.iter().rev() {
        let s: StoredDraw = decode(d)?;
        if s.draw.groups.iter().any(|g| g.applicants.contains(&me)) {
            out.push(draw_view(&s.draw, Some(me)));
        }
    }
    Ok(out)
}

/// A draw as published (anyone): the commitment and lists before, the seed and order after.
/// Applicants are shown by their application numbers only.
pub async fn draw_public(state: &AppState, p: Option<&Principal>, id: &str) -> Fallible<DrawView> {
    let (s, _) = load_draw(state, id).await?;
    Ok(draw_view(&s.draw, p.map(|p| p.id())))
}

/// The draws, newest first (anyone).
pub async fn draws(state: &AppState) -> Fallible<Vec<DrawView>> {
    let docs = state.store.places().all("draw", &DocFilter::default()).await?;
    docs.iter().rev().map(|d| decode::<StoredDraw>(d).map(|s| draw_view(&s.draw, None))).collect()
}

/// Anyone re-runs a drawn draw from a seed: the same order, or where it differs.
pub async fn verify(state: &AppState, id: &str, q: VerifyQuery) -> Fallible<VerifyView> {
    let (s, _) = load_draw(state, id).await?;
    if s.draw.seed.is_none() {
        return Err(Failure::Conflict { code: "not_drawn_yet", zh: "尚未开奖，种子尚未公布".into(), en: "Not drawn yet: the seed is not published".into(), field: None });
    }
    let seed = q.seed.as_deref().map(str::trim).unwrap_or_default();
    places::housing::verify(&s.draw, seed).map_err(|e| h_error(&e))?;
    Ok(VerifyView { id: s.draw.id.to_string(), reproduced: true, seed_sha256: s.draw.seed_sha256.clone(), text: "用公布的种子重算，结果与公布的摇号顺序完全一致".into(), text_en: "Re-run from the published seed: the same order as published".into() })
}

// ---------------------------------------------------------------------------------------------
// Homes, offers and leases.

fn no_unit() -> Failure {
    Failure::not_found("没有这套房源", "No such home")
}

fn no_offer() -> Failure {
    Failure::not_found("没有这份配租通知", "No such offer")
}

fn unit_doc(u: &Unit, old: Option<&Doc>, now: DateTime<Utc>) -> Fallible<Doc> {
    Ok(Doc { community: Some(u.estate.clone()), state: Some(u.status.code().to_owned()), n: Some(i64::from(u.rooms)), ..doc_of("home", u.id.0, u, old, now)? })
}

fn unit_view(u: &Unit) -> UnitView {
    UnitView {
        id: u.id.to_string(),
        estate: u.estate.clone(),
        building: u.building.clone(),
        number: u.number.clone(),
        floor_area_m2: u.floor_area.to_string(),
        rooms: u.rooms,
        market_rent_yuan: u.market_rent.to_yuan_string(),
        status: u.status.code().to_owned(),
    }
}

/// Adds a home (the housing department).
pub async fn add_unit(state: &AppState, p: &Principal, body: UnitBody) -> Fallible<UnitView> {
    housing_staff(state, p)?;
    let area = parse_area(&body.floor_area_m2)?;
    let rent = Fen::parse_yuan(&body.market_rent_yuan).map_err(|_| Failure::invalid("bad_amount", "market_rent_yuan", "金额格式应为元，最多两位小数", "The amount must be in yuan with at most two decimals"))?;
    let u = Unit::new(UnitId(state.parts.ids.next()), body.estate.trim(), body.building.trim(), body.number.trim(), area, body.rooms, rent).map_err(|e| h_error(&e))?;
    save(state, &PlaceChange { docs: vec![unit_doc(&u, None, state.now())?], ..Default::default() }, |_, _, _| changed_meanwhile()).await?;
    Ok(unit_view(&u))
}

fn parse_area(s: &str) -> Fallible<Area> {
    let bad = || Failure::invalid("bad_area", "floor_area_m2", "面积格式应为平方米，最多两位小数", "The area must be square metres with at most two decimals");
    let f = Fen::parse_yuan(s).map_err(|_| bad())?;
    if f.0 <= 0 {
        return Err(bad());
    }
    Ok(Area(f.0))
}

/// The homes (the housing department).
pub async fn units(state: &AppState, p: &Principal) -> Fallible<Vec<UnitView>> {
    housing_staff(state, p)?;
    let docs = state.store.places().all("home", &DocFilter::default()).await?;
    docs.iter().map(|d| decode::<Unit>(d).map(|u| unit_view(&u))).collect()
}

/// The order homes are offered in: the newest drawn lottery's groups (winners, then reserves),
/// else the points list.
async fn offer_order(state: &AppState, today: NaiveDate, waiting: &[Household]) -> Fallible<Vec<AccountId>> {
    let (docs, _) = state.store.places().list("draw", &DocFilter { state: Some("drawn".into()), by_created: true, ..Default::default() }, store::Page::new(1, 0)).await?;
    if let Some(d) = docs.first() {
        let s: StoredDraw = decode(d)?;
        let mut order: Vec<AccountId> = s.draw.groups.iter().flat_map(|g| g.winners().to_vec()).collect();
        for g in &s.draw.groups {
            order.extend(g.order.iter().skip(g.homes as usize));
        }
        return Ok(order);
    }
    let list = places::housing::waiting_list(&rules().housing, waiting, today).map_err(|e| h_error(&e))?;
    Ok(list.ranked.iter().map(|r| r.applicant).collect())
}

/// Offers a vacant home to the next household in line that fits it, after checking again that it
/// still qualifies (the housing department).
pub async fn offer(state: &AppState, p: &Principal, unit: &str) -> Fallible<OfferView> {
    housing_staff(state, p)?;
    let now = state.now();
    let today = china_date(now);
    let ud = state.store.places().doc("home", parse_id(unit, no_unit)?).await?.ok_or_else(no_unit)?;
    let mut u: Unit = decode(&ud)?;
    let waiting: Vec<(Filed, Doc)> = waiting_households(state).await?.into_iter().filter(|(f, _)| f.route == "home").collect();
    let households: Vec<Household> = waiting.iter().map(|(f, _)| f.household.clone()).collect();
    let standings: Vec<Standing> = waiting.iter().map(|(f, _)| f.standing.clone()).collect();
    let order = offer_order(state, today, &households).await?;
    let next = places::housing::next_in_line(&rules().housing, &u, &order, &households, &standings, today).ok_or_else(|| Failure::Conflict {
        code: "no_household_fits",
        zh: "轮候名单中没有适合这套房源（户型与人口相符、未被暂停资格）的家庭".into(),
        en: "No household on the list fits this home".into(),
        field: Some("unit".into()),
    })?;
    let (mut f, fd) = waiting.into_iter().find(|(f, _)| f.household.applicant == next).ok_or_else(no_household)?;
    // Facts again, today: an offer goes only to a household that still qualifies.
    let fresh = gather(state, &f.head_key, f.household.applicant, f.household.applied_at, today).await?;
    let mut h = fresh.household;
    h.applied_at = f.household.applied_at;
    let e = places::housing::eligibility(&rules().housing, &h, today).map_err(|e| h_error(&e))?;
    if fresh.income_unknown || !e.eligible {
        return Err(Failure::Invalid { code: "not_eligible", zh: format!("轮候第一位的家庭（{}）已不再符合条件：{}；请先对其重新审核", domain::mask::id_number(&f.head_key), e.failed()), en: format!("The next household no longer qualifies: {}", e.verdict_en), field: Some("household".into()) });
    }
    let o = places::housing::make_offer(&rules().housing, &mut u, &h, &f.standing, OfferId(state.parts.ids.next()), today).map_err(|e| h_error(&e))?;
    f.household = h;
    f.state = "offered".into();
    f.offer = Some(o.id.0);
    let od = Doc {
        parent: Some(u.id.0),
        town: Some(f.town.clone()),
        state: Some(o.state.code().to_owned()),
        open: true,
        actor: Some(f.household.applicant.0),
        due_at: o.deadline.succ_opt().map(|d| d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc() - chrono::Duration::hours(8)),
        ..doc_of("offer", o.id.0, &o, None, now)?
    };
    let change = PlaceChange {
        docs: vec![od, unit_doc(&u, Some(&ud), now)?, household_doc(&f, Some(&fd), now, today)?],
        notices: vec![notice(state, format!("account:{}", f.household.applicant), "housing_offer", format!("公租房配租通知：{} {} 幢 {} 室（{} 平方米），请于 {} 前确认接受或放弃", u.estate, u.building, u.number, u.floor_area, o.deadline), format!("A home is offered to you: {} {}-{}; answer by {}", u.estate, u.building, u.number, o.deadline))],
        ..Default::default()
    };
    save(state, &change, |_, _, _| changed_meanwhile()).await?;
    offer_view(state, &o).await
}

async fn offer_view(state: &AppState, o: &Offer) -> Fallible<OfferView> {
    let unit = match state.store.places().doc("home", o.unit.0).await? {
        Some(d) => Some(unit_view(&decode::<Unit>(&d)?)),
        None => None,
    };
    Ok(OfferView {
        id: o.id.to_string(),
        unit,
        made_on: o.made_on.to_string(),
        deadline: o.deadline.to_string(),
        state: o.state.code().to_owned(),
        reason: match &o.state {
            OfferState::Refused { reason, .. } => reason.clone(),
            _ => None,
        },
    })
}

/// A household answers its offer: accept (a lease starts) or refuse (counted; too many bar it).
pub async fn answer_offer(state: &AppState, p: &Principal, id: &str, body: OfferAnswerBody) -> Fallible<HouseholdView> {
    let now = state.now();
    let today = china_date(now);
    let od = state.store.places().doc("offer", parse_id(id, no_offer)?).await?.ok_or_else(no_offer)?;
    let mut o: Offer = decode(&od)?;
    if o.applicant != p.id() {
        return Err(no_offer());
    }
    let ud = state.store.places().doc("home", o.unit.0).await?.ok_or_else(no_unit)?;
    let mut u: Unit = decode(&ud)?;
    let hd = state.store.places().all("household", &DocFilter { actor: Some(p.id().0), state: Some("offered".into()), ..Default::default() }).await?;
    let hd = hd.into_iter().find(|d| decode::<Filed>(d).is_ok_and(|f| f.offer == Some(o.id.0))).ok_or_else(no_household)?;
    let mut f: Filed = decode(&hd)?;
    let mut docs = Vec::new();
    match body.action.trim() {
        "accept" => {
            let lease = places::housing::accept(&rules().housing, &mut o, &mut u, &f.household, LeaseId(state.parts.ids.next()), today, today).map_err(|e| h_error(&e))?;
            f.state = "housed".into();
            f.lease = Some(lease.id.0);
            docs.push(lease_doc(&lease, &f.town, None, now)?);
        }
        "refuse" => {
            places::housing::refuse(&rules().housing, &mut o, &mut u, &mut f.standing, body.reason.as_deref().map(str::trim).filter(|s| !s.is_empty()), today).map_err(|e| h_error(&e))?;
            f.state = "waiting".into();
            f.offer = None;
        }
        _ => return Err(Failure::invalid("unknown_action", "action", "操作应为 accept 或 refuse", "action must be accept or refuse")),
    }
    docs.push(Doc { state: Some(o.state.code().to_owned()), open: false, closed_at: Some(now), ..doc_of("offer", o.id.0, &o, Some(&od), now).map(|d| Doc { parent: od.parent, town: od.town.clone(), actor: od.actor, due_at: od.due_at, ..d })? });
    docs.push(unit_doc(&u, Some(&ud), now)?);
    docs.push(household_doc(&f, Some(&hd), now, today)?);
    save(state, &PlaceChange { docs, ..Default::default() }, |_, _, _| changed_meanwhile()).await?;
    household_view(state, &f, true, rank_of(state, &f).await?).await
}

fn lease_doc(l: &Lease, town: &str, old: Option<&Doc>, now: DateTime<Utc>) -> Fallible<Doc> {
    Ok(Doc {
        parent: Some(l.unit.0),
        town: Some(town.to_owned()),
        state: Some(l.state.code().to_owned()),
        open: !matches!(l.state, LeaseState::Ended { .. }),
        actor: Some(l.applicant.0),
        due_at: (l.state == LeaseState::Active).then(|| l.next_requalification.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc()),
        n: Some(l.monthly_rent.0),
        ..doc_of("lease", l.id.0, l, old, now)?
    })
}

async fn lease_view(state: &AppState, l: &Lease) -> Fallible<LeaseView> {
    let unit = match state.store.places().doc("home", l.unit.0).await? {
        Some(d) => Some(unit_view(&decode::<Unit>(&d)?)),
        None => None,
    };
    Ok(LeaseView {
        id: l.id.to_string(),
        unit,
        start: l.start.to_string(),
        end: l.end.to_string(),
        monthly_rent_yuan: l.monthly_rent.to_yuan_string(),
        market_rent_yuan: l.market_rent.to_yuan_string(),
        rent_band: l.rent_band.clone(),
        rent_percent: l.rent_percent,
        next_requalification: l.next_requalification.to_string(),
        state: l.state.code().to_owned(),
        leave_by: match &l.state {
            LeaseState::NoticeToLeave { leave_by, .. } => Some(leave_by.to_string()),
            _ => None,
        },
    })
}

/// The leases (the housing department).
pub async fn leases(state: &AppState, p: &Principal) -> Fallible<Vec<LeaseView>> {
    housing_staff(state, p)?;
    let docs = state.store.places().all("lease", &DocFilter::default()).await?;
    let mut out = Vec::new();
    for d in &docs {
        out.push(lease_view(state, &decode::<Lease>(d)?).await?);
    }
    Ok(out)
}

/// The housing department re-qualifies a lease on today's facts, or records the move-out.
pub async fn lease_act(state: &AppState, p: &Principal, id: &str, body: LeaseActionBody) -> Fallible<LeaseView> {
    housing_staff(state, p)?;
    let ld = state.store.places().doc("lease", parse_id(id, || Failure::not_found("没有这份租赁合同", "No such lease"))?).await?.ok_or_else(|| Failure::not_found("没有这份租赁合同", "No such lease"))?;
    let l = lease_step(state, &ld, body.action.trim()).await?;
    lease_view(state, &l).await
}

/// Leases whose yearly re-qualification is due are re-qualified on the day's register facts.
pub async fn requalify_due(state: &AppState) -> Fallible<usize> {
    let mut n = 0;
    for ld in state.store.places().due("lease", state.now(), 200).await? {
        if ld.state.as_deref() != Some("active") {
            continue;
        }
        match lease_step(state, &ld, "requalify").await {
            Ok(_) => n += 1,
            Err(e) => tracing::warn!(error = ?e, lease = ld.id, "places: re-qualifying a lease"),
        }
    }
    Ok(n)
}

/// Re-qualifies a lease or records the move-out, saved with the household and the home.
async fn lease_step(state: &AppState, ld: &Doc, action: &str) -> Fallible<Lease> {
    let now = state.now();
    let today = china_date(now);
    let mut l: Lease = decode(ld)?;
    let town = ld.town.clone().unwrap_or_default();
    let hd = state.store.places().all("household", &DocFilter { actor: Some(l.applicant.0), state: Some("housed".into()), ..Default::default() }).await?;
    let hd = hd.into_iter().find(|d| decode::<Filed>(d).is_ok_and(|f| f.lease == Some(l.id.0))).ok_or_else(no_household)?;
    let mut f: Filed = decode(&hd)?;
    let mut docs = Vec::new();
    let mut notices = Vec::new();
    let mut release = Vec::new();
    match action {
        "requalify" => {
            let fresh = gather(state, &f.head_key, f.household.applicant, f.household.applied_at, today).await?;
            if fresh.income_unknown {
                return Err(Failure::Conflict {
                    code: "income_not_checked",
                    zh: "该户没有有效的家庭经济状况核对结果，请先申请核对再复核资格".into(),
                    en: "The household has no current finance check; have one made before re-qualifying".into(),
                    field: None,
                });
            }
            let mut h = fresh.household;
            h.facts.in_public_housing = false;
            let r = places::housing::requalify(&rules().housing, &mut l, &h, today).map_err(|e| h_error(&e))?;
            let text = match &r.outcome {
                places::housing::Outcome::Continue => "年度资格复核：继续符合条件，租金不变".to_owned(),
                places::housing::Outcome::RentAdjusted { from, to, .. } => format!("年度资格复核：租金由 {} 元调整为 {} 元/月", from.to_yuan_string(), to.to_yuan_string()),
                places::housing::Outcome::NoticeToLeave { leave_by } => format!("年度资格复核：已不再符合条件（{}），请于 {leave_by} 前腾退", r.explanation.failed()),
            };
            notices.push(notice(state, format!("account:{}", l.applicant), "housing_requalified", text, "The yearly re-qualification of your lease is done; see the lease".into()));
            f.household = h;
        }
        "move_out" => {
            let ud = state.store.places().doc("home", l.unit.0).await?.ok_or_else(no_unit)?;
            let mut u: Unit = decode(&ud)?;
            places::housing::move_out(&mut l, &mut u, today).map_err(|e| h_error(&e))?;
            docs.push(unit_doc(&u, Some(&ud), now)?);
            f.state = "withdrawn".into();
            release = releases(&f);
        }
        _ => return Err(Failure::invalid("unknown_action", "action", "操作应为 requalify 或 move_out", "action must be requalify or move_out")),
    }
    docs.push(lease_doc(&l, &town, Some(ld), now)?);
    docs.push(household_doc(&f, Some(&hd), now, today)?);
    save(state, &PlaceChange { docs, notices, releases: release, ..Default::default() }, |_, _, _| changed_meanwhile()).await?;
    Ok(l)
}

// ---------------------------------------------------------------------------------------------
// 善居工程.

fn no_project() -> Failure {
    Failure::not_found("没有这个善居项目", "No such home improvement project")
}

fn project_doc(pr: &Project, key: &str, town: &str, old: Option<&Doc>, now: DateTime<Utc>) -> Fallible<Doc> {
    let stored = StoredProject { project: pr.clone(), resident_key: key.to_owned(), town: town.to_owned() };
    Ok(Doc {
        town: Some(town.to_owned()),
        state: Some(pr.state.code().to_owned()),
        open: pr.closed_on.is_none(),
        actor: Some(pr.resident.0),
        year: Some(i64::from(pr.opened_on.year())),
        n: pr.plan.as_ref().map(|p| p.budget.0),
        closed_at: pr.closed_on.map(|d| d.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc()),
        ..doc_of("shanju", pr.id.0, &stored, old, now)?
    })
}

/// A 善居 project as the store keeps it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredProject {
    pub project: Project,
    pub resident_key: String,
    pub town: String,
}

fn project_view(s: &StoredProject, own: bool) -> ShanjuView {
    let pr = &s.project;
    ShanjuView {
        id: pr.id.to_string(),
        resident: domain::mask::id_number(&s.resident_key),
        address: if own { pr.address.clone() } else { pr.address.chars().take(12).collect::<String>() + "…" },
        basis: pr.basis.clone(),
        state: pr.state.code().to_owned(),
        opened_on: pr.opened_on.to_string(),
        findings: pr.survey.as_ref().map(|s| s.findings.clone()).unwrap_or_default(),
        items: pr.plan.as_ref().map(|p| p.items.iter().map(|i| format!("{}（{} 元）", i.description, i.estimated_cost.to_yuan_string())).collect()).unwrap_or_default(),
        budget_yuan: pr.plan.as_ref().map(|p| p.budget.to_yuan_string()),
        contractor: pr.contractor.as_ref().map(|c| c.name.clone()),
        inspections: pr.inspections.iter().map(|i| format!("{} {}：{}", i.on, if i.passed { "验收合格" } else { "验收不合格" }, i.rectification.join("；"))).collect(),
        completed_on: pr.completed_on.map(|d| d.to_string()),
        satisfaction: pr.satisfaction.as_ref().map(|s| s.score),
        actual_cost_yuan: pr.actual_cost.map(|c| c.to_yuan_string()),
    }
}

/// Opens a project for the home of a family in difficulty (the housing department).
pub async fn open_project(state: &AppState, p: &Principal, body: ShanjuBody) -> Fallible<ShanjuView> {
    housing_staff(state, p)?;
    let now = state.now();
    let key = body.resident.trim().to_owned();
    let person = state.store.registers().person_by_id_number(&key).await?.ok_or_else(|| Failure::invalid("unknown_person", "resident", "人口库中没有这个人", "No such person in the population register"))?;
    let account = state.store.identity().accounts_of_subject(Some(person.id), None).await?.into_iter().next().map_or(AccountId(0), |a| a.id);
    if account.0 == 0 {
        return Err(Failure::invalid("no_account", "resident", "该居民尚未开通账号，无法接收通知和评价", "The resident has no account to be told and to rate the works"));
    }
    let pr = Project::open(ShanjuId(state.parts.ids.next()), account, body.address.trim(), body.basis.trim(), china_date(now)).map_err(|e| h_error(&e))?;
    let town = town_of(&person.division);
    save(state, &PlaceChange { docs: vec![project_doc(&pr, &key, &town, None, now)?], ..Default::default() }, |_, _, _| changed_meanwhile()).await?;
    Ok(project_view(&StoredProject { project: pr, resident_key: key, town }, true))
}

/// A step of a project: the housing department surveys, plans, engages a contractor, starts,
/// inspects and closes; the resident rates the finished works once.
pub async fn project_act(state: &AppState, p: &Principal, id: &str, body: ShanjuActionBody) -> Fallible<ShanjuView> {
    let now = state.now();
    let today = china_date(now);
    let d = state.store.places().doc("shanju", parse_id(id, no_project)?).await?.ok_or_else(no_project)?;
    let mut s: StoredProject = decode(&d)?;
    let staff = is_staff(state, p, Who::HOUSING);
    if !staff && s.project.resident != p.id() {
        return Err(no_project());
    }
    let me = format!("{}（{}）", p.account.display_name, p.department().unwrap_or("admin"));
    let texts = |v: &[String]| v.iter().map(|x| x.trim().to_owned()).filter(|x| !x.is_empty()).collect::<Vec<_>>();
    let pr = &mut s.project;
    let action = body.action.trim();
    if action != "rate" && !staff {
        return Err(Failure::Forbidden { code: "places_staff_only", zh: "只有住房保障部门可以做这一步".into(), en: "Only the housing department may do this step".into(), field: None });
    }
    let result = match action {
        "survey" => pr.survey(today, &me, &texts(&body.notes)),
        "plan" => {
            let mut items = Vec::new();
            for (i, it) in body.items.iter().enumerate() {
                let cost = Fen::parse_yuan(&it.cost_yuan).map_err(|_| Failure::invalid("bad_amount", &format!("items[{i}].cost_yuan"), "金额格式应为元，最多两位小数", "The amount must be in yuan with at most two decimals"))?;
                items.push(WorkItem { description: it.description.trim().to_owned(), estimated_cost: cost });
            }
            let budget = Fen::parse_yuan(body.budget_yuan.as_deref().unwrap_or("")).map_err(|_| Failure::invalid("bad_amount", "budget_yuan", "金额格式应为元，最多两位小数", "The amount must be in yuan with at most two decimals"))?;
            pr.plan(&items, budget)
        }
        "engage" => pr.engage(body.contractor.as_deref().unwrap_or("").trim(), body.credit_code.as_deref().unwrap_or("").trim()),
        "start" => pr.start_works(today),
        "inspect" => pr.inspect(today, &me, body.passed.unwrap_or(false), &texts(&body.notes)),
        "close" => {
            let cost = Fen::parse_yuan(body.cost_yuan.as_deref().unwrap_or("")).map_err(|_| Failure::invalid("bad_amount", "cost_yuan", "金额格式应为元，最多两位小数", "The amount must be in yuan with at most two decimals"))?;
            pr.close(cost, today)
        }
        "rate" => pr.rate(p.id(), body.score.unwrap_or(0), body.comment.as_deref().unwrap_or("").trim(), today),
        _ => return Err(Failure::invalid("unknown_action", "action", "操作应为 survey、plan、engage、start、inspect、close 或 rate", "action must be survey, plan, engage, start, inspect, close or rate")),
    };
    result.map_err(|e| h_error(&e))?;
    let mut notices = Vec::new();
    if action == "inspect" && pr.completed_on.is_some() {
        notices.push(notice(state, format!("account:{}", pr.resident), "shanju_completed", "您家的善居工程改造已验收合格，欢迎对施工进行评价".into(), "The works on your home passed inspection; please rate them".into()));
    }
    let doc = project_doc(&s.project, &s.resident_key, &s.town, Some(&d), now)?;
    save(state, &PlaceChange { docs: vec![doc], notices, ..Default::default() }, |_, _, _| changed_meanwhile()).await?;
    Ok(project_view(&s, true))
}

/// The projects: the housing department's all, a resident's own.
pub async fn projects(state: &AppState, p: &Principal) -> Fallible<Vec<ShanjuView>> {
    let staff = is_staff(state, p, Who::HOUSING);
    let f = if staff { DocFilter::default() } else { DocFilter { actor: Some(p.id().0), ..Default::default() } };
    let docs = state.store.places().all("shanju", &f).await?;
    docs.iter().rev().map(|d| decode::<StoredProject>(d).map(|s| project_view(&s, !staff))).collect()
}

// ---------------------------------------------------------------------------------------------
// Figures.

/// The housing figures: households waiting, offers made and accepted, leases, draws; 善居
/// projects by state, median days from survey to completion, satisfaction, spend.
pub async fn figures(state: &AppState) -> Fallible<HousingFiguresView> {
    let households = state.store.places().all("household", &DocFilter::default()).await?;
    let count = |s: &str| households.iter().filter(|d| d.state.as_deref() == Some(s)).count();
    let offers = state.store.places().all("offer", &DocFilter::default()).await?;
    let leases = state.store.places().all("lease", &DocFilter { open: Some(true), ..Default::default() }).await?;
    let draws = state.store.places().all("draw", &DocFilter::default()).await?;
    let projects: Vec<Project> = state.store.places().all("shanju", &DocFilter::default()).await?.iter().map(|d| decode::<StoredProject>(d).map(|s| s.project)).collect::<Fallible<_>>()?;
    let sf = places::shanju::figures(&projects);
    let subsidised = households.iter().filter(|d| d.state.as_deref() == Some("waiting")).filter(|d| decode::<Filed>(d).is_ok_and(|f| f.subsidy_published)).count();
    Ok(HousingFiguresView {
        applied: count("applied"),
        waiting: count("waiting"),
        offered: count("offered"),
        housed: count("housed"),
        refused: count("refused"),
        receiving_subsidy: subsidised,
        offers_made: offers.len(),
        offers_accepted: offers.iter().filter(|d| d.state.as_deref() == Some("accepted")).count(),
        offers_refused: offers.iter().filter(|d| matches!(d.state.as_deref(), Some("refused") | Some("expired"))).count(),
        leases_active: leases.len(),
        draws: draws.len(),
        shanju_per_state: sf.per_state.into_iter().map(|(state, count)| StateCount { state, count }).collect(),
        shanju_median_days: sf.median_days_survey_to_completion,
        shanju_satisfaction: sf.average_satisfaction,
        shanju_budget_yuan: sf.budget_total.to_yuan_string(),
        shanju_spend_yuan: sf.spend_total.to_yuan_string(),
    })
}
