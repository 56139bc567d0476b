//! 15-minute service circles: the analysis, its maps and files, and its street network lent to
//! other areas (`streets`: the guardian's dispatch).

pub mod cases;
pub mod views;
pub mod http;
pub mod samples;
pub mod streets;
