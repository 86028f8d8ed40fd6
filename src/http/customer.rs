//! What customers do from an email besides opening and clicking: answer the survey (`/s`),
//! accept the partnership invitation (`/p`); the unsubscribe link's page is `preferences`. Each write is durable before
//! the page is answered.

use super::AppState;
use super::pages::{self, Lang};
use super::track::user_agent;
use crate::ingest::action;
use crate::ingest::{Batch, IngestError};
use crate::store::TrackedDelivery;
use crate::tracking::Purpose;
use axum::body::Bytes;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use chrono::Utc;

/// Longest survey comment kept, in characters.
pub const MAX_COMMENT: usize = 2_000;

/// The delivery behind a verified token, or the page to answer instead.
pub(super) async fn delivery(
    s: &AppState,
    purpose: Purpose,
    token: Result<Path<String>, PathRejection>,
) -> Result<TrackedDelivery, Response> {
    let Some(p) = token
        .ok()
        .and_then(|Path(t)| s.inner.signer.verify(purpose, &t))
    else {
        return Err(pages::invalid_link());
    };
    match s.store().tracked_deliveries(&[p.delivery_id]).await {
        Ok(mut found) => found.remove(&p.delivery_id).ok_or_else(pages::invalid_link),
        Err(e) => {
            tracing::error!(error = %e, delivery_id = %p.delivery_id, "Delivery lookup failed.");
            Err(pages::try_later(Lang::En))
        }
    }
}

/// Stores a customer's action through [`crate::ingest`]; returns how many events were new.
pub(super) async fn store(s: &AppState, batch: &Batch) -> Result<u64, IngestError> {
    let applied = crate::ingest::apply(&**s.store(), &s.ingest_rules(), batch, Utc::now()).await?;
    Ok(applied.new_events)
}

fn count(kind: &'static str, n: u64) {
    ::metrics::counter!(super::metrics::EVENTS_IN, "kind" => kind, "source" => "page").increment(n);
}

fn parse_score(v: Option<&str>) -> Option<u8> {
    v?.trim().parse::<u8>().ok().filter(|s| *s <= 10)
}

/// `GET /s/{token}?score=N`: records the answer, then thanks with a comment form.
pub async fn survey_answer(
    State(s): State<AppState>,
    token: Result<Path<String>, PathRejection>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let d = match delivery(&s, Purpose::Survey, token).await {
        Ok(d) => d,
        Err(page) => return page,
    };
    let lang = Lang::of(&d.locale);
    let query = query.unwrap_or_default();
    let score = url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "score")
        .map(|(_, v)| v.into_owned());
    let Some(score) = parse_score(score.as_deref()) else {
        return pages::bad_score(lang);
    };
    let answer = action::survey(&d, score, None, user_agent(&headers).as_deref(), Utc::now());
    match store(&s, &answer).await {
        Ok(n) => count("survey_response", n),
        Err(e) => {
            tracing::error!(error = %e, delivery_id = %d.id, "Survey answer not stored.");
            return pages::try_later(lang);
        }
    }
    tracing::info!(delivery_id = %d.id, customer_id = %d.customer_id, score, "Survey answered.");
    pages::survey_thanks(lang, score)
}

/// `POST /s/{token}` with `score` and `comment` (the thank-you page's form): the comment is
/// added to that answer (recorded now if the GET never reached us).
pub async fn survey_comment(
    State(s): State<AppState>,
    token: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let d = match delivery(&s, Purpose::Survey, token).await {
        Ok(d) => d,
        Err(page) => return page,
    };
    let lang = Lang::of(&d.locale);
    let (mut score, mut comment) = (None, String::new());
    for (k, v) in url::form_urlencoded::parse(&body) {
        match &*k {
            "score" => score = Some(v.into_owned()),
            "comment" => comment = v.into_owned(),
            _ => {}
        }
    }
    let Some(score) = parse_score(score.as_deref()) else {
        return pages::bad_score(lang);
    };
    let comment: String = comment
        .trim()
        .chars()
        .filter(|c| !c.is_control() || *c == '\n')
        .take(MAX_COMMENT)
        .collect();
    if comment.is_empty() {
        return pages::comment_thanks(lang);
    }
    let now = Utc::now();
    let answer = action::survey(
        &d,
        score,
        Some(&comment),
        user_agent(&headers).as_deref(),
        now,
    );
    let stored =
        action::survey_comment(&**s.store(), &s.ingest_rules(), &answer, &comment, now).await;
    if let Err(e) = stored {
        tracing::error!(error = %e, delivery_id = %d.id, "Survey comment not stored.");
        return pages::try_later(lang);
    }
    tracing::info!(delivery_id = %d.id, customer_id = %d.customer_id, score, "Survey comment added.");
    pages::comment_thanks(lang)
}

/// `GET /p/{token}`: the customer accepts the partnership invitation.
pub async fn partnership(
    State(s): State<AppState>,
    token: Result<Path<String>, PathRejection>,
    headers: HeaderMap,
) -> Response {
    let d = match delivery(&s, Purpose::Partnership, token).await {
        Ok(d) => d,
        Err(page) => return page,
    };
    let lang = Lang::of(&d.locale);
    let accepted = action::partnership(&d, user_agent(&headers).as_deref(), Utc::now());
    match store(&s, &accepted).await {
        Ok(n) => count("partnership_accepted", n),
        Err(e) => {
            tracing::error!(error = %e, delivery_id = %d.id, "Partnership acceptance not stored.");
            return pages::try_later(lang);
        }
    }
    tracing::info!(delivery_id = %d.id, customer_id = %d.customer_id, "Partnership accepted.");
    pages::partnership_thanks(lang)
}
