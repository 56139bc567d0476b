//! Welfare's use cases (C2, C3): benefits found from the registers and opened or closed by
//! themselves when a register fact changes (免申即享), why a person is or is not entitled and their
//! objections, monthly payout runs (frozen by one person, approved by another, the bank's payment
//! file out and its return file in, overpayments recovered), households found in difficulty for
//! community workers to visit, each household's happiness list (幸福清单), the relief directory
//! in Open Referral HSDS, and the cockpit's figures. Every read of someone's benefits by staff is
//! logged where the person sees it.

use std::collections::BTreeMap;
use std::collections::BTreeSet;
use std::collections::HashMap;
use std::sync::LazyLock;

use chrono::DateTime;
use chrono::NaiveDate;
use chrono::Utc;
use domain::china_date;
use domain::mask;
use pool::Decision as ReadDecision;
use pool::Purpose;
use sha2::Digest;
use store::AccountKind;
use store::EntitlementRow;
use store::EventRow;
use store::FlagRow;
use store::ObjectionRow;
use store::PaymentRow;
use store::PlainNotice;
use store::RecoveryRow;
use store::RunRow;
use store::WelfarePerson;
use welfare::Benefit;
use welfare::Catalog;
use welfare::DirectorySearch;
use welfare::Month;
use welfare::Outcome;
use crate::auth::Principal;
use crate::areas::pool::cases::entry;
use crate::areas::pool::cases::reader_of;
use crate::areas::pool::cases::store_log_error;
use crate::failure::Failure;
use crate::failure::Fallible;
use crate::policy::Who;
use crate::state::AppState;
use super::facts::FACT_TYPES;
use super::facts::Gathered;
use super::facts::gather;
use super::views::*;

/// The benefit catalog shipped with minsheng (`data/welfare/`).
pub fn catalog() -> &'static Catalog {
    static CATALOG: LazyLock<Catalog> = LazyLock::new(Catalog::demo);
    &CATALOG
}

/// How many times a change another server made first is retried on fresh data.
const RETRIES: usize = 3;

// ---------------------------------------------------------------------------------------------
// Who the caller is here.

/// What the caller may see and do in welfare.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// Staff of a department that pays benefits (its own benefits), or the administrator (`None`: all).
    Staff { department: Option<String> },
    /// A community worker: the households of their division.
    Worker { division: String },
    /// A resident: their own benefits and household.
    Resident { key: String },
}

pub(super) async fn actor(state: &AppState, p: &Principal) -> Fallible<Actor> {
    let who = Who::of(state, Some(&p.account));
    if who.meets(Who::ADMIN) {
        return Ok(Actor::Staff { department: None });
    }
    if who.meets(Who::WELFARE) {
        return Ok(Actor::Staff { department: p.account.department.clone() });
    }
    if who.meets(Who::COMMUNITY) {
        if let Some(d) = p.account.division.clone().filter(|d| !d.is_empty()) {
            return Ok(Actor::Worker { division: d });
        }
    }
    if p.account.kind == AccountKind::Citizen {
        let reader = reader_of(state, &p.account).await?;
        if let Some(key) = reader.own_key {
            return Ok(Actor::Resident { key });
        }
    }
    Err(Failure::forbidden("只有民政等部门、社区工作者和居民本人可以使用", "Only welfare departments, community workers and residents themselves may use this"))
}

async fn resident(state: &AppState, p: &Principal) -> Fallible<String> {
    match actor(state, p).await? {
        Actor::Resident { key } => Ok(key),
        _ => Err(Failure::Forbidden { code: "residents_only", zh: "只有居民本人可以做这件事".into(), en: "Only residents themselves may do this".into(), field: None }),
    }
}

/// The department whose benefits a staff member handles (`None`: the administrator, all).
async fn staff(state: &AppState, p: &Principal) -> Fallible<Option<String>> {
    match actor(state, p).await? {
        Actor::Staff { department } => Ok(department),
        _ => Err(Failure::Forbidden { code: "welfare_staff_only", zh: "只有发放待遇的部门可以做这件事".into(), en: "Only departments that pay benefits may do this".into(), field: None }),
    }
}

fn department_name(state: &AppState, code: &str) -> String {
    state.catalog().department(code).map_or_else(|| code.to_owned(), |d| d.name.clone())
}

fn benefit_name(code: &str) -> String {
    catalog().benefit(code).map_or_else(|| code.to_owned(), |b| b.name.clone())
}

fn benefit_of(code: &str, field: &str) -> Fallible<&'static Benefit> {
    catalog().benefit(code.trim()).ok_or_else(|| Failure::invalid("unknown_benefit", field, format!("没有待遇「{code}」"), format!("No benefit {code:?}")))
}

fn text_field(v: &str, field: &str, what_zh: &str, what_en: &str) -> Fallible<String> {
    let t = v.trim();
    if t.is_empty() || t.chars().count() > 1000 {
        return Err(Failure::invalid("text_required", field, format!("请填写{what_zh}（1000 字以内）"), format!("Give {what_en} (up to 1,000 characters)")));
    }
    Ok(t.to_owned())
}

fn yuan(fen: i64) -> String {
    format!("{}.{:02}", fen / 100, (fen % 100).abs())
}

