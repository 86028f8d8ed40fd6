//! Why an address is on the suppression list. The list stores the reason as text — operators
//! read it, and databases written by earlier versions hold it — so the writers build it here,
//! in one place, and readers classify it here by its known prefixes instead of searching it
//! for words (a provider's free-text detail such as "unsubscribed after a bounce" must not
//! turn an unsubscribe into a bounce).

use std::fmt;

/// What a suppression means for the planner and for `explain`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Suppression {
    Unsubscribed,
    /// A hard bounce (the mailbox does not exist).
    Bounced,
    /// The recipient reported an email as spam.
    Complained,
    /// The address was erased and came back (an import, the API, a sign-up): nothing is sent
    /// to it but the confirmation of double opt-in, whose click lifts this suppression.
    ErasedBefore,
}

impl Suppression {
    pub fn as_str(self) -> &'static str {
        match self {
            Suppression::Unsubscribed => "unsubscribed",
            Suppression::Bounced => "bounced",
            Suppression::Complained => "complained",
            Suppression::ErasedBefore => "erased before, needs new consent",
        }
    }

    /// The kind of a stored reason. Reasons rapport writes start with one of the prefixes
    /// below ([`reason`]); anything else (a reason an operator typed, or from a version that
    /// wrote other words) is an unsubscribe: the address stays unmailed either way, and
    /// calling it a bounce or a complaint would claim something nobody recorded.
    pub fn of_reason(text: &str) -> Suppression {
        let head = text.split(':').next().unwrap_or(text).trim();
        match head {
            "bounced" | "hard_bounce" => Suppression::Bounced,
            "complained" | "spam_complaint" => Suppression::Complained,
            // `erased` alone is the keyed hash's own entry, never a mailable address.
            "erased" if text != reason::ERASED => Suppression::ErasedBefore,
            _ => Suppression::Unsubscribed,
        }
    }
}

impl fmt::Display for Suppression {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The reason texts rapport writes, exactly as earlier versions wrote them.
pub mod reason {
    /// An `unsubscribe` event (imported, or from the API).
    pub const UNSUBSCRIBED: &str = "unsubscribed";
    /// The unsubscribe page or the one-click List-Unsubscribe POST.
    pub const UNSUBSCRIBE_REQUEST: &str = "unsubscribe";
    /// A `spam_complaint` event.
    pub const SPAM_REPORT: &str = "complained: spam report";
    /// A `bounce` event with `type = hard`.
    pub const HARD_BOUNCE_EVENT: &str = "bounced: hard";

    /// Erasure (docs/privacy.md): on the keyed hash of the erased address, and on an
    /// address imported again after its erasure, which needs new consent to be mailed.
    pub const ERASED: &str = "erased";
    /// An address imported or created again after it was erased.
    pub const ERASED_BEFORE: &str = "erased: imported again after erasure; needs new consent";

    /// The relay refused the address for good at send time (SMTP 5xx), with its enhanced
    /// status code when it gave one.
    pub fn smtp_bounce(enhanced_code: Option<&str>) -> String {
        format!("bounced: {}", enhanced_code.unwrap_or("hard bounce"))
    }

    /// `webhooks.soft_bounce_limit` soft bounces without a delivery, open or click between.
    pub fn soft_bounce_limit(bounces: u64) -> String {
        format!("bounced: {bounces} soft bounces in a row")
    }

    /// What a provider's webhook reported.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub enum Reported {
        HardBounce,
        SpamComplaint,
        Unsubscribe,
    }

    /// A provider's report: `hard_bounce`, `spam_complaint` or `unsubscribe`, then the
    /// provider's enhanced code and its own words (control characters dropped, at most 200
    /// characters of them).
    pub fn provider(what: Reported, enhanced_code: Option<&str>, detail: Option<&str>) -> String {
        let mut reason = match what {
            Reported::HardBounce => "hard_bounce",
            Reported::SpamComplaint => "spam_complaint",
            Reported::Unsubscribe => "unsubscribe",
        }
        .to_string();
        if let Some(code) = enhanced_code {
            reason.push_str(": ");
            reason.push_str(code);
        }
        if let Some(r) = detail {
            reason.push_str(if enhanced_code.is_some() { " " } else { ": " });
            reason.extend(r.chars().filter(|c| !c.is_control()).take(200));
        }
        reason
    }
}

#[cfg(test)]
mod tests {
    use super::Suppression;
    use super::reason::{self, Reported};

    #[test]
    fn every_reason_rapport_writes_reads_back_as_its_kind() {
        let cases = [
            (reason::UNSUBSCRIBED.to_string(), Suppression::Unsubscribed),
            (
                reason::UNSUBSCRIBE_REQUEST.to_string(),
                Suppression::Unsubscribed,
            ),
            (reason::SPAM_REPORT.to_string(), Suppression::Complained),
            (reason::HARD_BOUNCE_EVENT.to_string(), Suppression::Bounced),
            (reason::smtp_bounce(Some("5.1.1")), Suppression::Bounced),
            (reason::smtp_bounce(None), Suppression::Bounced),
            (reason::soft_bounce_limit(3), Suppression::Bounced),
            (
                reason::provider(Reported::HardBounce, Some("5.1.1"), Some("no such user")),
                Suppression::Bounced,
            ),
            (
                reason::provider(Reported::SpamComplaint, None, None),
                Suppression::Complained,
            ),
            (
                reason::provider(Reported::Unsubscribe, None, Some("list-unsubscribe")),
                Suppression::Unsubscribed,
            ),
            (reason::ERASED_BEFORE.to_string(), Suppression::ErasedBefore),
            // The keyed hash's own entry is not an address that may come back.
            (reason::ERASED.to_string(), Suppression::Unsubscribed),
        ];
        for (text, kind) in cases {
            assert_eq!(Suppression::of_reason(&text), kind, "{text}");
        }
    }

    #[test]
    fn a_providers_free_text_does_not_change_the_kind() {
        // Searching the text for "bounce" called this unsubscribe a bounce.
        let text = reason::provider(
            Reported::Unsubscribe,
            None,
            Some("user unsubscribed after a bounce notice"),
        );
        assert_eq!(Suppression::of_reason(&text), Suppression::Unsubscribed);
        let text = reason::provider(Reported::HardBounce, None, Some("spam filter said no"));
        assert_eq!(Suppression::of_reason(&text), Suppression::Bounced);
    }

    #[test]
    fn an_unknown_reason_is_an_unsubscribe() {
        assert_eq!(
            Suppression::of_reason("manual: asked by phone"),
            Suppression::Unsubscribed
        );
    }

    #[test]
    fn provider_reasons_are_written_as_before() {
        assert_eq!(
            reason::provider(Reported::HardBounce, Some("5.1.1"), Some("bad\u{7}mailbox")),
            "hard_bounce: 5.1.1 badmailbox"
        );
        assert_eq!(
            reason::provider(Reported::SpamComplaint, None, Some("abuse")),
            "spam_complaint: abuse"
        );
        assert_eq!(
            reason::provider(Reported::Unsubscribe, None, None),
            "unsubscribe"
        );
    }
}
