//! Open pixel and click tracker: answers, redirects only to what was sent, buffered writes
//! flushed on shutdown, machine opens and scanner clicks flagged.

mod http_common;
mod support;

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use chrono::Utc;
use http_common::*;
use rapport::tracking::Signer;

fn tampered(token: &str) -> String {
    // Change one character of the MAC (keep it valid base64url).
    let mut chars: Vec<char> = token.chars().collect();
    let last = chars.len() - 1;
    chars[last] = if chars[last] == 'A' { 'B' } else { 'A' };
    chars.into_iter().collect()
}

#[tokio::test]
async fn the_pixel_answers_a_gif_even_for_a_bad_token_and_records_nothing() {
    for app in apps().await {
        for uri in ["/t/o/garbage", "/t/o/AAAA.BBBB", "/t/o/%FF%FE"] {
            let (status, headers, body) = app.get(uri).await;
            assert_eq!(status, StatusCode::OK, "{uri}");
            assert_eq!(headers[header::CONTENT_TYPE], "image/gif");
            assert_eq!(body.len(), 43);
            assert!(body.starts_with(b"GIF89a"));
            assert!(
                headers[header::CACHE_CONTROL]
                    .to_str()
                    .unwrap()
                    .contains("no-store")
            );
        }
        app.state.events().flush().await;
        assert!(app.events().await.is_empty(), "{}", app.db.backend);
    }
}

#[tokio::test]
async fn an_open_is_recorded_once_the_buffer_is_flushed() {
    for app in apps().await {
        app.customer("c1", "c1@example.com", "en").await;
        let d = app
            .delivery("c1", &["https://shop.example/"], an_hour_ago())
            .await;
        let (status, _, body) = app.get(&format!("/t/o/{}", app.signer.sign_open(d))).await;
        assert_eq!((status, body.len()), (StatusCode::OK, 43));
        app.state.events().flush().await;
        let opens = app.events_of("email_open").await;
        assert_eq!(opens.len(), 1, "{}", app.db.backend);
        assert!(!opens[0].0, "an hour after the send, from a browser: human");
    }
}

#[tokio::test]
async fn opens_right_after_the_send_or_from_an_image_proxy_are_flagged_machine() {
    for app in apps().await {
        app.customer("c1", "c1@example.com", "en").await;
        let fresh = app.delivery("c1", &[], Utc::now()).await;
        app.get(&format!("/t/o/{}", app.signer.sign_open(fresh)))
            .await;
        let old = app.delivery("c1", &[], an_hour_ago()).await;
        app.send(
            Request::get(format!("/t/o/{}", app.signer.sign_open(old)))
                .header(
                    "user-agent",
                    "Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)",
                )
                .body(Body::empty())
                .unwrap(),
        )
        .await;
        app.state.events().flush().await;
        let opens = app.events_of("email_open").await;
        assert_eq!(opens.len(), 2, "{}", app.db.backend);
        assert!(opens.iter().all(|(machine, _)| *machine), "{opens:?}");
    }
}

#[tokio::test]
async fn a_click_redirects_to_the_link_that_was_sent_and_is_recorded() {
    for app in apps().await {
        app.customer("c1", "c1@example.com", "en").await;
        let links = [
            "https://shop.example/a?x=1&y=2",
            "https://shop.example/b",
            "https://shop.example/",
        ];
        let d = app.delivery("c1", &links, an_hour_ago()).await;
        let (status, headers, _) = app
            .get(&format!("/t/c/{}", app.signer.sign_click(d, 1)))
            .await;
        assert_eq!(status, StatusCode::FOUND);
        assert_eq!(headers[header::LOCATION], "https://shop.example/b");
        assert_eq!(headers[header::REFERRER_POLICY], "no-referrer");
        app.state.events().flush().await;
        let clicks = app.events_of("email_click").await;
        assert_eq!(clicks.len(), 1, "{}", app.db.backend);
        assert!(!clicks[0].0);
        assert_eq!(clicks[0].1["url"], "https://shop.example/b");
        assert_eq!(clicks[0].1["link"], 1);
    }
}

#[tokio::test]
async fn a_click_on_the_hidden_honeypot_link_is_flagged_as_a_scanner() {
    for app in apps().await {
        app.customer("c1", "c1@example.com", "en").await;
        // The renderer appends the honeypot after every real link.
        let d = app
            .delivery(
                "c1",
                &["https://shop.example/a", "https://shop.example/"],
                an_hour_ago(),
            )
            .await;
        let (status, _, _) = app
            .get(&format!("/t/c/{}", app.signer.sign_click(d, 1)))
            .await;
        assert_eq!(status, StatusCode::FOUND);
        app.get(&format!("/t/c/{}", app.signer.sign_click(d, 0)))
            .await;
        app.state.events().flush().await;
        let clicks = app.events_of("email_click").await;
        let machine: Vec<bool> = clicks.iter().map(|(m, _)| *m).collect();
        assert_eq!(machine, vec![true, false], "{}", app.db.backend);
    }
}

