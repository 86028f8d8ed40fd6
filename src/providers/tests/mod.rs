//! Tests that span providers, against the fixtures copied into `tests/fixtures/webhooks/`.

mod correlation;
mod expected;
mod fixtures;
mod mailjet_brevo;
mod robustness;
mod ses_records;
mod signatures;
mod sns;
