//! The elderly safety guardian's use cases (C1): civil-affairs staff enrol elders who live alone
//! or only with other elders (and dispersed-support 特困 elders) with their consent and emergency
//! contacts, register the devices in their homes (MQTT credentials shown once), keep the list of
//! responders; who qualifies and who is guarded; the payloads refused per device. Every read of
//! an elder's record by staff is logged where the elder sees it.

use chrono::Datelike;
use chrono::NaiveDate;
use domain::china_date;
use domain::mask;
use sha2::Digest;
use store::AccountKind;
use store::GuardianDeviceRow;
use store::GuardianElderRow;
use store::GuardianResponderRow;
use crate::areas::welfare::cases::log_reads;
use crate::auth::Principal;
use crate::failure::Failure;
use crate::failure::Fallible;
use crate::policy::Who;
use crate::state::AppState;
use super::views::*;

/// The age from which an elder may be guarded.
pub const MIN_AGE: u32 = 60;

/// The bases of guarding.
pub const BASES: &[(&str, &str, &str)] = &[
    ("living_alone", "独居", "Living alone"),
    ("elderly_only", "空巢（仅与老人同住）", "Only with other elders"),
    ("tekun_dispersed", "分散供养特困", "Dispersed-support extreme poverty"),
];

/// The device kinds, with the rooms they need.
pub const DEVICE_KINDS: &[&str] = &["presence", "door", "water_meter", "electricity_meter", "wearable"];

/// The kinds of responder.
pub const RESPONDER_KINDS: &[&str] = &["grid_worker", "village_doctor", "volunteer", "family"];

/// The MQTT topic a device publishes its readings on.
pub fn topic_of(device: &str) -> String {
    format!("minsheng/v1/guardian/{device}/up")
}

/// The hash kept of a device's MQTT password (a random 128-bit secret: one SHA-256 is enough).
pub fn secret_hash(secret: &str) -> String {
    hex::encode(sha2::Sha256::digest(secret.as_bytes()))
}

// ---------------------------------------------------------------------------------------------
// Who the caller is here.

/// The monitoring centre (staff of a department with the elderly-safety duty) or the
/// administrator; `None` for anyone else.
fn centre(state: &AppState, p: &Principal) -> bool {
    Who::of(state, Some(&p.account)).meets(Who::GUARDIAN.or(Who::ADMIN))
}

pub(super) fn must_be_centre(state: &AppState, p: &Principal) -> Fallible<()> {
    if centre(state, p) {
        return Ok(());
    }
    Err(Failure::Forbidden {
        code: "guardian_centre_only",
        zh: "只有养老安全守护的监护中心可以做这件事".into(),
        en: "Only the elderly safety monitoring centre may do this".into(),
        field: None,
    })
}

fn not_found() -> Failure {
    Failure::not_found("没有这位受守护的老人", "No such elder under guard")
}

fn parse_id(id: &str) -> Fallible<i64> {
    id.trim().parse::<i64>().map_err(|_| not_found())
}

fn text(v: &str, field: &str, zh: &str, en: &str, max: usize) -> Fallible<String> {
    let t = v.trim();
    if t.is_empty() {
        return Err(Failure::invalid("required", field, format!("请填写{zh}"), format!("{en} is required")));
    }
    if t.chars().count() > max {
        return Err(Failure::invalid("too_long", field, format!("{zh}不能超过 {max} 个字"), format!("{en} may have at most {max} characters")));
    }
    Ok(t.to_owned())
}

fn phone(v: &str, field: &str) -> Fallible<String> {
    let t = v.trim();
    let ok = (7..=15).contains(&t.len()) && t.bytes().all(|b| b.is_ascii_digit() || b == b'-' || b == b'+');
    if !ok {
        return Err(Failure::invalid("bad_phone", field, format!("「{t}」不是电话号码"), format!("{t:?} is not a phone number")));
    }
    Ok(t.to_owned())
}

