//! Proactive discovery (主动发现): scores a household's signals of difficulty — low income not on
//! dibao, large medical spending, severe disability, an elder living alone, unemployment, the
//! death of an earner, failed payouts — with weights from `discovery.toml`, and flags it when
//! the score reaches the threshold, so a social worker visits before anyone has to ask.

use chrono::Days;
use chrono::NaiveDate;
use serde::Deserialize;
use serde::Serialize;

use crate::catalog::Catalog;
use crate::facts::Facts;
use crate::facts::age_on;

/// The signal codes discovery knows, in the order reasons are listed.
pub const SIGNALS: &[&str] = &[
    "low_income",
    "large_medical",
    "severe_disability",
    "elder_alone",
    "unemployed",
    "earner_died",
    "failed_payouts",
];

/// One signal's weight and labels.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SignalWeight {
    /// One of [`SIGNALS`].
    pub code: String,
    /// Points it adds to the score.
    pub weight: u32,
    /// Chinese label.
    pub label_zh: String,
    /// English label.
    pub label_en: String,
}

/// Discovery's weights and threshold (`discovery.toml`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct DiscoveryRules {
    /// A household is flagged when its score is at least this.
    pub threshold: u32,
    /// Weights by signal; a signal not listed does not count.
    pub signals: Vec<SignalWeight>,
}

impl DiscoveryRules {
    /// The weight of a signal, if it counts.
    pub fn signal(&self, code: &str) -> Option<&SignalWeight> {
        self.signals.iter().find(|s| s.code == code)
    }
}

/// What the registers say about one household.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HouseholdSignals {
    /// The household's id.
    pub household: String,
    /// Its members.
    pub members: Vec<MemberSignals>,
    /// Benefit payouts to the household the bank returned as failed (recent runs).
    pub failed_payouts: u32,
}

/// One member of a household.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberSignals {
    /// ID number.
    pub key: String,
    /// Register facts.
    pub facts: Facts,
    /// Medical spending paid out of pocket in the last 12 months, fen (from medical insurance).
    pub medical_out_of_pocket_fen_12m: i64,
    /// Date of death, if reported (also read from `facts.death_date`).
    pub died_on: Option<NaiveDate>,
}

/// Why a household was flagged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlagReason {
    /// The signal code.
    pub code: String,
    /// The member it is about, if one.
    pub person: Option<String>,
    /// In Chinese.
    pub zh: String,
    /// In English.
    pub en: String,
    /// Its weight.
    pub weight: u32,
}

/// A household flagged for a visit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flag {
    /// The household's id.
    pub household: String,
    /// The sum of the reasons' weights.
    pub score: u32,
    /// The signals found, in the order of [`SIGNALS`].
    pub reasons: Vec<FlagReason>,
}

fn yuan(fen: i64) -> String {
    domain::Fen(fen).to_yuan_string()
}

