//! The stylesheet and the small script, embedded in the binary and served with a long cache life
//! (their URLs carry the version).

use axum::http::HeaderValue;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};

pub const CSS_URL: &str = concat!("/static/app.css?v=", env!("CARGO_PKG_VERSION"));
pub const JS_URL: &str = concat!("/static/app.js?v=", env!("CARGO_PKG_VERSION"));

const CSS: &str = include_str!("../static/app.css");
const JS: &str = include_str!("../static/app.js");
const GUARDIAN_JS: &str = include_str!("../static/guardian.js");
const QUEUE_CSS: &str = include_str!("../static/queue.css");
const QUEUE_JS: &str = include_str!("../static/queue.js");
const PARKING_CSS: &str = include_str!("../static/parking.css");
const PARKING_JS: &str = include_str!("../static/parking.js");

fn asset(content_type: &'static str, body: &'static str) -> Response {
    let mut r = body.into_response();
    r.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    r.headers_mut().insert(CACHE_CONTROL, HeaderValue::from_static("public, max-age=86400"));
    r
}

pub async fn css() -> Response {
    asset("text/css; charset=utf-8", CSS)
}

pub async fn js() -> Response {
    asset("text/javascript; charset=utf-8", JS)
}

/// The guardian console's live feed (its page only).
pub async fn guardian_js() -> Response {
    asset("text/javascript; charset=utf-8", GUARDIAN_JS)
}

/// The service halls' kiosk, board and ticket styles (their pages only).
pub async fn queue_css() -> Response {
    asset("text/css; charset=utf-8", QUEUE_CSS)
}

/// Live tickets, boards and queues of the service halls (the pages work without it).
pub async fn queue_js() -> Response {
    asset("text/javascript; charset=utf-8", QUEUE_JS)
}

/// The parking pages' map, sign and buttons (their pages only).
pub async fn parking_css() -> Response {
    asset("text/css; charset=utf-8", PARKING_CSS)
}

/// "Use my location" and a sign's counts kept current (the pages work without it).
pub async fn parking_js() -> Response {
    asset("text/javascript; charset=utf-8", PARKING_JS)
}
