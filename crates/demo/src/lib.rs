//! The demo district: Fuyang divisions and synthetic residents, households and enterprises.
//!
//! [`generate`] builds the registers of a plausible 富阳区 from a seed: the real divisions
//! (the district's 24 towns and streets and 350 villages and communities), residents in
//! households shaped like an ageing Zhejiang county's, enterprises from Fuyang's industries, and
//! the shared data pool's records about them (identity cards, household register entries,
//! marriage registrations, business licences). It is a pure function: no SQL, no HTTP, no
//! files. Everything except the database ids comes from `StdRng::seed_from_u64(seed)`, so the
//! same seed and date give the same district; the ids come from the caller's [`IdGenerator`]
//! so they are unique in the database.
//!
//! Every identity number, credit code and phone number is valid (it parses with the `domain`
//! types) and fictitious: any match with a real person or firm is chance.

mod dates;
mod divisions;
mod enterprises;
mod names;
mod people;
mod records;
pub mod seed;
pub mod seed_medins;
pub mod seed_pool;
pub mod seed_welfare;
pub mod seed_guardian;
pub mod seed_governance;
pub mod seed_places;
pub mod seed_halls;
pub mod seed_parking;
pub mod seed_library;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_places;
#[cfg(test)]
mod tests_halls;
#[cfg(test)]
mod tests_parking;
#[cfg(test)]
mod tests_library;

use chrono::NaiveDate;
use domain::IdGenerator;
use rand::SeedableRng;
use rand::rngs::StdRng;
use serde::{Deserialize, Serialize};

pub use divisions::{
    CITY_CODE, DISTRICT_CODE, DivisionRow, FORMER_DISTRICT_CODE, PROVINCE_CODE, fuyang_divisions,
};
pub use enterprises::{ENTERPRISE_KINDS, EnterpriseRow};
pub use people::{HEAD, PersonRow, RELATIONS};
pub use records::{
    BUSINESS_LICENSE, HOUSEHOLD_REGISTER, MARRIAGE_REGISTRATION, RESIDENT_ID_CARD, RecordRow,
    id_card_validity_years,
};

/// What to generate.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DemoConfig {
    /// How many residents (exactly).
    pub residents: usize,
    /// How many enterprises (exactly, as long as there is a resident aged 25–72 to represent
    /// them; none otherwise).
    pub enterprises: usize,
    /// The seed of everything but the database ids.
    pub seed: u64,
    /// The demo's today: ages are counted to it, and every document was issued before it.
    pub today: NaiveDate,
}

impl Default for DemoConfig {
    /// 5,000 residents, 400 enterprises, seed 20261122, today's date in China.
    fn default() -> Self {
        DemoConfig {
            residents: 5000,
            enterprises: 400,
            seed: 20_261_122,
            today: domain::china_date(chrono::Utc::now()),
        }
    }
}

/// The generated registers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DemoDistrict {
    /// 浙江省, 杭州市, 富阳区, its towns and its villages, parents first.
    pub divisions: Vec<DivisionRow>,
    /// The residents, household by household, each household's head first.
    pub persons: Vec<PersonRow>,
    /// The enterprises.
    pub enterprises: Vec<EnterpriseRow>,
    /// The shared data pool's records about the residents and enterprises.
    pub records: Vec<RecordRow>,
}

/// Generates the demo district described by `cfg`, taking database ids from `ids`.
pub fn generate(cfg: &DemoConfig, ids: &IdGenerator) -> DemoDistrict {
    let mut rng = StdRng::seed_from_u64(cfg.seed);
    let divisions = fuyang_divisions();
    let villages = divisions::Village::all(&divisions);
    let residents = people::generate(&mut rng, cfg.residents, cfg.today, &villages, ids);
    let firms = enterprises::generate(
        &mut rng,
        cfg.enterprises,
        cfg.today,
        &villages,
        &residents,
        ids,
    );
    let records = records::generate(&mut rng, cfg.today, &residents, &firms, ids);
    DemoDistrict {
        divisions,
        persons: residents.into_iter().map(|r| r.row).collect(),
        enterprises: firms.into_iter().map(|f| f.row).collect(),
        records,
    }
}
