//! The dashboard page in headless Chromium (Debian `chromium`), in English and Persian: it
//! loads without console errors, its DOM has the inline SVG charts, and a screenshot is
//! written (its path is printed; run with `--nocapture` to see it).
//!
//! Without Chromium the browser part is skipped with a printed reason — except under
//! `CI=true`, where a missing browser is a failure.
//!
//! The experiment section is checked on both backends with a planted experiment.

mod support;

use chrono::{DateTime, TimeDelta, Utc};
use rapport::dashboard::{self, Lang};
use rapport::domain::Level;
use rapport::import::{CustomerRecord, RecordDefaults, Row};
use rapport::store::Claim;
use rapport::store::{DeliveryResult, LevelChange, NewDelivery, Store};
use serde_json::json;
use std::path::{Path, PathBuf};
use std::process::Command;
use support::experiments::{Arm, PLANTED_CAMPAIGN, PlantedArm, planted, planted_send_at};
use support::process::DiesWithTest;

fn now() -> DateTime<Utc> {
    "2026-11-25T09:00:00Z".parse().unwrap()
}

fn config() -> rapport::config::Config {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/config/rapport.toml");
    rapport::config::load_str(path, &std::fs::read_to_string(path).unwrap(), &[]).unwrap()
}

/// 40 customers at various levels, a few level changes this month, two campaigns sent.
async fn shop(s: &dyn Store) {
    let d = RecordDefaults::from_config(&config(), now());
    let rows: Vec<CustomerRecord> = (0..40)
        .map(|i| {
            let v = json!({"id": format!("c{i}"), "email": format!("c{i}@example.com"),
                "created_at": (now() - TimeDelta::days(90)).to_rfc3339()});
            CustomerRecord::parse(&Row::new(v.as_object().unwrap()), &d).unwrap()
        })
        .collect();
    let mut tx = s.begin_import().await.unwrap();
    tx.upsert_customers(&rows, now()).await.unwrap();
    tx.commit().await.unwrap();
    let level = |i: usize| Level::ALL[i % 5];
    let changes: Vec<LevelChange> = (0..40)
        .filter(|i| level(*i) != Level::Basic)
        .map(|i| LevelChange {
            customer_id: format!("c{i}"),
            from: Some(Level::Basic),
            current: level(i),
            target: Level::ALL[(i % 4) + 1],
            reasons: vec![],
        })
        .collect();
    s.apply_cycle(&changes, &[], now() - TimeDelta::days(10))
        .await
        .unwrap();
    let drops = [LevelChange {
        customer_id: "c2".into(),
        from: Some(Level::Accountable),
        current: Level::Reactive,
        target: Level::Proactive,
        reasons: vec![],
    }];
    s.apply_cycle(&drops, &[], now() - TimeDelta::days(2))
        .await
        .unwrap();
    for (campaign, n) in [("post-sale-follow-up", 30), ("satisfaction-survey", 12)] {
        let ds: Vec<NewDelivery> = (0..n)
            .map(|i| {
                let id = uuid::Uuid::now_v7();
                NewDelivery {
                    id,
                    customer_id: format!("c{i}"),
                    campaign: campaign.into(),
                    occurrence: format!("{campaign}:{i}"),
                    service: false,
                    current: Level::Basic,
                    target: Level::Reactive,
                    send_at: now() - TimeDelta::days(5),
                    message_id: format!("<{id}@shop.example>"),
                    unless_since: None,
                    variant: None,
                    held_out: false,
                }
            })
            .collect();
        s.apply_cycle(&[], &ds, now() - TimeDelta::days(6))
            .await
            .unwrap();
    }
    let claimed = s
        .claim_due(Claim {
            now: now(),
            limit: 100,
            lease: TimeDelta::minutes(5),
            owner: "t",
        })
        .await
        .unwrap();
    let sent: Vec<DeliveryResult> = claimed
        .iter()
        .map(|c| DeliveryResult::Sent {
            id: c.id,
            links: vec![],
            transport: None,
        })
        .collect();
    s.record_results(&sent, "t", now() - TimeDelta::days(5))
        .await
        .unwrap();
}

