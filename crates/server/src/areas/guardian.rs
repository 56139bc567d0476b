//! The elderly safety guardian (空巢老人安全守护, C1): elders under guard, their devices and
//! responders, readings in over MQTT, alarms and their closed loop, and the cockpit's figures.

pub mod cases;
pub mod views;
pub mod http;
pub mod live;
pub mod alarms;
pub mod figures;
