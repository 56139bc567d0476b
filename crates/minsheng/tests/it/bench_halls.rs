//! `minsheng bench halls` at a tiny size: the hall day simulated with its estimates' error, the
//! live board's delay after calls over HTTP and tickets taken a second, printed and written as
//! JSON (figures only: nothing here is timed against a target).

use serde_json::Value;

use crate::helpers::run_in;

#[test]
fn the_halls_benchmark_runs_at_a_tiny_size() {
    let dir = tempfile::tempdir().expect("tempdir");
    let json = dir.path().join("halls.json");
    let json_s = json.display().to_string();
    let args = ["bench", "halls", "--tickets", "300", "--windows", "16", "--runs", "2", "--calls", "12", "--clients", "2", "--take-seconds", "1", "--json", &json_s];
    let r = run_in(dir.path(), &args);
    r.expect_code(0, "bench halls");
    for line in ["simulate (the day", "call → live board event", "estimate vs actual wait: median |error|", "take (POST tickets)", "targets:"] {
        assert!(r.stdout.contains(line), "{line}: {}", r.stdout);
    }
    let f: Value = serde_json::from_str(&std::fs::read_to_string(&json).expect("the figures")).expect("json");
    assert_eq!((f["tickets"].as_u64(), f["windows"].as_u64()), (Some(300), Some(16)), "{f}");
    assert_eq!(f["simulate"]["n"].as_u64(), Some(2), "{f}");
    assert!(f["served"].as_u64().unwrap_or(0) > 200, "{f}");
    assert!(f["median_abs_error_s"].as_f64().is_some_and(|e| e.is_finite() && e >= 0.0), "{f}");
    assert_eq!(f["board_update"]["n"].as_u64(), Some(12), "every call seen on the board: {f}");
    assert!(f["board_update"]["max_ms"].as_f64().is_some_and(|m| m < 10_000.0), "{f}");
    assert!(f["take"]["requests"].as_u64().unwrap_or(0) > 0 && f["take"]["errors"].as_u64() == Some(0), "{f}");
}
