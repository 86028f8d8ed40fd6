//! Signing up: `POST /subscribe` (the form a shop embeds, or JSON from its own code) and the
//! confirmation link of double opt-in (`/c/{token}`: GET asks, POST confirms). Every consent
//! given or confirmed here is logged with the request's IP address and user agent.

use super::AppState;
use super::customer::{delivery, store};
use super::error::ApiError;
use super::pages::{self, Lang};
use crate::domain::consent::source;
use crate::domain::{ConsentAction, ConsentEntry, CustomerRecord};
use crate::import::Row;
use crate::ingest::consent::{Client, Origin};
use crate::ingest::{Batch, records};
use crate::store::ConsentChange;
use crate::tracking::Purpose;
use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use serde_json::{Map, Value, json};

/// The fields the sign-up form may send; a form's other fields (a submit button's name) are
/// ignored, a JSON body's are refused.
const FIELDS: &[&str] = &["email", "name", "locale", "consent_wording"];

/// How the request came, and so how to answer: JSON for code, a page for a browser's form.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Shape {
    Json,
    Form,
}

/// The body's fields as JSON values, or the error to answer.
fn fields(headers: &HeaderMap, body: &[u8]) -> Result<(Shape, Map<String, Value>), ApiError> {
    let essence = super::api::content_type(headers).unwrap_or_default();
    match essence.as_str() {
        "application/json" => {
            let Value::Object(map) = serde_json::from_slice(body)
                .map_err(|e| ApiError::BadRequest(format!("malformed JSON: {e}")))?
            else {
                return Err(ApiError::BadRequest("expected a JSON object".into()));
            };
            let unknown: Vec<String> = map
                .keys()
                .filter(|k| !FIELDS.contains(&k.as_str()))
                .map(|k| {
                    format!("{k}: unknown field (expected email, name, locale, consent_wording)")
                })
                .collect();
            if !unknown.is_empty() {
                return Err(ApiError::Invalid(unknown));
            }
            Ok((Shape::Json, map))
        }
        "application/x-www-form-urlencoded" => Ok((
            Shape::Form,
            url::form_urlencoded::parse(body)
                .filter(|(k, v)| FIELDS.contains(&k.as_ref()) && !v.trim().is_empty())
                .map(|(k, v)| (k.into_owned(), Value::from(v.into_owned())))
                .collect(),
        )),
        _ => Err(ApiError::UnsupportedMediaType(
            "send application/x-www-form-urlencoded (an HTML form) or application/json".into(),
        )),
    }
}

/// `POST /subscribe`: `email` (required), `name`, `locale`, `consent_wording`. A new address
/// becomes a customer whose consent is logged as given through the sign-up form; under double
/// opt-in they get the confirmation email and nothing else until they click it. An address
/// already known changes nothing and gets the same answer, so the form tells nobody who is a
/// customer. Answers 202 (JSON) or a page in the sign-up's language (form).
pub async fn subscribe(
    State(s): State<AppState>,
    headers: HeaderMap,
    client: Client,
    body: Bytes,
) -> Response {
    let (shape, mut map) = match fields(&headers, &body) {
        Ok(x) => x,
        Err(e) => return e.into_response(),
    };
    let lang = Lang::of(map.get("locale").and_then(Value::as_str).unwrap_or(""));
    let now = Utc::now();
    // The id is ours: the shop has none for someone who only signed up.
    map.insert(
        "id".into(),
        Value::from(format!("signup-{}", uuid::Uuid::now_v7())),
    );
    let record = match CustomerRecord::parse(&Row::new(&map), &s.record_defaults(now)) {
        Ok(r) => r,
        Err(errors) => {
            let problems: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
            return match shape {
                Shape::Json => ApiError::Invalid(problems).into_response(),
                Shape::Form => pages::bad_signup(lang, &problems),
            };
        }
    };
    let pending = s.inner.consent.double_opt_in;
    match create(&s, record, &client, now).await {
        Ok(()) => {}
        Err(e) => {
            return match shape {
                Shape::Json => e.into_response(),
                Shape::Form => pages::try_later(lang),
            };
        }
    }
    let status = if pending {
        "pending_confirmation"
    } else {
        "subscribed"
    };
    match shape {
        Shape::Json => (StatusCode::ACCEPTED, Json(json!({ "status": status }))).into_response(),
        Shape::Form => pages::signed_up(lang, pending),
    }
}

/// Stores a new sign-up with its consent; an address already known is left as it is.
async fn create(
    s: &AppState,
    record: CustomerRecord,
    client: &Client,
    now: chrono::DateTime<Utc>,
) -> Result<(), ApiError> {
    let known = s
        .store()
        .customers_by_email(&[record.email.as_str().to_string()])
        .await?;
    if !known.is_empty() {
        tracing::info!("Sign-up for an address already known; nothing changed.");
        return Ok(());
    }
    let origin = Origin {
        source: source::SIGNUP_FORM,
        client: Some(client),
        double_opt_in: s.inner.consent.double_opt_in,
        creation_is_consent: true,
        wording: s.inner.consent.wording_version.as_deref(),
    };
    let id = record.id.as_str().to_string();
    let mut tx = s.store().begin_import().await?;
    records::customers(&mut *tx, &s.inner.erasure_key, vec![record], &origin, now).await?;
    tx.commit().await?;
    tracing::info!(customer_id = %id, "Signed up.");
    Ok(())
}

/// `GET /c/{token}`: asks; changes nothing.
pub async fn confirm_page(
    State(s): State<AppState>,
    token: Result<Path<String>, PathRejection>,
) -> Response {
    match delivery(&s, Purpose::Confirm, token).await {
        Ok(d) => pages::confirm_subscription(Lang::of(&d.locale)),
        Err(page) => page,
    }
}

/// `POST /c/{token}`: the customer confirms; logged with the request, once (a second click
/// finds nothing to confirm and says thank you again).
pub async fn confirm(
    State(s): State<AppState>,
    token: Result<Path<String>, PathRejection>,
    client: Client,
) -> Response {
    let d = match delivery(&s, Purpose::Confirm, token).await {
        Ok(d) => d,
        Err(page) => return page,
    };
    let lang = Lang::of(&d.locale);
    let pending = match s.store().customer_consent(&d.customer_id).await {
        Ok(Some(c)) => c.pending,
        // Forgotten meanwhile (unconfirmed for too long): the link is dead.
        Ok(None) => return pages::invalid_link(),
        Err(e) => {
            tracing::error!(error = %e, delivery_id = %d.id, "Consent lookup failed.");
            return pages::try_later(lang);
        }
    };
    if pending {
        let now = Utc::now();
        let entry = ConsentEntry::new(
            &d.customer_id,
            now,
            ConsentAction::Confirmed,
            source::CONFIRMATION_LINK,
        )
        .wording(s.inner.consent.wording_version.as_deref())
        .request(client.ip.as_deref(), client.user_agent.as_deref());
        let batch = Batch {
            consent: vec![entry],
            changes: vec![(d.customer_id.clone(), ConsentChange::Confirmed)],
            ..Batch::default()
        };
        if let Err(e) = store(&s, &batch).await {
            tracing::error!(error = %e, delivery_id = %d.id, "Confirmation not stored.");
            return pages::try_later(lang);
        }
        tracing::info!(customer_id = %d.customer_id, "Subscription confirmed.");
    }
    pages::confirmed(lang)
}
