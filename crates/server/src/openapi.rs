//! The OpenAPI 3 document of the API, served at `/api/openapi.json`.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::api;
use crate::error::ErrorBody;
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
        api::health, api::login, api::register, api::logout, api::me,
        api::stages, api::bundle, api::items, api::item, api::departments, api::plan,
        api::upload, api::submit, api::list_applications, api::get_application, api::history,
        api::application_notices, api::act, api::withdraw, api::rate, api::respond,
        api::cases, api::overdue, api::rectifications, api::notices, api::reductions, api::overview,
    ),
    components(schemas(ErrorBody, SubmitBody, views::ApplicationView, views::ApplicationBrief, views::PlanView)),
    modifiers(&Bearer),
    tags(
        (name = "auth", description = "Sign in, register, sessions"),
        (name = "catalog", description = "Life stages, bundles (一件事), items (事项), departments"),
        (name = "applications", description = "Filing, following and acting on applications"),
        (name = "ratings", description = "好差评 and rectifications"),
        (name = "staff", description = "Department queues and supervision"),
        (name = "notices", description = "Notices to applicants and staff"),
        (name = "reports", description = "Reductions and overview"),
        (name = "system", description = "Health"),
    )
)]
pub struct ApiDoc;

pub fn document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}
