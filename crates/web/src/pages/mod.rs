//! The page handlers, by audience, and the helpers they share (names in the page's language,
//! dates in China time, status tags).

pub mod apply;
pub mod auth;
pub mod cockpit;
pub mod detail;
pub mod governance;
pub mod guardian;
pub mod hall;
pub mod medins;
pub mod mine;
pub mod parking;
pub mod library;
pub mod places;
pub mod queue;
pub mod staff;
pub mod supervision;
pub mod welfare;

use catalog::Catalog;
use chrono::{DateTime, NaiveDate, Utc};
use maud::Markup;
use onething::{AppStatus, CaseStatus};

use crate::ctx::Ctx;
use crate::i18n::Lang;
use crate::layout::tag;

/// The banner that says what was just done (`?done=…`), announced to screen readers and focused.
pub(crate) fn banner_markup(b: Option<&String>) -> Markup {
    maud::html! { @if let Some(b) = b { div.banner role="status" tabindex="-1" data-autofocus { p { strong { (b) } } } } }
}

/// A text of the page's language by key, or `fallback` (a code the texts do not name).
pub(crate) fn named(ctx: &Ctx, key: &str, fallback: &str) -> String {
    ctx.lang.try_t(key).unwrap_or_else(|| fallback.to_owned())
}

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

/// Digits of a whole number in groups of three: `"1234567"` → `"1,234,567"` (a leading `-` kept).
fn grouped(int: &str) -> String {
    let (sign, digits) = int.strip_prefix('-').map_or(("", int), |d| ("-", d));
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    format!("{sign}{out}")
}

/// An amount of fen as yuan with two decimals and thousands separators: `¥1,234,567.89`.
pub fn yuan(fen: i64) -> String {
    let s = domain::Fen(fen).to_yuan_string();
    let (sign, s) = s.strip_prefix('-').map_or(("", s.as_str()), |r| ("-", r));
    let (int, dec) = s.split_once('.').unwrap_or((s, "00"));
    format!("{sign}¥{}.{dec}", grouped(int))
}

/// A number with `decimals` decimals and thousands separators: `12,345.68`.
pub fn number(x: f64, decimals: usize) -> String {
    if !x.is_finite() {
        return "—".to_owned();
    }
    let s = format!("{x:.decimals$}");
    match s.split_once('.') {
        Some((int, dec)) => format!("{}.{dec}", grouped(int)),
        None => grouped(&s),
    }
}

/// A change in per cent with its sign and one decimal: `−18.1 %`, `+3.0 %`, `0.0 %`.
pub fn signed_pct(x: f64) -> String {
    let abs = format!("{:.1}", x.abs());
    let sign = if abs == "0.0" || !x.is_finite() {
        ""
    } else if x < 0.0 {
        "\u{2212}"
    } else {
        "+"
    };
    format!("{sign}{abs} %")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_and_numbers_read_as_people_write_them() {
        assert_eq!(yuan(0), "¥0.00");
        assert_eq!(yuan(5), "¥0.05");
        assert_eq!(yuan(123_456_789), "¥1,234,567.89");
        assert_eq!(yuan(100_000), "¥1,000.00");
        assert_eq!(yuan(99_999), "¥999.99");
        assert_eq!(yuan(-150), "-¥1.50");
        assert_eq!(number(12345.678, 2), "12,345.68");
        assert_eq!(number(-1234.0, 0), "-1,234");
        assert_eq!(number(9.44, 1), "9.4");
        assert_eq!(signed_pct(-18.06), "\u{2212}18.1 %");
        assert_eq!(signed_pct(3.0), "+3.0 %");
        assert_eq!(signed_pct(-0.01), "0.0 %");
    }
}

/// A refusal of a use case that belongs on the form it came from (the rest become error pages).
pub fn on_form(e: &server::failure::Failure) -> bool {
    use server::failure::Failure;
    matches!(e, Failure::Invalid { .. } | Failure::Conflict { .. } | Failure::Forbidden { .. })
}

/// A use case's refusal as a form's errors: its field renamed to the form's input it concerns
/// (`rename`: the use case's field, or a list field's element `field[i]`, → the input), else on
/// top of the form.
pub fn form_errors(ctx: &crate::ctx::Ctx, e: &server::failure::Failure, rename: &[(&str, String)]) -> crate::layout::Errors {
    let mut errors = crate::layout::Errors::from_api(ctx.lang, e);
    for (f, _) in &mut errors.0 {
        *f = rename.iter().find(|(from, _)| f.as_str() == *from || f.starts_with(&format!("{from}["))).map(|(_, to)| to.clone()).unwrap_or_default();
    }
    errors
}
