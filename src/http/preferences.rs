//! The preference page behind every email's unsubscribe link (`/u/{token}`): leave one topic
//! or everything. GET only shows the choices (link scanners follow every GET); a POST with
//! the signed token changes them. A mail client's List-Unsubscribe one-click POST means
//! everything marketing, as before.

use super::AppState;
use super::customer::{delivery, store};
use super::pages::{self, Lang, page, paragraph};
use crate::domain::consent::source;
use crate::domain::{ConsentAction, ConsentEntry, Topic};
use crate::ingest::consent::Client;
use crate::ingest::{Batch, action};
use crate::render::escape_html as escape;
use crate::store::ConsentChange;
use crate::tracking::Purpose;
use axum::body::Bytes;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::Utc;

/// How a topic reads on the page.
fn topic_words(topic: Topic, lang: Lang) -> &'static str {
    match (topic, lang) {
        (Topic::Offers, Lang::En) => "Offers and discount codes",
        (Topic::Offers, Lang::Fa) => "پیشنهادها و کدهای تخفیف",
        (Topic::Surveys, Lang::En) => "Questions about your orders (surveys)",
        (Topic::Surveys, Lang::Fa) => "پرسش دربارهٔ سفارش‌هایتان (نظرسنجی)",
        (Topic::Partnership, Lang::En) => "Invitations to our customer circle",
        (Topic::Partnership, Lang::Fa) => "دعوت به حلقهٔ مشتریان",
        (Topic::News, Lang::En) => "News, tips and guides",
        (Topic::News, Lang::Fa) => "خبرها، نکته‌ها و راهنماها",
    }
}

struct Words {
    title: &'static str,
    intro: &'static str,
    leave: &'static str,
    left: &'static str,
    everything: &'static str,
    everything_button: &'static str,
}

fn words(lang: Lang) -> Words {
    match lang {
        Lang::En => Words {
            title: "Your email preferences",
            intro: "Choose the emails you no longer want. Emails about your orders and answers to your complaints still reach you.",
            leave: "Stop these emails",
            left: "You do not receive these.",
            everything: "Or stop every marketing email from us:",
            everything_button: "Unsubscribe from everything",
        },
        Lang::Fa => Words {
            title: "تنظیمات ایمیل شما",
            intro: "ایمیل‌هایی را که دیگر نمی‌خواهید انتخاب کنید. ایمیل‌های مربوط به سفارش‌ها و پاسخ به شکایت‌هایتان همچنان به دستتان می‌رسد.",
            leave: "این ایمیل‌ها را نفرستید",
            left: "این ایمیل‌ها را دریافت نمی‌کنید.",
            everything: "یا هیچ ایمیل تبلیغاتی دیگری از ما دریافت نکنید:",
            everything_button: "لغو اشتراک از همه",
        },
    }
}

/// The page: one form per topic (a topic already left says so), then everything.
fn preference_page(lang: Lang, left: &[Topic]) -> Response {
    let w = words(lang);
    let mut inner = paragraph(w.intro);
    inner.push_str("<ul style=\"list-style:none;padding:0\">");
    for t in Topic::ALL {
        inner.push_str(&format!(
            "<li><p><strong>{}</strong><br>",
            escape(topic_words(t, lang))
        ));
        if left.contains(&t) {
            inner.push_str(&escape(w.left));
        } else {
            inner.push_str(&format!(
                "<form method=\"post\"><input type=\"hidden\" name=\"topic\" value=\"{}\">\
                 <button type=\"submit\">{}</button></form>",
                t.name(),
                escape(w.leave)
            ));
        }
        inner.push_str("</p></li>");
    }
    inner.push_str(&format!(
        "</ul>{}<form method=\"post\"><input type=\"hidden\" name=\"topic\" value=\"all\">\
         <button type=\"submit\">{}</button></form>",
        paragraph(w.everything),
        escape(w.everything_button)
    ));
    page(StatusCode::OK, lang, w.title, &inner)
}

