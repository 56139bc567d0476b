//! The demo district's shared-data side: estates and delivery riders of several platforms with
//! their rider codes, clinicians of the 31 medical institutions, FHIR Patients with several
//! identifiers and generated lab and imaging results for the residents, a few consents, and a
//! history of recognition checks with decisions — so that recognitions and money saved start from
//! real counts. The synthetic generators are public for the benchmark.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use domain::{AccountId, china_date};
use pool::fhir::{
    self, CodeableConcept, Coding, DiagnosticReport, HumanName, Identifier, ImagingSeries, ImagingStudy, Meta, Observation, Patient,
    Quantity, Reference, ReferenceRange, Resource, systems,
};
use pool::recognition::{RecognitionCatalog, RecognisableItem, fhir_time};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use store::{AccountKind, Estate, FhirRow, NewAccount, OfferRow, Rider};

use server::ServerError;
use crate::seed::{DEMO_PASSWORD, DemoLogin};
use server::state::AppState;

const ESTATES: &[&str] = &[
    "富春花园", "金桥北苑", "江滨西苑", "春江花月", "银湖花苑", "鹿山新村", "东洲新城", "恩波小区", "文教小区", "桂花苑", "阳光城",
    "香悦半岛", "富春山居", "公望府", "江南春晓", "凤凰城", "秦望苑", "大桥南苑", "新沙花园", "江景名苑", "玉长城", "城东新村",
    "龙山花园", "灵峰苑", "天元花园", "富丽花苑", "锦绣江南", "富阳印象",
];
const PROPERTY: &[&str] = &["绿城物业", "滨江物业", "南都物业", "开元物业", "富阳城建物业", "金成物业"];

/// (analyte LOINC, display, unit, low, high) of each lab item's observations.
fn analytes(item: &str) -> &'static [(&'static str, &'static str, &'static str, f64, f64)] {
    match item {
        "cbc" => &[("6690-2", "白细胞计数 WBC", "10*9/L", 3.5, 9.5), ("718-7", "血红蛋白 Hemoglobin", "g/L", 115.0, 150.0), ("777-3", "血小板计数 Platelets", "10*9/L", 125.0, 350.0)],
        "liver_panel" => &[("1742-6", "丙氨酸氨基转移酶 ALT", "U/L", 7.0, 40.0), ("1920-8", "天门冬氨酸氨基转移酶 AST", "U/L", 13.0, 35.0)],
        "renal_panel" => &[("2160-0", "肌酐 Creatinine", "umol/L", 41.0, 111.0), ("3094-0", "尿素氮 Urea nitrogen", "mmol/L", 2.6, 7.5)],
        "lipid_panel" => &[("2093-3", "总胆固醇 Cholesterol", "mmol/L", 2.8, 5.2), ("2571-8", "甘油三酯 Triglyceride", "mmol/L", 0.5, 1.7)],
        "glucose_fasting" => &[("1558-6", "空腹血糖 Fasting glucose", "mmol/L", 3.9, 6.1)],
        "hba1c" => &[("4548-4", "糖化血红蛋白 HbA1c", "%", 4.0, 6.0)],
        "tsh" => &[("3016-3", "促甲状腺激素 TSH", "m[IU]/L", 0.27, 4.2)],
        "afp" => &[("1834-1", "甲胎蛋白 AFP", "ng/mL", 0.0, 7.0)],
        "cea" => &[("2039-6", "癌胚抗原 CEA", "ng/mL", 0.0, 5.0)],
        "pt" => &[("5902-2", "凝血酶原时间 PT", "s", 9.4, 12.5)],
        "aptt" => &[("3173-2", "活化部分凝血活酶时间 APTT", "s", 25.0, 35.0)],
        _ => &[],
    }
}

/// A synthetic patient of the FHIR pool.
#[derive(Debug, Clone)]
pub struct SynthPatient {
    pub key: String,
    pub logical_id: String,
    pub name: String,
    pub sex: String,
    pub birth: NaiveDate,
}

