//! API tests: the real server on port 0 with a fresh database, driven over HTTP.

mod access;
mod deadlines;
mod errors;
mod helpers;
mod notices;
mod schema;
mod story;
