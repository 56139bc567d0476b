//! Medical insurance's figures for the leaders' cockpit: the district's average cost per stay,
//! length of stay and re-admission rate by month, the hospitals in the scheme and the
//! applications waiting, the latest settlement, and each hospital's before and after joining.
//! Aggregates only: no patient is named (the cockpit's own guard decides who sees it).

use std::collections::BTreeMap;

use serde::Serialize;
use crate::failure::Fallible;
use crate::state::AppState;
use super::cases;
use super::views::BeforeAfterView;
use super::views::SettlementSummaryView;

/// One month of the district's in-patient stays.
#[derive(Debug, Clone, Serialize)]
pub struct MonthFigures {
    /// `YYYY-MM`.
    pub month: String,
    pub episodes: u64,
    pub avg_cost_fen: i64,
    pub avg_length_of_stay: f64,
    pub readmission_rate: f64,
}

/// What the cockpit shows of medical insurance.
#[derive(Debug, Clone, Default, Serialize)]
pub struct CockpitFigures {
    /// Oldest first.
    pub months: Vec<MonthFigures>,
    pub hospitals: usize,
    pub in_scheme: usize,
    pub applications_waiting: usize,
    pub latest_settlement: Option<SettlementSummaryView>,
    pub before_after: Vec<BeforeAfterView>,
}

/// The figures now (the last `months` months of discharges).
pub async fn cockpit(state: &AppState, months: usize) -> Fallible<CockpitFigures> {
    let today = domain::china_date(state.now());
    let (hospitals, table) = cases::indicator_table(state).await?;
    let mut by_month: BTreeMap<String, medins::indicators::Totals> = BTreeMap::new();
    for r in &table {
        by_month.entry(r.month.to_string()).or_default().add(&r.totals);
    }
    let month_figures: Vec<MonthFigures> = by_month
        .into_iter()
        .rev()
        .take(months)
        .rev()
        .filter(|(_, t)| t.episodes > 0)
        .map(|(month, t)| MonthFigures {
            month,
            episodes: t.episodes,
            avg_cost_fen: t.total_cost.0 / t.episodes as i64,
            avg_length_of_stay: t.bed_days as f64 / t.episodes as f64,
            readmission_rate: t.readmissions as f64 / t.episodes as f64,
        })
        .collect();
    let before_after = cases::before_after_views(&table, &hospitals);
    let latest_settlement = state.store.medins().settlements().await?.into_iter().next().map(|r| SettlementSummaryView {
        month: r.month,
        status: r.status,
        budget_fen: r.budget_fen,
        episodes: r.episodes,
        digest: r.digest,
    });
    Ok(CockpitFigures {
        months: month_figures,
        hospitals: hospitals.len(),
        in_scheme: hospitals.iter().filter(|h| h.in_scheme_on(today)).count(),
        applications_waiting: hospitals.iter().filter(|h| matches!(h.membership, medins::Membership::Applied)).count(),
        latest_settlement,
        before_after,
    })
}
