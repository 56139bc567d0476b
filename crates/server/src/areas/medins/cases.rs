//! Medical insurance's use cases (B5): hospitals send in-patient episodes (their own only), a
//! tertiary hospital applies to join the bed-day and DRG payment scheme and the bureau decides,
//! the bureau settles a month (preview, freeze, approve by another person) and hospitals see their
//! own settlements; indicators per hospital, level and month. Every episode written or read is
//! logged in its patient's access log.

use std::collections::HashMap;

use chrono::Duration;
use chrono::NaiveDate;
use domain::china_date;
use domain::Describe;
use domain::ErrorKind;
use domain::ResidentId;
use domain::Fen;
use medins::Episode;
use medins::Grouper;
use medins::MedinsError;
use medins::Scheme;
use pool::Decision;
use pool::Purpose;
use sha2::Digest;
use store::AccountKind;
use store::EpisodeRow;
use store::HospitalRow;
use store::SettlementRow;
use crate::auth::Principal;
use crate::areas::pool::cases::entry;
use crate::areas::pool::cases::reader_of;
use crate::areas::pool::cases::store_log_error;
use crate::failure::Failure;
use crate::failure::Fallible;
use crate::policy::Who;
use crate::state::AppState;
use super::views::*;

/// The grouper shipped with minsheng (its data files say where they come from).
pub(super) fn grouper() -> &'static Grouper {
    Grouper::shared()
}

/// The payment scheme shipped with minsheng.
fn scheme() -> &'static Scheme {
    Scheme::shared()
}

/// The day secondary and primary hospitals are in the scheme from when the district's
/// institutions are first listed (the scheme's start in the demo district).
const SCHEME_START: (i32, u32, u32) = (2021, 1, 1);

/// An engine error as a failure: its code, messages, field and kind.
pub(crate) fn engine_failure(e: &MedinsError, field_prefix: &str) -> Failure {
    let field = e.field().map(|f| if field_prefix.is_empty() { f } else { format!("{field_prefix}.{f}") });
    let (code, zh, en) = (e.code(), e.message_zh(), e.message_en());
    match e.kind() {
        ErrorKind::Conflict => Failure::Conflict { code, zh, en, field },
        ErrorKind::Forbidden => Failure::Forbidden { code, zh, en, field },
        _ => Failure::Invalid { code, zh, en, field },
    }
}

// ---------------------------------------------------------------------------------------------
// Who the caller is to the scheme.

/// What the caller may see and do here.
pub(super) enum Actor {
    /// The insurance bureau's staff or the administrator: every hospital.
    Bureau,
    /// Staff of a hospital: theirs only.
    Hospital(String),
}

pub(super) fn actor(state: &AppState, p: &Principal) -> Fallible<Actor> {
    let who = Who::of(state, Some(&p.account));
    if who.meets(Who::INSURANCE.or(Who::ADMIN)) {
        return Ok(Actor::Bureau);
    }
    if p.account.kind == AccountKind::Staff
        && let Some(d) = p.account.department.as_deref()
        && state.pool.recognition.institution(d).is_some()
    {
        return Ok(Actor::Hospital(d.to_owned()));
    }
    Err(Failure::forbidden("只有医保部门和医疗机构可以使用", "Only the insurance bureau and medical institutions may use this"))
}

fn bureau(state: &AppState, p: &Principal) -> Fallible<()> {
    match actor(state, p)? {
        Actor::Bureau => Ok(()),
        Actor::Hospital(_) => Err(Failure::Forbidden {
            code: "bureau_only",
            zh: "只有医保部门可以做这件事".into(),
            en: "Only the insurance bureau may do this".into(),
            field: None,
        }),
    }
}

// ---------------------------------------------------------------------------------------------
// Hospitals.

fn level_of(level: pool::InstitutionLevel) -> &'static str {
    use pool::InstitutionLevel::*;
    match level {
        TertiaryA | TertiaryB => "tertiary",
        SecondaryA | SecondaryB => "secondary",
        Primary => "primary",
    }
}

fn level_zh(level: &str) -> &'static str {
    match level {
        "tertiary" => "三级",
        "secondary" => "二级",
        _ => "一级及基层",
    }
}

fn membership_zh(m: &str) -> &'static str {
    match m {
        "included" => "纳入",
        "applied" => "已申请，待审核",
        "approved" => "申请已批准",
        "refused" => "申请未获批准",
        _ => "未加入",
    }
}

fn hospital_view(h: &HospitalRow) -> HospitalView {
    HospitalView {
        code: h.code.clone(),
        name: h.name.clone(),
        level: h.level.clone(),
        level_zh: level_zh(&h.level).into(),
        membership: h.membership.clone(),
        membership_zh: membership_zh(&h.membership).into(),
        since: h.since.map(|d| d.to_string()),
        applied_at: h.applied_at.map(|t| t.to_rfc3339()),
        decided_at: h.decided_at.map(|t| t.to_rfc3339()),
        note: h.note.clone(),
    }
}

