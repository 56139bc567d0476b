//! The 15-minute circles' use cases: start an analysis in the background with progress, keep the
//! last few runs and the latest one on disk, and give its areas, maps and files to staff. No HTTP
//! here.

use std::path::Path;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::MutexGuard;
use std::sync::OnceLock;
use catalog::Catalog;
use catalog::Role;
use chrono::DateTime;
use chrono::Utc;
use circles::progress::Progress;
use circles::progress::RecordingProgress;
use circles::service_network;
use circles::service_network::CentreRecord;
use circles::service_network::ItemLevels;
use circles::service_network::ServiceNetworkReport;
use circles::Analysis;
use circles::AnalysisInputs;
use circles::AnalysisOptions;
use circles::AreaSource;
use circles::Graph;
use circles::Norms;
use circles::PopulationInput;
use serde::Deserialize;
use serde::Serialize;
use serde_json::Value;
use crate::auth::Principal;
use crate::config::CirclesConfig;
use crate::failure::Failure;
use crate::failure::Fallible;
use crate::http_error::ErrorBody;
use crate::state::AppState;
use super::views::*;

/// Analyses kept in memory (running or finished); older finished ones are dropped first.
pub(crate) const KEEP: usize = 4;

// ---------------------------------------------------------------------------------------------
// The registry of analyses.

/// The analyses of this process: the one running, and the last few finished.
#[derive(Default)]
pub struct Registry {
    pub(crate) inner: Mutex<Runs>,
}

#[derive(Default)]
pub(crate) struct Runs {
    pub(crate) running: Option<String>,
    /// Oldest first.
    pub(crate) runs: Vec<Arc<Run>>,
}

/// One analysis, running or finished.
pub struct Run {
    pub id: String,
    pub started_at: DateTime<Utc>,
    pub requested_by: String,
    pub(crate) inputs: InputsView,
    pub(crate) progress: RecordingProgress,
    pub(crate) outcome: OnceLock<Outcome>,
}

pub(crate) enum Outcome {
    Done { finished_at: DateTime<Utc>, result: Arc<Finished>, persisted: bool },
    Failed { finished_at: DateTime<Utc>, error: ErrorBody },
}

/// A finished analysis with what it needs for later questions, and its outputs ready to serve.
pub(crate) struct Finished {
    pub(crate) graph: Graph,
    pub(crate) analysis: Analysis,
    pub(crate) summary: Value,
    pub(crate) centres: Vec<CentreRecord>,
    pub(crate) items: Vec<ItemLevels>,
    pub(crate) max_snap_m: f64,
    /// The graph's spatial index, made the first time another area asks for a way through the
    /// streets (`streets::ways`).
    pub(crate) snapper: OnceLock<circles::snap::Snapper>,
    pub(crate) network: Option<ServiceNetworkReport>,
    pub(crate) areas_json: String,
    pub(crate) areas_geojson: String,
    pub(crate) facilities_geojson: String,
    pub(crate) areas_csv: String,
    pub(crate) map_svg: String,
}

impl Registry {
    pub(crate) fn lock(&self) -> MutexGuard<'_, Runs> {
        crate::locked(&self.inner)
    }

    /// Registers a new run, or says which one is still running.
    pub(crate) fn begin(&self, run: Run) -> Result<Arc<Run>, String> {
        let mut g = self.lock();
        if let Some(id) = &g.running {
            return Err(id.clone());
        }
        let run = Arc::new(run);
        g.running = Some(run.id.clone());
        g.runs.push(run.clone());
        while g.runs.len() > KEEP {
            match g.runs.iter().position(|r| r.outcome.get().is_some()) {
                Some(i) => {
                    g.runs.remove(i);
                }
                None => break,
            }
        }
        Ok(run)
    }

    pub(crate) fn end(&self, run: &Run, outcome: Outcome) {
        let _ = run.outcome.set(outcome);
        let mut g = self.lock();
        if g.running.as_deref() == Some(run.id.as_str()) {
            g.running = None;
        }
    }

    pub(crate) fn get(&self, id: &str) -> Option<Arc<Run>> {
        self.lock().runs.iter().find(|r| r.id == id).cloned()
    }

    /// The newest finished analysis in memory.
    pub(crate) fn latest_done(&self) -> Option<Arc<Run>> {
        self.lock().runs.iter().rev().find(|r| matches!(r.outcome.get(), Some(Outcome::Done { .. }))).cloned()
    }
}

