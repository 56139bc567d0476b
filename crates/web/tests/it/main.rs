//! The web pages' tests: a real server (API and pages) on port 0 with a fresh SQLite district;
//! page checks over HTTP always, and the whole story in headless Chromium with axe-core when
//! `MINSHENG_BROWSER_TESTS=1` (see `browser.rs`).

mod browser;
mod governance;
mod guardian;
mod helpers;
mod library;
mod medins;
mod pages;
mod parking;
mod places;
mod policy;
mod queue;
mod sessions;
mod register;
mod webdriver;
mod welfare;
