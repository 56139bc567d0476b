//! 15-minute service circles: walking network, reach, coverage, balance index and five-colour warnings.
//!
//! The engine is plain Rust over plain data: it reads OpenStreetMap PBF files, CSV and GeoJSON,
//! and writes GeoJSON, CSV and SVG, but knows nothing of HTTP, SQL or terminals. Long operations
//! take a [`Progress`] so a CLI can draw a bar and a server can report how far a run has come.
//!
//! The pipeline: [`osm::import`] builds a [`Graph`] (a compact CSR walking network);
//! [`facilities`] and [`population`] snap services and residents onto its edges; [`areas`]
//! assigns them to towns, communities or H3 cells; [`reach`] runs the shortest-path searches;
//! [`coverage`], [`e2sfca`] and [`warning`] turn times into indicators; [`analysis::Analysis`]
//! ties it together and [`output`] writes the results. [`service_network`] scores the
//! "1+2+22+N" service network (share of personal items handleable near home).

pub mod analysis;
pub mod areas;
pub mod bench;
#[cfg(feature = "cli")]
pub mod cli;
pub mod coverage;
pub mod csvfile;
pub mod drive;
pub mod e2sfca;
pub mod error;
pub mod facilities;
pub mod geom;
pub mod graph;
pub mod norms;
pub mod osm;
pub mod output;
pub mod pbf_write;
pub mod population;
pub mod progress;
pub mod reach;
pub mod service_network;
pub mod snap;
pub mod synth;
pub mod warning;

pub use analysis::{Analysis, AnalysisInputs, AnalysisOptions, AreaSource, PopulationInput};
pub use error::{Error, Result};
pub use graph::Graph;
pub use norms::{Norms, Profile};
pub use progress::{NoProgress, Progress};