/// Logs reads of people's data for social assistance (benefits, elders under guard) by staff and
/// workers, where each person sees them.
pub(crate) async fn log_reads(state: &AppState, p: &Principal, subjects: impl Iterator<Item = (String, String)>) -> Fallible<()> {
    let reader = reader_of(state, &p.account).await?;
    let now = state.now();
    let entries: Vec<_> = subjects
        .map(|(subject, resource)| entry(&reader, now, &subject, resource, Some(&Purpose::Assistance), &ReadDecision::Allowed { basis: pool::Basis::Assistance }))
        .collect();
    if !entries.is_empty() {
        state.pool.appender.append(entries, Vec::new()).await.map_err(store_log_error)?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The catalog.

fn amount_text(b: &Benefit) -> String {
    match &b.amount {
        welfare::Amount::Fixed(f) => format!("{} 元/月", yuan(*f)),
        welfare::Amount::Bands { fact, bands } => {
            let parts: Vec<String> = bands
                .iter()
                .map(|band| match band.to {
                    Some(to) => format!("{fact} {}–{to}: {} 元/月", band.from, yuan(band.fen)),
                    None => format!("{fact} ≥ {}: {} 元/月", band.from, yuan(band.fen)),
                })
                .collect();
            parts.join("；")
        }
        welfare::Amount::Formula(rule) => format!("{}（分/月）", rule.source),
    }
}

/// The benefit catalog, the facts its rules read and their parameters (public).
pub fn catalog_view(state: &AppState) -> CatalogView {
    let c = catalog();
    CatalogView {
        benefits: c
            .benefits
            .iter()
            .map(|b| BenefitView {
                code: b.code.clone(),
                name: b.name.clone(),
                name_en: b.name_en.clone(),
                department: b.department.clone(),
                department_name: department_name(state, &b.department),
                legal_basis: b.legal_basis.clone(),
                eligibility: b.eligibility.source.clone(),
                amount: amount_text(b),
                arrears_months: b.arrears_months,
            })
            .collect(),
        facts: welfare::FACTS
            .iter()
            .map(|f| FactView { name: f.name.into(), r#type: f.ty.name().into(), label_zh: f.label_zh.into(), label_en: f.label_en.into(), source: f.source.into() })
            .collect(),
        params: c
            .params
            .iter()
            .map(|(name, v)| ParamView { name: name.clone(), value: v.value, label_zh: v.label_zh.clone(), label_en: v.label_en.clone(), source: v.source.clone() })
            .collect(),
    }
}

// ---------------------------------------------------------------------------------------------
// Deciding: the engine's decisions as views, and the changes they make to entitlements.

/// A fact's or a parameter's label, in Chinese and English (money is shown in yuan, so a note
/// that the catalog counts it in fen is left out).
fn fact_label(name: &str) -> (String, String) {
    let (zh, en) = if let Some(f) = welfare::FACTS.iter().find(|f| f.name == name) {
        (f.label_zh.to_owned(), f.label_en.to_owned())
    } else {
        match catalog().params.get(name) {
            Some(p) => (p.label_zh.clone(), p.label_en.clone()),
            None => (name.to_owned(), name.to_owned()),
        }
    };
    if !is_money(name) {
        return (zh, en);
    }
    let cut = |s: &str, open: &str, unit: &str| match s.find(open) {
        Some(i) if s[i..].contains(unit) => s[..i].trim_end().to_owned(),
        _ => s.to_owned(),
    };
    (cut(&zh, "（", "分"), cut(&en, " (", "fen"))
}

/// Whether a fact or parameter is an amount of money in fen (shown in yuan).
fn is_money(name: &str) -> bool {
    name == "income_per_head" || name.ends_with("_fen") || catalog().params.get(name).is_some_and(|p| p.label_en.contains("(fen"))
}

/// A value as a person reads it: money in yuan.
fn shown_value(name: &str, value: &str) -> String {
    match value.parse::<i64>() {
        Ok(fen) if is_money(name) => format!("{} 元", yuan(fen)),
        _ => value.to_owned(),
    }
}

fn reason_views(reasons: &[welfare::Reason]) -> Vec<ReasonView> {
    reasons
        .iter()
        .map(|r| ReasonView {
            clause: r.clause.clone(),
            values: r
                .values
                .iter()
                .map(|(fact, value)| {
                    let (zh, en) = fact_label(fact);
                    FactValueView { fact: fact.clone(), label_zh: zh, label_en: en, value: shown_value(fact, value) }
                })
                .collect(),
            holds: r.holds,
        })
        .collect()
}

fn decision_view(state: &AppState, d: &welfare::Decision) -> DecisionView {
    let b = catalog().benefit(&d.benefit);
    let (outcome, amount, missing) = match &d.outcome {
        Outcome::Entitled { amount_fen } => ("entitled", Some(*amount_fen), Vec::new()),
        Outcome::NotEntitled => ("not_entitled", None, Vec::new()),
        Outcome::Unknown { missing } => ("unknown", None, missing.clone()),
    };
    DecisionView {
        benefit: d.benefit.clone(),
        name: b.map_or_else(|| d.benefit.clone(), |b| b.name.clone()),
        name_en: b.map_or_else(|| d.benefit.clone(), |b| b.name_en.clone()),
        department_name: b.map_or_else(String::new, |b| department_name(state, &b.department)),
        outcome: outcome.into(),
        amount_fen: amount,
        missing,
        reasons: reason_views(&d.reasons),
    }
}

/// The clauses that held (or failed), as a sentence: `年龄 ≥ 80（年龄 = 83）；…`.
fn clauses(reasons: &[welfare::Reason], holds: bool) -> (String, String) {
    let mut zh = Vec::new();
    let mut en = Vec::new();
    for r in reasons.iter().filter(|r| r.holds == Some(holds)) {
        let vals_zh: Vec<String> = r.values.iter().map(|(f, v)| format!("{}={}", fact_label(f).0, shown_value(f, v))).collect();
        let vals_en: Vec<String> = r.values.iter().map(|(f, v)| format!("{}={}", fact_label(f).1, shown_value(f, v))).collect();
        zh.push(format!("{}（{}）", r.clause, vals_zh.join("，")));
        en.push(format!("{} ({})", r.clause, vals_en.join(", ")));
    }
    (zh.join("；"), en.join("; "))
}

/// What one re-evaluation changes.
#[derive(Default)]
struct Changes {
    rows: Vec<EntitlementRow>,
    events: Vec<EventRow>,
    notices: Vec<PlainNotice>,
    opened: u64,
    closed: u64,
    changed: u64,
}

/// Compares today's decisions for each person with their stored entitlements: opens what is now
/// due, closes what no longer is (an unknown fact changes nothing), with an event and a notice
/// for each. Outcomes are found without reasons, in parallel and a slice of people at a time;
/// the reasons are worked out only for what changes.
fn diff(state: &AppState, g: &Gathered, stored: &[EntitlementRow], today: NaiveDate, now: DateTime<Utc>, cause: &str) -> Changes {
    use rayon::prelude::*;
    let mut by_key: HashMap<(&str, &str), &EntitlementRow> = HashMap::new();
    for e in stored {
        by_key.insert((e.person_key.as_str(), e.benefit.as_str()), e);
    }
    let c = catalog();
    let keys: Vec<&String> = g.people.keys().collect();
    let mut ch = Changes::default();
    for slice in keys.chunks(50_000) {
        let changed: Vec<(&String, welfare::Decision)> = slice
            .par_iter()
            .flat_map_iter(|k| {
                let facts = &g.facts[*k];
                let by_key = &by_key;
                c.benefits.iter().filter_map(move |b| {
                    let old = by_key.get(&(k.as_str(), b.code.as_str()));
                    let open = old.is_some_and(|o| o.status == "open");
                    let changes = match welfare::outcome(b, facts, today) {
                        Outcome::Entitled { amount_fen } => !open || old.is_some_and(|o| o.amount_fen != amount_fen),
                        Outcome::NotEntitled => open,
                        Outcome::Unknown { .. } => false,
                    };
                    changes.then(|| (*k, welfare::evaluate(c, b, facts, today)))
                })
            })
            .collect();
        for (key, d) in changed {
            change(state, g, &mut ch, key, &d, by_key.get(&(key.as_str(), d.benefit.as_str())).copied(), today, now, cause);
        }
    }
    ch
}

/// The entitlement row, event and notice of one decision that changes a person's entitlement.
#[allow(clippy::too_many_arguments)]
fn change(state: &AppState, g: &Gathered, ch: &mut Changes, key: &String, d: &welfare::Decision, old: Option<&EntitlementRow>, today: NaiveDate, now: DateTime<Utc>, cause: &str) {
    let c = catalog();
    let person = &g.people[key];
    let open = old.is_some_and(|o| o.status == "open");
    let reasons = serde_json::to_string(&reason_views(&d.reasons)).unwrap_or_else(|_| "[]".into());
    let b = c.benefit(&d.benefit);
    let name = b.map_or_else(|| d.benefit.clone(), |b| b.name.clone());
    let name_en = b.map_or_else(|| d.benefit.clone(), |b| b.name_en.clone());
    let event = |kind: &str, amount: i64, zh: String, en: String| EventRow {
        id: state.parts.ids.next(),
        person_key: key.clone(),
        benefit: d.benefit.clone(),
        kind: kind.into(),
        amount_fen: amount,
        at: now,
        cause: cause.into(),
        reason_zh: zh,
        reason_en: en,
    };
    match (&d.outcome, old) {
        (Outcome::Entitled { amount_fen }, _) if !open => {
            let (why_zh, why_en) = clauses(&d.reasons, true);
            ch.events.push(event("opened", *amount_fen, format!("符合条件：{why_zh}"), format!("Conditions met: {why_en}")));
            ch.rows.push(EntitlementRow {
                person_key: key.clone(),
                benefit: d.benefit.clone(),
                household: person.household,
                division: person.division.clone(),
                status: "open".into(),
                amount_fen: *amount_fen,
                opened_on: today,
                closed_on: None,
                source: "registers".into(),
                reasons,
                updated_at: now,
                version: old.map_or(1, |o| o.version + 1),
            });
            ch.opened += 1;
            if let Some(a) = person.account {
                let (zh, en) = b.map_or((String::new(), String::new()), |b| (b.notice_zh.clone(), b.notice_en.clone()));
                ch.notices.push((
                    state.parts.ids.next(),
                    format!("account:{a}"),
                    "welfare_opened".into(),
                    format!("{zh}（{name}，每月 {} 元，自 {} 起发放）", yuan(*amount_fen), Month::of(today).next()),
                    format!("{en} ({name_en}, {} yuan a month, paid from {})", yuan(*amount_fen), Month::of(today).next()),
                ));
            }
        }
        (Outcome::Entitled { amount_fen }, Some(o)) if o.amount_fen != *amount_fen => {
            ch.events.push(event("amount", *amount_fen, format!("金额由 {} 元调整为 {} 元", yuan(o.amount_fen), yuan(*amount_fen)), format!("Amount changed from {} to {} yuan", yuan(o.amount_fen), yuan(*amount_fen))));
            ch.rows.push(EntitlementRow { amount_fen: *amount_fen, reasons, updated_at: now, version: o.version + 1, ..o.clone() });
            ch.changed += 1;
        }
        (Outcome::NotEntitled, Some(o)) if open => {
            let (why_zh, why_en) = clauses(&d.reasons, false);
            ch.events.push(event("closed", 0, format!("不再符合条件：{why_zh}"), format!("No longer met: {why_en}")));
            ch.rows.push(EntitlementRow { status: "closed".into(), closed_on: Some(today), reasons, updated_at: now, version: o.version + 1, ..o.clone() });
            ch.closed += 1;
            let alive = g.facts.get(key).is_some_and(|f| f.alive(today));
            if let (Some(a), true) = (person.account, alive) {
                ch.notices.push((
                    state.parts.ids.next(),
                    format!("account:{a}"),
                    "welfare_closed".into(),
                    format!("您的{name}自 {} 起停止发放：{why_zh}。如有异议，可在“我的待遇”中提出。", Month::of(today).next()),
                    format!("Your {name_en} stops from {}: {why_en}. You may object under 'My benefits'.", Month::of(today).next()),
                ));
            }
        }
        _ => {}
    }
}

/// The people of the households of `keys` (everyone with `None`) with their facts, and their
/// stored entitlements.
async fn load(state: &AppState, keys: Option<&[String]>, today: NaiveDate) -> Fallible<(Gathered, Vec<EntitlementRow>)> {
    let (people, records, stored) = match keys {
        None => {
            let t = std::time::Instant::now();
            let people = state.store.welfare().people_all().await?;
            let read_people = t.elapsed();
            let records = state.store.welfare().fact_records(FACT_TYPES, None).await?;
            let read_records = t.elapsed() - read_people;
            let stored = state.store.welfare().entitlements_of(None).await?;
            tracing::info!(people = people.len(), records = records.len(), entitlements = stored.len(), ?read_people, ?read_records, total = ?t.elapsed(), "welfare: registers read for everyone");
            (people, records, stored)
        }
        Some(keys) => {
            let households = state.store.welfare().households_of(keys).await?;
            let people = state.store.welfare().people_of_households(&households).await?;
            let all: Vec<String> = people.iter().map(|p| p.id_number.clone()).collect();
            (people, state.store.welfare().fact_records(FACT_TYPES, Some(&all)).await?, state.store.welfare().entitlements_of(Some(&all)).await?)
        }
    };
    Ok((gather(people, &records, today), stored))
}

/// Re-evaluates everyone in the households of `keys` (everyone with `None`) and saves what
/// changed; a change another server made first is retried on fresh data.
pub async fn reevaluate(state: &AppState, keys: Option<&[String]>, cause: &str) -> Fallible<SweepView> {
    Ok(reevaluate_keeping(state, keys, cause).await?.0)
}

/// [`reevaluate`], keeping the facts gathered (the daily sweep screens households with them).
async fn reevaluate_keeping(state: &AppState, keys: Option<&[String]>, cause: &str) -> Fallible<(SweepView, Gathered)> {
    for _ in 0..RETRIES {
        let today = china_date(state.now());
        let (g, stored) = load(state, keys, today).await?;
        let now = state.now();
        let t = std::time::Instant::now();
        let ch = diff(state, &g, &stored, today, now, cause);
        drop(stored);
        let decided = t.elapsed();
        if state.store.welfare().save_entitlements(&ch.rows, &ch.events, &ch.notices, now).await? {
            if keys.is_none() {
                tracing::info!(?decided, saved = ?(t.elapsed() - decided), changes = ch.rows.len(), "welfare: everyone decided");
            }
            let v = SweepView { people: g.people.len() as u64, opened: ch.opened, closed: ch.closed, changed: ch.changed, flagged: 0 };
            return Ok((v, g));
        }
    }
    Err(Failure::Conflict { code: "contention", zh: "其他服务器正在更新这些待遇，请稍后再试".into(), en: "Another server is updating these entitlements; try again".into(), field: None })
}

/// A record of a type benefits read was published, corrected or revoked: its subject's
/// household is re-evaluated at once. Failures are logged, not returned (the record stands; the
/// catch-up finds it again).
pub async fn on_record(state: &AppState, subject: &str, record_type: &str) {
    if !FACT_TYPES.contains(&record_type) || domain::ResidentId::parse(subject).is_err() {
        return;
    }
    if let Err(e) = reevaluate(state, Some(&[subject.to_owned()]), record_type).await {
        tracing::warn!(error = ?e, record_type, "re-evaluating welfare after a record");
    }
}

/// Everyone re-evaluated now and households re-screened (staff; the daily duty does the same).
pub async fn sweep(state: &AppState, p: &Principal) -> Fallible<SweepView> {
    staff(state, p).await?;
    full_sweep(state).await
}

/// Re-evaluates everyone and screens every household.
pub async fn full_sweep(state: &AppState) -> Fallible<SweepView> {
    let (mut v, g) = reevaluate_keeping(state, None, "sweep").await?;
    v.flagged = discover_in(state, &g).await?;
    Ok(v)
}

/// The leading server's periodic duty: re-evaluates the subjects of records published since the
/// last look (other servers' and the one-thing engine's too), and once a day (birthdays pass
/// thresholds at midnight) everyone.
pub async fn duty(state: &AppState) {
    let now = state.now();
    let today = china_date(now).to_string();
    let last_day = state.store.welfare().watermark("daily").await.ok().flatten();
    if last_day.as_deref() != Some(today.as_str()) {
        match full_sweep(state).await {
            Ok(v) => {
                tracing::info!(people = v.people, opened = v.opened, closed = v.closed, flagged = v.flagged, "welfare: daily re-evaluation");
                let _ = state.store.welfare().set_watermark("daily", &today).await;
                let _ = state.store.welfare().set_watermark("records", &store::codec::ts(now)).await;
            }
            Err(e) => tracing::error!(error = ?e, "welfare: daily re-evaluation failed"),
        }
        return;
    }
    let since = match state.store.welfare().watermark("records").await {
        Ok(Some(t)) => store::codec::parse_ts(&t).unwrap_or(now),
        _ => now,
    };
    // Looks back a little behind the mark: a record committed by another server just before it.
    let Ok(changed) = state.store.welfare().subjects_changed_since(FACT_TYPES, since - chrono::Duration::seconds(10)).await else { return };
    if changed.is_empty() {
        return;
    }
    let keys: Vec<String> = changed.iter().map(|(k, _)| k.clone()).filter(|k| domain::ResidentId::parse(k).is_ok()).collect();
    let newest = changed.iter().map(|(_, t)| *t).max().unwrap_or(since);
    match reevaluate(state, Some(&keys), "records").await {
        Ok(_) => {
            let _ = state.store.welfare().set_watermark("records", &store::codec::ts(newest)).await;
        }
        Err(e) => tracing::warn!(error = ?e, "welfare: catching up with records"),
    }
}

// ---------------------------------------------------------------------------------------------
// A person's benefits.

fn entitlement_view(e: &EntitlementRow) -> EntitlementView {
    EntitlementView {
        person: mask::id_number(&e.person_key),
        benefit: e.benefit.clone(),
        benefit_name: benefit_name(&e.benefit),
        status: e.status.clone(),
        amount_fen: e.amount_fen,
        opened_on: e.opened_on.to_string(),
        closed_on: e.closed_on.map(|d| d.to_string()),
        source: e.source.clone(),
        division: e.division.clone(),
    }
}

fn event_view(e: &EventRow) -> EventView {
    EventView {
        benefit: e.benefit.clone(),
        benefit_name: benefit_name(&e.benefit),
        kind: e.kind.clone(),
        amount_fen: e.amount_fen,
        at: e.at.to_rfc3339(),
        cause: e.cause.clone(),
        reason_zh: e.reason_zh.clone(),
        reason_en: e.reason_en.clone(),
    }
}

fn objection_view(o: &ObjectionRow) -> ObjectionView {
    ObjectionView {
        id: o.id.to_string(),
        person: mask::id_number(&o.person_key),
        benefit: o.benefit.clone(),
        benefit_name: benefit_name(&o.benefit),
        department: o.department.clone(),
        text: o.text.clone(),
        status: o.status.clone(),
        answer: o.answer.clone(),
        created_at: o.created_at.to_rfc3339(),
        decided_at: o.decided_at.map(|t| t.to_rfc3339()),
    }
}

/// One person's benefits: what they receive, every decision today with its reasons, the events
/// and their objections.
async fn benefits_of(state: &AppState, key: &str) -> Fallible<PersonBenefitsView> {
    let today = china_date(state.now());
    let households = state.store.welfare().households_of(&[key.to_owned()]).await?;
    let people = state.store.welfare().people_of_households(&households).await?;
    let Some(me) = people.iter().find(|p| p.id_number == key).cloned() else {
        return Err(Failure::not_found("人口库中没有这个人", "No such person in the population register"));
    };
    let all: Vec<String> = people.iter().map(|p| p.id_number.clone()).collect();
    let records = state.store.welfare().fact_records(FACT_TYPES, Some(&all)).await?;
    let g = gather(people, &records, today);
    let decisions = welfare::evaluate_all(catalog(), &g.facts[key], today);
    let entitlements = state.store.welfare().entitlements_of(Some(&[key.to_owned()])).await?;
    let events = state.store.welfare().events_of(key).await?;
    let objections = state.store.welfare().objections(None, Some(key)).await?;
    Ok(PersonBenefitsView {
        person: mask::id_number(key),
        name: me.name,
        on: today.to_string(),
        receiving: entitlements.iter().filter(|e| e.status == "open").map(entitlement_view).collect(),
        decisions: decisions.iter().map(|d| decision_view(state, d)).collect(),
        events: events.iter().map(event_view).collect(),
        objections: objections.iter().map(objection_view).collect(),
    })
}

/// The resident's own benefits and why.
pub async fn mine(state: &AppState, p: &Principal) -> Fallible<PersonBenefitsView> {
    let key = resident(state, p).await?;
    benefits_of(state, &key).await
}

/// Someone's benefits, for the departments that pay them and the community worker of their
/// division; the read is logged where the person sees it.
pub async fn person(state: &AppState, p: &Principal, id_number: &str) -> Fallible<PersonBenefitsView> {
    let key = id_number.trim().to_uppercase();
    let a = actor(state, p).await?;
    let person = state.store.registers().person_by_id_number(&key).await?.ok_or_else(|| Failure::not_found("人口库中没有这个人", "No such person in the population register"))?;
    match &a {
        Actor::Staff { .. } => {}
        Actor::Worker { division } if person.division.starts_with(division.as_str()) => {}
        Actor::Resident { key: own } if *own == key => {}
        _ => return Err(Failure::not_found("人口库中没有这个人", "No such person in the population register")),
    }
    let v = benefits_of(state, &key).await?;
    if !matches!(a, Actor::Resident { .. }) {
        log_reads(state, p, std::iter::once((key.clone(), format!("welfare-benefits:{}", mask::id_number(&key))))).await?;
    }
    Ok(v)
}

/// A page of entitlements: a department's own benefits (the administrator's: all), a worker's
/// division's.
pub async fn entitlements(state: &AppState, p: &Principal, q: EntitlementQuery) -> Fallible<EntitlementsView> {
    let a = actor(state, p).await?;
    let (division, benefit) = match &a {
        Actor::Staff { department } => {
            if let (Some(d), Some(b)) = (department, q.benefit.as_deref().filter(|b| !b.is_empty())) {
                if benefit_of(b, "benefit")?.department != *d {
                    return Err(Failure::Forbidden { code: "not_your_benefit", zh: "这项待遇不由您的部门发放".into(), en: "Your department does not pay this benefit".into(), field: Some("benefit".into()) });
                }
            }
            (q.division.clone(), q.benefit.clone())
        }
        Actor::Worker { division } => {
            let d = q.division.clone().filter(|d| d.starts_with(division.as_str())).unwrap_or_else(|| division.clone());
            (Some(d), q.benefit.clone())
        }
        Actor::Resident { .. } => return Err(Failure::Forbidden { code: "welfare_staff_only", zh: "只有发放待遇的部门和社区工作者可以查看".into(), en: "Only departments that pay benefits and community workers may see this".into(), field: None }),
    };
    if let Some(s) = q.status.as_deref().filter(|s| !s.is_empty() && *s != "open" && *s != "closed") {
        return Err(Failure::invalid("bad_status", "status", format!("状态只能是 open 或 closed，不是「{s}」"), format!("status is open or closed, not {s:?}")));
    }
    let page = crate::ids::page(q.limit, q.offset);
    let (rows, total) = state.store.welfare().entitlements_page(benefit.as_deref(), q.status.as_deref(), division.as_deref(), page).await?;
    // A department sees its own benefits only.
    let rows: Vec<EntitlementRow> = match &a {
        Actor::Staff { department: Some(d) } => rows.into_iter().filter(|e| catalog().benefit(&e.benefit).is_some_and(|b| b.department == *d)).collect(),
        _ => rows,
    };
    log_reads(state, p, rows.iter().map(|e| (e.person_key.clone(), format!("welfare-entitlement:{}", e.benefit)))).await?;
    Ok(EntitlementsView { total, entitlements: rows.iter().map(entitlement_view).collect() })
}

// ---------------------------------------------------------------------------------------------
// Objections.

/// A resident objects to a decision about them: a case for the benefit's department.
pub async fn object(state: &AppState, p: &Principal, body: ObjectionBody) -> Fallible<ObjectionView> {
    let key = resident(state, p).await?;
    let b = benefit_of(&body.benefit, "benefit")?;
    let text = text_field(&body.text, "text", "异议理由", "the reason")?;
    let open = state.store.welfare().objections(None, Some(&key)).await?;
    if open.iter().any(|o| o.benefit == b.code && o.status == "open") {
        return Err(Failure::Conflict { code: "objection_open", zh: format!("您对「{}」的异议正在处理中", b.name), en: format!("Your objection about {} is being handled", b.name_en), field: Some("benefit".into()) });
    }
    let o = ObjectionRow {
        id: state.parts.ids.next(),
        person_key: key,
        account_id: p.id().0,
        benefit: b.code.clone(),
        department: b.department.clone(),
        text,
        status: "open".into(),
        answer: None,
        created_at: state.now(),
        decided_by: None,
        decided_at: None,
    };
    state.store.welfare().insert_objection(&o).await?;
    Ok(objection_view(&o))
}

/// A department's objections (the administrator's: all).
pub async fn objections(state: &AppState, p: &Principal) -> Fallible<Vec<ObjectionView>> {
    let dept = staff(state, p).await?;
    let rows = state.store.welfare().objections(dept.as_deref(), None).await?;
    log_reads(state, p, rows.iter().map(|o| (o.person_key.clone(), format!("welfare-objection:{}", o.id)))).await?;
    Ok(rows.iter().map(objection_view).collect())
}

/// The department answers an objection; upheld, the benefit is opened from it.
pub async fn decide_objection(state: &AppState, p: &Principal, id: &str, body: DecideObjectionBody) -> Fallible<ObjectionView> {
    let dept = staff(state, p).await?;
    let no = || Failure::not_found("没有这条异议", "No such objection");
    let id: i64 = id.trim().parse().map_err(|_| no())?;
    let o = state.store.welfare().objection(id).await?.ok_or_else(no)?;
    if dept.as_deref().is_some_and(|d| d != o.department) {
        return Err(no());
    }
    let answer = text_field(&body.answer, "answer", "答复", "the answer")?;
    let now = state.now();
    let status = if body.uphold { "upheld" } else { "rejected" };
    let name = benefit_name(&o.benefit);
    let notice: PlainNotice = (
        state.parts.ids.next(),
        format!("account:{}", o.account_id),
        "welfare_objection".into(),
        format!("您对「{name}」的异议已{}：{answer}", if body.uphold { "成立" } else { "不成立" }),
        format!("Your objection about {name} was {}: {answer}", if body.uphold { "upheld" } else { "rejected" }),
    );
    if !state.store.welfare().decide_objection(id, status, &answer, p.id().0, now, &notice).await? {
        return Err(Failure::Conflict { code: "objection_decided", zh: "这条异议已经答复".into(), en: "This objection has been answered".into(), field: None });
    }
    if body.uphold {
        // Opened from the objection (the department has found the person entitled).
        let today = china_date(now);
        let b = benefit_of(&o.benefit, "benefit")?;
        let existing = state.store.welfare().entitlements_of(Some(&[o.person_key.clone()])).await?;
        let old = existing.iter().find(|e| e.benefit == o.benefit);
        if !old.is_some_and(|e| e.status == "open") {
            let person = state.store.registers().person_by_id_number(&o.person_key).await?.ok_or_else(no)?;
            let amount = match &b.amount {
                welfare::Amount::Fixed(f) => *f,
                welfare::Amount::Bands { bands, .. } => bands.first().map_or(0, |x| x.fen),
                welfare::Amount::Formula(_) => old.map_or(0, |e| e.amount_fen),
            };
            let row = EntitlementRow {
                person_key: o.person_key.clone(),
                benefit: o.benefit.clone(),
                household: person.household.0,
                division: person.division.clone(),
                status: "open".into(),
                amount_fen: amount,
                opened_on: today,
                closed_on: None,
                source: "objection".into(),
                reasons: "[]".into(),
                updated_at: now,
                version: old.map_or(1, |e| e.version + 1),
            };
            let event = EventRow {
                id: state.parts.ids.next(),
                person_key: o.person_key.clone(),
                benefit: o.benefit.clone(),
                kind: "opened".into(),
                amount_fen: amount,
                at: now,
                cause: "objection".into(),
                reason_zh: format!("异议成立：{answer}"),
                reason_en: format!("Objection upheld: {answer}"),
            };
            state.store.welfare().save_entitlements(&[row], &[event], &[], now).await?;
        }
    }
    let o = state.store.welfare().objection(id).await?.ok_or_else(no)?;
    Ok(objection_view(&o))
}

// ---------------------------------------------------------------------------------------------
// Payout runs.

fn parse_month(s: &str) -> Fallible<Month> {
    Month::parse(s.trim()).map_err(|_| Failure::invalid("bad_month", "month", format!("月份应写作 YYYY-MM，不是「{s}」"), format!("A month is YYYY-MM, not {s:?}")))
}

/// The department a run is for: staff's own; the administrator names one.
fn run_department(state: &AppState, dept: Option<String>, asked: Option<&str>) -> Fallible<String> {
    let d = match (dept, asked.map(str::trim).filter(|s| !s.is_empty())) {
        (Some(own), Some(other)) if own != other => {
            return Err(Failure::Forbidden { code: "not_your_department", zh: "只能为本部门发放".into(), en: "You pay your own department's benefits only".into(), field: Some("department".into()) });
        }
        (Some(own), _) => own,
        (None, Some(asked)) => asked.to_owned(),
        (None, None) => return Err(Failure::invalid("department_required", "department", "请指定部门", "Name the department")),
    };
    if !catalog().benefits.iter().any(|b| b.department == d) {
        return Err(Failure::invalid("no_benefits", "department", format!("{}没有发放的待遇", department_name(state, &d)), format!("{d} pays no benefit")));
    }
    Ok(d)
}

/// Plans a department's month from the registers as they stand.
async fn plan(state: &AppState, department: &str, month: Month) -> Fallible<(welfare::RunPlan, Gathered)> {
    let this = Month::of(china_date(state.now()));
    if month > this.next() {
        return Err(Failure::invalid("month_too_far", "month", format!("{month} 还没到，最多可以准备下月的发放"), format!("{month} is too far ahead; next month's run is the latest")));
    }
    let mut c = catalog().clone();
    c.benefits.retain(|b| b.department == department);
    // Arrears reach back only over months the department has paid: a month before its first run
    // was never due from the platform.
    let run_months: BTreeSet<String> = state.store.welfare().runs().await?.into_iter().filter(|r| r.department == department).map(|r| r.month).collect();
    let paid_back = (1..=12u32).take_while(|n| run_months.contains(&month.back(*n).to_string())).count() as u32;
    for b in &mut c.benefits {
        b.arrears_months = b.arrears_months.min(paid_back);
    }
    let codes: Vec<String> = c.benefits.iter().map(|b| b.code.clone()).collect();
    let today = china_date(state.now());
    let people = state.store.welfare().people_all().await?;
    let records = state.store.welfare().fact_records(FACT_TYPES, None).await?;
    let g = gather(people, &records, today);
    let paid = state.store.welfare().paid_since(&codes, &month.back(12).to_string()).await?;
    let mut by_person: HashMap<&str, Vec<welfare::Paid>> = HashMap::new();
    for p in &paid {
        if let Ok(m) = Month::parse(&p.month) {
            by_person.entry(p.person_key.as_str()).or_default().push(welfare::Paid { benefit: p.benefit.clone(), month: m, amount_fen: p.amount_fen });
        }
    }
    let inputs: Vec<welfare::PersonInput> = g
        .people
        .keys()
        .map(|k| welfare::PersonInput { key: k.clone(), facts: g.facts[k].clone(), paid: by_person.remove(k.as_str()).unwrap_or_default() })
        .collect();
    let plan = welfare::plan_run(&c, month, &inputs);
    Ok((plan, g))
}

fn totals_views(totals: &[welfare::BenefitTotal]) -> Vec<RunTotalView> {
    totals
        .iter()
        .map(|t| RunTotalView { benefit: t.benefit.clone(), benefit_name: benefit_name(&t.benefit), people: t.people, lines: t.lines, amount_fen: t.amount_fen, recoveries_fen: t.recoveries_fen })
        .collect()
}

fn payment_view(p: &PaymentRow) -> PaymentView {
    PaymentView {
        line: p.line,
        person: mask::id_number(&p.person_key),
        name: mask::name(&p.name),
        benefit: p.benefit.clone(),
        benefit_name: benefit_name(&p.benefit),
        month: p.month.clone(),
        amount_fen: p.amount_fen,
        kind: p.kind.clone(),
        status: p.status.clone(),
        failure: p.failure.clone(),
    }
}

fn recovery_view(r: &RecoveryRow) -> RecoveryView {
    RecoveryView {
        person: mask::id_number(&r.person_key),
        benefit: r.benefit.clone(),
        month: r.month.clone(),
        amount_fen: r.amount_fen,
        reason_zh: r.reason_zh.clone(),
        reason_en: r.reason_en.clone(),
        status: r.status.clone(),
    }
}

fn line_kind(k: &welfare::LineKind) -> &'static str {
    match k {
        welfare::LineKind::Regular => "regular",
        welfare::LineKind::Arrears => "arrears",
    }
}

/// The payment rows of a plan, numbered, with each person's account (held without one).
fn payment_rows(state: &AppState, run_id: i64, plan: &welfare::RunPlan, g: &Gathered) -> Vec<PaymentRow> {
    plan.lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let person = g.people.get(&l.person);
            let account = g.accounts.get(&l.person).map(|a| a.account.clone()).unwrap_or_default();
            PaymentRow {
                id: state.parts.ids.next(),
                run_id,
                line: i as i64 + 1,
                person_key: l.person.clone(),
                household: person.map_or(0, |p| p.household),
                division: person.map_or_else(String::new, |p| p.division.clone()),
                benefit: l.benefit.clone(),
                month: l.month.to_string(),
                amount_fen: l.amount_fen,
                kind: line_kind(&l.kind).into(),
                name: person.map_or_else(String::new, |p| p.name.clone()),
                status: if account.is_empty() { "held".into() } else { "planned".into() },
                account,
                failure: None,
            }
        })
        .collect()
}

/// A digest of the stored lines (approval checks nothing changed since the freeze).
fn lines_digest(rows: &[PaymentRow]) -> String {
    let mut h = sha2::Sha256::new();
    for r in rows {
        h.update(format!("{}|{}|{}|{}|{}|{}|{}\n", r.line, r.person_key, r.benefit, r.month, r.amount_fen, r.kind, r.account).as_bytes());
    }
    hex::encode(h.finalize())
}

fn run_view(state: &AppState, r: &RunRow, payments: &[PaymentRow], recoveries: &[RecoveryRow]) -> RunView {
    let totals: Vec<welfare::BenefitTotal> = serde_json::from_str(&r.totals).unwrap_or_default();
    let count = |s: &str| payments.iter().filter(|p| p.status == s).count() as i64;
    RunView {
        id: r.id.to_string(),
        month: r.month.clone(),
        department: r.department.clone(),
        department_name: department_name(state, &r.department),
        status: r.status.clone(),
        digest: r.digest.clone(),
        lines: r.lines,
        amount_fen: r.amount_fen,
        recoveries_fen: r.recoveries_fen,
        totals: totals_views(&totals),
        frozen_at: Some(r.frozen_at.to_rfc3339()),
        approved_at: r.approved_at.map(|t| t.to_rfc3339()),
        exported_at: r.exported_at.map(|t| t.to_rfc3339()),
        returned_at: r.returned_at.map(|t| t.to_rfc3339()),
        payments: payments.iter().take(200).map(payment_view).collect(),
        recoveries: recoveries.iter().map(recovery_view).collect(),
        held: count("held"),
        paid: count("paid"),
        failed: count("failed"),
    }
}

/// What a month's run would pay, without storing anything.
pub async fn preview(state: &AppState, p: &Principal, body: RunBody) -> Fallible<RunView> {
    let dept = run_department(state, staff(state, p).await?, body.department.as_deref())?;
    let month = parse_month(&body.month)?;
    let (plan, g) = plan(state, &dept, month).await?;
    let rows = payment_rows(state, 0, &plan, &g);
    let amount: i64 = plan.lines.iter().map(|l| l.amount_fen).sum();
    Ok(RunView {
        id: String::new(),
        month: month.to_string(),
        department: dept.clone(),
        department_name: department_name(state, &dept),
        status: "preview".into(),
        digest: plan.digest.clone(),
        lines: plan.lines.len() as i64,
        amount_fen: amount,
        recoveries_fen: plan.recoveries.iter().map(|r| r.amount_fen).sum(),
        totals: totals_views(&plan.totals),
        frozen_at: None,
        approved_at: None,
        exported_at: None,
        returned_at: None,
        payments: rows.iter().take(200).map(payment_view).collect(),
        recoveries: plan
            .recoveries
            .iter()
            .map(|r| RecoveryView {
                person: mask::id_number(&r.person),
                benefit: r.benefit.clone(),
                month: r.month.to_string(),
                amount_fen: r.amount_fen,
                reason_zh: r.reason_zh.clone(),
                reason_en: r.reason_en.clone(),
                status: "open".into(),
            })
            .collect(),
        held: rows.iter().filter(|r| r.status == "held").count() as i64,
        paid: 0,
        failed: 0,
    })
}

/// Freezes a month's run: its lines and recoveries stored at once, all or none. A month has one
/// run per department: starting it again is refused and changes nothing.
pub async fn freeze(state: &AppState, p: &Principal, body: RunBody) -> Fallible<RunView> {
    let dept = run_department(state, staff(state, p).await?, body.department.as_deref())?;
    let month = parse_month(&body.month)?;
    let exists = || Failure::Conflict {
        code: "run_exists",
        zh: format!("{month} 的发放批次已经生成，不能重复生成"),
        en: format!("The run of {month} exists already; it is never made twice"),
        field: Some("month".into()),
    };
    if state.store.welfare().runs().await?.iter().any(|r| r.month == month.to_string() && r.department == dept) {
        return Err(exists());
    }
    let (plan, g) = plan(state, &dept, month).await?;
    let id = state.parts.ids.next();
    let payments = payment_rows(state, id, &plan, &g);
    let recoveries: Vec<RecoveryRow> = plan
        .recoveries
        .iter()
        .map(|r| RecoveryRow {
            id: state.parts.ids.next(),
            run_id: id,
            person_key: r.person.clone(),
            benefit: r.benefit.clone(),
            month: r.month.to_string(),
            amount_fen: r.amount_fen,
            reason_zh: r.reason_zh.clone(),
            reason_en: r.reason_en.clone(),
            status: "open".into(),
        })
        .collect();
    let run = RunRow {
        id,
        month: month.to_string(),
        department: dept,
        status: "frozen".into(),
        digest: lines_digest(&payments),
        lines: payments.len() as i64,
        amount_fen: payments.iter().map(|p| p.amount_fen).sum(),
        recoveries_fen: recoveries.iter().map(|r| r.amount_fen).sum(),
        totals: serde_json::to_string(&plan.totals).unwrap_or_else(|_| "[]".into()),
        frozen_by: p.id().0,
        frozen_at: state.now(),
        approved_by: None,
        approved_at: None,
        exported_at: None,
        returned_at: None,
    };
    match state.store.welfare().freeze_run(&run, &payments, &recoveries).await {
        Ok(true) => {}
        Ok(false) => return Err(exists()),
        Err(e) if e.is_unique_violation() => {
            return Err(Failure::Conflict { code: "paid_already", zh: "有的款项已在其他批次发放，请重新生成".into(), en: "Some lines were paid by another run meanwhile; make the run again".into(), field: None });
        }
        Err(e) => return Err(e.into()),
    }
    Ok(run_view(state, &run, &payments, &recoveries))
}

async fn run_of(state: &AppState, p: &Principal, id: &str) -> Fallible<(RunRow, Option<String>)> {
    let dept = staff(state, p).await?;
    let no = || Failure::not_found("没有这个发放批次", "No such run");
    let id: i64 = id.trim().parse().map_err(|_| no())?;
    let r = state.store.welfare().run(id).await?.ok_or_else(no)?;
    if dept.as_deref().is_some_and(|d| d != r.department) {
        return Err(no());
    }
    Ok((r, dept))
}

/// The runs of the caller's department (the administrator's: all).
pub async fn runs(state: &AppState, p: &Principal) -> Fallible<Vec<RunView>> {
    let dept = staff(state, p).await?;
    let rows = state.store.welfare().runs().await?;
    Ok(rows.iter().filter(|r| dept.as_deref().is_none_or(|d| d == r.department)).map(|r| run_view(state, r, &[], &[])).collect())
}

/// One run with its first lines and its recoveries.
pub async fn run(state: &AppState, p: &Principal, id: &str) -> Fallible<RunView> {
    let (r, _) = run_of(state, p, id).await?;
    let payments = state.store.welfare().payments_of_run(r.id).await?;
    let recoveries = state.store.welfare().recoveries_of_run(r.id).await?;
    log_reads(state, p, payments.iter().take(200).map(|x| (x.person_key.clone(), format!("welfare-payment:{}/{}", r.id, x.line)))).await?;
    Ok(run_view(state, &r, &payments, &recoveries))
}

/// A second person approves a frozen run (never the one who froze it), after checking its lines
/// are still those frozen.
pub async fn approve(state: &AppState, p: &Principal, id: &str) -> Fallible<RunView> {
    let (r, _) = run_of(state, p, id).await?;
    if r.frozen_by == p.id().0 {
        return Err(Failure::Forbidden { code: "four_eyes", zh: "生成批次的人不能审批同一批次".into(), en: "Whoever froze a run may not approve it".into(), field: None });
    }
    if r.status != "frozen" {
        return Err(Failure::Conflict { code: "not_frozen", zh: "这个批次已经审批".into(), en: "This run is approved already".into(), field: None });
    }
    let payments = state.store.welfare().payments_of_run(r.id).await?;
    if lines_digest(&payments) != r.digest {
        return Err(Failure::Conflict { code: "run_changed", zh: "批次明细与生成时不一致，不能审批".into(), en: "The run's lines are not those frozen; it cannot be approved".into(), field: None });
    }
    if !state.store.welfare().advance_run(r.id, "frozen", "approved", p.id().0, state.now()).await? {
        return Err(Failure::Conflict { code: "not_frozen", zh: "这个批次已经审批".into(), en: "This run is approved already".into(), field: None });
    }
    run(state, p, id).await
}

/// The bank lines of a run: the planned lines (those with an account).
fn bank_lines(r: &RunRow, payments: &[PaymentRow]) -> Vec<welfare::BankLine> {
    payments
        .iter()
        .filter(|p| p.status != "held")
        .map(|p| welfare::BankLine {
            line: p.line as u32,
            reference: format!("{}-{}", r.id, p.line),
            id_number: p.person_key.clone(),
            name: p.name.clone(),
            account: p.account.clone(),
            amount_fen: p.amount_fen,
        })
        .collect()
}

/// The bank's payment file of an approved run (the first download marks it exported; the file
/// can be downloaded again, the same).
pub async fn bank_file(state: &AppState, p: &Principal, id: &str) -> Fallible<(String, String)> {
    let (r, _) = run_of(state, p, id).await?;
    if r.status == "frozen" {
        return Err(Failure::Conflict { code: "not_approved", zh: "批次审批后才能导出银行文件".into(), en: "A run is exported to the bank only once approved".into(), field: None });
    }
    let payments = state.store.welfare().payments_of_run(r.id).await?;
    let month = parse_month(&r.month)?;
    let file = welfare::payment_file(&r.id.to_string(), month, &bank_lines(&r, &payments));
    if r.status == "approved" {
        state.store.welfare().advance_run(r.id, "approved", "exported", p.id().0, state.now()).await?;
    }
    log_reads(state, p, payments.iter().filter(|x| x.status != "held").map(|x| (x.person_key.clone(), format!("welfare-bank-file:{}/{}", r.id, x.line)))).await?;
    Ok((format!("welfare-{}-{}-{}.csv", r.department, r.month, r.id), file))
}

/// The bank's return file in: lines paid and failed; failed lines go back to the department and
/// the person is told. Every line of the file is checked before anything changes.
pub async fn returns(state: &AppState, p: &Principal, id: &str, text: &str) -> Fallible<ReturnedView> {
    let (r, _) = run_of(state, p, id).await?;
    if r.status != "exported" {
        return Err(Failure::Conflict { code: "not_exported", zh: "批次导出银行文件后才能导入回盘文件".into(), en: "A return file is taken only for a run exported to the bank".into(), field: None });
    }
    let payments = state.store.welfare().payments_of_run(r.id).await?;
    let sent = bank_lines(&r, &payments);
    let lines = welfare::parse_return_file(text, &r.id.to_string(), &sent).map_err(|errors| {
        let first = errors.first();
        let all_zh: Vec<String> = errors.iter().take(20).map(|e| format!("第 {} 行 {}：{}", e.line, e.field, e.message_zh)).collect();
        let all_en: Vec<String> = errors.iter().take(20).map(|e| format!("line {} {}: {}", e.line, e.field, e.message_en)).collect();
        Failure::Invalid {
            code: "bad_return_file",
            zh: format!("回盘文件有 {} 处错误，未做任何更改：{}", errors.len(), all_zh.join("；")),
            en: format!("The return file has {} errors; nothing was changed: {}", errors.len(), all_en.join("; ")),
            field: first.map(|e| format!("line {}: {}", e.line, e.field)),
        }
    })?;
    let by_ref: HashMap<String, &PaymentRow> = payments.iter().map(|x| (format!("{}-{}", r.id, x.line), x)).collect();
    let mut paid = Vec::new();
    let mut failed = Vec::new();
    let mut notices: Vec<PlainNotice> = Vec::new();
    let people = state.store.welfare().people_of_households(&payments.iter().map(|x| x.household).collect::<BTreeSet<_>>().into_iter().collect::<Vec<_>>()).await?;
    let accounts: HashMap<&str, i64> = people.iter().filter_map(|x| x.account.map(|a| (x.id_number.as_str(), a))).collect();
    for l in &lines {
        let Some(row) = by_ref.get(&l.reference) else { continue };
        if row.status != "planned" {
            continue;
        }
        match &l.status {
            welfare::ReturnStatus::Paid => paid.push(row.id),
            welfare::ReturnStatus::Failed { reason } => {
                failed.push((row.id, reason.clone()));
                let name = benefit_name(&row.benefit);
                if let Some(a) = accounts.get(row.person_key.as_str()) {
                    notices.push((
                        state.parts.ids.next(),
                        format!("account:{a}"),
                        "welfare_payment_failed".into(),
                        format!("您 {} 的{}（{} 元）银行入账失败：{reason}。请到社区或民政窗口核对社保卡账户。", row.month, name, yuan(row.amount_fen)),
                        format!("Your {} for {} ({} yuan) could not be paid into your account: {reason}. Please check your social security card's account.", name, row.month, yuan(row.amount_fen)),
                    ));
                }
            }
        }
    }
    if !failed.is_empty() {
        notices.push((
            state.parts.ids.next(),
            format!("dept:{}:clerk", r.department),
            "welfare_payment_failed".into(),
            format!("{} 发放批次有 {} 笔银行入账失败，请处理", r.month, failed.len()),
            format!("{} lines of the {} run could not be paid by the bank", failed.len(), r.month),
        ));
    }
    let answered: BTreeSet<&str> = lines.iter().map(|l| l.reference.as_str()).collect();
    let unanswered = sent.iter().filter(|s| !answered.contains(s.reference.as_str()) && by_ref.get(&s.reference).is_some_and(|x| x.status == "planned")).count() as u64;
    if !state.store.welfare().apply_returns(r.id, &paid, &failed, unanswered == 0, &notices, state.now()).await? {
        return Err(Failure::Conflict { code: "not_exported", zh: "批次导出银行文件后才能导入回盘文件".into(), en: "A return file is taken only for a run exported to the bank".into(), field: None });
    }
    let run = run(state, p, id).await?;
    Ok(ReturnedView { paid: paid.len() as u64, failed: failed.len() as u64, unanswered, run })
}

/// The lines the bank could not pay and those held for want of an account, of the department's runs.
pub async fn failed(state: &AppState, p: &Principal, department: Option<&str>) -> Fallible<Vec<PaymentView>> {
    let dept = run_department(state, staff(state, p).await?, department)?;
    let rows = state.store.welfare().failed_payments(&dept).await?;
    log_reads(state, p, rows.iter().map(|x| (x.person_key.clone(), format!("welfare-payment:{}/{}", x.run_id, x.line)))).await?;
    Ok(rows.iter().map(payment_view).collect())
}

// ---------------------------------------------------------------------------------------------
// Proactive discovery.

/// Screens every household for signs of difficulty and writes what it finds: new households on
/// the worklist, new reasons on those already there (a visited household with new reasons is
/// open again). Returns how many were added or changed.
pub async fn discover(state: &AppState) -> Fallible<u64> {
    let (g, _) = load(state, None, china_date(state.now())).await?;
    discover_in(state, &g).await
}

/// [`discover`] over facts already gathered for everyone.
async fn discover_in(state: &AppState, g: &Gathered) -> Fallible<u64> {
    for _ in 0..RETRIES {
        let today = china_date(state.now());
        let failed: HashMap<i64, i64> = state.store.welfare().failed_by_household().await?.into_iter().collect();
        let medical = medical_out_of_pocket(state, today).await?;
        let existing: HashMap<i64, FlagRow> = state.store.welfare().flags_all().await?.into_iter().map(|f| (f.household, f)).collect();
        let now = state.now();
        let mut rows = Vec::new();
        for (hh, members) in &g.households {
            let signals = welfare::HouseholdSignals {
                household: hh.to_string(),
                members: members
                    .iter()
                    .map(|k| welfare::MemberSignals {
                        key: k.clone(),
                        facts: g.facts[k].clone(),
                        medical_out_of_pocket_fen_12m: medical.get(k.as_str()).copied().unwrap_or(0),
                        died_on: g.facts[k].death_date,
                    })
                    .collect(),
                failed_payouts: failed.get(hh).copied().unwrap_or(0) as u32,
            };
            let Some(flag) = welfare::discover(catalog(), &signals, today) else { continue };
            let reasons = serde_json::to_string(&flag.reasons.iter().map(flag_reason_view).collect::<Vec<_>>()).unwrap_or_else(|_| "[]".into());
            let division = members.first().and_then(|k| g.people.get(k)).map(|p| p.division.clone()).unwrap_or_default();
            match existing.get(hh) {
                None => rows.push(FlagRow {
                    household: *hh,
                    division,
                    score: i64::from(flag.score),
                    reasons,
                    origin: "proactive".into(),
                    status: "open".into(),
                    found_at: now,
                    visited_by: None,
                    visited_at: None,
                    outcome: None,
                    services: None,
                    version: 1,
                }),
                Some(old) => {
                    let old_codes = reason_codes(&old.reasons);
                    let new_codes = reason_codes(&reasons);
                    if old_codes != new_codes || old.score != i64::from(flag.score) {
                        let reopened = !new_codes.is_subset(&old_codes) && old.status != "open";
                        rows.push(FlagRow {
                            score: i64::from(flag.score),
                            reasons,
                            status: if reopened { "open".into() } else { old.status.clone() },
                            version: old.version + 1,
                            ..old.clone()
                        });
                    }
                }
            }
        }
        let n = rows.len() as u64;
        if state.store.welfare().save_flags(&rows).await? {
            return Ok(n);
        }
    }
    Err(Failure::Conflict { code: "contention", zh: "其他服务器正在更新，请稍后再试".into(), en: "Another server is updating; try again".into(), field: None })
}

fn reason_codes(json: &str) -> BTreeSet<String> {
    serde_json::from_str::<Vec<FlagReasonView>>(json).map(|v| v.into_iter().map(|r| format!("{}:{}", r.code, r.person.unwrap_or_default())).collect()).unwrap_or_default()
}

fn flag_reason_view(r: &welfare::FlagReason) -> FlagReasonView {
    FlagReasonView { code: r.code.clone(), person: r.person.as_deref().map(mask::id_number), zh: r.zh.clone(), en: r.en.clone(), weight: r.weight }
}

/// Each patient's own payments for in-patient care over the last twelve months (from the
/// medical-insurance area's episodes: the part the fund did not pay), in fen.
async fn medical_out_of_pocket(state: &AppState, today: NaiveDate) -> Fallible<HashMap<String, i64>> {
    let from = today - chrono::Duration::days(365);
    let rows = state.store.medins().episodes_discharged(from, today + chrono::Duration::days(1)).await?;
    let mut out: HashMap<String, i64> = HashMap::new();
    for r in rows {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(&r.data) else { continue };
        let own = v.get("self_pay_fen").and_then(serde_json::Value::as_i64).or_else(|| {
            // Episodes carry their cost lines; the patient's part is the share the scheme leaves
            // them (the insurance type's co-payment), when the episode says it.
            v.get("patient_share_fen").and_then(serde_json::Value::as_i64)
        });
        if let Some(own) = own {
            *out.entry(r.patient_key).or_default() += own;
        }
    }
    Ok(out)
}

fn member_views(people: &[WelfarePerson], today: NaiveDate) -> Vec<MemberView> {
    people
        .iter()
        .map(|p| MemberView { person: mask::id_number(&p.id_number), name: mask::name(&p.name), relation: p.relation.clone(), age: welfare::facts::age_on(p.birth_date, today) })
        .collect()
}

fn suggested(reasons: &[FlagReasonView], town: &str) -> Vec<ServiceBrief> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for r in reasons {
        for s in catalog().directory.search(None, None, Some(&r.code)) {
            if seen.insert(s.id.clone()) && (s.town.is_empty() || s.town.starts_with(&town[..town.len().min(6)])) {
                out.push(ServiceBrief { id: s.id.clone(), name: s.name.clone(), provider: s.provider.name.clone() });
            }
        }
    }
    out
}

