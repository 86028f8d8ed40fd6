#![no_main]
//! Mailgun: event parser and the full verify (signature block, freshness, replay).

use chrono::DateTime;
use libfuzzer_sys::fuzz_target;
use rapport::providers::{Mailgun, MailgunSettings, Provider, mailgun};
use secrecy::SecretString;

fuzz_target!(|data: &[u8]| {
    let _ = mailgun::parse(data);
    let provider = Mailgun::new(
        SecretString::from("key-3ax6xnjp29jd6fds4gc373sgvjxteol0"),
        MailgunSettings::DEFAULT_TOLERANCE,
    );
    let now = DateTime::from_timestamp(1_403_645_220, 0).unwrap_or_default();
    let _ = provider.verify(&http::HeaderMap::new(), data, now);
});
