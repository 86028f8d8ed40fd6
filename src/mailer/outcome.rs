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
    let retry = |reason: String| SendOutcome::Retry {
        reason,
        code: Some(code),
        enhanced: enhanced_text.clone(),
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
mod tests {
    use super::*;

    #[test]
    fn accepted_message_is_sent() {
        assert_eq!(
            classify_reply(Stage::Message, 250, "2.0.0 Ok: queued as 1234"),
            SendOutcome::Sent
        );
    }

    #[test]
    fn hard_bounce_5_1_1_is_failed_and_marks_suppression() {
        let outcome = classify_reply(
            Stage::RcptTo,
            550,
            "5.1.1 <x@example.com>: Recipient address rejected",
        );
        assert!(outcome.is_hard_bounce());
        assert_eq!(outcome.code(), Some(550));
        assert_eq!(outcome.enhanced(), Some("5.1.1"));
    }

    #[test]
    fn unknown_domain_5_1_2_is_a_hard_bounce_too() {
        assert!(classify_reply(Stage::RcptTo, 550, "5.1.2 Host unknown").is_hard_bounce());
    }

    #[test]
    fn recipient_rejected_after_data_with_5_1_1_is_a_hard_bounce() {
        assert!(classify_reply(Stage::Message, 550, "5.1.1 No such user").is_hard_bounce());
    }

    #[test]
    fn sender_address_codes_are_failures_but_not_hard_bounces() {
        for text in [
            "5.1.7 Bad sender address syntax",
            "5.1.8 Bad sender's system address",
        ] {
            let outcome = classify_reply(Stage::RcptTo, 553, text);
            assert!(
                matches!(
                    outcome,
                    SendOutcome::Failed {
                        hard_bounce: false,
                        ..
                    }
                ),
                "{text}"
            );
        }
    }

    #[test]
    fn rejected_sender_fails_without_suppressing_the_recipient() {
        let outcome = classify_reply(Stage::MailFrom, 553, "5.1.1 sender rejected");
        assert!(matches!(
            outcome,
            SendOutcome::Failed {
                hard_bounce: false,
                ..
            }
        ));
    }

    #[test]
    fn mailbox_full_4_2_2_is_retried() {
        let outcome = classify_reply(Stage::RcptTo, 452, "4.2.2 Mailbox full");
        assert!(outcome.is_retry());
        assert_eq!(outcome.enhanced(), Some("4.2.2"));
    }

    #[test]
    fn mailbox_full_5_2_2_is_retried_even_though_it_is_5xx() {
        assert!(classify_reply(Stage::RcptTo, 552, "5.2.2 Mailbox full").is_retry());
        assert!(classify_reply(Stage::Message, 550, "5.2.2 Over quota").is_retry());
    }

    #[test]
    fn bare_552_to_rcpt_is_treated_as_mailbox_full() {
        assert!(classify_reply(Stage::RcptTo, 552, "Requested mail action aborted").is_retry());
    }

    #[test]
    fn message_too_big_5_3_4_fails_without_bounce() {
        let outcome = classify_reply(Stage::Message, 552, "5.3.4 Message too big");
        assert!(matches!(
            outcome,
            SendOutcome::Failed {
                hard_bounce: false,
                ..
            }
        ));
    }

    #[test]
    fn plain_550_without_enhanced_code_fails_but_does_not_suppress() {
        let outcome = classify_reply(Stage::RcptTo, 550, "Mailbox unavailable");
        assert!(matches!(
            outcome,
            SendOutcome::Failed {
                hard_bounce: false,
                enhanced: None,
                ..
            }
        ));
    }

    #[test]
    fn policy_rejection_5_7_1_fails_without_bounce() {
        let outcome = classify_reply(Stage::Message, 554, "5.7.1 Message rejected as spam");
        assert!(matches!(
            outcome,
            SendOutcome::Failed {
                hard_bounce: false,
                ..
            }
        ));
    }

    #[test]
    fn every_4xx_is_retried() {
        for code in [421, 450, 451, 452, 454] {
            assert!(
                classify_reply(Stage::RcptTo, code, "try later").is_retry(),
                "{code}"
            );
        }
    }

    #[test]
    fn service_closing_421_is_retried_and_closes_the_connection() {
        let outcome = classify_reply(Stage::Data, 421, "4.3.0 Service shutting down");
        assert!(outcome.is_retry());
        assert!(closes_connection(421));
        assert!(!closes_connection(450));
    }

    #[test]
    fn session_errors_retry_even_when_permanent() {
        // A 535 to AUTH means our credentials are wrong, not that this email is undeliverable.
        assert!(classify_reply(Stage::Session, 535, "5.7.8 Authentication failed").is_retry());
        assert!(classify_reply(Stage::Session, 554, "No SMTP service here").is_retry());
    }

    #[test]
    fn unexpected_codes_are_retried() {
        assert!(classify_reply(Stage::Message, 354, "go ahead").is_retry());
    }

    #[test]
    fn basic_code_decides_severity_when_enhanced_class_disagrees() {
        assert!(classify_reply(Stage::RcptTo, 450, "5.1.1 confused server").is_retry());
    }

    #[test]
    fn outcome_displays_code_and_reason_for_last_error() {
        let outcome = classify_reply(Stage::RcptTo, 550, "5.1.1 <x>: Recipient address rejected");
        assert_eq!(
            outcome.to_string(),
            "550 RCPT TO: 5.1.1 <x>: Recipient address rejected"
        );
    }

    #[test]
    fn enhanced_code_is_parsed_with_or_without_the_basic_code() {
        let expected = Some(EnhancedCode {
            class: 5,
            subject: 1,
            detail: 1,
        });
        assert_eq!(
            parse_enhanced("5.1.1 <x>: Recipient address rejected"),
            expected
        );
        assert_eq!(
            parse_enhanced("550 5.1.1 <x>: Recipient address rejected"),
            expected
        );
        assert_eq!(
            parse_enhanced("550-5.1.1 The email account does not exist"),
            expected
        );
        assert_eq!(
            parse_enhanced("4.2.2 Mailbox full").map(|e| e.to_string()),
            Some("4.2.2".to_owned())
        );
        assert_eq!(
            parse_enhanced("5.7.26 unauthenticated").map(|e| e.to_string()),
            Some("5.7.26".to_owned())
        );
    }

    #[test]
    fn text_without_enhanced_code_gives_none() {
        for text in [
            "",
            "Ok",
            "550 Mailbox unavailable",
            "1.2.3 bad class",
            "5.1 short",
            "5.1.1.1 long",
            "5.x.1 letters",
            "5.1234.1 too wide",
        ] {
            assert_eq!(parse_enhanced(text), None, "{text:?}");
        }
    }

    proptest::proptest! {
        #[test]
        fn parse_enhanced_never_panics(text in ".*") {
            let _ = parse_enhanced(&text);
        }

        #[test]
        fn classify_never_panics_and_5xx_is_never_sent(code in 0u16..1000, text in ".*") {
            for stage in [Stage::Session, Stage::MailFrom, Stage::RcptTo, Stage::Data, Stage::Message] {
                let outcome = classify_reply(stage, code, &text);
                if code >= 300 {
                    proptest::prop_assert!(!outcome.is_sent());
                }
            }
        }
    }
}
