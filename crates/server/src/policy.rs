//! The route × role policy (issue 27): every route the server answers — the JSON API, FHIR and
//! the web pages — with who may call it and the data scope its handler applies, declared as data.
//! A guard (`authorise`, layered on each router) answers every request from this table before
//! any handler runs: a caller outside the route's audience gets 401 (no session) or 403
//! `role_forbidden`, and a route without an entry is refused (deny by default). Handlers then
//! apply the data scope. `crates/web/tests/it/policy.rs` walks every route as every demo role and
//! anonymous and compares the answers with this table.

use std::collections::HashMap;
use std::sync::LazyLock;

use axum::extract::{FromRequestParts, MatchedPath};
use axum::http::request::Parts;
use catalog::{Duty, Role};
use store::{Account, AccountKind};

use crate::auth::Principal;
use crate::failure::Failure;
use crate::state::AppState;

/// Who may call a route: a set of audiences. An account belongs to every audience its kind,
/// roles and organisation put it in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Who(u32);

impl Who {
    /// No session.
    pub const ANONYMOUS: Who = Who(1);
    /// A resident (citizen account).
    pub const RESIDENT: Who = Who(1 << 1);
    /// An enterprise's agent.
    pub const ENTERPRISE: Who = Who(1 << 2);
    /// Window staff (一窗受理).
    pub const WINDOW: Who = Who(1 << 3);
    /// Department staff by workflow role.
    pub const CLERK: Who = Who(1 << 4);
    pub const REVIEWER: Who = Who(1 << 5);
    pub const APPROVER: Who = Who(1 << 6);
    pub const SUPERVISOR: Who = Who(1 << 7);
    /// The district administrator.
    pub const ADMIN: Who = Who(1 << 8);
    /// A clinician of a medical institution.
    pub const CLINICIAN: Who = Who(1 << 9);
    /// Staff of a delivery platform.
    pub const PLATFORM: Who = Who(1 << 10);
    /// Staff of the department that oversees riders and their platforms (duty `rider_oversight`:
    /// 市场监管).
    pub const REGULATOR: Who = Who(1 << 11);
    /// Staff of the department that keeps health records (duty `health_records`: 卫健).
    pub const HEALTH: Who = Who(1 << 12);
    /// Staff of the department that pays for care (duty `medical_insurance`: 医保).
    pub const INSURANCE: Who = Who(1 << 13);
    /// Staff of a department that pays benefits (duty `welfare`: 民政, 残联, 住建).
    pub const WELFARE: Who = Who(1 << 14);
    /// A community worker (社区工作者) of a village or community.
    pub const COMMUNITY: Who = Who(1 << 15);
    /// Staff of a department that guards elders living alone (民政: the monitoring centre).
    pub const GUARDIAN: Who = Who(1 << 16);
    /// Responders who go to an elder's home when an alarm is dispatched to them.
    pub const RESPONDER: Who = Who(1 << 17);
    /// Staff of the department that runs childcare places (duty `childcare`: 卫健).
    pub const CHILDCARE: Who = Who(1 << 18);
    /// Staff of the department that runs public rental housing (duty `housing_security`: 住建).
    pub const HOUSING: Who = Who(1 << 19);
    /// Staff of the department that runs parking guidance (duty `parking_guidance`: 城管).
    pub const PARKING: Who = Who(1 << 20);
    /// Staff of the public libraries (duty `library`: 文广旅体).
    pub const LIBRARY: Who = Who(1 << 21);

    /// Department staff in any workflow role.
    pub const DEPARTMENT: Who = Who(Self::CLERK.0 | Self::REVIEWER.0 | Self::APPROVER.0 | Self::SUPERVISOR.0);
    /// Residents and enterprises: those who file and whose data it is.
    pub const APPLICANT: Who = Who(Self::RESIDENT.0 | Self::ENTERPRISE.0);
    /// Whoever handles filings: window and department staff, and the administrator.
    pub const HANDLER: Who = Who(Self::WINDOW.0 | Self::DEPARTMENT.0 | Self::ADMIN.0);
    /// Supervisors and the administrator.
    pub const OVERSIGHT: Who = Who(Self::SUPERVISOR.0 | Self::ADMIN.0);
    /// Any signed-in account.
    pub const SIGNED_IN: Who = Who(!Self::ANONYMOUS.0 & ((1 << 22) - 1));
    /// Everyone, signed in or not.
    pub const ANYONE: Who = Who((1 << 22) - 1);