pub(crate) fn network_brief(r: &ServiceNetworkReport) -> Value {
    let mut v = serde_json::to_value(r).unwrap_or(Value::Null);
    if let Some(o) = v.as_object_mut() {
        o.remove("areas");
    }
    v
}

pub(crate) fn view(run: &Run) -> AnalysisView {
    let p = run.progress.snapshot();
    let mut v = AnalysisView {
        id: run.id.clone(),
        status: "running".into(),
        started_at: run.started_at,
        finished_at: None,
        requested_by: run.requested_by.clone(),
        inputs: run.inputs.clone(),
        progress: ProgressView { stage: p.stage, done: p.done, total: p.total, stages: p.stages },
        summary: None,
        service_network: None,
        error: None,
        links: LinksView::of(&run.id),
        saved: false,
    };
    match run.outcome.get() {
        None => {}
        Some(Outcome::Done { finished_at, result, persisted }) => {
            v.status = "done".into();
            v.finished_at = Some(*finished_at);
            v.summary = Some(result.summary.clone());
            v.service_network = result.network.as_ref().map(network_brief);
            v.saved = *persisted;
        }
        Some(Outcome::Failed { finished_at, error }) => {
            v.status = "failed".into();
            v.finished_at = Some(*finished_at);
            v.error = Some(error.clone());
        }
    }
    v
}

pub(crate) fn staff(p: &Principal) -> Fallible<()> {
    p.require_any(&[Role::Admin, Role::Supervisor])
}

/// A configured path as users see it: the file name, never the server's directories.
pub(crate) fn show(p: &Path) -> String {
    super::samples::shown(p)
}

/// The configuration with each input found where it is (see `samples::resolve`).
pub(crate) fn resolved(cfg: &CirclesConfig, data_dir: &Path) -> CirclesConfig {
    let r = |p: &Path| super::samples::resolve(p, data_dir);
    CirclesConfig {
        osm: r(&cfg.osm),
        population: cfg.population.as_deref().map(r),
        facilities: cfg.facilities.iter().map(|p| r(p)).collect(),
        areas: cfg.areas.as_deref().map(r),
        centres: cfg.centres.as_deref().map(r),
        norms: cfg.norms.as_deref().map(r),
        ..cfg.clone()
    }
}

pub(crate) fn load_norms(cfg: &CirclesConfig) -> circles::Result<Norms> {
    match &cfg.norms {
        Some(p) => Norms::from_path(p),
        None => Ok(Norms::default()),
    }
}

/// The district's register of childcare institutions (the places area's, open ones, their
/// licensed places as capacity) written where an analysis reads it, so that the circles' map
/// counts the same institutions as the places figures; `None` when none is registered.
async fn childcare_register(state: &AppState) -> Fallible<Option<PathBuf>> {
    let open: Vec<places::childcare::Institution> = crate::areas::places::cases::all_institutions(state).await?.into_iter().filter(|i| i.status == places::childcare::InstitutionStatus::Open).collect();
    if open.is_empty() {
        return Ok(None);
    }
    let mut csv = String::from("category,name,capacity,lon,lat\n");
    for i in &open {
        let name = i.name.replace([',', '"', '\n', '\r'], " ");
        csv.push_str(&format!("childcare,{name},{},{},{}\n", i.licensed_places(), i.lon, i.lat));
    }
    let dir = state.config.data_dir.join("circles");
    let path = dir.join("childcare-register.csv");
    let write = {
        let path = path.clone();
        move || -> std::io::Result<()> {
            std::fs::create_dir_all(&dir)?;
            let tmp = dir.join("childcare-register.csv.tmp");
            std::fs::write(&tmp, csv)?;
            std::fs::rename(&tmp, &path)
        }
    };
    tokio::task::spawn_blocking(write).await.map_err(|e| Failure::internal(std::io::Error::other(e.to_string())))?.map_err(Failure::internal)?;
    Ok(Some(path))
}

