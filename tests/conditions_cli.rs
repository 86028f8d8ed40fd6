//! Issue 19 from the command line, through the built `rapport` binary, on SQLite and
//! PostgreSQL: `segment list | count | show --format json` count a small imported shop right;
//! `explain` names the `unless`, the segment and the `where` that blocked a campaign (JSON
//! `not_picked`). (`check` is in `tests/conditions_check_cli.rs`.)

mod scenario;
mod support;

use chrono::{DateTime, Utc};
use scenario::cli::{json, ok, rapport, text};
use scenario::{ALL_LEVELS, base, campaign, days, hours, write_all};
use serde_json::Value;
use std::path::Path;

/// A small shop: five customers (one unsubscribed), a few orders.
fn small_shop(dir: &Path, db_url: &str, t: DateTime<Utc>) {
    let created = (t - days(300)).to_rfc3339();
    let customers = format!(
        "id,email,name,locale,timezone,subscribed,created_at,attributes\n\
         en-1,en-1@example.com,A,en,UTC,true,{created},\"{{\"\"source\"\":\"\"friend\"\"}}\"\n\
         fa-1,fa-1@example.com,B,fa,Asia/Tehran,true,{created},\"{{\"\"source\"\":\"\"friend\"\"}}\"\n\
         fa-2,fa-2@example.com,C,fa,Asia/Tehran,true,{created},\n\
         en-2,en-2@example.com,D,en,UTC,true,{created},\"{{\"\"source\"\":\"\"ad\"\"}}\"\n\
         fa-3,fa-3@example.com,E,fa,Asia/Tehran,false,{created},\n"
    );
    let orders: String = [
        ("o-1", "en-1", t - days(40)),
        ("o-2", "en-1", t - days(10)),
        ("o-3", "fa-1", t - days(5)),
        ("o-4", "fa-3", t - days(5)),
    ]
    .iter()
    .map(|(id, c, at)| scenario::order_line(id, c, *at, &["CM-1"]))
    .collect();
    let data = dir.join("data");
    write_all(
        &data,
        &[("customers.csv", &customers), ("orders.jsonl", &orders)],
    );
    for (entity, file) in [("customers", "customers.csv"), ("orders", "orders.jsonl")] {
        let path = data.join(file).display().to_string();
        ok(dir, db_url, &["import", entity, &path]);
    }
}

fn segments() -> [(&'static str, &'static str); 3] {
    [
        (
            "persian.toml",
            "name = \"Persian speakers\"\ndescription = \"Customers who read Persian\"\nwhere = \"customer.language == 'fa'\"\n",
        ),
        (
            "friends.toml",
            "name = \"Came through a friend\"\nwhere = \"customer.attributes.source == 'friend'\"\n",
        ),
        (
            "buyers.toml",
            "name = \"Buyers\"\nwhere = \"orders.count >= 2\"\n",
        ),
    ]
}

