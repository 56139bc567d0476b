//! Cross-region handling (跨区域通办, A5) between districts' servers. A window here takes in an
//! application for a peer district's item: the case is kept here and a signed `case` message is
//! put in the outbox in the same commit; the sender sends it at once and retries until the peer
//! answers with a receipt signed by its key (accepted, with its application's id, or refused and
//! why). The peer files the application through its own one-thing engine (a desk account per
//! sending district, the message id as the idempotency key, so a retry never files twice), handles
//! it like any other, and sends `status` messages back as its state changes; each status updates
//! the case here and tells the applicant. Messages received are claimed by sender and id in the
//! same commit as their effect: a replay is answered with the first receipt and changes nothing.
//! Every refusal is logged (sender, message id, code), never the body.

use std::time::Duration as StdDuration;

use chrono::DateTime;
use chrono::Duration;
use chrono::Utc;
use domain::AccountId;
use domain::Describe;
use halls::crossregion::CaseBody;
use halls::crossregion::Envelope;
use halls::crossregion::MessageKind;
use halls::crossregion::PeerKey;
use halls::crossregion::Receipt;
use halls::crossregion::StatusBody;
use serde::Deserialize;
use serde::Serialize;
use sha2::Digest;
use store::Doc;
use store::DocChange;
use store::DocFilter;
use store::DocSave;
use store::PlainNotice;
use crate::auth::Principal;
use crate::failure::Failure;
use crate::failure::Fallible;
use crate::state::AppState;
use super::cases::changed_meanwhile;
use super::cases::decode;
use super::cases::doc_of;
use super::cases::hall_error;
use super::views::*;

/// The most attempts at sending one message before it waits an hour between tries.
const BACKOFF_CAP_SECONDS: i64 = 3600;

fn no_case() -> Failure {
    Failure::not_found("没有这件跨区域通办件", "No such cross-region case")
}

/// A case taken in here for a peer's item.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredCase {
    pub id: i64,
    pub district: String,
    pub item: String,
    pub applicant: String,
    pub applicant_name: String,
    pub phone: Option<String>,
    /// The resident's account here, if they have one (they see the case under their own).
    pub applicant_account: Option<i64>,
    pub taken_by: i64,
    pub taken_in_at: String,
    pub ticket: Option<i64>,
    pub message: String,
    pub state: String,
    pub state_zh: String,
    pub settled: bool,
    pub remote_application: Option<String>,
    pub outputs: Vec<String>,
    pub refused_reason: Option<String>,
    pub seq: u32,
    pub history: Vec<(DateTime<Utc>, String, String, Option<String>)>,
    pub created_at: DateTime<Utc>,
}

/// A message to a peer, kept until the peer's signed receipt comes back.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Outgoing {
    pub id: i64,
    pub peer: String,
    /// What it is about here: the case (sent from here) or the inbound case (status back).
    pub about: i64,
    pub envelope: Envelope,
    pub attempts: u32,
    pub last_error: Option<String>,
    pub receipt: Option<Receipt>,
}

/// A message received from a peer, with the receipt it was answered with.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Received {
    pub id: i64,
    pub from: String,
    pub message: String,
    /// SHA-256 of the body: the same id with another body is refused, not replayed.
    pub body_sha256: String,
    pub receipt: Receipt,
}

/// A case a peer forwarded here, and where its handling stands.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Inbound {
    pub id: i64,
    pub from: String,
    pub message: String,
    pub case: String,
    pub item: String,
    pub applicant: String,
    pub applicant_name: String,
    pub application: i64,
    pub last_state: String,
    pub seq: u32,
    pub settled: bool,
    pub received_at: DateTime<Utc>,
}

fn peers(state: &AppState) -> Vec<PeerKey> {
    state.config.halls.peers.iter().filter_map(|p| PeerKey::parse(&p.district, &p.public_key).ok()).collect()
}

fn peer_name(state: &AppState, district: &str) -> String {
    state.config.halls.peers.iter().find(|p| p.district == district).map_or_else(|| district.to_owned(), |p| p.name.clone())
}

fn me(state: &AppState) -> &str {
    &state.config.halls.district
}

fn key(state: &AppState) -> &ed25519_dalek::SigningKey {
    state.pool.key.ed25519()
}

fn mask(id: &str) -> String {
    crate::areas::onething::views::mask_key(id)
}

