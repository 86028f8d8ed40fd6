//! Correlation and classification details of SES records and SNS envelopes: delivery ids
//! from message tags or headers, one event per recipient, soft bounces, ignored types.

use serde_json::{Value, json};

use super::fixtures::{only_event, sample};
use crate::providers::*;

fn ses_record(id: &str) -> Value {
    sample("amazon_ses_events.json", id)
}

#[test]
fn ses_delivery_id_comes_from_message_tags_or_headers() {
    let mut record = ses_record("ses.event_publishing.delivery");
    record["mail"]["tags"]["rapport_delivery"] = json!(["d-3"]);
    let event = only_event(ses::parse_record(&record, "m"));
    assert_eq!(event.delivery_id.as_deref(), Some("d-3"));

    // Identity notifications have no tags, only the original headers.
    let mut record = ses_record("ses.identity_notification.delivery");
    record["mail"]["headers"]
        .as_array_mut()
        .expect("headers")
        .push(json!({"name": "X-Rapport-Delivery", "value": "d-4"}));
    let event = only_event(ses::parse_record(&record, "m"));
    assert_eq!(event.delivery_id.as_deref(), Some("d-4"));
    assert_eq!(event.message_id.as_deref(), Some("custom-message-ID"));
    assert_eq!(
        event.provider_message_id.as_deref(),
        Some("0000014644fe5ef6-9a483358-9170-4cb4-a269-f5dcdf415321-000000")
    );

    let mut record = ses_record("ses.event_publishing.reject");
    record["mail"]["headers"][5]["value"] = json!("rapport_delivery=d-5, other=x");
    record["mail"]["tags"] = json!({});
    let event = only_event(ses::parse_record(&record, "m"));
    assert_eq!(event.delivery_id.as_deref(), Some("d-5"));
}

#[test]
fn ses_record_with_several_recipients_gives_one_event_each_with_distinct_ids() {
    let record = ses_record("ses.identity_notification.bounce_with_dsn");
    let mut record = record.clone();
    record["bounce"]["bouncedRecipients"]
        .as_array_mut()
        .expect("recipients")
        .push(json!({"emailAddress": "mary@example.com", "status": "5.2.1"}));
    let Ok(Inbound::Events(events)) = ses::parse_record(&record, "m") else {
        panic!("events expected");
    };
    let ids: Vec<_> = events.iter().map(|e| e.event_id.as_str()).collect();
    assert_eq!(ids, ["m/jane@example.com", "m/mary@example.com"]);
    assert_eq!(events[1].enhanced_code.as_deref(), Some("5.2.1"));
    assert_eq!(
        events[0].reason.as_deref(),
        Some("smtp; 550 5.1.1 <jane@example.com>... User")
    );
}

#[test]
fn ses_transient_bounce_is_soft_and_click_keeps_link_and_agent() {
    let mut record = ses_record("ses.event_publishing.bounce");
    record["bounce"]["bounceType"] = json!("Transient");
    assert_eq!(
        only_event(ses::parse_record(&record, "m")).kind,
        InboundKind::Bounce { hard: false }
    );

    let click = only_event(ses::parse_record(
        &ses_record("ses.event_publishing.click"),
        "m",
    ));
    assert_eq!(
        click.url.as_deref(),
        Some("http://docs.aws.amazon.com/ses/latest/DeveloperGuide/send-email-smtp.html")
    );
    assert!(
        click
            .user_agent
            .as_deref()
            .is_some_and(|a| a.contains("Chrome/60"))
    );
    // SES replaced the Message-ID header with its own id: not ours, so not reported.
    assert_eq!(click.message_id, None);
}

#[test]
fn ses_send_and_unknown_types_are_ignored() {
    let mut record = ses_record("ses.event_publishing.delivery");
    record["eventType"] = json!("Send");
    assert_eq!(ses::parse_record(&record, "m"), Ok(Inbound::Ignored));
    record["eventType"] = json!("Something New");
    assert_eq!(ses::parse_record(&record, "m"), Ok(Inbound::Ignored));
}

#[test]
fn ses_unsubscribe_all_subscription_event_is_an_unsubscribe() {
    let mut record = ses_record("ses.event_publishing.delivery");
    record["eventType"] = json!("Subscription");
    record["subscription"] = json!({
        "contactList": "list", "timestamp": "2022-01-12T01:00:14.340Z",
        "source": "UnsubscribeHeader",
        "newTopicPreferences": {"unsubscribeAll": true},
    });
    let event = only_event(ses::parse_record(&record, "m"));
    assert_eq!(event.kind, InboundKind::Unsubscribe);
    assert_eq!(event.recipient.as_deref(), Some("recipient@example.com"));
}

#[test]
fn sns_subscription_confirmation_and_unsubscribe_confirmation() {
    let mut envelope = json!({
        "Type": "SubscriptionConfirmation",
        "MessageId": "165545c9-2a5c-472c-8df2-7ff2be2b3b1b",
        "Token": "2336412f37",
        "TopicArn": "arn:aws:sns:us-west-2:123456789012:MyTopic",
        "Message": "You have chosen to subscribe to the topic.",
        "SubscribeURL": "https://sns.us-west-2.amazonaws.com/?Action=ConfirmSubscription&TopicArn=arn:aws:sns:us-west-2:123456789012:MyTopic&Token=2336412f37",
        "Timestamp": "2012-04-26T20:45:04.751Z",
        "SignatureVersion": "1",
        "Signature": "EXAMPLE",
        "SigningCertURL": "https://sns.us-west-2.amazonaws.com/SimpleNotificationService-f3ecfb7224c7233fe7bb5f59f96de52f.pem",
    });
    let body = |v: &Value| serde_json::to_vec(v).expect("serialises");
    assert!(matches!(
        ses::parse(&body(&envelope)),
        Ok(Inbound::SubscriptionConfirmation { ref topic_arn, .. })
            if topic_arn == "arn:aws:sns:us-west-2:123456789012:MyTopic"
    ));
    envelope["SubscribeURL"] = json!("https://evil.test/?Action=ConfirmSubscription");
    assert!(matches!(
        ses::parse(&body(&envelope)),
        Err(WebhookError::UntrustedSnsUrl(_))
    ));
    envelope["Type"] = json!("UnsubscribeConfirmation");
    assert_eq!(ses::parse(&body(&envelope)), Ok(Inbound::Ignored));
}
