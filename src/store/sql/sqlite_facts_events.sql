-- Per-customer evidence from human events of kinds 2–9 (SQLite), grouped in customer-id
-- order while reading the covering index events_facts. ?1 referral window start (ms);
-- {SCOPE_AND} a fixed filter per scope naming ?2.
SELECT customer_id,
       MAX(CASE WHEN kind = 2 THEN occurred_at END),
       MAX(CASE WHEN kind = 3 THEN occurred_at END),
       MAX(CASE WHEN kind = 4 THEN occurred_at END),
       MAX(CASE WHEN kind = 5 THEN occurred_at END),
       MAX(CASE WHEN kind = 6 THEN occurred_at END),
       MAX(CASE WHEN kind = 7 THEN occurred_at END),
       MAX(CASE WHEN kind = 9 THEN occurred_at END),
       SUM(kind = 8 AND occurred_at >= ?1)
FROM events
WHERE kind BETWEEN 2 AND 9 AND machine = 0 {SCOPE_AND}
GROUP BY customer_id
ORDER BY customer_id
