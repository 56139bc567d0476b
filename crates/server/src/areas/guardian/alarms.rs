//! The closed loop of an alarm as people drive it: the monitoring centre acknowledges (it called
//! the elder) and dispatches the nearest available responder, the responder accepts, arrives and
//! resolves it with an outcome; maintenance cancels a technical alarm; and the duty escalates what
//! nobody did in time (reminders, the next responder, the family, then 120/110 through the notice
//! channel). Every step is appended to the alarm's hash-chained history and the family is told.

use chrono::DateTime;
use chrono::Utc;
use domain::Describe;
use guardian::Action;
use guardian::Case;
use guardian::EscalationKind;
use guardian::Outcome;
use guardian::Rules;
use guardian::Street;
use guardian::Travel;
use store::AccountKind;
use store::AlarmFilter;
use store::GuardianAlarmRow;
use store::GuardianElderRow;
use store::GuardianResponderRow;
use store::PlainNotice;
use crate::auth::Principal;
use crate::failure::Failure;
use crate::failure::Fallible;
use crate::areas::circles::streets::Way;
use crate::policy::Who;
use crate::state::AppState;
use super::cases::contacts_of;
use crate::areas::welfare::cases::log_reads;
use super::cases::must_be_centre;
use super::cases::point_of;
use super::cases::responder_view;
use super::live::alarm_row;
use super::live::announce;
use super::live::step_rows;
use super::views::*;

fn not_found() -> Failure {
    Failure::not_found("没有这条报警", "No such alarm")
}

fn engine_error(e: &guardian::GuardianError) -> Failure {
    match e.kind() {
        guardian::ErrorKind::Conflict => Failure::Conflict { code: e.code(), zh: e.message_zh(), en: e.message_en(), field: None },
        _ => Failure::from_describe(e, &e.field().unwrap_or_default()),
    }
}

fn case_of(a: &GuardianAlarmRow) -> Fallible<Case> {
    serde_json::from_str(&a.case_json).map_err(Failure::internal)
}

fn kind_of(k: &str) -> guardian::ResponderKind {
    match k {
        "village_doctor" => guardian::ResponderKind::VillageDoctor,
        "volunteer" => guardian::ResponderKind::Volunteer,
        "family" => guardian::ResponderKind::Family,
        _ => guardian::ResponderKind::GridWorker,
    }
}

/// Each responder's way to the elder's home: through the streets of the circles' network when it
/// is loaded (one search from the home), else — or for a point off the network — the straight
/// line; at an electric bicycle's speed either way (`guardian::travel`).
async fn travels(state: &AppState, e: &GuardianElderRow, all: &[GuardianResponderRow]) -> Vec<Travel> {
    let degrees = |p: (i64, i64)| (p.0 as f64 / 1e6, p.1 as f64 / 1e6);
    let home = e.home_e6.map(degrees);
    let at: Vec<(f64, f64)> = all.iter().map(|r| degrees((r.lat_e6, r.lon_e6))).collect();
    let ways = match home {
        Some(h) if !at.is_empty() => crate::areas::circles::streets::ways(state, h, at.clone()).await,
        _ => None,
    };
    at.iter()
        .enumerate()
        .map(|(i, p)| {
            let street = match ways.as_ref().and_then(|w| w.get(i)) {
                None => Street::NotLoaded,
                Some(Way::OffNetwork) => Street::Unsnapped,
                Some(Way::NoRoute) => Street::NoRoute,
                Some(Way::Metres(m)) => Street::Route { metres: *m },
            };
            guardian::travel(*p, home, street)
        })
        .collect()
}

/// The responders to ask, nearest first (those tried already, and those not available, left out),
/// with their way to the elder.
async fn ranked(state: &AppState, e: &GuardianElderRow, case: &Case) -> Fallible<Vec<(GuardianResponderRow, Travel)>> {
    let all = state.store.guardian().responders().await?;
    let ways = travels(state, e, &all).await;
    let candidates: Vec<guardian::Candidate> = all
        .iter()
        .zip(&ways)
        .map(|(r, t)| guardian::Candidate { id: r.id.to_string(), kind: kind_of(&r.kind), available: r.available, travel_s: t.seconds })
        .collect();
    let order = guardian::rank(&candidates, &case.tried);
    Ok(order.iter().filter_map(|id| all.iter().position(|r| r.id.to_string() == *id)).map(|i| (all[i].clone(), ways[i])).collect())
}