/// The scheme's hospitals; the district's institutions are added the first time (secondary and
/// primary ones included from the scheme's start, tertiary ones not in until they apply).
async fn hospital_rows(state: &AppState) -> Fallible<Vec<HospitalRow>> {
    let rows = state.store.medins().hospitals().await?;
    if !rows.is_empty() {
        return Ok(rows);
    }
    let start = NaiveDate::from_ymd_opt(SCHEME_START.0, SCHEME_START.1, SCHEME_START.2).unwrap_or_default();
    let new: Vec<HospitalRow> = state
        .pool
        .recognition
        .institutions()
        .map(|i| {
            let level = level_of(i.level);
            let tertiary = level == "tertiary";
            HospitalRow {
                code: i.code.clone(),
                name: i.name.clone(),
                level: level.into(),
                membership: if tertiary { "not_in" } else { "included" }.into(),
                since: (!tertiary).then_some(start),
                applied_at: None,
                applied_by: None,
                decided_at: None,
                decided_by: None,
                note: None,
                version: 1,
            }
        })
        .collect();
    state.store.medins().add_hospitals(&new).await?;
    Ok(state.store.medins().hospitals().await?)
}

async fn hospital_row(state: &AppState, code: &str) -> Fallible<HospitalRow> {
    hospital_rows(state).await?.into_iter().find(|h| h.code == code).ok_or(Failure::not_found("没有这家医疗机构", "No such hospital"))
}

/// The hospitals of the scheme with their membership.
pub async fn hospitals(state: &AppState, p: &Principal) -> Fallible<Vec<HospitalView>> {
    actor(state, p)?;
    Ok(hospital_rows(state).await?.iter().map(hospital_view).collect())
}

/// A tertiary hospital applies to join the scheme (its own staff only).
pub async fn apply(state: &AppState, p: &Principal, code: &str, body: ApplyBody) -> Fallible<HospitalView> {
    let Actor::Hospital(own) = actor(state, p)? else {
        return Err(Failure::Forbidden { code: "hospital_only", zh: "由医院自己提出申请".into(), en: "A hospital applies for itself".into(), field: None });
    };
    if own != code {
        return Err(Failure::Forbidden { code: "not_your_hospital", zh: "只能为本院申请".into(), en: "You may apply only for your own hospital".into(), field: None });
    }
    let mut h = hospital_row(state, code).await?;
    let mut engine = engine_hospital(&h);
    engine.apply().map_err(|e| engine_failure(&e, ""))?;
    let version = h.version;
    set_from_engine(&mut h, &engine);
    h.applied_at = Some(state.now());
    h.applied_by = Some(p.account.id.0);
    h.decided_at = None;
    h.decided_by = None;
    h.note = body.note.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty());
    save_membership(state, &h, version).await
}

/// The bureau approves or refuses an application.
pub async fn decide(state: &AppState, p: &Principal, code: &str, body: DecisionBody) -> Fallible<HospitalView> {
    bureau(state, p)?;
    let mut h = hospital_row(state, code).await?;
    let mut engine = engine_hospital(&h);
    let version = h.version;
    let now = state.now();
    let note = body.note.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty());
    if body.approve {
        let since = match body.since.as_deref() {
            Some(s) => NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| Failure::invalid("invalid_date", "since", "日期格式应为 YYYY-MM-DD", "The date must be YYYY-MM-DD"))?,
            None => first_of_next_month(china_date(now)),
        };
        engine.approve(since).map_err(|e| engine_failure(&e, ""))?;
    } else {
        if note.is_none() {
            return Err(Failure::invalid("note_required", "note", "不予批准时须写明理由", "A refusal must give the reason"));
        }
        engine.refuse().map_err(|e| engine_failure(&e, ""))?;
    }
    set_from_engine(&mut h, &engine);
    h.note = note;
    h.decided_at = Some(now);
    h.decided_by = Some(p.account.id.0);
    save_membership(state, &h, version).await
}

async fn save_membership(state: &AppState, h: &HospitalRow, version: i64) -> Fallible<HospitalView> {
    if !state.store.medins().set_membership(h, version).await? {
        return Err(conflict("concurrent_change", "这家医院的状态刚被他人修改，请刷新后重试", "Someone changed this hospital just now; reload and try again"));
    }
    Ok(hospital_view(&hospital_row(state, &h.code).await?))
}

/// The row's membership as the engine left it.
fn set_from_engine(h: &mut HospitalRow, engine: &medins::Hospital) {
    h.membership = engine.membership.code().to_owned();
    h.since = engine.membership.since();
}

fn conflict(code: &'static str, zh: &str, en: &str) -> Failure {
    Failure::Conflict { code, zh: zh.into(), en: en.into(), field: None }
}