    /// Every single audience, with its name (for tables and tests).
    pub const ALL: [(Who, &'static str); 22] = [
        (Who::ANONYMOUS, "anonymous"),
        (Who::RESIDENT, "resident"),
        (Who::ENTERPRISE, "enterprise"),
        (Who::WINDOW, "window"),
        (Who::CLERK, "clerk"),
        (Who::REVIEWER, "reviewer"),
        (Who::APPROVER, "approver"),
        (Who::SUPERVISOR, "supervisor"),
        (Who::ADMIN, "admin"),
        (Who::CLINICIAN, "clinician"),
        (Who::PLATFORM, "platform"),
        (Who::REGULATOR, "regulator"),
        (Who::HEALTH, "health"),
        (Who::INSURANCE, "insurance"),
        (Who::WELFARE, "welfare"),
        (Who::COMMUNITY, "community"),
        (Who::GUARDIAN, "guardian"),
        (Who::RESPONDER, "responder"),
        (Who::CHILDCARE, "childcare"),
        (Who::HOUSING, "housing"),
        (Who::PARKING, "parking"),
        (Who::LIBRARY, "library"),
    ];

    pub const fn or(self, other: Who) -> Who {
        Who(self.0 | other.0)
    }
    /// Whether the two sets share an audience.
    pub fn meets(self, other: Who) -> bool {
        self.0 & other.0 != 0
    }
    /// The names of the audiences in the set.
    pub fn names(self) -> Vec<&'static str> {
        Who::ALL.iter().filter(|(w, _)| self.meets(*w)).map(|(_, n)| *n).collect()
    }

    /// The audiences of an account (`None`: no session).
    pub fn of(state: &AppState, account: Option<&Account>) -> Who {
        let Some(a) = account else { return Who::ANONYMOUS };
        match a.kind {
            AccountKind::Citizen => Who::RESIDENT,
            AccountKind::Enterprise => Who::ENTERPRISE,
            AccountKind::Staff => {
                let mut w = Who(0);
                if a.has(Role::Admin) {
                    w = w.or(Who::ADMIN);
                }
                if a.has(Role::Window) {
                    w = w.or(Who::WINDOW);
                }
                if a.has(Role::CommunityWorker) {
                    w = w.or(Who::COMMUNITY);
                }
                if a.has(Role::Responder) {
                    w = w.or(Who::RESPONDER);
                }
                if let Some(d) = a.department.as_deref() {
                    if let Some(dept) = state.catalog().department(d) {
                        for (role, who) in [(Role::Clerk, Who::CLERK), (Role::Reviewer, Who::REVIEWER), (Role::Approver, Who::APPROVER), (Role::Supervisor, Who::SUPERVISOR)] {
                            if a.has(role) {
                                w = w.or(who);
                            }
                        }
                        // The department's duties, from the catalog.
                        for (duty, who) in [(Duty::RiderOversight, Who::REGULATOR), (Duty::HealthRecords, Who::HEALTH), (Duty::MedicalInsurance, Who::INSURANCE), (Duty::Welfare, Who::WELFARE), (Duty::ElderlySafety, Who::GUARDIAN), (Duty::Childcare, Who::CHILDCARE), (Duty::HousingSecurity, Who::HOUSING), (Duty::ParkingGuidance, Who::PARKING), (Duty::Library, Who::LIBRARY)] {
                            if dept.has(duty) {
                                w = w.or(who);
                            }
                        }
                    } else if state.pool.recognition.institution(d).is_some() {
                        w = w.or(Who::CLINICIAN);
                    } else if pool::rider::platform_name(d).is_some() {
                        w = w.or(Who::PLATFORM);
                    }
                }
                w
            }
        }
    }
}

/// The data scope a route's handler applies to those its audience lets through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Nothing personal: the same answer for everyone allowed.
    Public,
    /// The caller's own account, filings or data.
    Own,
    /// A named resource (an application, a case, a record version, a rider, an offer …): one the
    /// caller may not see is a 404 (or 403 where the caller must be told why).
    Record,
    /// Someone's personal data: read only for a lawful purpose (own, the case handled, consent,
    /// treatment, supervision); a refusal is a 403 and is logged where the subject sees it.
    Purpose,
    /// The caller's department's cases and records (administrators: all).
    Department,
    /// The caller's platform's riders (the regulator and administrators: all).
    Platform,
    /// The residents of the caller's division (window staff).
    Division,
    /// Another district's server: the message's Ed25519 signature by a configured peer's key,
    /// not a session, says who calls.
    Peer,
    /// A device or an operator's system: a key issued for one thing (a car park's feed key), not
    /// a session, says who calls; it may write that thing's readings and nothing else.
    Key,
}