/// The Patient resource of a person: resident ID number, medical insurance card and a medical
/// record number at one or two institutions.
pub fn patient_resource(p: &SynthPatient, rng: &mut StdRng, cat: &RecognitionCatalog) -> Resource {
    let insts: Vec<&pool::Institution> = cat.institutions().collect();
    let mut ids = vec![
        Identifier {
            use_: Some("official".into()),
            type_: Some(CodeableConcept::one(systems::V2_0203, "NI", "National unique individual identifier")),
            system: Some(systems::RESIDENT_ID.into()),
            value: Some(p.key.clone()),
            assigner: None,
        },
        Identifier {
            type_: Some(CodeableConcept::one(systems::V2_0203, "SN", "Subscriber Number")),
            system: Some(systems::INSURANCE_CARD.into()),
            value: Some(format!("A33{}", &p.key[6..17])),
            ..Default::default()
        },
    ];
    for _ in 0..rng.random_range(1..=2) {
        let inst = insts[rng.random_range(0..insts.len())];
        ids.push(Identifier {
            type_: Some(CodeableConcept::one(systems::V2_0203, "MR", "Medical record number")),
            system: Some(format!("{}{}", systems::MRN_PREFIX, inst.code)),
            value: Some(format!("{:08}", rng.random_range(1..99_999_999))),
            ..Default::default()
        });
    }
    let (family, given) = split_name(&p.name);
    Resource::Patient(Patient {
        id: Some(p.logical_id.clone()),
        meta: None,
        identifier: ids,
        active: Some(true),
        name: vec![HumanName { use_: Some("official".into()), text: Some(p.name.clone()), family: Some(family), given: vec![given] }],
        telecom: Vec::new(),
        gender: Some(if p.sex == "female" { "female".into() } else { "male".into() }),
        birth_date: Some(p.birth.format("%Y-%m-%d").to_string()),
        address: vec![fhir::Address { district: Some("富阳区".into()), city: Some("杭州市".into()), state: Some("浙江省".into()), country: Some("CN".into()), text: None }],
        managing_organization: None,
    })
}

fn split_name(name: &str) -> (String, String) {
    let mut chars = name.chars();
    let family: String = chars.next().map(String::from).unwrap_or_default();
    let given: String = chars.collect();
    let given = if given.is_empty() { family.clone() } else { given };
    (family, given)
}

/// One lab result (a DiagnosticReport with its Observations) or imaging study of `item` taken
/// at `inst` at `at` for patient `pid`. Ids come from `next`.
pub fn result_resources(item: &RecognisableItem, inst: &pool::Institution, pid: &str, at: DateTime<Utc>, rng: &mut StdRng, next: &mut dyn FnMut() -> i64) -> Vec<Resource> {
    let performer = Reference::institution(&inst.code, &inst.name);
    let effective = fhir_time(at);
    let issued = fhir_time(at + Duration::hours(2));
    let subject = Reference::to(&format!("Patient/{pid}"));
    match item.kind {
        pool::recognition::ItemKind::Lab => {
            let mut out = Vec::new();
            let mut members = Vec::new();
            for (code, display, unit, low, high) in analytes(&item.code) {
                let id = format!("o{}", next());
                let span = high - low;
                // Around the reference range, never below zero (no analyte here has a negative value).
                let v = (((low - span * 0.15 + rng.random::<f64>() * span * 1.3) * 100.0).round() / 100.0).max(0.0);
                let flag = if v < *low { "L" } else if v > *high { "H" } else { "N" };
                members.push(Reference::to(&format!("Observation/{id}")));
                out.push(Resource::Observation(Observation {
                    id: Some(id),
                    meta: None,
                    identifier: Vec::new(),
                    based_on: Vec::new(),
                    status: "final".into(),
                    category: vec![CodeableConcept::one(systems::OBSERVATION_CATEGORY, "laboratory", "Laboratory")],
                    code: CodeableConcept::one(systems::LOINC, code, display),
                    subject: Some(subject.clone()),
                    effective_date_time: Some(effective.clone()),
                    issued: Some(issued.clone()),
                    performer: vec![performer.clone()],
                    value_quantity: Some(Quantity { value: Some(v), unit: Some((*unit).into()), system: Some(systems::UCUM.into()), code: Some((*unit).into()), comparator: None }),
                    value_string: None,
                    value_codeable_concept: None,
                    interpretation: vec![CodeableConcept::one("http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation", flag, "")],
                    note: Vec::new(),
                    reference_range: vec![ReferenceRange {
                        low: Some(Quantity { value: Some(*low), unit: Some((*unit).into()), ..Default::default() }),
                        high: Some(Quantity { value: Some(*high), unit: Some((*unit).into()), ..Default::default() }),
                        text: None,
                    }],
                    has_member: Vec::new(),
                }));
            }
            out.push(Resource::DiagnosticReport(DiagnosticReport {
                id: Some(format!("r{}", next())),
                meta: None,
                identifier: Vec::new(),
                based_on: Vec::new(),
                status: "final".into(),
                category: vec![CodeableConcept::one(systems::V2_0074, "LAB", "Laboratory")],
                code: item.concept(),
                subject: Some(subject),
                effective_date_time: Some(effective),
                issued: Some(issued),
                performer: vec![performer],
                result: members,
                imaging_study: Vec::new(),
                conclusion: None,
            }));
            out
        }
        pool::recognition::ItemKind::Imaging => {
            let modality = item.modality.clone().unwrap_or_else(|| "OT".into());
            let n = rng.random_range(20..300);
            let sid = next();
            vec![Resource::ImagingStudy(ImagingStudy {
                id: Some(format!("i{sid}")),
                meta: None,
                identifier: vec![Identifier {
                    system: Some(format!("https://minsheng.fuyang.gov.cn/fhir/sid/accession/{}", inst.code)),
                    value: Some(format!("{modality}{}{:05}", at.format("%Y%m%d"), sid % 100_000)),
                    assigner: Some(Box::new(performer)),
                    ..Default::default()
                }],
                status: "available".into(),
                modality: vec![Coding::new(systems::DICOM_DCM, &modality, "")],
                subject,
                started: Some(effective),
                based_on: Vec::new(),
                endpoint: vec![Reference::to_display("Endpoint/fy-imaging-cloud", "富阳区医学影像云")],
                number_of_series: Some(1),
                number_of_instances: Some(n),
                procedure_code: vec![item.concept()],
                description: Some(item.name.clone()),
                series: vec![ImagingSeries {
                    uid: format!("1.2.156.112604.1.{sid}"),
                    number: Some(1),
                    modality: Coding::new(systems::DICOM_DCM, &modality, ""),
                    description: Some(item.name.clone()),
                    number_of_instances: Some(n),
                    endpoint: Vec::new(),
                    body_site: None,
                    instance: Vec::new(),
                }],
            })]
        }
    }
}

