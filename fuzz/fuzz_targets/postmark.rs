#![no_main]
//! Postmark: record parser, and the basic-auth check with the input as the header.

use chrono::DateTime;
use libfuzzer_sys::fuzz_target;
use rapport::providers::{Provider, postmark};
use secrecy::SecretString;

fuzz_target!(|data: &[u8]| {
    let _ = postmark::parse(data);
    let provider = postmark::provider(SecretString::from("u"), SecretString::from("p"));
    let mut headers = http::HeaderMap::new();
    if let Ok(value) = http::HeaderValue::from_bytes(data) {
        headers.insert("authorization", value);
    }
    let _ = provider.verify(&headers, data, DateTime::UNIX_EPOCH);
});