pub(crate) fn new_id() -> String {
    use rand::RngCore;
    format!("{:016x}", rand::rng().next_u64())
}

/// Runs one analysis on the current thread: centres and catalog first (a bad file fails fast),
/// then the engine, the service network, the outputs, and saving them.
pub(crate) fn execute(
    cfg: &CirclesConfig,
    options: &AnalysisOptions,
    catalog: &Catalog,
    run: &Run,
    data_dir: &Path,
    register: Option<PathBuf>,
) -> Result<(Finished, bool), ErrorBody> {
    let cfg = &resolved(cfg, data_dir);
    let fail = |e: circles::Error| describe(&e, cfg);
    let norms = load_norms(cfg).map_err(fail)?;
    let centres = match &cfg.centres {
        Some(p) => service_network::load_centres(p).map_err(fail)?,
        None => Vec::new(),
    };
    let items = service_network::personal_items(catalog);
    let inputs = AnalysisInputs {
        osm: cfg.osm.clone(),
        facilities: cfg.facilities.clone(),
        osm_facilities: cfg.osm_facilities,
        population: cfg.population.clone().map_or(PopulationInput::Buildings, PopulationInput::File),
        facility_columns: cfg.facility_columns.clone(),
        areas: cfg.areas.clone().map_or(AreaSource::H3 { resolution: None }, AreaSource::GeoJson),
        registers: register.into_iter().collect(),
    };
    let progress: &dyn Progress = &run.progress;
    let (graph, analysis) = circles::analysis::analyse(&inputs, options, &norms, progress).map_err(fail)?;
    let network = if cfg.centres.is_some() {
        progress.start("service network", 0);
        let r = service_network::report(
            &graph,
            &analysis,
            &centres,
            &items,
            f64::from(cfg.service_minutes),
            cfg.service_target,
            norms.walking.max_snap_m,
        )
        .map_err(fail)?;
        progress.finish();
        Some(r)
    } else {
        None
    };
    progress.start("outputs", 0);
    let to_string = |v: &Value| serde_json::to_string(v).unwrap_or_default();
    let finished = Finished {
        summary: serde_json::to_value(analysis.summary()).unwrap_or(Value::Null),
        areas_json: to_string(&analysis.areas_json()),
        areas_geojson: {
            let mut out = Vec::new();
            // Into memory: cannot fail.
            let _ = analysis.write_geojson(&mut out);
            String::from_utf8(out).unwrap_or_default()
        },
        facilities_geojson: to_string(&analysis.facilities_geojson()),
        areas_csv: analysis.to_csv(),
        map_svg: circles::output::to_svg(&analysis, &graph, None).map_err(fail)?,
        graph,
        analysis,
        centres,
        items,
        max_snap_m: norms.walking.max_snap_m,
        snapper: OnceLock::new(),
        network,
    };
    progress.finish();
    progress.start("save results", 0);
    let saved = match save(&finished, run, data_dir) {
        Ok(()) => true,
        Err(e) => {
            tracing::error!(error = %e, dir = %data_dir.display(), "could not save the circles analysis");
            false
        }
    };
    progress.finish();
    Ok((finished, saved))
}