#[tokio::test]
async fn segment_list_count_and_show_give_the_right_numbers() {
    for db in support::all_backends().await {
        let be = db.backend;
        let dir = tempfile::tempdir().unwrap();
        let offer = campaign(
            "partnership-invitation",
            10,
            &format!("{ALL_LEVELS}\nsegment = \"persian\""),
            "on = \"eligible\"",
        );
        write_all(
            &dir.path().join("campaigns"),
            &[("persian-offer.toml", &offer)],
        );
        write_all(&dir.path().join("segments"), &segments());
        let t = base() + days(300);
        small_shop(dir.path(), &db.url, t);
        let now = t.to_rfc3339();

        let list = json(
            dir.path(),
            &db.url,
            &["segment", "list", "--format", "json"],
        );
        let names: Vec<&str> = list
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["buyers", "friends", "persian"], "{be}: {list}");
        let persian = &list[2];
        assert_eq!(persian["title"], "Persian speakers", "{be}");
        assert_eq!(persian["description"], "Customers who read Persian", "{be}");
        assert_eq!(persian["where"], "customer.language == 'fa'", "{be}");
        assert_eq!(
            persian["campaigns"],
            serde_json::json!(["persian-offer"]),
            "{be}"
        );
        assert_eq!(list[0]["campaigns"], serde_json::json!([]), "{be}");

        for (segment, matched, mailable) in [("persian", 3, 2), ("friends", 2, 2), ("buyers", 1, 1)]
        {
            let n = json(
                dir.path(),
                &db.url,
                &[
                    "segment", "count", segment, "--format", "json", "--now", &now,
                ],
            );
            assert_eq!(n["segment"], segment, "{be}");
            assert_eq!(n["customers"], 5, "{be}: {segment}: {n}");
            assert_eq!(
                (n["matched"].as_u64(), n["mailable"].as_u64()),
                (Some(matched), Some(mailable)),
                "{be}: {segment}: {n}"
            );
        }

        let show = json(
            dir.path(),
            &db.url,
            &[
                "segment", "show", "persian", "--limit", "2", "--format", "json", "--now", &now,
            ],
        );
        assert_eq!(show["matched"], 3, "{be}: {show}");
        let members = show["members"].as_array().unwrap();
        let ids: Vec<&str> = members
            .iter()
            .map(|m| m["customer_id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, ["fa-1", "fa-2"], "{be}: the first by id, --limit 2");
        assert_eq!(members[0]["email"], "fa-1@example.com", "{be}");
        assert_eq!(members[0]["mailable"], true, "{be}");
        assert!(
            members[0]["detail"]
                .as_str()
                .unwrap()
                .contains("customer.language"),
            "{be}: the values that decided: {show}"
        );
        // The unsubscribed customer is in the segment, but not mailable.
        let all = json(
            dir.path(),
            &db.url,
            &[
                "segment", "show", "persian", "--format", "json", "--now", &now,
            ],
        );
        let unsubscribed = all["members"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["customer_id"] == "fa-3")
            .cloned()
            .unwrap_or_default();
        assert_eq!(unsubscribed["mailable"], false, "{be}: {all}");

        let unknown = rapport(dir.path(), &db.url, &["segment", "count", "vips"]);
        assert_eq!(unknown.status.code(), Some(1), "{be}");
        assert!(
            text(&unknown.stderr).contains("unknown segment `vips`"),
            "{be}: {}",
            text(&unknown.stderr)
        );
    }
}

#[tokio::test]
async fn explain_names_the_unless_segment_and_where_that_blocked() {
    for db in support::all_backends().await {
        let be = db.backend;
        let dir = tempfile::tempdir().unwrap();
        let survey = campaign(
            "satisfaction-survey",
            50,
            ALL_LEVELS,
            "on = \"order\"\nmax_age = \"30d\"",
        );
        let reminder = campaign(
            "satisfaction-survey",
            40,
            ALL_LEVELS,
            "on = \"sent\"\ncampaign = \"survey\"\ndelay = \"5d\"\nunless = [\"survey_response\"]",
        );
        let persian = campaign(
            "partnership-invitation",
            5,
            &format!("{ALL_LEVELS}\nsegment = \"persian\""),
            "on = \"eligible\"",
        );
        let friends = campaign(
            "partnership-invitation",
            5,
            &format!("{ALL_LEVELS}\nwhere = \"customer.attributes.source == 'friend'\""),
            "on = \"eligible\"",
        );
        write_all(
            &dir.path().join("campaigns"),
            &[
                ("survey.toml", &survey),
                ("survey-reminder.toml", &reminder),
                ("persian-offer.toml", &persian),
                ("friends-offer.toml", &friends),
            ],
        );
        write_all(&dir.path().join("segments"), &segments());
        let t = base() + days(300);
        small_shop(dir.path(), &db.url, t);
        // en-2 (English, came through an ad) orders and gets the survey at t.
        let order = scenario::order_line("o-9", "en-2", t - hours(1), &["CM-1"]);
        let answer = scenario::event_line("en-2", "survey_response", t + days(1));
        write_all(
            &dir.path().join("more"),
            &[("order.jsonl", &order), ("answer.jsonl", &answer)],
        );
        let more = |f: &str| dir.path().join("more").join(f).display().to_string();
        ok(
            dir.path(),
            &db.url,
            &["import", "orders", &more("order.jsonl")],
        );
        let now = t.to_rfc3339();
        ok(
            dir.path(),
            &db.url,
            &["run", "--once", "--full", "--now", &now],
        );
        // The survey answered the next day: the reminder is pointless.
        ok(
            dir.path(),
            &db.url,
            &["import", "events", &more("answer.jsonl")],
        );

        let later = (t + days(6)).to_rfc3339();
        let v = json(
            dir.path(),
            &db.url,
            &["explain", "en-2", "--format", "json", "--now", &later],
        );
        let why = |c: &str| v["not_picked"][c].as_str().unwrap_or_default().to_string();
        assert!(
            why("survey-reminder").starts_with("unless: survey_response"),
            "{be}: {v}"
        );
        assert!(
            why("persian-offer").starts_with("segment persian: ")
                && why("persian-offer").contains("customer.language"),
            "{be}: {v}"
        );
        assert!(
            why("friends-offer").starts_with("where: ")
                && why("friends-offer").contains("customer.attributes.source"),
            "{be}: {v}"
        );
        assert_eq!(v["next"], Value::Null, "{be}: {v}");
    }
}

#[tokio::test]
async fn reminder_answered_while_deferred_by_quiet_hours_is_cancelled_and_counted() {
    for db in support::all_backends().await {
        let be = db.backend;
        let dir = tempfile::tempdir().unwrap();
        let survey = campaign(
            "satisfaction-survey",
            50,
            ALL_LEVELS,
            "on = \"order\"\nmax_age = \"30d\"",
        );
        let reminder = campaign(
            "satisfaction-survey",
            40,
            ALL_LEVELS,
            "on = \"sent\"\ncampaign = \"survey\"\ndelay = \"5d\"\nunless = [\"survey_response\"]",
        );
        write_all(
            &dir.path().join("campaigns"),
            &[
                ("survey.toml", &survey),
                ("survey-reminder.toml", &reminder),
            ],
        );
        let t = base() + days(300);
        let created = (t - days(300)).to_rfc3339();
        let customers = format!(
            "id,email,name,locale,timezone,subscribed,created_at\nc1,c1@example.com,A,en,UTC,true,{created}\n"
        );
        let order = scenario::order_line("o-1", "c1", t - hours(1), &["CM-1"]);
        let answer = scenario::event_line("c1", "survey_response", t + days(6) + hours(11));
        let data = dir.path().join("data");
        write_all(
            &data,
            &[
                ("customers.csv", &customers),
                ("orders.jsonl", &order),
                ("answer.jsonl", &answer),
            ],
        );
        let file = |f: &str| data.join(f).display().to_string();
        ok(
            dir.path(),
            &db.url,
            &["import", "customers", &file("customers.csv")],
        );
        ok(
            dir.path(),
            &db.url,
            &["import", "orders", &file("orders.jsonl")],
        );
        let run = |now: chrono::DateTime<chrono::Utc>| {
            let out = rapport(
                dir.path(),
                &db.url,
                &["run", "--once", "--full", "--now", &now.to_rfc3339()],
            );
            let stdout = text(&out.stdout);
            assert!(
                out.status.success(),
                "{be}: {stdout}\n{}",
                text(&out.stderr)
            );
            stdout
        };
        // The survey at noon; six days later at 22:00 the reminder is queued for the end of
        // quiet hours (08:00), and the customer answers at 23:00.
        assert!(run(t).contains("sent 1,"), "{be}");
        let evening = run(t + days(6) + hours(10));
        assert!(
            evening.contains("queued 1 emails; sent 0,") && evening.contains("1 still queued"),
            "{be}: {evening}"
        );
        ok(
            dir.path(),
            &db.url,
            &["import", "events", &file("answer.jsonl")],
        );
        let morning = run(t + days(7) - hours(3));
        assert!(
            morning.contains("sent 0,") && morning.contains("cancelled 1;"),
            "{be}: the summary counts the cancelled reminder: {morning}"
        );

        let out = rapport(dir.path(), &db.url, &["report", "--format", "csv"]);
        assert!(out.status.success(), "{be}: {}", text(&out.stderr));
        let csv = text(&out.stdout);
        let mut lines = csv.lines();
        let header: Vec<&str> = lines.next().unwrap().split(',').collect();
        let column = |name: &str| header.iter().position(|h| *h == name).unwrap();
        let row: Vec<&str> = lines
            .find(|l| l.starts_with("survey-reminder,"))
            .unwrap_or_else(|| panic!("{be}: {csv}"))
            .split(',')
            .collect();
        assert_eq!(
            (
                row[column("queued")],
                row[column("sent")],
                row[column("cancelled")]
            ),
            ("0", "0", "1"),
            "{be}: {csv}"
        );
    }
}
