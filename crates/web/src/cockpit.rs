//! The cockpit's figures (数字驾驶舱): one snapshot of the district and every town, computed with
//! a few SQL aggregates (`store::cockpit_*`) and the areas' figures use cases (medical insurance,
//! welfare, the elderly safety guardian), and kept in memory. A request older than `max_age`
//! is answered from the snapshot it finds while one refresh runs in the background, so the page
//! stays fast however many cases there are; only the very first request waits.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use chrono::{DateTime, Datelike, Utc};
use onething::reduction::{Figures, Percentages};
use server::AppState;
use store::StoreError;

/// Satisfaction of one department.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DeptSat {
    pub ratings: i64,
    pub satisfied: i64,
    pub bad: i64,
    pub score_sum: i64,
}

impl DeptSat {
    pub fn average(&self) -> Option<f64> {
        (self.ratings > 0).then(|| self.score_sum as f64 / self.ratings as f64)
    }
    fn add(&mut self, o: &DeptSat) {
        self.ratings += o.ratings;
        self.satisfied += o.satisfied;
        self.bad += o.bad;
        self.score_sum += o.score_sum;
    }
}

/// The figures of the district or of one town.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Area {
    pub code: String,
    pub name: String,
    pub by_status: BTreeMap<String, i64>,
    pub applications: i64,
    /// Completed bundle applications measured for reductions.
    pub measured: i64,
    pub baseline: Figures,
    pub actual: Figures,
    pub cases_finished: i64,
    pub cases_on_time: i64,
    pub cases_open: i64,
    pub cases_overdue: i64,
    pub satisfaction: BTreeMap<String, DeptSat>,
    pub notices: BTreeMap<String, i64>,
    pub rectifications: BTreeMap<String, i64>,
    /// Applications per month, oldest first, aligned with `Snapshot::months`.
    pub monthly: Vec<i64>,
}

impl Area {
    pub fn on_time_rate(&self) -> Option<f64> {
        (self.cases_finished > 0).then(|| self.cases_on_time as f64 / self.cases_finished as f64)
    }
    pub fn reductions(&self) -> Percentages {
        Percentages::of(self.baseline, self.actual)
    }
    pub fn ratings(&self) -> DeptSat {
        let mut s = DeptSat::default();
        for d in self.satisfaction.values() {
            s.add(d);
        }
        s
    }
    fn add(&mut self, o: &Area) {
        for (k, v) in &o.by_status {
            *self.by_status.entry(k.clone()).or_default() += v;
        }
        self.applications += o.applications;
        self.measured += o.measured;
        self.baseline.add(o.baseline);
        self.actual.add(o.actual);
        self.cases_finished += o.cases_finished;
        self.cases_on_time += o.cases_on_time;
        self.cases_open += o.cases_open;
        self.cases_overdue += o.cases_overdue;
        for (k, v) in &o.satisfaction {
            self.satisfaction.entry(k.clone()).or_default().add(v);
        }
        for (k, v) in &o.notices {
            *self.notices.entry(k.clone()).or_default() += v;
        }
        for (k, v) in &o.rectifications {
            *self.rectifications.entry(k.clone()).or_default() += v;
        }
        if self.monthly.len() < o.monthly.len() {
            self.monthly.resize(o.monthly.len(), 0);
        }
        for (i, v) in o.monthly.iter().enumerate() {
            self.monthly[i] += v;
        }
    }
}

/// The district and every town at one moment.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    pub at: DateTime<Utc>,
    /// How long computing it took.
    pub took: Duration,
    /// The last twelve months, `YYYY-MM`, oldest first.
    pub months: Vec<String>,
    pub district: Area,
    /// Towns (and `""` for applications of unknown place, which only the district counts).
    pub towns: Vec<Area>,
    /// Shared records by type (数据同池).
    pub shared_records: Vec<(String, i64)>,
    /// Reads of shared data by reading organisation (数据共享调用), from the access log.
    pub data_reads: Vec<store::OrgReads>,
    /// Mutual recognition of results (医检互认) per institution.
    pub recognition: Vec<store::InstitutionFigures>,
    /// Clinicians' health-record look-ups (B4).
    pub health_lookups: i64,
    /// Medical insurance (B5): cost per stay, length of stay, the scheme's hospitals, the latest
    /// settlement.
    pub medins: server::areas::medins::figures::CockpitFigures,
    /// Welfare (C2, C3): beneficiaries and money per benefit, the proactive share, the elders'
    /// indicator (`None` when the figures could not be read).
    pub welfare: Option<server::areas::welfare::views::WelfareFiguresView>,
    /// The elderly safety guardian (C1): elders guarded, devices online, this month's alarms and
    /// their closed loop, coverage, per town (`None` when the figures could not be read).
    pub guardian: Option<server::areas::guardian::figures::CockpitFigures>,
    /// Community governance (F1–F4): issues settled per town and month, time to settle,
    /// escalations, fund spending, projects on time (`None` when the figures could not be read).
    pub governance: Option<server::areas::governance::views::FiguresView>,
}

