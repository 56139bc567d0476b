//! The OpenAPI 3 document of the API, served at `/api/openapi.json`: the handlers' annotations,
//! and the answers every route shares, added in one place from what decides them — the refusals
//! of `policy::ROUTES` (401, 403), the extractors' (400, 413, 415), path ids (404) and throttling
//! (429) — so that the document cannot drift from the policy. `tools/schemathesis/run.sh` checks
//! the server against it.

use utoipa::openapi::content::ContentBuilder;
use utoipa::openapi::path::{Operation, ParameterIn};
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::schema::{ObjectBuilder, Schema, SchemaType, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{Ref, RefOr};
use utoipa::{Modify, OpenApi};

use crate::http_error::ErrorBody;
use crate::policy::{self, Surface, Who};
use crate::areas::onething::cases::SubmitBody;

struct Bearer;

impl Modify for Bearer {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        if let Some(c) = openapi.components.as_mut() {
            c.add_security_scheme("bearer", SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()));
        }
    }
}

/// Routes that throttle their callers with 429 and `Retry-After` (guessing passwords, ID numbers).
pub const THROTTLED: &[(&str, &str)] = &[("POST", "/api/auth/login"), ("POST", "/api/auth/register/code"), ("POST", "/api/auth/register")];

/// The error answers shared by many operations: (status, component name, description).
const SHARED: &[(&str, &str, &str)] = &[
    ("400", "BadRequest", "The body is not the JSON the operation takes (`malformed_json`, naming the field; `unreadable_body`), or the query string is not (`invalid_query`)"),
    ("401", "Unauthorized", "No session, or it has expired (`unauthorized`): sign in with POST /api/auth/login"),
    ("403", "Forbidden", "The account may not do this: its role is outside the route's audience (`role_forbidden`), or the data is not its to see or change"),
    ("404", "NotFound", "No such resource, or the caller may not know of it (`not_found`)"),
    ("413", "TooLarge", "The body is over the limit (`too_large`)"),
    ("415", "UnsupportedMediaType", "The body is not sent as `application/json` (`unsupported_media_type`)"),
    ("429", "TooManyRequests", "Too many attempts; try again after the seconds of the `Retry-After` header"),
];

/// Adds the shared answers to every operation of the API that can give them.
struct Shared;

impl Modify for Shared {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        if let Some(c) = openapi.components.as_mut() {
            for (_, name, description) in SHARED {
                let content = ContentBuilder::new().schema(Some(Ref::from_schema_name("ErrorBody"))).build();
                c.responses.insert((*name).to_owned(), RefOr::T(ResponseBuilder::new().description(*description).content("application/json", content).build()));
            }
        }
        for (path, item) in openapi.paths.paths.iter_mut() {
            let ops = [("GET", &mut item.get), ("POST", &mut item.post), ("PUT", &mut item.put), ("DELETE", &mut item.delete), ("PATCH", &mut item.patch)];
            for (method, op) in ops {
                if let Some(op) = op.as_mut() {
                    let route = policy::ROUTES.iter().find(|r| r.surface == Surface::Api && r.method == method && r.path == path);
                    shared_answers(method, path, route.map(|r| r.who), op);
                }
            }
        }
    }
}

/// The statuses an operation shares with others, from its route's audience and its shape.
pub fn shared_statuses(method: &str, path: &str, who: Option<Who>, op: &Operation) -> Vec<&'static str> {
    let mut out = Vec::new();
    let params = op.parameters.as_deref().unwrap_or_default();
    let query = params.iter().any(|p| p.parameter_in == ParameterIn::Query);
    let body = op.request_body.as_ref();
    let json_body = body.is_some_and(|b| b.content.keys().any(|c| c == "application/json"));
    if query || body.is_some() {
        out.push("400");
    }
    if let Some(who) = who {
        if !who.meets(Who::ANONYMOUS) {
            out.push("401");
        }
        // Not everyone signed in: the guard refuses the others.
        if who.or(Who::ANONYMOUS) != Who::ANYONE {
            out.push("403");
        }
    }
    if path.contains('{') {
        out.push("404");
    }
    if body.is_some() {
        out.push("413");
    }
    if json_body {
        out.push("415");
    }
    if THROTTLED.contains(&(method, path)) {
        out.push("429");
    }
    out
}

fn shared_answers(method: &str, path: &str, who: Option<Who>, op: &mut Operation) {
    for status in shared_statuses(method, path, who, op) {
        let name = SHARED.iter().find(|(s, _, _)| *s == status).map_or("BadRequest", |(_, n, _)| n);
        op.responses.responses.entry(status.to_owned()).or_insert_with(|| RefOr::Ref(Ref::from_response_name(name)));
    }
    // Routes for signed-in callers only take the bearer token (or the session cookie).
    if who.is_some_and(|w| !w.meets(Who::ANONYMOUS)) && op.security.as_ref().is_none_or(Vec::is_empty) {
        op.security = Some(vec![SecurityRequirement::new("bearer", Vec::<String>::new())]);
    }
}

/// A string that takes only these values (a code the handler checks itself, with its own 422).
fn codes(description: &str, values: &[&str]) -> Schema {
    let s = ObjectBuilder::new().schema_type(SchemaType::Type(Type::String)).enum_values(Some(values.iter().copied()));
    Schema::Object(s.description(Some(description)).build())
}

