//! The providers that do not sign their webhooks (Postmark, Mailjet, Brevo): the operator
//! puts `user:password@` in the webhook URL, and those credentials are the only proof of
//! origin. What differs between them is how a body is parsed and which status makes them
//! retry; the check itself is the same, so it is written once here.

use chrono::{DateTime, Utc};
use http::{HeaderMap, StatusCode};
use secrecy::SecretString;

use super::basic_auth::BasicAuth;
use super::{Inbound, Provider, WebhookError};

/// A provider checked by basic auth only.
pub struct UnsignedProvider {
    name: &'static str,
    auth: BasicAuth,
    parse: fn(&[u8]) -> Result<Inbound, WebhookError>,
    retry_status: StatusCode,
}

impl UnsignedProvider {
    /// `parse` is the provider's own parser; the retry status is 503 unless
    /// [`UnsignedProvider::retrying_with`] says otherwise.
    pub fn new(
        name: &'static str,
        username: SecretString,
        password: SecretString,
        parse: fn(&[u8]) -> Result<Inbound, WebhookError>,
    ) -> Self {
        Self {
            name,
            auth: BasicAuth::new(username, password),
            parse,
            retry_status: StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// The status that makes this provider retry a request we failed to store.
    pub fn retrying_with(self, retry_status: StatusCode) -> Self {
        Self {
            retry_status,
            ..self
        }
    }
}

impl Provider for UnsignedProvider {
    fn name(&self) -> &'static str {
        self.name
    }

    /// No timestamp is signed, so there is no freshness check: a replayed request repeats
    /// composite event ids that are already stored.
    fn verify(
        &self,
        headers: &HeaderMap,
        _body: &[u8],
        _now: DateTime<Utc>,
    ) -> Result<(), WebhookError> {
        self.auth.verify(headers)
    }

    fn parse(&self, body: &[u8]) -> Result<Inbound, WebhookError> {
        (self.parse)(body)
    }

    fn retry_status(&self) -> StatusCode {
        self.retry_status
    }
}
