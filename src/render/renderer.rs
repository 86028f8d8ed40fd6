//! The hot path: one personalised email per call, from registries built once at load.

use super::TemplateSpec;
use super::context::{CustomerView, EmailContext, LevelView, Suggestion};
use super::diagnose;
use super::error::RenderError;
use super::links::{Links, Tracking};
use super::load::{self, LocaleSet, Origin};
use super::rewrite::{self, LinkTable};
use crate::config::ShopConfig;
use crate::domain::Locale;
use handlebars::{Context, Handlebars};
use serde::Serialize;
use std::collections::HashMap;
use std::path::Path;
use uuid::Uuid;

/// Which delivery an email is rendered for; its id is in every token.
#[derive(Debug, Clone, Copy)]
pub struct DeliveryMeta {
    pub delivery_id: Uuid,
}

#[derive(Debug, Clone)]
pub struct RenderedEmail {
    pub subject: String,
    pub html: String,
    pub text: String,
    /// Original http(s) targets in link-index order: `/t/c/{token}` with link `i` redirects to
    /// `links[i]`. Store them with the delivery.
    pub links: Vec<String>,
    /// The index in `links` of the hidden link only scanners follow.
    pub honeypot_link: Option<u16>,
    /// For the `List-Unsubscribe` header.
    pub unsubscribe_url: String,
    /// The language the email was written in (`fa`, or `en` when the locale had no template).
    pub lang: String,
}

/// What templates see: the delivery's context plus what the renderer owns.
#[derive(Serialize)]
struct TemplateData<'a> {
    lang: &'a str,
    dir: &'static str,
    customer: &'a CustomerView,
    level: &'a LevelView,
    campaign: &'a str,
    occurrence: &'a serde_json::Value,
    suggestions: &'a [Suggestion],
    links: &'a Links,
    shop: &'a ShopConfig,
    offer: Offer<'a>,
}

#[derive(Serialize)]
struct Offer<'a> {
    /// `customer.attributes.offer_code` when the integrator set one, else a stable code
    /// derived from the customer id and the secret.
    code: std::borrow::Cow<'a, str>,
}

pub struct Renderer {
    locales: HashMap<String, LocaleSet>,
    shop: ShopConfig,
    tracking: Tracking,
}

