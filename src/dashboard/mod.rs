//! The marketer's dashboard (`GET /dashboard`): one server-rendered page, no JavaScript, with
//! the level funnel (customers per current level against the strategy's target), the level
//! transitions of the last 30 days, each level's average predicted value, and the
//! per-campaign funnel — all drawn as inline SVG,
//! readable in English and Persian (right to left, Persian digits, Jalali date).
//!
//! [`page`] is a pure function of [`DashboardData`]; [`handler_data`] fills it from the store;
//! [`authorized`] checks the request's `Authorization` header against `security.api_keys`.

mod charts;
mod experiments;
mod page;
mod text;

pub use page::page;

use crate::campaigns::{Campaign, Trigger};
use crate::config::Config;
use crate::report::experiment::ExperimentReport;
use crate::report::{self, CampaignReport, ExperimentFilter, LevelMovement};
use crate::store::{Store, StoreError};
use chrono::{DateTime, TimeDelta, Utc};
use std::collections::BTreeMap;

/// The page's language: labels, digits, direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    Fa,
}

impl Lang {
    /// `?lang=fa`, else the first `Accept-Language` tag we have, else English.
    pub fn pick(query_lang: Option<&str>, accept_language: Option<&str>) -> Lang {
        let from = |s: &str| -> Option<Lang> {
            match s
                .trim()
                .split(['-', '_', ';'])
                .next()?
                .to_ascii_lowercase()
                .as_str()
            {
                "fa" => Some(Lang::Fa),
                "en" => Some(Lang::En),
                _ => None,
            }
        };
        query_lang
            .and_then(from)
            .or_else(|| accept_language.and_then(|h| h.split(',').find_map(from)))
            .unwrap_or(Lang::En)
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Fa => "fa",
        }
    }
}

/// Everything the page shows.
#[derive(Debug, Clone)]
pub struct DashboardData {
    pub generated_at: DateTime<Utc>,
    /// Customers per current level (basic … partnership).
    pub current: [u64; 5],
    /// Customers per target level.
    pub target: [u64; 5],
    pub movement: LevelMovement,
    /// Every configured campaign (with zeros when it has not sent yet) and any campaign
    /// that has deliveries but is no longer configured, by name.
    pub campaigns: Vec<CampaignReport>,
    /// Configured campaigns with no delivery yet, and what they wait for.
    pub waiting: BTreeMap<String, Waiting>,
    /// Each current level's customers with orders and their average predicted margin over
    /// the next 12 months (`rapport levels` computes the same), indexed by `rank() - 1`; all
    /// zero before a cycle kept a purchase-rhythm model.
    pub value: [crate::valuation::LevelValue; 5],
    /// Currency of the revenue and value columns (`strategy.base_currency`).
    pub currency: String,
    /// What `rapport report --experiment` shows: every campaign with an experiment, and the
    /// programme against the global hold-out when one is configured.
    pub experiments: ExperimentReport,
}

/// Why a configured campaign has no delivery yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Waiting {
    /// A cron schedule: its next slot has not come (the loyalty offer on Saturday).
    Schedule,
    /// An event or eligibility trigger: no customer has been due for it yet.
    Trigger,
}

/// Adds a zero line for each configured campaign the report has no line for (a marketer
/// wants to see the loyalty offer is there, waiting for Saturday) and says what it waits
/// for; lines stay ordered by campaign.
pub fn with_every_campaign(
    mut lines: Vec<CampaignReport>,
    configured: &[Campaign],
) -> (Vec<CampaignReport>, BTreeMap<String, Waiting>) {
    let mut waiting = BTreeMap::new();
    for c in configured {
        if lines.iter().any(|l| l.campaign == c.id) {
            continue;
        }
        let why = match c.trigger {
            Trigger::Schedule(_) => Waiting::Schedule,
            _ => Waiting::Trigger,
        };
        waiting.insert(c.id.clone(), why);
        lines.push(CampaignReport {
            campaign: c.id.clone(),
            ..Default::default()
        });
    }
    lines.sort_by(|a, b| a.campaign.cmp(&b.campaign));
    (lines, waiting)
}

/// Days of level movement the dashboard shows.
pub const MOVEMENT_DAYS: i64 = 30;

