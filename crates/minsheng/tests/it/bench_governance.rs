//! `minsheng bench governance` at a tiny size: estates registered, Open311 reports posted over
//! HTTP at a fixed rate and every one answered and stored, synthetic issues loaded, the reads
//! timed, the table printed and the figures written as JSON.

use serde_json::Value;

use crate::helpers::run_in;

#[test]
fn the_governance_benchmark_runs_at_a_tiny_size() {
    let dir = tempfile::tempdir().expect("tempdir");
    let json = dir.path().join("governance.json");
    let json_s = json.display().to_string();
    let args = [
        "bench", "governance", "--estates", "12", "--owners", "3", "--incomes", "2", "--rate", "40", "--seconds", "2", "--clients", "4", "--issues", "3000", "--reads", "10",
        "--json", &json_s,
    ];
    let r = run_in(dir.path(), &args);
    r.expect_code(0, "bench governance");
    for line in ["POST open311 requests.json", "GET issues?estate=", "GET estates/{id}/funds", "GET open311 requests.json", "targets:"] {
        assert!(r.stdout.contains(line), "{line}: {}", r.stdout);
    }
    let f: Value = serde_json::from_str(&std::fs::read_to_string(&json).expect("the figures")).expect("json");
    let posted = f["posted"].as_i64().unwrap_or(0);
    assert!(posted >= 60, "most of the 80 reports offered were answered: {f}");
    assert_eq!(f["stored"].as_i64(), Some(posted), "every report answered was stored: {f}");
    assert_eq!(f["posts"]["errors"].as_u64(), Some(0), "{f}");
    assert_eq!(f["issues_loaded"].as_u64(), Some(3000), "{f}");
    for read in ["estate_open_issues", "estate_funds", "open311_open_requests"] {
        assert_eq!(f[read]["errors"].as_u64(), Some(0), "{read}: {f}");
        assert!(f[read]["requests"].as_u64().unwrap_or(0) >= 5, "{read}: {f}");
    }
}
