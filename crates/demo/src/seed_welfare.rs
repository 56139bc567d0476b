//! The demo district's welfare side (issue 31): the records departments hold that benefits are
//! decided on — social security cards with their bank accounts, disability certificates,
//! household finance checks and low-income status, elders living in care institutions, rent
//! subsidy qualifications and unemployment registrations — published into the shared data
//! pool; then the platform finds who is entitled by itself (no one applies), and the civil
//! affairs bureau pays the last two months: frozen by its clerk, approved by its approver, sent to
//! the bank and the bank's return file taken back (a few accounts fail). All of it through the
//! area's use cases, as the people would do it.

use std::collections::BTreeMap;

use chrono::Duration;
use chrono::NaiveDate;
use domain::RecordId;
use domain::china_date;
use rand::Rng;
use rand::SeedableRng;
use rand::rngs::StdRng;
use serde_json::json;
use server::ServerError;
use server::areas::welfare::cases;
use server::areas::welfare::views::RunBody;
use server::auth::Principal;
use server::failure::Failure;
use server::state::AppState;
use store::SharedRecord;
use store::WelfarePerson;

fn failed(what: &str, e: Failure) -> ServerError {
    ServerError::Seed(format!("welfare, {what}: {}", e.body().message_en))
}

async fn principal(state: &AppState, login: &str) -> Result<Principal, ServerError> {
    crate::seed::principal(state, login, "welfare").await
}

/// Banks that pay benefits onto social security cards in Fuyang.
const BANKS: &[(&str, &str)] = &[("中国农业银行富阳支行", "6228"), ("杭州联合农村商业银行富阳支行", "6231"), ("中国工商银行富阳支行", "6222"), ("中国建设银行富阳支行", "6217")];

fn age(birth: NaiveDate, today: NaiveDate) -> i64 {
    welfare::facts::age_on(birth, today)
}

/// The records, one pass over the register with a seeded generator.
fn records(state: &AppState, people: &[WelfarePerson], today: NaiveDate, seed: u64) -> Vec<SharedRecord> {
    let mut rng = StdRng::seed_from_u64(seed ^ 0x3E1F_A4E5);
    let now = state.now();
    let mut out = Vec::new();
    let ids = &state.parts.ids;
    let mut rec = |record_type: &str, department: &str, subject: &str, days_ago: i64, valid: Option<i64>, data: serde_json::Value| {
        // Office hours' spread, from the subject (the same record is issued at the same time).
        let jitter = subject.bytes().fold(days_ago, |h, b| (h * 31 + i64::from(b)) % 600);
        let issued = now - Duration::days(days_ago) - Duration::minutes(jitter);
        out.push(SharedRecord {
            id: RecordId(ids.next()),
            record_type: record_type.into(),
            subject_kind: "person".into(),
            subject_key: subject.to_owned(),
            department: department.into(),
            issued_at: issued,
            valid_until: valid.map(|d| china_date(issued) + Duration::days(d)),
            application: None,
            case: None,
            data,
        });
    };
    let standard = cases::catalog().params.get("dibao_standard").map_or(123_600, |p| p.value);
    let mut households: BTreeMap<i64, Vec<&WelfarePerson>> = BTreeMap::new();
    for p in people {
        households.entry(p.household).or_default().push(p);
    }
    for (_, members) in households {
        let head = members[0];
        let elders = members.iter().filter(|m| age(m.birth_date, today) >= 60).count();
        // About one household in twenty-five has had its finances checked; most of those are
        // under the minimum living standard, a few just above it (低边).
        let checked = rng.random_bool(if elders == members.len() { 0.08 } else { 0.03 });
        if checked {
            let below = rng.random_bool(0.7);
            let income = if below { rng.random_range(standard / 5..standard * 9 / 10) } else { rng.random_range(standard..standard * 14 / 10) };
            let days = rng.random_range(10..300);
            rec("household_finance_check", "mzj", &head.id_number, days, Some(365), json!({
                "name": head.name, "income_per_head_fen": income, "members": members.len(), "checked_on": (today - Duration::days(days)).to_string(),
            }));
            if below {
                rec("low_income_status", "mzj", &head.id_number, days - 3, Some(365), json!({ "name": head.name, "household_members": members.len() }));
            }
        }
        if rng.random_bool(0.01) {
            rec("rent_subsidy", "zjj", &head.id_number, rng.random_range(30..200), Some(365), json!({ "name": head.name, "household_size": members.len() }));
        }
        for m in &members {
            let a = age(m.birth_date, today);
            if a >= 16 && rng.random_bool(0.985) {
                let (bank, prefix) = BANKS[rng.random_range(0..BANKS.len())];
                let account = format!("{prefix}{:015}", rng.random_range(0..1_000_000_000_000_000u64));
                rec("social_security_card", "rsj", &m.id_number, rng.random_range(400..3000), None, json!({
                    "name": m.name, "card_number": format!("A{:08}", rng.random_range(0..100_000_000u32)), "bank": bank, "account": account,
                }));
            }
            let disabled = rng.random_bool(if a >= 60 { 0.04 } else { 0.015 });
            if disabled {
                let grade = [1u8, 2, 2, 3, 3, 3, 4, 4, 4, 4][rng.random_range(0..10)];
                let kinds = ["肢体", "视力", "听力", "智力", "精神", "言语"];
                rec("disability_cert", "cl", &m.id_number, rng.random_range(100..3000), None, json!({
                    "name": m.name, "grade": grade, "kind": kinds[rng.random_range(0..kinds.len())], "certificate_number": format!("{}{}{}", m.id_number, "4", grade),
                }));
            }
            if a >= 80 && rng.random_bool(0.04) {
                rec("institution_care", "mzj", &m.id_number, rng.random_range(60..2000), None, json!({
                    "name": m.name, "institution": "富阳区社会福利中心", "since": (today - Duration::days(rng.random_range(60..2000))).to_string(),
                }));
            }
            if (18..60).contains(&a) && rng.random_bool(0.02) {
                rec("unemployment_registration", "rsj", &m.id_number, rng.random_range(10..300), Some(365), json!({ "name": m.name }));
            }
        }
    }
    out
}

