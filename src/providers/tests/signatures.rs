//! SendGrid and Mailgun published vectors verify, and stop verifying when one byte of
//! body, timestamp or key changes; Mailgun replay and freshness; Postmark basic auth.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use chrono::{DateTime, TimeDelta, Utc};
use http::{HeaderMap, HeaderValue};
use secrecy::SecretString;
use serde_json::json;

use super::fixtures::fixture_bytes;
use crate::providers::*;

// ---- SendGrid (sendgrid_vectors.md) ----
pub(super) const SG_KEY_1: &str = "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE83T4O/n84iotIvIW4mdBgQ/7dAfSmpqIM8kF9mN1flpVKS3GRqe62gw+2fNNRaINXvVpiglSI8eNEc6wEA3F+g==";
const SG_SIG_1: &str = "MEUCIGHQVtGj+Y3LkG9fLcxf3qfI10QysgDWmMOVmxG0u6ZUAiEAyBiXDWzM+uOe5W0JuG+luQAbPIqHh89M15TluLtEZtM=";
const SG_TS_1: &str = "1600112502";
pub(super) const SG_KEY_2: &str = "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEQ4LIFtWztlsF7skFqOncjD1lun4H5w8XOhyOArHW9RcIx/FfEzx6cikC/yPfUvwaX/JScE7Fc9CJD2afQ9Ok3Q==";
pub(super) const SG_SIG_2: &str = "MEYCIQC/I4o6vCgqRYrTljjoVWB/GRWNtxeePlLMHr3x9ETeRQIhAIpV+03nREPTTHWSW0wIOA0EoMPdcNgXa70yCaqDJlu5";
pub(super) const SG_TS_2: &str = "1619651159";
const SG_WRONG_KEY: &str = "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEqTxd43gyp8IOEto2LdIfjRQrIbsd4SXZkLW6jDutdhXSJCWHw8REntlo7aNDthvj+y7GjUuFDb/R1NGe1OPzpA==";
const SG_WRONG_SIG: &str = "MEUCIQCtIHJeH93Y+qpYeWrySphQgpNGNr/U+UyUlBkU6n7RAwIgJTz2C+8a8xonZGi6BpSzoQsbVRamr2nlxFDWYNH3j/0=";

pub(super) fn now() -> DateTime<Utc> {
    DateTime::from_timestamp(1_700_000_000, 0).unwrap_or_default()
}

fn sendgrid(key: &str) -> Sendgrid {
    Sendgrid::new(key).expect("published key parses")
}

pub(super) fn flip(bytes: &[u8], index: usize) -> Vec<u8> {
    let mut out = bytes.to_vec();
    out[index] ^= 0x01;
    out
}

#[test]
fn sendgrid_published_vectors_verify() {
    let body1 = fixture_bytes("sendgrid_vector1_body.txt");
    let body2 = fixture_bytes("sendgrid_vector2_body.txt");
    assert_eq!((body1.len(), body2.len()), (327, 889));
    assert_eq!(
        sendgrid(SG_KEY_1).verify_signature(SG_TS_1, SG_SIG_1, &body1),
        Ok(())
    );
    assert_eq!(
        sendgrid(SG_KEY_2).verify_signature(SG_TS_2, SG_SIG_2, &body2),
        Ok(())
    );
}

#[test]
fn sendgrid_signature_fails_when_one_byte_of_body_timestamp_or_key_changes() {
    let body = fixture_bytes("sendgrid_vector1_body.txt");
    let provider = sendgrid(SG_KEY_1);
    for index in [0, body.len() / 2, body.len() - 1] {
        let tampered = flip(&body, index);
        assert!(
            provider
                .verify_signature(SG_TS_1, SG_SIG_1, &tampered)
                .is_err()
        );
    }
    // Without the trailing CRLF, as a JSON re-serialisation would produce.
    assert!(
        provider
            .verify_signature(SG_TS_1, SG_SIG_1, &body[..body.len() - 2])
            .is_err()
    );
    assert!(
        provider
            .verify_signature("1600112503", SG_SIG_1, &body)
            .is_err()
    );
    assert!(provider.verify_signature("", SG_SIG_1, &body).is_err());
    assert!(
        provider
            .verify_signature(SG_TS_1, SG_WRONG_SIG, &body)
            .is_err()
    );
    assert!(
        sendgrid(SG_WRONG_KEY)
            .verify_signature(SG_TS_1, SG_SIG_1, &body)
            .is_err()
    );
    let mut key = BASE64.decode(SG_KEY_1).expect("base64");
    let last = key.len() - 1;
    key[last] ^= 0x01;
    // A changed point is either not on the curve or a different key: never verifies.
    if let Ok(changed) = Sendgrid::new(&BASE64.encode(&key)) {
        assert!(changed.verify_signature(SG_TS_1, SG_SIG_1, &body).is_err());
    }
}

