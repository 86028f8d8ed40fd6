-- Per-customer evidence from human events of kinds 2–9 (PostgreSQL): an index-only scan of
-- events_facts grouped in customer-id order. $1 referral window start; {SCOPE_AND} a fixed
-- filter per scope naming $2. The last column is the last complaint of any kind,
-- machine-flagged too: not evidence, but it tells the cycle whose complaints the planner
-- needs to see.
SELECT customer_id,
       MAX(occurred_at) FILTER (WHERE kind = 2 AND NOT machine),
       MAX(occurred_at) FILTER (WHERE kind = 3 AND NOT machine),
       MAX(occurred_at) FILTER (WHERE kind = 4 AND NOT machine),
       MAX(occurred_at) FILTER (WHERE kind = 5 AND NOT machine),
       MAX(occurred_at) FILTER (WHERE kind = 6 AND NOT machine),
       MAX(occurred_at) FILTER (WHERE kind = 7 AND NOT machine),
       MAX(occurred_at) FILTER (WHERE kind = 9 AND NOT machine),
       COUNT(*) FILTER (WHERE kind = 8 AND NOT machine AND occurred_at >= $1)::int8,
       MAX(occurred_at) FILTER (WHERE kind = 5)
FROM events
WHERE kind BETWEEN 2 AND 9 AND (NOT machine OR kind = 5) {SCOPE_AND}
GROUP BY customer_id
ORDER BY customer_id
