//! SNS: the published v1/v2 vectors, the certificate store, the SNS host rule (refused
//! before any request), the topic allow-list, and the registry pipeline end to end.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use futures::future::BoxFuture;
use http::{HeaderMap, HeaderValue};
use rsa::pkcs1::{DecodeRsaPublicKey, EncodeRsaPublicKey};
use secrecy::SecretString;
use serde_json::{Value, json};

use super::fixtures::{fixture_bytes, fixture_path};
use super::signatures::{MG_KEY, SG_KEY_1, SG_KEY_2, SG_SIG_2, SG_TS_2, flip, now};
use crate::providers::*;

// ---- SNS (amazon_ses_vectors.md) ----
const CERT_URL: &str = "https://sns.us-east-2.amazonaws.com/SimpleNotificationService-7ff5318490ec183fbaddaa2a969abfda.pem";
const CERT_FILE: &str =
    "sns_signing_cert_SimpleNotificationService-7ff5318490ec183fbaddaa2a969abfda.pem";
const SNS_VECTORS: [&str; 3] = [
    "sns_vector_v1_sha1.json",
    "sns_vector_v2_sha256.json",
    "sns_vector_v1_lambda_casing.json",
];

/// Counts requests; answers with `answer` (or fails when `None`).
struct CountingSns {
    calls: Arc<AtomicUsize>,
    answer: Option<String>,
}

impl SnsHttp for CountingSns {
    fn get<'a>(&'a self, _url: &'a SnsUrl) -> BoxFuture<'a, Result<String, String>> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let answer = self.answer.clone().ok_or_else(|| "offline".to_owned());
        Box::pin(async move { answer })
    }
}

fn cert_pem() -> String {
    String::from_utf8(fixture_bytes(CERT_FILE)).expect("PEM is text")
}

fn counting(answer: Option<String>) -> (Box<CountingSns>, Arc<AtomicUsize>) {
    let calls = Arc::new(AtomicUsize::new(0));
    let http = Box::new(CountingSns {
        calls: calls.clone(),
        answer,
    });
    (http, calls)
}

fn block_on<F: std::future::Future>(future: F) -> F::Output {
    futures::executor::block_on(future)
}

fn sns_key() -> rsa::PublicKey {
    public_key_from_pem(&cert_pem()).expect("fixture certificate parses")
}

#[test]
fn sns_published_vectors_verify_v1_v2_and_lambda_casing() {
    let key = sns_key();
    for file in SNS_VECTORS {
        let envelope = SnsEnvelope::parse(&fixture_bytes(file)).expect("envelope");
        assert_eq!(envelope.verify(&key), Ok(()), "{file}");
        assert_eq!(envelope.signing_cert_url, CERT_URL);
    }
}

#[test]
fn sns_string_to_sign_matches_the_documented_one() {
    let envelope = SnsEnvelope::parse(&fixture_bytes("sns_vector_v1_sha1.json")).expect("parses");
    assert_eq!(
        envelope.string_to_sign(),
        "Message\nHello world\nMessageId\n792cda85-518f-5dd3-9163-81d851212f3a\nTimestamp\n\
         2022-07-28T21:23:58.317Z\nTopicArn\narn:aws:sns:us-east-2:295079676684:\
         publish-and-verify-892f85fe-4836-424d-8188-ab85bef0f362\nType\nNotification\n"
    );
    let confirmation = json!({
        "Type": "SubscriptionConfirmation", "MessageId": "m", "Token": "t", "TopicArn": "a",
        "Message": "hi", "SubscribeURL": "https://sns.us-west-2.amazonaws.com/?x",
        "Timestamp": "ts", "SignatureVersion": "1", "Signature": "s",
        "SigningCertURL": CERT_URL,
    });
    let envelope =
        SnsEnvelope::parse(&serde_json::to_vec(&confirmation).expect("json")).expect("parses");
    assert_eq!(
        envelope.string_to_sign(),
        "Message\nhi\nMessageId\nm\nSubscribeURL\nhttps://sns.us-west-2.amazonaws.com/?x\n\
         Timestamp\nts\nToken\nt\nTopicArn\na\nType\nSubscriptionConfirmation\n"
    );
}

