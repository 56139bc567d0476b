//! The schema and the API document: SQLite and PostgreSQL end up with the same tables and
//! columns from the one set of migrations (when `MINSHENG_TEST_POSTGRES` is set), and
//! `/api/openapi.json` is an OpenAPI 3 document listing the API's paths.

use std::collections::BTreeSet;

use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::helpers::{Db, PG_ENV, TestApp};

/// Tables every deployment has, whatever else later migrations add.
const CORE: &[&str] = &[
    "account", "application", "application_doc", "division", "enterprise", "history", "idempotency", "item_case", "notice",
    "person", "rectification", "session", "shared_record", "upload",
];

#[tokio::test]
async fn both_backends_have_the_same_tables_and_columns() {
    let sqlite = TestApp::spawn(Db::Sqlite).await;
    let lite = sqlite.state.store.onething().schema_columns().await.expect("sqlite schema");
    let tables: BTreeSet<&str> = lite.keys().map(String::as_str).collect();
    for t in CORE {
        assert!(tables.contains(t), "table {t} in {tables:?}");
    }
    assert!(lite.values().all(|cols| !cols.is_empty()));
    assert!(lite["history"].iter().any(|c| c == "prev_hash") && lite["notice"].iter().any(|c| c == "attempts"), "{lite:?}");
    sqlite.shutdown().await;

    if std::env::var(PG_ENV).is_ok_and(|u| !u.is_empty()) {
        let pg = TestApp::spawn(Db::Postgres).await;
        let post = pg.state.store.onething().schema_columns().await.expect("postgres schema");
        pg.shutdown().await;
        let l: BTreeSet<&String> = lite.keys().collect();
        let p: BTreeSet<&String> = post.keys().collect();
        assert_eq!(l, p, "the same tables");
        for (table, cols) in &lite {
            let a: BTreeSet<&String> = cols.iter().collect();
            let b: BTreeSet<&String> = post[table].iter().collect();
            assert_eq!(a, b, "the columns of {table}");
        }
    } else {
        eprintln!("{PG_ENV} is not set: the PostgreSQL half of the schema comparison did not run");
    }
}

#[tokio::test]
async fn the_openapi_document_lists_the_api() {
    let t = TestApp::spawn(Db::Sqlite).await;
    let r = t.request(Method::GET, None, "/api/openapi.json", None, &[]).await;
    assert_eq!(r.status, StatusCode::OK);
    let ct = r.headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("");
    assert!(ct.starts_with("application/json"), "{ct}");
    let doc = &r.body;
    assert!(doc.is_object(), "parsed as a JSON object: {doc}");
    let version = doc["openapi"].as_str().expect("openapi version");
    assert!(version.starts_with("3."), "{version}");
    assert!(doc["info"]["title"].is_string() && doc["info"]["version"].is_string());
    let paths = doc["paths"].as_object().expect("paths");
    let listed: BTreeSet<String> = paths
        .iter()
        .flat_map(|(p, ops)| ops.as_object().expect("operations").keys().map(move |m| format!("{} {p}", m.to_ascii_uppercase())))
        .collect();
    for want in [
        "GET /healthz",
        "POST /api/auth/login",
        "POST /api/auth/register/code",
        "POST /api/auth/register",
        "POST /api/accounts/claim-codes",
        "GET /api/me/wards",
        "POST /api/auth/logout",
        "GET /api/me",
        "GET /api/catalog/stages",
        "GET /api/catalog/bundles/{code}",
        "GET /api/catalog/items",
        "GET /api/catalog/items/{code}",
        "GET /api/catalog/departments",
        "GET /api/plan",
        "POST /api/uploads",
        "POST /api/applications",
        "GET /api/applications",
        "GET /api/applications/{id}",
        "GET /api/applications/{id}/history",
        "GET /api/applications/{id}/notices",
        "POST /api/applications/{id}/cases/{case}/actions",
        "POST /api/applications/{id}/withdraw",
        "POST /api/applications/{id}/rating",
        "GET /api/rectifications",
        "POST /api/rectifications/{id}/response",
        "GET /api/cases",
        "GET /api/supervision/overdue",
        "GET /api/notices",
        "GET /api/reports/reductions",
        "GET /api/reports/overview",
    ] {
        assert!(listed.contains(want), "{want} in {listed:?}");
    }
    // Every documented path is served (a 404 from the fallback would mean a stale document).
    let admin = t.login("admin").await;
    for entry in &listed {
        let (method, path) = entry.split_once(' ').expect("method and path");
        // An event stream never ends; the policy walk checks who may open it.
        if method != "GET" || doc["paths"][path]["get"]["responses"]["200"]["content"].get("text/event-stream").is_some() {
            continue;
        }
        let url = path.replace("{code}", "birth").replace("{id}", "1");
        let r = t.get(&admin, &url).await;
        assert!(r.status != StatusCode::NOT_FOUND || r.body["message_en"] != "No such endpoint", "{entry}: {}", r.body);
    }
    // The error body is documented with its fields.
    let err = &doc["components"]["schemas"]["ErrorBody"]["properties"];
    for f in ["code", "message", "message_en", "field"] {
        assert!(err[f].is_object(), "ErrorBody.{f} in {err}");
    }
    t.shutdown().await;
}

