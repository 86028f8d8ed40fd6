//! The unit every transport sends: one rendered email for one recipient.

/// One email ready to go out. The render layer has already produced the complete
/// RFC 5322 message (headers, MIME parts, DKIM signature); transports send `raw`
/// byte for byte and never rewrite it, so what was signed is what arrives.
#[derive(Clone, PartialEq, Eq)]
pub struct OutgoingEmail {
    /// The outbox row this email belongs to; names the `.eml` file of the file transport.
    pub delivery_id: String,
    /// The `Message-ID` inside `raw` (kept across retries), for logs.
    pub message_id: String,
    /// Envelope sender (`MAIL FROM`), a bare address; empty for the null reverse-path.
    pub from: String,
    /// Envelope recipient (`RCPT TO`), a bare address.
    pub to: String,
    /// The complete formatted message.
    pub raw: Vec<u8>,
}

// The body can be megabytes; a derived Debug would print it into every log line.
impl std::fmt::Debug for OutgoingEmail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutgoingEmail")
            .field("delivery_id", &self.delivery_id)
            .field("message_id", &self.message_id)
            .field("from", &self.from)
            .field("to", &self.to)
            .field("raw_len", &self.raw.len())
            .finish()
    }
}
