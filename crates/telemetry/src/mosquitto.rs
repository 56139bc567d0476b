//! Mosquitto's files for production: the password file, the ACL file and `mosquitto.conf`.
//!
//! - **Passwords** are hashed as `mosquitto_passwd` (Mosquitto 2.0) does: PBKDF2-HMAC-SHA512,
//!   a 12-byte random salt, a 64-byte hash, written `user:$7$<iterations>$<salt b64>$<hash b64>`
//!   (standard base64 with padding; 101 iterations by default, as `mosquitto_passwd`). Devices
//!   get long random passwords ([`generate_password`]), so the low count costs nothing in
//!   safety and keeps 100,000 devices reconnecting after a broker restart cheap for the broker.
//! - **ACLs**: each device may only write its own topic (`pattern write
//!   minsheng/v1/guardian/%u/up`: the user name is the device id), a gateway only its devices'
//!   topics, and the servers' accounts may read every device topic (directly or through
//!   `$share/…`). Anything not granted is denied: a device publishing on another device's topic
//!   is acknowledged by Mosquitto (MQTT 3.1.1 has no way to say no) and the message dropped.
//! - **mosquitto.conf**: one listener, no anonymous access, persistence on. Mosquitto 2.0
//!   keeps sessions and queued messages in memory and writes them to its database every
//!   `autosave_interval` seconds (1 here) and at a clean shutdown: a persistent session
//!   (its subscription and unacknowledged QoS 1 messages) survives a restart and a `kill -9`,
//!   **except** what arrived in the last second before a `kill -9`, which the broker had
//!   already PUBACKed to the device. Saving on every change would rewrite the whole database
//!   per message; Mosquitto 2.1's persistence plugin is the way to close that second.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::io::Write as _;
use std::net::IpAddr;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::path::PathBuf;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use rand::Rng;
use rand::RngCore;
use sha2::Sha512;

use crate::error::Error;
use crate::error::Result;
use crate::topic;

/// `mosquitto_passwd`'s iteration count (Mosquitto 2.0).
pub const DEFAULT_ITERATIONS: u32 = 101;

const SALT_LEN: usize = 12;
const HASH_LEN: usize = 64;

/// A random password of 24 letters and digits (~143 bits).
pub fn generate_password() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
    let mut rng = rand::rng();
    (0..24).map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())])).collect()
}

/// The `$7$…` hash of `password` with a fresh random salt.
pub fn hash_password(password: &str, iterations: u32) -> String {
    let mut salt = [0u8; SALT_LEN];
    rand::rng().fill_bytes(&mut salt);
    hash_with_salt(password, &salt, iterations)
}

fn hash_with_salt(password: &str, salt: &[u8], iterations: u32) -> String {
    let mut hash = [0u8; HASH_LEN];
    pbkdf2::pbkdf2_hmac::<Sha512>(password.as_bytes(), salt, iterations.max(1), &mut hash);
    format!("$7${}${}${}", iterations.max(1), STANDARD.encode(salt), STANDARD.encode(hash))
}

/// Whether `password` matches a `$7$…` hash (the other hash kinds are not read).
pub fn verify_password(hash: &str, password: &str) -> bool {
    let mut parts = hash.split('$');
    let (Some(""), Some("7"), Some(iter), Some(salt), Some(expected), None) =
        (parts.next(), parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    let (Ok(iterations), Ok(salt), Ok(expected)) = (iter.parse::<u32>(), STANDARD.decode(salt), STANDARD.decode(expected)) else {
        return false;
    };
    if iterations == 0 || expected.len() != HASH_LEN {
        return false;
    }
    let mut hash = [0u8; HASH_LEN];
    pbkdf2::pbkdf2_hmac::<Sha512>(password.as_bytes(), &salt, iterations, &mut hash);
    // Constant time: every byte compared.
    hash.iter().zip(&expected).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
}

fn check_user(user: &str) -> Result<()> {
    if topic::valid_device_id(user) { Ok(()) } else { Err(Error::InvalidUser(user.to_owned())) }
}

/// A Mosquitto password file: user names and their hashes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PasswordFile {
    entries: BTreeMap<String, String>,
}

