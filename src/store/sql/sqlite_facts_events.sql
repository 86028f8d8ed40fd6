-- Per-customer evidence from human events of kinds 2–9 (SQLite), grouped in customer-id
-- order while reading the covering index events_facts. ?1 referral window start (ms);
-- {SCOPE_AND} a fixed filter per scope naming ?2. The last column is the last complaint of
-- any kind, machine-flagged too: not evidence, but it tells the cycle whose complaints the
-- planner needs to see.
SELECT customer_id,
       MAX(CASE WHEN kind = 2 AND machine = 0 THEN occurred_at END),
       MAX(CASE WHEN kind = 3 AND machine = 0 THEN occurred_at END),
       MAX(CASE WHEN kind = 4 AND machine = 0 THEN occurred_at END),
       MAX(CASE WHEN kind = 5 AND machine = 0 THEN occurred_at END),
       MAX(CASE WHEN kind = 6 AND machine = 0 THEN occurred_at END),
       MAX(CASE WHEN kind = 7 AND machine = 0 THEN occurred_at END),
       MAX(CASE WHEN kind = 9 AND machine = 0 THEN occurred_at END),
       COALESCE(SUM(kind = 8 AND machine = 0 AND occurred_at >= ?1), 0),
       MAX(CASE WHEN kind = 5 THEN occurred_at END)
FROM events
WHERE kind BETWEEN 2 AND 9 AND (machine = 0 OR kind = 5) {SCOPE_AND}
GROUP BY customer_id
ORDER BY customer_id
