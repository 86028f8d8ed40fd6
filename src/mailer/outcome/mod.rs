//! What became of one send attempt, decided by a pure function of the SMTP reply.
//!
//! The policy (which replies retry, which fail, which suppress the address) lives here
//! and nowhere else; the transports only report where in the dialogue a reply came from
//! and what it said. Dispatch turns the outcome into a delivery status, a retry time or
//! a suppression.

use std::fmt;

/// The result of one attempt to hand an email to the next hop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendOutcome {
    /// The server accepted responsibility for the message (2xx after the data).
    Sent,
    /// Try again later: 4xx, network trouble, timeouts, a mailbox that is full, or a
    /// session problem (TLS, AUTH, greeting) that says nothing about this email.
    Retry {
        reason: String,
        code: Option<u16>,
        /// RFC 3463 enhanced status code from the reply text, like `4.2.2`.
        enhanced: Option<String>,
        /// Why the retry: the server asked us to slow down, could not be reached, or
        /// something else went wrong with this attempt.
        kind: RetryKind,
    },
    /// Never try this email again.
    Failed {
        reason: String,
        code: Option<u16>,
        enhanced: Option<String>,
        /// The recipient address does not exist (5.1.x): suppress it for every campaign.
        hard_bounce: bool,
    },
}

impl SendOutcome {
    /// A retry for a failure without an SMTP reply (I/O, timeout, refused connection).
    pub fn retry(reason: impl Into<String>) -> Self {
        SendOutcome::Retry {
            reason: reason.into(),
            code: None,
            enhanced: None,
            kind: RetryKind::Other,
        }
    }

    /// A retry because the server could not be reached at all (refused, timed out before
    /// the greeting): says something about the transport, nothing about this email.
    pub fn unreachable(reason: impl Into<String>) -> Self {
        SendOutcome::Retry {
            reason: reason.into(),
            code: None,
            enhanced: None,
            kind: RetryKind::Unreachable,
        }
    }

    /// A permanent failure without an SMTP reply (a malformed address, a bad file name).
    pub fn failed(reason: impl Into<String>) -> Self {
        SendOutcome::Failed {
            reason: reason.into(),
            code: None,
            enhanced: None,
            hard_bounce: false,
        }
    }

    pub fn is_sent(&self) -> bool {
        matches!(self, SendOutcome::Sent)
    }

    pub fn is_retry(&self) -> bool {
        matches!(self, SendOutcome::Retry { .. })
    }

    /// True when the server asked us to slow down: the email goes back without spending
    /// an attempt, and the transport's rate goes down.
    pub fn is_throttle(&self) -> bool {
        matches!(
            self,
            SendOutcome::Retry {
                kind: RetryKind::Throttle,
                ..
            }
        )
    }

    /// True when the transport could not be reached (the failover signal).
    pub fn is_unreachable(&self) -> bool {
        matches!(
            self,
            SendOutcome::Retry {
                kind: RetryKind::Unreachable,
                ..
            }
        )
    }

    /// True when the recipient address must be suppressed.
    pub fn is_hard_bounce(&self) -> bool {
        matches!(
            self,
            SendOutcome::Failed {
                hard_bounce: true,
                ..
            }
        )
    }

    /// The basic SMTP reply code behind a retry or failure, if a server answered.
    pub fn code(&self) -> Option<u16> {
        match self {
            SendOutcome::Sent => None,
            SendOutcome::Retry { code, .. } | SendOutcome::Failed { code, .. } => *code,
        }
    }

    /// The enhanced status code behind a retry or failure, like `5.1.1`.
    pub fn enhanced(&self) -> Option<&str> {
        match self {
            SendOutcome::Sent => None,
            SendOutcome::Retry { enhanced, .. } | SendOutcome::Failed { enhanced, .. } => {
                enhanced.as_deref()
            }
        }
    }
}

/// For `last_error` columns and log lines: `550 5.1.1 RCPT TO: <x>: Recipient address rejected`.
impl fmt::Display for SendOutcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SendOutcome::Sent => f.write_str("sent"),
            SendOutcome::Retry { reason, code, .. } | SendOutcome::Failed { reason, code, .. } => {
                if let Some(code) = code {
                    write!(f, "{code} ")?;
                }
                f.write_str(reason)
            }
        }
    }
}

/// Why an attempt is to be retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryKind {
    /// "Slow down": the server limits our rate or connections. Not the email's fault.
    Throttle,
    /// No server answered (connection refused, timed out before the greeting).
    Unreachable,
    /// Any other temporary failure: spends one of the email's attempts.
    Other,
}

/// Where in the SMTP dialogue a reply was received.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Greeting, EHLO, STARTTLS, AUTH: the session, not this email.
    Session,
    /// `MAIL FROM`: about our sender address.
    MailFrom,
    /// `RCPT TO`: about the recipient.
    RcptTo,
    /// The `DATA` command itself.
    Data,
    /// The reply after the final `.`: about the message as a whole.
    Message,
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Stage::Session => "session",
            Stage::MailFrom => "MAIL FROM",
            Stage::RcptTo => "RCPT TO",
            Stage::Data => "DATA",
            Stage::Message => "end of data",
        })
    }
}

/// An RFC 3463 enhanced status code, `class.subject.detail`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EnhancedCode {
    pub class: u8,
    pub subject: u16,
    pub detail: u16,
}

