//! Customers: id, address, name, locale, timezone, subscription, attributes (with an
//! optional `target_level` override).

use super::{Problems, RecordDefaults, Row, RowErrors, check_json_size, err, parsed, too_long};
use crate::domain::{CustomerId, CustomerRecord, EmailAddress, Level, Locale, Timezone};
use serde_json::Value;

pub const CUSTOMER_FIELDS: &[&str] = &[
    "id",
    "email",
    "name",
    "locale",
    "timezone",
    "subscribed",
    "created_at",
    "attributes",
    "consent_source",
    "consent_wording",
];

impl CustomerRecord {
    pub fn parse(row: &Row, d: &RecordDefaults) -> Result<Self, RowErrors> {
        let mut p = Problems::default();
        row.reject_unknown(CUSTOMER_FIELDS, &mut p);
        let id = p.take(
            row.required_text("id")
                .and_then(|s| parsed("id", CustomerId::parse(&s))),
        );
        let email = p.take(
            row.required_text("email")
                .and_then(|s| parsed("email", EmailAddress::parse(&s))),
        );
        let name = p.take(row.text("name").and_then(|n| {
            let name: String = n
                .unwrap_or_default()
                .chars()
                .filter(|c| !c.is_control())
                .collect();
            let chars = name.chars().count();
            if chars > d.input.max_name_chars {
                Err(too_long("name", chars, d.input.max_name_chars))
            } else {
                Ok(name)
            }
        }));
        let locale = p.take(row.text("locale").and_then(|l| match l {
            None => Ok(d.locale.clone()),
            Some(s) => {
                let l = parsed("locale", Locale::parse(&s))?;
                if d.input.accepts_locale(&l) {
                    Ok(l)
                } else {
                    Err(err(
                        "locale",
                        format!(
                            "`{s}` is not a configured locale (expected one of {}; add it to input.locales with its templates)",
                            d.input.locale_list()
                        ),
                    ))
                }
            }
        }));
        let timezone = p.take(row.text("timezone").and_then(|t| match t {
            Some(s) => parsed("timezone", Timezone::parse(&s)),
            None => Ok(d.timezone),
        }));
        let attributes = p.take(row.object("attributes").and_then(|a| {
            check_json_size(
                "attributes",
                &Value::Object(a.clone()),
                d.input.max_attributes_bytes,
            )?;
            Ok(a)
        }));
        let target_override = attributes.as_ref().and_then(|a| {
            p.take(match a.get("target_level") {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => {
                    parsed("attributes.target_level", s.parse::<Level>()).map(Some)
                }
                Some(_) => Err(err("attributes.target_level", "expected a level name")),
            })
        });
        let subscribed = p.take(row.boolean("subscribed"));
        let created_at = p.take(row.past_timestamp("created_at", d.latest()));
        let consent_source = p.take(consent_text(row, "consent_source"));
        let consent_wording = p.take(consent_text(row, "consent_wording"));
        let record = (|| {
            Some(CustomerRecord {
                id: id?,
                email: email?,
                name: name?,
                locale: locale?,
                timezone: timezone?,
                subscribed: subscribed?.unwrap_or(true),
                created_at_given: created_at.as_ref().is_some_and(Option::is_some),
                created_at: created_at?.unwrap_or(d.now),
                attributes: attributes?,
                target_override: target_override?,
                consent_source: consent_source?,
                consent_wording: consent_wording?,
            })
        })();
        p.finish(record)
    }
}

