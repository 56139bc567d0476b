//! Configuration: defaults embedded in the binary, then a TOML file, then `MINSHENG__…`
//! environment variables (`MINSHENG__DATABASE__URL` sets `database.url`). The raw settings are
//! parsed, then checked into a typed `Config`; secrets print as `[redacted]`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// A value that must never reach a log: `Debug` and `Display` print `[redacted]`.
#[derive(Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Secret {
        Secret(s.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

impl std::fmt::Display for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

/// The defaults, embedded in the binary.
pub const DEFAULTS: &str = r#"
listen = "127.0.0.1:8080"
data_dir = "var"

[database]
url = "sqlite://var/minsheng.db"
max_connections = 8
writers = 4
batch_max = 256
# node = 0        # the node number of ids; unset, each server takes a free one from the database

[catalog]
# path = "catalog"        # a directory of TOML files; without it the embedded demo catalog is used
[calendar]
# path = "data/calendar/cn-workdays.toml"

[deadlines]
warn_working_days = 1
rectification_days = 5
tick_seconds = 60

[notices]
channel = "log"           # log | webhook
# log_path = "var/notices.log"
# webhook_url = "https://sms-gateway.example/notices"
# webhook_secret = "…"
max_attempts = 12
poll_millis = 500         # how often the outbox worker polls for notices due again or whose lease ran out
                          # (new notices are handed to it by the writer as soon as they are durable)
batch = 128               # notices per round

[auth]
session_hours = 8
argon2_memory_kib = 19456
argon2_iterations = 2
# The key of the CSRF tokens and one-time codes (HMAC-SHA256), at least 32 characters. Leave it ""
# to keep a random key in the database, shared by every server on it. Secret: never logged.
secret = ""
secure_cookies = "auto"   # auto (on when public_url is https) | on | off: the Secure flag on cookies
hsts = "auto"             # auto (on when public_url is https) | on | off: Strict-Transport-Security
trusted_proxies = []      # reverse proxies whose X-Forwarded-For names the client (rate limits, logs)
                          # and, without public_url, whose X-Forwarded-Proto names the scheme (CSRF origin check)
# Real-name registration: a one-time code sent to the phone, then the account. The limits per ID
# number and per phone are counted in the database (all servers on it); per client address in memory.
register_code_minutes = 10          # how long a registration code is valid
register_code_tries = 5             # wrong codes after which a code is void
register_codes_per_address = 10     # code requests per client address per hour
register_codes_per_number = 5       # code requests per ID number per hour
register_codes_per_phone = 5        # code requests per phone number per hour
register_attempts_per_address = 20  # registration attempts (code and password) per client address per hour
claim_code_days = 30                # how long a claim code handed over at a window is valid

[limits]
json_body_bytes = 1048576
upload_bytes = 10485760
# Connections (issue 29): slow, idle and half-sent ones must not hold the server.
header_timeout_seconds = 10   # a client sends a request's headers within this, or is disconnected
body_timeout_seconds = 30     # and its body within this once the headers are in (else 408)
idle_timeout_seconds = 60     # a connection with nothing in flight that sends nothing for this is closed
max_connections = 4096        # connections held at once (at most the open-file limit allows); past
                              # it the connection idle longest is closed to make room

[circles]
# The district's 15-minute service circles (POST /api/circles/analyses). These defaults are
# SAMPLE DATA shipped with minsheng and embedded in the binary — central São Paulo: the OSM
# street network, the Ipea H3 population grid with its 59 schools, and demo service centres — so
# that the demo works wherever it is started; an analysis of them is labelled as the sample city,
# never shown as the district. Point them at the district's own files. Relative paths are looked
# for in the working directory, then in data_dir; "" leaves an optional input out. Lists may also
# be given as one comma-separated string (for MINSHENG__CIRCLES__… variables).
osm = "data/osm/sao-paulo-centre.osm.pbf"
population = "data/osm/sao-paulo-hexgrid-population.csv"  # "" = estimate from OSM residential buildings
facility_columns = ["schools=primary_school"]              # COLUMN=CATEGORY counts in the population file
facilities = []                                            # CSV or GeoJSON facility files
osm_facilities = true                                      # also take facilities from the OSM tags
areas = ""                                                 # GeoJSON towns or communities; "" = H3 cells
centres = "data/circles/sao-paulo-centres.csv"             # service centres by level (1+2+22+N); "" = none
norms = ""                                                 # "" = the embedded data/circles/norms.toml
profile = "default"                                        # default (4.0 km/h) | elderly (3.0 km/h)
service_minutes = 15                                       # "near home" for the service network
service_target_percent = 80                                # share of personal items to have near home

[pool]
# The shared data pool, e-certificates and rider codes, mutual recognition of medical results.
# The district's Ed25519 signing key: base64url of its 32-byte seed. Leave it "" to keep the key in
# the database (shared by every server on it; made on first start, or taken from an existing
# key_file), with a copy in key_file ("" = DATA_DIR/pool-signing.key) for offline checks.
# Secret: never logged.
signing_key = ""
key_file = ""
issuer = "杭州市富阳区人民政府"
recognition_items = ""       # "" = the embedded crates/pool/data/recognition_items.toml
institutions = ""            # "" = the embedded crates/pool/data/institutions.toml
treatment_days = 30          # after a visit (or a referral) the institution may read the patient's health data this long
access_log_batch = 2048      # most access-log entries one commit takes
access_log_lanes = 4         # parallel access-log writers (each its own hash chain) on PostgreSQL; SQLite uses 1
access_log_interval_us = 600 # SQLite: least time between the starts of two access-log commits (each also syncs the disk)
filing_log_millis = 100      # how often filings' shared-data look-ups are written to the access log
[guardian]
# The elderly safety guardian's telemetry (issue 30): devices publish readings over MQTT.
# mqtt = "off" takes none; "embedded" runs a broker inside this process (the demo), listening on
# embedded_listen; "mqtt://host:port" subscribes to an external broker (Mosquitto, or a cluster),
# with a shared subscription so that several servers split the load.
mqtt = "off"
embedded_listen = "127.0.0.1:1883"
username = ""             # this server's MQTT account on an external broker ("" = none)
password = ""             # its password (embedded: the server's own account; "" = one made at each start). Secret: never logged.
client_id = ""            # "" = minsheng-<node>: one persistent session per server
batch = 2048              # readings taken together into one transaction
tick_millis = 1000        # how often the duty looks for silence and escalations

[governance]
# Community governance (issue 33): residents' issues over the web and Open311 GeoReport v2.
# The district's extent: Open311 requests with coordinates outside it are refused (south, west,
# north, east in WGS 84 degrees; 富阳区 by default).
bounds = [29.70, 119.50, 30.25, 120.25]
jurisdiction_id = "330111"   # Open311 jurisdiction_id this server answers for ("" or this)
estate_radius_m = 800        # a report belongs to the nearest estate within this distance

[halls]
# Service halls (issue 36): queue tickets and cross-region handling (跨区域通办) with other
# districts' minsheng servers. Each message is signed with the district key ([pool] signing_key)
# and must come from a peer listed here with its public key (GET /api/crossregion/key on the
# peer); add one as [halls.peers.<district code>] name = "…", url = "http://…", public_key = "…".
district = "330111"          # this district's 6-digit code, as peers address it
district_name = "富阳区"
poll_seconds = 5             # how often messages due are sent and forwarded cases looked at

[parking]
# Hospital parking guidance (issue 34): driving times to car parks on this OpenStreetMap extract's
# road network ("" = the [circles] osm file; "off" = none: driving times are straight-line estimates).
osm = ""
"#;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    listen: String,
    data_dir: PathBuf,
    public_url: Option<String>,
    database: RawDatabase,
    #[serde(default)]
    catalog: RawPath,
    #[serde(default)]
    calendar: RawPath,
    deadlines: RawDeadlines,
    notices: RawNotices,
    auth: RawAuth,
    limits: RawLimits,
    circles: RawCircles,
    pool: RawPool,
    guardian: RawGuardian,
    governance: RawGovernance,
    halls: RawHalls,
    parking: RawParking,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawParking {
    osm: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHalls {
    #[serde(deserialize_with = "text_or_number")]
    district: String,
    district_name: String,
    poll_seconds: u64,
    #[serde(default)]
    peers: std::collections::BTreeMap<String, RawPeer>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPeer {
    name: String,
    url: String,
    public_key: String,
}

/// A code given as text or, through an environment variable of digits, as a number.
fn text_or_number<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Either {
        Text(String),
        Number(i64),
    }
    Ok(match Either::deserialize(d)? {
        Either::Text(s) => s,
        Either::Number(n) => n.to_string(),
    })
}

/// A district this one exchanges cross-region cases with (`[halls.peers.<code>]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeerConfig {
    /// Its 6-digit code.
    pub district: String,
    pub name: String,
    /// Its server's base URL (`http://host:port`), without a trailing slash.
    pub url: String,
    /// Its Ed25519 public key, base64url of 32 bytes.
    pub public_key: String,
}

/// Service halls' settings (`[halls]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HallsConfig {
    pub district: String,
    pub district_name: String,
    pub poll_seconds: u64,
    pub peers: Vec<PeerConfig>,
}

