//! Email content end to end: shipped templates × locales → rendered → built `.eml`, checked
//! with the tools real mail systems use (Python's `email`, SpamAssassin; dkimpy in
//! tests/dkim.rs). SpamAssassin is required: when missing, the tests fail naming the missing tool
//! or module and how to install it (`support::tools`), never with a wrong verdict.

mod support;

use rapport::domain::{EmailAddress, Locale};
use rapport::render::{
    DeliveryMeta, DkimSigner, EmailContext, MessageMeta, RenderError, RenderedEmail, Renderer,
    TemplateSpec, Tracking, build_message, parse_mailbox,
};
use rapport::tracking::{Purpose, Signer};
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use support::dkim_keys::rsa_key;
use support::email_checks::{python_with, write_eml};
use support::process::DiesWithTest;
use support::tools::require;
use uuid::Uuid;

const CAMPAIGNS: [&str; 5] = [
    "post-sale-follow-up",
    "satisfaction-survey",
    "loyalty-offer",
    "partnership-invitation",
    "complaint-follow-up",
];
const PUBLIC_URL: &str = "https://mail.shop.example";
const SECRET: &[u8] = b"test-secret";

fn subjects(campaign: &str) -> BTreeMap<String, String> {
    let (en, fa) = match campaign {
        "post-sale-follow-up" => (
            "How is your order {{occurrence.id}} working out?",
            "سفارش {{digits occurrence.id}} به دستتان رسید؟",
        ),
        "satisfaction-survey" => (
            "One quick question about your order from {{shop.name}}",
            "یک سؤال کوتاه دربارهٔ خریدتان از {{shop.name}}",
        ),
        "loyalty-offer" => (
            "Picked for you this week at {{shop.name}}",
            "پیشنهادهای این هفته، مخصوص شما",
        ),
        "partnership-invitation" => (
            "Help shape what {{shop.name}} makes next",
            "دعوت به حلقهٔ مشاوران {{shop.name}}",
        ),
        _ => (
            "We are sorry: here is what happens next",
            "پوزش می‌خواهیم؛ قدم‌های بعدی ما",
        ),
    };
    BTreeMap::from([
        ("en".to_string(), en.to_string()),
        ("fa".to_string(), fa.to_string()),
    ])
}

fn specs() -> Vec<TemplateSpec> {
    CAMPAIGNS
        .iter()
        .map(|c| TemplateSpec {
            campaign: c.to_string(),
            template: c.to_string(),
            subjects: subjects(c),
            subject_sources: BTreeMap::new(),
        })
        .collect()
}

fn shop() -> BTreeMap<String, String> {
    BTreeMap::from([
        ("name".into(), "Rapport Demo Shop".into()),
        ("support_email".into(), "support@shop.example".into()),
        ("website".into(), "https://shop.example".into()),
    ])
}

fn templates() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("templates")
}

fn tracking() -> Tracking {
    Tracking::new(PUBLIC_URL, Signer::new(SECRET))
}

fn renderer() -> Renderer {
    Renderer::load(&templates(), &specs(), &shop(), tracking()).unwrap_or_else(|errors| {
        panic!(
            "templates do not load:\n{}",
            errors
                .iter()
                .map(|e| e.to_string())
                .collect::<Vec<_>>()
                .join("\n")
        )
    })
}

fn locales() -> [Locale; 2] {
    [Locale::parse("en").unwrap(), Locale::parse("fa").unwrap()]
}

fn meta<'a>(
    email: &'a EmailAddress,
    name: &'a str,
    from: &'a lettre::message::Mailbox,
    id: Uuid,
    message_id: &'a str,
) -> MessageMeta<'a> {
    MessageMeta {
        delivery_id: id,
        message_id,
        to_email: email,
        to_name: name,
        from,
        reply_to: None,
        unsubscribe_mailto: Some("unsubscribe@shop.example"),
        correlation_headers: true,
        date: chrono::DateTime::parse_from_rfc3339("2026-11-28T10:00:00Z")
            .unwrap()
            .to_utc(),
    }
}

