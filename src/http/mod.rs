//! The HTTP endpoint (README "HTTP endpoint"): open pixel, click tracker, unsubscribe,
//! survey and partnership pages, provider webhooks, the integration API, health and metrics.
//!
//! ```text
//! let state = AppState::from_config(&config, store.clone())?;   // inside the tokio runtime
//! let listener = tokio::net::TcpListener::bind(&config.http.bind).await?;
//! http::serve(listener, state, async { stop.changed().await.ok(); }).await?;
//! ```
//! `serve` returns after the shutdown future resolves, in-flight requests finish, and the
//! buffered tracking events are written.

mod api;
mod buffer;
mod client;
mod customer;
mod dashboard_page;
mod error;
pub mod metrics;
mod pages;
mod preferences;
mod privacy;
mod signup;
mod track;
mod webhooks;

pub use crate::ingest::machine;
pub use buffer::{EventBuffer, Hit, HitKind};
pub use error::ApiError;
pub use track::PIXEL;

use crate::config::Config;
use crate::domain::{Locale, Timezone};
use crate::import::RecordDefaults;
use crate::privacy::AddressKey;
use crate::providers::{Registry, SettingsError, WebhookSettings};
use crate::store::Store;
use crate::tracking::Signer;
use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request, State};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use chrono::{DateTime, Utc};
use metrics_exporter_prometheus::PrometheusHandle;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tower_http::timeout::TimeoutLayer;

/// Largest request body accepted anywhere (413 above).
pub const MAX_BODY: usize = 1 << 20;
/// A request that takes longer is answered 408. Generous for SNS certificate downloads.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(20);

/// What the HTTP endpoint needs from the configuration, apart from the store.
pub struct HttpSettings {
    /// Verifies every token (`security.secret`).
    pub signer: Signer,
    /// Hashes erased addresses (`privacy.erasure_secret`, else `security.secret`).
    pub erasure_key: AddressKey,
    /// `security.api_keys`; none = the API answers 401 to everyone.
    pub api_keys: Vec<SecretString>,
    pub default_locale: Locale,
    pub default_timezone: Timezone,
    /// `strategy.default_margin_ratio`, for API orders without a margin.
    pub margin_ratio: f64,
    /// `strategy.base_currency` and `strategy.currency_rates`: API order margins are stored
    /// in the base currency, as on import.
    pub base_currency: crate::domain::Currency,
    pub currency_rates: std::collections::BTreeMap<String, f64>,
    /// `webhooks.ses.auto_confirm`.
    pub sns_auto_confirm: bool,
    /// `[input]`: locales, size bounds and future skew of API records.
    pub input: crate::config::InputConfig,
    /// `[consent]`: double opt-in and the wording version of sign-ups.
    pub consent: crate::config::ConsentConfig,
}

impl HttpSettings {
    pub fn from_config(cfg: &Config) -> HttpSettings {
        HttpSettings {
            signer: Signer::new(cfg.security.secret.expose_secret().as_bytes()),
            erasure_key: AddressKey::new(cfg.erasure_secret().expose_secret().as_bytes()),
            api_keys: cfg.security.api_keys.clone(),
            default_locale: cfg.defaults.locale.clone(),
            default_timezone: cfg.defaults.timezone,
            margin_ratio: cfg.strategy.default_margin_ratio,
            base_currency: cfg.strategy.base_currency,
            currency_rates: cfg.strategy.currency_rates.clone(),
            input: cfg.input.clone(),
            consent: cfg.consent.clone(),
            // With no topic allow-list, anyone with an AWS account could subscribe us to a
            // topic of theirs and post signed fake bounces: confirm only allow-listed topics.
            sns_auto_confirm: cfg.webhooks.ses.auto_confirm
                && !cfg.webhooks.ses.topic_arns.is_empty(),
        }
    }
}

/// Shared by every handler. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    inner: Arc<Inner>,
}

struct Inner {
    store: Arc<dyn Store>,
    signer: Signer,
    erasure_key: AddressKey,
    registry: Registry,
    /// SHA-256 of each API key: compared in constant time, and equal-length whatever the key.
    api_keys: Vec<[u8; 32]>,
    default_locale: Locale,
    default_timezone: Timezone,
    margin_ratio: f64,
    base_currency: crate::domain::Currency,
    currency_rates: std::collections::BTreeMap<String, f64>,
    sns_auto_confirm: bool,
    input: crate::config::InputConfig,
    consent: crate::config::ConsentConfig,
    events: EventBuffer,
    metrics: PrometheusHandle,
    /// The whole configuration, for `/dashboard` (absent in states built for tests).
    config: Option<Arc<Config>>,
    /// One latency histogram per entry of [`ROUTES`].
    latency: Vec<::metrics::Histogram>,
}