fn check_halls(raw: RawHalls) -> Result<HallsConfig, ConfigError> {
    let six = |s: &str| s.len() == 6 && s.bytes().all(|b| b.is_ascii_digit());
    if !six(&raw.district) {
        return Err(err("halls.district", "must be a 6-digit district code"));
    }
    if !(1..=3600).contains(&raw.poll_seconds) {
        return Err(err("halls.poll_seconds", "must be 1..=3600"));
    }
    let mut peers = Vec::new();
    for (code, p) in raw.peers {
        let at = format!("halls.peers.{code}");
        if !six(&code) || code == raw.district {
            return Err(err(&at, "must be another district's 6-digit code"));
        }
        if !(p.url.starts_with("http://") || p.url.starts_with("https://")) {
            return Err(err(&format!("{at}.url"), "must start with http:// or https://"));
        }
        if halls::crossregion::PeerKey::parse(&code, &p.public_key).is_err() {
            return Err(err(&format!("{at}.public_key"), "must be base64url of a 32-byte Ed25519 public key"));
        }
        peers.push(PeerConfig { district: code, name: p.name.trim().to_owned(), url: p.url.trim_end_matches('/').to_owned(), public_key: p.public_key.trim().to_owned() });
    }
    Ok(HallsConfig { district: raw.district, district_name: raw.district_name.trim().to_owned(), poll_seconds: raw.poll_seconds, peers })
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGovernance {
    bounds: Vec<f64>,
    jurisdiction_id: String,
    estate_radius_m: f64,
}

/// Community governance's settings (`[governance]`).
#[derive(Debug, Clone, PartialEq)]
pub struct GovernanceConfig {
    /// South, west, north, east.
    pub bounds: [f64; 4],
    pub jurisdiction_id: String,
    pub estate_radius_m: f64,
}

fn check_governance(raw: RawGovernance) -> Result<GovernanceConfig, ConfigError> {
    let b: [f64; 4] = raw.bounds.as_slice().try_into().map_err(|_| err("governance.bounds", "must be [south, west, north, east]"))?;
    if !(b.iter().all(|x| x.is_finite()) && b[0] < b[2] && b[1] < b[3] && (-90.0..=90.0).contains(&b[0]) && (-90.0..=90.0).contains(&b[2]) && (-180.0..=180.0).contains(&b[1]) && (-180.0..=180.0).contains(&b[3])) {
        return Err(err("governance.bounds", "must be [south, west, north, east] with south < north and west < east"));
    }
    if !(raw.estate_radius_m.is_finite() && (10.0..=10_000.0).contains(&raw.estate_radius_m)) {
        return Err(err("governance.estate_radius_m", "must be 10..=10000"));
    }
    Ok(GovernanceConfig { bounds: b, jurisdiction_id: raw.jurisdiction_id.trim().to_owned(), estate_radius_m: raw.estate_radius_m })
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDatabase {
    url: Secret,
    max_connections: u32,
    writers: usize,
    batch_max: usize,
    #[serde(default)]
    node: Option<u16>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPath {
    path: Option<PathBuf>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDeadlines {
    warn_working_days: u32,
    rectification_days: u32,
    tick_seconds: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNotices {
    channel: String,
    log_path: Option<PathBuf>,
    webhook_url: Option<String>,
    webhook_secret: Option<Secret>,
    max_attempts: u32,
    poll_millis: u64,
    batch: i64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAuth {
    session_hours: i64,
    argon2_memory_kib: u32,
    argon2_iterations: u32,
    secret: Secret,
    secure_cookies: String,
    hsts: String,
    trusted_proxies: RawList,
    register_code_minutes: i64,
    register_code_tries: i64,
    register_codes_per_address: usize,
    register_codes_per_number: usize,
    register_codes_per_phone: usize,
    register_attempts_per_address: usize,
    claim_code_days: i64,
}

/// Real-name registration's settings (`[auth]`, `register_…` and `claim_code_days`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistrationConfig {
    /// How long a registration code is valid.
    pub code_minutes: i64,
    /// Wrong codes after which a code is void.
    pub code_tries: i64,
    /// Code requests per client address per hour (in memory, per process).
    pub codes_per_address: usize,
    /// Code requests per ID number per hour (counted in the database).
    pub codes_per_number: usize,
    /// Code requests per phone number per hour (counted in the database).
    pub codes_per_phone: usize,
    /// Registration attempts per client address per hour (in memory, per process).
    pub attempts_per_address: usize,
    /// How long a claim code handed over at a window is valid.
    pub claim_code_days: i64,
}

fn check_registration(raw: &RawAuth) -> Result<RegistrationConfig, ConfigError> {
    if !(1..=60).contains(&raw.register_code_minutes) {
        return Err(err("auth.register_code_minutes", "must be 1..=60"));
    }
    if !(1..=10).contains(&raw.register_code_tries) {
        return Err(err("auth.register_code_tries", "must be 1..=10"));
    }
    for (setting, n) in [
        ("auth.register_codes_per_address", raw.register_codes_per_address),
        ("auth.register_codes_per_number", raw.register_codes_per_number),
        ("auth.register_codes_per_phone", raw.register_codes_per_phone),
        ("auth.register_attempts_per_address", raw.register_attempts_per_address),
    ] {
        if !(1..=100_000).contains(&n) {
            return Err(err(setting, "must be 1..=100000"));
        }
    }
    if !(1..=365).contains(&raw.claim_code_days) {
        return Err(err("auth.claim_code_days", "must be 1..=365"));
    }
    Ok(RegistrationConfig {
        code_minutes: raw.register_code_minutes,
        code_tries: raw.register_code_tries,
        codes_per_address: raw.register_codes_per_address,
        codes_per_number: raw.register_codes_per_number,
        codes_per_phone: raw.register_codes_per_phone,
        attempts_per_address: raw.register_attempts_per_address,
        claim_code_days: raw.claim_code_days,
    })
}

/// `auto | on | off` of a setting that follows the public URL's scheme.
fn auto_switch(setting: &str, value: &str, https: bool) -> Result<bool, ConfigError> {
    match value.trim() {
        "auto" => Ok(https),
        "on" | "true" => Ok(true),
        "off" | "false" => Ok(false),
        other => Err(err(setting, format!("{other:?}: expected auto, on or off"))),
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLimits {
    json_body_bytes: usize,
    upload_bytes: usize,
    header_timeout_seconds: u64,
    body_timeout_seconds: u64,
    idle_timeout_seconds: u64,
    max_connections: usize,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCircles {
    osm: String,
    population: String,
    facility_columns: RawList,
    facilities: RawList,
    osm_facilities: bool,
    areas: String,
    centres: String,
    norms: String,
    profile: String,
    service_minutes: u32,
    service_target_percent: u32,
}

/// A list, or one comma-separated string (as environment variables give it).
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
enum RawList {
    Many(Vec<String>),
    One(String),
}

impl RawList {
    fn items(self) -> Vec<String> {
        let v = match self {
            RawList::Many(v) => v,
            RawList::One(s) => s.split(',').map(str::to_owned).collect(),
        };
        v.into_iter().map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()).collect()
    }
}

/// The district's service-circle analysis (`[circles]`): its input files and choices.
#[derive(Debug, Clone, PartialEq)]
pub struct CirclesConfig {
    pub osm: PathBuf,
    /// `None`: residents are estimated from the OSM residential buildings.
    pub population: Option<PathBuf>,
    /// `(column, category)`: facilities counted in columns of the population file.
    pub facility_columns: Vec<(String, String)>,
    pub facilities: Vec<PathBuf>,
    pub osm_facilities: bool,
    /// `None`: H3 cells.
    pub areas: Option<PathBuf>,
    /// Service centres by level for the 1+2+22+N network; `None`: not scored.
    pub centres: Option<PathBuf>,
    /// `None`: the embedded norms.
    pub norms: Option<PathBuf>,
    pub profile: String,
    pub service_minutes: u32,
    /// 0 < target ≤ 1.
    pub service_target: f64,
}

fn check_circles(raw: RawCircles) -> Result<CirclesConfig, ConfigError> {
    let path = |s: &str| (!s.trim().is_empty()).then(|| PathBuf::from(s.trim()));
    let osm = path(&raw.osm).ok_or_else(|| err("circles.osm", "must name an OpenStreetMap PBF file"))?;
    let mut facility_columns = Vec::new();
    for c in raw.facility_columns.items() {
        let Some((col, cat)) = c.split_once('=') else {
            return Err(err("circles.facility_columns", format!("{c:?}: expected COLUMN=CATEGORY")));
        };
        facility_columns.push((col.trim().to_owned(), cat.trim().to_owned()));
    }
    let norms = path(&raw.norms);
    if norms.is_none() && !matches!(raw.profile.as_str(), "default" | "elderly") {
        return Err(err("circles.profile", format!("{:?}: expected default or elderly", raw.profile)));
    }
    if !(1..=60).contains(&raw.service_minutes) {
        return Err(err("circles.service_minutes", "must be 1..=60"));
    }
    if !(1..=100).contains(&raw.service_target_percent) {
        return Err(err("circles.service_target_percent", "must be 1..=100"));
    }
    Ok(CirclesConfig {
        osm,
        population: path(&raw.population),
        facility_columns,
        facilities: raw.facilities.items().into_iter().map(PathBuf::from).collect(),
        osm_facilities: raw.osm_facilities,
        areas: path(&raw.areas),
        centres: path(&raw.centres),
        norms,
        profile: raw.profile,
        service_minutes: raw.service_minutes,
        service_target: f64::from(raw.service_target_percent) / 100.0,
    })
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPool {
    signing_key: Secret,
    key_file: String,
    issuer: String,
    recognition_items: String,
    institutions: String,
    treatment_days: i64,
    access_log_batch: usize,
    access_log_lanes: usize,
    access_log_interval_us: u64,
    filing_log_millis: u64,
}

/// The shared data pool's settings (`[pool]`).
#[derive(Debug, Clone, PartialEq)]
pub struct PoolConfig {
    /// The district's signing key (base64url seed), if given in the configuration.
    pub signing_key: Option<Secret>,
    /// Where a copy of the database's key is written (`None`: DATA_DIR/pool-signing.key).
    pub key_file: Option<PathBuf>,
    pub issuer: String,
    pub recognition_items: Option<PathBuf>,
    pub institutions: Option<PathBuf>,
    pub treatment_days: i64,
    pub access_log_batch: usize,
    pub access_log_lanes: usize,
    /// SQLite: the least time between the starts of two access-log commits.
    pub access_log_interval: std::time::Duration,
    pub filing_log_millis: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGuardian {
    mqtt: String,
    embedded_listen: String,
    username: String,
    password: Secret,
    client_id: String,
    batch: usize,
    tick_millis: u64,
}

/// Where the guardian's readings come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Telemetry {
    /// No MQTT.
    Off,
    /// A broker inside this process, listening here.
    Embedded(SocketAddr),
    /// An external broker (`mqtt://host:port`).
    External(String),
}

/// The elderly safety guardian's settings (`[guardian]`).
#[derive(Debug, Clone, PartialEq)]
pub struct GuardianConfig {
    pub telemetry: Telemetry,
    pub username: Option<String>,
    pub password: Option<Secret>,
    /// `None`: `minsheng-<node>`.
    pub client_id: Option<String>,
    pub batch: usize,
    pub tick: std::time::Duration,
}

fn check_guardian(raw: RawGuardian) -> Result<GuardianConfig, ConfigError> {
    let telemetry = match raw.mqtt.trim() {
        "off" | "" => Telemetry::Off,
        "embedded" => Telemetry::Embedded(raw.embedded_listen.trim().parse().map_err(|_| err("guardian.embedded_listen", "must be an address such as 127.0.0.1:1883"))?),
        url if url.starts_with("mqtt://") && url.len() > "mqtt://".len() => Telemetry::External(url.to_owned()),
        _ => return Err(err("guardian.mqtt", "must be off, embedded or mqtt://host:port")),
    };
    let text = |s: String| (!s.trim().is_empty()).then(|| s.trim().to_owned());
    if raw.tick_millis < 100 || raw.tick_millis > 60_000 {
        return Err(err("guardian.tick_millis", "must be 100..=60000"));
    }
    Ok(GuardianConfig {
        telemetry,
        username: text(raw.username),
        password: (!raw.password.is_empty()).then_some(raw.password),
        client_id: text(raw.client_id),
        batch: raw.batch.clamp(1, 65_536),
        tick: std::time::Duration::from_millis(raw.tick_millis),
    })
}

fn check_pool(raw: RawPool) -> Result<PoolConfig, ConfigError> {
    let path = |s: &str| (!s.trim().is_empty()).then(|| PathBuf::from(s.trim()));
    if raw.issuer.trim().is_empty() {
        return Err(err("pool.issuer", "must name the issuing authority"));
    }
    if !(1..=365).contains(&raw.treatment_days) {
        return Err(err("pool.treatment_days", "must be 1..=365"));
    }
    Ok(PoolConfig {
        signing_key: (!raw.signing_key.is_empty()).then_some(raw.signing_key),
        key_file: path(&raw.key_file),
        issuer: raw.issuer.trim().to_owned(),
        recognition_items: path(&raw.recognition_items),
        institutions: path(&raw.institutions),
        treatment_days: raw.treatment_days,
        access_log_batch: raw.access_log_batch.clamp(1, 8192),
        access_log_lanes: raw.access_log_lanes.clamp(1, 16),
        access_log_interval: std::time::Duration::from_micros(raw.access_log_interval_us.min(100_000)),
        filing_log_millis: raw.filing_log_millis.max(10),
    })
}

/// Where notices go.
#[derive(Debug, Clone, PartialEq)]
pub enum NoticeChannel {
    /// Appended as JSON lines to a file (the default; an SMS gateway reads it).
    Log { path: PathBuf },
    /// POSTed to an HTTP endpoint, signed with HMAC-SHA256.
    Webhook { url: String, secret: Secret },
}

#[derive(Debug, Clone)]
pub struct Config {
    pub listen: SocketAddr,
    pub public_url: Option<String>,
    pub data_dir: PathBuf,
    pub database_url: Secret,
    pub max_connections: u32,
    pub writers: usize,
    pub batch_max: usize,
    /// The node number of ids, if configured (checked against the database's leases).
    pub node: Option<u16>,
    pub catalog_path: Option<PathBuf>,
    pub calendar_path: Option<PathBuf>,
    pub warn_working_days: u32,
    pub rectification_days: u32,
    pub tick_seconds: u64,
    pub notice_channel: NoticeChannel,
    pub notice_max_attempts: u32,
    pub notice_poll_millis: u64,
    pub notice_batch: i64,
    pub session_hours: i64,
    pub argon2_memory_kib: u32,
    pub argon2_iterations: u32,
    /// The HMAC key of CSRF tokens and one-time codes, if configured (else kept in the database).
    pub auth_secret: Option<Secret>,
    /// Cookies carry `Secure`.
    pub secure_cookies: bool,
    /// Answers carry `Strict-Transport-Security`.
    pub hsts: bool,
    /// Reverse proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    pub registration: RegistrationConfig,
    pub json_body_bytes: usize,
    pub upload_bytes: usize,
    /// Connection limits and timeouts (`[limits]`).
    pub connections: ConnectionLimits,
    pub circles: CirclesConfig,
    pub pool: PoolConfig,
    pub guardian: GuardianConfig,
    pub governance: GovernanceConfig,
    pub halls: HallsConfig,
    /// The OpenStreetMap extract whose road network gives parking guidance its driving times
    /// (`[parking] osm`); `None`: straight-line estimates.
    pub parking_osm: Option<PathBuf>,
}

/// Connection limits and timeouts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimits {
    pub header_timeout: std::time::Duration,
    pub body_timeout: std::time::Duration,
    pub idle_timeout: std::time::Duration,
    pub max_connections: usize,
}

/// A number of seconds that must be at least 1.
fn positive_seconds(setting: &str, secs: u64) -> Result<std::time::Duration, ConfigError> {
    if secs == 0 {
        return Err(err(setting, "must be at least 1 second"));
    }
    Ok(std::time::Duration::from_secs(secs))
}

/// A configuration problem, naming the setting.
#[derive(Debug, thiserror::Error)]
#[error("configuration {setting}: {message}")]
pub struct ConfigError {
    pub setting: String,
    pub message: String,
}

fn err(setting: &str, message: impl Into<String>) -> ConfigError {
    ConfigError { setting: setting.to_owned(), message: message.into() }
}

/// Merges `over` into `base`, table by table.
fn merge(base: &mut toml::Table, over: toml::Table) {
    for (k, v) in over {
        match (base.get_mut(&k), v) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) => merge(b, o),
            (_, v) => {
                base.insert(k, v);
            }
        }
    }
}

/// An environment value as TOML: integers and booleans typed, anything else a string.
fn env_value(s: &str) -> toml::Value {
    if let Ok(i) = s.parse::<i64>() {
        toml::Value::Integer(i)
    } else if let Ok(b) = s.parse::<bool>() {
        toml::Value::Boolean(b)
    } else {
        toml::Value::String(s.to_owned())
    }
}

impl Config {
    /// Loads the defaults, then `file` if given, then `MINSHENG__` variables from `env`.
    pub fn load(file: Option<&Path>, env: impl IntoIterator<Item = (String, String)>) -> Result<Config, ConfigError> {
        let mut table: toml::Table = DEFAULTS.parse().map_err(|e| err("defaults", format!("{e}")))?;
        if let Some(path) = file {
            let text = std::fs::read_to_string(path).map_err(|e| err(&path.display().to_string(), e.to_string()))?;
            let t: toml::Table = text.parse().map_err(|e| err(&path.display().to_string(), format!("{e}")))?;
            merge(&mut table, t);
        }
        for (k, v) in env {
            let Some(rest) = k.strip_prefix("MINSHENG__") else { continue };
            let path: Vec<String> = rest.split("__").map(|p| p.to_ascii_lowercase()).collect();
            let mut node = &mut table;
            for (i, part) in path.iter().enumerate() {
                if i + 1 == path.len() {
                    node.insert(part.clone(), env_value(&v));
                } else {
                    let entry = node.entry(part.clone()).or_insert_with(|| toml::Value::Table(toml::Table::new()));
                    match entry {
                        toml::Value::Table(t) => node = t,
                        _ => return Err(err(&k, "is not a section")),
                    }
                }
            }
        }
        // The path of a value that does not fit (`database.node` for -1) names the setting.
        let raw: Raw = serde_path_to_error::deserialize(toml::Value::Table(table)).map_err(|e| {
            let path = e.path().to_string();
            let setting = if path.is_empty() || path == "." { "settings".to_owned() } else { path };
            err(&setting, e.into_inner().message())
        })?;
        Config::check(raw)
    }

    /// The defaults alone (what `minsheng demo` and the tests start from).
    pub fn defaults() -> Config {
        Config::load(None, std::iter::empty()).unwrap_or_else(|e| unreachable!("embedded defaults are valid: {e}"))
    }

    fn check(raw: Raw) -> Result<Config, ConfigError> {
        let listen: SocketAddr = raw
            .listen
            .parse()
            .map_err(|_| err("listen", format!("{:?} is not an address like 127.0.0.1:8080", raw.listen)))?;
        let url = raw.database.url;
        if store::Backend::from_url(url.expose()).is_none() {
            return Err(err("database.url", "must start with sqlite: or postgres://"));
        }
        if raw.database.node.is_some_and(|n| n > 1023) {
            return Err(err("database.node", "must be 0..=1023"));
        }
        let channel = match raw.notices.channel.as_str() {
            "log" => NoticeChannel::Log {
                path: raw.notices.log_path.unwrap_or_else(|| raw.data_dir.join("notices.log")),
            },
            "webhook" => {
                let url = raw.notices.webhook_url.ok_or_else(|| err("notices.webhook_url", "is required for the webhook channel"))?;
                if !(url.starts_with("http://") || url.starts_with("https://")) {
                    return Err(err("notices.webhook_url", "must be an http(s) URL"));
                }
                let secret = raw.notices.webhook_secret.unwrap_or_default();
                if secret.expose().len() < 16 {
                    return Err(err("notices.webhook_secret", "must be at least 16 characters"));
                }
                NoticeChannel::Webhook { url, secret }
            }
            other => return Err(err("notices.channel", format!("{other:?}: expected log or webhook"))),
        };
        if raw.auth.session_hours < 1 || raw.auth.session_hours > 24 * 30 {
            return Err(err("auth.session_hours", "must be 1..=720"));
        }
        if raw.auth.argon2_memory_kib < 8 || raw.auth.argon2_iterations < 1 {
            return Err(err("auth.argon2_memory_kib", "argon2 needs at least 8 KiB and 1 iteration"));
        }
        let https = raw.public_url.as_deref().is_some_and(|u| u.starts_with("https://"));
        let secure_cookies = auto_switch("auth.secure_cookies", &raw.auth.secure_cookies, https)?;
        let hsts = auto_switch("auth.hsts", &raw.auth.hsts, https)?;
        if !raw.auth.secret.is_empty() && raw.auth.secret.expose().len() < 32 {
            return Err(err("auth.secret", "must be at least 32 characters (or empty: kept in the database)"));
        }
        let registration = check_registration(&raw.auth)?;
        let mut trusted_proxies = Vec::new();
        for p in raw.auth.trusted_proxies.items() {
            trusted_proxies.push(p.parse().map_err(|_| err("auth.trusted_proxies", format!("{p:?} is not an IP address")))?);
        }
        if raw.deadlines.tick_seconds == 0 {
            return Err(err("deadlines.tick_seconds", "must be at least 1"));
        }
        Ok(Config {
            listen,
            public_url: raw.public_url,
            data_dir: raw.data_dir,
            database_url: url,
            max_connections: raw.database.max_connections.max(1),
            writers: raw.database.writers.max(1),
            batch_max: raw.database.batch_max.clamp(1, 4096),
            node: raw.database.node,
            catalog_path: raw.catalog.path,
            calendar_path: raw.calendar.path,
            warn_working_days: raw.deadlines.warn_working_days,
            rectification_days: raw.deadlines.rectification_days.max(1),
            tick_seconds: raw.deadlines.tick_seconds,
            notice_channel: channel,
            notice_max_attempts: raw.notices.max_attempts.max(1),
            notice_poll_millis: raw.notices.poll_millis.max(10),
            notice_batch: raw.notices.batch.clamp(1, 1000),
            session_hours: raw.auth.session_hours,
            argon2_memory_kib: raw.auth.argon2_memory_kib,
            argon2_iterations: raw.auth.argon2_iterations,
            auth_secret: (!raw.auth.secret.is_empty()).then_some(raw.auth.secret),
            secure_cookies,
            hsts,
            trusted_proxies,
            registration,
            json_body_bytes: raw.limits.json_body_bytes.max(1024),
            upload_bytes: raw.limits.upload_bytes.max(1024),
            connections: ConnectionLimits {
                header_timeout: positive_seconds("limits.header_timeout_seconds", raw.limits.header_timeout_seconds)?,
                body_timeout: positive_seconds("limits.body_timeout_seconds", raw.limits.body_timeout_seconds)?,
                idle_timeout: positive_seconds("limits.idle_timeout_seconds", raw.limits.idle_timeout_seconds)?,
                max_connections: match raw.limits.max_connections {
                    0 => return Err(err("limits.max_connections", "must be at least 1")),
                    n => n,
                },
            },
            parking_osm: match raw.parking.osm.trim() {
                "" => Some(PathBuf::from(raw.circles.osm.trim())),
                "off" => None,
                other => Some(PathBuf::from(other)),
            },
            circles: check_circles(raw.circles)?,
            pool: check_pool(raw.pool)?,
            guardian: check_guardian(raw.guardian)?,
            governance: check_governance(raw.governance)?,
            halls: check_halls(raw.halls)?,
        })
    }

    /// The URL people use to reach the server.
    pub fn base_url(&self, bound: SocketAddr) -> String {
        self.public_url.clone().unwrap_or_else(|| format!("http://{bound}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_load() {
        let c = Config::defaults();
        assert_eq!(c.listen.port(), 8080);
        assert!(matches!(c.notice_channel, NoticeChannel::Log { .. }));
        assert!(!c.secure_cookies && !c.hsts, "plain http by default");
    }

    #[test]
    fn https_turns_on_secure_cookies_and_hsts_unless_told_otherwise() {
        let env = |extra: &[(&str, &str)]| {
            let mut v = vec![("MINSHENG__PUBLIC_URL".to_owned(), "https://fy.example.gov.cn".to_owned())];
            v.extend(extra.iter().map(|(k, x)| ((*k).to_owned(), (*x).to_owned())));
            v
        };
        let c = Config::load(None, env(&[])).expect("config");
        assert!(c.secure_cookies && c.hsts);
        let c = Config::load(None, env(&[("MINSHENG__AUTH__HSTS", "off")])).expect("config");
        assert!(c.secure_cookies && !c.hsts);
        assert_eq!(Config::load(None, env(&[("MINSHENG__AUTH__HSTS", "maybe")])).expect_err("bad").setting, "auth.hsts");
        assert_eq!(Config::load(None, env(&[("MINSHENG__AUTH__SECRET", "short")])).expect_err("bad").setting, "auth.secret");
        let c = Config::load(None, env(&[("MINSHENG__AUTH__TRUSTED_PROXIES", "10.0.0.1, ::1")])).expect("config");
        assert_eq!(c.trusted_proxies.len(), 2);
        assert_eq!(Config::load(None, env(&[("MINSHENG__AUTH__TRUSTED_PROXIES", "proxy")])).expect_err("bad").setting, "auth.trusted_proxies");
        let c = Config::load(None, env(&[("MINSHENG__AUTH__SECRET", "0123456789abcdef0123456789abcdef")])).expect("config");
        assert!(!format!("{c:?}").contains("0123456789abcdef"), "the secret never prints");
    }

    #[test]
    fn registration_settings() {
        let r = Config::defaults().registration;
        assert_eq!((r.code_minutes, r.code_tries, r.codes_per_number, r.claim_code_days), (10, 5, 5, 30));
        let env = vec![("MINSHENG__AUTH__REGISTER_CODES_PER_ADDRESS".to_owned(), "3".to_owned())];
        assert_eq!(Config::load(None, env).expect("config").registration.codes_per_address, 3);
        for (k, v, setting) in [
            ("MINSHENG__AUTH__REGISTER_CODE_MINUTES", "0", "auth.register_code_minutes"),
            ("MINSHENG__AUTH__REGISTER_CODE_TRIES", "11", "auth.register_code_tries"),
            ("MINSHENG__AUTH__REGISTER_CODES_PER_PHONE", "0", "auth.register_codes_per_phone"),
            ("MINSHENG__AUTH__CLAIM_CODE_DAYS", "0", "auth.claim_code_days"),
        ] {
            assert_eq!(Config::load(None, vec![(k.to_owned(), v.to_owned())]).expect_err(k).setting, setting);
        }
    }

    #[test]
    fn file_then_env_override() {
        let dir = tempfile::tempdir().expect("tempdir");
        let f = dir.path().join("m.toml");
        std::fs::write(&f, "listen = \"0.0.0.0:9000\"\n[deadlines]\nwarn_working_days = 2\n").expect("write");
        let env = vec![
            ("MINSHENG__DEADLINES__WARN_WORKING_DAYS".to_owned(), "3".to_owned()),
            ("MINSHENG__DATABASE__URL".to_owned(), "postgres://u:pw@localhost/test".to_owned()),
            ("OTHER".to_owned(), "x".to_owned()),
        ];
        let c = Config::load(Some(&f), env).expect("config");
        assert_eq!(c.listen.port(), 9000);
        assert_eq!(c.warn_working_days, 3);
        assert_eq!(c.database_url.expose(), "postgres://u:pw@localhost/test");
        assert!(!format!("{c:?}").contains("pw@"), "secrets must not be printed");
    }

    #[test]
    fn bad_values_name_the_setting() {
        let env = vec![("MINSHENG__NOTICES__CHANNEL".to_owned(), "pigeon".to_owned())];
        let e = Config::load(None, env).expect_err("bad channel");
        assert_eq!(e.setting, "notices.channel");
        let env = vec![("MINSHENG__DATABASE__URL".to_owned(), "mysql://x".to_owned())];
        assert_eq!(Config::load(None, env).expect_err("bad url").setting, "database.url");
        let env = vec![("MINSHENG__NOSUCH".to_owned(), "1".to_owned())];
        assert!(Config::load(None, env).is_err(), "unknown settings are errors");
    }

    #[test]
    fn the_node_number_is_optional_and_checked() {
        assert_eq!(Config::defaults().node, None, "unset: each server takes a free one");
        let env = |v: &str| vec![("MINSHENG__DATABASE__NODE".to_owned(), v.to_owned())];
        assert_eq!(Config::load(None, env("7")).expect("config").node, Some(7));
        for bad in ["1024", "-1", "seven", ""] {
            assert_eq!(Config::load(None, env(bad)).expect_err(bad).setting, "database.node", "{bad:?}");
        }
    }

    #[test]
    fn circles_settings() {
        let c = Config::defaults().circles;
        assert_eq!(c.osm, PathBuf::from("data/osm/sao-paulo-centre.osm.pbf"));
        assert_eq!(c.facility_columns, vec![("schools".to_owned(), "primary_school".to_owned())]);
        assert_eq!((c.areas, c.service_minutes, c.service_target), (None, 15, 0.8));
        let env = vec![
            ("MINSHENG__CIRCLES__FACILITIES".to_owned(), "a.csv, b.geojson".to_owned()),
            ("MINSHENG__CIRCLES__POPULATION".to_owned(), "".to_owned()),
            ("MINSHENG__CIRCLES__PROFILE".to_owned(), "elderly".to_owned()),
        ];
        let c = Config::load(None, env).expect("config").circles;
        assert_eq!(c.facilities, vec![PathBuf::from("a.csv"), PathBuf::from("b.geojson")]);
        assert_eq!((c.population, c.profile.as_str()), (None, "elderly"));
        for (k, v, setting) in [
            ("MINSHENG__CIRCLES__PROFILE", "cyclist", "circles.profile"),
            ("MINSHENG__CIRCLES__FACILITY_COLUMNS", "schools", "circles.facility_columns"),
            ("MINSHENG__CIRCLES__SERVICE_TARGET_PERCENT", "0", "circles.service_target_percent"),
            ("MINSHENG__CIRCLES__OSM", "", "circles.osm"),
        ] {
            let e = Config::load(None, vec![(k.to_owned(), v.to_owned())]).expect_err(k);
            assert_eq!(e.setting, setting);
        }
    }
}
