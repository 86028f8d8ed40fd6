//! What the providers need from `webhooks.*`, and the conversion from the loaded config.

use std::path::PathBuf;

use chrono::TimeDelta;
use secrecy::{ExposeSecret, SecretString};

use crate::config::{BasicAuthConfig, WebhooksConfig};

/// The `webhooks.*` settings. A provider without settings is not registered (its route
/// answers 404), so an unconfigured provider can never accept unauthenticated events.
#[derive(Default)]
pub struct WebhookSettings {
    pub sendgrid: Option<SendgridSettings>,
    pub mailgun: Option<MailgunSettings>,
    pub postmark: Option<PostmarkSettings>,
    pub mailjet: Option<MailjetSettings>,
    pub brevo: Option<BrevoSettings>,
    pub ses: Option<SesSettings>,
}

pub struct SendgridSettings {
    /// `webhooks.sendgrid.public_key`: the base64 key SendGrid shows.
    pub public_key: String,
}

pub struct MailgunSettings {
    /// `webhooks.mailgun.signing_key`.
    pub signing_key: SecretString,
    /// Accepted distance between the signed timestamp and now; default 5 minutes.
    pub tolerance: TimeDelta,
}

/// Basic-auth credentials of a provider that does not sign (Postmark, Mailjet, Brevo).
pub struct BasicAuthSettings {
    pub username: SecretString,
    pub password: SecretString,
}

pub type PostmarkSettings = BasicAuthSettings;
pub type MailjetSettings = BasicAuthSettings;
pub type BrevoSettings = BasicAuthSettings;

pub struct SesSettings {
    /// `webhooks.ses.topic_arns`; empty = any.
    pub topic_arns: Vec<String>,
    /// `webhooks.ses.cert_dir`: `NAME.pem` here answers for `https://sns…/NAME.pem`.
    pub cert_dir: Option<PathBuf>,
}

impl MailgunSettings {
    pub const DEFAULT_TOLERANCE: TimeDelta = TimeDelta::minutes(5);
}

/// A setting that cannot be used (reported at start-up, not per request).
#[derive(Debug, thiserror::Error)]
#[error("webhooks.{key}: {reason}")]
pub struct SettingsError {
    pub key: &'static str,
    pub reason: String,
}

impl TryFrom<&WebhooksConfig> for WebhookSettings {
    type Error = SettingsError;

    /// SendGrid, Mailgun, Postmark, Mailjet and Brevo are enabled by their secrets; half a
    /// basic-auth credential is an error rather than an open endpoint. SES needs no secret (the SNS
    /// signature is the check), so it is always enabled, restricted by `topic_arns`.
    fn try_from(config: &WebhooksConfig) -> Result<Self, SettingsError> {
        let sendgrid = config
            .sendgrid
            .public_key
            .as_ref()
            .map(|key| SendgridSettings {
                public_key: key.expose_secret().to_owned(),
            });
        let mailgun = config
            .mailgun
            .signing_key
            .as_ref()
            .map(|key| MailgunSettings {
                signing_key: key.clone(),
                tolerance: config.mailgun.tolerance.chrono(),
            });
        let postmark = basic_auth("postmark", &config.postmark)?;
        let mailjet = basic_auth("mailjet", &config.mailjet)?;
        let brevo = basic_auth("brevo", &config.brevo)?;
        let ses = Some(SesSettings {
            topic_arns: config.ses.topic_arns.clone(),
            cert_dir: config.ses.cert_dir.clone(),
        });
        Ok(Self {
            sendgrid,
            mailgun,
            postmark,
            mailjet,
            brevo,
            ses,
        })
    }
}

/// Both halves or neither: half a credential is an error rather than an open endpoint.
fn basic_auth(
    key: &'static str,
    config: &BasicAuthConfig,
) -> Result<Option<BasicAuthSettings>, SettingsError> {
    match (&config.username, &config.password) {
        (Some(username), Some(password)) => Ok(Some(BasicAuthSettings {
            username: SecretString::from(username.clone()),
            password: password.clone(),
        })),
        (None, None) => Ok(None),
        _ => Err(SettingsError {
            key,
            reason: "set both username and password (basic auth), or neither".into(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::load_str;
    use crate::providers::Registry;

    fn registry_names(toml: &str) -> Result<Vec<&'static str>, String> {
        let config = load_str("rapport.toml", toml, &[]).map_err(|e| e.to_string())?;
        let settings = WebhookSettings::try_from(&config.webhooks).map_err(|e| e.to_string())?;
        let registry = Registry::from_settings(&settings).map_err(|e| e.to_string())?;
        Ok(registry.names().collect())
    }

    #[test]
    fn providers_are_enabled_by_their_configured_secrets() {
        assert_eq!(registry_names(""), Ok(vec!["ses"]));
        let toml = "[webhooks.sendgrid]\npublic_key = \"MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE83T4O/n84iotIvIW4mdBgQ/7dAfSmpqIM8kF9mN1flpVKS3GRqe62gw+2fNNRaINXvVpiglSI8eNEc6wEA3F+g==\"\n\
                    [webhooks.mailgun]\nsigning_key = \"k\"\ntolerance = \"10m\"\n\
                    [webhooks.postmark]\nusername = \"u\"\npassword = \"p\"\n\
                    [webhooks.mailjet]\nusername = \"u\"\npassword = \"p\"\n\
                    [webhooks.brevo]\nusername = \"u\"\npassword = \"p\"\n";
        assert_eq!(
            registry_names(toml),
            Ok(vec![
                "brevo", "mailgun", "mailjet", "postmark", "sendgrid", "ses"
            ])
        );
    }

    #[test]
    fn half_configured_postmark_or_a_bad_sendgrid_key_is_a_startup_error() {
        let half = "[webhooks.postmark]\nusername = \"u\"\n";
        assert!(registry_names(half).is_err_and(|e| e.contains("webhooks.postmark")));
        let half = "[webhooks.brevo]\npassword = \"p\"\n";
        assert!(registry_names(half).is_err_and(|e| e.contains("webhooks.brevo")));
        let bad = "[webhooks.sendgrid]\npublic_key = \"not a key\"\n";
        assert!(registry_names(bad).is_err_and(|e| e.contains("webhooks.sendgrid.public_key")));
    }
}
