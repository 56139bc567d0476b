//! Medical insurance over FHIR R4: a hospital submits an in-patient stay as a Claim
//! (`Claim/$submit`: diagnoses in ICD-10, procedures in ICD-9-CM-3, cost items, the patient's
//! scheme) and is answered with a ClaimResponse — `queued` with the stay's DRG until its month is
//! settled, `complete` with the payment after (`ClaimResponse/{hospital}.{episode}`). The Claim
//! goes through the same use case as the JSON and CSV intake.

use domain::ResidentId;
use pool::fhir::CodeableConcept;
use pool::fhir::Identifier;
use pool::fhir::Reference;
use pool::fhir::claim::Adjudication;
use pool::fhir::claim::Claim;
use pool::fhir::claim::ClaimResponse;
use pool::fhir::claim::ClaimResponseItem;
use pool::fhir::claim::ClaimResponsePayment;
use pool::fhir::claim::ClaimResponseTotal;
use pool::fhir::claim::Money;
use pool::fhir::claim::ProcessNote;
use pool::fhir::claim::systems;
use serde_json::Value;
use crate::auth::Principal;
use crate::failure::Failure;
use crate::failure::Fallible;
use crate::state::AppState;
use super::cases;
use super::cases::Actor;
use super::views::CostLine;
use super::views::EpisodeInput;

/// The district's medical-insurance bureau, the insurer of every ClaimResponse.
const INSURER: &str = "杭州市富阳区医疗保障局";

fn bad(expression: &str, zh: impl Into<String>, en: impl Into<String>) -> Failure {
    Failure::Invalid { code: "invalid_claim", zh: zh.into(), en: en.into(), field: Some(expression.to_owned()) }
}

/// The Claim of a `$submit` body: a Claim, or a Bundle with exactly one Claim among its entries.
pub fn claim_of(body: &Value) -> Fallible<Claim> {
    let claim = match body["resourceType"].as_str() {
        Some("Claim") => body.clone(),
        Some("Bundle") => {
            let claims: Vec<&Value> = body["entry"].as_array().into_iter().flatten().map(|e| &e["resource"]).filter(|r| r["resourceType"] == "Claim").collect();
            match claims.as_slice() {
                [one] => (*one).clone(),
                _ => return Err(bad("Bundle.entry", "Bundle 中须有且只有一个 Claim", "The Bundle must hold exactly one Claim")),
            }
        }
        _ => return Err(bad("resourceType", "须提交 Claim（或含一个 Claim 的 Bundle）", "Submit a Claim (or a Bundle holding one)")),
    };
    let de = serde_json::from_value::<Claim>(claim);
    de.map_err(|e| bad("Claim", format!("Claim 格式错误：{e}"), format!("Malformed Claim: {e}")))
}

fn first_code(c: Option<&CodeableConcept>) -> Option<String> {
    c?.coding.iter().find_map(|c| c.code.clone()).map(|s| s.trim().to_owned()).filter(|s| !s.is_empty())
}

