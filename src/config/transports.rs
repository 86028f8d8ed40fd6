//! `[[transports]]`, `[sending]` and `[[domain_limits]]`: the relays mail leaves through,
//! which one marketing and service emails use, when a relay that cannot be reached hands
//! its emails to the next, and how fast one recipient domain may be sent to
//! (docs/sending.md). Without `[[transports]]`, the `[smtp]` table is the one transport,
//! named `default`, exactly as before.

use super::{Config, Duration, SecretUrl};
use serde::Deserialize;

/// The name `[smtp]` goes by when there is no `[[transports]]`.
pub const DEFAULT_TRANSPORT: &str = "default";
/// The password variable of `[smtp]` (its URL names a user but no password).
pub const SMTP_PASSWORD_ENV: &str = "RAPPORT_SMTP_PASSWORD";

/// One `[[transports]]` entry.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransportConfig {
    pub name: String,
    /// As `smtp.url`; the password from the URL or `RAPPORT_TRANSPORT_<NAME>_PASSWORD`.
    pub url: SecretUrl,
    #[serde(default = "default_pool_size")]
    pub pool_size: usize,
    /// Emails per second across this transport's workers; 0 = unlimited.
    #[serde(default)]
    pub rate_per_second: u32,
    /// Connecting, and each SMTP command's reply (the body's reply may take 2 minutes).
    pub timeout: Option<Duration>,
    /// Overrides `[sending] failover_after` for this transport.
    pub failover_after: Option<Duration>,
}

fn default_pool_size() -> usize {
    8
}

/// `[sending]`: which transport marketing and service emails use by default, and failover.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SendingConfig {
    /// Transport of marketing campaigns without `transport = "…"`; unset: the first.
    pub marketing: Option<String>,
    /// Transport of service campaigns (complaint follow-up, consent confirmation) without
    /// `transport = "…"`; unset: the first.
    pub service: Option<String>,
    /// A transport refused or timed out for this long hands its emails to the next one.
    pub failover_after: Duration,
}

impl Default for SendingConfig {
    fn default() -> Self {
        SendingConfig {
            marketing: None,
            service: None,
            failover_after: Duration::from_secs(30),
        }
    }
}

/// One `[[domain_limits]]` entry: at most `rate` emails a second to addresses at `domain`,
/// across the process and every transport.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DomainLimit {
    pub domain: String,
    pub rate: u32,
}

/// A transport as the dispatcher builds it, whichever table it came from.
#[derive(Debug, Clone)]
pub struct TransportSpec {
    pub name: String,
    pub url: SecretUrl,
    /// Where the password comes from when the URL names a user without one.
    pub password_env: String,
    pub pool_size: usize,
    pub rate_per_second: u32,
    /// None: the SMTP client's own timeouts (what `[smtp]` has always used).
    pub timeout: Option<std::time::Duration>,
    pub failover_after: std::time::Duration,
}

/// The transports in file order, and the index of the marketing and the service default.
#[derive(Debug, Clone)]
pub struct TransportPlan {
    pub transports: Vec<TransportSpec>,
    pub marketing: usize,
    pub service: usize,
}

impl TransportPlan {
    /// The index of the transport called `name`.
    pub fn index(&self, name: &str) -> Option<usize> {
        self.transports.iter().position(|t| t.name == name)
    }

    /// The names, for messages: `"relay", "backup"`.
    pub fn names(&self) -> String {
        let quoted: Vec<String> = self
            .transports
            .iter()
            .map(|t| format!("\"{}\"", t.name))
            .collect();
        quoted.join(", ")
    }
}

/// `RAPPORT_TRANSPORT_<NAME>_PASSWORD`, the name upper-cased with `-` as `_`.
pub fn password_env(name: &str) -> String {
    format!(
        "RAPPORT_TRANSPORT_{}_PASSWORD",
        name.to_ascii_uppercase().replace('-', "_")
    )
}

