#![no_main]
//! Brevo: event parser (epoch fields, Paris-local `date`, custom header and tags), and the
//! basic-auth check with the input as the header.

use chrono::DateTime;
use libfuzzer_sys::fuzz_target;
use rapport::providers::{Provider, brevo};
use secrecy::SecretString;

fuzz_target!(|data: &[u8]| {
    let _ = brevo::parse(data);
    let provider = brevo::provider(SecretString::from("u"), SecretString::from("p"));
    let _ = provider.parse(data);
    let mut headers = http::HeaderMap::new();
    if let Ok(value) = http::HeaderValue::from_bytes(data) {
        headers.insert("authorization", value);
    }
    let _ = provider.verify(&headers, data, DateTime::UNIX_EPOCH);
});
