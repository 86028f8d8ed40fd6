//! The MIME message: multipart/alternative (text, then HTML), the headers mail providers and
//! RFC 8058 expect, provider correlation headers, and the DKIM signature.

use super::dkim::DkimSigner;
use super::error::RenderError;
use super::renderer::RenderedEmail;
use crate::domain::EmailAddress;
use chrono::{DateTime, Utc};
use lettre::Message;
use lettre::message::header::{ContentTransferEncoding, ContentType, HeaderName, HeaderValue};
use lettre::message::{Body, Mailbox, MultiPart, SinglePart};
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

/// Characters of a subject as sent. A subject is rendered from customer data (a name, an
/// order id, an attribute), so its length is whatever an import let through; mail clients
/// show about 60 characters, and RFC 5322 allows 998 octets per header line. Capped here,
/// where the header is written, whatever the template and data.
pub const MAX_SUBJECT_CHARS: usize = 250;

/// The subject as sent: one line (line breaks and control characters become spaces, runs of
/// whitespace one space) of at most [`MAX_SUBJECT_CHARS`] characters, `…` marking a cut.
pub fn clean_subject(subject: &str) -> String {
    let words: Vec<&str> = subject
        .split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|w| !w.is_empty())
        .collect();
    let one_line = words.join(" ");
    if one_line.chars().count() <= MAX_SUBJECT_CHARS {
        return one_line;
    }
    let mut cut: String = one_line.chars().take(MAX_SUBJECT_CHARS - 1).collect();
    cut.truncate(cut.trim_end().len());
    cut.push('…');
    cut
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
    let to_address: lettre::Address = meta
        .to_email
        .as_str()
        .parse()
        .map_err(|e| RenderError::Message(format!("recipient `{}`: {e}", meta.to_email)))?;
    let name = clean_display_name(meta.to_name);
    // Given explicitly, so that lettre does not parse it back out of the headers.
    let envelope =
        lettre::address::Envelope::new(Some(meta.from.email.clone()), vec![to_address.clone()])
            .map_err(|e| RenderError::Message(e.to_string()))?;
    let to = Mailbox::new((!name.is_empty()).then_some(name), to_address);

    let mut list_unsubscribe = format!("<{}>", email.unsubscribe_url);
    if let Some(mailto) = meta.unsubscribe_mailto {
        let mailto = mailto.trim().trim_start_matches("mailto:");
        if mailto.bytes().all(|b| b.is_ascii_graphic()) && mailto.contains('@') {
            list_unsubscribe.push_str(&format!(", <mailto:{mailto}?subject=unsubscribe>"));
        }
    }

    let mut b = Message::builder()
        .envelope(envelope)
        .from(meta.from.clone())
        .to(to)
        .subject(clean_subject(&email.subject))
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
            ))
            // Mailjet echoes it as `CustomID`, Brevo as `X-Mailin-custom`.
            .raw_header(header("X-MJ-CustomID", id.to_string()))
            .raw_header(header(
                "X-Mailin-custom",
                format!(r#"{{"rapport_delivery":"{id}"}}"#),
            ));
    }
    let message = b
        .multipart(
            MultiPart::alternative()
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_PLAIN)
                        .body(eight_bit(&email.text)),
                )
                .singlepart(
                    SinglePart::builder()
                        .header(ContentType::TEXT_HTML)
                        .body(eight_bit(&email.html)),
                ),
        )
        .map_err(|e| RenderError::Message(e.to_string()))?;
    let raw = message.formatted();
    match dkim {
        Some(signer) => signer.sign(raw, meta.date),
        None => Ok(raw),
    }
}

/// SMTP lines may not exceed 998 octets; stay well below.
const MAX_LINE: usize = 900;

