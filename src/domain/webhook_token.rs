//! A provider's single-use webhook token, as the store records it.

use chrono::{DateTime, Utc};

/// A signed value the provider makes single-use (Mailgun's `signature.token`), with a digest
/// of the payload it came with and when it may be forgotten (after that, the signed timestamp
/// is refused as stale anyway).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SingleUseToken {
    pub token: String,
    /// SHA-256 of the payload as parsed and re-serialised, so that a byte-different retry of
    /// the same payload (whitespace, key order) is still recognised as the same.
    pub payload_sha256: [u8; 32],
    pub forget_at: DateTime<Utc>,
}
