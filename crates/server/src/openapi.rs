//! The OpenAPI 3 document of the API, served at `/api/openapi.json`.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::api;
use crate::circles_api;
use crate::error::ErrorBody;
use crate::pool_api;
use crate::register;
use crate::service::SubmitBody;
use crate::views;

struct Bearer;

impl Modify for Bearer {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        if let Some(c) = openapi.components.as_mut() {
            c.add_security_scheme("bearer", SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()));
        }
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "minsheng 民生 API",
        description = "一件事 (one-thing) services of a district: file one application for a life event, follow every department's progress, rate the service. Errors are JSON with a stable `code`, a Chinese `message`, an English `message_en` and the offending `field`.",
        license(name = "Apache-2.0")
    ),
    paths(
        api::health, api::login, register::request_code_route, register::register_route, api::logout, api::me,
        register::my_wards, register::claim_codes_route,
        api::stages, api::bundle, api::items, api::item, api::departments, api::plan,
        api::upload, api::submit, api::list_applications, api::get_application, api::history,
        api::application_notices, api::act, api::withdraw, api::rate, api::respond,
        api::cases, api::overdue, api::rectifications, api::notices, api::reductions, api::overview,
        circles_api::start, circles_api::status, circles_api::latest, circles_api::areas, circles_api::areas_geojson,
        circles_api::facilities_geojson, circles_api::areas_csv, circles_api::map_svg, circles_api::service_network,
        pool_api::public_key, pool_api::verify, pool_api::gate, pool_api::revocations, pool_api::publish, pool_api::list_records,
        pool_api::read_record, pool_api::correct, pool_api::revoke, pool_api::issue_certificate, pool_api::my_access_log,
        pool_api::grant_consent, pool_api::my_consents, pool_api::withdraw_consent, pool_api::verify_log, pool_api::person_register,
        pool_api::enterprise_register, pool_api::estates, pool_api::register_rider, pool_api::list_riders, pool_api::rider_summary,
        pool_api::rider_code, pool_api::my_rider_codes, pool_api::my_riders, pool_api::confirm_rider, pool_api::decline_rider, pool_api::revoke_rider, pool_api::rider_notices, pool_api::institutions,
        pool_api::recognition_items, pool_api::decide_offer, pool_api::recognition_figures, pool_api::health_record,
    ),
    components(schemas(ErrorBody, SubmitBody, views::ApplicationView, views::ApplicationBrief, views::PlanView)),
    modifiers(&Bearer),
    tags(
        (name = "auth", description = "Sign in, real-name registration in two steps (a code by text message, then the account), claim codes of accounts opened at a window, guardians' wards, sessions"),
        (name = "catalog", description = "Life stages, bundles (一件事), items (事项), departments"),
        (name = "applications", description = "Filing, following and acting on applications"),
        (name = "ratings", description = "好差评 and rectifications"),
        (name = "staff", description = "Department queues and supervision"),
        (name = "notices", description = "Notices to applicants and staff"),
        (name = "reports", description = "Reductions and overview"),
        (name = "circles", description = "15-minute service circles: reach, balance index, five-colour warning map, 1+2+22+N service network"),
        (name = "pool", description = "数据同池: publish, correct and revoke records; purpose-bound, logged reads; consents; e-certificates and public verification. FHIR R4 is at /fhir (see /fhir/metadata)"),
        (name = "riders", description = "富春小哥码: riders, their platforms, rider codes, gate checks, notices"),
        (name = "recognition", description = "医检互认: institutions, recognisable items, decisions, figures; health-record look-up"),
        (name = "system", description = "Health"),
    )
)]
pub struct ApiDoc;

pub fn document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}
