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
    ("408", "BodyTimeout", "The body stopped arriving for longer than the body timeout (`body_timeout`); send the request again"),
    ("503", "StorageUnavailable", "The storage cannot take this now (a full or read-only disk, the database out of reach): nothing was changed; try again after the seconds of the `Retry-After` header (`storage_unavailable`)"),
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
        out.push("408");
        out.push("413");
    }
    if json_body {
        out.push("415");
    }
    if THROTTLED.contains(&(method, path)) {
        out.push("429");
    }
    // Every operation reads or writes the store.
    out.push("503");
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
    paths(crate::http_shared::health, crate::http_shared::ready),
    components(schemas(ErrorBody, crate::http_shared::Health, crate::http_shared::StorageFault)),
    tags(
        (name = "system", description = "Health and readiness"),
    )
)]
pub struct ApiDoc;

/// The whole document: the shared part, each area's part (`crate::areas::ALL`), then the answers
/// every operation shares and the bearer scheme.
pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    for area in crate::areas::ALL {
        if let Some(part) = area.openapi {
            doc.merge(part());
        }
    }
    Bearer.modify(&mut doc);
    Shared.modify(&mut doc);
    doc
}
