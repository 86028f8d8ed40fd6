//! The report's per-delivery engagement rollup, kept by every path that stores events with a
//! delivery (tracking hits through the buffer, the customer pages, provider webhooks), agrees
//! with a recount of the events — on both backends.

mod http_common;
mod support;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use http_common::*;
use rapport::report::ReportFilter;
use serde_json::Value;

fn mailgun_event(id: &str) -> Value {
    let all: Value = serde_json::from_slice(
        &std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/webhooks/mailgun_events.json"
        ))
        .unwrap(),
    )
    .unwrap();
    all["samples"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == id)
        .unwrap()["payload"]["event-data"]
        .clone()
}

#[tokio::test]
async fn tracking_hits_pages_and_webhooks_keep_the_rollup_equal_to_the_events() {
    for app in apps().await {
        let backend = app.db.backend;
        app.customer("c1", "c1@example.com", "en").await;
        app.customer("c2", "c2@example.com", "en").await;
        app.customer("c9", "someone-else@example.com", "en").await;
        // All three are satisfaction-survey emails.
        // The last link is the renderer's hidden honeypot: a click on it is a scanner's.
        let d1 = app
            .delivery(
                "c1",
                &["https://shop.example/a", "https://shop.example/"],
                an_hour_ago(),
            )
            .await;
        let d2 = app.delivery("c2", &[], an_hour_ago()).await;
        // c9's email, and the provider's hard bounce naming its Message-ID.
        let d9 = app.delivery("c9", &[], an_hour_ago()).await;
        let mut bounce = mailgun_event("mailgun.anymail.test_failed_permanent_event");
        bounce["message"]["headers"]["message-id"] = format!("{d9}@shop.example").into();

        // d1: a human open (twice) and click; d2: only an image proxy's open.
        for _ in 0..2 {
            app.send(
                Request::get(format!("/t/o/{}", app.signer.sign_open(d1)))
                    .header("user-agent", BROWSER)
                    .body(Body::empty())
                    .unwrap(),
            )
            .await;
        }
        app.send(
            Request::get(format!("/t/c/{}", app.signer.sign_click(d1, 0)))
                .header("user-agent", BROWSER)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
        app.send(
            Request::get(format!("/t/o/{}", app.signer.sign_open(d2)))
                .header(
                    "user-agent",
                    "Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)",
                )
                .body(Body::empty())
                .unwrap(),
        )
        .await;
        app.state.events().flush().await;
        // d1 answers 3, then 9; d2 answers 10 and unsubscribes.
        for uri in [
            format!("/s/{}?score=3", app.signer.sign_survey(d1)),
            format!("/s/{}?score=9", app.signer.sign_survey(d1)),
            format!("/s/{}?score=10", app.signer.sign_survey(d2)),
        ] {
            assert_eq!(app.get(&uri).await.0, StatusCode::OK);
        }
        let (status, _, _) = app
            .post(
                &format!("/u/{}", app.signer.sign_unsubscribe(d2)),
                "application/x-www-form-urlencoded",
                "List-Unsubscribe=One-Click",
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        // The provider's hard bounce for c9's email, delivered twice.
        for _ in 0..2 {
            let (status, _, _) = app
                .post(
                    "/webhooks/mailgun",
                    "application/json",
                    mailgun_body(bounce.clone()),
                )
                .await;
            assert_eq!(status, StatusCode::OK);
        }

        let filter = ReportFilter::all(chrono::TimeDelta::days(7), "EUR");
        let maintained = app.store().report(&filter).await.unwrap();
        assert_eq!(maintained.len(), 1, "{backend}");
        let l = &maintained[0];
        assert_eq!(
            (l.sent, l.opened, l.opened_all, l.clicked),
            (3, 1, 2, 1),
            "{backend}"
        );
        assert_eq!((l.unsubscribed, l.bounced), (1, 1), "{backend}");
        assert_eq!(
            (l.survey_answers, l.survey_average),
            (2, Some(9.5)),
            "{backend}: d1's latest answer (9) and d2's 10"
        );
        support::recount_engagement(&app.db).await;
        assert_eq!(
            app.store().report(&filter).await.unwrap(),
            maintained,
            "{backend}: the rollup equals a recount of the events"
        );
    }
}