/// Renders and builds one email; returns the rendered parts and the `.eml` bytes.
fn build(r: &Renderer, ctx: &EmailContext, dkim: Option<&DkimSigner>) -> (RenderedEmail, Vec<u8>) {
    let id = Uuid::new_v4();
    let rendered = r
        .render(&ctx.campaign, ctx, &DeliveryMeta { delivery_id: id })
        .unwrap();
    let from = parse_mailbox("Rapport Demo Shop <hello@shop.example>").unwrap();
    let email = EmailAddress::parse(&ctx.customer.email).unwrap();
    let message_id = format!("<{id}@shop.example>");
    let mut m = meta(&email, &ctx.customer.name, &from, id, &message_id);
    let reply_to = parse_mailbox("support@shop.example").unwrap();
    m.reply_to = Some(&reply_to);
    let bytes = build_message(&rendered, &m, dkim).unwrap();
    (rendered, bytes)
}

fn python(args: &[&str]) -> std::process::Output {
    python_with(args, None).unwrap_or_else(|e| panic!("{e}"))
}

fn parse_eml(bytes: &[u8]) -> Value {
    let f = write_eml(bytes);
    let out = python(&["parse", f.path().to_str().unwrap()]);
    assert!(
        out.status.success(),
        "python email parser failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn hrefs(html: &str) -> Vec<String> {
    html.split("href=\"")
        .skip(1)
        .map(|s| s.split('"').next().unwrap().replace("&amp;", "&"))
        .collect()
}

#[test]
fn every_campaign_renders_in_every_locale_with_sample_data() {
    let r = renderer();
    assert_eq!(r.languages(), ["en", "fa"]);
    for locale in locales() {
        for campaign in CAMPAIGNS {
            let ctx = EmailContext::sample(campaign, &locale);
            let e = r
                .render(
                    campaign,
                    &ctx,
                    &DeliveryMeta {
                        delivery_id: Uuid::new_v4(),
                    },
                )
                .unwrap();
            assert_eq!(e.lang, locale.language());
            assert!(!e.subject.is_empty() && !e.html.is_empty() && !e.text.is_empty());
            assert!(
                e.html.contains(&e.unsubscribe_url),
                "{campaign}/{locale}: no visible unsubscribe link"
            );
            assert!(
                e.text.contains(&e.unsubscribe_url),
                "{campaign}/{locale}: text part has no unsubscribe link"
            );
            assert!(
                e.html.contains("/t/o/"),
                "{campaign}/{locale}: no open pixel"
            );
            assert!(!e.html.contains("{{") && !e.text.contains("{{"));
        }
    }
}

#[test]
fn built_messages_parse_as_mime_with_exactly_one_of_each_identity_header_and_a_text_part() {
    let r = renderer();
    for locale in locales() {
        for campaign in CAMPAIGNS {
            let (rendered, bytes) = build(&r, &EmailContext::sample(campaign, &locale), None);
            let p = parse_eml(&bytes);
            assert_eq!(p["defects"], serde_json::json!([]), "{campaign}/{locale}");
            for h in [
                "from",
                "to",
                "subject",
                "date",
                "message-id",
                "mime-version",
                "list-unsubscribe",
                "list-unsubscribe-post",
            ] {
                assert_eq!(p["counts"][h], 1, "{campaign}/{locale}: {h} count");
            }
            assert_eq!(p["content_type"], "multipart/alternative");
            assert_eq!(p["subject"], rendered.subject.as_str());
            let parts = p["parts"].as_array().unwrap();
            let text = parts
                .iter()
                .find(|x| x["type"] == "text/plain")
                .expect("a text/plain part");
            assert_eq!(text["charset"], "utf-8");
            assert!(parts.iter().any(|x| x["type"] == "text/html"));
            let h = &p["headers"];
            assert_eq!(h["list-unsubscribe-post"], "List-Unsubscribe=One-Click");
            let lu = h["list-unsubscribe"].as_str().unwrap();
            assert!(
                lu.starts_with(&format!("<{}>", rendered.unsubscribe_url)),
                "{lu}"
            );
            assert!(lu.contains("<mailto:unsubscribe@shop.example"), "{lu}");
            let id = h["x-rapport-delivery"].as_str().unwrap();
            assert_eq!(h["message-id"], format!("<{id}@shop.example>"));
            assert_eq!(
                h["x-smtpapi"],
                format!(r#"{{"unique_args":{{"rapport_delivery":"{id}"}}}}"#)
            );
            assert_eq!(
                h["x-mailgun-variables"],
                format!(r#"{{"rapport_delivery":"{id}"}}"#)
            );
            assert_eq!(h["x-pm-metadata-rapport-delivery"], id);
            assert_eq!(h["x-ses-message-tags"], format!("rapport_delivery={id}"));
        }
    }
}

#[test]
fn correlation_headers_can_be_turned_off() {
    let r = renderer();
    let ctx = EmailContext::sample("loyalty-offer", &Locale::parse("en").unwrap());
    let id = Uuid::new_v4();
    let rendered = r
        .render("loyalty-offer", &ctx, &DeliveryMeta { delivery_id: id })
        .unwrap();
    let from = parse_mailbox("Shop <hello@shop.example>").unwrap();
    let to = EmailAddress::parse("sara@example.com").unwrap();
    let mid = format!("<{id}@shop.example>");
    let mut m = meta(&to, "Sara", &from, id, &mid);
    m.correlation_headers = false;
    m.unsubscribe_mailto = None;
    let p = parse_eml(&build_message(&rendered, &m, None).unwrap());
    for h in [
        "x-rapport-delivery",
        "x-smtpapi",
        "x-mailgun-variables",
        "x-pm-metadata-rapport-delivery",
        "x-ses-message-tags",
    ] {
        assert!(p["counts"].get(h).is_none(), "{h} present");
    }
    assert_eq!(
        p["headers"]["list-unsubscribe"],
        format!("<{}>", rendered.unsubscribe_url)
    );
}

fn spam_score(bytes: &[u8]) -> (f64, String) {
    let mut child = Command::new(require("spamassassin", "apt-get install spamassassin"))
        .dies_with_test()
        .args(["-L", "-t"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run spamassassin: {e}"));
    use std::io::Write;
    child.stdin.take().unwrap().write_all(bytes).unwrap();
    let out = child.wait_with_output().unwrap();
    let report = String::from_utf8_lossy(&out.stdout).to_string();
    let status = report
        .lines()
        .find(|l| l.starts_with("X-Spam-Status:"))
        .unwrap_or_else(|| panic!("spamassassin printed no X-Spam-Status:\n{report}"));
    let score = status
        .split("score=")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let tests = report
        .lines()
        .skip_while(|l| !l.starts_with("Content analysis details"))
        .collect::<Vec<_>>()
        .join("\n");
    (score, tests)
}

#[test]
fn spamassassin_scores_every_email_at_most_one() {
    let r = renderer();
    // Signed, as real senders' mail is: SpamAssassin scores DKIM.
    let key = rsa_key(false);
    let signer = DkimSigner::new("shop.example", "rapport", &key.text).unwrap();
    let mut failures = Vec::new();
    for locale in locales() {
        for campaign in CAMPAIGNS {
            let (_, bytes) = build(&r, &EmailContext::sample(campaign, &locale), Some(&signer));
            let (score, report) = spam_score(&bytes);
            if score > 1.0 {
                failures.push(format!("{campaign}/{locale}: {score}\n{report}"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn a_hostile_customer_name_adds_no_header_does_not_panic_and_is_escaped_in_html() {
    let r = renderer();
    for name in [
        "Evil\r\nBcc: x@evil.test",
        "<script>alert(1)</script> Mallory",
        "Evil\nX-Injected: yes <b>bold</b>",
    ] {
        for locale in locales() {
            let mut ctx = EmailContext::sample("post-sale-follow-up", &locale);
            ctx.customer = rapport::render::CustomerView::new(
                "c-666",
                name,
                "victim@example.com",
                locale.clone(),
                "UTC",
                Value::Null,
            );
            ctx.occurrence["items"][0]["name"] = "<img src=x onerror=alert(1)>".into();
            let (rendered, bytes) = build(&r, &ctx, None);
            let text = String::from_utf8_lossy(&bytes);
            let head = text.split("\r\n\r\n").next().unwrap();
            for line in head.lines() {
                let l = line.to_ascii_lowercase();
                assert!(
                    !l.starts_with("bcc:") && !l.starts_with("x-injected:"),
                    "injected header: {line}"
                );
            }
            assert!(
                !rendered.html.contains("<script>") && !rendered.html.contains("<img src=x"),
                "unescaped HTML"
            );
            assert!(rendered.html.contains("&lt;script&gt;") || !name.contains("<script>"));
            let p = parse_eml(&bytes);
            assert_eq!(p["counts"]["to"], 1);
            assert!(p["counts"].get("bcc").is_none());
            assert_eq!(p["to_addresses"], serde_json::json!(["victim@example.com"]));
        }
    }
}

#[test]
fn every_link_in_the_html_except_unsubscribe_goes_through_the_click_tracker() {
    let r = renderer();
    let signer = Signer::new(SECRET);
    for locale in locales() {
        for campaign in CAMPAIGNS {
            let id = Uuid::new_v4();
            let ctx = EmailContext::sample(campaign, &locale);
            let e = r
                .render(campaign, &ctx, &DeliveryMeta { delivery_id: id })
                .unwrap();
            let mut seen = Vec::new();
            for href in hrefs(&e.html) {
                if href.starts_with("mailto:") || href == e.unsubscribe_url {
                    continue;
                }
                let token = href
                    .strip_prefix(&format!("{PUBLIC_URL}/t/c/"))
                    .unwrap_or_else(|| panic!("{campaign}/{locale}: untracked link {href}"));
                let payload = signer
                    .verify(Purpose::Click, token)
                    .expect("click token verifies");
                assert_eq!(payload.delivery_id, id);
                seen.push(payload.link.unwrap());
            }
            // Every stored target is reachable, the honeypot among them.
            let honeypot = e.honeypot_link.expect("a honeypot link");
            assert!(seen.contains(&honeypot));
            for i in 0..e.links.len() as u16 {
                assert!(
                    seen.contains(&i),
                    "{campaign}/{locale}: link {i} not in the HTML"
                );
            }
            assert!(
                e.links
                    .iter()
                    .all(|l| l.starts_with("http") && !l.contains("/t/c/"))
            );
            if campaign == "satisfaction-survey" {
                for score in 0..=10 {
                    assert!(
                        e.links
                            .iter()
                            .any(|l| l.contains("/s/") && l.ends_with(&format!("?score={score}"))),
                        "score {score}"
                    );
                }
            }
            if campaign == "partnership-invitation" {
                assert!(
                    e.links
                        .iter()
                        .any(|l| l.starts_with(&format!("{PUBLIC_URL}/p/")))
                );
            }
            // The text part's URLs are tracked the same way.
            for word in e.text.split_whitespace().filter(|w| w.starts_with("http")) {
                assert!(
                    word.starts_with(&format!("{PUBLIC_URL}/t/c/")) || word == e.unsubscribe_url,
                    "text: {word}"
                );
            }
        }
    }
}

#[test]
fn a_tampered_tracking_token_from_an_email_fails_verification() {
    let r = renderer();
    let ctx = EmailContext::sample("satisfaction-survey", &Locale::parse("en").unwrap());
    let e = r
        .render(
            "satisfaction-survey",
            &ctx,
            &DeliveryMeta {
                delivery_id: Uuid::new_v4(),
            },
        )
        .unwrap();
    let signer = Signer::new(SECRET);
    let href = hrefs(&e.html)
        .into_iter()
        .find(|h| h.contains("/t/c/"))
        .unwrap();
    let token = href.rsplit('/').next().unwrap().to_string();
    assert!(signer.verify(Purpose::Click, &token).is_some());
    let mut tampered = token.into_bytes();
    tampered[3] = if tampered[3] == b'x' { b'y' } else { b'x' };
    let tampered = String::from_utf8(tampered).unwrap();
    assert!(signer.verify(Purpose::Click, &tampered).is_none());
    let unsub = e.unsubscribe_url.rsplit('/').next().unwrap();
    assert!(signer.verify(Purpose::Unsubscribe, unsub).is_some());
    assert!(
        signer.verify(Purpose::Click, unsub).is_none(),
        "an unsubscribe token is not a click token"
    );
}

/// A template folder with one campaign, for the error-path tests.
fn scratch_templates(content: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let en = dir.path().join("en");
    std::fs::create_dir_all(en.join("partials")).unwrap();
    std::fs::write(
        en.join("layout.html.hbs"),
        "<html><body>\n{{> @partial-block}}\n</body></html>",
    )
    .unwrap();
    std::fs::write(en.join("style.css"), "p { color: #333333; }").unwrap();
    std::fs::write(en.join("broken.html.hbs"), content).unwrap();
    dir
}

fn scratch_spec() -> Vec<TemplateSpec> {
    vec![TemplateSpec {
        campaign: "broken".into(),
        template: "broken".into(),
        subjects: BTreeMap::from([("en".into(), "Hello".into())]),
        subject_sources: BTreeMap::new(),
    }]
}

fn load_errors(dir: &Path) -> Vec<RenderError> {
    Renderer::load(dir, &scratch_spec(), &shop(), tracking()).unwrap_err()
}

#[test]
fn a_missing_variable_is_an_error_naming_the_template_file_and_line() {
    let dir = scratch_templates("<p>Hello</p>\n<p class=\"x\">\nDear {{customer.nickname}},</p>\n");
    let errors = load_errors(dir.path());
    assert_eq!(errors.len(), 1, "{errors:?}");
    let msg = errors[0].to_string();
    assert!(msg.contains("en/broken.html.hbs:3:"), "{msg}");
    assert!(msg.contains("customer.nickname"), "{msg}");
}

#[test]
fn a_handlebars_syntax_error_names_the_template_file_and_line() {
    let dir = scratch_templates("<p>Hello</p>\n\n<p>{{#if customer.name}}open</p>\n");
    let msg = load_errors(dir.path())[0].to_string();
    assert!(
        msg.contains("en/broken.html.hbs:3") || msg.contains("en/broken.html.hbs:4"),
        "{msg}"
    );
}

#[test]
fn without_a_text_template_the_text_part_is_derived_from_the_html() {
    let dir = scratch_templates(
        "<p>Hello {{customer.first_name}}, see <a href=\"https://shop.example/new\">what is new</a>.</p>\n<p><a href=\"{{links.unsubscribe}}\">Unsubscribe</a></p>",
    );
    let r = Renderer::load(dir.path(), &scratch_spec(), &shop(), tracking()).unwrap();
    let ctx = EmailContext::sample("broken", &Locale::parse("en").unwrap());
    let e = r
        .render(
            "broken",
            &ctx,
            &DeliveryMeta {
                delivery_id: Uuid::new_v4(),
            },
        )
        .unwrap();
    assert!(e.text.contains("Hello Sara"), "{}", e.text);
    assert!(e.text.contains(&format!("{PUBLIC_URL}/t/c/")), "{}", e.text);
    assert!(e.text.contains(&e.unsubscribe_url), "{}", e.text);
    assert!(!e.text.contains('<'));
}

#[test]
fn a_locale_without_its_own_template_falls_back_to_english() {
    let dir = scratch_templates(
        "<p>Hello {{customer.first_name}}</p><a href=\"{{links.unsubscribe}}\">u</a>",
    );
    std::fs::create_dir_all(dir.path().join("fa")).unwrap();
    let r = Renderer::load(dir.path(), &scratch_spec(), &shop(), tracking()).unwrap();
    let ctx = EmailContext::sample("broken", &Locale::parse("fa-IR").unwrap());
    let e = r
        .render(
            "broken",
            &ctx,
            &DeliveryMeta {
                delivery_id: Uuid::new_v4(),
            },
        )
        .unwrap();
    assert_eq!(e.lang, "en");
    assert!(e.html.contains("Hello سارا"));
}

#[test]
fn persian_emails_are_right_to_left_with_persian_digits_and_jalali_dates() {
    let r = renderer();
    let ctx = EmailContext::sample("post-sale-follow-up", &Locale::parse("fa").unwrap());
    let e = r
        .render(
            "post-sale-follow-up",
            &ctx,
            &DeliveryMeta {
                delivery_id: Uuid::new_v4(),
            },
        )
        .unwrap();
    assert!(
        e.html.contains(r#"<html lang="fa" dir="rtl">"#),
        "{}",
        &e.html[..200]
    );
    assert!(e.html.contains("text-align: right"));
    // 2026-11-20 09:15 UTC is 29 Aban 1405 in Tehran.
    assert!(e.html.contains("۲۹ آبان ۱۴۰۵"), "Jalali date");
    assert!(e.html.contains("۲٬۴۵۰٬۰۰۰ تومان"), "Persian money");
    assert!(e.text.contains("۲٬۴۵۰٬۰۰۰ تومان"));
    assert!(e.subject.contains("۱۰۰۴۲"), "{}", e.subject);
    let en = r
        .render(
            "post-sale-follow-up",
            &EmailContext::sample("post-sale-follow-up", &Locale::parse("en").unwrap()),
            &DeliveryMeta {
                delivery_id: Uuid::new_v4(),
            },
        )
        .unwrap();
    assert!(en.html.contains(r#"<html lang="en" dir="ltr">"#));
    assert!(en.html.contains("20 November 2026") && en.html.contains("€49.90"));
}

#[test]
fn css_is_inlined_so_that_styles_survive_clients_that_drop_style_blocks() {
    let r = renderer();
    let e = r
        .render(
            "loyalty-offer",
            &EmailContext::sample("loyalty-offer", &Locale::parse("en").unwrap()),
            &DeliveryMeta {
                delivery_id: Uuid::new_v4(),
            },
        )
        .unwrap();
    let button = e
        .html
        .split("<a ")
        .find(|tag| tag.contains("class=\"button\""))
        .unwrap();
    let button = button.split('>').next().unwrap();
    assert!(
        button.contains("style=\"") && button.contains("color: #ffffff"),
        "button not styled inline: {button}"
    );
    assert!(e.html.contains("<title>Rapport Demo Shop</title>"));
    // Only the media-query block for small screens remains as a <style>.
    assert_eq!(e.html.matches("<style").count(), 1);
    assert!(e.html.contains("@media"));
}

#[test]
fn the_loyalty_offer_shows_the_suggestions_and_a_personal_code() {
    let r = renderer();
    for locale in locales() {
        let mut ctx = EmailContext::sample("loyalty-offer", &locale);
        let e = r
            .render(
                "loyalty-offer",
                &ctx,
                &DeliveryMeta {
                    delivery_id: Uuid::new_v4(),
                },
            )
            .unwrap();
        for s in &ctx.suggestions {
            assert!(e.html.contains(&s.name) && e.text.contains(&s.name));
        }
        let code = Signer::new(SECRET).personal_code(&ctx.customer.id);
        assert!(e.html.contains(&code) && e.text.contains(&code));
        ctx.customer.attributes = serde_json::json!({"offer_code": "VIP-2026"});
        let e = r
            .render(
                "loyalty-offer",
                &ctx,
                &DeliveryMeta {
                    delivery_id: Uuid::new_v4(),
                },
            )
            .unwrap();
        assert!(e.html.contains("VIP-2026"), "the integrator's code wins");
    }
}

#[test]
fn one_renderer_can_be_shared_by_every_sender_worker() {
    fn shared<T: Send + Sync>() {}
    shared::<Renderer>();
    shared::<DkimSigner>();
    let r = std::sync::Arc::new(renderer());
    let workers: Vec<_> = (0..2)
        .map(|_| {
            let r = r.clone();
            std::thread::spawn(move || {
                let ctx = EmailContext::sample("loyalty-offer", &Locale::parse("fa").unwrap());
                r.render(
                    "loyalty-offer",
                    &ctx,
                    &DeliveryMeta {
                        delivery_id: Uuid::new_v4(),
                    },
                )
                .unwrap()
                .subject
            })
        })
        .collect();
    for w in workers {
        assert!(!w.join().unwrap().is_empty());
    }
}

#[test]
fn a_missing_variable_in_a_partial_names_the_partial_file_and_line() {
    let dir = scratch_templates("<p>Hello</p>\n{{> sign-off}}\n");
    std::fs::write(
        dir.path().join("en/partials/sign-off.html.hbs"),
        "<p>Thanks,</p>\n<p>{{shop.owner}}</p>\n",
    )
    .unwrap();
    let msg = load_errors(dir.path())[0].to_string();
    assert!(msg.contains("partials/sign-off.html.hbs:2:"), "{msg}");
    assert!(msg.contains("shop.owner"), "{msg}");
}
