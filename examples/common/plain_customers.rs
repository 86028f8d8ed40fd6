//! `n` plain customers `c0`…`c{n-1}` (English, UTC, subscribed, signed up 400 days before
//! `now`), for the benchmarks that need someone to send to or to correlate with.

use chrono::{DateTime, TimeDelta, Utc};
use rapport::domain::{CustomerId, CustomerRecord, EmailAddress, Locale, Timezone};
use rapport::store::Store;

/// Writes them in one import transaction, 5,000 rows per statement.
pub async fn insert(store: &dyn Store, n: usize, now: DateTime<Utc>) -> anyhow::Result<()> {
    let mut tx = store.begin_import().await?;
    let mut rows = Vec::with_capacity(5_000);
    for i in 0..n {
        rows.push(CustomerRecord {
            id: CustomerId::parse(&format!("c{i}"))?,
            email: EmailAddress::parse(&format!("customer-{i}@example.org"))?,
            name: format!("Customer Number{i}"),
            locale: Locale::parse("en")?,
            timezone: Timezone::parse("UTC")?,
            subscribed: true,
            created_at: now - TimeDelta::days(400),
            created_at_given: true,
            attributes: serde_json::Map::new(),
            target_override: None,
            consent_source: None,
            consent_wording: None,
        });
        if rows.len() == 5_000 || i + 1 == n {
            tx.upsert_customers(&rows, now).await?;
            rows.clear();
        }
    }
    tx.commit().await?;
    Ok(())
}