/// Saves a case after an action: its row (one version on), its new steps and notices; announces
/// it; a closed alarm re-arms its condition.
async fn save(state: &AppState, old: &GuardianAlarmRow, case: &Case, from_seq: u32, notices: &[PlainNotice]) -> Fallible<GuardianAlarmRow> {
    let row = alarm_row(case, &old.division, &old.trigger_key, old.evidence.clone(), old.version + 1)?;
    let new_steps: Vec<guardian::Step> = case.steps.iter().filter(|s| s.seq > from_seq).cloned().collect();
    if !state.store.guardian().advance_alarm(&row, &step_rows(row.id, &new_steps), notices, state.now()).await? {
        return Err(Failure::Conflict { code: "alarm_changed", zh: "这条报警刚被他人处理，请刷新后再试".into(), en: "Someone else acted on this alarm just now; reload and try again".into(), field: None });
    }
    if row.closed_at.is_some() {
        state.guardian.closed(row.elder, &row.kind, row.device.as_deref());
    }
    announce(state, &[&row]);
    Ok(row)
}

fn family_notices(state: &AppState, e: &GuardianElderRow, zh: &str, en: &str) -> Vec<PlainNotice> {
    contacts_of(e)
        .iter()
        .filter_map(|c| c.account)
        .map(|a| (state.parts.ids.next(), format!("account:{a}"), "guardian_alarm".to_owned(), zh.to_owned(), en.to_owned()))
        .collect()
}

fn responder_notice(state: &AppState, r: &GuardianResponderRow, e: &GuardianElderRow, case: &Case) -> PlainNotice {
    (
        state.parts.ids.next(),
        format!("account:{}", r.account),
        "guardian_dispatch".to_owned(),
        format!("请前往 {}（{}），{}报警。请在手机上接单。", e.address, e.name, case.kind.label_zh()),
        format!("Please go to {} ({}): a {} alarm. Accept it on your phone.", e.address, e.name, case.kind.code().replace('_', " ")),
    )
}

// ---------------------------------------------------------------------------------------------
// Reading alarms.

pub(super) fn alarm_view(a: &GuardianAlarmRow, e: Option<&GuardianElderRow>, steps: Vec<StepView>, masked: bool) -> AlarmView {
    AlarmView {
        id: a.id.to_string(),
        elder: a.elder.to_string(),
        elder_name: e.map(|e| if masked { domain::mask::name(&e.name) } else { e.name.clone() }).unwrap_or_default(),
        address: e.map(|e| e.address.clone()).unwrap_or_default(),
        home: e.and_then(|e| e.home_e6).map(point_of),
        division: a.division.clone(),
        kind: a.kind.clone(),
        kind_label: a.kind.parse::<guardian::AlarmKind>().map(|k| k.label_zh().to_owned()).unwrap_or_default(),
        technical: a.technical,
        severity: a.severity.clone(),
        device: a.device.clone(),
        state: a.state.clone(),
        responder: a.responder.map(|r| r.to_string()),
        raised_at: a.raised_at.to_rfc3339(),
        acknowledged_at: a.acknowledged_at.map(|t| t.to_rfc3339()),
        dispatched_at: a.dispatched_at.map(|t| t.to_rfc3339()),
        accepted_at: a.accepted_at.map(|t| t.to_rfc3339()),
        on_scene_at: a.on_scene_at.map(|t| t.to_rfc3339()),
        closed_at: a.closed_at.map(|t| t.to_rfc3339()),
        outcome: a.outcome.clone(),
        evidence: serde_json::from_str(&a.evidence).unwrap_or(serde_json::Value::Null),
        steps,
        chain_intact: None,
    }
}

/// Who may see an alarm: the centre (all), its responder, the elder's emergency contacts.
async fn visible(state: &AppState, p: &Principal, a: &GuardianAlarmRow) -> Fallible<Option<GuardianElderRow>> {
    let e = state.store.guardian().elder(a.elder).await?;
    let who = Who::of(state, Some(&p.account));
    if who.meets(Who::GUARDIAN.or(Who::ADMIN)) {
        return Ok(e);
    }
    if who.meets(Who::RESPONDER) {
        if let Some(r) = state.store.guardian().responder_of_account(p.account.id.0).await? {
            let tried: Vec<String> = serde_json::from_str(&a.tried).unwrap_or_default();
            if a.responder == Some(r.id) || tried.contains(&r.id.to_string()) {
                return Ok(e);
            }
        }
    }
    if p.account.kind == AccountKind::Citizen && e.as_ref().is_some_and(|e| contacts_of(e).iter().any(|c| c.account == Some(p.account.id.0))) {
        return Ok(e);
    }
    Err(not_found())
}