fn point(p: &PointView, field: &str) -> Fallible<(i64, i64)> {
    if !(p.lat.is_finite() && p.lon.is_finite() && (-90.0..=90.0).contains(&p.lat) && (-180.0..=180.0).contains(&p.lon)) {
        return Err(Failure::invalid("bad_point", field, "位置不是有效的经纬度", "The position is not a valid latitude and longitude"));
    }
    Ok(((p.lat * 1e6).round() as i64, (p.lon * 1e6).round() as i64))
}

pub(super) fn point_of(e6: (i64, i64)) -> PointView {
    PointView { lat: e6.0 as f64 / 1e6, lon: e6.1 as f64 / 1e6 }
}

fn age_on(birth: NaiveDate, today: NaiveDate) -> u32 {
    today.years_since(birth).unwrap_or(0)
}

pub(super) fn contacts_of(e: &GuardianElderRow) -> Vec<ContactView> {
    serde_json::from_str(&e.contacts).unwrap_or_default()
}

pub(super) fn elder_view(e: &GuardianElderRow, birth: Option<NaiveDate>, today: NaiveDate, masked: bool) -> ElderView {
    let contacts = contacts_of(e)
        .into_iter()
        .map(|c| ContactView { phone: if masked { mask::phone(&c.phone) } else { c.phone }, ..c })
        .collect();
    ElderView {
        id: e.id.to_string(),
        id_number: mask::id_number(&e.person_key),
        name: if masked { mask::name(&e.name) } else { e.name.clone() },
        age: birth.map_or(0, |b| age_on(b, today)),
        division: e.division.clone(),
        basis: e.basis.clone(),
        address: e.address.clone(),
        home: e.home_e6.map(point_of),
        contacts,
        consent_on: e.consent_on.clone(),
        status: e.status.clone(),
        enrolled_at: e.enrolled_at.to_rfc3339(),
        withdrawn_at: e.withdrawn_at.map(|t| t.to_rfc3339()),
        withdrawn_reason: e.withdrawn_reason.clone(),
    }
}

/// Birth dates from the ID numbers (the register's, when the number does not parse).
fn birth_of(key: &str) -> Option<NaiveDate> {
    domain::ResidentId::parse(key).ok().map(|r| r.birth_date())
}

// ---------------------------------------------------------------------------------------------
// Enrolment.

/// Whether a person qualifies on a basis, from the registers: `Err` says why not.
async fn qualifies(state: &AppState, person: &store::Person, basis: &str, today: NaiveDate) -> Fallible<()> {
    let age = age_on(person.birth_date, today);
    if age < MIN_AGE {
        return Err(Failure::invalid("too_young", "id_number", format!("守护对象须年满 {MIN_AGE} 周岁（此人 {age} 岁）"), format!("Elders under guard are at least {MIN_AGE} (this person is {age})")));
    }
    let members = state.store.registers().household_members(person.household).await?;
    match basis {
        "living_alone" if members.len() == 1 => Ok(()),
        "living_alone" => Err(Failure::invalid("not_living_alone", "basis", format!("户籍上此人与 {} 人同住，不是独居", members.len() - 1), format!("The register has {} others in this household: not living alone", members.len() - 1))),
        "elderly_only" if members.iter().all(|m| age_on(m.birth_date, today) >= MIN_AGE) => Ok(()),
        "elderly_only" => Err(Failure::invalid("not_elderly_only", "basis", format!("户内有未满 {MIN_AGE} 周岁的成员，不属空巢"), format!("Someone in the household is under {MIN_AGE}: not elders only"))),
        "tekun_dispersed" => {
            let rows = state.store.welfare().entitlements_of(Some(std::slice::from_ref(&person.id_number))).await?;
            if rows.iter().any(|r| r.benefit == "tekun" && r.status == "open") {
                Ok(())
            } else {
                Err(Failure::invalid("not_tekun", "basis", "民政记录中此人不是特困供养人员", "Civil-affairs records do not show this person in extreme-poverty support"))
            }
        }
        other => Err(Failure::invalid("bad_basis", "basis", format!("守护依据只能是 living_alone、elderly_only 或 tekun_dispersed，不是「{other}」"), format!("basis is living_alone, elderly_only or tekun_dispersed, not {other:?}"))),
    }
}

