//! HTTP basic auth for the providers that do not sign their webhooks (Postmark, Mailjet,
//! Brevo): the operator puts `user:password@` in the webhook URL and the provider sends it as
//! `Authorization: Basic …`. The credentials are the only proof of origin, so the check is
//! constant-time and always compares both halves.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use http::HeaderMap;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::{WebhookError, header};

pub struct BasicAuth {
    username: SecretString,
    password: SecretString,
}

impl BasicAuth {
    pub fn new(username: SecretString, password: SecretString) -> Self {
        Self { username, password }
    }

    /// `Ok` when the `Authorization` header carries exactly the configured credentials.
    pub fn verify(&self, headers: &HeaderMap) -> Result<(), WebhookError> {
        let encoded = header(headers, "authorization")
            .and_then(|v| {
                v.strip_prefix("Basic ")
                    .or_else(|| v.strip_prefix("basic "))
            })
            .ok_or(WebhookError::Unauthorized("missing basic auth"))?;
        let decoded = BASE64
            .decode(encoded.trim())
            .map_err(|_| WebhookError::Unauthorized("basic auth is not base64"))?;
        let (user, pass) = match decoded.iter().position(|&b| b == b':') {
            Some(colon) => (&decoded[..colon], &decoded[colon + 1..]),
            None => return Err(WebhookError::Unauthorized("basic auth has no password")),
        };
        // Both compared, always, on digests so that neither content nor length leaks.
        let user_ok = same_secret(user, self.username.expose_secret().as_bytes());
        let pass_ok = same_secret(pass, self.password.expose_secret().as_bytes());
        if bool::from(user_ok & pass_ok) {
            Ok(())
        } else {
            Err(WebhookError::Unauthorized("wrong basic auth credentials"))
        }
    }
}

fn same_secret(given: &[u8], expected: &[u8]) -> subtle::Choice {
    Sha256::digest(given).ct_eq(&Sha256::digest(expected))
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn with(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("authorization", HeaderValue::from_str(value).unwrap());
        headers
    }

    fn basic(credentials: &str) -> HeaderMap {
        with(&format!("Basic {}", BASE64.encode(credentials)))
    }

    #[test]
    fn only_the_configured_pair_passes() {
        let auth = BasicAuth::new(SecretString::from("hook"), SecretString::from("s3cr:et"));
        assert_eq!(auth.verify(&basic("hook:s3cr:et")), Ok(()));
        for wrong in ["hook:s3cr:eT", "Hook:s3cr:et", "hook:", ":s3cr:et", "hook"] {
            assert!(auth.verify(&basic(wrong)).is_err(), "{wrong}");
        }
        assert!(auth.verify(&with("Bearer hook:s3cr:et")).is_err());
        assert!(auth.verify(&with("Basic %%%")).is_err());
        assert!(auth.verify(&HeaderMap::new()).is_err());
    }
}
