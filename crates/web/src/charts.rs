//! Charts as inline SVG, built with maud (so every label is escaped): horizontal bars, vertical
//! bars, paired bars and points on a map. Each chart has a title and description for screen readers (`role="img"`)
//! and the page shows the same figures as a table beside it; colour is never the only cue.

use maud::{Markup, html};

/// One bar: its label, its value, and the text shown at its end.
#[derive(Debug, Clone)]
pub struct Bar {
    pub label: String,
    pub value: f64,
    pub text: String,
}

const INK: &str = "#1b1b1b";
const BRAND: &str = "#0b4ea2";
const GREY: &str = "#6f777b";

fn fmt(v: f64) -> String {
    format!("{v:.1}")
}

/// Horizontal bars, one row per entry, scaled to `max` (or the largest value).
/// The width a label needs at 13 px (CJK characters are about one em, others about half).
fn label_width(s: &str) -> f64 {
    s.chars().map(|c| if c.is_ascii() { 7.5 } else { 13.5 }).sum()
}

pub fn hbars(id: &str, title: &str, desc: &str, bars: &[Bar], max: Option<f64>, colour: Option<&str>) -> Markup {
    let label_w = bars.iter().map(|b| label_width(&b.label)).fold(60.0, f64::max) + 14.0;
    let bar_w = 260.0;
    let row_h = 28.0;
    let top = 6.0;
    let max = max.unwrap_or_else(|| bars.iter().map(|b| b.value).fold(0.0, f64::max)).max(f64::EPSILON);
    let height = top * 2.0 + row_h * bars.len() as f64;
    let width = label_w + bar_w + bars.iter().map(|b| label_width(&b.text)).fold(30.0, f64::max) + 14.0;
    let fill = colour.unwrap_or(BRAND);
    html! {
        svg viewBox={ "0 0 " (fmt(width)) " " (fmt(height)) } role="img" aria-labelledby={ (id) "-t " (id) "-d" } xmlns="http://www.w3.org/2000/svg" {
            title #{ (id) "-t" } { (title) }
            desc #{ (id) "-d" } { (desc) }
            @for (i, b) in bars.iter().enumerate() {
                @let y = top + row_h * i as f64;
                @let w = (b.value / max * bar_w).clamp(0.0, bar_w);
                text.svg-text x=(fmt(label_w - 8.0)) y=(fmt(y + row_h * 0.65)) text-anchor="end" { (b.label) }
                rect x=(fmt(label_w)) y=(fmt(y + 4.0)) width=(fmt(bar_w)) height=(fmt(row_h - 10.0)) fill="#eef0f2" {}
                rect x=(fmt(label_w)) y=(fmt(y + 4.0)) width=(fmt(w.max(1.0))) height=(fmt(row_h - 10.0)) fill=(fill) {}
                text.svg-text x=(fmt(label_w + w + 6.0)) y=(fmt(y + row_h * 0.65)) fill=(INK) { (b.text) }
            }
        }
    }
}

/// Vertical bars (e.g. applications per month), with the value above each bar. Fewer than six
/// bars stand in the middle of a six-bar-wide chart, so that one month is not drawn a page wide.
pub fn vbars(id: &str, title: &str, desc: &str, bars: &[Bar]) -> Markup {
    let n = bars.len().max(1);
    let slots = n.max(6);
    let plot_h = 160.0;
    let top = 22.0;
    let bottom = 36.0;
    let slot = 40.0;
    let width = slot * slots as f64 + 20.0;
    let left = 10.0 + slot * (slots - n) as f64 / 2.0;
    let max = bars.iter().map(|b| b.value).fold(0.0, f64::max).max(f64::EPSILON);
    html! {
        svg viewBox={ "0 0 " (fmt(width)) " " (fmt(top + plot_h + bottom)) } role="img" aria-labelledby={ (id) "-t " (id) "-d" } xmlns="http://www.w3.org/2000/svg" {
            title #{ (id) "-t" } { (title) }
            desc #{ (id) "-d" } { (desc) }
            line x1="10" x2=(fmt(width - 10.0)) y1=(fmt(top + plot_h)) y2=(fmt(top + plot_h)) stroke=(GREY) {}
            @for (i, b) in bars.iter().enumerate() {
                @let x = left + slot * i as f64;
                @let h = (b.value / max * plot_h).clamp(0.0, plot_h);
                rect x=(fmt(x + 6.0)) y=(fmt(top + plot_h - h)) width=(fmt(slot - 12.0)) height=(fmt(h)) fill=(BRAND) {}
                text.svg-muted x=(fmt(x + slot / 2.0)) y=(fmt(top + plot_h - h - 5.0)) text-anchor="middle" { (b.text) }
                text.svg-muted x=(fmt(x + slot / 2.0)) y=(fmt(top + plot_h + 16.0)) text-anchor="middle" { (b.label) }
            }
        }
    }
}