#[test]
fn sendgrid_garbage_signature_or_key_is_an_error_not_a_panic() {
    let body = fixture_bytes("sendgrid_vector1_body.txt");
    let provider = sendgrid(SG_KEY_1);
    let garbage = format!("{SG_SIG_1}causing failure");
    assert_eq!(
        provider.verify_signature(SG_TS_1, &garbage, &body),
        Err(WebhookError::Unauthorized("signature is not base64"))
    );
    assert!(Sendgrid::new(&format!("{SG_KEY_1}corrupting the public key")).is_err());
    assert!(Sendgrid::new("").is_err());
}

#[test]
fn sendgrid_verify_reads_the_twilio_headers() {
    let body = fixture_bytes("sendgrid_vector2_body.txt");
    let provider = sendgrid(SG_KEY_2);
    let mut headers = HeaderMap::new();
    assert_eq!(
        provider.verify(&headers, &body, now()),
        Err(WebhookError::Unauthorized("missing signature header"))
    );
    headers.insert(
        "X-Twilio-Email-Event-Webhook-Signature",
        HeaderValue::from_static(SG_SIG_2),
    );
    headers.insert(
        "X-Twilio-Email-Event-Webhook-Timestamp",
        HeaderValue::from_static(SG_TS_2),
    );
    assert_eq!(provider.verify(&headers, &body, now()), Ok(()));
    assert_eq!(
        provider
            .verify(&headers, &flip(&body, 10), now())
            .map_err(|e| e.status()),
        Err(http::StatusCode::UNAUTHORIZED)
    );
}

// ---- Mailgun (mailgun_vectors.md) ----
pub(super) const MG_KEY: &str = "key-3ax6xnjp29jd6fds4gc373sgvjxteol0";
const MG_TS: &str = "1403645220";
const MG_TOKEN: &str = "5egbgr1vjgqxtrnp65xfznchgdccwh5d6i09vijqi3whgowmn6";
const MG_SIG: &str = "9cfc5c41582e51246e73c88d34db3af0a3a2692a76fbab81492842f000256d33";
const MG_BAD_TOKEN: &str = "owyldpe6nxhmrn78epljl6bj0orrki1u3d2v5e6cnlmmuox8jr";

fn mailgun(key: &str) -> Mailgun {
    Mailgun::new(SecretString::from(key), MailgunSettings::DEFAULT_TOLERANCE)
}

#[test]
fn mailgun_published_vector_verifies() {
    assert!(mailgun(MG_KEY).signature_matches(MG_TS, MG_TOKEN, MG_SIG));
    assert!(!mailgun(MG_KEY).signature_matches(MG_TS, MG_BAD_TOKEN, MG_SIG));
}

#[test]
fn mailgun_derived_vectors_verify() {
    let go = "be636525fcbffba547491ce8a6ff04cbfbf0811aa7031db14147de41be62ffe0";
    assert!(mailgun("WEBHOOK_SIGNING_KEY").signature_matches("123456789", "token", go));
    assert!(!mailgun("WEBHOOK_SIGNING_KEY").signature_matches(
        "123456789",
        "token",
        "6261647369676e6174757265"
    ));
    let anymail = "2a75affe24846ead9e37e614a5e7643a04abf4d5b49b34d224ede9af23a00ccc";
    assert!(mailgun("TEST_WEBHOOK_SIGNING_KEY").signature_matches(
        "1534108637",
        "651869375b9df3c98fc15c4889b102119add1235c38fc92824",
        anymail
    ));
}

#[test]
fn mailgun_signature_fails_when_one_byte_of_timestamp_token_or_key_changes() {
    let provider = mailgun(MG_KEY);
    assert!(!provider.signature_matches("1403645221", MG_TOKEN, MG_SIG));
    assert!(!provider.signature_matches(MG_TS, &MG_TOKEN.replace('5', "6"), MG_SIG));
    assert!(
        !mailgun("key-3ax6xnjp29jd6fds4gc373sgvjxteol1").signature_matches(MG_TS, MG_TOKEN, MG_SIG)
    );
    assert!(!provider.signature_matches(MG_TS, MG_TOKEN, &MG_SIG.replace('9', "8")));
    assert!(!provider.signature_matches("", "", ""));
    assert!(!provider.signature_matches(MG_TS, MG_TOKEN, "zz"));
    assert!(!mailgun("").signature_matches(MG_TS, MG_TOKEN, MG_SIG));
}

fn mailgun_body(timestamp: &str, token: &str, signature: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "signature": {"timestamp": timestamp, "token": token, "signature": signature},
        "event-data": {"event": "delivered", "id": "x", "timestamp": 1403645220.5,
                        "recipient": "a@example.com"},
    }))
    .expect("serialises")
}

fn mg_time(offset_seconds: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_403_645_220 + offset_seconds, 0).unwrap_or_default()
}

