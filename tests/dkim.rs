//! DKIM end to end: shipped templates rendered and built into messages signed with keys in the
//! formats operators have (`openssl genrsa`, `openssl genpkey`), checked by dkimpy, the
//! verifier many receivers run. dkimpy and PyNaCl are required: when missing, the tests fail
//! naming the module and how to install it, never with a wrong verdict.

mod support;

use rapport::config::DkimConfig;
use rapport::domain::{EmailAddress, Locale};
use rapport::render::{
    DeliveryMeta, DkimSigner, EmailContext, MessageMeta, Renderer, TemplateSpec, Tracking,
    build_message, parse_mailbox,
};
use rapport::tracking::Signer;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use support::dkim_keys::{Key, ed25519_key, rsa_key};
use support::email_checks::{python_with, write_eml};
use support::tools::{require_python_modules, without_python_module};
use uuid::Uuid;

const CAMPAIGN: &str = "satisfaction-survey";

fn renderer() -> Renderer {
    let spec = TemplateSpec {
        campaign: CAMPAIGN.into(),
        template: CAMPAIGN.into(),
        subjects: BTreeMap::from([
            ("en".into(), "One quick question about your order".into()),
            (
                "fa".into(),
                "یک سؤال کوتاه دربارهٔ خریدتان از {{shop.name}}".into(),
            ),
        ]),
        subject_sources: BTreeMap::new(),
    };
    let shop = BTreeMap::from([
        ("name".into(), "Rapport Demo Shop".into()),
        ("support_email".into(), "support@shop.example".into()),
        ("website".into(), "https://shop.example".into()),
    ]);
    let templates = Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
    let tracking = Tracking::new("https://mail.shop.example", Signer::new(b"test-secret"));
    Renderer::load(&templates, &[spec], &shop, tracking)
        .unwrap_or_else(|e| panic!("templates do not load: {e:?}"))
}

/// The survey in `locale`, as the dispatcher builds it, signed by `signer`.
fn signed_email(signer: &DkimSigner, locale: &str) -> Vec<u8> {
    let ctx = EmailContext::sample(CAMPAIGN, &Locale::parse(locale).unwrap());
    let id = Uuid::new_v4();
    let rendered = renderer()
        .render(CAMPAIGN, &ctx, &DeliveryMeta { delivery_id: id })
        .unwrap();
    let from = parse_mailbox("Rapport Demo Shop <hello@shop.example>").unwrap();
    let reply_to = parse_mailbox("support@shop.example").unwrap();
    let to = EmailAddress::parse(&ctx.customer.email).unwrap();
    let message_id = format!("<{id}@shop.example>");
    let meta = MessageMeta {
        delivery_id: id,
        message_id: &message_id,
        to_email: &to,
        to_name: &ctx.customer.name,
        from: &from,
        reply_to: Some(&reply_to),
        unsubscribe_mailto: Some("unsubscribe@shop.example"),
        correlation_headers: true,
        date: chrono::Utc::now(),
    };
    build_message(&rendered, &meta, Some(signer)).unwrap()
}

fn key_file(dir: &Path, name: &str, key: &Key) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, &key.text).unwrap();
    path
}

