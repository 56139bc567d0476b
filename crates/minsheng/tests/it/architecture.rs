//! The workspace's dependency rules, checked from `cargo metadata` and the source (in the manner
//! of rust-analyzer's tidy tests): engines know no database, HTTP or runtime; only the store knows
//! SQL (neither the server's handlers nor the pages hold any); every module says what it is for
//! in a `//!` line.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use crate::helpers::workspace;

/// The crates that are plain Rust over plain data.
const ENGINES: &[&str] = &["domain", "catalog", "onething", "pool", "circles", "medins", "welfare", "guardian", "governance", "places", "halls", "parking", "library"];
/// What an engine may never depend on: databases, HTTP, async runtimes, MQTT, page templates.
const IO: &[&str] = &[
    "sqlx", "rusqlite", "axum", "tower", "tower-http", "hyper", "hyper-util", "reqwest", "tokio", "utoipa", "maud", "rumqttc", "rumqttd",
];
/// The only crates that may talk to a database directly.
const SQL_CRATES: &[&str] = &["sqlx", "rusqlite"];

/// Each workspace crate's normal (not dev, not build) dependencies, by name.
fn dependencies() -> BTreeMap<String, BTreeSet<String>> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let out = std::process::Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--no-deps", "--offline"])
        .current_dir(workspace())
        .output()
        .expect("cargo metadata runs");
    assert!(out.status.success(), "cargo metadata: {}", String::from_utf8_lossy(&out.stderr));
    let m: serde_json::Value = serde_json::from_slice(&out.stdout).expect("metadata is JSON");
    m["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .map(|p| {
            let deps = p["dependencies"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|d| d["kind"].is_null())
                .filter_map(|d| d["name"].as_str().map(str::to_owned))
                .collect();
            (p["name"].as_str().expect("name").to_owned(), deps)
        })
        .collect()
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).expect("dir").flatten() {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

#[test]
fn engines_know_no_database_http_or_runtime() {
    let deps = dependencies();
    let mut wrong = Vec::new();
    for engine in ENGINES {
        let d = deps.get(*engine).unwrap_or_else(|| panic!("crate {engine} in the workspace"));
        for io in IO {
            if d.contains(*io) {
                wrong.push(format!("{engine} depends on {io}"));
            }
        }
    }
    assert!(wrong.is_empty(), "engines must stay plain Rust over plain data:\n{}", wrong.join("\n"));
}

#[test]
fn only_the_store_knows_sql() {
    let deps = dependencies();
    let users: Vec<String> = deps.iter().filter(|(_, d)| SQL_CRATES.iter().any(|s| d.contains(*s))).map(|(c, _)| c.clone()).collect();
    assert_eq!(users, vec!["store".to_owned()], "crates that depend on a database driver");
    // Nor do the server's handlers or the pages write SQL of their own through the store.
    let mut files = Vec::new();
    for krate in ["server", "web"] {
        rust_files(&workspace().join("crates").join(krate).join("src"), &mut files);
    }
    let mut wrong = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).expect("source");
        for (n, line) in text.lines().enumerate() {
            if ["\"SELECT ", "\"INSERT ", "\"UPDATE ", "\"DELETE ", "sqlx::"].iter().any(|k| line.contains(k)) {
                wrong.push(format!("{}:{}: {}", f.display(), n + 1, line.trim()));
            }
        }
    }
    assert!(wrong.is_empty(), "SQL outside the store:\n{}", wrong.join("\n"));
}

#[test]
fn every_module_says_what_it_is_for() {
    let mut files = Vec::new();
    rust_files(&workspace().join("crates"), &mut files);
    let missing: Vec<String> = files
        .iter()
        .filter(|f| !f.components().any(|c| c.as_os_str() == "target"))
        .filter(|f| {
            let text = std::fs::read_to_string(f).unwrap_or_default();
            !text.trim_start().starts_with("//!")
        })
        .map(|f| f.display().to_string())
        .collect();
    assert!(files.len() > 100, "{} files", files.len());
    assert!(missing.is_empty(), "modules without a `//!` line saying what they are for:\n{}", missing.join("\n"));
}

#[test]
fn pages_call_use_cases_never_a_handler() {
    // A handler takes axum's extractors; a page that hands it `State(…)`, `ApiQuery(…)` or
    // `ApiJson(…)` is calling the HTTP layer instead of the use case behind it.
    let mut files = Vec::new();
    rust_files(&workspace().join("crates/web/src"), &mut files);
    let mut wrong = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).expect("source");
        for (n, line) in text.lines().enumerate() {
            if ["State(web.state", "ApiQuery(", "ApiJson("].iter().any(|k| line.contains(k)) {
                wrong.push(format!("{}:{}: {}", f.display(), n + 1, line.trim()));
            }
        }
    }
    assert!(wrong.is_empty(), "pages calling the API's handlers:\n{}", wrong.join("\n"));
}

/// The capability areas' folders under `crates/server/src/areas`.
fn area_dirs() -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(workspace().join("crates/server/src/areas"))
        .expect("the areas folder")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    dirs
}

/// Lines of `file` that contain any of `needles`, as `path:line: text`.
fn lines_with(file: &Path, needles: &[&str]) -> Vec<String> {
    let text = std::fs::read_to_string(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim_start().starts_with("//"))
        .filter(|(_, l)| needles.iter().any(|k| l.contains(k)))
        .map(|(n, l)| format!("{}:{}: {}", file.display(), n + 1, l.trim()))
        .collect()
}

