//! `/api/v1/*`: bearer keys, the import's validation with item indexes, all or nothing per
//! request; and the hardening every route shares (body limit, JSON errors, health, metrics).

mod http_common;
mod support;

use axum::http::{StatusCode, header};
use http_common::*;
use serde_json::json;

#[tokio::test]
async fn a_missing_or_wrong_api_key_is_401_and_stores_nothing() {
    for app in apps().await {
        let body = json!({"id": "c1", "email": "c1@example.com"}).to_string();
        for key in [
            None,
            Some("wrong-key"),
            Some(""),
            Some("test-api-key-012345678"),
        ] {
            let (status, json) = app.api("/api/v1/customers", key, body.clone()).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{key:?}");
            assert!(json["error"].is_string());
        }
        assert_eq!(
            app.store().counts().await.unwrap().customers,
            0,
            "{}",
            app.db.backend
        );
        // Both configured keys work.
        for key in [API_KEY, "another-key"] {
            let (status, _) = app.api("/api/v1/customers", Some(key), body.clone()).await;
            assert_eq!(status, StatusCode::OK);
        }
    }
}

#[tokio::test]
async fn customers_orders_and_events_are_stored_from_an_object_or_an_array() {
    for app in apps().await {
        let (status, json) = app
            .api(
                "/api/v1/customers",
                Some(API_KEY),
                json!([{"id": "c1", "email": "c1@example.com", "locale": "fa"},
                       {"id": "c2", "email": "c2@example.com"}])
                .to_string(),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{json}");
        assert_eq!(json["written"], 2);
        let (status, json) = app
            .api(
                "/api/v1/orders",
                Some(API_KEY),
                json!({"id": "o1", "customer_id": "c1", "occurred_at": "2026-11-20T10:00:00Z",
                       "amount": 120.5, "currency": "EUR"})
                .to_string(),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{json}");
        let event = json!({"id": "e1", "customer_id": "c2", "kind": "survey_response",
                           "occurred_at": "2026-11-21T10:00:00Z", "data": {"score": 8}});
        let (status, _) = app
            .api("/api/v1/events", Some(API_KEY), event.to_string())
            .await;
        assert_eq!(status, StatusCode::OK);
        let (status, json) = app
            .api("/api/v1/events", Some(API_KEY), event.to_string())
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(
            (json["written"].as_u64(), json["unchanged"].as_u64()),
            (Some(0), Some(1))
        );
        let counts = app.store().counts().await.unwrap();
        assert_eq!(
            (counts.customers, counts.orders, counts.events),
            (2, 1, 1),
            "{}",
            app.db.backend
        );
    }
}

#[tokio::test]
async fn a_bad_item_is_named_by_its_index_and_nothing_of_the_request_is_stored() {
    for app in apps().await {
        let (status, json) = app
            .api(
                "/api/v1/customers",
                Some(API_KEY),
                json!([{"id": "c1", "email": "c1@example.com"},
                       {"id": "c2", "email": "c2@example.com"},
                       {"id": "c3", "email": "c3@example.com"},
                       {"id": "c4", "email": "not-an-address"}])
                .to_string(),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        let error = json["error"].as_str().unwrap();
        assert!(error.starts_with("item 3: email: "), "{error}");
        assert_eq!(
            app.store().counts().await.unwrap().customers,
            0,
            "{}",
            app.db.backend
        );

        // An order for an unknown customer: the whole request is rolled back.
        app.api(
            "/api/v1/customers",
            Some(API_KEY),
            json!({"id": "c1", "email": "c1@example.com"}).to_string(),
        )
        .await;
        let (status, json) = app
            .api(
                "/api/v1/orders",
                Some(API_KEY),
                json!([{"id": "o1", "customer_id": "c1", "occurred_at": "2026-11-20T10:00:00Z", "amount": 10, "currency": "EUR"},
                       {"id": "o2", "customer_id": "ghost", "occurred_at": "2026-11-20T10:00:00Z", "amount": 10, "currency": "EUR"}])
                .to_string(),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            json["error"]
                .as_str()
                .unwrap()
                .starts_with("item 1: customer_id: unknown customer"),
            "{json}"
        );
        assert_eq!(app.store().counts().await.unwrap().orders, 0);

        let (status, json) = app
            .api(
                "/api/v1/events",
                Some(API_KEY),
                json!([{"customer_id": "c1", "kind": "survey_response", "occurred_at": "2026-11-20T10:00:00Z", "data": {"score": 14}}])
                    .to_string(),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(
            json["error"]
                .as_str()
                .unwrap()
                .starts_with("item 0: data.score"),
            "{json}"
        );
    }
}

#[tokio::test]
async fn malformed_json_is_a_400_with_a_json_error() {
    for app in apps().await {
        for body in ["{\"id\": ", "not json", "42", "[1, 2]"] {
            let (status, json) = app.api("/api/v1/customers", Some(API_KEY), body).await;
            assert!(
                status == StatusCode::BAD_REQUEST || status == StatusCode::UNPROCESSABLE_ENTITY,
                "{body}: {status}"
            );
            assert!(json["error"].is_string(), "{body}");
        }
        let (status, _) = app
            .api("/api/v1/customers", Some(API_KEY), "{\"id\": ")
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
    }
}

#[tokio::test]
async fn a_body_over_one_mebibyte_is_413_with_a_json_error() {
    let app = app(support::sqlite().await).await;
    let big = format!(
        "[{}]",
        vec!["{\"id\": \"x\", \"email\": \"x@example.com\"}"; 30_000].join(",")
    );
    assert!(big.len() > 1 << 20);
    for path in ["/api/v1/customers", "/webhooks/sendgrid"] {
        let (status, json) = app.api(path, Some(API_KEY), big.clone()).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{path}");
        assert!(
            json["error"].as_str().unwrap().contains("1 MiB"),
            "{path}: {json}"
        );
    }
    assert_eq!(app.store().counts().await.unwrap().customers, 0);
}

#[tokio::test]
async fn unknown_routes_and_methods_answer_json_errors() {
    let app = app(support::sqlite().await).await;
    let (status, headers, body) = app.get("/nope").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(headers[header::CONTENT_TYPE], "application/json");
    assert!(String::from_utf8_lossy(&body).contains("\"error\""));
    let (status, headers, body) = app.get("/api/v1/customers").await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(headers[header::CONTENT_TYPE], "application/json");
    assert!(String::from_utf8_lossy(&body).contains("\"error\""));
}

#[tokio::test]
async fn healthz_is_200_while_the_database_answers() {
    for app in apps().await {
        let (status, _, _) = app.get("/healthz").await;
        assert_eq!(status, StatusCode::OK, "{}", app.db.backend);
    }
}

#[tokio::test]
async fn metrics_are_prometheus_text_with_latencies_and_queue_depth() {
    let app = app(support::sqlite().await).await;
    app.get("/healthz").await;
    app.get("/t/o/bad").await;
    let (status, headers, body) = app.get("/metrics").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let text = String::from_utf8_lossy(&body);
    for name in [
        "rapport_http_request_duration_seconds_bucket",
        "rapport_queue_depth",
        "rapport_emails_sent_total",
        "route=\"/t/o/{token}\"",
    ] {
        assert!(text.contains(name), "{name} missing from:\n{text}");
    }
    // Tokens never become label values.
    assert!(!text.contains("/t/o/bad"));
}
