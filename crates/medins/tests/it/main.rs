//! The medical-insurance engine's tests as an outsider: grouping decisions pinned by hand,
//! bed-day tiers worked out by hand, settlements (points, point value, outliers, re-admissions,
//! refusals, reproducibility), the seed's figures from episodes, the data files, and the
//! synthetic district.

mod helpers;

mod bed_day;
mod data_files;
mod grouping;
mod indicators;
mod settlement;
mod synth;
