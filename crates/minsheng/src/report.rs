//! Plain-text rendering of reports for the terminal.

use server::areas::onething::views::ReductionLine;
use server::areas::onething::views::ReductionReport;

fn pct(v: &serde_json::Value, key: &str) -> String {
    match v.get(key).and_then(serde_json::Value::as_f64) {
        Some(f) => format!("{:+.1}%", -f * 100.0),
        None => "—".to_owned(),
    }
}

fn num(v: &serde_json::Value, key: &str) -> u64 {
    v.get(key).and_then(serde_json::Value::as_u64).unwrap_or(0)
}

fn line(l: &ReductionLine) -> String {
    format!(
        "{:<20} {:>6}  {:>6}→{:<6} {:>7}  {:>5}→{:<5} {:>7}  {:>6}→{:<6} {:>7}\n",
        truncate(&l.name, 10),
        l.applications,
        num(&l.baseline, "materials"),
        num(&l.actual, "materials"),
        pct(&l.reduction, "materials"),
        num(&l.baseline, "trips"),
        num(&l.actual, "trips"),
        pct(&l.reduction, "trips"),
        num(&l.baseline, "days"),
        num(&l.actual, "days"),
        pct(&l.reduction, "days"),
    )
}

fn truncate(s: &str, n: usize) -> String {
    let t: String = s.chars().take(n).collect();
    // Chinese characters take two columns: pad by display width.
    let width: usize = t.chars().map(|c| if c.is_ascii() { 1 } else { 2 }).sum();
    format!("{t}{}", " ".repeat(20usize.saturating_sub(width)))
}

/// The reductions report as a table: item by item → actual, per bundle and in total.
pub fn reductions_table(r: &ReductionReport) -> String {
    let mut out = String::new();
    out.push_str("减材料、减跑动、减时间 Reductions against applying item by item (completed applications)\n\n");
    out.push_str(&format!(
        "{:<20} {:>6}  {:^22}  {:^20}  {:^22}\n",
        "一件事 bundle", "件数", "材料 materials", "跑动 trips", "工作日 days"
    ));
    for l in &r.bundles {
        if l.applications > 0 {
            out.push_str(&line(l));
        }
    }
    out.push_str(&"-".repeat(98));
    out.push('\n');
    out.push_str(&line(&r.total));
    out.push_str(&format!("\n公式 formula: {}\n", r.formula));
    out
}
