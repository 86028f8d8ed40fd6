//! The sending side of the engine, loaded from configuration: campaigns, templates and the
//! mail transport. The daemon reloads it on SIGHUP; one-shot commands load it once.

use super::Failure;
use crate::campaigns::{self, Campaign};
use crate::config::{Config, TransportPlan};
use crate::dispatch::{Composer, Dispatcher, DomainLimits, Lane, RetryPolicy, Routes, UnlessRules};
use crate::mailer::Transport;
use crate::render::{Renderer, TemplateSpec, Tracking};
use crate::store::Store;
use crate::tracking::Signer;
use secrecy::ExposeSecret;
use std::sync::Arc;

/// Everything that turns queued deliveries into sent email, built once at start: campaigns,
/// the template registry (CSS inlined, every campaign × locale test-rendered), the transports
/// and which campaign takes which.
pub struct Engine {
    pub campaigns: Vec<Campaign>,
    pub composer: Arc<Composer>,
    /// `[[transports]]` in file order (or `[smtp]` alone, as `default`), one per plan entry.
    pub transports: Vec<Transport>,
    pub plan: TransportPlan,
    pub routes: Routes,
}

impl Engine {
    /// Loads and validates campaigns, templates and the transport; every problem is a user
    /// error with its file and line.
    pub fn load(config: &Config) -> Result<Engine, Failure> {
        crate::notify::validate(&config.notify)
            .map_err(|e| Failure::User(anyhow::anyhow!("[[notify]]: {e}")))?;
        if let Some(problem) = config.retention_problem() {
            return Err(Failure::User(anyhow::anyhow!(problem)));
        }
        let campaigns = load_campaigns(config)?;
        let specs: Vec<TemplateSpec> = campaigns
            .iter()
            .flat_map(Campaign::template_specs)
            .collect();
        let signer = Signer::new(config.security.secret.expose_secret().as_bytes());
        let tracking = Tracking::new(&config.http.public_url, signer);
        let renderer = Renderer::load(&config.paths.templates, &specs, &config.shop, tracking)
            .map_err(|errors| {
                let lines: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
                Failure::User(anyhow::anyhow!("invalid templates:\n{}", lines.join("\n")))
            })?;
        let composer =
            Composer::new(config, &campaigns, renderer).map_err(|e| Failure::User(e.into()))?;
        let plan = config
            .transport_plan()
            .map_err(|e| Failure::User(anyhow::anyhow!(e)))?;
        let transports = plan
            .transports
            .iter()
            .map(|t| {
                Transport::from_spec(t.url.expose(), &t.password_env, t.timeout).map_err(|e| {
                    let table = if config.transports.is_empty() {
                        "smtp.url: ".to_owned()
                    } else {
                        format!("[[transports]] \"{}\": ", t.name)
                    };
                    Failure::User(anyhow::anyhow!("{table}{e}"))
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let routes = Routes::new(&campaigns, &plan).map_err(|lines| {
            Failure::User(anyhow::anyhow!("invalid campaigns:\n{}", lines.join("\n")))
        })?;
        Ok(Engine {
            campaigns,
            composer: Arc::new(composer),
            transports,
            plan,
            routes,
        })
    }

    /// The transport `campaign`'s emails leave through while it is up (`send-test`).
    pub fn transport_for(&self, campaign: &str) -> &Transport {
        let id = crate::campaigns::campaign_of_key(campaign);
        &self.transports[self.routes.lane(id)]
    }

    pub fn dispatcher(&self, config: &Config, store: Arc<dyn Store>) -> Dispatcher {
        let lanes = self
            .plan
            .transports
            .iter()
            .zip(&self.transports)
            .map(|(spec, transport)| {
                Lane::new(
                    &spec.name,
                    spec.url.expose(),
                    transport,
                    spec.pool_size,
                    spec.rate_per_second,
                    spec.failover_after,
                )
            })
            .collect();
        Dispatcher::new(
            store,
            self.composer.clone(),
            lanes,
            self.routes.clone(),
            RetryPolicy {
                schedule: config.smtp.retry_schedule.iter().map(|d| d.std()).collect(),
                max_attempts: config.smtp.max_attempts,
                throttle_limit: config.smtp.give_up_after.std(),
            },
        )
        .with_unless(UnlessRules::new(&self.campaigns))
        .with_domain_limits(DomainLimits::new(&config.domain_limits))
    }
}

/// Loads `paths.campaigns` (with the segments of `paths.segments` they may use); every
/// problem is reported as `file:line:col: message`.
pub fn load_campaigns(config: &Config) -> Result<Vec<Campaign>, Failure> {
    load_campaigns_and_segments(config).map(|(campaigns, _)| campaigns)
}

/// The configuration's global hold-out on every marketing campaign (service emails still go
/// to its customers).
fn with_global_holdout(mut campaigns: Vec<Campaign>, config: &Config) -> Vec<Campaign> {
    let share = config.experiments.global_holdout.0;
    if share > 0.0 {
        let global = campaigns::GlobalHoldout {
            share,
            salt: config.experiments.global_salt.clone(),
        };
        for c in campaigns.iter_mut().filter(|c| !c.is_service()) {
            c.experiment.global = Some(global.clone());
        }
    }
    campaigns
}

/// The campaigns and the segments, for `rapport segment` and `check`.
pub fn load_campaigns_and_segments(
    config: &Config,
) -> Result<(Vec<Campaign>, campaigns::Segments), Failure> {
    let templates = config.paths.templates.clone();
    let exists = move |t: &str| templates.join("en").join(format!("{t}.html.hbs")).is_file();
    let paths = &config.paths;
    campaigns::load_all(&paths.campaigns, &paths.segments, &exists)
        .map(|(campaigns, segments)| (with_global_holdout(campaigns, config), segments))
        .map_err(|errors| {
            let lines: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
            Failure::User(anyhow::anyhow!("invalid campaigns:\n{}", lines.join("\n")))
        })
}