/// The body as UTF-8 on the wire (`8bit`; `7bit` when ASCII). Every server we send to
/// announces 8BITMIME and lettre then declares `BODY=8BITMIME`. Quoted-printable would
/// triple Persian text, and lettre picks it for any line of 76 characters or more, which
/// every inlined style is — encoding cost more than rendering the template.
/// A line with no space to break at falls back to lettre's own choice (QP or base64).
fn eight_bit(s: &str) -> Body {
    match wire_lines(s) {
        Some(bytes) => {
            let encoding = if bytes.is_ascii() {
                ContentTransferEncoding::SevenBit
            } else {
                ContentTransferEncoding::EightBit
            };
            // Safe: CRLF line ends, every line under 998 octets, no NUL or bare CR.
            Body::dangerous_pre_encoded(bytes, encoding)
        }
        None => Body::new(s.to_string()),
    }
}

/// `s` with CRLF line ends and long lines broken at a space (which HTML and text read as the
/// same whitespace); control characters other than tab become spaces. `None` when a line
/// cannot be broken below the limit.
fn wire_lines(s: &str) -> Option<Vec<u8>> {
    // One pass without early exit, which the compiler vectorises: most bodies are clean.
    let unclean = s
        .bytes()
        .fold(false, |acc, b| acc | (b < 0x20 && b != b'\t' && b != b'\n'));
    let mut out = Vec::with_capacity(s.len() + s.len() / 16);
    for line in s.split('\n') {
        let line = line.strip_suffix('\r').unwrap_or(line);
        let mut rest = line;
        while rest.len() > MAX_LINE {
            let mut cut = MAX_LINE;
            while !rest.is_char_boundary(cut) {
                cut -= 1;
            }
            let space = rest[..cut].rfind(' ').filter(|&i| i > 0)?;
            push_clean(&mut out, &rest[..space], unclean);
            out.extend_from_slice(b"\r\n");
            rest = &rest[space + 1..];
        }
        push_clean(&mut out, rest, unclean);
        out.extend_from_slice(b"\r\n");
    }
    // `split` yields one line after a final newline: drop its CRLF.
    out.truncate(out.len() - 2);
    Some(out)
}

fn push_clean(out: &mut Vec<u8>, s: &str, unclean: bool) {
    if unclean {
        out.extend(
            s.bytes()
                .map(|b| if b < 0x20 && b != b'\t' { b' ' } else { b }),
        );
    } else {
        out.extend_from_slice(s.as_bytes());
    }
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
    fn long_lines_are_broken_at_spaces_below_the_smtp_limit() {
        let line = "word ".repeat(1000);
        let out = String::from_utf8(wire_lines(&format!("{line}\nshort\n")).unwrap()).unwrap();
        assert!(
            out.split("\r\n").all(|l| l.len() <= MAX_LINE),
            "a line is too long"
        );
        assert_eq!(out.split_whitespace().count(), 1001);
        assert!(out.ends_with("short\r\n"));
        let persian = "سلام ".repeat(400);
        let out = wire_lines(&persian).unwrap();
        assert!(out.split(|&b| b == b'\n').all(|l| l.len() <= MAX_LINE + 1));
        assert_eq!(wire_lines(&"x".repeat(2000)), None);
    }

    #[test]
    fn line_ends_become_crlf_and_control_characters_spaces() {
        assert_eq!(wire_lines("a\nb\r\nc").unwrap(), b"a\r\nb\r\nc");
        assert_eq!(wire_lines("a\rb\0c\td").unwrap(), b"a b c\td");
    }

    #[test]
    fn subjects_are_one_line_and_cut_with_an_ellipsis() {
        assert_eq!(
            clean_subject("Thanks,\r\nBcc: x@evil.test"),
            "Thanks, Bcc: x@evil.test"
        );
        let long = clean_subject(&"Sara".repeat(10_000));
        assert_eq!(long.chars().count(), MAX_SUBJECT_CHARS);
        assert!(long.ends_with('…'));
        assert_eq!(clean_subject("  short  "), "short");
    }

    #[test]
    fn message_ids_must_be_angle_bracketed_and_single_line() {
        assert!(valid_message_id("<abc@shop.example>"));
        assert!(!valid_message_id("abc@shop.example"));
        assert!(!valid_message_id("<abc@shop.example>\r\nBcc: x"));
    }
}
