//! Inbound email-provider webhooks: verify the request, then parse it into normalised
//! [`InboundEvent`]s. Pure apart from fetching SNS signing certificates.
//!
//! # How the HTTP layer uses it
//! ```text
//! let settings = WebhookSettings::try_from(&config.webhooks)?;   // once, at start-up
//! let registry = Registry::from_settings(&settings)?;
//! // POST /webhooks/{name}, body limited to 1 MiB, raw bytes kept:
//! match registry.handle(&name, &headers, &body, now).await {
//!     Ok(Inbound::Events(events)) => store each (provider, event_id) once, answer 200,
//!     Ok(Inbound::SubscriptionConfirmation { subscribe_url, .. }) =>
//!         if webhooks.ses.auto_confirm { registry.confirm_subscription(&subscribe_url).await? }, 200,
//!     Ok(Inbound::Ignored) => 200,
//!     Err(e) => answer e.status() with {"error": e.to_string()},
//! }
//! ```
//! `handle` = `get` (404 if not configured) → `prepare` (async; SES resolves the signing
//! certificate, every other provider does nothing) → `verify` (sync) → `parse` (sync).
//!
//! # Statuses and provider retries
//! | error | status | SendGrid | Mailgun | Postmark | SNS | Mailjet | Brevo |
//! |---|---|---|---|---|---|---|---|
//! | `Malformed` | 400 | retries 24 h | retries ~8 h | retries ~10.5 h | no retry (4xx) | retries 24 h | no retry |
//! | `Unauthorized`, `Stale`, `Replayed`, `UntrustedSnsUrl` | 401 | retries | retries | retries | no retry | retries | no retry |
//! | `TopicNotAllowed` | 403 | – | – | – | no retry | – | – |
//! | `UnknownProvider` | 404 | retries | retries | retries | no retry | retries | no retry |
//! | `CertificateUnavailable` | 503 | – | – | – | retries (3 × 20 s by default) | – | – |
//! | our store failed ([`Provider::retry_status`]) | 503 (Brevo: 429) | retries | retries | retries | retries | retries | retries (429 only) |
//!
//! Mailgun stops only on 406, Postmark stops on 403, SNS treats every 4xx as final, Mailjet
//! retries anything but 200 every 30 s for 24 h, and Brevo discards on any 4xx but 429 and on
//! 5xx (it retries timeouts and 429 only); so a wrong secret shows up as retries in most
//! providers' dashboards rather than silent loss, and as discarded events in Brevo's.
//!
//! # Idempotency and replay
//! `InboundEvent::event_id` is stable across a provider's retries; store `(provider,
//! event_id)` once. Mailgun tokens are single-use within the tolerance window (the signature
//! does not cover the body): [`Provider::single_use_token`] hands the token and a digest of
//! the payload to the HTTP layer, which records them in the transaction that stores the
//! events. A token counts as used only once its events are committed; the same token with
//! the same payload again (a retry after a lost answer) is answered 200 and stores nothing;
//! with another payload it is a replay (401). SendGrid and SNS timestamps are not checked for age:
//! neither provider documents a tolerance, and dedup on the event id makes a replay inert.
//! Postmark (records without an `ID`), Mailjet and Brevo have no event id; their keys are
//! composites of event name, provider message id or Message-ID, recipient, time and link,
//! and they sign nothing, so basic auth plus that dedup is all there is.

mod basic_auth;
pub mod brevo;
pub mod certificate;
mod error;
mod event;
mod fields;
pub mod mailgun;
pub mod mailjet;
pub mod postmark;
pub mod sendgrid;
pub mod ses;
mod settings;
pub mod sns_signature;
mod unsigned;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use http::HeaderMap;

pub use crate::domain::SingleUseToken;
pub use basic_auth::BasicAuth;
pub use certificate::{
    CertificateStore, ReqwestSns, SnsHttp, SnsUrl, confirm_subscription, public_key_from_pem,
};
pub use error::WebhookError;
pub use event::{Inbound, InboundEvent, InboundKind};
pub use mailgun::Mailgun;
pub use sendgrid::Sendgrid;
pub use ses::Ses;
pub use settings::{
    BasicAuthSettings, BrevoSettings, MailgunSettings, MailjetSettings, PostmarkSettings,
    SendgridSettings, SesSettings, SettingsError, WebhookSettings,
};
pub use sns_signature::{MessageType, SnsEnvelope};
pub use unsigned::UnsignedProvider;

/// One email provider's webhook: authenticity check and parsing, both synchronous.
pub trait Provider: Send + Sync {
    /// The route name (`POST /webhooks/{name}`).
    fn name(&self) -> &'static str;

    /// The signing-certificate URL `verify` will need for this body, if any. Only SNS has
    /// one; [`Registry::prepare`] resolves it asynchronously before `verify` runs.
    fn certificate_url(&self, _body: &[u8]) -> Result<Option<String>, WebhookError> {
        Ok(None)
    }

    /// Checks that the request comes from the provider. `body` must be the raw bytes as
    /// received (SendGrid signs them). `now` is passed in for freshness checks.
    fn verify(
        &self,
        headers: &HeaderMap,
        body: &[u8],
        now: DateTime<Utc>,
    ) -> Result<(), WebhookError>;