/// The episode a Claim describes; every missing or wrong element named by its FHIR path.
pub fn episode_of(claim: &Claim) -> Fallible<EpisodeInput> {
    if claim.status != "active" {
        return Err(bad("Claim.status", "Claim.status 须为 active", "Claim.status must be active"));
    }
    if claim.use_ != "claim" {
        return Err(bad("Claim.use", "Claim.use 须为 claim", "Claim.use must be claim"));
    }
    let hospital = claim.provider.institution_code().ok_or_else(|| bad("Claim.provider", "Claim.provider 须以机构代码标识医院", "Claim.provider must name the hospital by its institution code"))?.to_owned();
    let id = claim
        .identifier
        .iter()
        .find(|i| i.system.as_deref() == Some(&format!("{}{hospital}", systems::EPISODE_PREFIX)))
        .and_then(|i| i.value.clone())
        .ok_or_else(|| bad("Claim.identifier", "Claim.identifier 须有本院病案号（system 为住院病例号）", format!("Claim.identifier must hold the episode number in {}{hospital}", systems::EPISODE_PREFIX)))?;
    let patient = claim
        .patient
        .identifier
        .as_ref()
        .filter(|i| i.system.as_deref() == Some(pool::fhir::systems::RESIDENT_ID))
        .and_then(|i| i.value.clone())
        .ok_or_else(|| bad("Claim.patient", "Claim.patient 须以居民身份证号码标识患者", "Claim.patient must name the patient by resident ID number"))?;
    let rid = ResidentId::parse(patient.trim()).map_err(|e| Failure::from_describe(&e, "Claim.patient"))?;
    let period = claim.billable_period.as_ref().ok_or_else(|| bad("Claim.billablePeriod", "Claim.billablePeriod 须写明入院与出院日期", "Claim.billablePeriod must give admission and discharge"))?;
    let date = |v: &Option<String>, path: &str| -> Fallible<String> {
        let s = v.as_deref().ok_or_else(|| bad(path, format!("{path} 必填"), format!("{path} is required")))?;
        Ok(s.get(..10).unwrap_or(s).to_owned())
    };
    let admitted = date(&period.start, "Claim.billablePeriod.start")?;
    let discharged = date(&period.end, "Claim.billablePeriod.end")?;
    let born = rid.birth_date();
    let age = chrono::NaiveDate::parse_from_str(&admitted, "%Y-%m-%d").ok().and_then(|d| d.years_since(born)).map_or(0, |y| u8::try_from(y).unwrap_or(u8::MAX));
    let mut principal = None;
    let mut other_dx = Vec::new();
    let mut sorted = claim.diagnosis.clone();
    sorted.sort_by_key(|d| d.sequence);
    for (i, d) in sorted.iter().enumerate() {
        let code = first_code(d.diagnosis_codeable_concept.as_ref()).ok_or_else(|| bad(&format!("Claim.diagnosis[{i}]"), "诊断须有 ICD-10 编码", "A diagnosis needs an ICD-10 code"))?;
        let is_principal = d.type_.iter().any(|t| t.code_in(systems::DIAGNOSIS_TYPE) == Some("principal"));
        if is_principal && principal.is_none() {
            principal = Some(code);
        } else {
            other_dx.push(code);
        }
    }
    let principal_dx = match principal {
        Some(p) => p,
        None if !other_dx.is_empty() => other_dx.remove(0),
        None => return Err(bad("Claim.diagnosis", "Claim 须有主要诊断", "The Claim needs a principal diagnosis")),
    };
    let mut procedures = Vec::new();
    for (i, p) in claim.procedure.iter().enumerate() {
        procedures.push(first_code(p.procedure_codeable_concept.as_ref()).ok_or_else(|| bad(&format!("Claim.procedure[{i}]"), "手术操作须有 ICD-9-CM-3 编码", "A procedure needs an ICD-9-CM-3 code"))?);
    }
    let mut costs = Vec::new();
    for (i, item) in claim.item.iter().enumerate() {
        let category = item.product_or_service.code_in(systems::COST_CATEGORY).ok_or_else(|| {
            bad(&format!("Claim.item[{i}].productOrService"), "费用项目须以住院收费项目分类编码", format!("The item's productOrService must be coded in {}", systems::COST_CATEGORY))
        })?;
        let fen = item.net.as_ref().and_then(Money::fen).ok_or_else(|| bad(&format!("Claim.item[{i}].net"), "费用须为人民币金额（元，最多两位小数）", "net must be an amount of CNY with at most two decimals"))?;
        costs.push(CostLine { category: category.to_owned(), fen });
    }
    let insurance = claim
        .insurance
        .iter()
        .find(|i| i.focal)
        .and_then(|i| i.coverage.identifier.as_ref())
        .filter(|i| i.system.as_deref() == Some(systems::INSURANCE_TYPE))
        .and_then(|i| i.value.clone())
        .ok_or_else(|| bad("Claim.insurance", "Claim.insurance 须标明险种（employee 或 resident）", format!("Claim.insurance must name the scheme in {}", systems::INSURANCE_TYPE)))?;
    Ok(EpisodeInput {
        hospital,
        id,
        patient: patient.trim().to_owned(),
        admitted,
        discharged,
        age,
        sex: match rid.sex() {
            domain::Sex::Male => "male".into(),
            domain::Sex::Female => "female".into(),
        },
        principal_dx,
        other_dx,
        procedures,
        costs,
        insurance,
    })
}

