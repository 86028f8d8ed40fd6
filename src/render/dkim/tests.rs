//! Canonicalisation against RFC 6376's own example (§3.4.5), and the signature headers'
//! shape. That real verifiers accept what we sign is tests/email_content.rs's job (dkimpy).

use super::canon::{field_name, fields, relaxed_body, relaxed_header, split};
use super::*;
use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::signature::{self as sig, KeyPair};
use chrono::TimeZone;

/// RFC 6376 §3.4.5's example message, with its whitespace spelled out there.
const RFC_EXAMPLE: &[u8] = b"A: X\r\nB : Y\t\r\n\tZ  \r\n\r\n C \r\nD \t E\r\n\r\n\r\n";

fn relaxed_headers(head: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for f in fields(head) {
        relaxed_header(f, true, &mut out);
    }
    out
}

fn relaxed(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    relaxed_body(body, &mut out);
    out
}

#[test]
fn relaxed_canonicalisation_matches_the_rfc_6376_example() {
    let (head, body) = split(RFC_EXAMPLE).unwrap();
    assert_eq!(relaxed_headers(head), b"a:X\r\nb:Y Z\r\n");
    assert_eq!(relaxed(body), b" C\r\nD E\r\n");
}

#[test]
fn relaxed_body_drops_empty_lines_at_the_end_and_ends_with_one_crlf() {
    assert_eq!(relaxed(b""), b"");
    assert_eq!(relaxed(b"\r\n\r\n"), b"");
    assert_eq!(relaxed(b" \t\r\n"), b"");
    assert_eq!(relaxed(b"a"), b"a\r\n");
    assert_eq!(relaxed(b"a\r\n\r\nb  \r\n \r\n"), b"a\r\n\r\nb\r\n");
    // A bare LF is not a line end on the wire: it stays, with the line's whitespace reduced.
    assert_eq!(relaxed(b"a \n  b\r\n"), b"a \n b\r\n");
}

#[test]
fn relaxed_headers_unfold_and_lose_whitespace_around_the_colon() {
    let head = b"Subject:   Hello\r\n   world  \r\nTO :x@y\r\n";
    assert_eq!(relaxed_headers(head), b"subject:Hello world\r\nto:x@y\r\n");
}

fn message(reply_to: bool) -> Vec<u8> {
    let mut m = b"From: Shop <hello@shop.example>\r\nTo: a@example.com\r\nSubject: Hi\r\n\
        Date: Wed, 25 Nov 2026 09:00:00 +0000\r\nMessage-ID: <1@shop.example>\r\n"
        .to_vec();
    if reply_to {
        m.extend_from_slice(b"Reply-To: support@shop.example\r\n");
    }
    m.extend_from_slice(b"MIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\nHello  there \r\n");
    m
}

fn at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 25, 9, 0, 0).unwrap()
}

/// Each DKIM-Signature header of `signed`, unfolded.
fn signatures(signed: &[u8]) -> Vec<String> {
    let (head, _) = split(signed).unwrap();
    fields(head)
        .into_iter()
        .filter(|f| field_name(f).eq_ignore_ascii_case(b"DKIM-Signature"))
        .map(|f| String::from_utf8(f.to_vec()).unwrap().replace("\r\n", ""))
        .collect()
}

fn tag<'a>(signature: &'a str, name: &str) -> &'a str {
    signature
        .split_once(':')
        .unwrap()
        .1
        .split(';')
        .map(str::trim)
        .find_map(|t| t.strip_prefix(&format!("{name}=")))
        .unwrap_or_else(|| panic!("no {name}= in {signature}"))
}

fn rsa_pkcs8_pem() -> (String, Vec<u8>) {
    let key = sig::RsaKeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).unwrap();
    let der: aws_lc_rs::encoding::Pkcs8V1Der = key.as_der().unwrap();
    let body = STANDARD.encode(der.as_ref());
    let pem = format!("-----BEGIN PRIVATE KEY-----\n{body}\n-----END PRIVATE KEY-----\n");
    (pem, key.public_key().as_ref().to_vec())
}

#[test]
fn an_rsa_signature_covers_the_present_headers_and_verifies_with_the_public_key() {
    let (pem, public) = rsa_pkcs8_pem();
    let signer = DkimSigner::new("shop.example", "s1", &pem).unwrap();
    assert_eq!(signer.algorithm(), "rsa-sha256");
    let signed = signer.sign(message(false), at()).unwrap();
    let [s] = &signatures(&signed)[..] else {
        panic!("one signature")
    };
    // No Reply-To, no List-Unsubscribe in this message: not listed; Content-Type never.
    assert_eq!(tag(s, "h"), "from:to:subject:date:message-id:mime-version");
    assert_eq!(tag(s, "a"), "rsa-sha256");
    assert_eq!(tag(s, "c"), "relaxed/relaxed");
    assert_eq!(tag(s, "t"), at().timestamp().to_string());
    let body_hash = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, b"Hello there\r\n");
    assert_eq!(tag(s, "bh"), STANDARD.encode(body_hash));

    // What a verifier hashes: the listed headers, then this header with b= emptied.
    let mut expected = Vec::new();
    for f in fields(split(&message(false)).unwrap().0) {
        if !field_name(f).eq_ignore_ascii_case(b"Content-Type") {
            relaxed_header(f, true, &mut expected);
        }
    }
    let b = tag(s, "b");
    let unsigned = s.replacen(b, "", 1);
    relaxed_header(unsigned.as_bytes(), false, &mut expected);
    let signature = STANDARD.decode(b.replace(' ', "")).unwrap();
    sig::UnparsedPublicKey::new(&sig::RSA_PKCS1_2048_8192_SHA256, &public)
        .verify(&expected, &signature)
        .expect("the signature verifies over the canonical headers");
}

#[test]
fn a_second_key_adds_an_ed25519_signature_on_top() {
    let (pem, _) = rsa_pkcs8_pem();
    let seed = STANDARD.encode([7u8; 32]);
    let signer = DkimSigner::new("shop.example", "rsa1", &pem)
        .unwrap()
        .with_key("ed1", &seed)
        .unwrap();
    let signed = signer.sign(message(true), at()).unwrap();
    let found = signatures(&signed);
    assert_eq!(found.len(), 2);
    assert_eq!(
        (tag(&found[0], "a"), tag(&found[0], "s")),
        ("ed25519-sha256", "ed1")
    );
    assert_eq!(
        (tag(&found[1], "a"), tag(&found[1], "s")),
        ("rsa-sha256", "rsa1")
    );
    assert_eq!(tag(&found[0], "bh"), tag(&found[1], "bh"));
    assert!(tag(&found[0], "h").contains("reply-to"));
    assert!(
        signed.ends_with(&message(true)),
        "the message itself is unchanged"
    );
}

#[test]
fn keys_that_cannot_sign_say_what_is_expected() {
    for (key, says) in [
        (
            "-----BEGIN EC PRIVATE KEY-----\nAA==\n-----END EC PRIVATE KEY-----",
            "unknown PEM",
        ),
        (
            "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAA==\n-----END ENCRYPTED PRIVATE KEY-----",
            "encrypted",
        ),
        (
            "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----",
            "2048",
        ),
        ("c2hvcnQ=", "not 32"),
    ] {
        let err = DkimSigner::new("shop.example", "s", key)
            .unwrap_err()
            .to_string();
        assert!(err.contains(says), "{key}: {err}");
    }
}
