//! Prometheus metrics: one global recorder for the whole process (the dispatch loop's
//! `metrics::counter!` calls land in it too), exposed at `GET /metrics`.
//!
//! The metric names are constants in `crate::metric_names`, below every module that counts.

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;
use std::time::Duration;

pub use crate::metric_names::*;

const LATENCY_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// The process-wide recorder's handle, installing it on first use. When another recorder
/// was installed first (an embedding program's), ours still renders but stays empty.
pub fn handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new()
                .set_buckets_for_metric(Matcher::Full(REQUEST_SECONDS.into()), LATENCY_BUCKETS)
                .expect("latency buckets are not empty");
            let handle = match builder.install_recorder() {
                Ok(h) => h,
                Err(e) => {
                    tracing::warn!(error = %e, "A metrics recorder was already installed; /metrics shows only its own.");
                    PrometheusBuilder::new().build_recorder().handle()
                }
            };
            describe();
            // Histograms keep raw samples until upkeep folds them in: without this thread a
            // busy pixel would grow memory between scrapes.
            let upkeep = handle.clone();
            std::thread::Builder::new()
                .name("metrics-upkeep".into())
                .spawn(move || {
                    loop {
                        std::thread::sleep(Duration::from_secs(5));
                        upkeep.run_upkeep();
                    }
                })
                .expect("spawn the metrics upkeep thread");
            handle
        })
        .clone()
}

fn describe() {
    use metrics::{describe_counter, describe_gauge, describe_histogram};
    describe_counter!(EMAILS_SENT, "Emails accepted by the mail transport.");
    describe_counter!(EMAILS_FAILED, "Deliveries that failed for good.");
    describe_counter!(
        EMAILS_THROTTLED,
        "Emails a transport's server answered with slow down."
    );
    describe_counter!(
        EMAILS_FAILED_OVER,
        "Emails handed back for the next transport because theirs could not be reached."
    );
    describe_gauge!(
        TRANSPORT_RATE,
        "Emails per second a transport may send now (0 = unlimited)."
    );
    describe_gauge!(
        TRANSPORT_UP,
        "1 while a transport can be reached, 0 while it is down (failover)."
    );
    describe_gauge!(QUEUE_DEPTH, "Deliveries queued or in flight.");
    describe_counter!(EVENTS_IN, "Events stored by the HTTP endpoint.");
    describe_counter!(WEBHOOK_REJECTS, "Webhook requests refused.");
    describe_gauge!(BUFFER_DEPTH, "Tracking hits waiting to be written.");
    describe_counter!(
        EVENTS_DROPPED,
        "Tracking hits lost after every write retry."
    );
    describe_histogram!(
        REQUEST_SECONDS,
        metrics::Unit::Seconds,
        "HTTP request latency."
    );
    // Counters appear on the first scrape even before anything happened.
    metrics::counter!(EMAILS_SENT).increment(0);
    metrics::counter!(EMAILS_FAILED).increment(0);
}
