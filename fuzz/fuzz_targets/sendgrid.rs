#![no_main]
//! SendGrid: batch parser, plus the signature check on the same bytes.

use libfuzzer_sys::fuzz_target;
use rapport::providers::{Provider, Sendgrid, sendgrid};

const KEY: &str = "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE83T4O/n84iotIvIW4mdBgQ/7dAfSmpqIM8kF9mN1flpVKS3GRqe62gw+2fNNRaINXvVpiglSI8eNEc6wEA3F+g==";

fuzz_target!(|data: &[u8]| {
    let _ = sendgrid::parse(data);
    if let Ok(provider) = Sendgrid::new(KEY) {
        let _ = provider.parse(data);
        let text = String::from_utf8_lossy(data);
        // Split at a char boundary: `split_at` in the middle of a character panics (the
        // first run of this target found exactly that, in the harness).
        let middle = (0..=text.len() / 2)
            .rev()
            .find(|&i| text.is_char_boundary(i))
            .unwrap_or(0);
        let (timestamp, signature) = text.split_at(middle);
        let _ = provider.verify_signature(timestamp, signature, data);
    }
});
