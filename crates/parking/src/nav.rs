//! Navigation links to a destination: a `geo:` URI (RFC 5870, with the `q` label Android map apps
//! read), Amap (高德), Baidu (the app's scheme and its web page) and Apple Maps, with names
//! percent-encoded as UTF-8. All coordinates are WGS 84 (each link says so where the app asks).

use std::fmt::Write;

use serde::Serialize;

use crate::lot::Point;

/// The `src` Baidu's URI API asks every caller to name itself with.
pub const BAIDU_SRC: &str = "webapp.minsheng.parking";

/// Percent-encodes a URI component: every byte of the UTF-8 text but the unreserved characters of
/// RFC 3986 (`A–Z a–z 0–9 - . _ ~`) becomes `%XX`.
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// A coordinate as the links write it: up to 6 decimals (about 10 cm).
fn coord(x: f64) -> String {
    let s = format!("{x:.6}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".to_owned() } else { s.to_owned() }
}

/// The links for one destination.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NavLinks {
    /// `geo:lat,lon?q=lat,lon(name)`.
    pub geo: String,
    /// Amap (高德地图): opens the app when installed, else its web page.
    pub amap: String,
    /// Baidu Maps' app scheme (`baidumap://`).
    pub baidu_app: String,
    /// Baidu Maps' web page, when the app is not installed.
    pub baidu_web: String,
    /// Apple Maps.
    pub apple: String,
}

/// Navigation links to drive to `to`, labelled `name`.
pub fn links(to: Point, name: &str) -> NavLinks {
    let (lat, lon) = (coord(to.lat), coord(to.lon));
    let n = encode(name);
    NavLinks {
        geo: format!("geo:{lat},{lon}?q={lat},{lon}({n})"),
        amap: format!("https://uri.amap.com/navigation?to={lon},{lat},{n}&mode=car&coordinate=wgs84&callnative=1"),
        baidu_app: format!("baidumap://map/direction?destination=latlng:{lat},{lon}%7Cname:{n}&coord_type=wgs84&mode=driving&src={BAIDU_SRC}"),
        baidu_web: format!("https://api.map.baidu.com/marker?location={lat},{lon}&title={n}&content={n}&output=html&coord_type=wgs84&src={BAIDU_SRC}"),
        apple: format!("https://maps.apple.com/?daddr={lat},{lon}&dirflg=d&q={n}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_percent_encoded_as_utf8() {
        assert_eq!(encode("富阳 P1&x=1"), "%E5%AF%8C%E9%98%B3%20P1%26x%3D1");
        assert_eq!(encode("a-b_c.d~e"), "a-b_c.d~e");
        assert_eq!(encode("(|#?/+)"), "%28%7C%23%3F%2F%2B%29");
    }

    #[test]
    fn every_link_carries_the_point_and_the_label() {
        let l = links(Point::new(30.048_123_4, 119.960_5), "一院 P1");
        assert_eq!(l.geo, "geo:30.048123,119.9605?q=30.048123,119.9605(%E4%B8%80%E9%99%A2%20P1)");
        assert_eq!(l.amap, "https://uri.amap.com/navigation?to=119.9605,30.048123,%E4%B8%80%E9%99%A2%20P1&mode=car&coordinate=wgs84&callnative=1");
        assert_eq!(
            l.baidu_app,
            "baidumap://map/direction?destination=latlng:30.048123,119.9605%7Cname:%E4%B8%80%E9%99%A2%20P1&coord_type=wgs84&mode=driving&src=webapp.minsheng.parking"
        );
        assert!(l.baidu_web.starts_with("https://api.map.baidu.com/marker?location=30.048123,119.9605&title=%E4%B8%80"));
        assert_eq!(l.apple, "https://maps.apple.com/?daddr=30.048123,119.9605&dirflg=d&q=%E4%B8%80%E9%99%A2%20P1");
        for s in [&l.geo, &l.amap, &l.baidu_app, &l.baidu_web, &l.apple] {
            assert!(s.is_ascii() && !s.contains(' ') && !s.contains('|'), "{s}");
        }
        assert!(links(Point::new(-23.5, -46.6), "x").geo.starts_with("geo:-23.5,-46.6?"));
    }
}
