//! DKIM signing configured for verifiers, not lettre's defaults: lettre's default `simple`
//! header canonicalisation produces signatures that fail once any relay refolds a header, so
//! relaxed/relaxed, over the headers that identify the message and its unsubscribe promise.
//! Content-Type is never signed: its multipart boundary is regenerated on every build.

use super::error::RenderError;
use crate::config::DkimConfig;
use lettre::message::dkim::{
    DkimCanonicalization, DkimCanonicalizationType, DkimConfig as LettreDkim, DkimSigningAlgorithm,
    DkimSigningKey,
};
use lettre::message::header::HeaderName;
use std::fs;

const SIGNED: [&str; 9] = [
    "From",
    "To",
    "Subject",
    "Date",
    "Message-ID",
    "MIME-Version",
    "Reply-To",
    "List-Unsubscribe",
    "List-Unsubscribe-Post",
];

#[derive(Debug)]
pub struct DkimSigner {
    config: LettreDkim,
    algorithm: &'static str,
}

impl DkimSigner {
    /// `None` when DKIM is not configured (none of the three keys set); an error when it is
    /// half-configured or the key cannot be read.
    pub fn from_config(cfg: &DkimConfig) -> Result<Option<DkimSigner>, RenderError> {
        match (&cfg.domain, &cfg.selector, &cfg.private_key_path) {
            (None, None, None) => Ok(None),
            (Some(domain), Some(selector), Some(path)) => {
                let key = fs::read_to_string(path).map_err(|e| RenderError::io(path, e))?;
                DkimSigner::new(domain, selector, &key)
                    .map(Some)
                    .map_err(|e| match e {
                        RenderError::Dkim(m) => RenderError::Io {
                            path: path.clone(),
                            message: m,
                        },
                        other => other,
                    })
            }
            _ => Err(RenderError::Dkim(
                "set all three of dkim.domain, dkim.selector and dkim.private_key_path, or none"
                    .into(),
            )),
        }
    }

    /// `key` is an RSA key in PKCS#1 PEM (`openssl genrsa -traditional 2048`) or an Ed25519
    /// key as base64 of its 32 raw bytes.
    pub fn new(domain: &str, selector: &str, key: &str) -> Result<DkimSigner, RenderError> {
        let (algorithm, name) = if key.contains("BEGIN RSA PRIVATE KEY") {
            (DkimSigningAlgorithm::Rsa, "rsa-sha256")
        } else if key.contains("BEGIN PRIVATE KEY") {
            return Err(RenderError::Dkim(
                "the key is PKCS#8; convert it to PKCS#1 with `openssl rsa -in KEY -traditional -out KEY.pem`".into(),
            ));
        } else {
            (DkimSigningAlgorithm::Ed25519, "ed25519-sha256")
        };
        let signing_key = DkimSigningKey::new(key.trim(), algorithm).map_err(|e| {
            RenderError::Dkim(format!(
                "cannot read the key ({e}): expected an RSA key in PKCS#1 PEM or an Ed25519 key as base64 of 32 bytes"
            ))
        })?;
        let config = LettreDkim::new(
            selector.to_string(),
            domain.to_string(),
            signing_key,
            SIGNED
                .iter()
                .map(|h| HeaderName::new_from_ascii_str(h))
                .collect(),
            DkimCanonicalization {
                header: DkimCanonicalizationType::Relaxed,
                body: DkimCanonicalizationType::Relaxed,
            },
        );
        Ok(DkimSigner {
            config,
            algorithm: name,
        })
    }

    pub(crate) fn config(&self) -> &LettreDkim {
        &self.config
    }

    /// `rsa-sha256` or `ed25519-sha256`.
    pub fn algorithm(&self) -> &'static str {
        self.algorithm
    }
}