fn chromium() -> Option<PathBuf> {
    for c in ["chromium", "chromium-browser", "google-chrome"] {
        if let Ok(out) = Command::new("which").arg(c).output()
            && out.status.success()
        {
            return Some(PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()));
        }
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("CI=true but chromium is not installed: apt-get install -y chromium");
    }
    eprintln!(
        "skipping the browser checks: chromium is not installed (apt-get install -y chromium)"
    );
    None
}

/// Runs headless Chromium with the flags that keep it quiet and offline.
fn browse(bin: &Path, profile: &Path, extra: &[String], url: &str) -> std::process::Output {
    let mut args: Vec<String> = [
        "90",
        bin.to_str().unwrap(),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--enable-logging=stderr",
        "--v=0",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    args.push(format!("--user-data-dir={}", profile.display()));
    args.extend(extra.iter().cloned());
    args.push(url.to_string());
    // timeout(1) passes the parent-death SIGTERM on to Chromium.
    Command::new("timeout")
        .dies_with_test_by_sigterm()
        .args(&args)
        .output()
        .expect("run chromium")
}

fn console_errors(stderr: &str) -> Vec<&str> {
    stderr
        .lines()
        .filter(|l| l.contains("Uncaught") || l.contains(":CONSOLE") || l.contains("Console"))
        .collect()
}

/// The PNG's width and height from its IHDR chunk.
fn png_size(bytes: &[u8]) -> (u32, u32) {
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "not a PNG");
    let be = |i: usize| u32::from_be_bytes(bytes[i..i + 4].try_into().unwrap());
    (be(16), be(20))
}