/// `consent_source` or `consent_wording`: optional text, at most
/// [`crate::domain::consent::MAX_FIELD`] characters; blank is absent.
fn consent_text(row: &Row, field: &str) -> Result<Option<String>, super::FieldError> {
    let Some(text) = row.text(field)?.filter(|t| !t.trim().is_empty()) else {
        return Ok(None);
    };
    let chars = text.chars().count();
    let max = crate::domain::consent::MAX_FIELD;
    if chars > max {
        return Err(too_long(field, chars, max));
    }
    Ok(Some(text.trim().to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::EventRecord;
    use crate::import::record::test_support::*;
    use serde_json::json;

    #[test]
    fn bad_fields_are_named() {
        let cases = [
            (json!({"id":"c1","email":"nope"}), "email"),
            (
                json!({"id":"c1","email":"a@b.co","created_at":"yesterday"}),
                "created_at",
            ),
            (
                json!({"id":"c1","email":"a@b.co","attributes":"{broken"}),
                "attributes",
            ),
            (
                json!({"id":"c1","email":"a@b.co","timezone":"Mars/Base"}),
                "timezone",
            ),
            (
                json!({"id":"c1","email":"a@b.co","subscribed":"maybe"}),
                "subscribed",
            ),
            (json!({"id":"c1","email":"a@b.co","colour":"red"}), "colour"),
            (json!({"email":"a@b.co"}), "id"),
        ];
        for (row, field) in cases {
            let e = CustomerRecord::parse(&Row::new(&obj(row.clone())), &defaults()).unwrap_err();
            assert_eq!(e.0[0].field, field, "{row}: {e}");
        }
    }

    #[test]
    fn target_level_attribute_becomes_an_override() {
        let row =
            obj(json!({"id":"c1","email":"a@b.co","attributes":{"target_level":"partnership"}}));
        let c = CustomerRecord::parse(&Row::new(&row), &defaults()).unwrap();
        assert_eq!(c.target_override, Some(Level::Partnership));
    }

    #[test]
    fn a_row_without_created_at_is_dated_by_the_import_and_says_so() {
        let d = defaults();
        let row = obj(json!({"id":"c1","email":"a@b.co"}));
        let c = CustomerRecord::parse(&Row::new(&row), &d).unwrap();
        assert_eq!((c.created_at, c.created_at_given), (d.now, false));
        let row = obj(json!({"id":"c1","email":"a@b.co","created_at":"2026-01-02T03:04:05Z"}));
        let c = CustomerRecord::parse(&Row::new(&row), &d).unwrap();
        let given: chrono::DateTime<chrono::Utc> = "2026-01-02T03:04:05Z".parse().unwrap();
        assert_eq!((c.created_at, c.created_at_given), (given, true));
    }

    #[test]
    fn every_problem_of_a_row_is_reported_not_only_the_first() {
        let row = obj(
            json!({"id":"c1","email":"nope","timezone":"Mars/Base","subscribed":"maybe","colour":"red"}),
        );
        let e = CustomerRecord::parse(&Row::new(&row), &defaults()).unwrap_err();
        assert_eq!(
            fields_of(e),
            vec!["colour", "email", "timezone", "subscribed"]
        );
    }

    #[test]
    fn an_unknown_locale_is_refused_with_the_configured_ones_listed() {
        let row = obj(json!({"id":"c1","email":"a@b.co","locale":"xx"}));
        let e = CustomerRecord::parse(&Row::new(&row), &defaults()).unwrap_err();
        assert_eq!(e.0[0].field, "locale");
        assert!(e.0[0].problem.contains("en, fa"), "{e}");
        let row = obj(json!({"id":"c1","email":"a@b.co","locale":"en-GB"}));
        assert!(CustomerRecord::parse(&Row::new(&row), &defaults()).is_ok());
    }

    #[test]
    fn oversized_fields_are_refused_with_their_size_and_the_limit() {
        let row = obj(json!({"id":"c1","email":"a@b.co","name": "x".repeat(201)}));
        let e = CustomerRecord::parse(&Row::new(&row), &defaults()).unwrap_err();
        assert_eq!(e.to_string(), "name: too long (201 > 200)");
        let big = json!({"blob": "y".repeat(20_000)});
        let row = obj(json!({"id":"c1","email":"a@b.co","attributes": big}));
        let e = CustomerRecord::parse(&Row::new(&row), &defaults()).unwrap_err();
        assert!(
            e.to_string().starts_with("attributes: too long (200"),
            "{e}"
        );
        let row = obj(
            json!({"customer_id":"c1","kind":"reply","occurred_at":"2026-11-20T10:00:00Z","data": big}),
        );
        let e = EventRecord::parse(&Row::new(&row), &defaults()).unwrap_err();
        assert!(e.to_string().starts_with("data: too long ("), "{e}");
    }
}