async fn flag_view(state: &AppState, f: &FlagRow) -> Fallible<FlagView> {
    let today = china_date(state.now());
    let members = state.store.welfare().people_of_households(&[f.household]).await?;
    let reasons: Vec<FlagReasonView> = serde_json::from_str(&f.reasons).unwrap_or_default();
    let services: Vec<String> = f.services.as_deref().and_then(|s| serde_json::from_str(s).ok()).unwrap_or_default();
    let town: String = f.division.chars().take(9).collect();
    Ok(FlagView {
        household: f.household.to_string(),
        division: f.division.clone(),
        division_name: division_name(state, &f.division).await,
        score: f.score,
        suggested: suggested(&reasons, &town),
        reasons,
        origin: f.origin.clone(),
        status: f.status.clone(),
        found_at: f.found_at.to_rfc3339(),
        visited_at: f.visited_at.map(|t| t.to_rfc3339()),
        outcome: f.outcome.clone(),
        services,
        members: member_views(&members, today),
    })
}

/// A division's name, else its code.
pub(crate) async fn division_name(state: &AppState, code: &str) -> String {
    state.store.welfare().division_name(code).await.ok().flatten().unwrap_or_else(|| code.to_owned())
}

/// The worklist: a community worker's division's households (staff and the administrator: any
/// division), highest score first.
pub async fn flags(state: &AppState, p: &Principal, q: FlagQuery) -> Fallible<Vec<FlagView>> {
    let division = match actor(state, p).await? {
        Actor::Worker { division } => {
            Some(q.division.clone().filter(|d| d.starts_with(division.as_str())).unwrap_or(division))
        }
        Actor::Staff { .. } => q.division.clone(),
        Actor::Resident { .. } => return Err(Failure::Forbidden { code: "workers_only", zh: "只有社区工作者和民政部门可以查看".into(), en: "Only community workers and welfare departments may see this".into(), field: None }),
    };
    if let Some(s) = q.status.as_deref().filter(|s| !s.is_empty() && !["open", "visited", "enrolled", "closed"].contains(s)) {
        return Err(Failure::invalid("bad_status", "status", format!("没有状态「{s}」"), format!("No status {s:?}")));
    }
    let page = crate::ids::page(q.limit, q.offset);
    let rows = state.store.welfare().flags(division.as_deref(), q.status.as_deref(), page).await?;
    let mut out = Vec::with_capacity(rows.len());
    for f in &rows {
        out.push(flag_view(state, f).await?);
    }
    let members = state.store.welfare().people_of_households(&rows.iter().map(|f| f.household).collect::<Vec<_>>()).await?;
    log_reads(state, p, members.iter().map(|m| (m.id_number.clone(), format!("welfare-flag:{}", m.household)))).await?;
    Ok(out)
}