/// Enrols an elder with their consent and emergency contacts.
pub async fn enrol(state: &AppState, p: &Principal, body: EnrolBody) -> Fallible<ElderView> {
    must_be_centre(state, p)?;
    let key = body.id_number.trim().to_uppercase();
    let person = state.store.registers().person_by_id_number(&key).await?.ok_or_else(|| Failure::invalid("unknown_person", "id_number", "人口库中没有这个身份证号", "No such ID number in the population register"))?;
    let now = state.now();
    let today = china_date(now);
    qualifies(state, &person, body.basis.trim(), today).await?;
    let consent_on = NaiveDate::parse_from_str(body.consent_on.trim(), "%Y-%m-%d")
        .map_err(|_| Failure::invalid("bad_date", "consent_on", "同意日期应为 YYYY-MM-DD", "consent_on is a date YYYY-MM-DD"))?;
    if consent_on > today {
        return Err(Failure::invalid("future_date", "consent_on", "同意日期不能晚于今天", "consent_on cannot be later than today"));
    }
    if body.contacts.is_empty() || body.contacts.len() > 5 {
        return Err(Failure::invalid("contacts", "contacts", "请填写 1 至 5 位紧急联系人", "Give one to five emergency contacts"));
    }
    let mut contacts = Vec::new();
    for (i, c) in body.contacts.iter().enumerate() {
        let f = |n: &str| format!("contacts[{i}].{n}");
        let account = match c.login.as_deref().map(str::trim).filter(|l| !l.is_empty()) {
            Some(login) => {
                let (a, _) = state.store.identity().account_for_login(login).await?.ok_or_else(|| Failure::invalid("unknown_account", &f("login"), "没有这个账号", "No such account"))?;
                if a.kind != AccountKind::Citizen {
                    return Err(Failure::invalid("not_a_resident", &f("login"), "紧急联系人的账号应为居民账号", "An emergency contact's account is a resident's"));
                }
                Some(a.id.0)
            }
            None => None,
        };
        contacts.push(ContactView {
            name: text(&c.name, &f("name"), "联系人姓名", "The contact's name", 40)?,
            relation: text(&c.relation, &f("relation"), "与老人的关系", "The relation", 20)?,
            phone: phone(&c.phone, &f("phone"))?,
            account,
        });
    }
    let home = body.home.as_ref().map(|h| point(h, "home")).transpose()?;
    let overrides = match &body.overrides {
        None | Some(serde_json::Value::Null) => "{}".to_owned(),
        Some(v @ serde_json::Value::Object(_)) => v.to_string(),
        Some(_) => return Err(Failure::invalid("bad_overrides", "overrides", "个人阈值应为 JSON 对象", "overrides is a JSON object")),
    };
    let row = GuardianElderRow {
        id: state.parts.ids.next(),
        person_key: key.clone(),
        name: person.name.clone(),
        division: person.division.clone(),
        household: person.household.0,
        basis: body.basis.trim().to_owned(),
        address: text(&body.address, "address", "住址", "The address", 120)?,
        home_e6: home,
        contacts: serde_json::to_string(&contacts).map_err(Failure::internal)?,
        overrides,
        consent_on: consent_on.to_string(),
        status: "guarded".into(),
        enrolled_by: p.account.id.0,
        enrolled_at: now,
        withdrawn_at: None,
        withdrawn_reason: None,
        version: 1,
    };
    // A withdrawn elder enrolled again takes their old record back.
    if let Some(old) = state.store.guardian().elder_of_person(&key).await? {
        if old.status == "guarded" {
            return Err(Failure::Conflict { code: "already_guarded", zh: "这位老人已在守护中".into(), en: "This elder is under guard already".into(), field: Some("id_number".into()) });
        }
        let again = GuardianElderRow { id: old.id, version: old.version + 1, ..row };
        if !state.store.guardian().update_elder(&again).await? {
            return Err(Failure::Conflict { code: "changed", zh: "记录刚被他人修改，请重试".into(), en: "Someone else changed this record; try again".into(), field: None });
        }
        state.guardian.elder_changed(&again);
        return Ok(elder_view(&again, Some(person.birth_date), today, false));
    }
    if !state.store.guardian().insert_elder(&row).await? {
        return Err(Failure::Conflict { code: "already_guarded", zh: "这位老人已在守护中".into(), en: "This elder is under guard already".into(), field: Some("id_number".into()) });
    }
    state.guardian.elder_changed(&row);
    Ok(elder_view(&row, Some(person.birth_date), today, false))
}