/// Which interface a route belongs to (how its refusals are answered).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Surface {
    /// JSON errors.
    Api,
    /// OperationOutcomes.
    Fhir,
    /// Pages: a sign-in redirect, or an error page.
    Web,
}

/// One route: method, path (as the router declares it) and policy.
#[derive(Debug, Clone, Copy)]
pub struct Route {
    pub surface: Surface,
    pub method: &'static str,
    pub path: &'static str,
    pub who: Who,
    pub scope: Scope,
}

pub const fn api(method: &'static str, path: &'static str, who: Who, scope: Scope) -> Route {
    Route { surface: Surface::Api, method, path, who, scope }
}
pub const fn fhir(method: &'static str, path: &'static str, who: Who, scope: Scope) -> Route {
    Route { surface: Surface::Fhir, method, path, who, scope }
}
pub const fn web(method: &'static str, path: &'static str, who: Who, scope: Scope) -> Route {
    Route { surface: Surface::Web, method, path, who, scope }
}

use Scope::*;

/// Shorthands for the table.
pub const ANYONE: Who = Who::ANYONE;
pub const SIGNED_IN: Who = Who::SIGNED_IN;
pub const APPLICANT: Who = Who::APPLICANT;
pub const RESIDENT: Who = Who::RESIDENT;
pub const HANDLER: Who = Who::HANDLER;
pub const OVERSIGHT: Who = Who::OVERSIGHT;
pub const DEPARTMENT: Who = Who::DEPARTMENT;
pub const ADMIN: Who = Who::ADMIN;
pub const CLINICIAN: Who = Who::CLINICIAN;
pub const PLATFORM: Who = Who::PLATFORM;
/// Those who file or take in filings: residents, enterprises and window staff.
pub const FILER: Who = Who::APPLICANT.or(Who::WINDOW);
/// Those who see and act on filings.
pub const VIEWER: Who = Who::APPLICANT.or(Who::HANDLER);
/// Whoever attaches files: filers and department staff (with an action).
pub const UPLOADER: Who = Who::APPLICANT.or(Who::WINDOW).or(Who::DEPARTMENT);
/// Riders' oversight: the regulator and the administrator.
pub const RIDER_OVERSIGHT: Who = Who::REGULATOR.or(Who::ADMIN);
/// Whoever manages riders: their platforms and their oversight.
pub const RIDER_MANAGERS: Who = Who::PLATFORM.or(RIDER_OVERSIGHT);
/// Recognition figures: health and insurance staff, institutions, the administrator.
pub const RECOGNITION: Who = Who::HEALTH.or(Who::INSURANCE).or(Who::CLINICIAN).or(Who::ADMIN);
/// Who imports health records: institutions (their own), the health commission, the administrator.
pub const IMPORTER: Who = Who::CLINICIAN.or(Who::HEALTH).or(Who::ADMIN);

/// The routes every area shares: the health check and the API's document.
pub const SHARED: &[Route] = &[
    api("GET", "/healthz", ANYONE, Public),
    api("GET", "/readyz", ANYONE, Public),
    api("GET", "/api/openapi.json", ANYONE, Public),
];

