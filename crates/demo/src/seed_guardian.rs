//! The demo's guarded elders: a share of the elders of 富春街道 who live alone or only with other
//! elders are enrolled (through the guardian's use cases) with the devices the telemetry simulator
//! plays, the two responders registered, and the devices' MQTT credentials written to
//! `DATA_DIR/guardian-devices.csv` (mode 0600) for `minsheng guardian simulate`.

use std::io::Write;

use chrono::Datelike;
use server::ServerError;
use server::areas::guardian::cases;
use server::areas::guardian::views::ContactBody;
use server::areas::guardian::views::DeviceBody;
use server::areas::guardian::views::EnrolBody;
use server::areas::guardian::views::PointView;
use server::areas::guardian::views::ResponderBody;
use server::state::AppState;

use crate::seed::principal;

/// The file the simulator reads.
pub const DEVICES_FILE: &str = "guardian-devices.csv";

/// The pilot community whose qualifying elders are enrolled.
pub const PILOT: &str = "330111001";

/// The share of qualifying elders enrolled (the pilot has not reached everyone yet).
const SHARE_PERCENT: usize = 60;

/// The simulation the enrolled homes follow (the simulator builds the same one).
pub fn simulation_config(elders: u32, seed: u64, epoch: chrono::DateTime<chrono::Utc>) -> guardian::SimConfig {
    guardian::SimConfig { elders, seed, interval_s: 60, epoch, first_elder: 1, incidents: Vec::new() }
}

fn seed_error(e: server::failure::Failure) -> ServerError {
    ServerError::Seed(format!("guardian: {}", e.body().message_en))
}

/// Enrols the demo's guarded elders and their devices; writes their credentials.
pub async fn seed_guardian(state: &AppState, seed: u64, progress: &mut dyn FnMut(&str, u64, u64)) -> Result<usize, ServerError> {
    let centre = principal(state, "mzj_clerk", "guardian").await?;
    let today = domain::china_date(state.now());
    let born = today.with_year(today.year() - 60).unwrap_or(today);
    let candidates = state.store.guardian().candidates(&born.to_string(), Some(PILOT)).await?;
    let take = (candidates.len() * SHARE_PERCENT).div_ceil(100);
    let epoch = domain::china_start_of_day(today);
    let sim = guardian::Simulation::new(&simulation_config(u32::try_from(take).unwrap_or(0), seed, epoch));
    let homes = sim.elders();
    let devices = sim.devices();
    let mut lines = vec!["sim_elder,sim_device,device,kind,password".to_owned()];
    for (i, c) in candidates.iter().take(take).enumerate() {
        progress("guardian", i as u64, take as u64);
        let home = homes.get(i).and_then(|h| h.home).map(|(lat, lon)| PointView { lat, lon });
        let body = EnrolBody {
            id_number: c.person_key.clone(),
            basis: if c.household_size == 1 { "living_alone".into() } else { "elderly_only".into() },
            address: format!("富春街道 江滨西大道 {} 号", 10 + i),
            home,
            contacts: vec![ContactBody { name: "家属".into(), relation: "子女".into(), phone: format!("1380013{:04}", i), login: None }],
            consent_on: (today - chrono::Duration::days(30)).to_string(),
            overrides: None,
        };
        let elder = cases::enrol(state, &centre, body).await.map_err(seed_error)?;
        let sim_elder = homes.get(i).map(|h| h.id);
        for d in devices.iter().filter(|d| Some(d.elder) == sim_elder) {
            let new = cases::add_device(state, &centre, &elder.id, DeviceBody { kind: d.kind.code().to_owned(), room: d.room.clone().or_else(|| matches!(d.kind, guardian::DeviceKind::Door | guardian::DeviceKind::Presence).then(|| "大门".to_owned())) }).await.map_err(seed_error)?;
            lines.push(format!("{},{},{},{},{}", d.elder.0, d.id, new.username, d.kind.code(), new.password));
        }
    }
    for (login, kind, lat, lon) in [("responder", "grid_worker", 30.0500, 119.9590), ("responder_medic", "village_doctor", 30.0440, 119.9660)] {
        let body = ResponderBody { login: login.into(), kind: kind.into(), phone: "13900139000".into(), at: PointView { lat, lon } };
        cases::save_responder(state, &centre, body).await.map_err(seed_error)?;
    }
    let path = state.config.data_dir.join(DEVICES_FILE);
    let mut f = open_private(&path).map_err(|e| ServerError::Io(path.display().to_string(), e))?;
    f.write_all((lines.join("\n") + "\n").as_bytes()).map_err(|e| ServerError::Io(path.display().to_string(), e))?;
    Ok(take)
}

/// A file only its owner may read (it holds passwords).
fn open_private(path: &std::path::Path) -> std::io::Result<std::fs::File> {
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    o.open(path)
}
