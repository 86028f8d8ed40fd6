//! Whatever a customer's name, a rendered subject or an attribute it carries holds, the
//! message's header lines stay within RFC 5322's 998 octets and no header appears that the
//! message does not write itself (no injected `Bcc:`).

use chrono::Utc;
use proptest::prelude::*;
use rapport::domain::EmailAddress;
use rapport::render::{MessageMeta, RenderedEmail, build_message, parse_mailbox};

fn message(subject: &str, name: &str) -> Vec<u8> {
    let email = RenderedEmail {
        subject: subject.to_string(),
        html: "<p>Hello</p>".into(),
        text: "Hello".into(),
        links: vec![],
        honeypot_link: None,
        unsubscribe_url: "https://shop.example/u/token".into(),
        lang: "en".into(),
    };
    let to = EmailAddress::parse("sara@example.com").unwrap();
    let from = parse_mailbox("Shop <hello@shop.example>").unwrap();
    let meta = MessageMeta {
        delivery_id: uuid::Uuid::nil(),
        message_id: "<m1@shop.example>",
        to_email: &to,
        to_name: name,
        from: &from,
        reply_to: None,
        unsubscribe_mailto: Some("unsubscribe@shop.example"),
        correlation_headers: true,
        date: Utc::now(),
    };
    build_message(&email, &meta, None).expect("builds")
}

/// The header block's lines, and the names of the headers (folded lines joined).
fn headers(raw: &[u8]) -> (Vec<Vec<u8>>, Vec<String>) {
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a header block");
    let lines: Vec<Vec<u8>> = raw[..end]
        .split(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l).to_vec())
        .collect();
    let names = lines
        .iter()
        .filter(|l| !l.starts_with(b" ") && !l.starts_with(b"\t"))
        .map(|l| {
            let l = String::from_utf8_lossy(l);
            l.split(':').next().unwrap_or_default().to_ascii_lowercase()
        })
        .collect();
    (lines, names)
}

/// Text as customer data holds it: huge words, line breaks, header look-alikes, any script.
fn customer_text() -> impl Strategy<Value = String> {
    prop_oneof![
        "\\PC{0,300}",
        "[a-zA-Z]{900,3000}",
        "[ا-ی]{400,1500}",
        "(.|\r|\n|\u{0}){0,200}",
        Just("Sara\r\nBcc: attacker@evil.test".to_string()),
        Just(format!("{}\nX-Injected: 1", "w ".repeat(600))),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn no_header_line_is_over_998_octets_and_no_header_is_added(
        name in customer_text(),
        subject_data in customer_text(),
        attribute in customer_text(),
    ) {
        let (_, expected) = headers(&message("Thanks for your order", "Sara"));
        // A subject template such as "{{customer.name}}, about {{order.id}} ({{attr}})".
        let subject = format!("{name}, thanks for {subject_data} ({attribute})");
        let raw = message(&subject, &name);
        let (lines, names) = headers(&raw);
        for l in &lines {
            prop_assert!(l.len() <= 998, "a header line of {} octets", l.len());
        }
        prop_assert_eq!(names, expected);
    }
}

#[test]
fn a_fifty_megabyte_name_in_a_subject_yields_a_short_subject() {
    let name = "N".repeat(50 * 1024 * 1024);
    let raw = message(&format!("Thanks, {name}"), &name);
    let (lines, _) = headers(&raw);
    assert!(lines.iter().all(|l| l.len() <= 998));
    assert!(raw.len() < 10_000, "{} bytes", raw.len());
}
