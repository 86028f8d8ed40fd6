//! Unsubscribe, survey and partnership pages: what GET shows, what POST changes, and that
//! every change is in the database before the answer.

mod http_common;
mod support;

use axum::http::{StatusCode, header};
use http_common::*;
use rapport::tracking::{Purpose, Signer};

fn html(body: &[u8]) -> String {
    String::from_utf8_lossy(body).into_owned()
}

#[tokio::test]
async fn get_on_the_unsubscribe_url_shows_a_confirm_button_and_changes_nothing() {
    for app in apps().await {
        app.customer("c1", "c1@example.com", "en").await;
        let d = app.delivery("c1", &[], an_hour_ago()).await;
        let (status, headers, body) = app
            .get(&format!("/u/{}", app.signer.sign_unsubscribe(d)))
            .await;
        assert_eq!(status, StatusCode::OK);
        let page = html(&body);
        assert!(page.contains("<form method=\"post\""), "{page}");
        assert!(page.contains("lang=\"en\" dir=\"ltr\""));
        assert_eq!(headers[header::REFERRER_POLICY], "no-referrer");
        let csp = headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
        assert!(
            csp.contains("default-src 'none'") && !csp.contains("script"),
            "{csp}"
        );
        assert_eq!(
            app.store().suppression("c1@example.com").await.unwrap(),
            None
        );
        assert!(app.events().await.is_empty(), "{}", app.db.backend);
    }
}

#[tokio::test]
async fn the_unsubscribe_page_is_persian_and_right_to_left_for_a_persian_customer() {
    for app in apps().await {
        app.customer("c2", "c2@example.com", "fa-IR").await;
        let d = app.delivery("c2", &[], an_hour_ago()).await;
        let (status, _, body) = app
            .get(&format!("/u/{}", app.signer.sign_unsubscribe(d)))
            .await;
        assert_eq!(status, StatusCode::OK);
        let page = html(&body);
        assert!(page.contains("lang=\"fa\" dir=\"rtl\""), "{page}");
        assert!(page.contains("لغو اشتراک"));
    }
}

#[tokio::test]
async fn a_one_click_post_suppresses_the_address_before_answering() {
    for app in apps().await {
        app.customer("c1", "c1@example.com", "en").await;
        let d = app.delivery("c1", &[], an_hour_ago()).await;
        let uri = format!("/u/{}", app.signer.sign_unsubscribe(d));
        let (status, _, _) = app
            .post(
                &uri,
                "application/x-www-form-urlencoded",
                "List-Unsubscribe=One-Click",
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        // No flush: the suppression and the event are durable when the answer comes.
        assert_eq!(
            app.store()
                .suppression("c1@example.com")
                .await
                .unwrap()
                .as_deref(),
            Some("unsubscribe")
        );
        let events = app.events_of("unsubscribe").await;
        assert_eq!(events.len(), 1, "{}", app.db.backend);
        assert_eq!(events[0].1["source"], "one-click");
        // A second POST (the page's form, a retry) changes nothing more.
        let (status, _, _) = app
            .post(&uri, "application/x-www-form-urlencoded", "confirm=yes")
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(app.events_of("unsubscribe").await.len(), 1);
    }
}

#[tokio::test]
async fn forged_tampered_or_cross_purpose_unsubscribe_tokens_change_nothing() {
    for app in apps().await {
        app.customer("c1", "c1@example.com", "en").await;
        let d = app.delivery("c1", &[], an_hour_ago()).await;
        let good = app.signer.sign_unsubscribe(d);
        let mut tampered = good.clone().into_bytes();
        tampered[3] = if tampered[3] == b'A' { b'B' } else { b'A' };
        let tampered = String::from_utf8(tampered).unwrap();
        for token in [
            tampered,
            Signer::new(b"attacker-secret").sign_unsubscribe(d),
            app.signer.sign(Purpose::Survey, d),
            app.signer.sign_open(d),
        ] {
            let (status, _, _) = app
                .post(
                    &format!("/u/{token}"),
                    "application/x-www-form-urlencoded",
                    "List-Unsubscribe=One-Click",
                )
                .await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{token}");
        }
        assert_eq!(
            app.store().suppression("c1@example.com").await.unwrap(),
            None
        );
    }
}

#[tokio::test]
async fn a_survey_score_is_recorded_and_a_comment_can_follow() {
    for app in apps().await {
        app.customer("c1", "c1@example.com", "en").await;
        let d = app.delivery("c1", &[], an_hour_ago()).await;
        let uri = format!("/s/{}", app.signer.sign_survey(d));
        let (status, headers, body) = app.get(&format!("{uri}?score=9")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(headers[header::CONTENT_SECURITY_POLICY].to_str().is_ok());
        let page = html(&body);
        assert!(page.contains("name=\"comment\""), "{page}");
        let answers = app.events_of("survey_response").await;
        assert_eq!(answers.len(), 1, "{}", app.db.backend);
        assert_eq!(answers[0].1["score"], 9);
        assert!(!answers[0].0);
        // The same link clicked again records nothing new.
        app.get(&format!("{uri}?score=9")).await;
        assert_eq!(app.events_of("survey_response").await.len(), 1);

        let (status, _, _) = app
            .post(
                &uri,
                "application/x-www-form-urlencoded",
                "score=9&comment=Fast+delivery%2C+thanks%21",
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        let answers = app.events_of("survey_response").await;
        assert_eq!(answers.len(), 1);
        assert_eq!(answers[0].1["comment"], "Fast delivery, thanks!");
    }
}

#[tokio::test]
async fn an_out_of_range_or_missing_score_is_a_400_page_and_records_nothing() {
    for app in apps().await {
        app.customer("c2", "c2@example.com", "fa").await;
        let d = app.delivery("c2", &[], an_hour_ago()).await;
        let uri = format!("/s/{}", app.signer.sign_survey(d));
        for q in ["?score=11", "?score=-1", "?score=abc", "", "?score=3.5"] {
            let (status, headers, body) = app.get(&format!("{uri}{q}")).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{q}");
            assert!(
                headers[header::CONTENT_TYPE]
                    .to_str()
                    .unwrap()
                    .starts_with("text/html")
            );
            assert!(html(&body).contains("dir=\"rtl\""));
        }
        assert!(
            app.events_of("survey_response").await.is_empty(),
            "{}",
            app.db.backend
        );
        let (status, _, _) = app
            .get(&format!("/s/{}?score=5", Signer::new(b"x").sign_survey(d)))
            .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
}

#[tokio::test]
async fn accepting_the_partnership_invitation_is_recorded() {
    for app in apps().await {
        app.customer("c1", "c1@example.com", "en").await;
        let d = app.delivery("c1", &[], an_hour_ago()).await;
        let uri = format!("/p/{}", app.signer.sign_partnership(d));
        let (status, _, body) = app.get(&uri).await;
        assert_eq!(status, StatusCode::OK);
        assert!(html(&body).contains("Thank you"));
        app.get(&uri).await;
        let accepted = app.events_of("partnership_accepted").await;
        assert_eq!(accepted.len(), 1, "{}", app.db.backend);
        assert_eq!(accepted[0].1["campaign"], "satisfaction-survey");
        let (status, _, _) = app.get(&format!("/p/{}", app.signer.sign_survey(d))).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
}
