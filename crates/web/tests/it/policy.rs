//! The route × role policy, checked from the outside (issue 27): every path of the published
//! OpenAPI document, every FHIR route and every page is called as every demo role and as
//! anonymous, and each answer is compared with `server::policy::ROUTES` — a caller outside the
//! route's audience gets exactly 401 / the sign-in redirect or 403 `role_forbidden`, a caller in
//! it never does (nor a 5xx). The document and the table must list the same API routes, so a
//! route added without a policy entry (or without documentation) fails here, and so does any route
//! the routers' source declares without one. Further tests check the data scopes with another
//! person's data and that every role lands on a page it may see.

use std::collections::BTreeSet;

use reqwest::{Method, StatusCode};
use serde_json::Value;
use server::policy::{ROUTES, Route, Scope, Surface, Who};

use crate::helpers::{Client, TestWeb, api_token};

/// A demo account of each audience (and anonymous, `None`).
fn roles() -> Vec<(&'static str, Option<&'static str>, Who)> {
    vec![
        ("anonymous", None, Who::ANONYMOUS),
        ("window", Some("window"), Who::WINDOW),
        ("clerk", Some("ga_clerk"), Who::CLERK),
        ("reviewer", Some("ga_reviewer"), Who::REVIEWER),
        ("approver", Some("ga_approver"), Who::APPROVER),
        ("supervisor", Some("ga_supervisor"), Who::SUPERVISOR),
        ("admin", Some("admin"), Who::ADMIN),
        ("clinician", Some("fy-1h_doctor"), Who::CLINICIAN),
        ("platform", Some("meituan_ops"), Who::PLATFORM),
        ("regulator", Some("scjg_clerk"), Who::REGULATOR.or(Who::CLERK)),
        ("health", Some("wjw_clerk"), Who::HEALTH.or(Who::CHILDCARE).or(Who::CLERK)),
        ("housing", Some("zjj_clerk"), Who::HOUSING.or(Who::WELFARE).or(Who::CLERK)),
        ("insurance", Some("ybj_clerk"), Who::INSURANCE.or(Who::CLERK)),
        ("welfare", Some("mzj_clerk"), Who::WELFARE.or(Who::GUARDIAN).or(Who::CLERK)),
        ("community", Some("community_worker"), Who::COMMUNITY),
        ("responder", Some("responder"), Who::RESPONDER),
    ]
}

/// A concrete path for a route's template, with harmless values.
fn concrete(path: &str, resident: &str) -> String {
    path.replace("{id_number}", resident)
        .replace("{rtype}", "Observation")
        .replace("{kind}", "bundle")
        .replace("{code}", "birth")
        .replace("{lang}", "zh")
        .replace("{on}", "on")
        .replace("{case}", "1")
        .replace("{id}", "1")
        .replace("{household}", "1")
        .replace("{month}", "2026-02")
}

struct Caller {
    token: Option<String>,
    web: Client,
}

/// The answer to one call: status, the error code (JSON or OperationOutcome) or the page, and
/// where a redirect goes.
struct Answer {
    status: StatusCode,
    code: String,
    body: String,
    location: String,
}