fn random_id() -> String {
    let mut raw = [0u8; 16];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut raw);
    halls::crossregion::message_id(raw)
}

fn case_doc(c: &StoredCase, old: Option<&Doc>, now: DateTime<Utc>) -> Fallible<Doc> {
    Ok(Doc {
        state: Some(c.state.clone()),
        open: !c.settled,
        actor: c.applicant_account,
        queue: Some(c.district.clone()),
        closed_at: c.settled.then_some(now),
        year: Some(i64::from(chrono::Datelike::year(&c.created_at))),
        ..doc_of("xr_case", c.id, c, old, now)?
    })
}

fn outgoing_doc(o: &Outgoing, old: Option<&Doc>, now: DateTime<Utc>, due: Option<DateTime<Utc>>) -> Fallible<Doc> {
    Ok(Doc {
        parent: Some(o.about),
        state: Some(if o.receipt.is_some() { "acknowledged" } else { "pending" }.to_owned()),
        open: o.receipt.is_none(),
        queue: Some(o.peer.clone()),
        due_at: if o.receipt.is_none() { due } else { None },
        closed_at: o.receipt.as_ref().map(|_| now),
        n: Some(i64::from(o.attempts)),
        ..doc_of("xr_outbox", o.id, o, old, now)?
    })
}

fn inbound_doc(i: &Inbound, old: Option<&Doc>, now: DateTime<Utc>) -> Fallible<Doc> {
    Ok(Doc {
        state: Some(i.last_state.clone()),
        open: !i.settled,
        queue: Some(i.from.clone()),
        closed_at: i.settled.then_some(now),
        year: Some(i64::from(chrono::Datelike::year(&i.received_at))),
        n: Some(i.application),
        ..doc_of("xr_inbound", i.id, i, old, now)?
    })
}

fn received_doc(r: &Received, now: DateTime<Utc>) -> Fallible<Doc> {
    Ok(Doc { queue: Some(r.from.clone()), state: Some(r.receipt.outcome.clone()), ..doc_of("xr_received", r.id, r, None, now)? })
}

// ---------------------------------------------------------------------------------------------
// This district's key and peers.

/// This district's code, name and public key (what a peer configures), and its peers.
pub async fn key_document(state: &AppState, p: Option<&Principal>) -> Fallible<DistrictKeyView> {
    let admin = p.is_some_and(Principal::is_admin);
    let mut list = Vec::new();
    if admin {
        for peer in &state.config.halls.peers {
            let f = DocFilter { queue: Some(peer.district.clone()), open: Some(true), ..Default::default() };
            let pending = state.store.halls().all("xr_outbox", &f).await?.len() as u32;
            list.push(PeerView { district: peer.district.clone(), name: peer.name.clone(), url: peer.url.clone(), public_key: peer.public_key.clone(), pending });
        }
    }
    Ok(DistrictKeyView {
        district: me(state).to_owned(),
        name: state.config.halls.district_name.clone(),
        public_key: halls::crossregion::key_text(&key(state).verifying_key()),
        peers: list,
    })
}

// ---------------------------------------------------------------------------------------------
// Taking in a case for a peer.

fn window_staff(p: &Principal) -> Fallible<()> {
    if p.has(catalog::Role::Window) || p.is_admin() {
        Ok(())
    } else {
        Err(Failure::forbidden("只有窗口人员可以受理跨区域通办", "Only window staff take in cross-region cases"))
    }
}

