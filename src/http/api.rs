//! `POST /api/v1/customers|orders|events`: the import records over HTTP. A JSON object or
//! an array of them, the same fields and validation as `rapport import`; all or nothing per
//! request, committed before the answer. Errors name the index of the bad item.

use super::AppState;
use super::error::ApiError;
use crate::domain::{CustomerRecord, EventKind, EventRecord, OrderRecord};
use crate::import::{RecordDefaults, Row, RowErrors};
use crate::ingest::consent::Origin;
use crate::ingest::records;
use crate::store::{ImportTx, UpsertCounts};
use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

fn authorize(s: &AppState, headers: &HeaderMap) -> Result<(), ApiError> {
    api_key_id(s, headers).map(drop)
}

/// The caller's API key, named by its fingerprint (the first 8 bytes of its SHA-256, in
/// hex) — what the erasure log records as who asked, never the key itself.
pub(super) fn api_key_id(s: &AppState, headers: &HeaderMap) -> Result<String, ApiError> {
    let given = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            let (scheme, key) = v.trim().split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| key.trim())
        })
        .filter(|k| !k.is_empty())
        .ok_or(ApiError::Unauthorized)?;
    let given: [u8; 32] = Sha256::digest(given.as_bytes()).into();
    // Compare against every key without stopping early.
    let ok = s
        .inner
        .api_keys
        .iter()
        .fold(subtle::Choice::from(0), |acc, k| acc | k.ct_eq(&given));
    if bool::from(ok) {
        let id: String = given[..8].iter().map(|b| format!("{b:02x}")).collect();
        Ok(format!("api-key:{id}"))
    } else {
        Err(ApiError::Unauthorized)
    }
}

/// The request's media type without parameters, lower-cased (`application/json`).
pub(super) fn content_type(headers: &HeaderMap) -> Option<String> {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        })
}

/// `/api/v1/*` bodies are JSON and say so: `application/json` (parameters such as
/// `charset` allowed) or a `+json` type. Anything else is 415, before the body is read, so
/// that a form post or a CSV upload is not half-understood.
fn require_json(headers: &HeaderMap) -> Result<(), ApiError> {
    match content_type(headers).as_deref() {
        Some("application/json") => Ok(()),
        Some(t) if t.starts_with("application/") && t.ends_with("+json") => Ok(()),
        Some(t) => Err(ApiError::UnsupportedMediaType(format!(
            "Content-Type `{t}` is not accepted: send application/json"
        ))),
        None => Err(ApiError::UnsupportedMediaType(
            "Content-Type is missing: send application/json".into(),
        )),
    }
}

/// A body that could not be read: too large (413), or cut off.
pub(super) fn items_error(r: BytesRejection) -> ApiError {
    match r.status() {
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::TooLarge,
        _ => ApiError::BadRequest("could not read the request body".into()),
    }
}

/// The request body as a list of JSON objects.
pub(super) fn items(
    body: Result<Bytes, BytesRejection>,
) -> Result<Vec<Map<String, Value>>, ApiError> {
    let body = body.map_err(items_error)?;
    let value: Value = serde_json::from_slice(&body)
        .map_err(|e| ApiError::BadRequest(format!("malformed JSON: {e}")))?;
    match value {
        Value::Object(o) => Ok(vec![o]),
        Value::Array(list) => list
            .into_iter()
            .enumerate()
            .map(|(i, v)| match v {
                Value::Object(o) => Ok(o),
                _ => Err(ApiError::Invalid(vec![format!(
                    "item {i}: expected a JSON object"
                )])),
            })
            .collect(),
        _ => Err(ApiError::BadRequest(
            "expected a JSON object or an array of objects".into(),
        )),
    }
}

/// Every item parsed, or a 422 naming the bad items by index.
fn parse_all<T>(
    items: &[Map<String, Value>],
    defaults: &RecordDefaults,
    parse: impl Fn(&Row, &RecordDefaults) -> Result<T, RowErrors>,
) -> Result<Vec<T>, ApiError> {
    let mut good = Vec::with_capacity(items.len());
    let mut problems = Vec::new();
    for (i, item) in items.iter().enumerate() {
        match parse(&Row::new(item), defaults) {
            Ok(r) => good.push(r),
            Err(errors) => problems.extend(errors.iter().map(|e| format!("item {i}: {e}"))),
        }
    }
    if problems.is_empty() {
        Ok(good)
    } else {
        Err(ApiError::Invalid(problems))
    }
}

