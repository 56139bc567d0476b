//! The demo district's medical-insurance side (issue 35): its hospitals in the bed-day and DRG
//! payment scheme (the first people's hospital joined seven months ago, the Chinese-medicine
//! hospital's application awaits review), a year of in-patient episodes of residents of the
//! register sent by the hospitals, and every month but the last settled — frozen by the bureau's
//! clerk, approved by its approver — so that the bureau has last month to settle itself. All of
//! it through the area's use cases, as the people would do it.

use std::collections::BTreeMap;

use chrono::Datelike;
use chrono::NaiveDate;
use domain::china_date;
use server::ServerError;
use server::areas::medins::cases;
use server::areas::medins::views::ApplyBody;
use server::areas::medins::views::BudgetBody;
use server::areas::medins::views::DecisionBody;
use server::areas::medins::views::LinesQuery;
use server::auth::Principal;
use server::failure::Failure;
use server::state::AppState;

/// In-patient episodes per month across the district's hospitals.
pub const EPISODES_PER_MONTH: usize = 360;

fn failed(what: &str, e: Failure) -> ServerError {
    ServerError::Seed(format!("medical insurance, {what}: {}", e.body().message_en))
}

async fn principal(state: &AppState, login: &str) -> Result<Principal, ServerError> {
    crate::seed::principal(state, login, "medical insurance").await
}

fn month_back(today: NaiveDate, back: i32) -> medins::Month {
    (0..back).fold(medins::Month::of(today), |m, _| m.prev())
}

/// Seeds the area; `progress(stage, done, total)`.
pub async fn seed_medins(state: &AppState, seed: u64, progress: &mut (dyn FnMut(&str, u64, u64) + Send)) -> Result<(), ServerError> {
    let stage = "医保住院病例与结算 medical-insurance episodes and settlements";
    let today = china_date(state.now());
    let doctor = principal(state, "fy-1h_doctor").await?;
    let tcm = principal(state, "fy-tcm_doctor").await?;
    let clerk = principal(state, "ybj_clerk").await?;
    let approver = principal(state, "ybj_approver").await?;

    // fy-1h applied and joined seven months ago; fy-tcm's application is waiting.
    let joined = month_back(today, 7).first_day();
    cases::apply(state, &doctor, "fy-1h", ApplyBody { note: Some("本院已具备床日付费条件".into()) }).await.map_err(|e| failed("apply", e))?;
    cases::decide(state, &clerk, "fy-1h", DecisionBody { approve: true, since: Some(joined.to_string()), note: Some("同意纳入".into()) })
        .await
        .map_err(|e| failed("decide", e))?;
    cases::apply(state, &tcm, "fy-tcm", ApplyBody { note: Some("申请纳入长期慢性病床日付费".into()) }).await.map_err(|e| failed("apply", e))?;
    let hospitals = cases::scheme_hospitals(state).await.map_err(|e| failed("hospitals", e))?;

    // Residents of the register by sex and year of birth, to be the patients.
    let mut residents: BTreeMap<(String, i32), Vec<String>> = BTreeMap::new();
    for (id, sex, birth) in state.store.registers().person_keys().await? {
        residents.entry((sex, birth.year())).or_default().push(id);
    }
    let months: Vec<medins::Month> = (1..=12).rev().map(|back| month_back(today, back)).collect();
    let total = months.len() as u64 * 2;
    let mut budgets = Vec::new();
    for (i, month) in months.iter().enumerate() {
        progress(stage, i as u64, total);
        let mut episodes = medins::synth::month_episodes(&hospitals, *month, EPISODES_PER_MONTH, seed.wrapping_add(i as u64));
        for e in &mut episodes {
            // The synthetic patient becomes a resident of the register of the same sex, born in
            // (or nearest to) the same year; the same synthetic patient stays the same resident.
            let sex = match e.sex {
                medins::Sex::Male => "male",
                medins::Sex::Female => "female",
            };
            let born = e.admitted.year() - i32::from(e.age);
            let near = (0..=40).flat_map(|d| [born - d, born + d]).find_map(|y| residents.get(&(sex.to_owned(), y)).filter(|v| !v.is_empty()));
            if let Some(people) = near {
                let pick = e.patient.bytes().fold(0usize, |h, b| h.wrapping_mul(31).wrapping_add(usize::from(b)));
                e.patient = people[pick % people.len()].clone();
                if let Some(person_born) = domain::ResidentId::parse(&e.patient).ok().map(|r| r.birth_date()) {
                    e.age = u8::try_from(e.admitted.years_since(person_born).unwrap_or(0)).unwrap_or(e.age);
                }
            }
        }
        budgets.push(medins::synth::budget(&episodes));
        let inputs: Vec<_> = episodes.iter().map(cases::episode_input).collect();
        for chunk in inputs.chunks(500) {
            cases::receive(state, &clerk, "demo", chunk.to_vec()).await.map_err(|e| failed("episodes", e))?;
        }
    }
    // Every month but the last settled: frozen by the clerk, approved by the approver.
    for (i, (month, budget)) in months.iter().zip(&budgets).enumerate().take(months.len() - 1) {
        progress(stage, (months.len() + i) as u64, total);
        let m = month.to_string();
        cases::freeze(state, &clerk, &m, BudgetBody { budget_fen: budget.0 }, LinesQuery::default()).await.map_err(|e| failed("freeze", e))?;
        cases::approve(state, &approver, &m, LinesQuery::default()).await.map_err(|e| failed("approve", e))?;
    }
    progress(stage, total, total);
    Ok(())
}