/// Scores a household on `today`; `None` when nothing is found or the score is below the threshold.
pub fn discover(catalog: &Catalog, h: &HouseholdSignals, today: NaiveDate) -> Option<Flag> {
    let rules = &catalog.discovery;
    let standard = catalog.param("dibao_standard").unwrap_or(0);
    let edge_pct = catalog.param("low_edge_factor_pct").unwrap_or(150);
    let large_medical = catalog.param("large_medical_fen").unwrap_or(i64::MAX);
    let living: Vec<&MemberSignals> =
        h.members.iter().filter(|m| m.died_on.is_none_or(|d| d > today) && m.facts.alive(today)).collect();
    let mut found: Vec<(&str, Option<String>, String, String)> = Vec::new();
    // low income: any living member's household finance check below the edge, household not on dibao
    let edge = standard.saturating_mul(edge_pct) / 100;
    if let Some(m) = living.iter().find(|m| m.facts.income_per_head_fen.is_some_and(|i| i < edge) && !m.facts.dibao) {
        let income = m.facts.income_per_head_fen.unwrap_or(0);
        found.push((
            "low_income",
            None,
            format!("家庭月人均收入 {} 元，低于低保标准的 {edge_pct}%（{} 元），未享受低保", yuan(income), yuan(edge)),
            format!("income per head {} yuan a month, below {edge_pct}% of the dibao standard ({} yuan), not on dibao", yuan(income), yuan(edge)),
        ));
    }
    if let Some(m) = living.iter().find(|m| m.medical_out_of_pocket_fen_12m > large_medical) {
        found.push((
            "large_medical",
            Some(m.key.clone()),
            format!("近 12 个月医疗费用自付 {} 元，超过 {} 元", yuan(m.medical_out_of_pocket_fen_12m), yuan(large_medical)),
            format!("paid {} yuan out of pocket for medical care in 12 months, above {} yuan", yuan(m.medical_out_of_pocket_fen_12m), yuan(large_medical)),
        ));
    }
    if let Some(m) = living.iter().find(|m| m.facts.disability_grade.is_some_and(|g| (1..=2).contains(&g))) {
        let g = m.facts.disability_grade.unwrap_or(0);
        found.push(("severe_disability", Some(m.key.clone()), format!("家庭成员持 {g} 级残疾人证"), format!("a member holds a grade {g} disability certificate")));
    }
    if let Some(m) = living.iter().find(|m| m.facts.lives_alone && m.facts.age(today) >= 70) {
        let age = m.facts.age(today);
        found.push(("elder_alone", Some(m.key.clone()), format!("{age} 岁老人独居"), format!("an elder aged {age} lives alone")));
    }
    if let Some(m) = living.iter().find(|m| m.facts.unemployed) {
        found.push(("unemployed", Some(m.key.clone()), "家庭成员登记失业".to_owned(), "a member is registered unemployed".to_owned()));
    }
    let year_ago = today.checked_sub_days(Days::new(365)).unwrap_or(today);
    let earner = h.members.iter().find_map(|m| {
        let died = m.died_on.or(m.facts.death_date)?;
        let age = age_on(m.facts.birth_date, died);
        (died > year_ago && died <= today && (18..=59).contains(&age)).then_some((m, died, age))
    });
    if let Some((m, died, age)) = earner {
        found.push((
            "earner_died",
            Some(m.key.clone()),
            format!("劳动年龄家庭成员于 {died} 去世（{age} 岁）"),
            format!("a working-age member died on {died} (aged {age})"),
        ));
    }
    if h.failed_payouts > 0 {
        let n = h.failed_payouts;
        found.push(("failed_payouts", None, format!("{n} 笔待遇发放被银行退回"), format!("{n} benefit payouts returned as failed by the bank")));
    }
    let reasons: Vec<FlagReason> = found
        .into_iter()
        .filter_map(|(code, person, zh, en)| {
            rules.signal(code).map(|s| FlagReason { code: code.to_owned(), person, zh, en, weight: s.weight })
        })
        .collect();
    let score = reasons.iter().map(|r| r.weight).fold(0u32, u32::saturating_add);
    (!reasons.is_empty() && score >= rules.threshold).then(|| Flag { household: h.household.clone(), score, reasons })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).expect("a date")
    }

    fn member(key: &str, facts: Facts) -> MemberSignals {
        MemberSignals { key: key.to_owned(), facts, medical_out_of_pocket_fen_12m: 0, died_on: None }
    }

    fn weight(c: &Catalog, code: &str) -> u32 {
        c.discovery.signal(code).map_or(0, |s| s.weight)
    }

    #[test]
    fn each_signal_is_found_with_its_weight() {
        let c = Catalog::demo();
        let today = d(2026, 6, 15);
        let standard = c.param("dibao_standard").expect("param");
        let poor = Facts { income_per_head_fen: Some(standard), ..Facts::default() };
        let h = HouseholdSignals { household: "h1".into(), members: vec![member("a", poor.clone())], failed_payouts: 0 };
        let flag = discover(&c, &h, today);
        let score = flag.as_ref().map_or(0, |f| f.score);
        assert!(weight(&c, "low_income") > 0);
        if weight(&c, "low_income") >= c.discovery.threshold {
            assert_eq!(score, weight(&c, "low_income"));
        }
        // on dibao already: no low-income signal
        let on_dibao = Facts { dibao: true, ..poor.clone() };
        let h2 = HouseholdSignals { household: "h2".into(), members: vec![member("a", on_dibao)], failed_payouts: 0 };
        assert!(discover(&c, &h2, today).is_none());
        // everything at once
        let mut sick = member("b", Facts { disability_grade: Some(1), ..Facts::default() });
        sick.medical_out_of_pocket_fen_12m = c.param("large_medical_fen").expect("param") + 1;
        let elder = member("c", Facts { birth_date: d(1950, 1, 1), lives_alone: true, ..Facts::default() });
        let jobless = member("e", Facts { unemployed: true, ..Facts::default() });
        let mut earner = member("f", Facts { birth_date: d(1980, 1, 1), ..Facts::default() });
        earner.died_on = Some(d(2026, 2, 1));
        let h3 = HouseholdSignals { household: "h3".into(), members: vec![member("a", poor), sick, elder, jobless, earner], failed_payouts: 2 };
        let flag = discover(&c, &h3, today).expect("flagged");
        let codes: Vec<&str> = flag.reasons.iter().map(|r| r.code.as_str()).collect();
        assert_eq!(codes, SIGNALS.to_vec());
        let total: u32 = SIGNALS.iter().map(|s| weight(&c, s)).sum();
        assert_eq!(flag.score, total);
        assert_eq!(flag.reasons[5].person.as_deref(), Some("f"));
        assert!(flag.reasons[5].zh.contains("2026-02-01"));
    }

    #[test]
    fn below_the_threshold_or_out_of_window_is_not_flagged() {
        let c = Catalog::demo();
        let today = d(2026, 6, 15);
        // an elder of 69 living alone is not a signal; 70 is
        let elder69 = member("c", Facts { birth_date: d(1956, 6, 16), lives_alone: true, ..Facts::default() });
        let h = HouseholdSignals { household: "h".into(), members: vec![elder69], failed_payouts: 0 };
        assert!(discover(&c, &h, today).is_none());
        // the earner died more than a year ago, or was 60+
        let mut old_death = member("f", Facts { birth_date: d(1980, 1, 1), ..Facts::default() });
        old_death.died_on = Some(d(2025, 6, 1));
        let mut retired = member("g", Facts { birth_date: d(1950, 1, 1), ..Facts::default() });
        retired.died_on = Some(d(2026, 3, 1));
        let h = HouseholdSignals { household: "h".into(), members: vec![old_death, retired], failed_payouts: 0 };
        assert!(discover(&c, &h, today).is_none());
        // a threshold above everything
        let mut strict = c.clone();
        strict.discovery.threshold = 10_000;
        let h = HouseholdSignals { household: "h".into(), members: vec![member("e", Facts { unemployed: true, ..Facts::default() })], failed_payouts: 3 };
        assert!(discover(&c, &h, today).is_some());
        assert!(discover(&strict, &h, today).is_none());
    }
}
