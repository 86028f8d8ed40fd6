//! Why a webhook request was refused, and the HTTP status each reason maps to.

use http::StatusCode;

/// A refused webhook request. Messages never contain secrets, so they may be logged; the
/// HTTP layer answers with [`WebhookError::status`] and a short JSON error.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum WebhookError {
    /// No provider is configured under this route name.
    #[error("unknown provider {0:?}")]
    UnknownProvider(String),
    /// Missing or wrong signature / credentials.
    #[error("unauthorized: {0}")]
    Unauthorized(&'static str),
    /// Correctly signed, but the signed timestamp is outside the configured tolerance.
    #[error("stale timestamp: {age_seconds} s from now, tolerance {tolerance_seconds} s")]
    Stale {
        age_seconds: i64,
        tolerance_seconds: i64,
    },
    /// Correctly signed, but this signature token was already seen (a replay).
    #[error("replayed webhook token")]
    Replayed,
    /// An SNS `SigningCertURL` or `SubscribeURL` not on `https://sns.<region>.amazonaws.com/`.
    #[error("untrusted SNS URL: {0}")]
    UntrustedSnsUrl(String),
    /// An SNS message from a topic not on `webhooks.ses.topic_arns`.
    #[error("topic not allowed: {0}")]
    TopicNotAllowed(String),
    /// The body is not what the provider documents (not JSON, wrong shape, bad field).
    #[error("malformed body: {0}")]
    Malformed(String),
    /// The SNS signing certificate could not be obtained (download failed, unreadable file,
    /// or [`super::Registry::prepare`] was not awaited before `verify`). Transient.
    #[error("signing certificate unavailable: {0}")]
    CertificateUnavailable(String),
}

impl WebhookError {
    /// The status to answer with. 4xx means "do not bother retrying" for SNS and Mailgun
    /// (406 only) but SendGrid and Postmark retry anything that is not 2xx (Postmark stops on
    /// 403); see the retry table in the module docs.
    pub fn status(&self) -> StatusCode {
        match self {
            Self::UnknownProvider(_) => StatusCode::NOT_FOUND,
            Self::Unauthorized(_)
            | Self::Stale { .. }
            | Self::Replayed
            | Self::UntrustedSnsUrl(_) => StatusCode::UNAUTHORIZED,
            Self::TopicNotAllowed(_) => StatusCode::FORBIDDEN,
            Self::Malformed(_) => StatusCode::BAD_REQUEST,
            Self::CertificateUnavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    pub(crate) fn malformed(what: impl Into<String>) -> Self {
        Self::Malformed(what.into())
    }
}