/// The setting that named `path`, for error messages.
pub(crate) fn setting_of(cfg: &CirclesConfig, path: &Path) -> Option<String> {
    let is = |p: &Option<PathBuf>| p.as_deref() == Some(path);
    if cfg.osm == path {
        Some("circles.osm".into())
    } else if is(&cfg.population) {
        Some("circles.population".into())
    } else if is(&cfg.areas) {
        Some("circles.areas".into())
    } else if is(&cfg.centres) {
        Some("circles.centres".into())
    } else if is(&cfg.norms) {
        Some("circles.norms".into())
    } else {
        cfg.facilities.iter().position(|p| p == path).map(|i| format!("circles.facilities[{i}]"))
    }
}

/// "line 12" → "第 12 行", "feature 3" → "第 3 个要素"; anything else as it is.
pub(crate) fn record_zh(record: &str) -> String {
    match record.split_once(' ') {
        Some(("line", n)) => format!("第 {n} 行"),
        Some(("feature", n)) => format!("第 {n} 个要素"),
        _ => record.to_owned(),
    }
}

/// An engine error as an error body, in Chinese and English, naming the setting at fault and
/// the file by its name only: never the server's directories (issue 37).
pub(crate) fn describe(e: &circles::Error, cfg: &CirclesConfig) -> ErrorBody {
    use circles::Error as E;
    // "the file of circles.osm (x.osm.pbf)" when the setting is known, else the file's name.
    let file = |path: &Path| match setting_of(cfg, path) {
        Some(s) => (format!("{s} 指定的文件 {}", show(path)), format!("the file of {s} ({})", show(path))),
        None => (format!("文件 {}", show(path)), format!("the file {}", show(path))),
    };
    let (code, zh, en, field) = match e {
        E::Io { path, source } => {
            let (fz, fe) = file(path);
            ("input_unreadable", format!("无法读取{fz}：{}", io_reason_zh(source)), format!("cannot read {fe}: {}", io_reason_en(source)), setting_of(cfg, path))
        }
        E::Parse { path, record, field, message } => {
            let (fz, fe) = file(path);
            (
                "input_invalid",
                format!("{fz} {}的字段「{field}」有误：{message}", record_zh(record)),
                format!("{fe}, {record}, field `{field}`: {message}"),
                setting_of(cfg, path),
            )
        }
        E::Pbf { path, message } => {
            let (fz, fe) = file(path);
            ("osm_unreadable", format!("{fz} 不是可读的 OpenStreetMap PBF 文件：{message}"), format!("{fe} is not a readable OpenStreetMap PBF file: {message}"), setting_of(cfg, path))
        }
        E::Empty { what, message } => {
            let name = show(Path::new(what));
            ("input_empty", format!("{name} 中没有可用的数据：{message}"), format!("no usable data in {name}: {message}"), setting_of(cfg, Path::new(what)))
        }
        E::Config { field, message } => ("norms_invalid", format!("参数「{field}」有误：{message}"), format!("setting `{field}`: {message}"), Some(field.clone())),
        E::NotFound { what, key } => {
            let what_zh = match *what {
                "category" => "设施类别",
                "profile" => "步行方式",
                _ => "项目",
            };
            ("unknown_key", format!("找不到{what_zh}「{key}」"), format!("no {what} `{key}`"), Some("circles.profile".into()).filter(|_| *what == "profile"))
        }
    };
    ErrorBody { code: code.into(), message: format!("分析失败：{zh}"), message_en: format!("The analysis failed: {en}"), field }
}

/// Why a file could not be read, without its path.
fn io_reason_zh(e: &std::io::Error) -> &'static str {
    match e.kind() {
        std::io::ErrorKind::NotFound => "文件不存在",
        std::io::ErrorKind::PermissionDenied => "没有读取权限",
        _ => "读取出错",
    }
}

fn io_reason_en(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file".to_owned(),
        std::io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        k => format!("{k}"),
    }
}

// ---------------------------------------------------------------------------------------------
// Saving and reading back the newest result.

/// What is saved beside the outputs, to serve them again after a restart.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Saved {
    pub(crate) view: AnalysisView,
    /// The service-network parameters of `service-network.json`.
    pub(crate) service_minutes: f64,
    pub(crate) service_target: f64,
}

