//! Shared by the HTTP tests: the router over a fresh database with a customer and a sent
//! delivery, requests driven in-process with `tower::ServiceExt::oneshot`.
#![allow(dead_code)]

use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, Request, StatusCode};
use chrono::{DateTime, TimeDelta, Utc};
use rapport::domain::Level;
use rapport::http::{AppState, HttpSettings};
use rapport::import::{CustomerRecord, RecordDefaults, Row};
use rapport::providers::{
    BasicAuthSettings, MailgunSettings, Registry, SendgridSettings, WebhookSettings,
};
use rapport::store::Claim;
use rapport::store::{DeliveryResult, NewDelivery, Store};
use rapport::tracking::Signer;
use secrecy::SecretString;
use serde_json::{Value, json};
use std::sync::Arc;
use tower::ServiceExt;
use uuid::Uuid;

use crate::support;

pub const SECRET: &[u8] = b"test-secret";
pub const API_KEY: &str = "test-api-key-0123456789";
/// SendGrid's published test vector 1 (key, signature, timestamp, body).
pub const SG_KEY_1: &str = "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE83T4O/n84iotIvIW4mdBgQ/7dAfSmpqIM8kF9mN1flpVKS3GRqe62gw+2fNNRaINXvVpiglSI8eNEc6wEA3F+g==";
pub const SG_SIG_1: &str = "MEUCIGHQVtGj+Y3LkG9fLcxf3qfI10QysgDWmMOVmxG0u6ZUAiEAyBiXDWzM+uOe5W0JuG+luQAbPIqHh89M15TluLtEZtM=";
pub const SG_TS_1: &str = "1600112502";
pub const MAILGUN_KEY: &str = "test-mailgun-signing-key";
/// Basic-auth credentials of the Mailjet and Brevo webhooks (Postmark stays unconfigured).
pub const HOOK_USER: &str = "hook";
pub const HOOK_PASSWORD: &str = "hook-password";
/// A real browser, so that hits count as human.
pub const BROWSER: &str = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36";

pub struct App {
    pub db: support::TestDb,
    pub state: AppState,
    pub router: Router,
    pub signer: Signer,
}

impl App {
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.db.store
    }

    pub async fn send(&self, req: Request<Body>) -> (StatusCode, HeaderMap, Bytes) {
        let res = self
            .router
            .clone()
            .oneshot(req)
            .await
            .expect("the router never fails");
        let (parts, body) = res.into_parts();
        let body = axum::body::to_bytes(body, usize::MAX)
            .await
            .expect("read body");
        (parts.status, parts.headers, body)
    }

    pub async fn get(&self, uri: &str) -> (StatusCode, HeaderMap, Bytes) {
        self.send(
            Request::get(uri)
                .header("user-agent", BROWSER)
                .body(Body::empty())
                .unwrap(),
        )
        .await
    }

    pub async fn post(
        &self,
        uri: &str,
        content_type: &str,
        body: impl Into<Body>,
    ) -> (StatusCode, HeaderMap, Bytes) {
        self.send(
            Request::post(uri)
                .header("user-agent", BROWSER)
                .header("content-type", content_type)
                .body(body.into())
                .unwrap(),
        )
        .await
    }

    pub async fn api(
        &self,
        path: &str,
        key: Option<&str>,
        body: impl Into<Body>,
    ) -> (StatusCode, Value) {
        let mut req = Request::post(path).header("content-type", "application/json");
        if let Some(k) = key {
            req = req.header("authorization", format!("Bearer {k}"));
        }
        let (status, _, body) = self.send(req.body(body.into()).unwrap()).await;
        let json = serde_json::from_slice(&body).unwrap_or(Value::Null);
        (status, json)
    }

    /// Adds a customer through the import path.
    pub async fn customer(&self, id: &str, email: &str, locale: &str) {
        let row = json!({"id": id, "email": email, "locale": locale});
        let Value::Object(fields) = row else {
            unreachable!()
        };
        let c = CustomerRecord::parse(&Row::new(&fields), &defaults()).expect("valid customer");
        let mut tx = self.store().begin_import().await.unwrap();
        tx.upsert_customers(&[c], Utc::now()).await.unwrap();
        tx.commit().await.unwrap();
    }

    /// Queues and marks sent one delivery to `customer_id` with these click targets.
    pub async fn delivery(
        &self,
        customer_id: &str,
        links: &[&str],
        sent_at: DateTime<Utc>,
    ) -> Uuid {
        let id = Uuid::now_v7();
        let d = NewDelivery {
            id,
            customer_id: customer_id.into(),
            campaign: "satisfaction-survey".into(),
            occurrence: format!("order:{id}"),
            service: false,
            current: Level::Basic,
            target: Level::Reactive,
            send_at: sent_at,
            // As the cycle generates them (cycle/decide.rs): webhooks find it by the id.
            message_id: format!("<{id}@shop.example>"),
            unless_since: None,
            variant: None,
            held_out: false,
        };
        self.store().apply_cycle(&[], &[d], sent_at).await.unwrap();
        // Sent the way the dispatcher does it: claimed, then recorded under that claim.
        self.store()
            .claim_due(Claim {
                now: sent_at,
                limit: 1_000,
                lease: chrono::TimeDelta::minutes(5),
                owner: "test-sender",
            })
            .await
            .unwrap();
        self.store()
            .record_results(
                &[DeliveryResult::Sent {
                    id,
                    links: links.iter().map(|l| l.to_string()).collect(),
                    transport: None,
                }],
                "test-sender",
                sent_at,
            )
            .await
            .unwrap();
        id
    }

    /// (kind, machine, data) of every stored event, in insertion order.
    pub async fn events(&self) -> Vec<(String, bool, Value)> {
        stored_events(&self.db).await
    }

    pub async fn events_of(&self, kind: &str) -> Vec<(bool, Value)> {
        self.events()
            .await
            .into_iter()
            .filter(|(k, _, _)| k == kind)
            .map(|(_, m, d)| (m, d))
            .collect()
    }
}