/// A community worker records a visit to a household of their division: its outcome, and the
/// relief services it is enrolled in.
pub async fn visit(state: &AppState, p: &Principal, household: &str, body: VisitBody) -> Fallible<FlagView> {
    let a = actor(state, p).await?;
    let no = || Failure::not_found("没有这户的走访任务", "No such household on the worklist");
    let hh: i64 = household.trim().parse().map_err(|_| no())?;
    let f = state.store.welfare().flag(hh).await?.ok_or_else(no)?;
    match &a {
        Actor::Worker { division } if f.division.starts_with(division.as_str()) => {}
        Actor::Worker { .. } | Actor::Resident { .. } => return Err(no()),
        Actor::Staff { .. } => {
            return Err(Failure::Forbidden { code: "workers_only", zh: "走访由社区工作者记录".into(), en: "Visits are recorded by community workers".into(), field: None });
        }
    }
    let status = match body.outcome.as_str() {
        "enrolled" => "enrolled",
        "no_need" => "closed",
        "referred" => "visited",
        other => return Err(Failure::invalid("bad_outcome", "outcome", format!("走访结果只能是 enrolled、no_need 或 referred，不是「{other}」"), format!("outcome is enrolled, no_need or referred, not {other:?}"))),
    };
    let note = text_field(&body.note, "note", "走访情况", "what you found")?;
    for (i, s) in body.services.iter().enumerate() {
        if !catalog().directory.iter().any(|x| x.id == *s) {
            return Err(Failure::invalid("unknown_service", &format!("services[{i}]"), format!("救助服务目录中没有「{s}」"), format!("No service {s:?} in the relief directory")));
        }
    }
    if status == "enrolled" && body.services.is_empty() {
        return Err(Failure::invalid("services_required", "services", "纳入救助时请选择救助服务", "Choose the relief services the household is enrolled in"));
    }
    let row = FlagRow {
        status: status.into(),
        visited_by: Some(p.id().0),
        visited_at: Some(state.now()),
        outcome: Some(note),
        services: Some(serde_json::to_string(&body.services).unwrap_or_else(|_| "[]".into())),
        version: f.version + 1,
        ..f
    };
    if !state.store.welfare().save_flags(std::slice::from_ref(&row)).await? {
        return Err(Failure::Conflict { code: "changed_meanwhile", zh: "这户的记录刚被更新，请刷新后再试".into(), en: "This household was updated meanwhile; reload and try again".into(), field: None });
    }
    flag_view(state, &row).await
}

