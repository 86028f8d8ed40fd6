//! What the shipped campaigns say, rendered with the shipped configuration (its `[shop]`
//! values and the subjects in `config/campaigns/`): the wording a marketer reads first
//! (issue 17).

use rapport::config::Config;
use rapport::domain::Locale;
use rapport::render::{
    DeliveryMeta, EmailContext, RenderedEmail, Renderer, TemplateSpec, Tracking,
};
use rapport::tracking::{Purpose, Signer};
use serde_json::json;
use uuid::Uuid;

const SECRET: &[u8] = b"test-secret";

fn config() -> Config {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/config/rapport.toml");
    let mut c =
        rapport::config::load_str(path, &std::fs::read_to_string(path).unwrap(), &[]).unwrap();
    c.paths.campaigns = concat!(env!("CARGO_MANIFEST_DIR"), "/config/campaigns").into();
    c.paths.templates = concat!(env!("CARGO_MANIFEST_DIR"), "/templates").into();
    c
}

fn renderer(cfg: &Config) -> Renderer {
    let campaigns = rapport::cli::load_campaigns(cfg)
        .map_err(|_| "campaigns")
        .unwrap();
    let specs: Vec<TemplateSpec> = campaigns.iter().map(|c| c.template_spec()).collect();
    let tracking = Tracking::new("https://mail.shop.example", Signer::new(SECRET));
    Renderer::load(&cfg.paths.templates, &specs, &cfg.shop, tracking)
        .unwrap_or_else(|e| panic!("templates do not load: {e:?}"))
}

fn render(r: &Renderer, campaign: &str, ctx: &EmailContext) -> RenderedEmail {
    r.render(
        campaign,
        ctx,
        &DeliveryMeta {
            delivery_id: Uuid::new_v4(),
        },
    )
    .unwrap()
}

