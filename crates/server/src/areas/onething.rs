//! 一件事: one-thing services — filing a bundle of items once, the departments' cases, supervision,
//! ratings and reductions.

pub mod cases;
pub mod views;
pub mod http;
