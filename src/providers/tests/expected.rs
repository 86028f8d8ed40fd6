//! The table test: every sample in `tests/fixtures/webhooks/*_events.json` parses to the
//! expected normalised events.

use std::collections::{BTreeMap, BTreeSet};

use super::fixtures::{FILES, parse_with, sample_bodies};
use crate::providers::*;

/// One line per event: kind, recipient, event id, unix time, enhanced code.
fn summary(result: &Result<Inbound, WebhookError>) -> Vec<String> {
    let events = match result {
        Err(WebhookError::Malformed(_)) => return vec!["malformed".into()],
        Err(e) => return vec![format!("error {e}")],
        Ok(Inbound::Ignored) => return vec!["ignored".into()],
        Ok(Inbound::SubscriptionConfirmation { .. }) => return vec!["confirm".into()],
        Ok(Inbound::Events(events)) => events,
    };
    events
        .iter()
        .map(|e| {
            let kind = match e.kind {
                InboundKind::Delivered => "delivered",
                InboundKind::Deferred => "deferred",
                InboundKind::Open => "open",
                InboundKind::Click => "click",
                InboundKind::Bounce { hard: true } => "bounce:hard",
                InboundKind::Bounce { hard: false } => "bounce:soft",
                InboundKind::SpamComplaint => "complaint",
                InboundKind::Unsubscribe => "unsubscribe",
                InboundKind::Dropped => "dropped",
            };
            format!(
                "{kind} {} {} {} {}",
                e.recipient.as_deref().unwrap_or("-"),
                e.event_id,
                e.occurred_at.map(|t| t.timestamp()).unwrap_or_default(),
                e.enhanced_code.as_deref().unwrap_or("-"),
            )
        })
        .collect()
}

