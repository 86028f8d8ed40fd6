//! "Customers who bought what you bought also bought …": co-purchase counts refreshed on
//! full cycles, and suggestions for a batch of customers in one query (never per email).

use super::Result;
use async_trait::async_trait;
use std::collections::HashMap;

/// (sku, name) suggestions per customer, best first.
pub type Suggestions = HashMap<String, Vec<(String, String)>>;

#[async_trait]
pub trait Products {
    /// Recomputes co-purchase counts (full cycles).
    async fn refresh_product_pairs(&self) -> Result<()>;
    /// Up to `per_customer` products each customer has not bought, most co-purchased first.
    async fn suggestions(
        &self,
        customer_ids: &[String],
        per_customer: usize,
    ) -> Result<Suggestions>;
    /// Up to `per_customer` products each customer bought in more than one order, the most
    /// often bought first (ties: by sku), named as on their orders (the greatest name when
    /// they differ).
    async fn repeat_purchases(
        &self,
        customer_ids: &[String],
        per_customer: usize,
    ) -> Result<Suggestions>;
}

/// The repeat-purchases query after `WHERE customer_id` names the customers (the same on
/// both backends but for that list).
pub(crate) const REPEATS_GROUP: &str = " GROUP BY customer_id, sku HAVING COUNT(*) > 1 \
     ORDER BY customer_id, COUNT(*) DESC, sku";

/// The statements of a refresh, in order, in one transaction (the same on both backends).
pub(crate) const REFRESH: [&str; 4] = [
    "DELETE FROM product_pairs",
    "DELETE FROM product_names",
    "INSERT INTO product_names (sku, locale, name) \
     SELECT n.sku, c.locale, MAX(n.name) FROM order_items n JOIN customers c ON c.id = n.customer_id \
     GROUP BY n.sku, c.locale",
    // Pairs of distinct products bought by the same customer, counted once per customer.
    "INSERT INTO product_pairs (sku_a, sku_b, customers) \
     SELECT a.sku, b.sku, COUNT(*) \
     FROM (SELECT DISTINCT customer_id, sku FROM order_items) a \
     JOIN (SELECT DISTINCT customer_id, sku FROM order_items) b \
       ON a.customer_id = b.customer_id AND a.sku <> b.sku \
     GROUP BY a.sku, b.sku",
];

/// The suggestions query's body after the customers' `mine` set: one statement for both
/// backends, which differ only in how `mine` names its customers.
pub(crate) const SUGGEST: &str = include_str!("sql/suggestions.sql");

/// Keeps the first `per_customer` of each customer's (customer, sku, name) rows, which come
/// best first.
pub(crate) fn take(
    rows: impl Iterator<Item = (String, String, String)>,
    per_customer: usize,
) -> Suggestions {
    let mut out: Suggestions = HashMap::new();
    for (cid, sku, name) in rows {
        let list = out.entry(cid).or_default();
        if list.len() < per_customer {
            list.push((sku, name));
        }
    }
    out
}
