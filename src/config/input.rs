//! `[input]`: what imported and API records may hold. Bounds keep one bad row from becoming a
//! 50 MB name in every email; each is configurable for a shop that needs more.

use super::Duration;
use crate::domain::Locale;
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct InputConfig {
    /// Customer locales accepted (templates exist for these); any other is a bad row.
    pub locales: Vec<Locale>,
    /// How far in the future (after the import's or request's clock) a timestamp may be.
    pub max_future: Duration,
    /// Characters of a customer `name`.
    pub max_name_chars: usize,
    /// Bytes of a customer's `attributes` as JSON.
    pub max_attributes_bytes: usize,
    /// Bytes of an order's `items` as JSON.
    pub max_items_bytes: usize,
    /// Bytes of an event's `data` as JSON.
    pub max_data_bytes: usize,
}

impl Default for InputConfig {
    fn default() -> Self {
        InputConfig {
            locales: ["en", "fa"]
                .iter()
                .filter_map(|l| Locale::parse(l).ok())
                .collect(),
            max_future: Duration::from_secs(3600),
            max_name_chars: 200,
            max_attributes_bytes: 16 * 1024,
            max_items_bytes: 64 * 1024,
            max_data_bytes: 16 * 1024,
        }
    }
}

impl InputConfig {
    /// Whether customers may have `locale`: its language is one of [`InputConfig::locales`]
    /// (`en-GB` is accepted where `en` is configured).
    pub fn accepts_locale(&self, locale: &Locale) -> bool {
        self.locales
            .iter()
            .any(|l| l == locale || l.as_str() == locale.language())
    }

    /// The configured locales, for messages: `en, fa`.
    pub fn locale_list(&self) -> String {
        self.locales
            .iter()
            .map(Locale::as_str)
            .collect::<Vec<_>>()
            .join(", ")
    }
}