/// Withdraws an elder from guarding (their devices are removed).
pub async fn withdraw(state: &AppState, p: &Principal, id: &str, body: WithdrawBody) -> Fallible<ElderView> {
    must_be_centre(state, p)?;
    let id = parse_id(id)?;
    let e = state.store.guardian().elder(id).await?.ok_or_else(not_found)?;
    if e.status != "guarded" {
        return Err(Failure::Conflict { code: "not_guarded", zh: "这位老人已退出守护".into(), en: "This elder has already been withdrawn".into(), field: None });
    }
    let now = state.now();
    let reason = text(&body.reason, "reason", "退出原因", "The reason", 200)?;
    let row = GuardianElderRow { status: "withdrawn".into(), withdrawn_at: Some(now), withdrawn_reason: Some(reason), version: e.version + 1, ..e };
    if !state.store.guardian().update_elder(&row).await? {
        return Err(Failure::Conflict { code: "changed", zh: "记录刚被他人修改，请重试".into(), en: "Someone else changed this record; try again".into(), field: None });
    }
    state.store.guardian().remove_devices_of(id).await?;
    for d in state.store.guardian().devices_of(id).await? {
        state.guardian.device_changed(&d);
    }
    state.guardian.elder_changed(&row);
    Ok(elder_view(&row, birth_of(&row.person_key), china_date(now), false))
}

/// A page of elders (names and phones masked); the reads are logged.
pub async fn elders(state: &AppState, p: &Principal, q: ElderQuery) -> Fallible<EldersView> {
    must_be_centre(state, p)?;
    if let Some(s) = q.status.as_deref().filter(|s| !s.is_empty() && *s != "guarded" && *s != "withdrawn") {
        return Err(Failure::invalid("bad_status", "status", format!("状态只能是 guarded 或 withdrawn，不是「{s}」"), format!("status is guarded or withdrawn, not {s:?}")));
    }
    let page = crate::ids::page(q.limit, q.offset);
    let division = q.division.as_deref().filter(|d| !d.is_empty());
    let status = q.status.as_deref().filter(|s| !s.is_empty());
    let (rows, total) = state.store.guardian().elders(division, status, page).await?;
    log_reads(state, p, rows.iter().map(|e| (e.person_key.clone(), format!("guardian-elder:{}", e.id)))).await?;
    let today = china_date(state.now());
    Ok(EldersView { total, elders: rows.iter().map(|e| elder_view(e, birth_of(&e.person_key), today, true)).collect() })
}

