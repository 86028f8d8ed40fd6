#![no_main]
//! SES via SNS: envelope + record parser, canonical string, and the SNS URL checks.

use libfuzzer_sys::fuzz_target;
use rapport::providers::{SnsEnvelope, SnsUrl, ses};

fuzz_target!(|data: &[u8]| {
    let _ = ses::parse(data);
    if let Ok(envelope) = SnsEnvelope::parse(data) {
        let _ = envelope.string_to_sign();
        let _ = SnsUrl::certificate(&envelope.signing_cert_url);
    }
    let text = String::from_utf8_lossy(data);
    let _ = SnsUrl::certificate(&text);
    let _ = SnsUrl::subscribe(&text);
});