pub(crate) fn latest_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("latest")
}

/// Writes every output into a fresh directory, then swaps it in for `latest`.
pub(crate) fn save(f: &Finished, run: &Run, data_dir: &Path) -> std::io::Result<()> {
    let tmp = data_dir.join(format!(".{}.tmp", run.id));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp)?;
    f.analysis.write_dir(&f.graph, &tmp).map_err(std::io::Error::other)?;
    std::fs::write(tmp.join("areas.json"), &f.areas_json)?;
    std::fs::write(tmp.join("areas.geojson"), &f.areas_geojson)?;
    if let Some(n) = &f.network {
        std::fs::write(tmp.join("service-network.json"), serde_json::to_vec(n).map_err(std::io::Error::other)?)?;
    }
    let mut v = view(run);
    v.status = "done".into();
    v.saved = true;
    v.summary = Some(f.summary.clone());
    v.service_network = f.network.as_ref().map(network_brief);
    let saved = Saved {
        view: v,
        service_minutes: f.network.as_ref().map_or(0.0, |n| n.minutes),
        service_target: f.network.as_ref().map_or(0.0, |n| n.target),
    };
    std::fs::write(tmp.join("analysis.json"), serde_json::to_vec_pretty(&saved).map_err(std::io::Error::other)?)?;
    let latest = latest_dir(data_dir);
    let old = data_dir.join(".previous");
    let _ = std::fs::remove_dir_all(&old);
    if latest.exists() {
        std::fs::rename(&latest, &old)?;
    }
    std::fs::rename(&tmp, &latest)?;
    let _ = std::fs::remove_dir_all(&old);
    Ok(())
}