/// The elder of an id, for the centre (the read is logged), the elder themselves or one of their
/// emergency contacts; anyone else is told there is no such elder.
pub(super) async fn elder_for(state: &AppState, p: &Principal, id: i64) -> Fallible<GuardianElderRow> {
    let e = state.store.guardian().elder(id).await?.ok_or_else(not_found)?;
    if centre(state, p) {
        log_reads(state, p, std::iter::once((e.person_key.clone(), format!("guardian-elder:{}", e.id)))).await?;
        return Ok(e);
    }
    if p.account.kind == AccountKind::Citizen {
        if let Some(pid) = p.account.person_id {
            if let Some(me) = state.store.registers().person(pid).await? {
                if me.id_number == e.person_key {
                    return Ok(e);
                }
            }
        }
        if contacts_of(&e).iter().any(|c| c.account == Some(p.account.id.0)) {
            return Ok(e);
        }
    }
    Err(not_found())
}

/// An elder's record: who they are, their contacts and devices.
pub async fn elder(state: &AppState, p: &Principal, id: &str) -> Fallible<ElderView> {
    let e = elder_for(state, p, parse_id(id)?).await?;
    Ok(elder_view(&e, birth_of(&e.person_key), china_date(state.now()), false))
}

/// A page of an elder's alarms, newest first, taken from the store by elder (however many
/// alarms the rest of the district has), for those who may read the elder's record; the
/// centre's reads are logged.
pub async fn elder_alarms(state: &AppState, p: &Principal, id: &str, q: ElderAlarmQuery) -> Fallible<AlarmsView> {
    let e = elder_for(state, p, parse_id(id)?).await?;
    let f = store::AlarmFilter { elder: Some(e.id), ..Default::default() };
    let (rows, total) = state.store.guardian().alarms(&f, crate::ids::page(q.limit, q.offset)).await?;
    if centre(state, p) {
        log_reads(state, p, rows.iter().map(|a| (e.person_key.clone(), format!("guardian-alarm:{}", a.id)))).await?;
    }
    Ok(AlarmsView { total, alarms: rows.iter().map(|a| super::alarms::alarm_view(a, Some(&e), Vec::new(), true)).collect() })
}

// ---------------------------------------------------------------------------------------------
// Devices.

fn device_view(d: &GuardianDeviceRow, s: Option<&store::GuardianDeviceStateRow>) -> DeviceView {
    DeviceView {
        id: d.id.clone(),
        kind: d.kind.clone(),
        room: d.room.clone(),
        status: d.status.clone(),
        installed_at: d.installed_at.to_rfc3339(),
        last_seen: s.map(|s| s.last_seen.to_rfc3339()),
        last_active: s.and_then(|s| s.last_active.map(|t| t.to_rfc3339())),
        battery_pct: s.and_then(|s| s.battery_pct),
        topic: topic_of(&d.id),
    }
}

/// Registers a device in a guarded elder's home: its MQTT user name and password, the password
/// shown only in this answer.
pub async fn add_device(state: &AppState, p: &Principal, elder: &str, body: DeviceBody) -> Fallible<NewDeviceView> {
    must_be_centre(state, p)?;
    let e = state.store.guardian().elder(parse_id(elder)?).await?.ok_or_else(not_found)?;
    if e.status != "guarded" {
        return Err(Failure::Conflict { code: "not_guarded", zh: "这位老人已退出守护".into(), en: "This elder has been withdrawn".into(), field: None });
    }
    let kind = body.kind.trim();
    if !DEVICE_KINDS.contains(&kind) {
        return Err(Failure::invalid("bad_kind", "kind", format!("设备类型只能是 {}，不是「{kind}」", DEVICE_KINDS.join("、")), format!("kind is one of {}, not {kind:?}", DEVICE_KINDS.join(", "))));
    }
    let room = match body.room.as_deref().map(str::trim).filter(|r| !r.is_empty()) {
        Some(r) => Some(text(r, "room", "房间", "The room", 20)?),
        None if kind == "presence" || kind == "door" => return Err(Failure::invalid("required", "room", "请写明传感器所在的房间", "Say which room the sensor is in")),
        None => None,
    };
    let mut secret = [0u8; 16];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut secret);
    let password = hex::encode(secret);
    let row = GuardianDeviceRow {
        id: format!("{}-{}", kind.replace('_', "-"), state.parts.ids.next()),
        elder: e.id,
        kind: kind.to_owned(),
        room,
        secret_hash: secret_hash(&password),
        status: "active".into(),
        installed_at: state.now(),
    };
    state.store.guardian().insert_devices(std::slice::from_ref(&row)).await?;
    state.guardian.device_changed(&row);
    Ok(NewDeviceView { device: device_view(&row, None), username: row.id.clone(), password })
}

