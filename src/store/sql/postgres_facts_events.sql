-- Per-customer evidence from human events of kinds 2–9 (PostgreSQL): an index-only scan of
-- events_facts grouped in customer-id order. $1 referral window start; {SCOPE_AND} a fixed
-- filter per scope naming $2.
SELECT customer_id,
       MAX(occurred_at) FILTER (WHERE kind = 2),
       MAX(occurred_at) FILTER (WHERE kind = 3),
       MAX(occurred_at) FILTER (WHERE kind = 4),
       MAX(occurred_at) FILTER (WHERE kind = 5),
       MAX(occurred_at) FILTER (WHERE kind = 6),
       MAX(occurred_at) FILTER (WHERE kind = 7),
       MAX(occurred_at) FILTER (WHERE kind = 9),
       COUNT(*) FILTER (WHERE kind = 8 AND occurred_at >= $1)::int8
FROM events
WHERE kind BETWEEN 2 AND 9 AND NOT machine {SCOPE_AND}
GROUP BY customer_id
ORDER BY customer_id