/// Alarms, newest first: the centre's (all, or open ones, by division, technical or not), a
/// responder's own, a family member's elders'.
pub async fn alarms(state: &AppState, p: &Principal, q: AlarmQuery) -> Fallible<AlarmsView> {
    let who = Who::of(state, Some(&p.account));
    let mut f = AlarmFilter { open: q.open.unwrap_or(false), division: q.division.clone().filter(|d| !d.is_empty()), technical: q.technical, ..Default::default() };
    if !who.meets(Who::GUARDIAN.or(Who::ADMIN)) {
        let r = super::cases::me_responder(state, p).await?;
        f.responder = Some(r.id);
    }
    let page = crate::ids::page(q.limit, q.offset);
    let (rows, total) = state.store.guardian().alarms(&f, page).await?;
    let mut out = Vec::with_capacity(rows.len());
    let mut read = Vec::new();
    // An elder with several alarms on the page is looked up once.
    let mut elders: std::collections::HashMap<i64, Option<GuardianElderRow>> = std::collections::HashMap::new();
    for a in &rows {
        if !elders.contains_key(&a.elder) {
            elders.insert(a.elder, state.store.guardian().elder(a.elder).await?);
        }
        let e = elders.get(&a.elder).cloned().flatten();
        if let Some(e) = &e {
            read.push((e.person_key.clone(), format!("guardian-alarm:{}", a.id)));
        }
        out.push(alarm_view(a, e.as_ref(), Vec::new(), true));
    }
    log_reads(state, p, read.into_iter()).await?;
    Ok(AlarmsView { total, alarms: out })
}

/// An alarm with its readings and every step, the chain checked.
pub async fn alarm(state: &AppState, p: &Principal, id: &str) -> Fallible<AlarmView> {
    let a = state.store.guardian().alarm(id.trim().parse().map_err(|_| not_found())?).await?.ok_or_else(not_found)?;
    let e = visible(state, p, &a).await?;
    if let Some(e) = &e {
        if p.account.kind == AccountKind::Staff {
            log_reads(state, p, std::iter::once((e.person_key.clone(), format!("guardian-alarm:{}", a.id)))).await?;
        }
    }
    let steps = state.store.guardian().steps_of(a.id).await?;
    let chain: Vec<guardian::Step> = case_of(&a)?.steps;
    let stored_match = steps.len() == chain.len() && steps.iter().zip(&chain).all(|(s, c)| s.hash == c.hash && s.prev_hash == c.prev_hash && s.detail == c.detail && s.action == c.action);
    let intact = stored_match && guardian::verify_chain(&chain).is_ok() && steps.last().is_none_or(|s| s.hash == a.head_hash && s.seq == a.head_seq);
    let views = steps.iter().map(|s| StepView { seq: s.seq, at: s.at.to_rfc3339(), actor: s.actor.clone(), action: s.action.clone(), detail: serde_json::from_str(&s.detail).unwrap_or(serde_json::Value::Null), hash: s.hash.clone() }).collect();
    let mut v = alarm_view(&a, e.as_ref(), views, false);
    v.chain_intact = Some(intact);
    Ok(v)
}

// ---------------------------------------------------------------------------------------------
// Acting on alarms.

async fn load(state: &AppState, id: &str) -> Fallible<(GuardianAlarmRow, Case, GuardianElderRow)> {
    let a = state.store.guardian().alarm(id.trim().parse().map_err(|_| not_found())?).await?.ok_or_else(not_found)?;
    let case = case_of(&a)?;
    let e = state.store.guardian().elder(a.elder).await?.ok_or_else(not_found)?;
    Ok((a, case, e))
}

fn actor(p: &Principal) -> String {
    format!("account:{}", p.account.id.0)
}