fn tampered_vector(file: &str, field: &str, value: &str) -> SnsEnvelope {
    let mut json: Value = serde_json::from_slice(&fixture_bytes(file)).expect("json");
    json[field] = json!(value);
    SnsEnvelope::parse(&serde_json::to_vec(&json).expect("json")).expect("parses")
}

#[test]
fn sns_signature_fails_when_one_byte_of_message_timestamp_or_key_changes() {
    let key = sns_key();
    for file in SNS_VECTORS {
        for (field, value) in [
            ("Message", "Helloworld"),
            ("Message", "Hello world "),
            ("Timestamp", "2022-07-28T21:23:58.318Z"),
            ("Timestamp", "2022-07-28T21:24:08.325Z"),
            ("TopicArn", "arn:aws:sns:us-east-2:295079676684:other"),
            ("Subject", "added"),
            ("SignatureVersion", "3"),
            ("Signature", "bad"),
        ] {
            let envelope = tampered_vector(file, field, value);
            assert!(envelope.verify(&key).is_err(), "{file}: {field}={value}");
        }
    }
    // The same certificate's key with one modulus byte changed.
    let der = key.to_pkcs1_der().expect("encodes");
    let bytes = der.as_bytes();
    let changed = rsa::PublicKey::from_pkcs1_der(&flip(bytes, bytes.len() / 2)).expect("decodes");
    for file in SNS_VECTORS {
        let envelope = SnsEnvelope::parse(&fixture_bytes(file)).expect("envelope");
        assert!(envelope.verify(&changed).is_err(), "{file}");
    }
}

fn ses_registry(
    cert_dir: Option<std::path::PathBuf>,
    topic_arns: Vec<String>,
    answer: Option<String>,
) -> (Registry, Arc<AtomicUsize>) {
    let (http, calls) = counting(answer);
    let settings = WebhookSettings {
        ses: Some(SesSettings {
            topic_arns,
            cert_dir,
        }),
        ..WebhookSettings::default()
    };
    (
        Registry::from_settings_with(&settings, http).expect("builds"),
        calls,
    )
}

/// A directory holding the fixture certificate under the name its URL ends in.
fn cert_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(
        dir.path()
            .join("SimpleNotificationService-7ff5318490ec183fbaddaa2a969abfda.pem"),
        cert_pem(),
    )
    .expect("writes");
    dir
}

#[test]
fn ses_certificate_is_read_from_cert_dir_without_any_request() {
    let dir = cert_dir();
    let (registry, calls) = ses_registry(Some(dir.path().into()), vec![], None);
    for file in SNS_VECTORS {
        let body = fixture_bytes(file);
        let result = block_on(registry.handle("ses", &HeaderMap::new(), &body, now()));
        // "Hello world" is not an SES record: verified, then ignored.
        assert_eq!(result, Ok(Inbound::Ignored), "{file}");
    }
    assert_eq!(calls.load(Ordering::SeqCst), 0);
}

#[test]
fn ses_certificate_is_downloaded_once_then_cached() {
    let (registry, calls) = ses_registry(None, vec![], Some(cert_pem()));
    for file in SNS_VECTORS {
        let body = fixture_bytes(file);
        let result = block_on(registry.handle("ses", &HeaderMap::new(), &body, now()));
        assert_eq!(result, Ok(Inbound::Ignored), "{file}");
    }
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}

#[test]
fn ses_certificate_download_failure_is_a_retryable_error() {
    let (registry, _) = ses_registry(None, vec![], None);
    let body = fixture_bytes("sns_vector_v1_sha1.json");
    let error =
        block_on(registry.handle("ses", &HeaderMap::new(), &body, now())).expect_err("offline");
    assert!(matches!(error, WebhookError::CertificateUnavailable(_)));
    assert_eq!(error.status(), http::StatusCode::SERVICE_UNAVAILABLE);
}

