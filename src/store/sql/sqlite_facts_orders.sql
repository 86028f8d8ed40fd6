-- Every order of the cycle's scope (SQLite) in customer-id, then time order, straight off
-- the covering index orders_facts (no table access, no sort), folded per customer in Rust
-- (store/facts_fold.rs: SQLite's GROUP BY of CASE aggregates cost more than the reading).
-- ?1 start of the "recent orders" list (ms): only those orders' ids are read. The currency
-- (in the index since 0056) picks the spend model of rank_by = "predicted_value".
-- {SCOPE_WHERE} a fixed filter per scope naming ?2.
SELECT customer_id, occurred_at, margin, CASE WHEN occurred_at >= ?1 THEN id END, currency
FROM orders
{SCOPE_WHERE}
ORDER BY customer_id, occurred_at
