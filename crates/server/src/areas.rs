//! The capability areas. Each has the same parts: its engine is a crate of its own (plain Rust, no
//! IO: `onething`, `pool`, `circles`); here are its use cases (`cases`), the typed inputs and answers
//! they share with every front end (`views`) and its HTTP handlers (`http`), which also declare the
//! area's routes, their policy and the area's part of the OpenAPI document. Its SQL is in the
//! `store` crate, its pages in `web`, its commands in `minsheng`. A new area adds itself to `ALL`;
//! ARCHITECTURE.md has the rules and the checklist.

pub mod circles;
pub mod fhir;
pub mod governance;
pub mod guardian;
pub mod halls;
pub mod identity;
pub mod library;
pub mod medins;
pub mod onething;
pub mod parking;
pub mod places;
pub mod pool;
pub mod welfare;

use axum::Router;

use crate::policy::{Route, Surface};
use crate::state::AppState;

/// What an area registers with the server.
pub struct Area {
    /// A short name (for logs and tests).
    pub name: &'static str,
    /// The interface its routes belong to: the JSON API under `/api`, or FHIR under `/fhir`.
    pub surface: Surface,
    /// Its routes, relative to where its surface is mounted.
    pub routes: fn(&AppState) -> Router<AppState>,
    /// Who may call each route and the data scope its use case applies.
    pub policy: &'static [Route],
    /// Its part of the OpenAPI document (FHIR is described by its CapabilityStatement instead).
    pub openapi: Option<fn() -> utoipa::openapi::OpenApi>,
}

/// Every area, in the order their routes, policy and documentation are put together.
pub const ALL: &[Area] = &[
    Area { name: "identity", surface: Surface::Api, routes: identity::http::routes, policy: identity::http::POLICY, openapi: Some(<identity::http::Doc as utoipa::OpenApi>::openapi) },
    Area { name: "onething", surface: Surface::Api, routes: onething::http::routes, policy: onething::http::POLICY, openapi: Some(<onething::http::Doc as utoipa::OpenApi>::openapi) },
    Area { name: "circles", surface: Surface::Api, routes: circles::http::routes, policy: circles::http::POLICY, openapi: Some(<circles::http::Doc as utoipa::OpenApi>::openapi) },
    Area { name: "pool", surface: Surface::Api, routes: pool::http::routes, policy: pool::http::POLICY, openapi: Some(<pool::http::Doc as utoipa::OpenApi>::openapi) },
    Area { name: "medins", surface: Surface::Api, routes: medins::http::routes, policy: medins::http::POLICY, openapi: Some(<medins::http::Doc as utoipa::OpenApi>::openapi) },
    Area { name: "welfare", surface: Surface::Api, routes: welfare::http::routes, policy: welfare::http::POLICY, openapi: Some(<welfare::http::Doc as utoipa::OpenApi>::openapi) },
    Area { name: "governance", surface: Surface::Api, routes: governance::http::routes, policy: governance::http::POLICY, openapi: Some(<governance::http::Doc as utoipa::OpenApi>::openapi) },
    Area { name: "places", surface: Surface::Api, routes: places::http::routes, policy: places::http::POLICY, openapi: Some(<places::http::Doc as utoipa::OpenApi>::openapi) },
    Area { name: "halls", surface: Surface::Api, routes: halls::http::routes, policy: halls::http::POLICY, openapi: Some(<halls::http::Doc as utoipa::OpenApi>::openapi) },
    Area { name: "parking", surface: Surface::Api, routes: parking::http::routes, policy: parking::http::POLICY, openapi: Some(<parking::http::Doc as utoipa::OpenApi>::openapi) },
    Area { name: "library", surface: Surface::Api, routes: library::http::routes, policy: library::http::POLICY, openapi: Some(<library::http::Doc as utoipa::OpenApi>::openapi) },
    Area { name: "guardian", surface: Surface::Api, routes: guardian::http::routes, policy: guardian::http::POLICY, openapi: Some(<guardian::http::Doc as utoipa::OpenApi>::openapi) },
    Area { name: "medins-fhir", surface: Surface::Fhir, routes: medins::http::fhir_routes, policy: medins::http::FHIR_POLICY, openapi: None },
    Area { name: "fhir", surface: Surface::Fhir, routes: fhir::http::routes, policy: fhir::http::POLICY, openapi: None },
];

fn routes_of(state: &AppState, surface: Surface) -> Router<AppState> {
    ALL.iter().filter(|a| a.surface == surface).fold(Router::new(), |r, a| r.merge((a.routes)(state)))
}

/// The routes of every area of the JSON API, to be nested under `/api`.
pub fn api_routes(state: &AppState) -> Router<AppState> {
    routes_of(state, Surface::Api)
}

/// The FHIR routes, to be nested under `/fhir`.
pub fn fhir_routes(state: &AppState) -> Router<AppState> {
    routes_of(state, Surface::Fhir)
}