/// A resident asks for help: their household is put on the worklist as an application (or the
/// request is added to the flag it has).
pub async fn ask_help(state: &AppState, p: &Principal, body: HelpBody) -> Fallible<FlagView> {
    let key = resident(state, p).await?;
    let text = text_field(&body.text, "text", "困难情况", "what is wrong")?;
    let person = state.store.registers().person_by_id_number(&key).await?.ok_or_else(|| Failure::not_found("人口库中没有这个人", "No such person in the population register"))?;
    let hh = person.household.0;
    let reason = FlagReasonView { code: "asked_for_help".into(), person: Some(mask::id_number(&key)), zh: format!("本人求助：{text}"), en: format!("Asked for help: {text}"), weight: 0 };
    let row = match state.store.welfare().flag(hh).await? {
        Some(f) => {
            let mut reasons: Vec<FlagReasonView> = serde_json::from_str(&f.reasons).unwrap_or_default();
            reasons.push(reason);
            FlagRow { reasons: serde_json::to_string(&reasons).unwrap_or_default(), status: "open".into(), version: f.version + 1, ..f }
        }
        None => FlagRow {
            household: hh,
            division: person.division.clone(),
            score: 0,
            reasons: serde_json::to_string(&[reason]).unwrap_or_default(),
            origin: "application".into(),
            status: "open".into(),
            found_at: state.now(),
            visited_by: None,
            visited_at: None,
            outcome: None,
            services: None,
            version: 1,
        },
    };
    if !state.store.welfare().save_flags(std::slice::from_ref(&row)).await? {
        return Err(Failure::Conflict { code: "changed_meanwhile", zh: "请稍后再试".into(), en: "Try again".into(), field: None });
    }
    flag_view(state, &row).await
}