/// The web pages (the `web` crate serves them; their policy is kept beside the API's).
pub const PAGES: &[Route] = &[
    web("GET", "/", ANYONE, Public),
    web("GET", "/accessibility", ANYONE, Public),
    web("GET", "/bundles/{code}", ANYONE, Public),
    web("GET", "/items/{code}", ANYONE, Public),
    web("GET", "/login", ANYONE, Public),
    web("POST", "/login", ANYONE, Public),
    web("GET", "/register", ANYONE, Public),
    web("POST", "/register", ANYONE, Public),
    web("POST", "/register/code", ANYONE, Public),
    web("POST", "/logout", ANYONE, Own),
    web("GET", "/prefs/lang/{lang}", ANYONE, Public),
    web("GET", "/prefs/elder/{on}", ANYONE, Public),
    web("GET", "/static/app.css", ANYONE, Public),
    web("GET", "/static/app.js", ANYONE, Public),
    web("GET", "/apply/{kind}/{code}", FILER, Own),
    web("POST", "/apply/{kind}/{code}", FILER, Own),
    web("GET", "/applications", VIEWER, Own),
    web("GET", "/applications/{id}", VIEWER, Record),
    web("POST", "/applications/{id}/cases/{case}/act", VIEWER, Record),
    web("POST", "/applications/{id}/rate", APPLICANT, Record),
    web("POST", "/applications/{id}/withdraw", APPLICANT, Record),
    web("GET", "/notices", SIGNED_IN, Own),
    web("GET", "/me/data", SIGNED_IN, Own),
    web("GET", "/staff", HANDLER, Department),
    web("GET", "/staff/intake", Who::WINDOW, Own),
    web("POST", "/staff/intake", Who::WINDOW, Own),
    web("POST", "/staff/claim-code", Who::WINDOW, Division),
    web("GET", "/supervision", OVERSIGHT, Department),
    web("POST", "/supervision/rectifications/{id}", OVERSIGHT, Record),
    web("GET", "/cockpit", OVERSIGHT, Public),
    // Medical insurance: the bureau's page and a hospital's (its own part).
    web("GET", "/medins", Who::INSURANCE.or(Who::ADMIN).or(Who::CLINICIAN), Department),
    web("GET", "/medins/settlements/{month}", Who::INSURANCE.or(Who::ADMIN).or(Who::CLINICIAN), Department),
    web("POST", "/medins/hospitals/{code}/apply", CLINICIAN, Own),
    web("POST", "/medins/hospitals/{code}/decision", Who::INSURANCE.or(Who::ADMIN), Record),
    web("POST", "/medins/settlements/preview", Who::INSURANCE.or(Who::ADMIN), Department),
    web("POST", "/medins/settlements/{month}/freeze", Who::INSURANCE.or(Who::ADMIN), Department),
    web("POST", "/medins/settlements/{month}/approve", Who::INSURANCE.or(Who::ADMIN), Department),
    // Welfare: a resident's benefits and happiness list, the paying departments' page and runs,
    // the community workers' worklist (staff and workers landing on /welfare are sent on).
    web("GET", "/welfare", Who::RESIDENT.or(Who::WELFARE).or(Who::ADMIN).or(Who::COMMUNITY), Own),
    web("POST", "/welfare/objections", RESIDENT, Own),
    web("POST", "/welfare/help", RESIDENT, Own),
    web("GET", "/welfare/happiness", RESIDENT, Own),
    web("GET", "/welfare/staff", Who::WELFARE.or(Who::ADMIN), Department),
    web("POST", "/welfare/runs", Who::WELFARE.or(Who::ADMIN), Department),
    web("POST", "/welfare/runs/preview", Who::WELFARE.or(Who::ADMIN), Department),
    web("GET", "/welfare/runs/{id}", Who::WELFARE.or(Who::ADMIN), Department),
    web("POST", "/welfare/runs/{id}/approve", Who::WELFARE.or(Who::ADMIN), Department),
    web("GET", "/welfare/runs/{id}/bank-file", Who::WELFARE.or(Who::ADMIN), Department),
    web("POST", "/welfare/runs/{id}/returns", Who::WELFARE.or(Who::ADMIN), Department),
    web("POST", "/welfare/objections/{id}/decision", Who::WELFARE.or(Who::ADMIN), Department),
    web("POST", "/welfare/sweep", Who::WELFARE.or(Who::ADMIN), Public),
    web("GET", "/welfare/worklist", Who::WELFARE.or(Who::ADMIN).or(Who::COMMUNITY), Division),
    web("POST", "/welfare/flags/{household}/visit", Who::COMMUNITY, Division),
    web("GET", "/welfare/households/{household}/happiness", Who::WELFARE.or(Who::ADMIN).or(Who::COMMUNITY), Division),
    // The elderly safety guardian: the monitoring centre's console, alarms, enrolment, care
    // records and responders; the responder's phone page and the alarms dispatched to them.
    web("GET", "/static/guardian.js", ANYONE, Public),
    web("GET", "/guardian", Who::GUARDIAN.or(Who::ADMIN), Department),
    web("GET", "/guardian/alarms/{id}", Who::GUARDIAN.or(Who::ADMIN), Department),
    web("POST", "/guardian/alarms/{id}/act", Who::GUARDIAN.or(Who::ADMIN), Department),
    web("GET", "/guardian/respond", Who::RESPONDER, Own),
    web("POST", "/guardian/respond/availability", Who::RESPONDER, Own),
    web("POST", "/guardian/respond/{id}", Who::RESPONDER, Record),
    web("GET", "/guardian/respond/alarms/{id}", Who::RESPONDER, Record),
    web("GET", "/guardian/responders", Who::GUARDIAN.or(Who::ADMIN), Department),
    web("POST", "/guardian/responders", Who::GUARDIAN.or(Who::ADMIN), Department),
    web("GET", "/guardian/elders", Who::GUARDIAN.or(Who::ADMIN), Department),
    web("POST", "/guardian/elders", Who::GUARDIAN.or(Who::ADMIN), Department),
    web("GET", "/guardian/elders/{id}", Who::GUARDIAN.or(Who::ADMIN), Department),
    web("POST", "/guardian/elders/{id}/devices", Who::GUARDIAN.or(Who::ADMIN), Department),
    web("POST", "/guardian/elders/{id}/withdraw", Who::GUARDIAN.or(Who::ADMIN), Department),
    // Community governance: a resident's landing page and reports; issues, estates (with their
    // public funds), meetings and projects anyone may read; acting, voting and the queue of what
    // one must act on for whoever is signed in (the use cases check the part they play).
    web("GET", "/governance", RESIDENT, Own),
    web("POST", "/governance/report", RESIDENT, Own),
    web("GET", "/governance/queue", SIGNED_IN, Record),
    web("POST", "/governance/expenses/{id}/act", SIGNED_IN, Record),
    web("GET", "/governance/issues/{id}", ANYONE, Public),
    web("POST", "/governance/issues/{id}/act", SIGNED_IN, Record),
    web("GET", "/governance/estates/{id}", ANYONE, Public),
    web("GET", "/governance/meetings/{id}", ANYONE, Public),
    web("POST", "/governance/meetings/{id}/act", SIGNED_IN, Record),
    web("GET", "/governance/projects", ANYONE, Public),
    // Places: childcare near home and a family's applications (anyone reads the institutions),
    // a family's public rental housing, a lottery draw as published (anyone), the childcare
    // department's (卫健) and the housing department's (住建) pages; 善居 steps for the housing
    // department and the rating for the resident whose home it is (the use case checks which).
    web("GET", "/places", ANYONE, Public),
    web("POST", "/places/childcare/apply", RESIDENT, Own),
    web("POST", "/places/childcare/applications/{id}/act", RESIDENT, Record),
    web("GET", "/places/housing", RESIDENT, Own),
    web("POST", "/places/housing/apply", RESIDENT, Own),
    web("POST", "/places/housing/offers/{id}/answer", RESIDENT, Record),
    web("GET", "/places/draws/{id}", ANYONE, Public),
    web("POST", "/places/shanju/{id}/act", RESIDENT.or(Who::HOUSING).or(ADMIN), Record),
    web("GET", "/places/childcare/staff", Who::CHILDCARE.or(ADMIN), Department),
    web("POST", "/places/childcare/institutions", Who::CHILDCARE.or(ADMIN), Department),
    web("POST", "/places/childcare/inspections", Who::CHILDCARE.or(ADMIN), Department),
    web("POST", "/places/childcare/rounds", Who::CHILDCARE.or(ADMIN), Department),
    web("GET", "/places/housing/staff", Who::HOUSING.or(ADMIN), Department),
    web("POST", "/places/housing/draws", Who::HOUSING.or(ADMIN), Department),
    web("POST", "/places/housing/draws/{id}/draw", Who::HOUSING.or(ADMIN), Department),
    web("POST", "/places/housing/homes", Who::HOUSING.or(ADMIN), Department),
    web("POST", "/places/housing/homes/{id}/offer", Who::HOUSING.or(ADMIN), Department),
    web("POST", "/places/housing/leases/{id}/act", Who::HOUSING.or(ADMIN), Department),
    web("POST", "/places/housing/shanju", Who::HOUSING.or(ADMIN), Department),
    // Service halls (服务大厅): the halls and a hall's queue anyone may see; a resident takes a
    // ticket, books, checks in and cancels; the kiosk takes one signed out, and a slip's token
    // shows and rates its ticket; the board is public; window staff call and act at the window
    // console and take in cross-region cases; the hall's cockpit for its staff and supervisors.
    web("GET", "/queue", ANYONE, Public),
    web("GET", "/queue/halls/{id}", ANYONE, Public),
    web("POST", "/queue/halls/{id}/take", RESIDENT, Own),
    web("POST", "/queue/halls/{id}/book", RESIDENT, Own),
    web("GET", "/queue/halls/{id}/kiosk", ANYONE, Public),
    web("POST", "/queue/halls/{id}/kiosk", RESIDENT.or(Who::ANONYMOUS), Own),
    web("GET", "/queue/halls/{id}/board", ANYONE, Public),
    web("GET", "/queue/halls/{id}/window", Who::WINDOW.or(ADMIN), Division),
    web("POST", "/queue/halls/{id}/window/call", Who::WINDOW.or(ADMIN), Division),
    web("POST", "/queue/halls/{id}/window/act", Who::WINDOW.or(ADMIN), Division),
    web("GET", "/queue/halls/{id}/cockpit", Who::WINDOW.or(Who::SUPERVISOR).or(ADMIN), Division),
    web("GET", "/queue/tickets/{id}", ANYONE, Record),
    web("POST", "/queue/tickets/{id}/check-in", RESIDENT, Record),
    web("POST", "/queue/tickets/{id}/cancel", RESIDENT, Record),
    web("POST", "/queue/tickets/{id}/rate", RESIDENT.or(Who::ANONYMOUS), Record),
    web("GET", "/crossregion", Who::WINDOW.or(ADMIN), Own),
    web("POST", "/crossregion", Who::WINDOW.or(ADMIN), Purpose),
    // One-click borrowing (一键借阅): the catalogue anyone may search; ordering, a reader's
    // orders, loans and holds for residents; the library desk for library staff and the administrator.
    web("GET", "/library", ANYONE, Public),
    web("POST", "/library/order", RESIDENT, Own),
    web("GET", "/library/mine", RESIDENT, Own),
    web("POST", "/library/orders/{id}/cancel", RESIDENT, Record),
    web("POST", "/library/loans/{id}/renew", RESIDENT, Record),
    web("POST", "/library/loans/{id}/return", RESIDENT, Record),
    web("POST", "/library/holds/{id}/cancel", RESIDENT, Record),
    web("GET", "/library/staff", Who::LIBRARY.or(ADMIN), Department),
    web("POST", "/library/staff/orders/{id}/act", Who::LIBRARY.or(ADMIN), Department),
    web("POST", "/library/staff/returns", Who::LIBRARY.or(ADMIN), Department),
    web("POST", "/library/staff/desk-return", Who::LIBRARY.or(ADMIN), Department),
    web("POST", "/library/staff/holds/collect", Who::LIBRARY.or(ADMIN), Department),
    web("POST", "/library/staff/import", Who::LIBRARY.or(ADMIN), Department),
    web("GET", "/static/queue.css", ANYONE, Public),
    web("GET", "/static/queue.js", ANYONE, Public),
    // Parking guidance (停车诱导): where to park, a sign's QR page and its trips, a car park's page
    // anyone may use; the parking department's page and forms for it and the administrator.
    web("GET", "/parking", ANYONE, Public),
    web("GET", "/parking/signs/{id}", ANYONE, Public),
    web("POST", "/parking/signs/{id}/go", ANYONE, Public),
    web("GET", "/parking/lots/{id}", ANYONE, Public),
    web("GET", "/parking/staff", Who::PARKING.or(ADMIN), Department),
    web("POST", "/parking/staff/hospitals", Who::PARKING.or(ADMIN), Department),
    web("POST", "/parking/staff/lots", Who::PARKING.or(ADMIN), Department),
    web("POST", "/parking/staff/signs", Who::PARKING.or(ADMIN), Department),
    web("POST", "/parking/staff/lots/{id}/key", Who::PARKING.or(ADMIN), Department),
    web("GET", "/static/parking.css", ANYONE, Public),
    web("GET", "/static/parking.js", ANYONE, Public),
];