/// Takes in an application for a peer district's item at a window: kept here, sent at once, and
/// retried until the peer acknowledges it.
pub async fn forward(state: &AppState, p: &Principal, body: ForwardBody) -> Fallible<CaseView> {
    window_staff(p)?;
    let now = state.now();
    let district = body.district.trim().to_owned();
    let peer = state.config.halls.peers.iter().find(|x| x.district == district).ok_or_else(|| {
        Failure::invalid("unknown_peer", "district", format!("未与 {district} 建立跨区域通办关系"), format!("{district} is not a peer district"))
    })?;
    let applicant = body.applicant.trim().to_uppercase();
    if domain::ResidentId::parse(&applicant).is_err() && domain::CreditCode::parse(&applicant).is_err() {
        return Err(Failure::invalid("bad_applicant", "applicant", "请填写申请人的 18 位身份证号码或统一社会信用代码", "Give the applicant's ID number or credit code"));
    }
    let name = body.applicant_name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(Failure::invalid("bad_name", "applicant_name", "请填写申请人姓名（名称）", "Give the applicant's name"));
    }
    let item = body.item.trim().to_owned();
    if item.is_empty() || item.len() > 64 || !item.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
        return Err(Failure::invalid("bad_item", "item", "事项编码有误", "The item code is not valid"));
    }
    let phone = match body.phone.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(ph) => Some(domain::Phone::parse(ph).map_err(|e| Failure::from_describe(&e, "phone"))?.as_str().to_owned()),
        None => None,
    };
    let applicant_account = if applicant.len() == 18 {
        match state.store.registers().person_by_id_number(&applicant).await? {
            Some(person) => state.store.identity().accounts_of_subject(Some(person.id), None).await?.first().map(|a| a.id.0),
            None => None,
        }
    } else {
        None
    };
    let ticket = match body.ticket.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        Some(t) => Some(t.parse::<i64>().map_err(|_| Failure::invalid("bad_ticket", "ticket", "排队号编号应为数字", "The ticket id must be a number"))?),
        None => None,
    };
    let id = state.parts.ids.next();
    let message = random_id();
    let case_body = CaseBody {
        case: id.to_string(),
        item: item.clone(),
        applicant: applicant.clone(),
        applicant_name: name.clone(),
        phone: phone.clone(),
        form: body.form.clone(),
        materials_seen: body.materials_seen.iter().map(|m| m.trim().to_owned()).filter(|m| !m.is_empty()).collect(),
        taken_in_at: format!("{}（{}）", state.config.halls.district_name, p.account.display_name),
        taken_in: now.to_rfc3339(),
    };
    let text = serde_json::to_string(&case_body).map_err(Failure::internal)?;
    let envelope = Envelope::seal(key(state), &message, me(state), &peer.district, MessageKind::Case, text, now).map_err(|e| hall_error(&e))?;
    let case = StoredCase {
        id,
        district: peer.district.clone(),
        item,
        applicant,
        applicant_name: name,
        phone,
        applicant_account,
        taken_by: p.id().0,
        taken_in_at: case_body.taken_in_at.clone(),
        ticket,
        message: message.clone(),
        state: "sending".into(),
        state_zh: "正在转送".into(),
        settled: false,
        remote_application: None,
        outputs: Vec::new(),
        refused_reason: None,
        seq: 0,
        history: vec![(now, "sending".into(), format!("已受理，正在转送{}", peer.name), None)],
        created_at: now,
    };
    let out = Outgoing { id: state.parts.ids.next(), peer: peer.district.clone(), about: id, envelope, attempts: 0, last_error: None, receipt: None };
    let change = DocChange { docs: vec![case_doc(&case, None, now)?, outgoing_doc(&out, None, now, Some(now))?], ..Default::default() };
    save(state, &change).await?;
    tracing::info!(case = id, peer = %peer.district, message = %message, "cross-region case taken in");
    // Sent at once; if the peer cannot be reached now, the worker retries.
    send_one(state, out.id).await;
    case_view(state, id).await
}

async fn save(state: &AppState, change: &DocChange) -> Fallible<()> {
    super::cases::save(state, change, |_, _, _| changed_meanwhile()).await
}

async fn case_view(state: &AppState, id: i64) -> Fallible<CaseView> {
    let doc = state.store.halls().doc("xr_case", id).await?.ok_or_else(no_case)?;
    let c: StoredCase = decode(&doc)?;
    let f = DocFilter { parent: Some(id), ..Default::default() };
    let attempts = state.store.halls().all("xr_outbox", &f).await?.iter().filter_map(|d| d.n).sum::<i64>() as u32;
    Ok(view(state, &c, attempts))
}

fn view(state: &AppState, c: &StoredCase, attempts: u32) -> CaseView {
    CaseView {
        id: c.id.to_string(),
        district: c.district.clone(),
        district_name: peer_name(state, &c.district),
        item: c.item.clone(),
        applicant: mask(&c.applicant),
        applicant_name: c.applicant_name.clone(),
        state: c.state.clone(),
        state_zh: c.state_zh.clone(),
        settled: c.settled,
        remote_application: c.remote_application.clone(),
        outputs: c.outputs.clone(),
        refused_reason: c.refused_reason.clone(),
        taken_in_at: c.taken_in_at.clone(),
        created_at: c.created_at.to_rfc3339(),
        attempts,
        history: c.history.iter().map(|(at, s, zh, note)| CaseStatusView { at: at.to_rfc3339(), state: s.clone(), state_zh: zh.clone(), note: note.clone() }).collect(),
    }
}