#[test]
fn ses_certificate_with_text_around_the_pem_is_refused() {
    let wrapped = format!("<xml><value>\n{}\n<value></xml>", cert_pem());
    let (registry, _) = ses_registry(None, vec![], Some(wrapped));
    let body = fixture_bytes("sns_vector_v1_sha1.json");
    assert!(matches!(
        block_on(registry.handle("ses", &HeaderMap::new(), &body, now())),
        Err(WebhookError::CertificateUnavailable(_))
    ));
}

#[test]
fn ses_verify_without_prepare_reports_the_missing_certificate() {
    let (registry, _) = ses_registry(None, vec![], None);
    let provider = registry.get("ses").expect("registered");
    let body = fixture_bytes("sns_vector_v1_sha1.json");
    assert!(matches!(
        provider.verify(&HeaderMap::new(), &body, now()),
        Err(WebhookError::CertificateUnavailable(_))
    ));
}

#[test]
fn ses_topic_allow_list_is_enforced_after_the_signature() {
    let dir = cert_dir();
    let allowed = "arn:aws:sns:us-east-2:295079676684:publish-and-verify-892f85fe-4836-424d-8188-ab85bef0f362";
    let (registry, _) = ses_registry(Some(dir.path().into()), vec![allowed.into()], None);
    let v1 = fixture_bytes("sns_vector_v1_sha1.json");
    let v2 = fixture_bytes("sns_vector_v2_sha256.json");
    assert_eq!(
        block_on(registry.handle("ses", &HeaderMap::new(), &v1, now())),
        Ok(Inbound::Ignored)
    );
    let refused = block_on(registry.handle("ses", &HeaderMap::new(), &v2, now()));
    assert!(matches!(refused, Err(WebhookError::TopicNotAllowed(_))));
}

#[test]
fn sns_certificate_url_on_another_host_is_refused_without_a_request() {
    let refused = [
        "http://sns.us-east-2.amazonaws.com/SimpleNotificationService-1.pem",
        "https://internetbadguys.com/cert.pem",
        "https://sns.us-east-1.amazonaws.com.evil.test/SimpleNotificationService-1.pem",
        "https://sns.us-east-1.amazonaws.com:8443/SimpleNotificationService-1.pem",
        "https://sns.us-east-1.amazonaws.com@evil.test/SimpleNotificationService-1.pem",
        "https://evil.test/sns.us-east-1.amazonaws.com/SimpleNotificationService-1.pem",
        "https://evilsns.us-east-1.amazonaws.com/SimpleNotificationService-1.pem",
        "https://sns.us-east-1.evil.amazonaws.com/SimpleNotificationService-1.pem",
        "https://sns..amazonaws.com/SimpleNotificationService-1.pem",
        "https://SNS.us-east-1.amazonaws.com/SimpleNotificationService-1.pem",
        "https://sns.us-east-1.amazonaws.com/SimpleNotificationService-1.key",
        "https://sns.us-east-1.amazonaws.com/../../etc/passwd.pem",
        "https://sns.us-east-1.amazonaws.com/a/b.pem",
        "https://sns.us-east-1.amazonaws.com/x.pem?y",
        "https://sns.us-east-1.amazonaws.com\\@evil.test/x.pem",
        "https://sns.us-east-1.amazonaws.com /x.pem",
        "",
    ];
    for url in refused {
        let (http, calls) = counting(Some(cert_pem()));
        let store = CertificateStore::new(None, http);
        let result = block_on(store.resolve(url));
        assert!(
            matches!(result, Err(WebhookError::UntrustedSnsUrl(_))),
            "{url}"
        );
        assert_eq!(calls.load(Ordering::SeqCst), 0, "{url} made a request");
    }
    // Through the whole pipeline as well, with a forged envelope.
    let mut forged: Value =
        serde_json::from_slice(&fixture_bytes("sns_vector_v1_sha1.json")).expect("json");
    forged["SigningCertURL"] = json!("https://sns.us-east-1.amazonaws.com.evil.test/x.pem");
    let (registry, calls) = ses_registry(None, vec![], Some(cert_pem()));
    let body = serde_json::to_vec(&forged).expect("json");
    let result = block_on(registry.handle("ses", &HeaderMap::new(), &body, now()));
    assert!(matches!(result, Err(WebhookError::UntrustedSnsUrl(_))));
    assert_eq!(calls.load(Ordering::SeqCst), 0);
}