fn first_of_next_month(d: NaiveDate) -> NaiveDate {
    medins::Month::of(d).next().first_day()
}

/// The engine's hospitals from the rows.
fn engine_hospitals(rows: &[HospitalRow]) -> Vec<medins::Hospital> {
    rows.iter().map(engine_hospital).collect()
}

fn engine_hospital(h: &HospitalRow) -> medins::Hospital {
    use medins::HospitalLevel;
    use medins::Membership;
    let level = code_of(&h.level).unwrap_or(HospitalLevel::Primary);
    let membership = match (h.membership.as_str(), h.since) {
        ("included", Some(since)) => Membership::Included { since },
        ("approved", Some(since)) => Membership::Approved { since },
        ("applied", _) => Membership::Applied,
        ("refused", _) => Membership::Refused,
        _ => Membership::NotIn,
    };
    medins::Hospital { code: h.code.clone(), name: h.name.clone(), level, membership }
}

// ---------------------------------------------------------------------------------------------
// Episodes.

/// `YYYY-MM` of a date.
fn month_of(d: NaiveDate) -> String {
    medins::Month::of(d).to_string()
}

fn parse_date(s: &str, field: &str) -> Fallible<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| Failure::invalid("invalid_date", field, format!("“{s}”不是 YYYY-MM-DD 格式的日期"), format!("“{s}” is not a date as YYYY-MM-DD")))
}

/// A view's episode as the engine's, every field checked (`at`: the field's path prefix).
pub(crate) fn to_episode(e: &EpisodeInput, at: &str) -> Fallible<Episode> {
    let field = |f: &str| format!("{at}.{f}");
    ResidentId::parse(e.patient.trim()).map_err(|err| Failure::from_describe(&err, &field("patient")))?;
    let sex: medins::Sex = code_of(&e.sex).ok_or_else(|| Failure::invalid("invalid_sex", &field("sex"), "性别应为 male 或 female", "Sex must be male or female"))?;
    let insurance: medins::InsuranceType = code_of(&e.insurance)
        .ok_or_else(|| Failure::invalid("invalid_insurance", &field("insurance"), "险种应为 employee（职工）或 resident（城乡居民）", "Insurance must be employee or resident"))?;
    let mut costs = Vec::with_capacity(e.costs.len());
    for (i, c) in e.costs.iter().enumerate() {
        let cat: medins::CostCategory = code_of(&c.category).ok_or_else(|| {
            Failure::invalid("invalid_cost_category", &field(&format!("costs[{i}].category")), format!("没有“{}”这类费用", c.category), format!("No cost category “{}”", c.category))
        })?;
        costs.push((cat, Fen(c.fen)));
    }
    let episode = Episode {
        id: e.id.trim().to_owned(),
        patient: e.patient.trim().to_owned(),
        hospital: e.hospital.trim().to_owned(),
        admitted: parse_date(&e.admitted, &field("admitted"))?,
        discharged: parse_date(&e.discharged, &field("discharged"))?,
        age: e.age,
        sex,
        principal_dx: e.principal_dx.trim().to_owned(),
        other_dx: e.other_dx.iter().map(|d| d.trim().to_owned()).collect(),
        procedures: e.procedures.iter().map(|d| d.trim().to_owned()).collect(),
        costs,
        insurance,
    };
    if episode.id.is_empty() || episode.id.len() > 64 {
        return Err(Failure::invalid("invalid_episode_id", &field("id"), "住院号不能为空，且不超过 64 个字符", "The episode number must be 1–64 characters"));
    }
    episode.validate(grouper()).map_err(|err| engine_failure(&err, at))?;
    Ok(episode)
}

/// An engine's enum by its stable code (as it serializes).
fn code_of<T: serde::de::DeserializeOwned>(code: &str) -> Option<T> {
    serde_json::from_value(serde_json::Value::String(code.trim().to_owned())).ok()
}

fn episode_digest(e: &EpisodeInput) -> Fallible<String> {
    let json = serde_json::to_vec(e).map_err(Failure::internal)?;
    Ok(hex::encode(sha2::Sha256::digest(&json)))
}