impl Config {
    /// The transports to build, checked: names present, unique and plain, `[sending]`
    /// naming known ones, domain limits well formed. The error is the message to show.
    pub fn transport_plan(&self) -> Result<TransportPlan, String> {
        let sending = &self.sending;
        let transports: Vec<TransportSpec> = if self.transports.is_empty() {
            vec![TransportSpec {
                name: DEFAULT_TRANSPORT.into(),
                url: self.smtp.url.clone(),
                password_env: SMTP_PASSWORD_ENV.into(),
                pool_size: self.smtp.pool_size,
                rate_per_second: self.smtp.rate_per_second,
                // `[smtp] timeout` was parsed and never applied before: a relay that
                // accepted the connection and never greeted held a worker 60 s.
                timeout: Some(self.smtp.timeout.std()),
                failover_after: sending.failover_after.std(),
            }]
        } else {
            self.transports
                .iter()
                .map(|t| TransportSpec {
                    name: t.name.clone(),
                    url: t.url.clone(),
                    password_env: password_env(&t.name),
                    pool_size: t.pool_size,
                    rate_per_second: t.rate_per_second,
                    timeout: t.timeout.map(Duration::std),
                    failover_after: t.failover_after.unwrap_or(sending.failover_after).std(),
                })
                .collect()
        };
        for (i, t) in transports.iter().enumerate() {
            let plain = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
            if t.name.is_empty() || !t.name.chars().all(plain) {
                return Err(format!(
                    "[[transports]] entry {}: name \"{}\" must be letters, digits, `-` or `_` (it names RAPPORT_TRANSPORT_<NAME>_PASSWORD and the metrics)",
                    i + 1,
                    t.name
                ));
            }
            if transports[..i].iter().any(|o| o.name == t.name) {
                return Err(format!(
                    "[[transports]] entry {}: the name \"{}\" is used twice",
                    i + 1,
                    t.name
                ));
            }
            if t.pool_size == 0 {
                return Err(format!(
                    "[[transports]] \"{}\": pool_size must be at least 1",
                    t.name
                ));
            }
        }
        let mut plan = TransportPlan {
            transports,
            marketing: 0,
            service: 0,
        };
        let pick = |key: &str, name: &Option<String>| match name {
            None => Ok(0),
            Some(n) => plan.index(n).ok_or_else(|| {
                format!(
                    "[sending] {key} = \"{n}\" names no transport: the transports are {}",
                    plan.names()
                )
            }),
        };
        let (marketing, service) = (
            pick("marketing", &sending.marketing)?,
            pick("service", &sending.service)?,
        );
        plan.marketing = marketing;
        plan.service = service;
        self.domain_limit_problem().map_or(Ok(plan), Err)
    }