/// The centre acts on an alarm: acknowledge, dispatch (a named responder, or the nearest
/// available), resolve, cancel (technical), note.
pub async fn act(state: &AppState, p: &Principal, id: &str, body: AlarmActionBody) -> Fallible<AlarmView> {
    must_be_centre(state, p)?;
    let (a, mut case, e) = load(state, id).await?;
    let from_seq = case.head.seq;
    let now = state.now();
    let mut notices = Vec::new();
    let action = match body.action.as_str() {
        "acknowledge" => Action::Acknowledge,
        "dispatch" => {
            let r = match body.responder.as_deref().filter(|r| !r.is_empty()) {
                Some(rid) => {
                    let all = state.store.guardian().responders().await?;
                    let r = all.into_iter().find(|r| r.id.to_string() == rid).ok_or_else(|| Failure::invalid("unknown_responder", "responder", "没有这位响应人", "No such responder"))?;
                    if !r.available {
                        return Err(Failure::invalid("responder_unavailable", "responder", "这位响应人现在不能出动", "This responder is not available now"));
                    }
                    r
                }
                None => ranked(state, &e, &case).await?.into_iter().next().map(|(r, _)| r).ok_or_else(|| Failure::Conflict {
                    code: "no_responder",
                    zh: "附近没有可出动的响应人，请联系家属或拨打 120/110".into(),
                    en: "No responder is available nearby; call the family or 120/110".into(),
                    field: None,
                })?,
            };
            notices.push(responder_notice(state, &r, &e, &case));
            Action::Dispatch { responder: r.id.to_string() }
        }
        "resolve" => Action::Resolve { outcome: outcome(&body)? },
        "cancel" => Action::Cancel { reason: body.text.clone().unwrap_or_default() },
        "note" => Action::Note { text: body.text.clone().unwrap_or_default() },
        other => return Err(Failure::invalid("bad_action", "action", format!("不认识的操作「{other}」"), format!("Unknown action {other:?}"))),
    };
    let closing = matches!(action, Action::Resolve { .. });
    guardian::apply(&mut case, action, &actor(p), now).map_err(|e| engine_error(&e))?;
    if closing {
        notices.extend(family_notices(state, &e, &format!("{}的报警已处理完毕：{}。", e.name, outcome_zh(&case)), &format!("The alarm for {} is closed: {}.", e.name, case.outcome.as_ref().map(Outcome::code).unwrap_or_default())));
    }
    let row = save(state, &a, &case, from_seq, &notices).await?;
    Ok(alarm_view(&row, Some(&e), Vec::new(), false))
}

fn outcome(body: &AlarmActionBody) -> Fallible<Outcome> {
    match body.outcome.as_deref() {
        Some("false_alarm") => Ok(Outcome::FalseAlarm),
        Some("helped_at_home") => Ok(Outcome::HelpedAtHome),
        Some("sent_to_hospital") => Ok(Outcome::SentToHospital),
        Some("other") => match body.text.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
            Some(t) => Ok(Outcome::Other(t.to_owned())),
            None => Err(Failure::invalid("required", "text", "请写明处理结果", "Say how it ended")),
        },
        _ => Err(Failure::invalid("bad_outcome", "outcome", "结果只能是 false_alarm、helped_at_home、sent_to_hospital 或 other", "outcome is false_alarm, helped_at_home, sent_to_hospital or other")),
    }
}

fn outcome_zh(case: &Case) -> &'static str {
    match case.outcome {
        Some(Outcome::FalseAlarm) => "误报",
        Some(Outcome::HelpedAtHome) => "已在家中处置",
        Some(Outcome::SentToHospital) => "已送医",
        Some(Outcome::Other(_)) | None => "已处置",
    }
}

