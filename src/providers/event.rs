//! The normalised shape every provider's webhook is parsed into.

use chrono::{DateTime, Utc};

/// What happened to one email, in rapport's words rather than a provider's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InboundKind {
    Delivered,
    /// The receiving server said "later"; the provider keeps retrying.
    Deferred,
    Open,
    Click,
    /// `hard` = the address is gone for good (suppress now); soft bounces are counted.
    Bounce {
        hard: bool,
    },
    SpamComplaint,
    Unsubscribe,
    /// The provider refused to send (suppressed address, rejected content, …).
    Dropped,
}

/// One provider event, normalised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboundEvent {
    /// Route name of the provider (`"sendgrid"`, `"mailgun"`, `"postmark"`, `"ses"`).
    pub provider: &'static str,
    /// Idempotency key, unique per provider: store `(provider, event_id)` once.
    /// `sg_event_id`, Mailgun `event-data.id`, SNS `MessageId` (suffixed with `/recipient` when
    /// one SES record names several recipients), or a composite where the provider has none.
    pub event_id: String,
    pub kind: InboundKind,
    /// `None` when the provider sent no readable time: recorded at receipt.
    pub occurred_at: Option<DateTime<Utc>>,
    /// The recipient's email address, as the provider reports it.
    pub recipient: Option<String>,
    /// rapport's delivery id, echoed back through the provider's custom-data channel.
    pub delivery_id: Option<String>,
    /// RFC 5322 Message-ID without angle brackets (the one rapport generated, where visible).
    pub message_id: Option<String>,
    /// The provider's own message id (`sg_message_id`, Postmark `MessageID`, SES
    /// `mail.messageId`); not a Message-ID header, but useful to correlate events.
    pub provider_message_id: Option<String>,
    /// Human-readable reason (SMTP response / diagnostic) for bounces, deferrals and drops.
    pub reason: Option<String>,
    /// RFC 3463 enhanced status code, e.g. `5.1.1`.
    pub enhanced_code: Option<String>,
    /// The clicked link.
    pub url: Option<String>,
    pub user_agent: Option<String>,
    /// `Some(true)` when the provider flags an open/click as machine-generated (SendGrid
    /// `sg_machine_open`, Mailgun `client-info.bot`); `None` when it does not say.
    pub machine: Option<bool>,
}

impl InboundEvent {
    /// An event with only the required fields set; parsers fill in the rest.
    pub fn new(
        provider: &'static str,
        event_id: String,
        kind: InboundKind,
        occurred_at: Option<DateTime<Utc>>,
    ) -> Self {
        Self {
            provider,
            event_id,
            kind,
            occurred_at,
            recipient: None,
            delivery_id: None,
            message_id: None,
            provider_message_id: None,
            reason: None,
            enhanced_code: None,
            url: None,
            user_agent: None,
            machine: None,
        }
    }

    /// Whether this event should put the address on the suppression list.
    pub fn suppresses(&self) -> bool {
        matches!(
            self.kind,
            InboundKind::Bounce { hard: true }
                | InboundKind::SpamComplaint
                | InboundKind::Unsubscribe
        )
    }
}

/// What one verified webhook request amounts to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inbound {
    /// Zero or more events (providers batch; events rapport does not track, such as SendGrid
    /// `processed`, are left out, so the list may be empty).
    Events(Vec<InboundEvent>),
    /// SNS asks us to confirm a subscription by GETting `subscribe_url`. The URL has already
    /// been checked to be `https://sns.<region>.amazonaws.com/…`.
    SubscriptionConfirmation {
        subscribe_url: String,
        topic_arn: String,
    },
    /// Verified, but nothing to record (SNS `UnsubscribeConfirmation`, SES's plain-text topic
    /// validation message, unknown record types). Answer 2xx.
    Ignored,
}
