//! What a template sees. The dispatch loop fills an [`EmailContext`] per delivery from the
//! store; the renderer adds what it owns (tracking links, the shop map, locale facts).

use crate::domain::{Level, Locale};
use serde::Serialize;
use serde_json::{Value, json};

/// The per-delivery data a template is rendered with (`{{customer.first_name}}`,
/// `{{occurrence.items}}`, `{{#each suggestions}}` …).
#[derive(Debug, Clone, Serialize)]
pub struct EmailContext {
    pub customer: CustomerView,
    pub level: LevelView,
    /// The campaign id (`post-sale-follow-up`).
    pub campaign: String,
    /// The order `{id, occurred_at, amount, currency, items: [{sku, name, qty, price}]}`,
    /// the complaint `{id, occurred_at, data}`, or `null` (schedule slots, invitations).
    pub occurrence: Value,
    /// Products most often bought by customers who bought what this customer bought.
    pub suggestions: Vec<Suggestion>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CustomerView {
    pub id: String,
    pub name: String,
    /// The first word of `name` (empty when the name is): what a greeting uses.
    pub first_name: String,
    pub email: String,
    pub locale: Locale,
    /// IANA name; dates are shown in it.
    pub timezone: String,
    /// The integrator's JSON object (`{}` when none).
    pub attributes: Value,
}

impl CustomerView {
    pub fn new(
        id: &str,
        name: &str,
        email: &str,
        locale: Locale,
        timezone: &str,
        attributes: Value,
    ) -> Self {
        CustomerView {
            id: id.to_string(),
            name: name.trim().to_string(),
            first_name: first_name(name),
            email: email.to_string(),
            locale,
            timezone: timezone.to_string(),
            attributes: if attributes.is_null() {
                json!({})
            } else {
                attributes
            },
        }
    }
}

fn first_name(name: &str) -> String {
    name.split_whitespace().next().unwrap_or("").to_string()
}

#[derive(Debug, Clone, Copy, Serialize)]
pub struct LevelView {
    pub current: Level,
    pub target: Level,
}

#[derive(Debug, Clone, Serialize)]
pub struct Suggestion {
    pub sku: String,
    pub name: String,
}

impl EmailContext {
    /// Believable data for `rapport check` and `preview` without a database: every field a
    /// shipped template reads is present, in the locale's language.
    pub fn sample(campaign: &str, locale: &Locale) -> EmailContext {
        let fa = locale.language() == "fa";
        let (name, tz) = if fa {
            ("سارا احمدی", "Asia/Tehran")
        } else {
            ("Sara Ahmadi", "Europe/Berlin")
        };
        let order = if fa {
            json!({
                "id": "A-10042", "occurred_at": "2026-11-20T09:15:00Z",
                "amount": 2_450_000, "currency": "IRT",
                "items": [
                    {"sku": "MUG-01", "name": "ماگ سرامیکی دست‌ساز", "qty": 2, "price": 850_000},
                    {"sku": "TEA-07", "name": "چای سیاه لاهیجان", "qty": 1, "price": 750_000}
                ]
            })
        } else {
            json!({
                "id": "A-10042", "occurred_at": "2026-11-20T09:15:00Z",
                "amount": 49.9, "currency": "EUR",
                "items": [
                    {"sku": "MUG-01", "name": "Handmade ceramic mug", "qty": 2, "price": 17.45},
                    {"sku": "TEA-07", "name": "Darjeeling black tea", "qty": 1, "price": 15.0}
                ]
            })
        };
        let complaint = json!({
            "id": "EV-311", "occurred_at": "2026-11-21T16:40:00Z",
            "data": {"order_id": "A-10042", "subject": if fa { "ماگ شکسته رسید" } else { "The mug arrived broken" }}
        });
        let occurrence = match campaign {
            "complaint-follow-up" => complaint,
            "loyalty-offer" | "partnership-invitation" | "time-to-reorder" => Value::Null,
            _ => order,
        };
        let suggestions = if fa {
            vec![
                suggestion("POT-02", "قوری چدنی"),
                suggestion("TEA-09", "دمنوش بهارنارنج"),
                suggestion("CUP-05", "استکان کمرباریک"),
            ]
        } else {
            vec![
                suggestion("POT-02", "Cast-iron teapot"),
                suggestion("TEA-09", "Orange blossom infusion"),
                suggestion("CUP-05", "Glass tea cups, set of 6"),
            ]
        };
        let (current, target) = match campaign {
            "post-sale-follow-up" => (Level::Basic, Level::Reactive),
            "satisfaction-survey" => (Level::Reactive, Level::Accountable),
            "loyalty-offer" | "time-to-reorder" => (Level::Accountable, Level::Proactive),
            "partnership-invitation" => (Level::Proactive, Level::Partnership),
            _ => (Level::Reactive, Level::Accountable),
        };
        EmailContext {
            customer: CustomerView::new(
                "c-1001",
                name,
                "sara@example.com",
                locale.clone(),
                tz,
                json!({}),
            ),
            level: LevelView { current, target },
            campaign: campaign.to_string(),
            occurrence,
            suggestions,
        }
    }
}

fn suggestion(sku: &str, name: &str) -> Suggestion {
    Suggestion {
        sku: sku.to_string(),
        name: name.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_name_is_the_first_word_of_the_name() {
        let c = CustomerView::new(
            "1",
            "  Sara  Ahmadi ",
            "s@example.com",
            Locale::parse("en").unwrap(),
            "UTC",
            Value::Null,
        );
        assert_eq!(c.first_name, "Sara");
        assert_eq!(c.attributes, json!({}));
        let c = CustomerView::new(
            "1",
            "",
            "s@example.com",
            Locale::parse("en").unwrap(),
            "UTC",
            Value::Null,
        );
        assert_eq!(c.first_name, "");
    }
}
