//! The MIME message: multipart/alternative (text, then HTML), the headers mail providers and
//! RFC 8058 expect, provider correlation headers, and the DKIM signature.

use super::dkim::DkimSigner;
use super::error::RenderError;
use super::renderer::RenderedEmail;
use crate::domain::EmailAddress;
use chrono::{DateTime, Utc};
use lettre::Message;
use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use uuid::Uuid;

/// Per-delivery envelope facts the dispatch loop knows.
#[derive(Debug, Clone)]
pub struct MessageMeta<'a> {
    pub delivery_id: Uuid,
    /// `<uuid@sending-domain>`, generated once per delivery and kept across retries.
    pub message_id: &'a str,
    pub to_email: &'a EmailAddress,
    /// The customer's name as imported; cleaned here.
    pub to_name: &'a str,
    pub from: &'a Mailbox,
    pub reply_to: Option<&'a Mailbox>,
    /// `mail.unsubscribe_mailto`: added to List-Unsubscribe beside the HTTPS URL.
    pub unsubscribe_mailto: Option<&'a str>,
    /// `mail.correlation_headers`: X-Rapport-Delivery and the providers' metadata headers.
    pub correlation_headers: bool,
    pub date: DateTime<Utc>,
}

/// Parses `Name <addr@example>` once (at start), for `MessageMeta::from` / `reply_to`.
pub fn parse_mailbox(s: &str) -> Result<Mailbox, RenderError> {
    s.parse::<Mailbox>().map_err(|e| {
        RenderError::Message(format!(
            "`{s}` is not a mailbox like `Shop <hello@shop.example>`: {e}"
        ))
    })
}

/// A display name safe for a header: lettre panics on CR/LF, and a control character in a
/// name is never what the customer is called. Runs of whitespace collapse; length is capped
/// so that a pasted essay does not become a header.
pub fn clean_display_name(name: &str) -> String {
    let cleaned = name
        .split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    cleaned.chars().take(100).collect()
}

fn header(name: &'static str, value: String) -> HeaderValue {
    HeaderValue::new(HeaderName::new_from_ascii_str(name), value)
}

fn valid_message_id(id: &str) -> bool {
    id.len() <= 250
        && id.starts_with('<')
        && id.ends_with('>')
        && id.contains('@')
        && id.bytes().all(|b| b.is_ascii_graphic())
}

/// The message as bytes for SMTP (CRLF line ends), DKIM-signed when a signer is given.
pub fn build_message(
    email: &RenderedEmail,
    meta: &MessageMeta<'_>,
    dkim: Option<&DkimSigner>,
) -> Result<Vec<u8>, RenderError> {
    if !valid_message_id(meta.message_id) {
        return Err(RenderError::Message(format!(
            "`{}` is not a Message-ID like <id@domain>",
            meta.message_id.escape_default()
        )));
    }
    let to_address = meta
        .to_email
        .as_str()
        .parse()
        .map_err(|e| RenderError::Message(format!("recipient `{}`: {e}", meta.to_email)))?;
    let name = clean_display_name(meta.to_name);
    let to = Mailbox::new((!name.is_empty()).then_some(name), to_address);

    let mut list_unsubscribe = format!("<{}>", email.unsubscribe_url);
    if let Some(mailto) = meta.unsubscribe_mailto {
        let mailto = mailto.trim().trim_start_matches("mailto:");
        if mailto.bytes().all(|b| b.is_ascii_graphic()) && mailto.contains('@') {
            list_unsubscribe.push_str(&format!(", <mailto:{mailto}?subject=unsubscribe>"));
        }
    }

    let mut b = Message::builder()
        .from(meta.from.clone())
        .to(to)
        .subject(email.subject.as_str())
        .date(meta.date.into())
        .message_id(Some(meta.message_id.to_string()))
        .raw_header(header("List-Unsubscribe", list_unsubscribe))
        .raw_header(header(
            "List-Unsubscribe-Post",
            "List-Unsubscribe=One-Click".into(),
        ));
    if let Some(r) = meta.reply_to {
        b = b.reply_to(r.clone());
    }
    if meta.correlation_headers {
        let id = meta.delivery_id;
        b = b
            .raw_header(header("X-Rapport-Delivery", id.to_string()))
            .raw_header(header(
                "X-SMTPAPI",
                format!(r#"{{"unique_args":{{"rapport_delivery":"{id}"}}}}"#),
            ))
            .raw_header(header(
                "X-Mailgun-Variables",
                format!(r#"{{"rapport_delivery":"{id}"}}"#),
            ))
            .raw_header(header("X-PM-Metadata-rapport-delivery", id.to_string()))
            .raw_header(header(
                "X-SES-MESSAGE-TAGS",
                format!("rapport_delivery={id}"),
            ));
    }
    let mut message = b
        .multipart(MultiPart::alternative_plain_html(
            email.text.clone(),
            email.html.clone(),
        ))
        .map_err(|e| RenderError::Message(e.to_string()))?;
    if let Some(signer) = dkim {
        message.sign(signer.config());
    }
    Ok(message.formatted())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_lose_line_breaks_and_control_characters() {
        assert_eq!(
            clean_display_name("Evil\r\nBcc: x@evil.test"),
            "Evil Bcc: x@evil.test"
        );
        assert_eq!(clean_display_name(" Sara\t\u{0}Ahmadi "), "Sara Ahmadi");
        assert_eq!(clean_display_name(&"a".repeat(500)).len(), 100);
    }

    #[test]
    fn message_ids_must_be_angle_bracketed_and_single_line() {
        assert!(valid_message_id("<abc@shop.example>"));
        assert!(!valid_message_id("abc@shop.example"));
        assert!(!valid_message_id("<abc@shop.example>\r\nBcc: x"));
    }
}
