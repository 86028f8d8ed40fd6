//! Orders: amount and currency, the margin (in the base currency), the items.

use super::{
    FieldError, Problems, RecordDefaults, Row, RowErrors, check_json_size, err, kind_of,
    non_negative, parsed,
};
use crate::domain::{Currency, CustomerId, OrderRecord};
use serde_json::Value;

pub const ORDER_FIELDS: &[&str] = &[
    "id",
    "customer_id",
    "occurred_at",
    "amount",
    "currency",
    "margin",
    "items",
];

impl OrderRecord {
    pub fn parse(row: &Row, d: &RecordDefaults) -> Result<Self, RowErrors> {
        let mut p = Problems::default();
        row.reject_unknown(ORDER_FIELDS, &mut p);
        let id = p.take(row.required_text("id").and_then(|id| {
            if id.chars().any(char::is_control) || id.len() > 200 {
                Err(err(
                    "id",
                    "must be at most 200 characters without control characters",
                ))
            } else {
                Ok(id)
            }
        }));
        let customer_id = p.take(
            row.required_text("customer_id")
                .and_then(|s| parsed("customer_id", CustomerId::parse(&s))),
        );
        let occurred_at = p.take(
            row.required("occurred_at")
                .and_then(|_| row.past_timestamp("occurred_at", d.latest())),
        );
        let amount = p.take(
            row.required("amount")
                .and_then(|_| non_negative("amount", row.number("amount")?)),
        );
        let currency = p.take(
            row.required_text("currency")
                .and_then(|s| parsed("currency", Currency::parse(&s))),
        );
        let margin = p.take(non_negative("margin", row.number("margin").unwrap_or(None)));
        p.note(row.number("margin").map(drop));
        let items = p.take(row.json("items").and_then(|i| {
            let items = i.unwrap_or_else(|| Value::Array(vec![]));
            check_json_size("items", &items, d.input.max_items_bytes)?;
            check_items(&items)?;
            Ok(items)
        }));
        // Stored in the base currency: the strategy ranks customers by it.
        let margin = match (amount.flatten(), currency, margin) {
            (Some(amount), Some(currency), Some(margin)) => p.take(
                d.to_base(margin.unwrap_or(amount * d.margin_ratio), currency)
                    .map_err(|e| err("currency", e)),
            ),
            _ => None,
        };
        let record = (|| {
            Some(OrderRecord {
                id: id?,
                customer_id: customer_id?,
                occurred_at: occurred_at?.unwrap_or(d.now),
                amount: amount??,
                currency: currency?,
                margin: margin?,
                items: items?,
            })
        })();
        p.finish(record)
    }
}

impl OrderRecord {
    /// The order's lines as (sku, name), one per distinct sku.
    pub fn lines(&self) -> Vec<(&str, &str)> {
        let mut out: Vec<(&str, &str)> = Vec::new();
        for item in self.items.as_array().into_iter().flatten() {
            if let (Some(sku), Some(name)) = (
                item.get("sku").and_then(Value::as_str),
                item.get("name").and_then(Value::as_str),
            ) && !out.iter().any(|(s, _)| *s == sku)
            {
                out.push((sku, name));
            }
        }
        out
    }
}

/// `items` is a JSON array of `{sku, name, qty, price}`; templates rely on that shape.
fn check_items(items: &Value) -> Result<(), FieldError> {
    let Value::Array(list) = items else {
        return Err(err(
            "items",
            format!("expected a JSON array, got {}", kind_of(items)),
        ));
    };
    for (i, item) in list.iter().enumerate() {
        let Value::Object(o) = item else {
            return Err(err("items", format!("item {i} is not an object")));
        };
        for key in ["sku", "name"] {
            if !matches!(o.get(key), Some(Value::String(s)) if !s.is_empty()) {
                return Err(err("items", format!("item {i} has no `{key}` text")));
            }
        }
        for key in ["qty", "price"] {
            if !matches!(o.get(key), Some(Value::Number(_)) | None) {
                return Err(err("items", format!("item {i}: `{key}` must be a number")));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::record::test_support::*;
    use serde_json::json;

    #[test]
    fn csv_strings_and_json_values_parse_alike() {
        let csv = obj(
            json!({"id":"o1","customer_id":"c1","occurred_at":"2026-11-20T10:00:00Z","amount":"100","currency":"eur","items":"[{\"sku\":\"A\",\"name\":\"Mug\",\"qty\":1,\"price\":100}]"}),
        );
        let jsn = obj(
            json!({"id":"o1","customer_id":"c1","occurred_at":"2026-11-20T10:00:00Z","amount":100,"currency":"EUR","items":[{"sku":"A","name":"Mug","qty":1,"price":100}]}),
        );
        let a = OrderRecord::parse(&Row::new(&csv), &defaults()).unwrap();
        let b = OrderRecord::parse(&Row::new(&jsn), &defaults()).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.margin, 30.0, "default margin = amount × ratio");
    }

    #[test]
    fn margins_are_stored_in_the_base_currency_and_unknown_currencies_are_bad_rows() {
        let usd = obj(
            json!({"id":"o1","customer_id":"c1","occurred_at":"2026-11-20T10:00:00Z","amount":100,"currency":"USD","margin":10}),
        );
        let o = OrderRecord::parse(&Row::new(&usd), &defaults()).unwrap();
        assert_eq!((o.amount, o.margin), (100.0, 9.0));
        let irr = obj(
            json!({"id":"o1","customer_id":"c1","occurred_at":"2026-11-20T10:00:00Z","amount":100,"currency":"IRR"}),
        );
        let e = OrderRecord::parse(&Row::new(&irr), &defaults()).unwrap_err();
        assert_eq!(e.0[0].field, "currency");
        assert!(e.0[0].problem.contains("[strategy.currency_rates]"), "{e}");
    }

    #[test]
    fn negative_amounts_and_margins_are_refused_with_how_to_record_a_refund() {
        let row = obj(
            json!({"id":"o1","customer_id":"c1","occurred_at":"2026-11-20T10:00:00Z","amount":-1e15,"currency":"EUR","margin":-3}),
        );
        let e = OrderRecord::parse(&Row::new(&row), &defaults()).unwrap_err();
        assert!(e.to_string().contains("custom:refund"), "{e}");
        assert_eq!(fields_of(e), vec!["amount", "margin"]);
    }
}
