//! Integration tests of the catalog: the demo catalog, one bad catalog per rule, and the bundle helpers.

mod bad;
mod demo;
mod helpers;