/// Like `codes`, or `null`.
fn codes_or_null(description: &str, values: &[&str]) -> Schema {
    let mut all: Vec<serde_json::Value> = values.iter().map(|v| serde_json::Value::from(*v)).collect();
    all.push(serde_json::Value::Null);
    let s = ObjectBuilder::new().schema_type(SchemaType::from_iter([Type::String, Type::Null])).enum_values(Some(all));
    Schema::Object(s.description(Some(description)).build())
}

/// The walking profiles of the circles' default norms.
pub fn walking_profiles() -> Schema {
    codes_or_null("Walking profile: `default` (4.0 km/h) or `elderly` (3.0 km/h)", &["default", "elderly"])
}

/// 好差评 levels, by name or score.
pub fn rating_levels() -> Schema {
    codes(
        "非常满意 very_satisfied, 满意 satisfied, 基本满意 basic, 不满意 dissatisfied, 非常不满意 very_dissatisfied, or the score 5 to 1",
        &["very_satisfied", "satisfied", "basic", "dissatisfied", "very_dissatisfied", "5", "4", "3", "2", "1"],
    )
}

/// The kinds of notice to riders.
pub fn rider_notice_kinds() -> Schema {
    codes("welfare (关爱福利) or policy (保障政策)", &["welfare", "policy"])
}

/// Whom a consent is given to.
pub fn grantee_kinds() -> Schema {
    codes("org (a department, institution or platform code) or account (an account id)", &["org", "account"])
}

/// A recognition decision.
pub fn recognition_decisions() -> Schema {
    codes("accepted (the result is recognised) or retest", &["accepted", "retest"])
}

/// Why a result is not recognised and the test done again.
pub fn retest_reasons() -> Schema {
    codes_or_null("For a re-test: why", &["condition_changed", "result_doubtful", "emergency", "patient_request", "other"])
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "minsheng 民生 API",
        description = "一件事 (one-thing) services of a district: file one application for a life event, follow every department's progress, rate the service. Errors are JSON with a stable `code`, a Chinese `message`, an English `message_en` and the offending `field`.",
        license(name = "Apache-2.0")
    ),
    paths(
        crate::http_shared::health, crate::areas::identity::http::login, crate::areas::identity::http::request_code_route, crate::areas::identity::http::register_route, crate::areas::identity::http::logout, crate::areas::identity::http::me,
        crate::areas::identity::http::my_wards, crate::areas::identity::http::claim_codes_route,
        crate::areas::onething::http::stages, crate::areas::onething::http::bundle, crate::areas::onething::http::items, crate::areas::onething::http::item, crate::areas::onething::http::departments, crate::areas::onething::http::plan,
        crate::areas::onething::http::upload, crate::areas::onething::http::submit, crate::areas::onething::http::list_applications, crate::areas::onething::http::get_application, crate::areas::onething::http::history,
        crate::areas::onething::http::application_notices, crate::areas::onething::http::act, crate::areas::onething::http::withdraw, crate::areas::onething::http::rate, crate::areas::onething::http::respond,
        crate::areas::onething::http::cases, crate::areas::onething::http::overdue, crate::areas::onething::http::rectifications, crate::areas::onething::http::notices, crate::areas::onething::http::reductions, crate::areas::onething::http::overview,
        crate::areas::circles::http::start, crate::areas::circles::http::status, crate::areas::circles::http::latest, crate::areas::circles::http::areas, crate::areas::circles::http::areas_geojson,
        crate::areas::circles::http::facilities_geojson, crate::areas::circles::http::areas_csv, crate::areas::circles::http::map_svg, crate::areas::circles::http::service_network,
        crate::areas::pool::http::public_key, crate::areas::pool::http::verify, crate::areas::pool::http::gate, crate::areas::pool::http::revocations, crate::areas::pool::http::publish, crate::areas::pool::http::list_records,
        crate::areas::pool::http::read_record, crate::areas::pool::http::correct, crate::areas::pool::http::revoke, crate::areas::pool::http::issue_certificate, crate::areas::pool::http::my_access_log,
        crate::areas::pool::http::grant_consent, crate::areas::pool::http::my_consents, crate::areas::pool::http::withdraw_consent, crate::areas::pool::http::verify_log, crate::areas::pool::http::person_register,
        crate::areas::pool::http::enterprise_register, crate::areas::pool::http::estates, crate::areas::pool::http::register_rider, crate::areas::pool::http::list_riders, crate::areas::pool::http::rider_summary,
        crate::areas::pool::http::rider_code, crate::areas::pool::http::my_rider_codes, crate::areas::pool::http::my_riders, crate::areas::pool::http::confirm_rider, crate::areas::pool::http::decline_rider, crate::areas::pool::http::revoke_rider, crate::areas::pool::http::rider_notices, crate::areas::pool::http::institutions,
        crate::areas::pool::http::recognition_items, crate::areas::pool::http::decide_offer, crate::areas::pool::http::recognition_figures, crate::areas::pool::http::health_record,
    ),
    components(schemas(ErrorBody, SubmitBody, crate::areas::onething::views::ApplicationView, crate::areas::onething::views::ApplicationBrief, crate::areas::onething::views::PlanView)),
    modifiers(&Bearer, &Shared),
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