/// An elder's devices and what each last showed.
pub async fn devices(state: &AppState, p: &Principal, elder: &str) -> Fallible<Vec<DeviceView>> {
    let e = elder_for(state, p, parse_id(elder)?).await?;
    let rows = state.store.guardian().devices_of(e.id).await?;
    let states = state.store.guardian().device_states_of(e.id).await?;
    Ok(rows.iter().map(|d| device_view(d, states.iter().find(|s| s.device == d.id))).collect())
}

/// The payloads refused, counted per device and reason (for maintenance).
pub async fn rejections(state: &AppState, p: &Principal) -> Fallible<Vec<RejectionView>> {
    must_be_centre(state, p)?;
    let rows = state.store.guardian().rejections(crate::ids::page(Some(200), None)).await?;
    Ok(rows
        .into_iter()
        .map(|r| RejectionView { device: r.device, code: r.code, count: r.count, last_at: r.last_at.to_rfc3339(), last_detail: r.last_detail })
        .collect())
}

// ---------------------------------------------------------------------------------------------
// Responders.

pub(super) fn responder_view(r: &GuardianResponderRow, masked: bool) -> ResponderView {
    ResponderView {
        id: r.id.to_string(),
        name: r.name.clone(),
        kind: r.kind.clone(),
        phone: if masked { mask::phone(&r.phone) } else { r.phone.clone() },
        division: r.division.clone(),
        at: point_of((r.lat_e6, r.lon_e6)),
        available: r.available,
    }
}

/// Registers (or updates) a responder: a staff account with the responder role.
pub async fn save_responder(state: &AppState, p: &Principal, body: ResponderBody) -> Fallible<ResponderView> {
    must_be_centre(state, p)?;
    let (a, _) = state.store.identity().account_for_login(body.login.trim()).await?.ok_or_else(|| Failure::invalid("unknown_account", "login", "没有这个账号", "No such account"))?;
    if !a.has(catalog::Role::Responder) {
        return Err(Failure::invalid("not_a_responder", "login", "这个账号没有应急响应人角色", "This account does not have the responder role"));
    }
    let kind = body.kind.trim();
    if !RESPONDER_KINDS.contains(&kind) {
        return Err(Failure::invalid("bad_kind", "kind", format!("响应人类型只能是 {}", RESPONDER_KINDS.join("、")), format!("kind is one of {}", RESPONDER_KINDS.join(", "))));
    }
    let (lat, lon) = point(&body.at, "at")?;
    let old = state.store.guardian().responder_of_account(a.id.0).await?;
    let row = GuardianResponderRow {
        id: old.as_ref().map_or_else(|| state.parts.ids.next(), |o| o.id),
        account: a.id.0,
        kind: kind.to_owned(),
        name: a.display_name.clone(),
        phone: phone(&body.phone, "phone")?,
        division: a.division.clone().unwrap_or_default(),
        lat_e6: lat,
        lon_e6: lon,
        available: old.as_ref().is_none_or(|o| o.available),
        updated_at: state.now(),
    };
    state.store.guardian().save_responder(&row).await?;
    Ok(responder_view(&row, false))
}

/// The responders (phones masked).
pub async fn responders(state: &AppState, p: &Principal) -> Fallible<Vec<ResponderView>> {
    must_be_centre(state, p)?;
    Ok(state.store.guardian().responders().await?.iter().map(|r| responder_view(r, true)).collect())
}