/// The dispatched responder accepts, declines, arrives or resolves.
pub async fn respond(state: &AppState, p: &Principal, id: &str, body: AlarmActionBody) -> Fallible<AlarmView> {
    let r = super::cases::me_responder(state, p).await?;
    let (a, mut case, e) = load(state, id).await?;
    if a.responder != Some(r.id) {
        return Err(not_found());
    }
    let from_seq = case.head.seq;
    let mut notices = Vec::new();
    let action = match body.action.as_str() {
        "accept" => {
            notices.extend(family_notices(state, &e, &format!("{}（{}）已接单，正赶往{}家。", r.name, r.kind, e.name), &format!("{} is on the way to {}.", r.name, e.name)));
            Action::Accept
        }
        "decline" => Action::Decline,
        "arrive" => Action::Arrive,
        "resolve" => Action::Resolve { outcome: outcome(&body)? },
        other => return Err(Failure::invalid("bad_action", "action", format!("不认识的操作「{other}」"), format!("Unknown action {other:?}"))),
    };
    let closing = matches!(action, Action::Resolve { .. });
    guardian::apply(&mut case, action, &format!("responder:{}", r.id), state.now()).map_err(|e| engine_error(&e))?;
    if closing {
        notices.extend(family_notices(state, &e, &format!("{}的报警已处理完毕：{}。", e.name, outcome_zh(&case)), &format!("The alarm for {} is closed.", e.name)));
    }
    let row = save(state, &a, &case, from_seq, &notices).await?;
    Ok(alarm_view(&row, Some(&e), Vec::new(), false))
}

/// The responders to ask for an alarm, nearest first, with their travel time and how it was
/// found (through the streets, or by the straight line when the network is not loaded or a point
/// is off it).
pub async fn candidates(state: &AppState, p: &Principal, id: &str) -> Fallible<Vec<RankedResponderView>> {
    must_be_centre(state, p)?;
    let (_, case, e) = load(state, id).await?;
    Ok(ranked(state, &e, &case)
        .await?
        .into_iter()
        .map(|(r, t)| RankedResponderView { responder: responder_view(&r, true), travel_s: t.seconds, method: t.method.code().into(), distance_m: t.metres })
        .collect())
}

// ---------------------------------------------------------------------------------------------
// The duty's escalations.

/// Records every escalation that fell due on open alarms and carries it out: the centre is
/// reminded (the console hears it), the next responder asked, the family and then 120/110 told
/// through the notice channel. The number of escalations recorded.
pub async fn escalate_due(state: &AppState, rules: &Rules) -> Fallible<usize> {
    let now = state.now();
    let (open, _) = state.store.guardian().alarms(&AlarmFilter { open: true, technical: Some(false), ..Default::default() }, store::Page { limit: 10_000, offset: 0 }).await?;
    let mut n = 0;
    for a in open {
        let mut case = case_of(&a)?;
        let due = guardian::due(&case, rules, now);
        if due.is_empty() {
            continue;
        }
        let Some(e) = state.store.guardian().elder(a.elder).await? else { continue };
        let from_seq = case.head.seq;
        let mut notices = Vec::new();
        for esc in due {
            let kind = esc.kind.clone();
            if guardian::apply(&mut case, Action::Escalate(esc), "system", now).is_err() {
                continue;
            }
            n += 1;
            match kind {
                EscalationKind::RemindCentre { .. } => {}
                EscalationKind::NextResponder { .. } => {
                    let next = ranked(state, &e, &case).await?.into_iter().next();
                    match next {
                        Some((r, _)) => {
                            notices.push(responder_notice(state, &r, &e, &case));
                            let _ = guardian::apply(&mut case, Action::Dispatch { responder: r.id.to_string() }, "system", now);
                        }
                        None => {
                            notices.extend(family_notices(state, &e, &format!("{}有紧急情况，附近暂无响应人，请立即联系或前往。", e.name), &format!("{} needs help and no responder is free: please call or go now.", e.name)));
                            let esc = guardian::Escalation { kind: EscalationKind::CallFamily, due_at: now };
                            let _ = guardian::apply(&mut case, Action::Escalate(esc), "system", now);
                        }
                    }
                }
                EscalationKind::CallFamily => {
                    notices.extend(family_notices(state, &e, &format!("{}有紧急情况，请立即联系或前往 {}。", e.name, e.address), &format!("{} needs help: please call or go to {} now.", e.name, e.address)));
                }
                EscalationKind::CallEmergency { number } => {
                    notices.push((
                        state.parts.ids.next(),
                        format!("emergency:{number}"),
                        "guardian_emergency".to_owned(),
                        format!("{}：{}（{}）{}报警，10 分钟内无人到场，请求 {number} 出动。", e.address, e.name, domain::mask::id_number(&e.person_key), case.kind.label_zh()),
                        format!("{}: {} alarm for {}; nobody on scene within 10 minutes; {number} requested.", e.address, case.kind.code().replace('_', " "), e.name),
                    ));
                }
            }
        }
        if let Err(err) = save(state, &a, &case, from_seq, &notices).await {
            // Someone acted on it meanwhile: the next round looks again.
            tracing::debug!(alarm = a.id, error = ?err, "guardian: escalation left for the next round");
        }
    }
    Ok(n)
}

