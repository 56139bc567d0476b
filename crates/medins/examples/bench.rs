//! Runs the medical-insurance benchmark and prints its table:
//! `cargo run --release -p medins --example bench -- 1000000`.

fn main() {
    let n = std::env::args().nth(1).and_then(|a| a.replace(['_', ','], "").parse().ok()).unwrap_or(1_000_000);
    match medins::bench::run(n) {
        Ok(report) => print!("{}", report.table()),
        Err(e) => {
            eprintln!("benchmark failed: {e}");
            std::process::exit(1);
        }
    }
}
