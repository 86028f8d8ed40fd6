//! Reading loosely typed provider JSON without trusting it: every accessor returns `Option`
//! and never panics, whatever the value's type or size.

use super::{InboundEvent, WebhookError};
use chrono::{DateTime, Utc};
use serde_json::Value;

/// A non-empty string field, trimmed.
pub(crate) fn text<'a>(value: &'a Value, key: &str) -> Option<&'a str> {
    value
        .get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// Like [`text`] but owned.
pub(crate) fn owned(value: &Value, key: &str) -> Option<String> {
    text(value, key).map(str::to_owned)
}

/// A string, or a number rendered as a string (custom-data values are sometimes numbers).
pub(crate) fn scalar_string(value: &Value) -> Option<String> {
    match value {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Unix seconds as an integer, a float (Mailgun) or a numeric string. Values too large to be
/// seconds are read as milliseconds (SendGrid's Single Send examples do that).
pub(crate) fn unix_time(value: &Value) -> Option<DateTime<Utc>> {
    // 1e11 s is the year 5138; as milliseconds it is 1973.
    const MILLIS_FROM: i64 = 100_000_000_000;
    let integer = match value {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse::<i64>().ok(),
        _ => return None,
    };
    if let Some(whole) = integer {
        return match whole {
            0..MILLIS_FROM => DateTime::from_timestamp(whole, 0),
            MILLIS_FROM.. => DateTime::from_timestamp_millis(whole),
            _ => None,
        };
    }
    let seconds = match value {
        Value::Number(n) => n.as_f64()?,
        Value::String(s) => s.trim().parse::<f64>().ok()?,
        _ => return None,
    };
    if !seconds.is_finite() || seconds < 0.0 {
        return None;
    }
    let seconds = if seconds >= MILLIS_FROM as f64 {
        seconds / 1000.0
    } else {
        seconds
    };
    let whole = seconds.trunc();
    // `as` saturates, and `from_timestamp` rejects anything out of range.
    let nanos = ((seconds - whole) * 1e9).round().clamp(0.0, 999_999_999.0) as u32;
    DateTime::from_timestamp(whole as i64, nanos)
}

/// An RFC 3339 / ISO 8601 timestamp with offset (`2019-11-05T16:33:54.9070259Z`).
pub(crate) fn rfc3339(value: &Value) -> Option<DateTime<Utc>> {
    let text = value.as_str()?.trim();
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// A Message-ID without its angle brackets; `None` when empty.
pub(crate) fn message_id(raw: &str) -> Option<String> {
    let id = raw
        .trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .trim();
    (!id.is_empty()).then(|| id.to_owned())
}

/// The first RFC 3463 enhanced status code (`5.1.1`, `4.2.2`) in a free-text SMTP response.
pub(crate) fn enhanced_code(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let is_part = |b: u8| b.is_ascii_digit() || b == b'.';
    let mut start = 0;
    while start < bytes.len() {
        if !is_part(bytes[start]) || (start > 0 && is_part(bytes[start - 1])) {
            start += 1;
            continue;
        }
        let end = bytes[start..]
            .iter()
            .position(|&b| !is_part(b))
            .map_or(bytes.len(), |n| start + n);
        let candidate = &text[start..end];
        if is_enhanced_code(candidate) {
            return Some(candidate.to_owned());
        }
        start = end;
    }
    None
}

/// `class.subject.detail`: class 2, 4 or 5; subject and detail 1–3 digits.
pub(crate) fn is_enhanced_code(candidate: &str) -> bool {
    let mut parts = candidate.split('.');
    let (Some(class), Some(subject), Some(detail), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    let digits = |s: &str| (1..=3).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit());
    matches!(class, "2" | "4" | "5") && digits(subject) && digits(detail)
}

/// The enhanced code from a dedicated field when it holds one, else from the text.
pub(crate) fn code_from(field: Option<&str>, text: Option<&str>) -> Option<String> {
    field
        .map(str::trim)
        .filter(|c| is_enhanced_code(c))
        .map(str::to_owned)
        .or_else(|| text.and_then(enhanced_code))
}

/// rapport's delivery id inside a free-form custom-data string that providers echo verbatim
/// (Mailjet `Payload`, Brevo `X-Mailin-custom`, tags): a JSON object with `key`
/// (`{"rapport_delivery":"…"}`, what our emails send), or `key=…` / `key:…` text.
pub(crate) fn delivery_in_custom(custom: &str, key: &str) -> Option<String> {
    let custom = custom.trim();
    if custom.starts_with('{') {
        let value: Value = serde_json::from_str(custom).ok()?;
        return value.get(key).and_then(scalar_string);
    }
    custom
        .split([',', ';', '|'])
        .map(str::trim)
        .find_map(|part| {
            let rest = part.strip_prefix(key)?.trim_start();
            rest.strip_prefix(['=', ':'])
        })
        .map(str::trim)
        .filter(|id| !id.is_empty())
        .map(str::to_owned)
}

/// The idempotency key of an event its provider gives no id (or, for Postmark, the record
/// type and id): the event's name and the parts that tell one event from another, joined by
/// `:`, a missing part left empty. A provider's retry carries the same parts, so it gets the
/// same key; keys already stored depend on this exact form.
pub(crate) fn composite_id(event: &str, parts: &[Option<&str>]) -> String {
    parts.iter().fold(event.to_owned(), |mut id, part| {
        id.push(':');
        id.push_str(part.unwrap_or_default());
        id
    })
}

/// A JSON body holding one event object or an array of them (the batch providers: SendGrid,
/// Mailjet, Brevo), each given to the provider's `parse_event` with its `event` name (empty
/// when missing); events it does not track (`None`) are left out. Anything but objects is
/// malformed.
pub(crate) fn each_event(
    body: &[u8],
    parse_event: impl Fn(&Value, &str) -> Option<InboundEvent>,
) -> Result<Vec<InboundEvent>, WebhookError> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| WebhookError::malformed(format!("not JSON: {e}")))?;
    let items = match value {
        Value::Array(items) => items,
        object @ Value::Object(_) => vec![object],
        _ => {
            return Err(WebhookError::malformed(
                "expected a JSON event object or an array of them",
            ));
        }
    };
    let mut events = Vec::with_capacity(items.len());
    for (index, item) in items.iter().enumerate() {
        if !item.is_object() {
            return Err(WebhookError::malformed(format!(
                "event {index} is not an object"
            )));
        }
        events.extend(parse_event(item, text(item, "event").unwrap_or_default()));
    }
    Ok(events)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn enhanced_codes_are_found_in_smtp_responses() {
        assert_eq!(
            enhanced_code("smtp; 550 5.1.1 user unknown").as_deref(),
            Some("5.1.1")
        );
        assert_eq!(
            enhanced_code("552 5.2.2 over quota").as_deref(),
            Some("5.2.2")
        );
        assert_eq!(
            enhanced_code("smtp; 550-5.1.1 The email").as_deref(),
            Some("5.1.1")
        );
        assert_eq!(enhanced_code("version 1.2.3 and 10.5.1.1"), None);
        assert_eq!(enhanced_code("250 OK"), None);
        assert_eq!(enhanced_code("é5.1.1"), Some("5.1.1".into()));
    }

    #[test]
    fn unix_times_accept_seconds_floats_strings_and_milliseconds() {
        let t = |v| unix_time(&v).map(|t| t.timestamp_millis());
        assert_eq!(t(json!(1513299569)), Some(1_513_299_569_000));
        assert_eq!(t(json!(1529692198.641821)), Some(1_529_692_198_641));
        assert_eq!(t(json!("1529006854")), Some(1_529_006_854_000));
        assert_eq!(t(json!(1591726752372_u64)), Some(1_591_726_752_372));
        assert_eq!(t(json!(1e300)), None);
        assert_eq!(t(json!(-5)), None);
        assert_eq!(t(json!(u64::MAX)), None);
        assert_eq!(t(json!(i64::MAX)), None);
        assert_eq!(t(json!("NaN")), None);
        assert_eq!(t(json!(true)), None);
    }

    #[test]
    fn delivery_ids_are_found_in_json_or_key_value_custom_data() {
        let id = |s| delivery_in_custom(s, "rapport_delivery");
        assert_eq!(id(r#"{"rapport_delivery":"d-1"}"#).as_deref(), Some("d-1"));
        assert_eq!(id(r#"{"meta": "data"}"#), None);
        assert_eq!(id("rapport_delivery=d-2").as_deref(), Some("d-2"));
        assert_eq!(id("a=1, rapport_delivery: d-3").as_deref(), Some("d-3"));
        assert_eq!(id("rapport_delivery="), None);
        assert_eq!(id("{not json"), None);
        assert_eq!(id("helloworld"), None);
    }

    #[test]
    fn message_ids_lose_their_angle_brackets() {
        assert_eq!(message_id(" <a@b> ").as_deref(), Some("a@b"));
        assert_eq!(message_id("<>"), None);
    }
}