impl PasswordFile {
    /// An empty file.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) `user` with `password`, hashed with [`DEFAULT_ITERATIONS`]. User names
    /// are device ids or account names: 1-64 letters, digits, `-` or `_`.
    pub fn add(&mut self, user: &str, password: &str) -> Result<()> {
        self.add_with_iterations(user, password, DEFAULT_ITERATIONS)
    }

    /// As [`PasswordFile::add`] with another iteration count.
    pub fn add_with_iterations(&mut self, user: &str, password: &str, iterations: u32) -> Result<()> {
        check_user(user)?;
        self.entries.insert(user.to_owned(), hash_password(password, iterations));
        Ok(())
    }

    /// Whether `user` exists with that password (so the embedded broker can check the same
    /// credentials as Mosquitto; each check costs one PBKDF2, ~0.1 ms at 101 iterations).
    pub fn verify(&self, user: &str, password: &str) -> bool {
        self.entries.get(user).is_some_and(|h| verify_password(h, password))
    }

    /// Number of users.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there is no user.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Reads a file's text (`user:hash` lines; blank lines and `#` comments skipped). Lines
    /// that are not `user:$7$…` are skipped too.
    pub fn parse(text: &str) -> Self {
        let entries = text
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
            .filter_map(|l| l.split_once(':'))
            .filter(|(_, h)| h.starts_with("$7$"))
            .map(|(u, h)| (u.to_owned(), h.to_owned()))
            .collect();
        Self { entries }
    }

    /// The file's text.
    pub fn render(&self) -> String {
        self.entries.iter().fold(String::new(), |mut s, (u, h)| {
            let _ = writeln!(s, "{u}:{h}");
            s
        })
    }

    /// Writes the file, readable by its owner only.
    pub fn write(&self, path: &Path) -> Result<()> {
        write_private(path, &self.render())
    }
}

/// Who may read and write which topics. [`Acl::render`] gives Mosquitto's `acl_file`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Acl {
    /// The filter the servers read (default [`topic::DEVICE_FILTER`]).
    pub filter: String,
    /// The shared-subscription group the servers use (default [`topic::SHARE_GROUP`]).
    pub share_group: String,
    servers: Vec<String>,
    gateways: Vec<(String, Vec<String>)>,
    simulators: Vec<String>,
    /// Car parks whose feed user ([`topic::parking_user`]) writes their occupancy topic.
    lots: Vec<String>,
}

impl Default for Acl {
    fn default() -> Self {
        Self::new()
    }
}

impl Acl {
    /// Devices write their own topic; no server, no gateway yet.
    pub fn new() -> Self {
        Self { filter: topic::DEVICE_FILTER.to_owned(), share_group: topic::SHARE_GROUP.to_owned(), servers: Vec::new(), gateways: Vec::new(), simulators: Vec::new(), lots: Vec::new() }
    }

    /// A servers' account, which reads every device topic.
    pub fn server(&mut self, user: &str) -> Result<&mut Self> {
        check_user(user)?;
        self.servers.push(user.to_owned());
        Ok(self)
    }

    /// A gateway's account, which writes the topics of the devices it publishes for: one ACL
    /// line per device, and Mosquitto checks a user's lines one by one at every publish, so keep
    /// a gateway to about a thousand devices.
    pub fn gateway(&mut self, user: &str, devices: &[&str]) -> Result<&mut Self> {
        check_user(user)?;
        for d in devices {
            check_user(d)?;
        }
        self.gateways.push((user.to_owned(), devices.iter().map(|d| (*d).to_owned()).collect()));
        Ok(self)
    }

    /// A simulator's or load generator's account, which may write every device topic. Never
    /// for a real device or gateway.
    pub fn simulator(&mut self, user: &str) -> Result<&mut Self> {
        check_user(user)?;
        self.simulators.push(user.to_owned());
        Ok(self)
    }

    /// A car park's occupancy feed: its user ([`topic::parking_user`]) writes the lot's topic
    /// ([`topic::parking_topic`]) and nothing else.
    pub fn parking_feed(&mut self, lot: &str) -> Result<&mut Self> {
        check_user(lot)?;
        self.lots.push(lot.to_owned());
        Ok(self)
    }

