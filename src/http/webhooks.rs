//! `POST /webhooks/{provider}`: verified and parsed by [`crate::providers`], stored by
//! [`crate::ingest::webhook`] (correlation, suppressions, the soft-bounce limit).
//!
//! An authenticated request that parses is never refused for a field it lacks: what can be
//! stored is, the rest is logged, and the answer is 2xx. When we fail to store, the answer is
//! the status that makes the provider retry ([`crate::providers::Provider::retry_status`]),
//! and nothing of the request (not even a single-use token) is kept.

use super::AppState;
use super::api::items_error;
use super::error::ApiError;
use crate::ingest::IngestError;
use crate::ingest::webhook::{self, Outcome};
use crate::providers::{Inbound, InboundEvent, WebhookError};
use crate::store::StoreError;
use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use serde_json::json;

pub async fn receive(
    State(s): State<AppState>,
    Path(provider): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let body = body.map_err(items_error)?;
    let registry = &s.inner.registry;
    let inbound = match registry
        .handle(&provider, &headers, &body, Utc::now())
        .await
    {
        Ok(inbound) => inbound,
        Err(e) => return Err(rejected(&provider, e)),
    };
    // `handle` succeeded, so the provider is configured.
    let Some(p) = registry.get(&provider) else {
        return Err(rejected(
            &provider,
            WebhookError::UnknownProvider(provider.clone()),
        ));
    };
    match inbound {
        Inbound::Events(events) => {
            let token = p.single_use_token(&body);
            let outcome = match ingest(&s, p.name(), &events, token).await {
                Ok(outcome) => outcome,
                Err(IngestError::Replayed) => {
                    return Err(rejected(&provider, WebhookError::Replayed));
                }
                Err(IngestError::Store(e)) => {
                    return Err(not_stored(p.name(), p.retry_status(), e));
                }
            };
            if outcome.already_stored {
                tracing::info!(
                    provider,
                    received = events.len(),
                    "Webhook retried after its events were stored; nothing to do."
                );
            } else {
                tracing::info!(
                    provider,
                    received = events.len(),
                    stored = outcome.stored,
                    suppressed = outcome.suppressed.len(),
                    uncorrelated = outcome.uncorrelated,
                    "Webhook events ingested."
                );
            }
            Ok(Json(json!({
                "received": events.len(),
                "stored": outcome.stored,
                "suppressed": outcome.suppressed.len(),
            }))
            .into_response())
        }
        Inbound::SubscriptionConfirmation {
            subscribe_url,
            topic_arn,
        } => {
            if s.inner.sns_auto_confirm {
                if let Err(e) = registry.confirm_subscription(&subscribe_url).await {
                    return Err(rejected(&provider, e));
                }
                tracing::info!(provider, topic_arn, "Confirmed the SNS subscription.");
            } else {
                tracing::warn!(
                    provider,
                    topic_arn,
                    subscribe_url,
                    "SNS asks to confirm a subscription; webhooks.ses.auto_confirm is off, so confirm it by hand."
                );
            }
            Ok(Json(json!({"received": 0, "stored": 0})).into_response())
        }
        Inbound::Ignored => Ok(Json(json!({"received": 0, "stored": 0})).into_response()),
    }
}

/// A verified request we could not store: answered with the status that makes this provider
/// retry (nothing of it was kept, so the retry is accepted), counted like a refusal.
fn not_stored(provider: &'static str, status: StatusCode, e: StoreError) -> ApiError {
    ::metrics::counter!(super::metrics::WEBHOOK_REJECTS, "provider" => provider, "status" => status.as_str().to_string())
        .increment(1);
    tracing::error!(provider, error = %e, %status, "Webhook events could not be stored; the provider will retry.");
    ApiError::Webhook {
        status,
        message: "temporarily unavailable, try again".into(),
    }
}

/// The status the provider layer chose, a short message without details (logged instead),
/// and a count by provider and status.
fn rejected(provider: &str, e: WebhookError) -> ApiError {
    let status = e.status();
    // Only configured names become label values: arbitrary route names must not grow the
    // metrics without bound.
    let label = match &e {
        WebhookError::UnknownProvider(_) => "unknown".to_string(),
        _ => provider.to_string(),
    };
    ::metrics::counter!(super::metrics::WEBHOOK_REJECTS, "provider" => label, "status" => status.as_str().to_string())
        .increment(1);
    if status.is_server_error() {
        tracing::error!(provider, error = %e, "Webhook could not be processed.");
    } else {
        tracing::warn!(provider, error = %e, %status, "Webhook refused.");
    }
    let message = match status {
        StatusCode::BAD_REQUEST => "malformed webhook body",
        StatusCode::UNAUTHORIZED => "signature or credentials not valid",
        StatusCode::FORBIDDEN => "topic not allowed",
        StatusCode::NOT_FOUND => "unknown provider",
        _ => "temporarily unavailable, try again",
    };
    ApiError::Webhook {
        status,
        message: message.into(),
    }
}

/// Stores the request's events through [`crate::ingest::webhook`], then counts and logs
/// what was stored and suppressed.
async fn ingest(
    s: &AppState,
    provider: &'static str,
    events: &[InboundEvent],
    token: Option<crate::providers::SingleUseToken>,
) -> Result<Outcome, IngestError> {
    let rules = s.ingest_rules();
    let outcome =
        webhook::ingest(&**s.store(), &rules, provider, events, token, Utc::now()).await?;
    for r in &outcome.records {
        ::metrics::counter!(super::metrics::EVENTS_IN, "kind" => r.kind.name().to_string(), "source" => "webhook")
            .increment(1);
    }
    for sup in &outcome.suppressed {
        tracing::info!(
            provider = sup.source,
            reason = sup.reason,
            "Suppressed an address from a provider event."
        );
    }
    Ok(outcome)
}