impl std::fmt::Debug for Renderer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Renderer")
            .field("locales", &self.locales.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl Renderer {
    /// Reads every template under `templates_dir` for the given campaigns, inlines the CSS,
    /// and renders each campaign × locale once with sample data, so that a missing variable
    /// or a syntax error stops the start with `file:line` instead of reaching a customer.
    pub fn load(
        templates_dir: &Path,
        specs: &[TemplateSpec],
        shop: &ShopConfig,
        tracking: Tracking,
    ) -> Result<Renderer, Vec<RenderError>> {
        let langs = load::languages(templates_dir).map_err(|e| vec![e])?;
        if !langs.iter().any(|l| l == "en") {
            return Err(vec![RenderError::io(
                templates_dir.join("en"),
                "missing: `en` templates are the fallback of every locale",
            )]);
        }
        let mut errors = Vec::new();
        let locales = langs
            .iter()
            .map(|lang| {
                (
                    lang.clone(),
                    load::load_locale(templates_dir, lang, specs, &mut errors),
                )
            })
            .collect();
        if !errors.is_empty() {
            return Err(errors);
        }
        let renderer = Renderer {
            locales,
            shop: shop.clone(),
            tracking,
        };
        let errors = renderer.check(specs);
        if errors.is_empty() {
            Ok(renderer)
        } else {
            Err(errors)
        }
    }

    /// Renders every campaign in every loaded language with [`EmailContext::sample`].
    pub fn check(&self, specs: &[TemplateSpec]) -> Vec<RenderError> {
        let mut langs: Vec<&String> = self.locales.keys().collect();
        langs.sort();
        let mut errors = Vec::new();
        for lang in langs {
            let Ok(locale) = Locale::parse(lang) else {
                continue;
            };
            for spec in specs {
                let ctx = EmailContext::sample(&spec.campaign, &locale);
                let delivery = DeliveryMeta {
                    delivery_id: Uuid::nil(),
                };
                if let Err(e) = self.render(&spec.campaign, &ctx, &delivery) {
                    errors.push(e);
                }
            }
        }
        errors
    }

    /// The languages templates were found for.
    pub fn languages(&self) -> Vec<String> {
        let mut v: Vec<String> = self.locales.keys().cloned().collect();
        v.sort();
        v
    }

    pub fn tracking(&self) -> &Tracking {
        &self.tracking
    }

    /// The locale set that has this campaign: the customer's language, else `en`.
    fn set_for(&self, lang: &str, campaign: &str) -> Result<&LocaleSet, RenderError> {
        self.locales
            .get(lang)
            .filter(|s| s.campaigns.contains_key(campaign))
            .or_else(|| {
                self.locales
                    .get("en")
                    .filter(|s| s.campaigns.contains_key(campaign))
            })
            .ok_or_else(|| RenderError::UnknownCampaign(campaign.to_string()))
    }

    pub fn render(
        &self,
        campaign: &str,
        ctx: &EmailContext,
        delivery: &DeliveryMeta,
    ) -> Result<RenderedEmail, RenderError> {
        let set = self.set_for(ctx.customer.locale.language(), campaign)?;
        let parts = &set.campaigns[campaign];
        let links = self.tracking.links(delivery.delivery_id);
        let code = match ctx
            .customer
            .attributes
            .get("offer_code")
            .and_then(|v| v.as_str())
        {
            Some(c) => c.into(),
            None => self
                .tracking
                .signer()
                .personal_code(&ctx.customer.id)
                .into(),
        };
        let data = TemplateData {
            lang: &set.lang,
            dir: set.dir,
            customer: &ctx.customer,
            level: &ctx.level,
            // The campaign's id, not the variant's registry key.
            campaign: &ctx.campaign,
            occurrence: &ctx.occurrence,
            suggestions: &ctx.suggestions,
            links: &links,
            shop: &self.shop,
            offer: Offer { code },
        };
        let hctx = Context::wraps(&data)
            .map_err(|e| RenderError::template(&parts.html, None, e.to_string()))?;

        let subject = render(&set.text, &set.origins, &parts.subject, &hctx)?;
        let html = render(&set.html, &set.origins, &parts.html, &hctx)?;
        let text = match &parts.text {
            Some(name) => render(&set.text, &set.origins, name, &hctx)?,
            None => html_to_text(&html),
        };

        let mut table = LinkTable::new(&self.tracking, delivery.delivery_id, &links.unsubscribe);
        let mut html = rewrite::rewrite_html(&html, &mut table);
        let text = rewrite::rewrite_text(&text, &mut table);
        let honeypot_target = self
            .shop
            .get("website")
            .map_or(self.tracking.public_url(), String::as_str);
        let honeypot = table.honeypot(honeypot_target);
        rewrite::append_trackers(
            &mut html,
            &self.tracking.open_pixel(delivery.delivery_id),
            honeypot.as_ref().map(|(_, url)| url.as_str()),
        );

        Ok(RenderedEmail {
            subject: one_line(&subject),
            html,
            text,
            links: table.targets,
            honeypot_link: honeypot.map(|(i, _)| i),
            unsubscribe_url: links.unsubscribe,
            lang: set.lang.clone(),
        })
    }
}

/// Renders one registered template; a Handlebars error becomes `file:line: message` with the
/// author's line (see `inline::LineMap`).
fn render(
    reg: &Handlebars<'static>,
    origins: &HashMap<String, Origin>,
    name: &str,
    ctx: &Context,
) -> Result<String, RenderError> {
    reg.render_with_context(name, ctx).map_err(|e| {
        let at = e.template_name.as_deref().unwrap_or(name);
        let (mut message, needle) = diagnose::render_message(e.reason(), ctx.data());
        if let Some(lang) = at
            .strip_suffix(".subject")
            .and_then(|n| n.split('/').next())
        {
            message = format!("the `{lang}` subject: {message}");
        }
        match origins.get(at) {
            Some(o) => {
                let l = o.locate(e.line_no, needle.as_deref());
                RenderError::template_at(l.file, l.line, l.column, message)
            }
            None => RenderError::template(at, e.line_no, message),
        }
    })
}

/// Subjects are headers: one line, no control characters, no runs of spaces.
fn one_line(s: &str) -> String {
    s.split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The text part when a campaign has no `.txt.hbs`: derived from the HTML, links as
/// footnotes. Slower than a text template (it parses the HTML), so shipped campaigns have one.
fn html_to_text(html: &str) -> String {
    html2text::config::plain()
        .string_from_read(html.as_bytes(), 78)
        .unwrap_or_default()
}