/// A random result for a patient: an item, an institution qualified for it (mostly), a time in
/// the last `days` days before `now`.
pub fn random_result(cat: &RecognitionCatalog, pid: &str, now: DateTime<Utc>, days: i64, rng: &mut StdRng, next: &mut dyn FnMut() -> i64) -> Vec<Resource> {
    let items: Vec<&RecognisableItem> = cat.items().collect();
    let insts: Vec<&pool::Institution> = cat.institutions().collect();
    // Common tests more often than rare ones.
    let item = if rng.random_bool(0.5) { items[rng.random_range(0..items.len().min(6))] } else { items[rng.random_range(0..items.len())] };
    let qualified: Vec<&&pool::Institution> = insts.iter().filter(|i| cat.qualified(&i.code, &item.code)).collect();
    let inst = if rng.random_bool(0.9) && !qualified.is_empty() { *qualified[rng.random_range(0..qualified.len())] } else { insts[rng.random_range(0..insts.len())] };
    // At least three hours ago, so that the report (issued two hours after) is not in the future.
    let at = now - Duration::minutes(rng.random_range(180..days.max(1) * 24 * 60));
    result_resources(item, inst, pid, at, rng, next)
}

/// The outpatient visit (an Encounter of class AMB, finished after an hour) at which `inst` saw
/// the patient `pid` at `at`: the care that lets the institution read the patient's results.
pub fn visit(inst: &pool::Institution, pid: &str, at: DateTime<Utc>, id: String) -> Resource {
    Resource::Encounter(fhir::Encounter {
        id: Some(id),
        status: "finished".into(),
        class: Coding::new(pool::care::ACT_CODE, "AMB", "ambulatory"),
        type_: vec![CodeableConcept::text("门诊挂号就诊")],
        subject: Some(Reference::to(&format!("Patient/{pid}"))),
        period: Some(fhir::Period { start: Some(fhir_time(at)), end: Some(fhir_time(at + Duration::hours(1))) }),
        service_provider: Some(Reference::institution(&inst.code, &inst.name)),
        ..Default::default()
    })
}