/// Logs staff reads of applicants' cases where the applicants see them: (ID number, resource,
/// case id), the window's intake being the purpose.
async fn log_reads(state: &AppState, p: &Principal, reads: Vec<(String, String, i64)>) -> Fallible<()> {
    if reads.is_empty() {
        return Ok(());
    }
    let reader = crate::areas::pool::cases::reader_of(state, &p.account).await?;
    let now = state.now();
    let entries: Vec<_> = reads
        .into_iter()
        .map(|(subject, resource, id)| {
            let purpose = pool::Purpose::Intake { application: id };
            crate::areas::pool::cases::entry(&reader, now, &subject, resource, Some(&purpose), &pool::Decision::Allowed { basis: pool::Basis::WindowIntake })
        })
        .collect();
    state.pool.appender.append(entries, Vec::new()).await.map_err(crate::areas::pool::cases::store_log_error)?;
    Ok(())
}

fn case_reads(p: &Principal, cases: &[&StoredCase]) -> Vec<(String, String, i64)> {
    cases.iter().filter(|c| c.applicant_account != Some(p.id().0)).map(|c| (c.applicant.clone(), format!("crossregion_case/{}", c.id), c.id)).collect()
}

/// One case: its applicant, the staff who took it in, and window staff or administrators.
pub async fn case(state: &AppState, p: &Principal, id: &str) -> Fallible<CaseView> {
    let n = id.trim().parse::<i64>().map_err(|_| no_case())?;
    let doc = state.store.halls().doc("xr_case", n).await?.ok_or_else(no_case)?;
    let c: StoredCase = decode(&doc)?;
    let allowed = c.applicant_account == Some(p.id().0) || c.taken_by == p.id().0 || p.is_admin() || p.has(catalog::Role::Window);
    if !allowed {
        return Err(no_case());
    }
    log_reads(state, p, case_reads(p, &[&c])).await?;
    case_view(state, n).await
}

/// Cases taken in here: window staff see those they took in, the administrator all.
pub async fn cases(state: &AppState, p: &Principal, q: CaseQuery) -> Fallible<Vec<CaseView>> {
    window_staff(p)?;
    let page = store::Page { limit: q.limit.unwrap_or(50).clamp(1, 500), offset: q.offset.unwrap_or(0).max(0) };
    let (docs, _) = state.store.halls().list("xr_case", &DocFilter { by_created: true, ..Default::default() }, page).await?;
    let mut shown = Vec::new();
    for d in docs {
        let c: StoredCase = decode(&d)?;
        if p.is_admin() || c.taken_by == p.id().0 {
            shown.push(c);
        }
    }
    log_reads(state, p, case_reads(p, &shown.iter().collect::<Vec<_>>())).await?;
    Ok(shown.iter().map(|c| view(state, c, 0)).collect())
}

/// The signed-in resident's cross-region cases.
pub async fn my_cases(state: &AppState, p: &Principal) -> Fallible<Vec<CaseView>> {
    let f = DocFilter { actor: Some(p.id().0), by_created: true, ..Default::default() };
    let (docs, _) = state.store.halls().list("xr_case", &f, store::Page { limit: 100, offset: 0 }).await?;
    docs.iter().map(|d| Ok(view(state, &decode::<StoredCase>(d)?, 0))).collect()
}

