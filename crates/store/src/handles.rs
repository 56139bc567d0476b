//! Each area's handle on the store: `store.pool()`, `store.onething()` … give that area's queries
//! and nothing else, so a call says which area's tables it touches. Each handle derefs to the
//! `Store` for its connections.

use crate::Store;

/// The one-thing area's queries: applications, cases, rectifications, history, collect-once records, uploads and reductions (`store.onething().…`).
#[derive(Clone, Copy)]
pub struct OnethingQueries<'a>(&'a Store);

impl std::ops::Deref for OnethingQueries<'_> {
    type Target = Store;
    fn deref(&self) -> &Store {
        self.0
    }
}

/// The district cockpit's read-only figures across areas (`store.cockpit().…`).
#[derive(Clone, Copy)]
pub struct CockpitQueries<'a>(&'a Store);

impl std::ops::Deref for CockpitQueries<'_> {
    type Target = Store;
    fn deref(&self) -> &Store {
        self.0
    }
}

/// The notice outbox every area writes to: notices for a recipient, claiming, delivery (`store.notices().…`).
#[derive(Clone, Copy)]
pub struct NoticeQueries<'a>(&'a Store);

impl std::ops::Deref for NoticeQueries<'_> {
    type Target = Store;
    fn deref(&self) -> &Store {
        self.0
    }
}

/// The shared data pool's queries: records and their versions, consents, credentials, estates, riders and institutions (`store.pool().…`).
#[derive(Clone, Copy)]
pub struct PoolQueries<'a>(&'a Store);

impl std::ops::Deref for PoolQueries<'_> {
    type Target = Store;
    fn deref(&self) -> &Store {
        self.0
    }
}

/// The hash-chained access log every area's reads are written to (`store.access_log().…`).
#[derive(Clone, Copy)]
pub struct AccessLogQueries<'a>(&'a Store);

impl std::ops::Deref for AccessLogQueries<'_> {
    type Target = Store;
    fn deref(&self) -> &Store {
        self.0
    }
}

/// Mutual recognition's queries: FHIR resources, treatment relations, recognition offers and figures (`store.fhir().…`).
#[derive(Clone, Copy)]
pub struct FhirQueries<'a>(&'a Store);

impl std::ops::Deref for FhirQueries<'_> {
    type Target = Store;
    fn deref(&self) -> &Store {
        self.0
    }
}

/// Identity's queries: accounts, sessions, the server secret, registration challenges, claim codes and guardians (`store.identity().…`).
#[derive(Clone, Copy)]
pub struct IdentityQueries<'a>(&'a Store);

impl std::ops::Deref for IdentityQueries<'_> {
    type Target = Store;
    fn deref(&self) -> &Store {
        self.0
    }
}

/// The base registers: divisions, persons and households, enterprises (`store.registers().…`).
#[derive(Clone, Copy)]
pub struct RegisterQueries<'a>(&'a Store);

impl std::ops::Deref for RegisterQueries<'_> {
    type Target = Store;
    fn deref(&self) -> &Store {
        self.0
    }
}

/// Medical insurance's queries: hospitals of the payment scheme, in-patient episodes and monthly settlements (`store.medins().…`).
#[derive(Clone, Copy)]
pub struct MedinsQueries<'a>(&'a Store);

impl std::ops::Deref for MedinsQueries<'_> {
    type Target = Store;
    fn deref(&self) -> &Store {
        self.0
    }
}

/// Welfare's queries: register facts, entitlements and their events, payout runs, objections and households found in difficulty (`store.welfare().…`).
#[derive(Clone, Copy)]
pub struct WelfareQueries<'a>(&'a Store);

impl std::ops::Deref for WelfareQueries<'_> {
    type Target = Store;
    fn deref(&self) -> &Store {
        self.0
    }
}

/// The elderly safety guardian's queries: elders under guard, devices, readings, alarms and their steps, responders (`store.guardian().…`).
#[derive(Clone, Copy)]
pub struct GuardianQueries<'a>(&'a Store);

