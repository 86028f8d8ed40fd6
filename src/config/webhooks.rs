//! The `[webhooks]` section: what each email provider's webhook needs to be accepted (its
//! signing key or the basic-auth credentials in its URL) and when soft bounces suppress.
//! Like every section, unknown keys are errors.

use super::Duration;
use secrecy::SecretString;
use serde::Deserialize;
use std::path::PathBuf;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SendgridConfig {
    /// The base64 public key SendGrid shows for its signed event webhook.
    pub public_key: Option<SecretString>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MailgunConfig {
    pub signing_key: Option<SecretString>,
    /// How old a signed timestamp may be; tokens are remembered this long against replay.
    pub tolerance: Duration,
}

impl Default for MailgunConfig {
    fn default() -> Self {
        MailgunConfig {
            signing_key: None,
            tolerance: Duration::from_secs(300),
        }
    }
}

/// `webhooks.{postmark,mailjet,brevo}`: the credentials in the webhook URL
/// (`https://user:password@…/webhooks/NAME`) for providers that do not sign.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BasicAuthConfig {
    pub username: Option<String>,
    pub password: Option<SecretString>,
}

pub type PostmarkConfig = BasicAuthConfig;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SesConfig {
    /// SNS topics accepted; empty accepts any.
    pub topic_arns: Vec<String>,
    /// Consulted before any certificate download: `…/NAME.pem` is the file `NAME.pem` here.
    pub cert_dir: Option<PathBuf>,
    /// Confirm SNS subscriptions by fetching their SubscribeURL.
    pub auto_confirm: bool,
}

impl Default for SesConfig {
    fn default() -> Self {
        SesConfig {
            topic_arns: Vec::new(),
            cert_dir: None,
            auto_confirm: true,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct WebhooksConfig {
    /// Soft bounces in a row (with no delivery, open or click between them) after which an
    /// address is suppressed; 0 never suppresses on soft bounces.
    pub soft_bounce_limit: u32,
    pub sendgrid: SendgridConfig,
    pub mailgun: MailgunConfig,
    pub postmark: BasicAuthConfig,
    pub mailjet: BasicAuthConfig,
    pub brevo: BasicAuthConfig,
    pub ses: SesConfig,
}

impl Default for WebhooksConfig {
    fn default() -> Self {
        WebhooksConfig {
            // Mailchimp and listmonk-style defaults: a mailbox that bounced softly this often
            // with nothing getting through in between is as good as gone.
            soft_bounce_limit: 5,
            sendgrid: SendgridConfig::default(),
            mailgun: MailgunConfig::default(),
            postmark: BasicAuthConfig::default(),
            mailjet: BasicAuthConfig::default(),
            brevo: BasicAuthConfig::default(),
            ses: SesConfig::default(),
        }
    }
}
