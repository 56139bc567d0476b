//! The one-thing engine's stories: every test runs applications through `Engine` with the China
//! calendar and a clock moved by hand, on the demo catalog or on tiny hand-checkable ones.

mod harness;
mod tiny;

mod chain;
mod collect_once;
mod deadlines;
mod errors;
mod properties;
mod ratings;
mod reductions;
mod stories;
mod workflow;
