-- Per-customer order facts (PostgreSQL): an index-only scan of orders_facts grouped in
-- customer-id order (no hash, no sort). $1 orders window start, $2 margin window start,
-- $3 recent-orders start: the ids and times of the orders since then, in index order (NULL
-- when there are none; $3 NULL: none wanted); last, every order (no window): count, margin
-- and smallest currency (in the index since 0056: rank_by = "predicted_value"; compared
-- byte by byte, as SQLite's fold compares, not by the database's collation).
-- {SCOPE_WHERE} a fixed filter per scope naming $4.
SELECT customer_id,
       COUNT(*) FILTER (WHERE occurred_at >= $1)::int8,
       COALESCE(SUM(margin) FILTER (WHERE occurred_at >= $2), 0)::float8,
       MAX(occurred_at),
       MIN(occurred_at),
       array_agg(id) FILTER (WHERE occurred_at >= $3),
       array_agg(occurred_at) FILTER (WHERE occurred_at >= $3),
       COUNT(*)::int8,
       COALESCE(SUM(margin), 0)::float8,
       MIN(currency COLLATE "C")
FROM orders
{SCOPE_WHERE}
GROUP BY customer_id
ORDER BY customer_id
