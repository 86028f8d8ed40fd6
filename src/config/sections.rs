//! The typed sections of `config/rapport.toml`. Every struct denies unknown keys so that a
//! typo (`min_gapp`) is an error with its line, not a silently ignored setting.

use super::{Duration, QuietHours, RankBy, SecretUrl};
use crate::domain::{Level, Locale, Timezone};
use secrecy::SecretString;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::PathBuf;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseConfig {
    /// `sqlite://PATH` or `postgres://user@host/db`.
    pub url: SecretUrl,
    pub max_connections: u32,
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        DatabaseConfig {
            url: SecretUrl::new("sqlite://data/rapport.db"),
            max_connections: 8,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DefaultsConfig {
    /// Locale of customers imported without one.
    pub locale: Locale,
    /// Timezone of customers imported without one.
    pub timezone: Timezone,
}

impl Default for DefaultsConfig {
    fn default() -> Self {
        DefaultsConfig {
            locale: Locale::parse("en").expect("valid"),
            timezone: Timezone(chrono_tz::UTC),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PathsConfig {
    pub campaigns: PathBuf,
    /// Named segments campaigns may use (`[audience] segment = "NAME"`); may be absent.
    pub segments: PathBuf,
    pub templates: PathBuf,
}

impl Default for PathsConfig {
    fn default() -> Self {
        PathsConfig {
            campaigns: "config/campaigns".into(),
            segments: "config/segments".into(),
            templates: "templates".into(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SmtpConfig {
    /// `smtp://host:port`, `smtps://…`, `smtp://…?tls=starttls`, or `file://DIR`.
    pub url: SecretUrl,
    /// Sender workers, each with its own SMTP connection.
    pub pool_size: usize,
    /// Emails per second across all workers of this process; 0 = unlimited.
    pub rate_per_second: u32,
    pub max_attempts: u32,
    pub retry_schedule: Vec<Duration>,
    pub give_up_after: Duration,
    pub timeout: Duration,
}

impl Default for SmtpConfig {
    fn default() -> Self {
        SmtpConfig {
            url: SecretUrl::new("file://outbox"),
            pool_size: 8,
            rate_per_second: 0,
            max_attempts: 7,
            retry_schedule: ["1m", "5m", "15m", "1h", "3h", "6h"]
                .iter()
                .map(|s| Duration::parse(s).expect("valid"))
                .collect(),
            give_up_after: Duration::from_days(2),
            timeout: Duration::from_secs(30),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MailConfig {
    pub from: String,
    pub reply_to: Option<String>,
    /// Adds `<mailto:…>` to List-Unsubscribe beside the HTTPS URL.
    pub unsubscribe_mailto: Option<String>,
    /// Adds provider correlation headers (X-SMTPAPI, X-Mailgun-Variables, …).
    pub correlation_headers: bool,
}

impl Default for MailConfig {
    fn default() -> Self {
        MailConfig {
            from: "Rapport Demo Shop <hello@shop.example>".into(),
            reply_to: Some("support@shop.example".into()),
            unsubscribe_mailto: None,
            correlation_headers: true,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HttpConfig {
    pub bind: String,
    /// The address customers reach the endpoint at; every tracking link starts with it.
    pub public_url: String,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            bind: "127.0.0.1:8080".into(),
            public_url: "http://127.0.0.1:8080".into(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SecurityConfig {
    /// Signs every token (open, click, unsubscribe, survey, partnership).
    pub secret: SecretString,
    /// Bearer keys accepted by `/api/v1/*` and the dashboard.
    pub api_keys: Vec<SecretString>,
}

/// The development secret in the shipped config; `run` warns when it is still in use.
pub const DEVELOPMENT_SECRET: &str = "development-only-secret-change-me";

impl Default for SecurityConfig {
    fn default() -> Self {
        SecurityConfig {
            secret: SecretString::from(DEVELOPMENT_SECRET),
            api_keys: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DkimConfig {
    pub domain: Option<String>,
    pub selector: Option<String>,
    /// RSA (PKCS#1 or PKCS#8 PEM) or Ed25519.
    pub private_key_path: Option<PathBuf>,
    /// A second signature with an Ed25519 key (RFC 8463) beside the RSA one: receivers that
    /// do not know Ed25519 check the RSA signature.
    pub ed25519_selector: Option<String>,
    pub ed25519_key_path: Option<PathBuf>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PlannerConfig {
    /// Least time between two marketing emails to one customer.
    pub min_gap: Duration,
    /// Local time window in which nothing is sent; sends are deferred to its end.
    pub quiet_hours: QuietHours,
}

impl Default for PlannerConfig {
    fn default() -> Self {
        PlannerConfig {
            min_gap: Duration::from_days(3),
            quiet_hours: QuietHours::parse("21:00-08:00").expect("valid"),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SchedulerConfig {
    /// Incremental assess + plan tick (cron, seconds first).
    pub tick: String,
    /// Full reassessment, which also catches time-window expiry and triggers that fall due
    /// with no new data (delays, follow-ups, lapses). Hourly by default: incremental ticks
    /// look only at customers whose data changed, so this interval bounds how late a
    /// delayed trigger can be.
    pub full_cycle: String,
    /// Lease that keeps one replica's scheduler the only one running a tick.
    pub lease: Duration,
}

impl Default for SchedulerConfig {
    fn default() -> Self {
        SchedulerConfig {
            tick: "0 * * * * *".into(),
            full_cycle: "0 30 * * * *".into(),
            lease: Duration::from_secs(300),
        }
    }
}

/// Evidence rules of docs/domain.md "Evidence"; windows and counts can be tuned.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LevelsConfig {
    pub partnership_min_referrals: u32,
    pub partnership_referral_window: Duration,
    pub proactive_min_orders: u32,
    pub proactive_order_window: Duration,
    pub proactive_engagement_window: Duration,
    pub accountable_window: Duration,
    pub reactive_window: Duration,
}

impl Default for LevelsConfig {
    fn default() -> Self {
        LevelsConfig {
            partnership_min_referrals: 2,
            partnership_referral_window: Duration::from_days(365),
            proactive_min_orders: 3,
            proactive_order_window: Duration::from_days(365),
            proactive_engagement_window: Duration::from_days(90),
            accountable_window: Duration::from_days(365),
            reactive_window: Duration::from_days(180),
        }
    }
}

/// One row of Kotler's strategy matrix: the target level per margin tier.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MatrixRow {
    pub high: Level,
    pub medium: Level,
    pub low: Level,
}

/// The strategy matrix by segment breadth (how many customers share the margin tier).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StrategyMatrix {
    pub many: MatrixRow,
    pub medium: MatrixRow,
    pub few: MatrixRow,
}

impl Default for StrategyMatrix {
    fn default() -> Self {
        use Level::*;
        StrategyMatrix {
            many: MatrixRow {
                high: Accountable,
                medium: Reactive,
                low: Reactive,
            },
            medium: MatrixRow {
                high: Proactive,
                medium: Accountable,
                low: Reactive,
            },
            few: MatrixRow {
                high: Partnership,
                medium: Proactive,
                low: Accountable,
            },
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StrategyConfig {
    /// Margin assumed for orders imported without one, as a share of the amount.
    pub default_margin_ratio: f64,
    /// Margins are compared across customers in this currency.
    pub base_currency: crate::domain::Currency,
    /// Value of one unit of each other currency in `base_currency` (`USD = 0.92`). An order
    /// in a currency with no rate is a bad row: mixing rials and euros would rank nonsense.
    pub currency_rates: BTreeMap<String, f64>,
    /// Window over which customers are ranked by margin.
    pub margin_window: Duration,
    /// What customers are ranked into tiers by: last window's margin, or the margin the
    /// purchase-rhythm model predicts over the next 12 months (docs/predictions.md).
    pub rank_by: RankBy,
    /// Share of customers (by margin rank) in the high tier, then in the medium tier.
    pub high_share: f64,
    pub medium_share: f64,
    /// Tier breadth: at most `few_max` customers is "few", at most `medium_max` "medium".
    pub few_max: u64,
    pub medium_max: u64,
    pub matrix: StrategyMatrix,
}

impl Default for StrategyConfig {
    fn default() -> Self {
        StrategyConfig {
            default_margin_ratio: 0.3,
            base_currency: crate::domain::Currency::parse("EUR").expect("valid"),
            currency_rates: BTreeMap::new(),
            margin_window: Duration::from_days(365),
            rank_by: RankBy::Margin,
            high_share: 0.10,
            medium_share: 0.30,
            few_max: 100,
            medium_max: 10_000,
            matrix: StrategyMatrix::default(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ReportConfig {
    /// An order this soon after an email counts as a conversion of that email.
    pub conversion_window: Duration,
}

impl Default for ReportConfig {
    fn default() -> Self {
        ReportConfig {
            conversion_window: Duration::from_days(7),
        }
    }
}

/// A system told about engine events (`[[notify]]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotifyConfig {
    pub name: String,
    pub url: String,
    pub events: Vec<String>,
    pub secret: Option<SecretString>,
}

/// Extra keys a template may read as `{{shop.NAME}}` (shop name, support address, …).
pub type ShopConfig = BTreeMap<String, String>;

/// `[experiments]`: what applies to every campaign's experiment.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ExperimentsConfig {
    /// Share of all customers who get no marketing email at all (service emails still go),
    /// to measure the whole programme against nothing. 0: none.
    pub global_holdout: Share,
    /// Changing it re-draws the global hold-out.
    pub global_salt: String,
    /// A recipient "climbed" when their level rose within this long after the email.
    pub climb_window: Duration,
}

impl Default for ExperimentsConfig {
    fn default() -> Self {
        ExperimentsConfig {
            global_holdout: Share(0.0),
            global_salt: "rapport".into(),
            climb_window: Duration::from_days(60),
        }
    }
}

/// A share of customers: from 0 to below 1.
#[derive(Debug, Clone, Copy, PartialEq, Default, serde::Serialize)]
pub struct Share(pub f64);

impl<'de> Deserialize<'de> for Share {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = f64::deserialize(d)?;
        if (0.0..1.0).contains(&v) {
            Ok(Share(v))
        } else {
            Err(serde::de::Error::custom(format!(
                "{v} is not a share: write a number from 0 to below 1 (0.02 = 2 % of customers)"
            )))
        }
    }
}