pub(crate) fn read_saved(state: &AppState) -> Option<Saved> {
    let dir = latest_dir(&state.config.data_dir.join("circles"));
    let bytes = std::fs::read(dir.join("analysis.json")).ok()?;
    match serde_json::from_slice::<Saved>(&bytes) {
        Ok(mut s) => {
            // The time it finished is when it was saved, or close enough.
            s.view.finished_at = s.view.finished_at.or(Some(s.view.started_at));
            Some(s)
        }
        Err(e) => {
            tracing::warn!(error = %e, "the saved circles analysis is unreadable");
            None
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Reading results.

pub(crate) fn not_found() -> Failure {
    Failure::not_found(
        "没有这项服务圈分析（可能已被更新的分析替换）",
        "No such service-circle analysis (it may have been replaced by newer ones)",
    )
}

/// A finished analysis: in memory, or the newest one read back from the data directory.
pub(crate) enum Source {
    Memory(Arc<Finished>),
    Disk(Box<Saved>),
}

pub(crate) fn finished(state: &AppState, id: &str) -> Fallible<Source> {
    if let Some(run) = state.circles.get(id) {
        return match run.outcome.get() {
            Some(Outcome::Done { result, .. }) => Ok(Source::Memory(result.clone())),
            Some(Outcome::Failed { error, .. }) => Err(Failure::Conflict {
                code: "analysis_failed",
                zh: error.message.clone(),
                en: error.message_en.clone(),
                field: error.field.clone(),
            }),
            None => Err(Failure::Conflict {
                code: "analysis_running",
                zh: "分析尚未完成，请稍后再取结果".into(),
                en: "The analysis has not finished yet; fetch its results when it has".into(),
                field: None,
            }),
        };
    }
    match read_saved(state) {
        Some(s) if s.view.id == id => Ok(Source::Disk(Box::new(s))),
        _ => Err(not_found()),
    }
}

pub(crate) fn saved_file(state: &AppState, name: &str) -> Fallible<Vec<u8>> {
    let p = latest_dir(&state.config.data_dir.join("circles")).join(name);
    std::fs::read(&p).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => not_found(),
        _ => Failure::internal(e),
    })
}

/// The latest finished analysis (the use case behind `GET /api/circles/latest` and the cockpit's
/// map); the caller has checked the role.
/// Whether the configured street network is the shipped sample city, not the district's.
pub fn configured_sample(state: &AppState) -> bool {
    super::samples::is_sample(&state.config.circles.osm)
}

pub fn latest_view(state: &AppState) -> Fallible<AnalysisView> {
    if let Some(run) = state.circles.latest_done() {
        return Ok(view(&run));
    }
    read_saved(state).map(|s| s.view).ok_or_else(|| Failure::not_found("还没有完成的服务圈分析", "No service-circle analysis has finished yet"))
}

/// An analysis: status, progress (stage, done/total) and, when done, its summary.
pub async fn status(state: &AppState, p: &Principal, id: String) -> Fallible<AnalysisView> {
    staff(&p)?;
    if let Some(run) = state.circles.get(&id) {
        return Ok(view(&run));
    }
    match read_saved(&state) {
        Some(s) if s.view.id == id => Ok(s.view),
        _ => Err(not_found()),
    }
}

/// Starts an analysis in the background (one at a time) with the configured inputs and the
/// request's walking profile and categories; its progress is at its link.
pub async fn start(state: &AppState, p: &Principal, req: StartRequest) -> Fallible<StartedView> {
    staff(p)?;
    let cfg = state.config.circles.clone();
    let profile = req.profile.unwrap_or_else(|| cfg.profile.clone());
    let categories = req.categories.unwrap_or_default();
    if cfg.norms.is_none() {
        let norms = Norms::default();
        if norms.profile(&profile).is_err() {
            return Err(Failure::invalid(
                "unknown_profile",
                "profile",
                format!("没有步行方式「{profile}」，可选 default、elderly"),
                format!("No walking profile {profile:?}; use default or elderly"),
            ));
        }
        if let Some((i, k)) = categories.iter().enumerate().find(|(_, k)| norms.category_index(k).is_none()) {
            let keys: Vec<&str> = norms.categories.iter().map(|c| c.key.as_str()).collect();
            return Err(Failure::invalid(
                "unknown_category",
                &format!("categories[{i}]"),
                format!("没有设施类别「{k}」，可选：{}", keys.join("、")),
                format!("No facility category {k:?}; known: {}", keys.join(", ")),
            ));
        }
    }
    let id = new_id();
    let register = childcare_register(state).await?;
    let inputs = InputsView {
        osm: show(&cfg.osm),
        population: cfg.population.as_deref().map(show),
        facilities: cfg.facilities.iter().map(|p| show(p)).collect(),
        facility_columns: cfg.facility_columns.iter().map(|(c, k)| format!("{c}={k}")).collect(),
        osm_facilities: cfg.osm_facilities,
        areas: cfg.areas.as_deref().map(show),
        centres: cfg.centres.as_deref().map(show),
        sample: super::samples::is_sample(&cfg.osm),
        registers: register.iter().map(|p| show(p)).collect(),
        profile: profile.clone(),
        categories: categories.clone(),
    };
    let run = Run {
        id: id.clone(),
        started_at: state.now(),
        requested_by: p.account.login.clone(),
        inputs,
        progress: RecordingProgress::default(),
        outcome: OnceLock::new(),
    };
    let run = state.circles.begin(run).map_err(|running| Failure::Conflict {
        code: "analysis_running",
        zh: format!("已有一项分析（{running}）正在运行，请等它完成后再开始"),
        en: format!("Analysis {running} is still running; start another when it has finished"),
        field: None,
    })?;
    let options = AnalysisOptions { profile, categories, include_empty_categories: false, keep_nearest: true };
    let catalog = state.parts.catalog.clone();
    let data_dir = state.config.data_dir.join("circles");
    let st = state.clone();
    tokio::spawn(async move {
        let job = run.clone();
        let result = tokio::task::spawn_blocking(move || execute(&cfg, &options, &catalog, &job, &data_dir, register)).await;
        let now = st.now();
        let outcome = match result {
            Ok(Ok((result, persisted))) => Outcome::Done { finished_at: now, result: Arc::new(result), persisted },
            Ok(Err(error)) => Outcome::Failed { finished_at: now, error },
            Err(join) => {
                tracing::error!(error = %join, id = %run.id, "a circles analysis panicked");
                Outcome::Failed { finished_at: now, error: Failure::internal(std::io::Error::other("the analysis stopped")).body() }
            }
        };
        st.circles.end(&run, outcome);
    });
    let links = LinksView::of(&id);
    Ok(StartedView { id, status: "running".into(), progress_url: links.this.clone(), links })
}

/// The files of a finished analysis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    /// The areas with every indicator, as a JSON array.
    Areas,
    /// The areas as a GeoJSON FeatureCollection.
    AreasGeojson,
    /// The facilities as GeoJSON points.
    FacilitiesGeojson,
    /// One row per area and category, as CSV.
    AreasCsv,
}