#[test]
fn every_area_has_the_same_parts_and_registers_itself() {
    let dirs = area_dirs();
    assert!(dirs.len() >= 5, "areas: {dirs:?}");
    let registry = std::fs::read_to_string(workspace().join("crates/server/src/areas.rs")).expect("areas.rs");
    let mut wrong = Vec::new();
    for dir in &dirs {
        let name = dir.file_name().and_then(|n| n.to_str()).expect("a name");
        for part in ["cases.rs", "views.rs", "http.rs"] {
            if !dir.join(part).exists() {
                wrong.push(format!("{name}: no {part}"));
            }
        }
        let http = std::fs::read_to_string(dir.join("http.rs")).unwrap_or_default();
        for decl in ["pub fn routes(", "pub const POLICY: &[Route]"] {
            if !http.contains(decl) {
                wrong.push(format!("{name}/http.rs does not declare `{decl}`"));
            }
        }
        if !registry.contains(&format!("name: \"{name}\"")) {
            wrong.push(format!("{name} is not in areas::ALL"));
        }
    }
    assert!(wrong.is_empty(), "every area has cases, views and http, and registers its routes and policy:\n{}", wrong.join("\n"));
}

#[test]
fn use_cases_know_nothing_of_http() {
    // The use cases and their views are called by handlers, pages and commands alike: no axum,
    // no status codes, no headers, no JSON responses. The error contract is HTTP-free too.
    const HTTP: &[&str] = &["axum", "StatusCode", "IntoResponse", "HeaderMap", "HeaderValue", "Json("];
    let mut files = vec![workspace().join("crates/server/src/failure.rs")];
    for dir in area_dirs() {
        files.push(dir.join("cases.rs"));
        files.push(dir.join("views.rs"));
    }
    let wrong: Vec<String> = files.iter().flat_map(|f| lines_with(f, HTTP)).collect();
    assert!(wrong.is_empty(), "HTTP in use cases:\n{}", wrong.join("\n"));
}

#[test]
fn handlers_hold_no_data_access() {
    // A handler extracts, calls one use case and answers: it never reads or writes the store
    // itself, and never answers with a store row (the area's views are its answers). The signed-in
    // `store::Account` is the one exception: identity, shared by every area.
    let wrong: Vec<String> = area_dirs()
        .iter()
        .flat_map(|d| lines_with(&d.join("http.rs"), &[".store.", "store::"]))
        .filter(|l| !l.ends_with("use store::Account;"))
        .collect();
    assert!(wrong.is_empty(), "handlers touching the store:\n{}", wrong.join("\n"));
}

#[test]
fn front_ends_never_call_a_handler() {
    // Pages, commands, benchmarks and the demo seeding call use cases, never an area's `http`
    // module, and never read an error back through the HTTP mapping.
    let mut files = Vec::new();
    for krate in ["web", "minsheng", "demo"] {
        rust_files(&workspace().join("crates").join(krate).join("src"), &mut files);
    }
    let mut wrong = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).expect("source");
        for (n, line) in text.lines().enumerate() {
            let handler = line.find("areas::").is_some_and(|i| line[i..].split("::").nth(2) == Some("http"));
            if handler || line.contains("http_error") {
                wrong.push(format!("{}:{}: {}", f.display(), n + 1, line.trim()));
            }
        }
    }
    assert!(wrong.is_empty(), "front ends calling handlers:\n{}", wrong.join("\n"));
}

#[test]
fn the_server_does_not_seed_the_demo() {
    // The demo district (its generation and its seeding) is the `demo` crate's: the server that
    // runs a real district carries none of it.
    let deps = dependencies();
    assert!(!deps["server"].contains("demo"), "server depends on demo");
    assert!(deps["demo"].contains("server"), "the demo seeds through the server's use cases");
}

/// Issue 37: a gated test that did not run reported "passed" (the browser story in 9 ms). Every
/// test that returns early for want of its service says "skipped:" and is also marked ignored
/// when its gate was not set at build time (`cfg_attr(not(gated_…), ignore = …)`, from the crate's
/// build script), so that the run's summary counts it as skipped.
#[test]
fn a_gated_test_that_does_not_run_is_counted_as_skipped() {
    let mut files = Vec::new();
    rust_files(&workspace().join("crates"), &mut files);
    let mut gated = 0;
    let mut unmarked = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        for (i, l) in lines.iter().enumerate() {
            if !l.contains("eprintln!(\"skipped:") {
                continue;
            }
            gated += 1;
            // The test function this early return is in, and the attributes above it.
            let Some(start) = (0..i).rev().find(|&j| lines[j].trim_start().starts_with("fn ") || lines[j].trim_start().starts_with("async fn ")) else { continue };
            let attrs = (0..start).rev().take_while(|&j| lines[j].trim_start().starts_with("#[") || lines[j].trim_start().starts_with("///"));
            if !attrs.into_iter().any(|j| (lines[j].contains("cfg_attr(not(gated_") || lines[j].contains("cfg_attr(not(all(gated_")) && lines[j].contains("ignore")) {
                unmarked.push(format!("{}:{}", f.display(), start + 1));
            }
        }
    }
    assert!(gated >= 6, "the gated tests were found: {gated}");
    assert!(unmarked.is_empty(), "gated tests not marked ignored when their gate is off:\n{}", unmarked.join("\n"));
}