/// Receives episodes, all or none: each checked (codes, dates, the patient's ID number), for the
/// caller's own hospital (the bureau: any of the scheme's), not for a month already settled; one
/// sent before unchanged is no change, a different one under the same number is refused. Each is
/// logged in its patient's access log as a record written.
pub async fn receive(state: &AppState, p: &Principal, source: &str, episodes: Vec<EpisodeInput>) -> Fallible<ReceivedView> {
    let actor = actor(state, p)?;
    if episodes.is_empty() {
        return Err(Failure::invalid("no_episodes", "episodes", "没有住院病例", "No episodes were sent"));
    }
    let hospitals: HashMap<String, HospitalRow> = hospital_rows(state).await?.into_iter().map(|h| (h.code.clone(), h)).collect();
    let settled = state.store.medins().settled_months().await?;
    let mut seen: HashMap<(String, String), usize> = HashMap::new();
    let mut checked: Vec<(Episode, EpisodeInput, String)> = Vec::with_capacity(episodes.len());
    for (i, mut input) in episodes.into_iter().enumerate() {
        let at = format!("episodes[{i}]");
        input.hospital = input.hospital.trim().to_owned();
        input.id = input.id.trim().to_owned();
        input.patient = input.patient.trim().to_owned();
        if let Actor::Hospital(own) = &actor
            && own != &input.hospital
        {
            return Err(Failure::Forbidden {
                code: "not_your_hospital",
                zh: format!("第 {} 条是其他医院的病例，只能报送本院病例", i + 1),
                en: format!("Episode {} is another hospital's: send only your own", i + 1),
                field: Some(format!("{at}.hospital")),
            });
        }
        if !hospitals.contains_key(&input.hospital) {
            return Err(Failure::invalid("unknown_hospital", &format!("{at}.hospital"), format!("没有医疗机构“{}”", input.hospital), format!("No hospital “{}”", input.hospital)));
        }
        let episode = to_episode(&input, &at)?;
        let month = month_of(episode.discharged);
        if settled.contains(&month) {
            return Err(Failure::Conflict {
                code: "month_settled",
                zh: format!("{month} 已结算，不能再报送该月出院的病例"),
                en: format!("{month} has been settled: episodes discharged that month can no longer be sent"),
                field: Some(format!("{at}.discharged")),
            });
        }
        if let Some(first) = seen.insert((input.hospital.clone(), input.id.clone()), i) {
            return Err(Failure::invalid(
                "duplicate_episode",
                &format!("{at}.id"),
                format!("第 {} 条与第 {} 条住院号相同", i + 1, first + 1),
                format!("Episodes {} and {} have the same number", first + 1, i + 1),
            ));
        }
        let digest = episode_digest(&input)?;
        checked.push((episode, input, digest));
    }
    // Kept all together or not at all; if another request kept one of the same numbers between
    // the look-up and the insert, the insert fails whole and the look-up is done again.
    let now = state.now();
    let mut attempt = 0;
    loop {
        attempt += 1;
        let (rows, unchanged) = new_rows(state, &checked, source, now).await?;
        if rows.is_empty() {
            return Ok(ReceivedView { received: 0, unchanged });
        }
        // Logged where each patient sees it, before the rows are kept: no write goes unlogged.
        let reader = reader_of(state, &p.account).await?;
        let entries = rows
            .iter()
            .map(|r| entry(&reader, now, &r.patient_key, format!("inpatient-episode:{}/{}", r.hospital, r.episode_id), Some(&Purpose::Record), &Decision::Allowed { basis: pool::Basis::Recording }))
            .collect();
        state.pool.appender.append(entries, Vec::new()).await.map_err(store_log_error)?;
        match state.store.medins().insert_episodes(&rows).await {
            Ok(_) => return Ok(ReceivedView { received: rows.len(), unchanged }),
            Err(e) if e.is_unique_violation() && attempt < 3 => continue,
            Err(e) => return Err(e.into()),
        }
    }
}

/// The rows of the checked episodes not kept yet, and how many were sent before unchanged; one
/// sent before with other content is refused.
async fn new_rows(state: &AppState, checked: &[(Episode, EpisodeInput, String)], source: &str, now: chrono::DateTime<chrono::Utc>) -> Fallible<(Vec<EpisodeRow>, usize)> {
    let mut known: HashMap<(String, String), String> = HashMap::new();
    let months: std::collections::BTreeSet<String> = checked.iter().map(|(e, _, _)| month_of(e.discharged)).collect();
    for m in &months {
        for (h, id, d) in state.store.medins().episode_digests(m).await? {
            known.insert((h, id), d);
        }
    }
    let mut rows = Vec::new();
    let mut unchanged = 0;
    for (i, (e, input, digest)) in checked.iter().enumerate() {
        match known.get(&(input.hospital.clone(), input.id.clone())) {
            Some(d) if d == digest => unchanged += 1,
            Some(_) => {
                return Err(Failure::Conflict {
                    code: "duplicate_episode",
                    zh: format!("{} 的住院号 {} 已报送过，内容不同；更正请联系医保部门", input.hospital, input.id),
                    en: format!("{} episode {} was sent before with different content; corrections go through the bureau", input.hospital, input.id),
                    field: Some(format!("episodes[{i}].id")),
                });
            }
            None => rows.push(EpisodeRow {
                hospital: input.hospital.clone(),
                episode_id: input.id.clone(),
                patient_key: input.patient.clone(),
                admitted: e.admitted,
                discharged: e.discharged,
                month: month_of(e.discharged),
                digest: digest.clone(),
                data: serde_json::to_string(input).map_err(Failure::internal)?,
                source: source.to_owned(),
                received_at: now,
            }),
        }
    }
    Ok((rows, unchanged))
}