/// Seeds the area; `progress(stage, done, total)`.
pub async fn seed_welfare(state: &AppState, seed: u64, progress: &mut (dyn FnMut(&str, u64, u64) + Send)) -> Result<(), ServerError> {
    let stage = "民生待遇（免申即享）welfare";
    let today = china_date(state.now());
    progress(stage, 0, 4);
    let people = state.store.welfare().people_all().await?;
    let recs = records(state, &people, today, seed);
    for chunk in recs.chunks(2000) {
        state.store.pool().publish_records(chunk, None).await?;
    }
    progress(stage, 1, 4);
    // Nobody applies: the platform finds who is entitled from the registers.
    cases::full_sweep(state).await.map_err(|e| failed("sweep", e))?;
    progress(stage, 2, 4);
    // The civil affairs bureau paid the last two months.
    let clerk = principal(state, "mzj_clerk").await?;
    let approver = principal(state, "mzj_approver").await?;
    let this = welfare::Month::of(today);
    for (i, month) in [this.back(2), this.back(1)].into_iter().enumerate() {
        let run = cases::freeze(state, &clerk, RunBody { month: month.to_string(), department: None }).await.map_err(|e| failed("freeze", e))?;
        cases::approve(state, &approver, &run.id).await.map_err(|e| failed("approve", e))?;
        let (_, file) = cases::bank_file(state, &approver, &run.id).await.map_err(|e| failed("bank file", e))?;
        let back = bank_return(&file, &run.id, seed.wrapping_add(i as u64));
        cases::returns(state, &approver, &run.id, &back).await.map_err(|e| failed("bank return", e))?;
        progress(stage, 3 + i as u64 / 2, 4);
    }
    progress(stage, 4, 4);
    Ok(())
}

/// The bank's return file for a payment file: every line paid, but for about one in two hundred
/// (an account closed or frozen).
pub fn bank_return(payment_file: &str, batch: &str, seed: u64) -> String {
    let mut rng = StdRng::seed_from_u64(seed ^ 0xBA4C);
    let mut out = String::from("batch,reference,account,amount,status,reason\n");
    for line in payment_file.lines().skip(1) {
        let cols: Vec<&str> = line.split(',').collect();
        if cols.first() == Some(&"TRAILER") || cols.len() < 8 {
            continue;
        }
        let (reference, account, amount) = (cols[3], cols[6], cols[7]);
        if rng.random_bool(0.005) {
            let reason = if rng.random_bool(0.5) { "账户已销户" } else { "账户冻结" };
            out.push_str(&format!("{batch},{reference},{account},{amount},05,{reason}\n"));
        } else {
            out.push_str(&format!("{batch},{reference},{account},{amount},00,\n"));
        }
    }
    out
}
