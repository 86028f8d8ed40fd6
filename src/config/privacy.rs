//! `[privacy]`: how long raw events are kept, and the key of erased addresses' hashes.

use super::{Config, Duration};
use secrecy::SecretString;
use serde::Deserialize;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PrivacyConfig {
    /// Raw events older than this are deleted by the daemon, in small batches. None (the
    /// default): kept. Off by default because deleting is irreversible and how long to keep
    /// behaviour is the shop's decision to write down, not ours to make on an upgrade.
    pub event_retention: Option<Duration>,
    /// Keys the hashes of erased addresses. Unset: `security.secret` (with a tag of its own).
    /// Set it before rotating `security.secret`, or earlier erasures stop being recognised.
    pub erasure_secret: Option<SecretString>,
}

impl Config {
    /// The key erased addresses are hashed with (`privacy.erasure_secret`, else
    /// `security.secret`).
    pub fn erasure_secret(&self) -> &SecretString {
        self.privacy
            .erasure_secret
            .as_ref()
            .unwrap_or(&self.security.secret)
    }

    /// `privacy.event_retention` when it is shorter than an evidence window of `[levels]`:
    /// deleting events a level still reads would make customers fall a level for nothing.
    pub fn retention_problem(&self) -> Option<String> {
        let kept = self.privacy.event_retention?;
        let l = &self.levels;
        let (name, window) = [
            ("levels.reactive_window", l.reactive_window),
            ("levels.accountable_window", l.accountable_window),
            (
                "levels.proactive_engagement_window",
                l.proactive_engagement_window,
            ),
            (
                "levels.partnership_referral_window",
                l.partnership_referral_window,
            ),
        ]
        .into_iter()
        .max_by_key(|(_, w)| *w)?;
        (kept < window).then(|| {
            format!(
                "privacy.event_retention = \"{}\" is shorter than {name} = \"{}\": \
                 events the levels read would be deleted; keep them at least that long",
                days(kept),
                days(window)
            )
        })
    }
}

/// `730d` rather than humantime's months, which are not what anyone wrote.
fn days(d: Duration) -> String {
    let secs = d.std().as_secs();
    if secs.is_multiple_of(86_400) {
        format!("{}d", secs / 86_400)
    } else {
        d.to_string()
    }
}

#[cfg(test)]
mod tests {
    use crate::config::load_str;
    use secrecy::ExposeSecret;

    #[test]
    fn retention_is_off_unless_set_and_the_erasure_key_falls_back_to_the_secret() {
        let c = load_str("t.toml", "[security]\nsecret = \"s\"\n", &[]).unwrap();
        assert_eq!(c.privacy.event_retention, None);
        assert_eq!(c.erasure_secret().expose_secret(), "s");
        let c = load_str(
            "t.toml",
            "[privacy]\nevent_retention = \"730d\"\nerasure_secret = \"e\"\n",
            &[],
        )
        .unwrap();
        assert_eq!(
            c.privacy.event_retention.unwrap().std().as_secs(),
            730 * 86_400
        );
        assert_eq!(c.erasure_secret().expose_secret(), "e");
        assert_eq!(c.retention_problem(), None);
    }

    #[test]
    fn a_retention_shorter_than_a_levels_window_is_refused_naming_both_keys() {
        let c = load_str("t.toml", "[privacy]\nevent_retention = \"200d\"\n", &[]).unwrap();
        let problem = c.retention_problem().expect("refused");
        assert!(
            problem.starts_with("privacy.event_retention = \"200d\" is shorter than levels.")
                && problem.contains("_window = \"365d\""),
            "{problem}"
        );
    }
}
