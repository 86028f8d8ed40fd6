//! DKIM signing (RFC 6376) of our own rather than lettre's: lettre signs RSA with the
//! pure-Rust `rsa` crate (593–827 signed emails/s per core, against OpenSSL's 3,790 signs/s),
//! and every real sender signs, so that was the ceiling of RSA-signed sending. Here the
//! signature is made with aws-lc-rs (`key`), over the message exactly as it goes on the wire,
//! and a message can carry two signatures (RSA and Ed25519, RFC 8463: a verifier that does not
//! know Ed25519 still finds the RSA one).
//!
//! Relaxed/relaxed canonicalisation (`canon`): `simple` header canonicalisation fails once any
//! relay refolds a header. Signed: the headers that identify the message and its unsubscribe
//! promise, those present. Content-Type never: its multipart boundary is regenerated on every
//! build, so a signature over it could not be reproduced for a resent message.

mod canon;
mod key;

use super::error::RenderError;
use crate::config::DkimConfig;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use key::SigningKey;
use std::fs;
use std::path::Path;

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

/// Signs every message with one or two keys of one domain.
#[derive(Debug)]
pub struct DkimSigner {
    domain: String,
    /// In the order their DKIM-Signature headers appear, top first.
    signatures: Vec<(String, SigningKey)>,
}

impl DkimSigner {
    /// `None` when DKIM is not configured (none of the keys set); an error when it is
    /// half-configured or a key cannot be read.
    pub fn from_config(cfg: &DkimConfig) -> Result<Option<DkimSigner>, RenderError> {
        let second = match (&cfg.ed25519_selector, &cfg.ed25519_key_path) {
            (None, None) => None,
            (Some(selector), Some(path)) => Some((selector, path)),
            _ => {
                return Err(RenderError::Dkim(
                    "set both dkim.ed25519_selector and dkim.ed25519_key_path, or neither".into(),
                ));
            }
        };
        let (domain, selector, path) = match (&cfg.domain, &cfg.selector, &cfg.private_key_path) {
            (None, None, None) if second.is_none() => return Ok(None),
            (Some(domain), Some(selector), Some(path)) => (domain, selector, path),
            _ => {
                return Err(RenderError::Dkim(
                    "set all three of dkim.domain, dkim.selector and dkim.private_key_path, or none \
                     (dkim.ed25519_selector and dkim.ed25519_key_path add a second signature)"
                        .into(),
                ));
            }
        };
        let mut signer = DkimSigner {
            domain: domain.clone(),
            signatures: vec![(selector.clone(), read_key(path)?)],
        };
        if let Some((ed_selector, ed_path)) = second {
            let key = read_key(ed_path)?;
            let problem = if !matches!(key, SigningKey::Ed25519(_)) {
                Some("dkim.ed25519_key_path is not an Ed25519 key")
            } else if matches!(signer.signatures[0].1, SigningKey::Ed25519(_)) {
                Some(
                    "dkim.private_key_path is an Ed25519 key already: the second key is for an \
                     Ed25519 signature beside an RSA one",
                )
            } else if ed_selector == selector {
                Some(
                    "dkim.ed25519_selector must differ from dkim.selector: each key has its own DNS record",
                )
            } else {
                None
            };
            if let Some(p) = problem {
                return Err(RenderError::Dkim(p.into()));
            }
            signer.signatures.insert(0, (ed_selector.clone(), key));
        }
        Ok(Some(signer))
    }

    /// One signature with `key`: an RSA key in PEM (PKCS#1 `openssl genrsa -traditional 2048`
    /// or PKCS#8), or an Ed25519 key in PKCS#8 PEM or as base64 of its 32 raw bytes.
    pub fn new(domain: &str, selector: &str, key: &str) -> Result<DkimSigner, RenderError> {
        Ok(DkimSigner {
            domain: domain.to_string(),
            signatures: vec![(selector.to_string(), parse_key(key)?)],
        })
    }

    /// Adds a signature with another key (in DNS under `selector`), above the others.
    pub fn with_key(mut self, selector: &str, key: &str) -> Result<DkimSigner, RenderError> {
        self.signatures
            .insert(0, (selector.to_string(), parse_key(key)?));
        Ok(self)
    }

    /// The algorithm of the first configured key (`dkim.private_key_path`): `rsa-sha256` or
    /// `ed25519-sha256`.
    pub fn algorithm(&self) -> &'static str {
        self.signatures.last().map_or("", |(_, k)| k.algorithm())
    }

    /// `message` (CRLF line ends, as sent) with a DKIM-Signature header per key on top.
    /// `at` is the signing time (`t=`): the message's Date, so that a replayed run signs
    /// as of its clock.
    pub fn sign(&self, message: Vec<u8>, at: DateTime<Utc>) -> Result<Vec<u8>, RenderError> {
        let (head, body) = canon::split(&message).ok_or_else(|| {
            RenderError::Dkim("the message has no empty line after its headers".into())
        })?;
        let mut canonical = Vec::new();
        canon::relaxed_body(body, &mut canonical);
        let body_hash = STANDARD.encode(aws_lc_rs::digest::digest(
            &aws_lc_rs::digest::SHA256,
            &canonical,
        ));

        // The last instance of a header is the one a verifier takes for a name in h=.
        let fields = canon::fields(head);
        let mut names = Vec::with_capacity(SIGNED.len());
        let mut data = canonical;
        data.clear();
        for name in SIGNED {
            let found = fields
                .iter()
                .rev()
                .find(|f| canon::field_name(f).eq_ignore_ascii_case(name.as_bytes()));
            if let Some(field) = found {
                names.push(name.to_ascii_lowercase());
                canon::relaxed_header(field, true, &mut data);
            }
        }
        let headers_len = data.len();

        let mut out = Vec::with_capacity(message.len() + 700 * self.signatures.len());
        for (selector, key) in &self.signatures {
            // Folded between tags; `b=` comes last and empty, as the verifier will see it
            // once it removes the signature (RFC 6376 §3.7).
            let mut header = format!(
                "DKIM-Signature: v=1; a={}; c=relaxed/relaxed; d={}; s={};\r\n t={}; h={};\r\n bh={};\r\n b=",
                key.algorithm(),
                self.domain,
                selector,
                at.timestamp(),
                names.join(":"),
                body_hash,
            );
            data.truncate(headers_len);
            canon::relaxed_header(header.as_bytes(), false, &mut data);
            let signature = STANDARD.encode(key.sign(&data).map_err(RenderError::Dkim)?);
            fold_into(&mut header, &signature);
            out.extend_from_slice(header.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(&message);
        Ok(out)
    }
}

/// `value` appended in lines of at most 72 characters (whitespace inside `b=` is ignored).
fn fold_into(header: &mut String, value: &str) {
    for (i, chunk) in value.as_bytes().chunks(72).enumerate() {
        if i > 0 {
            header.push_str("\r\n ");
        }
        // base64 is ASCII.
        header.push_str(std::str::from_utf8(chunk).unwrap_or_default());
    }
}

fn parse_key(text: &str) -> Result<SigningKey, RenderError> {
    SigningKey::parse(text).map_err(|m| RenderError::Dkim(format!("cannot read the key: {m}")))
}

/// The key file's problems carry its path.
fn read_key(path: &Path) -> Result<SigningKey, RenderError> {
    let text = fs::read_to_string(path).map_err(|e| RenderError::io(path, e))?;
    SigningKey::parse(&text).map_err(|message| RenderError::Io {
        path: path.to_path_buf(),
        message: format!("DKIM key: {message}"),
    })
}

#[cfg(test)]
mod tests;
