//! Machine opens and scanner clicks (docs/architecture.md): flagged, never dropped. Mail privacy proxies
//! fetch every image on delivery and security gateways follow every link, so these events say
//! nothing about the person; reports show human and total counts.

use chrono::{DateTime, TimeDelta, Utc};

/// An open this soon after the send is a proxy prefetching the images, not a reader.
pub const MACHINE_OPEN_WINDOW: TimeDelta = TimeDelta::seconds(5);

/// Lower-case fragments of user agents that fetch on behalf of a mailbox or a security
/// gateway rather than a person.
const MACHINE_AGENTS: &[&str] = &[
    "googleimageproxy", // Gmail image proxy
    "ggpht.com",        // Gmail image proxy (older form)
    "yahoomailproxy",   // Yahoo
    "ymailproxy",
    "outlook-ios",      // Outlook link previews
    "microsoft office", // Office link checks (Safe Links)
    "ms-office",
    "barracuda",
    "mimecast",
    "proofpoint",
    "symantec",
    "messagelabs",
    "trendmicro",
    "forcepoint",
    "fireeye",
    "cisco ironport",
    "sophos",
    "zscaler",
    "safelinks",
    "bingpreview",
    "linkexpander",
    "slackbot",
    "python-requests",
    "curl/",
    "wget/",
    "go-http-client",
    "headlesschrome",
    "phantomjs",
    "bot",
    "spider",
    "crawler",
    "scanner",
];

/// Whether the user agent is a known proxy, gateway or script. A missing user agent counts:
/// every real mail client and browser sends one.
pub fn machine_agent(user_agent: Option<&str>) -> bool {
    let Some(ua) = user_agent.map(str::trim).filter(|ua| !ua.is_empty()) else {
        return true;
    };
    // Apple Mail Privacy Protection fetches with a bare "Mozilla/5.0" and nothing else.
    ua.eq_ignore_ascii_case("mozilla/5.0") || scanner_agent(Some(ua))
}

/// Whether the user agent names a known proxy, gateway or script. Used alone for the
/// survey and partnership pages, where only a clear sign should discount an answer.
pub fn scanner_agent(user_agent: Option<&str>) -> bool {
    let Some(ua) = user_agent else {
        return false;
    };
    let ua = ua.to_ascii_lowercase();
    MACHINE_AGENTS.iter().any(|m| ua.contains(m))
}

/// Whether an open at `at` of an email sent at `sent_at` came too soon for a person.
pub fn early_open(sent_at: Option<DateTime<Utc>>, at: DateTime<Utc>) -> bool {
    sent_at.is_some_and(|sent| at - sent < MACHINE_OPEN_WINDOW)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proxies_and_scanners_are_machines_and_mail_clients_are_not() {
        for ua in [
            "Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)",
            "Mozilla/5.0",
            "YahooMailProxy; https://help.yahoo.com/kb/yahoo-mail-proxy-SLN28749.html",
            "Barracuda Sentinel (EE)",
            "Mimecast-URL-Protect",
            "",
        ] {
            assert!(machine_agent(Some(ua)), "{ua}");
        }
        assert!(machine_agent(None));
        for ua in [
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Thunderbird/128.0",
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36",
        ] {
            assert!(!machine_agent(Some(ua)), "{ua}");
        }
    }

    #[test]
    fn an_open_within_seconds_of_the_send_is_a_machine_open() {
        let sent: DateTime<Utc> = "2026-11-25T12:00:00Z".parse().unwrap();
        assert!(early_open(Some(sent), sent + TimeDelta::seconds(2)));
        assert!(!early_open(Some(sent), sent + TimeDelta::minutes(3)));
        assert!(!early_open(None, sent));
    }
}