    /// The ACL file's text.
    pub fn render(&self) -> String {
        let mut s = String::from("# minsheng guardian: generated by the telemetry crate; do not edit by hand.\n");
        for u in &self.servers {
            let _ = writeln!(s, "\nuser {u}");
            let _ = writeln!(s, "topic read {}", self.filter);
            let _ = writeln!(s, "topic read $share/{}/{}", self.share_group, self.filter);
            let _ = writeln!(s, "topic read {}", topic::PARKING_FILTER);
            let _ = writeln!(s, "topic read $share/{}/{}", self.share_group, topic::PARKING_FILTER);
        }
        for lot in &self.lots {
            let _ = writeln!(s, "\nuser {}", topic::parking_user(lot));
            let _ = writeln!(s, "topic write {}", topic::parking_topic(lot));
        }
        for (u, devices) in &self.gateways {
            let _ = writeln!(s, "\nuser {u}");
            for d in devices {
                let _ = writeln!(s, "topic write {}", topic::device_topic(d));
            }
        }
        for u in &self.simulators {
            let _ = writeln!(s, "\nuser {u}");
            let _ = writeln!(s, "topic write {}", self.filter);
        }
        // Patterns apply to every authenticated client: a device's user name is its id.
        let _ = writeln!(s, "\npattern write minsheng/v1/guardian/%u/up");
        s
    }

    /// Writes the file, readable by its owner only.
    pub fn write(&self, path: &Path) -> Result<()> {
        write_private(path, &self.render())
    }
}

/// Settings of a generated `mosquitto.conf`. [`MosquittoConf::new`] gives the defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MosquittoConf {
    /// Where the configuration and the persistence database go.
    pub dir: PathBuf,
    /// The listener's port.
    pub port: u16,
    /// The listener's address; `None` listens on every interface.
    pub bind: Option<IpAddr>,
    /// The password file.
    pub password_file: PathBuf,
    /// The ACL file.
    pub acl_file: PathBuf,
    /// Seconds between saves of the persistence database (default 1).
    pub autosave_interval_s: u32,
    /// QoS 1 messages on the wire to one client, unacknowledged (default 1,000; Mosquitto's is 20).
    pub max_inflight_messages: u32,
    /// QoS 1 messages queued for one client beyond those in flight (default 2,000,000 — an
    /// offline server's backlog of 40 s at 50,000 readings a second; Mosquitto's is 1,000, and
    /// past the limit it drops messages).
    pub max_queued_messages: u32,
    /// Days after which the persistent session of a client that never came back is dropped
    /// (default 30).
    pub session_expiry_days: u32,
    /// The Unix user Mosquitto runs as when started as root (`None`: Mosquitto's default,
    /// `mosquitto`, which must be able to read the files and write `dir`).
    pub run_as: Option<String>,
    /// A log file; `None` logs to stderr.
    pub log_file: Option<PathBuf>,
}

impl MosquittoConf {
    /// Defaults for a listener on `port` with these files, writing into `dir`.
    pub fn new(dir: &Path, port: u16, password_file: &Path, acl_file: &Path) -> Self {
        Self {
            dir: dir.to_owned(),
            port,
            bind: None,
            password_file: password_file.to_owned(),
            acl_file: acl_file.to_owned(),
            autosave_interval_s: 1,
            max_inflight_messages: 1000,
            max_queued_messages: 2_000_000,
            session_expiry_days: 30,
            run_as: None,
            log_file: None,
        }
    }

