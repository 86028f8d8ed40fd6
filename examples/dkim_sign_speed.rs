//! Why the DKIM signer uses aws-lc-rs (docs/performance.md "DKIM"): RSA-2048 PKCS#1 v1.5
//! SHA-256 signatures per second on one core, with each implementation the tree offers, beside
//! `openssl speed rsa2048` in the same run.
//!
//!     cargo run --release --example dkim_sign_speed [-- SECONDS]
//!
//! aws-lc-rs signs for `src/render/dkim`; ring is in the tree through rustls; the pure-Rust
//! `rsa` crate is what lettre's DKIM used (0.9 there, 0.10 here, slower still: constant-time
//! arithmetic).

use anyhow::Context;
use rsa::pkcs1::DecodeRsaPrivateKey;

#[path = "common/openssl_speed.rs"]
mod openssl_speed;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Roughly what a DKIM signature covers: nine relaxed headers and the DKIM-Signature header.
const DATA: &[u8] = &[b'x'; 900];

fn main() -> anyhow::Result<()> {
    let seconds: f64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(3.0);
    let budget = Duration::from_secs_f64(seconds);
    let out = Command::new("openssl")
        .args(["genrsa", "-traditional", "2048"])
        .stderr(Stdio::null())
        .output()
        .context("run openssl genrsa")?;
    let pem = String::from_utf8(out.stdout)?;
    let der = pkcs1_der(&pem)?;

    let key = aws_lc_rs::signature::RsaKeyPair::from_der(&der)
        .map_err(|e| anyhow::anyhow!("aws-lc-rs: {e}"))?;
    let rng = aws_lc_rs::rand::SystemRandom::new();
    let mut signature = vec![0; key.public_modulus_len()];
    report("aws-lc-rs (ours)", budget, || {
        key.sign(
            &aws_lc_rs::signature::RSA_PKCS1_SHA256,
            &rng,
            DATA,
            &mut signature,
        )
        .expect("sign");
    });

    let key =
        ring::signature::RsaKeyPair::from_der(&der).map_err(|e| anyhow::anyhow!("ring: {e}"))?;
    let rng = ring::rand::SystemRandom::new();
    let mut signature = vec![0; key.public().modulus_len()];
    report("ring", budget, || {
        key.sign(
            &ring::signature::RSA_PKCS1_SHA256,
            &rng,
            DATA,
            &mut signature,
        )
        .expect("sign");
    });

    let key =
        rsa::pkcs1v15::SigningKey::<sha2::Sha256>::new(rsa::PrivateKey::from_pkcs1_pem(&pem)?);
    report("rsa 0.10 (pure Rust)", budget, || {
        let _: rsa::pkcs1v15::Signature = rsa::signature::Signer::sign(&key, DATA);
    });

    let signs = openssl_speed::rsa2048_signs(1, seconds.ceil() as u32)?;
    println!(
        "{:<28} {signs:>8.0} signs/s (reference)",
        "openssl speed rsa2048"
    );
    Ok(())
}

fn report(label: &str, budget: Duration, mut sign: impl FnMut()) {
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed() < budget {
        sign();
        n += 1;
    }
    println!(
        "{label:<28} {:>8.0} signs/s",
        n as f64 / start.elapsed().as_secs_f64()
    );
}

fn pkcs1_der(pem: &str) -> anyhow::Result<Vec<u8>> {
    use base64::Engine as _;
    let b64: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    Ok(base64::engine::general_purpose::STANDARD.decode(b64)?)
}