#[test]
fn sns_certificate_urls_on_aws_sns_hosts_are_accepted() {
    for url in [
        CERT_URL,
        "https://sns.cn-north-1.amazonaws.com.cn/SimpleNotificationService-abc.pem",
        "https://sns.us-gov-west-1.amazonaws.com/SimpleNotificationService-abc.pem",
    ] {
        assert!(SnsUrl::certificate(url).is_ok(), "{url}");
    }
}

#[test]
fn unknown_provider_is_404_and_unconfigured_providers_are_not_registered() {
    let registry = Registry::from_settings(&WebhookSettings::default()).expect("builds");
    assert_eq!(registry.names().count(), 0);
    let error = block_on(registry.handle("sendgrid", &HeaderMap::new(), b"[]", now()))
        .expect_err("not configured");
    assert_eq!(error.status(), http::StatusCode::NOT_FOUND);
}

#[test]
fn registry_maps_route_names_to_configured_providers() {
    let settings = WebhookSettings {
        sendgrid: Some(SendgridSettings {
            public_key: SG_KEY_1.into(),
        }),
        mailgun: Some(MailgunSettings {
            signing_key: SecretString::from(MG_KEY),
            tolerance: MailgunSettings::DEFAULT_TOLERANCE,
        }),
        postmark: Some(PostmarkSettings {
            username: SecretString::from("u"),
            password: SecretString::from("p"),
        }),
        mailjet: Some(MailjetSettings {
            username: SecretString::from("u"),
            password: SecretString::from("p"),
        }),
        brevo: Some(BrevoSettings {
            username: SecretString::from("u"),
            password: SecretString::from("p"),
        }),
        ses: Some(SesSettings {
            topic_arns: vec![],
            cert_dir: Some(fixture_path("")),
        }),
    };
    let registry = Registry::from_settings(&settings).expect("builds");
    assert_eq!(
        registry.names().collect::<Vec<_>>(),
        ["brevo", "mailgun", "mailjet", "postmark", "sendgrid", "ses"]
    );
    for name in registry.names() {
        assert_eq!(registry.get(name).map(|p| p.name()), Some(name));
    }
    let bad = WebhookSettings {
        sendgrid: Some(SendgridSettings {
            public_key: "nope".into(),
        }),
        ..WebhookSettings::default()
    };
    assert!(Registry::from_settings(&bad).is_err());
}

#[test]
fn sendgrid_signed_batch_goes_through_the_whole_pipeline() {
    let settings = WebhookSettings {
        sendgrid: Some(SendgridSettings {
            public_key: SG_KEY_2.into(),
        }),
        ..WebhookSettings::default()
    };
    let registry = Registry::from_settings(&settings).expect("builds");
    let mut headers = HeaderMap::new();
    headers.insert(
        sendgrid::SIGNATURE_HEADER,
        HeaderValue::from_static(SG_SIG_2),
    );
    headers.insert(
        sendgrid::TIMESTAMP_HEADER,
        HeaderValue::from_static(SG_TS_2),
    );
    let body = fixture_bytes("sendgrid_vector2_body.txt");
    let Ok(Inbound::Events(events)) = block_on(registry.handle("sendgrid", &headers, &body, now()))
    else {
        panic!("events expected");
    };
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].kind, InboundKind::Bounce { hard: false });
}

#[test]
fn subscription_confirmation_goes_only_to_sns_hosts() {
    let (registry, calls) = ses_registry(None, vec![], Some(String::new()));
    let good = "https://sns.us-west-2.amazonaws.com/?Action=ConfirmSubscription&Token=t";
    assert_eq!(block_on(registry.confirm_subscription(good)), Ok(()));
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    let evil = "https://sns.us-west-2.amazonaws.com.evil.test/?Action=ConfirmSubscription";
    assert!(matches!(
        block_on(registry.confirm_subscription(evil)),
        Err(WebhookError::UntrustedSnsUrl(_))
    ));
    assert_eq!(calls.load(Ordering::SeqCst), 1);
}
