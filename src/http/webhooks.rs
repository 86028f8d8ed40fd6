//! `POST /webhooks/{provider}`: verified and parsed by [`crate::providers`], then stored here.
//!
//! Each provider event is stored once (`id = provider:event_id`). It is tied to a customer
//! through our delivery id (echoed back by the provider), else the Message-ID we generated,
//! else the recipient address, else an earlier stored event of the same provider message id.
//! Hard bounces, spam complaints and provider unsubscribes suppress the address even when
//! nothing correlates.
//!
//! An authenticated request that parses is never refused for a field it lacks: what can be
//! stored is, the rest is logged, and the answer is 2xx. When we fail to store, the answer is
//! the status that makes the provider retry ([`crate::providers::Provider::retry_status`]),
//! and nothing of the request (not even a single-use token) is kept.

use super::AppState;
use super::api::items_error;
use super::error::ApiError;
use super::machine::{early_open, machine_agent};
use crate::domain::{CustomerId, EmailAddress, EventKind};
use crate::import::EventRecord;
use crate::providers::{Inbound, InboundEvent, InboundKind, SingleUseToken, WebhookError};
use crate::store::{StoreError, TokenUse, TrackedDelivery};
use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
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
            let outcome = match ingest(&s, p.name(), &events, token.as_ref()).await {
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
                    suppressed = outcome.suppressed,
                    uncorrelated = outcome.uncorrelated,
                    "Webhook events ingested."
                );
            }
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

#[derive(Default)]
struct Outcome {
    stored: u64,
    suppressed: u64,
    uncorrelated: u64,
    /// The request's single-use token was already used with this payload: a retry of a
    /// request whose events are stored (nothing was stored again).
    already_stored: bool,
}

enum IngestError {
    /// The single-use token came before with another payload.
    Replayed,
    Store(StoreError),
}

impl From<StoreError> for IngestError {
    fn from(e: StoreError) -> Self {
        IngestError::Store(e)
    }
}

/// Who an event belongs to.
struct Owner<'a> {
    customer_id: String,
    delivery: Option<&'a TrackedDelivery>,
}

/// Correlates, then stores the events, their suppressions and the request's single-use token
/// in one transaction. A few batched lookups per request whatever its size (providers post
/// up to a thousand events at once).
async fn ingest(
    s: &AppState,
    provider: &'static str,
    events: &[InboundEvent],
    token: Option<&SingleUseToken>,
) -> Result<Outcome, IngestError> {
    let store = s.store();
    let now = Utc::now();
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
    let by_address = |e: &InboundEvent| {
        e.recipient.as_deref().and_then(|r| {
            by_email
                .get(r.trim())
                .or_else(|| by_email.get(&normalised(r)))
        })
    };
    // Last resort, for events that carry neither our ids nor an address we know (a Postmark
    // bounce of type Unsubscribe has no Email): an earlier event of the same provider message.
    let provider_ids: Vec<String> = events
        .iter()
        .filter(|e| delivery(e).is_none() && by_address(e).is_none())
        .filter_map(|e| e.provider_message_id.clone())
        .collect();
    let by_provider_message = if provider_ids.is_empty() {
        HashMap::new()
    } else {
        store
            .owners_by_provider_message(provider, &provider_ids)
            .await?
    };
    let earlier_deliveries: Vec<Uuid> = by_provider_message
        .values()
        .filter_map(|(_, d)| *d)
        .collect();
    let earlier = if earlier_deliveries.is_empty() {
        HashMap::new()
    } else {
        store.tracked_deliveries(&earlier_deliveries).await?
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
            None => by_address(e)
                .map(|c| Owner {
                    customer_id: c.clone(),
                    delivery: None,
                })
                .or_else(|| {
                    let (customer, d) =
                        by_provider_message.get(e.provider_message_id.as_deref()?)?;
                    Some(Owner {
                        customer_id: customer.clone(),
                        delivery: d.and_then(|d| earlier.get(&d)),
                    })
                }),
        };
        let missing = missing_fields(e, owner.is_some());
        if !missing.is_empty() {
            tracing::warn!(
                provider = e.provider,
                event_id = %e.event_id,
                missing = missing.join(", "),
                correlated = owner.is_some(),
                "A provider event lacks fields we use; stored what it carries."
            );
        }
        if e.suppresses() {
            let mut address = e.recipient.as_deref().map(normalised).or_else(|| {
                owner
                    .as_ref()
                    .and_then(|o| o.delivery)
                    .map(|d| d.email.clone())
            });
            if let (None, Some(o)) = (&address, &owner) {
                // Correlated to a customer but not to one of our emails: their address.
                address = store.customer(&o.customer_id).await?.map(|c| c.email);
            }
            match address {
                Some(a) => suppressions.push((a, suppression_reason(e), e.provider)),
                None => {
                    tracing::warn!(provider = e.provider, event_id = %e.event_id, "A suppressing event names no address we can find; nothing suppressed.")
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
            Some(o) => records.extend(event_records(e, &o, now)),
            None => {
                out.uncorrelated += 1;
                tracing::debug!(provider = e.provider, event_id = %e.event_id, "Webhook event matches no delivery or customer; not stored.");
            }
        }
    }
    if records.is_empty() && suppressions.is_empty() && token.is_none() {
        return Ok(out);
    }
    // The events, their notifications, the suppressions and the single-use token in one
    // transaction: a complaint or unsubscribe is announced exactly when it (and its
    // suppression) is stored, and a failed request leaves nothing that would make the
    // provider's retry be refused.
    let mut tx = store.begin_import().await?;
    if let Some(token) = token {
        match tx.use_webhook_token(provider, token, now).await? {
            TokenUse::New => {}
            // Dropping the transaction rolls it back: nothing is stored twice.
            TokenUse::SamePayload => {
                out.already_stored = true;
                out.uncorrelated = 0;
                return Ok(out);
            }
            TokenUse::OtherPayload => return Err(IngestError::Replayed),
        }
    }
    out.stored = crate::notify::store_events(&mut *tx, s.notify_endpoints(), &records, now).await?;
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
    Ok(out)
}

/// The fields we use that an event lacks, when that matters (logged, never a reason to
/// refuse it): a time, or anything to tie it to a customer.
fn missing_fields(e: &InboundEvent, correlated: bool) -> Vec<&'static str> {
    let mut missing = Vec::new();
    if e.occurred_at.is_none() {
        missing.push("time (recorded at receipt)");
    }
    if !correlated {
        if e.recipient.is_none() {
            missing.push("recipient address");
        }
        if e.delivery_id.is_none() && e.message_id.is_none() && e.provider_message_id.is_none() {
            missing.push("message id");
        }
    }
    missing
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
fn event_records(e: &InboundEvent, owner: &Owner<'_>, now: DateTime<Utc>) -> Vec<EventRecord> {
    let occurred_at = e.occurred_at.unwrap_or(now);
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
            e.machine.unwrap_or(false) || ua_machine() || early_open(sent_at, occurred_at),
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
            occurred_at,
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
