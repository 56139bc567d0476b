//! The demo's places story is there after seeding: a parent waiting sees a rank and why (or holds
//! an offer), a child is enrolled, the lottery is drawn and re-verifies from its published seed, a
//! lease exists, a 善居 project was rated, and the figures are not empty.

use std::sync::Arc;

use server::areas::places::cases;
use server::areas::places::housing;
use server::areas::places::views::VerifyQuery;
use server::auth::Principal;
use server::state::AppState;

use crate::seed::DemoLogin;
use crate::seed::SeedOptions;

struct Dir(std::path::PathBuf);

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

async fn seeded(residents: usize) -> (Dir, AppState, Vec<DemoLogin>) {
    let dir = Dir(std::env::temp_dir().join(format!("minsheng-demo-places-{}-{residents}", std::process::id())));
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
    let state = server::build_state(config, Arc::new(domain::SystemClock)).await.expect("state");
    let opts = SeedOptions { residents, enterprises: 20, history: 0, medins: false, welfare: false, guardian: false, governance: false, places: true, halls: false, parking: false, library: false, ..Default::default() };
    let report = crate::seed::seed_demo(&state, &opts, &mut |_, _, _| {}).await.expect("seed");
    (dir, state, report.logins)
}

async fn who(state: &AppState, logins: &[DemoLogin], what: &str) -> Principal {
    let l = logins.iter().find(|l| l.who.contains(what)).unwrap_or_else(|| panic!("a log-in for {what} in {logins:?}"));
    crate::seed::principal(state, &l.login, "test").await.expect("principal")
}

#[tokio::test]
async fn the_places_story_is_seeded_through_the_use_cases() {
    let t = std::time::Instant::now();
    let (_dir, state, logins) = seeded(2000).await;
    let seeded_in = t.elapsed();

    // Childcare: a family waiting sees its rank and why; one holds an offer or was re-offered; one enrolled.
    let waiting = who(&state, &logins, "parent waiting").await;
    let apps = cases::my_applications(&state, &waiting).await.expect("applications");
    let w = apps.iter().find(|a| a.state == "waiting").expect("a waiting application");
    assert!(w.round.is_some(), "considered by a round: {w:?}");
    assert!(w.why.iter().any(|x| x.waiting_rank.is_some() && !x.text.is_empty()), "rank and why: {w:?}");
    let enrolled = who(&state, &logins, "child enrolled").await;
    let apps = cases::my_applications(&state, &enrolled).await.expect("applications");
    let e = apps.iter().find(|a| a.state == "enrolled").expect("an enrolled child");
    assert!(e.place.as_ref().is_some_and(|p| p.state == "enrolled" && !p.monthly_fee_yuan.is_empty()), "{e:?}");
    let staff = crate::seed::principal(&state, "wjw_clerk", "test").await.expect("clerk");
    let rounds = cases::rounds(&state, &staff).await.expect("rounds");
    assert!(rounds.iter().any(|r| r.offered > 0), "{rounds:?}");
    let institutions = cases::institutions(&state, None, Default::default()).await.expect("institutions");
    assert!(institutions.len() >= 6, "{institutions:?}");
    assert!(institutions.iter().any(|i| i.kind == "employer" && i.employer.is_some()), "an employer-run room");
    assert!(institutions.iter().all(|i| !i.inspections.is_empty() && !i.classes.is_empty()));
    let f = cases::figures(&state).await.expect("figures");
    assert!(f.district.licensed_places > 0 && f.district.enrolled >= 1 && !f.towns.is_empty(), "{f:?}");

    // Housing: the draw re-verifies from its published seed; a lease; a family on the list with its rank.
    let draws = housing::draws(&state).await.expect("draws");
    let d = draws.first().expect("a draw");
    let seed = d.seed.clone().expect("drawn: the seed published");
    let v = housing::verify(&state, &d.id, VerifyQuery { seed: Some(seed) }).await.expect("verifies");
    assert!(v.reproduced);
    let wrong = housing::verify(&state, &d.id, VerifyQuery { seed: Some("0".repeat(64)) }).await;
    assert!(wrong.is_err(), "another seed does not reproduce it");
    let tenant = who(&state, &logins, "public rental tenant").await;
    let mine = housing::mine(&state, &tenant).await.expect("mine");
    assert!(mine.iter().any(|h| h.state == "housed" && h.lease.is_some()), "{mine:?}");
    let listed = who(&state, &logins, "family on the housing list").await;
    let mine = housing::mine(&state, &listed).await.expect("mine");
    assert!(mine.iter().any(|h| h.state == "waiting" && h.rank.is_some() && h.subsidy && !h.draws.is_empty()), "{mine:?}");
    let hf = housing::figures(&state).await.expect("housing figures");
    assert!(hf.leases_active >= 1 && hf.waiting >= 1 && hf.draws == 1 && hf.shanju_satisfaction.is_some(), "{hf:?}");
    eprintln!("places demo story seeded (2,000 residents) in {:.1} s", seeded_in.as_secs_f64());
}

#[tokio::test]
async fn a_tiny_demo_goes_without_places_rather_than_failing() {
    let (_dir, state, _) = seeded(60).await;
    let staff = crate::seed::principal(&state, "wjw_clerk", "test").await.expect("clerk");
    assert!(cases::rounds(&state, &staff).await.expect("rounds").is_empty());
}