/// An intake error about `episodes[0].field` as the Claim's element.
fn claim_path(e: Failure) -> Failure {
    let map = |f: &str| -> String {
        let rest = f.strip_prefix("episodes[0].").unwrap_or(f);
        let head = rest.split(['.', '[']).next().unwrap_or(rest);
        let path = match head {
            "hospital" => "Claim.provider",
            "id" => "Claim.identifier",
            "patient" => "Claim.patient",
            "admitted" => "Claim.billablePeriod.start",
            "discharged" => "Claim.billablePeriod.end",
            "principal_dx" | "other_dx" => "Claim.diagnosis",
            "procedures" => "Claim.procedure",
            "costs" => "Claim.item",
            "insurance" => "Claim.insurance",
            _ => "Claim",
        };
        path.to_owned()
    };
    match e {
        Failure::Invalid { code, zh, en, field } => Failure::Invalid { code, zh, en, field: field.map(|f| map(&f)) },
        Failure::Conflict { code, zh, en, field } => Failure::Conflict { code, zh, en, field: field.map(|f| map(&f)) },
        Failure::Forbidden { code, zh, en, field } => Failure::Forbidden { code, zh, en, field: field.map(|f| map(&f)) },
        other => other,
    }
}

fn response_id(hospital: &str, episode: &str) -> String {
    format!("{hospital}.{episode}")
}

fn base_response(state: &AppState, e: &EpisodeInput, created: &str) -> ClaimResponse {
    let name = state.pool.recognition.institution(&e.hospital).map_or_else(|| e.hospital.clone(), |i| i.name.clone());
    ClaimResponse {
        resource_type: "ClaimResponse".into(),
        id: Some(response_id(&e.hospital, &e.id)),
        identifier: vec![Identifier { system: Some(format!("{}{}", systems::EPISODE_PREFIX, e.hospital)), value: Some(e.id.clone()), ..Default::default() }],
        status: "active".into(),
        type_: CodeableConcept::one(systems::CLAIM_TYPE, "institutional", "Institutional"),
        use_: "claim".into(),
        patient: Reference {
            identifier: Some(Identifier { system: Some(pool::fhir::systems::RESIDENT_ID.into()), value: Some(domain::mask::id_number(&e.patient)), ..Default::default() }),
            ..Default::default()
        },
        created: created.to_owned(),
        insurer: Reference { type_: Some("Organization".into()), display: Some(INSURER.into()), ..Default::default() },
        requestor: Some(Reference::institution(&e.hospital, &name)),
        request: Some(Reference {
            type_: Some("Claim".into()),
            identifier: Some(Identifier { system: Some(format!("{}{}", systems::EPISODE_PREFIX, e.hospital)), value: Some(e.id.clone()), ..Default::default() }),
            ..Default::default()
        }),
        outcome: "queued".into(),
        ..Default::default()
    }
}

fn adjudication(code: &str, display: &str, fen: i64) -> Adjudication {
    Adjudication { category: CodeableConcept::one(systems::ADJUDICATION, code, display), amount: Some(Money::cny_fen(fen)), value: None }
}

/// A Claim received: kept as the hospital's episode (all the intake's checks), answered with a
/// ClaimResponse that is `queued` for the month's settlement and says the stay's DRG.
pub async fn submit(state: &AppState, p: &Principal, body: &Value) -> Fallible<ClaimResponse> {
    cases::actor(state, p)?;
    let claim = claim_of(body)?;
    let input = episode_of(&claim)?;
    cases::receive(state, p, "fhir", vec![input.clone()]).await.map_err(claim_path)?;
    let episode = cases::to_episode(&input, "episodes[0]").map_err(claim_path)?;
    let g = cases::grouper().group(&episode).map_err(|e| claim_path(cases::engine_failure(&e, "episodes[0]")))?;
    let mut r = base_response(state, &input, &state.now().to_rfc3339());
    r.disposition = Some(format!("已接收，随 {} 月度结算 received; settled with {}", &input.discharged[..7], &input.discharged[..7]));
    r.item = vec![ClaimResponseItem { item_sequence: 1, adjudication: vec![adjudication("submitted", "Submitted Amount", episode.total_cost().0)] }];
    r.process_note = vec![ProcessNote { number: Some(1), type_: Some("display".into()), text: format!("DRG {} {}", g.drg, g.name_zh) }];
    Ok(r)
}