/// Pairs of bars: item by item (grey) against this platform (blue), per measure, with the
/// reduction written beside each pair.
pub fn pairs(id: &str, title: &str, desc: &str, rows: &[(String, f64, f64, String)], legend: (&str, &str)) -> Markup {
    let label_w = 90.0;
    let bar_w = 250.0;
    let row_h = 56.0;
    let top = 30.0;
    let height = top + row_h * rows.len() as f64 + 6.0;
    let width = label_w + bar_w + 110.0;
    html! {
        svg viewBox={ "0 0 " (fmt(width)) " " (fmt(height)) } role="img" aria-labelledby={ (id) "-t " (id) "-d" } xmlns="http://www.w3.org/2000/svg" {
            title #{ (id) "-t" } { (title) }
            desc #{ (id) "-d" } { (desc) }
            rect x=(fmt(label_w)) y="6" width="14" height="12" fill=(GREY) {}
            text.svg-muted x=(fmt(label_w + 20.0)) y="16" { (legend.0) }
            rect x=(fmt(label_w + 150.0)) y="6" width="14" height="12" fill=(BRAND) {}
            text.svg-muted x=(fmt(label_w + 170.0)) y="16" { (legend.1) }
            @for (i, (label, base, actual, note)) in rows.iter().enumerate() {
                @let y = top + row_h * i as f64;
                @let max = base.max(*actual).max(f64::EPSILON);
                @let wb = base / max * bar_w;
                @let wa = actual / max * bar_w;
                text.svg-text x=(fmt(label_w - 8.0)) y=(fmt(y + 26.0)) text-anchor="end" { (label) }
                rect x=(fmt(label_w)) y=(fmt(y + 4.0)) width=(fmt(wb.max(1.0))) height="18" fill=(GREY) {}
                rect x=(fmt(label_w)) y=(fmt(y + 26.0)) width=(fmt(wa.max(1.0))) height="18" fill=(BRAND) {}
                text.svg-text x=(fmt(label_w + bar_w + 8.0)) y=(fmt(y + 30.0)) { (note) }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_escaped_and_bars_scaled() {
        let bars = vec![
            Bar { label: "<script>".into(), value: 2.0, text: "2".into() },
            Bar { label: "b".into(), value: 4.0, text: "4".into() },
        ];
        let svg = hbars("x", "t", "d", &bars, None, None).into_string();
        assert!(svg.contains("&lt;script&gt;"));
        assert!(!svg.contains("<script>"));
        assert!(svg.contains("width=\"130.0\""), "half of 260: {svg}");
        assert!(label_width("杭州市") > label_width("abc"));
        assert!(svg.contains("width=\"260.0\""));
        assert!(svg.contains("role=\"img\""));
    }
}

/// One point of a map: the text in its circle (a row's number), where it is, and whether it
/// stands out (an alarm waiting, a project under way).
#[derive(Debug, Clone)]
pub struct Point {
    pub label: String,
    pub lat: f64,
    pub lon: f64,
    pub marked: bool,
}

/// Points on an inline SVG scaled to their bounding box (at least about a kilometre across, so
/// that one point stands in the middle); each circle carries its label, the page lists the same
/// points beside it.
pub fn points(id: &str, title: &str, desc: &str, points: &[Point]) -> Markup {
    let (w, h, pad) = (640.0_f64, 360.0_f64, 28.0_f64);
    let (mut lat0, mut lat1, mut lon0, mut lon1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for p in points {
        lat0 = lat0.min(p.lat);
        lat1 = lat1.max(p.lat);
        lon0 = lon0.min(p.lon);
        lon1 = lon1.max(p.lon);
    }
    let (mid_lat, mid_lon) = ((lat0 + lat1) / 2.0, (lon0 + lon1) / 2.0);
    let k = mid_lat.to_radians().cos().max(0.1);
    let span_lon = ((lon1 - lon0) * k).max(0.01);
    let span_lat = (lat1 - lat0).max(0.01);
    let scale = ((w - 2.0 * pad) / span_lon).min((h - 2.0 * pad) / span_lat);
    let x = |lon: f64| w / 2.0 + (lon - mid_lon) * k * scale;
    let y = |lat: f64| h / 2.0 - (lat - mid_lat) * scale;
    html! {
        svg viewBox={ "0 0 " (w) " " (h) } role="img" aria-labelledby={ (id) "-t " (id) "-d" } xmlns="http://www.w3.org/2000/svg" {
            title id={ (id) "-t" } { (title) }
            desc id={ (id) "-d" } { (desc) }
            rect x="0" y="0" width=(w) height=(h) fill="#f3f6f8" stroke="#b1b4b6" {}
            @for p in points {
                @let (cx, cy) = (x(p.lon), y(p.lat));
                circle cx=(fmt(cx)) cy=(fmt(cy)) r="11" fill=(if p.marked { "#b0281a" } else { "#1d70b8" }) stroke="#fff" stroke-width="2" {}
                text.svg-text x=(fmt(cx)) y=(fmt(cy + 4.5)) text-anchor="middle" fill="#fff" style="fill:#fff;font-weight:700" { (p.label) }
            }
        }
    }
}