// ---------------------------------------------------------------------------------------------
// The happiness list.

fn period(state: &AppState, q: &PeriodQuery) -> Fallible<(Month, Month)> {
    let to = match q.to.as_deref().filter(|s| !s.is_empty()) {
        Some(s) => Month::parse(s).map_err(|_| Failure::invalid("bad_month", "to", format!("月份应写作 YYYY-MM，不是「{s}」"), format!("A month is YYYY-MM, not {s:?}")))?,
        None => Month::of(china_date(state.now())),
    };
    let from = match q.from.as_deref().filter(|s| !s.is_empty()) {
        Some(s) => Month::parse(s).map_err(|_| Failure::invalid("bad_month", "from", format!("月份应写作 YYYY-MM，不是「{s}」"), format!("A month is YYYY-MM, not {s:?}")))?,
        None => to.back(11),
    };
    if from > to || to.back(36) > from {
        return Err(Failure::invalid("bad_period", "from", "起始月份应早于结束月份，且不超过三年", "The first month must come before the last, at most three years apart"));
    }
    Ok((from, to))
}

/// Records other departments keep that are help a household received (shown with their source).
const RECEIVED_RECORDS: &[&str] = &["medical_assistance", "student_aid", "home_care_subsidy", "rent_subsidy", "low_income_status", "disability_subsidy", "legal_aid_decision"];

