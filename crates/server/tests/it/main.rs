//! API tests: the real server on port 0 with a fresh database, driven over HTTP.

mod helpers;
mod story;