impl AppState {
    /// Builds the state and starts the event writer task; call inside the tokio runtime.
    pub fn new(store: Arc<dyn Store>, settings: HttpSettings, registry: Registry) -> AppState {
        Self::build(store, settings, registry, None)
    }

    /// [`AppState::new`] with a configuration: `/dashboard` and the `[[notify]]` endpoints
    /// stored events are announced to.
    pub fn with_config(
        store: Arc<dyn Store>,
        settings: HttpSettings,
        registry: Registry,
        config: Arc<Config>,
    ) -> AppState {
        Self::build(store, settings, registry, Some(config))
    }

    fn build(
        store: Arc<dyn Store>,
        settings: HttpSettings,
        registry: Registry,
        config: Option<Arc<Config>>,
    ) -> AppState {
        let api_keys = settings
            .api_keys
            .iter()
            .map(|k| Sha256::digest(k.expose_secret().as_bytes()).into())
            .collect();
        // Installs the global recorder first, so the handles below register with it.
        let metrics = metrics::handle();
        AppState {
            inner: Arc::new(Inner {
                events: EventBuffer::spawn(store.clone()),
                store,
                signer: settings.signer,
                erasure_key: settings.erasure_key,
                registry,
                api_keys,
                default_locale: settings.default_locale,
                default_timezone: settings.default_timezone,
                margin_ratio: settings.margin_ratio,
                base_currency: settings.base_currency,
                currency_rates: settings.currency_rates,
                sns_auto_confirm: settings.sns_auto_confirm,
                input: settings.input,
                consent: settings.consent,
                metrics,
                config,
                latency: ROUTES
                    .iter()
                    .map(|r| ::metrics::histogram!(metrics::REQUEST_SECONDS, "route" => *r))
                    .collect(),
            }),
        }
    }

    /// [`AppState::new`] from the loaded configuration; fails on unusable `webhooks.*` keys.
    pub fn from_config(cfg: &Config, store: Arc<dyn Store>) -> Result<AppState, SettingsError> {
        let webhooks = WebhookSettings::try_from(&cfg.webhooks)?;
        let registry = Registry::from_settings(&webhooks)?;
        Ok(AppState::build(
            store,
            HttpSettings::from_config(cfg),
            registry,
            Some(Arc::new(cfg.clone())),
        ))
    }

    /// The `[[notify]]` endpoints stored events are announced to (none without a config),
    /// and `webhooks.soft_bounce_limit` (its default without a configuration).
    pub(crate) fn ingest_rules(&self) -> crate::ingest::Rules<'_> {
        crate::ingest::Rules {
            endpoints: self.config().map_or(&[], |c| c.notify.as_slice()),
            soft_bounce_limit: self.config().map_or_else(
                || crate::config::WebhooksConfig::default().soft_bounce_limit,
                |c| c.webhooks.soft_bounce_limit,
            ),
        }
    }

    /// The configuration the state was built from, when it was built from one.
    pub fn config(&self) -> Option<&Arc<Config>> {
        self.inner.config.as_ref()
    }

    pub fn store(&self) -> &Arc<dyn Store> {
        &self.inner.store
    }

    /// The tracking-event buffer (tests and shutdown flush it).
    pub fn events(&self) -> &EventBuffer {
        &self.inner.events
    }

    fn record_defaults(&self, now: DateTime<Utc>) -> RecordDefaults {
        RecordDefaults {
            locale: self.inner.default_locale.clone(),
            timezone: self.inner.default_timezone,
            margin_ratio: self.inner.margin_ratio,
            now,
            base_currency: self.inner.base_currency,
            rates: self.inner.currency_rates.clone(),
            input: self.inner.input.clone(),
        }
    }
}

