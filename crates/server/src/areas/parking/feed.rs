//! Car parks' occupancy feeds over MQTT: each lot's operator publishes its readings on
//! `minsheng/v1/parking/{lot}/occupancy` (QoS 1) signed in as the lot's feed user; the server
//! takes them in batches and acknowledges a batch only once its readings are durable, so that the
//! broker delivers again what a server could not write. A reading refused for what it says (above
//! capacity, out of order, an unknown lot) is acknowledged and counted: sending it again would not
//! change the answer.

use std::sync::atomic::Ordering;

use crate::state::AppState;

/// Takes occupancy readings from the broker until `stop`.
pub async fn mqtt(state: AppState, config: telemetry::SubscriberConfig, mut stop: tokio::sync::watch::Receiver<bool>) {
    let (subscriber, mut rx) = match telemetry::Subscriber::start(config) {
        Ok(s) => s,
        Err(e) => {
            tracing::error!(error = %e, "parking: MQTT subscriber did not start");
            return;
        }
    };
    match subscriber.wait_subscribed(std::time::Duration::from_secs(30)).await {
        Ok(()) => state.parking.subscribed.store(true, Ordering::Release),
        Err(e) => tracing::warn!(error = %e, "parking: not subscribed yet; readings are taken once the broker answers"),
    }
    let mut deliveries = Vec::with_capacity(512);
    loop {
        deliveries.clear();
        tokio::select! {
            n = rx.recv_many(&mut deliveries, 512) => if n == 0 { break },
            _ = stop.changed() => break,
        }
        let batch: Vec<(Option<String>, bytes::Bytes)> = deliveries.iter().map(|d| (d.device_id.clone(), d.payload.clone())).collect();
        match super::cases::take_published(&state, &batch).await {
            Ok(()) => telemetry::ack_all(deliveries.drain(..).map(|d| d.ack)),
            // Not acknowledged: the broker delivers them again.
            Err(e) => tracing::warn!(error = ?e, n = batch.len(), "parking: a batch of readings was not taken; the broker will deliver it again"),
        }
    }
    subscriber.shutdown().await;
}
