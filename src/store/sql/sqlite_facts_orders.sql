-- Per-customer order facts (SQLite), grouped in customer-id order while reading the covering
-- index orders_facts (no table access, no sort). ?1 orders window start, ?2 margin window
-- start (ms); {SCOPE_WHERE} a fixed filter per scope naming ?3.
SELECT customer_id,
       SUM(occurred_at >= ?1),
       CAST(SUM(CASE WHEN occurred_at >= ?2 THEN margin ELSE 0 END) AS REAL),
       MAX(occurred_at)
FROM orders
{SCOPE_WHERE}
GROUP BY customer_id
ORDER BY customer_id