pub async fn stored_events(db: &support::TestDb) -> Vec<(String, bool, Value)> {
    let rows: Vec<(i64, Option<String>, bool, String)> = if db.backend == "sqlite" {
        let pool = sqlx::SqlitePool::connect(&db.url).await.unwrap();
        let r = sqlx::query_as("SELECT kind, custom_kind, machine, data FROM events ORDER BY seq")
            .fetch_all(&pool)
            .await
            .unwrap();
        pool.close().await;
        r
    } else {
        let pool = sqlx::PgPool::connect(&db.url).await.unwrap();
        let r = sqlx::query_as(
            "SELECT kind::int8, custom_kind, machine, data::text FROM events ORDER BY seq",
        )
        .fetch_all(&pool)
        .await
        .unwrap();
        pool.close().await;
        r
    };
    rows.into_iter()
        .map(|(code, custom, machine, data)| {
            let kind = rapport::domain::EventKind::from_code(code as i16, custom.as_deref())
                .map(|k| match custom {
                    Some(c) => format!("custom:{c}"),
                    None => k.name().to_string(),
                })
                .unwrap_or_else(|| format!("code {code}"));
            (kind, machine, serde_json::from_str(&data).unwrap())
        })
        .collect()
}

pub fn defaults() -> RecordDefaults {
    RecordDefaults {
        locale: rapport::domain::Locale::parse("en").unwrap(),
        timezone: rapport::domain::Timezone::parse("UTC").unwrap(),
        margin_ratio: 0.3,
        base_currency: rapport::domain::Currency::parse("EUR").unwrap(),
        rates: Default::default(),
        now: Utc::now(),
        input: Default::default(),
    }
}

pub fn state(store: Arc<dyn Store>) -> AppState {
    let (settings, registry) = settings();
    AppState::new(store, settings, registry)
}

/// [`state`] with a configuration (its `[[notify]]` endpoints are told about stored events).
pub fn state_with_config(store: Arc<dyn Store>, config: rapport::config::Config) -> AppState {
    let (settings, registry) = settings();
    AppState::with_config(store, settings, registry, Arc::new(config))
}

/// The test secret, API keys and webhook keys.
fn settings() -> (HttpSettings, Registry) {
    settings_with(|_| {})
}

