//! The page handlers, by audience, and the helpers they share (names in the page's language,
//! dates in China time, status tags).

pub mod apply;
pub mod auth;
pub mod cockpit;
pub mod detail;
pub mod hall;
pub mod mine;
pub mod staff;
pub mod supervision;

use catalog::Catalog;
use chrono::{DateTime, NaiveDate, Utc};
use maud::Markup;
use onething::{AppStatus, CaseStatus};

use crate::i18n::Lang;
use crate::layout::tag;

pub fn dept_name(c: &Catalog, code: &str, lang: Lang) -> String {
    c.department(code).map(|d| lang.pick(&d.name, &d.name_en).to_owned()).unwrap_or_else(|| code.to_owned())
}

pub fn item_name(c: &Catalog, code: &str, lang: Lang) -> String {
    c.item(code).map(|i| lang.pick(&i.name, &i.name_en).to_owned()).unwrap_or_else(|| code.to_owned())
}

pub fn target_name(c: &Catalog, kind: &str, code: &str, lang: Lang) -> String {
    match kind {
        "bundle" => c.bundle(code).map(|b| lang.pick(&b.name, &b.name_en).to_owned()).unwrap_or_else(|| code.to_owned()),
        _ => item_name(c, code, lang),
    }
}

pub fn date(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

pub fn opt_date(d: Option<NaiveDate>) -> String {
    d.map(date).unwrap_or_else(|| "—".to_owned())
}

/// A time in China (UTC+8), to the minute.
pub fn time(t: DateTime<Utc>) -> String {
    domain::china_time(t).format("%Y-%m-%d %H:%M").to_string()
}

pub fn app_status_tag(lang: Lang, code: &str) -> Markup {
    let s = AppStatus::parse(code);
    let name = s.map(|s| lang.pick(s.name_zh(), s.name_en()).to_owned()).unwrap_or_else(|| code.to_owned());
    let class = match code {
        "completed" => "ok",
        "supplementing" | "partially_completed" => "warn",
        "rejected" => "bad",
        "withdrawn" => "grey",
        _ => "info",
    };
    tag(class, &name)
}

pub fn case_status_tag(lang: Lang, code: &str, state_name: Option<&str>) -> Markup {
    let s = CaseStatus::parse(code);
    let name = match state_name {
        Some(n) if code == "active" || code == "paused" => n.to_owned(),
        _ => s.map(|s| lang.pick(s.name_zh(), s.name_en()).to_owned()).unwrap_or_else(|| code.to_owned()),
    };
    let class = match code {
        "approved" => "ok",
        "paused" => "warn",
        "rejected" => "bad",
        "cancelled" | "waiting" => "grey",
        _ => "info",
    };
    tag(class, &name)
}

/// How urgent a case is: overdue, due soon (warned or ≤ 2 working days), or on time.
pub fn deadline_tag(lang: Lang, days_left: Option<i64>, overdue: bool, warned: bool) -> Markup {
    if overdue {
        return tag("bad", &lang.t("deadline-overdue"));
    }
    match days_left {
        Some(d) if d < 0 => tag("bad", &lang.t("deadline-overdue")),
        Some(d) if warned || d <= 2 => tag("warn", &lang.ta("deadline-days-left", crate::args![("n", d)])),
        Some(d) => tag("ok", &lang.ta("deadline-days-left", crate::args![("n", d)])),
        None => tag("grey", &lang.t("deadline-none")),
    }
}

/// A share as a percentage with one decimal ("80.3%"), or "—".
pub fn pct(x: Option<f64>) -> String {
    match x {
        Some(v) => format!("{:.1}%", v * 100.0),
        None => "—".to_owned(),
    }
}
