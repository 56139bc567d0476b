//! `minsheng circles …` as the real binary: the São Paulo analysis with the 1+2+22+N service
//! network printed and written, a bad centres file that fails naming the file, the synthetic
//! network generator, and the help texts.

use serde_json::Value;

use crate::helpers::{run_in, workspace};

const SAO_PAULO: &[&str] = &[
    "circles",
    "analyse",
    "--osm",
    "data/osm/sao-paulo-centre.osm.pbf",
    "--population",
    "data/osm/sao-paulo-hexgrid-population.csv",
    "--facility-column",
    "schools=primary_school",
    "--quiet",
];

#[test]
fn analyse_sao_paulo_with_the_service_network() {
    let out = tempfile::tempdir().expect("tempdir");
    let o = out.path().display().to_string();
    let mut args = SAO_PAULO.to_vec();
    args.extend(["--centres", "data/circles/sao-paulo-centres.csv", "--catalog", "catalog", "--cell-files", "--out", &o]);
    let r = run_in(&workspace(), &args);
    r.expect_code(0, "circles analyse");
    assert!(r.stdout.contains("residents: 517570 from H3 cells"), "{}", r.stdout);
    assert!(r.stdout.contains("network: 6019 nodes, 9239 edges"), "{}", r.stdout);
    let school = r.stdout.lines().find(|l| l.starts_with("primary_school")).expect("a primary_school row");
    assert!(school.contains("22.7%") && school.contains("70.9%") && school.contains("89.4%"), "{school}");

    // Point 9, printed and written.
    let personal = catalog::Catalog::load_dir(&workspace().join("catalog"))
        .expect("catalog")
        .items()
        .filter(|i| i.subject == catalog::Subject::Person)
        .count();
    assert!(r.stdout.contains(&format!("service network 1+2+22+N: {personal} personal items")), "{}", r.stdout);
    assert!(r.stdout.contains("near-home share of personal items:"), "{}", r.stdout);
    for f in ["service-network.json", "areas.geojson", "areas.csv", "summary.json", "map.svg", "map-primary_school.svg"] {
        assert!(out.path().join(f).is_file(), "{f} written");
    }
    let net: Value = serde_json::from_str(&std::fs::read_to_string(out.path().join("service-network.json")).expect("read")).expect("json");
    assert_eq!(net["items"].as_u64(), Some(personal as u64));
    let share = net["district"]["share"].as_f64().expect("share");
    assert!((0.0..=1.0).contains(&share));
    let printed = format!("near-home share of personal items: {:.1}%", share * 100.0);
    assert!(r.stdout.contains(&printed), "{printed} in\n{}", r.stdout);
    let centres: u64 = net["levels"].as_array().expect("levels").iter().filter_map(|l| l["centres"].as_u64()).sum();
    assert_eq!(centres, 60);
    assert!(std::fs::read_to_string(out.path().join("map.svg")).expect("svg").starts_with("<svg"));

    // Without --centres there is no service network.
    let plain = tempfile::tempdir().expect("tempdir");
    let p = plain.path().display().to_string();
    let mut args = SAO_PAULO.to_vec();
    args.extend(["--out", &p]);
    let r = run_in(&workspace(), &args);
    r.expect_code(0, "circles analyse without centres");
    assert!(!r.stdout.contains("service network") && !plain.path().join("service-network.json").exists());
}

#[test]
fn a_bad_centres_file_fails_naming_the_file_and_line() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bad = dir.path().join("centres.csv");
    std::fs::write(&bad, "level,name,lon,lat\ndistrict,centre,-46.639,-23.548\nprovince,x,-46.63,-23.55\n").expect("write");
    let b = bad.display().to_string();
    let o = dir.path().join("out").display().to_string();
    let mut args = SAO_PAULO.to_vec();
    args.extend(["--centres", &b, "--out", &o]);
    let r = run_in(&workspace(), &args);
    r.expect_code(1, "bad centres");
    assert!(r.stderr.contains("centres.csv") && r.stderr.contains("line 3") && r.stderr.contains("level"), "{}", r.stderr);
    assert!(!dir.path().join("out").exists(), "nothing written before the inputs are checked");
    // --catalog needs --centres.
    let r = run_in(&workspace(), &["circles", "analyse", "--osm", "x.pbf", "--out", &o, "--catalog", "catalog"]);
    assert_eq!(r.code, Some(2), "{r:?}");
}

#[test]
fn synth_and_help() {
    let dir = tempfile::tempdir().expect("tempdir");
    let o = dir.path().display().to_string();
    let r = run_in(dir.path(), &["circles", "synth", "--nodes", "2500", "--facilities", "70", "--out", &o]);
    r.expect_code(0, "circles synth");
    for f in ["network.osm.pbf", "facilities.csv", "population.csv"] {
        assert!(dir.path().join(f).is_file(), "{f}");
    }
    let v: Value = serde_json::from_str(&r.stdout).expect("a JSON report");
    assert!(v.is_object(), "{v}");

    let r = run_in(dir.path(), &["circles", "--help"]);
    r.expect_code(0, "circles --help");
    for cmd in ["analyse", "synth", "bench"] {
        assert!(r.stdout.lines().any(|l| l.trim_start().starts_with(cmd)), "{cmd} in\n{}", r.stdout);
    }
    let r = run_in(dir.path(), &["circles", "analyse", "--help"]);
    for opt in ["--osm", "--population", "--areas", "--centres", "--catalog", "--service-minutes", "--profile", "--out"] {
        assert!(r.stdout.contains(opt), "{opt} in\n{}", r.stdout);
    }
}