/// Everything a household received in a period across departments (幸福清单), apart from what
/// it might be entitled to.
async fn happiness_of(state: &AppState, household: i64, q: &PeriodQuery) -> Fallible<HappinessView> {
    let (from, to) = period(state, q)?;
    let today = china_date(state.now());
    let people = state.store.welfare().people_of_households(&[household]).await?;
    if people.is_empty() {
        return Err(Failure::not_found("没有这一户", "No such household"));
    }
    let keys: Vec<String> = people.iter().map(|p| p.id_number.clone()).collect();
    let names: HashMap<&str, &str> = people.iter().map(|p| (p.id_number.as_str(), p.name.as_str())).collect();
    let payments = state.store.welfare().payments_of_household(household, &from.to_string(), &to.to_string()).await?;
    let mut grouped: BTreeMap<(String, String), (Vec<String>, i64)> = BTreeMap::new();
    for x in payments.iter().filter(|x| x.status != "failed") {
        let e = grouped.entry((x.person_key.clone(), x.benefit.clone())).or_default();
        e.0.push(x.month.clone());
        e.1 += x.amount_fen;
    }
    let mut received: Vec<HappinessLine> = grouped
        .into_iter()
        .map(|((person, benefit), (months, amount))| {
            let b = catalog().benefit(&benefit);
            HappinessLine {
                person: mask::id_number(&person),
                name: names.get(person.as_str()).map(|n| mask::name(n)).unwrap_or_default(),
                kind: "allowance".into(),
                item: b.map_or_else(|| benefit.clone(), |b| b.name.clone()),
                item_en: b.map_or_else(|| benefit.clone(), |b| b.name_en.clone()),
                source: b.map_or_else(String::new, |b| department_name(state, &b.department)),
                months,
                amount_fen: Some(amount),
            }
        })
        .collect();
    let total_fen = received.iter().filter_map(|l| l.amount_fen).sum();
    // Relief services the household was enrolled in.
    if let Some(f) = state.store.welfare().flag(household).await? {
        let services: Vec<String> = f.services.as_deref().and_then(|s| serde_json::from_str(s).ok()).unwrap_or_default();
        for s in services {
            if let Some(svc) = catalog().directory.iter().find(|x| x.id == s) {
                received.push(HappinessLine {
                    person: String::new(),
                    name: String::new(),
                    kind: "relief".into(),
                    item: svc.name.clone(),
                    item_en: svc.name.clone(),
                    source: svc.provider.name.clone(),
                    months: f.visited_at.map(|t| vec![Month::of(china_date(t)).to_string()]).unwrap_or_default(),
                    amount_fen: None,
                });
            }
        }
    }
    // Decisions other departments hold about the members.
    let records = state.store.welfare().fact_records(RECEIVED_RECORDS, Some(&keys)).await?;
    for r in records {
        let m = Month::of(china_date(r.issued_at));
        if m > to || r.valid_until.is_some_and(|u| Month::of(u) < from) {
            continue;
        }
        let rt = state.catalog().record_type(&r.record_type);
        received.push(HappinessLine {
            person: mask::id_number(&r.subject_key),
            name: names.get(r.subject_key.as_str()).map(|n| mask::name(n)).unwrap_or_default(),
            kind: "record".into(),
            item: rt.map_or_else(|| r.record_type.clone(), |t| t.name.clone()),
            item_en: rt.map_or_else(|| r.record_type.clone(), |t| t.name_en.clone()),
            source: rt.map_or_else(String::new, |t| department_name(state, &t.department)),
            months: vec![m.to_string()],
            amount_fen: None,
        });
    }
    // What a member might be entitled to: a rule that needs a fact nobody holds yet.
    let all_records = state.store.welfare().fact_records(FACT_TYPES, Some(&keys)).await?;
    let g = gather(people.clone(), &all_records, today);
    let mut possible = Vec::new();
    for p in &people {
        for d in welfare::evaluate_all(catalog(), &g.facts[&p.id_number], today) {
            if let Outcome::Unknown { missing } = &d.outcome {
                let b = catalog().benefit(&d.benefit);
                let labels_zh: Vec<String> = missing.iter().map(|m| fact_label(m).0).collect();
                let labels_en: Vec<String> = missing.iter().map(|m| fact_label(m).1).collect();
                possible.push(PossibleView {
                    person: mask::id_number(&p.id_number),
                    name: mask::name(&p.name),
                    item: b.map_or_else(|| d.benefit.clone(), |b| b.name.clone()),
                    item_en: b.map_or_else(|| d.benefit.clone(), |b| b.name_en.clone()),
                    how_zh: format!("尚缺：{}。可向社区或民政部门申请家庭经济状况核对，核对后自动判断，无需再提交材料。", labels_zh.join("、")),
                    how_en: format!("Not yet known: {}. Ask the community or civil affairs for a household finance check; the platform then decides by itself.", labels_en.join(", ")),
                });
            }
        }
    }
    Ok(HappinessView { household: household.to_string(), from: from.to_string(), to: to.to_string(), members: member_views(&people, today), received, total_fen, possible })
}