fn stored(received: usize, c: UpsertCounts) -> Response {
    Json(json!({"received": received, "written": c.written, "unchanged": c.unchanged}))
        .into_response()
}

/// Orders and events must name existing customers; the unknown ones are reported by index.
async fn check_customers(
    tx: &mut dyn ImportTx,
    ids: impl Iterator<Item = &str>,
) -> Result<(), ApiError> {
    let ids: Vec<&str> = ids.collect();
    let found = records::existing_customers(tx, ids.iter().copied()).await?;
    let problems: Vec<String> = ids
        .iter()
        .enumerate()
        .filter(|(_, id)| !found.contains(**id))
        .map(|(i, id)| {
            format!("item {i}: customer_id: unknown customer `{id}` (create the customer first)")
        })
        .collect();
    if problems.is_empty() {
        Ok(())
    } else {
        Err(ApiError::Invalid(problems))
    }
}

/// The request's items parsed into records, or the error to answer (401, 415, 400, 422).
fn parsed<T>(
    s: &AppState,
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
    now: DateTime<Utc>,
    parse: impl Fn(&Row, &RecordDefaults) -> Result<T, RowErrors>,
) -> Result<(usize, Vec<T>), ApiError> {
    authorize(s, headers)?;
    require_json(headers)?;
    let items = items(body)?;
    let rows = parse_all(&items, &s.record_defaults(now), parse)?;
    Ok((items.len(), rows))
}

pub async fn customers(
    State(s): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let now = Utc::now();
    let (received, rows) = parsed(&s, &headers, body, now, CustomerRecord::parse)?;
    let mut tx = s.store().begin_import().await?;
    let origin = Origin {
        source: crate::domain::consent::source::API,
        client: None,
        double_opt_in: s.inner.consent.double_opt_in,
        creation_is_consent: true,
        wording: s.inner.consent.wording_version.as_deref(),
    };
    let counts = records::customers(&mut *tx, &s.inner.erasure_key, rows, &origin, now).await?;
    tx.commit().await?;
    tracing::info!(received, written = counts.written, "API stored customers.");
    Ok(stored(received, counts))
}

pub async fn orders(
    State(s): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let now = Utc::now();
    let (received, rows) = parsed(&s, &headers, body, now, OrderRecord::parse)?;
    let mut tx = s.store().begin_import().await?;
    // On error the transaction is dropped, which rolls it back.
    check_customers(&mut *tx, rows.iter().map(|o| o.customer_id.as_str())).await?;
    let counts = records::orders(&mut *tx, rows, now).await?;
    tx.commit().await?;
    tracing::info!(received, written = counts.written, "API stored orders.");
    Ok(stored(received, counts))
}

pub async fn events(
    State(s): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let now = Utc::now();
    let (received, rows) = parsed(&s, &headers, body, now, EventRecord::parse)?;
    // Custom kinds share one label: integrators choose their names freely.
    let kinds: Vec<String> = rows
        .iter()
        .map(|r| match r.kind {
            EventKind::Custom(_) => "custom".to_string(),
            ref k => k.name().to_string(),
        })
        .collect();
    let mut tx = s.store().begin_import().await?;
    check_customers(&mut *tx, rows.iter().map(|e| e.customer_id.as_str())).await?;
    // The notifications for complaints, answers, partnerships and unsubscribes commit with
    // the events.
    let counts = records::events(&mut *tx, &s.ingest_rules(), rows, now).await?;
    tx.commit().await?;
    for kind in kinds {
        ::metrics::counter!(super::metrics::EVENTS_IN, "kind" => kind, "source" => "api")
            .increment(1);
    }
    tracing::info!(received, written = counts.written, "API stored events.");
    Ok(stored(received, counts))
}

/// `GET /api/v1/customers/{id}/consent`: the customer's consent log, oldest first, and the
/// consent state on their row (absent once the customer is forgotten: the log stays). 404
/// when there is neither. The log has no route that changes it.
pub async fn consent(
    State(s): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    authorize(&s, &headers)?;
    let log = s.store().consent_log(&id).await?;
    let state = s.store().customer_consent(&id).await?;
    if log.is_empty() && state.is_none() {
        return Err(ApiError::NotFound);
    }
    Ok(Json(json!({
        "customer_id": id,
        "entries": log,
        "pending_confirmation": state.as_ref().map(|c| c.pending),
        "left_topics": state.map(|c| c.left_topics),
    }))
    .into_response())
}
