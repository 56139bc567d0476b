//! The demo's service halls are there after seeding: the 1+2+22+N network, a day of tickets at
//! the district centre whose figures are not empty, the demo resident's appointment, and seeding
//! again changes nothing.

use std::sync::Arc;

use server::areas::halls::cases;
use server::areas::halls::views::DayQuery;
use server::areas::halls::views::HallQuery;
use server::state::AppState;
use store::DocFilter;

use crate::seed::DemoLogin;
use crate::seed::SeedOptions;
use crate::seed_halls::CENTRAL_TOWNS;
use crate::seed_halls::DISTRICT_CENTRE;
use crate::seed_halls::VILLAGE_STATIONS;

struct Dir(std::path::PathBuf);

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

async fn seeded(clock: Arc<dyn domain::Clock>, name: &str) -> (Dir, AppState, Vec<DemoLogin>) {
    let dir = Dir(std::env::temp_dir().join(format!("minsheng-demo-halls-{name}-{}", std::process::id())));
    let _ = std::fs::remove_dir_all(&dir.0);
    std::fs::create_dir_all(&dir.0).expect("dir");
    let env: Vec<(String, String)> = vec![
        ("MINSHENG__DATA_DIR".into(), dir.0.display().to_string()),
        ("MINSHENG__DATABASE__URL".into(), format!("sqlite://{}", dir.0.join("t.db").display())),
        ("MINSHENG__LISTEN".into(), "127.0.0.1:0".into()),
        ("MINSHENG__AUTH__ARGON2_MEMORY_KIB".into(), "64".into()),
        ("MINSHENG__AUTH__ARGON2_ITERATIONS".into(), "1".into()),
    ];
    let config = server::Config::load(None, env).expect("config");
    let state = server::build_state(config, clock).await.expect("state");
    let opts = SeedOptions { residents: 400, enterprises: 10, history: 0, medins: false, welfare: false, guardian: false, governance: false, places: false, halls: true, parking: false, library: false, ..Default::default() };
    let report = crate::seed::seed_demo(&state, &opts, &mut |_, _, _| {}).await.expect("seed");
    (dir, state, report.logins)
}

async fn counts(state: &AppState) -> (usize, usize, i64) {
    let h = state.store.halls();
    let halls = h.all("hall", &DocFilter::default()).await.expect("halls").len();
    let tickets = h.all("ticket", &DocFilter::default()).await.expect("tickets");
    let versions = tickets.iter().map(|d| d.version).sum();
    (halls, tickets.len(), versions)
}

#[tokio::test]
async fn the_halls_network_and_a_day_of_tickets_are_seeded() {
    let (_dir, state, logins) = seeded(Arc::new(domain::SystemClock), "now").await;
    let list = cases::halls_list(&state, HallQuery::default()).await.expect("halls");
    let of = |level: &str| list.iter().filter(|h| h.level == level).count();
    assert_eq!((of("district"), of("central_town"), of("town"), of("village")), (1, 2, 22, VILLAGE_STATIONS), "1+2+22+N");
    let centre = list.iter().find(|h| h.name == DISTRICT_CENTRE).expect("the district centre");
    assert!(centre.windows.len() >= 30 && centre.offers_lunch && centre.offers_weekend && !centre.terminals.is_empty(), "{centre:?}");
    let lines: Vec<&str> = cases::rules().lines.iter().map(|l| l.code.as_str()).collect();
    assert!(lines.iter().all(|l| centre.windows.iter().any(|w| w.lines.iter().any(|x| x == l))), "every line at the centre");
    for code in CENTRAL_TOWNS {
        assert!(list.iter().any(|h| h.level == "central_town" && h.town == code), "{code}");
    }
    let towns: std::collections::BTreeSet<&str> = list.iter().filter(|h| h.level != "district" && h.level != "village").map(|h| h.town.as_str()).collect();
    assert_eq!(towns.len(), 24, "a centre in each of the 24 towns and streets");
    assert!(list.iter().filter(|h| h.level == "village").all(|h| (1..=2).contains(&h.windows.len()) && !h.offers_weekend));

    // The centre's day: figures not empty.
    let admin = crate::seed::principal(&state, "admin", "test").await.expect("admin");
    let hall = cases::load_hall(&state, &centre.id).await.expect("hall").hall;
    let (day, _, _) = crate::seed_halls::history_day(&hall, state.now()).expect("a day");
    let f = cases::hall_figures(&state, &admin, &centre.id, DayQuery { day: Some(day.to_string()) }).await.expect("figures");
    assert!(f.served > 20, "{f:?}");
    assert!(f.per_line.iter().filter(|l| l.issued > 0).count() >= 6, "{:?}", f.per_line);
    assert!(f.per_window.iter().any(|w| w.ratings > 0), "ratings: {:?}", f.per_window);
    assert!(f.avg_wait_s.is_some_and(|w| w >= 0.0), "{f:?}");
    assert!(f.appointments > 0, "{f:?}");
    let d = cases::district_figures(&state, &admin, DayQuery { day: Some(day.to_string()) }).await.expect("district figures");
    assert_eq!(d.halls as usize, list.len());

    // The demo resident holds an appointment at the centre.
    let booked = logins.iter().find(|l| l.who.contains("appointment")).expect("the demo resident's appointment");
    let p = crate::seed::principal(&state, &booked.login, "test").await.expect("resident");
    let mine = cases::my_tickets(&state, &p).await.expect("tickets");
    assert!(mine.iter().any(|t| t.state == "booked" && t.hall == centre.id && t.can.contains(&"check_in".to_owned())), "{mine:?}");

    // Seeding again changes nothing.
    let before = counts(&state).await;
    let again = crate::seed_halls::seed_halls(&state, 1, &mut |_, _, _| {}).await.expect("again");
    assert!(again.is_empty());
    let opts = SeedOptions { residents: 400, enterprises: 10, history: 0, medins: false, welfare: false, guardian: false, governance: false, places: false, halls: true, parking: false, library: false, ..Default::default() };
    let report = crate::seed::seed_demo(&state, &opts, &mut |_, _, _| {}).await.expect("seed again");
    assert!(report.already_seeded);
    assert_eq!(counts(&state).await, before);
}

#[tokio::test]
async fn on_a_weekday_morning_the_centre_has_people_waiting_and_the_resident_a_slot_today() {
    // Tuesday 2026-12-08, 10:40 in China.
    let at = chrono::DateTime::parse_from_rfc3339("2026-12-08T02:40:00Z").expect("time").to_utc();
    let (_dir, state, logins) = seeded(Arc::new(domain::ManualClock::new(at)), "morning").await;
    let admin = crate::seed::principal(&state, "admin", "test").await.expect("admin");
    let list = cases::halls_list(&state, HallQuery::default()).await.expect("halls");
    let centre = list.iter().find(|h| h.name == DISTRICT_CENTRE).expect("the district centre");
    assert!(centre.open_now && centre.waiting > 0, "{centre:?}");
    let f = cases::hall_figures(&state, &admin, &centre.id, DayQuery::default()).await.expect("figures");
    assert_eq!(f.day, "2026-12-08");
    assert!(f.served > 20 && f.waiting_now > 0 && f.serving_now > 0, "{f:?}");
    let board = cases::board(&state, &centre.id).await.expect("board");
    assert!(!board.called.is_empty() && board.lines.iter().any(|l| l.waiting > 0), "{board:?}");
    let booked = logins.iter().find(|l| l.who.contains("appointment")).expect("the demo resident's appointment");
    assert!(booked.who.contains("2026-12-08"), "a slot later today: {}", booked.who);
}
