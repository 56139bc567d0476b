//! Identity: accounts, signing in, sessions and registration.

pub mod cases;
pub mod views;
pub mod http;
