//! Signing keys: RSA (PKCS#1 or PKCS#8 PEM) and Ed25519 (PKCS#8 PEM, or base64 of the 32-byte
//! seed as lettre took it), signed with aws-lc-rs. Its RSA-2048 signs at 0.9 × OpenSSL's
//! speed on this machine, ring's at 0.5 ×, the pure-Rust `rsa` crate lettre used at 0.23 ×
//! (docs/performance.md "DKIM"); signing is most of the CPU an RSA-signed email costs.

use aws_lc_rs::signature::{Ed25519KeyPair, RSA_PKCS1_SHA256, RsaKeyPair};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

pub(super) enum SigningKey {
    Rsa(RsaKeyPair),
    Ed25519(Ed25519KeyPair),
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the key material.
        write!(f, "SigningKey({})", self.algorithm())
    }
}

const EXPECTED: &str = "expected an RSA key in PEM (PKCS#1 `BEGIN RSA PRIVATE KEY` or PKCS#8 \
    `BEGIN PRIVATE KEY`), an Ed25519 key in PKCS#8 PEM, or an Ed25519 key as base64 of its 32 bytes";

impl SigningKey {
    /// Reads the key file's text; the error says what was expected.
    pub(super) fn parse(text: &str) -> Result<SigningKey, String> {
        let text = text.trim();
        if text.contains("BEGIN ENCRYPTED PRIVATE KEY") || text.contains("Proc-Type: 4,ENCRYPTED") {
            return Err("the key is encrypted; store it decrypted (`openssl pkey -in KEY -out KEY.pem`) and protect the file instead".into());
        }
        if let Some(der) = pem(text, "RSA PRIVATE KEY") {
            return RsaKeyPair::from_der(&der?)
                .map(SigningKey::Rsa)
                .map_err(|e| rsa_rejected(&e));
        }
        if let Some(der) = pem(text, "PRIVATE KEY") {
            let der = der?;
            return match RsaKeyPair::from_pkcs8(&der) {
                Ok(k) => Ok(SigningKey::Rsa(k)),
                Err(rsa) => match Ed25519KeyPair::from_pkcs8_maybe_unchecked(&der) {
                    Ok(k) => Ok(SigningKey::Ed25519(k)),
                    Err(_) => Err(rsa_rejected(&rsa)),
                },
            };
        }
        if text.starts_with("-----BEGIN") {
            return Err(format!("an unknown PEM block: {EXPECTED}"));
        }
        let seed = STANDARD
            .decode(text)
            .map_err(|e| format!("not base64 ({e}): {EXPECTED}"))?;
        if seed.len() != 32 {
            return Err(format!("{} bytes, not 32: {EXPECTED}", seed.len()));
        }
        Ed25519KeyPair::from_seed_unchecked(&seed)
            .map(SigningKey::Ed25519)
            .map_err(|e| format!("{e}: {EXPECTED}"))
    }

    /// The `a=` tag: `rsa-sha256` or `ed25519-sha256`.
    pub(super) fn algorithm(&self) -> &'static str {
        match self {
            SigningKey::Rsa(_) => "rsa-sha256",
            SigningKey::Ed25519(_) => "ed25519-sha256",
        }
    }

    /// The signature over the canonical header data (RFC 6376 §3.7). RSA hashes it with
    /// SHA-256 inside PKCS#1 v1.5; Ed25519 signs its SHA-256 hash (RFC 8463 §3).
    pub(super) fn sign(&self, data: &[u8]) -> Result<Vec<u8>, String> {
        match self {
            SigningKey::Rsa(k) => {
                let mut signature = vec![0; k.public_modulus_len()];
                let rng = aws_lc_rs::rand::SystemRandom::new();
                k.sign(&RSA_PKCS1_SHA256, &rng, data, &mut signature)
                    .map_err(|e| format!("RSA signing failed: {e}"))?;
                Ok(signature)
            }
            SigningKey::Ed25519(k) => {
                let hash = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, data);
                Ok(k.sign(hash.as_ref()).as_ref().to_vec())
            }
        }
    }
}

/// The DER inside `-----BEGIN {label}-----`, or `None` when there is no such block.
fn pem(text: &str, label: &str) -> Option<Result<Vec<u8>, String>> {
    let begin = format!("-----BEGIN {label}-----");
    let end = format!("-----END {label}-----");
    let start = text.find(&begin)? + begin.len();
    let Some(stop) = text[start..].find(&end) else {
        return Some(Err(format!("`{begin}` without `{end}`")));
    };
    let b64: String = text[start..start + stop]
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    Some(
        STANDARD
            .decode(b64)
            .map_err(|e| format!("the PEM block is not base64 ({e})")),
    )
}

fn rsa_rejected(e: &aws_lc_rs::error::KeyRejected) -> String {
    format!(
        "the RSA key is rejected ({e}): keys of 2048 to 8192 bits are accepted (RFC 8301; a \
         1024-bit key needs replacing: generate one with `openssl genrsa 2048` and publish it \
         under a new selector)"
    )
}
