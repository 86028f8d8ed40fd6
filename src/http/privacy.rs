//! `DELETE /api/v1/customers/{id}` (erasure) and `GET /api/v1/customers/{id}/export`: a
//! person's rights over their data, for the shop's own systems (docs/privacy.md). Same
//! bearer keys and JSON errors as the rest of `/api/v1`; an unknown customer is 404.

use super::AppState;
use super::api::api_key_id;
use super::error::ApiError;
use crate::store::Erasure;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use serde_json::json;

/// Erases the customer in one transaction; the erasure log names the API key that asked.
pub async fn forget(
    State(s): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let by = api_key_id(&s, &headers)?;
    let erasure = Erasure {
        customer_id: &id,
        key: &s.inner.erasure_key,
        by: &by,
        at: Utc::now(),
    };
    let erased = s
        .store()
        .erase_customer(erasure)
        .await?
        .ok_or(ApiError::NotFound)?;
    tracing::info!(customer_id = %id, by = %by, "Customer erased.");
    Ok(Json(json!({
        "erased": id,
        "cancelled_emails": erased.cancelled,
    }))
    .into_response())
}

/// Everything held about the customer, as JSON.
pub async fn export(
    State(s): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let by = api_key_id(&s, &headers)?;
    let data = s
        .store()
        .export_customer(&id)
        .await?
        .ok_or(ApiError::NotFound)?;
    tracing::info!(customer_id = %id, by = %by, "Customer data exported.");
    Ok(Json(data).into_response())
}