    /// The configuration's text.
    pub fn render(&self) -> String {
        let mut s = String::from("# minsheng guardian broker: generated by the telemetry crate.\n");
        let _ = writeln!(s, "per_listener_settings false");
        let _ = writeln!(s, "allow_anonymous false");
        let _ = writeln!(s, "password_file {}", self.password_file.display());
        let _ = writeln!(s, "acl_file {}", self.acl_file.display());
        if let Some(user) = &self.run_as {
            let _ = writeln!(s, "user {user}");
        }
        let _ = writeln!(s, "\n# Persistent sessions survive a restart (see the crate's documentation for kill -9).");
        let _ = writeln!(s, "persistence true");
        let _ = writeln!(s, "persistence_location {}/", self.dir.display());
        let _ = writeln!(s, "persistence_file mosquitto.db");
        let _ = writeln!(s, "autosave_interval {}", self.autosave_interval_s.max(1));
        let _ = writeln!(s, "autosave_on_changes false");
        let _ = writeln!(s, "persistent_client_expiration {}d", self.session_expiry_days.max(1));
        let _ = writeln!(s, "\n# QoS 1 flow: enough in flight for 50,000 readings a second, a deep queue for a server away.");
        let _ = writeln!(s, "max_inflight_messages {}", self.max_inflight_messages.max(1));
        let _ = writeln!(s, "max_queued_messages {}", self.max_queued_messages);
        let _ = writeln!(s, "max_queued_bytes 0");
        let _ = writeln!(s, "max_packet_size 65536");
        // No `set_tcp_nodelay`: sending every packet at once cost a third of the throughput
        // (36,000 against 49,000-61,000 messages/s in the throughput example); under load
        // Nagle's algorithm only joins packets that are queued anyway.
        match &self.log_file {
            Some(f) => {
                let _ = writeln!(s, "\nlog_dest file {}", f.display());
            }
            None => {
                let _ = writeln!(s, "\nlog_dest stderr");
            }
        }
        let _ = writeln!(s, "log_type error\nlog_type warning\nlog_type notice\nlog_type information");
        let _ = writeln!(s, "connection_messages true");
        match self.bind {
            Some(ip) => {
                let _ = writeln!(s, "\nlistener {} {ip}", self.port);
            }
            None => {
                let _ = writeln!(s, "\nlistener {}", self.port);
            }
        }
        let _ = writeln!(s, "max_connections -1");
        s
    }

    /// Writes `mosquitto.conf` into `dir` (creating `dir`) and returns its path.
    pub fn write(&self) -> Result<PathBuf> {
        fs::create_dir_all(&self.dir).map_err(|e| Error::Write { path: self.dir.clone(), source: e })?;
        let path = self.dir.join("mosquitto.conf");
        write_private(&path, &self.render())?;
        Ok(path)
    }
}

/// Writes a complete `dir/mosquitto.conf` with the defaults of [`MosquittoConf::new`] and
/// returns its path.
pub fn mosquitto_config(dir: &Path, port: u16, password_file: &Path, acl_file: &Path) -> Result<PathBuf> {
    MosquittoConf::new(dir, port, password_file, acl_file).write()
}

/// A Mosquitto process of one's own on a free loopback port, made from a password file and an ACL
/// file with the defaults of [`MosquittoConf::new`] (data, log and `mosquitto.conf` under `dir`):
/// for tests, benchmarks and examples. Killed (SIGKILL) when dropped.
#[derive(Debug)]
pub struct LocalBroker {
    child: std::process::Child,
    conf: PathBuf,
    addr: std::net::SocketAddr,
}

impl LocalBroker {
    /// Writes the configuration, starts `mosquitto` and waits (at most 30 s) until it listens.
    pub fn start(dir: &Path, password_file: &Path, acl_file: &Path) -> Result<Self> {
        let port = std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map_err(|e| Error::Write { path: dir.to_owned(), source: e })?.port();
        let mut conf = MosquittoConf::new(&dir.join("data"), port, password_file, acl_file);
        conf.bind = Some([127, 0, 0, 1].into());
        conf.log_file = Some(dir.join("mosquitto.log"));
        // Started as root, Mosquitto would switch to the `mosquitto` user, which cannot read the
        // files of a temporary directory.
        if running_as_root() {
            conf.run_as = Some("root".to_owned());
        }
        let conf = conf.write()?;
        let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
        let child = spawn_listening(&conf, addr)?;
        Ok(Self { child, conf, addr })
    }

    /// `mqtt://127.0.0.1:port`.
    pub fn url(&self) -> String {
        format!("mqtt://{}", self.addr)
    }