impl std::ops::Deref for GuardianQueries<'_> {
    type Target = Store;
    fn deref(&self) -> &Store {
        self.0
    }
}

/// Community governance's queries: estates and their members, issues, permits and their pushes, ledgers, budget lines, expenses, meetings, projects, Open311 clients (`store.governance().…`).
#[derive(Clone, Copy)]
pub struct GovernanceQueries<'a>(&'a Store);

impl std::ops::Deref for GovernanceQueries<'_> {
    type Target = Store;
    fn deref(&self) -> &Store {
        self.0
    }
}

impl Store {
    /// The one-thing area's queries: applications, cases, rectifications, history, collect-once records, uploads and reductions.
    pub fn onething(&self) -> OnethingQueries<'_> {
        OnethingQueries(self)
    }
    /// The district cockpit's read-only figures across areas.
    pub fn cockpit(&self) -> CockpitQueries<'_> {
        CockpitQueries(self)
    }
    /// The notice outbox every area writes to: notices for a recipient, claiming, delivery.
    pub fn notices(&self) -> NoticeQueries<'_> {
        NoticeQueries(self)
    }
    /// The shared data pool's queries: records and their versions, consents, credentials, estates, riders and institutions.
    pub fn pool(&self) -> PoolQueries<'_> {
        PoolQueries(self)
    }
    /// The hash-chained access log every area's reads are written to.
    pub fn access_log(&self) -> AccessLogQueries<'_> {
        AccessLogQueries(self)
    }
    /// Mutual recognition's queries: FHIR resources, treatment relations, recognition offers and figures.
    pub fn fhir(&self) -> FhirQueries<'_> {
        FhirQueries(self)
    }
    /// Identity's queries: accounts, sessions, the server secret, registration challenges, claim codes and guardians.
    pub fn identity(&self) -> IdentityQueries<'_> {
        IdentityQueries(self)
    }
    /// The base registers: divisions, persons and households, enterprises.
    pub fn registers(&self) -> RegisterQueries<'_> {
        RegisterQueries(self)
    }
    /// Medical insurance's queries: hospitals of the payment scheme, in-patient episodes and monthly settlements.
    pub fn medins(&self) -> MedinsQueries<'_> {
        MedinsQueries(self)
    }
    /// Welfare's queries: register facts, entitlements and their events, payout runs, objections and households found in difficulty.
    pub fn welfare(&self) -> WelfareQueries<'_> {
        WelfareQueries(self)
    }
    /// The elderly safety guardian's queries: elders under guard, devices, readings, alarms and their steps, responders.
    pub fn guardian(&self) -> GuardianQueries<'_> {
        GuardianQueries(self)
    }
    /// Community governance's queries: estates and their members, issues, permits and their pushes, ledgers, budget lines, expenses, meetings, projects, Open311 clients.
    pub fn governance(&self) -> GovernanceQueries<'_> {
        GovernanceQueries(self)
    }
    /// Places' queries: childcare institutions, applications, enrolments and rounds; housing applications, draws, homes, offers and leases; 善居 projects.
    pub fn places(&self) -> crate::ClaimedDocs<'_> {
        crate::ClaimedDocs::new(self, "place_doc", "place_claim")
    }
    /// Halls' queries: halls and windows, queue tickets, cross-region cases and messages.
    pub fn halls(&self) -> crate::ClaimedDocs<'_> {
        crate::ClaimedDocs::new(self, "hall_doc", "hall_claim")
    }
    /// Parking's occupancy feed: readings, each lot's last, searches and guided trips.
    pub fn parking(&self) -> crate::ParkingQueries<'_> {
        crate::ParkingQueries(self)
    }
    /// City services' queries: car parks, guidance signs and hospitals; library branches, titles, copies, orders, holds and loans.
    pub fn city(&self) -> crate::ClaimedDocs<'_> {
        crate::ClaimedDocs::new(self, "city_doc", "city_claim")
    }
}