    fn domain_limit_problem(&self) -> Option<String> {
        for (i, l) in self.domain_limits.iter().enumerate() {
            let domain = l.domain.trim();
            if domain.is_empty() || domain.contains('@') || domain != domain.to_ascii_lowercase() {
                return Some(format!(
                    "[[domain_limits]] entry {}: domain \"{}\" must be a lower-case domain like \"gmail.com\"",
                    i + 1,
                    l.domain
                ));
            }
            if l.rate == 0 {
                return Some(format!(
                    "[[domain_limits]] \"{domain}\": rate must be at least 1 email a second"
                ));
            }
            if self.domain_limits[..i].iter().any(|o| o.domain == l.domain) {
                return Some(format!("[[domain_limits]] \"{domain}\" is listed twice"));
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use crate::config::load_str;

    fn plan(toml: &str) -> Result<super::TransportPlan, String> {
        load_str("t.toml", toml, &[])
            .expect("parses")
            .transport_plan()
    }

    #[test]
    fn without_transports_the_smtp_table_is_the_one_transport_named_default() {
        let p = plan("[smtp]\nurl = \"smtp://relay:25\"\npool_size = 3\nrate_per_second = 9\n")
            .unwrap();
        assert_eq!(p.transports.len(), 1);
        let t = &p.transports[0];
        assert_eq!(
            (
                t.name.as_str(),
                t.url.expose(),
                t.pool_size,
                t.rate_per_second
            ),
            ("default", "smtp://relay:25", 3, 9)
        );
        assert_eq!(t.password_env, "RAPPORT_SMTP_PASSWORD");
        assert_eq!(t.failover_after, std::time::Duration::from_secs(30));
        assert_eq!((p.marketing, p.service), (0, 0));
    }

    const TWO: &str = "[sending]\nmarketing = \"bulk\"\nservice = \"tx\"\nfailover_after = \"10s\"\n\
        [[transports]]\nname = \"tx\"\nurl = \"smtp://a:25\"\nfailover_after = \"5s\"\ntimeout = \"3s\"\n\
        [[transports]]\nname = \"bulk\"\nurl = \"smtp://b:25\"\npool_size = 2\nrate_per_second = 50\n";

    #[test]
    fn transports_keep_file_order_and_sending_picks_the_defaults_by_name() {
        let p = plan(TWO).unwrap();
        let names: Vec<&str> = p.transports.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["tx", "bulk"]);
        assert_eq!((p.marketing, p.service), (1, 0));
        assert_eq!(p.transports[0].failover_after.as_secs(), 5);
        assert_eq!(p.transports[1].failover_after.as_secs(), 10);
        assert_eq!(p.transports[0].timeout.map(|d| d.as_secs()), Some(3));
        assert_eq!(p.transports[0].pool_size, 8);
        assert_eq!(
            p.transports[1].password_env,
            "RAPPORT_TRANSPORT_BULK_PASSWORD"
        );
        assert_eq!(
            super::password_env("eu-relay"),
            "RAPPORT_TRANSPORT_EU_RELAY_PASSWORD"
        );
    }

    #[test]
    fn an_unknown_sending_transport_is_an_error_naming_the_transports() {
        let e = plan(&TWO.replace("service = \"tx\"", "service = \"txn\"")).unwrap_err();
        assert_eq!(
            e,
            "[sending] service = \"txn\" names no transport: the transports are \"tx\", \"bulk\""
        );
    }

    #[test]
    fn duplicate_or_odd_transport_names_are_errors() {
        let e = plan(&TWO.replace("name = \"bulk\"", "name = \"tx\"")).unwrap_err();
        assert!(e.contains("\"tx\" is used twice"), "{e}");
        let e = plan(&TWO.replace("name = \"bulk\"", "name = \"bulk mail\"")).unwrap_err();
        assert!(e.contains("letters, digits"), "{e}");
    }

    #[test]
    fn domain_limits_need_a_plain_domain_and_a_rate() {
        let ok = "[[domain_limits]]\ndomain = \"gmail.com\"\nrate = 20\n";
        assert!(plan(ok).is_ok());
        let e = plan(&ok.replace("20", "0")).unwrap_err();
        assert!(e.contains("rate must be at least 1"), "{e}");
        let e = plan(&ok.replace("gmail.com", "Gmail.com")).unwrap_err();
        assert!(e.contains("lower-case domain"), "{e}");
        let e = plan(&format!("{ok}{ok}")).unwrap_err();
        assert!(e.contains("listed twice"), "{e}");
    }

    #[test]
    fn the_commented_example_in_the_shipped_configuration_is_valid() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/config/rapport.toml");
        let shipped = std::fs::read_to_string(path).expect("shipped config");
        assert_eq!(plan(&shipped).unwrap().transports[0].name, "default");
        // Uncomment the tables and keys of the example (not the prose around them).
        let start = shipped.find("# [[transports]]").expect("the example");
        let end = shipped[start..].find("\n\n").expect("its end") + start;
        let example: String = shipped[start..end]
            .lines()
            .map(|l| match l.strip_prefix("# ") {
                Some(k) if k.starts_with('[') || k.split_once(" = ").is_some() => k,
                _ => "",
            })
            .collect::<Vec<_>>()
            .join("\n");
        let p = plan(&example).unwrap();
        let names: Vec<&str> = p.transports.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["transactional", "bulk"]);
        assert_eq!((p.marketing, p.service), (1, 0));
    }

    #[test]
    fn unknown_keys_in_a_transport_are_errors_with_their_line() {
        let e = load_str(
            "t.toml",
            "[[transports]]\nname = \"a\"\nurl = \"smtp://a:25\"\nrate = 5\n",
            &[],
        )
        .unwrap_err()
        .to_string();
        assert!(e.starts_with("t.toml:4:1: unknown field `rate`"), "{e}");
    }
}