    /// SIGHUP: it reads its password and ACL files again.
    pub fn reload(&self) -> Result<()> {
        let status = std::process::Command::new("kill").args(["-HUP", &self.child.id().to_string()]).status();
        match status {
            Ok(s) if s.success() => Ok(()),
            Ok(s) => Err(Error::BrokerStart { addr: self.addr, reason: format!("kill -HUP: {s}") }),
            Err(e) => Err(Error::BrokerStart { addr: self.addr, reason: format!("kill -HUP: {e}") }),
        }
    }

    /// SIGKILL, then a start on the same files, port and persistence.
    pub fn kill_and_restart(&mut self) -> Result<()> {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.child = spawn_listening(&self.conf, self.addr)?;
        Ok(())
    }
}

impl Drop for LocalBroker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn spawn_listening(conf: &Path, addr: std::net::SocketAddr) -> Result<std::process::Child> {
    let fail = |reason: String| Error::BrokerStart { addr, reason };
    let mut child = std::process::Command::new("mosquitto")
        .arg("-c")
        .arg(conf)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::inherit())
        .spawn()
        .map_err(|e| fail(format!("the mosquitto binary (Debian's package mosquitto): {e}")))?;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while std::net::TcpStream::connect_timeout(&addr, std::time::Duration::from_millis(100)).is_err() {
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err(fail("it did not listen within 30 s".to_owned()));
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    Ok(child)
}

fn running_as_root() -> bool {
    fs::read_to_string("/proc/self/status").ok().and_then(|s| s.lines().find(|l| l.starts_with("Uid:")).map(|l| l.split_whitespace().nth(1) == Some("0"))).unwrap_or(false)
}

