//! The demo's public libraries (issue 34, one-click borrowing): the ten 富阳 libraries' catalogue —
//! the sample titles and a synthetic district catalogue of 2,000 titles — imported by the library
//! staff's clerk (`wgly_clerk`, 文广旅体局) as MARC 21 through the use case; then the demo
//! resident borrows three books delivered home (free in December's 免邮月), handed over and
//! delivered by the staff so that the loans run, and another resident two books (3 yuan outside a
//! promotion, or free within one that frees every delivery).

use server::ServerError;
use server::areas::library::cases;
use server::areas::library::views::OrderActionBody;
use server::areas::library::views::OrderBody;
use server::failure::Failure;
use server::state::AppState;

use crate::seed::DemoLogin;
use crate::seed::principal;

const STAGE: &str = "图书馆 library";

/// The library staff's demo clerk.
pub const CLERK: &str = "wgly_clerk";

/// Titles of the synthetic district catalogue.
pub const SYNTH_TITLES: usize = 2_000;

/// The sample titles the demo borrows: 红楼梦, 三体, 围城 (all at 中心馆) and 活着, 呐喊.
const THREE: [&str; 3] = ["9787020002207", "9787536692930", "9787020090006"];
const TWO: [&str; 2] = ["9787506365437", "9787020100101"];

/// A home in 富春街道.
const HOME: (f64, f64) = (30.0490, 119.9580);

fn failed(what: &str) -> impl Fn(Failure) -> ServerError + '_ {
    move |f| {
        let (code, _, en, field) = f.parts();
        ServerError::Seed(format!("library, {what}: {code}: {en}{}", field.map(|x| format!(" ({x})")).unwrap_or_default()))
    }
}

fn logins() -> Vec<DemoLogin> {
    vec![DemoLogin { login: CLERK.into(), who: "区图书馆工作人员（一键借阅：拣书、配送、还书、编目导入）library staff".into() }]
}

/// Imports the catalogue unless the district has it already, and plays the two borrowings. The
/// log-ins worth printing.
pub async fn seed_library(state: &AppState, seed: u64, progress: &mut (dyn FnMut(&str, u64, u64) + Send)) -> Result<Vec<DemoLogin>, ServerError> {
    let known = cases::title(state, THREE[0]).await.is_ok();
    if known {
        return Ok(logins());
    }
    let clerk = principal(state, CLERK, "library").await?;
    progress(STAGE, 0, 4);
    cases::import(state, &clerk, "marc", library::data::SAMPLE_MRC).await.map_err(failed("sample catalogue"))?;
    let synth = library::synth::catalogue(seed, SYNTH_TITLES).map_err(|e| ServerError::Seed(format!("library, synthetic catalogue: {e}")))?;
    let marc = library::marc::write_catalogue(&synth).map_err(|e| ServerError::Seed(format!("library, MARC: {e}")))?;
    cases::import(state, &clerk, "marc", &marc).await.map_err(failed("district catalogue"))?;
    progress(STAGE, 2, 4);
    let today = domain::china_date(state.now());
    if let Some((login, _)) = state.store.registers().demo_citizen(today).await? {
        let reader = principal(state, &login, "library").await?;
        let placed = cases::place(state, &reader, OrderBody { isbns: THREE.iter().map(|s| (*s).to_owned()).collect(), lat: Some(HOME.0), lon: Some(HOME.1), branch: None, barcodes: Vec::new() }).await.map_err(failed("the demo resident's order"))?;
        for o in &placed.orders {
            for step in ["start_picking", "pack", "hand_to_courier", "deliver"] {
                cases::act(state, &clerk, &o.id, OrderActionBody { action: step.into() }).await.map_err(failed(step))?;
            }
        }
        let others = state.store.registers().bench_citizens(2).await?;
        if let Some(other) = others.into_iter().find(|l| *l != login) {
            let reader = principal(state, &other, "library").await?;
            cases::place(state, &reader, OrderBody { isbns: TWO.iter().map(|s| (*s).to_owned()).collect(), lat: Some(HOME.0 + 0.01), lon: Some(HOME.1 - 0.01), branch: None, barcodes: Vec::new() }).await.map_err(failed("a second resident's order"))?;
        }
    }
    progress(STAGE, 4, 4);
    Ok(logins())
}