/// Expected summary of every sample, by sample id (see [`summary`] for the line format).
/// Notes: `processed`, `accepted`, `stored`, resubscribes and fragments yield no event;
/// raw_text-only samples that are not JSON (doc snippets with comments or curly quotes) and
/// the Mailgun fragment without a timestamp are malformed; SES records are wrapped in an
/// SNS envelope with MessageId `sns-1`.
const EXPECTED: &[(&str, &[&str])] = &[
    (
        "sendgrid.docs.all_event_types_array",
        &[
            "deferred example@test.com sg_event_id 1513299569 -",
            "delivered example@test.com sg_event_id 1513299569 -",
            "open example@test.com sg_event_id 1513299569 -",
            "click example@test.com sg_event_id 1513299569 -",
            "bounce:hard example@test.com sg_event_id 1513299569 5.0.0",
            "dropped example@test.com sg_event_id 1513299569 5.0.0",
            "complaint example@test.com sg_event_id 1513299569 -",
            "unsubscribe example@test.com sg_event_id 1513299569 -",
            "unsubscribe example@test.com sg_event_id 1513299569 -",
        ],
    ),
    (
        "sendgrid.docs.dropped",
        &["dropped example@test.com zmzJhfJgAfUSOW80yEbPyw== 1513299569 5.0.0"],
    ),
    (
        "sendgrid.docs.deferred",
        &["deferred example@test.com t7LEShmowp86DTdUW8M-GQ== 1513299569 -"],
    ),
    (
        "sendgrid.docs.blocked_event_bounce_type_blocked",
        &["bounce:soft example@test.com 6g4ZI7SA-xmRDv57GoPIPw== 1513299569 5.0.0"],
    ),
    (
        "sendgrid.docs.click",
        &["click example@test.com kCAi1KttyQdEKHhdC-nuEA== 1513299569 -"],
    ),
    (
        "sendgrid.docs.unsubscribe",
        &["unsubscribe example@test.com zz_BjPgU_5pS-J8vlfB1sg== 1513299569 -"],
    ),
    ("sendgrid.docs.group_resubscribe", &[]),
    (
        "sendgrid.docs.open_array_category",
        &[
            "open john.doe@sendgrid.com open:john.doe@sendgrid.com:1337966815: 1337966815 -",
            "open jane.doe@sendgrid.com open:jane.doe@sendgrid.com:1337966815: 1337966815 -",
        ],
    ),
    (
        "sendgrid.docs.unique_args_reserved_keys_request",
        &["malformed"],
    ),
    ("sendgrid.docs.custom_args_v3_echoed", &[]),
    (
        "sendgrid.docs.processed_from_legacy_marketing_campaign",
        &[],
    ),
    (
        "sendgrid.docs.delivered_from_a_b_winning_phase",
        &[
            "delivered tadpole_0001@stbase-018.sjc1.sendgrid.net X2M1IUfMRhuAhWM0CbmFqQ 1442349911 -",
        ],
    ),
    ("sendgrid.docs.processed_with_ip_pool", &[]),
    ("sendgrid.docs.unique_arguments_example_webhook_post", &[]),
    (
        "sendgrid.sdk_vector.multi_processed_bounce_blocked",
        &[
            "bounce:soft invalid@gmail.com Ym91bmNlLTAtMTk5NDIxMTItcU53QkxnUFFRalc2REp2S1F3U0Fidy0w 1619651147 5.2.2",
        ],
    ),
    ("sendgrid.anymail.test_processed_event", &[]),
    (
        "sendgrid.anymail.test_dropped_invalid_event",
        &["dropped invalid@invalid 3NPOePGOTkeM_U3fgWApfg 1461095250 -"],
    ),
    (
        "sendgrid.anymail.test_dropped_unsubscribed_event",
        &["dropped unsubscribe@example.com oxy9OLwMTAy5EsuZn1qhIg 1461095250 -"],
    ),
    (
        "sendgrid.anymail.test_deferred_event",
        &["deferred recipient@example.com b_syL5UiTvWC_Ky5L6Bs5Q 1461200990 -"],
    ),
    (
        "sendgrid.anymail.test_click_event",
        &[
            "click recipient@example.com OTdlOGUzYjctYjc5Zi00OWE4LWE4YWUtNjIxNjk2ZTJlNGVi 1461095250 -",
        ],
    ),
    ("mailgun.docs_event.accepted", &[]),
    (
        "mailgun.docs_event.delivered",
        &["delivered john@example.com hK7mQVt1QtqRiOfQXta4sw 1529692199 -"],
    ),
    (
        "mailgun.docs_event.failed_permanent_delayed_bounce",
        &["bounce:hard christest123@test.com ZDMqRgjLTDi6rQcy7K60aA 1666214138 5.1.1"],
    ),
    (
        "mailgun.docs_event.opened",
        &["open recipient@example.com -laxIqj9QWubsjY_3pTq_g 1377047343 -"],
    ),
    (
        "mailgun.docs_event.unsubscribed",
        &["unsubscribe recipient@example.com W3X4JOhFT-OZidZGKKr9iA 1377213791 -"],
    ),
    ("mailgun.docs_event.stored", &[]),
    ("mailgun.docs_user_manual.webhook_envelope", &["malformed"]),
    // A fragment with no time: parsed (recorded at receipt), not refused.
    (
        "mailgun.docs_user_manual.user_variables_fragment",
        &["delivered - delivered::: 0 -"],
    ),
    (
        "mailgun.anymail.test_failed_permanent_event",
        &[
            "bounce:hard invalid@example.com failed:invalid@example.com:1534110422.389832:20180812214658.1.0DF563D0B3597700@example.org 1534110422 5.1.1",
        ],
    ),
    (
        "mailgun.anymail.test_failed_greylisted_event",
        &[
            "deferred undeliverable@mx.example.com failed:undeliverable@mx.example.com:1534111899.659519:20180812214638.1.4A7D468E9BC18C5D@example.org 1534111899 -",
        ],
    ),
    (
        "mailgun.anymail.test_complained_event",
        &["complaint recipient@example.com ncV2XwymRUKbPek_MIM-Gw 1377214260 -"],
    ),
    (
        "mailgun.anymail.test_opened_event",
        &[
            "open recipient@example.com opened:recipient@example.com:1534109600.089676:20180812213139.1.BC6694A917BB7E6A@example.org 1534109600 -",
        ],
    ),
    (
        "mailgun.mailgun_go.accepted_with_nested_user_variables",
        &[],
    ),
    (
        "postmark.support_article.bounce",
        &["bounce:hard john@example.com Bounce:42 1572971634 -"],
    ),
    (
        "postmark.official_skill.bounce",
        &["bounce:hard john@example.com Bounce:42 1743870834 5.1.1"],
    ),
    (
        "postmark.official_skill.open",
        &[
            "open john@example.com Open:883953f4-6105-42a2-a16a-77a8eac79483:john@example.com:2025-04-05T16:33:54.9070259Z: 1743870834 -",
        ],
    ),
    (
        "postmark.official_skill.subscriptionchange",
        &[
            "unsubscribe john@example.com SubscriptionChange:883953f4-6105-42a2-a16a-77a8eac79483:john@example.com:2025-04-05T16:33:54.9070259Z: 1743870834 -",
        ],
    ),
    (
        "postmark.anymail.test_delivered_event",
        &[
            "delivered recipient@example.com Delivery:883953f4-6105-42a2-a16a-77a8eac79483:recipient@example.com:2014-08-01T13:28:10.2735393-04:00: 1406914090 -",
        ],
    ),
    (
        "postmark.anymail.test_click_event",
        &[
            "click recipient@example.com Click:f4830d10-9c35-4f0c-bca3-3d9b459821f8:recipient@example.com:2017-10-25T15:21:11.9065619Z:https://example.com/click/me 1508944871 -",
        ],
    ),
    (
        "postmark.anymail.test_unsubscribe",
        &[
            "unsubscribe john@example.com SubscriptionChange:a4909a96-73d7-4c49-b148-a54522d3f7ac:john@example.com:2022-06-05T17:17:32Z: 1654449452 -",
        ],
    ),
    (
        "postmark.anymail.test_subscription_change_bounce",
        &[
            "bounce:hard john@example.com SubscriptionChange:b4cb783d-78ed-43f2-983b-63f55c712dc8:john@example.com:2022-06-05T17:17:32Z: 1654449452 -",
        ],
    ),
    (
        "ses.event_publishing.bounce",
        &["bounce:hard recipient@example.com sns-1 1501893662 5.1.1"],
    ),
    (
        "ses.event_publishing.delivery",
        &["delivered recipient@example.com sns-1 1476919264 -"],
    ),
    (
        "ses.event_publishing.reject",
        &["dropped sender@example.com sns-1 1476466695 -"],
    ),
    (
        "ses.event_publishing.click",
        &["click recipient@example.com sns-1 1502322685 -"],
    ),
    (
        "ses.event_publishing.deliverydelay",
        &["deferred recipient@example.com sns-1 1592267140 4.4.1"],
    ),
    (
        "ses.identity_notification.bounce_with_dsn",
        &["bounce:hard jane@example.com sns-1 1453906778 5.1.1"],
    ),
    (
        "ses.identity_notification.complaint_with_feedback_report",
        &["complaint richard@example.com sns-1 1453906778 -"],
    ),
    (
        "ses.identity_notification.delivery",
        &["delivered jane@example.com sns-1 1453906778 -"],
    ),
    ("sns.envelope.Notification", &["ignored"]),
    (
        "ses.anymail.bounce_complete_with_custom_headers",
        &["bounce:hard jane@example.com sns-1 1453906784 5.1.1"],
    ),
    ("sns.anymail.ses_topic_validation_message", &["ignored"]),
    // Mailjet: composite ids `event:MessageID:time:email:url`; `sent` is delivered.
    (
        "mailjet.docs.sent_grouped_array",
        &[
            "delivered api@mailjet.com sent:19421777835146490:1433333949:api@mailjet.com: 1433333949 -",
            "delivered api@mailjet.com sent:19421777835146491:1433333949:api@mailjet.com: 1433333949 -",
        ],
    ),
    (
        "mailjet.docs.open",
        &["open api@mailjet.com open:19421777396190490:1433103519:api@mailjet.com: 1433103519 -"],
    ),
    (
        "mailjet.docs.bounce",
        &[
            "bounce:hard bounce@mailjet.com bounce:13792286917004336:1430812195:bounce@mailjet.com: 1430812195 -",
        ],
    ),
    (
        "mailjet.docs.spam",
        &[
            "complaint bounce@mailjet.com spam:13792286917004336:1430812195:bounce@mailjet.com: 1430812195 -",
        ],
    ),
    (
        "mailjet.anymail.test_sent_event",
        &[
            "delivered recipient@example.com sent:12345678901234567:1498093527:recipient@example.com: 1498093527 -",
        ],
    ),
    // Named "click" by anymail but an open (see the fixture's note): the url is not kept.
    (
        "mailjet.anymail.test_click_event",
        &[
            "open recipient@example.com open:12345678901234567:1498093527:recipient@example.com: 1498093527 -",
        ],
    ),
    (
        "mailjet.anymail.test_blocked_event",
        &[
            "dropped bad@example.com blocked:12345678901234567:1498093527:bad@example.com: 1498093527 -",
        ],
    ),
    (
        "mailjet.anymail.test_unsub_event",
        &[
            "unsubscribe recipient@example.com unsub:12345678901234567:1498093527:recipient@example.com: 1498093527 -",
        ],
    ),
    (
        "mailjet.anymail.test_non_grouped_event",
        &[
            "delivered recipient@example.com sent:12345678901234567:1498093527:recipient@example.com: 1498093527 -",
        ],
    ),
    // Brevo: composite ids `event:message-id:email:epoch ms:link`; `request` is not tracked.
    ("brevo.anymail.test_sent_event", &[]),
    (
        "brevo.anymail.test_hard_bounce",
        &[
            "bounce:hard not-a-user@example.com hard_bounce:201803011158.9876543210@smtp-relay.mailin.fr:not-a-user@example.com:1520363423000: 1520363423 5.5.0",
        ],
    ),
    (
        "brevo.anymail.test_blocked",
        &[
            "dropped recipient@example.com blocked:201803011158.9876543210@smtp-relay.mailin.fr:recipient@example.com:1520363423000: 1520363423 -",
        ],
    ),
    // `ts_epoch` in seconds in this doc-derived sample.
    (
        "brevo.anymail.test_error_email",
        &[
            "dropped example@domain.com error:201798300811.5787683@relay.domain.com:example@domain.com:1604933623000: 1604933623 -",
        ],
    ),
    (
        "brevo.anymail.test_opened_event",
        &[
            "open recipient@example.com opened:201803011158.9876543210@smtp-relay.mailin.fr:recipient@example.com:1520363423000: 1520363423 -",
        ],
    ),
    // The doc's `s_epoch` misspelling.
    (
        "brevo.anymail.test_proxy_open_event",
        &[
            "open example@domain.com proxy_open:201798300811.5787683@relay.domain.com:example@domain.com:1534486682000: 1534486682 -",
        ],
    ),
    (
        "brevo.anymail.test_clicked_event",
        &[
            "click recipient@example.com click:201803011158.9876543210@smtp-relay.mailin.fr:recipient@example.com:1520363423000:https://example.com/click/me 1520363423 -",
        ],
    ),
];

#[test]
fn every_fixture_sample_parses_to_the_expected_events() {
    let expected: BTreeMap<&str, &[&str]> = EXPECTED.iter().copied().collect();
    let mut seen = BTreeSet::new();
    for file in FILES {
        for (id, body) in sample_bodies(file) {
            let want = expected
                .get(id.as_str())
                .unwrap_or_else(|| panic!("sample {id} has no expectation"));
            let got = summary(&parse_with(file, &body));
            assert_eq!(&got, want, "sample {id}");
            seen.insert(id);
        }
    }
    let missing: Vec<_> = expected.keys().filter(|id| !seen.contains(**id)).collect();
    assert!(
        missing.is_empty(),
        "expectations without a sample: {missing:?}"
    );
}
