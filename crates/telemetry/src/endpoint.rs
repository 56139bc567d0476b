//! Where a client connects and as whom: the broker URL and the credentials, which never print.

use std::fmt;
use std::time::Duration;

use crate::error::Error;
use crate::error::Result;

/// A user name and password for the broker. `Debug` never shows the password.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// The user name (for a device, its device id).
    pub username: String,
    /// The password.
    pub password: String,
}

impl Credentials {
    /// Credentials from a user name and a password.
    pub fn new(username: impl Into<String>, password: impl Into<String>) -> Self {
        Self { username: username.into(), password: password.into() }
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials").field("username", &self.username).field("password", &"[redacted]").finish()
    }
}

/// A broker's host and port, parsed from `mqtt://host:port` (also `tcp://`; the port defaults to
/// 1883). TLS (`mqtts://`) is not built in: the servers reach the broker inside the data centre.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrokerUrl {
    /// Host name or address (an IPv6 address without its brackets).
    pub host: String,
    /// TCP port.
    pub port: u16,
}

impl BrokerUrl {
    /// Parses `mqtt://host[:port]` or `tcp://host[:port]`; no user, path or query.
    pub fn parse(url: &str) -> Result<Self> {
        let bad = || Error::InvalidUrl(url.to_owned());
        let rest = url.strip_prefix("mqtt://").or_else(|| url.strip_prefix("tcp://")).ok_or_else(bad)?;
        if rest.is_empty() || rest.contains(['/', '@', '?', '#', ' ']) {
            return Err(bad());
        }
        let (host, port) = if let Some(v6) = rest.strip_prefix('[') {
            let (host, after) = v6.split_once(']').ok_or_else(bad)?;
            match after {
                "" => (host, None),
                p => (host, Some(p.strip_prefix(':').ok_or_else(bad)?)),
            }
        } else {
            match rest.rsplit_once(':') {
                Some((host, port)) => (host, Some(port)),
                None => (rest, None),
            }
        };
        if host.is_empty() {
            return Err(bad());
        }
        let port = match port {
            Some(p) => p.parse::<u16>().ok().filter(|p| *p != 0).ok_or_else(bad)?,
            None => 1883,
        };
        Ok(Self { host: host.to_owned(), port })
    }
}

impl fmt::Display for BrokerUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') {
            write!(f, "mqtt://[{}]:{}", self.host, self.port)
        } else {
            write!(f, "mqtt://{}:{}", self.host, self.port)
        }
    }
}

/// Reconnection delays: from `first`, doubling up to `max`; back to `first` once connected.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Backoff {
    first: Duration,
    max: Duration,
    next: Duration,
}

impl Backoff {
    pub(crate) fn new(first: Duration, max: Duration) -> Self {
        Self { first, max, next: first }
    }

    /// The delay before the next attempt, and doubles the one after.
    pub(crate) fn next_delay(&mut self) -> Duration {
        let d = self.next;
        self.next = (self.next * 2).min(self.max);
        d
    }

    pub(crate) fn reset(&mut self) {
        self.next = self.first;
    }
}

/// The options every client of this crate starts from.
pub(crate) fn mqtt_options(
    url: &BrokerUrl,
    client_id: &str,
    credentials: Option<&Credentials>,
    keep_alive: Duration,
    max_packet_size: usize,
) -> rumqttc::MqttOptions {
    let mut o = rumqttc::MqttOptions::new(client_id, url.host.clone(), url.port);
    o.set_keep_alive(keep_alive.max(Duration::from_secs(1)));
    o.set_max_packet_size(max_packet_size, max_packet_size);
    if let Some(c) = credentials {
        o.set_credentials(c.username.clone(), c.password.clone());
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_parse() {
        let u = BrokerUrl::parse("mqtt://127.0.0.1:1883").expect("valid");
        assert_eq!((u.host.as_str(), u.port), ("127.0.0.1", 1883));
        assert_eq!(BrokerUrl::parse("tcp://broker.local").expect("valid").port, 1883);
        let v6 = BrokerUrl::parse("mqtt://[::1]:1884").expect("valid");
        assert_eq!((v6.host.as_str(), v6.port), ("::1", 1884));
        assert_eq!(v6.to_string(), "mqtt://[::1]:1884");
        assert_eq!(u.to_string(), "mqtt://127.0.0.1:1883");
        for bad in [
            "",
            "127.0.0.1:1883",
            "http://h:1",
            "mqtt://",
            "mqtt://:1883",
            "mqtt://h:0",
            "mqtt://h:70000",
            "mqtt://h:x",
            "mqtt://u:p@h:1",
            "mqtt://h:1/path",
            "mqtts://h:8883",
            "mqtt://[::1",
            "mqtt://[::1]x",
        ] {
            assert!(BrokerUrl::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn a_password_never_prints() {
        let c = Credentials::new("dev-1", "hunter2");
        assert!(!format!("{c:?}").contains("hunter2"));
    }

    #[test]
    fn backoff_doubles_to_its_cap() {
        let mut b = Backoff::new(Duration::from_millis(100), Duration::from_millis(350));
        let seen: Vec<u128> = (0..4).map(|_| b.next_delay().as_millis()).collect();
        assert_eq!(seen, [100, 200, 350, 350]);
        b.reset();
        assert_eq!(b.next_delay().as_millis(), 100);
    }
}