/// Cases peers forwarded here (the administrator and supervisors).
pub async fn inbound(state: &AppState, p: &Principal, q: CaseQuery) -> Fallible<Vec<InboundView>> {
    if !(p.is_admin() || p.has(catalog::Role::Supervisor)) {
        return Err(Failure::forbidden("只有管理员和督查人员可以查看外区转来的通办件", "Only administrators and supervisors see cases forwarded here"));
    }
    let page = store::Page { limit: q.limit.unwrap_or(50).clamp(1, 500), offset: q.offset.unwrap_or(0).max(0) };
    let (docs, _) = state.store.halls().list("xr_inbound", &DocFilter { by_created: true, ..Default::default() }, page).await?;
    let mut out = Vec::new();
    let mut reads = Vec::new();
    for d in docs {
        let i: Inbound = decode(&d)?;
        reads.push((i.applicant.clone(), format!("crossregion_inbound/{}", i.id), i.id));
        let f = DocFilter { parent: Some(i.id), open: Some(true), ..Default::default() };
        let pending = state.store.halls().all("xr_outbox", &f).await?.len() as u32;
        out.push(InboundView {
            id: i.id.to_string(),
            from: i.from.clone(),
            from_name: peer_name(state, &i.from),
            item: i.item.clone(),
            applicant: mask(&i.applicant),
            applicant_name: i.applicant_name.clone(),
            application: Some(i.application.to_string()),
            state: i.last_state.clone(),
            settled: i.settled,
            received_at: i.received_at.to_rfc3339(),
            pending,
        });
    }
    log_reads(state, p, reads).await?;
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Receiving.

fn refuse_log(env: &Envelope, e: &Failure) {
    let code = match e {
        Failure::Invalid { code, .. } | Failure::Forbidden { code, .. } | Failure::Conflict { code, .. } => *code,
        _ => "other",
    };
    tracing::warn!(from = %env.from, message = %env.id, kind = %env.kind, code, "cross-region message refused");
}

/// A peer's message: verified, taken once, answered with a receipt signed by this district.
pub async fn receive(state: &AppState, body: EnvelopeBody) -> Fallible<ReceiptView> {
    let env: Envelope = body.into();
    let r = receive_inner(state, &env).await;
    if let Err(e) = &r {
        refuse_log(&env, e);
    }
    r.map(ReceiptView::from)
}

async fn receive_inner(state: &AppState, env: &Envelope) -> Fallible<Receipt> {
    let now = state.now();
    let peers = peers(state);
    let (peer, kind) = env.open(me(state), &peers, now).map_err(|e| hall_error(&e))?;
    let from = peer.district.clone();
    let body_sha = hex::encode(sha2::Sha256::digest(env.body.as_bytes()));
    let claim = format!("{from}:{}", env.id);
    if let Some(first) = replayed(state, &claim, &body_sha).await? {
        tracing::info!(from = %from, message = %env.id, "cross-region message received again: answered with the first receipt");
        return Ok(first);
    }
    let (receipt, mut change) = match kind {
        MessageKind::Case => take_case(state, &from, env, now).await?,
        MessageKind::Status => take_status(state, &from, env, now).await?,
    };
    let received = Received { id: state.parts.ids.next(), from: from.clone(), message: env.id.clone(), body_sha256: body_sha.clone(), receipt: receipt.clone() };
    change.docs.push(received_doc(&received, now)?);
    change.claims.push(("message".into(), claim.clone(), received.id));
    match state.store.halls().save(&change, now).await? {
        DocSave::Saved => {
            tracing::info!(from = %from, message = %env.id, kind = kind.code(), outcome = %receipt.outcome, "cross-region message taken");
            Ok(receipt)
        }
        // Another server took the same message meanwhile: its receipt is the answer.
        DocSave::Claimed(..) | DocSave::Stale => replayed(state, &claim, &body_sha).await?.ok_or_else(changed_meanwhile),
    }
}

/// The first receipt for a message received before; a reused id with another body is refused.
async fn replayed(state: &AppState, claim: &str, body_sha: &str) -> Fallible<Option<Receipt>> {
    let Some(holder) = state.store.halls().claim("message", claim).await? else { return Ok(None) };
    let doc = state.store.halls().doc("xr_received", holder).await?.ok_or_else(changed_meanwhile)?;
    let r: Received = decode(&doc)?;
    if r.body_sha256 != body_sha {
        return Err(Failure::Conflict {
            code: "message_id_reused",
            zh: "该报文编号已用于另一份内容不同的报文".into(),
            en: "This message id was used for a message with another body".into(),
            field: Some("id".into()),
        });
    }
    Ok(Some(r.receipt))
}

fn refused(state: &AppState, env: &Envelope, code: &str, zh: &str, now: DateTime<Utc>) -> (Receipt, DocChange) {
    (Receipt::refused(key(state), &env.id, me(state), code, zh, now), DocChange::default())
}

/// The desk account that files the cases a peer forwards (a window of this district in effect,
/// named for the peer so that the case's history says where it came from).
async fn desk_account(state: &AppState, from: &str) -> Fallible<store::Account> {
    let login = format!("crossregion-{from}");
    if let Some((a, _)) = state.store.identity().account_for_login(&login).await? {
        return Ok(a);
    }
    let acc = store::NewAccount {
        id: AccountId(state.parts.ids.next()),
        login: login.clone(),
        password_hash: "!".to_owned(),
        display_name: format!("跨区域通办（{}）", peer_name(state, from)),
        kind: store::AccountKind::Staff,
        roles: vec![catalog::Role::Window],
        person_id: None,
        enterprise_id: None,
        department: None,
        division: None,
        phone: None,
        created_at: state.now(),
    };
    match state.store.identity().insert_accounts(&[acc]).await {
        Ok(()) | Err(store::StoreError::Duplicate(_)) => {}
        Err(e) => return Err(e.into()),
    }
    state.store.identity().account_for_login(&login).await?.map(|(a, _)| a).ok_or_else(changed_meanwhile)
}

/// Files a forwarded case through the one-thing engine as the sending district's desk. The
/// message id is the idempotency key: a retry after a crash between filing and saving the inbound
/// case finds the application filed the first time (`replayed`).
pub async fn file_case(state: &AppState, from: &str, body: &CaseBody, message: &str) -> Fallible<crate::areas::onething::cases::Filed> {
    let item = state.catalog().item(&body.item).ok_or_else(|| Failure::invalid("unknown_item", "item", format!("本区没有事项「{}」", body.item), format!("No item {} here", body.item)))?;
    let desk = desk_account(state, from).await?;
    let form = body.form.iter().map(|(k, v)| (k.clone(), v.as_str().map_or_else(|| v.to_string(), str::to_owned))).collect();
    let submit = crate::areas::onething::cases::SubmitBody { bundle: None, item: Some(item.code.clone()), form, materials: Default::default(), applicant: Some(body.applicant.clone()), division: None };
    crate::areas::onething::cases::submit(state, &desk, submit, Some(format!("xr-{from}-{message}"))).await
}

async fn take_case(state: &AppState, from: &str, env: &Envelope, now: DateTime<Utc>) -> Fallible<(Receipt, DocChange)> {
    let Ok(body) = serde_json::from_str::<CaseBody>(&env.body) else {
        return Ok(refused(state, env, "malformed_case", "通办件内容格式有误", now));
    };
    let filed = match file_case(state, from, &body, &env.id).await {
        Ok(f) => f,
        Err(Failure::Invalid { code, zh, .. } | Failure::Conflict { code, zh, .. } | Failure::Forbidden { code, zh, .. }) => {
            return Ok(refused(state, env, code, &zh, now));
        }
        Err(e) => return Err(e),
    };
    let app = filed.application;
    let inbound = Inbound {
        id: state.parts.ids.next(),
        from: from.to_owned(),
        message: env.id.clone(),
        case: body.case.clone(),
        item: body.item.clone(),
        applicant: body.applicant.clone(),
        applicant_name: body.applicant_name.clone(),
        application: app.id.0,
        last_state: "accepted".into(),
        seq: 0,
        settled: false,
        received_at: now,
    };
    let receipt = Receipt::accepted(key(state), &env.id, me(state), Some(app.id.0.to_string()), now);
    Ok((receipt, DocChange { docs: vec![inbound_doc(&inbound, None, now)?], ..Default::default() }))
}

async fn take_status(state: &AppState, from: &str, env: &Envelope, now: DateTime<Utc>) -> Fallible<(Receipt, DocChange)> {
    let Ok(body) = serde_json::from_str::<StatusBody>(&env.body) else {
        return Ok(refused(state, env, "malformed_status", "状态报文内容格式有误", now));
    };
    let Some(doc) = (match body.case.parse::<i64>() {
        Ok(n) => state.store.halls().doc("xr_case", n).await?,
        Err(_) => None,
    }) else {
        return Ok(refused(state, env, "unknown_case", "本区没有这件通办件", now));
    };
    let mut c: StoredCase = decode(&doc)?;
    if c.district != from {
        return Ok(refused(state, env, "unknown_case", "本区没有这件通办件", now));
    }
    let mut change = DocChange::default();
    // An older status arriving late changes nothing (it is still acknowledged).
    if body.seq > c.seq {
        c.seq = body.seq;
        c.state = body.state.clone();
        c.state_zh = body.state_zh.clone();
        c.settled = body.settled;
        c.remote_application = Some(body.application.clone());
        if !body.outputs.is_empty() {
            c.outputs = body.outputs.clone();
        }
        c.history.push((now, body.state.clone(), body.state_zh.clone(), body.note.clone()));
        if let Some(acc) = c.applicant_account {
            change.notices.push(notice(
                state,
                format!("account:{acc}"),
                format!("您在{}受理的跨区域通办件（{}办理）：{}。", state.config.halls.district_name, peer_name(state, from), body.state_zh),
                format!("Your cross-region case handled by {}: {}.", peer_name(state, from), body.state),
            ));
        }
        change.docs.push(case_doc(&c, Some(&doc), now)?);
    }
    Ok((Receipt::accepted(key(state), &env.id, me(state), Some(c.id.to_string()), now), change))
}

fn notice(state: &AppState, to: String, zh: String, en: String) -> PlainNotice {
    (state.parts.ids.next(), to, "crossregion".to_owned(), zh, en)
}

// ---------------------------------------------------------------------------------------------
// Sending, and following the cases forwarded here.

/// Sends one message now; on failure it waits for the worker (backing off).
pub async fn send_one(state: &AppState, id: i64) {
    if let Err(e) = try_send(state, id).await {
        tracing::warn!(outgoing = id, error = ?e, "cross-region send failed; will retry");
    }
}

fn client() -> &'static reqwest::Client {
    static CLIENT: std::sync::LazyLock<reqwest::Client> = std::sync::LazyLock::new(|| reqwest::Client::builder().timeout(StdDuration::from_secs(10)).build().unwrap_or_default());
    &CLIENT
}

