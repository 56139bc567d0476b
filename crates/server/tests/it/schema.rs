//! The schema and the API document: SQLite and PostgreSQL end up with the same tables and
//! columns from the one set of migrations (when `MINSHENG_TEST_POSTGRES` is set), and
//! `/api/openapi.json` is an OpenAPI 3 document listing the API's paths.

use std::collections::BTreeSet;

use reqwest::{Method, StatusCode};

use crate::helpers::{Db, PG_ENV, TestApp};

/// Tables every deployment has, whatever else later migrations add.
const CORE: &[&str] = &[
    "account", "application", "application_doc", "division", "enterprise", "history", "idempotency", "item_case", "notice",
    "person", "rectification", "session", "shared_record", "upload",
];

#[tokio::test]
async fn both_backends_have_the_same_tables_and_columns() {
    let sqlite = TestApp::spawn(Db::Sqlite).await;
    let lite = sqlite.state.store.schema_columns().await.expect("sqlite schema");
    let tables: BTreeSet<&str> = lite.keys().map(String::as_str).collect();
    for t in CORE {
        assert!(tables.contains(t), "table {t} in {tables:?}");
    }
    assert!(lite.values().all(|cols| !cols.is_empty()));
    assert!(lite["history"].iter().any(|c| c == "prev_hash") && lite["notice"].iter().any(|c| c == "attempts"), "{lite:?}");
    sqlite.shutdown().await;

    if std::env::var(PG_ENV).is_ok_and(|u| !u.is_empty()) {
        let pg = TestApp::spawn(Db::Postgres).await;
        let post = pg.state.store.schema_columns().await.expect("postgres schema");
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
        if method != "GET" {
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