/// Every route of the server: the shared ones, each area's (`crate::areas::ALL`, declared in its
/// `http` module beside its routes) and the pages'.
pub static ROUTES: LazyLock<Vec<Route>> = LazyLock::new(|| {
    let mut all: Vec<Route> = SHARED.to_vec();
    for area in crate::areas::ALL {
        all.extend_from_slice(area.policy);
    }
    all.extend_from_slice(PAGES);
    all
});

static INDEX: LazyLock<HashMap<(&'static str, &'static str), &'static Route>> = LazyLock::new(|| ROUTES.iter().map(|r| ((r.method, r.path), r)).collect());

/// The entry of a route, by method and the path the router matched (`HEAD` as `GET`).
pub fn lookup(method: &str, path: &str) -> Option<&'static Route> {
    let method = if method == "HEAD" { "GET" } else { method };
    INDEX.get(&(method, path)).copied()
}

/// Decides a request from the table, before its handler: its route must have an entry and the
/// caller must be in its audience. The signed-in principal (if any) is left in the request's
/// extensions, so that the handler does not look the session up again. `Ok` for requests that
/// matched no route (they get the router's own 404 or 405).
pub async fn authorise(state: &AppState, parts: &mut Parts) -> Result<(), Failure> {
    let Some(path) = parts.extensions.get::<MatchedPath>().map(|m| m.as_str().to_owned()) else { return Ok(()) };
    let Some(route) = lookup(parts.method.as_str(), &path) else {
        return Err(Failure::internal(std::io::Error::other(format!("no policy for {} {path}: add it to server::policy::ROUTES", parts.method))));
    };
    if route.who == Who::ANYONE {
        return Ok(());
    }
    let principal = match Principal::from_request_parts(parts, state).await {
        Ok(p) => Some(p),
        Err(Failure::Unauthorized) => None,
        Err(e) => return Err(e),
    };
    let who = Who::of(state, principal.as_ref().map(|p| &p.account));
    if let Some(p) = principal {
        parts.extensions.insert(p);
    }
    if who.meets(route.who) {
        Ok(())
    } else if who == Who::ANONYMOUS {
        Err(Failure::Unauthorized)
    } else {
        Err(Failure::Forbidden {
            code: "role_forbidden",
            zh: "您的账号无权使用此功能".to_owned(),
            en: format!("Your account may not use this; it is for: {}", route.who.names().join(", ")),
            field: None,
        })
    }
}

