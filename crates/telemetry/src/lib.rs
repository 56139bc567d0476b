//! The guardian's MQTT transport, and the only crate of minsheng that knows MQTT (issue 30).
//!
//! Devices publish their readings at QoS 1 on `minsheng/v1/guardian/{device_id}/up`
//! ([`topic`]); the servers take them through the shared subscription
//! `$share/minsheng/minsheng/v1/guardian/+/up`, so that several server processes split the load.
//! What a reading says is the `guardian` engine's business: this crate moves bytes.
//!
//! - [`EmbeddedBroker`] (`broker`): rumqttd in-process, so that `minsheng demo` needs nothing
//!   else. Per-client authentication, QoS 1, in-memory persistent sessions and shared
//!   subscriptions; **no topic ACLs** (they are enforced by the external broker), no disk.
//!   Its module documentation lists what rumqttd can and cannot do.
//! - [`Subscriber`] (`subscriber`): the server's side. Manual acknowledgement: a PUBACK goes out
//!   only when the server fires the [`Ack`] of a processed (durable) reading, so an
//!   acknowledged reading is never lost and one whose processing failed comes again.
//! - [`Publisher`] (`publisher`): the simulator's and the benchmark's side, pipelined.
//! - [`mosquitto`]: the production broker's password file (as `mosquitto_passwd` writes it),
//!   ACL file (each device writes only its own topic) and `mosquitto.conf` (persistence on).
//!
//! Every client speaks MQTT 3.1.1 over plain TCP (rumqttc); TLS is left to the network between
//! the servers and the broker.

mod broker;
mod endpoint;
mod error;
pub mod mosquitto;
mod publisher;
mod subscriber;
pub mod topic;

pub use broker::AuthFn;
pub use broker::EmbeddedBroker;
pub use broker::EmbeddedConfig;
pub use broker::PublishAclFn;
pub use broker::ShareStrategy;
pub use endpoint::BrokerUrl;
pub use endpoint::Credentials;
pub use error::Error;
pub use error::Result;
pub use publisher::LatencySummary;
pub use publisher::PublishStats;
pub use publisher::Publisher;
pub use subscriber::Ack;
pub use subscriber::Delivery;
pub use subscriber::Subscriber;
pub use subscriber::SubscriberConfig;
pub use subscriber::SubscriberStats;
pub use subscriber::ack_all;
