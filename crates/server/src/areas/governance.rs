//! Community governance (issue 33, F1–F4 and the complaint half of A10): estates with their three
//! parties, residents' issues over the pages, the JSON API and Open311 GeoReport v2, permits
//! matched to noise complaints, estate funds, meetings and votes, supervised projects.

pub mod cases;
pub mod civic;
pub mod http;
pub mod open311;
pub mod views;
