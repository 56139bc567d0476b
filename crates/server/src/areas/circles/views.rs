//! What the circles area answers and takes: an analysis with its inputs, progress and links, and
//! the request that starts one.

use chrono::DateTime;
use chrono::Utc;
use serde::Deserialize;
use serde::Serialize;
use serde_json::Value;
use utoipa::IntoParams;
use utoipa::ToSchema;
use crate::http_error::ErrorBody;

// ---------------------------------------------------------------------------------------------
// Views.

/// What an analysis was run on.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct InputsView {
    /// The street network's file (its name only).
    pub osm: String,
    /// Whether the street network is the sample city shipped with minsheng (central São Paulo),
    /// not the district's: an analysis of it must never be shown as the district.
    #[serde(default)]
    pub sample: bool,
    /// A CSV of points or H3 cells; `null`: estimated from OSM residential buildings.
    pub population: Option<String>,
    pub facilities: Vec<String>,
    /// Registers whose categories are counted from them alone (the childcare institutions the
    /// places area keeps, when any is registered).
    #[serde(default)]
    pub registers: Vec<String>,
    pub facility_columns: Vec<String>,
    pub osm_facilities: bool,
    /// GeoJSON polygons; `null`: H3 cells.
    pub areas: Option<String>,
    /// Service centres by level; `null`: no service network.
    pub centres: Option<String>,
    pub profile: String,
    /// Categories asked for; empty: all with facilities.
    pub categories: Vec<String>,
}

/// How far a running analysis has come.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ProgressView {
    /// The current stage, e.g. `import OSM`, `within 15 minutes and balance index`.
    pub stage: String,
    /// Units of the current stage done, of `total` (0 when unknown).
    pub done: u64,
    pub total: u64,
    /// Every stage so far, in order.
    pub stages: Vec<String>,
}

/// Where the results of an analysis are.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LinksView {
    #[serde(rename = "self")]
    pub this: String,
    pub areas: String,
    pub areas_geojson: String,
    pub facilities_geojson: String,
    pub areas_csv: String,
    pub map_svg: String,
    pub service_network: String,
}

impl LinksView {
    pub(crate) fn of(id: &str) -> LinksView {
        let base = format!("/api/circles/analyses/{id}");
        LinksView {
            areas: format!("{base}/areas"),
            areas_geojson: format!("{base}/areas.geojson"),
            facilities_geojson: format!("{base}/facilities.geojson"),
            areas_csv: format!("{base}/areas.csv"),
            map_svg: format!("{base}/map.svg"),
            service_network: format!("{base}/service-network"),
            this: base,
        }
    }
}

/// An analysis: its state, progress and, when done, its summary.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AnalysisView {
    pub id: String,
    /// running | done | failed
    pub status: String,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    /// The login of whoever started it.
    pub requested_by: String,
    pub inputs: InputsView,
    pub progress: ProgressView,
    /// When done: inputs report, categories with district-wide indicators and colour counts,
    /// overall colour counts, timings (the engine's `Analysis::summary`).
    #[schema(value_type = Option<Object>)]
    pub summary: Option<Value>,
    /// When done and service centres are configured: the 1+2+22+N network, without the areas.
    #[schema(value_type = Option<Object>)]
    pub service_network: Option<Value>,
    /// When failed: what was wrong, in Chinese and English, naming the setting at fault.
    pub error: Option<ErrorBody>,
    pub links: LinksView,
    /// Whether the results are saved under the data directory (served again after a restart).
    pub saved: bool,
}

// ---------------------------------------------------------------------------------------------
// Running an analysis.

/// What to change for one analysis; everything else comes from `[circles]`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StartRequest {
    /// Walking profile: `default` (4.0 km/h) or `elderly` (3.0 km/h).
    #[schema(schema_with = crate::openapi::walking_profiles)]
    pub profile: Option<String>,
    /// Analyse only these categories (keys such as `primary_school`, or Chinese names).
    pub categories: Option<Vec<String>>,
}

/// The answer to starting an analysis.
#[derive(Debug, Serialize, ToSchema)]
pub struct StartedView {
    pub id: String,
    pub status: String,
    /// Poll this for the stage and progress; it carries the summary when done.
    pub progress_url: String,
    pub links: LinksView,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct MapQuery {
    /// A category key (e.g. `primary_school`) or Chinese name; without it, the overall colour.
    pub category: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct NetworkQuery {
    /// Minutes on foot that count as near home (1–60; default from `[circles] service_minutes`).
    pub minutes: Option<u32>,
    /// Share of personal items each resident should have near home, in percent (1–100; default
    /// from `[circles] service_target_percent`).
    pub target_percent: Option<u32>,
}