/// One responder as the centre edits them: their account's login and the phone unmasked.
pub async fn responder(state: &AppState, p: &Principal, id: &str) -> Fallible<ResponderRecordView> {
    must_be_centre(state, p)?;
    let missing = || Failure::not_found("没有这位响应人", "No such responder");
    let id = id.trim().parse::<i64>().map_err(|_| missing())?;
    let r = state.store.guardian().responder(id).await?.ok_or_else(missing)?;
    let login = state.store.identity().account(domain::AccountId(r.account)).await?.map(|a| a.login).unwrap_or_default();
    Ok(ResponderRecordView { login, responder: responder_view(&r, false) })
}

/// The responder of the signed-in account.
pub(super) async fn me_responder(state: &AppState, p: &Principal) -> Fallible<GuardianResponderRow> {
    state.store.guardian().responder_of_account(p.account.id.0).await?.ok_or_else(|| Failure::Forbidden {
        code: "not_a_responder",
        zh: "您还没有登记为应急响应人".into(),
        en: "You are not registered as a responder".into(),
        field: None,
    })
}

/// The signed-in account's own responder record, if it is registered as one.
pub async fn me(state: &AppState, p: &Principal) -> Fallible<Option<ResponderView>> {
    Ok(state.store.guardian().responder_of_account(p.account.id.0).await?.map(|r| responder_view(&r, false)))
}

/// A responder says whether they can go now, and where they are.
pub async fn availability(state: &AppState, p: &Principal, body: AvailabilityBody) -> Fallible<ResponderView> {
    let r = me_responder(state, p).await?;
    let (lat, lon) = match &body.at {
        Some(at) => point(at, "at")?,
        None => (r.lat_e6, r.lon_e6),
    };
    let row = GuardianResponderRow { available: body.available, lat_e6: lat, lon_e6: lon, updated_at: state.now(), ..r };
    state.store.guardian().save_responder(&row).await?;
    Ok(responder_view(&row, false))
}

// ---------------------------------------------------------------------------------------------
// Coverage.

/// Who qualifies (from the registers: aged 60 or more with nobody younger in the household) and
/// who of them is guarded.
pub async fn coverage(state: &AppState, p: &Principal, q: CandidateQuery) -> Fallible<CoverageView> {
    must_be_centre(state, p)?;
    let today = china_date(state.now());
    let born = today.with_year(today.year() - MIN_AGE as i32).unwrap_or(today);
    let division = q.division.as_deref().filter(|d| !d.is_empty());
    let rows = state.store.guardian().candidates(&born.to_string(), division).await?;
    let (guarded_rows, _) = state.store.guardian().elders(division, Some("guarded"), store::Page { limit: i64::MAX / 2, offset: 0 }).await?;
    let guarded: std::collections::HashSet<&str> = guarded_rows.iter().map(|e| e.person_key.as_str()).collect();
    let qualifying = rows.len() as i64;
    let covered = rows.iter().filter(|c| guarded.contains(c.person_key.as_str())).count() as i64;
    let candidates: Vec<CandidateView> = rows
        .iter()
        .take(500)
        .map(|c| CandidateView {
            id_number: mask::id_number(&c.person_key),
            name: mask::name(&c.name),
            age: NaiveDate::parse_from_str(&c.birth_date, "%Y-%m-%d").map_or(0, |b| age_on(b, today)),
            division: c.division.clone(),
            basis: if c.household_size == 1 { "living_alone".into() } else { "elderly_only".into() },
            enrolled: guarded.contains(c.person_key.as_str()),
        })
        .collect();
    log_reads(state, p, rows.iter().take(500).map(|c| (c.person_key.clone(), "guardian-candidate".to_owned()))).await?;
    let percent = if qualifying == 0 { 0.0 } else { (covered as f64 * 1000.0 / qualifying as f64).round() / 10.0 };
    Ok(CoverageView { qualifying, guarded: covered, percent, candidates })
}