/// A file of a finished analysis (staff), from memory or, after a restart, from disk.
pub fn output(state: &AppState, p: &Principal, id: &str, which: Output) -> Fallible<Vec<u8>> {
    staff(p)?;
    let (field, file): (fn(&Finished) -> &String, &str) = match which {
        Output::Areas => (|f| &f.areas_json, "areas.json"),
        Output::AreasGeojson => (|f| &f.areas_geojson, "areas.geojson"),
        Output::FacilitiesGeojson => (|f| &f.facilities_geojson, "facilities.geojson"),
        Output::AreasCsv => (|f| &f.areas_csv, "areas.csv"),
    };
    Ok(match finished(state, id)? {
        Source::Memory(f) => field(&f).clone().into_bytes(),
        Source::Disk(_) => saved_file(state, file)?,
    })
}

/// The five-colour warning map of a finished analysis as SVG, for all categories or one.
pub async fn map_svg(state: &AppState, p: &Principal, id: &str, category: Option<String>) -> Fallible<Vec<u8>> {
    staff(p)?;
    let source = finished(state, id)?;
    let Some(category) = category.filter(|c| !c.is_empty()) else {
        return Ok(match source {
            Source::Memory(f) => f.map_svg.clone().into_bytes(),
            Source::Disk(_) => saved_file(state, "map.svg")?,
        });
    };
    let categories = match &source {
        Source::Memory(f) => serde_json::to_value(&f.analysis.categories).unwrap_or(Value::Null),
        Source::Disk(s) => s.view.summary.as_ref().map_or(Value::Null, |v| v["categories"].clone()),
    };
    let list = categories.as_array().cloned().unwrap_or_default();
    let Some(found) = list.iter().find(|c| c["key"] == category.as_str() || c["name_zh"] == category.as_str()) else {
        let keys: Vec<&str> = list.iter().filter_map(|c| c["key"].as_str()).collect();
        return Err(Failure::invalid(
            "unknown_category",
            "category",
            format!("没有设施类别「{category}」，可选：{}", keys.join("、")),
            format!("No facility category {category:?}; known: {}", keys.join(", ")),
        ));
    };
    let key = found["key"].as_str().unwrap_or_default().to_owned();
    if found["analysed"] != true {
        return Err(Failure::invalid(
            "category_not_analysed",
            "category",
            format!("设施类别「{key}」没有设施数据，未参与分析"),
            format!("Category {key:?} has no facilities and was not analysed"),
        ));
    }
    match source {
        Source::Memory(f) => {
            let svg = tokio::task::spawn_blocking(move || circles::output::to_svg(&f.analysis, &f.graph, Some(&key)))
                .await
                .map_err(Failure::internal)?
                .map_err(Failure::internal)?;
            Ok(svg.into_bytes())
        }
        Source::Disk(_) => Ok(saved_file(state, &format!("map-{key}.svg"))?),
    }
}

