//! Turning a claimed delivery into the bytes of an email: the data a template sees (from
//! the store, fetched per batch), the rendered content, and the MIME message.

use crate::campaigns::Campaign;
use crate::config::Config;
use crate::domain::{EmailAddress, Locale, Suppression};
use crate::mailer::OutgoingEmail;
use crate::render::{CustomerView, LevelView, Suggestion};
use crate::render::{
    DeliveryMeta, DkimSigner, EmailContext, MessageMeta, Renderer, build_message, parse_mailbox,
};
use crate::store::{ClaimedDelivery, OccurrenceData, Store, StoreError};
use chrono::{DateTime, Utc};
use lettre::message::Mailbox;
use std::collections::HashMap;
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
pub enum ComposeError {
    #[error("{0}")]
    Setup(String),
    #[error("cannot render: {0}")]
    Render(String),
}

/// Addresses of one campaign (its own `from`/`reply_to`, or the configured ones).
struct Senders {
    from: Mailbox,
    reply_to: Option<Mailbox>,
}

pub struct Composer {
    renderer: Renderer,
    senders: HashMap<String, Senders>,
    default_senders: Senders,
    unsubscribe_mailto: Option<String>,
    correlation_headers: bool,
    dkim: Option<DkimSigner>,
    default_locale: Locale,
    /// The campaigns sending the confirmation of double opt-in.
    confirmations: std::collections::HashSet<String>,
}

/// What a batch's templates need from the database, fetched once per batch.
#[derive(Clone, Default)]
pub struct Prepared {
    occurrences: Arc<HashMap<String, OccurrenceData>>,
    suggestions: Arc<crate::store::Suggestions>,
    /// Skus each customer of a predicted-need email bought more than once: their
    /// suggestions start with these ("time to reorder your coffee beans").
    repeats: Arc<crate::store::Suggestions>,
}

/// Suggestions shown per email.
const SUGGESTIONS: usize = 3;

impl Composer {
    pub fn new(
        cfg: &Config,
        campaigns: &[Campaign],
        renderer: Renderer,
    ) -> Result<Composer, ComposeError> {
        let mailbox = |s: &str| parse_mailbox(s).map_err(|e| ComposeError::Setup(e.to_string()));
        let default_senders = Senders {
            from: mailbox(&cfg.mail.from)?,
            reply_to: cfg.mail.reply_to.as_deref().map(mailbox).transpose()?,
        };
        let mut senders = HashMap::new();
        for c in campaigns {
            if c.from.is_some() || c.reply_to.is_some() {
                senders.insert(
                    c.id.clone(),
                    Senders {
                        from: match &c.from {
                            Some(f) => mailbox(f)?,
                            None => default_senders.from.clone(),
                        },
                        reply_to: match &c.reply_to {
                            Some(r) => Some(mailbox(r)?),
                            None => default_senders.reply_to.clone(),
                        },
                    },
                );
            }
        }
        let dkim =
            DkimSigner::from_config(&cfg.dkim).map_err(|e| ComposeError::Setup(e.to_string()))?;
        Ok(Composer {
            renderer,
            senders,
            default_senders,
            unsubscribe_mailto: cfg.mail.unsubscribe_mailto.clone(),
            correlation_headers: cfg.mail.correlation_headers,
            dkim,
            default_locale: cfg.defaults.locale.clone(),
            confirmations: campaigns
                .iter()
                .filter(|c| matches!(c.trigger, crate::campaigns::Trigger::Confirmation))
                .map(|c| c.id.clone())
                .collect(),
        })
    }

    /// Whether the address's suppression still lets this email go: only the confirmation
    /// of double opt-in to an address erased before and signed up again (the planner's rule,
    /// checked again at send time), since its click is the new consent that lifts it.
    pub fn sends_despite(&self, d: &ClaimedDelivery, reason: &str) -> bool {
        Suppression::of_reason(reason) == Suppression::ErasedBefore
            && self.confirmations.contains(&d.campaign)
    }

    pub fn renderer(&self) -> &Renderer {
        &self.renderer
    }

    /// Fetches the orders and events (complaints, custom events) the batch's occurrences
    /// name, in two queries.
    pub async fn prepare(
        &self,
        store: &dyn Store,
        batch: &[ClaimedDelivery],
    ) -> Result<Prepared, StoreError> {
        let mut orders = Vec::new();
        let mut complaints = Vec::new();
        for d in batch {
            let occurrence = underlying(&d.occurrence);
            if let Some(id) = occurrence.strip_prefix("order:") {
                orders.push(id.to_string());
            } else if let Some(seq) = occurrence
                .strip_prefix("complaint:")
                .or_else(|| occurrence.strip_prefix("event:"))
                .and_then(|s| s.parse().ok())
            {
                complaints.push(seq);
            }
        }
        let occurrences = store.occurrence_data(&orders, &complaints).await?;
        let mut ids: Vec<String> = batch.iter().map(|d| d.customer_id.clone()).collect();
        ids.sort();
        ids.dedup();
        let suggestions = store.suggestions(&ids, SUGGESTIONS).await?;
        let mut needing: Vec<String> = batch
            .iter()
            .filter(|d| is_predicted_need(&d.occurrence))
            .map(|d| d.customer_id.clone())
            .collect();
        needing.sort();
        needing.dedup();
        let repeats = if needing.is_empty() {
            Default::default()
        } else {
            store.repeat_purchases(&needing, SUGGESTIONS).await?
        };
        Ok(Prepared {
            occurrences: Arc::new(occurrences),
            suggestions: Arc::new(suggestions),
            repeats: Arc::new(repeats),
        })
    }

