//! The Open311 GeoReport v2 vocabulary as plain types the server serialises: the service list
//! (one service per issue category), a service's definition (its attributes), a request as the
//! client sends it (parsed here: service code, location inside the district, required and typed
//! attributes), a request as the API shows it (`status` open/closed, `status_notes`,
//! `agency_responsible`, `service_notice`, times in ISO 8601 with the China offset) and the error
//! body. No HTTP: the server picks the status code (400 or 404) from the error's kind.

use std::collections::BTreeMap;

use chrono::DateTime;
use chrono::SecondsFormat;
use chrono::Utc;
use serde::Deserialize;
use serde::Serialize;

use crate::error::ErrorKind;
use crate::error::GovernanceError;
use crate::estate::Estate;
use crate::issue::Issue;
use crate::issue::IssueState;
use crate::issue::Role;
use crate::routing::Category;
use crate::routing::Level;
use crate::routing::Routing;

/// An Open311 time: ISO 8601 with the China offset, to the second.
pub fn datetime(t: DateTime<Utc>) -> String {
    domain::china_time(t).to_rfc3339_opts(SecondsFormat::Secs, false)
}

/// One entry of `GET services`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Service {
    /// The code.
    pub service_code: String,
    /// The name.
    pub service_name: String,
    /// A description.
    pub description: String,
    /// Whether it has attributes (a definition to fetch).
    pub metadata: bool,
    /// Always `realtime`: a request gets its id at once.
    #[serde(rename = "type")]
    pub kind: String,
    /// Comma-separated search words.
    pub keywords: String,
    /// The group.
    pub group: String,
}

impl Service {
    /// The service for a category.
    pub fn of(c: &Category) -> Service {
        Service {
            service_code: c.code.clone(),
            service_name: c.name_zh.clone(),
            description: format!("{} / {}", c.name_zh, c.name_en),
            metadata: !c.attributes.is_empty(),
            kind: "realtime".into(),
            keywords: c.keywords.join(","),
            group: c.group.clone(),
        }
    }
}

/// `GET services`: every category, in file order.
pub fn services(routing: &Routing) -> Vec<Service> {
    routing.categories.iter().map(Service::of).collect()
}

/// One attribute of a service definition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttributeDefinition {
    /// Always true: the client asks the user.
    pub variable: bool,
    /// The code (sent back as `attribute[code]`).
    pub code: String,
    /// `string`, `number`, `datetime` or `text`.
    pub datatype: String,
    /// Whether a request must give it.
    pub required: bool,
    /// How to fill it.
    pub datatype_description: String,
    /// Its position.
    pub order: u32,
    /// The question.
    pub description: String,
}

/// `GET services/{code}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceDefinition {
    /// The code.
    pub service_code: String,
    /// The attributes.
    pub attributes: Vec<AttributeDefinition>,
}

/// The definition of service `code`.
pub fn definition(routing: &Routing, code: &str) -> Result<ServiceDefinition, GovernanceError> {
    let c = routing.category(code)?;
    Ok(ServiceDefinition {
        service_code: c.code.clone(),
        attributes: c
            .attributes
            .iter()
            .enumerate()
            .map(|(i, a)| AttributeDefinition {
                variable: true,
                code: a.code.clone(),
                datatype: a.datatype.code().into(),
                required: a.required,
                datatype_description: match a.datatype {
                    crate::routing::Datatype::Datetime => "ISO 8601, e.g. 2026-03-02T23:30:00+08:00".into(),
                    crate::routing::Datatype::Number => "a number".into(),
                    _ => String::new(),
                },
                order: i as u32 + 1,
                description: a.description.clone(),
            })
            .collect(),
    })
}

/// The district's bounds, for refusing coordinates elsewhere.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Bounds {
    /// South.
    pub min_lat: f64,
    /// North.
    pub max_lat: f64,
    /// West.
    pub min_lon: f64,
    /// East.
    pub max_lon: f64,
}