async fn try_send(state: &AppState, id: i64) -> Fallible<()> {
    let Some(doc) = state.store.halls().doc("xr_outbox", id).await? else { return Ok(()) };
    let mut out: Outgoing = decode(&doc)?;
    if out.receipt.is_some() {
        return Ok(());
    }
    let now = state.now();
    let Some(peer) = state.config.halls.peers.iter().find(|p| p.district == out.peer).cloned() else {
        return Ok(());
    };
    let Ok(peer_key) = PeerKey::parse(&peer.district, &peer.public_key) else { return Ok(()) };
    // Signed again when older than half the allowed skew (the same id: it still counts once).
    let sent = DateTime::parse_from_rfc3339(&out.envelope.sent_at).map(|t| t.with_timezone(&Utc)).unwrap_or(now);
    if now - sent > Duration::minutes(halls::crossregion::MAX_SKEW_MINUTES / 2) {
        out.envelope = out.envelope.resealed(key(state), now);
    }
    out.attempts += 1;
    let url = format!("{}/api/crossregion/messages", peer.url);
    let outcome: Result<Receipt, String> = match client().post(&url).json(&out.envelope).send().await {
        Ok(r) if r.status().is_success() => match r.json::<Receipt>().await {
            Ok(receipt) => match receipt.check(&out.envelope.id, &peer_key) {
                Ok(()) => Ok(receipt),
                Err(e) => Err(format!("receipt: {}", e.message_en())),
            },
            Err(e) => Err(format!("receipt unreadable: {e}")),
        },
        Ok(r) => {
            let status = r.status();
            let text = r.text().await.unwrap_or_default();
            Err(format!("HTTP {status}: {}", text.chars().take(300).collect::<String>()))
        }
        Err(e) => Err(format!("unreachable: {e}")),
    };
    let mut change = DocChange::default();
    match outcome {
        Ok(receipt) => {
            out.last_error = None;
            if let Some(cdoc) = state.store.halls().doc("xr_case", out.about).await? {
                let mut c: StoredCase = decode(&cdoc)?;
                if c.state == "sending" {
                    if receipt.outcome == "accepted" {
                        c.state = "accepted".into();
                        c.state_zh = format!("{}已接收", peer.name);
                        c.remote_application = receipt.reference.clone();
                        c.history.push((now, "accepted".into(), c.state_zh.clone(), receipt.reference.as_ref().map(|r| format!("对方申请编号 {r}"))));
                    } else {
                        c.state = "refused".into();
                        c.state_zh = format!("{}未予接收", peer.name);
                        c.settled = true;
                        c.refused_reason = receipt.message.clone();
                        c.history.push((now, "refused".into(), c.state_zh.clone(), receipt.message.clone()));
                        if let Some(acc) = c.applicant_account {
                            change.notices.push(notice(
                                state,
                                format!("account:{acc}"),
                                format!("您的跨区域通办件未被{}接收：{}", peer.name, receipt.message.clone().unwrap_or_default()),
                                format!("Your cross-region case was not taken by {}", peer.name),
                            ));
                        }
                    }
                    change.docs.push(case_doc(&c, Some(&cdoc), now)?);
                }
            }
            out.receipt = Some(receipt);
            change.docs.push(outgoing_doc(&out, Some(&doc), now, None)?);
        }
        Err(e) => {
            tracing::warn!(outgoing = id, peer = %out.peer, message = %out.envelope.id, attempt = out.attempts, error = %e, "cross-region message not acknowledged");
            out.last_error = Some(e);
            let wait = (5_i64 << out.attempts.min(10)).min(BACKOFF_CAP_SECONDS);
            change.docs.push(outgoing_doc(&out, Some(&doc), now, Some(now + Duration::seconds(wait)))?);
        }
    }
    save(state, &change).await
}