/// dkimpy's verdict on each signature, top first, as (selector, verified); or why there is
/// none (a missing module, a helper that crashed): only the helper's answer is a verdict.
fn dkim_verdicts(
    bytes: &[u8],
    records: &[(&str, &Key)],
    alter_subject: bool,
    python_path: Option<&Path>,
) -> Result<Vec<(String, bool)>, String> {
    let f = write_eml(bytes);
    let mut args = vec!["dkim".to_string(), f.path().display().to_string()];
    args.extend(records.iter().map(|(s, k)| format!("{s}={}", k.txt)));
    if alter_subject {
        args.push("--alter-subject".into());
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = python_with(&args, python_path)?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let verdicts: Option<Vec<(String, bool)>> = stdout
        .lines()
        .map(|l| match l.split_once(' ') {
            Some((s, "verified")) => Some((s.to_string(), true)),
            Some((s, "does not verify")) => Some((s.to_string(), false)),
            _ => None,
        })
        .collect();
    match verdicts {
        Some(v) if out.status.success() && !v.is_empty() => Ok(v),
        _ => Err(format!(
            "the DKIM check did not run ({}): {stdout}{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        )),
    }
}

fn verdicts(bytes: &[u8], records: &[(&str, &Key)], alter_subject: bool) -> Vec<(String, bool)> {
    dkim_verdicts(bytes, records, alter_subject, None).unwrap_or_else(|e| panic!("{e}"))
}

fn config(dir: &Path, rsa: Option<&Key>, ed25519: Option<&Key>) -> DkimConfig {
    DkimConfig {
        domain: Some("shop.example".into()),
        selector: rsa.map(|_| "rapport".into()),
        private_key_path: rsa.map(|k| key_file(dir, "dkim.pem", k)),
        ed25519_selector: ed25519.map(|_| "rapport-ed".into()),
        ed25519_key_path: ed25519.map(|k| key_file(dir, "dkim-ed25519.pem", k)),
    }
}

#[test]
fn a_missing_python_module_fails_the_dkim_check_by_name_not_as_a_bad_signature() {
    let key = ed25519_key(false);
    let signer = DkimSigner::new("shop.example", "rapport", &key.text).unwrap();
    let bytes = signed_email(&signer, "en");
    // The real modules first: hiding one proves something only when the others are there.
    require_python_modules(&[("dkim", "dkimpy"), ("nacl", "pynacl")]);
    // dkimpy without PyNaCl answers "does not verify" for every Ed25519 signature.
    for (module, package) in [("nacl", "pynacl"), ("dkim", "dkimpy")] {
        let hidden = without_python_module(module);
        let err = dkim_verdicts(&bytes, &[("rapport", &key)], false, Some(hidden.path()))
            .expect_err("no verdict without the module");
        assert!(
            err.contains(&format!("python module `{module}` missing"))
                && err.contains(&format!("pip install {package}")),
            "{err}"
        );
    }
}

#[test]
fn dkimpy_verifies_rsa_signatures_from_pkcs1_and_pkcs8_keys_and_rejects_an_altered_subject() {
    let dir = tempfile::tempdir().unwrap();
    for pkcs8 in [false, true] {
        let key = rsa_key(pkcs8);
        let signer = DkimSigner::from_config(&config(dir.path(), Some(&key), None))
            .unwrap()
            .unwrap();
        assert_eq!(signer.algorithm(), "rsa-sha256");
        for locale in ["en", "fa"] {
            let bytes = signed_email(&signer, locale);
            let text = String::from_utf8_lossy(&bytes);
            let head = text.split("\r\n\r\n").next().unwrap().replace("\r\n ", " ");
            let signature = head
                .lines()
                .find(|l| l.starts_with("DKIM-Signature:"))
                .expect("a DKIM-Signature header");
            assert!(signature.contains("c=relaxed/relaxed"), "{signature}");
            assert!(
                signature.contains("h=from:to:subject:date:message-id:mime-version:reply-to:list-unsubscribe:list-unsubscribe-post;"),
                "signed headers: {signature}"
            );
            let records = [("rapport", &key)];
            let what = format!("{locale}, PKCS#{}", if pkcs8 { 8 } else { 1 });
            assert_eq!(
                verdicts(&bytes, &records, false),
                [("rapport".into(), true)],
                "{what}"
            );
            assert_eq!(
                verdicts(&bytes, &records, true),
                [("rapport".into(), false)],
                "{what}: altered"
            );
        }
    }
}

#[test]
fn dkimpy_verifies_ed25519_signatures_from_a_seed_or_a_pkcs8_key_and_rejects_an_altered_subject() {
    for pem in [false, true] {
        let key = ed25519_key(pem);
        let signer = DkimSigner::new("shop.example", "rapport", &key.text).unwrap();
        assert_eq!(signer.algorithm(), "ed25519-sha256");
        let bytes = signed_email(&signer, "fa");
        let records = [("rapport", &key)];
        assert_eq!(
            verdicts(&bytes, &records, false),
            [("rapport".into(), true)],
            "pem: {pem}"
        );
        assert_eq!(
            verdicts(&bytes, &records, true),
            [("rapport".into(), false)],
            "pem: {pem}"
        );
    }
}

#[test]
fn a_dual_signed_message_verifies_with_dkimpy_for_both_signatures() {
    let dir = tempfile::tempdir().unwrap();
    let (rsa, ed25519) = (rsa_key(false), ed25519_key(true));
    let signer = DkimSigner::from_config(&config(dir.path(), Some(&rsa), Some(&ed25519)))
        .unwrap()
        .unwrap();
    let records = [("rapport", &rsa), ("rapport-ed", &ed25519)];
    for locale in ["en", "fa"] {
        let bytes = signed_email(&signer, locale);
        // Ed25519 on top (RFC 8463 allows either order); each verifies on its own.
        assert_eq!(
            verdicts(&bytes, &records, false),
            [("rapport-ed".into(), true), ("rapport".into(), true)],
            "{locale}"
        );
        assert_eq!(
            verdicts(&bytes, &records, true),
            [("rapport-ed".into(), false), ("rapport".into(), false)],
            "{locale}: altered"
        );
    }
}

#[test]
fn dkim_half_configured_or_with_the_wrong_second_key_is_an_error_that_says_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let (rsa, ed25519) = (rsa_key(false), ed25519_key(false));
    let error = |cfg: DkimConfig| DkimSigner::from_config(&cfg).unwrap_err().to_string();
    assert!(
        DkimSigner::from_config(&DkimConfig::default())
            .unwrap()
            .is_none()
    );
    let mut half = config(dir.path(), Some(&rsa), None);
    half.selector = None;
    assert!(error(half).contains("all three"));
    let mut half = config(dir.path(), Some(&rsa), Some(&ed25519));
    half.ed25519_selector = None;
    assert!(error(half).contains("both dkim.ed25519_selector and dkim.ed25519_key_path"));
    let alone = config(dir.path(), None, Some(&ed25519));
    assert!(error(alone).contains("all three"));
    let err = error(config(dir.path(), Some(&rsa), Some(&rsa)));
    assert!(err.contains("not an Ed25519 key"), "{err}");
    let err = error(config(dir.path(), Some(&ed25519), Some(&ed25519)));
    assert!(err.contains("Ed25519 key already"), "{err}");
    let mut same = config(dir.path(), Some(&rsa), Some(&ed25519));
    same.ed25519_selector = same.selector.clone();
    assert!(error(same).contains("must differ"));
    let err = error(config(
        dir.path(),
        Some(&Key {
            text: "not a key".into(),
            txt: String::new(),
        }),
        None,
    ));
    assert!(
        err.contains("dkim.pem") && err.contains("expected an RSA key"),
        "{err}"
    );
}
