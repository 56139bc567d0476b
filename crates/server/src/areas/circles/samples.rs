//! The sample city shipped with minsheng (central São Paulo: its OSM streets, the Ipea population
//! grid with its schools, demo service centres), embedded in the binary, so that the default
//! configuration works wherever the server is started (issue 37: the defaults were paths relative
//! to the source tree); and the rule that an analysis of the sample is labelled as the sample
//! city, never shown as the district.

use std::path::{Path, PathBuf};

/// The shipped sample files: (file name, content).
const FILES: &[(&str, &[u8])] = &[
    ("sao-paulo-centre.osm.pbf", include_bytes!("../../../../../data/osm/sao-paulo-centre.osm.pbf")),
    ("sao-paulo-hexgrid-population.csv", include_bytes!("../../../../../data/osm/sao-paulo-hexgrid-population.csv")),
    ("sao-paulo-centres.csv", include_bytes!("../../../../../data/circles/sao-paulo-centres.csv")),
];

/// What the sample's street network is, for the labels: (Chinese, English).
pub const CITY: (&str, &str) = ("示例数据：巴西圣保罗市中心（非本区）", "Sample data: central São Paulo, Brazil (not the district)");

/// Whether `path` names a shipped sample file.
pub fn is_sample(path: &Path) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
    FILES.iter().any(|(f, _)| *f == name)
}

/// Where to read a configured input: as given if it exists (absolute, or relative to the
/// working directory), else beside the data directory, else — for a shipped sample file — the
/// embedded copy, written once under `data_dir/samples/`.
pub fn resolve(path: &Path, data_dir: &Path) -> PathBuf {
    if path.exists() || path.is_absolute() {
        return path.to_owned();
    }
    let beside = data_dir.join(path);
    if beside.exists() {
        return beside;
    }
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
    let Some((_, bytes)) = FILES.iter().find(|(f, _)| *f == name) else { return path.to_owned() };
    let copy = data_dir.join("samples").join(name);
    let fresh = std::fs::metadata(&copy).is_ok_and(|m| m.len() == bytes.len() as u64);
    if !fresh {
        let written = std::fs::create_dir_all(data_dir.join("samples")).and_then(|()| {
            let tmp = copy.with_extension("tmp");
            std::fs::write(&tmp, bytes)?;
            std::fs::rename(&tmp, &copy)
        });
        if let Err(e) = written {
            tracing::warn!(error = %e, file = name, "could not write the embedded sample file");
            return path.to_owned();
        }
    }
    copy
}

/// A path as people may see it: the file name only, never the server's directories.
pub fn shown(path: &Path) -> String {
    path.file_name().map_or_else(|| "(file)".to_owned(), |n| n.to_string_lossy().into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sample_is_found_wherever_the_server_starts() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = resolve(Path::new("data/osm/sao-paulo-centre.osm.pbf"), dir.path());
        // From a working directory without the source tree (tests run in crates/server).
        assert!(p.starts_with(dir.path()) && p.exists(), "{}", p.display());
        assert!(is_sample(&p));
        assert_eq!(shown(&p), "sao-paulo-centre.osm.pbf");
        // Another file is left as given (and fails, naming its setting, when read).
        let q = resolve(Path::new("data/osm/fuyang.osm.pbf"), dir.path());
        assert_eq!(q, Path::new("data/osm/fuyang.osm.pbf"));
        assert!(!is_sample(&q));
    }
}
