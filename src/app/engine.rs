//! The sending side of the engine, loaded from configuration: campaigns, templates and the
//! mail transport. The daemon reloads it on SIGHUP; one-shot commands load it once.

use super::Failure;
use crate::campaigns::{self, Campaign};
use crate::config::Config;
use crate::dispatch::{Composer, Dispatcher, RetryPolicy};
use crate::mailer::Transport;
use crate::render::{Renderer, TemplateSpec, Tracking};
use crate::store::Store;
use crate::tracking::Signer;
use secrecy::ExposeSecret;
use std::sync::Arc;

/// Everything that turns queued deliveries into sent email, built once at start: campaigns,
/// the template registry (CSS inlined, every campaign × locale test-rendered), the transport.
pub struct Engine {
    pub campaigns: Vec<Campaign>,
    pub composer: Arc<Composer>,
    pub transport: Transport,
}

impl Engine {
    /// Loads and validates campaigns, templates and the transport; every problem is a user
    /// error with its file and line.
    pub fn load(config: &Config) -> Result<Engine, Failure> {
        crate::notify::validate(&config.notify)
            .map_err(|e| Failure::User(anyhow::anyhow!("[[notify]]: {e}")))?;
        let campaigns = load_campaigns(config)?;
        let specs: Vec<TemplateSpec> = campaigns.iter().map(Campaign::template_spec).collect();
        let signer = Signer::new(config.security.secret.expose_secret().as_bytes());
        let tracking = Tracking::new(&config.http.public_url, signer);
        let renderer = Renderer::load(&config.paths.templates, &specs, &config.shop, tracking)
            .map_err(|errors| {
                let lines: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
                Failure::User(anyhow::anyhow!("invalid templates:\n{}", lines.join("\n")))
            })?;
        let composer =
            Composer::new(config, &campaigns, renderer).map_err(|e| Failure::User(e.into()))?;
        let transport = Transport::from_url(config.smtp.url.expose())
            .map_err(|e| Failure::User(anyhow::anyhow!("smtp.url: {e}")))?;
        Ok(Engine {
            campaigns,
            composer: Arc::new(composer),
            transport,
        })
    }

    pub fn dispatcher(&self, config: &Config, store: Arc<dyn Store>) -> Dispatcher {
        Dispatcher::new(
            store,
            self.composer.clone(),
            &self.transport,
            config.smtp.pool_size,
            config.smtp.rate_per_second,
            RetryPolicy {
                schedule: config.smtp.retry_schedule.iter().map(|d| d.std()).collect(),
                max_attempts: config.smtp.max_attempts,
            },
        )
    }
}

/// Loads `paths.campaigns`; every problem is reported as `file:line:col: message`.
pub fn load_campaigns(config: &Config) -> Result<Vec<Campaign>, Failure> {
    let templates = config.paths.templates.clone();
    let exists = move |t: &str| templates.join("en").join(format!("{t}.html.hbs")).is_file();
    campaigns::load_dir(&config.paths.campaigns, &exists).map_err(|errors| {
        let lines: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
        Failure::User(anyhow::anyhow!("invalid campaigns:\n{}", lines.join("\n")))
    })
}