    /// Normalises a verified body. Never panics, whatever the bytes.
    fn parse(&self, body: &[u8]) -> Result<Inbound, WebhookError>;

    /// The value of a verified body that its signature makes single-use (Mailgun's token),
    /// if the provider has one. It is not remembered here: the HTTP layer records it in the
    /// transaction that stores the body's events, so a request we fail leaves nothing that
    /// would make the provider's retry be refused as a replay.
    fn single_use_token(&self, _body: &[u8]) -> Option<SingleUseToken> {
        None
    }

    /// The status to answer when we fail to store a verified request, chosen so that the
    /// provider retries it (Brevo discards on every 5xx and retries only 429 and timeouts).
    fn retry_status(&self) -> http::StatusCode {
        http::StatusCode::SERVICE_UNAVAILABLE
    }
}

/// Route name → provider. The HTTP layer looks providers up here instead of matching names.
#[derive(Default)]
pub struct Registry {
    providers: BTreeMap<&'static str, Box<dyn Provider>>,
    certificates: Option<Arc<CertificateStore>>,
}

impl Registry {
    /// Builds every configured provider; SNS certificates are downloaded with reqwest.
    pub fn from_settings(settings: &WebhookSettings) -> Result<Self, SettingsError> {
        Self::from_settings_with(settings, Box::new(ReqwestSns::default()))
    }

    /// As [`Registry::from_settings`] with another SNS transport (tests, air-gapped installs).
    pub fn from_settings_with(
        settings: &WebhookSettings,
        sns_http: Box<dyn SnsHttp>,
    ) -> Result<Self, SettingsError> {
        let mut registry = Self::default();
        if let Some(s) = &settings.sendgrid {
            let provider = Sendgrid::new(&s.public_key).map_err(|reason| SettingsError {
                key: "sendgrid.public_key",
                reason,
            })?;
            registry.register(Box::new(provider));
        }
        if let Some(s) = &settings.mailgun {
            registry.register(Box::new(Mailgun::new(s.signing_key.clone(), s.tolerance)));
        }
        let unsigned: [(_, fn(_, _) -> UnsignedProvider); 3] = [
            (&settings.postmark, postmark::provider),
            (&settings.mailjet, mailjet::provider),
            (&settings.brevo, brevo::provider),
        ];
        for (settings, provider) in unsigned {
            if let Some(s) = settings {
                registry.register(Box::new(provider(s.username.clone(), s.password.clone())));
            }
        }
        if let Some(s) = &settings.ses {
            let store = Arc::new(CertificateStore::new(s.cert_dir.clone(), sns_http));
            registry.certificates = Some(store.clone());
            registry.register(Box::new(Ses::new(s.topic_arns.clone(), store)));
        }
        Ok(registry)
    }

    pub fn register(&mut self, provider: Box<dyn Provider>) {
        self.providers.insert(provider.name(), provider);
    }

    pub fn get(&self, name: &str) -> Option<&dyn Provider> {
        self.providers.get(name).map(|p| p.as_ref())
    }

    /// Route names of the configured providers.
    pub fn names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.providers.keys().copied()
    }

    /// The asynchronous step before `verify`: resolves the SNS signing certificate (local
    /// directory, cache, then HTTPS from an AWS SNS host only). A no-op for other providers.
    pub async fn prepare(&self, provider: &dyn Provider, body: &[u8]) -> Result<(), WebhookError> {
        let Some(url) = provider.certificate_url(body)? else {
            return Ok(());
        };
        let store = self.certificates.as_ref().ok_or_else(|| {
            WebhookError::CertificateUnavailable("no certificate store configured".into())
        })?;
        store.resolve(&url).await.map(drop)
    }

    /// Confirms an SNS subscription (`webhooks.ses.auto_confirm`): GETs `subscribe_url` after
    /// checking again that it is on an AWS SNS host. Errors are transient (answer 503).
    pub async fn confirm_subscription(&self, subscribe_url: &str) -> Result<(), WebhookError> {
        let url = SnsUrl::subscribe(subscribe_url)?;
        let store = self
            .certificates
            .as_ref()
            .ok_or_else(|| WebhookError::CertificateUnavailable("SES is not configured".into()))?;
        confirm_subscription(store.http(), &url)
            .await
            .map_err(|e| WebhookError::CertificateUnavailable(format!("confirming: {e}")))
    }

    /// The whole pipeline for one request: look up, prepare, verify, parse.
    pub async fn handle(
        &self,
        name: &str,
        headers: &HeaderMap,
        body: &[u8],
        now: DateTime<Utc>,
    ) -> Result<Inbound, WebhookError> {
        let provider = self
            .get(name)
            .ok_or_else(|| WebhookError::UnknownProvider(name.chars().take(64).collect()))?;
        self.prepare(provider, body).await?;
        provider.verify(headers, body, now)?;
        provider.parse(body)
    }
}

/// A header value as text; `None` when absent or not visible ASCII.
pub(crate) fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name)?.to_str().ok().map(str::trim)
}