    /// The template data for one delivery.
    pub fn context(&self, d: &ClaimedDelivery, prepared: &Prepared) -> EmailContext {
        let locale = Locale::parse(&d.locale).unwrap_or_else(|_| self.default_locale.clone());
        let occurrence = underlying(&d.occurrence);
        // Events are fetched by seq, complaints and custom events alike.
        let key = match occurrence.strip_prefix("event:") {
            Some(seq) => std::borrow::Cow::Owned(format!("complaint:{seq}")),
            None => std::borrow::Cow::Borrowed(occurrence),
        };
        let occurrence = match prepared.occurrences.get(key.as_ref()) {
            Some(OccurrenceData::Order(v) | OccurrenceData::Complaint(v)) => v.clone(),
            None => serde_json::Value::Null,
        };
        EmailContext {
            customer: CustomerView::new(
                &d.customer_id,
                &d.name,
                &d.email,
                locale,
                &d.timezone,
                d.attributes.clone(),
            ),
            level: LevelView {
                current: d.current,
                target: d.target,
            },
            campaign: d.campaign.clone(),
            occurrence,
            suggestions: suggestions(d, prepared),
        }
    }

    /// Renders and builds the message; returns it with the click targets as sent.
    pub fn compose(
        &self,
        d: &ClaimedDelivery,
        prepared: &Prepared,
        date: DateTime<Utc>,
    ) -> Result<(OutgoingEmail, Vec<String>), ComposeError> {
        let ctx = self.context(d, prepared);
        let to = EmailAddress::parse(&d.email).map_err(|e| ComposeError::Render(e.to_string()))?;
        let envelope = Envelope {
            delivery_id: d.id,
            message_id: &d.message_id,
            to: &to,
            to_name: &d.name,
        };
        let key = crate::campaigns::render_key(&d.campaign, d.variant.as_deref());
        self.compose_context(&key, &ctx, &envelope, date)
    }

    /// Renders `campaign` with any context (a delivery's, or sample data for `send-test`);
    /// `campaign` is a renderer key: the campaign id, or a variant's (see
    /// [`crate::campaigns::render_key`]).
    pub fn compose_context(
        &self,
        campaign: &str,
        ctx: &EmailContext,
        envelope: &Envelope<'_>,
        date: DateTime<Utc>,
    ) -> Result<(OutgoingEmail, Vec<String>), ComposeError> {
        let rendered = self
            .renderer
            .render(
                campaign,
                ctx,
                &DeliveryMeta {
                    delivery_id: envelope.delivery_id,
                },
            )
            .map_err(|e| ComposeError::Render(e.to_string()))?;
        let id = crate::campaigns::campaign_of_key(campaign);
        let senders = self.senders.get(id).unwrap_or(&self.default_senders);
        let meta = MessageMeta {
            delivery_id: envelope.delivery_id,
            message_id: envelope.message_id,
            to_email: envelope.to,
            to_name: envelope.to_name,
            from: &senders.from,
            reply_to: senders.reply_to.as_ref(),
            unsubscribe_mailto: self.unsubscribe_mailto.as_deref(),
            correlation_headers: self.correlation_headers,
            date,
        };
        let raw = build_message(&rendered, &meta, self.dkim.as_ref())
            .map_err(|e| ComposeError::Render(e.to_string()))?;
        Ok((
            OutgoingEmail {
                delivery_id: envelope.delivery_id.to_string(),
                message_id: envelope.message_id.to_string(),
                from: senders.from.email.to_string(),
                to: envelope.to.as_str().to_string(),
                raw,
            },
            rendered.links,
        ))
    }
}

/// Who one email goes to, and the ids it carries.
pub struct Envelope<'a> {
    pub delivery_id: uuid::Uuid,
    pub message_id: &'a str,
    pub to: &'a EmailAddress,
    pub to_name: &'a str,
}

/// The occurrence a follow-up is about: `sent:order:o-1` → `order:o-1` (a survey reminder
/// speaks of the order the survey was about).
/// The customer's suggestions: for a predicted need, what they bought more than once first,
/// then what customers who bought what they bought also bought; at most [`SUGGESTIONS`].
fn suggestions(d: &ClaimedDelivery, prepared: &Prepared) -> Vec<Suggestion> {
    let none = Vec::new();
    let repeats = if is_predicted_need(&d.occurrence) {
        prepared.repeats.get(&d.customer_id).unwrap_or(&none)
    } else {
        &none
    };
    let others = prepared.suggestions.get(&d.customer_id).unwrap_or(&none);
    let mut out: Vec<Suggestion> = Vec::new();
    for (sku, name) in repeats.iter().chain(others) {
        if out.len() < SUGGESTIONS && !out.iter().any(|s| &s.sku == sku) {
            out.push(Suggestion {
                sku: sku.clone(),
                name: name.clone(),
            });
        }
    }
    out
}

fn is_predicted_need(occurrence: &str) -> bool {
    underlying(occurrence).starts_with("predicted_need:")
}

fn underlying(occurrence: &str) -> &str {
    let mut o = occurrence;
    while let Some(rest) = o.strip_prefix("sent:") {
        o = rest;
    }
    o
}
