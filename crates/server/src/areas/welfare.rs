//! Welfare (C2, C3): benefits without applying (免申即享) found from the registers, monthly
//! payouts, proactive discovery of households in difficulty, the relief directory and each
//! household's happiness list (幸福清单). The engine is the `welfare` crate; here are the register
//! facts it is given, the use cases, views and the HTTP handlers with the area's routes and policy.

pub mod cases;
pub mod facts;
pub mod http;
pub mod views;
