//! `GET /dashboard`: behind the API keys, English and Persian.

mod support;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use tower::ServiceExt;

async fn get(app: axum::Router, uri: &str, auth: Option<&str>) -> (StatusCode, String) {
    let mut req = Request::get(uri);
    if let Some(a) = auth {
        req = req.header(header::AUTHORIZATION, a);
    }
    let res = app.oneshot(req.body(Body::empty()).unwrap()).await.unwrap();
    let status = res.status();
    let body = axum::body::to_bytes(res.into_body(), 1 << 22)
        .await
        .unwrap();
    (status, String::from_utf8_lossy(&body).into_owned())
}

#[tokio::test]
async fn dashboard_needs_an_api_key_and_speaks_english_and_persian() {
    let db = support::sqlite().await;
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/config/rapport.toml");
    let cfg = rapport::config::load_str(
        path,
        &std::fs::read_to_string(path).unwrap(),
        &[(
            "RAPPORT__SECURITY__API_KEYS".into(),
            "[\"dash-key-1\"]".into(),
        )],
    )
    .unwrap();
    let state = rapport::http::AppState::from_config(&cfg, db.store.clone()).unwrap();
    let app = rapport::http::router(state);
    let (status, _) = get(app.clone(), "/dashboard", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, _) = get(app.clone(), "/dashboard", Some("Bearer wrong")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, html) = get(app.clone(), "/dashboard", Some("Bearer dash-key-1")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("<svg"), "the funnel is drawn as inline SVG");
    // The shipped campaigns run no experiment: the section says how to start one.
    assert!(
        html.contains(r#"<section id="experiments">"#) && html.contains("No experiment running"),
        "{html}"
    );
    let (status, html) = get(app, "/dashboard?lang=fa", Some("Bearer dash-key-1")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("dir=\"rtl\""));
    assert!(html.contains("آزمایشی در جریان نیست"), "{html}");
}

#[tokio::test]
async fn with_the_shipped_configuration_the_dashboard_says_how_to_set_a_key() {
    // config/rapport.toml ships `api_keys = []`: a bare 401 left newcomers stuck.
    let db = support::sqlite().await;
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/config/rapport.toml");
    let cfg =
        rapport::config::load_str(path, &std::fs::read_to_string(path).unwrap(), &[]).unwrap();
    assert!(cfg.security.api_keys.is_empty());
    let state = rapport::http::AppState::from_config(&cfg, db.store.clone()).unwrap();
    let (status, body) = get(rapport::http::router(state), "/dashboard", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(body.contains("none is configured"), "{body}");
    assert!(body.contains("RAPPORT__SECURITY__API_KEYS"), "{body}");
}

#[tokio::test]
async fn a_complaint_posted_through_the_api_is_queued_for_notify_endpoints() {
    let db = support::sqlite().await;
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/config/rapport.toml");
    let text = format!(
        "{}\n[[notify]]\nname = \"crm\"\nurl = \"http://127.0.0.1:9/hook\"\nevents = [\"complaint\"]\n",
        std::fs::read_to_string(path).unwrap()
    );
    let cfg = rapport::config::load_str(
        path,
        &text,
        &[("RAPPORT__SECURITY__API_KEYS".into(), "[\"k\"]".into())],
    )
    .unwrap();
    let app = rapport::http::router(
        rapport::http::AppState::from_config(&cfg, db.store.clone()).unwrap(),
    );
    let post = |uri: &str, body: &str| {
        Request::post(uri)
            .header(header::AUTHORIZATION, "Bearer k")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string()))
            .unwrap()
    };
    let res = app
        .clone()
        .oneshot(post(
            "/api/v1/customers",
            r#"{"id":"c1","email":"c1@example.com"}"#,
        ))
        .await
        .unwrap();
    assert!(res.status().is_success(), "{}", res.status());
    let click = r#"{"customer_id":"c1","kind":"email_click","occurred_at":"2026-11-25T09:00:00Z"}"#;
    let res = app
        .clone()
        .oneshot(post("/api/v1/events", click))
        .await
        .unwrap();
    assert!(res.status().is_success());
    assert_eq!(
        db.store.notification_counts().await.unwrap().pending,
        0,
        "clicks notify nobody"
    );
    let complaint = r#"{"customer_id":"c1","kind":"complaint","occurred_at":"2026-11-25T09:00:00Z","data":{"text":"broken mug"}}"#;
    let res = app
        .oneshot(post("/api/v1/events", complaint))
        .await
        .unwrap();
    assert!(res.status().is_success());
    assert_eq!(db.store.notification_counts().await.unwrap().pending, 1);
}
