//! The crate's one error type.

use std::io;
use std::path::PathBuf;

/// What can go wrong in the telemetry crate.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The broker URL is not `mqtt://host:port` (or `tcp://host:port`).
    #[error("invalid broker url {0:?}: expected mqtt://host:port")]
    InvalidUrl(String),
    /// A setting is out of its range (the message says which).
    #[error("invalid setting: {0}")]
    InvalidConfig(String),
    /// A topic or filter is not valid MQTT.
    #[error("invalid topic or filter {0:?}")]
    InvalidTopic(String),
    /// A device id or user name cannot go into a topic, an ACL or the password file.
    #[error("invalid user name {0:?}: 1-64 letters, digits, '-' or '_'")]
    InvalidUser(String),
    /// The embedded broker's address is taken, or it (or a [`crate::mosquitto::LocalBroker`]) did
    /// not start listening in time.
    #[error("broker on {addr} did not start: {reason}")]
    BrokerStart {
        /// The address it was to listen on.
        addr: std::net::SocketAddr,
        /// Why not.
        reason: String,
    },
    /// The broker could not be reached or refused the connection (bad credentials among others).
    #[error("cannot connect to the broker: {0}")]
    Connect(String),
    /// The connection was lost before the broker acknowledged the message; it may or may not have
    /// arrived, so publish it again (the server drops duplicates by the payload's `seq`).
    #[error("the connection to the broker was lost before the message was acknowledged")]
    Disconnected,
    /// The client was shut down.
    #[error("the MQTT client is closed")]
    Closed,
    /// Writing a Mosquitto file failed.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: io::Error,
    },
}

/// The crate's result.
pub type Result<T, E = Error> = std::result::Result<T, E>;