/// `GET /u/{token}`: shows the choices; changes nothing.
pub async fn show(
    State(s): State<AppState>,
    token: Result<Path<String>, PathRejection>,
) -> Response {
    let d = match delivery(&s, Purpose::Unsubscribe, token).await {
        Ok(d) => d,
        Err(page) => return page,
    };
    let lang = Lang::of(&d.locale);
    match s.store().customer_consent(&d.customer_id).await {
        Ok(state) => preference_page(lang, &state.unwrap_or_default().left_topics),
        Err(e) => {
            tracing::error!(error = %e, delivery_id = %d.id, "Preferences lookup failed.");
            pages::try_later(lang)
        }
    }
}

/// What a POST asks for.
enum Choice {
    /// Everything marketing: the one-click POST (`one_click`) or the page's last form.
    Everything(&'static str),
    Topic(Topic),
}

fn choice(body: &[u8]) -> Option<Choice> {
    let mut topic = None;
    for (k, v) in url::form_urlencoded::parse(body) {
        match &*k {
            "List-Unsubscribe" if v == "One-Click" => return Some(Choice::Everything("one-click")),
            "topic" => topic = Some(v.into_owned()),
            _ => {}
        }
    }
    match topic.as_deref() {
        // The confirmation form of earlier versions posted no topic: everything.
        None | Some("all") => Some(Choice::Everything("page")),
        Some(t) => Topic::parse(t).ok().map(Choice::Topic),
    }
}

/// `POST /u/{token}`: RFC 8058 one-click, or the page's forms. Committed before the answer.
pub async fn change(
    State(s): State<AppState>,
    token: Result<Path<String>, PathRejection>,
    client: Client,
    body: Bytes,
) -> Response {
    let d = match delivery(&s, Purpose::Unsubscribe, token).await {
        Ok(d) => d,
        Err(page) => return page,
    };
    let lang = Lang::of(&d.locale);
    let now = Utc::now();
    let (batch, topic) = match choice(&body) {
        None => return pages::unknown_choice(lang),
        Some(Choice::Everything(from)) => {
            let mut b = action::unsubscribe(&d, from, now);
            b.client = Some(client);
            (b, None)
        }
        Some(Choice::Topic(t)) => {
            let entry = ConsentEntry::new(
                &d.customer_id,
                now,
                ConsentAction::Withdrawn,
                source::PREFERENCE_PAGE,
            )
            .topic(Some(t))
            .evidence(Some(&d.campaign))
            .request(client.ip.as_deref(), client.user_agent.as_deref());
            let b = Batch {
                consent: vec![entry],
                changes: vec![(d.customer_id.clone(), ConsentChange::LeftTopic(t))],
                ..Batch::default()
            };
            (b, Some(t))
        }
    };
    if let Err(e) = store(&s, &batch).await {
        tracing::error!(error = %e, delivery_id = %d.id, "Preference change failed.");
        return pages::try_later(lang);
    }
    match topic {
        None => {
            ::metrics::counter!(super::metrics::EVENTS_IN, "kind" => "unsubscribe", "source" => "page")
                .increment(1);
            tracing::info!(delivery_id = %d.id, customer_id = %d.customer_id, "Unsubscribed.");
            pages::unsubscribed(lang)
        }
        Some(t) => {
            tracing::info!(delivery_id = %d.id, customer_id = %d.customer_id, topic = %t, "Topic left.");
            let (title, line) = match lang {
                Lang::En => ("Done", "You will no longer receive these emails:"),
                Lang::Fa => ("انجام شد", "دیگر این ایمیل‌ها را دریافت نمی‌کنید:"),
            };
            let inner = format!(
                "{}<p><strong>{}</strong></p>",
                paragraph(line),
                escape(topic_words(t, lang))
            );
            page(StatusCode::OK, lang, title, &inner)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_click_and_no_topic_mean_everything_and_an_unknown_topic_nothing() {
        assert!(matches!(
            choice(b"List-Unsubscribe=One-Click"),
            Some(Choice::Everything("one-click"))
        ));
        assert!(matches!(
            choice(b"confirm=yes"),
            Some(Choice::Everything("page"))
        ));
        assert!(matches!(
            choice(b"topic=all"),
            Some(Choice::Everything("page"))
        ));
        assert!(matches!(
            choice(b"topic=offers"),
            Some(Choice::Topic(Topic::Offers))
        ));
        assert!(choice(b"topic=deals").is_none());
    }
}