// ---------------------------------------------------------------------------------------------
// The document against the server (issue 27: what an outside run of schemathesis found wrong).

/// The document as served.
async fn document(t: &TestApp) -> Value {
    let r = t.request(Method::GET, None, "/api/openapi.json", None, &[]).await;
    assert_eq!(r.status, StatusCode::OK);
    r.body
}

/// Every operation: (method in capitals, path, operation).
fn operations(doc: &Value) -> Vec<(String, String, &Value)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            out.push((method.to_ascii_uppercase(), path.clone(), op));
        }
    }
    out
}

/// Follows a `$ref` (`#/components/…`) to what it names.
fn resolve<'a>(doc: &'a Value, v: &'a Value) -> &'a Value {
    match v["$ref"].as_str() {
        Some(r) => {
            let target = r.strip_prefix("#/").and_then(|p| doc.pointer(&format!("/{p}"))).unwrap_or_else(|| panic!("dangling {r}"));
            resolve(doc, target)
        }
        None => v,
    }
}

/// The JSON schema of an operation's answer with `status`, as `application/json`.
fn answer_schema<'a>(doc: &'a Value, op: &'a Value, status: &str) -> Option<&'a Value> {
    let resp = resolve(doc, op["responses"].get(status)?);
    resp["content"]["application/json"].get("schema").map(|s| resolve(doc, s))
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Whether `value` conforms to `schema` in what a client relies on: types (with `null`), required
/// properties, enums, array items, `oneOf`/`anyOf`/`allOf`. Formats and patterns are left to
/// schemathesis. The error names the JSON path.
fn conforms(doc: &Value, schema: &Value, value: &Value, at: &str) -> Result<(), String> {
    let schema = resolve(doc, schema);
    if let Some(all) = schema["allOf"].as_array() {
        for s in all {
            conforms(doc, s, value, at)?;
        }
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(alts) = schema[key].as_array()
            && !alts.iter().any(|s| conforms(doc, s, value, at).is_ok())
        {
            return Err(format!("{at}: {value} matches none of {key} {}", Value::Array(alts.clone())));
        }
    }
    if let Some(values) = schema["enum"].as_array()
        && !values.contains(value)
    {
        return Err(format!("{at}: {value} is not one of {}", Value::Array(values.clone())));
    }
    let types: Vec<&str> = match &schema["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
        _ => vec![],
    };
    let actual = json_type(value);
    if !types.is_empty() && !types.contains(&actual) && !(actual == "integer" && types.contains(&"number")) {
        return Err(format!("{at}: a {actual} where the document says {types:?}"));
    }
    match value {
        Value::Object(o) => {
            for r in schema["required"].as_array().into_iter().flatten().filter_map(Value::as_str) {
                if !o.contains_key(r) {
                    return Err(format!("{at}: required {r} missing"));
                }
            }
            if let Some(props) = schema["properties"].as_object() {
                for (k, v) in o {
                    if let Some(s) = props.get(k) {
                        conforms(doc, s, v, &format!("{at}.{k}"))?;
                    }
                }
            }
        }
        Value::Array(items) => {
            if let Some(s) = schema.get("items") {
                for (i, v) in items.iter().enumerate() {
                    conforms(doc, s, v, &format!("{at}[{i}]"))?;
                }
            }
        }
        _ => {}
    }
    Ok(())
}

#[test]
fn the_conformance_check_can_fail() {
    let doc = serde_json::json!({ "components": { "schemas": { "A": { "type": "object", "required": ["x"], "properties": { "x": { "type": "object" } } } } } });
    let a = serde_json::json!({ "$ref": "#/components/schemas/A" });
    assert!(conforms(&doc, &a, &serde_json::json!({ "x": {} }), "$").is_ok());
    assert!(conforms(&doc, &a, &serde_json::json!({ "x": null }), "$").is_err(), "null where an object is required");
    assert!(conforms(&doc, &a, &serde_json::json!([{ "x": {} }]), "$").is_err(), "an array where an object is documented");
    assert!(conforms(&doc, &serde_json::json!({ "type": "string", "enum": ["a"] }), &serde_json::json!("b"), "$").is_err());
}

#[tokio::test]
async fn parameters_are_declared_where_the_server_reads_them() {
    let t = TestApp::spawn(Db::Sqlite).await;
    let doc = document(&t).await;
    let mut query = 0;
    for (method, path, op) in operations(&doc) {
        let params = op["parameters"].as_array().cloned().unwrap_or_default();
        for p in &params {
            let name = p["name"].as_str().expect("name");
            match p["in"].as_str() {
                Some("path") => {
                    assert!(path.contains(&format!("{{{name}}}")), "{method} {path}: {name} is declared in the path but is not a segment of it");
                    assert_eq!(p["required"], true, "{method} {path}: path parameter {name}");
                }
                Some("query") => query += 1,
                _ => {}
            }
        }
        for seg in path.split('/').filter_map(|s| s.strip_prefix('{').and_then(|s| s.strip_suffix('}'))) {
            assert!(params.iter().any(|p| p["name"] == seg && p["in"] == "path"), "{method} {path}: segment {seg} is not declared");
        }
    }
    assert!(query >= 40, "the query parameters are in the query: {query}");
    // A generated client calls /api/plan?bundle=… (neither is required: one of the two).
    let plan = &doc["paths"]["/api/plan"]["get"]["parameters"];
    for name in ["bundle", "item", "applicant"] {
        let p = plan.as_array().and_then(|ps| ps.iter().find(|p| p["name"] == name)).unwrap_or_else(|| panic!("{name} in {plan}"));
        assert_eq!((p["in"].as_str(), p["required"].as_bool().unwrap_or(false)), (Some("query"), false), "{p}");
    }
    t.shutdown().await;
}

#[tokio::test]
async fn every_route_documents_the_refusals_it_can_give() {
    use server::policy::{ROUTES, Surface, Who};
    let t = TestApp::spawn(Db::Sqlite).await;
    let doc = document(&t).await;
    let ops = operations(&doc);
    for (method, path, op) in &ops {
        let route = ROUTES
            .iter()
            .find(|r| r.surface == Surface::Api && r.method == method && r.path == path)
            .unwrap_or_else(|| panic!("{method} {path} has no policy"));
        let has = |status: &str| op["responses"].get(status).is_some();
        let error_body = |status: &str| {
            let s = answer_schema(&doc, op, status).unwrap_or_else(|| panic!("{method} {path}: {status} has no JSON body"));
            assert!(s["properties"]["code"].is_object() && s["properties"]["message_en"].is_object(), "{method} {path}: {status} is an ErrorBody: {s}");
        };
        if !route.who.meets(Who::ANONYMOUS) {
            assert!(has("401"), "{method} {path}: the guard answers 401 without a session");
            error_body("401");
            let bearer = op["security"].as_array().is_some_and(|s| s.iter().any(|r| r.get("bearer").is_some()));
            assert!(bearer, "{method} {path}: needs the bearer token");
        }
        if route.who.or(Who::ANONYMOUS) != Who::ANYONE {
            assert!(has("403"), "{method} {path}: the guard answers 403 role_forbidden outside {:?}", route.who.names());
            error_body("403");
        }
        if path.contains('{') {
            assert!(has("404"), "{method} {path}: a path id that does not exist");
        }
        if let Some(body) = op["requestBody"]["content"].as_object() {
            assert!(has("400") && has("413"), "{method} {path}: an unreadable or oversized body");
            if body.contains_key("application/json") {
                assert!(has("415"), "{method} {path}: a body that is not JSON");
            }
        }
        if op["parameters"].as_array().is_some_and(|ps| ps.iter().any(|p| p["in"] == "query")) {
            assert!(has("400"), "{method} {path}: invalid_query");
        }
    }
    let login = ops.iter().find(|(m, p, _)| m == "POST" && p == "/api/auth/login").expect("login");
    assert!(login.2["responses"].get("429").is_some(), "login is throttled");

    // And the server gives them so: staff on a resident's own pages, a JSON body of another type,
    // malformed JSON, an unknown id.
    let clerk = t.login("ga_clerk").await;
    let r = t.get(&clerk, "/api/pool/me/consents").await;
    assert_eq!((r.status, r.code()), (StatusCode::FORBIDDEN, "role_forbidden"));
    let (_, resident) = t.citizen().await;
    let r = t.raw(Method::POST, Some(&resident), "/api/pool/me/consents", Some("text/plain"), b"{}".to_vec(), &[]).await;
    assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{}", r.body);
    let r = t.raw(Method::POST, Some(&resident), "/api/pool/me/consents", Some("application/json"), b"{".to_vec(), &[]).await;
    assert_eq!((r.status, r.code()), (StatusCode::BAD_REQUEST, "malformed_json"));
    let r = t.post(&resident, "/api/pool/me/consents/123/revoke", serde_json::json!({})).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    let r = t.request(Method::GET, None, "/api/me", None, &[]).await;
    assert_eq!((r.status, r.code()), (StatusCode::UNAUTHORIZED, "unauthorized"));
    t.shutdown().await;
}

#[tokio::test]
async fn lists_and_documents_are_what_the_server_sends() {
    let t = TestApp::spawn(Db::Sqlite).await;
    let doc = document(&t).await;
    let ops = operations(&doc);
    // The lists the outside run found documented as objects.
    for path in [
        "/api/catalog/stages",
        "/api/catalog/items",
        "/api/catalog/departments",
        "/api/pool/institutions",
        "/api/pool/recognition/items",
        "/api/pool/riders/summary",
    ] {
        let op = ops.iter().find(|(m, p, _)| m == "GET" && p == path).map(|o| o.2).unwrap_or_else(|| panic!("GET {path}"));
        let s = answer_schema(&doc, op, "200").unwrap_or_else(|| panic!("{path}: a JSON answer"));
        assert_eq!(s["type"], "array", "{path}: {s}");
    }
    // Every GET that needs no path id or query, as each kind of account: a 200 conforms to its
    // documented answer, any other status is documented.
    let (_, resident) = t.citizen().await;
    let (_, enterprise) = t.enterprise().await;
    let accounts = [resident, enterprise, t.login("ga_clerk").await, t.login("ga_supervisor").await, t.login("admin").await];
    let mut checked = 0;
    for (method, path, op) in &ops {
        let required_query = op["parameters"].as_array().is_some_and(|ps| ps.iter().any(|p| p["required"] == true));
        let stream = op["responses"]["200"]["content"].get("text/event-stream").is_some();
        if method != "GET" || path.contains('{') || required_query || path.ends_with(".csv") || path.ends_with(".svg") || stream {
            continue;
        }
        for token in &accounts {
            let r = t.get(token, path).await;
            let status = r.status.as_u16().to_string();
            assert!(op["responses"].get(&status).is_some(), "GET {path}: {status} is not documented: {}", r.body);
            if let Some(schema) = answer_schema(&doc, op, &status) {
                conforms(&doc, schema, &r.body, "$").unwrap_or_else(|e| panic!("GET {path} ({status}): {e}"));
                checked += 1;
            }
        }
    }
    assert!(checked >= 60, "{checked} answers checked");
    t.shutdown().await;
}

#[tokio::test]
async fn request_schemas_name_their_codes_patterns_and_media() {
    let t = TestApp::spawn(Db::Sqlite).await;
    let doc = document(&t).await;
    let schema = |name: &str| doc["components"]["schemas"][name].clone();
    let enum_of = |s: &Value| -> Vec<Value> { s["enum"].as_array().cloned().unwrap_or_else(|| panic!("an enum: {s}")) };
    let profile = enum_of(&schema("StartRequest")["properties"]["profile"]);
    assert!(profile.contains(&"default".into()) && profile.contains(&"elderly".into()) && profile.contains(&Value::Null), "{profile:?}");
    let level = enum_of(&schema("RatingBody")["properties"]["level"]);
    assert!(level.contains(&"very_satisfied".into()) && level.contains(&"5".into()) && !level.contains(&"great".into()), "{level:?}");
    assert_eq!(enum_of(&schema("RiderNoticeBody")["properties"]["kind"]), vec![Value::from("welfare"), Value::from("policy")]);
    assert_eq!(enum_of(&schema("ConsentBody")["properties"]["grantee_kind"]), vec![Value::from("org"), Value::from("account")]);
    assert_eq!(enum_of(&schema("DecisionBody")["properties"]["decision"]), vec![Value::from("accepted"), Value::from("retest")]);
    // ID numbers (and subjects that may be one) have their pattern.
    let id = "^[0-9]{17}[0-9Xx]$";
    assert_eq!(schema("RegisterRequest")["properties"]["id_number"]["pattern"], id);
    assert_eq!(schema("RiderBody")["properties"]["id_number"]["pattern"], id);
    for (name, field) in [("PublishBody", "subject"), ("SubmitBody", "applicant")] {
        let p = schema(name)["properties"][field]["pattern"].as_str().unwrap_or_default().to_owned();
        assert!(p.contains("[0-9]{17}[0-9Xx]") && p.contains("[0-9]{6}"), "{name}.{field}: {p}");
    }
    for path in ["/api/pool/registers/persons/{id_number}", "/api/pool/health-records/{id_number}"] {
        let ps = doc["paths"][path]["get"]["parameters"].as_array().cloned().unwrap_or_default();
        let p = ps.iter().find(|p| p["name"] == "id_number").unwrap_or_else(|| panic!("{path}"));
        assert_eq!(p["schema"]["pattern"], id, "{path}");
    }
    // A failed analysis has no summary and no service network.
    let view = schema("AnalysisView");
    for field in ["summary", "service_network"] {
        assert!(conforms(&doc, &view["properties"][field], &Value::Null, field).is_ok(), "AnalysisView.{field} may be null: {}", view["properties"][field]);
    }
    // An upload is the file's bytes, of one of the accepted types.
    let content = doc["paths"]["/api/uploads"]["post"]["requestBody"]["content"].as_object().cloned().unwrap_or_default();
    for ct in ["application/pdf", "image/jpeg", "image/png", "image/webp", "application/ofd", "text/plain"] {
        let s = resolve(&doc, &content.get(ct).unwrap_or_else(|| panic!("{ct} in {content:?}"))["schema"]).clone();
        assert_eq!((s["type"].as_str(), s["format"].as_str()), (Some("string"), Some("binary")), "{ct}: {s}");
    }
    t.shutdown().await;
}

/// Every schema of the API document has one name: two areas' types of the same name would be
/// merged into one component silently, and one of them described with the other's fields (a
/// draw's verification once answered with the credential check's schema).
#[test]
fn every_schema_name_is_used_once() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = vec![root.join("http_error.rs"), root.join("http_shared.rs")];
    for area in std::fs::read_dir(root.join("areas")).expect("areas") {
        let dir = area.expect("entry").path();
        if dir.is_dir() {
            for f in std::fs::read_dir(&dir).expect("area") {
                files.push(f.expect("entry").path());
            }
        }
    }
    let mut seen: std::collections::BTreeMap<String, String> = std::collections::BTreeMap::new();
    let mut twice = Vec::new();
    for f in files.iter().filter(|f| f.extension().is_some_and(|e| e == "rs")) {
        let text = std::fs::read_to_string(f).expect("read");
        let lines: Vec<&str> = text.lines().collect();
        for (i, l) in lines.iter().enumerate() {
            let Some(rest) = l.trim_start().strip_prefix("pub struct ").or_else(|| l.trim_start().strip_prefix("pub enum ")) else { continue };
            let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            // The attributes above it: a ToSchema derive, and a `schema(as = …)` rename.
            let attrs: Vec<&str> = lines[..i].iter().rev().take_while(|a| a.trim_start().starts_with("#[") || a.trim_start().starts_with("///")).copied().collect();
            if !attrs.iter().any(|a| a.contains("ToSchema")) {
                continue;
            }
            let shown = attrs.iter().find_map(|a| a.split("schema(as = ").nth(1).map(|r| r.trim_end_matches([')', ']']).to_owned())).unwrap_or(name);
            let here = format!("{}:{}", f.display(), i + 1);
            if let Some(first) = seen.insert(shown.clone(), here.clone()) {
                twice.push(format!("{shown}: {first} and {here}"));
            }
        }
    }
    assert!(twice.is_empty(), "schema names used twice (rename one with #[schema(as = …)]):\n{}", twice.join("\n"));
}