impl Snapshot {
    pub fn town(&self, code: &str) -> Option<&Area> {
        self.towns.iter().find(|t| t.code == code)
    }
}

fn u(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

fn last_months(now: DateTime<Utc>, n: u32) -> Vec<String> {
    let d = domain::china_date(now);
    let (mut y, mut m) = (d.year(), d.month());
    let mut out = Vec::new();
    for _ in 0..n {
        out.push(format!("{y:04}-{m:02}"));
        if m == 1 {
            y -= 1;
            m = 12;
        } else {
            m -= 1;
        }
    }
    out.reverse();
    out
}

/// Computes a snapshot now.
pub async fn compute(state: &AppState) -> Result<Snapshot, StoreError> {
    let started = Instant::now();
    let now = state.now();
    let store = &state.store;
    let months = last_months(now, 12);
    let since = months.first().cloned().unwrap_or_default();
    let (apps, cases, sat, notices, rects, monthly, divisions, shared, reads, recognition, health_lookups) = tokio::try_join!(
        store.cockpit().cockpit_applications(),
        store.cockpit().cockpit_cases(),
        store.cockpit().cockpit_satisfaction(),
        store.cockpit().cockpit_notices(),
        store.cockpit().cockpit_rectifications(),
        store.cockpit().cockpit_months(&since),
        store.registers().divisions(None),
        store.cockpit().cockpit_shared_records(),
        store.cockpit().cockpit_data_reads(),
        store.fhir().recognition_figures(),
        store.fhir().health_lookups(),
    )?;
    let mut towns: BTreeMap<String, Area> = BTreeMap::new();
    for d in divisions.iter().filter(|d| d.code.len() == 9) {
        towns.insert(d.code.clone(), Area { code: d.code.clone(), name: d.name.clone(), monthly: vec![0; months.len()], ..Area::default() });
    }
    let n = months.len();
    fn slot<'a>(towns: &'a mut BTreeMap<String, Area>, code: &str, n: usize) -> &'a mut Area {
        towns.entry(code.to_owned()).or_insert_with(|| Area { code: code.to_owned(), monthly: vec![0; n], ..Area::default() })
    }
    for a in &apps {
        let t = slot(&mut towns, &a.town, n);
        *t.by_status.entry(a.status.clone()).or_default() += a.applications;
        t.applications += a.applications;
        if a.status == "completed" {
            t.measured += a.bundles;
            t.baseline.add(Figures { materials: u(a.baseline_materials), trips: u(a.baseline_trips), days: u(a.baseline_days) });
            t.actual.add(Figures { materials: u(a.uploaded_materials), trips: u(a.trips), days: u(a.elapsed_days) });
        }
    }
    for c in &cases {
        let t = slot(&mut towns, &c.town, n);
        t.cases_finished += c.finished;
        t.cases_on_time += c.on_time;
        t.cases_open += c.open;
        t.cases_overdue += c.open_overdue;
    }
    for s in &sat {
        slot(&mut towns, &s.town, n).satisfaction.entry(s.department.clone()).or_default().add(&DeptSat {
            ratings: s.ratings,
            satisfied: s.satisfied,
            bad: s.bad,
            score_sum: s.score_sum,
        });
    }
    for x in &notices {
        *slot(&mut towns, &x.town, n).notices.entry(x.key.clone()).or_default() += x.n;
    }
    for r in &rects {
        *slot(&mut towns, &r.town, n).rectifications.entry(r.key.clone()).or_default() += r.n;
    }
    for m in &monthly {
        if let Some(i) = months.iter().position(|x| *x == m.key) {
            slot(&mut towns, &m.town, n).monthly[i] += m.n;
        }
    }
    // Aggregates of the episodes only; a failure there leaves the section empty, not the cockpit.
    let medins = server::areas::medins::figures::cockpit(state, 12).await.unwrap_or_else(|e| {
        tracing::warn!(error = %e.body().message_en, "the cockpit's medical-insurance figures");
        Default::default()
    });
    let welfare = match server::areas::welfare::cases::figures_of(state).await {
        Ok(f) => Some(f),
        Err(e) => {
            tracing::warn!(error = %e.body().message_en, "the cockpit's welfare figures");
            None
        }
    };
    let guardian = match server::areas::guardian::figures::cockpit(state).await {
        Ok(f) => Some(f),
        Err(e) => {
            tracing::warn!(error = %e.body().message_en, "the cockpit's guardian figures");
            None
        }
    };
    let governance = match server::areas::governance::civic::figures(state).await {
        Ok(f) => Some(f),
        Err(e) => {
            tracing::warn!(error = %e.body().message_en, "the cockpit's governance figures");
            None
        }
    };
    let mut district = Area { code: String::new(), name: String::new(), monthly: vec![0; months.len()], ..Area::default() };
    for t in towns.values() {
        district.add(t);
    }
    Ok(Snapshot { at: now, took: started.elapsed(), months, district, towns: towns.into_values().collect(),
        shared_records: shared,
        data_reads: reads,
        recognition,
        health_lookups,
        medins,
        welfare,
        guardian,
        governance,
    })
}

