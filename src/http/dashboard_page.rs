//! `GET /dashboard`, the HTTP side of the dashboard: authorization, language, headers.

use super::{AppState, error};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::Utc;

/// `GET /dashboard`: the marketer's one-page overview, behind the API keys (Bearer, or Basic
/// with a key as the password so a browser's login prompt works); `?lang=fa` for Persian.
pub(super) async fn dashboard_page(
    State(s): State<AppState>,
    axum::extract::Query(q): axum::extract::Query<std::collections::HashMap<String, String>>,
    headers: axum::http::HeaderMap,
) -> Response {
    use crate::dashboard;
    let Some(cfg) = s.config().cloned() else {
        return error::json_error(StatusCode::NOT_FOUND, "not found");
    };
    let header =
        |name: axum::http::header::HeaderName| headers.get(name).and_then(|v| v.to_str().ok());
    if !dashboard::authorized(
        header(axum::http::header::AUTHORIZATION),
        &cfg.security.api_keys,
    ) {
        // Say what to do: with no key configured nobody can log in, whatever they type.
        let message = if cfg.security.api_keys.is_empty() {
            "an API key is required, and none is configured: set security.api_keys (e.g. \
             RAPPORT__SECURITY__API_KEYS='[\"a-key-of-your-choice\"]'), restart, and log in with \
             any user name and the key as the password"
        } else {
            "an API key is required: log in with any user name and one of security.api_keys as \
             the password"
        };
        let mut r = error::json_error(StatusCode::UNAUTHORIZED, message);
        r.headers_mut().insert(
            axum::http::header::WWW_AUTHENTICATE,
            axum::http::HeaderValue::from_static(dashboard::WWW_AUTHENTICATE),
        );
        return r;
    }
    let lang = dashboard::Lang::pick(
        q.get("lang").map(String::as_str),
        header(axum::http::header::ACCEPT_LANGUAGE),
    );
    match dashboard::handler_data(&**s.store(), &cfg, Utc::now()).await {
        Ok(data) => (
            [
                (axum::http::header::CONTENT_TYPE, "text/html; charset=utf-8"),
                (axum::http::header::CACHE_CONTROL, "no-store"),
                (axum::http::header::REFERRER_POLICY, "no-referrer"),
                (axum::http::header::X_FRAME_OPTIONS, "DENY"),
                // Server-rendered with inline SVG and styles, no script at all.
                (
                    axum::http::header::CONTENT_SECURITY_POLICY,
                    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
                ),
            ],
            dashboard::page(&data, lang),
        )
            .into_response(),
        Err(e) => {
            tracing::error!(error = %e, "Dashboard query failed.");
            error::json_error(StatusCode::SERVICE_UNAVAILABLE, "database unavailable")
        }
    }
}