impl Bounds {
    /// Whether a point is inside.
    pub fn contains(&self, lat: f64, lon: f64) -> bool {
        (self.min_lat..=self.max_lat).contains(&lat) && (self.min_lon..=self.max_lon).contains(&lon)
    }
}

/// `POST requests` as the client sends it: every field as text, as in the form body.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct RawRequest {
    /// Required.
    pub service_code: Option<String>,
    /// Latitude (with `long`, or give `address_string` or `address_id`).
    pub lat: Option<String>,
    /// Longitude.
    pub long: Option<String>,
    /// The address as written.
    pub address_string: Option<String>,
    /// An address id of the district's address list.
    pub address_id: Option<String>,
    /// What is wrong.
    pub description: Option<String>,
    /// A photo.
    pub media_url: Option<String>,
    /// `attribute[code]` values.
    pub attributes: BTreeMap<String, String>,
    /// The reporter's e-mail.
    pub email: Option<String>,
    /// A device id.
    pub device_id: Option<String>,
    /// An account id at the client.
    pub account_id: Option<String>,
    /// First name.
    pub first_name: Option<String>,
    /// Last name.
    pub last_name: Option<String>,
    /// Phone.
    pub phone: Option<String>,
}

/// Where a request is: coordinates, or an address for the caller to find.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Location {
    /// A point inside the district.
    Point {
        /// Latitude.
        lat: f64,
        /// Longitude.
        lon: f64,
    },
    /// Only an address (string or id) was given.
    Address {
        /// The address text.
        address: Option<String>,
        /// The address id.
        address_id: Option<String>,
    },
}

/// A checked request, ready for the caller to find the estate and build a [`crate::issue::NewIssue`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckedRequest {
    /// The category.
    pub service_code: String,
    /// Where.
    pub location: Location,
    /// The address as written, if any.
    pub address: Option<String>,
    /// What is wrong (the service's name when the client sent none).
    pub description: String,
    /// A photo, if an http(s) URL.
    pub media_url: Option<String>,
    /// The attributes, checked against their types.
    pub attributes: BTreeMap<String, String>,
}

fn opt(s: &Option<String>) -> Option<String> {
    s.as_deref().map(str::trim).filter(|t| !t.is_empty()).map(str::to_owned)
}

/// Checks a `POST requests`: a known service code, a location (both coordinates as numbers inside
/// the district, or an address), the service's required attributes present and every attribute of
/// its type, no unknown attribute, a description of at most 4,000 characters.
pub fn check_request(raw: &RawRequest, routing: &Routing, bounds: &Bounds) -> Result<CheckedRequest, GovernanceError> {
    let code = opt(&raw.service_code).ok_or_else(|| GovernanceError::invalid("service_code", "缺少 service_code", "service_code is required"))?;
    let category = routing.category(&code)?;
    let address = opt(&raw.address_string).map(|a| a.chars().take(500).collect::<String>());
    let address_id = opt(&raw.address_id);
    let location = match (opt(&raw.lat), opt(&raw.long)) {
        (Some(lat), Some(lon)) => {
            let num = |field: &str, s: &str| {
                s.parse::<f64>().ok().filter(|x| x.is_finite()).ok_or_else(|| GovernanceError::invalid(field, format!("「{s}」不是数字"), format!("{s:?} is not a number")))
            };
            let (lat, lon) = (num("lat", &lat)?, num("long", &lon)?);
            if !bounds.contains(lat, lon) {
                return Err(GovernanceError::OutsideDistrict { lat, lon });
            }
            Location::Point { lat, lon }
        }
        (Some(_), None) | (None, Some(_)) => return Err(GovernanceError::invalid("long", "lat 与 long 须同时提供", "lat and long go together")),
        (None, None) if address.is_some() || address_id.is_some() => Location::Address { address: address.clone(), address_id },
        (None, None) => return Err(GovernanceError::invalid("lat", "须提供位置：lat 与 long，或 address_string，或 address_id", "a location is required: lat and long, address_string or address_id")),
    };
    let description = opt(&raw.description).unwrap_or_else(|| category.name_zh.clone());
    if description.chars().count() > crate::issue::MAX_DESCRIPTION {
        return Err(GovernanceError::invalid("description", "描述不能超过 4000 字", "description must be at most 4,000 characters"));
    }
    let media_url = opt(&raw.media_url);
    if let Some(u) = &media_url
        && (!(u.starts_with("https://") || u.starts_with("http://")) || u.len() > 2000 || u.chars().any(char::is_whitespace))
    {
        return Err(GovernanceError::invalid("media_url", "media_url 须为 http(s) 地址", "media_url must be an http(s) URL"));
    }
    let attributes = category.check_attributes(&raw.attributes)?;
    Ok(CheckedRequest { service_code: code, location, address, description, media_url, attributes })
}