/// Where the email's (first) button leads: its tracked link, verified and looked up.
fn button_target(e: &RenderedEmail) -> String {
    let tag = e
        .html
        .split("<a ")
        .find(|tag| tag.split('>').next().unwrap().contains("class=\"button\""))
        .expect("a button");
    let href = tag
        .split("href=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    let token = href.rsplit('/').next().unwrap();
    let payload = Signer::new(SECRET)
        .verify(Purpose::Click, token)
        .expect("a tracked link");
    e.links[payload.link.expect("a link index") as usize].clone()
}

fn locales() -> [Locale; 2] {
    [Locale::parse("en").unwrap(), Locale::parse("fa").unwrap()]
}

#[test]
fn persian_subjects_write_numbers_in_persian_digits_like_the_body() {
    let cfg = config();
    let r = renderer(&cfg);
    let fa = Locale::parse("fa").unwrap();
    for campaign in [
        "post-sale-follow-up",
        "satisfaction-survey",
        "loyalty-offer",
        "partnership-invitation",
        "complaint-follow-up",
        "welcome",
        "abandoned-cart",
        "survey-reminder",
        "win-back",
        "care-guide",
        "we-miss-you",
        "time-to-reorder",
    ] {
        let e = render(&r, campaign, &EmailContext::sample(campaign, &fa));
        // The sample order is A-10042: `A-۱۰۰۴۲` in the body, so in the subject too.
        assert!(
            !e.subject.chars().any(|c| c.is_ascii_digit()),
            "{campaign}: Latin digits in a Persian subject: {}",
            e.subject
        );
    }
    let e = render(
        &r,
        "satisfaction-survey",
        &EmailContext::sample("satisfaction-survey", &fa),
    );
    assert!(e.subject.contains("A-۱۰۰۴۲"), "{}", e.subject);
}

#[test]
fn the_purchase_tips_button_links_to_its_own_page_not_the_shop_home_page() {
    let mut cfg = config();
    let tips = cfg.shop.get("tips_url").expect("shipped tips_url").clone();
    let website = cfg.shop["website"].clone();
    assert_ne!(tips, website);
    let r = renderer(&cfg);
    for locale in locales() {
        let e = render(
            &r,
            "post-sale-follow-up",
            &EmailContext::sample("post-sale-follow-up", &locale),
        );
        assert_eq!(button_target(&e), tips, "{locale}");
    }
    // A shop without a tips page gets no button rather than one to the home page.
    cfg.shop.remove("tips_url");
    let r = renderer(&cfg);
    for locale in locales() {
        let e = render(
            &r,
            "post-sale-follow-up",
            &EmailContext::sample("post-sale-follow-up", &locale),
        );
        assert!(!e.html.contains("class=\"button\""), "{locale}: a button");
        assert!(
            !e.text.contains("Tips") && !e.text.contains("نکته‌هایی"),
            "{locale}"
        );
    }
}

#[test]
fn the_complaint_follow_up_names_the_order_and_shows_no_internal_number() {
    let r = renderer(&config());
    for locale in locales() {
        let mut ctx = EmailContext::sample("complaint-follow-up", &locale);
        // As the store hands it over: the event's sequence number as id (long, so that no
        // tracking token contains it by chance), its data as imported.
        ctx.occurrence = json!({
            "id": "8330571", "occurred_at": "2026-11-21T16:40:00Z",
            "data": {"order_id": "ord-10337", "text": "The mug arrived chipped"}
        });
        let e = render(&r, "complaint-follow-up", &ctx);
        let order = if locale.language() == "fa" {
            "ord-۱۰۳۳۷"
        } else {
            "ord-10337"
        };
        for (part, body) in [("html", &e.html), ("text", &e.text)] {
            assert!(body.contains(order), "{locale} {part}: order not named");
            assert!(
                !body.contains("8330571") && !body.contains("۸۳۳۰۵۷۱"),
                "{locale} {part}: internal id shown"
            );
        }

        // A complaint that names no order is placed by its day, still without the number.
        ctx.occurrence = json!({
            "id": "8330571", "occurred_at": "2026-11-21T16:40:00Z", "data": {}
        });
        let e = render(&r, "complaint-follow-up", &ctx);
        let day = if locale.language() == "fa" {
            "۳۰ آبان ۱۴۰۵"
        } else {
            "21 November 2026"
        };
        assert!(e.text.contains(day), "{locale}: {}", e.text);
        assert!(!e.text.contains("8330571") && !e.text.contains("۸۳۳۰۵۷۱"));
    }
}

#[test]
fn the_abandoned_cart_email_lists_the_cart_its_event_carries_and_links_back_to_it() {
    let r = renderer(&config());
    for locale in locales() {
        let mut ctx = EmailContext::sample("abandoned-cart", &locale);
        // As the store hands a custom event over: its seq as id, its data as the shop sent it.
        ctx.occurrence = json!({
            "id": "932", "occurred_at": "2026-11-25T03:10:00Z",
            "data": {
                "items": [
                    {"sku": "TEAPOT-CI-08", "name": "Cast-iron teapot", "qty": 1, "price": 49.0},
                    {"sku": "TEA-GLASS-6", "qty": 2, "price": 19.5}
                ],
                "total": 88.0, "currency": "EUR",
                "cart_url": "https://shop.example/cart/c-932"
            }
        });
        let e = render(&r, "abandoned-cart", &ctx);
        for (part, body) in [("html", &e.html), ("text", &e.text)] {
            assert!(body.contains("Cast-iron teapot"), "{locale} {part}");
            // A line without a name shows its SKU.
            assert!(body.contains("TEA-GLASS-6"), "{locale} {part}");
        }
        assert_eq!(
            button_target(&e),
            "https://shop.example/cart/c-932",
            "{locale}"
        );

        // Every field of the event's data is optional: without any, the shop's home page.
        ctx.occurrence = json!({"id": "932", "occurred_at": "2026-11-25T03:10:00Z", "data": {}});
        let e = render(&r, "abandoned-cart", &ctx);
        assert_eq!(button_target(&e), config().shop["website"], "{locale}");
    }
}

#[test]
fn the_care_guide_gives_the_tips_of_what_was_bought_and_only_those() {
    let r = renderer(&config());
    let fa = Locale::parse("fa").unwrap();
    let mut ctx = EmailContext::sample("care-guide", &fa);
    ctx.occurrence["items"] = json!([
        {"sku": "SAMOVAR-3L", "name": "سماور برقی ۳ لیتری", "qty": 1, "price": 118_000_000},
        {"sku": "TEA-GLASS-6", "name": "استکان کمرباریک، ۶ عددی", "qty": 1, "price": 12_500_000}
    ]);
    let e = render(&r, "care-guide", &ctx);
    for (part, body) in [("html", &e.html), ("text", &e.text)] {
        assert!(body.contains("جرم‌گیری"), "{part}: no samovar tips");
        assert!(!body.contains("تیغه"), "{part}: grinder tips for a samovar");
    }
}

/// The README's marketer section shows shipped files "as complete files": each block that
/// follows a line `` `config/….toml`: `` must be that file, byte for byte.
#[test]
fn the_readme_shows_the_shipped_campaign_and_segment_files_as_they_are() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let mut lines = readme.lines();
    let mut shown = Vec::new();
    while let Some(line) = lines.next() {
        let Some(path) = line
            .strip_prefix('`')
            .and_then(|l| l.strip_suffix("`:"))
            .filter(|p| p.starts_with("config/") && p.ends_with(".toml"))
        else {
            continue;
        };
        assert_eq!(
            lines.next(),
            Some(""),
            "{path}: a blank line, then the block"
        );
        assert_eq!(lines.next(), Some("```toml"), "{path}: a toml block");
        let mut block = String::new();
        for l in lines.by_ref().take_while(|l| *l != "```") {
            block.push_str(l);
            block.push('\n');
        }
        let file = std::fs::read_to_string(root.join(path)).unwrap();
        assert_eq!(block, file, "README.md shows {path} other than it is");
        shown.push(path.to_string());
    }
    for must in [
        "config/campaigns/care-guide.toml",
        "config/segments/valued.toml",
        "config/campaigns/we-miss-you.toml",
        "config/campaigns/welcome.toml",
        "config/campaigns/survey-reminder.toml",
        "config/campaigns/win-back.toml",
        "config/campaigns/abandoned-cart.toml",
        "config/campaigns/time-to-reorder.toml",
    ] {
        assert!(
            shown.iter().any(|p| p == must),
            "README.md does not show {must}"
        );
    }
}