/// The resident's household's happiness list.
pub async fn my_happiness(state: &AppState, p: &Principal, q: PeriodQuery) -> Fallible<HappinessView> {
    let key = resident(state, p).await?;
    let hh = state.store.welfare().households_of(&[key]).await?;
    let Some(hh) = hh.first() else { return Err(Failure::not_found("人口库中没有这个人", "No such person in the population register")) };
    happiness_of(state, *hh, &q).await
}

/// A household's happiness list, for its community worker and the welfare departments (logged
/// for each member).
pub async fn household_happiness(state: &AppState, p: &Principal, household: &str, q: PeriodQuery) -> Fallible<HappinessView> {
    let no = || Failure::not_found("没有这一户", "No such household");
    let hh: i64 = household.trim().parse().map_err(|_| no())?;
    let members = state.store.welfare().people_of_households(&[hh]).await?;
    let Some(first) = members.first() else { return Err(no()) };
    match actor(state, p).await? {
        Actor::Staff { .. } => {}
        Actor::Worker { division } if first.division.starts_with(division.as_str()) => {}
        _ => return Err(no()),
    }
    let v = happiness_of(state, hh, &q).await?;
    log_reads(state, p, members.iter().map(|m| (m.id_number.clone(), format!("welfare-happiness:{hh}")))).await?;
    Ok(v)
}

// ---------------------------------------------------------------------------------------------
// The relief directory.

/// The relief directory in Open Referral HSDS 3.0 (services with their organisation, locations,
/// phones and schedules), searched by words, town and the difficulty it helps with (public).
pub fn directory(q: &DirectoryQuery) -> Fallible<serde_json::Value> {
    if let Some(t) = q.town.as_deref().filter(|t| !t.is_empty() && !t.chars().all(|c| c.is_ascii_digit())) {
        return Err(Failure::invalid("bad_town", "town", format!("镇街代码应为数字，不是「{t}」"), format!("A town code is digits, not {t:?}")));
    }
    let found: Vec<welfare::ReliefService> = catalog()
        .directory
        .search(q.q.as_deref().filter(|s| !s.is_empty()), q.town.as_deref().filter(|s| !s.is_empty()), q.signal.as_deref().filter(|s| !s.is_empty()))
        .into_iter()
        .cloned()
        .collect();
    Ok(welfare::hsds(&found))
}

// ---------------------------------------------------------------------------------------------
// Figures.

/// Beneficiaries and money per benefit and town, the proactive share and the seed's indicator.
pub async fn figures(state: &AppState, p: &Principal) -> Fallible<WelfareFiguresView> {
    staff(state, p).await?;
    figures_of(state).await
}

/// The figures, for the cockpit (no caller check: the cockpit's own guard applies).
pub async fn figures_of(state: &AppState) -> Fallible<WelfareFiguresView> {
    let beneficiaries = state.store.welfare().beneficiaries().await?;
    let payouts = state.store.welfare().payout_figures().await?;
    let mut paid: HashMap<(String, String), i64> = HashMap::new();
    for f in &payouts {
        *paid.entry((f.benefit.clone(), f.town.clone())).or_default() += f.amount_fen;
    }
    let mut keys: BTreeSet<(String, String)> = paid.keys().cloned().collect();
    let mut now: HashMap<(String, String), (i64, i64)> = HashMap::new();
    for (b, t, n, a) in &beneficiaries {
        keys.insert((b.clone(), t.clone()));
        now.insert((b.clone(), t.clone()), (*n, *a));
    }
    let mut by_benefit_town = Vec::new();
    for (b, t) in keys {
        let (n, a) = now.get(&(b.clone(), t.clone())).copied().unwrap_or((0, 0));
        by_benefit_town.push(BenefitFigure {
            benefit_name: benefit_name(&b),
            town_name: division_name(state, &t).await,
            paid_fen: paid.get(&(b.clone(), t.clone())).copied().unwrap_or(0),
            benefit: b,
            town: t,
            beneficiaries: n,
            monthly_fen: a,
        });
    }
    let counts = state.store.welfare().flag_counts().await?;
    let count = |origin: &str, status: Option<&str>| counts.iter().filter(|(o, s, _)| o == origin && status.is_none_or(|x| x == s)).map(|(_, _, n)| n).sum::<i64>();
    let today = china_date(state.now());
    let (elders, receiving) = state.store.welfare().elders_between(today, 80, 99, "old_age_allowance").await?;
    Ok(WelfareFiguresView {
        by_benefit_town,
        enrolled_proactive: count("proactive", Some("enrolled")),
        enrolled_application: count("application", Some("enrolled")),
        flagged_proactive: count("proactive", None),
        flagged_application: count("application", None),
        elders_80_99: elders,
        elders_80_99_receiving: receiving,
    })
}