async fn call(t: &TestWeb, caller: &Caller, route: &Route, resident: &str) -> Answer {
    let path = concrete(route.path, resident);
    let method = Method::from_bytes(route.method.as_bytes()).expect("method");
    let r = match route.surface {
        Surface::Web => {
            let rb = caller.web.http.request(method, format!("{}{path}", t.url)).header("origin", t.url.as_str());
            // A form without its CSRF token: refused by the form check, never acted on.
            let rb = if route.method == "POST" { rb.form(&[("policy_walk", "1")]) } else { rb };
            rb.send().await.expect("page")
        }
        Surface::Api | Surface::Fhir => {
            let mut rb = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client").request(method, format!("{}{path}", t.url));
            if let Some(tok) = &caller.token {
                rb = rb.bearer_auth(tok);
            }
            if route.method == "POST" {
                // A field no request type has: refused as malformed before anything is done.
                let ct = if route.surface == Surface::Fhir { "application/fhir+json" } else { "application/json" };
                let body = if route.path == "/api/uploads" { b"not a pdf".to_vec() } else { br#"{"policy_walk": true}"#.to_vec() };
                rb = rb.header("content-type", if route.path == "/api/uploads" { "application/pdf" } else { ct }).body(body);
            }
            rb.send().await.expect("request")
        }
    };
    let status = r.status();
    let location = r.headers().get("location").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
    // An event stream that was let through never ends: its status and type are the answer.
    if r.headers().get("content-type").and_then(|v| v.to_str().ok()).is_some_and(|ct| ct.starts_with("text/event-stream")) {
        return Answer { status, code: String::new(), body: String::new(), location };
    }
    let body = r.text().await.unwrap_or_default();
    let v: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    let code = v["code"].as_str().or_else(|| v["issue"][0]["details"]["coding"][0]["code"].as_str()).unwrap_or("").to_owned();
    Answer { status, code, body, location }
}

/// Whether an answer is the guard's refusal of the caller's role (or of no session).
fn refused_by_role(route: &Route, a: &Answer) -> bool {
    match route.surface {
        Surface::Api | Surface::Fhir => a.status == StatusCode::UNAUTHORIZED || (a.status == StatusCode::FORBIDDEN && a.code == "role_forbidden"),
        Surface::Web => {
            (a.status == StatusCode::SEE_OTHER && a.location.starts_with("/login?next="))
                || (a.status == StatusCode::FORBIDDEN && a.body.contains("您的账号无权使用此功能"))
        }
    }
}

#[tokio::test]
async fn every_route_answers_every_role_as_the_policy_table_says() {
    let t = TestWeb::spawn(0).await;
    let resident = t.citizen().await;
    let enterprise = t.state.store.registers().demo_enterprise().await.expect("query").expect("an enterprise").0;
    let mut callers: Vec<(&str, Caller, Who)> = Vec::new();
    for (name, login, who) in roles().into_iter().chain([("resident", None, Who::RESIDENT), ("enterprise", None, Who::ENTERPRISE)]) {
        let login = match name {
            "resident" => Some(resident.clone()),
            "enterprise" => Some(enterprise.clone()),
            _ => login.map(str::to_owned),
        };
        let web = t.client();
        let token = match &login {
            Some(l) => {
                web.login(l).await;
                Some(api_token(&t, l).await)
            }
            None => None,
        };
        callers.push((name, Caller { token, web }, who));
    }

    // The document and the table list the same API routes.
    let doc: Value = reqwest::get(format!("{}/api/openapi.json", t.url)).await.expect("openapi").json().await.expect("json");
    let documented: BTreeSet<(String, String)> = doc["paths"]
        .as_object()
        .expect("paths")
        .iter()
        .flat_map(|(p, ops)| ops.as_object().into_iter().flat_map(|o| o.keys()).filter(|m| ["get", "post", "put", "patch", "delete"].contains(&m.as_str())).map(move |m| (m.to_uppercase(), p.clone())))
        .collect();
    // (The document does not describe itself.)
    let declared: BTreeSet<(String, String)> =
        ROUTES.iter().filter(|r| r.surface == Surface::Api && r.path != "/api/openapi.json").map(|r| (r.method.to_owned(), r.path.to_owned())).collect();
    let undeclared: Vec<_> = documented.difference(&declared).collect();
    let undocumented: Vec<_> = declared.difference(&documented).collect();
    assert!(undeclared.is_empty(), "documented routes without a policy entry: {undeclared:?}");
    assert!(undocumented.is_empty(), "policy entries of routes the OpenAPI document lacks: {undocumented:?}");

    let mut wrong = Vec::new();
    let mut calls = 0;
    // Sign-out last, so that it does not end the sessions the other calls use.
    let mut routes: Vec<&Route> = ROUTES.iter().collect();
    routes.sort_by_key(|r| r.path.ends_with("logout"));
    for route in routes {
        for (name, caller, who) in &callers {
            let a = call(&t, caller, route, &resident).await;
            calls += 1;
            let allowed = who.meets(route.who);
            if a.status.is_server_error() {
                wrong.push(format!("{} {} as {name}: {} {}", route.method, route.path, a.status, a.body.chars().take(200).collect::<String>()));
            } else if allowed == refused_by_role(route, &a) {
                wrong.push(format!(
                    "{} {} as {name}: {} {} {} (the table {} it)",
                    route.method,
                    route.path,
                    a.status,
                    a.code,
                    a.location,
                    if allowed { "allows" } else { "refuses" }
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{} of {calls} answers disagree with the policy table:\n{}", wrong.len(), wrong.join("\n"));
    eprintln!("{calls} calls, {} routes × {} callers, all as the policy table says", ROUTES.len(), callers.len());
    t.shutdown().await;
}

/// The data scopes, with another resident's data: a named record of someone else is not found, a
/// read of their personal data is refused for want of a purpose, and one's own is served.
#[tokio::test]
async fn the_data_scopes_keep_each_account_to_its_own() {
    let t = TestWeb::spawn(3).await;
    let victim = t.citizen().await;
    let others = t.state.store.registers().bench_citizens(5).await.expect("citizens");
    let attacker = others.iter().find(|l| **l != victim).expect("another resident").clone();
    let (vt, at) = (api_token(&t, &victim).await, api_token(&t, &attacker).await);
    let http = reqwest::Client::new();
    let get = |tok: String, path: String| {
        let http = http.clone();
        let url = t.url.clone();
        async move {
            let r = http.get(format!("{url}{path}")).bearer_auth(tok).send().await.expect("GET");
            let status = r.status();
            let v: Value = r.json().await.unwrap_or(Value::Null);
            (status, v)
        }
    };
    // Her applications: a list of her own, and one of them by id.
    let (st, mine) = get(vt.clone(), "/api/applications".into()).await;
    assert_eq!(st, StatusCode::OK);
    let app = mine.as_array().and_then(|l| l.first()).and_then(|a| a["id"].as_str()).map(str::to_owned);
    let checked_routes: Vec<&Route> = ROUTES.iter().filter(|r| r.surface == Surface::Api && r.method == "GET" && matches!(r.scope, Scope::Record | Scope::Purpose)).collect();
    assert!(checked_routes.len() >= 8, "{}", checked_routes.len());
    if let Some(app) = app {
        for suffix in ["", "/history", "/notices"] {
            let path = format!("/api/applications/{app}{suffix}");
            assert_eq!(get(vt.clone(), path.clone()).await.0, StatusCode::OK, "{path} as its applicant");
            assert_eq!(get(at.clone(), path.clone()).await.0, StatusCode::NOT_FOUND, "{path} as another resident");
        }
    }
    // Her personal data, by her ID number: refused to another resident (and logged), hers to read.
    for path in [format!("/api/pool/records?subject={victim}"), format!("/api/pool/registers/persons/{victim}"), format!("/api/pool/health-records/{victim}")] {
        let (st, v) = get(at.clone(), path.clone()).await;
        assert_eq!(st, StatusCode::FORBIDDEN, "{path} as another resident: {v}");
        assert_ne!(v["code"], "role_forbidden", "a data-scope refusal, not a role's: {v}");
    }
    assert_eq!(get(vt.clone(), format!("/api/pool/records?subject={victim}")).await.0, StatusCode::OK);
    assert_eq!(get(vt.clone(), format!("/api/pool/health-records/{victim}")).await.0, StatusCode::OK);
    t.shutdown().await;
}

/// Signing in, every role lands on a page it may see (clinicians and platforms, who work through
/// the API, on the hall rather than a workbench they may not open).
#[tokio::test]
async fn every_role_lands_on_a_page_it_may_see() {
    let t = TestWeb::spawn(0).await;
    let resident = t.citizen().await;
    for (name, login, _) in roles() {
        let login = login.map(str::to_owned).unwrap_or_else(|| resident.clone());
        let c = t.client();
        let r = c.login(&login).await;
        let to = r.location.expect("a redirect");
        let page = c.get(&to).await;
        assert_eq!(page.status, StatusCode::OK, "{name} lands on {to}: {}", page.body.chars().take(300).collect::<String>());
    }
    t.shutdown().await;
}

/// Every route the source declares (`.route("…", get(…).post(…))` in the routers of the API, FHIR
/// and the pages) has a policy entry, and every entry a route: a route added without one fails
/// here even before any test calls it (the guard would refuse it with a 500).
#[test]
fn every_route_in_the_source_has_a_policy_entry() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    // (file, the prefix its routes are nested under)
    // Each area registers its routes in its `http` module; FHIR's, and an area's `fhir_routes`,
    // are nested under `/fhir`.
    let mut routers = vec![("server/src/lib.rs".to_owned(), "/api"), ("web/src/lib.rs".to_owned(), "")];
    let areas = root.join("server/src/areas");
    for entry in std::fs::read_dir(&areas).expect("the areas folder") {
        let dir = entry.expect("an area").path();
        if dir.join("http.rs").exists() {
            let name = dir.file_name().and_then(|n| n.to_str()).expect("a name").to_owned();
            let prefix = if name == "fhir" { "/fhir" } else { "/api" };
            routers.push((format!("server/src/areas/{name}/http.rs"), prefix));
            // A second router of an area (`<area>/<name>_http.rs`), merged beside its `http`.
            for other in std::fs::read_dir(&dir).expect("the area's folder").flatten() {
                let file = other.file_name().to_string_lossy().into_owned();
                if file.ends_with("_http.rs") {
                    routers.push((format!("server/src/areas/{name}/{file}"), prefix));
                }
            }
        }
    }
    assert!(routers.len() >= 7, "the areas' routers: {routers:?}");
    let mut found = BTreeSet::new();
    for (file, prefix) in routers {
        let file = file.as_str();
        let text = std::fs::read_to_string(root.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        for (at, _) in text.match_indices(".route(\"") {
            let call = &text[at + ".route(\"".len()..];
            let Some((path, rest)) = call.split_once('"') else { continue };
            // An area's FHIR routes (`fn fhir_routes` in its `http` module) are nested under `/fhir`.
            let within = text[..at].rfind("fn ").and_then(|f| text[f + 3..].split('(').next());
            let prefix = if within == Some("fhir_routes") { "/fhir" } else { prefix };
            // The methods are the calls of the route's first argument list, up to its closing
            // parenthesis at depth zero.
            let mut depth = 1;
            let args: String = rest
                .chars()
                .take_while(|c| {
                    depth += match c {
                        '(' => 1,
                        ')' => -1,
                        _ => 0,
                    };
                    depth > 0
                })
                .collect();
            let full = match (prefix, path) {
                (_, "/healthz") => "/healthz".to_owned(),
                (_, "/readyz") => "/readyz".to_owned(),
                ("/fhir", "/") => "/fhir".to_owned(),
                (p, path) => format!("{p}{path}"),
            };
            let mut methods = 0;
            for m in ["get", "post", "put", "patch", "delete"] {
                let at_start = args.trim_start_matches([',', ' ']).starts_with(&format!("{m}("));
                if at_start || args.contains(&format!(".{m}(")) {
                    found.insert((m.to_uppercase(), full.clone()));
                    methods += 1;
                }
            }
            assert!(methods > 0, "{file}: no method found for {path}: {args}");
        }
    }
    let declared: BTreeSet<(String, String)> = ROUTES.iter().map(|r| (r.method.to_owned(), r.path.to_owned())).collect();
    let missing: Vec<_> = found.difference(&declared).collect();
    let stale: Vec<_> = declared.difference(&found).collect();
    assert!(missing.is_empty(), "routes without a policy entry in server::policy::ROUTES: {missing:?}");
    assert!(stale.is_empty(), "policy entries of routes that do not exist: {stale:?}");
    assert!(found.len() > 100, "{} routes found", found.len());
}