pub(super) fn input_of(row: &EpisodeRow) -> Fallible<EpisodeInput> {
    serde_json::from_str(&row.data).map_err(Failure::internal)
}

/// A page of episodes (the bureau: any hospital; a hospital: its own), patients masked; each
/// episode shown is logged in its patient's access log.
pub async fn episodes(state: &AppState, p: &Principal, q: EpisodesQuery) -> Fallible<EpisodesView> {
    let actor = actor(state, p)?;
    let hospital = match (&actor, q.hospital.as_deref().filter(|h| !h.is_empty())) {
        (Actor::Hospital(own), Some(h)) if h != own => {
            return Err(Failure::Forbidden { code: "not_your_hospital", zh: "只能查看本院病例".into(), en: "You may see only your own hospital's episodes".into(), field: Some("hospital".into()) });
        }
        (Actor::Hospital(own), _) => Some(own.clone()),
        (Actor::Bureau, h) => h.map(str::to_owned),
    };
    if let Some(m) = q.month.as_deref().filter(|m| !m.is_empty()) {
        parse_month(m)?;
    }
    let page = crate::ids::page(q.limit, q.offset);
    let (rows, total) = state.store.medins().episodes_page(hospital.as_deref(), q.month.as_deref(), page.limit, page.offset).await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        let input = input_of(r)?;
        let episode = to_episode(&input, "episode")?;
        let g = grouper().group(&episode).map_err(|e| engine_failure(&e, ""))?;
        out.push(EpisodeView {
            hospital: r.hospital.clone(),
            id: r.episode_id.clone(),
            patient: domain::mask::id_number(&r.patient_key),
            admitted: r.admitted.to_string(),
            discharged: r.discharged.to_string(),
            length_of_stay: i64::from(episode.length_of_stay()),
            principal_dx: input.principal_dx.clone(),
            procedures: input.procedures.clone(),
            total_fen: episode.total_cost().0,
            insurance: input.insurance.clone(),
            drg: g.drg.clone(),
            drg_name: g.name_zh.clone(),
        });
    }
    log_reads(state, p, &actor, rows.iter().map(|r| (r.patient_key.as_str(), format!("inpatient-episode:{}/{}", r.hospital, r.episode_id)))).await?;
    Ok(EpisodesView { total, episodes: out })
}