/// Fills the dashboard from the store: level counts, the last 30 days of movement, the
/// all-time campaign report and the experiment report. What the HTTP route calls.
pub async fn handler_data(
    store: &dyn Store,
    cfg: &Config,
    now: DateTime<Utc>,
) -> Result<DashboardData, StoreError> {
    let filter = report::filter(cfg, None, None, None);
    let (counts, movement, lines) = tokio::try_join!(
        store.level_counts(now),
        store.level_movement(now - TimeDelta::days(MOVEMENT_DAYS)..now),
        store.report(&filter),
    )?;
    // Read per request, like the rest of the page: the files are few and small, and a
    // campaign added since the daemon started shows up. Template existence is `check`'s job.
    let paths = &cfg.paths;
    let configured = match crate::campaigns::load_all(&paths.campaigns, &paths.segments, &|_| true)
    {
        Ok((c, _)) => c,
        Err(errors) => {
            tracing::warn!(
                errors = errors.len(),
                "Campaign files do not load; the dashboard lists only campaigns with deliveries."
            );
            Vec::new()
        }
    };
    // The report's own build, as `rapport report --experiment` runs it: all campaigns, every
    // delivery up to now.
    let experiments = report::build_experiments(
        store,
        cfg,
        &configured,
        &ExperimentFilter {
            campaign: None,
            since: None,
            now,
        },
    )
    .await?;
    // The model the cycle keeps, never a fit here: a fit at a million customers takes half a
    // minute, a page must answer at once.
    let value = match crate::valuation::model::kept(store).await? {
        Some(model) => crate::valuation::value_per_level(store, &model, &cfg.strategy, now).await?,
        None => Default::default(),
    };
    let (campaigns, waiting) = with_every_campaign(lines, &configured);
    Ok(DashboardData {
        generated_at: now,
        current: counts.current,
        target: counts.target,
        movement,
        campaigns,
        waiting,
        value,
        currency: cfg.strategy.base_currency.as_str().to_string(),
        experiments,
    })
}

/// Whether an `Authorization` header carries one of the API keys: `Bearer KEY`, or `Basic`
/// with KEY as the password (any user name), so that a browser's login prompt works. Keys
/// are compared in constant time. No keys configured = nobody gets in.
pub fn authorized(authorization: Option<&str>, api_keys: &[secrecy::SecretString]) -> bool {
    use base64::Engine;
    use secrecy::ExposeSecret;
    use subtle::ConstantTimeEq;
    let Some(h) = authorization else { return false };
    let (scheme, value) = h.trim().split_once(' ').unwrap_or((h, ""));
    let presented: Vec<u8> = if scheme.eq_ignore_ascii_case("bearer") {
        value.trim().as_bytes().to_vec()
    } else if scheme.eq_ignore_ascii_case("basic") {
        let Ok(raw) = base64::engine::general_purpose::STANDARD.decode(value.trim()) else {
            return false;
        };
        match raw.iter().position(|&b| b == b':') {
            Some(i) => raw[i + 1..].to_vec(),
            None => return false,
        }
    } else {
        return false;
    };
    let mut ok = subtle::Choice::from(0);
    for k in api_keys {
        let k = k.expose_secret().as_bytes();
        if !k.is_empty() {
            ok |= k.ct_eq(&presented);
        }
    }
    ok.into()
}

/// The `WWW-Authenticate` value that makes a browser ask for the key.
pub const WWW_AUTHENTICATE: &str = "Basic realm=\"rapport dashboard\", charset=\"UTF-8\"";

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::SecretString;

    #[test]
    fn bearer_or_basic_with_an_api_key_gets_in() {
        use base64::Engine;
        let keys = [SecretString::from("k-123")];
        assert!(authorized(Some("Bearer k-123"), &keys));
        let basic = base64::engine::general_purpose::STANDARD.encode("anyone:k-123");
        assert!(authorized(Some(&format!("Basic {basic}")), &keys));
        assert!(!authorized(Some("Bearer k-12"), &keys));
        assert!(!authorized(Some("Basic !!"), &keys));
        assert!(!authorized(None, &keys));
        assert!(!authorized(Some("Bearer "), &[SecretString::from("")]));
    }

    #[test]
    fn language_comes_from_the_query_then_accept_language() {
        assert_eq!(Lang::pick(Some("fa"), None), Lang::Fa);
        assert_eq!(Lang::pick(None, Some("fa-IR,fa;q=0.9,en;q=0.8")), Lang::Fa);
        assert_eq!(Lang::pick(None, Some("de-DE,en;q=0.5")), Lang::En);
        assert_eq!(Lang::pick(Some("xx"), None), Lang::En);
    }
}
