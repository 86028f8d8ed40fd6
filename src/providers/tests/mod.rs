//! Tests that span providers, against the fixtures copied into `tests/fixtures/webhooks/`.

mod correlation;
mod fixtures;
mod robustness;
mod signatures;
mod sns;
