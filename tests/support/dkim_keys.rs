//! Fresh DKIM keys in the formats operators make them with `openssl`, and their DNS records.

use super::tools::require;
use std::io::Write;
use std::process::{Command, Stdio};

fn openssl(args: &[&str], input: &[u8]) -> Vec<u8> {
    let mut child = Command::new(require("openssl", "apt-get install openssl"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "openssl {args:?} failed");
    out.stdout
}

fn b64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// A fresh key as its file holds it, and its DNS TXT record (RFC 6376 §3.6.1, RFC 8463 §4.2).
pub struct Key {
    pub text: String,
    pub txt: String,
}

/// RSA-2048 in PKCS#1 (`openssl genrsa -traditional`) or PKCS#8 PEM.
pub fn rsa_key(pkcs8: bool) -> Key {
    let pem = if pkcs8 {
        openssl(
            &[
                "genpkey",
                "-algorithm",
                "RSA",
                "-pkeyopt",
                "rsa_keygen_bits:2048",
            ],
            b"",
        )
    } else {
        openssl(&["genrsa", "-traditional", "2048"], b"")
    };
    let public = openssl(&["pkey", "-pubout", "-outform", "DER"], &pem);
    Key {
        text: String::from_utf8(pem).unwrap(),
        txt: format!("v=DKIM1; k=rsa; p={}", b64(&public)),
    }
}

/// Ed25519 in PKCS#8 PEM (`openssl genpkey -algorithm ed25519`), or as base64 of its seed.
pub fn ed25519_key(pem: bool) -> Key {
    let der = openssl(
        &["genpkey", "-algorithm", "ed25519", "-outform", "DER"],
        b"",
    );
    let public = openssl(
        &["pkey", "-inform", "DER", "-pubout", "-outform", "DER"],
        &der,
    );
    let text = if pem {
        String::from_utf8(openssl(&["pkey", "-inform", "DER"], &der)).unwrap()
    } else {
        b64(&der[der.len() - 32..])
    };
    Key {
        text,
        txt: format!(
            "v=DKIM1; k=ed25519; p={}",
            b64(&public[public.len() - 32..])
        ),
    }
}
