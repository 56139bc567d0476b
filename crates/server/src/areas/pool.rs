//! 数据同池: the shared data pool, e-certificates and rider codes.

pub mod cases;
pub mod views;
pub mod http;