/// The ClaimResponse of a stay: `complete` with the payment once its month is frozen, else
/// `queued`. A hospital reads its own only (another's is not found); the read is logged in the
/// patient's access log.
pub async fn claim_response(state: &AppState, p: &Principal, id: &str) -> Fallible<ClaimResponse> {
    let actor = cases::actor(state, p)?;
    let not_found = || Failure::not_found("没有这份理赔答复", "No such ClaimResponse");
    let (hospital, episode_id) = id.split_once('.').ok_or_else(not_found)?;
    if let Actor::Hospital(own) = &actor
        && own != hospital
    {
        return Err(not_found());
    }
    let row = state.store.medins().episode(hospital, episode_id).await?.ok_or_else(not_found)?;
    let input = cases::input_of(&row)?;
    let episode = cases::to_episode(&input, "episode")?;
    cases::log_reads(state, p, &actor, std::iter::once((row.patient_key.as_str(), format!("inpatient-claim:{hospital}/{episode_id}")))).await?;
    let settled = state.store.medins().settlement(&row.month).await?;
    let mut r = base_response(state, &input, &row.received_at.to_rfc3339());
    let submitted = adjudication("submitted", "Submitted Amount", episode.total_cost().0);
    let Some(settled) = settled else {
        let g = cases::grouper().group(&episode).map_err(|e| cases::engine_failure(&e, ""))?;
        r.disposition = Some(format!("待 {} 月度结算 to be settled with {}", row.month, row.month));
        r.item = vec![ClaimResponseItem { item_sequence: 1, adjudication: vec![submitted] }];
        r.process_note = vec![ProcessNote { number: Some(1), type_: Some("display".into()), text: format!("DRG {} {}", g.drg, g.name_zh) }];
        return Ok(r);
    };
    let kept: cases::Stored = serde_json::from_str(&settled.data).map_err(Failure::internal)?;
    let line = kept.settlement.episodes.iter().find(|e| e.hospital == hospital && e.episode_id == episode_id).ok_or_else(not_found)?;
    r.outcome = "complete".into();
    r.disposition = Some(format!("{} 月度结算{}（{}）settled in {} ({})", row.month, if settled.status == "approved" { "已审批" } else { "已冻结" }, &settled.digest[..12], row.month, settled.status));
    r.item = vec![ClaimResponseItem {
        item_sequence: 1,
        adjudication: vec![submitted, adjudication("benefit", "Benefit Amount", line.payment.0), adjudication("copay", "CoPay", line.patient_share.0)],
    }];
    r.total = vec![
        ClaimResponseTotal { category: CodeableConcept::one(systems::ADJUDICATION, "submitted", "Submitted Amount"), amount: Money::cny_fen(line.total_cost.0) },
        ClaimResponseTotal { category: CodeableConcept::one(systems::ADJUDICATION, "benefit", "Benefit Amount"), amount: Money::cny_fen(line.payment.0) },
    ];
    r.payment = Some(ClaimResponsePayment {
        type_: CodeableConcept::one(systems::PAYMENT_TYPE, "complete", "Complete"),
        date: settled.approved_at.map(|t| t.format("%Y-%m-%d").to_string()),
        amount: Money::cny_fen(line.payment.0),
    });
    let kind = match line.kind {
        medins::PaymentKind::Drg => "DRG 点数 DRG points",
        medins::PaymentKind::BedDay => "床日付费 per bed-day",
    };
    let mut notes = vec![format!("DRG {} {}；{kind}；{:.2} 点 points × {:.4} 分/点 fen per point", line.drg, line.drg_name_zh, line.points, kept.settlement.point_value)];
    if let Some(o) = &line.outlier {
        notes.push(match o {
            medins::Outlier::High => "高倍率病例 high-cost outlier".to_owned(),
            medins::Outlier::Low => "低倍率病例 low-cost outlier".to_owned(),
        });
    }
    if let Some(prev) = &line.readmission_of {
        notes.push(format!("15 日内再入院（前次 {prev}），待审核 re-admission within 15 days of {prev}, for review"));
    }
    r.process_note = notes.into_iter().enumerate().map(|(i, text)| ProcessNote { number: Some(i as u32 + 1), type_: Some("display".into()), text }).collect();
    Ok(r)
}