#[tokio::test]
async fn every_configured_campaign_is_on_the_dashboard_even_before_it_sends() {
    let db = support::sqlite().await;
    shop(&*db.store).await;
    let data = dashboard::handler_data(&*db.store, &config(), now())
        .await
        .unwrap();
    let names: Vec<&str> = data.campaigns.iter().map(|c| c.campaign.as_str()).collect();
    assert_eq!(
        names,
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
    let loyalty = &data.campaigns[3];
    assert_eq!((loyalty.queued, loyalty.sent), (0, 0));
    assert_eq!(
        data.waiting.get("loyalty-offer"),
        Some(&dashboard::Waiting::Schedule),
        "the weekly offer waits for Saturday"
    );
    assert_eq!(
        data.waiting.get("complaint-follow-up"),
        Some(&dashboard::Waiting::Trigger)
    );
    assert!(
        !data.waiting.contains_key("post-sale-follow-up"),
        "it has sent"
    );
    let page = dashboard::page(&data, Lang::En);
    assert!(page.contains("loyalty-offer") && page.contains("waiting for its next scheduled time"));
}

#[tokio::test]
async fn the_dashboard_renders_in_chromium_in_english_and_persian() {
    let db = support::sqlite().await;
    shop(&*db.store).await;
    let data = dashboard::handler_data(&*db.store, &config(), now())
        .await
        .unwrap();
    assert_eq!(data.current.iter().sum::<u64>(), 40);
    // Every shipped campaign is listed, the eleven that have not sent yet with zeros.
    assert_eq!(data.campaigns.len(), 13);
    assert_eq!(data.waiting.len(), 11);
    assert_eq!(
        (data.movement.climbs(), data.movement.drops()),
        (32, 1),
        "the month's movement"
    );

    let out_dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let work = tempfile::tempdir().unwrap();
    for lang in [Lang::En, Lang::Fa] {
        let html = dashboard::page(&data, lang);
        let file = work.path().join(format!("dashboard-{}.html", lang.code()));
        std::fs::write(&file, &html).unwrap();
        let Some(bin) = chromium() else { return };
        let url = format!("file://{}", file.display());
        let png = out_dir.join(format!("dashboard-{}.png", lang.code()));
        let _ = std::fs::remove_file(&png);

        let shot = browse(
            &bin,
            &work.path().join(format!("profile-shot-{}", lang.code())),
            &[
                format!("--screenshot={}", png.display()),
                "--window-size=1200,1600".into(),
            ],
            &url,
        );
        let stderr = String::from_utf8_lossy(&shot.stderr);
        assert!(png.exists(), "no screenshot; chromium said:\n{stderr}");
        let bytes = std::fs::read(&png).unwrap();
        assert_eq!(png_size(&bytes), (1200, 1600));
        assert!(
            bytes.len() > 20_000,
            "the screenshot is nearly empty ({} bytes)",
            bytes.len()
        );
        assert!(
            console_errors(&stderr).is_empty(),
            "console errors:\n{stderr}"
        );
        println!("dashboard screenshot ({}): {}", lang.code(), png.display());

        let dom = browse(
            &bin,
            &work.path().join(format!("profile-dom-{}", lang.code())),
            &["--dump-dom".into()],
            &url,
        );
        let dom_html = String::from_utf8_lossy(&dom.stdout);
        let stderr = String::from_utf8_lossy(&dom.stderr);
        assert!(
            console_errors(&stderr).is_empty(),
            "console errors:\n{stderr}"
        );
        assert_eq!(
            dom_html.matches("<svg").count(),
            4,
            "funnel, transitions and one funnel per campaign in the DOM"
        );
        assert!(dom_html.contains("<rect"), "bars drawn");
        assert!(!dom_html.contains("<script"));
        match lang {
            Lang::Fa => {
                assert!(dom_html.contains(r#"dir="rtl""#));
                assert!(
                    dom_html.contains("۴۰") || dom_html.contains("۳۲"),
                    "Persian digits"
                );
                assert!(dom_html.contains("قیف سطح‌ها"));
            }
            Lang::En => assert!(dom_html.contains("Level funnel")),
        }
    }
}

/// A campaign with a 20 % hold-out and variants A and B: the planted data set's campaign.
const OFFER: &str = r#"holdout = 0.2
name = "Offer"
priority = 1
template = "offer"
[subject]
en = "x"
[audience]
climb = ["basic"]
[trigger]
on = "order"
max_age = "30d"
[experiment]
salt = "june"
[[variant]]
id = "A"
[[variant]]
id = "B"
subject = { en = "y" }
"#;

/// Writes the page in `lang` to a file, and in headless Chromium checks it loads without
/// console errors and returns the DOM it built; None without Chromium.
fn dom_in_chromium(html: &str, lang: Lang, work: &Path) -> Option<String> {
    let file = work.join(format!("experiments-{}.html", lang.code()));
    std::fs::write(&file, html).unwrap();
    let bin = chromium()?;
    let dom = browse(
        &bin,
        &work.join(format!("profile-exp-{}", lang.code())),
        &["--dump-dom".into()],
        &format!("file://{}", file.display()),
    );
    let stderr = String::from_utf8_lossy(&dom.stderr);
    assert!(
        console_errors(&stderr).is_empty(),
        "console errors:\n{stderr}"
    );
    Some(String::from_utf8_lossy(&dom.stdout).into_owned())
}

#[tokio::test]
async fn the_experiment_section_shows_each_arm_its_comparison_and_the_winner_in_both_languages() {
    let campaigns = tempfile::tempdir().unwrap();
    std::fs::write(
        campaigns.path().join(format!("{PLANTED_CAMPAIGN}.toml")),
        OFFER,
    )
    .unwrap();
    let mut cfg = config();
    cfg.paths.campaigns = campaigns.path().to_path_buf();
    let at = planted_send_at() + TimeDelta::days(30);
    let arm = |arm, share, convert| PlantedArm {
        arm,
        share,
        convert,
        climb: 0.08,
    };
    let arms = [
        arm(Arm::Holdout, 0.2, 0.05),
        arm(Arm::Variant("A"), 0.4, 0.05),
        arm(Arm::Variant("B"), 0.4, 0.12),
    ];
    for db in support::all_backends().await {
        let counts = planted(&*db.store, 3_000, &arms, 11).await;
        let decided_at = planted_send_at() + TimeDelta::days(9);
        db.store
            .record_winner(&rapport::store::WinnerRecord {
                campaign: PLANTED_CAMPAIGN.into(),
                salt: "june".into(),
                variant: "B".into(),
                metric: "conversion".into(),
                decided_at,
                detail: json!({}),
            })
            .await
            .unwrap();
        let data = dashboard::handler_data(&*db.store, &cfg, at).await.unwrap();
        // The report's own figures, as `rapport report --experiment` builds them.
        let loaded =
            rapport::campaigns::load_all(&cfg.paths.campaigns, &cfg.paths.segments, &|_| true)
                .unwrap()
                .0;
        let report = rapport::report::build_experiments(
            &*db.store,
            &cfg,
            &loaded,
            &rapport::report::ExperimentFilter {
                campaign: None,
                since: None,
                now: at,
            },
        )
        .await
        .unwrap();
        assert_eq!(
            serde_json::to_value(&data.experiments).unwrap(),
            serde_json::to_value(&report).unwrap(),
            "{}",
            db.backend
        );
        let offer = &data.experiments.campaigns[0];
        let recipients: Vec<u64> = offer.arms.iter().map(|a| a.recipients).collect();
        assert_eq!(recipients, counts, "{}", db.backend);
        let b = offer.arms.iter().find(|a| a.arm == "B").unwrap();
        let conversion = &b.versus[0];
        assert!(conversion.comparison.significant, "{}: {b:#?}", db.backend);

        let work = tempfile::tempdir().unwrap();
        let en = dashboard::page(&data, Lang::En);
        let section = &en[en
            .find(r#"<section id="experiments">"#)
            .expect("the section")..];
        assert!(section.contains("<h3>offer <span"), "{section}");
        assert!(section.contains("salt june, hold-out 20 %"), "{section}");
        let rows: Vec<&str> = section.split("<tr>").skip(2).collect();
        assert_eq!(rows.len(), 3, "hold-out, A, B: {section}");
        assert!(rows[0].starts_with("<td>the hold-out</td>"), "{}", rows[0]);
        let b_row = rows[2];
        assert!(b_row.starts_with("<td>B</td>"), "{b_row}");
        let thousands = |n: u64| format!("{},{:03}", n / 1000, n % 1000);
        assert!(
            b_row.contains(&format!("<td>{}</td>", thousands(counts[2]))),
            "{b_row}"
        );
        assert!(
            section.contains(&rapport::render::escape_html(&conversion.sentence)),
            "the report's sentence, with its interval: {section}"
        );
        assert!(section.contains("95 % CI"), "{section}");
        assert!(
            section.contains("Auto-winner: B (10 June 2026): everyone outside the hold-out gets it, decided on conversion"),
            "{section}"
        );

        let fa = dashboard::page(&data, Lang::Fa);
        let section = &fa[fa
            .find(r#"<section id="experiments">"#)
            .expect("the section")..];
        assert!(section.contains("آزمایش‌ها"), "{section}");
        assert!(section.contains("گروه نگه‌داشته"), "{section}");
        let persian =
            rapport::render::localize_digits("fa", &thousands(counts[2]).replace(',', "٬"));
        assert!(
            section.contains(&format!("<td>{persian}</td>")),
            "B's recipients: {section}"
        );
        assert!(section.contains("B در خرید"), "{section}");
        assert!(section.contains("بازهٔ اطمینان ۹۵٪"), "{section}");
        assert!(section.contains(": معنادار ["), "{section}");
        assert!(section.contains("برندهٔ خودکار: B"), "{section}");
        assert!(
            !section.contains("converts"),
            "no English sentence: {section}"
        );

        for (lang, html) in [(Lang::En, &en), (Lang::Fa, &fa)] {
            let Some(dom) = dom_in_chromium(html, lang, work.path()) else {
                break;
            };
            let section = &dom[dom
                .find(r#"<section id="experiments">"#)
                .expect("in the DOM")..];
            assert_eq!(
                section.matches("<tr>").count(),
                4,
                "{}: a header and three arms in the DOM",
                db.backend
            );
            match lang {
                Lang::En => assert!(section.contains("B converts"), "{section}"),
                Lang::Fa => {
                    assert!(dom.contains(r#"dir="rtl""#));
                    assert!(section.contains("بازهٔ اطمینان"), "{section}");
                }
            }
        }
    }
}

/// The value section: each level's average predicted margin over the next 12 months, scored
/// with the model the cycle keeps (the dashboard never fits one), as `rapport levels` shows it.
#[tokio::test]
async fn each_levels_average_predicted_value_is_on_the_dashboard_once_a_model_is_kept() {
    for db in support::all_backends().await {
        let (s, be) = (&*db.store, db.backend);
        shop(s).await;
        let d = |n| now() - TimeDelta::days(n);
        let mut rows = Vec::new();
        // c1 and c6 are reactive, c3 proactive (see `shop`).
        for c in ["c1", "c6", "c3"] {
            for k in 0..4 {
                rows.push((
                    format!("{c}-{k}"),
                    c.to_string(),
                    d(10 + 30 * k),
                    100.0,
                    "EUR",
                ));
            }
        }
        support::experiments::orders(s, &rows).await;

        let data = dashboard::handler_data(s, &config(), now()).await.unwrap();
        assert!(
            data.value.iter().all(|v| v.n == 0),
            "{be}: no model kept yet"
        );
        let page = dashboard::page(&data, Lang::En);
        assert!(page.contains("No purchase-rhythm model yet"), "{be}");
        assert_eq!(
            s.get_state("predict.model").await.unwrap(),
            None,
            "{be}: the page did not fit one"
        );

        let saved = json!({
            "fitted_at": now(),
            "model": {
                "purchases": {"r": 0.243, "alpha": 30.9, "a": 0.793, "b": 2.426},
                "spend": {"EUR": {"p": 6.0, "q": 4.0, "gamma": 15.0}},
            },
        });
        s.set_state("predict.model", &saved.to_string())
            .await
            .unwrap();
        let data = dashboard::handler_data(s, &config(), now()).await.unwrap();
        let ns: Vec<u64> = data.value.iter().map(|v| v.n).collect();
        assert_eq!(ns, [0, 2, 0, 1, 0], "{be}");
        let reactive = data.value[1].average().unwrap();
        assert!(reactive > 0.0, "{be}");
        let model = rapport::valuation::model::kept(s).await.unwrap().unwrap();
        let same = rapport::valuation::value_per_level(s, &model, &config().strategy, now())
            .await
            .unwrap();
        assert_eq!(
            data.value, same,
            "{be}: the computation `rapport levels` shows"
        );
        let page = dashboard::page(&data, Lang::En);
        assert!(
            page.contains(&format!(
                "<tr><td>Reactive</td><td>2</td><td>{}</td></tr>",
                format_money(reactive)
            )),
            "{be}: {page}"
        );
    }
}

fn format_money(x: f64) -> String {
    let s = format!("{x:.2}");
    let (int, frac) = s.split_once('.').unwrap();
    let digits: Vec<char> = int.chars().collect();
    let mut out = String::new();
    for (i, c) in digits.iter().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(*c);
    }
    format!("{out}.{frac}")
}
