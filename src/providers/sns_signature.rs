//! The Amazon SNS HTTP envelope and its signature: SignatureVersion 1 (SHA1withRSA) and 2
//! (SHA256withRSA), PKCS#1 v1.5, over the documented "Key\nValue\n" canonical string.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use rsa::PublicKey;
use serde_json::Value;

use super::WebhookError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageType {
    Notification,
    SubscriptionConfirmation,
    UnsubscribeConfirmation,
}

/// The fields of an SNS envelope this module uses, all as sent (JSON-unescaped).
#[derive(Debug, Clone)]
pub struct SnsEnvelope {
    pub kind: MessageType,
    pub message_id: String,
    pub topic_arn: String,
    pub message: String,
    pub timestamp: String,
    pub subject: Option<String>,
    pub token: Option<String>,
    pub subscribe_url: Option<String>,
    pub signature_version: String,
    pub signature: String,
    pub signing_cert_url: String,
}

impl SnsEnvelope {
    /// Reads the envelope. SNS sends `Content-Type: text/plain`, so the body is parsed as JSON
    /// whatever the content type. Lambda-originated messages spell `SigningCertUrl`.
    pub fn parse(body: &[u8]) -> Result<Self, WebhookError> {
        let value: Value = serde_json::from_slice(body)
            .map_err(|e| WebhookError::malformed(format!("not JSON: {e}")))?;
        if !value.is_object() {
            return Err(WebhookError::malformed("expected an SNS JSON envelope"));
        }
        let field = |names: &[&str]| -> Option<String> {
            names
                .iter()
                .find_map(|n| value.get(*n).and_then(Value::as_str))
                .map(str::to_owned)
        };
        let required = |names: &[&str]| {
            field(names).ok_or_else(|| {
                WebhookError::malformed(format!("SNS envelope without {}", names[0]))
            })
        };
        let kind = match required(&["Type"])?.as_str() {
            "Notification" => MessageType::Notification,
            "SubscriptionConfirmation" => MessageType::SubscriptionConfirmation,
            "UnsubscribeConfirmation" => MessageType::UnsubscribeConfirmation,
            other => {
                return Err(WebhookError::malformed(format!(
                    "unknown SNS Type {other:?}"
                )));
            }
        };
        let confirmation = kind != MessageType::Notification;
        let for_confirmation = |names: &[&str]| -> Result<Option<String>, WebhookError> {
            if confirmation {
                required(names).map(Some)
            } else {
                Ok(None)
            }
        };
        Ok(Self {
            kind,
            message_id: required(&["MessageId"])?,
            topic_arn: required(&["TopicArn"])?,
            message: required(&["Message"])?,
            timestamp: required(&["Timestamp"])?,
            // Present-but-null Subject is the same as absent (Lambda sends null).
            subject: field(&["Subject"]).filter(|_| !confirmation),
            token: for_confirmation(&["Token"])?,
            subscribe_url: for_confirmation(&["SubscribeURL", "SubscribeUrl"])?,
            signature_version: required(&["SignatureVersion"])?,
            signature: required(&["Signature"])?,
            signing_cert_url: required(&["SigningCertURL", "SigningCertUrl"])?,
        })
    }

    /// The string SNS signed: each field name and value followed by a newline, in byte order
    /// of the names, `Subject` only when present.
    pub fn string_to_sign(&self) -> String {
        let mut pairs: Vec<(&str, &str)> =
            vec![("Message", &self.message), ("MessageId", &self.message_id)];
        match self.kind {
            MessageType::Notification => {
                if let Some(subject) = &self.subject {
                    pairs.push(("Subject", subject));
                }
                pairs.push(("Timestamp", &self.timestamp));
            }
            MessageType::SubscriptionConfirmation | MessageType::UnsubscribeConfirmation => {
                pairs.push(("SubscribeURL", self.subscribe_url.as_deref().unwrap_or("")));
                pairs.push(("Timestamp", &self.timestamp));
                pairs.push(("Token", self.token.as_deref().unwrap_or("")));
            }
        }
        pairs.push(("TopicArn", &self.topic_arn));
        let kind = match self.kind {
            MessageType::Notification => "Notification",
            MessageType::SubscriptionConfirmation => "SubscriptionConfirmation",
            MessageType::UnsubscribeConfirmation => "UnsubscribeConfirmation",
        };
        pairs.push(("Type", kind));
        let mut out = String::new();
        for (key, value) in pairs {
            out.push_str(key);
            out.push('\n');
            out.push_str(value);
            out.push('\n');
        }
        out
    }

    /// Checks the signature with the signing certificate's public key.
    pub fn verify(&self, key: &PublicKey) -> Result<(), WebhookError> {
        let signature = BASE64
            .decode(self.signature.trim())
            .map_err(|_| WebhookError::Unauthorized("SNS signature is not base64"))?;
        let message = self.string_to_sign();
        let verified = match self.signature_version.as_str() {
            "1" => key.pkcs1v15_verify::<sha1::Sha1>(message.as_bytes(), &signature),
            "2" => key.pkcs1v15_verify::<sha2::Sha256>(message.as_bytes(), &signature),
            _ => {
                return Err(WebhookError::Unauthorized(
                    "unsupported SNS SignatureVersion",
                ));
            }
        };
        verified.map_err(|_| WebhookError::Unauthorized("SNS signature does not verify"))
    }
}
