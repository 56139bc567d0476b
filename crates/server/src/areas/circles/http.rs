//! The 15-minute circles' HTTP handlers under `/api/circles`: start, status, latest, areas as
//! JSON, GeoJSON and CSV, the SVG map and the service network. The area's routes are registered
//! here.

use std::sync::Arc;
use std::sync::OnceLock;
use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::Path as UrlPath;
use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::http::header::LOCATION;
use axum::http::HeaderValue;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::response::Response;
use axum::routing::get;
use axum::routing::post;
use circles::progress::RecordingProgress;
use circles::service_network;
use circles::AnalysisOptions;
use circles::Norms;
use serde_json::Value;
use crate::json::ApiQuery;
use crate::auth::Principal;
use crate::failure::Failure;
use crate::failure::Fallible;
use crate::http_error::ErrorBody;
use crate::state::AppState;
use super::cases::*;
use super::views::*;

/// The routes, to be nested under `/api`.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/circles/analyses", post(start))
        .route("/circles/latest", get(latest))
        .route("/circles/analyses/{id}", get(status))
        .route("/circles/analyses/{id}/areas", get(areas))
        .route("/circles/analyses/{id}/areas.geojson", get(areas_geojson))
        .route("/circles/analyses/{id}/facilities.geojson", get(facilities_geojson))
        .route("/circles/analyses/{id}/areas.csv", get(areas_csv))
        .route("/circles/analyses/{id}/map.svg", get(map_svg))
        .route("/circles/analyses/{id}/service-network", get(service_network))
}