/// The worker's round: forwarded cases here whose application moved on get a status message
/// out; messages due are sent. One server does it at a time (the lead).
pub async fn duty(state: &AppState) {
    if let Err(e) = follow_inbound(state).await {
        tracing::warn!(error = ?e, "following forwarded cases");
    }
    match state.store.halls().due("xr_outbox", state.now() + Duration::milliseconds(1), 100).await {
        Ok(docs) => {
            for d in docs {
                if d.open {
                    send_one(state, d.id).await;
                }
            }
        }
        Err(e) => tracing::warn!(error = %e, "reading the cross-region outbox"),
    }
}

/// The status of an application as a peer is told it.
fn status_of(state: &AppState, app: &onething::Application) -> (String, String, bool, Vec<String>) {
    let s = app.status;
    let settled = matches!(s, onething::AppStatus::Completed | onething::AppStatus::PartiallyCompleted | onething::AppStatus::Rejected | onething::AppStatus::Withdrawn);
    let mut outputs = Vec::new();
    if settled {
        for c in &app.cases {
            if c.status == onething::CaseStatus::Approved
                && let Some(item) = state.catalog().item(&c.item)
            {
                for o in &item.outputs {
                    let name = state.catalog().record_type(o).map_or_else(|| o.clone(), |r| r.name.clone());
                    outputs.push(format!("{name}（{}，申请编号 {}）", item.name, app.id.0));
                }
            }
        }
    }
    (s.code().to_owned(), s.name_zh().to_owned(), settled, outputs)
}