fn settings_with(edit: impl FnOnce(&mut WebhookSettings)) -> (HttpSettings, Registry) {
    let mut webhooks = WebhookSettings {
        sendgrid: Some(SendgridSettings {
            public_key: SG_KEY_1.into(),
        }),
        mailgun: Some(MailgunSettings {
            signing_key: SecretString::from(MAILGUN_KEY),
            tolerance: MailgunSettings::DEFAULT_TOLERANCE,
        }),
        mailjet: Some(BasicAuthSettings {
            username: SecretString::from(HOOK_USER),
            password: SecretString::from(HOOK_PASSWORD),
        }),
        brevo: Some(BasicAuthSettings {
            username: SecretString::from(HOOK_USER),
            password: SecretString::from(HOOK_PASSWORD),
        }),
        ..Default::default()
    };
    edit(&mut webhooks);
    let registry = Registry::from_settings(&webhooks).expect("test webhook settings");
    let settings = HttpSettings {
        signer: Signer::new(SECRET),
        erasure_key: rapport::privacy::AddressKey::new(b"test-erasure-key"),
        api_keys: vec![
            SecretString::from(API_KEY),
            SecretString::from("another-key"),
        ],
        default_locale: rapport::domain::Locale::parse("en").unwrap(),
        default_timezone: rapport::domain::Timezone::parse("UTC").unwrap(),
        margin_ratio: 0.3,
        base_currency: rapport::domain::Currency::parse("EUR").unwrap(),
        currency_rates: Default::default(),
        sns_auto_confirm: false,
        input: Default::default(),
        consent: Default::default(),
    };
    (settings, registry)
}

pub async fn app(db: support::TestDb) -> App {
    let state = state(db.store.clone());
    App {
        router: rapport::http::router(state.clone()),
        state,
        db,
        signer: Signer::new(SECRET),
    }
}

/// [`app`] with the webhook settings changed by `edit` (e.g. Postmark configured).
pub async fn app_with_webhooks(
    db: support::TestDb,
    edit: impl FnOnce(&mut WebhookSettings),
) -> App {
    let (settings, registry) = settings_with(edit);
    let state = AppState::new(db.store.clone(), settings, registry);
    App {
        router: rapport::http::router(state.clone()),
        state,
        db,
        signer: Signer::new(SECRET),
    }
}

/// [`app`] with the HTTP settings changed by `edit` (e.g. double opt-in on).
pub async fn app_with(db: support::TestDb, edit: impl FnOnce(&mut HttpSettings)) -> App {
    let (mut settings, registry) = settings();
    edit(&mut settings);
    let state = AppState::new(db.store.clone(), settings, registry);
    App {
        router: rapport::http::router(state.clone()),
        state,
        db,
        signer: Signer::new(SECRET),
    }
}

/// One app per backend (SQLite always, PostgreSQL with RAPPORT_TEST_DATABASE_URL).
pub async fn apps() -> Vec<App> {
    let mut out = Vec::new();
    for db in support::all_backends().await {
        out.push(app(db).await);
    }
    out
}

/// An hour ago: opens after this are human by the timing rule.
pub fn an_hour_ago() -> DateTime<Utc> {
    Utc::now() - TimeDelta::hours(1)
}

pub fn path_of(url: &str) -> &str {
    url.find("/t/")
        .or_else(|| url.find("/u/"))
        .or_else(|| url.find("/s/"))
        .or_else(|| url.find("/p/"))
        .map_or(url, |i| &url[i..])
}

/// Mailgun's `signature` object for `token`, signed now with the test key.
pub fn mailgun_signature(token: &str) -> Value {
    use hmac::{KeyInit, Mac};
    let timestamp = Utc::now().timestamp().to_string();
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(MAILGUN_KEY.as_bytes()).unwrap();
    mac.update(timestamp.as_bytes());
    mac.update(token.as_bytes());
    let signature: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    json!({"timestamp": timestamp, "token": token, "signature": signature})
}

/// A Mailgun webhook body around `event_data`, signed now with the test key and a new token.
pub fn mailgun_body(event_data: Value) -> String {
    let token = Uuid::new_v4().simple().to_string();
    json!({"signature": mailgun_signature(&token), "event-data": event_data}).to_string()
}
