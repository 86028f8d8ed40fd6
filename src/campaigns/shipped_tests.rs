//! The shipped campaigns (`config/campaigns/`) load with their segments and say what the
//! README's tables say they do.

use super::*;

#[test]
fn the_shipped_campaigns_all_load_and_match_the_spec_table() {
    let dir = shipped_dir();
    let (campaigns, _) = load_all(&dir, &dir.with_file_name("segments"), &any_template).unwrap();
    let ids: Vec<&str> = campaigns.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(
        ids,
        [
            "abandoned-cart",
            "care-guide",
            "complaint-follow-up",
            "confirm-subscription",
            "loyalty-offer",
            "partnership-invitation",
            "post-sale-follow-up",
            "satisfaction-survey",
            "survey-reminder",
            "time-to-reorder",
            "we-miss-you",
            "welcome",
            "win-back"
        ]
    );
    let by_id = |id: &str| campaigns.iter().find(|c| c.id == id).unwrap();
    let days = Duration::from_days;

    // Every marketing campaign has a topic a customer can leave; service emails have none.
    let topics: Vec<(&str, Option<&str>)> = campaigns
        .iter()
        .map(|c| (c.id.as_str(), c.topic.map(|t| t.name())))
        .collect();
    assert_eq!(
        topics,
        [
            ("abandoned-cart", Some("offers")),
            ("care-guide", Some("news")),
            ("complaint-follow-up", None),
            ("confirm-subscription", None),
            ("loyalty-offer", Some("offers")),
            ("partnership-invitation", Some("partnership")),
            ("post-sale-follow-up", Some("news")),
            ("satisfaction-survey", Some("surveys")),
            ("survey-reminder", Some("surveys")),
            ("time-to-reorder", Some("offers")),
            ("we-miss-you", Some("offers")),
            ("welcome", Some("news")),
            ("win-back", Some("offers")),
        ]
    );
    let confirm = by_id("confirm-subscription");
    assert!(confirm.is_service() && matches!(confirm.trigger, Trigger::Confirmation));

    let post_sale = by_id("post-sale-follow-up");
    assert_eq!(
        post_sale.audience,
        Audience::Levels {
            climb: vec![Level::Basic],
            maintenance: vec![],
            any: vec![],
        }
    );
    assert!(
        matches!(post_sale.trigger, Trigger::Order(t) if t.delay == days(3) && t.max_age == days(30))
    );
    assert_eq!(post_sale.cooldown, None);

    let survey = by_id("satisfaction-survey");
    assert_eq!(
        survey.audience,
        Audience::Levels {
            climb: vec![Level::Reactive],
            maintenance: vec![Level::Accountable],
            any: vec![],
        }
    );
    assert!(
        matches!(survey.trigger, Trigger::Order(t) if t.delay == days(10) && t.max_age == days(45))
    );
    assert_eq!(survey.cooldown, Some(days(90)));

    let loyalty = by_id("loyalty-offer");
    assert_eq!(
        loyalty.audience,
        Audience::Levels {
            climb: vec![Level::Accountable],
            maintenance: vec![Level::Proactive],
            any: vec![],
        }
    );
    match &loyalty.trigger {
        Trigger::Schedule(s) => {
            assert_eq!(s.cron.source(), "0 0 10 * * Sat");
            assert_eq!(s.window, Duration::from_secs(12 * 3600));
            assert_eq!(s.period, SlotPeriod::Week);
        }
        other => panic!("loyalty-offer trigger: {other:?}"),
    }
    assert_eq!(loyalty.cooldown, Some(days(28)));

    let partnership = by_id("partnership-invitation");
    assert_eq!(
        partnership.audience,
        Audience::Levels {
            climb: vec![Level::Proactive],
            maintenance: vec![],
            any: vec![],
        }
    );
    assert!(matches!(partnership.trigger, Trigger::Eligible));
    assert_eq!(partnership.cooldown, Some(days(180)));

    let complaint = by_id("complaint-follow-up");
    assert!(complaint.is_service());
    assert!(
        matches!(complaint.trigger, Trigger::Complaint(t) if t.delay == Duration::from_secs(0))
    );
    assert_eq!(complaint.cooldown, None);
    assert!(
        campaigns
            .iter()
            .all(|c| c.id == complaint.id || c.priority < complaint.priority)
    );

    // Issue 19's campaigns: level-agnostic audiences, the new triggers, `unless`, conditions.
    let every_level = vec![
        Level::Basic,
        Level::Reactive,
        Level::Accountable,
        Level::Proactive,
        Level::Partnership,
    ];
    let any = |c: &Campaign| match &c.audience {
        Audience::Levels {
            climb,
            maintenance,
            any,
        } if climb.is_empty() && maintenance.is_empty() => any.clone(),
        other => panic!("{}: {other:?}", c.id),
    };
    let unless = |c: &Campaign| {
        c.unless
            .iter()
            .map(|u| u.name().to_string())
            .collect::<Vec<_>>()
    };
    let gates = |c: &Campaign| c.gates.iter().map(|g| g.label.clone()).collect::<Vec<_>>();

    let welcome = by_id("welcome");
    assert_eq!(any(welcome), [Level::Basic]);
    assert!(
        matches!(welcome.trigger, Trigger::Signup(t) if t.delay == Duration::from_secs(3600) && t.max_age == days(14))
    );
    assert_eq!(unless(welcome), ["order"]);

    let cart = by_id("abandoned-cart");
    assert_eq!(any(cart), every_level);
    match &cart.trigger {
        Trigger::Event { kind, timing } => {
            assert_eq!(kind.name(), "custom:cart_abandoned");
            assert_eq!(timing.delay, Duration::from_secs(4 * 3600));
            assert_eq!(timing.max_age, days(3));
        }
        other => panic!("abandoned-cart trigger: {other:?}"),
    }
    assert_eq!(unless(cart), ["order"]);

    let reminder = by_id("survey-reminder");
    assert_eq!(any(reminder), every_level);
    match &reminder.trigger {
        Trigger::Sent { campaign, timing } => {
            assert_eq!(campaign, "satisfaction-survey");
            assert_eq!(timing.delay, days(5));
        }
        other => panic!("survey-reminder trigger: {other:?}"),
    }
    assert_eq!(unless(reminder), ["survey_response"]);

    let win_back = by_id("win-back");
    assert_eq!(any(win_back), every_level[..4]);
    assert!(matches!(
        win_back.trigger,
        Trigger::LevelChange { direction: Direction::Drop, timing }
            if timing.delay == days(1) && timing.max_age == days(14)
    ));

    let care = by_id("care-guide");
    assert!(matches!(care.trigger, Trigger::Order(t) if t.delay == days(7)));
    assert_eq!(gates(care), ["where"]);

    let lapsed = by_id("we-miss-you");
    assert!(matches!(lapsed.trigger, Trigger::Lapse { after, .. } if after == days(120)));
    assert_eq!(gates(lapsed), ["segment valued"]);

    let reorder = by_id("time-to-reorder");
    assert!(matches!(
        reorder.trigger,
        Trigger::PredictedNeed { lead, min_alive } if lead == days(3) && min_alive == 0.5
    ));
    assert_eq!(reorder.unless, [super::Unless::Order]);
    assert_eq!(
        reorder.audience,
        Audience::Levels {
            climb: vec![Level::Accountable],
            maintenance: vec![],
            any: vec![Level::Proactive, Level::Partnership],
        }
    );

    // What each customer of the sample got before these campaigns still wins where both are
    // due (examples/README.md): the level steps outrank every new campaign but the cart.
    let priority = |id: &str| by_id(id).priority;
    assert!(priority("post-sale-follow-up") > priority("abandoned-cart"));
    for new in [
        "survey-reminder",
        "care-guide",
        "win-back",
        "we-miss-you",
        "welcome",
        "time-to-reorder",
    ] {
        assert!(priority("satisfaction-survey") > priority(new), "{new}");
    }
    // The Saturday offer carries the same suggestions: where both are due, it goes.
    assert!(priority("loyalty-offer") > priority("time-to-reorder"));
    assert!(priority("welcome") < priority("partnership-invitation"));

    for c in &campaigns {
        assert_eq!(c.template, c.id);
        assert!(
            c.subjects.contains_key("en") && c.subjects.contains_key("fa"),
            "{}",
            c.id
        );
    }
}