async fn follow_inbound(state: &AppState) -> Fallible<()> {
    let open = state.store.halls().all("xr_inbound", &DocFilter { open: Some(true), ..Default::default() }).await?;
    for doc in open {
        let mut i: Inbound = decode(&doc)?;
        let Some(app) = state.store.onething().application(domain::ApplicationId(i.application)).await? else { continue };
        let (code, zh, settled, outputs) = status_of(state, &app);
        if code == i.last_state {
            continue;
        }
        let now = state.now();
        i.seq += 1;
        i.last_state = code.clone();
        i.settled = settled;
        let body = StatusBody {
            case: i.case.clone(),
            application: i.application.to_string(),
            state: code,
            state_zh: zh.clone(),
            settled,
            outputs,
            note: settled.then(|| format!("{}：{zh}", state.config.halls.district_name)),
            seq: i.seq,
        };
        let text = serde_json::to_string(&body).map_err(Failure::internal)?;
        let env = Envelope::seal(key(state), &random_id(), me(state), &i.from, MessageKind::Status, text, now).map_err(|e| hall_error(&e))?;
        let out = Outgoing { id: state.parts.ids.next(), peer: i.from.clone(), about: i.id, envelope: env, attempts: 0, last_error: None, receipt: None };
        let change = DocChange { docs: vec![inbound_doc(&i, Some(&doc), now)?, outgoing_doc(&out, None, now, Some(now))?], ..Default::default() };
        // Two servers looking at once: one writes, the other finds the version moved and skips.
        if state.store.halls().save(&change, now).await? == DocSave::Saved {
            send_one(state, out.id).await;
        }
    }
    Ok(())
}

/// Runs [`duty`] every `halls.poll_seconds` on the lead server until `stop` fires.
pub async fn worker(state: AppState, mut stop: tokio::sync::watch::Receiver<bool>) {
    let every = StdDuration::from_secs(state.config.halls.poll_seconds);
    loop {
        if state.store.leads() && !state.config.halls.peers.is_empty() {
            duty(&state).await;
        }
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = stop.changed() => return,
        }
    }
}