/// One request as `GET requests` shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServiceRequest {
    /// The id.
    pub service_request_id: String,
    /// `open` or `closed`.
    pub status: String,
    /// Where it stands, who declined it and why, in words.
    pub status_notes: String,
    /// The service's name.
    pub service_name: String,
    /// The service code.
    pub service_code: String,
    /// What is wrong.
    pub description: String,
    /// Who is responsible now.
    pub agency_responsible: String,
    /// What the reporter can expect.
    pub service_notice: String,
    /// When reported.
    pub requested_datetime: String,
    /// When last changed.
    pub updated_datetime: String,
    /// When it is due (while open).
    pub expected_datetime: Option<String>,
    /// The address.
    pub address: Option<String>,
    /// Latitude.
    pub lat: f64,
    /// Longitude.
    pub long: f64,
    /// A photo.
    pub media_url: Option<String>,
}

fn role_name(role: &Role, estate: &Estate, routing: &Routing) -> String {
    match role {
        Role::Party(p) => party_name(*p, estate),
        Role::Helper(h) => h.name_zh().to_owned(),
        Role::Office(Level::Community) => "社区".into(),
        Role::Office(_) => "街道".into(),
        Role::Department(d) => routing.department_name(d).to_owned(),
        Role::Resident => "居民".into(),
        Role::System => "系统".into(),
    }
}

fn party_name(p: crate::estate::PartyKind, estate: &Estate) -> String {
    use crate::estate::PartyKind;
    let named = match p {
        PartyKind::PartyBranch => estate.party_branch.as_ref().map(|x| x.name.clone()),
        PartyKind::Committee => Some(estate.committee.name.clone()),
        PartyKind::PropertyCompany => estate.property_company.as_ref().map(|x| x.name.clone()),
        PartyKind::CommunityWorker => None,
    };
    named.filter(|n| !n.is_empty()).unwrap_or_else(|| p.name_zh().to_owned())
}

impl ServiceRequest {
    /// The request view of an issue.
    pub fn of(issue: &Issue, estate: &Estate, routing: &Routing) -> ServiceRequest {
        let service_name = routing.category(&issue.category).map(|c| c.name_zh.clone()).unwrap_or_else(|_| issue.category.clone());
        let agency = match issue.level {
            Level::Estate => issue.parties.iter().map(|p| party_name(*p, estate)).collect::<Vec<_>>().join("、"),
            Level::Community => "社区".into(),
            Level::Street => "街道".into(),
            Level::District => routing.department_name(&issue.department).to_owned(),
        };
        let mut notes = match issue.state {
            IssueState::Routed => "已受理，等待责任方接单".to_owned(),
            IssueState::Deliberating => format!("三方联议中（{}/{} 方已同意方案）", issue.agreed.len(), issue.parties.len()),
            IssueState::InProgress => "处理中".to_owned(),
            IssueState::Mediating => "联合调解中".to_owned(),
            IssueState::Resolved => {
                let last = issue.history.iter().rev().find(|s| s.action == "resolve" || s.action == "record_agreement").map(|s| s.note.clone()).unwrap_or_default();
                format!("已办结，请确认或重新打开：{last}")
            }
            IssueState::Confirmed => "已解决并确认".to_owned(),
            IssueState::Declined => match &issue.declined {
                Some(d) => format!("{}拒绝受理：{}", role_name(&d.role, estate, routing), d.reason),
                None => "不予受理".to_owned(),
            },
        };
        if let Some(e) = issue.escalations.last() {
            notes.push_str(&format!("；已由{}上报至{}", level_zh(e.from), level_zh(e.to)));
        }
        if issue.overdue {
            notes.push_str("；已超期");
        }
        let service_notice = match issue.deadline {
            Some(d) if issue.state.is_pending() => format!("{}应于 {} 前处理", level_zh(issue.level), datetime(d)),
            _ => String::new(),
        };
        ServiceRequest {
            service_request_id: issue.id.to_string(),
            status: if issue.state.is_closed() { "closed" } else { "open" }.into(),
            status_notes: notes,
            service_name,
            service_code: issue.category.clone(),
            description: issue.description.clone(),
            agency_responsible: agency,
            service_notice,
            requested_datetime: datetime(issue.reported_at),
            updated_datetime: datetime(issue.updated_at),
            expected_datetime: issue.deadline.filter(|_| issue.state.is_pending()).map(datetime),
            address: issue.address.clone(),
            lat: issue.lat,
            long: issue.lon,
            media_url: issue.media_url.clone(),
        }
    }
}