impl fmt::Display for EnhancedCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.class, self.subject, self.detail)
    }
}

/// Finds the enhanced code at the start of a reply text. Accepts the text with or
/// without the basic code in front (`550 5.1.1 …`, `550-5.1.1 …`, `5.1.1 …`), because
/// lettre hands over only the text after the code and other callers may pass whole lines.
pub fn parse_enhanced(text: &str) -> Option<EnhancedCode> {
    let mut rest = text.trim_start();
    let bytes = rest.as_bytes();
    if bytes.len() >= 4
        && bytes[..3].iter().all(u8::is_ascii_digit)
        && matches!(bytes[3], b' ' | b'-')
    {
        rest = &rest[4..];
    }
    let token = rest.split_whitespace().next()?;
    let mut parts = token.split('.');
    let class = parts.next()?;
    let subject = parts.next()?;
    let detail = parts.next()?;
    if parts.next().is_some() {
        return None;
    }
    let number = |s: &str, max_len: usize| {
        (!s.is_empty() && s.len() <= max_len && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse::<u16>().ok())
            .flatten()
    };
    let class = number(class, 1)?;
    if !matches!(class, 2 | 4 | 5) {
        return None;
    }
    Some(EnhancedCode {
        class: class as u8,
        subject: number(subject, 3)?,
        detail: number(detail, 3)?,
    })
}

/// True when the server ends the session with this reply (RFC 5321 §3.8: 421 means the
/// service is closing the channel); the sender must reconnect before the next email.
pub fn closes_connection(code: u16) -> bool {
    code == 421
}

/// Classifies a server reply.
///
/// - 2xx → sent; 4xx → retry; 5xx → failed now.
/// - Mailbox full (x.2.2, or a bare 552 to RCPT or the data, which RFC 5321 §4.5.3.1.10
///   says to treat as temporary) → retry even on 5xx: the mailbox exists and will drain.
/// - 5.1.x to RCPT or the data → hard bounce: the address does not exist. Not for 5.1.7
///   and 5.1.8, which are about *our* sender address, and not for `MAIL FROM` replies.
///   A 5xx without an enhanced code is not a hard bounce: 550 is also used for spam and
///   policy blocks, and suppressing a real customer costs more than one failed email.
/// - Any reply during the session set-up (greeting, EHLO, STARTTLS, AUTH) → retry: it is
///   about our connection or credentials, never about this email.
pub fn classify_reply(stage: Stage, code: u16, text: &str) -> SendOutcome {
    let enhanced = parse_enhanced(text);
    let reason = format!("{stage}: {}", text.trim());
    let enhanced_text = enhanced.map(|e| e.to_string());
    let kind = if is_throttle(code, enhanced, text) {
        RetryKind::Throttle
    } else {
        RetryKind::Other
    };
    let retry = |reason: String| SendOutcome::Retry {
        reason,
        code: Some(code),
        enhanced: enhanced_text.clone(),
        kind,
    };
    match code {
        200..=299 if stage == Stage::Message => SendOutcome::Sent,
        _ if stage == Stage::Session => retry(reason),
        400..=499 => retry(reason),
        500..=599 if is_mailbox_full(stage, code, enhanced) => retry(reason),
        500..=599 => SendOutcome::Failed {
            reason,
            code: Some(code),
            enhanced: enhanced_text.clone(),
            hard_bounce: is_hard_bounce(stage, enhanced),
        },
        _ => retry(format!("{stage}: unexpected reply: {}", text.trim())),
    }
}

/// True when a reply means "slow down" rather than "this email has a problem":
/// - 421: the service closes the channel, usually for too many connections or messages;
/// - 450, 451 and 454 with an enhanced code 4.7.x (policy: rate, connection limits), or
///   with rate / too-many / throttling wording (`450 Too many requests`, SES's
///   `454 Throttling failure: Maximum sending rate exceeded`).
///
/// Greylisting (`451 4.7.1 Greylisted`) is not: it is about one recipient domain's
/// first contact, and slowing the whole transport would not help it.
pub fn is_throttle(code: u16, enhanced: Option<EnhancedCode>, text: &str) -> bool {
    let text = text.to_ascii_lowercase();
    if text.contains("greylist") || text.contains("graylist") {
        return false;
    }
    let policy = enhanced.is_some_and(|e| e.class == 4 && e.subject == 7);
    let worded = [
        "throttl",
        "rate limit",
        "rate exceeded",
        "sending rate",
        "too many",
        "slow down",
    ]
    .iter()
    .any(|w| text.contains(w));
    match code {
        421 => true,
        450 | 451 | 454 => policy || worded,
        _ => false,
    }
}

fn is_mailbox_full(stage: Stage, code: u16, enhanced: Option<EnhancedCode>) -> bool {
    match enhanced {
        Some(e) => e.subject == 2 && e.detail == 2,
        None => code == 552 && matches!(stage, Stage::RcptTo | Stage::Message),
    }
}

fn is_hard_bounce(stage: Stage, enhanced: Option<EnhancedCode>) -> bool {
    let about_recipient = matches!(stage, Stage::RcptTo | Stage::Data | Stage::Message);
    let sender_address_codes = [7, 8];
    match enhanced {
        Some(e) => {
            about_recipient
                && e.class == 5
                && e.subject == 1
                && !sender_address_codes.contains(&e.detail)
        }
        None => false,
    }
}

#[cfg(test)]
mod tests;