#[test]
fn mailgun_verify_accepts_a_fresh_signed_body() {
    let body = mailgun_body(MG_TS, MG_TOKEN, MG_SIG);
    assert_eq!(
        mailgun(MG_KEY).verify(&HeaderMap::new(), &body, mg_time(30)),
        Ok(())
    );
}

#[test]
fn mailgun_verify_remembers_nothing_the_token_is_handed_to_the_store() {
    // A token counts as used only once its events are committed (the HTTP layer records it
    // in that transaction); verifying twice, as a retry after our failure does, passes.
    let provider = mailgun(MG_KEY);
    let body = mailgun_body(MG_TS, MG_TOKEN, MG_SIG);
    for at in [1, 2] {
        assert_eq!(
            provider.verify(&HeaderMap::new(), &body, mg_time(at)),
            Ok(())
        );
    }
    let token = provider
        .single_use_token(&body)
        .expect("a signed body has a token");
    assert_eq!(token.token, MG_TOKEN);
    assert_eq!(token.forget_at, mg_time(300));
}

#[test]
fn a_mailgun_payload_digest_ignores_formatting_but_not_content() {
    let provider = mailgun(MG_KEY);
    let body = mailgun_body(MG_TS, MG_TOKEN, MG_SIG);
    let value: serde_json::Value = serde_json::from_slice(&body).expect("json");
    let pretty = serde_json::to_vec_pretty(&value).expect("serialises");
    let mut forged = value.clone();
    forged["event-data"]["event"] = json!("complained");
    let forged = serde_json::to_vec(&forged).expect("serialises");
    let digest = |b: &[u8]| provider.single_use_token(b).map(|t| t.payload_sha256);
    assert_eq!(digest(&body), digest(&pretty));
    assert_ne!(digest(&body), digest(&forged));
}

#[test]
fn stale_mailgun_timestamp_is_rejected() {
    let provider = mailgun(MG_KEY);
    let body = mailgun_body(MG_TS, MG_TOKEN, MG_SIG);
    assert!(matches!(
        provider.verify(&HeaderMap::new(), &body, mg_time(301)),
        Err(WebhookError::Stale { .. })
    ));
    // From the future too (clock skew beyond the tolerance).
    assert!(matches!(
        provider.verify(&HeaderMap::new(), &body, mg_time(-301)),
        Err(WebhookError::Stale { .. })
    ));
    // The tolerance is configurable.
    let lenient = Mailgun::new(SecretString::from(MG_KEY), TimeDelta::hours(1));
    assert_eq!(
        lenient.verify(&HeaderMap::new(), &body, mg_time(301)),
        Ok(())
    );
}

#[test]
fn mailgun_bad_signature_is_rejected_and_does_not_burn_the_token() {
    let provider = mailgun(MG_KEY);
    let forged = mailgun_body(MG_TS, MG_TOKEN, &MG_SIG.replace('9', "8"));
    assert_eq!(
        provider.verify(&HeaderMap::new(), &forged, mg_time(1)),
        Err(WebhookError::Unauthorized("signature does not verify"))
    );
    let genuine = mailgun_body(MG_TS, MG_TOKEN, MG_SIG);
    assert_eq!(
        provider.verify(&HeaderMap::new(), &genuine, mg_time(1)),
        Ok(())
    );
    let unsigned = br#"{"event-data": {"event": "delivered"}}"#;
    assert!(matches!(
        provider.verify(&HeaderMap::new(), unsigned, mg_time(1)),
        Err(WebhookError::Unauthorized(_))
    ));
}

// ---- Postmark (basic auth) ----
fn basic(user: &str, pass: &str) -> HeaderMap {
    let mut headers = HeaderMap::new();
    let value = format!("Basic {}", BASE64.encode(format!("{user}:{pass}")));
    headers.insert(
        "authorization",
        HeaderValue::from_str(&value).expect("ascii"),
    );
    headers
}

#[test]
fn postmark_accepts_only_the_configured_basic_auth() {
    let provider = postmark::provider(SecretString::from("hook"), SecretString::from("s3cr:et"));
    assert_eq!(
        provider.verify(&basic("hook", "s3cr:et"), b"{}", now()),
        Ok(())
    );
    for (user, pass) in [
        ("hook", "s3cr:eT"),
        ("Hook", "s3cr:et"),
        ("", ""),
        ("hook", ""),
    ] {
        assert_eq!(
            provider.verify(&basic(user, pass), b"{}", now()),
            Err(WebhookError::Unauthorized("wrong basic auth credentials")),
            "{user}:{pass}"
        );
    }
    assert!(provider.verify(&HeaderMap::new(), b"{}", now()).is_err());
    let mut garbage = HeaderMap::new();
    garbage.insert("authorization", HeaderValue::from_static("Basic !!!"));
    assert!(provider.verify(&garbage, b"{}", now()).is_err());
}
