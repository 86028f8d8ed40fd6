//! Classification rules, one behaviour per test.

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

#[test]
fn slow_down_replies_are_throttles() {
    let throttles = [
        (
            Stage::MailFrom,
            454,
            "Throttling failure: Maximum sending rate exceeded.",
        ),
        (Stage::RcptTo, 450, "Too many requests"),
        (Stage::Message, 451, "4.7.0 Temporary rate limit exceeded"),
        (Stage::RcptTo, 450, "4.7.1 Try again later"),
        (
            Stage::Session,
            421,
            "4.7.0 Too many connections from your host",
        ),
        (Stage::Data, 421, "Service closing transmission channel"),
    ];
    for (stage, code, text) in throttles {
        let outcome = classify_reply(stage, code, text);
        assert!(outcome.is_retry() && outcome.is_throttle(), "{code} {text}");
    }
}

#[test]
fn other_temporary_replies_are_not_throttles() {
    let others = [
        (Stage::RcptTo, 450, "4.2.1 Mailbox busy"),
        (Stage::RcptTo, 451, "4.3.0 Local error in processing"),
        (
            Stage::RcptTo,
            451,
            "4.7.1 Greylisted, please try again in 300 seconds",
        ),
        (Stage::RcptTo, 452, "4.5.3 Too many recipients"),
        (Stage::RcptTo, 452, "4.2.2 Mailbox full"),
        (Stage::Message, 554, "5.7.0 Rate of spam too high"),
    ];
    for (stage, code, text) in others {
        assert!(
            !classify_reply(stage, code, text).is_throttle(),
            "{code} {text}"
        );
    }
    assert!(!SendOutcome::retry("connection reset").is_throttle());
    assert!(SendOutcome::unreachable("connection refused").is_unreachable());
}
