//! Customers, orders and events given whole by an integrator: a file (`rapport import`) or
//! an API request. Both parse rows the same way ([`crate::import`]), then write them here, in
//! the caller's transaction (a file is one transaction, a request another).

use super::apply::{Rules, store_events};
use super::consent::{Origin, created};
use crate::domain::suppression::reason;
use crate::domain::{CustomerRecord, EventRecord, OrderRecord};
use crate::privacy::AddressKey;
use crate::store::{ImportTx, StoreError, Suppression, UpsertCounts};
use chrono::{DateTime, Utc};
use std::collections::{HashMap, HashSet};

/// Upserts customers; a customer listed twice is its last row. The consent of the new ones
/// is logged as `origin` says (see [`created`]), in the same transaction. An address that
/// was erased before (its keyed hash is on the suppression list, `crate::privacy`) is
/// suppressed in the same transaction: stored again, but not mailed without new consent.
pub async fn customers(
    tx: &mut dyn ImportTx,
    key: &AddressKey,
    rows: Vec<CustomerRecord>,
    origin: &Origin<'_>,
    now: DateTime<Utc>,
) -> Result<UpsertCounts, StoreError> {
    let rows = last_per_key(rows, |c| c.id.as_str().to_string());
    // Only what may log something costs the lookup of which customers are new.
    let may_log = origin.creation_is_consent || rows.iter().any(|c| c.consent_source.is_some());
    let new: HashSet<String> = if may_log {
        let existing = existing_customers(tx, rows.iter().map(|c| c.id.as_str())).await?;
        rows.iter()
            .map(|c| c.id.as_str())
            .filter(|id| !existing.contains(*id))
            .map(str::to_string)
            .collect()
    } else {
        HashSet::new()
    };
    let counts = tx.upsert_customers(&rows, now).await?;
    let erased = tx.erased_addresses().await?;
    if !erased.is_empty() {
        for c in &rows {
            if erased.contains(&key.hash(c.email.as_str())) {
                tx.suppress(Suppression {
                    email: c.email.as_str(),
                    reason: reason::ERASED_BEFORE,
                    source: "erasure",
                    at: now,
                })
                .await?;
            }
        }
    }
    let (entries, changes) = created(&rows, &new, origin, now);
    tx.record_consent(&entries).await?;
    for (customer, change) in &changes {
        tx.change_consent(customer, *change).await?;
    }
    Ok(counts)
}

/// Upserts orders (of existing customers: the caller checked); an order listed twice is its
/// last row.
pub async fn orders(
    tx: &mut dyn ImportTx,
    rows: Vec<OrderRecord>,
    now: DateTime<Utc>,
) -> Result<UpsertCounts, StoreError> {
    let rows = last_per_key(rows, |o| o.id.clone());
    tx.upsert_orders(&rows, now).await
}

/// Stores events (of existing customers: the caller checked) with their notifications;
/// an event stored before counts as unchanged.
pub async fn events(
    tx: &mut dyn ImportTx,
    rules: &Rules<'_>,
    rows: Vec<EventRecord>,
    now: DateTime<Utc>,
) -> Result<UpsertCounts, StoreError> {
    let written = store_events(tx, rules.endpoints, &rows, now).await?;
    Ok(UpsertCounts {
        written,
        unchanged: rows.len() as u64 - written,
    })
}

/// Which of the customers these rows name exist (each id asked once).
pub async fn existing_customers(
    tx: &mut dyn ImportTx,
    ids: impl IntoIterator<Item = &str>,
) -> Result<HashSet<String>, StoreError> {
    let wanted: Vec<&str> = ids
        .into_iter()
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    if wanted.is_empty() {
        return Ok(HashSet::new());
    }
    tx.existing_customers(&wanted).await
}

/// Keeps the last row for each id, in their original order: a file (or an API request) that
/// lists a customer twice means its last line. Multi-row upserts need distinct ids.
pub fn last_per_key<T>(rows: Vec<T>, key: impl Fn(&T) -> String) -> Vec<T> {
    let mut last: HashMap<String, usize> = HashMap::with_capacity(rows.len());
    for (i, r) in rows.iter().enumerate() {
        last.insert(key(r), i);
    }
    let keep: HashSet<usize> = last.into_values().collect();
    rows.into_iter()
        .enumerate()
        .filter_map(|(i, r)| keep.contains(&i).then_some(r))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::last_per_key;

    #[test]
    fn a_row_listed_twice_keeps_its_last_version_in_order() {
        let rows = vec![("a", 1), ("b", 1), ("a", 2), ("c", 1)];
        assert_eq!(
            last_per_key(rows, |r| r.0.to_string()),
            vec![("b", 1), ("a", 2), ("c", 1)]
        );
    }
}
