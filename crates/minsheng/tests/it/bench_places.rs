//! `minsheng bench places` at a tiny size: the allocation timed by the engine and through the use
//! case over a scratch store, the round saved, the lottery committed, drawn, verified and made
//! twice from one seed with the same order, its digest printed, the figures written as JSON.

use serde_json::Value;

use crate::helpers::run_in;

#[test]
fn the_places_benchmark_runs_at_a_tiny_size() {
    let dir = tempfile::tempdir().expect("tempdir");
    let json = dir.path().join("places.json");
    let json_s = json.display().to_string();
    let args = ["bench", "places", "--applicants", "400", "--institutions", "20", "--lottery", "600", "--homes", "40", "--runs", "3", "--rounds", "2", "--json", &json_s];
    let r = run_in(dir.path(), &args);
    r.expect_code(0, "bench places");
    for line in ["allocate (engine", "plan_round (use case", "beyond the engine", "saving the round", "commit (", "draw (", "verify (", "order digest", "targets:"] {
        assert!(r.stdout.contains(line), "{line}: {}", r.stdout);
    }
    let f: Value = serde_json::from_str(&std::fs::read_to_string(&json).expect("the figures")).expect("json");
    assert_eq!(f["applicants"].as_u64(), Some(400), "{f}");
    assert_eq!(f["institutions"].as_u64(), Some(20), "{f}");
    assert_eq!(f["documents_loaded"].as_u64(), Some(420), "{f}");
    assert!(f["offered"].as_u64().unwrap_or(0) > 0, "{f}");
    assert_eq!(f["allocation"]["runs"].as_u64(), Some(3), "{f}");
    assert_eq!(f["plan_round"]["runs"].as_u64(), Some(2), "{f}");
    assert_eq!(f["lottery_households"].as_u64(), Some(600), "{f}");
    assert_eq!(f["reproducible"].as_bool(), Some(true), "{f}");
    let digest = f["order_digest"].as_str().unwrap_or_default();
    assert_eq!(digest.len(), 64, "{f}");
    assert!(r.stdout.contains(digest), "the digest printed: {}", r.stdout);

    // The same seed, the same order, run after run.
    let again = run_in(dir.path(), &["bench", "places", "--applicants", "50", "--institutions", "5", "--lottery", "600", "--homes", "40", "--runs", "1", "--rounds", "1"]);
    again.expect_code(0, "bench places again");
    assert!(again.stdout.contains(digest), "the same digest from the same seed: {}", again.stdout);
}