/// Starts an analysis of the district's configured data in the background (one at a time).
#[utoipa::path(post, path = "/api/circles/analyses", tag = "circles", request_body(content = Option<StartRequest>),
    responses((status = 202, body = StartedView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn start(State(state): State<AppState>, p: Principal, body: Result<Bytes, axum::extract::rejection::BytesRejection>) -> Fallible<Response> {
    staff(&p)?;
    let body = body.map_err(|e| crate::json::body_error(&e, state.config.json_body_bytes))?;
    // No body, `null` and `{}` all mean "as configured" (white space alone is not JSON).
    let req: StartRequest = if body.is_empty() {
        StartRequest::default()
    } else {
        crate::json::parse::<Option<StartRequest>>(&body)?.unwrap_or_default()
    };
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
    let inputs = InputsView {
        osm: show(&cfg.osm),
        population: cfg.population.as_deref().map(show),
        facilities: cfg.facilities.iter().map(|p| show(p)).collect(),
        facility_columns: cfg.facility_columns.iter().map(|(c, k)| format!("{c}={k}")).collect(),
        osm_facilities: cfg.osm_facilities,
        areas: cfg.areas.as_deref().map(show),
        centres: cfg.centres.as_deref().map(show),
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
    let options = AnalysisOptions { profile, categories, include_empty_categories: false };
    let catalog = state.parts.catalog.clone();
    let data_dir = state.config.data_dir.join("circles");
    let st = state.clone();
    tokio::spawn(async move {
        let job = run.clone();
        let result = tokio::task::spawn_blocking(move || execute(&cfg, &options, &catalog, &job, &data_dir)).await;
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
    let location = HeaderValue::from_str(&links.this).map_err(Failure::internal)?;
    let body = StartedView { id, status: "running".into(), progress_url: links.this.clone(), links };
    Ok((StatusCode::ACCEPTED, [(LOCATION, location)], Json(body)).into_response())
}

pub(crate) fn typed(content_type: &'static str, body: impl Into<axum::body::Body>) -> Response {
    ([(CONTENT_TYPE, HeaderValue::from_static(content_type))], body.into()).into_response()
}

/// An analysis: status, progress (stage, done/total) and, when done, its summary.
#[utoipa::path(get, path = "/api/circles/analyses/{id}", tag = "circles", params(("id" = String, Path, description = "Analysis id")),
    responses((status = 200, body = AnalysisView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn status(State(state): State<AppState>, p: Principal, UrlPath(id): UrlPath<String>) -> Fallible<Json<AnalysisView>> {
    staff(&p)?;
    if let Some(run) = state.circles.get(&id) {
        return Ok(Json(view(&run)));
    }
    match read_saved(&state) {
        Some(s) if s.view.id == id => Ok(Json(s.view)),
        _ => Err(not_found()),
    }
}

/// The newest finished analysis (after a restart: the one saved under the data directory).
#[utoipa::path(get, path = "/api/circles/latest", tag = "circles",
    responses((status = 200, body = AnalysisView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)), security(("bearer" = [])))]
pub async fn latest(State(state): State<AppState>, p: Principal) -> Fallible<Json<AnalysisView>> {
    staff(&p)?;
    latest_view(&state).map(Json)
}

/// The areas with every indicator per category (coverage within 5/10/15 minutes and the norm,
/// mean minutes, supply per 1,000, balance ratio, colour).
#[utoipa::path(get, path = "/api/circles/analyses/{id}/areas", tag = "circles", params(("id" = String, Path, description = "Analysis id")),
    responses((status = 200, description = "A JSON array of areas", content_type = "application/json"), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn areas(State(state): State<AppState>, p: Principal, UrlPath(id): UrlPath<String>) -> Fallible<Response> {
    staff(&p)?;
    Ok(match finished(&state, &id)? {
        Source::Memory(f) => typed("application/json", f.areas_json.clone()),
        Source::Disk(_) => typed("application/json", saved_file(&state, "areas.json")?),
    })
}

/// The areas as a GeoJSON FeatureCollection with every indicator and colour (fill) as properties.
#[utoipa::path(get, path = "/api/circles/analyses/{id}/areas.geojson", tag = "circles", params(("id" = String, Path, description = "Analysis id")),
    responses((status = 200, description = "GeoJSON FeatureCollection", content_type = "application/geo+json"), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn areas_geojson(State(state): State<AppState>, p: Principal, UrlPath(id): UrlPath<String>) -> Fallible<Response> {
    staff(&p)?;
    Ok(match finished(&state, &id)? {
        Source::Memory(f) => typed("application/geo+json", f.areas_geojson.clone()),
        Source::Disk(_) => typed("application/geo+json", saved_file(&state, "areas.geojson")?),
    })
}

/// The facilities placed on the network, as GeoJSON points with category and capacity.
#[utoipa::path(get, path = "/api/circles/analyses/{id}/facilities.geojson", tag = "circles", params(("id" = String, Path, description = "Analysis id")),
    responses((status = 200, description = "GeoJSON FeatureCollection", content_type = "application/geo+json"), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn facilities_geojson(State(state): State<AppState>, p: Principal, UrlPath(id): UrlPath<String>) -> Fallible<Response> {
    staff(&p)?;
    Ok(match finished(&state, &id)? {
        Source::Memory(f) => typed("application/geo+json", f.facilities_geojson.clone()),
        Source::Disk(_) => typed("application/geo+json", saved_file(&state, "facilities.geojson")?),
    })
}

/// One row per area and analysed category (and `*` for the whole area), as CSV.
#[utoipa::path(get, path = "/api/circles/analyses/{id}/areas.csv", tag = "circles", params(("id" = String, Path, description = "Analysis id")),
    responses((status = 200, description = "CSV with a header row", content_type = "text/csv"), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn areas_csv(State(state): State<AppState>, p: Principal, UrlPath(id): UrlPath<String>) -> Fallible<Response> {
    staff(&p)?;
    Ok(match finished(&state, &id)? {
        Source::Memory(f) => typed("text/csv; charset=utf-8", f.areas_csv.clone()),
        Source::Disk(_) => typed("text/csv; charset=utf-8", saved_file(&state, "areas.csv")?),
    })
}

/// The five-colour warning map (预警五色图) over the street network, as SVG.
#[utoipa::path(get, path = "/api/circles/analyses/{id}/map.svg", tag = "circles", params(("id" = String, Path, description = "Analysis id"), MapQuery),
    responses((status = 200, description = "SVG image", content_type = "image/svg+xml"), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn map_svg(
    State(state): State<AppState>,
    p: Principal,
    UrlPath(id): UrlPath<String>,
    ApiQuery(q): ApiQuery<MapQuery>,
) -> Fallible<Response> {
    staff(&p)?;
    let source = finished(&state, &id)?;
    let Some(category) = q.category.filter(|c| !c.is_empty()) else {
        return Ok(match source {
            Source::Memory(f) => typed("image/svg+xml", f.map_svg.clone()),
            Source::Disk(_) => typed("image/svg+xml", saved_file(&state, "map.svg")?),
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
            Ok(typed("image/svg+xml", svg))
        }
        Source::Disk(_) => Ok(typed("image/svg+xml", saved_file(&state, &format!("map-{key}.svg"))?)),
    }
}

/// The "1+2+22+N" service network (point 9): per area and for the district, the share of personal
/// items of the catalog that residents can have handled within the time limit of home, and the
/// share of residents for whom that reaches the target (the seeds' 80 %).
#[utoipa::path(get, path = "/api/circles/analyses/{id}/service-network", tag = "circles", params(("id" = String, Path, description = "Analysis id"), NetworkQuery),
    responses((status = 200, description = "The service-network report with its areas", content_type = "application/json"), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn service_network(
    State(state): State<AppState>,
    p: Principal,
    UrlPath(id): UrlPath<String>,
    ApiQuery(q): ApiQuery<NetworkQuery>,
) -> Fallible<Response> {
    staff(&p)?;
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
    match finished(&state, &id)? {
        Source::Memory(f) => {
            let Some(cached) = &f.network else { return Err(no_centres()) };
            if same(cached.minutes, cached.target) {
                return Ok(Json(cached).into_response());
            }
            let r = tokio::task::spawn_blocking(move || {
                service_network::report(&f.graph, &f.analysis, &f.centres, &f.items, minutes, target, f.max_snap_m)
            })
            .await
            .map_err(Failure::internal)?
            .map_err(Failure::internal)?;
            Ok(Json(r).into_response())
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
            Ok(typed("application/json", saved_file(&state, "service-network.json")?))
        }
    }
}
