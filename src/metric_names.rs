//! The names of rapport's Prometheus metrics, as constants so that every module counts under
//! the same name. They live below every layer that counts (dispatch, the HTTP endpoints) so
//! that none of those has to import another; `http::metrics` installs the recorder, describes
//! them and serves `GET /metrics`.

/// Emails accepted by the mail transport (dispatch).
pub const EMAILS_SENT: &str = "rapport_emails_sent_total";
/// Deliveries that failed for good (dispatch).
pub const EMAILS_FAILED: &str = "rapport_emails_failed_total";
/// Emails a transport's server answered with "slow down", by `transport` (dispatch).
pub const EMAILS_THROTTLED: &str = "rapport_emails_throttled_total";
/// Emails handed back to the queue because their transport could not be reached, for the
/// next transport that is up to take (failover), by the `transport` that could not (dispatch).
pub const EMAILS_FAILED_OVER: &str = "rapport_emails_failed_over_total";
/// Emails per second a transport may send now, by `transport`; lowered when its server
/// throttles and raised back while replies are clean; 0 = unlimited (dispatch).
pub const TRANSPORT_RATE: &str = "rapport_transport_rate_per_second";
/// 1 while a transport can be reached, 0 while it is down and its emails go to the next
/// transport (failover), by `transport` (dispatch).
pub const TRANSPORT_UP: &str = "rapport_transport_up";
/// Deliveries still queued or in flight, refreshed on every scrape.
pub const QUEUE_DEPTH: &str = "rapport_queue_depth";
/// Events stored by the HTTP endpoint, by `kind` and `source` (tracking, webhook, api, page).
pub const EVENTS_IN: &str = "rapport_events_in_total";
/// Webhook requests refused, by `provider` and `status`.
pub const WEBHOOK_REJECTS: &str = "rapport_webhook_rejects_total";
/// Tracking hits waiting in the event buffer.
pub const BUFFER_DEPTH: &str = "rapport_event_buffer_depth";
/// Tracking hits that could not be written after every retry (logged as errors too).
pub const EVENTS_DROPPED: &str = "rapport_events_dropped_total";
/// HTTP request latency by `route` (the route template, never the token) and `status`.
pub const REQUEST_SECONDS: &str = "rapport_http_request_duration_seconds";