fn level_zh(l: Level) -> &'static str {
    match l {
        Level::Estate => "小区三方",
        Level::Community => "社区",
        Level::Street => "街道",
        Level::District => "区级部门",
    }
}

/// The answer to `POST requests`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RequestCreated {
    /// The new request's id.
    pub service_request_id: String,
    /// What the reporter can expect.
    pub service_notice: String,
    /// The client's account id, echoed.
    pub account_id: Option<String>,
}

/// One entry of the Open311 error body (a list of these).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Open311Error {
    /// The HTTP status the server answers with.
    pub code: u16,
    /// What is wrong (English, then Chinese).
    pub description: String,
}

impl Open311Error {
    /// The error body for `e`, given the status the server chose for its kind.
    pub fn new(code: u16, e: &GovernanceError) -> Open311Error {
        use domain::Describe;
        Open311Error { code, description: format!("{} / {}", e.message_en(), e.message_zh()) }
    }

    /// Whether the Open311 answer for `e` is "not found" (404) rather than "bad request" (400);
    /// the server maps the kind to the status, this only says which family the kind is.
    pub fn is_not_found(e: &GovernanceError) -> bool {
        e.kind() == ErrorKind::NotFound
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::estate::ActorId;
    use crate::estate::IssueId;
    use crate::estate::PartyKind;
    use crate::estate::tests::estate;
    use crate::issue::Action;
    use crate::issue::Actor;
    use crate::issue::apply;
    use crate::issue::tests::new_issue;
    use crate::issue::tests::t0;

    const DISTRICT: Bounds = Bounds { min_lat: 30.3, max_lat: 30.5, min_lon: 120.1, max_lon: 120.4 };

    fn raw(code: &str) -> RawRequest {
        RawRequest { service_code: Some(code.into()), lat: Some("30.42".into()), long: Some("120.25".into()), description: Some("路灯坏了".into()), ..RawRequest::default() }
    }

    #[test]
    fn services_and_definitions_use_the_documented_names() {
        let r = Routing::embedded().expect("rules");
        let s = services(&r);
        assert_eq!(s.len(), r.categories.len());
        let json = serde_json::to_value(&s[0]).expect("json");
        for k in ["service_code", "service_name", "description", "metadata", "type", "keywords", "group"] {
            assert!(json.get(k).is_some(), "{k}");
        }
        assert_eq!(json["type"], "realtime");
        let d = definition(&r, "night_construction_noise").expect("definition");
        assert_eq!(d.attributes[0].code, "heard_at");
        assert!(d.attributes[0].required && d.attributes[0].variable);
        assert!(matches!(definition(&r, "nope"), Err(GovernanceError::UnknownService { .. })));
    }

    #[test]
    fn requests_are_checked_like_an_open311_server_would() {
        let r = Routing::embedded().expect("rules");
        let ok = check_request(&raw("street_lamp"), &r, &DISTRICT).expect("ok");
        assert_eq!(ok.location, Location::Point { lat: 30.42, lon: 120.25 });
        let cases: Vec<(RawRequest, &str)> = vec![
            (RawRequest { service_code: None, ..raw("x") }, "invalid_governance_input"),
            (raw("ufo"), "unknown_service"),
            (RawRequest { lat: Some("39.9".into()), long: Some("116.4".into()), ..raw("street_lamp") }, "outside_district"),
            (RawRequest { lat: Some("NaN".into()), ..raw("street_lamp") }, "invalid_governance_input"),
            (RawRequest { lat: Some("abc".into()), ..raw("street_lamp") }, "invalid_governance_input"),
            (RawRequest { long: None, ..raw("street_lamp") }, "invalid_governance_input"),
            (RawRequest { lat: None, long: None, ..raw("street_lamp") }, "invalid_governance_input"),
            (raw("night_construction_noise"), "missing_attribute"),
            (
                RawRequest { attributes: BTreeMap::from([("heard_at".into(), "last night".into())]), ..raw("night_construction_noise") },
                "invalid_governance_input",
            ),
            (RawRequest { attributes: BTreeMap::from([("evil".into(), "1".into())]), ..raw("street_lamp") }, "invalid_governance_input"),
            (RawRequest { media_url: Some("javascript:alert(1)".into()), ..raw("street_lamp") }, "invalid_governance_input"),
            (RawRequest { description: Some("长".repeat(4001)), ..raw("street_lamp") }, "invalid_governance_input"),
        ];
        use domain::Describe;
        for (req, code) in cases {
            let e = check_request(&req, &r, &DISTRICT).expect_err("refused");
            assert_eq!(e.code(), code, "{req:?}");
        }
        let noise = RawRequest { attributes: BTreeMap::from([("heard_at".into(), "2026-03-02T23:30:00+08:00".into())]), ..raw("night_construction_noise") };
        assert!(check_request(&noise, &r, &DISTRICT).is_ok());
        let by_address = RawRequest { lat: None, long: None, address_string: Some("旭辉府 3 号楼".into()), ..raw("street_lamp") };
        assert!(matches!(check_request(&by_address, &r, &DISTRICT).expect("address").location, Location::Address { .. }));
        let e = check_request(&raw("ufo"), &r, &DISTRICT).expect_err("404");
        assert!(Open311Error::is_not_found(&e));
        let body = serde_json::to_value(vec![Open311Error::new(404, &e)]).expect("json");
        assert_eq!(body[0]["code"], 404);
        assert!(body[0]["description"].as_str().is_some_and(|d| d.contains("ufo")));
    }

    #[test]
    fn a_request_shows_status_notes_agency_and_who_declined() {
        let (e, r) = (estate(), Routing::embedded().expect("rules"));
        let (mut i, _) = Issue::report(IssueId(7), new_issue("street_lamp"), &e, &r, t0()).expect("report");
        let sr = ServiceRequest::of(&i, &e, &r);
        assert_eq!((sr.status.as_str(), sr.agency_responsible.as_str()), ("open", "某物业"));
        assert_eq!(sr.requested_datetime, "2026-03-02T09:00:00+08:00");
        assert_eq!(sr.expected_datetime.as_deref(), Some("2026-03-05T09:00:00+08:00"));
        let pc = Actor { id: ActorId(30), role: Role::Party(PartyKind::PropertyCompany) };
        apply(&mut i, &e, &r, &pc, Action::Decline { reason: "属市政路灯".into() }, t0()).expect("decline");
        let sr = ServiceRequest::of(&i, &e, &r);
        assert_eq!(sr.status, "closed");
        assert_eq!(sr.status_notes, "某物业拒绝受理：属市政路灯");
        assert_eq!(sr.expected_datetime, None);
        let json = serde_json::to_value(&sr).expect("json");
        for k in ["service_request_id", "status", "status_notes", "agency_responsible", "service_notice", "requested_datetime", "updated_datetime", "lat", "long"] {
            assert!(json.get(k).is_some(), "{k}");
        }
    }
}
