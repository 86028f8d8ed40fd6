//! `POST /webhooks/{provider}`: verified and parsed by [`crate::providers`], then stored here.
//!
//! Each provider event is stored once (`id = provider:event_id`). It is tied to a customer
//! through our delivery id (echoed back by the provider), else the Message-ID we generated,
//! else the recipient address. Hard bounces, spam complaints and provider unsubscribes
//! suppress the address even when nothing correlates.

use super::AppState;
use super::api::items_error;
use super::error::ApiError;
use super::machine::{early_open, machine_agent};
use crate::domain::{CustomerId, EmailAddress, EventKind};
use crate::import::EventRecord;
use crate::providers::{Inbound, InboundEvent, InboundKind, WebhookError};
use crate::store::{StoreError, TrackedDelivery};
use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use uuid::Uuid;

pub async fn receive(
    State(s): State<AppState>,
    Path(provider): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let body = body.map_err(items_error)?;
    let inbound = match s
        .inner
        .registry
        .handle(&provider, &headers, &body, Utc::now())
        .await
    {
        Ok(inbound) => inbound,
        Err(e) => return Err(rejected(&provider, e)),
    };
    match inbound {
        Inbound::Events(events) => {
            let outcome = ingest(&s, &events).await?;
            tracing::info!(
                provider,
                received = events.len(),
                stored = outcome.stored,
                suppressed = outcome.suppressed,
                uncorrelated = outcome.uncorrelated,
                "Webhook events ingested."
            );
            Ok(Json(json!({
                "received": events.len(),
                "stored": outcome.stored,
                "suppressed": outcome.suppressed,
            }))
            .into_response())
        }
        Inbound::SubscriptionConfirmation {
            subscribe_url,
            topic_arn,
        } => {
            if s.inner.sns_auto_confirm {
                if let Err(e) = s.inner.registry.confirm_subscription(&subscribe_url).await {
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

#[derive(Default)]
struct Outcome {
    stored: u64,
    suppressed: u64,
    uncorrelated: u64,
}

/// Who an event belongs to.
struct Owner<'a> {
    customer_id: String,
    delivery: Option<&'a TrackedDelivery>,
}

/// Correlates, stores the events in one transaction, then suppresses. Three batched lookups
/// per request whatever its size (providers post up to a thousand events at once).
async fn ingest(s: &AppState, events: &[InboundEvent]) -> Result<Outcome, StoreError> {
    let store = s.store();
    let ids: Vec<Uuid> = events
        .iter()
        .filter_map(|e| e.delivery_id.as_deref()?.trim().parse().ok())
        .collect();
    let by_id = if ids.is_empty() {
        HashMap::new()
    } else {
        store.tracked_deliveries(&ids).await?
    };
    let delivery_of = |e: &InboundEvent| {
        e.delivery_id
            .as_deref()
            .and_then(|d| d.trim().parse::<Uuid>().ok())
            .and_then(|id| by_id.get(&id))
    };
    let message_ids: Vec<String> = events
        .iter()
        .filter(|e| delivery_of(e).is_none())
        .filter_map(|e| e.message_id.as_deref().map(bracketed))
        .collect();
    let by_message = if message_ids.is_empty() {
        HashMap::new()
    } else {
        store.deliveries_by_message_id(&message_ids).await?
    };
    let delivery = |e: &InboundEvent| {
        delivery_of(e).or_else(|| {
            e.message_id
                .as_deref()
                .and_then(|m| by_message.get(&bracketed(m)))
        })
    };
    let emails: Vec<String> = events
        .iter()
        .filter(|e| delivery(e).is_none())
        .filter_map(|e| e.recipient.as_deref())
        .flat_map(|r| [r.trim().to_string(), normalised(r)])
        .collect();
    let by_email = if emails.is_empty() {
        HashMap::new()
    } else {
        store.customers_by_email(&emails).await?
    };

    let mut out = Outcome::default();
    let mut records = Vec::with_capacity(events.len());
    let mut suppressions: Vec<(String, String, &'static str)> = Vec::new();
    // Owners of soft bounces in this request, with the address and provider to suppress them
    // under if their run of soft bounces reaches `webhooks.soft_bounce_limit`.
    let mut soft_bounced: HashMap<String, (String, &'static str)> = HashMap::new();
    for e in events {
        let owner = match delivery(e) {
            Some(d) => Some(Owner {
                customer_id: d.customer_id.clone(),
                delivery: Some(d),
            }),
            None => e.recipient.as_deref().and_then(|r| {
                by_email
                    .get(r.trim())
                    .or_else(|| by_email.get(&normalised(r)))
                    .map(|c| Owner {
                        customer_id: c.clone(),
                        delivery: None,
                    })
            }),
        };
        if e.suppresses() {
            let address = e.recipient.as_deref().map(normalised).or_else(|| {
                owner
                    .as_ref()
                    .and_then(|o| o.delivery)
                    .map(|d| d.email.clone())
            });
            match address {
                Some(a) => suppressions.push((a, suppression_reason(e), e.provider)),
                None => {
                    tracing::warn!(provider = e.provider, event_id = %e.event_id, "A suppressing event names no address; nothing suppressed.")
                }
            }
        }
        if let (InboundKind::Bounce { hard: false }, Some(o)) = (&e.kind, &owner) {
            let address = e
                .recipient
                .as_deref()
                .map(normalised)
                .or_else(|| o.delivery.map(|d| d.email.clone()));
            if let Some(a) = address {
                soft_bounced.insert(o.customer_id.clone(), (a, e.provider));
            }
        }
        match owner {
            Some(o) => records.extend(event_records(e, &o)),
            None => {
                out.uncorrelated += 1;
                tracing::debug!(provider = e.provider, event_id = %e.event_id, "Webhook event matches no delivery or customer; not stored.");
            }
        }
    }
    if !records.is_empty() || !suppressions.is_empty() {
        // The events, their notifications and the suppressions in one transaction: a
        // complaint or unsubscribe is announced exactly when it (and its suppression) is
        // stored, and a failed request leaves nothing half done for the provider's retry.
        let now = Utc::now();
        let mut tx = store.begin_import().await?;
        out.stored =
            crate::notify::store_events(&mut *tx, s.notify_endpoints(), &records, now).await?;
        let limit = s.soft_bounce_limit();
        if limit > 0 && !soft_bounced.is_empty() {
            let owners: Vec<String> = soft_bounced.keys().cloned().collect();
            for (customer, n) in tx.soft_bounces_in_a_row(&owners).await? {
                if n >= u64::from(limit)
                    && let Some((address, provider)) = soft_bounced.remove(&customer)
                {
                    suppressions.push((
                        address,
                        format!("bounced: {n} soft bounces in a row"),
                        provider,
                    ));
                }
            }
        }
        let mut suppressed = Vec::new();
        for (address, reason, provider) in &suppressions {
            if tx.suppress(address, reason, provider, now).await? {
                suppressed.push((reason, *provider));
            }
        }
        tx.commit().await?;
        for r in &records {
            ::metrics::counter!(super::metrics::EVENTS_IN, "kind" => r.kind.name().to_string(), "source" => "webhook")
                .increment(1);
        }
        out.suppressed += suppressed.len() as u64;
        for (reason, provider) in suppressed {
            tracing::info!(
                provider,
                reason,
                "Suppressed an address from a provider event."
            );
        }
    }
    Ok(out)
}

/// The Message-ID as we store it: `<…>`.
fn bracketed(m: &str) -> String {
    let m = m.trim().trim_start_matches('<').trim_end_matches('>');
    format!("<{m}>")
}

/// The address as our customers table holds it (domain lower-cased), or as given.
fn normalised(r: &str) -> String {
    EmailAddress::parse(r)
        .map(|e| e.as_str().to_string())
        .unwrap_or_else(|_| r.trim().to_string())
}

fn suppression_reason(e: &InboundEvent) -> String {
    let mut reason = match e.kind {
        InboundKind::SpamComplaint => "spam_complaint".to_string(),
        InboundKind::Unsubscribe => "unsubscribe".to_string(),
        _ => "hard_bounce".to_string(),
    };
    if let Some(code) = &e.enhanced_code {
        reason.push_str(": ");
        reason.push_str(code);
    }
    if let Some(r) = &e.reason {
        reason.push_str(if e.enhanced_code.is_some() { " " } else { ": " });
        reason.extend(r.chars().filter(|c| !c.is_control()).take(200));
    }
    reason
}

/// The rows one provider event becomes: one, and for a spam complaint also a `complaint`
/// behaviour event (the customer complained, whatever the channel).
fn event_records(e: &InboundEvent, owner: &Owner<'_>) -> Vec<EventRecord> {
    let Ok(customer_id) = CustomerId::parse(&owner.customer_id) else {
        return Vec::new();
    };
    let mut data = Map::new();
    data.insert("provider".into(), Value::from(e.provider));
    let put = |data: &mut Map<String, Value>, k: &str, v: &Option<String>| {
        if let Some(v) = v {
            data.insert(
                k.into(),
                Value::from(v.chars().take(500).collect::<String>()),
            );
        }
    };
    put(&mut data, "reason", &e.reason);
    put(&mut data, "enhanced_code", &e.enhanced_code);
    put(&mut data, "url", &e.url);
    put(&mut data, "user_agent", &e.user_agent);
    put(&mut data, "provider_message_id", &e.provider_message_id);
    if let Some(d) = owner.delivery {
        data.insert("campaign".into(), Value::from(d.campaign.as_str()));
    }
    let sent_at = owner.delivery.and_then(|d| d.sent_at);
    let ua_machine = || e.user_agent.is_some() && machine_agent(e.user_agent.as_deref());
    let (kind, machine) = match e.kind {
        InboundKind::Delivered => (EventKind::Delivered, false),
        InboundKind::Open => (
            EventKind::EmailOpen,
            e.machine.unwrap_or(false) || ua_machine() || early_open(sent_at, e.occurred_at),
        ),
        InboundKind::Click => (
            EventKind::EmailClick,
            e.machine.unwrap_or(false) || ua_machine(),
        ),
        InboundKind::Bounce { hard } => {
            data.insert(
                "type".into(),
                Value::from(if hard { "hard" } else { "soft" }),
            );
            (EventKind::Bounce, false)
        }
        InboundKind::SpamComplaint => (EventKind::SpamComplaint, false),
        InboundKind::Unsubscribe => (EventKind::Unsubscribe, false),
        InboundKind::Deferred => (EventKind::Custom("custom:deferred".into()), false),
        InboundKind::Dropped => (EventKind::Custom("custom:dropped".into()), false),
    };
    let id = format!("{}:{}", e.provider, e.event_id);
    let record =
        |id: String, kind: EventKind, data: Map<String, Value>, machine: bool| EventRecord {
            id: Some(id),
            customer_id: customer_id.clone(),
            kind,
            occurred_at: e.occurred_at,
            data,
            machine,
            delivery_id: owner.delivery.map(|d| d.id),
        };
    let mut out = Vec::with_capacity(2);
    if e.kind == InboundKind::SpamComplaint {
        out.push(record(
            format!("{id}:complaint"),
            EventKind::Complaint,
            data.clone(),
            false,
        ));
    }
    out.push(record(id, kind, data, machine));
    out
}