/// A home-doctor contract (家庭医生签约, an EpisodeOfCare) of the patient `pid` with the community
/// health centre `inst` for a year from `from`.
pub fn home_doctor_contract(inst: &pool::Institution, pid: &str, from: NaiveDate, id: String) -> Resource {
    Resource::EpisodeOfCare(fhir::EpisodeOfCare {
        id: Some(id),
        status: "active".into(),
        type_: vec![CodeableConcept::one(pool::care::CARE_TYPE, "home-doctor", "家庭医生签约")],
        patient: Reference::to(&format!("Patient/{pid}")),
        managing_organization: Some(Reference::institution(&inst.code, &inst.name)),
        period: Some(fhir::Period {
            start: Some(from.format("%Y-%m-%d").to_string()),
            end: Some((from + chrono::Days::new(365)).format("%Y-%m-%d").to_string()),
        }),
        ..Default::default()
    })
}

fn store_err(e: store::StoreError) -> ServerError {
    ServerError::Store(e)
}

/// Seeds the pool side of the demo district; returns the log-ins worth printing.
pub async fn seed_pool(state: &AppState, seed: u64, progress: &mut (dyn FnMut(&str, u64, u64) + Send)) -> Result<Vec<DemoLogin>, ServerError> {
    let store = &state.store;
    let now = state.now();
    let ids = state.parts.ids.clone();
    let mut rng = StdRng::seed_from_u64(seed ^ 0x5eed_9001);
    let cat = &state.pool.recognition;

    // Estates of the sub-districts and central towns.
    let towns: Vec<store::Division> = store.registers().divisions(Some("330111")).await?;
    let mut estates = Vec::new();
    for (i, name) in ESTATES.iter().enumerate() {
        let Some(town) = towns.get(i % towns.len().max(1)) else { break };
        estates.push(Estate {
            code: format!("E{:03}", i + 1),
            name: format!("{}{}", town.name.trim_end_matches("街道").trim_end_matches('镇').trim_end_matches('乡'), name),
            division: town.code.clone(),
            property_company: PROPERTY[i % PROPERTY.len()].to_owned(),
        });
    }
    store.pool().insert_estates(&estates).await?;

    // Clinicians of the hospitals and two health centres; platform operators.
    let (mem, it) = (state.config.argon2_memory_kib, state.config.argon2_iterations);
    let hash = tokio::task::spawn_blocking(move || server::auth::hash_password(DEMO_PASSWORD, mem, it))
        .await
        .map_err(|e| ServerError::Io("hashing".into(), std::io::Error::other(e.to_string())))?
        .map_err(|_| ServerError::Io("hashing".into(), std::io::Error::other("argon2")))?;
    let staff = |login: String, name: String, dept: &str| NewAccount {
        id: AccountId(ids.next()),
        login,
        password_hash: hash.clone(),
        display_name: name,
        kind: AccountKind::Staff,
        roles: vec![catalog::Role::Clerk],
        person_id: None,
        enterprise_id: None,
        department: Some(dept.to_owned()),
        division: None,
        phone: None,
        created_at: now,
    };
    let mut accounts = Vec::new();
    for inst in cat.institutions().filter(|i| i.kind != "township_health_centre" || i.code == "fy-hc-115") {
        accounts.push(staff(format!("{}_doctor", inst.code), format!("{} 医生", inst.name), &inst.code));
    }
    for (code, name) in pool::rider::PLATFORMS {
        accounts.push(staff(format!("{code}_ops"), format!("{name} 富阳站点 运营"), code));
    }
    store.identity().insert_accounts(&accounts).await?;

    // Residents: FHIR patients with results, riders.
    let mut persons = Vec::new();
    loop {
        let page = store.pool().persons_page(persons.len() as i64, 2000).await?;
        if page.is_empty() {
            break;
        }
        persons.extend(page);
    }
    let today = china_date(now);
    let mut rows: Vec<FhirRow> = Vec::new();
    let mut next = || ids.next();
    let total = persons.len() as u64;
    let mut care: Vec<store::CareRow> = Vec::new();
    let mut with_results: Vec<(String, String)> = Vec::new();
    for (n, p) in persons.iter().enumerate() {
        let sp = SynthPatient { key: p.id_number.clone(), logical_id: format!("p{}", p.id.0), name: p.name.clone(), sex: p.sex.clone(), birth: p.birth_date };
        let patient = patient_resource(&sp, &mut rng, cat);
        rows.push(server::areas::fhir::cases::index_row(state, &patient, next(), &sp.key, now).map_err(|e| io_err(e.0))?);
        if rng.random_bool(0.6) {
            with_results.push((sp.key.clone(), sp.logical_id.clone()));
            for _ in 0..rng.random_range(1..=3) {
                let result = random_result(cat, &sp.logical_id, now, 45, &mut rng, &mut next);
                // The visit at which the institution took the sample or the images.
                if let Some(first) = result.first()
                    && let (Some(inst), Some(eff)) = (first.institution().and_then(|c| cat.institution(c)), first.effective())
                    && let Ok(at) = pool::care::instant("effective", eff)
                {
                    let v = visit(inst, &sp.logical_id, at - Duration::minutes(30), format!("e{}", next()));
                    care.extend(server::areas::fhir::cases::care_row(state, &v, &sp.key, "").map_err(|e| io_err(e.0))?);
                    rows.push(server::areas::fhir::cases::index_row(state, &v, next(), &sp.key, now).map_err(|e| io_err(e.0))?);
                }
                for res in result {
                    let res = with_mark(cat, res);
                    rows.push(server::areas::fhir::cases::index_row(state, &res, next(), &sp.key, now).map_err(|e| io_err(e.0))?);
                }
            }
        }
        if rows.len() > 5000 {
            store.fhir().insert_fhir(&rows).await.map_err(store_err)?;
            store.fhir().upsert_fhir_and_care(&[], &care).await.map_err(store_err)?;
            rows.clear();
            care.clear();
            progress("健康档案与检查检验结果 health records", n as u64 + 1, total);
        }
    }
    // Home-doctor contracts with the Fuchun community health centre.
    if let Some(centre) = cat.institution("fy-hc-001") {
        for (key, pid) in with_results.iter().skip(50).take(100) {
            let from = today - chrono::Days::new(rng.random_range(1..300));
            let c = home_doctor_contract(centre, pid, from, format!("c{}", next()));
            care.extend(server::areas::fhir::cases::care_row(state, &c, key, "").map_err(|e| io_err(e.0))?);
            rows.push(server::areas::fhir::cases::index_row(state, &c, next(), key, now).map_err(|e| io_err(e.0))?);
        }
    }
    store.fhir().insert_fhir(&rows).await.map_err(store_err)?;
    store.fhir().upsert_fhir_and_care(&[], &care).await.map_err(store_err)?;
    rows.clear();
    care.clear();
    progress("健康档案与检查检验结果 health records", total, total);

    let adults: Vec<&store::Person> = persons
        .iter()
        .filter(|p| domain::ResidentId::parse(&p.id_number).is_ok_and(|id| (18..=50).contains(&id.age_on(today))) && p.sex == "male")
        .collect();
    let mut riders = Vec::new();
    let mut creds = Vec::new();
    for (i, p) in adults.iter().take(60).enumerate() {
        let platform = match i % 10 {
            0..=4 => "meituan",
            5..=8 => "eleme",
            _ if i % 20 == 9 => "sf",
            _ => "dada",
        };
        let mut es: Vec<String> = (0..rng.random_range(3..=6)).map(|_| estates[rng.random_range(0..estates.len())].code.clone()).collect();
        es.sort();
        es.dedup();
        let r = Rider {
            id: ids.next(),
            person_key: p.id_number.clone(),
            name: p.name.clone(),
            phone: p.phone.clone(),
            platform: platform.into(),
            estates: es,
            valid_from: now - Duration::days(rng.random_range(1..200)),
            valid_until: now + Duration::days(rng.random_range(30..365)),
            status: "active".into(),
            created_by: None,
            created_at: now,
            revoked_at: None,
        };
        creds.push(server::areas::pool::cases::sign_rider(state, &r, ids.next()));
        riders.push(r);
    }
    store.pool().insert_riders(&riders, &creds).await?;

    // Consents: some residents let their family doctors' centre read their results.
    let mut consents = Vec::new();
    for (key, _) in with_results.iter().take(50) {
        consents.push(pool::Consent {
            id: ids.next(),
            subject_key: key.clone(),
            grantee_kind: pool::GranteeKind::Org,
            grantee: "fy-hc-001".into(),
            record_types: vec!["health".into()],
            purpose: "家庭医生签约服务".into(),
            granted_at: now - Duration::days(30),
            valid_until: today + chrono::Days::new(335),
            revoked_at: None,
        });
    }
    store.pool().insert_consents(&consents).await?;

    // A history of recognition checks: a second institution about to repeat a test.
    let doctors: Vec<&pool::Institution> = cat.institutions().filter(|i| i.level >= pool::InstitutionLevel::SecondaryB).collect();
    let mut decisions: Vec<(i64, &str, Option<&str>)> = Vec::new();
    let mut n_offers = 0;
    for (key, _) in with_results.iter().take(persons.len() / 4) {
        let Some(item) = cat.items().nth(rng.random_range(0..6)) else { continue };
        let since = now - Duration::days(i64::from(item.validity_days));
        let candidates = store.fhir().results_for_item(key, &item.code, since).await?;
        let summaries: Vec<pool::ResultSummary> = candidates.into_iter().map(|(s, _)| s).collect();
        let Some(best) = pool::recognition::recognisable(cat, item, &summaries, now).into_iter().next() else { continue };
        let orderer = doctors[rng.random_range(0..doctors.len())];
        if orderer.code == best.result.institution {
            continue;
        }
        let id = ids.next();
        let at = best.result.effective + Duration::minutes(rng.random_range(60..(now - best.result.effective).num_minutes().max(61)));
        // The visit at the ordering institution during which the doctor ran the check.
        if let Some(pid) = with_results.iter().find(|(k, _)| k == key).map(|(_, p)| p.clone()) {
            let v = visit(orderer, &pid, at - Duration::minutes(10), format!("e{}", ids.next()));
            care.extend(server::areas::fhir::cases::care_row(state, &v, key, "").map_err(|e| io_err(e.0))?);
            rows.push(server::areas::fhir::cases::index_row(state, &v, ids.next(), key, now).map_err(|e| io_err(e.0))?);
        }
        let purpose = pool::Purpose::Treatment { order: Some(format!("order:{}:-", item.code)) };
        let reader = pool::Reader { account: None, kind: pool::ReaderKind::Clinician, org: Some(orderer.code.clone()), own_key: None };
        let d = pool::Decision::Allowed { basis: pool::Basis::Treatment };
        let e = server::areas::pool::cases::entry(&reader, at, key, format!("recognition-check:{}", item.code), Some(&purpose), &d);
        let offer = OfferRow {
            id,
            at,
            patient_key: key.clone(),
            item: item.code.clone(),
            ordering_institution: orderer.code.clone(),
            clinician: None,
            result_type: best.result.resource_type.clone(),
            result_id: best.result.logical_id.clone(),
            result_institution: best.result.institution.clone(),
            price_fen: best.price_fen,
        };
        state.pool.appender.append(vec![e], vec![offer]).await.map_err(store_err)?;
        let roll = rng.random_range(0..100);
        decisions.push(match roll {
            0..=84 => (id, "accepted", None),
            85..=92 => (id, "retest", Some("condition_changed")),
            _ => (id, "retest", Some("patient_request")),
        });
        n_offers += 1;
    }
    store.fhir().insert_fhir(&rows).await.map_err(store_err)?;
    store.fhir().upsert_fhir_and_care(&[], &care).await.map_err(store_err)?;
    store.fhir().decide_offers(&decisions, now).await?;
    progress("互认记录 recognitions", n_offers, n_offers);

    let mut logins = vec![
        DemoLogin { login: "fy-1h_doctor".into(), who: "富阳区第一人民医院医生（互认查询、健康档案调阅）clinician".into() },
        DemoLogin { login: "fy-hc-001_doctor".into(), who: "富春街道社区卫生服务中心医生（家庭医生）community clinician".into() },
        DemoLogin { login: "meituan_ops".into(), who: "美团外卖富阳站点（登记骑手、小哥码）delivery platform".into() },
        DemoLogin { login: "scjg_supervisor".into(), who: "区市场监管局（骑手监管、关爱通知）rider regulator".into() },
    ];
    if let Some(r) = riders.first()
        && let Some(a) = persons.iter().find(|p| p.id_number == r.person_key)
    {
        logins.push(DemoLogin { login: a.id_number.clone(), who: format!("骑手 {}（我的小哥码）rider", a.name) });
    }
    Ok(logins)
}

fn with_mark(cat: &RecognitionCatalog, mut res: Resource) -> Resource {
    let hr = match &res {
        Resource::DiagnosticReport(_) | Resource::ImagingStudy(_) => {
            res.code().and_then(|c| cat.item_for(c)).zip(res.institution()).is_some_and(|(it, inst)| cat.qualified(inst, &it.code))
        }
        _ => false,
    };
    if hr && let Some(meta) = res.meta_mut() {
        *meta = Some(Meta { tag: vec![Coding::new(systems::MARK, "HR", "互认")], ..Default::default() });
    }
    res
}

fn io_err(e: server::failure::Failure) -> ServerError {
    ServerError::Io("seeding the pool".into(), std::io::Error::other(e.body().message_en))
}