/// Logs reads of episodes: the bureau's as fund supervision, a hospital's of its own records as
/// the recording institution's.
pub(super) async fn log_reads<'a>(state: &AppState, p: &Principal, actor: &Actor, shown: impl Iterator<Item = (&'a str, String)>) -> Fallible<()> {
    let reader = reader_of(state, &p.account).await?;
    let now = state.now();
    let (purpose, basis) = match actor {
        Actor::Bureau => (Purpose::Supervision, pool::Basis::Supervision),
        Actor::Hospital(_) => (Purpose::Record, pool::Basis::Recording),
    };
    let entries: Vec<_> = shown.map(|(subject, resource)| entry(&reader, now, subject, resource, Some(&purpose), &Decision::Allowed { basis: basis.clone() })).collect();
    if !entries.is_empty() {
        state.pool.appender.append(entries, Vec::new()).await.map_err(store_log_error)?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Settlements.

/// `YYYY-MM` as a month.
fn parse_month(s: &str) -> Fallible<medins::Month> {
    let bad = || Failure::invalid("invalid_month", "month", format!("“{s}”不是 YYYY-MM 格式的月份"), format!("“{s}” is not a month as YYYY-MM"));
    let (y, m) = s.split_once('-').ok_or_else(bad)?;
    let (year, month) = (y.parse::<i32>().map_err(|_| bad())?, m.parse::<u32>().map_err(|_| bad())?);
    if y.len() != 4 || m.len() != 2 || !(2000..=2100).contains(&year) {
        return Err(bad());
    }
    medins::Month::new(year, month).map_err(|_| bad())
}

fn month_start(m: &medins::Month) -> NaiveDate {
    m.first_day()
}

/// Everything a month's settlement is worked out from, and the digest of the month's episodes.
async fn settle_month(state: &AppState, month: &str, budget_fen: i64) -> Fallible<(medins::Settlement, HashMap<String, String>, String)> {
    let m = parse_month(month)?;
    if budget_fen <= 0 {
        return Err(Failure::invalid("invalid_budget", "budget_fen", "基金预算须为正数（单位：分）", "The budget must be a positive number of fen"));
    }
    let start = month_start(&m);
    let rows = state.store.medins().episodes_of_month(month).await?;
    let window = Duration::days(i64::from(scheme().readmission().window_days) + 1);
    let earlier_rows = state.store.medins().episodes_discharged(start - window, start).await?;
    let hospital_rows = hospital_rows(state).await?;
    let names: HashMap<String, String> = hospital_rows.iter().map(|h| (h.code.clone(), h.name.clone())).collect();
    let input = medins::SettlementInput {
        month: m,
        budget: Fen(budget_fen),
        hospitals: engine_hospitals(&hospital_rows),
        episodes: decode_rows(&rows)?,
        earlier: decode_rows(&earlier_rows)?,
    };
    let settlement = medins::settle(grouper(), scheme(), &input).map_err(|e| engine_failure(&e, ""))?;
    Ok((settlement, names, episodes_digest(&rows)))
}

/// The stored episodes as the engine's.
pub(super) fn decode_rows(rows: &[EpisodeRow]) -> Fallible<Vec<Episode>> {
    rows.iter().map(|r| to_episode(&input_of(r)?, &format!("{}/{}", r.hospital, r.episode_id))).collect()
}

/// The digest of a month's episodes as kept (their keys and each one's digest): what a frozen
/// settlement was worked out from.
fn episodes_digest(rows: &[EpisodeRow]) -> String {
    let mut h = sha2::Sha256::new();
    for r in rows {
        h.update(r.hospital.as_bytes());
        h.update([0]);
        h.update(r.episode_id.as_bytes());
        h.update([0]);
        h.update(r.digest.as_bytes());
        h.update([0]);
    }
    hex::encode(h.finalize())
}

fn outlier_name(o: &medins::Outlier) -> &'static str {
    match o {
        medins::Outlier::High => "high",
        medins::Outlier::Low => "low",
    }
}

/// The settlement as the bureau sees it (every line).
fn settlement_view(month: &str, status: &str, budget_fen: i64, s: &medins::Settlement, names: &HashMap<String, String>) -> SettlementView {
    let lines: Vec<EpisodeSettlementView> = s
        .episodes
        .iter()
        .map(|e| EpisodeSettlementView {
            hospital: e.hospital.clone(),
            episode: e.episode_id.clone(),
            patient: e.patient.clone(),
            drg: e.drg.clone(),
            drg_name: e.drg_name_zh.clone(),
            kind: match e.kind {
                medins::PaymentKind::Drg => "drg",
                medins::PaymentKind::BedDay => "bed_day",
            }
            .into(),
            points: e.points,
            outlier: e.outlier.as_ref().map(|o| outlier_name(o).to_owned()),
            readmission_of: e.readmission_of.clone(),
            payment_fen: e.payment.0,
            patient_share_fen: e.patient_share.0,
        })
        .collect();
    let hospitals = s
        .hospitals
        .iter()
        .map(|h| HospitalPaymentView {
            hospital: h.hospital.clone(),
            name: names.get(&h.hospital).cloned().unwrap_or_default(),
            episodes: h.episodes as usize,
            bed_day_episodes: h.bed_day_episodes as usize,
            points: h.points,
            payment_fen: h.payment.0,
            patient_share_fen: h.patient_share.0,
            readmissions: h.readmissions as usize,
            outliers: h.outliers as usize,
        })
        .collect();
    let lines_total = lines.len();
    SettlementView {
        month: month.to_owned(),
        status: status.to_owned(),
        budget_fen,
        point_value: s.point_value,
        total_points: s.total_points,
        episodes: s.episodes.len(),
        digest: s.digest.clone(),
        frozen_at: None,
        approved_at: None,
        hospitals,
        lines: lines
            .into_iter()
            .map(|mut l| {
                l.patient = domain::mask::id_number(&l.patient);
                l
            })
            .collect(),
        lines_total,
    }
}

/// What the caller may see of a settlement: the bureau all of it, a hospital its own payment and
/// lines; the lines paged, and each line shown logged in its patient's access log.
fn shown(actor: &Actor, mut v: SettlementView, page: LinesQuery) -> SettlementView {
    if let Actor::Hospital(own) = actor {
        v.hospitals.retain(|h| &h.hospital == own);
        v.lines.retain(|l| &l.hospital == own);
    }
    v.lines_total = v.lines.len();
    let page = crate::ids::page(page.limit, page.offset);
    v.lines = v.lines.into_iter().skip(page.offset as usize).take(page.limit as usize).collect();
    v
}

/// A month's settlement worked out now, not kept (the bureau).
pub async fn preview(state: &AppState, p: &Principal, month: &str, body: BudgetBody, page: LinesQuery) -> Fallible<SettlementView> {
    bureau(state, p)?;
    let (s, names, _) = settle_month(state, month, body.budget_fen).await?;
    let v = settlement_view(month, "preview", body.budget_fen, &s, &names);
    log_settlement_reads(state, p, &Actor::Bureau, &s, &page).await?;
    Ok(shown(&Actor::Bureau, v, page))
}

/// Freezes a month's settlement (the bureau, once the month is over). Freezing again with the
/// same data gives the same settlement; with different data it is refused.
pub async fn freeze(state: &AppState, p: &Principal, month: &str, body: BudgetBody, page: LinesQuery) -> Fallible<SettlementView> {
    bureau(state, p)?;
    let m = parse_month(month)?;
    let now = state.now();
    if china_date(now) < first_of_next_month(month_start(&m)) {
        return Err(conflict("month_not_over", "当月尚未结束，不能冻结结算", "The month is not over: its settlement cannot be frozen yet"));
    }
    let (s, names, episodes_digest) = settle_month(state, month, body.budget_fen).await?;
    let mut v = settlement_view(month, "frozen", body.budget_fen, &s, &names);
    if let Some(existing) = state.store.medins().settlement(month).await? {
        if existing.digest != s.digest || existing.budget_fen != body.budget_fen {
            return Err(Failure::Conflict {
                code: "settlement_frozen",
                zh: format!("{month} 的结算已冻结（{}），数据或预算与本次不同，不能重复结算", short(&existing.digest)),
                en: format!("{month} was frozen already ({}) with other data or budget: nothing is settled twice", short(&existing.digest)),
                field: None,
            });
        }
        return settlement(state, p, month, page).await;
    }
    v.frozen_at = Some(now.to_rfc3339());
    let row = SettlementRow {
        month: month.to_owned(),
        status: "frozen".into(),
        budget_fen: body.budget_fen,
        digest: s.digest.clone(),
        episodes_digest,
        episodes: s.episodes.len() as i64,
        data: serde_json::to_string(&stored(&s, &names)).map_err(Failure::internal)?,
        frozen_at: now,
        frozen_by: p.account.id.0,
        approved_at: None,
        approved_by: None,
    };
    if !state.store.medins().freeze_settlement(&row).await? {
        // Another request froze it meanwhile: answer what is there (or its refusal).
        return Box::pin(freeze(state, p, month, body, page)).await;
    }
    log_settlement_reads(state, p, &Actor::Bureau, &s, &page).await?;
    Ok(shown(&Actor::Bureau, v, page))
}

fn short(digest: &str) -> &str {
    digest.get(..12).unwrap_or(digest)
}

/// Approves a frozen settlement: by someone other than who froze it, and only if the month's
/// episodes are still those it was worked out from.
pub async fn approve(state: &AppState, p: &Principal, month: &str, page: LinesQuery) -> Fallible<SettlementView> {
    bureau(state, p)?;
    parse_month(month)?;
    let row = state.store.medins().settlement(month).await?.ok_or(Failure::not_found("这个月还没有冻结的结算", "No frozen settlement for this month"))?;
    if row.status == "approved" {
        return Err(conflict("already_approved", "该月结算已审批", "This month's settlement is approved already"));
    }
    if row.frozen_by == p.account.id.0 {
        return Err(Failure::Forbidden { code: "four_eyes", zh: "冻结和审批须由不同的人完成".into(), en: "Another person must approve what you froze".into(), field: None });
    }
    if episodes_digest(&state.store.medins().episodes_of_month(month).await?) != row.episodes_digest {
        return Err(conflict("episodes_changed", "冻结后该月病例有变化，请重新结算", "The month's episodes changed after the freeze: settle it again"));
    }
    if !state.store.medins().approve_settlement(month, p.account.id.0, state.now()).await? {
        return Err(conflict("already_approved", "该月结算已审批", "This month's settlement is approved already"));
    }
    settlement(state, p, month, page).await
}

/// What is kept of a settlement: the engine's result with the hospitals' names.
#[derive(serde::Serialize, serde::Deserialize)]
pub(super) struct Stored {
    pub(super) settlement: medins::Settlement,
    pub(super) names: HashMap<String, String>,
}

fn stored(s: &medins::Settlement, names: &HashMap<String, String>) -> Stored {
    Stored { settlement: s.clone(), names: names.clone() }
}

/// A frozen or approved month's settlement (a hospital: its own part).
pub async fn settlement(state: &AppState, p: &Principal, month: &str, page: LinesQuery) -> Fallible<SettlementView> {
    let actor = actor(state, p)?;
    parse_month(month)?;
    let row = state.store.medins().settlement(month).await?.ok_or(Failure::not_found("这个月还没有结算", "No settlement for this month"))?;
    let kept: Stored = serde_json::from_str(&row.data).map_err(Failure::internal)?;
    let mut v = settlement_view(month, &row.status, row.budget_fen, &kept.settlement, &kept.names);
    v.frozen_at = Some(row.frozen_at.to_rfc3339());
    v.approved_at = row.approved_at.map(|t| t.to_rfc3339());
    log_settlement_reads(state, p, &actor, &kept.settlement, &page).await?;
    Ok(shown(&actor, v, page))
}

/// Logs the lines of a settlement the caller is about to see (the page of them).
async fn log_settlement_reads(state: &AppState, p: &Principal, actor: &Actor, s: &medins::Settlement, page: &LinesQuery) -> Fallible<()> {
    let page = crate::ids::page(page.limit, page.offset);
    let visible = s.episodes.iter().filter(|e| match actor {
        Actor::Bureau => true,
        Actor::Hospital(own) => &e.hospital == own,
    });
    let shown = visible.skip(page.offset as usize).take(page.limit as usize).map(|e| (e.patient.as_str(), format!("inpatient-settlement:{}/{}", e.hospital, e.episode_id)));
    log_reads(state, p, actor, shown).await
}

/// The months settled (a hospital sees the list too: its own part of each is its to read).
pub async fn settlements(state: &AppState, p: &Principal) -> Fallible<Vec<SettlementSummaryView>> {
    actor(state, p)?;
    Ok(state
        .store
        .medins()
        .settlements()
        .await?
        .into_iter()
        .map(|r| SettlementSummaryView { month: r.month, status: r.status, budget_fen: r.budget_fen, episodes: r.episodes, digest: r.digest })
        .collect())
}

// ---------------------------------------------------------------------------------------------
// Indicators.

/// The scheme's hospitals and the indicators of every episode kept, per hospital and month.
pub(super) async fn indicator_table(state: &AppState) -> Fallible<(Vec<medins::Hospital>, Vec<medins::IndicatorRow>)> {
    let hospitals = engine_hospitals(&hospital_rows(state).await?);
    let episodes = decode_rows(&state.store.medins().all_episodes().await?)?;
    let table = medins::indicators(&episodes, &hospitals, grouper(), scheme());
    Ok((hospitals, table))
}

/// Each hospital's averages before and after it joined, for those with stays on both sides.
pub(super) fn before_after_views(table: &[medins::IndicatorRow], hospitals: &[medins::Hospital]) -> Vec<BeforeAfterView> {
    let avg = |t: &medins::indicators::Totals| -> (i64, f64) {
        if t.episodes == 0 {
            (0, 0.0)
        } else {
            (t.total_cost.0 / t.episodes as i64, t.bed_days as f64 / t.episodes as f64)
        }
    };
    medins::indicators::before_after(table, hospitals)
        .into_iter()
        .filter(|b| b.before.episodes > 0 && b.after.episodes > 0)
        .map(|b| {
            let ((cost0, los0), (cost1, los1)) = (avg(&b.before), avg(&b.after));
            BeforeAfterView {
                hospital: b.hospital,
                before_avg_cost_fen: cost0,
                after_avg_cost_fen: cost1,
                cost_change_pct: b.cost_change_pct.unwrap_or(0.0),
                before_avg_length_of_stay: los0,
                after_avg_length_of_stay: los1,
                length_of_stay_change_pct: b.los_change_pct.unwrap_or(0.0),
            }
        })
        .collect()
}

/// Average cost per stay, length of stay and re-admissions per hospital and month, and each
/// hospital's before and after joining (the bureau).
pub async fn indicators(state: &AppState, p: &Principal) -> Fallible<IndicatorsView> {
    bureau(state, p)?;
    let (hospitals, table) = indicator_table(state).await?;
    let before_after = before_after_views(&table, &hospitals);
    Ok(IndicatorsView {
        rows: table
            .into_iter()
            .map(|r| IndicatorView {
                hospital: r.hospital,
                level: r.level.code().to_owned(),
                month: r.month.to_string(),
                episodes: r.episodes as usize,
                avg_cost_fen: r.avg_cost.0,
                avg_length_of_stay: r.avg_los,
                readmission_rate: r.readmission_rate,
                in_scheme: r.in_scheme,
            })
            .collect(),
        before_after,
    })
}

// ---------------------------------------------------------------------------------------------
// For the demo district and the commands.

/// The scheme's hospitals as the engine takes them (the district's institutions listed first if
/// they are not yet).
pub async fn scheme_hospitals(state: &AppState) -> Fallible<Vec<medins::Hospital>> {
    Ok(engine_hospitals(&hospital_rows(state).await?))
}

/// An engine's episode as the API takes it.
pub fn episode_input(e: &Episode) -> EpisodeInput {
    EpisodeInput {
        hospital: e.hospital.clone(),
        id: e.id.clone(),
        patient: e.patient.clone(),
        admitted: e.admitted.to_string(),
        discharged: e.discharged.to_string(),
        age: e.age,
        sex: match e.sex {
            medins::Sex::Male => "male",
            medins::Sex::Female => "female",
        }
        .to_owned(),
        principal_dx: e.principal_dx.clone(),
        other_dx: e.other_dx.clone(),
        procedures: e.procedures.clone(),
        costs: e.costs.iter().map(|(c, fen)| CostLine { category: c.code().to_owned(), fen: fen.0 }).collect(),
        insurance: e.insurance.code().to_owned(),
    }
}
