//! `GET /t/o/{token}` (open pixel) and `GET /t/c/{token}` (click tracker).

use super::buffer::{Hit, HitKind};
use super::{AppState, pages};
use crate::tracking::Purpose;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::Utc;

/// A transparent 1×1 GIF, 43 bytes.
pub const PIXEL: [u8; 43] = [
    0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00, 0x00,
    0xff, 0xff, 0xff, 0x21, 0xf9, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00, 0x2c, 0x00, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x02, 0x44, 0x01, 0x00, 0x3b,
];

pub(super) fn user_agent(headers: &HeaderMap) -> Option<String> {
    headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// Answers the GIF whatever the token: a mail client must never show a broken image or an
/// error page. Only a verified token is recorded, and the database write happens later.
pub async fn open(
    State(s): State<AppState>,
    token: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
) -> Response {
    if let Ok(Path(token)) = token
        && let Some(p) = s.inner.signer.verify(Purpose::Open, &token)
    {
        s.events()
            .push(Hit {
                delivery_id: p.delivery_id,
                at: Utc::now(),
                user_agent: user_agent(&headers),
                what: HitKind::Open,
            })
            .await;
    }
    pixel()
}

pub fn pixel() -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static("image/gif")),
            (header::CACHE_CONTROL, super::error::NO_STORE),
            (header::PRAGMA, HeaderValue::from_static("no-cache")),
            (header::EXPIRES, HeaderValue::from_static("0")),
        ],
        &PIXEL[..],
    )
        .into_response()
}

/// Redirects to the link recorded for this delivery and index — never to anything taken
/// from the request. A token that does not verify, or an index the email did not have, is
/// a 404 page.
pub async fn click(
    State(s): State<AppState>,
    token: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
) -> Response {
    let Some(p) = token
        .ok()
        .and_then(|Path(t)| s.inner.signer.verify(Purpose::Click, &t))
    else {
        return pages::invalid_link();
    };
    let link = p.link.unwrap_or(u16::MAX);
    let delivery = match s.store().tracked_deliveries(&[p.delivery_id]).await {
        Ok(mut found) => found.remove(&p.delivery_id),
        Err(e) => {
            tracing::error!(error = %e, delivery_id = %p.delivery_id, "Click lookup failed.");
            return pages::try_later(pages::Lang::En);
        }
    };
    let Some(d) = delivery else {
        return pages::invalid_link();
    };
    let Some(target) = d.links.get(usize::from(link)).and_then(|t| web_url(t)) else {
        return pages::invalid_link();
    };
    // The renderer appends the hidden honeypot link after every real link, so it is the
    // last one recorded: nobody sees it, so whatever follows it is a scanner.
    let honeypot = usize::from(link) + 1 == d.links.len();
    s.events()
        .push(Hit {
            delivery_id: d.id,
            at: Utc::now(),
            user_agent: user_agent(&headers),
            what: HitKind::Click {
                customer_id: d.customer_id,
                link,
                url: target.to_string(),
                honeypot,
            },
        })
        .await;
    let Ok(location) = HeaderValue::from_str(target.as_str()) else {
        return pages::invalid_link();
    };
    (
        StatusCode::FOUND,
        [
            (header::LOCATION, location),
            (header::CACHE_CONTROL, super::error::NO_STORE),
            // The tracker URL holds a token: do not hand it to the destination.
            (
                header::REFERRER_POLICY,
                HeaderValue::from_static("no-referrer"),
            ),
        ],
    )
        .into_response()
}

/// An http(s) URL, normalised (percent-encoded) so it fits in a header; anything else
/// (`javascript:`, garbage) is never redirected to.
fn web_url(s: &str) -> Option<url::Url> {
    let u = url::Url::parse(s).ok()?;
    matches!(u.scheme(), "http" | "https").then_some(u)
}