/// The "1+2+22+N" service network of a finished analysis as JSON, for a time limit and a target
/// share (the configured ones by default).
pub async fn service_network(state: &AppState, p: &Principal, id: &str, q: NetworkQuery) -> Fallible<Vec<u8>> {
    staff(p)?;
    if q.minutes.is_some_and(|m| !(1..=60).contains(&m)) {
        return Err(Failure::invalid("invalid_minutes", "minutes", "分钟数应在 1 到 60 之间", "minutes must be 1 to 60"));
    }
    if q.target_percent.is_some_and(|t| !(1..=100).contains(&t)) {
        return Err(Failure::invalid(
            "invalid_target",
            "target_percent",
            "目标比例应在 1 到 100（%）之间",
            "target_percent must be 1 to 100",
        ));
    }
    let no_centres = || Failure::Conflict {
        code: "no_service_centres",
        zh: "这项分析没有配置服务中心（[circles] centres），无法计算服务网络".into(),
        en: "This analysis had no service centres configured ([circles] centres)".into(),
        field: Some("circles.centres".into()),
    };
    let cfg = &state.config.circles;
    let minutes = f64::from(q.minutes.unwrap_or(cfg.service_minutes));
    let target = q.target_percent.map_or(cfg.service_target, |t| f64::from(t) / 100.0);
    let same = |r_minutes: f64, r_target: f64| (r_minutes - minutes).abs() < 1e-9 && (r_target - target).abs() < 1e-9;
    match finished(state, id)? {
        Source::Memory(f) => {
            let Some(cached) = &f.network else { return Err(no_centres()) };
            if same(cached.minutes, cached.target) {
                return serde_json::to_vec(cached).map_err(Failure::internal);
            }
            let r = tokio::task::spawn_blocking(move || {
                service_network::report(&f.graph, &f.analysis, &f.centres, &f.items, minutes, target, f.max_snap_m)
            })
            .await
            .map_err(Failure::internal)?
            .map_err(Failure::internal)?;
            serde_json::to_vec(&r).map_err(Failure::internal)
        }
        Source::Disk(s) => {
            if s.view.service_network.is_none() {
                return Err(no_centres());
            }
            if !same(s.service_minutes, s.service_target) {
                return Err(Failure::Conflict {
                    code: "analysis_not_in_memory",
                    zh: "这项分析是重启前保存的结果，只能按保存时的参数查看服务网络；请重新运行分析".into(),
                    en: "This analysis was saved before a restart; its service network is only available with the saved parameters. Run the analysis again".into(),
                    field: None,
                });
            }
            saved_file(state, "service-network.json")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn engine_errors_name_the_setting_in_both_languages() {
        let dir = tempfile::tempdir().expect("tempdir");
        let bad = dir.path().join("centres.csv");
        std::fs::write(&bad, "level,name,lon,lat\ntown,a,120,30\nprovince,b,120,30\n").expect("write");
        let mut cfg = crate::Config::defaults().circles;
        cfg.centres = Some(bad.clone());
        let e = service_network::load_centres(&bad).expect_err("a bad level");
        let body = describe(&e, &cfg);
        assert_eq!((body.code.as_str(), body.field.as_deref()), ("input_invalid", Some("circles.centres")));
        assert!(body.message.contains("第 3 行") && body.message.contains("「level」"), "{}", body.message);
        assert!(body.message_en.contains("line 3") && body.message_en.contains("province"), "{}", body.message_en);

        cfg.facilities = vec![PathBuf::from("a.csv"), PathBuf::from("b.csv")];
        assert_eq!(setting_of(&cfg, Path::new("b.csv")).as_deref(), Some("circles.facilities[1]"));
        assert_eq!(setting_of(&cfg, &cfg.osm.clone()).as_deref(), Some("circles.osm"));
        assert_eq!(record_zh("feature 4"), "第 4 个要素");
    }
}
