//! 15-minute service circles: the analysis, its maps and files.

pub mod cases;
pub mod views;
pub mod http;
pub mod samples;
