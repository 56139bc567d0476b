//! The demo's parking guidance is there after seeding: six hospitals, their lots and signs, every
//! lot's feed key in a private file that takes readings, guidance for each hospital, and seeding
//! again changes nothing.

use std::sync::Arc;

use server::areas::parking::cases;
use server::areas::parking::views::CountBody;
use server::areas::parking::views::GuidanceQuery;
use server::areas::parking::views::ReadingBody;
use server::areas::parking::views::ReadingsBody;

use crate::seed::SeedOptions;
use crate::seed_parking::FEEDS_FILE;
use crate::seed_parking::HOSPITALS;
use crate::seed_parking::LOTS;
use crate::seed_parking::SIGNS;

struct Dir(std::path::PathBuf);

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[tokio::test]
async fn hospitals_lots_signs_and_feed_keys_are_seeded_once() {
    let dir = Dir(std::env::temp_dir().join(format!("minsheng-demo-parking-{}", std::process::id())));
    let _ = std::fs::remove_dir_all(&dir.0);
    std::fs::create_dir_all(&dir.0).expect("dir");
    let env: Vec<(String, String)> = vec![
        ("MINSHENG__DATA_DIR".into(), dir.0.display().to_string()),
        ("MINSHENG__DATABASE__URL".into(), format!("sqlite://{}", dir.0.join("t.db").display())),
        ("MINSHENG__LISTEN".into(), "127.0.0.1:0".into()),
        ("MINSHENG__AUTH__ARGON2_MEMORY_KIB".into(), "64".into()),
        ("MINSHENG__AUTH__ARGON2_ITERATIONS".into(), "1".into()),
        ("MINSHENG__PARKING__OSM".into(), "off".into()),
    ];
    let config = server::Config::load(None, env).expect("config");
    let state = server::build_state(config, Arc::new(domain::SystemClock)).await.expect("state");
    let opts = SeedOptions { residents: 300, enterprises: 10, history: 0, medins: false, welfare: false, guardian: false, governance: false, places: false, halls: false, parking: true, library: false, ..Default::default() };
    let report = crate::seed::seed_demo(&state, &opts, &mut |_, _, _| {}).await.expect("seed");
    assert!(report.logins.iter().any(|l| l.login == "zhzf_clerk"), "{:?}", report.logins);

    let hospitals = cases::hospitals(&state).await.expect("hospitals");
    assert_eq!(hospitals.len(), HOSPITALS.len());
    assert!(hospitals.iter().all(|h| h.lots.len() >= 3), "each hospital is offered its own lot, a garage and street bays");
    let lots = cases::lots(&state, None).await.expect("lots");
    assert_eq!(lots.len(), LOTS.len());
    assert!(lots.iter().all(|l| l.feed), "every lot has a feed key");
    for s in SIGNS {
        assert_eq!(cases::sign_view(&state, s.id).await.expect("sign").rows.len(), s.lots.len(), "{}", s.id);
    }

    // The keys: one line per lot, readable by its owner only, and each takes its lot's readings.
    let path = dir.0.join(FEEDS_FILE);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&path).expect("feeds").permissions().mode() & 0o777, 0o600);
    }
    let text = std::fs::read_to_string(&path).expect("feeds");
    let lines: Vec<Vec<&str>> = text.lines().skip(1).map(|l| l.split(',').collect()).collect();
    assert_eq!(lines.len(), LOTS.len());
    let first = &lines[0];
    assert_eq!((first[1], first[2]), (format!("parking-{}", first[0]).as_str(), format!("minsheng/v1/parking/{}/occupancy", first[0]).as_str()));
    let reading = ReadingBody { lot: first[0].into(), at: state.now().to_rfc3339(), bays: [("visitor".to_owned(), CountBody { occupied: Some(10), free: None })].into_iter().collect() };
    let took = cases::take_http(&state, first[0], Some(first[3]), ReadingsBody { readings: vec![reading] }).await.expect("the key takes readings");
    assert_eq!(took.accepted, 1);

    for h in HOSPITALS {
        let q = GuidanceQuery { hospital: Some(h.id.into()), sign: None, lat: None, lon: None, to_lat: None, to_lon: None, disabled: None, ev: None };
        let g = cases::guidance(&state, q).await.expect("guidance");
        assert!(g.lots.len() >= 3, "{}: {g:?}", h.id);
    }

    // Seeding again changes nothing.
    let again = crate::seed_parking::seed_parking(&state, &mut |_, _, _| {}).await.expect("again");
    assert_eq!(again.len(), 1);
    assert_eq!(cases::lots(&state, None).await.expect("lots").len(), LOTS.len());
    assert_eq!(std::fs::read_to_string(&path).expect("feeds"), text, "the keys are not issued again");
}
