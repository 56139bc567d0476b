//! The demo's libraries are there after seeding: the sample and synthetic catalogue, the demo
//! resident's three books delivered and on loan, a second resident's order of two; seeding again
//! changes nothing.

use std::sync::Arc;

use server::areas::library::cases;
use server::areas::library::views::TitleQuery;

use crate::seed::SeedOptions;
use crate::seed_library::SYNTH_TITLES;

#[tokio::test]
async fn the_catalogue_and_two_borrowings_are_seeded_once() {
    let dir = tempfile_dir();
    let env: Vec<(String, String)> = vec![
        ("MINSHENG__DATA_DIR".into(), dir.display().to_string()),
        ("MINSHENG__DATABASE__URL".into(), format!("sqlite://{}", dir.join("t.db").display())),
        ("MINSHENG__LISTEN".into(), "127.0.0.1:0".into()),
        ("MINSHENG__AUTH__ARGON2_MEMORY_KIB".into(), "64".into()),
        ("MINSHENG__AUTH__ARGON2_ITERATIONS".into(), "1".into()),
    ];
    let config = server::Config::load(None, env).expect("config");
    let state = server::build_state(config, Arc::new(domain::SystemClock)).await.expect("state");
    let opts = SeedOptions { residents: 300, enterprises: 10, history: 0, medins: false, welfare: false, guardian: false, governance: false, places: false, halls: false, parking: false, library: true, ..Default::default() };
    let report = crate::seed::seed_demo(&state, &opts, &mut |_, _, _| {}).await.expect("seed");
    assert!(report.logins.iter().any(|l| l.login == "wgly_clerk"), "{:?}", report.logins);
    let titles = state.store.city().mark("title").await.expect("titles").0;
    assert_eq!(titles as usize, SYNTH_TITLES + 10, "the sample's 10 titles and the district's");
    assert_eq!(state.store.city().mark("loan").await.expect("loans").0, 3, "the demo resident's three books are on loan");
    assert_eq!(state.store.city().mark("order").await.expect("orders").0, 2, "two borrowings, one parcel each");
    let found = cases::titles(&state, TitleQuery { q: Some("三体".into()), subject: None }).await.expect("search");
    assert_eq!(found.first().map(|t| t.available), Some(2), "one copy of 三体 is lent");
    // Seeding again changes nothing.
    crate::seed_library::seed_library(&state, opts.seed, &mut |_, _, _| {}).await.expect("again");
    assert_eq!(state.store.city().mark("order").await.expect("orders").0, 2);
    let _ = std::fs::remove_dir_all(&dir);
}

fn tempfile_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("minsheng-demo-library-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    dir
}