/// Runs the request past `authorise`, answering a refusal with `refuse` (the interface's format).
pub async fn guard(state: &AppState, req: axum::extract::Request, next: axum::middleware::Next, refuse: impl FnOnce(Failure) -> axum::response::Response) -> axum::response::Response {
    let (mut parts, body) = req.into_parts();
    match authorise(state, &mut parts).await {
        Ok(()) => next.run(axum::extract::Request::from_parts(parts, body)).await,
        Err(e) => refuse(e),
    }
}

/// The guard of the JSON API: refusals as JSON errors.
pub async fn api_guard(axum::extract::State(state): axum::extract::State<AppState>, req: axum::extract::Request, next: axum::middleware::Next) -> axum::response::Response {
    guard(&state, req, next, axum::response::IntoResponse::into_response).await
}

/// The guard of the FHIR interface: refusals as OperationOutcomes.
pub async fn fhir_guard(axum::extract::State(state): axum::extract::State<AppState>, req: axum::extract::Request, next: axum::middleware::Next) -> axum::response::Response {
    guard(&state, req, next, |e| axum::response::IntoResponse::into_response(crate::areas::fhir::cases::FhirError(e))).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_is_declared_once_with_an_audience() {
        let mut seen = std::collections::HashSet::new();
        for r in ROUTES.iter() {
            assert!(seen.insert((r.method, r.path)), "{} {} twice", r.method, r.path);
            assert_ne!(r.who, Who(0), "{} {} allows nobody", r.method, r.path);
            assert!(matches!(r.method, "GET" | "POST"), "{} {}", r.method, r.path);
        }
        assert_eq!(lookup("HEAD", "/api/me").map(|r| r.path), Some("/api/me"));
        assert!(lookup("DELETE", "/api/me").is_none());
    }

    #[test]
    fn audiences_combine() {
        assert!(Who::HANDLER.meets(Who::WINDOW) && Who::HANDLER.meets(Who::SUPERVISOR) && !Who::HANDLER.meets(Who::RESIDENT));
        assert!(!Who::SIGNED_IN.meets(Who::ANONYMOUS) && Who::ANYONE.meets(Who::ANONYMOUS));
        assert_eq!(Who::OVERSIGHT.names(), vec!["supervisor", "admin"]);
    }
}
