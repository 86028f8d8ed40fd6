//! HTTP errors map to statuses here and nowhere else. Bodies are `{"error": "…"}` and never
//! carry internals: database errors are logged and answered with a generic message.

use axum::Json;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Item problems listed in one answer at most.
const MAX_PROBLEMS: usize = 100;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The request is not what the route takes (malformed JSON, bad item, bad field).
    #[error("{0}")]
    BadRequest(String),
    /// Well-formed, but items do not validate: `item N: field: problem`, first first.
    #[error("{}", .0.first().map(String::as_str).unwrap_or("invalid item"))]
    Invalid(Vec<String>),
    #[error("missing or wrong API key")]
    Unauthorized,
    #[error("not found")]
    NotFound,
    #[error("request body is larger than 1 MiB")]
    TooLarge,
    /// A body that is not declared as JSON where JSON is required.
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// A webhook refused by its provider's rules; the status comes from the provider layer.
    #[error("{message}")]
    Webhook { status: StatusCode, message: String },
    /// The database is unavailable or failed. Logged with its cause; answered as 503 so
    /// that callers (providers, integrators) retry.
    #[error("temporarily unavailable, try again")]
    Unavailable(#[source] crate::store::StoreError),
}

impl ApiError {
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Unauthorized => StatusCode::UNAUTHORIZED,
            ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Webhook { status, .. } => *status,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }
}

impl From<crate::store::StoreError> for ApiError {
    fn from(e: crate::store::StoreError) -> Self {
        ApiError::Unavailable(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let ApiError::Unavailable(cause) = &self {
            tracing::error!(error = %cause, "Database call failed; answered 503.");
        }
        if let ApiError::Invalid(problems) = &self {
            let listed = &problems[..problems.len().min(MAX_PROBLEMS)];
            let body = serde_json::json!({"error": self.to_string(), "errors": listed});
            return (self.status(), Json(body)).into_response();
        }
        json_error(self.status(), &self.to_string())
    }
}

pub fn json_error(status: StatusCode, message: &str) -> Response {
    (status, Json(serde_json::json!({ "error": message }))).into_response()
}

/// Errors produced outside our handlers (unknown route, wrong method, a rejected extractor,
/// the timeout layer) come as plain text or an empty body; answer them as JSON too, with
/// the status's own wording so that no extractor internals leak.
pub async fn json_errors(req: Request, next: Next) -> Response {
    let res = next.run(req).await;
    let status = res.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return res;
    }
    let plain = match res.headers().get(header::CONTENT_TYPE) {
        None => true,
        Some(v) => v.as_bytes().starts_with(b"text/plain"),
    };
    if !plain {
        return res;
    }
    let message = match status {
        StatusCode::PAYLOAD_TOO_LARGE => "request body is larger than 1 MiB",
        StatusCode::REQUEST_TIMEOUT => "request timed out",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported content type",
        s => s.canonical_reason().unwrap_or("error"),
    };
    let mut out = json_error(status, message);
    // Keep headers such as `Allow` on a 405.
    for (name, value) in res.headers() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            out.headers_mut().insert(name.clone(), value.clone());
        }
    }
    out
}

/// `Cache-Control` for every answer that must not be cached by a proxy.
pub const NO_STORE: HeaderValue =
    HeaderValue::from_static("no-store, no-cache, must-revalidate, max-age=0");