/// The snapshot in memory and its refresh.
pub struct Cache {
    max_age: Duration,
    current: RwLock<Option<(Instant, Arc<Snapshot>)>>,
    refreshing: Arc<AtomicBool>,
    first: tokio::sync::Mutex<()>,
}

impl Cache {
    pub fn new(max_age: Duration) -> Cache {
        Cache { max_age, current: RwLock::new(None), refreshing: Arc::new(AtomicBool::new(false)), first: tokio::sync::Mutex::new(()) }
    }

    fn read(&self) -> Option<(Instant, Arc<Snapshot>)> {
        match self.current.read() {
            Ok(g) => g.clone(),
            Err(p) => p.into_inner().clone(),
        }
    }

    fn store(&self, s: Arc<Snapshot>) {
        let mut g = match self.current.write() {
            Ok(g) => g,
            Err(p) => p.into_inner(),
        };
        *g = Some((Instant::now(), s));
    }

    /// The snapshot to show: the current one if young enough; a stale one while a background
    /// refresh runs; a new one if there is none (or `max_age` is zero).
    pub async fn get(self: &Arc<Self>, state: &AppState) -> Result<Arc<Snapshot>, StoreError> {
        if let Some((t, s)) = self.read() {
            if t.elapsed() < self.max_age {
                return Ok(s);
            }
            if !self.max_age.is_zero() {
                if !self.refreshing.swap(true, Ordering::AcqRel) {
                    let me = self.clone();
                    let state = state.clone();
                    tokio::spawn(async move {
                        match compute(&state).await {
                            Ok(s) => me.store(Arc::new(s)),
                            Err(e) => tracing::warn!(error = %e, "cockpit snapshot refresh failed"),
                        }
                        me.refreshing.store(false, Ordering::Release);
                    });
                }
                return Ok(s);
            }
        }
        let _first = self.first.lock().await;
        if !self.max_age.is_zero()
            && let Some((t, s)) = self.read()
            && t.elapsed() < self.max_age
        {
            return Ok(s);
        }
        let s = Arc::new(compute(state).await?);
        self.store(s.clone());
        Ok(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn twelve_months_end_with_this_one() {
        let now = chrono::TimeZone::with_ymd_and_hms(&Utc, 2026, 2, 10, 0, 0, 0).single().expect("time");
        let m = last_months(now, 12);
        assert_eq!(m.len(), 12);
        assert_eq!(m.first().map(String::as_str), Some("2025-03"));
        assert_eq!(m.last().map(String::as_str), Some("2026-02"));
    }

    #[test]
    fn areas_add_up() {
        let mut a = Area { monthly: vec![1, 2], cases_finished: 4, cases_on_time: 3, ..Area::default() };
        a.satisfaction.insert("ga".into(), DeptSat { ratings: 2, satisfied: 1, bad: 1, score_sum: 6 });
        let mut d = Area::default();
        d.add(&a);
        d.add(&a);
        assert_eq!(d.monthly, vec![2, 4]);
        assert_eq!(d.on_time_rate(), Some(0.75));
        assert_eq!(d.ratings().ratings, 4);
        assert_eq!(d.satisfaction["ga"].average(), Some(3.0));
    }
}