/// A month's measures (`guardian::measure`): per town, and the whole district's.
#[derive(Debug, Clone)]
pub struct Measures {
    pub month: domain::Month,
    /// One row per town (乡镇/街道, the division's first nine digits) with alarms raised in the
    /// month or, for the current month, elders who qualify.
    pub towns: Vec<guardian::TownMonth>,
    /// The whole district (town `""`); none when there is nothing to measure.
    pub district: Option<guardian::TownMonth>,
}

/// The town of a division code: its first nine digits.
pub(crate) fn town_of(division: &str) -> String {
    division.chars().take(9).collect()
}

/// Elders guarded and elders who qualify now, per town (as `GET /api/guardian/coverage` counts
/// them: the guarded among those who qualify).
async fn coverage_now(state: &AppState, month: domain::Month) -> Fallible<Vec<guardian::CoverageCount>> {
    use chrono::Datelike;
    let today = domain::china_date(state.now());
    let born = today.with_year(today.year() - super::cases::MIN_AGE as i32).unwrap_or(today);
    let qualifying = state.store.guardian().candidates(&born.to_string(), None).await?;
    let guarded: std::collections::HashSet<String> = state.store.guardian().guarded().await?.into_iter().map(|e| e.person_key).collect();
    let mut by_town: std::collections::BTreeMap<String, (u32, u32)> = std::collections::BTreeMap::new();
    for c in &qualifying {
        let t = by_town.entry(town_of(&c.division)).or_default();
        t.0 += u32::from(guarded.contains(&c.person_key));
        t.1 += 1;
    }
    Ok(by_town.into_iter().map(|(town, (guarded, qualifying))| guardian::CoverageCount { town, month, guarded, qualifying }).collect())
}

/// The measures of a month (the alarms raised in it, China time) per town and for the district,
/// with the coverage now when it is the current month (no use case checks the caller: the
/// measures' and the cockpit's do).
pub async fn measures_of(state: &AppState, month: domain::Month) -> Fallible<Measures> {
    let now = state.now();
    let from: DateTime<Utc> = domain::china_start_of_day(month.first_day());
    let to: DateTime<Utc> = domain::china_start_of_day(month.next().first_day());
    let (rows, _) = state.store.guardian().alarms(&AlarmFilter { raised_from: Some(from), raised_before: Some(to), ..Default::default() }, store::Page { limit: 1_000_000, offset: 0 }).await?;
    let cases: Vec<(String, Case)> = rows.iter().filter_map(|a| Some((town_of(&a.division), case_of(a).ok()?))).collect();
    let coverage = if month == domain::Month::of(domain::china_date(now)) { coverage_now(state, month).await? } else { Vec::new() };
    let towns: Vec<guardian::TownMonth> = guardian::measure(cases.iter().map(|(t, c)| (t.as_str(), c)), &coverage, now).into_iter().filter(|t| t.month == month).collect();
    let whole: Vec<guardian::CoverageCount> = coverage.iter().map(|c| guardian::CoverageCount { town: String::new(), ..c.clone() }).collect();
    let district = guardian::measure(cases.iter().map(|(_, c)| ("", c)), &whole, now).into_iter().find(|t| t.month == month);
    Ok(Measures { month, towns, district })
}

/// The month's measures per town, for the monitoring centre.
pub async fn measures(state: &AppState, p: &Principal, q: MeasureQuery) -> Fallible<Vec<serde_json::Value>> {
    must_be_centre(state, p)?;
    let month = domain::Month::parse(q.month.as_deref().unwrap_or("")).map_err(|e| Failure::from_describe(&e, "month"))?;
    Ok(measures_of(state, month).await?.towns.into_iter().filter_map(|t| serde_json::to_value(t).ok()).collect())
}

/// The live feed of alarm events, for the centre.
pub fn feed(state: &AppState, p: &Principal) -> Fallible<tokio::sync::broadcast::Receiver<super::live::AlarmEvent>> {
    must_be_centre(state, p)?;
    Ok(state.guardian.events.subscribe())
}