fn write_private(path: &Path, text: &str) -> Result<()> {
    let err = |e| Error::Write { path: path.to_owned(), source: e };
    let mut f = fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(path).map_err(err)?;
    f.write_all(text.as_bytes()).map_err(err)?;
    f.sync_all().map_err(err)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A line `mosquitto_passwd -b file dev-1 secret` (Mosquitto 2.0.11) wrote.
    const FROM_MOSQUITTO_PASSWD: &str =
        "dev-1:$7$101$bzl9Mvly2pYi8VC4$ffP4S7/6pdePohk8+Fce6qXp2zN6Uf/pXcVjyMB4SOY2zYQsnR3pXiI8bBE61HB0haJnOVtnXAZBNgxszS47pQ==";

    #[test]
    fn hashes_are_mosquitto_passwd_s() {
        let (user, hash) = FROM_MOSQUITTO_PASSWD.split_once(':').expect("a line");
        assert_eq!(user, "dev-1");
        let salt = STANDARD.decode("bzl9Mvly2pYi8VC4").expect("base64");
        assert_eq!(salt.len(), SALT_LEN);
        assert_eq!(hash_with_salt("secret", &salt, 101), hash);
        assert!(verify_password(hash, "secret"));
        assert!(!verify_password(hash, "secret "));
        let file = PasswordFile::parse(&format!("# comment\n\n{FROM_MOSQUITTO_PASSWD}\nold:$6$abc$def\n"));
        assert_eq!(file.len(), 1);
        assert!(file.verify("dev-1", "secret"));
        assert!(!file.verify("dev-2", "secret"));
    }

    #[test]
    fn a_new_hash_has_a_fresh_salt_and_verifies() {
        let a = hash_password("pw", DEFAULT_ITERATIONS);
        let b = hash_password("pw", DEFAULT_ITERATIONS);
        assert_ne!(a, b);
        assert!(a.starts_with("$7$101$"));
        assert!(verify_password(&a, "pw") && verify_password(&b, "pw"));
        for bad in ["", "$7$", "$7$0$AAAA$AAAA", "$6$101$bzl9Mvly2pYi8VC4$AAAA", "$7$x$y$z", "$7$101$!!$!!", &format!("{a}$extra")] {
            assert!(!verify_password(bad, "pw"), "{bad:?}");
        }
        let p = generate_password();
        assert_eq!(p.len(), 24);
        assert!(p.bytes().all(|b| b.is_ascii_alphanumeric()));
        assert_ne!(p, generate_password());
    }

    #[test]
    fn users_that_cannot_go_into_the_files_are_refused() {
        let mut f = PasswordFile::new();
        for bad in ["", "a:b", "a b", "a\nb", "a/b", "%u"] {
            assert!(matches!(f.add(bad, "pw"), Err(Error::InvalidUser(_))), "{bad:?}");
        }
        f.add("gw-1", "pw").expect("valid");
        f.add("dev_2", "pw").expect("valid");
        let text = f.render();
        assert_eq!(text.lines().count(), 2);
        assert!(text.starts_with("dev_2:$7$101$"));
        assert_eq!(PasswordFile::parse(&text), f);
        let mut acl = Acl::new();
        assert!(acl.gateway("gw-1", &["ok", "not/ok"]).is_err());
        assert!(acl.server("a b").is_err());
    }

    #[test]
    fn the_acl_grants_each_its_own() {
        let mut acl = Acl::new();
        acl.server("minsheng-server").expect("valid");
        acl.gateway("gw-1", &["pir-1", "door-1"]).expect("valid");
        acl.simulator("sim-1").expect("valid");
        acl.parking_feed("fy-hospital-p1").expect("valid");
        assert!(acl.parking_feed("a/b").is_err());
        let text = acl.render();
        assert!(text.contains("user parking-fy-hospital-p1\ntopic write minsheng/v1/parking/fy-hospital-p1/occupancy\n"));
        assert!(text.contains("topic read $share/minsheng/minsheng/v1/parking/+/occupancy\n"));
        assert!(text.contains("user sim-1\ntopic write minsheng/v1/guardian/+/up\n"));
        assert!(text.contains("user minsheng-server\ntopic read minsheng/v1/guardian/+/up\ntopic read $share/minsheng/minsheng/v1/guardian/+/up\ntopic read minsheng/v1/parking/+/occupancy\n"));
        assert!(text.contains("user gw-1\ntopic write minsheng/v1/guardian/pir-1/up\ntopic write minsheng/v1/guardian/door-1/up\n"));
        assert!(text.ends_with("pattern write minsheng/v1/guardian/%u/up\n"));
        // Patterns come after every user block: Mosquitto reads a `pattern` line anywhere, but
        // a `topic` line belongs to the `user` above it.
        assert!(text.rfind("user ").unwrap_or(0) < text.find("pattern").unwrap_or(0));
    }

    #[test]
    fn the_configuration_is_complete() {
        let conf = MosquittoConf::new(Path::new("/var/lib/minsheng-mqtt"), 1883, Path::new("/etc/m/pw"), Path::new("/etc/m/acl"));
        let text = conf.render();
        for line in [
            "allow_anonymous false",
            "password_file /etc/m/pw",
            "acl_file /etc/m/acl",
            "persistence true",
            "persistence_location /var/lib/minsheng-mqtt/",
            "autosave_interval 1",
            "autosave_on_changes false",
            "max_inflight_messages 1000",
            "max_queued_messages 2000000",
            "listener 1883",
        ] {
            assert!(text.lines().any(|l| l == line), "{line}\n{text}");
        }
        let bound = MosquittoConf { bind: Some(IpAddr::from([127, 0, 0, 1])), ..conf };
        assert!(bound.render().lines().any(|l| l == "listener 1883 127.0.0.1"));
    }

    #[test]
    fn files_are_written_for_their_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let pw = dir.path().join("pw");
        let acl = dir.path().join("acl");
        let mut f = PasswordFile::new();
        f.add("dev-1", "pw").expect("valid");
        f.write(&pw).expect("written");
        Acl::new().write(&acl).expect("written");
        let conf = mosquitto_config(&dir.path().join("broker"), 1999, &pw, &acl).expect("written");
        for p in [&pw, &acl, &conf] {
            let mode = fs::metadata(p).expect("exists").permissions().mode() & 0o777;
            assert_eq!(mode, 0o600, "{}", p.display());
        }
        assert!(fs::read_to_string(&conf).expect("readable").contains("listener 1999"));
    }
}