/// Every route of README "HTTP endpoint", with the hardening layers.
pub fn router(state: AppState) -> Router {
    // The open pixel takes no body, never errs and never waits on the database (it answers
    // the GIF whatever happens), so the body limit, JSON errors and timeout layers would only
    // cost time on the busiest route; it keeps the metrics layer.
    let pixel = Router::new().route("/t/o/{token}", get(track::open));
    Router::new()
        .route("/t/c/{token}", get(track::click))
        .route(
            "/u/{token}",
            get(preferences::show).post(preferences::change),
        )
        .route(
            "/c/{token}",
            get(signup::confirm_page).post(signup::confirm),
        )
        .route("/subscribe", post(signup::subscribe))
        .route(
            "/s/{token}",
            get(customer::survey_answer).post(customer::survey_comment),
        )
        .route("/p/{token}", get(customer::partnership))
        .route("/webhooks/{provider}", post(webhooks::receive))
        .route("/api/v1/customers", post(api::customers))
        .route("/api/v1/customers/{id}", delete(privacy::forget))
        .route("/api/v1/customers/{id}/export", get(privacy::export))
        .route("/api/v1/customers/{id}/consent", get(api::consent))
        .route("/api/v1/orders", post(api::orders))
        .route("/api/v1/events", post(api::events))
        .route("/dashboard", get(dashboard_page::dashboard_page))
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics_text))
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .layer(middleware::from_fn(error::json_errors))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ))
        .merge(pixel)
        .layer(middleware::from_fn_with_state(state.clone(), observe))
        .with_state(state)
}

/// Serves `router(state)` on `listener` until `shutdown` resolves, lets in-flight requests
/// finish, then writes every buffered tracking event before returning.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_router(listener, router(state.clone()), state, shutdown).await
}

/// As [`serve`] with a router built from `router(state)` plus the caller's own routes or
/// layers; `state` must be the one the router was built with, whose events are flushed.
pub async fn serve_router(
    listener: tokio::net::TcpListener,
    app: Router,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let addr = listener.local_addr()?;
    tracing::info!(%addr, "HTTP endpoint listening.");
    // The peer address, for the consent log when no proxy says who the client is.
    let served = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await;
    state.events().flush().await;
    tracing::info!(%addr, "HTTP endpoint stopped; tracking events flushed.");
    served
}

async fn healthz(State(s): State<AppState>) -> Response {
    match tokio::time::timeout(Duration::from_secs(2), s.store().ping()).await {
        Ok(Ok(())) => axum::Json(serde_json::json!({"status": "ok"})).into_response(),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "Health check: the database does not answer.");
            error::json_error(StatusCode::SERVICE_UNAVAILABLE, "database unavailable")
        }
        Err(_) => error::json_error(StatusCode::SERVICE_UNAVAILABLE, "database unavailable"),
    }
}

async fn metrics_text(State(s): State<AppState>) -> Response {
    if let Ok(Ok(n)) =
        tokio::time::timeout(Duration::from_secs(2), s.store().pending_deliveries()).await
    {
        ::metrics::gauge!(metrics::QUEUE_DEPTH).set(n as f64);
    }
    ::metrics::gauge!(metrics::BUFFER_DEPTH).set(s.events().depth() as f64);
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        s.inner.metrics.render(),
    )
        .into_response()
}

async fn not_found() -> Response {
    error::json_error(StatusCode::NOT_FOUND, "not found")
}

/// Route templates, the only values of the `route` label (never the path: it holds tokens).
const ROUTES: &[&str] = &[
    "/t/o/{token}",
    "/t/c/{token}",
    "/u/{token}",
    "/c/{token}",
    "/subscribe",
    "/s/{token}",
    "/p/{token}",
    "/webhooks/{provider}",
    "/api/v1/customers",
    "/api/v1/customers/{id}",
    "/api/v1/customers/{id}/export",
    "/api/v1/customers/{id}/consent",
    "/api/v1/orders",
    "/api/v1/events",
    "/healthz",
    "/metrics",
    "other",
];

/// The index in [`ROUTES`] of the matched route (`other` for the fallback).
fn route_index(path: Option<&MatchedPath>) -> usize {
    path.and_then(|p| ROUTES.iter().position(|r| *r == p.as_str()))
        .unwrap_or(ROUTES.len() - 1)
}

/// Request latency metric and one structured log line per request (tracking hits at debug:
/// a busy campaign would drown everything else).
async fn observe(State(s): State<AppState>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = req.method().clone();
    let index = route_index(req.extensions().get::<MatchedPath>());
    let route = ROUTES[index];
    let res = next.run(req).await;
    let elapsed = started.elapsed();
    let status = res.status().as_u16();
    // A registered handle: no label hashing or allocation on the pixel's path.
    s.inner.latency[index].record(elapsed.as_secs_f64());
    let ms = elapsed.as_secs_f64() * 1e3;
    if route.starts_with("/t/") && status < 400 {
        tracing::debug!(%method, route, status, ms, "Request.");
    } else if status >= 500 {
        tracing::warn!(%method, route, status, ms, "Request failed.");
    } else {
        tracing::info!(%method, route, status, ms, "Request.");
    }
    res
}
