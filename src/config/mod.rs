//! Configuration: `config/rapport.toml` plus `RAPPORT__SECTION__KEY` environment overrides.
//! Errors point at `path:line:col`; secrets are `secrecy` types and never printed.

mod consent;
mod duration;
mod input;
mod load;
mod privacy;
mod sections;
mod transports;
mod values;
mod webhooks;

pub use consent::ConsentConfig;
pub use duration::Duration;
pub use input::InputConfig;
pub use load::{ConfigError, env_overrides, load, load_str};
pub use privacy::PrivacyConfig;
pub use sections::*;
pub use transports::{
    DEFAULT_TRANSPORT, DomainLimit, SMTP_PASSWORD_ENV, SendingConfig, TransportConfig,
    TransportPlan, TransportSpec, password_env,
};
pub use values::{QuietHours, RankBy, SecretUrl};
pub use webhooks::*;

use serde::Deserialize;

/// Default location of the configuration file (README "Commands").
pub const DEFAULT_PATH: &str = "config/rapport.toml";

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub database: DatabaseConfig,
    pub defaults: DefaultsConfig,
    pub paths: PathsConfig,
    pub smtp: SmtpConfig,
    pub mail: MailConfig,
    pub http: HttpConfig,
    pub security: SecurityConfig,
    pub dkim: DkimConfig,
    pub planner: PlannerConfig,
    pub scheduler: SchedulerConfig,
    pub levels: LevelsConfig,
    pub strategy: StrategyConfig,
    pub webhooks: WebhooksConfig,
    pub report: ReportConfig,
    pub experiments: ExperimentsConfig,
    pub shop: ShopConfig,
    pub notify: Vec<NotifyConfig>,
    pub input: InputConfig,
    pub privacy: PrivacyConfig,
    pub consent: ConsentConfig,
    /// `[[transports]]`: several relays; empty = `[smtp]` is the one (named `default`).
    pub transports: Vec<TransportConfig>,
    pub sending: SendingConfig,
    pub domain_limits: Vec<DomainLimit>,
}