#[tokio::test]
async fn forged_and_tampered_click_tokens_get_404_and_never_a_redirect() {
    for app in apps().await {
        app.customer("c1", "c1@example.com", "en").await;
        let d = app
            .delivery("c1", &["https://shop.example/a"], an_hour_ago())
            .await;
        let good = app.signer.sign_click(d, 0);
        let forged = Signer::new(b"attacker-secret").sign_click(d, 0);
        let other_purpose = app.signer.sign_open(d);
        let beyond = app.signer.sign_click(d, 7); // an index the email never had
        for token in [tampered(&good), forged, other_purpose, beyond, "x.y".into()] {
            let (status, headers, body) = app.get(&format!("/t/c/{token}")).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{token}");
            assert!(headers.get(header::LOCATION).is_none());
            assert!(
                headers[header::CONTENT_TYPE]
                    .to_str()
                    .unwrap()
                    .starts_with("text/html")
            );
            assert!(String::from_utf8_lossy(&body).contains("not valid"));
        }
        app.state.events().flush().await;
        assert!(app.events_of("email_click").await.is_empty());
    }
}

#[tokio::test]
async fn an_open_redirect_attempt_goes_only_where_the_email_pointed() {
    for app in apps().await {
        app.customer("c1", "c1@example.com", "en").await;
        let d = app
            .delivery("c1", &["https://shop.example/a"], an_hour_ago())
            .await;
        let token = app.signer.sign_click(d, 0);
        for uri in [
            format!("/t/c/{token}?url=https://evil.example/"),
            format!("/t/c/{token}?to=//evil.example&redirect=https%3A%2F%2Fevil.example"),
        ] {
            let (status, headers, _) = app.get(&uri).await;
            assert_eq!(status, StatusCode::FOUND);
            assert_eq!(headers[header::LOCATION], "https://shop.example/a");
        }
        for uri in [
            "/t/c/https://evil.example/".to_string(),
            "/t/c/https%3A%2F%2Fevil.example".to_string(),
            format!("/t/c/{token}/https://evil.example"),
        ] {
            let (status, headers, _) = app.get(&uri).await;
            assert_ne!(status, StatusCode::FOUND, "{uri}");
            assert!(headers.get(header::LOCATION).is_none(), "{uri}");
        }
    }
}

#[tokio::test]
async fn a_stored_link_that_is_not_a_web_url_is_never_redirected_to() {
    for app in apps().await {
        app.customer("c1", "c1@example.com", "en").await;
        let d = app
            .delivery("c1", &["javascript:alert(1)"], an_hour_ago())
            .await;
        let (status, headers, _) = app
            .get(&format!("/t/c/{}", app.signer.sign_click(d, 0)))
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        assert!(headers.get(header::LOCATION).is_none());
    }
}

#[tokio::test]
async fn every_buffered_hit_is_in_the_database_after_a_graceful_shutdown() {
    for db in support::all_backends().await {
        let backend = db.backend;
        let app = app(db).await;
        app.customer("c1", "c1@example.com", "en").await;
        let d = app
            .delivery("c1", &["https://shop.example/"], an_hour_ago())
            .await;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = tokio::spawn(rapport::http::serve(listener, app.state.clone(), async {
            let _ = stopped.await;
        }));
        let url = format!("http://{addr}/t/o/{}", app.signer.sign_open(d));
        let mut hits = Vec::new();
        for _ in 0..8 {
            let url = url.clone();
            hits.push(tokio::spawn(async move {
                for _ in 0..50 {
                    assert_eq!(raw_get(&url).await, 200);
                }
            }));
        }
        for h in hits {
            h.await.unwrap();
        }
        stop.send(()).unwrap();
        server.await.unwrap().unwrap();
        assert_eq!(app.events_of("email_open").await.len(), 400, "{backend}");
    }
}

/// A minimal HTTP/1.1 GET over a fresh connection; returns the status code.
async fn raw_get(url: &str) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let rest = url.strip_prefix("http://").unwrap();
    let (host, path) = rest.split_at(rest.find('/').unwrap());
    let mut s = tokio::net::TcpStream::connect(host).await.unwrap();
    s.write_all(
        format!(
            "GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: test\r\nConnection: close\r\n\r\n"
        )
        .as_bytes(),
    )
    .await
    .unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).await.unwrap();
    let head = String::from_utf8_lossy(&out[..12.min(out.len())]).to_string();
    head[9..12].parse().unwrap()
}
